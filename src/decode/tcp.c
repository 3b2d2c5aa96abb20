/*
 * TCP header (RFC 9293) and the options later layers need (MSS, window scale, SACK,
 * timestamps).
 *
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   | Offset| Rsvd  |C|E|U|A|P|R|S|F|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *   |                    Options (Offset > 5)                       |
 *
 * Option problems are reported but the segment still counts for its flow: endpoints accept
 * such segments too, and a sensor that dropped them would miss what follows.
 */
#include "decode_int.h"

static void tcp_options(dec_ctx_t *ctx, struct packet *p, const uint8_t *o, uint32_t len)
{
    struct tcp_opts *t = &p->tcp_opt;
    uint32_t seen = 0;
    uint32_t i = 0;
    while (i < len) {
        uint8_t kind = o[i];
        if (kind == 0)
            return;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || o[i + 1] > len - i) {
            dec_set_event(ctx, p, DEC_EV_TCP_OPT_INVALID_LEN);
            return;
        }
        uint8_t olen = o[i + 1];
        const uint8_t *v = o + i + 2;
        if (kind < 32) {
            if (seen & (1u << kind))
                dec_set_event(ctx, p, DEC_EV_TCP_OPT_DUPLICATE);
            seen |= 1u << kind;
        }
        switch (kind) {
        case 2:
            if (olen != 4)
                goto bad_len;
            t->has_mss = true;
            t->mss = (uint16_t)(v[0] << 8 | v[1]);
            break;
        case 3:
            if (olen != 3)
                goto bad_len;
            t->has_ws = true;
            t->wscale = v[0];
            break;
        case 4:
            if (olen != 2)
                goto bad_len;
            t->sack_permitted = true;
            break;
        case 5:
            if (olen < 10 || (olen - 2) % 8 != 0)
                goto bad_len;
            t->sack_blocks = (uint8_t)((olen - 2) / 8);
            break;
        case 8:
            if (olen != 10)
                goto bad_len;
            t->has_ts = true;
            t->tsval = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
            t->tsecr = (uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 | (uint32_t)v[6] << 8 | v[7];
            break;
        default:
            break;
        }
        i += olen;
        continue;
    bad_len:
        dec_set_event(ctx, p, DEC_EV_TCP_OPT_INVALID_LEN);
        i += olen;
    }
}

void dec_tcp(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    ctx->stats.tcp++;
    if (MM_UNLIKELY(len < 20)) {
        dec_short(ctx, p, DEC_EV_TCP_PKT_TOO_SMALL);
        return;
    }
    uint32_t hlen = (uint32_t)(d[12] >> 4) * 4;
    if (MM_UNLIKELY(hlen < 20)) {
        dec_invalid(ctx, p, DEC_EV_TCP_HLEN_TOO_SMALL);
        return;
    }
    bool snap_short = false;
    if (MM_UNLIKELY(hlen > len)) {
        if (!(p->flags & PKT_F_SNAP_TRUNC)) {
            dec_invalid(ctx, p, DEC_EV_TCP_INVALID_OPTLEN);
            return;
        }
        snap_short = true; /* options cut by the snap length: keep the fixed header */
    }
    p->sport = (uint16_t)(d[0] << 8 | d[1]);
    p->dport = (uint16_t)(d[2] << 8 | d[3]);
    p->tcp_seq = (uint32_t)d[4] << 24 | (uint32_t)d[5] << 16 | (uint32_t)d[6] << 8 | d[7];
    p->tcp_ack = (uint32_t)d[8] << 24 | (uint32_t)d[9] << 16 | (uint32_t)d[10] << 8 | d[11];
    p->tcp_flags = d[13];
    p->tcp_win = (uint16_t)(d[14] << 8 | d[15]);
    p->l4 = d;
    p->l4_len = len;
    p->flags |= PKT_F_L4;
    if (snap_short) {
        p->payload = d + len;
        p->payload_len = 0;
        return;
    }
    if (hlen > 20)
        tcp_options(ctx, p, d + 20, hlen - 20);
    p->payload = d + hlen;
    p->payload_len = len - hlen;

    if (ctx->cfg.csum == DEC_CSUM_ALL && !(p->flags & PKT_F_SNAP_TRUNC)) {
        uint32_t sum = dec_csum_pseudo(p, IPPROTO_V_TCP, len);
        if (dec_csum_fold(dec_csum_add(sum, d, len)) != 0) {
            p->flags |= PKT_F_L4_CSUM_BAD;
            ctx->stats.tcp_csum_bad++;
        }
    }
}
