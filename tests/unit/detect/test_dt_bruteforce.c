/*
 * The T5 detector (src/detect/dt_bruteforce.c) through the detector host: login records and
 * flow ends go in through dtr_record / dtr_flow_end, alerts come back as det_alerts whose
 * "mamori" JSON is checked for the evidence. Cases: brute force and spray at their
 * thresholds and windows, success after an attack (and not after a few typos), busy
 * legitimate clients (no alert, no state), distributed spray (sources that later log in do
 * not count), the connection pattern on SSH / IMAPS / HTTPS (short vs long sessions,
 * HOME_NET), update rate limiting and closing reports, memcap eviction, hashed account names,
 * settings errors and hostile names.
 */
#include "detect/dtr_int.h"

#include "app/app.h"
#include "core/mm.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The detector's object is pulled from the static library through this reference (the
 * registry only refers to it weakly). */
extern const struct dtr_ops dt_bruteforce_ops;

#define S 1000000000ull
#define T0 (1713830400ull * S) /* 2024-04-23T00:00:00Z */
#define MAX_ALERTS 4096

struct alert {
    uint32_t sid;
    bool update;
    uint64_t ts_ns;
    char src[64], dst[64];
    uint16_t sport, dport;
    char *json;
};

struct sink {
    struct alert a[MAX_ALERTS];
    size_t n;
};

static bool on_alert(void *u, const struct det_alert *a)
{
    struct sink *s = u;
    /* Other detectors linked into the same test would report here too: keep ours only. */
    if (!a->rule || a->rule->sid < 5001 || a->rule->sid > 5099 || s->n >= MAX_ALERTS)
        return true;
    struct alert *x = &s->a[s->n++];
    x->sid = a->rule->sid;
    x->ts_ns = a->ts_ns;
    x->sport = a->sport;
    x->dport = a->dport;
    dec_addr_str(&a->src, a->ip_ver, x->src, sizeof x->src);
    dec_addr_str(&a->dst, a->ip_ver, x->dst, sizeof x->dst);
    x->json = calloc(1, a->mamori_len + 1);
    assert_non_null(x->json);
    memcpy(x->json, a->mamori_json, a->mamori_len);
    x->update = strstr(x->json, "\"update\":true") != NULL;
    return true;
}

static void sink_clear(struct sink *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->a[i].json);
    s->n = 0;
}

static size_t count(const struct sink *s, uint32_t sid, int update)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->a[i].sid == sid && (update < 0 || s->a[i].update == (update != 0)))
            n++;
    return n;
}

/* The first alert of sid with that update flag; fails the test when there is none. */
static const struct alert *find(const struct sink *s, uint32_t sid, bool update)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->a[i].sid == sid && s->a[i].update == update)
            return &s->a[i];
    fail_msg("no alert %u (update %d) among %zu", sid, update, s->n);
    abort();
}

static void expect_in(const struct alert *a, const char *needle)
{
    assert_non_null(a);
    if (!strstr(a->json, needle))
        fail_msg("alert %u lacks %s in %s", a->sid, needle, a->json);
}

static void expect_not_in(const struct alert *a, const char *needle)
{
    assert_non_null(a);
    if (strstr(a->json, needle))
        fail_msg("alert %u has %s in %s", a->sid, needle, a->json);
}

/* --- a host with settings --------------------------------------------------------------- */

struct t {
    dtr_host_t *h;
    struct sink *sink;
    struct dtr_setting set[16];
    size_t n_set;
    uint64_t update_ns;
    uint64_t next_flow_id;
};

static void t_set(struct t *t, const char *param, const char *value)
{
    assert_true(t->n_set < MM_ARRAY_LEN(t->set));
    t->set[t->n_set++] = (struct dtr_setting){"bruteforce", param, value, 0};
}

static void t_start(struct t *t)
{
    assert_string_equal(dt_bruteforce_ops.name, "bruteforce");
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    if (t->update_ns)
        cfg.update_interval_ns = t->update_ns;
    cfg.settings = t->set;
    cfg.n_settings = t->n_set;
    char err[512] = "";
    t->sink = calloc(1, sizeof *t->sink);
    assert_non_null(t->sink);
    t->h = dtr_new(&cfg, NULL, on_alert, t->sink, err, sizeof err);
    if (!t->h)
        fail_msg("dtr_new: %s", err);
}

static void t_stop(struct t *t)
{
    dtr_free(t->h);
    sink_clear(t->sink);
    free(t->sink);
    memset(t, 0, sizeof *t);
}

static void ip(uint8_t out[16], const char *s, uint8_t *ver)
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, s, out) == 1) {
        *ver = 4;
        return;
    }
    assert_int_equal(inet_pton(AF_INET6, s, out), 1);
    *ver = 6;
}

/* A TCP flow client -> server (client is key.a). */
static void mkflow(struct t *t, struct flow *f, const char *cli, uint16_t cport, const char *srv,
                   uint16_t sport)
{
    memset(f, 0, sizeof *f);
    uint8_t v1, v2;
    ip(f->key.a, cli, &v1);
    ip(f->key.b, srv, &v2);
    assert_int_equal(v1, v2);
    f->key.ip_ver = v1;
    f->key.proto = 6;
    f->key.port_a = cport;
    f->key.port_b = sport;
    f->client_is_a = true;
    f->flow_id = ++t->next_flow_id;
}

