/*
 * SMTP parser (RFC 5321) with PIPELINING (RFC 2920), SIZE (RFC 1870), CHUNKING/BDAT
 * (RFC 3030), AUTH (RFC 4954: PLAIN, LOGIN, CRAM-MD5) and STARTTLS (RFC 3207).
 *
 *   client:  command  = verb [SP args] CRLF        e.g. "MAIL FROM:<a@b> SIZE=10"
 *            DATA     ... message lines, "." doubled at line start ... CRLF "." CRLF
 *            BDAT n [LAST] CRLF  then exactly n message bytes (no line structure)
 *   server:  reply    = *(code "-" text CRLF) code SP text CRLF    (code: 3 digits)
 *
 * Replies are matched to commands in order through a queue (pipelined clients send several
 * commands before the first reply; app.max_pending_tx bounds it). Each mail transaction
 * (MAIL FROM to the reply to the end of the message) becomes one struct smtp_tx record;
 * message bytes go to the MIME parser (mime.c), which emits the attachments as files.
 * Logins (AUTH) are reported through app_login once the server's verdict is seen; the
 * password is kept only until then and wiped.
 *
 * The client enters message mode on DATA itself, without waiting for the 354 (the reply may
 * be processed later than the client bytes); a DATA refused before any message byte returns
 * to command mode. Not done: SMTPUTF8 specifics, BURL, AUTH mechanisms other than the three
 * above (their exchanges are followed but give no login record).
 */
#include "app/smtp.h"

#include "app/app_parser.h"
#include "app/linebuf.h"
#include "app/mime.h"
#include "app/textproto.h"
#include "core/mm.h"

#include <string.h>

enum cmd {
    C_OTHER = 0,
    C_HELO,
    C_MAIL,
    C_RCPT,
    C_DATA,
    C_DATA_END,
    C_BDAT,
    C_BDAT_LAST,
    C_RSET,
    C_AUTH,
    C_STARTTLS,
};

enum cmode { CM_CMD = 0, CM_DATA, CM_BDAT, CM_AUTH };

/* Message mode (DATA): where in the line we are, for dot-unstuffing and the final ".". */
enum dstate { DS_BOL = 0, DS_DOT, DS_DOT_CR, DS_MID };

#define AUTH_FIELD_MAX 256 /* bytes of a user name or password kept from AUTH */

struct smtp_state {
    struct app_session *s;
    struct app_linebuf lb[2];
    bool done; /* STARTTLS switch or a stop: ignore everything */

    enum cmode cmode;
    enum dstate ds;
    uint64_t bdat_left;
    bool bdat_last;

    /* Commands waiting for their reply (ring of enum cmd). */
    uint8_t *pend;
    uint32_t pend_cap, pend_head, pend_n;
    bool greeted;
    bool lost; /* a gap lost commands or replies: unmatched replies are expected */
    uint16_t ml_code; /* code of a multi-line reply in progress */

    struct tp_buf helo;

    /* The mail transaction being built. */
    bool tx_open;
    uint64_t next_tx_id;
    struct smtp_tx tx;
    struct tp_buf mail_from, mail_params, rcpts;
    uint32_t rcpt_off[SMTP_MAX_RCPT];
    struct mime_parser *mime;
    bool msg_done; /* the message ended (final "." or BDAT LAST) */

    /* AUTH exchange in progress (cmode CM_AUTH while the client still has responses to
     * send; the server's final reply ends it). */
    struct tp_sasl sasl;
    bool wipe_lb; /* a line that may hold a secret went through lb[0] */
};

static void stop(struct smtp_state *st)
{
    st->done = true;
    app_stop(st->s);
}

/* ---------- transactions ---------- */

/* Empty recipients ("RCPT TO:<>" only) leave rcpts without memory: records point here then
 * (NULL + 0 is undefined, and consumers may copy from the pointer). */
static const uint8_t no_bytes[1];

static void tx_sync(struct smtp_state *st)
{
    struct smtp_tx *t = &st->tx;
    t->helo = st->helo.p;
    t->helo_len = st->helo.len;
    for (uint32_t i = 0; i < t->n_rcpt_to; i++)
        t->rcpt_to[i] = st->rcpts.p ? st->rcpts.p + st->rcpt_off[i] : no_bytes;
}

static void tx_open(struct smtp_state *st)
{
    if (st->tx_open)
        return;
    memset(&st->tx, 0, sizeof st->tx);
    st->tx.tx_id = st->next_tx_id;
    st->tx_open = true;
    st->msg_done = false;
    tx_sync(st);
}

