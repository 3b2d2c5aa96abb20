/*
 * The rule keywords: one table (det_rp_keywords) and one parser per keyword, filling
 * struct det_rule as rule.h documents. Semantics and limits follow Suricata 7's rule
 * language (docs.suricata.io, "Suricata Rules"); what we do not implement is refused with
 * "unsupported keyword 'x'" (every keyword absent from the table) or a reason naming the
 * unsupported part (e.g. byte_test's dce option).
 *
 * Content modifiers (nocase, depth, ..., http_uri ...) apply to the most recent content of
 * the rule, whichever buffer it is in, as in Suricata. Integer keywords take Suricata's
 * forms: N, =N, !N, !=N, <N, >N, <=N, >=N and the exclusive ranges N<>M and N-M (both mean
 * N < x < M, as Suricata 7's integer keywords do), !N<>M / !N-M for the negated range.
 */
#include "app/app.h"
#include "core/mm.h"
#include "detect/rule_parse_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PARTS 16 /* comma-separated parts of one option value */

/* ---------------- shared helpers ---------------- */

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

/* A name for flowbits, flowints, xbits and byte_extract: printable, no blanks or
 * separators. */
static bool name_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= ' ' || ch >= 0x7f || ch == ',' || ch == ';' || ch == '"' || ch == '&' ||
            ch == '|')
            return false;
    }
    return true;
}

static int need_parts(struct rp_ctx *c, const char *kw, char *v, char **parts, size_t min,
                      size_t max, size_t *n)
{
    if (!rp_split(v, ',', parts, max, n))
        return rp_fail(c, MM_EINVAL, NULL, "%s: too many arguments", kw);
    if (*n < min)
        return rp_fail(c, MM_EINVAL, NULL, "%s: too few arguments", kw);
    for (size_t i = 0; i < *n; i++) {
        if (!parts[i][0])
            return rp_fail(c, MM_EINVAL, NULL, "%s: empty argument", kw);
    }
    return 0;
}

/* Room for element n of an array whose capacity is the power of two >= n (doubling keeps
 * a rule with thousands of metadata or flowbits options linear). NULL when out of memory. */
static void *grow(void *p, uint32_t n, size_t elem)
{
    if (n & (n - 1))
        return p; /* n is not a power of two: the last doubling left room */
    return realloc(p, (n ? (size_t)n * 2 : 1) * elem);
}

/* Strips one pair of surrounding double quotes; false when the value is not quoted. */
static bool unquote(char **v)
{
    size_t n = strlen(*v);
    if (n < 2 || (*v)[0] != '"' || (*v)[n - 1] != '"')
        return false;
    /* the closing quote must not be escaped (count the backslashes before it) */
    size_t bs = 0;
    while (n - 2 - bs >= 1 && (*v)[n - 2 - bs] == '\\')
        bs++;
    if (bs % 2)
        return false;
    (*v)[n - 1] = 0;
    (*v)++;
    return true;
}

static int find_var(const struct rp_ctx *c, const char *name)
{
    for (uint32_t i = 0; i < c->n_vars; i++) {
        if (strcmp(c->var_names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

/* A number in [min, max] or the name of an earlier byte_extract variable. */
static int num_or_var(struct rp_ctx *c, const char *kw, const char *s, int64_t min, int64_t max,
                      struct det_num *out)
{
    out->var = -1;
    out->v = 0;
    if (is_digit(s[0]) || s[0] == '-' || s[0] == '+') {
        if (!rp_parse_i64(s, min, max, &out->v))
            return rp_fail(c, MM_EINVAL, NULL, "%s: '%.40s' is not a number in %lld..%lld", kw, s,
                           (long long)min, (long long)max);
        return 0;
    }
    int idx = find_var(c, s);
    if (idx < 0)
        return rp_fail(c, MM_EINVAL, NULL, "%s: unknown variable '%.40s'", kw, s);
    out->var = (int8_t)idx;
    return 0;
}

/* Reads a decimal or 0x number at *s, advancing it. */
static bool scan_u64(const char **s, uint64_t *out)
{
    const char *p = *s;
    unsigned base = 10;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    const char *start = p;
    uint64_t v = 0;
    for (;; p++) {
        unsigned d;
        if (is_digit(*p))
            d = (unsigned)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned)(*p - 'A' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return false;
        v = v * base + d;
    }
    if (p == start)
        return false;
    *out = v;
    *s = p;
    return true;
}

static const char *skip_sp(const char *s)
{
    while (is_space(*s))
        s++;
    return s;
}

/* Suricata's integer forms (see the file comment) into a det_size; values <= max. */
static bool parse_size(const char *s, uint64_t max, struct det_size *out)
{
    memset(out, 0, sizeof *out);
    s = skip_sp(s);
    enum det_num_op op = DET_OP_EQ;
    bool neg = false;
    if (s[0] == '<' && s[1] == '=') {
        op = DET_OP_LE;
        s += 2;
    } else if (s[0] == '>' && s[1] == '=') {
        op = DET_OP_GE;
        s += 2;
    } else if (s[0] == '<') {
        op = DET_OP_LT;
        s++;
    } else if (s[0] == '>') {
        op = DET_OP_GT;
        s++;
    } else if (s[0] == '!' && s[1] == '=') {
        op = DET_OP_NE;
        s += 2;
    } else if (s[0] == '!') {
        op = DET_OP_NE;
        neg = true;
        s++;
    } else if (s[0] == '=') {
        s++;
    }
    s = skip_sp(s);
    uint64_t lo;
    if (!scan_u64(&s, &lo) || lo > max)
        return false;
    s = skip_sp(s);
    bool range = false;
    if (s[0] == '<' && s[1] == '>') {
        range = true;
        s += 2;
    } else if (s[0] == '-') {
        range = true;
        s++;
    }
    if (range) {
        /* only bare "N<>M" or negated "!N<>M" */
        if (op != DET_OP_EQ && !neg)
            return false;
        s = skip_sp(s);
        uint64_t hi;
        if (!scan_u64(&s, &hi) || hi > max || hi <= lo || hi - lo < 2)
            return false; /* an exclusive range with nothing inside matches nothing */
        out->op = neg ? DET_OP_NOT_RANGE : DET_OP_RANGE;
        out->lo = lo;
        out->hi = hi;
    } else {
        out->op = op;
        out->lo = lo;
    }
    return *skip_sp(s) == 0;
}

/* ---------------- meta keywords ---------------- */

static int kw_msg(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    if (c->have_msg)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate msg");
    c->have_msg = true;
    (void)unquote(&v);
    size_t n = strlen(v);
    char *m = malloc(n + 1);
    if (!m)
        return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\\' && i + 1 < n &&
            (v[i + 1] == '"' || v[i + 1] == ';' || v[i + 1] == '\\' || v[i + 1] == ':'))
            i++;
        m[o++] = v[i];
    }
    m[o] = 0;
    c->r->msg = m;
    return 0;
}

static int kw_sid(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    uint64_t n;
    if (c->have_sid)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate sid");
    if (!rp_parse_u64(v, UINT32_MAX, &n) || n == 0)
        return rp_fail(c, MM_EINVAL, NULL, "sid must be 1..4294967295");
    c->r->sid = (uint32_t)n;
    c->have_sid = true;
    return 0;
}

static int kw_rev_gid(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    uint64_t n;
    bool *have = k->arg ? &c->have_gid : &c->have_rev;
    if (*have)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate %s", k->name);
    if (!rp_parse_u64(v, UINT32_MAX, &n))
        return rp_fail(c, MM_EINVAL, NULL, "%s must be 0..4294967295", k->name);
    *have = true;
    if (k->arg)
        c->r->gid = (uint32_t)n;
    else
        c->r->rev = (uint32_t)n;
    return 0;
}

static int kw_classtype(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    if (c->have_class)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate classtype");
    int idx = det_class_find(c->p->rs, v);
    if (idx < 0)
        return rp_fail(c, MM_EINVAL, NULL, "unknown classtype '%.64s'", v);
    c->r->classtype = idx;
    c->have_class = true;
    return 0;
}

static int kw_priority(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    uint64_t n;
    if (c->have_prio)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate priority");
    if (!rp_parse_u64(v, 255, &n) || n == 0)
        return rp_fail(c, MM_EINVAL, NULL, "priority must be 1..255");
    c->r->priority = (int)n;
    c->have_prio = true;
    return 0;
}

static int kw_reference(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)c;
    (void)k;
    (void)v; /* accepted (URLs for analysts), not used by detection */
    return 0;
}

static int kw_metadata(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    struct det_rule *r = c->r;
    char *s = v;
    while (s) {
        char *comma = strchr(s, ',');
        if (comma)
            *comma = 0;
        char *item = rp_trim(s);
        s = comma ? comma + 1 : NULL;
        if (!*item)
            continue;
        size_t klen = 0;
        while (item[klen] && !is_space(item[klen]))
            klen++;
        char *val = rp_trim(item + klen);
        struct det_meta_kv *m = grow(r->metadata, r->n_metadata, sizeof *m);
        if (!m)
            return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
        r->metadata = m;
        m[r->n_metadata].key = strndup(item, klen);
        m[r->n_metadata].value = strdup(val);
        r->n_metadata++;
        if (!m[r->n_metadata - 1].key || !m[r->n_metadata - 1].value)
            return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    }
    return 0;
}

static int kw_target(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    if (c->have_target)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate target");
    if (strcmp(v, "src_ip") == 0)
        c->r->target = DET_TARGET_SRC;
    else if (strcmp(v, "dest_ip") == 0)
        c->r->target = DET_TARGET_DST;
    else
        return rp_fail(c, MM_EINVAL, NULL, "target must be src_ip or dest_ip");
    c->have_target = true;
    return 0;
}

static int kw_noalert(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    (void)v;
    c->r->noalert = true;
    return 0;
}

/* ---------------- content ---------------- */

static int hexval(char ch)
{
    if (is_digit(ch))
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/*
 * A content string: ['!'] '"' ( byte | '\' ( '"' | ';' | '\' | ':' ) | '|' hex-pairs '|' )+
 * '"'. Spaces may separate hex digits. The result is malloc'd.
 */
static int content_decode(struct rp_ctx *c, const char *kw, char *v, bool *neg, uint8_t **pat,
                          uint32_t *len)
{
    *neg = false;
    if (v[0] == '!') {
        *neg = true;
        v = rp_trim(v + 1);
    }
    if (!unquote(&v))
        return rp_fail(c, MM_EINVAL, NULL, "%s: the pattern must be in double quotes", kw);
    size_t n = strlen(v);
    uint8_t *out = malloc(n ? n : 1);
    if (!out)
        return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    size_t o = 0;
    bool hex = false;
    int nib = -1;
    const char *why = NULL;
    for (size_t i = 0; i < n && !why; i++) {
        char ch = v[i];
        if (hex) {
            if (ch == '|') {
                if (nib >= 0)
                    why = "odd number of hex digits";
                hex = false;
            } else if (is_space(ch)) {
                continue;
            } else if (hexval(ch) < 0) {
                why = "bad character in |hex| block";
            } else if (nib < 0) {
                nib = hexval(ch);
            } else {
                out[o++] = (uint8_t)(nib << 4 | hexval(ch));
                nib = -1;
            }
        } else if (ch == '|') {
            hex = true;
        } else if (ch == '\\') {
            char nx = i + 1 < n ? v[i + 1] : 0;
            if (nx != '"' && nx != ';' && nx != '\\' && nx != ':')
                why = "bad escape (only \\\" \\; \\\\ \\: are allowed)";
            else
                out[o++] = (uint8_t)nx;
            i++;
        } else if (ch == '"') {
            why = "unescaped '\"' inside the pattern";
        } else {
            out[o++] = (uint8_t)ch;
        }
    }
    if (!why && hex)
        why = "unterminated |hex| block";
    if (!why && o == 0)
        why = "empty pattern";
    if (!why && o > DET_CONTENT_MAX)
        why = "pattern longer than 4096 bytes";
    if (why) {
        free(out);
        return rp_fail(c, MM_EINVAL, NULL, "%s: %s", kw, why);
    }
    *pat = out;
    *len = (uint32_t)o;
    return 0;
}

/* Adds a content to (buf, xf) or, with use_cur, to the current buffer. */
static int add_content(struct rp_ctx *c, const char *kw, char *v, bool use_cur, enum det_buf buf)
{
    bool neg = false;
    uint8_t *pat = NULL;
    uint32_t len = 0;
    int rc = content_decode(c, kw, v, &neg, &pat, &len);
    if (rc)
        return rc;
    int32_t li = -1;
    struct det_sm *sm =
        use_cur ? rp_add_sm_cur(c, DET_SM_CONTENT) : rp_add_sm(c, buf, 0, DET_SM_CONTENT, &li);
    if (!sm) {
        free(pat);
        return c->err;
    }
    if (use_cur)
        li = c->cur_list;
    struct det_content *ct = &sm->u.content;
    ct->pat = pat;
    ct->len = len;
    ct->flags = neg ? DET_CT_NEGATED : 0;
    ct->offset.var = ct->depth.var = ct->distance.var = ct->within.var = -1;
    c->last_list = li;
    c->last_sm = (int32_t)c->r->lists[li].n_sms - 1;
    c->last_is_content = true;
    return 0;
}

static int kw_content(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    return add_content(c, "content", v, true, DET_BUF_PAYLOAD);
}

static int kw_uricontent(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    return add_content(c, "uricontent", v, false, DET_BUF_HTTP_URI);
}

static struct det_content *last_content(struct rp_ctx *c, const char *kw)
{
    if (c->last_list < 0 || !c->last_is_content) {
        rp_fail(c, MM_EINVAL, NULL, "%s needs a preceding content", kw);
        return NULL;
    }
    return &c->r->lists[c->last_list].sms[c->last_sm].u.content;
}

static int kw_nocase(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)v;
    struct det_content *ct = last_content(c, k->name);
    if (!ct)
        return c->err;
    if (ct->flags & DET_CT_NOCASE)
        return rp_fail(c, MM_EINVAL, NULL, "nocase given twice for one content");
    ct->flags |= DET_CT_NOCASE;
    return 0;
}

static int kw_rawbytes(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)v;
    struct det_content *ct = last_content(c, k->name);
    if (!ct)
        return c->err;
    ct->flags |= DET_CT_RAWBYTES;
    return 0;
}

