/*
 * Flow table (src/flow/flow.c), fed with Ethernet frames run through the real decoder:
 * bidirectional matching and per-direction counters, client/server orientation, the TCP
 * state machine, TCP port reuse, VLAN and ICMP echo id in the key, IPv6, timeouts in packet
 * time, flow_end_all order, the memcap with emergency eviction (every flow still ends exactly
 * once), flow_id range and uniqueness, and packets that get no flow.
 */
#include "flow/flow.h"

#include "core/mm.h"
#include "decode/decode.h"
#include "testlib/pktbuild.h"
#include "testlib/tcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { L_ETH = 1 };

#define SEC 1000000000ull
#define MS 1000000ull

/* ---------- fixture ---------- */

struct end_rec {
    uint64_t flow_id;
    enum flow_end_reason reason;
    uint64_t pkts[2], bytes[2];
    uint8_t tcp_state, state, proto;
    uint16_t client_port;
};

struct fx {
    dec_ctx_t *dec;
    flow_table_t *ft;
    struct end_rec *recs;
    size_t nrec, cap;
    struct tpkt t;
    struct pb b;
};

static void on_end(const struct flow *f, enum flow_end_reason reason, void *user)
{
    struct fx *x = user;
    if (x->nrec == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 64;
        x->recs = realloc(x->recs, x->cap * sizeof *x->recs);
        assert_non_null(x->recs);
    }
    struct end_rec *r = &x->recs[x->nrec++];
    r->flow_id = f->flow_id;
    r->reason = reason;
    memcpy(r->pkts, f->pkts, sizeof r->pkts);
    memcpy(r->bytes, f->bytes, sizeof r->bytes);
    r->tcp_state = f->tcp_state;
    r->state = f->state;
    r->proto = f->key.proto;
    r->client_port = flow_client_port(f);
}

static struct fx *fx_new_cfg(const struct flow_config *fcfg)
{
    struct fx *x = calloc(1, sizeof *x);
    assert_non_null(x);
    struct dec_config dcfg;
    dec_config_defaults(&dcfg);
    x->dec = dec_ctx_new(&dcfg);
    assert_non_null(x->dec);
    x->ft = flow_table_new(fcfg, on_end, x);
    assert_non_null(x->ft);
    return x;
}

static struct fx *fx_new(void)
{
    struct flow_config fcfg;
    flow_config_defaults(&fcfg);
    return fx_new_cfg(&fcfg);
}

static void fx_free(struct fx *x)
{
    if (x->ft)
        flow_table_free(x->ft);
    dec_ctx_free(x->dec);
    tp_packet_free(&x->t);
    free(x->recs);
    free(x);
}

static struct flow_stats fx_stats(const struct fx *x)
{
    struct flow_stats st;
    flow_get_stats(x->ft, &st);
    return st;
}

/* Decode the frame in x->b (caplen = its length, or `caplen` when nonzero) and hand it to
 * the flow table. */
static struct flow *feed_cap(struct fx *x, uint64_t ts, enum flow_dir *dir, size_t caplen)
{
    size_t len = pb_len(&x->b);
    tp_decode(x->dec, &x->t, L_ETH, pb_data(&x->b), caplen ? caplen : len, len, ts);
    enum flow_dir d = (enum flow_dir) - 1;
    struct flow *f = flow_handle_packet(x->ft, &x->t.p, &d);
    if (f) {
        assert_ptr_equal(x->t.p.flow, f);
        assert_true(d == FLOW_TOSERVER || d == FLOW_TOCLIENT);
    } else {
        assert_null(x->t.p.flow);
    }
    if (dir)
        *dir = d;
    return f;
}

static struct flow *feed(struct fx *x, uint64_t ts, enum flow_dir *dir)
{
    return feed_cap(x, ts, dir, 0);
}

/* ---------- frames ---------- */

/* Ethernet [| 802.1Q vlan0 [| 802.1Q vlan1]] | <content> */
static void frame_link(struct pb *b, uint16_t ethertype, uint16_t vlan0, uint16_t vlan1)
{
    if (vlan1) {
        pb_vlan(b, vlan1, ethertype);
        ethertype = PB_ETH_VLAN;
    }
    if (vlan0) {
        pb_vlan(b, vlan0, ethertype);
        ethertype = vlan1 ? PB_ETH_QINQ : PB_ETH_VLAN;
    }
    pb_eth(b, ethertype);
}

/* IPv4 src -> dst | TCP sport -> dport flags | plen bytes */
static void tcp4(struct pb *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                 uint8_t flags, size_t plen)
{
    pb_init(b);
    pb_pattern(b, plen, 0);
    pb_tcp_simple(b, sport, dport, flags, 100, (flags & PB_ACK) ? 200 : 0);
    pb_ipv4(b, src, dst, PB_TCP);
    frame_link(b, PB_ETH_IPV4, 0, 0);
}

/* IPv4 src -> dst | UDP sport -> dport | plen bytes, optionally VLAN-tagged */
static void udp4v(struct pb *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                  size_t plen, uint16_t vlan0, uint16_t vlan1)
{
    pb_init(b);
    pb_pattern(b, plen, 0);
    pb_udp(b, sport, dport);
    pb_ipv4(b, src, dst, PB_UDP);
    frame_link(b, PB_ETH_IPV4, vlan0, vlan1);
}

static void udp4(struct pb *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                 size_t plen)
{
    udp4v(b, src, dst, sport, dport, plen, 0, 0);
}

/* IPv4 src -> dst | ICMP type/code, id, seq 1 | 8 bytes */
static void icmp4(struct pb *b, uint32_t src, uint32_t dst, uint8_t type, uint8_t code, uint16_t id)
{
    pb_init(b);
    pb_pattern(b, 8, 0);
    pb_icmp4(b, type, code, (uint32_t)id << 16 | 1);
    pb_ipv4(b, src, dst, PB_ICMP);
    frame_link(b, PB_ETH_IPV4, 0, 0);
}

/* IPv6 src -> dst | TCP sport -> dport flags */
static void tcp6(struct pb *b, const char *src, const char *dst, uint16_t sport, uint16_t dport,
                 uint8_t flags)
{
    pb_init(b);
    pb_tcp_simple(b, sport, dport, flags, 100, (flags & PB_ACK) ? 200 : 0);
    pb_ipv6(b, src, dst, PB_TCP);
    frame_link(b, PB_ETH_IPV6, 0, 0);
}

