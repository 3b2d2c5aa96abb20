/*
 * Rule files (src/detect/rule_files.c) and the `rules check` report (rule_check.c):
 * comments, blank lines, continuation lines, CRLF, duplicates, counting, file errors, the
 * text and JSON reports; and, when the shared data is present, the whole Emerging Threats
 * Open snapshot, which must load at >= 95 %.
 */
#include "detect/rule_parse.h"

#include "core/mm.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static struct det_ruleset *rs_new(void)
{
    struct det_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs)
        abort();
    return rs;
}

/* det_ruleset_free frees the set itself: start again with an empty one */
#define RS_RESET(rs)                                                                               \
    do {                                                                                           \
        det_ruleset_free(rs);                                                                      \
        (rs) = rs_new();                                                                           \
    } while (0)

static int load(const char *text, struct det_ruleset *rs)
{
    char err[256];
    return det_load_string(NULL, "t.rules", text, strlen(text), rs, err, sizeof err);
}

static const struct det_skip *skip_for_line(const struct det_ruleset *rs, uint32_t line)
{
    for (uint32_t i = 0; i < rs->n_skips; i++) {
        if (rs->skips[i].line == line)
            return &rs->skips[i];
    }
    fail_msg("no skip on line %u", line);
    abort(); /* fail_msg does not return */
}

static void test_det_load_string_lines(void **state)
{
    (void)state;
    static const char text[] =
        "# a comment\n"                                                         /* 1 */
        "\n"                                                                    /* 2 */
        "   \t\n"                                                               /* 3 */
        "#alert tcp any any -> any any (msg:\"disabled\"; sid:100;)\n"          /* 4 */
        "alert tcp any any -> any any (msg:\"one\"; sid:1;)\n"                  /* 5 */
        "  alert tcp any any -> any any (msg:\"crlf\"; sid:2;)\r\n"             /* 6 */
        "alert tcp any any -> any any (msg:\"cont\"; \\\n"                      /* 7 */
        "    content:\"abc\"; \\\r\n"                                           /* 8 */
        "    sid:3;)\n"                                                         /* 9 */
        "alert smb any any -> any any (msg:\"skip\"; sid:4;)\n"                 /* 10 */
        "alert tcp any any -> any any (msg:\"dup\"; sid:1;)\n"                  /* 11 */
        "alert tcp any any -> any any (msg:\"other gid\"; gid:2; sid:1;)\n"     /* 12 */
        "alert tcp any any -> any any (msg:\"bad\"; dataset:x; sid:5;)\n"       /* 13 */
        "alert tcp any any -> any any (msg:\"last\"; flowbits:set,fb; sid:6;)"; /* 14 */
    struct det_ruleset *rs = rs_new();
    assert_int_equal(load(text, rs), 0);
    assert_int_equal(rs->total, 8);
    assert_int_equal(rs->n_rules, 5);
    assert_int_equal(rs->n_skips, 3);
    assert_int_equal(rs->total, rs->n_rules + rs->n_skips);
    static const struct {
        uint32_t sid, gid, line;
        const char *msg;
    } want[] = {{1, 1, 5, "one"},
                {2, 1, 6, "crlf"},
                {3, 1, 7, "cont"},
                {1, 2, 12, "other gid"},
                {6, 1, 14, "last"}};
    for (size_t i = 0; i < 5; i++) {
        const struct det_rule *r = NULL;
        for (uint32_t j = 0; j < rs->n_rules; j++) {
            if (rs->rules[j]->sid == want[i].sid && rs->rules[j]->gid == want[i].gid)
                r = rs->rules[j];
        }
        if (!r) {
            fail_msg("gid %u sid %u not loaded", want[i].gid, want[i].sid);
            return;
        }
        assert_int_equal(r->line, want[i].line);
        assert_string_equal(r->msg, want[i].msg);
        assert_string_equal(r->file, "t.rules");
    }
    /* the continued rule was joined without the backslashes: it parsed whole */
    const struct det_rule *cont = rs->rules[2];
    assert_int_equal(cont->sid, 3);
    assert_int_equal(cont->n_lists, 1);

    const struct det_skip *s = skip_for_line(rs, 10);
    assert_int_equal(s->sid, 4);
    assert_string_equal(s->keyword, "smb");
    assert_string_equal(s->file, "t.rules");
    s = skip_for_line(rs, 11);
    assert_int_equal(s->sid, 1);
    assert_string_equal(s->reason, "duplicate sid");
    assert_null(s->keyword);
    s = skip_for_line(rs, 13);
    assert_int_equal(s->sid, 5);
    assert_string_equal(s->keyword, "dataset");
    assert_non_null(strstr(s->reason, "unsupported keyword 'dataset'"));

    /* loading more into the same set: duplicates of what is there are skipped too */
    assert_int_equal(load("alert tcp any any -> any any (sid:6;)\n"
                          "alert tcp any any -> any any (flowbits:isset,fb; sid:7;)\n",
                          rs),
                     0);
    /* flowbit names interned by the first load are found by the second */
    assert_int_equal(rs->flowbits.n, 1);
    assert_int_equal(rs->rules[5]->flowbits[0].ids[0], rs->rules[4]->flowbits[0].ids[0]);
    assert_int_equal(rs->total, 10);
    assert_int_equal(rs->n_rules, 6);
    assert_int_equal(rs->n_skips, 4);
    assert_int_equal(rs->n_classes, 42); /* built-in table, loaded once */
    det_ruleset_free(rs);
    det_ruleset_free(NULL); /* harmless */
}

