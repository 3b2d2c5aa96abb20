/*
 * T5: password guessing against login services (docs/detectors/bruteforce.md).
 *
 * From the login records of the cleartext protocols (POP3, IMAP, SMTP AUTH, FTP, HTTP Basic:
 * struct app_login), per service = (server address, port, protocol):
 *   - brute force: one source, one account, many failures within brute-window;
 *   - password spray: one source, many accounts with a failure within spray-window;
 *   - distributed spray: many sources that only ever failed, many accounts, one service,
 *     within distributed-window (hours: each source stays below the per-source thresholds);
 *   - success after an attack: a source whose brute force or spray was reported logs in.
 * From flow ends on ports where the login is encrypted (SSH, SMTPS, IMAPS, POP3S, HTTPS):
 *   - many short sessions from one source to one service (a connection per guess, each ending
 *     a few seconds after the handshake).
 *
 * Every activity gives one alert when its threshold is crossed, then an update at most every
 * update-interval while it goes on, and (final-report) one closing update with the final
 * figures when it ends, if they grew since the last report.
 *
 * State: per (source, service) for logins, per service for the distributed case, per (source,
 * service) for the connection pattern; three mm_lru tables sharing the detector's memcap. A
 * pair is created by a failure only, so busy legitimate clients (successful logins) cost no
 * memory. Account names are kept for the first BF_ACCOUNTS accounts of a pair (BF_NAME_MAX
 * bytes each, or a SHA-256 prefix with hash-accounts); further accounts are counted only.
 * Not kept: passwords (the login record has none), per-account windows beyond the first
 * BF_ACCOUNTS accounts.
 */
#include "detect/dtr_int.h"

#include "app/app.h"
#include "core/mm.h"

#include <openssl/evp.h>

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BF_ACCOUNTS 16   /* accounts kept by name per (source, service) */
#define BF_NAME_MAX 64   /* bytes of a kept account name */
#define BF_EXTRA 48      /* further failed accounts counted exactly (by hash) per pair */
#define BF_EX_SOURCES 10 /* example sources per distributed-spray bucket */
#define BF_EX_ACCOUNTS 10
#define BF_EX_NAME_MAX 48
#define BF_MAX_PORTS 64      /* pattern-ports entries */
#define BF_SWEEP_PER_TICK 64 /* expired entries closed per table and tick: bounded work */
#define BF_HASH_HEX 16       /* hex digits of the SHA-256 prefix written for hash-accounts */
#define IPPROTO_TCP_NUM 6

enum bf_sig {
    BF_SIG_BRUTE = 0,
    BF_SIG_SPRAY,
    BF_SIG_DIST,
    BF_SIG_SUCCESS,
    BF_SIG_TLS,
    BF_SIG_SSH,
};

static const struct dtr_sig bf_sigs[] = {
    [BF_SIG_BRUTE] = {"brute-force", "MAMORI T5 brute force - many failed logins on one account",
                      "unsuccessful-user", 2},
    [BF_SIG_SPRAY] = {"spray", "MAMORI T5 password spray - failed logins on many accounts",
                      "unsuccessful-user", 2},
    [BF_SIG_DIST] = {"distributed-spray",
                     "MAMORI T5 distributed password spray - many sources and accounts on one "
                     "service",
                     "unsuccessful-user", 2},
    [BF_SIG_SUCCESS] = {"success-after-attack",
                        "MAMORI T5 successful login after brute force or spray", "successful-user",
                        1},
    [BF_SIG_TLS] = {"tls-short-sessions",
                    "MAMORI T5 possible brute force - many short sessions to an encrypted login "
                    "service",
                    "attempted-user", 2},
    [BF_SIG_SSH] = {"ssh-short-sessions",
                    "MAMORI T5 possible SSH brute force - many short connections", "attempted-user",
                    2},
};

struct bf_cfg {
    size_t memcap;
    uint32_t brute_min_failures;
    uint64_t brute_window_ns;
    uint32_t spray_min_accounts;
    uint64_t spray_window_ns;
    uint32_t dist_min_sources;
    uint32_t dist_min_accounts;
    uint64_t dist_window_ns;
    const char *pattern_ports;
    uint32_t pattern_min_sessions;
    uint32_t pattern_https_min_sessions;
    uint64_t pattern_window_ns;
    uint64_t pattern_max_duration_ns;
    size_t pattern_max_bytes;
    bool pattern_home_only;
    bool hash_accounts;
    bool final_report;
};

#define P(n, t, f, d, lo, hi, doc)                                                                 \
    {                                                                                              \
        n, t, offsetof(struct bf_cfg, f), d, lo, hi, doc                                           \
    }
static const struct dtr_param bf_params[] = {
    P("memcap", DTR_P_SIZE, memcap, "16mb", 65536, 1e12,
      "memory for all state (5/8 source-service pairs, 2/8 connection pattern, 1/8 services); "
      "oldest entry taken over when full"),
    P("brute-min-failures", DTR_P_U32, brute_min_failures, "20", 2, 1e6,
      "failed logins on one account from one source to one service that make a brute force"),
    P("brute-window", DTR_P_DURATION, brute_window_ns, "10m", 1, 86400,
      "time within which brute-min-failures must fall (a stale password retried every few "
      "minutes stays below)"),
    P("spray-min-accounts", DTR_P_U32, spray_min_accounts, "4", 2, 1e6,
      "distinct accounts with a failed login from one source to one service that make a spray"),
    P("spray-window", DTR_P_DURATION, spray_window_ns, "1h", 60, 7 * 86400.0,
      "time within which spray-min-accounts must fall; also how long a quiet source's activity "
      "is kept"),
    P("distributed-min-sources", DTR_P_U32, dist_min_sources, "10", 2, 1e6,
      "sources that failed and never logged in on one service within distributed-window"),
    P("distributed-min-accounts", DTR_P_U32, dist_min_accounts, "10", 2, 1e6,
      "distinct accounts with a failed login on one service within distributed-window"),
    P("distributed-window", DTR_P_DURATION, dist_window_ns, "24h", 600, 30 * 86400.0,
      "time within which the distributed thresholds must be reached (evaluated over two "
      "half-window buckets)"),
    P("pattern-ports", DTR_P_STRING, pattern_ports, "22,443,465,993,995", 0, 0,
      "TCP ports whose logins are encrypted: judged by the connection pattern (22 = SSH)"),
    P("pattern-min-sessions", DTR_P_U32, pattern_min_sessions, "20", 2, 1e6,
      "short sessions from one source to one service within pattern-window (all pattern ports "
      "but 443)"),
    P("pattern-https-min-sessions", DTR_P_U32, pattern_https_min_sessions, "100", 2, 1e6,
      "the same for port 443, where clients open many short sessions by design"),
    P("pattern-window", DTR_P_DURATION, pattern_window_ns, "10m", 1, 86400,
      "time within which the pattern-min-sessions short sessions must fall"),
    P("pattern-max-duration", DTR_P_DURATION, pattern_max_duration_ns, "30s", 0.001, 3600,
      "a session at most this long counts as short (a guess plus the server's failure delay)"),
    P("pattern-max-bytes", DTR_P_SIZE, pattern_max_bytes, "16kb", 256, 1e9,
      "a short session carries at most this many payload bytes in each direction"),
    P("pattern-home-only", DTR_P_BOOL, pattern_home_only, "yes", 0, 1,
      "judge the connection pattern only for servers in HOME_NET (outbound short TLS sessions "
      "are everyday traffic)"),
    P("hash-accounts", DTR_P_BOOL, hash_accounts, "no", 0, 1,
      "write a SHA-256 prefix instead of each account name"),
    P("final-report", DTR_P_BOOL, final_report, "yes", 0, 1,
      "one closing update with the final figures when a reported activity ends"),
};
#undef P

