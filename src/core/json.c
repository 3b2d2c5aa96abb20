/*
 * JSON builder; see json.h for the contract.
 *
 * String escaping is the hot spot (every event carries several strings). Plain ASCII runs are
 * found eight bytes at a time with word arithmetic and copied with one memcpy; only bytes that
 * need attention (controls, '"', '\', bytes >= 0x80) take the per-byte path. UTF-8 is checked
 * against the well-formed byte ranges of Unicode 15 table 3-7:
 *
 *   U+0000..U+007F     00..7F
 *   U+0080..U+07FF     C2..DF 80..BF
 *   U+0800..U+0FFF     E0     A0..BF 80..BF
 *   U+1000..U+CFFF     E1..EC 80..BF 80..BF
 *   U+D000..U+D7FF     ED     80..9F 80..BF        (ED A0..BF would be a surrogate)
 *   U+E000..U+FFFF     EE..EF 80..BF 80..BF
 *   U+10000..U+3FFFF   F0     90..BF 80..BF 80..BF
 *   U+40000..U+FFFFF   F1..F3 80..BF 80..BF 80..BF
 *   U+100000..U+10FFFF F4     80..8F 80..BF 80..BF
 *
 * A byte that does not start a sequence of this table is written as \u00XX and scanning
 * resumes at the next byte, so a broken sequence costs one escape per byte and never
 * swallows a following valid character.
 */
#include "core/json.h"

#include "core/mm.h"

#include <math.h> /* isfinite */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JB_LVL_ARRAY 0x01u /* the container at this level is an array */
#define JB_LVL_ITEM 0x02u  /* at least one value was written at this level */

/* Longest output of one escaped input byte: \u00XX. */
#define ESC_MAX 6

static const char hex_digits[] = "0123456789abcdef";

/*
 * Action for an ASCII byte: 0 copy, 'u' -> \u00XX, any other value -> backslash + that char.
 * Bytes >= 0x80 are checked as UTF-8 instead.
 */
static const uint8_t esc_action[128] = {
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u',  [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', ['\b'] = 'b', ['\t'] = 't',  ['\n'] = 'n', [0x0b] = 'u',
    ['\f'] = 'f', ['\r'] = 'r', [0x0e] = 'u', [0x0f] = 'u',  [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u',  [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',  [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

/* ---- buffer management ---------------------------------------------------------------- */

/* Make room for n more bytes plus the NUL slot; false (error set) when that is impossible. */
static bool jb_grow(struct jb *jb, size_t n)
{
    if (jb->err)
        return false;
    if (n > jb->max - jb->len) {
        jb->err = MM_ELIMIT;
        return false;
    }
    size_t need = jb->len + n + 1;
    size_t ncap = jb->cap ? jb->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2;
    if (ncap > jb->max + 1)
        ncap = jb->max + 1;
    char *nbuf = realloc(jb->buf, ncap);
    if (!nbuf) {
        jb->err = MM_ENOMEM;
        return false;
    }
    jb->buf = nbuf;
    jb->cap = ncap;
    return true;
}

static inline bool jb_reserve(struct jb *jb, size_t n)
{
    if (MM_LIKELY(jb->cap > jb->len && n < jb->cap - jb->len))
        return true;
    return jb_grow(jb, n);
}

/* Bytes that can be written now without growing (one slot stays free for a NUL). */
static inline size_t jb_room(const struct jb *jb)
{
    return jb->cap ? jb->cap - 1 - jb->len : 0;
}

static inline void jb_put(struct jb *jb, const void *p, size_t n)
{
    memcpy(jb->buf + jb->len, p, n);
    jb->len += n;
}

int jb_init(struct jb *jb, size_t initial_cap, size_t max_cap)
{
    memset(jb, 0, sizeof *jb);
    if (max_cap == 0 || max_cap == SIZE_MAX)
        return jb->err = MM_EINVAL;
    jb->max = max_cap;
    if (initial_cap) {
        jb->cap = MM_MIN(initial_cap, max_cap) + 1;
        jb->buf = malloc(jb->cap);
        if (!jb->buf) {
            jb->cap = 0;
            return MM_ENOMEM; /* not sticky: the first append may still succeed */
        }
    }
    return 0;
}

void jb_fini(struct jb *jb)
{
    free(jb->buf);
    memset(jb, 0, sizeof *jb);
}

void jb_reset(struct jb *jb)
{
    jb->len = 0;
    jb->err = 0;
    jb->depth = 0;
    jb->level[0] = 0;
}

const char *jb_cstr(struct jb *jb)
{
    if (!jb->buf)
        return "";
    jb->buf[jb->len] = '\0'; /* len < cap always holds once buf exists */
    return jb->buf;
}

/* ---- escaping ------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s[0] (>= 0x80), or 0 if there is none. */
static size_t utf8_seq_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0xC2) /* continuation byte, or C0/C1 which only start overlongs */
        return 0;
    if (c < 0xE0)
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3)
            return 0;
        uint8_t lo = c == 0xE0 ? 0xA0 : 0x80; /* E0 80..9F is overlong */
        uint8_t hi = c == 0xED ? 0x9F : 0xBF; /* ED A0..BF is a surrogate */
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c < 0xF5) {
        if (n < 4)
            return 0;
        uint8_t lo = c == 0xF0 ? 0x90 : 0x80; /* F0 80..8F is overlong */
        uint8_t hi = c == 0xF4 ? 0x8F : 0xBF; /* F4 90.. is above U+10FFFF */
        return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 && (s[3] & 0xC0) == 0x80 ? 4 : 0;
    }
    return 0; /* F5..FF never occur in UTF-8 */
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Nonzero when any of the 8 bytes in w needs escaping or is non-ASCII (exact "any" test). */
static inline uint64_t word_needs_care(uint64_t w)
{
    uint64_t quote = w ^ (ONES * '"');
    uint64_t bslash = w ^ (ONES * '\\');
    uint64_t lt_space = (w - ONES * 0x20) & ~w;
    uint64_t is_quote = (quote - ONES) & ~quote;
    uint64_t is_bslash = (bslash - ONES) & ~bslash;
    return (lt_space | is_quote | is_bslash | w) & HIGHS;
}

