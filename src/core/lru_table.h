/*
 * A bounded hash table of fixed-size entries kept in age order, for per-worker detection
 * state keyed by address (xbits in flowvars.c, threshold / detection_filter in threshold.c).
 * Used by detection (xbits, thresholds), the detectors and enrichment.
 *
 * Each entry is entry_size bytes of the caller's state whose first key_len bytes are its key,
 * compared byte for byte (so the caller writes every key byte, padding included). The table's
 * memory, its buckets and its entries, is charged to its own memcap; the buckets take at most
 * a quarter of it (and a bitmap of them 1/64 of that more). When the memcap refuses a new
 * entry, the oldest entry in the age list is taken over; that counts as an eviction unless
 * the caller's `stale` callback says its state had run out anyway. Bucket placement uses a
 * per-table seed, so crafted keys cannot be aimed at one chain across tables; results never
 * depend on it.
 *
 * Entries are returned as pointers to the caller's bytes, aligned for any type; a pointer
 * stays valid until the entry is removed, taken over by an insert, or the table is freed.
 * Not thread-safe: one table per worker.
 */
#ifndef MM_CORE_LRU_TABLE_H
#define MM_CORE_LRU_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mm_lru mm_lru_t;

/* Largest entry_size accepted: the state kept per address is small. */
#define MM_LRU_MAX_ENTRY 4096u

struct mm_lru_cfg {
    const char *name;    /* memcap name, for stats and messages; static storage */
    size_t memcap_bytes; /* buckets + entries; 0 = unlimited */
    size_t entry_size;   /* bytes per entry, 1..MM_LRU_MAX_ENTRY */
    size_t key_len;      /* leading bytes of an entry that form its key, 1..entry_size */
    /*
     * Optional: true when the entry's state had run out by now_ns, so taking it over for a
     * new key is not counted as an eviction. NULL: every take-over counts.
     */
    bool (*stale)(const void *entry, uint64_t now_ns);
    /*
     * Optional: bucket hash of a key_len-byte key with the table's seed. NULL: the table's
     * own hash over the key bytes. Any function is correct (tests pass a constant to put
     * every key into one chain); a poor one only makes chains longer.
     */
    uint32_t (*hash)(const void *key, size_t key_len, uint64_t seed);
};

struct mm_lru_stats {
    uint64_t entries;     /* entries in the table now */
    uint64_t evicted;     /* live entries taken over because the memcap was reached */
    uint64_t memcap_hits; /* charges the memcap refused (buckets or entries) */
    size_t memuse, memcap; /* bytes charged now (buckets + entries); the memcap (0 = none) */
};

/*
 * A new, empty table; the bucket array is charged to the memcap at once. NULL when cfg is
 * invalid (sizes out of range), when the memcap cannot hold the bucket array, or when out of
 * memory. cfg is copied.
 */
mm_lru_t *mm_lru_new(const struct mm_lru_cfg *cfg);

/* Frees every entry and the table. NULL is a no-op. */
void mm_lru_free(mm_lru_t *t);

/* The entry whose key equals key (key_len bytes), or NULL. Does not change its age. */
void *mm_lru_lookup(mm_lru_t *t, const void *key);

/*
 * A new entry for key, which must not be in the table (look it up first): zeroed, key copied
 * into its first key_len bytes, placed as the newest. When the memcap refuses the memory,
 * the oldest entry is taken over for it (counted as an eviction unless cfg.stale(oldest,
 * now_ns)). NULL when not even one entry fits (the refusal is counted in memcap_hits).
 */
void *mm_lru_insert(mm_lru_t *t, const void *key, uint64_t now_ns);

/* Makes entry (from this table) the newest, so it is the last to be taken over. */
void mm_lru_touch(mm_lru_t *t, void *entry);

/* Removes entry (from this table) and frees it; the pointer is invalid afterwards. */
void mm_lru_remove(mm_lru_t *t, void *entry);

/* The oldest entry (the next to be taken over), or NULL when the table is empty. */
void *mm_lru_oldest(mm_lru_t *t);

/* Entries in t now (0 for NULL): lets a caller skip building a key for an empty table. */
uint64_t mm_lru_count(const mm_lru_t *t);

/* Counters of t; all zero for NULL. */
void mm_lru_get_stats(const mm_lru_t *t, struct mm_lru_stats *out);

#endif