/* IPv6 src -> dst | UDP sport -> dport | 4 bytes */
static void udp6(struct pb *b, const char *src, const char *dst, uint16_t sport, uint16_t dport)
{
    pb_init(b);
    pb_pattern(b, 4, 0);
    pb_udp(b, sport, dport);
    pb_ipv6(b, src, dst, PB_UDP);
    frame_link(b, PB_ETH_IPV6, 0, 0);
}

/* IPv6 src -> dst | ICMPv6 type, id */
static void icmp6(struct pb *b, const char *src, const char *dst, uint8_t type, uint16_t id)
{
    pb_init(b);
    pb_pattern(b, 8, 0);
    pb_icmp6(b, type, 0, (uint32_t)id << 16 | 1);
    pb_ipv6(b, src, dst, PB_ICMPV6);
    frame_link(b, PB_ETH_IPV6, 0, 0);
}

#define A4 IP4(10, 0, 0, 1)
#define B4 IP4(10, 0, 0, 9)

/* ---------- bidirectional matching ---------- */

static void test_flow_bidirectional_counters(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    enum flow_dir d;
    size_t c2s = 0, s2c = 0;

    udp4(&x->b, A4, B4, 40000, 53, 10); /* 10.0.0.1:40000 -> 10.0.0.9:53, 10 bytes */
    c2s += pb_len(&x->b);
    struct flow *f = feed(x, 10 * SEC, &d);
    assert_non_null(f);
    assert_int_equal(d, FLOW_TOSERVER);
    uint64_t id = f->flow_id;

    udp4(&x->b, B4, A4, 53, 40000, 100); /* the answer */
    s2c += pb_len(&x->b);
    assert_ptr_equal(feed(x, 10 * SEC + 5 * MS, &d), f);
    assert_int_equal(d, FLOW_TOCLIENT);

    udp4(&x->b, A4, B4, 40000, 53, 1); /* 1 byte, padded to the 60-byte minimum */
    pb_pad_to(&x->b, 60, 0);
    c2s += 60;
    assert_ptr_equal(feed(x, 11 * SEC, &d), f);
    assert_int_equal(d, FLOW_TOSERVER);

    /* a snapped 1500-byte frame counts its captured 64 bytes */
    udp4(&x->b, B4, A4, 53, 40000, 1458);
    s2c += 64;
    assert_ptr_equal(feed_cap(x, 12 * SEC, &d, 64), f);
    assert_int_equal(d, FLOW_TOCLIENT);

    assert_int_equal(f->flow_id, id);
    assert_int_equal(f->pkts[FLOW_TOSERVER], 2);
    assert_int_equal(f->pkts[FLOW_TOCLIENT], 2);
    assert_int_equal(f->bytes[FLOW_TOSERVER], c2s);
    assert_int_equal(f->bytes[FLOW_TOCLIENT], s2c);
    assert_int_equal(f->first_ns, 10 * SEC);
    assert_int_equal(f->last_ns, 12 * SEC);
    assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);
    struct mm_addr a = tc_addr4(A4), b = tc_addr4(B4);
    assert_memory_equal(flow_client_addr(f), a.b, 16);
    assert_memory_equal(flow_server_addr(f), b.b, 16);
    assert_int_equal(flow_client_port(f), 40000);
    assert_int_equal(flow_server_port(f), 53);
    assert_int_equal(f->key.proto, 17);
    assert_int_equal(f->key.ip_ver, 4);

    struct flow_stats st = fx_stats(x);
    assert_int_equal(st.created, 1);
    assert_int_equal(st.udp, 1);
    assert_int_equal(st.active, 1);
    assert_int_equal(x->nrec, 0);
    fx_free(x);
}

/* ---------- orientation ---------- */

enum pkt_kind { K_TCP, K_UDP, K_ICMP_ECHO, K_UDP6 };

struct orient_row {
    const char *name;
    enum pkt_kind kind;
    bool from_high;        /* the first packet is sent by 10.0.0.9 (sorts after 10.0.0.1) */
    uint8_t flags;         /* TCP flags of the first packet */
    bool client_is_sender; /* the first packet's sender is the client */
};

/* clang-format off */
static const struct orient_row orient_rows[] = {
    {"tcp syn from low address", K_TCP, false, PB_SYN, true},
    {"tcp syn from high address", K_TCP, true, PB_SYN, true},
    {"tcp syn-ack first, from high address", K_TCP, true, PB_SYN | PB_ACK, false},
    {"tcp syn-ack first, from low address", K_TCP, false, PB_SYN | PB_ACK, false},
    {"tcp mid-stream data first", K_TCP, true, PB_ACK | PB_PSH, true},
    {"tcp fin first", K_TCP, false, PB_FIN | PB_ACK, true},
    {"udp from low address", K_UDP, false, 0, true},
    {"udp from high address", K_UDP, true, 0, true},
    {"icmp echo request from high address", K_ICMP_ECHO, true, 0, true},
    {"udp ipv6 from high address", K_UDP6, true, 0, true},
};
/* clang-format on */

/* Build the packet of kind k from the low (or high) endpoint; ports 40000 (low) / 80 (high). */
static void orient_pkt(struct pb *b, enum pkt_kind k, bool from_high, uint8_t flags)
{
    uint32_t s = from_high ? B4 : A4, d = from_high ? A4 : B4;
    uint16_t sp = from_high ? 80 : 40000, dp = from_high ? 40000 : 80;
    const char *s6 = from_high ? "2001:db8::9" : "2001:db8::1";
    const char *d6 = from_high ? "2001:db8::1" : "2001:db8::9";
    switch (k) {
    case K_TCP: tcp4(b, s, d, sp, dp, flags, 0); break;
    case K_UDP: udp4(b, s, d, sp, dp, 4); break;
    case K_ICMP_ECHO: icmp4(b, s, d, flags ? 0 : 8, 0, 77); break;
    case K_UDP6: udp6(b, s6, d6, sp, dp); break;
    }
}