/* Emit the open transaction (dir: direction that completed it) and forget it. */
static void tx_finish(struct smtp_state *st, int dir)
{
    if (!st->tx_open)
        return;
    if (st->mime) {
        st->tx.email = mime_email(st->mime);
        st->tx.status = mime_status(st->mime);
    }
    tx_sync(st);
    app_emit(st->s, dir, APP_REC_SMTP, &st->tx);
    mime_free(st->mime);
    st->mime = NULL;
    tp_clear(&st->mail_from, false);
    tp_clear(&st->mail_params, false);
    tp_clear(&st->rcpts, false);
    memset(&st->tx, 0, sizeof st->tx);
    st->tx_open = false;
    st->msg_done = false;
    st->next_tx_id++;
}

static bool msg_start(struct smtp_state *st)
{
    tx_open(st);
    if (st->mime)
        return true;
    st->mime = mime_new(st->s, APP_PROTO_SMTP);
    if (!st->mime) {
        stop(st);
        return false;
    }
    mime_set_tx_id(st->mime, st->tx.tx_id);
    mime_set_smtp(st->mime, &st->tx);
    return true;
}

static void msg_bytes(struct smtp_state *st, const uint8_t *p, size_t n)
{
    st->tx.message_bytes += n;
    mime_feed(st->mime, 0, p, n);
}

static void msg_end(struct smtp_state *st, bool truncated)
{
    mime_end(st->mime, 0, truncated);
    st->msg_done = true;
}

/* ---------- commands and replies ---------- */

static void push_cmd(struct smtp_state *st, enum cmd c)
{
    uint32_t max = app_cfg(st->s)->max_pending_tx;
    if (max == 0)
        max = 1;
    if (st->pend_n >= max) {
        app_limit_hit(st->s);
        app_anomaly(st->s, 0, "MAX_PENDING_COMMANDS_EXCEEDED");
        return;
    }
    if (!st->pend) {
        st->pend = app_alloc(st->s, max);
        if (!st->pend) {
            stop(st);
            return;
        }
        st->pend_cap = max;
    }
    st->pend[(st->pend_head + st->pend_n) % st->pend_cap] = (uint8_t)c;
    st->pend_n++;
}

static bool pop_cmd(struct smtp_state *st, enum cmd *c)
{
    if (st->pend_n == 0)
        return false;
    *c = (enum cmd)st->pend[st->pend_head];
    st->pend_head = (st->pend_head + 1) % st->pend_cap;
    st->pend_n--;
    return true;
}

/* Keep a bounded copy of a string field; false when memory was refused (parser stops). */
static bool keep(struct smtp_state *st, struct tp_buf *b, const uint8_t *p, size_t n)
{
    tp_clear(b, false);
    int r = n ? tp_put(st->s, b, p, n, tp_max_line(st->s)) : 0;
    if (r >= 0 && !b->p) {
        /* An empty value still gets a pointer ("MAIL FROM:<>" is the null sender). */
        r = tp_put(st->s, b, "", 1, 1);
        b->len = 0;
    }
    if (r < 0) {
        stop(st);
        return false;
    }
    return true;
}

/* "FROM:<addr> params" / "TO:<addr> params" after the verb: address without <>, params. */
static void parse_path(const uint8_t *l, size_t n, size_t i, const uint8_t **a, size_t *an,
                       const uint8_t **pr, size_t *pn)
{
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    size_t e;
    if (i < n && l[i] == '<') {
        const uint8_t *gt = memchr(l + i, '>', n - i);
        e = gt ? (size_t)(gt - l) : n;
        *a = l + i + 1;
        *an = e - i - 1;
        if (gt)
            e++;
    } else {
        e = i;
        while (e < n && l[e] != ' ' && l[e] != '\t')
            e++;
        *a = l + i;
        *an = e - i;
    }
    while (e < n && (l[e] == ' ' || l[e] == '\t'))
        e++;
    *pr = l + e;
    *pn = n - e;
}

/* Position after "FROM:" / "TO:" (spaces allowed before the colon by lax clients). */
static bool after_keyword(const uint8_t *l, size_t n, size_t i, const char *kw, size_t *out)
{
    while (i < n && l[i] == ' ')
        i++;
    if (!tp_iprefix(l + i, n - i, kw))
        return false;
    i += strlen(kw);
    while (i < n && l[i] == ' ')
        i++;
    if (i >= n || l[i] != ':')
        return false;
    *out = i + 1;
    return true;
}

