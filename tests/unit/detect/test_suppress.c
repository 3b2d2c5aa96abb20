/*
 * A threshold file (src/detect/suppress.c). Suppress lines: each form of the line (rule
 * only; by_src, by_dst, by_either with an address, a CIDR, a list, a variable, a negation,
 * IPv6), the wildcards gen_id 0 and sig_id 0, continuation lines, comments and CRLF, every
 * kind of line that is skipped (with its line number and reason), the sid index over many
 * lines, and reading from a file (missing, too large). Threshold, event_filter and
 * rate_filter lines: each type and track counted over packet time, which line applies to an
 * alert (its own sid, its gid's sid 0, every alert; rules with thresholds of their own), the
 * last line for a sid replacing earlier ones, and a counting table at a tiny memcap.
 */
#include "detect/suppress.h"

#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct warns {
    unsigned line[64];
    char why[64][200];
    size_t n;
};

static void on_warn(void *u, unsigned line, const char *why)
{
    struct warns *w = u;
    if (w->n < 64) {
        w->line[w->n] = line;
        snprintf(w->why[w->n], sizeof w->why[w->n], "%s", why);
        w->n++;
    }
}

static const struct det_var home_var = {"HOME_NET", "[192.168.10.0/24, 10.0.0.0/8]"};
static const struct det_parse_opts opts = {.addr_vars = &home_var, .n_addr_vars = 1};

static det_suppress_t *parse(const char *text, struct warns *w)
{
    det_suppress_t *s = NULL;
    char err[256] = "";
    int rc = det_suppress_parse(text, strlen(text), &opts, on_warn, w, &s, err, sizeof err);
    if (rc)
        fail_msg("parse: %d %s", rc, err);
    assert_non_null(s);
    return s;
}

/* 16-byte form of a textual address; ip_ver back. */
static int addr(const char *txt, uint8_t out[16])
{
    memset(out, 0, 16);
    unsigned a, b, c, d;
    if (sscanf(txt, "%u.%u.%u.%u", &a, &b, &c, &d) == 4) {
        out[0] = (uint8_t)a, out[1] = (uint8_t)b, out[2] = (uint8_t)c, out[3] = (uint8_t)d;
        return 4;
    }
    /* the IPv6 test addresses: 2001:db8::N */
    unsigned n;
    assert_int_equal(sscanf(txt, "2001:db8::%x", &n), 1);
    out[0] = 0x20, out[1] = 0x01, out[2] = 0x0d, out[3] = 0xb8;
    out[14] = (uint8_t)(n >> 8), out[15] = (uint8_t)n;
    return 6;
}

static bool held(const det_suppress_t *s, uint32_t gid, uint32_t sid, const char *src,
                 const char *dst)
{
    uint8_t a[16], b[16];
    int v = addr(src, a);
    assert_int_equal(addr(dst, b), v);
    return det_suppress_match(s, gid, sid, a, b, v);
}

static void test_forms(void **state)
{
    (void)state;
    struct warns w = {0};
    det_suppress_t *s = parse(
        "# the company's own scanner and monitoring\n"
        "suppress gen_id 1, sig_id 2002087\n"
        "suppress gen_id 6100, sig_id 2001, track by_src, ip 192.168.10.5\n"
        "suppress gen_id 6100, sig_id 2005, track by_src, ip 192.168.20.0/24\n"
        "suppress gen_id 1, sig_id 3000, track by_dst, ip [203.0.113.7, 198.51.100.0/28]\n"
        "suppress gen_id 1, sig_id 3001, track by_either, ip 203.0.113.9\n"
        "suppress gen_id 1, sig_id 3002, track by_src, ip $HOME_NET\n"
        "suppress gen_id 1, sig_id 3003, track by_src, ip [10.0.0.0/8, !10.9.9.9]\n"
        "suppress gen_id 1, sig_id 3004, track by_dst, ip 2001:db8::/32\n",
        &w);
    assert_int_equal(w.n, 0);
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    assert_int_equal(c.entries, 8);
    assert_int_equal(c.skipped, 0);

    /* the rule alone: any addresses; another gid or sid is not held */
    assert_true(held(s, 1, 2002087, "1.2.3.4", "5.6.7.8"));
    assert_false(held(s, 2, 2002087, "1.2.3.4", "5.6.7.8"));
    assert_false(held(s, 1, 2002088, "1.2.3.4", "5.6.7.8"));
    /* by_src, one address and a CIDR */
    assert_true(held(s, 6100, 2001, "192.168.10.5", "192.168.10.80"));
    assert_false(held(s, 6100, 2001, "192.168.10.6", "192.168.10.80"));
    assert_false(held(s, 6100, 2001, "192.168.10.80", "192.168.10.5")); /* it is the dest */
    assert_true(held(s, 6100, 2005, "192.168.20.254", "10.20.0.1"));
    assert_false(held(s, 6100, 2005, "192.168.21.1", "10.20.0.1"));
    /* by_dst with a list */
    assert_true(held(s, 1, 3000, "192.168.10.9", "203.0.113.7"));
    assert_true(held(s, 1, 3000, "192.168.10.9", "198.51.100.15"));
    assert_false(held(s, 1, 3000, "192.168.10.9", "198.51.100.16"));
    assert_false(held(s, 1, 3000, "203.0.113.7", "192.168.10.9"));
    /* by_either */
    assert_true(held(s, 1, 3001, "203.0.113.9", "192.168.10.9"));
    assert_true(held(s, 1, 3001, "192.168.10.9", "203.0.113.9"));
    assert_false(held(s, 1, 3001, "192.168.10.9", "203.0.113.10"));
    /* a variable, a negation inside a list */
    assert_true(held(s, 1, 3002, "10.1.2.3", "8.8.8.8"));
    assert_true(held(s, 1, 3002, "192.168.10.1", "8.8.8.8"));
    assert_false(held(s, 1, 3002, "192.168.11.1", "8.8.8.8"));
    assert_true(held(s, 1, 3003, "10.9.9.8", "8.8.8.8"));
    assert_false(held(s, 1, 3003, "10.9.9.9", "8.8.8.8"));
    /* IPv6 */
    assert_true(held(s, 1, 3004, "2001:db8::1", "2001:db8::2"));
    assert_false(held(s, 1, 3004, "10.0.0.1", "10.0.0.2"));
    det_suppress_free(s);
}

