/*
 * T2 port-scan detector (src/detect/dt_portscan.c), driven through the detector host
 * (dtr_new) with real packets: pktbuild -> dec_packet -> flow table -> dtr_packet, flow ends
 * -> dtr_flow_end. Covers each variant (vertical, horizontal, block, distributed), each
 * probe type (SYN, connect, FIN, NULL, XMAS, ACK, UDP with ICMP port unreachable), the
 * thresholds at their edges, the walk (a busy benign client is not flagged), the window, the
 * update rate limit, bad settings, and the memcap under a million spoofed sources. The
 * labelled captures of ../shared/data (when present) and demo/demo.pcap are replayed through
 * the same pipeline with exact alert counts.
 */
#include "capture/capture.h"
#include "core/mm.h"
#include "decode/decode.h"
#include "detect/dtr_int.h"
#include "detect/rule.h"
#include "flow/flow.h"
#include "testlib/pktbuild.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1713830400ull * SEC) /* 2024-04-23T00:00:00Z */
#define MAX_ALERTS 4096

#define SID_VERTICAL 2001u
#define SID_HORIZONTAL 2002u
#define SID_BLOCK 2003u
#define SID_DISTRIBUTED 2004u
#define SID_SWEEP 2005u
#define SID_ARP_SWEEP 2006u

struct alert_rec {
    uint32_t sid;
    char src[64], dst[64];
    uint16_t dport;
    uint8_t proto;
    bool update;
    uint64_t ts_ns;
    char *json; /* the mamori object */
};

struct harness {
    dtr_host_t *h;
    dec_ctx_t *dec;
    flow_table_t *ft;
    struct alert_rec al[MAX_ALERTS];
    size_t n;
    uint64_t now;
    struct dtr_setting settings[32];
    size_t n_settings;
    bool no_time; /* dtr_packet alone: packet time never moves (no ticks) */
};

static bool on_alert(void *u, const struct det_alert *a)
{
    struct harness *H = u;
    if (H->n >= MAX_ALERTS)
        return true;
    struct alert_rec *r = &H->al[H->n++];
    r->sid = a->rule->sid;
    dec_addr_str(&a->src, a->ip_ver, r->src, sizeof r->src);
    dec_addr_str(&a->dst, a->ip_ver, r->dst, sizeof r->dst);
    r->dport = a->dport;
    r->proto = a->proto;
    r->ts_ns = a->ts_ns;
    r->json = malloc(a->mamori_len + 1);
    assert_non_null(r->json);
    memcpy(r->json, a->mamori_json, a->mamori_len);
    r->json[a->mamori_len] = 0;
    r->update = strstr(r->json, "\"update\":true") != NULL;
    return true;
}

static void on_flow_end(const struct flow *f, enum flow_end_reason reason, void *u)
{
    (void)reason;
    struct harness *H = u;
    if (H->h)
        dtr_flow_end(H->h, f);
}

/* Settings over the defaults: "param=value" strings for the portscan detector. Every other
 * registered detector is turned off so that only this one speaks. */
static struct harness *hn_new_cfg(uint64_t update_interval_ns, const char *const *kv, size_t n)
{
    struct harness *H = calloc(1, sizeof *H);
    assert_non_null(H);
    static char keys[32][64];
    static char vals[32][64];
    for (size_t k = 0; k < dtr_registry_len; k++) {
        const struct dtr_ops *o = dtr_registry[k];
        if (!o || !strcmp(o->name, "portscan"))
            continue;
        H->settings[H->n_settings++] =
            (struct dtr_setting){.detector = o->name, .param = "enabled", .value = "no"};
    }
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '=');
        assert_non_null(eq);
        snprintf(keys[i], sizeof keys[i], "%.*s", (int)(eq - kv[i]), kv[i]);
        snprintf(vals[i], sizeof vals[i], "%s", eq + 1);
        H->settings[H->n_settings++] =
            (struct dtr_setting){.detector = "portscan", .param = keys[i], .value = vals[i]};
    }
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    cfg.update_interval_ns = update_interval_ns;
    cfg.settings = H->settings;
    cfg.n_settings = H->n_settings;
    char err[512] = "";
    H->h = dtr_new(&cfg, NULL, on_alert, H, err, sizeof err);
    if (!H->h)
        fail_msg("dtr_new: %s", err);
    struct dec_config dc;
    dec_config_defaults(&dc);
    H->dec = dec_ctx_new(&dc);
    struct flow_config fc;
    flow_config_defaults(&fc);
    H->ft = flow_table_new(&fc, on_flow_end, H);
    assert_non_null(H->dec);
    assert_non_null(H->ft);
    return H;
}

static struct harness *hn_new(void)
{
    return hn_new_cfg(600 * SEC, NULL, 0);
}

/* The defaults, or with off the monitor rule switched off (monitor-share 0): the monitor tests
 * run their traffic both ways. */
static struct harness *hn_new_monitor(bool off)
{
    return off ? hn_new_cfg(600 * SEC, (const char *const[]){"monitor-share=0"}, 1) : hn_new();
}

/* Reports at the moment a threshold is crossed (report-delay 0): for tests of the edges. */
static struct harness *hn_new_now(void)
{
    static const char *const kv[] = {"report-delay=0"};
    return hn_new_cfg(600 * SEC, kv, 1);
}

/* End every flow (as at the end of input) and tell the detectors. */
static void hn_finish(struct harness *H)
{
    flow_end_all(H->ft, FLOW_END_SHUTDOWN);
    dtr_finish(H->h, H->now);
}

static void hn_free(struct harness *H)
{
    flow_table_free(H->ft);
    H->ft = NULL;
    dtr_free(H->h);
    H->h = NULL;
    dec_ctx_free(H->dec);
    for (size_t i = 0; i < H->n; i++)
        free(H->al[i].json);
    free(H);
}

static void hn_feed(struct harness *H, const struct pb *b, uint64_t ts)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.data = pb_data(b);
    p.caplen = p.wirelen = (uint32_t)pb_len(b);
    p.ts_ns = ts;
    p.linktype = 1;
    dec_packet(H->dec, &p);
    enum flow_dir dir = FLOW_TOSERVER;
    struct flow *f = flow_handle_packet(H->ft, &p, &dir);
    H->now = ts;
    if (H->no_time)
        dtr_packet(H->h, f, f ? (int)dir : 0, &p);
    else
        dtr_feed_packet(H->h, f, f ? (int)dir : 0, &p); /* as the packet loop: time, then packet */
}

static uint32_t ip4(const char *s)
{
    unsigned a, b, c, d;
    assert_int_equal(sscanf(s, "%u.%u.%u.%u", &a, &b, &c, &d), 4);
    return IP4(a, b, c, d);
}

static void tcp(struct harness *H, const char *src, const char *dst, uint16_t sport, uint16_t dport,
                uint8_t flags, uint64_t ts)
{
    struct pb b;
    pb_init(&b);
    pb_tcp_simple(&b, sport, dport, flags, 1000, (flags & PB_ACK) ? 2000 : 0);
    pb_ipv4(&b, ip4(src), ip4(dst), PB_TCP);
    pb_eth(&b, PB_ETH_IPV4);
    hn_feed(H, &b, ts);
}

static void tcp6(struct harness *H, const char *src, const char *dst, uint16_t sport,
                 uint16_t dport, uint8_t flags, uint64_t ts)
{
    struct pb b;
    pb_init(&b);
    pb_tcp_simple(&b, sport, dport, flags, 1000, (flags & PB_ACK) ? 2000 : 0);
    pb_ipv6(&b, src, dst, PB_TCP);
    pb_eth(&b, PB_ETH_IPV6);
    hn_feed(H, &b, ts);
}

static void udp(struct harness *H, const char *src, const char *dst, uint16_t sport, uint16_t dport,
                uint64_t ts)
{
    struct pb b;
    pb_init(&b);
    pb_udp(&b, sport, dport);
    pb_ipv4(&b, ip4(src), ip4(dst), PB_UDP);
    pb_eth(&b, PB_ETH_IPV4);
    hn_feed(H, &b, ts);
}

/* ICMP destination unreachable (code) from `from` to the prober, quoting its UDP probe. */
static void icmp_unreach_udp(struct harness *H, const char *from, const char *prober,
                             const char *target, uint16_t sport, uint16_t dport, uint8_t code,
                             uint64_t ts)
{
    struct pb b;
    pb_init(&b);
    pb_udp(&b, sport, dport);
    pb_ipv4(&b, ip4(prober), ip4(target), PB_UDP);
    pb_icmp4(&b, 3, code, 0);
    pb_ipv4(&b, ip4(from), ip4(prober), PB_ICMP);
    pb_eth(&b, PB_ETH_IPV4);
    hn_feed(H, &b, ts);
}

/* An ICMPv4 message of type/code (identifier id, sequence 1) from src to dst. */
static void icmp4(struct harness *H, const char *src, const char *dst, uint8_t type, uint8_t code,
                  uint16_t id, uint64_t ts)
{
    struct pb b;
    pb_init(&b);
    pb_pattern(&b, 16, 0);
    pb_icmp4(&b, type, code, (uint32_t)id << 16 | 1u);
    pb_ipv4(&b, ip4(src), ip4(dst), PB_ICMP);
    pb_eth(&b, PB_ETH_IPV4);
    hn_feed(H, &b, ts);
}

/* A ping (echo request) and, when `answered`, the host's echo reply. */
static void ping(struct harness *H, const char *pinger, const char *host, uint16_t id,
                 bool answered, uint64_t ts)
{
    icmp4(H, pinger, host, 8, 0, id, ts);
    if (answered)
        icmp4(H, host, pinger, 0, 0, id, ts + MS);
}

/* ICMP destination unreachable (code) from `from` to `to`, quoting an echo request from the
 * pinger to host (to is the pinger, unless the test wants an error sent elsewhere). */
static void icmp_unreach_ping_to(struct harness *H, const char *from, const char *to,
                                 const char *pinger, const char *host, uint16_t id, uint8_t code,
                                 uint64_t ts)
{
    struct pb b;
    pb_init(&b);
    pb_pattern(&b, 8, 0);
    pb_icmp4(&b, 8, 0, (uint32_t)id << 16 | 1u);
    pb_ipv4(&b, ip4(pinger), ip4(host), PB_ICMP);
    pb_icmp4(&b, 3, code, 0);
    pb_ipv4(&b, ip4(from), ip4(to), PB_ICMP);
    pb_eth(&b, PB_ETH_IPV4);
    hn_feed(H, &b, ts);
}

static void icmp_unreach_ping(struct harness *H, const char *from, const char *pinger,
                              const char *host, uint16_t id, uint8_t code, uint64_t ts)
{
    icmp_unreach_ping_to(H, from, pinger, pinger, host, id, code, ts);
}

static void ping6(struct harness *H, const char *pinger, const char *host, uint16_t id, uint64_t ts)
{
    struct pb b;
    pb_init(&b);
    pb_pattern(&b, 8, 0);
    pb_icmp6(&b, 128, 0, (uint32_t)id << 16 | 1u);
    pb_ipv6(&b, pinger, host, PB_ICMPV6);
    pb_eth(&b, PB_ETH_IPV6);
    hn_feed(H, &b, ts);
}

/* An ARP frame through decode to the detectors, as the packet loop feeds it (no flow). */
static void arp_feed(struct harness *H, const struct pb *b, uint64_t ts)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.data = pb_data(b);
    p.caplen = p.wirelen = (uint32_t)pb_len(b);
    p.ts_ns = ts;
    p.linktype = 1;
    dec_packet(H->dec, &p);
    assert_true(p.flags & PKT_F_ARP);
    H->now = ts;
    dtr_feed_packet(H->h, NULL, 0, &p);
}

/* An ARP message over Ethernet: op 1 (request; to broadcast unless `unicast`) or 2 (reply,
 * from the sender to the target). Machines' MACs are 02:00:00:00:00:<last byte of their
 * address>. */
static void arp(struct harness *H, uint16_t op, const char *sender, const char *target,
                bool unicast, uint64_t ts)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, none[6] = {0};
    uint32_t s = ip4(sender), t = ip4(target);
    uint8_t smac[6] = {2, 0, 0, 0, 0, (uint8_t)s}, tmac[6] = {2, 0, 0, 0, 0, (uint8_t)t};
    struct pb b;
    pb_eth_arp(&b, op, smac, s, op == 2 ? tmac : none, t, op == 1 && !unicast ? bcast : tmac);
    arp_feed(H, &b, ts);
}

