/*
 * T4 service latency detector (src/detect/dt_latency.c) through the detector host with
 * hand-made TCP sessions through a real flow table: the greeting spike behind a SYN flood
 * (top sources named), min-samples, factor and floor at their edges, handshake and HTTP
 * first-byte with their min-slow counts and slow-window, a client that speaks first, the
 * update rate limit and a new episode after end-after, the baseline adapting to a lasting
 * change, internal-only, the metrics, a port learned from an HTTP record, memory at the caps
 * (a million connections, a hundred thousand servers, a million spoofed SYNs) and the demo
 * capture (slow POP3 and SMTP greetings during the flood) with exact alert counts.
 */
#include "app/http.h"
#include "dt_flood_harness.h"
#include "testlib/tcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define SID_HANDSHAKE 4101u
#define SID_GREETING 4102u
#define SID_FIRST_BYTE 4103u

#define A4(a, b, c, d)                                                                             \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define SRV A4(192, 168, 10, 25)
#define CLI A4(192, 168, 10, 27)
#define US 1000ull
#define SYN TCP_SYN
#define SYNACK (TCP_SYN | TCP_ACK)
#define ACK TCP_ACK
#define DATA (TCP_ACK | TCP_PSH)
#define FINACK (TCP_FIN | TCP_ACK)

static struct hn *lat_new(uint64_t update_ns, const char *const *kv, size_t n)
{
    char err[512] = "";
    struct hn *H = hn_try_new("latency", update_ns, kv, n, err, sizeof err);
    if (!H)
        fail_msg("dtr_new: %s", err);
    return H;
}

static const struct hn_alert *get(const struct hn *H, uint32_t sid)
{
    static const struct hn_alert none;
    const struct hn_alert *a = hn_find(H, sid);
    if (!a)
        fail_msg("no alert with sid %u", sid);
    return a ? a : &none;
}

static uint16_t g_port = 40000;

/*
 * One session of a server-speaks-first protocol: SYN at t, SYN-ACK hs_ns later, the client's
 * ACK 100 us after that, the greeting greet_ns after the ACK, one command and answer, FIN
 * close. Returns when it ended.
 */
static uint64_t session(struct hn *H, uint32_t cli, uint32_t srv, uint16_t port, uint64_t t,
                        uint64_t hs_ns, uint64_t greet_ns)
{
    uint16_t cp = g_port++;
    if (g_port < 40000)
        g_port = 40000;
    hn_tcp(H, cli, cp, srv, port, SYN, 0, t);
    t += hs_ns;
    hn_tcp(H, srv, port, cli, cp, SYNACK, 0, t);
    t += 100 * US;
    hn_tcp(H, cli, cp, srv, port, ACK, 0, t);
    t += greet_ns;
    hn_tcp(H, srv, port, cli, cp, DATA, 30, t);
    t += MS;
    hn_tcp(H, cli, cp, srv, port, DATA, 10, t);
    t += MS;
    hn_tcp(H, srv, port, cli, cp, DATA, 20, t);
    t += MS;
    hn_tcp(H, cli, cp, srv, port, FINACK, 0, t);
    hn_tcp(H, srv, port, cli, cp, FINACK, 0, t + 100 * US);
    hn_tcp(H, cli, cp, srv, port, ACK, 0, t + 200 * US);
    return t + 200 * US;
}

/* n normal POP3 sessions a minute apart from t, greetings 4-7 ms. */
static uint64_t normal_pop3(struct hn *H, uint32_t n, uint64_t t)
{
    for (uint32_t i = 0; i < n; i++)
        session(H, CLI, SRV, 110, t + i * 60 * SEC, 200 * US, (4 + i % 4) * MS);
    return t + n * 60 * SEC;
}

/* --- metrics collection ------------------------------------------------------------------ */

struct met {
    char server[64];
    uint16_t port;
    char service[16], kind[16];
    double last, baseline, p95;
    uint64_t samples;
};
struct mets {
    struct met m[64];
    size_t n, total;
};

static void on_metric(void *u, const struct dtr_metric *m)
{
    struct mets *M = u;
    M->total++;
    if (M->n >= MM_ARRAY_LEN(M->m))
        return;
    struct met *x = &M->m[M->n++];
    snprintf(x->server, sizeof x->server, "%s", m->server);
    snprintf(x->service, sizeof x->service, "%s", m->service);
    snprintf(x->kind, sizeof x->kind, "%s", m->kind);
    x->port = m->port;
    x->last = m->last_ms;
    x->baseline = m->baseline_ms;
    x->p95 = m->p95_ms;
    x->samples = m->samples;
    assert_string_equal(m->group, "latency");
}

