/*
 * Link layers: src/decode/eth.c (Ethernet II, 802.1Q/802.1ad VLAN tags, PPPoE sessions, MPLS,
 * Ethernet padding),
 * sll.c (Linux cooked v1/v2), null.c (BSD NULL/LOOP, raw IP) and the link-type dispatch in
 * decode.c, including LINKTYPE_IPV4/IPV6 and the DLT 12/14 aliases of raw IP.
 *
 * Every row carries the same IPv4 or IPv6 UDP datagram ("hello", 1234 -> 53) under a
 * different link header, so a row that decodes must show the same network and transport
 * fields; rows that must not decode name the event they expect.
 */
#include "decode/decode.h"

#include "core/mm.h"
#include "testlib/pktbuild.h"
#include "testlib/tcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

/* clang-format off */
#define OK4                                                                                        \
    {.ip_ver = 4, .proto = 17, .sport = 1234, .dport = 53, .flags_on = PKT_F_L4,                   \
     .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD | PKT_F_IPV4_CSUM_BAD}
#define OK6                                                                                        \
    {.ip_ver = 6, .proto = 17, .sport = 1234, .dport = 53, .flags_on = PKT_F_L4,                   \
     .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD}
#define BAD(e) {.flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4, .ev = {e}}
#define NOIP {.flags_off = PKT_F_INVALID | PKT_F_L4}
/* clang-format on */

/* IPv4 10.0.0.1 -> 10.0.0.2 | UDP 1234 -> 53 | "hello" */
static void udp4(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "hello", 5);
    pb_udp(b, 1234, 53);
    pb_ipv4(b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), PB_UDP);
}

/* IPv6 2001:db8::1 -> 2001:db8::2 | UDP 1234 -> 53 | "hello" */
static void udp6(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "hello", 5);
    pb_udp(b, 1234, 53);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", PB_UDP);
}

/* Ethernet II (type 0x0800) | IPv4 UDP */
static void eth4(struct pb *b)
{
    udp4(b);
    pb_eth(b, PB_ETH_IPV4);
}
/* Ethernet II (type 0x86dd) | IPv6 UDP */
static void eth6(struct pb *b)
{
    udp6(b);
    pb_eth(b, PB_ETH_IPV6);
}
/* SLL (halen 6, protocol 0x0800) | IPv4 UDP */
static void sll4(struct pb *b)
{
    udp4(b);
    pb_sll(b, PB_ETH_IPV4);
}
/* SLL (protocol 0x86dd) | IPv6 UDP */
static void sll6(struct pb *b)
{
    udp6(b);
    pb_sll(b, PB_ETH_IPV6);
}
/* SLL2 (protocol 0x0800) | IPv4 UDP */
static void sll2_4(struct pb *b)
{
    udp4(b);
    pb_sll2(b, PB_ETH_IPV4);
}
/* SLL2 (protocol 0x86dd) | IPv6 UDP */
static void sll2_6(struct pb *b)
{
    udp6(b);
    pb_sll2(b, PB_ETH_IPV6);
}
/* NULL family 2 little-endian (02 00 00 00) | IPv4 UDP */
static void null4_le(struct pb *b)
{
    udp4(b);
    pb_null(b, 2, false);
}
/* NULL family 2 written by a big-endian host (00 00 00 02) | IPv4 UDP */
static void null4_be(struct pb *b)
{
    udp4(b);
    pb_null(b, 2, true);
}
/* NULL family 10 (Linux AF_INET6) LE | IPv6 UDP */
static void null6_10(struct pb *b)
{
    udp6(b);
    pb_null(b, 10, false);
}
/* NULL family 24 (NetBSD/OpenBSD AF_INET6) LE | IPv6 UDP */
static void null6_24(struct pb *b)
{
    udp6(b);
    pb_null(b, 24, false);
}
/* NULL family 28 (FreeBSD AF_INET6) LE | IPv6 UDP */
static void null6_28(struct pb *b)
{
    udp6(b);
    pb_null(b, 28, false);
}
/* NULL family 30 (macOS AF_INET6) LE | IPv6 UDP */
static void null6_30(struct pb *b)
{
    udp6(b);
    pb_null(b, 30, false);
}
/* NULL family 30 big-endian | IPv6 UDP */
static void null6_30be(struct pb *b)
{
    udp6(b);
    pb_null(b, 30, true);
}
/* NULL family 7 (not an IP family) | IPv4 UDP */
static void null_af7(struct pb *b)
{
    udp4(b);
    pb_null(b, 7, false);
}
/* LOOP family 2 network order | IPv4 UDP */
static void loop4(struct pb *b)
{
    udp4(b);
    pb_null(b, 2, true);
}
/* LOOP family 24 network order | IPv6 UDP */
static void loop6(struct pb *b)
{
    udp6(b);
    pb_null(b, 24, true);
}
/* LOOP but the family is little-endian (02 00 00 00 = 0x02000000): not a family */
static void loop4_le(struct pb *b)
{
    udp4(b);
    pb_null(b, 2, false);
}
/* raw IPv4 UDP (no link header) */
static void raw4(struct pb *b)
{
    udp4(b);
}
/* raw IPv6 UDP (no link header) */
static void raw6(struct pb *b)
{
    udp6(b);
}
/* raw: IPv4 UDP with the version nibble changed to 5 */
static void raw_v5(struct pb *b)
{
    udp4(b);
    *pb_at(b, 0) = 0x55;
}
/* LINKTYPE_IPV4 given an IPv6 packet */
static void v6_bytes(struct pb *b)
{
    udp6(b);
}
/* LINKTYPE_IPV6 given an IPv4 UDP packet of 45 bytes (long enough for an IPv6 header) */
static void v4_long(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 17, 0);
    pb_udp(b, 1234, 53);
    pb_ipv4(b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), PB_UDP);
}

