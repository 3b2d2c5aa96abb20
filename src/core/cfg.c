/*
 * YAML configuration tree; see cfg.h. Built from libyaml's event stream with an explicit
 * stack (no recursion), so a deeply nested hostile file costs a bounded amount of memory.
 */
#include "cfg.h"

#include "mm.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct cfg_node {
    enum cfg_type type;
    unsigned line;
    char *scalar; /* CFG_SCALAR */
    char **keys;  /* CFG_MAP: key of each child */
    cfg_node_t **kids;
    size_t n, cap;
};

enum cfg_type cfg_type(const cfg_node_t *n)
{
    return n->type;
}

const char *cfg_scalar(const cfg_node_t *n)
{
    return n && n->type == CFG_SCALAR ? n->scalar : NULL;
}

unsigned cfg_line(const cfg_node_t *n)
{
    return n ? n->line : 0;
}

size_t cfg_count(const cfg_node_t *n)
{
    return n && n->type != CFG_SCALAR ? n->n : 0;
}

const cfg_node_t *cfg_child(const cfg_node_t *n, size_t i)
{
    return i < cfg_count(n) ? n->kids[i] : NULL;
}

const char *cfg_key(const cfg_node_t *n, size_t i)
{
    return n && n->type == CFG_MAP && i < n->n ? n->keys[i] : NULL;
}

void cfg_free(cfg_node_t *root)
{
    /* Iterative free: walk with an explicit stack of pending nodes. */
    if (!root)
        return;
    size_t cap = 64, top = 0;
    cfg_node_t **stack = malloc(cap * sizeof *stack);
    if (!stack)
        return;
    stack[top++] = root;
    while (top) {
        cfg_node_t *n = stack[--top];
        for (size_t i = 0; i < n->n; i++) {
            if (top == cap) {
                cfg_node_t **ns = realloc(stack, 2 * cap * sizeof *stack);
                if (!ns)
                    break;
                stack = ns;
                cap *= 2;
            }
            stack[top++] = n->kids[i];
            if (n->keys)
                free(n->keys[i]);
        }
        free(n->keys);
        free(n->kids);
        free(n->scalar);
        free(n);
    }
    free(stack);
}

static cfg_node_t *node_new(enum cfg_type t, unsigned line)
{
    cfg_node_t *n = calloc(1, sizeof *n);
    if (n) {
        n->type = t;
        n->line = line;
    }
    return n;
}

static bool node_add(cfg_node_t *parent, char *key, cfg_node_t *kid)
{
    if (parent->n == parent->cap) {
        size_t nc = parent->cap ? parent->cap * 2 : 4;
        cfg_node_t **nk = realloc(parent->kids, nc * sizeof *nk);
        if (!nk)
            return false;
        parent->kids = nk;
        if (parent->type == CFG_MAP) {
            char **nkeys = realloc(parent->keys, nc * sizeof *nkeys);
            if (!nkeys)
                return false;
            parent->keys = nkeys;
        }
        parent->cap = nc;
    }
    if (parent->type == CFG_MAP)
        parent->keys[parent->n] = key;
    parent->kids[parent->n++] = kid;
    return true;
}

