/*
 * POP3 parser (RFC 1939, 2449, 5034, 2595); see pop3.h for the records.
 *
 *   client:  keyword [SP arg]... CRLF            e.g. "USER bob", "RETR 1", "AUTH PLAIN"
 *   server:  "+OK" [SP text] CRLF  |  "-ERR" [SP text] CRLF
 *            after +OK to RETR, TOP, LIST / UIDL without argument, CAPA and AUTH without
 *            argument: lines up to a line holding only "."; a line starting with "." has
 *            that dot removed (byte-stuffing, RFC 1939 §3)
 *   SASL:    "+ " base64-challenge CRLF from the server, base64 lines (or "*") from the client
 *
 * Commands may be pipelined (RFC 2449): they wait in a queue of at most app.max_pending_tx
 * and the responses are matched in order. Lines longer than app.max_line_bytes are cut and
 * reported. Out of scope: the TLS session after STLS (handed to the TLS parser), SASL
 * mechanisms other than PLAIN and LOGIN beyond their name, XTND and other extensions (logged
 * as ordinary commands).
 */
#include "app/pop3.h"

#include "app/app_parser.h"
#include "app/linebuf.h"
#include "app/mime.h"
#include "app/textproto.h"

#include <string.h>

enum pop3_kind {
    K_OTHER = 0,
    K_GREETING, /* no command: the server's first line */
    K_USER,
    K_PASS,
    K_APOP,
    K_AUTH,
    K_STLS,
    K_RETR,
    K_TOP,
    K_LIST,
    K_UIDL,
    K_CAPA,
};

/* A command waiting for (or reading) its response. */
struct pop3_req {
    enum pop3_kind kind;
    uint8_t *line; /* copy of the shown part of the command line (exact alloc), or NULL */
    uint32_t line_len;
    uint32_t cmd_len; /* keyword at line[0..cmd_len), upper-cased */
    uint32_t arg_off[POP3_MAX_ARGS], arg_len[POP3_MAX_ARGS];
    uint32_t n_args;
    uint32_t n_words; /* words after the keyword (all of them, shown or not) */
    bool truncated;
    /* PASS / APOP: the user, then the password (PASS only). */
    struct tp_cred cred;
};

struct pop3_state {
    struct app_session *s;
    struct app_linebuf lb[2];
    bool stopped;

    /* Pending commands, oldest first (at most app.max_pending_tx). */
    struct pop3_req *q;
    uint32_t nq, qcap;

    /* The response being read. */
    bool cur_active;
    bool in_data; /* inside a multi-line body */
    struct pop3_req cur;
    struct tp_buf hdr;  /* its first line */
    struct tp_buf data; /* body lines kept for the record */
    uint32_t data_off[POP3_MAX_DATA_LINES], data_len[POP3_MAX_DATA_LINES];
    uint32_t n_data;
    bool data_truncated, resp_truncated, success;
    uint64_t message_bytes;
    bool message_truncated;
    struct mime_parser *mime;

    bool greeted;
    uint64_t next_tx_id;

    /* Last USER argument (for USER/PASS logins). */
    struct tp_buf user;

    /* SASL exchange after AUTH <mechanism>, until the server's +OK / -ERR. */
    struct tp_sasl sasl;
};

static void stop(struct pop3_state *st)
{
    st->stopped = true;
    app_stop(st->s);
}

static void req_free(struct app_session *s, struct pop3_req *r)
{
    if (r->line)
        app_free(s, r->line, r->line_len ? r->line_len : 1);
    tp_cred_free(s, &r->cred);
    memset(r, 0, sizeof *r);
}

static bool is_multiline(const struct pop3_req *r)
{
    switch (r->kind) {
    case K_RETR:
    case K_TOP:
    case K_CAPA:
        return true;
    case K_LIST:
    case K_UIDL:
        return r->n_words == 0;
    case K_AUTH:
        return r->n_words == 0; /* "AUTH" alone lists the mechanisms (RFC 1734 servers) */
    default:
        return false;
    }
}

/* ---------- records ---------- */

/* Empty lines never allocate: records point here instead of at NULL. */
static const uint8_t no_bytes[1];

/* The login (if any) that the response to r decides. */
static void finish_login(struct pop3_state *st, const struct pop3_req *r, bool answered)
{
    enum app_login_outcome o =
        !answered ? APP_LOGIN_UNKNOWN : st->success ? APP_LOGIN_SUCCESS : APP_LOGIN_FAILURE;
    switch (r->kind) {
    case K_PASS:
        tp_cred_login(st->s, &r->cred, "USER/PASS", o, true);
        break;
    case K_APOP:
        tp_cred_login(st->s, &r->cred, "APOP", o, false);
        break;
    case K_AUTH:
        if (r->n_words > 0)
            tp_sasl_login(st->s, &st->sasl, o, "SASL");
        break;
    default:
        break;
    }
}

