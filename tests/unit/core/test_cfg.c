/*
 * YAML configuration tree (src/core/cfg.c): parsing, lookups, typed getters, and every way a
 * hostile or broken file is refused (aliases, nesting, duplicate keys, non-map documents),
 * each refusal with a message naming the line.
 */
#include "core/cfg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static cfg_node_t *parse(const char *text, char *err, size_t errlen)
{
    err[0] = 0;
    return cfg_parse("t.yaml", text, strlen(text), err, errlen);
}

static void test_cfg_parse_lookup(void **state)
{
    (void)state;
    char err[256];
    /*
     * flow:
     *   memcap: 64mb
     *   timeouts: {tcp: 60}
     * list: [a, b]
     */
    cfg_node_t *root = parse("flow:\n  memcap: 64mb\n  timeouts: {tcp: 60}\nlist: [a, b]\n", err,
                             sizeof err);
    assert_non_null(root);
    assert_int_equal(cfg_type(root), CFG_MAP);
    assert_int_equal(cfg_count(root), 2);
    assert_string_equal(cfg_key(root, 0), "flow");
    assert_string_equal(cfg_scalar(cfg_get(root, "flow.memcap")), "64mb");
    assert_string_equal(cfg_scalar(cfg_get(root, "flow.timeouts.tcp")), "60");
    assert_int_equal(cfg_line(cfg_get(root, "flow.memcap")), 2);
    const cfg_node_t *list = cfg_get(root, "list");
    assert_int_equal(cfg_type(list), CFG_SEQ);
    assert_int_equal(cfg_count(list), 2);
    assert_string_equal(cfg_scalar(cfg_child(list, 1)), "b");
    assert_null(cfg_key(list, 0));
    assert_null(cfg_get(root, "flow.nothing"));
    assert_null(cfg_get(root, "list.a")); /* not a map */
    assert_null(cfg_get(root, "flow.memcap.x"));
    cfg_free(root);
}

struct getter_row {
    const char *name, *yaml;
    int kind; /* 0 u64, 1 size, 2 bool */
    uint64_t min, max;
    int rc;
    uint64_t want;
};

/* clang-format off */
static const struct getter_row getter_rows[] = {
    {"u64 plain", "v: 42", 0, 0, 100, 0, 42},
    {"u64 too big", "v: 101", 0, 0, 100, -3, 0},
    {"u64 below min", "v: 1", 0, 5, 100, -3, 0},
    {"u64 suffix refused", "v: 4kb", 0, 0, 1u << 20, -3, 0},
    {"u64 negative", "v: -1", 0, 0, 100, -3, 0},
    {"u64 not a number", "v: ten", 0, 0, 100, -3, 0},
    {"u64 is a map", "v: {a: 1}", 0, 0, 100, -3, 0},
    {"size kb", "v: 4kb", 1, 0, UINT64_MAX, 0, 4096},
    {"size MB upper", "v: 2MB", 1, 0, UINT64_MAX, 0, 2u << 20},
    {"size gb", "v: 1gb", 1, 0, UINT64_MAX, 0, 1ull << 30},
    {"size bytes", "v: 100", 1, 0, UINT64_MAX, 0, 100},
    {"size overflow", "v: 99999999999999999gb", 1, 0, UINT64_MAX, -3, 0},
    {"size bad suffix", "v: 4tb", 1, 0, UINT64_MAX, -3, 0},
    {"size trailing junk", "v: 4kb x", 1, 0, UINT64_MAX, -3, 0},
    {"bool yes", "v: yes", 2, 0, 0, 0, 1},
    {"bool off", "v: off", 2, 0, 0, 0, 0},
    {"bool bad", "v: maybe", 2, 0, 0, -3, 0},
};
/* clang-format on */

static void test_cfg_getters(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof getter_rows / sizeof getter_rows[0]; i++) {
        const struct getter_row *r = &getter_rows[i];
        char err[256];
        cfg_node_t *root = parse(r->yaml, err, sizeof err);
        if (!root)
            fail_msg("row '%s': parse failed: %s", r->name, err);
        uint64_t v = 777;
        bool b = false;
        int rc;
        err[0] = 0;
        if (r->kind == 0)
            rc = cfg_get_u64(root, "v", r->min, r->max, &v, err, sizeof err);
        else if (r->kind == 1)
            rc = cfg_get_size(root, "v", r->min, r->max, &v, err, sizeof err);
        else
            rc = cfg_get_bool(root, "v", &b, err, sizeof err);
        if (rc != r->rc)
            fail_msg("row '%s': rc %d, want %d (%s)", r->name, rc, r->rc, err);
        if (rc == 0 && r->kind < 2 && v != r->want)
            fail_msg("row '%s': value %llu, want %llu", r->name, (unsigned long long)v,
                     (unsigned long long)r->want);
        if (rc == 0 && r->kind == 2 && b != (r->want != 0))
            fail_msg("row '%s': bool %d, want %d", r->name, b, (int)r->want);
        if (rc != 0 && !strstr(err, "line 1"))
            fail_msg("row '%s': error without the line: '%s'", r->name, err);
        /* absent keys leave the value alone */
        v = 777;
        assert_int_equal(cfg_get_u64(root, "absent", 0, 1, &v, err, sizeof err), 0);
        assert_int_equal(v, 777);
        cfg_free(root);
    }
}

