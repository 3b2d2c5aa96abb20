/*
 * Beaconing (src/detect/dt_beacon.c) through the detector host, fed connection starts as the
 * packet loop does (the first packet of each flow): the demo's pattern (a burst of 14 in 17 s,
 * then 30 check-ins about 60 s apart with ~2 s jitter) gives exactly one burst and one beacon
 * alert plus updates no more often than the update interval; random timing, fast polling,
 * internal peers, ignored ports and popular peers give none; the thresholds at their edges
 * (min-connections, burst-connections, max-jitter); two connections per check-in count as
 * one; the TLS SNI of the pair in the evidence; memcap evictions counted.
 */
#include "app/tls.h"
#include "detect/dtr_int.h"
#include "detect/rule.h"
#include "testlib/tcheck.h"

#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dt_collect.h"

extern const struct dtr_ops dt_beacon_ops;

#define MS ((uint64_t)1000000)
#define S_NS ((uint64_t)1000000000)
#define T0 ((uint64_t)1713830400 * S_NS) /* 2024-04-23T00:00:00Z, the demo's start */

#define IP4(a, b, c, d)                                                                            \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static dtr_host_t *new_host(struct collect *c, const struct dtr_setting *set, size_t n_set)
{
    /* Referenced here so that the linker takes the detector out of the library. */
    assert_string_equal(dt_beacon_ops.name, "beacon");
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    cfg.settings = set;
    cfg.n_settings = n_set;
    memset(c, 0, sizeof *c);
    char err[512] = "";
    dtr_host_t *h = dtr_new(&cfg, NULL, on_alert, c, err, sizeof err);
    if (!h)
        fail_msg("dtr_new: %s", err);
    return h;
}

/* One connection start: the flow's first packet (a SYN, or a UDP datagram). */
static void start(dtr_host_t *h, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                  uint8_t proto, uint64_t ts)
{
    struct flow f;
    struct packet p;
    memset(&f, 0, sizeof f);
    memset(&p, 0, sizeof p);
    p.src = tc_addr4(src);
    p.dst = tc_addr4(dst);
    p.ip_ver = 4;
    p.proto = proto;
    p.sport = sport;
    p.dport = dport;
    p.flags = PKT_F_L4;
    p.tcp_flags = proto == 6 ? TCP_SYN : 0;
    p.ts_ns = ts;
    memcpy(f.key.a, p.src.b, 16);
    memcpy(f.key.b, p.dst.b, 16);
    f.key.port_a = sport;
    f.key.port_b = dport;
    f.key.proto = proto;
    f.key.ip_ver = 4;
    f.client_is_a = true;
    f.pkts[0] = 1;
    f.first_ns = f.last_ns = ts;
    dtr_time(h, ts);
    dtr_packet(h, &f, 0, &p);
}

static void tcp(dtr_host_t *h, uint32_t src, uint32_t dst, uint16_t dport, uint64_t ts)
{
    static uint16_t sport = 40000;
    start(h, src, dst, sport++, dport, 6, ts);
}

static size_t count(const struct collect *c, uint32_t sid, bool update, uint32_t src)
{
    size_t n = 0;
    struct mm_addr a = tc_addr4(src);
    for (size_t i = 0; i < c->n; i++)
        if (c->a[i].sid == sid && c->a[i].update == update && tc_addr_eq(&c->a[i].src, &a))
            n++;
    return n;
}

static const struct got_alert *find(const struct collect *c, uint32_t sid, bool update,
                                    uint32_t src)
{
    struct mm_addr a = tc_addr4(src);
    for (size_t i = 0; i < c->n; i++)
        if (c->a[i].sid == sid && c->a[i].update == update && tc_addr_eq(&c->a[i].src, &a))
            return &c->a[i];
    return NULL;
}

/* The number after "key": in json, or -1. */
static double num(const char *json, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    const char *p = strstr(json, k);
    return p ? strtod(p + strlen(k), NULL) : -1;
}

static uint64_t rng_state = 20240423;

/* Uniform in [-span, span] milliseconds, deterministic. */
static int64_t jitter_ms(int64_t span)
{
    return (int64_t)(tc_rand(&rng_state) % (uint64_t)(2 * span + 1)) - span;
}

