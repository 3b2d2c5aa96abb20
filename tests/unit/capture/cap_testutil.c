/* Test helpers: see cap_testutil.h. */
#include "cap_testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tb_init(struct tb *b, bool big)
{
    memset(b, 0, sizeof *b);
    b->big = big;
}

void tb_free(struct tb *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void tb_reserve(struct tb *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < b->len + n)
        ncap *= 2;
    uint8_t *np = realloc(b->p, ncap);
    if (np == NULL)
        abort();
    b->p = np;
    b->cap = ncap;
}

void tb_bytes(struct tb *b, const void *p, size_t n)
{
    tb_reserve(b, n);
    if (n > 0)
        memcpy(b->p + b->len, p, n);
    b->len += n;
}

void tb_zeros(struct tb *b, size_t n)
{
    tb_reserve(b, n);
    memset(b->p + b->len, 0, n);
    b->len += n;
}

void tb_u8(struct tb *b, uint8_t v)
{
    tb_bytes(b, &v, 1);
}

void tb_u16(struct tb *b, uint16_t v)
{
    uint8_t x[2];
    if (b->big) {
        x[0] = (uint8_t)(v >> 8);
        x[1] = (uint8_t)v;
    } else {
        x[0] = (uint8_t)v;
        x[1] = (uint8_t)(v >> 8);
    }
    tb_bytes(b, x, 2);
}

static void put32(uint8_t *x, uint32_t v, bool big)
{
    for (int i = 0; i < 4; i++) {
        int shift = big ? 24 - 8 * i : 8 * i;
        x[i] = (uint8_t)(v >> shift);
    }
}

void tb_u32(struct tb *b, uint32_t v)
{
    uint8_t x[4];
    put32(x, v, b->big);
    tb_bytes(b, x, 4);
}

void tb_u64(struct tb *b, uint64_t v)
{
    if (b->big) {
        tb_u32(b, (uint32_t)(v >> 32));
        tb_u32(b, (uint32_t)v);
    } else {
        tb_u32(b, (uint32_t)v);
        tb_u32(b, (uint32_t)(v >> 32));
    }
}

void tb_put32_at(struct tb *b, size_t off, uint32_t v)
{
    if (off + 4 > b->len)
        abort();
    put32(b->p + off, v, b->big);
}

void tb_pcap_hdr(struct tb *b, bool nsec, uint32_t linktype, uint32_t snaplen)
{
    tb_u32(b, nsec ? 0xa1b23c4du : 0xa1b2c3d4u);
    tb_u16(b, 2);
    tb_u16(b, 4);
    tb_u32(b, 0);
    tb_u32(b, 0);
    tb_u32(b, snaplen);
    tb_u32(b, linktype);
}

void tb_pcap_rec(struct tb *b, uint32_t sec, uint32_t frac, const uint8_t *data, uint32_t caplen,
                 uint32_t wirelen)
{
    tb_u32(b, sec);
    tb_u32(b, frac);
    tb_u32(b, caplen);
    tb_u32(b, wirelen);
    tb_bytes(b, data, caplen);
}

size_t tb_blk_begin(struct tb *b, uint32_t type)
{
    size_t start = b->len;
    tb_u32(b, type);
    tb_u32(b, 0); /* length, patched by tb_blk_end */
    return start;
}

void tb_blk_end(struct tb *b, size_t start)
{
    while (b->len % 4 != 0)
        tb_u8(b, 0);
    uint32_t len = (uint32_t)(b->len - start + 4);
    tb_u32(b, len);
    tb_put32_at(b, start + 4, len);
}

size_t tb_shb(struct tb *b)
{
    size_t s = tb_blk_begin(b, 0x0a0d0d0au);
    tb_u32(b, 0x1a2b3c4du);
    tb_u16(b, 1);
    tb_u16(b, 0);
    tb_u64(b, UINT64_MAX); /* section length unknown */
    tb_blk_end(b, s);
    return s;
}

size_t tb_idb(struct tb *b, uint16_t linktype, uint32_t snaplen, int tsresol,
              const int64_t *tsoffset)
{
    size_t s = tb_blk_begin(b, 1);
    tb_u16(b, linktype);
    tb_u16(b, 0);
    tb_u32(b, snaplen);
    /* an option we do not use first (if_name "eth0"), to check option walking */
    tb_u16(b, 2);
    tb_u16(b, 4);
    tb_bytes(b, "eth0", 4);
    if (tsresol >= 0) {
        tb_u16(b, 9);
        tb_u16(b, 1);
        tb_u8(b, (uint8_t)tsresol);
        tb_zeros(b, 3);
    }
    if (tsoffset != NULL) {
        tb_u16(b, 14);
        tb_u16(b, 8);
        tb_u64(b, (uint64_t)*tsoffset);
    }
    tb_u16(b, 0); /* opt_endofopt */
    tb_u16(b, 0);
    tb_blk_end(b, s);
    return s;
}

