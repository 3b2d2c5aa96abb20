/*
 * EVE event writers; see eve.h. Field order follows Suricata's so that a diff of the two
 * tools' output on the same capture reads easily.
 */
#include "eve.h"
#include "eve_int.h"
#include "eve_app.h"

#include "community_id.h"
#include "core/json.h"

#include "core/mm.h"
#include "core/timefmt.h"
#include "detect/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void out_eve_config_defaults(struct out_eve_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->anomaly_rate_per_s = 200;
    cfg->community_id = true;
}

out_eve_t *out_eve_new(out_sink_t *sink, const struct out_eve_config *cfg)
{
    out_eve_t *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    /* The alert scratch buffer allocates on first use: most runs have few alerts. */
    if (jb_init(&e->jb, 4096, EVE_MAX_EVENT_BYTES) != 0 ||
        jb_init(&e->scratch, 0, EVE_MAX_EVENT_BYTES) != 0) {
        jb_fini(&e->jb);
        jb_fini(&e->scratch);
        free(e);
        return NULL;
    }
    e->sink = sink;
    e->cfg = *cfg;
    eve_http_set_dump_headers(cfg->http_dump_headers);
    e->iface = "";
    return e;
}

void out_eve_free(out_eve_t *e)
{
    if (!e)
        return;
    out_sink_close(e->sink);
    jb_fini(&e->jb);
    jb_fini(&e->scratch);
    free(e);
}

void out_eve_set_iface(out_eve_t *e, const char *iface)
{
    e->iface = iface ? iface : "";
}

void out_eve_set_enrich(out_eve_t *e, enrich_t *en)
{
    e->enrich = en;
}

int out_eve_flush(out_eve_t *e)
{
    return out_sink_flush(e->sink);
}

int out_eve_reopen(out_eve_t *e)
{
    return out_sink_reopen(e->sink);
}

void out_eve_sink_stats(const out_eve_t *e, struct out_sink_stats *out)
{
    out_sink_stats(e->sink, out);
}

void out_eve_get_counters(const out_eve_t *e, struct out_eve_counters *out)
{
    *out = e->ctr;
}

/* Finish the event in e->jb: write it, or drop and count it when it could not be built. */
bool eve_emit(out_eve_t *e)
{
    if (jb_error(&e->jb) || !jb_complete(&e->jb)) {
        e->ctr.oversize_dropped++;
        return false;
    }
    out_sink_write(e->sink, jb_ptr(&e->jb), jb_len(&e->jb));
    return true;
}

void eve_put_ts(struct jb *jb, const char *key, uint64_t ts_ns)
{
    char ts[MM_TS_BUFLEN];
    mm_format_ts(ts, sizeof ts, ts_ns);
    jb_string(jb, key, ts);
}

static void put_proto(struct jb *jb, uint8_t proto)
{
    const char *name = dec_proto_name(proto);
    if (name) {
        jb_string(jb, "proto", name);
    } else {
        char num[8];
        snprintf(num, sizeof num, "%u", proto);
        jb_string(jb, "proto", num);
    }
}

static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}



static void put_tcp_flags(struct jb *jb, const char *key, uint8_t flags)
{
    static const char digits[] = "0123456789abcdef";
    char hex[3] = {digits[flags >> 4], digits[flags & 15], 0};
    jb_string(jb, key, hex);
}

/* Dotted quad without snprintf/inet_ntop: this runs for every event. */
static char *ipv4_str(const uint8_t *a, char *out)
{
    char *o = out;
    for (int i = 0; i < 4; i++) {
        unsigned v = a[i];
        if (v >= 100)
            *o++ = (char)('0' + v / 100);
        if (v >= 10)
            *o++ = (char)('0' + v / 10 % 10);
        *o++ = (char)('0' + v % 10);
        *o++ = i < 3 ? '.' : 0;
    }
    return out;
}

static const char *addr_str(const uint8_t *b, int ip_ver, char *out, size_t outlen)
{
    if (ip_ver == 4)
        return ipv4_str(b, out);
    struct mm_addr addr;
    memcpy(addr.b, b, 16);
    return dec_addr_str(&addr, ip_ver, out, outlen);
}

