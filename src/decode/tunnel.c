/*
 * Tunnels: GRE (RFC 2784/2890) and VXLAN (RFC 7348). The flow layer tracks the innermost
 * packet; the tunnel is remembered only as packet.tunnel_depth.
 *
 *   GRE:   |C|R|K|S|s|Recur|  Flags  | Ver |         Protocol Type         |
 *          |   Checksum (if C)       |   Reserved1 (if C)                  |
 *          |                     Key (if K)                                |
 *          |                Sequence Number (if S)                         |
 *   VXLAN: |R|R|R|R|I|R|R|R|           Reserved (24)                       |
 *          |            VXLAN Network Identifier (24)      | Reserved (8)  |
 *
 * GRE version 1 (PPTP) is counted but not decoded further; the deprecated routing bit is
 * not supported.
 */
#include "decode_int.h"

void dec_gre(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.gre++;
    p->l4 = d;
    p->l4_len = len;
    if (MM_UNLIKELY(len < 4)) {
        dec_short(ctx, p, DEC_EV_GRE_PKT_TOO_SMALL);
        return;
    }
    uint8_t ver = d[1] & 0x07;
    if (ver == 1)
        return; /* PPTP enhanced GRE carries PPP; not decoded */
    if (MM_UNLIKELY(ver != 0 || (d[0] & 0x40))) {
        dec_invalid(ctx, p, DEC_EV_GRE_WRONG_VERSION);
        return;
    }
    uint32_t hlen = 4;
    if (d[0] & 0x80)
        hlen += 4;
    if (d[0] & 0x20)
        hlen += 4;
    if (d[0] & 0x10)
        hlen += 4;
    if (MM_UNLIKELY(hlen > len)) {
        dec_short(ctx, p, DEC_EV_GRE_PKT_TOO_SMALL);
        return;
    }
    if (!dec_enter_layer(ctx, p))
        return;
    uint16_t proto = (uint16_t)(d[2] << 8 | d[3]);
    switch (proto) {
    case ETH_P_IPV4:
        dec_ipv4(ctx, p, d + hlen, len - hlen);
        return;
    case ETH_P_IPV6:
        dec_ipv6(ctx, p, d + hlen, len - hlen);
        return;
    case ETH_P_TEB:
        dec_ethernet(ctx, p, d + hlen, len - hlen);
        return;
    default:
        dec_set_event(ctx, p, DEC_EV_GRE_UNSUPPORTED_PROTO);
        return;
    }
}

bool dec_vxlan(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    /* Only treat it as VXLAN when the I flag is set and reserved bits are clear; other
     * traffic on 4789 stays plain UDP. */
    if (len < 8 || d[0] != 0x08 || d[1] || d[2] || d[3] || d[7])
        return false;
    if (len < 8 + 14) {
        dec_set_event(ctx, p, DEC_EV_VXLAN_PKT_TOO_SMALL);
        return false;
    }
    if (!dec_enter_layer(ctx, p))
        return true;
    ctx->stats.vxlan++;
    dec_ethernet(ctx, p, d + 8, len - 8);
    return true;
}
