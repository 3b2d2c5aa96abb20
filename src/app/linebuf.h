/*
 * Line splitting for line-based protocols (SMTP, POP3, IMAP, FTP, HTTP headers): bytes go
 * in in chunks of any size, whole lines come out. A line lying entirely inside the chunk is
 * handed out without a copy; only a line split across chunks is buffered, and a line longer
 * than the limit is handed out cut (flagged) and the rest of it skipped up to its LF.
 */
#ifndef MM_APP_LINEBUF_H
#define MM_APP_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app_session;

struct app_linebuf {
    uint8_t *buf;      /* partial line carried between chunks (app_alloc'ed) */
    uint32_t len, cap; /* bytes held / allocated */
    bool skipping;     /* inside a line already cut at the limit: drop up to the LF */
};

/*
 * A complete line without its line end (the LF and a CR before it are removed; `crlf` says
 * whether the end was CRLF; always false for a cut line). `cut`: the line was longer than max_line_bytes and only the
 * first max_line_bytes bytes are given. Return 0 to go on, non-zero to stop after this
 * line (e.g. the protocol leaves line mode): app_linebuf_feed then returns at once.
 */
typedef int (*app_line_cb)(void *user, const uint8_t *line, size_t len, bool crlf, bool cut);

/*
 * Split data[0..len) into lines. Returns the number of bytes consumed: len, or fewer when the
 * callback asked to stop (the remaining bytes belong to the caller). Bytes after the last LF
 * are kept for the next call (up to max_line_bytes; beyond, the line is cut). When memory for
 * the partial line is refused, the partial line is dropped and -1 is returned (the caller
 * stops parsing the flow).
 */
long app_linebuf_feed(struct app_session *s, struct app_linebuf *lb, uint32_t max_line_bytes,
                      const uint8_t *data, size_t len, app_line_cb cb, void *user);

/* Bytes of a partial line held (e.g. to flush an unterminated last line at end of stream). */
static inline size_t app_linebuf_pending(const struct app_linebuf *lb)
{
    return lb->len;
}

/* Hand out the partial line held, if any, as a final line (crlf false), then empty. */
int app_linebuf_flush(struct app_linebuf *lb, app_line_cb cb, void *user);

/* Forget any partial line (after a gap) without freeing. */
void app_linebuf_reset(struct app_linebuf *lb);

/* A gap: the line under way lost its start, so forget it and skip up to the next LF. */
void app_linebuf_lost(struct app_linebuf *lb);

/* Wipe the whole buffer, keeping it: a line assembled there may have held a password. Call
 * it from the line callback (after the line) or at the end, when no partial line is held. */
void app_linebuf_wipe(struct app_linebuf *lb);

/* Wipe (explicit_bzero: the buffer may have held a password) and free. */
void app_linebuf_free(struct app_session *s, struct app_linebuf *lb);

#endif