/* ---------- AUTH ---------- */

static void auth_reset(struct smtp_state *st)
{
    tp_sasl_reset(&st->sasl);
    if (st->cmode == CM_AUTH)
        st->cmode = CM_CMD;
}

/* One client response (initial or on its own line): decoded into st->sasl. */
static void auth_response(struct smtp_state *st, const uint8_t *l, size_t n)
{
    /* Lax clients end the base64 with blanks. */
    while (n && (l[n - 1] == ' ' || l[n - 1] == '\t'))
        n--;
    switch (tp_sasl_response(st->s, &st->sasl, l, n, AUTH_FIELD_MAX)) {
    case TP_SASL_CANCEL: /* the client gives up (RFC 4954 §4): no login */
        auth_reset(st);
        return;
    case TP_SASL_BAD:
        /* Only PLAIN reports it: LOGIN and CRAM-MD5 just lose the field. */
        if (strcmp(st->sasl.mech, "PLAIN") == 0)
            app_anomaly(st->s, 0, "AUTH_MALFORMED");
        break;
    case TP_SASL_NOMEM:
        stop(st);
        return;
    default:
        break;
    }
    if (tp_sasl_done(&st->sasl) && st->cmode == CM_AUTH)
        st->cmode = CM_CMD; /* all responses in: lines are commands again */
}

static void auth_begin(struct smtp_state *st, const uint8_t *mech, size_t mn, const uint8_t *ir,
                       size_t irn)
{
    /* A new AUTH before the verdict on the previous one replaces it. */
    tp_sasl_begin(&st->sasl, tp_sasl_mech(mech, mn, true));
    st->sasl.authzid_user = true;
    const char *m = st->sasl.mech;
    /* CRAM-MD5 has no initial response (the server's challenge comes first). */
    if (irn > 0 && !tp_sasl_empty_ir(ir, irn) && m && strcmp(m, "CRAM-MD5") != 0) {
        auth_response(st, ir, irn);
        st->wipe_lb = true;
    }
    if (!st->done && st->sasl.active && !tp_sasl_done(&st->sasl))
        st->cmode = CM_AUTH; /* the next lines are responses */
}

/* A client line during an AUTH exchange. */
static void auth_line(struct smtp_state *st, const uint8_t *l, size_t n)
{
    push_cmd(st, C_AUTH);
    st->wipe_lb = true;
    auth_response(st, l, n);
}

/* The server's final reply to an AUTH step. */
static void auth_reply(struct smtp_state *st, uint16_t code)
{
    if (code == 334)
        return; /* next challenge */
    enum app_login_outcome o = code == 235                ? APP_LOGIN_SUCCESS
                               : code >= 400 && code < 600 ? APP_LOGIN_FAILURE
                                                           : APP_LOGIN_UNKNOWN;
    /* A login once something was sent: the user, or every response the mechanism needs. */
    if (st->sasl.have_user || tp_sasl_done(&st->sasl))
        tp_sasl_login(st->s, &st->sasl, o, NULL);
    auth_reset(st);
}

/* ---------- client lines ---------- */

