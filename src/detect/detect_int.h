/*
 * Inside the detection engine: what the option-chain matcher (match.c), the flow variables
 * (flowvars.c: flowbits, flowint, xbits), thresholds (threshold.c), the app-layer buffers
 * (buffers.c) and the engine (detect.c, prefilter.c) share. Not for other layers.
 */
#ifndef MM_DETECT_DETECT_INT_H
#define MM_DETECT_DETECT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/mem.h"
#include "decode/decode.h"
#include "detect/rule.h"
#include "flow/flow.h"

struct det_bufs;      /* buffers.c: the app-layer buffers of one inspection, built lazily */
struct det_flowvars;  /* flowvars.c: one flow's flowbits and flowints */
struct det_xbits;     /* flowvars.c: host/pair bits of one worker */
struct det_thresholds; /* threshold.c: threshold / detection_filter state of one worker */

/* One inspection: a packet, a reassembled TCP chunk, or an app-layer record. */
struct det_match_ctx {
    const struct packet *pkt;    /* packet inspection: the packet; NULL otherwise */
    const struct flow *flow;     /* NULL for a packet without a flow */
    int dir;                     /* 0 to server, 1 to client: direction of the data */
    bool stream;                 /* payload is a reassembled TCP chunk (not a packet) */
    const uint8_t *payload;      /* DET_BUF_PAYLOAD; NULL when this inspection has none */
    uint32_t payload_len;
    uint64_t ts_ns;
    int app_proto;               /* enum app_proto of the flow (0: unknown) */
    struct det_bufs *bufs;       /* NULL when the inspection has no app-layer record */
    bool mirror;                 /* read the response side of direction-neutral HTTP buffers
                                    (struct det_rule.both_sides) */
    struct det_flowvars **fvars; /* the flow's variable slot (NULL without a flow) */
    struct det_xbits *xbits;     /* may be NULL */
    struct mem_cap *flowvar_cap; /* charged for flow variables */
    const struct det_ruleset *rs;
    /* Scratch for one rule's evaluation (reset by det_match_rule). */
    uint64_t vars[DET_MAX_VARS];
    pcre2_match_data *md;        /* the worker's match data (ovector of 32 pairs) */
    pcre2_match_context *mctx;   /* the worker's match limits (match and depth limits) */
    uint64_t pcre_errors;        /* pcre2_match errors other than "no match" (counted) */
};

/*
 * A buffer of this inspection, after the transform chain. false when the inspection has no
 * such buffer (e.g. http.cookie on a request without a Cookie header, or any app buffer on a
 * packet). Transformed copies live in per-inspection scratch (valid until the next
 * inspection). Implemented in buffers.c.
 */
bool det_buf_get(struct det_match_ctx *mc, enum det_buf buf, det_xform_chain xform,
                 const uint8_t **p, uint32_t *len);

/* The response-side id of a direction-neutral HTTP request buffer (http.header ->
 * response headers ...), or DET_BUF_COUNT when the buffer has no such twin. */
enum det_buf det_buf_response_twin(enum det_buf buf);

/* ---- match.c ---- */

/*
 * Everything of rule r except its header (protocol, addresses, ports, direction: the
 * engine checked those) and threshold/detection_filter: flow keyword, packet conditions,
 * flowbits/flowint/xbits conditions, app-layer-protocol, and every buffer list. A list whose
 * buffer is absent does not match. No side effects (variables are set by det_match_apply).
 */
bool det_match_rule(struct det_match_ctx *mc, const struct det_rule *r);
/* The rule's flowbits isset/isnotset conditions hold for the flow (true without any). A
 * flow-level test, done before a candidate's buffers are set up: rules such as "the response
 * after an attack" have no fast pattern and are candidates for every record, and on almost
 * every flow their flowbit is not set. */
bool det_match_flowbits(const struct det_match_ctx *mc, const struct det_rule *r);