enum { POS_DEPTH = 0, POS_OFFSET, POS_DISTANCE, POS_WITHIN };

/* depth / offset / distance / within */
static int kw_position(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    static const uint32_t flag[] = {DET_CT_DEPTH, DET_CT_OFFSET, DET_CT_DISTANCE, DET_CT_WITHIN};
    struct det_content *ct = last_content(c, k->name);
    if (!ct)
        return c->err;
    uint32_t f = flag[k->arg];
    bool relative = k->arg == POS_DISTANCE || k->arg == POS_WITHIN;
    if (ct->flags & f)
        return rp_fail(c, MM_EINVAL, NULL, "%s given twice for one content", k->name);
    if (ct->flags & DET_CT_STARTSWITH)
        return rp_fail(c, MM_EINVAL, NULL, "%s cannot be combined with startswith", k->name);
    if (ct->flags & DET_CT_FP_ONLY)
        return rp_fail(c, MM_EINVAL, NULL, "%s cannot be combined with fast_pattern:only", k->name);
    if (relative && (ct->flags & (DET_CT_DEPTH | DET_CT_OFFSET)))
        return rp_fail(c, MM_EINVAL, NULL, "%s (relative) cannot be combined with depth/offset",
                       k->name);
    if (!relative && (ct->flags & (DET_CT_DISTANCE | DET_CT_WITHIN)))
        return rp_fail(c, MM_EINVAL, NULL, "%s cannot be combined with distance/within", k->name);
    struct det_num n;
    int64_t min = k->arg == POS_DISTANCE ? -65535 : (k->arg == POS_OFFSET ? 0 : 1);
    int rc = num_or_var(c, k->name, v, min, 65535, &n);
    if (rc)
        return rc;
    if (n.var < 0 && (k->arg == POS_DEPTH || k->arg == POS_WITHIN) && n.v < (int64_t)ct->len)
        return rp_fail(c, MM_EINVAL, NULL, "%s %lld is less than the content length %u", k->name,
                       (long long)n.v, ct->len);
    ct->flags |= f;
    switch (k->arg) {
    case POS_DEPTH: ct->depth = n; break;
    case POS_OFFSET: ct->offset = n; break;
    case POS_DISTANCE: ct->distance = n; break;
    default: ct->within = n; break;
    }
    return 0;
}

static int kw_startswith(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)v;
    struct det_content *ct = last_content(c, k->name);
    if (!ct)
        return c->err;
    if (ct->flags & DET_CT_STARTSWITH)
        return rp_fail(c, MM_EINVAL, NULL, "startswith given twice for one content");
    if (ct->flags & (DET_CT_DEPTH | DET_CT_OFFSET | DET_CT_DISTANCE | DET_CT_WITHIN))
        return rp_fail(c, MM_EINVAL, NULL,
                       "startswith cannot be combined with depth/offset/distance/within");
    ct->flags |= DET_CT_STARTSWITH;
    return 0;
}

static int kw_endswith(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)v;
    struct det_content *ct = last_content(c, k->name);
    if (!ct)
        return c->err;
    if (ct->flags & DET_CT_ENDSWITH)
        return rp_fail(c, MM_EINVAL, NULL, "endswith given twice for one content");
    ct->flags |= DET_CT_ENDSWITH;
    return 0;
}

static int kw_fast_pattern(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    struct det_content *ct = last_content(c, k->name);
    if (!ct)
        return c->err;
    if (ct->flags & DET_CT_FAST_PATTERN)
        return rp_fail(c, MM_EINVAL, NULL, "fast_pattern given twice for one content");
    if (!v) {
        ct->flags |= DET_CT_FAST_PATTERN;
        return 0;
    }
    if (strcmp(v, "only") == 0) {
        if (ct->flags & DET_CT_NEGATED)
            return rp_fail(c, MM_EINVAL, NULL, "fast_pattern:only on a negated content");
        if (ct->flags & (DET_CT_DEPTH | DET_CT_OFFSET | DET_CT_DISTANCE | DET_CT_WITHIN))
            return rp_fail(c, MM_EINVAL, NULL,
                           "fast_pattern:only cannot be combined with depth/offset/distance/"
                           "within");
        ct->flags |= DET_CT_FAST_PATTERN | DET_CT_FP_ONLY;
        return 0;
    }
    char *parts[2];
    size_t n;
    uint64_t off, len;
    if (!rp_split(v, ',', parts, 2, &n) || n != 2 || !rp_parse_u64(parts[0], 65535, &off) ||
        !rp_parse_u64(parts[1], 65535, &len) || len == 0)
        return rp_fail(c, MM_EINVAL, NULL, "fast_pattern: expected 'only' or 'offset,length'");
    if (off + len > ct->len)
        return rp_fail(c, MM_EINVAL, NULL, "fast_pattern:%llu,%llu goes past the content length %u",
                       (unsigned long long)off, (unsigned long long)len, ct->len);
    ct->flags |= DET_CT_FAST_PATTERN | DET_CT_FP_CHOP;
    ct->fp_off = (uint16_t)off;
    ct->fp_len = (uint16_t)len;
    return 0;
}

