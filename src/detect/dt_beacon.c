/*
 * T1: beaconing. Malware that has a foothold calls home: connections from one internal host
 * to one outside peer, either at a steady rhythm ("beacon": every 60 s, give or take a
 * little jitter) or in a sudden burst ("14 connections in 17 seconds", the incident of the
 * brief). Per (internal host, external peer, destination port) we keep the start times of
 * the connections the internal host opened, in two small rings:
 *
 *   - raw starts (the last 32), for bursts: at least burst-connections starts within
 *     burst-window. A burst is reported when it ends (no start keeps the window full any
 *     more), so the alert carries its whole size and span;
 *   - session starts (the last 32), for the rhythm: starts closer than half of
 *     min-interval to the previous one belong to the same session (a beacon that opens two
 *     connections per check-in, or a burst, is one session). At each new session, once
 *     min-connections sessions are known, all intervals between the kept sessions are
 *     tested: the median of the intervals (trim dropped at each end) must lie within
 *     [min-interval, max-interval], and at least 1 - 2 trim of the intervals must lie within
 *     max-jitter of that median ("on the beat"; a missed or an extra check-in is tolerated).
 *
 * Benign by design and left out: connections to internal peers, to multicast/broadcast
 * addresses, from outside hosts, and to the ignore-ports (DNS, NTP, DNS over TLS). A peer
 * that popular-hosts or more internal hosts talk to is a shared service (update servers,
 * cloud mail) rather than one infected machine's controller: its pairs are not reported
 * (counted per peer in a bounded distinct counter).
 *
 * The alert names the internal host as src and the peer as dst, with the TLS SNI or HTTP
 * Host the host used for that peer when one was seen. Only a connection's first packet costs
 * more than a few comparisons: two hash lookups then.
 */
#include "detect/dtr_int.h"

#include "app/http.h"
#include "app/tls.h"
#include "core/mm.h"

#include <stdlib.h>
#include <string.h>

#define BC_RING 32u     /* starts kept per pair, in each ring */
#define BC_NAME_MAX 96u /* server-name bytes kept per pair */
/* Bursts under way at once (waiting for their end); more are reported at once. */
#define BC_OPEN_MAX 64u
/* A burst still going after this long is reported while it lasts. */
#define BC_BURST_REPORT_AFTER_NS (60ull * DTR_NS_PER_S)
/* How long a quiet peer's popularity is remembered. */
#define BC_PEER_TTL_NS (86400ull * DTR_NS_PER_S)
#define BC_RECENT_INTERVALS 10u /* intervals shown in the evidence */

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

struct bc_cfg {
    size_t memcap;
    uint32_t min_connections;
    double max_jitter;
    double trim;
    uint64_t min_interval_ns, max_interval_ns;
    uint32_t burst_connections;
    uint64_t burst_window_ns;
    uint32_t popular_hosts;
    const char *ignore_ports;
};

static const struct dtr_param bc_params[] = {
    {"memcap", DTR_P_SIZE, offsetof(struct bc_cfg, memcap), "16mb", 65536, 1e12,
     "memory for pairs and peers (about 14,000 host-peer-port pairs in 16 MiB)"},
    {"min-connections", DTR_P_U32, offsetof(struct bc_cfg, min_connections), "10", 5, 32,
     "sessions before a rhythm is tested (9 intervals: random timing rarely passes)"},
    {"max-jitter", DTR_P_DOUBLE, offsetof(struct bc_cfg, max_jitter), "0.2", 0.01, 1.0,
     "an interval within this fraction of the median is on the beat (+-20 %)"},
    {"trim", DTR_P_DOUBLE, offsetof(struct bc_cfg, trim), "0.1", 0.0, 0.3,
     "outliers allowed at each end: 1 - 2 trim of the intervals must be on the beat"},
    {"min-interval", DTR_P_DURATION, offsetof(struct bc_cfg, min_interval_ns), "10s", 1, 86400,
     "shortest beacon interval; faster polling is an application, not a check-in"},
    {"max-interval", DTR_P_DURATION, offsetof(struct bc_cfg, max_interval_ns), "1h", 10, 604800,
     "longest beacon interval; pair state older than twice this is forgotten"},
    {"burst-connections", DTR_P_U32, offsetof(struct bc_cfg, burst_connections), "10", 3, 32,
     "connections to one peer within burst-window that make a burst"},
    {"burst-window", DTR_P_DURATION, offsetof(struct bc_cfg, burst_window_ns), "20s", 1, 3600,
     "time window of a burst (the incident: 14 connections in 17 s)"},
    {"popular-hosts", DTR_P_U32, offsetof(struct bc_cfg, popular_hosts), "5", 0, 100000,
     "a peer this many internal hosts talk to is a shared service, not reported; 0: off"},
    {"ignore-ports", DTR_P_STRING, offsetof(struct bc_cfg, ignore_ports), "53,123,853", 0, 0,
     "destination ports never tracked: DNS, NTP, DNS over TLS (periodic by design)"},
};

