/*
 * App-layer inspection buffers: the bytes each sticky buffer (http.uri, dns.query, tls.sni
 * ...) names, taken from the record being inspected. Most point straight into the record;
 * composed ones (http.header, http.start, http.request_line ...) and transformed ones
 * (dotprefix, to_lowercase ...) are built on first use into a per-worker arena that is
 * reset before each inspection, so a record costs only the buffers some rule asks for.
 */
#include "detect/buffers.h"

#include "app/dns_rec.h"
#include "app/file.h"
#include "app/http.h"
#include "app/mime.h"
#include "app/smtp.h"
#include "app/ssh.h"
#include "app/tls.h"
#include "core/mm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* ---------------- arena ---------------- */

#define ARENA_BLOCK (64u * 1024u)
/* Bytes one inspection may build (composed and transformed buffers); beyond it a buffer is
 * reported absent and counted. HTTP headers and bodies are already bounded by app limits. */
#define ARENA_MAX (8u * 1024u * 1024u)

struct arena_block {
    struct arena_block *next;
    size_t cap, used;
    uint8_t data[];
};

static void arena_reset(struct det_bufs *b)
{
    /* Keep the first block (the common case fits in it); free the rest. */
    struct arena_block *blk = b->arena;
    if (!blk)
        return;
    struct arena_block *n = blk->next;
    while (n) {
        struct arena_block *next = n->next;
        free(n);
        n = next;
    }
    blk->next = NULL;
    blk->used = 0;
    b->arena_total = 0;
}

static uint8_t *arena_alloc(struct det_bufs *b, size_t n)
{
    if (n > ARENA_MAX || b->arena_total + n > ARENA_MAX) {
        b->arena_refused++;
        return NULL;
    }
    struct arena_block *blk = b->arena;
    if (blk && blk->cap - blk->used >= n) {
        uint8_t *p = blk->data + blk->used;
        blk->used += n;
        b->arena_total += n;
        return p;
    }
    size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
    struct arena_block *nb = malloc(sizeof *nb + cap);
    if (!nb) {
        b->arena_refused++;
        return NULL;
    }
    nb->cap = cap;
    nb->used = n;
    if (blk) { /* the new block goes second: the first stays the reusable one */
        nb->next = blk->next;
        blk->next = nb;
    } else {
        nb->next = NULL;
        b->arena = nb;
    }
    b->arena_total += n;
    return nb->data;
}

void det_bufs_free(struct det_bufs *b)
{
    if (!b)
        return;
    arena_reset(b);
    free(b->arena);
    b->arena = NULL;
}

void det_bufs_begin(struct det_bufs *b, enum app_record_kind kind, const void *rec, int dir)
{
    arena_reset(b);
    b->kind = kind;
    b->rec = rec;
    b->dir = dir;
    b->item = NULL;
    b->item_len = 0;
    memset(b->state, 0, sizeof b->state);
    b->msg_state[0] = b->msg_state[1] = 0;
    b->n_xc = 0;
}

void det_bufs_set_item(struct det_bufs *b, const uint8_t *p, uint32_t len)
{
    b->item = p;
    b->item_len = len;
    /* The per-item buffers change: forget what was cached for them. */
    b->state[DET_BUF_DNS_QUERY] = 0;
    b->state[DET_BUF_SMTP_RCPT_TO] = 0;
    b->state[DET_BUF_TLS_CERTS] = 0;
    b->n_xc = 0;
}

/* ---------------- builders ---------------- */

/* A growing output in the arena: sized first (two passes would cost more code than a
 * bound), then filled. */
struct sbuf {
    uint8_t *p;
    uint32_t len, cap;
};

static bool sb_init(struct det_bufs *b, struct sbuf *s, size_t cap)
{
    if (cap > UINT32_MAX)
        return false;
    s->p = arena_alloc(b, cap ? cap : 1);
    s->len = 0;
    s->cap = (uint32_t)cap;
    return s->p != NULL;
}

