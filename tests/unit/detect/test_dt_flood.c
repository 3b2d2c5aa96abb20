/*
 * T4 flood detector (src/detect/dt_flood.c) through the detector host: SYN flood (spoofed
 * sources, the rate and half-open thresholds at their edges, a busy healthy server), SYN-ACK
 * reflection (and solicited SYN-ACKs that are not), UDP flood and amplification (and a single
 * fast source that is not), ICMP flood (and a flood's own replies and monitoring pings, which
 * are not), ACK flood (and a capture starting amid running connections, which is not),
 * connection flood, IPv6, the update rate limit and a new alert after end-after,
 * bad settings, memory at the cap under a million spoofed sources and a million
 * destinations, and the labelled captures of ../shared/data plus demo/demo.pcap with exact
 * alert counts. Also the Space-Saving sketch and the port-list parser of dt_flood.h.
 */
#include "detect/dt_flood.h"
#include "dt_flood_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define SID_SYN 4001u
#define SID_REFL 4002u
#define SID_UDP 4003u
#define SID_AMP 4004u
#define SID_CONN 4005u
#define SID_ICMP 4006u
#define SID_ACK 4007u

#define A4(a, b, c, d)                                                                             \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define SRV A4(192, 168, 10, 25)
#define SYN TCP_SYN
#define SYNACK (TCP_SYN | TCP_ACK)
#define ACK TCP_ACK

static struct hn *fl_new(uint64_t update_ns, const char *const *kv, size_t n)
{
    char err[512] = "";
    struct hn *H = hn_try_new("flood", update_ns, kv, n, err, sizeof err);
    if (!H)
        fail_msg("dtr_new: %s", err);
    return H;
}

/* The first alert with sid; fails the test when there is none. */
static const struct hn_alert *get(const struct hn *H, uint32_t sid)
{
    static const struct hn_alert none;
    const struct hn_alert *a = hn_find(H, sid);
    if (!a)
        fail_msg("no alert with sid %u", sid);
    return a ? a : &none;
}

/* Source i of a spoofed population of n spread over two /24s, as in the demo. */
static uint32_t spoofed(uint32_t i, uint32_t n)
{
    uint32_t k = (i * 7919u) % n;
    return k < n / 2 ? A4(203, 0, 113, 0) + 1 + k : A4(198, 51, 100, 0) + 1 + (k - n / 2);
}

static uint16_t rport(uint32_t i)
{
    return (uint16_t)(1024 + (i * 2654435761u) % 64000u);
}

/* A completed connection: SYN, SYN-ACK, ACK. */
static void connect_ok(struct hn *H, uint32_t c, uint16_t cport, uint32_t s, uint16_t sport,
                       uint64_t ts)
{
    hn_tcp(H, c, cport, s, sport, SYN, 0, ts);
    hn_tcp(H, s, sport, c, cport, SYNACK, 0, ts + 100000);
    hn_tcp(H, c, cport, s, sport, ACK, 0, ts + 200000);
}

/* --- SYN flood ------------------------------------------------------------------------ */

static void test_syn_flood_spoofed(void **state)
{
    (void)state;
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    /* 3000 SYNs in 10 s from 490 spoofed sources; every 5th answered (the demo's flood). */
    for (uint32_t i = 0; i < 3000; i++) {
        uint64_t ts = T0 + (uint64_t)i * (10 * SEC / 3000);
        uint32_t src = spoofed(i, 490);
        hn_tcp(H, src, rport(i), SRV, 110, SYN, 0, ts);
        if (i % 5 == 4)
            hn_tcp(H, SRV, 110, src, rport(i), SYNACK, 0, ts + 100000);
    }
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_SYN);
    assert_non_null(a);
    assert_string_equal(a->dst, "192.168.10.25");
    assert_int_equal(a->dport, 110);
    assert_int_equal(a->proto, 6);
    assert_false(a->update);
    assert_true(!strncmp(a->src, "203.0.113.", 10) || !strncmp(a->src, "198.51.100.", 11));
    /* Reported within the first second (200 SYNs at 300/s). */
    assert_true(a->ts_ns >= T0 && a->ts_ns < T0 + SEC);
    assert_true(hn_has(a->json, "\"service\":\"pop3\""));
    assert_true(hn_has(a->json, "\"variant\":\"syn-flood\""));
    assert_true(hn_num(a->json, "syn") >= 200);
    assert_true(hn_num(a->json, "synack") >= 30);
    assert_true(hn_num(a->json, "handshakes") == 0);
    assert_true(hn_num(a->json, "half_open_share") == 1.0);
    assert_true(hn_num(a->json, "syn_synack_ratio") > 4.0);
    assert_true(hn_num(a->json, "peak_pps") >= 200);
    assert_true(hn_num(a->json, "sources_distinct") >= 100);
    assert_true(hn_has(a->json, "\"top_sources\":[{\"ip\":\""));
    assert_true(hn_has(a->json, "/24\""));
    assert_true(hn_has(a->json, "\"source_ports_sample\":["));
    assert_true(hn_has(a->json, "\"first_seen\":\"2024-04-23T00:00:00"));
    hn_free(H);
}

static void test_syn_rate_edge(void **state)
{
    (void)state;
    /* syn-rate 200 with 1 s buckets: 199 SYNs in one second are not a flood, 200 are. */
    for (uint32_t n = 199; n <= 200; n++) {
        struct hn *H = fl_new(600 * SEC, NULL, 0);
        for (uint32_t i = 0; i < n; i++)
            hn_tcp(H, spoofed(i, 400), rport(i), SRV, 80, SYN, 0, T0 + i * (SEC / 200));
        hn_finish(H);
        assert_int_equal(hn_count(H, SID_SYN), n == 200 ? 1 : 0);
        hn_free(H);
    }
    /* The same with syn-rate set to 100: 199 are. */
    const char *kv[] = {"syn-rate=100"};
    struct hn *H = fl_new(600 * SEC, kv, 1);
    for (uint32_t i = 0; i < 199; i++)
        hn_tcp(H, spoofed(i, 400), rport(i), SRV, 80, SYN, 0, T0 + i * (SEC / 200));
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_SYN), 1);
    hn_free(H);
}

