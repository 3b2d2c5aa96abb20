/*
 * EVE output sink; see sink.h for the contract.
 *
 * Lines are gathered in one buffer and leave it with writev(2) so that the newline that
 * repairs a torn line and the data go out in one call. Partial writes (signals, non-blocking
 * stdout, pipes) are resumed; EINTR is retried; EAGAIN waits in poll(2) for at most one second
 * before it counts as an error, so a stuck reader cannot stall the writer thread forever.
 */
#include "sink.h"

#include "core/mm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define SINK_OPEN_FLAGS (O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC)
#define SINK_MODE 0640
#define SINK_EAGAIN_WAIT_MS 1000

struct out_sink {
    int fd;             /* -1 while a failed (re)open is pending */
    bool is_stdout;     /* path "-": never closed or reopened */
    bool torn;          /* the file ends in a partial line left by a failed write */
    char *path;         /* owned copy */
    char *buf;          /* OUT_SINK_BUF_SIZE bytes */
    size_t len;         /* bytes buffered */
    uint64_t buf_lines; /* lines buffered */
    struct out_sink_stats st;
    char first_err[256]; /* "" until the first error */
};

static const char *errno_text(int e, char *tmp, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, tmp, n); /* GNU variant: returns the text */
#else
    return strerror_r(e, tmp, n) == 0 ? tmp : "unknown error";
#endif
}

static void sink_record_error(struct out_sink *s, const char *what, int e)
{
    if (s->first_err[0])
        return;
    char tmp[128];
    snprintf(s->first_err, sizeof s->first_err, "%s %s: %s", what,
             s->is_stdout ? "stdout" : s->path, errno_text(e, tmp, sizeof tmp));
}

