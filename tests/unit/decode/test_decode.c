/*
 * The decoder entry point (src/decode/decode.c) and properties that hold across protocols:
 *  - snap-length truncation: every cut of a packet (caplen < wirelen) decodes as far as the
 *    captured bytes go, sets PKT_F_SNAP_TRUNC and raises decoder.snaplen_truncated and
 *    nothing else;
 *  - stats (pkts, bytes, invalid) and the event name table;
 *  - robustness: 20,000 random buffers and 20,000 mutated valid packets through every link
 *    type, each decoded from an exact-size heap copy so ASan sees any over-read, with the
 *    packet's slices checked to lie inside the captured bytes.
 */
#include "decode/decode.h"

#include "core/mm.h"
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

enum {
    L_NULL = 0,
    L_ETH = 1,
    L_RAW = 101,
    L_LOOP = 108,
    L_SLL = 113,
    L_IPV4 = 228,
    L_IPV6 = 229,
    L_SLL2 = 276
};

/* ---------- snap length ---------- */

/* Record route, 8 bytes: type 7, len 7, ptr 4, one slot, EOL */
static const uint8_t rr_opt[] = {7, 7, 4, 0, 0, 0, 0, 0};
/* MSS 1460 | SACK-permitted | TS | NOP | WS 7 (20 bytes) */
static const uint8_t syn_opts[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2,
                                   3, 4, 0,    0,    0, 0, 1, 3,  3, 7};

/* Ethernet | IPv4 with RR option (28) | TCP with 20 bytes of options (40) | 20 bytes */
static void snap_tcp4(struct pb *b)
{
    struct pb_ip4 o = {.opts = rr_opt, .optlen = sizeof rr_opt};
    struct pb_tcp t = {.sport = 1025,
                       .dport = 80,
                       .seq = 1,
                       .flags = PB_SYN | PB_ACK,
                       .opts = syn_opts,
                       .optlen = sizeof syn_opts};
    pb_init(b);
    pb_pattern(b, 20, 0);
    pb_tcp(b, &t);
    pb_ipv4_ex(b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), PB_TCP, &o);
    pb_eth(b, PB_ETH_IPV4);
}

/* Ethernet | IPv4 | UDP 1025 -> 53 | 30 bytes */
static void snap_udp4(struct pb *b)
{
    pb_eth_udp4(b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 1025, 53, 30);
}

/* Ethernet | IPv6 | hop-by-hop (8) | TCP 1025 -> 80 | 10 bytes */
static void snap_tcp6(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 10, 0);
    pb_tcp_simple(b, 1025, 80, PB_ACK, 1, 1);
    pb_ipv6_opts(b, PB_TCP, 8);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", 0);
    pb_eth(b, PB_ETH_IPV6);
}

/* Ethernet | IPv6 | UDP 1025 -> 53 | 30 bytes */
static void snap_udp6(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 30, 0);
    pb_udp(b, 1025, 53);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", PB_UDP);
    pb_eth(b, PB_ETH_IPV6);
}

/* Ethernet | 802.1Q 5 | IPv4 | ICMP echo request id 9 | 20 bytes */
static void snap_icmp4(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 20, 0);
    pb_icmp4(b, 8, 0, 0x00090001);
    pb_ipv4(b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), PB_ICMP);
    pb_vlan(b, 5, PB_ETH_IPV4);
    pb_eth(b, PB_ETH_VLAN);
}

/* Ethernet | IPv6 | ICMPv6 echo request id 9 | 20 bytes */
static void snap_icmp6(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 20, 0);
    pb_icmp6(b, 128, 0, 0x00090001);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", PB_ICMPV6);
    pb_eth(b, PB_ETH_IPV6);
}

