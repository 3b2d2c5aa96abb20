/*
 * T4 passive service latency (dt_latency_ops): how long a server takes to answer, measured
 * from the packets alone, per (server, port), against that service's own recent normal.
 * docs/detectors/latency.md has the settings, the reasons for their defaults and the evidence.
 *
 * Three measurements ("kinds"), all at the sensor:
 *   handshake   first SYN -> the server's first SYN-ACK (the flow's first packet to the
 *               server's first answer). What the server controls; a dropped first SYN (a full
 *               backlog) shows as the client's retransmission delay, 1 s and more. Taken
 *               without per-flow state, for every connection the server answers.
 *   greeting    the client's handshake ACK -> the server's first payload, for protocols where
 *               the server speaks first (SMTP, POP3, IMAP, FTP, SSH: greeting-ports, or learned
 *               from the app layer's records on other ports). Skipped when the client spoke
 *               first (except SSH, where both sides send a banner at once).
 *   first_byte  HTTP: the last request segment -> the first response segment (one starting
 *               with "HTTP/"): server think time, not upload time; on http-ports or flows the
 *               HTTP parser recognised. Only segments that can start or end a measurement
 *               go past the first tests, so a download costs nothing per segment.
 * greeting and first_byte need per-connection state: it lives in the flow (struct
 * dtr_flow_area, bounded by the flow memcap), set when a client completes its handshake, so
 * spoofed SYNs never set it, and it needs no lookup and no removal.
 *
 * Baseline, per service and kind: the median of the last 32 samples admitted to it. A sample
 * is slow when the baseline has min-samples and the sample exceeds both factor x baseline and
 * floor. Slow samples are kept out of the baseline, but one in four is admitted, so a lasting
 * change becomes the new normal after about 64 slow samples instead of never.
 * An alert needs <kind>-min-slow slow samples within slow-window; then updates at most every
 * update-interval; an episode quiet for end-after starts over.
 *
 * Each alert counts the connection attempts (SYNs) to the service and lists the top sources,
 * networks and ports of the attempts to any port of the same server, over the last one to
 * two top-windows (Space-Saving, dt_flood.h): a flood behind the slowness is named even when
 * it hits another service of the machine.
 * Services live in a fixed pool (memcap) with an open-addressing index, so
 * the metrics callback can walk them; when full, the least recently active of eight drawn
 * at random is replaced.
 *
 * Not measured: services behind TLS beyond the handshake (encrypted replies), UDP services,
 * pipelined HTTP requests (a later request's bytes shorten the sample of an earlier one).
 */
#include "detect/dt_flood.h"

#include "core/mem.h"
#include "core/mm.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAT_RING 32         /* samples per kind kept for the baseline and for p95 */
#define LAT_SLOW_MAX 8      /* slow-sample times kept: the largest min-slow accepted */
#define LAT_SLOW_ADMIT 4    /* one slow sample in this many enters the baseline */
#define LAT_EVICT_SAMPLES 8 /* slots compared when a full service pool takes a new one */
#define LAT_POOL_SMALL (256u << 10) /* pool bytes on 4 KiB pages; the rest on 2 MiB pages */

struct lat_cfg {
    size_t memcap;
    double factor;
    uint64_t floor_ns;
    uint32_t min_samples;
    uint32_t min_slow[3];
    uint64_t slow_window_ns;
    uint64_t top_window_ns;
    uint64_t end_after_ns;
    bool internal_only;
    const char *greeting_ports;
    const char *http_ports;
    uint32_t top;
};

enum { LK_HANDSHAKE = 0, LK_GREETING, LK_FIRST_BYTE, LK_N };
static const char *const lk_names[LK_N] = {"handshake", "greeting", "first_byte"};

static const struct dtr_param lat_params[] = {
    {"memcap", DTR_P_SIZE, offsetof(struct lat_cfg, memcap), "4mb", 65536, 4294967296.0,
     "memory for services and servers (about 1,250 at 3.3 KiB each); the timing state of open "
     "connections lives in their flows (24 bytes each, under the flow memcap)"},
    {"factor", DTR_P_DOUBLE, offsetof(struct lat_cfg, factor), "5", 1.5, 1000,
     "a sample is slow above factor x baseline: normal spread of a service stays within 2-3x "
     "its median, an overloaded server is 10-100x slower"},
    {"floor", DTR_P_DURATION, offsetof(struct lat_cfg, floor_ns), "200ms", 0, 3600,
     "and above this absolute time: a few ms of jitter on a 1 ms baseline is not slowness a "
     "person notices; 200 ms is"},
    {"min-samples", DTR_P_U32, offsetof(struct lat_cfg, min_samples), "4", 1, 32,
     "baseline samples needed before anything is called slow; a small mail server sees only a "
     "few SMTP connections an hour, and the floor guards a young baseline"},
    {"handshake-min-slow", DTR_P_U32, offsetof(struct lat_cfg, min_slow[LK_HANDSHAKE]), "3", 1,
     LAT_SLOW_MAX,
     "slow handshakes within slow-window for an alert: one SYN lost on the way costs a 1 s "
     "retransmission without the server being slow"},
    {"greeting-min-slow", DTR_P_U32, offsetof(struct lat_cfg, min_slow[LK_GREETING]), "1", 1,
     LAT_SLOW_MAX,
     "slow greetings within slow-window for an alert: a greeting costs the server the same "
     "every time, so one slow greeting is already a symptom"},
    {"first-byte-min-slow", DTR_P_U32, offsetof(struct lat_cfg, min_slow[LK_FIRST_BYTE]), "3", 1,
     LAT_SLOW_MAX,
     "slow HTTP responses within slow-window for an alert: one slow page may just be an "
     "expensive page"},
    {"slow-window", DTR_P_DURATION, offsetof(struct lat_cfg, slow_window_ns), "60s", 1, 86400,
     "span in which the slow samples of an alert must fall"},
    {"top-window", DTR_P_DURATION, offsetof(struct lat_cfg, top_window_ns), "60s", 1, 86400,
     "top sources cover the current and the previous top-window (60-120 s before the alert)"},
    {"end-after", DTR_P_DURATION, offsetof(struct lat_cfg, end_after_ns), "10m", 1, 604800,
     "a service without slow samples for this long is back to normal; the next slow episode "
     "is a new alert"},
    {"internal-only", DTR_P_BOOL, offsetof(struct lat_cfg, internal_only), "yes", 0, 0,
     "measure only servers inside HOME_NET (the services the organisation runs); outside web "
     "sites would fill the table and alert on the Internet's slowness"},
    {"greeting-ports", DTR_P_STRING, offsetof(struct lat_cfg, greeting_ports),
     "21,22,25,110,143,587", 0, 0,
     "ports where the server speaks first: FTP, SSH, SMTP, POP3, IMAP, submission"},
    {"http-ports", DTR_P_STRING, offsetof(struct lat_cfg, http_ports), "80,8000,8008,8080,8888", 0,
     0, "cleartext HTTP ports measured for request -> first response byte"},
    {"top", DTR_P_U32, offsetof(struct lat_cfg, top), "10", 1, 16,
     "top sources listed in the evidence"},
};