/* sig_id 0 stands for any sid of the gid, gen_id 0 with sig_id 0 for every alert; gen_id 0
 * with another sid is refused, as Suricata refuses it. */
static void test_wildcards(void **state)
{
    (void)state;
    struct warns w = {0};
    det_suppress_t *s = parse("suppress gen_id 0, sig_id 0, track by_src, ip 192.168.10.50\n"
                              "suppress gen_id 6100, sig_id 0, track by_dst, ip 192.168.10.60\n"
                              "suppress gen_id 0, sig_id 8101001\n"
                              "suppress gen_id 1, sig_id 8101001\n",
                              &w);
    assert_int_equal(w.n, 1);
    assert_int_equal(w.line[0], 3);
    assert_non_null(strstr(w.why[0], "gen_id 0 (any) goes only with sig_id 0"));
    assert_true(held(s, 1, 1, "192.168.10.50", "8.8.8.8"));
    assert_true(held(s, 6100, 4001, "192.168.10.50", "8.8.8.8"));
    assert_false(held(s, 6100, 4001, "8.8.8.8", "192.168.10.50"));
    assert_true(held(s, 6100, 2001, "8.8.8.8", "192.168.10.60"));
    assert_false(held(s, 1, 2001, "8.8.8.8", "192.168.10.60")); /* gid 1 is not 6100 */
    assert_true(held(s, 1, 8101001, "1.1.1.1", "2.2.2.2"));
    assert_false(held(s, 7, 8101001, "1.1.1.1", "2.2.2.2")); /* the refused line */
    assert_false(held(s, 1, 8101002, "1.1.1.1", "2.2.2.2"));
    det_suppress_free(s);
}

/* Continuation lines, comments, CRLF, blank lines, tabs, a NUL byte and no final newline. */
static void test_layout(void **state)
{
    (void)state;
    static const char text[] = "  # comment\r\n"
                               "# a comment ending in a backslash continues nothing \\\n"
                               "suppress gen_id 1, sig_id 9\n"
                               "\r\n"
                               "suppress gen_id 1, \\\r\n"
                               "   sig_id 10, track by_src, \\\n"
                               "\tip 10.1.1.1\r\n"
                               "suppress\tgen_id 1,sig_id 11\0suppress gen_id 1, sig_id 12\n"
                               "suppress gen_id 1, sig_id 13";
    struct warns w = {0};
    det_suppress_t *s = NULL;
    char err[128];
    assert_int_equal(
        det_suppress_parse(text, sizeof text - 1, &opts, on_warn, &w, &s, err, sizeof err), 0);
    assert_int_equal(w.n, 0);
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    assert_int_equal(c.entries, 5);
    assert_true(held(s, 1, 9, "10.1.1.1", "10.1.1.2"));
    assert_true(held(s, 1, 10, "10.1.1.1", "10.1.1.2"));
    assert_false(held(s, 1, 10, "10.1.1.2", "10.1.1.1"));
    assert_true(held(s, 1, 11, "1.1.1.1", "2.2.2.2"));
    assert_true(held(s, 1, 12, "1.1.1.1", "2.2.2.2"));
    assert_true(held(s, 1, 13, "1.1.1.1", "2.2.2.2"));
    det_suppress_free(s);
}

