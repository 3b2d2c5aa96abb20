/*
 * Live capture through libpcap: pcap_create + options + pcap_activate, then pcap_next_ex()
 * one packet at a time. Immediate mode delivers packets as they arrive. The BPF filter runs
 * in the kernel (pcap_setfilter), so rejected packets are never seen here and pkts_filtered
 * stays 0 for live sources.
 *
 * Waiting: libpcap's timeout is a packet buffer timeout, not a read timeout; on Linux
 * (libpcap 1.10) a blocking pcap_next_ex() on an idle interface never returns, and after
 * one pcap_breakloop() it blocks again. So the handle is non-blocking and cap_next() polls
 * its selectable fd for at most timeout_ms, returning MM_EAGAIN on an idle interface so the
 * caller can run timers and notice a stop request. A signal (cap_break() from a handler)
 * ends the poll at once with EINTR; cap_break() from another thread is seen within
 * timeout_ms. Without a selectable fd we fall back to blocking reads.
 *
 * Timestamps: nanosecond precision when libpcap and the platform offer it, else
 * microseconds * 1000. On Linux the "any" pseudo-interface is switched to LINUX_SLL2 (which
 * carries the interface index) when libpcap supports it, else it stays LINUX_SLL.
 */
#include "capture/capture_int.h"
#include "core/log.h"
#include "core/mm.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int live_next(cap_source_t *s, struct cap_pkt *out)
{
    if (s->break_req) {
        s->break_req = 0;
        return MM_EAGAIN;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc = pcap_next_ex(s->lv.p, &h, &data);
    if (rc == 0 && s->lv.fd >= 0) {
        /* Non-blocking handle with nothing queued: wait here for at most the read timeout.
         * (In immediate mode on Linux, a blocking pcap_next_ex() does not return on its
         * timeout, which would leave idle flows and stop requests unattended.) */
        struct pollfd pfd = {.fd = s->lv.fd, .events = POLLIN};
        int pr = poll(&pfd, 1, s->lv.timeout_ms);
        if (pr <= 0 || s->break_req) {
            s->break_req = 0;
            return MM_EAGAIN;
        }
        rc = pcap_next_ex(s->lv.p, &h, &data);
    }
    if (rc == 1) {
        out->data = data;
        out->caplen = h->caplen;
        out->wirelen = h->len;
        out->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000u +
                     (uint64_t)h->ts.tv_usec * (s->lv.nano ? 1u : 1000u);
        out->linktype = s->linktype;
        out->iface = 0;
        out->pkt_no = ++s->pkt_no;
        return 1;
    }
    if (rc == 0) /* woken with nothing to read (or a blocking read's timeout) */
        return MM_EAGAIN;
    if (rc == PCAP_ERROR_BREAK) { /* pcap_breakloop() from cap_break() */
        s->break_req = 0;
        return MM_EAGAIN;
    }
    /* PCAP_ERROR: the interface went down, was removed, ... The source stays usable for
     * cap_get_stats() and cap_close() only. */
    return cap_fail(s, MM_EIO, "capture error: %s", pcap_geterr(s->lv.p));
}

static void live_stats(cap_source_t *s)
{
    struct pcap_stat ps;
    if (pcap_stats(s->lv.p, &ps) == 0) {
        s->st.kernel_received = ps.ps_recv;
        s->st.kernel_dropped = ps.ps_drop;
        s->st.iface_dropped = ps.ps_ifdrop;
    }
}

static void live_close(cap_source_t *s)
{
    if (s->lv.p != NULL)
        pcap_close(s->lv.p);
    s->lv.p = NULL;
}

/* Only a flag store and pcap_breakloop() (a flag store plus, on Linux, an eventfd write):
 * safe in a signal handler. */
static void live_brk(cap_source_t *s)
{
    s->break_req = 1;
    pcap_breakloop(s->lv.p);
}

static const struct cap_ops live_ops = {
    .next = live_next,
    .stats = live_stats,
    .close = live_close,
    .brk = live_brk,
};

/* Prefer LINUX_SLL2 on "any": it names the interface each packet came from. */
static void any_prefer_sll2(pcap_t *p)
{
    int *dlts = NULL;
    int n = pcap_list_datalinks(p, &dlts);
    for (int i = 0; i < n; i++) {
        if (dlts[i] == DLT_LINUX_SLL2) {
            if (pcap_set_datalink(p, DLT_LINUX_SLL2) != 0)
                log_debug("any: cannot switch to LINUX_SLL2: %s", pcap_geterr(p));
            break;
        }
    }
    if (dlts != NULL)
        pcap_free_datalinks(dlts);
}

cap_source_t *cap_live_open(const char *iface, const struct cap_live_opts *opts, char *err,
                            size_t errlen)
{
    static const struct cap_live_opts defaults = {.promisc = true};
    if (opts == NULL)
        opts = &defaults;
    if (iface == NULL || iface[0] == '\0') {
        snprintf(err, errlen, "no interface given");
        return NULL;
    }
    cap_source_t *s = cap_source_new(iface);
    if (s == NULL) {
        snprintf(err, errlen, "%s: out of memory", iface);
        return NULL;
    }
    s->live = true;

    char ebuf[PCAP_ERRBUF_SIZE];
    ebuf[0] = '\0';
    pcap_t *p = pcap_create(iface, ebuf);
    if (p == NULL) {
        snprintf(err, errlen, "%s: cannot open: %s", iface, ebuf);
        cap_close(s);
        return NULL;
    }
    s->lv.p = p;
    s->ops = &live_ops;

    (void)pcap_set_snaplen(p, opts->snaplen > 0 ? opts->snaplen : CAP_DEFAULT_SNAPLEN);
    (void)pcap_set_promisc(p, opts->promisc ? 1 : 0);
    (void)pcap_set_timeout(p, opts->timeout_ms > 0 ? opts->timeout_ms : 100);
    (void)pcap_set_immediate_mode(p, 1);
    if (opts->buffer_size_bytes > 0)
        (void)pcap_set_buffer_size(p, opts->buffer_size_bytes);
#ifdef PCAP_TSTAMP_PRECISION_NANO
    /* Fails with PCAP_ERROR_TSTAMP_PRECISION_NOTSUP where unsupported: keep microseconds. */
    (void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
#endif

    int rc = pcap_activate(p);
    if (rc < 0) {
        const char *detail = pcap_geterr(p);
        if (strcmp(detail, pcap_statustostr(rc)) == 0)
            detail = ""; /* libpcap often repeats the status text */
        const char *hint = (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
                               ? " (needs root or CAP_NET_RAW)"
                               : "";
        snprintf(err, errlen, "%s: cannot capture: %s%s%s%s", iface, pcap_statustostr(rc),
                 detail[0] ? ": " : "", detail, hint);
        cap_close(s);
        return NULL;
    }
    if (rc > 0) {
        const char *detail = pcap_geterr(p);
        log_warn("%s: %s%s%s", iface, pcap_statustostr(rc), detail[0] ? ": " : "", detail);
    }
#ifdef PCAP_TSTAMP_PRECISION_NANO
    s->lv.nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
#endif
    if (strcmp(iface, "any") == 0)
        any_prefer_sll2(p);
    s->lv.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 100;
    s->lv.fd = -1;
    if (pcap_setnonblock(p, 1, ebuf) == 0) {
        s->lv.fd = pcap_get_selectable_fd(p);
        if (s->lv.fd < 0) /* nothing to poll: a non-blocking handle would spin */
            (void)pcap_setnonblock(p, 0, ebuf);
    }
    s->linktype = cap_dlt_to_linktype(pcap_datalink(p));
    return s;
}

int cap_live_set_filter(cap_source_t *s, const char *expr, char *err, size_t errlen)
{
    struct bpf_program prog;
    if (expr == NULL)
        expr = ""; /* the empty program accepts everything */
    if (pcap_compile(s->lv.p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        snprintf(err, errlen, "%s: bad filter \"%s\": %s", s->name, expr, pcap_geterr(s->lv.p));
        return MM_EINVAL;
    }
    int rc = pcap_setfilter(s->lv.p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        snprintf(err, errlen, "%s: cannot install filter \"%s\": %s", s->name, expr,
                 pcap_geterr(s->lv.p));
        return MM_EINVAL;
    }
    return 0;
}
