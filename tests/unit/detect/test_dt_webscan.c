/*
 * The T3 behaviour detector (src/detect/dt_webscan.c) through the detector host: HTTP
 * transactions go in through dtr_record, alerts come back as det_alerts whose "mamori" JSON
 * is checked for the evidence. Cases: the 4xx burst at its count, ratio and window edges; the
 * URI sweep at its count and Referer edges; clients judged apart; one report then updates
 * at most every update interval; a new activity after idle-timeout; examples and user agents
 * (deduplicated, cut, escaped); transactions without a request or without a response; IPv6;
 * out-of-order times; memcap eviction counted; bad settings refused.
 */
#include "detect/dtr_int.h"

#include "app/app.h"
#include "app/http.h"
#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Pulls the detector out of the static library (the registry refers to it weakly). */
extern const struct dtr_ops dt_webscan_ops;

#define S ((uint64_t)1000000000u)
#define MIN (60u * S)
#define T0 ((uint64_t)1713830400u * S) /* 2024-04-23T00:00:00Z */
#define SID_BURST 3001u
#define SID_SWEEP 3002u
#define MAX_ALERTS 256

struct got {
    uint32_t sid;
    bool update;
    uint64_t ts_ns;
    char src[64], dst[64];
    uint16_t dport;
    uint8_t proto;
    char *json;
};

struct sink {
    struct got a[MAX_ALERTS];
    size_t n;
};

static bool on_alert(void *u, const struct det_alert *a)
{
    struct sink *s = u;
    /* Other detectors linked into this program report here too: keep webscan's only. */
    if (!a->rule || a->rule->sid < SID_BURST || a->rule->sid > SID_SWEEP || s->n >= MAX_ALERTS)
        return true;
    struct got *g = &s->a[s->n++];
    g->sid = a->rule->sid;
    g->ts_ns = a->ts_ns;
    g->dport = a->dport;
    g->proto = a->proto;
    dec_addr_str(&a->src, a->ip_ver, g->src, sizeof g->src);
    dec_addr_str(&a->dst, a->ip_ver, g->dst, sizeof g->dst);
    g->json = calloc(1, a->mamori_len + 1);
    assert_non_null(g->json);
    memcpy(g->json, a->mamori_json, a->mamori_len);
    g->update = strstr(g->json, "\"update\":true") != NULL;
    return true;
}

static size_t n_alerts(const struct sink *s, uint32_t sid, int update)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->a[i].sid == sid && (update < 0 || s->a[i].update == (update != 0)))
            n++;
    return n;
}

static const struct got *nth(const struct sink *s, uint32_t sid, size_t k)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->a[i].sid == sid && k-- == 0)
            return &s->a[i];
    fail_msg("alert %u #%zu missing (%zu alerts)", sid, k, s->n);
    abort();
}

/* The k-th alert of sid with that update flag. */
static const struct got *nth_of(const struct sink *s, uint32_t sid, bool update, size_t k)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->a[i].sid == sid && s->a[i].update == update && k-- == 0)
            return &s->a[i];
    fail_msg("alert %u (update %d) #%zu missing (%zu alerts)", sid, update, k, s->n);
    abort();
}

static void has(const struct got *g, const char *needle)
{
    if (!strstr(g->json, needle))
        fail_msg("alert %u lacks %s in %s", g->sid, needle, g->json);
}

static void lacks(const struct got *g, const char *needle)
{
    if (strstr(g->json, needle))
        fail_msg("alert %u has %s in %s", g->sid, needle, g->json);
}

/* --- a host with settings, and flows to feed it --------------------------------------- */

struct t {
    dtr_host_t *h;
    struct sink *sink;
    struct dtr_setting set[24];
    size_t n_set;
    uint64_t update_ns;
};

static void t_set(struct t *t, const char *detector, const char *param, const char *value)
{
    assert_true(t->n_set < MM_ARRAY_LEN(t->set));
    t->set[t->n_set++] = (struct dtr_setting){detector, param, value, 0};
}

