/*
 * The option-chain matcher: everything of a rule after its header, evaluated as Suricata 7
 * evaluates it (payload-keywords, flow-keywords, header-keywords of its user guide).
 *
 * A buffer list is walked in rule order with a cursor: the end of the previous match
 * (Suricata's "buffer_offset"). Relative options start from it, absolute ones ignore it.
 *
 *   content  absolute window [offset, offset + depth); relative window
 *            [cursor + distance, cursor + distance + within) (distance clamped at 0);
 *            startswith: the window is the first len bytes; endswith: the match must end
 *            at the buffer's end. A match moves the cursor to its end; a negated content
 *            must not occur in its window and leaves the cursor alone.
 *   pcre     without R on the whole buffer, with R on the bytes after the cursor (so ^
 *            anchors at the cursor); the match end becomes the cursor.
 *   byte_*   read 0..8 bytes (or up to 23 text digits) at [cursor +] offset; byte_jump and
 *            byte_extract move the cursor, byte_test does not.
 *   isdataat absolute: N < len; relative: cursor + N <= len (Suricata's 1-byte asymmetry).
 *   bsize    the buffer length.
 *
 * Backtracking: when a later option that depends on the cursor fails, a content or pcre is
 * retried at its next occurrence. Each option evaluation and each retry spends one step of
 * a budget of DET_MATCH_BUDGET per list (Suricata's inspection recursion limit), so a hostile
 * buffer costs bounded, not exponential, time; an exhausted budget is "no match". An option
 * whose outcome cannot depend on earlier options (absolute, constant operands) ends the list
 * at once when it fails, since no retry could change it.
 *
 * Not done here: the rule header (the engine checked it) and threshold/detection_filter
 * (threshold.c). stream_size compares Suricata's per-direction sequence-space size, which
 * is the payload a side has sent plus one for its SYN: the flow's payload counters + 1
 * (retransmitted bytes count twice, as the flow layer sees every packet).
 */
#include "detect/detect_int.h"

#include "app/app.h"
#include "core/mm.h"
#include "detect/rule_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Option evaluations and retries per list evaluation (Suricata: inspection-recursion-limit). */
#define DET_MATCH_BUDGET 3000u
/* Longest text number byte_test/byte_jump/byte_extract read (Suricata: 23, octal with a
 * leading zero is the longest text that fits 64 bits). */
#define DET_BYTE_STRING_MAX 23u
/* xbits: expiry when a rule gives none (Suricata's default). */
#define DET_XBITS_EXPIRE_DEFAULT_S 30u
#define NS_PER_S 1000000000ull

enum ev {
    EV_MATCH = 0,
    EV_NOMATCH, /* this path failed; an earlier content/pcre may retry */
    EV_STOP,    /* the list cannot match (budget spent, or a failure no retry can change) */
};

/* One list evaluation. The KMP scratch lives here (not in the recursive frames) and is
 * rebuilt only when another nocase pattern is searched. */
struct det_eval {
    struct det_match_ctx *mc;
    const struct det_list *l;
    const uint8_t *buf;
    uint32_t len;
    uint32_t steps;                        /* budget left */
    uint64_t dep[(DET_MAX_SMS + 63) / 64]; /* bit i: options after i read the cursor i sets */
    pcre2_match_data *local_md;            /* when mc->md is NULL (tests) */
    /* Per content: a window [from, end) known to hold no occurrence. Retries of earlier
     * options often ask again for a sub-window; answering those from here keeps a hostile
     * buffer at one scan instead of one per step. end 0: nothing known. */
    struct {
        uint32_t from, end;
    } miss[DET_MAX_SMS];
    int64_t kmp_sm; /* option whose table is in kmp/fold, -1 none */
    uint16_t kmp[DET_CONTENT_MAX];
    uint8_t fold[DET_CONTENT_MAX];
};

static enum ev eval_from(struct det_eval *e, uint32_t i, uint32_t cursor);

/* ---------------- small helpers ---------------- */

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static uint8_t ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

/* An operand: the constant or the byte_extract variable (saturated to int64). */
static bool num_get(const struct det_match_ctx *mc, const struct det_num *n, int64_t *out)
{
    if (n->var < 0) {
        *out = n->v;
        return true;
    }
    if (n->var >= DET_MAX_VARS)
        return false;
    uint64_t v = mc->vars[n->var];
    *out = v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
    return true;
}

/* bsize/dsize/ttl ... compares. Ranges are exclusive, as Suricata's integer keywords. */
static bool size_cmp(const struct det_size *s, uint64_t v)
{
    switch (s->op) {
    case DET_OP_LT: return v < s->lo;
    case DET_OP_GT: return v > s->lo;
    case DET_OP_LE: return v <= s->lo;
    case DET_OP_GE: return v >= s->lo;
    case DET_OP_EQ: return v == s->lo;
    case DET_OP_NE: return v != s->lo;
    case DET_OP_RANGE: return v > s->lo && v < s->hi;
    case DET_OP_NOT_RANGE: return !(v > s->lo && v < s->hi);
    case DET_OP_AND:
    case DET_OP_OR: break;
    }
    return false;
}

static bool op_cmp(enum det_num_op op, uint64_t a, uint64_t b)
{
    struct det_size s = {.op = op, .lo = b, .hi = 0};
    return size_cmp(&s, a);
}

static bool spend(struct det_eval *e)
{
    if (e->steps == 0)
        return false;
    e->steps--;
    return true;
}

static bool dep_after(const struct det_eval *e, uint32_t i)
{
    return i >= DET_MAX_SMS || (e->dep[i / 64] >> (i % 64)) & 1u;
}

/* ---------------- option properties (for backtracking) ---------------- */

