/*
 * Application layer core: sessions, protocol detection driving, parser dispatch, memcap and
 * the services of app_parser.h. See app.h.
 *
 * Detection buffers: most connections reveal their protocol in the first segment, so the
 * first chunk of each direction is examined where it lies. Only when a direction needs more
 * bytes than one chunk gave are they copied, into a buffer of at most detect_max_bytes that
 * is freed as soon as the protocol is known; once known, the buffered bytes of both
 * directions are replayed to the parser (server side first for the server-speaks-first
 * protocols, so that a banner precedes the client's first command).
 */
#include "app_int.h"

#include "core/mem.h"
#include "core/mm.h"

#include <stdlib.h>
#include <string.h>

struct app_ctx {
    struct app_config cfg;
    struct mem_cap cap;
    app_record_cb on_record;
    void *user;
    app_password_cb pw_cb;
    void *pw_user;
    app_message_cb msg_cb;
    void *msg_user;
    struct app_stats st;
    struct dns_msg *dns_scratch;
    struct app_session *pool; /* freed sessions kept for reuse, linked through `engine` */
    uint32_t pool_n;
};

/* Freed sessions kept for reuse (still charged): connection churn costs no malloc/free. */
#define APP_SESSION_POOL_MAX 4096u

/* Bytes of one direction kept while detection needs more than a chunk. */
struct detect_buf {
    uint8_t *buf;
    uint32_t len, cap;
};

struct app_session {
    app_ctx_t *ctx;
    const struct flow *f;
    uint64_t ts_ns;
    const struct app_parser *parser; /* NULL until detected (or for UDP DNS) */
    void *pstate;
    void *dns_state;                 /* DNS over UDP */
    struct detect_buf *det[2];
    uint32_t det_seen[2];            /* bytes examined per direction */
    uint8_t proto;                   /* enum app_proto now */
    uint8_t proto_orig;              /* before a STARTTLS switch (else same as proto) */
    uint8_t switch_to;               /* pending app_switch_proto, 0 = none */
    bool det_no[2];                  /* this direction named nothing */
    bool stopped;                    /* parser off for this flow */
    bool ended[2];
    void *engine;                    /* app_session_engine_slot */
};

static const char *const proto_names[APP_PROTO_COUNT] = {
    [APP_PROTO_UNKNOWN] = "unknown", [APP_PROTO_HTTP] = "http", [APP_PROTO_TLS] = "tls",
    [APP_PROTO_DNS] = "dns",         [APP_PROTO_SMTP] = "smtp", [APP_PROTO_POP3] = "pop3",
    [APP_PROTO_IMAP] = "imap",       [APP_PROTO_FTP] = "ftp",   [APP_PROTO_SSH] = "ssh",
    [APP_PROTO_FAILED] = "failed",
};

const char *app_proto_name(enum app_proto p)
{
    return (unsigned)p < APP_PROTO_COUNT ? proto_names[p] : "unknown";
}

void app_config_defaults(struct app_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    for (int p = 0; p < APP_PROTO_COUNT; p++)
        cfg->enabled[p] = true;
    cfg->memcap_bytes = (size_t)128 << 20;
    cfg->detect_max_bytes = 2048;
    cfg->max_line_bytes = 8192;
    cfg->http_max_header_bytes = 64u << 10;
    cfg->http_body_limit = 100u << 10;
    cfg->decompress_max_bytes = 8u << 20;
    cfg->decompress_max_ratio = 200;
    cfg->max_pending_tx = 32;
    cfg->mime_max_depth = 10;
    cfg->mime_max_parts = 500;
    cfg->mime_max_header_bytes = 64u << 10;
    cfg->mime_text_keep_bytes = 4u << 10;
    cfg->file_keep_bytes = 64u << 10;
    cfg->tls_max_record_bytes = 64u << 10;
    cfg->log_login = true;
}

