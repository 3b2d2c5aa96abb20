/*
 * Test packet builder for the decode and flow unit tests.
 *
 * Packets are built from the inside out: the payload first, then each header is prepended,
 * so every header knows the length of what it carries. TCP, UDP and ICMPv6 checksums need
 * the IP pseudo-header, so they stay pending until the next pb_ipv4()/pb_ipv6() fills them
 * in; ICMPv4 checksums are computed at once. Checksums are computed here with a plain
 * RFC 1071 loop, independently of src/decode/checksum.c.
 *
 *   struct pb b;
 *   pb_init(&b);
 *   pb_bytes(&b, "hello", 5);
 *   pb_udp(&b, 1234, 53);
 *   pb_ipv4(&b, IP4(10, 0, 0, 1), IP4(10, 0, 0, 2), PB_UDP);
 *   pb_eth(&b, PB_ETH_IPV4);
 *   ... pb_data(&b), pb_len(&b)
 *
 * Anything malformed is made by building the good packet and then editing bytes through
 * pb_at(); pb_fix_ipv4_csum() recomputes an edited IPv4 header checksum.
 */
#ifndef MM_TESTS_PKTBUILD_H
#define MM_TESTS_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_CAP 70000u /* room for a 65535-byte datagram plus headers */
#define PB_TAIL 1024u /* room after the content for pb_append() (padding, trailers) */

enum {
    PB_ICMP = 1,
    PB_IPIP = 4,
    PB_TCP = 6,
    PB_UDP = 17,
    PB_IPV6 = 41,
    PB_GRE = 47,
    PB_ICMPV6 = 58
};
enum {
    PB_ETH_IPV4 = 0x0800,
    PB_ETH_ARP = 0x0806,
    PB_ETH_VLAN = 0x8100,
    PB_ETH_QINQ = 0x88a8,
    PB_ETH_IPV6 = 0x86dd,
    PB_ETH_TEB = 0x6558
};
enum { PB_FIN = 0x01, PB_SYN = 0x02, PB_RST = 0x04, PB_PSH = 0x08, PB_ACK = 0x10 };

/* IPv4 address a.b.c.d as a host-order integer. */
#define IP4(a, b, c, d)                                                                            \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

struct pb {
    size_t start, end; /* content is buf[start, end) */
    size_t l4_pos;     /* pending pseudo-header checksum: where the L4 header starts */
    size_t l4_len;     /* ... and how long the L4 segment is */
    uint8_t l4_proto;  /* 0 = nothing pending */
    uint8_t buf[PB_CAP];
};

void pb_init(struct pb *b);
const uint8_t *pb_data(const struct pb *b);
size_t pb_len(const struct pb *b);
/* Writable pointer to content byte `off` (0 = first byte of the current content). */
uint8_t *pb_at(struct pb *b, size_t off);

/* Prepend n zero bytes; returns a pointer to them. */
uint8_t *pb_push(struct pb *b, size_t n);
/* Prepend raw bytes (a payload, or a header written by hand). */
void pb_bytes(struct pb *b, const void *d, size_t n);
/* Prepend n bytes of the pattern (seed + i) & 0xff. */
void pb_pattern(struct pb *b, size_t n, uint8_t seed);
/* Append bytes after the content (Ethernet padding, an FCS trailer). */
void pb_append(struct pb *b, const void *d, size_t n);
/* Append `fill` bytes until the content is at least n bytes long. */
void pb_pad_to(struct pb *b, size_t n, uint8_t fill);

/* --- transport --- */
void pb_udp(struct pb *b, uint16_t sport, uint16_t dport);

struct pb_tcp {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win;        /* 0 means 65535 */
    const uint8_t *opts; /* raw option bytes, zero-padded to a multiple of 4 */
    size_t optlen;
    uint8_t doff; /* data offset override in 32-bit words (0 = computed) */
};
void pb_tcp(struct pb *b, const struct pb_tcp *t);
/* Shorthand for a TCP header without options. */
void pb_tcp_simple(struct pb *b, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                   uint32_t ack);

/* ICMPv4: type, code and the 4 bytes after the checksum (id << 16 | seq for echo). The
 * checksum covers everything built so far. */
