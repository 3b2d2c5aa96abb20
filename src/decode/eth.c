/*
 * Ethernet II and IEEE 802.1Q / 802.1ad VLAN tags.
 *
 *   Ethernet:  | dst MAC (6) | src MAC (6) | ethertype (2) | payload ...
 *   VLAN tag:  | PCP(3) DEI(1) VID(12) | inner ethertype (2) |
 *
 * 802.3 frames (ethertype < 0x0600 is a length; LLC/SNAP follows) carry no IP we track and are
 * counted as other_l3. Up to PKT_MAX_VLANS tags are kept in the flow key; more is an anomaly.
 */
#include "decode_int.h"

#include "core/cur.h"

void dec_ethernet(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.ethernet++;
    if (MM_UNLIKELY(len < 14)) {
        dec_invalid(ctx, p, DEC_EV_ETH_PKT_TOO_SMALL);
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
        dec_invalid(ctx, p, DEC_EV_VLAN_HEADER_TOO_SMALL);
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
        return;
    default:
        ctx->stats.other_l3++;
        /* 802.3 length field, and well-known non-IP ethertypes, are not anomalies. */
        if (type >= 0x0600 && type != 0x88cc /* LLDP */ && type != 0x8035 /* RARP */ &&
            type != 0x888e /* EAPOL */ && type != 0x8863 && type != 0x8864 /* PPPoE */ &&
            type != 0x88e5 /* MACsec */ && type != 0x8809 /* slow protocols */ &&
            type != 0x9000 /* loopback test */ && type != 0x8847 && type != 0x8848 /* MPLS */)
            dec_set_event(ctx, p, DEC_EV_ETH_UNKNOWN_ETHERTYPE);
        return;
    }
}