/* Every line that cannot be used is skipped, counted and reported with its number; the
 * lines around it still work. */
static void test_skipped(void **state)
{
    (void)state;
    static const char *const bad[] = {
        ("rate_filter gen_id 1, sig_id 5, track by_src, count 10, seconds 60, new_action drop, "
         "timeout 30"),
        "threshold gen_id 1, sig_id 5, type limit, track by_src, count 1",
        "event_filter gen_id 1, sig_id 5, type sometimes, track by_src, count 1, seconds 60",
        "supress gen_id 1, sig_id 5",
        "suppress",
        "suppress gen_id 1",
        "suppress sig_id 5",
        "suppress gen_id x, sig_id 5",
        "suppress gen_id 1, sig_id 4294967296",
        "suppress gen_id 1, sig_id -5",
        "suppress gen_id 1, sig_id 5, track by_src",
        "suppress gen_id 1, sig_id 5, ip 1.2.3.4",
        "suppress gen_id 1, sig_id 5, track by_rule, ip 1.2.3.4",
        "suppress gen_id 1, sig_id 5, track by_src, ip 1.2.3.999",
        "suppress gen_id 1, sig_id 5, track by_src, ip [1.2.3.4, 5.6.7.8",
        "suppress gen_id 1, sig_id 5, track by_src, ip 1.2.3.4]",
        "suppress gen_id 1, sig_id 5, sig_id 6",
        "suppress gen_id 1, sig_id 5,",
        "suppress gen_id 1, sig_id 5, count 3",
        "suppress gen_id 1, sig_id 5, track by_src, ip $NO_SUCH_VAR",
        "suppress gen_id 1 sig_id 5",
        "suppress gen_id 1, sig_id 5, colour red",
    };
    size_t n_bad = sizeof bad / sizeof bad[0];
    char text[4096] = "suppress gen_id 1, sig_id 100\n";
    for (size_t i = 0; i < n_bad; i++) {
        strcat(text, bad[i]);
        strcat(text, "\n");
    }
    strcat(text, "suppress gen_id 1, sig_id 101\n");
    struct warns w = {0};
    det_suppress_t *s = parse(text, &w);
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    assert_int_equal(c.entries, 2);
    assert_int_equal(c.skipped, n_bad);
    assert_int_equal(w.n, n_bad);
    for (size_t i = 0; i < n_bad; i++)
        assert_int_equal(w.line[i], i + 2);
    assert_non_null(strstr(w.why[0], "only pass is applied"));
    assert_non_null(strstr(w.why[1], "needs type, track, count and seconds"));
    assert_non_null(strstr(w.why[2], "type must be limit, threshold or both"));
    assert_non_null(strstr(w.why[3], "not a suppress"));
    assert_non_null(strstr(w.why[8], "sig_id is not a number"));
    assert_non_null(strstr(w.why[10], "track and ip go together"));
    assert_non_null(strstr(w.why[12], "by_src, by_dst or by_either"));
    assert_non_null(strstr(w.why[13], "ip: "));
    assert_non_null(strstr(w.why[14], "'['"));
    assert_non_null(strstr(w.why[15], "']'"));
    assert_non_null(strstr(w.why[16], "twice"));
    assert_non_null(strstr(w.why[18], "a suppress line takes only"));
    assert_non_null(strstr(w.why[20], "gen_id is not a number"));
    assert_non_null(strstr(w.why[21], "unknown field"));
    assert_true(held(s, 1, 100, "1.1.1.1", "2.2.2.2"));
    assert_true(held(s, 1, 101, "1.1.1.1", "2.2.2.2"));
    assert_false(held(s, 1, 5, "1.2.3.4", "5.6.7.8"));
    det_suppress_free(s);
}

/* The sid index: 5,000 lines in shuffled order, each holding back its own sid only, and
 * several lines of one sid. */