static char *dupn(const unsigned char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

cfg_node_t *cfg_parse(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    cfg_node_t *stack[CFG_MAX_DEPTH + 1];
    char *pending_key[CFG_MAX_DEPTH + 1];
    size_t depth = 0, nodes = 0;
    cfg_node_t *root = NULL;
    bool done = false, ok = false;

    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: cannot initialise YAML parser", name);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    memset(pending_key, 0, sizeof pending_key);

    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            snprintf(err, errlen, "%s: line %zu, column %zu: %s", name,
                     parser.problem_mark.line + 1, parser.problem_mark.column + 1,
                     parser.problem ? parser.problem : "YAML syntax error");
            goto fail;
        }
        unsigned line = (unsigned)ev.start_mark.line + 1;
        unsigned col = (unsigned)ev.start_mark.column + 1;
        cfg_node_t *made = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = true; break;
        case YAML_DOCUMENT_START_EVENT:
            if (root) {
                snprintf(err, errlen, "%s: line %u, column %u: only one YAML document is allowed",
                         name, line, col);
                yaml_event_delete(&ev);
                goto fail;
            }
            break;
        case YAML_ALIAS_EVENT:
            snprintf(err, errlen, "%s: line %u, column %u: YAML aliases are not supported", name,
                     line, col);
            yaml_event_delete(&ev);
            goto fail;
        case YAML_SCALAR_EVENT: {
            cfg_node_t *top = depth ? stack[depth - 1] : NULL;
            if (top && top->type == CFG_MAP && !pending_key[depth - 1]) {
                pending_key[depth - 1] = dupn(ev.data.scalar.value, ev.data.scalar.length);
                if (!pending_key[depth - 1])
                    goto oom;
                break;
            }
            made = node_new(CFG_SCALAR, line);
            if (!made || !(made->scalar = dupn(ev.data.scalar.value, ev.data.scalar.length))) {
                cfg_free(made);
                goto oom;
            }
            break;
        }
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            cfg_node_t *top = depth ? stack[depth - 1] : NULL;
            if (top && top->type == CFG_MAP && !pending_key[depth - 1]) {
                snprintf(err, errlen, "%s: line %u, column %u: a map key must be a plain value",
                         name, line, col);
                yaml_event_delete(&ev);
                goto fail;
            }
            if (depth >= CFG_MAX_DEPTH) {
                snprintf(err, errlen, "%s: line %u, column %u: nesting deeper than %d levels", name,
                         line, col, CFG_MAX_DEPTH);
                yaml_event_delete(&ev);
                goto fail;
            }
            made = node_new(ev.type == YAML_MAPPING_START_EVENT ? CFG_MAP : CFG_SEQ, line);
            if (!made)
                goto oom;
            break;
        }
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            if (depth)
                depth--;
            break;
        default: break;
        }
        if (made) {
            if (++nodes > CFG_MAX_NODES) {
                cfg_free(made);
                snprintf(err, errlen, "%s: line %u, column %u: more than %d values", name, line,
                         col, CFG_MAX_NODES);
                yaml_event_delete(&ev);
                goto fail;
            }
            if (depth == 0) {
                if (root) { /* cannot happen with one document per stream; refuse anyway */
                    cfg_free(made);
                    snprintf(err, errlen, "%s: line %u: more than one top-level value", name, line);
                    yaml_event_delete(&ev);
                    goto fail;
                }
                root = made;
            } else {
                cfg_node_t *top = stack[depth - 1];
                char *key = NULL;
                if (top->type == CFG_MAP) {
                    key = pending_key[depth - 1];
                    pending_key[depth - 1] = NULL;
                    /* A repeated key would hide a value from validation: refuse it. */
                    for (size_t i = 0; i < top->n; i++) {
                        if (strcmp(top->keys[i], key) == 0) {
                            snprintf(err, errlen, "%s: line %u, column %u: duplicate key '%s'",
                                     name, line, col, key);
                            free(key);
                            cfg_free(made);
                            yaml_event_delete(&ev);
                            goto fail;
                        }
                    }
                }
                if (!node_add(top, key, made)) {
                    free(key);
                    cfg_free(made);
                    goto oom;
                }
            }
            if (made->type != CFG_SCALAR)
                stack[depth++] = made;
        }
        yaml_event_delete(&ev);
    }
    ok = true;
    if (!root) {
        root = node_new(CFG_MAP, 1); /* an empty file is an empty configuration */
        if (!root)
            goto oom;
    }
    goto out;
oom:
    snprintf(err, errlen, "%s: out of memory while parsing", name);
fail:
    ok = false;
out:
    for (size_t i = 0; i <= CFG_MAX_DEPTH; i++)
        free(pending_key[i]);
    yaml_parser_delete(&parser);
    if (!ok) {
        cfg_free(root);
        return NULL;
    }
    if (root->type == CFG_SCALAR && (!root->scalar[0] || !strcmp(root->scalar, "~") ||
                                     !strcmp(root->scalar, "null"))) {
        /* "---" alone: an empty document, i.e. an empty configuration */
        cfg_free(root);
        root = node_new(CFG_MAP, 1);
        if (!root) {
            snprintf(err, errlen, "%s: out of memory while parsing", name);
            return NULL;
        }
    }
    if (root->type != CFG_MAP) {
        snprintf(err, errlen, "%s: line %u: the configuration must be a map of settings", name,
                 root->line);
        cfg_free(root);
        return NULL;
    }
    return root;
}