static bool content_relative(const struct det_content *c)
{
    return c->flags & (DET_CT_DISTANCE | DET_CT_WITHIN);
}

/* Reads the cursor the previous option left. */
static bool sm_reads_cursor(const struct det_sm *sm)
{
    switch (sm->type) {
    case DET_SM_CONTENT: return content_relative(&sm->u.content);
    case DET_SM_PCRE: return sm->u.pcre.flags & DET_PCRE_RELATIVE;
    case DET_SM_BYTE_TEST: return sm->u.byte_test.flags & DET_BYTE_RELATIVE;
    case DET_SM_BYTE_JUMP: return sm->u.byte_jump.flags & DET_BYTE_RELATIVE;
    case DET_SM_BYTE_EXTRACT: return sm->u.byte_extract.flags & DET_BYTE_RELATIVE;
    case DET_SM_ISDATAAT: return sm->u.isdataat.relative;
    case DET_SM_BSIZE: return false;
    }
    return true;
}

/* Sets a new cursor (so later options no longer see the one before it). */
static bool sm_moves_cursor(const struct det_sm *sm)
{
    switch (sm->type) {
    case DET_SM_CONTENT: return !(sm->u.content.flags & DET_CT_NEGATED);
    case DET_SM_PCRE: return !(sm->u.pcre.flags & DET_PCRE_NEGATED);
    case DET_SM_BYTE_JUMP:
    case DET_SM_BYTE_EXTRACT: return true;
    case DET_SM_BYTE_TEST:
    case DET_SM_ISDATAAT:
    case DET_SM_BSIZE: return false;
    }
    return false;
}

static bool num_is_const(const struct det_num *n)
{
    return n->var < 0;
}

/* The outcome depends on nothing earlier in the list: no cursor, no variable. */
static bool sm_independent(const struct det_sm *sm)
{
    if (sm_reads_cursor(sm))
        return false;
    switch (sm->type) {
    case DET_SM_CONTENT: {
        const struct det_content *c = &sm->u.content;
        return (!(c->flags & DET_CT_OFFSET) || num_is_const(&c->offset)) &&
               (!(c->flags & DET_CT_DEPTH) || num_is_const(&c->depth));
    }
    case DET_SM_BYTE_TEST:
        return num_is_const(&sm->u.byte_test.offset) && num_is_const(&sm->u.byte_test.value);
    case DET_SM_BYTE_JUMP: return num_is_const(&sm->u.byte_jump.offset);
    case DET_SM_ISDATAAT: return num_is_const(&sm->u.isdataat.off);
    case DET_SM_PCRE:
    case DET_SM_BYTE_EXTRACT:
    case DET_SM_BSIZE: return true;
    }
    return false;
}

/* dep bit i: some option after i reads the cursor i leaves (only then is retrying i useful). */
static void compute_dep(struct det_eval *e)
{
    memset(e->dep, 0, sizeof e->dep);
    uint32_t n = e->l->n_sms;
    bool next_dep = false; /* dep of option i+1 */
    for (uint32_t k = n; k-- > 1;) {
        const struct det_sm *nx = &e->l->sms[k];
        bool d = sm_reads_cursor(nx) || (!sm_moves_cursor(nx) && next_dep);
        if (d)
            e->dep[(k - 1) / 64] |= 1ull << ((k - 1) % 64);
        next_dep = d;
    }
}

static enum ev fail_at(const struct det_eval *e, uint32_t i)
{
    return sm_independent(&e->l->sms[i]) ? EV_STOP : EV_NOMATCH;
}

/* ---------------- content ---------------- */

/* The search window of a content for the given cursor; false when it is empty. */
static bool content_window(const struct det_eval *e, const struct det_content *c, uint32_t cursor,
                           uint32_t *ws, uint32_t *we)
{
    int64_t len = e->len, start = 0, end = len;
    if (content_relative(c)) {
        int64_t dist = 0, within;
        if ((c->flags & DET_CT_DISTANCE) && !num_get(e->mc, &c->distance, &dist))
            return false;
        int64_t rel = sat_add(cursor, dist);
        start = rel < 0 ? 0 : rel;
        if (c->flags & DET_CT_WITHIN) {
            /* Suricata: within counts from the cursor plus distance. */
            if (!num_get(e->mc, &c->within, &within))
                return false;
            end = sat_add(rel, within);
        }
    } else {
        int64_t off = 0, depth;
        if ((c->flags & DET_CT_OFFSET) && !num_get(e->mc, &c->offset, &off))
            return false;
        start = off < 0 ? 0 : off;
        if (c->flags & DET_CT_DEPTH) {
            if (!num_get(e->mc, &c->depth, &depth))
                return false;
            end = sat_add(start, depth);
        }
    }
    if (c->flags & DET_CT_STARTSWITH)
        end = MM_MIN(end, sat_add(start, c->len));
    if (end > len)
        end = len;
    if (start > end || end - start < (int64_t)c->len)
        return false;
    *ws = (uint32_t)start;
    *we = (uint32_t)end;
    return true;
}

/* nocase only matters for patterns with ASCII letters; others take the memmem path. */
static bool has_alpha(const uint8_t *p, uint32_t n)
{
    for (uint32_t k = 0; k < n; k++) {
        uint8_t lc = ascii_lower(p[k]);
        if (lc >= 'a' && lc <= 'z')
            return true;
    }
    return false;
}

static void kmp_build(struct det_eval *e, int64_t sm, const struct det_content *c)
{
    if (e->kmp_sm == sm)
        return;
    uint32_t m = c->len, k = 0;
    for (uint32_t i = 0; i < m; i++)
        e->fold[i] = ascii_lower(c->pat[i]);
    e->kmp[0] = 0;
    for (uint32_t i = 1; i < m; i++) {
        while (k > 0 && e->fold[i] != e->fold[k])
            k = e->kmp[k - 1];
        if (e->fold[i] == e->fold[k])
            k++;
        e->kmp[i] = (uint16_t)k;
    }
    e->kmp_sm = sm;
}

