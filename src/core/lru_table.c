/*
 * The bounded, age-ordered hash table behind xbits and thresholds; see lru_table.h.
 *
 * Each entry is a node: a header (hash chain link, age list links, the key's hash) followed
 * by the caller's entry_size bytes. Buckets are a power of two, chains are singly linked, the
 * age list is doubly linked from oldest to newest, so lookup is one chain walk and touch,
 * take-over and removal cost one chain walk at most. A bitmap of the buckets whose chain is
 * not empty is read before the bucket itself (lru_block_bytes), and each link of a chain
 * carries a tag of its node's hash (lru_link), so a key that is not there rarely costs a
 * read of the bucket and almost never one of another key's node.
 *
 * Nodes are cut from chunks the table allocates (growing from a few nodes to LRU_CHUNK_MAX
 * bytes) and removed nodes wait on a free list for the next insert: detectors insert and
 * remove an entry for many flows, and a malloc and free each time, with the heap's own
 * bookkeeping, cost more than the table work; freeing a table frees its chunks without
 * walking its entries. Large chunks are mapped, so a node used for the first time is already
 * zero and is not cleared again: of a large entry only the lines its owner writes are
 * touched. The memcap is charged per node as it is handed out and released as it is removed,
 * exactly as if each were its own allocation; the chunks' unused tail and the free list are
 * not charged (at most one chunk's worth beyond the peak of the entries).
 */
#include "core/lru_table.h"

#include "core/mem.h"
#include "core/mm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * Buckets per entry (a power of two): the array grows while the entries outnumber a quarter
 * of the buckets. Most lookups of the detectors are misses (a new client, a new address) in
 * tables whose entries are cold; with a bucket per entry over half of them would read a node
 * of another key first, at a cache miss each, where a quarter-full array finds most buckets
 * empty. Measured on the small-packet benchmark capture (1.28 M flows): about 4 % less CPU
 * time for the default configuration. The price is 8 bytes per bucket, charged to the memcap.
 */
#define LRU_BUCKETS_PER_ENTRY 4u
/* Enough to spread any realistic per-worker table; more would only cost memory up front. */
#define LRU_MAX_BUCKETS (1u << 18)
/* Buckets of a new table; the array doubles when the entries outnumber a quarter of the
 * buckets, up to the count lru_bucket_count allows. Most tables hold few entries most of the time,
 * and a lookup in a small array stays in cache, where one in an array sized for the memcap misses
 * (and each page of which is faulted in as lookups touch it). */
#define LRU_INIT_BUCKETS 64u
/* Node chunks: the first holds LRU_CHUNK_MIN_NODES, each next one twice as many, up to this
 * many bytes (or one node, if larger). */
#define LRU_CHUNK_MIN_NODES 8u
#define LRU_CHUNK_MAX (2u << 20)
/* Once a table's chunks pass LRU_HUGE_AFTER bytes, the next ones are LRU_HUGE blocks, aligned
 * and advised for transparent huge pages (madvise), and so are bucket arrays of that size or
 * more: one page fault for 2 MiB instead of 512, and one TLB entry for all of it. A large
 * table's entries are written for the first time at the rate flows arrive, and its lookups
 * land anywhere in it; on a virtual machine a 4 KiB fault costs about 1.5 us and a TLB miss
 * a nested page walk, more than the table work. Small tables stay on small pages: a huge
 * page is resident as a whole. */
#define LRU_HUGE (2u << 20)
#define LRU_HUGE_AFTER (256u << 10)

/* AddressSanitizer keeps reporting use of a removed entry although its node stays in a
 * chunk: the entries of nodes on the free list are poisoned (not the node header, which
 * lru_grow reads for every node of a chunk). */