cfg_node_t *cfg_load_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(CFG_MAX_FILE_BYTES + 1);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t n = fread(buf, 1, CFG_MAX_FILE_BYTES + 1, f);
    bool rd_err = ferror(f);
    fclose(f);
    if (rd_err) {
        free(buf);
        snprintf(err, errlen, "%s: read error", path);
        return NULL;
    }
    if (n > CFG_MAX_FILE_BYTES) {
        free(buf);
        snprintf(err, errlen, "%s: larger than %u bytes", path, CFG_MAX_FILE_BYTES);
        return NULL;
    }
    cfg_node_t *root = cfg_parse(path, buf, n, err, errlen);
    free(buf);
    return root;
}

const cfg_node_t *cfg_get(const cfg_node_t *root, const char *path)
{
    const cfg_node_t *n = root;
    const char *p = path;
    while (n && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (n->type != CFG_MAP)
            return NULL;
        const cfg_node_t *next = NULL;
        for (size_t i = 0; i < n->n; i++) {
            if (strlen(n->keys[i]) == len && memcmp(n->keys[i], p, len) == 0) {
                next = n->kids[i];
                break;
            }
        }
        n = next;
        p = dot ? dot + 1 : p + len;
    }
    return n;
}

bool cfg_parse_size(const char *s, uint64_t *out)
{
    while (isspace((unsigned char)*s))
        s++;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    while (isspace((unsigned char)*end))
        end++;
    uint64_t mult = 1;
    if (*end) {
        char suf[4] = {0};
        size_t k = 0;
        while (*end && k < 3)
            suf[k++] = (char)tolower((unsigned char)*end++);
        while (isspace((unsigned char)*end))
            end++;
        if (*end)
            return false;
        if (!strcmp(suf, "b"))
            mult = 1;
        else if (!strcmp(suf, "kb") || !strcmp(suf, "k") || !strcmp(suf, "kib"))
            mult = 1024ull;
        else if (!strcmp(suf, "mb") || !strcmp(suf, "m") || !strcmp(suf, "mib"))
            mult = 1024ull * 1024;
        else if (!strcmp(suf, "gb") || !strcmp(suf, "g") || !strcmp(suf, "gib"))
            mult = 1024ull * 1024 * 1024;
        else
            return false;
    }
    if (v > UINT64_MAX / mult)
        return false;
    *out = (uint64_t)v * mult;
    return true;
}

static int get_number(const cfg_node_t *root, const char *path, uint64_t min, uint64_t max,
                      uint64_t *out, bool sizes, char *err, size_t errlen)
{
    const cfg_node_t *n = cfg_get(root, path);
    if (!n)
        return 0;
    const char *s = cfg_scalar(n);
    uint64_t v;
    bool ok = s && cfg_parse_size(s, &v);
    if (ok && !sizes) {
        /* plain numbers only */
        for (const char *c = s; *c; c++)
            if (!isdigit((unsigned char)*c) && !isspace((unsigned char)*c))
                ok = false;
    }
    if (!ok || v < min || v > max) {
        snprintf(err, errlen, "line %u: %s: expected %s between %llu and %llu, got '%s'",
                 cfg_line(n), path, sizes ? "a size" : "a whole number", (unsigned long long)min,
                 (unsigned long long)max, s ? s : "(not a value)");
        return MM_EINVAL;
    }
    *out = v;
    return 0;
}

int cfg_get_u64(const cfg_node_t *root, const char *path, uint64_t min, uint64_t max, uint64_t *out,
                char *err, size_t errlen)
{
    return get_number(root, path, min, max, out, false, err, errlen);
}

int cfg_get_size(const cfg_node_t *root, const char *path, uint64_t min, uint64_t max,
                 uint64_t *out, char *err, size_t errlen)
{
    return get_number(root, path, min, max, out, true, err, errlen);
}

int cfg_get_bool(const cfg_node_t *root, const char *path, bool *out, char *err, size_t errlen)
{
    const cfg_node_t *n = cfg_get(root, path);
    if (!n)
        return 0;
    const char *s = cfg_scalar(n);
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};
    for (size_t i = 0; s && i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    snprintf(err, errlen, "line %u: %s: expected yes or no, got '%s'", cfg_line(n), path,
             s ? s : "(not a value)");
    return MM_EINVAL;
}
