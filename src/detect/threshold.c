/*
 * threshold and detection_filter (Suricata's thresholding keywords): whether a rule match
 * becomes an alert, from how often the rule matched recently for the tracked address.
 *
 * One entry per (gid, sid, keyword, track, tracked address): the start of its time window
 * and the matches counted in it. A match after the window (start + seconds, inclusive) has
 * passed starts a new window. Then, with count C:
 *   limit             alert for the first C matches of the window
 *   threshold         alert on every C-th match of the window (the count restarts after
 *                     each alert)
 *   both              alert once per window, on the C-th match
 *   detection_filter  alert on every match after the first C of the window
 * Tracking: by_src the alert's source, by_dst its destination, by_rule nothing (one entry
 * per rule), by_both the unordered address pair. A rule with both keywords passes its
 * detection_filter first, then its threshold (the threshold only counts matches the filter
 * let through).
 *
 * Memory (buckets and entries) is bounded by the memcap: when full, the least recently used
 * entry is taken over; that counts as an eviction unless its window had passed anyway. When
 * not even one entry fits, the match is suppressed (Suricata does not alert when it cannot
 * track either). Not thread-safe: one table per worker.
 */
#include "detect/detect_int.h"

#include "core/mem.h"
#include "core/mm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull
#define THR_MAX_BUCKETS (1u << 16)

enum thr_kind { THR_KIND_THRESHOLD = 0, THR_KIND_DETECTION_FILTER };

/* Compared with memcmp: every byte (padding included) is written by thr_make_key. */
struct thr_key {
    uint32_t gid, sid;
    uint8_t kind;  /* enum thr_kind */
    uint8_t track; /* enum det_track */
    uint8_t pad[2];
    uint8_t addr[32]; /* tracked address(es), 16-byte form; unused bytes zero */
};

struct thr_entry {
    struct thr_entry *hnext;         /* hash chain */
    struct thr_entry *older, *newer; /* age list, by last match */
    struct thr_key key;
    uint32_t hash;
    uint32_t count;     /* matches counted in the window (saturating) */
    uint64_t start_ns;  /* window start (packet time) */
    uint64_t window_ns; /* the keyword's seconds */
};

struct det_thresholds {
    struct mem_cap cap; /* buckets + entries */
    struct thr_entry **buckets;
    size_t buckets_bytes;
    uint32_t mask;
    uint64_t seed;
    struct thr_entry *oldest, *newest;
    uint64_t entries, evicted, suppressed;
};

/* A power of two of buckets using at most an eighth of the memcap (0 = unlimited). */
static uint32_t thr_bucket_count(size_t memcap)
{
    if (memcap == 0)
        return THR_MAX_BUCKETS;
    size_t want = memcap / 8 / sizeof(struct thr_entry *);
    uint32_t n = 1;
    while (n < THR_MAX_BUCKETS && (size_t)n * 2 <= want)
        n *= 2;
    return n;
}

struct det_thresholds *det_thresholds_new(size_t memcap_bytes)
{
    struct det_thresholds *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    mem_cap_init(&t->cap, "threshold", memcap_bytes);
    uint32_t nb = thr_bucket_count(memcap_bytes);
    t->buckets_bytes = (size_t)nb * sizeof(struct thr_entry *);
    t->buckets = mem_cap_calloc(&t->cap, t->buckets_bytes);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->mask = nb - 1;
    /* Bucket placement only (results do not depend on it): keeps crafted addresses from
     * piling into one chain. */
    t->seed = (uint64_t)(uintptr_t)t * 0x9e3779b97f4a7c15ull ^ 0xbb67ae8584caa73bull;
    return t;
}

void det_thresholds_free(struct det_thresholds *t)
{
    if (!t)
        return;
    struct thr_entry *e = t->oldest;
    while (e) {
        struct thr_entry *n = e->newer;
        mem_cap_free(&t->cap, e, sizeof *e);
        e = n;
    }
    mem_cap_free(&t->cap, t->buckets, t->buckets_bytes);
    free(t);
}

