/*
 * TLS parser (src/app/tls.c) through the public session API: conversations built with the
 * small writer below (ClientHello / ServerHello / Certificate / records), each fed whole and
 * in chunks of 1, 2, 3, 7 bytes and random sizes; the tls records (as EVE text from
 * eve_put_tls) and the anomaly names must be the same for every chunking. Certificates are
 * generated with OpenSSL at test time. JA3/JA3S of a real handshake are checked against
 * tshark's values, JA4 against the FoxIO specification's example and the Suricata-verify
 * ja4-tls case.
 */
#include "app/tls.h"
#include "app_harness.h"
#include "core/mem.h"
#include "core/mm.h"

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* ---------- byte writer ---------- */

struct buf {
    uint8_t *b;
    size_t n, cap;
};

static void put(struct buf *m, const void *p, size_t n)
{
    if (m->n + n > m->cap) {
        m->cap = (m->n + n) * 2 + 64;
        m->b = realloc(m->b, m->cap);
        assert_non_null(m->b);
    }
    if (n)
        memcpy(m->b + m->n, p, n);
    m->n += n;
}

static void u8(struct buf *m, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(m, &b, 1);
}

static void u16(struct buf *m, unsigned v)
{
    u8(m, v >> 8);
    u8(m, v);
}

static void u24(struct buf *m, unsigned v)
{
    u8(m, v >> 16);
    u16(m, v & 0xffff);
}

/* Open a length field of w bytes; len_close fills it with what was written since. */
static size_t len_open(struct buf *m, int w)
{
    size_t at = m->n;
    for (int i = 0; i < w; i++)
        u8(m, 0);
    return at;
}

static void len_close(struct buf *m, size_t at, int w)
{
    size_t l = m->n - at - (size_t)w;
    for (int i = w - 1; i >= 0; i--) {
        m->b[at + (size_t)i] = (uint8_t)l;
        l >>= 8;
    }
}

static void buf_free(struct buf *m)
{
    free(m->b);
    memset(m, 0, sizeof *m);
}

static void hex_in(struct buf *m, const char *hex)
{
    for (size_t i = 0; hex[i] && hex[i + 1]; i += 2) {
        unsigned v;
        sscanf(hex + i, "%2x", &v);
        u8(m, v);
    }
}

/* ---------- TLS builders ---------- */

struct ch {
    uint16_t version;
    uint8_t sid_len;
    const uint16_t *ciphers;
    size_t nc;
    const uint16_t *exts; /* extension types in order; bodies filled in by type */
    size_t ne;
    const char *sni;
    const char *alpn[4];
    const uint16_t *groups;
    size_t ng;
    const uint16_t *sigs;
    size_t ns;
    const uint16_t *versions;
    size_t nv;
};

static void ext_body(struct buf *m, const struct ch *c, uint16_t type)
{
    size_t l, l2;
    switch (type) {
    case 0x0000:
        l = len_open(m, 2);
        u8(m, 0);
        l2 = len_open(m, 2);
        put(m, c->sni, strlen(c->sni));
        len_close(m, l2, 2);
        len_close(m, l, 2);
        break;
    case 0x0010:
        l = len_open(m, 2);
        for (int i = 0; i < 4 && c->alpn[i]; i++) {
            u8(m, (unsigned)strlen(c->alpn[i]));
            put(m, c->alpn[i], strlen(c->alpn[i]));
        }
        len_close(m, l, 2);
        break;
    case 0x000a:
        l = len_open(m, 2);
        for (size_t i = 0; i < c->ng; i++)
            u16(m, c->groups[i]);
        len_close(m, l, 2);
        break;
    case 0x000b:
        u8(m, 1);
        u8(m, 0);
        break;
    case 0x000d:
        l = len_open(m, 2);
        for (size_t i = 0; i < c->ns; i++)
            u16(m, c->sigs[i]);
        len_close(m, l, 2);
        break;
    case 0x002b:
        l = len_open(m, 1);
        for (size_t i = 0; i < c->nv; i++)
            u16(m, c->versions[i]);
        len_close(m, l, 1);
        break;
    default:
        if (tls_is_grease(type))
            u8(m, 0); /* Chrome's GREASE extensions carry one zero byte */
        break;
    }
}

/* Handshake message: type, 3-byte length, body. */
static void hs_msg(struct buf *out, unsigned type, const struct buf *body)
{
    u8(out, type);
    u24(out, (unsigned)body->n);
    put(out, body->b, body->n);
}

static void client_hello_body(struct buf *m, const struct ch *c)
{
    u16(m, c->version);
    for (int i = 0; i < 32; i++)
        u8(m, (unsigned)i);
    u8(m, c->sid_len);
    for (int i = 0; i < c->sid_len; i++)
        u8(m, 0xa0u + (unsigned)i);
    size_t l = len_open(m, 2);
    for (size_t i = 0; i < c->nc; i++)
        u16(m, c->ciphers[i]);
    len_close(m, l, 2);
    u8(m, 1);
    u8(m, 0);
    if (c->ne) {
        size_t el = len_open(m, 2);
        for (size_t i = 0; i < c->ne; i++) {
            u16(m, c->exts[i]);
            size_t bl = len_open(m, 2);
            ext_body(m, c, c->exts[i]);
            len_close(m, bl, 2);
        }
        len_close(m, el, 2);
    }
}

