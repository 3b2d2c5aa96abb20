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
 * xbits live in one hash table per worker (lru_table.c), keyed by (xbit id, 32-byte address
 * key), each entry with its expiry time. The table's memory (buckets and entries) is bounded
 * by its memcap; when full, the entry set longest ago is evicted (counted unless it had
 * expired). Expired entries are dropped when looked up and from the old end of the age list
 * as time moves on.
 * Not thread-safe: one det_xbits per worker, flow variables are touched by the flow's
 * worker only.
 */
#include "detect/detect_int.h"

#include "core/mem.h"
#include "core/mm.h"
#include "core/lru_table.h"

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

/* The table key: every byte written (no padding), as the table compares bytes. */
struct xb_key {
    uint32_t id;
    uint8_t addr[32];
};
_Static_assert(sizeof(struct xb_key) == 36, "xb_key must have no padding");

struct xb_entry {
    struct xb_key key;
    uint64_t expire_ns; /* set while now < expire_ns */
};

struct det_xbits {
    mm_lru_t *lru;  /* age list by time of the last set */
    uint64_t now_ns; /* latest time seen by det_xbit_isset */
};

/* An expired entry is taken over without counting an eviction. */
static bool xb_stale(const void *entry, uint64_t now_ns)
{
    const struct xb_entry *e = entry;
    return e->expire_ns <= now_ns;
}

struct det_xbits *det_xbits_new(size_t memcap_bytes)
{
    struct det_xbits *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    const struct mm_lru_cfg cfg = {
        .name = "xbits",
        .memcap_bytes = memcap_bytes,
        .entry_size = sizeof(struct xb_entry),
        .key_len = sizeof(struct xb_key),
        .stale = xb_stale,
    };
    x->lru = mm_lru_new(&cfg);
    if (!x->lru) {
        free(x);
        return NULL;
    }
    return x;
}

void det_xbits_free(struct det_xbits *x)
{
    if (!x)
        return;
    mm_lru_free(x->lru);
    free(x);
}

static struct xb_key xb_make_key(uint32_t id, const uint8_t addr[32])
{
    struct xb_key k;
    k.id = id;
    memcpy(k.addr, addr, sizeof k.addr);
    return k;
}

/* Drop one expired entry from the old end, so stale entries leave without a lookup. */
static void xb_expire_oldest(struct det_xbits *x)
{
    struct xb_entry *e = mm_lru_oldest(x->lru);
    if (e && e->expire_ns <= x->now_ns)
        mm_lru_remove(x->lru, e);
}

bool det_xbit_isset(struct det_xbits *x, uint32_t id, const uint8_t key[32], uint64_t now_ns)
{
    if (!x)
        return false;
    if (now_ns > x->now_ns)
        x->now_ns = now_ns;
    struct xb_key k = xb_make_key(id, key);
    struct xb_entry *e = mm_lru_lookup(x->lru, &k);
    bool set = e != NULL;
    if (e && e->expire_ns <= now_ns) {
        mm_lru_remove(x->lru, e);
        set = false;
    }
    xb_expire_oldest(x);
    return set;
}

void det_xbit_set(struct det_xbits *x, uint32_t id, const uint8_t key[32], bool on,
                  uint64_t expire_ns)
{
    if (!x)
        return;
    struct xb_key k = xb_make_key(id, key);
    struct xb_entry *e = mm_lru_lookup(x->lru, &k);
    if (!on) {
        if (e)
            mm_lru_remove(x->lru, e);
        return;
    }
    if (e) {
        mm_lru_touch(x->lru, e);
    } else {
        /* When the memcap is full the entry set longest ago is taken over. */
        e = mm_lru_insert(x->lru, &k, x->now_ns);
        if (!e)
            return; /* not even one entry fits the memcap (the refusal is counted) */
    }
    e->expire_ns = expire_ns;
}

void det_xbits_get_stats(const struct det_xbits *x, struct det_xbits_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!x)
        return;
    struct mm_lru_stats st;
    mm_lru_get_stats(x->lru, &st);
    out->entries = st.entries;
    out->evicted = st.evicted;
    out->memcap_hits = st.memcap_hits;
}