/* ---------------- pcre ---------------- */

static const struct {
    char letter;
    enum det_buf buf;
} pcre_bufs[] = {
    {'U', DET_BUF_HTTP_URI},          {'I', DET_BUF_HTTP_URI_RAW},
    {'P', DET_BUF_HTTP_REQUEST_BODY}, {'Q', DET_BUF_HTTP_RESPONSE_BODY},
    {'H', DET_BUF_HTTP_HEADER},       {'D', DET_BUF_HTTP_HEADER_RAW},
    {'M', DET_BUF_HTTP_METHOD},       {'C', DET_BUF_HTTP_COOKIE},
    {'S', DET_BUF_HTTP_STAT_CODE},    {'Y', DET_BUF_HTTP_STAT_MSG},
    {'V', DET_BUF_HTTP_USER_AGENT},   {'W', DET_BUF_HTTP_HOST},
    {'Z', DET_BUF_HTTP_HOST_RAW},
};

static int pcre_flags(struct rp_ctx *c, const char *f, uint32_t *opts, uint32_t *flags, int *buf)
{
    *opts = 0;
    *flags = 0;
    *buf = -1;
    for (; *f; f++) {
        switch (*f) {
        case 'i': *opts |= PCRE2_CASELESS; break;
        case 's': *opts |= PCRE2_DOTALL; break;
        case 'm': *opts |= PCRE2_MULTILINE; break;
        case 'x': *opts |= PCRE2_EXTENDED; break;
        case 'A': *opts |= PCRE2_ANCHORED; break;
        case 'E': *opts |= PCRE2_DOLLAR_ENDONLY; break;
        case 'G': *opts |= PCRE2_UNGREEDY; break;
        case 'R': *flags |= DET_PCRE_RELATIVE; break;
        case 'B': *flags |= DET_PCRE_RAWBYTES; break;
        case 'O': break; /* Suricata: override the configured match limits; ours are fixed */
        case ',':
            return rp_fail(c, MM_EINVAL, NULL,
                           "pcre: capture into variables (\", pkt:x\") is not supported");
        default: {
            size_t i;
            for (i = 0; i < MM_ARRAY_LEN(pcre_bufs) && pcre_bufs[i].letter != *f; i++)
                ;
            if (i == MM_ARRAY_LEN(pcre_bufs))
                return rp_fail(c, MM_EINVAL, NULL, "pcre: unknown modifier '%c'", *f);
            if (*buf >= 0 && *buf != (int)pcre_bufs[i].buf)
                return rp_fail(c, MM_EINVAL, NULL, "pcre: more than one buffer modifier");
            *buf = (int)pcre_bufs[i].buf;
        }
        }
    }
    return 0;
}

static int kw_pcre(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    bool neg = false;
    if (v[0] == '!') {
        neg = true;
        v = rp_trim(v + 1);
    }
    if (!unquote(&v) || v[0] != '/')
        return rp_fail(c, MM_EINVAL, NULL, "pcre: expected \"/regex/flags\"");
    char *end = strrchr(v, '/');
    if (end == v)
        return rp_fail(c, MM_EINVAL, NULL, "pcre: missing closing '/'");
    size_t plen = (size_t)(end - v - 1);
    if (plen == 0)
        return rp_fail(c, MM_EINVAL, NULL, "pcre: empty regex");
    if (plen > DET_CONTENT_MAX * 4)
        return rp_fail(c, MM_EINVAL, NULL, "pcre: regex longer than %u bytes", DET_CONTENT_MAX * 4);
    uint32_t opts, flags;
    int buf;
    int rc = pcre_flags(c, end + 1, &opts, &flags, &buf);
    if (rc)
        return rc;
    /* /Q names the HTTP response body, which file.data is in an HTTP response */
    if (buf == (int)DET_BUF_HTTP_RESPONSE_BODY && c->cur_sticky && c->cur_buf == DET_BUF_FILE_DATA)
        buf = (int)DET_BUF_FILE_DATA;
    if (buf >= 0 && c->cur_sticky && (enum det_buf)buf != c->cur_buf)
        return rp_fail(c, MM_EINVAL, NULL,
                       "pcre buffer modifier conflicts with the sticky buffer %s",
                       det_buf_name(c->cur_buf));
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)(v + 1), plen, opts, &errcode, &erroff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(errcode, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", errcode);
        return rp_fail(c, MM_EINVAL, NULL, "pcre: %s at offset %zu", (const char *)msg,
                       (size_t)erroff);
    }
    char *src = strdup(v);
    int32_t li = -1;
    struct det_sm *sm = NULL;
    if (src) {
        if (buf >= 0 && !c->cur_sticky)
            sm = rp_add_sm(c, (enum det_buf)buf, 0, DET_SM_PCRE, &li);
        else
            sm = rp_add_sm_cur(c, DET_SM_PCRE);
    } else {
        rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    }
    if (!sm) {
        pcre2_code_free(re);
        free(src);
        return c->err;
    }
    sm->u.pcre.re = re;
    sm->u.pcre.src = src;
    sm->u.pcre.flags = flags | (neg ? DET_PCRE_NEGATED : 0);
    sm->u.pcre.capture_var = -1;
    return 0;
}

/* ---------------- sticky buffers, legacy modifiers, transforms ---------------- */

static void set_cur(struct rp_ctx *c, enum det_buf buf, bool sticky)
{
    c->cur_buf = buf;
    c->cur_sticky = sticky;
    c->cur_xf = 0;
    c->cur_n_xf = 0;
    c->cur_list = -1;
}

static int kw_sticky(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)v;
    set_cur(c, (enum det_buf)k->arg, true);
    return 0;
}

static int kw_pkt_data(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)k;
    (void)v;
    set_cur(c, DET_BUF_PAYLOAD, false);
    return 0;
}

/* filename / filemagic: a sticky buffer without a value, the old content form with one. */
static int kw_file_legacy(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    if (!v) {
        set_cur(c, (enum det_buf)k->arg, true);
        return 0;
    }
    return add_content(c, k->name, v, false, (enum det_buf)k->arg);
}

/* http_uri, http_header ...: move the last content into that buffer. */
static int kw_legacy_buf(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)v;
    if (!last_content(c, k->name))
        return c->err;
    struct det_list *from = &c->r->lists[c->last_list];
    if (from->buf != DET_BUF_PAYLOAD || from->xform != 0)
        return rp_fail(c, MM_EINVAL, NULL, "%s cannot follow a content in the buffer %s", k->name,
                       det_buf_name(from->buf));
    struct det_sm moved = from->sms[c->last_sm];
    memmove(&from->sms[c->last_sm], &from->sms[c->last_sm + 1],
            (from->n_sms - (uint32_t)c->last_sm - 1) * sizeof moved);
    from->n_sms--;
    c->n_sms--;
    int32_t li = -1;
    struct det_sm *sm = rp_add_sm(c, (enum det_buf)k->arg, 0, DET_SM_CONTENT, &li);
    if (!sm) {
        det_sm_fini(&moved);
        c->last_list = -1;
        return c->err;
    }
    *sm = moved;
    c->last_list = li;
    c->last_sm = (int32_t)c->r->lists[li].n_sms - 1;
    return 0;
}

static int kw_xform(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    (void)v;
    if (!c->cur_sticky)
        return rp_fail(c, MM_EINVAL, NULL, "%s must follow a sticky buffer", k->name);
    /* After matches, Suricata starts a new inspection buffer with the transforms so far
     * plus this one; the matches that follow go there. */
    c->cur_list = -1;
    if (c->cur_n_xf >= DET_MAX_XFORMS)
        return rp_fail(c, MM_EINVAL, NULL, "more than %u transforms on one buffer", DET_MAX_XFORMS);
    c->cur_xf = (det_xform_chain)(c->cur_xf | (unsigned)k->arg << (4 * c->cur_n_xf));
    c->cur_n_xf++;
    return 0;
}

/* ---------------- flow and flow variables ---------------- */

static int kw_flow(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    static const struct {
        const char *name;
        uint32_t flag;
    } opts[] = {
        {"to_server", DET_FLOW_TO_SERVER},     {"from_client", DET_FLOW_TO_SERVER},
        {"to_client", DET_FLOW_TO_CLIENT},     {"from_server", DET_FLOW_TO_CLIENT},
        {"established", DET_FLOW_ESTABLISHED}, {"not_established", DET_FLOW_NOT_ESTABLISHED},
        {"stateless", DET_FLOW_STATELESS},     {"only_stream", DET_FLOW_ONLY_STREAM},
        {"no_stream", DET_FLOW_NO_STREAM},     {"only_frag", DET_FLOW_ONLY_FRAG},
        {"no_frag", DET_FLOW_NO_FRAG},
    };
    static const uint32_t conflicts[][2] = {
        {DET_FLOW_TO_SERVER, DET_FLOW_TO_CLIENT},
        {DET_FLOW_ESTABLISHED, DET_FLOW_NOT_ESTABLISHED},
        {DET_FLOW_ESTABLISHED, DET_FLOW_STATELESS},
        {DET_FLOW_ONLY_STREAM, DET_FLOW_NO_STREAM},
        {DET_FLOW_ONLY_FRAG, DET_FLOW_NO_FRAG},
    };
    char *parts[MAX_PARTS];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 1, MAX_PARTS, &n);
    if (rc)
        return rc;
    uint32_t flags = c->r->flow_flags;
    for (size_t i = 0; i < n; i++) {
        size_t j;
        for (j = 0; j < MM_ARRAY_LEN(opts) && strcasecmp(parts[i], opts[j].name) != 0; j++)
            ;
        if (j == MM_ARRAY_LEN(opts))
            return rp_fail(c, MM_EINVAL, NULL, "flow: unknown option '%.40s'", parts[i]);
        if (flags & opts[j].flag)
            return rp_fail(c, MM_EINVAL, NULL, "flow: '%s' given twice", parts[i]);
        flags |= opts[j].flag;
    }
    for (size_t i = 0; i < MM_ARRAY_LEN(conflicts); i++) {
        if ((flags & conflicts[i][0]) && (flags & conflicts[i][1]))
            return rp_fail(c, MM_EINVAL, NULL, "flow: contradictory options");
    }
    c->r->flow_flags = flags;
    return 0;
}