static const struct dtr_sig bc_sigs[] = {
    {"beacon",
     "MAMORI T1 beaconing: regular connections from an internal host to an external "
     "peer",
     "command-and-control", 2},
    {"burst", "MAMORI T1 connection burst from an internal host to a rare external peer",
     "bad-unknown", 2},
};
enum { BC_SIG_BEACON = 0, BC_SIG_BURST = 1 };

/* Pair key: every byte written. */
struct bc_key {
    uint8_t host[16]; /* internal host */
    uint8_t peer[16]; /* external peer */
    uint16_t port;    /* destination port */
    uint8_t ip_ver;
    uint8_t proto; /* 6 or 17 */
    uint8_t pad[4];
};

enum { BC_NAME_NONE = 0, BC_NAME_SNI, BC_NAME_HTTP };

struct bc_ring {
    uint64_t t[BC_RING]; /* t[(head + i) % BC_RING], i < n: oldest first */
    uint32_t head, n;
};

struct bc_pair {
    struct bc_key key;
    struct bc_ring raw;  /* connection starts */
    struct bc_ring sess; /* session starts */
    uint64_t first_ns, last_ns;
    uint64_t expire_ns; /* last_ns + 2 * max-interval: state no longer useful after */
    uint32_t total;     /* connections seen (saturating) */
    /* burst under way */
    uint64_t burst_first_ns, burst_last_ns;
    uint32_t burst_count;
    uint32_t bursts; /* bursts seen */
    bool burst_open;
    bool burst_reported; /* this burst was reported while it lasted */
    bool run_on;         /* the latest session continued a regular run */
    uint8_t name_src;    /* BC_NAME_* */
    uint32_t run_count;  /* sessions in the regular run */
    uint64_t run_first_ns;
    struct dtr_report burst_rep, beacon_rep;
    uint8_t name_len;
    char name[BC_NAME_MAX];
};

struct bc_peer_key {
    uint8_t peer[16];
    uint8_t ip_ver;
    uint8_t pad[3];
};

struct bc_peer {
    struct bc_peer_key key;
    uint64_t expire_ns;
    struct dtr_distinct hosts; /* internal hosts that opened connections to it */
};

struct bc_open {
    struct bc_key key;
    uint64_t deadline_ns; /* the burst cannot go on after this without a new start */
};

struct bc_state {
    const struct bc_cfg *cfg;
    mm_lru_t *pairs, *peers;
    uint8_t ignore[65536 / 8]; /* destination ports not tracked */
    struct bc_open open[BC_OPEN_MAX];
    size_t n_open;
    uint64_t session_gap_ns; /* starts closer than this share a session */
};

/* --- tables ---------------------------------------------------------------------------- */

static bool bc_pair_stale(const void *e, uint64_t now_ns)
{
    return ((const struct bc_pair *)e)->expire_ns < now_ns;
}

static bool bc_peer_stale(const void *e, uint64_t now_ns)
{
    return ((const struct bc_peer *)e)->expire_ns < now_ns;
}

static int bc_parse_ports(struct bc_state *st, const char *s, char *err, size_t errlen)
{
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        if (!*s)
            break;
        unsigned v = 0;
        size_t n = 0;
        while (s[n] >= '0' && s[n] <= '9' && n < 6)
            v = v * 10u + (unsigned)(s[n++] - '0');
        if (n == 0 || n > 5 || v > 65535 || (s[n] && s[n] != ',' && s[n] != ' ')) {
            snprintf(err, errlen,
                     "detectors.beacon.ignore-ports: expected port numbers "
                     "separated by commas, got '%.32s'",
                     s);
            return MM_EINVAL;
        }
        st->ignore[v >> 3] |= (uint8_t)(1u << (v & 7));
        s += n;
    }
    return 0;
}

