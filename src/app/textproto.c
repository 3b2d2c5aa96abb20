/*
 * Helpers shared by the text-based parsers; see textproto.h.
 */
#include "app/textproto.h"

/* ---------- buffers and words ---------- */

bool tp_grow(struct app_session *s, uint8_t **p, uint32_t *cap, size_t need, size_t first,
             size_t limit)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? (size_t)*cap * 2 : first;
    while (ncap < need)
        ncap *= 2;
    if (ncap > limit)
        ncap = limit;
    uint8_t *np = *p ? app_realloc(s, *p, *cap, ncap) : app_alloc(s, ncap);
    if (!np)
        return false;
    *p = np;
    *cap = (uint32_t)ncap;
    return true;
}

int tp_put(struct app_session *s, struct tp_buf *b, const void *d, size_t n, uint32_t max)
{
    int cut = 0;
    if (b->len >= max)
        return n ? 1 : 0;
    if (n > (size_t)(max - b->len)) {
        n = max - b->len;
        cut = 1;
    }
    if (n == 0)
        return cut;
    if (!tp_grow(s, &b->p, &b->cap, (size_t)b->len + n, 64, max))
        return -1;
    memcpy(b->p + b->len, d, n);
    b->len += (uint32_t)n;
    return cut;
}

void tp_free(struct app_session *s, struct tp_buf *b)
{
    if (b->p) {
        explicit_bzero(b->p, b->cap);
        app_free(s, b->p, b->cap);
    }
    b->p = NULL;
    b->len = b->cap = 0;
}

bool tp_ieq_n(const uint8_t *p, const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (tp_upper(p[i]) != tp_upper((uint8_t)w[i]))
            return false;
    return true;
}

bool tp_word(const uint8_t *p, size_t n, size_t *pos, const uint8_t **w, size_t *wl)
{
    size_t i = *pos;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    if (i >= n) {
        *pos = n;
        return false;
    }
    size_t st = i;
    while (i < n && p[i] != ' ' && p[i] != '\t')
        i++;
    *w = p + st;
    *wl = i - st;
    *pos = i;
    return true;
}

int tp_hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tp_upper(c);
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

uint32_t tp_max_line(const struct app_session *s)
{
    uint32_t m = app_cfg(s)->max_line_bytes;
    return m ? m : 1;
}

void *tp_queue_room(struct app_session *s, void *q, uint32_t n, uint32_t *cap, size_t elem,
                    bool *full)
{
    uint32_t maxq = app_cfg(s)->max_pending_tx;
    if (maxq == 0)
        maxq = 1;
    *full = n >= maxq;
    if (*full) {
        app_limit_hit(s);
        app_anomaly(s, 0, "TOO_MANY_TRANSACTIONS");
        return NULL;
    }
    if (n < *cap)
        return q;
    uint32_t ncap = *cap ? *cap * 2 : 4;
    if (ncap > maxq)
        ncap = maxq;
    void *nq = q ? app_realloc(s, q, *cap * elem, ncap * elem) : app_alloc(s, ncap * elem);
    if (nq)
        *cap = ncap;
    return nq;
}

/* ---------- line-driven parsers ---------- */

struct lines_ctx {
    tp_line_fn fn;
    void *st;
    int dir;
    struct app_linebuf *lb0;
};

static int lines_cb(void *user, const uint8_t *line, size_t len, bool crlf, bool cut)
{
    (void)crlf;
    struct lines_ctx *c = user;
    int rc = c->fn(c->st, c->dir, line, len, cut);
    /* A line split across chunks was assembled in lb[0]: the copy goes as soon as the line
     * is handled, not when the buffer is next reused. */
    if (c->dir == 0 && (rc & TP_LINE_WIPE))
        app_linebuf_wipe(c->lb0);
    return rc & TP_LINE_STOP;
}

long tp_lines_feed(struct app_session *s, struct app_linebuf lb[2], int dir,
                   const uint8_t *data, size_t len, tp_line_fn fn, void *st)
{
    struct lines_ctx c = {fn, st, dir, &lb[0]};
    return app_linebuf_feed(s, &lb[dir], tp_max_line(s), data, len, lines_cb, &c);
}

void tp_lines_end(struct app_linebuf lb[2], int dir, tp_line_fn fn, void *st)
{
    struct lines_ctx c = {fn, st, dir, &lb[0]};
    app_linebuf_flush(&lb[dir], lines_cb, &c);
    if (dir == 0)
        app_linebuf_wipe(&lb[0]);
}

/* ---------- base64 ---------- */