#define SYN PB_SYN
#define RST PB_RST
#define ACK PB_ACK
#define FIN PB_FIN
#define PSH PB_PSH
#define URG 0x20
#define SYNACK (PB_SYN | PB_ACK)
#define RSTACK (PB_RST | PB_ACK)

/* A SYN probe and the target's answer: 'R' closed (RST-ACK), 'O' open (SYN-ACK, then the
 * scanner's RST), '-' none. */
static void syn_probe(struct harness *H, const char *scanner, const char *target, uint16_t sport,
                      uint16_t port, char answer, uint64_t ts)
{
    tcp(H, scanner, target, sport, port, SYN, ts);
    if (answer == 'R') {
        tcp(H, target, scanner, port, sport, RSTACK, ts + MS);
    } else if (answer == 'O') {
        tcp(H, target, scanner, port, sport, SYNACK, ts + MS);
        tcp(H, scanner, target, sport, port, RST, ts + 2 * MS);
    }
}

static size_t count_sid(const struct harness *H, uint32_t sid)
{
    size_t n = 0;
    for (size_t i = 0; i < H->n; i++)
        n += H->al[i].sid == sid;
    return n;
}

/* A uint member of the evidence ("key":N); -1 when absent. Keys are unique in our evidence
 * except inside nested objects, which the tests do not ask about through this. */
static long long ev_num(const struct alert_rec *r, const char *key)
{
    char pat[80];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(r->json, pat);
    if (!p)
        return -1;
    return strtoll(p + strlen(pat), NULL, 10);
}

static bool ev_has(const struct alert_rec *r, const char *text)
{
    return strstr(r->json, text) != NULL;
}

static void dump(const struct harness *H)
{
    for (size_t i = 0; i < H->n; i++)
        print_message("alert %zu: sid %u %s -> %s dport %u proto %u %s\n", i, H->al[i].sid,
                      H->al[i].src, H->al[i].dst, H->al[i].dport, H->al[i].proto, H->al[i].json);
}

/* The end of a case that must raise nothing: finish, show what came if anything, free. */
static void hn_finish_none(struct harness *H)
{
    hn_finish(H);
    if (H->n)
        dump(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* --- vertical -------------------------------------------------------------------------- */

/* SYN scan of ports 1..30 with 5 open: nothing before the 10th distinct port, exactly one
 * alert at it, nothing more within the update interval. */
static void test_vertical_syn_scan_edge(void **state)
{
    (void)state;
    struct harness *H = hn_new_now();
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 30; port++) {
        syn_probe(H, "198.51.100.77", "192.168.10.80", 45678, port, port == 5 ? 'O' : 'R', t);
        t += 20 * MS;
        if (port == 9)
            assert_int_equal(H->n, 0);
        if (port == 10)
            assert_int_equal(H->n, 1);
    }
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_VERTICAL);
    assert_string_equal(a->src, "198.51.100.77");
    assert_string_equal(a->dst, "192.168.10.80");
    assert_int_equal(a->dport, 0);
    assert_int_equal(a->proto, 6);
    assert_false(a->update);
    assert_true(ev_has(a, "\"variant\":\"vertical\""));
    assert_true(ev_has(a, "\"threat\":\"T2\""));
    assert_true(ev_has(a, "\"scan_type\":\"syn\""));
    assert_true(ev_has(a, "\"detected_by\":\"trw\""));
    assert_true(ev_has(a, "\"open_ports\":[5]"));
    assert_true(ev_has(a, "\"ports_first\":[1,2,3,4,5,6,7,8,9,10]"));
    assert_int_equal(ev_num(a, "ports"), 10);
    assert_int_equal(ev_num(a, "probes"), 10);
    assert_true(ev_has(a, "\"ports_estimated\":false"));
    assert_int_equal(ev_num(a, "closed"), 8); /* ports 1-9 but 5; 10 not answered yet */
    assert_int_equal(ev_num(a, "open"), 1);
    assert_true(ev_has(a, "\"first_seen\":\"2024-04-23T00:00:00.000000+0000\"") ||
                ev_has(a, "\"first_seen\":\"2024-04-23T00:00:00"));
    hn_free(H);
}

/* min-ports is a setting: with 12, the 11th port does not alert, the 12th does. */
static void test_vertical_min_ports_setting(void **state)
{
    (void)state;
    const char *kv[] = {"min-ports=12", "report-delay=0"};
    struct harness *H = hn_new_cfg(600 * SEC, kv, 2);
    uint64_t t = T0;
    for (uint16_t port = 100; port < 111; port++, t += 10 * MS)
        syn_probe(H, "203.0.113.5", "192.168.1.2", 40000, port, 'R', t);
    assert_int_equal(H->n, 0);
    syn_probe(H, "203.0.113.5", "192.168.1.2", 40000, 111, 'R', t);
    assert_int_equal(H->n, 1);
    assert_int_equal(ev_num(&H->al[0], "ports"), 12);
    hn_free(H);
}

/* Repeated probes of the same few ports are not more ports. */
static void test_vertical_same_ports_repeated(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    for (int round = 0; round < 20; round++)
        for (uint16_t port = 1; port <= 9; port++, t += 10 * MS)
            syn_probe(H, "203.0.113.5", "192.168.1.2", (uint16_t)(40000 + round), port, 'R', t);
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* A filtered host answers nothing: the walk moves when the probes' flows time out, so the
 * scan is reported at the end of input (or the flow timeout), not before. */
static void test_vertical_unanswered(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 20; port++, t += 10 * MS)
        syn_probe(H, "203.0.113.9", "192.168.1.3", 50000, port, '-', t);
    assert_int_equal(H->n, 0);
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    assert_int_equal(H->al[0].sid, SID_VERTICAL);
    assert_int_equal(ev_num(&H->al[0], "unanswered"), 20);
    hn_free(H);
}

/* IPv6 works the same way. */
static void test_vertical_ipv6(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    for (uint16_t port = 20; port < 40; port++, t += 10 * MS) {
        tcp6(H, "2001:db8::77", "2001:db8:1::80", 41000, port, SYN, t);
        tcp6(H, "2001:db8:1::80", "2001:db8::77", port, 41000, RSTACK, t + MS);
    }
    hn_finish(H);
    assert_int_equal(H->n, 1);
    assert_string_equal(H->al[0].src, "2001:db8::77");
    assert_string_equal(H->al[0].dst, "2001:db8:1::80");
    assert_int_equal(H->al[0].sid, SID_VERTICAL);
    hn_free(H);
}

/* --- the walk -------------------------------------------------------------------------- */

/* A busy client: 200 connections to 40 hosts on 10 ports each of a few servers, one first
 * contact in five refused. Many hosts, many ports, some failures: no alert. */
static void test_busy_benign_client(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    int n = 0;
    char dst[32];
    for (int host = 1; host <= 40; host++) {
        snprintf(dst, sizeof dst, "10.1.0.%d", host);
        for (uint16_t port = 1; port <= 5; port++, t += 50 * MS) {
            bool fail = ++n % 5 == 0;
            uint16_t sport = (uint16_t)(30000 + n);
            tcp(H, "192.168.1.50", dst, sport, (uint16_t)(8000 + port), SYN, t);
            if (fail) {
                tcp(H, dst, "192.168.1.50", (uint16_t)(8000 + port), sport, RSTACK, t + MS);
            } else {
                tcp(H, dst, "192.168.1.50", (uint16_t)(8000 + port), sport, SYNACK, t + MS);
                tcp(H, "192.168.1.50", dst, sport, (uint16_t)(8000 + port), ACK, t + 2 * MS);
            }
        }
    }
    hn_finish_none(H);
}

/* After a run of successes the walk sits at its lower bound: 6 straight failures are not
 * enough (they would be from a fresh start), the 7th is. */
static void test_walk_lower_bound(void **state)
{
    (void)state;
    struct harness *H = hn_new_now();
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 20; port++, t += 10 * MS)
        syn_probe(H, "10.9.9.9", "10.0.0.1", 40000, port, 'O', t);
    for (uint16_t port = 21; port <= 26; port++, t += 10 * MS)
        syn_probe(H, "10.9.9.9", "10.0.0.1", 40000, port, 'R', t);
    assert_int_equal(H->n, 0);
    syn_probe(H, "10.9.9.9", "10.0.0.1", 40000, 27, 'R', t);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    hn_free(H);
}

/* --- horizontal, block ----------------------------------------------------------------- */

static void test_horizontal(void **state)
{
    (void)state;
    struct harness *H = hn_new_now();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 30; host++, t += 30 * MS) {
        snprintf(dst, sizeof dst, "192.168.20.%d", host);
        syn_probe(H, "203.0.113.200", dst, 60000, 445, host % 7 == 0 ? 'O' : 'R', t);
        if (host == 9)
            assert_int_equal(H->n, 0);
    }
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_HORIZONTAL);
    assert_string_equal(a->src, "203.0.113.200");
    assert_string_equal(a->dst, "192.168.20.1");
    assert_int_equal(a->dport, 445);
    assert_int_equal(ev_num(a, "hosts"), 10);
    assert_int_equal(ev_num(a, "port"), 445);
    assert_true(ev_has(a, "\"hosts_first\":[\"192.168.20.1\",\"192.168.20.2\""));
    assert_true(ev_has(a, "\"open_services\":[{\"host\":\"192.168.20.7\",\"port\":445,"
                          "\"proto\":\"tcp\"}]"));
    hn_free(H);
}

/* A horizontal sweep of hosts that do not exist: nothing answers; the report comes when the
 * flows end. */
static void test_horizontal_unanswered(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 15; host++, t += 30 * MS) {
        snprintf(dst, sizeof dst, "10.20.0.%d", host);
        syn_probe(H, "10.30.0.5", dst, 60000, 3389, '-', t);
    }
    assert_int_equal(H->n, 0);
    hn_finish(H);
    assert_int_equal(count_sid(H, SID_HORIZONTAL), 1);
    assert_int_equal(H->n, 1);
    hn_free(H);
}

/* --- host sweeps (pings) --------------------------------------------------------------- */

/* A ping sweep of 40 addresses, 10 of them up: the silent ones fail when their flows end, the
 * walk marks the pinger and one host-sweep report tells the whole sweep. */
static void test_sweep_ping(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 40; host++, t += 50 * MS) {
        snprintf(dst, sizeof dst, "192.168.30.%d", host);
        ping(H, "192.168.30.200", dst, (uint16_t)(0x100 + host), host <= 10, t);
    }
    assert_int_equal(H->n, 0); /* no failure yet: the silent pings are still open flows */
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_SWEEP);
    assert_string_equal(a->src, "192.168.30.200");
    assert_string_equal(a->dst, "192.168.30.1");
    assert_int_equal(a->proto, 1);
    assert_int_equal(a->dport, 0);
    assert_false(a->update);
    assert_true(ev_has(a, "\"variant\":\"sweep\""));
    assert_true(ev_has(a, "\"scan_type\":\"ping\""));
    assert_true(ev_has(a, "\"probes_by_type\":{\"ping\":40}"));
    assert_true(ev_has(a, "\"protocols\":[\"icmp\"]"));
    assert_int_equal(ev_num(a, "probes"), 40);
    assert_int_equal(ev_num(a, "open"), 10);
    assert_int_equal(ev_num(a, "unanswered"), 30);
    /* 40 hosts: past the exact count, an estimate within a few percent */
    assert_true(ev_num(a, "hosts") >= 36 && ev_num(a, "hosts") <= 44);
    assert_true(ev_has(a, "\"hosts_estimated\":true"));
    assert_int_equal(ev_num(a, "ports"), 0);
    assert_int_equal(ev_num(a, "port"), -1);
    assert_true(ev_has(a, "\"ports_first\":[]"));
    assert_true(ev_has(a, "\"open_services\":[{\"host\":\"192.168.30.1\",\"proto\":\"icmp\"},"
                          "{\"host\":\"192.168.30.2\",\"proto\":\"icmp\"}"));
    assert_true(ev_has(a, "\"scanner\":true"));
    hn_free(H);
}

/* The sweep's bar: min-hosts failures, and no more answers than failures. 9 silent of 10
 * nothing; 10 silent and 10 answering a sweep; 10 silent and 11 answering nothing. */