/* --- state ----------------------------------------------------------------------------- */

/* A service: the server's address and port and the login protocol. 20 bytes, no padding. */
struct bf_svc_key {
    uint8_t server[16];
    uint16_t port;
    uint8_t proto; /* enum app_proto; 0 for the connection pattern */
    uint8_t ip_ver;
};

struct bf_pair_key {
    uint8_t client[16];
    struct bf_svc_key svc;
};
static_assert(sizeof(struct bf_svc_key) == 20, "service key has no padding");
static_assert(sizeof(struct bf_pair_key) == 36, "pair key has no padding");

/* One account tried by a source. */
struct bf_account {
    uint64_t hash;                /* of the whole name as sent */
    uint64_t win_start_ns;        /* this account's brute-force window */
    uint32_t win_failures;        /* failures in that window */
    uint32_t failures, successes; /* in the activity */
    uint8_t len;                  /* bytes of name */
    bool cut;                     /* name longer than BF_NAME_MAX, cut */
    char name[BF_NAME_MAX];       /* as sent, or "sha256:<hex>" with hash-accounts */
};

enum { BF_REP_BRUTE = 0, BF_REP_SPRAY, BF_REP_SUCCESS, BF_REP_N };

/* Logins of one source on one service. Created by a failure; an activity runs from the first
 * failure until the source has been quiet for the longer of the two windows. */
struct bf_pair {
    struct bf_pair_key key;
    uint64_t expire_ns;    /* last attempt + quiet time: the activity is over */
    uint64_t win_start_ns; /* spray window (restarts while nothing was reported) */
    uint64_t first_ns, last_ns;
    uint64_t last_flow_id;
    const char *mechanism; /* of the last attempt (static string from the parser) */
    uint32_t failures, successes, connections;
    uint32_t rep_seen[BF_REP_N]; /* failures + successes at the last report of each */
    struct dtr_report rep[BF_REP_N];
    struct dtr_distinct accounts; /* accounts with a failure (estimate past the exact lists) */
    uint32_t extra[BF_EXTRA];     /* hashes of failed accounts not in acct[], for an exact count */
    uint16_t last_sport;
    uint8_t n_acct;
    uint8_t n_extra;
    bool extra_full; /* more accounts than acct[] + extra[]: count from the sketch */
    uint8_t ok_len;  /* last successful account, as in bf_account.name */
    bool ok_cut;
    char ok_name[BF_NAME_MAX];
    struct bf_account acct[BF_ACCOUNTS];
};

/* Failures on one service during half a distributed window. */
struct bf_bucket {
    bool used;
    uint8_t n_src, n_acct;
    uint64_t start_ns, first_ns, last_ns;
    uint32_t failures;
    struct dtr_distinct src_fail; /* sources with a failure (that had no success before) */
    struct dtr_distinct src_ok;   /* of those, sources that later logged in */
    struct dtr_distinct accounts;
    uint8_t src_ver[BF_EX_SOURCES];
    struct mm_addr src_ex[BF_EX_SOURCES];
    uint8_t acct_len[BF_EX_ACCOUNTS];
    char acct_ex[BF_EX_ACCOUNTS][BF_EX_NAME_MAX];
};

struct bf_service {
    struct bf_svc_key key;
    uint64_t expire_ns;    /* last failure + distributed window */
    uint64_t failures;     /* since the entry was made (growth between reports) */
    uint64_t rep_failures; /* failures at the last report */
    struct dtr_report rep; /* the distributed-spray activity */
    struct mm_addr last_src;
    uint16_t last_sport;
    bool rotated;          /* buckets moved on since the last evaluation */
    struct bf_bucket b[2]; /* [0] previous half window, [1] current */
};

struct bf_pat_key {
    uint8_t client[16];
    uint8_t server[16];
    uint16_t port;
    uint8_t ip_ver;
    uint8_t pad;
};
static_assert(sizeof(struct bf_pat_key) == 36, "pattern key has no padding");

/* Sessions of one source to one encrypted login service. */
struct bf_pat {
    struct bf_pat_key key;
    uint64_t expire_ns;
    uint64_t win_start_ns;
    uint64_t first_ns, last_ns;                          /* of the short sessions */
    uint64_t dur_sum_ns, dur_max_ns, bytes_ts, bytes_tc; /* over short sessions */
    uint32_t win_short;                                  /* short sessions in the current window */
    uint32_t short_total, sessions;
    uint32_t rep_short; /* short sessions at the last report */
    struct dtr_report rep;
    uint16_t last_sport;
};

static_assert(sizeof(struct bf_pair) <= MM_LRU_MAX_ENTRY, "pair entry fits the table");
static_assert(sizeof(struct bf_service) <= MM_LRU_MAX_ENTRY, "service entry fits the table");
static_assert(sizeof(struct bf_pat) <= MM_LRU_MAX_ENTRY, "pattern entry fits the table");

struct bf_state {
    const struct bf_cfg *cfg;
    mm_lru_t *pairs, *services, *pats;
    uint64_t quiet_ns;        /* how long a source's login activity is kept: max of the windows */
    uint8_t ports[65536 / 8]; /* pattern-ports as a bitmap: one test per flow end */
};

/* --- helpers --------------------------------------------------------------------------- */

static uint64_t bf_hash64(const uint8_t *p, size_t n)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a: names are short, and this is no table */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static bool bf_port_set(const struct bf_state *st, uint16_t port)
{
    return ((unsigned)st->ports[port >> 3] >> (port & 7u)) & 1u;
}

