/*
 * Fuzz target: packet decoder + fragment reassembly + flow table, fed a sequence of packets
 * so that state carried between packets (fragments, flows, TCP state) is exercised too.
 *
 * Input layout: byte 0 picks the link type; then records of
 *   | len (2, big-endian) | flags (1): bit0 = snap-truncated, bits1-7 = time step | bytes |
 * Each packet is copied into an exact-size heap buffer so ASan sees a one-byte over-read.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {CAP_LINK_ETHERNET, CAP_LINK_LINUX_SLL, CAP_LINK_LINUX_SLL2,
                                CAP_LINK_NULL, CAP_LINK_LOOP, CAP_LINK_RAW, CAP_LINK_IPV4,
                                CAP_LINK_IPV6, 999};

static unsigned long g_ended;

static void on_end(const struct flow *f, enum flow_end_reason reason, void *user)
{
    (void)reason;
    (void)user;
    if (f->pkts[0] + f->pkts[1] == 0)
        abort(); /* a flow never exists without a packet */
    g_ended++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct dec_config dc;
    dec_config_defaults(&dc);
    dc.defrag_memcap_bytes = 256 * 1024; /* small, so memcap paths run */
    dc.defrag_max_trackers = 64;
    struct flow_config fc;
    flow_config_defaults(&fc);
    fc.memcap_bytes = 1u << 20;
    dec_ctx_t *dec = dec_ctx_new(&dc);
    flow_table_t *ft = flow_table_new(&fc, on_end, NULL);
    if (!dec || !ft)
        abort();

    int linktype = linktypes[data[0] % (sizeof linktypes / sizeof linktypes[0])];
    size_t off = 1;
    uint64_t ts = 1700000000ull * 1000000000ull;
    uint64_t n = 0;
    while (off + 3 <= size) {
        size_t len = (size_t)(data[off] << 8 | data[off + 1]);
        uint8_t flags = data[off + 2];
        off += 3;
        if (len > size - off)
            len = size - off;
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
            abort();
        memcpy(buf, data + off, len);
        off += len;
        ts += (uint64_t)(flags >> 1) * 1000000000ull; /* up to 127 s per step: timeouts fire */
        struct packet p;
        memset(&p, 0, sizeof p);
        p.data = buf;
        p.caplen = (uint32_t)len;
        p.wirelen = (uint32_t)len + ((flags & 1) ? 100u : 0u);
        p.ts_ns = ts;
        p.pkt_no = ++n;
        p.linktype = linktype;
        dec_packet(dec, &p);
        enum flow_dir dir;
        struct flow *f = flow_handle_packet(ft, &p, &dir);
        if (f && f->pkts[dir] == 0)
            abort();
        dec_expire(dec, ts);
        free(buf);
    }
    flow_table_free(ft);
    dec_ctx_free(dec);
    return 0;
}
