/*
 * HTTP/1.x parser (RFC 9112): requests and responses, pipelined, matched in order into
 * transactions (struct http_tx, http.h). See docs/internals/http.md for the rules in full.
 *
 * Shape: each direction is a small state machine. Start lines, header lines, chunk-size
 * lines and trailers go through an app_linebuf (zero-copy when a line lies in one chunk);
 * body bytes are counted and skipped without buffering, apart from the first
 * http_body_limit bytes kept for rules. Transactions sit in a queue in request order; the
 * response side takes the oldest one not yet answered; a transaction is emitted once both
 * its halves are done, always from the head of the queue so tx_id follows request order.
 *
 * Chunking independence: every decision depends on whole lines or on byte counts, never on
 * where a chunk ends. Compressed bodies are handed to zlib in fixed INFL_BLOCK-byte blocks
 * of the compressed stream (staged), so inflate sees the same input boundaries, and the
 * decompression limits trip at the same place, however the stream was cut into chunks.
 *
 * Credentials: an Authorization / Proxy-Authorization value is stored cut to its scheme; a
 * Basic password lives only in the decoded buffer until the response status decides the
 * login outcome, then is wiped, and the line buffer that carried it is wiped too.
 */
#include "http.h"

#include "app_parser.h"
#include "linebuf.h"
#include "textproto.h"

#include "core/mm.h"

#include <limits.h>
#include <string.h>
#include <zlib.h>

#define INFL_BLOCK 4096u        /* compressed bytes per inflate call (fixed: see above) */
#define INFL_OUT 16384u         /* inflate output per step */
#define RATIO_FLOOR (1u << 20)  /* the ratio limit applies once this much was produced */
#define MAX_METHOD 32u          /* longer "methods" are junk, not HTTP */
#define ARENA_MIN 256u

/* ---------- per-message storage ---------- */

struct span {
    uint32_t off, len;
    bool set;
};

struct hoff {
    uint32_t no, nl, vo, vl;
};

enum { V_HOST, V_UA, V_REF, V_XFF, V_CTYPE, V_LOC, NVIEW };
static const char *const view_name[NVIEW] = {"host",         "user-agent",   "referer",
                                             "x-forwarded-for", "content-type", "location"};

enum { ENC_NONE, ENC_GZIP, ENC_DEFLATE, ENC_OTHER };

struct hmsg {
    uint8_t *arena; /* start line, header names and values, derived strings */
    uint32_t alen, acap;
    struct hoff *hdrs;
    uint32_t nh, hcap;
    uint32_t hdr_bytes; /* header block bytes seen (limit: http_max_header_bytes) */
    bool hdr_limit;
    /* framing, from the headers as they arrive (stored or not) */
    bool te_present, te_chunked, cl_present, cl_bad;
    uint64_t cl;
    uint8_t enc;
    uint32_t n_enc;
    /* start line: request method/uri/protocol, or response protocol/status/reason */
    struct span l1, l2, l3;
    struct span view[NVIEW];
    /* body */
    uint8_t *body;
    uint32_t blen, bcap;
    uint64_t wire, entity, decoded;
};

struct htx {
    struct htx *next;
    struct hmsg req, resp;
    bool has_req;       /* a request line was seen */
    bool req_done;
    bool resp_attached; /* the response side took this tx (any status line) */
    bool resp_done;
    bool is_head, is_connect;
    int status;
    uint32_t flags;
    struct span uri_norm, hostname, user; /* in req.arena */
    int32_t port;
    uint8_t *auth; /* decoded Basic credentials (holds the password until the login) */
    uint32_t auth_cap, pw_off, pw_len;
    bool login_pending, login_has_pw;
};

/* ---------- per-direction parsing ---------- */

enum hs {
    HS_START,      /* expecting a request/status line (empty lines skipped) */
    HS_HEADERS,
    HS_BODY_LEN,   /* Content-Length body: `remaining` bytes */
    HS_CHUNK_SIZE,
    HS_CHUNK_DATA, /* `remaining` bytes of one chunk */
    HS_CHUNK_END,  /* the CRLF after a chunk's data */
    HS_TRAILERS,
    HS_BODY_CLOSE, /* response body up to the end of the direction */
    HS_RESYNC,     /* after a gap or bad framing: skip lines up to a start line */
};

struct infl {
    z_stream zs;
    struct app_session *s;
    bool deflate;  /* Content-Encoding deflate: zlib wrapper, or raw when that fails */
    bool raw;
    uint32_t slen; /* staged compressed bytes */
    uint8_t stage[INFL_BLOCK];
};

struct hside {
    uint8_t st;
    bool ended;
    bool any_hdr;   /* a header line was seen in this block (folding allowed) */
    bool last_cred; /* the last header was a credentials header: drop its continuations */
    struct app_linebuf lb;
    struct htx *tx; /* tx whose message this side is parsing */
    uint64_t remaining;
    struct infl *z;
};

struct hstate {
    struct app_session *s;
    struct hside side[2];
    struct htx *head, *tail;
    uint32_t ntx;
    uint64_t next_id;
    bool dead;
};

struct lctx {
    struct hstate *h;
    int dir;
};

/* ---------- small helpers ---------- */

static uint8_t lc(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t';
}