static const struct app_parser *parser_for(enum app_proto p)
{
    switch (p) {
    case APP_PROTO_HTTP: return &app_parser_http;
    case APP_PROTO_TLS: return &app_parser_tls;
    case APP_PROTO_DNS: return &app_parser_dns_tcp;
    case APP_PROTO_SMTP: return &app_parser_smtp;
    case APP_PROTO_POP3: return &app_parser_pop3;
    case APP_PROTO_IMAP: return &app_parser_imap;
    case APP_PROTO_FTP: return &app_parser_ftp;
    case APP_PROTO_SSH: return &app_parser_ssh;
    default: return NULL;
    }
}

app_ctx_t *app_ctx_new(const struct app_config *cfg, app_record_cb on_record, void *user)
{
    app_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->dns_scratch = malloc(sizeof *ctx->dns_scratch);
    if (!ctx->dns_scratch) {
        free(ctx);
        return NULL;
    }
    ctx->cfg = *cfg;
    if (ctx->cfg.detect_max_bytes == 0)
        ctx->cfg.detect_max_bytes = 1;
    mem_cap_init(&ctx->cap, "app", cfg->memcap_bytes);
    ctx->on_record = on_record;
    ctx->user = user;
    return ctx;
}

void app_ctx_free(app_ctx_t *ctx)
{
    if (!ctx)
        return;
    while (ctx->pool) {
        struct app_session *s = ctx->pool;
        ctx->pool = s->engine;
        mem_cap_free(&ctx->cap, s, sizeof *s);
    }
    free(ctx->dns_scratch);
    free(ctx);
}

void app_ctx_set_password_checker(app_ctx_t *ctx, app_password_cb cb, void *user)
{
    ctx->pw_cb = cb;
    ctx->pw_user = user;
}

void app_ctx_set_message_hook(app_ctx_t *ctx, app_message_cb cb, void *user)
{
    ctx->msg_cb = cb;
    ctx->msg_user = user;
}

void app_get_stats(const app_ctx_t *ctx, struct app_stats *out)
{
    *out = ctx->st;
    /* Pooled sessions stay charged but are not in use. */
    out->memuse = ctx->cap.used - (size_t)ctx->pool_n * sizeof(struct app_session);
    out->memuse_peak = ctx->cap.peak;
    out->memcap = ctx->cap.limit;
    out->memcap_refused = ctx->cap.hits;
}

/* ---- services for parsers (app_parser.h) ---- */

const struct app_config *app_cfg(const struct app_session *s)
{
    return &s->ctx->cfg;
}

const struct flow *app_flow(const struct app_session *s)
{
    return s->f;
}

uint64_t app_time(const struct app_session *s)
{
    return s->ts_ns;
}

void *app_alloc(struct app_session *s, size_t n)
{
    return mem_cap_alloc(&s->ctx->cap, n);
}

void *app_calloc(struct app_session *s, size_t n)
{
    return mem_cap_calloc(&s->ctx->cap, n);
}

void *app_realloc(struct app_session *s, void *p, size_t old_n, size_t new_n)
{
    struct mem_cap *cap = &s->ctx->cap;
    if (new_n > old_n && !mem_cap_charge(cap, new_n - old_n))
        return NULL;
    void *np = realloc(p, new_n ? new_n : 1);
    if (!np) {
        if (new_n > old_n)
            mem_cap_release(cap, new_n - old_n);
        return NULL;
    }
    if (new_n < old_n)
        mem_cap_release(cap, old_n - new_n);
    return np;
}

void app_free(struct app_session *s, void *p, size_t n)
{
    if (p)
        mem_cap_free(&s->ctx->cap, p, n);
}

void app_emit(struct app_session *s, int dir, enum app_record_kind kind, const void *rec)
{
    app_ctx_t *ctx = s->ctx;
    if ((unsigned)kind < APP_REC_COUNT)
        ctx->st.records[kind]++;
    if (ctx->on_record)
        ctx->on_record(ctx->user, s->f, dir, s->ts_ns, kind, rec);
}

void app_login(struct app_session *s, int dir, struct app_login *l, const uint8_t *pw,
               size_t pw_len)
{
    l->proto = (enum app_proto)s->proto;
    l->ts_ns = s->ts_ns;
    if (pw && s->ctx->pw_cb)
        s->ctx->pw_cb(s->ctx->pw_user, s->f, l, pw, pw_len);
    app_emit(s, dir, APP_REC_LOGIN, l);
}

