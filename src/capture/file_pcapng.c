/*
 * pcapng file reader (draft-ietf-opsawg-pcapng). A file is one or more sections; each starts
 * with a Section Header Block giving the byte order, then Interface Description Blocks (one
 * per interface: link type, snaplen, timestamp resolution) and packet blocks referring to
 * them by index. A new section forgets the previous section's interfaces.
 *
 *  Every block (fields in the section's byte order; lengths count the whole block):
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                          Block Type                           |  0
 *  +---------------------------------------------------------------+
 *  |                      Block Total Length                       |  4
 *  +---------------------------------------------------------------+
 *  /                 Block Body (padded to 32 bits)                /  8
 *  +---------------------------------------------------------------+
 *  |                      Block Total Length                       |  len - 4
 *  +---------------------------------------------------------------+
 *
 *  Section Header Block, type 0x0A0D0D0A (a palindrome: readable before the byte order is
 *  known), minimum 28 bytes:
 *     8  Byte-Order Magic 0x1A2B3C4D          12  Major (1) | Minor (0)
 *    16  Section Length (64 bits, -1 = unknown)  24  options
 *  Interface Description Block, type 1, minimum 20 bytes:
 *     8  LinkType (16) | Reserved (16)        12  SnapLen (0 = none)
 *    16  options: if_tsresol (9), if_tsoffset (14) are used
 *  Enhanced Packet Block, type 6, minimum 32 bytes:
 *     8  Interface ID     12  Timestamp (upper 32)   16  Timestamp (lower 32)
 *    20  Captured Length  24  Original Length        28  Packet Data (padded), options
 *  Packet Block (obsolete), type 2: as the EPB, but 8 is Interface ID (16) | Drops (16).
 *  Simple Packet Block, type 3, minimum 16 bytes: interface 0, no timestamp:
 *     8  Original Length  12  Packet Data; captured length = min(original length,
 *                              interface 0's snaplen, block space)
 *  Options: Code (16) | Length (16) | Value padded to 32 bits; code 0 ends the list.
 *
 * Timestamps count units of 10^-n s (if_tsresol MSB clear) or 2^-n s (MSB set) since the
 * epoch, default microseconds, plus if_tsoffset seconds; we convert them to ns.
 *
 * Every other block (Name Resolution, Interface Statistics, Decryption Secrets, custom, ...)
 * is skipped by its length, streaming (never held in memory); packet blocks and IDBs are held
 * whole in the buffer. Every block, skipped or not, is limited to CAP_MAX_BLOCK (16 MiB) so
 * that a corrupt length is reported at once. The section length field is not used (we never
 * seek).
 */
#include "capture/capture_int.h"
#include "core/mm.h"

#include <stdlib.h>

#define PNG_SHB 0x0a0d0d0au
#define PNG_IDB 1u
#define PNG_PB 2u
#define PNG_SPB 3u
#define PNG_EPB 6u
#define PNG_BOM 0x1a2b3c4du

#define PNG_OPT_END 0u
#define PNG_OPT_TSRESOL 9u
#define PNG_OPT_TSOFFSET 14u

/* png_step() results besides errors (< 0). */
enum { PNG_SKIPPED = 0, PNG_PACKET = 1, PNG_AT_PACKET = 2 };

static const char *block_name(uint32_t type)
{
    switch (type) {
    case PNG_SHB: return "Section Header Block";
    case PNG_IDB: return "Interface Description Block";
    case PNG_PB: return "Packet Block";
    case PNG_SPB: return "Simple Packet Block";
    case PNG_EPB: return "Enhanced Packet Block";
    default: return "block";
    }
}

static uint64_t get64(const uint8_t *p, bool big)
{
    uint64_t a = cap_get32(p, big);
    uint64_t b = cap_get32(p + 4, big);
    return big ? a << 32 | b : b << 32 | a;
}

static uint64_t iface_ts_ns(const struct cap_iface *ifc, uint64_t ts)
{
    uint64_t ns;
    switch (ifc->ts_kind) {
    case CAP_TS_MUL: ns = ts * ifc->ts_factor; break;
    case CAP_TS_DIV: ns = ts / ifc->ts_factor; break;
    default: {
        /* Binary fractions: whole seconds, then the fraction scaled to ns. Keep the product
         * below 2^64: frac < 2^34 times 10^9 < 2^30 fits; finer fractions lose bits that are
         * below a nanosecond anyway. */
        unsigned n = ifc->ts_shift;
        uint64_t whole = ts >> n;
        uint64_t frac = ts & ((UINT64_C(1) << n) - 1);
        uint64_t frac_ns =
            n <= 34 ? (frac * 1000000000u) >> n : ((frac >> (n - 34)) * 1000000000u) >> 34;
        ns = whole * 1000000000u + frac_ns;
        break;
    }
    }
    return ns + ifc->ts_off_ns;
}