static void login(struct t *t, const struct flow *f, enum app_proto proto, const char *user,
                  enum app_login_outcome o, uint64_t ts)
{
    struct app_login l = {
        .proto = proto,
        .mechanism = "LOGIN",
        .user = (const uint8_t *)user,
        .user_len = user ? strlen(user) : 0,
        .outcome = o,
        .ts_ns = ts,
    };
    dtr_time(t->h, ts);
    dtr_record(t->h, f, 1, ts, APP_REC_LOGIN, &l);
}

/* One failure on a fresh connection from cli. */
static void fail1(struct t *t, const char *cli, const char *srv, uint16_t port,
                  enum app_proto proto, const char *user, uint64_t ts)
{
    struct flow f;
    mkflow(t, &f, cli, (uint16_t)(40000 + t->next_flow_id % 20000), srv, port);
    login(t, &f, proto, user, APP_LOGIN_FAILURE, ts);
}

/* A finished session for the connection pattern. */
static void session(struct t *t, const char *cli, const char *srv, uint16_t port, uint64_t start,
                    uint64_t dur, uint64_t bytes_ts, uint64_t bytes_tc)
{
    struct flow f;
    mkflow(t, &f, cli, (uint16_t)(40000 + t->next_flow_id % 20000), srv, port);
    f.first_ns = start;
    f.last_ns = start + dur;
    f.payload[FLOW_TOSERVER] = bytes_ts;
    f.payload[FLOW_TOCLIENT] = bytes_tc;
    f.pkts[0] = f.pkts[1] = 10;
    dtr_time(t->h, f.last_ns);
    dtr_flow_end(t->h, &f);
}

static struct dtr_det_stats stats_of(struct t *t)
{
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(t->h, st, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(st[i].name, "bruteforce"))
            return st[i];
    fail_msg("no stats for bruteforce");
    return st[0];
}

/* --- brute force ------------------------------------------------------------------------ */

static void test_brute_force_threshold(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f;
    mkflow(&t, &f, "203.0.113.51", 50000, "192.168.10.25", 110);
    for (int i = 0; i < 19; i++)
        login(&t, &f, APP_PROTO_POP3, "admin", APP_LOGIN_FAILURE, T0 + (uint64_t)i * 15 * S);
    assert_int_equal(t.sink->n, 0);
    login(&t, &f, APP_PROTO_POP3, "admin", APP_LOGIN_FAILURE, T0 + 19 * 15 * S);
    assert_int_equal(t.sink->n, 1);
    const struct alert *a = find(t.sink, 5001, false);
    assert_non_null(a);
    assert_string_equal(a->src, "203.0.113.51");
    assert_string_equal(a->dst, "192.168.10.25");
    assert_int_equal(a->dport, 110);
    assert_int_equal(a->sport, 50000);
    expect_in(a, "\"variant\":\"brute-force\"");
    expect_in(a, "\"protocol\":\"pop3\"");
    expect_in(a, "\"failures\":20,\"successes\":0,\"connections\":1,\"accounts\":1");
    expect_in(a, "\"top_account\":\"admin\",\"top_account_failures\":20");
    expect_in(a, "\"first_seen\":\"2024-04-23T00:00:00.000000+0000\"");
    expect_in(a, "\"duration_s\":285.000");
    expect_in(a, "\"threshold\":{\"failures\":20,\"window_s\":600.000}");
    expect_not_in(a, "\"final\"");
    /* Nothing grew: no closing update. */
    dtr_finish(t.h, T0 + 400 * S);
    assert_int_equal(t.sink->n, 1);
    t_stop(&t);
}

struct window_row {
    const char *name;
    uint64_t gap_s; /* between consecutive failures */
    size_t want;
};

static void test_brute_force_window_edge(void **state)
{
    (void)state;
    /* 20 failures: 19 gaps. 31 s -> 589 s (inside 10 min), 32 s -> 608 s (outside). */
    static const struct window_row rows[] = {
        {"inside", 31, 1},
        {"outside", 32, 0},
        {"far apart", 300, 0},
    };
    for (size_t r = 0; r < MM_ARRAY_LEN(rows); r++) {
        struct t t = {0};
        t_start(&t);
        struct flow f;
        mkflow(&t, &f, "198.51.100.7", 50001, "192.168.10.25", 143);
        for (uint64_t i = 0; i < 20; i++)
            login(&t, &f, APP_PROTO_IMAP, "sato", APP_LOGIN_FAILURE, T0 + i * rows[r].gap_s * S);
        if (count(t.sink, 5001, 0) != rows[r].want)
            fail_msg("row '%s': %zu brute-force alerts, want %zu", rows[r].name,
                     count(t.sink, 5001, 0), rows[r].want);
        t_stop(&t);
    }
}