static int bit_op(const char *s, enum det_bit_op *op)
{
    static const struct {
        const char *name;
        enum det_bit_op op;
    } ops[] = {{"set", DET_BIT_SET},           {"unset", DET_BIT_UNSET},
               {"toggle", DET_BIT_TOGGLE},     {"isset", DET_BIT_ISSET},
               {"isnotset", DET_BIT_ISNOTSET}, {"noalert", DET_BIT_NOALERT}};
    for (size_t i = 0; i < MM_ARRAY_LEN(ops); i++) {
        if (strcasecmp(s, ops[i].name) == 0) {
            *op = ops[i].op;
            return 0;
        }
    }
    return -1;
}

static int kw_flowbits(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    char *parts[2];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 1, 2, &n);
    if (rc)
        return rc;
    enum det_bit_op op;
    if (bit_op(parts[0], &op) < 0)
        return rp_fail(c, MM_EINVAL, NULL, "flowbits: unknown operation '%.40s'", parts[0]);
    if (op == DET_BIT_NOALERT) {
        if (n != 1)
            return rp_fail(c, MM_EINVAL, NULL, "flowbits:noalert takes no name");
        c->r->noalert = true;
        return 0;
    }
    if (n != 2)
        return rp_fail(c, MM_EINVAL, NULL, "flowbits:%s needs a name", parts[0]);
    char *names = parts[1];
    bool any_of = strchr(names, '|') != NULL, all_of = strchr(names, '&') != NULL;
    bool test = op == DET_BIT_ISSET || op == DET_BIT_ISNOTSET;
    if (any_of && (all_of || !test))
        return rp_fail(c, MM_EINVAL, NULL,
                       "flowbits: '|' is for isset/isnotset only, and not with '&'");
    char *list[MAX_PARTS];
    size_t nn;
    if (!rp_split(names, any_of ? '|' : '&', list, MAX_PARTS, &nn))
        return rp_fail(c, MM_EINVAL, NULL, "flowbits: more than %u names", MAX_PARTS);
    uint32_t *ids = calloc(nn, sizeof *ids);
    if (!ids)
        return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < nn; i++) {
        int32_t id = -1;
        if (!name_ok(list[i], 255)) {
            free(ids);
            return rp_fail(c, MM_EINVAL, NULL, "flowbits: bad name '%.40s'", list[i]);
        }
        id = rp_intern(c->p, &c->p->rs->flowbits, list[i]);
        if (id < 0) {
            free(ids);
            return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
        }
        ids[i] = (uint32_t)id;
    }
    struct det_rule *r = c->r;
    struct det_flowbit *fb = grow(r->flowbits, r->n_flowbits, sizeof *fb);
    if (!fb) {
        free(ids);
        return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    }
    r->flowbits = fb;
    fb[r->n_flowbits++] =
        (struct det_flowbit){.op = op, .ids = ids, .n_ids = (uint32_t)nn, .any_of = any_of};
    return 0;
}

static int kw_flowint(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    static const struct {
        const char *name;
        enum det_int_op op;
        enum det_num_op cmp;
    } ops[] = {
        {"=", DET_INT_SET, DET_OP_EQ},           {"+", DET_INT_ADD, DET_OP_EQ},
        {"-", DET_INT_SUB, DET_OP_EQ},           {"isset", DET_INT_ISSET, DET_OP_EQ},
        {"notset", DET_INT_ISNOTSET, DET_OP_EQ}, {"isnotset", DET_INT_ISNOTSET, DET_OP_EQ},
        {"==", DET_INT_CMP, DET_OP_EQ},          {"!=", DET_INT_CMP, DET_OP_NE},
        {"<", DET_INT_CMP, DET_OP_LT},           {">", DET_INT_CMP, DET_OP_GT},
        {"<=", DET_INT_CMP, DET_OP_LE},          {">=", DET_INT_CMP, DET_OP_GE},
    };
    char *parts[3];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 2, 3, &n);
    if (rc)
        return rc;
    if (!name_ok(parts[0], 255))
        return rp_fail(c, MM_EINVAL, NULL, "flowint: bad name '%.40s'", parts[0]);
    size_t i;
    for (i = 0; i < MM_ARRAY_LEN(ops) && strcasecmp(parts[1], ops[i].name) != 0; i++)
        ;
    if (i == MM_ARRAY_LEN(ops))
        return rp_fail(c, MM_EINVAL, NULL, "flowint: unknown operation '%.40s'", parts[1]);
    struct det_flowint fi = {.op = ops[i].op, .cmp = ops[i].cmp, .value_id = -1};
    bool needs_value = fi.op != DET_INT_ISSET && fi.op != DET_INT_ISNOTSET;
    if (needs_value != (n == 3))
        return rp_fail(c, MM_EINVAL, NULL, "flowint:%s %s a value", parts[1],
                       needs_value ? "needs" : "takes no");
    int32_t id = rp_intern(c->p, &c->p->rs->flowints, parts[0]);
    if (id < 0)
        return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    fi.id = (uint32_t)id;
    if (needs_value) {
        uint64_t val;
        if (is_digit(parts[2][0])) {
            if (!rp_parse_u64(parts[2], UINT32_MAX, &val))
                return rp_fail(c, MM_EINVAL, NULL, "flowint: value must be 0..4294967295");
            fi.value = (int64_t)val;
        } else {
            if (!name_ok(parts[2], 255))
                return rp_fail(c, MM_EINVAL, NULL, "flowint: bad value '%.40s'", parts[2]);
            fi.value_id = rp_intern(c->p, &c->p->rs->flowints, parts[2]);
            if (fi.value_id < 0)
                return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
        }
    }
    struct det_rule *r = c->r;
    struct det_flowint *a = grow(r->flowints, r->n_flowints, sizeof *a);
    if (!a)
        return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    r->flowints = a;
    a[r->n_flowints++] = fi;
    return 0;
}

/* "key value" with one or more blanks between */
static bool key_value(char *s, char **key, char **val)
{
    size_t i = 0;
    while (s[i] && !is_space(s[i]))
        i++;
    if (!s[i])
        return false;
    s[i] = 0;
    *key = s;
    *val = rp_trim(s + i + 1);
    return **val != 0;
}

static int kw_xbits(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    char *parts[4];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 3, 4, &n);
    if (rc)
        return rc;
    struct det_xbit xb = {0};
    if (bit_op(parts[0], &xb.op) < 0 || xb.op == DET_BIT_NOALERT)
        return rp_fail(c, MM_EINVAL, NULL, "xbits: unknown operation '%.40s'", parts[0]);
    if (!name_ok(parts[1], 255))
        return rp_fail(c, MM_EINVAL, NULL, "xbits: bad name '%.40s'", parts[1]);
    for (size_t i = 2; i < n; i++) {
        char *key, *val;
        if (!key_value(parts[i], &key, &val))
            return rp_fail(c, MM_EINVAL, NULL, "xbits: expected 'track ...' or 'expire N'");
        if (strcmp(key, "track") == 0 && i == 2) {
            if (strcmp(val, "ip_src") == 0)
                xb.track = DET_XB_IP_SRC;
            else if (strcmp(val, "ip_dst") == 0)
                xb.track = DET_XB_IP_DST;
            else if (strcmp(val, "ip_pair") == 0)
                xb.track = DET_XB_IP_PAIR;
            else
                return rp_fail(c, MM_EINVAL, NULL,
                               "xbits: track must be ip_src, ip_dst or ip_pair");
        } else if (strcmp(key, "expire") == 0 && i == 3) {
            uint64_t e;
            if (!rp_parse_u64(val, UINT32_MAX, &e) || e == 0)
                return rp_fail(c, MM_EINVAL, NULL, "xbits: expire must be 1..4294967295");
            xb.expire_s = (uint32_t)e;
        } else {
            return rp_fail(c, MM_EINVAL, NULL, "xbits: expected 'track ...' then 'expire N'");
        }
    }
    int32_t id = rp_intern(c->p, &c->p->rs->xbits, parts[1]);
    if (id < 0)
        return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    xb.id = (uint32_t)id;
    struct det_rule *r = c->r;
    struct det_xbit *a = grow(r->xbits, r->n_xbits, sizeof *a);
    if (!a)
        return rp_fail(c, MM_ENOMEM, NULL, "out of memory");
    r->xbits = a;
    a[r->n_xbits++] = xb;
    return 0;
}

/* ---------------- packet values ---------------- */

enum {
    CMP_DSIZE = 0,
    CMP_TTL,
    CMP_ITYPE,
    CMP_ICODE,
    CMP_ICMP_ID,
    CMP_ICMP_SEQ,
    CMP_TCP_SEQ,
    CMP_TCP_ACK,
    CMP_WINDOW,
    CMP_IP_PROTO
};