/* Ethernet | IPv4 | GRE | IPv4 | UDP 1025 -> 53 | 10 bytes */
static void snap_gre(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 10, 0);
    pb_udp(b, 1025, 53);
    pb_ipv4(b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), PB_UDP);
    pb_gre(b, 0, 0, PB_ETH_IPV4);
    pb_ipv4(b, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2), PB_GRE);
    pb_eth(b, PB_ETH_IPV4);
}

/* Fragments of one datagram for the mutation run:
 * IPv4 10.0.0.1 -> 10.0.0.2 id 0x99 | UDP 1025 -> 53 | 40 bytes, cut at 24 (MF) / 24.. */
static void frag_piece4(struct pb *b, bool first)
{
    static struct pb whole;
    pb_init(&whole);
    pb_pattern(&whole, 40, 0);
    pb_udp(&whole, 1025, 53);
    pb_ipv4(&whole, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), PB_UDP);
    struct pb_ip4 o = {.id = 0x99, .frag = first ? 0x2000 : 24 / 8};
    pb_init(b);
    if (first)
        pb_bytes(b, pb_data(&whole) + 20, 24);
    else
        pb_bytes(b, pb_data(&whole) + 44, 24);
    pb_ipv4_ex(b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), PB_UDP, &o);
    pb_eth(b, PB_ETH_IPV4);
}
static void frag4_first(struct pb *b)
{
    frag_piece4(b, true);
}
static void frag4_last(struct pb *b)
{
    frag_piece4(b, false);
}

/* IPv6 2001:db8::1 -> 2001:db8::2 | Fragment id 0x99 | UDP 1025 -> 53 | 40 bytes, in two */
static void frag_piece6(struct pb *b, bool first)
{
    static struct pb whole;
    pb_init(&whole);
    pb_pattern(&whole, 40, 0);
    pb_udp(&whole, 1025, 53);
    pb_ipv6(&whole, "2001:db8::1", "2001:db8::2", PB_UDP);
    pb_init(b);
    pb_bytes(b, pb_data(&whole) + (first ? 40 : 64), 24);
    pb_ipv6_frag(b, PB_UDP, first ? 0 : 24, first, 0x99);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", 44);
    pb_eth(b, PB_ETH_IPV6);
}
static void frag6_first(struct pb *b)
{
    frag_piece6(b, true);
}
static void frag6_last(struct pb *b)
{
    frag_piece6(b, false);
}

struct snap_row {
    const char *name;
    void (*build)(struct pb *b);
    uint32_t ip_end;         /* from this cut on the (first) IP header is decoded */
    uint32_t l4_end;         /* from this cut on PKT_F_L4 and the ports/type are set */
    uint32_t payload_at;     /* TCP/UDP payload offset; payload_len = cut - payload_at */
};

/* Offsets: Ethernet 14; tcp4: IPv4+RR to 42, TCP to 62, options to 82; tcp6: IPv6 to 54,
 * hop-by-hop to 62, TCP to 82; icmp4: VLAN to 18, IPv4 to 38, ICMP to 46; gre: outer IPv4
 * to 34, GRE to 38, inner IPv4 to 58, UDP to 66. */
/* clang-format off */
static const struct snap_row snap_rows[] = {
    {"tcp4", snap_tcp4, 42, 62, 82},
    {"udp4", snap_udp4, 34, 42, 42},
    {"tcp6", snap_tcp6, 54, 82, 82},
    {"udp6", snap_udp6, 54, 62, 62},
    {"icmp4 in vlan", snap_icmp4, 38, 46, 0},
    {"icmp6", snap_icmp6, 54, 62, 0},
    {"gre", snap_gre, 34, 66, 66},
};
/* clang-format on */


/* Cut each packet at every length: the decoder raises only
 * decoder.snaplen_truncated and decodes what is there. */
