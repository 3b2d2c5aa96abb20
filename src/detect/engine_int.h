/*
 * The compiled rule engine as the loader (detect_build.c) lays it out and the inspection
 * code (detect.c) reads it: inspection points, their Hyperscan databases and port groups,
 * the address indexes, the raw-stream edge state. Internal to src/detect.
 */
#ifndef MM_DETECT_ENGINE_INT_H
#define MM_DETECT_ENGINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "detect/detect.h"
#include "detect/prefilter.h"
#include "detect/rule.h"

enum det_point_id {
    PT_PKT_TCP_TS = 0,
    PT_PKT_TCP_TC,
    PT_PKT_UDP_TS,
    PT_PKT_UDP_TC,
    PT_PKT_ICMP,
    PT_PKT_OTHER,
    PT_STREAM_TS,
    PT_STREAM_TC, /* stream data to the server / to the client */
    PT_REC_HTTP,
    PT_REC_TLS,
    PT_REC_DNS,
    PT_REC_SSH,
    PT_REC_SMTP,
    PT_REC_FILE,
    PT_REC_FTP,
    PT_REC_POP3,
    PT_REC_IMAP,
    PT_COUNT
};
#define PT_N_PKT 6
/* Packet classes of a rule's protocol (bits of struct rule_place.pkt). */
enum { CL_TCP = 0, CL_UDP, CL_ICMP, CL_OTHER };

struct det_bufgroup {
    enum det_buf buf;
    det_xform_chain xform;
    int32_t port; /* port group: the server port; -1 for the any-port database */
    struct det_pf pf;
};

/* Payload points are per direction, so the server port of the data is known (destination
 * port of data to the server, source port of data to the client). Rules whose server-port
 * set has at most PORT_GROUP_MAX_PORTS ports go to one group per port, so a rule for port
 * 1723 is never a candidate (nor its short binary fast pattern a hit) on port 80. When the
 * point's any-port database is small (PORT_MERGE_MAX_ANY literals), each group's database
 * also holds the any-port patterns and a chunk costs one scan; a large any-port set would be
 * copied into every group (compile time and memory grow with groups x patterns), so then
 * the group is scanned after the any-port database. */
#define PORT_MERGE_MAX_ANY 400
#define PORT_GROUP_MAX_PORTS 64
#define PORT_NONE 0xffffu

struct det_addr_index;
struct det_point {
    struct det_bufgroup *bg;
    uint32_t n_bg;
    uint16_t *port_map;      /* server port -> index into pg, PORT_NONE; NULL when no groups */
    struct det_bufgroup *pg; /* per-port payload databases */
    bool pg_merged;          /* each pg database also holds the any-port patterns */
    uint32_t n_pg;
    uint32_t *nopat; /* rules always verified here (no fast pattern), ascending */
    uint32_t n_nopat;
    /* Record and stream points: nopat[n_nopat_free..] are the rules that need a flowbit set
     * ("flowbits:isset", as the attack-response rules that follow an attack rule), each part
     * ascending. A flow without flow variables cannot match them: they are not candidates
     * until a rule of the same pass sets a flowbit (see verify). */
    uint32_t n_nopat_free;
    struct det_addr_index *aix; /* packet points: no-pattern rules indexed by address */
    /*
     * The URI family of a record point: bg[i] for the bits of uri_members, each http.uri or
     * http.uri.raw, bare or url-decoded. Most URIs have no '%', no '+' and nothing to
     * normalise, so all of them come out byte for byte the same; they are then scanned once,
     * with uri_pf, which holds the patterns of every member (the same candidates as one scan
     * each: a hit names the rules of every member that has the literal). uri_pf.db NULL: no
     * such family here (fewer than two members, or too many patterns to copy).
     */
    struct det_pf uri_pf;
    uint64_t uri_members;
    /*
     * The header family of the HTTP record point: bg[i] for the bits of hdr_members, the
     * request's http.header and http.user_agent (both untransformed). A User-Agent sent once
     * is, byte for byte, part of the header block ("User-Agent: <value>\r\n"), so a literal
     * of a user-agent rule is in the block wherever it is in the user agent: one scan of the
     * block with hdr_pf, which holds the patterns of both, names every candidate the two
     * scans would (and a few more, when a user-agent literal is in another header: verifying
     * them against the user agent turns them down). A User-Agent sent twice is joined with
     * ", " (not in the block): each buffer is then scanned on its own. hdr_pf.db NULL: no
     * such family here.
     */
    struct det_pf hdr_pf;
    uint64_t hdr_members;
};

/*
 * IP-only rules (botcc, ciarmy, compromised ... lists of thousands of addresses): indexed by
 * the IPv4 addresses of their narrower side, bucketed per /16, so a new flow costs two bucket
 * scans instead of a walk over every rule. Rules whose both sides are wide (more than a
 * quarter of the IPv4 space, e.g. any -> any) or IPv6-only are always candidates ("generic").
 */
struct ipo_entry {
    uint32_t lo, hi, rule;
};
struct det_addr_index {
    uint32_t *bucket_off; /* 65537 offsets into entries, per /16 */
    struct ipo_entry *entries;
    uint32_t n_entries;
    uint32_t *generic; /* IPv4 packets: always candidates */
    uint32_t n_generic;
    uint32_t *v6; /* IPv6 packets: rules whose both sides can hold IPv6 */
    uint32_t n_v6;
};

/* Raw-stream rules also see patterns that straddle two chunks: the last bytes of each
 * direction (up to the longest stream fast pattern - 1) are kept per flow, and a small
 * boundary buffer (tail + start of the next chunk) is scanned for literals that begin in the
 * tail and end in the new chunk; their rules are verified on tail + chunk. */
#define DET_TAIL_MAX 63
struct det_tail {
    uint8_t len[2];
    uint8_t b[2][DET_TAIL_MAX];
};

struct det_engine {
    uint32_t stream_tail; /* bytes of tail kept per direction (0: none) */
    struct det_ruleset *rs;
    struct det_rule **order; /* evaluation order; rule->idx is the position */
    uint32_t n;
    struct det_point pt[PT_COUNT];
    struct det_addr_index ipo; /* IP-only rules */
    struct det_load_report rep;
};

#define IPPROTO_ICMP_NUM 1
#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17
#define IPPROTO_ICMPV6_NUM 58

/* The IPv4 address of the 16-byte form as a number. */
static inline uint32_t det_v4(const uint8_t a[16])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

#endif
