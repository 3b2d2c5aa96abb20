/*
 * Rule files -> struct det_ruleset, the way Suricata reads them:
 *
 *   file  := line*
 *   line  := blank | '#' comment | rule | rule-part '\' NEWLINE line
 *
 * Lines end in LF or CRLF; a line whose last non-blank character is '\' continues on the
 * next one (the '\' is dropped). Every rule seen counts in rs->total; a rule that cannot be
 * loaded, and a second rule with a (gid, sid) already loaded, becomes a struct det_skip.
 * Commented-out rules are not counted.
 */
#include "detect/rule_parse.h"

#include "core/file.h"
#include "core/mm.h"
#include "detect/rule_parse_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Rule files are text of a few MiB (ET Open: 30 MiB in 40 files); anything far larger is
 * not a rule file. */
#define RULE_FILE_MAX_BYTES (512u * 1024u * 1024u)

/* (gid, sid) pairs already loaded: open addressing, keys stored +1 so 0 means empty. */
struct sidset {
    uint64_t *k;
    size_t cap, n;
};

static uint64_t sid_key(uint32_t gid, uint32_t sid)
{
    return ((uint64_t)gid << 32 | sid) + 1;
}

static size_t sid_slot(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static bool sidset_has(const struct sidset *s, uint64_t key)
{
    if (!s->cap)
        return false;
    for (size_t i = sid_slot(key, s->cap);; i = (i + 1) & (s->cap - 1)) {
        if (s->k[i] == key)
            return true;
        if (s->k[i] == 0)
            return false;
    }
}

static int sidset_add(struct sidset *s, uint64_t key)
{
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        uint64_t *k = calloc(cap, sizeof *k);
        if (!k)
            return MM_ENOMEM;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->k[i])
                continue;
            size_t j = sid_slot(s->k[i], cap);
            while (k[j])
                j = (j + 1) & (cap - 1);
            k[j] = s->k[i];
        }
        free(s->k);
        s->k = k;
        s->cap = cap;
    }
    size_t i = sid_slot(key, s->cap);
    while (s->k[i] && s->k[i] != key)
        i = (i + 1) & (s->cap - 1);
    if (!s->k[i]) {
        s->k[i] = key;
        s->n++;
    }
    return 0;
}

struct loader {
    det_parser_t *p;
    struct det_ruleset *rs;
    struct sidset sids;
    char *line; /* the logical line being joined */
    size_t line_len, line_cap;
    bool line_too_long;
    char *err;
    size_t errlen;
};

static int add_skip(struct loader *L, const char *file, uint32_t line, uint32_t sid, char *reason,
                    char *keyword)
{
    struct det_ruleset *rs = L->rs;
    if (rs->n_skips == rs->cap_skips) {
        uint32_t cap = rs->cap_skips ? rs->cap_skips * 2 : 64;
        struct det_skip *s = realloc(rs->skips, cap * sizeof *s);
        if (!s)
            goto oom;
        rs->skips = s;
        rs->cap_skips = cap;
    }
    char *f = strdup(file);
    if (!f || !reason) {
        free(f);
        goto oom;
    }
    rs->skips[rs->n_skips++] = (struct det_skip){
        .file = f, .line = line, .sid = sid, .reason = reason, .keyword = keyword};
    return 0;
oom:
    free(reason);
    free(keyword);
    snprintf(L->err, L->errlen, "out of memory");
    return MM_ENOMEM;
}

static int add_rule(struct loader *L, struct det_rule *r)
{
    struct det_ruleset *rs = L->rs;
    if (rs->n_rules == rs->cap_rules) {
        uint32_t cap = rs->cap_rules ? rs->cap_rules * 2 : 256;
        struct det_rule **a = realloc(rs->rules, cap * sizeof *a);
        if (!a)
            return MM_ENOMEM;
        rs->rules = a;
        rs->cap_rules = cap;
    }
    int rc = sidset_add(&L->sids, sid_key(r->gid, r->sid));
    if (rc)
        return rc;
    rs->rules[rs->n_rules++] = r;
    return 0;
}

