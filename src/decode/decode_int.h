/*
 * Internals shared by the decoder files. Each dec_<proto>() reads its header from the
 * cursor-checked slice (p, len), fills the packet, and hands the rest to the next layer.
 */
#ifndef MM_DECODE_DECODE_INT_H
#define MM_DECODE_DECODE_INT_H

#include "decode.h"
#include "core/mem.h"
#include "core/mm.h"

struct defrag;

struct dec_ctx {
    struct dec_config cfg;
    struct dec_stats stats;
    struct defrag *defrag;
    uint32_t depth; /* encapsulation layers entered for the current packet */
};

/* Record an anomaly on the packet and in the counters. */
void dec_set_event(dec_ctx_t *ctx, struct packet *p, enum dec_event ev);

/* Stop decoding this packet as malformed at this layer. */
static inline void dec_invalid(dec_ctx_t *ctx, struct packet *p, enum dec_event ev)
{
    dec_set_event(ctx, p, ev);
    if (!(p->flags & PKT_F_INVALID))
        ctx->stats.invalid++;
    p->flags |= PKT_F_INVALID;
}

enum { ETH_P_IPV4 = 0x0800, ETH_P_ARP = 0x0806, ETH_P_VLAN = 0x8100, ETH_P_QINQ = 0x88a8,
       ETH_P_QINQ_OLD = 0x9100, ETH_P_IPV6 = 0x86dd, ETH_P_TEB = 0x6558,
       ETH_P_PPPOE_SESS = 0x8864, ETH_P_MPLS_UC = 0x8847, ETH_P_MPLS_MC = 0x8848 };

enum { IPPROTO_V_ICMP = 1, IPPROTO_V_IPIP = 4, IPPROTO_V_TCP = 6, IPPROTO_V_UDP = 17,
       IPPROTO_V_IPV6 = 41, IPPROTO_V_GRE = 47, IPPROTO_V_ICMPV6 = 58 };

void dec_ethernet(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_ethertype(dec_ctx_t *ctx, struct packet *p, uint16_t type, const uint8_t *d,
                   uint32_t len);
void dec_sll(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_sll2(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_null(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len, bool net_order);
void dec_raw(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_ipv4(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_ipv6(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
/* Transport dispatch after the IP layer (also used for reassembled datagrams). */
void dec_l4(dec_ctx_t *ctx, struct packet *p, uint8_t proto, const uint8_t *d, uint32_t len);
void dec_tcp(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_udp(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_icmpv4(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_icmpv6(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
void dec_gre(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);
/* True when (d, len) looked like VXLAN and was decoded as such. */
bool dec_vxlan(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len);

/*
 * A header cut short: when the capture's snap length explains it, that is the one event
 * (decoder.snaplen_truncated, already on the packet); otherwise `ev` says what is wrong.
 */
static inline void dec_short(dec_ctx_t *ctx, struct packet *p, enum dec_event ev)
{
    dec_invalid(ctx, p, (p->flags & PKT_F_SNAP_TRUNC) ? DEC_EV_PKT_SNAP_TRUNC : ev);
}

/* A new (possibly inner) IP header replaces what an outer layer set. */
static inline void dec_enter_ip(struct packet *p)
{
    if (p->ip_ver != 0) {
        p->tunnel_depth++;
        p->flags |= PKT_F_TUNNELED;
    }
    p->flags &= ~(uint32_t)(PKT_F_L4 | PKT_F_ICMP_INNER | PKT_F_L4_CSUM_BAD);
    p->sport = p->dport = 0;
    p->tcp_flags = 0;
    p->l4 = p->payload = NULL;
    p->l4_len = p->payload_len = 0;
}

/* Enter one encapsulation layer; false (and an event) past the limit. */
bool dec_enter_layer(dec_ctx_t *ctx, struct packet *p);

/* Internet checksum helpers (RFC 1071). Return the folded 16-bit one's-complement sum. */
uint32_t dec_csum_add(uint32_t sum, const uint8_t *d, size_t len);
uint16_t dec_csum_fold(uint32_t sum);
/* Pseudo-header sum for TCP/UDP/ICMPv6 over the current packet's addresses. */
uint32_t dec_csum_pseudo(const struct packet *p, uint8_t proto, uint32_t l4_len);

/* Fragment reassembly (defrag.c). */
struct defrag *defrag_new(const struct dec_config *cfg);
void defrag_free(struct defrag *d);
/*
 * Add a fragment. When it completes a datagram, returns true and sets out and out_len to the
 * reassembled transport payload (valid until the next call) and *proto to its protocol.
 */
struct frag_info {
    uint8_t ip_ver;
    uint8_t proto;
    uint32_t hdr_len; /* IPv4: header length, part of the 65535-byte datagram limit */
    uint32_t id;
    uint32_t offset; /* bytes */
    bool more;
    const uint8_t *data;
    uint32_t len;
};
bool defrag_add(dec_ctx_t *ctx, struct packet *p, const struct frag_info *fi,
                const uint8_t **out, uint32_t *out_len);
void defrag_expire(dec_ctx_t *ctx, uint64_t now_ns);
void defrag_mem(const struct defrag *d, size_t *used, size_t *limit, uint64_t *hits);

#endif
