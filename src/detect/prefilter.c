/*
 * Hyperscan prefilter databases; see prefilter.h. Literal mode (hs_compile_lit_multi) takes
 * the fast patterns as bytes, so nothing needs escaping; HS_FLAG_SINGLEMATCH reports each
 * literal once per scan, which is all the engine needs to pick candidate rules.
 */
#include "detect/prefilter.h"

#include "core/log.h"
#include "core/mm.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest cache file read back (a database for all of ET Open is a few MiB). */
#define CACHE_MAX_BYTES (512u * 1024u * 1024u)

struct upat {
    const uint8_t *lit;
    uint32_t len;
    bool nocase;
    uint32_t rule;
};

static int upat_cmp(const void *a, const void *b)
{
    const struct upat *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    if (x->nocase != y->nocase)
        return x->nocase ? 1 : -1;
    int c = memcmp(x->lit, y->lit, x->len);
    if (c)
        return c;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool same_literal(const struct upat *x, const struct upat *y)
{
    return x->len == y->len && x->nocase == y->nocase && memcmp(x->lit, y->lit, x->len) == 0;
}

/* The cache name: SHA-256 over the Hyperscan version, the platform and every literal. */
static bool cache_key(const struct upat *u, size_t n, const uint32_t *first, uint32_t n_pats,
                      char out[65])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md)
        return false;
    bool ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    const char *ver = hs_version();
    hs_platform_info_t plat;
    memset(&plat, 0, sizeof plat);
    (void)hs_populate_platform(&plat);
    ok = ok && EVP_DigestUpdate(md, "mamori-hsdb-1", 13) == 1;
    ok = ok && EVP_DigestUpdate(md, ver, strlen(ver)) == 1;
    ok = ok && EVP_DigestUpdate(md, &plat, sizeof plat) == 1;
    for (uint32_t i = 0; ok && i < n_pats; i++) {
        const struct upat *p = &u[first[i]];
        uint8_t hdr[5] = {(uint8_t)p->nocase, (uint8_t)(p->len >> 24), (uint8_t)(p->len >> 16),
                          (uint8_t)(p->len >> 8), (uint8_t)p->len};
        ok =
            EVP_DigestUpdate(md, hdr, sizeof hdr) == 1 && EVP_DigestUpdate(md, p->lit, p->len) == 1;
    }
    (void)n;
    unsigned char dig[32];
    unsigned int dl = 0;
    ok = ok && EVP_DigestFinal_ex(md, dig, &dl) == 1 && dl == 32;
    EVP_MD_CTX_free(md);
    if (!ok)
        return false;
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", dig[i]);
    return true;
}

static hs_database_t *cache_load(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    hs_database_t *db = NULL;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && (uint64_t)st.st_size <= CACHE_MAX_BYTES) {
        size_t sz = (size_t)st.st_size;
        char *buf = malloc(sz);
        size_t got = 0;
        while (buf && got < sz) {
            ssize_t r = read(fd, buf + got, sz - got);
            if (r <= 0)
                break;
            got += (size_t)r;
        }
        if (buf && got == sz && hs_deserialize_database(buf, sz, &db) != HS_SUCCESS)
            db = NULL;
        free(buf);
    }
    close(fd);
    return db;
}

/* mkdir -p: the default cache directory (~/.cache/mamori) may lack its parent on a fresh
 * account. Failures show up when the file is written. */
static void make_dirs(const char *dir)
{
    char p[4096];
    if ((size_t)snprintf(p, sizeof p, "%s", dir) >= sizeof p)
        return;
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = 0;
            (void)mkdir(p, 0750);
            *s = '/';
        }
    }
    (void)mkdir(p, 0750);
}

static void cache_store(const char *dir, const char *path, const hs_database_t *db)
{
    static bool warned;
    char *bytes = NULL;
    size_t len = 0;
    if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
        return;
    char tmp[4096];
    bool ok = false;
    make_dirs(dir);
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) < sizeof tmp) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd >= 0) {
            size_t put = 0;
            while (put < len) {
                ssize_t w = write(fd, bytes + put, len - put);
                if (w <= 0)
                    break;
                put += (size_t)w;
            }
            ok = put == len && close(fd) == 0;
            if (!ok)
                (void)unlink(tmp);
            /* rename is atomic: a concurrent reader sees the old file or the whole new one */
            ok = ok && rename(tmp, path) == 0;
        }
    }
    free(bytes);
    if (!ok && !warned) {
        warned = true;
        log_warn("cannot write the rule database cache in %s: %s (rules still load; the "
                 "next start compiles again)",
                 dir, strerror(errno));
    }
}

