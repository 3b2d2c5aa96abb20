/*
 * Suppress lines of a threshold file (src/detect/suppress.c): each form of the line (rule
 * only; by_src, by_dst, by_either with an address, a CIDR, a list, a variable, a negation,
 * IPv6), the wildcards gen_id 0 and sig_id 0, continuation lines, comments and CRLF, every
 * kind of line that is skipped (with its line number and reason), the sid index over many
 * lines, and reading from a file (missing, too large).
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
        "threshold gen_id 1, sig_id 5, type limit, track by_src, count 1, seconds 60",
        "event_filter gen_id 1, sig_id 5, type limit, track by_src, count 1, seconds 60",
        "rate_filter gen_id 1, sig_id 5, track by_src, count 10, seconds 60, new_action drop",
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
    assert_non_null(strstr(w.why[0], "only suppress lines are applied"));
    assert_non_null(strstr(w.why[3], "not a suppress"));
    assert_non_null(strstr(w.why[8], "sig_id is not a number"));
    assert_non_null(strstr(w.why[10], "track and ip go together"));
    assert_non_null(strstr(w.why[12], "by_src, by_dst or by_either"));
    assert_non_null(strstr(w.why[13], "ip: "));
    assert_non_null(strstr(w.why[14], "'['"));
    assert_non_null(strstr(w.why[15], "']'"));
    assert_non_null(strstr(w.why[16], "twice"));
    assert_non_null(strstr(w.why[18], "unknown field"));
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
        cmocka_unit_test(test_forms),   cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_layout),  cmocka_unit_test(test_skipped),
        cmocka_unit_test(test_many),    cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
