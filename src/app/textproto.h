/*
 * Private helpers shared by the text-based parsers (SMTP, POP3, IMAP, FTP, HTTP, MIME): a
 * bounded byte buffer charged to app.memcap, case-insensitive word tests, a space tokenizer,
 * the one base64 decoder of the application layer, the command-queue growth of the
 * pipelining parsers, and the credential handling (USER/PASS copies, SASL PLAIN / LOGIN /
 * CRAM-MD5 exchanges, app_login calls). Code in textproto.c; only one-liners stay inline.
 *
 * Buffers that may have held a password are wiped (explicit_bzero) when cleared or freed.
 */
#ifndef MM_APP_TEXTPROTO_H
#define MM_APP_TEXTPROTO_H

#include "app/app_parser.h"
#include "app/linebuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---------- buffers and words ---------- */

/* A growable byte buffer that never holds more than the `max` given to tp_put. */
struct tp_buf {
    uint8_t *p;
    uint32_t len, cap; /* bytes held / allocated (cap is the exact app_alloc size) */
};

/*
 * Room for need bytes in the buffer *p of *cap bytes (NULL / 0 at first): the capacity
 * doubles from first and never passes limit (need <= limit). False when memory was refused
 * (buffer unchanged).
 */
bool tp_grow(struct app_session *s, uint8_t **p, uint32_t *cap, size_t need, size_t first,
             size_t limit);

/*
 * Append n bytes, keeping at most max bytes in all. Returns 0 when everything fit, 1 when
 * the input was cut at max (what fit is kept), -1 when memory was refused (b unchanged).
 */
int tp_put(struct app_session *s, struct tp_buf *b, const void *d, size_t n, uint32_t max);

/* Forget the contents (keep the memory); wipe when they may have been secret. */
static inline void tp_clear(struct tp_buf *b, bool wipe)
{
    if (wipe && b->p)
        explicit_bzero(b->p, b->cap);
    b->len = 0;
}

/* Wipe and free (the buffer may have held a password). */
void tp_free(struct app_session *s, struct tp_buf *b);

static inline uint8_t tp_upper(uint8_t c)
{
    return (c >= 'a' && c <= 'z') ? (uint8_t)(c - 32) : c;
}

/* p[0..n) equals w[0..n), ignoring ASCII case. */
bool tp_ieq_n(const uint8_t *p, const char *w, size_t n);

/* p[0..n) equals the literal w, ignoring ASCII case. Inline so that strlen of a literal is
 * folded at compile time and most calls end at the length test (headers are compared
 * against many names). */
static inline bool tp_ieq(const uint8_t *p, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n == wl && tp_ieq_n(p, w, wl);
}

/* p[0..n) starts with the literal w, ignoring ASCII case. */
static inline bool tp_iprefix(const uint8_t *p, size_t n, const char *w)
{
    size_t wl = strlen(w);
    return n >= wl && tp_ieq_n(p, w, wl);
}

/*
 * Next word of p[*pos..n) separated by spaces or tabs: sets *w and *wl, advances *pos past it.
 * False at the end of the line.
 */
bool tp_word(const uint8_t *p, size_t n, size_t *pos, const uint8_t **w, size_t *wl);

/* Value of a hexadecimal digit (either case), -1 for anything else. */
int tp_hexval(uint8_t c);

/* app.max_line_bytes, at least 1 (the line splitter's limit and the field bound). */
uint32_t tp_max_line(const struct app_session *s);

/*
 * Room for one more element (elem bytes each) in the queue q of n pending commands (*cap
 * elements allocated), bounded by app.max_pending_tx; the queue grows by doubling. Returns
 * the queue (it may have moved), or NULL: *full when it is at the limit (limit counted,
 * anomaly TOO_MANY_TRANSACTIONS), else memory was refused (q unchanged; the caller stops).
 */
void *tp_queue_room(struct app_session *s, void *q, uint32_t n, uint32_t *cap, size_t elem,
                    bool *full);

/* ---------- line-driven command/reply parsers (FTP, POP3, IMAP) ---------- */

/* What a parser's line callback returns: bits. */
enum {
    TP_LINE_STOP = 1, /* stop splitting (parser stopped, protocol switch, literal follows) */
    TP_LINE_WIPE = 2, /* the client line may have held a password: wipe its copy in lb[0] */
};

/* One line of direction dir for parser state st (line: see app_line_cb); TP_LINE_* bits. */
typedef int (*tp_line_fn)(void *st, int dir, const uint8_t *line, size_t len, bool cut);

/* app_linebuf_feed on lb[dir] (limit app.max_line_bytes) with fn for each line; returns
 * what app_linebuf_feed returns (-1: memory refused, the caller stops). */
long tp_lines_feed(struct app_session *s, struct app_linebuf lb[2], int dir,
                   const uint8_t *data, size_t len, tp_line_fn fn, void *st);

/* Direction dir ended: an unterminated last line still counts; lb[0] is wiped after it. */
void tp_lines_end(struct app_linebuf lb[2], int dir, tp_line_fn fn, void *st);

/* ---------- base64 (RFC 4648 §4) ---------- */

/* Value of a base64 alphabet character, -1 for anything else ('=' included). */
int tp_b64_val(uint8_t c);

