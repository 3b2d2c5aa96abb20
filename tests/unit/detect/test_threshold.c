/*
 * threshold / detection_filter (src/detect/threshold.c): match sequences over time for each
 * type (limit, threshold, both, detection_filter) and each track (by_src, by_dst, by_rule,
 * by_both), the window boundary, both keywords on one rule, rules kept apart by sid/gid,
 * and the memcap: least recently used entries taken over (counted unless their window had
 * passed), a memcap too small for any entry (suppressed, counted, no crash).
 */
#include "detect/detect_int.h"
#include "testlib/tcheck.h"

#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MS 1000000ull
#define MAX_EV 16

/* One match: time in ms, source and destination host numbers, whether it alerts. */
struct ev {
    uint32_t t_ms;
    uint8_t src, dst;
    bool want;
};

struct thr_row {
    const char *name;
    bool thr;
    struct det_threshold t;
    bool df;
    struct det_threshold d;
    struct ev evs[MAX_EV];
    size_t n;
};

static void addr(uint8_t a[16], uint8_t host)
{
    memset(a, 0, 16);
    a[0] = 192;
    a[1] = 168;
    a[3] = host;
}

static struct det_rule rule(uint32_t gid, uint32_t sid)
{
    struct det_rule r;
    memset(&r, 0, sizeof r);
    r.gid = gid;
    r.sid = sid;
    r.classtype = -1;
    return r;
}

static bool pass(struct det_thresholds *t, const struct det_rule *r, uint8_t src, uint8_t dst,
                 uint64_t ts_ns)
{
    uint8_t s[16], d[16];
    addr(s, src);
    addr(d, dst);
    return det_threshold_pass(t, r, s, d, ts_ns);
}

#define LIMIT DET_THR_LIMIT
#define THRESH DET_THR_THRESHOLD
#define BOTH DET_THR_BOTH
#define DF DET_THR_DETECTION_FILTER
#define T(type, track, count, secs)                                                                \
    {                                                                                              \
        (type), (track), (count), (secs)                                                           \
    }