void app_message(struct app_session *s, int dir, const struct mime_email *email)
{
    if (s->ctx->msg_cb)
        s->ctx->msg_cb(s->ctx->msg_user, s->f, dir, s->ts_ns, (enum app_proto)s->proto, email);
}

void app_anomaly(struct app_session *s, int dir, const char *event)
{
    s->ctx->st.parse_errors[s->proto < APP_PROTO_COUNT ? s->proto : 0]++;
    struct app_anomaly a = {.proto = (enum app_proto)s->proto, .event = event};
    app_emit(s, dir, APP_REC_ANOMALY, &a);
}

void app_limit_hit(struct app_session *s)
{
    s->ctx->st.limits_hit++;
}

void app_stop(struct app_session *s)
{
    s->stopped = true;
}

void app_switch_proto(struct app_session *s, enum app_proto p)
{
    if (p > APP_PROTO_UNKNOWN && p < APP_PROTO_FAILED)
        s->switch_to = (uint8_t)p;
}

/* ---- sessions ---- */

struct app_session *app_session_new(app_ctx_t *ctx, const struct flow *f)
{
    struct app_session *s = ctx->pool;
    if (s) {
        ctx->pool = s->engine;
        ctx->pool_n--;
        memset(s, 0, sizeof *s);
    } else {
        s = mem_cap_calloc(&ctx->cap, sizeof *s);
        if (!s)
            return NULL;
    }
    s->ctx = ctx;
    s->f = f;
    return s;
}

static void free_detect(struct app_session *s, int dir)
{
    struct detect_buf *d = s->det[dir];
    if (!d)
        return;
    app_free(s, d->buf, d->cap);
    app_free(s, d, sizeof *d);
    s->det[dir] = NULL;
}

static void free_parser(struct app_session *s)
{
    if (s->parser && s->pstate && s->parser->state_free) {
        s->parser->state_free(s, s->pstate);
    }
    s->parser = NULL;
    s->pstate = NULL;
}

/* Make the parser of proto p the session's (state may be refused: then stopped) and count
 * the flow for p. Only TCP sessions have parser objects, so DNS here is DNS over TCP. */
static void start_parser(struct app_session *s, enum app_proto p)
{
    free_parser(s);
    s->ctx->st.flows[p]++;
    if (p == APP_PROTO_DNS)
        s->ctx->st.flows_dns_tcp++;
    s->proto = (uint8_t)p;
    if (!s->proto_orig)
        s->proto_orig = (uint8_t)p;
    s->stopped = false;
    const struct app_parser *ps = parser_for(p);
    if (!ps || !s->ctx->cfg.enabled[p]) {
        s->stopped = true;
        return;
    }
    s->parser = ps;
    if (ps->state_new) {
        s->pstate = ps->state_new(s);
        if (!s->pstate)
            s->stopped = true;
    }
}

void app_session_set_proto(struct app_session *s, enum app_proto p)
{
    free_detect(s, 0);
    free_detect(s, 1);
    if (p == APP_PROTO_FAILED || p == APP_PROTO_UNKNOWN) {
        free_parser(s);
        s->proto = (uint8_t)p;
        s->stopped = true;
        return;
    }
    start_parser(s, p);
}

enum app_proto app_session_proto(const struct app_session *s)
{
    return (enum app_proto)s->proto;
}

enum app_proto app_session_proto_orig(const struct app_session *s)
{
    return (enum app_proto)(s->proto_orig ? s->proto_orig : s->proto);
}

void app_session_set_time(struct app_session *s, uint64_t ts_ns)
{
    s->ts_ns = ts_ns;
}

/* A pending protocol switch takes effect between two chunks. */
static void apply_switch(struct app_session *s)
{
    if (!s->switch_to)
        return;
    enum app_proto p = (enum app_proto)s->switch_to;
    s->switch_to = 0;
    uint8_t orig = s->proto_orig;
    start_parser(s, p);
    s->proto_orig = orig;
}