/* "22, 443,993" into the bitmap; false on anything else. */
static bool bf_parse_ports(struct bf_state *st, const char *s, char *err, size_t errlen)
{
    unsigned n = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        unsigned long v = 0;
        const char *start = p;
        while (*p >= '0' && *p <= '9' && v <= 65535) {
            v = v * 10 + (unsigned long)(*p - '0');
            p++;
        }
        if (p == start || v == 0 || v > 65535 || (*p && *p != ',' && *p != ' ') ||
            ++n > BF_MAX_PORTS) {
            snprintf(err, errlen,
                     "detectors.bruteforce.pattern-ports: '%s' is not a list of at most %d TCP "
                     "ports such as \"22,993\"",
                     s, BF_MAX_PORTS);
            return false;
        }
        st->ports[v >> 3] |= (uint8_t)(1u << (v & 7));
    }
    return true;
}

/* The name written for an account: as sent (cut to cap bytes) or "sha256:<hex prefix>". */
static void bf_account_text(const struct bf_state *st, const uint8_t *user, size_t len, char *out,
                            size_t cap, uint8_t *out_len, bool *cut)
{
    if (!user)
        len = 0;
    if (st->cfg->hash_accounts) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int mdlen = 0;
        static const char hex[] = "0123456789abcdef";
        char text[8 + BF_HASH_HEX];
        memcpy(text, "sha256:", 7);
        size_t o = 7;
        if (EVP_Digest(len ? user : (const uint8_t *)"", len, md, &mdlen, EVP_sha256(), NULL) ==
                1 &&
            mdlen >= BF_HASH_HEX / 2) {
            for (size_t i = 0; i < BF_HASH_HEX / 2; i++) {
                text[o++] = hex[md[i] >> 4];
                text[o++] = hex[md[i] & 15];
            }
        } else {
            memcpy(text + o, "unavailable", 11); /* never fall back to the name itself */
            o += 11;
        }
        size_t k = MM_MIN(o, cap);
        memcpy(out, text, k);
        *out_len = (uint8_t)k;
        *cut = false;
        return;
    }
    size_t k = MM_MIN(len, cap);
    if (k)
        memcpy(out, user, k);
    *out_len = (uint8_t)k;
    *cut = len > cap;
}

static const char *bf_port_service(uint16_t port)
{
    switch (port) {
    case 22: return "ssh";
    case 443: return "https";
    case 465: return "smtps";
    case 587: return "submission";
    case 636: return "ldaps";
    case 990: return "ftps";
    case 993: return "imaps";
    case 995: return "pop3s";
    case 3389: return "rdp";
    default: return "tls";
    }
}

static void bf_addr(struct mm_addr *a, const uint8_t *b)
{
    memcpy(a->b, b, 16);
}

static uint64_t bf_span(uint64_t first, uint64_t last)
{
    return last > first ? last - first : 0;
}

/* --- stale callbacks: an entry whose activity is over is taken over without counting -------- */

static bool bf_pair_stale(const void *e, uint64_t now_ns)
{
    return now_ns >= ((const struct bf_pair *)e)->expire_ns;
}

static bool bf_service_stale(const void *e, uint64_t now_ns)
{
    return now_ns >= ((const struct bf_service *)e)->expire_ns;
}

static bool bf_pat_stale(const void *e, uint64_t now_ns)
{
    return now_ns >= ((const struct bf_pat *)e)->expire_ns;
}

/* --- life cycle ------------------------------------------------------------------------ */

static void bf_fini(void *vst)
{
    struct bf_state *st = vst;
    if (!st)
        return;
    mm_lru_free(st->pairs);
    mm_lru_free(st->services);
    mm_lru_free(st->pats);
    free(st);
}

static void *bf_init(struct dtr *d, const void *vcfg, char *err, size_t errlen)
{
    const struct bf_cfg *cfg = vcfg;
    struct bf_state *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->cfg = cfg;
    st->quiet_ns = MM_MAX(cfg->spray_window_ns, cfg->brute_window_ns);
    if (!bf_parse_ports(st, cfg->pattern_ports ? cfg->pattern_ports : "", err, errlen))
        goto fail;
    size_t m = cfg->memcap;
    st->pairs = dtr_table_new(d, "bruteforce.pairs", m / 8 * 5, sizeof(struct bf_pair),
                              sizeof(struct bf_pair_key), bf_pair_stale);
    st->pats = dtr_table_new(d, "bruteforce.pattern", m / 8 * 2, sizeof(struct bf_pat),
                             sizeof(struct bf_pat_key), bf_pat_stale);
    st->services = dtr_table_new(d, "bruteforce.services", m / 8, sizeof(struct bf_service),
                                 sizeof(struct bf_svc_key), bf_service_stale);
    if (!st->pairs || !st->pats || !st->services) {
        snprintf(err, errlen, "detectors.bruteforce.memcap: %zu bytes cannot hold the tables", m);
        goto fail;
    }
    return st;
fail:
    bf_fini(st);
    return NULL;
}

/* --- evidence -------------------------------------------------------------------------- */

static void bf_ev_window(struct jb *jb, uint64_t first_ns, uint64_t last_ns)
{
    dtr_ev_ts(jb, "first_seen", first_ns);
    dtr_ev_ts(jb, "last_seen", last_ns);
    dtr_ev_secs(jb, "duration_s", bf_span(first_ns, last_ns));
}

static void bf_ev_service(struct jb *jb, const struct bf_svc_key *k, const char *proto_name)
{
    struct mm_addr a;
    bf_addr(&a, k->server);
    dtr_ev_ip(jb, "server", &a, k->ip_ver);
    jb_uint(jb, "port", k->port);
    jb_string(jb, "protocol", proto_name);
}

static const struct bf_account *bf_top_account(const struct bf_pair *p)
{
    const struct bf_account *top = NULL;
    for (uint8_t i = 0; i < p->n_acct; i++)
        if (!top || p->acct[i].failures > top->failures)
            top = &p->acct[i];
    return top;
}

/* Accounts with a failure: exact up to BF_ACCOUNTS + BF_EXTRA, an estimate beyond. */
static uint32_t bf_pair_accounts(const struct bf_pair *p)
{
    uint32_t n = p->n_extra;
    for (uint8_t i = 0; i < p->n_acct; i++)
        n += p->acct[i].failures > 0;
    if (p->extra_full)
        n = MM_MAX(n, dtr_distinct_count(&p->accounts));
    return n;
}

