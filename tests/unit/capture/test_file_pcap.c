/*
 * Tests for the classic pcap reader (src/capture/file_pcap.c) through the public API: both
 * byte orders and timestamp precisions, open-time errors, every truncation point, corrupt
 * lengths, a file larger than the read buffer, stdin, pipes and progress.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cap_testutil.h"
#include "capture/capture.h"
#include "core/mm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Open bytes written to a temp file; the file is unlinked at once (the fd stays open). */
static cap_source_t *open_bytes(const struct tb *b, char *err, size_t errlen)
{
    char *path = tb_write_tmp(b->p, b->len);
    cap_source_t *s = cap_open_file(path, err, errlen);
    unlink(path);
    free(path);
    return s;
}

/* The three packets of the small test file. */
static const uint32_t k_len[3] = {60, 1, 1514};
static const uint32_t k_sec[3] = {1700000000u, 1700000001u, 4000000000u};
static const uint32_t k_frac[3] = {0, 999999, 123456};

static void build_small(struct tb *b, bool big, bool nsec)
{
    uint8_t data[1514];
    tb_init(b, big);
    tb_pcap_hdr(b, nsec, 1, 65535);
    for (unsigned i = 0; i < 3; i++) {
        fill_pattern(data, k_len[i], i + 1);
        tb_pcap_rec(b, k_sec[i], k_frac[i], data, k_len[i], k_len[i] + 10 * i);
    }
}

static void test_pcap_byte_orders_and_precisions(void **state)
{
    (void)state;
    static const struct {
        bool big, nsec;
    } rows[] = {{false, false}, {true, false}, {false, true}, {true, true}};
    for (size_t r = 0; r < MM_ARRAY_LEN(rows); r++) {
        struct tb b;
        build_small(&b, rows[r].big, rows[r].nsec);
        char err[256];
        cap_source_t *s = open_bytes(&b, err, sizeof err);
        if (s == NULL)
            fail_msg("row %zu: open failed: %s", r, err);
        assert_int_equal(cap_linktype(s), CAP_LINK_ETHERNET);
        assert_false(cap_is_live(s));
        struct cap_pkt p;
        for (unsigned i = 0; i < 3; i++) {
            int rc = cap_next(s, &p);
            if (rc != 1)
                fail_msg("row %zu pkt %u: rc %d: %s", r, i, rc, cap_error(s));
            uint8_t want[1514];
            fill_pattern(want, k_len[i], i + 1);
            assert_int_equal(p.caplen, k_len[i]);
            assert_int_equal(p.wirelen, k_len[i] + 10 * i);
            assert_memory_equal(p.data, want, k_len[i]);
            uint64_t ts = (uint64_t)k_sec[i] * 1000000000u +
                          (uint64_t)k_frac[i] * (rows[r].nsec ? 1u : 1000u);
            if (p.ts_ns != ts)
                fail_msg("row %zu pkt %u: ts %llu, want %llu", r, i, (unsigned long long)p.ts_ns,
                         (unsigned long long)ts);
            assert_int_equal(p.linktype, CAP_LINK_ETHERNET);
            assert_int_equal(p.iface, 0);
            assert_int_equal(p.pkt_no, i + 1);
        }
        assert_int_equal(cap_next(s, &p), MM_EOF);
        assert_int_equal(cap_next(s, &p), MM_EOF); /* stays at EOF */
        struct cap_stats st;
        cap_get_stats(s, &st);
        assert_int_equal(st.pkts_read, 3);
        assert_int_equal(st.bytes_read, 60 + 1 + 1514);
        assert_int_equal(st.snap_truncated, 2);
        assert_int_equal(st.pkts_filtered, 0);
        cap_close(s);
        tb_free(&b);
    }
}

static void test_pcap_header_only_is_clean_eof(void **state)
{
    (void)state;
    struct tb b;
    tb_init(&b, false);
    tb_pcap_hdr(&b, false, 113, 262144);
    char err[256];
    cap_source_t *s = open_bytes(&b, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(cap_linktype(s), CAP_LINK_LINUX_SLL);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), MM_EOF);
    assert_string_equal(cap_error(s), "");
    cap_close(s);
    tb_free(&b);
}