static const struct met *metric(struct mets *M, struct hn *H, const char *server, uint16_t port,
                                const char *kind)
{
    memset(M, 0, sizeof *M);
    dtr_get_metrics(H->h, on_metric, M);
    for (size_t i = 0; i < M->n; i++)
        if (!strcmp(M->m[i].server, server) && M->m[i].port == port && !strcmp(M->m[i].kind, kind))
            return &M->m[i];
    return NULL;
}

/* --- greeting ----------------------------------------------------------------------------- */

static void test_greeting_spike_names_flood(void **state)
{
    (void)state;
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    uint64_t t = normal_pop3(H, 12, T0);
    /* A SYN flood from 100 spoofed sources (2 SYNs each) ... */
    for (uint32_t i = 0; i < 200; i++)
        hn_tcp(H, A4(203, 0, 113, 1 + i % 100), (uint16_t)(2000 + i), SRV, 110, SYN, 0,
               t + i * 5 * MS);
    /* ... one source sending many more, and during it the greeting takes 2.4 s. */
    for (uint32_t i = 0; i < 30; i++)
        hn_tcp(H, A4(198, 51, 100, 7), (uint16_t)(3000 + i), SRV, 110, SYN, 0, t + i * 30 * MS);
    uint64_t slow = t + 500 * MS;
    session(H, CLI, SRV, 110, slow, 200 * US, 2400 * MS);
    /* Two more slow greetings soon after: the same episode, not reported again. */
    session(H, A4(192, 168, 10, 33), SRV, 110, slow + 3 * SEC, 200 * US, 3100 * MS);
    session(H, A4(192, 168, 10, 38), SRV, 110, slow + 6 * SEC, 200 * US, 3800 * MS);
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_GREETING);
    assert_string_equal(a->dst, "192.168.10.25");
    assert_int_equal(a->dport, 110);
    assert_string_equal(a->src, "198.51.100.7"); /* the busiest source */
    assert_false(a->update);
    const char *j = a->json;
    assert_true(hn_has(j, "\"service\":\"pop3\""));
    assert_true(hn_has(j, "\"kind\":\"greeting\""));
    assert_true(hn_num(j, "latency_ms") == 2400.0);
    assert_true(hn_num(j, "baseline_ms") >= 4.0 && hn_num(j, "baseline_ms") <= 7.0);
    assert_true(hn_num(j, "ratio") > 300);
    assert_true(hn_num(j, "limit_ms") == 200.0);
    assert_true(hn_num(j, "baseline_samples") == 12);
    assert_true(hn_has(j, "\"slow_client\":\"192.168.10.27\""));
    assert_true(hn_num(j, "connection_attempts") >= 230);
    assert_true(hn_num(j, "sources_distinct") >= 90);
    assert_true(hn_has(j, "\"top_sources\":[{\"ip\":\"198.51.100.7\",\"attempts\":"));
    assert_true(hn_has(j, "{\"ip\":\"203.0.113."));
    assert_true(hn_has(j, "\"top_networks\":[{\"net\":\"203.0.113.0/24\",\"attempts\":"));
    assert_true(hn_has(j, "\"top_ports\":[{\"port\":110,"));
    hn_free(H);
}

static void test_min_samples_edge(void **state)
{
    (void)state;
    /* min-samples 4: after 3 normal greetings a slow one is not judged, after 4 it is. */
    for (uint32_t n = 3; n <= 4; n++) {
        struct hn *H = lat_new(600 * SEC, NULL, 0);
        uint64_t t = normal_pop3(H, n, T0);
        session(H, CLI, SRV, 110, t, 200 * US, 2 * SEC);
        hn_finish(H);
        assert_int_equal(hn_count(H, SID_GREETING), n == 4 ? 1 : 0);
        hn_free(H);
    }
}

static void test_factor_and_floor(void **state)
{
    (void)state;
    struct {
        uint64_t base_ns, slow_ns;
        size_t want;
    } rows[] = {
        {1 * MS, 150 * MS, 0},   /* 150 x the baseline but below the 200 ms floor */
        {1 * MS, 250 * MS, 1},   /* above both */
        {100 * MS, 450 * MS, 0}, /* above the floor, below 5 x 100 ms */
        {100 * MS, 550 * MS, 1},
    };
    for (size_t r = 0; r < MM_ARRAY_LEN(rows); r++) {
        struct hn *H = lat_new(600 * SEC, NULL, 0);
        uint64_t t = T0;
        for (uint32_t i = 0; i < 10; i++)
            t = session(H, CLI, SRV, 143, t + 30 * SEC, 200 * US, rows[r].base_ns);
        session(H, CLI, SRV, 143, t + 30 * SEC, 200 * US, rows[r].slow_ns);
        hn_finish(H);
        if (hn_count(H, SID_GREETING) != rows[r].want)
            fail_msg("row %zu: %zu alerts, want %zu", r, hn_count(H, SID_GREETING), rows[r].want);
        hn_free(H);
    }
    /* factor and floor are settings. */
    const char *kv[] = {"factor=2", "floor=50ms"};
    struct hn *H = lat_new(600 * SEC, kv, 2);
    uint64_t t = T0;
    for (uint32_t i = 0; i < 10; i++)
        t = session(H, CLI, SRV, 143, t + 30 * SEC, 200 * US, 30 * MS);
    session(H, CLI, SRV, 143, t + 30 * SEC, 200 * US, 70 * MS);
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_GREETING), 1);
    assert_true(hn_num(get(H, SID_GREETING)->json, "limit_ms") == 60.0);
    hn_free(H);
}