static void client_hello(struct buf *hs, const struct ch *c)
{
    struct buf b = {0};
    client_hello_body(&b, c);
    hs_msg(hs, 1, &b);
    buf_free(&b);
}

/* ServerHello; sv: supported_versions value (0: none); alpn (NULL: none); hrr. */
static void server_hello(struct buf *hs, uint16_t legacy, uint16_t cipher, uint8_t sid_len,
                         uint16_t sv, const char *alpn, bool hrr, bool psk)
{
    static const uint8_t hrr_random[32] = {
        0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
        0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c};
    struct buf b = {0};
    u16(&b, legacy);
    if (hrr)
        put(&b, hrr_random, 32);
    else
        for (int i = 0; i < 32; i++)
            u8(&b, 0x40u + (unsigned)i);
    u8(&b, sid_len);
    for (int i = 0; i < sid_len; i++)
        u8(&b, 0xa0u + (unsigned)i);
    u16(&b, cipher);
    u8(&b, 0);
    size_t el = len_open(&b, 2);
    u16(&b, 0xff01);
    u16(&b, 1);
    u8(&b, 0);
    if (sv) {
        u16(&b, 0x002b);
        u16(&b, 2);
        u16(&b, sv);
    }
    if (alpn) {
        u16(&b, 0x0010);
        size_t l = len_open(&b, 2);
        size_t l2 = len_open(&b, 2);
        u8(&b, (unsigned)strlen(alpn));
        put(&b, alpn, strlen(alpn));
        len_close(&b, l2, 2);
        len_close(&b, l, 2);
    }
    if (psk) {
        u16(&b, 0x0029);
        u16(&b, 2);
        u16(&b, 0);
    }
    len_close(&b, el, 2);
    hs_msg(hs, 2, &b);
    buf_free(&b);
}

static void certificate_msg(struct buf *hs, struct buf *ders, size_t n)
{
    struct buf b = {0};
    size_t l = len_open(&b, 3);
    for (size_t i = 0; i < n; i++) {
        u24(&b, (unsigned)ders[i].n);
        put(&b, ders[i].b, ders[i].n);
    }
    len_close(&b, l, 3);
    hs_msg(hs, 11, &b);
    buf_free(&b);
}

static void empty_msg(struct buf *hs, unsigned type)
{
    struct buf b = {0};
    hs_msg(hs, type, &b);
}

/* Frame bytes as records of `type`, at most frag bytes each. */
static void records(struct buf *out, unsigned type, const struct buf *in, size_t frag)
{
    size_t off = 0;
    do {
        size_t k = MM_MIN(frag, in->n - off);
        u8(out, type);
        u16(out, 0x0303);
        u16(out, (unsigned)k);
        put(out, in->b + off, k);
        off += k;
    } while (off < in->n);
}

static void ccs(struct buf *out)
{
    u8(out, 20);
    u16(out, 0x0303);
    u16(out, 1);
    u8(out, 1);
}

static void appdata(struct buf *out, size_t n)
{
    u8(out, 23);
    u16(out, 0x0303);
    u16(out, (unsigned)n);
    for (size_t i = 0; i < n; i++)
        u8(out, 0x55);
}

/* ---------- conversations and the harness ---------- */

#define MAX_SEG 12

struct seg {
    int dir;          /* 0 client to server, 1 server to client, 2 gap of dir `gap_dir` */
    struct buf data;
    int gap_dir;
};

struct conv {
    struct seg seg[MAX_SEG];
    int n;
};

static struct buf *conv_add(struct conv *c, int dir)
{
    assert_true(c->n < MAX_SEG);
    c->seg[c->n].dir = dir;
    return &c->seg[c->n++].data;
}

static void conv_gap(struct conv *c, int dir)
{
    assert_true(c->n < MAX_SEG);
    c->seg[c->n].dir = 2;
    c->seg[c->n].gap_dir = dir;
    c->n++;
}

static void conv_free(struct conv *c)
{
    for (int i = 0; i < c->n; i++)
        buf_free(&c->seg[i].data);
    c->n = 0;
}

/* The harness's capture of one run: records as "<dir> tls <json>" and "<dir> anomaly
 * {"event":...}" lines (out), counted. */
struct result {
    struct ah_out o;
    const char *out;
    int n_tls, n_anom;
};

/* The conversation as a harness script (gaps of 100 bytes); st has MAX_SEG + 1 steps. */
static void conv_steps(const struct conv *c, struct ah_step *st)
{
    int k = 0;
    for (int i = 0; i < c->n; i++) {
        const struct seg *g = &c->seg[i];
        if (g->dir == 2)
            st[k++] = (struct ah_step){AH_GAP, g->gap_dir, NULL, 100, NULL};
        else if (g->data.n) /* (len 0 would mean strlen) */
            st[k++] = (struct ah_step){AH_DATA, g->dir, (const char *)g->data.b, g->data.n, NULL};
    }
    st[k] = (struct ah_step){AH_STOP, 0, NULL, 0, NULL};
}

static void result_done(struct result *res)
{
    res->out = res->o.s;
    res->n_tls = (int)res->o.n[APP_REC_TLS];
    res->n_anom = (int)res->o.n[APP_REC_ANOMALY];
}

