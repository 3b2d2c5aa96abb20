/*
 * EVE output sink: appends newline-terminated lines (one JSON event each) to a file or to
 * stdout through a 256 KiB buffer, writing with write(2) when the buffer fills, on
 * out_sink_flush() and on close.
 *
 * Output problems never stop the monitor: a failed write(2) is counted, its text is kept (the
 * first one only, for the stats and the shutdown message) and the lines that could not be
 * written are dropped and counted. A line cut short by a failed write is terminated with '\n'
 * before the next successful write so that every later line is intact.
 *
 * Thread model: one writer thread owns a sink; no function here may be called concurrently
 * on the same sink. The SIGHUP handler must not call out_sink_reopen() itself: it sets a
 * flag that the writer thread checks.
 *
 * The process should ignore SIGPIPE (the CLI does) so that a closed stdout pipe becomes a
 * counted EPIPE write error instead of killing the process.
 */
#ifndef MM_OUTPUT_SINK_H
#define MM_OUTPUT_SINK_H

#include <stddef.h>
#include <stdint.h>

/* Size of the sink's write buffer; larger lines are written directly. */
#define OUT_SINK_BUF_SIZE (256u * 1024u)

typedef struct out_sink out_sink_t;

struct out_sink_stats {
    uint64_t lines;         /* lines fully handed to the kernel */
    uint64_t bytes;         /* bytes handed to the kernel, newlines included */
    uint64_t write_errors;  /* failed write(2) calls, plus flushes while the file was not open */
    uint64_t dropped_lines; /* lines lost to those errors */
};

/*
 * Open path for appending ("-" = stdout). A file is created with mode 0640 if needed and
 * opened O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC. Returns NULL on failure with a message in err
 * (errlen bytes, may be 0). The sink keeps its own copy of path.
 */
out_sink_t *out_sink_open(const char *path, char *err, size_t errlen);

/*
 * Append line[0..len) and a '\n'. line must not contain '\n' itself (the JSON builder never
 * produces one). Returns 0, or MM_EIO when a write error occurred during this call (the
 * error is already counted; lines from before may have been dropped, this line is kept
 * unless it was itself being written).
 */
int out_sink_write(out_sink_t *s, const char *line, size_t len);

/*
 * Write everything buffered. If the file could not be reopened earlier, try to open it again
 * first. Returns 0 or MM_EIO (counted as described above; the buffer is empty afterwards
 * either way).
 */
int out_sink_flush(out_sink_t *s);

/*
 * Flush, close and open the same path again: after log rotation renamed the file, new lines
 * go to a new file at the original path. For stdout this only flushes. Returns 0 or MM_EIO;
 * on failure the sink stays usable, buffering and retrying the open on each flush (lines
 * that cannot be written meanwhile are dropped and counted).
 */
int out_sink_reopen(out_sink_t *s);

/* Copy the counters into *st. */
void out_sink_stats(const out_sink_t *s, struct out_sink_stats *st);

/* Text of the first write or open error since out_sink_open, or NULL if there was none. */
const char *out_sink_first_error(const out_sink_t *s);

/*
 * Flush, close the file (never stdout) and free the sink. NULL is ignored. Errors of this
 * last flush are not reported: call out_sink_flush() and out_sink_stats() first when the
 * final counters matter.
 */
void out_sink_close(out_sink_t *s);

#endif
