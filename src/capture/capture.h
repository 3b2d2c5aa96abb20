/*
 * Packet sources: capture files (pcap in both byte orders with micro- or nanosecond
 * timestamps, pcapng with several interfaces and per-interface link types) and live
 * interfaces through libpcap. Both honour a BPF filter compiled by libpcap.
 *
 * Files are read by our own reader (capture/file_*.c) rather than pcap_open_offline(),
 * because libpcap refuses pcapng files whose interfaces differ in link type, and because we
 * want the exact packet number and byte offset of damage in a truncated or corrupt file.
 * Live capture and all BPF compilation/execution are libpcap's.
 *
 * Not thread-safe: one source is used by one thread. cap_break() alone may be called from a
 * signal handler.
 */
#ifndef MM_CAPTURE_CAPTURE_H
#define MM_CAPTURE_CAPTURE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types we decode (values are the pcap LINKTYPE_* numbers). */
enum cap_linktype {
    CAP_LINK_NULL = 0,        /* BSD loopback: 4-byte host-order address family */
    CAP_LINK_ETHERNET = 1,
    CAP_LINK_RAW = 101,       /* raw IPv4 or IPv6, version from the first nibble */
    CAP_LINK_LOOP = 108,      /* OpenBSD loopback: 4-byte network-order family */
    CAP_LINK_LINUX_SLL = 113,
    CAP_LINK_IPV4 = 228,
    CAP_LINK_IPV6 = 229,
    CAP_LINK_LINUX_SLL2 = 276,
};

/* One packet, borrowed: `data` is valid until the next cap_next() or cap_close(). */
struct cap_pkt {
    const uint8_t *data;
    uint32_t caplen;  /* bytes present in data */
    uint32_t wirelen; /* original length on the wire (>= caplen for sane input) */
    uint64_t ts_ns;   /* nanoseconds since the Unix epoch */
    int linktype;     /* LINKTYPE_* of the interface this packet came from */
    uint32_t iface;   /* pcapng interface index; 0 for pcap and live */
    uint64_t pkt_no;  /* 1-based packet number within the current file (before filtering) */
};

struct cap_stats {
    uint64_t pkts_read;     /* packets read from the source (before BPF) */
    uint64_t pkts_filtered; /* packets the BPF filter rejected */
    uint64_t bytes_read;    /* sum of caplen of packets read */
    uint64_t snap_truncated; /* packets with caplen < wirelen */
    uint64_t kernel_received; /* live: pcap_stats ps_recv */
    uint64_t kernel_dropped;  /* live: ps_drop (buffer full) */
    uint64_t iface_dropped;   /* live: ps_ifdrop (interface/driver) */
};

struct cap_live_opts {
    int snaplen;           /* 0 = 262144 */
    int buffer_size_bytes; /* kernel buffer; 0 = libpcap default */
    bool promisc;          /* default true */
    int timeout_ms;        /* read timeout for cap_next to return MM_EAGAIN; 0 = 100 ms */
};

typedef struct cap_source cap_source_t;

/*
 * Open a capture file; "-" reads standard input. The format (pcap or pcapng, either byte
 * order) is detected from the magic number, never from the file name.
 * Returns NULL and writes a one-line reason (naming the file) to err on failure.
 */
cap_source_t *cap_open_file(const char *path, char *err, size_t errlen);

/*
 * Open a live interface ("any" for all). opts may be NULL for the defaults (snaplen 262144,
 * promiscuous, 100 ms timeout). Warnings from pcap_activate() are logged with log_warn().
 * NULL and a reason in err on failure.
 */
cap_source_t *cap_open_live(const char *iface, const struct cap_live_opts *opts, char *err,
                            size_t errlen);

/*
 * Install a BPF filter (tcpdump syntax). For files it is compiled per link type on first
 * use of that link type; a filter that cannot compile for the file's link type makes
 * cap_next() fail with MM_EINVAL and a message. Returns 0 or MM_EINVAL with text in err.
 * For files the expression is also compiled at once for the link type known at open (or
 * Ethernet), so syntax errors show here; on failure the previous filter stays. NULL or ""
 * removes the filter. Live sources filter in the kernel: their pkts_filtered stays 0.
 */
int cap_set_filter(cap_source_t *s, const char *expr, char *err, size_t errlen);

/*
 * Next packet that passes the filter.
 * Returns 1 with *out filled; MM_EOF at a clean end of input; MM_EAGAIN when a live read
 * timed out or cap_break() was called; or MM_ETRUNC / MM_EFORMAT / MM_EIO / MM_EINVAL on
 * damage, with cap_error() naming the file, the packet number and what was wrong. Packets
 * returned before an error stay valid results: the caller processes them and then stops.
 */
int cap_next(cap_source_t *s, struct cap_pkt *out);

/*
 * Text of the last error ("" if none), e.g.
 * "x.pcap: packet 1234 (offset 56789): truncated record: header says 60 bytes, 20 present";
 * damage in a pcapng block that holds no packet reads "x.pcapng: block at offset 96 (after
 * packet 3): ...". Errors are sticky: later cap_next() calls return the same code.
 */
const char *cap_error(const cap_source_t *s);

/*
 * Ask a blocking live read to return (async-signal-safe): the current or next cap_next()
 * returns MM_EAGAIN once. No effect on files.
 */
void cap_break(cap_source_t *s);

/*
 * Process-wide: when *flag is non-zero, a file read interrupted by a signal (EINTR) fails
 * with MM_EIO ("Interrupted system call") instead of being retried, so a stop request is
 * not held up by a silent pipe on stdin. The flag is only read; NULL turns this off.
 */
void cap_set_interrupt_flag(volatile sig_atomic_t *flag);

/* Counters so far; live sources also refresh the kernel counters. */
void cap_get_stats(cap_source_t *s, struct cap_stats *out);

/* Fraction of a regular input file consumed, 0..1; negative when unknown (stdin, live). */
double cap_progress(const cap_source_t *s);

/* True for live sources. */
bool cap_is_live(const cap_source_t *s);

/*
 * Link type of a live source or a pcap file; for pcapng, the first interface's (or -1). A
 * pcapng file is read ahead at open up to its first interface or packet so this is known.
 */
int cap_linktype(const cap_source_t *s);

/* Name for EVE in_iface: the interface name when live, else the file's path. Borrowed. */
const char *cap_name(const cap_source_t *s);

void cap_close(cap_source_t *s);

/*
 * Expand the -r arguments into the list of files to read, in order: a directory becomes its
 * regular files sorted by name (not recursive, dot-files skipped); "-" and files pass through.
 * On success returns 0 and sets *out (array of strdup'ed paths, caller frees each and the
 * array with cap_free_paths) and *n_out; an empty directory adds nothing, so *n_out may be 0.
 * On failure (a path that does not exist or cannot be listed: MM_EIO, text naming the path
 * in err; MM_ENOMEM) *out is NULL and *n_out 0.
 */
int cap_expand_inputs(const char *const *args, size_t n_args, char ***out, size_t *n_out,
                      char *err, size_t errlen);
void cap_free_paths(char **paths, size_t n);

/*
 * Name of a link type for messages ("EN10MB", "LINUX_SLL2", ...; libpcap's name for types we
 * do not decode, else "LINKTYPE_<n>"); never NULL. The "LINKTYPE_<n>" text is in a
 * thread-local buffer valid until the next call in the same thread.
 */
const char *cap_linktype_name(int linktype);

#endif
