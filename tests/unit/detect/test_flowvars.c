/*
 * Flow variables and xbits (src/detect/flowvars.c): flowbit set/isset/unset/toggle as
 * operation sequences, flowint values, growth after the rule set grows (reload), memcap
 * refusal (a refused set is a no-op and leaves earlier values intact), xbits expiry, keys,
 * eviction of the oldest entry under a tiny memcap, and a random run against a reference
 * model.
 */
#include "detect/detect_int.h"
#include "testlib/tcheck.h"

#include "core/mem.h"
#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define SEC 1000000000ull

static struct det_ruleset ruleset(uint32_t nbits, uint32_t nints)
{
    struct det_ruleset rs;
    memset(&rs, 0, sizeof rs);
    rs.flowbits.n = nbits;
    rs.flowints.n = nints;
    return rs;
}

/* ---------- flowbits ---------- */

enum fb_op { OP_SET, OP_UNSET, OP_TOGGLE };

struct fb_step {
    enum fb_op op;
    uint32_t id;
    uint64_t want; /* bits 0..63 expected set afterwards */
};

static void test_flowbits_sequence(void **state)
{
    (void)state;
    static const struct fb_step steps[] = {
        {OP_UNSET, 3, 0x0}, /* clearing an absent bit: nothing happens */
        {OP_SET, 3, 0x8},
        {OP_SET, 3, 0x8}, /* idempotent */
        {OP_SET, 0, 0x9},
        {OP_TOGGLE, 0, 0x8},
        {OP_TOGGLE, 5, 0x28},
        {OP_UNSET, 3, 0x20},
        {OP_TOGGLE, 5, 0x0},
        {OP_SET, 7, 0x80},                   /* last id of the rule set */
        {OP_SET, 63, 0x8000000000000080ull}, /* beyond the rule set's 8 (storage is whole words) */
        {OP_UNSET, 63, 0x80},
    };
    struct det_ruleset rs = ruleset(8, 0);
    struct mem_cap cap;
    mem_cap_init(&cap, "flowvars", 0);
    struct det_flowvars *fv = NULL;
    TC_CHECK("empty", !det_flowbit_isset(fv, 0) && !det_flowbit_isset(NULL, 3));
    for (size_t k = 0; k < MM_ARRAY_LEN(steps); k++) {
        const struct fb_step *s = &steps[k];
        char row[32];
        snprintf(row, sizeof row, "step %zu", k);
        bool on = s->op == OP_SET || (s->op == OP_TOGGLE && !det_flowbit_isset(fv, s->id));
        det_flowbit_set(&fv, &cap, &rs, s->id, on);
        for (uint32_t id = 0; id < 64; id++)
            TC_CHECK(row, det_flowbit_isset(fv, id) == ((s->want >> id) & 1u));
        if (k == 0)
            TC_CHECK(row, fv == NULL && cap.used == 0);
    }
    TC_CHECK("beyond storage", !det_flowbit_isset(fv, 100000));
    TC_CHECK("charged", cap.used > 0);
    det_flowvars_free(fv, &cap);
    TC_CHECK("released", cap.used == 0);
    det_flowvars_free(NULL, &cap);
    det_flowbit_set(NULL, &cap, &rs, 1, true); /* no slot: ignored */
    tc_done();
}

/* ---------- flowints ---------- */

static void test_flowint_values(void **state)
{
    (void)state;
    static const int64_t values[] = {0, 1, -1, 42, INT64_MAX, INT64_MIN, 1000000007};
    struct det_ruleset rs = ruleset(2, 4);
    struct mem_cap cap;
    mem_cap_init(&cap, "flowvars", 0);
    struct det_flowvars *fv = NULL;
    int64_t v = 99;
    TC_CHECK("unset on NULL", !det_flowint_get(fv, 0, &v) && v == 99);
    for (size_t k = 0; k < MM_ARRAY_LEN(values); k++) {
        uint32_t id = (uint32_t)(k % 4);
        det_flowint_put(&fv, &cap, &rs, id, values[k]);
        TC_CHECK("put/get", det_flowint_get(fv, id, &v) && v == values[k]);
    }
    /* ints and bits are separate name spaces */
    det_flowint_put(&fv, &cap, &rs, 1, 5);
    TC_CHECK("bit 1 untouched", !det_flowbit_isset(fv, 1));
    det_flowbit_set(&fv, &cap, &rs, 1, true);
    TC_CHECK("int 1 untouched", det_flowint_get(fv, 1, &v) && v == 5);
    /* an id never put reads unset even when storage exists */
    struct det_flowvars *fv2 = NULL;
    det_flowint_put(&fv2, &cap, &rs, 2, 7);
    TC_CHECK("other id unset", !det_flowint_get(fv2, 3, &v) && !det_flowint_get(fv2, 0, &v));
    TC_CHECK("id set", det_flowint_get(fv2, 2, &v) && v == 7);
    det_flowvars_free(fv, &cap);
    det_flowvars_free(fv2, &cap);
    TC_CHECK("released", cap.used == 0);
    tc_done();
}