static void test_brute_force_setting(void **state)
{
    (void)state;
    struct t t = {0};
    t_set(&t, "brute-min-failures", "5");
    t_set(&t, "brute-window", "1m");
    t_start(&t);
    for (uint64_t i = 0; i < 5; i++)
        fail1(&t, "198.51.100.8", "192.168.10.25", 21, APP_PROTO_FTP, "root", T0 + i * 14 * S);
    assert_int_equal(count(t.sink, 5001, 0), 1);
    expect_in(find(t.sink, 5001, false), "\"connections\":5");
    expect_in(find(t.sink, 5001, false), "\"threshold\":{\"failures\":5,\"window_s\":60.000}");
    t_stop(&t);
}

static void test_services_kept_apart(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    /* 15 + 15 failures of one account, but on two services (and one more on another server):
     * never 20 on one. */
    for (uint64_t i = 0; i < 15; i++) {
        fail1(&t, "198.51.100.9", "192.168.10.25", 110, APP_PROTO_POP3, "ito", T0 + i * S);
        fail1(&t, "198.51.100.9", "192.168.10.25", 143, APP_PROTO_IMAP, "ito", T0 + i * S);
        fail1(&t, "198.51.100.9", "192.168.10.26", 110, APP_PROTO_POP3, "ito", T0 + i * S);
    }
    assert_int_equal(t.sink->n, 0);
    t_stop(&t);
}

static void test_unknown_outcome_ignored(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f;
    mkflow(&t, &f, "198.51.100.10", 50002, "192.168.10.25", 25);
    for (uint64_t i = 0; i < 100; i++)
        login(&t, &f, APP_PROTO_SMTP, i % 2 ? "a" : "b", APP_LOGIN_UNKNOWN, T0 + i * S);
    assert_int_equal(t.sink->n, 0);
    assert_int_equal(stats_of(&t).entries, 0);
    /* No flow, no record: ignored. */
    struct app_login l = {.proto = APP_PROTO_SMTP, .outcome = APP_LOGIN_FAILURE};
    dtr_record(t.h, NULL, 0, T0, APP_REC_LOGIN, &l);
    dtr_record(t.h, &f, 0, T0, APP_REC_LOGIN, NULL);
    assert_int_equal(stats_of(&t).entries, 0);
    t_stop(&t);
}

/* --- spray ----------------------------------------------------------------------------- */

static void test_spray_threshold(void **state)
{
    (void)state;
    static const char *const users[] = {"sato", "suzuki", "takahashi", "tanaka", "watanabe"};
    struct t t = {0};
    t_start(&t);
    for (uint64_t i = 0; i < 3; i++)
        fail1(&t, "203.0.113.50", "192.168.10.25", 143, APP_PROTO_IMAP, users[i], T0 + i * 20 * S);
    assert_int_equal(t.sink->n, 0);
    /* The same accounts again do not make a fourth. */
    for (uint64_t i = 0; i < 3; i++)
        fail1(&t, "203.0.113.50", "192.168.10.25", 143, APP_PROTO_IMAP, users[i],
              T0 + (60 + i) * S);
    assert_int_equal(t.sink->n, 0);
    fail1(&t, "203.0.113.50", "192.168.10.25", 143, APP_PROTO_IMAP, users[3], T0 + 100 * S);
    assert_int_equal(t.sink->n, 1);
    const struct alert *a = find(t.sink, 5002, false);
    expect_in(a, "\"variant\":\"spray\"");
    expect_in(a, "\"failures\":7,\"successes\":0,\"connections\":7,\"accounts\":4");
    expect_in(a, "\"accounts_tried\":[{\"account\":\"sato\",\"failures\":2,\"successes\":0},"
                 "{\"account\":\"suzuki\",\"failures\":2,\"successes\":0},"
                 "{\"account\":\"takahashi\",\"failures\":2,\"successes\":0},"
                 "{\"account\":\"tanaka\",\"failures\":1,\"successes\":0}]");
    expect_in(a, "\"threshold\":{\"accounts\":4,\"window_s\":3600.000}");
    /* A fifth account soon after: no new alert (updates wait for the interval). */
    fail1(&t, "203.0.113.50", "192.168.10.25", 143, APP_PROTO_IMAP, users[4], T0 + 120 * S);
    assert_int_equal(t.sink->n, 1);
    /* End of input: one closing update with the final figures. */
    dtr_finish(t.h, T0 + 130 * S);
    assert_int_equal(t.sink->n, 2);
    a = find(t.sink, 5002, true);
    expect_in(a, "\"accounts\":5");
    expect_in(a, "\"final\":true");
    t_stop(&t);
}

static void test_spray_window(void **state)
{
    (void)state;
    static const char *const users[] = {"a1", "a2", "a3", "a4", "a5"};
    struct t t = {0};
    t_start(&t);
    /* Four accounts, 21 minutes apart: 63 minutes > 1 h. */
    for (uint64_t i = 0; i < 4; i++)
        fail1(&t, "203.0.113.60", "192.168.10.25", 25, APP_PROTO_SMTP, users[i],
              T0 + i * 21 * 60 * S);
    assert_int_equal(t.sink->n, 0);
    t_stop(&t);
    /* 19 minutes apart: 57 minutes, inside. */
    t_start(&t);
    for (uint64_t i = 0; i < 4; i++)
        fail1(&t, "203.0.113.60", "192.168.10.25", 25, APP_PROTO_SMTP, users[i],
              T0 + i * 19 * 60 * S);
    assert_int_equal(count(t.sink, 5002, 0), 1);
    t_stop(&t);
}