#if defined(__SANITIZE_ADDRESS__)
#define LRU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LRU_ASAN 1
#endif
#endif
#ifdef LRU_ASAN
#include <sanitizer/asan_interface.h>
#define LRU_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define LRU_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define LRU_POISON(p, n) ((void)(p), (void)(n))
#define LRU_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/*
 * A link in a hash chain (a bucket, or a node's hnext): the node's address in the low
 * LRU_ADDR_BITS bits, and above them 15 bits of the node's hash (LRU_TAG_MASK) and a flag
 * that the node has a successor in the chain (LRU_MORE). A lookup reads a node only when its
 * tag matches the key's, or to reach its successor: a key not in the table (most lookups of
 * the detectors) is turned away at the bucket even when another key lives there, without a
 * cache miss on that key's node. Node memory lies below 2^LRU_ADDR_BITS (user space on
 * Linux; lru_chunk_new makes sure); 0 is no node.
 */
typedef uint64_t lru_link;
#define LRU_ADDR_BITS 48
#define LRU_ADDR_MASK ((UINT64_C(1) << LRU_ADDR_BITS) - 1)
#define LRU_MORE (UINT64_C(1) << 63)
#define LRU_TAG_MASK (~LRU_ADDR_MASK & ~LRU_MORE)

struct lru_node {
    lru_link hnext;                 /* hash chain; the free list (address only) when removed */
    struct lru_node *older, *newer; /* age list */
    uint32_t hash;
    uint32_t live; /* 1 while the node holds an entry, 0 on the free list */
    _Alignas(max_align_t) unsigned char data[]; /* the caller's entry_size bytes */
};

/* A block of nodes; mem holds the nodes, node_stride bytes apart. */
struct lru_chunk {
    struct lru_chunk *next;
    size_t bytes; /* the whole block, header included */
    size_t nodes; /* nodes it holds */
    bool mapped;  /* from mmap (fresh zero pages), else from malloc */
    _Alignas(max_align_t) unsigned char mem[];
};

/* Chunks at least this large are mapped: their pages arrive zeroed from the kernel, so a node
 * handed out for the first time needs no clearing (see lru_new_node). */
#define LRU_CHUNK_MAP_MIN (64u << 10)

struct mm_lru {
    struct mem_cap cap; /* buckets + entries */
    struct mm_lru_cfg cfg;
    size_t node_bytes;  /* header + entry_size, as charged per entry */
    size_t node_stride; /* node_bytes rounded up to the nodes' alignment */
    struct lru_chunk *chunks;
    unsigned char *chunk_next; /* the next node never handed out, in the newest chunk */
    size_t chunk_left;         /* nodes left after chunk_next */
    size_t chunk_nodes;        /* nodes of the newest chunk (the next one doubles it) */
    bool chunk_mapped;         /* the newest chunk is mapped: its unused nodes are zero */
    struct lru_node *free_nodes; /* removed nodes, linked through hnext */
    lru_link *buckets;
    uint64_t *occupied;  /* a bit per bucket, set while its chain is not empty */
    size_t buckets_bytes; /* the bucket array and the bitmap behind it, as charged */
    uint32_t mask; /* buckets - 1 (a power of two) */
    uint32_t max_buckets; /* what the array may grow to */
    uint64_t seed;
    bool own_hash; /* cfg.hash is the built-in one: called inline */
    struct lru_node *oldest, *newest;
    uint64_t entries, evicted;
};

static struct lru_node *lru_ptr(lru_link l)
{
    return (struct lru_node *)(uintptr_t)(l & LRU_ADDR_MASK);
}

/* The tag bits of a hash: its top 15 bits (the bucket index uses the bottom ones, 18 at
 * most, so the largest arrays share one bit with the tag). */
static uint64_t lru_tag(uint32_t hash)
{
    return (uint64_t)(hash >> 17) << LRU_ADDR_BITS;
}

/* The link to n, as its predecessor (or bucket) holds it; n->hash and n->hnext set. */
static lru_link lru_link_to(const struct lru_node *n)
{
    return (lru_link)(uintptr_t)n | lru_tag(n->hash) | (n->hnext ? LRU_MORE : 0);
}

static struct lru_node *node_of(void *entry)
{
    return (struct lru_node *)(void *)((unsigned char *)entry - offsetof(struct lru_node, data));
}

/*
 * The largest bucket array of a table: a power of two of buckets using at most a quarter of
 * the memcap (0 = unlimited; their bitmap 1/64 of that more), and no more than
 * LRU_BUCKETS_PER_ENTRY per entry the memcap can hold.
 */