/* Case-folded search, linear in the haystack (KMP) so long hostile buffers stay cheap. */
static int64_t find_nocase(struct det_eval *e, int64_t sm, const struct det_content *c,
                           const uint8_t *h, uint32_t hl)
{
    uint32_t m = c->len;
    if (hl < m)
        return -1;
    /* Longer than the parser allows (only hand-built rules), or a window that leaves the
     * pattern few places (a content-type, a method, a short URI): compare at each place.
     * When the places times the length stay within twice the bytes involved, that is no
     * worse than KMP's linear bound and saves building its table for every rule. */
    if (m > DET_CONTENT_MAX || (uint64_t)(hl - m + 1) * m <= 2ull * ((uint64_t)hl + m)) {
        for (uint32_t j = 0; j + m <= hl; j++) {
            uint32_t k = 0;
            while (k < m && ascii_lower(h[j + k]) == ascii_lower(c->pat[k]))
                k++;
            if (k == m)
                return j;
        }
        return -1;
    }
    kmp_build(e, sm, c);
    uint32_t k = 0;
    for (uint32_t j = 0; j < hl; j++) {
        uint8_t ch = ascii_lower(h[j]);
        while (k > 0 && ch != e->fold[k])
            k = e->kmp[k - 1];
        if (ch == e->fold[k])
            k++;
        if (k == m)
            return (int64_t)j + 1 - m;
    }
    return -1;
}

static bool equal_at(const struct det_content *c, const uint8_t *p)
{
    if (!(c->flags & DET_CT_NOCASE))
        return memcmp(p, c->pat, c->len) == 0;
    for (uint32_t k = 0; k < c->len; k++)
        if (ascii_lower(p[k]) != ascii_lower(c->pat[k]))
            return false;
    return true;
}

/* The search itself; find_content checks the window and remembers misses. */
static int64_t search_window(struct det_eval *e, uint32_t sm, const struct det_content *c,
                             uint32_t from, uint32_t we)
{
    if (c->flags & DET_CT_ENDSWITH) {
        uint32_t at = e->len - c->len; /* the only place it may match */
        if (we != e->len || at < from)
            return -1;
        return equal_at(c, e->buf + at) ? (int64_t)at : -1;
    }
    if (c->len == 0)
        return from;
    const uint8_t *h = e->buf + from;
    uint32_t hl = we - from;
    int64_t pos;
    if ((c->flags & DET_CT_NOCASE) && has_alpha(c->pat, c->len)) {
        pos = find_nocase(e, sm, c, h, hl);
    } else {
        const uint8_t *p = memmem(h, hl, c->pat, c->len);
        pos = p ? p - h : -1;
    }
    return pos < 0 ? -1 : pos + from;
}

/* First occurrence of content sm at or after `from` ending by `we`; -1 when none. */
static int64_t find_content(struct det_eval *e, uint32_t sm, const struct det_content *c,
                            uint32_t from, uint32_t we)
{
    if (from > we || we - from < c->len)
        return -1;
    if (e->miss[sm].end && from >= e->miss[sm].from && we <= e->miss[sm].end)
        return -1;
    int64_t pos = search_window(e, sm, c, from, we);
    if (pos < 0) {
        e->miss[sm].from = from;
        e->miss[sm].end = we;
    }
    return pos;
}

static enum ev eval_content(struct det_eval *e, uint32_t i, uint32_t cursor)
{
    const struct det_content *c = &e->l->sms[i].u.content;
    uint32_t ws = 0, we = 0;
    bool have = content_window(e, c, cursor, &ws, &we);
    if (c->flags & DET_CT_NEGATED) {
        if (have && find_content(e, i, c, ws, we) >= 0)
            return fail_at(e, i);
        return eval_from(e, i + 1, cursor);
    }
    if (!have)
        return fail_at(e, i);
    int64_t pos = find_content(e, i, c, ws, we);
    if (pos < 0)
        return fail_at(e, i);
    for (;;) {
        enum ev r = eval_from(e, i + 1, (uint32_t)pos + c->len);
        if (r != EV_NOMATCH || !dep_after(e, i))
            return r;
        if (!spend(e))
            return EV_STOP;
        pos = find_content(e, i, c, (uint32_t)pos + 1, we);
        if (pos < 0)
            return EV_NOMATCH; /* earlier options may still retry */
    }
}

/* ---------------- pcre ---------------- */

/* MAMORI_PCRE_JIT=0 runs every pattern in the interpreter: memory checkers such as
 * valgrind cannot see into JIT-generated code and report its reads as uninitialised. */
static bool pcre_jit_wanted(void)
{
    static int wanted = -1;
    if (wanted < 0) {
        const char *v = getenv("MAMORI_PCRE_JIT");
        wanted = !(v && v[0] == '0' && !v[1]);
    }
    return wanted;
}

/* JIT on first use. The rule is read-only shared data except for this one flag: a rule set
 * is evaluated by one thread at a time, so the write cannot race. A JIT failure only means
 * the interpreter runs the pattern. */
static void pcre_jit_once(const struct det_pcre *pc)
{
    if (pc->jit_tried || !pc->re)
        return;
    struct det_pcre *w = (struct det_pcre *)(uintptr_t)pc;
    w->jit_tried = true;
    if (pcre_jit_wanted())
        (void)pcre2_jit_compile(w->re, PCRE2_JIT_COMPLETE);
}