static void test_syn_half_open_edge(void **state)
{
    (void)state;
    /* 400 SYNs in one second; after a first lone SYN, the next `done` complete their
     * handshake. Half-open 0.5: 200 completed leaves 200 of 400 half open (an alert), 201
     * leaves 199 (none). (A lone SYN first: the doorkeeper counts a service's first SYN only
     * once its second arrives, and would not see the first handshake complete.) */
    for (uint32_t done = 200; done <= 201; done++) {
        struct hn *H = fl_new(600 * SEC, NULL, 0);
        for (uint32_t i = 0; i < 400; i++) {
            uint64_t ts = T0 + i * (SEC / 400);
            if (i >= 1 && i <= done)
                connect_ok(H, spoofed(i, 400), rport(i), SRV, 80, ts);
            else
                hn_tcp(H, spoofed(i, 400), rport(i), SRV, 80, SYN, 0, ts);
        }
        hn_finish(H);
        assert_int_equal(hn_count(H, SID_SYN), done == 200 ? 1 : 0);
        if (done == 200)
            assert_true(hn_num(get(H, SID_SYN)->json, "half_open_share") == 0.5);
        hn_free(H);
    }
}

static void test_busy_server_no_alert(void **state)
{
    (void)state;
    /* 300 completed connections a second for 10 s from 300 clients: busy, healthy. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    for (uint32_t i = 0; i < 3000; i++)
        connect_ok(H, spoofed(i, 300), rport(i), SRV, 80, T0 + (uint64_t)i * (SEC / 300));
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* 2001:db8::<last> (the IPv6 documentation prefix). */
static struct mm_addr doc_addr6(uint8_t last)
{
    struct mm_addr a;
    memset(&a, 0, sizeof a);
    a.b[0] = 0x20;
    a.b[1] = 0x01;
    a.b[2] = 0x0d;
    a.b[3] = 0xb8;
    a.b[15] = last;
    return a;
}

static void test_syn_flood_ipv6(void **state)
{
    (void)state;
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    struct mm_addr dst = doc_addr6(0x25), src;
    for (uint32_t i = 0; i < 500; i++) {
        src = dst;
        src.b[14] = (uint8_t)(i >> 8);
        src.b[15] = (uint8_t)i;
        src.b[7] = 0x99;
        struct hn_pkt x = {.src6 = &src,
                           .dst6 = &dst,
                           .sport = rport(i),
                           .dport = 443,
                           .proto = 6,
                           .flags = SYN,
                           .ts_ns = T0 + i * (SEC / 500)};
        hn_send(H, &x);
    }
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_SYN), 1);
    assert_string_equal(get(H, SID_SYN)->dst, "2001:db8::25");
    assert_true(hn_has(get(H, SID_SYN)->json, "/48\""));
    hn_free(H);
}

static void test_syn_flood_geoip(void **state)
{
    (void)state;
    /* With GeoIP databases (MaxMind's test data) the top sources and networks carry country
     * and AS: 214.78.120.0/22 is US in GeoIP2-Country-Test, 1.128.0.0/11 AS1221. */
    char country[1024], asn[1024];
    snprintf(country, sizeof country, "%s/geoip/GeoIP2-Country-Test.mmdb", MM_SHARED_DIR);
    snprintf(asn, sizeof asn, "%s/geoip/GeoLite2-ASN-Test.mmdb", MM_SHARED_DIR);
    if (access(country, R_OK) != 0 || access(asn, R_OK) != 0) {
        printf("skipped: no GeoIP test databases\n");
        return;
    }
    struct enrich_config ec;
    enrich_config_defaults(&ec);
    ec.oui_path = "";
    ec.geoip_paths[0] = country;
    ec.geoip_paths[1] = asn;
    ec.n_geoip = 2;
    char err[512] = "";
    enrich_t *en = enrich_new(&ec, err, sizeof err);
    if (!en)
        fail_msg("enrich_new: %s", err);
    struct hn *H = hn_try_new_en("flood", 600 * SEC, NULL, 0, en, err, sizeof err);
    if (!H)
        fail_msg("dtr_new: %s", err);
    for (uint32_t i = 0; i < 300; i++) {
        uint32_t src = i % 3 ? A4(214, 78, 120, 1 + i % 50) : A4(1, 128, 0, 1 + i % 40);
        hn_tcp(H, src, rport(i), SRV, 25, SYN, 0, T0 + i * (SEC / 300));
    }
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_SYN), 1);
    const char *j = get(H, SID_SYN)->json;
    assert_true(hn_has(j, "\"country\":\"US\""));
    assert_true(hn_has(j, "\"asn\":1221"));
    assert_true(hn_has(j, "{\"net\":\"214.78.120.0/24\",\"packets\":"));
    hn_free(H);
    enrich_free(en);
}

/* --- reflection ------------------------------------------------------------------------- */

static void test_synack_reflection(void **state)
{
    (void)state;
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    const uint32_t victim = A4(10, 10, 10, 10);
    for (uint32_t i = 0; i < 1000; i++)
        hn_tcp(H, spoofed(i, 500), i % 3 ? 80 : 443, victim, rport(i), SYNACK, 0,
               T0 + i * (SEC / 2000));
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_REFL);
    assert_non_null(a);
    assert_string_equal(a->dst, "10.10.10.10");
    assert_true(hn_num(a->json, "synack") >= 200);
    assert_true(hn_has(a->json, "\"top_source_ports\":[{\"port\":80,"));
    assert_true(hn_num(a->json, "dest_ports_distinct") >= 100);
    hn_free(H);
}

