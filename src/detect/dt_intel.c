/*
 * T1 threat-intel matching: traffic of an internal host with something a threat-intel list
 * names. The lists (intel_list.h) are loaded at start from dtr_config.intel_files and again
 * on reload (a new set built beside the old one, swapped on success).
 *
 * What is compared, and when (each at most once per flow or record, never per packet):
 *   - flow endpoints: at a flow's first packet, each endpoint outside HOME_NET against the
 *     IPv4/IPv6 radix trees (longest prefix first; an entry with a port, as Feodo Tracker's,
 *     matches only that port of the listed host); with a GeoIP ASN database, its autonomous
 *     system against ASN-DROP entries;
 *   - DNS: query names, answer owner names and CNAME/DNAME targets, walking parent domains;
 *   - TLS: SNI (parent domains too), client JA3 and JA4, the server certificate's SHA-1;
 *   - HTTP: Host (parent domains too) and the request URL.
 *
 * The alert names the internal host first (src) and the listed peer (dst); for a DNS, TLS or
 * HTTP sighting those are the flow's client and server. One alert per (internal host,
 * indicator); later sightings are counted and re-reported at most every update interval;
 * a pair quiet for forget-after starts afresh. Pairs live in an mm_lru table under the
 * detector's memcap (oldest taken over, counted).
 *
 * Left out: matching addresses inside DNS answers (the connection that follows is
 * matched), certificates other than the server's first, URL lists against HTTPS (the path
 * is encrypted).
 */
#include "detect/dtr_int.h"
#include "detect/intel_list.h"

#include "app/dns_rec.h"
#include "app/http.h"
#include "app/tls.h"
#include "core/log.h"
#include "core/mm.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Signatures (sid 1001 + index). */
enum {
    SIG_IP = 0,
    SIG_IP_INBOUND,
    SIG_DNS,
    SIG_SNI,
    SIG_HTTP_HOST,
    SIG_URL,
    SIG_JA3,
    SIG_JA4,
    SIG_CERT,
    SIG_ASN,
    SIG_COUNT
};

static const struct dtr_sig dt_intel_sigs[SIG_COUNT] = {
    [SIG_IP] = {"ip", "MAMORI T1 connection to a listed malicious IP address", "trojan-activity",
                1},
    /* Inbound contact from a listed address is mostly scanning or spam: the internal host
     * is the target, not (yet) the infected one. */
    [SIG_IP_INBOUND] = {"ip-inbound", "MAMORI T1 connection from a listed malicious IP address",
                        "misc-attack", 2},
    [SIG_DNS] = {"dns", "MAMORI T1 DNS lookup of a listed malicious domain", "trojan-activity", 1},
    [SIG_SNI] = {"sni", "MAMORI T1 TLS connection to a listed malicious domain (SNI)",
                 "trojan-activity", 1},
    [SIG_HTTP_HOST] = {"http-host", "MAMORI T1 HTTP request to a listed malicious host",
                       "trojan-activity", 1},
    [SIG_URL] = {"url", "MAMORI T1 HTTP request for a listed malware URL", "trojan-activity", 1},
    /* A JA3/JA4 names a TLS library and its settings, which legitimate software may share:
     * abuse.ch itself warns of false positives, hence priority 2. */
    [SIG_JA3] = {"ja3", "MAMORI T1 TLS client fingerprint (JA3) of listed malware",
                 "trojan-activity", 2},
    [SIG_JA4] = {"ja4", "MAMORI T1 TLS client fingerprint (JA4) of listed malware",
                 "trojan-activity", 2},
    [SIG_CERT] = {"cert", "MAMORI T1 TLS server certificate on a blocklist (SHA-1)",
                  "trojan-activity", 1},
    [SIG_ASN] = {"asn", "MAMORI T1 connection to a network on a listed autonomous system",
                 "bad-unknown", 2},
};

/* Where an indicator was seen (evidence "seen_in", "sightings_by"). */
enum where {
    W_FLOW = 0,
    W_DNS_QUERY,
    W_DNS_ANSWER,
    W_SNI,
    W_HTTP_HOST,
    W_URL,
    W_JA3,
    W_JA4,
    W_CERT,
    W_ASN,
    W_COUNT
};

static const char *const where_names[W_COUNT] = {
    "flow",     "dns_query", "dns_answer", "tls_sni",  "http_host",
    "http_url", "tls_ja3",   "tls_ja4",    "tls_cert", "flow_asn",
};

struct dt_intel_cfg {
    size_t memcap;
    uint64_t max_entries;
    size_t max_memory;
    uint64_t forget_after_ns;
    bool inbound;
    bool dns_answers;
    uint64_t forward_window_ns;
};

