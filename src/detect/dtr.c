/*
 * The detector host: settings, signatures, alert emission and the report schedule shared by
 * every built-in detector (dtr.h, dtr_int.h).
 */
#include "detect/dtr_int.h"

#include "core/cfg.h"
#include "core/log.h"
#include "core/mm.h"
#include "core/timefmt.h"
#include "detect/rule.h"
#include "detect/rule_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef MM_DATA_DIR
#define MM_DATA_DIR "/usr/share/mamori"
#endif

/* Evidence and the mamori members of one alert; larger evidence is cut (the alert stays). */
#define DTR_EVIDENCE_MAX (32u << 10)

struct dtr {
    const struct dtr_ops *ops;
    struct dtr_host *h;
    void *cfg;                         /* the detector's config struct (ops->cfg_size) */
    void *st;                          /* what init returned */
    bool enabled;
    const struct det_rule **rules;     /* per signature */
    uint64_t alerts, updates;
    uint64_t held_back;                /* of those, not written (the callback said so) */
    char **strings;                    /* DTR_P_STRING values we own */
    size_t n_strings;
};

/* One enabled detector's callback of one kind, with what it needs: the feeds walk dense arrays
 * of these, built once at dtr_new, instead of testing every registered detector per packet. */
struct dtr_pkt_cb {
    void (*fn)(void *st, struct dtr *d, const struct flow *f, int dir, const struct packet *p);
    void *st;
    struct dtr *d;
};
struct dtr_rec_cb {
    void (*fn)(void *st, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
               enum app_record_kind kind, const void *rec);
    void *st;
    struct dtr *d;
};
struct dtr_end_cb {
    void (*fn)(void *st, struct dtr *d, const struct flow *f);
    void *st;
    struct dtr *d;
};

struct dtr_host {
    struct dtr_config cfg;
    enrich_t *en;
    det_alert_cb cb;
    void *user;
    struct det_ruleset *rs;            /* every detector's signatures */
    struct dtr d[DTR_MAX_DETECTORS];
    size_t n;
    struct jb ev;                      /* evidence of the alert being built */
    struct jb mam;                     /* the mamori members handed to the writer */
    bool building;                     /* between dtr_alert_begin and dtr_alert_emit */
    uint64_t next_tick_ns;
    uint64_t now_ns;
    struct dtr_pkt_cb pkt_cb[DTR_PC_COUNT][DTR_MAX_DETECTORS]; /* per packet class */
    struct dtr_rec_cb rec_cb[DTR_MAX_DETECTORS];
    struct dtr_end_cb end_cb[DTR_MAX_DETECTORS];
    size_t n_pkt_cb[DTR_PC_COUNT], n_rec_cb, n_end_cb;
};

void dtr_config_defaults(struct dtr_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->enabled = true;
    cfg->update_interval_ns = 600ull * DTR_NS_PER_S;
}

const char *dtr_default_data_dir(void)
{
    return MM_DATA_DIR;
}

/* --- settings -------------------------------------------------------------------------- */

/* "500ms", "30s", "10m", "2h", "1d", bare seconds; fractions allowed ("1.5s"). */
static bool parse_duration(const char *s, double *secs)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || !isfinite(v) || v < 0)
        return false;
    while (*end == ' ')
        end++;
    double mul = 1;
    if (!*end || !strcasecmp(end, "s"))
        mul = 1;
    else if (!strcasecmp(end, "ms"))
        mul = 0.001;
    else if (!strcasecmp(end, "m") || !strcasecmp(end, "min"))
        mul = 60;
    else if (!strcasecmp(end, "h"))
        mul = 3600;
    else if (!strcasecmp(end, "d"))
        mul = 86400;
    else
        return false;
    *secs = v * mul;
    return true;
}