static void test_dec_snaplen_every_cut(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    char name[96];
    uint64_t cuts = 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(snap_rows); i++) {
        const struct snap_row *r = &snap_rows[i];
        r->build(&b);
        uint32_t full = (uint32_t)pb_len(&b);
        for (uint32_t cut = 0; cut < full; cut++) {
            snprintf(name, sizeof name, "%s cut at %u of %u", r->name, cut, full);
            tp_decode(ctx, &t, L_ETH, pb_data(&b), cut, full, 1);
            cuts++;
            const struct packet *p = &t.p;
            struct want w = {.ip_ver = p->ip_ver,
                             .proto = p->proto,
                             .sport = p->sport,
                             .dport = p->dport,
                             .flags_on = PKT_F_SNAP_TRUNC,
                             .flags_off = PKT_F_L4_CSUM_BAD | PKT_F_IPV4_CSUM_BAD,
                             .ev = {DEC_EV_PKT_SNAP_TRUNC}};
            /* cut == 0 (nothing captured at all) is explained by the snap length too */
            tc_check_want(name, p, &w);
            TC_EQ(name, p->ip_ver != 0, cut >= r->ip_end);
            TC_EQ(name, (p->flags & PKT_F_L4) != 0, cut >= r->l4_end);
            if (cut >= r->l4_end) {
                TC_CHECK(name, p->sport == 1025 || p->icmp_id == 9);
                if (r->payload_at)
                    TC_EQ(name, p->payload_len, cut >= r->payload_at ? cut - r->payload_at : 0);
            }
            TC_CHECK(name, p->l3 == NULL || p->l3 + p->l3_len <= t.copy + cut);
            TC_CHECK(name, p->l4 == NULL || p->l4 + p->l4_len <= t.copy + cut);
        }
    }
    const struct dec_stats *st = dec_get_stats(ctx);
    TC_EQ("stats", st->snap_truncated, cuts);
    TC_EQ("stats", st->tcp_csum_bad + st->udp_csum_bad + st->icmp_csum_bad, 0);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

/* Cuts inside the link header, a VLAN tag, IPv4 options, an IPv6 extension header, a GRE
 * header or an ICMPv6 echo's first 8 bytes are covered by test_dec_snaplen_every_cut: they
 * raise only decoder.snaplen_truncated (regression: they used to add the layer's own
 * "too small"/"truncated" event as well). */

/* A snap-truncated packet that also has a real anomaly is counted as invalid (the snap-length
 * event comes first in its list and must not hide the anomaly from the counter). */
static void test_dec_snaplen_invalid_counted(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    pb_eth_udp4(&b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 1, 2, 18);
    *pb_at(&b, 14) = 0x44;
    tp_decode(ctx, &t, L_ETH, pb_data(&b), 40, 60, 1);
    assert_true(tp_has_event(&t.p, DEC_EV_IPV4_HLEN_TOO_SMALL));
    assert_int_equal(dec_get_stats(ctx)->invalid, 1);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/*
 * Regression: stats.events counts an event once per packet, like the packet's event list. A
 * packet cut inside its IPv4 header raises decoder.snaplen_truncated from dec_packet and
 * again from dec_ipv4; stats.events[DEC_EV_PKT_SNAP_TRUNC] must equal stats.snap_truncated.
 */
static void test_dec_event_counter_once_per_packet(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    pb_eth_udp4(&b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 1, 2, 18);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), 30, pb_len(&b), 1);
    const char *row = "ethernet ipv4 cut at 30";
    TC_EQ(row, t.p.n_events, 1);
    TC_EQ(row, dec_get_stats(ctx)->snap_truncated, 1);
    TC_EQ(row, dec_get_stats(ctx)->events[DEC_EV_PKT_SNAP_TRUNC], 1);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

/* ---------- stats and names ---------- */