static void test_solicited_synack_no_reflection(void **state)
{
    (void)state;
    /* The host opens 500 connections in one second and gets its answers: no reflection. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    const uint32_t host = A4(10, 10, 10, 10);
    for (uint32_t i = 0; i < 500; i++)
        connect_ok(H, host, rport(i), spoofed(i, 50), 443, T0 + i * (SEC / 500));
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* --- UDP -------------------------------------------------------------------------------- */

static void udp_burst(struct hn *H, uint32_t n, uint32_t sources, uint16_t sport_base,
                      bool fixed_sport, uint64_t span_ns)
{
    for (uint32_t i = 0; i < n; i++)
        hn_udp(H, spoofed(i, sources), fixed_sport ? sport_base : (uint16_t)(sport_base + i % 1000),
               A4(10, 10, 10, 1), 30120, 700, T0 + (uint64_t)i * span_ns / n);
}

static void test_udp_amplification(void **state)
{
    (void)state;
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    udp_burst(H, 6000, 200, 47808, true, SEC / 2);
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_AMP);
    assert_non_null(a);
    assert_string_equal(a->dst, "10.10.10.1");
    assert_int_equal(a->proto, 17);
    assert_true(hn_num(a->json, "amplification_share") == 1.0);
    assert_true(hn_has(a->json, "\"top_source_ports\":[{\"port\":47808,"));
    assert_true(hn_num(a->json, "peak_mbps") > 0);
    hn_free(H);
}

static void test_udp_flood(void **state)
{
    (void)state;
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    udp_burst(H, 6000, 200, 20000, false, SEC / 2);
    hn_finish(H);
    assert_int_equal(H->n, 1);
    assert_int_equal(hn_count(H, SID_UDP), 1);
    assert_true(hn_num(get(H, SID_UDP)->json, "amplification_share") == 0.0);
    hn_free(H);
}

static void test_udp_negatives(void **state)
{
    (void)state;
    /* One fast source (a download, a backup): not a flood, whatever the rate. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    udp_burst(H, 20000, 1, 443, true, SEC);
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
    /* Just below udp-rate (4999 in one second) from 50 sources. */
    H = fl_new(600 * SEC, NULL, 0);
    udp_burst(H, 4999, 50, 20000, false, SEC - 1);
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
    /* udp-min-sources at its edge: 9 sources are too few, 10 enough. */
    for (uint32_t src = 9; src <= 10; src++) {
        H = fl_new(600 * SEC, NULL, 0);
        udp_burst(H, 6000, src, 20000, false, SEC / 2);
        hn_finish(H);
        assert_int_equal(hn_count(H, SID_UDP), src == 10 ? 1 : 0);
        hn_free(H);
    }
}

/* --- ICMP flood --------------------------------------------------------------------------- */

/* n ICMP messages of type/code to 10.10.10.80 from `sources` hosts, spread evenly over span. */
static void icmp_burst(struct hn *H, uint32_t n, uint32_t sources, uint8_t type, uint8_t code,
                       uint64_t span)
{
    for (uint32_t i = 0; i < n; i++) {
        struct hn_pkt x = {.src = A4(198, 51, 100, 1 + i % sources),
                           .dst = A4(10, 10, 10, 80),
                           .proto = 1,
                           .icmp_type = type,
                           .icmp_code = code,
                           .plen = 56,
                           .ts_ns = T0 + i * (span / n)};
        hn_send(H, &x);
    }
}

static void test_icmp_flood(void **state)
{
    (void)state;
    /* ping -f from one host: 1,200 echo requests a second. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    icmp_burst(H, 600, 1, 8, 0, SEC / 2);
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_ICMP);
    assert_string_equal(a->dst, "10.10.10.80");
    assert_string_equal(a->src, "198.51.100.1");
    assert_int_equal(a->proto, 1);
    assert_int_equal(a->dport, 0);
    assert_true(hn_has(a->json, "\"variant\":\"icmp-flood\""));
    assert_true(hn_has(a->json, "\"top_icmp_types\":[{\"type\":8,\"code\":0,"));
    assert_true(hn_num(a->json, "echo_requests") >= 500);
    assert_true(hn_num(a->json, "bytes_window") > 0);
    assert_false(hn_has(a->json, "source_ports"));
    hn_free(H);
    /* Unsolicited echo replies (a smurf attack: requests forged in the victim's name sent to
     * a broadcast address) count: the victim never asked. */
    H = fl_new(600 * SEC, NULL, 0);
    icmp_burst(H, 600, 30, 0, 0, SEC / 2);
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_ICMP), 1);
    hn_free(H);
    /* Any type counts: a storm of port-unreachables (type 3 code 3) from 20 hosts. */
    H = fl_new(600 * SEC, NULL, 0);
    icmp_burst(H, 2000, 20, 3, 3, SEC);
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_ICMP), 1);
    a = get(H, SID_ICMP);
    assert_true(hn_has(a->json, "\"top_icmp_types\":[{\"type\":3,\"code\":3,"));
    assert_true(hn_num(a->json, "echo_requests") == 0);
    hn_free(H);
    /* ICMPv6 echo requests. */
    H = fl_new(600 * SEC, NULL, 0);
    struct mm_addr dst = doc_addr6(0x80), src = doc_addr6(0x07);
    for (uint32_t i = 0; i < 1000; i++) {
        struct hn_pkt x = {.src6 = &src,
                           .dst6 = &dst,
                           .proto = 58,
                           .icmp_type = 128,
                           .plen = 56,
                           .ts_ns = T0 + i * (SEC / 1000)};
        hn_send(H, &x);
    }
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_ICMP), 1);
    assert_int_equal(get(H, SID_ICMP)->proto, 58);
    assert_string_equal(get(H, SID_ICMP)->dst, "2001:db8::80");
    hn_free(H);
}