/* A file whose open must fail, and a piece of the message. */
static void expect_open_fail(const uint8_t *p, size_t n, const char *want)
{
    char *path = tb_write_tmp(p, n);
    char err[512];
    err[0] = '\0';
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    if (s != NULL)
        fail_msg("opened %zu bytes, want failure \"%s\"", n, want);
    if (strstr(err, want) == NULL || strstr(err, path) == NULL)
        fail_msg("error \"%s\" lacks \"%s\" or the path", err, want);
    unlink(path);
    free(path);
}

static void test_pcap_open_errors(void **state)
{
    (void)state;
    /* 0 bytes */
    expect_open_fail(NULL, 0, "empty file");
    /* "ab\n" */
    expect_open_fail((const uint8_t *)"ab\n", 3, "too short");
    /* "GET / HTTP/1.1" */
    expect_open_fail((const uint8_t *)"GET / HTTP/1.1\r\n", 16,
                     "not a pcap or pcapng file (magic 0x47455420)");
    /* gzip header */
    static const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 3};
    expect_open_fail(gz, sizeof gz, "gzip");
    /* pcap magic, header cut at 10 bytes */
    static const uint8_t hdr10[] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0};
    expect_open_fail(hdr10, sizeof hdr10, "truncated pcap file header (10 of 24 bytes)");
    /* pcap version 3.0 */
    struct tb b;
    tb_init(&b, false);
    tb_pcap_hdr(&b, false, 1, 65535);
    b.p[4] = 3;
    expect_open_fail(b.p, b.len, "unsupported pcap version 3.4");
    tb_free(&b);

    char err[512];
    assert_null(cap_open_file("/nonexistent/x.pcap", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/x.pcap"));
    assert_null(cap_open_file("/tmp", err, sizeof err));
    assert_non_null(strstr(err, "is a directory"));
}

/* Record starts of a file built by build_small-like code. */
static void test_pcap_every_truncation_point(void **state)
{
    (void)state;
    struct tb b;
    build_small(&b, false, false);
    size_t starts[4] = {24, 0, 0, 0};
    for (unsigned i = 0; i < 3; i++)
        starts[i + 1] = starts[i] + 16 + k_len[i];
    assert_int_equal(starts[3], b.len);

    for (size_t cut = 0; cut <= b.len; cut++) {
        char *path = tb_write_tmp(b.p, cut);
        char err[512];
        cap_source_t *s = cap_open_file(path, err, sizeof err);
        if (cut < 24) {
            if (s != NULL)
                fail_msg("cut %zu: header cut but open succeeded", cut);
            unlink(path);
            free(path);
            continue;
        }
        if (s == NULL)
            fail_msg("cut %zu: %s", cut, err);
        /* packets wholly before the cut */
        unsigned whole = 0;
        while (whole < 3 && starts[whole + 1] <= cut)
            whole++;
        struct cap_pkt p;
        for (unsigned i = 0; i < whole; i++) {
            int rc = cap_next(s, &p);
            if (rc != 1)
                fail_msg("cut %zu pkt %u: rc %d %s", cut, i, rc, cap_error(s));
            uint8_t want[1514];
            fill_pattern(want, k_len[i], i + 1);
            assert_int_equal(p.caplen, k_len[i]);
            assert_memory_equal(p.data, want, k_len[i]);
        }
        int rc = cap_next(s, &p);
        if (cut == starts[whole]) {
            if (rc != MM_EOF)
                fail_msg("cut %zu at a record boundary: rc %d %s", cut, rc, cap_error(s));
        } else {
            if (rc != MM_ETRUNC)
                fail_msg("cut %zu: rc %d, want MM_ETRUNC", cut, rc);
            char want[128];
            snprintf(want, sizeof want, "%s: packet %u (offset %zu): truncated record", path,
                     whole + 1, starts[whole]);
            if (strstr(cap_error(s), want) == NULL)
                fail_msg("cut %zu: \"%s\" lacks \"%s\"", cut, cap_error(s), want);
            assert_int_equal(cap_next(s, &p), MM_ETRUNC); /* sticky */
        }
        cap_close(s);
        unlink(path);
        free(path);
    }
    tb_free(&b);
}

static void test_pcap_message_format(void **state)
{
    (void)state;
    /* Header says 60 bytes, 20 present: the example from docs/internals/capture.md. */
    struct tb b;
    uint8_t data[60] = {0};
    tb_init(&b, false);
    tb_pcap_hdr(&b, false, 1, 65535);
    tb_pcap_rec(&b, 1, 2, data, 60, 60);
    b.len -= 40;
    char *path = tb_write_tmp(b.p, b.len);
    char err[512];
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    assert_non_null(s);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), MM_ETRUNC);
    char want[512];
    snprintf(want, sizeof want,
             "%s: packet 1 (offset 24): truncated record: header says 60 bytes, 20 present", path);
    assert_string_equal(cap_error(s), want);
    cap_close(s);
    unlink(path);
    free(path);
    tb_free(&b);
}

