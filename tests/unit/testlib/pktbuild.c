/* Test packet builder; see pktbuild.h. Misuse (overflowing the buffer) aborts the test. */
#include "pktbuild.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pb_die(const char *what)
{
    fprintf(stderr, "pktbuild: %s\n", what);
    abort();
}

static void put16(uint8_t *d, uint16_t v)
{
    d[0] = (uint8_t)(v >> 8);
    d[1] = (uint8_t)v;
}

static void put32(uint8_t *d, uint32_t v)
{
    d[0] = (uint8_t)(v >> 24);
    d[1] = (uint8_t)(v >> 16);
    d[2] = (uint8_t)(v >> 8);
    d[3] = (uint8_t)v;
}

void pb_init(struct pb *b)
{
    b->start = b->end = PB_CAP - PB_TAIL;
    b->l4_pos = b->l4_len = 0;
    b->l4_proto = 0;
}

const uint8_t *pb_data(const struct pb *b)
{
    return b->buf + b->start;
}

size_t pb_len(const struct pb *b)
{
    return b->end - b->start;
}

uint8_t *pb_at(struct pb *b, size_t off)
{
    if (off >= pb_len(b))
        pb_die("pb_at past the end");
    return b->buf + b->start + off;
}

uint8_t *pb_push(struct pb *b, size_t n)
{
    if (n > b->start)
        pb_die("packet too large for the builder");
    b->start -= n;
    memset(b->buf + b->start, 0, n);
    return b->buf + b->start;
}

void pb_bytes(struct pb *b, const void *d, size_t n)
{
    uint8_t *p = pb_push(b, n);
    if (n)
        memcpy(p, d, n);
}

void pb_pattern(struct pb *b, size_t n, uint8_t seed)
{
    uint8_t *p = pb_push(b, n);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i);
}

void pb_append(struct pb *b, const void *d, size_t n)
{
    if (n > PB_CAP - b->end)
        pb_die("no tail room");
    if (n)
        memcpy(b->buf + b->end, d, n);
    b->end += n;
}

void pb_pad_to(struct pb *b, size_t n, uint8_t fill)
{
    while (pb_len(b) < n)
        pb_append(b, &fill, 1);
}

