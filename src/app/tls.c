/*
 * TLS parser: record layer in both directions, handshake messages reassembled across
 * records, ClientHello / ServerHello / Certificate decoded, JA3, JA3S and JA4 computed, one
 * struct tls_rec emitted per flow (tls.h; docs/internals/tls.md).
 *
 * Streaming: each direction is a small state machine over the record layer (5-byte header,
 * then the body passed through without a copy); only handshake message bodies are copied,
 * into one buffer per direction bounded by app.tls_max_record_bytes. Bytes may arrive in
 * any chunking: every partial header and message is carried in the state.
 *
 * After ChangeCipherSpec (TLS <= 1.2) or a TLS 1.3 ServerHello the handshake is encrypted:
 * record headers are still checked but their contents are skipped.
 */
#include "app/tls.h"

#include "app/app_parser.h"
#include "core/cur.h"
#include "core/mm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* Record content types (RFC 8446 section 5.1; heartbeat RFC 6520). */
enum {
    REC_CCS = 20,
    REC_ALERT = 21,
    REC_HANDSHAKE = 22,
    REC_APPDATA = 23,
    REC_HEARTBEAT = 24,
    REC_SSL2 = 0x100, /* internal: an SSLv2-framed ClientHello */
};

/* Handshake message types used here. */
enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_CERTIFICATE = 11 };

/* Extension types. */
enum {
    EXT_SNI = 0,
    EXT_GROUPS = 10,
    EXT_POINT_FORMATS = 11,
    EXT_SIG_ALGS = 13,
    EXT_ALPN = 16,
    EXT_PSK = 41,
    EXT_VERSIONS = 43,
};

/* Largest record body: 2^14 plus the expansion RFC 5246 allows (6.2.3). */
#define TLS_RECORD_MAX (16384 + 2048)

/* ServerHello.random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

struct tls_dir {
    uint8_t hdr[5];      /* record header being collected */
    uint8_t hdr_have;
    bool in_record;
    uint16_t rec_type;
    uint32_t rec_left;   /* body bytes of the current record still to come */
    uint64_t records;    /* records started in this direction */

    uint8_t hs_hdr[4];   /* handshake message header being collected */
    uint8_t hs_hdr_have;
    uint32_t hs_len;     /* body length of the current handshake message */
    uint32_t hs_have;
    uint32_t hs_skip;    /* bytes of an over-long message still to drop */
    uint8_t *hs_buf;     /* message body (app_alloc'ed, hs_cap bytes) */
    uint32_t hs_cap;

    bool encrypted;      /* handshake contents no longer readable */
    bool ccs;            /* ChangeCipherSpec seen */
    bool appdata;        /* application data seen */
    bool ended;
};

struct tls_state {
    struct tls_rec r;
    struct tls_dir d[2];
    bool server_full;   /* Certificate / ServerKeyExchange / ServerHelloDone seen */
    bool tls13;         /* a TLS 1.3 ServerHello was seen */
    bool emitted;
    bool dead;          /* app_stop() called */
};

/* ---------- small helpers ---------- */

bool tls_list_next(const struct tls_list *l, uint32_t *off, const uint8_t **p, uint16_t *n)
{
    if (!l->buf || *off + 2 > l->len)
        return false;
    uint16_t k = (uint16_t)(l->buf[*off] << 8 | l->buf[*off + 1]);
    if (*off + 2 + k > l->len)
        return false;
    *p = l->buf + *off + 2;
    *n = k;
    *off += 2u + k;
    return true;
}

const char *tls_version_name(uint16_t v, char *buf, size_t n)
{
    switch (v) {
    case 0: return "UNDETERMINED";
    case TLS_V_SSL2: return "SSLv2";
    case TLS_V_SSL3: return "SSLv3";
    case TLS_V_10: return "TLSv1";
    case TLS_V_11: return "TLS 1.1";
    case TLS_V_12: return "TLS 1.2";
    case TLS_V_13: return "TLS 1.3";
    default:
        if ((v & 0xff00) == 0x7f00) /* draft versions of TLS 1.3 */
            snprintf(buf, n, "TLS 1.3 draft-%u", v & 0xffu);
        else
            snprintf(buf, n, "0x%04x", v);
        return buf;
    }
}

static void stop(struct app_session *s, struct tls_state *st)
{
    st->dead = true;
    app_stop(s);
}

/* Append one item to a list, growing it (charged to the memcap). False when refused. */
static bool list_add(struct app_session *s, struct tls_list *l, const uint8_t *p, uint16_t n)
{
    uint32_t need = l->len + 2u + n;
    if (need > l->cap) {
        uint32_t ncap = MM_MAX(need, l->cap ? l->cap * 2 : 64u);
        uint8_t *nb = l->buf ? app_realloc(s, l->buf, l->cap, ncap) : app_alloc(s, ncap);
        if (!nb)
            return false;
        l->buf = nb;
        l->cap = ncap;
    }
    l->buf[l->len] = (uint8_t)(n >> 8);
    l->buf[l->len + 1] = (uint8_t)n;
    if (n)
        memcpy(l->buf + l->len + 2, p, n);
    l->len = need;
    l->n++;
    return true;
}

static void list_free(struct app_session *s, struct tls_list *l)
{
    app_free(s, l->buf, l->cap);
    memset(l, 0, sizeof *l);
}

