/*
 * Internet message / MIME parser (see mime.h): RFC 5322 header fields with unfolding,
 * RFC 2045 Content-Type / Content-Transfer-Encoding, RFC 2046 multipart bodies, RFC 2183
 * Content-Disposition, RFC 2231 parameter continuations and charsets, RFC 2047 encoded
 * words. Fed in chunks of any size; keeps one line at a time (app.max_line_bytes) and the
 * header field being unfolded (app.mime_max_header_bytes).
 *
 *   message   = header-block CRLF body
 *   header    = field-name ":" value *(CRLF WSP continuation)
 *   multipart = preamble *( CRLF "--" boundary [WSP] CRLF part ) CRLF "--" boundary "--"
 *               epilogue                      ; part = header-block CRLF body
 *
 * The CRLF in front of a boundary line belongs to the boundary (RFC 2046 §5.1.1), so a body
 * line's own line end is held back until the next line is known not to be a boundary. Body
 * lines longer than max_line_bytes are passed through in pieces (they cannot be boundaries),
 * so long binary lines lose nothing; long header lines are cut (MIME_EV_LONG_LINE).
 *
 * Not done: body MD5, URL extraction, "Received" lists, message/rfc822 parts parsed as
 * nested messages (they are parts like any other), charsets other than UTF-8, US-ASCII and
 * ISO-8859-1 (kept as raw bytes), removal of trailing whitespace in quoted-printable lines.
 */
#include "app/mime.h"

#include "app/app_parser.h"
#include "app/file.h"
#include "app/textproto.h"
#include "core/mm.h"

#include <string.h>

#define BOUNDARY_MAX 128 /* RFC 2046 allows 70; a longer boundary is taken up to this */
#define CTYPE_MAX 128
#define RFC2231_SECTIONS 32
#define OUT_CHUNK 1024

enum mime_state { ST_HEADER = 0, ST_BODY, ST_SKIP };
enum mime_enc { ENC_IDENTITY = 0, ENC_BASE64, ENC_QP };

struct mime_level {
    uint8_t bnd[BOUNDARY_MAX];
    uint32_t blen;
};

/* A string owned by the parser (the email summary): one allocation each. */
struct astr {
    struct astr *next;
    size_t size;
    char data[];
};

struct mime_parser {
    struct app_session *s;
    const struct app_config *cfg;
    enum app_proto proto;
    uint64_t tx_id;
    const struct smtp_tx *smtp;
    int dir;
    bool dead;  /* memory refused: ignore everything */
    bool ended;
    bool truncated;
    bool body_seen;
    bool top_header_done;

    struct mime_email email;
    struct astr *strs;

    /* Line assembly. */
    uint8_t *line;
    uint32_t line_len, line_cap;
    bool line_long; /* the current line passed max_line_bytes (or followed a gap) */

    enum mime_state st;
    bool top; /* the header block being read is the message's own */

    /* Header field being unfolded. */
    uint8_t *fld;
    uint32_t fld_len, fld_cap;
    uint32_t hdr_bytes; /* bytes of the current header block */
    bool hdr_over;

    /* The part whose header is being read or whose body is being walked. */
    char ctype[CTYPE_MAX];
    uint8_t pbnd[BOUNDARY_MAX];
    uint32_t pbnd_len;
    enum mime_enc enc;
    bool attachment;
    uint8_t name[APP_FILE_NAME_MAX];
    size_t name_len;
    int name_prio;

    /* Multipart stack. */
    struct mime_level *lv;
    uint32_t depth, lv_cap;

    /* Body of a leaf part: a file's bytes go to fb; a text part's (text_part) to text. */
    struct app_file_builder *fb;
    bool text_part;
    bool text_refused;   /* its memory was refused: no more text (what is kept is a prefix) */
    uint8_t *text;       /* the message's text kept so far (email.text); app_alloc'd */
    uint32_t text_cap;
    uint8_t pend_eol[2];
    uint8_t pend_len;
    struct tp_b64 b64;
    bool b64_pad;
    uint8_t qp_st, qp_hex;
    bool parts_over;
};

/* ---------- small helpers ---------- */

static uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static bool is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
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

static const char *event_name(uint32_t ev)
{
    switch (ev) {
    case MIME_EV_DEPTH_LIMIT:
        return "MIME_DEPTH_LIMIT";
    case MIME_EV_PARTS_LIMIT:
        return "MIME_PARTS_LIMIT";
    case MIME_EV_HEADER_LIMIT:
        return "MIME_LONG_HEADER_VALUE";
    case MIME_EV_BAD_BASE64:
        return "MIME_INVALID_BASE64";
    case MIME_EV_BAD_QP:
        return "MIME_INVALID_QP";
    case MIME_EV_NO_END_BOUNDARY:
        return "MIME_MALFORMED_MSG";
    default:
        return "MIME_LONG_LINE";
    }
}

/* Each event is reported once per message (a hostile message could repeat it endlessly). */
static void event(struct mime_parser *m, uint32_t ev)
{
    if (m->email.events & ev)
        return;
    m->email.events |= ev;
    if (ev & (MIME_EV_DEPTH_LIMIT | MIME_EV_PARTS_LIMIT | MIME_EV_HEADER_LIMIT |
              MIME_EV_LONG_LINE))
        app_limit_hit(m->s);
    app_anomaly(m->s, m->dir, event_name(ev));
}