static void bf_ev_pair(const struct bf_state *st, struct jb *jb, const struct bf_pair *p,
                       enum bf_sig sig, bool final)
{
    const struct bf_cfg *c = st->cfg;
    struct mm_addr a;
    bf_addr(&a, p->key.client);
    dtr_ev_ip(jb, "source", &a, p->key.svc.ip_ver);
    bf_ev_service(jb, &p->key.svc, app_proto_name((enum app_proto)p->key.svc.proto));
    if (p->mechanism)
        jb_string(jb, "mechanism", p->mechanism);
    jb_uint(jb, "failures", p->failures);
    jb_uint(jb, "successes", p->successes);
    jb_uint(jb, "connections", p->connections);
    uint32_t n_acc = bf_pair_accounts(p);
    jb_uint(jb, "accounts", n_acc);
    if (c->hash_accounts)
        jb_bool(jb, "accounts_hashed", true);
    jb_open_array(jb, "accounts_tried");
    uint32_t listed = 0;
    for (uint8_t i = 0; i < p->n_acct; i++) {
        const struct bf_account *ac = &p->acct[i];
        jb_open_object(jb, NULL);
        jb_string_bytes(jb, "account", (const uint8_t *)ac->name, ac->len);
        if (ac->cut)
            jb_bool(jb, "account_cut", true);
        jb_uint(jb, "failures", ac->failures);
        jb_uint(jb, "successes", ac->successes);
        jb_close_object(jb);
        if (ac->failures)
            listed++;
    }
    jb_close_array(jb);
    if (n_acc > listed)
        jb_uint(jb, "accounts_not_listed", n_acc - listed);
    const struct bf_account *top = bf_top_account(p);
    if (top && top->failures) {
        jb_string_bytes(jb, "top_account", (const uint8_t *)top->name, top->len);
        jb_uint(jb, "top_account_failures", top->failures);
    }
    if (p->successes) {
        jb_string_bytes(jb, "successful_account", (const uint8_t *)p->ok_name, p->ok_len);
        if (p->ok_cut)
            jb_bool(jb, "successful_account_cut", true);
    }
    bf_ev_window(jb, p->first_ns, p->last_ns);
    jb_open_object(jb, "threshold");
    if (sig == BF_SIG_BRUTE) {
        jb_uint(jb, "failures", c->brute_min_failures);
        dtr_ev_secs(jb, "window_s", c->brute_window_ns);
    } else if (sig == BF_SIG_SPRAY) {
        jb_uint(jb, "accounts", c->spray_min_accounts);
        dtr_ev_secs(jb, "window_s", c->spray_window_ns);
    } else {
        jb_uint(jb, "brute_failures", c->brute_min_failures);
        jb_uint(jb, "spray_accounts", c->spray_min_accounts);
    }
    jb_close_object(jb);
    if (final)
        jb_bool(jb, "final", true);
}

static void bf_pair_emit(struct bf_state *st, struct dtr *d, struct bf_pair *p, int rep,
                         enum bf_sig sig, const struct flow *f, uint64_t ts_ns, bool update,
                         bool final)
{
    struct jb *jb = dtr_alert_begin(d);
    bf_ev_pair(st, jb, p, sig, final);
    struct dtr_alert_args a = {
        .sig = sig,
        .flow = f,
        .ts_ns = ts_ns,
        .ip_ver = p->key.svc.ip_ver,
        .proto = IPPROTO_TCP_NUM,
        .sport = p->last_sport,
        .dport = p->key.svc.port,
        .app_proto = p->key.svc.proto,
        .update = update,
    };
    bf_addr(&a.src, p->key.client);
    bf_addr(&a.dst, p->key.svc.server);
    dtr_alert_emit(d, &a);
    p->rep_seen[rep] = p->failures + p->successes;
}

/* Closing update of every reported variant that grew since its last report. */
static void bf_pair_close(struct bf_state *st, struct dtr *d, struct bf_pair *p, uint64_t now_ns)
{
    static const enum bf_sig sig_of[BF_REP_N] = {BF_SIG_BRUTE, BF_SIG_SPRAY, BF_SIG_SUCCESS};
    if (!st->cfg->final_report)
        return;
    for (int r = 0; r < BF_REP_N; r++) {
        struct dtr_report *rp = &p->rep[r];
        if (!rp->reports || p->failures + p->successes <= p->rep_seen[r])
            continue;
        rp->last_ns = now_ns;
        rp->reports++;
        bf_pair_emit(st, d, p, r, sig_of[r], NULL, now_ns, true, true);
    }
}

/* --- logins: one source on one service -------------------------------------------------- */

static struct bf_account *bf_find_account(struct bf_pair *p, uint64_t h)
{
    for (uint8_t i = 0; i < p->n_acct; i++)
        if (p->acct[i].hash == h)
            return &p->acct[i];
    return NULL;
}

static struct bf_account *bf_add_account(const struct bf_state *st, struct bf_pair *p, uint64_t h,
                                         const struct app_login *l)
{
    if (p->n_acct >= BF_ACCOUNTS)
        return NULL;
    struct bf_account *ac = &p->acct[p->n_acct++];
    memset(ac, 0, sizeof *ac);
    ac->hash = h;
    bf_account_text(st, l->user, l->user_len, ac->name, sizeof ac->name, &ac->len, &ac->cut);
    return ac;
}

/* Forget the activity (keep the key): a new one starts. */
static void bf_pair_reset(struct bf_pair *p)
{
    struct bf_pair_key k = p->key;
    memset(p, 0, sizeof *p);
    p->key = k;
}

static void bf_pair_key_of(struct bf_pair_key *k, const struct flow *f, uint8_t proto)
{
    memset(k, 0, sizeof *k);
    memcpy(k->client, flow_client_addr(f), 16);
    memcpy(k->svc.server, flow_server_addr(f), 16);
    k->svc.port = flow_server_port(f);
    k->svc.proto = proto;
    k->svc.ip_ver = f->key.ip_ver;
}

/* Whether variant rep is to be reported now: the first time its condition holds, then when
 * the update interval has passed (while the activity goes on). */
static enum dtr_due bf_due(struct dtr *d, struct dtr_report *r, bool cond, uint64_t now_ns)
{
    if (!r->reports && !cond)
        return DTR_DUE_NO;
    return dtr_report_due(d, r, now_ns);
}

/* --- distributed spray: one service, many sources ---------------------------------------- */

/* Distinct values of a and b together: exact while both still hold every value, else from
 * the union of the two sketches (linear counting, as dtr_distinct_count). */
static uint32_t bf_union_count(const struct dtr_distinct *a, const struct dtr_distinct *b)
{
    if (a->n_exact < DTR_DISTINCT_EXACT && b->n_exact < DTR_DISTINCT_EXACT) {
        uint32_t n = a->n_exact;
        for (uint16_t i = 0; i < b->n_exact; i++) {
            bool dup = false;
            for (uint16_t k = 0; k < a->n_exact && !dup; k++)
                dup = a->exact[k] == b->exact[i];
            n += !dup;
        }
        return n;
    }
    unsigned set = 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(a->sketch); i++)
        set += (unsigned)__builtin_popcountll(a->sketch[i] | b->sketch[i]);
    const double m = 64.0 * MM_ARRAY_LEN(a->sketch);
    double empty = m - set;
    if (empty < 1)
        empty = 1;
    uint32_t est = (uint32_t)(-m * log(empty / m) + 0.5);
    uint32_t lo = MM_MAX(dtr_distinct_count(a), dtr_distinct_count(b));
    return est < lo ? lo : est;
}

