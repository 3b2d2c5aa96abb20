/*
 * What a built-in detector (dt_<name>.c) sees of the detector host: its description
 * (struct dtr_ops), the settings table that fills its config struct, alert emission with
 * evidence, the "report once, then an update at most every N minutes" rule, bounded
 * distinct counting, and small formatting helpers. Internal to the detect layer.
 */
#ifndef MM_DETECT_DTR_INT_H
#define MM_DETECT_DTR_INT_H

#include "detect/dtr.h"

#include "core/json.h"
#include "core/lru_table.h"

#include <stddef.h>

#define DTR_NS_PER_S 1000000000ull

/* --- settings -------------------------------------------------------------------------- */

enum dtr_param_type {
    DTR_P_U32,      /* uint32_t */
    DTR_P_U64,      /* uint64_t */
    DTR_P_SIZE,     /* size_t, accepts kb/mb/gb */
    DTR_P_DURATION, /* uint64_t nanoseconds; accepts "500ms", "30s", "10m", "2h", "1d" (a bare
                       number is seconds) */
    DTR_P_DOUBLE,   /* double */
    DTR_P_BOOL,     /* bool: yes/no/true/false/on/off */
    DTR_P_STRING,   /* const char * (kept for the life of the host) */
};

/* One setting of a detector: detectors.<detector>.<name> in the YAML. */
struct dtr_param {
    const char *name;   /* "min-ports" */
    enum dtr_param_type type;
    size_t offset;      /* offsetof(<detector's config struct>, field) */
    const char *def;    /* default, as it would be written in the YAML */
    double min, max;    /* accepted range for numbers (durations in seconds) */
    const char *doc;    /* one line: what it means and why the default */
};

/* --- signatures ------------------------------------------------------------------------ */

/* One alert kind of a detector; signature id = ops.sid_base + index in the table. */
struct dtr_sig {
    const char *variant;   /* "vertical", "horizontal" ... (mamori.variant) */
    const char *msg;       /* alert.signature, e.g. "MAMORI T2 vertical port scan" */
    const char *classtype; /* Suricata class: attempted-recon, attempted-dos ... */
    int priority;          /* alert.severity: 1 high .. 3 low */
};

struct dtr; /* the host's view of one detector instance (below) */

/*
 * A detector. Every callback but init is optional. `st` is what init returned; `d` is the
 * handle to emit alerts with. Callbacks run on the packet thread and must stay cheap: per
 * packet, a hash lookup or two.
 */
/*
 * Classes of packets, for dtr_ops.packet_classes: the host sorts each packet into one and
 * calls only the detectors that asked for it. Most packets are segments in the middle of a
 * connection, which no detector but latency reads; they no longer cost every detector a call.
 * "First" is the first packet of its direction of a flow (or a packet without a flow).
 */
enum dtr_packet_class {
    DTR_PC_TCP_EDGE = 0, /* TCP: SYN or RST set, no flow, or among the first two packets of
                            its direction */
    DTR_PC_TCP_DATA,     /* TCP, later, with payload */
    DTR_PC_TCP_ACK,      /* TCP, later, without payload (bare ACKs, FINs) */
    DTR_PC_UDP_FIRST,
    DTR_PC_UDP_MORE,
    DTR_PC_OTHER_FIRST,  /* ICMP, other protocols, not IP */
    DTR_PC_OTHER_MORE,
    DTR_PC_COUNT
};
#define DTR_PC_BIT(c) (1u << (c))
#define DTR_PC_ALL ((1u << DTR_PC_COUNT) - 1u)