static void test_icmp_negatives(void **state)
{
    (void)state;
    /* The victim of a ping flood answers every request: its 1,200 replies a second to the
     * attacker are answers to the attacker's own requests, no flood of the attacker. */
    struct hn *R = fl_new(600 * SEC, NULL, 0);
    for (uint32_t i = 0; i < 600; i++) {
        struct hn_pkt q = {.src = A4(198, 51, 100, 1),
                           .dst = A4(10, 10, 10, 80),
                           .proto = 1,
                           .icmp_type = 8,
                           .plen = 56,
                           .ts_ns = T0 + i * (SEC / 1200)};
        hn_send(R, &q);
        struct hn_pkt a = q;
        a.src = q.dst;
        a.dst = q.src;
        a.icmp_type = 0;
        a.ts_ns += 100000;
        hn_send(R, &a);
    }
    hn_finish(R);
    assert_int_equal(R->n, 1);
    assert_string_equal(get(R, SID_ICMP)->dst, "10.10.10.80");
    hn_free(R);
    /* Monitoring: one ping a second for ten minutes. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    icmp_burst(H, 600, 1, 8, 0, 600 * SEC);
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
    /* icmp-rate at its edge: 499 messages within one second (one bucket) are not a flood,
     * 500 are. */
    for (uint32_t n = 499; n <= 500; n++) {
        H = fl_new(600 * SEC, NULL, 0);
        icmp_burst(H, n, 3, 8, 0, SEC - SEC / 1000);
        hn_finish(H);
        assert_int_equal(hn_count(H, SID_ICMP), n == 500 ? 1 : 0);
        hn_free(H);
    }
    /* A lower icmp-rate setting: 60 a second are a flood then. */
    const char *kv[] = {"icmp-rate=50"};
    H = fl_new(600 * SEC, kv, 1);
    icmp_burst(H, 60, 1, 8, 0, SEC - SEC / 1000);
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_ICMP), 1);
    hn_free(H);
}

/* --- ACK flood ---------------------------------------------------------------------------- */

static void test_ack_flood(void **state)
{
    (void)state;
    /* hping3 -A --rand-source: 3,000 ACKs a second from forged sources and ports, each the
     * first segment of its flow. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    for (uint32_t i = 0; i < 1500; i++)
        hn_tcp(H, spoofed(i, 1500), rport(i), SRV, 80, ACK, 0, T0 + i * (SEC / 3000));
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_ACK);
    assert_string_equal(a->dst, "192.168.10.25");
    assert_int_equal(a->proto, 6);
    assert_int_equal(a->dport, 0);
    assert_true(hn_has(a->json, "\"variant\":\"ack-flood\""));
    assert_true(hn_num(a->json, "packets_window") >= 1000);
    assert_true(hn_has(a->json, "\"dest_ports_sample\":[80]"));
    assert_true(hn_has(a->json, "\"spoofed_likely\":true"));
    assert_false(hn_has(a->json, "syn_synack_ratio"));
    hn_free(H);
}

static void test_ack_negatives(void **state)
{
    (void)state;
    /* A capture (or a flow timeout) cutting into 900 running connections of a busy server:
     * each shows up as one ACK that begins a flow, all in the first second, then the
     * connections carry on. Below ack-rate: no alert. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    for (uint32_t i = 0; i < 900; i++)
        hn_tcp(H, A4(10, 0, i / 250, 1 + i % 250), rport(i), SRV, 443, ACK, 100,
               T0 + i * (SEC / 1000));
    for (uint32_t r = 1; r <= 3; r++)
        for (uint32_t i = 0; i < 900; i++)
            hn_tcp(H, A4(10, 0, i / 250, 1 + i % 250), rport(i), SRV, 443, ACK, 100,
                   T0 + r * SEC + i * (SEC / 1000));
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
    /* ack-rate at its edge: 999 out-of-state ACKs within one second are not a flood, 1000
     * are. */
    for (uint32_t n = 999; n <= 1000; n++) {
        H = fl_new(600 * SEC, NULL, 0);
        for (uint32_t i = 0; i < n; i++)
            hn_tcp(H, spoofed(i, n), rport(i), SRV, 80, ACK, 0, T0 + i * ((SEC - SEC / 1000) / n));
        hn_finish(H);
        assert_int_equal(hn_count(H, SID_ACK), n == 1000 ? 1 : 0);
        hn_free(H);
    }
    /* The ACKs of completed handshakes (the client's second packet) are no ACK flood: 1,500
     * connections in a second to a web server. */
    H = fl_new(600 * SEC, NULL, 0);
    for (uint32_t i = 0; i < 1500; i++)
        connect_ok(H, A4(10, 1, i / 250, 1 + i % 250), rport(i), SRV, 80, T0 + i * (SEC / 1500));
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_ACK), 0);
    hn_free(H);
}

/* --- connection flood --------------------------------------------------------------------- */

static void test_connection_flood(void **state)
{
    (void)state;
    /* Two sources, 120 completed SMTP connections a second between them, for 3 s. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    const uint32_t a1 = A4(203, 0, 113, 52), a2 = A4(203, 0, 113, 53);
    for (uint32_t i = 0; i < 360; i++)
        connect_ok(H, i % 2 ? a2 : a1, rport(i), SRV, 25, T0 + i * (SEC / 120));
    hn_finish(H);
    assert_int_equal(H->n, 1);
    const struct hn_alert *a = get(H, SID_CONN);
    assert_non_null(a);
    assert_true(!strcmp(a->src, "203.0.113.52") || !strcmp(a->src, "203.0.113.53"));
    assert_string_equal(a->dst, "192.168.10.25");
    assert_int_equal(a->dport, 25);
    assert_true(hn_has(a->json, "\"service\":\"smtp\""));
    assert_true(hn_num(a->json, "sources_distinct") == 2);
    assert_true(hn_num(a->json, "peak_cps") == 100 && hn_num(a->json, "connections_window") == 100);
    hn_free(H);

    /* 99 a second is below conn-rate (a password-guessing tool's 40 a second is far below);
     * a port outside conn-ports is not watched. */
    H = fl_new(600 * SEC, NULL, 0);
    for (uint32_t i = 0; i < 297; i++)
        connect_ok(H, i % 2 ? a2 : a1, rport(i), SRV, 25, T0 + i * (SEC / 99));
    for (uint32_t i = 0; i < 360; i++)
        connect_ok(H, a1, rport(i + 1000), SRV, 5432, T0 + 10 * SEC + i * (SEC / 120));
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);

    /* Many sources (a crowd) are not a connection flood. */
    H = fl_new(600 * SEC, NULL, 0);
    for (uint32_t i = 0; i < 360; i++)
        connect_ok(H, spoofed(i, 60), rport(i), SRV, 80, T0 + i * (SEC / 120));
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