static void test_flow_orientation(void **state)
{
    (void)state;
    for (size_t i = 0; i < MM_ARRAY_LEN(orient_rows); i++) {
        const struct orient_row *r = &orient_rows[i];
        struct fx *x = fx_new();
        enum flow_dir d1, d2;
        orient_pkt(&x->b, r->kind, r->from_high, r->flags);
        struct flow *f = feed(x, SEC, &d1);
        TC_CHECK(r->name, f != NULL);
        if (!f) {
            fx_free(x);
            continue;
        }
        /* the reply comes from the other endpoint (an ICMP echo reply for echo rows) */
        orient_pkt(&x->b, r->kind, !r->from_high, r->kind == K_ICMP_ECHO ? 1 : PB_ACK);
        struct flow *g = feed(x, 2 * SEC, &d2);
        TC_CHECK(r->name, g == f);
        TC_EQ(r->name, d1, r->client_is_sender ? FLOW_TOSERVER : FLOW_TOCLIENT);
        TC_EQ(r->name, d2, r->client_is_sender ? FLOW_TOCLIENT : FLOW_TOSERVER);
        bool client_high = r->from_high == r->client_is_sender;
        if (r->kind != K_ICMP_ECHO)
            TC_EQ(r->name, flow_client_port(f), client_high ? 80 : 40000);
        struct mm_addr want = r->kind == K_UDP6
                                  ? tc_addr6(client_high ? "2001:db8::9" : "2001:db8::1")
                                  : tc_addr4(client_high ? B4 : A4);
        TC_CHECK(r->name, memcmp(flow_client_addr(f), want.b, 16) == 0);
        TC_EQ(r->name, f->pkts[FLOW_TOSERVER], 1);
        TC_EQ(r->name, f->pkts[FLOW_TOCLIENT], 1);
        TC_EQ(r->name, fx_stats(x).created, 1);
        fx_free(x);
    }
    tc_done();
}

/* Both endpoints on one address (loopback): the ports tell the directions apart. */
static void test_flow_same_address(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    enum flow_dir d;
    uint32_t lo = IP4(127, 0, 0, 1);
    udp4(&x->b, lo, lo, 6000, 5000, 4);
    struct flow *f = feed(x, SEC, &d);
    assert_int_equal(d, FLOW_TOSERVER);
    udp4(&x->b, lo, lo, 5000, 6000, 4);
    assert_ptr_equal(feed(x, SEC + 1, &d), f);
    assert_int_equal(d, FLOW_TOCLIENT);
    assert_int_equal(flow_client_port(f), 6000);
    assert_int_equal(flow_server_port(f), 5000);
    fx_free(x);
}

/* ---------- TCP state machine ---------- */

struct tcp_step {
    bool from_server;
    uint8_t flags;
    uint8_t tcp_state; /* enum flow_tcp_state after the packet */
    uint8_t state;     /* enum flow_state after the packet */
};

#define MAX_TCP_STEPS 10
struct tcp_row {
    const char *name;
    struct tcp_step s[MAX_TCP_STEPS]; /* ends at flags == 0 */
};

/* clang-format off */
#define C_(fl, ts, st) {false, (fl), (ts), (st)}
#define S_(fl, ts, st) {true, (fl), (ts), (st)}
/* clang-format on */
#define NEW FLOW_STATE_NEW
#define EST FLOW_STATE_ESTABLISHED
#define CLO FLOW_STATE_CLOSED
#define SA (PB_SYN | PB_ACK)
#define PA (PB_PSH | PB_ACK)
#define FA (PB_FIN | PB_ACK)
#define RA (PB_RST | PB_ACK)

/* clang-format off */
static const struct tcp_row tcp_rows[] = {
    {"handshake, client closes",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      C_(PA, TCPS_ESTABLISHED, EST), S_(PB_ACK, TCPS_ESTABLISHED, EST), C_(FA, TCPS_FIN_WAIT1, CLO),
      S_(PB_ACK, TCPS_FIN_WAIT2, CLO), S_(FA, TCPS_TIME_WAIT, CLO), C_(PB_ACK, TCPS_CLOSED, CLO)}},
    {"handshake, server closes",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      S_(FA, TCPS_FIN_WAIT1, CLO), C_(PB_ACK, TCPS_FIN_WAIT2, CLO), C_(FA, TCPS_TIME_WAIT, CLO),
      S_(PB_ACK, TCPS_CLOSED, CLO)}},
    {"fin answered by fin+ack at once",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      C_(FA, TCPS_FIN_WAIT1, CLO), S_(FA, TCPS_TIME_WAIT, CLO), C_(PB_ACK, TCPS_CLOSED, CLO)}},
    {"simultaneous close",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      C_(PB_FIN, TCPS_FIN_WAIT1, CLO), S_(PB_FIN, TCPS_CLOSING, CLO),
      C_(PB_ACK, TCPS_CLOSED, CLO)}},
    {"syn refused with rst", {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(RA, TCPS_CLOSED, CLO)}},
    {"rst while established",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      C_(PA, TCPS_ESTABLISHED, EST), C_(PB_RST, TCPS_CLOSED, CLO)}},
    {"syn retransmitted",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW),
      C_(PB_ACK, TCPS_ESTABLISHED, EST)}},
    {"mid-stream pick-up",
     {C_(PA, TCPS_ESTABLISHED, NEW), S_(PB_ACK, TCPS_ESTABLISHED, EST),
      C_(PA, TCPS_ESTABLISHED, EST)}},
    {"syn-ack seen first",
     {S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      S_(PA, TCPS_ESTABLISHED, EST)}},
    {"one-way syn scan", {C_(PB_SYN, TCPS_SYN_SENT, NEW)}},
    /* regressions (review): a closed connection stays closed */
    {"fin after rst stays closed",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      S_(RA, TCPS_CLOSED, CLO), C_(FA, TCPS_CLOSED, CLO)}},
    {"retransmitted fin after close",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      C_(FA, TCPS_FIN_WAIT1, CLO), S_(FA, TCPS_TIME_WAIT, CLO), C_(PB_ACK, TCPS_CLOSED, CLO),
      S_(FA, TCPS_CLOSED, CLO)}},
    {"peer fin retransmitted before the last ack",
     {C_(PB_SYN, TCPS_SYN_SENT, NEW), S_(SA, TCPS_SYN_RECV, NEW), C_(PB_ACK, TCPS_ESTABLISHED, EST),
      C_(FA, TCPS_FIN_WAIT1, CLO), S_(FA, TCPS_TIME_WAIT, CLO), S_(FA, TCPS_TIME_WAIT, CLO),
      C_(PB_ACK, TCPS_CLOSED, CLO)}},
};
/* clang-format on */