/* NULL-terminated error text when dtr_new refuses, else NULL (host started). */
static const char *t_try(struct t *t, char *err, size_t errlen)
{
    assert_string_equal(dt_webscan_ops.name, "webscan");
    /* Only webscan runs: the other detectors present in the library are switched off. */
    for (size_t k = 0; k < dtr_registry_len; k++)
        if (dtr_registry[k] && strcmp(dtr_registry[k]->name, "webscan") != 0)
            t_set(t, dtr_registry[k]->name, "enabled", "no");
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    if (t->update_ns)
        cfg.update_interval_ns = t->update_ns;
    cfg.settings = t->set;
    cfg.n_settings = t->n_set;
    t->sink = calloc(1, sizeof *t->sink);
    assert_non_null(t->sink);
    err[0] = 0;
    t->h = dtr_new(&cfg, NULL, on_alert, t->sink, err, errlen);
    return t->h ? NULL : err;
}

static void t_start(struct t *t)
{
    char err[512];
    if (t_try(t, err, sizeof err))
        fail_msg("dtr_new: %s", err);
}

static void t_end(struct t *t)
{
    dtr_free(t->h);
    for (size_t i = 0; i < t->sink->n; i++)
        free(t->sink->a[i].json);
    free(t->sink);
    memset(t, 0, sizeof *t);
}

static struct flow mkflow(uint8_t cli_last, uint8_t srv_last, uint16_t sport, uint16_t dport)
{
    struct flow f;
    memset(&f, 0, sizeof f);
    uint8_t c[4] = {198, 51, 100, cli_last}, s[4] = {192, 168, 10, srv_last};
    memcpy(f.key.a, c, 4);
    memcpy(f.key.b, s, 4);
    f.key.port_a = sport;
    f.key.port_b = dport;
    f.key.proto = 6;
    f.key.ip_ver = 4;
    f.client_is_a = true;
    f.flow_id = 1000u + cli_last;
    return f;
}

static struct http_str hs(const char *s)
{
    struct http_str r = {(const uint8_t *)s, s ? strlen(s) : 0};
    if (!s)
        r.p = NULL;
    return r;
}

/* One transaction: GET uri (also the normalised form), answered with status (-1: none). */
static void tx_full(struct t *t, const struct flow *f, uint64_t ts, const char *uri, int status,
                    const char *ua, const char *referer)
{
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.method = hs("GET");
    tx.uri = hs(uri);
    tx.uri_norm = hs(uri);
    tx.protocol = hs("HTTP/1.1");
    tx.user_agent = hs(ua);
    tx.referer = hs(referer);
    tx.status = status;
    dtr_time(t->h, ts);
    dtr_record(t->h, f, 1, ts, APP_REC_HTTP, &tx);
}

static void tx(struct t *t, const struct flow *f, uint64_t ts, const char *uri, int status)
{
    tx_full(t, f, ts, uri, status, "Mozilla/5.0 (test)", NULL);
}

/* n requests for distinct paths /p<base+i>, one every step_ns from start, all with status. */
static void series(struct t *t, const struct flow *f, uint64_t start, uint64_t step_ns, int n,
                   int base, int status)
{
    char uri[64];
    for (int i = 0; i < n; i++) {
        snprintf(uri, sizeof uri, "/p%d", base + i);
        tx(t, f, start + (uint64_t)i * step_ns, uri, status);
    }
}

/* --- 4xx burst ------------------------------------------------------------------------- */