static uint32_t thr_hash(const struct det_thresholds *t, const struct thr_key *k)
{
    const uint8_t *p = (const uint8_t *)k;
    uint64_t h = t->seed;
    for (size_t off = 0; off + 4 <= sizeof *k; off += 4) {
        uint32_t w;
        memcpy(&w, p + off, 4);
        h ^= w;
        h *= 0xc4ceb9fe1a85ec53ull;
        h ^= h >> 29;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

static void thr_make_key(struct thr_key *k, const struct det_rule *r, enum thr_kind kind,
                         enum det_track track, const uint8_t *src, const uint8_t *dst)
{
    static const uint8_t zero[16];
    if (!src)
        src = zero;
    if (!dst)
        dst = zero;
    memset(k, 0, sizeof *k);
    k->gid = r->gid;
    k->sid = r->sid;
    k->kind = (uint8_t)kind;
    k->track = (uint8_t)track;
    switch (track) {
    case DET_TRACK_SRC: memcpy(k->addr, src, 16); break;
    case DET_TRACK_DST: memcpy(k->addr, dst, 16); break;
    case DET_TRACK_BOTH: {
        /* Suricata tracks by_both on its IP-pair table, where a pair has no order. */
        bool lt = memcmp(src, dst, 16) <= 0;
        memcpy(k->addr, lt ? src : dst, 16);
        memcpy(k->addr + 16, lt ? dst : src, 16);
        break;
    }
    case DET_TRACK_RULE: break;
    }
}

static struct thr_entry *thr_find(struct det_thresholds *t, const struct thr_key *k, uint32_t hash)
{
    for (struct thr_entry *e = t->buckets[hash & t->mask]; e; e = e->hnext)
        if (e->hash == hash && memcmp(&e->key, k, sizeof *k) == 0)
            return e;
    return NULL;
}

static void age_unlink(struct det_thresholds *t, struct thr_entry *e)
{
    if (e->older)
        e->older->newer = e->newer;
    else
        t->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        t->newest = e->older;
    e->older = e->newer = NULL;
}

static void age_push_newest(struct det_thresholds *t, struct thr_entry *e)
{
    e->older = t->newest;
    e->newer = NULL;
    if (t->newest)
        t->newest->newer = e;
    else
        t->oldest = e;
    t->newest = e;
}

static bool window_passed(const struct thr_entry *e, uint64_t now_ns)
{
    /* Time going backwards (reordered input) stays in the window. */
    return now_ns > e->start_ns && now_ns - e->start_ns > e->window_ns;
}

/* New memory, or the least recently used entry when the memcap is full (detached). */
static struct thr_entry *thr_take_entry(struct det_thresholds *t, uint64_t now_ns)
{
    struct thr_entry *e = mem_cap_alloc(&t->cap, sizeof *e);
    if (e) {
        t->entries++;
        return e;
    }
    e = t->oldest;
    if (!e)
        return NULL;
    if (!window_passed(e, now_ns))
        t->evicted++;
    struct thr_entry **pp = &t->buckets[e->hash & t->mask];
    while (*pp && *pp != e)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = e->hnext;
    age_unlink(t, e);
    return e;
}

/* The entry of key k, created or with a new window as needed; NULL when nothing fits. */
static struct thr_entry *thr_entry_for(struct det_thresholds *t, const struct thr_key *k,
                                       uint64_t window_ns, uint64_t now_ns)
{
    uint32_t h = thr_hash(t, k);
    struct thr_entry *e = thr_find(t, k, h);
    if (e) {
        age_unlink(t, e);
        age_push_newest(t, e);
        e->window_ns = window_ns;
        if (window_passed(e, now_ns)) {
            e->start_ns = now_ns;
            e->count = 0;
        }
        return e;
    }
    e = thr_take_entry(t, now_ns);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->key = *k;
    e->hash = h;
    e->start_ns = now_ns;
    e->window_ns = window_ns;
    struct thr_entry **b = &t->buckets[h & t->mask];
    e->hnext = *b;
    *b = e;
    age_push_newest(t, e);
    return e;
}

/* One keyword's verdict for this match. */
static bool thr_step(struct det_thresholds *t, const struct det_rule *r,
                     const struct det_threshold *td, enum thr_kind kind, const uint8_t *src,
                     const uint8_t *dst, uint64_t now_ns)
{
    struct thr_key k;
    thr_make_key(&k, r, kind, td->track, src, dst);
    struct thr_entry *e = thr_entry_for(t, &k, (uint64_t)td->seconds * NS_PER_S, now_ns);
    if (!e)
        return false;
    if (e->count < UINT32_MAX)
        e->count++;
    enum det_thr_type type =
        kind == THR_KIND_DETECTION_FILTER ? DET_THR_DETECTION_FILTER : td->type;
    switch (type) {
    case DET_THR_LIMIT: return e->count <= td->count;
    case DET_THR_THRESHOLD:
        if (e->count < td->count)
            return false;
        e->count = 0;
        return true;
    case DET_THR_BOTH: return e->count == td->count;
    case DET_THR_DETECTION_FILTER: return e->count > td->count;
    }
    return false;
}

bool det_threshold_pass(struct det_thresholds *t, const struct det_rule *r, const uint8_t src[16],
                        const uint8_t dst[16], uint64_t ts_ns)
{
    if (!r->has_threshold && !r->has_detection_filter)
        return true;
    if (!t)
        return true; /* no thresholding state configured: alert as without the keywords */
    if (r->has_detection_filter &&
        !thr_step(t, r, &r->detection_filter, THR_KIND_DETECTION_FILTER, src, dst, ts_ns)) {
        t->suppressed++;
        return false;
    }
    if (r->has_threshold && !thr_step(t, r, &r->threshold, THR_KIND_THRESHOLD, src, dst, ts_ns)) {
        t->suppressed++;
        return false;
    }
    return true;
}

void det_thresholds_get_stats(const struct det_thresholds *t, struct det_threshold_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!t)
        return;
    out->entries = t->entries;
    out->evicted = t->evicted;
    out->suppressed = t->suppressed;
}