static struct det_cmp *cmp_field(struct det_rule *r, int which, uint64_t *max)
{
    switch (which) {
    case CMP_DSIZE: *max = 65535; return &r->dsize;
    case CMP_TTL: *max = 255; return &r->ttl;
    case CMP_ITYPE: *max = 255; return &r->itype;
    case CMP_ICODE: *max = 255; return &r->icode;
    case CMP_ICMP_ID: *max = 65535; return &r->icmp_id;
    case CMP_ICMP_SEQ: *max = 65535; return &r->icmp_seq;
    case CMP_TCP_SEQ: *max = UINT32_MAX; return &r->tcp_seq;
    case CMP_TCP_ACK: *max = UINT32_MAX; return &r->tcp_ack;
    case CMP_WINDOW: *max = 65535; return &r->tcp_window;
    default: *max = 255; return &r->ip_proto;
    }
}

static int set_cmp(struct rp_ctx *c, const struct rp_kw *k, const char *v)
{
    uint64_t max;
    struct det_cmp *f = cmp_field(c->r, k->arg, &max);
    if (f->present)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate %s", k->name);
    if (!parse_size(v, max, &f->v))
        return rp_fail(c, MM_EINVAL, NULL, "%s: bad value '%.40s' (max %llu)", k->name, v,
                       (unsigned long long)max);
    f->present = true;
    return 0;
}

static int kw_cmp(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    return set_cmp(c, k, v);
}

/* ip_proto: a number or a protocol name, with Suricata's '!', '<', '>' prefixes. */
static int kw_ip_proto(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    static const struct {
        const char *name;
        unsigned num;
    } names[] = {
        {"hopopt", 0},      {"icmp", 1},       {"igmp", 2},       {"ipip", 4},
        {"tcp", 6},         {"egp", 8},        {"udp", 17},       {"ipv6", 41},
        {"ipv6-route", 43}, {"ipv6-frag", 44}, {"rsvp", 46},      {"gre", 47},
        {"esp", 50},        {"ah", 51},        {"ipv6-icmp", 58}, {"icmpv6", 58},
        {"ipv6-nonxt", 59}, {"ipv6-opts", 60}, {"ospf", 89},      {"pim", 103},
        {"vrrp", 112},      {"l2tp", 115},     {"sctp", 132},     {"udplite", 136},
    };
    size_t pre = 0;
    while (v[pre] == '!' || v[pre] == '<' || v[pre] == '>')
        pre++;
    char *name = rp_trim(v + pre);
    if (is_digit(name[0]) || !name[0])
        return set_cmp(c, k, v);
    for (size_t i = 0; i < MM_ARRAY_LEN(names); i++) {
        if (strcasecmp(name, names[i].name) == 0) {
            char buf[16];
            snprintf(buf, sizeof buf, "%.*s%u", (int)(pre > 2 ? 2 : pre), v, names[i].num);
            return set_cmp(c, k, buf);
        }
    }
    return rp_fail(c, MM_EINVAL, NULL, "ip_proto: unknown protocol '%.40s'", name);
}

static int kw_flags(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    struct det_tcpflags *tf = &c->r->tcpflags;
    if (tf->present)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate %s", k->name);
    char *parts[2];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 1, 2, &n);
    if (rc)
        return rc;
    uint8_t bits[2] = {0, 0};
    char mode = 0;
    bool zero = false;
    for (size_t p = 0; p < n; p++) {
        for (const char *s = parts[p]; *s; s++) {
            uint8_t b = 0;
            switch (*s) {
            case 'F':
            case 'f': b = 0x01; break;
            case 'S':
            case 's': b = 0x02; break;
            case 'R':
            case 'r': b = 0x04; break;
            case 'P':
            case 'p': b = 0x08; break;
            case 'A':
            case 'a': b = 0x10; break;
            case 'U':
            case 'u': b = 0x20; break;
            case 'E':
            case 'e':
            case '2': b = 0x40; break;
            case 'C':
            case 'c':
            case '1': b = 0x80; break;
            case '0':
                if (p == 1)
                    return rp_fail(c, MM_EINVAL, NULL, "flags: '0' in the mask");
                zero = true;
                continue;
            case '+':
            case '*':
            case '!':
                if (p == 1 || mode)
                    return rp_fail(c, MM_EINVAL, NULL, "flags: misplaced modifier '%c'", *s);
                mode = *s;
                continue;
            case ' ': continue;
            default: return rp_fail(c, MM_EINVAL, NULL, "flags: unknown flag '%c'", *s);
            }
            bits[p] = (uint8_t)(bits[p] | b);
        }
    }
    if (zero && (bits[0] || mode))
        return rp_fail(c, MM_EINVAL, NULL, "flags: '0' (no flags) combined with flags");
    if (!zero && !bits[0])
        return rp_fail(c, MM_EINVAL, NULL, "flags: no flags given");
    tf->present = true;
    tf->set = bits[0];
    tf->ignore = bits[1];
    tf->mode = mode;
    return 0;
}

static int kw_stream_size(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    static const struct {
        const char *name;
        enum det_num_op op;
    } ops[] = {{"<", DET_OP_LT},  {">", DET_OP_GT},  {"=", DET_OP_EQ},
               {"!=", DET_OP_NE}, {"<=", DET_OP_LE}, {">=", DET_OP_GE}};
    static const char *const sides[] = {"server", "client", "both", "either"};
    struct det_stream_size *ss = &c->r->stream_size;
    if (ss->present)
        return rp_fail(c, MM_EINVAL, NULL, "stream_size given twice (one per rule is supported)");
    char *parts[3];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 3, 3, &n);
    if (rc)
        return rc;
    size_t i, j;
    for (i = 0; i < MM_ARRAY_LEN(sides) && strcmp(parts[0], sides[i]) != 0; i++)
        ;
    for (j = 0; j < MM_ARRAY_LEN(ops) && strcmp(parts[1], ops[j].name) != 0; j++)
        ;
    uint64_t val;
    if (i == MM_ARRAY_LEN(sides) || j == MM_ARRAY_LEN(ops) ||
        !rp_parse_u64(parts[2], UINT32_MAX, &val))
        return rp_fail(c, MM_EINVAL, NULL,
                       "stream_size: expected server|client|both|either, operator, number");
    ss->present = true;
    ss->side = (enum det_stream_side)i;
    ss->op = ops[j].op;
    ss->value = val;
    return 0;
}

/* ---------------- buffer sizes ---------------- */

/* Suricata refuses a bsize that the contents already in the buffer cannot satisfy. */
static bool bsize_fits(const struct det_list *l, const struct det_size *sz)
{
    uint64_t maxlen;
    switch (sz->op) {
    case DET_OP_EQ: maxlen = sz->lo; break;
    case DET_OP_LT: maxlen = sz->lo ? sz->lo - 1 : 0; break;
    case DET_OP_LE: maxlen = sz->lo; break;
    case DET_OP_RANGE: maxlen = sz->hi - 1; break;
    default: return true;
    }
    for (uint32_t i = 0; i < l->n_sms; i++) {
        const struct det_sm *sm = &l->sms[i];
        if (sm->type == DET_SM_CONTENT && !(sm->u.content.flags & DET_CT_NEGATED) &&
            sm->u.content.len > maxlen)
            return false;
    }
    return true;
}

static int kw_bsize(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    if (!c->cur_sticky)
        return rp_fail(c, MM_EINVAL, NULL, "bsize must follow a sticky buffer");
    struct det_size sz;
    if (!parse_size(v, UINT64_MAX, &sz))
        return rp_fail(c, MM_EINVAL, NULL, "%s: bad value '%.40s'", k->name, v);
    if (c->cur_list >= 0 && !bsize_fits(&c->r->lists[c->cur_list], &sz))
        return rp_fail(c, MM_EINVAL, NULL, "bsize:%s is smaller than a content of the buffer", v);
    struct det_sm *sm = rp_add_sm_cur(c, DET_SM_BSIZE);
    if (!sm)
        return c->err;
    sm->u.size = sz;
    return 0;
}

static int kw_urilen(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    char *parts[2];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 1, 2, &n);
    if (rc)
        return rc;
    enum det_buf buf = DET_BUF_HTTP_URI;
    if (n == 2) {
        if (strcmp(parts[1], "raw") == 0)
            buf = DET_BUF_HTTP_URI_RAW;
        else if (strcmp(parts[1], "norm") != 0)
            return rp_fail(c, MM_EINVAL, NULL, "urilen: expected 'raw' or 'norm'");
    }
    struct det_size sz;
    if (!parse_size(parts[0], 65535, &sz))
        return rp_fail(c, MM_EINVAL, NULL, "urilen: bad value '%.40s'", parts[0]);
    struct det_sm *sm = rp_add_sm(c, buf, 0, DET_SM_BSIZE, NULL);
    if (!sm)
        return c->err;
    sm->u.size = sz;
    return 0;
}

/* ---------------- isdataat, byte_* ---------------- */

static int kw_isdataat(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    char *parts[3];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 1, 3, &n);
    if (rc)
        return rc;
    struct det_isdataat d = {0};
    char *num = parts[0];
    if (num[0] == '!') {
        d.negated = true;
        num = rp_trim(num + 1);
    }
    rc = num_or_var(c, k->name, num, 0, 65535, &d.off);
    if (rc)
        return rc;
    for (size_t i = 1; i < n; i++) {
        if (strcmp(parts[i], "relative") == 0 && !d.relative)
            d.relative = true;
        else if (strcmp(parts[i], "rawbytes") == 0 && !d.rawbytes)
            d.rawbytes = true;
        else
            return rp_fail(c, MM_EINVAL, NULL, "isdataat: unexpected '%.40s'", parts[i]);
    }
    struct det_sm *sm = rp_add_sm_cur(c, DET_SM_ISDATAAT);
    if (!sm)
        return c->err;
    sm->u.isdataat = d;
    return 0;
}