/* The demo's C2 pattern for one host starting at t (seconds after T0). */
static void c2_pattern(dtr_host_t *h, uint32_t host, uint64_t t, int beacons)
{
    const uint32_t c2 = IP4(203, 0, 113, 66);
    for (int i = 0; i < 14; i++) /* 14 connections in 17.0 s */
        tcp(h, host, c2, 443, T0 + t * S_NS + (uint64_t)i * 17 * S_NS / 13);
    uint64_t ts = T0 + (t + 17) * S_NS;
    for (int i = 0; i < beacons; i++) {
        ts += (uint64_t)(60000 + jitter_ms(1800)) * MS;
        tcp(h, host, c2, 443, ts);
    }
}

static void test_beacon_demo_pattern(void **state)
{
    (void)state;
    struct collect c;
    dtr_host_t *h = new_host(&c, NULL, 0);
    const uint32_t pc23 = IP4(192, 168, 10, 23), pc31 = IP4(192, 168, 10, 31);
    c2_pattern(h, pc23, 300, 30);
    c2_pattern(h, pc31, 5700, 30);
    dtr_finish(h, T0 + 7600 * S_NS);
    for (int k = 0; k < 2; k++) {
        uint32_t host = k ? pc31 : pc23;
        assert_int_equal(count(&c, 1102, false, host), 1);
        assert_int_equal(count(&c, 1102, true, host), 0);
        assert_int_equal(count(&c, 1101, false, host), 1);
        /* 30 minutes of beacons after the first report: updates at most every 10 minutes. */
        assert_int_equal(count(&c, 1101, true, host), 2);
        const struct got_alert *b = find(&c, 1102, false, host);
        if (!b) {
            fail_msg("no burst alert");
            return;
        }
        assert_true(tc_addr_eq(&b->dst, &(struct mm_addr){.b = {203, 0, 113, 66}}));
        assert_int_equal(b->dport, 443);
        assert_true(num(b->json, "connections") == 14);
        assert_true(num(b->json, "span_s") == 17.0);
        assert_non_null(strstr(b->json, "\"internal_host\":\"192.168.10."));
        assert_non_null(strstr(b->json, "\"ongoing\":false"));
        /* Reported when the burst is over: at the first tick one window after its last
         * connection (here the next connection's packet, a minute later). */
        uint64_t burst_end = T0 + ((k ? 5700u : 300u) + 17) * S_NS;
        assert_true(b->ts_ns >= burst_end + 20 * S_NS && b->ts_ns <= burst_end + 62 * S_NS);
        const struct got_alert *r = find(&c, 1101, false, host);
        if (!r) {
            fail_msg("no beacon alert");
            return;
        }
        double iv = num(r->json, "interval_s");
        assert_true(iv > 59 && iv < 61);
        assert_true(num(r->json, "jitter_s") < 1.5);
        assert_true(num(r->json, "jitter_ratio") < 0.05);
        assert_true(num(r->json, "connections") == 10);
        assert_non_null(strstr(r->json, "\"recent_intervals_s\":["));
        /* The second PC is the peer's second internal host. */
        assert_true(num(r->json, "peer_internal_hosts") == k + 1);
    }
    /* Update spacing: at least the update interval between reports of one pair. */
    uint64_t last = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (c.a[i].sid != 1101 ||
            !tc_addr_eq(&c.a[i].src, &(struct mm_addr){.b = {192, 168, 10, 23}}))
            continue;
        if (last)
            assert_true(c.a[i].ts_ns - last >= 600 * S_NS);
        last = c.a[i].ts_ns;
    }
    assert_int_equal(c.n, 8);
    dtr_free(h);
}