static uint32_t lru_bucket_count(size_t memcap, size_t node_bytes)
{
    if (memcap == 0)
        return LRU_MAX_BUCKETS;
    /* (the bitmap adds 1/64 to the array's bytes) */
    size_t want = memcap / 4 / sizeof(lru_link);
    size_t entries = memcap / node_bytes;
    uint32_t n = 1;
    while (n < LRU_MAX_BUCKETS && (size_t)n * 2 <= want && n < entries * LRU_BUCKETS_PER_ENTRY)
        n *= 2;
    return n;
}

static uint64_t lru_mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

/* Seeded hash over the key bytes, eight at a time; the length goes into the last word. Keys
 * shorter than 8 bytes are read byte by byte, longer ones end with the (overlapping) last
 * eight bytes: no variable-length copy on the path of every lookup. */
static inline uint32_t lru_hash_bytes(const void *key, size_t key_len, uint64_t seed)
{
    const unsigned char *p = key;
    uint64_t h = seed, w;
    size_t off = 0;
    for (; off + 8 <= key_len; off += 8) {
        memcpy(&w, p + off, 8);
        h = lru_mix(h, w);
    }
    uint64_t tail = 0;
    if (off < key_len) {
        if (key_len >= 8) {
            memcpy(&tail, p + key_len - 8, 8);
        } else {
            for (size_t i = 0; i < key_len; i++)
                tail |= (uint64_t)p[i] << (8 * i);
        }
    }
    h = lru_mix(h, tail ^ ((uint64_t)key_len << 56));
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

static uint32_t lru_default_hash(const void *key, size_t key_len, uint64_t seed)
{
    return lru_hash_bytes(key, key_len, seed);
}

/* Equality of two keys of len bytes, a word at a time (keys are a few dozen bytes: a libc
 * memcmp call costs more than the comparison). */
static inline bool lru_key_eq(const unsigned char *a, const unsigned char *b, size_t len)
{
    if (len < 8)
        return memcmp(a, b, len) == 0;
    uint64_t x, y, diff = 0;
    size_t off = 0;
    for (; off + 8 <= len; off += 8) {
        memcpy(&x, a + off, 8);
        memcpy(&y, b + off, 8);
        diff |= x ^ y;
    }
    if (off < len) {
        memcpy(&x, a + len - 8, 8);
        memcpy(&y, b + len - 8, 8);
        diff |= x ^ y;
    }
    return diff == 0;
}

/* Bytes rounded up to whole huge pages. */
static size_t lru_huge_round(size_t bytes)
{
    return (bytes + LRU_HUGE - 1) & ~(size_t)(LRU_HUGE - 1);
}

/* lru_huge_round(bytes) of zero memory aligned to LRU_HUGE (more mapped, the ends trimmed),
 * advised for huge pages; NULL when mapping fails. Unmap with lru_huge_round(bytes). */
static void *lru_map_huge(size_t bytes)
{
    size_t len = lru_huge_round(bytes), span = len + LRU_HUGE;
    unsigned char *m =
        mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)m + LRU_HUGE - 1) & ~(uintptr_t)(LRU_HUGE - 1);
    unsigned char *a = (unsigned char *)start;
    if (a > m)
        munmap(m, (size_t)(a - m));
    if (a + len < m + span)
        munmap(a + len, (size_t)(m + span - (a + len)));
#ifdef MADV_HUGEPAGE
    (void)madvise(a, len, MADV_HUGEPAGE); /* advice only: 4 KiB pages work as well */
#endif
    return a;
}

/*
 * Bytes of a bucket array of nb buckets with its occupancy bitmap behind it. Most lookups of
 * the detectors are for keys not in the table (a new client), in arrays far larger than the
 * cache: the bitmap, 1/64 of the array and read first, turns most of them away without the
 * cache miss on their bucket, and tells an insert that its bucket is empty without reading
 * it either.
 */
static size_t lru_block_bytes(uint32_t nb)
{
    return (size_t)nb * sizeof(lru_link) + ((size_t)nb + 63) / 64 * sizeof(uint64_t);
}