static bool is_tchar(uint8_t c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static void trim(const uint8_t **p, size_t *n)
{
    while (*n && is_ws((*p)[0])) {
        (*p)++;
        (*n)--;
    }
    while (*n && is_ws((*p)[*n - 1]))
        (*n)--;
}

static void stop(struct hstate *h, int dir);
static void flush_ready(struct hstate *h, int dir);

/* Append n bytes to m's arena; the span (optional) gets their place. False: memory refused
 * (the caller stops). */
static bool arena_put(struct hstate *h, struct hmsg *m, const void *p, size_t n,
                      struct span *sp)
{
    if (n > UINT32_MAX / 4 || (size_t)m->alen + n > UINT32_MAX / 2)
        return false;
    if (m->alen + n > m->acap) {
        size_t ncap = m->acap ? m->acap : ARENA_MIN;
        while (ncap < m->alen + n)
            ncap *= 2;
        uint8_t *nb = m->arena ? app_realloc(h->s, m->arena, m->acap, ncap)
                               : app_alloc(h->s, ncap);
        if (!nb)
            return false;
        m->arena = nb;
        m->acap = (uint32_t)ncap;
    }
    if (n)
        memcpy(m->arena + m->alen, p, n);
    if (sp) {
        sp->off = m->alen;
        sp->len = (uint32_t)n;
        sp->set = true;
    }
    m->alen += (uint32_t)n;
    return true;
}

/* Room for n more bytes without moving the arena afterwards. */
static bool arena_reserve(struct hstate *h, struct hmsg *m, size_t n)
{
    if (n > UINT32_MAX / 4 || (size_t)m->alen + n > UINT32_MAX / 2)
        return false;
    if (m->alen + n <= m->acap)
        return true;
    size_t ncap = m->acap ? m->acap : ARENA_MIN;
    while (ncap < m->alen + n)
        ncap *= 2;
    uint8_t *nb = m->arena ? app_realloc(h->s, m->arena, m->acap, ncap) : app_alloc(h->s, ncap);
    if (!nb)
        return false;
    m->arena = nb;
    m->acap = (uint32_t)ncap;
    return true;
}

static void msg_free(struct hstate *h, struct hmsg *m)
{
    if (m->arena) {
        explicit_bzero(m->arena, m->acap);
        app_free(h->s, m->arena, m->acap);
    }
    app_free(h->s, m->hdrs, (size_t)m->hcap * sizeof *m->hdrs);
    app_free(h->s, m->body, m->bcap);
    memset(m, 0, sizeof *m);
}

static void auth_wipe(struct hstate *h, struct htx *tx)
{
    if (tx->auth) {
        explicit_bzero(tx->auth, tx->auth_cap);
        app_free(h->s, tx->auth, tx->auth_cap);
        tx->auth = NULL;
        tx->auth_cap = tx->pw_off = tx->pw_len = 0;
    }
}

static void tx_free(struct hstate *h, struct htx *tx)
{
    auth_wipe(h, tx);
    msg_free(h, &tx->req);
    msg_free(h, &tx->resp);
    app_free(h->s, tx, sizeof *tx);
}

/* ---------- decompression ---------- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    size_t n = (size_t)items * size;
    if (size && n / size != items)
        return Z_NULL;
    uint8_t *p = app_alloc(opaque, n + 16);
    if (!p)
        return Z_NULL;
    memcpy(p, &n, sizeof n);
    return p + 16;
}

static void z_free(voidpf opaque, voidpf addr)
{
    if (!addr)
        return;
    uint8_t *p = (uint8_t *)addr - 16;
    size_t n;
    memcpy(&n, p, sizeof n);
    app_free(opaque, p, n + 16);
}

static void infl_free(struct hstate *h, struct hside *sd)
{
    if (!sd->z)
        return;
    inflateEnd(&sd->z->zs);
    app_free(h->s, sd->z, sizeof *sd->z);
    sd->z = NULL;
}

static int infl_init(struct infl *z, int wbits)
{
    memset(&z->zs, 0, sizeof z->zs);
    z->zs.zalloc = z_alloc;
    z->zs.zfree = z_free;
    z->zs.opaque = z->s;
    return inflateInit2(&z->zs, wbits);
}

static bool infl_start(struct hstate *h, struct hside *sd, uint8_t enc)
{
    struct infl *z = app_alloc(h->s, sizeof *z);
    if (!z)
        return false;
    z->s = h->s;
    z->deflate = enc == ENC_DEFLATE;
    z->raw = false;
    z->slen = 0;
    if (infl_init(z, z->deflate ? 15 : 15 + 32) != Z_OK) {
        app_free(h->s, z, sizeof *z);
        return false;
    }
    sd->z = z;
    return true;
}

static void body_keep(struct hstate *h, struct hmsg *m, const uint8_t *p, size_t n)
{
    uint32_t limit = app_cfg(h->s)->http_body_limit;
    if (m->blen >= limit || n == 0)
        return;
    size_t take = n < (size_t)(limit - m->blen) ? n : (size_t)(limit - m->blen);
    if (m->blen + take > m->bcap) {
        size_t ncap = m->bcap ? (size_t)m->bcap * 2 : 1024;
        /* A body sent as is with a Content-Length: its size is known, so it takes one or two
         * allocations instead of a doubling series with a copy at each step. At most eight
         * times the bytes already here at each step, so a large Content-Length with no body
         * behind it does not reserve memory it never uses. (A 100 KiB body that came in
         * 1,460-byte segments: 11.7 KiB, then all of it, one copy of 11.7 KiB; doubling
         * copied 175 KiB, into new memory each time once other state shares the heap.) */
        if (m->cl_present && !m->cl_bad && m->enc == ENC_NONE && m->cl > ncap) {
            size_t have = (size_t)m->blen + take;
            size_t most = have < SIZE_MAX / 8 ? have * 8 : SIZE_MAX;
            ncap = (size_t)MM_MIN(m->cl, (uint64_t)MM_MAX(most, ncap));
        }
        while (ncap < m->blen + take)
            ncap *= 2;
        if (ncap > limit)
            ncap = limit;
        uint8_t *nb = m->body ? app_realloc(h->s, m->body, m->bcap, ncap)
                              : app_alloc(h->s, ncap);
        if (!nb) {
            stop(h, -1);
            return;
        }
        m->body = nb;
        m->bcap = (uint32_t)ncap;
    }
    memcpy(m->body + m->blen, p, take);
    m->blen += (uint32_t)take;
}

static const uint32_t decomp_flag[2] = {HTTP_TX_REQ_DECOMPRESSED, HTTP_TX_RESP_DECOMPRESSED};

/* Inflate the staged block. Ends decompression of the body (infl freed) on stream end,
 * error or limit. */
static void infl_run(struct hstate *h, int dir, struct htx *tx, struct hmsg *m)
{
    struct hside *sd = &h->side[dir];
    struct infl *z = sd->z;
    const struct app_config *cfg = app_cfg(h->s);
    uint8_t out[INFL_OUT];
    bool retried = false;
again:
    z->zs.next_in = z->stage;
    z->zs.avail_in = z->slen;
    for (;;) {
        z->zs.next_out = out;
        z->zs.avail_out = INFL_OUT;
        int rc = inflate(&z->zs, Z_NO_FLUSH);
        size_t got = INFL_OUT - z->zs.avail_out;
        if (got) {
            tx->flags |= decomp_flag[dir];
            m->decoded += got;
            body_keep(h, m, out, got);
            if (h->dead)
                return;
        }
        if (rc == Z_DATA_ERROR && z->deflate && !z->raw && !retried && z->zs.total_out == 0) {
            /* "deflate" sent without the zlib wrapper (common): retry as raw deflate. */
            inflateEnd(&z->zs);
            z->raw = true;
            retried = true;
            if (infl_init(z, -15) != Z_OK) {
                app_free(h->s, z, sizeof *z);
                sd->z = NULL;
                stop(h, dir);
                return;
            }
            goto again;
        }
        if (rc == Z_MEM_ERROR) {
            infl_free(h, sd);
            stop(h, dir);
            return;
        }
        if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR) {
            tx->flags |= HTTP_TX_DECOMPRESS_ERROR;
            app_anomaly(h->s, dir, "GZIP_DECOMPRESSION_FAILED");
            infl_free(h, sd);
            return;
        }
        uint64_t in = z->zs.total_in;
        if (m->decoded > cfg->decompress_max_bytes ||
            (m->decoded >= RATIO_FLOOR && m->decoded > (uint64_t)cfg->decompress_max_ratio * in)) {
            tx->flags |= HTTP_TX_DECOMPRESS_LIMIT;
            app_anomaly(h->s, dir, "COMPRESSION_BOMB");
            app_limit_hit(h->s);
            infl_free(h, sd);
            return;
        }
        if (rc == Z_STREAM_END) {
            infl_free(h, sd);
            return;
        }
        if (z->zs.avail_out != 0 || (rc == Z_BUF_ERROR && z->zs.avail_in == 0))
            break; /* all staged input taken: wait for the next block */
    }
    z->slen = 0;
}

static void infl_feed(struct hstate *h, int dir, struct htx *tx, struct hmsg *m,
                      const uint8_t *p, size_t n)
{
    struct hside *sd = &h->side[dir];
    while (n && sd->z && !h->dead) {
        size_t take = INFL_BLOCK - sd->z->slen;
        if (take > n)
            take = n;
        memcpy(sd->z->stage + sd->z->slen, p, take);
        sd->z->slen += (uint32_t)take;
        p += take;
        n -= take;
        if (sd->z->slen == INFL_BLOCK)
            infl_run(h, dir, tx, m);
    }
}

