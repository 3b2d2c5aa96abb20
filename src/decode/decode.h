/*
 * Packet decoding: link layer -> (tunnels) -> IPv4/IPv6 (with fragment reassembly) ->
 * TCP/UDP/ICMP. The decoder fills a `struct packet` with borrowed slices and parsed header
 * fields; it never allocates per packet (defragmentation uses memory charged to its own
 * memcap) and never fails: malformed input sets anomaly events on the packet and bumps
 * counters, then decoding stops at that layer.
 *
 * Not thread-safe: one dec_ctx per worker thread.
 */
#ifndef MM_DECODE_DECODE_H
#define MM_DECODE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dec_event {
    DEC_EV_NONE = 0,
#define X(e, name, suri) e,
#include "events.def"
#undef X
    DEC_EV_COUNT
};

/* EVE name of an event, e.g. "decoder.ipv4.trunc_pkt". */
const char *dec_event_name(enum dec_event ev);
/* True when Suricata has the same event (its stats schema has a counter for it). */
bool dec_event_in_suricata(enum dec_event ev);

/* An IP address: IPv4 in the first 4 bytes (rest zero), IPv6 in all 16. */
struct mm_addr {
    uint8_t b[16];
};

/* Packet flags (struct packet.flags). */
enum {
    PKT_F_L4 = 1u << 0, /* a TCP/UDP/ICMP header was decoded: ports/type valid */
    PKT_F_IPV4_CSUM_BAD = 1u << 1,
    PKT_F_L4_CSUM_BAD = 1u << 2,
    PKT_F_FRAGMENT = 1u << 3,    /* an IP fragment that did not complete a datagram */
    PKT_F_REASSEMBLED = 1u << 4, /* completed a datagram: l4 points into defrag memory */
    PKT_F_SNAP_TRUNC = 1u << 5,  /* caplen < wirelen: decoded as far as bytes go */
    PKT_F_INVALID = 1u << 6,     /* decoding stopped on a malformed header */
    PKT_F_TUNNELED = 1u << 7,    /* the IP layer below is inside GRE/VXLAN/IP-in-IP */
    PKT_F_ICMP_INNER = 1u << 8,  /* icmp_inner holds the header quoted by an ICMP error */
    PKT_F_ARP = 1u << 9,         /* an ARP request or reply for IPv4 over Ethernet: arp */
};

#define PKT_MAX_EVENTS 8
#define PKT_MAX_VLANS 2

/* TCP flag bits as on the wire. */
enum {
    TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08,
    TCP_ACK = 0x10, TCP_URG = 0x20, TCP_ECE = 0x40, TCP_CWR = 0x80,
};

struct tcp_opts {
    uint16_t mss;         /* valid when has_mss */
    uint8_t wscale;       /* valid when has_ws */
    uint8_t sack_blocks;  /* number of SACK blocks in this segment */
    uint32_t tsval, tsecr; /* valid when has_ts */
    bool has_mss, has_ws, has_ts, sack_permitted;
};

/* The header an ICMP error quotes (the packet that caused it), as far as it was present. */
struct icmp_inner {
    uint8_t ip_ver;  /* 4 or 6 */
    uint8_t proto;
    struct mm_addr src, dst;
    uint16_t sport, dport; /* 0 when not quoted (needs 4 bytes of L4) */
    /* The quoted ICMP header's type and code, when proto is ICMP (1 in IPv4, 58 in IPv6)
     * and its first 4 bytes are there (icmp_quoted): an error about an echo request is how
     * a router says a pinged host is unreachable. */
    bool icmp_quoted;
    uint8_t icmp_type, icmp_code;
};

/* An ARP message for IPv4 over Ethernet (RFC 826): who asks for which address, or answers. */
struct arp_info {
    uint16_t op;            /* 1 request, 2 reply */
    uint8_t sha[6], tha[6]; /* sender and target hardware addresses */
    uint8_t spa[4], tpa[4]; /* sender and target IPv4 addresses */
};

/*
 * One packet. Fields the per-packet path reads first come first. All pointers are
 * borrowed from the capture buffer (or, for PKT_F_REASSEMBLED, from the defrag context) and
 * are valid until the next dec_packet() on the same context.
 */
struct packet {
    /* from capture */
    const uint8_t *data;
    uint32_t caplen, wirelen;
    uint64_t ts_ns;
    uint64_t pkt_no;
    int linktype;
    uint32_t iface;