/* The common event head: timestamp, flow_id, in_iface, event_type, endpoints, proto. */
void eve_head(out_eve_t *e, uint64_t ts_ns, uint64_t flow_id, const char *type, int ip_ver,
                     const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
                     uint8_t proto, bool ports_known)
{
    struct jb *jb = &e->jb;
    jb_reset(jb);
    jb_open_object(jb, NULL);
    eve_put_ts(jb, "timestamp", ts_ns);
    if (flow_id)
        jb_uint(jb, "flow_id", flow_id);
    jb_string(jb, "in_iface", e->iface);
    jb_string(jb, "event_type", type);
    if (!ip_ver)
        return;
    char a[64];
    jb_string(jb, "src_ip", addr_str(src, ip_ver, a, sizeof a));
    if (ports_known && has_ports(proto))
        jb_uint(jb, "src_port", sport);
    jb_string(jb, "dest_ip", addr_str(dst, ip_ver, a, sizeof a));
    if (ports_known && has_ports(proto))
        jb_uint(jb, "dest_port", dport);
    put_proto(jb, proto);
}

void out_eve_flow(out_eve_t *e, const struct flow *f, enum flow_end_reason reason)
{
    out_eve_flow_app(e, f, reason, NULL, NULL);
}

void out_eve_flow_app(out_eve_t *e, const struct flow *f, enum flow_end_reason reason,
                      const char *app_proto, const char *app_proto_orig)
{
    struct jb *jb = &e->jb;
    const uint8_t *cli = flow_client_addr(f), *srv = flow_server_addr(f);
    uint16_t cport = flow_client_port(f), sport = flow_server_port(f);
    bool icmp = f->key.proto == 1 || f->key.proto == 58;

    eve_head(e, f->last_ns, f->flow_id, "flow", f->key.ip_ver, cli, cport, srv, sport, f->key.proto,
             true);
    if (app_proto) {
        jb_string(jb, "app_proto", app_proto);
        if (app_proto_orig && strcmp(app_proto_orig, app_proto) != 0)
            jb_string(jb, "app_proto_orig", app_proto_orig);
    }
    if (icmp) {
        if (f->icmp_seen[FLOW_TOSERVER]) {
            jb_uint(jb, "icmp_type", f->icmp_type[FLOW_TOSERVER]);
            jb_uint(jb, "icmp_code", f->icmp_code[FLOW_TOSERVER]);
        }
        if (f->icmp_seen[FLOW_TOCLIENT]) {
            jb_uint(jb, "response_icmp_type", f->icmp_type[FLOW_TOCLIENT]);
            jb_uint(jb, "response_icmp_code", f->icmp_code[FLOW_TOCLIENT]);
        }
    }
    if (f->vlan_count) {
        jb_open_array(jb, "vlan");
        for (unsigned i = 0; i < f->vlan_count && i < PKT_MAX_VLANS; i++)
            jb_uint(jb, NULL, f->key.vlan[i]);
        jb_close_array(jb);
    }

    jb_open_object(jb, "flow");
    jb_uint(jb, "pkts_toserver", f->pkts[FLOW_TOSERVER]);
    jb_uint(jb, "pkts_toclient", f->pkts[FLOW_TOCLIENT]);
    jb_uint(jb, "bytes_toserver", f->bytes[FLOW_TOSERVER]);
    jb_uint(jb, "bytes_toclient", f->bytes[FLOW_TOCLIENT]);
    eve_put_ts(jb, "start", f->first_ns);
    eve_put_ts(jb, "end", f->last_ns);
    jb_uint(jb, "age", (f->last_ns - f->first_ns) / 1000000000ull);
    jb_string(jb, "state", flow_state_name((enum flow_state)f->state));
    jb_string(jb, "reason", flow_end_reason_name(reason));
    jb_bool(jb, "alerted", f->alerted);
    jb_close_object(jb);

    if (f->key.proto == 6) {
        uint8_t all = (uint8_t)(f->tcp_flags[0] | f->tcp_flags[1]);
        jb_open_object(jb, "tcp");
        put_tcp_flags(jb, "tcp_flags", all);
        put_tcp_flags(jb, "tcp_flags_ts", f->tcp_flags[FLOW_TOSERVER]);
        put_tcp_flags(jb, "tcp_flags_tc", f->tcp_flags[FLOW_TOCLIENT]);
        static const struct {
            uint8_t bit;
            const char *name;
        } bits[] = {{TCP_SYN, "syn"}, {TCP_FIN, "fin"}, {TCP_RST, "rst"}, {TCP_PSH, "psh"},
                    {TCP_ACK, "ack"}, {TCP_URG, "urg"}, {TCP_ECE, "ecn"}, {TCP_CWR, "cwr"}};
        for (size_t i = 0; i < MM_ARRAY_LEN(bits); i++)
            if (all & bits[i].bit)
                jb_bool(jb, bits[i].name, true);
        jb_string(jb, "state", flow_tcp_state_name((enum flow_tcp_state)f->tcp_state));
        jb_close_object(jb);
    }

    if (e->cfg.community_id) {
        char cid[OUT_COMMUNITY_ID_BUFLEN];
        uint16_t a = cport, b = sport;
        if (icmp) {
            /* Community ID maps ICMP type/code into the port fields. */
            a = f->icmp_seen[FLOW_TOSERVER] ? f->icmp_type[FLOW_TOSERVER] : f->icmp_type[FLOW_TOCLIENT];
            b = f->icmp_seen[FLOW_TOSERVER] ? f->icmp_code[FLOW_TOSERVER] : f->icmp_code[FLOW_TOCLIENT];
        }
        /* A one-way ICMP message seen only towards the client was sent by the server. */
        bool from_srv = icmp && !f->icmp_seen[FLOW_TOSERVER];
        if (out_community_id(cid, sizeof cid, f->key.ip_ver, from_srv ? srv : cli,
                             from_srv ? cli : srv, f->key.proto, a, b,
                             e->cfg.community_id_seed) == 0)
            jb_string(jb, "community_id", cid);
    }
    jb_close_object(jb);
    if (eve_emit(e))
        e->ctr.flow++;
}

