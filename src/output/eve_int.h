/*
 * Internals of the EVE writer shared by eve.c and the application-record writers
 * (eve_app.c): the writer's state, the common event head and emission.
 */
#ifndef MM_OUTPUT_EVE_INT_H
#define MM_OUTPUT_EVE_INT_H

#include "output/eve.h"
#include "core/json.h"

struct out_eve {
    out_sink_t *sink;
    struct out_eve_config cfg;
    struct jb jb;
    struct jb scratch;      /* an alert's app-layer record, built apart to merge (eve_alert.c) */
    const char *iface;
    enrich_t *enrich;       /* host objects of alerts (mamori.src_host/dest_host); may be NULL */
    uint64_t anomaly_sec;   /* second of packet time the rate counter is for */
    uint32_t anomaly_in_sec;
    struct out_eve_counters ctr;
};

/* Reset e->jb and open the event with the common head (timestamp, flow_id, in_iface,
 * event_type, src/dest address and port, proto). ip_ver 0: no addresses. */
void eve_head(out_eve_t *e, uint64_t ts_ns, uint64_t flow_id, const char *type, int ip_ver,
              const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
              uint8_t proto, bool ports_known);
/* Write the finished event in e->jb, or drop and count it when it could not be built. */
bool eve_emit(out_eve_t *e);
/* Largest event, in bytes of JSON; a larger one is dropped and counted. */
#define EVE_MAX_EVENT_BYTES (1u << 20)

/* A timestamp member in Suricata's format. */
void eve_put_ts(struct jb *jb, const char *key, uint64_t ts_ns);

/* Rate limit shared by decoder and app-layer anomalies: true when one more may be written
 * in the second of packet time ts_ns (counts it), false when suppressed (counted). */
bool eve_anomaly_allowed(out_eve_t *e, uint64_t ts_ns);

#endif