static void test_flow_tcp_states(void **state)
{
    (void)state;
    char name[96];
    for (size_t i = 0; i < MM_ARRAY_LEN(tcp_rows); i++) {
        const struct tcp_row *r = &tcp_rows[i];
        struct fx *x = fx_new();
        struct flow *f0 = NULL;
        uint8_t or_flags[2] = {0, 0};
        for (size_t k = 0; k < MAX_TCP_STEPS && r->s[k].flags; k++) {
            const struct tcp_step *s = &r->s[k];
            snprintf(name, sizeof name, "%s, step %zu", r->name, k + 1);
            if (s->from_server)
                tcp4(&x->b, B4, A4, 443, 50000, s->flags, 0);
            else
                tcp4(&x->b, A4, B4, 50000, 443, s->flags, 0);
            enum flow_dir d;
            struct flow *f = feed(x, SEC + k * MS, &d);
            TC_CHECK(name, f != NULL);
            if (!f)
                break;
            if (!f0)
                f0 = f;
            TC_CHECK(name, f == f0);
            TC_EQ(name, d, s->from_server ? FLOW_TOCLIENT : FLOW_TOSERVER);
            or_flags[d] |= s->flags;
            if (f->tcp_state != s->tcp_state)
                tc_failf(name, __FILE__, __LINE__, "tcp_state %s, want %s",
                         flow_tcp_state_name((enum flow_tcp_state)f->tcp_state),
                         flow_tcp_state_name((enum flow_tcp_state)s->tcp_state));
            if (f->state != s->state)
                tc_failf(name, __FILE__, __LINE__, "state %s, want %s",
                         flow_state_name((enum flow_state)f->state),
                         flow_state_name((enum flow_state)s->state));
            TC_EQ(name, f->tcp_flags[0], or_flags[0]);
            TC_EQ(name, f->tcp_flags[1], or_flags[1]);
        }
        TC_EQ(r->name, fx_stats(x).created, 1);
        TC_EQ(r->name, fx_stats(x).tcp_reuse, 0);
        fx_free(x);
    }
    tc_done();
}

static void test_flow_state_names(void **state)
{
    (void)state;
    assert_string_equal(flow_tcp_state_name(TCPS_SYN_SENT), "syn_sent");
    assert_string_equal(flow_tcp_state_name(TCPS_ESTABLISHED), "established");
    assert_string_equal(flow_tcp_state_name(TCPS_CLOSED), "closed");
    assert_string_equal(flow_tcp_state_name((enum flow_tcp_state)99), "unknown");
    assert_string_equal(flow_state_name(FLOW_STATE_NEW), "new");
    assert_string_equal(flow_state_name(FLOW_STATE_COUNT), "unknown");
    assert_string_equal(flow_end_reason_name(FLOW_END_TIMEOUT), "timeout");
    assert_string_equal(flow_end_reason_name(FLOW_END_FORCED), "forced");
    assert_string_equal(flow_end_reason_name(FLOW_END_SHUTDOWN), "shutdown");
}

/* ---------- port reuse ---------- */

struct reuse_row {
    const char *name;
    struct tcp_step s[MAX_TCP_STEPS]; /* the first connection; then the client sends a SYN */
    bool reused;
};

/* clang-format off */
static const struct reuse_row reuse_rows[] = {
    {"after a full close",
     {C_(PB_SYN, 0, 0), S_(SA, 0, 0), C_(PB_ACK, 0, 0), C_(FA, 0, 0), S_(FA, 0, 0),
      C_(PB_ACK, TCPS_CLOSED, 0)}, true},
    {"in fin_wait1", {C_(PB_SYN, 0, 0), S_(SA, 0, 0), C_(PB_ACK, 0, 0), C_(FA, TCPS_FIN_WAIT1, 0)},
     true},
    {"after rst", {C_(PB_SYN, 0, 0), S_(RA, TCPS_CLOSED, 0)}, true},
    {"while established (no reuse)",
     {C_(PB_SYN, 0, 0), S_(SA, 0, 0), C_(PB_ACK, TCPS_ESTABLISHED, 0)}, false},
    {"retransmitted syn (no reuse)", {C_(PB_SYN, TCPS_SYN_SENT, 0)}, false},
};
/* clang-format on */

static void test_flow_tcp_port_reuse(void **state)
{
    (void)state;
    for (size_t i = 0; i < MM_ARRAY_LEN(reuse_rows); i++) {
        const struct reuse_row *r = &reuse_rows[i];
        struct fx *x = fx_new();
        struct flow *f = NULL;
        size_t k = 0;
        for (; k < MAX_TCP_STEPS && r->s[k].flags; k++) {
            const struct tcp_step *s = &r->s[k];
            if (s->from_server)
                tcp4(&x->b, B4, A4, 443, 50000, s->flags, 0);
            else
                tcp4(&x->b, A4, B4, 50000, 443, s->flags, 0);
            f = feed(x, SEC + k * MS, NULL);
        }
        TC_CHECK(r->name, f != NULL);
        if (!f) {
            fx_free(x);
            continue;
        }
        TC_EQ(r->name, f->tcp_state, r->s[k - 1].tcp_state);
        uint64_t old_id = f->flow_id;
        uint64_t old_pkts = f->pkts[0] + f->pkts[1];

        tcp4(&x->b, A4, B4, 50000, 443, PB_SYN, 0); /* same ports, new connection */
        enum flow_dir d;
        struct flow *g = feed(x, 5 * SEC, &d);
        TC_CHECK(r->name, g != NULL);
        struct flow_stats st = fx_stats(x);
        if (r->reused) {
            TC_EQ(r->name, st.created, 2);
            TC_EQ(r->name, st.tcp_reuse, 1);
            TC_EQ(r->name, st.ended_forced, 1);
            TC_EQ(r->name, st.active, 1);
            TC_EQ(r->name, x->nrec, 1);
            if (x->nrec == 1) {
                TC_EQ(r->name, x->recs[0].reason, FLOW_END_FORCED);
                TC_EQ(r->name, x->recs[0].flow_id, old_id);
                TC_EQ(r->name, x->recs[0].pkts[0] + x->recs[0].pkts[1], old_pkts);
            }
            TC_CHECK(r->name, g && g->flow_id != old_id);
            TC_CHECK(r->name, g && g->tcp_state == TCPS_SYN_SENT && g->pkts[0] == 1);
            TC_EQ(r->name, d, FLOW_TOSERVER);
        } else {
            TC_EQ(r->name, st.created, 1);
            TC_EQ(r->name, st.tcp_reuse, 0);
            TC_EQ(r->name, x->nrec, 0);
            TC_CHECK(r->name, g == f);
        }
        fx_free(x);
    }
    tc_done();
}