static void die(struct mime_parser *m)
{
    m->dead = true;
    app_file_discard(m->fb);
    m->fb = NULL;
    app_stop(m->s);
}

/* A NUL-terminated copy owned by the parser, or NULL when memory is refused. */
static char *astr_new(struct mime_parser *m, size_t cap)
{
    struct astr *a = app_alloc(m->s, sizeof *a + cap + 1);
    if (!a) {
        die(m);
        return NULL;
    }
    a->size = sizeof *a + cap + 1;
    a->next = m->strs;
    m->strs = a;
    a->data[0] = '\0';
    return a->data;
}

static char *astr_dup(struct mime_parser *m, const uint8_t *p, size_t n)
{
    char *d = astr_new(m, n);
    if (d) {
        memcpy(d, p, n);
        d[n] = '\0';
    }
    return d;
}

/* ---------- charsets and RFC 2047 ---------- */

enum cs { CS_RAW = 0, CS_UTF8, CS_LATIN1 };

static enum cs charset_kind(const uint8_t *p, size_t n)
{
    /* RFC 2231 §5: "charset*language" in encoded words. */
    const uint8_t *star = memchr(p, '*', n);
    if (star)
        n = (size_t)(star - p);
    if (tp_ieq(p, n, "utf-8") || tp_ieq(p, n, "utf8"))
        return CS_UTF8;
    if (tp_ieq(p, n, "iso-8859-1") || tp_ieq(p, n, "us-ascii") || tp_ieq(p, n, "latin1") ||
        tp_ieq(p, n, "iso8859-1") || tp_ieq(p, n, "ascii"))
        return CS_LATIN1;
    return CS_RAW;
}

/* Append in[0..n) converted from charset cs to UTF-8; out has cap bytes, *o advances.
 * ISO-8859-1 bytes map 1:1 to U+0000..U+00FF; US-ASCII is a subset of it. */
static void put_cs(enum cs cs, const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *o)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = in[i];
        if (cs == CS_LATIN1 && c >= 0x80) {
            if (*o + 2 > cap)
                return;
            out[(*o)++] = (uint8_t)(0xc0 | c >> 6);
            out[(*o)++] = (uint8_t)(0x80 | (c & 0x3f));
        } else {
            if (*o + 1 > cap)
                return;
            out[(*o)++] = c;
        }
    }
}

/*
 * One encoded word "=?charset?B|Q?text?=" at in[0..n): true with *used bytes consumed and
 * the decoded text appended to out. Encoded text is short (75 bytes by RFC 2047 §2), but
 * hostile words may be long: decoding goes straight to out, bounded by cap.
 */
static bool encoded_word(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *o,
                         size_t *used)
{
    if (n < 8 || in[0] != '=' || in[1] != '?')
        return false;
    size_t i = 2;
    while (i < n && in[i] != '?' && !is_ws(in[i]))
        i++;
    if (i + 3 >= n || in[i] != '?' || in[i + 2] != '?')
        return false;
    const uint8_t *cs_p = in + 2;
    size_t cs_n = i - 2;
    uint8_t encc = lower(in[i + 1]);
    if (encc != 'b' && encc != 'q')
        return false;
    size_t t0 = i + 3, t1 = t0;
    while (t1 + 1 < n && !(in[t1] == '?' && in[t1 + 1] == '='))
        t1++;
    if (t1 + 1 >= n)
        return false;
    enum cs cs = charset_kind(cs_p, cs_n);
    uint8_t tmp[256];
    size_t k = 0;
    if (encc == 'b') {
        struct tp_b64 d = {0, 0};
        uint8_t q[3];
        for (size_t j = t0; j <= t1; j++) {
            unsigned nq;
            if (j == t1) {
                nq = tp_b64_end(&d, q); /* the bytes of a last, unpadded quantum */
            } else {
                int v = tp_b64_val(in[j]);
                if (v < 0)
                    continue; /* padding, stray characters */
                nq = tp_b64_push(&d, (unsigned)v, q);
            }
            for (unsigned x = 0; x < nq; x++) {
                tmp[k++] = q[x];
                if (k == sizeof tmp) {
                    put_cs(cs, tmp, k, out, cap, o);
                    k = 0;
                }
            }
        }
    } else {
        for (size_t j = t0; j < t1; j++) {
            uint8_t c = in[j];
            if (c == '_') {
                c = ' ';
            } else if (c == '=' && j + 2 < t1 && tp_hexval(in[j + 1]) >= 0 &&
                       tp_hexval(in[j + 2]) >= 0) {
                c = (uint8_t)(tp_hexval(in[j + 1]) << 4 | tp_hexval(in[j + 2]));
                j += 2;
            }
            tmp[k++] = c;
            if (k == sizeof tmp) {
                put_cs(cs, tmp, k, out, cap, o);
                k = 0;
            }
        }
    }
    put_cs(cs, tmp, k, out, cap, o);
    *used = t1 + 2;
    return true;
}

/* Decode the RFC 2047 encoded words in in[0..n) into out (cap bytes); returns the length.
 * Whitespace between two adjacent encoded words is dropped (§6.2). */
