/*
 * Active content in documents: OOXML external relationships, RTF embedded objects and
 * templates, Packager data, OLE2Link URLs, PDF actions and embedded files, also in compressed
 * object streams (docscan.h). Hostile input is data: every read is checked against the bytes
 * given, sizes from the data are never trusted, and each parser passes over its input a
 * bounded number of times (an object stream's inflated bytes once more).
 */
#include "detect/docscan.h"
#include "detect/docscan_int.h"

#include "app/textproto.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

static uint8_t ds_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static bool ds_starts_ci(const char *s, const char *lit)
{
    return strncasecmp(s, lit, strlen(lit)) == 0;
}

static bool ds_contains_ci(const char *s, const char *lit)
{
    for (; *s; s++)
        if (ds_starts_ci(s, lit))
            return true;
    return false;
}

void ds_put(char *out, size_t cap, size_t *k, uint32_t c)
{
    if (*k + 1 >= cap)
        return;
    out[(*k)++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
    out[*k] = 0;
}

/* ---- remote targets --------------------------------------------------------------------- */

const char *ds_rel_type_name(enum ds_rel_type t)
{
    switch (t) {
    case DS_REL_TEMPLATE: return "template";
    case DS_REL_OLE_OBJECT: return "OLE object";
    case DS_REL_FRAME: return "frame";
    case DS_REL_SUBDOCUMENT: return "subdocument";
    }
    return "part";
}

static bool ds_sep(char c)
{
    return c == '/' || c == '\\';
}

/* A dotted IPv4 address: four runs of 1-3 digits. */
static bool ds_ipv4_host(const char *h, size_t len)
{
    int dots = 0, digits = 0;
    for (size_t i = 0; i < len; i++) {
        if (h[i] >= '0' && h[i] <= '9') {
            if (++digits > 3)
                return false;
        } else if (h[i] == '.' && digits) {
            dots++;
            digits = 0;
        } else {
            return false;
        }
    }
    return dots == 3 && digits;
}

/* The host of a UNC path (host starts at h) is one on the network at large. */
static bool ds_unc_remote(const char *all, const char *h)
{
    size_t len = 0;
    while (h[len] && !ds_sep(h[len]))
        len++;
    if (!len)
        return false;
    if (ds_ipv4_host(h, len) || h[0] == '[' || memchr(h, '@', len))
        return true;
    return ds_contains_ci(all, "davwwwroot"); /* \\host\DavWWWRoot\: WebDAV over HTTP */
}

bool ds_target_remote(const char *t)
{
    while (*t == ' ' || *t == '\t')
        t++;
    static const char *const schemes[] = {"http:", "https:", "ftp:", "mhtml:", "search-ms:"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (ds_starts_ci(t, schemes[i]))
            return true;
    if (ds_starts_ci(t, "ms-")) { /* ms-msdt:, ms-word:, ms-excel: ... protocol handlers */
        for (const char *p = t + 3; *p && !ds_sep(*p); p++)
            if (*p == ':')
                return true;
        return false;
    }
    if (ds_starts_ci(t, "file:")) {
        const char *p = t + 5;
        int seps = 0;
        while (ds_sep(*p) && seps < 8) {
            p++;
            seps++;
        }
        /* file:///C:/... and file:C:\... are local; file://host/ and file:////host/ not */
        if (seps < 2 || (ds_is_letter((uint8_t)p[0]) && p[1] == ':'))
            return false;
        return ds_unc_remote(t, p);
    }
    if (ds_sep(t[0]) && ds_sep(t[1]))
        return ds_unc_remote(t, t + 2);
    return false;
}

/* ---- OOXML relationships --------------------------------------------------------------- */

void ds_xml_value(const uint8_t *v, size_t len, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    for (size_t i = 0; i < len;) {
        if (v[i] != '&') {
            ds_put(out, cap, &k, v[i++]);
            continue;
        }
        size_t semi = i + 1;
        while (semi < len && semi - i <= 10 && v[semi] != ';')
            semi++;
        if (semi >= len || v[semi] != ';') {
            ds_put(out, cap, &k, v[i++]);
            continue;
        }
        const uint8_t *e = v + i + 1;
        size_t el = semi - i - 1;
        uint32_t c = 0;
        bool ok = true;
        if (el == 3 && !memcmp(e, "amp", 3))
            c = '&';
        else if (el == 2 && !memcmp(e, "lt", 2))
            c = '<';
        else if (el == 2 && !memcmp(e, "gt", 2))
            c = '>';
        else if (el == 4 && !memcmp(e, "quot", 4))
            c = '"';
        else if (el == 4 && !memcmp(e, "apos", 4))
            c = '\'';
        else if (el >= 2 && e[0] == '#') {
            bool hex = e[1] == 'x' || e[1] == 'X';
            size_t j = hex ? 2 : 1;
            ok = j < el;
            for (; j < el && ok; j++) {
                int dv = hex ? tp_hexval(e[j]) : (e[j] >= '0' && e[j] <= '9' ? e[j] - '0' : -1);
                ok = dv >= 0 && c < 0x110000u;
                c = c * (hex ? 16u : 10u) + (uint32_t)(dv < 0 ? 0 : dv);
            }
        } else {
            ok = false;
        }
        if (!ok) {
            ds_put(out, cap, &k, v[i++]);
            continue;
        }
        ds_put(out, cap, &k, c);
        i = semi + 1;
    }
}

static bool ds_ends_ci(const uint8_t *v, size_t len, const char *lit)
{
    size_t k = strlen(lit);
    return len >= k && strncasecmp((const char *)v + len - k, lit, k) == 0;
}

static bool ds_name_is(const uint8_t *nm, size_t len, const char *lit)
{
    return len == strlen(lit) && strncasecmp((const char *)nm, lit, len) == 0;
}

/* One Relationship element's attributes, from just after its name to its end ('>' outside
 * quotes) or the end of the data (a value without its closing quote is dropped); *end is
 * where parsing stopped. */
struct ds_rel_attrs {
    const uint8_t *type, *target, *mode;
    size_t type_len, target_len, mode_len;
};

bool ds_xml_attr_next(const uint8_t *x, size_t n, size_t *i, struct ds_xml_attr *a)
{
    size_t p = *i;
    while (p < n && x[p] != '>') {
        if (ds_is_space(x[p]) || x[p] == '/') {
            p++;
            continue;
        }
        size_t name = p;
        while (p < n && !ds_is_space(x[p]) && x[p] != '=' && x[p] != '>' && x[p] != '/')
            p++;
        size_t name_len = p - name;
        while (p < n && ds_is_space(x[p]))
            p++;
        if (p >= n || x[p] != '=') {
            if (name_len == 0)
                p++; /* a stray character: step over it */
            continue;
        }
        p++;
        while (p < n && ds_is_space(x[p]))
            p++;
        if (p >= n || (x[p] != '"' && x[p] != '\''))
            continue;
        uint8_t q = x[p++];
        const uint8_t *q2 = memchr(x + p, q, n - p);
        if (!q2)
            break; /* a value cut short says nothing */
        const uint8_t *colon = memchr(x + name, ':', name_len);
        a->name = x + name;
        a->name_len = name_len;
        a->local = colon ? colon + 1 : x + name;
        a->local_len = (size_t)(x + name + name_len - a->local);
        a->value = x + p;
        a->value_len = (size_t)(q2 - (x + p));
        *i = p + a->value_len + 1; /* past the closing quote */
        return true;
    }
    *i = p < n ? p : n;
    return false;
}

static void ds_rel_attrs(const uint8_t *x, size_t n, size_t i, struct ds_rel_attrs *a, size_t *end)
{
    memset(a, 0, sizeof *a);
    struct ds_xml_attr at;
    while (ds_xml_attr_next(x, n, &i, &at)) {
        /* a namespace prefix on an attribute name is not used by the package format */
        if (ds_name_is(at.name, at.name_len, "Type")) {
            a->type = at.value;
            a->type_len = at.value_len;
        } else if (ds_name_is(at.name, at.name_len, "Target")) {
            a->target = at.value;
            a->target_len = at.value_len;
        } else if (ds_name_is(at.name, at.name_len, "TargetMode")) {
            a->mode = at.value;
            a->mode_len = at.value_len;
        }
    }
    *end = i;
}

static enum ds_rel_type ds_rel_type_of(const uint8_t *t, size_t len)
{
    if (ds_ends_ci(t, len, "/attachedTemplate"))
        return DS_REL_TEMPLATE;
    if (ds_ends_ci(t, len, "/oleObject"))
        return DS_REL_OLE_OBJECT;
    if (ds_ends_ci(t, len, "/frame"))
        return DS_REL_FRAME;
    if (ds_ends_ci(t, len, "/subDocument"))
        return DS_REL_SUBDOCUMENT;
    return 0;
}

bool ds_rels_find_remote(const uint8_t *x, size_t n, struct ds_rel *out)
{
    static const char elem[] = "Relationship";
    const size_t el = sizeof elem - 1;
    size_t i = 0;
    while (i < n) {
        const uint8_t *lt = memchr(x + i, '<', n - i);
        if (!lt)
            break;
        i = (size_t)(lt - x) + 1;
        /* an optional namespace prefix: <Relationship or <pr:Relationship */
        size_t j = i;
        while (j < n && j - i < 32 && x[j] != ':' && !ds_is_space(x[j]) && x[j] != '>' &&
               x[j] != '/' && x[j] != '<')
            j++;
        size_t name = j < n && x[j] == ':' ? j + 1 : i;
        if (n - name <= el || memcmp(x + name, elem, el) != 0 ||
            !(ds_is_space(x[name + el]) || x[name + el] == '/' || x[name + el] == '>'))
            continue;
        struct ds_rel_attrs a;
        size_t end;
        ds_rel_attrs(x, n, name + el, &a, &end);
        i = end;
        if (!a.type || !a.target || !a.mode || !ds_name_is(a.mode, a.mode_len, "External"))
            continue;
        enum ds_rel_type t = ds_rel_type_of(a.type, a.type_len);
        if (!t)
            continue;
        char target[1024];
        ds_xml_value(a.target, a.target_len, target, sizeof target);
        if (!ds_target_remote(target))
            continue;
        out->type = t;
        size_t k = strnlen(target, sizeof out->target - 1);
        memcpy(out->target, target, k);
        out->target[k] = 0;
        return true;
    }
    return false;
}

/* ---- RTF ------------------------------------------------------------------------------- */

/*
 * Whether the control word \<word> starts at d[i] (a backslash): the letters match and the
 * next byte is not a letter. *after: the first byte after the word and the one space that
 * may delimit it.
 */
static bool ds_ctrl_word(const uint8_t *d, size_t n, size_t i, const char *word, size_t *after)
{
    size_t k = strlen(word);
    if (i >= n || d[i] != '\\' || n - i - 1 < k || memcmp(d + i + 1, word, k) != 0)
        return false;
    size_t p = i + 1 + k;
    if (p < n && ds_is_letter(d[p]))
        return false;
    if (p < n && d[p] == ' ')
        p++;
    *after = p;
    return true;
}

size_t ds_find_ctrl(const uint8_t *d, size_t n, size_t i, const char *word, size_t *after)
{
    while (i < n) {
        const uint8_t *bs = memchr(d + i, '\\', n - i);
        if (!bs)
            return n;
        i = (size_t)(bs - d);
        if (ds_ctrl_word(d, n, i, word, after))
            return i;
        i += i + 1 < n && d[i + 1] == '\\' ? 2 : 1; /* \\ is a literal backslash */
    }
    return n;
}

size_t ds_skip_group(const uint8_t *d, size_t n, size_t i)
{
    size_t depth = 0;
    for (; i < n; i++) {
        if (d[i] == '\\') {
            i++; /* \{ \} \\ are literal */
        } else if (d[i] == '{') {
            depth++;
        } else if (d[i] == '}') {
            if (--depth == 0)
                return i + 1;
        }
    }
    return n;
}

size_t ds_read_ctrl(const uint8_t *d, size_t n, size_t i, char *word, size_t cap, long *param)
{
    size_t k = 0;
    *param = -1;
    word[0] = 0;
    i++;
    if (i >= n)
        return n;
    if (!ds_is_letter(d[i])) {
        if (d[i] == '\'')
            return i + 3 <= n ? i + 3 : n; /* \'hh */
        return i + 1;                      /* a control symbol */
    }
    while (i < n && ds_is_letter(d[i])) {
        if (k + 1 < cap)
            word[k++] = (char)d[i];
        i++;
    }
    word[k] = 0;
    bool neg = i < n && d[i] == '-';
    if (neg)
        i++;
    if (i < n && d[i] >= '0' && d[i] <= '9') {
        long v = 0;
        while (i < n && d[i] >= '0' && d[i] <= '9') {
            if (v < 100000000L)
                v = v * 10 + (d[i] - '0');
            i++;
        }
        *param = neg ? -1 : v;
    }
    if (i < n && d[i] == ' ')
        i++;
    return i;
}

/*
 * The bytes of the \objdata destination whose data starts at d[i]: hex digit pairs, up to
 * the group's closing brace. Whitespace and other stray bytes are skipped, as Word skips
 * them; an ignorable destination {\*...} inside is skipped whole; \binN takes N bytes as
 * they are. Returns the bytes written to buf (at most cap).
 */
static size_t ds_objdata(const uint8_t *d, size_t n, size_t i, uint8_t *buf, size_t cap)
{
    size_t out = 0, depth = 0;
    int hi = -1;
    while (i < n && out < cap) {
        uint8_t c = d[i];
        if (c == '}') {
            if (depth == 0)
                break;
            depth--;
            i++;
        } else if (c == '{') {
            if (i + 2 < n && d[i + 1] == '\\' && d[i + 2] == '*') {
                i = ds_skip_group(d, n, i);
            } else {
                depth++;
                i++;
            }
        } else if (c == '\\') {
            char word[8];
            long param;
            i = ds_read_ctrl(d, n, i, word, sizeof word, &param);
            if (!strcmp(word, "bin") && param > 0) {
                size_t take = (size_t)param;
                if (take > n - i)
                    take = n - i;
                if (take > cap - out)
                    take = cap - out;
                memcpy(buf + out, d + i, take);
                out += take;
                i += take;
                hi = -1;
            }
        } else {
            int v = tp_hexval(c);
            if (v >= 0) {
                if (hi < 0) {
                    hi = v;
                } else {
                    buf[out++] = (uint8_t)(hi << 4 | v);
                    hi = -1;
                }
            }
            i++;
        }
    }
    return out;
}

/* Copies the OLE class name text after \objclass at d[i] (up to a brace or backslash). */
static void ds_objclass(const uint8_t *d, size_t n, size_t i, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    for (; i < n && d[i] != '}' && d[i] != '{' && d[i] != '\\'; i++)
        if (!ds_is_space(d[i]) || k)
            ds_put(out, cap, &k, d[i]);
    while (k > 0 && out[k - 1] == ' ')
        out[--k] = 0;
}

/* The last \<word> in d[from, to): its position after the word, or SIZE_MAX. */
static size_t ds_last_ctrl(const uint8_t *d, size_t from, size_t to, const char *word)
{
    size_t found = SIZE_MAX, after;
    for (size_t i = from; (i = ds_find_ctrl(d, to, i, word, &after)) < to; i++)
        found = after;
    return found;
}

/* Reads the OLE 1.0 ObjectHeader (and for an embedded object, the native data) from the
 * decoded bytes b[0..len). */
static void ds_ole1(const uint8_t *b, size_t len, struct ds_rtf_obj *o)
{
    if (len < 12) {
        o->cut = true;
        return;
    }
    uint32_t fmt = ds_le32(b + 4), cl = ds_le32(b + 8);
    if ((fmt != 1 && fmt != 2) || cl == 0 || cl > 256)
        return; /* not an OLE 1.0 object header */
    if (cl > len - 12) {
        o->cut = true;
        return;
    }
    o->format = fmt;
    size_t k = 0;
    o->cls[0] = 0;
    for (size_t i = 0; i < cl && b[12 + i]; i++)
        ds_put(o->cls, sizeof o->cls, &k, b[12 + i]);
    if (fmt != 2)
        return;
    size_t p = 12 + cl;
    for (int s = 0; s < 2; s++) { /* TopicName, ItemName */
        if (len - p < 4) {
            o->cut = true;
            return;
        }
        uint32_t sl = ds_le32(b + p);
        p += 4;
        if (sl > len - p) {
            o->cut = true;
            return;
        }
        p += sl;
    }
    if (len - p < 4) {
        o->cut = true;
        return;
    }
    o->native_declared = ds_le32(b + p);
    p += 4;
    o->native = b + p;
    o->native_len = len - p < o->native_declared ? len - p : o->native_declared;
    if (o->native_len < o->native_declared)
        o->cut = true;
}

size_t ds_rtf_objects(const uint8_t *d, size_t n, uint8_t *buf, size_t cap, size_t max_objs,
                      ds_rtf_obj_fn on_obj, void *u)
{
    size_t seen = 0, prev = 0, after;
    for (size_t i = 0; (i = ds_find_ctrl(d, n, i, "objdata", &after)) < n; i = after) {
        seen++;
        if (seen > max_objs)
            continue;
        struct ds_rtf_obj o;
        memset(&o, 0, sizeof o);
        size_t len = ds_objdata(d, n, after, buf, cap);
        ds_ole1(buf, len, &o);
        if (!o.cls[0]) {
            size_t c = ds_last_ctrl(d, prev, i, "objclass");
            if (c != SIZE_MAX)
                ds_objclass(d, n, c, o.cls, sizeof o.cls);
        }
        o.autoupdate = ds_last_ctrl(d, prev, i, "objupdate") != SIZE_MAX;
        on_obj(u, &o);
        prev = after;
    }
    return seen;
}

size_t ds_rtf_escape(const uint8_t *d, size_t n, size_t i, char *out, size_t cap, size_t *k)
{
    if (i + 3 < n && d[i + 1] == '\'' && tp_hexval(d[i + 2]) >= 0 && tp_hexval(d[i + 3]) >= 0) {
        ds_put(out, cap, k, (uint32_t)(tp_hexval(d[i + 2]) << 4 | tp_hexval(d[i + 3])));
        return i + 4;
    }
    if (i + 1 < n && (d[i + 1] == '\\' || d[i + 1] == '{' || d[i + 1] == '}')) {
        ds_put(out, cap, k, d[i + 1]);
        return i + 2;
    }
    char word[8];
    long param;
    i = ds_read_ctrl(d, n, i, word, sizeof word, &param);
    if (!strcmp(word, "u") && param >= 0) {
        ds_put(out, cap, k, (uint32_t)param);
        if (i < n && d[i] != '\\' && d[i] != '{' && d[i] != '}')
            i++; /* the one fallback character (\uc1) */
    }
    return i;
}

bool ds_rtf_remote_template(const uint8_t *d, size_t n, char *out, size_t cap)
{
    size_t after;
    /* each value is read once: the next search starts where it ended */
    for (size_t i = 0; (i = ds_find_ctrl(d, n, i, "template", &after)) < n;) {
        size_t k = 0;
        out[0] = 0;
        size_t p = after;
        while (p < n && d[p] != '}' && d[p] != '{' && k + 1 < cap) {
            if (d[p] != '\\') {
                if (!(d[p] == '\r' || d[p] == '\n'))
                    ds_put(out, cap, &k, d[p]);
                p++;
                continue;
            }
            p = ds_rtf_escape(d, n, p, out, cap, &k);
        }
        if (ds_target_remote(out))
            return true;
        i = p > after ? p : after;
    }
    if (cap)
        out[0] = 0;
    return false;
}

/* The NUL-terminated string at p[*i..n); *i moves past its NUL. false without one. */
static bool ds_cstr(const uint8_t *p, size_t n, size_t *i, const uint8_t **s, size_t *len)
{
    const uint8_t *z = *i < n ? memchr(p + *i, 0, n - *i) : NULL;
    if (!z)
        return false;
    *s = p + *i;
    *len = (size_t)(z - (p + *i));
    *i += *len + 1;
    return true;
}

/* The last component of a Windows or POSIX path. */
static void ds_basename(const uint8_t **s, size_t *len)
{
    for (size_t j = *len; j > 0; j--) {
        if ((*s)[j - 1] == '\\' || (*s)[j - 1] == '/') {
            *s += j;
            *len -= j;
            return;
        }
    }
}

bool ds_package_file(const uint8_t *p, size_t n, char *name, size_t cap, const uint8_t **data,
                     size_t *len)
{
    size_t i = 2;
    const uint8_t *label, *src, *tmp = NULL;
    size_t label_len, src_len, tmp_len = 0;
    if (n < 2 || p[0] != 2 || p[1] != 0)
        return false;
    if (!ds_cstr(p, n, &i, &label, &label_len) || !ds_cstr(p, n, &i, &src, &src_len))
        return false;
    *data = NULL;
    *len = 0;
    if (n - i >= 8) {
        uint32_t tl = ds_le32(p + i + 4);
        i += 8;
        if (tl <= n - i) {
            tmp = p + i;
            tmp_len = tl;
            while (tmp_len && tmp[tmp_len - 1] == 0)
                tmp_len--;
            i += tl;
            if (n - i >= 4) {
                uint32_t size = ds_le32(p + i);
                i += 4;
                *data = p + i;
                *len = size < n - i ? size : n - i;
            }
        }
    }
    /* The file Packager writes and opens is the temporary path's: that name is what runs.
     * The label is only what the document shows. */
    const uint8_t *nm = label;
    size_t nl = label_len;
    if (tmp_len) {
        nm = tmp;
        nl = tmp_len;
    } else if (src_len) {
        nm = src;
        nl = src_len;
    }
    ds_basename(&nm, &nl);
    size_t k = 0;
    name[0] = 0;
    for (size_t j = 0; j < nl; j++)
        ds_put(name, cap, &k, nm[j]);
    return true;
}

bool ds_ole2link_url(const uint8_t *b, size_t n, char *out, size_t cap)
{
    static const char *const starts[] = {"http", "file"};
    for (size_t i = 0; i + 8 <= n; i++) {
        if (b[i + 1] != 0)
            continue;
        for (size_t s = 0; s < 2; s++) {
            const char *w = starts[s];
            bool ok = true;
            for (size_t j = 0; j < 4 && ok; j++)
                ok = ds_lower(b[i + 2 * j]) == (uint8_t)w[j] && b[i + 2 * j + 1] == 0;
            if (!ok)
                continue;
            size_t k = 0;
            out[0] = 0;
            for (size_t j = i;
                 j + 1 < n && k + 1 < cap && b[j + 1] == 0 && b[j] >= 0x20 && b[j] < 0x7f; j += 2)
                ds_put(out, cap, &k, b[j]);
            if (strchr(out, ':'))
                return true;
        }
    }
    if (cap)
        out[0] = 0;
    return false;
}

/* ---- PDF ------------------------------------------------------------------------------- */

#define DS_PDF_NEAR 12 /* tokens between a key and what it belongs with */

static bool pdf_ws(uint8_t c)
{
    return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static bool pdf_delim(uint8_t c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

/* A string's bytes as a printable name: UTF-16BE (with its byte order mark) by the low byte
 * of each unit, anything else byte by byte. */
static void pdf_text(const uint8_t *raw, size_t len, char *out, size_t cap)
{
    size_t k = 0;
    out[0] = 0;
    if (len >= 2 && raw[0] == 0xfe && raw[1] == 0xff) {
        for (size_t j = 2; j + 1 < len; j += 2)
            ds_put(out, cap, &k, raw[j] ? '?' : raw[j + 1]);
        return;
    }
    for (size_t j = 0; j < len; j++)
        ds_put(out, cap, &k, raw[j]);
}

/* The literal string opening at d[i] ('('), escapes and balanced parentheses as ISO 32000-1
 * 7.3.4.2 says, into raw (cut at cap). Returns the position after it. */
static size_t pdf_literal(const uint8_t *d, size_t n, size_t i, uint8_t *raw, size_t cap,
                          size_t *len)
{
    size_t depth = 0;
    *len = 0;
    for (i++; i < n; i++) {
        uint8_t c = d[i];
        if (c == '\\') {
            if (++i >= n)
                break;
            c = d[i];
            if (c == '\r' || c == '\n') { /* a line continuation */
                if (c == '\r' && i + 1 < n && d[i + 1] == '\n')
                    i++;
                continue;
            }
            if (c >= '0' && c <= '7') {
                unsigned v = c - '0';
                for (int j = 0; j < 2 && i + 1 < n && d[i + 1] >= '0' && d[i + 1] <= '7'; j++)
                    v = v * 8 + (unsigned)(d[++i] - '0');
                c = (uint8_t)v;
            } else {
                c = c == 'n'   ? '\n'
                    : c == 'r' ? '\r'
                    : c == 't' ? '\t'
                    : c == 'b' ? '\b'
                    : c == 'f' ? '\f'
                               : c;
            }
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (depth == 0)
                return i + 1;
            depth--;
        }
        if (*len < cap)
            raw[(*len)++] = c;
    }
    return n;
}

/* The hex string opening at d[i] ('<', not "<<") into raw. Returns the position after it. */
static size_t pdf_hexstr(const uint8_t *d, size_t n, size_t i, uint8_t *raw, size_t cap,
                         size_t *len)
{
    int hi = -1;
    *len = 0;
    for (i++; i < n && d[i] != '>'; i++) {
        int v = tp_hexval(d[i]);
        if (v < 0)
            continue;
        if (hi < 0) {
            hi = v;
        } else {
            if (*len < cap)
                raw[(*len)++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0 && *len < cap)
        raw[(*len)++] = (uint8_t)(hi << 4);
    return i < n ? i + 1 : n;
}

/* Past the stream data whose keyword ends at d[i] (up to "endstream", or the end). */
static size_t pdf_skip_stream(const uint8_t *d, size_t n, size_t i)
{
    static const char end[] = "endstream";
    for (; i + sizeof end - 1 <= n; i++) {
        const uint8_t *e = memchr(d + i, 'e', n - i);
        if (!e)
            return n;
        i = (size_t)(e - d);
        if (n - i >= sizeof end - 1 && !memcmp(e, end, sizeof end - 1))
            return i + sizeof end - 1;
    }
    return n;
}

static void pdf_add_file(struct ds_pdf *o, const char *name)
{
    if (!name[0] || o->n_files >= DS_PDF_FILES)
        return;
    for (uint32_t j = 0; j < o->n_files; j++)
        if (!strcmp(o->files[j], name))
            return;
    memcpy(o->files[o->n_files++], name, strlen(name) + 1);
}

/* Where the objects of a compressed object stream go (the outer scan only: an object stream
 * inside an object stream is not allowed, 7.5.7). */
struct pdf_objstm {
    uint8_t *buf;
    size_t cap;
};

/* What the current object's dictionary said about its stream. */
struct pdf_dict {
    bool objstm, flate, other_filter, parms;
};

/* Filters other than FlateDecode (full and abbreviated names, 7.4 and 8.9.7). */
static bool pdf_other_filter(const char *nm)
{
    static const char *const f[] = {"ASCIIHexDecode", "ASCII85Decode", "LZWDecode",
                                    "RunLengthDecode", "CCITTFaxDecode", "JBIG2Decode",
                                    "DCTDecode", "JPXDecode", "Crypt", "AHx", "A85", "LZW",
                                    "RL", "CCF", "DCT"};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (!strcmp(nm, f[i]))
            return true;
    return false;
}

/* The stream data after the keyword "stream" that ends at d[i]: from after its end of line
 * (CRLF or LF, 7.3.8.1) up to "endstream"; *next is past "endstream". */
static void pdf_stream_data(const uint8_t *d, size_t n, size_t i, size_t *from, size_t *to,
                            size_t *next)
{
    size_t f = i;
    if (f < n && d[f] == '\r')
        f++;
    if (f < n && d[f] == '\n')
        f++;
    *next = pdf_skip_stream(d, n, f);
    *from = f;
    *to = *next >= f + 9 && !memcmp(d + *next - 9, "endstream", 9) ? *next - 9 : *next;
}

/* Inflates zlib data (PDF's FlateDecode; a raw deflate stream is accepted too) into
 * out[0..cap): the bytes produced, or 0 when it does not inflate at all. */
static size_t pdf_inflate(const uint8_t *src, size_t n, uint8_t *out, size_t cap)
{
    for (int raw = 0; raw < 2; raw++) {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, raw ? -MAX_WBITS : MAX_WBITS) != Z_OK)
            return 0;
        z.next_in = (Bytef *)(uintptr_t)src;
        z.avail_in = (uInt)(n < UINT32_MAX ? n : UINT32_MAX);
        z.next_out = out;
        z.avail_out = (uInt)(cap < UINT32_MAX ? cap : UINT32_MAX);
        (void)inflate(&z, Z_SYNC_FLUSH);
        size_t got = (size_t)(z.next_out - out);
        inflateEnd(&z);
        if (got)
            return got; /* as far as it went: a cut stream still shows its first objects */
    }
    return 0;
}

static void pdf_tokens(const uint8_t *d, size_t n, struct ds_pdf *out, struct pdf_objstm *os);

/* An object stream whose data is d[from..to): inflated and read, when it can be (os NULL:
 * no buffer, or inside an object stream already). */
static void pdf_read_objstm(const uint8_t *d, size_t from, size_t to, const struct pdf_dict *dict,
                            struct ds_pdf *out, struct pdf_objstm *os)
{
    if (!dict->objstm)
        return;
    if (!os || !dict->flate || dict->other_filter || dict->parms ||
        out->objstms >= DS_PDF_OBJSTMS || out->objstm_bytes >= os->cap) {
        out->objstm_skipped = true;
        return;
    }
    /* all the object streams of a file together inflate to cap bytes at most */
    size_t got = pdf_inflate(d + from, to - from, os->buf, os->cap - out->objstm_bytes);
    if (!got) {
        out->objstm_skipped = true;
        return;
    }
    out->objstms++;
    out->objstm_bytes += got;
    pdf_tokens(os->buf, got, out, NULL);
}

static void pdf_tokens(const uint8_t *d, size_t n, struct ds_pdf *out, struct pdf_objstm *os)
{
    long tok = 0, launch_tok = -100, spec_tok = -100, key_tok = -100, pend_tok = -100;
    char pend[DS_TARGET_MAX] = "";
    bool key_is_file = false;
    struct pdf_dict dict = {false, false, false, false};
    uint8_t raw[512];
    for (size_t i = 0; i < n;) {
        uint8_t c = d[i];
        if (pdf_ws(c)) {
            i++;
            continue;
        }
        if (c == '%') { /* a comment, to the end of the line */
            while (i < n && d[i] != '\r' && d[i] != '\n')
                i++;
            continue;
        }
        tok++;
        if (c == '/') {
            char nm[24];
            size_t k = 0;
            for (i++; i < n && !pdf_ws(d[i]) && !pdf_delim(d[i]); i++) {
                uint8_t b = d[i];
                if (b == '#' && i + 2 < n && tp_hexval(d[i + 1]) >= 0 && tp_hexval(d[i + 2]) >= 0) {
                    b = (uint8_t)(tp_hexval(d[i + 1]) << 4 | tp_hexval(d[i + 2]));
                    i += 2;
                }
                if (k + 1 < sizeof nm)
                    nm[k++] = (char)b;
                else
                    k = sizeof nm; /* too long for any name looked for */
            }
            if (k >= sizeof nm) {
                key_is_file = false;
                continue;
            }
            nm[k] = 0;
            key_is_file = !strcmp(nm, "F") || !strcmp(nm, "UF");
            key_tok = tok;
            if (!strcmp(nm, "JavaScript") || !strcmp(nm, "JS"))
                out->javascript = true;
            else if (!strcmp(nm, "OpenAction") || !strcmp(nm, "AA"))
                out->open_action = true;
            else if (!strcmp(nm, "Launch")) {
                out->launch = true;
                launch_tok = tok;
            } else if (!strcmp(nm, "Filespec") || !strcmp(nm, "EF") ||
                       !strcmp(nm, "EmbeddedFile") || !strcmp(nm, "EmbeddedFiles")) {
                spec_tok = tok;
                if (pend_tok >= tok - DS_PDF_NEAR) /* "/F (name) /EF <<...>>": name first */
                    pdf_add_file(out, pend);
                pend_tok = -100;
            } else if (!strcmp(nm, "ObjStm")) {
                dict.objstm = true;
            } else if (!strcmp(nm, "FlateDecode") || !strcmp(nm, "Fl")) {
                dict.flate = true;
            } else if (!strcmp(nm, "DecodeParms") || !strcmp(nm, "DP")) {
                dict.parms = true;
            } else if (pdf_other_filter(nm)) {
                dict.other_filter = true;
            }
            continue;
        }
        if (c == '(' || (c == '<' && !(i + 1 < n && d[i + 1] == '<'))) {
            size_t len;
            i = c == '(' ? pdf_literal(d, n, i, raw, sizeof raw, &len)
                         : pdf_hexstr(d, n, i, raw, sizeof raw, &len);
            if (!key_is_file || key_tok != tok - 1)
                continue;
            char s[DS_TARGET_MAX];
            pdf_text(raw, len, s, sizeof s);
            if (launch_tok >= tok - DS_PDF_NEAR && !out->launch_target[0]) {
                memcpy(out->launch_target, s, strlen(s) + 1);
            } else if (spec_tok >= tok - DS_PDF_NEAR) {
                pdf_add_file(out, s);
            } else {
                memcpy(pend, s, strlen(s) + 1);
                pend_tok = tok;
            }
            continue;
        }
        if (c == '<' || c == '>') {
            i += i + 1 < n && d[i + 1] == c ? 2 : 1;
            continue;
        }
        if (pdf_delim(c)) {
            i++;
            continue;
        }
        size_t w = i;
        while (i < n && !pdf_ws(d[i]) && !pdf_delim(d[i]))
            i++;
        if (i - w == 3 && !memcmp(d + w, "obj", 3)) {
            dict = (struct pdf_dict){false, false, false, false}; /* a new object */
        } else if (i - w == 6 && !memcmp(d + w, "stream", 6)) {
            size_t from, to, next;
            pdf_stream_data(d, n, i, &from, &to, &next);
            pdf_read_objstm(d, from, to, &dict, out, os);
            dict = (struct pdf_dict){false, false, false, false};
            i = next;
        }
    }
}

void ds_pdf_scan(const uint8_t *d, size_t n, uint8_t *buf, size_t cap, struct ds_pdf *out)
{
    memset(out, 0, sizeof *out);
    struct pdf_objstm os = {buf, cap};
    pdf_tokens(d, n, out, buf && cap ? &os : NULL);
}
