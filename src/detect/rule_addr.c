/*
 * Rule header addresses and ports (grammar in rule_addr.h). Sets are computed as sorted,
 * disjoint, inclusive ranges: a list is the union of its positive items minus the union of
 * its negated items, "!X" is everything minus X, and "everything" is all of IPv4 plus all
 * of IPv6 (ports: 0-65535). Variables come from the configuration (det_parse_opts) or the
 * defaults of Suricata's suricata.yaml, are resolved once and reused.
 *
 * The grammar (lists, negation, variables, "any") is walked once for both kinds of set;
 * each kind brings its own literal parser and set algebra through a struct set_ops.
 *
 * Leaves out: Suricata's IPv4-mapped IPv6 equivalence and named port services.
 */
#include "detect/rule_addr.h"

#include "core/mm.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------- range vectors ---------------- */

struct rvec {
    struct det_addr_range *r;
    uint32_t n, cap;
};
struct aset {
    struct rvec v4, v6;
};
struct pvec {
    struct det_port_range *r;
    uint32_t n, cap;
};

/* A set can have at most one range per address written in the rule plus one, and a rule is
 * at most DET_RULE_MAX_BYTES long; this bound only guards arithmetic. */
#define RANGES_MAX (1u << 20)

/* Appends `more` elements of `size` bytes from src to the array r (*n used, *cap allocated;
 * the capacity doubles from 4 up to RANGES_MAX). Returns the array, moved or not, or NULL with
 * *rc set and r left as it was. */
static void *vec_add(void *r, uint32_t *n, uint32_t *cap, const void *src, uint32_t more,
                     size_t size, int *rc)
{
    if (more == 0)
        return r;
    uint32_t c = *cap;
    while (c - *n < more) {
        c = c ? c * 2 : 4;
        if (c > RANGES_MAX) {
            *rc = MM_ELIMIT;
            return NULL;
        }
    }
    if (c != *cap) {
        void *grown = realloc(r, c * size);
        if (!grown) {
            *rc = MM_ENOMEM;
            return NULL;
        }
        r = grown;
        *cap = c;
    }
    memcpy((char *)r + *n * size, src, more * size);
    *n += more;
    return r;
}

static int rvec_add(struct rvec *v, const struct det_addr_range *src, uint32_t n)
{
    int rc = 0;
    void *r = vec_add(v->r, &v->n, &v->cap, src, n, sizeof *src, &rc);
    v->r = r ? r : v->r;
    return rc;
}

static int rvec_push(struct rvec *v, const uint8_t lo[16], const uint8_t hi[16])
{
    struct det_addr_range e;
    memcpy(e.lo, lo, 16);
    memcpy(e.hi, hi, 16);
    return rvec_add(v, &e, 1);
}

static void rvec_fini(struct rvec *v)
{
    free(v->r);
    memset(v, 0, sizeof *v);
}

/* Increment / decrement of the first w bytes as a big-endian number; false on wrap. */
static bool key_inc(uint8_t a[16], unsigned w)
{
    for (unsigned i = w; i-- > 0;) {
        if (++a[i] != 0)
            return true;
    }
    return false;
}

static bool key_dec(uint8_t a[16], unsigned w)
{
    for (unsigned i = w; i-- > 0;) {
        if (a[i]-- != 0)
            return true;
    }
    return false;
}

static int range_cmp(const void *x, const void *y)
{
    const struct det_addr_range *a = x, *b = y;
    return memcmp(a->lo, b->lo, 16);
}

/* Sorts and merges overlapping or adjacent ranges. */
static void rvec_normalise(struct rvec *v, unsigned w)
{
    if (v->n < 2)
        return;
    qsort(v->r, v->n, sizeof *v->r, range_cmp);
    uint32_t out = 0;
    for (uint32_t i = 1; i < v->n; i++) {
        struct det_addr_range *cur = &v->r[out];
        uint8_t next[16];
        memcpy(next, cur->hi, 16);
        bool touch = !key_inc(next, w) || memcmp(v->r[i].lo, next, 16) <= 0;
        if (touch) {
            if (memcmp(v->r[i].hi, cur->hi, 16) > 0)
                memcpy(cur->hi, v->r[i].hi, 16);
        } else {
            v->r[++out] = v->r[i];
        }
    }
    v->n = out + 1;
}