/* Ethernet | 802.1Q TCI 0xe064 (PCP 7, VID 100) | IPv4 UDP */
static void vlan1(struct pb *b)
{
    udp4(b);
    pb_vlan(b, 0xe064, PB_ETH_IPV4);
    pb_eth(b, PB_ETH_VLAN);
}

/* Ethernet | 802.1ad S-tag VID 200 | 802.1Q C-tag VID 100 | IPv4 UDP */
static void qinq(struct pb *b)
{
    udp4(b);
    pb_vlan(b, 100, PB_ETH_IPV4);
    pb_vlan(b, 200, PB_ETH_VLAN);
    pb_eth(b, PB_ETH_QINQ);
}

/* Ethernet | 0x9100 (old QinQ) VID 4095 | 802.1Q VID 1 | IPv6 UDP */
static void qinq_9100(struct pb *b)
{
    udp6(b);
    pb_vlan(b, 1, PB_ETH_IPV6);
    pb_vlan(b, 4095, PB_ETH_VLAN);
    pb_eth(b, 0x9100);
}

/* Ethernet | 802.1Q VID 10 | 802.1Q VID 20 | IPv4 UDP (two C-tags) */
static void dot1q_twice(struct pb *b)
{
    udp4(b);
    pb_vlan(b, 20, PB_ETH_IPV4);
    pb_vlan(b, 10, PB_ETH_VLAN);
    pb_eth(b, PB_ETH_VLAN);
}

/* Ethernet | 802.1ad VID 1 | 802.1Q VID 2 | 802.1Q VID 3 | IPv4 UDP: one tag too many */
static void vlan3(struct pb *b)
{
    udp4(b);
    pb_vlan(b, 3, PB_ETH_IPV4);
    pb_vlan(b, 2, PB_ETH_VLAN);
    pb_vlan(b, 1, PB_ETH_VLAN);
    pb_eth(b, PB_ETH_QINQ);
}

/* SLL (protocol 0x8100) | 802.1Q VID 42 | IPv4 UDP */
static void sll_vlan(struct pb *b)
{
    udp4(b);
    pb_vlan(b, 42, PB_ETH_IPV4);
    pb_sll(b, PB_ETH_VLAN);
}

