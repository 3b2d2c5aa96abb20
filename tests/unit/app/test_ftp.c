/*
 * FTP control parser (src/app/ftp.c) through the public session API: a table of
 * conversations with the strings their records must (and must never) contain and record
 * counts; every row also byte by byte and in random pieces; allocation failure at every
 * charge.
 */
#include "app/app.h"
#include "app/ftp.h"
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

/* ---------- conversations ---------- */

#define C(s) {0, s, 0, 0}
#define S(s) {1, s, 0, 0}
#define GAP_C(n) {2, NULL, 0, n}
#define GAP_S(n) {3, NULL, 0, n}
#define END {-1, NULL, 0, 0}

/* Multi-line greeting, a failed then a successful login, PASV + RETR (150 then 226),
 * PORT, EPSV, EPRT, QUIT. */
static const struct seg s_session[] = {
    S("220-Welcome\r\n220-second line\r\n220 ready\r\n"),
    C("USER ftpuser\r\n"),
    S("331 Please specify the password.\r\n"),
    C("PASS badpass1\r\n"),
    S("530 Login incorrect.\r\n"),
    C("USER ftpuser\r\n"),
    S("331 Please specify the password.\r\n"),
    C("PASS g00d pass\r\n"),
    S("230 Login successful.\r\n"),
    C("PASV\r\n"),
    S("227 Entering Passive Mode (192,168,1,2,195,80).\r\n"),
    C("RETR file.txt\r\n"),
    S("150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n"),
    C("PORT 10,0,0,1,4,1\r\n"),
    S("200 PORT command successful.\r\n"),
    C("EPSV\r\n"),
    S("229 Entering Extended Passive Mode (|||6446|)\r\n"),
    C("EPRT |2|1080::8:800:200C:417A|5282|\r\n"),
    S("200 EPRT ok\r\n"),
    C("FEAT\r\n"),
    S("211-Features:\r\n EPRT\r\n EPSV\r\n211 End\r\n"),
    C("QUIT\r\n"),
    S("221 Goodbye.\r\n"),
    END,
};

static const struct seg s_anon[] = {
    S("220 ready\r\n"),
    C("USER anonymous\r\n"),
    S("331 Guest login ok, send your email as password.\r\n"),
    C("PASS guest@example.org\r\n"),
    S("230 Guest login ok.\r\n"),
    END,
};

static const struct seg s_auth_tls[] = {
    S("220 ready\r\n"),
    C("AUTH TLS\r\n"),
    S("234 Proceed with negotiation.\r\n"),
    END,
};

static const struct seg s_auth_refused[] = {
    S("220 ready\r\n"),
    C("AUTH TLS\r\n"),
    S("530 Please login with USER and PASS.\r\n"),
    C("AUTH GSSAPI\r\n"),
    S("334 ADAT=\r\n"),
    END,
};

static const struct seg s_bad[] = {
    S("hello\r\n"),
    S("220 ready\r\n"),
    C("PORT 1,2,3\r\n"),
    S("501 bad\r\n"),
    C("PASV\r\n"),
    S("227 no address here\r\n"),
    END,
};

static const struct seg s_noreply[] = {
    S("220 ready\r\n"),
    C("USER u1\r\n"),
    S("331 pw\r\n"),
    C("PASS neveransweredpw\r\n"),
    END,
};

static const struct seg s_gap[] = {
    S("220 ready\r\n"),
    C("USER gapuser\r\n"),
    S("331 pw\r\n"),
    C("PA"),
    GAP_C(7),
    C("ss\r\nNOOP\r\n"),
    S("530 no\r\n200 ok\r\n"),
    C("STAT\r\n"),
    S("211-status\r\n"),
    GAP_S(30),
    S("lost\r\n211 end\r\n"),
    END,
};