static void hex_lower(const uint8_t *p, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = 0;
}

/* A growable text buffer charged to the memcap; err is sticky. */
struct sbuf {
    char *p;
    size_t len, cap;
    bool err;
};

static void sb_putn(struct app_session *s, struct sbuf *b, const char *t, size_t n)
{
    if (b->err)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t ncap = MM_MAX(b->len + n + 1, b->cap ? b->cap * 2 : (size_t)256);
        char *np = b->p ? app_realloc(s, b->p, b->cap, ncap) : app_alloc(s, ncap);
        if (!np) {
            b->err = true;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->len, t, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_u16(struct app_session *s, struct sbuf *b, unsigned v, bool dash)
{
    char t[8];
    int k = snprintf(t, sizeof t, "%s%u", dash ? "-" : "", v);
    sb_putn(s, b, t, (size_t)k);
}

/* ---------- ClientHello ---------- */

/* Pointers into one parsed ClientHello (valid while its buffer is). */
struct hello {
    uint16_t legacy_version;
    const uint8_t *ciphers; /* 2 bytes each */
    size_t n_ciphers;
    const uint8_t *exts;    /* extension block */
    size_t exts_len;
    const uint8_t *groups;
    size_t n_groups;
    const uint8_t *pf;
    size_t n_pf;
    const uint8_t *sigalgs;
    size_t n_sigalgs;
    const uint8_t *versions;
    size_t n_versions;
    bool has_versions;
    const uint8_t *alpn;    /* protocol_name_list body */
    size_t alpn_len;
    bool has_alpn, has_sni;
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* JA3: "version,ciphers,extensions,groups,point_formats", GREASE left out. */
static void make_ja3(struct app_session *s, struct tls_state *st, const struct hello *h)
{
    struct tls_rec *r = &st->r;
    struct sbuf b = {0};
    sb_u16(s, &b, h->legacy_version, false);
    sb_putn(s, &b, ",", 1);
    bool first = true;
    for (size_t i = 0; i < h->n_ciphers; i++) {
        uint16_t v = be16(h->ciphers + 2 * i);
        if (!tls_is_grease(v)) {
            sb_u16(s, &b, v, !first);
            first = false;
        }
    }
    sb_putn(s, &b, ",", 1);
    first = true;
    struct cur c = cur_make(h->exts, h->exts_len);
    while (cur_left(&c) >= 4) {
        uint16_t t = cur_be16(&c);
        uint16_t l = cur_be16(&c);
        if (!cur_skip(&c, l))
            break;
        if (!tls_is_grease(t)) {
            sb_u16(s, &b, t, !first);
            first = false;
        }
    }
    sb_putn(s, &b, ",", 1);
    first = true;
    for (size_t i = 0; i < h->n_groups; i++) {
        uint16_t v = be16(h->groups + 2 * i);
        if (!tls_is_grease(v)) {
            sb_u16(s, &b, v, !first);
            first = false;
        }
    }
    sb_putn(s, &b, ",", 1);
    for (size_t i = 0; i < h->n_pf; i++)
        sb_u16(s, &b, h->pf[i], i > 0);
    if (b.err) {
        app_free(s, b.p, b.cap);
        stop(s, st);
        return;
    }
    r->ja3 = b.p;
    r->ja3_cap = b.cap;
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_Digest(b.p, b.len, md, &mdlen, EVP_md5(), NULL) && mdlen == 16)
        hex_lower(md, 16, r->ja3_hash);
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return (x > y) - (x < y);
}

/* First 12 hex digits of SHA-256 over "aaaa,bbbb,..." of v[0..n) (then "_" and the
 * signature algorithms when tail is given); "000000000000" when n is 0. */
static bool ja4_hash(const uint16_t *v, size_t n, const uint8_t *tail, size_t n_tail,
                     char out[13])
{
    if (n == 0) {
        memcpy(out, "000000000000", 13);
        return true;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return false;
    bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    char t[8];
    for (size_t i = 0; ok && i < n; i++) {
        snprintf(t, sizeof t, "%s%04x", i ? "," : "", v[i]);
        ok = EVP_DigestUpdate(ctx, t, strlen(t)) == 1;
    }
    bool first = true;
    for (size_t i = 0; ok && i < n_tail; i++) {
        uint16_t a = be16(tail + 2 * i);
        if (tls_is_grease(a))
            continue;
        snprintf(t, sizeof t, "%s%04x", first ? "_" : ",", a);
        first = false;
        ok = EVP_DigestUpdate(ctx, t, strlen(t)) == 1;
    }
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return false;
    char full[65];
    hex_lower(md, 32, full);
    memcpy(out, full, 12);
    out[12] = 0;
    return true;
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static char ja4_version_code(uint16_t v, char code[3])
{
    const char *c;
    switch (v) {
    case TLS_V_13: c = "13"; break;
    case TLS_V_12: c = "12"; break;
    case TLS_V_11: c = "11"; break;
    case TLS_V_10: c = "10"; break;
    case TLS_V_SSL3: c = "s3"; break;
    case TLS_V_SSL2: c = "s2"; break;
    case 0xfeff: c = "d1"; break;
    case 0xfefd: c = "d2"; break;
    case 0xfefc: c = "d3"; break;
    default: c = "00"; break;
    }
    memcpy(code, c, 3);
    return code[0];
}

/* JA4 (FoxIO, technical_details/JA4.md), TLS over TCP. */
static void make_ja4(struct app_session *s, struct tls_state *st, const struct hello *h)
{
    struct tls_rec *r = &st->r;
    /* Version: the highest non-GREASE supported_versions entry, else legacy_version. */
    uint16_t ver = h->legacy_version;
    if (h->has_versions) {
        uint16_t best = 0;
        for (size_t i = 0; i < h->n_versions; i++) {
            uint16_t v = be16(h->versions + 2 * i);
            if (!tls_is_grease(v) && v > best)
                best = v;
        }
        if (best)
            ver = best;
    }
    char vcode[3];
    ja4_version_code(ver, vcode);

    size_t n_ext_all = 0, n_ext_hashed = 0;
    struct cur c = cur_make(h->exts, h->exts_len);
    while (cur_left(&c) >= 4) {
        cur_be16(&c);
        uint16_t l = cur_be16(&c);
        if (!cur_skip(&c, l))
            break;
        n_ext_all++;
    }
    size_t n_tmp = MM_MAX(h->n_ciphers, n_ext_all);
    size_t tmp_bytes = (n_tmp ? n_tmp : 1) * sizeof(uint16_t);
    uint16_t *tmp = app_alloc(s, tmp_bytes);
    if (!tmp) {
        stop(s, st);
        return;
    }

    size_t nc = 0;
    for (size_t i = 0; i < h->n_ciphers; i++) {
        uint16_t v = be16(h->ciphers + 2 * i);
        if (!tls_is_grease(v))
            tmp[nc++] = v;
    }
    qsort(tmp, nc, sizeof *tmp, cmp_u16);
    char hb[13], hc[13];
    bool ok = ja4_hash(tmp, nc, NULL, 0, hb);

    size_t ne = 0;
    c = cur_make(h->exts, h->exts_len);
    while (cur_left(&c) >= 4) {
        uint16_t t = cur_be16(&c);
        uint16_t l = cur_be16(&c);
        if (!cur_skip(&c, l))
            break;
        if (tls_is_grease(t))
            continue;
        ne++;
        if (t != EXT_SNI && t != EXT_ALPN)
            tmp[n_ext_hashed++] = t;
    }
    qsort(tmp, n_ext_hashed, sizeof *tmp, cmp_u16);
    ok = ok && ja4_hash(tmp, n_ext_hashed, h->sigalgs, h->n_sigalgs, hc);
    app_free(s, tmp, tmp_bytes);
    if (!ok)
        return;

    /* ALPN: first and last character of the first protocol name; "00" without one; the
     * first and last hex digit when either end is not an ASCII letter or digit. */
    char alpn[3] = "00";
    if (h->has_alpn && h->alpn_len >= 1) {
        size_t n = h->alpn[0];
        if (n >= 1 && n + 1 <= h->alpn_len) {
            uint8_t a = h->alpn[1], z = h->alpn[n];
            if (alnum(a) && alnum(z)) {
                alpn[0] = (char)a;
                alpn[1] = (char)z;
            } else {
                static const char hx[] = "0123456789abcdef";
                alpn[0] = hx[a >> 4];
                alpn[1] = hx[z & 15];
            }
        }
    }
    snprintf(r->ja4, sizeof r->ja4, "t%s%c%02u%02u%s_%s_%s", vcode, h->has_sni ? 'd' : 'i',
             (unsigned)MM_MIN(nc, 99), (unsigned)MM_MIN(ne, 99), alpn, hb, hc);
}

/* server_name (RFC 6066 section 3): keep the first host_name. */
static void parse_sni(struct app_session *s, struct tls_rec *r, const uint8_t *p, size_t n)
{
    struct cur c = cur_make(p, n);
    uint16_t list = cur_be16(&c);
    if (!cur_ok(&c) || list != cur_left(&c) || list < 3) {
        app_anomaly(s, 0, "INVALID_SNI_LENGTH");
        return;
    }
    while (cur_left(&c)) {
        uint8_t type = cur_u8(&c);
        uint16_t l = cur_be16(&c);
        const uint8_t *name = cur_take(&c, l);
        if (!name) {
            app_anomaly(s, 0, "INVALID_SNI_LENGTH");
            return;
        }
        if (type != 0) {
            app_anomaly(s, 0, "INVALID_SNI_TYPE");
            continue;
        }
        if (r->has_sni)
            continue;
        r->has_sni = true;
        if (l > TLS_SNI_MAX) {
            app_limit_hit(s);
            app_anomaly(s, 0, "INVALID_SNI_LENGTH");
            l = TLS_SNI_MAX;
        }
        memcpy(r->sni, name, l);
        r->sni_len = l;
    }
}

/* protocol_name_list (RFC 7301) into a list; false when malformed. */
static bool parse_alpn(struct app_session *s, struct tls_state *st, int dir,
                       struct tls_list *out, const uint8_t *p, size_t n,
                       const uint8_t **body, size_t *body_len)
{
    struct cur c = cur_make(p, n);
    uint16_t list = cur_be16(&c);
    if (!cur_ok(&c) || list != cur_left(&c)) {
        app_anomaly(s, dir, "INVALID_ALPN");
        return false;
    }
    *body = cur_ptr(&c);
    *body_len = list;
    struct cur v = cur_make(*body, list);
    while (cur_left(&v)) {
        uint8_t l = cur_u8(&v);
        const uint8_t *name = cur_take(&v, l);
        if (!name || l == 0) {
            app_anomaly(s, dir, "INVALID_ALPN");
            return false;
        }
        if (out->n < UINT16_MAX && !list_add(s, out, name, l)) {
            stop(s, st);
            return false;
        }
    }
    return true;
}

/* A u16-length-prefixed list of 16-bit values (or 8-bit when w is 1) of one extension. */
static bool ext_list(const uint8_t *p, size_t n, size_t lenbytes, size_t w, const uint8_t **out,
                     size_t *count)
{
    struct cur c = cur_make(p, n);
    size_t l = lenbytes == 2 ? cur_be16(&c) : cur_u8(&c);
    if (!cur_ok(&c) || l != cur_left(&c) || l % w)
        return false;
    *out = cur_ptr(&c);
    *count = l / w;
    return true;
}

static void client_hello(struct app_session *s, struct tls_state *st, const uint8_t *p,
                         size_t n)
{
    struct tls_rec *r = &st->r;
    if (r->client_hello) /* a second hello (after HelloRetryRequest): the first one counts */
        return;
    r->client_hello = true;
    struct hello h = {0};
    struct cur c = cur_make(p, n);
    h.legacy_version = cur_be16(&c);
    cur_skip(&c, 32); /* random */
    uint8_t sid = cur_u8(&c);
    cur_skip(&c, sid);
    uint16_t cl = cur_be16(&c);
    h.ciphers = cur_take(&c, cl);
    uint8_t compl = cur_u8(&c);
    cur_skip(&c, compl);
    if (!cur_ok(&c) || sid > 32 || cl % 2 || compl == 0) {
        app_anomaly(s, 0, "HANDSHAKE_INVALID_LENGTH");
        return;
    }
    r->client_version = h.legacy_version;
    h.n_ciphers = cl / 2;
    if (cur_left(&c)) {
        uint16_t el = cur_be16(&c);
        h.exts = cur_take(&c, el);
        if (!cur_ok(&c) || cur_left(&c)) {
            app_anomaly(s, 0, "HANDSHAKE_INVALID_LENGTH");
            return;
        }
        h.exts_len = el;
    }
    struct cur e = cur_make(h.exts, h.exts_len);
    bool bad = false;
    unsigned n_sni = 0;
    while (cur_left(&e) && !bad) {
        uint16_t t = cur_be16(&e);
        uint16_t l = cur_be16(&e);
        const uint8_t *b = cur_take(&e, l);
        if (!b) {
            bad = true;
            break;
        }
        switch (t) {
        case EXT_SNI:
            h.has_sni = true;
            if (++n_sni > 1)
                app_anomaly(s, 0, "MULTIPLE_SNI_EXTENSIONS");
            else
                parse_sni(s, r, b, l);
            break;
        case EXT_ALPN:
            if (!h.has_alpn)
                h.has_alpn = parse_alpn(s, st, 0, &r->client_alpns, b, l, &h.alpn, &h.alpn_len);
            if (st->dead)
                return;
            break;
        case EXT_GROUPS:
            bad = !ext_list(b, l, 2, 2, &h.groups, &h.n_groups);
            break;
        case EXT_POINT_FORMATS:
            bad = !ext_list(b, l, 1, 1, &h.pf, &h.n_pf);
            break;
        case EXT_SIG_ALGS:
            bad = !ext_list(b, l, 2, 2, &h.sigalgs, &h.n_sigalgs);
            break;
        case EXT_VERSIONS:
            bad = !ext_list(b, l, 1, 2, &h.versions, &h.n_versions);
            h.has_versions = !bad;
            break;
        default:
            break;
        }
    }
    if (bad) {
        app_anomaly(s, 0, "HANDSHAKE_INVALID_LENGTH");
        return;
    }
    make_ja3(s, st, &h);
    if (!st->dead)
        make_ja4(s, st, &h);
}

/* An SSLv2-framed ClientHello (draft-hickman SSL 2.0, RFC 6101 appendix E.2): recognised
 * and flagged; its cipher specs are 3 bytes wide, so JA3/JA4 are not computed for it. */
static void sslv2_hello(struct app_session *s, struct tls_state *st, const uint8_t *p, size_t n)
{
    struct tls_rec *r = &st->r;
    struct cur c = cur_make(p, n);
    uint8_t type = cur_u8(&c);
    uint16_t ver = cur_be16(&c);
    uint16_t cs = cur_be16(&c), sid = cur_be16(&c), ch = cur_be16(&c);
    if (!cur_ok(&c) || type != 1 || (size_t)cs + sid + ch != cur_left(&c) || cs % 3) {
        app_anomaly(s, 0, "INVALID_SSLV2_HEADER");
        return;
    }
    if (r->client_hello)
        return;
    r->client_hello = true;
    r->sslv2_hello = true;
    r->client_version = ver;
}

/* ---------- ServerHello ---------- */

static void server_hello(struct app_session *s, struct tls_state *st, const uint8_t *p,
                         size_t n)
{
    struct tls_rec *r = &st->r;
    struct cur c = cur_make(p, n);
    uint16_t legacy = cur_be16(&c);
    const uint8_t *random = cur_take(&c, 32);
    uint8_t sid = cur_u8(&c);
    cur_skip(&c, sid);
    uint16_t cipher = cur_be16(&c);
    cur_u8(&c); /* compression */
    const uint8_t *exts = NULL;
    uint16_t el = 0;
    if (cur_ok(&c) && cur_left(&c)) {
        el = cur_be16(&c);
        exts = cur_take(&c, el);
        if (cur_left(&c))
            cur_skip(&c, SIZE_MAX); /* trailing bytes: malformed */
    }
    if (!cur_ok(&c) || sid > 32) {
        app_anomaly(s, 1, "HANDSHAKE_INVALID_LENGTH");
        return;
    }
    bool hrr = memcmp(random, hrr_random, 32) == 0;
    uint16_t selected = 0;
    bool psk = false;
    struct sbuf b = {0};
    sb_u16(s, &b, legacy, false);
    sb_putn(s, &b, ",", 1);
    sb_u16(s, &b, cipher, false);
    sb_putn(s, &b, ",", 1);
    struct cur e = cur_make(exts, el);
    bool first = true, bad = false;
    list_free(s, &r->server_alpns);
    while (cur_left(&e)) {
        uint16_t t = cur_be16(&e);
        uint16_t l = cur_be16(&e);
        const uint8_t *x = cur_take(&e, l);
        if (!x) {
            bad = true;
            break;
        }
        if (!tls_is_grease(t)) {
            sb_u16(s, &b, t, !first);
            first = false;
        }
        if (t == EXT_VERSIONS && l == 2)
            selected = be16(x);
        else if (t == EXT_PSK)
            psk = true;
        else if (t == EXT_ALPN) {
            const uint8_t *body;
            size_t blen;
            parse_alpn(s, st, 1, &r->server_alpns, x, l, &body, &blen);
            if (st->dead) {
                app_free(s, b.p, b.cap);
                return;
            }
        }
    }
    if (b.err) {
        app_free(s, b.p, b.cap);
        stop(s, st);
        return;
    }
    if (bad)
        app_anomaly(s, 1, "HANDSHAKE_INVALID_LENGTH");
    app_free(s, r->ja3s, r->ja3s_cap);
    r->ja3s = b.p;
    r->ja3s_cap = b.cap;
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    r->ja3s_hash[0] = 0;
    if (EVP_Digest(b.p, b.len, md, &mdlen, EVP_md5(), NULL) && mdlen == 16)
        hex_lower(md, 16, r->ja3s_hash);

    r->cipher = cipher;
    r->has_cipher = true;
    if (hrr) {
        r->hrr = true; /* the real ServerHello follows the client's second hello */
        return;
    }
    r->server_hello = true;
    r->version = selected ? selected : legacy;
    if (r->version == TLS_V_13 || (r->version & 0xff00) == 0x7f00) {
        /* Everything after this message is encrypted, in both directions. */
        st->tls13 = true;
        r->resumed = psk;
        st->d[0].encrypted = st->d[1].encrypted = true;
    }
    /* <= 1.2: an abbreviated handshake shows as the server's ChangeCipherSpec without a
     * Certificate before it (record_start); an echoed session id alone proves nothing. */
}

/* ---------- Certificate ---------- */

/* Attribute names as Suricata prints them (x509-parser's abbreviations). */
static const char *attr_name(const ASN1_OBJECT *o, char *buf, size_t n)
{
    int nid = OBJ_obj2nid(o);
    switch (nid) {
    case NID_commonName: return "CN";
    case NID_countryName: return "C";
    case NID_localityName: return "L";
    case NID_stateOrProvinceName: return "ST";
    case NID_organizationName: return "O";
    case NID_organizationalUnitName: return "OU";
    case NID_domainComponent: return "DC";
    case NID_pkcs9_emailAddress: return "Email";
    case NID_undef: break;
    default: return OBJ_nid2ln(nid);
    }
    OBJ_obj2txt(buf, (int)n, o, 1);
    return buf;
}

/* "C=US, O=Org, CN=name" in certificate order; several values of one RDN joined by " + ".
 * Cut at TLS_DN_MAX bytes. Returns an app_alloc'ed string (cap in *cap) or NULL. */
static char *name_text(struct app_session *s, const X509_NAME *nm, size_t *cap)
{
    struct sbuf b = {0};
    int cnt = X509_NAME_entry_count(nm);
    int prev_set = -1;
    for (int i = 0; i < cnt && b.len < TLS_DN_MAX; i++) {
        const X509_NAME_ENTRY *ne = X509_NAME_get_entry(nm, i);
        int set = X509_NAME_ENTRY_set(ne);
        if (i)
            sb_putn(s, &b, set == prev_set ? " + " : ", ", set == prev_set ? 3 : 2);
        prev_set = set;
        char ob[80];
        const char *an = attr_name(X509_NAME_ENTRY_get_object(ne), ob, sizeof ob);
        sb_putn(s, &b, an, strlen(an));
        sb_putn(s, &b, "=", 1);
        const ASN1_STRING *v = X509_NAME_ENTRY_get_data(ne);
        unsigned char *u = NULL;
        int ul = ASN1_STRING_to_UTF8(&u, v);
        if (ul >= 0) {
            sb_putn(s, &b, (const char *)u, (size_t)ul);
            OPENSSL_free(u);
        } else {
            /* Not a string type: its content octets in hex. */
            int vl = ASN1_STRING_length(v);
            const unsigned char *vd = ASN1_STRING_get0_data(v);
            for (int k = 0; k < vl && b.len < TLS_DN_MAX; k++) {
                char t[3];
                hex_lower(vd + k, 1, t);
                sb_putn(s, &b, t, 2);
            }
        }
    }
    if (b.err) {
        app_free(s, b.p, b.cap);
        return NULL;
    }
    if (!b.p)
        sb_putn(s, &b, "", 0);
    if (b.err)
        return NULL;
    if (b.len > TLS_DN_MAX) {
        b.len = TLS_DN_MAX;
        b.p[b.len] = 0;
    }
    *cap = b.cap;
    return b.p;
}

static void time_text(const ASN1_TIME *t, char out[TLS_DATE_LEN + 1])
{
    struct tm tm;
    out[0] = 0;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return;
    int year = tm.tm_year + 1900;
    if (year < 1000 || year > 2999) /* EVE's tls_date pattern */
        return;
    char tb[64];
    snprintf(tb, sizeof tb, "%04d-%02d-%02dT%02d:%02d:%02d", year, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tb, TLS_DATE_LEN);
    out[TLS_DATE_LEN] = 0;
}

static void cert_fill(struct app_session *s, struct tls_state *st, X509 *x, const uint8_t *der,
                      size_t len)
{
    struct tls_cert *c = &st->r.cert;
    c->subject = name_text(s, X509_get_subject_name(x), &c->subject_cap);
    c->issuer = name_text(s, X509_get_issuer_name(x), &c->issuer_cap);
    if (!c->subject || !c->issuer) {
        stop(s, st);
        return;
    }
    /* Serial: the INTEGER's content octets as encoded (Suricata shows the raw bytes, a
     * leading 00 included), from the DER re-encoding: tag 02, length, content. */
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    int dl = sn ? i2d_ASN1_INTEGER(sn, NULL) : 0;
    if (dl > 2 && dl <= TLS_SERIAL_MAX + 4) {
        uint8_t raw[TLS_SERIAL_MAX + 4];
        unsigned char *pp = raw;
        i2d_ASN1_INTEGER(sn, &pp);
        size_t hl = raw[1] < 0x80 ? 2 : 2 + (raw[1] & 0x7fu);
        size_t sl = (size_t)dl > hl ? (size_t)dl - hl : 0;
        if (sl > TLS_SERIAL_MAX)
            sl = TLS_SERIAL_MAX;
        static const char HX[] = "0123456789ABCDEF";
        for (size_t i = 0; i < sl; i++) {
            c->serial[3 * i] = HX[raw[hl + i] >> 4];
            c->serial[3 * i + 1] = HX[raw[hl + i] & 15];
            c->serial[3 * i + 2] = i + 1 < sl ? ':' : 0;
        }
    } else if (dl > TLS_SERIAL_MAX + 4) {
        app_anomaly(s, 1, "CERTIFICATE_INVALID_SERIAL");
    }
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_Digest(der, len, md, &mdlen, EVP_sha1(), NULL) && mdlen == 20) {
        static const char hx[] = "0123456789abcdef";
        for (int i = 0; i < 20; i++) {
            c->fingerprint[3 * i] = hx[md[i] >> 4];
            c->fingerprint[3 * i + 1] = hx[md[i] & 15];
            c->fingerprint[3 * i + 2] = i < 19 ? ':' : 0;
        }
    }
    time_text(X509_get0_notBefore(x), c->notbefore);
    time_text(X509_get0_notAfter(x), c->notafter);
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (gens) {
        int k = sk_GENERAL_NAME_num(gens);
        for (int i = 0; i < k && c->san.n < TLS_SAN_MAX; i++) {
            const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
            if (g->type != GEN_DNS)
                continue;
            int l = ASN1_STRING_length(g->d.dNSName);
            if (l < 0 || l > UINT16_MAX)
                continue;
            if (!list_add(s, &c->san, ASN1_STRING_get0_data(g->d.dNSName), (uint16_t)l)) {
                stop(s, st);
                break;
            }
        }
        GENERAL_NAMES_free(gens);
    }
    st->r.has_cert = true;
}

/* Certificate (RFC 5246 7.4.2): certificate_list of 3-byte-length DER certificates. */
static void certificate(struct app_session *s, struct tls_state *st, const uint8_t *p, size_t n)
{
    struct tls_rec *r = &st->r;
    st->server_full = true;
    if (r->n_certs) /* a second Certificate message (renegotiation is encrypted): ignore */
        return;
    struct cur c = cur_make(p, n);
    uint32_t total = (uint32_t)cur_u8(&c) << 16;
    total |= cur_be16(&c);
    if (!cur_ok(&c) || total != cur_left(&c)) {
        app_anomaly(s, 1, "CERTIFICATE_INVALID_LENGTH");
        return;
    }
    while (cur_left(&c) && !st->dead) {
        uint32_t l = (uint32_t)cur_u8(&c) << 16;
        l |= cur_be16(&c);
        const uint8_t *der = cur_take(&c, l);
        if (!der || l == 0) {
            app_anomaly(s, 1, "CERTIFICATE_INVALID_LENGTH");
            return;
        }
        if (r->n_certs < UINT16_MAX)
            r->n_certs++;
        /* Kept for rules (tls.certs); a refused charge only loses this copy. */
        if (r->certs.n < TLS_CERTS_MAX && l <= UINT16_MAX)
            (void)list_add(s, &r->certs, der, (uint16_t)l);
        const unsigned char *q = der;
        X509 *x = d2i_X509(NULL, &q, (long)l);
        if (!x || q != der + l) {
            app_anomaly(s, 1, "CERTIFICATE_INVALID_DER");
            X509_free(x);
            continue;
        }
        if (!r->has_cert && r->n_certs == 1)
            cert_fill(s, st, x, der, l);
        X509_free(x);
    }
}

/* ---------- handshake messages and records ---------- */

static bool known_hs_type(uint8_t t)
{
    switch (t) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 8: case 11: case 12: case 13:
    case 14: case 15: case 16: case 20: case 21: case 22: case 23: case 24: case 25: case 254:
        return true;
    default:
        return false;
    }
}

static void hs_message(struct app_session *s, struct tls_state *st, int dir, uint8_t type,
                       const uint8_t *p, size_t n)
{
    if (!known_hs_type(type)) {
        app_anomaly(s, dir, "INVALID_HANDSHAKE_MESSAGE");
        return;
    }
    if (dir == 0) {
        if (type == HS_CLIENT_HELLO)
            client_hello(s, st, p, n);
        return;
    }
    if (type == HS_SERVER_HELLO)
        server_hello(s, st, p, n);
    else if (type == HS_CERTIFICATE)
        certificate(s, st, p, n);
    else if (type == 12 || type == 14)
        st->server_full = true;
}

/* Handshake-record content of direction dir (cleartext). */
static void hs_feed(struct app_session *s, struct tls_state *st, int dir, const uint8_t *p,
                    size_t n)
{
    struct tls_dir *d = &st->d[dir];
    uint32_t max = app_cfg(s)->tls_max_record_bytes;
    while (n && !st->dead && !d->encrypted) {
        if (d->hs_skip) {
            size_t k = MM_MIN(n, (size_t)d->hs_skip);
            d->hs_skip -= (uint32_t)k;
            p += k;
            n -= k;
            continue;
        }
        if (d->hs_hdr_have < 4) {
            d->hs_hdr[d->hs_hdr_have++] = *p++;
            n--;
            if (d->hs_hdr_have < 4)
                continue;
            d->hs_len = (uint32_t)d->hs_hdr[1] << 16 | (uint32_t)d->hs_hdr[2] << 8 | d->hs_hdr[3];
            d->hs_have = 0;
            if (d->hs_len > max) {
                app_limit_hit(s);
                app_anomaly(s, dir, "HANDSHAKE_MESSAGE_TOO_LONG");
                d->hs_skip = d->hs_len;
                d->hs_hdr_have = 0;
                continue;
            }
            if (d->hs_len > d->hs_cap) {
                uint8_t *nb = d->hs_buf ? app_realloc(s, d->hs_buf, d->hs_cap, d->hs_len)
                                        : app_alloc(s, d->hs_len);
                if (!nb) {
                    stop(s, st);
                    return;
                }
                d->hs_buf = nb;
                d->hs_cap = d->hs_len;
            }
        } else {
            size_t k = MM_MIN(n, (size_t)(d->hs_len - d->hs_have));
            memcpy(d->hs_buf + d->hs_have, p, k);
            d->hs_have += (uint32_t)k;
            p += k;
            n -= k;
        }
        if (d->hs_hdr_have == 4 && d->hs_have == d->hs_len) {
            d->hs_hdr_have = 0;
            hs_message(s, st, dir, d->hs_hdr[0], d->hs_buf, d->hs_len);
        }
    }
}

static bool anything_seen(const struct tls_rec *r)
{
    return r->client_hello || r->server_hello || r->hrr || r->n_certs;
}

static void emit(struct app_session *s, struct tls_state *st, int dir)
{
    if (st->emitted || !anything_seen(&st->r))
        return;
    st->emitted = true;
    app_emit(s, dir, APP_REC_TLS, &st->r);
    /* Nothing more is read from the handshake: give its buffers back. */
    for (int i = 0; i < 2; i++) {
        app_free(s, st->d[i].hs_buf, st->d[i].hs_cap);
        st->d[i].hs_buf = NULL;
        st->d[i].hs_cap = 0;
        st->d[i].encrypted = true;
    }
}

/* A record header of direction dir was read: check it, note what it says. */
static bool record_start(struct app_session *s, struct tls_state *st, int dir)
{
    struct tls_dir *d = &st->d[dir];
    uint8_t type = d->hdr[0];
    uint16_t len = be16(d->hdr + 3);
    if (type < REC_CCS || type > REC_HEARTBEAT) {
        app_anomaly(s, dir, "INVALID_RECORD_TYPE");
        return false;
    }
    if (d->hdr[1] != 3 || d->hdr[2] > 4) {
        app_anomaly(s, dir, "INVALID_RECORD_VERSION");
        return false;
    }
    if (len > TLS_RECORD_MAX) {
        app_anomaly(s, dir, "INVALID_RECORD_LENGTH");
        return false;
    }
    d->rec_type = type;
    d->rec_left = len;
    d->in_record = true;
    d->records++;
    struct tls_rec *r = &st->r;
    if (type == REC_CCS) {
        d->ccs = true;
        /* TLS 1.3 middlebox-compatibility CCS (RFC 8446 D.4), also around a
         * HelloRetryRequest, changes nothing; in <= 1.2 what follows is encrypted. */
        if (!st->tls13 && !(r->hrr && !r->server_hello)) {
            d->encrypted = true;
            if (dir == 1 && r->server_hello) {
                if (!st->server_full)
                    r->resumed = true;
                r->handshake_done = true;
                emit(s, st, dir);
            }
        }
    } else if (type == REC_APPDATA) {
        d->appdata = true;
        if (dir == 1 && st->tls13) {
            r->handshake_done = true;
            emit(s, st, dir);
        } else if (st->d[0].appdata && st->d[1].appdata) {
            r->handshake_done = r->server_hello;
            emit(s, st, dir);
        }
    } else if (type == REC_HEARTBEAT) {
        app_anomaly(s, dir, "HEARTBEAT_MESSAGE");
    }
    return true;
}

static void tls_data(struct app_session *s, void *vst, int dir, const uint8_t *data, size_t len)
{
    struct tls_state *st = vst;
    dir = dir ? 1 : 0;
    struct tls_dir *d = &st->d[dir];
    while (len && !st->dead) {
        if (!d->in_record) {
            d->hdr[d->hdr_have++] = *data++;
            len--;
            /* SSLv2 framing: only a client's very first record (2-byte header, high bit). */
            if (d->hdr_have == 3 && dir == 0 && d->records == 0 && (d->hdr[0] & 0x80) &&
                d->hdr[2] == 1) {
                uint32_t l = (uint32_t)(d->hdr[0] & 0x7f) << 8 | d->hdr[1];
                uint32_t max = app_cfg(s)->tls_max_record_bytes;
                if (l < 9 || l > max) {
                    if (l > max)
                        app_limit_hit(s);
                    app_anomaly(s, dir, "INVALID_SSLV2_HEADER");
                    stop(s, st);
                    return;
                }
                if (l > d->hs_cap) {
                    uint8_t *nb = d->hs_buf ? app_realloc(s, d->hs_buf, d->hs_cap, l)
                                            : app_alloc(s, l);
                    if (!nb) {
                        stop(s, st);
                        return;
                    }
                    d->hs_buf = nb;
                    d->hs_cap = l;
                }
                d->hs_buf[0] = 1;
                d->hs_have = 1;
                d->hs_len = l;
                d->rec_type = REC_SSL2;
                d->rec_left = l - 1;
                d->in_record = true;
                d->records++;
                d->hdr_have = 0;
                continue;
            }
            if (d->hdr_have < 5)
                continue;
            d->hdr_have = 0;
            if (!record_start(s, st, dir)) {
                stop(s, st);
                return;
            }
            if (d->rec_left)
                continue;
        } else {
            size_t k = MM_MIN(len, (size_t)d->rec_left);
            if (d->rec_type == REC_HANDSHAKE && !d->encrypted)
                hs_feed(s, st, dir, data, k);
            else if (d->rec_type == REC_SSL2 && d->hs_buf) {
                /* hs_buf is gone when the record was emitted meanwhile (emit frees the
                 * handshake buffers): the rest of this hello is not needed. */
                memcpy(d->hs_buf + d->hs_have, data, k);
                d->hs_have += (uint32_t)k;
            }
            data += k;
            len -= k;
            d->rec_left -= (uint32_t)k;
            if (d->rec_left || st->dead)
                continue;
        }
        /* Record complete. */
        d->in_record = false;
        if (d->rec_type == REC_SSL2) {
            if (d->hs_buf)
                sslv2_hello(s, st, d->hs_buf, d->hs_len);
            d->hs_have = 0;
        }
    }
}

/* ---------- hooks ---------- */

static void *tls_new(struct app_session *s)
{
    return app_calloc(s, sizeof(struct tls_state));
}

static void tls_gap(struct app_session *s, void *vst, int dir, uint32_t len)
{
    (void)len;
    struct tls_state *st = vst;
    /* Record boundaries are lost with the bytes: report what was seen and stop. */
    st->r.gap = true;
    emit(s, st, dir ? 1 : 0);
    stop(s, st);
}

static void tls_end(struct app_session *s, void *vst, int dir)
{
    struct tls_state *st = vst;
    st->d[dir ? 1 : 0].ended = true;
    if (st->d[0].ended && st->d[1].ended)
        emit(s, st, dir ? 1 : 0);
}

static void tls_free(struct app_session *s, void *vst)
{
    struct tls_state *st = vst;
    if (!st)
        return;
    emit(s, st, 1);
    struct tls_rec *r = &st->r;
    for (int i = 0; i < 2; i++)
        app_free(s, st->d[i].hs_buf, st->d[i].hs_cap);
    list_free(s, &r->client_alpns);
    list_free(s, &r->server_alpns);
    list_free(s, &r->cert.san);
    list_free(s, &r->certs);
    app_free(s, r->cert.subject, r->cert.subject_cap);
    app_free(s, r->cert.issuer, r->cert.issuer_cap);
    app_free(s, r->ja3, r->ja3_cap);
    app_free(s, r->ja3s, r->ja3s_cap);
    app_free(s, st, sizeof *st);
}

const struct app_parser app_parser_tls = {
    .proto = APP_PROTO_TLS,
    .state_new = tls_new,
    .state_free = tls_free,
    .data = tls_data,
    .gap = tls_gap,
    .end = tls_end,
};