static void test_pcap_corrupt_caplen(void **state)
{
    (void)state;
    struct tb b;
    uint8_t data[64] = {0};
    tb_init(&b, true);
    tb_pcap_hdr(&b, false, 1, 65535);
    tb_pcap_rec(&b, 1, 0, data, 64, 64);
    size_t rec2 = b.len;
    tb_pcap_rec(&b, 2, 0, data, 64, 64);
    tb_put32_at(&b, rec2 + 8, 300000); /* caplen beyond CAP_MAX_CAPLEN */
    char err[256];
    cap_source_t *s = open_bytes(&b, err, sizeof err);
    assert_non_null(s);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), 1);
    assert_int_equal(cap_next(s, &p), MM_EFORMAT);
    assert_non_null(strstr(cap_error(s), "packet 2 (offset 104): captured length 300000"));
    assert_int_equal(cap_next(s, &p), MM_EFORMAT);
    cap_close(s);
    tb_free(&b);
}

static void test_pcap_caplen_above_wirelen_accepted(void **state)
{
    (void)state;
    struct tb b;
    uint8_t data[100];
    fill_pattern(data, sizeof data, 3);
    tb_init(&b, false);
    tb_pcap_hdr(&b, false, 1, 65535);
    tb_pcap_rec(&b, 1, 0, data, 100, 40);
    tb_pcap_rec(&b, 1, 0, data, 0, 0); /* empty record */
    char err[256];
    cap_source_t *s = open_bytes(&b, err, sizeof err);
    assert_non_null(s);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), 1);
    assert_int_equal(p.caplen, 100);
    assert_int_equal(p.wirelen, 40);
    assert_memory_equal(p.data, data, 100);
    assert_int_equal(cap_next(s, &p), 1);
    assert_int_equal(p.caplen, 0);
    assert_int_equal(cap_next(s, &p), MM_EOF);
    struct cap_stats st;
    cap_get_stats(s, &st);
    assert_int_equal(st.snap_truncated, 0);
    cap_close(s);
    tb_free(&b);
}

/* About 5 MB of records of varying size: records straddle many buffer refills. */
static void build_big(struct tb *b, unsigned n)
{
    static uint8_t data[262144];
    tb_init(b, false);
    tb_pcap_hdr(b, true, 1, 262144);
    for (unsigned i = 0; i < n; i++) {
        uint32_t len = (i * 7919u) % 3000u;
        if (i % 1000 == 999)
            len = 262144; /* the largest record we accept */
        fill_pattern(data, len, i);
        tb_pcap_rec(b, i, i, data, len, len);
    }
}

static void check_big(cap_source_t *s, unsigned n)
{
    static uint8_t want[262144];
    struct cap_pkt p;
    for (unsigned i = 0; i < n; i++) {
        int rc = cap_next(s, &p);
        if (rc != 1)
            fail_msg("pkt %u: rc %d %s", i, rc, cap_error(s));
        uint32_t len = (i * 7919u) % 3000u;
        if (i % 1000 == 999)
            len = 262144;
        fill_pattern(want, len, i);
        if (p.caplen != len || memcmp(p.data, want, len) != 0 ||
            p.ts_ns != (uint64_t)i * 1000000001u)
            fail_msg("pkt %u differs (caplen %u want %u)", i, p.caplen, len);
    }
    assert_int_equal(cap_next(s, &p), MM_EOF);
}

