/*
 * The packet loop; see run.h.
 *
 * Time: flow and fragment timeouts run on packet time, so reading a file gives the same
 * events on every run. A live capture also advances time from the wall clock when no packet
 * arrives, so idle flows still end.
 */
#include "run.h"

#include "progress.h"
#include "summary.h"

#include "capture/capture.h"
#include "core/log.h"
#include "core/mm.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "output/eve.h"
#include "output/sink.h"
#include "stream/stream.h"
#include "app/app.h"
#include "detect/detect.h"
#include "detect/dtr.h"
#include "detect/rule.h"
#include "detect/suppress.h"
#include "enrich/enrich.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_reopen;
static cap_source_t *volatile g_src; /* for cap_break from the signal handler */

void cli_request_stop(void)
{
    g_stop = 1;
    cap_source_t *s = g_src;
    if (s)
        cap_break(s);
}

void cli_request_reopen(void)
{
    g_reopen = 1;
}

struct engine {
    const struct cli_config *cfg;
    dec_ctx_t *dec;
    flow_table_t *flows;
    stream_ctx_t *stream; /* TCP reassembly; its per-flow state is kept in the app session */
    app_ctx_t *app;       /* protocol detection and parsers; flow->app is the app_session */
    det_engine_t *det;    /* compiled rules; NULL when no rule file is configured */
    det_worker_t *detw;   /* inspects traffic against det */
    /* detw when its rules look at packets / stream chunks, else NULL (see inspect_points) */
    det_worker_t *detw_pkts, *detw_stream;
    enrich_t *enrich;     /* host facts for alerts (MAC/vendor, GeoIP, DNS names) */
    dtr_host_t *dtr;      /* built-in detectors; NULL with --no-detectors */
    out_eve_t *eve;
    struct summary *sum;
    struct cap_stats cap_total; /* counters of finished sources */
    uint64_t alerts;            /* alert events written: rules' and detectors' */
    det_suppress_t *suppress;   /* the threshold file's lines, or NULL */
    uint64_t suppressed;        /* alerts they held back */
    uint64_t last_ts_ns;
    double start_s;
};

/* The engine of this process, for the reassembly callback (whose user pointer is the flow). */
static struct engine *g_en;

/* Reassembled bytes go to the flow's application-layer session (which may emit records that
 * the rules inspect), then to the rules' stream inspection. */
static void on_stream_data(void *user, int dir, enum stream_event ev, const uint8_t *data,
                           uint32_t len)
{
    struct flow *f = user;
    struct engine *en = g_en;
    struct app_session *as = f->app;
    if (en->cfg->app_enabled) { /* app-layer.enabled: no means reassembly only */
        switch (ev) {
        case STREAM_DATA: app_session_data(as, dir, data, len); break;
        case STREAM_GAP: app_session_gap(as, dir, len); break;
        case STREAM_END: app_session_end(as, dir); break;
        }
    }
    /* After the parser: the chunk that reveals the protocol is inspected as that protocol
     * (an "alert http" payload rule matches the first request). */
    if (ev == STREAM_DATA && en->detw_stream)
        det_stream(en->detw_stream, f, dir, data, len, f->last_ns, app_session_proto(as));
}

/* The rule's mamori_threat metadata ("T1".."T7"), for the summary; NULL when absent. */
static const char *rule_threat(const struct det_rule *r)
{
    for (uint32_t i = 0; i < r->n_metadata; i++)
        if (!strcmp(r->metadata[i].key, "mamori_threat"))
            return r->metadata[i].value;
    return NULL;
}

/* Rule alerts and built-in detector alerts alike. */
static bool on_alert(void *user, const struct det_alert *a)
{
    struct engine *en = user;
    if (en->suppress) {
        const struct det_rule *r = a->rule;
        enum det_suppress_verdict v = det_suppress_check(
            en->suppress, r->gid, r->sid, r->has_threshold || r->has_detection_filter, a->src.b,
            a->dst.b, a->ip_ver, a->ts_ns);
        if (v != DET_SUP_WRITE) {
            en->suppressed++;
            summary_held_back(en->sum, v);
            return false;
        }
    }
    summary_alert(en->sum, a->rule->gid, a->rule->sid, a->rule->msg, rule_threat(a->rule));
    out_eve_alert(en->eve, a);
    en->alerts++;
    return true;
}