static void test_sweep_bar(void **state)
{
    (void)state;
    static const int cases[][2] = {{9, 1}, {10, 10}, {10, 11}};
    for (size_t c = 0; c < 3; c++) {
        struct harness *H = hn_new();
        uint64_t t = T0;
        char dst[32];
        int silent = cases[c][0], up = cases[c][1];
        for (int host = 1; host <= silent + up; host++, t += 20 * MS) {
            snprintf(dst, sizeof dst, "10.70.0.%d", host);
            ping(H, "10.71.0.1", dst, (uint16_t)host, host > silent, t);
        }
        hn_finish(H);
        if ((int)count_sid(H, SID_SWEEP) != (c == 1))
            dump(H);
        assert_int_equal(count_sid(H, SID_SWEEP), c == 1 ? 1 : 0);
        assert_int_equal(H->n, c == 1 ? 1 : 0);
        hn_free(H);
    }
}

/* Pings to a remote network answered by its router's host-unreachable errors: each error
 * quoting an echo request of the pinger, sent to the pinger, is a failure; one sent to another
 * address is not. Also timestamp and address-mask requests are pings. */
static void test_sweep_router_unreachable(void **state)
{
    (void)state;
    struct harness *H = hn_new_now();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 12; host++, t += 20 * MS) {
        snprintf(dst, sizeof dst, "10.9.0.%d", host);
        uint8_t type = host == 5 ? 13 : host == 6 ? 17 : 8;
        icmp4(H, "10.1.0.7", dst, type, 0, (uint16_t)host, t);
        icmp_unreach_ping(H, "10.9.0.254", "10.1.0.7", dst, (uint16_t)host, 1, t + MS);
        /* A second pinger whose pings all get their replies, after errors quoting them that
         * were sent to the first pinger: those say nothing about the second one. */
        icmp4(H, "10.1.0.8", dst, 8, 0, (uint16_t)(100 + host), t + 2 * MS);
        icmp_unreach_ping_to(H, "10.9.0.254", "10.1.0.7", "10.1.0.8", dst,
                             (uint16_t)(100 + host), 1, t + 3 * MS);
        icmp4(H, dst, "10.1.0.8", 0, 0, (uint16_t)(100 + host), t + 4 * MS);
    }
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1); /* at the 10th failure (min-hosts), the walk long before */
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_SWEEP);
    assert_string_equal(a->src, "10.1.0.7");
    assert_int_equal(ev_num(a, "filtered"), 10);
    assert_int_equal(ev_num(a, "hosts"), 10);
    hn_finish(H);
    /* the silent flows end without a second failure: their errors were counted */
    assert_int_equal(H->n, 1);
    hn_free(H);
}

/* IPv6 pings to 12 silent addresses are a sweep (ICMPv6); pings to multicast and broadcast
 * addresses are no probes. */
static void test_sweep_ipv6_and_multicast(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[64];
    for (int host = 1; host <= 12; host++, t += 20 * MS) {
        snprintf(dst, sizeof dst, "2001:db8:5::%x", host);
        ping6(H, "2001:db8:1::9", dst, (uint16_t)host, t);
    }
    ping6(H, "2001:db8:1::9", "ff02::1", 99, t);
    hn_finish(H);
    assert_int_equal(H->n, 1);
    assert_int_equal(H->al[0].sid, SID_SWEEP);
    assert_int_equal(H->al[0].proto, 58);
    assert_int_equal(ev_num(&H->al[0], "probes"), 12);
    hn_free(H);

    /* pings to the limited broadcast and to 15 multicast groups: no probes at all (15 pings
     * of each would be a sweep of 16 hosts) */
    H = hn_new();
    t = T0;
    for (int i = 0; i < 30; i++, t += 20 * MS) {
        if (i % 2)
            snprintf(dst, sizeof dst, "239.1.1.%d", i);
        else
            snprintf(dst, sizeof dst, "255.255.255.255");
        ping(H, "192.168.40.9", dst, (uint16_t)i, false, t);
    }
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* A monitoring server pinging 30 hosts every minute, two of them down, another with seven
 * down (none next to another: their pings fail 30 s later, after all the answers, and mark
 * the pinger) and a third with 14 of 30 down, and a user pinging one host with 50 separate
 * ping commands: none is a sweep (fewer failures than answers). */
static void test_ping_benign(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int round = 0; round < 5; round++) {
        for (int host = 1; host <= 30; host++, t += 10 * MS) {
            snprintf(dst, sizeof dst, "192.168.50.%d", host);
            ping(H, "192.168.50.250", dst, (uint16_t)(round * 100 + host), host % 15 != 0, t);
        }
        t += 60 * SEC;
    }
    for (int round = 0; round < 3; round++) {
        for (int host = 1; host <= 30; host++, t += 10 * MS) {
            snprintf(dst, sizeof dst, "192.168.51.%d", host);
            ping(H, "192.168.51.250", dst, (uint16_t)(round * 100 + host), host % 4 != 3, t);
            snprintf(dst, sizeof dst, "192.168.52.%d", host);
            ping(H, "192.168.52.250", dst, (uint16_t)(round * 100 + host), host > 14, t);
        }
        t += 60 * SEC;
    }
    for (int i = 0; i < 50; i++, t += SEC)
        ping(H, "192.168.50.77", "192.168.50.1", (uint16_t)(1000 + i), true, t);
    hn_finish_none(H);
}

static size_t count_first(const struct harness *H, uint32_t sid, const char *src)
{
    size_t n = 0;
    for (size_t i = 0; i < H->n; i++)
        n += H->al[i].sid == sid && !H->al[i].update && !strcmp(H->al[i].src, src);
    return n;
}

/* A monitoring server pinging 30 hosts every minute and another checking their port 3389:
 * ten rounds with every host up, then fifteen with 20 of them switched off for the night. Each
 * night round fails like a sweep's (20 silent, 10 answers), but the hosts are the ones both
 * sources probed in their previous window: no report. With monitor-share 0 the same traffic
 * is a host sweep and a horizontal scan. */
static void test_monitor_hosts_down(void **state)
{
    (void)state;
    for (int off = 0; off < 2; off++) {
        struct harness *H = hn_new_monitor(off);
        uint64_t t = T0;
        char dst[32];
        for (int round = 0; round < 25; round++) {
            for (int host = 1; host <= 30; host++, t += 10 * MS) {
                bool up = round < 10 || host % 3 == 0;
                snprintf(dst, sizeof dst, "192.168.53.%d", host);
                ping(H, "192.168.53.250", dst, (uint16_t)(round * 100 + host), up, t);
                syn_probe(H, "192.168.53.251", dst, (uint16_t)(20000 + round * 100 + host), 3389,
                          up ? 'O' : '-', t + 2 * MS);
            }
            t += 60 * SEC;
        }
        hn_finish(H);
        if (H->n != (off ? 4u : 0u))
            dump(H);
        if (!off) {
            assert_int_equal(H->n, 0);
        } else {
            /* each: the first report in the first night round, the closing update at the end */
            assert_int_equal(H->n, 4);
            assert_int_equal(count_first(H, SID_SWEEP, "192.168.53.250"), 1);
            assert_int_equal(count_first(H, SID_HORIZONTAL, "192.168.53.251"), 1);
            for (size_t i = 0; i < H->n; i++)
                assert_true(!strcmp(H->al[i].src, "192.168.53.250") ||
                            !strcmp(H->al[i].src, "192.168.53.251"));
            assert_int_equal(ev_num(&H->al[0], "unanswered"), 20);
            assert_int_equal(ev_num(&H->al[0], "open"), 10);
        }
        hn_free(H);
    }
}

/* A source's rounds of pings to hosts hosts[0..n) of net ("10.80.2" and the like), `up` of
 * them answering (the first ones), 10 ms apart, from t; returns the time after the round. */
static uint64_t ping_round(struct harness *H, const char *src, const char *net, int first, int n,
                           int up, uint16_t id0, uint64_t t)
{
    char dst[32];
    for (int i = 0; i < n; i++, t += 10 * MS) {
        snprintf(dst, sizeof dst, "%s.%d", net, first + i);
        ping(H, src, dst, (uint16_t)(id0 + i), i < up, t);
    }
    return t;
}

/* Sources seen for two windows, then in a third (min-hosts 6 and monitor-share 0.7, so that
 * the counts stay exact and the edge falls on whole hosts). Their pings were answered by 7
 * hosts in both (answers are remembered from the second window on). In the third, 10.80.0.2
 * pings those 7 again and 3 new addresses, all silent: 7 of 10 is the share (watching, no
 * report); 10.80.0.3 the 7 and 4 new ones: below it (a sweep). 10.80.0.5 sends SYNs to port 445
 * of the 7 and of 3 new addresses, all silent: the hosts are known, the port is not (a
 * horizontal scan: discovery, then a scan of what it found). 10.80.0.1, an ordinary client of
 * 12 hosts, sweeps 40 new addresses, 5 up (a sweep). */
static void test_monitor_share_edge(void **state)
{
    (void)state;
    struct harness *H =
        hn_new_cfg(600 * SEC, (const char *const[]){"min-hosts=6", "monitor-share=0.7"}, 2);
    uint64_t t = T0;
    static const char *const src[] = {"10.80.0.2", "10.80.0.3", "10.80.0.5"};
    static const char *const net[] = {"10.81.2", "10.82.2", "10.83.2"};
    for (int w = 0; w < 2; w++, t += 6 * 60 * SEC) {
        t = ping_round(H, "10.80.0.1", "10.80.1", 1, 12, 12, (uint16_t)(w * 100), t);
        for (int c = 0; c < 3; c++)
            t = ping_round(H, src[c], net[c], 1, 7, 7, (uint16_t)(w * 100), t);
    }
    t = ping_round(H, "10.80.0.1", "10.80.3", 1, 40, 0, 300, t);
    ping(H, "10.80.0.1", "10.80.3.41", 400, true, t); /* five answers among 41 */
    ping(H, "10.80.0.1", "10.80.3.42", 401, true, t);
    ping(H, "10.80.0.1", "10.80.3.43", 402, true, t);
    ping(H, "10.80.0.1", "10.80.3.44", 403, true, t);
    ping(H, "10.80.0.1", "10.80.3.45", 404, true, t += 10 * MS);
    t = ping_round(H, src[0], net[0], 1, 10, 0, 500, t);
    t = ping_round(H, src[1], net[1], 1, 11, 0, 500, t);
    char dst[32];
    for (int host = 1; host <= 10; host++, t += 10 * MS) {
        snprintf(dst, sizeof dst, "%s.%d", net[2], host);
        syn_probe(H, src[2], dst, (uint16_t)(30000 + host), 445, '-', t);
    }
    hn_finish(H);
    if (H->n != 3)
        dump(H);
    assert_int_equal(H->n, 3);
    assert_int_equal(count_first(H, SID_SWEEP, "10.80.0.1"), 1);
    assert_int_equal(count_first(H, SID_SWEEP, "10.80.0.3"), 1);
    assert_int_equal(count_first(H, SID_HORIZONTAL, "10.80.0.5"), 1);
    for (size_t i = 0; i < H->n; i++) {
        if (!strcmp(H->al[i].src, "10.80.0.3"))
            assert_int_equal(ev_num(&H->al[i], "hosts"), 11);
        if (!strcmp(H->al[i].src, "10.80.0.5"))
            assert_int_equal(H->al[i].dport, 445);
    }
    hn_free(H);
}

/* A sweep reported in its window keeps its updates when the source goes on to hosts that
 * answered it before: 60 hosts pinged in two windows (all up), then in the third 12 new
 * addresses, all silent (a sweep, reported), the 60 again right after the report, all silent,
 * and one more new address after the update interval. 60 of 73 hosts known would be
 * watching, but the activity was reported already: its update comes. */