static const struct dtr_param dt_intel_params[] = {
    {"memcap", DTR_P_SIZE, offsetof(struct dt_intel_cfg, memcap), "8mb", 64 * 1024, 1e12,
     "memory for the (internal host, indicator) pairs already reported (about 740 bytes "
     "each: 8 MiB holds ~10,000 pairs) and, a sixteenth of it, the DNS forwarding table"},
    {"max-entries", DTR_P_U64, offsetof(struct dt_intel_cfg, max_entries), "1000000", 1, 1e9,
     "indicators kept over all lists; more are counted and dropped (1M is ~100 MB worst case "
     "and ten times the largest public feeds in common use)"},
    {"max-memory", DTR_P_SIZE, offsetof(struct dt_intel_cfg, max_memory), "256mb", 1024 * 1024,
     1e12,
     "memory for the loaded lists (trees, tables, texts); entries beyond it are dropped "
     "and counted; a reload needs this twice for a moment"},
    {"forget-after", DTR_P_DURATION, offsetof(struct dt_intel_cfg, forget_after_ns), "24h", 60,
     30 * 86400.0,
     "a (host, indicator) pair quiet this long is forgotten: the next sighting is a new alert "
     "(a day: a PC that calls its C2 again tomorrow is a new incident to look at)"},
    {"inbound", DTR_P_BOOL, offsetof(struct dt_intel_cfg, inbound), "yes", 0, 0,
     "also alert when a listed address opens the connection (sid 1002, priority 2): scanning "
     "and spam sources from DROP / compromised-host lists"},
    {"dns-answers", DTR_P_BOOL, offsetof(struct dt_intel_cfg, dns_answers), "yes", 0, 0,
     "also match names in DNS answers (owner names, CNAME/DNAME targets), which catches a "
     "listed name reached through an unlisted alias"},
    {"forward-window", DTR_P_DURATION, offsetof(struct dt_intel_cfg, forward_window_ns), "10s", 0,
     3600,
     "an internal DNS server asking for a listed name this soon after an internal client "
     "asked it for the same name is forwarding that query: the client is reported, not the "
     "server; so is one that answered other internal hosts within forget-after (resolvers "
     "answer from upstream within a few seconds; 0 turns both off)"},
};

/* Key of a reported pair: the internal host and a hash of the indicator. Every byte is
 * written (padding included): the table compares keys byte for byte. */
struct dt_intel_key {
    uint8_t host[16];
    uint64_t ind;
    uint8_t ip_ver;
    uint8_t kind;
    uint8_t pad[6];
};

/* Indicator text kept per pair for the report at the end of input; longer ones (URLs) are
 * cut there (the alerts before carry them whole). */
#define DT_INTEL_IND_KEEP 128

struct dt_intel_pair {
    struct dt_intel_key k;
    uint64_t expire_ns; /* last sighting + forget-after: stale after this */
    struct dtr_report rep;
    uint64_t first_ns, last_ns;
    uint32_t sightings;
    uint32_t reported; /* sightings at the latest report */
    uint32_t by_where[W_COUNT];
    uint8_t sig;
    /* The latest sighting, for the report at the end of input. */
    uint8_t where;
    bool inbound;
    uint8_t n_entries;
    uint32_t entries[4];
    uint32_t gen; /* list generation the entries belong to */
    struct mm_addr peer;
    uint16_t host_port, peer_port;
    uint8_t proto;
    char ind[DT_INTEL_IND_KEEP];
    struct dtr_distinct peers; /* distinct peers (flows) or servers (records) */
    struct dtr_distinct names; /* distinct names seen under a listed domain */
};

/*
 * Internal DNS resolvers, so that their upstream lookups are not taken for an infected
 * host's (the client behind them is reported instead):
 *   FWD_ASKED     a listed name an internal client asked this internal server for (ind =
 *                 the indicator's hash): its own lookup of that name within forward-window
 *                 is forwarding;
 *   FWD_RESOLVER  this internal host answered another internal host's DNS query (ind 0): all
 *                 its lookups are forwarded ones for forget-after.
 */
enum { FWD_ASKED = 1, FWD_RESOLVER = 2 };

struct dt_intel_fwd_key {
    uint8_t resolver[16];
    uint64_t ind;
    uint8_t ip_ver;
    uint8_t type;
    uint8_t pad[6];
};

struct dt_intel_fwd {
    struct dt_intel_fwd_key k;
    uint64_t ts_ns; /* the client's query, or the resolver's latest answer */
};

/* The forwarding table takes a sixteenth of the memcap: it only has to cover
 * forward-window's worth of listed lookups. */
#define DT_INTEL_FWD_SHARE 16u

struct dt_intel {
    const struct dt_intel_cfg *cfg;
    intel_set_t *set;
    bool has_ip, has_asn, has_domain, has_url, has_ja3, has_ja4, has_sha1;
    mm_lru_t *pairs;
    mm_lru_t *fwd;
    uint32_t gen; /* bumped by every reload: entry ids of an older set mean nothing */
};

/* One sighting of a listed indicator, as the matchers hand it to report(). */
struct hit {
    enum where where;
    int sig;
    const struct flow *f;
    uint64_t ts_ns;
    struct mm_addr host, peer;
    uint8_t ip_ver;
    uint16_t host_port, peer_port;
    bool inbound; /* flow matches: the listed peer opened the connection */
    enum intel_kind kind;
    const char *observed; /* the name the traffic held (domain kinds), else NULL */
    size_t observed_len;
    uint32_t entries[4]; /* the matching entries (lists) */
    size_t n_entries;
    int app_proto;
    enum app_record_kind rec_kind;
    const void *rec;
    /* Last, so that clearing everything before it is cheap. */
    char indicator[INTEL_KEY_MAX + 64]; /* listed text: "203.0.113.0/24", "evil.example" */
};