static const struct dtr_sig lat_sigs[] = {
    {"handshake", "MAMORI T4 slow service: TCP handshake latency above baseline", "successful-dos",
     2},
    {"greeting", "MAMORI T4 slow service: server greeting latency above baseline", "successful-dos",
     2},
    {"first-byte", "MAMORI T4 slow service: HTTP response latency above baseline", "successful-dos",
     2},
};

/* An entry of the baseline: the sample's microseconds above LAT_AGE_BITS bits that hold its
 * place in the ring of admissions (which one leaves next). Kept in value order, one array
 * serves as both the ring and its sorted copy: a sample writes one cache line less. Samples
 * enter the baseline capped at LAT_BASE_MAX_US (134 s), far above any baseline that makes
 * sense; the sample itself (last, p95, the slow test) keeps its full value. */
#define LAT_AGE_BITS 5
#define LAT_AGE_MASK ((1u << LAT_AGE_BITS) - 1u)
#define LAT_BASE_MAX_US (UINT32_MAX >> LAT_AGE_BITS)
_Static_assert(LAT_RING == 1u << LAT_AGE_BITS, "a ring position fits LAT_AGE_BITS");

/* Ordered by use and line-aligned (64 bytes, 6 lines): a sample that is not slow touches the
 * counters, the baseline right behind them and one line of the sample ring, 3 or 4 lines;
 * the rest only a slow sample or a report. */
struct lat_kind {
    uint8_t n_recent, pos_recent, n_base, pos_base, n_slow, pos_slow;
    uint8_t slow_skip;    /* slow samples since one was last admitted */
    uint32_t baseline_us; /* median of base */
    uint32_t last_us;
    uint64_t samples;
    uint32_t base[LAT_RING];   /* samples admitted to the baseline, in value order: see above */
    uint32_t recent[LAT_RING]; /* every sample, microseconds */
    uint64_t slow_total;
    uint64_t slow_ts[LAT_SLOW_MAX];
    uint64_t last_slow_ns;
    struct dtr_report rep;
} __attribute__((aligned(64)));

enum { LAT_L_GREETING = 1u << 0, LAT_L_HTTP = 1u << 1 }; /* learned from records */

/* The attempts on a host in one top-window. */
struct lat_host_win {
    struct dtr_distinct srcs;
    struct dt_flood_topk top, nets, ports;
};

/*
 * A service (port != 0) or a server host (port 0: connection attempts to any of its ports, so
 * a flood on one port shows in the alert of another service of the same machine).
 */
struct lat_svc {
    uint8_t addr[16];
    uint16_t port;
    uint8_t ip_ver;
    uint8_t learned;
    uint32_t hash;
    uint64_t last_ns; /* last activity, for replacement */
    uint64_t epoch;   /* current top-window index (time / top-window) */
    uint32_t syn[2];  /* host: connection attempts to any port, [0] in this
                         top-window, [1] in the previous one */
    union {
        struct lat_kind k[LK_N]; /* a service: its measurements */
        struct { /* a host: who attempted connections, and to which ports */
            struct lat_host_win w[2]; /* top-window e in w[e & 1] (lat_win) */
        } h;
    } u;
};

enum { LF_GREET = 1u << 0, LF_HTTP = 1u << 1, LF_WAITING = 1u << 2 };

struct lat_state {
    struct lat_cfg cfg;
    struct lat_svc *svc; /* pool: slots [0, n) in use */
    struct mem_mapping svc_map;
    uint32_t cap, n;
    uint32_t *idx; /* open addressing, 2 x cap or more: lat_idx_entry (0 = empty) */
    uint32_t mask;
    uint64_t seed;
    uint64_t rng; /* xorshift state for eviction draws (fixed start: repeatable) */
    uint64_t svc_evicted;
    size_t pool_bytes, pool_budget;    /* what the pool holds; the memcap */
    struct dt_flood_ports greet, http; /* the configured ports */
    struct dt_flood_ports watch;       /* greet | http | learned ports: flows worth timing */
    struct dt_flood_ports httpw;       /* http | learned HTTP ports: requests looked up */
};