static void test_beacon_negatives(void **state)
{
    (void)state;
    struct collect c;
    dtr_host_t *h = new_host(&c, NULL, 0);
    const uint32_t pc = IP4(192, 168, 10, 40);
    /* Human timing: exponential gaps with a 90 s mean, 60 connections. */
    uint64_t ts = T0;
    for (int i = 0; i < 60; i++) {
        double u = (double)(tc_rand(&rng_state) % 1000000 + 1) / 1000001.0;
        ts += (uint64_t)(-90.0 * __builtin_log(u) * 1e9) + 3 * S_NS;
        tcp(h, pc, IP4(198, 51, 100, 20), 80, ts);
    }
    /* Polling every 5 s for 20 minutes: under min-interval, and no burst (4 per window). */
    for (int i = 0; i < 240; i++)
        tcp(h, pc, IP4(198, 51, 100, 41), 443, T0 + (uint64_t)i * 5 * S_NS);
    /* Internal peer: the mail poll of every PC every 30 min (and a fast one). */
    for (int i = 0; i < 40; i++)
        tcp(h, pc, IP4(192, 168, 10, 25), 110, T0 + (uint64_t)i * 60 * S_NS);
    /* DNS and NTP to an outside server, regular by design. */
    for (int i = 0; i < 40; i++) {
        start(h, pc, IP4(192, 0, 2, 53), (uint16_t)(30000 + i), 53, 17,
              T0 + (uint64_t)i * 60 * S_NS);
        start(h, pc, IP4(192, 0, 2, 123), 123, 123, 17, T0 + (uint64_t)i * 64 * S_NS);
    }
    /* Outside host to outside host, and outside to inside: not an internal host's beacon. */
    for (int i = 0; i < 40; i++) {
        tcp(h, IP4(198, 51, 100, 7), IP4(203, 0, 113, 9), 443, T0 + (uint64_t)i * 60 * S_NS);
        tcp(h, IP4(198, 51, 100, 7), IP4(192, 168, 10, 80), 80, T0 + (uint64_t)i * 60 * S_NS);
    }
    /* Multicast: not a peer. */
    for (int i = 0; i < 40; i++)
        start(h, pc, IP4(239, 255, 255, 250), 1900, 1900, 17, T0 + (uint64_t)i * 60 * S_NS);
    dtr_finish(h, T0 + 7200 * S_NS);
    for (size_t i = 0; i < c.n; i++)
        print_error("unexpected alert %u: %s\n", c.a[i].sid, c.a[i].json);
    assert_int_equal(c.n, 0);
    dtr_free(h);
}

static void test_beacon_mid_stream_ignored(void **state)
{
    (void)state;
    struct collect c;
    dtr_host_t *h = new_host(&c, NULL, 0);
    /* First packets that are not a bare SYN (capture started mid-connection): no start. */
    for (int i = 0; i < 30; i++) {
        struct flow f;
        struct packet p;
        memset(&f, 0, sizeof f);
        memset(&p, 0, sizeof p);
        p.src = tc_addr4(IP4(192, 168, 10, 23));
        p.dst = tc_addr4(IP4(203, 0, 113, 66));
        p.ip_ver = 4;
        p.proto = 6;
        p.sport = (uint16_t)(50000 + i);
        p.dport = 443;
        p.flags = PKT_F_L4;
        p.tcp_flags = TCP_ACK | TCP_PSH;
        p.ts_ns = T0 + (uint64_t)i * 60 * S_NS;
        memcpy(f.key.a, p.src.b, 16);
        memcpy(f.key.b, p.dst.b, 16);
        f.key.proto = 6;
        f.key.ip_ver = 4;
        f.client_is_a = true;
        f.pkts[0] = 1;
        dtr_time(h, p.ts_ns);
        dtr_packet(h, &f, 0, &p);
        /* A later packet of a flow is not a start either. */
        f.pkts[0] = 2;
        p.tcp_flags = TCP_SYN;
        dtr_packet(h, &f, 0, &p);
    }
    dtr_finish(h, T0 + 7200 * S_NS);
    assert_int_equal(c.n, 0);
    dtr_free(h);
}