static void test_spray_many_accounts_listed(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    char name[32];
    /* Exact up to 64 accounts (16 by name, 48 more by hash); an estimate beyond. */
    for (uint64_t i = 0; i < 64; i++) {
        snprintf(name, sizeof name, "user%02u", (unsigned)i);
        fail1(&t, "203.0.113.61", "192.168.10.25", 143, APP_PROTO_IMAP, name, T0 + i * S);
        fail1(&t, "203.0.113.61", "192.168.10.25", 143, APP_PROTO_IMAP, name, T0 + i * S);
    }
    dtr_finish(t.h, T0 + 100 * S);
    assert_int_equal(count(t.sink, 5002, 0), 1);
    const struct alert *a = find(t.sink, 5002, true);
    expect_in(a, "\"failures\":128,\"successes\":0,\"connections\":128,\"accounts\":64,");
    expect_in(a, "\"account\":\"user15\"");
    expect_not_in(a, "\"account\":\"user16\""); /* 16 names kept */
    expect_in(a, "\"accounts_not_listed\":48");
    t_stop(&t);
    t_start(&t);
    for (uint64_t i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "user%03u", (unsigned)i);
        fail1(&t, "203.0.113.61", "192.168.10.25", 143, APP_PROTO_IMAP, name, T0 + i * S);
    }
    dtr_finish(t.h, T0 + 400 * S);
    a = find(t.sink, 5002, true);
    const char *p = strstr(a->json, "\"accounts\":");
    assert_non_null(p);
    long n = strtol(p + 11, NULL, 10);
    if (n < 280 || n > 320) /* the sketch's error is a few per cent */
        fail_msg("300 accounts estimated as %ld", n);
    t_stop(&t);
}

/* --- success --------------------------------------------------------------------------- */

static void test_success_after_brute_force(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    for (uint64_t i = 0; i < 40; i++)
        fail1(&t, "203.0.113.51", "192.168.10.25", 110, APP_PROTO_POP3, "admin", T0 + i * 15 * S);
    struct flow f;
    mkflow(&t, &f, "203.0.113.51", 51234, "192.168.10.25", 110);
    login(&t, &f, APP_PROTO_POP3, "admin", APP_LOGIN_SUCCESS, T0 + 600 * S);
    assert_int_equal(count(t.sink, 5001, 0), 1);
    assert_int_equal(count(t.sink, 5004, 0), 1);
    const struct alert *a = find(t.sink, 5004, false);
    assert_int_equal(a->sport, 51234);
    expect_in(a, "\"variant\":\"success-after-attack\"");
    expect_in(a, "\"failures\":40,\"successes\":1,\"connections\":41");
    expect_in(a, "{\"account\":\"admin\",\"failures\":40,\"successes\":1}");
    expect_in(a, "\"successful_account\":\"admin\"");
    /* Closing: the brute force grew from 20 to 40 failures and a success; the success
     * report did not grow. */
    dtr_finish(t.h, T0 + 700 * S);
    assert_int_equal(count(t.sink, 5001, 1), 1);
    assert_int_equal(count(t.sink, 5004, 1), 0);
    expect_in(find(t.sink, 5001, true), "\"failures\":40,\"successes\":1");
    t_stop(&t);
}

static void test_success_after_spray(void **state)
{
    (void)state;
    static const char *const users[] = {"sato", "suzuki", "takahashi", "tanaka", "ito"};
    struct t t = {0};
    t_start(&t);
    /* Four accounts failed (a spray), then one of them logs in: three others are no spray on
     * their own (four users behind one NAT address mistyping would look the same). */
    for (uint64_t i = 0; i < 4; i++)
        fail1(&t, "203.0.113.55", "192.168.10.25", 143, APP_PROTO_IMAP, users[i], T0 + i * S);
    struct flow f;
    mkflow(&t, &f, "203.0.113.55", 50600, "192.168.10.25", 143);
    login(&t, &f, APP_PROTO_IMAP, "tanaka", APP_LOGIN_SUCCESS, T0 + 10 * S);
    assert_int_equal(count(t.sink, 5002, 0), 1);
    assert_int_equal(count(t.sink, 5004, -1), 0);
    /* A fifth account failed: now four others, and a login on a fresh account counts too. */
    fail1(&t, "203.0.113.55", "192.168.10.25", 143, APP_PROTO_IMAP, users[4], T0 + 20 * S);
    login(&t, &f, APP_PROTO_IMAP, "tanaka", APP_LOGIN_SUCCESS, T0 + 30 * S);
    assert_int_equal(count(t.sink, 5004, 0), 1);
    expect_in(find(t.sink, 5004, false), "\"successful_account\":\"tanaka\"");
    t_stop(&t);
    t_start(&t);
    for (uint64_t i = 0; i < 4; i++)
        fail1(&t, "203.0.113.56", "192.168.10.25", 143, APP_PROTO_IMAP, users[i], T0 + i * S);
    mkflow(&t, &f, "203.0.113.56", 50601, "192.168.10.25", 143);
    login(&t, &f, APP_PROTO_IMAP, "webmaster", APP_LOGIN_SUCCESS, T0 + 10 * S);
    assert_int_equal(count(t.sink, 5004, 0), 1);
    expect_in(find(t.sink, 5004, false), "{\"account\":\"webmaster\",\"failures\":0,"
                                         "\"successes\":1}");
    t_stop(&t);
}

