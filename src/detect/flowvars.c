/*
 * Rule variables that outlive one packet: per-flow flowbits and flowints, and xbits kept
 * per host or host pair (Suricata's flowbits, flowint and xbits keywords).
 *
 * Flow variables are one allocation per flow, charged to the caller's memcap and made at
 * the first set: a bitset of the rule set's flowbit ids, then a "set" bitset and a value
 * per flowint id. After a rule reload the ids may outnumber the allocation: ids beyond it
 * read as unset and setting one grows the allocation. A refused allocation makes the set a
 * no-op (the cap counts the refusal).
 *
 * xbits live in one hash table per worker, keyed by (xbit id, 32-byte address key), each
 * entry with its expiry time. The table's memory (buckets and entries) is bounded by its
 * memcap; when full, the entry set longest ago is evicted (counted). Expired entries are
 * dropped when looked up and from the old end of the age list as time moves on.
 * Not thread-safe: one det_xbits per worker, flow variables are touched by the flow's
 * worker only.
 */
#include "detect/detect_int.h"

#include "core/mem.h"
#include "core/mm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Ids beyond this are refused: the parser interns names, so real rule sets stay far below. */
#define DET_FLOWVAR_MAX_IDS (1u << 20)

/* ---------------- flowbits and flowints ---------------- */

struct det_flowvars {
    uint32_t nbits; /* flowbit ids 0..nbits-1 have storage (multiple of 64) */
    uint32_t nints; /* flowint ids 0..nints-1 have storage (multiple of 64) */
    size_t bytes;   /* size of this allocation, as charged to the cap */
    /* nbits/64 flowbit words, nints/64 "flowint set" words, then nints values (two's
     * complement in uint64_t). */
    uint64_t w[];
};

static uint64_t *bit_words(struct det_flowvars *v)
{
    return v->w;
}

static uint64_t *int_set_words(struct det_flowvars *v)
{
    return v->w + v->nbits / 64;
}

static uint64_t *int_values(struct det_flowvars *v)
{
    return v->w + v->nbits / 64 + v->nints / 64;
}

static const uint64_t *cbit_words(const struct det_flowvars *v)
{
    return v->w;
}

static const uint64_t *cint_set_words(const struct det_flowvars *v)
{
    return v->w + v->nbits / 64;
}

static const uint64_t *cint_values(const struct det_flowvars *v)
{
    return v->w + v->nbits / 64 + v->nints / 64;
}

static uint32_t round64(uint32_t n)
{
    return (n + 63u) & ~63u;
}

void det_flowvars_free(struct det_flowvars *v, struct mem_cap *cap)
{
    if (!v)
        return;
    if (cap)
        mem_cap_free(cap, v, v->bytes);
    else
        free(v);
}

/* Storage for at least `bits` flowbits and `ints` flowints (and the rule set's counts),
 * growing *v when needed. NULL when the cap refuses or the ids are out of range. */
static struct det_flowvars *flowvars_reserve(struct det_flowvars **v, struct mem_cap *cap,
                                             const struct det_ruleset *rs, uint32_t bits,
                                             uint32_t ints)
{
    struct det_flowvars *old = *v;
    if (old && old->nbits >= bits && old->nints >= ints)
        return old;
    if (!cap || bits > DET_FLOWVAR_MAX_IDS || ints > DET_FLOWVAR_MAX_IDS)
        return NULL;
    uint32_t nb = bits, ni = ints;
    if (rs) {
        nb = MM_MAX(nb, MM_MIN(rs->flowbits.n, DET_FLOWVAR_MAX_IDS));
        ni = MM_MAX(ni, MM_MIN(rs->flowints.n, DET_FLOWVAR_MAX_IDS));
    }
    if (old) {
        nb = MM_MAX(nb, old->nbits);
        ni = MM_MAX(ni, old->nints);
    }
    nb = round64(nb);
    ni = round64(ni);
    size_t words = (size_t)nb / 64 + (size_t)ni / 64 + ni;
    size_t bytes = sizeof(struct det_flowvars) + words * sizeof(uint64_t);
    struct det_flowvars *n = mem_cap_calloc(cap, bytes);
    if (!n)
        return NULL;
    n->nbits = nb;
    n->nints = ni;
    n->bytes = bytes;
    if (old) {
        memcpy(bit_words(n), cbit_words(old), old->nbits / 64 * sizeof(uint64_t));
        memcpy(int_set_words(n), cint_set_words(old), old->nints / 64 * sizeof(uint64_t));
        memcpy(int_values(n), cint_values(old), old->nints * sizeof(uint64_t));
        det_flowvars_free(old, cap);
    }
    *v = n;
    return n;
}