static void test_client_speaks_first(void **state)
{
    (void)state;
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    /* SMTP client talking before the banner: no greeting sample, only the handshake. */
    uint16_t cp = 45000;
    uint64_t t = T0;
    hn_tcp(H, CLI, cp, SRV, 25, SYN, 0, t);
    hn_tcp(H, SRV, 25, CLI, cp, SYNACK, 0, t + MS);
    hn_tcp(H, CLI, cp, SRV, 25, ACK, 0, t + 2 * MS);
    hn_tcp(H, CLI, cp, SRV, 25, DATA, 12, t + 3 * MS);
    hn_tcp(H, SRV, 25, CLI, cp, DATA, 40, t + 900 * MS);
    struct mets M;
    assert_null(metric(&M, H, "192.168.10.25", 25, "greeting"));
    const struct met *m = metric(&M, H, "192.168.10.25", 25, "handshake");
    assert_non_null(m);
    assert_true(m && m->samples == 1 && m->last == 1.0);
    /* SSH: both sides send their banner at once; the server's still counts. */
    cp++;
    t += 10 * SEC;
    hn_tcp(H, CLI, cp, SRV, 22, SYN, 0, t);
    hn_tcp(H, SRV, 22, CLI, cp, SYNACK, 0, t + MS);
    hn_tcp(H, CLI, cp, SRV, 22, ACK, 0, t + 2 * MS);
    hn_tcp(H, CLI, cp, SRV, 22, DATA, 21, t + 2 * MS);
    hn_tcp(H, SRV, 22, CLI, cp, DATA, 30, t + 9 * MS);
    m = metric(&M, H, "192.168.10.25", 22, "greeting");
    assert_non_null(m);
    assert_true(m && m->samples == 1 && m->last == 7.0);
    hn_free(H);
}

/* --- handshake ------------------------------------------------------------------------------ */

static void test_handshake_min_slow(void **state)
{
    (void)state;
    /* handshake-min-slow 3 within 60 s: two slow SYN -> SYN-ACK are not enough. */
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    uint64_t t = T0;
    for (uint32_t i = 0; i < 10; i++)
        t = session(H, CLI, SRV, 443, t + 10 * SEC, 300 * US, 0) + SEC;
    for (uint32_t i = 0; i < 2; i++)
        t = session(H, CLI, SRV, 443, t + 10 * SEC, 1500 * MS, 0);
    hn_finish(H);
    assert_int_equal(H->n, 0);
    /* The third within the window alerts. */
    session(H, CLI, SRV, 443, t + 10 * SEC, 1200 * MS, 0);
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_HANDSHAKE);
    assert_true(hn_has(a->json, "\"kind\":\"handshake\""));
    assert_true(hn_has(a->json, "\"service\":\"https\""));
    assert_true(hn_num(a->json, "slow_in_window") == 3);
    assert_true(hn_num(a->json, "latency_ms") == 1200.0);
    assert_true(hn_num(a->json, "baseline_ms") == 0.3);
    /* The only source of attempts is the client itself: it is the alert's source. */
    assert_string_equal(a->src, "192.168.10.27");
    assert_true(hn_has(a->json, "\"top_sources\":[{\"ip\":\"192.168.10.27\""));
    hn_free(H);

    /* Three slow handshakes spread over more than slow-window: none. */
    H = lat_new(600 * SEC, NULL, 0);
    t = T0;
    for (uint32_t i = 0; i < 10; i++)
        t = session(H, CLI, SRV, 443, t + 10 * SEC, 300 * US, 0);
    for (uint32_t i = 0; i < 3; i++)
        t = session(H, CLI, SRV, 443, t + 40 * SEC, 1500 * MS, 0);
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* --- HTTP ---------------------------------------------------------------------------------- */

/* A keep-alive HTTP connection with n requests; think[i] is the server's time to answer
 * request i. The request is sent in two segments 20 ms apart (the second one counts). */
