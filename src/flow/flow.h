/*
 * Bidirectional flow table: one `struct flow` per conversation keyed on (VLAN ids, IP
 * version, protocol, addresses, ports or ICMP echo id), with per-direction counters, TCP
 * state and timeouts per protocol and state. All timing comes from packet timestamps, so a
 * capture file gives the same flows on every run.
 *
 * Memory is bounded by a memcap: flows come from slabs charged to it, and when it is full
 * the least recently used flow is ended early ("emergency eviction", counted).
 *
 * Not thread-safe: one table per worker thread. The end-of-flow callback runs on that thread.
 */
#ifndef MM_FLOW_FLOW_H
#define MM_FLOW_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

enum flow_dir { FLOW_TOSERVER = 0, FLOW_TOCLIENT = 1 };

/* Suricata's flow.state values. */
enum flow_state { FLOW_STATE_NEW = 0, FLOW_STATE_ESTABLISHED, FLOW_STATE_CLOSED, FLOW_STATE_COUNT };

/* Timeout classes: a protocol group crossed with flow_state. */
enum flow_proto_class { FLOW_PROTO_TCP = 0, FLOW_PROTO_UDP, FLOW_PROTO_ICMP, FLOW_PROTO_OTHER,
                        FLOW_PROTO_COUNT };

/* TCP connection states, named as Suricata names them in EVE tcp.state. */
enum flow_tcp_state {
    TCPS_NONE = 0, TCPS_SYN_SENT, TCPS_SYN_RECV, TCPS_ESTABLISHED, TCPS_FIN_WAIT1,
    TCPS_FIN_WAIT2, TCPS_TIME_WAIT, TCPS_LAST_ACK, TCPS_CLOSE_WAIT, TCPS_CLOSING, TCPS_CLOSED,
};

enum flow_end_reason { FLOW_END_TIMEOUT = 0, FLOW_END_FORCED, FLOW_END_SHUTDOWN };

/* Normalised key: the endpoint that sorts lower is `a`. 48 bytes, compared with memcmp. */
struct flow_key {
    uint8_t a[16], b[16];
    uint16_t port_a, port_b;
    uint16_t vlan[PKT_MAX_VLANS];
    uint8_t proto, ip_ver;
    uint8_t pad[6];
};

#define FLOW_DTR_WORDS 3 /* see struct flow.dtr_area */

struct flow {
    struct flow *hnext;          /* hash chain (also the free-list link) */
    struct flow **hpprev;        /* the pointer that points at this flow in its chain */
    struct flow *lru_prev, *lru_next; /* timeout list of this flow's class, oldest first */
    struct flow_key key;
    uint64_t flow_id;            /* stable id for EVE, < 2^53 */
    uint64_t first_ns, last_ns;  /* packet time of first/last packet */
    uint64_t pkts[2], bytes[2];  /* per direction (enum flow_dir); bytes = captured frame bytes */
    uint64_t payload[2];         /* transport payload bytes per direction (rules: stream_size) */
    uint32_t hash;
    uint8_t tcp_flags[2];        /* OR of TCP flags per direction */
    uint8_t tcp_state;           /* enum flow_tcp_state */
    uint8_t state;               /* enum flow_state */
    uint8_t lru_class;           /* index of the timeout list the flow is on */
    bool client_is_a;            /* client (initiator) is key.a */
    bool alerted;                /* set by detection (later layers) */
    bool det_passed;             /* a pass rule matched: no more detection on this flow */
    uint8_t icmp_type[2], icmp_code[2]; /* first ICMP type/code per direction */
    bool icmp_seen[2];
    uint8_t fin_seen;            /* bits 0-1: FIN seen per direction; 2-3: who sent the first */
    uint8_t vlan_count;          /* how many of key.vlan are real tags */
    void *app;                   /* per-flow state of upper layers; owned by them */
    void *det;                   /* detection state (detect layer); NULL until needed */
    void *det_stream;            /* detection: stream tails (detect layer); NULL until needed */
    /* Per-connection state of the built-in detectors (detect layer: struct dtr_flow_area in
     * detect/dtr_int.h). Kept in the flow, it needs no table of its own, no lookup per packet
     * and no removal at the end, and it is bounded by the flow memcap. Zero at the start. */
    uint64_t dtr_area[FLOW_DTR_WORDS];
};

/* Called once when a flow ends, before its memory is reused. Must not keep `f`. */
typedef void (*flow_end_cb)(const struct flow *f, enum flow_end_reason reason, void *user);

struct flow_config {
    size_t memcap_bytes; /* default 64 MiB; flows come in slabs of up to 512 */
    uint32_t timeout_s[FLOW_PROTO_COUNT][FLOW_STATE_COUNT];
    uint32_t hash_seed;                                /* fixed in pcap mode: deterministic */
};

void flow_config_defaults(struct flow_config *cfg);

struct flow_stats {
    uint64_t created, ended_timeout, ended_forced, ended_shutdown;
    uint64_t tcp, udp, icmpv4, icmpv6, other; /* flows created per protocol */
    uint64_t tcp_reuse;             /* new SYN on a closed flow: old one ended, new one made */
    uint64_t emergency_evictions;   /* flows ended early because the memcap was reached */
    uint64_t memcap_drops;          /* packets that got no flow (memcap with nothing to evict) */
    uint64_t no_flow;               /* packets that cannot have a flow (no IP/L4) */
    uint64_t active, active_peak;
    size_t memuse, memuse_peak, memcap;
    size_t bytes_per_flow;          /* sizeof(struct flow) + per-flow share of slab/hash */
};

typedef struct flow_table flow_table_t;

/* NULL on startup allocation failure, or when memcap_bytes cannot hold the hash buckets
 * and at least one flow. The callback may be NULL. */
flow_table_t *flow_table_new(const struct flow_config *cfg, flow_end_cb on_end, void *user);
/* Ends every remaining flow with FLOW_END_SHUTDOWN (callback called), then frees. */
void flow_table_free(flow_table_t *ft);

/*
 * Find or create the flow of a decoded packet, update its counters and TCP state and set
 * p->flow. Returns the flow (and *dir) or NULL when the packet has no flow (not IP, or an
 * unreassembled fragment, or the memcap refused and nothing could be evicted).
 */
struct flow *flow_handle_packet(flow_table_t *ft, struct packet *p, enum flow_dir *dir);

/* End flows whose timeout passed at time now_ns. Cheap to call often. */
void flow_expire(flow_table_t *ft, uint64_t now_ns);

/* End all flows now (reason given), e.g. at end of input. */
void flow_end_all(flow_table_t *ft, enum flow_end_reason reason);

void flow_get_stats(const flow_table_t *ft, struct flow_stats *out);

/* Names for EVE. */
const char *flow_state_name(enum flow_state s);
const char *flow_tcp_state_name(enum flow_tcp_state s);
const char *flow_end_reason_name(enum flow_end_reason r);

/* Client/server view of the key. */
static inline const uint8_t *flow_client_addr(const struct flow *f)
{
    return f->client_is_a ? f->key.a : f->key.b;
}
static inline const uint8_t *flow_server_addr(const struct flow *f)
{
    return f->client_is_a ? f->key.b : f->key.a;
}
static inline uint16_t flow_client_port(const struct flow *f)
{
    return f->client_is_a ? f->key.port_a : f->key.port_b;
}
static inline uint16_t flow_server_port(const struct flow *f)
{
    return f->client_is_a ? f->key.port_b : f->key.port_a;
}

#endif
