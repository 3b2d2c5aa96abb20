/*
 * FTP control connection parser (RFC 959, 2228, 2428, 4217); see ftp.h for the records.
 *
 *   client:  command [SP argument] CRLF         e.g. "USER ftp", "PORT 10,0,0,1,4,1"
 *   server:  code SP text CRLF                   single-line reply
 *            code "-" text CRLF                  first line of a multi-line reply ...
 *            [any text] CRLF                     ... inner lines ...
 *            code SP text CRLF                   ... ended by the same code and a space
 *   A 1xx reply is preliminary: the command waits for another one (150 ... then 226).
 *
 *   PORT h1,h2,h3,h4,p1,p2          port p1 * 256 + p2 (active)
 *   EPRT |af|address|port|          (active)
 *   227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)   (passive)
 *   229 Entering Extended Passive Mode (|||port|)   (passive)
 *
 * Commands may be sent ahead of replies: they wait in a queue of at most
 * app.max_pending_tx. Lines longer than app.max_line_bytes are cut and reported. Out of
 * scope: the data connections themselves, Telnet option negotiation inside the control
 * stream (IAC bytes are kept as data), the TLS session after AUTH TLS.
 */
#include "app/ftp.h"

#include "app/app_parser.h"
#include "app/linebuf.h"
#include "app/textproto.h"

#include <string.h>

enum ftp_kind { K_OTHER = 0, K_USER, K_PASS, K_AUTH_TLS, K_PORT, K_EPRT, K_PASV, K_EPSV };

struct ftp_req {
    enum ftp_kind kind;
    uint8_t *line; /* command (upper-cased) + SP + data; PASS: the command only (exact alloc) */
    uint32_t line_len, cmd_len;
    bool has_data, truncated;
    bool has_port;
    uint16_t port;
    struct tp_cred cred; /* USER / PASS: the last USER argument, then the password */
};

struct ftp_state {
    struct app_session *s;
    struct app_linebuf lb[2];
    bool stopped;

    struct ftp_req *q; /* commands waiting for their final reply, oldest first */
    uint32_t nq, qcap;

    /* Replies collected for the oldest command (or for no command). */
    struct tp_buf text;
    uint32_t line_off[FTP_MAX_REPLY_LINES], line_len[FTP_MAX_REPLY_LINES];
    uint32_t n_lines;
    char codes[FTP_MAX_REPLIES][4];
    uint32_t n_codes;
    bool reply_truncated;
    bool in_multi;   /* inside a multi-line reply */
    char multi_code[4];
    bool have_reply; /* something collected for the current command */
    bool pasv_port_set;
    uint16_t pasv_port;

    struct tp_buf user; /* last USER argument */
    uint64_t next_tx_id;
};

static void stop(struct ftp_state *st)
{
    st->stopped = true;
    app_stop(st->s);
}

static void req_free(struct app_session *s, struct ftp_req *r)
{
    if (r->line)
        app_free(s, r->line, r->line_len ? r->line_len : 1);
    tp_cred_free(s, &r->cred);
    memset(r, 0, sizeof *r);
}

/* Decimal number of at most 5 digits at p[*i..n), value <= max. */
static bool num(const uint8_t *p, size_t n, size_t *i, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    size_t st = *i;
    while (*i < n && p[*i] >= '0' && p[*i] <= '9' && *i - st < 5) {
        v = v * 10 + (uint32_t)(p[*i] - '0');
        (*i)++;
    }
    if (*i == st || v > max || (*i < n && p[*i] >= '0' && p[*i] <= '9'))
        return false;
    *out = v;
    return true;
}

/* "h1,h2,h3,h4,p1,p2" starting at p[i]: the port. */
static bool parse_hostport(const uint8_t *p, size_t n, size_t i, uint16_t *port)
{
    uint32_t v[6];
    for (int k = 0; k < 6; k++) {
        while (i < n && p[i] == ' ')
            i++;
        if (!num(p, n, &i, 255, &v[k]))
            return false;
        while (i < n && p[i] == ' ')
            i++;
        if (k < 5) {
            if (i >= n || p[i] != ',')
                return false;
            i++;
        }
    }
    *port = (uint16_t)(v[4] << 8 | v[5]);
    return true;
}

/* EPRT |af|addr|port| and 229 (|||port|): the port after the third delimiter. */
static bool parse_ext(const uint8_t *p, size_t n, size_t i, uint16_t *port)
{
    if (i >= n)
        return false;
    uint8_t d = p[i]; /* RFC 2428: any printable delimiter, usually '|' */
    if (d < 33 || d > 126 || (d >= '0' && d <= '9'))
        return false;
    int seen = 0;
    while (i < n && seen < 3) {
        if (p[i] == d)
            seen++;
        i++;
    }
    uint32_t v;
    if (seen < 3 || !num(p, n, &i, 65535, &v) || i >= n || p[i] != d)
        return false;
    *port = (uint16_t)v;
    return true;
}

