/*
 * Tests for src/output/eve_alert.c (EVE "alert" events) and the detection counters of the
 * stats event (eve.c). Alerts are built by hand from a det_rule / det_ruleset / flow /
 * packet / app record, written through a real sink to a temporary file and read back; a
 * small JSON path reader checks the fields.
 *
 * With MM_EVE_ALERT_DUMP=<file> every event line written is also appended to that file, so
 * that check_eve_alert_schema.py can validate them against docs/eve.schema.json and
 * Suricata's schema.
 */
#include "output/eve.h"
#include "output/sink.h"

#include "app/dns_rec.h"
#include "app/file.h"
#include "app/http.h"
#include "detect/detect.h"
#include "detect/rule.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- a tiny reader for the JSON our writer produces (no whitespace) ------------------- */

static size_t t_string_end(const char *s, size_t i, size_t n)
{
    for (i++; i < n; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return n;
}

static size_t t_value_end(const char *s, size_t i, size_t n)
{
    if (i >= n)
        return n;
    if (s[i] == '"')
        return t_string_end(s, i, n);
    if (s[i] == '{' || s[i] == '[') {
        size_t depth = 0;
        while (i < n) {
            if (s[i] == '"') {
                i = t_string_end(s, i, n);
                continue;
            }
            if (s[i] == '{' || s[i] == '[')
                depth++;
            else if ((s[i] == '}' || s[i] == ']') && --depth == 0)
                return i + 1;
            i++;
        }
        return n;
    }
    while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']')
        i++;
    return i;
}

/* Calls fn for each member of the object text obj[0..n); stops when fn returns true. */
typedef bool (*member_fn)(void *u, const char *k, size_t kl, const char *v, size_t vl);
static void each_member(const char *obj, size_t n, member_fn fn, void *u)
{
    assert_true(n >= 2 && obj[0] == '{');
    size_t i = 1;
    while (i < n && obj[i] != '}') {
        if (obj[i] == ',')
            i++;
        assert_true(obj[i] == '"');
        size_t ke = t_string_end(obj, i, n);
        assert_true(ke < n && obj[ke] == ':');
        size_t ve = t_value_end(obj, ke + 1, n);
        if (fn(u, obj + i + 1, ke - i - 2, obj + ke + 1, ve - ke - 1))
            return;
        i = ve;
    }
}

struct find {
    const char *key;
    size_t key_len;
    const char *v;
    size_t vl;
};

static bool find_cb(void *u, const char *k, size_t kl, const char *v, size_t vl)
{
    struct find *f = u;
    if (kl != f->key_len || memcmp(k, f->key, kl) != 0)
        return false;
    f->v = v;
    f->vl = vl;
    return true;
}

/* The value text at a dotted path ("alert.metadata.tag") or NULL; *len its length. */
static const char *jpath(const char *json, const char *path, size_t *len)
{
    const char *obj = json;
    size_t n = strlen(json);
    while (*path) {
        const char *dot = strchr(path, '.');
        size_t kl = dot ? (size_t)(dot - path) : strlen(path);
        if (n < 2 || obj[0] != '{')
            return NULL;
        struct find f = {path, kl, NULL, 0};
        each_member(obj, n, find_cb, &f);
        if (!f.v)
            return NULL;
        obj = f.v;
        n = f.vl;
        path += kl + (dot ? 1 : 0);
    }
    *len = n;
    return obj;
}

static void expect_raw(const char *line, const char *path, const char *want)
{
    size_t n;
    const char *v = jpath(line, path, &n);
    if (!v)
        fail_msg("%s: absent, want %s\nline: %s", path, want, line);
    if (n != strlen(want) || memcmp(v, want, n) != 0)
        fail_msg("%s = %.*s, want %s\nline: %s", path, (int)n, v, want, line);
}

static void expect_str(const char *line, const char *path, const char *want)
{
    char quoted[512];
    snprintf(quoted, sizeof quoted, "\"%s\"", want);
    expect_raw(line, path, quoted);
}

static void expect_absent(const char *line, const char *path)
{
    size_t n;
    const char *v = jpath(line, path, &n);
    if (v)
        fail_msg("%s present (%.*s), want absent\nline: %s", path, (int)n, v, line);
}

/* Byte offset of the top-level key in the line (for member order), or -1. */
static long key_pos(const char *line, const char *key)
{
    size_t n;
    const char *v = jpath(line, key, &n);
    return v ? (long)(v - line) : -1;
}

struct dup_check {
    char keys[64][32];
    unsigned n;
    bool dup;
};