static void test_success_after_typos_is_quiet(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    /* A user mistypes three times, then logs in; a client retries an old password every 5
     * minutes for an hour, then the user fixes it. */
    for (uint64_t i = 0; i < 3; i++)
        fail1(&t, "192.168.10.21", "192.168.10.25", 110, APP_PROTO_POP3, "sato", T0 + i * 5 * S);
    struct flow f;
    mkflow(&t, &f, "192.168.10.21", 50100, "192.168.10.25", 110);
    login(&t, &f, APP_PROTO_POP3, "sato", APP_LOGIN_SUCCESS, T0 + 20 * S);
    for (uint64_t i = 0; i < 12; i++)
        fail1(&t, "192.168.10.22", "192.168.10.25", 143, APP_PROTO_IMAP, "suzuki",
              T0 + i * 300 * S);
    mkflow(&t, &f, "192.168.10.22", 50101, "192.168.10.25", 143);
    login(&t, &f, APP_PROTO_IMAP, "suzuki", APP_LOGIN_SUCCESS, T0 + 3700 * S);
    dtr_finish(t.h, T0 + 4000 * S);
    assert_int_equal(t.sink->n, 0);
    t_stop(&t);
}

static void test_busy_client_no_state(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    char cli[32];
    for (uint64_t i = 0; i < 2000; i++) {
        snprintf(cli, sizeof cli, "192.168.10.%u", (unsigned)(20 + i % 20));
        struct flow f;
        mkflow(&t, &f, cli, 50000, "192.168.10.25", i % 2 ? 110 : 143);
        login(&t, &f, i % 2 ? APP_PROTO_POP3 : APP_PROTO_IMAP, cli, APP_LOGIN_SUCCESS, T0 + i * S);
    }
    dtr_finish(t.h, T0 + 3000 * S);
    assert_int_equal(t.sink->n, 0);
    struct dtr_det_stats st = stats_of(&t);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.alerts, 0);
    t_stop(&t);
}

/* --- distributed spray ------------------------------------------------------------------ */

static void test_distributed_spray(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    char cli[32], user[32];
    /* One failure per source, each on its own account, every 30 minutes. */
    for (uint64_t i = 0; i < 9; i++) {
        snprintf(cli, sizeof cli, "198.51.100.%u", (unsigned)(100 + i));
        snprintf(user, sizeof user, "staff%u", (unsigned)i);
        fail1(&t, cli, "192.168.10.25", 143, APP_PROTO_IMAP, user, T0 + i * 1800 * S);
    }
    assert_int_equal(t.sink->n, 0);
    fail1(&t, "198.51.100.109", "192.168.10.25", 143, APP_PROTO_IMAP, "staff9", T0 + 9 * 1800 * S);
    assert_int_equal(t.sink->n, 1);
    const struct alert *a = find(t.sink, 5003, false);
    assert_string_equal(a->src, "198.51.100.109");
    assert_string_equal(a->dst, "192.168.10.25");
    expect_in(a, "\"variant\":\"distributed-spray\"");
    expect_in(a, "\"sources\":10,\"sources_failing\":10,\"sources_recovered\":0,"
                 "\"accounts\":10,\"failures\":10");
    expect_in(a, "\"source_examples\":[\"198.51.100.100\",\"198.51.100.101\"");
    expect_in(a, "\"account_examples\":[\"staff0\",\"staff1\"");
    expect_in(a, "\"duration_s\":16200.000");
    expect_in(a, "\"threshold\":{\"sources\":10,\"accounts\":10,\"window_s\":86400.000}");
    assert_int_equal(count(t.sink, 5001, -1) + count(t.sink, 5002, -1), 0);
    t_stop(&t);
}

static void test_distributed_recovered_sources(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    char cli[32], user[32];
    /* Ten failing sources, but two of them are users who then log in. */
    for (uint64_t i = 0; i < 10; i++) {
        snprintf(cli, sizeof cli, "198.51.100.%u", (unsigned)(100 + i));
        snprintf(user, sizeof user, "staff%u", (unsigned)i);
        fail1(&t, cli, "192.168.10.25", 143, APP_PROTO_IMAP, user, T0 + i * 600 * S);
        if (i == 2 || i == 5) {
            struct flow f;
            mkflow(&t, &f, cli, 50200, "192.168.10.25", 143);
            login(&t, &f, APP_PROTO_IMAP, user, APP_LOGIN_SUCCESS, T0 + (i * 600 + 30) * S);
        }
    }
    assert_int_equal(t.sink->n, 0);
    fail1(&t, "198.51.100.110", "192.168.10.25", 143, APP_PROTO_IMAP, "staff10", T0 + 7000 * S);
    assert_int_equal(t.sink->n, 0);
    fail1(&t, "198.51.100.111", "192.168.10.25", 143, APP_PROTO_IMAP, "staff11", T0 + 7100 * S);
    assert_int_equal(t.sink->n, 1);
    const struct alert *a = find(t.sink, 5003, false);
    expect_in(a, "\"sources\":10,\"sources_failing\":12,\"sources_recovered\":2");
    expect_not_in(a, "\"198.51.100.102\"");
    expect_not_in(a, "\"198.51.100.105\"");
    t_stop(&t);
}

