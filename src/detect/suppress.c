/*
 * Suppress lines of a threshold file (suppress.h). The file is read whole (bounded), cut into
 * logical lines (a line ending in a backslash goes on), and each `suppress` line becomes an
 * entry: gid, sid, what to compare (nothing, the source, the destination, either) and the
 * address set, parsed by the rule headers' own parser so that lists, CIDRs, ranges,
 * negations and variables mean the same as in a rule. Entries are sorted by sid for the
 * lookup at each alert.
 */
#include "detect/suppress.h"

#include "core/file.h"
#include "core/mm.h"
#include "detect/rule_addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sup_track { SUP_ALL = 0, SUP_SRC, SUP_DST, SUP_EITHER };

struct sup_entry {
    uint32_t gid, sid; /* 0: any */
    uint8_t track;     /* enum sup_track */
    struct det_addrset ips;
};

struct det_suppress {
    struct sup_entry *v; /* sorted by sid */
    uint32_t n, cap;
    uint32_t skipped;
};

/* --- small text helpers ------------------------------------------------------------------ */

static bool sup_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* [*b, *e) without surrounding white space. */
static void sup_trim(const char **b, const char **e)
{
    while (*b < *e && sup_space(**b))
        (*b)++;
    while (*e > *b && sup_space((*e)[-1]))
        (*e)--;
}

static bool sup_word_is(const char *b, const char *e, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(e - b) == n && !memcmp(b, w, n);
}