size_t tb_epb(struct tb *b, uint32_t iface, uint64_t ts, const uint8_t *data, uint32_t caplen,
              uint32_t wirelen)
{
    size_t s = tb_blk_begin(b, 6);
    tb_u32(b, iface);
    tb_u32(b, (uint32_t)(ts >> 32));
    tb_u32(b, (uint32_t)ts);
    tb_u32(b, caplen);
    tb_u32(b, wirelen);
    tb_bytes(b, data, caplen);
    tb_blk_end(b, s);
    return s;
}

size_t tb_pb(struct tb *b, uint16_t iface, uint64_t ts, const uint8_t *data, uint32_t caplen,
             uint32_t wirelen)
{
    size_t s = tb_blk_begin(b, 2);
    tb_u16(b, iface);
    tb_u16(b, 0);
    tb_u32(b, (uint32_t)(ts >> 32));
    tb_u32(b, (uint32_t)ts);
    tb_u32(b, caplen);
    tb_u32(b, wirelen);
    tb_bytes(b, data, caplen);
    tb_blk_end(b, s);
    return s;
}

size_t tb_spb(struct tb *b, const uint8_t *data, uint32_t datalen, uint32_t wirelen)
{
    size_t s = tb_blk_begin(b, 3);
    tb_u32(b, wirelen);
    tb_bytes(b, data, datalen);
    tb_blk_end(b, s);
    return s;
}

size_t tb_blk_raw(struct tb *b, uint32_t type, const uint8_t *body, size_t n)
{
    size_t s = tb_blk_begin(b, type);
    tb_bytes(b, body, n);
    tb_blk_end(b, s);
    return s;
}

char *tb_write_tmp(const uint8_t *p, size_t n)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == '\0')
        dir = "/tmp";
    size_t len = strlen(dir) + 32;
    char *path = malloc(len);
    if (path == NULL)
        abort();
    snprintf(path, len, "%s/mm_cap_XXXXXX", dir);
    int fd = mkstemp(path);
    if (fd < 0)
        abort();
    size_t done = 0;
    while (done < n) {
        ssize_t k = write(fd, p + done, n - done);
        if (k <= 0)
            abort();
        done += (size_t)k;
    }
    close(fd);
    return path;
}

size_t make_frame(uint8_t *buf, size_t cap, bool sll, uint8_t proto, uint16_t sport, uint16_t dport,
                  uint16_t payload)
{
    size_t l2 = sll ? 16 : 14;
    size_t l4 = proto == 6 ? 20 : 8;
    size_t n = l2 + 20 + l4 + payload;
    if (n > cap)
        abort();
    memset(buf, 0, n);
    uint8_t *p = buf;
    if (sll) {
        p[1] = 0;     /* packet type: to us */
        p[3] = 1;     /* ARPHRD_ETHER */
        p[5] = 6;     /* address length */
        p[14] = 0x08; /* protocol: IPv4 */
    } else {
        static const uint8_t macs[12] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2};
        memcpy(p, macs, 12);
        p[12] = 0x08;
    }
    uint8_t *ip = p + l2;
    size_t iplen = 20 + l4 + payload;
    ip[0] = 0x45;
    ip[2] = (uint8_t)(iplen >> 8);
    ip[3] = (uint8_t)iplen;
    ip[8] = 64;
    ip[9] = proto;
    ip[12] = 10, ip[15] = 1; /* 10.0.0.1 -> 10.0.0.2 */
    ip[16] = 10, ip[19] = 2;
    uint8_t *t = ip + 20;
    t[0] = (uint8_t)(sport >> 8);
    t[1] = (uint8_t)sport;
    t[2] = (uint8_t)(dport >> 8);
    t[3] = (uint8_t)dport;
    if (proto == 6) {
        t[12] = 0x50; /* data offset 5 */
        t[13] = 0x18; /* PSH ACK */
    } else {
        t[4] = (uint8_t)((8 + payload) >> 8);
        t[5] = (uint8_t)(8 + payload);
    }
    return n;
}

void fill_pattern(uint8_t *buf, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(seed * 7u + i);
}