static void on_app_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                          enum app_record_kind kind, const void *rec)
{
    struct engine *en = user;
    /* Records arrive for flows of our own table: detection may mark them (alerted, flow
     * variables), so the const the app layer hands out is dropped here. */
    if (en->detw)
        det_record(en->detw, (struct flow *)(uintptr_t)f, dir, ts_ns, kind, rec);
    if (kind == APP_REC_DNS && en->enrich)
        enrich_dns(en->enrich, rec, ts_ns);
    if (en->dtr)
        dtr_record(en->dtr, f, dir, ts_ns, kind, rec);
    if (kind == APP_REC_LOGIN) {
        summary_login(en->sum, ((const struct app_login *)rec)->outcome);
        if (!en->cfg->app.log_login)
            return;
    }
    out_eve_app_record(en->eve, f, dir, ts_ns, kind, rec);
}

/* flow->app of a flow whose session the app memcap refused: not retried on every packet. */
static char app_refused_mark;
#define APP_REFUSED ((void *)&app_refused_mark)

static struct app_session *flow_session(struct engine *en, struct flow *f)
{
    if (f->app == APP_REFUSED)
        return NULL;
    if (!f->app) {
        f->app = app_session_new(en->app, f);
        if (!f->app) {
            f->app = APP_REFUSED;
            return NULL;
        }
    }
    return f->app;
}

/*
 * Feed a TCP segment to reassembly. State is created at the server's SYN-ACK, which gives
 * both initial sequence numbers, or at the first payload of a connection picked up
 * mid-stream; SYN-only traffic (scans, spoofed floods) costs no reassembly memory.
 */
static void stream_packet(struct engine *en, struct flow *f, enum flow_dir dir,
                          const struct packet *p)
{
    bool synack = (p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
    if (!f->app && !synack && p->payload_len == 0)
        return;
    struct app_session *as = flow_session(en, f);
    if (!as)
        return;
    void **sfp = app_session_engine_slot(as);
    app_session_set_time(as, p->ts_ns);
    if (!*sfp) {
        if (!synack && p->payload_len == 0)
            return;
        *sfp = stream_flow_new(en->stream, on_stream_data, f);
        if (!*sfp)
            return; /* memcap: counted in stream stats; the flow is still tracked */
        if (synack && dir == FLOW_TOCLIENT) /* the client's ISN is what the SYN-ACK acks, -1 */
            (void)stream_segment(en->stream, *sfp, FLOW_TOSERVER, p->tcp_ack - 1, TCP_SYN, NULL,
                                 0);
    }
    if (p->payload_len || (p->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST)))
        (void)stream_segment(en->stream, *sfp, (int)dir, p->tcp_seq, p->tcp_flags, p->payload,
                             p->payload_len);
}

static void udp_packet(struct engine *en, struct flow *f, enum flow_dir dir,
                       const struct packet *p)
{
    if (p->payload_len == 0)
        return;
    struct app_session *as = flow_session(en, f);
    if (!as)
        return;
    app_session_set_time(as, p->ts_ns);
    app_session_datagram(as, (int)dir, p->payload, p->payload_len);
}

/* Packet inspection: after reassembly and parsing of this packet, so that what they set
 * (flow variables, app protocol) is visible. */
static void detect_packet(struct engine *en, struct flow *f, enum flow_dir dir,
                          const struct packet *p)
{
    struct app_session *as = f && f->app != APP_REFUSED ? f->app : NULL;
    bool stream_active = as && *app_session_engine_slot(as) != NULL;
    det_packet(en->detw_pkts, f, f ? (int)dir : 0, p, stream_active,
               as ? app_session_proto(as) : APP_PROTO_UNKNOWN);
}