bool eve_anomaly_allowed(out_eve_t *e, uint64_t ts_ns)
{
    uint64_t sec = ts_ns / 1000000000ull;
    if (sec != e->anomaly_sec) {
        e->anomaly_sec = sec;
        e->anomaly_in_sec = 0;
    }
    if (e->cfg.anomaly_rate_per_s && e->anomaly_in_sec >= e->cfg.anomaly_rate_per_s) {
        e->ctr.anomalies_suppressed++;
        return false;
    }
    e->anomaly_in_sec++;
    return true;
}

void out_eve_anomalies(out_eve_t *e, const struct packet *p)
{
    struct jb *jb = &e->jb;
    for (uint8_t i = 0; i < p->n_events; i++) {
        if (!eve_anomaly_allowed(e, p->ts_ns))
            continue;
        const struct flow *f = p->flow;
        eve_head(e, p->ts_ns, f ? f->flow_id : 0, "anomaly", p->ip_ver, p->src.b, p->sport,
                 p->dst.b, p->dport, p->proto, (p->flags & PKT_F_L4) != 0);
        if (p->ip_ver && (p->proto == 1 || p->proto == 58) && (p->flags & PKT_F_L4)) {
            jb_uint(jb, "icmp_type", p->icmp_type);
            jb_uint(jb, "icmp_code", p->icmp_code);
        }
        if (p->pkt_no)
            jb_uint(jb, "pcap_cnt", p->pkt_no);
        jb_open_object(jb, "anomaly");
        jb_string(jb, "type", "decode");
        jb_string(jb, "event", dec_event_name((enum dec_event)p->events[i]));
        jb_close_object(jb);
        jb_string(jb, "pkt_src", "wire/pcap");
        jb_close_object(jb);
        if (eve_emit(e))
            e->ctr.anomaly++;
    }
}

/* "decoder.ipv4.trunc_pkt" -> layer "ipv4", name "trunc_pkt". False for other shapes. */
static bool split_event(const char *full, char *layer, size_t llen, const char **name)
{
    const char *prefix = "decoder.";
    if (strncmp(full, prefix, strlen(prefix)) != 0)
        return false;
    const char *l = full + strlen(prefix);
    const char *dot = strchr(l, '.');
    if (!dot || (size_t)(dot - l) >= llen)
        return false;
    memcpy(layer, l, (size_t)(dot - l));
    layer[dot - l] = 0;
    *name = dot + 1;
    return true;
}