/* After a reload the rule set has more ids than a flow's allocation. */
static void test_flowvars_growth(void **state)
{
    (void)state;
    struct det_ruleset rs = ruleset(4, 1);
    struct mem_cap cap;
    mem_cap_init(&cap, "flowvars", 0);
    struct det_flowvars *fv = NULL;
    int64_t v;
    det_flowbit_set(&fv, &cap, &rs, 1, true);
    det_flowint_put(&fv, &cap, &rs, 0, -42);
    size_t small = cap.used;
    rs = ruleset(300, 200);
    TC_CHECK("ids beyond the allocation read unset",
             !det_flowbit_isset(fv, 250) && !det_flowint_get(fv, 150, &v));
    det_flowbit_set(&fv, &cap, &rs, 250, true);
    TC_CHECK("grown", det_flowbit_isset(fv, 250) && cap.used > small);
    TC_CHECK("old bit kept", det_flowbit_isset(fv, 1) && !det_flowbit_isset(fv, 2));
    TC_CHECK("old int kept", det_flowint_get(fv, 0, &v) && v == -42);
    TC_CHECK("new ints unset", !det_flowint_get(fv, 150, &v));
    size_t grown = cap.used;
    det_flowint_put(&fv, &cap, &rs, 199, 9);
    TC_CHECK("room for the rule set's ints", cap.used == grown);
    TC_CHECK("int 199", det_flowint_get(fv, 199, &v) && v == 9);
    /* An id past the rule set (interned later) still gets storage. */
    det_flowint_put(&fv, &cap, &rs, 500, 1);
    TC_CHECK("int 500", det_flowint_get(fv, 500, &v) && v == 1);
    TC_CHECK("old values after second growth",
             det_flowint_get(fv, 199, &v) && v == 9 && det_flowbit_isset(fv, 250));
    /* Absurd ids are refused without allocating. */
    size_t before = cap.used;
    det_flowbit_set(&fv, &cap, &rs, 1u << 30, true);
    det_flowint_put(&fv, &cap, &rs, UINT32_MAX, 1);
    TC_CHECK("huge ids refused", cap.used == before && !det_flowbit_isset(fv, 1u << 30));
    det_flowvars_free(fv, &cap);
    TC_CHECK("released", cap.used == 0);
    tc_done();
}

static void test_flowvars_memcap(void **state)
{
    (void)state;
    struct det_ruleset rs = ruleset(16, 4);
    struct mem_cap cap;
    /* Too small for any allocation: every set is a counted no-op. */
    mem_cap_init(&cap, "flowvars", 16);
    struct det_flowvars *fv = NULL;
    int64_t v;
    det_flowbit_set(&fv, &cap, &rs, 3, true);
    det_flowint_put(&fv, &cap, &rs, 0, 1);
    TC_CHECK("refused", fv == NULL && cap.hits == 2 && cap.used == 0);
    TC_CHECK("still unset", !det_flowbit_isset(fv, 3) && !det_flowint_get(fv, 0, &v));
    /* No cap at all: refused too (nothing to charge). */
    det_flowbit_set(&fv, NULL, &rs, 3, true);
    TC_CHECK("no cap", fv == NULL);

    /* A refused growth keeps the old allocation and its values. */
    mem_cap_init(&cap, "flowvars", 0);
    det_flowbit_set(&fv, &cap, &rs, 3, true);
    det_flowint_put(&fv, &cap, &rs, 2, 77);
    struct det_flowvars *before = fv;
    mem_fault_at(1);
    det_flowbit_set(&fv, &cap, &rs, 1000, true);
    mem_fault_at(0);
    TC_CHECK("growth refused", fv == before && cap.hits == 1);
    TC_CHECK("values intact", det_flowbit_isset(fv, 3) && !det_flowbit_isset(fv, 1000) &&
                                  det_flowint_get(fv, 2, &v) && v == 77);
    /* Clearing an id beyond the allocation needs no memory. */
    mem_fault_at(1);
    det_flowbit_set(&fv, &cap, &rs, 1000, false);
    mem_fault_at(0);
    TC_CHECK("unset beyond", fv == before && cap.hits == 1);
    det_flowvars_free(fv, &cap);
    TC_CHECK("released", cap.used == 0);
    tc_done();
}

