/*
 * Line splitting; see linebuf.h. The buffer holds at most max_line_bytes + 1 bytes (the
 * extra one for a CR that may precede the LF in the next chunk).
 */
#include "linebuf.h"

#include "app_parser.h"
#include "textproto.h"

#include <string.h>

static bool append(struct app_session *s, struct app_linebuf *lb, const uint8_t *p, size_t n,
                   uint32_t max)
{
    if (!tp_grow(s, &lb->buf, &lb->cap, (size_t)lb->len + n, 256, (size_t)max + 1))
        return false;
    memcpy(lb->buf + lb->len, p, n);
    lb->len += (uint32_t)n;
    return true;
}

/* Hand out one complete line of clen bytes at p (the LF already removed). */
static int give(const uint8_t *p, size_t clen, uint32_t max, app_line_cb cb, void *user)
{
    bool crlf = clen > 0 && p[clen - 1] == '\r';
    if (crlf)
        clen--;
    bool cut = clen > max;
    return cb(user, p, cut ? max : clen, crlf && !cut, cut);
}

long app_linebuf_feed(struct app_session *s, struct app_linebuf *lb, uint32_t max,
                      const uint8_t *data, size_t len, app_line_cb cb, void *user)
{
    size_t i = 0;
    if (max == 0)
        max = 1;
    while (i < len) {
        const uint8_t *nl = memchr(data + i, '\n', len - i);
        if (lb->skipping) {
            if (!nl)
                return (long)len;
            i = (size_t)(nl - data) + 1;
            lb->skipping = false;
            continue;
        }
        if (!nl) {
            /* A partial line: keep it, or hand it out cut once it passes the limit. */
            size_t n = len - i;
            size_t room = (size_t)max + 1 - lb->len;
            if (n <= room) {
                if (!append(s, lb, data + i, n, max)) {
                    app_linebuf_reset(lb);
                    return -1;
                }
                return (long)len;
            }
            if (!append(s, lb, data + i, room, max)) {
                app_linebuf_reset(lb);
                return -1;
            }
            i += room;
            int rc = cb(user, lb->buf, max, false, true);
            lb->len = 0;
            lb->skipping = true;
            if (rc)
                return (long)i;
            continue;
        }
        size_t end = (size_t)(nl - data);
        int rc;
        if (lb->len == 0) {
            rc = give(data + i, end - i, max, cb, user);
        } else {
            size_t n = end - i;
            size_t room = (size_t)max + 1 - lb->len;
            if (n > room)
                n = room; /* the line is cut anyway: its tail is not needed */
            if (!append(s, lb, data + i, n, max)) {
                app_linebuf_reset(lb);
                return -1;
            }
            bool over = end - i > room;
            if (over) {
                rc = cb(user, lb->buf, max, false, true);
            } else {
                rc = give(lb->buf, lb->len, max, cb, user);
            }
            lb->len = 0;
        }
        i = end + 1;
        if (rc)
            return (long)i;
    }
    return (long)len;
}

int app_linebuf_flush(struct app_linebuf *lb, app_line_cb cb, void *user)
{
    if (lb->len == 0)
        return 0;
    size_t n = lb->len;
    lb->len = 0;
    return cb(user, lb->buf, n, false, false);
}

void app_linebuf_reset(struct app_linebuf *lb)
{
    lb->len = 0;
    lb->skipping = false;
}

void app_linebuf_lost(struct app_linebuf *lb)
{
    app_linebuf_reset(lb);
    lb->skipping = true;
}

void app_linebuf_wipe(struct app_linebuf *lb)
{
    if (lb->buf)
        explicit_bzero(lb->buf, lb->cap);
}

void app_linebuf_free(struct app_session *s, struct app_linebuf *lb)
{
    if (lb->buf) {
        explicit_bzero(lb->buf, lb->cap);
        app_free(s, lb->buf, lb->cap);
    }
    memset(lb, 0, sizeof *lb);
}
