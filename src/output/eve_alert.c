/*
 * EVE "alert" events for the detection engine's matches (detect.h struct det_alert), in
 * Suricata 7/8's form and member order:
 *
 *   {"timestamp", "flow_id", "in_iface", "event_type": "alert", "src_ip", "src_port",
 *    "dest_ip", "dest_port", "proto", ["icmp_type", "icmp_code"], ["pcap_cnt"], ["vlan"],
 *    "pkt_src": "wire/pcap", ["tx_id"],
 *    "alert": {"action": "allowed", "gid", "signature_id", "rev", "signature", "category",
 *              "severity", ["source": {"ip", "port"}, "target": {"ip", "port"}],
 *              ["metadata": {"key": ["value", ...], ...}]},
 *    [the matched record's objects: "http", "dns", "tls", "smtp", "email", "fileinfo" ...],
 *    ["app_proto"], ["direction"],
 *    ["flow": {"pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "start",
 *              "src_ip", "dest_ip", ["src_port", "dest_port"]}],
 *    ["mamori": {"rule_action", "record_omitted", + the record writer's mamori members}]}
 *
 * alert.action is "allowed" for every rule: mamori only watches, so nothing is ever blocked;
 * the rule's own drop/reject/pass goes to mamori.rule_action. The flow object's addresses are
 * the flow's client and server (the alert's own may be reversed for a to_client match).
 *
 * The record's objects come from the writers of the record's own event (eve_app.h). They are
 * built apart in e->scratch and copied member by member because the alert puts tx_id before
 * "alert", writes app_proto and pkt_src itself, and has its own "mamori" object into which
 * the writer's "mamori" members are merged so that no key appears twice.
 *
 * Not written: Suricata's top-level "metadata" (flowbits/flowints of the flow, which the
 * engine keeps private), alert.references, alert.rule, payload and packet dumps, "files".
 */
#include "eve.h"
#include "eve_app.h"
#include "eve_int.h"

#include "app/dns_rec.h"
#include "app/file.h"
#include "app/http.h"
#include "detect/detect.h"
#include "detect/rule.h"

#include <string.h>

/* Metadata pairs of one rule written per alert. Grouping by key is quadratic; rules carry a
 * dozen pairs, and this bound keeps a rule with thousands from costing seconds per alert. */
#define EVE_ALERT_MAX_METADATA 256u

/* Longest member name copied from a record writer's output (their names are short
 * literals; a longer one would be a bug there, and is dropped rather than cut). */
#define EVE_ALERT_MAX_KEY 64u

/* ---------------- reading back the record's JSON ---------------- */

/*
 * The record is first written by struct jb into e->scratch as one object, so the text is
 * valid JSON without whitespace. These helpers walk its top-level members; every index
 * stays below n even if that text were damaged.
 */
struct member {
    const char *key; /* escaped as written, not NUL-terminated */
    size_t key_len;
    const char *val; /* the member's value as JSON text */
    size_t val_len;
};

/* s[i] is '"': index just after the closing quote (n when there is none). */
static size_t string_end(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

/* Index just after the JSON value starting at s[i]. */
static size_t value_end(const char *s, size_t i, size_t n)
{
    if (i >= n)
        return n;
    if (s[i] == '"')
        return string_end(s, i, n);
    if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            char c = s[i];
            if (c == '"') {
                i = string_end(s, i, n);
                continue;
            }
            if (c == '{' || c == '[')
                depth++;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return n;
    }
    /* number, true, false, null */
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']')
        i++;
    return i;
}

/* The member at *pos of the object text obj[0..n) (start with *pos = 1, after '{'); false
 * at the object's end. */