static void test_many(void **state)
{
    (void)state;
    size_t cap = 5000 * 64 + 256;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        uint32_t sid = 1000 + ((i * 7919u) % 5000u) * 2; /* even sids, shuffled */
        n += (size_t)snprintf(text + n, cap - n, "suppress gen_id 1, sig_id %u\n", sid);
    }
    n += (size_t)snprintf(text + n, cap - n,
                          "suppress gen_id 1, sig_id 7, track by_src, ip 10.0.0.1\n"
                          "suppress gen_id 1, sig_id 7, track by_src, ip 10.0.0.2\n"
                          "suppress gen_id 1, sig_id 7, track by_dst, ip 10.0.0.3\n");
    struct warns w = {0};
    det_suppress_t *s = NULL;
    char err[128];
    assert_int_equal(det_suppress_parse(text, n, &opts, on_warn, &w, &s, err, sizeof err), 0);
    free(text);
    for (uint32_t sid = 999; sid <= 11001; sid++)
        if (held(s, 1, sid, "1.1.1.1", "2.2.2.2") != (sid >= 1000 && sid <= 10998 && sid % 2 == 0))
            fail_msg("sid %u", sid);
    assert_true(held(s, 1, 7, "10.0.0.1", "1.1.1.1"));
    assert_true(held(s, 1, 7, "10.0.0.2", "1.1.1.1"));
    assert_true(held(s, 1, 7, "1.1.1.1", "10.0.0.3"));
    assert_false(held(s, 1, 7, "10.0.0.3", "1.1.1.1"));
    assert_false(held(s, 1, 0, "10.0.0.1", "1.1.1.1")); /* no alert has sid 0 */
    det_suppress_free(s);
    /* an empty list holds nothing back, nor does none at all */
    s = parse("", &w);
    assert_false(held(s, 1, 1, "1.1.1.1", "2.2.2.2"));
    det_suppress_free(s);
    uint8_t a[16] = {1};
    assert_false(det_suppress_match(NULL, 1, 1, a, a, 4));
}

/* What the file says of an alert of gid:sid from src to dst at second t of packet time. */
static enum det_suppress_verdict check_at(det_suppress_t *s, uint32_t gid, uint32_t sid, bool own,
                                          const char *src, const char *dst, unsigned t)
{
    uint8_t a[16], b[16];
    int v = addr(src, a);
    assert_int_equal(addr(dst, b), v);
    return det_suppress_check(s, gid, sid, own, a, b, v, (uint64_t)(1000 + t) * 1000000000ull);
}

#define W DET_SUP_WRITE
#define T DET_SUP_THRESHOLDED
#define R DET_SUP_RATE_FILTERED

/* Each type and track of a threshold line, over packet time (the window includes its last
 * second: a match `seconds` after the first is still in it). */
static void test_threshold_types(void **state)
{
    (void)state;
    struct warns w = {0};
    det_suppress_t *s = parse("threshold gen_id 1, sig_id 10, type limit, track by_src, count 2, "
                              "seconds 60\n"
                              "event_filter gen_id 1, sig_id 11, type threshold, track by_dst, "
                              "count 3, seconds 60\n"
                              "threshold gen_id 1, sig_id 12, type both, track by_rule, count 2, "
                              "seconds 60\n"
                              "threshold gen_id 1, sig_id 13, type limit, track by_both, count 1, "
                              "seconds 10\n",
                              &w);
    assert_int_equal(w.n, 0);
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    assert_int_equal(c.entries, 0);
    assert_int_equal(c.thresholds, 4);
    assert_int_equal(c.rate_filters, 0);
    /* limit 2 by_src: the first two of each source in a window */
    assert_int_equal(check_at(s, 1, 10, false, "1.0.0.1", "9.9.9.9", 0), W);
    assert_int_equal(check_at(s, 1, 10, false, "1.0.0.1", "9.9.9.8", 1), W);
    assert_int_equal(check_at(s, 1, 10, false, "1.0.0.1", "9.9.9.9", 2), T);
    assert_int_equal(check_at(s, 1, 10, false, "1.0.0.2", "9.9.9.9", 3), W);
    assert_int_equal(check_at(s, 1, 10, false, "1.0.0.1", "9.9.9.9", 60), T);
    assert_int_equal(check_at(s, 1, 10, false, "1.0.0.1", "9.9.9.9", 61), W);
    /* threshold 3 by_dst: every third to one destination, whatever the source */
    static const enum det_suppress_verdict every3[] = {T, T, W, T, T, W, T};
    for (unsigned i = 0; i < 7; i++) {
        char src[16];
        snprintf(src, sizeof src, "2.0.0.%u", i + 1);
        assert_int_equal(check_at(s, 1, 11, false, src, "9.9.9.9", i), every3[i]);
    }
    assert_int_equal(check_at(s, 1, 11, false, "2.0.0.1", "9.9.9.7", 8), T);
    /* both 2 by_rule: once a window, at its second match */
    static const enum det_suppress_verdict both2[] = {T, W, T, T};
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(check_at(s, 1, 12, false, i % 2 ? "3.0.0.1" : "3.0.0.2", "9.9.9.9", i),
                         both2[i]);
    assert_int_equal(check_at(s, 1, 12, false, "3.0.0.1", "9.9.9.9", 61), T);
    assert_int_equal(check_at(s, 1, 12, false, "3.0.0.1", "9.9.9.9", 62), W);
    /* limit 1 by_both: a pair in either direction is one */
    assert_int_equal(check_at(s, 1, 13, false, "4.0.0.1", "4.0.0.2", 0), W);
    assert_int_equal(check_at(s, 1, 13, false, "4.0.0.2", "4.0.0.1", 1), T);
    assert_int_equal(check_at(s, 1, 13, false, "4.0.0.1", "4.0.0.3", 2), W);
    assert_int_equal(check_at(s, 1, 13, false, "4.0.0.1", "4.0.0.2", 11), W);
    /* IPv6 sources are tracked as well */
    assert_int_equal(check_at(s, 1, 10, false, "2001:db8::1", "2001:db8::9", 0), W);
    assert_int_equal(check_at(s, 1, 10, false, "2001:db8::1", "2001:db8::9", 1), W);
    assert_int_equal(check_at(s, 1, 10, false, "2001:db8::1", "2001:db8::9", 2), T);
    /* a sid without a line: written, as are alerts with no file at all */
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(check_at(s, 1, 14, false, "1.0.0.1", "9.9.9.9", i), W);
    assert_int_equal(check_at(NULL, 1, 10, false, "1.0.0.1", "9.9.9.9", 0), W);
    det_suppress_counts(s, &c);
    assert_int_equal(c.state_entries, 8); /* 3 sources, 2 destinations, 1 rule, 2 pairs */
    assert_int_equal(c.state_evicted, 0);
    det_suppress_free(s);
}