/* Set the timestamp conversion of an interface from if_tsresol. false if out of range. */
static bool iface_set_tsresol(struct cap_iface *ifc, uint8_t res)
{
    unsigned n = res & 0x7fu;
    if (res & 0x80u) {
        if (n > 63)
            return false;
        ifc->ts_kind = CAP_TS_POW2;
        ifc->ts_shift = n;
        return true;
    }
    /* 10^-19 s is the finest power of ten whose per-second count fits 64 bits. */
    if (n > 19)
        return false;
    uint64_t f = 1;
    for (unsigned i = 0; i < (n <= 9 ? 9 - n : n - 9); i++)
        f *= 10;
    ifc->ts_kind = n <= 9 ? CAP_TS_MUL : CAP_TS_DIV;
    ifc->ts_factor = f;
    return true;
}

/* Smallest valid total length of a block: header, fixed fields and trailer. */
static uint32_t min_block_len(uint32_t type)
{
    switch (type) {
    case PNG_EPB:
    case PNG_PB: return 32;
    case PNG_SPB: return 16;
    case PNG_IDB: return 20;
    default: return 12;
    }
}

/* Check a block's leading length. 0 or MM_EFORMAT with the message set. */
static int check_len(cap_source_t *s, uint64_t off, bool is_pkt, uint32_t type, uint32_t len,
                     uint32_t min)
{
    if (len % 4 != 0)
        return cap_fail_at(s, MM_EFORMAT, off, is_pkt,
                           "%s length %u is not a multiple of 4 (type 0x%08x)", block_name(type),
                           len, type);
    if (len < min)
        return cap_fail_at(s, MM_EFORMAT, off, is_pkt,
                           "%s length %u is below the minimum of %u (type 0x%08x)",
                           block_name(type), len, min, type);
    if (len > CAP_MAX_BLOCK)
        return cap_fail_at(s, MM_EFORMAT, off, is_pkt,
                           "%s length %u exceeds the limit of %u bytes (type 0x%08x)",
                           block_name(type), len, CAP_MAX_BLOCK, type);
    return 0;
}

/* Bring the whole block into the buffer and check its trailing length. */
static int fill_block(cap_source_t *s, uint64_t off, bool is_pkt, uint32_t type, uint32_t len)
{
    struct cap_rd *r = &s->file.rd;
    int rc = cap_rd_fill(r, len);
    if (rc != 0)
        return cap_fail_read(s, rc, off, is_pkt, "truncated %s: header says %u bytes, %zu present",
                             block_name(type), len, cap_rd_avail(r));
    uint32_t trail = cap_get32(r->buf + r->pos + len - 4, s->file.big);
    if (trail != len)
        return cap_fail_at(s, MM_EFORMAT, off, is_pkt,
                           "%s trailing length %u does not match its leading length %u",
                           block_name(type), trail, len);
    return 0;
}

static int read_shb(cap_source_t *s, uint64_t off)
{
    struct cap_file *f = &s->file;
    struct cap_rd *r = &f->rd;
    int rc = cap_rd_fill(r, 12);
    if (rc != 0)
        return cap_fail_read(s, rc, off, false,
                             "truncated Section Header Block: %zu of 12 bytes present",
                             cap_rd_avail(r));
    const uint8_t *b = r->buf + r->pos;
    uint32_t bom = cap_get32(b + 8, false);
    if (bom == PNG_BOM)
        f->big = false;
    else if (bom == 0x4d3c2b1au)
        f->big = true;
    else
        return cap_fail_at(s, MM_EFORMAT, off, false,
                           "bad byte-order magic 0x%08x in Section Header Block",
                           cap_get32(b + 8, true));
    uint32_t len = cap_get32(b + 4, f->big);
    rc = check_len(s, off, false, PNG_SHB, len, 28);
    if (rc == 0)
        rc = fill_block(s, off, false, PNG_SHB, len);
    if (rc != 0)
        return rc;
    b = r->buf + r->pos;
    unsigned major = cap_get16(b + 12, f->big);
    unsigned minor = cap_get16(b + 14, f->big);
    if (major != 1)
        return cap_fail_at(s, MM_EFORMAT, off, false, "unsupported pcapng version %u.%u", major,
                           minor);
    f->n_ifaces = 0; /* interface ids restart in every section */
    r->pos += len;
    return PNG_SKIPPED;
}