static void sb_put(struct sbuf *s, const void *p, size_t n)
{
    if (n > s->cap - s->len)
        n = s->cap - s->len; /* sized beforehand: never taken, kept as a guard */
    if (n)
        memcpy(s->p + s->len, p, n);
    s->len += (uint32_t)n;
}

static void sb_str(struct sbuf *s, const struct http_str *v)
{
    if (v->p)
        sb_put(s, v->p, v->len);
}

/* a equals the lower-case name lit of n bytes, ignoring ASCII case. Called for every header
 * of every transaction a header rule inspects: the length decides most comparisons, and
 * no libc call (strlen, strncasecmp with its locale) is made for them. */
static bool hstr_eq_lower(const struct http_str *a, const char *lit, size_t n)
{
    if (!a->p || a->len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = a->p[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c + ('a' - 'A'));
        if (c != (uint8_t)lit[i])
            return false;
    }
    return true;
}

/* The values of every header named `name` (lower case), joined with ", " (Suricata's view of
 * repeated headers). Returns false when there is none. */
static bool header_join(struct det_bufs *b, const struct http_header *h, size_t n,
                        const char *name, const uint8_t **out, uint32_t *out_len)
{
    size_t total = 0, count = 0, name_len = strlen(name);
    const struct http_header *one = NULL;
    for (size_t i = 0; i < n; i++)
        if (hstr_eq_lower(&h[i].name, name, name_len)) {
            total += h[i].value.len + 2;
            count++;
            one = &h[i];
        }
    if (!count)
        return false;
    if (count == 1) {
        *out = one->value.p ? one->value.p : (const uint8_t *)"";
        *out_len = (uint32_t)MM_MIN(one->value.len, UINT32_MAX);
        return true;
    }
    struct sbuf s;
    if (!sb_init(b, &s, total))
        return false;
    bool first = true;
    for (size_t i = 0; i < n; i++)
        if (hstr_eq_lower(&h[i].name, name, name_len)) {
            if (!first)
                sb_put(&s, ", ", 2);
            sb_str(&s, &h[i].value);
            first = false;
        }
    *out = s.p;
    *out_len = s.len;
    return true;
}

/* Cookie / Set-Cookie: Suricata keeps them out of http.header (they have http.cookie). */
static bool is_cookie(const struct http_header *h)
{
    return hstr_eq_lower(&h->name, "cookie", 6) || hstr_eq_lower(&h->name, "set-cookie", 10);
}

/* "Name: value\r\n" for each header (Suricata's normalised http.header; with_cookies for
 * http.header.raw and http.start, which show every header). */
static bool headers_block(struct det_bufs *b, const struct http_header *h, size_t n,
                          bool with_cookies, const uint8_t **out, uint32_t *out_len)
{
    if (!h || !n)
        return false;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += h[i].name.len + h[i].value.len + 4;
    if (total > UINT32_MAX)
        return false;
    uint8_t *o = arena_alloc(b, total ? total : 1), *w = o;
    if (!o)
        return false;
    /* Written in place (total bounds it): this runs for every request a header rule
     * inspects, and a copy call per piece cost more than the bytes. */
    for (size_t i = 0; i < n; i++) {
        if (!with_cookies && is_cookie(&h[i]))
            continue;
        if (h[i].name.p) {
            memcpy(w, h[i].name.p, h[i].name.len);
            w += h[i].name.len;
        }
        *w++ = ':';
        *w++ = ' ';
        if (h[i].value.p) {
            memcpy(w, h[i].value.p, h[i].value.len);
            w += h[i].value.len;
        }
        *w++ = '\r';
        *w++ = '\n';
    }
    *out = o;
    *out_len = (uint32_t)(w - o);
    return true;
}