/* Emit the record of request r with the response state in st (answered or not). */
static void emit_tx(struct pop3_state *st, const struct pop3_req *r, bool answered)
{
    struct pop3_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.tx_id = st->next_tx_id++;
    if (r->kind != K_GREETING) {
        tx.has_request = true;
        tx.command.p = r->line;
        tx.command.len = r->cmd_len;
        for (uint32_t i = 0; i < r->n_args; i++) {
            tx.args[i].p = r->line + r->arg_off[i];
            tx.args[i].len = r->arg_len[i];
        }
        tx.n_args = r->n_args;
        tx.request_truncated = r->truncated;
    }
    if (answered) {
        tx.has_response = true;
        tx.success = st->success;
        tx.header.p = st->hdr.p ? st->hdr.p : no_bytes;
        tx.header.len = st->hdr.len;
        for (uint32_t i = 0; i < st->n_data; i++) {
            tx.data[i].p = st->data.p ? st->data.p + st->data_off[i] : no_bytes;
            tx.data[i].len = st->data_len[i];
        }
        tx.n_data = st->n_data;
        tx.data_truncated = st->data_truncated;
        tx.response_truncated = st->resp_truncated;
        tx.is_message = (r->kind == K_RETR || r->kind == K_TOP) && st->success;
        tx.message_bytes = st->message_bytes;
        tx.message_truncated = st->message_truncated;
    }
    app_emit(st->s, 1, APP_REC_POP3, &tx);
}

/* The current response is complete (or cut by the end of the flow). */
static void finish_cur(struct pop3_state *st, bool truncated)
{
    if (st->mime) {
        mime_end(st->mime, 1, truncated);
        mime_free(st->mime);
        st->mime = NULL;
    }
    if (truncated && st->in_data && (st->cur.kind == K_RETR || st->cur.kind == K_TOP))
        st->message_truncated = true;
    emit_tx(st, &st->cur, true);
    finish_login(st, &st->cur, true);
    req_free(st->s, &st->cur);
    st->cur_active = false;
    st->in_data = false;
    tp_clear(&st->hdr, false);
    tp_clear(&st->data, false);
    st->n_data = 0;
    st->data_truncated = st->resp_truncated = st->success = false;
    st->message_bytes = 0;
    st->message_truncated = false;
}

/* ---------- client ---------- */

static const struct {
    const char *word;
    enum pop3_kind kind;
} keywords[] = {
    {"USER", K_USER}, {"PASS", K_PASS}, {"APOP", K_APOP}, {"AUTH", K_AUTH},
    {"STLS", K_STLS}, {"RETR", K_RETR}, {"TOP", K_TOP},   {"LIST", K_LIST},
    {"UIDL", K_UIDL}, {"CAPA", K_CAPA}, {"QUIT", K_OTHER}, {"STAT", K_OTHER},
    {"DELE", K_OTHER}, {"NOOP", K_OTHER}, {"RSET", K_OTHER}, {"LAST", K_OTHER},
    {"UTF8", K_OTHER}, {"LANG", K_OTHER}, {"XTND", K_OTHER},
};

/* One base64 SASL line from the client (RFC 5034 §4). */
static void sasl_line(struct pop3_state *st, const uint8_t *line, size_t len)
{
    if (!tp_sasl_line(st->s, &st->sasl, line, len))
        stop(st);
}