/* Entity bytes (after de-chunking) of the message being parsed on dir. */
static void body_data(struct hstate *h, int dir, const uint8_t *p, size_t n)
{
    struct hside *sd = &h->side[dir];
    struct htx *tx = sd->tx;
    struct hmsg *m = dir ? &tx->resp : &tx->req;
    m->entity += n;
    if (m->enc == ENC_NONE || m->enc == ENC_OTHER) {
        m->decoded += n;
        body_keep(h, m, p, n);
    } else if (sd->z) {
        infl_feed(h, dir, tx, m, p, n);
    }
}

/* ---------- emission ---------- */

static struct http_str str_of(const struct hmsg *m, struct span sp)
{
    struct http_str r = {NULL, 0};
    if (sp.set) {
        r.p = m->arena + sp.off;
        r.len = sp.len;
    }
    return r;
}

static void do_login(struct hstate *h, int dir, struct htx *tx, enum app_login_outcome oc)
{
    if (!tx->login_pending)
        return;
    tx->login_pending = false;
    const uint8_t *pw = tx->login_has_pw ? tx->auth + tx->pw_off : NULL;
    tp_login(h->s, dir, "basic", tx->user.set ? tx->req.arena + tx->user.off : (const uint8_t *)"",
             tx->user.set ? tx->user.len : 0, oc, pw, pw ? tx->pw_len : 0);
    auth_wipe(h, tx);
}

static void fill_headers(struct http_header *out, const struct hmsg *m)
{
    for (uint32_t i = 0; i < m->nh; i++) {
        out[i].name.p = m->arena + m->hdrs[i].no;
        out[i].name.len = m->hdrs[i].nl;
        out[i].value.p = m->arena + m->hdrs[i].vo;
        out[i].value.len = m->hdrs[i].vl;
    }
}

static void emit(struct hstate *h, int dir, struct htx *tx)
{
    do_login(h, dir, tx, APP_LOGIN_UNKNOWN);
    struct http_tx r;
    memset(&r, 0, sizeof r);
    r.tx_id = h->next_id++;
    r.flags = tx->flags;
    if (!tx->req_done)
        r.flags |= HTTP_TX_REQ_INCOMPLETE;
    if (tx->resp_attached && !tx->resp_done)
        r.flags |= HTTP_TX_RESP_INCOMPLETE;
    const struct hmsg *q = &tx->req, *a = &tx->resp;
    r.method = str_of(q, q->l1);
    r.uri = str_of(q, q->l2);
    r.protocol = str_of(q, q->l3);
    r.uri_norm = str_of(q, tx->uri_norm);
    r.hostname = str_of(q, tx->hostname);
    r.http_port = tx->port;
    r.host = str_of(q, q->view[V_HOST]);
    r.user_agent = str_of(q, q->view[V_UA]);
    r.referer = str_of(q, q->view[V_REF]);
    r.xff = str_of(q, q->view[V_XFF]);
    r.req_content_type = str_of(q, q->view[V_CTYPE]);
    r.basic_auth_user = str_of(q, tx->user);
    r.resp_protocol = str_of(a, a->l1);
    r.status = tx->status;
    r.status_msg = str_of(a, a->l3);
    r.resp_content_type = str_of(a, a->view[V_CTYPE]);
    r.location = str_of(a, a->view[V_LOC]);
    r.req_wire = q->wire;
    r.req_entity = q->entity;
    r.req_decoded = q->decoded;
    r.resp_wire = a->wire;
    r.resp_entity = a->entity;
    r.resp_decoded = a->decoded;
    r.req_body = q->body;
    r.req_body_len = q->blen;
    r.resp_body = a->body;
    r.resp_body_len = a->blen;

    size_t nh = (size_t)q->nh + a->nh;
    struct http_header *hv = NULL;
    if (nh) {
        hv = app_alloc(h->s, nh * sizeof *hv);
        if (hv) {
            fill_headers(hv, q);
            fill_headers(hv + q->nh, a);
            r.req_headers = hv;
            r.n_req_headers = q->nh;
            r.resp_headers = hv + q->nh;
            r.n_resp_headers = a->nh;
        }
    }
    app_emit(h->s, dir, APP_REC_HTTP, &r);
    if (hv)
        app_free(h->s, hv, nh * sizeof *hv);
    else if (nh)
        stop(h, dir); /* the tx went out without its headers; memory is short */
}

static void unlink_head(struct hstate *h)
{
    struct htx *tx = h->head;
    h->head = tx->next;
    if (!h->head)
        h->tail = NULL;
    h->ntx--;
}

/* Emit every tx at the head of the queue whose both halves are done. */
static void flush_ready(struct hstate *h, int dir)
{
    while (h->head) {
        struct htx *tx = h->head;
        if (tx == h->side[0].tx || tx == h->side[1].tx)
            return;
        bool req_ok = tx->req_done || !tx->has_req || h->side[0].ended;
        bool resp_ok = tx->resp_done || h->side[1].ended;
        if (!req_ok || !resp_ok)
            return;
        unlink_head(h);
        emit(h, dir, tx);
        tx_free(h, tx);
    }
}

/* Emit everything queued, in order, with what was seen. */
static void flush_all(struct hstate *h, int dir)
{
    h->side[0].tx = h->side[1].tx = NULL;
    while (h->head) {
        struct htx *tx = h->head;
        unlink_head(h);
        emit(h, dir, tx);
        tx_free(h, tx);
    }
}

/* The parser is done with this flow: emit what was seen, free buffers, stop. dir -1: from
 * a place without a direction (memory refusal). */
static void stop(struct hstate *h, int dir)
{
    if (h->dead)
        return;
    h->dead = true;
    for (int d = 0; d < 2; d++)
        infl_free(h, &h->side[d]);
    flush_all(h, dir < 0 ? 0 : dir);
    app_stop(h->s);
}

/* ---------- message boundaries ---------- */

static void infl_finish(struct hstate *h, int dir)
{
    struct hside *sd = &h->side[dir];
    if (sd->z && sd->tx && sd->z->slen)
        infl_run(h, dir, sd->tx, dir ? &sd->tx->resp : &sd->tx->req);
    infl_free(h, sd);
}

/* The message on dir ends (complete or not); the side goes to next_state. */
static void msg_done(struct hstate *h, int dir, bool complete, uint8_t next_state)
{
    struct hside *sd = &h->side[dir];
    struct htx *tx = sd->tx;
    infl_finish(h, dir);
    if (h->dead)
        return;
    sd->st = next_state;
    sd->remaining = 0;
    sd->any_hdr = sd->last_cred = false;
    if (tx) {
        if (dir == 0) {
            tx->req_done = true;
            if (!complete)
                tx->flags |= HTTP_TX_REQ_INCOMPLETE;
        } else {
            tx->resp_done = true;
            if (!complete)
                tx->flags |= HTTP_TX_RESP_INCOMPLETE;
        }
    }
    sd->tx = NULL;
    flush_ready(h, dir);
}

/* ---------- URI ---------- */

/*
 * Normalised form of a request target into the arena: the path is percent-decoded (a '%'
 * without two hex digits is kept as is and flagged), '\' becomes '/', empty segments ("//")
 * are dropped, "." segments removed and ".." segments remove the segment before them
 * (never above the root); the query ('?' onwards) is appended unchanged. An absolute-form
 * target ("http://host/p") is reduced to its path first. See docs/internals/http.md.
 */