/* ---------- records ---------- */

/* Empty reply lines never allocate: records point here instead of at NULL. */
static const uint8_t no_bytes[1];

static void emit(struct ftp_state *st, const struct ftp_req *r, bool final)
{
    struct ftp_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.tx_id = st->next_tx_id++;
    if (r) {
        tx.has_command = true;
        tx.command.p = r->line;
        tx.command.len = r->cmd_len;
        if (r->has_data) {
            tx.has_command_data = true;
            tx.command_data.p = r->line + r->cmd_len + 1;
            tx.command_data.len = r->line_len - r->cmd_len - 1;
        }
        tx.command_truncated = r->truncated;
        if (r->has_port) {
            tx.has_dynamic_port = true;
            tx.dynamic_port = r->port;
            tx.mode = "active";
        } else if ((r->kind == K_PASV || r->kind == K_EPSV) && st->pasv_port_set) {
            tx.has_dynamic_port = true;
            tx.dynamic_port = st->pasv_port;
            tx.mode = "passive";
        }
    }
    tx.reply_received = final;
    for (uint32_t i = 0; i < st->n_lines; i++) {
        tx.reply[i].p = st->text.p ? st->text.p + st->line_off[i] : no_bytes;
        tx.reply[i].len = st->line_len[i];
    }
    tx.n_reply = st->n_lines;
    memcpy(tx.completion_code, st->codes, sizeof st->codes);
    tx.n_codes = st->n_codes;
    tx.reply_truncated = st->reply_truncated;
    app_emit(st->s, 1, APP_REC_FTP, &tx);
}

static void reset_reply(struct ftp_state *st)
{
    tp_clear(&st->text, false);
    st->n_lines = st->n_codes = 0;
    st->reply_truncated = st->have_reply = st->pasv_port_set = false;
}

/* The command's final reply (code) arrived, or the flow ended (code 0). */
static void finish(struct ftp_state *st, struct ftp_req *r, unsigned code)
{
    emit(st, r, code != 0);
    if (r) {
        enum app_login_outcome o = code >= 200 && code < 300   ? APP_LOGIN_SUCCESS
                                   : code >= 400 && code < 600 ? APP_LOGIN_FAILURE
                                                               : APP_LOGIN_UNKNOWN;
        if (r->kind == K_PASS) {
            tp_cred_login(st->s, &r->cred, "USER/PASS", o, true);
        } else if (r->kind == K_USER && (code == 230 || code == 530)) {
            /* Accepted (or refused) without asking for a password. */
            tp_cred_login(st->s, &r->cred, "USER/PASS", o, false);
        }
    }
    reset_reply(st);
}

/* ---------- client ---------- */

