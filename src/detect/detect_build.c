/*
 * Loading the detection engine; see detect.h and docs/internals/detect.md.
 *
 * At load every rule gets an inspection point from what it inspects:
 *   - record points (one per app-layer record kind): rules with app-layer buffers, or with
 *     an app-layer protocol and nothing else to look at;
 *   - the stream points (to server / to client): payload rules on TCP (reassembled chunks;
 *     packet payloads when the flow has no reassembly);
 *   - packet points (TCP and UDP per direction, ICMP, other): rules with packet-only
 *     conditions (dsize, flags, ttl ...), payload rules of UDP/ICMP/other, and rules
 *     without any condition beyond the header ("IP-only": evaluated on the first packet of
 *     each direction of a flow, through an address index).
 * Within a point, every (buffer, transform) with fast patterns has one Hyperscan database,
 * payload points also one per server port named by few rules; rules without a usable fast
 * pattern are always candidates there. Rules are numbered in evaluation order (action,
 * flowbit setters before readers, priority, file order). Inspection is in detect.c.
 */
#include "detect/engine_int.h"

#include "detect/detect_int.h"
#include "detect/rule_addr.h"

#include "app/app.h"
#include "core/log.h"
#include "core/mm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

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
    bool chop = (c->flags & DET_CT_FP_CHOP) && (uint32_t)c->fp_off + c->fp_len <= c->len;
    const struct det_pf_pattern pat = {
        .lit = chop ? c->pat + c->fp_off : c->pat,
        .len = chop ? c->fp_len : c->len,
        .nocase = (c->flags & DET_CT_NOCASE) != 0,
        .rule = r->idx,
    };
    return append_pat(g, &pat);
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

/* Whether r can only match on a flow that has a flowbit set: it has an isset clause. */
static bool needs_flowbit(const struct det_rule *r)
{
    for (uint32_t k = 0; k < r->n_flowbits; k++)
        if (r->flowbits[k].op == DET_BIT_ISSET)
            return true;
    return false;
}

/* Moves the rules of v (ascending) that need a flowbit to the end, both parts staying
 * ascending; returns how many do not. */
static uint32_t nopat_partition(const struct det_engine *e, uint32_t *v, uint32_t n)
{
    uint32_t free_n = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!needs_flowbit(e->order[v[i]]))
            free_n++;
    uint32_t *tmp = n ? malloc(n * sizeof *tmp) : NULL;
    if (!tmp)
        return n; /* out of memory: every rule stays a candidate (correct, only slower) */
    uint32_t a = 0, z = free_n;
    for (uint32_t i = 0; i < n; i++)
        tmp[needs_flowbit(e->order[v[i]]) ? z++ : a++] = v[i];
    memcpy(v, tmp, n * sizeof *tmp);
    free(tmp);
    return free_n;
}

/* Buffers scanned as one family (see det_point.uri_pf and hdr_pf). */
enum family { FAM_URI, FAM_HEADER };

/* Whether bg can join its point's family fam: for the URI family a URI buffer that is the
 * same bytes as the others whenever there is nothing to decode; for the header family the
 * request's header block and the user agent, untransformed. */
static bool family_member(enum family fam, enum det_buf buf, det_xform_chain xf)
{
    if (fam == FAM_HEADER)
        return !xf && (buf == DET_BUF_HTTP_HEADER || buf == DET_BUF_HTTP_USER_AGENT);
    if (buf != DET_BUF_HTTP_URI && buf != DET_BUF_HTTP_URI_RAW)
        return false;
    for (; xf; xf = (det_xform_chain)(xf >> 4))
        if ((xf & 0xf) != DET_XF_URL_DECODE)
            return false;
    return true;
}

/* Patterns copied into a family's database at most: past it (large rule sets), the compile
 * time and memory of a second copy outweigh the scans saved per transaction. */
#define FAMILY_MAX_PATTERNS 2048u