/* Number of bytes at the start of s[0..n) that are copied unchanged (printable ASCII, DEL). */
static inline size_t plain_run(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (word_needs_care(w))
            break;
        i += 8;
    }
    while (i < n && s[i] < 0x80 && esc_action[s[i]] == 0)
        i++;
    return i;
}

/*
 * Escape s[0..n) into dst, writing at most room bytes. Stops before an item (a run piece, an
 * escape or a UTF-8 sequence) that does not fit. Sets *used to the input bytes consumed and
 * returns the output bytes written.
 */
static size_t escape_some(char *dst, size_t room, const uint8_t *s, size_t n, size_t *used)
{
    size_t i = 0, o = 0;
    while (i < n) {
        size_t run = plain_run(s + i, n - i);
        if (run) {
            size_t k = MM_MIN(run, room - o);
            memcpy(dst + o, s + i, k);
            o += k;
            i += k;
            if (k < run)
                break;
            if (i == n)
                break;
        }
        uint8_t c = s[i];
        uint8_t act = 'u';
        if (c < 0x80) {
            act = esc_action[c];
        } else {
            size_t ulen = utf8_seq_len(s + i, n - i);
            if (ulen) {
                if (room - o < ulen)
                    break;
                memcpy(dst + o, s + i, ulen);
                o += ulen;
                i += ulen;
                continue;
            }
        }
        if (act == 'u') {
            if (room - o < ESC_MAX)
                break;
            char *p = dst + o;
            p[0] = '\\';
            p[1] = 'u';
            p[2] = '0';
            p[3] = '0';
            p[4] = hex_digits[c >> 4];
            p[5] = hex_digits[c & 0x0f];
            o += ESC_MAX;
        } else {
            if (room - o < 2)
                break;
            dst[o] = '\\';
            dst[o + 1] = (char)act;
            o += 2;
        }
        i++;
    }
    *used = i;
    return o;
}

/*
 * Append s[0..n) as a quoted, escaped JSON string followed by `suffix` (0 for none; ':' after
 * a key).
 */