static size_t decode_words(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t o = 0, i = 0;
    bool last_word = false;
    while (i < n) {
        size_t used;
        if (in[i] == '=' && encoded_word(in + i, n - i, out, cap, &o, &used)) {
            i += used;
            last_word = true;
            continue;
        }
        if (last_word && is_ws(in[i])) {
            size_t j = i;
            while (j < n && is_ws(in[j]))
                j++;
            size_t used2;
            size_t save = o;
            if (j < n && in[j] == '=' && encoded_word(in + j, n - j, out, cap, &o, &used2)) {
                i = j + used2;
                continue;
            }
            o = save;
        }
        last_word = false;
        if (o < cap)
            out[o++] = in[i];
        i++;
    }
    return o;
}

/* A decoded, NUL-terminated copy of a header value (UTF-8 from encoded words). */
static const char *decoded_str(struct mime_parser *m, const uint8_t *p, size_t n)
{
    trim(&p, &n);
    size_t cap = n * 2; /* ISO-8859-1 may double; base64 and Q only shrink */
    char *d = astr_new(m, cap);
    if (!d)
        return NULL;
    size_t len = decode_words(p, n, (uint8_t *)d, cap);
    d[len] = '\0';
    return d;
}

/* ---------- header fields ---------- */

/* Split an address list at commas outside quotes, <...> and comments. */
static void addr_list(struct mime_parser *m, const uint8_t *p, size_t n, const char **arr,
                      uint32_t *count)
{
    size_t st = 0;
    int angle = 0, paren = 0;
    bool quote = false;
    for (size_t i = 0; i <= n; i++) {
        uint8_t c = i < n ? p[i] : ',';
        if (quote) {
            if (c == '\\' && i + 1 < n)
                i++;
            else if (c == '"')
                quote = false;
            if (i < n)
                continue;
        }
        if (c == '"')
            quote = true;
        else if (c == '<')
            angle++;
        else if (c == '>' && angle > 0)
            angle--;
        else if (c == '(')
            paren++;
        else if (c == ')' && paren > 0)
            paren--;
        else if (c == ',' && ((angle == 0 && paren == 0) || i == n)) {
            const uint8_t *a = p + st;
            size_t an = i - st;
            trim(&a, &an);
            st = i + 1;
            if (an == 0)
                continue;
            if (*count >= MIME_MAX_ADDRS)
                return;
            const char *d = decoded_str(m, a, an);
            if (!d)
                return;
            arr[(*count)++] = d;
        }
    }
}

/* Unquote a quoted-string in place (RFC 5322 §3.2.4): returns the new length. */
static size_t unquote(uint8_t *p, size_t n)
{
    if (n < 1 || p[0] != '"')
        return n;
    size_t o = 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] == '\\' && i + 1 < n) {
            p[o++] = p[++i];
            continue;
        }
        if (p[i] == '"')
            break;
        p[o++] = p[i];
    }
    return o;
}

struct section {
    uint32_t idx;
    bool enc;
    const uint8_t *v;
    size_t n;
};

/* RFC 2231 parameter family ("filename*0*=utf-8''a%20b; filename*1=c") being collected. */
struct pfam {
    struct section sec[RFC2231_SECTIONS];
    uint32_t n;
    bool plain_seen;
    const uint8_t *plain;
    size_t plain_n;
};

static void pfam_add(struct pfam *f, const uint8_t *suffix, size_t sn, uint8_t *v, size_t vn)
{
    /* suffix: what follows the base name: "", "*", "*N", "*N*". */
    if (sn == 0) {
        if (!f->plain_seen) {
            f->plain_seen = true;
            f->plain = v;
            f->plain_n = unquote(v, vn);
        }
        return;
    }
    if (suffix[0] != '*' || f->n >= RFC2231_SECTIONS)
        return;
    size_t i = 1;
    uint32_t idx = 0;
    bool digits = false;
    while (i < sn && suffix[i] >= '0' && suffix[i] <= '9') {
        if (idx < 10000)
            idx = idx * 10 + (uint32_t)(suffix[i] - '0');
        digits = true;
        i++;
    }
    bool enc;
    if (!digits && sn == 1) {
        enc = true;
    } else if (digits && i == sn) {
        enc = false;
    } else if (digits && i + 1 == sn && suffix[i] == '*') {
        enc = true;
    } else {
        return;
    }
    struct section *s = &f->sec[f->n++];
    s->idx = idx;
    s->enc = enc;
    s->v = v;
    s->n = enc ? vn : unquote(v, vn);
}

/* Assemble a collected family into out (cap bytes); returns the length, 0 when none. */
static size_t pfam_value(struct pfam *f, uint8_t *out, size_t cap, bool *found)
{
    size_t o = 0;
    *found = false;
    if (f->n > 0) {
        /* Sections may come in any order (RFC 2231 §3): insertion sort by index. */
        for (uint32_t i = 1; i < f->n; i++) {
            struct section t = f->sec[i];
            uint32_t j = i;
            while (j > 0 && f->sec[j - 1].idx > t.idx) {
                f->sec[j] = f->sec[j - 1];
                j--;
            }
            f->sec[j] = t;
        }
        enum cs cs = CS_RAW;
        for (uint32_t i = 0; i < f->n; i++) {
            const uint8_t *v = f->sec[i].v;
            size_t n = f->sec[i].n;
            if (i > 0 && f->sec[i].idx == f->sec[i - 1].idx)
                continue; /* duplicate section */
            if (f->sec[i].enc && i == 0) {
                /* charset'language'value */
                const uint8_t *q1 = memchr(v, '\'', n);
                const uint8_t *q2 = q1 ? memchr(q1 + 1, '\'', n - (size_t)(q1 + 1 - v)) : NULL;
                if (q1 && q2) {
                    cs = charset_kind(v, (size_t)(q1 - v));
                    n -= (size_t)(q2 + 1 - v);
                    v = q2 + 1;
                }
            }
            for (size_t j = 0; j < n; j++) {
                uint8_t c = v[j];
                if (f->sec[i].enc && c == '%' && j + 2 < n && tp_hexval(v[j + 1]) >= 0 &&
                    tp_hexval(v[j + 2]) >= 0) {
                    c = (uint8_t)(tp_hexval(v[j + 1]) << 4 | tp_hexval(v[j + 2]));
                    j += 2;
                }
                put_cs(cs, &c, 1, out, cap, &o);
            }
        }
        *found = true;
        return o;
    }
    if (f->plain_seen) {
        *found = true;
        /* Non-standard but common: RFC 2047 words inside a quoted filename. */
        return decode_words(f->plain, f->plain_n, out, cap);
    }
    return 0;
}