/*
 * Our own decoder rather than OpenSSL's: EVP_DecodeBlock takes only whole 4-character
 * quanta, reads '=' anywhere as a zero sextet and counts padding into its result, so it can
 * neither reject a '=' inside SASL data nor accept unpadded SASL responses (both needed by
 * the strict form below); EVP_DecodeUpdate stops at the first invalid character, while MIME
 * bodies must skip it (with an event) and go on after a padded quantum, and its context is
 * allocated outside app.memcap and not wiped, yet it would hold encoded passwords.
 */
int tp_b64_val(uint8_t c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

unsigned tp_b64_push(struct tp_b64 *d, unsigned v, uint8_t out[3])
{
    d->acc = (d->acc << 6 | v) & 0xffffff;
    if (++d->n < 4)
        return 0;
    out[0] = (uint8_t)(d->acc >> 16);
    out[1] = (uint8_t)(d->acc >> 8);
    out[2] = (uint8_t)d->acc;
    d->n = 0;
    d->acc = 0;
    return 3;
}

unsigned tp_b64_end(struct tp_b64 *d, uint8_t out[2])
{
    unsigned k = 0;
    if (d->n == 2) {
        out[k++] = (uint8_t)(d->acc >> 4);
    } else if (d->n == 3) {
        out[k++] = (uint8_t)(d->acc >> 10);
        out[k++] = (uint8_t)(d->acc >> 2);
    }
    d->n = 0;
    d->acc = 0;
    return k;
}

long tp_b64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    struct tp_b64 d = {0, 0};
    uint8_t q[3];
    size_t o = 0;
    while (n > 0 && in[n - 1] == '=')
        n--;
    for (size_t i = 0; i < n; i++) {
        int v = tp_b64_val(in[i]);
        if (v < 0)
            return -1;
        unsigned k = tp_b64_push(&d, (unsigned)v, q);
        if (k > cap - o)
            return -1;
        memcpy(out + o, q, k);
        o += k;
    }
    unsigned k = tp_b64_end(&d, q);
    if (k > cap - o)
        return -1;
    memcpy(out + o, q, k);
    explicit_bzero(q, sizeof q); /* SASL data: a password may pass through here */
    return (long)(o + k);
}

/* ---------- logins ---------- */

void tp_login(struct app_session *s, int dir, const char *mech, const uint8_t *user,
              size_t user_len, enum app_login_outcome o, const uint8_t *pw, size_t pw_len)
{
    struct app_login l;
    memset(&l, 0, sizeof l);
    l.mechanism = mech;
    l.user = user;
    l.user_len = user_len;
    l.outcome = o;
    app_login(s, dir, &l, pw, pw_len);
}

bool tp_cred_set(struct app_session *s, struct tp_cred *c, const uint8_t *user, size_t ul,
                 const uint8_t *pw, size_t pwl)
{
    c->len = (uint32_t)(ul + pwl);
    c->user_len = (uint32_t)ul;
    /* Never a zero-size allocation: an empty password is still handed to the checker. */
    c->p = app_alloc(s, c->len ? c->len : 1);
    if (!c->p) {
        c->len = c->user_len = 0;
        return false;
    }
    if (ul)
        memcpy(c->p, user, ul);
    if (pwl)
        memcpy(c->p + ul, pw, pwl);
    return true;
}

void tp_cred_free(struct app_session *s, struct tp_cred *c)
{
    if (c->p) {
        explicit_bzero(c->p, c->len ? c->len : 1);
        app_free(s, c->p, c->len ? c->len : 1);
    }
    c->p = NULL;
    c->len = c->user_len = 0;
}

void tp_cred_login(struct app_session *s, const struct tp_cred *c, const char *mech,
                   enum app_login_outcome o, bool with_pw)
{
    if (with_pw)
        tp_login(s, 1, mech, c->p, c->user_len, o, c->p + c->user_len, c->len - c->user_len);
    else
        tp_login(s, 1, mech, c->p, c->user_len, o, NULL, 0);
}

/* ---------- SASL ---------- */

/* Largest decoded client response taken (longer ones are invalid). */
#define TP_SASL_MAX_RESPONSE 2048

const char *tp_sasl_mech(const uint8_t *w, size_t wl, bool cram)
{
    if (tp_ieq(w, wl, "PLAIN"))
        return "PLAIN";
    if (tp_ieq(w, wl, "LOGIN"))
        return "LOGIN";
    if (cram && tp_ieq(w, wl, "CRAM-MD5"))
        return "CRAM-MD5";
    return NULL;
}