static void put_decoder_events(struct jb *jb, const struct dec_stats *d, bool suricata)
{
    char open_layer[32] = "";
    bool any = false;
    /* events.def keeps each layer's events together, so layers open and close once. */
    for (int ev = 1; ev < DEC_EV_COUNT; ev++) {
        if (!d->events[ev] || dec_event_in_suricata((enum dec_event)ev) != suricata)
            continue;
        const char *full = dec_event_name((enum dec_event)ev);
        char layer[32];
        const char *name;
        if (!split_event(full, layer, sizeof layer, &name)) {
            /* two-part names ("decoder.too_many_layers", "defrag.x") are flat keys */
            if (open_layer[0]) {
                jb_close_object(jb);
                open_layer[0] = 0;
            }
            if (!any) {
                jb_open_object(jb, "event");
                any = true;
            }
            jb_uint(jb, full, d->events[ev]);
            continue;
        }
        if (!any) {
            jb_open_object(jb, "event");
            any = true;
        }
        if (strcmp(layer, open_layer) != 0) {
            if (open_layer[0])
                jb_close_object(jb);
            jb_open_object(jb, layer);
            snprintf(open_layer, sizeof open_layer, "%s", layer);
        }
        jb_uint(jb, name, d->events[ev]);
    }
    if (open_layer[0])
        jb_close_object(jb);
    if (any)
        jb_close_object(jb);
}

/* Suricata's stats.app_layer: flows per protocol and parser errors (names as Suricata's:
 * dns_udp/dns_tcp, failed_tcp/failed_udp). */
static void put_app_layer_stats(struct jb *jb, const struct app_stats *as)
{
    jb_open_object(jb, "app_layer");
    jb_open_object(jb, "flow");
    for (int p = APP_PROTO_HTTP; p < APP_PROTO_FAILED; p++) {
        if (p == APP_PROTO_DNS) {
            jb_uint(jb, "dns_udp", as->flows[p] - as->flows_dns_tcp);
            jb_uint(jb, "dns_tcp", as->flows_dns_tcp);
        } else {
            jb_uint(jb, app_proto_name((enum app_proto)p), as->flows[p]);
        }
    }
    jb_uint(jb, "failed_tcp", as->flows[APP_PROTO_FAILED] - as->flows_failed_udp);
    jb_uint(jb, "failed_udp", as->flows_failed_udp);
    jb_close_object(jb);
    jb_open_object(jb, "tx");
    static const struct {
        int kind;
        const char *name;
    } tx[] = {{APP_REC_HTTP, "http"}, {APP_REC_TLS, "tls"}, {APP_REC_SMTP, "smtp"},
              {APP_REC_POP3, "pop3"}, {APP_REC_IMAP, "imap"}, {APP_REC_FTP, "ftp"},
              {APP_REC_SSH, "ssh"}};
    for (size_t i = 0; i < MM_ARRAY_LEN(tx); i++)
        jb_uint(jb, tx[i].name, as->records[tx[i].kind]);
    jb_close_object(jb);
    jb_open_object(jb, "error");
    for (int p = APP_PROTO_HTTP; p < APP_PROTO_FAILED; p++) {
        if (p == APP_PROTO_DNS)
            continue; /* one counter for both transports: under mamori.app */
        jb_open_object(jb, app_proto_name((enum app_proto)p));
        jb_uint(jb, "parser", as->parse_errors[p]);
        jb_uint(jb, "gap", as->gaps[p]);
        jb_close_object(jb);
    }
    jb_close_object(jb);
    jb_close_object(jb);
}

/* mamori.detect: the engine's counters Suricata has no name for. */
static void put_detect_stats(struct jb *jb, const struct det_stats *ds)
{
    jb_open_object(jb, "detect");
    jb_uint(jb, "pass", ds->pass);
    jb_uint(jb, "inspected_pkts", ds->inspected_pkts);
    jb_uint(jb, "inspected_chunks", ds->inspected_chunks);
    jb_uint(jb, "inspected_records", ds->inspected_records);
    jb_uint(jb, "candidates", ds->candidates);
    jb_uint(jb, "matches", ds->matches);
    jb_uint(jb, "pcre_errors", ds->pcre_errors);
    jb_uint(jb, "flowvar_memcap_hits", ds->flowvar_memcap_hits);
    jb_uint(jb, "flowvar_memuse", ds->flowvar_memuse);
    jb_uint(jb, "threshold_entries", ds->threshold_entries);
    jb_uint(jb, "threshold_evicted", ds->threshold_evicted);
    jb_uint(jb, "xbits_entries", ds->xbits_entries);
    jb_uint(jb, "xbits_evicted", ds->xbits_evicted);
    jb_close_object(jb);
}