static uint64_t http_conn(struct hn *H, uint32_t srv, uint16_t port, uint64_t t,
                          const uint64_t *think, size_t n)
{
    uint16_t cp = g_port++;
    hn_tcp(H, CLI, cp, srv, port, SYN, 0, t);
    hn_tcp(H, srv, port, CLI, cp, SYNACK, 0, t + 300 * US);
    hn_tcp(H, CLI, cp, srv, port, ACK, 0, t + 600 * US);
    t += MS;
    for (size_t i = 0; i < n; i++) {
        hn_tcp_text(H, CLI, cp, srv, port, ACK, 300, t, "GET /page HTTP/1.1\r\n");
        hn_tcp(H, CLI, cp, srv, port, DATA, 100, t + 20 * MS);
        t += 20 * MS + think[i];
        hn_tcp_text(H, srv, port, CLI, cp, ACK, 1400, t, "HTTP/1.1 200 OK\r\n");
        hn_tcp(H, srv, port, CLI, cp, DATA, 600, t + MS);
        t += 2 * SEC;
    }
    return t;
}

static void test_http_first_byte(void **state)
{
    (void)state;
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    uint64_t think[13];
    for (size_t i = 0; i < 10; i++)
        think[i] = (15 + i) * MS;
    think[10] = think[11] = 2 * SEC; /* two expensive pages */
    uint64_t t = http_conn(H, A4(192, 168, 10, 80), 80, T0, think, 12);
    assert_int_equal(H->n, 0);
    think[0] = 3 * SEC; /* a third slow answer within the minute */
    http_conn(H, A4(192, 168, 10, 80), 80, t, think, 1);
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_FIRST_BYTE);
    assert_string_equal(a->dst, "192.168.10.80");
    assert_true(hn_has(a->json, "\"kind\":\"first_byte\""));
    assert_true(hn_num(a->json, "latency_ms") == 3000.0);
    /* Measured from the request's last segment: 15..24 ms, not 35..44. */
    assert_true(hn_num(a->json, "baseline_ms") < 25.0);
    hn_free(H);
}

static void test_http_response_start(void **state)
{
    (void)state;
    /* Only a segment starting with "HTTP/" begins a response: a request answered by
     * something else on port 80 (or by the tail of an earlier body) gives no sample. */
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    uint16_t cp = g_port++;
    const uint32_t web = A4(192, 168, 10, 80);
    uint64_t t = T0;
    hn_tcp(H, CLI, cp, web, 80, SYN, 0, t);
    hn_tcp(H, web, 80, CLI, cp, SYNACK, 0, t + 300 * US);
    hn_tcp(H, CLI, cp, web, 80, ACK, 0, t + 600 * US);
    hn_tcp_text(H, CLI, cp, web, 80, DATA, 100, t + MS, "GET / HTTP/1.1\r\n");
    hn_tcp_text(H, web, 80, CLI, cp, DATA, 1400, t + 10 * MS, "HTTP/1.1 200 OK\r\n");
    hn_tcp_text(H, CLI, cp, web, 80, DATA, 100, t + 20 * MS, "GET /b HTTP/1.1\r\n");
    hn_tcp(H, web, 80, CLI, cp, DATA, 1400, t + 2 * SEC); /* body bytes of the first answer */
    struct mets M;
    const struct met *m = metric(&M, H, "192.168.10.80", 80, "first_byte");
    assert_true(m && m->samples == 1 && m->last == 9.0);
    hn_tcp_text(H, web, 80, CLI, cp, DATA, 1400, t + 2 * SEC + 40 * MS, "HTTP/1.1 200 OK");
    m = metric(&M, H, "192.168.10.80", 80, "first_byte");
    assert_true(m && m->samples == 2 && m->last == 2020.0);
    hn_free(H);
}

static void test_http_learned_port(void **state)
{
    (void)state;
    /* Port 9000 is not an HTTP port, until the HTTP parser says so for a flow of it. */
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    const uint32_t web = A4(192, 168, 10, 81);
    uint64_t think[8];
    for (size_t i = 0; i < 8; i++)
        think[i] = 10 * MS;
    uint64_t t = http_conn(H, web, 9000, T0, think, 8);
    struct mets M;
    assert_null(metric(&M, H, "192.168.10.81", 9000, "first_byte"));
    /* The record of a transaction on a new connection. */
    uint16_t cp = g_port++;
    hn_tcp(H, CLI, cp, web, 9000, SYN, 0, t);
    hn_tcp(H, web, 9000, CLI, cp, SYNACK, 0, t + 300 * US);
    hn_tcp(H, CLI, cp, web, 9000, ACK, 0, t + 600 * US);
    hn_tcp(H, CLI, cp, web, 9000, DATA, 100, t + MS);
    const struct flow *f = hn_tcp_text(H, web, 9000, CLI, cp, DATA, 500, t + 12 * MS, "HTTP/1.1");
    assert_non_null(f);
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    dtr_record(H->h, f, FLOW_TOCLIENT, t + 12 * MS, APP_REC_HTTP, &tx);
    /* The rest of this connection is measured, and new connections to the port too. */
    hn_tcp(H, CLI, cp, web, 9000, DATA, 100, t + SEC);
    hn_tcp_text(H, web, 9000, CLI, cp, DATA, 500, t + SEC + 30 * MS, "HTTP/1.1 404");
    const struct met *m = metric(&M, H, "192.168.10.81", 9000, "first_byte");
    assert_non_null(m);
    assert_true(m && m->samples == 1 && m->last == 30.0);
    http_conn(H, web, 9000, t + 2 * SEC, think, 3);
    m = metric(&M, H, "192.168.10.81", 9000, "first_byte");
    assert_true(m && m->samples == 4);
    assert_true(m && !strcmp(m->service, "http"));
    hn_free(H);
}

