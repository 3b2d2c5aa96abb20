/*
 * The bounded age-ordered table behind xbits, thresholds and the detectors
 * (src/core/lru_table.c): configuration checks, insert/lookup/touch/remove, eviction
 * oldest-first under a tiny memcap with the counter (stale entries taken over uncounted), keys
 * that all hash alike (one chain) or share one bucket with hashes of their own (one chain of
 * different tags) checked against a reference model, a large table through
 * every growth step (bucket array, chunks, huge pages, free-list reuse), and refused charges
 * at every position (mem_fault_at).
 */
#include "core/lru_table.h"

#include "core/mem.h"
#include "core/mm.h"
#include "testlib/tcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The test entry: a 12-byte key (odd length, so the hash's tail path runs), then state. */
#define KEY_LEN 12
struct tent {
    uint8_t key[KEY_LEN];
    uint32_t val;
    uint64_t expire; /* stale once now >= expire */
};

static bool tent_stale(const void *entry, uint64_t now_ns)
{
    const struct tent *e = entry;
    return e->expire <= now_ns;
}

/* Every key in one bucket: the worst a hostile sender could achieve. */
static uint32_t hash_collide(const void *key, size_t key_len, uint64_t seed)
{
    (void)key;
    (void)key_len;
    (void)seed;
    return 0x5a5a5a5au;
}

/*
 * Every key in one bucket as well (the low 17 bits zero, the most a table here masks), but
 * with hashes that differ above them: a chain whose links carry different tags, so lookups
 * pass nodes by their tag and must still reach the ones behind them.
 */
static uint32_t hash_one_bucket(const void *key, size_t key_len, uint64_t seed)
{
    (void)seed;
    const uint8_t *k = key;
    uint32_t n = (uint32_t)k[key_len - 2] << 8 | k[key_len - 1];
    return (n * 2654435761u) & ~((UINT32_C(1) << 17) - 1);
}

static void key_of(uint8_t k[KEY_LEN], uint32_t n)
{
    /* Keys differ only in their last bytes: a long shared prefix as an attacker would send. */
    memset(k, 0xab, KEY_LEN);
    k[KEY_LEN - 2] = (uint8_t)(n >> 8);
    k[KEY_LEN - 1] = (uint8_t)n;
}

static struct mm_lru_cfg cfg_of(size_t memcap, bool collide)
{
    struct mm_lru_cfg c = {
        .name = "test",
        .memcap_bytes = memcap,
        .entry_size = sizeof(struct tent),
        .key_len = KEY_LEN,
        .stale = tent_stale,
        .hash = collide ? hash_collide : NULL,
    };
    return c;
}

static struct tent *put(mm_lru_t *t, uint32_t n, uint32_t val, uint64_t expire, uint64_t now)
{
    uint8_t k[KEY_LEN];
    key_of(k, n);
    struct tent *e = mm_lru_lookup(t, k);
    if (e) {
        mm_lru_touch(t, e);
    } else {
        e = mm_lru_insert(t, k, now);
        if (!e)
            return NULL;
    }
    e->val = val;
    e->expire = expire;
    return e;
}

static struct tent *get(mm_lru_t *t, uint32_t n)
{
    uint8_t k[KEY_LEN];
    key_of(k, n);
    return mm_lru_lookup(t, k);
}

static struct mm_lru_stats stats(const mm_lru_t *t)
{
    struct mm_lru_stats st;
    mm_lru_get_stats(t, &st);
    assert_int_equal(mm_lru_count(t), st.entries); /* the two agree wherever stats are read */
    return st;
}

/* ---------- configuration ---------- */