static bool client_line(struct ftp_state *st, const uint8_t *line, size_t len, bool cut)
{
    struct app_session *s = st->s;
    if (cut) {
        app_limit_hit(s);
        app_anomaly(s, 0, "REQUEST_COMMAND_TOO_LONG");
    }
    size_t pos = 0;
    const uint8_t *w;
    size_t wl;
    if (!tp_word(line, len, &pos, &w, &wl))
        return false;
    enum ftp_kind kind = K_OTHER;
    if (tp_ieq(w, wl, "USER"))
        kind = K_USER;
    else if (tp_ieq(w, wl, "PASS"))
        kind = K_PASS;
    else if (tp_ieq(w, wl, "PORT"))
        kind = K_PORT;
    else if (tp_ieq(w, wl, "EPRT"))
        kind = K_EPRT;
    else if (tp_ieq(w, wl, "PASV"))
        kind = K_PASV;
    else if (tp_ieq(w, wl, "EPSV"))
        kind = K_EPSV;
    else if (tp_ieq(w, wl, "AUTH"))
        kind = K_AUTH_TLS; /* checked below: only TLS / SSL switch protocols */
    bool secret = kind == K_PASS;

    /* The argument: everything after the command and one space (it may hold spaces). */
    size_t aoff = (size_t)(w + wl - line);
    const uint8_t *arg = NULL;
    size_t argl = 0;
    if (aoff < len) {
        arg = line + aoff + 1;
        argl = len - aoff - 1;
    }
    if (kind == K_AUTH_TLS) {
        size_t p2 = 0;
        const uint8_t *m;
        size_t ml2;
        if (!arg || !tp_word(arg, argl, &p2, &m, &ml2) ||
            !(tp_ieq(m, ml2, "TLS") || tp_ieq(m, ml2, "SSL") || tp_ieq(m, ml2, "TLS-C") ||
              tp_ieq(m, ml2, "TLS-P")))
            kind = K_OTHER;
    }

    bool full;
    struct ftp_req *nq = tp_queue_room(s, st->q, st->nq, &st->qcap, sizeof *st->q, &full);
    if (!nq) {
        if (!full)
            stop(st);
        return secret;
    }
    st->q = nq;

    struct ftp_req r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.truncated = cut;
    r.cmd_len = (uint32_t)wl;
    r.has_data = arg && kind != K_PASS;
    r.line_len = (uint32_t)(wl + (r.has_data ? 1 + argl : 0));
    r.line = app_alloc(s, r.line_len);
    if (!r.line) {
        stop(st);
        return secret;
    }
    for (size_t i = 0; i < wl; i++)
        r.line[i] = tp_upper(w[i]);
    if (r.has_data) {
        r.line[wl] = ' ';
        memcpy(r.line + wl + 1, arg, argl);
    }
    if (kind == K_PORT && arg) {
        r.has_port = parse_hostport(arg, argl, 0, &r.port);
        if (!r.has_port)
            app_anomaly(s, 0, "INVALID_PORT_COMMAND");
    } else if (kind == K_EPRT && arg) {
        r.has_port = parse_ext(arg, argl, 0, &r.port);
        if (!r.has_port)
            app_anomaly(s, 0, "INVALID_PORT_COMMAND");
    }
    if (kind == K_USER) {
        tp_clear(&st->user, false);
        if (arg && tp_put(s, &st->user, arg, argl, tp_max_line(s)) < 0) {
            req_free(s, &r);
            stop(st);
            return secret;
        }
    }
    if ((kind == K_USER || kind == K_PASS) &&
        !tp_cred_set(s, &r.cred, st->user.p, st->user.len, arg, kind == K_PASS && arg ? argl : 0)) {
        req_free(s, &r);
        stop(st);
        return secret;
    }
    st->q[st->nq++] = r;
    return secret;
}

/* ---------- server ---------- */

static struct ftp_req *head(struct ftp_state *st)
{
    return st->nq ? &st->q[0] : NULL;
}

static void pop_head(struct ftp_state *st)
{
    if (!st->nq)
        return;
    req_free(st->s, &st->q[0]);
    memmove(st->q, st->q + 1, (st->nq - 1) * sizeof *st->q);
    st->nq--;
}

static void keep_line(struct ftp_state *st, const uint8_t *p, size_t n)
{
    if (st->n_lines >= FTP_MAX_REPLY_LINES) {
        st->reply_truncated = true;
        return;
    }
    uint32_t off = st->text.len;
    int rc = tp_put(st->s, &st->text, p, n, tp_max_line(st->s));
    if (rc < 0) {
        stop(st);
        return;
    }
    if (rc > 0)
        st->reply_truncated = true;
    st->line_off[st->n_lines] = off;
    st->line_len[st->n_lines] = st->text.len - off;
    st->n_lines++;
}

static bool is_code(const uint8_t *p, size_t n)
{
    return n >= 3 && p[0] >= '1' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
           p[2] <= '9' && (n == 3 || p[3] == ' ' || p[3] == '-');
}

/* Bytes of "ddd " / "ddd-" before a reply's text. */
static size_t code_skip(size_t len)
{
    return len >= 4 ? 4 : len;
}