static void test_beacon_edges(void **state)
{
    (void)state;
    struct collect c;
    dtr_host_t *h = new_host(&c, NULL, 0);
    const uint32_t peer = IP4(198, 51, 100, 99);
    /* min-connections 10: 9 check-ins every 60 s -> nothing; the 10th -> the alert. */
    for (int i = 0; i < 9; i++)
        tcp(h, IP4(192, 168, 10, 50), peer, 8080, T0 + (uint64_t)i * 60 * S_NS);
    assert_int_equal(c.n, 0);
    tcp(h, IP4(192, 168, 10, 50), peer, 8080, T0 + 9 * 60 * S_NS);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.a[0].sid, 1101);
    assert_true(num(c.a[0].json, "connections") == 10);
    assert_true(num(c.a[0].json, "jitter_s") == 0);

    /* burst-connections 10 within 20 s: 9 -> nothing, 10 -> one burst. */
    c.n = 0;
    for (int i = 0; i < 9; i++)
        tcp(h, IP4(192, 168, 10, 51), peer, 443, T0 + (uint64_t)(1000 + i * 2) * S_NS);
    dtr_time(h, T0 + 1100 * S_NS);
    assert_int_equal(c.n, 0);
    for (int i = 0; i < 10; i++)
        tcp(h, IP4(192, 168, 10, 52), peer, 443, T0 + (uint64_t)(1200 + i * 2) * S_NS);
    dtr_time(h, T0 + 1300 * S_NS);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.a[0].sid, 1102);
    assert_true(num(c.a[0].json, "connections") == 10);
    assert_true(num(c.a[0].json, "span_s") == 18);
    dtr_free(h);

    /* max-jitter 0.2: intervals 60, 60-x, 60+x have MAD x; x = 11 passes, x = 13 does not. */
    for (int k = 0; k < 2; k++) {
        h = new_host(&c, NULL, 0);
        int64_t x = k ? 13 : 11;
        uint64_t ts = T0;
        for (int i = 0; i < 12; i++) {
            int64_t d = (i % 3 == 0) ? 60 : (i % 3 == 1) ? 60 - x : 60 + x;
            ts += (uint64_t)d * S_NS;
            tcp(h, IP4(192, 168, 10, 53), peer, 443, ts);
        }
        if (k == 0) {
            assert_int_equal(c.n, 1);
            assert_true(num(c.a[0].json, "jitter_ratio") > 0.18 &&
                        num(c.a[0].json, "jitter_ratio") < 0.19);
        } else {
            assert_int_equal(c.n, 0);
        }
        dtr_free(h);
    }
}

static void test_beacon_sessions_and_name(void **state)
{
    (void)state;
    struct collect c;
    dtr_host_t *h = new_host(&c, NULL, 0);
    const uint32_t pc = IP4(192, 168, 10, 60), peer = IP4(203, 0, 113, 77);
    /* Each check-in opens two connections 0.4 s apart (a session); every 45 s. */
    for (int i = 0; i < 11; i++) {
        uint64_t ts = T0 + (uint64_t)i * 45 * S_NS;
        tcp(h, pc, peer, 443, ts);
        tcp(h, pc, peer, 443, ts + 400 * MS);
        if (i == 0) {
            /* The TLS record of the first connection names the peer. */
            struct flow f;
            memset(&f, 0, sizeof f);
            struct mm_addr a = tc_addr4(pc), b = tc_addr4(peer);
            memcpy(f.key.a, a.b, 16);
            memcpy(f.key.b, b.b, 16);
            f.key.port_a = 40000;
            f.key.port_b = 443;
            f.key.proto = 6;
            f.key.ip_ver = 4;
            f.client_is_a = true;
            struct tls_rec t;
            memset(&t, 0, sizeof t);
            t.client_hello = true;
            t.has_sni = true;
            memcpy(t.sni, "cdn-update-check.example", 24);
            t.sni_len = 24;
            dtr_record(h, &f, 0, ts, APP_REC_TLS, &t);
        }
    }
    assert_int_equal(c.n, 1);
    assert_int_equal(c.a[0].sid, 1101);
    assert_true(num(c.a[0].json, "interval_s") == 45);
    assert_true(num(c.a[0].json, "connections") == 10);
    assert_true(num(c.a[0].json, "pair_connections") == 19);
    assert_non_null(strstr(c.a[0].json, "\"server_name\":\"cdn-update-check.example\""));
    assert_non_null(strstr(c.a[0].json, "\"server_name_from\":\"tls_sni\""));
    /* 0.4 s apart is no burst. */
    dtr_finish(h, T0 + 1000 * S_NS);
    assert_int_equal(c.n, 1);
    dtr_free(h);

    /* UDP check-ins count as well. */
    h = new_host(&c, NULL, 0);
    for (int i = 0; i < 10; i++)
        start(h, pc, peer, 5555, 4444, 17, T0 + (uint64_t)i * 30 * S_NS);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.a[0].json, "\"proto\":\"UDP\""));
    dtr_free(h);
}