static pcre2_match_data *match_data(struct det_eval *e)
{
    if (e->mc->md)
        return e->mc->md;
    if (!e->local_md)
        e->local_md = pcre2_match_data_create(32, NULL);
    return e->local_md;
}

/* Text digits in `base` (8, 10, 16): optional leading blanks and, for hex, "0x"; digits up
 * to the first non-digit; at least one digit and no overflow. */
static bool parse_digits(const uint8_t *p, uint32_t n, uint8_t base, uint64_t *out)
{
    if (base != 8 && base != 10 && base != 16)
        return false;
    uint32_t k = 0;
    while (k < n && (p[k] == ' ' || p[k] == '\t'))
        k++;
    if (base == 16 && n - k > 2 && p[k] == '0' && (p[k + 1] == 'x' || p[k + 1] == 'X'))
        k += 2;
    uint64_t v = 0;
    uint32_t digits = 0;
    for (; k < n; k++, digits++) {
        uint8_t ch = ascii_lower(p[k]);
        unsigned d;
        if (ch >= '0' && ch <= '9')
            d = (unsigned)(ch - '0');
        else if (ch >= 'a' && ch <= 'f')
            d = (unsigned)(ch - 'a') + 10u;
        else
            break;
        if (d >= base)
            break;
        if (__builtin_mul_overflow(v, base, &v) || __builtin_add_overflow(v, d, &v))
            return false;
    }
    if (digits == 0)
        return false;
    *out = v;
    return true;
}

/* pcre capturing into a variable: group 1 must be an unsigned decimal number. */
static bool pcre_store_capture(struct det_eval *e, const struct det_pcre *pc, const uint8_t *subj,
                               pcre2_match_data *md, int rc)
{
    if (pc->capture_var < 0)
        return true;
    if (pc->capture_var >= DET_MAX_VARS || rc == 1)
        return false;
    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    if (pcre2_get_ovector_count(md) < 2 || ov[2] == PCRE2_UNSET || ov[3] < ov[2] ||
        ov[3] - ov[2] > DET_BYTE_STRING_MAX)
        return false;
    uint64_t v;
    uint32_t n = (uint32_t)(ov[3] - ov[2]);
    if (!parse_digits(subj + ov[2], n, 10, &v))
        return false;
    e->mc->vars[pc->capture_var] = v;
    return true;
}

static enum ev eval_pcre(struct det_eval *e, uint32_t i, uint32_t cursor)
{
    const struct det_pcre *pc = &e->l->sms[i].u.pcre;
    bool neg = pc->flags & DET_PCRE_NEGATED;
    uint32_t base = (pc->flags & DET_PCRE_RELATIVE) ? cursor : 0;
    const uint8_t *subj = e->buf + base;
    size_t slen = e->len - base;
    pcre2_match_data *md = match_data(e);
    if (!pc->re || !md)
        return EV_STOP;
    pcre_jit_once(pc);
    size_t start = 0;
    bool found = false;
    for (;;) {
        int rc = pcre2_match(pc->re, subj, slen, start, 0, md, e->mc->mctx);
        if (rc == PCRE2_ERROR_NOMATCH) {
            if (neg)
                return eval_from(e, i + 1, cursor);
            return found ? EV_NOMATCH : fail_at(e, i);
        }
        if (rc < 0) {
            /* Match or depth limit, or another error: counted, and the list does not
             * match (retrying would only hit the limit again). */
            e->mc->pcre_errors++;
            return EV_STOP;
        }
        if (neg)
            return fail_at(e, i);
        const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t ms = ov[0], me = ov[1];
        if (me > slen)
            return EV_STOP;
        if (pcre_store_capture(e, pc, subj, md, rc)) {
            found = true;
            enum ev r = eval_from(e, i + 1, base + (uint32_t)me);
            if (r != EV_NOMATCH || !dep_after(e, i))
                return r;
        }
        if (!spend(e))
            return EV_STOP;
        /* Next occurrence: the leftmost match starting after this one's start. */
        start = MM_MAX(start, ms) + 1;
        if (start > slen)
            return found ? EV_NOMATCH : fail_at(e, i);
    }
}

/* ---------------- byte_test / byte_jump / byte_extract ---------------- */

/* nbytes at p as a big/little endian integer or as text digits. nbytes 0 reads 0. */
static bool read_value(const uint8_t *p, uint32_t nbytes, uint32_t flags, uint8_t base,
                       uint64_t *out)
{
    if (flags & DET_BYTE_STRING) {
        if (nbytes == 0 || nbytes > DET_BYTE_STRING_MAX)
            return false;
        return parse_digits(p, nbytes, base, out);
    }
    if (nbytes > 8)
        return false;
    uint64_t v = 0;
    for (uint32_t k = 0; k < nbytes; k++) {
        uint32_t idx = (flags & DET_BYTE_LITTLE) ? nbytes - 1 - k : k;
        v = (v << 8) | p[idx];
    }
    *out = v;
    return true;
}

/* Suricata: value & mask, then shifted right by the mask's trailing zero bits. */
static uint64_t apply_bitmask(uint64_t v, uint32_t flags, uint64_t mask)
{
    if (!(flags & DET_BYTE_BITMASK))
        return v;
    if (mask == 0)
        return 0;
    return (v & mask) >> __builtin_ctzll(mask);
}

/* Position of a read of nbytes at [cursor +] off; false when outside the buffer. */
static bool read_pos(const struct det_eval *e, bool relative, uint32_t cursor, int64_t off,
                     uint32_t nbytes, uint32_t *pos)
{
    int64_t p = sat_add(relative ? cursor : 0, off);
    if (p < 0 || p > (int64_t)e->len || e->len - (uint32_t)p < nbytes)
        return false;
    *pos = (uint32_t)p;
    return true;
}