struct bf_dist_view {
    uint32_t failonly, failing, recovered, accounts, failures;
    uint64_t first_ns, last_ns;
};

static void bf_dist_view(const struct bf_service *s, struct bf_dist_view *v)
{
    const struct bf_bucket *p = &s->b[0], *c = &s->b[1];
    static const struct dtr_distinct empty;
    const struct dtr_distinct *pf = p->used ? &p->src_fail : &empty;
    const struct dtr_distinct *po = p->used ? &p->src_ok : &empty;
    const struct dtr_distinct *pa = p->used ? &p->accounts : &empty;
    v->failing = bf_union_count(pf, &c->src_fail);
    v->recovered = bf_union_count(po, &c->src_ok);
    v->failonly = v->failing > v->recovered ? v->failing - v->recovered : 0;
    v->accounts = bf_union_count(pa, &c->accounts);
    v->failures = (p->used ? p->failures : 0) + c->failures;
    v->first_ns = p->used && p->failures ? p->first_ns : c->first_ns;
    v->last_ns = c->failures ? c->last_ns : p->last_ns;
}

/* Move to the bucket of time t on a grid of half windows from the first bucket. True when
 * older failures left the evaluated span. */
static bool bf_rotate(struct bf_service *s, uint64_t t, uint64_t half)
{
    struct bf_bucket *cur = &s->b[1];
    if (!cur->used) {
        memset(cur, 0, sizeof *cur);
        cur->used = true;
        cur->start_ns = t;
        return false;
    }
    if (t < cur->start_ns || t - cur->start_ns < half)
        return false;
    uint64_t steps = (t - cur->start_ns) / half;
    uint64_t start = cur->start_ns + steps * half;
    if (steps == 1)
        s->b[0] = *cur;
    else
        memset(&s->b[0], 0, sizeof s->b[0]);
    memset(cur, 0, sizeof *cur);
    cur->used = true;
    cur->start_ns = start;
    return true;
}

static void bf_ev_dist(const struct bf_state *st, struct jb *jb, const struct bf_service *s,
                       const struct bf_dist_view *v, bool final)
{
    const struct bf_cfg *c = st->cfg;
    bf_ev_service(jb, &s->key, app_proto_name((enum app_proto)s->key.proto));
    jb_uint(jb, "sources", v->failonly);
    jb_uint(jb, "sources_failing", v->failing);
    jb_uint(jb, "sources_recovered", v->recovered);
    jb_uint(jb, "accounts", v->accounts);
    jb_uint(jb, "failures", v->failures);
    if (v->failing)
        jb_double(jb, "failures_per_source", (double)v->failures / v->failing, 1);
    if (c->hash_accounts)
        jb_bool(jb, "accounts_hashed", true);
    /* Examples: the previous bucket's first, then the current one's, without repeats. */
    jb_open_array(jb, "source_examples");
    struct mm_addr seen[2 * BF_EX_SOURCES];
    size_t n_seen = 0;
    for (int b = 0; b < 2; b++) {
        const struct bf_bucket *bk = &s->b[b];
        if (!bk->used)
            continue;
        for (uint8_t i = 0; i < bk->n_src; i++) {
            bool dup = false;
            for (size_t k = 0; k < n_seen && !dup; k++)
                dup = !memcmp(&seen[k], &bk->src_ex[i], sizeof seen[k]);
            if (dup || n_seen >= 10)
                continue;
            seen[n_seen++] = bk->src_ex[i];
            char txt[64];
            jb_string(jb, NULL, dtr_addr_str(&bk->src_ex[i], bk->src_ver[i], txt, sizeof txt));
        }
    }
    jb_close_array(jb);
    jb_open_array(jb, "account_examples");
    const char *names[2 * BF_EX_ACCOUNTS];
    uint8_t lens[2 * BF_EX_ACCOUNTS];
    size_t n_names = 0;
    for (int b = 0; b < 2; b++) {
        const struct bf_bucket *bk = &s->b[b];
        if (!bk->used)
            continue;
        for (uint8_t i = 0; i < bk->n_acct; i++) {
            bool dup = false;
            for (size_t k = 0; k < n_names && !dup; k++)
                dup = lens[k] == bk->acct_len[i] && !memcmp(names[k], bk->acct_ex[i], lens[k]);
            if (dup || n_names >= 10)
                continue;
            names[n_names] = bk->acct_ex[i];
            lens[n_names++] = bk->acct_len[i];
            jb_string_bytes(jb, NULL, (const uint8_t *)bk->acct_ex[i], bk->acct_len[i]);
        }
    }
    jb_close_array(jb);
    bf_ev_window(jb, v->first_ns, v->last_ns);
    jb_open_object(jb, "threshold");
    jb_uint(jb, "sources", c->dist_min_sources);
    jb_uint(jb, "accounts", c->dist_min_accounts);
    dtr_ev_secs(jb, "window_s", c->dist_window_ns);
    jb_close_object(jb);
    if (final)
        jb_bool(jb, "final", true);
}

static void bf_dist_emit(struct bf_state *st, struct dtr *d, struct bf_service *s,
                         const struct bf_dist_view *v, const struct flow *f, uint64_t ts_ns,
                         bool update, bool final)
{
    struct jb *jb = dtr_alert_begin(d);
    bf_ev_dist(st, jb, s, v, final);
    struct dtr_alert_args a = {
        .sig = BF_SIG_DIST,
        .flow = f,
        .ts_ns = ts_ns,
        .src = s->last_src,
        .ip_ver = s->key.ip_ver,
        .proto = IPPROTO_TCP_NUM,
        .sport = s->last_sport,
        .dport = s->key.port,
        .app_proto = s->key.proto,
        .update = update,
    };
    bf_addr(&a.dst, s->key.server);
    dtr_alert_emit(d, &a);
    s->rep_failures = s->failures;
}

/* The distributed activity is over (below threshold or quiet): closing report, then a later
 * crossing is a new activity. */
static void bf_dist_close(struct bf_state *st, struct dtr *d, struct bf_service *s,
                          const struct bf_dist_view *v, uint64_t now_ns)
{
    if (s->rep.reports && st->cfg->final_report && s->failures > s->rep_failures) {
        s->rep.reports++;
        s->rep.last_ns = now_ns;
        bf_dist_emit(st, d, s, v, NULL, now_ns, true, true);
    }
    memset(&s->rep, 0, sizeof s->rep);
}

static bool bf_dist_cond(const struct bf_cfg *c, const struct bf_dist_view *v)
{
    return v->failonly >= c->dist_min_sources && v->accounts >= c->dist_min_accounts;
}

