/*
 * SSH parser (src/app/ssh.c) through the public session API: banners and KEXINIT packets
 * built below, the HASSH values checked against MD5 computed independently (Python's
 * hashlib on the same strings); limits (banner length, packet length), malformed banners,
 * SSH-1, gaps and early ends; every row also byte by byte and in random pieces; allocation
 * failure at every charge.
 */
#include "app/app.h"
#include "app/ssh.h"
#include "core/mem.h"
#include "output/eve_app.h"
#include "output/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---------- harness: a session driven through the public app API ---------- */

#define OUT_MAX (1u << 20)

struct out {
    char *s; /* every record as "<dir> <kind> <json>\n" */
    size_t len;
    unsigned n[APP_REC_COUNT];
    unsigned pw_calls;
    char pw_seen[256]; /* last password handed to the checker */
    enum app_proto final_proto; /* the session's protocol at the end (after a switch) */
};

static void out_add(struct out *o, const char *p, size_t n)
{
    assert_true(o->len + n < OUT_MAX);
    memcpy(o->s + o->len, p, n);
    o->len += n;
    o->s[o->len] = '\0';
}

static const char *const kind_names[APP_REC_COUNT] = {
    "dns", "http", "tls", "smtp", "pop3", "imap", "ftp", "ssh", "file", "login", "anomaly",
};

static void on_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    (void)f;
    (void)ts_ns;
    struct out *o = user;
    assert_true((unsigned)kind < APP_REC_COUNT);
    o->n[kind]++;
    struct jb jb;
    assert_int_equal(jb_init(&jb, 0, 1u << 20), 0);
    jb_open_object(&jb, NULL);
    switch (kind) {
    case APP_REC_POP3: eve_put_pop3(&jb, rec); break;
    case APP_REC_IMAP: eve_put_imap(&jb, rec); break;
    case APP_REC_FTP: eve_put_ftp(&jb, rec); break;
    case APP_REC_SSH: eve_put_ssh(&jb, rec); break;
    case APP_REC_FILE: eve_put_file(&jb, rec); break;
    case APP_REC_LOGIN: eve_put_login(&jb, rec); break;
    case APP_REC_ANOMALY: jb_string(&jb, "event", ((const struct app_anomaly *)rec)->event); break;
    default: break;
    }
    jb_close_object(&jb);
    assert_int_equal(jb_error(&jb), 0);
    char head[32];
    int k = snprintf(head, sizeof head, "%d %s ", dir, kind_names[kind]);
    out_add(o, head, (size_t)k);
    out_add(o, jb_ptr(&jb), jb_len(&jb));
    out_add(o, "\n", 1);
    jb_fini(&jb);
}

static void on_password(void *user, const struct app_login *l, const uint8_t *pw, size_t n)
{
    (void)l;
    struct out *o = user;
    o->pw_calls++;
    size_t c = n < sizeof o->pw_seen - 1 ? n : sizeof o->pw_seen - 1;
    memcpy(o->pw_seen, pw, c);
    o->pw_seen[c] = '\0';
}

/* One direction's bytes; a script ends with dir -1. dir 2: a gap of `gap` bytes in dir 0,
 * dir 3: in dir 1. */
struct seg {
    int dir;
    const char *data;
    size_t len; /* 0: strlen(data) */
    uint32_t gap;
};

enum chunking { CH_WHOLE, CH_BYTE, CH_RANDOM };

static uint32_t rng_state;
static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 16;
}

/*
 * Run a script through a fresh context and session of protocol p; records land in o (its
 * buffer allocated here; out_free releases it). cfg may be NULL (defaults).
 */