/* Returns 1 when parsing must stop (switch to TLS, memory refused). */
static int server_line(struct ftp_state *st, const uint8_t *line, size_t len, bool cut)
{
    struct app_session *s = st->s;
    if (cut) {
        app_limit_hit(s);
        app_anomaly(s, 1, "RESPONSE_COMMAND_TOO_LONG");
        st->reply_truncated = true;
    }
    bool coded = is_code(line, len);
    if (st->in_multi) {
        /* Inner lines are text; the reply ends at "<same code> SP". */
        bool last = coded && memcmp(line, st->multi_code, 3) == 0 && (len == 3 || line[3] == ' ');
        size_t k = coded ? code_skip(len) : 0;
        keep_line(st, line + k, len - k);
        if (!last)
            return st->stopped;
        st->in_multi = false;
    } else {
        if (!coded) {
            app_anomaly(s, 1, "INVALID_REPLY");
            return 0;
        }
        keep_line(st, line + code_skip(len), len - code_skip(len));
        if (len > 3 && line[3] == '-') {
            st->in_multi = true;
            memcpy(st->multi_code, line, 3);
            st->multi_code[3] = '\0';
            st->have_reply = true;
            return st->stopped;
        }
    }
    if (st->stopped)
        return 1;
    unsigned code = (unsigned)(line[0] - '0') * 100 + (unsigned)(line[1] - '0') * 10 +
                    (unsigned)(line[2] - '0');
    if (st->n_codes < FTP_MAX_REPLIES) {
        memcpy(st->codes[st->n_codes], line, 3);
        st->codes[st->n_codes][3] = '\0';
        st->n_codes++;
    } else {
        st->reply_truncated = true;
    }
    st->have_reply = true;
    struct ftp_req *r = head(st);
    if (r && (r->kind == K_PASV || r->kind == K_EPSV) && (code == 227 || code == 229)) {
        /* The address is in the reply text: "(h1,...,p2)" or "(|||port|)"; some servers
         * leave out the parentheses, so take the first digit (227) or delimiter (229). */
        size_t i = 4;
        if (code == 227) {
            while (i < len && !(line[i] >= '0' && line[i] <= '9'))
                i++;
            st->pasv_port_set = parse_hostport(line, len, i, &st->pasv_port);
        } else {
            while (i < len && line[i] != '(')
                i++;
            st->pasv_port_set = i < len && parse_ext(line, len, i + 1, &st->pasv_port);
        }
        if (!st->pasv_port_set)
            app_anomaly(s, 1, "INVALID_PASSIVE_REPLY");
    }
    if (code < 200)
        return 0; /* preliminary: wait for the final reply */
    bool tls = r && r->kind == K_AUTH_TLS && code == 234;
    finish(st, r, code);
    pop_head(st);
    if (tls) {
        app_switch_proto(s, APP_PROTO_TLS);
        st->stopped = true;
        return 1;
    }
    return st->stopped;
}

/* ---------- hooks ---------- */

static int on_line(void *vst, int dir, const uint8_t *line, size_t len, bool cut)
{
    struct ftp_state *st = vst;
    if (st->stopped)
        return TP_LINE_STOP;
    int rc = 0;
    if (dir == 0 && client_line(st, line, len, cut))
        rc = TP_LINE_WIPE; /* PASS */
    else if (dir == 1 && server_line(st, line, len, cut))
        rc = TP_LINE_STOP;
    return rc | (st->stopped ? TP_LINE_STOP : 0);
}

static void *ftp_new(struct app_session *s)
{
    struct ftp_state *st = app_calloc(s, sizeof *st);
    if (st)
        st->s = s;
    return st;
}

static void ftp_data(struct app_session *s, void *vst, int dir, const uint8_t *data, size_t len)
{
    struct ftp_state *st = vst;
    if (!st || st->stopped || dir < 0 || dir > 1)
        return;
    if (tp_lines_feed(s, st->lb, dir, data, len, on_line, st) < 0 && !st->stopped)
        stop(st);
}

static void ftp_gap(struct app_session *s, void *vst, int dir, uint32_t len)
{
    (void)s;
    (void)len;
    struct ftp_state *st = vst;
    if (!st || st->stopped || dir < 0 || dir > 1)
        return;
    app_linebuf_lost(&st->lb[dir]);
    if (dir == 1)
        st->in_multi = false;
}

static void ftp_end(struct app_session *s, void *vst, int dir)
{
    (void)s;
    struct ftp_state *st = vst;
    if (!st || st->stopped || dir < 0 || dir > 1)
        return;
    tp_lines_end(st->lb, dir, on_line, st);
}

static void ftp_free(struct app_session *s, void *vst)
{
    struct ftp_state *st = vst;
    if (!st)
        return;
    if (!st->stopped) {
        /* Replies without a command, then commands that never got their final reply (the
         * first one carries any preliminary replies seen). */
        if (st->have_reply && st->nq == 0)
            finish(st, NULL, 0);
        for (uint32_t i = 0; i < st->nq; i++)
            finish(st, &st->q[i], 0);
    }
    for (uint32_t i = 0; i < st->nq; i++)
        req_free(s, &st->q[i]);
    if (st->q)
        app_free(s, st->q, st->qcap * sizeof *st->q);
    app_linebuf_free(s, &st->lb[0]);
    app_linebuf_free(s, &st->lb[1]);
    tp_free(s, &st->text);
    tp_free(s, &st->user);
    explicit_bzero(st, sizeof *st);
    app_free(s, st, sizeof *st);
}

const struct app_parser app_parser_ftp = {
    .proto = APP_PROTO_FTP,
    .state_new = ftp_new,
    .state_free = ftp_free,
    .data = ftp_data,
    .gap = ftp_gap,
    .end = ftp_end,
};