/* A decimal uint32 filling [b, e). */
static bool sup_u32(const char *b, const char *e, uint32_t *out)
{
    if (b == e || e - b > 10)
        return false;
    uint64_t v = 0;
    for (const char *p = b; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* --- one line ---------------------------------------------------------------------------- */

struct sup_fields {
    bool has_gid, has_sid, has_track, has_ip;
    uint32_t gid, sid;
    uint8_t track;
    const char *ip_b, *ip_e;
};

/* One "name value" field of a suppress line. NULL, or why it cannot be used. */
static const char *sup_field(struct sup_fields *f, const char *b, const char *e)
{
    sup_trim(&b, &e);
    const char *name_e = b;
    while (name_e < e && !sup_space(*name_e))
        name_e++;
    const char *vb = name_e, *ve = e;
    sup_trim(&vb, &ve);
    if (b == name_e)
        return "an empty field";
    if (vb == ve)
        return "a field without a value";
    if (sup_word_is(b, name_e, "gen_id") || sup_word_is(b, name_e, "sig_id")) {
        bool gid = b[0] == 'g';
        if (gid ? f->has_gid : f->has_sid)
            return gid ? "gen_id given twice" : "sig_id given twice";
        if (!sup_u32(vb, ve, gid ? &f->gid : &f->sid))
            return gid ? "gen_id is not a number" : "sig_id is not a number";
        *(gid ? &f->has_gid : &f->has_sid) = true;
        return NULL;
    }
    if (sup_word_is(b, name_e, "track")) {
        if (f->has_track)
            return "track given twice";
        if (sup_word_is(vb, ve, "by_src"))
            f->track = SUP_SRC;
        else if (sup_word_is(vb, ve, "by_dst"))
            f->track = SUP_DST;
        else if (sup_word_is(vb, ve, "by_either"))
            f->track = SUP_EITHER;
        else
            return "track must be by_src, by_dst or by_either";
        f->has_track = true;
        return NULL;
    }
    if (sup_word_is(b, name_e, "ip")) {
        if (f->has_ip)
            return "ip given twice";
        f->ip_b = vb;
        f->ip_e = ve;
        f->has_ip = true;
        return NULL;
    }
    return "an unknown field (gen_id, sig_id, track and ip are known)";
}

static int sup_add(struct det_suppress *s, const struct sup_entry *e)
{
    if (s->n == s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 16;
        struct sup_entry *v = realloc(s->v, (size_t)cap * sizeof *v);
        if (!v)
            return MM_ENOMEM;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = *e;
    return 0;
}

/*
 * One logical line [b, e). 0 when used or skipped (*why says why when skipped), MM_ENOMEM.
 * why points to a static text or into whybuf.
 */
static int sup_line(struct det_suppress *s, struct det_vartab *vt, const char *b, const char *e,
                    const char **why, char *whybuf, size_t whylen)
{
    *why = NULL;
    sup_trim(&b, &e);
    if (b == e || *b == '#')
        return 0;
    const char *kind_e = b;
    while (kind_e < e && !sup_space(*kind_e))
        kind_e++;
    if (sup_word_is(b, kind_e, "threshold") || sup_word_is(b, kind_e, "event_filter") ||
        sup_word_is(b, kind_e, "rate_filter")) {
        *why = "only suppress lines are applied; threshold, event_filter and rate_filter "
               "lines are not";
        return 0;
    }
    if (!sup_word_is(b, kind_e, "suppress")) {
        *why = "not a suppress, threshold, event_filter or rate_filter line";
        return 0;
    }
    /* Fields are separated by commas outside brackets (an ip list has commas of its own). */
    struct sup_fields f = {0};
    int depth = 0;
    const char *fb = kind_e;
    for (const char *p = kind_e;; p++) {
        if (p < e && *p == '[')
            depth++;
        else if (p < e && *p == ']')
            depth--;
        if (depth < 0) {
            *why = "a ']' without its '['";
            return 0;
        }
        if (p < e && (*p != ',' || depth > 0))
            continue;
        if ((*why = sup_field(&f, fb, p)) != NULL)
            return 0;
        if (p == e)
            break;
        fb = p + 1;
    }
    if (depth) {
        *why = "a '[' without its ']'";
        return 0;
    }
    if (!f.has_gid || !f.has_sid) {
        *why = "gen_id and sig_id are both needed";
        return 0;
    }
    if (f.has_track != f.has_ip) {
        *why = "track and ip go together";
        return 0;
    }
    if (f.gid == 0 && f.sid != 0) {
        /* Suricata refuses this too: a sid means one rule, and sids are per gid. */
        *why = "gen_id 0 (any) goes only with sig_id 0";
        return 0;
    }
    struct sup_entry en = {.gid = f.gid, .sid = f.sid, .track = f.has_track ? f.track : SUP_ALL};
    if (f.has_ip) {
        char err[256];
        int rc = det_addr_parse(vt, f.ip_b, (size_t)(f.ip_e - f.ip_b), &en.ips, err, sizeof err);
        if (rc == MM_ENOMEM)
            return rc;
        if (rc) {
            snprintf(whybuf, whylen, "ip: %s", err);
            *why = whybuf;
            return 0;
        }
    }
    int rc = sup_add(s, &en);
    if (rc)
        det_addrset_fini(&en.ips);
    return rc;
}

/* --- the file ---------------------------------------------------------------------------- */

/* By sid only: any entry that matches holds an alert back, so their order does not matter. */
static int sup_cmp(const void *a, const void *b)
{
    const struct sup_entry *x = a, *y = b;
    return x->sid < y->sid ? -1 : x->sid > y->sid;
}

int det_suppress_parse(const char *text, size_t len, const struct det_parse_opts *vars,
                       det_suppress_warn_fn warn, void *user, det_suppress_t **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    struct det_vartab *vt = NULL;
    int rc = det_vartab_create(vars, &vt, err, errlen);
    if (rc)
        return rc;
    struct det_suppress *s = calloc(1, sizeof *s);
    if (!s) {
        det_vartab_free(vt);
        return MM_ENOMEM;
    }
    /* A logical line is copied out (continuations joined) into a buffer that grows to the
     * longest one, at most the file's size. */
    char *buf = NULL;
    size_t buf_cap = 0;
    const char *p = text, *end = text + len;
    unsigned lineno = 0;
    while (!rc && p < end) {
        unsigned first = lineno + 1;
        size_t n = 0;
        bool more = true;
        while (more && p < end) {
            const char *nl = p;
            while (nl < end && *nl != '\n' && *nl != '\0')
                nl++;
            lineno++;
            const char *lb = p, *le = nl;
            sup_trim(&lb, &le);
            /* A comment is one line, as in Suricata: a backslash at its end continues
             * nothing (it would swallow the next line's suppress without a word). */
            bool comment = n == 0 && lb < le && *lb == '#';
            le = nl;
            while (le > p && sup_space(le[-1]))
                le--;
            more = !comment && le > p && le[-1] == '\\';
            if (more)
                le--;
            size_t add = (size_t)(le - p);
            if (n + add + 1 > buf_cap) {
                size_t cap = buf_cap ? buf_cap : 256;
                while (cap < n + add + 1)
                    cap *= 2;
                char *nb = realloc(buf, cap);
                if (!nb) {
                    rc = MM_ENOMEM;
                    break;
                }
                buf = nb;
                buf_cap = cap;
            }
            memcpy(buf + n, p, add);
            n += add;
            buf[n++] = ' '; /* a continuation joins with a space */
            p = nl < end ? nl + 1 : nl;
        }
        if (rc)
            break;
        const char *why = NULL;
        char whybuf[320];
        rc = sup_line(s, vt, buf, buf + n, &why, whybuf, sizeof whybuf);
        if (!rc && why) {
            s->skipped++;
            if (warn)
                warn(user, first, why);
        }
    }
    free(buf);
    det_vartab_free(vt);
    if (rc) {
        det_suppress_free(s);
        snprintf(err, errlen, "out of memory reading the threshold file");
        return rc;
    }
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, sup_cmp);
    *out = s;
    return 0;
}

int det_suppress_load(const char *path, const struct det_parse_opts *vars,
                      det_suppress_warn_fn warn, void *user, det_suppress_t **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    char *text = NULL;
    size_t n = 0;
    int rc = mm_read_file(path, "threshold file", DET_SUPPRESS_MAX_BYTES, &text, &n, err, errlen);
    if (rc)
        return rc == MM_ENOMEM ? rc : MM_EINVAL;
    rc = det_suppress_parse(text, n, vars, warn, user, out, err, errlen);
    free(text);
    return rc;
}

/* --- lookup ------------------------------------------------------------------------------ */

static bool sup_entry_match(const struct sup_entry *en, uint32_t gid, const uint8_t src[16],
                            const uint8_t dst[16], int ip_ver)
{
    if (en->gid && en->gid != gid)
        return false;
    switch ((enum sup_track)en->track) {
    case SUP_ALL: return true;
    case SUP_SRC: return det_addr_match(&en->ips, src, ip_ver);
    case SUP_DST: return det_addr_match(&en->ips, dst, ip_ver);
    case SUP_EITHER:
        return det_addr_match(&en->ips, src, ip_ver) || det_addr_match(&en->ips, dst, ip_ver);
    }
    return false;
}

/* Index of the first entry with sid >= want. */
static uint32_t sup_lower(const struct det_suppress *s, uint32_t want)
{
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].sid < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool det_suppress_match(const det_suppress_t *s, uint32_t gid, uint32_t sid,
                        const uint8_t src[16], const uint8_t dst[16], int ip_ver)
{
    if (!s || !s->n)
        return false;
    for (uint32_t i = 0; i < s->n && s->v[i].sid == 0; i++) /* sid 0: every sid */
        if (sup_entry_match(&s->v[i], gid, src, dst, ip_ver))
            return true;
    if (!sid)
        return false;
    for (uint32_t i = sup_lower(s, sid); i < s->n && s->v[i].sid == sid; i++)
        if (sup_entry_match(&s->v[i], gid, src, dst, ip_ver))
            return true;
    return false;
}

void det_suppress_counts(const det_suppress_t *s, struct det_suppress_counts *out)
{
    out->entries = s ? s->n : 0;
    out->skipped = s ? s->skipped : 0;
}

void det_suppress_free(det_suppress_t *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        det_addrset_fini(&s->v[i].ips);
    free(s->v);
    free(s);
}