bool det_flowbit_isset(const struct det_flowvars *v, uint32_t id)
{
    return v && id < v->nbits && (cbit_words(v)[id / 64] >> (id % 64)) & 1u;
}

void det_flowbit_set(struct det_flowvars **v, struct mem_cap *cap, const struct det_ruleset *rs,
                     uint32_t id, bool on)
{
    if (!v)
        return;
    if (!on) {
        /* Clearing never allocates: a bit without storage is already clear. */
        if (*v && id < (*v)->nbits)
            bit_words(*v)[id / 64] &= ~(1ull << (id % 64));
        return;
    }
    if (id >= DET_FLOWVAR_MAX_IDS)
        return;
    struct det_flowvars *fv = flowvars_reserve(v, cap, rs, id + 1, 0);
    if (fv)
        bit_words(fv)[id / 64] |= 1ull << (id % 64);
}

bool det_flowint_get(const struct det_flowvars *v, uint32_t id, int64_t *out)
{
    if (!v || id >= v->nints || !((cint_set_words(v)[id / 64] >> (id % 64)) & 1u))
        return false;
    *out = (int64_t)cint_values(v)[id];
    return true;
}

void det_flowint_put(struct det_flowvars **v, struct mem_cap *cap, const struct det_ruleset *rs,
                     uint32_t id, int64_t value)
{
    if (!v || id >= DET_FLOWVAR_MAX_IDS)
        return;
    struct det_flowvars *fv = flowvars_reserve(v, cap, rs, 0, id + 1);
    if (!fv)
        return;
    int_set_words(fv)[id / 64] |= 1ull << (id % 64);
    int_values(fv)[id] = (uint64_t)value;
}

/* ---------------- xbits ---------------- */

struct xb_entry {
    struct xb_entry *hnext;         /* hash chain */
    struct xb_entry *older, *newer; /* age list, by time of the last set */
    uint64_t expire_ns;             /* set while now < expire_ns */
    uint32_t id, hash;
    uint8_t key[32];
};

struct det_xbits {
    struct mem_cap cap; /* buckets + entries */
    struct xb_entry **buckets;
    size_t buckets_bytes;
    uint32_t mask; /* buckets - 1 (a power of two) */
    uint64_t seed;
    uint64_t now_ns; /* latest time seen by det_xbit_isset */
    struct xb_entry *oldest, *newest;
    uint64_t entries, evicted;
};

#define XB_MAX_BUCKETS (1u << 16)

/* A power of two of buckets using at most an eighth of the memcap (0 = unlimited). */
static uint32_t xb_bucket_count(size_t memcap)
{
    if (memcap == 0)
        return XB_MAX_BUCKETS;
    size_t want = memcap / 8 / sizeof(struct xb_entry *);
    uint32_t n = 1;
    while (n < XB_MAX_BUCKETS && (size_t)n * 2 <= want)
        n *= 2;
    return n;
}

struct det_xbits *det_xbits_new(size_t memcap_bytes)
{
    struct det_xbits *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    mem_cap_init(&x->cap, "xbits", memcap_bytes);
    uint32_t nb = xb_bucket_count(memcap_bytes);
    x->buckets_bytes = (size_t)nb * sizeof(struct xb_entry *);
    x->buckets = mem_cap_calloc(&x->cap, x->buckets_bytes);
    if (!x->buckets) {
        free(x);
        return NULL;
    }
    x->mask = nb - 1;
    /* Bucket placement only: a per-table seed keeps crafted addresses from piling into one
     * chain; results do not depend on it. */
    x->seed = (uint64_t)(uintptr_t)x * 0x9e3779b97f4a7c15ull ^ 0x6a09e667f3bcc909ull;
    return x;
}