bool dtr_parse_duration(const char *s, uint64_t *ns)
{
    double secs;
    if (!parse_duration(s, &secs) || secs > 1e9)
        return false;
    *ns = (uint64_t)(secs * 1e9 + 0.5);
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; i < MM_ARRAY_LEN(yes); i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

static int set_param(struct dtr *d, const struct dtr_param *p, const char *v, char *err,
                     size_t errlen)
{
    unsigned char *base = (unsigned char *)d->cfg + p->offset;
    double num = 0;
    uint64_t u = 0;
    char *end = NULL;
    switch (p->type) {
    case DTR_P_U32:
    case DTR_P_U64:
        errno = 0;
        u = strtoull(v, &end, 10);
        if (!*v || *end || errno || v[0] == '-')
            goto bad;
        num = (double)u;
        break;
    case DTR_P_SIZE:
        if (!cfg_parse_size(v, &u))
            goto bad;
        num = (double)u;
        break;
    case DTR_P_DURATION:
        if (!parse_duration(v, &num))
            goto bad;
        break;
    case DTR_P_DOUBLE:
        errno = 0;
        num = strtod(v, &end);
        if (!*v || *end || errno || !isfinite(num))
            goto bad;
        break;
    case DTR_P_BOOL: {
        bool b;
        if (!parse_bool(v, &b))
            goto bad;
        memcpy(base, &b, sizeof b);
        return 0;
    }
    case DTR_P_STRING: {
        char *copy = strdup(v);
        char **ns = copy ? realloc(d->strings, (d->n_strings + 1) * sizeof *ns) : NULL;
        if (!ns) {
            free(copy);
            snprintf(err, errlen, "out of memory");
            return MM_ENOMEM;
        }
        d->strings = ns;
        d->strings[d->n_strings++] = copy;
        const char *c = copy;
        memcpy(base, &c, sizeof c);
        return 0;
    }
    }
    if (num < p->min || num > p->max) {
        snprintf(err, errlen, "detectors.%s.%s: %s is outside %g..%g", d->ops->name, p->name, v,
                 p->min, p->max);
        return MM_EINVAL;
    }
    switch (p->type) {
    case DTR_P_U32: {
        uint32_t x = (uint32_t)u;
        memcpy(base, &x, sizeof x);
        break;
    }
    case DTR_P_U64: memcpy(base, &u, sizeof u); break;
    case DTR_P_SIZE: {
        size_t x = (size_t)u;
        memcpy(base, &x, sizeof x);
        break;
    }
    case DTR_P_DURATION: {
        uint64_t ns = (uint64_t)(num * 1e9 + 0.5);
        memcpy(base, &ns, sizeof ns);
        break;
    }
    case DTR_P_DOUBLE: memcpy(base, &num, sizeof num); break;
    default: break;
    }
    return 0;
bad:
    snprintf(err, errlen, "detectors.%s.%s: cannot read '%s' (%s)", d->ops->name, p->name, v,
             p->type == DTR_P_DURATION ? "a duration such as 30s, 10m or 2h"
             : p->type == DTR_P_SIZE   ? "a size such as 4mb"
             : p->type == DTR_P_BOOL   ? "yes or no"
                                       : "a number");
    return MM_EINVAL;
}

static const struct dtr_param *find_param(const struct dtr_ops *o, const char *name)
{
    for (size_t i = 0; i < o->n_params; i++)
        if (!strcmp(o->params[i].name, name))
            return &o->params[i];
    return NULL;
}

/* Defaults from the tables, then the configured settings of this detector. */
static int configure(struct dtr *d, const struct dtr_config *cfg, char *err, size_t errlen)
{
    const struct dtr_ops *o = d->ops;
    d->enabled = true;
    for (size_t i = 0; i < o->n_params; i++)
        if (set_param(d, &o->params[i], o->params[i].def, err, errlen) != 0)
            return MM_EINVAL; /* a wrong default in a table: our bug, reported */
    for (size_t i = 0; i < cfg->n_settings; i++) {
        const struct dtr_setting *s = &cfg->settings[i];
        if (strcmp(s->detector, o->name) != 0)
            continue;
        char e[256];
        int rc;
        if (!strcmp(s->param, "enabled")) {
            rc = parse_bool(s->value, &d->enabled) ? 0 : MM_EINVAL;
            if (rc)
                snprintf(e, sizeof e, "detectors.%s.enabled: expected yes or no", o->name);
        } else {
            const struct dtr_param *p = find_param(o, s->param);
            if (!p) {
                snprintf(e, sizeof e, "detectors.%s.%s: no such setting (see docs/detectors.md)",
                         o->name, s->param);
                rc = MM_EINVAL;
            } else {
                rc = set_param(d, p, s->value, e, sizeof e);
            }
        }
        if (rc) {
            if (s->line)
                snprintf(err, errlen, "line %u: %s", s->line, e);
            else
                snprintf(err, errlen, "%s", e);
            return rc;
        }
    }
    return 0;
}

static int check_settings(const struct dtr_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < cfg->n_settings; i++) {
        const struct dtr_setting *s = &cfg->settings[i];
        bool found = false;
        for (size_t k = 0; k < dtr_registry_len && !found; k++)
            found = dtr_registry[k] && !strcmp(dtr_registry[k]->name, s->detector);
        if (!found) {
            if (s->line)
                snprintf(err, errlen, "line %u: detectors.%s: no such detector (see "
                         "docs/detectors.md)", s->line, s->detector);
            else
                snprintf(err, errlen, "detectors.%s: no such detector (see docs/detectors.md)",
                         s->detector);
            return MM_EINVAL;
        }
    }
    return 0;
}