static void set_name(struct mime_parser *m, struct pfam *f, int prio_ext, int prio_plain)
{
    uint8_t tmp[APP_FILE_NAME_MAX];
    bool found;
    int prio = f->n > 0 ? prio_ext : prio_plain;
    if (prio <= m->name_prio)
        return;
    size_t n = pfam_value(f, tmp, sizeof tmp, &found);
    if (!found)
        return;
    memcpy(m->name, tmp, n);
    m->name_len = n;
    m->name_prio = prio;
}

/*
 * Walk "; attr=value" parameters of a Content-Type or Content-Disposition value (p points
 * after the type token). Values are unquoted in place (the field buffer is ours).
 */
static void params(struct mime_parser *m, uint8_t *p, size_t n, bool is_ctype)
{
    struct pfam fam;
    memset(&fam, 0, sizeof fam);
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ';' || is_ws(p[i])))
            i++;
        size_t a0 = i;
        while (i < n && p[i] != '=' && p[i] != ';' && !is_ws(p[i]))
            i++;
        size_t a1 = i;
        while (i < n && is_ws(p[i]))
            i++;
        if (i >= n || p[i] != '=') {
            if (i < n && p[i] != ';')
                i++;
            continue;
        }
        i++;
        while (i < n && is_ws(p[i]))
            i++;
        size_t v0 = i;
        if (i < n && p[i] == '"') {
            i++;
            while (i < n && p[i] != '"') {
                if (p[i] == '\\')
                    i++;
                i++;
            }
            if (i < n)
                i++;
            if (i > n)
                i = n;
        } else {
            while (i < n && p[i] != ';')
                i++;
        }
        size_t v1 = i;
        while (v1 > v0 && is_ws(p[v1 - 1]))
            v1--;
        const uint8_t *a = p + a0;
        size_t an = a1 - a0;
        uint8_t *v = p + v0;
        size_t vn = v1 - v0;
        const char *base = is_ctype ? "name" : "filename";
        size_t bl = strlen(base);
        if (tp_iprefix(a, an, base) && (an == bl || a[bl] == '*')) {
            pfam_add(&fam, a + bl, an - bl, v, vn);
        } else if (is_ctype && tp_ieq(a, an, "boundary")) {
            vn = unquote(v, vn);
            m->pbnd_len = (uint32_t)MM_MIN(vn, (size_t)BOUNDARY_MAX);
            memcpy(m->pbnd, v, m->pbnd_len);
        }
    }
    if (is_ctype)
        set_name(m, &fam, 2, 1);
    else
        set_name(m, &fam, 4, 3);
}

/* The first token of a structured value ("multipart/mixed", "attachment"), lower-cased. */
static size_t type_token(const uint8_t *p, size_t n, char *out, size_t cap, size_t *end)
{
    size_t i = 0, o = 0;
    while (i < n && is_ws(p[i]))
        i++;
    while (i < n && p[i] != ';' && !is_ws(p[i])) {
        if (o + 1 < cap)
            out[o++] = (char)lower(p[i]);
        i++;
    }
    out[o] = '\0';
    *end = i;
    return o;
}

/* One complete (unfolded) header field in m->fld. */
static void field_done(struct mime_parser *m)
{
    uint8_t *f = m->fld;
    size_t n = m->fld_len;
    m->fld_len = 0;
    if (n == 0)
        return;
    uint8_t *colon = memchr(f, ':', n);
    if (!colon)
        return;
    const uint8_t *name = f;
    size_t nn = (size_t)(colon - f);
    while (nn && is_ws(name[nn - 1]))
        nn--;
    uint8_t *v = colon + 1;
    size_t vn = n - (size_t)(v - f);
    struct mime_email *e = &m->email;

    if (tp_ieq(name, nn, "content-type")) {
        size_t end;
        type_token(v, vn, m->ctype, sizeof m->ctype, &end);
        params(m, v + end, vn - end, true);
        if (m->top && !e->content_type)
            e->content_type = astr_dup(m, (const uint8_t *)m->ctype, strlen(m->ctype));
    } else if (tp_ieq(name, nn, "content-transfer-encoding")) {
        char tok[32];
        size_t end;
        type_token(v, vn, tok, sizeof tok, &end);
        m->enc = strcmp(tok, "base64") == 0             ? ENC_BASE64
                 : strcmp(tok, "quoted-printable") == 0 ? ENC_QP
                                                        : ENC_IDENTITY;
    } else if (tp_ieq(name, nn, "content-disposition")) {
        char tok[32];
        size_t end;
        type_token(v, vn, tok, sizeof tok, &end);
        m->attachment = strcmp(tok, "attachment") == 0;
        params(m, v + end, vn - end, false);
    } else if (m->top) {
        if (tp_ieq(name, nn, "from") && !e->from)
            e->from = decoded_str(m, v, vn);
        else if (tp_ieq(name, nn, "to"))
            addr_list(m, v, vn, e->to, &e->n_to);
        else if (tp_ieq(name, nn, "cc"))
            addr_list(m, v, vn, e->cc, &e->n_cc);
        else if (tp_ieq(name, nn, "subject") && !e->subject)
            e->subject = decoded_str(m, v, vn);
        else if (tp_ieq(name, nn, "date") && !e->date)
            e->date = decoded_str(m, v, vn);
        else if (tp_ieq(name, nn, "message-id") && !e->message_id)
            e->message_id = decoded_str(m, v, vn);
        else if (tp_ieq(name, nn, "x-mailer") && !e->x_mailer)
            e->x_mailer = decoded_str(m, v, vn);
    }
}