static bool uri_normalise(struct hstate *h, struct htx *tx)
{
    struct hmsg *m = &tx->req;
    if (!m->l2.set)
        return true;
    size_t n = m->l2.len;
    size_t start = 0;
    /* absolute-form: scheme "://" authority; the path starts at the next '/' */
    {
        const uint8_t *u = m->arena + m->l2.off;
        size_t i = 0;
        while (i < n && (is_tchar(u[i]) && u[i] != '/' && u[i] != ':'))
            i++;
        if (i > 0 && i + 2 < n && u[i] == ':' && u[i + 1] == '/' && u[i + 2] == '/') {
            size_t j = i + 3;
            while (j < n && u[j] != '/' && u[j] != '?')
                j++;
            start = j;
        }
    }
    /* The output is at most as long as the input, plus a '/' for an empty absolute path. */
    size_t need = n - start + 1;
    if (!arena_reserve(h, m, need))
        return false;
    uint32_t at = m->alen;
    const uint8_t *u = m->arena + m->l2.off; /* the arena may have moved */
    uint8_t *o = m->arena + at;
    size_t q = start;
    while (q < n && u[q] != '?')
        q++;
    /* pass 1: decode the path into o (decoded length <= raw length) */
    size_t dl = 0;
    for (size_t i = start; i < q; i++) {
        uint8_t c = u[i];
        if (c == '%') {
            int hi = i + 2 < q ? tp_hexval(u[i + 1]) : -1;
            int lo = i + 2 < q ? tp_hexval(u[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                c = (uint8_t)(hi * 16 + lo);
                i += 2;
            } else {
                tx->flags |= HTTP_TX_URI_BAD_ESCAPE;
            }
        }
        o[dl++] = c == '\\' ? '/' : c;
    }
    /* pass 2: segments, in place (the write position never passes the read position) */
    bool lead = dl > 0 && o[0] == '/';
    size_t w = 0, r = 0;
    bool trailing = false;
    if (lead)
        o[w++] = '/';
    while (r < dl) {
        while (r < dl && o[r] == '/')
            r++;
        if (r >= dl)
            break;
        size_t s0 = r;
        while (r < dl && o[r] != '/')
            r++;
        size_t sl = r - s0;
        bool more = r < dl; /* a '/' follows */
        if (sl == 1 && o[s0] == '.') {
            trailing = true;
            continue;
        }
        if (sl == 2 && o[s0] == '.' && o[s0 + 1] == '.') {
            /* drop the last written segment */
            size_t base = lead ? 1 : 0;
            if (w > base) {
                size_t k = w;
                if (o[k - 1] == '/')
                    k--;
                while (k > base && o[k - 1] != '/')
                    k--;
                w = k;
            }
            trailing = true;
            continue;
        }
        if (w > (lead ? 1u : 0u) && o[w - 1] != '/')
            o[w++] = '/';
        memmove(o + w, o + s0, sl);
        w += sl;
        trailing = more;
    }
    if (trailing && w > 0 && o[w - 1] != '/')
        o[w++] = '/';
    if (w == 0 && start > 0)
        o[w++] = '/'; /* "http://host" or "http://host?q": the path is "/" */
    /* query, raw */
    size_t ql = n - q;
    if (w + ql > need) {
        /* cannot happen: w <= dl + 1 and dl + ql <= n - start */
        ql = need - w;
    }
    memcpy(o + w, u + q, ql);
    w += ql;
    m->alen = at + (uint32_t)w;
    tx->uri_norm.off = at;
    tx->uri_norm.len = (uint32_t)w;
    tx->uri_norm.set = true;
    return true;
}

/* Host and port from "[userinfo@]host[:port]" at off/n in the request arena, lower-cased
 * into the arena. */
static bool set_hostname(struct hstate *h, struct htx *tx, uint32_t off, size_t n)
{
    struct hmsg *m = &tx->req;
    if (!arena_reserve(h, m, n))
        return false;
    const uint8_t *p = m->arena + off; /* stable now: the copy below fits */
    const uint8_t *at = memchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    trim(&p, &n);
    size_t hl = n;
    int32_t port = -1;
    /* a port: the digits after the last ':' that is not inside an IPv6 literal */
    for (size_t i = n; i > 0; i--) {
        uint8_t c = p[i - 1];
        if (c == ':') {
            size_t dl = n - i;
            bool bracket_ok = p[0] != '[' || (i >= 2 && p[i - 2] == ']');
            if (dl >= 1 && dl <= 5 && bracket_ok) {
                uint32_t v = 0;
                for (size_t k = i; k < n; k++)
                    v = v * 10 + (uint32_t)(p[k] - '0');
                if (v <= 65535) {
                    port = (int32_t)v;
                    hl = i - 1;
                }
            } else if (dl == 0 && bracket_ok) {
                hl = i - 1; /* "host:" */
            }
            break;
        }
        if (c < '0' || c > '9')
            break;
    }
    uint8_t *o = m->arena + m->alen;
    for (size_t i = 0; i < hl; i++)
        o[i] = lc(p[i]);
    tx->hostname = (struct span){m->alen, (uint32_t)hl, true};
    m->alen += (uint32_t)hl;
    tx->port = port;
    return true;
}

/* ---------- Basic credentials ---------- */

/* Decode the Basic credentials of tx's request (p: what follows "Basic"). */
static bool basic_auth(struct hstate *h, struct htx *tx, const uint8_t *p, size_t n)
{
    trim(&p, &n);
    size_t cap = n / 4 * 3 + 3;
    if (cap == 0 || n == 0) {
        app_anomaly(h->s, 0, "REQUEST_AUTH_INVALID");
        return true;
    }
    uint8_t *d = app_alloc(h->s, cap);
    if (!d)
        return false;
    /* cap holds any decoding of n characters: only a bad character fails. */
    long k = tp_b64_decode(p, n, d, cap);
    if (k < 0) {
        explicit_bzero(d, cap);
        app_free(h->s, d, cap);
        app_anomaly(h->s, 0, "REQUEST_AUTH_INVALID");
        return true;
    }
    size_t dl = (size_t)k;
    const uint8_t *colon = memchr(d, ':', dl);
    size_t ul = colon ? (size_t)(colon - d) : dl;
    if (!arena_put(h, &tx->req, d, ul, &tx->user)) {
        explicit_bzero(d, cap);
        app_free(h->s, d, cap);
        return false;
    }
    tx->auth = d;
    tx->auth_cap = (uint32_t)cap;
    tx->login_has_pw = colon != NULL;
    tx->pw_off = colon ? (uint32_t)(ul + 1) : 0;
    tx->pw_len = colon ? (uint32_t)(dl - ul - 1) : 0;
    tx->login_pending = true;
    return true;
}

/* ---------- start lines ---------- */

enum { SL_OK, SL_09, SL_JUNK };

struct reqline {
    const uint8_t *m, *u, *v;
    size_t ml, ul, vl;
};

static int parse_request_line(const uint8_t *p, size_t n, bool cut, struct reqline *rl)
{
    memset(rl, 0, sizeof *rl);
    size_t i = 0;
    while (i < n && is_tchar(p[i]))
        i++;
    if (i == 0 || i > MAX_METHOD || i == n || !is_ws(p[i]))
        return SL_JUNK;
    rl->m = p;
    rl->ml = i;
    while (i < n && is_ws(p[i]))
        i++;
    const uint8_t *rest = p + i;
    size_t rn = n - i;
    trim(&rest, &rn);
    if (rn == 0)
        return SL_JUNK;
    /* the protocol is the last blank-separated token when it starts with "HTTP/" */
    size_t k = rn;
    while (k > 0 && !is_ws(rest[k - 1]))
        k--;
    if (k > 0 && rn - k >= 5 && memcmp(rest + k, "HTTP/", 5) == 0) {
        rl->v = rest + k;
        rl->vl = rn - k;
        size_t ul = k;
        while (ul > 0 && is_ws(rest[ul - 1]))
            ul--;
        rl->u = rest;
        rl->ul = ul;
        return SL_OK;
    }
    if (cut) {
        rl->u = rest;
        rl->ul = rn;
        return SL_OK;
    }
    rl->u = rest;
    rl->ul = rn;
    return k == 0 ? SL_09 : SL_JUNK;
}

/* "HTTP/x.y SP status SP reason". Returns SL_JUNK when the protocol is not HTTP. */
static int parse_status_line(const uint8_t *p, size_t n, struct reqline *rl, int *status)
{
    memset(rl, 0, sizeof *rl);
    *status = -1;
    if (n < 5 || memcmp(p, "HTTP/", 5) != 0)
        return SL_JUNK;
    size_t i = 5;
    while (i < n && !is_ws(p[i]))
        i++;
    rl->m = p;
    rl->ml = i;
    while (i < n && is_ws(p[i]))
        i++;
    size_t s0 = i;
    while (i < n && !is_ws(p[i]))
        i++;
    size_t sl = i - s0;
    rl->u = p + s0;
    rl->ul = sl;
    if (sl == 3 && p[s0] >= '1' && p[s0] <= '9' && p[s0 + 1] >= '0' && p[s0 + 1] <= '9' &&
        p[s0 + 2] >= '0' && p[s0 + 2] <= '9')
        *status = (p[s0] - '0') * 100 + (p[s0 + 1] - '0') * 10 + (p[s0 + 2] - '0');
    while (i < n && is_ws(p[i]))
        i++;
    rl->v = p + i;
    rl->vl = n - i;
    return SL_OK;
}

static bool looks_like_start(int dir, const uint8_t *p, size_t n)
{
    struct reqline rl;
    int st;
    if (dir == 0)
        return parse_request_line(p, n, false, &rl) == SL_OK;
    return parse_status_line(p, n, &rl, &st) == SL_OK && st >= 0 && n > 9 && p[5] >= '0' &&
           p[5] <= '9';
}

static struct htx *tx_new(struct hstate *h)
{
    struct htx *tx = app_calloc(h->s, sizeof *tx);
    if (!tx)
        return NULL;
    tx->status = -1;
    tx->port = -1;
    if (h->tail)
        h->tail->next = tx;
    else
        h->head = tx;
    h->tail = tx;
    h->ntx++;
    return tx;
}

/* A request line: returns 0 to go on, 1 when parsing stopped. */
static int on_request_line(struct hstate *h, const uint8_t *p, size_t n, bool cut, bool resync)
{
    struct hside *sd = &h->side[0];
    const struct app_config *cfg = app_cfg(h->s);
    if (!resync && n && is_ws(p[0])) {
        app_anomaly(h->s, 0, "REQUEST_LINE_LEADING_WHITESPACE");
        while (n && is_ws(p[0])) {
            p++;
            n--;
        }
    }
    struct reqline rl;
    int r = parse_request_line(p, n, cut, &rl);
    if (r != SL_OK) {
        if (resync)
            return 0;
        app_anomaly(h->s, 0, r == SL_09 ? "REQUEST_LINE_MISSING_PROTOCOL" : "REQUEST_LINE_INVALID");
        stop(h, 0);
        return 1;
    }
    if (cut) {
        app_anomaly(h->s, 0, "REQUEST_FIELD_TOO_LONG");
        app_limit_hit(h->s);
    }
    /* Unanswered requests are bounded: the oldest one is given up (emitted without a
     * response) to make room, and the whole queue is bounded at twice the limit. */
    uint32_t unanswered = 0;
    struct htx *oldest = NULL;
    for (struct htx *t = h->head; t; t = t->next)
        if (t->has_req && !t->resp_attached) {
            if (!oldest)
                oldest = t;
            unanswered++;
        }
    uint32_t maxp = cfg->max_pending_tx ? cfg->max_pending_tx : 1;
    if (unanswered >= maxp) {
        app_anomaly(h->s, 0, "TOO_MANY_PENDING_REQUESTS");
        app_limit_hit(h->s);
        if (h->ntx >= 2 * maxp) {
            stop(h, 0);
            return 1;
        }
        oldest->resp_attached = oldest->resp_done = true;
        flush_ready(h, 0);
    }
    struct htx *tx = tx_new(h);
    if (!tx) {
        stop(h, 0);
        return 1;
    }
    tx->has_req = true;
    struct hmsg *m = &tx->req;
    if (!arena_put(h, m, rl.m, rl.ml, &m->l1) || !arena_put(h, m, rl.u, rl.ul, &m->l2) ||
        (rl.v && !arena_put(h, m, rl.v, rl.vl, &m->l3)) || !uri_normalise(h, tx)) {
        stop(h, 0);
        return 1;
    }
    tx->is_head = rl.ml == 4 && memcmp(rl.m, "HEAD", 4) == 0;
    tx->is_connect = rl.ml == 7 && memcmp(rl.m, "CONNECT", 7) == 0;
    m->hdr_bytes = 0;
    sd->tx = tx;
    sd->st = HS_HEADERS;
    sd->any_hdr = sd->last_cred = false;
    return 0;
}

static int on_status_line(struct hstate *h, const uint8_t *p, size_t n, bool cut, bool resync)
{
    struct hside *sd = &h->side[1];
    struct reqline rl;
    int status;
    int r = parse_status_line(p, n, &rl, &status);
    if (r != SL_OK) {
        if (resync)
            return 0;
        app_anomaly(h->s, 1, "RESPONSE_INVALID_PROTOCOL");
        stop(h, 1);
        return 1;
    }
    if (cut) {
        app_anomaly(h->s, 1, "RESPONSE_FIELD_TOO_LONG");
        app_limit_hit(h->s);
    }
    if (status < 0)
        app_anomaly(h->s, 1, "RESPONSE_INVALID_STATUS");
    struct htx *tx = NULL;
    for (struct htx *t = h->head; t; t = t->next)
        if (!t->resp_attached) {
            tx = t;
            break;
        }
    if (!tx) {
        app_anomaly(h->s, 1, "UNABLE_TO_MATCH_RESPONSE_TO_REQUEST");
        tx = tx_new(h);
        if (!tx) {
            stop(h, 1);
            return 1;
        }
        tx->req_done = true;
        tx->flags |= HTTP_TX_NO_REQUEST;
    }
    tx->resp_attached = true;
    /* an interim (1xx) response before this one is replaced */
    msg_free(h, &tx->resp);
    struct hmsg *m = &tx->resp;
    if (!arena_put(h, m, rl.m, rl.ml, &m->l1) || !arena_put(h, m, rl.u, rl.ul, &m->l2) ||
        !arena_put(h, m, rl.v, rl.vl, &m->l3)) {
        stop(h, 1);
        return 1;
    }
    tx->status = status;
    if (status < 100 || status >= 200 || status == 101) {
        enum app_login_outcome oc = APP_LOGIN_UNKNOWN;
        if (status >= 100 && status < 400)
            oc = APP_LOGIN_SUCCESS;
        else if (status == 401 || status == 403)
            oc = APP_LOGIN_FAILURE;
        do_login(h, 1, tx, oc);
    }
    sd->tx = tx;
    sd->st = HS_HEADERS;
    sd->any_hdr = sd->last_cred = false;
    return 0;
}

/* ---------- headers ---------- */

/* Next element of the comma list p[0..n) at *i (may be empty), trimmed; false past the end. */
static bool list_next(const uint8_t *p, size_t n, size_t *i, const uint8_t **e, size_t *el)
{
    if (*i > n)
        return false;
    size_t j = *i;
    while (j < n && p[j] != ',')
        j++;
    *e = p + *i;
    *el = j - *i;
    trim(e, el);
    *i = j + 1;
    return true;
}

static void parse_cl(struct hstate *h, int dir, struct hmsg *m, const uint8_t *p, size_t n)
{
    /* "n" or a list "n, n" of equal values (RFC 9110 8.6) */
    bool bad = false;
    bool have = false;
    uint64_t val = 0;
    size_t i = 0;
    const uint8_t *e;
    size_t el;
    while (list_next(p, n, &i, &e, &el)) {
        if (el == 0 || el > 18) {
            bad = true;
        } else {
            uint64_t v = 0;
            for (size_t k = 0; k < el; k++) {
                if (e[k] < '0' || e[k] > '9') {
                    bad = true;
                    break;
                }
                v = v * 10 + (uint64_t)(e[k] - '0');
            }
            if (!bad) {
                if (have && v != val)
                    bad = true;
                val = v;
                have = true;
            }
        }
        if (bad)
            break;
    }
    if (bad) {
        app_anomaly(h->s, dir, dir ? "INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE"
                                   : "INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST");
        if (!m->cl_present)
            m->cl_bad = true;
        return;
    }
    if (m->cl_present || m->cl_bad) {
        if (m->cl_bad || val != m->cl)
            app_anomaly(h->s, dir, dir ? "DUPLICATE_CONTENT_LENGTH_FIELD_IN_RESPONSE"
                                       : "DUPLICATE_CONTENT_LENGTH_FIELD_IN_REQUEST");
        return; /* the first value stands */
    }
    m->cl_present = true;
    m->cl = val;
}

/* Last token of a comma list, trimmed. */
static void last_token(const uint8_t *p, size_t n, const uint8_t **t, size_t *tl)
{
    size_t k = n;
    while (k > 0 && p[k - 1] != ',')
        k--;
    *t = p + k;
    *tl = n - k;
    trim(t, tl);
}

static void parse_ce(struct hmsg *m, const uint8_t *p, size_t n)
{
    size_t i = 0;
    const uint8_t *e;
    size_t el;
    while (list_next(p, n, &i, &e, &el)) {
        if (el && !tp_ieq(e, el, "identity")) {
            m->n_enc++;
            uint8_t enc = ENC_OTHER;
            if (tp_ieq(e, el, "gzip") || tp_ieq(e, el, "x-gzip"))
                enc = ENC_GZIP;
            else if (tp_ieq(e, el, "deflate"))
                enc = ENC_DEFLATE;
            m->enc = m->n_enc == 1 ? enc : ENC_OTHER;
        }
    }
}

/* Store one header; false when memory was refused. */
static bool store_header(struct hstate *h, struct hmsg *m, const uint8_t *name, size_t nl,
                         const uint8_t *val, size_t vl)
{
    if (m->nh == m->hcap) {
        uint32_t ncap = m->hcap ? m->hcap * 2 : 16;
        struct hoff *nh = m->hdrs ? app_realloc(h->s, m->hdrs, (size_t)m->hcap * sizeof *nh,
                                                (size_t)ncap * sizeof *nh)
                                  : app_alloc(h->s, (size_t)ncap * sizeof *nh);
        if (!nh)
            return false;
        m->hdrs = nh;
        m->hcap = ncap;
    }
    struct span sn, sv;
    if (!arena_put(h, m, name, nl, &sn) || !arena_put(h, m, val, vl, &sv))
        return false;
    m->hdrs[m->nh++] = (struct hoff){sn.off, sn.len, sv.off, sv.len};
    return true;
}

static void wipe_linebuf(struct hside *sd)
{
    app_linebuf_wipe(&sd->lb);
}

/* Memory refused while handling a header line: stop (the line may have carried
 * credentials, so its copy is wiped first). Returns 1 for on_header_line. */
static int header_nomem(struct hstate *h, int dir)
{
    wipe_linebuf(&h->side[dir]);
    stop(h, dir);
    return 1;
}

/* obs-fold: p[0..n) continues the previous header's value. False when memory was refused. */
static bool fold_line(struct hstate *h, int dir, struct hmsg *m, const uint8_t *p, size_t n,
                      bool over)
{
    struct hside *sd = &h->side[dir];
    if (!sd->any_hdr) {
        app_anomaly(h->s, dir, dir ? "INVALID_RESPONSE_FIELD_FOLDING"
                                   : "INVALID_REQUEST_FIELD_FOLDING");
        return true;
    }
    if (sd->last_cred) {
        wipe_linebuf(sd);
        return true;
    }
    const uint8_t *v = p;
    size_t vl = n;
    trim(&v, &vl);
    if (over || m->nh == 0 || vl == 0)
        return true;
    struct hoff *last = &m->hdrs[m->nh - 1];
    if (last->vo + last->vl != m->alen)
        return true; /* something was stored after it: leave it */
    if ((last->vl && !arena_put(h, m, " ", 1, NULL)) || !arena_put(h, m, v, vl, NULL))
        return false;
    last = &m->hdrs[m->nh - 1];
    last->vl = m->alen - last->vo;
    return true;
}

/* One header (or trailer) line of dir's message. Returns 0, or 1 when parsing stopped. */
static int on_header_line(struct hstate *h, int dir, const uint8_t *p, size_t n, bool cut)
{
    struct hside *sd = &h->side[dir];
    struct htx *tx = sd->tx;
    struct hmsg *m = dir ? &tx->resp : &tx->req;
    const struct app_config *cfg = app_cfg(h->s);
    if (cut) {
        app_anomaly(h->s, dir, dir ? "RESPONSE_FIELD_TOO_LONG" : "REQUEST_FIELD_TOO_LONG");
        app_limit_hit(h->s);
    }
    uint64_t total = (uint64_t)m->hdr_bytes + n + 2;
    m->hdr_bytes = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    bool over = m->hdr_bytes > cfg->http_max_header_bytes;
    if (over && !m->hdr_limit) {
        m->hdr_limit = true;
        tx->flags |= dir ? HTTP_TX_RESP_HDR_LIMIT : HTTP_TX_REQ_HDR_LIMIT;
        app_anomaly(h->s, dir, dir ? "RESPONSE_HEADERS_TOO_LARGE" : "REQUEST_HEADERS_TOO_LARGE");
        app_limit_hit(h->s);
    }
    if (n && is_ws(p[0]))
        return fold_line(h, dir, m, p, n, over) ? 0 : header_nomem(h, dir);
    sd->any_hdr = true;
    sd->last_cred = false;
    const uint8_t *colon = memchr(p, ':', n);
    const uint8_t *name = p, *val;
    size_t nl, vl;
    if (!colon) {
        app_anomaly(h->s, dir, dir ? "RESPONSE_FIELD_MISSING_COLON"
                                   : "REQUEST_FIELD_MISSING_COLON");
        nl = n;
        val = p + n;
        vl = 0;
    } else {
        nl = (size_t)(colon - p);
        val = colon + 1;
        vl = n - nl - 1;
    }
    while (nl && is_ws(name[nl - 1]))
        nl--;
    trim(&val, &vl);
    bool cred = tp_ieq(name, nl, "authorization") || tp_ieq(name, nl, "proxy-authorization");
    if (tp_ieq(name, nl, "content-length")) {
        parse_cl(h, dir, m, val, vl);
    } else if (tp_ieq(name, nl, "transfer-encoding")) {
        const uint8_t *t;
        size_t tl;
        last_token(val, vl, &t, &tl);
        m->te_present = true;
        m->te_chunked = tp_ieq(t, tl, "chunked");
    } else if (tp_ieq(name, nl, "content-encoding")) {
        parse_ce(m, val, vl);
    } else if (cred) {
        size_t sl = 0;
        while (sl < vl && !is_ws(val[sl]))
            sl++;
        if (dir == 0 && !tx->auth && !tx->user.set && tp_ieq(name, nl, "authorization") &&
            tp_ieq(val, sl, "basic")) {
            if (!basic_auth(h, tx, val + sl, vl - sl))
                return header_nomem(h, dir);
        }
        vl = sl; /* the stored value is the scheme alone */
        sd->last_cred = true;
    }
    bool ok = over || store_header(h, m, name, nl, val, vl);
    if (cred)
        wipe_linebuf(sd);
    return ok ? 0 : header_nomem(h, dir);
}

/* The single-valued views of m's headers (repeats joined with ", "). */
static bool make_views(struct hstate *h, struct hmsg *m)
{
    for (int v = 0; v < NVIEW; v++) {
        uint32_t count = 0, first = 0;
        for (uint32_t i = 0; i < m->nh; i++)
            if (tp_ieq(m->arena + m->hdrs[i].no, m->hdrs[i].nl, view_name[v])) {
                if (!count)
                    first = i;
                count++;
            }
        if (count == 0)
            continue;
        if (count == 1) {
            m->view[v] = (struct span){m->hdrs[first].vo, m->hdrs[first].vl, true};
            continue;
        }
        uint32_t start = m->alen;
        bool any = false;
        for (uint32_t i = 0; i < m->nh; i++) {
            if (!tp_ieq(m->arena + m->hdrs[i].no, m->hdrs[i].nl, view_name[v]))
                continue;
            if (any && !arena_put(h, m, ", ", 2, NULL))
                return false;
            /* reserve first: the source lies in the same arena */
            uint32_t vo = m->hdrs[i].vo, vl = m->hdrs[i].vl;
            if (!arena_reserve(h, m, vl))
                return false;
            memcpy(m->arena + m->alen, m->arena + vo, vl);
            m->alen += vl;
            any = true;
        }
        m->view[v] = (struct span){start, m->alen - start, true};
    }
    return true;
}

/* hostname/http_port: from an absolute-form target ("http://host:port/p"), else from Host. */
static bool request_host(struct hstate *h, struct htx *tx)
{
    const struct hmsg *q = &tx->req;
    if (q->l2.set) {
        const uint8_t *u = q->arena + q->l2.off;
        size_t n = q->l2.len, i = 0;
        while (i < n && is_tchar(u[i]) && u[i] != ':' && u[i] != '/')
            i++;
        if (i > 0 && i + 2 < n && u[i] == ':' && u[i + 1] == '/' && u[i + 2] == '/') {
            size_t a = i + 3, b = a;
            while (b < n && u[b] != '/' && u[b] != '?')
                b++;
            if (b > a)
                return set_hostname(h, tx, q->l2.off + (uint32_t)a, b - a);
        }
    }
    if (q->view[V_HOST].set)
        return set_hostname(h, tx, q->view[V_HOST].off, q->view[V_HOST].len);
    return true;
}

/* The empty line after dir's headers: choose how the body is delimited. */
static int on_headers_end(struct hstate *h, int dir)
{
    struct hside *sd = &h->side[dir];
    struct htx *tx = sd->tx;
    struct hmsg *m = dir ? &tx->resp : &tx->req;
    if (!make_views(h, m)) {
        stop(h, dir);
        return 1;
    }
    if (dir == 0 && !request_host(h, tx)) {
        stop(h, 0);
        return 1;
    }
    sd->any_hdr = sd->last_cred = false;
    if (dir == 1 && tx->status >= 100 && tx->status < 200 && tx->status != 101) {
        /* interim response (100 Continue ...): forgotten; the final one follows for the
         * same tx (the next status line takes the oldest unanswered tx: this one) */
        sd->st = HS_START;
        sd->tx = NULL;
        tx->resp_attached = false;
        tx->status = -1;
        msg_free(h, &tx->resp);
        return 0;
    }
    if (dir == 1 && (tx->status == 101 || (tx->is_connect && tx->status >= 200 &&
                                           tx->status < 300))) {
        /* the connection leaves HTTP (tunnel, WebSocket, h2c ...) */
        tx->flags |= HTTP_TX_TUNNEL;
        tx->resp_done = true;
        sd->tx = NULL;
        stop(h, dir);
        return 1;
    }
    enum { B_NONE, B_LEN, B_CHUNKED, B_CLOSE } kind = B_NONE;
    if (dir == 0) {
        if (m->te_present) {
            if (m->te_chunked)
                kind = B_CHUNKED;
            else
                app_anomaly(h->s, 0, "INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST");
        } else if (m->cl_present && m->cl > 0) {
            kind = B_LEN;
        }
    } else {
        bool nobody = tx->is_head || tx->status == 204 || tx->status == 304;
        if (nobody) {
            kind = B_NONE;
        } else if (m->te_present) {
            kind = m->te_chunked ? B_CHUNKED : B_CLOSE;
            if (!m->te_chunked)
                app_anomaly(h->s, 1, "INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE");
        } else if (m->cl_present) {
            kind = m->cl > 0 ? B_LEN : B_NONE;
        } else {
            kind = B_CLOSE;
        }
    }
    if (kind == B_NONE) {
        msg_done(h, dir, true, HS_START);
        return 1; /* leave line mode: the next bytes start a new message */
    }
    if ((m->enc == ENC_GZIP || m->enc == ENC_DEFLATE) && !infl_start(h, sd, m->enc)) {
        stop(h, dir);
        return 1;
    }
    if (kind == B_LEN) {
        sd->remaining = m->cl;
        sd->st = HS_BODY_LEN;
    } else if (kind == B_CHUNKED) {
        sd->st = HS_CHUNK_SIZE;
    } else {
        sd->st = HS_BODY_CLOSE;
    }
    return 1;
}

/* ---------- the line callback ---------- */

static void count_wire(struct hstate *h, int dir, size_t n, bool crlf)
{
    struct htx *tx = h->side[dir].tx;
    if (tx)
        (dir ? &tx->resp : &tx->req)->wire += n + (crlf ? 2 : 1);
}

static int on_chunk_size(struct hstate *h, int dir, const uint8_t *p, size_t n)
{
    struct hside *sd = &h->side[dir];
    size_t i = 0;
    while (i < n && is_ws(p[i]))
        i++;
    size_t d0 = i;
    uint64_t v = 0;
    while (i < n && tp_hexval(p[i]) >= 0 && i - d0 < 16) {
        v = v << 4 | (uint64_t)tp_hexval(p[i]);
        i++;
    }
    size_t nd = i - d0;
    while (i < n && is_ws(p[i]))
        i++;
    bool ok = nd > 0 && nd <= 15 && (i == n || p[i] == ';');
    if (!ok) {
        app_anomaly(h->s, dir, dir ? "INVALID_RESPONSE_CHUNK_LEN" : "INVALID_REQUEST_CHUNK_LEN");
        msg_done(h, dir, false, HS_RESYNC);
        return h->dead ? 1 : 0;
    }
    if (v == 0) {
        sd->st = HS_TRAILERS;
        return 0;
    }
    sd->remaining = v;
    sd->st = HS_CHUNK_DATA;
    return 1;
}

static int on_line(void *user, const uint8_t *line, size_t len, bool crlf, bool cut)
{
    struct lctx *c = user;
    struct hstate *h = c->h;
    int dir = c->dir;
    struct hside *sd = &h->side[dir];
    if (h->dead)
        return 1;
    switch (sd->st) {
    case HS_START:
        if (len == 0 && !cut)
            return 0; /* blank lines between messages are tolerated (RFC 9112 2.2) */
        return dir ? on_status_line(h, line, len, cut, false)
                   : on_request_line(h, line, len, cut, false);
    case HS_RESYNC:
        if (cut || !looks_like_start(dir, line, len))
            return 0;
        return dir ? on_status_line(h, line, len, false, true)
                   : on_request_line(h, line, len, false, true);
    case HS_HEADERS:
        if (len == 0 && !cut)
            return on_headers_end(h, dir);
        return on_header_line(h, dir, line, len, cut);
    case HS_CHUNK_SIZE:
        count_wire(h, dir, len, crlf);
        return on_chunk_size(h, dir, line, len);
    case HS_CHUNK_END:
        count_wire(h, dir, len, crlf);
        if (len != 0 || cut) {
            app_anomaly(h->s, dir, dir ? "INVALID_RESPONSE_CHUNK_LEN"
                                       : "INVALID_REQUEST_CHUNK_LEN");
            msg_done(h, dir, false, HS_RESYNC);
            return h->dead ? 1 : 0;
        }
        sd->st = HS_CHUNK_SIZE;
        return 0;
    case HS_TRAILERS:
        count_wire(h, dir, len, crlf);
        if (len == 0 && !cut) {
            msg_done(h, dir, true, HS_START);
            return 1;
        }
        return on_header_line(h, dir, line, len, cut);
    default:
        return 1; /* a body state: not line mode */
    }
}

/* ---------- hooks ---------- */

static void *http_new(struct app_session *s)
{
    struct hstate *h = app_calloc(s, sizeof *h);
    if (!h)
        return NULL;
    h->s = s;
    return h;
}

static void http_free(struct app_session *s, void *st)
{
    struct hstate *h = st;
    (void)s;
    for (int d = 0; d < 2; d++)
        infl_free(h, &h->side[d]);
    flush_all(h, 0);
    for (int d = 0; d < 2; d++)
        app_linebuf_free(h->s, &h->side[d].lb);
    app_free(h->s, h, sizeof *h);
}

static void http_data(struct app_session *s, void *st, int dir, const uint8_t *data, size_t len)
{
    struct hstate *h = st;
    (void)s;
    struct hside *sd = &h->side[dir];
    const struct app_config *cfg = app_cfg(h->s);
    struct lctx c = {h, dir};
    while (len && !h->dead) {
        switch (sd->st) {
        case HS_BODY_LEN:
        case HS_CHUNK_DATA: {
            size_t take = len < sd->remaining ? len : (size_t)sd->remaining;
            struct hmsg *m = dir ? &sd->tx->resp : &sd->tx->req;
            m->wire += take;
            body_data(h, dir, data, take);
            data += take;
            len -= take;
            sd->remaining -= take;
            if (sd->remaining == 0 && !h->dead) {
                if (sd->st == HS_CHUNK_DATA)
                    sd->st = HS_CHUNK_END;
                else
                    msg_done(h, dir, true, HS_START);
            }
            break;
        }
        case HS_BODY_CLOSE:
            sd->tx->resp.wire += len;
            body_data(h, dir, data, len);
            len = 0;
            break;
        default: {
            long n = app_linebuf_feed(h->s, &sd->lb, cfg->max_line_bytes, data, len, on_line, &c);
            if (n < 0) {
                stop(h, dir);
                return;
            }
            data += n;
            len -= (size_t)n;
            break;
        }
        }
    }
}

static void http_gap(struct app_session *s, void *st, int dir, uint32_t len)
{
    struct hstate *h = st;
    (void)s;
    struct hside *sd = &h->side[dir];
    if (h->dead)
        return;
    struct htx *tx = sd->tx;
    struct hmsg *m = tx ? (dir ? &tx->resp : &tx->req) : NULL;
    uint32_t gapflag = dir ? HTTP_TX_RESP_BODY_GAP : HTTP_TX_REQ_BODY_GAP;
    switch (sd->st) {
    case HS_BODY_LEN:
    case HS_CHUNK_DATA:
        tx->flags |= gapflag;
        infl_free(h, sd); /* the compressed stream cannot go on across a hole */
        if (len < sd->remaining) {
            sd->remaining -= len;
            m->wire += len;
            m->entity += len;
            return;
        }
        m->wire += sd->remaining;
        m->entity += sd->remaining;
        if (len == sd->remaining && sd->st == HS_BODY_LEN) {
            msg_done(h, dir, true, HS_START);
            return;
        }
        if (len == sd->remaining) {
            sd->remaining = 0;
            sd->st = HS_CHUNK_END; /* the hole ended with the chunk: its CRLF follows */
            return;
        }
        /* the hole runs past the body (or swallowed the chunk's CRLF): resynchronise */
        msg_done(h, dir, sd->st == HS_BODY_LEN, HS_RESYNC);
        app_linebuf_reset(&sd->lb);
        return;
    case HS_BODY_CLOSE:
        tx->flags |= gapflag;
        infl_free(h, sd);
        m->wire += len;
        m->entity += len;
        return;
    case HS_HEADERS:
    case HS_CHUNK_SIZE:
    case HS_CHUNK_END:
    case HS_TRAILERS:
        /* the message ends here with what was seen; find the next one */
        if (sd->st == HS_HEADERS)
            tx->flags |= HTTP_TX_GAP_HEADERS;
        else
            tx->flags |= gapflag;
        wipe_linebuf(sd); /* the partial line may have been credentials */
        app_linebuf_reset(&sd->lb);
        msg_done(h, dir, false, HS_RESYNC);
        return;
    default:
        app_linebuf_reset(&sd->lb);
        sd->st = HS_RESYNC;
        return;
    }
}

static void http_end(struct app_session *s, void *st, int dir)
{
    struct hstate *h = st;
    (void)s;
    struct hside *sd = &h->side[dir];
    if (h->dead || sd->ended)
        return;
    if (sd->tx) {
        if (sd->last_cred)
            wipe_linebuf(sd);
        msg_done(h, dir, sd->st == HS_BODY_CLOSE, HS_START);
        if (h->dead)
            return;
    }
    sd->ended = true;
    flush_ready(h, dir);
}

const struct app_parser app_parser_http = {
    .proto = APP_PROTO_HTTP,
    .state_new = http_new,
    .state_free = http_free,
    .data = http_data,
    .gap = http_gap,
    .end = http_end,
};