/* Parse an IDB (whole block in the buffer at b) and append the interface. */
static int read_idb(cap_source_t *s, uint64_t off, const uint8_t *b, uint32_t len)
{
    struct cap_file *f = &s->file;
    struct cap_iface ifc = {
        .linktype = cap_get16(b + 8, f->big),
        .snaplen = cap_get32(b + 12, f->big),
        .ts_kind = CAP_TS_MUL,
        .ts_factor = 1000, /* default resolution: microseconds */
    };
    size_t o = 16, end = len - 4;
    while (end - o >= 4) {
        unsigned code = cap_get16(b + o, f->big);
        unsigned olen = cap_get16(b + o + 2, f->big);
        if (code == PNG_OPT_END)
            break;
        size_t padded = (olen + 3u) & ~3u;
        if (padded > end - o - 4)
            return cap_fail_at(s, MM_EFORMAT, off, false,
                               "option %u (length %u) runs past the end of the Interface "
                               "Description Block",
                               code, olen);
        const uint8_t *v = b + o + 4;
        if (code == PNG_OPT_TSRESOL && olen >= 1) {
            if (!iface_set_tsresol(&ifc, v[0]))
                return cap_fail_at(s, MM_EFORMAT, off, false, "if_tsresol 0x%02x is out of range",
                                   v[0]);
        } else if (code == PNG_OPT_TSOFFSET && olen >= 8) {
            /* Signed seconds; two's complement times 10^9 wraps to the right sum. */
            ifc.ts_off_ns = get64(v, f->big) * 1000000000u;
        }
        o += 4 + padded;
    }

    if (f->n_ifaces == f->ifaces_cap) {
        if (f->ifaces_cap >= CAP_MAX_IFACES)
            return cap_fail_at(s, MM_EFORMAT, off, false, "more than %u interfaces in one section",
                               CAP_MAX_IFACES);
        uint32_t ncap = f->ifaces_cap == 0 ? 4 : f->ifaces_cap * 2;
        struct cap_iface *n = realloc(f->ifaces, ncap * sizeof *n);
        if (n == NULL)
            return cap_fail_at(s, MM_ENOMEM, off, false, "out of memory for interfaces");
        f->ifaces = n;
        f->ifaces_cap = ncap;
    }
    f->ifaces[f->n_ifaces++] = ifc;
    if (s->linktype < 0)
        s->linktype = ifc.linktype;
    return PNG_SKIPPED;
}

/* EPB, PB or SPB (whole block in the buffer at b): fill *out. */
static int read_packet(cap_source_t *s, struct cap_pkt *out, uint64_t off, const uint8_t *b,
                       uint32_t type, uint32_t len)
{
    struct cap_file *f = &s->file;
    uint32_t ifid, caplen, wirelen, data_off;
    uint64_t ts = 0;
    if (type == PNG_SPB) {
        ifid = 0;
        data_off = 12;
        wirelen = cap_get32(b + 8, f->big);
        caplen = MM_MIN(wirelen, len - 16);
    } else {
        ifid = type == PNG_EPB ? cap_get32(b + 8, f->big) : cap_get16(b + 8, f->big);
        ts = (uint64_t)cap_get32(b + 12, f->big) << 32 | cap_get32(b + 16, f->big);
        caplen = cap_get32(b + 20, f->big);
        wirelen = cap_get32(b + 24, f->big);
        data_off = 28;
    }
    if (ifid >= f->n_ifaces) {
        if (f->n_ifaces == 0)
            return cap_fail_at(s, MM_EFORMAT, off, true,
                               "%s before any Interface Description Block in this section",
                               block_name(type));
        return cap_fail_at(s, MM_EFORMAT, off, true,
                           "interface id %u out of range (%u interfaces in this section)", ifid,
                           f->n_ifaces);
    }
    const struct cap_iface *ifc = &f->ifaces[ifid];
    if (type == PNG_SPB && ifc->snaplen != 0 && caplen > ifc->snaplen)
        caplen = ifc->snaplen;
    if (caplen > CAP_MAX_CAPLEN)
        return cap_fail_at(s, MM_EFORMAT, off, true,
                           "captured length %u exceeds the limit of %u bytes (corrupt block)",
                           caplen, CAP_MAX_CAPLEN);
    if (caplen > len - data_off - 4)
        return cap_fail_at(s, MM_EFORMAT, off, true,
                           "captured length %u exceeds the %u bytes of data space in the %s",
                           caplen, len - data_off - 4, block_name(type));

    out->data = b + data_off;
    out->caplen = caplen;
    out->wirelen = wirelen;
    out->ts_ns = type == PNG_SPB ? 0 : iface_ts_ns(ifc, ts);
    out->linktype = ifc->linktype;
    out->iface = ifid;
    out->pkt_no = ++s->pkt_no;
    s->file.rd.pos += len;
    return PNG_PACKET;
}