/* chunk: 0 whole segments, > 0 that many bytes, < 0 random sizes 1..97 with seed -chunk.
 * Every anomaly must be a TLS one; the context's counters land in *stats. */
static void run_cfg(const struct conv *c, int chunk, const struct app_config *cfg,
                    struct result *res, struct app_stats *stats)
{
    struct ah_step st[MAX_SEG + 1];
    conv_steps(c, st);
    struct ah_chunks ch = {0};
    if (chunk > 0)
        ch.size = (size_t)chunk;
    else if (chunk < 0)
        ch = (struct ah_chunks){.rand_max = 97, .seed = (uint32_t)-chunk};
    res->o.anomaly_proto = APP_PROTO_TLS;
    ah_run(&res->o, APP_PROTO_TLS, cfg, st, &ch);
    result_done(res);
    if (stats)
        *stats = res->o.stats;
}

static void run(const struct conv *c, int chunk, struct result *res)
{
    run_cfg(c, chunk, NULL, res, NULL);
}

/* Same output for every chunking (ah_run_all); returns the whole-segment result in *res. */
static void run_all(const struct conv *c, struct result *res)
{
    struct ah_step st[MAX_SEG + 1];
    conv_steps(c, st);
    res->o.anomaly_proto = APP_PROTO_TLS;
    ah_run_all(&res->o, APP_PROTO_TLS, NULL, st, "tls conversation");
    result_done(res);
}

static void expect_has(const struct result *r, const char *needle)
{
    if (!strstr(r->out, needle))
        fail_msg("missing %s in\n  %s", needle, r->out);
}

static void expect_not(const struct result *r, const char *needle)
{
    if (strstr(r->out, needle))
        fail_msg("unexpected %s in\n  %s", needle, r->out);
}

/* ---------- common hellos ---------- */

/* The example of FoxIO's JA4 specification (technical_details/JA4.md). */
static const uint16_t foxio_ciphers[] = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f,
                                         0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
                                         0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const uint16_t foxio_exts[] = {0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017,
                                      0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
                                      0xff01, 0x000b, 0x000a, 0x0015};
static const uint16_t foxio_sigs[] = {0x0403, 0x0804, 0x0401, 0x0503,
                                      0x0805, 0x0501, 0x0806, 0x0601};
static const uint16_t groups[] = {0x001d, 0x0017, 0x0018};
static const uint16_t v13[] = {0x0304, 0x0303};

static struct ch foxio_hello(void)
{
    struct ch c = {.version = 0x0303, .sid_len = 32, .ciphers = foxio_ciphers,
                   .nc = MM_ARRAY_LEN(foxio_ciphers), .exts = foxio_exts,
                   .ne = MM_ARRAY_LEN(foxio_exts), .sni = "www.example.com",
                   .alpn = {"h2", "http/1.1"}, .groups = groups, .ng = 3, .sigs = foxio_sigs,
                   .ns = MM_ARRAY_LEN(foxio_sigs), .versions = v13, .nv = 2};
    return c;
}

static void add_client_hello(struct conv *cv, const struct ch *c, size_t frag)
{
    struct buf hs = {0};
    client_hello(&hs, c);
    records(conv_add(cv, 0), 22, &hs, frag);
    buf_free(&hs);
}

/* ---------- tests ---------- */

