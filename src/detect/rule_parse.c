/*
 * One rule, text -> struct det_rule (Suricata 7 rule language):
 *
 *   rule    := action SP proto SP addr SP port SP dir SP addr SP port SP* '(' options ')'
 *   action  := alert | pass | drop | reject | rejectsrc | rejectdst | rejectboth
 *   dir     := "->" | "<>"
 *   options := ( option ';' )*
 *   option  := keyword [ ':' value ]
 *
 * Options end at the next ';' not escaped as '\;' (quotes do not protect a ';', as in
 * Suricata); a value may be quoted and may contain the escapes \" \; \\ \: (resolved by each
 * keyword's parser).
 * Header tokens end at white space outside brackets, so "[1.2.3.4, 5.6.7.8]" is one token.
 * The keywords themselves live in rule_opts.c; this file tokenizes, dispatches and, at the
 * end, resolves what depends on the whole rule: the app-layer protocol the buffers imply,
 * the direction, request/response variants of direction-neutral buffers, defaults.
 */
#include "detect/rule_parse.h"

#include "app/app.h"
#include "core/mm.h"
#include "detect/rule_addr.h"
#include "detect/rule_parse_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------- failures ---------------- */

int rp_fail(struct rp_ctx *c, int err, const char *keyword, const char *fmt, ...)
{
    if (c->err)
        return c->err;
    c->err = err == MM_ENOMEM ? MM_ENOMEM : MM_EINVAL;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->reason = strdup(buf);
    c->keyword = keyword ? strdup(keyword) : NULL;
    return c->err;
}

int rp_unsupported(struct rp_ctx *c, const char *name)
{
    return rp_fail(c, MM_EINVAL, name, "unsupported keyword '%s'", name);
}

/* ---------------- small helpers ---------------- */

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

char *rp_trim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        s[--n] = 0;
    return s;
}

bool rp_split(char *s, char sep, char **parts, size_t max, size_t *n)
{
    size_t k = 0;
    bool quoted = false;
    char *start = s;
    for (char *q = s;; q++) {
        if (*q == '\\' && q[1]) {
            q++;
            continue;
        }
        if (*q == '"')
            quoted = !quoted;
        if (*q != 0 && (*q != sep || quoted))
            continue;
        bool last = *q == 0;
        if (k == max)
            return false;
        *q = 0;
        parts[k++] = rp_trim(start);
        if (last)
            break;
        start = q + 1;
    }
    *n = k;
    return true;
}

bool rp_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    while (is_space(*s))
        s++;
    uint64_t v = 0;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    const char *start = s;
    for (; *s; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    if (s == start)
        return false;
    while (is_space(*s))
        s++;
    if (*s || v > max)
        return false;
    *out = v;
    return true;
}

bool rp_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
    while (is_space(*s))
        s++;
    bool neg = *s == '-';
    if (neg || *s == '+')
        s++;
    uint64_t v;
    if (!rp_parse_u64(s, (uint64_t)INT64_MAX, &v))
        return false;
    int64_t r = neg ? -(int64_t)v : (int64_t)v;
    if (r < min || r > max)
        return false;
    *out = r;
    return true;
}

/* ---------------- lists ---------------- */

static int32_t list_find(const struct det_rule *r, enum det_buf buf, det_xform_chain xf)
{
    for (uint32_t i = 0; i < r->n_lists; i++) {
        if (r->lists[i].buf == buf && r->lists[i].xform == xf)
            return (int32_t)i;
    }
    return -1;
}

static int32_t list_get(struct rp_ctx *c, enum det_buf buf, det_xform_chain xf)
{
    struct det_rule *r = c->r;
    int32_t i = list_find(r, buf, xf);
    if (i >= 0)
        return i;
    if (r->n_lists >= DET_MAX_LISTS) {
        rp_fail(c, MM_EINVAL, NULL, "more than %u buffers in one rule", DET_MAX_LISTS);
        return -1;
    }
    struct det_list *l = realloc(r->lists, (r->n_lists + 1) * sizeof *l);
    if (!l) {
        rp_fail(c, MM_ENOMEM, NULL, "out of memory");
        return -1;
    }
    r->lists = l;
    memset(&l[r->n_lists], 0, sizeof *l);
    l[r->n_lists].buf = buf;
    l[r->n_lists].xform = xf;
    return (int32_t)r->n_lists++;
}

