/*
 * `mamori rules check` output: counts, the skipped rules grouped by keyword (or by reason
 * when no keyword is at fault) in order of frequency, and per-rule lines; or one JSON
 * object for scripts. Strings in JSON are escaped and any invalid UTF-8 (rule text quoted
 * in reasons can be anything) becomes U+FFFD.
 */
#include "detect/rule_parse.h"

#include <stdlib.h>
#include <string.h>

static const char *skip_group(const struct det_skip *s)
{
    return s->keyword ? s->keyword : (s->reason ? s->reason : "?");
}

static int group_cmp(const void *a, const void *b)
{
    const struct det_skip *x = *(const struct det_skip *const *)a;
    const struct det_skip *y = *(const struct det_skip *const *)b;
    return strcmp(skip_group(x), skip_group(y));
}

struct group {
    const char *key;
    uint32_t count;
};

static int count_cmp(const void *a, const void *b)
{
    const struct group *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->key, y->key);
}

static void print_table(const struct det_ruleset *rs, FILE *out)
{
    if (rs->n_skips == 0)
        return;
    const struct det_skip **v = malloc(rs->n_skips * sizeof *v);
    struct group *g = malloc(rs->n_skips * sizeof *g);
    if (!v || !g) {
        fprintf(out, "(out of memory: no table of skip reasons)\n");
        free(v);
        free(g);
        return;
    }
    for (uint32_t i = 0; i < rs->n_skips; i++)
        v[i] = &rs->skips[i];
    qsort(v, rs->n_skips, sizeof *v, group_cmp);
    uint32_t ng = 0;
    for (uint32_t i = 0; i < rs->n_skips; i++) {
        if (ng && strcmp(g[ng - 1].key, skip_group(v[i])) == 0)
            g[ng - 1].count++;
        else
            g[ng++] = (struct group){skip_group(v[i]), 1};
    }
    qsort(g, ng, sizeof *g, count_cmp);
    fprintf(out, "skipped, by keyword or reason:\n");
    for (uint32_t i = 0; i < ng; i++)
        fprintf(out, "  %7u  %s\n", g[i].count, g[i].key);
    free(v);
    free(g);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1fu;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0fu;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07u;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

static void json_str(const char *s, FILE *out)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc(c, out);
            p++;
        } else if (c == '\n') {
            fputs("\\n", out);
            p++;
        } else if (c == '\t') {
            fputs("\\t", out);
            p++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
            p++;
        } else {
            size_t n = utf8_len(p);
            if (n == 0) {
                fputs("\\ufffd", out);
                p++;
            } else {
                fwrite(p, 1, n, out);
                p += n;
            }
        }
    }
    fputc('"', out);
}

static void print_json(const struct det_ruleset *rs, FILE *out)
{
    fprintf(out, "{\"total\": %u, \"loaded\": %u, \"skipped\": [", rs->total, rs->n_rules);
    for (uint32_t i = 0; i < rs->n_skips; i++) {
        const struct det_skip *s = &rs->skips[i];
        fputs(i ? ", {\"file\": " : "{\"file\": ", out);
        json_str(s->file, out);
        fprintf(out, ", \"line\": %u, \"sid\": %u, \"reason\": ", s->line, s->sid);
        json_str(s->reason, out);
        fputc('}', out);
    }
    fputs("]}\n", out);
}

void det_print_check(const struct det_ruleset *rs, bool json, bool verbose, FILE *out)
{
    if (json) {
        print_json(rs, out);
        return;
    }
    double share = rs->total ? 100.0 * rs->n_rules / rs->total : 100.0;
    fprintf(out, "rules: %u total, %u loaded (%.1f%%), %u skipped\n", rs->total, rs->n_rules, share,
            rs->n_skips);
    print_table(rs, out);
    if (!verbose)
        return;
    for (uint32_t i = 0; i < rs->n_skips; i++) {
        const struct det_skip *s = &rs->skips[i];
        fprintf(out, "%s:%u sid %u: %s\n", s->file ? s->file : "?", s->line, s->sid,
                s->reason ? s->reason : "?");
    }
}
