/*
 * Linux "cooked" capture headers, what `tcpdump -i any` produces.
 *
 *   SLL  (LINKTYPE_LINUX_SLL, 16 bytes):
 *     | packet type (2) | ARPHRD type (2) | addr len (2) | addr (8) | protocol (2) |
 *   SLL2 (LINKTYPE_LINUX_SLL2, 20 bytes):
 *     | protocol (2) | reserved (2) | ifindex (4) | ARPHRD type (2) | packet type (1) |
 *     | addr len (1) | addr (8) |
 *
 * The protocol field is an ethertype for the frames we care about.
 */
#include "decode_int.h"

void dec_sll(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.sll++;
    if (MM_UNLIKELY(len < 16)) {
        dec_short(ctx, p, DEC_EV_SLL_PKT_TOO_SMALL);
        return;
    }
    uint16_t halen = (uint16_t)(d[4] << 8 | d[5]);
    if (halen == 6)
        p->mac_src = d + 6;
    uint16_t proto = (uint16_t)(d[14] << 8 | d[15]);
    dec_ethertype(ctx, p, proto, d + 16, len - 16);
}

void dec_sll2(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.sll2++;
    if (MM_UNLIKELY(len < 20)) {
        dec_short(ctx, p, DEC_EV_SLL2_PKT_TOO_SMALL);
        return;
    }
    if (d[11] == 6)
        p->mac_src = d + 12;
    uint16_t proto = (uint16_t)(d[0] << 8 | d[1]);
    dec_ethertype(ctx, p, proto, d + 20, len - 20);
}