/* ---------- xbits ---------- */

static void key_of(uint8_t key[32], uint32_t host)
{
    memset(key, 0, 32);
    key[0] = 10;
    key[1] = (uint8_t)(host >> 16);
    key[2] = (uint8_t)(host >> 8);
    key[3] = (uint8_t)host;
}

static void test_xbits_basic(void **state)
{
    (void)state;
    struct det_xbits *x = det_xbits_new(1u << 20);
    assert_non_null(x);
    uint8_t a[32], b[32];
    key_of(a, 1);
    key_of(b, 2);
    struct det_xbits_stats st;
    TC_CHECK("empty", !det_xbit_isset(x, 0, a, 0));
    det_xbit_set(x, 0, a, true, 10 * SEC);
    TC_CHECK("set", det_xbit_isset(x, 0, a, 1 * SEC));
    TC_CHECK("other key", !det_xbit_isset(x, 0, b, 1 * SEC));
    TC_CHECK("other id", !det_xbit_isset(x, 1, a, 1 * SEC));
    TC_CHECK("just before expiry", det_xbit_isset(x, 0, a, 10 * SEC - 1));
    TC_CHECK("at expiry", !det_xbit_isset(x, 0, a, 10 * SEC));
    det_xbits_get_stats(x, &st);
    TC_CHECK("expired entry dropped", st.entries == 0);
    det_xbit_set(x, 0, a, true, 20 * SEC);
    det_xbit_set(x, 0, a, true, 40 * SEC); /* a second set extends the expiry */
    det_xbits_get_stats(x, &st);
    TC_CHECK("one entry", st.entries == 1);
    TC_CHECK("extended", det_xbit_isset(x, 0, a, 30 * SEC));
    det_xbit_set(x, 0, a, false, 0);
    TC_CHECK("unset", !det_xbit_isset(x, 0, a, 30 * SEC));
    det_xbit_set(x, 0, b, false, 0); /* unset of an absent bit */
    /* The pair key uses both halves. */
    uint8_t pair[32];
    key_of(pair, 1);
    memcpy(pair + 16, b, 16);
    det_xbit_set(x, 3, pair, true, 100 * SEC);
    TC_CHECK("pair", det_xbit_isset(x, 3, pair, 50 * SEC) && !det_xbit_isset(x, 3, a, 50 * SEC));
    /* Stale entries leave from the old end as time moves on, without a lookup of them. */
    det_xbit_set(x, 7, b, true, 60 * SEC);
    det_xbits_get_stats(x, &st);
    uint64_t n = st.entries;
    TC_CHECK("lookup elsewhere", !det_xbit_isset(x, 9, b, 200 * SEC));
    det_xbits_get_stats(x, &st);
    TC_CHECK("oldest stale dropped", st.entries == n - 1 && st.evicted == 0);
    /* NULL table */
    TC_CHECK("NULL", !det_xbit_isset(NULL, 0, a, 0));
    det_xbit_set(NULL, 0, a, true, 1);
    det_xbits_get_stats(NULL, &st);
    TC_CHECK("NULL stats", st.entries == 0);
    det_xbits_free(x);
    det_xbits_free(NULL);
    tc_done();
}