static void test_time_steps_back(void **state)
{
    (void)state;
    /* 20 completed connections a second for 50 s, then the capture's clock steps back 44 s
     * and the same goes on (ppa_ftp-crack.pcap does this): the rates start over instead of
     * piling the later traffic into one bucket. */
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    uint32_t i = 0;
    for (; i < 1000; i++)
        connect_ok(H, A4(203, 0, 113, 9), rport(i), SRV, 21, T0 + (uint64_t)i * (SEC / 20));
    for (uint32_t k = 0; k < 1000; k++, i++)
        connect_ok(H, A4(203, 0, 113, 9), rport(i), SRV, 21,
                   T0 + 6 * SEC + (uint64_t)k * (SEC / 20));
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* --- report schedule -------------------------------------------------------------------- */

static void test_updates_and_new_activity(void **state)
{
    (void)state;
    /* Update interval 60 s: a 150 s flood gives one alert and two updates; after more than
     * end-after (2 min) of quiet, a new flood is a new alert. */
    struct hn *H = fl_new(60 * SEC, NULL, 0);
    uint32_t i = 0;
    for (; i < 150 * 250; i++)
        hn_tcp(H, spoofed(i, 1000), rport(i), SRV, 110, SYN, 0, T0 + (uint64_t)i * (SEC / 250));
    uint64_t t2 = T0 + 330 * SEC;
    for (uint32_t k = 0; k < 5 * 250; k++, i++)
        hn_tcp(H, spoofed(i, 1000), rport(i), SRV, 110, SYN, 0, t2 + (uint64_t)k * (SEC / 250));
    hn_finish(H);
    assert_int_equal(hn_count(H, SID_SYN), 4);
    size_t updates = 0;
    for (size_t k = 0; k < H->n; k++)
        updates += H->al[k].update;
    assert_int_equal(updates, 2);
    assert_false(H->al[0].update);
    assert_true(H->al[1].update && H->al[2].update);
    assert_true(H->al[1].ts_ns - H->al[0].ts_ns >= 60 * SEC);
    assert_true(H->al[1].ts_ns - H->al[0].ts_ns < 61 * SEC);
    assert_false(H->al[3].update);
    assert_true(H->al[3].ts_ns >= t2);
    /* The update reports the flood so far. */
    assert_true(hn_num(H->al[2].json, "packets_total") > 25000);
    assert_true(hn_num(H->al[2].json, "duration_s") > 119);
    hn_free(H);
}

/* --- settings --------------------------------------------------------------------------- */

static void test_bad_settings(void **state)
{
    (void)state;
    static const char *const bad[] = {"syn-rate=0",  "amp-ports=53,abc", "conn-ports=70000",
                                      "window=0.5s", "half-open=1.5",    "memcap=200kb",
                                      "no-such=1"};
    for (size_t i = 0; i < MM_ARRAY_LEN(bad); i++) {
        char err[512] = "";
        struct hn *H = hn_try_new("flood", 600 * SEC, &bad[i], 1, err, sizeof err);
        if (H)
            fail_msg("'%s' was accepted", bad[i]);
        assert_true(strstr(err, "flood") != NULL);
    }
    static const char *const good[] = {"window=30s", "amp-ports=53 123", "top=16"};
    char err[512] = "";
    struct hn *H = hn_try_new("flood", 600 * SEC, good, MM_ARRAY_LEN(good), err, sizeof err);
    if (!H)
        fail_msg("%s", err);
    hn_free(H);
}

/* --- memory ------------------------------------------------------------------------------ */

static const struct dtr_det_stats *flood_stats(struct hn *H, struct dtr_det_stats *all)
{
    size_t n = dtr_get_stats(H->h, all, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i].name, "flood"))
            return &all[i];
    fail_msg("no flood stats");
    return &all[0];
}

static void test_memcap_million_spoofed(void **state)
{
    (void)state;
    const char *kv[] = {"memcap=1mb"};
    struct hn *H = fl_new(30 * SEC, kv, 1);
    struct dtr_det_stats all[DTR_MAX_DETECTORS];
    /* A million SYNs from a million spoofed sources to one service, 10,000 a second. */
    for (uint32_t i = 0; i < 1000000; i++) {
        struct hn_pkt x = {.src = A4(100, 0, 0, 0) + i * 2654435761u % (1u << 30),
                           .dst = SRV,
                           .sport = rport(i),
                           .dport = 110,
                           .proto = 6,
                           .flags = SYN,
                           .ts_ns = T0 + (uint64_t)i * 100000,
                           .no_flow = true};
        hn_send(H, &x);
    }
    const struct dtr_det_stats *st = flood_stats(H, all);
    assert_true(st->memuse <= st->memcap);
    assert_int_equal(st->memcap, 1u << 20);
    assert_true(st->entries <= 2); /* one service and its detail: sources cost nothing */
    /* The first report at 200 SYNs, updates every 30 s of the 100 s: the last one has seen
     * far more sources than the distinct counter can tell apart. */
    assert_int_equal(hn_count(H, SID_SYN), 4);
    const char *j = H->al[3].json;
    assert_true(hn_has(j, "\"sources_count_quality\":\"lower-bound\""));
    assert_true(hn_num(j, "sources_distinct") > 5000);

    /* Then a million destinations, one datagram each (a sweep): the doorkeeper keeps them
     * all out of the table. */
    size_t before = st->entries;
    for (uint32_t i = 0; i < 1000000; i++) {
        struct hn_pkt x = {.src = A4(192, 168, 10, 5),
                           .dst = A4(10, 0, 0, 0) + i,
                           .sport = 5000,
                           .dport = 53,
                           .proto = 17,
                           .plen = 40,
                           .ts_ns = T0 + 100 * SEC + (uint64_t)i * 1000,
                           .no_flow = true};
        hn_send(H, &x);
    }
    st = flood_stats(H, all);
    assert_true(st->entries <= before + 10000); /* only doorkeeper bits shared by chance */
    /* And a million destinations with two datagrams each: the table stays at its cap, the
     * oldest entries are taken over and counted. */
    for (uint32_t i = 0; i < 1000000; i++) {
        for (uint64_t k = 1; k <= 2; k++) {
            struct hn_pkt x = {.src = A4(192, 168, 10, 5),
                               .dst = A4(11, 0, 0, 0) + i,
                               .sport = 5000,
                               .dport = 53,
                               .proto = 17,
                               .plen = 40,
                               .ts_ns = T0 + 102 * SEC + (uint64_t)i * 1000 + k,
                               .no_flow = true};
            hn_send(H, &x);
        }
    }
    st = flood_stats(H, all);
    assert_true(st->memuse <= st->memcap);
    assert_true(st->memuse > st->memcap / 2);
    assert_true(st->evicted > 900000);
    assert_true(st->entries > 1000 && st->entries < 10000);
    assert_int_equal(H->n, 4);
    hn_free(H);
}