struct det_sm *rp_add_sm(struct rp_ctx *c, enum det_buf buf, det_xform_chain xf,
                         enum det_sm_type type, int32_t *list_out)
{
    if (c->n_sms >= DET_MAX_SMS) {
        rp_fail(c, MM_EINVAL, NULL, "more than %u buffer matches in one rule", DET_MAX_SMS);
        return NULL;
    }
    int32_t li = list_get(c, buf, xf);
    if (li < 0)
        return NULL;
    struct det_list *l = &c->r->lists[li];
    struct det_sm *sms = realloc(l->sms, (l->n_sms + 1) * sizeof *sms);
    if (!sms) {
        rp_fail(c, MM_ENOMEM, NULL, "out of memory");
        return NULL;
    }
    l->sms = sms;
    struct det_sm *sm = &sms[l->n_sms++];
    memset(sm, 0, sizeof *sm);
    sm->type = type;
    c->n_sms++;
    if (list_out)
        *list_out = li;
    return sm;
}

struct det_sm *rp_add_sm_cur(struct rp_ctx *c, enum det_sm_type type)
{
    int32_t li = -1;
    struct det_sm *sm = rp_add_sm(c, c->cur_buf, c->cur_xf, type, &li);
    if (sm)
        c->cur_list = li;
    return sm;
}

/* ---------------- interned names ---------------- */

static uint64_t name_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static void index_put(struct rp_name_index *x, const struct det_names *t, uint32_t id)
{
    size_t i = (size_t)name_hash(t->names[id]) & (x->cap - 1);
    while (x->slot[i])
        i = (i + 1) & (x->cap - 1);
    x->slot[i] = id + 1;
    x->n++;
}

/* Grows (or first builds) the index so it stays at most half full. */
static int index_reserve(struct rp_name_index *x, const struct det_names *t)
{
    if (x->cap && (t->n + 1) * 2 <= x->cap)
        return 0;
    size_t cap = x->cap ? x->cap : 64;
    while ((t->n + 1) * 2 > cap)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof *slot);
    if (!slot)
        return MM_ENOMEM;
    free(x->slot);
    x->slot = slot;
    x->cap = cap;
    x->n = 0;
    for (uint32_t id = 0; id < t->n; id++)
        index_put(x, t, id);
    return 0;
}

int32_t rp_intern(det_parser_t *p, struct det_names *t, const char *name)
{
    struct rp_name_index *x = t == &p->rs->flowbits   ? &p->flowbits
                              : t == &p->rs->flowints ? &p->flowints
                                                      : &p->xbits;
    if (index_reserve(x, t) != 0)
        return -1;
    size_t i = (size_t)name_hash(name) & (x->cap - 1);
    for (; x->slot[i]; i = (i + 1) & (x->cap - 1)) {
        if (strcmp(t->names[x->slot[i] - 1], name) == 0)
            return (int32_t)(x->slot[i] - 1);
    }
    int32_t id = det_names_append(t, name, strlen(name));
    if (id >= 0)
        index_put(x, t, (uint32_t)id);
    return id;
}

/* ---------------- option tokenizer ---------------- */

struct rp_opt {
    const char *name, *val;
    size_t nlen, vlen;
    bool has_val;
};

/* Next option of the body s[*pos..len): 1 with *o filled, 0 at the end, -1 on a syntax
 * error (*why set). `lenient` accepts a last option without its ';' (sid recovery only). */
