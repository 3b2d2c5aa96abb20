/*
 * Fuzz target: the application layer as the engine drives it — protocol detection on the
 * first bytes, then whichever parser detection picks (all of them are reachable), DNS over
 * TCP framing, DNS over UDP, gaps and protocol switches, with a small memcap so refusals
 * happen too.
 *
 * Input: byte 0 picks the server port (from a list, so port tie-breaks are reached) and the
 * transport (bit 7: UDP). Then chunks: a control byte (bit 7 direction; bit 6 gap instead of
 * data; bits 0-5 length 0-63) followed by that many bytes.
 *
 * Checked (fuzz_app_driver.c): every byte charged to the memcap is returned once the session
 * is freed, and every record handed out keeps its bounds and is written as complete EVE
 * JSON.
 */
#include "fuzz_app_driver.h"

static const uint16_t ports[] = {80, 443, 53, 25, 21, 110, 143, 22, 587, 8080, 4000, 990};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct fad z;
    fad_init(&z, APP_PROTO_UNKNOWN, FAD_FRAME_LEN6);
    z.cfg.memcap_bytes = 256u << 10;
    z.cfg.detect_max_bytes = 256;
    z.cfg.max_line_bytes = 512;
    z.cfg.http_body_limit = 1024;
    z.cfg.decompress_max_bytes = 64u << 10;
    z.cfg.file_keep_bytes = 512;
    z.cfg.tls_max_record_bytes = 16u << 10;
    z.flow.client_is_a = true;
    z.flow.key.ip_ver = 4;
    z.flow.key.port_a = 40000;
    z.flow.key.port_b = ports[(data[0] & 0x7f) % (sizeof ports / sizeof ports[0])];
    z.udp = (data[0] & 0x80) != 0;
    z.flow.key.proto = z.udp ? 17 : 6;
    fad_run(&z, data + 1, size - 1);
    return 0;
}