struct edge_row {
    const char *text;
    uint32_t total, loaded;
};

static void test_det_load_string_edges(void **state)
{
    (void)state;
    static const struct edge_row rows[] = {
        {"", 0, 0},
        {"\n\n\r\n", 0, 0},
        {"# only a comment", 0, 0},
        {"alert tcp any any -> any any (sid:1;) \\", 1, 1}, /* continuation at end of file */
        {"alert tcp any any -> any any (sid:1;) \\\n\n", 1, 1},
        {"\\\n\\\n\\", 1, 0},
        {"garbage\n", 1, 0},
        {"alert tcp any any -> any any (sid:1;)\n# alert tcp any any -> any any (sid:2;) \\\n"
         "alert tcp any any -> any any (sid:3;)\n",
         2, 2},
        {"alert tcp any any -> any any (msg:\"a\\\\\"; sid:1;)\n", 1, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct det_ruleset *rs = rs_new();
        assert_int_equal(load(rows[i].text, rs), 0);
        if (rs->total != rows[i].total || rs->n_rules != rows[i].loaded)
            fail_msg("row %zu: total %u loaded %u, want %u %u", i, rs->total, rs->n_rules,
                     rows[i].total, rows[i].loaded);
        assert_int_equal(rs->total, rs->n_rules + rs->n_skips);
        det_ruleset_free(rs);
    }

    /* a rule joined from continuation lines beyond DET_RULE_MAX_BYTES is one skip */
    size_t n = DET_RULE_MAX_BYTES + 20000;
    char *big = malloc(n + 64);
    size_t o = (size_t)snprintf(big, 64, "alert tcp any any -> any any (msg:\"");
    while (o < n) {
        memcpy(big + o, "aaaaaaa\\\n", 9);
        o += 9;
    }
    o += (size_t)snprintf(big + o, 64, "\"; sid:1;)\nalert ip any any -> any any (sid:2;)\n");
    struct det_ruleset *rs = rs_new();
    char err[256];
    assert_int_equal(det_load_string(NULL, "big", big, o, rs, err, sizeof err), 0);
    assert_int_equal(rs->total, 2);
    assert_int_equal(rs->n_rules, 1);
    assert_int_equal(rs->rules[0]->sid, 2);
    assert_non_null(strstr(rs->skips[0].reason, "longer than"));
    det_ruleset_free(rs);
    free(big);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_det_load_files_and_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/mm_rulesXXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[64], b[64], missing[64];
    snprintf(a, sizeof a, "%s/a.rules", dir);
    snprintf(b, sizeof b, "%s/b.rules", dir);
    snprintf(missing, sizeof missing, "%s/missing.rules", dir);
    write_file(a, "alert tcp any any -> any any (msg:\"a\"; sid:1;)\n"
                  "alert tcp any any -> any any (msg:\"a2\"; flowbits:set,x; sid:2;)\n");
    write_file(b, "alert tcp any any -> any any (msg:\"b dup\"; sid:1;)\n"
                  "alert tcp any any -> any any (msg:\"b\"; flowbits:isset,x; sid:3;)\n");
    const char *files[] = {a, b};
    struct det_ruleset *rs = rs_new();
    char err[256] = "";
    assert_int_equal(det_load_files(NULL, files, 2, rs, err, sizeof err), 0);
    assert_int_equal(rs->total, 4);
    assert_int_equal(rs->n_rules, 3);
    assert_int_equal(rs->n_skips, 1);
    assert_string_equal(rs->skips[0].file, b);
    assert_int_equal(rs->skips[0].line, 1);
    assert_string_equal(rs->rules[2]->file, b);
    assert_int_equal(rs->rules[2]->line, 2);
    /* flowbit names are shared across files */
    assert_int_equal(rs->flowbits.n, 1);
    assert_int_equal(rs->rules[1]->flowbits[0].ids[0], rs->rules[2]->flowbits[0].ids[0]);
    RS_RESET(rs);

    /* an unreadable file: MM_EIO naming it; rules read before it stay */
    const char *files2[] = {a, missing, b};
    assert_int_equal(det_load_files(NULL, files2, 3, rs, err, sizeof err), MM_EIO);
    assert_non_null(strstr(err, missing));
    assert_int_equal(rs->n_rules, 2);
    RS_RESET(rs);
    const char *files3[] = {dir}; /* a directory is not a rules file */
    assert_int_equal(det_load_files(NULL, files3, 1, rs, err, sizeof err), MM_EIO);
    assert_non_null(strstr(err, dir));
    RS_RESET(rs);

    /* a bad variable: the parser cannot be built */
    struct det_var v = {"HOME_NET", "!any"};
    struct det_parse_opts o = {.addr_vars = &v, .n_addr_vars = 1};
    assert_int_not_equal(det_load_files(&o, files, 1, rs, err, sizeof err), 0);
    assert_non_null(strstr(err, "HOME_NET"));
    det_ruleset_free(rs);

    unlink(a);
    unlink(b);
    rmdir(dir);
}

static char *check_output(const struct det_ruleset *rs, bool json, bool verbose)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    det_print_check(rs, json, verbose, f);
    fclose(f);
    return buf;
}

