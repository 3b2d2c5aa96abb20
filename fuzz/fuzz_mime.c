/*
 * Fuzz target: the MIME parser (src/app/mime.c) and file records (file.c) directly through
 * mime_new on an SMTP session. Input: byte 0 picks limits, byte 1 the chunk size (1..64) of
 * a chunked run, byte 2 whether the message ends truncated; the rest is the message.
 *
 * Checked: records serialise and keep their invariants (fuzz_app_driver.c); the summary
 * strings and counts are bounded; all memory is returned; the chunked run gives exactly the
 * records of the run with the whole message in one call.
 */
#include <stdlib.h>
#include <string.h>

#include "app/mime.h"
#include "app/smtp.h"
#include "fuzz_app_driver.h"

static struct fad run(const uint8_t *cfgb, const uint8_t *msg, size_t n, size_t chunk,
                      int truncated)
{
    struct fad z;
    fad_init(&z, APP_PROTO_SMTP, FAD_FRAME_OP_LEN);
    uint8_t v = cfgb[0];
    if (v & 1)
        z.cfg.max_line_bytes = 8 + (v >> 3);
    if (v & 2)
        z.cfg.mime_max_depth = 1 + (v >> 6);
    if (v & 4)
        z.cfg.mime_max_parts = 3;
    if (v & 8)
        z.cfg.mime_max_header_bytes = 64 + (v >> 4);
    struct app_session *s = fad_begin(&z);
    struct mime_parser *m = mime_new(s, APP_PROTO_SMTP);
    if (!m)
        abort();
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        uint8_t *b = fad_copy(msg + i, k);
        mime_feed(m, 0, b, k);
        free(b);
    }
    mime_end(m, 0, truncated);
    const struct mime_email *e = mime_email(m);
    if (e->n_to > MIME_MAX_ADDRS || e->n_cc > MIME_MAX_ADDRS || e->n_attachments > 32)
        abort();
    /* the summary as a record of its own: serialised, checked and hashed like the others */
    struct smtp_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.email = e;
    tx.status = mime_status(m);
    fad_record(&z, NULL, 0, 0, APP_REC_SMTP, &tx);
    mime_free(m);
    fad_finish(&z);
    return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t chunk = 1 + data[1] % 64;
    int truncated = data[2] & 1;
    struct fad a = run(data, data + 3, size - 3, size - 3 ? size - 3 : 1, truncated);
    struct fad b = run(data, data + 3, size - 3, chunk, truncated);
    if (a.hash != b.hash || a.n != b.n)
        abort();
    return 0;
}
