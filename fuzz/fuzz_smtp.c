/*
 * Fuzz target: the SMTP parser (src/app/smtp.c, with mime.c and file.c behind it) through a
 * session. Input: byte 0 picks limits (short lines, few pending commands, shallow MIME);
 * then operations: op byte (bit 0 direction, bits 1-2: 0/1 data, 2 gap, 3 end of
 * direction), length byte, then that many data bytes.
 *
 * Checked: records serialise without builder errors and keep their invariants
 * (fuzz_app_driver.c); all charged memory is returned; and the same operations with every
 * data chunk fed one byte at a time give exactly the same records (chunk independence).
 */
#include <stdlib.h>

#include "fuzz_app_driver.h"

static struct fad run(const uint8_t *data, size_t size, bool bytewise)
{
    struct fad z;
    fad_init(&z, APP_PROTO_SMTP, FAD_FRAME_OP_LEN);
    z.cfg.enabled[APP_PROTO_TLS] = false; /* after STARTTLS: no second parser to compare */
    uint8_t v = size ? data[0] : 0;
    if (v & 1)
        z.cfg.max_line_bytes = 16 + (v >> 4);
    if (v & 2)
        z.cfg.max_pending_tx = 2;
    if (v & 4) {
        z.cfg.mime_max_depth = 2;
        z.cfg.mime_max_parts = 4;
        z.cfg.mime_max_header_bytes = 200;
    }
    if (v & 8)
        z.cfg.file_keep_bytes = 3;
    z.bytewise = bytewise;
    if (size)
        fad_run(&z, data + 1, size - 1);
    else
        fad_run(&z, data, 0);
    return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fad a = run(data, size, false);
    struct fad b = run(data, size, true);
    if (a.hash != b.hash || a.n != b.n)
        abort();
    return 0;
}
