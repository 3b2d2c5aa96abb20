/*
 * Inspection: packets, reassembled TCP chunks and app-layer records against the compiled
 * engine (engine_int.h, built by detect_build.c); see detect.h and docs/internals/detect.md.
 * A scan of each buffer the inspection point has databases for marks candidate rules; the
 * candidates are verified in evaluation order (header, then the option chain in match.c),
 * and matches apply their flow-variable actions, pass thresholds and become alerts.
 */
#include "detect/engine_int.h"

#include "detect/buffers.h"
#include "detect/detect_int.h"
#include "detect/rule_addr.h"
#include "detect/suppress.h"

#include "app/dns_rec.h"
#include "app/file.h"
#include "app/smtp.h"
#include "app/tls.h"
#include "core/mm.h"

#include <stdlib.h>
#include <string.h>

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
    const det_suppress_t *tfile; /* the threshold file: its lines replace rules' thresholds */
    struct det_xbits *xbits;
    struct mem_cap fv_cap;
    struct det_stats st;
    const struct packet *cur_pkt; /* det_set_packet */
    /* Per inspection point of e: no rule to run there (see det_packet), and no IP-only rules;
     * worked out once per engine rather than on every packet. */
    bool pt_empty[PT_COUNT];
    bool ipo_empty;
};

static bool point_empty(const struct det_point *pt);
static bool index_empty(const struct det_addr_index *ix);

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
        if (ok && e->pt[p].uri_pf.db)
            ok = det_pf_alloc_scratch(&e->pt[p].uri_pf, &w->scratch) == 0;
        if (ok && e->pt[p].hdr_pf.db)
            ok = det_pf_alloc_scratch(&e->pt[p].hdr_pf, &w->scratch) == 0;
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
    for (int p = 0; p < PT_COUNT; p++)
        w->pt_empty[p] = point_empty(&e->pt[p]);
    w->ipo_empty = index_empty(&e->ipo);
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

bool det_worker_inspects_packets(const det_worker_t *w)
{
    for (int p = 0; p < PT_N_PKT; p++)
        if (!w->pt_empty[p])
            return true;
    /* TCP payload without reassembly goes to the stream rules through det_packet. */
    return !w->ipo_empty || det_worker_inspects_stream(w);
}

bool det_worker_inspects_stream(const det_worker_t *w)
{
    return !w->pt_empty[PT_STREAM_TS] || !w->pt_empty[PT_STREAM_TC];
}

det_engine_t *det_worker_swap(det_worker_t *w, det_engine_t *e)
{
    det_engine_t *old = w->e;
    if (worker_fit(w, e) != 0)
        return NULL;
    return old;
}