static void run_script(enum app_proto p, const struct app_config *cfg, const struct seg *sc,
                       enum chunking ch, uint32_t seed, struct out *o)
{
    memset(o, 0, sizeof *o);
    o->s = calloc(1, OUT_MAX);
    assert_non_null(o->s);
    struct app_config c;
    if (cfg)
        c = *cfg;
    else
        app_config_defaults(&c);
    app_ctx_t *ctx = app_ctx_new(&c, on_record, o);
    assert_non_null(ctx);
    app_ctx_set_password_checker(ctx, on_password, o);
    struct flow f;
    memset(&f, 0, sizeof f);
    struct app_session *s = app_session_new(ctx, &f);
    if (s) {
        app_session_set_proto(s, p);
        rng_state = seed;
        uint64_t ts = 1000;
        for (const struct seg *g = sc; g->dir >= 0; g++) {
            app_session_set_time(s, ts++);
            if (g->dir >= 2) {
                app_session_gap(s, g->dir - 2, g->gap);
                continue;
            }
            size_t n = g->len ? g->len : strlen(g->data);
            /* Exact-size copy per chunk: ASan sees any over-read. */
            size_t i = 0;
            while (i < n) {
                size_t k = ch == CH_WHOLE ? n - i : ch == CH_BYTE ? 1 : 1 + rng() % 17;
                if (k > n - i)
                    k = n - i;
                uint8_t *b = malloc(k);
                assert_non_null(b);
                memcpy(b, g->data + i, k);
                app_session_data(s, g->dir, b, k);
                free(b);
                i += k;
            }
        }
        o->final_proto = app_session_proto(s);
        app_session_free(s);
    }
    /* Every charge was given back (exact sizes, nothing leaked past the memcap). */
    struct app_stats stats;
    app_get_stats(ctx, &stats);
    assert_int_equal(stats.memuse, 0);
    app_ctx_free(ctx);
}

static void out_free(struct out *o)
{
    free(o->s);
    o->s = NULL;
}

/* The same records whether the stream comes whole, byte by byte or in random pieces. */
static void check_chunking(enum app_proto p, const struct app_config *cfg, const struct seg *sc,
                           const char *name)
{
    struct out whole, other;
    run_script(p, cfg, sc, CH_WHOLE, 0, &whole);
    for (int k = 0; k < 5; k++) {
        run_script(p, cfg, sc, k == 0 ? CH_BYTE : CH_RANDOM, (uint32_t)k * 7919u, &other);
        if (strcmp(whole.s, other.s) != 0) {
            fprintf(stderr, "%s: chunking %d differs\n--- whole:\n%s--- other:\n%s", name, k, whole.s,
                        other.s);
            fail();
        }
        out_free(&other);
    }
    out_free(&whole);
}

/* Every needle in `want` is in the output, none of `never`. */
static void expect_strings(const struct out *o, const char *const *want, const char *const *never,
                           const char *name)
{
    for (const char *const *w = want; w && *w; w++) {
        if (!strstr(o->s, *w)) {
            fprintf(stderr, "%s: missing %s\nin:\n%s", name, *w, o->s);
            fail();
        }
    }
    for (const char *const *w = never; w && *w; w++) {
        if (strstr(o->s, *w)) {
            fprintf(stderr, "%s: unexpected %s\nin:\n%s", name, *w, o->s);
            fail();
        }
    }
}

/* Fail every allocation in turn: no crash, no leak (ASan), and the context frees cleanly. */
static void check_memcap(enum app_proto p, const struct seg *sc)
{
    struct out o;
    for (uint64_t n = 1; n < 400; n++) {
        mem_fault_at(n);
        run_script(p, NULL, sc, CH_RANDOM, (uint32_t)n, &o);
        out_free(&o);
    }
    mem_fault_at(0);
}

/* ---------- packets ---------- */

struct pb {
    uint8_t b[4096];
    size_t n;
};

static void put(struct pb *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof p->b);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void put_u32(struct pb *p, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(p, b, 4);
}

static void put_list(struct pb *p, const char *s)
{
    put_u32(p, (uint32_t)strlen(s));
    put(p, s, strlen(s));
}

/*
 * banner CR LF, then one binary packet carrying SSH_MSG_KEXINIT with the lists below:
 *   kex "curve25519-sha256,ecdh-sha2-nistp256", host key "ssh-ed25519",
 *   enc c2s "aes128-ctr,aes256-gcm@openssh.com", enc s2c "aes256-ctr",
 *   mac c2s "hmac-sha2-256", mac s2c "hmac-sha1", comp c2s "none", comp s2c "zlib",
 *   languages empty, first_kex_packet_follows 0, reserved 0; 4 bytes of padding.
 */