static void test_distributed_window(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    char cli[32], user[32];
    /* Ten sources three hours apart: 27 hours, never ten within one 24 h window. */
    for (uint64_t i = 0; i < 10; i++) {
        snprintf(cli, sizeof cli, "198.51.100.%u", (unsigned)(100 + i));
        snprintf(user, sizeof user, "staff%u", (unsigned)i);
        fail1(&t, cli, "192.168.10.25", 143, APP_PROTO_IMAP, user, T0 + i * 3 * 3600 * S);
    }
    dtr_finish(t.h, T0 + 30 * 3600 * S);
    assert_int_equal(t.sink->n, 0);
    t_stop(&t);
}

/* --- connection pattern ----------------------------------------------------------------- */

static void test_pattern_ssh(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    /* Long sessions and sessions where the server never spoke do not count. */
    for (uint64_t i = 0; i < 30; i++) {
        session(&t, "203.0.113.70", "192.168.10.80", 22, T0 + i * 10 * S, 120 * S, 3000, 4000);
        session(&t, "203.0.113.70", "192.168.10.80", 22, T0 + i * 10 * S, 1 * S, 60, 0);
        session(&t, "203.0.113.70", "192.168.10.80", 22, T0 + i * 10 * S, 2 * S, 3000, 64 * 1024);
    }
    assert_int_equal(t.sink->n, 0);
    for (uint64_t i = 0; i < 19; i++)
        session(&t, "203.0.113.71", "192.168.10.80", 22, T0 + i * 20 * S, 4 * S, 2400, 3100);
    assert_int_equal(t.sink->n, 0);
    session(&t, "203.0.113.71", "192.168.10.80", 22, T0 + 19 * 20 * S, 5 * S, 2400, 3100);
    assert_int_equal(t.sink->n, 1);
    const struct alert *a = find(t.sink, 5006, false);
    assert_string_equal(a->src, "203.0.113.71");
    assert_int_equal(a->dport, 22);
    expect_in(a, "\"variant\":\"ssh-short-sessions\"");
    expect_in(a, "\"service\":\"ssh\",\"short_sessions\":20,\"sessions\":20");
    expect_in(a, "\"max_duration_s\":5.000");
    expect_in(a, "\"mean_bytes_toserver\":2400,\"mean_bytes_toclient\":3100");
    t_stop(&t);
}

static void test_pattern_imaps_and_home_net(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    for (uint64_t i = 0; i < 25; i++) {
        session(&t, "203.0.113.72", "192.168.10.25", 993, T0 + i * 15 * S, 3 * S, 900, 4500);
        /* outbound: a server outside HOME_NET */
        session(&t, "192.168.10.23", "203.0.113.66", 993, T0 + i * 15 * S, 3 * S, 900, 4500);
    }
    assert_int_equal(count(t.sink, 5005, 0), 1);
    assert_int_equal(t.sink->n, 1);
    expect_in(find(t.sink, 5005, false), "\"service\":\"imaps\"");
    t_stop(&t);

    t_set(&t, "pattern-home-only", "no");
    t_start(&t);
    for (uint64_t i = 0; i < 25; i++)
        session(&t, "192.168.10.23", "203.0.113.66", 993, T0 + i * 15 * S, 3 * S, 900, 4500);
    assert_int_equal(count(t.sink, 5005, 0), 1);
    t_stop(&t);
}

static void test_pattern_https_threshold(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    for (uint64_t i = 0; i < 99; i++)
        session(&t, "203.0.113.73", "192.168.10.80", 443, T0 + i * 5 * S, 1 * S, 1500, 5000);
    assert_int_equal(t.sink->n, 0);
    session(&t, "203.0.113.73", "192.168.10.80", 443, T0 + 99 * 5 * S, 1 * S, 1500, 5000);
    assert_int_equal(count(t.sink, 5005, 0), 1);
    expect_in(find(t.sink, 5005, false), "\"service\":\"https\"");
    /* Port 995 is not in a configured list. */
    t_stop(&t);
    t_set(&t, "pattern-ports", "22, 2222");
    t_start(&t);
    for (uint64_t i = 0; i < 30; i++) {
        session(&t, "203.0.113.74", "192.168.10.25", 995, T0 + i * 5 * S, 1 * S, 900, 4000);
        session(&t, "203.0.113.74", "192.168.10.80", 2222, T0 + i * 5 * S, 1 * S, 900, 4000);
    }
    assert_int_equal(t.sink->n, 1);
    assert_int_equal(count(t.sink, 5005, 0), 1);
    assert_int_equal(find(t.sink, 5005, false)->dport, 2222);
    t_stop(&t);
}

static void test_pattern_window(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    /* 20 short sessions 32 s apart: 608 s > 10 min; the window restarts. */
    for (uint64_t i = 0; i < 20; i++)
        session(&t, "203.0.113.75", "192.168.10.80", 22, T0 + i * 32 * S, 2 * S, 2000, 3000);
    assert_int_equal(t.sink->n, 0);
    t_stop(&t);
}