static void jb_put_string(struct jb *jb, const uint8_t *s, size_t n, char suffix)
{
    size_t tail = suffix ? 2 : 1; /* closing quote and suffix */
    /* Optimistic first reservation: most strings need no escapes at all. */
    if (!jb_reserve(jb, n + 1 + tail))
        return;
    char *out = jb->buf + jb->len;
    size_t plain = plain_run(s, n);
    if (MM_LIKELY(plain == n)) {
        out[0] = '"';
        memcpy(out + 1, s, n);
        out[n + 1] = '"';
        out[n + 2] = suffix; /* in the reserved area, or the NUL slot when suffix is 0 */
        jb->len += n + 1 + tail;
        return;
    }
    out[0] = '"';
    memcpy(out + 1, s, plain);
    jb->len += 1 + plain;
    size_t i = plain;
    for (;;) {
        size_t used;
        jb->len += escape_some(jb->buf + jb->len, jb_room(jb), s + i, n - i, &used);
        i += used;
        if (i == n)
            break;
        /*
         * The next item did not fit. If the buffer is already as large as the limit allows,
         * the string does not fit at all; otherwise grow (at least doubling) and go on.
         */
        size_t limit = jb->max - jb->len;
        if (jb_room(jb) >= limit) {
            jb->err = MM_ELIMIT;
            return;
        }
        size_t want = MM_MIN(MM_MAX((n - i) + ESC_MAX, jb->cap), limit);
        if (!jb_reserve(jb, want))
            return;
    }
    if (!jb_reserve(jb, tail))
        return;
    jb->buf[jb->len++] = '"';
    if (suffix)
        jb->buf[jb->len++] = suffix;
}

/* ---- structure ------------------------------------------------------------------------ */

/*
 * Start a value at the current level: check the key against the container kind, then write
 * the separating comma and the key. False when the builder is in an error state.
 */
static bool jb_begin_value(struct jb *jb, const char *key)
{
    if (jb->err)
        return false;
    uint8_t *lvl = &jb->level[jb->depth];
    if (jb->depth == 0)
        MM_ASSERT(key == NULL && !(*lvl & JB_LVL_ITEM));
    else if (*lvl & JB_LVL_ARRAY)
        MM_ASSERT(key == NULL);
    else
        MM_ASSERT(key != NULL);

    if (*lvl & JB_LVL_ITEM) {
        if (!jb_reserve(jb, 1))
            return false;
        jb->buf[jb->len++] = ',';
    }
    *lvl |= JB_LVL_ITEM;
    if (key)
        jb_put_string(jb, (const uint8_t *)key, strlen(key), ':');
    return jb->err == 0;
}

static int jb_open(struct jb *jb, const char *key, bool array)
{
    if (!jb_begin_value(jb, key))
        return jb->err;
    if (MM_UNLIKELY(jb->depth >= JB_MAX_DEPTH))
        return jb->err = MM_ELIMIT;
    if (!jb_reserve(jb, 1))
        return jb->err;
    jb->buf[jb->len++] = array ? '[' : '{';
    jb->depth++;
    jb->level[jb->depth] = array ? JB_LVL_ARRAY : 0;
    return 0;
}

static int jb_close(struct jb *jb, bool array)
{
    if (jb->err)
        return jb->err;
    MM_ASSERT(jb->depth > 0);
    MM_ASSERT(!!(jb->level[jb->depth] & JB_LVL_ARRAY) == array);
    if (!jb_reserve(jb, 1))
        return jb->err;
    jb->buf[jb->len++] = array ? ']' : '}';
    jb->depth--;
    return 0;
}

int jb_open_object(struct jb *jb, const char *key)
{
    return jb_open(jb, key, false);
}

int jb_close_object(struct jb *jb)
{
    return jb_close(jb, false);
}

int jb_open_array(struct jb *jb, const char *key)
{
    return jb_open(jb, key, true);
}

int jb_close_array(struct jb *jb)
{
    return jb_close(jb, true);
}

/* ---- scalars -------------------------------------------------------------------------- */

int jb_string(struct jb *jb, const char *key, const char *s)
{
    if (!s)
        return jb_null(jb, key);
    return jb_string_bytes(jb, key, (const uint8_t *)s, strlen(s));
}