static void on_flow_end(const struct flow *f, enum flow_end_reason reason, void *user)
{
    struct engine *en = user;
    struct flow *mf = (struct flow *)(uintptr_t)f; /* our table's flow, about to be reused */
    struct app_session *as = f->app == APP_REFUSED ? NULL : f->app;
    const char *proto = NULL, *orig = NULL;
    if (as) {
        /* Reassembly first: its last deliveries and END events reach the parsers, which
         * may still emit records before the flow event. */
        app_session_set_time(as, f->last_ns);
        stream_flow_free(en->stream, *app_session_engine_slot(as));
        *app_session_engine_slot(as) = NULL;
        enum app_proto ap = app_session_proto(as);
        if (ap != APP_PROTO_UNKNOWN) {
            proto = app_proto_name(ap); /* static strings: valid after the free */
            orig = app_proto_name(app_session_proto_orig(as));
        }
        app_session_free(as); /* parsers emit what they still hold */
    }
    if (en->detw)
        det_flow_end(en->detw, mf);
    if (en->dtr)
        dtr_flow_end(en->dtr, f);
    out_eve_flow_app(en->eve, f, reason, proto, orig);
    summary_flow(en->sum, f);
}

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void add_cap_stats(struct cap_stats *sum, const struct cap_stats *s)
{
    sum->pkts_read += s->pkts_read;
    sum->pkts_filtered += s->pkts_filtered;
    sum->bytes_read += s->bytes_read;
    sum->snap_truncated += s->snap_truncated;
    sum->kernel_received += s->kernel_received;
    sum->kernel_dropped += s->kernel_dropped;
    sum->iface_dropped += s->iface_dropped;
}

static void write_stats(struct engine *en, cap_source_t *live_src, uint64_t ts_ns)
{
    struct cap_stats cs = en->cap_total;
    if (live_src) {
        struct cap_stats cur;
        cap_get_stats(live_src, &cur);
        add_cap_stats(&cs, &cur);
    }
    struct flow_stats fs;
    flow_get_stats(en->flows, &fs);
    struct out_sink_stats ss;
    out_eve_sink_stats(en->eve, &ss);
    struct stream_stats sts;
    stream_get_stats(en->stream, &sts);
    struct app_stats as;
    app_get_stats(en->app, &as);
    struct det_stats ds;
    memset(&ds, 0, sizeof ds);
    if (en->detw)
        det_worker_get_stats(en->detw, &ds);
    /* stats.detect.alert counts every alert event, the built-in detectors' too (as Suricata's
     * counts every alert it writes); the rule engine's own count has only the rules'. */
    ds.alerts = en->alerts;
    ds.alerts_suppressed += en->suppressed;
    if (en->suppress) {
        /* The threshold file's counting table, beside the rule keywords' own. */
        struct det_suppress_counts sc;
        det_suppress_counts(en->suppress, &sc);
        ds.threshold_entries += sc.state_entries;
        ds.threshold_evicted += sc.state_evicted;
    }
    struct out_stats_input in = {
        .det = en->detw || en->dtr ? &ds : NULL,
        .dtr = en->dtr,
        .enrich = en->enrich,
        .stream = &sts,
        .app = &as,
        .ts_ns = ts_ns,
        .uptime_s = (uint64_t)(progress_now() - en->start_s),
        .cap = &cs,
        .dec = dec_get_stats(en->dec),
        .flow = &fs,
        .sink = &ss,
    };
    dec_defrag_mem(en->dec, &in.defrag_memuse, &in.defrag_memcap, &in.defrag_memcap_hits);
    out_eve_stats(en->eve, &in);
}

/* Load the configured rules. 0, or -1 when they cannot be used (reported). */
static int load_rules(struct engine *en, det_engine_t **out)
{
    const char *files[CLI_MAX_RULE_FILES];
    size_t n = cli_rule_files(en->cfg, files, CLI_MAX_RULE_FILES);
    *out = NULL;
    if (n == 0)
        return 0;
    char err[1024];
    struct det_load_report rep;
    det_engine_t *e = det_engine_load(&en->cfg->det, files, n, &rep, err, sizeof err);
    if (!e) {
        log_err("rules: %s", err);
        return -1;
    }
    log_info("rules: %u of %u loaded (%u skipped) in %.2f s; %u databases, %.1f MiB, compiled "
             "in %.2f s (%u from the cache)",
             rep.loaded, rep.total, rep.skipped, rep.parse_s, rep.databases,
             (double)rep.db_bytes / (1 << 20), rep.compile_s, rep.cache_hits);
    if (rep.skipped)
        log_warn("rules: %u of %u rules skipped (unsupported or malformed; see the messages "
                 "above or run 'mamori rules check')", rep.skipped, rep.total);
    summary_rules(en->sum, rep.loaded, rep.skipped);
    *out = e;
    return 0;
}