/* Streaming decoder state: the characters of the 4-character quantum under way. */
struct tp_b64 {
    uint32_t acc;
    uint8_t n; /* characters held, 0..3 */
};

/* Add the value v (0..63) of one character. Returns 3 with out[0..3) set when it completes a
 * quantum, else 0. */
unsigned tp_b64_push(struct tp_b64 *d, unsigned v, uint8_t out[3]);

/* End of the data or padding: the bytes of a partial quantum (0, 1 or 2) into out; the state
 * is reset. A lone character (n == 1) gives no byte: the caller may call it invalid first. */
unsigned tp_b64_end(struct tp_b64 *d, uint8_t out[2]);

/*
 * Strict base64 of in[0..n) into out (cap bytes): every character from the alphabet, padding
 * optional and only at the end. Returns the decoded length, or -1 on an invalid character or
 * when out is too small.
 */
long tp_b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);

/* ---------- logins ---------- */

/* app_login() with a record built from the arguments (pw NULL: no password to check). */
void tp_login(struct app_session *s, int dir, const char *mech, const uint8_t *user,
              size_t user_len, enum app_login_outcome o, const uint8_t *pw, size_t pw_len);

/* A user name and a password in one exact allocation (USER/PASS of FTP and POP3, APOP),
 * wiped when freed. */
struct tp_cred {
    uint8_t *p;
    uint32_t len, user_len;
};

/* Copy user and password (either may be empty); false when memory was refused. */
bool tp_cred_set(struct app_session *s, struct tp_cred *c, const uint8_t *user, size_t ul,
                 const uint8_t *pw, size_t pwl);

void tp_cred_free(struct app_session *s, struct tp_cred *c);

/* The login of c (from the server's side), with its password when with_pw. */
void tp_cred_login(struct app_session *s, const struct tp_cred *c, const char *mech,
                   enum app_login_outcome o, bool with_pw);

/*
 * A SASL exchange (SMTP AUTH, POP3 AUTH, IMAP AUTHENTICATE): the user and password that the
 * client's base64 responses carry, held until the server's final answer and wiped then.
 * PLAIN: one response "authzid NUL authcid NUL passwd" (RFC 4616); LOGIN: the user, then the
 * password; CRAM-MD5: "user SP digest" (no password). Other mechanisms: the name only.
 */
struct tp_sasl {
    bool active;          /* from the AUTH command to the server's final answer */
    const char *mech;     /* "PLAIN", "LOGIN", "CRAM-MD5" (static), NULL: not followed */
    uint32_t step;        /* client responses taken */
    bool authzid_user;    /* PLAIN without authcid: the authzid names the user (SMTP) */
    struct tp_buf user, pw;
    bool have_user, have_pw;
};

/* The mechanism names followed ("PLAIN", "LOGIN", with cram also "CRAM-MD5"), else NULL. */
const char *tp_sasl_mech(const uint8_t *w, size_t wl, bool cram);

/* Forget (and wipe) everything: no exchange under way. */
void tp_sasl_reset(struct tp_sasl *x);

/* A new exchange for mech (from tp_sasl_mech; NULL: name only). */
void tp_sasl_begin(struct tp_sasl *x, const char *mech);

/* All the responses the mechanism needs were taken (false for mechanisms not followed). */
bool tp_sasl_done(const struct tp_sasl *x);

/* "=" stands for an empty initial response (RFC 4954 §4, 5034 §4, 4959 §3). */
static inline bool tp_sasl_empty_ir(const uint8_t *p, size_t n)
{
    return n == 1 && p[0] == '=';
}

enum tp_sasl_rc {
    TP_SASL_TAKEN = 0, /* decoded (and kept, if it carries a user or password) */
    TP_SASL_IGNORED,   /* mechanism not followed (or the credentials were lost) */
    TP_SASL_CANCEL,    /* "*": the client gives up (the caller decides what remains) */
    TP_SASL_BAD,       /* not base64, or PLAIN without its two NULs */
    TP_SASL_NOMEM,     /* memory refused: the caller stops */
};

/*
 * One client response line[0..len) (base64, or "*"). User and password are kept up to max
 * bytes each; the decoded bytes are wiped from the stack before returning. Every response
 * of a followed mechanism that is not "*" counts as a step, invalid or not. A PLAIN response
 * replaces the credentials of an earlier one; LOGIN responses after the password are only
 * checked.
 */
enum tp_sasl_rc tp_sasl_response(struct app_session *s, struct tp_sasl *x, const uint8_t *line,
                                 size_t len, uint32_t max);

/* POP3 / IMAP: tp_sasl_response (fields up to app.max_line_bytes) where "*" leaves only the
 * mechanism's name (logged so when the server answers) and invalid data is reported as
 * INVALID_AUTH_DATA. False when memory was refused (the caller stops). */
bool tp_sasl_line(struct app_session *s, struct tp_sasl *x, const uint8_t *line, size_t len);

/* The login decided by the server's answer (dir 1): mech, user, password when seen; then
 * reset. other_mech: the record's mechanism for a mechanism not followed (NULL: none). */
void tp_sasl_login(struct app_session *s, struct tp_sasl *x, enum app_login_outcome o,
                   const char *other_mech);

static inline void tp_sasl_free(struct app_session *s, struct tp_sasl *x)
{
    tp_free(s, &x->user);
    tp_free(s, &x->pw);
}

#endif
