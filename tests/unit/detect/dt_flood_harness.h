/*
 * Test harness of the T4 detectors (test_dt_flood.c, test_dt_latency.c): one detector of the
 * detector host (dtr_new, every other detector turned off), a real flow table in front of it
 * (flow ends reach dtr_flow_end), hand-made packets (addresses, ports, flags, payload length,
 * time) or a capture file replayed through capture -> decode -> flow -> detectors, and the
 * alerts collected with their "mamori" JSON for the evidence checks.
 */
#ifndef MM_TESTS_DT_FLOOD_HARNESS_H
#define MM_TESTS_DT_FLOOD_HARNESS_H

#include "capture/capture.h"
#include "core/mm.h"
#include "decode/decode.h"
#include "detect/dtr_int.h"
#include "detect/rule.h"
#include "flow/flow.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1713830400ull * SEC) /* 2024-04-23T00:00:00Z */
#define HN_MAX_ALERTS 1024
#define HN_MAX_SETTINGS 48

struct hn_alert {
    uint32_t sid;
    char src[64], dst[64];
    uint16_t sport, dport;
    uint8_t proto;
    bool update;
    uint64_t ts_ns;
    char *json; /* the mamori object, NUL-terminated */
};

struct hn {
    dtr_host_t *h;
    dec_ctx_t *dec;
    flow_table_t *ft;
    struct hn_alert al[HN_MAX_ALERTS];
    size_t n;
    uint64_t now;
    struct dtr_setting set[HN_MAX_SETTINGS];
    char keys[HN_MAX_SETTINGS][64], vals[HN_MAX_SETTINGS][256];
    size_t n_set;
    uint8_t payload[1500];
};

static inline bool hn_on_alert(void *u, const struct det_alert *a)
{
    struct hn *H = u;
    if (H->n >= HN_MAX_ALERTS)
        return true;
    struct hn_alert *r = &H->al[H->n++];
    r->sid = a->rule->sid;
    dec_addr_str(&a->src, a->ip_ver, r->src, sizeof r->src);
    dec_addr_str(&a->dst, a->ip_ver, r->dst, sizeof r->dst);
    r->sport = a->sport;
    r->dport = a->dport;
    r->proto = a->proto;
    r->ts_ns = a->ts_ns;
    r->json = malloc(a->mamori_len + 1);
    if (r->json) {
        memcpy(r->json, a->mamori_json, a->mamori_len);
        r->json[a->mamori_len] = 0;
    }
    r->update = r->json && strstr(r->json, "\"update\":true") != NULL;
    return true;
}

static inline void hn_on_flow_end(const struct flow *f, enum flow_end_reason reason, void *u)
{
    (void)reason;
    struct hn *H = u;
    if (H->h)
        dtr_flow_end(H->h, f);
}

/*
 * A harness for detector `name` with "param=value" settings over its defaults and the
 * enrichment en (may be NULL; must outlive the harness). Returns NULL with err filled when
 * dtr_new refuses the settings.
 */
static inline struct hn *hn_try_new_en(const char *name, uint64_t update_interval_ns,
                                       const char *const *kv, size_t n_kv, enrich_t *en, char *err,
                                       size_t errlen)
{
    struct hn *H = calloc(1, sizeof *H);
    if (!H)
        return NULL;
    for (size_t k = 0; k < dtr_registry_len && H->n_set < HN_MAX_SETTINGS; k++) {
        const struct dtr_ops *o = dtr_registry[k];
        if (!o || !strcmp(o->name, name))
            continue;
        H->set[H->n_set++] =
            (struct dtr_setting){.detector = o->name, .param = "enabled", .value = "no"};
    }
    for (size_t i = 0; i < n_kv && H->n_set < HN_MAX_SETTINGS; i++) {
        const char *eq = strchr(kv[i], '=');
        if (!eq)
            continue;
        size_t j = H->n_set;
        snprintf(H->keys[j], sizeof H->keys[j], "%.*s", (int)(eq - kv[i]), kv[i]);
        snprintf(H->vals[j], sizeof H->vals[j], "%s", eq + 1);
        H->set[H->n_set++] =
            (struct dtr_setting){.detector = name, .param = H->keys[j], .value = H->vals[j]};
    }
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    cfg.update_interval_ns = update_interval_ns;
    cfg.settings = H->set;
    cfg.n_settings = H->n_set;
    H->h = dtr_new(&cfg, en, hn_on_alert, H, err, errlen);
    if (!H->h) {
        free(H);
        return NULL;
    }
    struct dec_config dc;
    dec_config_defaults(&dc);
    H->dec = dec_ctx_new(&dc);
    struct flow_config fc;
    flow_config_defaults(&fc);
    H->ft = flow_table_new(&fc, hn_on_flow_end, H);
    return H;
}