static void suppress_warn(void *user, unsigned line, const char *why)
{
    const struct engine *en = user;
    log_warn("threshold file %s: line %u: %s; the line is skipped", en->cfg->threshold_path, line,
             why);
}

/* The threshold file's lines (none configured: *out NULL). 0, or -1 when the file cannot be
 * read (reported); lines it cannot use are reported and skipped. */
static int load_suppress(struct engine *en, det_suppress_t **out)
{
    const char *path = en->cfg->threshold_path;
    *out = NULL;
    if (!path || !path[0])
        return 0;
    char err[1024];
    if (det_suppress_load(path, &en->cfg->det.parse, suppress_warn, en, out, err, sizeof err) !=
        0) {
        log_err("%s", err);
        return -1;
    }
    det_suppress_set_memcap(*out, en->cfg->det.threshold_memcap);
    struct det_suppress_counts c;
    det_suppress_counts(*out, &c);
    log_info("threshold file %s: %u suppress, %u threshold and %u rate_filter lines in use, "
             "%u lines skipped",
             path, c.entries, c.thresholds, c.rate_filters, c.skipped);
    return 0;
}

/* Enrichment and the built-in detectors. 0, or -1 when a setting or file is unusable
 * (reported). */
static int start_detectors(struct engine *en)
{
    const struct cli_config *cfg = en->cfg;
    char err[1024];
    if (!cfg->dtr.enabled && !en->det)
        return 0; /* no alert can be written: host facts would be learned for nothing */
    struct enrich_config ec = cfg->enrich;
    if (!cfg->enrich_enabled) {
        if (ec.n_geoip) {
            log_err("enrichment.enabled is no, but GeoIP databases are given (--geoip or "
                    "enrichment.geoip)");
            return -1;
        }
        /* HOME_NET membership is all that is left (the detectors need it): no registry is
         * read and nothing is learned from traffic. */
        ec.oui_path = "";
        ec.mac_memcap = 0;
        ec.dns_memcap = 0;
    }
    struct enrich_net nets[CLI_MAX_NETS];
    for (size_t i = 0; i < cfg->n_home_net; i++) {
        nets[i].ip_ver = cfg->home_net[i].ip_ver;
        nets[i].prefix = cfg->home_net[i].prefix;
        nets[i].negated = cfg->home_net[i].negated;
        memcpy(nets[i].addr, cfg->home_net[i].addr, sizeof nets[i].addr);
    }
    ec.home_net = nets;
    ec.n_home_net = cfg->n_home_net;
    en->enrich = enrich_new(&ec, err, sizeof err);
    if (!en->enrich) {
        log_err("enrichment: %s", err);
        return -1;
    }
    if (!cfg->dtr.enabled)
        return 0;
    if (cfg->web_rules && !cfg->cli_rules_exclusive && access(cli_web_rules_path(cfg), R_OK) != 0)
        log_warn("detectors: %s not found; the T3 web-attack rules are not loaded (set "
                 "data-dir or --data-dir)", cli_web_rules_path(cfg));
    struct dtr_config dc = cfg->dtr;
    dc.parse = &cfg->det.parse;
    en->dtr = dtr_new(&dc, en->enrich, on_alert, en, err, sizeof err);
    if (!en->dtr) {
        log_err("detectors: %s", err);
        enrich_free(en->enrich);
        en->enrich = NULL;
        return -1;
    }
    return 0;
}

/* Which inspection points the packet loop calls: a rule set of only app-layer rules (the
 * shipped web rules) needs neither the per-packet nor the per-chunk call. */
static void inspect_points(struct engine *en)
{
    en->detw_pkts = en->detw && det_worker_inspects_packets(en->detw) ? en->detw : NULL;
    en->detw_stream = en->detw && det_worker_inspects_stream(en->detw) ? en->detw : NULL;
}