static void feed(struct app_session *s, int dir, const uint8_t *data, size_t len)
{
    if (s->stopped || !s->parser || !s->parser->data || len == 0)
        return;
    s->parser->data(s, s->pstate, dir, data, len);
    apply_switch(s);
}

/* Keep up to detect_max_bytes of direction dir while the protocol is unknown; returns how
 * many bytes of the chunk were kept (fewer than len at the limit), or -1 when memory was
 * refused. */
static long keep_for_detection(struct app_session *s, int dir, const uint8_t *data, size_t len)
{
    uint32_t max = s->ctx->cfg.detect_max_bytes;
    struct detect_buf *d = s->det[dir];
    if (!d) {
        d = app_calloc(s, sizeof *d);
        if (!d)
            return -1;
        s->det[dir] = d;
    }
    size_t take = MM_MIN(len, (size_t)(max - d->len));
    if (take && !d->buf) {
        d->buf = app_alloc(s, max);
        if (!d->buf)
            return -1;
        d->cap = max;
    }
    if (take)
        memcpy(d->buf + d->len, data, take);
    d->len += (uint32_t)take;
    return (long)take;
}

/* Protocols where the server speaks first: replay its bytes before the client's. */
static bool server_first(enum app_proto p)
{
    return p == APP_PROTO_SMTP || p == APP_PROTO_POP3 || p == APP_PROTO_IMAP ||
           p == APP_PROTO_FTP || p == APP_PROTO_SSH;
}

static void give_up_detection(struct app_session *s)
{
    free_detect(s, 0);
    free_detect(s, 1);
    s->proto = APP_PROTO_FAILED;
    s->stopped = true;
    s->ctx->st.flows[APP_PROTO_FAILED]++;
    if (s->f && s->f->key.proto == 17)
        s->ctx->st.flows_failed_udp++;
}

/*
 * Protocol p found. Start its parser and replay what detection held: both directions'
 * buffers (server side first for server-speaks-first protocols), then the bytes of the
 * current chunk (dir) that were not held (`rest`).
 */
static void detected(struct app_session *s, enum app_proto p, int dir, const uint8_t *rest,
                     size_t rest_len)
{
    struct detect_buf *held[2] = {s->det[0], s->det[1]};
    s->det[0] = s->det[1] = NULL;
    start_parser(s, p);
    int first = server_first(p) ? 1 : 0;
    for (int k = 0; k < 2; k++) {
        int d = k == 0 ? first : 1 - first;
        if (held[d] && held[d]->len)
            feed(s, d, held[d]->buf, held[d]->len);
        if (d == dir)
            feed(s, d, rest, rest_len);
    }
    for (int d = 0; d < 2; d++)
        if (held[d]) {
            app_free(s, held[d]->buf, held[d]->cap);
            app_free(s, held[d], sizeof *held[d]);
        }
}

static void detect_chunk(struct app_session *s, int dir, const uint8_t *data, size_t len)
{
    uint16_t sport = s->f ? flow_server_port(s->f) : 0;
    uint32_t max = s->ctx->cfg.detect_max_bytes;
    enum app_proto p = APP_PROTO_UNKNOWN;
    enum app_detect_result r = APP_DETECT_NO;
    /* The usual case: nothing held yet, so the chunk itself is what detection looks at and
     * nothing is copied unless it is inconclusive. */
    bool direct = !s->det[dir];

    s->det_seen[dir] = (uint32_t)MM_MIN((uint64_t)s->det_seen[dir] + len, (uint64_t)UINT32_MAX);
    if (!s->det_no[dir] && direct) {
        r = app_detect_tcp(data, len, dir, sport, &p);
        if (r == APP_DETECT_MATCH) {
            detected(s, p, dir, data, len);
            return;
        }
    }
    long kept = keep_for_detection(s, dir, data, len); /* for replay, and for the next chunk */
    if (kept < 0) {
        give_up_detection(s);
        return;
    }
    if (!s->det_no[dir]) {
        const struct detect_buf *d = s->det[dir];
        if (!direct) { /* earlier bytes were held: look at all of them together */
            r = app_detect_tcp(d->buf, d->len, dir, sport, &p);
            if (r == APP_DETECT_MATCH) {
                detected(s, p, dir, data + kept, len - (size_t)kept);
                return;
            }
        }
        if (r == APP_DETECT_NO || d->len >= max)
            s->det_no[dir] = true;
    }
    if (s->det_no[0] && s->det_no[1])
        give_up_detection(s);
    else if (s->det_seen[dir] > max && s->det_seen[1 - dir] > max)
        give_up_detection(s);
}

