/*
 * Project-wide basics: error codes, branch hints, assertions and the MM_TESTABLE
 * marker. Every module includes this; it includes nothing of ours.
 */
#ifndef MM_CORE_MM_H
#define MM_CORE_MM_H

#include <stddef.h>
#include <stdint.h>

/* Error codes: functions that can fail return 0 or one of these (negative). */
enum mm_err {
    MM_OK = 0,
    MM_ENOMEM = -1,  /* allocation failed */
    MM_ELIMIT = -2,  /* a memcap or configured limit refused the request */
    MM_EINVAL = -3,  /* invalid argument or malformed configuration */
    MM_EIO = -4,     /* read/write failure */
    MM_EFORMAT = -5, /* input file is not in a format we read */
    MM_ETRUNC = -6,  /* input ended in the middle of a record */
    MM_EOF = -7,     /* normal end of input */
    MM_EAGAIN = -8,  /* nothing available now (live capture timeout) */
};

/* Human-readable text for an mm_err value. Never NULL. */
const char *mm_strerror(int err);

#define MM_LIKELY(x) __builtin_expect(!!(x), 1)
#define MM_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define MM_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MM_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MM_MAX(a, b) ((a) > (b) ? (a) : (b))

/* a + b, or UINT64_MAX when that overflows (timestamps near 2^64 in hostile captures). */
static inline uint64_t mm_sat_add(uint64_t a, uint64_t b)
{
    uint64_t r;
    return __builtin_add_overflow(a, b, &r) ? UINT64_MAX : r;
}

/* MM_ASSERT is for our own invariants, never for hostile input. */
void mm_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define MM_ASSERT(x)                                                                               \
    do {                                                                                           \
        if (MM_UNLIKELY(!(x)))                                                                     \
            mm_assert_fail(#x, __FILE__, __LINE__);                                                \
    } while (0)

/* Functions that are static in release builds but visible to unit tests. */
#ifdef MM_UNIT_TEST
#define MM_TESTABLE
#else
#define MM_TESTABLE static
#endif

#endif