int jb_string_bytes(struct jb *jb, const char *key, const uint8_t *p, size_t n)
{
    if (jb_begin_value(jb, key))
        jb_put_string(jb, p, n, 0);
    return jb->err;
}

/* Decimal digits of v into the end of tmp[20]; returns the first digit's index. */
static size_t u64_digits(char tmp[20], uint64_t v)
{
    size_t i = 20;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return i;
}

static void jb_put_u64(struct jb *jb, bool neg, uint64_t v)
{
    char tmp[21];
    size_t i = u64_digits(tmp + 1, v) + 1;
    if (neg)
        tmp[--i] = '-';
    if (jb_reserve(jb, 21 - i))
        jb_put(jb, tmp + i, 21 - i);
}

int jb_uint(struct jb *jb, const char *key, uint64_t v)
{
    if (jb_begin_value(jb, key))
        jb_put_u64(jb, false, v);
    return jb->err;
}

int jb_int(struct jb *jb, const char *key, int64_t v)
{
    if (jb_begin_value(jb, key)) {
        /* Negate in unsigned arithmetic: -INT64_MIN does not exist as int64_t. */
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        jb_put_u64(jb, v < 0, mag);
    }
    return jb->err;
}

static int jb_literal(struct jb *jb, const char *key, const char *lit, size_t n)
{
    if (jb_begin_value(jb, key) && jb_reserve(jb, n))
        jb_put(jb, lit, n);
    return jb->err;
}

int jb_bool(struct jb *jb, const char *key, bool v)
{
    return v ? jb_literal(jb, key, "true", 4) : jb_literal(jb, key, "false", 5);
}

int jb_null(struct jb *jb, const char *key)
{
    return jb_literal(jb, key, "null", 4);
}

int jb_raw(struct jb *jb, const char *key, const char *json, size_t n)
{
    return jb_literal(jb, key, json, n);
}

int jb_raw_members(struct jb *jb, const char *members, size_t n)
{
    if (jb->err || n == 0)
        return jb->err;
    uint8_t *lvl = &jb->level[jb->depth];
    MM_ASSERT(jb->depth > 0 && !(*lvl & JB_LVL_ARRAY));
    if (!jb_reserve(jb, n + 1))
        return jb->err;
    if (*lvl & JB_LVL_ITEM)
        jb->buf[jb->len++] = ',';
    jb_put(jb, members, n);
    *lvl |= JB_LVL_ITEM;
    return jb->err;
}

int jb_double(struct jb *jb, const char *key, double v, int decimals)
{
    static const double pow10[10] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    if (!isfinite(v))
        return jb_null(jb, key);
    if (!jb_begin_value(jb, key))
        return jb->err;
    unsigned d = 0;
    if (decimals > 9)
        d = 9;
    else if (decimals > 0)
        d = (unsigned)decimals;
    double scaled = (v < 0 ? -v : v) * pow10[d] + 0.5;
    char out[48];
    size_t n;
    if (scaled < 9223372036854775808.0) { /* 2^63: the scaled value fits an integer */
        uint64_t mag = (uint64_t)scaled;
        uint64_t div = (uint64_t)pow10[d];
        char tmp[20];
        size_t i = u64_digits(tmp, mag / div);
        n = 0;
        if (v < 0 && mag != 0)
            out[n++] = '-';
        memcpy(out + n, tmp + i, 20 - i);
        n += 20 - i;
        if (d) {
            out[n++] = '.';
            uint64_t frac = mag % div;
            for (unsigned k = d; k-- > 0;) {
                out[n + k] = (char)('0' + frac % 10);
                frac /= 10;
            }
            n += d;
        }
    } else {
        int r = snprintf(out, sizeof out, "%.17g", v);
        n = r > 0 ? (size_t)r : 0;
        /* Guard against a process that set LC_NUMERIC to a comma locale. */
        for (size_t i = 0; i < n; i++)
            if (out[i] == ',')
                out[i] = '.';
    }
    if (jb_reserve(jb, n))
        jb_put(jb, out, n);
    return jb->err;
}