static bool byte_test_ok(struct det_eval *e, const struct det_byte_test *bt, uint32_t cursor)
{
    int64_t off, want;
    uint32_t pos;
    uint64_t v;
    if (!num_get(e->mc, &bt->offset, &off) || !num_get(e->mc, &bt->value, &want))
        return false;
    uint32_t nbytes = bt->nbytes;
    if (!read_pos(e, bt->flags & DET_BYTE_RELATIVE, cursor, off, nbytes, &pos))
        return false;
    /* byte_test:0,...,string: the number is the rest of the buffer (Suricata 7; ET uses it
     * on http.content_len). */
    if (nbytes == 0 && (bt->flags & DET_BYTE_STRING))
        nbytes = e->len - pos;
    if (!read_value(e->buf + pos, nbytes, bt->flags, bt->base, &v))
        return false;
    v = apply_bitmask(v, bt->flags, bt->bitmask);
    uint64_t w = (uint64_t)want;
    bool r;
    switch (bt->op) {
    case DET_OP_AND: r = (v & w) != 0; break;
    case DET_OP_OR: /* Suricata's '^': the bits differ somewhere */ r = (v ^ w) != 0; break;
    default: r = op_cmp(bt->op, v, w); break;
    }
    return (bt->flags & DET_BYTE_NEGATE) ? !r : r;
}

/* Round up to a multiple of `to` (2 or 4); false on overflow. */
static bool align_up(uint64_t *v, uint64_t to)
{
    uint64_t rem = *v % to;
    return rem == 0 || !__builtin_add_overflow(*v, to - rem, v);
}

static bool byte_jump_target(struct det_eval *e, const struct det_byte_jump *bj, uint32_t cursor,
                             uint32_t *target)
{
    int64_t off;
    uint32_t pos;
    uint64_t v;
    if (!num_get(e->mc, &bj->offset, &off) ||
        !read_pos(e, bj->flags & DET_BYTE_RELATIVE, cursor, off, bj->nbytes, &pos) ||
        !read_value(e->buf + pos, bj->nbytes, bj->flags, bj->base, &v))
        return false;
    v = apply_bitmask(v, bj->flags, bj->bitmask);
    uint64_t mult = bj->multiplier > 0 ? (uint64_t)bj->multiplier : 1u;
    if (__builtin_mul_overflow(v, mult, &v) || v > (uint64_t)INT64_MAX)
        return false;
    if ((bj->flags & DET_BYTE_ALIGN) && !align_up(&v, 4))
        return false;
    int64_t jump = sat_add((int64_t)v, bj->post_offset);
    int64_t t;
    if (bj->flags & DET_BYTE_FROM_BEGINNING)
        t = jump;
    else if (bj->flags & DET_BYTE_FROM_END)
        t = sat_add(e->len, jump);
    else
        t = sat_add((int64_t)pos + bj->nbytes, jump);
    /* Suricata 7: a jump before the start lands on the start; the end itself is a valid
     * landing place (isdataat/endswith-style checks may follow), beyond it is not. */
    if (t < 0)
        t = 0;
    if (t > (int64_t)e->len)
        return false;
    *target = (uint32_t)t;
    return true;
}

static bool byte_extract_run(struct det_eval *e, const struct det_byte_extract *bx, uint32_t cursor,
                             uint32_t *next)
{
    uint32_t pos;
    uint64_t v;
    if (bx->var < 0 || bx->var >= DET_MAX_VARS ||
        !read_pos(e, bx->flags & DET_BYTE_RELATIVE, cursor, bx->offset, bx->nbytes, &pos) ||
        !read_value(e->buf + pos, bx->nbytes, bx->flags, bx->base, &v))
        return false;
    v = apply_bitmask(v, bx->flags, bx->bitmask);
    uint64_t mult = bx->multiplier > 0 ? (uint64_t)bx->multiplier : 1u;
    if (__builtin_mul_overflow(v, mult, &v))
        return false;
    uint64_t al = bx->align ? bx->align : ((bx->flags & DET_BYTE_ALIGN) ? 4u : 0u);
    if (al > 1 && !align_up(&v, al))
        return false;
    e->mc->vars[bx->var] = v;
    *next = pos + bx->nbytes; /* Suricata: byte_extract moves the relative cursor */
    return true;
}

static bool isdataat_ok(const struct det_eval *e, const struct det_isdataat *d, uint32_t cursor)
{
    int64_t n;
    bool present = false;
    if (num_get(e->mc, &d->off, &n) && n >= 0) {
        if (d->relative)
            present = sat_add(cursor, n) <= (int64_t)e->len;
        else
            present = n < (int64_t)e->len;
    }
    return d->negated ? !present : present;
}

/* ---------------- the list walk ---------------- */

static enum ev eval_from(struct det_eval *e, uint32_t i, uint32_t cursor)
{
    if (i >= e->l->n_sms)
        return EV_MATCH;
    if (!spend(e))
        return EV_STOP;
    const struct det_sm *sm = &e->l->sms[i];
    uint32_t next = cursor;
    bool ok = true;
    switch (sm->type) {
    case DET_SM_CONTENT: return eval_content(e, i, cursor);
    case DET_SM_PCRE: return eval_pcre(e, i, cursor);
    case DET_SM_BYTE_TEST: ok = byte_test_ok(e, &sm->u.byte_test, cursor); break;
    case DET_SM_BYTE_JUMP: ok = byte_jump_target(e, &sm->u.byte_jump, cursor, &next); break;
    case DET_SM_BYTE_EXTRACT: ok = byte_extract_run(e, &sm->u.byte_extract, cursor, &next); break;
    case DET_SM_ISDATAAT: ok = isdataat_ok(e, &sm->u.isdataat, cursor); break;
    case DET_SM_BSIZE: ok = size_cmp(&sm->u.size, e->len); break;
    default: return EV_STOP;
    }
    if (!ok)
        return fail_at(e, i);
    return eval_from(e, i + 1, next);
}