static int client_line(void *user, const uint8_t *l, size_t n, bool crlf, bool cut)
{
    struct smtp_state *st = user;
    (void)crlf;
    if (st->done)
        return 1;
    if (cut) {
        app_limit_hit(st->s);
        app_anomaly(st->s, 0, "MAX_COMMAND_LINE_LEN_EXCEEDED");
    }
    if (cut && st->cmode == CM_CMD &&
        (tp_iprefix(l, n, "DATA") || tp_iprefix(l, n, "BDAT"))) {
        /* The rest of a cut line is skipped by the line splitter, or not, depending on
         * where the chunk ends: never let it become message bytes. */
        push_cmd(st, C_OTHER);
        return 0;
    }
    if (st->cmode == CM_AUTH) {
        auth_line(st, l, n);
        return st->done;
    }
    size_t pos = 0;
    const uint8_t *verb;
    size_t vn;
    if (!tp_word(l, n, &pos, &verb, &vn))
        return 0; /* empty line */
    const uint8_t *a, *pr;
    size_t an, pn, at;
    if (tp_ieq(verb, vn, "HELO") || tp_ieq(verb, vn, "EHLO")) {
        const uint8_t *h = l + pos;
        size_t hn = n - pos;
        while (hn && (h[0] == ' ' || h[0] == '\t')) {
            h++;
            hn--;
        }
        while (hn && (h[hn - 1] == ' ' || h[hn - 1] == '\t'))
            hn--;
        if (!keep(st, &st->helo, h, hn))
            return 1;
        tx_sync(st);
        push_cmd(st, C_HELO);
    } else if (tp_ieq(verb, vn, "MAIL")) {
        if (st->tx_open)
            tx_finish(st, 0); /* a new transaction: the previous one is over */
        tx_open(st);
        if (after_keyword(l, n, pos, "FROM", &at)) {
            parse_path(l, n, at, &a, &an, &pr, &pn);
            if (!keep(st, &st->mail_from, a, an))
                return 1;
            st->tx.mail_from = st->mail_from.p;
            st->tx.mail_from_len = st->mail_from.len;
            if (pn) {
                if (!keep(st, &st->mail_params, pr, pn))
                    return 1;
                st->tx.mail_params = st->mail_params.p;
                st->tx.mail_params_len = st->mail_params.len;
            }
        } else {
            app_anomaly(st->s, 0, "INVALID_MAIL_FROM");
        }
        push_cmd(st, C_MAIL);
    } else if (tp_ieq(verb, vn, "RCPT")) {
        tx_open(st);
        if (after_keyword(l, n, pos, "TO", &at)) {
            parse_path(l, n, at, &a, &an, &pr, &pn);
            if (st->tx.n_rcpt_to >= SMTP_MAX_RCPT) {
                st->tx.rcpt_dropped++;
            } else {
                uint32_t off = st->rcpts.len;
                int r = tp_put(st->s, &st->rcpts, a, an,
                               (uint32_t)MM_MIN((uint64_t)SMTP_MAX_RCPT * tp_max_line(st->s),
                                                (uint64_t)UINT32_MAX / 2));
                if (r < 0) {
                    stop(st);
                    return 1;
                }
                st->rcpt_off[st->tx.n_rcpt_to] = off;
                st->tx.rcpt_to_len[st->tx.n_rcpt_to] = st->rcpts.len - off;
                st->tx.n_rcpt_to++;
                tx_sync(st);
            }
        } else {
            app_anomaly(st->s, 0, "INVALID_RCPT_TO");
        }
        push_cmd(st, C_RCPT);
    } else if (tp_ieq(verb, vn, "DATA")) {
        push_cmd(st, C_DATA);
        if (st->msg_done) {
            /* A second message in one transaction (no MAIL in between): a new one. */
            tx_finish(st, 0);
        }
        if (!msg_start(st))
            return 1;
        st->cmode = CM_DATA;
        st->ds = DS_BOL;
        return 1;
    } else if (tp_ieq(verb, vn, "BDAT")) {
        const uint8_t *w;
        size_t wn;
        uint64_t size = 0;
        bool ok = tp_word(l, n, &pos, &w, &wn) && wn > 0 && wn <= 18;
        for (size_t i = 0; ok && i < wn; i++) {
            if (w[i] < '0' || w[i] > '9')
                ok = false;
            else
                size = size * 10 + (uint64_t)(w[i] - '0');
        }
        if (!ok) {
            app_anomaly(st->s, 0, "BDAT_CHUNK_LEN_EXCEEDED");
            push_cmd(st, C_OTHER);
            return 0;
        }
        bool last = tp_word(l, n, &pos, &w, &wn) && tp_ieq(w, wn, "LAST");
        push_cmd(st, last ? C_BDAT_LAST : C_BDAT);
        if (st->msg_done)
            tx_finish(st, 0);
        if (!msg_start(st))
            return 1;
        st->tx.bdat = true;
        st->bdat_left = size;
        st->bdat_last = last;
        st->cmode = CM_BDAT;
        return 1;
    } else if (tp_ieq(verb, vn, "RSET")) {
        tx_finish(st, 0);
        push_cmd(st, C_RSET);
    } else if (tp_ieq(verb, vn, "STARTTLS")) {
        push_cmd(st, C_STARTTLS);
    } else if (tp_ieq(verb, vn, "AUTH")) {
        const uint8_t *mech = NULL, *ir = NULL;
        size_t mn = 0, irn = 0;
        tp_word(l, n, &pos, &mech, &mn);
        tp_word(l, n, &pos, &ir, &irn);
        push_cmd(st, C_AUTH);
        auth_begin(st, mech ? mech : (const uint8_t *)"", mn, ir, irn);
    } else {
        push_cmd(st, C_OTHER);
    }
    return st->done;
}