static void test_dec_stats_pkts_bytes(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    uint64_t bytes = 0;
    for (size_t n = 0; n < 10; n++) {
        pb_eth_udp4(&b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), 1, 2, n * 10);
        tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, n);
        bytes += pb_len(&b);
    }
    assert_int_equal(dec_get_stats(ctx)->invalid, 0);
    /* a snapped packet counts its captured bytes */
    tp_decode(ctx, &t, L_ETH, pb_data(&b), 20, pb_len(&b), 11);
    bytes += 20;
    const struct dec_stats *st = dec_get_stats(ctx);
    assert_int_equal(st->pkts, 11);
    assert_int_equal(st->bytes, bytes);
    assert_int_equal(st->udp, 10);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* Names are unique, prefixed like Suricata's (decoder.* / defrag.*), and out-of-range
 * values do not index past the table. */
static void test_dec_event_names(void **state)
{
    (void)state;
    for (int e = 1; e < DEC_EV_COUNT; e++) {
        const char *n = dec_event_name((enum dec_event)e);
        assert_non_null(n);
        if (strncmp(n, "decoder.", 8) != 0 && strncmp(n, "defrag.", 7) != 0)
            fail_msg("event %d has name '%s'", e, n);
        for (int f = 1; f < e; f++)
            if (strcmp(n, dec_event_name((enum dec_event)f)) == 0)
                fail_msg("events %d and %d share the name '%s'", f, e, n);
    }
    assert_string_equal(dec_event_name(DEC_EV_IPV4_TRUNC_PKT), "decoder.ipv4.trunc_pkt");
    assert_string_equal(dec_event_name(DEC_EV_COUNT), "unknown");
    assert_string_equal(dec_event_name((enum dec_event) - 1), "unknown");
    assert_true(dec_event_in_suricata(DEC_EV_IPV4_TRUNC_PKT));
    assert_false(dec_event_in_suricata(DEC_EV_PKT_SNAP_TRUNC));
    assert_false(dec_event_in_suricata(DEC_EV_COUNT));
}

static void test_dec_proto_and_addr_names(void **state)
{
    (void)state;
    assert_string_equal(dec_proto_name(6), "TCP");
    assert_string_equal(dec_proto_name(17), "UDP");
    assert_string_equal(dec_proto_name(1), "ICMP");
    assert_string_equal(dec_proto_name(58), "IPv6-ICMP");
    assert_null(dec_proto_name(253));
    char buf[64];
    struct mm_addr a = tc_addr4(IP4(192, 0, 2, 1));
    assert_string_equal(dec_addr_str(&a, 4, buf, sizeof buf), "192.0.2.1");
    a = tc_addr6("2001:db8::1");
    assert_string_equal(dec_addr_str(&a, 6, buf, sizeof buf), "2001:db8::1");
    assert_string_equal(dec_addr_str(&a, 6, buf, 4), "?"); /* too small for the text */
}

/* ---------- robustness ---------- */

static const int all_links[] = {L_ETH,  L_SLL,  L_SLL2, L_NULL, L_LOOP, L_RAW,
                                L_IPV4, L_IPV6, 12,     14,     147};

/* Invariants any decoded packet keeps, whatever the input. */
static void check_invariants(const char *row, const struct packet *p, const uint8_t *buf,
                             size_t len)
{
    TC_CHECK(row, p->n_events <= PKT_MAX_EVENTS);
    TC_CHECK(row, p->vlan_count <= PKT_MAX_VLANS);
    TC_CHECK(row, p->ip_ver == 0 || p->ip_ver == 4 || p->ip_ver == 6);
    if (p->flags & PKT_F_L4)
        TC_CHECK(row, p->ip_ver != 0 && p->l4 != NULL);
    for (unsigned i = 0; i < p->n_events; i++)
        TC_CHECK(row, p->events[i] > DEC_EV_NONE && p->events[i] < DEC_EV_COUNT);
    const uint8_t *end = buf + len;
    if (p->l3)
        TC_CHECK(row, p->l3 >= buf && p->l3 + p->l3_len <= end);
    if (!(p->flags & PKT_F_REASSEMBLED)) {
        if (p->l4)
            TC_CHECK(row, p->l4 >= buf && p->l4 + p->l4_len <= end);
        if (p->payload)
            TC_CHECK(row, p->payload >= buf && p->payload + p->payload_len <= end);
    } else if (p->l4) {
        /* points into the defrag buffer; a malformed transport header may leave it NULL */
        TC_CHECK(row, p->l4_len <= 65535);
    }
    if (p->payload && p->l4 && !(p->flags & PKT_F_REASSEMBLED))
        TC_CHECK(row, p->payload >= p->l4 && p->payload + p->payload_len <= p->l4 + p->l4_len);
    if (p->mac_src)
        TC_CHECK(row, p->mac_src >= buf && p->mac_src + 6 <= end);
    if (p->mac_dst)
        TC_CHECK(row, p->mac_dst >= buf && p->mac_dst + 6 <= end);
}