/* --- schedule and baseline ------------------------------------------------------------------ */

static void test_updates_and_episodes(void **state)
{
    (void)state;
    /* Slow greetings every minute for 25 minutes: one alert, updates at most every 10
     * minutes (2); then 11 quiet minutes (more than end-after) and a new episode. */
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    uint64_t t = normal_pop3(H, 10, T0);
    for (uint32_t i = 0; i < 25; i++)
        session(H, CLI, SRV, 110, t + i * 60 * SEC, 200 * US, 2 * SEC);
    t += 25 * 60 * SEC + 11 * 60 * SEC;
    session(H, CLI, SRV, 110, t, 200 * US, 2 * SEC);
    hn_finish(H);
    assert_int_equal(H->n, 4);
    assert_false(H->al[0].update);
    assert_true(H->al[1].update && H->al[2].update);
    assert_true(H->al[1].ts_ns - H->al[0].ts_ns >= 600 * SEC);
    assert_false(H->al[3].update);
    assert_true(hn_num(H->al[2].json, "slow_total") >= 21);
    hn_free(H);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* p95 is the ceil(0.95 n)-th smallest of the last 32 samples, whatever their order: checked
 * against a sort for counts below, at and above the ring's size, with ties. */
static void test_p95_rank(void **state)
{
    (void)state;
    static const uint32_t counts[] = {1, 2, 5, 19, 20, 21, 31, 32, 33, 50};
    const char *kv[] = {"greeting-min-slow=8", "factor=1000"}; /* no alerts, all admitted */
    for (size_t c = 0; c < MM_ARRAY_LEN(counts); c++) {
        uint32_t n = counts[c];
        struct hn *H = lat_new(600 * SEC, kv, 2);
        uint32_t ms[64];
        uint64_t t = T0;
        for (uint32_t i = 0; i < n; i++) {
            ms[i] = 1 + (uint32_t)((i * 37u + c * 11u) % 23u); /* scrambled, repeats past 23 */
            t = session(H, CLI, SRV, 110, t + 30 * SEC, 200 * US, ms[i] * MS);
        }
        uint32_t last = n < 32 ? n : 32, v[32];
        memcpy(v, ms + (n - last), last * sizeof v[0]);
        qsort(v, last, sizeof v[0], cmp_u32);
        size_t r = (size_t)ceil(0.95 * (double)last);
        struct mets M;
        const struct met *m = metric(&M, H, "192.168.10.25", 110, "greeting");
        assert_non_null(m);
        TC_EQ("p95 of n samples", (uint64_t)(m ? m->p95 + 0.5 : 0), (uint64_t)v[r - 1]);
        hn_free(H);
    }
    tc_done();
}

/* The baseline is the median of the last 32 admitted samples (the mean of the middle two for
 * an even count), checked after every sample against a sort, through the ring's wrap-around,
 * with ties and with samples in microseconds (the entries keep the sample's microseconds and
 * its place in the ring in one word). All samples are admitted: factor 1000. */
static void test_baseline_median(void **state)
{
    (void)state;
    const char *kv[] = {"greeting-min-slow=8", "factor=1000"};
    struct hn *H = lat_new(600 * SEC, kv, 2);
    uint32_t us[100];
    uint64_t t = T0;
    for (uint32_t i = 0; i < MM_ARRAY_LEN(us); i++) {
        /* scrambled, repeats (ties) every 29, some falling, some rising runs */
        us[i] = 1000u + (uint32_t)((i * 7919u) % 29u) * 173u + (i % 3 ? 0u : 1u);
        t = session(H, CLI, SRV, 110, t + 30 * SEC, 200 * US, us[i] * US);
        uint32_t n = i + 1 < 32 ? i + 1 : 32, v[32];
        memcpy(v, us + (i + 1 - n), n * sizeof v[0]);
        qsort(v, n, sizeof v[0], cmp_u32);
        uint64_t want = n % 2 ? v[n / 2] : ((uint64_t)v[n / 2 - 1] + v[n / 2]) / 2;
        struct mets M;
        const struct met *m = metric(&M, H, "192.168.10.25", 110, "greeting");
        assert_non_null(m);
        TC_EQ("baseline (us) after sample", (uint64_t)(m ? m->baseline * 1000.0 + 0.5 : 0), want);
    }
    hn_free(H);
    tc_done();
}

/* A sample enters the baseline capped at 2^27 - 1 us (134 s: the rest of its entry holds its
 * place in the ring); the sample itself keeps its value. */
static void test_baseline_cap(void **state)
{
    (void)state;
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    session(H, CLI, SRV, 110, T0, 200 * US, 200 * SEC);
    struct mets M;
    const struct met *m = metric(&M, H, "192.168.10.25", 110, "greeting");
    assert_non_null(m);
    assert_true(m && m->last == 200000.0);
    assert_true(m && m->baseline == 134217.727);
    hn_free(H);
}

static void test_baseline_adapts(void **state)
{
    (void)state;
    /* A lasting change (greetings now 1 s) becomes the new normal after about 64 slow
     * samples: the baseline follows and the p95 shows it; before, the outliers leave the
     * baseline alone. */
    const char *kv[] = {"greeting-min-slow=8"}; /* keep the alerts out of the way */
    struct hn *H = lat_new(600 * SEC, kv, 1);
    uint64_t t = normal_pop3(H, 20, T0);
    struct mets M;
    for (uint32_t i = 0; i < 20; i++)
        t = session(H, CLI, SRV, 110, t + 30 * SEC, 200 * US, SEC);
    const struct met *m = metric(&M, H, "192.168.10.25", 110, "greeting");
    assert_non_null(m);
    assert_true(m && m->baseline < 10.0);
    assert_true(m && m->p95 == 1000.0 && m->last == 1000.0);
    for (uint32_t i = 0; i < 80; i++)
        t = session(H, CLI, SRV, 110, t + 30 * SEC, 200 * US, SEC);
    m = metric(&M, H, "192.168.10.25", 110, "greeting");
    assert_true(m && m->baseline == 1000.0);
    assert_true(m && m->samples == 120);
    hn_free(H);
}

/* --- scope and settings ------------------------------------------------------------------ */

static void test_internal_only(void **state)
{
    (void)state;
    const uint32_t ext = A4(198, 51, 100, 25);
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    session(H, CLI, ext, 25, T0, MS, 30 * MS);
    struct mets M;
    metric(&M, H, "", 0, "");
    assert_int_equal(M.total, 0);
    hn_free(H);
    const char *kv[] = {"internal-only=no"};
    H = lat_new(600 * SEC, kv, 1);
    session(H, CLI, ext, 25, T0, MS, 30 * MS);
    const struct met *m = metric(&M, H, "198.51.100.25", 25, "greeting");
    assert_true(m && m->samples == 1 && m->last == 30.0 && !strcmp(m->service, "smtp"));
    assert_int_equal(M.total, 2); /* handshake and greeting */
    hn_free(H);
}

static void test_bad_settings(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "factor=1",        "floor=-1s",        "min-samples=0", "greeting-min-slow=9",
        "http-ports=80,x", "greeting-ports=0", "memcap=10kb",   "top=17"};
    for (size_t i = 0; i < MM_ARRAY_LEN(bad); i++) {
        char err[512] = "";
        struct hn *H = hn_try_new("latency", 600 * SEC, &bad[i], 1, err, sizeof err);
        if (H)
            fail_msg("'%s' was accepted", bad[i]);
        assert_true(strstr(err, "latency") != NULL);
    }
}

