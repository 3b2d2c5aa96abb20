/*
 * Fuzz target: the MIME parser (src/app/mime.c) and file records (file.c) directly through
 * mime_new on an SMTP session. Input: byte 0 picks limits, byte 1 the chunk size (1..64) of
 * a chunked run, byte 2 whether the message ends truncated; the rest is the message.
 *
 * Checked: records serialise and keep their invariants (fuzz_common_mail.h); the summary
 * strings and counts are bounded; all memory is returned; the chunked run gives exactly the
 * records of the run with the whole message in one call.
 */
#include "fuzz_common_mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fz run(const uint8_t *cfgb, const uint8_t *msg, size_t n, size_t chunk,
                     int truncated)
{
    struct fz z = {1469598103934665603ull, 0};
    struct app_config cfg;
    app_config_defaults(&cfg);
    uint8_t v = cfgb[0];
    if (v & 1)
        cfg.max_line_bytes = 8 + (v >> 3);
    if (v & 2)
        cfg.mime_max_depth = 1 + (v >> 6);
    if (v & 4)
        cfg.mime_max_parts = 3;
    if (v & 8)
        cfg.mime_max_header_bytes = 64 + (v >> 4);
    app_ctx_t *ctx = app_ctx_new(&cfg, fz_record, &z);
    if (!ctx)
        abort();
    struct flow f;
    memset(&f, 0, sizeof f);
    struct app_session *s = app_session_new(ctx, &f);
    if (!s)
        abort();
    app_session_set_proto(s, APP_PROTO_SMTP);
    struct mime_parser *m = mime_new(s, APP_PROTO_SMTP);
    if (!m)
        abort();
    for (size_t i = 0; i < n; i += chunk) {
        size_t k = n - i < chunk ? n - i : chunk;
        uint8_t *b = malloc(k);
        if (!b)
            abort();
        memcpy(b, msg + i, k);
        mime_feed(m, 0, b, k);
        free(b);
    }
    mime_end(m, 0, truncated);
    const struct mime_email *e = mime_email(m);
    if (e->n_to > MIME_MAX_ADDRS || e->n_cc > MIME_MAX_ADDRS || e->n_attachments > 32)
        abort();
    struct smtp_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.email = e;
    tx.status = mime_status(m);
    fz_record(&z, NULL, 0, 0, APP_REC_SMTP, &tx);
    mime_free(m);
    app_session_free(s);
    struct app_stats st;
    app_get_stats(ctx, &st);
    if (st.memuse != 0)
        abort();
    app_ctx_free(ctx);
    return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t chunk = 1 + data[1] % 64;
    int truncated = data[2] & 1;
    struct fz a = run(data, data + 3, size - 3, size - 3 ? size - 3 : 1, truncated);
    struct fz b = run(data, data + 3, size - 3, chunk, truncated);
    if (a.hash != b.hash || a.n != b.n)
        abort();
    return 0;
}
