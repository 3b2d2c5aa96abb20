/*
 * ICMPv6 (RFC 4443) with neighbour discovery and MLD types recognised.
 *
 *   |     Type      |     Code      |          Checksum             |
 *   |  errors (1-4): unused/MTU/pointer (4), then as much of the invoking packet as fits |
 *   |  echo (128/129): Identifier (2) | Sequence (2)                 |
 *
 * As for ICMPv4, the IPv6 header (and ports) quoted by an error goes to packet.icmp_inner.
 * The quoted packet's extension headers are not walked: its Next Header is used as is.
 */
#include "decode_int.h"

#include <string.h>

static bool icmpv6_known_type(uint8_t t)
{
    return (t >= 1 && t <= 4) || t == 100 || t == 101 || t == 127 || (t >= 128 && t <= 161) ||
           t == 200 || t == 201 || t == 255;
}

static bool icmpv6_code_ok(uint8_t t, uint8_t c)
{
    switch (t) {
    case 1: return c <= 8;
    case 2: return c == 0;
    case 3: return c <= 1;
    case 4: return c <= 3;
    case 128: case 129: return c == 0;
    default: return true;
    }
}

static void icmpv6_inner(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    if (len < 40) {
        dec_set_event(ctx, p, DEC_EV_ICMPV6_IPV6_TRUNC_PKT);
        return;
    }
    if ((d[0] >> 4) != 6) {
        dec_set_event(ctx, p, DEC_EV_ICMPV6_IPV6_UNKNOWN_VER);
        return;
    }
    struct icmp_inner *in = &p->icmp_inner;
    memset(in, 0, sizeof *in);
    in->ip_ver = 6;
    in->proto = d[6];
    memcpy(in->src.b, d + 8, 16);
    memcpy(in->dst.b, d + 24, 16);
    if ((in->proto == IPPROTO_V_TCP || in->proto == IPPROTO_V_UDP) && len >= 44) {
        in->sport = (uint16_t)(d[40] << 8 | d[41]);
        in->dport = (uint16_t)(d[42] << 8 | d[43]);
    } else if (in->proto == IPPROTO_V_ICMPV6 && len >= 44) {
        in->icmp_quoted = true;
        in->icmp_type = d[40];
        in->icmp_code = d[41];
    }
    p->flags |= PKT_F_ICMP_INNER;
}

void dec_icmpv6(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.icmpv6++;
    if (MM_UNLIKELY(len < 4)) {
        dec_short(ctx, p, DEC_EV_ICMPV6_PKT_TOO_SMALL);
        return;
    }
    uint8_t t = d[0];
    if (MM_UNLIKELY(len < 8 && (t < 128 || t == 128 || t == 129))) {
        dec_short(ctx, p, DEC_EV_ICMPV6_PKT_TOO_SMALL);
        return;
    }
    p->icmp_type = t;
    p->icmp_code = d[1];
    p->l4 = d;
    p->l4_len = len;
    p->payload = d + (len >= 8 ? 8 : len);
    p->payload_len = len >= 8 ? len - 8 : 0;
    p->flags |= PKT_F_L4;
    if (t == 128 || t == 129)
        p->icmp_id = (uint16_t)(d[4] << 8 | d[5]);
    if (!icmpv6_known_type(t))
        dec_set_event(ctx, p, DEC_EV_ICMPV6_UNKNOWN_TYPE);
    else if (!icmpv6_code_ok(t, d[1]))
        dec_set_event(ctx, p, DEC_EV_ICMPV6_UNKNOWN_CODE);
    if (t >= 1 && t <= 4)
        icmpv6_inner(ctx, p, d + 8, len - 8);

    if (ctx->cfg.csum == DEC_CSUM_ALL && !(p->flags & PKT_F_SNAP_TRUNC)) {
        uint32_t sum = dec_csum_pseudo(p, IPPROTO_V_ICMPV6, len);
        if (dec_csum_fold(dec_csum_add(sum, d, len)) != 0) {
            p->flags |= PKT_F_L4_CSUM_BAD;
            ctx->stats.icmp_csum_bad++;
        }
    }
}
