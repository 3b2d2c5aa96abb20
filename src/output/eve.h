/*
 * EVE JSON events (Suricata's format, one JSON object per line): `flow` at flow end,
 * `anomaly` for decoder events, application-layer records, `alert` for rule matches,
 * `stats`. Field names and value forms follow Suricata's etc/schema.json; fields Suricata
 * has no name for go in a top-level "mamori" object (documented in docs/eve.md).
 *
 * One JSON buffer is reused for every event: no allocation per event. An event larger than
 * the buffer's maximum is dropped and counted. Anomaly events are rate-limited per second
 * of packet time so a flood of malformed packets cannot flood the log; the counters still
 * see every one.
 *
 * Not thread-safe: one writer per output thread.
 */
#ifndef MM_OUTPUT_EVE_H
#define MM_OUTPUT_EVE_H

#include <stdbool.h>
#include <stdint.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "output/sink.h"
#include "stream/stream.h"
#include "app/app.h"
#include "enrich/enrich.h"
#include "detect/dtr.h"

struct det_alert;
struct det_stats;

struct out_eve_config {
    uint32_t anomaly_rate_per_s; /* anomaly events per second of packet time; 0 = unlimited */
    bool community_id;           /* add community_id to flow events (default true) */
    uint16_t community_id_seed;
    uint8_t http_dump_headers;   /* EVE_HTTP_HEADERS_* (eve_app.h); default none */
};

void out_eve_config_defaults(struct out_eve_config *cfg);

/* Counters of the writer itself. */
struct out_eve_counters {
    uint64_t flow, anomaly, stats;   /* events written per type */
    uint64_t alert;                  /* alert events written */
    uint64_t app[APP_REC_COUNT];     /* application-layer events written per record kind */
    uint64_t anomalies_suppressed;   /* over the rate limit */
    uint64_t oversize_dropped;       /* events larger than the JSON buffer's maximum */
};

typedef struct out_eve out_eve_t;

/* Takes ownership of `sink` (closed by out_eve_free). NULL on allocation failure. */
out_eve_t *out_eve_new(out_sink_t *sink, const struct out_eve_config *cfg);
/* Flushes and closes the sink. */
void out_eve_free(out_eve_t *e);

/* Value of in_iface for the following events (borrowed; must outlive its use). */
void out_eve_set_iface(out_eve_t *e, const char *iface);
/* Alerts get host objects (mamori.src_host / dest_host) from en (borrowed; NULL = none). */
void out_eve_set_enrich(out_eve_t *e, enrich_t *en);

void out_eve_flow(out_eve_t *e, const struct flow *f, enum flow_end_reason reason);
/* The same with the flow's application protocol ("http", "failed" ...; NULL: not known)
 * and, when it changed (STARTTLS), the first one. */
void out_eve_flow_app(out_eve_t *e, const struct flow *f, enum flow_end_reason reason,
                      const char *app_proto, const char *app_proto_orig);

/* One application-layer record (app.h) as an EVE event: http, dns, tls, smtp, pop3, imap,
 * ftp, ssh, fileinfo, login (mamori's) or an applayer anomaly. dir/ts_ns as the record
 * callback received them. */
void out_eve_app_record(out_eve_t *e, const struct flow *f, int dir, uint64_t ts_ns,
                        enum app_record_kind kind, const void *rec);

/*
 * One "alert" event for a rule match reported by the detection engine (detect.h), in
 * Suricata's form: alert.action is always "allowed" (mamori is passive); the rule's own
 * action, when drop, reject or pass, is in mamori.rule_action. With a->rec the matched
 * record's app-layer objects (http, dns, tls, smtp ...) and tx_id are added; with a->flow
 * flow_id, app_proto, direction and Suricata's short "flow" object. Everything a points to is
 * borrowed for the call. An alert whose record would not fit the event size limit is written
 * without the record (mamori.record_omitted).
 */
void out_eve_alert(out_eve_t *e, const struct det_alert *a);

/* One anomaly event per decoder event on the packet (after flow handling, for flow_id). */
void out_eve_anomalies(out_eve_t *e, const struct packet *p);

/* Everything the stats event reports; pointers are borrowed for the call. */
struct out_stats_input {
    uint64_t ts_ns;        /* event time (packet time in pcap mode) */
    uint64_t uptime_s;
    const struct cap_stats *cap;
    const struct dec_stats *dec;
    const struct flow_stats *flow;
    const struct stream_stats *stream; /* may be NULL */
    const struct app_stats *app;       /* may be NULL */
    const struct det_stats *det;       /* may be NULL */
    const dtr_host_t *dtr;             /* built-in detectors; may be NULL */
    const enrich_t *enrich;            /* may be NULL */
    size_t defrag_memuse, defrag_memcap;
    uint64_t defrag_memcap_hits;
    const struct out_sink_stats *sink;
};
void out_eve_stats(out_eve_t *e, const struct out_stats_input *in);

void out_eve_get_counters(const out_eve_t *e, struct out_eve_counters *out);

/* Flush buffered lines to the sink's file (e.g. before exit or on a timer). */
int out_eve_flush(out_eve_t *e);
/* Reopen the output file (log rotation). */
int out_eve_reopen(out_eve_t *e);
/* Sink counters (lines, bytes, write errors). */
void out_eve_sink_stats(const out_eve_t *e, struct out_sink_stats *out);

#endif