void det_worker_set_threshold_file(det_worker_t *w, const struct det_suppress *s)
{
    w->tfile = s;
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
        uint32_t x = det_v4(side ? b : a), bk = x >> 16;
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
        !det_suppress_overrides(w->tfile, r->gid, r->sid) &&
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
    if (!w->cb(w->user, &a))
        return; /* the caller's threshold file held it back: the flow has no alert */
    if (f)
        f->alerted = true;
    w->st.alerts++;
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

/* The point's rules that need a flowbit (nopat[n_nopat_free..]) after candidate `after` (an
 * index into the rule order), into the candidates still to verify (positions > pos), which
 * stay sorted. */
static void add_gated_after(det_worker_t *w, const struct det_point *pt, uint32_t pos,
                            uint32_t after)
{
    for (uint32_t i = pt->n_nopat_free; i < pt->n_nopat; i++)
        if (pt->nopat[i] > after)
            on_candidate(w, pt->nopat[i]);
    sort_candidates(w->cand + pos + 1, w->n_cand - pos - 1);
}

static bool verify(det_worker_t *w, struct det_match_ctx *mc, const struct det_point *pt,
                   const struct ends *pkt_ends, int rec_dir, enum app_record_kind kind,
                   const void *rec, bool fixed_dir)
{
    for (uint32_t i = 0; i < pt->n_nopat_free; i++)
        on_candidate(w, pt->nopat[i]);
    /* Rules that need a flowbit: not candidates on a flow that has none. When a rule of
     * this pass sets one, those after it in the rule order join the candidates then (the
     * ones before it had no bit to see when their turn came, as in the full order). */
    bool gated = pt->n_nopat > pt->n_nopat_free;
    bool gated_in = gated && mc->fvars && *mc->fvars;
    if (gated_in)
        for (uint32_t i = pt->n_nopat_free; i < pt->n_nopat; i++)
            on_candidate(w, pt->nopat[i]);
    if (!w->n_cand)
        return true;
    sort_candidates(w->cand, w->n_cand);
    w->st.candidates += w->n_cand;
    for (uint32_t i = 0; i < w->n_cand; i++) {
        const struct det_rule *r = w->e->order[w->cand[i]];
        struct ends x;
        bool ok;
        if (r->n_flowbits && !det_match_flowbits(mc, r))
            continue; /* cheap, and it fails on most flows: before the buffers */
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
        if (gated && !gated_in && mc->fvars && *mc->fvars) {
            gated_in = true;
            add_gated_after(w, pt, i, w->cand[i]);
        }
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

static bool index_empty(const struct det_addr_index *ix)
{
    return !ix->n_entries && !ix->n_generic && !ix->n_v6;
}

static bool point_empty(const struct det_point *pt)
{
    return !pt->n_bg && !pt->n_pg && !pt->n_nopat && (!pt->aix || index_empty(pt->aix));
}

static void det_packet_inspect(det_worker_t *w, struct flow *f, int dir, const struct packet *p,
                               bool stream_active, enum app_proto app_proto, int pti)
    __attribute__((noinline));

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
    /* Nothing to do at this point (rule sets of only app-layer rules, such as the shipped web
     * rules): no context to set up for every packet. */
    if (w->pt_empty[pti] && ((f && f->pkts[dir] != 1) || w->ipo_empty) &&
        (p->proto != IPPROTO_TCP_NUM || stream_active ||
         w->pt_empty[dir == 0 ? PT_STREAM_TS : PT_STREAM_TC]))
        return;
    det_packet_inspect(w, f, dir, p, stream_active, app_proto, pti);
}

/* det_packet past its quick tests (apart, so the common early return above needs no large
 * stack frame of its own). */
static void det_packet_inspect(det_worker_t *w, struct flow *f, int dir, const struct packet *p,
                               bool stream_active, enum app_proto app_proto, int pti)
{
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
    int pti = dir == 0 ? PT_STREAM_TS : PT_STREAM_TC;
    if (!len || w->pt_empty[pti] || f->det_passed)
        return; /* (stream points have no address index: empty means no rule at all) */
    const struct det_point *pt = &w->e->pt[pti];
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

/*
 * The URI family of pt (see det_point.uri_pf): when every member present comes out as the
 * same bytes, one scan with the family's database. Returns the members to skip in the scan
 * of each buffer: all of them when done here, none when the buffers differ.
 */
static uint64_t scan_uri_family(det_worker_t *w, const struct det_point *pt)
{
    const uint8_t *p0 = NULL;
    uint32_t l0 = 0;
    bool any = false;
    for (uint32_t i = 0; i < pt->n_bg && i < 64; i++) {
        if (!(pt->uri_members >> i & 1))
            continue;
        const uint8_t *p;
        uint32_t len;
        if (!det_bufs_lookup(&w->bufs, pt->bg[i].buf, pt->bg[i].xform, &p, &len))
            continue; /* absent: its rules cannot match; its patterns in the scan only cost */
        if (!any) {
            p0 = p;
            l0 = len;
            any = true;
        } else if (len != l0 || (p != p0 && memcmp(p, p0, len) != 0)) {
            return 0;
        }
    }
    if (any)
        det_pf_scan(&pt->uri_pf, w->scratch, &w->pad, p0, l0, on_candidate, w);
    return pt->uri_members;
}

/*
 * The header family of pt (see det_point.hdr_pf): when the user agent, if any, is part of
 * the header block, one scan of the block with the family's database. Returns the members
 * to skip in the scan of each buffer: both when done here (or when the block is absent and
 * there is no user agent either), none otherwise.
 */
static uint64_t scan_hdr_family(det_worker_t *w, const struct det_point *pt)
{
    if (!det_bufs_ua_in_header(&w->bufs))
        return 0;
    const uint8_t *p;
    uint32_t len;
    if (det_bufs_lookup(&w->bufs, DET_BUF_HTTP_HEADER, 0, &p, &len))
        det_pf_scan(&pt->hdr_pf, w->scratch, &w->pad, p, len, on_candidate, w);
    else if (det_bufs_lookup(&w->bufs, DET_BUF_HTTP_USER_AGENT, 0, &p, &len))
        return 0; /* a user agent without a header block (not built): scan it alone */
    return pt->hdr_members;
}

/* One pass over a record (or one item of it): scan its buffers, verify. */
static bool inspect_record(det_worker_t *w, struct det_match_ctx *mc, const struct det_point *pt,
                           int rec_dir, enum app_record_kind kind, const void *rec, bool fixed_dir)
{
    next_gen(&w->gen, w->stamp, w->n_rules);
    w->n_cand = 0;
    uint64_t done = pt->uri_pf.db ? scan_uri_family(w, pt) : 0;
    if (pt->hdr_pf.db)
        done |= scan_hdr_family(w, pt);
    for (uint32_t i = 0; i < pt->n_bg; i++) {
        if (i < 64 && (done >> i & 1))
            continue;
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

void det_alert_flowvars(const struct det_alert *a, void (*bit)(void *u, const char *name),
                        void (*num)(void *u, const char *name, int64_t v), void *u)
{
    const struct det_flowvars *v = a->flow ? a->flow->det : NULL;
    if (!v || !a->rs)
        return;
    for (uint32_t id = 0; bit && id < a->rs->flowbits.n; id++)
        if (det_flowbit_isset(v, id))
            bit(u, a->rs->flowbits.names[id]);
    int64_t x;
    for (uint32_t id = 0; num && id < a->rs->flowints.n; id++)
        if (det_flowint_get(v, id, &x))
            num(u, a->rs->flowints.names[id], x);
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