static void test_monitor_reported_stays(void **state)
{
    (void)state;
    struct harness *H = hn_new_cfg(60 * SEC, NULL, 0);
    uint64_t t = T0;
    for (int w = 0; w < 2; w++, t += 6 * 60 * SEC)
        t = ping_round(H, "10.81.0.1", "10.81.1", 1, 60, 60, (uint16_t)(w * 100), t);
    t = ping_round(H, "10.81.0.1", "10.81.2", 1, 12, 0, 300, t);
    t += 70 * SEC; /* the 12 failed at 30 s; the sweep is reported at the next ticks */
    ping(H, "10.81.9.9", "10.81.9.8", 1, true, t);
    ping(H, "10.81.9.9", "10.81.9.8", 2, true, t + 2 * SEC);
    assert_int_equal(H->n, 1);
    t += 3 * SEC;
    t = ping_round(H, "10.81.0.1", "10.81.1", 1, 60, 0, 400, t);
    t += 70 * SEC; /* the 60 failed (at their pings' time) within the update interval */
    ping(H, "10.81.0.1", "10.81.2.100", 600, false, t);
    hn_finish(H);
    if (H->n != 2)
        dump(H);
    assert_int_equal(H->n, 2);
    assert_int_equal(H->al[0].sid, SID_SWEEP);
    assert_false(H->al[0].update);
    assert_int_equal(H->al[1].sid, SID_SWEEP);
    assert_true(H->al[1].update);
    /* 73 hosts, an estimate past 16 (the sketch's few per cent) */
    assert_in_range(ev_num(&H->al[1], "hosts"), 71, 75);
    hn_free(H);
}

/* What a source remembers tells a monitor only while it is not too full: a source whose pings
 * 150 or 300 hosts answered in two windows, then four in five silent in the third, is
 * watching them at 150 and a sweep at 300 (its fold of answers says "answered before" of too
 * many addresses). */
static void test_monitor_max_hosts(void **state)
{
    (void)state;
    static const int n_hosts[] = {150, 300};
    for (int c = 0; c < 2; c++) {
        struct harness *H = hn_new();
        uint64_t t = T0;
        char dst[32];
        for (int round = 0; round < 3; round++) {
            for (int host = 0; host < n_hosts[c]; host++, t += 10 * MS) {
                snprintf(dst, sizeof dst, "10.90.%d.%d", host / 200, 1 + host % 200);
                ping(H, "10.90.9.9", dst, (uint16_t)(round * 1000 + host),
                     round < 2 || host % 5 == 0, t);
            }
            t += 6 * 60 * SEC;
        }
        hn_finish(H);
        if (H->n != (size_t)c)
            dump(H);
        assert_int_equal(H->n, c);
        assert_int_equal(count_first(H, SID_SWEEP, "10.90.9.9"), c);
        hn_free(H);
    }
}

/* The same for ports: a source whose pings 20 hosts answered in two windows, and which
 * connected to 200 ports of one of them (1000-1199), then sends SYNs to port 3389 of the 20,
 * all silent. Its fold of ports probed before is too full to tell that 3389 is new (its bit
 * is set by one of the 200): a horizontal scan all the same. */
static void test_monitor_max_ports(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int w = 0; w < 2; w++, t += 6 * 60 * SEC) {
        t = ping_round(H, "10.91.9.9", "10.91.0", 1, 20, 20, (uint16_t)(w * 100), t);
        for (int port = 0; port < 200; port++, t += 10 * MS)
            syn_probe(H, "10.91.9.9", "10.91.0.1", (uint16_t)(40000 + w * 1000 + port),
                      (uint16_t)(1000 + port), 'O', t);
    }
    for (int host = 1; host <= 20; host++, t += 10 * MS) {
        snprintf(dst, sizeof dst, "10.91.0.%d", host);
        syn_probe(H, "10.91.9.9", dst, (uint16_t)(50000 + host), 3389, '-', t);
    }
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    assert_int_equal(count_first(H, SID_HORIZONTAL, "10.91.9.9"), 1);
    hn_free(H);
}

/* A monitor whose round is longer than the window (30 hosts, one every 20 s: 10 minutes a
 * round), 40 minutes with every host up, then an hour with 20 down: each window holds part of
 * a round, all of it hosts that answered before: no report (with monitor-share 0, reports).
 * Then a TCP checker through that night and into a day on which 12 hosts are added (all up):
 * its windows kept ending while it was watching (the new hosts' answers are remembered as
 * they come), so nothing is reported in the day either; had its window stayed open since the
 * night, with the night's failures, 30 known hosts of 42 would be a horizontal scan. */
static void test_monitor_long_rounds(void **state)
{
    (void)state;
    for (int off = 0; off < 2; off++) {
        struct harness *H = hn_new_monitor(off);
        uint64_t t = T0;
        char dst[32];
        for (int step = 0; step < 300; step++, t += 20 * SEC) {
            int host = step % 30;
            bool night = step >= 120;
            snprintf(dst, sizeof dst, "192.168.54.%d", 1 + host);
            ping(H, "192.168.54.250", dst, (uint16_t)step, !night || host % 3 == 0, t);
        }
        hn_finish(H);
        if (off ? H->n == 0 : H->n != 0)
            dump(H);
        if (off)
            assert_true(count_first(H, SID_SWEEP, "192.168.54.250") >= 1);
        else
            assert_int_equal(H->n, 0);
        hn_free(H);
    }

    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int round = 0; round < 200; round++, t += 60 * SEC) {
        int n = round < 150 ? 30 : 42;
        for (int host = 1; host <= n; host++) {
            bool up = round < 10 || round >= 150 || host % 3 == 0;
            snprintf(dst, sizeof dst, "192.168.55.%d", host);
            syn_probe(H, "192.168.55.251", dst, (uint16_t)(20000 + (round * 64 + host) % 40000),
                      3389, up ? 'O' : '-', t + (uint64_t)host * 10 * MS);
        }
    }
    hn_finish_none(H);
}

/* A TCP checker started at night (20 of its 30 hosts down): reported (it has no past), with
 * updates while the night goes on. In the morning every check succeeds: after a window without
 * a failure the activity ends, the hosts' answers are remembered, and the next night it is
 * watching them: nothing after the first morning. */
static void test_monitor_started_at_night(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0, morning = 0;
    char dst[32];
    for (int round = 0; round < 300; round++, t += 60 * SEC) {
        bool night = round < 60 || round >= 240;
        if (round == 60)
            morning = t;
        for (int host = 1; host <= 30; host++) {
            bool up = !night || host % 3 == 0;
            snprintf(dst, sizeof dst, "192.168.56.%d", host);
            syn_probe(H, "192.168.56.251", dst, (uint16_t)(20000 + (round * 32 + host) % 40000),
                      3389, up ? 'O' : '-', t + (uint64_t)host * 10 * MS);
        }
    }
    hn_finish(H);
    assert_int_equal(count_first(H, SID_HORIZONTAL, "192.168.56.251"), 1);
    size_t at_night = 0;
    for (size_t i = 0; i < H->n; i++) {
        /* an update may still come in the morning's first window (the night's last figures) */
        assert_true(H->al[i].ts_ns < morning + 5 * 60 * SEC);
        at_night++;
    }
    /* the first report (at 00:02, when the first silent SYNs have timed out), an update each
     * 10 minutes after it in the hour-long night (00:12 to 00:52), and one at 01:02, in the
     * morning's first window */
    assert_int_equal(at_night, 7);
    hn_free(H);
}

/* A scanner padding its sweep: each window it pings again every address it probed before
 * (silent ones cost it nothing) and a fifth as many new ones, 2 in 10 answering. The
 * addresses it goes back to never answered it: the padding changes nothing, it is reported
 * in the same windows as with monitor-share 0. */
static void test_monitor_padding(void **state)
{
    (void)state;
    size_t first[2] = {0, 0};
    for (int off = 0; off < 2; off++) {
        struct harness *H = hn_new_monitor(off);
        uint64_t t = T0;
        char dst[32];
        int probed = 40;
        for (int w = 0; w < 8; w++, t += 6 * 60 * SEC) {
            for (int a = 1; a <= probed && a <= 250; a++, t += 10 * MS) {
                snprintf(dst, sizeof dst, "10.95.0.%d", a);
                ping(H, "10.95.9.9", dst, (uint16_t)(w * 300 + a), a % 10 < 2, t);
            }
            probed += probed / 5;
        }
        hn_finish(H);
        first[off] = count_first(H, SID_SWEEP, "10.95.9.9");
        hn_free(H);
    }
    assert_int_equal(first[0], first[1]);
    assert_int_equal(first[0], 8); /* one sweep each window */
}

/* nmap -sn against another network: echo and timestamp requests, a SYN to 443 and an ACK to
 * 80 for each of 20 addresses, 4 of them up. Mostly pings: a host sweep, over ICMP and TCP;
 * its update keeps the sid though SYN probes to one port dominate later. */
static void test_sweep_nmap_style(void **state)
{
    (void)state;
    struct harness *H = hn_new_cfg(60 * SEC, (const char *const[]){"report-delay=0"}, 1);
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 20; host++, t += 30 * MS) {
        snprintf(dst, sizeof dst, "203.0.113.%d", host);
        bool up = host % 5 == 0;
        ping(H, "192.168.60.5", dst, (uint16_t)host, up, t);
        icmp4(H, "192.168.60.5", dst, 13, 0, (uint16_t)(500 + host), t + MS);
        if (up)
            icmp4(H, dst, "192.168.60.5", 14, 0, (uint16_t)(500 + host), t + 2 * MS);
        syn_probe(H, "192.168.60.5", dst, 41000, 443, up ? 'R' : '-', t + 3 * MS);
        tcp(H, "192.168.60.5", dst, 41000, 80, ACK, t + 4 * MS);
        if (up)
            tcp(H, dst, "192.168.60.5", 80, 41000, RST, t + 5 * MS);
    }
    hn_finish(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_SWEEP);
    assert_int_equal(a->proto, 1); /* a sweep is ICMP, though it sent TCP probes too */
    assert_true(ev_has(a, "\"protocols\":[\"tcp\",\"icmp\"]"));
    assert_true(ev_has(a, "\"scan_type\":\"ping\""));
    assert_int_equal(ev_num(a, "ports"), 2);
    assert_true(ev_has(a, "\"ports_first\":[443,80]"));
    /* SYNs to 443 of 60 more addresses within the update interval, then one more after it:
     * the update is still the sweep's, though SYN probes are now the most */
    t += 10 * SEC;
    for (int host = 21; host <= 80; host++, t += 30 * MS) {
        snprintf(dst, sizeof dst, "203.0.113.%d", host);
        syn_probe(H, "192.168.60.5", dst, 41000, 443, 'R', t);
    }
    assert_int_equal(H->n, 1);
    syn_probe(H, "192.168.60.5", "203.0.113.81", 41000, 443, 'R', T0 + 70 * SEC);
    hn_finish(H);
    if (H->n != 2)
        dump(H);
    assert_int_equal(H->n, 2);
    assert_int_equal(H->al[1].sid, SID_SWEEP);
    assert_true(H->al[1].update);
    assert_true(ev_has(&H->al[1], "\"scan_type\":\"syn\""));
    hn_free(H);
}

/* Each host pinged, then its port 445 tried, none answering: as many SYNs as pings, so a
 * horizontal scan of port 445 (the port and dest_port are 445, though a ping came first). */
static void test_horizontal_with_pings(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 12; host++, t += 30 * MS) {
        snprintf(dst, sizeof dst, "10.44.0.%d", host);
        ping(H, "10.45.0.3", dst, (uint16_t)host, false, t);
        syn_probe(H, "10.45.0.3", dst, 50000, 445, '-', t + 5 * MS);
    }
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_HORIZONTAL);
    assert_int_equal(a->dport, 445);
    assert_int_equal(a->proto, 6);
    assert_int_equal(ev_num(a, "port"), 445);
    assert_int_equal(ev_num(a, "ports"), 1);
    assert_true(ev_has(a, "\"ports_first\":[445]"));
    assert_true(ev_has(a, "\"probes_by_type\":{\"syn\":12,\"ping\":12}"));
    hn_free(H);
}

/* A ping is no port: a host pinged and 9 of its ports refused is not a vertical scan; the
 * tenth port is, and the report says the host answered the ping. */
static void test_vertical_ping_not_a_port(void **state)
{
    (void)state;
    struct harness *H = hn_new_now();
    uint64_t t = T0;
    ping(H, "198.51.100.66", "192.168.70.10", 7, true, t);
    for (uint16_t port = 1; port <= 9; port++)
        syn_probe(H, "198.51.100.66", "192.168.70.10", 40000, port, 'R', t += 20 * MS);
    assert_int_equal(H->n, 0);
    syn_probe(H, "198.51.100.66", "192.168.70.10", 40000, 10, 'R', t += 20 * MS);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_VERTICAL);
    assert_int_equal(ev_num(a, "ports"), 10);
    assert_true(ev_has(a, "\"ping_answered\":true"));
    assert_true(ev_has(a, "\"ports_first\":[1,2,3,4,5,6,7,8,9,10]"));
    assert_int_equal(a->proto, 6); /* the ping before a TCP scan does not make it mixed */
    assert_true(ev_has(a, "\"protocols\":[\"tcp\",\"icmp\"]"));
    hn_free(H);
}

