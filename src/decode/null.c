/*
 * BSD loopback (LINKTYPE_NULL: 4-byte address family in the capturing host's byte order;
 * LINKTYPE_LOOP: the same in network order) and raw IP (version from the first nibble).
 *
 * AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS) or
 * 10 (Linux). Since the writer's byte order is unknown for LINKTYPE_NULL, a value that does
 * not fit in the low 16 bits is read the other way round.
 */
#include "decode_int.h"

void dec_null(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len, bool net_order)
{
    ctx->stats.null++;
    if (MM_UNLIKELY(len < 4)) {
        dec_short(ctx, p, DEC_EV_NULL_PKT_TOO_SMALL);
        return;
    }
    uint32_t le = (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
    uint32_t be = (uint32_t)d[3] | (uint32_t)d[2] << 8 | (uint32_t)d[1] << 16 | (uint32_t)d[0] << 24;
    uint32_t family = net_order ? be : (le > 0xffff ? be : le);
    switch (family) {
    case 2:
        dec_ipv4(ctx, p, d + 4, len - 4);
        return;
    case 10:
    case 24:
    case 28:
    case 30:
        dec_ipv6(ctx, p, d + 4, len - 4);
        return;
    default:
        dec_invalid(ctx, p, DEC_EV_NULL_UNSUPPORTED_TYPE);
        return;
    }
}

void dec_raw(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.raw++;
    if (MM_UNLIKELY(len < 1)) {
        dec_invalid(ctx, p, DEC_EV_RAW_INVALID_IPV);
        return;
    }
    switch (d[0] >> 4) {
    case 4:
        dec_ipv4(ctx, p, d, len);
        return;
    case 6:
        dec_ipv6(ctx, p, d, len);
        return;
    default:
        dec_invalid(ctx, p, DEC_EV_RAW_INVALID_IPV);
        return;
    }
}