/* --- lists ------------------------------------------------------------------------------- */

static void log_set(const intel_set_t *set, const char *what, double ms)
{
    for (size_t i = 0; i < intel_set_n_files(set); i++) {
        const struct intel_file_info *fi = intel_set_file(set, i);
        char kinds[256] = "";
        size_t w = 0;
        for (int k = 0; k < INTEL_KIND_COUNT; k++) {
            if (!fi->by_kind[k] || w >= sizeof kinds)
                continue;
            int n =
                snprintf(kinds + w, sizeof kinds - w, "%s%s %llu", w ? ", " : "",
                         intel_kind_name((enum intel_kind)k), (unsigned long long)fi->by_kind[k]);
            if (n > 0)
                w += (size_t)n;
        }
        log_info("intel: %s: %s (%s), %llu entries%s%s%s", fi->path, fi->list_name, fi->format,
                 (unsigned long long)fi->entries, w ? " (" : "", kinds, w ? ")" : "");
        if (!fi->entries)
            log_warn("intel: %s: no indicators found in %llu lines", fi->path,
                     (unsigned long long)fi->lines);
        if (fi->skipped || fi->too_long)
            log_warn("intel: %s: %llu lines not understood and %llu longer than %u bytes "
                     "skipped (first at line %u)",
                     fi->path, (unsigned long long)fi->skipped, (unsigned long long)fi->too_long,
                     INTEL_MAX_LINE, fi->first_skipped);
        if (fi->dropped)
            log_warn("intel: %s: %llu entries dropped (max-entries, max-memory or more than %u "
                     "entries for one indicator)",
                     fi->path, (unsigned long long)fi->dropped, INTEL_MAX_PER_INDICATOR);
    }
    log_info("intel: %s %llu indicators from %zu lists in %.1f ms, %.1f MiB", what,
             (unsigned long long)intel_set_entries(set), intel_set_n_files(set), ms,
             (double)intel_set_memuse(set) / (1024.0 * 1024.0));
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* A set with every configured list, or NULL with err. */
static intel_set_t *load_lists(const struct dt_intel_cfg *cfg, const struct dtr_config *hc,
                               const char *what, char *err, size_t errlen)
{
    double t0 = now_ms();
    intel_set_t *set = intel_set_new(cfg->max_entries, cfg->max_memory);
    if (!set) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < hc->n_intel && i < DTR_MAX_INTEL; i++) {
        if (intel_set_load_file(set, hc->intel_files[i], err, errlen) != 0) {
            intel_set_free(set);
            return NULL;
        }
    }
    if (hc->n_intel)
        log_set(set, what, now_ms() - t0);
    return set;
}

static void use_set(struct dt_intel *st, intel_set_t *set)
{
    intel_set_free(st->set);
    st->set = set;
    st->has_ip = intel_set_entries_kind(set, INTEL_IP) > 0;
    st->has_asn = intel_set_entries_kind(set, INTEL_ASN) > 0;
    st->has_domain = intel_set_entries_kind(set, INTEL_DOMAIN) > 0;
    st->has_url = intel_set_entries_kind(set, INTEL_URL) > 0;
    st->has_ja3 = intel_set_entries_kind(set, INTEL_JA3) > 0;
    st->has_ja4 = intel_set_entries_kind(set, INTEL_JA4) > 0;
    st->has_sha1 = intel_set_entries_kind(set, INTEL_SHA1) > 0;
}

/* --- reporting ------------------------------------------------------------------------------ */

static bool dt_intel_stale(const void *entry, uint64_t now_ns)
{
    const struct dt_intel_pair *pr = entry;
    return now_ns >= pr->expire_ns;
}

static uint64_t hash_text(const char *s, size_t n, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c + 32);
        h = (h ^ c) * 0x100000001b3ull;
    }
    return h;
}

static void ev_entries(struct dt_intel *st, struct jb *jb, const uint32_t *ids, size_t n)
{
    jb_open_array(jb, "lists");
    for (size_t i = 0; i < n; i++) {
        const struct intel_entry *e = intel_entry_get(st->set, ids[i]);
        const struct intel_file_info *fi = e ? intel_set_file(st->set, e->file) : NULL;
        if (!fi)
            continue;
        const char *reason = intel_str(st->set, e->reason);
        char label[320];
        if (reason[0])
            snprintf(label, sizeof label, "%s: %s", fi->list_name, reason);
        else
            snprintf(label, sizeof label, "%s", fi->list_name);
        jb_open_object(jb, NULL);
        jb_string(jb, "label", label);
        jb_string(jb, "list", fi->name);
        jb_string(jb, "list_name", fi->list_name);
        jb_uint(jb, "line", e->line);
        if (reason[0])
            jb_string(jb, "reason", reason);
        if (e->port)
            jb_uint(jb, "port", e->port);
        jb_close_object(jb);
    }
    jb_close_array(jb);
}