/* --- sketch and parser ------------------------------------------------------------------ */

static void test_topk_space_saving(void **state)
{
    (void)state;
    struct dt_flood_topk t;
    memset(&t, 0, sizeof t);
    struct mm_addr a;
    /* Heavy sources .1 (400 packets), .2 (250) and .3 (125) in a stream of 2000 one-off
     * sources: N = 2775, k = 16, so everything above N/k = 173 is guaranteed to be kept. */
    for (uint32_t i = 0; i < 2000; i++) {
        hn_addr4(&a, A4(198, 51, 100, 0) + 1000 + i);
        dt_flood_topk_add_addr(&t, DT_FLOOD_TOPK, &a, 4, 1);
        for (uint32_t h = 1; h <= 3; h++) {
            if (i % (h == 1 ? 5 : h == 2 ? 8 : 16) == 0) {
                hn_addr4(&a, A4(203, 0, 113, h));
                dt_flood_topk_add_addr(&t, DT_FLOOD_TOPK, &a, 4, 1);
            }
        }
    }
    struct dt_flood_topk_item out[2 * DT_FLOOD_TOPK];
    size_t n = dt_flood_topk_sorted(&t, NULL, out, 3);
    assert_int_equal(n, 3);
    char s[64];
    dec_addr_str(&out[0].addr, 4, s, sizeof s);
    assert_string_equal(s, "203.0.113.1");
    dec_addr_str(&out[1].addr, 4, s, sizeof s);
    assert_string_equal(s, "203.0.113.2");
    /* The count is an upper bound and count - err a lower bound of the truth. */
    assert_true(out[0].count >= 400 && out[0].count - out[0].err <= 400);
    assert_true(out[1].count >= 250 && out[1].count - out[1].err <= 250);
    /* Merging two sketches sums equal items. */
    n = dt_flood_topk_sorted(&t, &t, out, 1);
    assert_int_equal(n, 1);
    assert_true(out[0].count >= 800);
    /* Ports and networks. */
    memset(&t, 0, sizeof t);
    dt_flood_topk_add_port(&t, 4, 53, 5);
    dt_flood_topk_add_port(&t, 4, 123, 7);
    hn_addr4(&a, A4(203, 0, 113, 77));
    struct dt_flood_topk nets;
    memset(&nets, 0, sizeof nets);
    dt_flood_topk_add_net(&nets, 8, &a, 4, 1);
    hn_addr4(&a, A4(203, 0, 113, 78));
    dt_flood_topk_add_net(&nets, 8, &a, 4, 1);
    assert_int_equal(nets.n, 1);
    assert_int_equal(nets.count[0], 2);
    n = dt_flood_topk_sorted(&t, NULL, out, 8);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].key, 123);
}

/* A sketch keeps addresses for IPv6 items only (an IPv4 address is its key): items of either
 * kind taking over each other's slots report their own address, all 16 bytes of it. */
static void test_topk_mixed_families(void **state)
{
    (void)state;
    struct dt_flood_topk t;
    memset(&t, 0, sizeof t);
    struct mm_addr v6a = doc_addr6(0xa), v6b = doc_addr6(0xb), v6d = doc_addr6(0xd), v4c, v4e;
    hn_addr4(&v4c, A4(203, 0, 113, 12));
    hn_addr4(&v4e, A4(198, 51, 100, 14));
    dt_flood_topk_add_addr(&t, 2, &v6a, 6, 1);
    dt_flood_topk_add_addr(&t, 2, &v6b, 6, 3);
    dt_flood_topk_add_addr(&t, 2, &v4c, 4, 5); /* takes over v6a's slot */
    dt_flood_topk_add_addr(&t, 2, &v6d, 6, 9); /* takes over v6b's slot (3 < 6) */
    dt_flood_topk_add_addr(&t, 2, &v4e, 4, 1); /* takes over v4c's slot (6 < 12) */
    struct dt_flood_topk_item out[2 * DT_FLOOD_TOPK];
    size_t n = dt_flood_topk_sorted(&t, NULL, out, 2);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].ip_ver, 6);
    assert_memory_equal(out[0].addr.b, v6d.b, 16);
    assert_int_equal(out[0].count, 12);
    assert_int_equal(out[1].ip_ver, 4);
    assert_memory_equal(out[1].addr.b, v4e.b, 16);
    assert_int_equal(out[1].count, 7);
    /* A port item over an address's slot reports no address. */
    dt_flood_topk_add_port(&t, 2, 443, 20);
    n = dt_flood_topk_sorted(&t, NULL, out, 2);
    static const struct mm_addr zero;
    assert_true(n == 2 && out[0].key == 443 && out[0].ip_ver == 0);
    assert_memory_equal(out[0].addr.b, zero.b, 16);
    /* Two sketches merged: the same IPv4 source in both is one item. */
    struct dt_flood_topk u, w;
    memset(&u, 0, sizeof u);
    memset(&w, 0, sizeof w);
    dt_flood_topk_add_addr(&u, 2, &v4e, 4, 2);
    dt_flood_topk_add_addr(&w, 2, &v6a, 6, 1);
    dt_flood_topk_add_addr(&w, 2, &v4e, 4, 5);
    n = dt_flood_topk_sorted(&u, &w, out, 3);
    assert_int_equal(n, 2);
    assert_memory_equal(out[0].addr.b, v4e.b, 16);
    assert_int_equal(out[0].count, 7);
    assert_memory_equal(out[1].addr.b, v6a.b, 16);
}

/* Emptied in place (counts of items set to zero, arrays left as they were), a sketch and a
 * distinct counter then give exactly what zeroed ones given the same values give. */
