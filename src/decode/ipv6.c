/*
 * IPv6 (RFC 8200) and its extension headers.
 *
 *   +-------+---------------+---------------------------------------+
 *   |Version| Traffic Class |              Flow Label               |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                  Source Address (16 bytes)                    |
 *   |               Destination Address (16 bytes)                  |
 *   +---------------------------------------------------------------+
 *   Extension header:  | Next Header | Hdr Ext Len (8-octet units, minus 1) | ... |
 *   Fragment header:   | Next Header | Reserved | Offset(13) Res(2) M(1) | Identification (4) |
 *
 * Walked: hop-by-hop (0, must come first), routing (43), fragment (44), destination options
 * (60), AH (51, length in 4-octet units + 2). ESP (50) and No Next Header (59) end the walk.
 * At most 8 extension headers are walked, so a chain of thousands cannot stall the decoder.
 * A fragment that completes a datagram resumes the walk over the reassembled bytes.
 */
#include "decode_int.h"

#include <string.h>

#define IPV6_MAX_EXTHDRS 8

/* Hop-by-hop and destination options: TLVs, Pad1 (0) is a single byte. */
static void ipv6_options(dec_ctx_t *ctx, struct packet *p, const uint8_t *o, uint32_t len)
{
    uint32_t i = 0;
    while (i < len) {
        if (o[i] == 0) {
            i++;
            continue;
        }
        if (i + 1 >= len || (uint32_t)o[i + 1] + 2 > len - i) {
            dec_set_event(ctx, p, DEC_EV_IPV6_EXTHDR_INVALID_OPTLEN);
            return;
        }
        i += (uint32_t)o[i + 1] + 2;
    }
}

/* Walk extension headers starting with next header `nh` over (d, len), then the transport. */
static void ipv6_walk(dec_ctx_t *ctx, struct packet *p, uint8_t nh, const uint8_t *d, uint32_t len,
                      bool after_frag)
{
    uint32_t off = 0;
    unsigned n_hh = 0, n_rh = 0, n_dh = 0, n_fh = after_frag ? 1u : 0u;
    for (unsigned count = 0;; count++) {
        bool is_ext = nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44;
        if (is_ext && count >= IPV6_MAX_EXTHDRS) {
            dec_invalid(ctx, p, DEC_EV_IPV6_TOO_MANY_EXTHDRS);
            return;
        }
        const uint8_t *h = d + off;
        uint32_t left = len - off;
        uint32_t hlen;
        switch (nh) {
        case 0:  /* hop-by-hop */
        case 43: /* routing */
        case 60: /* destination options */
            if (left < 8) {
                dec_short(ctx, p, DEC_EV_IPV6_TRUNC_EXTHDR);
                return;
            }
            hlen = ((uint32_t)h[1] + 1) * 8;
            if (hlen > left) {
                dec_short(ctx, p, DEC_EV_IPV6_TRUNC_EXTHDR);
                return;
            }
            if (nh == 0) {
                if (off != 0 || after_frag)
                    dec_set_event(ctx, p, DEC_EV_IPV6_HOPOPTS_NOT_FIRST);
                if (n_hh++)
                    dec_set_event(ctx, p, DEC_EV_IPV6_EXTHDR_DUPL_HH);
                ipv6_options(ctx, p, h + 2, hlen - 2);
            } else if (nh == 60) {
                /* RFC 8200 allows one before the routing header and one after it. */
                if (++n_dh > 2)
                    dec_set_event(ctx, p, DEC_EV_IPV6_EXTHDR_DUPL_DH);
                ipv6_options(ctx, p, h + 2, hlen - 2);
            } else {
                if (n_rh++)
                    dec_set_event(ctx, p, DEC_EV_IPV6_EXTHDR_DUPL_RH);
                if (h[2] == 0)
                    dec_set_event(ctx, p, DEC_EV_IPV6_RH_TYPE_0);
            }
            break;
        case 51: /* AH */
            if (left < 8) {
                dec_short(ctx, p, DEC_EV_IPV6_TRUNC_EXTHDR);
                return;
            }
            hlen = ((uint32_t)h[1] + 2) * 4;
            if (hlen > left) {
                dec_short(ctx, p, DEC_EV_IPV6_TRUNC_EXTHDR);
                return;
            }
            break;
        case 44: { /* fragment */
            if (left < 8) {
                dec_short(ctx, p, DEC_EV_IPV6_TRUNC_EXTHDR);
                return;
            }
            if (n_fh++) {
                dec_invalid(ctx, p, DEC_EV_IPV6_EXTHDR_DUPL_FH);
                return;
            }
            uint32_t foff = (uint32_t)((h[2] << 8 | h[3]) & 0xfff8);
            bool more = (h[3] & 1) != 0;
            if (foff == 0 && !more) {
                /* Atomic fragment (RFC 6946): not really fragmented. */
                hlen = 8;
                break;
            }
            ctx->stats.ipv6_frag++;
            p->flags |= PKT_F_FRAGMENT;
            p->proto = h[0]; /* what the fragment carries, not 44, for its events */
            if (p->flags & PKT_F_SNAP_TRUNC) {
                ctx->stats.frag_dropped++;
                return;
            }
            struct frag_info fi = {
                .ip_ver = 6,
                .proto = h[0],
                .id = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7],
                .offset = foff,
                .more = more,
                .data = h + 8,
                .len = left - 8,
            };
            if (more && (fi.len % 8) != 0) {
                dec_invalid(ctx, p, DEC_EV_IPV6_FRAG_INVALID_LENGTH);
                return;
            }
            const uint8_t *whole;
            uint32_t whole_len;
            if (defrag_add(ctx, p, &fi, &whole, &whole_len)) {
                p->flags = (p->flags & ~(uint32_t)PKT_F_FRAGMENT) | PKT_F_REASSEMBLED;
                /* The next header of the reassembled data is the first fragment's. */
                ipv6_walk(ctx, p, p->proto, whole, whole_len, true);
            }
            return;
        }
        case 50: /* ESP: encrypted from here on */
        case 59: /* no next header */
            p->proto = nh;
            p->l4 = h;
            p->l4_len = left;
            return;
        default:
            p->proto = nh;
            dec_l4(ctx, p, nh, h, left);
            return;
        }
        nh = h[0];
        off += hlen;
    }
}

void dec_ipv6(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    if (!dec_enter_layer(ctx, p))
        return;
    ctx->stats.ipv6++;
    if (MM_UNLIKELY(len < 40)) {
        dec_short(ctx, p, DEC_EV_IPV6_PKT_TOO_SMALL);
        return;
    }
    if (MM_UNLIKELY((d[0] >> 4) != 6)) {
        dec_invalid(ctx, p, DEC_EV_IPV6_WRONG_IP_VER);
        return;
    }
    uint32_t plen = (uint32_t)(d[4] << 8 | d[5]);
    uint32_t avail = 40 + plen;
    if (plen == 0) {
        /* Jumbogram (RFC 2675) or a bare header: take what was captured. */
        avail = len;
    } else if (MM_UNLIKELY(avail > len)) {
        if (!(p->flags & PKT_F_SNAP_TRUNC)) {
            dec_invalid(ctx, p, DEC_EV_IPV6_TRUNC_PKT);
            return;
        }
        avail = len;
    }
    dec_enter_ip(p);
    p->ip_ver = 6;
    p->ttl = d[7];
    p->proto = d[6];
    memcpy(p->src.b, d + 8, 16);
    memcpy(p->dst.b, d + 24, 16);
    p->l3 = d;
    p->l3_len = avail;
    ipv6_walk(ctx, p, d[6], d + 40, avail - 40, false);
}