/* ClientHello with SNI and ALPN: SNI, ALPN list, JA3 string, JA4 = the spec's example. */
static void test_tls_client_hello_sni_alpn(void **state)
{
    (void)state;
    static struct result r;
    struct conv cv = {0};
    struct ch c = foxio_hello();
    add_client_hello(&cv, &c, 16384);
    run_all(&cv, &r);
    assert_int_equal(r.n_tls, 1);
    assert_int_equal(r.n_anom, 0);
    expect_has(&r, "\"sni\":\"www.example.com\"");
    expect_has(&r, "\"client_alpns\":[\"h2\",\"http/1.1\"]");
    expect_has(&r, "\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"");
    expect_has(&r, "\"string\":\"771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-"
                   "49172-156-157-47-53,27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,"
                   "29-23-24,0\"");
    expect_has(&r, "\"version\":\"UNDETERMINED\"");
    expect_has(&r, "\"client_version\":\"TLS 1.2\"");
    conv_free(&cv);
}

/* Without SNI and ALPN: JA4 has "i" and "00", no sni member. Without extensions at all:
 * the JA4 extension hash is twelve zeros and JA3 has empty fields. */
static void test_tls_client_hello_no_sni(void **state)
{
    (void)state;
    static struct result r;
    struct conv cv = {0};
    static const uint16_t exts[] = {0x000a, 0x000b, 0x000d};
    struct ch c = foxio_hello();
    c.exts = exts;
    c.ne = 3;
    c.nv = 0;
    add_client_hello(&cv, &c, 16384);
    run_all(&cv, &r);
    expect_not(&r, "\"sni\"");
    expect_has(&r, "\"ja4\":\"t12i150300_8daaf6152771_");
    conv_free(&cv);

    struct ch bare = {.version = 0x0301, .ciphers = foxio_ciphers + 13, .nc = 2};
    add_client_hello(&cv, &bare, 16384);
    run_all(&cv, &r);
    expect_has(&r, "\"string\":\"769,47-53,,,\"");
    expect_has(&r, "\"ja4\":\"t10i020000_");
    expect_has(&r, "_000000000000\"");
    conv_free(&cv);
}

/* GREASE values are left out of JA3 and JA4 (ciphers, extensions, groups, versions,
 * signature algorithms): the result equals the hello without them. */
static void test_tls_grease(void **state)
{
    (void)state;
    static struct result plain, greased;
    struct conv cv = {0};
    struct ch c = foxio_hello();
    add_client_hello(&cv, &c, 16384);
    run(&cv, 0, &plain);
    conv_free(&cv);

    uint16_t ciphers[32], exts[32], grp[8], sigs[16], vers[4];
    ciphers[0] = 0x2a2a;
    memcpy(ciphers + 1, foxio_ciphers, sizeof foxio_ciphers);
    exts[0] = 0x8a8a;
    memcpy(exts + 1, foxio_exts, sizeof foxio_exts);
    exts[MM_ARRAY_LEN(foxio_exts) + 1] = 0xfafa;
    grp[0] = 0x4a4a;
    memcpy(grp + 1, groups, sizeof groups);
    sigs[0] = 0x0a0a;
    memcpy(sigs + 1, foxio_sigs, sizeof foxio_sigs);
    vers[0] = 0xdada;
    memcpy(vers + 1, v13, sizeof v13);
    c.ciphers = ciphers;
    c.nc++;
    c.exts = exts;
    c.ne += 2;
    c.groups = grp;
    c.ng++;
    c.sigs = sigs;
    c.ns++;
    c.versions = vers;
    c.nv++;
    add_client_hello(&cv, &c, 16384);
    run_all(&cv, &greased);
    assert_string_equal(greased.out, plain.out);
    conv_free(&cv);
}

/* One ClientHello split over 2 records, and a record carrying several messages. */
static void test_tls_hello_split_records(void **state)
{
    (void)state;
    static struct result whole, split;
    struct conv cv = {0};
    struct ch c = foxio_hello();
    add_client_hello(&cv, &c, 16384);
    run(&cv, 0, &whole);
    conv_free(&cv);
    add_client_hello(&cv, &c, 100); /* 2 records */
    run_all(&cv, &split);
    assert_string_equal(split.out, whole.out);
    conv_free(&cv);
    add_client_hello(&cv, &c, 7); /* dozens of records */
    run_all(&cv, &split);
    assert_string_equal(split.out, whole.out);
    conv_free(&cv);
}

/* TLS 1.2 full handshake, ServerHello + Certificate + ServerHelloDone in one record; the
 * record is emitted at the server's ChangeCipherSpec. */
static X509 *make_cert(EVP_PKEY *key, EVP_PKEY *signer, const char *cn, const char *issuer_cn,
                       long serial, const char *san)
{
    X509 *x = X509_new();
    assert_non_null(x);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    ASN1_TIME_set_string(X509_getm_notBefore(x), "20240101000000Z");
    ASN1_TIME_set_string(X509_getm_notAfter(x), "20341231235959Z");
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Test Org", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_NAME_add_entry_by_txt(n, "emailAddress", MBSTRING_ASC,
                               (const unsigned char *)"admin@example.com", -1, -1, 0);
    X509_NAME *in = X509_get_issuer_name(x);
    X509_NAME_add_entry_by_txt(in, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0);
    X509_NAME_add_entry_by_txt(in, "CN", MBSTRING_ASC, (const unsigned char *)issuer_cn, -1, -1,
                               0);
    X509_set_pubkey(x, key);
    if (san) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
        assert_non_null(e);
        X509_add_ext(x, e, -1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
    return x;
}

static void der_of(X509 *x, struct buf *out)
{
    unsigned char *p = NULL;
    int l = i2d_X509(x, &p);
    assert_true(l > 0);
    put(out, p, (size_t)l);
    OPENSSL_free(p);
}

static void sha1_colons(const struct buf *der, char out[60])
{
    uint8_t md[20];
    unsigned ml = 0;
    assert_true(EVP_Digest(der->b, der->n, md, &ml, EVP_sha1(), NULL));
    for (int i = 0; i < 20; i++)
        snprintf(out + 3 * i, 4, "%02x%s", md[i], i < 19 ? ":" : "");
}

/* Server flight: ServerHello (1.2), Certificate (leaf + CA), ServerHelloDone. */
static void tls12_conv(struct conv *cv, struct buf ders[2], size_t frag)
{
    struct ch c = foxio_hello();
    c.nv = 0;
    add_client_hello(cv, &c, 16384);
    struct buf hs = {0};
    server_hello(&hs, 0x0303, 0xc02f, 0, 0, "h2", false, false);
    certificate_msg(&hs, ders, 2);
    empty_msg(&hs, 14);
    records(conv_add(cv, 1), 22, &hs, frag);
    buf_free(&hs);
    struct buf *cl = conv_add(cv, 0);
    struct buf cke = {0};
    empty_msg(&cke, 16);
    records(cl, 22, &cke, 16384);
    buf_free(&cke);
    ccs(cl);
    appdata(cl, 40);
    struct buf *sv = conv_add(cv, 1);
    ccs(sv);
    appdata(sv, 40);
}

static void make_chain(struct buf ders[2], char fp[60])
{
    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    EVP_PKEY *leaf_key = EVP_EC_gen("P-256");
    assert_non_null(ca_key);
    assert_non_null(leaf_key);
    X509 *leaf = make_cert(leaf_key, ca_key, "leaf.example", "Test CA", 0x80,
                           "DNS:leaf.example,DNS:www.leaf.example,IP:192.0.2.1");
    X509 *ca = make_cert(ca_key, ca_key, "Test CA", "Test CA", 0x1234abcd, NULL);
    der_of(leaf, &ders[0]);
    der_of(ca, &ders[1]);
    sha1_colons(&ders[0], fp);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(leaf_key);
}

static void test_tls12_cert_chain(void **state)
{
    (void)state;
    static struct result r;
    struct buf ders[2] = {{0}};
    char fp[60], want[128];
    make_chain(ders, fp);
    struct conv cv = {0};
    tls12_conv(&cv, ders, 16384);
    run_all(&cv, &r);
    assert_int_equal(r.n_tls, 1);
    assert_int_equal(r.n_anom, 0);
    expect_has(&r, "\"subject\":\"C=JP, O=Test Org, CN=leaf.example, Email=admin@example.com\"");
    expect_has(&r, "\"issuerdn\":\"C=JP, CN=Test CA\"");
    expect_has(&r, "\"serial\":\"00:80\"");
    snprintf(want, sizeof want, "\"fingerprint\":\"%s\"", fp);
    expect_has(&r, want);
    expect_has(&r, "\"notbefore\":\"2024-01-01T00:00:00\"");
    expect_has(&r, "\"notafter\":\"2034-12-31T23:59:59\"");
    expect_has(&r, "\"subjectaltname\":[\"leaf.example\",\"www.leaf.example\"]");
    expect_has(&r, "\"version\":\"TLS 1.2\"");
    expect_has(&r, "\"server_alpns\":[\"h2\"]");
    expect_has(&r, "\"string\":\"771,49199,65281-16\"");
    expect_has(&r, "\"chain_len\":2");
    expect_has(&r, "\"cipher_suite\":49199");
    expect_has(&r, "\"handshake_done\":true");
    expect_not(&r, "session_resumed");
    conv_free(&cv);

    /* The Certificate message spread over many small records. */
    static struct result r2;
    tls12_conv(&cv, ders, 50);
    run_all(&cv, &r2);
    assert_string_equal(r2.out, r.out);
    conv_free(&cv);
    buf_free(&ders[0]);
    buf_free(&ders[1]);
}

/* Resumption: the server echoes the session id and goes to ChangeCipherSpec at once. */
static void test_tls12_resumed(void **state)
{
    (void)state;
    static struct result r;
    struct conv cv = {0};
    struct ch c = foxio_hello();
    c.nv = 0;
    add_client_hello(&cv, &c, 16384);
    struct buf hs = {0};
    server_hello(&hs, 0x0303, 0xc02f, 32, 0, NULL, false, false);
    struct buf *sv = conv_add(&cv, 1);
    records(sv, 22, &hs, 16384);
    ccs(sv);
    buf_free(&hs);
    run_all(&cv, &r);
    assert_int_equal(r.n_tls, 1);
    expect_has(&r, "\"session_resumed\":true");
    expect_has(&r, "\"handshake_done\":true");
    conv_free(&cv);
}

/* TLS 1.3: version from supported_versions, record emitted at the first encrypted server
 * record; certificates are not visible. With pre_shared_key: resumed. */
static void test_tls13(void **state)
{
    (void)state;
    static struct result r;
    for (int psk = 0; psk < 2; psk++) {
        struct conv cv = {0};
        struct ch c = foxio_hello();
        add_client_hello(&cv, &c, 16384);
        struct buf hs = {0};
        server_hello(&hs, 0x0303, 0x1301, 32, 0x0304, NULL, false, psk);
        struct buf *sv = conv_add(&cv, 1);
        records(sv, 22, &hs, 16384);
        ccs(sv);
        appdata(sv, 300);
        appdata(sv, 50);
        buf_free(&hs);
        run_all(&cv, &r);
        assert_int_equal(r.n_tls, 1);
        expect_has(&r, "\"version\":\"TLS 1.3\"");
        expect_has(&r, psk ? "\"string\":\"771,4865,65281-43-41\""
                           : "\"string\":\"771,4865,65281-43\"");
        expect_has(&r, "\"certificates_encrypted\":true");
        expect_has(&r, "\"handshake_done\":true");
        if (psk)
            expect_has(&r, "\"session_resumed\":true");
        else
            expect_not(&r, "session_resumed");
        conv_free(&cv);
    }
}

/* HelloRetryRequest, compatibility CCS, second ClientHello, real ServerHello: JA3/JA4/SNI
 * from the first hello, JA3S from the real ServerHello. */
static void test_tls13_hrr(void **state)
{
    (void)state;
    static struct result r, first;
    struct conv cv = {0};
    struct ch c = foxio_hello();
    add_client_hello(&cv, &c, 16384);
    run(&cv, 0, &first);
    struct buf hs = {0};
    server_hello(&hs, 0x0303, 0x1301, 32, 0x0304, NULL, true, false);
    struct buf *sv = conv_add(&cv, 1);
    records(sv, 22, &hs, 16384);
    ccs(sv);
    buf_free(&hs);
    struct buf *cl = conv_add(&cv, 0);
    ccs(cl);
    struct ch c2 = foxio_hello();
    c2.sni = "second.example";
    struct buf hs2 = {0};
    client_hello(&hs2, &c2);
    records(cl, 22, &hs2, 16384);
    buf_free(&hs2);
    server_hello(&hs, 0x0303, 0x1302, 32, 0x0304, NULL, false, false);
    sv = conv_add(&cv, 1);
    records(sv, 22, &hs, 16384);
    appdata(sv, 100);
    buf_free(&hs);
    run_all(&cv, &r);
    assert_int_equal(r.n_tls, 1);
    expect_has(&r, "\"hello_retry_request\":true");
    expect_has(&r, "\"sni\":\"www.example.com\"");
    expect_has(&r, "\"version\":\"TLS 1.3\"");
    expect_has(&r, "\"string\":\"771,4866,65281-43\"");
    expect_has(&r, "\"cipher_suite\":4866");
    expect_has(&r, "\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"");
    conv_free(&cv);
}

/* A real handshake (Suricata-verify ja4-tls/input.pcap, frames 4 and 6): tshark 4.0.17
 * gives JA3 308b0bd904abbef5e0034a1ff7a78920 and JA3S ccc514751b175866924439bdbb5bba34;
 * Suricata's JA4 for it is t12i1810s1_27d4652c4487_06a4338d0495 (FoxIO's ja4 agrees). */
static const char real_client_hello[] =
    "16030100af010000ab0303942d1fef575d770207c29dbe2401ccf05dcde1d2a5869c4a3eee38db551ad9bc"
    "000024c02bc02f009ec00ac009c013c014c007c011003300320039009c002f0035000a000500040100005e"
    "ff01000100000a00080006001700180019000b00020100002300003374000000100014001208737064792f"
    "332e3108687474702f312e317550000000050005010000000000120000000d00120010040105010201040305"
    "03020304020202";

static void test_tls_real_hello_tshark(void **state)
{
    (void)state;
    static struct result r;
    struct conv cv = {0};
    hex_in(conv_add(&cv, 0), real_client_hello);
    struct buf *sv = conv_add(&cv, 1);
    /* The ServerHello record of frame 6 (the certificate part is tested elsewhere). */
    hex_in(sv, "160303003d02000039030354f9fc1577e433d32da82e9d38897d5a2628bfb09851dad9bd03f8afa"
               "209a4f000c02f000011ff01000100000b00040300010200230000140303000101");
    run_all(&cv, &r);
    assert_int_equal(r.n_tls, 1);
    expect_has(&r, "\"hash\":\"308b0bd904abbef5e0034a1ff7a78920\"");
    expect_has(&r, "\"string\":\"771,49195-49199-158-49162-49161-49171-49172-49159-49169-51-50-"
                   "57-156-47-53-10-5-4,65281-10-11-35-13172-16-30032-5-18-13,23-24-25,0\"");
    expect_has(&r, "\"hash\":\"ccc514751b175866924439bdbb5bba34\"");
    expect_has(&r, "\"string\":\"771,49199,65281-11-35\"");
    expect_has(&r, "\"ja4\":\"t12i1810s1_27d4652c4487_06a4338d0495\"");
    expect_has(&r, "\"client_alpns\":[\"spdy/3.1\",\"http/1.1\"]");
    conv_free(&cv);
}

/* Malformed input of each level: the anomaly name, and nothing crashes. */
struct bad_case {
    const char *name;
    const char *hex;      /* client bytes */
    const char *anomaly;  /* expected */
    int records;          /* tls records expected */
};

static void test_tls_malformed(void **state)
{
    (void)state;
    static const struct bad_case tab[] = {
        {"record type 99", "6303010001ff", "INVALID_RECORD_TYPE", 0},
        {"record version 2.0", "1602000001ff", "INVALID_RECORD_VERSION", 0},
        {"record length 20000", "1603014e20", "INVALID_RECORD_LENGTH", 0},
        {"unknown handshake type", "160301000463000000", "INVALID_HANDSHAKE_MESSAGE", 0},
        /* ClientHello with a 33-byte session id */
        {"session id > 32",
         "160301004e0100004a03030000000000000000000000000000000000000000000000000000000000"
         "00000021000000000000000000000000000000000000000000000000000000000000000000000200"
         "350100",
         "HANDSHAKE_INVALID_LENGTH", 1},
        /* ClientHello with a 3-byte cipher list */
        {"odd cipher length",
         "160301002e0100002a03030000000000000000000000000000000000000000000000000000000000"
         "0000000000030035010100",
         "HANDSHAKE_INVALID_LENGTH", 1},
        /* extensions length 10 but 5 bytes follow */
        {"extension block overrun",
         "16030100340100003003030000000000000000000000000000000000000000000000000000000000"
         "00000000000200350100000aff01000100",
         "HANDSHAKE_INVALID_LENGTH", 1},
        /* SNI with list length 3 but name length 9 */
        {"SNI name overrun",
         "16030100380100003403030000000000000000000000000000000000000000000000000000000000"
         "000000000002003501000009000000050003000009",
         "INVALID_SNI_LENGTH", 1},
        /* SNI name type 1 */
        {"SNI type",
         "160301003a0100003603030000000000000000000000000000000000000000000000000000000000"
         "00000000000200350100000b000000070005010002617a",
         "INVALID_SNI_TYPE", 1},
        /* ALPN with an empty protocol name */
        {"ALPN empty name",
         "16030100360100003203030000000000000000000000000000000000000000000000000000000000"
         "00000000000200350100000700100003000100",
         "INVALID_ALPN", 1},
        {"SSLv2 hello, bad lengths", "800b0103010003000000100000", "INVALID_SSLV2_HEADER", 0},
        {"heartbeat", "1803010003010000", "HEARTBEAT_MESSAGE", 0},
    };
    static struct result r;
    for (size_t i = 0; i < MM_ARRAY_LEN(tab); i++) {
        struct conv cv = {0};
        hex_in(conv_add(&cv, 0), tab[i].hex);
        run_all(&cv, &r);
        if (!strstr(r.out, tab[i].anomaly))
            fail_msg("%s: want %s, got %s", tab[i].name, tab[i].anomaly, r.out);
        if (r.n_tls != tab[i].records)
            fail_msg("%s: %d tls records: %s", tab[i].name, r.n_tls, r.out);
        conv_free(&cv);
    }
}

/* Server-side malformations: bad certificate list length, a certificate OpenSSL rejects
 * (the parser goes on with the next one), a truncated ServerHello. */
static void test_tls_malformed_server(void **state)
{
    (void)state;
    static struct result r;
    struct buf ders[2] = {{0}};
    char fp[60];
    make_chain(ders, fp);
    /* ders[0] becomes garbage: the CA certificate is still counted. */
    struct buf junk = {0};
    hex_in(&junk, "3082000130");
    struct buf chain[2] = {junk, ders[1]};
    struct conv cv = {0};
    struct ch c = foxio_hello();
    c.nv = 0;
    add_client_hello(&cv, &c, 16384);
    struct buf hs = {0};
    server_hello(&hs, 0x0303, 0xc02f, 0, 0, NULL, false, false);
    certificate_msg(&hs, chain, 2);
    records(conv_add(&cv, 1), 22, &hs, 16384);
    buf_free(&hs);
    run_all(&cv, &r);
    expect_has(&r, "CERTIFICATE_INVALID_DER");
    expect_has(&r, "\"chain_len\":2");
    expect_not(&r, "\"subject\"");
    conv_free(&cv);

    /* certificate_list length larger than the message */
    add_client_hello(&cv, &c, 16384);
    hex_in(conv_add(&cv, 1), "160303000a0b000006000010000001ff");
    run_all(&cv, &r);
    expect_has(&r, "CERTIFICATE_INVALID_LENGTH");
    conv_free(&cv);

    /* ServerHello cut after the random */
    add_client_hello(&cv, &c, 16384);
    struct buf sh = {0};
    u8(&sh, 2);
    u24(&sh, 34);
    u16(&sh, 0x0303);
    for (int i = 0; i < 32; i++)
        u8(&sh, (unsigned)i);
    records(conv_add(&cv, 1), 22, &sh, 16384);
    buf_free(&sh);
    run_all(&cv, &r);
    expect_has(&r, "HANDSHAKE_INVALID_LENGTH");
    expect_has(&r, "\"version\":\"UNDETERMINED\"");
    conv_free(&cv);
    buf_free(&junk);
    buf_free(&ders[0]);
    buf_free(&ders[1]);
}

/* A handshake message longer than app.tls_max_record_bytes: limit hit, anomaly, skipped;
 * the following ServerHello is still parsed. */
static void test_tls_limit(void **state)
{
    (void)state;
    static struct result r;
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.tls_max_record_bytes = 150;
    struct conv cv = {0};
    struct ch c = foxio_hello(); /* ~ 200 bytes: too long */
    add_client_hello(&cv, &c, 100);
    struct buf hs = {0};
    server_hello(&hs, 0x0303, 0xc02f, 0, 0, NULL, false, false);
    struct buf *sv = conv_add(&cv, 1);
    struct buf big = {0};
    for (int i = 0; i < 1000; i++)
        u8(&big, (unsigned)i);
    hs_msg(&hs, 11, &big); /* a certificate message over the limit */
    buf_free(&big);
    records(sv, 22, &hs, 16384);
    ccs(sv);
    buf_free(&hs);
    static const int chunks[] = {0, 1, 5, -4};
    static struct result first;
    for (size_t i = 0; i < MM_ARRAY_LEN(chunks); i++) {
        struct app_stats st;
        run_cfg(&cv, chunks[i], &cfg, i ? &r : &first, &st);
        assert_int_equal(st.limits_hit, 2);
        if (i)
            assert_string_equal(r.out, first.out);
    }
    assert_int_equal(first.n_tls, 1);
    assert_int_equal(first.n_anom, 2);
    expect_has(&first, "HANDSHAKE_MESSAGE_TOO_LONG");
    expect_has(&first, "\"version\":\"TLS 1.2\"");
    expect_not(&first, "ja3\":");
    conv_free(&cv);
}

/* A gap stops parsing but what was seen is still emitted, once. */
static void test_tls_gap(void **state)
{
    (void)state;
    static struct result r;
    struct conv cv = {0};
    struct ch c = foxio_hello();
    add_client_hello(&cv, &c, 16384);
    conv_gap(&cv, 1);
    struct buf hs = {0};
    server_hello(&hs, 0x0303, 0xc02f, 0, 0, NULL, false, false);
    records(conv_add(&cv, 1), 22, &hs, 16384);
    buf_free(&hs);
    run_all(&cv, &r);
    assert_int_equal(r.n_tls, 1);
    expect_has(&r, "\"gap\":true");
    expect_has(&r, "\"sni\":\"www.example.com\"");
    expect_not(&r, "ja3s");
    conv_free(&cv);

    /* A gap before anything: no record. */
    conv_gap(&cv, 0);
    add_client_hello(&cv, &c, 16384);
    run_all(&cv, &r);
    assert_int_equal(r.n_tls, 0);
    conv_free(&cv);
}

/* Started mid-connection (after STARTTLS the first bytes are a record; here only encrypted
 * records): no record, no anomaly. And an SSLv2-compatible ClientHello is recognised. */
static void test_tls_midstream_and_sslv2(void **state)
{
    (void)state;
    static struct result r;
    struct conv cv = {0};
    appdata(conv_add(&cv, 0), 30);
    appdata(conv_add(&cv, 1), 30);
    run_all(&cv, &r);
    assert_int_equal(r.n_tls, 0);
    assert_int_equal(r.n_anom, 0);
    conv_free(&cv);

    /* SSLv2 CLIENT-HELLO, version 3.1, 3 cipher specs, no session id, 16-byte challenge */
    hex_in(conv_add(&cv, 0), "802201030100090000001000003900003500000000"
                             "0102030405060708090a0b0c0d0e0f");
    struct buf hs = {0};
    server_hello(&hs, 0x0301, 0x0039, 0, 0, NULL, false, false);
    records(conv_add(&cv, 1), 22, &hs, 16384);
    buf_free(&hs);
    run_all(&cv, &r);
    assert_int_equal(r.n_anom, 0);
    expect_has(&r, "\"sslv2_client_hello\":true");
    expect_has(&r, "\"client_version\":\"TLSv1\"");
    expect_has(&r, "\"version\":\"TLSv1\"");
    conv_free(&cv);
}

/* Every allocation refused in turn, then a tiny memcap: no crash, no leak (ASan), and the
 * memcap accounting returns to zero. */
static void test_tls_memcap(void **state)
{
    (void)state;
    static struct result r;
    struct buf ders[2] = {{0}};
    char fp[60];
    make_chain(ders, fp);
    struct conv cv = {0};
    tls12_conv(&cv, ders, 300);
    struct app_config cfg;
    app_config_defaults(&cfg);
    for (uint64_t n = 1; n < 40; n++) {
        struct app_stats st;
        mem_fault_at(n);
        run_cfg(&cv, 3, &cfg, &r, &st);
        mem_fault_at(0);
        assert_int_equal(st.memuse, 0);
    }
    cfg.memcap_bytes = 2000;
    struct app_stats st;
    run_cfg(&cv, 0, &cfg, &r, &st);
    assert_int_equal(st.memuse, 0);
    conv_free(&cv);
    buf_free(&ders[0]);
    buf_free(&ders[1]);
}

static void test_tls_version_names(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(tls_version_name(0, b, sizeof b), "UNDETERMINED");
    assert_string_equal(tls_version_name(0x0300, b, sizeof b), "SSLv3");
    assert_string_equal(tls_version_name(0x0301, b, sizeof b), "TLSv1");
    assert_string_equal(tls_version_name(0x0302, b, sizeof b), "TLS 1.1");
    assert_string_equal(tls_version_name(0x0303, b, sizeof b), "TLS 1.2");
    assert_string_equal(tls_version_name(0x0304, b, sizeof b), "TLS 1.3");
    assert_string_equal(tls_version_name(0x7f1c, b, sizeof b), "TLS 1.3 draft-28");
    assert_string_equal(tls_version_name(0x1234, b, sizeof b), "0x1234");
    assert_true(tls_is_grease(0x0a0a));
    assert_true(tls_is_grease(0xfafa));
    assert_false(tls_is_grease(0x0a1a));
    assert_false(tls_is_grease(0x1301));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_client_hello_sni_alpn),
        cmocka_unit_test(test_tls_client_hello_no_sni),
        cmocka_unit_test(test_tls_grease),
        cmocka_unit_test(test_tls_hello_split_records),
        cmocka_unit_test(test_tls12_cert_chain),
        cmocka_unit_test(test_tls12_resumed),
        cmocka_unit_test(test_tls13),
        cmocka_unit_test(test_tls13_hrr),
        cmocka_unit_test(test_tls_real_hello_tshark),
        cmocka_unit_test(test_tls_malformed),
        cmocka_unit_test(test_tls_malformed_server),
        cmocka_unit_test(test_tls_limit),
        cmocka_unit_test(test_tls_gap),
        cmocka_unit_test(test_tls_midstream_and_sslv2),
        cmocka_unit_test(test_tls_memcap),
        cmocka_unit_test(test_tls_version_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