    /* decoded: network + transport of the innermost IP packet */
    uint32_t flags;
    uint8_t ip_ver; /* 4, 6 or 0 (no IP) */
    uint8_t proto;  /* IP protocol of l4 (after extension headers) */
    uint8_t ttl;    /* IPv4 TTL / IPv6 hop limit */
    uint8_t tcp_flags;
    uint16_t sport, dport; /* host order; for ICMP echo sport = dport = 0 (see icmp_id) */
    uint8_t icmp_type, icmp_code;
    uint16_t icmp_id;      /* echo/timestamp/info identifier; 0 otherwise */
    struct mm_addr src, dst;
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint16_t vlan[PKT_MAX_VLANS]; /* 12-bit ids, outermost first */
    uint8_t vlan_count;
    uint8_t tunnel_depth;  /* IP layers above the innermost (0 = not tunneled) */
    uint8_t n_events;
    uint16_t events[PKT_MAX_EVENTS];
    struct tcp_opts tcp_opt;
    struct icmp_inner icmp_inner;
    struct arp_info arp; /* valid with PKT_F_ARP */

    const uint8_t *mac_src, *mac_dst; /* outermost Ethernet/SLL addresses or NULL */
    const uint8_t *l3;   /* innermost IP header */
    uint32_t l3_len;     /* IP datagram length as present (trimmed to the IP length field) */
    const uint8_t *l4;   /* transport header */
    uint32_t l4_len;
    const uint8_t *payload; /* TCP/UDP payload */
    uint32_t payload_len;

    void *flow; /* set by the flow layer; opaque here */
};

/* Decoder counters, reported in stats. Written by the owning thread only. */
struct dec_stats {
    uint64_t pkts, bytes;
    uint64_t invalid;  /* packets whose decoding stopped on a malformed header */
    uint64_t ethernet, vlan, vlan_qinq, sll, sll2, null, raw;
    uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6, gre, vxlan, ipip, arp, pppoe, mpls, other_l3;
    uint64_t ipv4_frag, ipv6_frag, frag_reassembled, frag_timeouts, frag_dropped;
    uint64_t ipv4_csum_bad, tcp_csum_bad, udp_csum_bad, icmp_csum_bad;
    uint64_t snap_truncated;
    uint64_t events[DEC_EV_COUNT]; /* per anomaly event */
    uint64_t events_overflow;       /* events beyond PKT_MAX_EVENTS on one packet */
};

enum dec_csum_mode {
    DEC_CSUM_ALL = 0,  /* check IPv4 header and TCP/UDP/ICMP checksums (count, never drop) */
    DEC_CSUM_IP_ONLY,  /* IPv4 header checksum only */
    DEC_CSUM_NONE,
};

struct dec_config {
    enum dec_csum_mode csum;
    uint32_t max_layers;            /* encapsulation depth limit (default 8) */
    size_t defrag_memcap_bytes;     /* default 16 MiB */
    uint32_t defrag_timeout_s;      /* default 60 */
    uint32_t defrag_max_frags;      /* fragments per datagram (default 256) */
    uint32_t defrag_max_trackers;   /* datagrams in progress (default 65536) */
};

void dec_config_defaults(struct dec_config *cfg);

typedef struct dec_ctx dec_ctx_t;

/* NULL on allocation failure at startup. The config is copied. */
dec_ctx_t *dec_ctx_new(const struct dec_config *cfg);
void dec_ctx_free(dec_ctx_t *ctx);

/*
 * Decode one packet. The caller fills data/caplen/wirelen/ts_ns/pkt_no/linktype/iface;
 * dec_packet resets every other field first. Always succeeds: problems become events.
 */
void dec_packet(dec_ctx_t *ctx, struct packet *p);

/* Expire fragment trackers older than the timeout at time now_ns (packet time in pcap mode). */
void dec_expire(dec_ctx_t *ctx, uint64_t now_ns);

const struct dec_stats *dec_get_stats(const dec_ctx_t *ctx);

/* Defrag memory in use and its memcap (for stats). */
void dec_defrag_mem(const dec_ctx_t *ctx, size_t *used, size_t *limit, uint64_t *memcap_hits);

/* Name of an IP protocol as Suricata writes it in EVE "proto" ("TCP", "UDP", "ICMP",
 * "IPv6-ICMP", "GRE", ...), or NULL when unnamed (then write the number). */
const char *dec_proto_name(uint8_t proto);

/* Format an address as text (inet_ntop form). Returns out. */
char *dec_addr_str(const struct mm_addr *a, int ip_ver, char *out, size_t outlen);

#endif