int det_pf_build(struct det_pf *pf, const struct det_pf_pattern *pats, size_t n,
                 const char *cache_dir, struct det_pf_build_stats *st, char *err, size_t errlen)
{
    memset(pf, 0, sizeof *pf);
    if (n == 0)
        return 0;
    if (n > UINT32_MAX / 2) {
        snprintf(err, errlen, "too many fast patterns");
        return MM_ELIMIT;
    }
    for (size_t i = 0; i < n; i++)
        if (pats[i].len == 0) {
            snprintf(err, errlen, "empty fast pattern");
            return MM_EINVAL;
        }
    struct upat *u = malloc(n * sizeof *u);
    uint32_t *first = malloc(n * sizeof *first);
    if (!u || !first) {
        free(u);
        free(first);
        snprintf(err, errlen, "out of memory building the prefilter");
        return MM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        u[i] = (struct upat){pats[i].lit, pats[i].len, pats[i].nocase, pats[i].rule};
    qsort(u, n, sizeof *u, upat_cmp);

    /* Distinct literals; the rules of literal i are u[first[i] .. first[i+1]). */
    uint32_t n_pats = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || !same_literal(&u[i - 1], &u[i]))
            first[n_pats++] = (uint32_t)i;
    pf->n_pats = n_pats;
    pf->pat_off = malloc(((size_t)n_pats + 1) * sizeof *pf->pat_off);
    pf->pat_rules = malloc(n * sizeof *pf->pat_rules);
    pf->pat_len = malloc(((size_t)n_pats + 1) * sizeof *pf->pat_len);
    const char **lits = malloc(n_pats * sizeof *lits);
    size_t *lens = malloc(n_pats * sizeof *lens);
    unsigned *flags = malloc(n_pats * sizeof *flags);
    unsigned *ids = malloc(n_pats * sizeof *ids);
    int rc = 0;
    if (!pf->pat_off || !pf->pat_rules || !pf->pat_len || !lits || !lens || !flags || !ids) {
        snprintf(err, errlen, "out of memory building the prefilter");
        rc = MM_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        pf->pat_rules[i] = u[i].rule;
    for (uint32_t i = 0; i < n_pats; i++) {
        pf->pat_off[i] = first[i];
        lits[i] = (const char *)u[first[i]].lit;
        lens[i] = u[first[i]].len;
        pf->pat_len[i] = u[first[i]].len;
        pf->max_len = MM_MAX(pf->max_len, u[first[i]].len);
        pf->min_len = i == 0 ? u[first[i]].len : MM_MIN(pf->min_len, u[first[i]].len);
        uint8_t c0 = u[first[i]].lit[0];
        pf->lead[c0 >> 6] |= 1ull << (c0 & 63);
        if (u[first[i]].nocase) {
            uint8_t lo = (uint8_t)(c0 >= 'A' && c0 <= 'Z' ? c0 + 32 : c0);
            uint8_t up = (uint8_t)(c0 >= 'a' && c0 <= 'z' ? c0 - 32 : c0);
            pf->lead[lo >> 6] |= 1ull << (lo & 63);
            pf->lead[up >> 6] |= 1ull << (up & 63);
        }
        flags[i] = HS_FLAG_SINGLEMATCH | (u[first[i]].nocase ? HS_FLAG_CASELESS : 0u);
        ids[i] = i;
    }
    pf->pat_off[n_pats] = (uint32_t)n;

    char key[65], path[4096];
    bool use_cache =
        cache_dir && cache_dir[0] && cache_key(u, n, first, n_pats, key) &&
        (size_t)snprintf(path, sizeof path, "%s/%s.hsdb", cache_dir, key) < sizeof path;
    if (use_cache && (pf->db = cache_load(path)) != NULL) {
        if (st)
            st->cache_hits++;
    } else {
        hs_compile_error_t *ce = NULL;
        if (hs_compile_lit_multi(lits, flags, ids, lens, n_pats, HS_MODE_BLOCK, NULL, &pf->db,
                                 &ce) != HS_SUCCESS) {
            snprintf(err, errlen, "Hyperscan cannot compile the fast patterns: %s",
                     ce && ce->message ? ce->message : "unknown error");
            hs_free_compile_error(ce);
            pf->db = NULL;
            rc = MM_EINVAL;
            goto out;
        }
        if (st)
            st->cache_misses++;
        if (use_cache)
            cache_store(cache_dir, path, pf->db);
    }
    (void)hs_database_size(pf->db, &pf->db_bytes);
out:
    free(u);
    free(first);
    free(lits);
    free(lens);
    free(flags);
    free(ids);
    if (rc)
        det_pf_free(pf);
    return rc;
}

void det_pf_free(struct det_pf *pf)
{
    if (pf->db)
        hs_free_database(pf->db);
    free(pf->pat_off);
    free(pf->pat_rules);
    free(pf->pat_len);
    memset(pf, 0, sizeof *pf);
}

int det_pf_alloc_scratch(const struct det_pf *pf, hs_scratch_t **scratch)
{
    if (!pf->db)
        return 0;
    return hs_alloc_scratch(pf->db, scratch) == HS_SUCCESS ? 0 : MM_ENOMEM;
}

struct scan_ctx {
    const struct det_pf *pf;
    det_pf_hit_cb cb;
    det_pf_end_cb end_cb;
    void *user;
};

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to,
                  unsigned int flags, void *ctx)
{
    (void)from;
    (void)to;
    (void)flags;
    const struct scan_ctx *sc = ctx;
    if (id >= sc->pf->n_pats)
        return 0;
    for (uint32_t i = sc->pf->pat_off[id]; i < sc->pf->pat_off[id + 1]; i++) {
        if (sc->end_cb)
            sc->end_cb(sc->user, sc->pf->pat_rules[i], to, sc->pf->pat_len[id]);
        else
            sc->cb(sc->user, sc->pf->pat_rules[i]);
    }
    return 0;
}