static bool dup_cb(void *u, const char *k, size_t kl, const char *v, size_t vl)
{
    (void)v;
    (void)vl;
    struct dup_check *d = u;
    for (unsigned i = 0; i < d->n; i++)
        if (strlen(d->keys[i]) == kl && memcmp(d->keys[i], k, kl) == 0)
            d->dup = true;
    if (d->n < 64 && kl < 32) {
        memcpy(d->keys[d->n], k, kl);
        d->keys[d->n][kl] = '\0';
        d->n++;
    }
    return false;
}

static void expect_no_duplicate_keys(const char *obj, size_t n)
{
    struct dup_check d = {.n = 0, .dup = false};
    each_member(obj, n, dup_cb, &d);
    if (d.dup)
        fail_msg("duplicate key in %.*s", (int)n, obj);
}

/* ---- writing events to a temporary file ------------------------------------------------- */

static char g_dir[256], g_path[320];

static int group_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/mm_test_eve_alert_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof g_path, "%s/eve.json", g_dir);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return rmdir(g_dir) == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16, n = 0, r;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void dump_for_schema_check(const char *text)
{
    const char *dump = getenv("MM_EVE_ALERT_DUMP");
    if (!dump || !*dump)
        return;
    FILE *f = fopen(dump, "ab");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static out_eve_t *open_eve(void)
{
    unlink(g_path);
    char err[256];
    out_sink_t *s = out_sink_open(g_path, err, sizeof err);
    assert_non_null(s);
    struct out_eve_config cfg;
    out_eve_config_defaults(&cfg);
    out_eve_t *e = out_eve_new(s, &cfg);
    assert_non_null(e);
    out_eve_set_iface(e, "test0");
    return e;
}

/* Close the writer and return its output (malloc'd), after the checks every line passes. */
static char *close_eve(out_eve_t *e)
{
    out_eve_free(e);
    char *text = slurp(g_path);
    dump_for_schema_check(text);
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl); /* every event ends with a newline */
        expect_no_duplicate_keys(line, (size_t)(nl - line));
        line = nl + 1;
    }
    return text;
}

/* Write one alert; returns its line without the newline (malloc'd). */
static char *alert_line(const struct det_alert *a)
{
    out_eve_t *e = open_eve();
    out_eve_alert(e, a);
    struct out_eve_counters c;
    out_eve_get_counters(e, &c);
    assert_int_equal(c.alert, 1);
    assert_int_equal(c.oversize_dropped, 0);
    char *text = close_eve(e);
    char *nl = strchr(text, '\n');
    assert_non_null(nl);
    assert_null(strchr(nl + 1, '\n')); /* exactly one line */
    *nl = '\0';
    return text;
}

/* ---- fixtures ------------------------------------------------------------------------------ */

static char k_tag[] = "tag", k_created[] = "created_at", k_policy[] = "policy";
static char v_a[] = "a", v_b[] = "b", v_c[] = "c", v_date[] = "2018_01_30", v_bal[] = "balanced";
static char msg_test[] = "TEST rule", cls_name[] = "trojan-activity",
            cls_desc[] = "A Network Trojan was detected", cls0_name[] = "not-suspicious",
            cls0_desc[] = "Not Suspicious Traffic";

static struct det_class g_classes[] = {
    {.name = cls0_name, .desc = cls0_desc, .priority = 3},
    {.name = cls_name, .desc = cls_desc, .priority = 1},
};

static struct det_ruleset g_rs = {.classes = g_classes, .n_classes = 2};

static void make_rule(struct det_rule *r)
{
    memset(r, 0, sizeof *r);
    r->action = DET_ACT_ALERT;
    r->proto = DET_P_TCP;
    r->gid = 1;
    r->sid = 1000001;
    r->rev = 2;
    r->msg = msg_test;
    r->classtype = -1;
    r->priority = 3;
}

static void set_v4(struct mm_addr *a, uint8_t x0, uint8_t x1, uint8_t x2, uint8_t x3)
{
    memset(a, 0, sizeof *a);
    a->b[0] = x0;
    a->b[1] = x1;
    a->b[2] = x2;
    a->b[3] = x3;
}