/* out = a - b; a and b normalised. */
static int rvec_subtract(const struct rvec *a, const struct rvec *b, unsigned w, struct rvec *out)
{
    uint32_t j = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        uint8_t cur[16];
        memcpy(cur, a->r[i].lo, 16);
        const uint8_t *hi = a->r[i].hi;
        while (j < b->n && memcmp(b->r[j].hi, cur, 16) < 0)
            j++;
        bool done = false;
        for (uint32_t k = j; k < b->n && memcmp(b->r[k].lo, hi, 16) <= 0; k++) {
            if (memcmp(b->r[k].lo, cur, 16) > 0) {
                uint8_t end[16];
                memcpy(end, b->r[k].lo, 16);
                (void)key_dec(end, w); /* lo > cur >= 0: no wrap */
                int rc = rvec_push(out, cur, end);
                if (rc)
                    return rc;
            }
            if (memcmp(b->r[k].hi, hi, 16) >= 0) {
                done = true;
                break;
            }
            memcpy(cur, b->r[k].hi, 16);
            (void)key_inc(cur, w); /* hi < a's hi: no wrap */
        }
        if (!done) {
            int rc = rvec_push(out, cur, hi);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int rvec_full(struct rvec *v, unsigned w)
{
    uint8_t lo[16] = {0}, hi[16] = {0};
    memset(hi, 0xff, w);
    return rvec_push(v, lo, hi);
}

static bool rvec_is_full(const struct rvec *v, unsigned w)
{
    uint8_t hi[16] = {0};
    memset(hi, 0xff, w);
    static const uint8_t zero[16];
    return v->n == 1 && memcmp(v->r[0].lo, zero, 16) == 0 && memcmp(v->r[0].hi, hi, 16) == 0;
}

/* ---------------- address sets (struct set_ops, on struct aset) ---------------- */

static void aset_fini(void *set)
{
    struct aset *a = set;
    rvec_fini(&a->v4);
    rvec_fini(&a->v6);
}

static int aset_full(void *set)
{
    struct aset *a = set;
    int rc = rvec_full(&a->v4, 4);
    return rc ? rc : rvec_full(&a->v6, 16);
}

/* dst += src's ranges, unsorted: lists collect all their items and normalise once, so a
 * list of n addresses costs one sort, not n. */
static int aset_append(void *dst, const void *src)
{
    struct aset *d = dst;
    const struct aset *s = src;
    int rc = rvec_add(&d->v4, s->v4.r, s->v4.n);
    return rc ? rc : rvec_add(&d->v6, s->v6.r, s->v6.n);
}

static void aset_normalise(void *set)
{
    struct aset *a = set;
    rvec_normalise(&a->v4, 4);
    rvec_normalise(&a->v6, 16);
}

/* a = a - b; both normalised */
static int aset_subtract(void *set, const void *minus)
{
    struct aset *a = set, r = {0};
    const struct aset *b = minus;
    int rc = rvec_subtract(&a->v4, &b->v4, 4, &r.v4);
    if (!rc)
        rc = rvec_subtract(&a->v6, &b->v6, 16, &r.v6);
    aset_fini(a);
    if (rc) {
        aset_fini(&r);
        return rc;
    }
    *a = r;
    return 0;
}

static bool aset_empty(const void *set)
{
    const struct aset *a = set;
    return a->v4.n == 0 && a->v6.n == 0;
}

/* Hands one vector over, shrunk to the exact size it needs. */
static void rvec_take(struct rvec *v, struct det_addr_range **r_out, uint32_t *n_out)
{
    if (!v->n)
        return;
    struct det_addr_range *r = realloc(v->r, v->n * sizeof *r);
    *r_out = r ? r : v->r;
    *n_out = v->n;
    v->r = NULL;
}

/* Moves a normalised, non-empty set into the public form. */
static void aset_export(void *set, void *dst)
{
    struct aset *a = set;
    struct det_addrset *out = dst;
    if (rvec_is_full(&a->v4, 4) && rvec_is_full(&a->v6, 16)) {
        out->any = true;
        return;
    }
    rvec_take(&a->v4, &out->v4, &out->n_v4);
    rvec_take(&a->v6, &out->v6, &out->n_v6);
}

/* ---------------- port sets (struct set_ops, on struct pvec) ---------------- */

static int pvec_add(struct pvec *v, const struct det_port_range *src, uint32_t n)
{
    int rc = 0;
    void *r = vec_add(v->r, &v->n, &v->cap, src, n, sizeof *src, &rc);
    v->r = r ? r : v->r;
    return rc;
}

static int pvec_push(struct pvec *v, uint32_t lo, uint32_t hi)
{
    struct det_port_range e = {(uint16_t)lo, (uint16_t)hi};
    return pvec_add(v, &e, 1);
}

static void pvec_fini(void *set)
{
    struct pvec *v = set;
    free(v->r);
    memset(v, 0, sizeof *v);
}

static int pvec_full(void *set)
{
    return pvec_push(set, 0, 65535);
}

static int prange_cmp(const void *x, const void *y)
{
    const struct det_port_range *a = x, *b = y;
    return (int)a->lo - (int)b->lo;
}

static void pvec_normalise(void *set)
{
    struct pvec *v = set;
    if (v->n < 2)
        return;
    qsort(v->r, v->n, sizeof *v->r, prange_cmp);
    uint32_t out = 0;
    for (uint32_t i = 1; i < v->n; i++) {
        struct det_port_range *cur = &v->r[out];
        if ((uint32_t)v->r[i].lo <= (uint32_t)cur->hi + 1) {
            if (v->r[i].hi > cur->hi)
                cur->hi = v->r[i].hi;
        } else {
            v->r[++out] = v->r[i];
        }
    }
    v->n = out + 1;
}

static int pvec_append(void *dst, const void *src)
{
    const struct pvec *s = src;
    return pvec_add(dst, s->r, s->n);
}

/* a = a - b, both normalised. */
static int pvec_subtract(void *set, const void *minus)
{
    struct pvec *a = set, r = {0};
    const struct pvec *b = minus;
    uint32_t j = 0;
    int rc = 0;
    for (uint32_t i = 0; i < a->n && !rc; i++) {
        uint32_t cur = a->r[i].lo, hi = a->r[i].hi;
        while (j < b->n && b->r[j].hi < cur)
            j++;
        bool done = false;
        for (uint32_t k = j; k < b->n && b->r[k].lo <= hi && !rc; k++) {
            if (b->r[k].lo > cur)
                rc = pvec_push(&r, cur, b->r[k].lo - 1u);
            if (b->r[k].hi >= hi) {
                done = true;
                break;
            }
            cur = b->r[k].hi + 1u;
        }
        if (!done && !rc)
            rc = pvec_push(&r, cur, hi);
    }
    pvec_fini(a);
    if (rc) {
        pvec_fini(&r);
        return rc;
    }
    *a = r;
    return 0;
}

static bool pvec_empty(const void *set)
{
    return ((const struct pvec *)set)->n == 0;
}

/* Moves a normalised, non-empty set into the public form. */
static void pvec_export(void *set, void *dst)
{
    struct pvec *p = set;
    struct det_portset *out = dst;
    if (p->n == 1 && p->r[0].lo == 0 && p->r[0].hi == 65535) {
        out->any = true;
        return;
    }
    struct det_port_range *r = realloc(p->r, p->n * sizeof *r);
    out->r = r ? r : p->r;
    out->n = p->n;
    p->r = NULL;
}

/* ---------------- the two kinds of set ---------------- */

/* Storage for either kind; struct set_ops says which one is in use. The larger member comes
 * first so that {0} empties either. */
union set_buf {
    struct aset a;
    struct pvec p;
};

enum set_kind { SK_ADDR, SK_PORT, SK_N };

struct actx;

/* What the shared grammar needs from one kind of set. Sets are passed as void * to a
 * union set_buf member of that kind; literal, full and append add to their destination. */
struct set_ops {
    enum set_kind kind;
    const char *noun, *plural;      /* "address", "addresses": for messages */
    const struct det_var *defaults; /* built-in variables */
    size_t n_defaults;
    /* one range, CIDR, number...: parses s (trimmed, not empty) into out; afail on error */
    int (*literal)(struct actx *c, const char *s, size_t len, void *out);
    int (*full)(void *out); /* out += everything */
    int (*append)(void *dst, const void *src);
    void (*normalise)(void *set);
    int (*subtract)(void *set, const void *minus); /* both normalised; set emptied on error */
    bool (*empty)(const void *set);
    void (*fini)(void *set);
    void (*export)(void *set, void *out); /* normalised, non-empty set -> det_*set */
};

/* ---------------- variables ---------------- */

enum { VS_NEW = 0, VS_BUSY, VS_OK };

struct var_ent {
    char *name, *value; /* owned */
    int state;
    union set_buf set; /* of the kind of its table, valid when VS_OK */
};

struct var_list {
    struct var_ent *v;
    size_t n;
};

struct det_vartab {
    struct var_list vars[SK_N]; /* by enum set_kind */
};

/* Suricata's suricata.yaml defaults (address-groups, port-groups). */
static const struct det_var default_addr_vars[] = {
    {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12,fc00::/7]"},
    {"EXTERNAL_NET", "!$HOME_NET"},
    {"HTTP_SERVERS", "$HOME_NET"},
    {"SMTP_SERVERS", "$HOME_NET"},
    {"SQL_SERVERS", "$HOME_NET"},
    {"DNS_SERVERS", "$HOME_NET"},
    {"TELNET_SERVERS", "$HOME_NET"},
    {"AIM_SERVERS", "$HOME_NET"},
    {"DC_SERVERS", "$HOME_NET"},
    {"DNP3_SERVER", "$HOME_NET"},
    {"DNP3_CLIENT", "$HOME_NET"},
    {"MODBUS_CLIENT", "$HOME_NET"},
    {"MODBUS_SERVER", "$HOME_NET"},
    {"ENIP_CLIENT", "$HOME_NET"},
    {"ENIP_SERVER", "$HOME_NET"},
};

static const struct det_var default_port_vars[] = {
    {"HTTP_PORTS", "80"},
    {"SHELLCODE_PORTS", "!80"},
    {"ORACLE_PORTS", "1521"},
    {"SSH_PORTS", "22"},
    {"DNP3_PORTS", "20000"},
    {"MODBUS_PORTS", "502"},
    {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
    {"FTP_PORTS", "21"},
    {"GENEVE_PORTS", "6081"},
    {"VXLAN_PORTS", "4789"},
    {"TEREDO_PORTS", "3544"},
};

static void var_list_free(struct var_list *l, const struct set_ops *ops)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].value);
        ops->fini(&l->v[i].set);
    }
    free(l->v);
}

