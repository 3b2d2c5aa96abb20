/*
 * IMAP parser (src/app/imap.c) through the public session API: a table of conversations
 * (logins with atoms, quoted strings and literals, SASL, STARTTLS, FETCH literals, limits,
 * malformed lines, gaps) with the strings their records must (and must never) contain and
 * record counts; every row also byte by byte and in random pieces; allocation failure at
 * every charge.
 */
#include "app/app.h"
#include "app/imap.h"
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

/* Failed login with a quoted password, successful login with synchronising literals, a
 * FETCH of a whole message (39-byte literal), LOGOUT. */
static const struct seg s_session[] = {
    S("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"),
    C("a1 CAPABILITY\r\n"),
    S("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK CAPABILITY completed\r\n"),
    C("a2 login bob \"wr\\\"ong\"\r\n"),
    S("a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
    C("a3 LOGIN {3}\r\n"),
    S("+ Ready for literal\r\n"),
    C("bob {9}\r\n"),
    S("+ Ready for literal\r\n"),
    C("s3cr3t pw\r\n"),
    S("a3 OK [CAPABILITY IMAP4rev1] Logged in\r\n"),
    C("a4 SELECT INBOX\r\n"),
    S("* 2 EXISTS\r\n* 0 RECENT\r\na4 OK [READ-WRITE] Select completed\r\n"),
    C("a5 UID FETCH 1 (FLAGS BODY.PEEK[])\r\n"),
    S("* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {39}\r\nFrom: a@example.org\r\nSubject: "
      "t\r\n\r\nhi\r\n)\r\na5 OK Fetch completed\r\n"),
    C("a6 LOGOUT\r\n"),
    S("* BYE Logging out\r\na6 OK Logout completed.\r\n"),
    END,
};

/* SASL PLAIN with an initial response (RFC 4959), SASL LOGIN with challenges, then
 * STARTTLS. */
static const struct seg s_sasl[] = {
    S("* OK ready\r\n"),
    C("x1 AUTHENTICATE PLAIN AGFsaWNlAGltYXBwdzc3\r\n"),
    S("x1 NO bad\r\n"),
    C("x2 AUTHENTICATE LOGIN\r\n"),
    S("+ VXNlcm5hbWU6\r\n"),
    C("Ym9i\r\n"),
    S("+ UGFzc3dvcmQ6\r\n"),
    C("aHVudGVyMnh5eg==\r\n"),
    S("x2 OK done\r\n"),
    C("x3 STARTTLS\r\n"),
    S("x3 OK Begin TLS negotiation now\r\n"),
    END,
};

/* Non-synchronising literals (LITERAL+), APPEND of a message, pipelined commands answered
 * out of order. */
static const struct seg s_literals[] = {
    S("* OK ready\r\n"),
    C("b1 LOGIN {5+}\r\ncarol {6+}\r\npw\"x y\r\nb2 NOOP\r\n"),
    S("b2 OK noop\r\nb1 OK in\r\n"),
    C("b3 APPEND INBOX (\\Seen) {11+}\r\nhello world\r\n"),
    S("b3 OK appended\r\n"),
    END,
};

/* Limits: a command and a response line past max_line_bytes (64), a literal past it. */
static const struct seg s_long[] = {
    S("* OK ready\r\n"),
    C("c1 SELECT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    S("c1 NO bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"),
    C("c2 LOGIN dave {80+}\r\n"
      "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\r\n"),
    S("c2 NO no\r\n"),
    END,
};

/* Malformed lines from both sides. */
static const struct seg s_bad[] = {
    S("garbage line\r\n"),
    S("* OK ready\r\n"),
    C("lonely\r\n"),
    C("d1 NOOP\r\n"),
    S("zz OK who\r\nd1 MAYBE\r\nd1 OK fine\r\n"),
    C("DONE\r\n"),
    END,
};

/* A gap inside a FETCH literal: the literal's length lets the parser resume after it. */
static const struct seg s_gap[] = {
    S("* OK ready\r\n"),
    C("e1 FETCH 1 RFC822\r\n"),
    S("* 1 FETCH (RFC822 {39}\r\nFrom: a@exa"),
    GAP_S(10),
    S("Subject: t\r\n\r\nhi\r\n)\r\ne1 OK done\r\n"),
    C("e2 NO"),
    GAP_C(4),
    C("OP\r\ne3 NOOP\r\n"),
    S("e3 OK\r\n"),
    END,
};

/* The flow ends before the completion. */
static const struct seg s_noreply[] = {
    S("* OK ready\r\n"),
    C("f1 LOGIN frank unansweredpw\r\n"),
    END,
};

enum cfg_kind { CFG_DEFAULT, CFG_SHORT_LINES };

struct row {
    const char *name;
    const struct seg *script;
    enum cfg_kind cfg;
    int n_imap, n_login, n_anomaly; /* -1: not checked */
    const char *want[12];
    const char *never[8];
    const char *last_pw;
    enum app_proto final_proto;
};

static const struct row rows[] = {
    {"session", s_session, CFG_DEFAULT, 6, 2, 0,
     {"\"mechanism\":\"LOGIN\",\"user\":\"bob\",\"outcome\":\"failure\"",
      "\"mechanism\":\"LOGIN\",\"user\":\"bob\",\"outcome\":\"success\"",
      "{\"tag\":\"a2\",\"command\":\"LOGIN\",\"args\":[\"bob\"],\"status\":\"NO\","
      "\"response\":\"[AUTHENTICATIONFAILED] Authentication failed.\",\"untagged\":0}",
      "{\"tag\":\"a3\",\"command\":\"LOGIN\",\"args\":[\"bob\"],\"status\":\"OK\"",
      "\"command\":\"SELECT\",\"args\":[\"INBOX\"],\"status\":\"OK\","
      "\"response\":\"[READ-WRITE] Select completed\",\"untagged\":2}",
      "\"command\":\"UID\",\"args\":[\"FETCH\",\"1\",\"(FLAGS BODY.PEEK[])\"]",
      "\"untagged\":1,\"messages\":1,\"message_bytes\":39", NULL},
     {"wr", "s3cr3t", NULL}, "s3cr3t pw", APP_PROTO_IMAP},
    {"sasl", s_sasl, CFG_DEFAULT, 3, 2, 0,
     {"\"mechanism\":\"PLAIN\",\"user\":\"alice\",\"outcome\":\"failure\"",
      "\"mechanism\":\"LOGIN\",\"user\":\"bob\",\"outcome\":\"success\"",
      "\"command\":\"AUTHENTICATE\",\"args\":[\"PLAIN\"],\"status\":\"NO\"",
      "\"command\":\"STARTTLS\",\"status\":\"OK\"", NULL},
     {"AGFsaWNl", "imappw", "hunter2", NULL}, "hunter2xyz", APP_PROTO_TLS},
    {"literals", s_literals, CFG_DEFAULT, 3, 1, 0,
     {"\"user\":\"carol\",\"outcome\":\"success\"",
      "\"tag\":\"b3\",\"command\":\"APPEND\",\"args\":[\"INBOX\",\"(\\\\Seen)\",\"{11}\"]",
      "\"tag\":\"b2\"", NULL},
     {"pw\\\"x", NULL}, "pw\"x y", APP_PROTO_IMAP},
    {"long", s_long, CFG_SHORT_LINES, 2, 1, 3,
     {"{\"event\":\"REQUEST_TOO_LONG\"}", "{\"event\":\"RESPONSE_TOO_LONG\"}",
      "{\"event\":\"LITERAL_TOO_LONG\"}", "\"request_truncated\":true",
      "\"user\":\"dave\",\"outcome\":\"failure\"", NULL},
     {"pppp", NULL}, "{80}", APP_PROTO_IMAP},
    {"malformed", s_bad, CFG_DEFAULT, 1, 0, 4,
     {"{\"event\":\"INVALID_RESPONSE\"}", "{\"event\":\"INVALID_COMMAND\"}",
      "{\"event\":\"UNEXPECTED_RESPONSE\"}", "\"tag\":\"d1\",\"command\":\"NOOP\",\"status\":\"OK\"",
      NULL},
     {NULL}, NULL, APP_PROTO_IMAP},
    {"gap", s_gap, CFG_DEFAULT, 2, 0, 0,
     {"\"tag\":\"e1\",\"command\":\"FETCH\",\"args\":[\"1\",\"RFC822\"],\"status\":\"OK\","
      "\"response\":\"done\",\"untagged\":2,\"messages\":1,\"message_bytes\":39",
      "\"tag\":\"e3\"", NULL},
     {"\"e2\"", NULL}, NULL, APP_PROTO_IMAP},
    {"no reply", s_noreply, CFG_DEFAULT, 1, 1, 0,
     {"\"user\":\"frank\",\"outcome\":\"unknown\"",
      "{\"tag\":\"f1\",\"command\":\"LOGIN\",\"args\":[\"frank\"],\"untagged\":1}", NULL},
     {"unansweredpw", NULL}, "unansweredpw", APP_PROTO_IMAP},
};

static void make_cfg(enum cfg_kind k, struct app_config *c)
{
    app_config_defaults(c);
    if (k == CFG_SHORT_LINES)
        c->max_line_bytes = 64;
}

static void test_imap_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct row *r = &rows[i];
        struct app_config c;
        make_cfg(r->cfg, &c);
        struct out o;
        run_script(APP_PROTO_IMAP, &c, r->script, CH_WHOLE, 0, &o);
        expect_strings(&o, r->want, r->never, r->name);
        if ((r->n_imap >= 0 && o.n[APP_REC_IMAP] != (unsigned)r->n_imap) ||
            (r->n_login >= 0 && o.n[APP_REC_LOGIN] != (unsigned)r->n_login) ||
            (r->n_anomaly >= 0 && o.n[APP_REC_ANOMALY] != (unsigned)r->n_anomaly)) {
            fprintf(stderr, "%s: counts imap %u login %u anomaly %u\n%s", r->name,
                    o.n[APP_REC_IMAP], o.n[APP_REC_LOGIN], o.n[APP_REC_ANOMALY], o.s);
            fail();
        }
        if (r->last_pw ? strcmp(o.pw_seen, r->last_pw) != 0 : o.pw_calls != 0) {
            fprintf(stderr, "%s: checker saw \"%s\" (%u calls)\n%s", r->name, o.pw_seen,
                    o.pw_calls, o.s);
            fail();
        }
        if (o.final_proto != r->final_proto) {
            fprintf(stderr, "%s: final proto %d\n", r->name, (int)o.final_proto);
            fail();
        }
        out_free(&o);
    }
}

static void test_imap_chunking(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct app_config c;
        make_cfg(rows[i].cfg, &c);
        check_chunking(APP_PROTO_IMAP, &c, rows[i].script, rows[i].name);
    }
}

static void test_imap_memcap(void **state)
{
    (void)state;
    check_memcap(APP_PROTO_IMAP, s_session);
    check_memcap(APP_PROTO_IMAP, s_sasl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imap_rows),
        cmocka_unit_test(test_imap_chunking),
        cmocka_unit_test(test_imap_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
