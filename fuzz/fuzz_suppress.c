/*
 * Fuzz target: a threshold file (src/detect/suppress.c: suppress, threshold, event_filter and
 * rate_filter lines) on arbitrary bytes, through its parse-from-memory entry point, with a
 * known line put in front. The input is copied into an exact-size heap buffer so ASan sees a
 * one-byte over-read.
 *
 * Checked: the parse succeeds (only memory can fail it, and the variables are fixed); lines
 * used and skipped are no more than the lines there are; each warning names a line of the
 * text, no line twice (a line replaced by a later one is reported after the parse); the known
 * first line still holds back its alert whatever follows; lookups and a run of alerts through
 * the filters (a counting table at a tiny memcap, times and addresses from the input) must
 * not crash, and the verdicts are ones the file can give.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "detect/suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char KNOWN[] = "suppress gen_id 7, sig_id 7\n";

struct warn_state {
    unsigned lines, n;
    uint8_t *seen; /* a bit per line */
};

static void on_warn(void *u, unsigned line, const char *why)
{
    struct warn_state *w = u;
    if (line == 0 || line > w->lines || !why || !why[0])
        abort();
    if (w->seen[line / 8] & (1u << (line % 8)))
        abort(); /* a line warned about twice */
    w->seen[line / 8] |= (uint8_t)(1u << (line % 8));
    (void)strlen(why);
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
    struct warn_state w = {lines, 0, calloc(lines / 8 + 1, 1)};
    if (!w.seen)
        abort();
    det_suppress_t *s = NULL;
    char err[256] = "";
    int rc = det_suppress_parse(buf, n, &opts, on_warn, &w, &s, err, sizeof err);
    free(w.seen);
    if (rc == MM_ENOMEM) {
        free(buf);
        return 0;
    }
    if (rc || !s)
        abort();
    struct det_suppress_counts c;
    det_suppress_counts(s, &c);
    if (c.skipped != w.n || c.entries < 1 ||
        (uint64_t)c.entries + c.thresholds + c.rate_filters + c.skipped > lines)
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
    (void)det_suppress_overrides(s, gid % 8, sid % 4096);
    /* A run of alerts through the filters: gid:sid, addresses and time steps from the input. */
    det_suppress_set_memcap(s, 4096);
    if (det_suppress_check(s, 7, 7, false, a, b, 4, 0) != DET_SUP_SUPPRESSED)
        abort();
    uint64_t ts = 0;
    for (size_t i = 0; i + 4 <= size && i < 4096; i += 4) {
        uint8_t x[16] = {0}, y[16] = {0};
        x[0] = data[i];
        y[0] = data[i + 1];
        uint32_t g = data[i + 2] % 3, id = data[i + 3] % 16;
        ts += (uint64_t)(data[i] & 0x0f) * 250000000ull;
        enum det_suppress_verdict v =
            det_suppress_check(s, g, id, (data[i + 1] & 1) != 0, x, y, 4, ts);
        if (v != DET_SUP_WRITE && v != DET_SUP_SUPPRESSED && v != DET_SUP_THRESHOLDED &&
            v != DET_SUP_RATE_FILTERED)
            abort();
    }
    det_suppress_free(s);
    free(buf);
    return 0;
}
