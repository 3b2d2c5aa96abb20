/*
 * Fuzz target: the TLS parser (src/app/tls.c) driven through an app session. The input is a
 * sequence of chunks, each introduced by 3 bytes: direction (low bit; bit 1 set: a gap of
 * that direction instead of data) and a 16-bit big-endian length; the chunk's bytes follow
 * (a short last chunk takes what is left). Each chunk is copied to an exact-size heap buffer
 * so ASan sees a one-byte over-read. app.tls_max_record_bytes is small so limits are hit.
 *
 * Checked: every record serialises to complete JSON through its EVE writer, the strings a
 * tls record holds are NUL-terminated within their sizes, the memcap accounting is back to
 * zero once the session is freed (fuzz_app_driver.c); at most one tls record per flow.
 */
#include <stdlib.h>

#include "fuzz_app_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fad z;
    fad_init(&z, APP_PROTO_TLS, FAD_FRAME_LEN16);
    z.cfg.tls_max_record_bytes = 4096;
    z.cfg.memcap_bytes = 1 << 20;
    fad_run(&z, data, size);
    if (z.n_kind[APP_REC_TLS] > 1)
        abort();
    return 0;
}
