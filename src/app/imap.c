/*
 * IMAP parser (RFC 9051, 3501, 7888, 4959); see imap.h for the records.
 *
 *   command:   tag SP command [SP argument]... CRLF
 *   argument:  atom | "quoted \" string" | {n} CRLF <n bytes> | {n+} CRLF <n bytes>
 *              | (parenthesised list) ; a literal continues the same command after its
 *              bytes ({n}: the client waits for the server's "+" first; {n+}: it does not)
 *   response:  "*" SP untagged data CRLF  |  "+" SP continuation CRLF
 *              | tag SP ("OK" / "NO" / "BAD") SP text CRLF
 *              untagged data may carry literals too: "* 1 FETCH (BODY[] {342}" CRLF
 *              <342 bytes of message> ")" CRLF
 *   SASL:      after AUTHENTICATE, base64 lines (or "*") from the client until the tagged
 *              completion
 *
 * A command is assembled whole (literal contents inline) up to app.max_line_bytes; longer
 * ones are cut and reported. A client literal longer than app.max_line_bytes is skipped
 * (reported, except for APPEND, whose literal is a message) and shown as "{n}". Server
 * literals are never buffered: message literals stream into MIME, the others are skipped.
 * Out of scope: the TLS session after STARTTLS, COMPRESS=DEFLATE streams (after COMPRESS OK
 * the parser stops), SASL mechanisms other than PLAIN and LOGIN beyond their name.
 */
#include "app/imap.h"

#include "app/app_parser.h"
#include "app/linebuf.h"
#include "app/mime.h"
#include "app/textproto.h"

#include <stdio.h>
#include <string.h>

#define IMAP_MAX_LITERALS 16 /* literal regions remembered per command */
#define IMAP_MAX_TOKENS (IMAP_MAX_ARGS + 2)

enum imap_kind { K_OTHER = 0, K_LOGIN, K_AUTH, K_STARTTLS, K_APPEND, K_IDLE, K_COMPRESS };

struct imap_req {
    enum imap_kind kind;
    uint8_t *buf; /* the assembled command (exact alloc; wiped when freed: LOGIN) */
    uint32_t len;
    uint32_t tok_off[IMAP_MAX_TOKENS], tok_len[IMAP_MAX_TOKENS];
    uint32_t n_tok;      /* tag, command, arguments */
    uint32_t n_shown;    /* arguments shown (LOGIN: the user only) */
    bool args_truncated, truncated;
};

struct imap_state {
    struct app_session *s;
    struct app_linebuf lb[2];
    bool stopped;

    /* Client: the command being assembled. */
    struct tp_buf cmd;
    uint32_t lit_off[IMAP_MAX_LITERALS], lit_len[IMAP_MAX_LITERALS];
    uint32_t n_lit;
    bool cmd_cut;
    uint64_t cli_lit_left; /* literal bytes still to come */
    bool cli_lit_keep;     /* they go into cmd (else skipped) */
    bool cli_in_lit;

    /* Pending commands, oldest first (at most app.max_pending_tx). */
    struct imap_req *q;
    uint32_t nq, qcap;

    /* Server. */
    bool srv_in_lit;
    bool srv_cont;          /* the line under way continues a response after a literal */
    uint64_t srv_lit_left;
    struct mime_parser *mime;
    bool mime_msg;          /* the literal under way is a message */
    uint32_t n_untagged, n_messages;
    uint64_t message_bytes;

    /* SASL after AUTHENTICATE <mechanism>, until the tagged completion. */
    struct tp_sasl sasl;

    uint64_t next_tx_id;
};

static void stop(struct imap_state *st)
{
    st->stopped = true;
    app_stop(st->s);
}

static void req_free(struct app_session *s, struct imap_req *r)
{
    if (r->buf) {
        explicit_bzero(r->buf, r->len ? r->len : 1);
        app_free(s, r->buf, r->len ? r->len : 1);
    }
    memset(r, 0, sizeof *r);
}

/*
 * "{123}" or "{123+}" at the end of p[0..n): the literal size and where the marker starts.
 */
