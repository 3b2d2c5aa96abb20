/*
 * A threshold file (suppress.h). The file is read whole (bounded) and cut into logical lines
 * (a line ending in a backslash goes on). Each `suppress` line becomes an entry: gid, sid,
 * what to compare (nothing, the source, the destination, either) and the address set,
 * parsed by the rule headers' own parser so that lists, CIDRs, ranges, negations and
 * variables mean the same as in a rule. Each `threshold`, `event_filter` and `rate_filter`
 * line becomes a filter: gid, sid and the counting spec that threshold.c applies, with the
 * last line for a gid:sid replacing earlier ones (as Suricata's each replaces the one
 * before). Entries and filters are sorted by sid for the lookup at each alert; the filters'
 * counts live in a bounded table made at the first alert a filter applies to, which a file
 * read again takes over (det_suppress_keep_counts).
 */
#include "detect/suppress.h"

#include "core/file.h"
#include "core/mm.h"
#include "detect/detect_int.h"
#include "detect/rule_addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sup_track { SUP_ALL = 0, SUP_SRC, SUP_DST, SUP_EITHER };

struct sup_entry {
    uint32_t gid, sid; /* 0: any */
    uint8_t track;     /* enum sup_track */
    struct det_addrset ips;
};

enum tf_kind { TF_THRESHOLD = 0, TF_RATE };

/* A threshold, event_filter (TF_THRESHOLD) or rate_filter (TF_RATE, new_action pass) line. */
struct tf_filter {
    uint32_t gid, sid; /* 0: any, as for suppress */
    uint8_t kind;      /* enum tf_kind */
    struct det_threshold thr;
    uint32_t timeout_s; /* TF_RATE */
    unsigned line;      /* where it was read: the last line for a gid:sid wins */
};

struct det_suppress {
    struct sup_entry *v; /* sorted by sid */
    uint32_t n, cap;
    struct tf_filter *f; /* sorted by kind, sid, gid; one per kind and gid:sid */
    uint32_t nf, capf;
    uint32_t n_threshold, n_rate;
    uint32_t skipped;
    size_t state_memcap;
    struct det_thresholds *state; /* the filters' counts; made at first use */
    bool state_failed;            /* making it failed: filters let alerts through */
};

/* --- small text helpers ------------------------------------------------------------------ */

static bool sup_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* [*b, *e) without surrounding white space. */
static void sup_trim(const char **b, const char **e)
{
    while (*b < *e && sup_space(**b))
        (*b)++;
    while (*e > *b && sup_space((*e)[-1]))
        (*e)--;
}

static bool sup_word_is(const char *b, const char *e, const char *w)
{
    size_t n = strlen(w);
    return (size_t)(e - b) == n && !memcmp(b, w, n);
}