static void dtr_strings_free(struct dtr *d)
{
    for (size_t i = 0; i < d->n_strings; i++)
        free(d->strings[i]);
    free(d->strings);
    d->strings = NULL;
    d->n_strings = 0;
}

int dtr_check_config(const struct dtr_config *cfg, char *err, size_t errlen)
{
    int rc = check_settings(cfg, err, errlen);
    for (size_t k = 0; rc == 0 && k < dtr_registry_len; k++) {
        if (!dtr_registry[k])
            continue;
        struct dtr d;
        memset(&d, 0, sizeof d);
        d.ops = dtr_registry[k];
        d.cfg = calloc(1, d.ops->cfg_size ? d.ops->cfg_size : 1);
        if (!d.cfg) {
            snprintf(err, errlen, "out of memory");
            return MM_ENOMEM;
        }
        rc = configure(&d, cfg, err, errlen);
        dtr_strings_free(&d);
        free(d.cfg);
    }
    return rc;
}

/* --- signatures ------------------------------------------------------------------------ */

static int sig_text(char *out, size_t outlen, const struct dtr_ops *o, size_t i)
{
    const struct dtr_sig *s = &o->sigs[i];
    return snprintf(out, outlen,
                    "alert ip any any -> any any (msg:\"%s\"; gid:%u; sid:%u; rev:1; "
                    "classtype:%s; priority:%d; metadata:mamori_threat %s, mamori_detector %s, "
                    "mamori_variant %s;)",
                    s->msg, DTR_GID, o->sid_base + (uint32_t)i, s->classtype, s->priority,
                    o->threat, o->name, s->variant);
}

void dtr_print_signatures(FILE *out)
{
    char line[1024];
    for (size_t k = 0; k < dtr_registry_len; k++) {
        const struct dtr_ops *o = dtr_registry[k];
        if (!o)
            continue;
        fprintf(out, "# %s (%s): %s\n", o->name, o->threat, o->summary);
        for (size_t i = 0; i < o->n_sigs; i++) {
            sig_text(line, sizeof line, o, i);
            fprintf(out, "%s\n", line);
        }
    }
}