static bool literal_marker(const uint8_t *p, size_t n, uint64_t *size, size_t *mark)
{
    if (n < 3 || p[n - 1] != '}')
        return false;
    size_t i = n - 1;
    if (i > 0 && p[i - 1] == '+')
        i--;
    size_t end = i;
    while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
        i--;
    if (i == end || i == 0 || p[i - 1] != '{' || end - i > 12)
        return false;
    uint64_t v = 0;
    for (size_t k = i; k < end; k++)
        v = v * 10 + (uint64_t)(p[k] - '0');
    *size = v;
    *mark = i - 1;
    return true;
}

/* ---------- records ---------- */

/* status: "OK"/"NO"/"BAD" or NULL (no completion); text: the completion's text. */
static void complete(struct imap_state *st, struct imap_req *r, const char *status,
                     const uint8_t *text, size_t tlen)
{
    struct imap_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.tx_id = st->next_tx_id++;
    tx.tag.p = r->buf + r->tok_off[0];
    tx.tag.len = r->tok_len[0];
    if (r->n_tok > 1) {
        tx.command.p = r->buf + r->tok_off[1];
        tx.command.len = r->tok_len[1];
    }
    for (uint32_t i = 0; i < r->n_shown; i++) {
        tx.args[i].p = r->buf + r->tok_off[2 + i];
        tx.args[i].len = r->tok_len[2 + i];
    }
    tx.n_args = r->n_shown;
    tx.args_truncated = r->args_truncated;
    tx.request_truncated = r->truncated;
    tx.status = status;
    tx.response.p = text;
    tx.response.len = tlen;
    tx.n_untagged = st->n_untagged;
    tx.n_messages = st->n_messages;
    tx.message_bytes = st->message_bytes;
    app_emit(st->s, 1, APP_REC_IMAP, &tx);
    st->n_untagged = st->n_messages = 0;
    st->message_bytes = 0;

    enum app_login_outcome o = !status                    ? APP_LOGIN_UNKNOWN
                               : strcmp(status, "OK") == 0 ? APP_LOGIN_SUCCESS
                                                           : APP_LOGIN_FAILURE;
    if (r->kind == K_LOGIN) {
        const uint8_t *u = r->n_tok > 2 ? r->buf + r->tok_off[2] : NULL;
        size_t ul = r->n_tok > 2 ? r->tok_len[2] : 0;
        const uint8_t *pw = r->n_tok > 3 ? r->buf + r->tok_off[3] : NULL;
        size_t pwl = r->n_tok > 3 ? r->tok_len[3] : 0;
        tp_login(st->s, 1, "LOGIN", u, ul, o, pw, pwl);
    } else if (r->kind == K_AUTH) {
        tp_sasl_login(st->s, &st->sasl, o, "SASL");
    }
}

/* ---------- client ---------- */

/* One base64 SASL line from the client (RFC 9051 §6.2.2). */
static void sasl_line(struct imap_state *st, const uint8_t *line, size_t len)
{
    if (!tp_sasl_line(st->s, &st->sasl, line, len))
        stop(st);
}

static void cmd_put(struct imap_state *st, const void *p, size_t n)
{
    int rc = tp_put(st->s, &st->cmd, p, n, tp_max_line(st->s));
    if (rc < 0) {
        stop(st);
    } else if (rc > 0 && !st->cmd_cut) {
        st->cmd_cut = true;
        app_limit_hit(st->s);
        app_anomaly(st->s, 0, "REQUEST_TOO_LONG");
    }
}

static bool in_literal(const struct imap_state *st, size_t pos, uint32_t *end)
{
    for (uint32_t k = 0; k < st->n_lit; k++) {
        if (pos >= st->lit_off[k] && pos < (size_t)st->lit_off[k] + st->lit_len[k]) {
            *end = st->lit_off[k] + st->lit_len[k];
            return true;
        }
    }
    return false;
}

/* Next token of the assembled command at *pos (see the grammar above). Quoted strings are
 * unescaped in place. */