/* 10.0.0.1:40000 (client) -> 192.168.1.9:80, 4 + 3 packets. */
static void make_tcp_flow(struct flow *f)
{
    memset(f, 0, sizeof *f);
    struct mm_addr c, s;
    set_v4(&c, 10, 0, 0, 1);
    set_v4(&s, 192, 168, 1, 9);
    memcpy(f->key.a, c.b, 16);
    memcpy(f->key.b, s.b, 16);
    f->key.port_a = 40000;
    f->key.port_b = 80;
    f->key.proto = 6;
    f->key.ip_ver = 4;
    f->client_is_a = true;
    f->flow_id = 1234567;
    f->first_ns = 1700000000ull * 1000000000ull + 123456000ull;
    f->last_ns = f->first_ns + 2000000000ull;
    f->pkts[FLOW_TOSERVER] = 4;
    f->pkts[FLOW_TOCLIENT] = 3;
    f->bytes[FLOW_TOSERVER] = 461;
    f->bytes[FLOW_TOCLIENT] = 234;
}

static void make_tcp_packet(struct packet *p, const struct flow *f, int dir)
{
    memset(p, 0, sizeof *p);
    p->ts_ns = f->first_ns + 1000000000ull;
    p->pkt_no = 6;
    p->flags = PKT_F_L4;
    p->ip_ver = 4;
    p->proto = 6;
    memcpy(dir ? p->dst.b : p->src.b, f->key.a, 16);
    memcpy(dir ? p->src.b : p->dst.b, f->key.b, 16);
    p->sport = dir ? 80 : 40000;
    p->dport = dir ? 40000 : 80;
}

/* An alert on packet p of flow f (direction dir). */
static void make_alert(struct det_alert *a, const struct det_rule *r, const struct flow *f,
                       const struct packet *p, int dir)
{
    memset(a, 0, sizeof *a);
    a->rule = r;
    a->rs = &g_rs;
    a->flow = f;
    a->pkt = p;
    a->ts_ns = p ? p->ts_ns : f->last_ns;
    a->dir = dir;
    if (p) {
        a->src = p->src;
        a->dst = p->dst;
        a->sport = p->sport;
        a->dport = p->dport;
        a->ip_ver = p->ip_ver;
        a->proto = p->proto;
    }
}

#define HS(lit) ((struct http_str){(const uint8_t *)(lit), sizeof(lit) - 1})

static void make_http_tx(struct http_tx *tx)
{
    memset(tx, 0, sizeof *tx);
    tx->tx_id = 3;
    tx->method = HS("GET");
    tx->uri = HS("/cgi-bin/cart32.exe");
    tx->uri_norm = HS("/cgi-bin/cart32.exe");
    tx->protocol = HS("HTTP/1.1");
    tx->hostname = HS("www.example.org");
    tx->http_port = -1;
    tx->user_agent = HS("Nikto");
    tx->status = 200;
    tx->resp_wire = 12;
}