/* 20,000 random buffers of 0..200 bytes, each through every link type. The first bytes are
 * biased towards plausible headers now and then so decoding gets past the first layer. */
static void test_dec_random_bytes_no_crash(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    cfg.max_layers = 8;
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    uint64_t seed = 0x6d616d6f72692121ull;
    char name[64];
    uint64_t decoded = 0;
    for (int i = 0; i < 20000; i++) {
        size_t len = (size_t)(tc_rand(&seed) % 201);
        uint8_t tmp[200];
        for (size_t k = 0; k < len; k++)
            tmp[k] = (uint8_t)tc_rand(&seed);
        /* Bias some buffers towards a plausible IPv4/IPv6 header at offset 0 or 14 (raw or
         * Ethernet) with a matching length field, so that decoding often reaches the
         * transport, ICMP quotes, tunnels and defrag. */
        uint64_t bias = tc_rand(&seed) % 4;
        size_t at = (bias == 1) ? 14 : 0;
        if (bias != 0 && bias != 3 && len >= at + 40) {
            bool v6 = tc_rand(&seed) & 1;
            if (at) {
                tmp[12] = v6 ? 0x86 : 0x08;
                tmp[13] = v6 ? 0xdd : 0x00;
            }
            size_t ip_len = len - at;
            static const uint8_t protos[] = {1, 4, 6, 17, 41, 47, 58, 0, 43, 44, 60, 51};
            uint8_t proto = protos[tc_rand(&seed) % sizeof protos];
            if (v6) {
                tmp[at] = (uint8_t)(0x60 | (tmp[at] & 0x0f));
                tmp[at + 4] = (uint8_t)((ip_len - 40) >> 8);
                tmp[at + 5] = (uint8_t)(ip_len - 40);
                tmp[at + 6] = proto;
            } else {
                tmp[at] = 0x45;
                tmp[at + 2] = (uint8_t)(ip_len >> 8);
                tmp[at + 3] = (uint8_t)ip_len;
                if (tc_rand(&seed) % 4)
                    tmp[at + 6] = tmp[at + 7] = 0; /* mostly unfragmented */
                tmp[at + 9] = proto;
            }
        }
        for (size_t l = 0; l < MM_ARRAY_LEN(all_links); l++) {
            uint8_t *copy = malloc(len ? len : 1);
            assert_non_null(copy);
            if (len)
                memcpy(copy, tmp, len);
            struct packet p;
            memset(&p, 0, sizeof p);
            p.data = len ? copy : NULL;
            p.caplen = (uint32_t)len;
            p.wirelen = (uint32_t)len + (uint32_t)(tc_rand(&seed) % 2) * 100u;
            p.ts_ns = (uint64_t)(unsigned)i * 1000000ull;
            p.linktype = all_links[l];
            dec_packet(ctx, &p);
            decoded++;
            snprintf(name, sizeof name, "buffer %d link %d", i, all_links[l]);
            check_invariants(name, &p, copy, len);
            free(copy);
            if (tc_failures() > 20)
                break;
        }
        if (i % 1000 == 0)
            dec_expire(ctx, (uint64_t)(unsigned)i * 1000000ull);
    }
    assert_int_equal(dec_get_stats(ctx)->pkts, decoded);
    const struct dec_stats *st = dec_get_stats(ctx);
    assert_true(st->ipv4 > 1000 && st->ipv6 > 1000 && st->tcp + st->udp > 100);
    dec_ctx_free(ctx);
    tc_done();
}