/*
 * The windows of a host alternate between its two halves: the current one is w[epoch & 1],
 * the previous one the other. A new window empties only the half it takes over (instead of
 * copying 1.5 KiB from one half to the other), and emptying a sketch is setting its counts of
 * items to zero: its arrays are read only below them.
 */
static struct lat_host_win *lat_win(struct lat_svc *v, uint64_t epoch)
{
    return &v->u.h.w[epoch & 1];
}

static void lat_win_clear(struct lat_host_win *w)
{
    dtr_distinct_clear(&w->srcs);
    dt_flood_topk_clear(&w->top);
    dt_flood_topk_clear(&w->nets);
    dt_flood_topk_clear(&w->ports);
}

/* --- service pool ------------------------------------------------------------------------ */

static uint32_t lat_hash(const struct lat_state *s, const uint8_t addr[16], uint16_t port,
                         uint8_t ip_ver)
{
    uint64_t h = s->seed ^ ((uint64_t)port << 8 | ip_ver);
    for (int i = 0; i < 16; i += 8) {
        uint64_t w;
        memcpy(&w, addr + i, 8);
        h ^= w;
        h *= 0x9e3779b97f4a7c15ull;
        h ^= h >> 31;
    }
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)h;
}

/*
 * An index entry: slot + 1 in the low 24 bits, the top 8 bits of the entry's hash above them.
 * A probe that meets another entry's slot is turned down by the tag nearly always, without
 * reading that entry: each is 3 KiB of its own, rarely in cache.
 */
#define LAT_IDX_SLOT_MASK 0xffffffu
#define LAT_IDX_TAG_MASK 0xff000000u

static uint32_t lat_idx_entry(uint32_t slot, uint32_t h)
{
    return (slot + 1) | (h & LAT_IDX_TAG_MASK);
}

static uint32_t lat_idx_slot(uint32_t e)
{
    return (e & LAT_IDX_SLOT_MASK) - 1;
}

static struct lat_svc *lat_svc_find(struct lat_state *s, const uint8_t addr[16], uint16_t port,
                                    uint8_t ip_ver, uint32_t h)
{
    for (uint32_t i = h & s->mask, e; (e = s->idx[i]) != 0; i = (i + 1) & s->mask) {
        if ((e ^ h) & LAT_IDX_TAG_MASK)
            continue;
        struct lat_svc *v = &s->svc[lat_idx_slot(e)];
        if (v->hash == h && v->port == port && v->ip_ver == ip_ver && !memcmp(v->addr, addr, 16))
            return v;
    }
    return NULL;
}

/* Take slot out of the index (linear probing with backward-shift deletion: no tombstones). */
static void lat_svc_unindex(struct lat_state *s, uint32_t slot)
{
    uint32_t i = s->svc[slot].hash & s->mask;
    while (lat_idx_slot(s->idx[i]) != slot) {
        if (!s->idx[i])
            return; /* not indexed: nothing to do */
        i = (i + 1) & s->mask;
    }
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & s->mask;
        if (!s->idx[j])
            break;
        uint32_t home = s->svc[lat_idx_slot(s->idx[j])].hash & s->mask;
        /* The entry at j may move back to i unless its home lies cyclically in (i, j]. */
        bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            s->idx[i] = s->idx[j];
            i = j;
        }
    }
    s->idx[i] = 0;
}

static struct lat_svc *lat_svc_get(struct lat_state *s, const uint8_t addr[16], uint16_t port,
                                   uint8_t ip_ver, uint64_t now_ns)
{
    uint32_t h = lat_hash(s, addr, port, ip_ver);
    struct lat_svc *v = lat_svc_find(s, addr, port, ip_ver, h);
    if (v)
        return v;
    uint32_t slot;
    bool fresh = s->n < s->cap; /* never used: still the mapping's zero pages */
    if (fresh) {
        slot = s->n++;
    } else {
        /* Full: replace the least recently active of a few slots drawn at random (an
         * approximated LRU, as Redis does): constant cost however large the pool, and the
         * newest entries are practically never drawn as the oldest of eight. */
        slot = UINT32_MAX;
        for (int i = 0; i < LAT_EVICT_SAMPLES; i++) {
            s->rng ^= s->rng << 13;
            s->rng ^= s->rng >> 7;
            s->rng ^= s->rng << 17;
            uint32_t c = (uint32_t)(s->rng % s->n);
            if (slot == UINT32_MAX || s->svc[c].last_ns < s->svc[slot].last_ns)
                slot = c;
        }
        lat_svc_unindex(s, slot);
        s->svc_evicted++;
    }
    v = &s->svc[slot];
    /* A reused slot is cleared; a service uses u.k, a host u.h (never the other), so only
     * that part, not the 3 KiB of the larger one for every new service. A fresh slot is zero
     * already: writing its 50 lines again would cost a cache miss each. */
    if (!fresh) {
        memset(v, 0, offsetof(struct lat_svc, u));
        if (port == 0) {
            lat_win_clear(&v->u.h.w[0]);
            lat_win_clear(&v->u.h.w[1]);
        } else {
            memset(&v->u.k, 0, sizeof v->u.k);
        }
    }
    memcpy(v->addr, addr, 16);
    v->port = port;
    v->ip_ver = ip_ver;
    v->hash = h;
    v->last_ns = now_ns;
    uint32_t i = h & s->mask;
    while (s->idx[i])
        i = (i + 1) & s->mask;
    s->idx[i] = lat_idx_entry(slot, h);
    return v;
}

/* --- statistics of one kind ------------------------------------------------------------- */

