/*
 * TCP stream reassembly: turns the segments of one TCP connection into the two ordered
 * byte streams the application parsers read (issue 3). Per direction it handles
 * out-of-order segments, retransmissions, overlaps (the first data seen for a sequence
 * number wins; an overlap whose bytes differ is counted as an anomaly), gaps (reported to
 * the consumer, who continues after them), sequence-number wrap, mid-stream pick-up (no
 * SYN seen), a per-direction depth and a global memcap on queued data.
 *
 * Data arriving in order is delivered straight from the packet (no copy); only segments
 * that arrive ahead of a hole are copied, into fixed-size blocks from a pool charged to the
 * memcap.
 *
 * Not thread-safe: one stream_ctx per worker thread; a stream_flow belongs to the worker
 * that owns its flow.
 */
#ifndef MM_STREAM_STREAM_H
#define MM_STREAM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stream_config {
    uint32_t depth_bytes;      /* bytes delivered per direction, then the rest is skipped;
                                  default 1 MiB; 0 = unlimited */
    size_t memcap_bytes;       /* queued out-of-order data over all flows; default 64 MiB */
    uint32_t max_queued_bytes; /* per direction: beyond this much data waiting behind a hole,
                                  the hole is declared a gap and delivery goes on;
                                  default 256 KiB */
};

void stream_config_defaults(struct stream_config *cfg);

/* What a delivery callback receives. */
enum stream_event {
    STREAM_DATA = 0, /* `len` in-order bytes at `data` (borrowed for the call only) */
    STREAM_GAP,      /* `len` bytes are missing here and never will be delivered; data NULL */
    STREAM_END,      /* the direction ended (FIN or RST seen and all data before it delivered,
                        depth reached, or stream_flow_free); data NULL, len 0; sent once */
};

/* dir: 0 = client to server, 1 = server to client (enum flow_dir's values). */
typedef void (*stream_deliver_cb)(void *user, int dir, enum stream_event ev, const uint8_t *data,
                                  uint32_t len);
/* The callback must not call back into this module for the same stream_ctx. */

struct stream_stats {
    uint64_t segments;          /* segments with payload (or FIN/RST) handed in */
    uint64_t bytes_delivered;   /* STREAM_DATA bytes */
    uint64_t out_of_order;      /* segments queued ahead of a hole */
    uint64_t retransmissions;   /* segments whose bytes were all seen before */
    uint64_t overlaps;          /* segments partly overlapping data already seen */
    uint64_t overlap_conflicts; /* overlaps whose bytes differ from the first-seen ones
                                   (compared where the first-seen bytes are still queued) */
    uint64_t gaps, gap_bytes;   /* STREAM_GAP events and their total length */
    uint64_t depth_reached;     /* directions that hit depth_bytes */
    uint64_t memcap_drops;      /* out-of-order segments dropped because of the memcap */
    uint64_t flows_refused;     /* stream_flow_new() calls the memcap refused */
    size_t memuse, memuse_peak; /* bytes charged to the memcap now / at most */
};

typedef struct stream_ctx stream_ctx_t;
struct stream_flow;

/* NULL on startup allocation failure. The config is copied. */
stream_ctx_t *stream_ctx_new(const struct stream_config *cfg);
/* All stream_flows must have been freed first. */
void stream_ctx_free(stream_ctx_t *ctx);

/*
 * State for one TCP connection, delivering to cb(user, ...). NULL when the memcap refuses
 * (counted); the caller then tracks the flow without reassembly.
 */
struct stream_flow *stream_flow_new(stream_ctx_t *ctx, stream_deliver_cb cb, void *user);

/*
 * Deliver what can still be delivered (queued data, with STREAM_GAP for holes), then
 * STREAM_END for each direction not yet ended, and free the state. Safe with NULL.
 */
void stream_flow_free(stream_ctx_t *ctx, struct stream_flow *sf);

/*
 * One TCP segment of direction `dir`: its sequence number, TCP flags (SYN sets the initial
 * sequence number; FIN and RST end the direction once the data before them is delivered)
 * and payload (borrowed: copied if it must be queued). Deliveries happen inside this call.
 * Returns 0, or MM_ELIMIT when the segment had to be dropped (memcap; counted).
 */
int stream_segment(stream_ctx_t *ctx, struct stream_flow *sf, int dir, uint32_t seq,
                   uint8_t tcp_flags, const uint8_t *payload, uint32_t len);

void stream_get_stats(const stream_ctx_t *ctx, struct stream_stats *out);

#endif
