/*
 * Test helpers for the capture layer: build pcap and pcapng files byte by byte in memory
 * (either byte order), write them to temporary files, and make small Ethernet/IPv4 frames
 * that BPF filters can match.
 */
#ifndef MM_TESTS_CAP_TESTUTIL_H
#define MM_TESTS_CAP_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Growing byte buffer; multi-byte writes use `big` for the byte order. Aborts on OOM. */
struct tb {
    uint8_t *p;
    size_t len;
    size_t cap;
    bool big;
};

void tb_init(struct tb *b, bool big);
void tb_free(struct tb *b);
void tb_u8(struct tb *b, uint8_t v);
void tb_u16(struct tb *b, uint16_t v);
void tb_u32(struct tb *b, uint32_t v);
void tb_u64(struct tb *b, uint64_t v);
void tb_bytes(struct tb *b, const void *p, size_t n);
void tb_zeros(struct tb *b, size_t n);
void tb_put32_at(struct tb *b, size_t off, uint32_t v); /* overwrite, in b->big order */

/* pcap: file header (magic by nsec, in b->big order) and one record. */
void tb_pcap_hdr(struct tb *b, bool nsec, uint32_t linktype, uint32_t snaplen);
void tb_pcap_rec(struct tb *b, uint32_t sec, uint32_t frac, const uint8_t *data, uint32_t caplen,
                 uint32_t wirelen);

/* pcapng: blocks in b->big order. Each returns the block's start offset. */
size_t tb_blk_begin(struct tb *b, uint32_t type);
void tb_blk_end(struct tb *b, size_t start); /* pad to 4, write both lengths */
size_t tb_shb(struct tb *b);
/* tsresol < 0: no if_tsresol option; tsoffset NULL: no if_tsoffset option. */
size_t tb_idb(struct tb *b, uint16_t linktype, uint32_t snaplen, int tsresol,
              const int64_t *tsoffset);
size_t tb_epb(struct tb *b, uint32_t iface, uint64_t ts, const uint8_t *data, uint32_t caplen,
              uint32_t wirelen);
size_t tb_pb(struct tb *b, uint16_t iface, uint64_t ts, const uint8_t *data, uint32_t caplen,
             uint32_t wirelen);
size_t tb_spb(struct tb *b, const uint8_t *data, uint32_t datalen, uint32_t wirelen);
size_t tb_blk_raw(struct tb *b, uint32_t type, const uint8_t *body, size_t n);

/* Write bytes to a new temporary file; returns its malloc'd path (unlink + free it). */
char *tb_write_tmp(const uint8_t *p, size_t n);

/* Ethernet + IPv4 + TCP/UDP frame (proto 6 or 17) with `payload` bytes; returns its length.
 * With sll, a 16-byte Linux cooked (SLL) header replaces the Ethernet header. */
size_t make_frame(uint8_t *buf, size_t cap, bool sll, uint8_t proto, uint16_t sport, uint16_t dport,
                  uint16_t payload);

/* Deterministic packet bytes: byte i of packet `seed` is (seed * 7 + i) & 0xff. */
void fill_pattern(uint8_t *buf, size_t n, unsigned seed);

#endif