/* Admit a sample to the baseline. When the ring is full, the entry of the oldest admission
 * (ring position pos_base) leaves and its place is the hole the new entry moves into; the
 * entries between the two places shift by one, so an admission moves only the values
 * between the old sample's and the new one's (no sort, no second pass). */
static void lat_admit(struct lat_kind *k, uint32_t v)
{
    uint32_t e = (v < LAT_BASE_MAX_US ? v : LAT_BASE_MAX_US) << LAT_AGE_BITS | k->pos_base;
    size_t n = k->n_base, hole = n;
    if (n == LAT_RING) {
        hole = 0;
        while (hole + 1 < n && (k->base[hole] & LAT_AGE_MASK) != k->pos_base)
            hole++;
    } else {
        n++;
    }
    while (hole > 0 && k->base[hole - 1] > e) {
        k->base[hole] = k->base[hole - 1];
        hole--;
    }
    while (hole + 1 < n && k->base[hole + 1] < e) {
        k->base[hole] = k->base[hole + 1];
        hole++;
    }
    k->base[hole] = e;
    k->pos_base = (uint8_t)((k->pos_base + 1) % LAT_RING);
    k->n_base = (uint8_t)n;
    uint32_t lo = k->base[(n - 1) / 2] >> LAT_AGE_BITS, hi = k->base[n / 2] >> LAT_AGE_BITS;
    k->baseline_us = (uint32_t)(((uint64_t)lo + hi) / 2);
}

/* The 95th percentile of the recent samples: the r-th smallest, r = ceil(0.95 n), which is
 * the (n - r + 1)-th largest, one of the top two for a ring of 32. One pass keeping the
 * largest few instead of a sort: the stats record asks for every service and kind. */
static uint32_t lat_p95(const struct lat_kind *k)
{
    size_t n = k->n_recent;
    if (!n)
        return 0;
    size_t r = (size_t)ceil(0.95 * (double)n);
    size_t want = n - (r ? r : 1) + 1; /* from the top, 1-based */
    uint32_t top[LAT_RING];            /* the largest `want` so far, descending */
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t x = k->recent[i];
        if (nt == want && x <= top[nt - 1])
            continue;
        size_t j = nt < want ? nt++ : nt - 1;
        while (j > 0 && top[j - 1] < x) {
            top[j] = top[j - 1];
            j--;
        }
        top[j] = x;
    }
    return top[want - 1];
}

static void lat_push(uint32_t *ring, uint8_t *n, uint8_t *pos, uint32_t v)
{
    ring[*pos] = v;
    *pos = (uint8_t)((*pos + 1) % LAT_RING);
    if (*n < LAT_RING)
        (*n)++;
}

static double lat_ms(uint32_t us)
{
    return (double)us / 1000.0;
}

/* --- top sources ------------------------------------------------------------------------ */

static void lat_epoch(const struct lat_state *s, struct lat_svc *v, uint64_t now_ns)
{
    uint64_t e = now_ns / s->cfg.top_window_ns;
    if (e == v->epoch)
        return;
    bool next = e == v->epoch + 1; /* the current window becomes the previous one */
    v->syn[1] = next ? v->syn[0] : 0;
    v->syn[0] = 0;
    if (v->port == 0) {
        if (!next)
            lat_win_clear(lat_win(v, e + 1)); /* no previous window */
        lat_win_clear(lat_win(v, e));
    }
    v->epoch = e;
}

/* A connection attempt on a host entry: how many, from whom, to which port (a service's own
 * count is its port's in the host's port sketch). */
static void lat_attempt(const struct lat_state *s, struct lat_svc *v, const struct packet *p)
{
    lat_epoch(s, v, p->ts_ns);
    v->last_ns = p->ts_ns;
    if (v->syn[0] < UINT32_MAX)
        v->syn[0]++;
    struct lat_host_win *w = lat_win(v, v->epoch);
    dtr_distinct_add(&w->srcs, dtr_addr_key32(&p->src, p->ip_ver));
    dt_flood_topk_add_addr(&w->top, DT_FLOOD_TOPK, &p->src, p->ip_ver, 1);
    dt_flood_topk_add_net(&w->nets, DT_FLOOD_TOPK / 2, &p->src, p->ip_ver, 1);
    dt_flood_topk_add_port(&w->ports, DT_FLOOD_TOPK, p->dport, 1);
}

/* Union of two distinct counters (their exact values and sketch bits). */
static void lat_distinct_union(struct dtr_distinct *out, const struct dtr_distinct *a,
                               const struct dtr_distinct *b)
{
    *out = *a;
    bool overflow = a->n_exact >= DTR_DISTINCT_EXACT || b->n_exact >= DTR_DISTINCT_EXACT;
    for (uint16_t i = 0; i < b->n_exact; i++) {
        bool seen = false;
        for (uint16_t j = 0; j < out->n_exact && !seen; j++)
            seen = out->exact[j] == b->exact[i];
        if (seen)
            continue;
        if (out->n_exact < DTR_DISTINCT_EXACT)
            out->exact[out->n_exact++] = b->exact[i];
        else
            overflow = true;
    }
    if (overflow)
        out->n_exact = DTR_DISTINCT_EXACT; /* the count comes from the sketch */
    uint16_t set = 0;
    for (size_t w = 0; w < MM_ARRAY_LEN(out->sketch); w++) {
        out->sketch[w] |= b->sketch[w];
        set = (uint16_t)(set + __builtin_popcountll(out->sketch[w]));
    }
    out->sketch_set = set;
    out->total_adds =
        a->total_adds > UINT32_MAX - b->total_adds ? UINT32_MAX : a->total_adds + b->total_adds;
}

