/*
 * webscan (T3): web vulnerability scanners and directory brute forcing, recognised by what
 * they do rather than by what they call themselves (current scanners often send an ordinary
 * browser User-Agent). Input: the HTTP transactions (APP_REC_HTTP), one per request/response.
 *
 * Per (client, server) pair, over a sliding window (detectors.webscan.window, cut into
 * WS_SLOTS slices so the window moves in steps of window/WS_SLOTS):
 *   - 4xx burst: at least min-4xx responses 400-499 in the window, and at least
 *     min-4xx-ratio of the window's responses are 4xx (a scanner asks for what is not there;
 *     a user who meets one broken link does not);
 *   - URI sweep: at least min-distinct-uris request paths not seen before from this client
 *     in the window, with at most max-referer-ratio of the requests carrying a Referer (a
 *     browser fetching the many assets of a page sends the page as Referer; brute forcers
 *     and crawlers do not).
 * Each is reported once when it first holds, then as an update at most every
 * detectors.update-interval while it keeps holding, and (final-report) with one closing update
 * carrying the final figures when the activity ends, if they grew since the last report. An
 * activity ends when the pair has been silent for idle-timeout (or at the end of input); the
 * next request starts a new one (new counts, a new first report).
 *
 * Evidence: counts by status class over the whole activity, the window figures at the time
 * of the report, distinct paths (exact up to DTR_DISTINCT_EXACT, then estimated), the first
 * few URIs answered 2xx ("possible success") and 4xx, the first user agents, first/last
 * seen. Paths are compared without the query string, after mamori's URI normalisation.
 *
 * Memory: one entry per pair in an mm_lru table under detectors.webscan.memcap; the oldest
 * pair is taken over when full (counted as an eviction unless it had gone idle). Most pairs
 * make one request (a client fetching one thing from one server): a pair's first transaction
 * is kept in a small entry of a second table (a quarter of the memcap, ~300 bytes a pair), and
 * the full entry is made at its second transaction, which first replays the kept one; the
 * results are those of full entries from the start, without writing 1.3 KiB for every
 * one-off client. (When one transaction could already be a burst, min-4xx 1, every pair gets
 * a full entry at once.)
 * Not covered: HTTPS (no transactions to see), HTTP/2, and scans spread over many source
 * addresses (each source is judged alone).
 */
#include "detect/dtr_int.h"

#include "app/http.h"
#include "core/mm.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slices of the sliding window. */
#define WS_SLOTS 12
/* Bits set in the distinct-path sketch (of 1024) at which it is started afresh: past this
 * the linear-counting estimate stops growing usefully (dtr_distinct saturates near 7,000). */
#define WS_SKETCH_FULL 900
/* Ended activities closed and dropped per tick: bounded work per second. */
#define WS_SWEEP_PER_TICK 64
/* Examples kept per pair: URIs answered 2xx and 4xx, user agents; each cut to WS_EX_LEN,
 * all of them packed into WS_EX_ARENA bytes (paths are mostly a few tens of bytes: the
 * arena holds the usual 11 examples in half the room of 11 fixed slots, and every pair
 * entry is written to cold memory once). */
#define WS_EX_N 4
#define WS_UA_N 3
#define WS_EX_LEN 96
#define WS_EX_ARENA 512

enum { WS_SIG_4XX_BURST = 0, WS_SIG_URI_SWEEP, WS_N_SIGS };

static const struct dtr_sig ws_sigs[WS_N_SIGS] = {
    [WS_SIG_4XX_BURST] = {"4xx_burst", "MAMORI T3 web scan: burst of 4xx responses to one client",
                          "attempted-recon", 2},
    [WS_SIG_URI_SWEEP] = {"uri_sweep",
                          "MAMORI T3 web scan: many distinct URIs from one client (directory "
                          "brute force)",
                          "attempted-recon", 2},
};

struct ws_cfg {
    size_t memcap;
    uint64_t window_ns;
    uint32_t min_4xx;
    double min_4xx_ratio;
    uint32_t min_distinct;
    double max_referer_ratio;
    uint64_t idle_ns;
    bool final_report;
};