/* Ethernet (type 0x8100) followed by only 2 bytes of tag */
static void vlan_short(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x00\x64", 2);
    pb_eth(b, PB_ETH_VLAN);
}

/* Ethernet, IPv4 UDP "hello" (43 bytes), zero-padded to the 60-byte minimum */
static void eth_pad0(struct pb *b)
{
    eth4(b);
    pb_pad_to(b, 60, 0);
}
/* Same, padded with 0xaa garbage and a 4-byte FCS (which would break the UDP checksum) */
static void eth_pad_fcs(struct pb *b)
{
    eth4(b);
    pb_pad_to(b, 60, 0xaa);
    pb_append(b, "\xde\xad\xbe\xef", 4);
}
/* Ethernet, IPv6 UDP followed by a 4-byte FCS trailer */
static void eth6_fcs(struct pb *b)
{
    eth6(b);
    pb_append(b, "\x01\x02\x03\x04", 4);
}

/* Ethernet (0x8864) | PPPoE session 1 | PPP 0x0021 | IPv4 UDP */
static void pppoe4(struct pb *b)
{
    udp4(b);
    pb_pppoe(b, 0x0021);
    pb_eth(b, 0x8864);
}
/* Ethernet (0x8864) | PPPoE session 1 | PPP 0x0057 | IPv6 UDP */
static void pppoe6(struct pb *b)
{
    udp6(b);
    pb_pppoe(b, 0x0057);
    pb_eth(b, 0x8864);
}
/* Ethernet | PPPoE session | PPP 0xc021 (LCP) echo request: not IP */
static void pppoe_lcp(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x09\x01\x00\x08\x00\x00\x00\x00", 8);
    pb_pppoe(b, 0xc021);
    pb_eth(b, 0x8864);
}
/* Ethernet | PPPoE session header with code 0x09 (a discovery code) | IPv4 UDP */
static void pppoe_code(struct pb *b)
{
    pppoe4(b);
    *pb_at(b, 14 + 1) = 0x09;
}
/* Ethernet | 7 bytes of PPPoE session header */
static void pppoe_short(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x11\x00\x00\x01\x00\x02\x00", 7);
    pb_eth(b, 0x8864);
}
/* Ethernet (0x8847) | MPLS label 100 (bottom) | IPv4 UDP */
static void mpls1(struct pb *b)
{
    udp4(b);
    pb_mpls(b, 100, true);
    pb_eth(b, 0x8847);
}
/* Ethernet (0x8848) | MPLS 16 | MPLS 17 (bottom) | IPv6 UDP */
static void mpls2(struct pb *b)
{
    udp6(b);
    pb_mpls(b, 17, true);
    pb_mpls(b, 16, false);
    pb_eth(b, 0x8848);
}
/* Ethernet | 17 MPLS labels, none marked bottom of stack | IPv4 UDP */
static void mpls_deep(struct pb *b)
{
    udp4(b);
    for (uint32_t i = 0; i < 17; i++)
        pb_mpls(b, i, false);
    pb_eth(b, 0x8847);
}
/* Ethernet | MPLS label cut to 2 bytes */
static void mpls_short(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x00\x06", 2);
    pb_eth(b, 0x8847);
}
/* Ethernet | MPLS (bottom) | pseudowire control word 0x00000000 | 20 bytes */
static void mpls_pw(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 20, 0);
    pb_bytes(b, "\x00\x00\x00\x00", 4);
    pb_mpls(b, 200, true);
    pb_eth(b, 0x8847);
}

/* Ethernet 13 bytes (one short of a header) */
static void eth13(struct pb *b)
{
    eth4(b);
    b->end = b->start + 13;
}
/* SLL 15 bytes */
static void sll15(struct pb *b)
{
    sll4(b);
    b->end = b->start + 15;
}
/* SLL2 19 bytes */
static void sll2_19(struct pb *b)
{
    sll2_4(b);
    b->end = b->start + 19;
}
/* NULL 3 bytes */
static void null3(struct pb *b)
{
    null4_le(b);
    b->end = b->start + 3;
}
/* nothing at all */
static void empty(struct pb *b)
{
    pb_init(b);
}