/* SIGHUP in live mode: build the new rule set beside the old one, then swap; on failure the
 * old set stays. */
static void reload_rules(struct engine *en)
{
    det_engine_t *ne = NULL;
    if (load_rules(en, &ne) != 0 || !ne) {
        log_err("rules: reload failed; the previous rules stay in use");
        return;
    }
    det_engine_t *old = det_worker_swap(en->detw, ne);
    if (!old) {
        det_engine_free(ne);
        log_err("rules: reload failed (out of memory); the previous rules stay in use");
        return;
    }
    det_engine_free(old);
    en->det = ne;
    inspect_points(en);
    log_info("rules: reloaded");
}

/* Read one source to its end. Returns 0 at a clean end, or a negative mm_err on damage
 * (already reported) after everything before the damage went through the pipeline. */
static int run_source(struct engine *en, cap_source_t *src, struct progress *pr,
                      uint64_t *budget_left)
{
    const struct cli_config *cfg = en->cfg;
    const bool live = cap_is_live(src);
    struct packet p;
    struct cap_pkt cp;
    double next_stats_s = progress_now() + cfg->stats_interval_s;
    double end_s = cfg->duration_s ? progress_now() + cfg->duration_s : 0;
    double next_flush_s = progress_now() + 1.0;
    uint64_t n = 0;
    uint64_t next_expire_ns = 0;
    int rc = 0;

    memset(&p, 0, sizeof p);
    progress_start_input(pr);
    while (!g_stop) {
        if (g_reopen) {
            g_reopen = 0;
            if (out_eve_reopen(en->eve) != 0)
                log_err("cannot reopen the EVE output file");
            if (live && en->detw)
                reload_rules(en);
            if (live && en->cfg->threshold_path) {
                det_suppress_t *ns = NULL;
                if (load_suppress(en, &ns) != 0) {
                    log_err("threshold file: reload failed; the previous lines stay in use");
                } else {
                    if (en->detw)
                        det_worker_set_threshold_file(en->detw, ns);
                    det_suppress_keep_counts(ns, en->suppress);
                    det_suppress_free(en->suppress);
                    en->suppress = ns;
                }
            }
            if (live && en->dtr) {
                char rerr[512];
                if (dtr_reload(en->dtr, rerr, sizeof rerr) != 0)
                    log_err("detectors: reload failed (%s); the previous lists stay in use", rerr);
                else
                    log_info("detectors: intel lists reloaded");
            }
        }
        int r = cap_next(src, &cp);
        if (r == MM_EAGAIN) {
            /* Live and idle: let wall-clock time end idle flows. */
            uint64_t now = wall_ns();
            flow_expire(en->flows, now);
            dec_expire(en->dec, now);
            out_eve_flush(en->eve);
        } else if (r == MM_EOF) {
            break;
        } else if (r < 0) {
            if (g_stop)
                break; /* a stop signal interrupted a read: not damage */
            log_err("%s", cap_error(src));
            rc = r;
            break;
        } else {
            p.data = cp.data;
            p.caplen = cp.caplen;
            p.wirelen = cp.wirelen;
            p.ts_ns = cp.ts_ns;
            p.pkt_no = cp.pkt_no;
            p.linktype = cp.linktype;
            p.iface = cp.iface;
            dec_packet(en->dec, &p);
            enum flow_dir dir;
            struct flow *f = flow_handle_packet(en->flows, &p, &dir);
            if (en->detw)
                det_set_packet(en->detw, &p);
            if (f && (p.flags & PKT_F_L4)) {
                if (p.proto == IPPROTO_TCP_NUM && cfg->stream_enabled)
                    stream_packet(en, f, dir, &p);
                else if (p.proto == IPPROTO_UDP_NUM && cfg->app_enabled)
                    udp_packet(en, f, dir, &p);
            }
            if (en->detw_pkts)
                detect_packet(en, f, dir, &p);
            /* A host's MAC is learned from the first packet of each direction of a flow (the
             * rest of the flow repeats it), and from packets that have no flow. */
            if (en->enrich && (!f || f->pkts[dir] == 1))
                enrich_packet(en->enrich, &p);
            if (en->dtr)
                dtr_feed_packet(en->dtr, f, f ? (int)dir : 0, &p);
            if (en->detw)
                det_set_packet(en->detw, NULL); /* flow-end records have no packet */
            if (MM_UNLIKELY(p.n_events))
                out_eve_anomalies(en->eve, &p);
            if (p.ts_ns > en->last_ts_ns)
                en->last_ts_ns = p.ts_ns;
            if (MM_UNLIKELY(p.ts_ns >= next_expire_ns)) {
                dec_expire(en->dec, p.ts_ns);
                next_expire_ns = mm_sat_add(p.ts_ns, 1000000000ull);
            }
            n++;
            if (*budget_left && --*budget_left == 0) {
                g_stop = 1;
                break;
            }
            if ((n & 4095) == 0 && !live)
                progress_update(pr, cap_progress(src), n, cap_name(src));
        }
        if (live) {
            double now = progress_now();
            if (now >= next_flush_s) {
                /* Events reach the file within a second even under steady traffic. */
                out_eve_flush(en->eve);
                next_flush_s = now + 1.0;
            }
            if (cfg->stats_interval_s && now >= next_stats_s) {
                write_stats(en, src, wall_ns());
                out_eve_flush(en->eve);
                next_stats_s = now + cfg->stats_interval_s;
            }
            if (end_s > 0 && now >= end_s)
                break;
        }
    }
    return rc;
}