bool det_match_list(struct det_match_ctx *mc, const struct det_list *l, const uint8_t *buf,
                    uint32_t len)
{
    if (!buf && len)
        return false;
    if (l->n_sms > DET_MAX_SMS)
        return false; /* the parser never builds such a list */
    if (!buf)
        buf = (const uint8_t *)"";
    struct det_eval e;
    e.mc = mc;
    e.l = l;
    e.buf = buf;
    e.len = len;
    e.steps = DET_MATCH_BUDGET;
    e.local_md = NULL;
    e.kmp_sm = -1;
    memset(e.miss, 0, l->n_sms * sizeof e.miss[0]);
    compute_dep(&e);
    bool r = eval_from(&e, 0, 0) == EV_MATCH;
    if (e.local_md)
        pcre2_match_data_free(e.local_md);
    return r;
}

/* ---------------- conditions without a buffer ---------------- */

static bool flow_established(const struct flow *f)
{
    if (!f->pkts[0] || !f->pkts[1])
        return false;
    if (f->key.proto != 6)
        return true;
    /* Suricata keeps a TCP flow "established" through the half-closed states, so responses
     * riding on a FIN still match flow:established. */
    switch ((enum flow_tcp_state)f->tcp_state) {
    case TCPS_ESTABLISHED:
    case TCPS_FIN_WAIT1:
    case TCPS_FIN_WAIT2:
    case TCPS_CLOSING:
    case TCPS_CLOSE_WAIT: return true;
    default: return false;
    }
}

static bool flow_flags_match(const struct det_match_ctx *mc, uint32_t ff)
{
    const uint32_t need_flow = DET_FLOW_TO_SERVER | DET_FLOW_TO_CLIENT | DET_FLOW_ESTABLISHED |
                               DET_FLOW_NOT_ESTABLISHED | DET_FLOW_ONLY_STREAM | DET_FLOW_NO_STREAM;
    if (!ff)
        return true;
    if ((ff & need_flow) && !mc->flow)
        return false;
    if ((ff & DET_FLOW_TO_SERVER) && mc->dir != 0)
        return false;
    if ((ff & DET_FLOW_TO_CLIENT) && mc->dir != 1)
        return false;
    if ((ff & DET_FLOW_ESTABLISHED) && !flow_established(mc->flow))
        return false;
    if ((ff & DET_FLOW_NOT_ESTABLISHED) && flow_established(mc->flow))
        return false;
    /* Stream chunks and app-layer records come from reassembled data; packets do not. */
    bool from_stream = mc->stream || !mc->pkt;
    if ((ff & DET_FLOW_ONLY_STREAM) && !from_stream)
        return false;
    if ((ff & DET_FLOW_NO_STREAM) && from_stream)
        return false;
    bool frag = mc->pkt && (mc->pkt->flags & PKT_F_REASSEMBLED);
    if ((ff & DET_FLOW_ONLY_FRAG) && !frag)
        return false;
    if ((ff & DET_FLOW_NO_FRAG) && frag)
        return false;
    return true;
}

/* app-layer-protocol: a negated one needs a known protocol (Suricata waits for detection). */
static bool app_proto_match(const struct det_match_ctx *mc, const struct det_rule *r)
{
    if (r->app_proto == 0)
        return true;
    if (r->app_proto_negated)
        return mc->app_proto != APP_PROTO_UNKNOWN && mc->app_proto != r->app_proto;
    return mc->app_proto == r->app_proto;
}

static bool is_icmp(const struct packet *p)
{
    return p && (p->flags & PKT_F_L4) &&
           ((p->ip_ver == 4 && p->proto == 1) || (p->ip_ver == 6 && p->proto == 58));
}

static bool is_tcp(const struct packet *p)
{
    return p && (p->flags & PKT_F_L4) && p->proto == 6;
}

/* ICMP messages with identifier and sequence fields (echo, timestamp, info, mask). */
static bool icmp_has_id(const struct packet *p)
{
    if (!is_icmp(p))
        return false;
    if (p->ip_ver == 6)
        return p->icmp_type == 128 || p->icmp_type == 129;
    switch (p->icmp_type) {
    case 0:
    case 8:
    case 13:
    case 14:
    case 15:
    case 16:
    case 17:
    case 18: return true;
    default: return false;
    }
}

static bool cmp_ok(const struct det_cmp *c, bool have, uint64_t v)
{
    return !c->present || (have && size_cmp(&c->v, v));
}

/* flags: Suricata's modes; `ignore` bits are masked off first. */
static bool tcpflags_match(const struct det_tcpflags *t, uint8_t flags)
{
    uint8_t f = (uint8_t)(flags & ~t->ignore);
    switch (t->mode) {
    case '+': return (f & t->set) == t->set;
    case '*': return (f & t->set) != 0;
    case '!': return (f & t->set) != t->set;
    default: return f == t->set;
    }
}