static void test_burst_count_edge(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(99, 80, 40000, 80);
    /* 19 x 404 in 19 s: below min-4xx 20. */
    series(&t, &f, T0, S, 19, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    /* The 20th crosses it: one first report, pointing from the client to the server. */
    tx(&t, &f, T0 + 19 * S, "/p19", 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    const struct got *g = nth(t.sink, SID_BURST, 0);
    assert_false(g->update);
    assert_string_equal(g->src, "198.51.100.99");
    assert_string_equal(g->dst, "192.168.10.80");
    assert_int_equal(g->dport, 80);
    assert_int_equal(g->proto, 6);
    assert_int_equal(g->ts_ns, T0 + 19 * S);
    has(g, "\"variant\":\"4xx_burst\"");
    has(g, "\"requests\":20");
    has(g, "\"4xx\":20");
    has(g, "\"2xx\":0");
    has(g, "\"ratio_4xx\":1.000");
    has(g, "\"distinct_paths\":20"); /* exact up to 16, then estimated */
    has(g, "\"server_port\":80");
    has(g, "\"first_seen\":\"2024-04-23T00:00:00");
    has(g, "\"duration_s\":19.000");
    has(g, "\"paths_4xx\":[\"/p0\",\"/p1\",\"/p2\",\"/p3\"]");
    has(g, "\"user_agents\":[\"Mozilla/5.0 (test)\"]");
    has(g, "\"min_4xx\":20");
    /* More 404s within the update interval: no more reports. */
    series(&t, &f, T0 + 20 * S, S, 30, 100, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    t_end(&t);
}

static void test_burst_ratio_edge(void **state)
{
    (void)state;
    /* 20 x 404 and 21 x 200 in the window: 48.8 % < 50 %: nothing. */
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(10, 80, 40000, 80);
    series(&t, &f, T0, S / 2, 21, 0, 200);
    series(&t, &f, T0 + 11 * S, S / 2, 20, 100, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    t_end(&t);

    /* 20 x 404 and 20 x 200: exactly 50 % reaches the ratio. */
    t_start(&t);
    series(&t, &f, T0, S / 2, 20, 0, 200);
    series(&t, &f, T0 + 11 * S, S / 2, 20, 100, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 0), 1);
    const struct got *g = nth(t.sink, SID_BURST, 0);
    has(g, "\"2xx\":20");
    has(g, "\"4xx\":20");
    has(g, "\"ratio_4xx\":0.500");
    has(g, "\"paths_2xx\":[\"/p0\",\"/p1\",\"/p2\",\"/p3\"]");
    t_end(&t);

    /* A configured ratio applies: 0.6 refuses the same traffic. */
    t_set(&t, "webscan", "min-4xx-ratio", "0.6");
    t_start(&t);
    series(&t, &f, T0, S / 2, 20, 0, 200);
    series(&t, &f, T0 + 11 * S, S / 2, 20, 100, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    t_end(&t);
}

static void test_burst_window_edge(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(11, 80, 40000, 80);
    /* One 404 every 4 s: 20 of them span 76 s, never 20 in a 60 s window. */
    series(&t, &f, T0, 4 * S, 40, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    t_end(&t);

    /* One every 2.5 s: 20 within 47.5 s. */
    t_start(&t);
    series(&t, &f, T0, 5 * S / 2, 20, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    t_end(&t);

    /* 15 x 404, 90 quiet seconds, 5 x 404: the first 15 have left the window (their slice
     * has not been reused yet: 90 s is not a multiple of the 60 s ring). */
    t_start(&t);
    series(&t, &f, T0, S / 10, 15, 0, 404);
    series(&t, &f, T0 + 90 * S, S / 10, 5, 100, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    /* ... and 15 more now do make 20 within 60 s. */
    series(&t, &f, T0 + 91 * S, S / 10, 15, 200, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    has(nth(t.sink, SID_BURST, 0), "\"requests\":35");
    t_end(&t);

    /* A shorter window refuses what the default takes. */
    t_set(&t, "webscan", "window", "30s");
    t_start(&t);
    series(&t, &f, T0, 5 * S / 2, 20, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    t_end(&t);
}

static void test_clients_apart(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    /* Two clients with 15 x 404 each to one server: each is judged alone. */
    struct flow a = mkflow(1, 80, 40000, 80), b = mkflow(2, 80, 40001, 80);
    for (int i = 0; i < 15; i++) {
        char uri[32];
        snprintf(uri, sizeof uri, "/x%d", i);
        tx(&t, &a, T0 + (uint64_t)i * S, uri, 404);
        tx(&t, &b, T0 + (uint64_t)i * S + S / 2, uri, 404);
    }
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    /* The same client against two servers: two pairs, neither reaches 20. */
    struct flow c1 = mkflow(3, 80, 40002, 80), c2 = mkflow(3, 81, 40003, 80);
    series(&t, &c1, T0, S, 15, 0, 404);
    series(&t, &c2, T0, S, 15, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    t_end(&t);
}

/* --- URI sweep ------------------------------------------------------------------------- */

static void test_sweep_edge(void **state)
{
    (void)state;
    /* Distinct paths beyond 16 are estimated (dtr_distinct, about 2 % error), so the edge is
     * tested with a margin: 90 new paths do not reach min-distinct-uris 100, 110 do. */
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(20, 80, 40000, 8080);
    /* 90 distinct paths in 9 s, all found (a soft-404 site). */
    series(&t, &f, T0, S / 10, 90, 0, 200);
    /* Asking again for old paths (other queries) adds nothing. */
    char uri[32];
    for (int i = 0; i < 60; i++) {
        snprintf(uri, sizeof uri, "/p%d?x=%d", i % 30, i);
        tx(&t, &f, T0 + 9 * S + (uint64_t)i * (S / 100), uri, 200);
    }
    assert_int_equal(n_alerts(t.sink, SID_SWEEP, -1), 0);
    series(&t, &f, T0 + 10 * S, S / 10, 20, 90, 200);
    assert_int_equal(n_alerts(t.sink, SID_SWEEP, -1), 1);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    const struct got *g = nth(t.sink, SID_SWEEP, 0);
    has(g, "\"variant\":\"uri_sweep\"");
    has(g, "\"with_referer\":0");
    has(g, "\"server_port\":8080");
    has(g, "\"distinct_paths_estimated\":true");
    has(g, "\"min_distinct_uris\":100");
    assert_int_equal(g->dport, 8080);
    t_end(&t);

    /* min-distinct-uris applies exactly while the count is exact (up to 16). */
    t_set(&t, "webscan", "min-distinct-uris", "10");
    t_start(&t);
    series(&t, &f, T0, S / 10, 9, 0, 200);
    assert_int_equal(n_alerts(t.sink, SID_SWEEP, -1), 0);
    tx(&t, &f, T0 + S, "/p3?again", 200);
    assert_int_equal(n_alerts(t.sink, SID_SWEEP, -1), 0);
    tx(&t, &f, T0 + S, "/p9", 200);
    assert_int_equal(n_alerts(t.sink, SID_SWEEP, -1), 1);
    has(nth(t.sink, SID_SWEEP, 0), "\"new_paths\":10");
    t_end(&t);
}

static void test_sweep_referer(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(21, 80, 40000, 80);
    /* A browser loading 150 assets of a page: each carries the page as Referer. */
    char uri[32];
    for (int i = 0; i < 150; i++) {
        snprintf(uri, sizeof uri, "/static/a%d.js", i);
        tx_full(&t, &f, T0 + (uint64_t)i * (S / 20), uri, 200, "Mozilla/5.0",
                "http://www.example/");
    }
    assert_int_equal(n_alerts(t.sink, SID_SWEEP, -1), 0);
    t_end(&t);

    /* 60 % with a Referer is above max-referer-ratio 0.5: no sweep. */
    t_start(&t);
    for (int i = 0; i < 150; i++) {
        snprintf(uri, sizeof uri, "/e%d/", i);
        tx_full(&t, &f, T0 + (uint64_t)i * (S / 20), uri, 200, "x", i % 5 < 3 ? "http://x/" : NULL);
    }
    assert_int_equal(n_alerts(t.sink, SID_SWEEP, -1), 0);
    t_end(&t);

    /* Half with a Referer is still a sweep (max-referer-ratio 0.5 is inclusive); it is
     * reported when about 100 new paths are in, at an even count. */
    t_start(&t);
    for (int i = 0; i < 120; i++) {
        snprintf(uri, sizeof uri, "/d%d/", i);
        tx_full(&t, &f, T0 + (uint64_t)i * (S / 20), uri, 404, "gobuster/3.6",
                i % 2 ? "http://x/" : NULL);
    }
    assert_int_equal(n_alerts(t.sink, SID_SWEEP, -1), 1);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    t_end(&t);
}

/* --- schedule: updates and new activities ----------------------------------------------- */

static void test_updates_rate_limited(void **state)
{
    (void)state;
    struct t t = {0};
    t.update_ns = 10 * MIN;
    t_start(&t);
    struct flow f = mkflow(30, 80, 40000, 80);
    /* A scan of 25 minutes: 2 x 404 a second. */
    char uri[32];
    for (uint64_t ms = 0; ms < 25 * 60 * 1000; ms += 500) {
        snprintf(uri, sizeof uri, "/s%llu", (unsigned long long)ms);
        tx(&t, &f, T0 + ms * (uint64_t)1000000u, uri, 404);
    }
    /* First report when 20 are in, then one update at >= 10 min and one at >= 20 min. */
    assert_int_equal(n_alerts(t.sink, SID_BURST, 0), 1);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 1), 2);
    const struct got *first = nth(t.sink, SID_BURST, 0);
    const struct got *u1 = nth(t.sink, SID_BURST, 1);
    const struct got *u2 = nth(t.sink, SID_BURST, 2);
    assert_int_equal(first->ts_ns, T0 + 19 * S / 2);
    assert_true(u1->update && u2->update);
    assert_int_equal(u1->ts_ns - first->ts_ns, 10 * MIN);
    assert_int_equal(u2->ts_ns - u1->ts_ns, 10 * MIN);
    /* The update carries the grown totals of the same activity. */
    has(u1, "\"requests\":1220");
    has(u1, "\"window_s\":60.000,\"in_window\":{\"requests\":120,\"responses\":120,\"4xx\":120");
    has(u1, "\"first_seen\":\"2024-04-23T00:00:00");
    t_end(&t);
}

static void test_new_activity_after_idle(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(31, 80, 40000, 80);
    series(&t, &f, T0, S, 20, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 0), 1);
    /* 9 minutes later (within idle-timeout 10m): the same activity, no update yet. */
    series(&t, &f, T0 + 9 * MIN, S, 20, 100, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    /* Silent for more than 10 minutes: a new activity with a new first report. */
    uint64_t t2 = T0 + 9 * MIN + 20 * S + 10 * MIN + S;
    series(&t, &f, t2, S, 20, 200, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 0), 2);
    /* Before it, the old activity was closed with its final figures (40 requests). */
    assert_int_equal(n_alerts(t.sink, SID_BURST, 1), 1);
    const struct got *c = nth(t.sink, SID_BURST, 1);
    assert_true(c->update);
    has(c, "\"final\":true");
    has(c, "\"requests\":40");
    const struct got *g = nth(t.sink, SID_BURST, 2);
    assert_false(g->update);
    has(g, "\"requests\":20");
    lacks(g, "\"/p0\"");
    lacks(g, "\"final\"");
    t_end(&t);
}

static void test_closing_report(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(33, 80, 40000, 80);
    /* A scan of 120 requests in 20 s, 80 of them 404: reported at the 20th 404 (80
     * distinct paths: not a sweep). */
    series(&t, &f, T0, S / 6, 80, 0, 404);
    series(&t, &f, T0 + 14 * S, S / 6, 40, 0, 200);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 0), 1);
    has(nth(t.sink, SID_BURST, 0), "\"requests\":20");
    /* Time passes without requests: nothing until idle-timeout (10m) has passed. */
    uint64_t last = T0 + 14 * S + 39 * (S / 6);
    for (uint64_t ts = last; ts <= last + 10 * MIN; ts += S)
        dtr_time(t.h, ts);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 1), 0);
    dtr_time(t.h, last + 10 * MIN + S);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 1), 1);
    const struct got *c = nth(t.sink, SID_BURST, 1);
    has(c, "\"final\":true");
    has(c, "\"requests\":120");
    has(c, "\"2xx\":40");
    has(c, "\"4xx\":80");
    assert_string_equal(c->src, "198.51.100.33");
    assert_int_equal(c->dport, 80);
    /* The pair was dropped: end of input closes nothing more. */
    dtr_finish(t.h, last + 11 * MIN);
    assert_int_equal(t.sink->n, 2);
    t_end(&t);

    /* End of input closes what is still going on; an activity that did not grow after its
     * report gets no closing update. */
    t_start(&t);
    struct flow g2 = mkflow(34, 80, 40000, 80);
    series(&t, &f, T0, S / 10, 30, 0, 404);
    series(&t, &g2, T0, S / 10, 20, 0, 404);
    dtr_finish(t.h, T0 + 5 * S);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 0), 2);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 1), 1);
    has(nth_of(t.sink, SID_BURST, true, 0), "\"client\":\"198.51.100.33\"");
    t_end(&t);

    /* final-report: no */
    t_set(&t, "webscan", "final-report", "no");
    t_start(&t);
    series(&t, &f, T0, S / 10, 30, 0, 404);
    dtr_finish(t.h, T0 + 5 * S);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 1), 0);
    assert_int_equal(n_alerts(t.sink, SID_BURST, 0), 1);
    t_end(&t);
}

