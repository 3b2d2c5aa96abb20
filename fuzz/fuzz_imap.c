/*
 * Fuzz target: the IMAP parser (src/app/imap.c) driven through an app session. The input is a
 * sequence of chunks, each one header byte then data: bit 0 of the header is the direction
 * (0 client, 1 server), bits 1-7 the chunk length (0: a gap of 16 bytes in that direction
 * instead). Every chunk is copied into an exact-size heap buffer so ASan sees a one-byte
 * over-read.
 *
 * Checked (fuzz_app_driver.c): every record serialises through its EVE writer into complete
 * JSON, anomaly names are upper-case, and every memcap charge is given back when the
 * session and context are freed.
 */
#include "fuzz_app_driver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fad_run_small_limits(APP_PROTO_IMAP, data, size);
    return 0;
}
