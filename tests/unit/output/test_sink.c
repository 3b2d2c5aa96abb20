/* Tests for src/output/sink.c: buffered EVE line output, errors, reopen. */
#include "output/sink.h"

#include "core/mm.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- helpers -------------------------------------------------------------------------- */

struct tmp {
    char dir[256];
    char path[320]; /* dir/eve.json */
};

static int setup_tmp(void **state)
{
    struct tmp *t = calloc(1, sizeof *t);
    if (!t)
        return -1;
    const char *base = getenv("TMPDIR");
    snprintf(t->dir, sizeof t->dir, "%s/mm_test_sink_XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(t->dir)) {
        free(t);
        return -1;
    }
    snprintf(t->path, sizeof t->path, "%s/eve.json", t->dir);
    *state = t;
    return 0;
}

static int teardown_tmp(void **state)
{
    struct tmp *t = *state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t->dir);
    int rc = system(cmd);
    free(t);
    return rc == 0 ? 0 : -1;
}

/* Whole file into a malloc'd NUL-terminated buffer; *len = its size. NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Deterministic test line i (no newline) of roughly `width` bytes. */
static size_t make_line(char *out, size_t outlen, unsigned i, size_t width)
{
    int n = snprintf(out, outlen, "{\"event_type\":\"flow\",\"n\":%u,\"pad\":\"", i);
    size_t len = (size_t)n;
    while (len + 2 < width && len + 3 < outlen) {
        out[len] = (char)('a' + (i + len) % 26);
        len++;
    }
    out[len++] = '"';
    out[len++] = '}';
    out[len] = '\0';
    return len;
}