/* ---------- key: VLAN, ICMP id, IPv6 ---------- */

static void test_flow_vlan_separates(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    static const uint16_t tags[][2] = {{0, 0}, {10, 0}, {20, 0}, {10, 20}, {20, 10}};
    struct flow *flows[MM_ARRAY_LEN(tags)];
    for (size_t i = 0; i < MM_ARRAY_LEN(tags); i++) {
        udp4v(&x->b, A4, B4, 1234, 53, 4, tags[i][0], tags[i][1]);
        flows[i] = feed(x, SEC + i, NULL);
        assert_non_null(flows[i]);
        for (size_t j = 0; j < i; j++)
            assert_ptr_not_equal(flows[i], flows[j]);
        assert_int_equal(flows[i]->vlan_count, (tags[i][0] != 0) + (tags[i][1] != 0));
    }
    /* replies find their own VLAN's flow */
    for (size_t i = 0; i < MM_ARRAY_LEN(tags); i++) {
        enum flow_dir d;
        udp4v(&x->b, B4, A4, 53, 1234, 4, tags[i][0], tags[i][1]);
        assert_ptr_equal(feed(x, 2 * SEC + i, &d), flows[i]);
        assert_int_equal(d, FLOW_TOCLIENT);
    }
    assert_int_equal(fx_stats(x).created, MM_ARRAY_LEN(tags));
    fx_free(x);
}

static void test_flow_icmp_echo_id(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    enum flow_dir d;

    icmp4(&x->b, A4, B4, 8, 0, 7); /* echo request id 7 */
    struct flow *f = feed(x, SEC, &d);
    assert_non_null(f);
    assert_int_equal(d, FLOW_TOSERVER);
    icmp4(&x->b, B4, A4, 0, 0, 7); /* echo reply id 7 */
    assert_ptr_equal(feed(x, SEC + 1, &d), f);
    assert_int_equal(d, FLOW_TOCLIENT);
    assert_int_equal(f->icmp_type[FLOW_TOSERVER], 8);
    assert_int_equal(f->icmp_type[FLOW_TOCLIENT], 0);
    assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);

    icmp4(&x->b, A4, B4, 8, 0, 8); /* another ping session: id 8 */
    struct flow *g = feed(x, SEC + 2, &d);
    assert_non_null(g);
    assert_ptr_not_equal(g, f);

    icmp4(&x->b, B4, A4, 3, 3, 0); /* an error between the same hosts: not an echo flow */
    struct flow *h = feed(x, SEC + 3, &d);
    assert_non_null(h);
    assert_ptr_not_equal(h, f);
    assert_ptr_not_equal(h, g);

    icmp6(&x->b, "2001:db8::1", "2001:db8::9", 128, 7); /* ICMPv6 echo id 7 */
    struct flow *v6 = feed(x, SEC + 4, &d);
    assert_non_null(v6);
    icmp6(&x->b, "2001:db8::9", "2001:db8::1", 129, 7);
    assert_ptr_equal(feed(x, SEC + 5, &d), v6);
    assert_int_equal(d, FLOW_TOCLIENT);
    icmp6(&x->b, "2001:db8::1", "2001:db8::9", 128, 9);
    assert_ptr_not_equal(feed(x, SEC + 6, &d), v6);

    struct flow_stats st = fx_stats(x);
    assert_int_equal(st.created, 5);
    assert_int_equal(st.icmpv4, 3);
    assert_int_equal(st.icmpv6, 2);
    fx_free(x);
}

static void test_flow_ipv6(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    enum flow_dir d;
    tcp6(&x->b, "2001:db8::2", "2001:db8::1", 50000, 443, PB_SYN);
    struct flow *f = feed(x, SEC, &d);
    assert_non_null(f);
    tcp6(&x->b, "2001:db8::1", "2001:db8::2", 443, 50000, SA);
    assert_ptr_equal(feed(x, SEC + 1, &d), f);
    assert_int_equal(d, FLOW_TOCLIENT);
    tcp6(&x->b, "2001:db8::2", "2001:db8::1", 50000, 443, PB_ACK);
    assert_ptr_equal(feed(x, SEC + 2, &d), f);
    assert_int_equal(f->tcp_state, TCPS_ESTABLISHED);
    assert_int_equal(f->key.ip_ver, 6);
    struct mm_addr c = tc_addr6("2001:db8::2");
    assert_memory_equal(flow_client_addr(f), c.b, 16);
    assert_int_equal(flow_server_port(f), 443);
    /* the same ports between two other IPv6 hosts are another flow */
    tcp6(&x->b, "2001:db8::3", "2001:db8::1", 50000, 443, PB_SYN);
    assert_ptr_not_equal(feed(x, SEC + 3, &d), f);
    assert_int_equal(fx_stats(x).created, 2);
    fx_free(x);
}

/* ---------- timeouts ---------- */

static void test_flow_timeout_udp_new(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    uint64_t t0 = 100 * SEC;
    udp4(&x->b, A4, B4, 1000, 2000, 4);
    assert_non_null(feed(x, t0, NULL));
    flow_expire(x->ft, t0 + 29 * SEC + 999 * MS);
    assert_int_equal(x->nrec, 0);
    flow_expire(x->ft, t0 + 30 * SEC + 1 * MS);
    assert_int_equal(x->nrec, 1);
    assert_int_equal(x->recs[0].reason, FLOW_END_TIMEOUT);
    struct flow_stats st = fx_stats(x);
    assert_int_equal(st.ended_timeout, 1);
    assert_int_equal(st.active, 0);

    /* a packet refreshes the flow: alive 29 s after its last packet */
    udp4(&x->b, A4, B4, 1000, 2001, 4);
    assert_non_null(feed(x, t0 + 40 * SEC, NULL));
    assert_non_null(feed(x, t0 + 60 * SEC, NULL));
    flow_expire(x->ft, t0 + 89 * SEC);
    assert_int_equal(x->nrec, 1);
    flow_expire(x->ft, t0 + 90 * SEC + 1);
    assert_int_equal(x->nrec, 2);
    assert_int_equal(x->recs[1].pkts[0], 2);
    fx_free(x);
}

