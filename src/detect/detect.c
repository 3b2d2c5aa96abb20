/*
 * The detection engine; see detect.h and docs/internals/detect.md.
 *
 * At load every rule gets an inspection point from what it inspects:
 *   - record points (one per app-layer record kind): rules with app-layer buffers, or with
 *     an app-layer protocol and nothing else to look at;
 *   - the stream point: payload rules on TCP (reassembled chunks; packet payloads when the
 *     flow has no reassembly);
 *   - packet points (TCP, UDP, ICMP, other): rules with packet-only conditions (dsize,
 *     flags, ttl ...), payload rules of UDP/ICMP/other, rules without any condition beyond
 *     the header ("IP-only": evaluated on the first packet of each direction of a flow).
 * Within a point, every (buffer, transform) with fast patterns has one Hyperscan database;
 * rules without a usable fast pattern are always candidates there. Candidates are verified
 * in evaluation order (action, flowbit setters before readers, priority, file order).
 */
#include "detect/detect.h"

#include "detect/buffers.h"
#include "detect/detect_int.h"
#include "detect/prefilter.h"
#include "detect/rule_addr.h"

#include "app/dns_rec.h"
#include "app/file.h"
#include "app/smtp.h"
#include "app/tls.h"
#include "core/log.h"
#include "core/mm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    struct det_addr_index *aix; /* packet points: no-pattern rules indexed by address */
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

void det_config_defaults(struct det_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->threshold_memcap = 16u << 20;
    cfg->xbits_memcap = 4u << 20;
    cfg->flowvar_memcap = 32u << 20;
}