static bool apply_filter(const struct cli_config *cfg, cap_source_t *src)
{
    char err[512];
    if (cfg->bpf && cap_set_filter(src, cfg->bpf, err, sizeof err) != 0) {
        log_err("%s", err);
        return false;
    }
    return true;
}

/* Run one opened source through the pipeline and add its capture counters to the totals.
 * `name` becomes in_iface of the events written meanwhile (borrowed: must outlive them). */
static int read_source(struct engine *en, cap_source_t *src, const char *name,
                       struct progress *pr, uint64_t *budget)
{
    out_eve_set_iface(en->eve, name);
    g_src = src;
    int rc = run_source(en, src, pr, budget);
    g_src = NULL;
    struct cap_stats cs;
    cap_get_stats(src, &cs);
    add_cap_stats(&en->cap_total, &cs);
    return rc;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return ru.ru_maxrss;
}

static int make_eve_path(const struct cli_config *cfg, char *path, size_t len)
{
    if (cfg->eve_path) {
        snprintf(path, len, "%s", cfg->eve_path);
        return 0;
    }
    const char *dir = cfg->log_dir ? cfg->log_dir : ".";
    if (!dir[0]) {
        log_err("the log directory name is empty");
        return MM_EINVAL;
    }
    /* Like mkdir -p: create missing parents too. */
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s", dir) >= sizeof tmp) {
        log_err("log directory path too long");
        return MM_EINVAL;
    }
    for (char *s = tmp + 1;; s++) {
        if (*s == '/' || *s == 0) {
            char c = *s;
            *s = 0;
            if (mkdir(tmp, 0750) != 0 && errno != EEXIST) {
                log_err("cannot create log directory %s: %s", tmp, strerror(errno));
                return MM_EIO;
            }
            *s = c;
            if (!c)
                break;
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        log_err("log directory %s is not a directory", dir);
        return MM_EIO;
    }
    if ((size_t)snprintf(path, len, "%s/eve.json", dir) >= len) {
        log_err("log directory path too long");
        return MM_EINVAL;
    }
    return 0;
}