/* A decimal uint32 filling [b, e) (leading zeros allowed). */
static bool sup_u32(const char *b, const char *e, uint32_t *out)
{
    if (b == e)
        return false;
    while (e - b > 1 && *b == '0')
        b++;
    if (e - b > 10)
        return false;
    uint64_t v = 0;
    for (const char *p = b; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* --- one line ---------------------------------------------------------------------------- */

/* The "name value" fields of a line, as read; what each kind of line needs is checked after. */
struct sup_fields {
    bool has_gid, has_sid, has_track, has_ip, has_type, has_count, has_seconds, has_action,
        has_timeout;
    uint32_t gid, sid, count, seconds, timeout;
    const char *track_b, *track_e, *ip_b, *ip_e, *type_b, *type_e, *action_b, *action_e;
};

/* A number field's value; NULL, or why not (in whybuf). */
static const char *sup_num(const char *name, bool *has, uint32_t *val, const char *vb,
                           const char *ve, char *whybuf, size_t whylen)
{
    if (*has)
        snprintf(whybuf, whylen, "%s given twice", name);
    else if (!sup_u32(vb, ve, val))
        snprintf(whybuf, whylen, "%s is not a number", name);
    else
        return *has = true, NULL;
    return whybuf;
}

/* A word (or address) field's value, kept as [vb, ve); NULL, or why not (in whybuf). */
static const char *sup_text(const char *name, bool *has, const char **b, const char **e,
                            const char *vb, const char *ve, char *whybuf, size_t whylen)
{
    if (*has) {
        snprintf(whybuf, whylen, "%s given twice", name);
        return whybuf;
    }
    *b = vb;
    *e = ve;
    *has = true;
    return NULL;
}

/* One "name value" field of a line. NULL, or why it cannot be used (whybuf may hold it). */
static const char *sup_field(struct sup_fields *f, const char *b, const char *e, char *whybuf,
                             size_t whylen)
{
    sup_trim(&b, &e);
    const char *ne = b;
    while (ne < e && !sup_space(*ne))
        ne++;
    const char *vb = ne, *ve = e;
    sup_trim(&vb, &ve);
    if (b == ne)
        return "an empty field";
    if (vb == ve)
        return "a field without a value";
    char *w = whybuf;
    size_t wl = whylen;
    if (sup_word_is(b, ne, "gen_id"))
        return sup_num("gen_id", &f->has_gid, &f->gid, vb, ve, w, wl);
    if (sup_word_is(b, ne, "sig_id"))
        return sup_num("sig_id", &f->has_sid, &f->sid, vb, ve, w, wl);
    if (sup_word_is(b, ne, "count"))
        return sup_num("count", &f->has_count, &f->count, vb, ve, w, wl);
    if (sup_word_is(b, ne, "seconds"))
        return sup_num("seconds", &f->has_seconds, &f->seconds, vb, ve, w, wl);
    if (sup_word_is(b, ne, "timeout"))
        return sup_num("timeout", &f->has_timeout, &f->timeout, vb, ve, w, wl);
    if (sup_word_is(b, ne, "track"))
        return sup_text("track", &f->has_track, &f->track_b, &f->track_e, vb, ve, w, wl);
    if (sup_word_is(b, ne, "ip"))
        return sup_text("ip", &f->has_ip, &f->ip_b, &f->ip_e, vb, ve, w, wl);
    if (sup_word_is(b, ne, "type"))
        return sup_text("type", &f->has_type, &f->type_b, &f->type_e, vb, ve, w, wl);
    if (sup_word_is(b, ne, "new_action"))
        return sup_text("new_action", &f->has_action, &f->action_b, &f->action_e, vb, ve, w, wl);
    return "an unknown field (gen_id, sig_id, track, ip, type, count, seconds, new_action and "
           "timeout are known)";
}

/* Room for one more of n elements of elem bytes in *v (capacity *cap, doubling from 16). */
static int sup_room(void **v, uint32_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap)
        return 0;
    uint32_t c = *cap ? *cap * 2 : 16;
    void *nv = realloc(*v, (size_t)c * elem);
    if (!nv)
        return MM_ENOMEM;
    *v = nv;
    *cap = c;
    return 0;
}

static int sup_add(struct det_suppress *s, const struct sup_entry *e)
{
    void *v = s->v;
    int rc = sup_room(&v, s->n, &s->cap, sizeof *s->v);
    s->v = v;
    if (!rc)
        s->v[s->n++] = *e;
    return rc;
}

static int tf_add(struct det_suppress *s, const struct tf_filter *f)
{
    void *v = s->f;
    int rc = sup_room(&v, s->nf, &s->capf, sizeof *s->f);
    s->f = v;
    if (!rc)
        s->f[s->nf++] = *f;
    return rc;
}

/* A suppress line's fields to an entry. 0 (*why set when skipped) or MM_ENOMEM. */
static int sup_suppress(struct det_suppress *s, struct det_vartab *vt, const struct sup_fields *f,
                        const char **why, char *whybuf, size_t whylen)
{
    if (f->has_type || f->has_count || f->has_seconds || f->has_action || f->has_timeout) {
        *why = "a suppress line takes only gen_id, sig_id, track and ip";
        return 0;
    }
    if (f->has_track != f->has_ip) {
        *why = "track and ip go together";
        return 0;
    }
    struct sup_entry en = {.gid = f->gid, .sid = f->sid, .track = SUP_ALL};
    if (f->has_track) {
        if (sup_word_is(f->track_b, f->track_e, "by_src"))
            en.track = SUP_SRC;
        else if (sup_word_is(f->track_b, f->track_e, "by_dst"))
            en.track = SUP_DST;
        else if (sup_word_is(f->track_b, f->track_e, "by_either"))
            en.track = SUP_EITHER;
        else {
            *why = "track must be by_src, by_dst or by_either";
            return 0;
        }
        char err[256];
        int rc = det_addr_parse(vt, f->ip_b, (size_t)(f->ip_e - f->ip_b), &en.ips, err, sizeof err);
        if (rc == MM_ENOMEM)
            return rc;
        if (rc) {
            snprintf(whybuf, whylen, "ip: %s", err);
            *why = whybuf;
            return 0;
        }
    }
    int rc = sup_add(s, &en);
    if (rc)
        det_addrset_fini(&en.ips);
    return rc;
}

/* The track of a threshold or rate_filter line (the rule keyword's values). */
static const char *tf_track(const struct sup_fields *f, enum det_track *out)
{
    static const struct {
        const char *name;
        enum det_track track;
    } tracks[] = {{"by_src", DET_TRACK_SRC},
                  {"by_dst", DET_TRACK_DST},
                  {"by_rule", DET_TRACK_RULE},
                  {"by_both", DET_TRACK_BOTH}};
    for (size_t i = 0; i < sizeof tracks / sizeof tracks[0]; i++)
        if (sup_word_is(f->track_b, f->track_e, tracks[i].name)) {
            *out = tracks[i].track;
            return NULL;
        }
    return "track must be by_src, by_dst, by_rule or by_both";
}

/*
 * A threshold or event_filter line (rate false) or a rate_filter line (rate true) to a
 * filter. 0 (*why set when skipped) or MM_ENOMEM.
 */
static int sup_filter(struct det_suppress *s, const struct sup_fields *f, bool rate, unsigned line,
                      const char **why)
{
    if (f->has_ip || (rate ? f->has_type : f->has_action || f->has_timeout)) {
        *why = rate ? "a rate_filter line takes only gen_id, sig_id, track, count, seconds, "
                      "new_action and timeout"
                    : "a threshold line takes only gen_id, sig_id, type, track, count and "
                      "seconds";
        return 0;
    }
    if (!f->has_track || !f->has_count || !f->has_seconds ||
        (rate ? !f->has_action || !f->has_timeout : !f->has_type)) {
        *why = rate ? "a rate_filter line needs track, count, seconds, new_action and timeout"
                    : "a threshold line needs type, track, count and seconds";
        return 0;
    }
    struct tf_filter tf = {.gid = f->gid,
                           .sid = f->sid,
                           .kind = rate ? TF_RATE : TF_THRESHOLD,
                           .thr = {.count = f->count, .seconds = f->seconds},
                           .timeout_s = f->timeout,
                           .line = line};
    if ((*why = tf_track(f, &tf.thr.track)) != NULL)
        return 0;
    if (f->count == 0 || f->seconds == 0 || (rate && f->timeout == 0)) {
        *why = rate ? "count, seconds and timeout must be 1 or more"
                    : "count and seconds must be 1 or more";
        return 0;
    }
    if (!rate) {
        if (sup_word_is(f->type_b, f->type_e, "limit"))
            tf.thr.type = DET_THR_LIMIT;
        else if (sup_word_is(f->type_b, f->type_e, "threshold"))
            tf.thr.type = DET_THR_THRESHOLD;
        else if (sup_word_is(f->type_b, f->type_e, "both"))
            tf.thr.type = DET_THR_BOTH;
        else {
            *why = "type must be limit, threshold or both";
            return 0;
        }
    } else if (!sup_word_is(f->action_b, f->action_e, "pass")) {
        /* A passive sensor neither drops nor rejects, and an alert rule alerts already: only
         * `pass` changes what is written. sdrop and log Suricata parses but does not apply. */
        if (sup_word_is(f->action_b, f->action_e, "alert") ||
            sup_word_is(f->action_b, f->action_e, "drop") ||
            sup_word_is(f->action_b, f->action_e, "reject"))
            *why = "new_action alert, drop and reject change nothing on a passive sensor (its "
                   "alerts are written as before); only pass is applied";
        else if (sup_word_is(f->action_b, f->action_e, "sdrop") ||
                 sup_word_is(f->action_b, f->action_e, "log"))
            *why = "new_action sdrop and log are not applied (nor are they by Suricata); only "
                   "pass is";
        else
            *why = "new_action must be alert, drop, pass or reject (only pass is applied)";
        return 0;
    }
    return tf_add(s, &tf);
}

/*
 * One logical line [b, e), read from line `line` on. 0 when used or skipped (*why says why
 * when skipped), MM_ENOMEM. why points to a static text or into whybuf.
 */
static int sup_line(struct det_suppress *s, struct det_vartab *vt, const char *b, const char *e,
                    unsigned line, const char **why, char *whybuf, size_t whylen)
{
    *why = NULL;
    sup_trim(&b, &e);
    if (b == e || *b == '#')
        return 0;
    const char *kind_e = b;
    while (kind_e < e && !sup_space(*kind_e))
        kind_e++;
    bool suppress = sup_word_is(b, kind_e, "suppress");
    bool rate = sup_word_is(b, kind_e, "rate_filter");
    if (!suppress && !rate && !sup_word_is(b, kind_e, "threshold") &&
        !sup_word_is(b, kind_e, "event_filter")) {
        *why = "not a suppress, threshold, event_filter or rate_filter line";
        return 0;
    }
    /* Fields are separated by commas outside brackets (an ip list has commas of its own). */
    struct sup_fields f = {0};
    int depth = 0;
    const char *fb = kind_e;
    for (const char *p = kind_e;; p++) {
        if (p < e && *p == '[')
            depth++;
        else if (p < e && *p == ']')
            depth--;
        if (depth < 0) {
            *why = "a ']' without its '['";
            return 0;
        }
        if (p < e && (*p != ',' || depth > 0))
            continue;
        if ((*why = sup_field(&f, fb, p, whybuf, whylen)) != NULL)
            return 0;
        if (p == e)
            break;
        fb = p + 1;
    }
    if (depth) {
        *why = "a '[' without its ']'";
        return 0;
    }
    if (!f.has_gid || !f.has_sid) {
        *why = "gen_id and sig_id are both needed";
        return 0;
    }
    if (f.gid == 0 && f.sid != 0) {
        /* Suricata refuses this too: a sid means one rule, and sids are per gid. */
        *why = "gen_id 0 (any) goes only with sig_id 0";
        return 0;
    }
    if (suppress)
        return sup_suppress(s, vt, &f, why, whybuf, whylen);
    return sup_filter(s, &f, rate, line, why);
}

/* --- the file ---------------------------------------------------------------------------- */

/* Filters by kind, sid, gid, then the order of their lines. */
static int tf_cmp(const void *a, const void *b)
{
    const struct tf_filter *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    if (x->gid != y->gid)
        return x->gid < y->gid ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static bool tf_same(const struct tf_filter *x, const struct tf_filter *y)
{
    return x->kind == y->kind && x->sid == y->sid && x->gid == y->gid;
}

/* Sorts the filters and keeps the last line of each kind and gid:sid, reporting the ones
 * it replaced (as Suricata, where each such line replaces the setting before it). */
static void tf_settle(struct det_suppress *s, det_suppress_warn_fn warn, void *user)
{
    if (s->nf > 1)
        qsort(s->f, s->nf, sizeof *s->f, tf_cmp);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < s->nf; i++) {
        if (i + 1 < s->nf && tf_same(&s->f[i], &s->f[i + 1])) {
            s->skipped++;
            if (warn) {
                char why[160];
                snprintf(why, sizeof why,
                         "replaced by line %u (the last %s line for gen_id %u, "
                         "sig_id %u counts)",
                         s->f[i + 1].line,
                         s->f[i].kind == TF_RATE ? "rate_filter" : "threshold or event_filter",
                         s->f[i].gid, s->f[i].sid);
                warn(user, s->f[i].line, why);
            }
            continue;
        }
        s->f[kept++] = s->f[i];
        if (s->f[i].kind == TF_RATE)
            s->n_rate++;
        else
            s->n_threshold++;
    }
    s->nf = kept;
}

/* By sid only: any entry that matches holds an alert back, so their order does not matter. */
static int sup_cmp(const void *a, const void *b)
{
    const struct sup_entry *x = a, *y = b;
    return x->sid < y->sid ? -1 : x->sid > y->sid;
}

int det_suppress_parse(const char *text, size_t len, const struct det_parse_opts *vars,
                       det_suppress_warn_fn warn, void *user, det_suppress_t **out, char *err,
                       size_t errlen)
{
    *out = NULL;
    struct det_vartab *vt = NULL;
    int rc = det_vartab_create(vars, &vt, err, errlen);
    if (rc)
        return rc;
    struct det_suppress *s = calloc(1, sizeof *s);
    if (!s) {
        det_vartab_free(vt);
        return MM_ENOMEM;
    }
    /* A logical line is copied out (continuations joined) into a buffer that grows to the
     * longest one, at most the file's size. */
    char *buf = NULL;
    size_t buf_cap = 0;
    const char *p = text, *end = text + len;
    unsigned lineno = 0;
    while (!rc && p < end) {
        unsigned first = lineno + 1;
        size_t n = 0;
        bool more = true;
        while (more && p < end) {
            const char *nl = p;
            while (nl < end && *nl != '\n' && *nl != '\0')
                nl++;
            lineno++;
            const char *lb = p, *le = nl;
            sup_trim(&lb, &le);
            /* A comment is one line, as in Suricata: a backslash at its end continues
             * nothing (it would swallow the next line's suppress without a word). */
            bool comment = n == 0 && lb < le && *lb == '#';
            le = nl;
            while (le > p && sup_space(le[-1]))
                le--;
            more = !comment && le > p && le[-1] == '\\';
            if (more)
                le--;
            size_t add = (size_t)(le - p);
            if (n + add + 1 > buf_cap) {
                size_t cap = buf_cap ? buf_cap : 256;
                while (cap < n + add + 1)
                    cap *= 2;
                char *nb = realloc(buf, cap);
                if (!nb) {
                    rc = MM_ENOMEM;
                    break;
                }
                buf = nb;
                buf_cap = cap;
            }
            memcpy(buf + n, p, add);
            n += add;
            buf[n++] = ' '; /* a continuation joins with a space */
            p = nl < end ? nl + 1 : nl;
        }
        if (rc)
            break;
        const char *why = NULL;
        char whybuf[320];
        rc = sup_line(s, vt, buf, buf + n, first, &why, whybuf, sizeof whybuf);
        if (!rc && why) {
            s->skipped++;
            if (warn)
                warn(user, first, why);
        }
    }
    free(buf);
    det_vartab_free(vt);
    if (rc) {
        det_suppress_free(s);
        snprintf(err, errlen, "out of memory reading the threshold file");
        return rc;
    }
    if (s->n > 1)
        qsort(s->v, s->n, sizeof *s->v, sup_cmp);
    tf_settle(s, warn, user);
    *out = s;
    return 0;
}

int det_suppress_load(const char *path, const struct det_parse_opts *vars,
                      det_suppress_warn_fn warn, void *user, det_suppress_t **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    char *text = NULL;
    size_t n = 0;
    int rc = mm_read_file(path, "threshold file", DET_SUPPRESS_MAX_BYTES, &text, &n, err, errlen);
    if (rc)
        return rc == MM_ENOMEM ? rc : MM_EINVAL;
    rc = det_suppress_parse(text, n, vars, warn, user, out, err, errlen);
    free(text);
    return rc;
}

/* --- lookup ------------------------------------------------------------------------------ */

static bool sup_entry_match(const struct sup_entry *en, uint32_t gid, const uint8_t src[16],
                            const uint8_t dst[16], int ip_ver)
{
    if (en->gid && en->gid != gid)
        return false;
    switch ((enum sup_track)en->track) {
    case SUP_ALL: return true;
    case SUP_SRC: return det_addr_match(&en->ips, src, ip_ver);
    case SUP_DST: return det_addr_match(&en->ips, dst, ip_ver);
    case SUP_EITHER:
        return det_addr_match(&en->ips, src, ip_ver) || det_addr_match(&en->ips, dst, ip_ver);
    }
    return false;
}

/* Index of the first entry with sid >= want. */
static uint32_t sup_lower(const struct det_suppress *s, uint32_t want)
{
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].sid < want)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool det_suppress_match(const det_suppress_t *s, uint32_t gid, uint32_t sid,
                        const uint8_t src[16], const uint8_t dst[16], int ip_ver)
{
    if (!s || !s->n)
        return false;
    for (uint32_t i = 0; i < s->n && s->v[i].sid == 0; i++) /* sid 0: every sid */
        if (sup_entry_match(&s->v[i], gid, src, dst, ip_ver))
            return true;
    if (!sid)
        return false;
    for (uint32_t i = sup_lower(s, sid); i < s->n && s->v[i].sid == sid; i++)
        if (sup_entry_match(&s->v[i], gid, src, dst, ip_ver))
            return true;
    return false;
}