/* --- ARP sweeps ------------------------------------------------------------------------ */

/* A machine asking ARP for 100 addresses of its segment, 10 of which answer: one ARP-sweep
 * report when it is quiet, naming the machine, its MAC and what answered. */
static void test_arp_sweep(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 100; host++, t += 5 * MS) {
        snprintf(dst, sizeof dst, "192.168.1.%d", host);
        arp(H, 1, "192.168.1.166", dst, false, t);
        if (host % 10 == 0)
            arp(H, 2, dst, "192.168.1.166", false, t + MS);
    }
    assert_int_equal(H->n, 0); /* held until the sweep is quiet */
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_ARP_SWEEP);
    assert_string_equal(a->src, "192.168.1.166");
    assert_string_equal(a->dst, "192.168.1.1");
    assert_false(a->update);
    assert_true(ev_has(a, "\"variant\":\"arp_sweep\""));
    assert_true(ev_has(a, "\"scanner_mac\":\"02:00:00:00:00:a6\""));
    assert_true(ev_has(a, "\"scan_type\":\"arp\""));
    assert_int_equal(ev_num(a, "requests"), 100);
    assert_true(ev_num(a, "hosts") >= 95 && ev_num(a, "hosts") <= 105);
    assert_int_equal(ev_num(a, "answered"), 10);
    assert_true(ev_has(a, "\"answered_first\":[\"192.168.1.10\",\"192.168.1.20\""));
    assert_true(ev_has(a, "\"hosts_first\":[\"192.168.1.1\",\"192.168.1.2\""));
    hn_free(H);
}

/* The edge: 31 addresses nothing, the 32nd an alert (report-delay 0); 16 of 32 answered is
 * still a sweep, 17 is not. */
static void test_arp_edges(void **state)
{
    (void)state;
    for (int answered = 16; answered <= 17; answered++) {
        struct harness *H = hn_new_now();
        uint64_t t = T0;
        char dst[32];
        for (int host = 1; host <= 32; host++, t += 5 * MS) {
            snprintf(dst, sizeof dst, "10.5.0.%d", host);
            arp(H, 1, "10.5.0.200", dst, false, t);
            if (host <= answered)
                arp(H, 2, dst, "10.5.0.200", false, t + MS);
            if (host == 31)
                assert_int_equal(H->n, 0);
        }
        assert_int_equal(count_sid(H, SID_ARP_SWEEP), answered == 16 ? 1 : 0);
        hn_finish(H);
        hn_free(H);
    }
}

/* Not sweeps: a router asking for 40 busy hosts (each answers), RFC 5227 probes and
 * announcements, unicast re-validations, a PC asking for 31 addresses, and 20 + 20 + 20
 * addresses more than a window apart. */
static void test_arp_benign(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 40; host++, t += 10 * MS) {
        snprintf(dst, sizeof dst, "192.168.2.%d", host);
        arp(H, 1, "192.168.2.254", dst, false, t);
        arp(H, 2, dst, "192.168.2.254", false, t + MS);
        arp(H, 1, "0.0.0.0", dst, false, t + 2 * MS);      /* probe */
        arp(H, 1, dst, dst, false, t + 3 * MS);            /* announcement */
        arp(H, 1, "192.168.2.100", dst, true, t + 4 * MS); /* re-validation */
    }
    for (int host = 1; host <= 31; host++, t += 10 * MS) {
        snprintf(dst, sizeof dst, "192.168.2.%d", 100 + host);
        arp(H, 1, "192.168.2.77", dst, false, t);
    }
    for (int round = 0; round < 3; round++, t += 70 * SEC)
        for (int host = 1; host <= 20; host++) {
            snprintf(dst, sizeof dst, "192.168.3.%d", round * 20 + host);
            arp(H, 1, "192.168.3.9", dst, false, t + (uint64_t)host * 10 * MS);
        }
    hn_finish_none(H);
}

/* A sweeper that sends itself 200 replies from addresses it never asked for (60 asked), and
 * one that changes its sender address with every request: both still an ARP sweep. */
static void test_arp_evasions(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32], src[32];
    for (int host = 1; host <= 60; host++, t += 5 * MS) {
        snprintf(dst, sizeof dst, "10.7.0.%d", host);
        arp(H, 1, "10.7.0.200", dst, false, t);
    }
    for (int i = 0; i < 200; i++, t += MS) {
        snprintf(dst, sizeof dst, "10.99.%d.%d", i / 100, i % 100 + 1);
        arp(H, 2, dst, "10.7.0.200", false, t);
    }
    hn_finish(H);
    /* past the exact values the check is by a sketch bit: a few forged ones pass (11 here) */
    assert_int_equal(count_sid(H, SID_ARP_SWEEP), 1);
    assert_true(ev_num(&H->al[0], "answered") < 20);
    hn_free(H);

    /* one MAC (02:..:c8; arp() would derive it from each sender address), another sender
     * address each time */
    H = hn_new();
    t = T0;
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 0xc8},
                         bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t none[6] = {0};
    for (int host = 1; host <= 40; host++, t += 5 * MS) {
        snprintf(src, sizeof src, "10.8.1.%d", host);
        snprintf(dst, sizeof dst, "10.8.0.%d", host);
        struct pb b;
        pb_eth_arp(&b, 1, mac, ip4(src), none, ip4(dst), bcast);
        arp_feed(H, &b, t);
    }
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(count_sid(H, SID_ARP_SWEEP), 1);
    struct alert_rec *a = &H->al[0];
    assert_string_equal(a->src, "10.8.1.40"); /* the latest request's sender */
    assert_true(ev_has(a, "\"scanner_addresses\":[\"10.8.1.1\",\"10.8.1.2\",\"10.8.1.3\","
                          "\"10.8.1.4\"],\"scanner_addresses_more\":true"));
    hn_free(H);
}

/* A sensor that sees only broadcasts: no reply is in sight. 21 PCs ask for their gateway (so
 * they are up), then a server asks for the 21 and 19 unknown addresses, 5 ms apart: 21 known
 * alive of 40 is above arp-max-answered (half), no sweep; 20 would be a sweep. The same
 * requests are a sweep with arp-alive 0, or from 30 min + 1 ms after the PCs' ARP (the
 * knowledge ran out), unless the PCs sent ARP again meanwhile. At the edge: the request for
 * the 21st PC 30 min exactly after its ARP counts it (no sweep), 1 ns later not (a sweep). */
static void test_arp_alive(void **state)
{
    (void)state;
    static const struct {
        const char *setting;
        uint64_t delay, again; /* the requests' start; the PCs' second ARP (0: none) */
        size_t alerts;
    } cases[] = {{NULL, 60 * SEC, 0, 0},
                 {"arp-alive=0", 60 * SEC, 0, 1},
                 {NULL, 1800 * SEC + MS, 0, 1},
                 {NULL, 1800 * SEC + MS, 1000 * SEC, 0},
                 {NULL, 1800 * SEC - 20 * 5 * MS, 0, 0},
                 {NULL, 1800 * SEC - 20 * 5 * MS + 1, 0, 1}};
    for (size_t c = 0; c < MM_ARRAY_LEN(cases); c++) {
        struct harness *H = cases[c].setting
                                ? hn_new_cfg(600 * SEC, (const char *const[]){cases[c].setting}, 1)
                                : hn_new();
        uint64_t t = T0;
        char dst[32];
        for (int round = 0; round < (cases[c].again ? 2 : 1); round++)
            for (int host = 1; host <= 21; host++) {
                snprintf(dst, sizeof dst, "10.11.0.%d", host);
                arp(H, 1, dst, "10.11.0.254", false, round ? t + cases[c].again : t);
            }
        t += cases[c].delay;
        for (int host = 1; host <= 40; host++, t += 5 * MS) {
            snprintf(dst, sizeof dst, "10.11.0.%d", host);
            arp(H, 1, "10.11.0.250", dst, false, t);
        }
        hn_finish(H);
        if (H->n != cases[c].alerts)
            dump(H);
        assert_int_equal(H->n, cases[c].alerts);
        if (H->n) {
            assert_int_equal(H->al[0].sid, SID_ARP_SWEEP);
            assert_string_equal(H->al[0].src, "10.11.0.250");
            long long alive = c == 5 ? 20 : 0;
            assert_int_equal(ev_num(&H->al[0], "answered"), alive);
            assert_int_equal(ev_num(&H->al[0], "known_alive"), alive);
        }
        hn_free(H);
    }

    /* Known alive and answered together: 12 of 40 addresses up by their own ARP, 8 others
     * answer the sweeper, 2 of the 12 answer it too: 20 answered, 12 known alive (a sweep). */
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 12; host++) {
        snprintf(dst, sizeof dst, "10.12.0.%d", host);
        arp(H, 1, dst, "10.12.0.254", false, t);
    }
    t += SEC;
    for (int host = 1; host <= 40; host++, t += 5 * MS) {
        snprintf(dst, sizeof dst, "10.12.0.%d", host);
        arp(H, 1, "10.12.0.250", dst, false, t);
        if (host <= 2 || (host > 12 && host <= 20))
            arp(H, 2, dst, "10.12.0.250", false, t + MS);
    }
    hn_finish(H);
    assert_int_equal(H->n, 1);
    assert_int_equal(ev_num(&H->al[0], "answered"), 20);
    assert_int_equal(ev_num(&H->al[0], "known_alive"), 12);
    assert_int_equal(ev_num(&H->al[0], "unanswered"), 20);
    hn_free(H);
}

/* A sweeper that first sends ARP under the addresses it will ask for: requests from its own
 * MAC (another sender address each time), or replies to an address nobody has whose ARP
 * sender MAC is made up but whose Ethernet source is its own. Neither proves those machines
 * up: both are still a sweep. */
static void test_arp_alive_own_mac(void **state)
{
    (void)state;
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 0xfa}, made_up[6] = {2, 0, 0, 0, 0x77, 0x77},
                         nobody[6] = {2, 0, 0, 0, 0x66, 0x66},
                         bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, none[6] = {0};
    for (int kind = 0; kind < 2; kind++) {
        struct harness *H = hn_new();
        uint64_t t = T0;
        char src[32], dst[32];
        for (int host = 1; host <= 40; host++, t += MS) {
            snprintf(src, sizeof src, "10.13.0.%d", host);
            struct pb b;
            if (kind == 0) {
                pb_eth_arp(&b, 1, mac, ip4(src), none, ip4("10.13.0.254"), bcast);
            } else {
                struct pb r;
                pb_eth_arp(&r, 2, made_up, ip4(src), nobody, ip4("10.13.0.253"), nobody);
                pb_init(&b); /* the same frame from the sweeper's own Ethernet source */
                uint8_t *f = pb_push(&b, pb_len(&r));
                memcpy(f, pb_data(&r), pb_len(&r));
                memcpy(f + 6, mac, 6);
            }
            arp_feed(H, &b, t);
        }
        t += 2 * 60 * SEC; /* the next ARP window */
        for (int host = 1; host <= 40; host++, t += 5 * MS) {
            snprintf(dst, sizeof dst, "10.13.0.%d", host);
            struct pb b;
            pb_eth_arp(&b, 1, mac, ip4("10.13.0.250"), none, ip4(dst), bcast);
            arp_feed(H, &b, t);
        }
        hn_finish(H);
        if (H->n != 1)
            dump(H);
        assert_int_equal(H->n, 1);
        assert_int_equal(H->al[0].sid, SID_ARP_SWEEP);
        assert_int_equal(ev_num(&H->al[0], "known_alive"), 0);
        hn_free(H);
    }
}

/* The membership test the ARP answers go through: exact while every value is exact (no
 * false "yes" at all), then never a false "no" and few false "yes". */