/* Valid packets of every kind with 1..4 random bytes changed and a random cut: this reaches
 * the inner layers (options, extension headers, ICMP quotes, tunnels, fragments) far more
 * often than random bytes do. */
static void test_dec_mutated_packets_no_crash(void **state)
{
    (void)state;
    static void (*const templates[])(struct pb *) = {
        snap_tcp4, snap_udp4,   snap_tcp6,  snap_udp6,   snap_icmp4, snap_icmp6,
        snap_gre,  frag4_first, frag4_last, frag6_first, frag6_last};
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    cfg.defrag_memcap_bytes = 1u << 16;
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    uint64_t seed = 42;
    char name[64];
    for (int i = 0; i < 20000; i++) {
        templates[i % (int)MM_ARRAY_LEN(templates)](&b);
        size_t len = pb_len(&b);
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, pb_data(&b), len);
        int nmut = 1 + (int)(tc_rand(&seed) % 4);
        for (int m = 0; m < nmut; m++) {
            uint64_t r = tc_rand(&seed);
            size_t at = (size_t)(r % len);
            /* bias towards the header bytes and towards fragment bits */
            if ((r >> 32) % 3 == 0)
                at = (size_t)((r >> 8) % (len < 60 ? len : 60));
            copy[at] = (uint8_t)(r >> 40);
        }
        if (tc_rand(&seed) % 4 == 0)
            copy[14 + 6] |= 0x20; /* IPv4 MF (or a byte of the IPv6 header) */
        size_t cut = len;
        if (tc_rand(&seed) % 3 == 0)
            cut = (size_t)(tc_rand(&seed) % (len + 1));
        uint8_t *exact = malloc(cut ? cut : 1);
        assert_non_null(exact);
        if (cut)
            memcpy(exact, copy, cut);
        free(copy);
        struct packet p;
        memset(&p, 0, sizeof p);
        p.data = cut ? exact : NULL;
        p.caplen = (uint32_t)cut;
        p.wirelen = (uint32_t)((tc_rand(&seed) & 1) ? cut : len);
        p.ts_ns = (uint64_t)(unsigned)i * 10000000ull;
        p.linktype = L_ETH;
        dec_packet(ctx, &p);
        snprintf(name, sizeof name, "mutation %d", i);
        check_invariants(name, &p, exact, cut);
        free(exact);
        if (i % 500 == 0)
            dec_expire(ctx, p.ts_ns);
        if (tc_failures() > 20)
            break;
    }
    size_t used, limit;
    uint64_t hits;
    dec_defrag_mem(ctx, &used, &limit, &hits);
    assert_true(used <= limit);
    const struct dec_stats *st = dec_get_stats(ctx);
    /* not vacuous: the mutations reached every transport, tunnels and reassembly */
    assert_true(st->tcp > 100 && st->udp > 100 && st->icmpv4 > 100 && st->icmpv6 > 100);
    assert_true(st->gre > 100 && st->vlan > 100);
    assert_true(st->ipv4_frag > 100 && st->ipv6_frag > 100 && st->frag_reassembled > 10);
    dec_ctx_free(ctx);
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_snaplen_every_cut),
        cmocka_unit_test(test_dec_snaplen_invalid_counted),
        cmocka_unit_test(test_dec_event_counter_once_per_packet),
        cmocka_unit_test(test_dec_stats_pkts_bytes),
        cmocka_unit_test(test_dec_event_names),
        cmocka_unit_test(test_dec_proto_and_addr_names),
        cmocka_unit_test(test_dec_random_bytes_no_crash),
        cmocka_unit_test(test_dec_mutated_packets_no_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