/* "\r\nName1\r\nName2\r\n\r\n" (Suricata's http.header_names). */
static bool header_names(struct det_bufs *b, const struct http_header *h, size_t n,
                         const uint8_t **out, uint32_t *out_len)
{
    if (!h || !n)
        return false;
    size_t total = 4;
    for (size_t i = 0; i < n; i++)
        total += h[i].name.len + 2;
    struct sbuf s;
    if (!sb_init(b, &s, total))
        return false;
    sb_put(&s, "\r\n", 2);
    for (size_t i = 0; i < n; i++) {
        sb_str(&s, &h[i].name);
        sb_put(&s, "\r\n", 2);
    }
    sb_put(&s, "\r\n", 2);
    *out = s.p;
    *out_len = s.len;
    return true;
}

/* "a SP b SP c" (request or response line). */
static bool line3(struct det_bufs *b, const struct http_str *x, const struct http_str *y,
                  const struct http_str *z, const uint8_t **out, uint32_t *out_len)
{
    if (!x->p)
        return false;
    struct sbuf s;
    if (!sb_init(b, &s, x->len + y->len + z->len + 2))
        return false;
    sb_str(&s, x);
    if (y->p) {
        sb_put(&s, " ", 1);
        sb_str(&s, y);
    }
    if (z->p) {
        sb_put(&s, " ", 1);
        sb_str(&s, z);
    }
    *out = s.p;
    *out_len = s.len;
    return true;
}

/* Start line + "\r\n" + header block + "\r\n" (http.start). */
static bool start_block(struct det_bufs *b, const uint8_t *line, uint32_t line_len,
                        const struct http_header *h, size_t n, const uint8_t **out,
                        uint32_t *out_len)
{
    const uint8_t *hb = NULL;
    uint32_t hb_len = 0;
    (void)headers_block(b, h, n, true, &hb, &hb_len);
    struct sbuf s;
    if (!sb_init(b, &s, (size_t)line_len + hb_len + 4))
        return false;
    sb_put(&s, line, line_len);
    sb_put(&s, "\r\n", 2);
    if (hb)
        sb_put(&s, hb, hb_len);
    sb_put(&s, "\r\n", 2);
    *out = s.p;
    *out_len = s.len;
    return true;
}

static bool str_out(const struct http_str *v, const uint8_t **out, uint32_t *out_len)
{
    if (!v->p)
        return false;
    *out = v->p;
    *out_len = (uint32_t)MM_MIN(v->len, UINT32_MAX);
    return true;
}

static bool cstr_out(const char *s, const uint8_t **out, uint32_t *out_len)
{
    if (!s)
        return false;
    *out = (const uint8_t *)s;
    *out_len = (uint32_t)strlen(s);
    return true;
}

static bool bytes_out(const uint8_t *p, size_t n, const uint8_t **out, uint32_t *out_len)
{
    if (!p)
        return false;
    *out = p;
    *out_len = (uint32_t)MM_MIN(n, UINT32_MAX);
    return true;
}

