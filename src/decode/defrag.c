/*
 * IPv4 and IPv6 fragment reassembly.
 *
 * A tracker holds the fragments of one datagram, keyed on (IP version, source, destination,
 * identification, protocol for IPv4, VLAN ids). Fragment bytes are copied (the capture buffer
 * is reused) into memory charged to the defrag memcap. Policy on overlaps: the first data
 * seen for a byte wins (what BSD-derived stacks do), and any overlap is an anomaly because
 * overlapping fragments are an IDS-evasion technique.
 *
 * Bounded three ways: the memcap (the oldest tracker is evicted to make room, then the
 * fragment is dropped), a cap on trackers, and a cap on fragments per datagram. Trackers
 * expire `timeout` seconds after their first fragment (packet time). All hits are counted.
 */
#include "decode_int.h"

#include <stdlib.h>
#include <sys/random.h>
#include <string.h>

#define DEFRAG_BUCKETS 4096u
#define DEFRAG_MAX_DGRAM 65535u

struct frag {
    struct frag *next; /* arrival order */
    uint32_t off, len;
    uint8_t data[];
};

struct tracker {
    struct tracker *hnext;           /* hash chain */
    struct tracker *older, *newer;   /* age list, oldest at defrag.oldest */
    struct mm_addr src, dst;
    uint32_t id;
    uint16_t vlan[PKT_MAX_VLANS];
    uint8_t ip_ver, proto;
    uint8_t first_proto; /* next header of the offset-0 fragment (IPv6) */
    bool have_first, have_last;
    uint32_t total;      /* datagram payload length, known once the last fragment arrived */
    uint32_t nfrags;
    uint64_t first_ns;
    struct frag *frags, *frags_tail;
    size_t mem;          /* bytes charged for this tracker and its fragments */
};

struct defrag {
    struct mem_cap cap;
    uint32_t seed; /* random per run: fragment ids and addresses are attacker-chosen */
    uint32_t timeout_s, max_frags, max_trackers, n_trackers;
    struct tracker *buckets[DEFRAG_BUCKETS];
    struct tracker *oldest, *newest;
    struct frag **sorted; /* max_frags slots for the coverage check, allocated once */
    uint8_t out[DEFRAG_MAX_DGRAM]; /* reassembled datagram handed to the decoder */
};

struct defrag *defrag_new(const struct dec_config *cfg)
{
    struct defrag *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    mem_cap_init(&d->cap, "defrag", cfg->defrag_memcap_bytes);
    /* Output never depends on bucket order (expiry and eviction follow the age list), so a
     * random seed costs no determinism. */
    if (getrandom(&d->seed, sizeof d->seed, 0) != sizeof d->seed)
        d->seed = 0x9e3779b9u;
    d->timeout_s = cfg->defrag_timeout_s;
    d->max_frags = cfg->defrag_max_frags ? cfg->defrag_max_frags : 256;
    d->max_trackers = cfg->defrag_max_trackers ? cfg->defrag_max_trackers : 65536;
    d->sorted = calloc(d->max_frags, sizeof *d->sorted);
    if (!d->sorted) {
        free(d);
        return NULL;
    }
    return d;
}

static uint32_t tracker_hash(const struct defrag *d, const struct tracker *k)
{
    uint32_t h = (k->id ^ d->seed) * 2654435761u;
    for (int i = 0; i < 16; i++)
        h = (h ^ k->src.b[i] ^ (uint32_t)k->dst.b[i] << 8) * 16777619u;
    h ^= k->proto;
    h ^= (uint32_t)k->vlan[0] << 4;
    return (h ^ (h >> 15)) % DEFRAG_BUCKETS;
}

static bool tracker_match(const struct tracker *a, const struct tracker *b)
{
    return a->id == b->id && a->ip_ver == b->ip_ver && a->proto == b->proto &&
           a->vlan[0] == b->vlan[0] && a->vlan[1] == b->vlan[1] &&
           memcmp(&a->src, &b->src, sizeof a->src) == 0 &&
           memcmp(&a->dst, &b->dst, sizeof a->dst) == 0;
}