/* Write the alert about pair pr: the latest sighting h (NULL for the report at the end of
 * input, which speaks from what the pair kept). */
static void emit(struct dt_intel *st, struct dtr *d, struct dt_intel_pair *pr, const struct hit *h,
                 bool update, uint64_t ts_ns)
{
    struct mm_addr host;
    memcpy(host.b, pr->k.host, 16);
    int ipv = pr->k.ip_ver;
    enum intel_kind kind = (enum intel_kind)pr->k.kind;
    struct jb *jb = dtr_alert_begin(d);
    jb_string(jb, "indicator", h ? h->indicator : pr->ind);
    jb_string(jb, "indicator_type", intel_kind_name(kind));
    if (h && h->observed)
        jb_string_bytes(jb, "observed", (const uint8_t *)h->observed, h->observed_len);
    jb_string(jb, "seen_in", where_names[pr->where < W_COUNT ? pr->where : 0]);
    if (pr->gen == st->gen)
        ev_entries(st, jb, pr->entries, pr->n_entries);
    dtr_ev_ip(jb, "internal_host", &host, ipv);
    jb_bool(jb, "internal_host_in_home_net", dtr_is_internal(d, &host, ipv));
    dtr_ev_ip(jb, "peer", &pr->peer, ipv);
    if (pr->peer_port)
        jb_uint(jb, "peer_port", pr->peer_port);
    if (pr->where == W_FLOW || pr->where == W_ASN)
        jb_string(jb, "direction", pr->inbound ? "inbound" : "outbound");
    jb_uint(jb, "sightings", pr->sightings);
    jb_open_object(jb, "sightings_by");
    for (int w = 0; w < W_COUNT; w++)
        if (pr->by_where[w])
            jb_uint(jb, where_names[w], pr->by_where[w]);
    jb_close_object(jb);
    jb_uint(jb, "distinct_peers", dtr_distinct_count(&pr->peers));
    if (kind == INTEL_DOMAIN)
        jb_uint(jb, "distinct_names", dtr_distinct_count(&pr->names));
    dtr_ev_ts(jb, "first_seen", pr->first_ns);
    dtr_ev_ts(jb, "last_seen", pr->last_ns);
    dtr_ev_secs(jb, "duration_s", pr->last_ns - pr->first_ns);
    if (!h)
        jb_bool(jb, "end_of_input", true);
    pr->reported = pr->sightings;
    struct dtr_alert_args a = {
        .sig = pr->sig < SIG_COUNT ? pr->sig : 0,
        .flow = h ? h->f : NULL,
        .ts_ns = ts_ns,
        .src = host,
        .dst = pr->peer,
        .ip_ver = (uint8_t)ipv,
        .proto = pr->proto,
        .sport = pr->host_port,
        .dport = pr->peer_port,
        .app_proto = h ? h->app_proto : 0,
        .update = update,
        .rec_kind = h ? h->rec_kind : APP_REC_DNS,
        .rec = h ? h->rec : NULL,
    };
    dtr_alert_emit(d, &a);
}

/* Count a sighting of h for its internal host; alert when it is the first, or when an
 * update is due. */
static void report(struct dt_intel *st, struct dtr *d, struct hit *h)
{
    if (!h->n_entries)
        return;
    struct dt_intel_key key;
    memset(&key, 0, sizeof key);
    memcpy(key.host, h->host.b, 16);
    key.ip_ver = h->ip_ver;
    key.kind = (uint8_t)h->kind;
    key.ind = hash_text(h->indicator, strlen(h->indicator), h->kind);
    struct dt_intel_pair *pr = mm_lru_lookup(st->pairs, &key);
    if (pr && h->ts_ns >= pr->expire_ns) {
        /* Quiet for forget-after: this is new activity. */
        memset((uint8_t *)pr + sizeof pr->k, 0, sizeof *pr - sizeof pr->k);
    }
    if (!pr) {
        pr = mm_lru_insert(st->pairs, &key, h->ts_ns);
        if (!pr)
            return; /* not even one entry fits the memcap: counted by the table */
    }
    mm_lru_touch(st->pairs, pr);
    if (!pr->sightings) {
        pr->first_ns = h->ts_ns;
        pr->sig = (uint8_t)h->sig;
    }
    if (h->ts_ns > pr->last_ns)
        pr->last_ns = h->ts_ns;
    pr->expire_ns = mm_sat_add(pr->last_ns, st->cfg->forget_after_ns);
    if (pr->sightings < UINT32_MAX)
        pr->sightings++;
    if (pr->by_where[h->where] < UINT32_MAX)
        pr->by_where[h->where]++;
    dtr_distinct_add(&pr->peers, dtr_addr_key32(&h->peer, h->ip_ver));
    if (h->observed)
        dtr_distinct_add(&pr->names, (uint32_t)hash_text(h->observed, h->observed_len, 0));
    pr->where = (uint8_t)h->where;
    pr->inbound = h->inbound;
    pr->n_entries = (uint8_t)MM_MIN(h->n_entries, MM_ARRAY_LEN(pr->entries));
    memcpy(pr->entries, h->entries, pr->n_entries * sizeof pr->entries[0]);
    pr->gen = st->gen;
    pr->peer = h->peer;
    pr->host_port = h->host_port;
    pr->peer_port = h->peer_port;
    pr->proto = h->f ? h->f->key.proto : 0;
    /* Indicators longer than the kept copy are cut (the evidence says which list matched). */
    size_t il = strnlen(h->indicator, sizeof pr->ind - 1);
    memcpy(pr->ind, h->indicator, il);
    pr->ind[il] = 0;

    enum dtr_due due = dtr_report_due(d, &pr->rep, h->ts_ns);
    if (due != DTR_DUE_NO)
        emit(st, d, pr, h, due == DTR_DUE_UPDATE, h->ts_ns);
}