static void bc_fini(void *stv)
{
    struct bc_state *st = stv;
    if (!st)
        return;
    mm_lru_free(st->pairs);
    mm_lru_free(st->peers);
    free(st);
}

static void *bc_init(struct dtr *d, const void *cfgv, char *err, size_t errlen)
{
    const struct bc_cfg *cfg = cfgv;
    if (cfg->max_interval_ns <= cfg->min_interval_ns) {
        snprintf(err, errlen, "detectors.beacon.max-interval must be longer than min-interval");
        return NULL;
    }
    struct bc_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->cfg = cfg;
    st->session_gap_ns = cfg->min_interval_ns / 2;
    if (bc_parse_ports(st, cfg->ignore_ports ? cfg->ignore_ports : "", err, errlen) != 0)
        goto fail;
    /* Pairs hold the timing; peers only the popularity count. */
    size_t peer_cap = cfg->memcap / 4;
    st->pairs = dtr_table_new(d, "beacon", cfg->memcap - peer_cap, sizeof(struct bc_pair),
                              sizeof(struct bc_key), bc_pair_stale);
    st->peers = dtr_table_new(d, "beacon_peers", peer_cap, sizeof(struct bc_peer),
                              sizeof(struct bc_peer_key), bc_peer_stale);
    if (!st->pairs || !st->peers) {
        snprintf(err, errlen, "detectors.beacon.memcap: too small for the pair tables");
        goto fail;
    }
    return st;
fail:
    bc_fini(st);
    return NULL;
}

/* --- timing analysis ------------------------------------------------------------------- */

static void bc_ring_push(struct bc_ring *r, uint64_t t)
{
    if (r->n < BC_RING) {
        r->t[(r->head + r->n) % BC_RING] = t;
        r->n++;
    } else {
        r->t[r->head] = t;
        r->head = (r->head + 1) % BC_RING;
    }
}

static uint64_t bc_ring_at(const struct bc_ring *r, uint32_t i)
{
    return r->t[(r->head + i) % BC_RING];
}