/* One list on the given bytes (exported for unit tests; det_match_rule uses it). */
bool det_match_list(struct det_match_ctx *mc, const struct det_list *l, const uint8_t *buf,
                    uint32_t len);

/* After a match: flowbits set/unset/toggle, flowint set/add/sub, xbits set/unset/toggle. */
void det_match_apply(struct det_match_ctx *mc, const struct det_rule *r);

/* ---- flowvars.c ---- */

/* Frees a flow's variables (flow end). Safe with NULL. */
void det_flowvars_free(struct det_flowvars *v, struct mem_cap *cap);

/* Bit operations on a flow's variables; allocation (charged to cap) on first set. A refused
 * allocation makes the set a no-op (counted by the cap). */
bool det_flowbit_isset(const struct det_flowvars *v, uint32_t id);
void det_flowbit_set(struct det_flowvars **v, struct mem_cap *cap, const struct det_ruleset *rs,
                     uint32_t id, bool on);
bool det_flowint_get(const struct det_flowvars *v, uint32_t id, int64_t *out);
void det_flowint_put(struct det_flowvars **v, struct mem_cap *cap, const struct det_ruleset *rs,
                     uint32_t id, int64_t value);

struct det_xbits_stats {
    uint64_t entries, evicted, memcap_hits;
};
struct det_xbits *det_xbits_new(size_t memcap_bytes);
void det_xbits_free(struct det_xbits *x);
/* key: the tracked address(es), 32 bytes (src then dst; pair sorted; unused half zero). */
bool det_xbit_isset(struct det_xbits *x, uint32_t id, const uint8_t key[32], uint64_t now_ns);
void det_xbit_set(struct det_xbits *x, uint32_t id, const uint8_t key[32], bool on,
                  uint64_t expire_ns);
void det_xbits_get_stats(const struct det_xbits *x, struct det_xbits_stats *out);

/* ---- threshold.c ---- */

struct det_threshold_stats {
    uint64_t entries;      /* tracking entries in use */
    uint64_t evicted;      /* entries dropped oldest-first because the memcap was reached */
    uint64_t suppressed;   /* alerts held back by threshold / detection_filter */
};
struct det_thresholds *det_thresholds_new(size_t memcap_bytes);
void det_thresholds_free(struct det_thresholds *t);
/*
 * A match of rule r at time ts_ns between src and dst (the alert's addresses, 16-byte form):
 * true when an alert is to be written after applying r's threshold and detection_filter
 * (rules with neither: always true). Suricata semantics: limit = first `count` per window;
 * threshold = every `count`-th; both = once per window after `count`; detection_filter =
 * every match after the first `count` in the window.
 */
bool det_threshold_pass(struct det_thresholds *t, const struct det_rule *r,
                        const uint8_t src[16], const uint8_t dst[16], uint64_t ts_ns);
/*
 * A match of gid:sid judged by the spec td given apart from any rule (a threshold file's
 * `threshold` or `event_filter` line): true when the alert is to be written. td->type
 * DET_THR_DETECTION_FILTER counts as the keyword of that name.
 */
bool det_threshold_step(struct det_thresholds *t, uint32_t gid, uint32_t sid,
                        const struct det_threshold *td, const uint8_t src[16],
                        const uint8_t dst[16], uint64_t ts_ns);
/*
 * A match of gid:sid under a threshold file's `rate_filter` (td->count matches in
 * td->seconds, tracked by td->track): true while its new action is in force, that is from
 * the match that makes the window's count exceed td->count until timeout_s seconds later.
 * False also when the memcap leaves no entry to count with.
 */
bool det_rate_step(struct det_thresholds *t, uint32_t gid, uint32_t sid,
                   const struct det_threshold *td, uint32_t timeout_s, const uint8_t src[16],
                   const uint8_t dst[16], uint64_t ts_ns);
void det_thresholds_get_stats(const struct det_thresholds *t, struct det_threshold_stats *out);

#endif