/* --- memory ------------------------------------------------------------------------------- */

static const struct dtr_det_stats *lat_stats(struct hn *H, struct dtr_det_stats *all)
{
    size_t n = dtr_get_stats(H->h, all, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].name, "latency"))
            return &all[i];
    fail_msg("no latency stats");
    return &all[0];
}

/* A connection's handshake handed to the detectors on a flow made by hand (no flow table):
 * the SYN-ACK (a handshake sample) and the client's ACK (timing state for the greeting). */
static void fake_handshake(struct hn *H, struct flow *f, uint32_t cli, uint32_t srv, uint16_t cport,
                           uint16_t port, uint64_t id, uint64_t t)
{
    memset(f, 0, sizeof *f);
    struct mm_addr c, s;
    hn_addr4(&c, cli);
    hn_addr4(&s, srv);
    memcpy(f->key.a, c.b, 16);
    memcpy(f->key.b, s.b, 16);
    f->key.port_a = cport;
    f->key.port_b = port;
    f->key.proto = 6;
    f->key.ip_ver = 4;
    f->client_is_a = true;
    f->flow_id = id;
    f->first_ns = t;
    struct packet p;
    memset(&p, 0, sizeof p);
    p.ip_ver = 4;
    p.proto = 6;
    p.flags = PKT_F_L4;
    p.src = s;
    p.dst = c;
    p.sport = port;
    p.dport = cport;
    p.tcp_flags = SYNACK;
    p.ts_ns = t + 200 * US;
    f->pkts[0] = f->pkts[1] = 1;
    f->tcp_flags[0] = SYN;
    f->tcp_flags[1] = SYNACK;
    dtr_packet(H->h, f, FLOW_TOCLIENT, &p);
    p.src = c;
    p.dst = s;
    p.sport = cport;
    p.dport = port;
    p.tcp_flags = ACK;
    p.ts_ns = t + 300 * US;
    f->pkts[0] = 2;
    dtr_packet(H->h, f, FLOW_TOSERVER, &p);
}