static void build_side(struct pb *p, const char *banner)
{
    p->n = 0;
    put(p, banner, strlen(banner));
    struct pb pl = {.n = 0};
    uint8_t msg = 20;
    put(&pl, &msg, 1);
    uint8_t cookie[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    put(&pl, cookie, 16);
    put_list(&pl, "curve25519-sha256,ecdh-sha2-nistp256");
    put_list(&pl, "ssh-ed25519");
    put_list(&pl, "aes128-ctr,aes256-gcm@openssh.com");
    put_list(&pl, "aes256-ctr");
    put_list(&pl, "hmac-sha2-256");
    put_list(&pl, "hmac-sha1");
    put_list(&pl, "none");
    put_list(&pl, "zlib");
    put_list(&pl, "");
    put_list(&pl, "");
    uint8_t tail[5] = {0, 0, 0, 0, 0};
    put(&pl, tail, 5);
    uint8_t padl = 4;
    put_u32(p, (uint32_t)(1 + pl.n + padl));
    put(p, &padl, 1);
    put(p, pl.b, pl.n);
    uint8_t pad[4] = {0};
    put(p, pad, 4);
}

static struct pb cli, srv, cli_pre, srv_pre;
static char long_banner[400];

#define HASSH_C "afde4c3973668bf8076d0e219dab18c3"
#define HASSH_S "08460fc9a0bcbafca99aac50628ae801"

static struct seg s_normal[4], s_prelines[4], s_long[4], s_gap[4], s_ignore[4];

/* An SSH_MSG_IGNORE packet (type 2) before KEXINIT. */
static void build_ignore_then(struct pb *p, const struct pb *after, size_t banner_len)
{
    p->n = 0;
    put(p, after->b, banner_len);
    uint8_t ign[] = {0, 0, 0, 12, 4, 2, 0, 0, 0, 2, 'h', 'i', 0, 0, 0, 0};
    put(p, ign, sizeof ign);
    put(p, after->b + banner_len, after->n - banner_len);
}

static void build_all(void)
{
    build_side(&cli, "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n");
    build_side(&srv, "SSH-2.0-dropbear_2022.83\r\n");
    build_side(&srv_pre, "Welcome to the server\r\nbanner line 2\nSSH-1.99-Cisco-1.25\r\n");
    memset(long_banner, 0, sizeof long_banner);
    memcpy(long_banner, "SSH-2.0-Long_1.0 ", 17);
    memset(long_banner + 17, 'x', 300);
    memcpy(long_banner + 317, "\r\n", 2);
    build_side(&cli_pre, long_banner);
    struct seg n[4] = {{0, (const char *)cli.b, cli.n, 0}, {1, (const char *)srv.b, srv.n, 0},
                       {-1, NULL, 0, 0}, {-1, NULL, 0, 0}};
    memcpy(s_normal, n, sizeof n);
    struct seg pre[4] = {{1, (const char *)srv_pre.b, srv_pre.n, 0},
                         {0, (const char *)cli.b, cli.n, 0}, {-1, NULL, 0, 0}, {-1, NULL, 0, 0}};
    memcpy(s_prelines, pre, sizeof pre);
    struct seg lg[4] = {{0, (const char *)cli_pre.b, cli_pre.n, 0},
                        {1, (const char *)srv.b, srv.n, 0}, {-1, NULL, 0, 0}, {-1, NULL, 0, 0}};
    memcpy(s_long, lg, sizeof lg);
    /* client: banner, then a gap where its KEXINIT was; server complete */
    size_t cb = strlen("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n");
    struct seg gp[4] = {{0, (const char *)cli.b, cb, 0}, {2, NULL, 0, 100},
                        {1, (const char *)srv.b, srv.n, 0}, {-1, NULL, 0, 0}};
    memcpy(s_gap, gp, sizeof gp);
    static struct pb ign;
    build_ignore_then(&ign, &cli, cb);
    struct seg ig[4] = {{0, (const char *)ign.b, ign.n, 0}, {1, (const char *)srv.b, srv.n, 0},
                        {-1, NULL, 0, 0}, {-1, NULL, 0, 0}};
    memcpy(s_ignore, ig, sizeof ig);
}

static const struct seg s_v1[] = {
    {0, "SSH-1.5-1.2.27\r\n", 0, 0},
    {1, "SSH-1.5-OpenSSH_3.4\r\n", 0, 0},
    {-1, NULL, 0, 0},
};

/* A packet length past the limit (here 0x00100000). */
static const struct seg s_bigpkt[] = {
    {0, "SSH-2.0-a\r\n\x00\x10\x00\x00\x04\x14", 17, 0},
    {1, "SSH-2.0-b\r\n\x00\x00\x00\x01", 15, 0},
    {-1, NULL, 0, 0},
};

static const struct seg s_badbanner[] = {
    {0, "SSH-2.0\r\n", 0, 0},
    {1, "SSH-9-x\r\n", 0, 0},
    {-1, NULL, 0, 0},
};

/* Only banners, then the connection ends. */
static const struct seg s_banners_only[] = {
    {0, "SSH-2.0-PuTTY_Release_0.80\r\n", 0, 0},
    {1, "SSH-2.0-OpenSSH_8.9\r\n", 0, 0},
    {-1, NULL, 0, 0},
};

struct row {
    const char *name;
    const struct seg *script;
    int n_ssh, n_anomaly;
    const char *want[8];
    const char *never[4];
};

static const struct row rows[] = {
    {"normal", s_normal, 1, 0,
     {"\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_9.6p1\","
      "\"hassh\":{\"hash\":\"" HASSH_C "\",\"string\":\"curve25519-sha256,ecdh-sha2-nistp256;"
      "aes128-ctr,aes256-gcm@openssh.com;hmac-sha2-256;none\"}}",
      "\"server\":{\"proto_version\":\"2.0\",\"software_version\":\"dropbear_2022.83\","
      "\"hassh\":{\"hash\":\"" HASSH_S "\"",
      NULL},
     {NULL}},
    {"lines before banner", s_prelines, 1, 0,
     {"\"server\":{\"proto_version\":\"1.99\",\"software_version\":\"Cisco-1.25\"",
      "\"hash\":\"" HASSH_S "\"", "\"hash\":\"" HASSH_C "\"", NULL},
     {NULL}},
    {"long banner", s_long, 1, 1,
     {"{\"event\":\"LONG_BANNER\"}", "\"software_version\":\"Long_1.0\"",
      "\"hash\":\"" HASSH_C "\"", NULL},
     {NULL}},
    {"ssh-1", s_v1, 1, 0,
     {"\"client\":{\"proto_version\":\"1.5\",\"software_version\":\"1.2.27\"}", NULL},
     {"hassh", NULL}},
    {"packet too long", s_bigpkt, 1, 2,
     {"{\"event\":\"LONG_KEX_RECORD\"}", "{\"event\":\"INVALID_RECORD\"}", NULL}, {"hassh", NULL}},
    {"bad banner", s_badbanner, 1, 2,
     {"{\"event\":\"INVALID_BANNER\"}", "\"server\":{\"proto_version\":\"9\"", NULL},
     {"client", NULL}},
    {"banners only", s_banners_only, 1, 0,
     {"\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"PuTTY_Release_0.80\"}",
      NULL},
     {"hassh", NULL}},
    {"gap", s_gap, 1, 0,
     {"\"software_version\":\"OpenSSH_9.6p1\"}", "\"hash\":\"" HASSH_S "\"", NULL},
     {HASSH_C, NULL}},
    {"ignore packet first", s_ignore, 1, 0, {"\"hash\":\"" HASSH_C "\"", NULL}, {NULL}},
};

static void test_ssh_rows(void **state)
{
    (void)state;
    build_all();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        struct out o;
        run_script(APP_PROTO_SSH, NULL, r->script, CH_WHOLE, 0, &o);
        expect_strings(&o, r->want, r->never, r->name);
        if (o.n[APP_REC_SSH] != (unsigned)r->n_ssh ||
            o.n[APP_REC_ANOMALY] != (unsigned)r->n_anomaly) {
            fprintf(stderr, "%s: counts ssh %u anomaly %u\n%s", r->name, o.n[APP_REC_SSH],
                    o.n[APP_REC_ANOMALY], o.s);
            fail();
        }
        out_free(&o);
    }
}

static void test_ssh_chunking(void **state)
{
    (void)state;
    build_all();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_chunking(APP_PROTO_SSH, NULL, rows[i].script, rows[i].name);
}

static void test_ssh_memcap(void **state)
{
    (void)state;
    build_all();
    check_memcap(APP_PROTO_SSH, s_normal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssh_rows),
        cmocka_unit_test(test_ssh_chunking),
        cmocka_unit_test(test_ssh_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
