/*
 * Internet checksum (RFC 1071), computed 8 bytes at a time into a 64-bit accumulator and
 * folded at the end. Byte order does not matter for a one's-complement sum as long as it is
 * consistent, so words are loaded in host order with memcpy (no unaligned access).
 */
#include "decode_int.h"

#include <string.h>

static uint64_t add_bytes(uint64_t sum, const uint8_t *d, size_t len)
{
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, d, 8);
        sum += w & 0xffffffffu;
        sum += w >> 32;
        d += 8;
        len -= 8;
    }
    while (len >= 2) {
        uint16_t w;
        memcpy(&w, d, 2);
        sum += w;
        d += 2;
        len -= 2;
    }
    if (len) {
        uint8_t last[2] = {d[0], 0};
        uint16_t w;
        memcpy(&w, last, 2);
        sum += w;
    }
    return sum;
}

static uint32_t fold64(uint64_t s)
{
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    return (uint32_t)s;
}

uint32_t dec_csum_add(uint32_t sum, const uint8_t *d, size_t len)
{
    return fold64(add_bytes(sum, d, len));
}

uint16_t dec_csum_fold(uint32_t sum)
{
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t dec_csum_pseudo(const struct packet *p, uint8_t proto, uint32_t l4_len)
{
    /* Pseudo-header fields in network byte order, summed like the data. */
    uint8_t tail[8] = {0};
    uint64_t sum;
    if (p->ip_ver == 4) {
        sum = add_bytes(0, p->src.b, 4);
        sum = add_bytes(sum, p->dst.b, 4);
        tail[0] = 0;
        tail[1] = proto;
        tail[2] = (uint8_t)(l4_len >> 8);
        tail[3] = (uint8_t)l4_len;
        sum = add_bytes(sum, tail, 4);
    } else {
        sum = add_bytes(0, p->src.b, 16);
        sum = add_bytes(sum, p->dst.b, 16);
        tail[0] = (uint8_t)(l4_len >> 24);
        tail[1] = (uint8_t)(l4_len >> 16);
        tail[2] = (uint8_t)(l4_len >> 8);
        tail[3] = (uint8_t)l4_len;
        tail[7] = proto;
        sum = add_bytes(sum, tail, 8);
    }
    return fold64(sum);
}