/* Ethernet | LLDP (0x88cc) 10 bytes: a known non-IP type, no anomaly */
static void eth_lldp(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 10, 1);
    pb_eth(b, 0x88cc);
}
/* 802.3 frame: type field 0x002e is a length, LLC follows */
static void eth_8023(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 46, 1);
    pb_eth(b, 0x002e);
}
/* Ethernet | ethertype 0x88b5 (local experimental): unknown */
static void eth_unknown(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 46, 1);
    pb_eth(b, 0x88b5);
}

/*
 * Ethernet | ARP request who-has 10.0.0.2 tell 10.0.0.1
 *   ff:ff:ff:ff:ff:ff <- 00:11:22:33:44:55, type 0x0806
 *   htype 1, ptype 0x0800, hlen 6, plen 4, oper 1
 *   sha 00:11:22:33:44:55 spa 10.0.0.1 tha 00:00:00:00:00:00 tpa 10.0.0.2
 */
/* clang-format off */
static const uint8_t arp_request[] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
    0x0a, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
};
/* clang-format on */

/*
 * LINKTYPE_NULL, family 2 (LE) | IPv4 127.0.0.1 -> 127.0.0.1, TTL 64, proto UDP, csum ok
 * | UDP 5353 -> 5353, length 8, checksum 0 (none) | no payload
 */
/* clang-format off */
static const uint8_t null_lo_udp[] = {
    0x02, 0x00, 0x00, 0x00,
    0x45, 0x00, 0x00, 0x1c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x3c, 0xcf,
    0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
    0x14, 0xe9, 0x14, 0xe9, 0x00, 0x08, 0x00, 0x00,
};
/* clang-format on */

struct link_row {
    const char *name;
    int linktype;
    void (*build)(struct pb *b);
    const uint8_t *bytes; /* used when build is NULL */
    size_t len;
    struct want w;
    uint8_t vlan_count;
    uint16_t vlan[PKT_MAX_VLANS];
    uint32_t payload_len; /* checked when the row expects PKT_F_L4 */
};