/* --- alerting --------------------------------------------------------------------------- */

/* The connection a sample was taken on. */
struct lat_obs {
    struct mm_addr client;
    uint16_t client_port;
    uint8_t ip_ver;
    uint64_t ts_ns;
};

static void lat_emit(struct lat_state *s, struct dtr *d, struct lat_svc *v, int kind,
                     uint32_t sample_us, uint32_t baseline_us, uint32_t limit_us, uint32_t n_slow,
                     const struct lat_obs *o, bool update)
{
    const struct lat_kind *k = &v->u.k[kind];
    const char *name = dt_flood_service_name(v->port);
    if (!name)
        name = (v->learned & LAT_L_HTTP) ? "http" : "tcp";

    struct jb *jb = dtr_alert_begin(d);
    jb_string(jb, "service", name);
    jb_string(jb, "kind", lk_names[kind]);
    jb_double(jb, "latency_ms", lat_ms(sample_us), 3);
    jb_double(jb, "baseline_ms", lat_ms(baseline_us), 3);
    if (baseline_us)
        jb_double(jb, "ratio", (double)sample_us / (double)baseline_us, 1);
    else
        jb_null(jb, "ratio");
    jb_double(jb, "limit_ms", lat_ms(limit_us), 3);
    jb_double(jb, "p95_ms", lat_ms(lat_p95(k)), 3);
    jb_uint(jb, "baseline_samples", k->n_base);
    jb_uint(jb, "samples", k->samples);
    jb_uint(jb, "slow_in_window", n_slow);
    dtr_ev_secs(jb, "slow_window_s", s->cfg.slow_window_ns);
    jb_uint(jb, "slow_total", k->slow_total);
    dtr_ev_ip(jb, "slow_client", &o->client, o->ip_ver);
    jb_uint(jb, "slow_client_port", o->client_port);
    dtr_ev_ts(jb, "measured_at", o->ts_ns);
    uint64_t from = (o->ts_ns / s->cfg.top_window_ns);
    from = (from ? from - 1 : 0) * s->cfg.top_window_ns;
    dtr_ev_ts(jb, "attempts_since", from);
    /* Who is behind it: the attempts on every port of the server (a flood on another service
     * of the same machine slows this one too). */
    struct dt_flood_topk_item top[2 * DT_FLOOD_TOPK], nets[2 * DT_FLOOD_TOPK],
        ports[2 * DT_FLOOD_TOPK];
    size_t ntop = 0;
    struct lat_svc *hv = lat_svc_find(s, v->addr, 0, v->ip_ver, lat_hash(s, v->addr, 0, v->ip_ver));
    if (hv) {
        lat_epoch(s, hv, o->ts_ns);
        struct dtr_distinct srcs;
        const struct lat_host_win *cur = lat_win(hv, hv->epoch), *prev = lat_win(hv, hv->epoch + 1);
        lat_distinct_union(&srcs, &cur->srcs, &prev->srcs);
        ntop = dt_flood_topk_sorted(&cur->top, &prev->top, top, s->cfg.top);
        size_t nn = dt_flood_topk_sorted(&cur->nets, &prev->nets, nets, 5);
        size_t np = dt_flood_topk_sorted(&cur->ports, &prev->ports, ports, 2 * DT_FLOOD_TOPK);
        uint64_t here = 0;
        for (size_t i = 0; i < np; i++)
            if (ports[i].key == v->port)
                here = ports[i].count;
        jb_uint(jb, "connection_attempts", here);
        jb_uint(jb, "server_connection_attempts", (uint64_t)hv->syn[0] + hv->syn[1]);
        jb_uint(jb, "sources_distinct", dtr_distinct_count(&srcs));
        jb_string(jb, "sources_count_quality", dt_flood_distinct_quality(&srcs));
        dt_flood_ev_top_addrs(jb, "top_sources", top, ntop, s->cfg.top, "attempts", dtr_enrich(d));
        dt_flood_ev_top_nets(jb, "top_networks", nets, nn, 5, "attempts", dtr_enrich(d));
        dt_flood_ev_top_ports(jb, "top_ports", ports, np, 5, "attempts");
    }

    struct dtr_alert_args a;
    memset(&a, 0, sizeof a);
    a.sig = (size_t)kind;
    a.ts_ns = o->ts_ns;
    memcpy(a.dst.b, v->addr, 16);
    if (ntop) {
        a.src = top[0].addr; /* the busiest source on the server: the likely cause */
    } else {
        a.src = o->client; /* nobody else: the client that waited */
        a.sport = o->client_port;
    }
    a.ip_ver = v->ip_ver;
    a.proto = 6;
    a.dport = v->port;
    a.update = update;
    dtr_alert_emit(d, &a);
}