static void test_pcap_large_file_and_progress(void **state)
{
    (void)state;
    struct tb b;
    build_big(&b, 3000);
    char *path = tb_write_tmp(b.p, b.len);
    char err[256];
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    assert_non_null(s);
    assert_true(cap_progress(s) >= 0.0 && cap_progress(s) < 0.5);
    check_big(s, 3000);
    assert_true(cap_progress(s) == 1.0);
    assert_string_equal(cap_name(s), path);
    cap_close(s);
    unlink(path);
    free(path);
    tb_free(&b);
}

/* Fork a child that writes the bytes into a pipe; returns the read end. */
static int pipe_from_child(const struct tb *b, pid_t *pid)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    *pid = fork();
    assert_true(*pid >= 0);
    if (*pid == 0) {
        close(fds[0]);
        size_t done = 0;
        while (done < b->len) {
            ssize_t k = write(fds[1], b->p + done, b->len - done);
            if (k <= 0)
                _exit(1);
            done += (size_t)k;
        }
        _exit(0);
    }
    close(fds[1]);
    return fds[0];
}

static void test_pcap_stdin_pipe(void **state)
{
    (void)state;
    struct tb b;
    build_big(&b, 3000);
    pid_t pid;
    int rfd = pipe_from_child(&b, &pid);
    int saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(dup2(rfd, 0), 0);
    close(rfd);

    char err[256];
    cap_source_t *s = cap_open_file("-", err, sizeof err);
    if (s == NULL)
        fail_msg("%s", err);
    assert_string_equal(cap_name(s), "-");
    assert_true(cap_progress(s) < 0.0);
    check_big(s, 3000);
    cap_close(s);

    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    tb_free(&b);
}

static void test_pcap_stdin_truncated_message_says_stdin(void **state)
{
    (void)state;
    struct tb b;
    build_small(&b, true, true);
    b.len -= 5;
    char *path = tb_write_tmp(b.p, b.len);
    assert_non_null(freopen(path, "rb", stdin));
    char err[256];
    cap_source_t *s = cap_open_file("-", err, sizeof err);
    assert_non_null(s);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), 1);
    assert_int_equal(cap_next(s, &p), 1);
    assert_int_equal(cap_next(s, &p), MM_ETRUNC);
    assert_non_null(strstr(cap_error(s), "stdin: packet 3 (offset 117): truncated record: "
                                         "header says 1514 bytes, 1509 present"));
    cap_close(s);
    assert_non_null(freopen("/dev/null", "rb", stdin));
    unlink(path);
    free(path);
    tb_free(&b);
}

static void test_linktype_names(void **state)
{
    (void)state;
    assert_string_equal(cap_linktype_name(1), "EN10MB");
    assert_string_equal(cap_linktype_name(276), "LINUX_SLL2");
    assert_string_equal(cap_linktype_name(101), "RAW");
    assert_string_equal(cap_linktype_name(54321), "LINKTYPE_54321");
    assert_string_equal(cap_linktype_name(-1), "LINKTYPE_-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_byte_orders_and_precisions),
        cmocka_unit_test(test_pcap_header_only_is_clean_eof),
        cmocka_unit_test(test_pcap_open_errors),
        cmocka_unit_test(test_pcap_every_truncation_point),
        cmocka_unit_test(test_pcap_message_format),
        cmocka_unit_test(test_pcap_corrupt_caplen),
        cmocka_unit_test(test_pcap_caplen_above_wirelen_accepted),
        cmocka_unit_test(test_pcap_large_file_and_progress),
        cmocka_unit_test(test_pcap_stdin_pipe),
        cmocka_unit_test(test_pcap_stdin_truncated_message_says_stdin),
        cmocka_unit_test(test_linktype_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
