/*
 * The bounded, age-ordered hash table behind xbits and thresholds; see lru_table.h.
 *
 * Each entry is one allocation: a node header (hash chain link, age list links, the key's
 * hash) followed by the caller's entry_size bytes. Buckets are a power of two, chains are
 * singly linked, the age list is doubly linked from oldest to newest, so lookup is one chain
 * walk and touch, take-over and removal cost one chain walk at most.
 */
#include "core/lru_table.h"

#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

/* Enough to spread any realistic per-worker table; more would only cost memory up front. */
#define LRU_MAX_BUCKETS (1u << 16)

struct lru_node {
    struct lru_node *hnext;         /* hash chain */
    struct lru_node *older, *newer; /* age list */
    uint32_t hash;
    _Alignas(max_align_t) unsigned char data[]; /* the caller's entry_size bytes */
};

struct mm_lru {
    struct mem_cap cap; /* buckets + entries */
    struct mm_lru_cfg cfg;
    size_t node_bytes; /* header + entry_size, as charged per entry */
    struct lru_node **buckets;
    size_t buckets_bytes;
    uint32_t mask; /* buckets - 1 (a power of two) */
    uint64_t seed;
    struct lru_node *oldest, *newest;
    uint64_t entries, evicted;
};

static struct lru_node *node_of(void *entry)
{
    return (struct lru_node *)(void *)((unsigned char *)entry - offsetof(struct lru_node, data));
}

/* A power of two of buckets using at most an eighth of the memcap (0 = unlimited). */
static uint32_t lru_bucket_count(size_t memcap)
{
    if (memcap == 0)
        return LRU_MAX_BUCKETS;
    size_t want = memcap / 8 / sizeof(struct lru_node *);
    uint32_t n = 1;
    while (n < LRU_MAX_BUCKETS && (size_t)n * 2 <= want)
        n *= 2;
    return n;
}

static uint64_t lru_mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

/* Seeded hash over the key bytes, eight at a time; the length goes into the last word. */
static uint32_t lru_default_hash(const void *key, size_t key_len, uint64_t seed)
{
    const unsigned char *p = key;
    uint64_t h = seed;
    size_t off = 0;
    for (; off + 8 <= key_len; off += 8) {
        uint64_t w;
        memcpy(&w, p + off, 8);
        h = lru_mix(h, w);
    }
    uint64_t tail = 0;
    memcpy(&tail, p + off, key_len - off);
    h = lru_mix(h, tail ^ ((uint64_t)key_len << 56));
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

static bool cfg_valid(const struct mm_lru_cfg *cfg)
{
    return cfg && cfg->entry_size > 0 && cfg->entry_size <= MM_LRU_MAX_ENTRY && cfg->key_len > 0 &&
           cfg->key_len <= cfg->entry_size;
}

mm_lru_t *mm_lru_new(const struct mm_lru_cfg *cfg)
{
    if (!cfg_valid(cfg))
        return NULL;
    mm_lru_t *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cfg = *cfg;
    if (!t->cfg.hash)
        t->cfg.hash = lru_default_hash;
    t->node_bytes = offsetof(struct lru_node, data) + cfg->entry_size;
    mem_cap_init(&t->cap, cfg->name ? cfg->name : "lru", cfg->memcap_bytes);
    uint32_t nb = lru_bucket_count(cfg->memcap_bytes);
    t->buckets_bytes = (size_t)nb * sizeof(struct lru_node *);
    t->buckets = mem_cap_calloc(&t->cap, t->buckets_bytes);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->mask = nb - 1;
    /* Bucket placement only: a per-table seed keeps crafted keys from piling into one
     * chain; results do not depend on it. */
    t->seed = (uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ull ^ 0x6a09e667f3bcc909ull;
    return t;
}

void mm_lru_free(mm_lru_t *t)
{
    if (!t)
        return;
    struct lru_node *n = t->oldest;
    while (n) {
        struct lru_node *next = n->newer;
        mem_cap_free(&t->cap, n, t->node_bytes);
        n = next;
    }
    mem_cap_free(&t->cap, t->buckets, t->buckets_bytes);
    free(t);
}

static struct lru_node *lru_find(mm_lru_t *t, const void *key, uint32_t hash)
{
    for (struct lru_node *n = t->buckets[hash & t->mask]; n; n = n->hnext)
        if (n->hash == hash && memcmp(n->data, key, t->cfg.key_len) == 0)
            return n;
    return NULL;
}

void *mm_lru_lookup(mm_lru_t *t, const void *key)
{
    struct lru_node *n = lru_find(t, key, t->cfg.hash(key, t->cfg.key_len, t->seed));
    return n ? n->data : NULL;
}

static void age_unlink(mm_lru_t *t, struct lru_node *n)
{
    if (n->older)
        n->older->newer = n->newer;
    else
        t->oldest = n->newer;
    if (n->newer)
        n->newer->older = n->older;
    else
        t->newest = n->older;
    n->older = n->newer = NULL;
}

static void age_push_newest(mm_lru_t *t, struct lru_node *n)
{
    n->older = t->newest;
    n->newer = NULL;
    if (t->newest)
        t->newest->newer = n;
    else
        t->oldest = n;
    t->newest = n;
}

/* Takes n out of its chain and the age list; the memory stays with the caller. */
static void lru_detach(mm_lru_t *t, struct lru_node *n)
{
    struct lru_node **pp = &t->buckets[n->hash & t->mask];
    while (*pp && *pp != n)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = n->hnext;
    n->hnext = NULL;
    age_unlink(t, n);
    t->entries--;
}

/* New memory, or the oldest entry (detached) when the memcap refuses; NULL when neither. */
static struct lru_node *lru_take_node(mm_lru_t *t, uint64_t now_ns)
{
    struct lru_node *n = mem_cap_alloc(&t->cap, t->node_bytes);
    if (n)
        return n;
    n = t->oldest;
    if (!n)
        return NULL;
    if (!t->cfg.stale || !t->cfg.stale(n->data, now_ns))
        t->evicted++; /* its state was still live: a real eviction */
    lru_detach(t, n);
    return n;
}

void *mm_lru_insert(mm_lru_t *t, const void *key, uint64_t now_ns)
{
    uint32_t h = t->cfg.hash(key, t->cfg.key_len, t->seed);
    struct lru_node *n = lru_take_node(t, now_ns);
    if (!n)
        return NULL;
    memset(n, 0, t->node_bytes);
    memcpy(n->data, key, t->cfg.key_len);
    n->hash = h;
    struct lru_node **b = &t->buckets[h & t->mask];
    n->hnext = *b;
    *b = n;
    age_push_newest(t, n);
    t->entries++;
    return n->data;
}

void mm_lru_touch(mm_lru_t *t, void *entry)
{
    struct lru_node *n = node_of(entry);
    if (t->newest == n)
        return;
    age_unlink(t, n);
    age_push_newest(t, n);
}

void mm_lru_remove(mm_lru_t *t, void *entry)
{
    struct lru_node *n = node_of(entry);
    lru_detach(t, n);
    mem_cap_free(&t->cap, n, t->node_bytes);
}

void *mm_lru_oldest(mm_lru_t *t)
{
    return t->oldest ? t->oldest->data : NULL;
}

void mm_lru_get_stats(const mm_lru_t *t, struct mm_lru_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!t)
        return;
    out->entries = t->entries;
    out->evicted = t->evicted;
    out->memcap_hits = t->cap.hits;
    out->memuse = t->cap.used;
    out->memcap = t->cap.limit;
}