static void lat_sample(struct lat_state *s, struct dtr *d, struct lat_svc *v, int kind,
                       uint64_t sample_ns, const struct lat_obs *o)
{
    struct lat_kind *k = &v->u.k[kind];
    uint64_t us64 = sample_ns / 1000;
    uint32_t us = us64 > UINT32_MAX ? UINT32_MAX : (uint32_t)us64;
    uint64_t now = o->ts_ns;
    v->last_ns = now;
    k->last_us = us;
    k->samples++;
    lat_push(k->recent, &k->n_recent, &k->pos_recent, us);
    uint32_t baseline = k->baseline_us;
    double lim = s->cfg.factor * (double)baseline;
    double floor_us = (double)s->cfg.floor_ns / 1000.0;
    if (lim < floor_us)
        lim = floor_us;
    uint32_t limit_us = lim > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)lim;
    bool slow = k->n_base >= s->cfg.min_samples && (double)us > lim;
    bool admit = !slow;
    if (slow && ++k->slow_skip >= LAT_SLOW_ADMIT) {
        k->slow_skip = 0;
        admit = true;
    }
    if (admit)
        lat_admit(k, us);
    if (!slow)
        return;
    if (k->last_slow_ns && now > k->last_slow_ns && now - k->last_slow_ns >= s->cfg.end_after_ns)
        memset(&k->rep, 0, sizeof k->rep); /* back to normal in between: a new episode */
    k->last_slow_ns = now;
    k->slow_total++;
    k->slow_ts[k->pos_slow] = now;
    k->pos_slow = (uint8_t)((k->pos_slow + 1) % LAT_SLOW_MAX);
    if (k->n_slow < LAT_SLOW_MAX)
        k->n_slow++;
    uint32_t n_slow = 0;
    for (size_t i = 0; i < k->n_slow; i++)
        if (k->slow_ts[i] <= now && now - k->slow_ts[i] <= s->cfg.slow_window_ns)
            n_slow++;
    if (n_slow < s->cfg.min_slow[kind])
        return;
    enum dtr_due due = dtr_report_due(d, &k->rep, now);
    if (due != DTR_DUE_NO)
        lat_emit(s, d, v, kind, us, baseline, limit_us, n_slow, o, due == DTR_DUE_UPDATE);
}

/* --- feeds ------------------------------------------------------------------------------ */

static bool lat_server_ok(const struct lat_state *s, struct dtr *d, const struct mm_addr *a,
                          int ip_ver)
{
    return !s->cfg.internal_only || dtr_is_internal(d, a, ip_ver);
}

static void lat_obs_of(struct lat_obs *o, const struct flow *f, const struct packet *p)
{
    memcpy(o->client.b, flow_client_addr(f), 16);
    o->client_port = flow_client_port(f);
    o->ip_ver = p->ip_ver;
    o->ts_ns = p->ts_ns;
}

/*
 * A sample reads and writes three or four cache lines of its kind's state (the counters, the
 * baseline, one line of the sample ring), each found only after the one before: a chain of
 * cache misses, since the services of a busy network do not stay in cache between their
 * connections. The slot the index names first is almost always the service: its header and
 * the five lines a sample may touch are requested at once, before the key is compared, so
 * they arrive together.
 */
static void lat_prefetch_kind(const struct lat_state *s, uint32_t h, int kind)
{
    uint32_t e = s->idx[h & s->mask];
    if (!e || ((e ^ h) & LAT_IDX_TAG_MASK))
        return;
    const struct lat_svc *v = &s->svc[lat_idx_slot(e)];
    __builtin_prefetch(v, 1);
    const char *k = (const char *)&v->u.k[kind];
    for (size_t off = 0; off < offsetof(struct lat_kind, slow_total); off += 64)
        __builtin_prefetch(k + off, 1);
}

static void lat_flow_sample(struct lat_state *s, struct dtr *d, const struct flow *f,
                            const struct packet *p, int kind, uint64_t since_ns)
{
    if (p->ts_ns < since_ns)
        return; /* timestamps out of order: no sample */
    const uint8_t *srv = flow_server_addr(f);
    uint16_t port = flow_server_port(f);
    if (port == 0)
        return; /* port 0 is the host entry's key */
    uint32_t h = lat_hash(s, srv, port, p->ip_ver);
    lat_prefetch_kind(s, h, kind);
    struct lat_svc *v = lat_svc_find(s, srv, port, p->ip_ver, h);
    if (!v) {
        /* A new service, and its host if that is new too. The host first: the service, made
         * last, is then the newest and cannot be the entry that making the host replaced.
         * (Hosts are touched by every attempt on any port, so they outlive their services.) */
        lat_svc_get(s, srv, 0, p->ip_ver, p->ts_ns);
        v = lat_svc_get(s, srv, port, p->ip_ver, p->ts_ns);
    }
    struct lat_obs o;
    lat_obs_of(&o, f, p);
    lat_sample(s, d, v, kind, p->ts_ns - since_ns, &o);
}

static void lat_packet_slow(struct lat_state *s, struct dtr *d, const struct flow *f, int dir,
                            const struct packet *p) __attribute__((noinline));

/* Whether a data segment in the middle of a connection can start or end a measurement (see
 * lat_packet_slow): the server's first payload, the first segment of an HTTP response, the
 * client's data before the server spoke or to an HTTP port. */
static bool lat_segment_wanted(const struct lat_state *s, const struct flow *f, int dir,
                               const struct packet *p, uint16_t sport)
{
    if (dir == FLOW_TOCLIENT)
        return f->payload[FLOW_TOCLIENT] == p->payload_len ||
               (p->payload_len >= 5 && !memcmp(p->payload, "HTTP/", 5));
    return f->payload[FLOW_TOCLIENT] == 0 || dt_flood_ports_has(&s->httpw, sport);
}

/*
 * Most packets are segments in the middle of a connection: bare ACKs, and data that neither
 * starts nor ends a measurement. They return here, without a lookup and without the set-up
 * of the full path; SYNs, SYN-ACKs, the client's second packet and the segments that matter
 * go on to lat_packet_slow, which decides with the full set of tests.
 */