/* --- reporting ------------------------------------------------------------------------- */

static void test_update_rate_limit(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    /* A failure every 5 s for an hour: first report at the 20th (t+95 s), then updates at
     * least 10 minutes apart: t+695, 1295, 1895, 2495, 3095. */
    struct flow f;
    mkflow(&t, &f, "203.0.113.80", 50300, "192.168.10.25", 21);
    for (uint64_t i = 0; i < 720; i++)
        login(&t, &f, APP_PROTO_FTP, "administrator", APP_LOGIN_FAILURE, T0 + i * 5 * S);
    assert_int_equal(count(t.sink, 5001, 0), 1);
    assert_int_equal(count(t.sink, 5001, 1), 5);
    for (size_t i = 1; i < t.sink->n; i++)
        assert_true(t.sink->a[i].ts_ns - t.sink->a[i - 1].ts_ns >= 600 * S);
    assert_int_equal(t.sink->a[0].ts_ns, T0 + 95 * S);
    assert_int_equal(t.sink->a[1].ts_ns, T0 + 695 * S);
    expect_in(&t.sink->a[1], "\"update\":true");
    expect_not_in(&t.sink->a[1], "\"final\"");
    /* Quiet for an hour: the tick closes the activity (final figures), then a new one. */
    dtr_time(t.h, T0 + 3595 * S + 3601 * S);
    assert_int_equal(count(t.sink, 5001, 1), 6);
    expect_in(&t.sink->a[t.sink->n - 1], "\"failures\":720");
    expect_in(&t.sink->a[t.sink->n - 1], "\"final\":true");
    assert_int_equal(stats_of(&t).entries, 1); /* the service entry lives 24 h */
    for (uint64_t i = 0; i < 20; i++)
        login(&t, &f, APP_PROTO_FTP, "administrator", APP_LOGIN_FAILURE, T0 + 8000 * S + i * S);
    assert_int_equal(count(t.sink, 5001, 0), 2);
    t_stop(&t);
}

static void test_update_interval_setting_and_final_off(void **state)
{
    (void)state;
    struct t t = {0};
    t.update_ns = 60 * S;
    t_set(&t, "final-report", "no");
    t_start(&t);
    struct flow f;
    mkflow(&t, &f, "203.0.113.81", 50301, "192.168.10.25", 21);
    for (uint64_t i = 0; i < 60; i++) /* t+0 .. t+295 */
        login(&t, &f, APP_PROTO_FTP, "root", APP_LOGIN_FAILURE, T0 + i * 5 * S);
    /* first at t+95, updates at t+155, 215, 275 */
    assert_int_equal(count(t.sink, 5001, 0), 1);
    assert_int_equal(count(t.sink, 5001, 1), 3);
    dtr_finish(t.h, T0 + 400 * S);
    assert_int_equal(count(t.sink, 5001, 1), 3);
    t_stop(&t);
}

static void test_memcap_eviction(void **state)
{
    (void)state;
    struct t t = {0};
    t_set(&t, "memcap", "64kb");
    t_start(&t);
    char cli[32];
    for (unsigned i = 0; i < 500; i++) {
        snprintf(cli, sizeof cli, "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
        fail1(&t, cli, "192.168.10.25", 110, APP_PROTO_POP3, "x", T0 + i * S);
    }
    struct dtr_det_stats st = stats_of(&t);
    assert_true(st.evicted > 0);
    assert_true(st.memuse <= st.memcap);
    assert_int_equal(st.memcap, 65536);
    /* A brute force still shows: its own entry is the newest. */
    for (uint64_t i = 0; i < 20; i++)
        fail1(&t, "203.0.113.90", "192.168.10.25", 110, APP_PROTO_POP3, "admin",
              T0 + (600 + i) * S);
    assert_int_equal(count(t.sink, 5001, 0), 1);
    t_stop(&t);
}

static void test_hash_accounts(void **state)
{
    (void)state;
    static const char *const users[] = {"admin", "sato", "suzuki", "tanaka"};
    struct t t = {0};
    t_set(&t, "hash-accounts", "yes");
    t_start(&t);
    for (uint64_t i = 0; i < 4; i++)
        fail1(&t, "203.0.113.50", "192.168.10.25", 143, APP_PROTO_IMAP, users[i], T0 + i * S);
    const struct alert *a = find(t.sink, 5002, false);
    /* SHA-256("admin") = 8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918 */
    expect_in(a, "\"account\":\"sha256:8c6976e5b5410415\"");
    expect_in(a, "\"accounts_hashed\":true");
    for (size_t i = 0; i < 4; i++)
        expect_not_in(a, users[i]);
    t_stop(&t);
}

static void test_hostile_names(void **state)
{
    (void)state;
    struct t t = {0};
    t_set(&t, "spray-min-accounts", "3");
    t_start(&t);
    size_t n = 10000;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, 'A', n);
    big[n] = 0;
    struct flow f;
    mkflow(&t, &f, "203.0.113.91", 50400, "192.168.10.25", 80);
    login(&t, &f, APP_PROTO_HTTP, big, APP_LOGIN_FAILURE, T0);
    login(&t, &f, APP_PROTO_HTTP, NULL, APP_LOGIN_FAILURE, T0 + S);
    struct app_login l = {.proto = APP_PROTO_HTTP,
                          .mechanism = "basic",
                          .user = (const uint8_t *)"\xff\x00\"\\\n",
                          .user_len = 5,
                          .outcome = APP_LOGIN_FAILURE,
                          .ts_ns = T0 + 2 * S};
    dtr_record(t.h, &f, 0, T0 + 2 * S, APP_REC_LOGIN, &l);
    free(big);
    assert_int_equal(count(t.sink, 5002, 0), 1);
    const struct alert *a = find(t.sink, 5002, false);
    expect_in(a, "\"account_cut\":true");
    expect_in(a, "{\"account\":\"\",\"failures\":1");
    expect_in(a, "\"account\":\"\\u00ff\\u0000\\\"\\\\\\n\"");
    expect_in(a, "\"mechanism\":\"basic\"");
    /* Time going backwards and huge timestamps. */
    login(&t, &f, APP_PROTO_HTTP, "x", APP_LOGIN_FAILURE, T0 - 1000 * S);
    login(&t, &f, APP_PROTO_HTTP, "y", APP_LOGIN_FAILURE, UINT64_MAX - 5);
    login(&t, &f, APP_PROTO_HTTP, "z", APP_LOGIN_SUCCESS, UINT64_MAX);
    dtr_finish(t.h, UINT64_MAX);
    t_stop(&t);
}

