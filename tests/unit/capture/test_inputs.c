/*
 * Tests for cap_expand_inputs() (src/capture/inputs.c): directories expand to their regular
 * files sorted with strcmp, dot-files and subdirectories are skipped, "-" and plain files
 * pass through in argument order, and a missing path is an error naming it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "capture/capture.h"
#include "core/mm.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct tmpdir {
    char dir[256];
};

static void touch(const char *dir, const char *name)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static const char *const k_files[] = {"b.pcap", "a.pcap", "10.pcapng", "B.pcap", ".hidden.pcap"};

static int setup(void **state)
{
    struct tmpdir *t = calloc(1, sizeof *t);
    const char *base = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/mm_inputs_XXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    for (size_t i = 0; i < MM_ARRAY_LEN(k_files); i++)
        touch(t->dir, k_files[i]);
    char sub[512];
    snprintf(sub, sizeof sub, "%s/sub", t->dir);
    mkdir(sub, 0700);
    touch(sub, "inner.pcap");
    *state = t;
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct tmpdir *t = *state;
    int rc = nftw(t->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    free(t);
    return rc;
}

static void test_expand_dir_sorted(void **state)
{
    struct tmpdir *t = *state;
    char with_slash[300];
    snprintf(with_slash, sizeof with_slash, "%s/", t->dir);
    const char *const dirs[2] = {t->dir, with_slash};
    for (int d = 0; d < 2; d++) {
        const char *args[1] = {dirs[d]};
        char **out;
        size_t n;
        char err[256];
        assert_int_equal(cap_expand_inputs(args, 1, &out, &n, err, sizeof err), 0);
        static const char *const want[] = {"10.pcapng", "B.pcap", "a.pcap", "b.pcap"};
        assert_int_equal(n, MM_ARRAY_LEN(want));
        for (size_t i = 0; i < n; i++) {
            char path[600];
            snprintf(path, sizeof path, "%s/%s", t->dir, want[i]);
            assert_string_equal(out[i], path);
        }
        cap_free_paths(out, n);
    }
}

static void test_expand_mixed_args_keep_order(void **state)
{
    struct tmpdir *t = *state;
    char file[300];
    snprintf(file, sizeof file, "%s/b.pcap", t->dir);
    const char *args[4] = {file, "-", t->dir, file};
    char **out;
    size_t n;
    char err[256];
    assert_int_equal(cap_expand_inputs(args, 4, &out, &n, err, sizeof err), 0);
    assert_int_equal(n, 7);
    assert_string_equal(out[0], file);
    assert_string_equal(out[1], "-");
    assert_string_equal(out[6], file);
    assert_non_null(strstr(out[2], "/10.pcapng"));
    cap_free_paths(out, n);
}

static void test_expand_missing_path(void **state)
{
    struct tmpdir *t = *state;
    char missing[300];
    snprintf(missing, sizeof missing, "%s/nope.pcap", t->dir);
    const char *args[2] = {t->dir, missing};
    char **out = (char **)1;
    size_t n = 99;
    char err[512];
    assert_int_equal(cap_expand_inputs(args, 2, &out, &n, err, sizeof err), MM_EIO);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "No such file"));
    assert_null(out);
    assert_int_equal(n, 0);
}

static void test_expand_empty(void **state)
{
    struct tmpdir *t = *state;
    char empty[300];
    snprintf(empty, sizeof empty, "%s/sub/e", t->dir);
    assert_int_equal(mkdir(empty, 0700), 0);
    const char *args[1] = {empty};
    char **out;
    size_t n;
    char err[256];
    assert_int_equal(cap_expand_inputs(args, 1, &out, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    cap_free_paths(out, n);
    assert_int_equal(cap_expand_inputs(NULL, 0, &out, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    cap_free_paths(out, n);
    rmdir(empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_expand_dir_sorted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expand_mixed_args_keep_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expand_missing_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expand_empty, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
