/*
 * Hyperscan prefilter databases (src/detect/prefilter.c): literal hits name their rules,
 * identical literals share an entry, nocase folds, the end offsets of det_pf_scan_ends, the
 * on-disk cache, the short-buffer filter, and the page-end guard against Hyperscan's over-read.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect/prefilter.h"

struct hits {
    uint32_t rule[64];
    uint64_t end[64];
    uint32_t n;
};

static void on_hit(void *user, uint32_t rule)
{
    struct hits *h = user;
    if (h->n < 64)
        h->rule[h->n++] = rule;
}

static void on_end(void *user, uint32_t rule, uint64_t end, uint32_t len)
{
    struct hits *h = user;
    (void)len;
    if (h->n < 64) {
        h->rule[h->n] = rule;
        h->end[h->n++] = end;
    }
}

static bool has_rule(const struct hits *h, uint32_t rule)
{
    for (uint32_t i = 0; i < h->n; i++)
        if (h->rule[i] == rule)
            return true;
    return false;
}

#define PAT(s, nc, r)                                                                              \
    {                                                                                              \
        (const uint8_t *)(s), (uint32_t)(sizeof(s) - 1), nc, r                                     \
    }

static void test_hits_and_sharing(void **state)
{
    (void)state;
    const struct det_pf_pattern pats[] = {
        PAT("evil", false, 1),
        PAT("evil", false, 2), /* shared literal, two rules */
        PAT("EVIL", true, 3),  /* nocase: a separate entry */
        PAT("good", false, 4),
    };
    struct det_pf pf;
    char err[256];
    assert_int_equal(det_pf_build(&pf, pats, 4, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(pf.n_pats, 3);
    assert_int_equal(pf.max_len, 4);
    hs_scratch_t *scr = NULL;
    assert_int_equal(det_pf_alloc_scratch(&pf, &scr), 0);
    struct det_pf_pad pad = {0};

    struct hits h = {0};
    const char *data = "xx eViL yy evil";
    det_pf_scan(&pf, scr, &pad, (const uint8_t *)data, (uint32_t)strlen(data), on_hit, &h);
    assert_true(has_rule(&h, 1) && has_rule(&h, 2) && has_rule(&h, 3));
    assert_false(has_rule(&h, 4));

    /* single match: a literal reports once per scan even when it occurs twice */
    memset(&h, 0, sizeof h);
    data = "evil evil";
    det_pf_scan(&pf, scr, &pad, (const uint8_t *)data, (uint32_t)strlen(data), on_hit, &h);
    uint32_t ones = 0;
    for (uint32_t i = 0; i < h.n; i++)
        ones += h.rule[i] == 1;
    assert_int_equal(ones, 1);

    /* end offsets */
    memset(&h, 0, sizeof h);
    data = "..good";
    det_pf_scan_ends(&pf, scr, &pad, (const uint8_t *)data, (uint32_t)strlen(data), on_end, &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.rule[0], 4);
    assert_int_equal(h.end[0], 6);

    /* nothing in an empty buffer, nothing without a database */
    memset(&h, 0, sizeof h);
    det_pf_scan(&pf, scr, &pad, (const uint8_t *)"", 0, on_hit, &h);
    assert_int_equal(h.n, 0);
    struct det_pf empty;
    assert_int_equal(det_pf_build(&empty, pats, 0, NULL, NULL, err, sizeof err), 0);
    assert_null(empty.db);
    det_pf_scan(&empty, scr, &pad, (const uint8_t *)"evil", 4, on_hit, &h);
    assert_int_equal(h.n, 0);

    hs_free_scratch(scr);
    det_pf_free(&pf);
    det_pf_pad_free(&pad);
}

/* Short buffers skip Hyperscan when no byte can begin a literal, or no literal fits; what
 * they hold is still found at every position and in both cases of a nocase literal. */
static void test_short_buffers(void **state)
{
    (void)state;
    const struct det_pf_pattern pats[] = {
        PAT("${", false, 1),
        PAT("() {", false, 2),
        PAT("sqlmap", true, 3),
    };
    struct det_pf pf;
    char err[256];
    assert_int_equal(det_pf_build(&pf, pats, 3, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(pf.min_len, 2);
    hs_scratch_t *scr = NULL;
    assert_int_equal(det_pf_alloc_scratch(&pf, &scr), 0);
    struct det_pf_pad pad = {0};
    static const struct {
        const char *data;
        uint32_t rule; /* 0: no hit */
    } cases[] = {
        {"sid=aa9675e5", 0},
        {"$", 0}, /* shorter than every literal */
        {"${", 1},
        {"x=${jndi:ldap://a}", 1},
        {"() { :; }; echo", 2},
        {"abc() {", 2}, /* at the very end */
        {"SQLMap/1.7", 3},
        {"ua sqlMAP", 3},
        {"Qlmap s-q-l-m-a-p", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct hits h = {0};
        det_pf_scan(&pf, scr, &pad, (const uint8_t *)cases[i].data,
                    (uint32_t)strlen(cases[i].data), on_hit, &h);
        if (cases[i].rule) {
            assert_int_equal(h.n, 1);
            assert_int_equal(h.rule[0], cases[i].rule);
        } else {
            assert_int_equal(h.n, 0);
        }
    }
    /* Longer than DET_PF_TINY: Hyperscan reads it all (the match is past the 64th byte). */
    char longbuf[DET_PF_TINY + 40];
    memset(longbuf, 'a', sizeof longbuf);
    memcpy(longbuf + DET_PF_TINY + 10, "SQLMAP", 6);
    struct hits h = {0};
    det_pf_scan(&pf, scr, &pad, (const uint8_t *)longbuf, sizeof longbuf, on_hit, &h);
    assert_int_equal(h.n, 1);
    assert_int_equal(h.rule[0], 3);
    det_pf_pad_free(&pad);
    hs_free_scratch(scr);
    det_pf_free(&pf);
}

static void test_cache(void **state)
{
    (void)state;
    char dir[] = "/tmp/mm-pf-cache-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const struct det_pf_pattern pats[] = {PAT("alpha", false, 7), PAT("beta", true, 8)};
    char err[256];
    struct det_pf_build_stats st = {0};
    struct det_pf a, b;
    assert_int_equal(det_pf_build(&a, pats, 2, dir, &st, err, sizeof err), 0);
    assert_int_equal(st.cache_misses, 1);
    assert_int_equal(st.cache_hits, 0);
    assert_int_equal(det_pf_build(&b, pats, 2, dir, &st, err, sizeof err), 0);
    assert_int_equal(st.cache_hits, 1);
    /* the cached database finds the same things */
    hs_scratch_t *scr = NULL;
    assert_int_equal(det_pf_alloc_scratch(&b, &scr), 0);
    struct det_pf_pad pad = {0};
    struct hits h = {0};
    det_pf_scan(&b, scr, &pad, (const uint8_t *)"xBETAx alpha", 12, on_hit, &h);
    assert_true(has_rule(&h, 7) && has_rule(&h, 8));
    hs_free_scratch(scr);
    det_pf_free(&a);
    det_pf_free(&b);
    det_pf_pad_free(&pad);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/*
 * Hyperscan 5.4 read past the end of a buffer on AVX-512 VBMI (fuzz_detect found it): these
 * literals and this data segfaulted when the buffer ended at an unmapped page. With the pad
 * the scan must see the literal and not fault, for every length and alignment.
 */
static void test_page_end_guard(void **state)
{
    (void)state;
    static const char *const lits[] = {
        "USER ",   "xyzzy",  "FPONLYTOKEN", "CMD ", "login:", "BT:",   "BTX",   "LEN=",
        "BJ:",     "JMPB",   "SKIP",        "DATA", "MARK",   "BXI",   "BXS=",  "LOGIN OK",
        "GETFILE", "LOGOUT", "CHECK",       "FAIL", "SCAN",   "PROBE", "BIDIR", "PASSME"};
    enum { MM_PF_N_LITS = sizeof lits / sizeof lits[0] };
    struct det_pf_pattern pats[MM_PF_N_LITS];
    for (uint32_t i = 0; i < MM_PF_N_LITS; i++)
        pats[i] = (struct det_pf_pattern){(const uint8_t *)lits[i], (uint32_t)strlen(lits[i]),
                                          i == 0 || i == 4, i};
    struct det_pf pf;
    char err[256];
    assert_int_equal(det_pf_build(&pf, pats, MM_PF_N_LITS, NULL, NULL, err, sizeof err), 0);
    hs_scratch_t *scr = NULL;
    assert_int_equal(det_pf_alloc_scratch(&pf, &scr), 0);
    struct det_pf_pad pad = {0};
    static const unsigned char chunk[64] =
        "TPH\x02\x00\x17LEN=820HEREI\x02\x00\x17LEN=0500HEX=bee'\0\0\0\0\0\0\0\0m\x06"
        "Cookie\x0b"
        "BJLsession";
    long pg_size = sysconf(_SC_PAGESIZE);
    assert_true(pg_size >= 4096);
    size_t pg = (size_t)pg_size;
    unsigned char *map =
        mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + pg, pg, PROT_NONE), 0);
    for (size_t len = 1; len <= sizeof chunk; len++) {
        for (size_t k = 0; k < 4; k++) {
            unsigned char *buf = map + pg - len - k;
            memcpy(buf, chunk + sizeof chunk - len, len);
            struct hits h = {0};
            det_pf_scan(&pf, scr, &pad, buf, (uint32_t)len, on_hit, &h);
            bool want = memmem(buf, len, "LEN=", 4) != NULL;
            assert_int_equal(has_rule(&h, 7), want);
        }
    }
    munmap(map, 2 * pg);
    hs_free_scratch(scr);
    det_pf_free(&pf);
    det_pf_pad_free(&pad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hits_and_sharing),
        cmocka_unit_test(test_short_buffers),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_page_end_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