/* A record alert: the engine gives the record's sender as src and no packet. */
static void make_record_alert(struct det_alert *a, const struct det_rule *r, const struct flow *f,
                              enum app_record_kind kind, const void *rec)
{
    struct packet p;
    make_tcp_packet(&p, f, 0);
    make_alert(a, r, f, &p, 0);
    a->pkt = NULL;
    a->ts_ns = f->last_ns;
    a->rec_kind = kind;
    a->rec = rec;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_out_eve_alert_tcp_packet(void **state)
{
    (void)state;
    struct det_rule r;
    struct flow f;
    struct packet p;
    struct det_alert a;
    make_rule(&r);
    make_tcp_flow(&f);
    f.vlan_count = 1;
    f.key.vlan[0] = 1111;
    make_tcp_packet(&p, &f, 0);
    p.vlan_count = 1;
    p.vlan[0] = 1111;
    make_alert(&a, &r, &f, &p, 0);
    char *l = alert_line(&a);

    expect_str(l, "timestamp", "2023-11-14T22:13:21.123456+0000");
    expect_raw(l, "flow_id", "1234567");
    expect_str(l, "in_iface", "test0");
    expect_str(l, "event_type", "alert");
    expect_str(l, "src_ip", "10.0.0.1");
    expect_raw(l, "src_port", "40000");
    expect_str(l, "dest_ip", "192.168.1.9");
    expect_raw(l, "dest_port", "80");
    expect_str(l, "proto", "TCP");
    expect_raw(l, "pcap_cnt", "6");
    expect_raw(l, "vlan", "[1111]");
    expect_str(l, "pkt_src", "wire/pcap");
    expect_absent(l, "tx_id");
    expect_absent(l, "icmp_type");
    expect_str(l, "alert.action", "allowed");
    expect_raw(l, "alert.gid", "1");
    expect_raw(l, "alert.signature_id", "1000001");
    expect_raw(l, "alert.rev", "2");
    expect_str(l, "alert.signature", "TEST rule");
    expect_str(l, "alert.category", "");
    expect_raw(l, "alert.severity", "3");
    expect_absent(l, "alert.metadata");
    expect_absent(l, "alert.source");
    expect_absent(l, "app_proto"); /* not known yet */
    expect_str(l, "direction", "to_server");
    expect_raw(l, "flow.pkts_toserver", "4");
    expect_raw(l, "flow.pkts_toclient", "3");
    expect_raw(l, "flow.bytes_toserver", "461");
    expect_raw(l, "flow.bytes_toclient", "234");
    expect_str(l, "flow.start", "2023-11-14T22:13:20.123456+0000");
    expect_str(l, "flow.src_ip", "10.0.0.1");
    expect_str(l, "flow.dest_ip", "192.168.1.9");
    expect_raw(l, "flow.src_port", "40000");
    expect_raw(l, "flow.dest_port", "80");
    expect_absent(l, "flow.alerted"); /* the flow event says it, not the alert */
    expect_absent(l, "flow.end");
    expect_absent(l, "mamori");
    /* Suricata's order: head, pkt_src, alert, app_proto, direction, flow */
    assert_true(key_pos(l, "pkt_src") < key_pos(l, "alert"));
    assert_true(key_pos(l, "alert") < key_pos(l, "direction"));
    assert_true(key_pos(l, "direction") < key_pos(l, "flow"));
    free(l);
}

static void test_out_eve_alert_to_client_keeps_flow_view(void **state)
{
    (void)state;
    struct det_rule r;
    struct flow f;
    struct packet p;
    struct det_alert a;
    make_rule(&r);
    make_tcp_flow(&f);
    make_tcp_packet(&p, &f, 1);
    make_alert(&a, &r, &f, &p, 1);
    a.app_proto = APP_PROTO_HTTP;
    char *l = alert_line(&a);
    expect_str(l, "src_ip", "192.168.1.9");
    expect_raw(l, "src_port", "80");
    expect_str(l, "dest_ip", "10.0.0.1");
    expect_str(l, "direction", "to_client");
    expect_str(l, "app_proto", "http");
    expect_str(l, "flow.src_ip", "10.0.0.1"); /* the client, whatever the alert's direction */
    expect_raw(l, "flow.src_port", "40000");
    free(l);
}

static void test_out_eve_alert_icmp_no_ports(void **state)
{
    (void)state;
    struct det_rule r;
    struct flow f;
    struct packet p;
    struct det_alert a;
    make_rule(&r);
    r.proto = DET_P_ICMP;
    make_tcp_flow(&f);
    f.key.proto = 1;
    f.key.port_a = f.key.port_b = 0;
    make_tcp_packet(&p, &f, 0);
    p.proto = 1;
    p.sport = p.dport = 0;
    p.icmp_type = 8;
    p.icmp_code = 0;
    make_alert(&a, &r, &f, &p, 0);
    char *l = alert_line(&a);
    expect_str(l, "proto", "ICMP");
    expect_absent(l, "src_port");
    expect_absent(l, "dest_port");
    expect_raw(l, "icmp_type", "8");
    expect_raw(l, "icmp_code", "0");
    expect_str(l, "flow.src_ip", "10.0.0.1");
    expect_absent(l, "flow.src_port");
    free(l);

    /* ICMPv6 without a flow: still type/code, no flow members */
    p.proto = 58;
    p.ip_ver = 6;
    memset(&p.src, 0, sizeof p.src);
    p.src.b[0] = 0xfe;
    p.src.b[1] = 0x80;
    p.src.b[15] = 1;
    memset(&p.dst, 0, sizeof p.dst);
    p.dst.b[0] = 0xff;
    p.dst.b[1] = 0x02;
    p.dst.b[15] = 1;
    p.icmp_type = 135;
    make_alert(&a, &r, NULL, &p, 0);
    l = alert_line(&a);
    expect_str(l, "proto", "IPv6-ICMP");
    expect_str(l, "src_ip", "fe80::1");
    expect_str(l, "dest_ip", "ff02::1");
    expect_raw(l, "icmp_type", "135");
    expect_absent(l, "src_port");
    expect_absent(l, "flow_id");
    expect_absent(l, "direction");
    expect_absent(l, "flow");
    free(l);
}

static void test_out_eve_alert_http_record(void **state)
{
    (void)state;
    struct det_rule r;
    struct flow f;
    struct http_tx tx;
    struct det_alert a;
    make_rule(&r);
    r.proto = DET_P_HTTP;
    make_tcp_flow(&f);
    make_http_tx(&tx);
    make_record_alert(&a, &r, &f, APP_REC_HTTP, &tx);
    a.app_proto = APP_PROTO_HTTP;
    char *l = alert_line(&a);
    expect_raw(l, "tx_id", "3");
    expect_str(l, "http.hostname", "www.example.org");
    expect_str(l, "http.url", "/cgi-bin/cart32.exe");
    expect_str(l, "http.http_method", "GET");
    expect_str(l, "http.http_user_agent", "Nikto");
    expect_str(l, "http.protocol", "HTTP/1.1");
    expect_raw(l, "http.status", "200");
    expect_raw(l, "http.length", "12");
    expect_str(l, "app_proto", "http");
    expect_absent(l, "pcap_cnt"); /* no packet given */
    /* the record writer's mamori members land in the alert's single mamori object */
    expect_str(l, "mamori.http.url_normalized", "/cgi-bin/cart32.exe");
    expect_absent(l, "mamori.rule_action");
    assert_true(key_pos(l, "tx_id") < key_pos(l, "alert"));
    assert_true(key_pos(l, "alert") < key_pos(l, "http"));
    assert_true(key_pos(l, "http") < key_pos(l, "app_proto"));
    free(l);
}

static void test_out_eve_alert_drop_rule_with_record_merges_mamori(void **state)
{
    (void)state;
    struct det_rule r;
    struct flow f;
    struct http_tx tx;
    struct det_alert a;
    make_rule(&r);
    r.action = DET_ACT_DROP;
    make_tcp_flow(&f);
    make_http_tx(&tx);
    make_record_alert(&a, &r, &f, APP_REC_HTTP, &tx);
    char *l = alert_line(&a);                 /* close_eve checked: no duplicate "mamori" */
    expect_str(l, "alert.action", "allowed"); /* passive: nothing was dropped */
    expect_str(l, "mamori.rule_action", "drop");
    expect_str(l, "mamori.http.url_normalized", "/cgi-bin/cart32.exe");
    size_t n;
    const char *m = jpath(l, "mamori", &n);
    assert_non_null(m);
    expect_no_duplicate_keys(m, n);
    free(l);
}

static void test_out_eve_alert_rule_actions(void **state)
{
    (void)state;
    static const struct {
        enum det_action act;
        const char *want; /* mamori.rule_action, NULL: no mamori object */
    } rows[] = {
        {DET_ACT_ALERT, NULL},
        {DET_ACT_PASS, "pass"},
        {DET_ACT_DROP, "drop"},
        {DET_ACT_REJECT, "reject"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct det_rule r;
        struct flow f;
        struct packet p;
        struct det_alert a;
        make_rule(&r);
        r.action = rows[i].act;
        make_tcp_flow(&f);
        make_tcp_packet(&p, &f, 0);
        make_alert(&a, &r, &f, &p, 0);
        char *l = alert_line(&a);
        print_message("row %zu\n", i);
        expect_str(l, "alert.action", "allowed");
        if (rows[i].want)
            expect_str(l, "mamori.rule_action", rows[i].want);
        else
            expect_absent(l, "mamori");
        free(l);
    }
}

static void test_out_eve_alert_metadata_grouping(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        struct det_meta_kv kv[6];
        uint32_t n;
        const char *want; /* alert.metadata text, NULL: absent */
    } rows[] = {
        {"none", {{NULL, NULL}}, 0, NULL},
        {"one", {{k_tag, v_a}}, 1, "{\"tag\":[\"a\"]}"},
        {"grouped in order of first use",
         {{k_tag, v_a}, {k_created, v_date}, {k_tag, v_b}, {k_policy, v_bal}, {k_tag, v_c}},
         5,
         "{\"tag\":[\"a\",\"b\",\"c\"],\"created_at\":[\"2018_01_30\"],\"policy\":[\"balanced\"]}"},
        {"pairs without value skipped",
         {{k_tag, NULL}, {k_policy, v_bal}, {NULL, v_a}, {k_tag, v_b}},
         4,
         "{\"policy\":[\"balanced\"],\"tag\":[\"b\"]}"},
        {"only unusable pairs", {{k_tag, NULL}, {NULL, v_a}}, 2, NULL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct det_rule r;
        struct flow f;
        struct packet p;
        struct det_alert a;
        struct det_meta_kv kv[6];
        memcpy(kv, rows[i].kv, sizeof kv);
        make_rule(&r);
        r.metadata = rows[i].n ? kv : NULL;
        r.n_metadata = rows[i].n;
        make_tcp_flow(&f);
        make_tcp_packet(&p, &f, 0);
        make_alert(&a, &r, &f, &p, 0);
        char *l = alert_line(&a);
        print_message("row %s\n", rows[i].name);
        if (rows[i].want)
            expect_raw(l, "alert.metadata", rows[i].want);
        else
            expect_absent(l, "alert.metadata");
        free(l);
    }
}

static void test_out_eve_alert_metadata_many_pairs_bounded(void **state)
{
    (void)state;
    enum { N = 5000 };
    struct det_meta_kv *kv = calloc(N, sizeof *kv);
    assert_non_null(kv);
    for (size_t i = 0; i < N; i++) {
        kv[i].key = k_tag;
        kv[i].value = v_a;
    }
    struct det_rule r;
    struct flow f;
    struct packet p;
    struct det_alert a;
    make_rule(&r);
    r.metadata = kv;
    r.n_metadata = N;
    make_tcp_flow(&f);
    make_tcp_packet(&p, &f, 0);
    make_alert(&a, &r, &f, &p, 0);
    char *l = alert_line(&a);
    size_t n;
    const char *m = jpath(l, "alert.metadata.tag", &n);
    assert_non_null(m);
    size_t items = 0;
    for (size_t i = 0; i < n; i++)
        items += m[i] == '"';
    assert_int_equal(items / 2, 256); /* EVE_ALERT_MAX_METADATA */
    free(l);
    free(kv);
}

static void test_out_eve_alert_category_severity(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int classtype;
        int priority;
        bool no_ruleset;
        const char *category;
        const char *severity;
    } rows[] = {
        {"no classtype", -1, 3, false, "", "3"},
        {"classtype 1", 1, 1, false, "A Network Trojan was detected", "1"},
        {"classtype 0", 0, 2, false, "Not Suspicious Traffic", "2"},
        {"classtype out of range", 7, 3, false, "", "3"},
        {"no ruleset", 1, 1, true, "", "1"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct det_rule r;
        struct flow f;
        struct packet p;
        struct det_alert a;
        make_rule(&r);
        r.classtype = rows[i].classtype;
        r.priority = rows[i].priority;
        make_tcp_flow(&f);
        make_tcp_packet(&p, &f, 0);
        make_alert(&a, &r, &f, &p, 0);
        if (rows[i].no_ruleset)
            a.rs = NULL;
        char *l = alert_line(&a);
        print_message("row %s\n", rows[i].name);
        expect_str(l, "alert.category", rows[i].category);
        expect_raw(l, "alert.severity", rows[i].severity);
        free(l);
    }
}

static void test_out_eve_alert_target(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum det_target target;
        uint8_t proto;
        const char *source, *target_want; /* NULL: absent */
    } rows[] = {
        {"none", DET_TARGET_NONE, 6, NULL, NULL},
        {"dest is target", DET_TARGET_DST, 6, "{\"ip\":\"10.0.0.1\",\"port\":40000}",
         "{\"ip\":\"192.168.1.9\",\"port\":80}"},
        {"src is target", DET_TARGET_SRC, 6, "{\"ip\":\"192.168.1.9\",\"port\":80}",
         "{\"ip\":\"10.0.0.1\",\"port\":40000}"},
        {"icmp: no ports", DET_TARGET_DST, 1, "{\"ip\":\"10.0.0.1\"}", "{\"ip\":\"192.168.1.9\"}"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct det_rule r;
        struct flow f;
        struct packet p;
        struct det_alert a;
        make_rule(&r);
        r.target = rows[i].target;
        make_tcp_flow(&f);
        f.key.proto = rows[i].proto;
        make_tcp_packet(&p, &f, 0);
        p.proto = rows[i].proto;
        make_alert(&a, &r, &f, &p, 0);
        char *l = alert_line(&a);
        print_message("row %s\n", rows[i].name);
        if (rows[i].source) {
            expect_raw(l, "alert.source", rows[i].source);
            expect_raw(l, "alert.target", rows[i].target_want);
        } else {
            expect_absent(l, "alert.source");
            expect_absent(l, "alert.target");
        }
        free(l);
    }
}

static void test_out_eve_alert_dns_record_tx_id(void **state)
{
    (void)state;
    struct det_rule r;
    struct flow f;
    struct det_alert a;
    static struct dns_msg m;
    memset(&m, 0, sizeof m);
    m.id = 0x1234;
    m.rd = true;
    m.n_questions = 1;
    m.qdcount = 1;
    snprintf(m.q[0].name, sizeof m.q[0].name, "%s", "evil.example");
    m.q[0].type = 1;
    m.q[0].qclass = 1;
    struct app_dns_rec rec = {.msg = &m, .tx_id = 7};
    make_rule(&r);
    r.proto = DET_P_DNS;
    make_tcp_flow(&f);
    f.key.proto = 17;
    f.key.port_b = 53;
    make_record_alert(&a, &r, &f, APP_REC_DNS, &rec);
    a.proto = 17;
    a.dport = 53;
    a.app_proto = APP_PROTO_DNS;
    char *l = alert_line(&a);
    expect_raw(l, "tx_id", "7");
    expect_str(l, "dns.type", "query");
    expect_str(l, "dns.rrname", "evil.example");
    expect_str(l, "app_proto", "dns");
    expect_str(l, "proto", "UDP");
    free(l);
}

static void test_out_eve_alert_file_record_app_proto(void **state)
{
    (void)state;
    struct det_rule r;
    struct flow f;
    struct det_alert a;
    static const uint8_t name[] = "invoice.pdf";
    struct app_file file = {.proto = APP_PROTO_SMTP,
                            .tx_id = 2,
                            .name = name,
                            .name_len = sizeof name - 1,
                            .size = 100,
                            .magic = "PDF document",
                            .state = APP_FILE_CLOSED,
                            .content_type = "application/pdf"};
    make_rule(&r);
    make_tcp_flow(&f);
    make_record_alert(&a, &r, &f, APP_REC_FILE, &file);
    a.app_proto = APP_PROTO_UNKNOWN; /* the record's own app_proto is used */
    char *l = alert_line(&a);
    expect_raw(l, "tx_id", "2");
    expect_str(l, "app_proto", "smtp");
    expect_str(l, "fileinfo.filename", "invoice.pdf");
    expect_str(l, "mamori.content_type", "application/pdf");
    free(l);
}

static void test_out_eve_alert_oversize_record_omitted(void **state)
{
    (void)state;
    size_t big = (size_t)1 << 20; /* the event limit: the record alone cannot fit */
    uint8_t *uri = malloc(big);
    assert_non_null(uri);
    memset(uri, 'A', big);
    struct det_rule r;
    struct flow f;
    struct http_tx tx;
    struct det_alert a;
    make_rule(&r);
    r.action = DET_ACT_REJECT;
    make_tcp_flow(&f);
    make_http_tx(&tx);
    tx.uri = (struct http_str){uri, big};
    make_record_alert(&a, &r, &f, APP_REC_HTTP, &tx);
    char *l = alert_line(&a); /* counted as written, nothing dropped */
    expect_raw(l, "alert.signature_id", "1000001");
    expect_absent(l, "http");
    expect_absent(l, "tx_id");
    expect_raw(l, "mamori.record_omitted", "true");
    expect_str(l, "mamori.rule_action", "reject");
    free(l);

    /* A record that fits alone but not with the alert around it: retried without it. */
    tx.uri = (struct http_str){uri, big - 300};
    l = alert_line(&a);
    expect_absent(l, "http");
    expect_raw(l, "mamori.record_omitted", "true");
    free(l);
    free(uri);
}

static void test_out_eve_alert_escapes_and_null_rule(void **state)
{
    (void)state;
    static char msg[] = "quote \" backslash \\ newline \n bell \a";
    struct det_rule r;
    struct flow f;
    struct packet p;
    struct det_alert a;
    make_rule(&r);
    r.msg = msg;
    make_tcp_flow(&f);
    make_tcp_packet(&p, &f, 0);
    make_alert(&a, &r, &f, &p, 0);
    char *l = alert_line(&a);
    expect_raw(l, "alert.signature", "\"quote \\\" backslash \\\\ newline \\n bell \\u0007\"");
    free(l);

    r.msg = NULL;
    l = alert_line(&a);
    expect_str(l, "alert.signature", "");
    free(l);

    /* No alert, no rule: nothing written, nothing counted */
    out_eve_t *e = open_eve();
    out_eve_alert(e, NULL);
    a.rule = NULL;
    out_eve_alert(e, &a);
    struct out_eve_counters c;
    out_eve_get_counters(e, &c);
    assert_int_equal(c.alert, 0);
    char *text = close_eve(e);
    assert_string_equal(text, "");
    free(text);
}

static void test_out_eve_alert_counts_several(void **state)
{
    (void)state;
    struct det_rule r;
    struct flow f;
    struct packet p;
    struct det_alert a;
    make_rule(&r);
    make_tcp_flow(&f);
    make_tcp_packet(&p, &f, 0);
    make_alert(&a, &r, &f, &p, 0);
    out_eve_t *e = open_eve();
    for (int i = 0; i < 5; i++)
        out_eve_alert(e, &a);
    struct out_eve_counters c;
    out_eve_get_counters(e, &c);
    assert_int_equal(c.alert, 5);
    char *text = close_eve(e);
    size_t lines = 0;
    for (char *s = text; *s; s++)
        lines += *s == '\n';
    assert_int_equal(lines, 5);
    free(text);
}

static void test_out_eve_stats_detect(void **state)
{
    (void)state;
    struct det_stats ds = {
        .alerts = 11,
        .alerts_suppressed = 4,
        .pass = 2,
        .inspected_pkts = 100,
        .inspected_chunks = 20,
        .inspected_records = 9,
        .candidates = 50,
        .matches = 15,
        .pcre_errors = 1,
        .flowvar_memcap_hits = 0,
        .flowvar_memuse = 4096,
        .threshold_entries = 3,
        .threshold_evicted = 0,
        .xbits_entries = 1,
        .xbits_evicted = 0,
    };
    struct det_rule r;
    struct flow f;
    struct packet p;
    struct det_alert a;
    make_rule(&r);
    make_tcp_flow(&f);
    make_tcp_packet(&p, &f, 0);
    make_alert(&a, &r, &f, &p, 0);

    out_eve_t *e = open_eve();
    out_eve_alert(e, &a);
    /* The other layers' counters at zero: a complete stats event for the schema check. */
    static struct cap_stats cap;
    static struct dec_stats dec;
    static struct flow_stats fs;
    static struct stream_stats ss;
    static struct app_stats as;
    static struct out_sink_stats sink;
    struct out_stats_input in = {.ts_ns = f.last_ns,
                                 .uptime_s = 5,
                                 .cap = &cap,
                                 .dec = &dec,
                                 .flow = &fs,
                                 .stream = &ss,
                                 .app = &as,
                                 .sink = &sink,
                                 .det = &ds};
    out_eve_stats(e, &in);
    in.det = NULL;
    out_eve_stats(e, &in);
    char *text = close_eve(e);
    char *l1 = strchr(text, '\n');
    assert_non_null(l1);
    *l1++ = '\0';
    char *l2 = strchr(l1, '\n');
    assert_non_null(l2);
    *l2++ = '\0';
    char *l3 = strchr(l2, '\n');
    assert_non_null(l3);
    *l3 = '\0';

    expect_str(l1, "event_type", "stats");
    expect_raw(l1, "stats.detect",
               "{\"alert\":11,\"alert_queue_overflow\":0,\"alerts_suppressed\":4}");
    expect_raw(l1, "mamori.detect.pass", "2");
    expect_raw(l1, "mamori.detect.inspected_pkts", "100");
    expect_raw(l1, "mamori.detect.inspected_chunks", "20");
    expect_raw(l1, "mamori.detect.inspected_records", "9");
    expect_raw(l1, "mamori.detect.candidates", "50");
    expect_raw(l1, "mamori.detect.matches", "15");
    expect_raw(l1, "mamori.detect.pcre_errors", "1");
    expect_raw(l1, "mamori.detect.flowvar_memcap_hits", "0");
    expect_raw(l1, "mamori.detect.flowvar_memuse", "4096");
    expect_raw(l1, "mamori.detect.threshold_entries", "3");
    expect_raw(l1, "mamori.detect.xbits_entries", "1");
    expect_raw(l1, "mamori.eve.alert", "1");

    expect_absent(l2, "stats.detect");
    expect_absent(l2, "mamori.detect");
    expect_raw(l2, "mamori.eve.alert", "1");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_eve_alert_tcp_packet),
        cmocka_unit_test(test_out_eve_alert_to_client_keeps_flow_view),
        cmocka_unit_test(test_out_eve_alert_icmp_no_ports),
        cmocka_unit_test(test_out_eve_alert_http_record),
        cmocka_unit_test(test_out_eve_alert_drop_rule_with_record_merges_mamori),
        cmocka_unit_test(test_out_eve_alert_rule_actions),
        cmocka_unit_test(test_out_eve_alert_metadata_grouping),
        cmocka_unit_test(test_out_eve_alert_metadata_many_pairs_bounded),
        cmocka_unit_test(test_out_eve_alert_category_severity),
        cmocka_unit_test(test_out_eve_alert_target),
        cmocka_unit_test(test_out_eve_alert_dns_record_tx_id),
        cmocka_unit_test(test_out_eve_alert_file_record_app_proto),
        cmocka_unit_test(test_out_eve_alert_oversize_record_omitted),
        cmocka_unit_test(test_out_eve_alert_escapes_and_null_rule),
        cmocka_unit_test(test_out_eve_alert_counts_several),
        cmocka_unit_test(test_out_eve_stats_detect),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
