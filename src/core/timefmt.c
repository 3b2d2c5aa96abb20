/*
 * EVE timestamp formatting; see timefmt.h.
 *
 * Days are turned into a civil date with the era-based days-to-civil computation (a 400-year
 * Gregorian era is 146097 days; counting years from March 1 puts the leap day at the end of
 * the year, so month lengths follow a fixed 153-days-per-5-months pattern). Only unsigned
 * values occur because the input is unsigned and starts at 1970.
 */
#include "timefmt.h"

#include <string.h>

#define NS_PER_SEC UINT64_C(1000000000)
#define NS_PER_US UINT64_C(1000)
#define SEC_PER_DAY UINT64_C(86400)

/* "00" "01" ... "99": two output digits per lookup. */
static const char digit_pairs[201] = "00010203040506070809"
                                     "10111213141516171819"
                                     "20212223242526272829"
                                     "30313233343536373839"
                                     "40414243444546474849"
                                     "50515253545556575859"
                                     "60616263646566676869"
                                     "70717273747576777879"
                                     "80818283848586878889"
                                     "90919293949596979899";

static inline void put2(char *p, unsigned v)
{
    memcpy(p, &digit_pairs[2 * v], 2);
}

/* Civil date of a day number (days since 1970-01-01). */
static void days_to_civil(uint64_t days, unsigned *year, unsigned *month, unsigned *day)
{
    /* Shift the origin to 0000-03-01, the start of a 400-year era. */
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;                                      /* [0, 146096] */
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
    uint64_t mp = (5 * doy + 2) / 153;                                    /* March = 0 */
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *month = m;
    *year = (unsigned)(yoe + era * 400 + (m <= 2));
}

/* The date part "YYYY-MM-DDT" of the last day this thread formatted. */
struct day_cache {
    uint64_t day_plus1; /* day number + 1; 0 = empty */
    char text[11];
};
static _Thread_local struct day_cache tl_day;

size_t mm_format_ts(char *out, size_t outlen, uint64_t ts_ns)
{
    if (outlen < MM_TS_BUFLEN) {
        if (outlen > 0)
            out[0] = '\0';
        return 0;
    }
    uint64_t secs = ts_ns / NS_PER_SEC;
    unsigned usec = (unsigned)((ts_ns % NS_PER_SEC) / NS_PER_US);
    uint64_t day = secs / SEC_PER_DAY;
    unsigned sod = (unsigned)(secs % SEC_PER_DAY);

    struct day_cache *dc = &tl_day;
    if (dc->day_plus1 != day + 1) {
        unsigned y, m, d;
        days_to_civil(day, &y, &m, &d);
        /* UINT64_MAX ns is in year 2554: four digits always suffice. */
        put2(dc->text, y / 100);
        put2(dc->text + 2, y % 100);
        dc->text[4] = '-';
        put2(dc->text + 5, m);
        dc->text[7] = '-';
        put2(dc->text + 8, d);
        dc->day_plus1 = day + 1;
    }
    memcpy(out, dc->text, 10);
    char *p = out + 10;
    *p++ = 'T';
    put2(p, sod / 3600);
    p[2] = ':';
    put2(p + 3, sod / 60 % 60);
    p[5] = ':';
    put2(p + 6, sod % 60);
    p[8] = '.';
    put2(p + 9, usec / 10000);
    put2(p + 11, usec / 100 % 100);
    put2(p + 13, usec % 100);
    memcpy(p + 15, "+0000", 6); /* with the NUL */
    return MM_TS_LEN;
}

uint64_t mm_ts_from_sec_nsec(int64_t sec, int64_t nsec)
{
    const int64_t ns1 = (int64_t)NS_PER_SEC;
    int64_t carry = nsec / ns1;
    int64_t rem = nsec % ns1;
    if (rem < 0) {
        rem += ns1;
        carry--;
    }
    if (__builtin_add_overflow(sec, carry, &sec))
        return carry < 0 ? 0 : UINT64_MAX;
    if (sec < 0)
        return 0;
    uint64_t ns;
    if (__builtin_mul_overflow((uint64_t)sec, NS_PER_SEC, &ns) ||
        __builtin_add_overflow(ns, (uint64_t)rem, &ns))
        return UINT64_MAX;
    return ns;
}