static void test_distinct_may_hold(void **state)
{
    (void)state;
    struct dtr_distinct c;
    memset(&c, 0, sizeof c);
    for (uint32_t v = 1; v <= 5; v++)
        dtr_distinct_add(&c, v * 7919u);
    for (uint32_t v = 1; v <= 5; v++)
        assert_true(dtr_distinct_may_hold(&c, v * 7919u));
    for (uint32_t v = 1000; v < 3000; v++)
        assert_false(dtr_distinct_may_hold(&c, v * 104729u));
    for (uint32_t v = 6; v <= 100; v++)
        dtr_distinct_add(&c, v * 7919u);
    for (uint32_t v = 1; v <= 100; v++)
        assert_true(dtr_distinct_may_hold(&c, v * 7919u));
    unsigned yes = 0;
    for (uint32_t v = 1000; v < 3000; v++)
        yes += dtr_distinct_may_hold(&c, v * 104729u);
    assert_true(yes < 2000 / 5); /* about 100 bits of 1024 set: some 200 */
}

/* Answers that come after the threshold was crossed, while the report is held: a machine
 * whose addresses mostly answer is no sweep after all. */
static void test_arp_answers_after_crossing(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 40; host++, t += 5 * MS) {
        snprintf(dst, sizeof dst, "10.6.0.%d", host);
        arp(H, 1, "10.6.0.200", dst, false, t);
    }
    for (int host = 1; host <= 30; host++, t += MS) {
        snprintf(dst, sizeof dst, "10.6.0.%d", host);
        arp(H, 2, dst, "10.6.0.200", false, t);
    }
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

static void block_port_major(struct harness *H)
{
    uint64_t t = T0;
    char dst[32];
    for (uint16_t port = 1; port <= 12; port++)
        for (int host = 1; host <= 12; host++, t += 5 * MS) {
            snprintf(dst, sizeof dst, "172.16.5.%d", host);
            syn_probe(H, "172.16.9.9", dst, 61000, port, 'R', t);
        }
    hn_finish(H);
}

/* Ports of many hosts, port by port. Reported at once, it is first a horizontal scan, then
 * the block scan; held until the scan is over, one block scan. */
static void test_block_port_major(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    block_port_major(H);
    assert_int_equal(H->n, 1);
    assert_int_equal(H->al[0].sid, SID_BLOCK);
    assert_int_equal(ev_num(&H->al[0], "hosts"), 12);
    assert_int_equal(ev_num(&H->al[0], "ports"), 12);
    assert_int_equal(ev_num(&H->al[0], "probes"), 144);
    hn_free(H);

    H = hn_new_now();
    block_port_major(H);
    if (H->n != 2)
        dump(H);
    assert_int_equal(H->n, 2);
    assert_int_equal(H->al[0].sid, SID_HORIZONTAL);
    assert_int_equal(H->al[1].sid, SID_BLOCK);
    assert_string_equal(H->al[1].src, "172.16.9.9");
    assert_string_equal(H->al[1].dst, "172.16.5.1");
    assert_int_equal(H->al[1].dport, 0);
    assert_int_equal(ev_num(&H->al[1], "hosts"), 12);
    assert_int_equal(ev_num(&H->al[1], "ports"), 10);
    hn_free(H);
}

static void block_host_major(struct harness *H, uint64_t per_host)
{
    uint64_t t = T0;
    char dst[32];
    for (int host = 1; host <= 14; host++, t += per_host)
        for (uint16_t port = 1; port <= 12; port++) {
            snprintf(dst, sizeof dst, "172.16.5.%d", host);
            syn_probe(H, "172.16.9.9", dst, 61000, port, 'R', t + port * 5 * MS);
        }
    hn_finish(H);
}

/* Host by host. Reported at once: each fully scanned host is a vertical scan until the
 * source reaches min-hosts; then the block report takes over and later hosts add no
 * vertical alerts. Held: the vertical scans of hosts done (quiet) before the block threshold
 * are reported; a fast sweep is one block scan. */
static void test_block_host_major(void **state)
{
    (void)state;
    struct harness *H = hn_new_now();
    block_host_major(H, 100 * MS);
    assert_int_equal(count_sid(H, SID_VERTICAL), 9);
    assert_int_equal(count_sid(H, SID_BLOCK), 1);
    assert_int_equal(H->n, 10);
    hn_free(H);

    H = hn_new();
    block_host_major(H, 100 * MS);
    assert_int_equal(count_sid(H, SID_BLOCK), 1);
    assert_int_equal(H->n, 1);
    hn_free(H);

    /* 5 s per host: each host's vertical scan is quiet (2 s) before the next; hosts 1-9 are
     * reported, the 10th makes it a block scan. */
    H = hn_new();
    block_host_major(H, 5 * SEC);
    if (H->n != 10)
        dump(H);
    assert_int_equal(count_sid(H, SID_VERTICAL), 9);
    assert_int_equal(count_sid(H, SID_BLOCK), 1);
    hn_free(H);
}

/* --- distributed ----------------------------------------------------------------------- */

static void distributed(struct harness *H, int sources, int ports_each, uint64_t gap)
{
    uint64_t t = T0;
    char src[32];
    for (int s = 0; s < sources; s++) {
        snprintf(src, sizeof src, "198.51.100.%d", 10 + s);
        for (int i = 0; i < ports_each; i++, t += gap) {
            uint16_t port = (uint16_t)(1000 + s * ports_each + i);
            syn_probe(H, src, "192.168.10.25", (uint16_t)(50000 + s), port, 'R', t);
        }
    }
}

static void test_distributed(void **state)
{
    (void)state;
    struct harness *H = hn_new_now();
    distributed(H, 8, 3, 100 * MS);
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_DISTRIBUTED);
    assert_string_equal(a->src, "198.51.100.10");
    assert_string_equal(a->dst, "192.168.10.25");
    assert_int_equal(ev_num(a, "ports"), 20);
    assert_int_equal(ev_num(a, "sources"), 7);
    assert_true(ev_has(a, "\"sources_first\":[\"198.51.100.10\",\"198.51.100.11\""));
    hn_free(H);

    /* Held until quiet: the report has every source and port. */
    H = hn_new();
    distributed(H, 8, 3, 100 * MS);
    hn_finish(H);
    assert_int_equal(H->n, 1);
    assert_int_equal(H->al[0].sid, SID_DISTRIBUTED);
    assert_int_equal(ev_num(&H->al[0], "sources"), 8);
    long long ports = ev_num(&H->al[0], "ports");
    assert_true(ports >= 23 && ports <= 25); /* 24, estimated beyond 16 */
    assert_true(ev_has(&H->al[0], "\"ports_estimated\":true"));
    assert_true(ev_has(&H->al[0], "\"sources_estimated\":false"));
    hn_free(H);
}

/* Too few sources, or the probes spread wider than distributed-window: no alert. */
static void test_distributed_edges(void **state)
{
    (void)state;
    const char *kv[] = {"distributed-min-ports=12"};
    struct harness *H = hn_new_cfg(600 * SEC, kv, 1);
    distributed(H, 4, 4, 100 * MS); /* 16 ports, 4 sources */
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);

    H = hn_new();
    distributed(H, 8, 3, 4 * SEC); /* 24 ports over 96 s: at most 16 in 60 s */
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);

    /* One vertical scan (40 ports) beside 4 sources with 2 refused ports each: the vertical
     * scanner's ports beyond min-ports do not make a distributed scan of the target. */
    H = hn_new();
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 40; port++, t += 50 * MS)
        syn_probe(H, "203.0.113.99", "192.168.10.25", 41000, port, 'R', t);
    distributed(H, 4, 2, 100 * MS);
    hn_finish(H);
    assert_int_equal(count_sid(H, SID_VERTICAL), 1);
    assert_int_equal(H->n, 1);
    hn_free(H);
}

/* The demo's T4 flood: 3000 SYNs from 490 spoofed sources to one port, every fifth answered.
 * One port: a flood, not a scan of any kind. */
static void test_syn_flood_is_not_a_scan(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    char src[32];
    for (int i = 0; i < 3000; i++, t += 3 * MS) {
        int s = i % 490;
        snprintf(src, sizeof src, "%s.%d", s < 245 ? "203.0.113" : "198.51.100", 5 + s % 245);
        uint16_t sport = (uint16_t)(1024 + (i * 7919) % 60000);
        tcp(H, src, "192.168.10.25", sport, 110, SYN, t);
        if (i % 5 == 0)
            tcp(H, "192.168.10.25", src, 110, sport, SYNACK, t + MS);
    }
    hn_finish_none(H);
}

/* --- probe types ----------------------------------------------------------------------- */

/* One XMAS probe is no scan; three XMAS to one port neither; FIN, NULL and XMAS to three
 * ports are (stealth-min-ports 3). */
static void test_stealth_probes(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    tcp(H, "192.168.1.178", "192.168.1.2", 53695, 3392, FIN | PSH | URG, t);
    tcp(H, "192.168.1.2", "192.168.1.178", 3392, 53695, RSTACK, t + MS);
    for (uint16_t i = 1; i <= 2; i++)
        tcp(H, "192.168.1.178", "192.168.1.2", (uint16_t)(53695 + i), 3392, FIN | PSH | URG,
            t + i * SEC);
    assert_int_equal(H->n, 0);
    tcp(H, "192.168.1.178", "192.168.1.2", 62971, 3390, FIN, t + 5 * SEC);
    assert_int_equal(H->n, 0);
    tcp(H, "192.168.1.178", "192.168.1.2", 57916, 3391, 0, t + 6 * SEC);
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_VERTICAL);
    assert_true(ev_has(a, "\"detected_by\":\"stealth_probes\""));
    assert_true(ev_has(a, "\"scan_type\":\"xmas\""));
    assert_true(ev_has(a, "\"scan_types\":[\"fin\",\"null\",\"xmas\"]"));
    assert_true(ev_has(a, "\"probes_by_type\":{\"fin\":1,\"null\":1,\"xmas\":3}"));
    hn_free(H);
}