/* A failure on service sk by the source of pair p. */
static void bf_dist_failure(struct bf_state *st, struct dtr *d, const struct bf_pair *p,
                            const struct flow *f, const struct app_login *l, uint64_t acct_hash,
                            uint64_t t)
{
    const struct bf_cfg *c = st->cfg;
    struct bf_service *s = mm_lru_lookup(st->services, &p->key.svc);
    if (!s) {
        s = mm_lru_insert(st->services, &p->key.svc, t);
        if (!s)
            return; /* refused by the memcap: counted in the table's stats */
    } else {
        mm_lru_touch(st->services, s);
    }
    s->expire_ns = mm_sat_add(t, c->dist_window_ns);
    bool rotated = bf_rotate(s, t, MM_MAX(c->dist_window_ns / 2, 1)) || s->rotated;
    s->rotated = false;
    struct bf_bucket *b = &s->b[1];
    if (!b->failures || t < b->first_ns)
        b->first_ns = t;
    if (t > b->last_ns)
        b->last_ns = t;
    b->failures++;
    s->failures++;
    bf_addr(&s->last_src, p->key.client);
    s->last_sport = p->last_sport;
    struct mm_addr src;
    bf_addr(&src, p->key.client);
    /* A source that already logged in on this service is a user who mistyped, not a
     * sprayer: only sources without a success count as failing. */
    if (!p->successes && dtr_distinct_add(&b->src_fail, dtr_addr_key32(&src, p->key.svc.ip_ver))) {
        bool dup = false;
        for (uint8_t i = 0; i < b->n_src && !dup; i++)
            dup = !memcmp(&b->src_ex[i], &src, sizeof src);
        if (!dup && b->n_src < BF_EX_SOURCES) {
            b->src_ex[b->n_src] = src;
            b->src_ver[b->n_src++] = p->key.svc.ip_ver;
        }
    }
    if (dtr_distinct_add(&b->accounts, (uint32_t)(acct_hash ^ (acct_hash >> 32))) &&
        b->n_acct < BF_EX_ACCOUNTS) {
        bool cut;
        bf_account_text(st, l->user, l->user_len, b->acct_ex[b->n_acct], BF_EX_NAME_MAX,
                        &b->acct_len[b->n_acct], &cut);
        b->n_acct++;
    }
    struct bf_dist_view v;
    bf_dist_view(s, &v);
    bool cond = bf_dist_cond(c, &v);
    if (!cond) {
        /* Only failures leaving the window end the activity; a source that logs in later
         * lowers the count too, and closing then would make the next failure a new alert. */
        if (s->rep.reports && rotated)
            bf_dist_close(st, d, s, &v, t);
        return;
    }
    enum dtr_due due = dtr_report_due(d, &s->rep, t);
    if (due != DTR_DUE_NO)
        bf_dist_emit(st, d, s, &v, f, t, due == DTR_DUE_UPDATE, false);
}

/* Source of pair p logged in for the first time after failing: it no longer counts as a
 * failing source of the service. */
static void bf_dist_recovered(struct bf_state *st, const struct bf_pair *p, uint64_t t)
{
    struct bf_service *s = mm_lru_lookup(st->services, &p->key.svc);
    if (!s || !s->b[1].used)
        return;
    if (bf_rotate(s, t, MM_MAX(st->cfg->dist_window_ns / 2, 1)))
        s->rotated = true;
    struct mm_addr src;
    bf_addr(&src, p->key.client);
    dtr_distinct_add(&s->b[1].src_ok, dtr_addr_key32(&src, p->key.svc.ip_ver));
    for (int k = 0; k < 2; k++) {
        struct bf_bucket *b = &s->b[k];
        for (uint8_t i = 0; i < b->n_src; i++) {
            if (memcmp(&b->src_ex[i], &src, sizeof src))
                continue;
            memmove(&b->src_ex[i], &b->src_ex[i + 1], (size_t)(b->n_src - i - 1) * sizeof src);
            memmove(&b->src_ver[i], &b->src_ver[i + 1], (size_t)(b->n_src - i - 1));
            b->n_src--;
            break;
        }
        /* Its accounts are a user's own, not examples of what was sprayed (still counted). */
        for (uint8_t a = 0; a < p->n_acct; a++) {
            const struct bf_account *ac = &p->acct[a];
            for (uint8_t i = 0; i < b->n_acct; i++) {
                if (b->acct_len[i] != MM_MIN(ac->len, BF_EX_NAME_MAX) ||
                    memcmp(b->acct_ex[i], ac->name, b->acct_len[i]))
                    continue;
                memmove(b->acct_ex[i], b->acct_ex[i + 1],
                        (size_t)(b->n_acct - i - 1) * sizeof b->acct_ex[0]);
                memmove(&b->acct_len[i], &b->acct_len[i + 1], (size_t)(b->n_acct - i - 1));
                b->n_acct--;
                break;
            }
        }
    }
}

/* --- login records --------------------------------------------------------------------- */

static void bf_failure(struct bf_state *st, struct dtr *d, const struct flow *f,
                       const struct app_login *l, uint64_t t)
{
    const struct bf_cfg *c = st->cfg;
    struct bf_pair_key k;
    bf_pair_key_of(&k, f, (uint8_t)l->proto);
    struct bf_pair *p = mm_lru_lookup(st->pairs, &k);
    if (p) {
        mm_lru_touch(st->pairs, p);
        bool reported = p->rep[BF_REP_BRUTE].reports || p->rep[BF_REP_SPRAY].reports;
        if (t >= p->expire_ns) { /* quiet for long enough: a new activity */
            bf_pair_close(st, d, p, t);
            bf_pair_reset(p);
        } else if (!reported && t > p->win_start_ns && t - p->win_start_ns > c->spray_window_ns) {
            bf_pair_reset(p); /* nothing reported: the spray window starts again */
        }
    } else {
        p = mm_lru_insert(st->pairs, &k, t);
        if (!p)
            return;
    }
    if (!p->failures && !p->successes) {
        p->first_ns = t;
        p->win_start_ns = t;
    }
    if (t > p->last_ns)
        p->last_ns = t;
    p->expire_ns = mm_sat_add(p->last_ns, st->quiet_ns);
    if (!p->connections || f->flow_id != p->last_flow_id)
        p->connections++;
    p->last_flow_id = f->flow_id;
    p->last_sport = flow_client_port(f);
    p->mechanism = l->mechanism;
    p->failures++;

    uint64_t h = bf_hash64(l->user, l->user ? l->user_len : 0);
    dtr_distinct_add(&p->accounts, (uint32_t)(h ^ (h >> 32)));
    struct bf_account *ac = bf_find_account(p, h);
    if (!ac)
        ac = bf_add_account(st, p, h, l);
    if (!ac && !p->extra_full) {
        uint32_t h32 = (uint32_t)(h ^ (h >> 32));
        bool known = false;
        for (uint8_t i = 0; i < p->n_extra && !known; i++)
            known = p->extra[i] == h32;
        if (!known && p->n_extra < BF_EXTRA)
            p->extra[p->n_extra++] = h32;
        else if (!known)
            p->extra_full = true;
    }
    bool brute = false;
    if (ac) {
        ac->failures++;
        if (!ac->win_failures || t < ac->win_start_ns ||
            t - ac->win_start_ns > c->brute_window_ns) {
            ac->win_start_ns = t;
            ac->win_failures = 0;
        }
        ac->win_failures++;
        brute = ac->win_failures >= c->brute_min_failures;
    }
    bool spray = bf_pair_accounts(p) >= c->spray_min_accounts;

    enum dtr_due due = bf_due(d, &p->rep[BF_REP_BRUTE], brute, t);
    if (due != DTR_DUE_NO)
        bf_pair_emit(st, d, p, BF_REP_BRUTE, BF_SIG_BRUTE, f, t, due == DTR_DUE_UPDATE, false);
    due = bf_due(d, &p->rep[BF_REP_SPRAY], spray, t);
    if (due != DTR_DUE_NO)
        bf_pair_emit(st, d, p, BF_REP_SPRAY, BF_SIG_SPRAY, f, t, due == DTR_DUE_UPDATE, false);

    bf_dist_failure(st, d, p, f, l, h, t);
}