/* Returns true when the line may have carried a password. */
static bool client_line(struct pop3_state *st, const uint8_t *line, size_t len, bool cut)
{
    struct app_session *s = st->s;
    if (cut) {
        app_limit_hit(s);
        app_anomaly(s, 0, "REQUEST_TOO_LONG");
    }
    if (st->sasl.active) {
        sasl_line(st, line, len);
        return true;
    }
    size_t pos = 0;
    const uint8_t *w;
    size_t wl;
    if (!tp_word(line, len, &pos, &w, &wl))
        return false; /* empty line: ignored by servers */
    enum pop3_kind kind = K_OTHER;
    bool known = false;
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        if (tp_ieq(w, wl, keywords[i].word)) {
            kind = keywords[i].kind;
            known = true;
            break;
        }
    }
    if (!known)
        app_anomaly(s, 0, "UNKNOWN_COMMAND");
    bool secret = kind == K_PASS || kind == K_AUTH;

    bool full;
    struct pop3_req *nq = tp_queue_room(s, st->q, st->nq, &st->qcap, sizeof *st->q, &full);
    if (!nq) {
        if (!full)
            stop(st);
        return secret;
    }
    st->q = nq;

    struct pop3_req r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.truncated = cut;
    /* What is kept of the line: all of it, except the password of PASS and the initial
     * response of AUTH (everything after the mechanism). */
    size_t keep = len;
    const uint8_t *words[POP3_MAX_ARGS + 1];
    size_t wlens[POP3_MAX_ARGS + 1];
    size_t p2 = pos;
    const uint8_t *aw;
    size_t awl;
    uint32_t nw = 0;
    while (tp_word(line, len, &p2, &aw, &awl)) {
        if (nw < POP3_MAX_ARGS) {
            words[nw] = aw;
            wlens[nw] = awl;
        }
        nw++;
    }
    r.n_words = nw;
    if (kind == K_PASS)
        keep = (size_t)(w + wl - line);
    else if (kind == K_AUTH && nw >= 1)
        keep = (size_t)(words[0] + wlens[0] - line);
    uint32_t shown = nw;
    if (kind == K_PASS)
        shown = 0;
    else if (kind == K_AUTH && nw > 1)
        shown = 1;
    if (shown > POP3_MAX_ARGS)
        shown = POP3_MAX_ARGS;
    if (nw > 2 && kind != K_OTHER && kind != K_AUTH)
        app_anomaly(s, 0, "INCORRECT_ARGUMENT_COUNT");

    /* The copy starts at the keyword (leading blanks dropped); offsets are relative to it. */
    size_t koff = (size_t)(w - line);
    r.line_len = (uint32_t)(keep - koff);
    r.line = app_alloc(s, r.line_len);
    if (!r.line) {
        stop(st);
        return secret;
    }
    memcpy(r.line, line + koff, r.line_len);
    for (size_t i = 0; i < wl; i++)
        r.line[i] = tp_upper(r.line[i]);
    r.cmd_len = (uint32_t)wl;
    for (uint32_t i = 0; i < shown; i++) {
        r.arg_off[i] = (uint32_t)(words[i] - line - (ptrdiff_t)koff);
        r.arg_len[i] = (uint32_t)wlens[i];
    }
    r.n_args = shown;

    if (kind == K_USER) {
        tp_clear(&st->user, false);
        if (nw >= 1 && tp_put(s, &st->user, words[0], wlens[0], tp_max_line(s)) < 0) {
            req_free(s, &r);
            stop(st);
            return secret;
        }
    } else if (kind == K_PASS || kind == K_APOP) {
        const uint8_t *u = kind == K_PASS ? st->user.p : (nw >= 1 ? words[0] : NULL);
        size_t ul = kind == K_PASS ? st->user.len : (nw >= 1 ? wlens[0] : 0);
        /* PASS: the password is the rest of the line after one space (it may hold spaces). */
        const uint8_t *pw = NULL;
        size_t pwl = 0;
        if (kind == K_PASS && len > (size_t)(w + wl - line)) {
            pw = w + wl + 1;
            pwl = len - (size_t)(pw - line);
        }
        if (!tp_cred_set(s, &r.cred, u, ul, pw, pwl)) {
            req_free(s, &r);
            stop(st);
            return secret;
        }
    } else if (kind == K_AUTH && nw >= 1) {
        tp_sasl_begin(&st->sasl, tp_sasl_mech(words[0], wlens[0], false));
        if (nw >= 2 && !tp_sasl_empty_ir(words[1], wlens[1]))
            sasl_line(st, words[1], wlens[1]);
    }
    st->q[st->nq++] = r;
    return secret;
}

/* ---------- server ---------- */

static int server_line(struct pop3_state *st, const uint8_t *line, size_t len, bool cut)
{
    struct app_session *s = st->s;
    uint32_t ml = tp_max_line(s);
    if (cut) {
        app_limit_hit(s);
        app_anomaly(s, 1, "RESPONSE_TOO_LONG");
        if (st->cur_active)
            st->resp_truncated = true;
    }
    if (st->in_data) {
        if (len == 1 && line[0] == '.' && !cut) {
            finish_cur(st, false);
            return 0;
        }
        if (len > 0 && line[0] == '.') { /* byte-stuffed */
            line++;
            len--;
        }
        if (st->cur.kind == K_RETR || st->cur.kind == K_TOP) {
            st->message_bytes += len + 2;
            if (st->mime) {
                mime_feed(st->mime, 1, line, len);
                mime_feed(st->mime, 1, (const uint8_t *)"\r\n", 2);
            }
            return 0;
        }
        if (st->n_data >= POP3_MAX_DATA_LINES) {
            st->data_truncated = true;
            return 0;
        }
        uint32_t off = st->data.len;
        int rc = tp_put(s, &st->data, line, len, ml);
        if (rc < 0) {
            stop(st);
            return 1;
        }
        if (rc > 0)
            st->data_truncated = true;
        st->data_off[st->n_data] = off;
        st->data_len[st->n_data] = st->data.len - off;
        st->n_data++;
        return 0;
    }

    bool ok = tp_iprefix(line, len, "+OK") && (len == 3 || line[3] == ' ' || line[3] == '\t');
    bool err = tp_iprefix(line, len, "-ERR") && (len == 4 || line[4] == ' ' || line[4] == '\t');
    if (!ok && !err) {
        /* "+ challenge" during AUTH is the SASL continuation, not the answer. */
        if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' ') && st->sasl.active)
            return 0;
        app_anomaly(s, 1, "INVALID_RESPONSE");
        return 0;
    }
    if (st->nq > 0) {
        st->cur = st->q[0];
        memmove(st->q, st->q + 1, (st->nq - 1) * sizeof *st->q);
        st->nq--;
    } else {
        memset(&st->cur, 0, sizeof st->cur);
        st->cur.kind = K_GREETING;
        if (st->greeted)
            app_anomaly(s, 1, "UNEXPECTED_RESPONSE");
    }
    st->greeted = true;
    st->cur_active = true;
    st->success = ok;
    st->resp_truncated = cut;
    if (tp_put(s, &st->hdr, line, len, ml) < 0) {
        stop(st);
        return 1;
    }
    if (ok && is_multiline(&st->cur)) {
        st->in_data = true;
        if (st->cur.kind == K_RETR || st->cur.kind == K_TOP)
            st->mime = mime_new(s, APP_PROTO_POP3); /* NULL: memory refused, count only */
        return 0;
    }
    bool tls = ok && st->cur.kind == K_STLS;
    finish_cur(st, false);
    if (tls) {
        app_switch_proto(s, APP_PROTO_TLS);
        st->stopped = true;
        return 1;
    }
    return 0;
}