/* Open s->path; 0 or an errno value. */
static int sink_open_fd(struct out_sink *s)
{
    int fd;
    do {
        fd = open(s->path, SINK_OPEN_FLAGS, SINK_MODE);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return errno;
    s->fd = fd;
    return 0;
}

/* Write iov[0..cnt) completely; 0 or an errno value. *done = bytes written either way. */
static int write_fully(int fd, struct iovec *iov, int cnt, size_t *done)
{
    *done = 0;
    while (cnt > 0) {
        ssize_t r = writev(fd, iov, cnt);
        if (r < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            if (e == EAGAIN || e == EWOULDBLOCK) {
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                int pr = poll(&pfd, 1, SINK_EAGAIN_WAIT_MS);
                if (pr > 0 || (pr < 0 && errno == EINTR))
                    continue;
                return pr == 0 ? ETIMEDOUT : errno;
            }
            return e;
        }
        if (r == 0)
            return EIO; /* no progress and no error: do not spin */
        size_t w = (size_t)r;
        *done += w;
        while (cnt > 0 && w >= iov->iov_len) {
            w -= iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= w;
        }
    }
    return 0;
}

static size_t count_newlines(const char *p, size_t n)
{
    size_t c = 0;
    if (n == 0)
        return 0; /* p may be NULL */
    const char *end = p + n;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

static inline struct iovec iov_of(const char *p, size_t n)
{
    /* writev takes non-const pointers but only reads them. */
    return (struct iovec){.iov_base = (void *)(uintptr_t)p, .iov_len = n};
}

/*
 * Write a[0..an) then b[0..bn), which together hold nlines complete lines, and account for
 * the outcome. Returns 0 or MM_EIO.
 */
static int sink_emit(struct out_sink *s, const char *a, size_t an, const char *b, size_t bn,
                     uint64_t nlines)
{
    if (s->fd < 0) {
        int e = sink_open_fd(s);
        if (e) {
            s->st.write_errors++;
            s->st.dropped_lines += nlines;
            sink_record_error(s, "open", e);
            return MM_EIO;
        }
    }
    struct iovec iov[3];
    int cnt = 0;
    size_t lead = 0;
    if (s->torn) {
        iov[cnt++] = iov_of("\n", 1);
        lead = 1;
    }
    iov[cnt++] = iov_of(a, an);
    if (bn)
        iov[cnt++] = iov_of(b, bn);

    size_t done;
    int e = write_fully(s->fd, iov, cnt, &done);
    s->st.bytes += done;
    if (MM_LIKELY(e == 0)) {
        s->torn = false;
        s->st.lines += nlines;
        return 0;
    }

    s->st.write_errors++;
    sink_record_error(s, "write", e);
    if (done < lead) { /* not even the repairing newline went out */
        s->st.dropped_lines += nlines;
        return MM_EIO;
    }
    size_t data_done = done - lead;
    size_t in_a = MM_MIN(data_done, an);
    size_t in_b = data_done - in_a;
    uint64_t ok = count_newlines(a, in_a) + count_newlines(b, in_b);
    s->st.lines += ok;
    s->st.dropped_lines += nlines - ok;
    if (data_done > 0) {
        char last = in_b ? b[in_b - 1] : a[in_a - 1];
        s->torn = last != '\n';
    } else {
        s->torn = false; /* the repairing newline was written */
    }
    return MM_EIO;
}

out_sink_t *out_sink_open(const char *path, char *err, size_t errlen)
{
    struct out_sink *s = calloc(1, sizeof *s);
    if (!s)
        goto nomem;
    s->fd = -1;
    s->path = strdup(path);
    s->buf = malloc(OUT_SINK_BUF_SIZE);
    if (!s->path || !s->buf)
        goto nomem;
    if (strcmp(path, "-") == 0) {
        s->is_stdout = true;
        s->fd = STDOUT_FILENO;
        return s;
    }
    int e = sink_open_fd(s);
    if (e) {
        char tmp[128];
        if (errlen)
            snprintf(err, errlen, "cannot open EVE output %s: %s", path,
                     errno_text(e, tmp, sizeof tmp));
        goto fail;
    }
    return s;

nomem:
    if (errlen)
        snprintf(err, errlen, "cannot open EVE output %s: out of memory", path);
fail:
    if (s) {
        free(s->buf);
        free(s->path);
        free(s);
    }
    return NULL;
}

int out_sink_flush(out_sink_t *s)
{
    if (s->len == 0)
        return 0;
    int rc = sink_emit(s, s->buf, s->len, NULL, 0, s->buf_lines);
    s->len = 0;
    s->buf_lines = 0;
    return rc;
}

int out_sink_write(out_sink_t *s, const char *line, size_t len)
{
    int rc = 0;
    if (MM_UNLIKELY(len >= OUT_SINK_BUF_SIZE - s->len))
        rc = out_sink_flush(s);
    if (MM_LIKELY(len < OUT_SINK_BUF_SIZE - s->len)) {
        memcpy(s->buf + s->len, line, len);
        s->len += len;
        s->buf[s->len++] = '\n';
        s->buf_lines++;
        return rc;
    }
    /* A line longer than the whole buffer: the buffer is empty now, write it directly. */
    int rc2 = sink_emit(s, line, len, "\n", 1, 1);
    return rc ? rc : rc2;
}

int out_sink_reopen(out_sink_t *s)
{
    int rc = out_sink_flush(s);
    if (s->is_stdout)
        return rc;
    if (s->fd >= 0) {
        /* close() can report a delayed write error (NFS); the fd is gone either way. */
        if (close(s->fd) != 0 && errno != EINTR)
            sink_record_error(s, "close", errno);
        s->fd = -1;
    }
    /* A new file starts clean: a torn line belonged to the old one. */
    s->torn = false;
    int e = sink_open_fd(s);
    if (e) {
        sink_record_error(s, "reopen", e);
        return MM_EIO;
    }
    return rc;
}

void out_sink_stats(const out_sink_t *s, struct out_sink_stats *st)
{
    *st = s->st;
}

const char *out_sink_first_error(const out_sink_t *s)
{
    return s->first_err[0] ? s->first_err : NULL;
}

void out_sink_close(out_sink_t *s)
{
    if (!s)
        return;
    out_sink_flush(s);
    if (!s->is_stdout && s->fd >= 0)
        close(s->fd);
    free(s->buf);
    free(s->path);
    free(s);
}