static void test_ipv6(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f;
    mkflow(&t, &f, "2001:db8::51", 50500, "fd00::25", 110);
    for (uint64_t i = 0; i < 20; i++)
        login(&t, &f, APP_PROTO_POP3, "admin", APP_LOGIN_FAILURE, T0 + i * S);
    const struct alert *a = find(t.sink, 5001, false);
    assert_non_null(a);
    assert_string_equal(a->src, "2001:db8::51");
    expect_in(a, "\"source\":\"2001:db8::51\",\"server\":\"fd00::25\"");
    t_stop(&t);
}

static void test_bad_settings(void **state)
{
    (void)state;
    static const struct {
        const char *param, *value, *want;
    } rows[] = {
        {"pattern-ports", "22,abc", "pattern-ports"},
        {"pattern-ports", "0", "pattern-ports"},
        {"pattern-ports", "70000", "pattern-ports"},
        {"pattern-ports", "22;993", "pattern-ports"},
        {"brute-min-failures", "1", "outside"},
        {"spray-window", "10s", "outside"},
        {"memcap", "1kb", "outside"},
        {"no-such", "1", "no such setting"},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        struct dtr_setting s = {"bruteforce", rows[i].param, rows[i].value, 0};
        struct dtr_config cfg;
        dtr_config_defaults(&cfg);
        cfg.settings = &s;
        cfg.n_settings = 1;
        char err[512] = "";
        dtr_host_t *h = dtr_new(&cfg, NULL, on_alert, NULL, err, sizeof err);
        if (h || !strstr(err, rows[i].want))
            fail_msg("row %zu (%s: %s): host %p, error '%s'", i, rows[i].param, rows[i].value,
                     (void *)h, err);
    }
    /* Disabled: no state, no alerts. */
    struct t t = {0};
    t_set(&t, "pattern-ports", "");
    t_start(&t);
    for (uint64_t i = 0; i < 30; i++)
        session(&t, "203.0.113.71", "192.168.10.80", 22, T0 + i * S, S, 2000, 3000);
    assert_int_equal(t.sink->n, 0);
    t_stop(&t);
    t.set[0] = (struct dtr_setting){"bruteforce", "enabled", "no", 0};
    t.n_set = 1;
    t_start(&t);
    for (uint64_t i = 0; i < 30; i++)
        fail1(&t, "203.0.113.51", "192.168.10.25", 110, APP_PROTO_POP3, "admin", T0 + i * S);
    assert_int_equal(t.sink->n, 0);
    t_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_brute_force_threshold),
        cmocka_unit_test(test_brute_force_window_edge),
        cmocka_unit_test(test_brute_force_setting),
        cmocka_unit_test(test_services_kept_apart),
        cmocka_unit_test(test_unknown_outcome_ignored),
        cmocka_unit_test(test_spray_threshold),
        cmocka_unit_test(test_spray_window),
        cmocka_unit_test(test_spray_many_accounts_listed),
        cmocka_unit_test(test_success_after_brute_force),
        cmocka_unit_test(test_success_after_spray),
        cmocka_unit_test(test_success_after_typos_is_quiet),
        cmocka_unit_test(test_busy_client_no_state),
        cmocka_unit_test(test_distributed_spray),
        cmocka_unit_test(test_distributed_recovered_sources),
        cmocka_unit_test(test_distributed_window),
        cmocka_unit_test(test_pattern_ssh),
        cmocka_unit_test(test_pattern_imaps_and_home_net),
        cmocka_unit_test(test_pattern_https_threshold),
        cmocka_unit_test(test_pattern_window),
        cmocka_unit_test(test_update_rate_limit),
        cmocka_unit_test(test_update_interval_setting_and_final_off),
        cmocka_unit_test(test_memcap_eviction),
        cmocka_unit_test(test_hash_accounts),
        cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