static void bf_success(struct bf_state *st, struct dtr *d, const struct flow *f,
                       const struct app_login *l, uint64_t t)
{
    struct bf_pair_key k;
    bf_pair_key_of(&k, f, (uint8_t)l->proto);
    struct bf_pair *p = mm_lru_lookup(st->pairs, &k);
    if (!p || t >= p->expire_ns)
        return; /* no failures from this source lately: an ordinary login, no state */
    mm_lru_touch(st->pairs, p);
    if (t > p->last_ns)
        p->last_ns = t;
    p->expire_ns = mm_sat_add(p->last_ns, st->quiet_ns);
    if (f->flow_id != p->last_flow_id)
        p->connections++;
    p->last_flow_id = f->flow_id;
    p->last_sport = flow_client_port(f);
    p->mechanism = l->mechanism;
    if (!p->successes)
        bf_dist_recovered(st, p, t);
    p->successes++;
    uint64_t h = bf_hash64(l->user, l->user ? l->user_len : 0);
    struct bf_account *ac = bf_find_account(p, h);
    if (!ac)
        ac = bf_add_account(st, p, h, l);
    if (ac)
        ac->successes++;
    bf_account_text(st, l->user, l->user_len, p->ok_name, sizeof p->ok_name, &p->ok_len,
                    &p->ok_cut);
    /* Only after an attack was reported: a user who mistyped a few times, or a client that
     * retried an old password until the user fixed it, is not an incident. After a spray,
     * the other accounts must make a spray on their own: several users behind one NAT
     * address who mistype and then log in are not a compromise. */
    bool attacked = p->rep[BF_REP_BRUTE].reports != 0;
    if (!attacked && p->rep[BF_REP_SPRAY].reports) {
        uint32_t others = bf_pair_accounts(p) - (ac && ac->failures ? 1u : 0u);
        attacked = others >= st->cfg->spray_min_accounts;
    }
    enum dtr_due due = bf_due(d, &p->rep[BF_REP_SUCCESS], attacked, t);
    if (due != DTR_DUE_NO)
        bf_pair_emit(st, d, p, BF_REP_SUCCESS, BF_SIG_SUCCESS, f, t, due == DTR_DUE_UPDATE, false);
}

static void bf_record(void *vst, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    (void)dir;
    if (kind != APP_REC_LOGIN || !f || !rec)
        return;
    const struct app_login *l = rec;
    uint64_t t = l->ts_ns ? l->ts_ns : ts_ns;
    if (l->outcome == APP_LOGIN_FAILURE)
        bf_failure(vst, d, f, l, t);
    else if (l->outcome == APP_LOGIN_SUCCESS)
        bf_success(vst, d, f, l, t);
    /* Unknown outcomes (one direction captured, session cut) say nothing either way. */
}

/* --- connection pattern on encrypted login ports ---------------------------------------- */

static void bf_ev_pat(const struct bf_state *st, struct jb *jb, const struct bf_pat *p,
                      uint32_t min_sessions, bool final)
{
    const struct bf_cfg *c = st->cfg;
    struct mm_addr a;
    bf_addr(&a, p->key.client);
    dtr_ev_ip(jb, "source", &a, p->key.ip_ver);
    bf_addr(&a, p->key.server);
    dtr_ev_ip(jb, "server", &a, p->key.ip_ver);
    jb_uint(jb, "port", p->key.port);
    jb_string(jb, "service", bf_port_service(p->key.port));
    jb_uint(jb, "short_sessions", p->short_total);
    jb_uint(jb, "sessions", p->sessions);
    if (p->short_total) {
        dtr_ev_secs(jb, "mean_duration_s", p->dur_sum_ns / p->short_total);
        dtr_ev_secs(jb, "max_duration_s", p->dur_max_ns);
        jb_uint(jb, "mean_bytes_toserver", p->bytes_ts / p->short_total);
        jb_uint(jb, "mean_bytes_toclient", p->bytes_tc / p->short_total);
    }
    bf_ev_window(jb, p->first_ns, p->last_ns);
    jb_open_object(jb, "threshold");
    jb_uint(jb, "sessions", min_sessions);
    dtr_ev_secs(jb, "window_s", c->pattern_window_ns);
    dtr_ev_secs(jb, "max_duration_s", c->pattern_max_duration_ns);
    jb_uint(jb, "max_bytes", c->pattern_max_bytes);
    jb_close_object(jb);
    if (final)
        jb_bool(jb, "final", true);
}

static uint32_t bf_pat_min(const struct bf_cfg *c, uint16_t port)
{
    return port == 443 ? c->pattern_https_min_sessions : c->pattern_min_sessions;
}

static void bf_pat_emit(struct bf_state *st, struct dtr *d, struct bf_pat *p, const struct flow *f,
                        uint64_t ts_ns, bool update, bool final)
{
    struct jb *jb = dtr_alert_begin(d);
    bf_ev_pat(st, jb, p, bf_pat_min(st->cfg, p->key.port), final);
    struct dtr_alert_args a = {
        .sig = p->key.port == 22 ? BF_SIG_SSH : BF_SIG_TLS,
        .flow = f,
        .ts_ns = ts_ns,
        .ip_ver = p->key.ip_ver,
        .proto = IPPROTO_TCP_NUM,
        .sport = p->last_sport,
        .dport = p->key.port,
        .app_proto = p->key.port == 22 ? APP_PROTO_SSH : APP_PROTO_TLS,
        .update = update,
    };
    bf_addr(&a.src, p->key.client);
    bf_addr(&a.dst, p->key.server);
    dtr_alert_emit(d, &a);
    p->rep_short = p->short_total;
}