static void test_clear_in_place(void **state)
{
    (void)state;
    struct dt_flood_topk used, fresh;
    struct dtr_distinct dused, dfresh;
    memset(&used, 0, sizeof used);
    memset(&fresh, 0, sizeof fresh);
    memset(&dused, 0, sizeof dused);
    memset(&dfresh, 0, sizeof dfresh);
    struct mm_addr a;
    for (uint32_t i = 0; i < 500; i++) { /* fills every slot and the sketch bits */
        hn_addr4(&a, A4(198, 51, 100, 0) + i % 40);
        dt_flood_topk_add_addr(&used, DT_FLOOD_TOPK, &a, 4, 1);
        dtr_distinct_add(&dused, i * 7919u);
    }
    dt_flood_topk_clear(&used);
    dtr_distinct_clear(&dused);
    assert_int_equal(dtr_distinct_count(&dused), 0);
    struct dt_flood_topk_item out[2 * DT_FLOOD_TOPK];
    assert_int_equal(dt_flood_topk_sorted(&used, NULL, out, DT_FLOOD_TOPK), 0);
    /* The same values again, some of them the old items' keys. */
    for (uint32_t i = 0; i < 60; i++) {
        hn_addr4(&a, A4(198, 51, 100, 0) + i % 23);
        dt_flood_topk_add_addr(&used, DT_FLOOD_TOPK, &a, 4, 1 + i % 3);
        dt_flood_topk_add_addr(&fresh, DT_FLOOD_TOPK, &a, 4, 1 + i % 3);
        assert_int_equal(dtr_distinct_add(&dused, i % 11 * 7919u),
                         dtr_distinct_add(&dfresh, i % 11 * 7919u));
    }
    struct dt_flood_topk_item out2[2 * DT_FLOOD_TOPK];
    size_t n = dt_flood_topk_sorted(&used, NULL, out, DT_FLOOD_TOPK);
    assert_int_equal(n, dt_flood_topk_sorted(&fresh, NULL, out2, DT_FLOOD_TOPK));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(out[i].key, out2[i].key);
        assert_int_equal(out[i].count, out2[i].count);
        assert_int_equal(out[i].err, out2[i].err);
    }
    assert_int_equal(dtr_distinct_count(&dused), dtr_distinct_count(&dfresh));
    assert_int_equal(dused.n_exact, dfresh.n_exact);
    assert_int_equal(dused.total_adds, dfresh.total_adds);
    assert_memory_equal(dused.sketch, dfresh.sketch, sizeof dused.sketch);
}

static void test_port_list(void **state)
{
    (void)state;
    static struct dt_flood_ports ps;
    char err[256];
    assert_true(dt_flood_ports_parse(&ps, "25, 110 143,,65535", "x", err, sizeof err));
    assert_true(dt_flood_ports_has(&ps, 25) && dt_flood_ports_has(&ps, 110));
    assert_true(dt_flood_ports_has(&ps, 143) && dt_flood_ports_has(&ps, 65535));
    assert_false(dt_flood_ports_has(&ps, 80) || dt_flood_ports_has(&ps, 0));
    assert_true(dt_flood_ports_parse(&ps, "", "x", err, sizeof err));
    assert_false(dt_flood_ports_has(&ps, 25));
    static const char *const bad[] = {"0",  "65536",   "1-5",           "25;110",
                                      "-1", "1234567", "00000000000025"};
    for (size_t i = 0; i < MM_ARRAY_LEN(bad); i++)
        if (dt_flood_ports_parse(&ps, bad[i], "x", err, sizeof err))
            fail_msg("'%s' parsed", bad[i]);
}

/* --- captures ----------------------------------------------------------------------------- */

struct cap_row {
    const char *file; /* under MM_SHARED_DIR/pcaps/, or MM_SOURCE_DIR when starting with / */
    size_t alerts;    /* exactly this many flood alerts (first reports and updates) */
    uint32_t sid;
    const char *dst;
    uint16_t dport;
    const char *evidence; /* a substring of the first alert's mamori object, or NULL */
};

static void check_capture(const struct cap_row *r)
{
    char path[1024];
    if (r->file[0] == '/')
        snprintf(path, sizeof path, "%s%s", MM_SOURCE_DIR, r->file);
    else
        snprintf(path, sizeof path, "%s/pcaps/%s", MM_SHARED_DIR, r->file);
    struct hn *H = fl_new(600 * SEC, NULL, 0);
    if (!hn_replay(H, path)) {
        printf("skipped (not present): %s\n", path);
        hn_free(H);
        return;
    }
    if (H->n != r->alerts) {
        for (size_t i = 0; i < H->n; i++)
            printf("  %u %s -> %s:%u %s\n", H->al[i].sid, H->al[i].src, H->al[i].dst,
                   H->al[i].dport, H->al[i].json);
        fail_msg("%s: %zu flood alerts, want %zu", r->file, H->n, r->alerts);
    }
    for (size_t i = 0; i < H->n; i++) {
        if (H->al[i].sid != r->sid || strcmp(H->al[i].dst, r->dst) || H->al[i].dport != r->dport)
            fail_msg("%s: alert %u -> %s:%u, want %u -> %s:%u", r->file, H->al[i].sid, H->al[i].dst,
                     H->al[i].dport, r->sid, r->dst, r->dport);
    }
    if (getenv("MM_TEST_SHOW_ALERTS"))
        for (size_t i = 0; i < H->n; i++)
            printf("%s: %u %s -> %s:%u %s\n", r->file, H->al[i].sid, H->al[i].src, H->al[i].dst,
                   H->al[i].dport, H->al[i].json);
    if (r->evidence && H->n && !hn_has(H->al[0].json, r->evidence))
        fail_msg("%s: evidence lacks %s: %s", r->file, r->evidence, H->al[0].json);
    hn_free(H);
}