static const struct dtr_param ws_params[] = {
    {"memcap", DTR_P_SIZE, offsetof(struct ws_cfg, memcap), "16mb", 65536, 68719476736.0,
     "memory for per-client/server state (about 1.4 KiB per active pair: ~9,000 pairs and "
     "14,000 seen once in 16 MiB); "
     "the oldest pair is taken over when full"},
    {"window", DTR_P_DURATION, offsetof(struct ws_cfg, window_ns), "60s", 5, 3600,
     "sliding window for both tests; scanners send hundreds of requests a minute, people a "
     "few"},
    {"min-4xx", DTR_P_U32, offsetof(struct ws_cfg, min_4xx), "20", 1, 1000000,
     "4xx responses in the window before a burst is reported; a page with broken links gives "
     "a handful, nikto gives thousands"},
    {"min-4xx-ratio", DTR_P_DOUBLE, offsetof(struct ws_cfg, min_4xx_ratio), "0.5", 0, 1,
     "share of the window's responses that must be 4xx; a busy client with a few errors "
     "stays below it"},
    {"min-distinct-uris", DTR_P_U32, offsetof(struct ws_cfg, min_distinct), "100", 2, 1000000,
     "new distinct paths in the window before a sweep is reported; a heavy web page loads "
     "tens of assets, brute forcers hundreds per second"},
    {"max-referer-ratio", DTR_P_DOUBLE, offsetof(struct ws_cfg, max_referer_ratio), "0.5", 0, 1,
     "a sweep counts only if at most this share of the window's requests carried a Referer "
     "(browsers send one for page assets)"},
    {"idle-timeout", DTR_P_DURATION, offsetof(struct ws_cfg, idle_ns), "10m", 10, 86400,
     "a pair silent this long has ended its activity (closing report; the next request starts "
     "a new one)"},
    {"final-report", DTR_P_BOOL, offsetof(struct ws_cfg, final_report), "yes", 0, 1,
     "one closing update with the final figures when a reported activity ends: the first "
     "report comes when the threshold is crossed, long before a scan is over"},
};

/* The pair: addresses of client and server as in struct flow_key; every byte written. */
struct ws_key {
    uint8_t client[16];
    uint8_t server[16];
    uint8_t ip_ver;
    uint8_t pad[3];
};

struct ws_slot {
    uint64_t epoch;     /* ts / slot length of the slice this holds */
    uint32_t requests;  /* transactions */
    uint32_t responses; /* with a status line */
    uint32_t c4xx;
    uint32_t new_paths; /* paths first seen (for this activity) in this slice */
    uint32_t referer;   /* requests with a Referer header */
};

/* An example: bytes [off, off + len) of its pair's arena. */
struct ws_example {
    uint16_t off;
    uint8_t len;
};

/* The fields are in the order of use: a transaction reads and writes the header, the example
 * slots, the distinct-path counter and one window slice, so they come first and share lines;
 * the reports' state and the examples' bytes come last. */
struct ws_pair {
    struct ws_key k;    /* must stay first: the table's key */
    uint64_t expire_ns; /* last_ns + idle timeout: the activity has ended after it */
    uint64_t first_ns, last_ns;
    uint64_t newest_epoch; /* newest window slice seen */
    uint64_t requests;
    uint32_t cls[6]; /* [0] no status line, [1..5] 1xx..5xx */
    uint16_t dport;  /* server port of the first transaction */
    uint8_t proto;   /* IP protocol of the flows (TCP) */
    bool multi_port; /* transactions to more than one server port */
    uint8_t n_ex2, n_ex4, n_ua;
    uint16_t ex_used;       /* bytes of ex_arena taken */
    uint32_t paths_base;    /* distinct paths of earlier, saturated generations */
    uint32_t new_paths_sum; /* the slices' new_paths added up over the activity */
    struct ws_example ex2[WS_EX_N], ex4[WS_EX_N], ua[WS_UA_N];
    struct dtr_distinct paths; /* this generation of distinct paths */
    struct ws_slot slot[WS_SLOTS];
    struct dtr_report rep[WS_N_SIGS];
    uint64_t rep_requests[WS_N_SIGS]; /* requests at the last report of each variant */
    uint8_t ex_arena[WS_EX_ARENA];
};