/* Append to the field being unfolded, within mime_max_header_bytes. */
static void field_put(struct mime_parser *m, const uint8_t *p, size_t n)
{
    uint32_t max = m->cfg->mime_max_header_bytes;
    if (m->hdr_over)
        return;
    if (n > (size_t)(max - m->fld_len)) {
        event(m, MIME_EV_HEADER_LIMIT);
        m->hdr_over = true;
        n = max - m->fld_len;
    }
    if (n == 0)
        return;
    if (!tp_grow(m->s, &m->fld, &m->fld_cap, (size_t)m->fld_len + n, 256, max)) {
        die(m);
        return;
    }
    memcpy(m->fld + m->fld_len, p, n);
    m->fld_len += (uint32_t)n;
}

/* ---------- bodies ---------- */

/* Decoded text of a text part: kept up to mime_text_keep_bytes for the whole message. When
 * the memory is refused, or the room is used up, the rest of the text is not decoded. */
static void text_keep(struct mime_parser *m, const uint8_t *p, size_t n)
{
    uint32_t keep = m->cfg->mime_text_keep_bytes;
    if (!m->text) {
        m->text = app_alloc(m->s, keep);
        if (!m->text) {
            m->text_part = false;
            m->text_refused = true;
            return;
        }
        m->text_cap = keep;
        m->email.text = m->text;
    }
    size_t take = MM_MIN(n, (size_t)(m->text_cap - m->email.text_len));
    memcpy(m->text + m->email.text_len, p, take);
    m->email.text_len += (uint32_t)take;
    if (m->email.text_len == m->text_cap)
        m->text_part = false; /* full: nothing more to decode */
}

/* Decoded bytes of the current leaf part. */
static void part_write(struct mime_parser *m, const uint8_t *p, size_t n)
{
    if (m->fb)
        app_file_write(m->fb, p, n);
    else if (m->text_part)
        text_keep(m, p, n);
}

static void out_put(struct mime_parser *m, uint8_t *buf, size_t *k, uint8_t c)
{
    buf[(*k)++] = c;
    if (*k == OUT_CHUNK) {
        part_write(m, buf, *k);
        *k = 0;
    }
}

/* The base64 quantum under way ends (padding, end of the part): its bytes out. */
static void b64_flush_end(struct mime_parser *m, uint8_t *buf, size_t *k)
{
    if (m->b64.n == 1)
        event(m, MIME_EV_BAD_BASE64); /* six bits: no byte */
    uint8_t q[2];
    unsigned nq = tp_b64_end(&m->b64, q);
    for (unsigned i = 0; i < nq; i++)
        out_put(m, buf, k, q[i]);
}

/* QP decoder states (RFC 2045 §6.7), kept across lines and chunks. */
enum { QP_TEXT = 0, QP_EQ, QP_EQ1, QP_EQ_CR, QP_EQ_WS };