static bool packet_conditions_match(const struct det_match_ctx *mc, const struct det_rule *r)
{
    const struct packet *p = mc->pkt;
    bool ip = p && p->ip_ver != 0;
    if (!cmp_ok(&r->dsize, p != NULL, p ? p->payload_len : 0) ||
        !cmp_ok(&r->ttl, ip, ip ? p->ttl : 0) || !cmp_ok(&r->ip_proto, ip, ip ? p->proto : 0))
        return false;
    bool icmp = is_icmp(p), icmp_id = icmp_has_id(p);
    if (!cmp_ok(&r->itype, icmp, icmp ? p->icmp_type : 0) ||
        !cmp_ok(&r->icode, icmp, icmp ? p->icmp_code : 0) ||
        !cmp_ok(&r->icmp_id, icmp_id, icmp_id ? p->icmp_id : 0))
        return false;
    if (r->icmp_seq.present) {
        if (!icmp_id || !p->l4 || p->l4_len < 8)
            return false;
        uint16_t seq = (uint16_t)((p->l4[6] << 8) | p->l4[7]);
        if (!size_cmp(&r->icmp_seq.v, seq))
            return false;
    }
    bool tcp = is_tcp(p);
    if (!cmp_ok(&r->tcp_seq, tcp, tcp ? p->tcp_seq : 0) ||
        !cmp_ok(&r->tcp_ack, tcp, tcp ? p->tcp_ack : 0) ||
        !cmp_ok(&r->tcp_window, tcp, tcp ? p->tcp_win : 0))
        return false;
    if (r->tcpflags.present && !(tcp && tcpflags_match(&r->tcpflags, p->tcp_flags)))
        return false;
    return true;
}

static bool stream_size_match(const struct det_match_ctx *mc, const struct det_stream_size *s)
{
    const struct flow *f = mc->flow;
    if (!f || f->key.proto != 6)
        return false;
    /* sequence space used: payload + the SYN */
    bool srv = op_cmp(s->op, f->payload[FLOW_TOCLIENT] + 1, s->value); /* sent by the server */
    bool cli = op_cmp(s->op, f->payload[FLOW_TOSERVER] + 1, s->value);
    switch (s->side) {
    case DET_SS_SERVER: return srv;
    case DET_SS_CLIENT: return cli;
    case DET_SS_BOTH: return srv && cli;
    case DET_SS_EITHER: return srv || cli;
    }
    return false;
}

static const struct det_flowvars *flowvars_of(const struct det_match_ctx *mc)
{
    return mc->fvars ? *mc->fvars : NULL;
}

static bool flowbit_cond(const struct det_flowvars *v, const struct det_flowbit *fb)
{
    bool want = fb->op == DET_BIT_ISSET;
    if (fb->n_ids == 0)
        return false;
    for (uint32_t k = 0; k < fb->n_ids; k++) {
        bool holds = det_flowbit_isset(v, fb->ids[k]) == want;
        if (fb->any_of && holds)
            return true;
        if (!fb->any_of && !holds)
            return false;
    }
    return !fb->any_of;
}

/* Flowbits need a flow (Suricata: no flow, no match, for every flowbits clause). */
bool det_match_flowbits(const struct det_match_ctx *mc, const struct det_rule *r)
{
    if (r->n_flowbits == 0)
        return true;
    if (!mc->fvars)
        return false;
    const struct det_flowvars *v = flowvars_of(mc);
    for (uint32_t k = 0; k < r->n_flowbits; k++) {
        const struct det_flowbit *fb = &r->flowbits[k];
        if ((fb->op == DET_BIT_ISSET || fb->op == DET_BIT_ISNOTSET) && !flowbit_cond(v, fb))
            return false;
    }
    return true;
}

/* The operand of a flowint clause: its constant, or another flowint (must be set). */
static bool flowint_operand(const struct det_flowvars *v, const struct det_flowint *fi,
                            int64_t *out)
{
    if (fi->value_id < 0) {
        *out = fi->value;
        return true;
    }
    return det_flowint_get(v, (uint32_t)fi->value_id, out);
}

static bool flowint_cmp(enum det_num_op op, int64_t a, int64_t b)
{
    switch (op) {
    case DET_OP_LT: return a < b;
    case DET_OP_GT: return a > b;
    case DET_OP_LE: return a <= b;
    case DET_OP_GE: return a >= b;
    case DET_OP_EQ: return a == b;
    case DET_OP_NE: return a != b;
    default: return false;
    }
}

/* Suricata evaluates flowint modifiers while matching: a comparison or a subtraction needs
 * the variable set, and any variable operand must be set too. */
static bool flowint_cond(const struct det_flowvars *v, const struct det_flowint *fi)
{
    int64_t cur, operand;
    bool set = det_flowint_get(v, fi->id, &cur);
    switch (fi->op) {
    case DET_INT_ISSET: return set;
    case DET_INT_ISNOTSET: return !set;
    case DET_INT_CMP:
        return set && flowint_operand(v, fi, &operand) && flowint_cmp(fi->cmp, cur, operand);
    case DET_INT_SUB: return set && flowint_operand(v, fi, &operand);
    case DET_INT_SET:
    case DET_INT_ADD: return flowint_operand(v, fi, &operand);
    }
    return false;
}

static bool flowints_match(const struct det_match_ctx *mc, const struct det_rule *r)
{
    if (r->n_flowints == 0)
        return true;
    if (!mc->fvars)
        return false;
    const struct det_flowvars *v = flowvars_of(mc);
    for (uint32_t k = 0; k < r->n_flowints; k++)
        if (!flowint_cond(v, &r->flowints[k]))
            return false;
    return true;
}

/* The alert's addresses: the packet's, or the flow's seen from the data's direction. */
static bool alert_addrs(const struct det_match_ctx *mc, const uint8_t **src, const uint8_t **dst)
{
    if (mc->pkt && mc->pkt->ip_ver) {
        *src = mc->pkt->src.b;
        *dst = mc->pkt->dst.b;
        return true;
    }
    if (!mc->flow)
        return false;
    const uint8_t *cli = flow_client_addr(mc->flow), *srv = flow_server_addr(mc->flow);
    *src = mc->dir == 0 ? cli : srv;
    *dst = mc->dir == 0 ? srv : cli;
    return true;
}