/* clang-format off */
static const struct link_row link_rows[] = {
    {"ethernet ipv4", L_ETH, eth4, NULL, 0, OK4, 0, {0}, 5},
    {"ethernet ipv6", L_ETH, eth6, NULL, 0, OK6, 0, {0}, 5},
    {"sll ipv4", L_SLL, sll4, NULL, 0, OK4, 0, {0}, 5},
    {"sll ipv6", L_SLL, sll6, NULL, 0, OK6, 0, {0}, 5},
    {"sll2 ipv4", L_SLL2, sll2_4, NULL, 0, OK4, 0, {0}, 5},
    {"sll2 ipv6", L_SLL2, sll2_6, NULL, 0, OK6, 0, {0}, 5},
    {"null AF_INET little-endian", L_NULL, null4_le, NULL, 0, OK4, 0, {0}, 5},
    {"null AF_INET big-endian writer", L_NULL, null4_be, NULL, 0, OK4, 0, {0}, 5},
    {"null AF_INET6 10 (linux)", L_NULL, null6_10, NULL, 0, OK6, 0, {0}, 5},
    {"null AF_INET6 24 (netbsd)", L_NULL, null6_24, NULL, 0, OK6, 0, {0}, 5},
    {"null AF_INET6 28 (freebsd)", L_NULL, null6_28, NULL, 0, OK6, 0, {0}, 5},
    {"null AF_INET6 30 (macos)", L_NULL, null6_30, NULL, 0, OK6, 0, {0}, 5},
    {"null AF_INET6 30 big-endian", L_NULL, null6_30be, NULL, 0, OK6, 0, {0}, 5},
    {"null family 7", L_NULL, null_af7, NULL, 0, BAD(DEC_EV_NULL_UNSUPPORTED_TYPE), 0, {0}, 0},
    {"null literal loopback udp", L_NULL, NULL, null_lo_udp, sizeof null_lo_udp,
     {.ip_ver = 4, .proto = 17, .sport = 5353, .dport = 5353, .flags_on = PKT_F_L4,
      .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD | PKT_F_IPV4_CSUM_BAD}, 0, {0}, 0},
    {"loop AF_INET", L_LOOP, loop4, NULL, 0, OK4, 0, {0}, 5},
    {"loop AF_INET6 24", L_LOOP, loop6, NULL, 0, OK6, 0, {0}, 5},
    {"loop little-endian family", L_LOOP, loop4_le, NULL, 0, BAD(DEC_EV_NULL_UNSUPPORTED_TYPE), 0,
     {0}, 0},
    {"raw ipv4", L_RAW, raw4, NULL, 0, OK4, 0, {0}, 5},
    {"raw ipv6", L_RAW, raw6, NULL, 0, OK6, 0, {0}, 5},
    {"raw dlt 12", 12, raw4, NULL, 0, OK4, 0, {0}, 5},
    {"raw dlt 14", 14, raw6, NULL, 0, OK6, 0, {0}, 5},
    {"raw version 5", L_RAW, raw_v5, NULL, 0, BAD(DEC_EV_RAW_INVALID_IPV), 0, {0}, 0},
    {"raw empty", L_RAW, empty, NULL, 0, BAD(DEC_EV_RAW_INVALID_IPV), 0, {0}, 0},
    {"linktype ipv4", L_IPV4, raw4, NULL, 0, OK4, 0, {0}, 5},
    {"linktype ipv6", L_IPV6, raw6, NULL, 0, OK6, 0, {0}, 5},
    {"linktype ipv4 carrying ipv6", L_IPV4, v6_bytes, NULL, 0, BAD(DEC_EV_IPV4_WRONG_IP_VER), 0,
     {0}, 0},
    {"linktype ipv6 carrying ipv4", L_IPV6, v4_long, NULL, 0, BAD(DEC_EV_IPV6_WRONG_IP_VER), 0, {0},
     0},
    {"unsupported linktype 147", 147, eth4, NULL, 0, BAD(DEC_EV_UNSUPPORTED_LINKTYPE), 0, {0}, 0},
    {"vlan 100 with pcp", L_ETH, vlan1, NULL, 0, OK4, 1, {100}, 5},
    {"qinq 88a8 200 / 8100 100", L_ETH, qinq, NULL, 0, OK4, 2, {200, 100}, 5},
    {"qinq 9100 4095 / 8100 1 ipv6", L_ETH, qinq_9100, NULL, 0, OK6, 2, {4095, 1}, 5},
    {"two 802.1q tags", L_ETH, dot1q_twice, NULL, 0, OK4, 2, {10, 20}, 5},
    {"three vlan tags", L_ETH, vlan3, NULL, 0, BAD(DEC_EV_VLAN_TOO_MANY_LAYERS), 2, {1, 2}, 0},
    {"sll with vlan", L_SLL, sll_vlan, NULL, 0, OK4, 1, {42}, 5},
    {"vlan tag truncated", L_ETH, vlan_short, NULL, 0, BAD(DEC_EV_VLAN_HEADER_TOO_SMALL), 0, {0},
     0},
    {"pppoe ipv4", L_ETH, pppoe4, NULL, 0, OK4, 0, {0}, 5},
    {"pppoe ipv6", L_ETH, pppoe6, NULL, 0, OK6, 0, {0}, 5},
    {"pppoe lcp", L_ETH, pppoe_lcp, NULL, 0, NOIP, 0, {0}, 0},
    {"pppoe wrong code", L_ETH, pppoe_code, NULL, 0, BAD(DEC_EV_PPPOE_WRONG_CODE), 0, {0}, 0},
    {"pppoe 7 bytes", L_ETH, pppoe_short, NULL, 0, BAD(DEC_EV_PPPOE_PKT_TOO_SMALL), 0, {0}, 0},
    {"mpls one label", L_ETH, mpls1, NULL, 0, OK4, 0, {0}, 5},
    {"mpls two labels ipv6", L_ETH, mpls2, NULL, 0, OK6, 0, {0}, 5},
    {"mpls 17 labels", L_ETH, mpls_deep, NULL, 0, BAD(DEC_EV_MPLS_HEADER_TOO_SMALL), 0, {0}, 0},
    {"mpls label cut", L_ETH, mpls_short, NULL, 0, BAD(DEC_EV_MPLS_HEADER_TOO_SMALL), 0, {0}, 0},
    {"mpls pseudowire", L_ETH, mpls_pw, NULL, 0, NOIP, 0, {0}, 0},
    {"ethernet zero padding", L_ETH, eth_pad0, NULL, 0, OK4, 0, {0}, 5},
    {"ethernet garbage padding + fcs", L_ETH, eth_pad_fcs, NULL, 0, OK4, 0, {0}, 5},
    {"ethernet ipv6 + fcs", L_ETH, eth6_fcs, NULL, 0, OK6, 0, {0}, 5},
    {"ethernet 13 bytes", L_ETH, eth13, NULL, 0, BAD(DEC_EV_ETH_PKT_TOO_SMALL), 0, {0}, 0},
    {"ethernet empty", L_ETH, empty, NULL, 0, BAD(DEC_EV_ETH_PKT_TOO_SMALL), 0, {0}, 0},
    {"sll 15 bytes", L_SLL, sll15, NULL, 0, BAD(DEC_EV_SLL_PKT_TOO_SMALL), 0, {0}, 0},
    {"sll2 19 bytes", L_SLL2, sll2_19, NULL, 0, BAD(DEC_EV_SLL2_PKT_TOO_SMALL), 0, {0}, 0},
    {"null 3 bytes", L_NULL, null3, NULL, 0, BAD(DEC_EV_NULL_PKT_TOO_SMALL), 0, {0}, 0},
    {"loop 3 bytes", L_LOOP, null3, NULL, 0, BAD(DEC_EV_NULL_PKT_TOO_SMALL), 0, {0}, 0},
    {"ethernet arp", L_ETH, NULL, arp_request, sizeof arp_request, NOIP, 0, {0}, 0},
    {"ethernet lldp", L_ETH, eth_lldp, NULL, 0, NOIP, 0, {0}, 0},
    {"ethernet 802.3 length", L_ETH, eth_8023, NULL, 0, NOIP, 0, {0}, 0},
    {"ethernet unknown ethertype", L_ETH, eth_unknown, NULL, 0,
     {.flags_off = PKT_F_L4, .ev = {DEC_EV_ETH_UNKNOWN_ETHERTYPE}}, 0, {0}, 0},
};
/* clang-format on */