/*
 * Process one block. Returns PNG_PACKET with *out filled, PNG_SKIPPED for a block that holds
 * no packet, PNG_AT_PACKET (nothing consumed) if stop_at_packet and the next block is a packet,
 * MM_EOF at a clean end between blocks, or an error.
 */
static int png_step(cap_source_t *s, struct cap_pkt *out, bool stop_at_packet)
{
    struct cap_file *f = &s->file;
    struct cap_rd *r = &f->rd;
    uint64_t off = cap_rd_offset(r);

    if (MM_UNLIKELY(cap_rd_avail(r) < 8)) {
        int rc = cap_rd_fill(r, 8);
        if (rc != 0) {
            if (rc == MM_ETRUNC && cap_rd_avail(r) == 0)
                return MM_EOF;
            bool pkt = false;
            if (cap_rd_avail(r) >= 4) {
                uint32_t t = cap_get32(r->buf + r->pos, f->big);
                pkt = t == PNG_EPB || t == PNG_SPB || t == PNG_PB;
            }
            return cap_fail_read(s, rc, off, pkt, "truncated block header: %zu of 8 bytes present",
                                 cap_rd_avail(r));
        }
    }
    const uint8_t *b = r->buf + r->pos;
    uint32_t type = cap_get32(b, f->big);
    if (type == PNG_SHB)
        return read_shb(s, off);
    uint32_t len = cap_get32(b + 4, f->big);

    bool is_pkt = type == PNG_EPB || type == PNG_SPB || type == PNG_PB;
    int rc = check_len(s, off, is_pkt, type, len, min_block_len(type));
    if (rc != 0)
        return rc;
    if (is_pkt && stop_at_packet)
        return PNG_AT_PACKET;

    if (is_pkt || type == PNG_IDB) {
        rc = fill_block(s, off, is_pkt, type, len);
        if (rc != 0)
            return rc;
        b = r->buf + r->pos;
        if (is_pkt)
            return read_packet(s, out, off, b, type, len);
        rc = read_idb(s, off, b, len);
        if (rc == PNG_SKIPPED)
            r->pos += len;
        return rc;
    }

    /* Any other block: stream past the body, then check the trailing length. */
    rc = cap_rd_skip(r, len - 4);
    if (rc == 0)
        rc = cap_rd_fill(r, 4);
    if (rc != 0) {
        size_t have = (size_t)(cap_rd_offset(r) - off) + cap_rd_avail(r);
        return cap_fail_read(s, rc, off, false,
                             "truncated block (type 0x%08x): header says %u bytes, %zu present",
                             type, len, have);
    }
    uint32_t trail = cap_get32(r->buf + r->pos, f->big);
    if (trail != len)
        return cap_fail_at(s, MM_EFORMAT, off, false,
                           "block (type 0x%08x) trailing length %u does not match its leading "
                           "length %u",
                           type, trail, len);
    r->pos += 4;
    return PNG_SKIPPED;
}

static int png_next(cap_source_t *s, struct cap_pkt *out)
{
    for (;;) {
        int rc = png_step(s, out, false);
        if (rc != PNG_SKIPPED)
            return rc;
    }
}

const struct cap_ops cap_pcapng_ops = {
    .next = png_next,
    .stats = cap_stats_noop,
    .close = cap_file_close,
    .brk = cap_brk_noop,
};

int cap_pcapng_open(cap_source_t *s)
{
    s->ops = &cap_pcapng_ops;
    int rc = png_step(s, NULL, true); /* the magic matched: this is the first SHB */
    if (rc < 0)
        return rc;
    /* Read ahead to the first IDB so cap_linktype() can answer before the first packet. Stop
     * at a packet block; an error found here stays in sticky_err for the first cap_next(). */
    while (s->linktype < 0) {
        rc = png_step(s, NULL, true);
        if (rc != PNG_SKIPPED)
            break;
    }
    return 0;
}