/* Parse every detector's signatures into one ruleset and point each detector at its rules. */
static int load_signatures(struct dtr_host *h, char *err, size_t errlen)
{
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    if (!text)
        goto oom;
    for (size_t k = 0; k < h->n; k++) {
        const struct dtr_ops *o = h->d[k].ops;
        for (size_t i = 0; i < o->n_sigs; i++) {
            char line[1024];
            int n = sig_text(line, sizeof line, o, i);
            if (n < 0 || (size_t)n >= sizeof line)
                goto internal;
            if (len + (size_t)n + 2 > cap) {
                char *nt = realloc(text, cap * 2);
                if (!nt)
                    goto oom;
                text = nt;
                cap *= 2;
            }
            memcpy(text + len, line, (size_t)n);
            len += (size_t)n;
            text[len++] = '\n';
        }
    }
    text[len] = 0;
    h->rs = calloc(1, sizeof *h->rs);
    if (!h->rs)
        goto oom;
    struct det_parse_opts po;
    if (h->cfg.parse)
        po = *h->cfg.parse;
    else
        memset(&po, 0, sizeof po);
    po.addr_vars = NULL; /* the signatures name no variables */
    po.n_addr_vars = 0;
    po.port_vars = NULL;
    po.n_port_vars = 0;
    if (det_load_string(&po, "built-in detectors", text, len, h->rs, err, errlen) != 0)
        goto fail;
    if (h->rs->n_skips)
        goto internal;
    uint32_t r = 0;
    for (size_t k = 0; k < h->n; k++) {
        struct dtr *d = &h->d[k];
        d->rules = calloc(d->ops->n_sigs ? d->ops->n_sigs : 1, sizeof *d->rules);
        if (!d->rules)
            goto oom;
        for (size_t i = 0; i < d->ops->n_sigs; i++) {
            if (r >= h->rs->n_rules)
                goto internal;
            d->rules[i] = h->rs->rules[r++];
        }
    }
    free(text);
    return 0;
internal:
    snprintf(err, errlen, "built-in detector signatures do not parse%s%s",
             h->rs && h->rs->n_skips ? ": " : "",
             h->rs && h->rs->n_skips ? h->rs->skips[0].reason : "");
    goto fail;
oom:
    snprintf(err, errlen, "out of memory loading the detectors");
fail:
    free(text);
    return MM_EINVAL;
}

/* --- life cycle ------------------------------------------------------------------------ */