/* The filter of kind for exactly gid:sid, or NULL. */
static const struct tf_filter *tf_exact(const struct det_suppress *s, uint8_t kind, uint32_t gid,
                                        uint32_t sid)
{
    const struct tf_filter want = {.kind = kind, .gid = gid, .sid = sid};
    uint32_t lo = 0, hi = s->nf;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = tf_cmp(&s->f[mid], &want); /* want.line 0: below any line of its key */
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->nf && tf_same(&s->f[lo], &want) ? &s->f[lo] : NULL;
}

/* The filter of kind for an alert of gid:sid: its own line, else (unless the rule has a
 * threshold of its own) the line for every sid of its gid, else the one for every alert. */
static const struct tf_filter *tf_find(const struct det_suppress *s, uint8_t kind, uint32_t gid,
                                       uint32_t sid, bool own_threshold)
{
    const struct tf_filter *f = sid ? tf_exact(s, kind, gid, sid) : NULL;
    if (f || own_threshold)
        return f;
    if ((f = tf_exact(s, kind, gid, 0)) != NULL)
        return f;
    return tf_exact(s, kind, 0, 0);
}

bool det_suppress_overrides(const det_suppress_t *s, uint32_t gid, uint32_t sid)
{
    return s && s->n_threshold && sid && tf_exact(s, TF_THRESHOLD, gid, sid) != NULL;
}