static bool http_buf(struct det_bufs *b, const struct http_tx *tx, enum det_buf id,
                     const uint8_t **o, uint32_t *ol)
{
    const struct http_header *rq = tx->req_headers, *rs = tx->resp_headers;
    size_t nrq = tx->n_req_headers, nrs = tx->n_resp_headers;
    bool has_req = !(tx->flags & HTTP_TX_NO_REQUEST) && tx->method.p;
    bool has_resp = tx->status >= 0;
    if (id < DET_BUF_HTTP_STAT_CODE && !has_req)
        return false;
    if (id >= DET_BUF_HTTP_STAT_CODE && id <= DET_BUF_HTTP_RESPONSE_BODY && !has_resp)
        return false;
    switch (id) {
    case DET_BUF_HTTP_URI: return str_out(tx->uri_norm.p ? &tx->uri_norm : &tx->uri, o, ol);
    case DET_BUF_HTTP_URI_RAW: return str_out(&tx->uri, o, ol);
    case DET_BUF_HTTP_METHOD: return str_out(&tx->method, o, ol);
    case DET_BUF_HTTP_REQUEST_LINE: return line3(b, &tx->method, &tx->uri, &tx->protocol, o, ol);
    case DET_BUF_HTTP_PROTOCOL: return str_out(&tx->protocol, o, ol);
    case DET_BUF_HTTP_HEADER: return headers_block(b, rq, nrq, false, o, ol);
    case DET_BUF_HTTP_HEADER_RAW: return headers_block(b, rq, nrq, true, o, ol);
    case DET_BUF_HTTP_HEADER_NAMES: return header_names(b, rq, nrq, o, ol);
    case DET_BUF_HTTP_COOKIE: return header_join(b, rq, nrq, "cookie", o, ol);
    case DET_BUF_HTTP_USER_AGENT: return str_out(&tx->user_agent, o, ol);
    case DET_BUF_HTTP_HOST: return str_out(&tx->hostname, o, ol);
    case DET_BUF_HTTP_HOST_RAW: return str_out(&tx->host, o, ol);
    case DET_BUF_HTTP_REFERER: return str_out(&tx->referer, o, ol);
    case DET_BUF_HTTP_CONTENT_TYPE: return str_out(&tx->req_content_type, o, ol);
    case DET_BUF_HTTP_CONTENT_LEN: return header_join(b, rq, nrq, "content-length", o, ol);
    case DET_BUF_HTTP_ACCEPT: return header_join(b, rq, nrq, "accept", o, ol);
    case DET_BUF_HTTP_ACCEPT_ENC: return header_join(b, rq, nrq, "accept-encoding", o, ol);
    case DET_BUF_HTTP_ACCEPT_LANG: return header_join(b, rq, nrq, "accept-language", o, ol);
    case DET_BUF_HTTP_CONNECTION: return header_join(b, rq, nrq, "connection", o, ol);
    case DET_BUF_HTTP_START: {
        const uint8_t *l;
        uint32_t ll;
        return line3(b, &tx->method, &tx->uri, &tx->protocol, &l, &ll) &&
               start_block(b, l, ll, rq, nrq, o, ol);
    }
    case DET_BUF_HTTP_REQUEST_BODY:
        return tx->req_body_len && bytes_out(tx->req_body, tx->req_body_len, o, ol);
    case DET_BUF_HTTP_STAT_CODE: {
        if (tx->status < 0 || tx->status > 999)
            return false;
        uint8_t *p = arena_alloc(b, 3);
        if (!p)
            return false;
        p[0] = (uint8_t)('0' + tx->status / 100);
        p[1] = (uint8_t)('0' + tx->status / 10 % 10);
        p[2] = (uint8_t)('0' + tx->status % 10);
        *o = p;
        *ol = 3;
        return true;
    }
    case DET_BUF_HTTP_STAT_MSG: return str_out(&tx->status_msg, o, ol);
    case DET_BUF_HTTP_RESPONSE_LINE: {
        const uint8_t *code;
        uint32_t cl;
        if (!http_buf(b, tx, DET_BUF_HTTP_STAT_CODE, &code, &cl))
            return false;
        struct http_str c = {code, cl};
        return line3(b, &tx->resp_protocol, &c, &tx->status_msg, o, ol);
    }
    case DET_BUF_HTTP_RESP_PROTOCOL: return str_out(&tx->resp_protocol, o, ol);
    case DET_BUF_HTTP_RESP_HEADER: return headers_block(b, rs, nrs, false, o, ol);
    case DET_BUF_HTTP_RESP_HEADER_RAW: return headers_block(b, rs, nrs, true, o, ol);
    case DET_BUF_HTTP_RESP_HEADER_NAMES: return header_names(b, rs, nrs, o, ol);
    case DET_BUF_HTTP_RESP_COOKIE: return header_join(b, rs, nrs, "set-cookie", o, ol);
    case DET_BUF_HTTP_RESP_CONTENT_TYPE: return str_out(&tx->resp_content_type, o, ol);
    case DET_BUF_HTTP_RESP_CONTENT_LEN: return header_join(b, rs, nrs, "content-length", o, ol);
    case DET_BUF_HTTP_RESP_CONNECTION: return header_join(b, rs, nrs, "connection", o, ol);
    case DET_BUF_HTTP_SERVER: return header_join(b, rs, nrs, "server", o, ol);
    case DET_BUF_HTTP_LOCATION: return str_out(&tx->location, o, ol);
    case DET_BUF_HTTP_RESP_START: {
        const uint8_t *l;
        uint32_t ll;
        return http_buf(b, tx, DET_BUF_HTTP_RESPONSE_LINE, &l, &ll) &&
               start_block(b, l, ll, rs, nrs, o, ol);
    }
    case DET_BUF_HTTP_RESPONSE_BODY:
        return tx->resp_body_len && bytes_out(tx->resp_body, tx->resp_body_len, o, ol);
    default: return false;
    }
}