static void test_threshold_sequences(void **state)
{
    (void)state;
    const struct thr_row rows[] = {
        {"limit by_src",
         true,
         T(LIMIT, DET_TRACK_SRC, 2, 60),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, true},
          {1000, 1, 2, true},
          {2000, 1, 2, false},
          {3000, 1, 2, false},
          {60000, 1, 2, false}, /* the window's last instant still counts */
          {60001, 1, 2, true},
          {60002, 1, 2, true},
          {60003, 1, 2, false}},
         8},
        {"limit per source",
         true,
         T(LIMIT, DET_TRACK_SRC, 1, 60),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, true}, {1, 1, 2, false}, {2, 3, 2, true}, {3, 3, 2, false}, {4, 1, 9, false}},
         5},
        {"threshold",
         true,
         T(THRESH, DET_TRACK_SRC, 3, 60),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, false},
          {1, 1, 2, false},
          {2, 1, 2, true},
          {3, 1, 2, false},
          {4, 1, 2, false},
          {5, 1, 2, true},
          {6, 1, 2, false},
          {70000, 1, 2, false},
          {70001, 1, 2, false},
          {70002, 1, 2, true}},
         10},
        {"threshold count 1",
         true,
         T(THRESH, DET_TRACK_SRC, 1, 60),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, true}, {1, 1, 2, true}, {2, 1, 2, true}},
         3},
        {"threshold window resets count",
         true,
         T(THRESH, DET_TRACK_SRC, 2, 10),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, false}, {11000, 1, 2, false}, {12000, 1, 2, true}},
         3},
        {"both",
         true,
         T(BOTH, DET_TRACK_SRC, 3, 60),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, false},
          {1, 1, 2, false},
          {2, 1, 2, true},
          {3, 1, 2, false},
          {4, 1, 2, false},
          {5, 1, 2, false},
          {61000, 1, 2, false},
          {61001, 1, 2, false},
          {61002, 1, 2, true},
          {61003, 1, 2, false}},
         10},
        {"detection_filter",
         false,
         T(0, 0, 0, 0),
         true,
         T(DF, DET_TRACK_SRC, 2, 10),
         {{0, 1, 2, false},
          {1, 1, 2, false},
          {2, 1, 2, true},
          {3, 1, 2, true},
          {4, 1, 2, true},
          {20000, 1, 2, false},
          {20001, 1, 2, false},
          {20002, 1, 2, true}},
         8},
        {"by_dst",
         true,
         T(LIMIT, DET_TRACK_DST, 1, 60),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, true}, {1, 3, 2, false}, {2, 1, 4, true}, {3, 5, 4, false}},
         4},
        {"by_rule",
         true,
         T(LIMIT, DET_TRACK_RULE, 1, 60),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, true}, {1, 3, 4, false}, {2, 5, 6, false}},
         3},
        {"by_both",
         true,
         T(LIMIT, DET_TRACK_BOTH, 1, 60),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, true}, {1, 2, 1, false}, {2, 1, 3, true}, {3, 1, 2, false}, {4, 3, 1, false}},
         5},
        {"detection_filter by_dst",
         false,
         T(0, 0, 0, 0),
         true,
         T(DF, DET_TRACK_DST, 1, 10),
         {{0, 1, 2, false}, {1, 3, 2, true}, {2, 3, 4, false}},
         3},
        {"detection_filter then limit",
         true,
         T(LIMIT, DET_TRACK_SRC, 1, 60),
         true,
         T(DF, DET_TRACK_SRC, 2, 60),
         {{0, 1, 2, false}, {1, 1, 2, false}, {2, 1, 2, true}, {3, 1, 2, false}, {4, 1, 2, false}},
         5},
        {"no keywords",
         false,
         T(0, 0, 0, 0),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, true}, {0, 1, 2, true}, {0, 1, 2, true}},
         3},
        {"time going backwards",
         true,
         T(LIMIT, DET_TRACK_SRC, 1, 10),
         false,
         T(0, 0, 0, 0),
         {{10000, 1, 2, true}, {5000, 1, 2, false}, {20000, 1, 2, false}, {20001, 1, 2, true}},
         4},
        {"seconds 0",
         true,
         T(LIMIT, DET_TRACK_SRC, 1, 0),
         false,
         T(0, 0, 0, 0),
         {{0, 1, 2, true}, {0, 1, 2, false}, {1, 1, 2, true}},
         3},
    };
    for (size_t k = 0; k < MM_ARRAY_LEN(rows); k++) {
        const struct thr_row *rw = &rows[k];
        struct det_thresholds *t = det_thresholds_new(1u << 20);
        assert_non_null(t);
        struct det_rule r = rule(1, 1000 + (uint32_t)k);
        r.has_threshold = rw->thr;
        r.threshold = rw->t;
        r.has_detection_filter = rw->df;
        r.detection_filter = rw->d;
        uint64_t alerts = 0;
        for (size_t e = 0; e < rw->n; e++) {
            const struct ev *v = &rw->evs[e];
            bool got = pass(t, &r, v->src, v->dst, (uint64_t)v->t_ms * MS);
            if (got != v->want)
                fprintf(stderr, "row '%s' event %zu (t=%u ms): got %d want %d\n", rw->name, e,
                        v->t_ms, got, v->want);
            TC_CHECK(rw->name, got == v->want);
            alerts += got;
        }
        struct det_threshold_stats st;
        det_thresholds_get_stats(t, &st);
        TC_CHECK(rw->name, st.suppressed == rw->n - alerts);
        if (!rw->thr && !rw->df)
            TC_CHECK(rw->name, st.entries == 0);
        det_thresholds_free(t);
    }
    tc_done();
}

/* Rules are tracked apart by (gid, sid), and threshold and detection_filter of one rule
 * apart from each other. */
