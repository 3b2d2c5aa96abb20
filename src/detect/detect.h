/*
 * Signature detection: Suricata-style rules (rule.h) matched on packets, reassembled TCP
 * data and application-layer records, with a Hyperscan prefilter per inspection buffer and
 * the full option chain verified on candidates (docs/internals/detect.md).
 *
 * Two objects: a det_engine is a compiled, read-only rule set (built once, swapped whole on
 * reload); a det_worker holds one thread's scratch, thresholds and xbits and inspects
 * traffic against the engine it is given. Alerts go to the callback given to the worker.
 */
#ifndef MM_DETECT_DETECT_H
#define MM_DETECT_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "decode/decode.h"
#include "detect/rule_parse.h"
#include "flow/flow.h"

struct det_config {
    struct det_parse_opts parse;
    const char *cache_dir;        /* compiled-database cache; NULL or "" = no cache */
    size_t threshold_memcap;      /* default 16 MiB */
    size_t xbits_memcap;          /* default 4 MiB */
    size_t flowvar_memcap;        /* flowbits/flowint of all flows; default 32 MiB */
};
void det_config_defaults(struct det_config *cfg);

/* What loading measured (for logs, `rules check`, the benchmark). */
struct det_load_report {
    uint32_t total, loaded, skipped;
    double parse_s, compile_s;    /* wall time of parsing and of database build/load */
    uint32_t databases;           /* Hyperscan databases in use */
    uint32_t cache_hits, cache_misses; /* databases loaded from / written to the cache */
    size_t db_bytes;              /* bytes of all databases */
};

typedef struct det_engine det_engine_t;
typedef struct det_worker det_worker_t;

/*
 * Parse `files`, group the rules, build (or load from the cache) the prefilter databases.
 * Returns NULL with err set when a file cannot be read or a database cannot be built;
 * rules that cannot be loaded are skipped (listed in *rs_out's skips when rs_out is given,
 * otherwise logged as warnings). *rs_out, when non-NULL, receives a pointer to the
 * engine's ruleset (owned by the engine).
 */
det_engine_t *det_engine_load(const struct det_config *cfg, const char *const *files,
                              size_t n_files, struct det_load_report *rep, char *err,
                              size_t errlen);
/* The same on rules given as text (tests and fuzzing). */
det_engine_t *det_engine_load_string(const struct det_config *cfg, const char *text,
                                     struct det_load_report *rep, char *err, size_t errlen);
const struct det_ruleset *det_engine_ruleset(const det_engine_t *e);
/* What loading does after parsing, without building databases (`mamori rules check`): rules
 * the engine cannot place (buffers of two protocols in one rule ...) move to rs->skips. */
void det_ruleset_check_placement(struct det_ruleset *rs);
void det_engine_free(det_engine_t *e);

/* One alert: the rule and where it matched. Borrowed for the callback. */
struct det_alert {
    const struct det_rule *rule;
    const struct det_ruleset *rs;   /* for the classtype name */
    const struct flow *flow;        /* NULL for a packet without a flow */
    const struct packet *pkt;       /* the packet, for packet/stream inspection; else NULL */
    uint64_t ts_ns;
    int dir;                        /* 0 to server, 1 to client: direction of the data */
    /* Alert addresses (Suricata: those of the packet that matched; for a record, its
     * direction's sender is src). */
    struct mm_addr src, dst;
    uint16_t sport, dport;
    uint8_t ip_ver, proto;
    int app_proto;                  /* enum app_proto of the flow, 0 unknown */
    enum app_record_kind rec_kind;  /* valid when rec != NULL */
    const void *rec;                /* the app-layer record that matched, or NULL */
    /* Built-in detectors (dtr.h): members for the alert's "mamori" object, as the text of
     * one JSON object ({"threat": ..., "evidence": {...}}); NULL for rule alerts. */
    const char *mamori_json;
    size_t mamori_len;
};
/* The writer of alerts: true when it wrote the alert, false when it held it back (a threshold
 * file). The rule worker then does not mark the flow as alerted, as for a rule's own
 * threshold, and the built-in detectors count it as held back. */