/* Single stray FIN / NULL packets to many hosts (one port each) are not a scan either. */
static void test_ack_scan(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 12; port++, t += 10 * MS) {
        tcp(H, "203.0.113.44", "192.168.3.3", 33333, port, ACK, t);
        tcp(H, "192.168.3.3", "203.0.113.44", port, 33333, RST, t + MS);
    }
    hn_finish(H);
    assert_int_equal(H->n, 1);
    assert_true(ev_has(&H->al[0], "\"scan_type\":\"ack\""));
    hn_free(H);

    /* A connection picked up mid-stream (ACK answered by ACK) is no probe. */
    H = hn_new();
    t = T0;
    for (uint16_t port = 1; port <= 12; port++, t += 10 * MS) {
        tcp(H, "203.0.113.44", "192.168.3.3", 33333, port, ACK, t);
        tcp(H, "192.168.3.3", "203.0.113.44", port, 33333, ACK, t + MS);
    }
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* UDP probes answered by ICMP port unreachable. */
static void test_udp_scan(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    static const uint16_t ports[] = {7, 9, 17, 19, 49, 67, 68, 69, 80, 88, 111, 123, 135};
    for (size_t i = 0; i < MM_ARRAY_LEN(ports); i++, t += 100 * MS) {
        udp(H, "198.51.100.77", "192.168.10.53", 45682, ports[i], t);
        if (ports[i] == 123)
            udp(H, "192.168.10.53", "198.51.100.77", 123, 45682, t + MS);
        else
            icmp_unreach_udp(H, "192.168.10.53", "198.51.100.77", "192.168.10.53", 45682, ports[i],
                             3, t + MS);
    }
    hn_finish(H);
    if (H->n != 1)
        dump(H);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_VERTICAL);
    assert_int_equal(a->proto, 17);
    assert_string_equal(a->dst, "192.168.10.53");
    assert_true(ev_has(a, "\"scan_type\":\"udp\""));
    assert_true(ev_has(a, "\"protocols\":[\"udp\"]"));
    assert_int_equal(ev_num(a, "closed"), 12);
    assert_int_equal(ev_num(a, "open"), 1);
    /* The probes' UDP flows end without a reply, but their ICMP errors were the answer. */
    assert_int_equal(ev_num(a, "unanswered"), 0);
    assert_true(ev_has(a, "\"open_udp_ports\":[123]"));
    hn_free(H);

    /* Without the ICMP errors the silence proves nothing (open|filtered). */
    H = hn_new();
    t = T0;
    for (size_t i = 0; i < MM_ARRAY_LEN(ports); i++, t += 100 * MS)
        udp(H, "198.51.100.77", "192.168.10.53", 45682, ports[i], t);
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* traceroute: UDP to 33434+ answered by port unreachable from the last hop: not a scan. */
static void test_traceroute_not_a_scan(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    for (uint16_t port = 33434; port < 33434 + 45; port++, t += 50 * MS) {
        udp(H, "192.168.1.10", "203.0.113.1", 40123, port, t);
        icmp_unreach_udp(H, "203.0.113.1", "192.168.1.10", "203.0.113.1", 40123, port, 3, t + MS);
    }
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* Reflection: an NTP server's answers to spoofed requests land on 20 ports of the victim,
 * which answers each with ICMP port unreachable. Answers from a service port to high ports
 * are not probes: no scan by the reflector. */
static void test_reflection_not_a_scan(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    for (uint16_t i = 0; i < 20; i++, t += 10 * MS) {
        uint16_t port = (uint16_t)(40000 + i * 97);
        udp(H, "203.0.113.123", "192.168.1.9", 123, port, t);
        icmp_unreach_udp(H, "192.168.1.9", "203.0.113.123", "192.168.1.9", 123, port, 3, t + MS);
    }
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* connect() probes: open ports answered, handshake completed, the scanner closes at once;
 * the probe type is known when the flow ends. */
static void test_connect_scan(void **state)
{
    (void)state;
    struct harness *H = hn_new_cfg(1 * SEC, NULL, 0);
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 3; port++, t += 10 * MS) {
        tcp(H, "10.5.5.5", "10.6.6.6", (uint16_t)(42000 + port), port, SYN, t);
        tcp(H, "10.6.6.6", "10.5.5.5", port, (uint16_t)(42000 + port), SYNACK, t + MS);
        tcp(H, "10.5.5.5", "10.6.6.6", (uint16_t)(42000 + port), port, ACK, t + 2 * MS);
        tcp(H, "10.5.5.5", "10.6.6.6", (uint16_t)(42000 + port), port, RSTACK, t + 3 * MS);
    }
    /* Let those flows time out (closed flows: 60 s) while the window still runs. */
    t += 70 * SEC;
    tcp(H, "10.7.7.7", "10.8.8.8", 1, 2, ACK, t);
    for (uint16_t port = 10; port < 30; port++, t += 10 * MS) {
        uint16_t sport = (uint16_t)(43000 + port);
        tcp(H, "10.5.5.5", "10.6.6.6", sport, port, SYN, t);
        tcp(H, "10.6.6.6", "10.5.5.5", port, sport, RSTACK, t + MS);
    }
    hn_finish(H);
    assert_true(H->n >= 1);
    assert_int_equal(H->al[0].sid, SID_VERTICAL);
    assert_true(ev_has(&H->al[0], "\"connect\":3"));
    assert_true(ev_has(&H->al[0], "\"open_ports\":[1,2,3]"));
    hn_free(H);
}

/* --- reporting ------------------------------------------------------------------------- */

/* A slow scan over 190 s with the update interval at 60 s: the first report, then updates
 * 60 s apart while it goes on (at 60, 120 and 180 s after the first), never more often. */
static void test_update_rate_limit(void **state)
{
    (void)state;
    const char *kv[] = {"report-delay=0"};
    struct harness *H = hn_new_cfg(60 * SEC, kv, 1);
    uint64_t t = T0;
    for (int i = 0; i < 190; i++, t += SEC)
        syn_probe(H, "192.0.2.66", "192.168.50.5", 44444, (uint16_t)(1 + i), 'R', t);
    hn_finish(H);
    if (H->n != 4)
        dump(H);
    assert_int_equal(H->n, 4);
    assert_false(H->al[0].update);
    for (size_t i = 1; i < 4; i++) {
        assert_true(H->al[i].update);
        assert_int_equal(H->al[i].sid, SID_VERTICAL);
        assert_true(H->al[i].ts_ns - H->al[i - 1].ts_ns >= 60 * SEC);
    }
    /* Beyond 16 distinct ports the count is an estimate (dtr_distinct: ~2 %). */
    long long ports = ev_num(&H->al[3], "ports");
    assert_true(ports >= 180 && ports <= 200);
    struct dtr_det_stats ds[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(H->h, ds, DTR_MAX_DETECTORS);
    bool found = false;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ds[i].name, "portscan")) {
            found = true;
            assert_int_equal(ds[i].alerts, 1);
            assert_int_equal(ds[i].updates, 3);
        }
    assert_true(found);
    hn_free(H);
}

/* Distinct ports must come within the window: 9 ports, a pause longer than the window,
 * 9 more ports: no alert. Then a new activity after a reported one gets a first report. */
static void test_window(void **state)
{
    (void)state;
    const char *kv[] = {"window=60s", "report-delay=0"};
    struct harness *H = hn_new_cfg(600 * SEC, kv, 2);
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 9; port++, t += SEC)
        syn_probe(H, "192.0.2.67", "192.168.50.6", 44444, port, 'R', t);
    t += 61 * SEC;
    for (uint16_t port = 11; port <= 19; port++, t += SEC)
        syn_probe(H, "192.0.2.67", "192.168.50.6", 44445, port, 'R', t);
    assert_int_equal(H->n, 0);
    syn_probe(H, "192.0.2.67", "192.168.50.6", 44445, 20, 'R', t);
    assert_int_equal(H->n, 1);
    t += 200 * SEC;
    for (uint16_t port = 100; port < 110; port++, t += SEC)
        syn_probe(H, "192.0.2.67", "192.168.50.6", 44446, port, 'R', t);
    assert_int_equal(H->n, 2);
    assert_false(H->al[1].update);
    hn_free(H);
}

/* The first report waits until the scan is quiet (2 s), and tells the whole scan. */
static void test_report_held_until_quiet(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 15; port++, t += 20 * MS)
        syn_probe(H, "198.51.100.7", "192.168.10.9", 45678, port,
                  port == 5 || port == 12 ? 'O' : 'R', t);
    uint64_t last = t;
    /* Unrelated traffic moves packet time on; the second ticks report the quiet scan. */
    for (uint64_t i = 0; i < 4; i++)
        udp(H, "10.1.1.1", "10.1.1.2", 5000, 53, last + i * SEC);
    assert_int_equal(H->n, 1);
    struct alert_rec *a = &H->al[0];
    assert_int_equal(a->sid, SID_VERTICAL);
    assert_true(a->ts_ns >= last + 2 * SEC - 20 * MS);
    assert_true(a->ts_ns <= last + 3 * SEC);
    assert_int_equal(ev_num(a, "ports"), 15);
    assert_int_equal(ev_num(a, "probes"), 15);
    assert_int_equal(ev_num(a, "closed"), 13);
    assert_true(ev_has(a, "\"open_ports\":[5,12]"));
    assert_true(ev_has(a, "\"detected\":\"2024-04-23T00:00:00.180000+0000\""));
    hn_finish(H);
    assert_int_equal(H->n, 1);
    hn_free(H);
}

/* A slow scan never goes quiet: the first report comes report-delay (30 s) after the
 * threshold was crossed. */
static void test_report_held_at_most_delay(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 60; port++, t += SEC) {
        syn_probe(H, "198.51.100.8", "192.168.10.9", 45678, port, 'R', t);
        if (port == 39)
            assert_int_equal(H->n, 0);
    }
    hn_finish(H);
    assert_int_equal(H->n, 1);
    /* Crossed at the 10th probe (9 s), reported at the first tick 30 s later. */
    assert_int_equal(H->al[0].ts_ns, T0 + 39 * SEC);
    /* The tick at 39 s runs before that second's probe: 39 probes, 39 ports. */
    assert_int_equal(ev_num(&H->al[0], "probes"), 39);
    long long ports = ev_num(&H->al[0], "ports");
    assert_true(ports >= 38 && ports <= 39);
    hn_free(H);
}

/* More scans crossing at once than the queue holds: the rest are reported at once. */
static void test_report_queue_full(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    uint64_t t = T0 + 100 * MS;
    char src[32], dst[32];
    for (int i = 0; i < 300; i++) {
        snprintf(src, sizeof src, "10.%d.%d.1", 100 + i / 200, i % 200);
        snprintf(dst, sizeof dst, "10.%d.%d.2", 100 + i / 200, i % 200);
        for (uint16_t port = 1; port <= 10; port++, t += 100000)
            syn_probe(H, src, dst, 40000, port, 'R', t);
    }
    assert_int_equal(H->n, 300 - 256);
    hn_finish(H);
    assert_int_equal(H->n, 300);
    assert_int_equal(count_sid(H, SID_VERTICAL), 300);
    hn_free(H);
}

/* Without ticks (a caller that never gives the time), a held report is still written when
 * its entry's window starts over, before the counts go. */
static void test_report_held_released_at_reset(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    H->no_time = true;
    uint64_t t = T0;
    for (uint16_t port = 1; port <= 15; port++, t += 20 * MS)
        syn_probe(H, "198.51.100.9", "192.168.10.9", 45678, port, 'R', t);
    assert_int_equal(H->n, 0);
    t += 400 * SEC;
    syn_probe(H, "198.51.100.9", "192.168.10.9", 45679, 100, 'R', t);
    assert_int_equal(H->n, 1);
    assert_int_equal(ev_num(&H->al[0], "probes"), 15);
    /* Written when the entry is next touched: at the new probe's refusal. */
    assert_int_equal(H->al[0].ts_ns, t + MS);
    hn_free(H);
}

static void test_bad_settings(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"trw-theta1", "0.9"}, /* above theta0 */
        {"trw-alpha", "0.6"},  /* out of range */
        {"min-ports", "1"},    /* out of range */
        {"memcap", "1kb"},     /* out of range */
        {"window", "soon"},    /* not a duration */
        {"no-such-thing", "1"},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(bad); i++) {
        struct dtr_setting s[DTR_MAX_DETECTORS + 1];
        size_t n = 0;
        for (size_t k = 0; k < dtr_registry_len; k++)
            if (dtr_registry[k] && strcmp(dtr_registry[k]->name, "portscan") != 0)
                s[n++] = (struct dtr_setting){
                    .detector = dtr_registry[k]->name, .param = "enabled", .value = "no"};
        s[n++] =
            (struct dtr_setting){.detector = "portscan", .param = bad[i][0], .value = bad[i][1]};
        struct dtr_config cfg;
        dtr_config_defaults(&cfg);
        cfg.settings = s;
        cfg.n_settings = n;
        char err[512] = "";
        dtr_host_t *h = dtr_new(&cfg, NULL, NULL, NULL, err, sizeof err);
        if (h)
            fail_msg("setting %s=%s accepted", bad[i][0], bad[i][1]);
        assert_true(strstr(err, "portscan") || strstr(err, "trw"));
    }
}

/* --- memory ---------------------------------------------------------------------------- */

static bool portscan_stats(const struct harness *H, struct dtr_det_stats *out)
{
    struct dtr_det_stats ds[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(H->h, ds, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ds[i].name, "portscan")) {
            *out = ds[i];
            return true;
        }
    return false;
}

/* One SYN from each of n spoofed sources to 192.168.0.1:port, answered with `answer` (RST-ACK
 * or SYN-ACK). Fed without the flow table: each SYN is a flow's first packet. */
static void spoofed_syns(struct harness *H, uint32_t n, uint32_t salt, uint16_t port,
                         uint8_t answer)
{
    struct flow f;
    struct packet p, r;
    memset(&f, 0, sizeof f);
    memset(&p, 0, sizeof p);
    p.ip_ver = 4;
    p.proto = 6;
    p.flags = PKT_F_L4;
    p.tcp_flags = TCP_SYN;
    p.dport = port;
    p.dst.b[0] = 192;
    p.dst.b[1] = 168;
    p.dst.b[3] = 1;
    f.key.proto = 6;
    f.key.ip_ver = 4;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a = 0x0b000000u + (i * 2654435761u + salt) % 0x00ffffffu;
        p.src.b[0] = (uint8_t)(a >> 24);
        p.src.b[1] = (uint8_t)(a >> 16);
        p.src.b[2] = (uint8_t)(a >> 8);
        p.src.b[3] = (uint8_t)a;
        p.sport = (uint16_t)(1024 + i % 60000);
        p.ts_ns = H->now += 10000; /* 100,000 SYNs per second */
        f.pkts[FLOW_TOSERVER] = 1;
        f.pkts[FLOW_TOCLIENT] = 0;
        f.tcp_flags[FLOW_TOSERVER] = TCP_SYN;
        dtr_packet(H->h, &f, FLOW_TOSERVER, &p);
        r = p;
        r.src = p.dst;
        r.dst = p.src;
        r.sport = p.dport;
        r.dport = p.sport;
        r.tcp_flags = answer;
        r.ts_ns = p.ts_ns + 1000;
        f.pkts[FLOW_TOCLIENT] = 1;
        dtr_packet(H->h, &f, FLOW_TOCLIENT, &r);
    }
}