const char *det_action_eve(enum det_action a)
{
    switch (a) {
    case DET_ACT_PASS: return "pass";
    case DET_ACT_DROP: return "drop";
    case DET_ACT_REJECT: return "reject";
    default: return "alert";
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------- classification ---------------- */

/* The record point a buffer belongs to, or -1 for the payload. */
static int buf_point(enum det_buf b)
{
    if (b == DET_BUF_PAYLOAD)
        return -1;
    if (b <= DET_BUF_HTTP_RESPONSE_BODY)
        return PT_REC_HTTP;
    if (b == DET_BUF_DNS_QUERY)
        return PT_REC_DNS;
    if (b >= DET_BUF_TLS_SNI && b <= DET_BUF_JA4_HASH)
        return PT_REC_TLS;
    if (b >= DET_BUF_SSH_PROTO && b <= DET_BUF_SSH_HASSH_SERVER_STRING)
        return PT_REC_SSH;
    if (b >= DET_BUF_FILE_DATA && b <= DET_BUF_FILE_MAGIC)
        return PT_REC_FILE;
    return PT_REC_SMTP;
}

static int app_point(int app_proto)
{
    switch (app_proto) {
    case APP_PROTO_HTTP: return PT_REC_HTTP;
    case APP_PROTO_TLS: return PT_REC_TLS;
    case APP_PROTO_DNS: return PT_REC_DNS;
    case APP_PROTO_SSH: return PT_REC_SSH;
    case APP_PROTO_SMTP: return PT_REC_SMTP;
    case APP_PROTO_FTP: return PT_REC_FTP;
    case APP_PROTO_POP3: return PT_REC_POP3;
    case APP_PROTO_IMAP: return PT_REC_IMAP;
    default: return -1;
    }
}

static bool has_packet_conditions(const struct det_rule *r)
{
    return r->dsize.present || r->ttl.present || r->itype.present || r->icode.present ||
           r->icmp_id.present || r->icmp_seq.present || r->ip_proto.present || r->tcp_seq.present ||
           r->tcp_ack.present || r->tcp_window.present || r->tcpflags.present ||
           r->proto == DET_P_TCP_PKT ||
           (r->flow_flags & (DET_FLOW_NO_STREAM | DET_FLOW_ONLY_FRAG | DET_FLOW_NO_FRAG));
}

/* Which packet classes (bit per CL_*) a rule's protocol covers. */
static unsigned pkt_classes(const struct det_rule *r)
{
    switch (r->proto) {
    case DET_P_IP: return 0xf;
    case DET_P_UDP:
    case DET_P_DNS: return 1u << CL_UDP;
    case DET_P_ICMP: return 1u << CL_ICMP;
    default: return 1u << CL_TCP;
    }
}

/* Whether a rule can match data to the server / to the client. */
static bool rule_ts(const struct det_rule *r)
{
    return !(r->flow_flags & DET_FLOW_TO_CLIENT) && !r->to_client;
}
static bool rule_tc(const struct det_rule *r)
{
    return !(r->flow_flags & DET_FLOW_TO_SERVER) && !r->to_server;
}

static int flowbits_rank(const struct det_rule *r);

struct rule_place {
    int record;   /* record point, or -1 */
    bool stream;  /* stream point */
    unsigned pkt; /* packet classes (payload/packet rules) */
    bool iponly;
};

/* Where a rule is inspected; false (with *why) when the rule cannot be placed. */
static bool place_rule(const struct det_rule *r, struct rule_place *pl, const char **why)
{
    memset(pl, 0, sizeof *pl);
    pl->record = -1;
    bool payload = false;
    for (uint32_t i = 0; i < r->n_lists; i++) {
        int p = buf_point(r->lists[i].buf);
        if (p < 0) {
            payload = true;
            continue;
        }
        if (pl->record >= 0 && pl->record != p) {
            /* mail context is visible from file records too */
            if ((pl->record == PT_REC_FILE && p == PT_REC_SMTP) ||
                (pl->record == PT_REC_SMTP && p == PT_REC_FILE)) {
                pl->record = PT_REC_FILE;
                continue;
            }
            *why = "buffers of two different protocols in one rule";
            return false;
        }
        pl->record = p;
    }
    if (pl->record >= 0) {
        /* Payload content in an HTTP rule inspects the rebuilt message (buffers.c); other
         * records have no raw form. */
        if (payload && pl->record != PT_REC_HTTP) {
            *why = "payload content mixed with app-layer buffers of a protocol other than HTTP";
            return false;
        }
        return true;
    }
    bool stream_ok = r->proto != DET_P_TCP_PKT && !has_packet_conditions(r);
    if (payload) {
        unsigned cls = pkt_classes(r);
        if (stream_ok && (cls & (1u << CL_TCP))) {
            pl->stream = true;
            cls &= ~(1u << CL_TCP);
        }
        if (r->proto == DET_P_TCP_STREAM)
            cls = 0;
        pl->pkt = cls;
        return true;
    }
    if (!has_packet_conditions(r) && r->app_proto && !r->app_proto_negated &&
        app_point(r->app_proto) >= 0) {
        pl->record = app_point(r->app_proto);
        return true;
    }
    pl->pkt = pkt_classes(r);
    /* As in Suricata, setting flowbits does not stop a rule from being IP-only; reading
     * them does (they can change on any packet). */
    int fb = flowbits_rank(r);
    pl->iponly = !has_packet_conditions(r) && (fb == 0 || fb == 2) && !r->n_flowints &&
                 !r->n_xbits && !r->flow_flags && !r->stream_size.present && !r->app_proto;
    return true;
}

/* The fast pattern: an explicit fast_pattern, else the longest positive content of a list
 * the point can scan. Sets r->fp_list/fp_sm (-1 when none). */
static void choose_fast_pattern(struct det_rule *r, bool record)
{
    r->fp_list = r->fp_sm = -1;
    uint32_t best_len = 0;
    bool best_explicit = false;
    for (uint32_t li = 0; li < r->n_lists; li++) {
        const struct det_list *l = &r->lists[li];
        if (record != (l->buf != DET_BUF_PAYLOAD))
            continue;
        for (uint32_t si = 0; si < l->n_sms; si++) {
            const struct det_sm *sm = &l->sms[si];
            if (sm->type != DET_SM_CONTENT || (sm->u.content.flags & DET_CT_NEGATED))
                continue;
            const struct det_content *c = &sm->u.content;
            uint32_t len = (c->flags & DET_CT_FP_CHOP) ? c->fp_len : c->len;
            bool expl = (c->flags & DET_CT_FAST_PATTERN) != 0;
            if (len == 0)
                continue;
            if ((expl && !best_explicit) || (expl == best_explicit && len > best_len)) {
                r->fp_list = (int32_t)li;
                r->fp_sm = (int32_t)si;
                best_len = len;
                best_explicit = expl;
            }
        }
    }
}

/* Suricata's default order: pass, drop, reject, alert; then flowbit setters before rules
 * that read flowbits; then priority; then file order. */
static int action_rank(enum det_action a)
{
    switch (a) {
    case DET_ACT_PASS: return 0;
    case DET_ACT_DROP: return 1;
    case DET_ACT_REJECT: return 2;
    default: return 3;
    }
}

static int flowbits_rank(const struct det_rule *r)
{
    bool sets = false, reads = false;
    for (uint32_t i = 0; i < r->n_flowbits; i++) {
        enum det_bit_op op = r->flowbits[i].op;
        if (op == DET_BIT_SET || op == DET_BIT_UNSET || op == DET_BIT_TOGGLE)
            sets = true;
        else if (op == DET_BIT_ISSET || op == DET_BIT_ISNOTSET)
            reads = true;
    }
    if (sets && !reads)
        return 0;
    if (sets)
        return 1;
    if (!reads)
        return 2;
    return 3;
}

struct order_key {
    struct det_rule *r;
    uint32_t load;
    int a, fb, prio;
};

static int order_cmp(const void *x, const void *y)
{
    const struct order_key *a = x, *b = y;
    if (a->a != b->a)
        return a->a - b->a;
    if (a->fb != b->fb)
        return a->fb - b->fb;
    if (a->prio != b->prio)
        return a->prio - b->prio;
    return a->load < b->load ? -1 : a->load > b->load;
}

/* ---------------- building ---------------- */

/* Growable uint32 list. */
struct u32v {
    uint32_t *v;
    uint32_t n, cap;
};

static bool u32v_push(struct u32v *l, uint32_t x)
{
    if (l->n == l->cap) {
        uint32_t nc = l->cap ? l->cap * 2 : 16;
        uint32_t *nv = realloc(l->v, (size_t)nc * sizeof *nv);
        if (!nv)
            return false;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = x;
    return true;
}

/* Patterns collected per (point, buffer, transform) before compiling. */
struct pat_group {
    int point;
    enum det_buf buf;
    det_xform_chain xform;
    int32_t port;
    struct det_pf_pattern *pats;
    uint32_t n, cap;
};

struct build {
    struct pat_group *groups;
    uint32_t n_groups, cap_groups;
    struct u32v nopat[PT_COUNT];
    struct u32v iponly_all;
};

static struct pat_group *group_for(struct build *b, int point, enum det_buf buf, det_xform_chain xf,
                                   int32_t port)
{
    for (uint32_t i = 0; i < b->n_groups; i++)
        if (b->groups[i].point == point && b->groups[i].buf == buf && b->groups[i].xform == xf &&
            b->groups[i].port == port)
            return &b->groups[i];
    if (b->n_groups == b->cap_groups) {
        uint32_t nc = b->cap_groups ? b->cap_groups * 2 : 32;
        struct pat_group *ng = realloc(b->groups, (size_t)nc * sizeof *ng);
        if (!ng)
            return NULL;
        b->groups = ng;
        b->cap_groups = nc;
    }
    struct pat_group *g = &b->groups[b->n_groups++];
    memset(g, 0, sizeof *g);
    g->point = point;
    g->buf = buf;
    g->xform = xf;
    g->port = port;
    return g;
}

static bool append_pat(struct pat_group *g, const struct det_pf_pattern *p)
{
    if (g->n == g->cap) {
        uint32_t nc = g->cap ? g->cap * 2 : 64;
        struct det_pf_pattern *np = realloc(g->pats, (size_t)nc * sizeof *np);
        if (!np)
            return false;
        g->pats = np;
        g->cap = nc;
    }
    g->pats[g->n++] = *p;
    return true;
}

static bool add_pattern_buf(struct build *b, int point, const struct det_rule *r, int32_t port,
                            enum det_buf buf)
{
    const struct det_list *l = &r->lists[r->fp_list];
    const struct det_content *c = &l->sms[r->fp_sm].u.content;
    struct pat_group *g = group_for(b, point, buf, l->xform, port);
    if (!g)
        return false;
    if (g->n == g->cap) {
        uint32_t nc = g->cap ? g->cap * 2 : 64;
        struct det_pf_pattern *np = realloc(g->pats, (size_t)nc * sizeof *np);
        if (!np)
            return false;
        g->pats = np;
        g->cap = nc;
    }
    bool chop = (c->flags & DET_CT_FP_CHOP) && (uint32_t)c->fp_off + c->fp_len <= c->len;
    g->pats[g->n++] = (struct det_pf_pattern){
        .lit = chop ? c->pat + c->fp_off : c->pat,
        .len = chop ? c->fp_len : c->len,
        .nocase = (c->flags & DET_CT_NOCASE) != 0,
        .rule = r->idx,
    };
    return true;
}

static bool add_pattern_port(struct build *b, int point, const struct det_rule *r, int32_t port)
{
    return add_pattern_buf(b, point, r, port, r->lists[r->fp_list].buf);
}

static uint32_t port_count(const struct det_portset *s)
{
    if (s->any)
        return 65536;
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->n; i++)
        n += (uint32_t)s->r[i].hi - s->r[i].lo + 1;
    return n;
}

/* Add a rule to the groups of every port of a set; false on allocation failure. */
static bool add_ports(struct build *b, int point, const struct det_rule *r,
                      const struct det_portset *s)
{
    for (uint32_t i = 0; i < s->n; i++)
        for (uint32_t p = s->r[i].lo; p <= s->r[i].hi; p++)
            if (!add_pattern_port(b, point, r, (int32_t)p))
                return false;
    return true;
}

/* Points whose data flows to the server (0), to the client (1), or -1: no ports. */
static int point_dir(int point)
{
    switch (point) {
    case PT_PKT_TCP_TS:
    case PT_PKT_UDP_TS:
    case PT_STREAM_TS: return 0;
    case PT_PKT_TCP_TC:
    case PT_PKT_UDP_TC:
    case PT_STREAM_TC: return 1;
    default: return -1;
    }
}

static bool add_pattern(struct build *b, int point, const struct det_rule *r)
{
    if (r->fp_list < 0)
        return u32v_push(&b->nopat[point], r->idx);
    const struct det_list *l = &r->lists[r->fp_list];
    /* Transformed payload buffers are not prefiltered: verified as no-pattern rules. */
    if (l->buf == DET_BUF_PAYLOAD && l->xform)
        return u32v_push(&b->nopat[point], r->idx);
    int d = point_dir(point);
    if (d >= 0) {
        /* The server port must be in the rule's destination set (data to the server) or
         * source set (data to the client); "<>" also matches the reverse: both sets. */
        const struct det_portset *k = d == 0 ? &r->dport : &r->sport;
        const struct det_portset *o = d == 0 ? &r->sport : &r->dport;
        uint32_t n = port_count(k) + (r->bidir ? port_count(o) : 0);
        if (n <= PORT_GROUP_MAX_PORTS)
            return add_ports(b, point, r, k) && (!r->bidir || add_ports(b, point, r, o));
    }
    if (!add_pattern_port(b, point, r, -1))
        return false;
    /* both_sides: the fast pattern may be on the response side of its buffer too */
    enum det_buf twin = det_buf_response_twin(l->buf);
    return !r->both_sides || twin == DET_BUF_COUNT || add_pattern_buf(b, point, r, -1, twin);
}

/* An HTTP rule with no direction whose buffers include direction-neutral ones: Suricata
 * inspects those on both sides, so mamori tries the request, then the response. */
static bool neutral_http(const struct det_rule *r)
{
    if (r->to_client || r->to_server || (r->flow_flags & (DET_FLOW_TO_SERVER | DET_FLOW_TO_CLIENT)))
        return false;
    for (uint32_t i = 0; i < r->n_lists; i++)
        if (det_buf_response_twin(r->lists[i].buf) != DET_BUF_COUNT)
            return true;
    return false;
}

static void build_free(struct build *b)
{
    for (uint32_t i = 0; i < b->n_groups; i++)
        free(b->groups[i].pats);
    free(b->groups);
    for (int p = 0; p < PT_COUNT; p++)
        free(b->nopat[p].v);
    free(b->iponly_all.v);
}

static uint32_t v4(const uint8_t a[16])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* IPv4 addresses an address set covers, UINT64_MAX for any. */
static uint64_t v4_span(const struct det_addrset *s)
{
    if (s->any)
        return UINT64_MAX;
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->n_v4; i++)
        n += (uint64_t)v4(s->v4[i].hi) - v4(s->v4[i].lo) + 1;
    return n;
}

/* Private and local ranges (RFC 1918, RFC 6598, loopback, link-local): where the monitored
 * hosts live, so an address there is in most packets. */
static bool v4_private(uint32_t lo, uint32_t hi)
{
    static const uint32_t nets[][2] = {{0x0a000000u, 8},  {0xac100000u, 12}, {0xc0a80000u, 16},
                                       {0x64400000u, 10}, {0x7f000000u, 8},  {0xa9fe0000u, 16}};
    for (size_t i = 0; i < MM_ARRAY_LEN(nets); i++) {
        uint32_t mask = ~0u << (32 - nets[i][1]);
        if ((lo & mask) == nets[i][0] && (hi & mask) == nets[i][0])
            return true;
    }
    return false;
}

/* What keying a rule on this side costs: its IPv4 span, weighted up when it is all private
 * space ($HOME_NET): a $HOME_NET key would make the rule a candidate for nearly every flow,
 * while the other side (a list of remote hosts) is usually the selective one. */
static uint64_t key_cost(const struct det_addrset *s)
{
    uint64_t span = v4_span(s);
    if (span == UINT64_MAX || !s->n_v4)
        return span;
    for (uint32_t i = 0; i < s->n_v4; i++)
        if (!v4_private(v4(s->v4[i].lo), v4(s->v4[i].hi)))
            return span;
    return span << 8;
}

/* A side covering more than a quarter of the IPv4 space (any, !$HOME_NET ...) is not worth
 * indexing; narrower ones cost one entry per /16 they touch. */
#define IPO_WIDE (1ull << 30)

static int build_addr_index(det_engine_t *e, struct det_addr_index *ix, const struct u32v *rules)
{
    ix->bucket_off = calloc(65537, sizeof *ix->bucket_off);
    if (!ix->bucket_off)
        return MM_ENOMEM;
    /* Pass 1: which side keys each rule, and bucket counts. */
    const struct det_addrset **key = calloc(rules->n ? rules->n : 1, sizeof *key);
    ix->generic = malloc((rules->n ? rules->n : 1) * sizeof *ix->generic);
    ix->v6 = malloc((rules->n ? rules->n : 1) * sizeof *ix->v6);
    if (!key || !ix->generic || !ix->v6) {
        free(key);
        return MM_ENOMEM;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < rules->n; i++) {
        const struct det_rule *r = e->order[rules->v[i]];
        if ((r->src.any || r->src.n_v6) && (r->dst.any || r->dst.n_v6))
            ix->v6[ix->n_v6++] = r->idx;
        if (!(r->src.any || r->src.n_v4) || !(r->dst.any || r->dst.n_v4))
            continue; /* cannot match IPv4 */
        uint64_t ss = v4_span(&r->src), ds = v4_span(&r->dst);
        const struct det_addrset *k = key_cost(&r->src) <= key_cost(&r->dst) ? &r->src : &r->dst;
        if (MM_MIN(ss, ds) > IPO_WIDE) {
            ix->generic[ix->n_generic++] = r->idx;
            continue;
        }
        if (v4_span(k) > IPO_WIDE) /* the cheaper key is too wide to index */
            k = k == &r->src ? &r->dst : &r->src;
        key[i] = k;
        for (uint32_t j = 0; j < k->n_v4; j++) {
            uint32_t b0 = v4(k->v4[j].lo) >> 16, b1 = v4(k->v4[j].hi) >> 16;
            for (uint32_t b = b0; b <= b1; b++)
                ix->bucket_off[b + 1]++;
            total += b1 - b0 + 1;
        }
    }
    if (total > UINT32_MAX) {
        free(key);
        return MM_ELIMIT;
    }
    for (uint32_t b = 0; b < 65536; b++)
        ix->bucket_off[b + 1] += ix->bucket_off[b];
    ix->n_entries = (uint32_t)total;
    ix->entries = malloc((total ? total : 1) * sizeof *ix->entries);
    uint32_t *fill = calloc(65536, sizeof *fill);
    if (!ix->entries || !fill) {
        free(key);
        free(fill);
        return MM_ENOMEM;
    }
    /* Pass 2: entries, each clipped to its bucket. */
    for (uint32_t i = 0; i < rules->n; i++) {
        const struct det_addrset *k = key[i];
        if (!k)
            continue;
        for (uint32_t j = 0; j < k->n_v4; j++) {
            uint32_t lo = v4(k->v4[j].lo), hi = v4(k->v4[j].hi);
            for (uint32_t b = lo >> 16; b <= hi >> 16; b++) {
                uint32_t blo = b << 16, bhi = blo | 0xffffu;
                ix->entries[ix->bucket_off[b] + fill[b]++] =
                    (struct ipo_entry){MM_MAX(lo, blo), MM_MIN(hi, bhi), rules->v[i]};
                if (b == 0xffffu)
                    break;
            }
        }
    }
    free(fill);
    free(key);
    return 0;
}

/* Candidates of an address index for a packet between a and b. */
static void addr_candidates(det_worker_t *w, const struct det_addr_index *ix, const uint8_t *a,
                            const uint8_t *b, uint8_t ip_ver);

static void addr_index_free(struct det_addr_index *ix)
{
    if (!ix)
        return;
    free(ix->bucket_off);
    free(ix->entries);
    free(ix->generic);
    free(ix->v6);
}

/* Record an engine-level skip in the ruleset (the rule is dropped). */
static void skip_rule(struct det_ruleset *rs, struct det_rule *r, const char *why)
{
    if (rs->n_skips == rs->cap_skips) {
        uint32_t nc = rs->cap_skips ? rs->cap_skips * 2 : 16;
        struct det_skip *ns = realloc(rs->skips, (size_t)nc * sizeof *ns);
        if (!ns)
            return;
        rs->skips = ns;
        rs->cap_skips = nc;
    }
    struct det_skip *s = &rs->skips[rs->n_skips++];
    memset(s, 0, sizeof *s);
    s->file = r->file ? strdup(r->file) : NULL;
    s->line = r->line;
    s->sid = r->sid;
    s->reason = strdup(why);
}

static void log_skips(const struct det_ruleset *rs, uint32_t from)
{
    for (uint32_t i = from; i < rs->n_skips; i++) {
        const struct det_skip *s = &rs->skips[i];
        log_warn("rule skipped: %s:%u sid %u: %s", s->file ? s->file : "?", s->line, s->sid,
                 s->reason ? s->reason : "?");
    }
}

void det_ruleset_check_placement(struct det_ruleset *rs)
{
    uint32_t kept = 0;
    for (uint32_t i = 0; i < rs->n_rules; i++) {
        struct det_rule *r = rs->rules[i];
        struct rule_place p;
        const char *why = NULL;
        if (!place_rule(r, &p, &why)) {
            skip_rule(rs, r, why);
            det_rule_free(r);
            continue;
        }
        rs->rules[kept++] = r;
    }
    rs->n_rules = kept;
}

static int engine_build(det_engine_t *e, const struct det_config *cfg, char *err, size_t errlen)
{
    struct det_ruleset *rs = e->rs;
    double t0 = now_s();
    uint32_t parse_skips = rs->n_skips;

    /* Place every rule; drop those that cannot be placed. */
    struct rule_place *pl = calloc(rs->n_rules ? rs->n_rules : 1, sizeof *pl);
    struct order_key *keys = calloc(rs->n_rules ? rs->n_rules : 1, sizeof *keys);
    e->order = calloc(rs->n_rules ? rs->n_rules : 1, sizeof *e->order);
    if (!pl || !keys || !e->order) {
        free(pl);
        free(keys);
        snprintf(err, errlen, "out of memory building the rule engine");
        return MM_ENOMEM;
    }
    uint32_t kept = 0;
    for (uint32_t i = 0; i < rs->n_rules; i++) {
        struct det_rule *r = rs->rules[i];
        struct rule_place p;
        const char *why = NULL;
        if (!place_rule(r, &p, &why)) {
            skip_rule(rs, r, why);
            det_rule_free(r);
            continue;
        }
        rs->rules[kept] = r;
        keys[kept] =
            (struct order_key){r, kept, action_rank(r->action), flowbits_rank(r), r->priority};
        pl[kept] = p;
        kept++;
    }
    rs->n_rules = kept;
    qsort(keys, kept, sizeof *keys, order_cmp);
    struct rule_place *pl_by_idx = calloc(kept ? kept : 1, sizeof *pl_by_idx);
    if (!pl_by_idx) {
        free(pl);
        free(keys);
        snprintf(err, errlen, "out of memory building the rule engine");
        return MM_ENOMEM;
    }
    for (uint32_t i = 0; i < kept; i++) {
        e->order[i] = keys[i].r;
        e->order[i]->idx = i;
        pl_by_idx[i] = pl[keys[i].load];
    }
    e->n = kept;
    free(pl);
    free(keys);

    struct build b;
    memset(&b, 0, sizeof b);
    bool ok = true;
    for (uint32_t i = 0; ok && i < kept; i++) {
        struct det_rule *r = e->order[i];
        const struct rule_place *p = &pl_by_idx[i];
        if (p->record >= 0) {
            r->both_sides = p->record == PT_REC_HTTP && neutral_http(r);
            choose_fast_pattern(r, true);
            ok = add_pattern(&b, p->record, r);
            continue;
        }
        choose_fast_pattern(r, false);
        bool ts = rule_ts(r), tc = rule_tc(r);
        if (p->stream) {
            if (ts)
                ok = add_pattern(&b, PT_STREAM_TS, r);
            if (ok && tc)
                ok = add_pattern(&b, PT_STREAM_TC, r);
        }
        if (p->iponly) {
            ok = ok && u32v_push(&b.iponly_all, r->idx);
            continue;
        }
        if (ok && (p->pkt & (1u << CL_TCP)) && ts)
            ok = add_pattern(&b, PT_PKT_TCP_TS, r);
        if (ok && (p->pkt & (1u << CL_TCP)) && tc)
            ok = add_pattern(&b, PT_PKT_TCP_TC, r);
        if (ok && (p->pkt & (1u << CL_UDP)) && ts)
            ok = add_pattern(&b, PT_PKT_UDP_TS, r);
        if (ok && (p->pkt & (1u << CL_UDP)) && tc)
            ok = add_pattern(&b, PT_PKT_UDP_TC, r);
        if (ok && (p->pkt & (1u << CL_ICMP)))
            ok = add_pattern(&b, PT_PKT_ICMP, r);
        if (ok && (p->pkt & (1u << CL_OTHER)))
            ok = add_pattern(&b, PT_PKT_OTHER, r);
    }
    free(pl_by_idx);
    if (!ok) {
        build_free(&b);
        snprintf(err, errlen, "out of memory building the rule engine");
        return MM_ENOMEM;
    }

    /* One database per (point, buffer, transform), and per server port where rules name
     * few ports: a port group also takes the any-port patterns of its point. */
    struct det_pf_build_stats pst = {0};
    int rc = 0;
    for (uint32_t gi = 0; gi < b.n_groups && rc == 0; gi++) {
        struct pat_group *g = &b.groups[gi];
        if (g->port < 0)
            continue;
        struct pat_group *any = group_for(&b, g->point, g->buf, g->xform, -1);
        if (!any) {
            rc = MM_ENOMEM;
            break;
        }
        g = &b.groups[gi]; /* group_for may have moved the array */
        if (any->n > PORT_MERGE_MAX_ANY)
            continue;
        e->pt[g->point].pg_merged = true;
        for (uint32_t i = 0; i < any->n; i++)
            if (!append_pat(g, &any->pats[i])) {
                rc = MM_ENOMEM;
                break;
            }
    }
    if (rc) {
        build_free(&b);
        snprintf(err, errlen, "out of memory building the rule engine");
        return rc;
    }
    for (uint32_t gi = 0; gi < b.n_groups && rc == 0; gi++) {
        struct pat_group *g = &b.groups[gi];
        if (!g->n)
            continue;
        struct det_point *pt = &e->pt[g->point];
        struct det_bufgroup **arr = g->port >= 0 ? &pt->pg : &pt->bg;
        uint32_t *cnt = g->port >= 0 ? &pt->n_pg : &pt->n_bg;
        struct det_bufgroup *nb = realloc(*arr, ((size_t)*cnt + 1) * sizeof *nb);
        if (nb)
            *arr = nb;
        uint16_t **map = &pt->port_map;
        if (nb && g->port >= 0 && !*map && (*map = malloc(65536 * sizeof **map)) != NULL)
            memset(*map, 0xff, 65536 * sizeof **map);
        if (!nb || (g->port >= 0 && !*map)) {
            rc = MM_ENOMEM;
            snprintf(err, errlen, "out of memory building the rule engine");
            break;
        }
        struct det_bufgroup *bg = &nb[*cnt];
        memset(bg, 0, sizeof *bg);
        bg->buf = g->buf;
        bg->xform = g->xform;
        bg->port = g->port;
        rc = det_pf_build(&bg->pf, g->pats, g->n, cfg->cache_dir, &pst, err, errlen);
        if (rc == 0) {
            if (g->port >= 0)
                (*map)[g->port] = (uint16_t)*cnt;
            (*cnt)++;
            e->rep.databases++;
            e->rep.db_bytes += bg->pf.db_bytes;
        }
    }
    for (int p = PT_STREAM_TS; p <= PT_STREAM_TC; p++) {
        uint32_t mx = 0;
        for (uint32_t i = 0; i < e->pt[p].n_bg; i++)
            mx = MM_MAX(mx, e->pt[p].bg[i].pf.max_len);
        for (uint32_t i = 0; i < e->pt[p].n_pg; i++)
            mx = MM_MAX(mx, e->pt[p].pg[i].pf.max_len);
        if (mx > 1)
            e->stream_tail = MM_MAX(e->stream_tail, MM_MIN(mx - 1, (uint32_t)DET_TAIL_MAX));
    }
    for (int p = 0; p < PT_COUNT; p++) {
        e->pt[p].nopat = b.nopat[p].v;
        e->pt[p].n_nopat = b.nopat[p].n;
        b.nopat[p].v = NULL;
    }
    if (rc == 0 && build_addr_index(e, &e->ipo, &b.iponly_all) != 0)
        rc = MM_ENOMEM;
    /* Packet points: their no-pattern rules go through an address index too. */
    for (int c = 0; rc == 0 && c < PT_N_PKT; c++) {
        struct det_point *pt = &e->pt[c];
        struct u32v l = {pt->nopat, pt->n_nopat, pt->n_nopat};
        pt->aix = calloc(1, sizeof *pt->aix);
        if (!pt->aix || build_addr_index(e, pt->aix, &l) != 0)
            rc = MM_ENOMEM;
        free(pt->nopat);
        pt->nopat = NULL;
        pt->n_nopat = 0;
    }
    if (rc == MM_ENOMEM)
        snprintf(err, errlen, "out of memory indexing rules by address");
    build_free(&b);
    static const char *const pt_names[PT_COUNT] = {"packet/tcp to server",
                                                   "packet/tcp to client",
                                                   "packet/udp to server",
                                                   "packet/udp to client",
                                                   "packet/icmp",
                                                   "packet/other",
                                                   "stream to server",
                                                   "stream to client",
                                                   "http",
                                                   "tls",
                                                   "dns",
                                                   "ssh",
                                                   "smtp",
                                                   "file",
                                                   "ftp",
                                                   "pop3",
                                                   "imap"};
    for (int p = 0; p < PT_COUNT; p++) {
        uint32_t pats = 0;
        for (uint32_t i = 0; i < e->pt[p].n_bg; i++)
            pats += e->pt[p].bg[i].pf.n_pats;
        uint32_t ppats = 0;
        for (uint32_t i = 0; i < e->pt[p].n_pg; i++)
            ppats += e->pt[p].pg[i].pf.n_pats;
        log_debug("rules at %s: %u databases (%u literals), %u port groups (%u literals), %u "
                  "without fast pattern",
                  pt_names[p], e->pt[p].n_bg, pats, e->pt[p].n_pg, ppats, e->pt[p].n_nopat);
    }
    log_debug("IP-only rules: %u address entries, %u generic, %u for IPv6", e->ipo.n_entries,
              e->ipo.n_generic, e->ipo.n_v6);
    e->rep.cache_hits = pst.cache_hits;
    e->rep.cache_misses = pst.cache_misses;
    e->rep.compile_s = now_s() - t0;
    e->rep.total = rs->total;
    e->rep.loaded = rs->n_rules;
    e->rep.skipped = rs->n_skips;
    log_skips(rs, parse_skips);
    return rc;
}

static det_engine_t *engine_new(void)
{
    det_engine_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->rs = calloc(1, sizeof *e->rs);
    if (!e->rs) {
        free(e);
        return NULL;
    }
    return e;
}

static det_engine_t *engine_finish(det_engine_t *e, const struct det_config *cfg, int rc, double t0,
                                   struct det_load_report *rep, char *err, size_t errlen)
{
    e->rep.parse_s = now_s() - t0;
    if (rc == 0) {
        log_skips(e->rs, 0);
        rc = engine_build(e, cfg, err, errlen);
    }
    if (rc != 0) {
        det_engine_free(e);
        return NULL;
    }
    if (rep)
        *rep = e->rep;
    return e;
}

det_engine_t *det_engine_load(const struct det_config *cfg, const char *const *files,
                              size_t n_files, struct det_load_report *rep, char *err, size_t errlen)
{
    det_engine_t *e = engine_new();
    if (!e) {
        snprintf(err, errlen, "out of memory loading rules");
        return NULL;
    }
    double t0 = now_s();
    int rc = det_load_files(&cfg->parse, files, n_files, e->rs, err, errlen);
    return engine_finish(e, cfg, rc, t0, rep, err, errlen);
}

det_engine_t *det_engine_load_string(const struct det_config *cfg, const char *text,
                                     struct det_load_report *rep, char *err, size_t errlen)
{
    det_engine_t *e = engine_new();
    if (!e) {
        snprintf(err, errlen, "out of memory loading rules");
        return NULL;
    }
    double t0 = now_s();
    int rc = det_load_string(&cfg->parse, "<rules>", text, strlen(text), e->rs, err, errlen);
    return engine_finish(e, cfg, rc, t0, rep, err, errlen);
}

const struct det_ruleset *det_engine_ruleset(const det_engine_t *e)
{
    return e->rs;
}

void det_engine_free(det_engine_t *e)
{
    if (!e)
        return;
    for (int p = 0; p < PT_COUNT; p++) {
        for (uint32_t i = 0; i < e->pt[p].n_bg; i++)
            det_pf_free(&e->pt[p].bg[i].pf);
        for (uint32_t i = 0; i < e->pt[p].n_pg; i++)
            det_pf_free(&e->pt[p].pg[i].pf);
        free(e->pt[p].bg);
        free(e->pt[p].pg);
        free(e->pt[p].port_map);
        free(e->pt[p].nopat);
        addr_index_free(e->pt[p].aix);
        free(e->pt[p].aix);
    }
    addr_index_free(&e->ipo);
    free(e->order);
    det_ruleset_free(e->rs);
    free(e);
}

/* ---------------- worker ---------------- */

struct det_worker {
    det_engine_t *e;
    det_alert_cb cb;
    void *user;
    hs_scratch_t *scratch;
    struct det_pf_pad pad; /* padded copies of buffers that end near a page end */
    uint32_t *stamp;       /* per rule: generation of the inspection that made it a candidate */
    uint32_t *alert_stamp; /* per rule: generation of the record that alerted it */
    uint32_t gen, alert_gen;
    uint32_t *cand;
    uint32_t n_cand;
    uint32_t n_rules; /* size of the arrays above */
    struct det_bufs bufs;
    uint8_t edge[2 * DET_TAIL_MAX]; /* tail + start of the next chunk */
    uint32_t edge_tail;             /* tail bytes at the start of edge */
    uint8_t *win;                   /* tail + chunk, for verifying straddling candidates */
    size_t win_cap;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    struct det_thresholds *thr;
    struct det_xbits *xbits;
    struct mem_cap fv_cap;
    struct det_stats st;
    const struct packet *cur_pkt; /* det_set_packet */
};

/* Per-rule arrays and scratch for engine e. */
static int worker_fit(det_worker_t *w, det_engine_t *e)
{
    uint32_t n = e->n ? e->n : 1;
    uint32_t *stamp = calloc(n, sizeof *stamp);
    uint32_t *astamp = calloc(n, sizeof *astamp);
    uint32_t *cand = malloc((size_t)n * sizeof *cand);
    if (!stamp || !astamp || !cand) {
        free(stamp);
        free(astamp);
        free(cand);
        return MM_ENOMEM;
    }
    for (int p = 0; p < PT_COUNT; p++) {
        bool ok = true;
        for (uint32_t i = 0; ok && i < e->pt[p].n_bg; i++)
            ok = det_pf_alloc_scratch(&e->pt[p].bg[i].pf, &w->scratch) == 0;
        for (uint32_t i = 0; ok && i < e->pt[p].n_pg; i++)
            ok = det_pf_alloc_scratch(&e->pt[p].pg[i].pf, &w->scratch) == 0;
        if (!ok) {
            free(stamp);
            free(astamp);
            free(cand);
            return MM_ENOMEM;
        }
    }
    free(w->stamp);
    free(w->alert_stamp);
    free(w->cand);
    w->stamp = stamp;
    w->alert_stamp = astamp;
    w->cand = cand;
    w->n_rules = n;
    w->gen = w->alert_gen = 0;
    w->e = e;
    return 0;
}

det_worker_t *det_worker_new(det_engine_t *e, const struct det_config *cfg, det_alert_cb cb,
                             void *user)
{
    det_worker_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->cb = cb;
    w->user = user;
    mem_cap_init(&w->fv_cap, "detect.flowvars", cfg->flowvar_memcap);
    w->md = pcre2_match_data_create(32, NULL);
    w->mctx = pcre2_match_context_create(NULL);
    w->thr = det_thresholds_new(cfg->threshold_memcap);
    w->xbits = det_xbits_new(cfg->xbits_memcap);
    if (!w->md || !w->mctx || !w->thr || !w->xbits || worker_fit(w, e) != 0) {
        det_worker_free(w);
        return NULL;
    }
    /* Suricata's defaults (pcre.match-limit 3500, recursion 1500) bound hostile input. */
    pcre2_set_match_limit(w->mctx, 3500);
    pcre2_set_depth_limit(w->mctx, 1500);
    return w;
}

void det_worker_free(det_worker_t *w)
{
    if (!w)
        return;
    if (w->scratch)
        hs_free_scratch(w->scratch);
    free(w->stamp);
    free(w->alert_stamp);
    free(w->cand);
    det_bufs_free(&w->bufs);
    det_pf_pad_free(&w->pad);
    free(w->win);
    if (w->md)
        pcre2_match_data_free(w->md);
    if (w->mctx)
        pcre2_match_context_free(w->mctx);
    det_thresholds_free(w->thr);
    det_xbits_free(w->xbits);
    free(w);
}

det_engine_t *det_worker_swap(det_worker_t *w, det_engine_t *e)
{
    det_engine_t *old = w->e;
    if (worker_fit(w, e) != 0)
        return NULL;
    return old;
}

void det_worker_get_stats(const det_worker_t *w, struct det_stats *out)
{
    *out = w->st;
    out->flowvar_memcap_hits = w->fv_cap.hits;
    out->flowvar_memuse = w->fv_cap.used;
    struct det_threshold_stats ts;
    det_thresholds_get_stats(w->thr, &ts);
    out->threshold_entries = ts.entries;
    out->threshold_evicted = ts.evicted;
    struct det_xbits_stats xs;
    det_xbits_get_stats(w->xbits, &xs);
    out->xbits_entries = xs.entries;
    out->xbits_evicted = xs.evicted;
}

/* ---------------- inspection ---------------- */

/* Endpoints of the data inspected: the sender is `a`. */
struct ends {
    const uint8_t *a, *b;
    uint16_t pa, pb;
    uint8_t ip_ver, proto;
};

static bool header_match(const struct det_rule *r, const struct ends *x)
{
    bool ports = x->proto == IPPROTO_TCP_NUM || x->proto == IPPROTO_UDP_NUM;
    if (det_addr_match(&r->src, x->a, x->ip_ver) && det_addr_match(&r->dst, x->b, x->ip_ver) &&
        (!ports || (det_port_match(&r->sport, x->pa) && det_port_match(&r->dport, x->pb))))
        return true;
    return r->bidir && det_addr_match(&r->src, x->b, x->ip_ver) &&
           det_addr_match(&r->dst, x->a, x->ip_ver) &&
           (!ports || (det_port_match(&r->sport, x->pb) && det_port_match(&r->dport, x->pa)));
}

static bool proto_match(const struct det_rule *r, uint8_t proto)
{
    switch (r->proto) {
    case DET_P_IP: return true;
    case DET_P_UDP: return proto == IPPROTO_UDP_NUM;
    case DET_P_ICMP: return proto == IPPROTO_ICMP_NUM || proto == IPPROTO_ICMPV6_NUM;
    case DET_P_DNS: return proto == IPPROTO_UDP_NUM || proto == IPPROTO_TCP_NUM;
    default: return proto == IPPROTO_TCP_NUM;
    }
}

static bool rule_has_payload(const struct det_rule *r)
{
    for (uint32_t i = 0; i < r->n_lists; i++)
        if (r->lists[i].buf == DET_BUF_PAYLOAD)
            return true;
    return false;
}

static void next_gen(uint32_t *gen, uint32_t *stamps, uint32_t n)
{
    if (++*gen == 0) { /* wrapped: old stamps could collide */
        memset(stamps, 0, (size_t)n * sizeof *stamps);
        *gen = 1;
    }
}

static void on_candidate(void *user, uint32_t rule)
{
    det_worker_t *w = user;
    if (rule >= w->n_rules || w->stamp[rule] == w->gen)
        return;
    w->stamp[rule] = w->gen;
    w->cand[w->n_cand++] = rule;
}

static void addr_candidates(det_worker_t *w, const struct det_addr_index *ix, const uint8_t *a,
                            const uint8_t *b, uint8_t ip_ver)
{
    if (ip_ver == 6) {
        for (uint32_t i = 0; i < ix->n_v6; i++)
            on_candidate(w, ix->v6[i]);
        return;
    }
    for (uint32_t i = 0; i < ix->n_generic; i++)
        on_candidate(w, ix->generic[i]);
    if (ip_ver != 4 || !ix->n_entries)
        return;
    for (int side = 0; side < 2; side++) {
        uint32_t x = v4(side ? b : a), bk = x >> 16;
        for (uint32_t i = ix->bucket_off[bk]; i < ix->bucket_off[bk + 1]; i++)
            if (ix->entries[i].lo <= x && x <= ix->entries[i].hi)
                on_candidate(w, ix->entries[i].rule);
    }
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Candidates into evaluation order: usually a handful, where insertion sort beats qsort's
 * call overhead. */
static void sort_candidates(uint32_t *v, uint32_t n)
{
    if (n > 32) {
        qsort(v, n, sizeof *v, u32_cmp);
        return;
    }
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = v[i], j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* The endpoints of a flow seen from direction dir (0: client -> server). */
static void flow_ends(const struct flow *f, int dir, struct ends *x)
{
    const uint8_t *c = flow_client_addr(f), *s = flow_server_addr(f);
    uint16_t cp = flow_client_port(f), sp = flow_server_port(f);
    x->ip_ver = f->key.ip_ver;
    x->proto = f->key.proto;
    if (dir == 0) {
        x->a = c, x->b = s, x->pa = cp, x->pb = sp;
    } else {
        x->a = s, x->b = c, x->pa = sp, x->pb = cp;
    }
}

static void emit(det_worker_t *w, struct det_match_ctx *mc, const struct det_rule *r,
                 const struct ends *x, enum app_record_kind kind, const void *rec)
{
    struct flow *f = (struct flow *)(uintptr_t)mc->flow; /* the engine's own flow */
    if (r->noalert) {
        w->st.alerts_suppressed++;
        return;
    }
    if ((r->has_threshold || r->has_detection_filter) &&
        !det_threshold_pass(w->thr, r, x->a, x->b, mc->ts_ns)) {
        w->st.alerts_suppressed++;
        return;
    }
    if (rec) {
        if (w->alert_stamp[r->idx] == w->alert_gen) /* once per record */
            return;
        w->alert_stamp[r->idx] = w->alert_gen;
    }
    struct det_alert a;
    memset(&a, 0, sizeof a);
    a.rule = r;
    a.rs = w->e->rs;
    a.flow = f;
    a.pkt = mc->pkt;
    if (!a.pkt && w->cur_pkt && w->cur_pkt->flow == (const void *)f)
        a.pkt = w->cur_pkt;
    a.ts_ns = mc->ts_ns;
    a.dir = mc->dir;
    memcpy(a.src.b, x->a, 16);
    memcpy(a.dst.b, x->b, 16);
    a.sport = x->pa;
    a.dport = x->pb;
    a.ip_ver = x->ip_ver;
    a.proto = x->proto;
    a.app_proto = mc->app_proto;
    a.rec_kind = kind;
    a.rec = rec;
    if (f)
        f->alerted = true;
    w->st.alerts++;
    w->cb(w->user, &a);
}

/* Verify the candidates gathered in w->cand (plus the point's no-pattern rules). Returns
 * false when a pass rule matched. `rec_dir` >= 0 marks a record inspection: each rule
 * sees the record from its own direction. */
/* A record rule seen from direction d (mirror: response side of neutral HTTP buffers). The
 * alert's endpoints go to *x. */
static bool record_rule_match(struct det_match_ctx *mc, const struct det_rule *r,
                              enum app_record_kind kind, int d, bool mirror, struct ends *x)
{
    mc->dir = d;
    mc->mirror = mirror;
    flow_ends(mc->flow, d, x);
    bool ok = false;
    if (header_match(r, x)) {
        mc->payload = NULL;
        mc->payload_len = 0;
        if (kind == APP_REC_HTTP && rule_has_payload(r)) {
            const uint8_t *mp;
            uint32_t ml;
            if (det_bufs_http_message(mc->bufs, d, &mp, &ml)) {
                mc->payload = mp;
                mc->payload_len = ml;
                ok = det_match_rule(mc, r);
            }
        } else {
            ok = det_match_rule(mc, r);
        }
    }
    mc->mirror = false;
    return ok;
}

static bool verify(det_worker_t *w, struct det_match_ctx *mc, const struct det_point *pt,
                   const struct ends *pkt_ends, int rec_dir, enum app_record_kind kind,
                   const void *rec, bool fixed_dir)
{
    for (uint32_t i = 0; i < pt->n_nopat; i++)
        on_candidate(w, pt->nopat[i]);
    if (!w->n_cand)
        return true;
    sort_candidates(w->cand, w->n_cand);
    w->st.candidates += w->n_cand;
    for (uint32_t i = 0; i < w->n_cand; i++) {
        const struct det_rule *r = w->e->order[w->cand[i]];
        struct ends x;
        bool ok;
        if (rec_dir >= 0) {
            int d = rec_dir;
            if (!fixed_dir) {
                if (r->to_client || (r->flow_flags & DET_FLOW_TO_CLIENT))
                    d = 1;
                else if (r->to_server || (r->flow_flags & DET_FLOW_TO_SERVER) || r->both_sides)
                    d = 0;
            }
            ok = record_rule_match(mc, r, kind, d, false, &x);
            if (!ok && r->both_sides) /* the response side of its neutral buffers */
                ok = record_rule_match(mc, r, kind, 1, true, &x);
        } else {
            x = *pkt_ends;
            ok = proto_match(r, x.proto) && header_match(r, &x) && det_match_rule(mc, r);
        }
        if (!ok)
            continue;
        w->st.matches++;
        det_match_apply(mc, r);
        if (r->action == DET_ACT_PASS) {
            w->st.pass++;
            if (mc->flow)
                ((struct flow *)(uintptr_t)mc->flow)->det_passed = true;
            return false;
        }
        emit(w, mc, r, &x, kind, rec);
    }
    return true;
}

static void ctx_init(det_worker_t *w, struct det_match_ctx *mc, struct flow *f, int dir,
                     uint64_t ts_ns, int app_proto)
{
    memset(mc, 0, sizeof *mc);
    mc->flow = f;
    mc->dir = dir;
    mc->ts_ns = ts_ns;
    mc->app_proto = app_proto;
    mc->bufs = &w->bufs;
    mc->fvars = f ? (struct det_flowvars **)&f->det : NULL;
    mc->xbits = w->xbits;
    mc->flowvar_cap = &w->fv_cap;
    mc->rs = w->e->rs;
    mc->md = w->md;
    mc->mctx = w->mctx;
}

/* The payload databases of a point for this server port: its port group, and the any-port
 * database unless the group already holds those patterns. */
static void scan_payload(det_worker_t *w, const struct det_point *pt, const uint8_t *data,
                         uint32_t len, uint16_t server_port)
{
    if (pt->port_map && pt->port_map[server_port] != PORT_NONE) {
        det_pf_scan(&pt->pg[pt->port_map[server_port]].pf, w->scratch, &w->pad, data, len,
                    on_candidate, w);
        if (pt->pg_merged)
            return;
    }
    for (uint32_t i = 0; i < pt->n_bg; i++)
        if (pt->bg[i].buf == DET_BUF_PAYLOAD && !pt->bg[i].xform)
            det_pf_scan(&pt->bg[i].pf, w->scratch, &w->pad, data, len, on_candidate, w);
}

static void finish_ctx(det_worker_t *w, struct det_match_ctx *mc)
{
    w->st.pcre_errors += mc->pcre_errors;
}

void det_packet(det_worker_t *w, struct flow *f, int dir, const struct packet *p,
                bool stream_active, enum app_proto app_proto)
{
    if (!w->e->n || p->ip_ver == 0 || (f && f->det_passed))
        return;
    int pti;
    switch (p->proto) {
    case IPPROTO_TCP_NUM: pti = dir == 0 ? PT_PKT_TCP_TS : PT_PKT_TCP_TC; break;
    case IPPROTO_UDP_NUM: pti = dir == 0 ? PT_PKT_UDP_TS : PT_PKT_UDP_TC; break;
    case IPPROTO_ICMP_NUM:
    case IPPROTO_ICMPV6_NUM: pti = PT_PKT_ICMP; break;
    default: pti = PT_PKT_OTHER; break;
    }
    uint16_t server_port = dir == 0 ? p->dport : p->sport;
    w->st.inspected_pkts++;
    struct det_match_ctx mc;
    ctx_init(w, &mc, f, dir, p->ts_ns, (int)app_proto);
    mc.pkt = p;
    bool l4 = (p->flags & PKT_F_L4) != 0;
    mc.payload = l4 && p->payload_len ? p->payload : NULL;
    mc.payload_len = mc.payload ? p->payload_len : 0;
    det_bufs_begin(&w->bufs, APP_REC_COUNT, NULL, dir);
    struct ends x = {p->src.b, p->dst.b, p->sport, p->dport, p->ip_ver, p->proto};

    const struct det_point *pt = &w->e->pt[pti];
    next_gen(&w->gen, w->stamp, w->n_rules);
    w->n_cand = 0;
    /* IP-only rules: once per flow direction (every packet when there is no flow). */
    if (!f || f->pkts[dir] == 1)
        addr_candidates(w, &w->e->ipo, p->src.b, p->dst.b, p->ip_ver);
    if (pt->aix)
        addr_candidates(w, pt->aix, p->src.b, p->dst.b, p->ip_ver);
    if (mc.payload)
        scan_payload(w, pt, mc.payload, mc.payload_len, server_port);
    bool go = verify(w, &mc, pt, &x, -1, APP_REC_COUNT, NULL, false);

    /* TCP payload without reassembly: the stream rules look at the packet instead. */
    if (go && p->proto == IPPROTO_TCP_NUM && !stream_active && mc.payload) {
        pt = &w->e->pt[dir == 0 ? PT_STREAM_TS : PT_STREAM_TC];
        next_gen(&w->gen, w->stamp, w->n_rules);
        w->n_cand = 0;
        scan_payload(w, pt, mc.payload, mc.payload_len, server_port);
        (void)verify(w, &mc, pt, &x, -1, APP_REC_COUNT, NULL, false);
    }
    finish_ctx(w, &mc);
}

/* A literal found in the boundary buffer that starts in the tail and ends in the new chunk. */
static void on_edge_hit(void *user, uint32_t rule, uint64_t end, uint32_t len)
{
    det_worker_t *w = user;
    if (end > w->edge_tail && end - len < w->edge_tail)
        on_candidate(w, rule);
}

/* Patterns straddling the previous chunk and this one (see struct det_tail), then the tail
 * moves on. The candidates of the main pass keep their stamps, so nothing is verified twice. */
static void stream_edge(det_worker_t *w, struct det_match_ctx *mc, const struct det_point *pt,
                        const struct ends *x, struct flow *f, int dir, const uint8_t *data,
                        uint32_t len)
{
    uint32_t keep = w->e->stream_tail;
    struct det_tail *t = f->det_stream;
    if (!t) {
        t = mem_cap_calloc(&w->fv_cap, sizeof *t);
        if (!t)
            return; /* refused: counted by the cap; straddling patterns go unseen */
        f->det_stream = t;
    }
    uint32_t tl = t->len[dir];
    if (tl) {
        uint32_t n2 = MM_MIN(len, keep);
        memcpy(w->edge, t->b[dir], tl);
        memcpy(w->edge + tl, data, n2);
        w->edge_tail = tl;
        w->n_cand = 0;
        uint16_t sp = flow_server_port(f);
        if (pt->port_map && pt->port_map[sp] != PORT_NONE)
            det_pf_scan_ends(&pt->pg[pt->port_map[sp]].pf, w->scratch, &w->pad, w->edge, tl + n2,
                             on_edge_hit, w);
        if (!pt->pg_merged || !pt->port_map || pt->port_map[sp] == PORT_NONE)
            for (uint32_t i = 0; i < pt->n_bg; i++)
                if (pt->bg[i].buf == DET_BUF_PAYLOAD && !pt->bg[i].xform)
                    det_pf_scan_ends(&pt->bg[i].pf, w->scratch, &w->pad, w->edge, tl + n2,
                                     on_edge_hit, w);
        if (w->n_cand && (size_t)tl + len <= SIZE_MAX / 2) {
            size_t need = (size_t)tl + len;
            if (need > w->win_cap) {
                uint8_t *nw = realloc(w->win, need);
                if (nw) {
                    w->win = nw;
                    w->win_cap = need;
                }
            }
            if (need <= w->win_cap) {
                memcpy(w->win, t->b[dir], tl);
                memcpy(w->win + tl, data, len);
                mc->payload = w->win;
                mc->payload_len = (uint32_t)need;
                /* verify() sorts; it adds the no-pattern rules again: their stamps skip them. */
                (void)verify(w, mc, pt, x, -1, APP_REC_COUNT, NULL, false);
            }
        }
    }
    /* The new tail: the last `keep` bytes of tail + chunk. */
    if (len >= keep) {
        memcpy(t->b[dir], data + len - keep, keep);
        t->len[dir] = (uint8_t)keep;
    } else {
        uint32_t from_old = MM_MIN(tl, keep - len);
        memmove(t->b[dir], t->b[dir] + tl - from_old, from_old);
        memcpy(t->b[dir] + from_old, data, len);
        t->len[dir] = (uint8_t)(from_old + len);
    }
}

void det_stream(det_worker_t *w, struct flow *f, int dir, const uint8_t *data, uint32_t len,
                uint64_t ts_ns, enum app_proto app_proto)
{
    const struct det_point *pt = &w->e->pt[dir == 0 ? PT_STREAM_TS : PT_STREAM_TC];
    if (!len || (!pt->n_bg && !pt->n_pg && !pt->n_nopat) || f->det_passed)
        return;
    w->st.inspected_chunks++;
    struct det_match_ctx mc;
    ctx_init(w, &mc, f, dir, ts_ns, (int)app_proto);
    mc.stream = true;
    mc.payload = data;
    mc.payload_len = len;
    det_bufs_begin(&w->bufs, APP_REC_COUNT, NULL, dir);
    struct ends x;
    flow_ends(f, dir, &x);
    next_gen(&w->gen, w->stamp, w->n_rules);
    w->n_cand = 0;
    scan_payload(w, pt, data, len, flow_server_port(f));
    if (verify(w, &mc, pt, &x, -1, APP_REC_COUNT, NULL, false) && w->e->stream_tail)
        stream_edge(w, &mc, pt, &x, f, dir, data, len);
    finish_ctx(w, &mc);
}

/* One pass over a record (or one item of it): scan its buffers, verify. */
static bool inspect_record(det_worker_t *w, struct det_match_ctx *mc, const struct det_point *pt,
                           int rec_dir, enum app_record_kind kind, const void *rec, bool fixed_dir)
{
    next_gen(&w->gen, w->stamp, w->n_rules);
    w->n_cand = 0;
    for (uint32_t i = 0; i < pt->n_bg; i++) {
        const uint8_t *p;
        uint32_t len;
        if (det_bufs_lookup(&w->bufs, pt->bg[i].buf, pt->bg[i].xform, &p, &len))
            det_pf_scan(&pt->bg[i].pf, w->scratch, &w->pad, p, len, on_candidate, w);
    }
    return verify(w, mc, pt, NULL, rec_dir, kind, rec, fixed_dir);
}

static int record_point(enum app_record_kind kind)
{
    switch (kind) {
    case APP_REC_HTTP: return PT_REC_HTTP;
    case APP_REC_TLS: return PT_REC_TLS;
    case APP_REC_DNS: return PT_REC_DNS;
    case APP_REC_SSH: return PT_REC_SSH;
    case APP_REC_SMTP: return PT_REC_SMTP;
    case APP_REC_FILE: return PT_REC_FILE;
    case APP_REC_FTP: return PT_REC_FTP;
    case APP_REC_POP3: return PT_REC_POP3;
    case APP_REC_IMAP: return PT_REC_IMAP;
    default: return -1;
    }
}

static int record_app_proto(enum app_record_kind kind, const void *rec)
{
    switch (kind) {
    case APP_REC_HTTP: return APP_PROTO_HTTP;
    case APP_REC_TLS: return APP_PROTO_TLS;
    case APP_REC_DNS: return APP_PROTO_DNS;
    case APP_REC_SSH: return APP_PROTO_SSH;
    case APP_REC_SMTP: return APP_PROTO_SMTP;
    case APP_REC_FTP: return APP_PROTO_FTP;
    case APP_REC_POP3: return APP_PROTO_POP3;
    case APP_REC_IMAP: return APP_PROTO_IMAP;
    case APP_REC_FILE: return (int)((const struct app_file *)rec)->proto;
    default: return 0;
    }
}

void det_record(det_worker_t *w, struct flow *f, int dir, uint64_t ts_ns, enum app_record_kind kind,
                const void *rec)
{
    int pti = record_point(kind);
    if (pti < 0 || !f || f->det_passed)
        return;
    const struct det_point *pt = &w->e->pt[pti];
    if (!pt->n_bg && !pt->n_nopat)
        return;
    w->st.inspected_records++;
    struct det_match_ctx mc;
    ctx_init(w, &mc, f, dir, ts_ns, record_app_proto(kind, rec));
    next_gen(&w->alert_gen, w->alert_stamp, w->n_rules);
    det_bufs_begin(&w->bufs, kind, rec, dir);

    if (kind == APP_REC_DNS) {
        /* dns.query: each question of a query in turn. */
        const struct app_dns_rec *d = rec;
        if (d->msg->qr)
            return;
        for (uint32_t i = 0; i < d->msg->n_questions; i++) {
            const char *name = d->msg->q[i].name;
            det_bufs_set_item(&w->bufs, (const uint8_t *)name, (uint32_t)strlen(name));
            if (!inspect_record(w, &mc, pt, 0, kind, rec, false))
                break;
        }
    } else if (kind == APP_REC_SSH) {
        /* Each side's banner and software are inspected in that side's direction. */
        for (int side = 0; side < 2; side++) {
            if (side) /* a direction-less rule may alert once per side */
                next_gen(&w->alert_gen, w->alert_stamp, w->n_rules);
            det_bufs_begin(&w->bufs, kind, rec, side);
            if (!inspect_record(w, &mc, pt, side, kind, rec, true))
                break;
        }
    } else if (kind == APP_REC_TLS && ((const struct tls_rec *)rec)->certs.n) {
        /* tls.certs: each certificate of the chain in turn. */
        const struct tls_list *cl = &((const struct tls_rec *)rec)->certs;
        uint32_t off = 0;
        const uint8_t *der;
        uint16_t dl;
        while (tls_list_next(cl, &off, &der, &dl)) {
            det_bufs_set_item(&w->bufs, der, dl);
            if (!inspect_record(w, &mc, pt, dir, kind, rec, false))
                break;
        }
    } else if (kind == APP_REC_SMTP && ((const struct smtp_tx *)rec)->n_rcpt_to) {
        const struct smtp_tx *tx = rec;
        for (uint32_t i = 0; i < tx->n_rcpt_to; i++) {
            det_bufs_set_item(&w->bufs, tx->rcpt_to[i], (uint32_t)tx->rcpt_to_len[i]);
            if (!inspect_record(w, &mc, pt, 0, kind, rec, false))
                break;
        }
    } else {
        (void)inspect_record(w, &mc, pt, dir, kind, rec, false);
    }
    finish_ctx(w, &mc);
}

void det_set_packet(det_worker_t *w, const struct packet *p)
{
    w->cur_pkt = p;
}

void det_flow_end(det_worker_t *w, struct flow *f)
{
    det_flowvars_free(f->det, &w->fv_cap);
    f->det = NULL;
    if (f->det_stream)
        mem_cap_free(&w->fv_cap, f->det_stream, sizeof(struct det_tail));
    f->det_stream = NULL;
}