static void test_dec_link_table(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    assert_non_null(ctx);
    static struct pb b;
    struct tpkt t = {0};
    for (size_t i = 0; i < MM_ARRAY_LEN(link_rows); i++) {
        const struct link_row *r = &link_rows[i];
        const uint8_t *d = r->bytes;
        size_t len = r->len;
        if (r->build) {
            r->build(&b);
            d = pb_data(&b);
            len = pb_len(&b);
        }
        tp_decode(ctx, &t, r->linktype, d, len, 0, 1000);
        const struct packet *p = &t.p;
        tc_check_want(r->name, p, &r->w);
        TC_EQ(r->name, p->vlan_count, r->vlan_count);
        for (unsigned v = 0; v < PKT_MAX_VLANS; v++)
            TC_EQ(r->name, p->vlan[v], r->vlan[v]);
        if (r->w.flags_on & PKT_F_L4) {
            TC_EQ(r->name, p->payload_len, r->payload_len);
            if (r->payload_len == 5)
                TC_CHECK(r->name, p->payload && memcmp(p->payload, "hello", 5) == 0);
            /* The IP length field, not the frame, bounds the datagram. */
            TC_EQ(r->name, p->l3_len, (p->ip_ver == 4 ? 20u : 40u) + 8 + r->payload_len);
        }
        if (r->w.ip_ver == 4 && r->payload_len == 5) {
            struct mm_addr s = tc_addr4(IP4(10, 0, 0, 1)), dd = tc_addr4(IP4(10, 0, 0, 2));
            TC_CHECK(r->name, tc_addr_eq(&p->src, &s) && tc_addr_eq(&p->dst, &dd));
        } else if (r->w.ip_ver == 6) {
            struct mm_addr s = tc_addr6("2001:db8::1"), dd = tc_addr6("2001:db8::2");
            TC_CHECK(r->name, tc_addr_eq(&p->src, &s) && tc_addr_eq(&p->dst, &dd));
        }
        TC_EQ(r->name, p->tunnel_depth, 0);
    }
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

/* MAC pointers: the outermost Ethernet addresses, or SLL's single address as the source. */
static void test_dec_link_mac_pointers(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};

    eth4(&b);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    assert_ptr_equal(t.p.mac_dst, t.copy);
    assert_ptr_equal(t.p.mac_src, t.copy + 6);

    sll4(&b);
    tp_decode(ctx, &t, L_SLL, pb_data(&b), pb_len(&b), 0, 1);
    assert_null(t.p.mac_dst);
    assert_ptr_equal(t.p.mac_src, t.copy + 6);

    sll2_4(&b);
    tp_decode(ctx, &t, L_SLL2, pb_data(&b), pb_len(&b), 0, 1);
    assert_ptr_equal(t.p.mac_src, t.copy + 12);

    raw4(&b);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
    assert_null(t.p.mac_src);
    assert_null(t.p.mac_dst);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* Per-link and per-protocol counters. */
static void test_dec_link_counters(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};

    qinq(&b);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    vlan1(&b);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 2);
    sll4(&b);
    tp_decode(ctx, &t, L_SLL, pb_data(&b), pb_len(&b), 0, 3);
    sll2_6(&b);
    tp_decode(ctx, &t, L_SLL2, pb_data(&b), pb_len(&b), 0, 4);
    loop4(&b);
    tp_decode(ctx, &t, L_LOOP, pb_data(&b), pb_len(&b), 0, 5);
    raw6(&b);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 6);
    tp_decode(ctx, &t, L_ETH, arp_request, sizeof arp_request, 0, 7);
    eth_lldp(&b);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 8);
    pppoe4(&b);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 9);
    mpls2(&b);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 10);

    const struct dec_stats *st = dec_get_stats(ctx);
    assert_int_equal(st->pkts, 10);
    assert_int_equal(st->ethernet, 6);
    assert_int_equal(st->pppoe, 1);
    assert_int_equal(st->mpls, 1);
    assert_int_equal(st->vlan, 3);      /* two tags + one tag */
    assert_int_equal(st->vlan_qinq, 1); /* the 0x88a8 tag */
    assert_int_equal(st->sll, 1);
    assert_int_equal(st->sll2, 1);
    assert_int_equal(st->null, 1);
    assert_int_equal(st->raw, 1);
    assert_int_equal(st->arp, 1);
    assert_int_equal(st->other_l3, 1);
    assert_int_equal(st->ipv4, 5);
    assert_int_equal(st->ipv6, 3);
    assert_int_equal(st->udp, 8);
    assert_int_equal(st->invalid, 0);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* dec_packet resets every decoded field even when the caller leaves stale values there. */