static struct var_ent *var_find(struct var_ent *v, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(v[i].name) == len && memcmp(v[i].name, name, len) == 0)
            return &v[i];
    }
    return NULL;
}

/* Configured variables first, then the defaults the configuration does not override. */
static int vars_build(struct var_list *l, const struct det_var *given, size_t n_given,
                      const struct set_ops *ops)
{
    size_t n_defs = ops->n_defaults;
    struct var_ent *v = calloc(n_given + n_defs + 1, sizeof *v);
    if (!v)
        return MM_ENOMEM;
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < n_given + n_defs && !rc; i++) {
        const struct det_var *src = i < n_given ? &given[i] : &ops->defaults[i - n_given];
        if (!src->name || !src->value) {
            rc = MM_EINVAL;
            break;
        }
        const char *name = src->name[0] == '$' ? src->name + 1 : src->name;
        if (var_find(v, n, name, strlen(name)))
            continue; /* the configured value wins; a repeated name keeps the first */
        v[n].name = strdup(name);
        v[n].value = strdup(src->value);
        n++;
        if (!v[n - 1].name || !v[n - 1].value)
            rc = MM_ENOMEM;
    }
    l->v = v;
    l->n = n;
    return rc;
}

/* ---------------- parsing ---------------- */

struct actx {
    struct det_vartab *t;
    unsigned var_depth; /* variables being resolved inside each other */
    bool named;         /* msg already names the variable that failed */
    char msg[256];
    int rc;
};

