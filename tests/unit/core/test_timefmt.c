/* Tests for src/core/timefmt.c: EVE timestamps. */
#include "core/timefmt.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define NS(sec, frac_ns) ((uint64_t)(sec) * UINT64_C(1000000000) + (uint64_t)(frac_ns))

struct ts_row {
    const char *name;
    uint64_t ts_ns;
    const char *want;
};

static const struct ts_row ts_rows[] = {
    {"epoch", 0, "1970-01-01T00:00:00.000000+0000"},
    {"brief example", NS(1704164645, 123456789), "2024-01-02T03:04:05.123456+0000"},
    {"sub-microsecond truncated", NS(1704164645, 999), "2024-01-02T03:04:05.000000+0000"},
    {"last ns of a second", NS(946684799, 999999999), "1999-12-31T23:59:59.999999+0000"},
    {"leap day 2024", NS(1709251199, 500000), "2024-02-29T23:59:59.000500+0000"},
    {"leap day 2000 (div by 400)", NS(951825600, 0), "2000-02-29T12:00:00.000000+0000"},
    {"2100 is not a leap year", NS(4107542399, 0), "2100-02-28T23:59:59.000000+0000"},
    {"2100-03-01", NS(4107542400, 1000), "2100-03-01T00:00:00.000001+0000"},
    {"32-bit time_t rollover", NS(2147483648, 0), "2038-01-19T03:14:08.000000+0000"},
    {"largest uint64", UINT64_MAX, "2554-07-21T23:34:33.709551+0000"},
};

static void test_mm_format_ts_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ts_rows / sizeof ts_rows[0]; i++) {
        char buf[MM_TS_BUFLEN];
        size_t n = mm_format_ts(buf, sizeof buf, ts_rows[i].ts_ns);
        if (n != MM_TS_LEN || strcmp(buf, ts_rows[i].want) != 0)
            fail_msg("row '%s': got '%s' (%zu), want '%s'", ts_rows[i].name, buf, n,
                     ts_rows[i].want);
    }
}

/* Reference: libc's gmtime_r + strftime, which the implementation deliberately avoids. */
static void reference_ts(char *out, size_t outlen, uint64_t ts_ns)
{
    time_t secs = (time_t)(ts_ns / UINT64_C(1000000000));
    unsigned usec = (unsigned)(ts_ns % UINT64_C(1000000000) / 1000);
    struct tm tm;
    char date[32];
    assert_non_null(gmtime_r(&secs, &tm));
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, outlen, "%s.%06u+0000", date, usec);
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void test_mm_format_ts_matches_gmtime(void **state)
{
    (void)state;
    uint64_t rng = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 200000; i++) {
        uint64_t ts;
        switch (i % 4) {
        case 0: ts = xorshift64(&rng); break; /* whole range, up to 2554 */
        case 1: ts = xorshift64(&rng) % NS(4102444800, 0); break; /* 1970..2100 */
        case 2: /* around midnight: the day cache must switch */
            ts = NS((1 + xorshift64(&rng) % 40000) * 86400 - 1, 0) + xorshift64(&rng) % NS(2, 0);
            break;
        default: ts = NS(1700000000, 0) + xorshift64(&rng) % NS(86400 * 3, 0); break;
        }
        char got[MM_TS_BUFLEN], want[64];
        mm_format_ts(got, sizeof got, ts);
        reference_ts(want, sizeof want, ts);
        if (strcmp(got, want) != 0)
            fail_msg("ts_ns %llu: got '%s', want '%s'", (unsigned long long)ts, got, want);
    }
}

static void test_mm_format_ts_short_buffer(void **state)
{
    (void)state;
    char buf[MM_TS_BUFLEN] = "xxxx";
    assert_int_equal(mm_format_ts(buf, MM_TS_BUFLEN - 1, 0), 0);
    assert_string_equal(buf, "");
    assert_int_equal(mm_format_ts(NULL, 0, 0), 0);
}

static void test_mm_format_ts_ignores_tz(void **state)
{
    (void)state;
    char before[MM_TS_BUFLEN], after[MM_TS_BUFLEN];
    mm_format_ts(before, sizeof before, NS(1704164645, 0));
    setenv("TZ", "Asia/Tokyo", 1);
    tzset();
    mm_format_ts(after, sizeof after, NS(1704164645, 0));
    unsetenv("TZ");
    tzset();
    assert_string_equal(before, after);
    assert_string_equal(after, "2024-01-02T03:04:05.000000+0000");
}

struct conv_row {
    const char *name;
    int64_t sec, nsec;
    uint64_t want;
};

static const struct conv_row conv_rows[] = {
    {"zero", 0, 0, 0},
    {"plain", 1704164645, 123456789, NS(1704164645, 123456789)},
    {"before 1970 clamps", -86400, 0, 0},
    {"negative nsec borrows", 1, -1, 999999999},
    {"negative total clamps", 0, -1, 0},
    {"nsec carries", 1, 1500000000, NS(2, 500000000)},
    {"most negative", INT64_MIN, INT64_MIN, 0},
    {"carry overflows int64", INT64_MAX, 999999999999, UINT64_MAX},
    {"largest exact", 18446744073, 709551615, UINT64_MAX},
    {"one past saturates", 18446744073, 709551616, UINT64_MAX},
    {"seconds past range", 18446744074, 0, UINT64_MAX},
};

static void test_mm_ts_from_sec_nsec_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof conv_rows / sizeof conv_rows[0]; i++) {
        uint64_t got = mm_ts_from_sec_nsec(conv_rows[i].sec, conv_rows[i].nsec);
        if (got != conv_rows[i].want)
            fail_msg("row '%s': got %llu, want %llu", conv_rows[i].name,
                     (unsigned long long)got, (unsigned long long)conv_rows[i].want);
    }
    /* A pre-1970 capture timestamp still formats as a valid EVE time. */
    char buf[MM_TS_BUFLEN];
    mm_format_ts(buf, sizeof buf, mm_ts_from_sec_nsec(-5, 0));
    assert_string_equal(buf, "1970-01-01T00:00:00.000000+0000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm_format_ts_table),
        cmocka_unit_test(test_mm_format_ts_matches_gmtime),
        cmocka_unit_test(test_mm_format_ts_short_buffer),
        cmocka_unit_test(test_mm_format_ts_ignores_tz),
        cmocka_unit_test(test_mm_ts_from_sec_nsec_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