static void test_dec_packet_resets_stale_fields(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    struct packet p;
    memset(&p, 0xa5, sizeof p);
    p.data = arp_request;
    p.caplen = p.wirelen = sizeof arp_request;
    p.ts_ns = 1;
    p.pkt_no = 1;
    p.linktype = L_ETH;
    p.iface = 0;
    dec_packet(ctx, &p);
    assert_int_equal(p.flags, PKT_F_ARP); /* the only thing an ARP request sets */
    assert_int_equal(p.ip_ver, 0);
    assert_int_equal(p.n_events, 0);
    assert_int_equal(p.vlan_count, 0);
    assert_int_equal(p.tunnel_depth, 0);
    assert_null(p.l3);
    assert_null(p.l4);
    assert_null(p.payload);
    assert_null(p.flow);
    assert_ptr_equal(p.data, arp_request); /* capture fields untouched */
    assert_int_equal(p.caplen, sizeof arp_request);
    dec_ctx_free(ctx);
}

/* ARP for IPv4 over Ethernet: requests and replies decoded into p->arp (scan detection);
 * anything else that says ARP is left alone. */
static void test_dec_arp(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    uint8_t f[64];
    struct packet p;
    static const uint8_t sha[6] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55}, zero6[6] = {0};
    static const uint8_t spa[4] = {10, 0, 0, 1}, tpa[4] = {10, 0, 0, 2};
    struct {
        const char *name;
        size_t at; /* byte to change (0: none) */
        uint8_t value;
        size_t len; /* frame length */
        bool decoded;
        uint16_t op;
    } rows[] = {
        {"request", 0, 0, sizeof arp_request, true, 1},
        {"reply", 21, 2, sizeof arp_request, true, 2},
        {"rarp opcode 3", 21, 3, sizeof arp_request, false, 0},
        {"opcode 0x0101", 20, 1, sizeof arp_request, false, 0},
        {"hardware type 6", 15, 6, sizeof arp_request, false, 0},
        {"protocol ipv6", 16, 0x86, sizeof arp_request, false, 0},
        {"hardware length 8", 18, 8, sizeof arp_request, false, 0},
        {"protocol length 16", 19, 16, sizeof arp_request, false, 0},
        {"27 bytes of arp", 0, 0, 14 + 27, false, 0},
        {"padded to 60 bytes", 0, 0, 60, true, 1},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        memset(f, 0, sizeof f);
        memcpy(f, arp_request, sizeof arp_request);
        if (rows[i].at)
            f[rows[i].at] = rows[i].value;
        memset(&p, 0, sizeof p);
        p.data = f;
        p.caplen = p.wirelen = (uint32_t)rows[i].len;
        p.linktype = L_ETH;
        dec_packet(ctx, &p);
        if (!rows[i].decoded) {
            if (p.flags & PKT_F_ARP)
                fail_msg("%s: decoded", rows[i].name);
            continue;
        }
        if (!(p.flags & PKT_F_ARP) || p.arp.op != rows[i].op)
            fail_msg("%s: not decoded as op %u", rows[i].name, rows[i].op);
        assert_memory_equal(p.arp.sha, sha, 6);
        assert_memory_equal(p.arp.tha, zero6, 6);
        assert_memory_equal(p.arp.spa, spa, 4);
        assert_memory_equal(p.arp.tpa, tpa, 4);
        assert_int_equal(p.ip_ver, 0);
        assert_int_equal(p.n_events, 0);
    }
    /* behind a VLAN tag */
    memset(f, 0, sizeof f);
    memcpy(f, arp_request, 12);
    f[12] = 0x81, f[13] = 0x00, f[14] = 0x00, f[15] = 0x0a;
    memcpy(f + 16, arp_request + 12, sizeof arp_request - 12);
    memset(&p, 0, sizeof p);
    p.data = f;
    p.caplen = p.wirelen = sizeof arp_request + 4;
    p.linktype = L_ETH;
    dec_packet(ctx, &p);
    assert_true(p.flags & PKT_F_ARP);
    assert_int_equal(p.vlan_count, 1);
    assert_memory_equal(p.arp.tpa, tpa, 4);
    dec_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_arp),
        cmocka_unit_test(test_dec_link_table),
        cmocka_unit_test(test_dec_link_mac_pointers),
        cmocka_unit_test(test_dec_link_counters),
        cmocka_unit_test(test_dec_packet_resets_stale_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