static void test_threshold_rules_apart(void **state)
{
    (void)state;
    struct det_thresholds *t = det_thresholds_new(1u << 20);
    assert_non_null(t);
    struct det_rule a = rule(1, 10), b = rule(1, 11), c = rule(3, 10);
    struct det_rule *rs[] = {&a, &b, &c};
    for (size_t k = 0; k < MM_ARRAY_LEN(rs); k++) {
        rs[k]->has_threshold = true;
        rs[k]->threshold = (struct det_threshold)T(LIMIT, DET_TRACK_RULE, 1, 60);
    }
    TC_CHECK("a", pass(t, &a, 1, 2, 0));
    TC_CHECK("b", pass(t, &b, 1, 2, 0));
    TC_CHECK("c (other gid)", pass(t, &c, 1, 2, 0));
    TC_CHECK("a again", !pass(t, &a, 1, 2, 1));
    struct det_threshold_stats st;
    det_thresholds_get_stats(t, &st);
    TC_CHECK("three entries", st.entries == 3 && st.suppressed == 1 && st.evicted == 0);
    /* NULL table: the keywords have no state to use, the alert goes out. */
    TC_CHECK("NULL table", pass(NULL, &a, 1, 2, 0));
    det_thresholds_get_stats(NULL, &st);
    TC_CHECK("NULL stats", st.entries == 0);
    /* NULL addresses act as zero addresses. */
    TC_CHECK("NULL addrs", det_threshold_pass(t, &b, NULL, NULL, 5) == false);
    det_thresholds_free(t);
    det_thresholds_free(NULL);
    tc_done();
}

static void test_threshold_memcap(void **state)
{
    (void)state;
    struct det_rule r = rule(1, 7);
    r.has_threshold = true;
    r.threshold = (struct det_threshold)T(LIMIT, DET_TRACK_SRC, 1, 60);
    struct det_threshold_stats st;

    /* A table that holds a handful of entries. */
    struct det_thresholds *t = det_thresholds_new(512);
    assert_non_null(t);
    uint64_t held = 0;
    for (uint8_t s = 1; s <= 40; s++) {
        TC_CHECK("first match of each source alerts", pass(t, &r, s, 99, 0));
        det_thresholds_get_stats(t, &st);
        if (st.evicted == 0)
            held = st.entries;
    }
    det_thresholds_get_stats(t, &st);
    TC_CHECK("bounded", held > 0 && held < 40 && st.entries == held);
    TC_CHECK("evictions counted", st.evicted == 40 - held);
    TC_CHECK("newest remembered", !pass(t, &r, 40, 99, 1));
    TC_CHECK("oldest forgotten", pass(t, &r, 1, 99, 2));
    det_thresholds_free(t);

    /* Entries whose window has passed are taken over without counting an eviction. */
    r.threshold.seconds = 1;
    t = det_thresholds_new(512);
    assert_non_null(t);
    for (uint8_t s = 1; s <= held; s++)
        TC_CHECK("fill", pass(t, &r, s, 99, 0));
    for (uint8_t s = 100; s < 100 + held; s++)
        TC_CHECK("later sources", pass(t, &r, s, 99, 5000 * MS));
    det_thresholds_get_stats(t, &st);
    TC_CHECK("stale reuse is not eviction", st.evicted == 0 && st.entries == held);
    TC_CHECK("one more evicts", pass(t, &r, 200, 99, 5000 * MS));
    det_thresholds_get_stats(t, &st);
    TC_CHECK("counted", st.evicted == 1);
    det_thresholds_free(t);

    /* Room for the buckets but no entry: matches are suppressed, counted, nothing breaks. */
    t = det_thresholds_new(16);
    assert_non_null(t);
    for (int k = 0; k < 5; k++)
        TC_CHECK("cannot track", !pass(t, &r, 1, 2, (uint64_t)k));
    det_thresholds_get_stats(t, &st);
    TC_CHECK("suppressed", st.suppressed == 5 && st.entries == 0);
    /* Rules without the keywords need no memory. */
    struct det_rule plain = rule(1, 8);
    TC_CHECK("plain rule", pass(t, &plain, 1, 2, 0));
    det_thresholds_free(t);

    TC_CHECK("absurd memcap", det_thresholds_new(4) == NULL);
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold_sequences),
        cmocka_unit_test(test_threshold_rules_apart),
        cmocka_unit_test(test_threshold_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
