/*
 * Rule header addresses and ports (grammar in rule_addr.h). Sets are computed as sorted,
 * disjoint, inclusive ranges: a list is the union of its positive items minus the union of
 * its negated items, "!X" is everything minus X, and "everything" is all of IPv4 plus all
 * of IPv6 (ports: 0-65535). Variables come from the configuration (det_parse_opts) or the
 * defaults of Suricata's suricata.yaml, are resolved once and reused.
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

static int rvec_push(struct rvec *v, const uint8_t lo[16], const uint8_t hi[16])
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        if (cap > RANGES_MAX)
            return MM_ELIMIT;
        struct det_addr_range *r = realloc(v->r, cap * sizeof *r);
        if (!r)
            return MM_ENOMEM;
        v->r = r;
        v->cap = cap;
    }
    memcpy(v->r[v->n].lo, lo, 16);
    memcpy(v->r[v->n].hi, hi, 16);
    v->n++;
    return 0;
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

static int rvec_append(struct rvec *dst, const struct rvec *src)
{
    for (uint32_t i = 0; i < src->n; i++) {
        int rc = rvec_push(dst, src->r[i].lo, src->r[i].hi);
        if (rc)
            return rc;
    }
    return 0;
}

static bool rvec_is_full(const struct rvec *v, unsigned w)
{
    uint8_t hi[16] = {0};
    memset(hi, 0xff, w);
    static const uint8_t zero[16];
    return v->n == 1 && memcmp(v->r[0].lo, zero, 16) == 0 && memcmp(v->r[0].hi, hi, 16) == 0;
}

static void aset_fini(struct aset *a)
{
    rvec_fini(&a->v4);
    rvec_fini(&a->v6);
}

static int aset_full(struct aset *a)
{
    int rc = rvec_full(&a->v4, 4);
    return rc ? rc : rvec_full(&a->v6, 16);
}

/* dst += src's ranges, unsorted: lists collect all their items and normalise once, so a
 * list of n addresses costs one sort, not n. */
static int aset_append(struct aset *dst, const struct aset *src)
{
    int rc = rvec_append(&dst->v4, &src->v4);
    return rc ? rc : rvec_append(&dst->v6, &src->v6);
}

static void aset_normalise(struct aset *a)
{
    rvec_normalise(&a->v4, 4);
    rvec_normalise(&a->v6, 16);
}

/* a = a - b; both normalised */
static int aset_subtract(struct aset *a, const struct aset *b)
{
    struct aset r = {0};
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

/* ---------------- port vectors ---------------- */

static int pvec_push(struct pvec *v, uint32_t lo, uint32_t hi)
{
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        if (cap > RANGES_MAX)
            return MM_ELIMIT;
        struct det_port_range *r = realloc(v->r, cap * sizeof *r);
        if (!r)
            return MM_ENOMEM;
        v->r = r;
        v->cap = cap;
    }
    v->r[v->n].lo = (uint16_t)lo;
    v->r[v->n].hi = (uint16_t)hi;
    v->n++;
    return 0;
}

static void pvec_fini(struct pvec *v)
{
    free(v->r);
    memset(v, 0, sizeof *v);
}

static int prange_cmp(const void *x, const void *y)
{
    const struct det_port_range *a = x, *b = y;
    return (int)a->lo - (int)b->lo;
}