/* A million spoofed sources: the tables stay within the memcap. Sources refused (RST) hold
 * scan evidence, so taking them over counts as an eviction; sources answered SYN-ACK hold
 * none, so they are taken over without counting (memcap_hits still counts every take-over).
 * A one-port flood is no scan of any kind. */
static void test_memcap_million_sources(void **state)
{
    (void)state;
    const char *kv[] = {"memcap=4mb"};
    struct harness *H = hn_new_cfg(600 * SEC, kv, 1);
    H->now = T0;
    struct dtr_det_stats st;

    spoofed_syns(H, 1000000, 0, 81, TCP_RST | TCP_ACK);
    assert_true(portscan_stats(H, &st));
    print_message("refused: memuse %zu memcap %zu entries %llu evicted %llu memcap_hits %llu\n",
                  st.memuse, st.memcap, (unsigned long long)st.entries,
                  (unsigned long long)st.evicted, (unsigned long long)st.memcap_hits);
    assert_int_equal(st.memcap, 4u << 20);
    assert_true(st.memuse <= st.memcap);
    assert_true(st.memuse > st.memcap / 2);
    assert_true(st.evicted > 1900000); /* two tables, a million each, all but the last few */
    assert_true(st.entries > 1000);
    uint64_t evicted = st.evicted, hits = st.memcap_hits;

    spoofed_syns(H, 1000000, 12345, 80, TCP_SYN | TCP_ACK);
    assert_true(portscan_stats(H, &st));
    print_message("answered: memuse %zu memcap %zu entries %llu evicted %llu memcap_hits %llu\n",
                  st.memuse, st.memcap, (unsigned long long)st.entries,
                  (unsigned long long)st.evicted, (unsigned long long)st.memcap_hits);
    assert_true(st.memuse <= st.memcap);
    /* Answered sources are ordinary clients: a source entry each, no (source, host) entry. */
    assert_true(st.memcap_hits > hits + 990000);
    /* Only the refused entries still there when the answered flood began were evicted. */
    assert_true(st.evicted - evicted <= 10000);
    hn_finish(H);
    assert_int_equal(H->n, 0);
    hn_free(H);
}

/* --- captures -------------------------------------------------------------------------- */

/* Replay a capture through the pipeline; false when the file is absent. */
static bool replay(struct harness *H, const char *path)
{
    if (access(path, R_OK) != 0)
        return false;
    char err[512];
    cap_source_t *src = cap_open_file(path, err, sizeof err);
    if (!src)
        fail_msg("%s", err);
    struct cap_pkt cp;
    int r;
    while ((r = cap_next(src, &cp)) == 1) {
        struct packet p;
        memset(&p, 0, sizeof p);
        p.data = cp.data;
        p.caplen = cp.caplen;
        p.wirelen = cp.wirelen;
        p.ts_ns = cp.ts_ns;
        p.pkt_no = cp.pkt_no;
        p.linktype = cp.linktype;
        dec_packet(H->dec, &p);
        enum flow_dir dir = FLOW_TOSERVER;
        struct flow *f = flow_handle_packet(H->ft, &p, &dir);
        H->now = cp.ts_ns;
        dtr_time(H->h, cp.ts_ns);
        dtr_packet(H->h, f, f ? (int)dir : 0, &p);
    }
    if (r != MM_EOF)
        fail_msg("%s: %s", path, cap_error(src));
    cap_close(src);
    hn_finish(H);
    return true;
}

struct cap_expect {
    const char *file; /* under MM_SHARED_DIR/pcaps/ */
    size_t alerts;    /* exactly this many portscan alerts */
    uint32_t sid;     /* all with this sid, src and dst */
    const char *src, *dst;
    const char *evidence; /* a substring the first alert's JSON holds, or NULL */
};

static void test_shared_captures(void **state)
{
    (void)state;
    static const struct cap_expect rows[] = {
        {"portscan/chrissanders_synscan.pcapng", 1, SID_VERTICAL, "172.16.0.8", "64.13.134.52",
         "\"scan_type\":\"syn\""},
        {"portscan/ndpi_synscan.pcap", 1, SID_VERTICAL, "172.16.0.8", "64.13.134.52", NULL},
        {"portscan/evilfingers_nmap_XMAS_TREE_SCAN.pcap", 1, SID_VERTICAL, "192.168.1.10",
         "192.168.1.25", "\"scan_type\":\"xmas\""},
        {"portscan/evilfingers_xprobe_tcp_scan_filter.pcap", 1, SID_VERTICAL, "192.168.1.20",
         "192.168.1.25", NULL},
        {"portscan/evilfingers_xprobe_icmp_udp_scan.pcap", 1, SID_VERTICAL, "192.168.1.20",
         "192.168.1.25", "\"scan_type\":\"udp\""},
        {"portscan/ndpi_tcp_scan.pcapng", 1, SID_VERTICAL, "192.168.1.178", "192.168.1.2",
         "\"detected_by\":\"stealth_probes\""},
        {"portscan/esnet_nmap_80_vanilla.pcap", 0, 0, NULL, NULL, NULL},
        {"web_attacks/ndpi_bot.pcap", 0, 0, NULL, NULL, NULL},
        {"email/zeek_smtp.pcap", 0, 0, NULL, NULL, NULL},
        {"email/ndpi_smtp.pcap", 0, 0, NULL, NULL, NULL},
        {"email/chrissanders_mail_sender_attachment.pcapng", 0, 0, NULL, NULL, NULL},
        {"bruteforce/ppa_ftp-crack.pcap", 0, 0, NULL, NULL, NULL},
        {"bruteforce/ndpi_pop3.pcap", 0, 0, NULL, NULL, NULL},
        {"bruteforce/ndpi_imap.pcap", 0, 0, NULL, NULL, NULL},
        {"bruteforce/ndpi_http_auth.pcap", 0, 0, NULL, NULL, NULL},
        {"bruteforce/ndpi_ftp_failed.pcap", 0, 0, NULL, NULL, NULL},
        {"web_attacks/chrissanders_http_dvwa_sqlinjection.pcapng", 0, 0, NULL, NULL, NULL},
        {"web_attacks/ndpi_sql_injection.pcap", 0, 0, NULL, NULL, NULL},
        {"botnet_c2/chrissanders_ratinfected.pcapng", 0, 0, NULL, NULL, NULL},
        {"botnet_c2/chrissanders_ek_to_cryptowall4.pcapng", 0, 0, NULL, NULL, NULL},
        {"botnet_c2/ndpi_malware.pcap", 0, 0, NULL, NULL, NULL},
        {"botnet_c2/ndpi_mining.pcapng", 0, 0, NULL, NULL, NULL},
        {"dos/stopddos_pkt.TCP.DOMINATE.syn.ecn.cwr.pcapng", 0, 0, NULL, NULL, NULL},
        {"dos/stopddos_amp.TCP.reflection.SYNACK.pcap", 0, 0, NULL, NULL, NULL},
        {"dos/stopddos_amp.TCP.syn.optionallyACK.optionallysamePort.pcapng", 0, 0, NULL, NULL,
         NULL},
        {"dos/stopddos_amp.UDP.bacnet.IOT.37810.pcapng", 0, 0, NULL, NULL, NULL},
        {"dos/zeek_dhcp_flood.pcap", 0, 0, NULL, NULL, NULL},
    };
    size_t ran = 0, bad = 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        const struct cap_expect *e = &rows[i];
        char path[1024];
        snprintf(path, sizeof path, "%s/pcaps/%s", MM_SHARED_DIR, e->file);
        struct harness *H = hn_new();
        if (!replay(H, path)) {
            hn_free(H);
            continue;
        }
        ran++;
        bool ok = H->n == e->alerts;
        for (size_t k = 0; ok && k < H->n; k++)
            ok = H->al[k].sid == e->sid && !strcmp(H->al[k].src, e->src) &&
                 !strcmp(H->al[k].dst, e->dst);
        if (ok && e->evidence && H->n)
            ok = strstr(H->al[0].json, e->evidence) != NULL;
        print_message("%s %s: %zu alert(s)\n", ok ? "ok  " : "FAIL", e->file, H->n);
        if (!ok) {
            bad++;
            dump(H);
        }
        hn_free(H);
    }
    if (!ran)
        skip();
    assert_int_equal(bad, 0);
}

/* The demo: the SYN scan of 192.168.10.80 (with the FIN/NULL/XMAS probes after it: the same
 * activity) and the UDP scan of 192.168.10.53, both by 198.51.100.77: two vertical scans.
 * The T4 SYN flood (490 sources, one port) is nothing here. */
static void test_demo_capture(void **state)
{
    (void)state;
    struct harness *H = hn_new();
    if (!replay(H, MM_SOURCE_DIR "/demo/demo.pcap")) {
        hn_free(H);
        skip();
    }
    dump(H);
    assert_int_equal(H->n, 2);
    assert_int_equal(H->al[0].sid, SID_VERTICAL);
    assert_string_equal(H->al[0].src, "198.51.100.77");
    assert_string_equal(H->al[0].dst, "192.168.10.80");
    assert_int_equal(H->al[0].proto, 6);
    assert_int_equal(H->al[1].sid, SID_VERTICAL);
    assert_string_equal(H->al[1].src, "198.51.100.77");
    assert_string_equal(H->al[1].dst, "192.168.10.53");
    assert_int_equal(H->al[1].proto, 17);
    hn_free(H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vertical_syn_scan_edge),
        cmocka_unit_test(test_vertical_min_ports_setting),
        cmocka_unit_test(test_vertical_same_ports_repeated),
        cmocka_unit_test(test_vertical_unanswered),
        cmocka_unit_test(test_vertical_ipv6),
        cmocka_unit_test(test_busy_benign_client),
        cmocka_unit_test(test_walk_lower_bound),
        cmocka_unit_test(test_horizontal),
        cmocka_unit_test(test_horizontal_unanswered),
        cmocka_unit_test(test_sweep_ping),
        cmocka_unit_test(test_sweep_router_unreachable),
        cmocka_unit_test(test_sweep_bar),
        cmocka_unit_test(test_sweep_ipv6_and_multicast),
        cmocka_unit_test(test_ping_benign),
        cmocka_unit_test(test_monitor_hosts_down),
        cmocka_unit_test(test_monitor_share_edge),
        cmocka_unit_test(test_monitor_max_hosts),
        cmocka_unit_test(test_monitor_reported_stays),
        cmocka_unit_test(test_monitor_max_ports),
        cmocka_unit_test(test_monitor_long_rounds),
        cmocka_unit_test(test_monitor_started_at_night),
        cmocka_unit_test(test_monitor_padding),
        cmocka_unit_test(test_sweep_nmap_style),
        cmocka_unit_test(test_vertical_ping_not_a_port),
        cmocka_unit_test(test_horizontal_with_pings),
        cmocka_unit_test(test_arp_sweep),
        cmocka_unit_test(test_arp_edges),
        cmocka_unit_test(test_arp_benign),
        cmocka_unit_test(test_arp_answers_after_crossing),
        cmocka_unit_test(test_arp_evasions),
        cmocka_unit_test(test_arp_alive),
        cmocka_unit_test(test_arp_alive_own_mac),
        cmocka_unit_test(test_distinct_may_hold),
        cmocka_unit_test(test_block_port_major),
        cmocka_unit_test(test_block_host_major),
        cmocka_unit_test(test_distributed),
        cmocka_unit_test(test_distributed_edges),
        cmocka_unit_test(test_syn_flood_is_not_a_scan),
        cmocka_unit_test(test_stealth_probes),
        cmocka_unit_test(test_ack_scan),
        cmocka_unit_test(test_udp_scan),
        cmocka_unit_test(test_traceroute_not_a_scan),
        cmocka_unit_test(test_reflection_not_a_scan),
        cmocka_unit_test(test_connect_scan),
        cmocka_unit_test(test_update_rate_limit),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_report_held_until_quiet),
        cmocka_unit_test(test_report_held_at_most_delay),
        cmocka_unit_test(test_report_queue_full),
        cmocka_unit_test(test_report_held_released_at_reset),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_memcap_million_sources),
        cmocka_unit_test(test_shared_captures),
        cmocka_unit_test(test_demo_capture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