static void test_shared_captures(void **state)
{
    (void)state;
    static const struct cap_row rows[] = {
        {"dos/stopddos_pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng", 1, SID_SYN, "10.10.10.10", 30120,
         "\"handshakes\":0"},
        {"dos/stopddos_amp.TCP.reflection.SYNACK.pcap", 1, SID_REFL, "10.10.10.10", 0,
         "\"top_source_ports\":[{\"port\":80,"},
        {"dos/stopddos_amp.UDP.bacnet.IOT.37810.pcapng", 1, SID_AMP, "10.10.10.1", 0,
         "{\"port\":47808,"},
        /* A few SYN-ACKs a second, mostly retransmissions from 2 reflectors: not a flood. */
        {"dos/stopddos_amp.TCP.syn.optionallyACK.optionallysamePort.pcapng", 0, 0, "", 0, NULL},
        /* 250 DHCP informs to 250 different servers, one each: no destination is flooded. */
        {"dos/zeek_dhcp_flood.pcap", 0, 0, "", 0, NULL},
        {"email/chrissanders_mail_sender_attachment.pcapng", 0, 0, "", 0, NULL},
        {"email/zeek_smtp.pcap", 0, 0, "", 0, NULL},
        {"email/ndpi_smtp.pcap", 0, 0, "", 0, NULL},
        {"bruteforce/ppa_ftp-crack.pcap", 0, 0, "", 0, NULL},
        {"bruteforce/ndpi_ftp_failed.pcap", 0, 0, "", 0, NULL},
        {"bruteforce/ndpi_http_auth.pcap", 0, 0, "", 0, NULL},
        {"bruteforce/ndpi_pop3.pcap", 0, 0, "", 0, NULL},
        {"bruteforce/ndpi_imap.pcap", 0, 0, "", 0, NULL},
        {"bruteforce/zeek_http_basic-auth-with-colon.pcap", 0, 0, "", 0, NULL},
        {"bruteforce/zeek_http_basic-auth-with-extra-space.pcap", 0, 0, "", 0, NULL},
        {"web_attacks/chrissanders_http_dvwa_sqlinjection.pcapng", 0, 0, "", 0, NULL},
        {"web_attacks/chrissanders_http_dvwa_sqlinjection_passwords.pcapng", 0, 0, "", 0, NULL},
        {"web_attacks/chrissanders_http_dvwa_directorytraversal.pcapng", 0, 0, "", 0, NULL},
        {"web_attacks/chrissanders_http_dvwa_clearlogin.pcapng", 0, 0, "", 0, NULL},
        {"web_attacks/ndpi_sql_injection.pcap", 0, 0, "", 0, NULL},
        {"web_attacks/ndpi_dotenv.pcap", 0, 0, "", 0, NULL},
        {"web_attacks/ndpi_bot.pcap", 0, 0, "", 0, NULL},
        {"web_attacks/evilfingers_joomla_sql_injection1.pcap", 0, 0, "", 0, NULL},
        {"web_attacks/evilfingers_2Capsule_Sticker_Remote_SQL_Injection_Vulnerability.pcap", 0, 0,
         "", 0, NULL},
        {"botnet_c2/chrissanders_ek_to_cryptowall4.pcapng", 0, 0, "", 0, NULL},
        {"botnet_c2/chrissanders_ratinfected.pcapng", 0, 0, "", 0, NULL},
        {"botnet_c2/ndpi_mining.pcapng", 0, 0, "", 0, NULL},
        /* Scans are not floods (T2's job). */
        {"portscan/chrissanders_synscan.pcapng", 0, 0, "", 0, NULL},
        {"portscan/ndpi_synscan.pcap", 0, 0, "", 0, NULL},
        {"portscan/evilfingers_nmap_XMAS_TREE_SCAN.pcap", 0, 0, "", 0, NULL},
        {"portscan/evilfingers_xprobe_icmp_udp_scan.pcap", 0, 0, "", 0, NULL},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++)
        check_capture(&rows[i]);
}

static void test_demo_capture(void **state)
{
    (void)state;
    /* The demo's T4 flood: 3000 SYNs to the mail server's POP3 port, nothing else. */
    static const struct cap_row row = {"/demo/demo.pcap", 1,   SID_SYN,
                                       "192.168.10.25",   110, "\"service\":\"pop3\""};
    check_capture(&row);
}

/* A strong reference: the registry's are weak, and a static library member nobody
 * references is not linked. */
extern const struct dtr_ops dt_flood_ops;

static void test_registered(void **state)
{
    (void)state;
    assert_string_equal(dt_flood_ops.name, "flood");
    assert_string_equal(dt_flood_ops.threat, "T4");
    assert_int_equal(dt_flood_ops.sid_base, 4001);
    bool listed = false;
    for (size_t k = 0; k < dtr_registry_len; k++)
        listed |= dtr_registry[k] == &dt_flood_ops;
    assert_true(listed);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    dtr_print_signatures(f);
    fclose(f);
    assert_non_null(strstr(buf, "TCP SYN flood"));
    assert_non_null(strstr(buf, "sid:4001;"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registered),
        cmocka_unit_test(test_syn_flood_spoofed),
        cmocka_unit_test(test_syn_rate_edge),
        cmocka_unit_test(test_syn_half_open_edge),
        cmocka_unit_test(test_busy_server_no_alert),
        cmocka_unit_test(test_syn_flood_ipv6),
        cmocka_unit_test(test_syn_flood_geoip),
        cmocka_unit_test(test_synack_reflection),
        cmocka_unit_test(test_solicited_synack_no_reflection),
        cmocka_unit_test(test_udp_amplification),
        cmocka_unit_test(test_udp_flood),
        cmocka_unit_test(test_udp_negatives),
        cmocka_unit_test(test_icmp_flood),
        cmocka_unit_test(test_icmp_negatives),
        cmocka_unit_test(test_ack_flood),
        cmocka_unit_test(test_ack_negatives),
        cmocka_unit_test(test_connection_flood),
        cmocka_unit_test(test_time_steps_back),
        cmocka_unit_test(test_updates_and_new_activity),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_memcap_million_spoofed),
        cmocka_unit_test(test_topk_space_saving),
        cmocka_unit_test(test_topk_mixed_families),
        cmocka_unit_test(test_clear_in_place),
        cmocka_unit_test(test_port_list),
        cmocka_unit_test(test_shared_captures),
        cmocka_unit_test(test_demo_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