static int opt_next(const char *s, size_t len, size_t *pos, struct rp_opt *o, const char **why,
                    bool lenient)
{
    size_t p = *pos;
    while (p < len && is_space(s[p]))
        p++;
    if (p == len) {
        *pos = p;
        return 0;
    }
    memset(o, 0, sizeof *o);
    o->name = s + p;
    while (p < len && s[p] != ':' && s[p] != ';')
        p++;
    o->nlen = (size_t)(s + p - o->name);
    while (o->nlen && is_space(o->name[o->nlen - 1]))
        o->nlen--;
    if (o->nlen == 0) {
        *why = "empty option";
        return -1;
    }
    if (p == len && !lenient) {
        *why = "option not terminated by ';'";
        return -1;
    }
    if (p == len || s[p] == ';') {
        *pos = p < len ? p + 1 : len;
        return 1;
    }
    /* The value runs to the next unescaped ';'. Quotes do not protect a ';' (as in
     * Suricata): rules escape it, and a pcre may contain a bare '"'. */
    p++;
    size_t vstart = p;
    while (p < len) {
        if (s[p] == '\\') {
            p += 2;
            continue;
        }
        if (s[p] == ';')
            break;
        p++;
    }
    if (p >= len && !lenient) {
        *why = "option not terminated by ';'";
        return -1;
    }
    if (p > len)
        p = len; /* a trailing lone backslash */
    o->has_val = true;
    o->val = s + vstart;
    o->vlen = p - vstart;
    *pos = p < len ? p + 1 : len;
    return 1;
}

static int kw_cmp(const void *a, const void *b)
{
    const struct rp_kw *x = *(const struct rp_kw *const *)a, *y = *(const struct rp_kw *const *)b;
    return strcmp(x->name, y->name);
}

static int kw_key_cmp(const void *key, const void *elem)
{
    const struct rp_kw *k = *(const struct rp_kw *const *)elem;
    return strcmp(key, k->name);
}