static uint64_t *lru_bitmap_of(lru_link *buckets, uint32_t nb)
{
    return (uint64_t *)(void *)(buckets + nb);
}

static bool lru_occupied(const mm_lru_t *t, uint32_t i)
{
    return (t->occupied[i >> 6] >> (i & 63)) & 1;
}

/* A bucket array with its bitmap: zeroed, charged to the memcap; huge pages from
 * LRU_HUGE_AFTER bytes. */
static lru_link *lru_buckets_alloc(mm_lru_t *t, size_t bytes)
{
    if (bytes < LRU_HUGE_AFTER)
        return mem_cap_calloc(&t->cap, bytes);
    if (!mem_cap_charge(&t->cap, bytes))
        return NULL;
    void *b = lru_map_huge(bytes);
    if (!b)
        mem_cap_release(&t->cap, bytes);
    return b;
}

static void lru_buckets_free(mm_lru_t *t, lru_link *b, size_t bytes)
{
    if (bytes < LRU_HUGE_AFTER) {
        mem_cap_free(&t->cap, b, bytes);
        return;
    }
    munmap(b, lru_huge_round(bytes));
    mem_cap_release(&t->cap, bytes);
}

static void lru_chunk_free(struct lru_chunk *c)
{
    LRU_UNPOISON(c, c->bytes); /* free-listed nodes in it were poisoned */
    if (c->mapped)
        munmap(c, c->bytes);
    else
        free(c);
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
    if (!t->cfg.hash) {
        t->cfg.hash = lru_default_hash;
        t->own_hash = true;
    }
    t->node_bytes = offsetof(struct lru_node, data) + cfg->entry_size;
    t->node_stride = (t->node_bytes + _Alignof(max_align_t) - 1) &
                     ~(size_t)(_Alignof(max_align_t) - 1);
    mem_cap_init(&t->cap, cfg->name ? cfg->name : "lru", cfg->memcap_bytes);
    t->max_buckets = lru_bucket_count(cfg->memcap_bytes, t->node_bytes);
    uint32_t nb = t->max_buckets < LRU_INIT_BUCKETS ? t->max_buckets : LRU_INIT_BUCKETS;
    t->buckets_bytes = lru_block_bytes(nb);
    t->buckets = lru_buckets_alloc(t, t->buckets_bytes);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->occupied = lru_bitmap_of(t->buckets, nb);
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
    for (struct lru_chunk *c = t->chunks, *next; c; c = next) {
        next = c->next;
        lru_chunk_free(c);
    }
    mem_cap_release(&t->cap, (size_t)t->entries * t->node_bytes);
    lru_buckets_free(t, t->buckets, t->buckets_bytes);
    free(t);
}

/* The table's hash of a key: the built-in one inline, a configured one through its pointer. */
static inline uint32_t lru_hash(const mm_lru_t *t, const void *key)
{
    if (MM_LIKELY(t->own_hash))
        return lru_hash_bytes(key, t->cfg.key_len, t->seed);
    return t->cfg.hash(key, t->cfg.key_len, t->seed);
}

static struct lru_node *lru_find(mm_lru_t *t, const void *key, uint32_t hash)
{
    uint32_t i = hash & t->mask;
    if (!lru_occupied(t, i))
        return NULL;
    uint64_t tag = lru_tag(hash);
    for (lru_link l = t->buckets[i]; l;) {
        struct lru_node *n = lru_ptr(l);
        if ((l & LRU_TAG_MASK) == tag) {
            if (n->hash == hash && lru_key_eq(n->data, key, t->cfg.key_len))
                return n;
        } else if (!(l & LRU_MORE)) {
            return NULL; /* the last node, and not the key's: not read */
        }
        l = n->hnext;
    }
    return NULL;
}