static void test_beacon_popular_peer(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        struct collect c;
        /* Five PCs check in with the same outside service: a shared service, not reported;
         * with popular-hosts 0 (off) each PC is reported. */
        const struct dtr_setting off[] = {{"beacon", "popular-hosts", "0", 0}};
        dtr_host_t *h = new_host(&c, off, k ? 1 : 0);
        for (int i = 0; i < 10; i++)
            for (uint32_t pc = 0; pc < 5; pc++)
                tcp(h, IP4(192, 168, 10, 100 + pc), IP4(198, 51, 100, 50), 443,
                    T0 + (uint64_t)i * 300 * S_NS + pc * S_NS);
        assert_int_equal(c.n, k ? 5 : 0);
        if (k)
            assert_true(num(c.a[4].json, "peer_internal_hosts") == 5);
        dtr_free(h);
    }
}

static void test_beacon_memcap(void **state)
{
    (void)state;
    struct collect c;
    const struct dtr_setting small[] = {{"beacon", "memcap", "128kb", 0}};
    dtr_host_t *h = new_host(&c, small, 1);
    /* One internal host sweeping many outside addresses: pairs beyond the cap evict the
     * oldest (counted), memory stays at the cap. */
    for (uint32_t i = 0; i < 5000; i++)
        tcp(h, IP4(192, 168, 10, 70), IP4(198, 51, 0, 0) + i, 443, T0 + i * MS);
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(h, st, DTR_MAX_DETECTORS);
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(st[i].name, "beacon"))
            continue;
        seen = true;
        assert_true(st[i].evicted > 4000);
        assert_true(st[i].memuse <= st[i].memcap);
        assert_int_equal(st[i].memcap, 128 * 1024);
        assert_true(st[i].entries > 10);
    }
    assert_true(seen);
    assert_int_equal(c.n, 0);
    dtr_free(h);

    /* A bad setting is refused with its name. */
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    const struct dtr_setting bad[] = {{"beacon", "ignore-ports", "53,abc", 4}};
    cfg.settings = bad;
    cfg.n_settings = 1;
    char err[512] = "";
    assert_null(dtr_new(&cfg, NULL, on_alert, &c, err, sizeof err));
    assert_non_null(strstr(err, "ignore-ports"));
    const struct dtr_setting inv[] = {{"beacon", "min-interval", "2h", 0}};
    cfg.settings = inv;
    assert_null(dtr_new(&cfg, NULL, on_alert, &c, err, sizeof err));
    assert_non_null(strstr(err, "max-interval"));
}

static void test_beacon_long_burst(void **state)
{
    (void)state;
    struct collect c;
    dtr_host_t *h = new_host(&c, NULL, 0);
    /* One connection a second for 5 minutes: reported while it lasts (after 60 s), once. */
    for (int i = 0; i < 300; i++)
        tcp(h, IP4(192, 168, 10, 80), IP4(203, 0, 113, 88), 8443, T0 + (uint64_t)i * S_NS);
    dtr_finish(h, T0 + 400 * S_NS);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.a[0].sid, 1102);
    assert_non_null(strstr(c.a[0].json, "\"ongoing\":true"));
    assert_true(num(c.a[0].json, "connections") >= 60);
    dtr_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_beacon_demo_pattern),
        cmocka_unit_test(test_beacon_negatives),
        cmocka_unit_test(test_beacon_mid_stream_ignored),
        cmocka_unit_test(test_beacon_edges),
        cmocka_unit_test(test_beacon_sessions_and_name),
        cmocka_unit_test(test_beacon_popular_peer),
        cmocka_unit_test(test_beacon_memcap),
        cmocka_unit_test(test_beacon_long_burst),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