static const struct seg s_long[] = {
    S("220 ready\r\n"),
    C("CWD /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    S("550 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"),
    END,
};

static const struct seg s_many[] = {
    S("220 ready\r\n"),
    C("NOOP\r\nNOOP\r\nNOOP\r\n"),
    S("200 a\r\n200 b\r\n"),
    END,
};

enum cfg_kind { CFG_DEFAULT, CFG_SHORT_LINES, CFG_TWO_PENDING };

struct row {
    const char *name;
    const struct seg *script;
    enum cfg_kind cfg;
    int n_ftp, n_login, n_anomaly; /* -1: not checked */
    const char *want[14];
    const char *never[6];
    const char *last_pw;
    enum app_proto final_proto;
};

static const struct row rows[] = {
    {"session", s_session, CFG_DEFAULT, 12, 2, 0,
     {"\"reply\":[\"Welcome\",\"second line\",\"ready\"],\"completion_code\":[\"220\"]",
      "\"mechanism\":\"USER/PASS\",\"user\":\"ftpuser\",\"outcome\":\"failure\"",
      "\"user\":\"ftpuser\",\"outcome\":\"success\"",
      "{\"command\":\"PASS\",\"reply\":[\"Login incorrect.\"],\"completion_code\":[\"530\"],"
      "\"reply_received\":\"yes\"}",
      "\"command\":\"PASV\",\"reply\":[\"Entering Passive Mode (192,168,1,2,195,80).\"],"
      "\"completion_code\":[\"227\"],\"dynamic_port\":50000,\"mode\":\"passive\"",
      "\"completion_code\":[\"150\",\"226\"]",
      "\"command_data\":\"10,0,0,1,4,1\",\"reply\":[\"PORT command successful.\"],"
      "\"completion_code\":[\"200\"],\"dynamic_port\":1025,\"mode\":\"active\"",
      "\"dynamic_port\":6446,\"mode\":\"passive\"", "\"dynamic_port\":5282,\"mode\":\"active\"",
      "\"reply\":[\"Features:\",\" EPRT\",\" EPSV\",\"End\"],\"completion_code\":[\"211\"]",
      NULL},
     {"badpass1", "g00d", NULL}, "g00d pass", APP_PROTO_FTP},
    {"anonymous", s_anon, CFG_DEFAULT, 3, 1, 0,
     {"\"user\":\"anonymous\",\"outcome\":\"success\"", NULL}, {"guest@example.org", NULL},
     "guest@example.org", APP_PROTO_FTP},
    {"auth tls", s_auth_tls, CFG_DEFAULT, 2, 0, 0,
     {"\"command\":\"AUTH\",\"command_data\":\"TLS\"", "\"completion_code\":[\"234\"]", NULL},
     {NULL}, NULL, APP_PROTO_TLS},
    {"auth refused", s_auth_refused, CFG_DEFAULT, 3, 0, 0, {"\"command_data\":\"GSSAPI\"", NULL},
     {NULL}, NULL, APP_PROTO_FTP},
    {"malformed", s_bad, CFG_DEFAULT, 3, 0, 3,
     {"{\"event\":\"INVALID_REPLY\"}", "{\"event\":\"INVALID_PORT_COMMAND\"}",
      "{\"event\":\"INVALID_PASSIVE_REPLY\"}", NULL},
     {"dynamic_port", NULL}, NULL, APP_PROTO_FTP},
    {"no reply", s_noreply, CFG_DEFAULT, 3, 1, 0,
     {"\"user\":\"u1\",\"outcome\":\"unknown\"",
      "{\"command\":\"PASS\",\"reply_received\":\"no\"}", NULL},
     {"neveranswered", NULL}, "neveransweredpw", APP_PROTO_FTP},
    {"gap", s_gap, CFG_DEFAULT, 5, 0, 0,
     {"\"command\":\"NOOP\",\"reply\":[\"no\"],\"completion_code\":[\"530\"]",
      "\"command\":\"STAT\",\"reply\":[\"status\",\"end\"]", NULL},
     {"lost", NULL}, NULL, APP_PROTO_FTP},
    {"long lines", s_long, CFG_SHORT_LINES, 2, 0, 2,
     {"{\"event\":\"REQUEST_COMMAND_TOO_LONG\"}", "{\"event\":\"RESPONSE_COMMAND_TOO_LONG\"}",
      "\"command_truncated\":true", "\"reply_truncated\":true", NULL},
     {NULL}, NULL, APP_PROTO_FTP},
    {"too many pending", s_many, CFG_TWO_PENDING, 3, 0, 1,
     {"{\"event\":\"TOO_MANY_TRANSACTIONS\"}", NULL}, {NULL}, NULL, APP_PROTO_FTP},
};

static void make_cfg(enum cfg_kind k, struct app_config *c)
{
    app_config_defaults(c);
    if (k == CFG_SHORT_LINES)
        c->max_line_bytes = 64;
    if (k == CFG_TWO_PENDING)
        c->max_pending_tx = 2;
}

static void test_ftp_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        struct app_config c;
        make_cfg(r->cfg, &c);
        struct out o;
        run_script(APP_PROTO_FTP, &c, r->script, CH_WHOLE, 0, &o);
        expect_strings(&o, r->want, r->never, r->name);
        if ((r->n_ftp >= 0 && o.n[APP_REC_FTP] != (unsigned)r->n_ftp) ||
            (r->n_login >= 0 && o.n[APP_REC_LOGIN] != (unsigned)r->n_login) ||
            (r->n_anomaly >= 0 && o.n[APP_REC_ANOMALY] != (unsigned)r->n_anomaly)) {
            fprintf(stderr, "%s: counts ftp %u login %u anomaly %u\n%s", r->name,
                    o.n[APP_REC_FTP], o.n[APP_REC_LOGIN], o.n[APP_REC_ANOMALY], o.s);
            fail();
        }
        if (r->last_pw ? strcmp(o.pw_seen, r->last_pw) != 0 : o.pw_calls != 0) {
            fprintf(stderr, "%s: checker saw \"%s\" (%u calls)\n", r->name, o.pw_seen,
                    o.pw_calls);
            fail();
        }
        if (o.final_proto != r->final_proto) {
            fprintf(stderr, "%s: final proto %d\n", r->name, (int)o.final_proto);
            fail();
        }
        out_free(&o);
    }
}

static void test_ftp_chunking(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct app_config c;
        make_cfg(rows[i].cfg, &c);
        check_chunking(APP_PROTO_FTP, &c, rows[i].script, rows[i].name);
    }
}

static void test_ftp_memcap(void **state)
{
    (void)state;
    check_memcap(APP_PROTO_FTP, s_session);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ftp_rows),
        cmocka_unit_test(test_ftp_chunking),
        cmocka_unit_test(test_ftp_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