static bool next_token(struct imap_state *st, size_t *pos, uint32_t *off, uint32_t *len)
{
    uint8_t *b = st->cmd.p;
    size_t n = st->cmd.len, i = *pos;
    uint32_t lend;
    while (i < n && b[i] == ' ' && !in_literal(st, i, &lend))
        i++;
    if (i >= n)
        return false;
    if (in_literal(st, i, &lend)) {
        *off = (uint32_t)i;
        *len = lend - (uint32_t)i;
        *pos = lend;
        return true;
    }
    if (b[i] == '"') {
        size_t o = i + 1, w = i + 1;
        while (o < n && b[o] != '"') {
            if (b[o] == '\\' && o + 1 < n)
                o++;
            b[w++] = b[o++];
        }
        *off = (uint32_t)(i + 1);
        *len = (uint32_t)(w - i - 1);
        *pos = o < n ? o + 1 : n;
        return true;
    }
    /* Atom or list: up to a space outside brackets, parentheses and quotes. */
    size_t st0 = i;
    int depth = 0;
    while (i < n) {
        if (in_literal(st, i, &lend)) {
            i = lend;
            continue;
        }
        uint8_t c = b[i];
        if (c == ' ' && depth <= 0)
            break;
        if (c == '(' || c == '[')
            depth++;
        else if ((c == ')' || c == ']') && depth > 0)
            depth--;
        else if (c == '"') {
            i++;
            while (i < n && b[i] != '"') {
                if (b[i] == '\\')
                    i++;
                i++;
            }
        }
        i++;
    }
    if (i > n)
        i = n;
    *off = (uint32_t)st0;
    *len = (uint32_t)(i - st0);
    *pos = i;
    return true;
}

static void cmd_reset(struct imap_state *st, bool wipe)
{
    tp_clear(&st->cmd, wipe);
    st->n_lit = 0;
    st->cmd_cut = false;
}

/* The command in st->cmd is complete: queue it. */
static void cmd_done(struct imap_state *st)
{
    struct app_session *s = st->s;
    struct imap_req r;
    memset(&r, 0, sizeof r);
    size_t pos = 0;
    uint32_t off, len;
    while (next_token(st, &pos, &off, &len)) {
        if (r.n_tok < IMAP_MAX_TOKENS) {
            r.tok_off[r.n_tok] = off;
            r.tok_len[r.n_tok] = len;
            r.n_tok++;
        } else {
            r.args_truncated = true;
        }
    }
    if (r.n_tok == 0) {
        cmd_reset(st, false);
        return;
    }
    uint8_t *b = st->cmd.p;
    if (r.n_tok == 1) {
        /* "DONE" ends IDLE; anything else alone on a line is not a command. */
        if (!tp_ieq(b + r.tok_off[0], r.tok_len[0], "DONE"))
            app_anomaly(s, 0, "INVALID_COMMAND");
        cmd_reset(st, false);
        return;
    }
    for (uint32_t i = 0; i < r.tok_len[1]; i++)
        b[r.tok_off[1] + i] = tp_upper(b[r.tok_off[1] + i]);
    const uint8_t *c = b + r.tok_off[1];
    size_t cl = r.tok_len[1];
    r.kind = tp_ieq(c, cl, "LOGIN")          ? K_LOGIN
             : tp_ieq(c, cl, "AUTHENTICATE") ? K_AUTH
             : tp_ieq(c, cl, "STARTTLS")     ? K_STARTTLS
             : tp_ieq(c, cl, "IDLE")         ? K_IDLE
             : tp_ieq(c, cl, "COMPRESS")     ? K_COMPRESS
                                             : K_OTHER;
    r.n_shown = r.n_tok - 2;
    if (r.kind == K_LOGIN && r.n_shown > 1)
        r.n_shown = 1; /* the user, never the password */
    if (r.kind == K_AUTH && r.n_shown > 1)
        r.n_shown = 1; /* the mechanism, not the initial response */
    r.truncated = st->cmd_cut;

    if (r.kind == K_AUTH) {
        tp_sasl_begin(&st->sasl, r.n_tok > 2 ? tp_sasl_mech(b + r.tok_off[2], r.tok_len[2], false)
                                             : NULL);
        if (r.n_tok > 3 && !tp_sasl_empty_ir(b + r.tok_off[3], r.tok_len[3]))
            sasl_line(st, b + r.tok_off[3], r.tok_len[3]);
    }

    bool full;
    struct imap_req *nq = tp_queue_room(s, st->q, st->nq, &st->qcap, sizeof *st->q, &full);
    if (!nq) {
        cmd_reset(st, true);
        if (!full)
            stop(st);
        return;
    }
    st->q = nq;
    r.len = st->cmd.len;
    r.buf = app_alloc(s, r.len ? r.len : 1);
    if (!r.buf) {
        cmd_reset(st, true);
        stop(st);
        return;
    }
    memcpy(r.buf, st->cmd.p, r.len);
    st->q[st->nq++] = r;
    cmd_reset(st, true);
}