/* xbits key: the tracked host in the first 16 bytes (ip_src and ip_dst share the host
 * table, as in Suricata), or the sorted pair. */
static bool xbit_key(const struct det_match_ctx *mc, enum det_xbits_track t, uint8_t key[32])
{
    const uint8_t *src, *dst;
    if (!alert_addrs(mc, &src, &dst))
        return false;
    memset(key, 0, 32);
    switch (t) {
    case DET_XB_IP_SRC: memcpy(key, src, 16); return true;
    case DET_XB_IP_DST: memcpy(key, dst, 16); return true;
    case DET_XB_IP_PAIR: {
        bool lt = memcmp(src, dst, 16) <= 0;
        memcpy(key, lt ? src : dst, 16);
        memcpy(key + 16, lt ? dst : src, 16);
        return true;
    }
    }
    return false;
}

static bool xbits_match(struct det_match_ctx *mc, const struct det_rule *r)
{
    for (uint32_t k = 0; k < r->n_xbits; k++) {
        const struct det_xbit *xb = &r->xbits[k];
        if (xb->op != DET_BIT_ISSET && xb->op != DET_BIT_ISNOTSET)
            continue;
        uint8_t key[32];
        if (!xbit_key(mc, xb->track, key))
            return false;
        bool set = det_xbit_isset(mc->xbits, xb->id, key, mc->ts_ns);
        if (set != (xb->op == DET_BIT_ISSET))
            return false;
    }
    return true;
}

static bool lists_match(struct det_match_ctx *mc, const struct det_rule *r)
{
    for (uint32_t k = 0; k < r->n_lists; k++) {
        const struct det_list *l = &r->lists[k];
        const uint8_t *p = NULL;
        uint32_t n = 0;
        if (!det_buf_get(mc, l->buf, l->xform, &p, &n))
            return false;
        /* Suricata does not run payload inspection on packets without payload. */
        if (l->buf == DET_BUF_PAYLOAD && n == 0)
            return false;
        if (!det_match_list(mc, l, p, n))
            return false;
    }
    return true;
}

bool det_match_rule(struct det_match_ctx *mc, const struct det_rule *r)
{
    memset(mc->vars, 0, sizeof mc->vars);
    return flow_flags_match(mc, r->flow_flags) && app_proto_match(mc, r) &&
           packet_conditions_match(mc, r) &&
           (!r->stream_size.present || stream_size_match(mc, &r->stream_size)) &&
           det_match_flowbits(mc, r) && flowints_match(mc, r) && xbits_match(mc, r) &&
           lists_match(mc, r);
}

/* ---------------- effects after a match ---------------- */

static void apply_flowbits(struct det_match_ctx *mc, const struct det_rule *r)
{
    for (uint32_t k = 0; k < r->n_flowbits; k++) {
        const struct det_flowbit *fb = &r->flowbits[k];
        if (fb->op != DET_BIT_SET && fb->op != DET_BIT_UNSET && fb->op != DET_BIT_TOGGLE)
            continue;
        for (uint32_t j = 0; j < fb->n_ids; j++) {
            uint32_t id = fb->ids[j];
            bool on = fb->op == DET_BIT_SET ||
                      (fb->op == DET_BIT_TOGGLE && !det_flowbit_isset(*mc->fvars, id));
            det_flowbit_set(mc->fvars, mc->flowvar_cap, mc->rs, id, on);
        }
    }
}

/* set/add/sub; add on an unset variable starts it at the operand (Suricata), sub on an
 * unset one does nothing (the rule did not match then anyway). Arithmetic wraps. */
static void apply_flowints(struct det_match_ctx *mc, const struct det_rule *r)
{
    for (uint32_t k = 0; k < r->n_flowints; k++) {
        const struct det_flowint *fi = &r->flowints[k];
        int64_t operand, cur = 0;
        if (fi->op != DET_INT_SET && fi->op != DET_INT_ADD && fi->op != DET_INT_SUB)
            continue;
        if (!flowint_operand(*mc->fvars, fi, &operand))
            continue;
        bool set = det_flowint_get(*mc->fvars, fi->id, &cur);
        uint64_t u = (uint64_t)cur, o = (uint64_t)operand, nv;
        if (fi->op == DET_INT_SET)
            nv = o;
        else if (fi->op == DET_INT_ADD)
            nv = set ? u + o : o;
        else if (set)
            nv = u - o;
        else
            continue;
        det_flowint_put(mc->fvars, mc->flowvar_cap, mc->rs, fi->id, (int64_t)nv);
    }
}

static void apply_xbits(struct det_match_ctx *mc, const struct det_rule *r)
{
    for (uint32_t k = 0; k < r->n_xbits; k++) {
        const struct det_xbit *xb = &r->xbits[k];
        uint8_t key[32];
        if (xb->op != DET_BIT_SET && xb->op != DET_BIT_UNSET && xb->op != DET_BIT_TOGGLE)
            continue;
        if (!xbit_key(mc, xb->track, key))
            continue;
        bool on = xb->op == DET_BIT_SET ||
                  (xb->op == DET_BIT_TOGGLE && !det_xbit_isset(mc->xbits, xb->id, key, mc->ts_ns));
        uint32_t secs = xb->expire_s ? xb->expire_s : DET_XBITS_EXPIRE_DEFAULT_S;
        det_xbit_set(mc->xbits, xb->id, key, on, mm_sat_add(mc->ts_ns, secs * NS_PER_S));
    }
}

void det_match_apply(struct det_match_ctx *mc, const struct det_rule *r)
{
    if (mc->fvars) {
        apply_flowbits(mc, r);
        apply_flowints(mc, r);
    }
    if (mc->xbits)
        apply_xbits(mc, r);
}