static void test_lru_new_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        size_t memcap, entry_size, key_len;
        bool ok;
    } rows[] = {
        {"good", 1u << 16, 24, 12, true},
        {"key is the whole entry", 1u << 16, 24, 24, true},
        {"unlimited", 0, 24, 12, true},
        {"largest entry", 1u << 16, MM_LRU_MAX_ENTRY, 1, true},
        {"zero entry size", 1u << 16, 0, 0, false},
        {"zero key", 1u << 16, 24, 0, false},
        {"key longer than entry", 1u << 16, 24, 25, false},
        {"entry too large", 1u << 16, MM_LRU_MAX_ENTRY + 1, 1, false},
        {"memcap below one bucket", 4, 24, 12, false},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        struct mm_lru_cfg c = cfg_of(rows[i].memcap, false);
        c.entry_size = rows[i].entry_size;
        c.key_len = rows[i].key_len;
        mm_lru_t *t = mm_lru_new(&c);
        TC_CHECK(rows[i].name, (t != NULL) == rows[i].ok);
        mm_lru_free(t);
    }
    TC_CHECK("NULL cfg", mm_lru_new(NULL) == NULL);
    mm_lru_free(NULL);
    struct mm_lru_stats st = stats(NULL);
    TC_CHECK("NULL stats", st.entries == 0 && st.evicted == 0 && st.memcap_hits == 0);
    tc_done();
}

/* ---------- insert, lookup, touch, remove ---------- */

static void test_lru_insert_lookup_remove(void **state)
{
    (void)state;
    for (int collide = 0; collide < 2; collide++) {
        struct mm_lru_cfg c = cfg_of(1u << 16, collide);
        mm_lru_t *t = mm_lru_new(&c);
        assert_non_null(t);
        const char *row = collide ? "one chain" : "seeded hash";

        TC_CHECK(row, get(t, 1) == NULL && mm_lru_oldest(t) == NULL);
        uint8_t k[KEY_LEN];
        key_of(k, 1);
        struct tent *e = mm_lru_insert(t, k, 0);
        TC_CHECK(row, e != NULL);
        if (!e) {
            mm_lru_free(t);
            continue;
        }
        TC_CHECK(row, memcmp(e->key, k, KEY_LEN) == 0 && e->val == 0 && e->expire == 0);
        e->val = 11;
        TC_CHECK(row, get(t, 1) == e && mm_lru_oldest(t) == e);
        /* Keys one byte apart, at either end, are different keys. */
        uint8_t k2[KEY_LEN];
        memcpy(k2, k, KEY_LEN);
        k2[0] ^= 1;
        TC_CHECK(row, mm_lru_lookup(t, k2) == NULL);
        key_of(k2, 1u << 8);
        TC_CHECK(row, mm_lru_lookup(t, k2) == NULL);

        TC_CHECK(row, put(t, 2, 22, 100, 0) && put(t, 3, 33, 100, 0));
        TC_CHECK(row, stats(t).entries == 3);
        TC_CHECK(row, get(t, 2)->val == 22 && get(t, 3)->val == 33 && get(t, 1)->val == 11);
        TC_CHECK(row, mm_lru_oldest(t) == get(t, 1));
        mm_lru_touch(t, get(t, 1));
        TC_CHECK(row, mm_lru_oldest(t) == get(t, 2));
        mm_lru_touch(t, get(t, 1)); /* already newest */
        TC_CHECK(row, mm_lru_oldest(t) == get(t, 2));

        /* Remove the middle, the newest, then the oldest; the rest stays intact. */
        mm_lru_remove(t, get(t, 3));
        TC_CHECK(row, get(t, 3) == NULL && get(t, 2)->val == 22 && stats(t).entries == 2);
        mm_lru_remove(t, get(t, 1));
        TC_CHECK(row, get(t, 1) == NULL && mm_lru_oldest(t) == get(t, 2));
        mm_lru_remove(t, get(t, 2));
        TC_CHECK(row, stats(t).entries == 0 && mm_lru_oldest(t) == NULL);
        /* A removed key can come back, fresh. */
        e = put(t, 2, 5, 100, 0);
        TC_CHECK(row, e && get(t, 2) == e && e->val == 5 && stats(t).entries == 1);
        TC_CHECK(row, stats(t).evicted == 0 && stats(t).memcap_hits == 0);
        mm_lru_free(t); /* frees what is left */
    }
    tc_done();
}