/* Entries of the chain starting at first, those whose port fits (0 = any port). */
static size_t collect(const struct dt_intel *st, uint32_t first, uint16_t port, uint32_t *out,
                      size_t max)
{
    size_t n = 0;
    for (uint32_t i = first; i != INTEL_NONE && n < max;) {
        const struct intel_entry *e = intel_entry_get(st->set, i);
        if (!e)
            break;
        if (!e->port || e->port == port)
            out[n++] = i;
        i = e->next;
    }
    return n;
}

/* --- matchers ------------------------------------------------------------------------------ */

static void addr_of(struct mm_addr *a, const uint8_t *b)
{
    memcpy(a->b, b, 16);
}

/* The flow as a record sighting sees it: the client is the internal host. */
static void hit_from_flow(struct hit *h, const struct flow *f, uint64_t ts_ns)
{
    memset(h, 0, offsetof(struct hit, indicator));
    h->indicator[0] = 0;
    h->f = f;
    h->ts_ns = ts_ns;
    h->ip_ver = f->key.ip_ver;
    addr_of(&h->host, flow_client_addr(f));
    addr_of(&h->peer, flow_server_addr(f));
    h->host_port = flow_client_port(f);
    h->peer_port = flow_server_port(f);
}

/* One endpoint of a new flow: listed address (longest prefix whose entries fit the port),
 * else its autonomous system. */
static void check_endpoint(struct dt_intel *st, struct dtr *d, const struct flow *f, uint64_t ts_ns,
                           bool listed_is_server)
{
    struct mm_addr listed, other;
    addr_of(&listed, listed_is_server ? flow_server_addr(f) : flow_client_addr(f));
    addr_of(&other, listed_is_server ? flow_client_addr(f) : flow_server_addr(f));
    int ipv = f->key.ip_ver;
    if (dtr_is_internal(d, &listed, ipv))
        return;
    uint16_t lport = listed_is_server ? flow_server_port(f) : flow_client_port(f);
    uint16_t oport = listed_is_server ? flow_client_port(f) : flow_server_port(f);
    struct hit h;
    memset(&h, 0, offsetof(struct hit, indicator));
    h.f = f;
    h.ts_ns = ts_ns;
    h.ip_ver = (uint8_t)ipv;
    h.host = other;
    h.peer = listed;
    h.host_port = oport;
    h.peer_port = lport;
    h.inbound = !listed_is_server;
    if (st->has_ip) {
        struct intel_ip_match m[8];
        size_t n = intel_lookup_ip(st->set, listed.b, ipv, m, MM_ARRAY_LEN(m));
        for (size_t i = 0; i < n; i++) {
            h.n_entries = collect(st, m[i].entry, lport, h.entries, MM_ARRAY_LEN(h.entries));
            if (!h.n_entries)
                continue;
            struct mm_addr net;
            memcpy(net.b, m[i].net, 16);
            char a[64];
            dtr_addr_str(&net, ipv, a, sizeof a);
            unsigned full = ipv == 6 ? 128u : 32u;
            if (m[i].prefix == full)
                snprintf(h.indicator, sizeof h.indicator, "%s", a);
            else
                snprintf(h.indicator, sizeof h.indicator, "%s/%u", a, m[i].prefix);
            h.kind = INTEL_IP;
            h.where = W_FLOW;
            h.sig = h.inbound ? SIG_IP_INBOUND : SIG_IP;
            report(st, d, &h);
            return;
        }
    }
    if (st->has_asn && dtr_enrich(d)) {
        struct enrich_host eh;
        enrich_lookup(dtr_enrich(d), &listed, ipv, &eh);
        if (!eh.asn)
            return;
        h.n_entries =
            collect(st, intel_lookup_asn(st->set, eh.asn), 0, h.entries, MM_ARRAY_LEN(h.entries));
        snprintf(h.indicator, sizeof h.indicator, "AS%u", eh.asn);
        h.kind = INTEL_ASN;
        h.where = W_ASN;
        h.sig = SIG_ASN;
        report(st, d, &h);
    }
}

static void dt_intel_packet(void *vst, struct dtr *d, const struct flow *f, int dir,
                            const struct packet *p)
{
    (void)dir;
    struct dt_intel *st = vst;
    /* Once per flow, at its first packet. */
    if (!f || f->pkts[FLOW_TOSERVER] + f->pkts[FLOW_TOCLIENT] != 1 || (!st->has_ip && !st->has_asn))
        return;
    if (f->key.ip_ver != 4 && f->key.ip_ver != 6)
        return;
    check_endpoint(st, d, f, p->ts_ns, true);
    if (st->cfg->inbound)
        check_endpoint(st, d, f, p->ts_ns, false);
}