/* Message bytes in DATA mode: unstuff dots, find the final "." line. Returns bytes used. */
static size_t data_bytes(struct smtp_state *st, const uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i < n && st->cmode == CM_DATA && !st->done) {
        switch (st->ds) {
        case DS_BOL:
            if (d[i] == '.') {
                st->ds = DS_DOT;
                i++;
            } else {
                st->ds = DS_MID;
            }
            break;
        case DS_DOT:
            if (d[i] == '\r') {
                st->ds = DS_DOT_CR;
                i++;
            } else if (d[i] == '\n') {
                i++;
                goto end;
            } else {
                st->ds = DS_MID; /* a stuffed dot: dropped (RFC 5321 §4.5.2) */
            }
            break;
        case DS_DOT_CR:
            if (d[i] == '\n') {
                i++;
                goto end;
            }
            msg_bytes(st, (const uint8_t *)"\r", 1);
            st->ds = DS_MID;
            break;
        default: {
            const uint8_t *nl = memchr(d + i, '\n', n - i);
            size_t k = nl ? (size_t)(nl - (d + i)) + 1 : n - i;
            msg_bytes(st, d + i, k);
            i += k;
            if (nl)
                st->ds = DS_BOL;
            break;
        }
        }
    }
    return i;
end:
    msg_end(st, false);
    st->cmode = CM_CMD;
    push_cmd(st, C_DATA_END);
    return i;
}

static size_t bdat_bytes(struct smtp_state *st, const uint8_t *d, size_t n)
{
    size_t k = (size_t)MM_MIN((uint64_t)n, st->bdat_left);
    if (k)
        msg_bytes(st, d, k);
    st->bdat_left -= k;
    if (st->bdat_left == 0) {
        if (st->bdat_last)
            msg_end(st, false);
        st->cmode = CM_CMD;
    }
    return k;
}

static void client_data(struct smtp_state *st, const uint8_t *data, size_t len)
{
    size_t i = 0;
    /* A "BDAT 0 LAST" ends its message with no bytes at all. */
    if (st->cmode == CM_BDAT && st->bdat_left == 0)
        bdat_bytes(st, data, 0);
    while (i < len && !st->done) {
        if (st->cmode == CM_DATA) {
            i += data_bytes(st, data + i, len - i);
        } else if (st->cmode == CM_BDAT) {
            i += bdat_bytes(st, data + i, len - i);
        } else {
            long r = app_linebuf_feed(st->s, &st->lb[0], tp_max_line(st->s), data + i, len - i,
                                      client_line, st);
            if (st->wipe_lb && st->lb[0].buf) {
                /* The secret line was copied to the front of the buffer; a partial line
                 * held after it starts there too, so wipe only past it. */
                explicit_bzero(st->lb[0].buf + st->lb[0].len, st->lb[0].cap - st->lb[0].len);
                st->wipe_lb = false;
            }
            if (r < 0) {
                stop(st);
                return;
            }
            i += (size_t)r;
            if (st->cmode == CM_BDAT && st->bdat_left == 0)
                bdat_bytes(st, data, 0);
        }
    }
}

/* ---------- server lines ---------- */

static void reply(struct smtp_state *st, uint16_t code)
{
    enum cmd c;
    if (!pop_cmd(st, &c)) {
        if (!st->greeted) {
            st->greeted = true;
            return;
        }
        if (!st->lost)
            app_anomaly(st->s, 1, "UNABLE_TO_MATCH_REPLY_WITH_REQUEST");
        return;
    }
    if (!st->greeted && code == 220 && c != C_STARTTLS) {
        /* The greeting arrived after pipelined client bytes: put the command back. */
        st->pend_head = (st->pend_head + st->pend_cap - 1) % st->pend_cap;
        st->pend_n++;
        st->greeted = true;
        return;
    }
    st->greeted = true;
    switch (c) {
    case C_DATA:
        if (code != 354) {
            app_anomaly(st->s, 1, "DATA_COMMAND_REJECTED");
            if (st->tx_open)
                st->tx.data_rejected = true;
            if (st->cmode == CM_DATA && st->ds == DS_BOL && st->tx.message_bytes == 0) {
                /* The client will not send the message: back to commands. */
                mime_free(st->mime);
                st->mime = NULL;
                st->cmode = CM_CMD;
            }
        }
        break;
    case C_BDAT:
        if (code >= 300 && st->tx_open)
            st->tx.data_rejected = true;
        break;
    case C_DATA_END:
    case C_BDAT_LAST:
        if (st->tx_open && st->msg_done) {
            st->tx.reply_code = code;
            if (c == C_BDAT_LAST && code >= 300)
                st->tx.data_rejected = true;
            tx_finish(st, 1);
        }
        break;
    case C_AUTH:
        auth_reply(st, code);
        break;
    case C_STARTTLS:
        if (code == 220) {
            app_switch_proto(st->s, APP_PROTO_TLS);
            st->done = true;
        } else {
            app_anomaly(st->s, 1, "TLS_REJECTED");
        }
        break;
    default:
        break;
    }
}