struct dtr_ops {
    const char *name;    /* "portscan": config section, mamori.detector, stats */
    const char *threat;  /* "T2" */
    const char *summary; /* one line for docs and `mamori detectors` */
    uint32_t sid_base;   /* signature ids sid_base + i, i < n_sigs */
    const struct dtr_sig *sigs;
    size_t n_sigs;
    const struct dtr_param *params; /* every param but "enabled", which the host adds */
    size_t n_params;
    size_t cfg_size;     /* sizeof the config struct the params fill */
    /* Allocate state from the filled config (borrowed for the host's lifetime). NULL with
     * err filled on failure. */
    void *(*init)(struct dtr *d, const void *cfg, char *err, size_t errlen);
    void (*fini)(void *st);
    void (*packet)(void *st, struct dtr *d, const struct flow *f, int dir,
                   const struct packet *p);
    /* DTR_PC_BIT()s of the packets `packet` is called for; 0 = every packet. A superset of
     * what the callback acts on: it still tests what it needs. */
    uint32_t packet_classes;
    void (*record)(void *st, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                   enum app_record_kind kind, const void *rec);
    void (*flow_end)(void *st, struct dtr *d, const struct flow *f);
    /* Weak-password check; pw is borrowed for the call and must not be copied anywhere. */
    void (*password)(void *st, struct dtr *d, const struct flow *f,
                     const struct app_login *login, const uint8_t *pw, size_t pw_len);
    /* A mail message ended (app_message_cb); email is borrowed for the call. */
    void (*message)(void *st, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                    enum app_proto proto, const struct mime_email *email);
    void (*tick)(void *st, struct dtr *d, uint64_t now_ns); /* about once a second */
    void (*finish)(void *st, struct dtr *d, uint64_t now_ns); /* end of input */
    int (*reload)(void *st, struct dtr *d, char *err, size_t errlen);
    /* entries, evicted, memcap_hits, memuse, memcap (the host fills the rest). */
    void (*stats)(const void *st, struct dtr_det_stats *out);
    void (*metrics)(const void *st, dtr_metric_cb cb, void *u);
};

/* The registry (dtr_registry.c): every detector, in report order. */
extern const struct dtr_ops *const dtr_registry[];
extern const size_t dtr_registry_len;

/* --- host services for detectors -------------------------------------------------------- */

/* The host's configuration (intel files, data dir, update interval). */
const struct dtr_config *dtr_host_config(const struct dtr *d);
/* Enrichment (HOME_NET); may be NULL in tests. */
enrich_t *dtr_enrich(const struct dtr *d);
/* HOME_NET membership; without enrichment, RFC 1918 / fc00::/7 / link-local count. */
bool dtr_is_internal(const struct dtr *d, const struct mm_addr *a, int ip_ver);

/* Where a shipped data file is: <data_dir>/<name> into out. False when it does not fit. */
bool dtr_data_path(const struct dtr *d, const char *name, char *out, size_t outlen);

/*
 * Alerting. Start with dtr_alert_begin (returns the builder with the "evidence" object
 * open: add members), then dtr_alert_emit with where the alert points. Addresses follow
 * Suricata's alerts: src is the attacker / the internal host of T1, dst the victim / peer.
 */
struct dtr_alert_args {
    size_t sig;             /* index into ops.sigs */
    const struct flow *flow; /* the flow the alert is about, or NULL */
    uint64_t ts_ns;
    struct mm_addr src, dst;
    uint8_t ip_ver;         /* 4 or 6 */
    uint8_t proto;          /* IP protocol, 0 when the activity spans protocols */
    uint16_t sport, dport;  /* 0 when not one port */
    int app_proto;          /* enum app_proto or 0 */
    bool update;            /* a later report on an activity already reported */
    enum app_record_kind rec_kind; /* with rec: the record written into the alert */
    const void *rec;
};
struct jb *dtr_alert_begin(struct dtr *d);
void dtr_alert_emit(struct dtr *d, const struct dtr_alert_args *a);

/*
 * What the detectors keep in each flow (struct flow.dtr_area, zero when the flow starts): the
 * per-connection state that would otherwise cost a table lookup on every packet that needs it.
 * The flow layer hands flows to this layer as const (its own fields are not ours to change);
 * this area is ours, so dtr_flow_area gives it writable.
 */
struct dtr_flow_area {
    /* latency: the client's handshake ACK and the last request segment awaiting a response;
     * lat_flags 0 = the connection is not being timed */
    uint64_t lat_est_ns, lat_req_ns;
    uint8_t lat_flags;
};
_Static_assert(sizeof(struct dtr_flow_area) <= sizeof(((struct flow *)0)->dtr_area),
               "struct dtr_flow_area must fit in struct flow.dtr_area (FLOW_DTR_WORDS)");

static inline struct dtr_flow_area *dtr_flow_area(const struct flow *f)
{
    return (struct dtr_flow_area *)(void *)(uintptr_t)f->dtr_area;
}