/* One transaction, as ws_apply uses it (from a record, or kept in a ws_first). */
struct ws_txn {
    uint64_t ts_ns;
    int status;
    uint16_t sport; /* the server port of its flow */
    uint8_t proto;
    bool referer;
    bool has_path; /* path_hash and path are set (the request had a path) */
    uint32_t path_hash;
    const uint8_t *path; /* the path as the examples keep it (its first WS_EX_LEN bytes do) */
    size_t path_len;
    const uint8_t *ua; /* NULL: no User-Agent */
    size_t ua_len;
};

/* The first transaction of a pair with no full entry yet. */
struct ws_first {
    struct ws_key k;    /* must stay first: the table's key */
    uint64_t expire_ns; /* ts_ns + idle timeout */
    uint64_t ts_ns;
    uint32_t path_hash;
    uint16_t status;
    uint16_t sport;
    uint8_t proto;
    bool referer, has_path, has_ua;
    uint8_t path_len, ua_len; /* bytes kept, at most WS_EX_LEN */
    uint8_t path[WS_EX_LEN];
    uint8_t ua[WS_EX_LEN];
};

struct ws_state {
    const struct ws_cfg *cfg;
    mm_lru_t *pairs;
    mm_lru_t *firsts; /* NULL when every pair gets a full entry at once */
    uint64_t slot_ns;
};

static bool ws_stale(const void *entry, uint64_t now_ns)
{
    const struct ws_pair *p = entry;
    return now_ns > p->expire_ns;
}

static bool ws_first_stale(const void *entry, uint64_t now_ns)
{
    const struct ws_first *w = entry;
    return now_ns > w->expire_ns;
}

static void *ws_init(struct dtr *d, const void *cfgv, char *err, size_t errlen)
{
    const struct ws_cfg *cfg = cfgv;
    struct ws_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->cfg = cfg;
    st->slot_ns = cfg->window_ns / WS_SLOTS;
    if (st->slot_ns == 0)
        st->slot_ns = 1;
    /* A pair's first transaction alone reports nothing unless one 4xx is a burst. */
    bool two_stage = cfg->min_4xx > 1;
    size_t first_cap = two_stage ? cfg->memcap / 4 : 0;
    st->pairs = dtr_table_new(d, "webscan", cfg->memcap - first_cap, sizeof(struct ws_pair),
                              sizeof(struct ws_key), ws_stale);
    if (two_stage)
        st->firsts = dtr_table_new(d, "webscan.first", first_cap, sizeof(struct ws_first),
                                   sizeof(struct ws_key), ws_first_stale);
    if (!st->pairs || (two_stage && !st->firsts)) {
        snprintf(err, errlen, "detectors.webscan.memcap %zu is too small for the table",
                 cfg->memcap);
        mm_lru_free(st->pairs);
        mm_lru_free(st->firsts);
        free(st);
        return NULL;
    }
    return st;
}

static void ws_fini(void *stv)
{
    struct ws_state *st = stv;
    if (!st)
        return;
    mm_lru_free(st->pairs);
    mm_lru_free(st->firsts);
    free(st);
}