/*
 * Whether this DNS sighting (h->indicator asked by h->host) is an internal resolver
 * forwarding a client's query: true when a client asked h->host for the same listed name
 * within forward-window. Otherwise, when the server asked (h->peer) is internal, remember
 * that it was asked, for its own upstream query to come.
 */
static bool fwd_recent(struct dt_intel *st, const struct dt_intel_fwd_key *k, uint64_t now,
                       uint64_t window)
{
    const struct dt_intel_fwd *fw = mm_lru_lookup(st->fwd, k);
    return fw && now >= fw->ts_ns && now - fw->ts_ns <= window;
}

static void fwd_note(struct dt_intel *st, const struct dt_intel_fwd_key *k, uint64_t now)
{
    struct dt_intel_fwd *fw = mm_lru_lookup(st->fwd, k);
    if (!fw)
        fw = mm_lru_insert(st->fwd, k, now);
    if (fw) {
        fw->ts_ns = now;
        mm_lru_touch(st->fwd, fw);
    }
}

static bool dns_forwarded(struct dt_intel *st, struct dtr *d, const struct hit *h)
{
    if (!st->cfg->forward_window_ns)
        return false;
    struct dt_intel_fwd_key k;
    memset(&k, 0, sizeof k);
    k.ip_ver = h->ip_ver;
    memcpy(k.resolver, h->host.b, 16);
    k.type = FWD_RESOLVER;
    if (fwd_recent(st, &k, h->ts_ns, st->cfg->forget_after_ns))
        return true;
    k.type = FWD_ASKED;
    k.ind = hash_text(h->indicator, strlen(h->indicator), INTEL_DOMAIN);
    if (fwd_recent(st, &k, h->ts_ns, st->cfg->forward_window_ns))
        return true;
    if (h->where == W_DNS_QUERY && dtr_is_internal(d, &h->peer, h->ip_ver)) {
        memcpy(k.resolver, h->peer.b, 16);
        fwd_note(st, &k, h->ts_ns);
    }
    return false;
}

/* A DNS answer from an internal server to another internal host: the server is a
 * resolver. */
static void note_resolver(struct dt_intel *st, struct dtr *d, const struct hit *h)
{
    if (!st->cfg->forward_window_ns || !memcmp(h->host.b, h->peer.b, 16) ||
        !dtr_is_internal(d, &h->peer, h->ip_ver) || !dtr_is_internal(d, &h->host, h->ip_ver))
        return;
    struct dt_intel_fwd_key k;
    memset(&k, 0, sizeof k);
    k.ip_ver = h->ip_ver;
    memcpy(k.resolver, h->peer.b, 16);
    k.type = FWD_RESOLVER;
    fwd_note(st, &k, h->ts_ns);
}

static bool dt_intel_fwd_stale(const void *entry, uint64_t now_ns)
{
    (void)entry;
    (void)now_ns;
    /* Entries matter for seconds; an old one is never worth counting as an eviction. */
    return true;
}

/* A name (DNS, SNI, Host) against the domain lists. seen: the ids of chains already
 * reported for this record, so one message reports a domain once. */