void *mm_lru_lookup(mm_lru_t *t, const void *key)
{
    if (t->entries == 0)
        return NULL; /* many tables are empty most of the time: no hashing for them */
    struct lru_node *n = lru_find(t, key, lru_hash(t, key));
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
    uint32_t i = n->hash & t->mask;
    lru_link *pp = &t->buckets[i], *prev = NULL; /* the links to n and to its predecessor */
    while (*pp && lru_ptr(*pp) != n) {
        prev = pp;
        pp = &lru_ptr(*pp)->hnext;
    }
    if (*pp) {
        *pp = n->hnext;
        if (!n->hnext && prev)
            *prev &= ~LRU_MORE; /* the predecessor is the chain's last node now */
    }
    if (!t->buckets[i])
        t->occupied[i >> 6] &= ~((uint64_t)1 << (i & 63));
    n->hnext = 0;
    age_unlink(t, n);
    t->entries--;
}

static struct lru_chunk *lru_chunk_alloc(size_t bytes)
{
    if (bytes > LRU_HUGE_AFTER && bytes <= LRU_HUGE) {
        struct lru_chunk *c = lru_map_huge(LRU_HUGE);
        if (c) {
            c->bytes = LRU_HUGE;
            c->mapped = true;
            return c;
        }
    }
    if (bytes >= LRU_CHUNK_MAP_MIN) {
        void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) {
            struct lru_chunk *c = m;
            c->bytes = bytes;
            c->mapped = true;
            return c;
        }
    }
    struct lru_chunk *c = malloc(bytes);
    if (c) {
        c->bytes = bytes;
        c->mapped = false;
    }
    return c;
}

/* A chunk of `bytes`: mapped when large (zero pages, touched only as nodes are used: the
 * kernel's zeroing on first touch is all the clearing a never-used node gets), else from
 * malloc. NULL when out of memory, or in the (on Linux impossible) case of memory beyond
 * what a link can address (LRU_ADDR_BITS): the table then takes over its oldest entry, as
 * when its memcap is reached. */
static struct lru_chunk *lru_chunk_new(size_t bytes)
{
    struct lru_chunk *c = lru_chunk_alloc(bytes);
    if (c && (uint64_t)(uintptr_t)c + c->bytes - 1 > LRU_ADDR_MASK) {
        lru_chunk_free(c);
        return NULL;
    }
    return c;
}

/* Memory for one more node (the memcap already charged): a removed node, the next of the
 * newest chunk, or a new chunk. *zeroed: a node of a mapped chunk never handed out before,
 * all zero already. NULL when out of memory. */
static struct lru_node *lru_new_node(mm_lru_t *t, bool *zeroed)
{
    struct lru_node *n = t->free_nodes;
    *zeroed = false;
    if (n) {
        LRU_UNPOISON(n->data, t->cfg.entry_size);
        t->free_nodes = lru_ptr(n->hnext);
        return n;
    }
    if (!t->chunk_left) {
        size_t want = t->chunk_nodes ? t->chunk_nodes * 2 : LRU_CHUNK_MIN_NODES;
        size_t most = (LRU_CHUNK_MAX - offsetof(struct lru_chunk, mem)) / t->node_stride;
        if (want * t->node_stride > LRU_HUGE_AFTER)
            want = most; /* past the small chunks: a whole huge page */
        if (want > most)
            want = most ? most : 1;
        if (t->cap.limit) {
            /* Never more nodes than the memcap still lets the table have. */
            size_t room = (t->cap.limit - t->cap.used) / t->node_bytes + 1;
            if (want > room)
                want = room;
        }
        struct lru_chunk *c =
            lru_chunk_new(offsetof(struct lru_chunk, mem) + want * t->node_stride);
        if (!c)
            return NULL;
        c->next = t->chunks;
        c->nodes = want;
        t->chunks = c;
        t->chunk_next = c->mem;
        t->chunk_left = want;
        t->chunk_nodes = want;
        t->chunk_mapped = c->mapped;
    }
    n = (struct lru_node *)(void *)t->chunk_next;
    t->chunk_next += t->node_stride;
    t->chunk_left--;
    *zeroed = t->chunk_mapped;
    return n;
}

/* A node back to the free list (its charge released by the caller). */
static void lru_put_node(mm_lru_t *t, struct lru_node *n)
{
    n->hnext = (lru_link)(uintptr_t)t->free_nodes;
    n->live = 0;
    t->free_nodes = n;
    LRU_POISON(n->data, t->cfg.entry_size);
}