/* Options byte_test, byte_jump and byte_extract share. */
struct byte_opts {
    uint32_t flags;
    uint8_t base;
    uint64_t bitmask;
    bool endian_set, base_set;
};

/* 1 when `s` was one of the shared options, 0 when not, <0 after rp_fail. */
static int byte_common_opt(struct rp_ctx *c, const char *kw, char *s, struct byte_opts *o)
{
    if (strcmp(s, "relative") == 0) {
        o->flags |= DET_BYTE_RELATIVE;
    } else if (strcmp(s, "big") == 0 || strcmp(s, "little") == 0) {
        if (o->endian_set)
            return rp_fail(c, MM_EINVAL, NULL, "%s: endianness given twice", kw);
        o->endian_set = true;
        if (s[0] == 'l')
            o->flags |= DET_BYTE_LITTLE;
    } else if (strcmp(s, "string") == 0) {
        o->flags |= DET_BYTE_STRING;
    } else if (strcmp(s, "hex") == 0 || strcmp(s, "dec") == 0 || strcmp(s, "oct") == 0) {
        if (o->base_set)
            return rp_fail(c, MM_EINVAL, NULL, "%s: number base given twice", kw);
        o->base_set = true;
        o->base = s[0] == 'h' ? 16 : (s[0] == 'd' ? 10 : 8);
    } else if (strcmp(s, "dce") == 0) {
        return rp_fail(c, MM_EINVAL, NULL, "%s: dce is not supported (no DCE/RPC parser)", kw);
    } else if (strncmp(s, "bitmask", 7) == 0 && is_space(s[7])) {
        if (!rp_parse_u64(s + 8, UINT64_MAX, &o->bitmask) || o->bitmask == 0)
            return rp_fail(c, MM_EINVAL, NULL, "%s: bad bitmask", kw);
        o->flags |= DET_BYTE_BITMASK;
    } else {
        return 0;
    }
    return 1;
}

/* nbytes, checked against the string flag once all options are known (byte_finish). */
static int byte_nbytes(struct rp_ctx *c, const char *kw, const char *s, uint8_t *out)
{
    uint64_t n;
    if (!is_digit(s[0]))
        return rp_fail(c, MM_EINVAL, NULL, "%s: a variable as byte count is not supported", kw);
    if (!rp_parse_u64(s, 23, &n))
        return rp_fail(c, MM_EINVAL, NULL, "%s: byte count must be 1..8 (1..23 with string)", kw);
    *out = (uint8_t)n;
    return 0;
}

/* zero_ok: byte_test accepts 0 bytes with 'string', meaning "the digits present", as
 * Suricata's string conversion does (ET uses it on http.content_len). */
static int byte_finish(struct rp_ctx *c, const char *kw, uint8_t nbytes, struct byte_opts *o,
                       bool zero_ok)
{
    bool str = o->flags & DET_BYTE_STRING;
    if (o->base_set && !str)
        return rp_fail(c, MM_EINVAL, NULL, "%s: hex/dec/oct need 'string'", kw);
    if (str && !o->base_set)
        o->base = 10;
    if (nbytes == 0 && !(zero_ok && str))
        return rp_fail(c, MM_EINVAL, NULL, "%s: byte count must be 1..8 (1..23 with string)", kw);
    if (!str && nbytes > 8)
        return rp_fail(c, MM_EINVAL, NULL, "%s: more than 8 bytes need 'string'", kw);
    return 0;
}

static int kw_byte_test(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    static const struct {
        const char *name;
        enum det_num_op op;
    } ops[] = {{"<", DET_OP_LT},  {">", DET_OP_GT},  {"=", DET_OP_EQ}, {"<=", DET_OP_LE},
               {">=", DET_OP_GE}, {"&", DET_OP_AND}, {"^", DET_OP_OR}};
    char *parts[MAX_PARTS];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 4, MAX_PARTS, &n);
    if (rc)
        return rc;
    struct det_byte_test bt = {0};
    struct byte_opts o = {0};
    rc = byte_nbytes(c, k->name, parts[0], &bt.nbytes);
    if (rc)
        return rc;
    char *op = parts[1];
    if (op[0] == '!') {
        o.flags |= DET_BYTE_NEGATE;
        op = rp_trim(op + 1);
    }
    size_t i;
    if (op[0] == 0 && (o.flags & DET_BYTE_NEGATE)) {
        i = 2; /* a bare '!' means "not equal" */
    } else {
        for (i = 0; i < MM_ARRAY_LEN(ops) && strcmp(op, ops[i].name) != 0; i++)
            ;
        if (i == MM_ARRAY_LEN(ops))
            return rp_fail(c, MM_EINVAL, NULL, "byte_test: unknown operator '%.10s'", parts[1]);
    }
    bt.op = ops[i].op;
    rc = num_or_var(c, k->name, parts[2], 0, INT64_MAX, &bt.value);
    if (!rc)
        rc = num_or_var(c, k->name, parts[3], -INT32_MAX, INT32_MAX, &bt.offset);
    for (size_t j = 4; j < n && !rc; j++) {
        rc = byte_common_opt(c, k->name, parts[j], &o);
        if (rc == 0)
            rc = rp_fail(c, MM_EINVAL, NULL, "byte_test: unexpected '%.40s'", parts[j]);
        else if (rc > 0)
            rc = 0;
    }
    if (!rc)
        rc = byte_finish(c, k->name, bt.nbytes, &o, true);
    if (rc)
        return rc;
    bt.flags = o.flags;
    bt.base = o.base;
    bt.bitmask = o.bitmask;
    struct det_sm *sm = rp_add_sm_cur(c, DET_SM_BYTE_TEST);
    if (!sm)
        return c->err;
    sm->u.byte_test = bt;
    return 0;
}

static int kw_byte_jump(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    char *parts[MAX_PARTS];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 2, MAX_PARTS, &n);
    if (rc)
        return rc;
    struct det_byte_jump bj = {.multiplier = 1};
    struct byte_opts o = {0};
    bool have_mult = false, have_post = false;
    rc = byte_nbytes(c, k->name, parts[0], &bj.nbytes);
    if (!rc)
        rc = num_or_var(c, k->name, parts[1], -INT32_MAX, INT32_MAX, &bj.offset);
    for (size_t j = 2; j < n && !rc; j++) {
        char *key = NULL, *val = NULL;
        rc = byte_common_opt(c, k->name, parts[j], &o);
        if (rc) {
            rc = rc > 0 ? 0 : rc;
            continue;
        }
        if (strcmp(parts[j], "align") == 0) {
            o.flags |= DET_BYTE_ALIGN;
        } else if (strcmp(parts[j], "from_beginning") == 0) {
            o.flags |= DET_BYTE_FROM_BEGINNING;
        } else if (strcmp(parts[j], "from_end") == 0) {
            o.flags |= DET_BYTE_FROM_END;
        } else if (key_value(parts[j], &key, &val) && strcmp(key, "multiplier") == 0 &&
                   !have_mult) {
            int64_t m;
            if (!rp_parse_i64(val, 1, 65535, &m))
                rc = rp_fail(c, MM_EINVAL, NULL, "byte_jump: multiplier must be 1..65535");
            bj.multiplier = (int32_t)m;
            have_mult = true;
        } else if (key && strcmp(key, "post_offset") == 0 && !have_post) {
            int64_t m;
            if (!rp_parse_i64(val, -INT32_MAX, INT32_MAX, &m))
                rc = rp_fail(c, MM_EINVAL, NULL, "byte_jump: post_offset must be a 32-bit number");
            bj.post_offset = (int32_t)m;
            have_post = true;
        } else {
            rc = rp_fail(c, MM_EINVAL, NULL, "byte_jump: unexpected '%.40s'", parts[j]);
        }
    }
    if (!rc && (o.flags & DET_BYTE_FROM_BEGINNING) && (o.flags & DET_BYTE_FROM_END))
        rc = rp_fail(c, MM_EINVAL, NULL, "byte_jump: from_beginning and from_end together");
    if (!rc)
        rc = byte_finish(c, k->name, bj.nbytes, &o, false);
    if (rc)
        return rc;
    bj.flags = o.flags;
    bj.base = o.base;
    bj.bitmask = o.bitmask;
    struct det_sm *sm = rp_add_sm_cur(c, DET_SM_BYTE_JUMP);
    if (!sm)
        return c->err;
    sm->u.byte_jump = bj;
    return 0;
}