static int parse_options(struct rp_ctx *c, const char *s, size_t len)
{
    size_t pos = 0;
    struct rp_opt o;
    const char *why = NULL;
    int more;
    while ((more = opt_next(s, len, &pos, &o, &why, false)) > 0) {
        char name[RP_KEYWORD_MAX + 1];
        size_t n = o.nlen > RP_KEYWORD_MAX ? RP_KEYWORD_MAX : o.nlen;
        for (size_t i = 0; i < n; i++) {
            char ch = o.name[i];
            name[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
        }
        name[n] = 0;
        const struct rp_kw **hit = NULL;
        if (o.nlen <= RP_KEYWORD_MAX)
            hit = bsearch(name, c->p->kw, c->p->n_kw, sizeof *c->p->kw, kw_key_cmp);
        if (!hit)
            return rp_unsupported(c, name);
        const struct rp_kw *k = *hit;
        char *v = NULL;
        if (o.has_val) {
            memcpy(c->vbuf, o.val, o.vlen);
            c->vbuf[o.vlen] = 0;
            v = rp_trim(c->vbuf);
        }
        if (k->val == RP_VAL_REQ && (!v || !*v))
            return rp_fail(c, MM_EINVAL, NULL, "%s needs a value", k->name);
        if (k->val == RP_VAL_NONE && v)
            return rp_fail(c, MM_EINVAL, NULL, "%s takes no value", k->name);
        int rc = k->fn(c, k, v);
        if (rc)
            return rc;
    }
    if (more < 0)
        return rp_fail(c, MM_EINVAL, NULL, "%s", why);
    return 0;
}

/* ---------------- header ---------------- */

static const struct {
    const char *name;
    enum det_action act;
} actions[] = {
    {"alert", DET_ACT_ALERT},       {"pass", DET_ACT_PASS},        {"drop", DET_ACT_DROP},
    {"reject", DET_ACT_REJECT},     {"rejectsrc", DET_ACT_REJECT}, {"rejectdst", DET_ACT_REJECT},
    {"rejectboth", DET_ACT_REJECT},
};

static const struct {
    const char *name;
    enum det_proto proto;
    int app;
} protos[] = {
    {"ip", DET_P_IP, 0},
    {"tcp", DET_P_TCP, 0},
    {"udp", DET_P_UDP, 0},
    {"icmp", DET_P_ICMP, 0},
    {"icmpv4", DET_P_ICMP, 0},
    {"icmpv6", DET_P_ICMP, 0},
    {"tcp-pkt", DET_P_TCP_PKT, 0},
    {"tcp-stream", DET_P_TCP_STREAM, 0},
    {"http", DET_P_HTTP, APP_PROTO_HTTP},
    {"http1", DET_P_HTTP, APP_PROTO_HTTP},
    {"tls", DET_P_TLS, APP_PROTO_TLS},
    {"dns", DET_P_DNS, APP_PROTO_DNS},
    {"smtp", DET_P_SMTP, APP_PROTO_SMTP},
    {"ftp", DET_P_FTP, APP_PROTO_FTP},
    {"ssh", DET_P_SSH, APP_PROTO_SSH},
    {"pop3", DET_P_POP3, APP_PROTO_POP3},
    {"imap", DET_P_IMAP, APP_PROTO_IMAP},
};

struct rp_tok {
    const char *s;
    size_t len;
};

static bool tok_is(const struct rp_tok *t, const char *word)
{
    return strlen(word) == t->len && strncasecmp(t->s, word, t->len) == 0;
}

#define SHOWN(len) ((int)((len) > 40 ? 40 : (len)))

static int parse_header(struct rp_ctx *c, const char *s, size_t len, size_t *body, size_t *body_len)
{
    struct rp_tok t[7];
    size_t p = 0;
    for (int i = 0; i < 7; i++) {
        while (p < len && is_space(s[p]))
            p++;
        size_t start = p, depth = 0;
        while (p < len) {
            char ch = s[p];
            if (ch == '[')
                depth++;
            else if (ch == ']' && depth)
                depth--;
            else if (depth == 0 && (is_space(ch) || ch == '('))
                break;
            p++;
        }
        if (p == start)
            return rp_fail(c, MM_EINVAL, NULL, "rule header is incomplete");
        t[i].s = s + start;
        t[i].len = p - start;
    }
    while (p < len && is_space(s[p]))
        p++;
    if (p == len || s[p] != '(')
        return rp_fail(c, MM_EINVAL, NULL, "expected '(' after the rule header");
    size_t end = len;
    while (end > p && is_space(s[end - 1]))
        end--;
    if (end <= p + 1 || s[end - 1] != ')')
        return rp_fail(c, MM_EINVAL, NULL, "rule does not end with ')'");
    *body = p + 1;
    *body_len = end - 1 - (p + 1);

    struct det_rule *r = c->r;
    size_t i;
    for (i = 0; i < MM_ARRAY_LEN(actions) && !tok_is(&t[0], actions[i].name); i++)
        ;
    if (i == MM_ARRAY_LEN(actions))
        return rp_fail(c, MM_EINVAL, NULL, "unknown action '%.*s'", SHOWN(t[0].len), t[0].s);
    r->action = actions[i].act;

    for (i = 0; i < MM_ARRAY_LEN(protos) && !tok_is(&t[1], protos[i].name); i++)
        ;
    if (i == MM_ARRAY_LEN(protos)) {
        char name[RP_KEYWORD_MAX + 1];
        size_t n = t[1].len > RP_KEYWORD_MAX ? RP_KEYWORD_MAX : t[1].len;
        for (size_t k = 0; k < n; k++) {
            char ch = t[1].s[k];
            name[k] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
        }
        name[n] = 0;
        return rp_fail(c, MM_EINVAL, name, "unsupported protocol '%s'", name);
    }
    r->proto = protos[i].proto;
    r->app_proto = protos[i].app;

    char err[300];
    int rc = det_addr_parse(c->p->vars, t[2].s, t[2].len, &r->src, err, sizeof err);
    if (rc)
        return rp_fail(c, rc, NULL, "source address: %s", err);
    rc = det_port_parse(c->p->vars, t[3].s, t[3].len, &r->sport, err, sizeof err);
    if (rc)
        return rp_fail(c, rc, NULL, "source port: %s", err);
    if (t[4].len == 2 && memcmp(t[4].s, "->", 2) == 0)
        r->bidir = false;
    else if (t[4].len == 2 && memcmp(t[4].s, "<>", 2) == 0)
        r->bidir = true;
    else if (t[4].len == 2 && memcmp(t[4].s, "<-", 2) == 0)
        return rp_fail(c, MM_EINVAL, NULL, "direction '<-' is not supported (write '->')");
    else if (t[4].len == 2 && memcmp(t[4].s, "=>", 2) == 0)
        return rp_fail(c, MM_EINVAL, NULL, "direction '=>' (transactional rule) is not supported");
    else
        return rp_fail(c, MM_EINVAL, NULL, "bad direction '%.*s'", SHOWN(t[4].len), t[4].s);
    rc = det_addr_parse(c->p->vars, t[5].s, t[5].len, &r->dst, err, sizeof err);
    if (rc)
        return rp_fail(c, rc, NULL, "destination address: %s", err);
    rc = det_port_parse(c->p->vars, t[6].s, t[6].len, &r->dport, err, sizeof err);
    if (rc)
        return rp_fail(c, rc, NULL, "destination port: %s", err);
    return 0;
}

/* The sid of a rule that failed before its sid option was read (for the skip record). */
static uint32_t scan_sid(const char *s, size_t len)
{
    const char *open = memchr(s, '(', len);
    if (!open)
        return 0;
    size_t start = (size_t)(open - s) + 1, end = len, pos = 0;
    while (end > start && is_space(s[end - 1]))
        end--;
    if (end > start && s[end - 1] == ')')
        end--;
    struct rp_opt o;
    const char *why;
    while (opt_next(s + start, end - start, &pos, &o, &why, true) > 0) {
        if (o.nlen == 3 && strncasecmp(o.name, "sid", 3) == 0 && o.has_val && o.vlen < 32) {
            char num[32];
            memcpy(num, o.val, o.vlen);
            num[o.vlen] = 0;
            uint64_t v;
            return rp_parse_u64(num, UINT32_MAX, &v) ? (uint32_t)v : 0;
        }
    }
    return 0;
}

/* ---------------- finalisation ---------------- */

enum bfam { BF_NONE = 0, BF_HTTP, BF_DNS, BF_TLS, BF_SSH, BF_MAIL, BF_FILE };

static enum bfam buf_family(enum det_buf b)
{
    if (b >= DET_BUF_HTTP_URI && b <= DET_BUF_HTTP_RESPONSE_BODY)
        return BF_HTTP;
    if (b == DET_BUF_DNS_QUERY)
        return BF_DNS;
    if (b >= DET_BUF_TLS_SNI && b <= DET_BUF_JA4_HASH)
        return BF_TLS;
    if (b >= DET_BUF_SSH_PROTO && b <= DET_BUF_SSH_HASSH_SERVER_STRING)
        return BF_SSH;
    if (b >= DET_BUF_FILE_DATA && b <= DET_BUF_FILE_MAGIC)
        return BF_FILE;
    if (b >= DET_BUF_SMTP_HELO && b <= DET_BUF_EMAIL_X_MAILER)
        return BF_MAIL;
    return BF_NONE;
}

static int family_app(enum bfam f)
{
    switch (f) {
    case BF_HTTP: return APP_PROTO_HTTP;
    case BF_DNS: return APP_PROTO_DNS;
    case BF_TLS: return APP_PROTO_TLS;
    case BF_SSH: return APP_PROTO_SSH;
    case BF_MAIL: return APP_PROTO_SMTP;
    default: return 0;
    }
}

/* Request-only buffers (the response-only ones are det_buf_is_response); the rest
 * (payload, headers in general, files, ssh.proto/software) serve both directions. */
static bool buf_is_request(enum det_buf b)
{
    switch (b) {
    case DET_BUF_HTTP_URI:
    case DET_BUF_HTTP_URI_RAW:
    case DET_BUF_HTTP_METHOD:
    case DET_BUF_HTTP_REQUEST_LINE:
    case DET_BUF_HTTP_USER_AGENT:
    case DET_BUF_HTTP_HOST:
    case DET_BUF_HTTP_HOST_RAW:
    case DET_BUF_HTTP_REFERER:
    case DET_BUF_HTTP_ACCEPT:
    case DET_BUF_HTTP_ACCEPT_ENC:
    case DET_BUF_HTTP_ACCEPT_LANG:
    case DET_BUF_HTTP_REQUEST_BODY:
    case DET_BUF_DNS_QUERY:
    case DET_BUF_TLS_SNI:
    case DET_BUF_JA3_HASH:
    case DET_BUF_JA3_STRING:
    case DET_BUF_JA4_HASH:
    case DET_BUF_SSH_HASSH:
    case DET_BUF_SSH_HASSH_STRING: return true;
    default: return b >= DET_BUF_SMTP_HELO && b <= DET_BUF_EMAIL_X_MAILER;
    }
}

/* The response-side id of a direction-neutral HTTP buffer (itself when there is none). */
static enum det_buf buf_response_variant(enum det_buf b)
{
    switch (b) {
    case DET_BUF_HTTP_PROTOCOL: return DET_BUF_HTTP_RESP_PROTOCOL;
    case DET_BUF_HTTP_HEADER: return DET_BUF_HTTP_RESP_HEADER;
    case DET_BUF_HTTP_HEADER_RAW: return DET_BUF_HTTP_RESP_HEADER_RAW;
    case DET_BUF_HTTP_HEADER_NAMES: return DET_BUF_HTTP_RESP_HEADER_NAMES;
    case DET_BUF_HTTP_COOKIE: return DET_BUF_HTTP_RESP_COOKIE;
    case DET_BUF_HTTP_CONTENT_TYPE: return DET_BUF_HTTP_RESP_CONTENT_TYPE;
    case DET_BUF_HTTP_CONTENT_LEN: return DET_BUF_HTTP_RESP_CONTENT_LEN;
    case DET_BUF_HTTP_CONNECTION: return DET_BUF_HTTP_RESP_CONNECTION;
    case DET_BUF_HTTP_START: return DET_BUF_HTTP_RESP_START;
    default: return b;
    }
}

static const char *proto_word(enum det_proto p)
{
    static const char *const w[DET_P_COUNT] = {
        [DET_P_IP] = "ip",           [DET_P_TCP] = "tcp",
        [DET_P_TCP_PKT] = "tcp-pkt", [DET_P_TCP_STREAM] = "tcp-stream",
        [DET_P_UDP] = "udp",         [DET_P_ICMP] = "icmp",
        [DET_P_HTTP] = "http",       [DET_P_TLS] = "tls",
        [DET_P_DNS] = "dns",         [DET_P_SMTP] = "smtp",
        [DET_P_FTP] = "ftp",         [DET_P_SSH] = "ssh",
        [DET_P_POP3] = "pop3",       [DET_P_IMAP] = "imap",
    };
    return (unsigned)p < DET_P_COUNT && w[p] ? w[p] : "?";
}

/* The app-layer protocol: from the header, else from the buffers (http.uri in a tcp rule
 * makes it an HTTP rule, as in Suricata), then app-layer-protocol. */
static int resolve_app_proto(struct rp_ctx *c)
{
    struct det_rule *r = c->r;
    int app = r->app_proto;
    for (uint32_t i = 0; i < r->n_lists; i++) {
        enum det_buf b = r->lists[i].buf;
        enum bfam f = buf_family(b);
        int need = family_app(f);
        if (f == BF_NONE || f == BF_FILE)
            continue;
        /* SMTP-style mail buffers are filled by the POP3 and IMAP parsers too */
        if (f == BF_MAIL && (app == APP_PROTO_POP3 || app == APP_PROTO_IMAP))
            continue;
        if (r->proto == DET_P_ICMP || (r->proto == DET_P_UDP && f != BF_DNS))
            return rp_fail(c, MM_EINVAL, NULL, "%s cannot be used in a %s rule", det_buf_name(b),
                           proto_word(r->proto));
        if (app == 0) {
            app = need;
        } else if (app != need) {
            return rp_fail(c, MM_EINVAL, NULL, "%s needs %s, the rule is %s", det_buf_name(b),
                           app_proto_name((enum app_proto)need),
                           app_proto_name((enum app_proto)app));
        }
    }
    for (uint32_t i = 0; i < r->n_lists; i++) {
        enum det_buf b = r->lists[i].buf;
        if (buf_family(b) != BF_FILE)
            continue;
        bool ok = app == 0 || app == APP_PROTO_HTTP || app == APP_PROTO_SMTP ||
                  app == APP_PROTO_POP3 || app == APP_PROTO_IMAP || app == APP_PROTO_FTP;
        if (!ok || r->proto == DET_P_ICMP || r->proto == DET_P_UDP)
            return rp_fail(c, MM_EINVAL, NULL, "%s cannot be used in a %s rule", det_buf_name(b),
                           app ? app_proto_name((enum app_proto)app) : proto_word(r->proto));
    }
    if (c->alp_set) {
        if (app == 0) {
            app = c->alp;
            r->app_proto_negated = c->alp_neg;
        } else if (c->alp_neg == (c->alp == app)) {
            /* "app-layer-protocol:!http" in an HTTP rule, or ":dns" in one: never true */
            return rp_fail(c, MM_EINVAL, NULL, "app-layer-protocol:%s%s contradicts the rule's %s",
                           c->alp_neg ? "!" : "", app_proto_name((enum app_proto)c->alp),
                           app_proto_name((enum app_proto)app));
        }
    }
    r->app_proto = app;
    return 0;
}

static int resolve_direction(struct rp_ctx *c)
{
    struct det_rule *r = c->r;
    const char *req = NULL, *resp = NULL;
    for (uint32_t i = 0; i < r->n_lists; i++) {
        enum det_buf b = r->lists[i].buf;
        if (!req && buf_is_request(b))
            req = det_buf_name(b);
        if (!resp && det_buf_is_response(b))
            resp = det_buf_name(b);
    }
    bool fts = r->flow_flags & DET_FLOW_TO_SERVER, ftc = r->flow_flags & DET_FLOW_TO_CLIENT;
    if (req && resp)
        return rp_fail(c, MM_EINVAL, NULL, "mixes request and response buffers (%s, %s)", req,
                       resp);
    if (req && ftc)
        return rp_fail(c, MM_EINVAL, NULL, "%s is a request buffer but the rule is to_client", req);
    if (resp && fts)
        return rp_fail(c, MM_EINVAL, NULL, "%s is a response buffer but the rule is to_server",
                       resp);
    bool to_client = ftc || resp, to_server = fts || req;

    /* Direction-neutral buffers take the side of the rule; file.data in HTTP is a body. */
    for (uint32_t i = 0; i < r->n_lists; i++) {
        struct det_list *l = &r->lists[i];
        if (l->buf == DET_BUF_FILE_DATA && r->app_proto == APP_PROTO_HTTP)
            l->buf = to_server ? DET_BUF_HTTP_REQUEST_BODY : DET_BUF_HTTP_RESPONSE_BODY;
        else if (to_client)
            l->buf = buf_response_variant(l->buf);
        if (det_buf_is_response(l->buf))
            to_client = true;
    }
    r->to_client = to_client;
    r->to_server = to_server;
    return 0;
}

/* A legacy modifier (http_uri ...) can leave the payload list empty: drop such lists. */
static void drop_empty_lists(struct det_rule *r)
{
    uint32_t out = 0;
    for (uint32_t i = 0; i < r->n_lists; i++) {
        if (r->lists[i].n_sms == 0)
            free(r->lists[i].sms);
        else
            r->lists[out++] = r->lists[i];
    }
    r->n_lists = out;
    if (out == 0) {
        free(r->lists);
        r->lists = NULL;
    }
}

static int finalise(struct rp_ctx *c)
{
    struct det_rule *r = c->r;
    if (!c->have_sid)
        return rp_fail(c, MM_EINVAL, NULL, "rule has no sid");
    drop_empty_lists(r);
    int rc = resolve_app_proto(c);
    if (!rc)
        rc = resolve_direction(c);
    if (rc)
        return rc;
    if (!c->have_prio) {
        if (r->classtype >= 0 && (uint32_t)r->classtype < c->p->rs->n_classes)
            r->priority = c->p->rs->classes[r->classtype].priority;
        else
            r->priority = 3;
    }
    r->n_vars = c->n_vars;
    if (!r->msg) {
        r->msg = strdup("");
        if (!r->msg)
            return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    }
    return 0;
}

/* ---------------- public ---------------- */

/* Loads the classification table into an empty set; on failure leaves it empty again so a
 * later parser does not take a partial table for a loaded one. */
static int load_classes(const struct det_parse_opts *o, struct det_ruleset *rs, char *err,
                        size_t errlen)
{
    int rc = o && o->classification_path && o->classification_path[0]
                 ? det_classes_load(rs, o->classification_path, err, errlen)
                 : det_classes_builtin(rs);
    if (rc) {
        if (rc == MM_ENOMEM)
            snprintf(err, errlen, "out of memory");
        for (uint32_t i = 0; i < rs->n_classes; i++) {
            free(rs->classes[i].name);
            free(rs->classes[i].desc);
        }
        free(rs->classes);
        rs->classes = NULL;
        rs->n_classes = 0;
    }
    return rc;
}

int rp_parser_create(const struct det_parse_opts *o, struct det_ruleset *rs, det_parser_t **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    det_parser_t *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return MM_ENOMEM;
    }
    p->rs = rs;
    int rc = det_vartab_create(o, &p->vars, err, errlen);
    if (!rc && rs->n_classes == 0)
        rc = load_classes(o, rs, err, errlen);
    if (!rc) {
        p->n_kw = det_rp_n_keywords;
        p->kw = malloc(p->n_kw * sizeof *p->kw);
        if (!p->kw) {
            snprintf(err, errlen, "out of memory");
            rc = MM_ENOMEM;
        }
    }
    if (rc) {
        det_parser_free(p);
        return rc;
    }
    for (size_t i = 0; i < p->n_kw; i++)
        p->kw[i] = &det_rp_keywords[i];
    qsort(p->kw, p->n_kw, sizeof *p->kw, kw_cmp);
    *out = p;
    return 0;
}