/* The same without enrichment. */
static inline struct hn *hn_try_new(const char *name, uint64_t update_interval_ns,
                                    const char *const *kv, size_t n_kv, char *err, size_t errlen)
{
    return hn_try_new_en(name, update_interval_ns, kv, n_kv, NULL, err, errlen);
}

static inline void hn_free(struct hn *H)
{
    if (!H)
        return;
    dtr_host_t *h = H->h;
    flow_table_free(H->ft); /* ends the remaining flows into the detectors first */
    H->h = NULL;
    dtr_free(h);
    dec_ctx_free(H->dec);
    for (size_t i = 0; i < H->n; i++)
        free(H->al[i].json);
    free(H);
}

static inline void hn_addr4(struct mm_addr *a, uint32_t ip)
{
    memset(a, 0, sizeof *a);
    a->b[0] = (uint8_t)(ip >> 24);
    a->b[1] = (uint8_t)(ip >> 16);
    a->b[2] = (uint8_t)(ip >> 8);
    a->b[3] = (uint8_t)ip;
}

/* One hand-made IPv4 TCP, UDP or ICMP packet through the flow table into the detectors. The flow
 * it landed on is returned (NULL when `no_flow`: the packet is given without one). */
struct hn_pkt {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto; /* 6 or 17, or 1 / 58 (ICMP, ICMPv6) */
    uint8_t flags; /* TCP flags */
    uint8_t icmp_type, icmp_code;
    uint32_t plen; /* payload bytes */
    uint64_t ts_ns;
    bool no_flow;
    const struct mm_addr *src6, *dst6; /* IPv6 instead when both set */
    const char *text; /* the payload's first bytes (the rest is zeros); NULL: all zeros */
};

static inline const struct flow *hn_send(struct hn *H, const struct hn_pkt *x)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    if (x->src6 && x->dst6) {
        p.ip_ver = 6;
        p.src = *x->src6;
        p.dst = *x->dst6;
    } else {
        p.ip_ver = 4;
        hn_addr4(&p.src, x->src);
        hn_addr4(&p.dst, x->dst);
    }
    p.proto = x->proto;
    p.flags = PKT_F_L4;
    p.sport = x->sport;
    p.dport = x->dport;
    p.tcp_flags = x->flags;
    p.icmp_type = x->icmp_type;
    p.icmp_code = x->icmp_code;
    p.payload = H->payload;
    p.payload_len = x->plen > sizeof H->payload ? (uint32_t)sizeof H->payload : x->plen;
    memset(H->payload, 0, p.payload_len);
    if (x->text)
        memcpy(H->payload, x->text, MM_MIN(strlen(x->text), (size_t)p.payload_len));
    p.caplen = p.wirelen = 54 + p.payload_len;
    p.ts_ns = x->ts_ns;
    if (x->ts_ns > H->now)
        H->now = x->ts_ns;
    dtr_time(H->h, x->ts_ns);
    if (x->no_flow) {
        dtr_packet(H->h, NULL, 0, &p);
        return NULL;
    }
    enum flow_dir dir = FLOW_TOSERVER;
    flow_expire(H->ft, x->ts_ns);
    struct flow *f = flow_handle_packet(H->ft, &p, &dir);
    dtr_packet(H->h, f, f ? (int)dir : 0, &p);
    return f;
}