static bool tls_buf(const struct tls_rec *r, enum det_buf id, const uint8_t **o, uint32_t *ol)
{
    switch (id) {
    case DET_BUF_TLS_SNI: return r->has_sni && bytes_out(r->sni, r->sni_len, o, ol);
    case DET_BUF_TLS_CERT_SUBJECT: return r->has_cert && cstr_out(r->cert.subject, o, ol);
    case DET_BUF_TLS_CERT_ISSUER: return r->has_cert && cstr_out(r->cert.issuer, o, ol);
    case DET_BUF_TLS_CERT_SERIAL: return r->has_cert && cstr_out(r->cert.serial, o, ol);
    case DET_BUF_TLS_CERT_FINGERPRINT:
        return r->has_cert && cstr_out(r->cert.fingerprint, o, ol);
    case DET_BUF_TLS_CERTS: return false; /* per certificate: det_bufs_set_item (raw_buf) */
    case DET_BUF_JA3_HASH: return r->ja3 && cstr_out(r->ja3_hash, o, ol);
    case DET_BUF_JA3_STRING: return cstr_out(r->ja3, o, ol);
    case DET_BUF_JA3S_HASH: return r->ja3s && cstr_out(r->ja3s_hash, o, ol);
    case DET_BUF_JA3S_STRING: return cstr_out(r->ja3s, o, ol);
    case DET_BUF_JA4_HASH: return r->ja4[0] && cstr_out(r->ja4, o, ol);
    default: return false;
    }
}

/* SSH: the side is the inspection's direction (the engine inspects a record once per side). */
static bool ssh_buf(const struct ssh_rec *r, int dir, enum det_buf id, const uint8_t **o,
                    uint32_t *ol)
{
    const struct ssh_side *s = dir == 0 ? &r->client : &r->server;
    switch (id) {
    case DET_BUF_SSH_PROTO: return s->banner_seen && cstr_out(s->proto_version, o, ol);
    case DET_BUF_SSH_SOFTWARE:
        return s->banner_seen && bytes_out(s->software_version, s->software_version_len, o, ol);
    case DET_BUF_SSH_HASSH: return r->client.kexinit_seen && cstr_out(r->client.hassh, o, ol);
    case DET_BUF_SSH_HASSH_STRING:
        return bytes_out(r->client.hassh_string, r->client.hassh_string_len, o, ol);
    case DET_BUF_SSH_HASSH_SERVER:
        return r->server.kexinit_seen && cstr_out(r->server.hassh, o, ol);
    case DET_BUF_SSH_HASSH_SERVER_STRING:
        return bytes_out(r->server.hassh_string, r->server.hassh_string_len, o, ol);
    default: return false;
    }
}

/* Addresses joined with ", " (email.to, email.cc). */
static bool join_list(struct det_bufs *b, const char *const *v, uint32_t n, const uint8_t **o,
                      uint32_t *ol)
{
    if (!n)
        return false;
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        total += (v[i] ? strlen(v[i]) : 0) + 2;
    struct sbuf s;
    if (!sb_init(b, &s, total))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sb_put(&s, ", ", 2);
        if (v[i])
            sb_put(&s, v[i], strlen(v[i]));
    }
    *o = s.p;
    *ol = s.len;
    return true;
}

