/*
 * Fuzz target: the SMTP parser (src/app/smtp.c, with mime.c and file.c behind it) through a
 * session. Input: byte 0 picks limits (short lines, few pending commands, shallow MIME);
 * then operations: op byte (bit 0 direction, bits 1-2: 0/1 data, 2 gap, 3 end of
 * direction), length byte, then that many data bytes.
 *
 * Checked: records serialise without builder errors and keep their invariants
 * (fuzz_common_mail.h); all charged memory is returned; and the same operations with every
 * data chunk fed one byte at a time give exactly the same records (chunk independence).
 */
#include "fuzz_common_mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fz run(const uint8_t *data, size_t size, int bytewise)
{
    struct fz z = {1469598103934665603ull, 0};
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.enabled[APP_PROTO_TLS] = false; /* after STARTTLS: no second parser to compare */
    uint8_t v = size ? data[0] : 0;
    if (v & 1)
        cfg.max_line_bytes = 16 + (v >> 4);
    if (v & 2)
        cfg.max_pending_tx = 2;
    if (v & 4) {
        cfg.mime_max_depth = 2;
        cfg.mime_max_parts = 4;
        cfg.mime_max_header_bytes = 200;
    }
    if (v & 8)
        cfg.file_keep_bytes = 3;
    app_ctx_t *ctx = app_ctx_new(&cfg, fz_record, &z);
    if (!ctx)
        abort();
    struct flow f;
    memset(&f, 0, sizeof f);
    struct app_session *s = app_session_new(ctx, &f);
    if (!s)
        abort();
    app_session_set_proto(s, APP_PROTO_SMTP);
    size_t i = 1;
    uint64_t t = 1;
    while (i + 1 < size) {
        uint8_t op = data[i], len = data[i + 1];
        i += 2;
        int dir = op & 1;
        app_session_set_time(s, t++);
        switch ((op >> 1) & 3) {
        case 2:
            app_session_gap(s, dir, (uint32_t)len + 1);
            break;
        case 3:
            app_session_end(s, dir);
            break;
        default: {
            size_t n = len;
            if (n > size - i)
                n = size - i;
            if (bytewise) {
                for (size_t k = 0; k < n; k++)
                    fz_feed(s, dir, data + i + k, 1);
            } else if (n) {
                fz_feed(s, dir, data + i, n);
            }
            i += n;
            break;
        }
        }
    }
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
    struct fz a = run(data, size, 0);
    struct fz b = run(data, size, 1);
    if (a.hash != b.hash || a.n != b.n)
        abort();
    return 0;
}