int cli_run(const struct cli_config *cfg)
{
    cap_set_interrupt_flag(&g_stop);
    struct engine en;
    memset(&en, 0, sizeof en);
    en.cfg = cfg;
    en.start_s = progress_now();
    int status = CLI_EXIT_OK;
    char err[512];
    char eve_path[PATH_MAX];
    char **paths = NULL;
    size_t n_paths = 0;
    unsigned files_done = 0, files_opened = 0;
    struct progress pr;

    if (!cfg->iface) {
        if (cap_expand_inputs(cfg->inputs, cfg->n_inputs, &paths, &n_paths, err, sizeof err) != 0) {
            log_err("%s", err);
            return CLI_EXIT_ERROR;
        }
        if (n_paths == 0) {
            log_err("no capture files to read");
            cap_free_paths(paths, n_paths);
            return CLI_EXIT_ERROR;
        }
    }
    if (make_eve_path(cfg, eve_path, sizeof eve_path) != 0) {
        cap_free_paths(paths, n_paths);
        return CLI_EXIT_ERROR;
    }
    /* Rules first: a rule set that cannot be used stops the run before any output. */
    en.sum = summary_new();
    g_en = &en;
    if (!en.sum || load_rules(&en, &en.det) != 0) {
        summary_free(en.sum);
        cap_free_paths(paths, n_paths);
        return CLI_EXIT_ERROR;
    }
    if (load_suppress(&en, &en.suppress) != 0) {
        summary_free(en.sum);
        det_engine_free(en.det);
        cap_free_paths(paths, n_paths);
        return CLI_EXIT_ERROR;
    }
    if (start_detectors(&en) != 0) {
        summary_free(en.sum);
        det_engine_free(en.det);
        det_suppress_free(en.suppress);
        cap_free_paths(paths, n_paths);
        return CLI_EXIT_USAGE;
    }
    /* The run's time (and so the packet rates of the summary) starts after the rules are
     * loaded: their load time is logged on its own. */
    en.start_s = progress_now();
    out_sink_t *sink = out_sink_open(eve_path, err, sizeof err);
    if (!sink) {
        log_err("%s", err);
        summary_free(en.sum);
        det_engine_free(en.det);
        det_suppress_free(en.suppress);
        dtr_free(en.dtr);
        enrich_free(en.enrich);
        cap_free_paths(paths, n_paths);
        return CLI_EXIT_ERROR;
    }
    en.eve = out_eve_new(sink, &cfg->eve);
    en.dec = dec_ctx_new(&cfg->dec);
    en.stream = stream_ctx_new(&cfg->stream);
    en.app = app_ctx_new(&cfg->app, on_app_record, &en);
    /* Files: a fixed hash seed, so flow_ids repeat from run to run. Live traffic can be
     * shaped by an attacker: a secret seed keeps hash chains short under a spoofed flood. */
    struct flow_config fcfg = cfg->flow;
    if (cfg->iface && !cfg->hash_seed_fixed &&
        getrandom(&fcfg.hash_seed, sizeof fcfg.hash_seed, 0) != sizeof fcfg.hash_seed)
        log_warn("no random hash seed available; using the fixed one");
    en.flows = flow_table_new(&fcfg, on_flow_end, &en);
    out_eve_set_enrich(en.eve, en.enrich);
    if (en.dtr && en.app) {
        app_ctx_set_password_checker(en.app, dtr_password, en.dtr);
        app_ctx_set_message_hook(en.app, dtr_message, en.dtr);
    }
    if (en.det)
        en.detw = det_worker_new(en.det, &cfg->det, on_alert, &en);
    if (en.detw)
        det_worker_set_threshold_file(en.detw, en.suppress);
    inspect_points(&en);
    if (!en.eve || !en.dec || !en.flows || !en.sum || !en.stream || !en.app ||
        (en.det && !en.detw)) {
        log_err("out of memory at startup (flow memcap %zu bytes)", cfg->flow.memcap_bytes);
        if (!en.eve)
            out_sink_close(sink);
        status = CLI_EXIT_ERROR;
        goto done;
    }
    progress_init(&pr, cfg->progress && cfg->verbosity >= 0);
    uint64_t budget = cfg->max_packets;

    if (cfg->iface) {
        struct cap_live_opts lo = {
            .snaplen = cfg->snaplen,
            /* libpcap takes an int: 2 GiB and more is clamped rather than wrapped */
            .buffer_size_bytes = (int)MM_MIN((int64_t)cfg->buffer_size_mib << 20, (int64_t)INT_MAX),
            .promisc = true,
            .timeout_ms = 100,
        };
        cap_source_t *src = cap_open_live(cfg->iface, &lo, err, sizeof err);
        if (!src) {
            log_err("%s", err);
            status = CLI_EXIT_ERROR;
            goto done;
        }
        if (!apply_filter(cfg, src)) {
            cap_close(src);
            status = CLI_EXIT_USAGE;
            goto done;
        }
        log_info("capturing on %s", cap_name(src));
        if (read_source(&en, src, cap_name(src), &pr, &budget) < 0)
            status = CLI_EXIT_ERROR;
        en.last_ts_ns = wall_ns();
        files_done = 1;
        /* Flows end before the source closes: in_iface must stay valid for their events. */
        flow_end_all(en.flows, FLOW_END_SHUTDOWN);
        if (en.dtr)
            dtr_finish(en.dtr, en.last_ts_ns);
        cap_close(src);
    } else {
        for (size_t i = 0; i < n_paths && !g_stop; i++) {
            cap_source_t *src = cap_open_file(paths[i], err, sizeof err);
            if (!src) {
                log_err("%s", err);
                status = CLI_EXIT_PARTIAL;
                continue;
            }
            files_opened++;
            if (!apply_filter(cfg, src)) {
                cap_close(src);
                status = CLI_EXIT_USAGE;
                break;
            }
            /* in_iface names the file; flows spanning files keep the name of the last. */
            if (read_source(&en, src, paths[i], &pr, &budget) < 0)
                status = CLI_EXIT_PARTIAL;
            cap_close(src);
            files_done++;
        }
        progress_done(&pr);
        flow_end_all(en.flows, FLOW_END_SHUTDOWN);
        if (en.dtr)
            dtr_finish(en.dtr, en.last_ts_ns);
    }
    write_stats(&en, NULL, en.last_ts_ns);

    if (status == CLI_EXIT_PARTIAL && files_opened == 0)
        status = CLI_EXIT_ERROR; /* not one input could be opened */

done:;
    double secs = progress_now() - en.start_s;
    struct summary_totals t = {0};
    if (en.dec && en.flows && en.eve) {
        const struct dec_stats *ds = dec_get_stats(en.dec);
        struct flow_stats fs;
        flow_get_stats(en.flows, &fs);
        struct out_eve_counters ec;
        out_eve_get_counters(en.eve, &ec);
        out_eve_flush(en.eve);
        struct out_sink_stats ss;
        out_eve_sink_stats(en.eve, &ss);
        if (ss.write_errors) {
            log_err("%llu write errors on %s; %llu event lines lost",
                    (unsigned long long)ss.write_errors, eve_path,
                    (unsigned long long)ss.dropped_lines);
            if (status == CLI_EXIT_OK)
                status = CLI_EXIT_ERROR;
        }
        uint64_t anomalies = 0;
        for (int ev = 1; ev < DEC_EV_COUNT; ev++)
            anomalies += ds->events[ev];
        t.pkts = ds->pkts;
        t.bytes = ds->bytes;
        t.flows = fs.created;
        t.anomalies = anomalies;
        t.seconds = secs;
        t.peak_rss_kib = peak_rss_kib();
        t.files = files_done;
        t.dec = ds;
        struct app_stats as;
        if (en.app) {
            app_get_stats(en.app, &as);
            t.app = &as;
        }
        t.eve_path = eve_path;
        t.eve_lines = ss.lines;
        struct dtr_det_stats dets[DTR_MAX_DETECTORS];
        if (en.dtr) {
            t.n_dets = dtr_get_stats(en.dtr, dets, DTR_MAX_DETECTORS);
            t.dets = dets;
        }
        if (cfg->verbosity >= 0)
            summary_print(en.sum, &t, cfg->verbosity >= 1 || cfg->summary, stderr);
    }
    flow_table_free(en.flows); /* no flows remain: nothing more is written */
    det_worker_free(en.detw);
    det_engine_free(en.det);
    det_suppress_free(en.suppress);
    dtr_free(en.dtr);
    enrich_free(en.enrich);
    stream_ctx_free(en.stream); /* after the flows, which held its per-flow state */
    app_ctx_free(en.app);
    dec_ctx_free(en.dec);
    out_eve_free(en.eve);
    summary_free(en.sum);
    cap_free_paths(paths, n_paths);
    return status;
}