/* ---------- eviction under a tiny memcap ---------- */

/* Inserts keys 0.. until the first eviction; returns how many entries the memcap held. */
static uint32_t fill_until_evict(mm_lru_t *t, uint32_t limit)
{
    uint32_t held = 0;
    for (uint32_t n = 0; n < limit; n++) {
        put(t, n, n, UINT64_MAX, 0);
        if (stats(t).evicted == 0)
            held = (uint32_t)stats(t).entries;
    }
    return held;
}

static void test_lru_eviction_order(void **state)
{
    (void)state;
    for (int collide = 0; collide < 2; collide++) {
        const char *row = collide ? "one chain" : "seeded hash";
        struct mm_lru_cfg c = cfg_of(1024, collide);
        mm_lru_t *t = mm_lru_new(&c);
        assert_non_null(t);
        uint32_t held = fill_until_evict(t, 100);
        struct mm_lru_stats st = stats(t);
        TC_CHECK(row, held > 1 && held < 100 && st.entries == held);
        TC_CHECK(row, st.evicted == 100 - held && st.memcap_hits == st.evicted);
        for (uint32_t n = 0; n < 100; n++) {
            struct tent *e = get(t, n);
            bool want = n >= 100 - held; /* the newest survive */
            TC_CHECK(row, (e != NULL) == want);
            TC_CHECK(row, !e || e->val == n);
        }
        /* A touched entry is the newest: the next oldest goes instead. */
        uint32_t first = 100 - held;
        mm_lru_touch(t, get(t, first));
        put(t, 500, 500, UINT64_MAX, 0);
        TC_CHECK(row, get(t, first) != NULL && get(t, first + 1) == NULL && get(t, 500) != NULL);
        TC_CHECK(row, stats(t).evicted == 101 - held && stats(t).entries == held);
        mm_lru_free(t);

        /* Entries that had run out are taken over without counting an eviction. */
        t = mm_lru_new(&c);
        assert_non_null(t);
        for (uint32_t n = 0; n < held; n++)
            put(t, n, n, 5, 0); /* stale from time 5 on */
        for (uint32_t n = 0; n < held; n++)
            TC_CHECK(row, put(t, 1000 + n, n, 50, 5) != NULL);
        st = stats(t);
        TC_CHECK(row, st.evicted == 0 && st.entries == held && st.memcap_hits == held);
        TC_CHECK(row, get(t, 0) == NULL && get(t, 1000) != NULL);
        /* Not stale at time 5: counted. */
        put(t, 2000, 0, 50, 5);
        TC_CHECK(row, stats(t).evicted == 1 && get(t, 1000) == NULL);
        mm_lru_free(t);

        /* Without a stale callback every take-over counts. */
        c.stale = NULL;
        t = mm_lru_new(&c);
        assert_non_null(t);
        for (uint32_t n = 0; n < held + 3; n++)
            put(t, n, n, 0, UINT64_MAX);
        TC_CHECK(row, stats(t).evicted == 3);
        mm_lru_free(t);

        /* Room for the buckets but not one entry: insert fails, counted, nothing breaks. */
        c = cfg_of(16, collide);
        t = mm_lru_new(&c);
        assert_non_null(t);
        for (uint32_t n = 0; n < 5; n++)
            TC_CHECK(row, put(t, n, n, 1, 0) == NULL);
        st = stats(t);
        TC_CHECK(row, st.entries == 0 && st.evicted == 0 && st.memcap_hits == 5);
        mm_lru_free(t);
    }
    tc_done();
}

/* ---------- hostile keys against a reference model ---------- */

#define MODEL_KEYS 200

/* The table as it should be: keys in age order, oldest first, with their values. */
struct model {
    uint32_t key[MODEL_KEYS], val[MODEL_KEYS];
    uint32_t n, cap;
    uint64_t evicted;
};

static int model_find(const struct model *m, uint32_t key)
{
    for (uint32_t i = 0; i < m->n; i++)
        if (m->key[i] == key)
            return (int)i;
    return -1;
}

