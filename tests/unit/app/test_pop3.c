/*
 * POP3 parser (src/app/pop3.c) through the public session API: a table of conversations,
 * each with the strings its records must (and must never) contain and record counts. Every
 * row is also run byte by byte and in random pieces (same records), and the main session
 * under allocation failure at every charge (no crash, nothing leaked).
 */
#include "app/app.h"
#include "app/pop3.h"
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

/* Greeting, CAPA, a failed then a successful USER/PASS login, LIST, RETR with a stuffed
 * line, QUIT. */
static const struct seg s_login[] = {
    S("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    C("CAPA\r\n"),
    S("+OK Capability list follows\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n"),
    C("USER bob\r\n"),
    S("+OK\r\n"),
    C("PASS wrongpw1\r\n"),
    S("-ERR [AUTH] Authentication failed.\r\n"),
    C("USER bob\r\n"),
    S("+OK\r\n"),
    C("PASS s3cret pw\r\n"),
    S("+OK Logged in.\r\n"),
    C("LIST\r\n"),
    S("+OK 2 messages:\r\n1 120\r\n2 200\r\n.\r\n"),
    C("RETR 1\r\n"),
    S("+OK 120 octets\r\nFrom: a@example.org\r\nSubject: hi\r\n\r\n..dotline\r\nbody\r\n.\r\n"),
    C("QUIT\r\n"),
    S("+OK Logging out.\r\n"),
    END,
};

/* AUTH PLAIN with an initial response (RFC 5034), then AUTH LOGIN with challenges. */
static const struct seg s_auth[] = {
    S("+OK ready\r\n"),
    C("AUTH PLAIN AGFsaWNlAHB3MTIzNDU2\r\n"),
    S("-ERR nope\r\n"),
    C("AUTH LOGIN\r\n"),
    S("+ VXNlcm5hbWU6\r\n"),
    C("Ym9i\r\n"),
    S("+ UGFzc3dvcmQ6\r\n"),
    C("aHVudGVyMnh5eg==\r\n"),
    S("+OK welcome\r\n"),
    C("AUTH CRAM-MD5\r\n"),
    S("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
    C("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"),
    S("+OK\r\n"),
    END,
};

static const struct seg s_apop[] = {
    S("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    C("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
    S("+OK maildrop has 1 message (369 octets)\r\n"),
    END,
};

/* STLS: after +OK the connection belongs to TLS. */
static const struct seg s_stls[] = {
    S("+OK ready\r\n"),
    C("STLS\r\n"),
    S("+OK Begin TLS negotiation\r\n"),
    END,
};

/* STLS refused: POP3 goes on. */
static const struct seg s_stls_no[] = {
    S("+OK ready\r\n"),
    C("STLS\r\n"),
    S("-ERR not now\r\n"),
    C("NOOP\r\n"),
    S("+OK\r\n"),
    END,
};

/* Pipelined commands (RFC 2449) answered in order. */
static const struct seg s_pipe[] = {
    S("+OK ready\r\n"),
    C("USER carol\r\nPASS pipedpw9\r\nSTAT\r\nUIDL\r\n"),
    S("+OK\r\n+OK in\r\n+OK 1 120\r\n+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n.\r\n"),
    END,
};

/* Malformed: a line that is no response, an unknown command, too many arguments. */
static const struct seg s_bad[] = {
    S("HELLO THERE\r\n"),
    S("+OK ready\r\n"),
    C("FOO bar\r\n"),
    S("-ERR unknown\r\n"),
    C("RETR 1 2 3\r\n"),
    S("-ERR syntax\r\n"),
    C("\r\n"),
    END,
};

/* A gap inside a retrieved message: the message is cut, the dialogue goes on. */
static const struct seg s_gap[] = {
    S("+OK ready\r\n"),
    C("RETR 1\r\n"),
    S("+OK\r\nSubject: x\r\n\r\nfirst"),
    GAP_S(100),
    S("tail of lost line\r\nlast\r\n.\r\n"),
    C("NOOP\r\n"),
    S("+OK\r\n"),
    C("USER da"),
    GAP_C(5),
    C("ve\r\nUSER erin\r\n"),
    S("+OK\r\n"),
    END,
};

/* The connection ends before the password is answered. */
static const struct seg s_noreply[] = {
    S("+OK ready\r\n"),
    C("USER frank\r\n"),
    S("+OK\r\n"),
    C("PASS unansweredpw\r\n"),
    END,
};

/* Lines longer than max_line_bytes (64 in this row's config). */
static const struct seg s_long[] = {
    S("+OK ready\r\n"),
    C("USER aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    S("+OK bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"),
    C("PASS cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\r\n"),
    S("-ERR no\r\n"),
    END,
};

/* More commands in flight than max_pending_tx (2 in this row's config). */
static const struct seg s_many[] = {
    S("+OK ready\r\n"),
    C("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"),
    S("+OK\r\n+OK\r\n"),
    END,
};

/* A multi-line body longer than the lines kept. */
static char big_list[8192];
static const struct seg s_biglist[] = {
    S("+OK ready\r\n"),
    C("LIST\r\n"),
    {1, big_list, 0, 0},
    END,
};

static void build_big_list(void)
{
    size_t n = 0;
    n += (size_t)snprintf(big_list + n, sizeof big_list - n, "+OK\r\n");
    for (int i = 1; i <= POP3_MAX_DATA_LINES + 10; i++)
        n += (size_t)snprintf(big_list + n, sizeof big_list - n, "%d %d\r\n", i, i * 100);
    snprintf(big_list + n, sizeof big_list - n, ".\r\n");
}

enum cfg_kind { CFG_DEFAULT, CFG_SHORT_LINES, CFG_TWO_PENDING };

struct row {
    const char *name;
    const struct seg *script;
    enum cfg_kind cfg;
    int n_pop3, n_login, n_anomaly; /* -1: not checked */
    const char *want[12];
    const char *never[8];
    const char *last_pw; /* what the password checker saw last (NULL: not called) */
    enum app_proto final_proto;
};

static const struct row rows[] = {
    {"login", s_login, CFG_DEFAULT, 9, 2, 0,
     {"\"user\":\"bob\",\"outcome\":\"failure\"", "\"user\":\"bob\",\"outcome\":\"success\"",
      "\"mechanism\":\"USER/PASS\"", "\"data\":[\"1 120\",\"2 200\"]",
      "\"message_bytes\":52", "\"data\":[\"USER\",\"SASL PLAIN LOGIN\"]",
      "\"request\":{\"command\":\"PASS\"}",
      "\"header\":\"-ERR [AUTH] Authentication failed.\",\"status\":\"ERR\",\"success\":false",
      "\"tx_id\":0,\"pop3\":{\"response\":{\"header\":\"+OK POP3 server ready", NULL},
     {"wrongpw1", "s3cret", NULL}, "s3cret pw", APP_PROTO_POP3},
    {"auth", s_auth, CFG_DEFAULT, 4, 3, 0,
     {"\"mechanism\":\"PLAIN\",\"user\":\"alice\",\"outcome\":\"failure\"",
      "\"mechanism\":\"LOGIN\",\"user\":\"bob\",\"outcome\":\"success\"",
      "\"mechanism\":\"SASL\",\"user\":\"\",\"outcome\":\"success\"",
      "\"command\":\"AUTH\",\"args\":[\"PLAIN\"]}", NULL},
     {"AGFsaWNl", "pw123456", "hunter2", "aHVudGVy", NULL}, "hunter2xyz", APP_PROTO_POP3},
    {"apop", s_apop, CFG_DEFAULT, 2, 1, 0,
     {"\"mechanism\":\"APOP\",\"user\":\"mrose\",\"outcome\":\"success\"",
      "\"args\":[\"mrose\",\"c4c9334bac560ecc979e58001b3e22fb\"]", NULL},
     {NULL}, NULL, APP_PROTO_POP3},
    {"stls", s_stls, CFG_DEFAULT, 2, 0, 0,
     {"\"command\":\"STLS\"}", "\"success\":true", NULL}, {NULL}, NULL, APP_PROTO_TLS},
    {"stls refused", s_stls_no, CFG_DEFAULT, 3, 0, 0, {"\"command\":\"NOOP\"", NULL}, {NULL},
     NULL, APP_PROTO_POP3},
    {"pipelined", s_pipe, CFG_DEFAULT, 5, 1, 0,
     {"\"user\":\"carol\",\"outcome\":\"success\"",
      "\"command\":\"UIDL\"},\"response\":{\"header\":\"+OK\",\"status\":\"OK\",\"success\":true,"
      "\"data\":[\"1 whqtswO00WBw418f9t5JxYwZ\"]",
      NULL},
     {"pipedpw9", NULL}, "pipedpw9", APP_PROTO_POP3},
    {"malformed", s_bad, CFG_DEFAULT, 3, 0, 3,
     {"{\"event\":\"INVALID_RESPONSE\"}", "{\"event\":\"UNKNOWN_COMMAND\"}",
      "{\"event\":\"INCORRECT_ARGUMENT_COUNT\"}", NULL},
     {NULL}, NULL, APP_PROTO_POP3},
    {"gap", s_gap, CFG_DEFAULT, 4, 0, 0,
     {"\"message_truncated\":true", "\"command\":\"NOOP\"", "\"args\":[\"erin\"]", NULL},
     {"\"args\":[\"dave\"]", "\"args\":[\"ve\"]", "tail of lost", NULL}, NULL, APP_PROTO_POP3},
    {"no reply", s_noreply, CFG_DEFAULT, 3, 1, 0,
     {"\"user\":\"frank\",\"outcome\":\"unknown\"", "\"response_received\":false", NULL},
     {"unansweredpw", NULL}, "unansweredpw", APP_PROTO_POP3},
    {"long lines", s_long, CFG_SHORT_LINES, 3, 1, 3,
     {"{\"event\":\"REQUEST_TOO_LONG\"}", "{\"event\":\"RESPONSE_TOO_LONG\"}",
      "\"request_truncated\":true", "\"response_truncated\":true", NULL},
     {"cccc", NULL}, "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", APP_PROTO_POP3},
    {"too many pending", s_many, CFG_TWO_PENDING, 3, 0, 2,
     {"{\"event\":\"TOO_MANY_TRANSACTIONS\"}", NULL}, {NULL}, NULL, APP_PROTO_POP3},
    {"data lines kept", s_biglist, CFG_DEFAULT, 2, 0, 0,
     {"\"data_truncated\":true", "\"64 6400\"]", NULL}, {"\"65 6500\"", NULL}, NULL,
     APP_PROTO_POP3},
};

static void make_cfg(enum cfg_kind k, struct app_config *c)
{
    app_config_defaults(c);
    if (k == CFG_SHORT_LINES)
        c->max_line_bytes = 64;
    if (k == CFG_TWO_PENDING)
        c->max_pending_tx = 2;
}

static void test_pop3_rows(void **state)
{
    (void)state;
    build_big_list();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        struct app_config c;
        make_cfg(r->cfg, &c);
        struct out o;
        run_script(APP_PROTO_POP3, &c, r->script, CH_WHOLE, 0, &o);
        expect_strings(&o, r->want, r->never, r->name);
        if ((r->n_pop3 >= 0 && o.n[APP_REC_POP3] != (unsigned)r->n_pop3) ||
            (r->n_login >= 0 && o.n[APP_REC_LOGIN] != (unsigned)r->n_login) ||
            (r->n_anomaly >= 0 && o.n[APP_REC_ANOMALY] != (unsigned)r->n_anomaly)) {
            fprintf(stderr, "%s: counts pop3 %u login %u anomaly %u\n%s", r->name, o.n[APP_REC_POP3],
                        o.n[APP_REC_LOGIN], o.n[APP_REC_ANOMALY], o.s);
            fail();
        }
        if (r->last_pw && strcmp(o.pw_seen, r->last_pw) != 0) {
            fprintf(stderr, "%s: checker saw \"%s\"\n", r->name, o.pw_seen);
            fail();
        }
        if (!r->last_pw && o.pw_calls) {
            fprintf(stderr, "%s: checker called %u times\n", r->name, o.pw_calls);
            fail();
        }
        if (o.final_proto != r->final_proto) {
            fprintf(stderr, "%s: final proto %d\n", r->name, (int)o.final_proto);
            fail();
        }
        out_free(&o);
    }
}

static void test_pop3_chunking(void **state)
{
    (void)state;
    build_big_list();
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct app_config c;
        make_cfg(rows[i].cfg, &c);
        check_chunking(APP_PROTO_POP3, &c, rows[i].script, rows[i].name);
    }
}

static void test_pop3_memcap(void **state)
{
    (void)state;
    check_memcap(APP_PROTO_POP3, s_login);
    check_memcap(APP_PROTO_POP3, s_auth);
}

/* A tiny app.memcap: the parser stops for the flow, nothing crashes or leaks. */
static void test_pop3_tiny_memcap(void **state)
{
    (void)state;
    struct app_config c;
    app_config_defaults(&c);
    c.memcap_bytes = 600;
    struct out o;
    run_script(APP_PROTO_POP3, &c, s_login, CH_WHOLE, 0, &o);
    assert_true(o.n[APP_REC_LOGIN] < 2);
    out_free(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pop3_rows),
        cmocka_unit_test(test_pop3_chunking),
        cmocka_unit_test(test_pop3_memcap),
        cmocka_unit_test(test_pop3_tiny_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