static bool email_buf(struct det_bufs *b, const struct mime_email *e, enum det_buf id,
                      const uint8_t **o, uint32_t *ol)
{
    if (!e)
        return false;
    switch (id) {
    case DET_BUF_EMAIL_FROM: return cstr_out(e->from, o, ol);
    case DET_BUF_EMAIL_TO: return join_list(b, e->to, e->n_to, o, ol);
    case DET_BUF_EMAIL_CC: return join_list(b, e->cc, e->n_cc, o, ol);
    case DET_BUF_EMAIL_SUBJECT: return cstr_out(e->subject, o, ol);
    case DET_BUF_EMAIL_DATE: return cstr_out(e->date, o, ol);
    case DET_BUF_EMAIL_MESSAGE_ID: return cstr_out(e->message_id, o, ol);
    case DET_BUF_EMAIL_X_MAILER: return cstr_out(e->x_mailer, o, ol);
    default: return false;
    }
}

static bool smtp_buf(struct det_bufs *b, const struct smtp_tx *tx, enum det_buf id,
                     const uint8_t **o, uint32_t *ol)
{
    switch (id) {
    case DET_BUF_SMTP_HELO: return bytes_out(tx->helo, tx->helo_len, o, ol);
    case DET_BUF_SMTP_MAIL_FROM: return bytes_out(tx->mail_from, tx->mail_from_len, o, ol);
    case DET_BUF_SMTP_RCPT_TO: return bytes_out(b->item, b->item_len, o, ol);
    default: return email_buf(b, tx->email, id, o, ol);
    }
}

static bool file_buf(struct det_bufs *b, const struct app_file *f, enum det_buf id,
                     const uint8_t **o, uint32_t *ol)
{
    switch (id) {
    case DET_BUF_FILE_DATA: return f->head_len && bytes_out(f->head, f->head_len, o, ol);
    case DET_BUF_FILE_NAME: return f->name_len && bytes_out(f->name, f->name_len, o, ol);
    case DET_BUF_FILE_MAGIC: return cstr_out(f->magic, o, ol);
    default:
        /* Mail context of the carrying message. */
        if (id == DET_BUF_SMTP_HELO || id == DET_BUF_SMTP_MAIL_FROM)
            return f->smtp && smtp_buf(b, f->smtp, id, o, ol);
        return email_buf(b, f->email, id, o, ol);
    }
}

/* The untransformed buffer. */
static bool raw_buf(struct det_bufs *b, enum det_buf id, const uint8_t **o, uint32_t *ol)
{
    if (!b->rec)
        return false;
    switch (b->kind) {
    case APP_REC_HTTP: return http_buf(b, b->rec, id, o, ol);
    case APP_REC_TLS:
        if (id == DET_BUF_TLS_CERTS)
            return b->item && bytes_out(b->item, b->item_len, o, ol);
        return tls_buf(b->rec, id, o, ol);
    case APP_REC_DNS:
        return id == DET_BUF_DNS_QUERY && b->item && bytes_out(b->item, b->item_len, o, ol);
    case APP_REC_SSH: return ssh_buf(b->rec, b->dir, id, o, ol);
    case APP_REC_SMTP: return smtp_buf(b, b->rec, id, o, ol);
    case APP_REC_FILE: return file_buf(b, b->rec, id, o, ol);
    default: return false;
    }
}