static int load_rule(struct loader *L, const char *file, uint32_t lineno, const char *text,
                     size_t len)
{
    L->rs->total++;
    if (L->line_too_long) {
        char *reason = malloc(64);
        if (reason)
            snprintf(reason, 64, "rule longer than %u bytes", DET_RULE_MAX_BYTES);
        return add_skip(L, file, lineno, 0, reason, NULL);
    }
    struct det_rule *r = NULL;
    uint32_t sid = 0;
    char *reason = NULL, *keyword = NULL;
    int rc = det_parse_rule(L->p, text, len, &r, &sid, &reason, &keyword);
    if (rc == MM_ENOMEM) {
        free(reason);
        free(keyword);
        snprintf(L->err, L->errlen, "out of memory");
        return rc;
    }
    if (rc)
        return add_skip(L, file, lineno, sid, reason, keyword);
    if (sidset_has(&L->sids, sid_key(r->gid, r->sid))) {
        sid = r->sid;
        det_rule_free(r);
        return add_skip(L, file, lineno, sid, strdup("duplicate sid"), NULL);
    }
    r->file = strdup(file);
    r->line = lineno;
    if (!r->file || add_rule(L, r) != 0) {
        det_rule_free(r);
        snprintf(L->err, L->errlen, "out of memory");
        return MM_ENOMEM;
    }
    return 0;
}

/* Appends a physical line to the logical one, up to the rule size limit. */
static int line_append(struct loader *L, const char *s, size_t n)
{
    if (L->line_too_long || L->line_len + n > DET_RULE_MAX_BYTES) {
        L->line_too_long = true;
        return 0;
    }
    if (L->line_len + n + 1 > L->line_cap) {
        size_t cap = L->line_cap ? L->line_cap : 1024;
        while (cap < L->line_len + n + 1)
            cap *= 2;
        char *b = realloc(L->line, cap);
        if (!b) {
            snprintf(L->err, L->errlen, "out of memory");
            return MM_ENOMEM;
        }
        L->line = b;
        L->line_cap = cap;
    }
    memcpy(L->line + L->line_len, s, n);
    L->line_len += n;
    L->line[L->line_len] = 0;
    return 0;
}

static bool blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

static int load_text(struct loader *L, const char *file, const char *text, size_t len)
{
    size_t pos = 0;
    uint32_t lineno = 0, first = 0;
    bool cont = false;
    int rc = 0;
    while (pos < len && !rc) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        const char *s = text + pos;
        size_t n = end - pos;
        pos = nl ? end + 1 : len;
        if (lineno < UINT32_MAX)
            lineno++;
        while (n && blank(s[n - 1]))
            n--;
        if (!cont) {
            while (n && blank(*s)) {
                s++;
                n--;
            }
            if (n == 0 || *s == '#')
                continue;
            first = lineno;
            L->line_len = 0;
            L->line_too_long = false;
        }
        cont = n && s[n - 1] == '\\';
        rc = line_append(L, s, cont ? n - 1 : n);
        if (!rc && !cont)
            rc = load_rule(L, file, first, L->line ? L->line : "", L->line_len);
    }
    if (!rc && cont)
        rc = load_rule(L, file, first, L->line ? L->line : "", L->line_len);
    return rc;
}

static int loader_init(struct loader *L, const struct det_parse_opts *o, struct det_ruleset *rs,
                       char *err, size_t errlen)
{
    memset(L, 0, sizeof *L);
    L->rs = rs;
    L->err = err;
    L->errlen = errlen;
    int rc = rp_parser_create(o, rs, &L->p, err, errlen);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < rs->n_rules; i++) {
        if (sidset_add(&L->sids, sid_key(rs->rules[i]->gid, rs->rules[i]->sid)) != 0) {
            snprintf(err, errlen, "out of memory");
            return MM_ENOMEM;
        }
    }
    return 0;
}

static void loader_fini(struct loader *L)
{
    det_parser_free(L->p);
    free(L->sids.k);
    free(L->line);
}

int det_load_string(const struct det_parse_opts *o, const char *name, const char *text, size_t len,
                    struct det_ruleset *rs, char *err, size_t errlen)
{
    struct loader L;
    int rc = loader_init(&L, o, rs, err, errlen);
    if (!rc)
        rc = load_text(&L, name ? name : "<string>", text, len);
    loader_fini(&L);
    return rc;
}

/* The whole file in memory (exactly its size; not NUL-terminated). */
static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    return mm_read_file(path, "rules file", RULE_FILE_MAX_BYTES, out, len, err, errlen);
}

int det_load_files(const struct det_parse_opts *o, const char *const *files, size_t n_files,
                   struct det_ruleset *rs, char *err, size_t errlen)
{
    struct loader L;
    int rc = loader_init(&L, o, rs, err, errlen);
    for (size_t i = 0; i < n_files && !rc; i++) {
        char *text = NULL;
        size_t len = 0;
        rc = read_file(files[i], &text, &len, err, errlen);
        if (!rc)
            rc = load_text(&L, files[i], text, len);
        free(text);
    }
    loader_fini(&L);
    return rc;
}