static bool next_member(const char *obj, size_t n, size_t *pos, struct member *m)
{
    size_t i = *pos;
    if (i < n && obj[i] == ',')
        i++;
    if (i >= n || obj[i] != '"')
        return false;
    size_t key_end = string_end(obj, i, n);
    if (key_end >= n || obj[key_end] != ':')
        return false;
    size_t v = key_end + 1;
    size_t v_end = value_end(obj, v, n);
    if (v_end <= v)
        return false;
    m->key = obj + i + 1;
    m->key_len = key_end - i - 2;
    m->val = obj + v;
    m->val_len = v_end - v;
    *pos = v_end;
    return true;
}

static bool key_is(const struct member *m, const char *name)
{
    size_t len = strlen(name);
    return m->key_len == len && memcmp(m->key, name, len) == 0;
}

/* Copy one member into the event as is. */
static void copy_member(struct jb *jb, const struct member *m)
{
    char key[EVE_ALERT_MAX_KEY];
    if (m->key_len >= sizeof key)
        return;
    memcpy(key, m->key, m->key_len);
    key[m->key_len] = '\0';
    jb_raw(jb, key, m->val, m->val_len);
}

/* Copy every member of the object text obj (a "{...}" value) into the open object. */
static void copy_members(struct jb *jb, const char *obj, size_t n)
{
    struct member m;
    size_t pos = 1;
    while (next_member(obj, n, &pos, &m))
        copy_member(jb, &m);
}

/* What the record writer produced, split for placement in the alert. */
struct rec_parts {
    const char *text; /* the whole object text in e->scratch */
    size_t len;
    struct member tx_id, app_proto, mamori; /* val NULL when absent */
};

/* Write the record into e->scratch and find the members the alert places itself. False
 * when the record could not be built (larger than the event limit, or no memory). */
static bool build_record(out_eve_t *e, const struct det_alert *a, struct rec_parts *rp)
{
    struct jb *s = &e->scratch;
    memset(rp, 0, sizeof *rp);
    jb_reset(s);
    jb_open_object(s, NULL);
    eve_put_app_record(s, a->rec_kind, a->rec);
    jb_close_object(s);
    if (!jb_complete(s))
        return false;
    rp->text = jb_ptr(s);
    rp->len = jb_len(s);
    struct member m;
    size_t pos = 1;
    while (next_member(rp->text, rp->len, &pos, &m)) {
        if (key_is(&m, "tx_id"))
            rp->tx_id = m;
        else if (key_is(&m, "app_proto"))
            rp->app_proto = m;
        else if (key_is(&m, "mamori") && m.val_len >= 2 && m.val[0] == '{')
            rp->mamori = m;
    }
    return true;
}

/* The record's own objects (http, dns, email ...): everything the alert does not place. */
static void put_record_objects(struct jb *jb, const struct rec_parts *rp)
{
    struct member m;
    size_t pos = 1;
    while (next_member(rp->text, rp->len, &pos, &m)) {
        if (key_is(&m, "tx_id") || key_is(&m, "app_proto") || key_is(&m, "mamori") ||
            key_is(&m, "pkt_src"))
            continue;
        copy_member(jb, &m);
    }
}

/* ---------------- the alert ---------------- */

static bool has_ports(uint8_t proto)
{
    return proto == 6 || proto == 17 || proto == 132;
}

static bool is_icmp(uint8_t proto)
{
    return proto == 1 || proto == 58;
}

static void put_ip(struct jb *jb, const char *key, const struct mm_addr *a, int ip_ver)
{
    char buf[64];
    jb_string(jb, key, dec_addr_str(a, ip_ver, buf, sizeof buf));
}

/* icmp_type/icmp_code in place of ports, from the packet or else the flow's first message
 * in the alert's direction. */
static void put_icmp(struct jb *jb, const struct det_alert *a)
{
    const struct packet *p = a->pkt;
    const struct flow *f = a->flow;
    if (p && (p->flags & PKT_F_L4)) {
        jb_uint(jb, "icmp_type", p->icmp_type);
        jb_uint(jb, "icmp_code", p->icmp_code);
        return;
    }
    int d = a->dir ? 1 : 0;
    if (!p && f && f->icmp_seen[d]) {
        jb_uint(jb, "icmp_type", f->icmp_type[d]);
        jb_uint(jb, "icmp_code", f->icmp_code[d]);
    }
}

