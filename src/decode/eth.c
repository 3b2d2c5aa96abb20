/*
 * Ethernet II and IEEE 802.1Q / 802.1ad VLAN tags.
 *
 *   Ethernet:  | dst MAC (6) | src MAC (6) | ethertype (2) | payload ...
 *   VLAN tag:  | PCP(3) DEI(1) VID(12) | inner ethertype (2) |
 *
 * 802.3 frames (ethertype < 0x0600 is a length; LLC/SNAP follows) carry no IP we track and are
 * counted as other_l3. Up to PKT_MAX_VLANS tags are kept in the flow key; more is an anomaly.
 *
 * Also unwrapped here, because DSL uplinks and provider links carry them:
 *   PPPoE session (RFC 2516, 0x8864): | ver/type (1) | code (1) | session (2) | length (2) |
 *                                     | PPP protocol (2): 0x0021 IPv4, 0x0057 IPv6 | ...
 *   MPLS (RFC 3032, 0x8847/0x8848):   | label (20) | TC (3) | S (1) | TTL (8) |, repeated until
 *                                     S = 1; the payload's IP version is read from its first nibble.
 */
#include "decode_int.h"

#include "core/cur.h"

#include <string.h>

void dec_ethernet(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.ethernet++;
    if (MM_UNLIKELY(len < 14)) {
        dec_short(ctx, p, DEC_EV_ETH_PKT_TOO_SMALL);
        return;
    }
    if (!p->mac_dst) {
        p->mac_dst = d;
        p->mac_src = d + 6;
    }
    uint16_t type = (uint16_t)(d[12] << 8 | d[13]);
    dec_ethertype(ctx, p, type, d + 14, len - 14);
}

static void dec_vlan(dec_ctx_t *ctx, struct packet *p, uint16_t outer_type, const uint8_t *d,
                     uint32_t len)
{
    if (MM_UNLIKELY(len < 4)) {
        dec_short(ctx, p, DEC_EV_VLAN_HEADER_TOO_SMALL);
        return;
    }
    ctx->stats.vlan++;
    if (outer_type != ETH_P_VLAN)
        ctx->stats.vlan_qinq++;
    if (MM_UNLIKELY(p->vlan_count >= PKT_MAX_VLANS)) {
        dec_invalid(ctx, p, DEC_EV_VLAN_TOO_MANY_LAYERS);
        return;
    }
    p->vlan[p->vlan_count++] = (uint16_t)((d[0] << 8 | d[1]) & 0x0fff);
    uint16_t type = (uint16_t)(d[2] << 8 | d[3]);
    dec_ethertype(ctx, p, type, d + 4, len - 4);
}

static void dec_pppoe_session(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.pppoe++;
    if (MM_UNLIKELY(len < 8)) {
        dec_short(ctx, p, DEC_EV_PPPOE_PKT_TOO_SMALL);
        return;
    }
    if (MM_UNLIKELY(d[0] != 0x11 || d[1] != 0x00)) {
        dec_invalid(ctx, p, DEC_EV_PPPOE_WRONG_CODE);
        return;
    }
    uint32_t plen = (uint32_t)(d[4] << 8 | d[5]); /* PPP frame length, protocol included */
    if (plen < 2)
        return;
    uint32_t avail = MM_MIN(plen, len - 6);
    uint16_t proto = (uint16_t)(d[6] << 8 | d[7]);
    if (proto == 0x0021)
        dec_ipv4(ctx, p, d + 8, avail - 2);
    else if (proto == 0x0057)
        dec_ipv6(ctx, p, d + 8, avail - 2);
    else
        ctx->stats.other_l3++; /* LCP, IPCP, ... control traffic */
}

static void dec_mpls(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.mpls++;
    uint32_t off = 0;
    for (unsigned labels = 0;; labels++) {
        if (MM_UNLIKELY(len - off < 4 || labels >= 16)) {
            dec_short(ctx, p, DEC_EV_MPLS_HEADER_TOO_SMALL);
            return;
        }
        bool bottom = (d[off + 2] & 0x01) != 0;
        off += 4;
        if (bottom)
            break;
    }
    if (len - off < 1)
        return;
    switch (d[off] >> 4) {
    case 4:
        dec_ipv4(ctx, p, d + off, len - off);
        return;
    case 6:
        dec_ipv6(ctx, p, d + off, len - off);
        return;
    default:
        ctx->stats.other_l3++; /* pseudowire or control word: not decoded */
        return;
    }
}

/* ARP for IPv4 over Ethernet (hardware type 1, protocol 0x0800, lengths 6 and 4), requests
 * and replies; anything else (RARP opcodes, other hardware, a short message) is left alone:
 * ARP carries no payload mamori inspects, only who asks for whom (scan detection). */
static void dec_arp(struct packet *p, const uint8_t *d, uint32_t len)
{
    if (len < 28 || d[0] != 0 || d[1] != 1 || d[2] != 0x08 || d[3] != 0x00 || d[4] != 6 ||
        d[5] != 4 || d[6] != 0 || (d[7] != 1 && d[7] != 2))
        return;
    struct arp_info *a = &p->arp;
    a->op = d[7];
    memcpy(a->sha, d + 8, 6);
    memcpy(a->spa, d + 14, 4);
    memcpy(a->tha, d + 18, 6);
    memcpy(a->tpa, d + 24, 4);
    p->flags |= PKT_F_ARP;
}

void dec_ethertype(dec_ctx_t *ctx, struct packet *p, uint16_t type, const uint8_t *d,
                   uint32_t len)
{
    switch (type) {
    case ETH_P_IPV4:
        dec_ipv4(ctx, p, d, len);
        return;
    case ETH_P_IPV6:
        dec_ipv6(ctx, p, d, len);
        return;
    case ETH_P_VLAN:
    case ETH_P_QINQ:
    case ETH_P_QINQ_OLD:
        dec_vlan(ctx, p, type, d, len);
        return;
    case ETH_P_ARP:
        ctx->stats.arp++;
        dec_arp(p, d, len);
        return;
    case ETH_P_PPPOE_SESS:
        dec_pppoe_session(ctx, p, d, len);
        return;
    case ETH_P_MPLS_UC:
    case ETH_P_MPLS_MC:
        dec_mpls(ctx, p, d, len);
        return;
    default:
        ctx->stats.other_l3++;
        /* 802.3 length field, and well-known non-IP ethertypes, are not anomalies. */
        if (type >= 0x0600 && type != 0x88cc /* LLDP */ && type != 0x8035 /* RARP */ &&
            type != 0x888e /* EAPOL */ && type != 0x8863 /* PPPoE discovery */ &&
            type != 0x88e5 /* MACsec */ && type != 0x8809 /* slow protocols */ &&
            type != 0x9000 /* loopback test */)
            dec_set_event(ctx, p, DEC_EV_ETH_UNKNOWN_ETHERTYPE);
        return;
    }
}