/* One service-latency figure (stats.mamori.latency[]), for the report's charts. */
static void put_metric(void *u, const struct dtr_metric *m)
{
    struct jb *jb = u;
    jb_open_object(jb, NULL);
    jb_string(jb, "server", m->server);
    jb_uint(jb, "port", m->port);
    jb_string(jb, "service", m->service);
    jb_string(jb, "kind", m->kind);
    jb_double(jb, "last_ms", m->last_ms, 3);
    jb_double(jb, "baseline_ms", m->baseline_ms, 3);
    jb_double(jb, "p95_ms", m->p95_ms, 3);
    jb_uint(jb, "samples", m->samples);
    jb_close_object(jb);
}

/* mamori.detectors: per built-in detector, its alerts and the state its memcap bounds. */
static void put_detector_stats(struct jb *jb, const dtr_host_t *h)
{
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(h, st, DTR_MAX_DETECTORS);
    jb_open_object(jb, "detectors");
    for (size_t i = 0; i < n; i++) {
        jb_open_object(jb, st[i].name);
        jb_string(jb, "threat", st[i].threat);
        jb_bool(jb, "enabled", st[i].enabled);
        jb_uint(jb, "alerts", st[i].alerts);
        jb_uint(jb, "updates", st[i].updates);
        jb_uint(jb, "held_back", st[i].held_back);
        jb_uint(jb, "entries", st[i].entries);
        jb_uint(jb, "evicted", st[i].evicted);
        jb_uint(jb, "memcap_hits", st[i].memcap_hits);
        jb_uint(jb, "memuse", st[i].memuse);
        jb_uint(jb, "memcap", st[i].memcap);
        jb_close_object(jb);
    }
    jb_close_object(jb);
    jb_open_array(jb, "latency");
    dtr_get_metrics(h, put_metric, jb);
    jb_close_array(jb);
}

static void put_enrich_stats(struct jb *jb, const enrich_t *en)
{
    struct enrich_stats s;
    enrich_get_stats(en, &s);
    jb_open_object(jb, "enrichment");
    jb_uint(jb, "oui_entries", s.oui_entries);
    jb_uint(jb, "geoip_databases", s.geoip_databases);
    jb_uint(jb, "geoip_lookups", s.geoip_lookups);
    jb_uint(jb, "geoip_errors", s.geoip_errors);
    jb_uint(jb, "mac_entries", s.mac_entries);
    jb_uint(jb, "mac_evicted", s.mac_evicted);
    jb_uint(jb, "mac_shared", s.mac_shared);
    jb_uint(jb, "mac_shared_skipped", s.mac_shared_skipped);
    jb_uint(jb, "dns_entries", s.dns_entries);
    jb_uint(jb, "dns_evicted", s.dns_evicted);
    jb_uint(jb, "memuse", s.memuse);
    jb_uint(jb, "memcap", s.memcap);
    jb_close_object(jb);
}