/* ---------- hooks ---------- */

static int on_line(void *vst, int dir, const uint8_t *line, size_t len, bool cut)
{
    struct pop3_state *st = vst;
    if (st->stopped)
        return TP_LINE_STOP;
    int rc = 0;
    if (dir == 0 && client_line(st, line, len, cut))
        rc = TP_LINE_WIPE; /* PASS, AUTH data */
    else if (dir == 1 && server_line(st, line, len, cut))
        rc = TP_LINE_STOP;
    return rc | (st->stopped ? TP_LINE_STOP : 0);
}

static void *pop3_new(struct app_session *s)
{
    struct pop3_state *st = app_calloc(s, sizeof *st);
    if (st)
        st->s = s;
    return st;
}

static void pop3_data(struct app_session *s, void *vst, int dir, const uint8_t *data, size_t len)
{
    struct pop3_state *st = vst;
    if (!st || st->stopped || dir < 0 || dir > 1)
        return;
    if (tp_lines_feed(s, st->lb, dir, data, len, on_line, st) < 0 && !st->stopped)
        stop(st);
}

static void pop3_gap(struct app_session *s, void *vst, int dir, uint32_t len)
{
    (void)s;
    (void)len;
    struct pop3_state *st = vst;
    if (!st || st->stopped || dir < 0 || dir > 1)
        return;
    /* The bytes up to the next LF belong to a line whose start is lost. */
    app_linebuf_lost(&st->lb[dir]);
    if (dir == 0) {
        if (st->sasl.active)
            st->sasl.mech = NULL; /* the credentials may be incomplete: name only */
    } else if (st->in_data && st->mime) {
        mime_end(st->mime, 1, true);
        mime_free(st->mime);
        st->mime = NULL;
        st->message_truncated = true;
    }
}

static void pop3_end(struct app_session *s, void *vst, int dir)
{
    (void)s;
    struct pop3_state *st = vst;
    if (!st || st->stopped || dir < 0 || dir > 1)
        return;
    tp_lines_end(st->lb, dir, on_line, st);
}

static void pop3_free(struct app_session *s, void *vst)
{
    struct pop3_state *st = vst;
    if (!st)
        return;
    if (!st->stopped) {
        if (st->cur_active)
            finish_cur(st, true);
        for (uint32_t i = 0; i < st->nq; i++) {
            emit_tx(st, &st->q[i], false);
            finish_login(st, &st->q[i], false);
        }
    }
    if (st->mime)
        mime_free(st->mime);
    if (st->cur_active)
        req_free(s, &st->cur);
    for (uint32_t i = 0; i < st->nq; i++)
        req_free(s, &st->q[i]);
    if (st->q)
        app_free(s, st->q, st->qcap * sizeof *st->q);
    app_linebuf_free(s, &st->lb[0]);
    app_linebuf_free(s, &st->lb[1]);
    tp_free(s, &st->hdr);
    tp_free(s, &st->data);
    tp_free(s, &st->user);
    tp_sasl_free(s, &st->sasl);
    explicit_bzero(st, sizeof *st);
    app_free(s, st, sizeof *st);
}

const struct app_parser app_parser_pop3 = {
    .proto = APP_PROTO_POP3,
    .state_new = pop3_new,
    .state_free = pop3_free,
    .data = pop3_data,
    .gap = pop3_gap,
    .end = pop3_end,
};