static void put_vlan(struct jb *jb, const uint16_t *ids, unsigned n)
{
    if (n == 0)
        return;
    jb_open_array(jb, "vlan");
    for (unsigned i = 0; i < n && i < PKT_MAX_VLANS; i++)
        jb_uint(jb, NULL, ids[i]);
    jb_close_array(jb);
}

static void put_head(out_eve_t *e, const struct det_alert *a)
{
    struct jb *jb = &e->jb;
    const struct packet *p = a->pkt;
    const struct flow *f = a->flow;
    /* A packet cut inside its transport header has no ports to show. */
    bool ports_known = p ? (p->flags & PKT_F_L4) != 0 : true;
    /* A built-in detector's alert about many connections has no source port (0), and may
     * have no destination port either: 0 is not written as if it were a port. */
    bool dport_only = false;
    if (a->mamori_json && !p && a->sport == 0) {
        ports_known = false;
        dport_only = a->dport != 0 && has_ports(a->proto);
    }
    eve_head(e, a->ts_ns, f ? f->flow_id : 0, "alert", a->ip_ver, a->src.b, a->sport, a->dst.b,
             a->dport, a->proto, ports_known);
    if (dport_only)
        jb_uint(jb, "dest_port", a->dport);
    if (a->ip_ver && is_icmp(a->proto))
        put_icmp(jb, a);
    if (p && p->pkt_no)
        jb_uint(jb, "pcap_cnt", p->pkt_no);
    if (p)
        put_vlan(jb, p->vlan, p->vlan_count);
    else if (f)
        put_vlan(jb, f->key.vlan, f->vlan_count);
    jb_string(jb, "pkt_src", "wire/pcap");
}

/* Suricata's alert.source / alert.target: the side the rule's target: option names is the
 * target, the other one the source. */
static void put_endpoint(struct jb *jb, const char *key, const struct det_alert *a,
                         const struct mm_addr *ip, uint16_t port)
{
    jb_open_object(jb, key);
    put_ip(jb, "ip", ip, a->ip_ver);
    if (has_ports(a->proto))
        jb_uint(jb, "port", port);
    jb_close_object(jb);
}

static void put_source_target(struct jb *jb, const struct det_alert *a)
{
    const struct det_rule *r = a->rule;
    if (r->target == DET_TARGET_NONE || !a->ip_ver)
        return;
    if (r->target == DET_TARGET_DST) {
        put_endpoint(jb, "source", a, &a->src, a->sport);
        put_endpoint(jb, "target", a, &a->dst, a->dport);
    } else {
        put_endpoint(jb, "source", a, &a->dst, a->dport);
        put_endpoint(jb, "target", a, &a->src, a->sport);
    }
}

static bool meta_usable(const struct det_meta_kv *kv)
{
    return kv->key && kv->value;
}

/* alert.metadata: {"key": [values in rule order], ...}, keys in order of first use. */
static void put_metadata(struct jb *jb, const struct det_rule *r)
{
    uint32_t n = r->n_metadata < EVE_ALERT_MAX_METADATA ? r->n_metadata : EVE_ALERT_MAX_METADATA;
    const struct det_meta_kv *md = r->metadata;
    bool open = false;
    for (uint32_t i = 0; i < n && md; i++) {
        if (!meta_usable(&md[i]))
            continue;
        bool seen = false;
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = meta_usable(&md[j]) && strcmp(md[j].key, md[i].key) == 0;
        if (seen)
            continue;
        if (!open) {
            jb_open_object(jb, "metadata");
            open = true;
        }
        jb_open_array(jb, md[i].key);
        for (uint32_t j = i; j < n; j++)
            if (meta_usable(&md[j]) && strcmp(md[j].key, md[i].key) == 0)
                jb_string(jb, NULL, md[j].value);
        jb_close_array(jb);
    }
    if (open)
        jb_close_object(jb);
}