static void tracker_free(struct defrag *d, struct tracker *t)
{
    /* unlink from hash chain */
    struct tracker **pp = &d->buckets[tracker_hash(d, t)];
    while (*pp && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = t->hnext;
    /* unlink from age list */
    if (t->older)
        t->older->newer = t->newer;
    else
        d->oldest = t->newer;
    if (t->newer)
        t->newer->older = t->older;
    else
        d->newest = t->older;
    for (struct frag *f = t->frags, *n; f; f = n) {
        n = f->next;
        free(f);
    }
    mem_cap_release(&d->cap, t->mem);
    free(t);
    d->n_trackers--;
}

void defrag_free(struct defrag *d)
{
    if (!d)
        return;
    while (d->oldest)
        tracker_free(d, d->oldest);
    free(d->sorted);
    free(d);
}

/* Charge n bytes, evicting the oldest trackers (not `keep`) to make room. */
static bool charge(dec_ctx_t *ctx, struct defrag *d, size_t n, const struct tracker *keep)
{
    while (!mem_cap_charge(&d->cap, n)) {
        struct tracker *victim = d->oldest;
        if (victim == keep)
            victim = victim ? victim->newer : NULL;
        if (!victim)
            return false;
        tracker_free(d, victim);
        ctx->stats.frag_dropped++;
    }
    return true;
}

static struct tracker *tracker_get(dec_ctx_t *ctx, struct defrag *d, const struct packet *p,
                                   const struct frag_info *fi)
{
    struct tracker key;
    memset(&key, 0, sizeof key);
    key.src = p->src;
    key.dst = p->dst;
    key.id = fi->id;
    key.ip_ver = fi->ip_ver;
    key.proto = fi->ip_ver == 4 ? fi->proto : 0;
    key.vlan[0] = p->vlan[0];
    key.vlan[1] = p->vlan[1];
    uint32_t h = tracker_hash(d, &key);
    for (struct tracker *t = d->buckets[h]; t; t = t->hnext)
        if (tracker_match(t, &key))
            return t;

    if (d->n_trackers >= d->max_trackers && d->oldest) {
        tracker_free(d, d->oldest);
        ctx->stats.frag_dropped++;
    }
    if (!charge(ctx, d, sizeof(struct tracker), NULL))
        return NULL;
    struct tracker *t = malloc(sizeof *t);
    if (!t) {
        mem_cap_release(&d->cap, sizeof(struct tracker));
        return NULL;
    }
    *t = key;
    t->mem = sizeof *t;
    t->first_ns = p->ts_ns;
    t->hnext = d->buckets[h];
    d->buckets[h] = t;
    t->older = d->newest;
    if (d->newest)
        d->newest->newer = t;
    else
        d->oldest = t;
    d->newest = t;
    d->n_trackers++;
    return t;
}

static int cmp_frag_off(const void *a, const void *b)
{
    const struct frag *fa = *(const struct frag *const *)a;
    const struct frag *fb = *(const struct frag *const *)b;
    return fa->off < fb->off ? -1 : fa->off > fb->off;
}

/* True when [0, total) is covered; the fragments are sorted by offset in `sorted`. */
static bool covered(struct tracker *t, struct frag **sorted)
{
    uint32_t n = 0;
    for (struct frag *f = t->frags; f; f = f->next)
        sorted[n++] = f;
    qsort(sorted, n, sizeof *sorted, cmp_frag_off);
    uint32_t reach = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (sorted[i]->off > reach)
            return false;
        if (sorted[i]->off + sorted[i]->len > reach)
            reach = sorted[i]->off + sorted[i]->len;
    }
    return reach >= t->total;
}