/* flow_handle_packet expires idle flows itself as packet time moves on. */
static void test_flow_timeout_by_packet_time(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    uint64_t t0 = 100 * SEC;
    udp4(&x->b, A4, B4, 1000, 2000, 4);
    struct flow *f = feed(x, t0, NULL);
    uint64_t id = f->flow_id;
    udp4(&x->b, A4, B4, 1000, 3000, 4); /* another flow, 10 s later */
    feed(x, t0 + 10 * SEC, NULL);
    assert_int_equal(x->nrec, 0);
    udp4(&x->b, A4, B4, 1000, 4000, 4); /* 31 s after the first */
    feed(x, t0 + 31 * SEC, NULL);
    assert_int_equal(x->nrec, 1);
    assert_int_equal(x->recs[0].flow_id, id);
    assert_int_equal(x->recs[0].reason, FLOW_END_TIMEOUT);

    /* the first flow's tuple again: a new flow */
    udp4(&x->b, A4, B4, 1000, 2000, 4);
    struct flow *g = feed(x, t0 + 32 * SEC, NULL);
    assert_non_null(g);
    assert_int_not_equal(g->flow_id, id);
    assert_int_equal(g->pkts[0], 1);
    assert_int_equal(fx_stats(x).created, 4);
    fx_free(x);
}

struct timeout_row {
    const char *name;
    struct tcp_step s[MAX_TCP_STEPS]; /* TCP packets at 1 ms apart, ending near t0 */
    bool udp_both_ways;               /* instead: a UDP exchange */
    uint32_t alive_s;                 /* still there this long after the last packet */
    uint32_t gone_s;                  /* ended (timeout) this long after the last packet */
};

/* clang-format off */
static const struct timeout_row timeout_rows[] = {
    {"tcp established", {C_(PB_SYN, 0, 0), S_(SA, 0, 0), C_(PB_ACK, 0, 0), C_(PA, 0, 0)}, false,
     599, 601},
    {"tcp syn only", {C_(PB_SYN, 0, 0)}, false, 59, 61},
    {"tcp closed",
     {C_(PB_SYN, 0, 0), S_(SA, 0, 0), C_(PB_ACK, 0, 0), C_(FA, 0, 0), S_(FA, 0, 0),
      C_(PB_ACK, 0, 0)}, false, 59, 61},
    {"udp both ways", {{false, 0, 0, 0}}, true, 299, 301},
};
/* clang-format on */

static void test_flow_timeouts_by_state(void **state)
{
    (void)state;
    for (size_t i = 0; i < MM_ARRAY_LEN(timeout_rows); i++) {
        const struct timeout_row *r = &timeout_rows[i];
        struct fx *x = fx_new();
        uint64_t t = 1000 * SEC;
        if (r->udp_both_ways) {
            udp4(&x->b, A4, B4, 1000, 2000, 4);
            feed(x, t, NULL);
            udp4(&x->b, B4, A4, 2000, 1000, 4);
            feed(x, t, NULL);
        } else {
            for (size_t k = 0; k < MAX_TCP_STEPS && r->s[k].flags; k++) {
                t += MS;
                if (r->s[k].from_server)
                    tcp4(&x->b, B4, A4, 443, 50000, r->s[k].flags, 0);
                else
                    tcp4(&x->b, A4, B4, 50000, 443, r->s[k].flags, 0);
                feed(x, t, NULL);
            }
        }
        flow_expire(x->ft, t + (uint64_t)r->alive_s * SEC);
        TC_EQ(r->name, x->nrec, 0);
        flow_expire(x->ft, t + (uint64_t)r->gone_s * SEC);
        TC_EQ(r->name, x->nrec, 1);
        if (x->nrec == 1)
            TC_EQ(r->name, x->recs[0].reason, FLOW_END_TIMEOUT);
        fx_free(x);
    }
    tc_done();
}

/* Configured timeouts replace the defaults. */
/* Regression (review): packet times near 2^64 (a pcapng can hold them) must not wrap the
 * timeout arithmetic and end each flow right after its first packet. */
static void test_flow_timestamps_near_u64_max(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    uint64_t base = UINT64_MAX - 10 * SEC;
    for (uint64_t i = 0; i < 3; i++) {
        udp4(&x->b, A4, B4, 4000, 53, 10);
        assert_non_null(feed(x, base + i * SEC, NULL));
    }
    TC_EQ("near 2^64", fx_stats(x).created, 1);
    TC_EQ("near 2^64", x->nrec, 0);
    flow_end_all(x->ft, FLOW_END_SHUTDOWN);
    TC_EQ("near 2^64", x->nrec, 1);
    TC_EQ("near 2^64", x->recs[0].pkts[FLOW_TOSERVER], 3);
    fx_free(x);
    tc_done();
}

static void test_flow_timeout_config(void **state)
{
    (void)state;
    struct flow_config cfg;
    flow_config_defaults(&cfg);
    cfg.timeout_s[FLOW_PROTO_UDP][FLOW_STATE_NEW] = 5;
    struct fx *x = fx_new_cfg(&cfg);
    udp4(&x->b, A4, B4, 1000, 2000, 4);
    feed(x, SEC, NULL);
    flow_expire(x->ft, 5 * SEC);
    assert_int_equal(x->nrec, 0);
    flow_expire(x->ft, 6 * SEC + 1);
    assert_int_equal(x->nrec, 1);
    fx_free(x);
}

/* ---------- flow_end_all ---------- */