dtr_host_t *dtr_new(const struct dtr_config *cfg, enrich_t *en, det_alert_cb cb, void *user,
                    char *err, size_t errlen)
{
    if (check_settings(cfg, err, errlen) != 0)
        return NULL;
    struct dtr_host *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->cfg = *cfg;
    h->en = en;
    h->cb = cb;
    h->user = user;
    if (jb_init(&h->ev, 4096, DTR_EVIDENCE_MAX) != 0 ||
        jb_init(&h->mam, 4096, DTR_EVIDENCE_MAX + 1024) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    MM_ASSERT(dtr_registry_len <= DTR_MAX_DETECTORS);
    for (size_t k = 0; k < dtr_registry_len; k++) {
        if (!dtr_registry[k])
            continue;
        struct dtr *d = &h->d[h->n++];
        d->ops = dtr_registry[k];
        d->h = h;
        d->cfg = calloc(1, d->ops->cfg_size ? d->ops->cfg_size : 1);
        if (!d->cfg) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (configure(d, cfg, err, errlen) != 0)
            goto fail;
        if (!cfg->enabled)
            d->enabled = false;
    }
    if (load_signatures(h, err, errlen) != 0)
        goto fail;
    for (size_t k = 0; k < h->n; k++) {
        struct dtr *d = &h->d[k];
        if (!d->enabled)
            continue;
        char e[512] = "";
        d->st = d->ops->init(d, d->cfg, e, sizeof e);
        if (!d->st) {
            snprintf(err, errlen, "detector %s: %s", d->ops->name, e[0] ? e : "out of memory");
            goto fail;
        }
        uint32_t classes = d->ops->packet_classes ? d->ops->packet_classes : DTR_PC_ALL;
        for (int c = 0; d->ops->packet && c < DTR_PC_COUNT; c++)
            if (classes & DTR_PC_BIT(c))
                h->pkt_cb[c][h->n_pkt_cb[c]++] = (struct dtr_pkt_cb){d->ops->packet, d->st, d};
        if (d->ops->record)
            h->rec_cb[h->n_rec_cb++] = (struct dtr_rec_cb){d->ops->record, d->st, d};
        if (d->ops->flow_end)
            h->end_cb[h->n_end_cb++] = (struct dtr_end_cb){d->ops->flow_end, d->st, d};
    }
    return h;
fail:
    dtr_free(h);
    return NULL;
}

void dtr_free(dtr_host_t *h)
{
    if (!h)
        return;
    for (size_t k = 0; k < h->n; k++) {
        struct dtr *d = &h->d[k];
        if (d->st && d->ops->fini)
            d->ops->fini(d->st);
        dtr_strings_free(d);
        free(d->rules);
        free(d->cfg);
    }
    det_ruleset_free(h->rs);
    jb_fini(&h->ev);
    jb_fini(&h->mam);
    free(h);
}

int dtr_reload(dtr_host_t *h, char *err, size_t errlen)
{
    for (size_t k = 0; k < h->n; k++) {
        struct dtr *d = &h->d[k];
        if (d->st && d->ops->reload) {
            char e[512] = "";
            if (d->ops->reload(d->st, d, e, sizeof e) != 0) {
                snprintf(err, errlen, "detector %s: %s", d->ops->name, e);
                return -1;
            }
        }
    }
    return 0;
}

/* --- feeds ----------------------------------------------------------------------------- */

#define FOR_ENABLED(h, d, cbname)                                                                  \
    for (struct dtr *d = (h)->d; d < (h)->d + (h)->n; d++)                                         \
        if (d->st && d->ops->cbname)

static int dtr_packet_class(const struct flow *f, int dir, const struct packet *p)
{
    bool first = !f || (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT) || f->pkts[dir] <= 1;
    if (!(p->flags & PKT_F_L4))
        return first ? DTR_PC_OTHER_FIRST : DTR_PC_OTHER_MORE;
    if (p->proto == 6) {
        if (first || (p->tcp_flags & (TCP_SYN | TCP_RST)) || f->pkts[dir] <= 2)
            return DTR_PC_TCP_EDGE;
        return p->payload_len ? DTR_PC_TCP_DATA : DTR_PC_TCP_ACK;
    }
    if (p->proto == 17)
        return first ? DTR_PC_UDP_FIRST : DTR_PC_UDP_MORE;
    return first ? DTR_PC_OTHER_FIRST : DTR_PC_OTHER_MORE;
}

static void dtr_tick(dtr_host_t *h, uint64_t now_ns) __attribute__((noinline));

static inline void dtr_packet_inline(dtr_host_t *h, const struct flow *f, int dir,
                                     const struct packet *p)
{
    int pc = dtr_packet_class(f, dir, p);
    const struct dtr_pkt_cb *c = h->pkt_cb[pc], *end = c + h->n_pkt_cb[pc];
    for (; c < end; c++)
        c->fn(c->st, c->d, f, dir, p);
}

void dtr_packet(dtr_host_t *h, const struct flow *f, int dir, const struct packet *p)
{
    dtr_packet_inline(h, f, dir, p);
}

void dtr_feed_packet(dtr_host_t *h, const struct flow *f, int dir, const struct packet *p)
{
    /* dtr_time, inline: this runs for every packet */
    if (p->ts_ns > h->now_ns)
        h->now_ns = p->ts_ns;
    if (MM_UNLIKELY(p->ts_ns >= h->next_tick_ns))
        dtr_tick(h, p->ts_ns);
    dtr_packet_inline(h, f, dir, p);
}

void dtr_record(dtr_host_t *h, const struct flow *f, int dir, uint64_t ts_ns,
                enum app_record_kind kind, const void *rec)
{
    const struct dtr_rec_cb *c = h->rec_cb, *end = c + h->n_rec_cb;
    for (; c < end; c++)
        c->fn(c->st, c->d, f, dir, ts_ns, kind, rec);
}

void dtr_flow_end(dtr_host_t *h, const struct flow *f)
{
    const struct dtr_end_cb *c = h->end_cb, *end = c + h->n_end_cb;
    for (; c < end; c++)
        c->fn(c->st, c->d, f);
}

void dtr_password(void *hv, const struct flow *f, const struct app_login *login,
                  const uint8_t *pw, size_t pw_len)
{
    dtr_host_t *h = hv;
    FOR_ENABLED(h, d, password)
    d->ops->password(d->st, d, f, login, pw, pw_len);
}

void dtr_message(void *hv, const struct flow *f, int dir, uint64_t ts_ns, enum app_proto proto,
                 const struct mime_email *email)
{
    dtr_host_t *h = hv;
    FOR_ENABLED(h, d, message)
    d->ops->message(d->st, d, f, dir, ts_ns, proto, email);
}

/* Once a second of packet time: each detector's tick. */
static void dtr_tick(dtr_host_t *h, uint64_t now_ns)
{
    h->next_tick_ns = now_ns - now_ns % DTR_NS_PER_S + DTR_NS_PER_S;
    FOR_ENABLED(h, d, tick)
    d->ops->tick(d->st, d, now_ns);
}

void dtr_time(dtr_host_t *h, uint64_t now_ns)
{
    if (now_ns > h->now_ns)
        h->now_ns = now_ns;
    if (MM_UNLIKELY(now_ns >= h->next_tick_ns))
        dtr_tick(h, now_ns);
}

void dtr_finish(dtr_host_t *h, uint64_t now_ns)
{
    FOR_ENABLED(h, d, finish)
    d->ops->finish(d->st, d, now_ns);
}

size_t dtr_get_stats(const dtr_host_t *h, struct dtr_det_stats *out, size_t max)
{
    size_t n = 0;
    for (size_t k = 0; k < h->n && n < max; k++) {
        const struct dtr *d = &h->d[k];
        struct dtr_det_stats *s = &out[n++];
        memset(s, 0, sizeof *s);
        if (d->st && d->ops->stats)
            d->ops->stats(d->st, s);
        s->name = d->ops->name;
        s->threat = d->ops->threat;
        s->enabled = d->st != NULL;
        s->alerts = d->alerts;
        s->updates = d->updates;
        s->held_back = d->held_back;
    }
    return n;
}

void dtr_get_metrics(const dtr_host_t *h, dtr_metric_cb cb, void *u)
{
    for (size_t k = 0; k < h->n; k++) {
        const struct dtr *d = &h->d[k];
        if (d->st && d->ops->metrics)
            d->ops->metrics(d->st, cb, u);
    }
}

/* --- services -------------------------------------------------------------------------- */

const struct dtr_config *dtr_host_config(const struct dtr *d)
{
    return &d->h->cfg;
}

enrich_t *dtr_enrich(const struct dtr *d)
{
    return d->h->en;
}

bool dtr_is_internal(const struct dtr *d, const struct mm_addr *a, int ip_ver)
{
    if (d->h->en)
        return enrich_is_internal(d->h->en, a, ip_ver);
    const uint8_t *b = a->b;
    if (ip_ver == 4)
        return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
               (b[0] == 192 && b[1] == 168) || (b[0] == 169 && b[1] == 254);
    return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

bool dtr_data_path(const struct dtr *d, const char *name, char *out, size_t outlen)
{
    const char *dir = d->h->cfg.data_dir ? d->h->cfg.data_dir : MM_DATA_DIR;
    int n = snprintf(out, outlen, "%s/%s", dir, name);
    return n > 0 && (size_t)n < outlen;
}

struct jb *dtr_alert_begin(struct dtr *d)
{
    struct jb *jb = &d->h->ev;
    jb_reset(jb);
    jb_open_object(jb, NULL);
    d->h->building = true;
    return jb;
}

void dtr_alert_emit(struct dtr *d, const struct dtr_alert_args *a)
{
    struct dtr_host *h = d->h;
    MM_ASSERT(h->building && a->sig < d->ops->n_sigs);
    h->building = false;
    struct jb *ev = &h->ev;
    jb_close_object(ev);
    struct jb *m = &h->mam;
    jb_reset(m);
    jb_open_object(m, NULL);
    jb_string(m, "threat", d->ops->threat);
    jb_string(m, "detector", d->ops->name);
    jb_string(m, "variant", d->ops->sigs[a->sig].variant);
    jb_bool(m, "update", a->update);
    if (jb_complete(ev))
        jb_raw(m, "evidence", jb_ptr(ev), jb_len(ev));
    else
        jb_bool(m, "evidence_truncated", true);
    jb_close_object(m);
    if (!jb_complete(m))
        return;
    if (a->update)
        d->updates++;
    else
        d->alerts++;
    struct det_alert al;
    memset(&al, 0, sizeof al);
    al.rule = d->rules[a->sig];
    al.rs = h->rs;
    al.flow = a->flow;
    al.ts_ns = a->ts_ns;
    al.src = a->src;
    al.dst = a->dst;
    al.sport = a->sport;
    al.dport = a->dport;
    al.ip_ver = a->ip_ver;
    al.proto = a->proto;
    al.app_proto = a->app_proto;
    al.rec_kind = a->rec_kind;
    al.rec = a->rec;
    al.mamori_json = jb_ptr(m);
    al.mamori_len = jb_len(m);
    if (h->cb && !h->cb(h->user, &al))
        d->held_back++;
}

enum dtr_due dtr_report_due(const struct dtr *d, struct dtr_report *r, uint64_t now_ns)
{
    if (!r->reports) {
        r->first_ns = r->last_ns = now_ns;
        r->reports = 1;
        return DTR_DUE_FIRST;
    }
    if (now_ns >= r->last_ns && now_ns - r->last_ns >= d->h->cfg.update_interval_ns) {
        r->last_ns = now_ns;
        r->reports++;
        return DTR_DUE_UPDATE;
    }
    return DTR_DUE_NO;
}

/* --- evidence helpers ------------------------------------------------------------------- */

const char *dtr_addr_str(const struct mm_addr *a, int ip_ver, char *out, size_t outlen)
{
    return dec_addr_str(a, ip_ver, out, outlen);
}

void dtr_ev_ip(struct jb *jb, const char *key, const struct mm_addr *a, int ip_ver)
{
    char s[64];
    jb_string(jb, key, dtr_addr_str(a, ip_ver, s, sizeof s));
}

void dtr_ev_ts(struct jb *jb, const char *key, uint64_t ts_ns)
{
    char s[64];
    mm_format_ts(s, sizeof s, ts_ns);
    jb_string(jb, key, s);
}

void dtr_ev_secs(struct jb *jb, const char *key, uint64_t ns)
{
    jb_double(jb, key, (double)ns / 1e9, 3);
}

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

void dtr_distinct_clear(struct dtr_distinct *c)
{
    c->n_exact = 0;
    c->sketch_set = 0;
    c->total_adds = 0;
    memset(c->sketch, 0, sizeof c->sketch);
}

bool dtr_distinct_add(struct dtr_distinct *c, uint32_t v)
{
    if (c->total_adds < UINT32_MAX)
        c->total_adds++;
    uint32_t bit = mix32(v) & 1023u;
    uint64_t mask = 1ull << (bit & 63);
    bool fresh_bit = !(c->sketch[bit >> 6] & mask);
    if (fresh_bit) {
        c->sketch[bit >> 6] |= mask;
        c->sketch_set++;
    }
    if (c->n_exact < DTR_DISTINCT_EXACT) {
        for (uint16_t i = 0; i < c->n_exact; i++)
            if (c->exact[i] == v)
                return false;
        c->exact[c->n_exact++] = v;
        return true;
    }
    return fresh_bit;
}

bool dtr_distinct_may_hold(const struct dtr_distinct *c, uint32_t v)
{
    for (uint16_t i = 0; i < c->n_exact; i++)
        if (c->exact[i] == v)
            return true;
    if (c->n_exact < DTR_DISTINCT_EXACT)
        return false;
    uint32_t bit = mix32(v) & 1023u;
    return (c->sketch[bit >> 6] >> (bit & 63)) & 1u;
}

#define DTR_SKETCH_WORDS (sizeof(((struct dtr_distinct *)0)->sketch) / 8)

void dtr_distinct_fold_into(const struct dtr_distinct *c, uint64_t *out, size_t words)
{
    for (size_t i = 0; i < DTR_SKETCH_WORDS; i++)
        out[i % words] |= c->sketch[i];
}

/* A value's bit in a fold of `words` words: its sketch bit, folded (words divide 16). */
static uint32_t dtr_fold_bit(uint32_t v, size_t words)
{
    return mix32(v) & (uint32_t)(words * 64 - 1);
}

void dtr_fold_add(uint64_t *fold, size_t words, uint32_t v)
{
    uint32_t bit = dtr_fold_bit(v, words);
    fold[bit >> 6] |= 1ull << (bit & 63);
}

unsigned dtr_fold_bits(const uint64_t *fold, size_t words)
{
    unsigned n = 0;
    for (size_t i = 0; i < words; i++)
        n += (unsigned)__builtin_popcountll(fold[i]);
    return n;
}

unsigned dtr_fold_common(const struct dtr_distinct *c, const uint64_t *other, size_t words,
                         unsigned *bits)
{
    uint64_t mine[DTR_SKETCH_WORDS] = {0};
    dtr_distinct_fold_into(c, mine, words);
    unsigned common = 0;
    *bits = 0;
    for (size_t i = 0; i < words; i++) {
        *bits += (unsigned)__builtin_popcountll(mine[i]);
        common += (unsigned)__builtin_popcountll(mine[i] & other[i]);
    }
    return common;
}

/* Linear counting: n = -m ln(empty / m) for every possible number of bits set (a full sketch
 * is reported at its bound). Counts are asked for on hot paths (a scan's every probe): one
 * table read instead of a log(). */
#define DTR_SKETCH_BITS 1024u
static uint32_t dtr_lc_table[DTR_SKETCH_BITS + 1];
static pthread_once_t dtr_lc_once = PTHREAD_ONCE_INIT;

static void dtr_lc_init(void)
{
    const double m = DTR_SKETCH_BITS;
    for (uint32_t set = 0; set <= DTR_SKETCH_BITS; set++) {
        double empty = m - set;
        if (empty < 1)
            empty = 1;
        double est = -m * log(empty / m);
        dtr_lc_table[set] = (uint32_t)(est + 0.5);
    }
}

uint32_t dtr_distinct_count(const struct dtr_distinct *c)
{
    if (c->n_exact < DTR_DISTINCT_EXACT)
        return c->n_exact;
    pthread_once(&dtr_lc_once, dtr_lc_init);
    uint32_t set = c->sketch_set <= DTR_SKETCH_BITS ? c->sketch_set : DTR_SKETCH_BITS;
    uint32_t n = dtr_lc_table[set];
    return n < c->n_exact ? c->n_exact : n;
}

void dtr_ev_distinct_examples(struct jb *jb, const struct dtr_distinct *c, const char *key,
                              size_t max)
{
    jb_open_array(jb, key);
    for (size_t i = 0; i < c->n_exact && i < max; i++)
        jb_uint(jb, NULL, c->exact[i]);
    jb_close_array(jb);
}

uint32_t dtr_addr_key32(const struct mm_addr *a, int ip_ver)
{
    if (ip_ver == 4)
        return (uint32_t)a->b[0] << 24 | (uint32_t)a->b[1] << 16 | (uint32_t)a->b[2] << 8 |
               a->b[3];
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ a->b[i]) * 16777619u;
    return h;
}

mm_lru_t *dtr_table_new(struct dtr *d, const char *name, size_t memcap, size_t entry_size,
                        size_t key_len, bool (*stale)(const void *entry, uint64_t now_ns))
{
    (void)d;
    struct mm_lru_cfg c = {
        .name = name,
        .memcap_bytes = memcap,
        .entry_size = entry_size,
        .key_len = key_len,
        .stale = stale,
    };
    return mm_lru_new(&c);
}

void dtr_table_stats(struct dtr_det_stats *out, mm_lru_t *const *tables, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct mm_lru_stats s;
        mm_lru_get_stats(tables[i], &s);
        out->entries += s.entries;
        out->evicted += s.evicted;
        out->memcap_hits += s.memcap_hits;
        out->memuse += s.memuse;
        out->memcap += s.memcap;
    }
}
