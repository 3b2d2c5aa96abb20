/*
 * Classic pcap file reader ("libpcap format", draft-ietf-opsawg-pcap): a 24-byte file header
 * then records of a 16-byte header and caplen bytes of packet data. Both byte orders (the
 * writer's native order, told by the magic) and both timestamp precisions (magic 0xa1b2c3d4:
 * microseconds, 0xa1b23c4d: nanoseconds) are read.
 *
 *  File header (24 bytes)
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |            magic: 0xa1b2c3d4 (us) or 0xa1b23c4d (ns)          |  0
 *  +-------------------------------+-------------------------------+
 *  |       major version (2)       |       minor version (4)       |  4
 *  +-------------------------------+-------------------------------+
 *  |               reserved (was thiszone, always 0)               |  8
 *  |               reserved (was sigfigs, always 0)                | 12
 *  +---------------------------------------------------------------+
 *  |                           snaplen                             | 16
 *  +-------------------------------+-------------------------------+
 *  | FCS len, F bit, reserved      |         link type             | 20
 *  +-------------------------------+-------------------------------+
 *
 *  Record: header (16 bytes) + packet data (caplen bytes, no padding)
 *  +---------------------------------------------------------------+
 *  |                    timestamp: seconds                         |  0
 *  |                    timestamp: us or ns                        |  4
 *  |                    captured length (caplen)                   |  8
 *  |                    original length (wirelen)                  | 12
 *  +---------------------------------------------------------------+
 *  |                    packet data ...                            | 16
 *
 * Left out: Kuznetzov's "modified pcap" (24-byte record headers; rejected at open with a
 * message), the FCS-length bits of the link type field (ignored), and the header snaplen
 * (not enforced: records longer than it are accepted up to CAP_MAX_CAPLEN, like libpcap).
 */
#include "capture/capture_int.h"
#include "core/mm.h"

#include <string.h>

#define PCAP_FILE_HDR_LEN 24u
#define PCAP_REC_HDR_LEN 16u

/*
 * Next record. `big` is a constant in each of the two wrappers below, so the byte-order
 * test folds away and each gets straight-line loads.
 */
static inline __attribute__((always_inline)) int pcap_next_rec(cap_source_t *s, struct cap_pkt *out,
                                                               const bool big)
{
    struct cap_rd *r = &s->file.rd;

    if (MM_UNLIKELY(cap_rd_avail(r) < PCAP_REC_HDR_LEN)) {
        uint64_t off = cap_rd_offset(r);
        int rc = cap_rd_fill(r, PCAP_REC_HDR_LEN);
        if (rc != 0) {
            if (rc == MM_ETRUNC && cap_rd_avail(r) == 0)
                return MM_EOF; /* ended at a record boundary */
            return cap_fail_read(s, rc, off, true,
                                 "truncated record header: %zu of %u bytes present",
                                 cap_rd_avail(r), PCAP_REC_HDR_LEN);
        }
    }
    const uint8_t *h = r->buf + r->pos;
    uint32_t sec = cap_get32(h, big);
    uint32_t frac = cap_get32(h + 4, big);
    uint32_t caplen = cap_get32(h + 8, big);
    uint32_t wirelen = cap_get32(h + 12, big);

    if (MM_UNLIKELY(caplen > CAP_MAX_CAPLEN))
        return cap_fail_at(s, MM_EFORMAT, cap_rd_offset(r), true,
                           "captured length %u exceeds the limit of %u bytes (corrupt record)",
                           caplen, CAP_MAX_CAPLEN);
    size_t need = PCAP_REC_HDR_LEN + caplen;
    if (MM_UNLIKELY(cap_rd_avail(r) < need)) {
        uint64_t off = cap_rd_offset(r);
        int rc = cap_rd_fill(r, need);
        if (rc != 0)
            return cap_fail_read(s, rc, off, true,
                                 "truncated record: header says %u bytes, %zu present", caplen,
                                 cap_rd_avail(r) - PCAP_REC_HDR_LEN);
        h = r->buf + r->pos; /* the fill may have moved the buffer */
    }
    r->pos += need;

    out->data = h + PCAP_REC_HDR_LEN;
    out->caplen = caplen;
    out->wirelen = wirelen;
    out->ts_ns = (uint64_t)sec * 1000000000u + (uint64_t)frac * s->file.frac_mult;
    out->linktype = s->linktype;
    out->iface = 0;
    out->pkt_no = ++s->pkt_no;
    return 1;
}

static int pcap_next_le(cap_source_t *s, struct cap_pkt *out)
{
    return pcap_next_rec(s, out, false);
}

static int pcap_next_be(cap_source_t *s, struct cap_pkt *out)
{
    return pcap_next_rec(s, out, true);
}

const struct cap_ops cap_pcap_ops_le = {
    .next = pcap_next_le,
    .stats = cap_stats_noop,
    .close = cap_file_close,
    .brk = cap_brk_noop,
};

const struct cap_ops cap_pcap_ops_be = {
    .next = pcap_next_be,
    .stats = cap_stats_noop,
    .close = cap_file_close,
    .brk = cap_brk_noop,
};

int cap_pcap_open(cap_source_t *s)
{
    struct cap_file *f = &s->file;
    struct cap_rd *r = &f->rd;

    int rc = cap_rd_fill(r, PCAP_FILE_HDR_LEN);
    if (rc == MM_EIO)
        return cap_fail(s, rc, "read error: %s", strerror(r->rd_errno));
    if (rc != 0)
        return cap_fail(s, MM_ETRUNC, "truncated pcap file header (%zu of %u bytes)",
                        cap_rd_avail(r), PCAP_FILE_HDR_LEN);

    const uint8_t *h = r->buf + r->pos;
    /* Read as little-endian, a big-endian writer's magic comes out byte-swapped. */
    uint32_t magic = cap_get32(h, false);
    f->big = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    f->frac_mult = (magic == 0xa1b23c4d || magic == 0x4d3cb2a1) ? 1u : 1000u;

    unsigned major = cap_get16(h + 4, f->big);
    unsigned minor = cap_get16(h + 6, f->big);
    if (major != 2)
        return cap_fail(s, MM_EFORMAT, "unsupported pcap version %u.%u (only 2.x is read)", major,
                        minor);
    /* Low 16 bits: link type; the upper bits carry FCS information we do not use. */
    s->linktype = (int)(cap_get32(h + 20, f->big) & 0xffffu);

    r->pos += PCAP_FILE_HDR_LEN;
    s->ops = f->big ? &cap_pcap_ops_be : &cap_pcap_ops_le;
    return 0;
}