static int kw_byte_extract(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    char *parts[MAX_PARTS];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, 3, MAX_PARTS, &n);
    if (rc)
        return rc;
    struct det_byte_extract be = {.multiplier = 1};
    struct byte_opts o = {0};
    bool have_mult = false;
    int64_t off;
    rc = byte_nbytes(c, k->name, parts[0], &be.nbytes);
    if (rc)
        return rc;
    if (!rp_parse_i64(parts[1], -INT32_MAX, INT32_MAX, &off))
        return rp_fail(c, MM_EINVAL, NULL, "byte_extract: offset must be a 32-bit number");
    be.offset = (int32_t)off;
    const char *name = parts[2];
    if (is_digit(name[0]) || name[0] == '-' || !name_ok(name, RP_VAR_NAME_MAX))
        return rp_fail(c, MM_EINVAL, NULL, "byte_extract: bad variable name '%.40s'", name);
    if (find_var(c, name) >= 0)
        return rp_fail(c, MM_EINVAL, NULL, "byte_extract: variable '%s' defined twice", name);
    if (c->n_vars >= DET_MAX_VARS)
        return rp_fail(c, MM_EINVAL, NULL, "more than %u byte_extract variables", DET_MAX_VARS);
    for (size_t j = 3; j < n && !rc; j++) {
        char *key = NULL, *val = NULL;
        rc = byte_common_opt(c, k->name, parts[j], &o);
        if (rc) {
            rc = rc > 0 ? 0 : rc;
            continue;
        }
        if (!key_value(parts[j], &key, &val)) {
            rc = rp_fail(c, MM_EINVAL, NULL, "byte_extract: unexpected '%.40s'", parts[j]);
        } else if (strcmp(key, "multiplier") == 0 && !have_mult) {
            int64_t m;
            if (!rp_parse_i64(val, 1, 65535, &m))
                rc = rp_fail(c, MM_EINVAL, NULL, "byte_extract: multiplier must be 1..65535");
            be.multiplier = (int32_t)m;
            have_mult = true;
        } else if (strcmp(key, "align") == 0 && !be.align) {
            if (strcmp(val, "2") != 0 && strcmp(val, "4") != 0)
                rc = rp_fail(c, MM_EINVAL, NULL, "byte_extract: align must be 2 or 4");
            be.align = (uint8_t)(val[0] - '0');
            o.flags |= DET_BYTE_ALIGN;
        } else {
            rc = rp_fail(c, MM_EINVAL, NULL, "byte_extract: unexpected '%.40s'", parts[j]);
        }
    }
    if (!rc)
        rc = byte_finish(c, k->name, be.nbytes, &o, false);
    if (rc)
        return rc;
    be.flags = o.flags;
    be.base = o.base;
    be.bitmask = o.bitmask;
    be.var = (int8_t)c->n_vars;
    struct det_sm *sm = rp_add_sm_cur(c, DET_SM_BYTE_EXTRACT);
    if (!sm)
        return c->err;
    sm->u.byte_extract = be;
    snprintf(c->var_names[c->n_vars], sizeof c->var_names[0], "%s", name);
    c->n_vars++;
    return 0;
}

/* ---------------- thresholds ---------------- */

static int parse_track(const char *s, enum det_track *t)
{
    if (strcmp(s, "by_src") == 0)
        *t = DET_TRACK_SRC;
    else if (strcmp(s, "by_dst") == 0)
        *t = DET_TRACK_DST;
    else if (strcmp(s, "by_rule") == 0)
        *t = DET_TRACK_RULE;
    else if (strcmp(s, "by_both") == 0)
        *t = DET_TRACK_BOTH;
    else
        return -1;
    return 0;
}

/* threshold (with type) and detection_filter (without): "key value" parts in any order. */
static int kw_threshold(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    bool df = k->arg != 0;
    struct det_rule *r = c->r;
    if (df ? r->has_detection_filter : r->has_threshold)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate %s", k->name);
    char *parts[6];
    size_t n;
    int rc = need_parts(c, k->name, v, parts, df ? 3 : 4, 6, &n);
    if (rc)
        return rc;
    struct det_threshold t = {.type = DET_THR_DETECTION_FILTER};
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        char *key, *val;
        uint64_t num;
        if (!key_value(parts[i], &key, &val))
            return rp_fail(c, MM_EINVAL, NULL, "%s: expected 'key value' pairs", k->name);
        unsigned bit;
        if (strcmp(key, "type") == 0 && !df) {
            bit = 1;
            if (strcmp(val, "limit") == 0)
                t.type = DET_THR_LIMIT;
            else if (strcmp(val, "threshold") == 0)
                t.type = DET_THR_THRESHOLD;
            else if (strcmp(val, "both") == 0)
                t.type = DET_THR_BOTH;
            else
                return rp_fail(c, MM_EINVAL, NULL, "%s: type must be limit, threshold or both",
                               k->name);
        } else if (strcmp(key, "track") == 0) {
            bit = 2;
            if (strcmp(val, "by_flow") == 0)
                return rp_fail(c, MM_EINVAL, NULL, "%s: track by_flow is not supported", k->name);
            if (parse_track(val, &t.track) < 0)
                return rp_fail(c, MM_EINVAL, NULL,
                               "%s: track must be by_src, by_dst, by_rule or by_both", k->name);
        } else if (strcmp(key, "count") == 0) {
            bit = 4;
            if (!rp_parse_u64(val, UINT32_MAX, &num) || num == 0)
                return rp_fail(c, MM_EINVAL, NULL, "%s: count must be 1..4294967295", k->name);
            t.count = (uint32_t)num;
        } else if (strcmp(key, "seconds") == 0) {
            bit = 8;
            if (!rp_parse_u64(val, UINT32_MAX, &num) || num == 0)
                return rp_fail(c, MM_EINVAL, NULL, "%s: seconds must be 1..4294967295", k->name);
            t.seconds = (uint32_t)num;
        } else {
            return rp_fail(c, MM_EINVAL, NULL, "%s: unexpected '%.40s'", k->name, key);
        }
        if (seen & bit)
            return rp_fail(c, MM_EINVAL, NULL, "%s: '%s' given twice", k->name, key);
        seen |= bit;
    }
    if (seen != (df ? 14u : 15u))
        return rp_fail(c, MM_EINVAL, NULL, "%s needs %s", k->name,
                       df ? "track, count and seconds" : "type, track, count and seconds");
    if (df) {
        r->detection_filter = t;
        r->has_detection_filter = true;
    } else {
        r->threshold = t;
        r->has_threshold = true;
    }
    return 0;
}

static int kw_app_layer_protocol(struct rp_ctx *c, const struct rp_kw *k, char *v)
{
    static const struct {
        const char *name;
        int app;
    } names[] = {
        {"http", APP_PROTO_HTTP}, {"http1", APP_PROTO_HTTP},    {"tls", APP_PROTO_TLS},
        {"ssl", APP_PROTO_TLS},   {"dns", APP_PROTO_DNS},       {"smtp", APP_PROTO_SMTP},
        {"pop3", APP_PROTO_POP3}, {"imap", APP_PROTO_IMAP},     {"ftp", APP_PROTO_FTP},
        {"ssh", APP_PROTO_SSH},   {"failed", APP_PROTO_FAILED},
    };
    if (c->alp_set)
        return rp_fail(c, MM_EINVAL, NULL, "duplicate %s", k->name);
    bool neg = false;
    if (v[0] == '!') {
        neg = true;
        v = rp_trim(v + 1);
    }
    if (strchr(v, ','))
        return rp_fail(c, MM_EINVAL, k->name, "%s: modes (',final' ...) are not supported",
                       k->name);
    for (size_t i = 0; i < MM_ARRAY_LEN(names); i++) {
        if (strcasecmp(v, names[i].name) == 0) {
            c->alp = names[i].app;
            c->alp_neg = neg;
            c->alp_set = true;
            return 0;
        }
    }
    return rp_fail(c, MM_EINVAL, k->name, "app-layer-protocol: unsupported protocol '%.40s'", v);
}

/* ---------------- the table ---------------- */

#define META(n, f)                                                                                 \
    {                                                                                              \
        n, f, 0, RP_VAL_REQ                                                                        \
    }
#define FLAG(n, f)                                                                                 \
    {                                                                                              \
        n, f, 0, RP_VAL_NONE                                                                       \
    }
#define STICKY(n, b)                                                                               \
    {                                                                                              \
        n, kw_sticky, b, RP_VAL_NONE                                                               \
    }
#define LEGACY(n, b)                                                                               \
    {                                                                                              \
        n, kw_legacy_buf, b, RP_VAL_NONE                                                           \
    }
#define XFORM(n, x)                                                                                \
    {                                                                                              \
        n, kw_xform, x, RP_VAL_NONE                                                                \
    }
#define CMP(n, w)                                                                                  \
    {                                                                                              \
        n, kw_cmp, w, RP_VAL_REQ                                                                   \
    }