static void test_det_print_check(void **state)
{
    (void)state;
    struct det_ruleset *rs = rs_new();
    assert_int_equal(load("alert tcp any any -> any any (sid:1;)\n"
                          "alert smb any any -> any any (sid:2;)\n"
                          "alert smb any any -> any any (sid:3;)\n"
                          "alert tcp any any -> any any (dataset:x; sid:4;)\n"
                          "alert tcp any any -> any any (sid:1;)\n"
                          "alert tcp any any -> any any (msg:\"\xff\x01\"; classtype:\"q\xc3; "
                          "sid:5;)\n",
                          rs),
                     0);
    char *t = check_output(rs, false, false);
    assert_non_null(strstr(t, "rules: 6 total, 1 loaded (16.7%), 5 skipped"));
    char *smb = strstr(t, "2  smb"), *ds = strstr(t, "1  dataset"),
         *dup = strstr(t, "duplicate sid");
    assert_non_null(smb);
    assert_non_null(ds);
    assert_non_null(dup);
    assert_true(smb < ds); /* most frequent first */
    assert_null(strstr(t, "t.rules:2 sid 2"));
    free(t);

    t = check_output(rs, false, true);
    assert_non_null(strstr(t, "t.rules:2 sid 2: unsupported protocol 'smb'"));
    assert_non_null(strstr(t, "t.rules:5 sid 1: duplicate sid"));
    free(t);

    t = check_output(rs, true, false);
    assert_non_null(strstr(t, "{\"total\": 6, \"loaded\": 1, \"skipped\": [{\"file\": \"t.rules\", "
                              "\"line\": 2, \"sid\": 2, \"reason\": \"unsupported protocol "
                              "'smb'\"}, "));
    /* the classtype quoted in the reason has a quote, a control byte and bad UTF-8 */
    assert_non_null(strstr(t, "unknown classtype '\\\"q\\ufffd'"));
    assert_int_equal(t[strlen(t) - 1], '\n');
    assert_int_equal(t[strlen(t) - 2], '}');
    free(t);
    RS_RESET(rs);

    /* empty set */
    t = check_output(rs, true, true);
    assert_string_equal(t, "{\"total\": 0, \"loaded\": 0, \"skipped\": []}\n");
    free(t);
    t = check_output(rs, false, true);
    assert_string_equal(t, "rules: 0 total, 0 loaded (100.0%), 0 skipped\n");
    free(t);
    det_ruleset_free(rs);
}

/* ---------------- allocation failure ---------------- */

/*
 * The rule reader allocates with malloc (it runs at start-up, not per packet), so the
 * memcap fault injection does not reach it. This program replaces malloc itself (glibc
 * routes even its own allocations through these symbols): the n-th allocation fails, and
 * live blocks are counted to find leaks. Not with ASan, which owns malloc.
 */
#if defined(__SANITIZE_ADDRESS__)
#define RF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RF_ASAN 1
#endif
#endif

#ifndef RF_ASAN
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static uint64_t rf_count, rf_fail_at; /* fail the rf_fail_at-th allocation; 0: never */
static int64_t rf_live;

static bool rf_fail(void)
{
    return rf_fail_at && ++rf_count == rf_fail_at;
}

void *malloc(size_t n)
{
    void *p = rf_fail() ? NULL : __libc_malloc(n);
    rf_live += p != NULL;
    return p;
}

void *calloc(size_t n, size_t size)
{
    void *p = rf_fail() ? NULL : __libc_calloc(n, size);
    rf_live += p != NULL;
    return p;
}

void *realloc(void *old, size_t n)
{
    if (rf_fail())
        return NULL;
    void *p = __libc_realloc(old, n);
    if (!old && p)
        rf_live++;
    else if (old && !p && n == 0)
        rf_live--;
    return p;
}