void det_pf_pad_free(struct det_pf_pad *pad)
{
    free(pad->p);
    pad->p = NULL;
    pad->cap = 0;
}

/* buf, or a copy of it in the pad when its end is close to a page end (see prefilter.h).
 * NULL when the copy cannot be made (the scan is skipped: counted by the caller as nothing
 * found, never a crash). */
static const uint8_t *safe_view(struct det_pf_pad *pad, const uint8_t *buf, uint32_t len)
{
    uintptr_t end = (uintptr_t)buf + len;
    size_t room = 4096 - (end & 4095u); /* readable bytes surely left in the page */
    if ((end & 4095u) != 0 && room >= DET_PF_SLACK)
        return buf;
    size_t need = (size_t)len + DET_PF_SLACK;
    if (need > pad->cap) {
        uint8_t *np = realloc(pad->p, need);
        if (!np)
            return NULL;
        pad->p = np;
        pad->cap = need;
    }
    memcpy(pad->p, buf, len);
    memset(pad->p + len, 0, DET_PF_SLACK);
    return pad->p;
}

/* Whether a byte of buf (len <= DET_PF_TINY) can begin one of pf's literals. */
static bool any_lead(const struct det_pf *pf, const uint8_t *buf, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (pf->lead[buf[i] >> 6] >> (buf[i] & 63) & 1)
            return true; /* usually at once: a URI's '/', a letter of a user agent */
    return false;
}

static void scan(const struct det_pf *pf, hs_scratch_t *scratch, struct det_pf_pad *pad,
                 const uint8_t *buf, uint32_t len, struct scan_ctx *sc)
{
    if (!pf->db || len < pf->min_len || (len <= DET_PF_TINY && !any_lead(pf, buf, len)))
        return; /* no literal fits, or none can begin here */
    const uint8_t *b = safe_view(pad, buf, len);
    if (b)
        (void)hs_scan(pf->db, (const char *)b, len, 0, scratch, on_hit, sc);
}

void det_pf_scan(const struct det_pf *pf, hs_scratch_t *scratch, struct det_pf_pad *pad,
                 const uint8_t *buf, uint32_t len, det_pf_hit_cb cb, void *user)
{
    struct scan_ctx sc = {pf, cb, NULL, user};
    scan(pf, scratch, pad, buf, len, &sc);
}

void det_pf_scan_ends(const struct det_pf *pf, hs_scratch_t *scratch, struct det_pf_pad *pad,
                      const uint8_t *buf, uint32_t len, det_pf_end_cb cb, void *user)
{
    struct scan_ctx sc = {pf, NULL, cb, user};
    scan(pf, scratch, pad, buf, len, &sc);
}