static void test_out_of_order_times(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(32, 80, 40000, 80);
    /* Parallel connections finish out of order: 10 late ones 2 s behind still count. */
    series(&t, &f, T0 + 10 * S, S / 10, 10, 0, 404);
    series(&t, &f, T0 + 8 * S, S / 10, 10, 100, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    has(nth(t.sink, SID_BURST, 0), "\"first_seen\":\"2024-04-23T00:00:08");
    t_end(&t);

    /* One far older than the window counts in the totals only. */
    t_start(&t);
    series(&t, &f, T0 + 10 * MIN, S / 10, 19, 0, 404);
    tx(&t, &f, T0 + 5 * MIN, "/old", 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    tx(&t, &f, T0 + 10 * MIN + 2 * S, "/new", 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    has(nth(t.sink, SID_BURST, 0), "\"requests\":21");
    t_end(&t);
}

/* --- evidence details ------------------------------------------------------------------- */

static void test_examples_and_hostile_bytes(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(40, 80, 40000, 80);
    /* A 300-byte path, control bytes and a quote in the user agent, repeats. */
    char longp[301];
    memset(longp, 'a', 300);
    longp[0] = '/';
    longp[300] = 0;
    tx_full(&t, &f, T0, longp, 404, "evil\"\x01\n agent", NULL);
    for (int i = 0; i < 5; i++)
        tx_full(&t, &f, T0 + S, "/same", 404, "evil\"\x01\n agent", NULL);
    tx_full(&t, &f, T0 + S, "/ok?id=1", 200, "second", NULL);
    tx_full(&t, &f, T0 + S, "/ok?id=1", 200, "third", NULL);
    tx_full(&t, &f, T0 + S, "/ok2", 204, "fourth", NULL);
    tx_full(&t, &f, T0 + S, "/moved", 301, NULL, NULL);
    tx_full(&t, &f, T0 + S, "/err", 503, NULL, NULL);
    tx_full(&t, &f, T0 + S, "/noanswer", -1, NULL, NULL);
    series(&t, &f, T0 + 2 * S, S / 10, 18, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    const struct got *g = nth(t.sink, SID_BURST, 0);
    /* The long path is cut at 96 bytes; repeats are kept once. */
    char cut[256];
    snprintf(cut, sizeof cut, "\"paths_4xx\":[\"/%.95s\",\"/same\",\"/p0\",\"/p1\"]", longp + 1);
    has(g, cut);
    has(g, "\"paths_2xx\":[\"/ok?id=1\",\"/ok2\"]");
    has(g, "\"user_agents\":[\"evil\\\"\\u0001\\n agent\",\"second\",\"third\"]");
    /* Reported when the 20th 4xx arrives: 20 of the 25 answered. */
    has(g, "\"responses\":{\"1xx\":0,\"2xx\":3,\"3xx\":1,\"4xx\":20,\"5xx\":1,\"none\":1}");
    has(g, "\"requests\":26");
    has(g, "\"ratio_4xx\":0.800");
    t_end(&t);
}

/* The examples share 512 bytes per pair: long ones fill it, and those that no longer fit are
 * left out (in arrival order), whatever kind they are. */
static void test_examples_arena_full(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(41, 80, 40001, 80);
    char ua[4][120], path[6][120];
    for (int i = 0; i < 4; i++) {
        memset(ua[i], 'A' + i, 119); /* 119 bytes, kept as 96 */
        ua[i][119] = 0;
    }
    for (int i = 0; i < 6; i++) {
        memset(path[i], 'k' + i, 119);
        path[i][0] = '/';
        path[i][119] = 0;
    }
    /* Each transaction's path is kept before its user agent: path[0], ua[0], path[1], ua[1]
     * and path[2] take 480 bytes; ua[2] (576) does not fit, "/x" does (482), ua[3] and the
     * long 2xx path do not, the series' short agent does (500). */
    tx_full(&t, &f, T0, path[0], 404, ua[0], NULL);
    tx_full(&t, &f, T0 + S / 10, path[1], 404, ua[1], NULL);
    tx_full(&t, &f, T0 + S / 5, path[2], 404, ua[2], NULL);
    tx_full(&t, &f, T0 + S / 4, "/x", 404, ua[3], NULL);
    tx_full(&t, &f, T0 + S / 3, path[3], 200, NULL, NULL);
    series(&t, &f, T0 + S, S / 10, 16, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    const struct got *g = nth(t.sink, SID_BURST, 0);
    char want[512];
    snprintf(want, sizeof want, "\"user_agents\":[\"%.96s\",\"%.96s\",\"Mozilla/5.0 (test)\"]",
             ua[0], ua[1]);
    has(g, want);
    snprintf(want, sizeof want, "\"paths_4xx\":[\"%.96s\",\"%.96s\",\"%.96s\",\"/x\"]", path[0],
             path[1], path[2]);
    has(g, want);
    has(g, "\"paths_2xx\":[]");
    has(g, "\"responses\":{\"1xx\":0,\"2xx\":1,\"3xx\":0,\"4xx\":20");
    t_end(&t);
}

static void test_tx_without_request_ignored(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f = mkflow(41, 80, 40000, 80);
    struct http_tx x;
    memset(&x, 0, sizeof x);
    x.flags = HTTP_TX_NO_REQUEST;
    x.status = 404;
    for (int i = 0; i < 50; i++)
        dtr_record(t.h, &f, 1, T0 + (uint64_t)i * S / 10, APP_REC_HTTP, &x);
    /* Other record kinds are not ours. */
    dtr_record(t.h, &f, 1, T0, APP_REC_DNS, &x);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 0);
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(t.h, st, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(st[i].name, "webscan"))
            assert_int_equal(st[i].entries, 0);
    t_end(&t);
}

static void test_ipv6_pair(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow f;
    memset(&f, 0, sizeof f);
    static const uint8_t srv[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x80};
    static const uint8_t cli[16] = {0x20, 0x01, 0x0d, 0xb8, 0xff, [15] = 0x99};
    /* The server sorts lower, so it is key.a: the client must still be the source. */
    memcpy(f.key.a, srv, 16);
    memcpy(f.key.b, cli, 16);
    f.key.port_a = 443;
    f.key.port_b = 50000;
    f.key.proto = 6;
    f.key.ip_ver = 6;
    f.client_is_a = false;
    series(&t, &f, T0, S / 10, 20, 0, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    const struct got *g = nth(t.sink, SID_BURST, 0);
    assert_string_equal(g->src, "2001:db8:ff00::99");
    assert_string_equal(g->dst, "2001:db8::80");
    assert_int_equal(g->dport, 443);
    has(g, "\"client\":\"2001:db8:ff00::99\"");
    t_end(&t);
}

static void test_ports_mixed(void **state)
{
    (void)state;
    struct t t = {0};
    t_start(&t);
    struct flow a = mkflow(42, 80, 40000, 80), b = mkflow(42, 80, 40001, 8080);
    series(&t, &a, T0, S / 10, 10, 0, 404);
    series(&t, &b, T0 + S, S / 10, 10, 100, 404);
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    const struct got *g = nth(t.sink, SID_BURST, 0);
    assert_int_equal(g->dport, 0);
    lacks(g, "\"server_port\"");
    t_end(&t);
}

/* --- memory ---------------------------------------------------------------------------- */

static void test_memcap_eviction_counted(void **state)
{
    (void)state;
    struct t t = {0};
    t_set(&t, "webscan", "memcap", "64kb");
    t_start(&t);
    /* 3,000 clients, one request each, within the idle timeout: the table stays at its cap
     * and the oldest live pairs are taken over (counted). */
    for (uint32_t i = 0; i < 3000; i++) {
        struct flow f = mkflow(0, 80, 40000, 80);
        f.key.a[2] = (uint8_t)(i >> 8);
        f.key.a[3] = (uint8_t)i;
        tx(&t, &f, T0 + i * (S / 1000), "/", 404);
    }
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(t.h, st, DTR_MAX_DETECTORS);
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(st[i].name, "webscan") != 0)
            continue;
        seen = true;
        assert_true(st[i].enabled);
        assert_true(st[i].memuse <= st[i].memcap);
        assert_int_equal(st[i].memcap, 65536);
        assert_true(st[i].entries > 0 && st[i].entries < 64);
        assert_int_equal(st[i].evicted, 3000 - st[i].entries);
    }
    assert_true(seen);
    /* A pair that keeps scanning is touched on every request, so it survives the churn. */
    struct flow scanner = mkflow(250, 80, 40000, 80);
    for (uint32_t i = 0; i < 400; i++) {
        struct flow f = mkflow(0, 80, 40000, 80);
        f.key.a[2] = 200;
        f.key.a[3] = (uint8_t)i;
        f.key.a[1] = (uint8_t)(i >> 8);
        tx(&t, &f, T0 + 4 * S + i * (S / 100), "/", 200);
        if (i % 20 == 0)
            tx(&t, &scanner, T0 + 4 * S + i * (S / 100), "/nope", 404);
    }
    assert_int_equal(n_alerts(t.sink, SID_BURST, -1), 1);
    t_end(&t);
}

static void test_idle_pairs_not_counted_as_evicted(void **state)
{
    (void)state;
    struct t t = {0};
    t_set(&t, "webscan", "memcap", "64kb");
    t_set(&t, "webscan", "idle-timeout", "10s");
    t_start(&t);
    /* One new client every 20 s: each has gone idle when its entry is taken over. */
    for (uint32_t i = 0; i < 200; i++) {
        struct flow f = mkflow(0, 80, 40000, 80);
        f.key.a[3] = (uint8_t)i;
        f.key.a[2] = (uint8_t)(i >> 8);
        tx(&t, &f, T0 + i * 20 * S, "/", 404);
    }
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(t.h, st, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(st[i].name, "webscan"))
            assert_int_equal(st[i].evicted, 0);
    t_end(&t);
}

/* --- settings -------------------------------------------------------------------------- */

static void test_bad_settings(void **state)
{
    (void)state;
    static const struct {
        const char *param, *value, *want;
    } rows[] = {
        {"min-4xx-ratio", "1.5", "detectors.webscan.min-4xx-ratio: 1.5 is outside"},
        {"min-4xx", "0", "detectors.webscan.min-4xx: 0 is outside"},
        {"window", "forever", "detectors.webscan.window: cannot read"},
        {"memcap", "1kb", "detectors.webscan.memcap: 1kb is outside"},
        {"min-distinct", "5", "detectors.webscan.min-distinct: no such setting"},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        struct t t = {0};
        t_set(&t, "webscan", rows[i].param, rows[i].value);
        char err[512];
        const char *e = t_try(&t, err, sizeof err);
        if (!e || !strstr(e, rows[i].want))
            fail_msg("row %zu (%s=%s): got '%s', want '%s'", i, rows[i].param, rows[i].value,
                     e ? e : "(started)", rows[i].want);
        free(t.sink);
    }
    /* Switched off: no state, no alerts. */
    struct t t = {0};
    t_set(&t, "webscan", "enabled", "no");
    t_start(&t);
    struct flow f = mkflow(50, 80, 40000, 80);
    series(&t, &f, T0, S / 10, 50, 0, 404);
    assert_int_equal(t.sink->n, 0);
    t_end(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_count_edge),
        cmocka_unit_test(test_burst_ratio_edge),
        cmocka_unit_test(test_burst_window_edge),
        cmocka_unit_test(test_clients_apart),
        cmocka_unit_test(test_sweep_edge),
        cmocka_unit_test(test_sweep_referer),
        cmocka_unit_test(test_updates_rate_limited),
        cmocka_unit_test(test_new_activity_after_idle),
        cmocka_unit_test(test_closing_report),
        cmocka_unit_test(test_out_of_order_times),
        cmocka_unit_test(test_examples_and_hostile_bytes),
        cmocka_unit_test(test_examples_arena_full),
        cmocka_unit_test(test_tx_without_request_ignored),
        cmocka_unit_test(test_ipv6_pair),
        cmocka_unit_test(test_ports_mixed),
        cmocka_unit_test(test_memcap_eviction_counted),
        cmocka_unit_test(test_idle_pairs_not_counted_as_evicted),
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