/* Encoded body bytes of the current leaf part: decode and hand to the file, if any. */
static void body_data(struct mime_parser *m, const uint8_t *p, size_t n)
{
    if (n == 0 || (!m->fb && !m->text_part))
        return;
    if (m->enc == ENC_IDENTITY) {
        part_write(m, p, n);
        return;
    }
    uint8_t buf[OUT_CHUNK];
    size_t k = 0;
    if (m->enc == ENC_BASE64) {
        for (size_t i = 0; i < n; i++) {
            uint8_t c = p[i];
            int v = tp_b64_val(c);
            if (v >= 0) {
                m->b64_pad = false;
                uint8_t q[3];
                unsigned nq = tp_b64_push(&m->b64, (unsigned)v, q);
                for (unsigned j = 0; j < nq; j++)
                    out_put(m, buf, &k, q[j]);
            } else if (c == '=') {
                if (m->b64.n >= 2) {
                    b64_flush_end(m, buf, &k);
                    m->b64_pad = true;
                } else if (!(m->b64.n == 0 && m->b64_pad)) {
                    event(m, MIME_EV_BAD_BASE64);
                }
            } else if (!is_ws(c)) {
                event(m, MIME_EV_BAD_BASE64);
            }
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            uint8_t c = p[i];
            switch (m->qp_st) {
            case QP_TEXT:
                if (c == '=')
                    m->qp_st = QP_EQ;
                else
                    out_put(m, buf, &k, c);
                break;
            case QP_EQ:
                if (tp_hexval(c) >= 0) {
                    m->qp_hex = c;
                    m->qp_st = QP_EQ1;
                } else if (c == '\r') {
                    m->qp_st = QP_EQ_CR;
                } else if (c == '\n') {
                    m->qp_st = QP_TEXT; /* soft line break */
                } else if (c == ' ' || c == '\t') {
                    m->qp_st = QP_EQ_WS;
                } else {
                    event(m, MIME_EV_BAD_QP);
                    out_put(m, buf, &k, '=');
                    m->qp_st = QP_TEXT;
                    i--; /* reread c as text */
                }
                break;
            case QP_EQ1:
                m->qp_st = QP_TEXT;
                if (tp_hexval(c) >= 0) {
                    out_put(m, buf, &k, (uint8_t)(tp_hexval(m->qp_hex) << 4 | tp_hexval(c)));
                } else {
                    event(m, MIME_EV_BAD_QP);
                    out_put(m, buf, &k, '=');
                    out_put(m, buf, &k, m->qp_hex);
                    i--;
                }
                break;
            case QP_EQ_CR:
                m->qp_st = QP_TEXT;
                if (c != '\n')
                    i--;
                break;
            default: /* QP_EQ_WS: "=" then transport padding before the line end */
                if (c == '\r') {
                    m->qp_st = QP_EQ_CR;
                } else if (c == '\n') {
                    m->qp_st = QP_TEXT;
                } else if (c != ' ' && c != '\t') {
                    event(m, MIME_EV_BAD_QP);
                    out_put(m, buf, &k, '=');
                    m->qp_st = QP_TEXT;
                    i--;
                }
                break;
            }
        }
    }
    if (k)
        part_write(m, buf, k);
}

static void pend_flush(struct mime_parser *m)
{
    if (m->pend_len) {
        body_data(m, m->pend_eol, m->pend_len);
        m->pend_len = 0;
    }
}

/* The current leaf part ends (boundary, end of message). */
static void part_end(struct mime_parser *m, bool truncated)
{
    if (m->fb || m->text_part) {
        if (m->enc == ENC_BASE64) {
            uint8_t buf[OUT_CHUNK];
            size_t k = 0;
            b64_flush_end(m, buf, &k);
            if (k)
                part_write(m, buf, k);
        } else if (m->enc == ENC_QP && m->qp_st == QP_EQ1) {
            uint8_t two[2] = {'=', m->qp_hex};
            event(m, MIME_EV_BAD_QP);
            part_write(m, two, 2);
        }
    }
    if (m->fb) {
        app_file_close(m->fb, m->dir, truncated);
        m->fb = NULL;
    }
    m->text_part = false;
    m->pend_len = 0;
    m->b64 = (struct tp_b64){0, 0};
    m->b64_pad = false;
    m->qp_st = QP_TEXT;
}

/* Forget the part-level header results before a new header block. */
static void part_reset(struct mime_parser *m)
{
    m->ctype[0] = '\0';
    m->pbnd_len = 0;
    m->enc = ENC_IDENTITY;
    m->attachment = false;
    m->name_len = 0;
    m->name_prio = 0;
    m->fld_len = 0;
    m->hdr_bytes = 0;
    m->hdr_over = false;
}

static bool push_level(struct mime_parser *m)
{
    if (m->depth == m->lv_cap) {
        uint32_t ncap = m->lv_cap ? m->lv_cap * 2 : 2;
        if (ncap > m->cfg->mime_max_depth)
            ncap = m->cfg->mime_max_depth;
        struct mime_level *nl =
            m->lv ? app_realloc(m->s, m->lv, m->lv_cap * sizeof *nl, ncap * sizeof *nl)
                  : app_alloc(m->s, ncap * sizeof *nl);
        if (!nl) {
            die(m);
            return false;
        }
        m->lv = nl;
        m->lv_cap = ncap;
    }
    struct mime_level *l = &m->lv[m->depth++];
    memcpy(l->bnd, m->pbnd, m->pbnd_len);
    l->blen = m->pbnd_len;
    return true;
}

/* The header block of a part (or of the message) ended: decide what its body is. */
static void header_end(struct mime_parser *m)
{
    field_done(m);
    if (m->dead)
        return;
    if (m->top)
        m->top_header_done = true;
    m->top = false;
    m->body_seen = true;
    if (m->parts_over) {
        m->st = ST_SKIP;
        return;
    }
    if (++m->email.n_parts > m->cfg->mime_max_parts) {
        event(m, MIME_EV_PARTS_LIMIT);
        m->parts_over = true;
        m->st = ST_SKIP;
        return;
    }
    bool multipart = strncmp(m->ctype, "multipart/", 10) == 0;
    if (multipart && m->pbnd_len > 0) {
        if (m->depth >= m->cfg->mime_max_depth) {
            event(m, MIME_EV_DEPTH_LIMIT);
            m->st = ST_SKIP;
            return;
        }
        push_level(m);
        m->st = ST_SKIP; /* preamble */
        return;
    }
    m->st = ST_BODY;
    m->pend_len = 0;
    bool text = m->ctype[0] == '\0' || strncmp(m->ctype, "text/", 5) == 0;
    bool file = m->attachment || m->name_len > 0 || (!text && !multipart);
    if (!file) {
        /* the message's own text: kept while there is room */
        m->text_part = text && m->cfg->mime_text_keep_bytes > 0 && !m->text_refused &&
                       (!m->text || m->email.text_len < m->text_cap);
        return;
    }
    m->fb = app_file_open(m->s, m->proto, m->tx_id, m->name, m->name_len,
                          m->ctype[0] ? m->ctype : NULL);
    if (!m->fb) {
        die(m);
        return;
    }
    struct app_file *r = app_file_record(m->fb);
    r->email = &m->email;
    r->smtp = m->smtp;
    if (m->name_len > 0 && m->email.n_attachments < MM_ARRAY_LEN(m->email.attachments)) {
        const char *d = astr_dup(m, m->name, m->name_len);
        if (d)
            m->email.attachments[m->email.n_attachments++] = d;
    }
}