/* The classtype's description; "" when the rule has none, as Suricata writes. */
static const char *category(const struct det_alert *a)
{
    const struct det_rule *r = a->rule;
    const struct det_ruleset *rs = a->rs;
    if (!rs || r->classtype < 0 || (uint32_t)r->classtype >= rs->n_classes || !rs->classes)
        return "";
    const char *desc = rs->classes[r->classtype].desc;
    return desc ? desc : "";
}

static void put_alert_object(struct jb *jb, const struct det_alert *a)
{
    const struct det_rule *r = a->rule;
    jb_open_object(jb, "alert");
    jb_string(jb, "action", "allowed");
    jb_uint(jb, "gid", r->gid);
    jb_uint(jb, "signature_id", r->sid);
    jb_uint(jb, "rev", r->rev);
    jb_string(jb, "signature", r->msg ? r->msg : "");
    jb_string(jb, "category", category(a));
    jb_int(jb, "severity", r->priority);
    put_source_target(jb, a);
    put_metadata(jb, r);
    jb_close_object(jb);
}

/* Suricata's short flow object of alerts; addresses are the flow's client and server. */
static void put_flow(struct jb *jb, const struct flow *f)
{
    struct mm_addr cli, srv;
    memcpy(cli.b, flow_client_addr(f), sizeof cli.b);
    memcpy(srv.b, flow_server_addr(f), sizeof srv.b);
    jb_open_object(jb, "flow");
    jb_uint(jb, "pkts_toserver", f->pkts[FLOW_TOSERVER]);
    jb_uint(jb, "pkts_toclient", f->pkts[FLOW_TOCLIENT]);
    jb_uint(jb, "bytes_toserver", f->bytes[FLOW_TOSERVER]);
    jb_uint(jb, "bytes_toclient", f->bytes[FLOW_TOCLIENT]);
    eve_put_ts(jb, "start", f->first_ns);
    put_ip(jb, "src_ip", &cli, f->key.ip_ver);
    put_ip(jb, "dest_ip", &srv, f->key.ip_ver);
    if (has_ports(f->key.proto)) {
        jb_uint(jb, "src_port", flow_client_port(f));
        jb_uint(jb, "dest_port", flow_server_port(f));
    }
    jb_close_object(jb);
}

static const char *rule_action_name(enum det_action act)
{
    switch (act) {
    case DET_ACT_PASS: return "pass";
    case DET_ACT_DROP: return "drop";
    case DET_ACT_REJECT: return "reject";
    case DET_ACT_ALERT: break;
    }
    return NULL;
}

/* tx_id: the writer's top-level one, else (dns, fileinfo keep it inside their object) the
 * record's own, as Suricata puts it at the top of every alert on a transaction. */
static void put_tx_id(struct jb *jb, const struct det_alert *a, const struct rec_parts *rp)
{
    if (rp->tx_id.val)
        copy_member(jb, &rp->tx_id);
    else if (a->rec_kind == APP_REC_DNS)
        jb_uint(jb, "tx_id", ((const struct app_dns_rec *)a->rec)->tx_id);
    else if (a->rec_kind == APP_REC_FILE)
        jb_uint(jb, "tx_id", ((const struct app_file *)a->rec)->tx_id);
}

/* Suricata's top-level "metadata": the flow's flowbits and flowints when the alert fired. */
struct fv_writer {
    struct jb *jb;
    bool open, bits_open, ints_open;
};

static void fv_open(struct fv_writer *w)
{
    if (!w->open) {
        jb_open_object(w->jb, "metadata");
        w->open = true;
    }
}

static void fv_bit(void *u, const char *name)
{
    struct fv_writer *w = u;
    fv_open(w);
    if (!w->bits_open) {
        jb_open_array(w->jb, "flowbits");
        w->bits_open = true;
    }
    jb_string(w->jb, NULL, name);
}