void det_suppress_keep_counts(det_suppress_t *to, det_suppress_t *from)
{
    if (!to || !from || !from->state || to->state)
        return;
    to->state = from->state;
    from->state = NULL;
}

void det_suppress_set_memcap(det_suppress_t *s, size_t bytes)
{
    if (s)
        s->state_memcap = bytes;
}

/* The filters' counting table, made at first use; NULL when it cannot be made. */
static struct det_thresholds *tf_state(struct det_suppress *s)
{
    if (!s->state && !s->state_failed) {
        s->state = det_thresholds_new(s->state_memcap ? s->state_memcap : DET_SUPPRESS_MEMCAP);
        s->state_failed = s->state == NULL;
    }
    return s->state;
}

enum det_suppress_verdict det_suppress_check(det_suppress_t *s, uint32_t gid, uint32_t sid,
                                             bool own_threshold, const uint8_t src[16],
                                             const uint8_t dst[16], int ip_ver, uint64_t ts_ns)
{
    if (!s)
        return DET_SUP_WRITE;
    if (det_suppress_match(s, gid, sid, src, dst, ip_ver))
        return DET_SUP_SUPPRESSED;
    if (!s->nf)
        return DET_SUP_WRITE;
    const struct tf_filter *f = tf_find(s, TF_THRESHOLD, gid, sid, own_threshold);
    struct det_thresholds *st = f || s->n_rate ? tf_state(s) : NULL;
    if (f && st && !det_threshold_step(st, gid, sid, &f->thr, src, dst, ts_ns))
        return DET_SUP_THRESHOLDED;
    f = s->n_rate ? tf_find(s, TF_RATE, gid, sid, own_threshold) : NULL;
    if (f && st && det_rate_step(st, gid, sid, &f->thr, f->timeout_s, src, dst, ts_ns))
        return DET_SUP_RATE_FILTERED;
    return DET_SUP_WRITE;
}

void det_suppress_counts(const det_suppress_t *s, struct det_suppress_counts *out)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return;
    out->entries = s->n;
    out->thresholds = s->n_threshold;
    out->rate_filters = s->n_rate;
    out->skipped = s->skipped;
    if (s->state) {
        struct det_threshold_stats ts;
        det_thresholds_get_stats(s->state, &ts);
        out->state_entries = ts.entries;
        out->state_evicted = ts.evicted;
    }
}

void det_suppress_free(det_suppress_t *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        det_addrset_fini(&s->v[i].ips);
    free(s->v);
    free(s->f);
    det_thresholds_free(s->state);
    free(s);
}