void tp_sasl_reset(struct tp_sasl *x)
{
    x->active = false;
    x->mech = NULL;
    x->step = 0;
    x->have_user = x->have_pw = false;
    tp_clear(&x->user, true);
    tp_clear(&x->pw, true);
}

void tp_sasl_begin(struct tp_sasl *x, const char *mech)
{
    tp_sasl_reset(x);
    x->active = true;
    x->mech = mech;
}

bool tp_sasl_done(const struct tp_sasl *x)
{
    if (!x->mech)
        return false;
    return x->step >= (strcmp(x->mech, "LOGIN") == 0 ? 2u : 1u);
}

/* Keep p[0..n) as the user or the password (replacing what was there). */
static bool sasl_keep(struct app_session *s, struct tp_buf *b, bool *have, const uint8_t *p,
                      size_t n, uint32_t max)
{
    tp_clear(b, true);
    *have = true;
    return tp_put(s, b, p, n, max) >= 0;
}

/* What a decoded response dec[0..n) carries, by mechanism and step. */
static enum tp_sasl_rc sasl_take(struct app_session *s, struct tp_sasl *x, const uint8_t *dec,
                                 size_t n, uint32_t max)
{
    bool ok = true;
    if (strcmp(x->mech, "PLAIN") == 0) {
        const uint8_t *z1 = memchr(dec, 0, n);
        const uint8_t *z2 = z1 ? memchr(z1 + 1, 0, n - (size_t)(z1 + 1 - dec)) : NULL;
        if (!z2)
            return TP_SASL_BAD;
        const uint8_t *u = z1 + 1;
        size_t ul = (size_t)(z2 - u);
        if (ul == 0 && x->authzid_user) {
            u = dec;
            ul = (size_t)(z1 - dec);
        }
        ok = sasl_keep(s, &x->user, &x->have_user, u, ul, max) &&
             sasl_keep(s, &x->pw, &x->have_pw, z2 + 1, n - (size_t)(z2 + 1 - dec), max);
    } else if (strcmp(x->mech, "LOGIN") == 0) {
        if (x->step == 0)
            ok = sasl_keep(s, &x->user, &x->have_user, dec, n, max);
        else if (x->step == 1)
            ok = sasl_keep(s, &x->pw, &x->have_pw, dec, n, max);
    } else {
        /* CRAM-MD5: the user is everything before the last space. */
        size_t sp = n;
        while (sp > 0 && dec[sp - 1] != ' ')
            sp--;
        if (sp > 0)
            ok = sasl_keep(s, &x->user, &x->have_user, dec, sp - 1, max);
    }
    return ok ? TP_SASL_TAKEN : TP_SASL_NOMEM;
}

enum tp_sasl_rc tp_sasl_response(struct app_session *s, struct tp_sasl *x, const uint8_t *line,
                                 size_t len, uint32_t max)
{
    if (len == 1 && line[0] == '*')
        return TP_SASL_CANCEL;
    if (!x->mech)
        return TP_SASL_IGNORED;
    uint8_t dec[TP_SASL_MAX_RESPONSE];
    long n = tp_b64_decode(line, len, dec, sizeof dec);
    enum tp_sasl_rc rc = n < 0 ? TP_SASL_BAD : sasl_take(s, x, dec, (size_t)n, max);
    explicit_bzero(dec, sizeof dec);
    x->step++;
    return rc;
}

bool tp_sasl_line(struct app_session *s, struct tp_sasl *x, const uint8_t *line, size_t len)
{
    switch (tp_sasl_response(s, x, line, len, tp_max_line(s))) {
    case TP_SASL_CANCEL:
        x->mech = NULL;
        return true;
    case TP_SASL_BAD:
        app_anomaly(s, 0, "INVALID_AUTH_DATA");
        return true;
    case TP_SASL_NOMEM:
        return false;
    default:
        return true;
    }
}

void tp_sasl_login(struct app_session *s, struct tp_sasl *x, enum app_login_outcome o,
                   const char *other_mech)
{
    if (x->mech) {
        /* A password seen but empty still goes to the checker (hence never NULL then). */
        const uint8_t *pw = x->have_pw ? (x->pw.p ? x->pw.p : (const uint8_t *)"") : NULL;
        tp_login(s, 1, x->mech, x->user.p, x->user.len, o, pw, x->have_pw ? x->pw.len : 0);
    } else if (other_mech) {
        tp_login(s, 1, other_mech, NULL, 0, o, NULL, 0);
    }
    tp_sasl_reset(x);
}