__attribute__((format(printf, 2, 3))) static int afail(struct actx *c, const char *fmt, ...)
{
    if (c->rc)
        return c->rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    c->rc = MM_EINVAL;
    return c->rc;
}

/* Records a failed set operation (0 passes through). */
static int aoom(struct actx *c, int rc)
{
    if (rc && !c->rc) {
        snprintf(c->msg, sizeof c->msg, "%s",
                 rc == MM_ENOMEM ? "out of memory" : "too many ranges (addresses or ports)");
        c->rc = rc == MM_ENOMEM ? MM_ENOMEM : MM_EINVAL;
    }
    return rc ? c->rc : 0;
}

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void trim(const char **s, size_t *len)
{
    while (*len && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len && is_space((*s)[*len - 1]))
        (*len)--;
}

/* Shows at most 40 bytes of rule text in a message. */
#define SHOW(len) ((int)((len) > 40 ? 40 : (len)))

/* Index of the ']' closing the '[' at s[0], or len when unbalanced. */
static size_t match_bracket(const char *s, size_t len)
{
    size_t depth = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '[')
            depth++;
        else if (s[i] == ']' && --depth == 0)
            return i;
    }
    return len;
}

static bool var_name_ok(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-' || ch == '.'))
            return false;
    }
    return true;
}