static int server_line(void *user, const uint8_t *l, size_t n, bool crlf, bool cut)
{
    struct smtp_state *st = user;
    (void)crlf;
    if (st->done)
        return 1;
    if (cut) {
        app_limit_hit(st->s);
        app_anomaly(st->s, 1, "MAX_REPLY_LINE_LEN_EXCEEDED");
    }
    if (n < 3 || l[0] < '0' || l[0] > '9' || l[1] < '0' || l[1] > '9' || l[2] < '0' ||
        l[2] > '9' || (n > 3 && l[3] != ' ' && l[3] != '-' && l[3] != '\t')) {
        if (n > 0)
            app_anomaly(st->s, 1, "INVALID_REPLY");
        return 0;
    }
    uint16_t code = (uint16_t)((l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0'));
    if (n > 3 && l[3] == '-') {
        st->ml_code = code; /* more lines follow */
        return 0;
    }
    st->ml_code = 0;
    reply(st, code);
    return st->done;
}

/* ---------- hooks ---------- */

static void *smtp_new(struct app_session *s)
{
    struct smtp_state *st = app_calloc(s, sizeof *st);
    if (st)
        st->s = s;
    return st;
}

static void smtp_free(struct app_session *s, void *p)
{
    struct smtp_state *st = p;
    if (!st)
        return;
    if (st->tx_open) {
        if (st->mime && !st->msg_done)
            msg_end(st, true);
        tx_finish(st, 0);
    }
    mime_free(st->mime);
    tp_sasl_free(s, &st->sasl);
    app_linebuf_free(s, &st->lb[0]);
    app_linebuf_free(s, &st->lb[1]);
    tp_free(s, &st->helo);
    tp_free(s, &st->mail_from);
    tp_free(s, &st->mail_params);
    tp_free(s, &st->rcpts);
    if (st->pend)
        app_free(s, st->pend, st->pend_cap);
    app_free(s, st, sizeof *st);
}

static void smtp_data(struct app_session *s, void *p, int dir, const uint8_t *data, size_t len)
{
    struct smtp_state *st = p;
    (void)s;
    if (!st || st->done)
        return;
    if (dir == 0) {
        client_data(st, data, len);
        return;
    }
    long r = app_linebuf_feed(st->s, &st->lb[1], tp_max_line(st->s), data, len, server_line, st);
    if (r < 0)
        stop(st);
}

static void smtp_gap(struct app_session *s, void *p, int dir, uint32_t len)
{
    struct smtp_state *st = p;
    (void)s;
    if (!st || st->done)
        return;
    if (st->tx_open)
        st->tx.gaps = true;
    if (dir == 0 && st->cmode == CM_DATA) {
        mime_gap(st->mime, 0, len);
        st->ds = DS_MID; /* we no longer know where lines start */
        return;
    }
    if (dir == 0 && st->cmode == CM_BDAT) {
        mime_gap(st->mime, 0, len);
        if (len < st->bdat_left) {
            st->bdat_left -= len;
            return;
        }
        st->bdat_left = 0;
        if (st->bdat_last)
            msg_end(st, false);
        st->cmode = CM_CMD;
        /* The rest of the gap held commands: skip to the next line. */
    }
    struct app_linebuf *lb = &st->lb[dir ? 1 : 0];
    app_linebuf_reset(lb);
    lb->skipping = true;
    st->pend_n = 0;
    st->lost = true;
    if (dir == 0 && st->cmode == CM_AUTH)
        auth_reset(st);
}

static void smtp_end(struct app_session *s, void *p, int dir)
{
    struct smtp_state *st = p;
    (void)s;
    if (!st || st->done || dir != 0)
        return;
    if (st->cmode == CM_DATA || st->cmode == CM_BDAT) {
        msg_end(st, true);
        st->cmode = CM_CMD;
        tx_finish(st, 0);
    }
}

const struct app_parser app_parser_smtp = {
    .proto = APP_PROTO_SMTP,
    .state_new = smtp_new,
    .state_free = smtp_free,
    .data = smtp_data,
    .gap = smtp_gap,
    .end = smtp_end,
};