/* TCP shorthand. */
static inline const struct flow *hn_tcp(struct hn *H, uint32_t src, uint16_t sport, uint32_t dst,
                                        uint16_t dport, uint8_t flags, uint32_t plen,
                                        uint64_t ts_ns)
{
    struct hn_pkt x = {.src = src,
                       .dst = dst,
                       .sport = sport,
                       .dport = dport,
                       .proto = 6,
                       .flags = flags,
                       .plen = plen,
                       .ts_ns = ts_ns};
    return hn_send(H, &x);
}

/* TCP with the payload starting with text. */
static inline const struct flow *hn_tcp_text(struct hn *H, uint32_t src, uint16_t sport,
                                             uint32_t dst, uint16_t dport, uint8_t flags,
                                             uint32_t plen, uint64_t ts_ns, const char *text)
{
    struct hn_pkt x = {.src = src,
                       .dst = dst,
                       .sport = sport,
                       .dport = dport,
                       .proto = 6,
                       .flags = flags,
                       .plen = plen,
                       .ts_ns = ts_ns,
                       .text = text};
    return hn_send(H, &x);
}

static inline const struct flow *hn_udp(struct hn *H, uint32_t src, uint16_t sport, uint32_t dst,
                                        uint16_t dport, uint32_t plen, uint64_t ts_ns)
{
    struct hn_pkt x = {.src = src,
                       .dst = dst,
                       .sport = sport,
                       .dport = dport,
                       .proto = 17,
                       .plen = plen,
                       .ts_ns = ts_ns};
    return hn_send(H, &x);
}

/* End of input: every flow ends, detectors report what is pending. */
static inline void hn_finish(struct hn *H)
{
    flow_end_all(H->ft, FLOW_END_SHUTDOWN);
    dtr_finish(H->h, H->now);
}

/* A capture through decode -> flow -> detectors; false when the file is not there. */
static inline bool hn_replay(struct hn *H, const char *path)
{
    if (access(path, R_OK) != 0)
        return false;
    char err[512];
    cap_source_t *src = cap_open_file(path, err, sizeof err);
    if (!src)
        return false;
    struct cap_pkt cp;
    while (cap_next(src, &cp) == 1) {
        struct packet p;
        memset(&p, 0, sizeof p);
        p.data = cp.data;
        p.caplen = cp.caplen;
        p.wirelen = cp.wirelen;
        p.ts_ns = cp.ts_ns;
        p.pkt_no = cp.pkt_no;
        p.linktype = cp.linktype;
        dec_packet(H->dec, &p);
        if (p.ts_ns > H->now)
            H->now = p.ts_ns;
        dtr_time(H->h, p.ts_ns);
        enum flow_dir dir = FLOW_TOSERVER;
        struct flow *f = flow_handle_packet(H->ft, &p, &dir);
        dtr_packet(H->h, f, f ? (int)dir : 0, &p);
    }
    cap_close(src);
    hn_finish(H);
    return true;
}

static inline size_t hn_count(const struct hn *H, uint32_t sid)
{
    size_t n = 0;
    for (size_t i = 0; i < H->n; i++)
        n += H->al[i].sid == sid;
    return n;
}

/* The first alert with sid, or NULL. */
static inline const struct hn_alert *hn_find(const struct hn *H, uint32_t sid)
{
    for (size_t i = 0; i < H->n; i++)
        if (H->al[i].sid == sid)
            return &H->al[i];
    return NULL;
}

/* The number after "key": in the JSON text (the first such member), NAN when absent or not a
 * number. Enough for the flat evidence members the tests read. */
static inline double hn_num(const char *json, const char *key)
{
    char pat[96];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p)
        return NAN;
    p += strlen(pat);
    char *end;
    double v = strtod(p, &end);
    return end == p ? NAN : v;
}

static inline bool hn_has(const char *json, const char *text)
{
    return json && strstr(json, text) != NULL;
}

#endif