struct bad_row {
    const char *name, *yaml, *want_in_error;
};

/* clang-format off */
static const struct bad_row bad_rows[] = {
    {"alias", "a: &x [1, 2]\nb: *x\n", "aliases are not supported"},
    {"duplicate key", "flow:\n  memcap: 64mb\n  memcap: 1kb\n", "duplicate key 'memcap'"},
    {"sequence at top", "- a\n- b\n", "must be a map"},
    {"scalar at top", "hello\n", "must be a map"},
    {"syntax error", "a: [1, 2\n", "line "},
    {"two documents", "a: 1\n---\nb: 2\n", "only one YAML document"},
    {"map as key", "? {a: 1}\n: 2\n", "plain value"},
};
/* clang-format on */

static void test_cfg_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
        const struct bad_row *r = &bad_rows[i];
        char err[256];
        cfg_node_t *root = parse(r->yaml, err, sizeof err);
        if (root) {
            cfg_free(root);
            fail_msg("row '%s': accepted", r->name);
        }
        if (!strstr(err, r->want_in_error) || strncmp(err, "t.yaml: ", 8) != 0)
            fail_msg("row '%s': error '%s' lacks '%s'", r->name, err, r->want_in_error);
    }
}

static void test_cfg_empty_documents(void **state)
{
    (void)state;
    static const char *const empties[] = {"", "# only a comment\n", "---\n", "---\n...\n", "~\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        char err[256];
        cfg_node_t *root = parse(empties[i], err, sizeof err);
        if (!root)
            fail_msg("empty document %zu refused: %s", i, err);
        assert_int_equal(cfg_type(root), CFG_MAP);
        assert_int_equal(cfg_count(root), 0);
        cfg_free(root);
    }
}

static void test_cfg_limits(void **state)
{
    (void)state;
    char err[256];
    /* nesting deeper than CFG_MAX_DEPTH: [[[[...]]]] */
    size_t depth = CFG_MAX_DEPTH + 5;
    char *deep = malloc(2 * depth + 8);
    assert_non_null(deep);
    size_t n = 0;
    memcpy(deep, "a: ", 3);
    n = 3;
    for (size_t i = 0; i < depth; i++)
        deep[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[n++] = ']';
    deep[n] = 0;
    assert_null(parse(deep, err, sizeof err));
    assert_non_null(strstr(err, "nesting deeper"));
    free(deep);

    /* more values than CFG_MAX_NODES */
    size_t items = CFG_MAX_NODES + 10;
    char *big = malloc(items * 2 + 16);
    assert_non_null(big);
    n = 0;
    memcpy(big, "a: [", 4);
    n = 4;
    for (size_t i = 0; i < items; i++) {
        big[n++] = '1';
        big[n++] = ',';
    }
    big[n - 1] = ']';
    big[n] = 0;
    assert_null(parse(big, err, sizeof err));
    assert_non_null(strstr(err, "more than"));
    free(big);
}

static void test_cfg_load_file(void **state)
{
    (void)state;
    char err[256];
    assert_null(cfg_load_file("/nonexistent/mamori.yaml", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/mamori.yaml"));
    char path[] = "/tmp/mm_cfg_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("stats:\n  interval: 5\n", f);
    fclose(f);
    cfg_node_t *root = cfg_load_file(path, err, sizeof err);
    assert_non_null(root);
    assert_string_equal(cfg_scalar(cfg_get(root, "stats.interval")), "5");
    cfg_free(root);
    unlink(path);

    /* the example configuration shipped with the project parses */
    root = cfg_load_file(MM_SOURCE_DIR "/etc/mamori.yaml", err, sizeof err);
    if (!root)
        fail_msg("etc/mamori.yaml: %s", err);
    assert_non_null(cfg_get(root, "flow.memcap"));
    cfg_free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfg_parse_lookup),  cmocka_unit_test(test_cfg_getters),
        cmocka_unit_test(test_cfg_refusals),      cmocka_unit_test(test_cfg_empty_documents),
        cmocka_unit_test(test_cfg_limits),        cmocka_unit_test(test_cfg_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