/* Which line applies: the alert's own gid:sid (also over a threshold of the rule's own, which
 * the engine then leaves out), else its gid's sid 0, else gen_id 0 (both only for rules
 * without a threshold of their own); a suppress line before any of them. */
static void test_threshold_scope(void **state)
{
    (void)state;
    struct warns w = {0};
    det_suppress_t *s =
        parse("threshold gen_id 0, sig_id 0, type limit, track by_src, count 1, seconds 60\n"
              "threshold gen_id 6100, sig_id 0, type limit, track by_src, count 3, seconds 60\n"
              "threshold gen_id 1, sig_id 20, type limit, track by_src, count 2, seconds 60\n"
              "suppress gen_id 1, sig_id 21, track by_src, ip 5.0.0.9\n"
              "rate_filter gen_id 4, sig_id 0, track by_rule, count 1, seconds 60, "
              "new_action pass, timeout 60\n"
              "suppress gen_id 5, sig_id 00000000000000042\n",
              &w);
    assert_int_equal(w.n, 0);
    /* a sid-0 rate_filter, like a sid-0 threshold, passes rules with their own by (two
     * sources: the gen_id 0 threshold lets each one's first through) */
    assert_int_equal(check_at(s, 4, 1, false, "5.0.0.1", "9.9.9.9", 0), W);
    assert_int_equal(check_at(s, 4, 1, false, "5.0.0.2", "9.9.9.9", 1), R);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(check_at(s, 4, 2, true, "5.0.0.1", "9.9.9.9", i), W);
    /* numbers may have leading zeros */
    assert_int_equal(check_at(s, 5, 42, false, "5.0.0.1", "9.9.9.9", 0), DET_SUP_SUPPRESSED);
    assert_true(det_suppress_overrides(s, 1, 20));
    assert_false(det_suppress_overrides(s, 1, 99));
    assert_false(det_suppress_overrides(s, 6100, 2001));
    assert_false(det_suppress_overrides(s, 1, 0));
    assert_false(det_suppress_overrides(NULL, 1, 20));
    /* every alert: one per source and sid a window */
    assert_int_equal(check_at(s, 1, 99, false, "5.0.0.1", "9.9.9.9", 0), W);
    assert_int_equal(check_at(s, 1, 99, false, "5.0.0.1", "9.9.9.9", 1), T);
    assert_int_equal(check_at(s, 1, 98, false, "5.0.0.1", "9.9.9.9", 2), W);
    assert_int_equal(check_at(s, 3, 7, false, "5.0.0.1", "9.9.9.9", 3), W);
    assert_int_equal(check_at(s, 3, 7, false, "5.0.0.1", "9.9.9.9", 4), T);
    /* a rule with its own threshold keeps it: no sid-0 line applies */
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(check_at(s, 1, 97, true, "5.0.0.1", "9.9.9.9", i), W);
    /* gid 6100 (the built-in detectors): its own sid-0 line, three per source */
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(check_at(s, 6100, 2001, false, "5.0.0.2", "9.9.9.9", i), W);
    assert_int_equal(check_at(s, 6100, 2001, false, "5.0.0.2", "9.9.9.9", 3), T);
    /* sid 20's own line, whether or not the rule had a threshold */
    assert_int_equal(check_at(s, 1, 20, true, "5.0.0.3", "9.9.9.9", 0), W);
    assert_int_equal(check_at(s, 1, 20, false, "5.0.0.3", "9.9.9.9", 1), W);
    assert_int_equal(check_at(s, 1, 20, true, "5.0.0.3", "9.9.9.9", 2), T);
    /* suppress comes first: a suppressed alert does not count against the threshold */
    assert_int_equal(check_at(s, 1, 21, false, "5.0.0.9", "9.9.9.9", 0), DET_SUP_SUPPRESSED);
    assert_int_equal(check_at(s, 1, 21, false, "5.0.0.9", "9.9.9.9", 1), DET_SUP_SUPPRESSED);
    assert_int_equal(check_at(s, 1, 21, false, "5.0.0.8", "9.9.9.9", 2), W);
    det_suppress_free(s);
}