static void check_name(struct dt_intel *st, struct dtr *d, struct hit *h, const char *name,
                       size_t len, enum where w, int sig, uint32_t *seen, size_t *n_seen,
                       size_t max_seen)
{
    if (!len)
        return;
    size_t off = 0;
    uint32_t first = intel_lookup_domain(st->set, name, len, &off);
    if (first == INTEL_NONE)
        return;
    for (size_t i = 0; i < *n_seen; i++)
        if (seen[i] == first)
            return;
    if (*n_seen < max_seen)
        seen[(*n_seen)++] = first;
    size_t ilen = len - off;
    if (ilen && name[len - 1] == '.')
        ilen--;
    if (ilen >= sizeof h->indicator)
        return;
    for (size_t i = 0; i < ilen; i++) {
        char c = name[off + i];
        h->indicator[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    h->indicator[ilen] = 0;
    h->where = w;
    if ((w == W_DNS_QUERY || w == W_DNS_ANSWER) && dns_forwarded(st, d, h))
        return;
    h->observed = name;
    h->observed_len = len;
    h->kind = INTEL_DOMAIN;
    h->sig = sig;
    h->n_entries = collect(st, first, 0, h->entries, MM_ARRAY_LEN(h->entries));
    report(st, d, h);
}

static void match_dns(struct dt_intel *st, struct dtr *d, const struct flow *f, uint64_t ts,
                      const struct app_dns_rec *r)
{
    const struct dns_msg *m = r->msg;
    if (!m || !st->has_domain)
        return;
    struct hit h;
    hit_from_flow(&h, f, ts);
    h.app_proto = APP_PROTO_DNS;
    h.rec_kind = APP_REC_DNS;
    h.rec = r;
    if (m->qr)
        note_resolver(st, d, &h);
    uint32_t seen[16];
    size_t n_seen = 0;
    /* A response repeats its query's question: count it only when the query was missed. */
    if (!m->qr || r->unmatched)
        for (size_t i = 0; i < m->n_questions && i < DNS_MAX_QUESTIONS; i++)
            check_name(st, d, &h, m->q[i].name, strnlen(m->q[i].name, DNS_NAME_TEXT_MAX),
                       W_DNS_QUERY, SIG_DNS, seen, &n_seen, MM_ARRAY_LEN(seen));
    if (!m->qr || !st->cfg->dns_answers)
        return;
    for (size_t i = 0; i < m->n_rrs && i < DNS_MAX_RRS; i++) {
        const struct dns_rr *rr = &m->rr[i];
        if (rr->section != 1)
            continue;
        check_name(st, d, &h, rr->name, strnlen(rr->name, DNS_NAME_TEXT_MAX), W_DNS_ANSWER, SIG_DNS,
                   seen, &n_seen, MM_ARRAY_LEN(seen));
        if (rr->type == 5 /* CNAME */ || rr->type == 39 /* DNAME */)
            check_name(st, d, &h, rr->rdata, strnlen(rr->rdata, DNS_RDATA_TEXT_MAX), W_DNS_ANSWER,
                       SIG_DNS, seen, &n_seen, MM_ARRAY_LEN(seen));
    }
}

/* An exact-key kind (JA3, JA4, certificate SHA-1, URL). */
static void check_key(struct dt_intel *st, struct dtr *d, struct hit *h, enum intel_kind k,
                      const char *key, size_t len, enum where w, int sig)
{
    uint32_t first = intel_lookup_key(st->set, k, key, len);
    if (first == INTEL_NONE || len >= sizeof h->indicator)
        return;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        h->indicator[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
    }
    h->indicator[len] = 0;
    h->observed = NULL;
    h->observed_len = 0;
    h->kind = k;
    h->where = w;
    h->sig = sig;
    h->n_entries = collect(st, first, 0, h->entries, MM_ARRAY_LEN(h->entries));
    report(st, d, h);
}

static void match_tls(struct dt_intel *st, struct dtr *d, const struct flow *f, uint64_t ts,
                      const struct tls_rec *r)
{
    struct hit h;
    hit_from_flow(&h, f, ts);
    h.app_proto = APP_PROTO_TLS;
    h.rec_kind = APP_REC_TLS;
    h.rec = r;
    uint32_t seen[1];
    size_t n_seen = 0;
    if (st->has_domain && r->has_sni)
        check_name(st, d, &h, (const char *)r->sni, MM_MIN(r->sni_len, TLS_SNI_MAX), W_SNI, SIG_SNI,
                   seen, &n_seen, 1);
    if (st->has_ja3 && r->ja3_hash[0])
        check_key(st, d, &h, INTEL_JA3, r->ja3_hash, strnlen(r->ja3_hash, sizeof r->ja3_hash),
                  W_JA3, SIG_JA3);
    if (st->has_ja4 && r->ja4[0])
        check_key(st, d, &h, INTEL_JA4, r->ja4, strnlen(r->ja4, sizeof r->ja4), W_JA4, SIG_JA4);
    if (st->has_sha1 && r->has_cert && r->cert.fingerprint[0]) {
        /* "ab:cd:..." (59 characters) to the lists' 40 hex digits. */
        char hex[41];
        size_t n = 0;
        for (size_t i = 0; i < sizeof r->cert.fingerprint && r->cert.fingerprint[i] && n < 40; i++)
            if (r->cert.fingerprint[i] != ':')
                hex[n++] = r->cert.fingerprint[i];
        hex[n] = 0;
        if (n == 40)
            check_key(st, d, &h, INTEL_SHA1, hex, n, W_CERT, SIG_CERT);
    }
}

static void match_http(struct dt_intel *st, struct dtr *d, const struct flow *f, uint64_t ts,
                       const struct http_tx *tx)
{
    if (!tx->hostname.p || !tx->hostname.len)
        return;
    struct hit h;
    hit_from_flow(&h, f, ts);
    h.app_proto = APP_PROTO_HTTP;
    h.rec_kind = APP_REC_HTTP;
    h.rec = tx;
    uint32_t seen[1];
    size_t n_seen = 0;
    if (st->has_domain)
        check_name(st, d, &h, (const char *)tx->hostname.p, tx->hostname.len, W_HTTP_HOST,
                   SIG_HTTP_HOST, seen, &n_seen, 1);
    if (!st->has_url || !tx->uri.p)
        return;
    /* The request as a URL key: host[:port] and the path as sent (absolute-form URIs give
     * their own path). */
    const char *u = (const char *)tx->uri.p;
    size_t ul = tx->uri.len;
    size_t scheme = ul > 7 && !strncasecmp(u, "http://", 7)    ? 7
                    : ul > 8 && !strncasecmp(u, "https://", 8) ? 8
                                                               : 0;
    if (scheme) {
        const char *a = memchr(u + scheme, '/', ul - scheme);
        if (!a)
            return;
        ul -= (size_t)(a - u);
        u = a;
    }
    if (!ul || u[0] != '/')
        return;
    char key[INTEL_KEY_MAX + 1];
    char port[8] = "";
    if (tx->http_port > 0 && tx->http_port != 80 && tx->http_port <= 65535)
        snprintf(port, sizeof port, ":%d", (int)tx->http_port);
    size_t need = tx->hostname.len + strlen(port) + ul;
    if (need > INTEL_KEY_MAX)
        return;
    memcpy(key, tx->hostname.p, tx->hostname.len);
    size_t w = tx->hostname.len;
    memcpy(key + w, port, strlen(port));
    w += strlen(port);
    memcpy(key + w, u, ul);
    w += ul;
    key[w] = 0;
    check_key(st, d, &h, INTEL_URL, key, w, W_URL, SIG_URL);
}

static void dt_intel_record(void *vst, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                            enum app_record_kind kind, const void *rec)
{
    (void)dir;
    struct dt_intel *st = vst;
    if (!f || !rec || (f->key.ip_ver != 4 && f->key.ip_ver != 6))
        return;
    switch (kind) {
    case APP_REC_DNS: match_dns(st, d, f, ts_ns, rec); break;
    case APP_REC_TLS: match_tls(st, d, f, ts_ns, rec); break;
    case APP_REC_HTTP: match_http(st, d, f, ts_ns, rec); break;
    default: break;
    }
}

/* --- life cycle ----------------------------------------------------------------------------- */

static void *dt_intel_init(struct dtr *d, const void *cfgv, char *err, size_t errlen)
{
    const struct dt_intel_cfg *cfg = cfgv;
    struct dt_intel *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->cfg = cfg;
    size_t fwd_cap = cfg->memcap / DT_INTEL_FWD_SHARE;
    st->pairs = dtr_table_new(d, "intel", cfg->memcap - fwd_cap, sizeof(struct dt_intel_pair),
                              sizeof(struct dt_intel_key), dt_intel_stale);
    st->fwd = dtr_table_new(d, "intel-dns-forward", fwd_cap, sizeof(struct dt_intel_fwd),
                            sizeof(struct dt_intel_fwd_key), dt_intel_fwd_stale);
    if (!st->pairs || !st->fwd) {
        snprintf(err, errlen, "memcap %zu bytes cannot hold the pair table", cfg->memcap);
        goto fail;
    }
    intel_set_t *set = load_lists(cfg, dtr_host_config(d), "loaded", err, errlen);
    if (!set)
        goto fail;
    use_set(st, set);
    return st;
fail:
    mm_lru_free(st->pairs);
    mm_lru_free(st->fwd);
    free(st);
    return NULL;
}

static void dt_intel_fini(void *vst)
{
    struct dt_intel *st = vst;
    intel_set_free(st->set);
    mm_lru_free(st->pairs);
    mm_lru_free(st->fwd);
    free(st);
}

static int dt_intel_reload(void *vst, struct dtr *d, char *err, size_t errlen)
{
    struct dt_intel *st = vst;
    intel_set_t *set = load_lists(st->cfg, dtr_host_config(d), "reloaded", err, errlen);
    if (!set)
        return MM_EINVAL; /* the old lists stay in use */
    use_set(st, set);
    st->gen++;
    return 0;
}

/* End of input: the pairs seen again since their latest report get a last update, so the
 * final counts and time window are on record. The table is emptied on the way. */
static void dt_intel_finish(void *vst, struct dtr *d, uint64_t now_ns)
{
    (void)now_ns;
    struct dt_intel *st = vst;
    struct dt_intel_pair *pr;
    while ((pr = mm_lru_oldest(st->pairs)) != NULL) {
        if (pr->sightings > pr->reported && pr->rep.reports)
            emit(st, d, pr, NULL, true, pr->last_ns);
        mm_lru_remove(st->pairs, pr);
    }
}

static void dt_intel_stats(const void *vst, struct dtr_det_stats *out)
{
    const struct dt_intel *st = vst;
    mm_lru_t *t[2] = {st->pairs, st->fwd};
    dtr_table_stats(out, t, 2);
}

const struct dtr_ops dt_intel_ops = {
    .name = "intel",
    .threat = "T1",
    .summary = "traffic with addresses, domains, URLs, TLS fingerprints or certificates on "
               "threat-intel lists (--intel)",
    .sid_base = 1001,
    .sigs = dt_intel_sigs,
    .n_sigs = SIG_COUNT,
    .params = dt_intel_params,
    .n_params = MM_ARRAY_LEN(dt_intel_params),
    .cfg_size = sizeof(struct dt_intel_cfg),
    .init = dt_intel_init,
    .fini = dt_intel_fini,
    .packet = dt_intel_packet,
    .packet_classes = DTR_PC_BIT(DTR_PC_TCP_EDGE) | DTR_PC_BIT(DTR_PC_UDP_FIRST) |
                      DTR_PC_BIT(DTR_PC_OTHER_FIRST),
    .record = dt_intel_record,
    .finish = dt_intel_finish,
    .reload = dt_intel_reload,
    .stats = dt_intel_stats,
};