void out_eve_stats(out_eve_t *e, const struct out_stats_input *in)
{
    struct jb *jb = &e->jb;
    const struct dec_stats *d = in->dec;
    const struct flow_stats *fs = in->flow;
    jb_reset(jb);
    jb_open_object(jb, NULL);
    eve_put_ts(jb, "timestamp", in->ts_ns);
    jb_string(jb, "event_type", "stats");
    jb_open_object(jb, "stats");
    jb_uint(jb, "uptime", in->uptime_s);
    if (in->cap) {
        jb_open_object(jb, "capture");
        jb_uint(jb, "kernel_packets", in->cap->kernel_received);
        jb_uint(jb, "kernel_drops", in->cap->kernel_dropped);
        jb_uint(jb, "kernel_ifdrops", in->cap->iface_dropped);
        jb_close_object(jb);
    }
    if (d) {
        jb_open_object(jb, "decoder");
        jb_uint(jb, "pkts", d->pkts);
        jb_uint(jb, "bytes", d->bytes);
        jb_uint(jb, "invalid", d->invalid);
        jb_uint(jb, "ipv4", d->ipv4);
        jb_uint(jb, "ipv6", d->ipv6);
        jb_uint(jb, "ethernet", d->ethernet);
        jb_uint(jb, "arp", d->arp);
        jb_uint(jb, "sll", d->sll);
        jb_uint(jb, "sll2", d->sll2);
        jb_uint(jb, "null", d->null);
        jb_uint(jb, "raw", d->raw);
        jb_uint(jb, "tcp", d->tcp);
        jb_uint(jb, "udp", d->udp);
        jb_uint(jb, "icmpv4", d->icmpv4);
        jb_uint(jb, "icmpv6", d->icmpv6);
        jb_uint(jb, "gre", d->gre);
        jb_uint(jb, "vlan", d->vlan);
        jb_uint(jb, "vlan_qinq", d->vlan_qinq);
        jb_uint(jb, "vxlan", d->vxlan);
        jb_uint(jb, "pppoe", d->pppoe);
        jb_uint(jb, "mpls", d->mpls);
        jb_uint(jb, "too_many_layers", d->events[DEC_EV_TOO_MANY_LAYERS]);
        jb_uint(jb, "unknown_ethertype", d->events[DEC_EV_ETH_UNKNOWN_ETHERTYPE]);
        jb_uint(jb, "avg_pkt_size", d->pkts ? d->bytes / d->pkts : 0);
        put_decoder_events(jb, d, true);
        jb_close_object(jb);
        jb_open_object(jb, "defrag");
        jb_open_object(jb, "ipv4");
        jb_uint(jb, "fragments", d->ipv4_frag);
        jb_close_object(jb);
        jb_open_object(jb, "ipv6");
        jb_uint(jb, "fragments", d->ipv6_frag);
        jb_close_object(jb);
        jb_uint(jb, "max_frags_reached", d->events[DEC_EV_DEFRAG_MAX_FRAGS]);
        jb_uint(jb, "memuse", in->defrag_memuse);
        jb_close_object(jb);
    }
    if (fs) {
        jb_open_object(jb, "flow");
        jb_uint(jb, "total", fs->created);
        jb_uint(jb, "active", fs->active);
        jb_uint(jb, "tcp", fs->tcp);
        jb_uint(jb, "udp", fs->udp);
        jb_uint(jb, "icmpv4", fs->icmpv4);
        jb_uint(jb, "icmpv6", fs->icmpv6);
        jb_uint(jb, "tcp_reuse", fs->tcp_reuse);
        jb_uint(jb, "memcap", fs->memcap_drops + fs->emergency_evictions);
        jb_uint(jb, "emerg_mode_entered", fs->emergency_evictions ? 1 : 0);
        jb_uint(jb, "memuse", fs->memuse);
        jb_close_object(jb);
    }
    if (in->stream) {
        const struct stream_stats *ss = in->stream;
        jb_open_object(jb, "tcp");
        jb_uint(jb, "reassembly_gap", ss->gaps);
        jb_uint(jb, "overlap", ss->overlaps);
        jb_uint(jb, "overlap_diff_data", ss->overlap_conflicts);
        jb_uint(jb, "segment_memcap_drop", ss->memcap_drops);
        jb_uint(jb, "ssn_memcap_drop", ss->flows_refused);
        jb_uint(jb, "stream_depth_reached", ss->depth_reached);
        jb_uint(jb, "reassembly_memuse", ss->memuse);
        jb_close_object(jb);
    }
    if (in->det) {
        /* Suricata's names. mamori never discards alerts, so its queue never overflows. */
        jb_open_object(jb, "detect");
        jb_uint(jb, "alert", in->det->alerts);
        jb_uint(jb, "alert_queue_overflow", 0);
        jb_uint(jb, "alerts_suppressed", in->det->alerts_suppressed);
        jb_close_object(jb);
    }
    if (in->app)
        put_app_layer_stats(jb, in->app);
    jb_close_object(jb); /* stats */

    /* Counters Suricata's schema has no place for. */
    jb_open_object(jb, "mamori");
    if (in->cap) {
        jb_open_object(jb, "capture");
        jb_uint(jb, "pkts_read", in->cap->pkts_read);
        jb_uint(jb, "pkts_filtered", in->cap->pkts_filtered);
        jb_uint(jb, "snap_truncated", in->cap->snap_truncated);
        jb_close_object(jb);
    }
    if (d) {
        jb_open_object(jb, "decoder");
        jb_uint(jb, "ipip", d->ipip);
        jb_uint(jb, "other_l3", d->other_l3);
        jb_uint(jb, "events_overflow", d->events_overflow);
        jb_open_object(jb, "checksum_bad");
        jb_uint(jb, "ipv4", d->ipv4_csum_bad);
        jb_uint(jb, "tcp", d->tcp_csum_bad);
        jb_uint(jb, "udp", d->udp_csum_bad);
        jb_uint(jb, "icmp", d->icmp_csum_bad);
        jb_close_object(jb);
        put_decoder_events(jb, d, false);
        jb_close_object(jb);
        jb_open_object(jb, "defrag");
        jb_uint(jb, "reassembled", d->frag_reassembled);
        jb_uint(jb, "timeouts", d->frag_timeouts);
        jb_uint(jb, "dropped", d->frag_dropped);
        jb_uint(jb, "memcap", in->defrag_memcap);
        jb_uint(jb, "memcap_hits", in->defrag_memcap_hits);
        jb_close_object(jb);
    }
    if (fs) {
        jb_open_object(jb, "flow");
        jb_uint(jb, "active_peak", fs->active_peak);
        jb_uint(jb, "memuse_peak", fs->memuse_peak);
        jb_uint(jb, "memcap", fs->memcap);
        jb_uint(jb, "bytes_per_flow", fs->bytes_per_flow);
        jb_uint(jb, "emergency_evictions", fs->emergency_evictions);
        jb_uint(jb, "memcap_drops", fs->memcap_drops);
        jb_uint(jb, "no_flow_pkts", fs->no_flow);
        jb_open_object(jb, "ended");
        jb_uint(jb, "timeout", fs->ended_timeout);
        jb_uint(jb, "forced", fs->ended_forced);
        jb_uint(jb, "shutdown", fs->ended_shutdown);
        jb_close_object(jb);
        jb_close_object(jb);
    }
    if (in->stream) {
        const struct stream_stats *ss = in->stream;
        jb_open_object(jb, "stream");
        jb_uint(jb, "segments", ss->segments);
        jb_uint(jb, "bytes_delivered", ss->bytes_delivered);
        jb_uint(jb, "out_of_order", ss->out_of_order);
        jb_uint(jb, "retransmissions", ss->retransmissions);
        jb_uint(jb, "gap_bytes", ss->gap_bytes);
        jb_uint(jb, "memuse_peak", ss->memuse_peak);
        jb_close_object(jb);
    }
    if (in->app) {
        const struct app_stats *as = in->app;
        jb_open_object(jb, "app");
        jb_open_object(jb, "records");
        static const char *const kinds[APP_REC_COUNT] = {
            "dns", "http", "tls", "smtp", "pop3", "imap", "ftp", "ssh", "file", "login", "anomaly"};
        for (int k = 0; k < APP_REC_COUNT; k++)
            jb_uint(jb, kinds[k], as->records[k]);
        jb_close_object(jb);
        jb_open_object(jb, "parse_errors");
        for (int p = APP_PROTO_HTTP; p < APP_PROTO_FAILED; p++)
            jb_uint(jb, app_proto_name((enum app_proto)p), as->parse_errors[p]);
        jb_close_object(jb);
        jb_open_object(jb, "gaps");
        for (int p = APP_PROTO_HTTP; p < APP_PROTO_FAILED; p++)
            jb_uint(jb, app_proto_name((enum app_proto)p), as->gaps[p]);
        jb_close_object(jb);
        jb_uint(jb, "limits_hit", as->limits_hit);
        jb_uint(jb, "memcap_refused", as->memcap_refused);
        jb_uint(jb, "memuse", as->memuse);
        jb_uint(jb, "memuse_peak", as->memuse_peak);
        jb_uint(jb, "memcap", as->memcap);
        jb_close_object(jb);
    }
    if (in->det)
        put_detect_stats(jb, in->det);
    if (in->dtr)
        put_detector_stats(jb, in->dtr);
    if (in->enrich)
        put_enrich_stats(jb, in->enrich);
    jb_open_object(jb, "eve");
    jb_uint(jb, "flow", e->ctr.flow);
    jb_uint(jb, "anomaly", e->ctr.anomaly);
    jb_uint(jb, "alert", e->ctr.alert);
    jb_uint(jb, "anomalies_suppressed", e->ctr.anomalies_suppressed);
    jb_uint(jb, "oversize_dropped", e->ctr.oversize_dropped);
    if (in->sink) {
        jb_uint(jb, "write_errors", in->sink->write_errors);
        jb_uint(jb, "dropped_lines", in->sink->dropped_lines);
    }
    jb_close_object(jb);
    jb_close_object(jb); /* mamori */
    jb_close_object(jb);
    if (eve_emit(e))
        e->ctr.stats++;
}