/* rate_filter with new_action pass: from the match that makes the window's count exceed
 * `count`, alerts are held back for `timeout` seconds, then counting starts over. The last
 * line for a gid:sid replaces earlier ones, which are reported. */
static void test_rate_filter(void **state)
{
    (void)state;
    struct warns w = {0};
    det_suppress_t *s = parse(
        "threshold gen_id 1, sig_id 30, type limit, track by_src, count 1, seconds 60\n"
        "# the later lines count\n"
        "event_filter gen_id 1, sig_id 30, type limit, track by_src, count 3, seconds 60\n"
        "rate_filter gen_id 1, sig_id 30, track by_rule, count 100, seconds 1, \\\n"
        "    new_action pass, timeout 1\n"
        "rate_filter gen_id 1, sig_id 30, track by_rule, count 5, seconds 60, new_action pass, "
        "timeout 30\n"
        "rate_filter gen_id 1, sig_id 31, track by_src, count 2, seconds 10, new_action pass, "
        "timeout 5\n",
        &w);
    assert_int_equal(w.n, 2);
    assert_int_equal(w.line[0], 1);
    assert_non_null(strstr(w.why[0], "replaced by line 3"));
    assert_int_equal(w.line[1], 4);
    assert_non_null(strstr(w.why[1], "replaced by line 6"));
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    assert_int_equal(c.thresholds, 1);
    assert_int_equal(c.rate_filters, 2);
    assert_int_equal(c.skipped, 2);
    /* sid 30 by_rule: five pass, the sixth starts 30 s of pass */
    unsigned t = 0;
    for (unsigned i = 0; i < 5; i++, t++) {
        char src[16];
        snprintf(src, sizeof src, "6.0.0.%u", i + 1);
        assert_int_equal(check_at(s, 1, 30, false, src, "9.9.9.9", t), W);
    }
    assert_int_equal(check_at(s, 1, 30, false, "6.0.1.1", "9.9.9.9", 5), R);
    assert_int_equal(check_at(s, 1, 30, false, "6.0.1.2", "9.9.9.9", 20), R);
    assert_int_equal(check_at(s, 1, 30, false, "6.0.1.3", "9.9.9.9", 35), R);
    assert_int_equal(check_at(s, 1, 30, false, "6.0.1.4", "9.9.9.9", 36), W);
    /* the threshold still applies first: a fourth alert of one source is held by it */
    assert_int_equal(check_at(s, 1, 30, false, "6.0.1.4", "9.9.9.9", 37), W);
    assert_int_equal(check_at(s, 1, 30, false, "6.0.1.4", "9.9.9.9", 38), W);
    assert_int_equal(check_at(s, 1, 30, false, "6.0.1.4", "9.9.9.9", 39), T);
    /* sid 31 by_src: each source on its own; a slow source never trips it */
    assert_int_equal(check_at(s, 1, 31, false, "7.0.0.1", "9.9.9.9", 0), W);
    assert_int_equal(check_at(s, 1, 31, false, "7.0.0.1", "9.9.9.9", 1), W);
    assert_int_equal(check_at(s, 1, 31, false, "7.0.0.2", "9.9.9.9", 1), W);
    assert_int_equal(check_at(s, 1, 31, false, "7.0.0.1", "9.9.9.9", 2), R);
    assert_int_equal(check_at(s, 1, 31, false, "7.0.0.2", "9.9.9.9", 3), W);
    assert_int_equal(check_at(s, 1, 31, false, "7.0.0.1", "9.9.9.9", 7), R);
    assert_int_equal(check_at(s, 1, 31, false, "7.0.0.1", "9.9.9.9", 8), W);
    for (unsigned i = 0; i < 5; i++)
        assert_int_equal(check_at(s, 1, 31, false, "7.0.0.3", "9.9.9.9", 20 * i), W);
    det_suppress_free(s);
}

