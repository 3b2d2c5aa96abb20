/*
 * IPv4 (RFC 791).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |Type of Service|          Total Length         |
 *   |         Identification        |Flags|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options (IHL > 5)          |    Padding    |
 *
 * The header checksum is verified and counted, never enforced: a sensor must see traffic
 * with offloaded or broken checksums too. Bytes past Total Length (Ethernet padding) are
 * trimmed. Fragments go to defrag.c; the transport layer sees only whole datagrams.
 */
#include "decode_int.h"

#include <string.h>

/* Options are TLVs except EOL (0) and NOP (1). Malformed options are reported but do not
 * stop decoding: hosts ignore them and the datagram still reaches the transport layer. */
static void ipv4_options(dec_ctx_t *ctx, struct packet *p, const uint8_t *o, uint32_t len)
{
    uint32_t seen = 0; /* bitmap of option numbers 0..31 seen, for duplicates */
    uint32_t i = 0;
    while (i < len) {
        uint8_t type = o[i];
        if (type == 0)
            return; /* end of option list */
        if (type == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len) {
            dec_set_event(ctx, p, DEC_EV_IPV4_OPT_MALFORMED);
            return;
        }
        uint8_t olen = o[i + 1];
        if (olen < 2 || olen > len - i) {
            dec_set_event(ctx, p, DEC_EV_IPV4_OPT_INVALID_LEN);
            return;
        }
        uint32_t num = type & 0x1fu;
        if (seen & (1u << num))
            dec_set_event(ctx, p, DEC_EV_IPV4_OPT_DUPLICATE);
        seen |= 1u << num;
        i += olen;
    }
}

void dec_ipv4(dec_ctx_t *ctx, struct packet *p, const uint8_t *d, uint32_t len)
{
    if (!dec_enter_layer(ctx, p))
        return;
    ctx->stats.ipv4++;
    if (MM_UNLIKELY(len < 20)) {
        dec_short(ctx, p, DEC_EV_IPV4_PKT_TOO_SMALL);
        return;
    }
    if (MM_UNLIKELY((d[0] >> 4) != 4)) {
        dec_invalid(ctx, p, DEC_EV_IPV4_WRONG_IP_VER);
        return;
    }
    uint32_t hlen = (uint32_t)(d[0] & 0x0f) * 4;
    uint32_t totlen = (uint32_t)(d[2] << 8 | d[3]);
    if (MM_UNLIKELY(hlen < 20)) {
        dec_invalid(ctx, p, DEC_EV_IPV4_HLEN_TOO_SMALL);
        return;
    }
    if (MM_UNLIKELY(totlen < hlen)) {
        /* Total Length 0 is what hosts with TCP segmentation offload put in the large
         * segments they capture before the NIC splits them: report it, then take the
         * captured length, as Wireshark does. Other short lengths are malformed. */
        if (totlen != 0 || hlen > len) {
            dec_short(ctx, p, DEC_EV_IPV4_IPLEN_SMALLER_THAN_HLEN);
            return;
        }
        dec_set_event(ctx, p, DEC_EV_IPV4_IPLEN_SMALLER_THAN_HLEN);
        totlen = len;
    }
    uint32_t avail = totlen;
    if (MM_UNLIKELY(totlen > len)) {
        /* Short because of the snap length: decode what is there. Otherwise the packet
         * claims more than it carries, which is malformed. */
        if (hlen > len || !(p->flags & PKT_F_SNAP_TRUNC)) {
            dec_short(ctx, p, DEC_EV_IPV4_TRUNC_PKT);
            return;
        }
        avail = len;
    }

    dec_enter_ip(p);
    p->ip_ver = 4;
    p->ttl = d[8];
    p->proto = d[9];
    memset(&p->src, 0, sizeof p->src);
    memset(&p->dst, 0, sizeof p->dst);
    memcpy(p->src.b, d + 12, 4);
    memcpy(p->dst.b, d + 16, 4);
    p->l3 = d;
    p->l3_len = avail;

    if (ctx->cfg.csum != DEC_CSUM_NONE && dec_csum_fold(dec_csum_add(0, d, hlen)) != 0) {
        p->flags |= PKT_F_IPV4_CSUM_BAD;
        ctx->stats.ipv4_csum_bad++;
    }
    if (hlen > 20)
        ipv4_options(ctx, p, d + 20, hlen - 20);

    uint16_t frag = (uint16_t)(d[6] << 8 | d[7]);
    bool more = (frag & 0x2000) != 0;
    uint32_t offset = (uint32_t)(frag & 0x1fff) * 8;
    if (MM_UNLIKELY(more || offset)) {
        ctx->stats.ipv4_frag++;
        p->flags |= PKT_F_FRAGMENT;
        if (avail < totlen) {
            /* A snap-truncated fragment cannot be reassembled. */
            ctx->stats.frag_dropped++;
            return;
        }
        struct frag_info fi = {
            .ip_ver = 4,
            .hdr_len = hlen,
            .proto = p->proto,
            .id = (uint32_t)(d[4] << 8 | d[5]),
            .offset = offset,
            .more = more,
            .data = d + hlen,
            .len = avail - hlen,
        };
        const uint8_t *whole;
        uint32_t whole_len;
        if (defrag_add(ctx, p, &fi, &whole, &whole_len)) {
            p->flags = (p->flags & ~(uint32_t)PKT_F_FRAGMENT) | PKT_F_REASSEMBLED;
            dec_l4(ctx, p, p->proto, whole, whole_len);
        }
        return;
    }
    dec_l4(ctx, p, p->proto, d + hlen, avail - hlen);
}

void dec_l4(dec_ctx_t *ctx, struct packet *p, uint8_t proto, const uint8_t *d, uint32_t len)
{
    switch (proto) {
    case IPPROTO_V_TCP:
        dec_tcp(ctx, p, d, len);
        return;
    case IPPROTO_V_UDP:
        dec_udp(ctx, p, d, len);
        return;
    case IPPROTO_V_ICMP:
        if (p->ip_ver == 4)
            dec_icmpv4(ctx, p, d, len);
        return;
    case IPPROTO_V_ICMPV6:
        if (p->ip_ver == 6)
            dec_icmpv6(ctx, p, d, len);
        return;
    case IPPROTO_V_GRE:
        dec_gre(ctx, p, d, len);
        return;
    case IPPROTO_V_IPIP:
        ctx->stats.ipip++;
        dec_ipv4(ctx, p, d, len);
        return;
    case IPPROTO_V_IPV6:
        ctx->stats.ipip++;
        dec_ipv6(ctx, p, d, len);
        return;
    default:
        /* Other protocols (ESP, SCTP, OSPF, ...) are tracked as address-only flows. */
        p->l4 = d;
        p->l4_len = len;
        return;
    }
}