/* All lines first..first+count-1 as the file should contain them. */
static char *expected_lines(unsigned first, unsigned count, size_t width, size_t *len)
{
    size_t cap = (size_t)count * (width + 64) + 1, n = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (unsigned i = first; i < first + count; i++) {
        n += make_line(buf + n, cap - n, i, width);
        buf[n++] = '\n';
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void write_lines(out_sink_t *s, unsigned first, unsigned count, size_t width)
{
    char line[2048];
    for (unsigned i = first; i < first + count; i++) {
        size_t n = make_line(line, sizeof line, i, width);
        assert_int_equal(out_sink_write(s, line, n), 0);
    }
}

static void assert_file_is(const char *path, const char *want, size_t want_len)
{
    size_t len;
    char *got = slurp(path, &len);
    assert_non_null(got);
    if (len != want_len || memcmp(got, want, len) != 0)
        fail_msg("%s: %zu bytes differ from the expected %zu", path, len, want_len);
    free(got);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_out_sink_write_flush_append(void **state)
{
    struct tmp *t = *state;
    char err[256] = "";
    mode_t old = umask(022);
    out_sink_t *s = out_sink_open(t->path, err, sizeof err);
    umask(old);
    assert_non_null(s);
    struct stat st;
    assert_int_equal(stat(t->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);

    assert_int_equal(out_sink_write(s, "{\"a\":1}", 7), 0);
    assert_int_equal(out_sink_write(s, "{\"b\":2}", 7), 0);
    assert_int_equal(out_sink_write(s, "", 0), 0);
    assert_int_equal(file_size(t->path), 0); /* still buffered */
    assert_int_equal(out_sink_flush(s), 0);
    assert_int_equal(out_sink_flush(s), 0); /* nothing left: no-op */

    struct out_sink_stats ss;
    out_sink_stats(s, &ss);
    assert_int_equal(ss.lines, 3);
    assert_int_equal(ss.bytes, 17);
    assert_int_equal(ss.write_errors, 0);
    assert_int_equal(ss.dropped_lines, 0);
    assert_null(out_sink_first_error(s));
    out_sink_close(s);

    /* A second open appends. */
    s = out_sink_open(t->path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(out_sink_write(s, "{\"c\":3}", 7), 0);
    out_sink_close(s); /* close flushes */
    const char want[] = "{\"a\":1}\n{\"b\":2}\n\n{\"c\":3}\n";
    assert_file_is(t->path, want, sizeof want - 1);
}

static void test_out_sink_buffer_fills_and_huge_line(void **state)
{
    struct tmp *t = *state;
    char err[256];
    out_sink_t *s = out_sink_open(t->path, err, sizeof err);
    assert_non_null(s);

    /* 3000 lines of 200 bytes: more than two buffers' worth, so two full buffers went out. */
    write_lines(s, 0, 3000, 199);
    off_t before_flush = file_size(t->path);
    assert_true(before_flush >= (off_t)(OUT_SINK_BUF_SIZE - 200) * 2);
    assert_true(before_flush <= (off_t)(OUT_SINK_BUF_SIZE * 2));

    /* A line larger than the buffer goes out directly, after what was buffered. */
    size_t huge_len = OUT_SINK_BUF_SIZE + 12345;
    char *huge = malloc(huge_len);
    assert_non_null(huge);
    for (size_t i = 0; i < huge_len; i++)
        huge[i] = (char)('A' + i % 26);
    assert_int_equal(out_sink_write(s, huge, huge_len), 0);
    /* A line that exactly fills the buffer with its newline stays buffered. */
    size_t fill_len = OUT_SINK_BUF_SIZE - 1;
    assert_int_equal(out_sink_write(s, huge, fill_len), 0);
    write_lines(s, 3000, 10, 199);

    struct out_sink_stats ss;
    assert_int_equal(out_sink_flush(s), 0);
    out_sink_stats(s, &ss);
    assert_int_equal(ss.lines, 3012);
    out_sink_close(s);

    size_t a_len, b_len;
    char *a = expected_lines(0, 3000, 199, &a_len);
    char *b = expected_lines(3000, 10, 199, &b_len);
    size_t want_len = a_len + huge_len + 1 + fill_len + 1 + b_len;
    assert_int_equal(ss.bytes, want_len);
    char *want = malloc(want_len);
    assert_non_null(want);
    char *p = want;
    memcpy(p, a, a_len), p += a_len;
    memcpy(p, huge, huge_len), p += huge_len;
    *p++ = '\n';
    memcpy(p, huge, fill_len), p += fill_len;
    *p++ = '\n';
    memcpy(p, b, b_len);
    assert_file_is(t->path, want, want_len);
    free(want);
    free(a);
    free(b);
    free(huge);
}

static void test_out_sink_reopen_after_rotation(void **state)
{
    struct tmp *t = *state;
    char err[256], rotated[400];
    snprintf(rotated, sizeof rotated, "%s.1", t->path);
    out_sink_t *s = out_sink_open(t->path, err, sizeof err);
    assert_non_null(s);
    write_lines(s, 0, 3, 80);
    assert_int_equal(out_sink_flush(s), 0);
    /* logrotate renames the file; lines written until the reopen still go to the old one */
    assert_int_equal(rename(t->path, rotated), 0);
    write_lines(s, 3, 2, 80);
    assert_int_equal(out_sink_reopen(s), 0);
    write_lines(s, 5, 4, 80);
    out_sink_close(s);

    size_t len;
    char *want = expected_lines(0, 5, 80, &len);
    assert_file_is(rotated, want, len);
    free(want);
    want = expected_lines(5, 4, 80, &len);
    assert_file_is(t->path, want, len);
    free(want);
}

static void test_out_sink_reopen_failure_retries(void **state)
{
    struct tmp *t = *state;
    char sub[300], path[400], moved[300], err[256];
    snprintf(sub, sizeof sub, "%s/logs", t->dir);
    snprintf(moved, sizeof moved, "%s/logs.old", t->dir);
    snprintf(path, sizeof path, "%s/eve.json", sub);
    assert_int_equal(mkdir(sub, 0700), 0);
    out_sink_t *s = out_sink_open(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(rename(sub, moved), 0);
    assert_int_equal(out_sink_reopen(s), MM_EIO); /* directory is gone */
    assert_non_null(out_sink_first_error(s));
    assert_non_null(strstr(out_sink_first_error(s), "reopen"));

    write_lines(s, 0, 2, 50);
    assert_int_equal(out_sink_flush(s), MM_EIO); /* open retried, still failing */
    struct out_sink_stats ss;
    out_sink_stats(s, &ss);
    assert_int_equal(ss.write_errors, 1);
    assert_int_equal(ss.dropped_lines, 2);

    assert_int_equal(mkdir(sub, 0700), 0);
    write_lines(s, 2, 3, 50);
    assert_int_equal(out_sink_flush(s), 0); /* the retry succeeds now */
    out_sink_stats(s, &ss);
    assert_int_equal(ss.lines, 3);
    out_sink_close(s);
    size_t len;
    char *want = expected_lines(2, 3, 50, &len);
    assert_file_is(path, want, len);
    free(want);
}

static void test_out_sink_open_failure(void **state)
{
    struct tmp *t = *state;
    char path[400], err[256] = "";
    snprintf(path, sizeof path, "%s/missing/eve.json", t->dir);
    assert_null(out_sink_open(path, err, sizeof err));
    assert_non_null(strstr(err, path));
    assert_null(out_sink_open(path, NULL, 0)); /* no error buffer: still safe */
}

static void test_out_sink_write_error_counted(void **state)
{
    (void)state;
    char err[256];
    out_sink_t *s = out_sink_open("/dev/full", err, sizeof err);
    if (!s)
        skip(); /* not Linux */
    write_lines(s, 0, 10, 100);
    assert_int_equal(out_sink_flush(s), MM_EIO);
    struct out_sink_stats ss;
    out_sink_stats(s, &ss);
    assert_int_equal(ss.lines, 0);
    assert_int_equal(ss.write_errors, 1);
    assert_int_equal(ss.dropped_lines, 10);
    const char *first = out_sink_first_error(s);
    assert_non_null(first);
    assert_non_null(strstr(first, "/dev/full"));
    char first_copy[256];
    snprintf(first_copy, sizeof first_copy, "%s", first);

    /* later errors are counted but the first text is kept */
    write_lines(s, 10, 1, 100);
    assert_int_equal(out_sink_flush(s), MM_EIO);
    out_sink_stats(s, &ss);
    assert_int_equal(ss.write_errors, 2);
    assert_int_equal(ss.dropped_lines, 11);
    assert_string_equal(out_sink_first_error(s), first_copy);
    out_sink_close(s);
}

/*
 * A write cut short by RLIMIT_FSIZE leaves a partial line; the counters must say how many
 * lines made it, and the next successful write must start on a fresh line.
 */
static void test_out_sink_torn_line_repaired(void **state)
{
    struct tmp *t = *state;
    char err[256];
    out_sink_t *s = out_sink_open(t->path, err, sizeof err);
    assert_non_null(s);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_xfsz)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 1000;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

    write_lines(s, 0, 15, 149); /* 150 bytes per line: 6 whole lines + 100 bytes fit */
    int rc = out_sink_flush(s);

    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_xfsz);
    assert_int_equal(rc, MM_EIO);

    struct out_sink_stats ss;
    out_sink_stats(s, &ss);
    assert_int_equal(ss.bytes, 1000);
    assert_int_equal(ss.lines, 6);
    assert_int_equal(ss.dropped_lines, 9);
    assert_int_equal(ss.write_errors, 1);

    write_lines(s, 100, 2, 149);
    assert_int_equal(out_sink_flush(s), 0);
    out_sink_stats(s, &ss);
    assert_int_equal(ss.lines, 8);
    assert_int_equal(ss.bytes, 1000 + 1 + 300);
    out_sink_close(s);

    size_t len, good_len, tail_len;
    char *got = slurp(t->path, &len);
    char *good = expected_lines(0, 7, 149, &good_len); /* lines 0..5 whole, 6 cut at 100 */
    char *tail = expected_lines(100, 2, 149, &tail_len);
    assert_non_null(got);
    assert_int_equal(len, 1000 + 1 + tail_len);
    assert_memory_equal(got, good, 1000);
    assert_int_equal(got[1000], '\n');
    assert_memory_equal(got + 1001, tail, tail_len);
    free(got);
    free(good);
    free(tail);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* Child: read the FIFO slowly into out_path, then exit. */
static void slow_reader(const char *fifo, const char *out_path)
{
    int in = open(fifo, O_RDONLY);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0)
        _exit(2);
    char buf[3000];
    unsigned rounds = 0;
    for (;;) {
        ssize_t r = read(in, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        if (write(out, buf, (size_t)r) != r)
            _exit(3);
        if (++rounds % 8 == 0)
            usleep(200);
    }
    _exit(close(out) == 0 ? 0 : 4);
}

/*
 * Through a FIFO with a slow reader, while SIGALRM (without SA_RESTART) fires every 100 us:
 * writes block, are interrupted (EINTR) and return short counts; the output must still be
 * complete and in order.
 */
static void test_out_sink_pipe_partial_writes(void **state)
{
    struct tmp *t = *state;
    char fifo[400], out_path[400], err[256];
    snprintf(fifo, sizeof fifo, "%s/fifo", t->dir);
    snprintf(out_path, sizeof out_path, "%s/received", t->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);

    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        slow_reader(fifo, out_path);

    out_sink_t *s = out_sink_open(fifo, err, sizeof err); /* blocks until the reader opens */
    assert_non_null(s);

    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: blocked writes return early */
    assert_int_equal(sigaction(SIGALRM, &sa, &old_sa), 0);
    struct itimerval it = {.it_interval = {0, 100}, .it_value = {0, 100}};
    struct itimerval off = {{0, 0}, {0, 0}};
    alarms = 0;
    assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);

    write_lines(s, 0, 12000, 300);
    assert_int_equal(out_sink_flush(s), 0);

    setitimer(ITIMER_REAL, &off, NULL);
    sigaction(SIGALRM, &old_sa, NULL);

    struct out_sink_stats ss;
    out_sink_stats(s, &ss);
    assert_int_equal(ss.lines, 12000);
    assert_int_equal(ss.write_errors, 0);
    out_sink_close(s);

    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(alarms > 0);

    size_t len;
    char *want = expected_lines(0, 12000, 300, &len);
    assert_int_equal(ss.bytes, len);
    assert_file_is(out_path, want, len);
    free(want);
}

/* A reader that went away: EPIPE is counted (SIGPIPE ignored, as the CLI does). */
static void test_out_sink_broken_pipe(void **state)
{
    struct tmp *t = *state;
    char fifo[400], err[256];
    snprintf(fifo, sizeof fifo, "%s/fifo2", t->dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(fifo, O_RDONLY);
        _exit(fd >= 0 ? 0 : 1);
    }
    out_sink_t *s = out_sink_open(fifo, err, sizeof err);
    assert_non_null(s);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);

    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    write_lines(s, 0, 5, 60);
    assert_int_equal(out_sink_flush(s), MM_EIO);
    signal(SIGPIPE, old_pipe);

    struct out_sink_stats ss;
    out_sink_stats(s, &ss);
    assert_int_equal(ss.write_errors, 1);
    assert_int_equal(ss.dropped_lines, 5);
    assert_non_null(out_sink_first_error(s));
    out_sink_close(s);
}

static void test_out_sink_stdout(void **state)
{
    (void)state;
    char err[64];
    out_sink_t *s = out_sink_open("-", err, sizeof err);
    assert_non_null(s);
    assert_int_equal(out_sink_flush(s), 0);
    assert_int_equal(out_sink_reopen(s), 0); /* stdout: flush only */
    out_sink_close(s);                       /* must not close fd 1 */
    assert_true(fcntl(STDOUT_FILENO, F_GETFD) != -1);
    out_sink_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_out_sink_write_flush_append, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_out_sink_buffer_fills_and_huge_line, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_out_sink_reopen_after_rotation, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_out_sink_reopen_failure_retries, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_out_sink_open_failure, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_out_sink_write_error_counted),
        cmocka_unit_test_setup_teardown(test_out_sink_torn_line_repaired, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_out_sink_pipe_partial_writes, setup_tmp,
                                        teardown_tmp),
        cmocka_unit_test_setup_teardown(test_out_sink_broken_pipe, setup_tmp, teardown_tmp),
        cmocka_unit_test(test_out_sink_stdout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