void free(void *p)
{
    rf_live -= p != NULL;
    __libc_free(p);
}

static const char oom_rules[] =
    "alert http $HOME_NET any -> [$EXTERNAL_NET,!1.2.3.4] $HTTP_PORTS (msg:\"a\"; "
    "flow:established,to_server; http.method; content:\"POST\"; http.uri; to_lowercase; "
    "content:\"/x\"; fast_pattern; pcre:\"/^\\/x[a-z]+/R\"; flowbits:set,a&b; flowint:n,+,1; "
    "xbits:set,x,track ip_src; metadata:k v, k2 v2; threshold:type limit,track by_src,count "
    "1,seconds 60; classtype:trojan-activity; sid:1; rev:1;)\n"
    "alert tcp any any -> any any (content:\"x\"; http_uri; byte_extract:2,0,v,relative; "
    "byte_test:2,>,v,0; isdataat:!1,relative; sid:2;)\n"
    "alert smb any any -> any any (sid:3;)\n"
    "alert tcp any any -> any any (sid:2;)\n"
    "alert dns any any -> any any (dns.query; content:\"x\"; \\\n bsize:>3; sid:4;)\n";

static void test_det_load_string_alloc_failure(void **state)
{
    (void)state;
    /* count the allocations of a successful load */
    rf_fail_at = UINT64_MAX;
    rf_count = 0;
    struct det_ruleset *rs = rs_new();
    char err[256];
    assert_int_equal(
        det_load_string(NULL, "oom", oom_rules, strlen(oom_rules), rs, err, sizeof err), 0);
    assert_int_equal(rs->n_rules, 3);
    det_ruleset_free(rs);
    uint64_t total = rf_count;
    assert_true(total > 50);
    uint64_t refused = 0;
    for (uint64_t n = 1; n <= total; n++) {
        int64_t live = rf_live;
        rf_fail_at = UINT64_MAX;
        rs = rs_new();
        rf_count = 0;
        rf_fail_at = n;
        int rc = det_load_string(NULL, "oom", oom_rules, strlen(oom_rules), rs, err, sizeof err);
        rf_fail_at = 0;
        if (rc != 0 && rc != MM_ENOMEM)
            fail_msg("allocation %llu failed: rc %d", (unsigned long long)n, rc);
        refused += rc == MM_ENOMEM;
        if (rc == 0 && rs->total != rs->n_rules + rs->n_skips)
            fail_msg("allocation %llu failed: counts", (unsigned long long)n);
        det_ruleset_free(rs);
        if (rf_live != live)
            fail_msg("allocation %llu failed: %lld blocks leaked", (unsigned long long)n,
                     (long long)(rf_live - live));
    }
    printf("allocation failure: %llu allocations, %llu loads refused with MM_ENOMEM\n",
           (unsigned long long)total, (unsigned long long)refused);
    assert_true(refused > total / 2);
}
#endif

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Emerging Threats Open from ../shared/data: every *.rules file, >= 95 % loaded. */
static void test_det_load_files_et_open(void **state)
{
    (void)state;
    const char *dir = MM_SHARED_DIR "/rules/et-open-2024-04-21";
    DIR *d = opendir(dir);
    if (!d) {
        printf("skipped: shared data not present (%s)\n", dir);
        return;
    }
    char *files[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 6 && strcmp(e->d_name + len - 6, ".rules") == 0) {
            files[n] = malloc(strlen(dir) + len + 2);
            sprintf(files[n], "%s/%s", dir, e->d_name);
            n++;
        }
    }
    closedir(d);
    qsort(files, n, sizeof files[0], name_cmp);
    assert_true(n > 0);
    struct det_ruleset *rs = rs_new();
    char err[256];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = det_load_files(NULL, (const char *const *)files, n, rs, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc)
        fail_msg("loading ET Open: %s", err);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("ET Open: %zu files, %u/%u rules loaded (%.2f%%), %.3f s\n", n, rs->n_rules, rs->total,
           100.0 * rs->n_rules / rs->total, secs);
    det_print_check(rs, false, false, stdout);
    assert_int_equal(rs->total, rs->n_rules + rs->n_skips);
    assert_true(rs->total > 20000);
    assert_true((uint64_t)rs->n_rules * 100 >= (uint64_t)rs->total * 95);
    det_ruleset_free(rs);
    for (size_t i = 0; i < n; i++)
        free(files[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_load_string_lines),
        cmocka_unit_test(test_det_load_string_edges),
        cmocka_unit_test(test_det_load_files_and_errors),
        cmocka_unit_test(test_det_print_check),
#ifndef RF_ASAN
        cmocka_unit_test(test_det_load_string_alloc_failure),
#endif
        cmocka_unit_test(test_det_load_files_et_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