static void test_memcap(void **state)
{
    (void)state;
    const char *kv[] = {"memcap=256kb"};
    struct hn *H = lat_new(600 * SEC, kv, 1);
    struct dtr_det_stats all[DTR_MAX_DETECTORS];
    struct flow f;
    /* A million connections to one POP3 server that never greet and never end. */
    for (uint32_t i = 0; i < 1000000; i++)
        fake_handshake(H, &f, A4(10, 1, 0, 0) + i % 60000, SRV, (uint16_t)(1024 + i % 60000), 110,
                       i + 1, T0 + (uint64_t)i * 10 * US);
    const struct dtr_det_stats *st = lat_stats(H, all);
    assert_true(st->memuse <= st->memcap);
    assert_int_equal(st->memcap, 256u << 10);
    /* Their timing state lives in the flows: nothing of it here, nothing evicted. */
    assert_int_equal(st->evicted, 0);
    assert_int_equal(st->entries, 2); /* the POP3 service and its server */
    uint64_t flows_evicted = st->evicted;
    /* A hundred thousand servers: the pool keeps the most recent, counted. */
    for (uint32_t i = 0; i < 100000; i++)
        fake_handshake(H, &f, CLI, A4(10, 20, 0, 0) + i, 5000, 25, 2000000 + i,
                       T0 + 20 * SEC + (uint64_t)i * 10 * US);
    st = lat_stats(H, all);
    assert_true(st->memuse <= st->memcap);
    assert_true(st->evicted > flows_evicted + 99000);
    /* The index still finds the latest servers after all those removals. */
    for (uint32_t i = 100000 - 8; i < 100000; i++)
        fake_handshake(H, &f, CLI, A4(10, 20, 0, 0) + i, 5001, 25, 3000000 + i,
                       T0 + 40 * SEC + i * 10 * US);
    struct mets M;
    for (uint32_t i = 100000 - 8; i < 100000; i++) {
        char s[32];
        uint32_t a = A4(10, 20, 0, 0) + i;
        snprintf(s, sizeof s, "10.%u.%u.%u", (a >> 16) & 255, (a >> 8) & 255, a & 255);
        const struct met *m = metric(&M, H, s, 25, "handshake");
        if (!m || m->samples != 2)
            fail_msg("%s: %s", s, m ? "wrong sample count" : "not found");
    }
    assert_true(M.total < MM_ARRAY_LEN(M.m)); /* every row was looked at */
    /* A million spoofed SYNs to the server: one service's sketch, nothing grows. */
    size_t before = lat_stats(H, all)->memuse;
    for (uint32_t i = 0; i < 1000000; i++) {
        struct hn_pkt x = {.src = A4(100, 0, 0, 0) + i,
                           .dst = A4(10, 20, 0, 0) + 99999,
                           .sport = 7,
                           .dport = 25,
                           .proto = 6,
                           .flags = SYN,
                           .ts_ns = T0 + 50 * SEC + i * US};
        hn_send(H, &x);
    }
    assert_int_equal(lat_stats(H, all)->memuse, before);
    hn_free(H);
}

/* --- captures ------------------------------------------------------------------------------ */