static uint32_t ws_hash_path(const struct http_str *s)
{
    /* FNV-1a over the path, stopping at the query: /a?x=1 and /a?x=2 are one path. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s->len && s->p[i] != '?'; i++)
        h = (h ^ s->p[i]) * 16777619u;
    return h;
}

/* Keep b as an example in ex[] (n used of max) unless it is there already, ex is full or the
 * pair's arena has no room left for it (later examples are then not kept). */
static void ws_keep_example(struct ws_pair *p, struct ws_example *ex, uint8_t *n, size_t max,
                            const uint8_t *b, size_t len)
{
    if (*n >= max || !b)
        return;
    size_t l = len < WS_EX_LEN ? len : WS_EX_LEN;
    for (size_t i = 0; i < *n; i++)
        if (ex[i].len == l && memcmp(p->ex_arena + ex[i].off, b, l) == 0)
            return;
    if (l > WS_EX_ARENA - (size_t)p->ex_used)
        return;
    memcpy(p->ex_arena + p->ex_used, b, l);
    ex[*n].off = p->ex_used;
    ex[*n].len = (uint8_t)l;
    p->ex_used = (uint16_t)(p->ex_used + l);
    (*n)++;
}

static void ws_ev_examples(struct jb *jb, const char *key, const struct ws_pair *p,
                           const struct ws_example *ex, size_t n)
{
    jb_open_array(jb, key);
    for (size_t i = 0; i < n; i++)
        jb_string_bytes(jb, NULL, p->ex_arena + ex[i].off, ex[i].len);
    jb_close_array(jb);
}

/* Sums of the slices inside the window ending at the newest slice. */
static struct ws_slot ws_window(const struct ws_pair *p)
{
    struct ws_slot w;
    memset(&w, 0, sizeof w);
    for (size_t i = 0; i < WS_SLOTS; i++) {
        const struct ws_slot *s = &p->slot[i];
        if (s->epoch + WS_SLOTS <= p->newest_epoch || s->epoch > p->newest_epoch)
            continue;
        w.requests += s->requests;
        w.responses += s->responses;
        w.c4xx += s->c4xx;
        w.new_paths += s->new_paths;
        w.referer += s->referer;
    }
    return w;
}

/* One report of variant sig; f is the flow of the transaction that triggered it, NULL for a
 * closing report (the flows have ended by then). */
static void ws_report(struct ws_state *st, struct dtr *d, struct ws_pair *p, const struct flow *f,
                      uint64_t ts_ns, size_t sig, bool update, bool final, const struct ws_slot *w)
{
    const struct ws_cfg *c = st->cfg;
    int ipv = p->k.ip_ver;
    struct mm_addr cli, srv;
    memcpy(cli.b, p->k.client, sizeof cli.b);
    memcpy(srv.b, p->k.server, sizeof srv.b);

    struct jb *jb = dtr_alert_begin(d);
    dtr_ev_ip(jb, "client", &cli, ipv);
    dtr_ev_ip(jb, "server", &srv, ipv);
    if (!p->multi_port)
        jb_uint(jb, "server_port", p->dport);
    jb_uint(jb, "requests", p->requests);
    jb_open_object(jb, "responses");
    static const char *const names[6] = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (size_t i = 1; i < 6; i++)
        jb_uint(jb, names[i], p->cls[i]);
    jb_uint(jb, names[0], p->cls[0]);
    jb_close_object(jb);
    uint64_t answered = p->requests - p->cls[0];
    jb_double(jb, "ratio_4xx", answered ? (double)p->cls[4] / (double)answered : 0.0, 3);
    jb_uint(jb, "distinct_paths", (uint64_t)p->paths_base + dtr_distinct_count(&p->paths));
    jb_bool(jb, "distinct_paths_estimated",
            p->paths_base > 0 || p->paths.n_exact >= DTR_DISTINCT_EXACT);
    ws_ev_examples(jb, "paths_2xx", p, p->ex2, p->n_ex2);
    ws_ev_examples(jb, "paths_4xx", p, p->ex4, p->n_ex4);
    ws_ev_examples(jb, "user_agents", p, p->ua, p->n_ua);
    dtr_ev_ts(jb, "first_seen", p->first_ns);
    dtr_ev_ts(jb, "last_seen", p->last_ns);
    dtr_ev_secs(jb, "duration_s", p->last_ns - p->first_ns);
    dtr_ev_secs(jb, "window_s", c->window_ns);
    jb_open_object(jb, "in_window");
    jb_uint(jb, "requests", w->requests);
    jb_uint(jb, "responses", w->responses);
    jb_uint(jb, "4xx", w->c4xx);
    jb_uint(jb, "new_paths", w->new_paths);
    jb_uint(jb, "with_referer", w->referer);
    jb_close_object(jb);
    jb_open_object(jb, "thresholds");
    if (sig == WS_SIG_4XX_BURST) {
        jb_uint(jb, "min_4xx", c->min_4xx);
        jb_double(jb, "min_4xx_ratio", c->min_4xx_ratio, 3);
    } else {
        jb_uint(jb, "min_distinct_uris", c->min_distinct);
        jb_double(jb, "max_referer_ratio", c->max_referer_ratio, 3);
    }
    jb_close_object(jb);
    if (final)
        jb_bool(jb, "final", true);
    p->rep_requests[sig] = p->requests;

    struct dtr_alert_args a;
    memset(&a, 0, sizeof a);
    a.sig = sig;
    a.flow = f;
    a.ts_ns = ts_ns;
    a.src = cli;
    a.dst = srv;
    a.ip_ver = (uint8_t)ipv;
    a.proto = p->proto;
    a.dport = p->multi_port ? 0 : p->dport;
    a.app_proto = APP_PROTO_HTTP;
    a.update = update;
    dtr_alert_emit(d, &a);
}

/* The activity of p has ended: a closing update of every variant reported and grown since. */
static void ws_close(struct ws_state *st, struct dtr *d, struct ws_pair *p, uint64_t now_ns)
{
    if (!st->cfg->final_report)
        return;
    /* The window is summed only for a pair that reported: most pairs end without a report,
     * and their twelve slices are cold by then. */
    struct ws_slot w;
    bool have_w = false;
    for (size_t v = 0; v < WS_N_SIGS; v++) {
        struct dtr_report *r = &p->rep[v];
        if (!r->reports || p->requests <= p->rep_requests[v])
            continue;
        if (!have_w) {
            w = ws_window(p);
            have_w = true;
        }
        r->last_ns = now_ns;
        r->reports++;
        ws_report(st, d, p, NULL, now_ns, v, true, true, &w);
    }
}

/* Start a new activity for the pair (first transaction, or after idle-timeout). */
static void ws_reset(struct ws_pair *p)
{
    struct ws_key k = p->k;
    memset(p, 0, sizeof *p);
    p->k = k;
}

/*
 * One transaction of the pair p: counts, window slice, examples, and (report) the reports it
 * makes due. f is the transaction's flow (for the alert); a replayed first transaction passes
 * report false, as it could report nothing then (see ws_init).
 */
static void ws_apply(struct ws_state *st, struct dtr *d, struct ws_pair *p, const struct flow *f,
                     const struct ws_txn *x, bool report)
{
    const struct ws_cfg *c = st->cfg;
    uint64_t ts_ns = x->ts_ns;
    if (!p->requests) {
        p->first_ns = ts_ns;
        p->dport = x->sport;
        p->proto = x->proto;
    } else if (x->sport != p->dport) {
        p->multi_port = true;
    }
    if (ts_ns > p->last_ns)
        p->last_ns = ts_ns;
    if (ts_ns < p->first_ns)
        p->first_ns = ts_ns;
    p->expire_ns = mm_sat_add(p->last_ns, c->idle_ns);
    p->requests++;

    int status = x->status;
    size_t cls = status >= 100 && status <= 599 ? (size_t)(status / 100) : 0;
    if (p->cls[cls] < UINT32_MAX)
        p->cls[cls]++;

    /* New paths are counted by the growth of the estimate, not by "a fresh sketch bit":
     * the estimate corrects for the bits two paths share. */
    uint32_t new_paths = 0;
    if (x->has_path) {
        if (p->paths.sketch_set >= WS_SKETCH_FULL) {
            /* Saturated: keep the count, start a new generation. Paths of the old one may be
             * counted once more as new; only scans of thousands of paths get here. */
            p->paths_base += dtr_distinct_count(&p->paths);
            memset(&p->paths, 0, sizeof p->paths);
        }
        uint32_t before = dtr_distinct_count(&p->paths);
        if (dtr_distinct_add(&p->paths, x->path_hash)) {
            uint32_t after = dtr_distinct_count(&p->paths);
            new_paths = after > before ? after - before : 0;
        }
    }
    if (cls == 2)
        ws_keep_example(p, p->ex2, &p->n_ex2, WS_EX_N, x->path, x->path_len);
    else if (cls == 4)
        ws_keep_example(p, p->ex4, &p->n_ex4, WS_EX_N, x->path, x->path_len);
    if (x->ua)
        ws_keep_example(p, p->ua, &p->n_ua, WS_UA_N, x->ua, x->ua_len);

    /* The window slice of this transaction; one older than the window only counts in the
     * totals (transactions of parallel connections arrive slightly out of order). */
    uint64_t epoch = ts_ns / st->slot_ns;
    if (epoch > p->newest_epoch)
        p->newest_epoch = epoch;
    if (epoch + WS_SLOTS > p->newest_epoch) {
        struct ws_slot *s = &p->slot[epoch % WS_SLOTS];
        if (s->epoch != epoch) {
            memset(s, 0, sizeof *s);
            s->epoch = epoch;
        }
        s->requests++;
        if (cls)
            s->responses++;
        if (cls == 4)
            s->c4xx++;
        s->new_paths += new_paths;
        if (x->referer)
            s->referer++;
    }
    if (new_paths && p->new_paths_sum <= UINT32_MAX - new_paths)
        p->new_paths_sum += new_paths;
    else if (new_paths)
        p->new_paths_sum = UINT32_MAX;
    if (!report)
        return;
    /* The window holds part of the activity: when the activity's totals are below both
     * thresholds, so are the window's sums, and the slices need not be added up (most
     * pairs make a few requests). */
    if (p->cls[4] < c->min_4xx && p->new_paths_sum < c->min_distinct)
        return;

    struct ws_slot w = ws_window(p);
    bool burst = w.c4xx >= c->min_4xx && w.responses &&
                 (double)w.c4xx >= c->min_4xx_ratio * (double)w.responses;
    bool sweep = w.new_paths >= c->min_distinct &&
                 (double)w.referer <= c->max_referer_ratio * (double)w.requests;
    if (burst) {
        enum dtr_due due = dtr_report_due(d, &p->rep[WS_SIG_4XX_BURST], ts_ns);
        if (due != DTR_DUE_NO)
            ws_report(st, d, p, f, ts_ns, WS_SIG_4XX_BURST, due == DTR_DUE_UPDATE, false, &w);
    }
    if (sweep) {
        enum dtr_due due = dtr_report_due(d, &p->rep[WS_SIG_URI_SWEEP], ts_ns);
        if (due != DTR_DUE_NO)
            ws_report(st, d, p, f, ts_ns, WS_SIG_URI_SWEEP, due == DTR_DUE_UPDATE, false, &w);
    }
}

/* Keep a pair's first transaction (w is its entry, new or taken over). */
static void ws_first_keep(struct ws_state *st, struct ws_first *w, const struct ws_txn *x)
{
    w->expire_ns = mm_sat_add(x->ts_ns, st->cfg->idle_ns);
    w->ts_ns = x->ts_ns;
    w->status = (uint16_t)(x->status >= 0 && x->status <= UINT16_MAX ? x->status : 0);
    w->sport = x->sport;
    w->proto = x->proto;
    w->referer = x->referer;
    w->has_path = x->has_path;
    w->path_hash = x->path_hash;
    w->path_len = (uint8_t)(x->path ? MM_MIN(x->path_len, (size_t)WS_EX_LEN) : 0);
    if (w->path_len)
        memcpy(w->path, x->path, w->path_len);
    w->has_ua = x->ua != NULL;
    w->ua_len = (uint8_t)(x->ua ? MM_MIN(x->ua_len, (size_t)WS_EX_LEN) : 0);
    if (w->ua_len)
        memcpy(w->ua, x->ua, w->ua_len);
}

/* The kept first transaction as ws_apply takes it. */
static void ws_first_txn(const struct ws_first *w, struct ws_txn *x)
{
    memset(x, 0, sizeof *x);
    x->ts_ns = w->ts_ns;
    x->status = w->status;
    x->sport = w->sport;
    x->proto = w->proto;
    x->referer = w->referer;
    x->has_path = w->has_path;
    x->path_hash = w->path_hash;
    x->path = w->has_path ? w->path : NULL;
    x->path_len = w->path_len;
    x->ua = w->has_ua ? w->ua : NULL;
    x->ua_len = w->ua_len;
}

static void ws_record(void *stv, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    (void)dir;
    if (kind != APP_REC_HTTP || !f || !rec)
        return;
    const struct http_tx *tx = rec;
    if (tx->flags & HTTP_TX_NO_REQUEST)
        return; /* a response without a request says nothing about the client */
    struct ws_state *st = stv;

    const struct http_str *path = tx->uri_norm.p ? &tx->uri_norm : &tx->uri;
    struct ws_txn x = {
        .ts_ns = ts_ns,
        .status = tx->status,
        .sport = flow_server_port(f),
        .proto = f->key.proto,
        .referer = tx->referer.p != NULL,
        .has_path = path->p != NULL,
        .path_hash = path->p ? ws_hash_path(path) : 0,
        .path = path->p,
        .path_len = path->len,
        .ua = tx->user_agent.p,
        .ua_len = tx->user_agent.len,
    };

    struct ws_key key;
    memset(&key, 0, sizeof key);
    memcpy(key.client, flow_client_addr(f), sizeof key.client);
    memcpy(key.server, flow_server_addr(f), sizeof key.server);
    key.ip_ver = f->key.ip_ver;
    struct ws_pair *p = mm_lru_lookup(st->pairs, &key);
    if (p) {
        mm_lru_touch(st->pairs, p);
        if (ts_ns > p->expire_ns) {
            /* Ended, and not yet swept by the tick: close it before starting anew. */
            ws_close(st, d, p, ts_ns);
            ws_reset(p);
        }
        ws_apply(st, d, p, f, &x, true);
        return;
    }
    struct ws_first *w = NULL;
    if (st->firsts) {
        w = mm_lru_lookup(st->firsts, &key);
        if (!w || ts_ns > w->expire_ns) {
            /* The pair's first transaction (or the first of a new activity: the kept one has
             * ended, and reported nothing). */
            if (!w)
                w = mm_lru_insert(st->firsts, &key, ts_ns);
            else
                mm_lru_touch(st->firsts, w);
            if (w)
                ws_first_keep(st, w, &x);
            return; /* not even one entry fits: counted by the table */
        }
    }
    p = mm_lru_insert(st->pairs, &key, ts_ns);
    if (!p)
        return; /* not even one entry fits: counted by the table */
    if (w) {
        struct ws_txn first;
        ws_first_txn(w, &first);
        ws_apply(st, d, p, f, &first, false);
        mm_lru_remove(st->firsts, w);
    }
    ws_apply(st, d, p, f, &x, true);
}

/* Close and drop the pairs whose activity has ended (all of them with `all`). The oldest
 * entry of the table is the least recently active pair, so the sweep stops at the first one
 * still active; bounded per call unless `all`. */
static void ws_sweep(struct ws_state *st, struct dtr *d, uint64_t now_ns, bool all)
{
    for (unsigned n = 0; all || n < WS_SWEEP_PER_TICK; n++) {
        struct ws_pair *p = mm_lru_oldest(st->pairs);
        if (!p || (!all && now_ns <= p->expire_ns))
            break;
        ws_close(st, d, p, now_ns);
        mm_lru_remove(st->pairs, p);
    }
}

/* Drop the kept first transactions whose activity has ended (all with `all`): they reported
 * nothing, so nothing is written. Oldest first, bounded per call unless `all`. */
static void ws_sweep_firsts(struct ws_state *st, uint64_t now_ns, bool all)
{
    if (!st->firsts)
        return;
    for (unsigned n = 0; all || n < WS_SWEEP_PER_TICK; n++) {
        struct ws_first *w = mm_lru_oldest(st->firsts);
        if (!w || (!all && now_ns <= w->expire_ns))
            break;
        mm_lru_remove(st->firsts, w);
    }
}

static void ws_tick(void *stv, struct dtr *d, uint64_t now_ns)
{
    ws_sweep(stv, d, now_ns, false);
    ws_sweep_firsts(stv, now_ns, false);
}

static void ws_finish(void *stv, struct dtr *d, uint64_t now_ns)
{
    ws_sweep(stv, d, now_ns, true);
    ws_sweep_firsts(stv, now_ns, true);
}

static void ws_stats(const void *stv, struct dtr_det_stats *out)
{
    const struct ws_state *st = stv;
    mm_lru_t *const tables[] = {st->pairs, st->firsts};
    dtr_table_stats(out, tables, st->firsts ? 2 : 1);
}

const struct dtr_ops dt_webscan_ops = {
    .name = "webscan",
    .threat = "T3",
    .summary = "web scanners by behaviour: bursts of 4xx answers and sweeps of distinct URIs "
               "from one client to one server",
    .sid_base = 3001,
    .sigs = ws_sigs,
    .n_sigs = WS_N_SIGS,
    .params = ws_params,
    .n_params = MM_ARRAY_LEN(ws_params),
    .cfg_size = sizeof(struct ws_cfg),
    .init = ws_init,
    .fini = ws_fini,
    .record = ws_record,
    .tick = ws_tick,
    .finish = ws_finish,
    .stats = ws_stats,
};