/* Is the line a boundary of an open multipart? Returns the level + 1, or 0. */
static uint32_t boundary_of(const struct mime_parser *m, const uint8_t *l, size_t n, bool *close)
{
    if (m->depth == 0 || n < 3 || l[0] != '-' || l[1] != '-')
        return 0;
    for (uint32_t d = m->depth; d > 0; d--) {
        const struct mime_level *lv = &m->lv[d - 1];
        if (n - 2 < lv->blen || memcmp(l + 2, lv->bnd, lv->blen) != 0)
            continue;
        size_t i = 2 + lv->blen;
        bool c = false;
        if (i + 1 < n && l[i] == '-' && l[i + 1] == '-') {
            c = true;
            i += 2;
        }
        while (i < n && (l[i] == ' ' || l[i] == '\t'))
            i++;
        if (i != n)
            continue;
        *close = c;
        return d;
    }
    return 0;
}

static void on_boundary(struct mime_parser *m, uint32_t level, bool close)
{
    if (m->st == ST_BODY)
        part_end(m, false);
    else if (m->st == ST_HEADER)
        field_done(m);
    if (level < m->depth)
        event(m, MIME_EV_NO_END_BOUNDARY); /* inner multiparts left open */
    m->depth = level;
    if (close) {
        m->depth = level - 1;
        m->st = ST_SKIP; /* epilogue */
        return;
    }
    part_reset(m);
    m->st = ST_HEADER;
    m->top = false;
}

/*
 * One complete line (without its line end; eol_len 0, 1 or 2). `cont`: the line is the
 * tail of a long body line whose head was already passed on (never a boundary).
 */
static void line_done(struct mime_parser *m, const uint8_t *l, size_t n, uint8_t eol_len,
                      bool cont, bool cut)
{
    bool close = false;
    uint32_t level = cont ? 0 : boundary_of(m, l, n, &close);
    if (level) {
        on_boundary(m, level, close);
        return;
    }
    switch (m->st) {
    case ST_HEADER:
        if (cut)
            event(m, MIME_EV_LONG_LINE);
        m->hdr_bytes += (uint32_t)MM_MIN(n + eol_len, (size_t)UINT32_MAX / 2);
        if (n == 0) {
            header_end(m);
            return;
        }
        if (l[0] == ' ' || l[0] == '\t') {
            field_put(m, l, n); /* unfolding: drop the CRLF, keep the whitespace */
            return;
        }
        field_done(m);
        if (!m->dead) {
            if (m->hdr_bytes > m->cfg->mime_max_header_bytes) {
                event(m, MIME_EV_HEADER_LIMIT);
                m->hdr_over = true;
            }
            field_put(m, l, n);
        }
        return;
    case ST_BODY:
        if (!cont)
            pend_flush(m);
        body_data(m, l, n);
        m->pend_len = eol_len;
        if (eol_len == 2) {
            m->pend_eol[0] = '\r';
            m->pend_eol[1] = '\n';
        } else {
            m->pend_eol[0] = '\n';
        }
        return;
    default:
        return;
    }
}

/* A piece of a body line too long to buffer: pass it on (it cannot be a boundary). */
static void long_piece(struct mime_parser *m, const uint8_t *p, size_t n)
{
    if (m->st == ST_BODY) {
        if (!m->line_long)
            pend_flush(m);
        body_data(m, p, n);
    } else if (m->st == ST_HEADER) {
        event(m, MIME_EV_LONG_LINE);
    }
    m->line_long = true;
}

static bool line_put(struct mime_parser *m, const uint8_t *p, size_t n)
{
    size_t need = (size_t)m->line_len + n;
    if (need > m->line_cap) {
        size_t max = (size_t)m->cfg->max_line_bytes + 1;
        size_t ncap = m->line_cap ? (size_t)m->line_cap * 2 : 256;
        while (ncap < need)
            ncap *= 2;
        if (ncap > max)
            ncap = max;
        uint8_t *nl = m->line ? app_realloc(m->s, m->line, m->line_cap, ncap)
                              : app_alloc(m->s, ncap);
        if (!nl) {
            die(m);
            return false;
        }
        m->line = nl;
        m->line_cap = (uint32_t)ncap;
    }
    memcpy(m->line + m->line_len, p, n);
    m->line_len += (uint32_t)n;
    return true;
}

