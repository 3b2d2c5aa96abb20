/*
 * Timestamp formatting for EVE output: "2024-01-02T03:04:05.123456+0000", the form Suricata
 * writes in every event (ISO 8601, UTC, microseconds, numeric offset without colon).
 *
 * The calendar is computed with integer arithmetic (proleptic Gregorian, days-to-civil), so
 * the result never depends on TZ, the locale or libc's gmtime/strftime. Each thread caches the
 * date part of the last day it formatted, because consecutive events almost always share it.
 */
#ifndef MM_CORE_TIMEFMT_H
#define MM_CORE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Characters of a formatted timestamp, and the buffer size that holds it with its NUL. */
#define MM_TS_LEN 31
#define MM_TS_BUFLEN 32

/*
 * Write ts_ns (nanoseconds since 1970-01-01T00:00:00Z) into out as
 * "YYYY-MM-DDTHH:MM:SS.uuuuuu+0000" followed by a NUL. Sub-microsecond digits are truncated,
 * not rounded, so a timestamp never moves into the next second. Every uint64_t value is
 * representable (the largest is in year 2554).
 *
 * Returns MM_TS_LEN, or 0 when outlen < MM_TS_BUFLEN (out then holds "" if outlen > 0).
 * Thread-safe (the day cache is thread-local); no allocation.
 */
size_t mm_format_ts(char *out, size_t outlen, uint64_t ts_ns);

/*
 * Convert a (seconds, nanoseconds) pair such as a pcap or timespec timestamp into the
 * nanosecond form mm_format_ts takes. Times before 1970 clamp to 0 and times past the
 * uint64_t range saturate, so a bogus capture timestamp still formats to a valid string.
 * nsec may be outside [0, 1e9) and is carried into the seconds.
 */
uint64_t mm_ts_from_sec_nsec(int64_t sec, int64_t nsec);

#endif