uint32_t pb_sum(uint32_t sum, const uint8_t *d, size_t len)
{
    size_t i = 0;
    for (; i + 1 < len; i += 2) {
        sum += (uint32_t)(d[i] << 8 | d[i + 1]);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if (i < len) {
        sum += (uint32_t)d[i] << 8;
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

uint16_t pb_csum_finish(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Mark the content (which now starts with an L4 header) as needing a pseudo-header sum. */
static void pend(struct pb *b, uint8_t proto)
{
    b->l4_pos = b->start;
    b->l4_len = pb_len(b);
    b->l4_proto = proto;
}

/* Fill a pending checksum given the pseudo-header's address sum. */
static void fill_pending(struct pb *b, uint32_t addr_sum)
{
    if (!b->l4_proto)
        return;
    uint8_t *l4 = b->buf + b->l4_pos;
    size_t at = b->l4_proto == PB_TCP ? 16 : b->l4_proto == PB_UDP ? 6 : 2;
    uint32_t sum =
        addr_sum + b->l4_proto + (uint32_t)(b->l4_len >> 16) + (uint32_t)(b->l4_len & 0xffff);
    put16(l4 + at, 0);
    uint16_t c = pb_csum_finish(pb_sum(sum, l4, b->l4_len));
    if (c == 0 && b->l4_proto == PB_UDP)
        c = 0xffff; /* RFC 768: a computed zero is sent as all ones */
    put16(l4 + at, c);
    b->l4_proto = 0;
}

void pb_udp(struct pb *b, uint16_t sport, uint16_t dport)
{
    size_t len = pb_len(b) + 8;
    uint8_t *h = pb_push(b, 8);
    put16(h, sport);
    put16(h + 2, dport);
    put16(h + 4, (uint16_t)len);
    pend(b, PB_UDP);
}

void pb_tcp(struct pb *b, const struct pb_tcp *t)
{
    size_t optpad = (t->optlen + 3) & ~(size_t)3;
    uint8_t *h = pb_push(b, 20 + optpad);
    put16(h, t->sport);
    put16(h + 2, t->dport);
    put32(h + 4, t->seq);
    put32(h + 8, t->ack);
    uint8_t doff = t->doff ? t->doff : (uint8_t)((20 + optpad) / 4);
    h[12] = (uint8_t)(doff << 4);
    h[13] = t->flags;
    put16(h + 14, t->win ? t->win : 65535);
    if (t->optlen)
        memcpy(h + 20, t->opts, t->optlen);
    pend(b, PB_TCP);
}

void pb_tcp_simple(struct pb *b, uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq,
                   uint32_t ack)
{
    struct pb_tcp t = {.sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags};
    pb_tcp(b, &t);
}

void pb_icmp4(struct pb *b, uint8_t type, uint8_t code, uint32_t rest)
{
    uint8_t *h = pb_push(b, 8);
    h[0] = type;
    h[1] = code;
    put32(h + 4, rest);
    put16(h + 2, pb_csum_finish(pb_sum(0, h, pb_len(b))));
}

void pb_icmp6(struct pb *b, uint8_t type, uint8_t code, uint32_t rest)
{
    uint8_t *h = pb_push(b, 8);
    h[0] = type;
    h[1] = code;
    put32(h + 4, rest);
    pend(b, PB_ICMPV6);
}

void pb_fix_ipv4_csum(struct pb *b, size_t off)
{
    uint8_t *h = pb_at(b, off);
    size_t hlen = (size_t)(h[0] & 0x0f) * 4;
    put16(h + 10, 0);
    put16(h + 10, pb_csum_finish(pb_sum(0, h, hlen)));
}

void pb_ipv4_ex(struct pb *b, uint32_t src, uint32_t dst, uint8_t proto, const struct pb_ip4 *o)
{
    size_t optpad = (o->optlen + 3) & ~(size_t)3;
    size_t hlen = 20 + optpad;
    size_t tot = pb_len(b) + hlen;
    uint8_t s[4], d[4];
    put32(s, src);
    put32(d, dst);
    fill_pending(b, pb_sum(pb_sum(0, s, 4), d, 4));
    uint8_t *h = pb_push(b, hlen);
    h[0] = (uint8_t)(0x40 | hlen / 4);
    put16(h + 2, (uint16_t)tot);
    put16(h + 4, o->id);
    put16(h + 6, o->frag);
    h[8] = o->ttl ? o->ttl : 64;
    h[9] = proto;
    memcpy(h + 12, s, 4);
    memcpy(h + 16, d, 4);
    if (o->optlen)
        memcpy(h + 20, o->opts, o->optlen);
    pb_fix_ipv4_csum(b, 0);
}

void pb_ipv4(struct pb *b, uint32_t src, uint32_t dst, uint8_t proto)
{
    struct pb_ip4 o = {.id = 0x1234};
    pb_ipv4_ex(b, src, dst, proto, &o);
}

void pb_ipv6(struct pb *b, const char *src, const char *dst, uint8_t next_header)
{
    uint8_t s[16], d[16];
    if (inet_pton(AF_INET6, src, s) != 1 || inet_pton(AF_INET6, dst, d) != 1)
        pb_die("bad IPv6 address text");
    size_t plen = pb_len(b);
    fill_pending(b, pb_sum(pb_sum(0, s, 16), d, 16));
    uint8_t *h = pb_push(b, 40);
    h[0] = 0x60;
    put16(h + 4, (uint16_t)plen);
    h[6] = next_header;
    h[7] = 64;
    memcpy(h + 8, s, 16);
    memcpy(h + 24, d, 16);
}

void pb_ipv6_opts(struct pb *b, uint8_t next_header, size_t total_len)
{
    if (total_len < 8 || total_len % 8)
        pb_die("IPv6 options header length must be a multiple of 8");
    uint8_t *h = pb_push(b, total_len);
    h[0] = next_header;
    h[1] = (uint8_t)(total_len / 8 - 1);
    h[2] = 1; /* PadN covering the rest */
    h[3] = (uint8_t)(total_len - 4);
}

void pb_ipv6_rh(struct pb *b, uint8_t next_header, uint8_t routing_type, uint8_t segs_left)
{
    uint8_t *h = pb_push(b, 8);
    h[0] = next_header;
    h[1] = 0;
    h[2] = routing_type;
    h[3] = segs_left;
}

void pb_ipv6_frag(struct pb *b, uint8_t next_header, uint16_t offset, bool more, uint32_t id)
{
    uint8_t *h = pb_push(b, 8);
    h[0] = next_header;
    put16(h + 2, (uint16_t)((offset & 0xfff8) | (more ? 1 : 0)));
    put32(h + 4, id);
}

void pb_ipv6_ah(struct pb *b, uint8_t next_header)
{
    uint8_t *h = pb_push(b, 16);
    h[0] = next_header;
    h[1] = 16 / 4 - 2;
    put32(h + 4, 0x100);       /* SPI */
    put32(h + 8, 1);           /* sequence */
    put32(h + 12, 0xabcdef01); /* ICV */
}

void pb_eth(struct pb *b, uint16_t ethertype)
{
    static const uint8_t macs[12] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
                                     0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
    uint8_t *h = pb_push(b, 14);
    memcpy(h, macs, 12);
    put16(h + 12, ethertype);
}

void pb_eth_arp(struct pb *b, uint16_t op, const uint8_t sha[6], uint32_t spa, const uint8_t tha[6],
                uint32_t tpa, const uint8_t dst[6])
{
    pb_init(b);
    uint8_t *f = pb_push(b, 42);
    memcpy(f, dst, 6);
    memcpy(f + 6, sha, 6);
    put16(f + 12, 0x0806);
    put16(f + 14, 1);      /* Ethernet */
    put16(f + 16, 0x0800); /* IPv4 */
    f[18] = 6;
    f[19] = 4;
    put16(f + 20, op);
    memcpy(f + 22, sha, 6);
    put32(f + 28, spa);
    memcpy(f + 32, tha, 6);
    put32(f + 38, tpa);
}

void pb_vlan(struct pb *b, uint16_t tci, uint16_t inner_type)
{
    uint8_t *h = pb_push(b, 4);
    put16(h, tci);
    put16(h + 2, inner_type);
}

void pb_sll(struct pb *b, uint16_t proto)
{
    static const uint8_t mac[6] = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
    uint8_t *h = pb_push(b, 16);
    put16(h, 0);     /* packet type: to us */
    put16(h + 2, 1); /* ARPHRD_ETHER */
    put16(h + 4, 6); /* address length */
    memcpy(h + 6, mac, 6);
    put16(h + 14, proto);
}

void pb_sll2(struct pb *b, uint16_t proto)
{
    static const uint8_t mac[6] = {0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb};
    uint8_t *h = pb_push(b, 20);
    put16(h, proto);
    put32(h + 4, 2); /* ifindex */
    put16(h + 8, 1); /* ARPHRD_ETHER */
    h[10] = 0;       /* packet type */
    h[11] = 6;       /* address length */
    memcpy(h + 12, mac, 6);
}

void pb_null(struct pb *b, uint32_t family, bool big_endian)
{
    uint8_t *h = pb_push(b, 4);
    if (big_endian) {
        put32(h, family);
    } else {
        h[0] = (uint8_t)family;
        h[1] = (uint8_t)(family >> 8);
        h[2] = (uint8_t)(family >> 16);
        h[3] = (uint8_t)(family >> 24);
    }
}

void pb_pppoe(struct pb *b, uint16_t ppp_proto)
{
    size_t ppp_len = pb_len(b) + 2;
    uint8_t *h = pb_push(b, 8);
    h[0] = 0x11;
    h[1] = 0x00;
    put16(h + 2, 0x0001);
    put16(h + 4, (uint16_t)ppp_len);
    put16(h + 6, ppp_proto);
}

void pb_mpls(struct pb *b, uint32_t label, bool bottom)
{
    uint8_t *h = pb_push(b, 4);
    put32(h, label << 12 | (bottom ? 0x100u : 0u) | 64u);
}

void pb_gre(struct pb *b, uint8_t byte0, uint8_t ver, uint16_t proto)
{
    size_t hlen = 4;
    hlen += (byte0 & 0x80) ? 4u : 0u;
    hlen += (byte0 & 0x20) ? 4u : 0u;
    hlen += (byte0 & 0x10) ? 4u : 0u;
    uint8_t *h = pb_push(b, hlen);
    h[0] = byte0;
    h[1] = ver & 7;
    put16(h + 2, proto);
    size_t o = 4;
    if (byte0 & 0x80)
        o += 4; /* checksum + reserved1, left zero */
    if (byte0 & 0x20) {
        put32(h + o, 0x11223344);
        o += 4;
    }
    if (byte0 & 0x10)
        put32(h + o, 7);
}

void pb_vxlan(struct pb *b, uint32_t vni)
{
    uint8_t *h = pb_push(b, 8);
    h[0] = 0x08;
    h[4] = (uint8_t)(vni >> 16);
    h[5] = (uint8_t)(vni >> 8);
    h[6] = (uint8_t)vni;
}

void pb_eth_udp4(struct pb *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                 size_t plen)
{
    pb_init(b);
    pb_pattern(b, plen, 0x30);
    pb_udp(b, sport, dport);
    pb_ipv4(b, src, dst, PB_UDP);
    pb_eth(b, PB_ETH_IPV4);
}

void pb_eth_tcp4(struct pb *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                 uint8_t flags, size_t plen)
{
    pb_init(b);
    pb_pattern(b, plen, 0x41);
    pb_tcp_simple(b, sport, dport, flags, 1000, (flags & PB_ACK) ? 2000 : 0);
    pb_ipv4(b, src, dst, PB_TCP);
    pb_eth(b, PB_ETH_IPV4);
}