static void model_drop(struct model *m, uint32_t i)
{
    memmove(m->key + i, m->key + i + 1, (m->n - i - 1) * sizeof m->key[0]);
    memmove(m->val + i, m->val + i + 1, (m->n - i - 1) * sizeof m->val[0]);
    m->n--;
}

static void model_put(struct model *m, uint32_t key, uint32_t val)
{
    int i = model_find(m, key);
    if (i >= 0) {
        model_drop(m, (uint32_t)i);
    } else if (m->n == m->cap) {
        model_drop(m, 0);
        m->evicted++;
    }
    m->key[m->n] = key;
    m->val[m->n] = val;
    m->n++;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Table and model agree on every key, on the age order and on the counters. */
static bool model_matches(mm_lru_t *t, const struct model *m)
{
    for (uint32_t key = 0; key < MODEL_KEYS; key++) {
        int i = model_find(m, key);
        struct tent *e = get(t, key);
        if ((e != NULL) != (i >= 0) || (e && e->val != m->val[i]))
            return false;
    }
    struct mm_lru_stats st = stats(t);
    if (st.entries != m->n || st.evicted != m->evicted)
        return false;
    return m->n == 0 ? mm_lru_oldest(t) == NULL : mm_lru_oldest(t) == get(t, m->key[0]);
}

static void run_model(size_t memcap, bool collide, bool tags, uint64_t seed)
{
    struct mm_lru_cfg c = cfg_of(memcap, collide);
    if (tags)
        c.hash = hash_one_bucket;
    mm_lru_t *t = mm_lru_new(&c);
    assert_non_null(t);
    uint32_t cap = MODEL_KEYS;
    if (memcap) {
        cap = fill_until_evict(t, MODEL_KEYS);
        mm_lru_free(t);
        t = mm_lru_new(&c);
        assert_non_null(t);
    }
    static struct model m;
    memset(&m, 0, sizeof m);
    m.cap = cap;
    for (int step = 0; step < 20000; step++) {
        uint32_t r = (uint32_t)rng_next(&seed);
        uint32_t key = (r >> 8) % MODEL_KEYS;
        if (r % 4 == 0) {
            struct tent *e = get(t, key);
            if (e)
                mm_lru_remove(t, e);
            int i = model_find(&m, key);
            if (i >= 0)
                model_drop(&m, (uint32_t)i);
        } else {
            put(t, key, r, UINT64_MAX, 0);
            model_put(&m, key, r);
        }
        if (step % 97 == 0 && !model_matches(t, &m)) {
            tc_failf("model", __FILE__, __LINE__, "memcap %zu collide %d tags %d step %d: differ",
                     memcap, collide, tags, step);
            break;
        }
    }
    TC_CHECK("final", model_matches(t, &m));
    mm_lru_free(t);
}

static void test_lru_colliding_keys(void **state)
{
    (void)state;
    static const struct {
        size_t memcap;
        bool collide, tags;
    } rows[] = {{0, true, false},  {0, false, false},   {2048, true, false}, {2048, false, false},
                {600, true, false}, {0, false, true}, {2048, false, true}};
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++)
        run_model(rows[i].memcap, rows[i].collide, rows[i].tags, 0x9e3779b97f4a7c15ull + i);
    tc_done();
}

/* ---------- a large table ---------- */

/* Keys 0 .. 2^32-1, spread over the key's last four bytes. */
static void key_of32(uint8_t k[KEY_LEN], uint32_t n)
{
    memset(k, 0xcd, KEY_LEN);
    memcpy(k + KEY_LEN - 4, &n, 4);
}

/*
 * Large enough for every growth step: the bucket array doubles from 64 to 262,144 (2 MiB,
 * past the size that goes on huge pages) and the node chunks grow past 256 KiB into 2 MiB blocks.
 * Every entry is found with its value; removed entries go to the free list and are reused
 * (the charged memory comes back to where it was); a lookup in the emptied table finds
 * nothing.
 */