static void test_flow_end_all_order(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    udp4(&x->b, A4, B4, 1, 2, 4);
    uint64_t id_a = feed(x, 1 * SEC, NULL)->flow_id;
    tcp4(&x->b, A4, B4, 3, 4, PB_SYN, 0);
    uint64_t id_b = feed(x, 2 * SEC, NULL)->flow_id;
    icmp4(&x->b, A4, B4, 8, 0, 5);
    uint64_t id_c = feed(x, 3 * SEC, NULL)->flow_id;
    udp6(&x->b, "2001:db8::1", "2001:db8::2", 6, 7);
    uint64_t id_d = feed(x, 4 * SEC, NULL)->flow_id;
    udp4(&x->b, B4, A4, 2, 1, 4); /* A again, now the most recent */
    feed(x, 5 * SEC, NULL);

    flow_end_all(x->ft, FLOW_END_SHUTDOWN);
    assert_int_equal(x->nrec, 4);
    const uint64_t want[] = {id_b, id_c, id_d, id_a};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(x->recs[i].flow_id, want[i]);
        assert_int_equal(x->recs[i].reason, FLOW_END_SHUTDOWN);
    }
    assert_int_equal(x->recs[3].pkts[0] + x->recs[3].pkts[1], 2);
    struct flow_stats st = fx_stats(x);
    assert_int_equal(st.ended_shutdown, 4);
    assert_int_equal(st.active, 0);

    flow_end_all(x->ft, FLOW_END_SHUTDOWN); /* nothing left */
    assert_int_equal(x->nrec, 4);

    /* the table keeps working, and the reason given is passed through */
    udp4(&x->b, A4, B4, 1, 2, 4);
    assert_non_null(feed(x, 6 * SEC, NULL));
    flow_end_all(x->ft, FLOW_END_FORCED);
    assert_int_equal(x->nrec, 5);
    assert_int_equal(x->recs[4].reason, FLOW_END_FORCED);

    /* flow_table_free ends what is left with SHUTDOWN */
    udp4(&x->b, A4, B4, 9, 9, 4);
    feed(x, 7 * SEC, NULL);
    flow_table_free(x->ft);
    x->ft = NULL;
    assert_int_equal(x->nrec, 6);
    assert_int_equal(x->recs[5].reason, FLOW_END_SHUTDOWN);
    fx_free(x);
}

/* ---------- memcap ---------- */

struct memcap_user {
    uint8_t *ended; /* per flow index: times its end callback ran */
    uint64_t calls, doubles;
    enum flow_end_reason last_reason;
};

/* Flow i: 10.(i>>16).(i>>8).(i) port 1024+(i%1000) -> 1.1.1.1 port 53; the client address
 * gives i back. */
static void memcap_on_end(const struct flow *f, enum flow_end_reason reason, void *user)
{
    struct memcap_user *u = user;
    const uint8_t *c = flow_client_addr(f);
    uint32_t i = (uint32_t)c[1] << 16 | (uint32_t)c[2] << 8 | c[3];
    u->calls++;
    if (u->ended[i]++)
        u->doubles++;
    u->last_reason = reason;
}

static void test_flow_memcap_eviction(void **state)
{
    (void)state;
    enum { N = 100000 };
    struct memcap_user u = {.ended = calloc(N, 1)};
    assert_non_null(u.ended);
    struct flow_config cfg;
    flow_config_defaults(&cfg);
    cfg.memcap_bytes = 1u << 20;
    flow_table_t *ft = flow_table_new(&cfg, memcap_on_end, &u);
    assert_non_null(ft);
    struct dec_config dcfg;
    dec_config_defaults(&dcfg);
    dec_ctx_t *dec = dec_ctx_new(&dcfg);
    static struct pb b;
    struct tpkt t = {0};
    struct flow_stats st;
    size_t max_active = 0;
    for (uint32_t i = 0; i < N; i++) {
        udp4(&b, IP4(10, i >> 16, (i >> 8) & 255, i & 255), IP4(1, 1, 1, 1),
             (uint16_t)(1024 + i % 1000), 53, 0);
        tp_decode(dec, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1000 * SEC + i * 1000ull);
        enum flow_dir d;
        struct flow *f = flow_handle_packet(ft, &t.p, &d);
        if (!f)
            fail_msg("flow %u: no flow (memcap with nothing to evict?)", i);
        flow_get_stats(ft, &st);
        if (st.memuse > st.memcap)
            fail_msg("flow %u: memuse %zu above memcap %zu", i, st.memuse, st.memcap);
        if (st.active > max_active)
            max_active = st.active;
    }
    flow_get_stats(ft, &st);
    assert_int_equal(st.created, N);
    assert_int_equal(st.memcap, 1u << 20);
    assert_true(st.memuse_peak <= st.memcap);
    assert_true(st.emergency_evictions > 0);
    assert_int_equal(st.ended_forced, st.emergency_evictions);
    assert_int_equal(st.memcap_drops, 0);
    assert_int_equal(st.active, N - st.emergency_evictions);
    assert_true(max_active < N / 10); /* the cap really bounded the table */
    assert_int_equal(u.calls, st.emergency_evictions);
    assert_int_equal(u.last_reason, FLOW_END_FORCED);
    /* the least recently used flows went first: flow 0 is gone, the newest is not */
    assert_int_equal(u.ended[0], 1);
    assert_int_equal(u.ended[N - 1], 0);

    flow_table_free(ft);
    assert_int_equal(u.calls, N);
    assert_int_equal(u.doubles, 0);
    for (uint32_t i = 0; i < N; i++)
        if (u.ended[i] != 1)
            fail_msg("flow %u ended %u times", i, u.ended[i]);
    free(u.ended);
    tp_packet_free(&t);
    dec_ctx_free(dec);
}

/*
 * Regression: a memcap that covers the hash buckets but not a full 512-flow slab (e.g.
 * 64 KiB) once gave a table that tracked nothing (every packet in memcap_drops). Slabs now
 * shrink under a small memcap, and a memcap too small for one flow is refused.
 */
