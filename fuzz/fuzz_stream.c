/*
 * Fuzz target: TCP stream reassembly (src/stream), fed a sequence of segments.
 *
 * Input layout: byte 0 = mode: bit0 synthesises the payload bytes from their sequence number
 * (so every delivered byte can be checked to be at its place: nothing twice, nothing out of
 * order), bits1-2 pick depth_bytes, bits3-4 max_queued_bytes, bits5-6 the memcap. Then
 * records of
 *   | dir (1): bit0 = direction, bit1 = free the flow and start a new one first |
 *   | tcp flags (1) | seq offset (4, big-endian, added to 0xffff0000 so wrap is near) |
 *   | len (2, big-endian) | bytes (len; in synthesised mode absent and len is taken mod 8192) |
 * Each payload is copied into an exact-size heap buffer so ASan sees a one-byte over-read.
 *
 * Checked: DATA never empty and never NULL, GAP never empty, nothing after STREAM_END, END
 * exactly once per direction by the time the flow is freed, DATA+GAP totals equal the
 * stats, and in synthesised mode every DATA byte equals the byte of its sequence number.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "decode/decode.h"
#include "stream/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    bool synth;
    bool known[2];   /* mirror of the module's "ISN known" rule, for synthesised checks */
    uint32_t isn[2]; /* sequence number of the first stream byte */
    uint64_t off[2]; /* DATA + GAP bytes delivered */
    int ends[2];
    uint32_t depth; /* cfg.depth_bytes: no direction goes past it */
    uint64_t data, gap_bytes, gaps;
};

static uint8_t synth_byte(uint32_t seq)
{
    return (uint8_t)((seq * 2654435761u) >> 24);
}

static void on_deliver(void *user, int dir, enum stream_event ev, const uint8_t *p, uint32_t len)
{
    struct fz *z = user;
    if ((dir != 0 && dir != 1) || z->ends[dir])
        abort();
    switch (ev) {
    case STREAM_DATA:
        if (!p || len == 0)
            abort();
        if (z->synth) {
            if (!z->known[dir])
                abort();
            for (uint32_t i = 0; i < len; i++)
                if (p[i] != synth_byte(z->isn[dir] + (uint32_t)z->off[dir] + i))
                    abort();
        }
        z->off[dir] += len;
        z->data += len;
        if (z->depth && z->off[dir] > z->depth)
            abort();
        break;
    case STREAM_GAP:
        if (p || len == 0)
            abort();
        z->off[dir] += len;
        z->gap_bytes += len;
        z->gaps++;
        break;
    case STREAM_END:
        if (p || len)
            abort();
        z->ends[dir]++;
        break;
    default: abort();
    }
}

static void flow_done(stream_ctx_t *ctx, struct stream_flow *sf, struct fz *z)
{
    stream_flow_free(ctx, sf);
    if (sf && (z->ends[0] != 1 || z->ends[1] != 1))
        abort();
    bool synth = z->synth;
    uint32_t depth = z->depth;
    uint64_t d = z->data, gb = z->gap_bytes, g = z->gaps;
    memset(z, 0, sizeof *z);
    z->synth = synth;
    z->depth = depth;
    z->data = d;
    z->gap_bytes = gb;
    z->gaps = g;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const uint32_t depths[4] = {0, 7, 1000, 1u << 20};
    static const uint32_t maxqs[4] = {0, 5, 3000, 256u << 10};
    static const size_t caps[4] = {1500, 3000, 40000, (size_t)64 << 20};
    uint8_t mode = data[0];
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.depth_bytes = depths[(mode >> 1) & 3];
    cfg.max_queued_bytes = maxqs[(mode >> 3) & 3];
    cfg.memcap_bytes = caps[(mode >> 5) & 3];
    stream_ctx_t *ctx = stream_ctx_new(&cfg);
    if (!ctx)
        abort();
    struct fz z;
    memset(&z, 0, sizeof z);
    z.synth = mode & 1;
    z.depth = cfg.depth_bytes;
    struct stream_flow *sf = stream_flow_new(ctx, on_deliver, &z);

    size_t off = 1;
    while (off + 8 <= size) {
        int dir = data[off] & 1;
        bool renew = data[off] & 2;
        uint8_t flags = data[off + 1];
        uint32_t seq =
            0xffff0000u + ((uint32_t)data[off + 2] << 24 | (uint32_t)data[off + 3] << 16 |
                           (uint32_t)data[off + 4] << 8 | data[off + 5]);
        uint32_t len = (uint32_t)data[off + 6] << 8 | data[off + 7];
        off += 8;
        if (renew) {
            flow_done(ctx, sf, &z);
            sf = stream_flow_new(ctx, on_deliver, &z);
        }
        uint8_t *buf;
        uint32_t dseq = seq + ((flags & TCP_SYN) ? 1u : 0u);
        if (z.synth) {
            len &= 0x1fff; /* no input bytes pay for it: keep runs fast */
            buf = malloc(len ? len : 1);
            if (!buf)
                abort();
            for (uint32_t i = 0; i < len; i++)
                buf[i] = synth_byte(dseq + i);
        } else {
            if (len > size - off)
                len = (uint32_t)(size - off);
            buf = malloc(len ? len : 1);
            if (!buf)
                abort();
            memcpy(buf, data + off, len);
            off += len;
        }
        /* Mirror where the module starts the stream (stream.c segment_dir). */
        if (sf && !z.ends[dir] && !z.known[dir]) {
            if (flags & TCP_SYN) {
                z.isn[dir] = dseq;
                z.known[dir] = true;
            } else if (len || (flags & TCP_FIN)) {
                z.isn[dir] = dseq;
                z.known[dir] = true;
            }
        }
        int rc = stream_segment(ctx, sf, dir, seq, flags, buf, len);
        if (rc != 0 && rc != MM_ELIMIT)
            abort();
        free(buf);
    }
    flow_done(ctx, sf, &z);

    struct stream_stats st;
    stream_get_stats(ctx, &st);
    if (st.bytes_delivered != z.data || st.gap_bytes != z.gap_bytes || st.gaps != z.gaps)
        abort();
    if (st.memuse_peak > cfg.memcap_bytes)
        abort();
    stream_ctx_free(ctx);
    return 0;
}
