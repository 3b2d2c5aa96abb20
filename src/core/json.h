/*
 * JSON builder for EVE events (RFC 8259 text, one object per line).
 *
 * A `struct jb` writes one JSON value into a growable buffer that it owns and that never
 * grows past a hard maximum. The buffer is kept across events (jb_reset), so after warm-up
 * building an event allocates nothing. Errors are sticky: when a value would pass the
 * maximum size or the nesting limit, or memory runs out, the builder records the error and
 * ignores every later call (closing calls included) until jb_reset. The caller builds the
 * whole event, then checks jb_error() once and drops and counts the event if it is set.
 *
 * Strings are escaped so that the output is valid UTF-8 JSON for any input bytes:
 *   - '"' and '\' become \" and \\; 0x08 0x09 0x0A 0x0C 0x0D become \b \t \n \f \r; the other
 *     bytes below 0x20 become \u00XX (lower-case hex). DEL (0x7F) and '/' are copied as is.
 *   - well-formed UTF-8 sequences (RFC 3629: no overlongs, no surrogates, nothing above
 *     U+10FFFF) are copied as is;
 *   - every other byte >= 0x80 (stray continuation bytes, bad or truncated sequences) becomes
 *     \u00XX of that byte, so a reader sees U+0080..U+00FF and nothing is lost silently.
 * Keys go through the same escaping. Numbers are written without locale dependence.
 *
 * Misuse by our own code (a key inside an array, no key inside an object, closing the wrong
 * container) trips MM_ASSERT. Not thread-safe: one builder per thread.
 *
 * Not provided: pretty-printing, parsing, duplicate-key detection.
 */
#ifndef MM_CORE_JSON_H
#define MM_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of objects/arrays; one more open is MM_ELIMIT. EVE needs about 5. */
#define JB_MAX_DEPTH 32

struct jb {
    char *buf;      /* owned; NULL until the first allocation */
    size_t len;     /* bytes of JSON written, <= max */
    size_t cap;     /* bytes allocated, <= max + 1; len < cap once allocated (room for a NUL) */
    size_t max;     /* hard limit for len, in bytes */
    int err;        /* 0, MM_ELIMIT (size or depth limit) or MM_ENOMEM; sticky until jb_reset */
    uint32_t depth; /* open containers, <= JB_MAX_DEPTH */
    /* Per nesting level (0 = top level): JB_LVL_ARRAY and JB_LVL_ITEM bits. */
    uint8_t level[JB_MAX_DEPTH + 1];
};

/*
 * Prepare jb with initial_cap bytes (0 = allocate on first use; clamped to max_cap) and a
 * hard limit of max_cap bytes of JSON text (> 0). Returns 0, MM_EINVAL (max_cap 0) or
 * MM_ENOMEM; jb may be passed to jb_fini in every case.
 */
int jb_init(struct jb *jb, size_t initial_cap, size_t max_cap);

/* Free the buffer. jb may be reused only after jb_init. */
void jb_fini(struct jb *jb);

/* Forget the contents and any error; keep the buffer for the next event. */
void jb_reset(struct jb *jb);

/*
 * Appenders. key is a NUL-terminated member name when the innermost open container is an
 * object and must be NULL inside an array or at the top level (where exactly one value may
 * be written). Each returns the builder's error state after the call: 0 or the sticky error.
 */
int jb_open_object(struct jb *jb, const char *key);
int jb_close_object(struct jb *jb);
int jb_open_array(struct jb *jb, const char *key);
int jb_close_array(struct jb *jb);

/* A NUL-terminated string, escaped as described above; s == NULL writes null. */
int jb_string(struct jb *jb, const char *key, const char *s);
/* n bytes from the wire (may contain NULs and any other byte), escaped as above. */
int jb_string_bytes(struct jb *jb, const char *key, const uint8_t *p, size_t n);
int jb_uint(struct jb *jb, const char *key, uint64_t v);
int jb_int(struct jb *jb, const char *key, int64_t v);
int jb_bool(struct jb *jb, const char *key, bool v);
int jb_null(struct jb *jb, const char *key);
/*
 * v with exactly `decimals` digits after the point (clamped to 0..9, rounded half away from
 * zero), e.g. 1.5 with 3 -> 1.500. When |v| * 10^decimals does not fit in 63 bits the value
 * is written with 17 significant digits instead (e.g. 1e+300). NaN and infinities, which JSON
 * cannot express, are written as null.
 */
int jb_double(struct jb *jb, const char *key, double v, int decimals);
/* n bytes of pre-encoded JSON value, copied as is; the caller guarantees they are valid. */
int jb_raw(struct jb *jb, const char *key, const char *json, size_t n);
/* n bytes of pre-encoded object members ("a":1,"b":[2]) added to the innermost open object,
 * which they continue; n 0 adds nothing. The caller guarantees they are valid. */
int jb_raw_members(struct jb *jb, const char *members, size_t n);

/* 0, MM_ELIMIT or MM_ENOMEM. */
static inline int jb_error(const struct jb *jb)
{
    return jb->err;
}

/* True when one complete top-level value was written without error. */
static inline bool jb_complete(const struct jb *jb)
{
    return jb->err == 0 && jb->depth == 0 && jb->len > 0;
}

/* The JSON text, jb_len() bytes, not NUL-terminated; valid until the next call on jb. */
static inline const char *jb_ptr(const struct jb *jb)
{
    return jb->buf;
}

static inline size_t jb_len(const struct jb *jb)
{
    return jb->len;
}

/* The JSON text NUL-terminated ("" if nothing was allocated yet); valid until the next call. */
const char *jb_cstr(struct jb *jb);

#endif