bool det_bufs_http_message(struct det_bufs *b, int dir, const uint8_t **p, uint32_t *len)
{
    dir = dir ? 1 : 0;
    if (b->kind != APP_REC_HTTP || !b->rec)
        return false;
    if (b->msg_state[dir] == 0) {
        const struct http_tx *tx = b->rec;
        const uint8_t *start, *body = dir ? tx->resp_body : tx->req_body;
        uint32_t start_len;
        size_t body_len = dir ? tx->resp_body_len : tx->req_body_len;
        struct sbuf s;
        b->msg_state[dir] = 2;
        if (http_buf(b, tx, dir ? DET_BUF_HTTP_RESP_START : DET_BUF_HTTP_START, &start,
                     &start_len) &&
            sb_init(b, &s, (size_t)start_len + (body ? body_len : 0))) {
            sb_put(&s, start, start_len);
            if (body)
                sb_put(&s, body, body_len);
            b->msg[dir] = s.p;
            b->msg_len[dir] = s.len;
            b->msg_state[dir] = 1;
        }
    }
    if (b->msg_state[dir] != 1)
        return false;
    *p = b->msg[dir];
    *len = b->msg_len[dir];
    return true;
}

/* ---------------- transforms ---------------- */

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (uint8_t)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One transform step from (in, n) into a new arena copy. */
static bool xform_step(struct det_bufs *b, enum det_xform x, const uint8_t *in, uint32_t n,
                       const uint8_t **o, uint32_t *ol)
{
    if (x == DET_XF_URL_DECODE && !memchr(in, '%', n) && !memchr(in, '+', n)) {
        /* Nothing to decode (most URIs): the input is the output, no copy. */
        *o = in;
        *ol = n;
        return true;
    }
    uint8_t *out = arena_alloc(b, (size_t)n + 1);
    if (!out)
        return false;
    uint32_t k = 0;
    switch (x) {
    case DET_XF_DOTPREFIX:
        out[k++] = '.';
        memcpy(out + k, in, n);
        k += n;
        break;
    case DET_XF_TO_LOWERCASE:
        for (uint32_t i = 0; i < n; i++)
            out[k++] = (uint8_t)tolower(in[i]);
        break;
    case DET_XF_TO_UPPERCASE:
        for (uint32_t i = 0; i < n; i++)
            out[k++] = (uint8_t)toupper(in[i]);
        break;
    case DET_XF_STRIP_WHITESPACE:
        for (uint32_t i = 0; i < n; i++)
            if (!is_space(in[i]))
                out[k++] = in[i];
        break;
    case DET_XF_COMPRESS_WHITESPACE:
        for (uint32_t i = 0; i < n; i++) {
            if (is_space(in[i]) && k && is_space(out[k - 1]))
                continue;
            out[k++] = in[i];
        }
        break;
    case DET_XF_URL_DECODE:
        for (uint32_t i = 0; i < n; i++) {
            int h1, h2;
            if (in[i] == '%' && i + 2 < n && (h1 = hexval(in[i + 1])) >= 0 &&
                (h2 = hexval(in[i + 2])) >= 0) {
                out[k++] = (uint8_t)(h1 << 4 | h2);
                i += 2;
            } else {
                out[k++] = in[i] == '+' ? ' ' : in[i];
            }
        }
        break;
    default:
        memcpy(out, in, n);
        k = n;
        break;
    }
    *o = out;
    *ol = k;
    return true;
}

bool det_bufs_ua_in_header(const struct det_bufs *b)
{
    if (b->kind != APP_REC_HTTP || !b->rec)
        return false;
    const struct http_tx *tx = b->rec;
    if (!tx->user_agent.p)
        return true; /* no user agent: nothing to look for but the header block */
    /* Sent once, the view is the header's value itself; joined, it is a new string. */
    for (size_t i = 0; i < tx->n_req_headers; i++)
        if (tx->req_headers[i].value.p == tx->user_agent.p &&
            tx->req_headers[i].value.len == tx->user_agent.len && !is_cookie(&tx->req_headers[i]))
            return true;
    return false;
}

/* ---------------- lookup ---------------- */

