/*
 * Packet source dispatch: opening files (format chosen by the magic number), the buffered
 * reader every file format reads through, the BPF filter for file sources, counters, error
 * text, and link type names/numbers. The formats themselves are in file_pcap.c and
 * file_pcapng.c, live capture in live.c.
 *
 * BPF for files: libpcap compiles an expression for one link type, and a pcapng file may mix
 * link types, so each expression is compiled lazily per link type seen (pcap_open_dead +
 * pcap_compile) and kept in a small cache; pcap_offline_filter() runs it on each packet.
 * Live sources filter in the kernel (pcap_setfilter), so their pkts_filtered stays 0.
 */
#include "capture/capture.h"

#include "capture/capture_int.h"
#include "core/log.h"
#include "core/mm.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- buffered reader ---------------------------------------------------------------- */

int cap_rd_init(struct cap_rd *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->buf = malloc(CAP_RD_INIT_CAP);
    if (r->buf == NULL)
        return MM_ENOMEM;
    r->cap = CAP_RD_INIT_CAP;
    return 0;
}

void cap_rd_fini(struct cap_rd *r)
{
    free(r->buf);
    r->buf = NULL;
    r->cap = r->pos = r->end = 0;
}

static volatile sig_atomic_t *g_interrupt;

void cap_set_interrupt_flag(volatile sig_atomic_t *flag)
{
    g_interrupt = flag;
}

/* One read() of at most a chunk into the free space at the end of the buffer. EINTR is
 * retried unless the interrupt flag is set: a signal that asks to stop must not wait for a
 * silent pipe. */
static int rd_read_some(struct cap_rd *r)
{
    for (;;) {
        size_t want = r->cap - r->end;
        if (want > CAP_RD_CHUNK)
            want = CAP_RD_CHUNK;
        ssize_t k = read(r->fd, r->buf + r->end, want);
        if (k > 0) {
            r->end += (size_t)k;
            return 0;
        }
        if (k == 0) {
            r->eof = true;
            return MM_ETRUNC;
        }
        if (errno != EINTR || (g_interrupt && *g_interrupt)) {
            r->rd_errno = errno;
            return MM_EIO;
        }
    }
}