static void pvec_normalise(struct pvec *v)
{
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

static int pvec_append(struct pvec *dst, const struct pvec *src)
{
    for (uint32_t i = 0; i < src->n; i++) {
        int rc = pvec_push(dst, src->r[i].lo, src->r[i].hi);
        if (rc)
            return rc;
    }
    return 0;
}

/* a = a - b, both normalised. */
static int pvec_subtract(struct pvec *a, const struct pvec *b)
{
    struct pvec r = {0};
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

/* ---------------- variables ---------------- */

enum { VS_NEW = 0, VS_BUSY, VS_OK };

struct var_ent {
    char *name, *value; /* owned */
    int state;
    struct aset a; /* address variables */
    struct pvec p; /* port variables */
};

struct det_vartab {
    struct var_ent *addr, *port;
    size_t n_addr, n_port;
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

static void var_fini(struct var_ent *v)
{
    free(v->name);
    free(v->value);
    aset_fini(&v->a);
    pvec_fini(&v->p);
}

void det_vartab_free(struct det_vartab *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_addr; i++)
        var_fini(&t->addr[i]);
    for (size_t i = 0; i < t->n_port; i++)
        var_fini(&t->port[i]);
    free(t->addr);
    free(t->port);
    free(t);
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
static int vars_build(struct var_ent **out, size_t *n_out, const struct det_var *given,
                      size_t n_given, const struct det_var *defs, size_t n_defs)
{
    struct var_ent *v = calloc(n_given + n_defs + 1, sizeof *v);
    if (!v)
        return MM_ENOMEM;
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < n_given + n_defs && !rc; i++) {
        const struct det_var *src = i < n_given ? &given[i] : &defs[i - n_given];
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
    *out = v;
    *n_out = n;
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

static int aoom(struct actx *c, int rc)
{
    if (!c->rc) {
        snprintf(c->msg, sizeof c->msg, "%s",
                 rc == MM_ENOMEM ? "out of memory" : "too many address ranges");
        c->rc = rc == MM_ENOMEM ? MM_ENOMEM : MM_EINVAL;
    }
    return c->rc;
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

static int addr_literal(struct actx *c, const char *s, size_t len, struct aset *out)
{
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
    int rc = rvec_push(ver == 4 ? &out->v4 : &out->v6, lo, hi);
    return rc ? aoom(c, rc) : 0;
}

static int addr_eval(struct actx *c, const char *s, size_t len, unsigned depth, struct aset *out);

static int addr_var(struct actx *c, const char *name, size_t nlen, struct aset *out)
{
    if (!var_name_ok(name, nlen))
        return afail(c, "bad variable name '$%.*s'", SHOW(nlen), name);
    struct var_ent *v = var_find(c->t->addr, c->t->n_addr, name, nlen);
    if (!v)
        return afail(c, "unknown address variable $%.*s", SHOW(nlen), name);
    if (v->state == VS_BUSY)
        return afail(c, "address variable $%s refers to itself", v->name);
    if (v->state == VS_NEW) {
        /* A variable is resolved on its own (nesting depth 0), so its value does not depend
         * on where it is first used; only the chain of variables is bounded here. Failures
         * are not remembered: the next use reports them again. */
        if (c->var_depth >= DET_LIST_MAX_DEPTH)
            return afail(c, "variables nested deeper than %u", DET_LIST_MAX_DEPTH);
        struct aset tmp = {0};
        v->state = VS_BUSY;
        c->var_depth++;
        int rc = addr_eval(c, v->value, strlen(v->value), 0, &tmp);
        c->var_depth--;
        if (!rc && tmp.v4.n == 0 && tmp.v6.n == 0)
            rc = afail(c, "matches no address");
        if (rc) {
            aset_fini(&tmp);
            v->state = VS_NEW;
            if (rc != MM_ENOMEM && !c->named) {
                /* name the innermost variable, where the bad text is */
                char inner[sizeof c->msg];
                memcpy(inner, c->msg, sizeof inner);
                snprintf(c->msg, sizeof c->msg, "address variable $%.40s: %.180s", v->name, inner);
                c->named = true;
            }
            return rc;
        }
        aset_normalise(&tmp);
        v->a = tmp;
        v->state = VS_OK;
    }
    int rc = aset_append(out, &v->a);
    return rc ? aoom(c, rc) : 0;
}

static int addr_list(struct actx *c, const char *s, size_t len, unsigned depth, struct aset *out)
{
    struct aset pos = {0}, neg = {0}, item = {0};
    bool have_pos = false;
    size_t start = 0, bdepth = 0;
    int rc = 0;
    if (len == 0)
        return afail(c, "empty address list");
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
        if (elen == 0) {
            rc = afail(c, "empty item in address list");
            break;
        }
        bool is_neg = e[0] == '!';
        if (is_neg) {
            e++;
            elen--;
        }
        memset(&item, 0, sizeof item);
        rc = addr_eval(c, e, elen, depth + 1, &item);
        if (!rc) {
            rc = aset_append(is_neg ? &neg : &pos, &item);
            if (rc)
                rc = aoom(c, rc);
        }
        aset_fini(&item);
        have_pos |= !is_neg;
    }
    if (!rc && !have_pos) {
        rc = aset_full(&pos);
        if (rc)
            rc = aoom(c, rc);
    }
    if (!rc) {
        aset_normalise(&pos);
        aset_normalise(&neg);
        rc = aset_subtract(&pos, &neg);
        if (rc)
            rc = aoom(c, rc);
    }
    if (!rc) {
        rc = aset_append(out, &pos);
        if (rc)
            rc = aoom(c, rc);
    }
    aset_fini(&pos);
    aset_fini(&neg);
    return rc;
}

/* Evaluates one (possibly negated) address expression, adding the result to out. */
static int addr_eval(struct actx *c, const char *s, size_t len, unsigned depth, struct aset *out)
{
    trim(&s, &len);
    if (depth > DET_LIST_MAX_DEPTH)
        return afail(c, "addresses nested deeper than %u", DET_LIST_MAX_DEPTH);
    if (len == 0)
        return afail(c, "empty address");
    if (s[0] == '!') {
        struct aset inner = {0}, all = {0};
        int rc = addr_eval(c, s + 1, len - 1, depth + 1, &inner);
        if (!rc) {
            aset_normalise(&inner);
            rc = aset_full(&all);
            if (!rc)
                rc = aset_subtract(&all, &inner);
            if (rc)
                rc = aoom(c, rc);
        }
        if (!rc && all.v4.n == 0 && all.v6.n == 0)
            rc = afail(c, "'%.*s' matches no address", SHOW(len), s);
        if (!rc) {
            rc = aset_append(out, &all);
            if (rc)
                rc = aoom(c, rc);
        }
        aset_fini(&inner);
        aset_fini(&all);
        return rc;
    }
    if (s[0] == '[') {
        size_t close = match_bracket(s, len);
        if (close == len)
            return afail(c, "unbalanced '[' in '%.*s'", SHOW(len), s);
        if (close != len - 1)
            return afail(c, "text after ']' in '%.*s'", SHOW(len), s);
        return addr_list(c, s + 1, len - 2, depth, out);
    }
    if (s[0] == '$')
        return addr_var(c, s + 1, len - 1, out);
    if (len == 3 && strncasecmp(s, "any", 3) == 0) {
        int rc = aset_full(out);
        return rc ? aoom(c, rc) : 0;
    }
    return addr_literal(c, s, len, out);
}

/* ---- ports ---- */

static int port_eval(struct actx *c, const char *s, size_t len, unsigned depth, struct pvec *out);

static int port_var(struct actx *c, const char *name, size_t nlen, struct pvec *out)
{
    if (!var_name_ok(name, nlen))
        return afail(c, "bad variable name '$%.*s'", SHOW(nlen), name);
    struct var_ent *v = var_find(c->t->port, c->t->n_port, name, nlen);
    if (!v)
        return afail(c, "unknown port variable $%.*s", SHOW(nlen), name);
    if (v->state == VS_BUSY)
        return afail(c, "port variable $%s refers to itself", v->name);
    if (v->state == VS_NEW) {
        if (c->var_depth >= DET_LIST_MAX_DEPTH)
            return afail(c, "variables nested deeper than %u", DET_LIST_MAX_DEPTH);
        struct pvec tmp = {0};
        v->state = VS_BUSY;
        c->var_depth++;
        int rc = port_eval(c, v->value, strlen(v->value), 0, &tmp);
        c->var_depth--;
        if (!rc && tmp.n == 0)
            rc = afail(c, "matches no port");
        if (rc) {
            pvec_fini(&tmp);
            v->state = VS_NEW;
            if (rc != MM_ENOMEM && !c->named) {
                /* name the innermost variable, where the bad text is */
                char inner[sizeof c->msg];
                memcpy(inner, c->msg, sizeof inner);
                snprintf(c->msg, sizeof c->msg, "port variable $%.40s: %.180s", v->name, inner);
                c->named = true;
            }
            return rc;
        }
        pvec_normalise(&tmp);
        v->p = tmp;
        v->state = VS_OK;
    }
    int rc = pvec_append(out, &v->p);
    return rc ? aoom(c, rc) : 0;
}

static int port_list(struct actx *c, const char *s, size_t len, unsigned depth, struct pvec *out)
{
    struct pvec pos = {0}, neg = {0}, item = {0};
    bool have_pos = false;
    size_t start = 0, bdepth = 0;
    int rc = 0;
    if (len == 0)
        return afail(c, "empty port list");
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
        if (elen == 0) {
            rc = afail(c, "empty item in port list");
            break;
        }
        bool is_neg = e[0] == '!';
        if (is_neg) {
            e++;
            elen--;
        }
        memset(&item, 0, sizeof item);
        rc = port_eval(c, e, elen, depth + 1, &item);
        if (!rc) {
            rc = pvec_append(is_neg ? &neg : &pos, &item);
            if (rc)
                rc = aoom(c, rc);
        }
        pvec_fini(&item);
        have_pos |= !is_neg;
    }
    if (!rc && !have_pos) {
        rc = pvec_push(&pos, 0, 65535);
        if (rc)
            rc = aoom(c, rc);
    }
    if (!rc) {
        pvec_normalise(&pos);
        pvec_normalise(&neg);
        rc = pvec_subtract(&pos, &neg);
        if (rc)
            rc = aoom(c, rc);
    }
    if (!rc) {
        rc = pvec_append(out, &pos);
        if (rc)
            rc = aoom(c, rc);
    }
    pvec_fini(&pos);
    pvec_fini(&neg);
    return rc;
}

static int port_literal(struct actx *c, const char *s, size_t len, struct pvec *out)
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
    int rc = pvec_push(out, lo, hi);
    return rc ? aoom(c, rc) : 0;
}

static int port_eval(struct actx *c, const char *s, size_t len, unsigned depth, struct pvec *out)
{
    trim(&s, &len);
    if (depth > DET_LIST_MAX_DEPTH)
        return afail(c, "ports nested deeper than %u", DET_LIST_MAX_DEPTH);
    if (len == 0)
        return afail(c, "empty port");
    if (s[0] == '!') {
        struct pvec inner = {0}, all = {0};
        int rc = port_eval(c, s + 1, len - 1, depth + 1, &inner);
        if (!rc) {
            pvec_normalise(&inner);
            rc = pvec_push(&all, 0, 65535);
            if (!rc)
                rc = pvec_subtract(&all, &inner);
            if (rc)
                rc = aoom(c, rc);
        }
        if (!rc && all.n == 0)
            rc = afail(c, "'%.*s' matches no port", SHOW(len), s);
        if (!rc) {
            rc = pvec_append(out, &all);
            if (rc)
                rc = aoom(c, rc);
        }
        pvec_fini(&inner);
        pvec_fini(&all);
        return rc;
    }
    if (s[0] == '[') {
        size_t close = match_bracket(s, len);
        if (close == len)
            return afail(c, "unbalanced '[' in '%.*s'", SHOW(len), s);
        if (close != len - 1)
            return afail(c, "text after ']' in '%.*s'", SHOW(len), s);
        return port_list(c, s + 1, len - 2, depth, out);
    }
    if (s[0] == '$')
        return port_var(c, s + 1, len - 1, out);
    if (len == 3 && strncasecmp(s, "any", 3) == 0) {
        int rc = pvec_push(out, 0, 65535);
        return rc ? aoom(c, rc) : 0;
    }
    return port_literal(c, s, len, out);
}

/* ---------------- public ---------------- */

static void copy_msg(const struct actx *c, char *err, size_t errlen)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", c->msg);
}

static int to_addrset(struct aset *a, struct det_addrset *out)
{
    memset(out, 0, sizeof *out);
    if (rvec_is_full(&a->v4, 4) && rvec_is_full(&a->v6, 16)) {
        out->any = true;
        return 0;
    }
    /* Hand the vectors over; shrink to the exact size they need. */
    if (a->v4.n) {
        struct det_addr_range *r = realloc(a->v4.r, a->v4.n * sizeof *r);
        out->v4 = r ? r : a->v4.r;
        out->n_v4 = a->v4.n;
        a->v4.r = NULL;
    }
    if (a->v6.n) {
        struct det_addr_range *r = realloc(a->v6.r, a->v6.n * sizeof *r);
        out->v6 = r ? r : a->v6.r;
        out->n_v6 = a->v6.n;
        a->v6.r = NULL;
    }
    return 0;
}

int det_addr_parse(struct det_vartab *t, const char *s, size_t len, struct det_addrset *out,
                   char *err, size_t errlen)
{
    struct actx c = {.t = t};
    struct aset a = {0};
    memset(out, 0, sizeof *out);
    int rc = addr_eval(&c, s, len, 0, &a);
    aset_normalise(&a);
    if (!rc && a.v4.n == 0 && a.v6.n == 0)
        rc = afail(&c, "address '%.*s' matches nothing", SHOW(len), s);
    if (!rc)
        rc = to_addrset(&a, out);
    aset_fini(&a);
    if (rc)
        copy_msg(&c, err, errlen);
    return rc;
}

int det_port_parse(struct det_vartab *t, const char *s, size_t len, struct det_portset *out,
                   char *err, size_t errlen)
{
    struct actx c = {.t = t};
    struct pvec p = {0};
    memset(out, 0, sizeof *out);
    int rc = port_eval(&c, s, len, 0, &p);
    pvec_normalise(&p);
    if (!rc && p.n == 0)
        rc = afail(&c, "port '%.*s' matches nothing", SHOW(len), s);
    if (!rc) {
        if (p.n == 1 && p.r[0].lo == 0 && p.r[0].hi == 65535) {
            out->any = true;
        } else {
            struct det_port_range *r = realloc(p.r, p.n * sizeof *r);
            out->r = r ? r : p.r;
            out->n = p.n;
            p.r = NULL;
        }
    }
    pvec_fini(&p);
    if (rc)
        copy_msg(&c, err, errlen);
    return rc;
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

/* Resolves the configured variables (the first entries of each table) so a bad one is
 * reported once, at start. */
static int vartab_check(struct det_vartab *t, size_t nav, size_t npv, char *err, size_t errlen)
{
    for (size_t i = 0; i < t->n_addr && i < nav; i++) {
        struct actx c = {.t = t};
        struct aset tmp = {0};
        int rc = addr_var(&c, t->addr[i].name, strlen(t->addr[i].name), &tmp);
        aset_fini(&tmp);
        if (rc) {
            snprintf(err, errlen, "%s", c.msg);
            return rc;
        }
    }
    for (size_t i = 0; i < t->n_port && i < npv; i++) {
        struct actx c = {.t = t};
        struct pvec tmp = {0};
        int rc = port_var(&c, t->port[i].name, strlen(t->port[i].name), &tmp);
        pvec_fini(&tmp);
        if (rc) {
            snprintf(err, errlen, "%s", c.msg);
            return rc;
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
    const struct det_var *av = o ? o->addr_vars : NULL, *pv = o ? o->port_vars : NULL;
    size_t nav = av ? o->n_addr_vars : 0, npv = pv ? o->n_port_vars : 0;
    int rc = vars_build(&t->addr, &t->n_addr, av, nav, default_addr_vars,
                        MM_ARRAY_LEN(default_addr_vars));
    if (!rc)
        rc = vars_build(&t->port, &t->n_port, pv, npv, default_port_vars,
                        MM_ARRAY_LEN(default_port_vars));
    if (rc)
        snprintf(err, errlen, "%s",
                 rc == MM_ENOMEM ? "out of memory" : "variable without a name or value");
    else
        rc = vartab_check(t, nav, npv, err, errlen);
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