static void fv_int(void *u, const char *name, int64_t v)
{
    struct fv_writer *w = u;
    fv_open(w);
    if (w->bits_open) { /* flowbits come first: all of them have been written */
        jb_close_array(w->jb);
        w->bits_open = false;
    }
    if (!w->ints_open) {
        jb_open_object(w->jb, "flowints");
        w->ints_open = true;
    }
    jb_int(w->jb, name, v);
}

static void put_flowvars(struct jb *jb, const struct det_alert *a)
{
    struct fv_writer w = {jb, false, false, false};
    det_alert_flowvars(a, fv_bit, fv_int, &w);
    if (w.bits_open)
        jb_close_array(jb);
    if (w.ints_open)
        jb_close_object(jb);
    if (w.open)
        jb_close_object(jb);
}

/* For an alert on an HTTP transaction, what the server's answer means for the person reading
 * it: a 2xx to an attack may be a success, a 4xx a refusal. */
static const char *http_outcome(const struct det_alert *a)
{
    if (a->rec_kind != APP_REC_HTTP || !a->rec)
        return NULL;
    int st = ((const struct http_tx *)a->rec)->status;
    if (st < 100)
        return "no_response";
    if (st < 200)
        return "informational";
    if (st < 300)
        return "success";
    if (st < 400)
        return "redirect";
    if (st < 500)
        return "client_error";
    return "server_error";
}

/* The whole event into e->jb; rp NULL: without the record (see record_omitted). */
static void build_alert(out_eve_t *e, const struct det_alert *a, const struct rec_parts *rp,
                        bool record_omitted)
{
    struct jb *jb = &e->jb;
    const struct flow *f = a->flow;
    put_head(e, a);
    if (rp)
        put_tx_id(jb, a, rp);
    put_alert_object(jb, a);
    if (rp)
        put_record_objects(jb, rp);
    if (a->app_proto > APP_PROTO_UNKNOWN && a->app_proto < APP_PROTO_COUNT)
        jb_string(jb, "app_proto", app_proto_name((enum app_proto)a->app_proto));
    else if (rp && rp->app_proto.val)
        copy_member(jb, &rp->app_proto);
    if (f) {
        jb_string(jb, "direction", a->dir ? "to_client" : "to_server");
        put_flow(jb, f);
    }
    put_flowvars(jb, a);
    const char *act = rule_action_name(a->rule->action);
    bool rec_mamori = rp && rp->mamori.val;
    bool hosts = e->enrich && a->ip_ver;
    const char *outcome = http_outcome(a);
    if (act || record_omitted || rec_mamori || a->mamori_json || hosts || outcome) {
        jb_open_object(jb, "mamori");
        if (act)
            jb_string(jb, "rule_action", act);
        if (record_omitted)
            jb_bool(jb, "record_omitted", true);
        if (rec_mamori)
            copy_members(jb, rp->mamori.val, rp->mamori.val_len);
        if (outcome)
            jb_string(jb, "http_outcome", outcome);
        if (a->mamori_json) /* a built-in detector's threat, variant and evidence */
            copy_members(jb, a->mamori_json, a->mamori_len);
        if (hosts) {
            enrich_write_host(e->enrich, jb, "src_host", &a->src, a->ip_ver);
            enrich_write_host(e->enrich, jb, "dest_host", &a->dst, a->ip_ver);
        }
        jb_close_object(jb);
    }
    jb_close_object(jb);
}

void out_eve_alert(out_eve_t *e, const struct det_alert *a)
{
    if (!a || !a->rule)
        return;
    bool want_record = a->rec && (unsigned)a->rec_kind < APP_REC_COUNT;
    struct rec_parts rp;
    bool have_record = want_record && build_record(e, a, &rp);
    build_alert(e, a, have_record ? &rp : NULL, want_record && !have_record);
    /* An alert must not be lost to a huge record: retry without it. */
    if (have_record && !jb_complete(&e->jb))
        build_alert(e, a, NULL, true);
    if (eve_emit(e))
        e->ctr.alert++;
}