/* One client line (or the part of a command line before a literal). 1 = leave line mode. */
static int client_line(struct imap_state *st, const uint8_t *line, size_t len, bool cut)
{
    if (cut) {
        app_limit_hit(st->s);
        app_anomaly(st->s, 0, "REQUEST_TOO_LONG");
        st->cmd_cut = true;
    }
    if (st->sasl.active && st->cmd.len == 0) {
        sasl_line(st, line, len);
        return 0;
    }
    uint64_t lsize;
    size_t mark;
    if (!cut && literal_marker(line, len, &lsize, &mark)) {
        cmd_put(st, line, mark);
        /* Is this APPEND (its literal is a message, not an argument worth keeping)? */
        bool is_append = false;
        {
            size_t p = 0;
            const uint8_t *w;
            size_t wl;
            if (st->cmd.p && tp_word(st->cmd.p, st->cmd.len, &p, &w, &wl) &&
                tp_word(st->cmd.p, st->cmd.len, &p, &w, &wl))
                is_append = tp_ieq(w, wl, "APPEND");
        }
        st->cli_lit_left = lsize;
        st->cli_in_lit = lsize > 0;
        st->cli_lit_keep =
            lsize <= tp_max_line(st->s) && !is_append && st->n_lit < IMAP_MAX_LITERALS;
        if (!st->cli_lit_keep) {
            if (!is_append) {
                app_limit_hit(st->s);
                app_anomaly(st->s, 0, "LITERAL_TOO_LONG");
            }
            char tmp[32];
            int k = snprintf(tmp, sizeof tmp, "{%llu}", (unsigned long long)lsize);
            if (k > 0)
                cmd_put(st, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
        } else {
            st->lit_off[st->n_lit] = st->cmd.len;
            st->lit_len[st->n_lit] = 0;
            st->n_lit++;
        }
        return st->cli_in_lit ? 1 : 0;
    }
    cmd_put(st, line, len);
    if (!st->stopped)
        cmd_done(st);
    return 0;
}

/* Literal bytes of the client; returns bytes used. */
static size_t client_literal(struct imap_state *st, const uint8_t *d, size_t n)
{
    size_t take = st->cli_lit_left < n ? (size_t)st->cli_lit_left : n;
    if (st->cli_lit_keep) {
        uint32_t before = st->cmd.len;
        cmd_put(st, d, take);
        st->lit_len[st->n_lit - 1] += st->cmd.len - before;
    }
    st->cli_lit_left -= take;
    if (st->cli_lit_left == 0)
        st->cli_in_lit = false;
    return take;
}

/* ---------- server ---------- */

/* Does the text before a literal marker name a whole message (FETCH BODY[] / RFC822 ...)? */
static bool message_item(const uint8_t *p, size_t n)
{
    while (n > 0 && p[n - 1] == ' ')
        n--;
    /* BODY[]<origin> of a partial fetch */
    if (n > 0 && p[n - 1] == '>') {
        size_t i = n - 1;
        while (i > 0 && p[i - 1] >= '0' && p[i - 1] <= '9')
            i--;
        if (i > 0 && p[i - 1] == '<')
            n = i - 1;
    }
    static const char *const items[] = {"BODY[]", "RFC822", "BINARY[]"};
    for (size_t k = 0; k < sizeof items / sizeof items[0]; k++) {
        size_t l = strlen(items[k]);
        if (n >= l && tp_ieq(p + n - l, l, items[k]) && (n == l || p[n - l - 1] == ' ' ||
                                                         p[n - l - 1] == '('))
            return true;
    }
    return false;
}

static const char *status_word(const uint8_t *w, size_t wl)
{
    if (tp_ieq(w, wl, "OK"))
        return "OK";
    if (tp_ieq(w, wl, "NO"))
        return "NO";
    if (tp_ieq(w, wl, "BAD"))
        return "BAD";
    return NULL;
}

static int server_line(struct imap_state *st, const uint8_t *line, size_t len, bool cut)
{
    struct app_session *s = st->s;
    if (cut) {
        app_limit_hit(s);
        app_anomaly(s, 1, "RESPONSE_TOO_LONG");
    }
    bool cont = st->srv_cont;
    st->srv_cont = false;
    uint64_t lsize;
    size_t mark;
    if (!cut && literal_marker(line, len, &lsize, &mark)) {
        st->srv_cont = true; /* what follows the literal continues this response */
        st->srv_lit_left = lsize;
        st->srv_in_lit = lsize > 0;
        st->mime_msg = message_item(line, mark);
        if (st->mime_msg) {
            st->n_messages++;
            st->message_bytes += lsize;
            if (lsize > 0)
                st->mime = mime_new(s, APP_PROTO_IMAP); /* NULL: refused, counted only */
        }
        if (!cont && !(len >= 2 && line[0] == '*' && line[1] == ' '))
            app_anomaly(s, 1, "INVALID_RESPONSE");
        else if (!cont)
            st->n_untagged++;
        return st->srv_in_lit ? 1 : 0;
    }
    if (cont)
        return 0;
    if (len >= 1 && line[0] == '*') {
        st->n_untagged++;
        return 0;
    }
    if (len >= 1 && line[0] == '+')
        return 0; /* continuation request (literal go-ahead, SASL challenge, IDLE) */
    size_t pos = 0;
    const uint8_t *tag, *w;
    size_t tl, wl;
    if (!tp_word(line, len, &pos, &tag, &tl) || !tp_word(line, len, &pos, &w, &wl) ||
        !status_word(w, wl)) {
        app_anomaly(s, 1, "INVALID_RESPONSE");
        return 0;
    }
    const char *status = status_word(w, wl);
    while (pos < len && line[pos] == ' ')
        pos++;
    for (uint32_t i = 0; i < st->nq; i++) {
        struct imap_req *r = &st->q[i];
        if (r->tok_len[0] == tl && memcmp(r->buf + r->tok_off[0], tag, tl) == 0) {
            enum imap_kind kind = r->kind;
            complete(st, r, status, line + pos, len - pos);
            req_free(s, r);
            memmove(st->q + i, st->q + i + 1, (st->nq - i - 1) * sizeof *st->q);
            st->nq--;
            if (strcmp(status, "OK") == 0 && kind == K_STARTTLS) {
                app_switch_proto(s, APP_PROTO_TLS);
                st->stopped = true;
                return 1;
            }
            if (strcmp(status, "OK") == 0 && kind == K_COMPRESS) {
                stop(st); /* the rest is deflate-compressed */
                return 1;
            }
            return 0;
        }
    }
    app_anomaly(s, 1, "UNEXPECTED_RESPONSE");
    return 0;
}

static size_t server_literal(struct imap_state *st, const uint8_t *d, size_t n)
{
    size_t take = st->srv_lit_left < n ? (size_t)st->srv_lit_left : n;
    if (st->mime)
        mime_feed(st->mime, 1, d, take);
    st->srv_lit_left -= take;
    if (st->srv_lit_left == 0) {
        st->srv_in_lit = false;
        if (st->mime) {
            mime_end(st->mime, 1, false);
            mime_free(st->mime);
            st->mime = NULL;
        }
    }
    return take;
}

/* ---------- hooks ---------- */

static int on_line(void *vst, int dir, const uint8_t *line, size_t len, bool cut)
{
    struct imap_state *st = vst;
    if (st->stopped)
        return TP_LINE_STOP;
    /* Any client line may carry a password (LOGIN, SASL). */
    int rc = dir == 0 ? client_line(st, line, len, cut) : server_line(st, line, len, cut);
    return (dir == 0 ? TP_LINE_WIPE : 0) | (rc || st->stopped ? TP_LINE_STOP : 0);
}

static void *imap_new(struct app_session *s)
{
    struct imap_state *st = app_calloc(s, sizeof *st);
    if (st)
        st->s = s;
    return st;
}

static void imap_data(struct app_session *s, void *vst, int dir, const uint8_t *data, size_t len)
{
    struct imap_state *st = vst;
    if (!st || dir < 0 || dir > 1)
        return;
    size_t i = 0;
    while (i < len && !st->stopped) {
        bool *in_lit = dir == 0 ? &st->cli_in_lit : &st->srv_in_lit;
        if (*in_lit) {
            i += dir == 0 ? client_literal(st, data + i, len - i)
                          : server_literal(st, data + i, len - i);
            continue;
        }
        long n = tp_lines_feed(s, st->lb, dir, data + i, len - i, on_line, st);
        if (n < 0) {
            if (!st->stopped)
                stop(st);
            return;
        }
        i += (size_t)n;
        if (!*in_lit)
            break; /* all consumed, or the parser stopped */
    }
}

static void imap_gap(struct app_session *s, void *vst, int dir, uint32_t len)
{
    (void)s;
    struct imap_state *st = vst;
    if (!st || st->stopped || dir < 0 || dir > 1)
        return;
    if (dir == 1 && st->srv_in_lit) {
        /* Inside a literal the length says where it ends: resume after the hole. */
        if (st->mime) {
            mime_end(st->mime, 1, true);
            mime_free(st->mime);
            st->mime = NULL;
        }
        if (len < st->srv_lit_left) {
            st->srv_lit_left -= len;
            return;
        }
        st->srv_in_lit = false;
    } else if (dir == 0 && st->cli_in_lit) {
        st->cli_in_lit = false;
    }
    app_linebuf_lost(&st->lb[dir]);
    if (dir == 0) {
        cmd_reset(st, true);
        if (st->sasl.active)
            st->sasl.mech = NULL; /* the credentials may be incomplete: name only */
    } else {
        st->srv_cont = false;
    }
}

static void imap_end(struct app_session *s, void *vst, int dir)
{
    (void)s;
    struct imap_state *st = vst;
    if (!st || st->stopped || dir < 0 || dir > 1)
        return;
    if (!(dir == 0 ? st->cli_in_lit : st->srv_in_lit))
        tp_lines_end(st->lb, dir, on_line, st);
    else if (dir == 0)
        app_linebuf_wipe(&st->lb[0]);
}

static void imap_free(struct app_session *s, void *vst)
{
    struct imap_state *st = vst;
    if (!st)
        return;
    if (st->mime) {
        if (!st->stopped)
            mime_end(st->mime, 1, true);
        mime_free(st->mime);
        st->mime = NULL;
    }
    for (uint32_t i = 0; i < st->nq; i++) {
        if (!st->stopped)
            complete(st, &st->q[i], NULL, NULL, 0);
        req_free(s, &st->q[i]);
    }
    if (st->q)
        app_free(s, st->q, st->qcap * sizeof *st->q);
    app_linebuf_free(s, &st->lb[0]);
    app_linebuf_free(s, &st->lb[1]);
    tp_free(s, &st->cmd);
    tp_sasl_free(s, &st->sasl);
    explicit_bzero(st, sizeof *st);
    app_free(s, st, sizeof *st);
}

const struct app_parser app_parser_imap = {
    .proto = APP_PROTO_IMAP,
    .state_new = imap_new,
    .state_free = imap_free,
    .data = imap_data,
    .gap = imap_gap,
    .end = imap_end,
};