bool det_bufs_lookup(struct det_bufs *b, enum det_buf buf, det_xform_chain xform,
                     const uint8_t **p, uint32_t *len)
{
    if ((unsigned)buf >= DET_BUF_COUNT)
        return false;
    if (b->state[buf] == 0) {
        const uint8_t *rp = NULL;
        uint32_t rl = 0;
        if (raw_buf(b, buf, &rp, &rl)) {
            b->state[buf] = 1;
            b->p[buf] = rp;
            b->len[buf] = rl;
        } else {
            b->state[buf] = 2;
        }
    }
    if (b->state[buf] != 1)
        return false;
    if (!xform) {
        *p = b->p[buf];
        *len = b->len[buf];
        return true;
    }
    for (uint32_t i = 0; i < b->n_xc; i++)
        if (b->xc[i].buf == buf && b->xc[i].xform == xform) {
            *p = b->xc[i].p;
            *len = b->xc[i].len;
            return true;
        }
    const uint8_t *cur = b->p[buf];
    uint32_t cur_len = b->len[buf];
    for (det_xform_chain x = xform; x; x = (det_xform_chain)(x >> 4))
        if (!xform_step(b, (enum det_xform)(x & 0xf), cur, cur_len, &cur, &cur_len))
            return false;
    if (b->n_xc < MM_ARRAY_LEN(b->xc)) {
        b->xc[b->n_xc].buf = (uint16_t)buf;
        b->xc[b->n_xc].xform = xform;
        b->xc[b->n_xc].p = cur;
        b->xc[b->n_xc].len = cur_len;
        b->n_xc++;
    }
    *p = cur;
    *len = cur_len;
    return true;
}

enum det_buf det_buf_response_twin(enum det_buf buf)
{
    switch (buf) {
    case DET_BUF_HTTP_HEADER: return DET_BUF_HTTP_RESP_HEADER;
    case DET_BUF_HTTP_HEADER_RAW: return DET_BUF_HTTP_RESP_HEADER_RAW;
    case DET_BUF_HTTP_HEADER_NAMES: return DET_BUF_HTTP_RESP_HEADER_NAMES;
    case DET_BUF_HTTP_COOKIE: return DET_BUF_HTTP_RESP_COOKIE;
    case DET_BUF_HTTP_CONTENT_TYPE: return DET_BUF_HTTP_RESP_CONTENT_TYPE;
    case DET_BUF_HTTP_CONTENT_LEN: return DET_BUF_HTTP_RESP_CONTENT_LEN;
    case DET_BUF_HTTP_CONNECTION: return DET_BUF_HTTP_RESP_CONNECTION;
    case DET_BUF_HTTP_START: return DET_BUF_HTTP_RESP_START;
    case DET_BUF_HTTP_PROTOCOL: return DET_BUF_HTTP_RESP_PROTOCOL;
    default: return DET_BUF_COUNT;
    }
}

/* Payload buffers with a transform (rare) are built in the worker's arena too. */
bool det_buf_get(struct det_match_ctx *mc, enum det_buf buf, det_xform_chain xform,
                 const uint8_t **p, uint32_t *len)
{
    if (mc->mirror && det_buf_response_twin(buf) != DET_BUF_COUNT)
        buf = det_buf_response_twin(buf);
    if (buf == DET_BUF_PAYLOAD) {
        if (!mc->payload)
            return false;
        if (!xform) {
            *p = mc->payload;
            *len = mc->payload_len;
            return true;
        }
        if (!mc->bufs)
            return false;
        const uint8_t *cur = mc->payload;
        uint32_t cur_len = mc->payload_len;
        for (det_xform_chain x = xform; x; x = (det_xform_chain)(x >> 4))
            if (!xform_step(mc->bufs, (enum det_xform)(x & 0xf), cur, cur_len, &cur, &cur_len))
                return false;
        *p = cur;
        *len = cur_len;
        return true;
    }
    if (!mc->bufs)
        return false;
    return det_bufs_lookup(mc->bufs, buf, xform, p, len);
}