void pb_icmp4(struct pb *b, uint8_t type, uint8_t code, uint32_t rest);
/* ICMPv6: same layout; the checksum is pending (pseudo-header). */
void pb_icmp6(struct pb *b, uint8_t type, uint8_t code, uint32_t rest);

/* --- network --- */
struct pb_ip4 {
    uint8_t ttl; /* 0 means 64 */
    uint16_t id;
    uint16_t frag;       /* flags and offset field as on the wire: 0x2000 = MF, offset/8 */
    const uint8_t *opts; /* options, zero-padded to a multiple of 4 */
    size_t optlen;
};
void pb_ipv4(struct pb *b, uint32_t src, uint32_t dst, uint8_t proto);
void pb_ipv4_ex(struct pb *b, uint32_t src, uint32_t dst, uint8_t proto, const struct pb_ip4 *o);
/* Recompute the header checksum of the IPv4 header at content offset off. */
void pb_fix_ipv4_csum(struct pb *b, size_t off);

/* IPv6 header; src/dst are text (inet_pton). */
void pb_ipv6(struct pb *b, const char *src, const char *dst, uint8_t next_header);
/* Hop-by-hop (0) or destination options (60) header: total_len bytes (multiple of 8),
 * filled with a PadN option. Its own type is given by the header that precedes it. */
void pb_ipv6_opts(struct pb *b, uint8_t next_header, size_t total_len);
/* Routing header (8 bytes, no addresses) of the given routing type. */
void pb_ipv6_rh(struct pb *b, uint8_t next_header, uint8_t routing_type, uint8_t segs_left);
/* Fragment header; offset in bytes (multiple of 8). */
void pb_ipv6_frag(struct pb *b, uint8_t next_header, uint16_t offset, bool more, uint32_t id);
/* Authentication header: 16 bytes (SPI, sequence, 4-byte ICV). */
void pb_ipv6_ah(struct pb *b, uint8_t next_header);

/* --- link and tunnels --- */
/* Ethernet II: dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb. */
void pb_eth(struct pb *b, uint16_t ethertype);
/* One 802.1Q tag (TCI = pcp << 13 | vid) followed by the inner ethertype. The outer
 * ethertype (0x8100/0x88a8/0x9100) is written by the enclosing pb_eth/pb_vlan. */
void pb_vlan(struct pb *b, uint16_t tci, uint16_t inner_type);
/* A whole Ethernet frame carrying ARP for IPv4 (starts b afresh): op 1 request, 2 reply;
 * sender and target hardware and IPv4 addresses; Ethernet destination dst, source sha. */
void pb_eth_arp(struct pb *b, uint16_t op, const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
                uint32_t tpa, const uint8_t dst[6]);
/* Linux cooked v1/v2 headers with a 6-byte address. */
void pb_sll(struct pb *b, uint16_t proto);
void pb_sll2(struct pb *b, uint16_t proto);
/* BSD loopback family word, written big- or little-endian. */
void pb_null(struct pb *b, uint32_t family, bool big_endian);
/* PPPoE session header (ver/type 0x11, code 0, session 0x0001, length) + PPP protocol. */
void pb_pppoe(struct pb *b, uint16_t ppp_proto);
/* One MPLS label stack entry (label, bottom-of-stack bit, TTL 64). */
void pb_mpls(struct pb *b, uint32_t label, bool bottom);
/* GRE (RFC 2784/2890): byte0 holds the C/R/K/S bits, ver the version. Optional fields are
 * present as the bits say (checksum 0, key 0x11223344, sequence 7). */
void pb_gre(struct pb *b, uint8_t byte0, uint8_t ver, uint16_t proto);
/* VXLAN header with the I flag and a 24-bit VNI. */
void pb_vxlan(struct pb *b, uint32_t vni);

/* --- checksum --- */
/* One's-complement sum of big-endian 16-bit words (odd byte padded), not folded. */
uint32_t pb_sum(uint32_t sum, const uint8_t *d, size_t len);
/* Fold and complement. */
uint16_t pb_csum_finish(uint32_t sum);

/* --- whole frames used by many tests --- */
/* Ethernet + IPv4 + UDP carrying plen pattern bytes. */
void pb_eth_udp4(struct pb *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                 size_t plen);
/* Ethernet + IPv4 + TCP (no options) carrying plen pattern bytes. */
void pb_eth_tcp4(struct pb *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                 uint8_t flags, size_t plen);

#endif