static void bf_pat_close(struct bf_state *st, struct dtr *d, struct bf_pat *p, uint64_t now_ns)
{
    if (!p->rep.reports || !st->cfg->final_report || p->short_total <= p->rep_short)
        return;
    p->rep.reports++;
    p->rep.last_ns = now_ns;
    bf_pat_emit(st, d, p, NULL, now_ns, true, true);
}

static void bf_flow_end(void *vst, struct dtr *d, const struct flow *f)
{
    struct bf_state *st = vst;
    const struct bf_cfg *c = st->cfg;
    if (f->key.proto != IPPROTO_TCP_NUM)
        return;
    uint16_t port = flow_server_port(f);
    if (!bf_port_set(st, port))
        return;
    /* Both sides spoke: the handshake completed and the service answered (a SYN flood, a
     * scan or a refused connection is not a login attempt). */
    uint64_t ts_bytes = f->payload[FLOW_TOSERVER], tc_bytes = f->payload[FLOW_TOCLIENT];
    if (!ts_bytes || !tc_bytes)
        return;
    struct mm_addr server;
    bf_addr(&server, flow_server_addr(f));
    if (c->pattern_home_only && !dtr_is_internal(d, &server, f->key.ip_ver))
        return;
    uint64_t dur = bf_span(f->first_ns, f->last_ns);
    bool is_short = dur <= c->pattern_max_duration_ns && ts_bytes <= c->pattern_max_bytes &&
                    tc_bytes <= c->pattern_max_bytes;
    struct bf_pat_key k;
    memset(&k, 0, sizeof k);
    memcpy(k.client, flow_client_addr(f), 16);
    memcpy(k.server, flow_server_addr(f), 16);
    k.port = port;
    k.ip_ver = f->key.ip_ver;
    struct bf_pat *p = mm_lru_lookup(st->pats, &k);
    uint64_t t = f->first_ns;
    if (p) {
        mm_lru_touch(st->pats, p);
        if (t >= p->expire_ns) {
            bf_pat_close(st, d, p, f->last_ns);
            memset((char *)p + sizeof k, 0, sizeof *p - sizeof k);
        }
    } else {
        if (!is_short)
            return; /* long sessions alone are ordinary use: no state */
        p = mm_lru_insert(st->pats, &k, f->last_ns);
        if (!p)
            return;
    }
    p->sessions++;
    p->last_sport = flow_client_port(f);
    if (!is_short) {
        p->expire_ns = MM_MAX(p->expire_ns, mm_sat_add(f->last_ns, c->pattern_window_ns));
        return;
    }
    if (!p->rep.reports && p->win_short && t > p->win_start_ns &&
        t - p->win_start_ns > c->pattern_window_ns) {
        /* nothing reported: the window starts again, from this session */
        uint32_t sessions = p->sessions;
        memset((char *)p + sizeof k, 0, sizeof *p - sizeof k);
        p->sessions = sessions;
        p->last_sport = flow_client_port(f);
    }
    if (!p->win_short)
        p->win_start_ns = t;
    p->win_short++;
    if (!p->short_total || t < p->first_ns)
        p->first_ns = t;
    if (f->last_ns > p->last_ns)
        p->last_ns = f->last_ns;
    p->short_total++;
    p->dur_sum_ns += dur;
    p->dur_max_ns = MM_MAX(p->dur_max_ns, dur);
    p->bytes_ts += ts_bytes;
    p->bytes_tc += tc_bytes;
    p->expire_ns = mm_sat_add(p->last_ns, c->pattern_window_ns);
    bool cond = p->win_short >= bf_pat_min(c, port);
    enum dtr_due due = bf_due(d, &p->rep, cond, f->last_ns);
    if (due != DTR_DUE_NO)
        bf_pat_emit(st, d, p, f, f->last_ns, due == DTR_DUE_UPDATE, false);
}

/* --- time ------------------------------------------------------------------------------ */

/* Close and drop the entries whose activity is over (all of them with `all`). Bounded per
 * call unless `all`: the oldest entry is the least recently active one. */
static void bf_sweep(struct bf_state *st, struct dtr *d, uint64_t now_ns, bool all)
{
    for (unsigned n = 0; all || n < BF_SWEEP_PER_TICK; n++) {
        struct bf_pair *p = mm_lru_oldest(st->pairs);
        if (!p || (!all && now_ns < p->expire_ns))
            break;
        bf_pair_close(st, d, p, now_ns);
        mm_lru_remove(st->pairs, p);
    }
    for (unsigned n = 0; all || n < BF_SWEEP_PER_TICK; n++) {
        struct bf_service *s = mm_lru_oldest(st->services);
        if (!s || (!all && now_ns < s->expire_ns))
            break;
        struct bf_dist_view v;
        bf_dist_view(s, &v);
        bf_dist_close(st, d, s, &v, now_ns);
        mm_lru_remove(st->services, s);
    }
    for (unsigned n = 0; all || n < BF_SWEEP_PER_TICK; n++) {
        struct bf_pat *p = mm_lru_oldest(st->pats);
        if (!p || (!all && now_ns < p->expire_ns))
            break;
        bf_pat_close(st, d, p, now_ns);
        mm_lru_remove(st->pats, p);
    }
}

static void bf_tick(void *vst, struct dtr *d, uint64_t now_ns)
{
    bf_sweep(vst, d, now_ns, false);
}

static void bf_finish(void *vst, struct dtr *d, uint64_t now_ns)
{
    bf_sweep(vst, d, now_ns, true);
}

static void bf_stats(const void *vst, struct dtr_det_stats *out)
{
    const struct bf_state *st = vst;
    mm_lru_t *const t[] = {st->pairs, st->services, st->pats};
    dtr_table_stats(out, t, MM_ARRAY_LEN(t));
}

const struct dtr_ops dt_bruteforce_ops = {
    .name = "bruteforce",
    .threat = "T5",
    .summary = "brute force, password spray (one or many sources) and success after them from "
               "login records; many short sessions to encrypted login ports",
    .sid_base = 5001,
    .sigs = bf_sigs,
    .n_sigs = MM_ARRAY_LEN(bf_sigs),
    .params = bf_params,
    .n_params = MM_ARRAY_LEN(bf_params),
    .cfg_size = sizeof(struct bf_cfg),
    .init = bf_init,
    .fini = bf_fini,
    .record = bf_record,
    .flow_end = bf_flow_end,
    .tick = bf_tick,
    .finish = bf_finish,
    .stats = bf_stats,
};