/* Threshold and rate_filter lines that cannot be used: skipped with their reason. */
static void test_filter_skipped(void **state)
{
    (void)state;
    static const struct {
        const char *line, *why;
    } bad[] = {
        {"threshold gen_id 1, sig_id 5, type limit, track by_flow, count 1, seconds 60",
         "by_src, by_dst, by_rule or by_both"},
        {"threshold gen_id 1, sig_id 5, type limit, track by_either, count 1, seconds 60",
         "by_src, by_dst, by_rule or by_both"},
        {"threshold gen_id 1, sig_id 5, type limit, track by_src, count 0, seconds 60",
         "1 or more"},
        {"event_filter gen_id 1, sig_id 5, type limit, track by_src, count 1, seconds 0",
         "1 or more"},
        {"threshold gen_id 1, sig_id 5, type limit, track by_src, count 1, seconds 60, ip 1.2.3.4",
         "takes only"},
        {"threshold gen_id 1, sig_id 5, type limit, track by_src, count 1, seconds 60, timeout 5",
         "takes only"},
        {"threshold gen_id 1, sig_id 5, track by_src, count 1, seconds 60", "needs type"},
        {"threshold gen_id 0, sig_id 5, type limit, track by_src, count 1, seconds 60",
         "goes only with sig_id 0"},
        {"threshold gen_id 1, type limit, track by_src, count 1, seconds 60", "both needed"},
        {"threshold gen_id 1, sig_id 5, type limit, track by_src, count 1, seconds 60, count 2",
         "count given twice"},
        {"rate_filter gen_id 1, sig_id 5, track by_src, count 1, seconds 60, new_action pass",
         "needs track, count, seconds, new_action and timeout"},
        {"rate_filter gen_id 1, sig_id 5, track by_src, count 1, seconds 60, new_action pass, "
         "timeout 0",
         "1 or more"},
        {"rate_filter gen_id 1, sig_id 5, track by_src, count 1, seconds 60, new_action sdrop, "
         "timeout 5",
         "sdrop and log are not applied"},
        {"rate_filter gen_id 1, sig_id 5, track by_src, count 1, seconds 60, new_action later, "
         "timeout 5",
         "must be alert, drop, pass or reject"},
        {"rate_filter gen_id 1, sig_id 5, track by_src, count 1, seconds 60, new_action alert, "
         "timeout 5",
         "only pass is applied"},
        {"rate_filter gen_id 1, sig_id 5, type limit, track by_src, count 1, seconds 60, "
         "new_action pass, timeout 5",
         "takes only"},
        {"rate_filter gen_id 1, sig_id 5, track by_src, count x, seconds 60, new_action pass, "
         "timeout 5",
         "count is not a number"},
    };
    size_t n_bad = sizeof bad / sizeof bad[0];
    char text[4096] = "";
    for (size_t i = 0; i < n_bad; i++) {
        strcat(text, bad[i].line);
        strcat(text, "\n");
    }
    struct warns w = {0};
    det_suppress_t *s = parse(text, &w);
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    assert_int_equal(c.thresholds + c.rate_filters + c.entries, 0);
    assert_int_equal(c.skipped, n_bad);
    assert_int_equal(w.n, n_bad);
    for (size_t i = 0; i < n_bad; i++) {
        assert_int_equal(w.line[i], i + 1);
        if (!strstr(w.why[i], bad[i].why))
            fail_msg("line %zu: '%s' does not say '%s'", i + 1, w.why[i], bad[i].why);
    }
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(check_at(s, 1, 5, false, "1.0.0.1", "9.9.9.9", i), W);
    det_suppress_free(s);
}

/* The counting table at a tiny memcap: entries are taken over oldest first and counted, and
 * every source's first alert under a limit is still written. */