/* A tiny memcap: the entry set longest ago goes first, counted; nothing crashes. */
static void test_xbits_memcap(void **state)
{
    (void)state;
    struct det_xbits *x = det_xbits_new(1024);
    assert_non_null(x);
    uint8_t k[32];
    struct det_xbits_stats st;
    uint32_t cap_entries = 0;
    for (uint32_t h = 0; h < 100; h++) {
        key_of(k, h);
        det_xbit_set(x, 1, k, true, 1000 * SEC);
        det_xbits_get_stats(x, &st);
        if (st.evicted == 0)
            cap_entries = (uint32_t)st.entries;
    }
    det_xbits_get_stats(x, &st);
    TC_CHECK("bounded", cap_entries > 0 && cap_entries < 100 && st.entries == cap_entries);
    TC_CHECK("evictions counted", st.evicted == 100 - cap_entries && st.memcap_hits >= st.evicted);
    for (uint32_t h = 0; h < 100; h++) {
        key_of(k, h);
        bool want = h >= 100 - cap_entries; /* the newest ones survive */
        TC_CHECK("oldest evicted first", det_xbit_isset(x, 1, k, 1 * SEC) == want);
    }
    /* Re-setting an old entry makes it the newest: it survives the next eviction. */
    key_of(k, 100 - cap_entries);
    det_xbit_set(x, 1, k, true, 1000 * SEC);
    uint8_t k2[32];
    key_of(k2, 500);
    det_xbit_set(x, 1, k2, true, 1000 * SEC);
    TC_CHECK("refreshed survives", det_xbit_isset(x, 1, k, 1 * SEC));
    key_of(k, 101 - cap_entries);
    TC_CHECK("next oldest went", !det_xbit_isset(x, 1, k, 1 * SEC));
    /* Expired entries are taken over without counting an eviction. */
    det_xbits_free(x);
    x = det_xbits_new(1024);
    assert_non_null(x);
    for (uint32_t h = 0; h < cap_entries; h++) {
        key_of(k, h);
        det_xbit_set(x, 1, k, true, 5 * SEC);
    }
    key_of(k, 1000);
    TC_CHECK("time moves", !det_xbit_isset(x, 2, k, 6 * SEC)); /* also drops one stale entry */
    for (uint32_t h = 0; h < cap_entries; h++) {
        key_of(k, 2000 + h);
        det_xbit_set(x, 1, k, true, 50 * SEC);
    }
    det_xbits_get_stats(x, &st);
    TC_CHECK("stale reuse is not eviction", st.evicted == 0 && st.entries == cap_entries);
    det_xbits_free(x);
    /* A memcap too small for the table itself. */
    TC_CHECK("absurd memcap", det_xbits_new(4) == NULL);
    /* Unlimited works. */
    x = det_xbits_new(0);
    assert_non_null(x);
    det_xbit_set(x, 1, k, true, 5 * SEC);
    TC_CHECK("unlimited", det_xbit_isset(x, 1, k, 1));
    det_xbits_free(x);
    tc_done();
}

/* Random operations against a plain array model (memcap large enough: no eviction). */
static void test_xbits_model(void **state)
{
    (void)state;
    enum { HOSTS = 40, IDS = 3 };
    uint64_t model[IDS][HOSTS]; /* expiry, 0 = unset */
    memset(model, 0, sizeof model);
    struct det_xbits *x = det_xbits_new(8u << 20);
    assert_non_null(x);
    uint64_t rnd = 0x9e3779b97f4a7c15ull, now = 0;
    for (int step = 0; step < 20000; step++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        uint32_t id = (uint32_t)(rnd % IDS), h = (uint32_t)((rnd >> 8) % HOSTS);
        uint32_t op = (uint32_t)((rnd >> 20) % 4);
        now += (rnd >> 32) % (SEC / 2);
        uint8_t k[32];
        key_of(k, h);
        if (op == 0) {
            uint64_t exp = now + ((rnd >> 40) % 10 + 1) * SEC;
            det_xbit_set(x, id, k, true, exp);
            model[id][h] = exp;
        } else if (op == 1) {
            det_xbit_set(x, id, k, false, 0);
            model[id][h] = 0;
        } else {
            bool want = model[id][h] > now;
            if (!want)
                model[id][h] = 0;
            if (det_xbit_isset(x, id, k, now) != want) {
                fprintf(stderr, "step %d id %u host %u: mismatch\n", step, id, h);
                tc_failf("parsed rule", __FILE__, __LINE__, "see the line above");
                break;
            }
        }
    }
    struct det_xbits_stats st;
    det_xbits_get_stats(x, &st);
    TC_CHECK("no evictions", st.evicted == 0 && st.memcap_hits == 0);
    det_xbits_free(x);
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flowbits_sequence), cmocka_unit_test(test_flowint_values),
        cmocka_unit_test(test_flowvars_growth),   cmocka_unit_test(test_flowvars_memcap),
        cmocka_unit_test(test_xbits_basic),       cmocka_unit_test(test_xbits_memcap),
        cmocka_unit_test(test_xbits_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