static void test_lru_large_table(void **state)
{
    (void)state;
    enum { N = 300000 };
    struct mm_lru_cfg c = cfg_of(64u << 20, false);
    mm_lru_t *t = mm_lru_new(&c);
    assert_non_null(t);
    uint8_t k[KEY_LEN];
    for (uint32_t n = 0; n < N; n++) {
        key_of32(k, n);
        struct tent *e = mm_lru_insert(t, k, 0);
        assert_non_null(e);
        e->val = n ^ 0x5555u;
        e->expire = UINT64_MAX;
    }
    struct mm_lru_stats full = stats(t);
    TC_CHECK("all inserted, none evicted", full.entries == N && full.evicted == 0);
    TC_CHECK("within the memcap", full.memuse <= full.memcap);
    bool all_found = true;
    for (uint32_t n = 0; n < N; n++) {
        key_of32(k, n);
        const struct tent *e = mm_lru_lookup(t, k);
        all_found = all_found && e && e->val == (n ^ 0x5555u) && !memcmp(e->key, k, KEY_LEN);
    }
    TC_CHECK("every entry found with its value", all_found);
    /* Remove the even keys, insert as many new ones: the free list takes them. */
    for (uint32_t n = 0; n < N; n += 2) {
        key_of32(k, n);
        struct tent *e = mm_lru_lookup(t, k);
        assert_non_null(e);
        mm_lru_remove(t, e);
    }
    TC_CHECK("half removed", stats(t).entries == N / 2);
    for (uint32_t n = 0; n < N / 2; n++) {
        key_of32(k, N + n);
        struct tent *e = mm_lru_insert(t, k, 0);
        assert_non_null(e);
        TC_CHECK("a reused node starts zeroed", e->val == 0 && e->expire == 0);
        e->val = N + n;
    }
    struct mm_lru_stats again = stats(t);
    TC_CHECK("same charge after reuse", again.entries == N && again.memuse == full.memuse);
    bool right = true;
    for (uint32_t n = 0; n < N; n++) {
        key_of32(k, n);
        const struct tent *e = mm_lru_lookup(t, k);
        right = right && ((n % 2 == 0) ? e == NULL : e != NULL && e->val == (n ^ 0x5555u));
        key_of32(k, N + n / 2);
        e = mm_lru_lookup(t, k);
        right = right && e != NULL && e->val == N + n / 2;
    }
    TC_CHECK("removed keys gone, kept and new keys found", right);
    for (struct tent *e = mm_lru_oldest(t); e; e = mm_lru_oldest(t))
        mm_lru_remove(t, e);
    key_of32(k, 1);
    TC_CHECK("empty table: nothing found", stats(t).entries == 0 && mm_lru_lookup(t, k) == NULL);
    mm_lru_free(t);
    tc_done();
}

/*
 * Removed nodes stay on the free list inside their chunks, and growing the bucket array
 * walks the chunks (not the age list): it must take every entry and no free node. A free
 * node is there at a growth only after earlier growths were refused (here: allocation
 * faults at 20 entries in 64 buckets); then removals leave free nodes, and the next insert
 * that takes one of them grows the array with the others still free.
 */