int cap_rd_fill(struct cap_rd *r, size_t n)
{
    MM_ASSERT(n <= CAP_RD_MAX_CAP - CAP_RD_CHUNK);
    if (cap_rd_avail(r) >= n)
        return 0;
    if (r->rd_errno != 0)
        return MM_EIO;
    if (r->eof)
        return MM_ETRUNC;
    /* Move the unconsumed tail (less than one record) to the front, then read whole chunks
     * behind it: one memmove of a partial record per refill. */
    if (r->pos > 0) {
        size_t left = cap_rd_avail(r);
        memmove(r->buf, r->buf + r->pos, left);
        r->buf_off += r->pos;
        r->pos = 0;
        r->end = left;
    }
    while (r->end < n) {
        if (r->end == r->cap) {
            /* Only a pcapng block larger than the buffer gets here, and the buffer grows
             * only once it is full of real file bytes. */
            size_t ncap = r->cap * 2 > CAP_RD_MAX_CAP ? CAP_RD_MAX_CAP : r->cap * 2;
            uint8_t *nb = realloc(r->buf, ncap);
            if (nb == NULL)
                return MM_ENOMEM;
            r->buf = nb;
            r->cap = ncap;
        }
        int rc = rd_read_some(r);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int cap_rd_skip(struct cap_rd *r, uint64_t n)
{
    if (cap_rd_avail(r) >= n) {
        r->pos += (size_t)n;
        return 0;
    }
    n -= cap_rd_avail(r);
    r->buf_off += r->end;
    r->pos = r->end = 0;
    while (n > 0) {
        if (r->rd_errno != 0)
            return MM_EIO;
        if (r->eof)
            return MM_ETRUNC;
        int rc = rd_read_some(r);
        if (rc != 0)
            return rc;
        size_t take = r->end > n ? (size_t)n : r->end;
        r->pos = take;
        n -= take;
        if (r->pos == r->end) {
            r->buf_off += r->end;
            r->pos = r->end = 0;
        }
    }
    return 0;
}

/* ---- errors --------------------------------------------------------------------------- */

static void fail_v(cap_source_t *s, int rc, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static void fail_v(cap_source_t *s, int rc, const char *prefix, const char *fmt, va_list ap)
{
    int n = snprintf(s->err, sizeof s->err, "%s: %s", s->msg_name, prefix);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof s->err)
        vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
    s->sticky_err = rc;
}

int cap_fail(cap_source_t *s, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fail_v(s, rc, "", fmt, ap);
    va_end(ap);
    return rc;
}

static void pos_prefix(const cap_source_t *s, char *buf, size_t len, uint64_t off, bool is_pkt)
{
    if (is_pkt)
        snprintf(buf, len, "packet %llu (offset %llu): ", (unsigned long long)(s->pkt_no + 1),
                 (unsigned long long)off);
    else
        snprintf(buf, len, "block at offset %llu (after packet %llu): ", (unsigned long long)off,
                 (unsigned long long)s->pkt_no);
}

int cap_fail_at(cap_source_t *s, int rc, uint64_t off, bool is_pkt, const char *fmt, ...)
{
    char prefix[96];
    pos_prefix(s, prefix, sizeof prefix, off, is_pkt);
    va_list ap;
    va_start(ap, fmt);
    fail_v(s, rc, prefix, fmt, ap);
    va_end(ap);
    return rc;
}

int cap_fail_read(cap_source_t *s, int rc, uint64_t off, bool is_pkt, const char *fmt, ...)
{
    if (rc == MM_EIO)
        return cap_fail_at(s, rc, off, is_pkt, "read error: %s", strerror(s->file.rd.rd_errno));
    if (rc == MM_ENOMEM)
        return cap_fail_at(s, rc, off, is_pkt, "out of memory for the read buffer");
    char prefix[96];
    pos_prefix(s, prefix, sizeof prefix, off, is_pkt);
    va_list ap;
    va_start(ap, fmt);
    fail_v(s, rc, prefix, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- sources -------------------------------------------------------------------------- */

cap_source_t *cap_source_new(const char *name)
{
    cap_source_t *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    s->name = strdup(name);
    if (s->name == NULL) {
        free(s);
        return NULL;
    }
    s->msg_name = s->name;
    s->linktype = -1;
    s->bpf_last = -1;
    s->file.rd.fd = -1;
    return s;
}

void cap_file_close(cap_source_t *s)
{
    cap_rd_fini(&s->file.rd);
    if (s->file.own_fd && s->file.rd.fd >= 0)
        close(s->file.rd.fd);
    s->file.rd.fd = -1;
    free(s->file.ifaces);
    s->file.ifaces = NULL;
}

void cap_stats_noop(cap_source_t *s)
{
    (void)s;
}

void cap_brk_noop(cap_source_t *s)
{
    (void)s;
}

/* Ops used until the format is known, so cap_close() works on a half-opened source. */
static const struct cap_ops file_opening_ops = {
    .next = NULL,
    .stats = cap_stats_noop,
    .close = cap_file_close,
    .brk = cap_brk_noop,
};

/* A hint for files people commonly pass by mistake, from their first four bytes. */
static const char *magic_hint(const uint8_t *m)
{
    if (m[0] == 0x1f && m[1] == 0x8b)
        return " (gzip-compressed: decompress it first)";
    if (m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        return " (zstd-compressed: decompress it first)";
    if (m[0] == 0xfd && m[1] == '7' && m[2] == 'z' && m[3] == 'X')
        return " (xz-compressed: decompress it first)";
    uint32_t le = cap_get32(m, false);
    if (le == 0xa1b2cd34 || le == 0x34cdb2a1)
        return " (Kuznetzov's modified pcap format is not supported)";
    return "";
}

static int open_file(cap_source_t *s, const char *path)
{
    struct cap_file *f = &s->file;
    int fd;
    if (strcmp(path, "-") == 0) {
        s->msg_name = "stdin";
        fd = fileno(stdin);
        if (fd < 0)
            return cap_fail(s, MM_EIO, "standard input is closed");
        f->own_fd = false;
    } else {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return cap_fail(s, MM_EIO, "%s", strerror(errno));
        f->own_fd = true;
    }
    s->ops = &file_opening_ops;
    if (cap_rd_init(&f->rd, fd) != 0) /* cap_file_close() closes fd */
        return cap_fail(s, MM_ENOMEM, "out of memory");
    struct stat st;
    if (fstat(fd, &st) != 0)
        return cap_fail(s, MM_EIO, "%s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return cap_fail(s, MM_EINVAL, "is a directory");
    if (S_ISREG(st.st_mode)) {
        f->regular = true;
        f->size = (uint64_t)st.st_size;
#ifdef POSIX_FADV_SEQUENTIAL
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    }

    int rc = cap_rd_fill(&f->rd, 4);
    if (rc == MM_EIO)
        return cap_fail(s, MM_EIO, "read error: %s", strerror(f->rd.rd_errno));
    if (rc == MM_ETRUNC && cap_rd_avail(&f->rd) == 0)
        return cap_fail(s, MM_EFORMAT, "empty file (0 bytes): not a pcap or pcapng file");
    if (rc != 0)
        return cap_fail(s, MM_EFORMAT, "file too short to be a capture file (%zu bytes)",
                        cap_rd_avail(&f->rd));

    const uint8_t *m = f->rd.buf + f->rd.pos;
    uint32_t magic = cap_get32(m, false);
    switch (magic) {
    case 0xa1b2c3d4: /* pcap, microseconds */
    case 0xd4c3b2a1:
    case 0xa1b23c4d: /* pcap, nanoseconds */
    case 0x4d3cb2a1: return cap_pcap_open(s);
    case 0x0a0d0d0a: /* pcapng Section Header Block (same value in both byte orders) */
        return cap_pcapng_open(s);
    default:
        return cap_fail(s, MM_EFORMAT, "not a pcap or pcapng file (magic 0x%08x)%s",
                        cap_get32(m, true), magic_hint(m));
    }
}

cap_source_t *cap_open_file(const char *path, char *err, size_t errlen)
{
    if (path == NULL) {
        snprintf(err, errlen, "no capture file given");
        return NULL;
    }
    cap_source_t *s = cap_source_new(path);
    if (s == NULL) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    if (open_file(s, path) != 0) {
        snprintf(err, errlen, "%s", s->err);
        cap_close(s);
        return NULL;
    }
    return s;
}

cap_source_t *cap_open_live(const char *iface, const struct cap_live_opts *opts, char *err,
                            size_t errlen)
{
    return cap_live_open(iface, opts, err, errlen);
}

void cap_close(cap_source_t *s)
{
    if (s == NULL)
        return;
    if (s->ops != NULL)
        s->ops->close(s);
    for (size_t i = 0; i < CAP_BPF_SLOTS; i++)
        if (s->bpf[i].used)
            pcap_freecode(&s->bpf[i].prog);
    free(s->filter);
    free(s->name);
    free(s);
}

/* ---- BPF ------------------------------------------------------------------------------ */

/* Compile expr for a link type into *prog. 0, or MM_EINVAL/MM_ENOMEM with text in msg. */
static int bpf_compile(const char *expr, int linktype, struct bpf_program *prog, char *msg,
                       size_t msglen)
{
    pcap_t *dead = pcap_open_dead(cap_linktype_to_dlt(linktype), (int)CAP_MAX_CAPLEN);
    if (dead == NULL) {
        snprintf(msg, msglen, "out of memory compiling the filter");
        return MM_ENOMEM;
    }
    int rc = 0;
    if (pcap_compile(dead, prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(msg, msglen, "filter \"%s\" does not compile for link type %s: %s", expr,
                 cap_linktype_name(linktype), pcap_geterr(dead));
        rc = MM_EINVAL;
    }
    pcap_close(dead);
    return rc;
}

/* Store a compiled program for linktype, evicting round-robin when the cache is full. */
static int bpf_store(cap_source_t *s, int linktype, const struct bpf_program *prog)
{
    int slot = -1;
    for (int i = 0; i < CAP_BPF_SLOTS; i++) {
        if (!s->bpf[i].used) {
            slot = i;
            break;
        }
    }
    if (slot < 0) {
        slot = (int)(s->bpf_evict++ % CAP_BPF_SLOTS);
        pcap_freecode(&s->bpf[slot].prog);
    }
    s->bpf[slot].used = true;
    s->bpf[slot].linktype = linktype;
    s->bpf[slot].prog = *prog;
    return slot;
}

static void bpf_clear(cap_source_t *s)
{
    for (size_t i = 0; i < CAP_BPF_SLOTS; i++) {
        if (s->bpf[i].used)
            pcap_freecode(&s->bpf[i].prog);
        s->bpf[i].used = false;
    }
    s->bpf_last = -1;
    free(s->filter);
    s->filter = NULL;
}

/* 1 if the packet passes the file filter, 0 if rejected, <0 if the filter cannot compile. */
static int bpf_match(cap_source_t *s, const struct cap_pkt *p)
{
    int slot = s->bpf_last;
    if (slot < 0 || s->bpf[slot].linktype != p->linktype) {
        slot = -1;
        for (int i = 0; i < CAP_BPF_SLOTS; i++) {
            if (s->bpf[i].used && s->bpf[i].linktype == p->linktype) {
                slot = i;
                break;
            }
        }
        if (slot < 0) {
            struct bpf_program prog;
            char msg[512];
            int rc = bpf_compile(s->filter, p->linktype, &prog, msg, sizeof msg);
            if (rc != 0)
                return cap_fail(s, rc, "packet %llu: %s", (unsigned long long)p->pkt_no, msg);
            slot = bpf_store(s, p->linktype, &prog);
        }
        s->bpf_last = slot;
    }
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.caplen = p->caplen;
    h.len = p->wirelen;
    return pcap_offline_filter(&s->bpf[slot].prog, &h, p->data) != 0;
}

int cap_set_filter(cap_source_t *s, const char *expr, char *err, size_t errlen)
{
    if (s->live)
        return cap_live_set_filter(s, expr, err, errlen);
    if (expr == NULL || expr[0] == '\0') {
        bpf_clear(s);
        return 0;
    }
    /* Compile now for the link type we know (for syntax errors at startup, not at the first
     * packet). Before a pcapng file has shown an interface, Ethernet stands in for checking
     * syntax only. */
    int lt = s->linktype >= 0 ? s->linktype : CAP_LINK_ETHERNET;
    struct bpf_program prog;
    char msg[512];
    int rc = bpf_compile(expr, lt, &prog, msg, sizeof msg);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", s->msg_name, msg);
        return MM_EINVAL;
    }
    char *copy = strdup(expr);
    if (copy == NULL) {
        pcap_freecode(&prog);
        snprintf(err, errlen, "out of memory");
        return MM_ENOMEM;
    }
    bpf_clear(s);
    s->filter = copy;
    if (s->linktype >= 0)
        s->bpf_last = bpf_store(s, lt, &prog);
    else
        pcap_freecode(&prog);
    return 0;
}

/* ---- reading -------------------------------------------------------------------------- */

int cap_next(cap_source_t *s, struct cap_pkt *out)
{
    if (MM_UNLIKELY(s->sticky_err != 0))
        return s->sticky_err;
    for (;;) {
        int rc = s->ops->next(s, out);
        if (rc != 1)
            return rc;
        s->st.pkts_read++;
        s->st.bytes_read += out->caplen;
        if (out->caplen < out->wirelen)
            s->st.snap_truncated++;
        if (s->filter == NULL || s->live)
            return 1;
        rc = bpf_match(s, out);
        if (rc > 0)
            return 1;
        if (rc < 0)
            return rc;
        s->st.pkts_filtered++;
    }
}

const char *cap_error(const cap_source_t *s)
{
    return s->err;
}

void cap_break(cap_source_t *s)
{
    s->ops->brk(s);
}

void cap_get_stats(cap_source_t *s, struct cap_stats *out)
{
    s->ops->stats(s);
    *out = s->st;
}

double cap_progress(const cap_source_t *s)
{
    if (s->live || !s->file.regular || s->file.size == 0)
        return -1.0;
    double done = (double)cap_rd_offset(&s->file.rd) / (double)s->file.size;
    return done > 1.0 ? 1.0 : done;
}

bool cap_is_live(const cap_source_t *s)
{
    return s->live;
}

int cap_linktype(const cap_source_t *s)
{
    return s->linktype;
}

const char *cap_name(const cap_source_t *s)
{
    return s->name;
}

/* ---- link types ----------------------------------------------------------------------- */

/*
 * Files carry LINKTYPE_* values; libpcap's API (pcap_open_dead, pcap_datalink) uses DLT_*.
 * They are the same number except for a few types whose DLT_ value differs between
 * operating systems, which is why LINKTYPE_* was introduced (see the tcpdump.org
 * link-layer header types list).
 */
int cap_linktype_to_dlt(int linktype)
{
    switch (linktype) {
    case 100: return DLT_ATM_RFC1483;
    case CAP_LINK_RAW: return DLT_RAW;
    case 102: return DLT_SLIP_BSDOS;
    case 103: return DLT_PPP_BSDOS;
    case CAP_LINK_LOOP: return DLT_LOOP;
    default: return linktype;
    }
}

int cap_dlt_to_linktype(int dlt)
{
    if (dlt == DLT_RAW)
        return CAP_LINK_RAW;
    if (dlt == DLT_LOOP)
        return CAP_LINK_LOOP;
    if (dlt == DLT_ATM_RFC1483)
        return 100;
    return dlt;
}

const char *cap_linktype_name(int linktype)
{
    switch (linktype) {
    case CAP_LINK_NULL: return "NULL";
    case CAP_LINK_ETHERNET: return "EN10MB";
    case CAP_LINK_RAW: return "RAW";
    case CAP_LINK_LOOP: return "LOOP";
    case CAP_LINK_LINUX_SLL: return "LINUX_SLL";
    case CAP_LINK_IPV4: return "IPV4";
    case CAP_LINK_IPV6: return "IPV6";
    case CAP_LINK_LINUX_SLL2: return "LINUX_SLL2";
    default: break;
    }
    /* Types we do not decode: libpcap's name when it has one, for clearer messages. DLT
     * values 11..49 and 100..103 differ between systems, so they get no name. */
    if ((linktype >= 0 && linktype <= 10) || (linktype >= 50 && linktype < 100) ||
        (linktype > 103 && linktype != CAP_LINK_LOOP)) {
        const char *n = pcap_datalink_val_to_name(linktype);
        if (n != NULL)
            return n;
    }
    static _Thread_local char buf[32];
    snprintf(buf, sizeof buf, "LINKTYPE_%d", linktype);
    return buf;
}