static int build_family(struct build *b, struct det_engine *e, int p, enum family fam,
                        const char *cache_dir, struct det_pf_build_stats *pst, char *err,
                        size_t errlen)
{
    struct det_point *pt = &e->pt[p];
    struct det_pf *pf = fam == FAM_URI ? &pt->uri_pf : &pt->hdr_pf;
    uint64_t members = 0;
    size_t total = 0;
    for (uint32_t i = 0; i < pt->n_bg && i < 64; i++) {
        if (!family_member(fam, pt->bg[i].buf, pt->bg[i].xform))
            continue;
        const struct pat_group *g = group_for(b, p, pt->bg[i].buf, pt->bg[i].xform, -1);
        if (!g) {
            snprintf(err, errlen, "out of memory building the rule engine");
            return MM_ENOMEM;
        }
        members |= 1ull << i;
        total += g->n;
    }
    /* (the header family has two possible members: both are there) */
    if (__builtin_popcountll(members) < 2 || total > FAMILY_MAX_PATTERNS)
        return 0;
    struct det_pf_pattern *all = malloc(total * sizeof *all);
    if (!all) {
        snprintf(err, errlen, "out of memory building the rule engine");
        return MM_ENOMEM;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < pt->n_bg && i < 64; i++) {
        if (!(members >> i & 1))
            continue;
        const struct pat_group *g = group_for(b, p, pt->bg[i].buf, pt->bg[i].xform, -1);
        if (!g) { /* found above: only an allocation could fail here */
            free(all);
            snprintf(err, errlen, "out of memory building the rule engine");
            return MM_ENOMEM;
        }
        memcpy(all + n, g->pats, g->n * sizeof *all);
        n += g->n;
    }
    int rc = det_pf_build(pf, all, n, cache_dir, pst, err, errlen);
    free(all);
    if (rc == 0) {
        if (fam == FAM_URI)
            pt->uri_members = members;
        else
            pt->hdr_members = members;
        e->rep.databases++;
        e->rep.db_bytes += pf->db_bytes;
    }
    return rc;
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

/* IPv4 addresses an address set covers, UINT64_MAX for any. */
static uint64_t v4_span(const struct det_addrset *s)
{
    if (s->any)
        return UINT64_MAX;
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->n_v4; i++)
        n += (uint64_t)det_v4(s->v4[i].hi) - det_v4(s->v4[i].lo) + 1;
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
        if (!v4_private(det_v4(s->v4[i].lo), det_v4(s->v4[i].hi)))
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
            uint32_t b0 = det_v4(k->v4[j].lo) >> 16, b1 = det_v4(k->v4[j].hi) >> 16;
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
            uint32_t lo = det_v4(k->v4[j].lo), hi = det_v4(k->v4[j].hi);
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

    /* Drop the rules that cannot be placed, then place the rest. */
    det_ruleset_check_placement(rs);
    uint32_t kept = rs->n_rules;
    struct rule_place *pl = calloc(kept ? kept : 1, sizeof *pl);
    struct order_key *keys = calloc(kept ? kept : 1, sizeof *keys);
    e->order = calloc(kept ? kept : 1, sizeof *e->order);
    if (!pl || !keys || !e->order) {
        free(pl);
        free(keys);
        snprintf(err, errlen, "out of memory building the rule engine");
        return MM_ENOMEM;
    }
    for (uint32_t i = 0; i < kept; i++) {
        struct det_rule *r = rs->rules[i];
        const char *why = NULL;
        (void)place_rule(r, &pl[i], &why); /* succeeds: checked above */
        keys[i] = (struct order_key){r, i, action_rank(r->action), flowbits_rank(r), r->priority};
    }
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
    for (int p = 0; p < PT_COUNT && rc == 0; p++) {
        rc = build_family(&b, e, p, FAM_URI, cfg->cache_dir, &pst, err, errlen);
        if (rc == 0 && p == PT_REC_HTTP)
            rc = build_family(&b, e, p, FAM_HEADER, cfg->cache_dir, &pst, err, errlen);
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
        e->pt[p].n_nopat_free = nopat_partition(e, e->pt[p].nopat, e->pt[p].n_nopat);
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
        pt->n_nopat = pt->n_nopat_free = 0;
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
        det_pf_free(&e->pt[p].uri_pf);
        det_pf_free(&e->pt[p].hdr_pf);
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