/* Dotted quad, each part 0-255, exactly four parts. */
static bool parse_v4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= len || s[i] != '.')
                return false;
            i++;
        }
        unsigned v = 0, digits = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(s[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return false;
        out[part] = (uint8_t)v;
    }
    return i == len;
}

static bool parse_v6(const char *s, size_t len, uint8_t out[16])
{
    char buf[64];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = 0;
    return inet_pton(AF_INET6, buf, out) == 1;
}

/* One address: IPv4 or IPv6 (16-byte form), version in *ver. */
static bool parse_ip(const char *s, size_t len, uint8_t out[16], int *ver)
{
    memset(out, 0, 16);
    if (memchr(s, ':', len)) {
        *ver = 6;
        return parse_v6(s, len, out);
    }
    *ver = 4;
    return parse_v4(s, len, out);
}

static bool parse_small_uint(const char *s, size_t len, unsigned max, unsigned *out)
{
    if (len == 0 || len > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Prefix length of a dotted IPv4 mask (contiguous ones), -1 otherwise. */
static int mask_bits(const uint8_t m[4])
{
    uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
    int bits = 0;
    while (bits < 32 && (v & (0x80000000u >> bits)))
        bits++;
    uint32_t expect = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
    return v == expect ? bits : -1;
}

/* lo = a with host bits cleared, hi = a with host bits set. */
static void apply_prefix(const uint8_t a[16], unsigned w, unsigned bits, uint8_t lo[16],
                         uint8_t hi[16])
{
    memcpy(lo, a, 16);
    memcpy(hi, a, 16);
    for (unsigned i = 0; i < w; i++) {
        unsigned keep = bits >= (i + 1) * 8 ? 8 : (bits > i * 8 ? bits - i * 8 : 0);
        uint8_t mask = (uint8_t)(keep == 0 ? 0 : (0xffu << (8 - keep)) & 0xffu);
        lo[i] = (uint8_t)(lo[i] & mask);
        hi[i] = (uint8_t)(hi[i] | (uint8_t)~mask);
    }
}

/* ---- item parsers of each kind ---- */

static int addr_literal(struct actx *c, const char *s, size_t len, void *out)
{
    struct aset *set = out;
    uint8_t lo[16], hi[16];
    int ver = 0;
    const char *dash = memchr(s, '-', len);
    const char *slash = memchr(s, '/', len);
    if (dash) {
        /* a.b.c.d-e.f.g.h (IPv6 text has no '-') */
        size_t l1 = (size_t)(dash - s);
        int v2 = 0;
        if (!parse_ip(s, l1, lo, &ver) || !parse_ip(dash + 1, len - l1 - 1, hi, &v2) || ver != v2)
            return afail(c, "bad address range '%.*s'", SHOW(len), s);
        if (memcmp(lo, hi, 16) > 0)
            return afail(c, "address range '%.*s' ends before it starts", SHOW(len), s);
    } else {
        size_t alen = slash ? (size_t)(slash - s) : len;
        uint8_t a[16];
        if (!parse_ip(s, alen, a, &ver))
            return afail(c, "bad address '%.*s'", SHOW(len), s);
        unsigned w = ver == 4 ? 4 : 16;
        unsigned bits = w * 8;
        if (slash) {
            const char *m = slash + 1;
            size_t mlen = len - alen - 1;
            uint8_t mask[4];
            if (ver == 4 && memchr(m, '.', mlen)) {
                int b = parse_v4(m, mlen, mask) ? mask_bits(mask) : -1;
                if (b < 0)
                    return afail(c, "bad netmask in '%.*s'", SHOW(len), s);
                bits = (unsigned)b;
            } else if (!parse_small_uint(m, mlen, w * 8, &bits)) {
                return afail(c, "bad prefix length in '%.*s'", SHOW(len), s);
            }
        }
        apply_prefix(a, w, bits, lo, hi);
    }
    return aoom(c, rvec_push(ver == 4 ? &set->v4 : &set->v6, lo, hi));
}

static int port_literal(struct actx *c, const char *s, size_t len, void *out)
{
    unsigned lo = 0, hi = 65535;
    const char *colon = memchr(s, ':', len);
    if (colon) {
        size_t l1 = (size_t)(colon - s), l2 = len - l1 - 1;
        if ((l1 == 0 && l2 == 0) || (l1 && !parse_small_uint(s, l1, 65535, &lo)) ||
            (l2 && !parse_small_uint(colon + 1, l2, 65535, &hi)))
            return afail(c, "bad port range '%.*s'", SHOW(len), s);
        if (lo > hi)
            return afail(c, "port range '%.*s' ends before it starts", SHOW(len), s);
    } else {
        if (!parse_small_uint(s, len, 65535, &lo))
            return afail(c, "bad port '%.*s'", SHOW(len), s);
        hi = lo;
    }
    return aoom(c, pvec_push(out, lo, hi));
}

static const struct set_ops addr_ops = {
    .kind = SK_ADDR,
    .noun = "address",
    .plural = "addresses",
    .defaults = default_addr_vars,
    .n_defaults = MM_ARRAY_LEN(default_addr_vars),
    .literal = addr_literal,
    .full = aset_full,
    .append = aset_append,
    .normalise = aset_normalise,
    .subtract = aset_subtract,
    .empty = aset_empty,
    .fini = aset_fini,
    .export = aset_export,
};

static const struct set_ops port_ops = {
    .kind = SK_PORT,
    .noun = "port",
    .plural = "ports",
    .defaults = default_port_vars,
    .n_defaults = MM_ARRAY_LEN(default_port_vars),
    .literal = port_literal,
    .full = pvec_full,
    .append = pvec_append,
    .normalise = pvec_normalise,
    .subtract = pvec_subtract,
    .empty = pvec_empty,
    .fini = pvec_fini,
    .export = pvec_export,
};

static const struct set_ops *const set_kinds[SK_N] = {[SK_ADDR] = &addr_ops, [SK_PORT] = &port_ops};

/* ---- the grammar, shared by both kinds ---- */

static int set_eval(struct actx *c, const struct set_ops *ops, const char *s, size_t len,
                    unsigned depth, void *out);

/* Computes a variable's set from its value and keeps it (VS_OK). */
static int var_build(struct actx *c, const struct set_ops *ops, struct var_ent *v)
{
    /* A variable is resolved on its own (nesting depth 0), so its value does not depend
     * on where it is first used; only the chain of variables is bounded here. Failures
     * are not remembered: the next use reports them again. */
    if (c->var_depth >= DET_LIST_MAX_DEPTH)
        return afail(c, "variables nested deeper than %u", DET_LIST_MAX_DEPTH);
    union set_buf tmp = {0};
    v->state = VS_BUSY;
    c->var_depth++;
    int rc = set_eval(c, ops, v->value, strlen(v->value), 0, &tmp);
    c->var_depth--;
    if (!rc && ops->empty(&tmp))
        rc = afail(c, "matches no %s", ops->noun);
    if (rc) {
        ops->fini(&tmp);
        v->state = VS_NEW;
        if (rc != MM_ENOMEM && !c->named) {
            /* name the innermost variable, where the bad text is */
            char inner[sizeof c->msg];
            memcpy(inner, c->msg, sizeof inner);
            snprintf(c->msg, sizeof c->msg, "%s variable $%.40s: %.180s", ops->noun, v->name,
                     inner);
            c->named = true;
        }
        return rc;
    }
    ops->normalise(&tmp);
    v->set = tmp;
    v->state = VS_OK;
    return 0;
}

/* "$NAME": adds the variable's set to out, building it on first use. */
static int var_eval(struct actx *c, const struct set_ops *ops, const char *name, size_t nlen,
                    void *out)
{
    if (!var_name_ok(name, nlen))
        return afail(c, "bad variable name '$%.*s'", SHOW(nlen), name);
    const struct var_list *l = &c->t->vars[ops->kind];
    struct var_ent *v = var_find(l->v, l->n, name, nlen);
    if (!v)
        return afail(c, "unknown %s variable $%.*s", ops->noun, SHOW(nlen), name);
    if (v->state == VS_BUSY)
        return afail(c, "%s variable $%s refers to itself", ops->noun, v->name);
    if (v->state == VS_NEW) {
        int rc = var_build(c, ops, v);
        if (rc)
            return rc;
    }
    return aoom(c, ops->append(out, &v->set));
}

typedef int (*list_item_fn)(struct actx *c, const char *s, size_t len, bool neg, void *arg);

/* Calls fn for each item of the comma list inside '[' ']' (commas in nested brackets do not
 * split), trimmed, with a leading '!' taken off and passed as neg. Stops at the first error. */
static int list_walk(struct actx *c, const char *noun, const char *s, size_t len, list_item_fn fn,
                     void *arg)
{
    if (len == 0)
        return afail(c, "empty %s list", noun);
    size_t start = 0, bdepth = 0;
    int rc = 0;
    for (size_t i = 0; i <= len && !rc; i++) {
        if (i < len && s[i] == '[')
            bdepth++;
        else if (i < len && s[i] == ']')
            bdepth--;
        if (i < len && (s[i] != ',' || bdepth != 0))
            continue;
        const char *e = s + start;
        size_t elen = i - start;
        start = i + 1;
        trim(&e, &elen);
        if (elen == 0)
            return afail(c, "empty item in %s list", noun);
        size_t bang = e[0] == '!' ? 1 : 0;
        rc = fn(c, e + bang, elen - bang, bang != 0, arg);
    }
    return rc;
}

/* (union of the positive items) minus (union of the negated ones), gathered item by item. */
struct set_acc {
    const struct set_ops *ops;
    unsigned depth; /* of the list; its items are one deeper */
    bool have_pos;
    union set_buf pos, neg;
};

static int acc_item(struct actx *c, const char *s, size_t len, bool neg, void *arg)
{
    struct set_acc *a = arg;
    a->have_pos |= !neg;
    return set_eval(c, a->ops, s, len, a->depth + 1, neg ? &a->neg : &a->pos);
}

/* pos -= neg; with only negated items, pos starts as everything. */
static int acc_reduce(struct actx *c, struct set_acc *a)
{
    const struct set_ops *ops = a->ops;
    int rc = a->have_pos ? 0 : ops->full(&a->pos);
    if (!rc) {
        ops->normalise(&a->pos);
        ops->normalise(&a->neg);
        rc = ops->subtract(&a->pos, &a->neg);
    }
    return aoom(c, rc);
}

static void acc_fini(struct set_acc *a)
{
    a->ops->fini(&a->pos);
    a->ops->fini(&a->neg);
}

/* "[a,!b,...]": s and len are the text inside the brackets. */
static int set_list(struct actx *c, const struct set_ops *ops, const char *s, size_t len,
                    unsigned depth, void *out)
{
    struct set_acc a = {.ops = ops, .depth = depth};
    int rc = list_walk(c, ops->noun, s, len, acc_item, &a);
    if (!rc)
        rc = acc_reduce(c, &a);
    if (!rc)
        rc = aoom(c, ops->append(out, &a.pos));
    acc_fini(&a);
    return rc;
}

/* "!x": everything minus x, which must leave something. */
static int set_not(struct actx *c, const struct set_ops *ops, const char *s, size_t len,
                   unsigned depth, void *out)
{
    struct set_acc a = {.ops = ops, .depth = depth};
    int rc = acc_item(c, s + 1, len - 1, true, &a);
    if (!rc)
        rc = acc_reduce(c, &a);
    if (!rc && ops->empty(&a.pos))
        rc = afail(c, "'%.*s' matches no %s", SHOW(len), s, ops->noun);
    if (!rc)
        rc = aoom(c, ops->append(out, &a.pos));
    acc_fini(&a);
    return rc;
}

/* Evaluates one (possibly negated) expression, adding the result to out. */
static int set_eval(struct actx *c, const struct set_ops *ops, const char *s, size_t len,
                    unsigned depth, void *out)
{
    trim(&s, &len);
    if (depth > DET_LIST_MAX_DEPTH)
        return afail(c, "%s nested deeper than %u", ops->plural, DET_LIST_MAX_DEPTH);
    if (len == 0)
        return afail(c, "empty %s", ops->noun);
    if (s[0] == '!')
        return set_not(c, ops, s, len, depth, out);
    if (s[0] == '[') {
        size_t close = match_bracket(s, len);
        if (close == len)
            return afail(c, "unbalanced '[' in '%.*s'", SHOW(len), s);
        if (close != len - 1)
            return afail(c, "text after ']' in '%.*s'", SHOW(len), s);
        return set_list(c, ops, s + 1, len - 2, depth, out);
    }
    if (s[0] == '$')
        return var_eval(c, ops, s + 1, len - 1, out);
    if (len == 3 && strncasecmp(s, "any", 3) == 0)
        return aoom(c, ops->full(out));
    return ops->literal(c, s, len, out);
}

/* ---------------- public ---------------- */

static void copy_msg(const struct actx *c, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", c->msg);
}

/* Text -> det_addrset / det_portset (out, already emptied by the caller). */
static int set_parse(struct det_vartab *t, const struct set_ops *ops, const char *s, size_t len,
                     void *out, char *err, size_t errlen)
{
    struct actx c = {.t = t};
    union set_buf b = {0};
    int rc = set_eval(&c, ops, s, len, 0, &b);
    ops->normalise(&b);
    if (!rc && ops->empty(&b))
        rc = afail(&c, "%s '%.*s' matches nothing", ops->noun, SHOW(len), s);
    if (!rc)
        ops->export(&b, out);
    ops->fini(&b);
    if (rc)
        copy_msg(&c, err, errlen);
    return rc;
}

int det_addr_parse(struct det_vartab *t, const char *s, size_t len, struct det_addrset *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    return set_parse(t, &addr_ops, s, len, out, err, errlen);
}

int det_port_parse(struct det_vartab *t, const char *s, size_t len, struct det_portset *out,
                   char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    return set_parse(t, &port_ops, s, len, out, err, errlen);
}

void det_addrset_fini(struct det_addrset *s)
{
    free(s->v4);
    free(s->v6);
    memset(s, 0, sizeof *s);
}

void det_portset_fini(struct det_portset *s)
{
    free(s->r);
    memset(s, 0, sizeof *s);
}

void det_vartab_free(struct det_vartab *t)
{
    if (!t)
        return;
    for (int k = 0; k < SK_N; k++)
        var_list_free(&t->vars[k], set_kinds[k]);
    free(t);
}

/* Resolves the configured variables (the first n_given[kind] entries of each table) so a bad
 * one is reported once, at start. */
static int vartab_check(struct det_vartab *t, const size_t n_given[SK_N], char *err, size_t errlen)
{
    for (int k = 0; k < SK_N; k++) {
        const struct set_ops *ops = set_kinds[k];
        const struct var_list *l = &t->vars[k];
        for (size_t i = 0; i < l->n && i < n_given[k]; i++) {
            struct actx c = {.t = t};
            union set_buf tmp = {0};
            int rc = var_eval(&c, ops, l->v[i].name, strlen(l->v[i].name), &tmp);
            ops->fini(&tmp);
            if (rc) {
                snprintf(err, errlen, "%s", c.msg);
                return rc;
            }
        }
    }
    return 0;
}

int det_vartab_create(const struct det_parse_opts *o, struct det_vartab **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    struct det_vartab *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return MM_ENOMEM;
    }
    const struct det_var *given[SK_N] = {
        [SK_ADDR] = o ? o->addr_vars : NULL, [SK_PORT] = o ? o->port_vars : NULL};
    size_t n_given[SK_N] = {[SK_ADDR] = given[SK_ADDR] ? o->n_addr_vars : 0,
                            [SK_PORT] = given[SK_PORT] ? o->n_port_vars : 0};
    int rc = 0;
    for (int k = 0; k < SK_N && !rc; k++)
        rc = vars_build(&t->vars[k], given[k], n_given[k], set_kinds[k]);
    if (rc)
        snprintf(err, errlen, "%s",
                 rc == MM_ENOMEM ? "out of memory" : "variable without a name or value");
    else
        rc = vartab_check(t, n_given, err, errlen);
    if (rc) {
        det_vartab_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

struct det_vartab *det_vartab_new(const struct det_parse_opts *o, char *err, size_t errlen)
{
    struct det_vartab *t;
    return det_vartab_create(o, &t, err, errlen) == 0 ? t : NULL;
}

bool det_addr_match(const struct det_addrset *s, const uint8_t a[16], int ip_ver)
{
    if (s->any)
        return true;
    const struct det_addr_range *r;
    uint32_t n;
    size_t w;
    if (ip_ver == 4) {
        r = s->v4;
        n = s->n_v4;
        w = 4;
    } else if (ip_ver == 6) {
        r = s->v6;
        n = s->n_v6;
        w = 16;
    } else {
        return false;
    }
    /* first range whose end is >= a */
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (memcmp(r[mid].hi, a, w) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && memcmp(r[lo].lo, a, w) <= 0;
}

bool det_port_match(const struct det_portset *s, uint16_t port)
{
    if (s->any)
        return true;
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->r[mid].hi < port)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->r[lo].lo <= port;
}