static void bc_sort(double *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static double bc_median_sorted(const double *v, size_t n)
{
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The rhythm found in the intervals between sessions. */
struct bc_fit {
    size_t n;                           /* intervals tested (sessions - 1) */
    size_t on_beat;                     /* of them within max-jitter of the median */
    double median, mad, mean, min, max; /* seconds, over the trimmed intervals */
};

/*
 * Whether the n intervals iv[] (seconds, oldest first) are regular: the median of the
 * trimmed intervals (trim of them dropped at each end, at least one) lies within
 * [min_s, max_s], and at least (1 - 2 trim) of all intervals lie within max_jitter times the
 * median of it. Every interval the ring holds is tested: testing shorter recent runs too
 * would multiply the chances of random traffic looking regular (docs/detectors/beacon.md).
 */
static bool bc_regular(const double *iv, size_t n, size_t min_iv, double trim, double min_s,
                       double max_s, double max_jitter, struct bc_fit *out)
{
    double v[BC_RING], dev[BC_RING];
    if (min_iv < 3)
        min_iv = 3;
    if (n < min_iv || n > BC_RING)
        return false;
    memcpy(v, iv, n * sizeof *v);
    bc_sort(v, n);
    size_t k = (size_t)((double)n * trim);
    if (k < 1)
        k = 1;
    if (n < 2 * k + 3)
        k = (n - 3) / 2;
    const double *w = v + k;
    size_t wn = n - 2 * k;
    double med = bc_median_sorted(w, wn);
    if (med < min_s || med > max_s)
        return false;
    double band = max_jitter * med;
    size_t on = 0;
    for (size_t i = 0; i < n; i++)
        if (iv[i] >= med - band && iv[i] <= med + band)
            on++;
    if ((double)on < (1.0 - 2.0 * trim) * (double)n - 1e-9)
        return false;
    double sum = 0;
    for (size_t i = 0; i < wn; i++) {
        dev[i] = w[i] > med ? w[i] - med : med - w[i];
        sum += w[i];
    }
    bc_sort(dev, wn);
    out->n = n;
    out->on_beat = on;
    out->median = med;
    out->mad = bc_median_sorted(dev, wn);
    out->mean = sum / (double)wn;
    out->min = w[0];
    out->max = w[wn - 1];
    return true;
}

/* --- reporting ------------------------------------------------------------------------- */

static bool bc_popular(const struct bc_state *st, const struct bc_pair *pr, uint32_t *hosts)
{
    struct bc_peer_key pk;
    memset(&pk, 0, sizeof pk);
    memcpy(pk.peer, pr->key.peer, 16);
    pk.ip_ver = pr->key.ip_ver;
    const struct bc_peer *pe = mm_lru_lookup(st->peers, &pk);
    *hosts = pe ? dtr_distinct_count(&pe->hosts) : 1;
    return st->cfg->popular_hosts && *hosts >= st->cfg->popular_hosts;
}

static void bc_common_evidence(struct jb *jb, const struct bc_pair *pr, uint32_t hosts)
{
    struct mm_addr a;
    memcpy(a.b, pr->key.host, 16);
    dtr_ev_ip(jb, "internal_host", &a, pr->key.ip_ver);
    memcpy(a.b, pr->key.peer, 16);
    dtr_ev_ip(jb, "peer", &a, pr->key.ip_ver);
    jb_uint(jb, "dest_port", pr->key.port);
    jb_string(jb, "proto", pr->key.proto == IPPROTO_TCP_NUM ? "TCP" : "UDP");
    if (pr->name_src != BC_NAME_NONE) {
        jb_string_bytes(jb, "server_name", (const uint8_t *)pr->name, pr->name_len);
        jb_string(jb, "server_name_from", pr->name_src == BC_NAME_SNI ? "tls_sni" : "http_host");
    }
    jb_uint(jb, "pair_connections", pr->total);
    dtr_ev_ts(jb, "pair_first_seen", pr->first_ns);
    jb_uint(jb, "peer_internal_hosts", hosts);
}

static void bc_emit(struct dtr *d, const struct bc_pair *pr, size_t sig, uint64_t now, bool update)
{
    struct dtr_alert_args a = {
        .sig = sig,
        .ts_ns = now,
        .ip_ver = pr->key.ip_ver,
        .proto = pr->key.proto,
        .dport = pr->key.port,
        .update = update,
    };
    memcpy(a.src.b, pr->key.host, 16);
    memcpy(a.dst.b, pr->key.peer, 16);
    dtr_alert_emit(d, &a);
}

static void bc_report_burst(struct bc_state *st, struct dtr *d, struct bc_pair *pr, uint64_t now,
                            bool ongoing)
{
    uint32_t hosts;
    if (bc_popular(st, pr, &hosts))
        return;
    enum dtr_due due = dtr_report_due(d, &pr->burst_rep, now);
    if (due == DTR_DUE_NO)
        return;
    struct jb *jb = dtr_alert_begin(d);
    jb_uint(jb, "connections", pr->burst_count);
    dtr_ev_secs(jb, "span_s", pr->burst_last_ns - pr->burst_first_ns);
    dtr_ev_secs(jb, "window_s", st->cfg->burst_window_ns);
    dtr_ev_ts(jb, "first_seen", pr->burst_first_ns);
    dtr_ev_ts(jb, "last_seen", pr->burst_last_ns);
    jb_bool(jb, "ongoing", ongoing);
    jb_uint(jb, "bursts", pr->bursts);
    bc_common_evidence(jb, pr, hosts);
    bc_emit(d, pr, BC_SIG_BURST, now, due == DTR_DUE_UPDATE);
}

static void bc_burst_close(struct bc_state *st, struct dtr *d, struct bc_pair *pr, uint64_t now)
{
    pr->burst_open = false;
    if (pr->burst_reported) {
        pr->burst_reported = false;
        return;
    }
    bc_report_burst(st, d, pr, now, false);
}

static void bc_report_beacon(struct bc_state *st, struct dtr *d, struct bc_pair *pr,
                             const struct bc_fit *fit, const double *iv, size_t n, uint64_t now)
{
    uint32_t hosts;
    if (bc_popular(st, pr, &hosts))
        return;
    enum dtr_due due = dtr_report_due(d, &pr->beacon_rep, now);
    if (due == DTR_DUE_NO)
        return;
    struct jb *jb = dtr_alert_begin(d);
    jb_uint(jb, "connections", pr->run_count);
    jb_double(jb, "interval_s", fit->median, 3);
    jb_double(jb, "jitter_s", fit->mad, 3);
    jb_double(jb, "jitter_ratio", fit->median > 0 ? fit->mad / fit->median : 0, 3);
    jb_double(jb, "interval_mean_s", fit->mean, 3);
    jb_double(jb, "interval_min_s", fit->min, 3);
    jb_double(jb, "interval_max_s", fit->max, 3);
    jb_uint(jb, "intervals_tested", fit->n);
    jb_uint(jb, "intervals_on_beat", fit->on_beat);
    jb_open_array(jb, "recent_intervals_s");
    for (size_t i = n > BC_RECENT_INTERVALS ? n - BC_RECENT_INTERVALS : 0; i < n; i++)
        jb_double(jb, NULL, iv[i], 3);
    jb_close_array(jb);
    dtr_ev_ts(jb, "first_seen", pr->run_first_ns);
    dtr_ev_ts(jb, "last_seen", pr->last_ns);
    dtr_ev_secs(jb, "duration_s", pr->last_ns - pr->run_first_ns);
    bc_common_evidence(jb, pr, hosts);
    bc_emit(d, pr, BC_SIG_BEACON, now, due == DTR_DUE_UPDATE);
}

/* --- feeds ----------------------------------------------------------------------------- */

static void bc_open_add(struct bc_state *st, struct dtr *d, struct bc_pair *pr, uint64_t now)
{
    uint64_t deadline = mm_sat_add(pr->burst_last_ns, st->cfg->burst_window_ns);
    for (size_t i = 0; i < st->n_open; i++) {
        if (!memcmp(&st->open[i].key, &pr->key, sizeof pr->key)) {
            st->open[i].deadline_ns = deadline;
            return;
        }
    }
    if (st->n_open < BC_OPEN_MAX) {
        st->open[st->n_open].key = pr->key;
        st->open[st->n_open++].deadline_ns = deadline;
        return;
    }
    /* Too many bursts at once to wait for their ends: report this one as it stands. */
    bc_report_burst(st, d, pr, now, true);
    pr->burst_reported = true;
}

/* Ends the bursts that can no longer grow by now (all of them at the end of input). */
static void bc_open_sweep(struct bc_state *st, struct dtr *d, uint64_t now, bool all)
{
    for (size_t i = 0; i < st->n_open;) {
        struct bc_open *o = &st->open[i];
        if (!all && o->deadline_ns > now) {
            i++;
            continue;
        }
        struct bc_pair *pr = mm_lru_lookup(st->pairs, &o->key);
        if (pr && pr->burst_open) {
            if (!all && mm_sat_add(pr->burst_last_ns, st->cfg->burst_window_ns) > now) {
                o->deadline_ns = mm_sat_add(pr->burst_last_ns, st->cfg->burst_window_ns);
                i++;
                continue;
            }
            bc_burst_close(st, d, pr, now);
        }
        st->open[i] = st->open[--st->n_open];
    }
}

static void bc_count_peer(struct bc_state *st, const struct bc_key *k, uint64_t ts)
{
    struct bc_peer_key pk;
    memset(&pk, 0, sizeof pk);
    memcpy(pk.peer, k->peer, 16);
    pk.ip_ver = k->ip_ver;
    struct bc_peer *pe = mm_lru_lookup(st->peers, &pk);
    if (!pe) {
        pe = mm_lru_insert(st->peers, &pk, ts);
        if (!pe)
            return;
    } else {
        mm_lru_touch(st->peers, pe);
    }
    pe->expire_ns = mm_sat_add(ts, BC_PEER_TTL_NS);
    struct mm_addr h;
    memcpy(h.b, k->host, 16);
    dtr_distinct_add(&pe->hosts, dtr_addr_key32(&h, k->ip_ver));
}

static void bc_burst_step(struct bc_state *st, struct dtr *d, struct bc_pair *pr, uint64_t ts)
{
    const struct bc_cfg *c = st->cfg;
    /* Starts within the window ending now (the ring is in time order). */
    uint32_t cnt = 0;
    uint64_t oldest = ts;
    for (uint32_t i = pr->raw.n; i-- > 0;) {
        uint64_t t = bc_ring_at(&pr->raw, i);
        if (ts - t > c->burst_window_ns)
            break;
        cnt++;
        oldest = t;
    }
    bool full = cnt >= c->burst_connections;
    if (pr->burst_open) {
        if (!full) {
            bc_burst_close(st, d, pr, ts);
            return;
        }
        if (pr->burst_count < UINT32_MAX)
            pr->burst_count++;
        pr->burst_last_ns = ts;
        bc_open_add(st, d, pr, ts);
        if (!pr->burst_reported && ts - pr->burst_first_ns >= BC_BURST_REPORT_AFTER_NS) {
            bc_report_burst(st, d, pr, ts, true);
            pr->burst_reported = true;
        }
        return;
    }
    if (!full)
        return;
    pr->burst_open = true;
    pr->burst_reported = false;
    pr->burst_first_ns = oldest;
    pr->burst_last_ns = ts;
    pr->burst_count = cnt;
    if (pr->bursts < UINT32_MAX)
        pr->bursts++;
    bc_open_add(st, d, pr, ts);
}

static void bc_beacon_step(struct bc_state *st, struct dtr *d, struct bc_pair *pr, uint64_t ts)
{
    const struct bc_cfg *c = st->cfg;
    double iv[BC_RING];
    size_t n = 0;
    for (uint32_t i = 1; i < pr->sess.n; i++)
        iv[n++] = (double)(bc_ring_at(&pr->sess, i) - bc_ring_at(&pr->sess, i - 1)) / 1e9;
    struct bc_fit fit;
    if (!bc_regular(iv, n, c->min_connections - 1, c->trim, (double)c->min_interval_ns / 1e9,
                    (double)c->max_interval_ns / 1e9, c->max_jitter, &fit)) {
        pr->run_on = false;
        return;
    }
    if (pr->run_on) {
        if (pr->run_count < UINT32_MAX)
            pr->run_count++;
    } else {
        pr->run_on = true;
        pr->run_count = pr->sess.n;
        pr->run_first_ns = bc_ring_at(&pr->sess, 0);
    }
    bc_report_beacon(st, d, pr, &fit, iv, n, ts);
}

/* A connection from internal host to external peer started at ts. */
static void bc_start(struct bc_state *st, struct dtr *d, const struct bc_key *k, uint64_t ts)
{
    struct bc_pair *pr = mm_lru_lookup(st->pairs, k);
    if (!pr) {
        pr = mm_lru_insert(st->pairs, k, ts);
        if (!pr)
            return; /* counted by the table */
        pr->first_ns = ts;
    } else {
        mm_lru_touch(st->pairs, pr);
        if (ts < pr->last_ns)
            ts = pr->last_ns; /* timestamps going back (merged captures): keep order */
        if (ts > pr->expire_ns) {
            /* Silent for longer than any beacon interval: a rhythm starts afresh. */
            if (pr->burst_open)
                bc_burst_close(st, d, pr, ts);
            pr->raw.n = pr->sess.n = 0;
            pr->run_on = false;
        }
    }
    bool new_session = pr->raw.n == 0 || ts - pr->last_ns >= st->session_gap_ns;
    bc_ring_push(&pr->raw, ts);
    if (new_session)
        bc_ring_push(&pr->sess, ts);
    if (pr->total < UINT32_MAX)
        pr->total++;
    pr->last_ns = ts;
    pr->expire_ns = mm_sat_add(ts, 2 * st->cfg->max_interval_ns);
    bc_count_peer(st, k, ts);
    bc_burst_step(st, d, pr, ts);
    if (new_session)
        bc_beacon_step(st, d, pr, ts);
}

/* Multicast, broadcast, unspecified and loopback destinations are not peers. */
static bool bc_unicast_peer(const struct mm_addr *a, int ip_ver)
{
    const uint8_t *b = a->b;
    if (ip_ver == 4)
        return b[0] != 0 && b[0] != 127 && b[0] < 224;
    if (b[0] == 0xff)
        return false;
    static const uint8_t zero[15];
    return memcmp(b, zero, 15) != 0; /* :: and ::1 */
}

static void bc_fill_key(struct bc_key *k, const uint8_t *host, const uint8_t *peer, uint16_t port,
                        uint8_t ip_ver, uint8_t proto)
{
    memset(k, 0, sizeof *k);
    memcpy(k->host, host, 16);
    memcpy(k->peer, peer, 16);
    k->port = port;
    k->ip_ver = ip_ver;
    k->proto = proto;
}

static void bc_packet(void *stv, struct dtr *d, const struct flow *f, int dir,
                      const struct packet *p)
{
    struct bc_state *st = stv;
    /* Only the first packet of a flow, sent by its client, starts a connection. */
    if (!f || dir != FLOW_TOSERVER || f->pkts[0] != 1 || f->pkts[1] != 0)
        return;
    if (p->proto == IPPROTO_TCP_NUM) {
        if ((p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN)
            return; /* a connection caught in the middle has no start time */
    } else if (p->proto != IPPROTO_UDP_NUM) {
        return;
    }
    if (!(p->flags & PKT_F_L4) || (p->ip_ver != 4 && p->ip_ver != 6))
        return;
    if (st->ignore[p->dport >> 3] & (1u << (p->dport & 7)))
        return;
    if (!bc_unicast_peer(&p->dst, p->ip_ver) || !dtr_is_internal(d, &p->src, p->ip_ver) ||
        dtr_is_internal(d, &p->dst, p->ip_ver))
        return;
    struct bc_key k;
    bc_fill_key(&k, p->src.b, p->dst.b, p->dport, p->ip_ver, p->proto);
    bc_start(st, d, &k, p->ts_ns);
}

/* The name the host used for the peer: TLS SNI, else the HTTP Host. */
static void bc_record(void *stv, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    (void)d;
    (void)dir;
    (void)ts_ns;
    struct bc_state *st = stv;
    if (!mm_lru_count(st->pairs))
        return; /* no pair tracked (a network without outbound connections worth timing) */
    const uint8_t *name = NULL;
    size_t len = 0;
    uint8_t src;
    if (kind == APP_REC_TLS) {
        const struct tls_rec *t = rec;
        if (!t->has_sni || !t->sni_len)
            return;
        name = t->sni;
        len = t->sni_len;
        src = BC_NAME_SNI;
    } else if (kind == APP_REC_HTTP) {
        const struct http_tx *h = rec;
        if (!h->hostname.p || !h->hostname.len)
            return;
        name = h->hostname.p;
        len = h->hostname.len;
        src = BC_NAME_HTTP;
    } else {
        return;
    }
    if (!f || (f->key.proto != IPPROTO_TCP_NUM && f->key.proto != IPPROTO_UDP_NUM))
        return;
    struct bc_key k;
    bc_fill_key(&k, flow_client_addr(f), flow_server_addr(f), flow_server_port(f), f->key.ip_ver,
                f->key.proto);
    struct bc_pair *pr = mm_lru_lookup(st->pairs, &k);
    if (!pr)
        return; /* not a tracked pair (internal peer, ignored port ...) */
    if (src == BC_NAME_HTTP && pr->name_src == BC_NAME_SNI)
        return; /* the SNI is the better name */
    pr->name_len = (uint8_t)MM_MIN(len, (size_t)BC_NAME_MAX);
    memcpy(pr->name, name, pr->name_len);
    pr->name_src = src;
}

static void bc_tick(void *stv, struct dtr *d, uint64_t now_ns)
{
    struct bc_state *st = stv;
    if (st->n_open)
        bc_open_sweep(st, d, now_ns, false);
}

static void bc_finish(void *stv, struct dtr *d, uint64_t now_ns)
{
    bc_open_sweep(stv, d, now_ns, true);
}

static void bc_stats(const void *stv, struct dtr_det_stats *out)
{
    const struct bc_state *st = stv;
    mm_lru_t *const t[2] = {st->pairs, st->peers};
    dtr_table_stats(out, t, 2);
}

const struct dtr_ops dt_beacon_ops = {
    .name = "beacon",
    .threat = "T1",
    .summary = "regular or bursty connections from an internal host to one external peer",
    .sid_base = 1101,
    .sigs = bc_sigs,
    .n_sigs = MM_ARRAY_LEN(bc_sigs),
    .params = bc_params,
    .n_params = MM_ARRAY_LEN(bc_params),
    .cfg_size = sizeof(struct bc_cfg),
    .init = bc_init,
    .fini = bc_fini,
    .packet = bc_packet,
    .packet_classes = DTR_PC_BIT(DTR_PC_TCP_EDGE) | DTR_PC_BIT(DTR_PC_UDP_FIRST),
    .record = bc_record,
    .tick = bc_tick,
    .finish = bc_finish,
    .stats = bc_stats,
};
