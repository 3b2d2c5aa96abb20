/*
 * Private helpers shared by the text-based parsers (POP3, IMAP, FTP): a bounded byte buffer
 * charged to app.memcap, case-insensitive word tests, a space tokenizer and a strict base64
 * decoder for SASL exchanges. Header-only (static inline) so that each parser stays one file.
 *
 * Buffers that may have held a password are wiped (explicit_bzero) when cleared or freed.
 */
#ifndef MM_APP_TEXTPROTO_H
#define MM_APP_TEXTPROTO_H

#include "app/app_parser.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable byte buffer that never holds more than the `max` given to tp_put. */
struct tp_buf {
    uint8_t *p;
    uint32_t len, cap; /* bytes held / allocated (cap is the exact app_alloc size) */
};

/*
 * Append n bytes, keeping at most max bytes in all. Returns 0 when everything fit, 1 when
 * the input was cut at max (what fit is kept), -1 when memory was refused (b unchanged).
 */
static inline int tp_put(struct app_session *s, struct tp_buf *b, const void *d, size_t n,
                         uint32_t max)
{
    int cut = 0;
    if (b->len >= max)
        return n ? 1 : 0;
    if (n > (size_t)(max - b->len)) {
        n = max - b->len;
        cut = 1;
    }
    if (n == 0)
        return cut;
    size_t need = (size_t)b->len + n;
    if (need > b->cap) {
        size_t ncap = b->cap ? (size_t)b->cap * 2 : 64;
        while (ncap < need)
            ncap *= 2;
        if (ncap > max)
            ncap = max;
        uint8_t *np = b->p ? app_realloc(s, b->p, b->cap, ncap) : app_alloc(s, ncap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = (uint32_t)ncap;
    }
    memcpy(b->p + b->len, d, n);
    b->len += (uint32_t)n;
    return cut;
}

/* Forget the contents (keep the memory); wipe when they may have been secret. */
static inline void tp_clear(struct tp_buf *b, bool wipe)
{
    if (wipe && b->p)
        explicit_bzero(b->p, b->cap);
    b->len = 0;
}

static inline void tp_free(struct app_session *s, struct tp_buf *b)
{
    if (b->p) {
        explicit_bzero(b->p, b->cap);
        app_free(s, b->p, b->cap);
    }
    b->p = NULL;
    b->len = b->cap = 0;
}

static inline uint8_t tp_upper(uint8_t c)
{
    return (c >= 'a' && c <= 'z') ? (uint8_t)(c - 32) : c;
}

/* p[0..n) equals the upper-case literal w, ignoring ASCII case. */
static inline bool tp_ieq(const uint8_t *p, size_t n, const char *w)
{
    size_t wl = strlen(w);
    if (n != wl)
        return false;
    for (size_t i = 0; i < n; i++)
        if (tp_upper(p[i]) != (uint8_t)w[i])
            return false;
    return true;
}

/* p[0..n) starts with the upper-case literal w, ignoring ASCII case. */
static inline bool tp_iprefix(const uint8_t *p, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n >= wl && tp_ieq(p, wl, w);
}

/*
 * Next word of p[*pos..n) separated by spaces or tabs: sets *w and *wl, advances *pos past it.
 * False at the end of the line.
 */
static inline bool tp_word(const uint8_t *p, size_t n, size_t *pos, const uint8_t **w, size_t *wl)
{
    size_t i = *pos;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= n) {
        *pos = n;
        return false;
    }
    size_t st = i;
    while (i < n && p[i] != ' ' && p[i] != '\t')
        i++;
    *w = p + st;
    *wl = i - st;
    *pos = i;
    return true;
}

static inline int tp_b64_val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * Strict base64 (RFC 4648 §4, padding optional at the end) of in[0..n) into out (cap bytes).
 * Returns the decoded length, or -1 on an invalid character or when out is too small.
 */
static inline long tp_b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    size_t i = 0;
    while (n > 0 && in[n - 1] == '=')
        n--;
    for (; i < n; i++) {
        int v = tp_b64_val(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return -1;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (long)o;
}

#endif