const struct rp_kw det_rp_keywords[] = {
    META("msg", kw_msg),
    META("sid", kw_sid),
    {"rev", kw_rev_gid, 0, RP_VAL_REQ},
    {"gid", kw_rev_gid, 1, RP_VAL_REQ},
    META("classtype", kw_classtype),
    META("priority", kw_priority),
    META("reference", kw_reference),
    META("metadata", kw_metadata),
    META("target", kw_target),
    FLAG("noalert", kw_noalert),

    META("content", kw_content),
    META("uricontent", kw_uricontent),
    FLAG("nocase", kw_nocase),
    FLAG("rawbytes", kw_rawbytes),
    {"depth", kw_position, POS_DEPTH, RP_VAL_REQ},
    {"offset", kw_position, POS_OFFSET, RP_VAL_REQ},
    {"distance", kw_position, POS_DISTANCE, RP_VAL_REQ},
    {"within", kw_position, POS_WITHIN, RP_VAL_REQ},
    FLAG("startswith", kw_startswith),
    FLAG("endswith", kw_endswith),
    {"fast_pattern", kw_fast_pattern, 0, RP_VAL_OPT},
    META("pcre", kw_pcre),

    FLAG("pkt_data", kw_pkt_data),
    STICKY("http.uri", DET_BUF_HTTP_URI),
    STICKY("http.uri.raw", DET_BUF_HTTP_URI_RAW),
    STICKY("http.method", DET_BUF_HTTP_METHOD),
    STICKY("http.request_line", DET_BUF_HTTP_REQUEST_LINE),
    /* These five were sticky buffers under their underscore names before Suricata 6
     * renamed them (unlike http_uri etc., which are content modifiers). */
    STICKY("http_request_line", DET_BUF_HTTP_REQUEST_LINE),
    STICKY("http_response_line", DET_BUF_HTTP_RESPONSE_LINE),
    STICKY("http_header_names", DET_BUF_HTTP_HEADER_NAMES),
    STICKY("http_start", DET_BUF_HTTP_START),
    STICKY("http_protocol", DET_BUF_HTTP_PROTOCOL),
    STICKY("http.protocol", DET_BUF_HTTP_PROTOCOL),
    STICKY("http.header", DET_BUF_HTTP_HEADER),
    STICKY("http.header.raw", DET_BUF_HTTP_HEADER_RAW),
    STICKY("http.header_names", DET_BUF_HTTP_HEADER_NAMES),
    STICKY("http.cookie", DET_BUF_HTTP_COOKIE),
    STICKY("http.user_agent", DET_BUF_HTTP_USER_AGENT),
    STICKY("http.host", DET_BUF_HTTP_HOST),
    STICKY("http.host.raw", DET_BUF_HTTP_HOST_RAW),
    STICKY("http.referer", DET_BUF_HTTP_REFERER),
    STICKY("http.content_type", DET_BUF_HTTP_CONTENT_TYPE),
    STICKY("http.content_len", DET_BUF_HTTP_CONTENT_LEN),
    STICKY("http.accept", DET_BUF_HTTP_ACCEPT),
    STICKY("http.accept_enc", DET_BUF_HTTP_ACCEPT_ENC),
    STICKY("http.accept_lang", DET_BUF_HTTP_ACCEPT_LANG),
    STICKY("http.connection", DET_BUF_HTTP_CONNECTION),
    STICKY("http.start", DET_BUF_HTTP_START),
    STICKY("http.request_body", DET_BUF_HTTP_REQUEST_BODY),
    STICKY("http.client_body", DET_BUF_HTTP_REQUEST_BODY),
    STICKY("http.stat_code", DET_BUF_HTTP_STAT_CODE),
    STICKY("http.stat_msg", DET_BUF_HTTP_STAT_MSG),
    STICKY("http.response_line", DET_BUF_HTTP_RESPONSE_LINE),
    STICKY("http.server", DET_BUF_HTTP_SERVER),
    STICKY("http.location", DET_BUF_HTTP_LOCATION),
    STICKY("http.response_body", DET_BUF_HTTP_RESPONSE_BODY),
    STICKY("http.server_body", DET_BUF_HTTP_RESPONSE_BODY),
    STICKY("file.data", DET_BUF_FILE_DATA),
    STICKY("file_data", DET_BUF_FILE_DATA),
    STICKY("dns.query", DET_BUF_DNS_QUERY),
    STICKY("dns_query", DET_BUF_DNS_QUERY),
    STICKY("tls.sni", DET_BUF_TLS_SNI),
    STICKY("tls_sni", DET_BUF_TLS_SNI),
    STICKY("tls.cert_subject", DET_BUF_TLS_CERT_SUBJECT),
    STICKY("tls_cert_subject", DET_BUF_TLS_CERT_SUBJECT),
    STICKY("tls.cert_issuer", DET_BUF_TLS_CERT_ISSUER),
    STICKY("tls_cert_issuer", DET_BUF_TLS_CERT_ISSUER),
    STICKY("tls.cert_serial", DET_BUF_TLS_CERT_SERIAL),
    STICKY("tls_cert_serial", DET_BUF_TLS_CERT_SERIAL),
    STICKY("tls.cert_fingerprint", DET_BUF_TLS_CERT_FINGERPRINT),
    STICKY("tls_cert_fingerprint", DET_BUF_TLS_CERT_FINGERPRINT),
    STICKY("tls.certs", DET_BUF_TLS_CERTS),
    STICKY("ja3.hash", DET_BUF_JA3_HASH),
    STICKY("ja3_hash", DET_BUF_JA3_HASH),
    STICKY("ja3.string", DET_BUF_JA3_STRING),
    STICKY("ja3_string", DET_BUF_JA3_STRING),
    STICKY("ja3s.hash", DET_BUF_JA3S_HASH),
    STICKY("ja3s_hash", DET_BUF_JA3S_HASH),
    STICKY("ja3s.string", DET_BUF_JA3S_STRING),
    STICKY("ja4.hash", DET_BUF_JA4_HASH),
    STICKY("ssh.proto", DET_BUF_SSH_PROTO),
    STICKY("ssh_proto", DET_BUF_SSH_PROTO),
    STICKY("ssh.software", DET_BUF_SSH_SOFTWARE),
    STICKY("ssh_software", DET_BUF_SSH_SOFTWARE),
    STICKY("ssh.hassh", DET_BUF_SSH_HASSH),
    STICKY("ssh.hassh.string", DET_BUF_SSH_HASSH_STRING),
    STICKY("ssh.hassh.server", DET_BUF_SSH_HASSH_SERVER),
    STICKY("ssh.hassh.server.string", DET_BUF_SSH_HASSH_SERVER_STRING),
    STICKY("file.name", DET_BUF_FILE_NAME),
    STICKY("file.magic", DET_BUF_FILE_MAGIC),
    {"filename", kw_file_legacy, DET_BUF_FILE_NAME, RP_VAL_OPT},
    {"filemagic", kw_file_legacy, DET_BUF_FILE_MAGIC, RP_VAL_OPT},
    STICKY("smtp.helo", DET_BUF_SMTP_HELO),
    STICKY("smtp.mail_from", DET_BUF_SMTP_MAIL_FROM),
    STICKY("smtp.rcpt_to", DET_BUF_SMTP_RCPT_TO),
    STICKY("email.from", DET_BUF_EMAIL_FROM),
    STICKY("email.to", DET_BUF_EMAIL_TO),
    STICKY("email.cc", DET_BUF_EMAIL_CC),
    STICKY("email.subject", DET_BUF_EMAIL_SUBJECT),
    STICKY("email.date", DET_BUF_EMAIL_DATE),
    STICKY("email.message_id", DET_BUF_EMAIL_MESSAGE_ID),
    STICKY("email.x_mailer", DET_BUF_EMAIL_X_MAILER),

    LEGACY("http_uri", DET_BUF_HTTP_URI),
    LEGACY("http_raw_uri", DET_BUF_HTTP_URI_RAW),
    LEGACY("http_method", DET_BUF_HTTP_METHOD),
    LEGACY("http_header", DET_BUF_HTTP_HEADER),
    LEGACY("http_raw_header", DET_BUF_HTTP_HEADER_RAW),
    LEGACY("http_cookie", DET_BUF_HTTP_COOKIE),
    LEGACY("http_user_agent", DET_BUF_HTTP_USER_AGENT),
    LEGACY("http_host", DET_BUF_HTTP_HOST),
    LEGACY("http_raw_host", DET_BUF_HTTP_HOST_RAW),
    LEGACY("http_client_body", DET_BUF_HTTP_REQUEST_BODY),
    LEGACY("http_server_body", DET_BUF_HTTP_RESPONSE_BODY),
    LEGACY("http_stat_code", DET_BUF_HTTP_STAT_CODE),
    LEGACY("http_stat_msg", DET_BUF_HTTP_STAT_MSG),
    LEGACY("http_content_type", DET_BUF_HTTP_CONTENT_TYPE),
    LEGACY("http_referer", DET_BUF_HTTP_REFERER),
    LEGACY("http_accept", DET_BUF_HTTP_ACCEPT),
    LEGACY("http_accept_enc", DET_BUF_HTTP_ACCEPT_ENC),
    LEGACY("http_accept_lang", DET_BUF_HTTP_ACCEPT_LANG),
    LEGACY("http_connection", DET_BUF_HTTP_CONNECTION),
    LEGACY("http_content_len", DET_BUF_HTTP_CONTENT_LEN),
    LEGACY("http_location", DET_BUF_HTTP_LOCATION),
    LEGACY("http_server", DET_BUF_HTTP_SERVER),

    XFORM("dotprefix", DET_XF_DOTPREFIX),
    XFORM("to_lowercase", DET_XF_TO_LOWERCASE),
    XFORM("to_uppercase", DET_XF_TO_UPPERCASE),
    XFORM("strip_whitespace", DET_XF_STRIP_WHITESPACE),
    XFORM("compress_whitespace", DET_XF_COMPRESS_WHITESPACE),
    XFORM("url_decode", DET_XF_URL_DECODE),

    META("flow", kw_flow),
    META("flowbits", kw_flowbits),
    META("flowint", kw_flowint),
    META("xbits", kw_xbits),

    CMP("dsize", CMP_DSIZE),
    CMP("ttl", CMP_TTL),
    CMP("itype", CMP_ITYPE),
    CMP("icode", CMP_ICODE),
    CMP("icmp_id", CMP_ICMP_ID),
    CMP("icmp_seq", CMP_ICMP_SEQ),
    CMP("tcp.seq", CMP_TCP_SEQ),
    CMP("seq", CMP_TCP_SEQ),
    CMP("tcp.ack", CMP_TCP_ACK),
    CMP("ack", CMP_TCP_ACK),
    CMP("window", CMP_WINDOW),
    {"ip_proto", kw_ip_proto, CMP_IP_PROTO, RP_VAL_REQ},
    META("flags", kw_flags),
    META("tcp.flags", kw_flags),
    META("stream_size", kw_stream_size),
    META("bsize", kw_bsize),
    META("urilen", kw_urilen),

    META("isdataat", kw_isdataat),
    META("byte_test", kw_byte_test),
    META("byte_jump", kw_byte_jump),
    META("byte_extract", kw_byte_extract),

    {"threshold", kw_threshold, 0, RP_VAL_REQ},
    {"detection_filter", kw_threshold, 1, RP_VAL_REQ},
    META("app-layer-protocol", kw_app_layer_protocol),
};

const size_t det_rp_n_keywords = MM_ARRAY_LEN(det_rp_keywords);