static void test_filter_memcap(void **state)
{
    (void)state;
    struct warns w = {0};
    det_suppress_t *s = parse(
        "threshold gen_id 1, sig_id 40, type limit, track by_src, count 1, seconds 600\n", &w);
    det_suppress_set_memcap(s, 4096);
    for (unsigned i = 0; i < 200; i++) {
        char src[16];
        snprintf(src, sizeof src, "8.0.%u.%u", i / 250, i % 250 + 1);
        assert_int_equal(check_at(s, 1, 40, false, src, "9.9.9.9", i), W);
    }
    /* the newest source is still known */
    assert_int_equal(check_at(s, 1, 40, false, "8.0.0.200", "9.9.9.9", 201), T);
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    assert_true(c.state_entries > 0 && c.state_entries < 100);
    assert_true(c.state_evicted >= 100);
    det_suppress_free(s);

    /* A rate filter's entry stays in force after its window: taking it over is an eviction
     * (a window of 1 s; each source trips it, and the next sources come 2 s later). */
    s = parse("rate_filter gen_id 1, sig_id 41, track by_src, count 1, seconds 1, "
              "new_action pass, timeout 1000\n",
              &w);
    det_suppress_set_memcap(s, 4096);
    for (unsigned i = 0; i < 100; i++) {
        char src[16];
        snprintf(src, sizeof src, "8.1.0.%u", i + 1);
        assert_int_equal(check_at(s, 1, 41, false, src, "9.9.9.9", 2 * i), W);
        assert_int_equal(check_at(s, 1, 41, false, src, "9.9.9.9", 2 * i), R);
    }
    det_suppress_counts(s, &c);
    assert_true(c.state_evicted >= 50);
    det_suppress_free(s);
}

/* A file read again goes on with the counts of the one it replaces: a limit reached stays
 * reached and a rate_filter in force stays in force. */
static void test_keep_counts(void **state)
{
    (void)state;
    static const char text[] =
        "threshold gen_id 1, sig_id 50, type limit, track by_src, count 1, seconds 3600\n"
        "rate_filter gen_id 1, sig_id 51, track by_rule, count 1, seconds 60, new_action pass, "
        "timeout 3600\n";
    struct warns w = {0};
    det_suppress_t *old = parse(text, &w);
    assert_int_equal(check_at(old, 1, 50, false, "1.0.0.1", "9.9.9.9", 0), W);
    assert_int_equal(check_at(old, 1, 51, false, "1.0.0.1", "9.9.9.9", 0), W);
    assert_int_equal(check_at(old, 1, 51, false, "1.0.0.1", "9.9.9.9", 1), R);
    det_suppress_t *fresh = parse(text, &w);
    det_suppress_keep_counts(fresh, old);
    det_suppress_free(old);
    assert_int_equal(check_at(fresh, 1, 50, false, "1.0.0.1", "9.9.9.9", 2), T);
    assert_int_equal(check_at(fresh, 1, 51, false, "1.0.0.1", "9.9.9.9", 3), R);
    struct det_suppress_counts c;
    det_suppress_counts(fresh, &c);
    assert_int_equal(c.state_entries, 2);
    /* without it the new file starts from zero */
    det_suppress_t *other = parse(text, &w);
    assert_int_equal(check_at(other, 1, 50, false, "1.0.0.1", "9.9.9.9", 4), W);
    det_suppress_keep_counts(other, NULL);
    det_suppress_keep_counts(NULL, fresh);
    det_suppress_free(other);
    det_suppress_free(fresh);
}

static void test_load(void **state)
{
    (void)state;
    det_suppress_t *s = NULL;
    char err[256] = "";
    assert_int_equal(det_suppress_load("/nonexistent/threshold.config", &opts, NULL, NULL, &s,
                                       err, sizeof err),
                     MM_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err, "/nonexistent/threshold.config"));

    char path[] = "/tmp/mm-test-suppress-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("suppress gen_id 1, sig_id 42, track by_src, ip $HOME_NET\n", f);
    fclose(f);
    assert_int_equal(det_suppress_load(path, &opts, NULL, NULL, &s, err, sizeof err), 0);
    assert_true(held(s, 1, 42, "192.168.10.7", "8.8.8.8"));
    det_suppress_free(s);

    /* exactly the bound: read (comment lines of 64 KiB); one byte more: refused with the
     * reason, nothing half-read */
    f = fopen(path, "w");
    assert_non_null(f);
    static char block[1 << 16];
    memset(block, '#', sizeof block);
    block[sizeof block - 1] = '\n';
    for (size_t done = 0; done < DET_SUPPRESS_MAX_BYTES; done += sizeof block)
        assert_int_equal(fwrite(block, 1, sizeof block, f), sizeof block);
    fclose(f);
    s = NULL;
    assert_int_equal(det_suppress_load(path, &opts, NULL, NULL, &s, err, sizeof err), 0);
    det_suppress_free(s);
    f = fopen(path, "a");
    assert_non_null(f);
    fputc('#', f);
    fclose(f);
    s = NULL;
    assert_int_equal(det_suppress_load(path, &opts, NULL, NULL, &s, err, sizeof err), MM_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err, "larger than"));
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_skipped),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_threshold_types),
        cmocka_unit_test(test_threshold_scope),
        cmocka_unit_test(test_rate_filter),
        cmocka_unit_test(test_filter_skipped),
        cmocka_unit_test(test_filter_memcap),
        cmocka_unit_test(test_keep_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