typedef bool (*det_alert_cb)(void *user, const struct det_alert *a);

/* The flow variables the alert's flow holds at the time of the alert (EVE "metadata"):
 * bit() once per flowbit set, in id order, and num() once per flowint set. Nothing without
 * a flow or variables. Names belong to the rule set (valid during the alert callback). */
void det_alert_flowvars(const struct det_alert *a, void (*bit)(void *u, const char *name),
                        void (*num)(void *u, const char *name, int64_t v), void *u);

struct det_stats {
    uint64_t alerts;              /* alerts written */
    uint64_t alerts_suppressed;   /* held back by threshold / detection_filter / noalert */
    uint64_t pass;                /* inspections stopped by a pass rule */
    uint64_t inspected_pkts, inspected_chunks, inspected_records;
    uint64_t candidates;          /* rules verified after the prefilter */
    uint64_t matches;             /* rules whose option chain matched */
    uint64_t pcre_errors;         /* pcre2 match errors (match limit ...) */
    uint64_t flowvar_memcap_hits;
    size_t flowvar_memuse;
    uint64_t threshold_entries, threshold_evicted;
    uint64_t xbits_entries, xbits_evicted;
};

/* NULL on allocation failure. The engine must outlive the worker or be replaced first. */
det_worker_t *det_worker_new(det_engine_t *e, const struct det_config *cfg, det_alert_cb cb,
                             void *user);
void det_worker_free(det_worker_t *w);
/* Use another engine from now on (rule reload). Per-flow state of the old rule set (flow
 * variables) is dropped as flows meet the new engine. Returns the previous engine. */
det_engine_t *det_worker_swap(det_worker_t *w, det_engine_t *e);
/* The threshold file in use (NULL: none), kept by the caller while the worker runs: a
 * threshold line for a rule's own gid:sid replaces the rule's threshold and detection_filter
 * (the caller applies the line when the alert reaches it: det_suppress_check). */
struct det_suppress;
void det_worker_set_threshold_file(det_worker_t *w, const struct det_suppress *s);
void det_worker_get_stats(const det_worker_t *w, struct det_stats *out);
/* Whether the current rule set has anything for det_packet / det_stream to do: a rule set of
 * only app-layer rules (the shipped web rules) has not, and the packet loop can skip the
 * calls and what it prepares for them. Changes with det_worker_swap. */
bool det_worker_inspects_packets(const det_worker_t *w);
bool det_worker_inspects_stream(const det_worker_t *w);

/*
 * Inspection points, called from the packet loop:
 *  - det_packet: every decoded packet after flow handling (f may be NULL): header-only and
 *    packet rules, payload rules of UDP/ICMP/other and of TCP packets when `stream_active`
 *    is false (no reassembly for this flow).
 *  - det_stream: each in-order chunk reassembly delivers for a TCP flow.
 *  - det_record: each app-layer record (before it is written as an event).
 *  - det_flow_end: the flow ends; frees its detection state.
 * Flow state (f->det: flow variables; f->alerted, f->det_passed) is written through `f`;
 * app_proto is the flow's application protocol as far as known.
 */
void det_packet(det_worker_t *w, struct flow *f, int dir, const struct packet *p,
                bool stream_active, enum app_proto app_proto);
void det_stream(det_worker_t *w, struct flow *f, int dir, const uint8_t *data, uint32_t len,
                uint64_t ts_ns, enum app_proto app_proto);
void det_record(det_worker_t *w, struct flow *f, int dir, uint64_t ts_ns,
                enum app_record_kind kind, const void *rec);
void det_flow_end(det_worker_t *w, struct flow *f);
/* The packet being processed (NULL between packets): alerts from stream chunks and records
 * of its flow name it (EVE pcap_cnt), as Suricata's name the packet that completed them. */
void det_set_packet(det_worker_t *w, const struct packet *p);

/* Names for EVE: "allowed" for alert/pass ... as Suricata writes alert.action. */
const char *det_action_eve(enum det_action a);

#endif
