/*
 * What the two T4 detectors share (dt_flood.c defines it, dt_latency.c uses it too): a small
 * heavy-hitter sketch for "top sources", the evidence writers for it, and port lists.
 *
 * The sketch is Space-Saving (Metwally, Agrawal, El Abbadi, "Efficient computation of
 * frequent and top-k elements in data streams", ICDT 2005): k counters; a new item takes
 * over the smallest counter and inherits its count as its possible error. Any item seen
 * more than N/k times is in the sketch, and each kept count overestimates by at most its
 * `err`. Memory is fixed (k items), so a flood of spoofed sources costs no more than a
 * single source. With near-uniform spoofed sources the kept items are arbitrary: the
 * evidence then says so through the error bound and the distinct-source estimate.
 */
#ifndef MM_DETECT_DT_FLOOD_H
#define MM_DETECT_DT_FLOOD_H

#include "detect/dtr_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DT_FLOOD_TOPK 16 /* counters per sketch: top 10 reported, 6 spare for churn */

/* One counted item, as reported. */
struct dt_flood_topk_item {
    struct mm_addr addr; /* the address (or network, masked) counted; zero for ports */
    uint32_t key;        /* dtr_addr_key32 of addr, or the port number */
    uint32_t count;      /* packets counted for this item (an upper bound) */
    uint32_t err;        /* count may be too high by at most this much */
    uint8_t ip_ver;      /* 4 or 6; 0 for a port item */
};

/* The sketch, laid out by field so that an update reads one cache line of keys and, when the
 * item is new, one of counts; addresses are kept for IPv6 items only (an IPv4 address is its
 * key), read to tell IPv6 keys apart and to report. */
struct dt_flood_topk {
    uint32_t key[DT_FLOOD_TOPK];
    uint32_t count[DT_FLOOD_TOPK];
    uint32_t err[DT_FLOOD_TOPK];
    uint8_t ip_ver[DT_FLOOD_TOPK];
    uint8_t n; /* items in use */
    struct mm_addr addr[DT_FLOOD_TOPK]; /* IPv6 items only; see dt_flood_topk_sorted */
};

/* Empty the sketch: every reader stops at n, so the arrays need no clearing. */
static inline void dt_flood_topk_clear(struct dt_flood_topk *t)
{
    t->n = 0;
}

/* Count inc for an address (ip_ver 4 or 6) in a sketch of at most cap (<= DT_FLOOD_TOPK)
 * items. */
void dt_flood_topk_add_addr(struct dt_flood_topk *t, size_t cap, const struct mm_addr *a,
                            int ip_ver, uint32_t inc);
/* Count inc for the network an address belongs to: IPv4 /24, IPv6 /48. */
void dt_flood_topk_add_net(struct dt_flood_topk *t, size_t cap, const struct mm_addr *a, int ip_ver,
                           uint32_t inc);
/* Count inc for a port. */
void dt_flood_topk_add_port(struct dt_flood_topk *t, size_t cap, uint16_t port, uint32_t inc);

/*
 * Up to max items of the sketches a and b (b may be NULL) with the counts of equal items
 * summed, highest count first (ties: the item seen first). Returns how many were written to
 * out (which holds 2 * DT_FLOOD_TOPK items).
 */
size_t dt_flood_topk_sorted(const struct dt_flood_topk *a, const struct dt_flood_topk *b,
                            struct dt_flood_topk_item *out, size_t max);

/*
 * Evidence: an array member `key` of up to max address items:
 * [{"ip": "203.0.113.7", "packets": 12, "packets_min": 9, "country": "JP"}, ...]; "country"
 * only with a GeoIP database in the enrichment (en may be NULL); "packets_min" is the count
 * less its error bound (what is certain).
 */
void dt_flood_ev_top_addrs(struct jb *jb, const char *key, const struct dt_flood_topk_item *it,
                           size_t n, size_t max, const char *count_name, enrich_t *en);
/* [{"net": "203.0.113.0/24", "packets": 40, "country": "JP"}, ...] ("country", "asn" as
 * above, for the network's first address). */
void dt_flood_ev_top_nets(struct jb *jb, const char *key, const struct dt_flood_topk_item *it,
                          size_t n, size_t max, const char *count_name, enrich_t *en);
/* [{"port": 47808, "packets": 6737}, ...] */
void dt_flood_ev_top_ports(struct jb *jb, const char *key, const struct dt_flood_topk_item *it,
                           size_t n, size_t max, const char *count_name);

/* "exact", "estimate" or "lower-bound" for a distinct counter (how far to trust its count). */
const char *dt_flood_distinct_quality(const struct dtr_distinct *c);

/* A set of ports, one bit each. */
struct dt_flood_ports {
    uint64_t bits[65536 / 64];
};
/* Parse "25,110,143" (commas and/or blanks, ports 1..65535) into ps (cleared first). False
 * with err filled on anything else. */
bool dt_flood_ports_parse(struct dt_flood_ports *ps, const char *text, const char *what, char *err,
                          size_t errlen);
static inline bool dt_flood_ports_has(const struct dt_flood_ports *ps, uint16_t port)
{
    return (ps->bits[port >> 6] >> (port & 63)) & 1u;
}
static inline void dt_flood_ports_set(struct dt_flood_ports *ps, uint16_t port)
{
    ps->bits[port >> 6] |= 1ull << (port & 63);
}

/* The usual name of a TCP service port ("pop3", "smtp" ...), or NULL. */
const char *dt_flood_service_name(uint16_t port);

#endif