static void test_flow_small_memcap_usable(void **state)
{
    (void)state;
    struct flow_config cfg;
    flow_config_defaults(&cfg);
    cfg.memcap_bytes = 64u << 10;
    flow_table_t *ft = flow_table_new(&cfg, NULL, NULL);
    if (!ft)
        return; /* refusing the configuration is a fine answer */
    struct dec_config dcfg;
    dec_config_defaults(&dcfg);
    dec_ctx_t *dec = dec_ctx_new(&dcfg);
    static struct pb b;
    struct tpkt t = {0};
    udp4(&b, A4, B4, 1, 2, 4);
    tp_decode(dec, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    enum flow_dir d;
    struct flow *f = flow_handle_packet(ft, &t.p, &d);
    tp_packet_free(&t);
    dec_ctx_free(dec);
    flow_table_free(ft);
    assert_non_null(f);
}

/* ---------- flow_id ---------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_flow_id_unique(void **state)
{
    (void)state;
    enum { N = 10000 };
    struct fx *x = fx_new();
    uint64_t *ids = calloc(N, sizeof *ids);
    assert_non_null(ids);
    for (uint32_t i = 0; i < N; i++) {
        /* half the flows share a timestamp, so the id cannot rely on time alone */
        udp4(&x->b, IP4(192, 168, i >> 8, i & 255), IP4(8, 8, 8, 8), (uint16_t)(5000 + i % 7), 53,
             0);
        struct flow *f = feed(x, SEC + (i % 2 ? 0 : i * 1000ull), NULL);
        assert_non_null(f);
        ids[i] = f->flow_id;
        assert_true(ids[i] != 0);
        assert_true(ids[i] < (1ull << 53));
        /* stable across the flow's packets */
        assert_int_equal(feed(x, SEC + i * 1000ull + 1, NULL)->flow_id, ids[i]);
    }
    qsort(ids, N, sizeof *ids, cmp_u64);
    for (size_t i = 1; i < N; i++)
        if (ids[i] == ids[i - 1])
            fail_msg("flow_id %llu used twice", (unsigned long long)ids[i]);
    free(ids);
    fx_free(x);
}

/* ---------- packets without a flow ---------- */

static void test_flow_no_flow_packets(void **state)
{
    (void)state;
    struct fx *x = fx_new();
    uint64_t no_flow = 0;

    /* ARP */
    pb_init(&x->b);
    pb_pattern(&x->b, 28, 0);
    pb_eth(&x->b, PB_ETH_ARP);
    assert_null(feed(x, SEC, NULL));
    no_flow++;

    /* LLDP */
    pb_init(&x->b);
    pb_pattern(&x->b, 30, 0);
    pb_eth(&x->b, 0x88cc);
    assert_null(feed(x, SEC, NULL));
    no_flow++;

    /* IPv4 TCP cut to 12 bytes: no transport header */
    pb_init(&x->b);
    pb_pattern(&x->b, 12, 0);
    pb_ipv4(&x->b, A4, B4, PB_TCP);
    pb_eth(&x->b, PB_ETH_IPV4);
    assert_null(feed(x, SEC, NULL));
    no_flow++;

    /* UDP with length field 4 */
    udp4(&x->b, A4, B4, 1, 2, 4);
    *pb_at(&x->b, 14 + 20 + 5) = 4;
    assert_null(feed(x, SEC, NULL));
    no_flow++;

    /* IPv4 fragments: the first gets no flow, the one completing the datagram does */
    static struct pb whole;
    pb_init(&whole);
    pb_pattern(&whole, 64, 0);
    pb_udp(&whole, 7000, 8000);
    pb_ipv4(&whole, A4, B4, PB_UDP);
    const uint8_t *ip = pb_data(&whole);
    struct pb_ip4 o1 = {.id = 42, .frag = 0x2000}, o2 = {.id = 42, .frag = 40 / 8};
    pb_init(&x->b);
    pb_bytes(&x->b, ip + 20, 40);
    pb_ipv4_ex(&x->b, A4, B4, PB_UDP, &o1);
    pb_eth(&x->b, PB_ETH_IPV4);
    assert_null(feed(x, SEC, NULL));
    no_flow++;
    pb_init(&x->b);
    pb_bytes(&x->b, ip + 60, 32);
    pb_ipv4_ex(&x->b, A4, B4, PB_UDP, &o2);
    pb_eth(&x->b, PB_ETH_IPV4);
    struct flow *f = feed(x, SEC + 1, NULL);
    assert_non_null(f);
    assert_int_equal(flow_server_port(f), 8000);

    /* IPv6 fragment without the rest */
    pb_init(&x->b);
    pb_pattern(&x->b, 48, 0);
    pb_ipv6_frag(&x->b, PB_UDP, 0, true, 99);
    pb_ipv6(&x->b, "2001:db8::1", "2001:db8::2", 44);
    pb_eth(&x->b, PB_ETH_IPV6);
    assert_null(feed(x, SEC + 2, NULL));
    no_flow++;

    /* other IP protocols get an address-only flow */
    pb_init(&x->b);
    pb_pattern(&x->b, 24, 0);
    pb_ipv4(&x->b, A4, B4, 50); /* ESP */
    pb_eth(&x->b, PB_ETH_IPV4);
    struct flow *esp = feed(x, SEC + 3, NULL);
    assert_non_null(esp);
    assert_int_equal(esp->key.proto, 50);
    assert_int_equal(esp->key.port_a, 0);
    assert_int_equal(esp->key.port_b, 0);

    struct flow_stats st = fx_stats(x);
    assert_int_equal(st.no_flow, no_flow);
    assert_int_equal(st.created, 2);
    assert_int_equal(st.other, 1);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_bidirectional_counters),
        cmocka_unit_test(test_flow_orientation),
        cmocka_unit_test(test_flow_same_address),
        cmocka_unit_test(test_flow_tcp_states),
        cmocka_unit_test(test_flow_state_names),
        cmocka_unit_test(test_flow_tcp_port_reuse),
        cmocka_unit_test(test_flow_vlan_separates),
        cmocka_unit_test(test_flow_icmp_echo_id),
        cmocka_unit_test(test_flow_ipv6),
        cmocka_unit_test(test_flow_timeout_udp_new),
        cmocka_unit_test(test_flow_timeout_by_packet_time),
        cmocka_unit_test(test_flow_timeouts_by_state),
        cmocka_unit_test(test_flow_timeout_config),
        cmocka_unit_test(test_flow_timestamps_near_u64_max),
        cmocka_unit_test(test_flow_end_all_order),
        cmocka_unit_test(test_flow_memcap_eviction),
        cmocka_unit_test(test_flow_small_memcap_usable),
        cmocka_unit_test(test_flow_id_unique),
        cmocka_unit_test(test_flow_no_flow_packets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