static void lat_packet(void *st, struct dtr *d, const struct flow *f, int dir,
                       const struct packet *p)
{
    const struct lat_state *s = st;
    if (!f || p->proto != 6 || !(p->flags & PKT_F_L4))
        return;
    if (!(p->tcp_flags & TCP_SYN) && !(dir == FLOW_TOSERVER && f->pkts[FLOW_TOSERVER] == 2)) {
        if ((p->tcp_flags & TCP_RST) || p->payload_len == 0 || !p->payload ||
            !dtr_flow_area(f)->lat_flags)
            return; /* (a connection not timed stays so: lat_packet_slow would return too) */
        uint16_t sport = flow_server_port(f);
        if (!dt_flood_ports_has(&s->watch, sport) || !lat_segment_wanted(s, f, dir, p, sport))
            return;
    }
    lat_packet_slow(st, d, f, dir, p);
}

static void lat_packet_slow(struct lat_state *s, struct dtr *d, const struct flow *f, int dir,
                            const struct packet *p)
{
    if (p->ip_ver != 4 && p->ip_ver != 6)
        return;
    uint8_t fl = p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST);
    if (fl == TCP_SYN) {
        /* A connection attempt: counted for a server already measured. */
        if (dir != FLOW_TOSERVER)
            return;
        struct lat_svc *v =
            lat_svc_find(s, p->dst.b, 0, p->ip_ver, lat_hash(s, p->dst.b, 0, p->ip_ver));
        if (v)
            lat_attempt(s, v, p); /* else not a server we measure */
        return;
    }
    if (fl == (TCP_SYN | TCP_ACK)) {
        if (dir != FLOW_TOCLIENT || f->pkts[FLOW_TOCLIENT] != 1 ||
            !(f->tcp_flags[FLOW_TOSERVER] & TCP_SYN) || !lat_server_ok(s, d, &p->src, p->ip_ver))
            return;
        lat_flow_sample(s, d, f, p, LK_HANDSHAKE, f->first_ns);
        return;
    }
    uint16_t sport = flow_server_port(f);
    if (!dt_flood_ports_has(&s->watch, sport) || (fl & TCP_RST))
        return;
    /* The connection's timing state lives in the flow (lat_* of struct dtr_flow_area);
     * lat_flags 0 = not timed. */
    struct dtr_flow_area *lf = dtr_flow_area(f);
    if (dir == FLOW_TOSERVER && f->pkts[FLOW_TOSERVER] == 2 &&
        (f->tcp_flags[FLOW_TOSERVER] & TCP_SYN) && (f->tcp_flags[FLOW_TOCLIENT] & TCP_SYN) &&
        fl == TCP_ACK) {
        /* The client completed the handshake: start timing (only real clients get here). */
        if (!lat_server_ok(s, d, &p->dst, p->ip_ver))
            return;
        uint8_t flags = 0;
        struct lat_svc *v = NULL;
        if (!dt_flood_ports_has(&s->greet, sport) && !dt_flood_ports_has(&s->http, sport))
            v = lat_svc_find(s, p->dst.b, sport, p->ip_ver,
                             lat_hash(s, p->dst.b, sport, p->ip_ver));
        if (dt_flood_ports_has(&s->greet, sport) || (v && (v->learned & LAT_L_GREETING)))
            flags |= LF_GREET;
        if (dt_flood_ports_has(&s->http, sport) || (v && (v->learned & LAT_L_HTTP)))
            flags |= LF_HTTP;
        if (!flags)
            return;
        lf->lat_est_ns = p->ts_ns;
        lf->lat_flags = flags;
    } else if (!lf->lat_flags) {
        return; /* a connection not timed */
    }
    if (p->payload_len == 0 || !p->payload)
        return;
    if (dir == FLOW_TOCLIENT) {
        if (lf->lat_flags & LF_GREET) {
            lf->lat_flags &= (uint8_t)~LF_GREET;
            if (f->payload[FLOW_TOSERVER] == 0 || sport == 22)
                lat_flow_sample(s, d, f, p, LK_GREETING, lf->lat_est_ns);
        }
        if (lf->lat_flags & LF_WAITING) {
            lf->lat_flags &= (uint8_t)~LF_WAITING;
            lat_flow_sample(s, d, f, p, LK_FIRST_BYTE, lf->lat_req_ns);
        }
    } else {
        if ((lf->lat_flags & LF_GREET) && sport != 22)
            lf->lat_flags &= (uint8_t)~LF_GREET; /* the client spoke first: no greeting to time */
        if (lf->lat_flags & LF_HTTP) {
            lf->lat_flags |= LF_WAITING;
            lf->lat_req_ns = p->ts_ns;
        }
    }
}

static void lat_record(void *st, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                       enum app_record_kind kind, const void *rec)
{
    (void)d;
    (void)dir;
    (void)rec;
    struct lat_state *s = st;
    if (!f || f->key.proto != 6)
        return;
    uint8_t learn;
    switch (kind) {
    case APP_REC_HTTP: learn = LAT_L_HTTP; break;
    case APP_REC_SMTP:
    case APP_REC_POP3:
    case APP_REC_IMAP:
    case APP_REC_FTP:
    case APP_REC_SSH: learn = LAT_L_GREETING; break;
    default: return;
    }
    uint16_t port = flow_server_port(f);
    if (port == 0)
        return;
    if ((learn == LAT_L_HTTP && dt_flood_ports_has(&s->http, port)) ||
        (learn == LAT_L_GREETING && dt_flood_ports_has(&s->greet, port)))
        return; /* measured by port already */
    const uint8_t *srv = flow_server_addr(f);
    struct lat_svc *v =
        lat_svc_find(s, srv, port, f->key.ip_ver, lat_hash(s, srv, port, f->key.ip_ver));
    if (!v)
        return; /* no handshake of it seen (not internal, or picked up mid-stream) */
    v->learned |= learn;
    dt_flood_ports_set(&s->watch, port);
    if (learn == LAT_L_HTTP)
        dt_flood_ports_set(&s->httpw, port);
    struct dtr_flow_area *lf = dtr_flow_area(f);
    if (learn == LAT_L_HTTP && !lf->lat_flags) {
        /* The rest of this keep-alive connection is measured. */
        lf->lat_flags = LF_HTTP;
        lf->lat_est_ns = ts_ns;
    }
}