det_parser_t *det_parser_new(const struct det_parse_opts *o, struct det_ruleset *rs, char *err,
                             size_t errlen)
{
    det_parser_t *p;
    return rp_parser_create(o, rs, &p, err, errlen) == 0 ? p : NULL;
}

void det_parser_free(det_parser_t *p)
{
    if (!p)
        return;
    det_vartab_free(p->vars);
    free(p->kw);
    free(p->flowbits.slot);
    free(p->flowints.slot);
    free(p->xbits.slot);
    free(p);
}

int det_parse_rule(det_parser_t *p, const char *text, size_t len, struct det_rule **out,
                   uint32_t *sid, char **reason, char **keyword)
{
    *out = NULL;
    *sid = 0;
    *reason = NULL;
    *keyword = NULL;
    struct rp_ctx c = {
        .p = p, .cur_buf = DET_BUF_PAYLOAD, .cur_list = -1, .last_list = -1, .last_sm = -1};
    c.r = calloc(1, sizeof *c.r);
    c.vbuf = malloc(len + 1);
    if (!c.r || !c.vbuf) {
        rp_fail(&c, MM_ENOMEM, NULL, "out of memory");
    } else {
        c.r->gid = 1;
        c.r->classtype = -1;
        c.r->fp_list = -1;
        c.r->fp_sm = -1;
        size_t body = 0, body_len = 0;
        if (len > DET_RULE_MAX_BYTES)
            rp_fail(&c, MM_EINVAL, NULL, "rule longer than %u bytes", DET_RULE_MAX_BYTES);
        else if (memchr(text, 0, len))
            rp_fail(&c, MM_EINVAL, NULL, "rule contains a NUL byte");
        else if (!parse_header(&c, text, len, &body, &body_len) &&
                 !parse_options(&c, text + body, body_len))
            finalise(&c);
    }
    free(c.vbuf);
    if (!c.err) {
        *out = c.r;
        *sid = c.r->sid;
        return 0;
    }
    if (c.r && c.have_sid)
        *sid = c.r->sid;
    else if (len <= DET_RULE_MAX_BYTES)
        *sid = scan_sid(text, len);
    det_rule_free(c.r);
    *reason = c.reason ? c.reason : strdup("out of memory");
    *keyword = c.keyword;
    return c.err;
}
