/*
 * Bounds-checked byte cursor: the only way decoders read packet bytes.
 *
 * A cursor is a borrowed (ptr, len) window plus a read position. Every read checks the
 * remaining length first; a short read sets `err` and returns 0, and all later reads fail
 * too, so a decoder may read a whole header and check `cur_ok()` once. Multi-byte values are
 * assembled byte by byte (explicit endianness, no unaligned loads, no struct casts).
 */
#ifndef MM_CORE_CUR_H
#define MM_CORE_CUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cur {
    const uint8_t *p; /* start of the window (borrowed) */
    size_t len;       /* window length in bytes */
    size_t off;       /* next byte to read, 0..len */
    bool err;         /* sticky: a read went past the end */
};

static inline struct cur cur_make(const uint8_t *p, size_t len)
{
    struct cur c = {p, len, 0, false};
    return c;
}

static inline size_t cur_left(const struct cur *c)
{
    return c->err ? 0 : c->len - c->off;
}

static inline bool cur_ok(const struct cur *c)
{
    return !c->err;
}

/* True when n more bytes can be read. Does not set err. */
static inline bool cur_has(const struct cur *c, size_t n)
{
    return !c->err && c->len - c->off >= n;
}

/* Pointer to the current position (valid for cur_left() bytes). */
static inline const uint8_t *cur_ptr(const struct cur *c)
{
    return c->p + c->off;
}

static inline bool cur_need(struct cur *c, size_t n)
{
    if (c->err || c->len - c->off < n) {
        c->err = true;
        return false;
    }
    return true;
}

static inline bool cur_skip(struct cur *c, size_t n)
{
    if (!cur_need(c, n))
        return false;
    c->off += n;
    return true;
}

/* Borrow n bytes: returns a pointer into the window and advances, or NULL. */
static inline const uint8_t *cur_take(struct cur *c, size_t n)
{
    if (!cur_need(c, n))
        return NULL;
    const uint8_t *r = c->p + c->off;
    c->off += n;
    return r;
}

static inline uint8_t cur_u8(struct cur *c)
{
    if (!cur_need(c, 1))
        return 0;
    return c->p[c->off++];
}

static inline uint16_t cur_be16(struct cur *c)
{
    if (!cur_need(c, 2))
        return 0;
    const uint8_t *b = c->p + c->off;
    c->off += 2;
    return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t cur_be32(struct cur *c)
{
    if (!cur_need(c, 4))
        return 0;
    const uint8_t *b = c->p + c->off;
    c->off += 4;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint16_t cur_le16(struct cur *c)
{
    if (!cur_need(c, 2))
        return 0;
    const uint8_t *b = c->p + c->off;
    c->off += 2;
    return (uint16_t)((uint16_t)b[1] << 8 | b[0]);
}

static inline uint32_t cur_le32(struct cur *c)
{
    if (!cur_need(c, 4))
        return 0;
    const uint8_t *b = c->p + c->off;
    c->off += 4;
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static inline uint64_t cur_le64(struct cur *c)
{
    uint64_t lo = cur_le32(c);
    uint64_t hi = cur_le32(c);
    return hi << 32 | lo;
}

static inline uint64_t cur_be64(struct cur *c)
{
    uint64_t hi = cur_be32(c);
    uint64_t lo = cur_be32(c);
    return hi << 32 | lo;
}

/* Read from a fixed offset without moving; 0 and false if out of range. */
static inline bool cur_peek_be16(const struct cur *c, size_t at, uint16_t *out)
{
    if (c->err || c->len - c->off < at + 2)
        return false;
    const uint8_t *b = c->p + c->off + at;
    *out = (uint16_t)((uint16_t)b[0] << 8 | b[1]);
    return true;
}

#endif