/* A complete line at p[0..n) including its LF (or none at the end of the message). */
static void give_line(struct mime_parser *m, const uint8_t *p, size_t n, bool lf)
{
    uint8_t eol = 0;
    if (lf) {
        n--;
        eol = 1;
        if (n > 0 && p[n - 1] == '\r') {
            n--;
            eol = 2;
        }
    }
    bool cont = m->line_long;
    bool cut = false;
    if (m->st == ST_HEADER && cont)
        cut = true;
    m->line_long = false;
    if (cont && m->st == ST_HEADER)
        return; /* the head of a cut header line was already dropped */
    line_done(m, p, n, eol, cont, cut);
}

void mime_feed(struct mime_parser *m, int dir, const uint8_t *data, size_t len)
{
    if (!m || m->dead || m->ended)
        return;
    m->dir = dir;
    size_t max = m->cfg->max_line_bytes ? m->cfg->max_line_bytes : 1;
    size_t i = 0;
    while (i < len && !m->dead) {
        const uint8_t *nl = memchr(data + i, '\n', len - i);
        size_t seg = nl ? (size_t)(nl - (data + i)) + 1 : len - i;
        if (m->line_len == 0 && nl && (seg - 1 <= max || m->st != ST_HEADER)) {
            if (seg - 1 > max) {
                /* A long line in one chunk: its head goes on as body data; the tail (with
                 * the line end) is handled as the line, as when it comes in pieces. */
                size_t head = seg - 1 - max;
                long_piece(m, data + i, head);
                i += head;
                seg -= head;
            }
            give_line(m, data + i, seg, true);
            i += seg;
            continue;
        }
        /* Buffer, up to max + 1 (a CR may wait for its LF). */
        size_t room = max + 1 - m->line_len;
        if (seg <= room) {
            if (!line_put(m, data + i, seg))
                return;
            i += seg;
            if (nl) {
                give_line(m, m->line, m->line_len, true);
                m->line_len = 0;
            }
            continue;
        }
        /* Too long: pass on what is held (keeping a last CR) and go on with the rest. */
        if (!line_put(m, data + i, room))
            return;
        i += room;
        size_t keep = m->line[m->line_len - 1] == '\r' ? 1 : 0;
        long_piece(m, m->line, m->line_len - keep);
        if (keep)
            m->line[0] = '\r';
        m->line_len = (uint32_t)keep;
    }
}

void mime_gap(struct mime_parser *m, int dir, uint64_t n)
{
    if (!m || m->dead || m->ended)
        return;
    m->dir = dir;
    if (m->st == ST_BODY && m->line_len) {
        /* The start of a line before the hole: data (a boundary cut by a gap is lost). */
        if (!m->line_long)
            pend_flush(m);
        body_data(m, m->line, m->line_len);
    }
    m->line_len = 0;
    m->line_long = true; /* what follows is the middle of some line */
    m->pend_len = 0;
    if (m->fb)
        app_file_gap(m->fb, n);
    m->b64 = (struct tp_b64){0, 0};
    m->qp_st = QP_TEXT;
}

void mime_end(struct mime_parser *m, int dir, bool truncated)
{
    if (!m || m->ended)
        return;
    m->dir = dir;
    if (!m->dead) {
        if (m->line_len) {
            give_line(m, m->line, m->line_len, false);
            m->line_len = 0;
        } else if (m->line_long) {
            m->line_long = false;
        }
        if (m->st == ST_HEADER && !m->dead)
            field_done(m);
        if (m->st == ST_BODY && m->depth == 0)
            pend_flush(m); /* a single-part body owns its last line end */
        if (m->depth > 0 && !truncated)
            event(m, MIME_EV_NO_END_BOUNDARY);
        part_end(m, truncated);
    }
    m->ended = true;
    m->truncated = truncated;
    app_message(m->s, dir, &m->email);
}

struct mime_parser *mime_new(struct app_session *s, enum app_proto proto)
{
    struct mime_parser *m = app_calloc(s, sizeof *m);
    if (!m)
        return NULL;
    m->s = s;
    m->cfg = app_cfg(s);
    m->proto = proto;
    m->st = ST_HEADER;
    m->top = true;
    return m;
}

const struct mime_email *mime_email(const struct mime_parser *m)
{
    return m ? &m->email : NULL;
}

void mime_set_tx_id(struct mime_parser *m, uint64_t tx_id)
{
    if (m)
        m->tx_id = tx_id;
}

void mime_set_smtp(struct mime_parser *m, const struct smtp_tx *tx)
{
    if (m)
        m->smtp = tx;
}

const char *mime_status(const struct mime_parser *m)
{
    if (!m)
        return "HEADER_STARTED";
    if (m->ended && !m->truncated)
        return "PARSE_DONE";
    if (!m->top_header_done)
        return m->ended ? "PARSE_ERROR" : "HEADER_STARTED";
    return m->body_seen && m->st != ST_HEADER ? "BODY_STARTED" : "HEADER_READY";
}

void mime_free(struct mime_parser *m)
{
    if (!m)
        return;
    struct app_session *s = m->s;
    app_file_discard(m->fb);
    for (struct astr *a = m->strs, *nx; a; a = nx) {
        nx = a->next;
        app_free(s, a, a->size);
    }
    if (m->line)
        app_free(s, m->line, m->line_cap);
    if (m->fld)
        app_free(s, m->fld, m->fld_cap);
    if (m->lv)
        app_free(s, m->lv, m->lv_cap * sizeof *m->lv);
    if (m->text)
        app_free(s, m->text, m->text_cap);
    app_free(s, m, sizeof *m);
}