/* New memory, or the oldest entry (detached) when the memcap refuses; NULL when neither.
 * *zeroed as for lru_new_node. */
static struct lru_node *lru_take_node(mm_lru_t *t, uint64_t now_ns, bool *zeroed)
{
    struct lru_node *n = NULL;
    *zeroed = false;
    if (mem_cap_charge(&t->cap, t->node_bytes)) {
        n = lru_new_node(t, zeroed);
        if (n)
            return n;
        mem_cap_release(&t->cap, t->node_bytes);
    }
    n = t->oldest;
    if (!n)
        return NULL;
    if (!t->cfg.stale || !t->cfg.stale(n->data, now_ns))
        t->evicted++; /* its state was still live: a real eviction */
    lru_detach(t, n);
    return n;
}

/*
 * Entries outnumber a quarter of the buckets: twice the array (up to max_buckets), when the
 * memcap has room for it beside the current one (checked first, so a table at its cap
 * neither counts a refusal nor retries a charge on every insert: its chains just get longer).
 */
static void lru_grow(mm_lru_t *t)
{
    uint32_t nb = t->mask + 1;
    uint32_t want = nb * 2 < t->max_buckets ? nb * 2 : t->max_buckets;
    size_t bytes = lru_block_bytes(want);
    if (t->cap.limit && (bytes > t->cap.limit || t->cap.used > t->cap.limit - bytes))
        return;
    lru_link *nbk = lru_buckets_alloc(t, bytes);
    if (!nbk)
        return;
    uint64_t *occ = lru_bitmap_of(nbk, want);
    uint32_t mask = want - 1;
    /* Every node, in memory order: the chunks are read front to back, which the hardware
     * prefetches, where following the age list is a cache miss per node (the nodes of a
     * growing table are cold: this walk was most of the cost of inserting). */
    for (struct lru_chunk *c = t->chunks; c; c = c->next) {
        size_t used = c == t->chunks ? c->nodes - t->chunk_left : c->nodes;
        unsigned char *m = c->mem;
        for (size_t i = 0; i < used; i++, m += t->node_stride) {
            struct lru_node *n = (struct lru_node *)(void *)m;
            if (!n->live)
                continue; /* on the free list */
            uint32_t bi = n->hash & mask;
            n->hnext = nbk[bi];
            nbk[bi] = lru_link_to(n);
            occ[bi >> 6] |= (uint64_t)1 << (bi & 63);
        }
    }
    lru_buckets_free(t, t->buckets, t->buckets_bytes);
    t->buckets = nbk;
    t->occupied = occ;
    t->buckets_bytes = bytes;
    t->mask = mask;
}

void *mm_lru_insert(mm_lru_t *t, const void *key, uint64_t now_ns)
{
    uint32_t h = lru_hash(t, key);
    bool zeroed;
    struct lru_node *n = lru_take_node(t, now_ns, &zeroed);
    if (!n)
        return NULL;
    if (!zeroed)
        memset(n, 0, t->node_bytes);
    memcpy(n->data, key, t->cfg.key_len);
    n->hash = h;
    n->live = 1;
    uint32_t i = h & t->mask;
    /* An empty bucket (the common case, a quarter full at most) is not read: writing it
     * does not wait for its line as a read would. */
    n->hnext = lru_occupied(t, i) ? t->buckets[i] : 0;
    t->buckets[i] = lru_link_to(n);
    t->occupied[i >> 6] |= (uint64_t)1 << (i & 63);
    age_push_newest(t, n);
    t->entries++;
    if (MM_UNLIKELY(t->entries * LRU_BUCKETS_PER_ENTRY > (uint64_t)t->mask + 1) &&
        t->mask + 1 < t->max_buckets)
        lru_grow(t);
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
    mem_cap_release(&t->cap, t->node_bytes);
    lru_put_node(t, n);
}

void *mm_lru_oldest(mm_lru_t *t)
{
    return t->oldest ? t->oldest->data : NULL;
}

uint64_t mm_lru_count(const mm_lru_t *t)
{
    return t ? t->entries : 0;
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