void app_session_data(struct app_session *s, int dir, const uint8_t *data, size_t len)
{
    if (!s || len == 0 || (dir != 0 && dir != 1))
        return;
    if (s->proto == APP_PROTO_UNKNOWN) {
        detect_chunk(s, dir, data, len);
        return;
    }
    feed(s, dir, data, len);
}

void app_session_gap(struct app_session *s, int dir, uint32_t len)
{
    if (!s || (dir != 0 && dir != 1))
        return;
    if (s->proto == APP_PROTO_UNKNOWN) {
        /* A hole before the protocol is known: what was held no longer lines up. */
        give_up_detection(s);
        return;
    }
    if (s->proto < APP_PROTO_COUNT)
        s->ctx->st.gaps[s->proto]++;
    if (s->stopped || !s->parser)
        return;
    if (!s->parser->gap) {
        s->stopped = true; /* a parser that cannot resynchronise stops at a gap */
        return;
    }
    s->parser->gap(s, s->pstate, dir, len);
    apply_switch(s);
}

void app_session_end(struct app_session *s, int dir)
{
    if (!s || (dir != 0 && dir != 1) || s->ended[dir])
        return;
    s->ended[dir] = true;
    if (s->proto == APP_PROTO_UNKNOWN && s->det[dir] && s->det[dir]->len) {
        /* The direction ended before detection was sure: decide on what there is. */
        s->det_no[dir] = true;
        if (s->det_no[1 - dir] || s->ended[1 - dir])
            give_up_detection(s);
    }
    if (s->stopped || !s->parser || !s->parser->end)
        return;
    s->parser->end(s, s->pstate, dir);
}

void app_session_datagram(struct app_session *s, int dir, const uint8_t *data, size_t len)
{
    if (!s || (dir != 0 && dir != 1))
        return;
    if (s->proto == APP_PROTO_UNKNOWN) {
        const struct flow *f = s->f;
        enum app_proto p = app_detect_udp(data, len, f ? flow_client_port(f) : 0,
                                          f ? flow_server_port(f) : 0, s->ctx->dns_scratch);
        if (p == APP_PROTO_UNKNOWN) {
            /* The first datagram of each direction decides. */
            s->det_seen[dir] = 1;
            if (s->det_seen[0] && s->det_seen[1])
                give_up_detection(s);
            return;
        }
        s->proto = (uint8_t)p;
        s->proto_orig = (uint8_t)p;
        s->ctx->st.flows[p]++;
    }
    if (s->proto == APP_PROTO_DNS && !s->stopped && s->ctx->cfg.enabled[APP_PROTO_DNS])
        app_dns_datagram(s, dir, data, len);
}

void app_session_free(struct app_session *s)
{
    if (!s)
        return;
    app_session_end(s, 0);
    app_session_end(s, 1);
    free_parser(s);
    if (s->dns_state)
        app_dns_state_free(s, s->dns_state);
    free_detect(s, 0);
    free_detect(s, 1);
    app_ctx_t *ctx = s->ctx;
    if (ctx->pool_n < APP_SESSION_POOL_MAX) {
        s->engine = ctx->pool;
        ctx->pool = s;
        ctx->pool_n++;
        return;
    }
    mem_cap_free(&ctx->cap, s, sizeof *s);
}

void **app_session_engine_slot(struct app_session *s)
{
    return &s->engine;
}

struct dns_msg *app_dns_scratch(struct app_session *s)
{
    return s->ctx->dns_scratch;
}

void **app_dns_slot(struct app_session *s)
{
    return &s->dns_state;
}