/* --- life cycle, stats, metrics ---------------------------------------------------------- */

static void *lat_init(struct dtr *d, const void *cfgv, char *err, size_t errlen)
{
    (void)d;
    struct lat_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *(const struct lat_cfg *)cfgv;
    if (!dt_flood_ports_parse(&s->greet, s->cfg.greeting_ports, "detectors.latency.greeting-ports",
                              err, errlen) ||
        !dt_flood_ports_parse(&s->http, s->cfg.http_ports, "detectors.latency.http-ports", err,
                              errlen))
        goto fail;
    for (size_t w = 0; w < MM_ARRAY_LEN(s->watch.bits); w++)
        s->watch.bits[w] = s->greet.bits[w] | s->http.bits[w];
    s->httpw = s->http;
    /* The memcap is the services' and servers' (the timing state of connections lives in the
     * flows, bounded by the flow memcap). */
    size_t pool_budget = s->pool_budget = s->cfg.memcap;
    size_t per = sizeof(struct lat_svc) + 2 * sizeof(uint32_t);
    size_t cap = pool_budget / per;
    if (cap < 4) {
        snprintf(err, errlen, "detectors.latency.memcap %zu is too small", s->cfg.memcap);
        goto fail;
    }
    if (cap > LAT_IDX_SLOT_MASK)
        cap = LAT_IDX_SLOT_MASK; /* slot + 1 fits the index entry's 24 bits */
    /* The index (a power of two, at least twice the slots) counts against the budget too. */
    uint32_t nidx;
    for (;;) {
        nidx = 1;
        while (nidx < 2 * cap)
            nidx *= 2;
        if (cap <= 4 || cap * sizeof(struct lat_svc) + nidx * sizeof(uint32_t) <= pool_budget)
            break;
        cap--;
    }
    s->cap = (uint32_t)cap;
    s->mask = nidx - 1;
    /* Slots are used from 0 up; past the first 256 KiB (80 services) the pool is on huge
     * pages: a network with many services gets its lookups without a TLB miss each. */
    s->svc = mem_map_huge_tail(s->cap * sizeof *s->svc, LAT_POOL_SMALL, &s->svc_map);
    s->idx = calloc(nidx, sizeof *s->idx);
    s->pool_bytes = s->cap * sizeof *s->svc + nidx * sizeof *s->idx;
    s->seed = (uint64_t)(uintptr_t)s * 0x9e3779b97f4a7c15ull ^ 0x3c6ef372fe94f82bull;
    s->rng = 0x2545f4914f6cdd1dull;
    if (!s->svc || !s->idx) {
        snprintf(err, errlen, "detectors.latency.memcap %zu: out of memory or too small",
                 s->cfg.memcap);
        goto fail;
    }
    return s;
fail:
    mem_unmap(&s->svc_map);
    free(s->idx);
    free(s);
    return NULL;
}

static void lat_fini(void *st)
{
    struct lat_state *s = st;
    mem_unmap(&s->svc_map);
    free(s->idx);
    free(s);
}

static void lat_stats(const void *st, struct dtr_det_stats *out)
{
    const struct lat_state *s = st;
    out->entries += s->n;
    out->evicted += s->svc_evicted;
    out->memuse += s->pool_bytes;
    out->memcap += s->pool_budget;
}

static void lat_metrics(const void *st, dtr_metric_cb cb, void *u)
{
    const struct lat_state *s = st;
    for (uint32_t i = 0; i < s->n; i++) {
        const struct lat_svc *v = &s->svc[i];
        if (v->port == 0)
            continue; /* a host entry */
        struct mm_addr a;
        memcpy(a.b, v->addr, 16);
        char server[64];
        dtr_addr_str(&a, v->ip_ver, server, sizeof server);
        const char *name = dt_flood_service_name(v->port);
        if (!name)
            name = (v->learned & LAT_L_HTTP) ? "http" : "tcp";
        for (int k = 0; k < LK_N; k++) {
            const struct lat_kind *lk = &v->u.k[k];
            if (!lk->samples)
                continue;
            struct dtr_metric m = {
                .group = "latency",
                .server = server,
                .port = v->port,
                .service = name,
                .kind = lk_names[k],
                .last_ms = lat_ms(lk->last_us),
                .baseline_ms = lat_ms(lk->baseline_us),
                .p95_ms = lat_ms(lat_p95(lk)),
                .samples = lk->samples,
            };
            cb(u, &m);
        }
    }
}

const struct dtr_ops dt_latency_ops = {
    .name = "latency",
    .threat = "T4",
    .summary = "passive service latency (TCP handshake, server greeting, HTTP first byte) "
               "against each service's baseline, naming the top sources",
    .sid_base = 4101,
    .sigs = lat_sigs,
    .n_sigs = MM_ARRAY_LEN(lat_sigs),
    .params = lat_params,
    .n_params = MM_ARRAY_LEN(lat_params),
    .cfg_size = sizeof(struct lat_cfg),
    .init = lat_init,
    .fini = lat_fini,
    .packet = lat_packet,
    .packet_classes = DTR_PC_BIT(DTR_PC_TCP_EDGE) | DTR_PC_BIT(DTR_PC_TCP_DATA),
    .record = lat_record,
    .stats = lat_stats,
    .metrics = lat_metrics,
};