static void test_demo_capture(void **state)
{
    (void)state;
    struct hn *H = lat_new(600 * SEC, NULL, 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/demo/demo.pcap", MM_SOURCE_DIR);
    if (!hn_replay(H, path)) {
        printf("skipped (not present): %s\n", path);
        hn_free(H);
        return;
    }
    if (getenv("MM_TEST_SHOW_ALERTS"))
        for (size_t i = 0; i < H->n; i++)
            printf("%u %s -> %s:%u %s\n", H->al[i].sid, H->al[i].src, H->al[i].dst, H->al[i].dport,
                   H->al[i].json);
    /* The slow POP3 greetings (2.4-3.8 s) and the slow SMTP banner during the flood: one
     * alert per service, naming the flood's sources (for SMTP, from the server's other port).
     * Nothing else in two hours. The banner comes 1.514 s after the client's ACK (the README
     * rounds the generator's figure to 1.6 s). */
    assert_int_equal(H->n, 2);
    static const struct {
        uint16_t port;
        const char *service;
        double ms;
    } want[] = {{110, "pop3", 2400.2}, {25, "smtp", 1513.5}};
    for (size_t i = 0; i < 2; i++) {
        const struct hn_alert *a = &H->al[i];
        assert_int_equal(a->sid, SID_GREETING);
        assert_string_equal(a->dst, "192.168.10.25");
        assert_int_equal(a->dport, want[i].port);
        assert_true(!strncmp(a->src, "203.0.113.", 10) || !strncmp(a->src, "198.51.100.", 11));
        char svc[64];
        snprintf(svc, sizeof svc, "\"service\":\"%s\"", want[i].service);
        assert_true(hn_has(a->json, svc));
        double ms = hn_num(a->json, "latency_ms");
        if (ms < want[i].ms - 0.1 || ms > want[i].ms + 0.1)
            fail_msg("port %u: latency %.3f ms, want %.1f", want[i].port, ms, want[i].ms);
        assert_true(hn_num(a->json, "baseline_ms") < 40.0);
        assert_true(hn_num(a->json, "server_connection_attempts") > 500);
        assert_true(hn_has(a->json, "\"top_ports\":[{\"port\":110,"));
    }
    /* POP3: the flood's attempts are behind it. */
    assert_true(hn_num(H->al[0].json, "connection_attempts") > 500);
    assert_true(hn_num(H->al[0].json, "sources_distinct") > 200);
    struct mets M;
    const struct met *m = metric(&M, H, "192.168.10.25", 110, "greeting");
    /* By the end the slow greetings have left the 32 recent samples behind the p95. */
    assert_true(m && m->samples > 60 && m->baseline < 8.0 && m->p95 < 10.0);
    m = metric(&M, H, "192.168.10.80", 80, "first_byte");
    assert_true(m && m->samples > 100 && m->baseline < 10.0);
    hn_free(H);
}

static void test_shared_captures_quiet(void **state)
{
    (void)state;
    /* No labelled capture of ../shared/data holds a service slowing down. */
    static const char *const files[] = {
        "dos/stopddos_pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng",
        "dos/stopddos_amp.TCP.reflection.SYNACK.pcap",
        "dos/stopddos_amp.TCP.syn.optionallyACK.optionallysamePort.pcapng",
        "email/chrissanders_mail_sender_attachment.pcapng",
        "email/zeek_smtp.pcap",
        "email/ndpi_smtp.pcap",
        "bruteforce/ppa_ftp-crack.pcap",
        "bruteforce/ndpi_pop3.pcap",
        "bruteforce/ndpi_imap.pcap",
        "bruteforce/ndpi_http_auth.pcap",
        "web_attacks/chrissanders_http_dvwa_sqlinjection.pcapng",
        "web_attacks/chrissanders_http_dvwa_clearlogin.pcapng",
        "web_attacks/ndpi_bot.pcap",
        "botnet_c2/chrissanders_ek_to_cryptowall4.pcapng",
        "botnet_c2/chrissanders_ratinfected.pcapng",
        "portscan/chrissanders_synscan.pcapng",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(files); i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/pcaps/%s", MM_SHARED_DIR, files[i]);
        struct hn *H = lat_new(600 * SEC, NULL, 0);
        if (hn_replay(H, path) && H->n) {
            for (size_t k = 0; k < H->n; k++)
                printf("  %u %s -> %s:%u %s\n", H->al[k].sid, H->al[k].src, H->al[k].dst,
                       H->al[k].dport, H->al[k].json);
            fail_msg("%s: %zu latency alerts, want 0", files[i], H->n);
        }
        hn_free(H);
    }
}

/* A strong reference: the registry's are weak, and a static library member nobody
 * references is not linked. */
extern const struct dtr_ops dt_latency_ops;

static void test_registered(void **state)
{
    (void)state;
    assert_string_equal(dt_latency_ops.name, "latency");
    assert_string_equal(dt_latency_ops.threat, "T4");
    assert_int_equal(dt_latency_ops.sid_base, 4101);
    bool listed = false;
    for (size_t k = 0; k < dtr_registry_len; k++)
        listed |= dtr_registry[k] == &dt_latency_ops;
    assert_true(listed);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    dtr_print_signatures(f);
    fclose(f);
    assert_non_null(strstr(buf, "slow service: server greeting"));
    assert_non_null(strstr(buf, "sid:4101;"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_greeting_spike_names_flood),
        cmocka_unit_test(test_min_samples_edge),
        cmocka_unit_test(test_factor_and_floor),
        cmocka_unit_test(test_client_speaks_first),
        cmocka_unit_test(test_handshake_min_slow),
        cmocka_unit_test(test_http_first_byte),
        cmocka_unit_test(test_http_response_start),
        cmocka_unit_test(test_http_learned_port),
        cmocka_unit_test(test_updates_and_episodes),
        cmocka_unit_test(test_p95_rank),
        cmocka_unit_test(test_baseline_median),
        cmocka_unit_test(test_baseline_cap),
        cmocka_unit_test(test_baseline_adapts),
        cmocka_unit_test(test_internal_only),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_demo_capture),
        cmocka_unit_test(test_shared_captures_quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