static void test_lru_grow_with_free_nodes(void **state)
{
    (void)state;
    struct mm_lru_cfg c = cfg_of(1u << 16, false);
    mm_lru_t *t = mm_lru_new(&c);
    assert_non_null(t);
    uint32_t n = 0;
    for (; n < 15; n++)
        assert_non_null(put(t, n, n, UINT64_MAX, 0));
    size_t m15 = stats(t).memuse;
    assert_non_null(put(t, n++, 15, UINT64_MAX, 0)); /* 16 entries: still 64 buckets */
    size_t small = stats(t).memuse, node = small - m15;
    for (; n < 20; n++) {
        mem_fault_at(2); /* the node's charge passes, the new bucket array's is refused */
        assert_non_null(put(t, n, n, UINT64_MAX, 0));
        mem_fault_at(0);
    }
    TC_CHECK("no growth while refused",
             stats(t).memuse == small + 4 * node && stats(t).entries == 20);
    for (uint32_t r = 0; r < 4; r++) /* keys 0..3: four nodes to the free list */
        mm_lru_remove(t, get(t, r));
    size_t before = stats(t).memuse;
    assert_non_null(put(t, 20, 20, UINT64_MAX, 0)); /* takes one free node, grows: 3 free */
    TC_CHECK("the array grew with free nodes in the chunks", stats(t).memuse > before + node);
    bool right = true;
    for (uint32_t i = 0; i <= 20; i++) {
        const struct tent *e = get(t, i);
        right = right && (i < 4 ? e == NULL : e != NULL && e->val == i);
    }
    TC_CHECK("every entry found after the growth, no removed key", right);
    /* The three free nodes are reused cleanly (a free node linked into a chain would now
     * be found under its new key twice, or break the chain). */
    for (uint32_t i = 21; i < 24; i++)
        assert_non_null(put(t, i, i, UINT64_MAX, 0));
    right = stats(t).entries == 20;
    for (uint32_t i = 4; i < 24; i++) {
        const struct tent *e = get(t, i);
        right = right && e != NULL && e->val == i;
    }
    TC_CHECK("free nodes reused after the growth", right);
    mm_lru_free(t);
    tc_done();
}

/* ---------- refused charges ---------- */

static void test_lru_alloc_failure(void **state)
{
    (void)state;
    /* The bucket array is the first charge of mm_lru_new. */
    struct mm_lru_cfg c = cfg_of(1u << 16, false);
    mem_fault_at(1);
    TC_CHECK("buckets refused", mm_lru_new(&c) == NULL);
    mem_fault_at(0);

    /*
     * Each insert is one charge. Refusing the n-th: into an empty table nothing fits and the
     * insert fails; otherwise the oldest entry is taken over (counted: nothing is stale).
     */
    enum { N_PUT = 8 };
    for (uint64_t fault = 1; fault <= N_PUT + 1; fault++) {
        mm_lru_t *t = mm_lru_new(&c);
        assert_non_null(t);
        mem_fault_at(fault);
        bool all = true;
        for (uint32_t n = 0; n < N_PUT; n++) {
            bool ok = put(t, n, n, UINT64_MAX, 0) != NULL;
            all = all && (ok || (fault == 1 && n == 0));
        }
        mem_fault_at(0);
        struct mm_lru_stats st = stats(t);
        char row[48];
        snprintf(row, sizeof row, "fault at charge %llu", (unsigned long long)fault);
        TC_CHECK(row, all);
        if (fault > N_PUT) {
            TC_CHECK(row, st.entries == N_PUT && st.evicted == 0 && st.memcap_hits == 0);
        } else if (fault == 1) {
            TC_CHECK(row, st.entries == N_PUT - 1 && st.evicted == 0 && st.memcap_hits == 1);
            TC_CHECK(row, get(t, 0) == NULL && get(t, 1) != NULL);
        } else {
            /* Key fault-1 (inserted by the refused charge) took over key 0. */
            TC_CHECK(row, st.entries == N_PUT - 1 && st.evicted == 1 && st.memcap_hits == 1);
            TC_CHECK(row, get(t, 0) == NULL && get(t, (uint32_t)fault - 1) != NULL);
        }
        for (uint32_t n = 1; n < N_PUT; n++) {
            struct tent *e = get(t, n);
            TC_CHECK(row, e && e->val == n);
        }
        mm_lru_free(t);
    }
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_new_invalid),    cmocka_unit_test(test_lru_insert_lookup_remove),
        cmocka_unit_test(test_lru_eviction_order), cmocka_unit_test(test_lru_colliding_keys),
        cmocka_unit_test(test_lru_alloc_failure),  cmocka_unit_test(test_lru_large_table),
        cmocka_unit_test(test_lru_grow_with_free_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
