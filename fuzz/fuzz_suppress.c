/*
 * Fuzz target: the threshold file's suppress lines (src/detect/suppress.c) on arbitrary bytes,
 * through its parse-from-memory entry point, with a known line put in front. The input is
 * copied into an exact-size heap buffer so ASan sees a one-byte over-read.
 *
 * Checked: the parse succeeds (only memory can fail it, and the variables are fixed); lines
 * used and skipped are no more than the lines there are; warnings come with line numbers in
 * order and within the text; the known first line still holds back its alert whatever
 * follows; lookups with gids, sids and addresses taken from the input must not crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "detect/suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KNOWN[] = "suppress gen_id 7, sig_id 7\n";

struct warn_state {
    unsigned last, lines, n;
};

static void on_warn(void *u, unsigned line, const char *why)
{
    struct warn_state *w = u;
    if (line <= w->last || line > w->lines || !why || !why[0])
        abort();
    (void)strlen(why);
    w->last = line;
    w->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t n = sizeof KNOWN - 1 + size;
    char *buf = malloc(n ? n : 1);
    if (!buf)
        abort();
    memcpy(buf, KNOWN, sizeof KNOWN - 1);
    if (size)
        memcpy(buf + sizeof KNOWN - 1, data, size);
    unsigned lines = 1;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n' || buf[i] == '\0';

    static const struct det_var home = {"HOME_NET", "[192.168.0.0/16, 10.0.0.0/8]"};
    static const struct det_parse_opts opts = {.addr_vars = &home, .n_addr_vars = 1};
    struct warn_state w = {0, lines, 0};
    det_suppress_t *s = NULL;
    char err[256] = "";
    int rc = det_suppress_parse(buf, n, &opts, on_warn, &w, &s, err, sizeof err);
    if (rc == MM_ENOMEM) {
        free(buf);
        return 0;
    }
    if (rc || !s)
        abort();
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    if (c.skipped != w.n || (uint64_t)c.entries + c.skipped > lines || c.entries < 1)
        abort();
    uint8_t a[16] = {0}, b[16] = {0};
    memcpy(a, data, size < 16 ? size : 16);
    if (size > 16)
        memcpy(b, data + 16, size - 16 < 16 ? size - 16 : 16);
    if (!det_suppress_match(s, 7, 7, a, b, 4) || !det_suppress_match(s, 7, 7, a, b, 6))
        abort(); /* the first line holds back 7:7 from anywhere */
    uint32_t gid = 1, sid = 0;
    if (size >= 8) {
        memcpy(&gid, data, 4);
        memcpy(&sid, data + 4, 4);
    }
    (void)det_suppress_match(s, gid, sid, a, b, 4);
    (void)det_suppress_match(s, gid, sid, b, a, 6);
    (void)det_suppress_match(s, gid % 8, sid % 4096, a, b, 4);
    det_suppress_free(s);
    free(buf);
    return 0;
}