void det_xbits_free(struct det_xbits *x)
{
    if (!x)
        return;
    struct xb_entry *e = x->oldest;
    while (e) {
        struct xb_entry *n = e->newer;
        mem_cap_free(&x->cap, e, sizeof *e);
        e = n;
    }
    mem_cap_free(&x->cap, x->buckets, x->buckets_bytes);
    free(x);
}

static uint32_t xb_hash(const struct det_xbits *x, uint32_t id, const uint8_t key[32])
{
    uint64_t h = x->seed ^ ((uint64_t)id * 0xff51afd7ed558ccdull);
    for (int k = 0; k < 4; k++) {
        uint64_t w;
        memcpy(&w, key + 8 * k, 8);
        h ^= w;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

static struct xb_entry *xb_find(struct det_xbits *x, uint32_t id, const uint8_t key[32],
                                uint32_t hash)
{
    for (struct xb_entry *e = x->buckets[hash & x->mask]; e; e = e->hnext)
        if (e->hash == hash && e->id == id && memcmp(e->key, key, 32) == 0)
            return e;
    return NULL;
}

static void age_unlink(struct det_xbits *x, struct xb_entry *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        x->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        x->newest = e->older;
    e->older = e->newer = NULL;
}

static void age_push_newest(struct det_xbits *x, struct xb_entry *e)
{
    e->older = x->newest;
    e->newer = NULL;
    if (x->newest)
        x->newest->newer = e;
    else
        x->oldest = e;
    x->newest = e;
}

/* Takes e out of its chain and the age list; the memory stays with the caller. */
static void xb_detach(struct det_xbits *x, struct xb_entry *e)
{
    struct xb_entry **pp = &x->buckets[e->hash & x->mask];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    e->hnext = NULL;
    age_unlink(x, e);
    x->entries--;
}

static void xb_remove(struct det_xbits *x, struct xb_entry *e)
{
    xb_detach(x, e);
    mem_cap_free(&x->cap, e, sizeof *e);
}

/* Drop one expired entry from the old end, so stale entries leave without a lookup. */
static void xb_expire_oldest(struct det_xbits *x)
{
    if (x->oldest && x->oldest->expire_ns <= x->now_ns)
        xb_remove(x, x->oldest);
}

bool det_xbit_isset(struct det_xbits *x, uint32_t id, const uint8_t key[32], uint64_t now_ns)
{
    if (!x)
        return false;
    if (now_ns > x->now_ns)
        x->now_ns = now_ns;
    uint32_t h = xb_hash(x, id, key);
    struct xb_entry *e = xb_find(x, id, key, h);
    bool set = e != NULL;
    if (e && e->expire_ns <= now_ns) {
        xb_remove(x, e);
        set = false;
    }
    xb_expire_oldest(x);
    return set;
}

/* A fresh entry: new memory, or the entry set longest ago when the memcap is full. */
static struct xb_entry *xb_take_entry(struct det_xbits *x)
{
    struct xb_entry *e = mem_cap_alloc(&x->cap, sizeof *e);
    if (e)
        return e;
    e = x->oldest;
    if (!e)
        return NULL;
    if (e->expire_ns > x->now_ns)
        x->evicted++; /* still live: a real eviction */
    xb_detach(x, e);
    return e;
}

void det_xbit_set(struct det_xbits *x, uint32_t id, const uint8_t key[32], bool on,
                  uint64_t expire_ns)
{
    if (!x)
        return;
    uint32_t h = xb_hash(x, id, key);
    struct xb_entry *e = xb_find(x, id, key, h);
    if (!on) {
        if (e)
            xb_remove(x, e);
        return;
    }
    if (e) {
        e->expire_ns = expire_ns;
        age_unlink(x, e);
        age_push_newest(x, e);
        return;
    }
    e = xb_take_entry(x);
    if (!e)
        return; /* not even one entry fits the memcap (the refusal is counted) */
    memset(e, 0, sizeof *e);
    e->id = id;
    e->hash = h;
    e->expire_ns = expire_ns;
    memcpy(e->key, key, 32);
    struct xb_entry **b = &x->buckets[h & x->mask];
    e->hnext = *b;
    *b = e;
    age_push_newest(x, e);
    x->entries++;
}

void det_xbits_get_stats(const struct det_xbits *x, struct det_xbits_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!x)
        return;
    out->entries = x->entries;
    out->evicted = x->evicted;
    out->memcap_hits = x->cap.hits;
}
