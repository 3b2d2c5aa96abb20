/*
 * UDP (RFC 768).
 *
 *   |          Source Port          |       Destination Port        |
 *   |            Length             |           Checksum            |
 *
 * Length smaller than the header is malformed; larger than what IP carries is malformed
 * unless the snap length explains it. A zero checksum over IPv4 means "none". VXLAN on its
 * IANA port is decoded as a tunnel when its header checks out.
 */
#include "decode_int.h"

#define VXLAN_PORT 4789

void dec_udp(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.udp++;
    if (MM_UNLIKELY(len < 8)) {
        dec_short(ctx, p, DEC_EV_UDP_PKT_TOO_SMALL);
        return;
    }
    uint32_t ulen = (uint32_t)(d[4] << 8 | d[5]);
    if (MM_UNLIKELY(ulen < 8)) {
        dec_invalid(ctx, p, DEC_EV_UDP_HLEN_TOO_SMALL);
        return;
    }
    bool complete = true;
    if (MM_UNLIKELY(ulen > len)) {
        if (!(p->flags & PKT_F_SNAP_TRUNC)) {
            dec_invalid(ctx, p, DEC_EV_UDP_HLEN_INVALID);
            return;
        }
        complete = false;
        ulen = len;
    }
    p->sport = (uint16_t)(d[0] << 8 | d[1]);
    p->dport = (uint16_t)(d[2] << 8 | d[3]);
    p->l4 = d;
    p->l4_len = ulen;
    p->payload = d + 8;
    p->payload_len = ulen - 8;
    p->flags |= PKT_F_L4;

    uint16_t wire_sum = (uint16_t)(d[6] << 8 | d[7]);
    if (ctx->cfg.csum == DEC_CSUM_ALL && complete && !(wire_sum == 0 && p->ip_ver == 4)) {
        uint32_t sum = dec_csum_pseudo(p, IPPROTO_V_UDP, ulen);
        if (dec_csum_fold(dec_csum_add(sum, d, ulen)) != 0) {
            p->flags |= PKT_F_L4_CSUM_BAD;
            ctx->stats.udp_csum_bad++;
        }
    }

    if (MM_UNLIKELY(p->dport == VXLAN_PORT))
        (void)dec_vxlan(ctx, p, p->payload, p->payload_len);
}