bool defrag_add(dec_ctx_t *ctx, struct packet *p, const struct frag_info *fi,
                const uint8_t **out, uint32_t *out_len)
{
    struct defrag *d = ctx->defrag;
    const bool v4 = fi->ip_ver == 4;
    /* An IPv4 datagram's 65535 bytes include its header ("ping of death" is one byte
     * over); IPv6 payload length excludes the fixed header. */
    if (fi->offset + fi->len + fi->hdr_len > DEFRAG_MAX_DGRAM) {
        dec_set_event(ctx, p, v4 ? DEC_EV_IPV4_FRAG_PKT_TOO_LARGE : DEC_EV_IPV6_FRAG_PKT_TOO_LARGE);
        ctx->stats.frag_dropped++;
        return false;
    }
    struct tracker *t = tracker_get(ctx, d, p, fi);
    if (!t) {
        dec_set_event(ctx, p, DEC_EV_DEFRAG_MEMCAP);
        ctx->stats.frag_dropped++;
        return false;
    }
    /* Fragments past a known end, or a second differing end, cannot be placed. */
    uint32_t end = fi->offset + fi->len;
    if ((t->have_last && (end > t->total || (!fi->more && end != t->total))) ||
        (fi->more && fi->len == 0)) {
        dec_set_event(ctx, p, v4 ? DEC_EV_IPV4_FRAG_IGNORED : DEC_EV_IPV6_FRAG_IGNORED);
        return false;
    }
    if (t->nfrags >= d->max_frags) {
        dec_set_event(ctx, p, DEC_EV_DEFRAG_MAX_FRAGS);
        ctx->stats.frag_dropped++;
        tracker_free(d, t);
        return false;
    }
    for (struct frag *f = t->frags; f; f = f->next) {
        if (fi->offset < f->off + f->len && f->off < end) {
            dec_set_event(ctx, p, v4 ? DEC_EV_IPV4_FRAG_OVERLAP : DEC_EV_IPV6_FRAG_OVERLAP);
            break;
        }
    }
    size_t need = sizeof(struct frag) + fi->len;
    if (!charge(ctx, d, need, t)) {
        dec_set_event(ctx, p, DEC_EV_DEFRAG_MEMCAP);
        ctx->stats.frag_dropped++;
        return false;
    }
    struct frag *f = malloc(need);
    if (!f) {
        mem_cap_release(&d->cap, need);
        ctx->stats.frag_dropped++;
        return false;
    }
    f->next = NULL;
    f->off = fi->offset;
    f->len = fi->len;
    memcpy(f->data, fi->data, fi->len);
    if (t->frags_tail)
        t->frags_tail->next = f;
    else
        t->frags = f;
    t->frags_tail = f;
    t->nfrags++;
    t->mem += need;
    if (fi->offset == 0 && !t->have_first) {
        /* First seen wins for the protocol too, as for the bytes: a later offset-0
         * fragment must not relabel data that came from the first one. */
        t->have_first = true;
        t->first_proto = fi->proto;
    }
    if (!fi->more) {
        t->have_last = true;
        t->total = end;
    }
    if (!t->have_first || !t->have_last)
        return false;

    struct frag **sorted = d->sorted; /* nfrags <= max_frags, checked above */
    bool done = covered(t, sorted);
    if (done) {
        /* Copy newest first so that, where fragments overlap, the first-seen bytes win. */
        uint32_t n = t->nfrags;
        struct frag **by_arrival = sorted; /* reuse: rebuild in arrival order */
        uint32_t i = 0;
        for (struct frag *g = t->frags; g; g = g->next)
            by_arrival[i++] = g;
        for (uint32_t k = n; k-- > 0;) {
            struct frag *g = by_arrival[k];
            uint32_t len = g->off >= t->total ? 0 : (uint32_t)MM_MIN(g->len, t->total - g->off);
            memcpy(d->out + g->off, g->data, len);
        }
        *out = d->out;
        *out_len = t->total;
        p->proto = t->first_proto;
        ctx->stats.frag_reassembled++;
        tracker_free(d, t);
    }
    return done;
}

void defrag_expire(dec_ctx_t *ctx, uint64_t now_ns)
{
    struct defrag *d = ctx->defrag;
    uint64_t timeout_ns = (uint64_t)d->timeout_s * 1000000000ull;
    while (d->oldest && mm_sat_add(d->oldest->first_ns, timeout_ns) < now_ns) {
        tracker_free(d, d->oldest);
        ctx->stats.frag_timeouts++;
    }
}

void defrag_mem(const struct defrag *d, size_t *used, size_t *limit, uint64_t *hits)
{
    *used = d->cap.used;
    *limit = d->cap.limit;
    *hits = d->cap.hits;
}