/* Report schedule of one ongoing activity (keep one in the activity's state, zeroed). */
struct dtr_report {
    uint64_t first_ns, last_ns; /* first report, last report; 0 = never reported */
    uint32_t reports;
};
enum dtr_due { DTR_DUE_NO = 0, DTR_DUE_FIRST, DTR_DUE_UPDATE };
/* Whether to report now: FIRST when never reported, UPDATE when the last report is at least
 * the host's update interval old; NO otherwise. Records the report when due. */
enum dtr_due dtr_report_due(const struct dtr *d, struct dtr_report *r, uint64_t now_ns);

/* --- evidence helpers ------------------------------------------------------------------- */

void dtr_ev_ip(struct jb *jb, const char *key, const struct mm_addr *a, int ip_ver);
void dtr_ev_ts(struct jb *jb, const char *key, uint64_t ts_ns);
/* Seconds with millisecond precision. */
void dtr_ev_secs(struct jb *jb, const char *key, uint64_t ns);
/* Address text into out (>= 46 bytes). */
const char *dtr_addr_str(const struct mm_addr *a, int ip_ver, char *out, size_t outlen);

/*
 * Bounded distinct counter: exact up to DTR_DISTINCT_EXACT values (kept, for examples),
 * then a 1024-bit linear-counting sketch (about 2 % error up to a few thousand, saturates
 * near 7,000 and reports that as a lower bound). 128 + 4 * DTR_DISTINCT_EXACT + 8 bytes.
 */
#define DTR_DISTINCT_EXACT 16
struct dtr_distinct {
    uint32_t exact[DTR_DISTINCT_EXACT]; /* the first values seen, in order */
    uint16_t n_exact;
    uint16_t sketch_set;                /* bits set in the sketch */
    uint32_t total_adds;                /* every add, duplicates included */
    uint64_t sketch[16];
};
/* Empty the counter (the exact values need no clearing: they are read below n_exact). */
void dtr_distinct_clear(struct dtr_distinct *c);
/* Whether v may have been added: exact while every value added is among the exact ones, then
 * by v's sketch bit (which other values share: a false "yes" is possible, a false "no" not). */
bool dtr_distinct_may_hold(const struct dtr_distinct *c, uint32_t v);
/* Add a value; true when it was (probably) new. */
bool dtr_distinct_add(struct dtr_distinct *c, uint32_t v);
/* Estimated count of distinct values. */
uint32_t dtr_distinct_count(const struct dtr_distinct *c);
/*
 * Folds: a summary of the values a counter was given in `words` 64-bit words (1, 2, 4, 8 or
 * 16: its sketch with the halves OR-ed together until it fits), kept to ask later which
 * values were among them. Never a false "no"; a false "yes" for about n / (64 * words) of the
 * values not among n. Folds of one size can be OR-ed together (the union of their values).
 */
/* OR the fold of c into out[0..words). */
void dtr_distinct_fold_into(const struct dtr_distinct *c, uint64_t *out, size_t words);
/* Set v's bit in a fold (a value added to the summary directly). */
void dtr_fold_add(uint64_t *fold, size_t words, uint32_t v);
/* Bits set in a fold. */
unsigned dtr_fold_bits(const uint64_t *fold, size_t words);
/* Of the bits of c's fold, how many are set in `other` (same size) too; *bits gets the
 * number of bits of c's fold. A share of c's values among other's, counted by bits. */
unsigned dtr_fold_common(const struct dtr_distinct *c, const uint64_t *other, size_t words,
                         unsigned *bits);
/* Write the first values seen as a JSON array member. */
void dtr_ev_distinct_examples(struct jb *jb, const struct dtr_distinct *c, const char *key,
                              size_t max);
/* A 32-bit value for an address (IPv4 as is; IPv6 hashed), for distinct counting. */
uint32_t dtr_addr_key32(const struct mm_addr *a, int ip_ver);

/* A table with the detector's memcap: mm_lru with the name "<detector>" and counted
 * evictions; convenience over mm_lru_new. */
mm_lru_t *dtr_table_new(struct dtr *d, const char *name, size_t memcap, size_t entry_size,
                        size_t key_len, bool (*stale)(const void *entry, uint64_t now_ns));
/* Fill entries/evicted/memcap_hits/memuse/memcap of out from up to 4 tables. */
void dtr_table_stats(struct dtr_det_stats *out, mm_lru_t *const *tables, size_t n);

#endif
