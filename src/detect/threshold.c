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
 * The threshold file's `threshold`/`event_filter` and `rate_filter` lines (suppress.c) use
 * the same counting through det_threshold_step and det_rate_step, on a table of their own:
 *   rate_filter       its new action holds from the match that makes the window's count
 *                     exceed C, for `timeout` seconds; then counting starts over
 *
 * Memory (buckets and entries, in an lru_table.c table) is bounded by the memcap: when full,
 * the least recently used entry is taken over; that counts as an eviction unless its window
 * had passed anyway. When not even one entry fits, the match is suppressed (Suricata does not
 * alert when it cannot track either). Not thread-safe: one table per worker.
 */
#include "detect/detect_int.h"

#include "core/mm.h"
#include "core/lru_table.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000ull

enum thr_kind { THR_KIND_THRESHOLD = 0, THR_KIND_DETECTION_FILTER, THR_KIND_RATE };

/* Compared with memcmp: every byte (padding included) is written by thr_make_key. */
struct thr_key {
    uint32_t gid, sid;
    uint8_t kind;  /* enum thr_kind */
    uint8_t track; /* enum det_track */
    uint8_t pad[2];
    uint8_t addr[32]; /* tracked address(es), 16-byte form; unused bytes zero */
};
_Static_assert(sizeof(struct thr_key) == 44, "thr_key must have no implicit padding");

struct thr_entry {
    struct thr_key key; /* first: the table's key */
    uint32_t count;     /* matches counted in the window (saturating) */
    uint64_t start_ns;  /* window start (packet time) */
    uint64_t window_ns; /* the keyword's seconds */
    uint64_t active_ns; /* rate_filter: when its new action took hold; 0 = not in force */
};

struct det_thresholds {
    mm_lru_t *lru; /* age list by last match */
    uint64_t suppressed;
};

static bool window_passed(const struct thr_entry *e, uint64_t now_ns)
{
    /* Time going backwards (reordered input) stays in the window. */
    return now_ns > e->start_ns && now_ns - e->start_ns > e->window_ns;
}

/* An entry whose window has passed is taken over without counting an eviction (a rate
 * filter's entry also needs its new action over: its timeout is not known here, so an entry
 * in force never counts as stale). */
static bool thr_stale(const void *entry, uint64_t now_ns)
{
    const struct thr_entry *e = entry;
    return !e->active_ns && window_passed(e, now_ns);
}

struct det_thresholds *det_thresholds_new(size_t memcap_bytes)
{
    struct det_thresholds *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    const struct mm_lru_cfg cfg = {
        .name = "threshold",
        .memcap_bytes = memcap_bytes,
        .entry_size = sizeof(struct thr_entry),
        .key_len = sizeof(struct thr_key),
        .stale = thr_stale,
    };
    t->lru = mm_lru_new(&cfg);
    if (!t->lru) {
        free(t);
        return NULL;
    }
    return t;
}

void det_thresholds_free(struct det_thresholds *t)
{
    if (!t)
        return;
    mm_lru_free(t->lru);
    free(t);
}

static void thr_make_key(struct thr_key *k, uint32_t gid, uint32_t sid, enum thr_kind kind,
                         enum det_track track, const uint8_t *src, const uint8_t *dst)
{
    static const uint8_t zero[16];
    if (!src)
        src = zero;
    if (!dst)
        dst = zero;
    memset(k, 0, sizeof *k);
    k->gid = gid;
    k->sid = sid;
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

/* The entry of key k, created or with a new window as needed; NULL when nothing fits. */
static struct thr_entry *thr_entry_for(struct det_thresholds *t, const struct thr_key *k,
                                       uint64_t window_ns, uint64_t now_ns)
{
    struct thr_entry *e = mm_lru_lookup(t->lru, k);
    if (e) {
        mm_lru_touch(t->lru, e);
        e->window_ns = window_ns;
        if (window_passed(e, now_ns)) {
            e->start_ns = now_ns;
            e->count = 0;
        }
        return e;
    }
    /* When the memcap is full the least recently used entry is taken over. */
    e = mm_lru_insert(t->lru, k, now_ns);
    if (!e)
        return NULL;
    e->start_ns = now_ns;
    e->window_ns = window_ns;
    return e;
}

/* One keyword's verdict for this match. */
static bool thr_step(struct det_thresholds *t, uint32_t gid, uint32_t sid,
                     const struct det_threshold *td, enum thr_kind kind, const uint8_t *src,
                     const uint8_t *dst, uint64_t now_ns)
{
    struct thr_key k;
    thr_make_key(&k, gid, sid, kind, td->track, src, dst);
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
    if (r->has_detection_filter && !thr_step(t, r->gid, r->sid, &r->detection_filter,
                                             THR_KIND_DETECTION_FILTER, src, dst, ts_ns)) {
        t->suppressed++;
        return false;
    }
    if (r->has_threshold &&
        !thr_step(t, r->gid, r->sid, &r->threshold, THR_KIND_THRESHOLD, src, dst, ts_ns)) {
        t->suppressed++;
        return false;
    }
    return true;
}

bool det_threshold_step(struct det_thresholds *t, uint32_t gid, uint32_t sid,
                        const struct det_threshold *td, const uint8_t src[16],
                        const uint8_t dst[16], uint64_t ts_ns)
{
    enum thr_kind kind =
        td->type == DET_THR_DETECTION_FILTER ? THR_KIND_DETECTION_FILTER : THR_KIND_THRESHOLD;
    if (thr_step(t, gid, sid, td, kind, src, dst, ts_ns))
        return true;
    t->suppressed++;
    return false;
}

bool det_rate_step(struct det_thresholds *t, uint32_t gid, uint32_t sid,
                   const struct det_threshold *td, uint32_t timeout_s, const uint8_t src[16],
                   const uint8_t dst[16], uint64_t ts_ns)
{
    struct thr_key k;
    thr_make_key(&k, gid, sid, THR_KIND_RATE, td->track, src, dst);
    struct thr_entry *e = mm_lru_lookup(t->lru, &k);
    if (e) {
        mm_lru_touch(t->lru, e);
        if (e->active_ns) {
            /* Time going backwards (reordered input) stays in force. */
            if (ts_ns <= e->active_ns || ts_ns - e->active_ns <= (uint64_t)timeout_s * NS_PER_S)
                return true;
            e->active_ns = 0; /* its timeout ran out: this match opens a new window */
            e->start_ns = ts_ns;
            e->count = 0;
        }
    } else {
        e = mm_lru_insert(t->lru, &k, ts_ns);
        if (!e)
            return false; /* nothing to count with: the rule keeps its own action */
        e->start_ns = ts_ns;
    }
    e->window_ns = (uint64_t)td->seconds * NS_PER_S;
    if (window_passed(e, ts_ns)) {
        e->start_ns = ts_ns;
        e->count = 0;
    }
    if (e->count < UINT32_MAX)
        e->count++;
    if (e->count <= td->count)
        return false;
    e->active_ns = ts_ns ? ts_ns : 1;
    return true;
}

void det_thresholds_get_stats(const struct det_thresholds *t, struct det_threshold_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!t)
        return;
    struct mm_lru_stats st;
    mm_lru_get_stats(t->lru, &st);
    out->entries = st.entries;
    out->evicted = st.evicted;
    out->suppressed = t->suppressed;
}
