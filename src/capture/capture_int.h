/*
 * Internals shared by the capture files (capture.c, file_pcap.c, file_pcapng.c, live.c):
 * the source struct behind cap_source_t, its ops table, the buffered file reader
 * (struct cap_rd) and the limits that turn hostile length fields into errors instead of
 * huge allocations. Nothing outside src/capture/ includes this header.
 */
#ifndef MM_CAPTURE_CAPTURE_INT_H
#define MM_CAPTURE_CAPTURE_INT_H

#include "capture/capture.h"

#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Limits. A captured length above CAP_MAX_CAPLEN (libpcap's MAXIMUM_SNAPLEN, the largest
 * snaplen any capture tool uses) or a pcapng block above CAP_MAX_BLOCK (libpcap's limit too)
 * means a corrupt file: we report it instead of allocating whatever the file asks for.
 */
#define CAP_MAX_CAPLEN 262144u              /* bytes of packet data in one record */
#define CAP_MAX_BLOCK (16u * 1024u * 1024u) /* bytes in one pcapng block */
#define CAP_MAX_IFACES 65536u               /* pcapng IDBs in one section */
#define CAP_DEFAULT_SNAPLEN 262144          /* live capture */
#define CAP_BPF_SLOTS 8                     /* compiled filters cached per source */

/*
 * Reader buffer: refills read CAP_RD_CHUNK bytes at a time. The initial buffer holds a chunk
 * plus one maximal pcap record, so pcap files never make it grow; only a pcapng block larger
 * than that does, and only as far as the bytes actually present in the file (a corrupt length
 * field in a small file never allocates 16 MiB).
 * 128 KiB: read() leaves the chunk in the core's L2 cache (1 MiB and less), and a chunk this
 * small is still there when its packets are decoded, checksummed and reassembled. With 1 MiB
 * chunks the first packets of a chunk were evicted by the time they were used, more so with
 * the detectors' state in the cache too (docs/benchmarks.md, eleventh pass).
 */
#define CAP_RD_CHUNK (1u << 17)
#define CAP_RD_INIT_CAP (CAP_RD_CHUNK + CAP_MAX_CAPLEN + 64u)
#define CAP_RD_MAX_CAP (CAP_MAX_BLOCK + CAP_RD_CHUNK)

/*
 * Buffered sequential reader over a file descriptor (regular file, pipe or stdin; never
 * seeks). Bytes buf[pos..end) are read but not consumed; buf[0] is at file offset buf_off.
 * cap_rd_fill() makes n bytes contiguous at buf + pos, moving the unconsumed tail to the
 * front first, so pointers into buf are valid only until the next fill or skip.
 */
struct cap_rd {
    uint8_t *buf;     /* owned, cap bytes */
    size_t cap;       /* allocated size, CAP_RD_INIT_CAP..CAP_RD_MAX_CAP */
    size_t pos;       /* next unconsumed byte */
    size_t end;       /* one past the last byte read */
    uint64_t buf_off; /* file offset of buf[0] */
    int fd;
    bool eof;     /* read() returned 0: no more bytes will come */
    int rd_errno; /* errno of a failed read(), 0 if none */
};

static inline size_t cap_rd_avail(const struct cap_rd *r)
{
    return r->end - r->pos;
}

/* File offset of the next unconsumed byte. */
static inline uint64_t cap_rd_offset(const struct cap_rd *r)
{
    return r->buf_off + r->pos;
}

/* Allocate the buffer. 0 or MM_ENOMEM. */
int cap_rd_init(struct cap_rd *r, int fd);
void cap_rd_fini(struct cap_rd *r);

/*
 * Make at least n bytes (n <= CAP_RD_MAX_CAP - CAP_RD_CHUNK) available at buf + pos.
 * Returns 0; MM_ETRUNC when the input ended first (cap_rd_avail() tells how many bytes there
 * are, 0 meaning a clean end at this point); MM_EIO on a read error (rd_errno set);
 * MM_ENOMEM if the buffer could not grow.
 */
int cap_rd_fill(struct cap_rd *r, size_t n);

/* Consume n bytes, reading and discarding past the buffer if needed. 0, MM_ETRUNC, MM_EIO. */
int cap_rd_skip(struct cap_rd *r, uint64_t n);

/* Multi-byte fields of capture files, in the file's byte order (caller checked the length). */
static inline uint16_t cap_get16(const uint8_t *p, bool big)
{
    unsigned v = big ? ((unsigned)p[0] << 8 | p[1]) : ((unsigned)p[1] << 8 | p[0]);
    return (uint16_t)v;
}

static inline uint32_t cap_get32(const uint8_t *p, bool big)
{
    if (big)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* pcapng interface (IDB): link type, snaplen and how to turn its timestamps into ns. */
enum cap_ts_kind {
    CAP_TS_MUL,  /* ns = ts * ts_factor (resolution 10^-n, n <= 9) */
    CAP_TS_DIV,  /* ns = ts / ts_factor (resolution 10^-n, n > 9) */
    CAP_TS_POW2, /* resolution 2^-ts_shift */
};

struct cap_iface {
    int linktype;
    uint32_t snaplen; /* 0 = unlimited */
    enum cap_ts_kind ts_kind;
    unsigned ts_shift;  /* CAP_TS_POW2: fraction bits, 0..63 */
    uint64_t ts_factor; /* CAP_TS_MUL / CAP_TS_DIV */
    uint64_t ts_off_ns; /* if_tsoffset in ns (two's complement, added modulo 2^64) */
};

/* State of a file source. */
struct cap_file {
    struct cap_rd rd;
    bool own_fd;        /* false for stdin: not closed */
    bool regular;       /* regular file: size known, progress reported */
    uint64_t size;      /* st_size of a regular file */
    bool big;           /* multi-byte fields are big-endian (pcap header / current section) */
    uint32_t frac_mult; /* pcap: ns per timestamp fraction unit (1000 for µs, 1 for ns) */
    /* pcapng only */
    struct cap_iface *ifaces; /* owned; n_ifaces used of ifaces_cap */
    uint32_t n_ifaces;
    uint32_t ifaces_cap;
};

/* State of a live source. */
struct cap_live {
    pcap_t *p;
    bool nano;      /* libpcap delivers ns in tv_usec (PCAP_TSTAMP_PRECISION_NANO) */
    int fd;         /* selectable fd of the non-blocking handle, or -1 (then blocking reads) */
    int timeout_ms; /* longest wait in cap_next before MM_EAGAIN */
};

struct cap_bpf_slot {
    bool used;
    int linktype;
    struct bpf_program prog;
};

/*
 * Operations of one kind of source (pcap little/big-endian, pcapng, live). next() returns
 * the next packet before filtering; cap_next() does the counting and the BPF check.
 */
struct cap_ops {
    int (*next)(cap_source_t *s, struct cap_pkt *out); /* 1, MM_EOF, MM_EAGAIN or error */
    void (*stats)(cap_source_t *s); /* refresh the kernel counters in s->st (may be no-op) */
    void (*close)(cap_source_t *s); /* release kind-specific state, not s itself */
    void (*brk)(cap_source_t *s);   /* async-signal-safe */
};

/*
 * A packet source. Fields the per-packet path reads (ops, counters, filter, reader) come
 * first; BPF slots, live state and text after them. Written only by the thread that owns the
 * source, except break_req (also cap_break(), possibly from a signal handler).
 */
struct cap_source {
    const struct cap_ops *ops;
    uint64_t pkt_no; /* packets read so far from this file (before filtering) */
    int sticky_err;  /* once an error was returned, cap_next() keeps returning it */
    int linktype;    /* pcap/live link type; pcapng: first IDB's, -1 before one is seen */
    bool live;
    int bpf_last; /* slot used for the previous packet, -1 none */
    char *filter; /* BPF expression, owned; NULL = no filter */
    struct cap_stats st;
    struct cap_file file;
    struct cap_bpf_slot bpf[CAP_BPF_SLOTS];
    unsigned bpf_evict;              /* next slot to reuse when all are taken */
    volatile sig_atomic_t break_req; /* set by cap_break() */
    struct cap_live lv;
    char *name;           /* cap_name(): path or interface, owned */
    const char *msg_name; /* name used in messages ("stdin" for "-") */
    char err[768];        /* cap_error() text */
};

extern const struct cap_ops cap_pcap_ops_le;
extern const struct cap_ops cap_pcap_ops_be;
extern const struct cap_ops cap_pcapng_ops;

/*
 * Parse the pcap file header (the magic was already recognised) / the first pcapng section
 * header, and set s->ops. 0, or an error with s->err filled.
 */
int cap_pcap_open(cap_source_t *s);
int cap_pcapng_open(cap_source_t *s);

/* live.c: open / set a kernel filter; errors as cap_open_live() and cap_set_filter(). */
cap_source_t *cap_live_open(const char *iface, const struct cap_live_opts *opts, char *err,
                            size_t errlen);
int cap_live_set_filter(cap_source_t *s, const char *expr, char *err, size_t errlen);

/* Allocate a zeroed source with its name; NULL on allocation failure. */
cap_source_t *cap_source_new(const char *name);

/* Close for file sources (ops->close): frees the reader and the pcapng interfaces. */
void cap_file_close(cap_source_t *s);
void cap_stats_noop(cap_source_t *s);
void cap_brk_noop(cap_source_t *s);

/*
 * Record an error: s->err = "<name>: <text>", s->sticky_err = rc; returns rc.
 * cap_fail_at() prefixes the position: "packet N (offset O): " for a damaged packet record
 * (N = the number that record would have had), or "block at offset O (after packet N): " for
 * another pcapng block.
 */
int cap_fail(cap_source_t *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cap_fail_at(cap_source_t *s, int rc, uint64_t off, bool is_pkt, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * A failed cap_rd_fill()/cap_rd_skip() at offset off: for MM_ETRUNC the caller's text
 * ("truncated record: header says 60 bytes, 20 present"), for MM_EIO the read error, for
 * MM_ENOMEM an allocation message. Returns rc.
 */
int cap_fail_read(cap_source_t *s, int rc, uint64_t off, bool is_pkt, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* LINKTYPE_* (files) <-> DLT_* (libpcap API): equal except for a few historical values. */
int cap_linktype_to_dlt(int linktype);
int cap_dlt_to_linktype(int dlt);

#endif
