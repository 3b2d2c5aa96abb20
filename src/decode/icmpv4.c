/*
 * ICMPv4 (RFC 792).
 *
 *   |     Type      |     Code      |          Checksum             |
 *   |     Identifier (echo etc.)    |     Sequence Number           |   or "unused"/pointer
 *   |  errors: original IP header + at least 8 bytes of its payload |
 *
 * Errors (destination unreachable, source quench, redirect, time exceeded, parameter
 * problem) quote the packet that caused them; we decode that quoted header into
 * packet.icmp_inner because scan detection (UDP scans answered with port-unreachable) needs
 * the original destination port.
 */
#include "decode_int.h"

#include <string.h>

static bool icmpv4_is_error(uint8_t type)
{
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

static bool icmpv4_known_type(uint8_t type)
{
    switch (type) {
    case 0: case 3: case 4: case 5: case 8: case 9: case 10: case 11: case 12:
    case 13: case 14: case 15: case 16: case 17: case 18: case 30: case 40:
    case 42: case 43:
        return true;
    default:
        return false;
    }
}

static bool icmpv4_code_ok(uint8_t type, uint8_t code)
{
    switch (type) {
    case 3: return code <= 15;
    case 5: return code <= 3;
    case 11: return code <= 1;
    case 12: return code <= 2;
    case 0: case 8: case 13: case 14: case 15: case 16: case 17: case 18: return code == 0;
    default: return true;
    }
}

/* Decode the IPv4 header (+ ports) quoted by an error message. */
static void icmpv4_inner(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    if (len < 20) {
        dec_set_event(ctx, p, DEC_EV_ICMPV4_IPV4_TRUNC_PKT);
        return;
    }
    if ((d[0] >> 4) != 4) {
        dec_set_event(ctx, p, DEC_EV_ICMPV4_IPV4_UNKNOWN_VER);
        return;
    }
    uint32_t hlen = (uint32_t)(d[0] & 0x0f) * 4;
    if (hlen < 20 || hlen > len) {
        dec_set_event(ctx, p, DEC_EV_ICMPV4_IPV4_TRUNC_PKT);
        return;
    }
    struct icmp_inner *in = &p->icmp_inner;
    memset(in, 0, sizeof *in);
    in->ip_ver = 4;
    in->proto = d[9];
    memcpy(in->src.b, d + 12, 4);
    memcpy(in->dst.b, d + 16, 4);
    if ((in->proto == IPPROTO_V_TCP || in->proto == IPPROTO_V_UDP) && len - hlen >= 4) {
        in->sport = (uint16_t)(d[hlen] << 8 | d[hlen + 1]);
        in->dport = (uint16_t)(d[hlen + 2] << 8 | d[hlen + 3]);
    } else if (in->proto == IPPROTO_V_ICMP && len - hlen >= 4) {
        in->icmp_quoted = true;
        in->icmp_type = d[hlen];
        in->icmp_code = d[hlen + 1];
    }
    p->flags |= PKT_F_ICMP_INNER;
}

void dec_icmpv4(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.icmpv4++;
    if (MM_UNLIKELY(len < 8)) {
        dec_short(ctx, p, DEC_EV_ICMPV4_PKT_TOO_SMALL);
        return;
    }
    p->icmp_type = d[0];
    p->icmp_code = d[1];
    p->l4 = d;
    p->l4_len = len;
    p->payload = d + 8;
    p->payload_len = len - 8;
    p->flags |= PKT_F_L4;
    uint8_t t = d[0];
    if (t == 0 || t == 8 || (t >= 13 && t <= 18))
        p->icmp_id = (uint16_t)(d[4] << 8 | d[5]);
    if (!icmpv4_known_type(t))
        dec_set_event(ctx, p, DEC_EV_ICMPV4_UNKNOWN_TYPE);
    else if (!icmpv4_code_ok(t, d[1]))
        dec_set_event(ctx, p, DEC_EV_ICMPV4_UNKNOWN_CODE);
    if (icmpv4_is_error(t))
        icmpv4_inner(ctx, p, d + 8, len - 8);

    if (ctx->cfg.csum == DEC_CSUM_ALL && !(p->flags & PKT_F_SNAP_TRUNC) &&
        dec_csum_fold(dec_csum_add(0, d, len)) != 0) {
        p->flags |= PKT_F_L4_CSUM_BAD;
        ctx->stats.icmp_csum_bad++;
    }
}
