/*
 * T2: port scans (docs/detectors/portscan.md).
 *
 * Sees the first packet of every flow in each direction, ICMP destination-unreachable errors
 * and flow ends; never the packets in between. A flow's first client packet is a probe when
 * it is a TCP SYN, FIN, NULL or XMAS segment, a UDP datagram, or an ICMP echo, timestamp or
 * address-mask request (a ping: host discovery, whose "port" is the host itself); a first
 * client ACK without payload is an ACK probe when the server answers it with a RST (an ACK
 * alone is also what a connection picked up mid-stream starts with). Each probe gets an
 * outcome:
 *
 *   open        SYN-ACK to a SYN, a UDP reply, a reply to a ping (the host is up)
 *   closed      RST, or ICMP port unreachable quoting the probe
 *   filtered    any other ICMP destination unreachable quoting the probe
 *   unanswered  a SYN or a ping whose flow ended without a reply (flow timeout or end of input)
 *
 * Three bounded tables (mm_lru, one memcap split between them) keep the state, with a fourth
 * in front of the first:
 *
 *   source         per scanning address: a sequential hypothesis test in the spirit of
 *                  Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan 2004) over the
 *                  outcomes of its first contacts to (host, port), distinct hosts and ports,
 *                  horizontal and block scan reports;
 *   source->host   per (scanner, target), made once the source shows negative evidence
 *                  (a failure or a stealth probe): distinct ports, open ports found, stealth
 *                  probes, the vertical scan report;
 *   target         per probed address: failed probes from sources that each probed few of
 *                  its ports (the distributed scan report);
 *   first probe    per address seen once: its one probe and, if it came, the open answer
 *                  to it (~100 bytes instead of a ~1 KiB source entry). Nearly every address
 *                  is a client making one connection, or a spoofed source of a flood: the
 *                  source entry is made from this record (replaying what it holds) at the
 *                  address's next event, or at any event the record cannot hold (a failure,
 *                  a stealth probe, a second answer, a window that ran out), so every count
 *                  and report is what a source entry from the first probe on would give.
 *
 * The walk adds ln((1-t1)/(1-t0)) for each failed first contact and ln(t1/t0) for each
 * successful one (t0, t1: success probability of a benign host and of a scanner); it is held
 * at its lower bound ln((1-b)/(1-a)) so that a long benign history buys only a bounded
 * credit, and marks the source a scanner at ln(b/a) (a, b: false-positive and detection
 * probabilities). A variant is reported when the source is a scanner (or sent stealth
 * probes) and its distinct-count threshold holds in the window; the first report waits until
 * the scan is quiet (bounded), so that it tells the whole scan.
 *
 * A source whose horizontal scan is mostly pings is reported as a host sweep (its own sid),
 * when at least min-hosts of its probes failed and no more were answered (monitoring systems
 * ping too).
 *
 * ARP sweeps, the host discovery of the local network segment (where a ping to an absent
 * address never reaches the wire: only the ARP request for it does), are counted apart, per
 * machine that asks (its MAC): distinct addresses asked for by broadcast within arp-window,
 * and how many of them answered it. Many addresses and few answers are a sweep (its own sid).
 *
 * Left out: IP protocol scans, scans spread across VLANs with
 * overlapping addresses (VLAN ids are not part of the keys), SCTP.
 */
#include "detect/dtr_int.h"

#include "core/mm.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- configuration --------------------------------------------------------------------- */

struct ps_cfg {
    size_t memcap;
    uint64_t window_ns;
    uint32_t min_ports;
    uint32_t min_hosts;
    uint32_t stealth_min_ports;
    double theta0, theta1, alpha, beta;
    uint32_t dist_min_sources;
    uint32_t dist_min_ports;
    uint64_t dist_window_ns;
    uint64_t connect_max_ns;
    uint64_t report_delay_ns;
    uint64_t report_quiet_ns;
    uint32_t arp_min_hosts;
    uint64_t arp_window_ns;
    double arp_max_answered;
    uint64_t arp_live_ns;
    double monitor_share;
};

#define PS_STEALTH_MAX 16u /* distinct stealth-probed ports remembered per (scanner, host) */
#define PS_EXAMPLES 10u    /* ports, hosts, sources and open services listed in evidence */

static const struct dtr_param ps_params[] = {
    {"memcap", DTR_P_SIZE, offsetof(struct ps_cfg, memcap), "16mb", 262144, 68719476736.0,
     "memory for the first-probe, source, source-host, target and ARP tables together: about "
     "37,000 addresses seen once and 3,500 repeat or scanning sources fit in the default, and a "
     "spoofed flood only takes over the oldest entries"},
    {"window", DTR_P_DURATION, offsetof(struct ps_cfg, window_ns), "5m", 1, 86400,
     "counting window: distinct ports and hosts must reach their thresholds within it (as "
     "Zeek's scan policy); a reported scan stays one activity while probes keep coming less "
     "than a window apart"},
    {"min-ports", DTR_P_U32, offsetof(struct ps_cfg, min_ports), "10", 2, 65536,
     "distinct ports on one host for a vertical scan, and over all hosts for a block scan; "
     "above the ~7 ports a mail client guessing an account's settings tries"},
    {"min-hosts", DTR_P_U32, offsetof(struct ps_cfg, min_hosts), "10", 2, 16777216,
     "distinct hosts for a horizontal or block scan of a source the walk marked (Zeek uses 25 "
     "on failures alone)"},
    {"stealth-min-ports", DTR_P_U32, offsetof(struct ps_cfg, stealth_min_ports), "3", 1,
     PS_STEALTH_MAX,
     "distinct ports of one host that received FIN, NULL or XMAS probes: no stack opens a "
     "connection that way, but one stray segment is not yet a scan"},
    {"trw-theta0", DTR_P_DOUBLE, offsetof(struct ps_cfg, theta0), "0.8", 0.001, 0.999,
     "probability that a first contact of a benign host succeeds (Jung et al. 2004)"},
    {"trw-theta1", DTR_P_DOUBLE, offsetof(struct ps_cfg, theta1), "0.2", 0.001, 0.999,
     "probability that a first contact of a scanner succeeds (Jung et al. 2004)"},
    {"trw-alpha", DTR_P_DOUBLE, offsetof(struct ps_cfg, alpha), "0.01", 0.0001, 0.5,
     "accepted false-positive probability of the walk; with beta it sets the bounds"},
    {"trw-beta", DTR_P_DOUBLE, offsetof(struct ps_cfg, beta), "0.99", 0.5, 0.9999,
     "wanted detection probability of the walk; the defaults flag a source after 4 failed "
     "first contacts in a row, or 7 after a long run of successes"},
    {"distributed-min-sources", DTR_P_U32, offsetof(struct ps_cfg, dist_min_sources), "5", 2,
     1000000, "distinct sources whose probes to one host failed, for a distributed scan"},
    {"distributed-min-ports", DTR_P_U32, offsetof(struct ps_cfg, dist_min_ports), "20", 2, 65536,
     "distinct failed ports of one host for a distributed scan; a flood hits one port, and a "
     "host's own closed services are few"},
    {"distributed-window", DTR_P_DURATION, offsetof(struct ps_cfg, dist_window_ns), "60s", 1, 86400,
     "window of the distributed count, shorter than `window` so that the Internet's slow "
     "background of unrelated probes does not add up to a scan"},
    {"connect-max-duration", DTR_P_DURATION, offsetof(struct ps_cfg, connect_max_ns), "2s", 0.001,
     3600,
     "a completed handshake closed by the client without sending data within this time is a "
     "connect() scan probe"},
    {"report-delay", DTR_P_DURATION, offsetof(struct ps_cfg, report_delay_ns), "30s", 0, 3600,
     "longest wait between crossing a threshold and the first report, so that the report "
     "tells how far the scan went (ports, open ports) rather than its first few probes; 0 "
     "reports at once"},
    {"report-quiet", DTR_P_DURATION, offsetof(struct ps_cfg, report_quiet_ns), "2s", 0.001, 3600,
     "the held first report goes out as soon as the scan sent nothing for this long (nmap's "
     "initial probe timeout is 1 s)"},
    {"arp-min-hosts", DTR_P_U32, offsetof(struct ps_cfg, arp_min_hosts), "32", 4, 16777216,
     "distinct addresses one machine asks for by broadcast ARP within arp-window for an ARP "
     "sweep; a PC asks for its gateway and a few peers, a sweep of a /24 for 254"},
    {"arp-window", DTR_P_DURATION, offsetof(struct ps_cfg, arp_window_ns), "60s", 1, 86400,
     "window of the ARP count: a sweep of a /24 takes seconds; a machine that meets many "
     "neighbours slowly (a router as hosts wake up) spreads them over many windows"},
    {"arp-max-answered", DTR_P_DOUBLE, offsetof(struct ps_cfg, arp_max_answered), "0.5", 0, 1,
     "largest share of those addresses that answered the machine: a sweep finds few hosts among "
     "the addresses it tries, a router asking for busy hosts hears from each"},
    {"arp-alive", DTR_P_DURATION, offsetof(struct ps_cfg, arp_live_ns), "30m", 0, 86400,
     "an address whose machine sent ARP of its own within this time is up: a request for it "
     "counts as answered even when the reply is out of the sensor's sight (a switch port that "
     "sees only broadcasts, a mirror of the uplink); 0 counts seen replies only"},
    {"monitor-share", DTR_P_DOUBLE, offsetof(struct ps_cfg, monitor_share), "0.75", 0, 1,
     "a source whose hosts in a window are at least this share of hosts that answered it in "
     "earlier windows, and its ports as large a share of ports it probed then, is watching "
     "them (a monitoring system), not looking for them: no horizontal, block or sweep report "
     "however many are down; 0 turns this off"},
};

enum {
    PS_SIG_VERTICAL = 0,
    PS_SIG_HORIZONTAL,
    PS_SIG_BLOCK,
    PS_SIG_DISTRIBUTED,
    PS_SIG_SWEEP,
    PS_SIG_ARP_SWEEP
};

static const struct dtr_sig ps_sigs[] = {
    {"vertical", "MAMORI T2 vertical port scan (many ports of one host)", "attempted-recon", 2},
    {"horizontal", "MAMORI T2 horizontal port scan (one port across many hosts)", "attempted-recon",
     2},
    {"block", "MAMORI T2 block port scan (many ports across many hosts)", "attempted-recon", 2},
    {"distributed", "MAMORI T2 distributed port scan (many sources against one host)",
     "attempted-recon", 2},
    {"sweep", "MAMORI T2 host sweep (pings to many hosts: looking for live machines)",
     "attempted-recon", 2},
    {"arp_sweep",
     "MAMORI T2 ARP sweep (a machine asking for many local addresses: looking for live "
     "machines)",
     "attempted-recon", 2},
};

/* --- state ----------------------------------------------------------------------------- */

enum ps_type {
    PS_SYN = 0,
    PS_CONNECT,
    PS_FIN,
    PS_NULL,
    PS_XMAS,
    PS_ACK,
    PS_UDP,
    PS_PING,
    PS_NTYPES
};
static const char *const ps_type_names[PS_NTYPES] = {"syn",  "connect", "fin", "null",
                                                     "xmas", "ack",     "udp", "ping"};

enum ps_outcome { PS_O_OPEN = 0, PS_O_CLOSED, PS_O_FILTERED, PS_O_UNANSWERED };

#define PS_P_TCP 1u
#define PS_P_UDP 2u
#define PS_P_ICMP 4u
/* Port keys: the port for TCP, port | PS_PK_UDP for UDP, PS_PK_PING for a ping (one key per
 * host: echo, timestamp and address-mask requests all ask whether it is up). */
#define PS_PK_UDP 0x10000u
#define PS_PK_PING 0x20000u

struct ps_addr_key {
    uint8_t addr[16];
    uint8_t ip_ver;
    uint8_t pad[3];
};

struct ps_pair_key {
    uint8_t src[16];
    uint8_t dst[16];
    uint8_t ip_ver;
    uint8_t pad[3];
};

/* What every entry counts over its window. */
struct ps_counts {
    uint64_t win_start_ns; /* start of the counting window */
    uint64_t first_ns, last_ns;
    uint64_t expire_ns; /* after this the entry holds nothing worth keeping (stale) */
    uint32_t probes, open, closed, filtered, unanswered;
    uint32_t failed; /* closed + filtered + unanswered TCP: the negative evidence */
    uint32_t by_type[PS_NTYPES];
    uint8_t protos; /* PS_P_TCP | PS_P_UDP | PS_P_ICMP */
};

struct ps_svc {
    struct mm_addr host;
    uint16_t port;
    uint8_t proto; /* PS_P_*: a ping's answer is the host itself (port 0) */
};

/* What a source remembers of its earlier windows to tell a monitoring system
 * (ps_src_watching): the hosts that answered it (512-bit fold) and the ports it probed (256).
 * A fold with more bits set than these says "seen before" of too many new values (39 % of
 * them at these counts) to tell anything: about 250 hosts, 130 ports. A small office's
 * monitor has fewer. */
#define PS_SEEN_HOST_WORDS 8u
#define PS_SEEN_PORT_WORDS 4u
#define PS_SEEN_HOST_BITS_MAX 200u
#define PS_SEEN_PORT_BITS_MAX 100u

/* One scanning address. */
struct ps_src {
    struct ps_addr_key k; /* key: first */
    struct ps_counts c;
    double llr;               /* the walk: log likelihood ratio scanner : benign */
    uint32_t stealth_targets; /* distinct (host, port) that received FIN/NULL/XMAS */
    bool trw_crossed;
    bool sweep; /* the horizontal activity is reported as a host sweep (fixed at its first
                   report, so that its updates keep the sid) */
    bool aged;  /* lived through a window's end: answers are remembered (answered_now) */
    uint8_t n_hosts_ex, n_open_ex;
    struct mm_addr hosts_ex[PS_EXAMPLES];
    struct ps_svc open_ex[PS_EXAMPLES];
    struct dtr_distinct hosts; /* dtr_addr_key32 of targets */
    struct dtr_distinct ports; /* port keys over all targets */
    struct dtr_report rep_h, rep_b;
    uint64_t pending_ns;  /* first report held since (0 = none) */
    uint64_t evidence_ns; /* the latest failure or stealth probe in the window */
    /* Kept across windows (ps_src_resolve): hosts that answered the source in earlier
     * windows, those that answered it in this one (merged at its end), ports it probed in
     * earlier windows. */
    uint64_t answered_before[PS_SEEN_HOST_WORDS];
    uint64_t answered_now[PS_SEEN_HOST_WORDS];
    uint64_t ports_before[PS_SEEN_PORT_WORDS];
};

/* One (scanner, target host). */
struct ps_pair {
    struct ps_pair_key k;
    struct ps_counts c;
    uint8_t n_stealth, n_open;
    uint16_t stealth_ports[PS_STEALTH_MAX];
    uint32_t open_ports[PS_EXAMPLES]; /* port keys answered SYN-ACK / a UDP reply */
    uint64_t icmp_seen[8];            /* 512-bit set of port keys answered by ICMP errors */
    struct dtr_distinct ports;        /* port keys probed */
    struct dtr_distinct outcomes;     /* port keys whose first outcome fed the walk */
    struct dtr_report rep;
    uint64_t pending_ns; /* first report held since (0 = none) */
};

/* One probed address, for distributed scans: failed probes only. */
struct ps_tgt {
    struct ps_addr_key k;
    struct ps_counts c;
    uint8_t n_src_ex;
    struct mm_addr src_ex[PS_EXAMPLES];
    struct dtr_distinct sources;
    struct dtr_distinct ports;
    struct dtr_report rep;
    uint64_t pending_ns; /* first report held since (0 = none) */
};

/* An address seen once (see the top of the file): its probe and the open answer to it. */
struct ps_first {
    struct ps_addr_key k; /* key: first */
    uint8_t type;         /* enum ps_type of the probe (a SYN becomes PS_CONNECT at flow end) */
    bool opened;          /* an open answer followed */
    uint32_t pk, open_pk; /* port keys of the probe and of the answered probe */
    uint64_t probe_ns, open_ns;
    struct mm_addr dst, open_dst;
};

/* A machine of the local segment that asks ARP for addresses: its MAC (not its address,
 * which a scanner can change with every request). */
struct ps_arp_key {
    uint8_t mac[6];
    uint8_t pad[2];
};

#define PS_ARP_SENDERS 4 /* sender addresses of one machine listed in the evidence */

/* What one machine asked for in its ARP window: c.probes counts its broadcast requests,
 * c.open the distinct addresses that answered it. */
struct ps_arp {
    struct ps_arp_key k;
    struct ps_counts c;
    uint8_t n_senders; /* sender addresses seen (more than PS_ARP_SENDERS: the first ones) */
    uint8_t senders[PS_ARP_SENDERS][4];
    bool more_senders;
    uint8_t last_sender[4]; /* of the latest request: the alert's source (a machine with
                               several addresses sweeps from one of them) */
    uint8_t n_targets_ex, n_answered_ex;
    uint8_t targets_ex[PS_EXAMPLES][4], answered_ex[PS_EXAMPLES][4];
    uint32_t known_alive;         /* answered counted by the target's own ARP (ps_live) */
    struct dtr_distinct targets;  /* addresses asked for */
    struct dtr_distinct answered; /* of those, the ones that answered this machine (or are up) */
    struct dtr_report rep;
    uint64_t pending_ns; /* first report held since (0 = none) */
};

/* An address of the segment whose machine sent ARP of its own (any request, reply or
 * announcement with it as sender): it is up. A request for it needs no reply in sight. */
struct ps_live_key {
    uint8_t ip[4];
};

struct ps_live {
    struct ps_live_key k;
    uint8_t mac[6];     /* of the machine that sent it (a scanner's own forged senders are not
                           its answers) */
    uint64_t expire_ns; /* last seen + arp-alive */
};

enum ps_kind { PS_K_SRC = 0, PS_K_PAIR, PS_K_TGT, PS_K_ARP };

/* A first report held back (see "reports"); the entry is found again by its key. */
struct ps_pending {
    uint8_t kind;                            /* enum ps_kind */
    uint8_t key[sizeof(struct ps_pair_key)]; /* the entry's key (a prefix for the others) */
};

/* First reports held at once; more are written at once. Each holds until its scan is
 * quiet or report-delay passes, so this many scans would have to start within that time. */
#define PS_PENDING_MAX 256u

struct ps_st {
    const struct ps_cfg *cfg;
    mm_lru_t *src, *pair, *tgt;
    mm_lru_t *first; /* ps_first records, in front of src */
    mm_lru_t *arp;   /* ps_arp: machines asking ARP for addresses */
    mm_lru_t *live;  /* ps_live: addresses whose machines sent ARP (NULL with arp-alive 0) */
    struct ps_pending pend[PS_PENDING_MAX];
    size_t n_pend;
    double step_ok, step_fail; /* walk increments */
    double upper, lower;       /* walk bounds */
};

/* --- small helpers --------------------------------------------------------------------- */

static uint64_t ps_max64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

static void ps_addr_key(struct ps_addr_key *k, const struct mm_addr *a, int ip_ver)
{
    memset(k, 0, sizeof *k);
    memcpy(k->addr, a->b, 16);
    k->ip_ver = (uint8_t)ip_ver;
}

static void ps_pair_key(struct ps_pair_key *k, const struct mm_addr *s, const struct mm_addr *d,
                        int ip_ver)
{
    memset(k, 0, sizeof *k);
    memcpy(k->src, s->b, 16);
    memcpy(k->dst, d->b, 16);
    k->ip_ver = (uint8_t)ip_ver;
}

static struct mm_addr ps_addr_of(const uint8_t b[16])
{
    struct mm_addr a;
    memcpy(a.b, b, 16);
    return a;
}

/* The protocol of a port key (PS_P_*). */
static uint8_t ps_pk_proto(uint32_t pk)
{
    return (pk & PS_PK_UDP) ? PS_P_UDP : (pk & PS_PK_PING) ? PS_P_ICMP : PS_P_TCP;
}

static uint32_t ps_svc_pk(const struct ps_svc *v)
{
    if (v->proto == PS_P_UDP)
        return v->port | PS_PK_UDP;
    return v->proto == PS_P_ICMP ? PS_PK_PING : v->port;
}

static const char *ps_proto_name(uint8_t proto_bit)
{
    if (proto_bit == PS_P_UDP)
        return "udp";
    return proto_bit == PS_P_ICMP ? "icmp" : "tcp";
}

/* A distinct count, never above the number of probes it counts (the estimate beyond
 * DTR_DISTINCT_EXACT values is about 2 % off either way). */
static uint32_t ps_distinct(const struct dtr_distinct *c, uint32_t probes)
{
    uint32_t n = dtr_distinct_count(c);
    return n < probes ? n : probes;
}

/* Distinct ports of a port-key count: a ping's key is among them once when the entry counted
 * pings (c's by_type), and it is no port. */
static uint32_t ps_ports(const struct dtr_distinct *ports, const struct ps_counts *c)
{
    uint32_t n = ps_distinct(ports, c->probes);
    return n && c->by_type[PS_PING] ? n - 1 : n;
}

/* The alert's destination port: the one port probed, else 0. */
static uint16_t ps_one_port(const struct dtr_distinct *ports, const struct ps_counts *c)
{
    if (ps_ports(ports, c) != 1)
        return 0;
    for (size_t i = 0; i < ports->n_exact; i++)
        if (!(ports->exact[i] & PS_PK_PING))
            return (uint16_t)(ports->exact[i] & 0xffffu);
    return 0;
}

/* Whether a distinct count is the sketch's estimate rather than exact. */
static void ps_ev_estimated(struct jb *jb, const char *key, const struct dtr_distinct *c)
{
    jb_bool(jb, key, c->n_exact >= DTR_DISTINCT_EXACT);
}

static unsigned ps_icmp_bit(uint32_t pk)
{
    return (unsigned)((pk * 2654435761u) >> 23); /* 9 bits */
}

static void ps_counts_start(struct ps_counts *c, uint64_t now)
{
    memset(c, 0, sizeof *c);
    c->win_start_ns = c->first_ns = c->last_ns = now;
}

/*
 * Whether an entry's window is over: the window has passed since it started and, when the
 * entry's activity was reported, no probe came for a whole window. Packet time may step back
 * a little in a capture; that never ends a window.
 */
static bool ps_window_over(const struct ps_counts *c, bool active, uint64_t now, uint64_t win)
{
    if (now <= c->win_start_ns || now - c->win_start_ns <= win)
        return false;
    if (!active)
        return true;
    return now > c->last_ns && now - c->last_ns > win;
}

static void ps_counts_touch(struct ps_counts *c, bool active, uint64_t now, uint64_t win)
{
    c->last_ns = ps_max64(c->last_ns, now);
    c->expire_ns = mm_sat_add(active ? c->last_ns : c->win_start_ns, win);
}

/*
 * The tables' stale callbacks: an entry past its expiry, or one that holds no sign of a scan
 * (no refusal, no silence, no stealth probe, nothing reported or held), is taken over without
 * counting an eviction. Ordinary clients create such entries with every new flow; losing
 * them costs nothing, so "evicted" counts only scan evidence lost to the memcap (memcap_hits
 * counts every take-over).
 */
static bool ps_counts_clean(const struct ps_counts *c)
{
    return !c->failed;
}

static bool ps_src_stale(const void *e, uint64_t now)
{
    const struct ps_src *s = e;
    return now > s->c.expire_ns ||
           (ps_counts_clean(&s->c) && !s->trw_crossed && !s->stealth_targets && !s->rep_h.reports &&
            !s->rep_b.reports && !s->pending_ns);
}

static bool ps_pair_stale(const void *e, uint64_t now)
{
    const struct ps_pair *pr = e;
    return now > pr->c.expire_ns ||
           (ps_counts_clean(&pr->c) && !pr->n_stealth && !pr->rep.reports && !pr->pending_ns);
}

/* A first-probe record holds no sign of a scan (it would be a source entry then). */
static bool ps_first_stale(const void *e, uint64_t now)
{
    (void)e;
    (void)now;
    return true;
}

static bool ps_tgt_stale(const void *e, uint64_t now)
{
    return now > ((const struct ps_tgt *)e)->c.expire_ns;
}

/* Every machine on the segment asks ARP for its gateway: an entry that asked for few
 * addresses and reported nothing is taken over without counting an eviction. */
static bool ps_arp_stale(const void *e, uint64_t now)
{
    const struct ps_arp *a = e;
    return now > a->c.expire_ns || (!a->rep.reports && !a->pending_ns && a->targets.n_exact < 8);
}

static bool ps_live_stale(const void *e, uint64_t now)
{
    return now > ((const struct ps_live *)e)->expire_ns;
}

static bool ps_src_suspicious(const struct ps_st *st, const struct ps_src *s)
{
    return s->trw_crossed || s->stealth_targets >= st->cfg->stealth_min_ports;
}

/* A source with negative evidence in its window: its (source, host) entries are kept. */
static bool ps_src_interesting(const struct ps_src *s)
{
    return s->c.failed || s->stealth_targets || s->trw_crossed;
}

/*
 * Whether a source is watching its hosts rather than looking for them: most of this
 * window's hosts answered it in earlier windows, and most of its ports are ones it probed
 * then. A monitoring system pings or connects to the same services round after round; when
 * half of its hosts are down (workstations switched off at night) its rounds fail like a
 * sweep's, but the hosts are the ones that answered it all day. A sweep goes after addresses
 * that never answered it; a scan after discovery goes to the hosts found, on new ports. An
 * activity reported in this window stays one (its updates go on). Shares are counted by the
 * bits of folds, so a value's collisions count the same on both sides.
 */
static bool ps_src_watching(const struct ps_st *st, const struct ps_src *s)
{
    const struct ps_cfg *cfg = st->cfg;
    if (cfg->monitor_share <= 0 || !s->aged || s->rep_h.reports || s->rep_b.reports)
        return false;
    unsigned hb = dtr_fold_bits(s->answered_before, PS_SEEN_HOST_WORDS);
    unsigned pb = dtr_fold_bits(s->ports_before, PS_SEEN_PORT_WORDS);
    if (!hb || hb > PS_SEEN_HOST_BITS_MAX || !pb || pb > PS_SEEN_PORT_BITS_MAX)
        return false;
    unsigned hosts, ports;
    unsigned hk = dtr_fold_common(&s->hosts, s->answered_before, PS_SEEN_HOST_WORDS, &hosts);
    unsigned pk = dtr_fold_common(&s->ports, s->ports_before, PS_SEEN_PORT_WORDS, &ports);
    return hosts && ports && hk >= cfg->monitor_share * hosts && pk >= cfg->monitor_share * ports;
}

/*
 * A source whose window stays open: it may be a scanner, or its activity is reported or held.
 * A source found watching is not (its window ends as an ordinary one's, and what it tells of
 * the monitor is brought up to date). A reported activity goes on while its probes do, but
 * only while it fails somewhere: a source whose probes all succeeded for a whole window (a
 * monitoring system started at night, in the morning) has ended it.
 */
static bool ps_src_active(const struct ps_st *st, const struct ps_src *s, uint64_t now)
{
    if (s->pending_ns)
        return true;
    if (now > s->evidence_ns && now - s->evidence_ns > st->cfg->window_ns)
        return false;
    return (ps_src_suspicious(st, s) && !ps_src_watching(st, s)) || s->rep_h.reports ||
           s->rep_b.reports;
}

/* Not multicast or the limited broadcast (255.255.255.255): a packet every host of a network
 * answers is no probe. A subnet's own broadcast address cannot be told from a host's without
 * the prefix, so it counts as a host. */
static bool ps_unicast(const struct mm_addr *dst, int ip_ver)
{
    if (ip_ver == 4)
        return dst->b[0] < 224;
    return dst->b[0] != 0xff;
}

/* UDP datagrams that are not probes: traceroute's port range (answered by routers and by
 * port unreachables on the last hop), what looks like a server's answer (a service port to a
 * high port: reflection floods), and broadcast / multicast. */

static bool ps_udp_probe_ok(uint16_t sport, uint16_t dport, const struct mm_addr *dst, int ip_ver)
{
    if (dport >= 33434 && dport <= 33534)
        return false;
    if (sport < 1024 && dport >= 1024)
        return false;
    return ps_unicast(dst, ip_ver);
}

/* ICMP requests that ask whether a host is up (nmap's -PE, -PP and -PM: echo, timestamp,
 * address mask; and the old information request), and their replies. */
static bool ps_ping_request(uint8_t proto, uint8_t type)
{
    if (proto == 1)
        return type == 8 || type == 13 || type == 15 || type == 17;
    return proto == 58 && type == 128;
}

static bool ps_ping_reply(uint8_t proto, uint8_t type)
{
    if (proto == 1)
        return type == 0 || type == 14 || type == 16 || type == 18;
    return proto == 58 && type == 129;
}

/* --- table access ---------------------------------------------------------------------- */

/* Write an entry's held first report now (see "reports"). */
static void ps_release_src(struct ps_st *st, struct dtr *d, struct ps_src *s, uint64_t now);
static void ps_release_pair(struct ps_st *st, struct dtr *d, struct ps_pair *pr, uint64_t now);
static void ps_release_tgt(struct dtr *d, struct ps_tgt *t, uint64_t now);
static void ps_release_arp(struct ps_st *st, struct dtr *d, struct ps_arp *a, uint64_t now);

/*
 * The getters start an entry's window over when it ran out. A first report still held then
 * is written before the counts go: long silences in a capture can let flow ends reach an
 * entry before the next tick.
 */

static void ps_walk(struct ps_st *st, struct ps_src *s, bool ok);
static void ps_count_outcome(struct ps_counts *c, enum ps_outcome o, bool udp);

/*
 * The source entry of a first-probe record: made, then given the record's probe and answer
 * exactly as ps_probe and ps_outcome gave them to a new entry (no report can come of one probe
 * and one open answer), and the record dropped. now is the time of the event that needs it
 * (for the table's take-over). NULL when the table cannot hold one entry.
 */
static struct ps_src *ps_first_promote(struct ps_st *st, struct ps_first *w, uint64_t now)
{
    const struct ps_cfg *cfg = st->cfg;
    struct ps_first r = *w;
    mm_lru_remove(st->first, w);
    struct ps_src *s = mm_lru_insert(st->src, &r.k, now);
    if (!s)
        return NULL;
    ps_counts_start(&s->c, r.probe_ns);
    s->c.probes++;
    s->c.by_type[r.type]++;
    s->c.protos |= ps_pk_proto(r.pk);
    dtr_distinct_add(&s->ports, r.pk);
    if (dtr_distinct_add(&s->hosts, dtr_addr_key32(&r.dst, r.k.ip_ver)))
        s->hosts_ex[s->n_hosts_ex++] = r.dst;
    ps_counts_touch(&s->c, false, r.probe_ns, cfg->window_ns);
    if (r.opened) {
        ps_count_outcome(&s->c, PS_O_OPEN, false);
        ps_walk(st, s, true);
        struct ps_svc *v = &s->open_ex[s->n_open_ex++];
        v->host = r.open_dst;
        v->port = (uint16_t)(r.open_pk & 0xffffu);
        v->proto = ps_pk_proto(r.open_pk);
        ps_counts_touch(&s->c, false, r.open_ns, cfg->window_ns);
    }
    return s;
}

/* The first-probe record of an address (none when it has a source entry). */
static struct ps_first *ps_first_find(struct ps_st *st, const struct ps_addr_key *k)
{
    return st->first ? mm_lru_lookup(st->first, k) : NULL;
}

/* Whether the window of a first-probe record has run out by now (as ps_window_over of the
 * source entry it stands for: never reported, so not active). */
static bool ps_first_over(const struct ps_st *st, const struct ps_first *w, uint64_t now)
{
    return now > w->probe_ns && now - w->probe_ns > st->cfg->window_ns;
}

/* The source entry of key k, given what the caller's lookups found: s its entry, else w its
 * first-probe record (promoted here) or nothing (an entry made when `create`). */
static struct ps_src *ps_src_resolve(struct ps_st *st, struct dtr *d, const struct ps_addr_key *k,
                                     struct ps_src *s, struct ps_first *w, uint64_t now,
                                     bool create)
{
    if (!s && w)
        s = ps_first_promote(st, w, now);
    if (s) {
        if (ps_window_over(&s->c, ps_src_active(st, s, now), now, st->cfg->window_ns)) {
            if (s->pending_ns)
                ps_release_src(st, d, s, now);
            /* What the window that ends tells of a monitoring system is kept. */
            uint64_t answered[PS_SEEN_HOST_WORDS], ports[PS_SEEN_PORT_WORDS];
            for (size_t i = 0; i < PS_SEEN_HOST_WORDS; i++)
                answered[i] = s->answered_before[i] | s->answered_now[i];
            memcpy(ports, s->ports_before, sizeof ports);
            dtr_distinct_fold_into(&s->ports, ports, PS_SEEN_PORT_WORDS);
            memset((unsigned char *)s + sizeof s->k, 0, sizeof *s - sizeof s->k);
            ps_counts_start(&s->c, now);
            memcpy(s->answered_before, answered, sizeof answered);
            memcpy(s->ports_before, ports, sizeof ports);
            s->aged = true;
        }
        /* Only sources with something to lose are kept young: ordinary clients age out in
         * the order they came, and touching them would cost cache misses on every flow. */
        if (ps_src_interesting(s) || ps_src_active(st, s, now))
            mm_lru_touch(st->src, s);
        return s;
    }
    if (!create)
        return NULL;
    s = mm_lru_insert(st->src, k, now);
    if (s)
        ps_counts_start(&s->c, now);
    return s;
}

static struct ps_src *ps_src_get(struct ps_st *st, struct dtr *d, const struct mm_addr *a,
                                 int ip_ver, uint64_t now, bool create)
{
    struct ps_addr_key k;
    ps_addr_key(&k, a, ip_ver);
    struct ps_src *s = mm_lru_lookup(st->src, &k);
    return ps_src_resolve(st, d, &k, s, s ? NULL : ps_first_find(st, &k), now, create);
}

/*
 * A (source, host) entry is made only for a source with negative evidence (see ps_probe), so
 * it may start after the source's first probes. When the source has probed no other host in
 * its window, everything it counted belongs to this host and starts the entry: a vertical
 * scan loses nothing. Otherwise the entry starts empty.
 */
static bool ps_pair_seed(struct ps_pair *pr, const struct ps_src *s, const struct mm_addr *dst,
                         int ip_ver)
{
    if (!s || s->hosts.n_exact != 1 || s->hosts.exact[0] != dtr_addr_key32(dst, ip_ver))
        return false;
    uint64_t start = pr->c.win_start_ns;
    pr->c = s->c;
    if (pr->c.win_start_ns < start)
        pr->c.win_start_ns = start; /* the window counts from the entry's start */
    pr->ports = s->ports;
    for (size_t i = 0; i < s->n_open_ex && pr->n_open < PS_EXAMPLES; i++)
        pr->open_ports[pr->n_open++] = ps_svc_pk(&s->open_ex[i]);
    return true;
}

/* The (source, host) entry. With `create`, a missing one is made (and a restarted one kept),
 * seeded from `seed` (may be NULL); *seeded (may be NULL) tells whether that happened. */
static struct ps_pair *ps_pair_get(struct ps_st *st, struct dtr *d, const struct mm_addr *src,
                                   const struct mm_addr *dst, int ip_ver, uint64_t now, bool create,
                                   const struct ps_src *seed, bool *seeded)
{
    bool sd = false;
    struct ps_pair_key k;
    ps_pair_key(&k, src, dst, ip_ver);
    struct ps_pair *pr = mm_lru_lookup(st->pair, &k);
    if (pr) {
        if (ps_window_over(&pr->c, pr->rep.reports || pr->pending_ns, now, st->cfg->window_ns)) {
            if (pr->pending_ns)
                ps_release_pair(st, d, pr, now);
            memset((unsigned char *)pr + sizeof pr->k, 0, sizeof *pr - sizeof pr->k);
            ps_counts_start(&pr->c, now);
            if (create)
                sd = ps_pair_seed(pr, seed, dst, ip_ver);
        }
        mm_lru_touch(st->pair, pr);
    } else if (create) {
        pr = mm_lru_insert(st->pair, &k, now);
        if (pr) {
            ps_counts_start(&pr->c, now);
            sd = ps_pair_seed(pr, seed, dst, ip_ver);
        }
    }
    if (seeded)
        *seeded = sd;
    return pr;
}

static struct ps_tgt *ps_tgt_get(struct ps_st *st, struct dtr *d, const struct mm_addr *a,
                                 int ip_ver, uint64_t now)
{
    struct ps_addr_key k;
    ps_addr_key(&k, a, ip_ver);
    struct ps_tgt *t = mm_lru_lookup(st->tgt, &k);
    if (t) {
        if (ps_window_over(&t->c, t->rep.reports || t->pending_ns, now, st->cfg->dist_window_ns)) {
            if (t->pending_ns)
                ps_release_tgt(d, t, now);
            memset((unsigned char *)t + sizeof t->k, 0, sizeof *t - sizeof t->k);
            ps_counts_start(&t->c, now);
        }
        mm_lru_touch(st->tgt, t);
        return t;
    }
    t = mm_lru_insert(st->tgt, &k, now);
    if (t)
        ps_counts_start(&t->c, now);
    return t;
}

/* --- evidence -------------------------------------------------------------------------- */

static void ps_ev_ip_array(struct jb *jb, const char *key, const struct mm_addr *a, size_t n,
                           int ip_ver)
{
    char s[64];
    jb_open_array(jb, key);
    for (size_t i = 0; i < n; i++)
        jb_string(jb, NULL, dtr_addr_str(&a[i], ip_ver, s, sizeof s));
    jb_close_array(jb);
}

/* The first ports seen, as numbers (the protocol is in "protocols"; pings have no port). */
static void ps_ev_ports(struct jb *jb, const char *key, const struct dtr_distinct *c)
{
    jb_open_array(jb, key);
    for (size_t i = 0, n = 0; i < c->n_exact && n < PS_EXAMPLES; i++)
        if (!(c->exact[i] & PS_PK_PING)) {
            jb_uint(jb, NULL, c->exact[i] & 0xffffu);
            n++;
        }
    jb_close_array(jb);
}

static enum ps_type ps_main_type(const struct ps_counts *c)
{
    enum ps_type best = PS_SYN;
    for (int t = 1; t < PS_NTYPES; t++)
        if (c->by_type[t] > c->by_type[best])
            best = (enum ps_type)t;
    return best;
}

/* Probe types, outcomes, protocols and the time window. */
static void ps_ev_counts(struct jb *jb, const struct ps_counts *c)
{
    jb_string(jb, "scan_type", ps_type_names[ps_main_type(c)]);
    jb_open_array(jb, "scan_types");
    for (int t = 0; t < PS_NTYPES; t++)
        if (c->by_type[t])
            jb_string(jb, NULL, ps_type_names[t]);
    jb_close_array(jb);
    jb_open_object(jb, "probes_by_type");
    for (int t = 0; t < PS_NTYPES; t++)
        if (c->by_type[t])
            jb_uint(jb, ps_type_names[t], c->by_type[t]);
    jb_close_object(jb);
    jb_open_array(jb, "protocols");
    if (c->protos & PS_P_TCP)
        jb_string(jb, NULL, "tcp");
    if (c->protos & PS_P_UDP)
        jb_string(jb, NULL, "udp");
    if (c->protos & PS_P_ICMP)
        jb_string(jb, NULL, "icmp");
    jb_close_array(jb);
    jb_uint(jb, "probes", c->probes);
    jb_uint(jb, "open", c->open);
    jb_uint(jb, "closed", c->closed);
    jb_uint(jb, "filtered", c->filtered);
    jb_uint(jb, "unanswered", c->unanswered);
    dtr_ev_ts(jb, "first_seen", c->first_ns);
    dtr_ev_ts(jb, "last_seen", c->last_ns);
    dtr_ev_secs(jb, "duration_s", c->last_ns - c->first_ns);
}

static void ps_ev_trw(struct jb *jb, const struct ps_st *st, const struct ps_src *s)
{
    jb_open_object(jb, "trw");
    jb_double(jb, "log_ratio", s->llr, 3);
    jb_double(jb, "threshold", st->upper, 3);
    jb_bool(jb, "scanner", s->trw_crossed);
    jb_close_object(jb);
}

/* The alert's protocol: the one every probe used, else 0. Pings beside TCP or UDP probes are
 * host discovery before a port scan (nmap pings first unless -Pn) and do not make the scan's
 * protocol mixed; a host sweep is ICMP whatever else it sent. */
static uint8_t ps_alert_proto(uint8_t protos, int ip_ver, bool sweep)
{
    uint8_t p = protos & (PS_P_TCP | PS_P_UDP);
    if (sweep || !p)
        return (protos & PS_P_ICMP) ? (ip_ver == 6 ? 58 : 1) : 0;
    return p == PS_P_TCP ? 6 : p == PS_P_UDP ? 17 : 0;
}

/* --- reports --------------------------------------------------------------------------- */

/*
 * A threshold crossed says "scan", but not yet how far the scan goes: a fast scan crosses
 * after a few of its thousand probes. So the first report of an activity waits in a bounded
 * queue until the activity has been quiet for report-quiet, or report-delay has passed, and
 * then tells the whole scan; later reports are updates at most every update-interval. With
 * report-delay 0, or when the queue is full, the first report goes out at once.
 */

/* Vertical: this (source, host) qualifies now. */
static bool ps_vertical_ready(const struct ps_st *st, const struct ps_pair *pr,
                              const struct ps_src *s, bool *by_trw)
{
    *by_trw = s && ps_src_suspicious(st, s) && ps_ports(&pr->ports, &pr->c) >= st->cfg->min_ports;
    return *by_trw || pr->n_stealth >= st->cfg->stealth_min_ports;
}

/* The source's variant now: PS_SIG_HORIZONTAL, PS_SIG_BLOCK, or -1 (none). */
static int ps_src_variant(const struct ps_st *st, const struct ps_src *s)
{
    uint32_t hosts = ps_distinct(&s->hosts, s->c.probes);
    if (!ps_src_suspicious(st, s) || hosts < st->cfg->min_hosts || ps_src_watching(st, s))
        return -1;
    if (ps_ports(&s->ports, &s->c) >= st->cfg->min_ports)
        return PS_SIG_BLOCK;
    /* A source that mostly pings is as often a monitoring system as a sweep, and its silent
     * hosts fail only when their flows time out, after all the answers: the walk marks any
     * pinger with seven hosts down. A sweep needs min-hosts failures, and no more answers than
     * failures (a sweep finds few hosts; a monitor finds most of the ones it watches). */
    if (ps_main_type(&s->c) == PS_PING &&
        (s->c.failed < st->cfg->min_hosts || s->c.failed < s->c.open))
        return -1;
    return PS_SIG_HORIZONTAL;
}

/* The signature of a source's report: a horizontal scan made mostly of pings is a host sweep,
 * decided at the activity's first report and kept for its updates. */
static size_t ps_src_sig(struct ps_src *s, int variant, bool update)
{
    if (variant != PS_SIG_HORIZONTAL)
        return (size_t)variant;
    if (!update)
        s->sweep = ps_main_type(&s->c) == PS_PING;
    return s->sweep ? PS_SIG_SWEEP : PS_SIG_HORIZONTAL;
}

/* A block scan reported (or about to be) covers the hosts it went through. */
static bool ps_block_covers(const struct ps_st *st, const struct ps_src *s)
{
    return s && (s->rep_b.reports || (s->pending_ns && ps_src_variant(st, s) == PS_SIG_BLOCK));
}

static bool ps_pend_add(struct ps_st *st, enum ps_kind kind, const void *key, size_t key_len)
{
    if (st->n_pend >= PS_PENDING_MAX)
        return false;
    struct ps_pending *it = &st->pend[st->n_pend++];
    memset(it, 0, sizeof *it);
    it->kind = (uint8_t)kind;
    memcpy(it->key, key, key_len);
    return true;
}

static void ps_emit_vertical(struct ps_st *st, struct dtr *d, struct ps_pair *pr,
                             const struct ps_src *s, uint64_t crossed, uint64_t now, bool update)
{
    bool by_trw;
    ps_vertical_ready(st, pr, s, &by_trw);
    uint32_t ports = ps_ports(&pr->ports, &pr->c);
    int ipv = pr->k.ip_ver;
    struct mm_addr src = ps_addr_of(pr->k.src), dst = ps_addr_of(pr->k.dst);
    struct jb *jb = dtr_alert_begin(d);
    dtr_ev_ip(jb, "scanner", &src, ipv);
    dtr_ev_ip(jb, "target", &dst, ipv);
    /* Without its source entry (taken over at the memcap since the report was held) the walk
     * cannot be shown, but the report was due: by stealth probes only if there are enough. */
    bool by_stealth = !by_trw && pr->n_stealth >= st->cfg->stealth_min_ports;
    jb_string(jb, "detected_by", by_stealth ? "stealth_probes" : "trw");
    dtr_ev_ts(jb, "detected", crossed);
    ps_ev_counts(jb, &pr->c);
    jb_uint(jb, "ports", ports);
    ps_ev_estimated(jb, "ports_estimated", &pr->ports);
    ps_ev_ports(jb, "ports_first", &pr->ports);
    jb_open_array(jb, "open_ports");
    for (size_t i = 0; i < pr->n_open; i++)
        if (ps_pk_proto(pr->open_ports[i]) == PS_P_TCP)
            jb_uint(jb, NULL, pr->open_ports[i] & 0xffffu);
    jb_close_array(jb);
    if (pr->c.protos & PS_P_UDP) {
        jb_open_array(jb, "open_udp_ports");
        for (size_t i = 0; i < pr->n_open; i++)
            if (pr->open_ports[i] & PS_PK_UDP)
                jb_uint(jb, NULL, pr->open_ports[i] & 0xffffu);
        jb_close_array(jb);
    }
    if (pr->c.protos & PS_P_ICMP) {
        bool up = false;
        for (size_t i = 0; i < pr->n_open && !up; i++)
            up = pr->open_ports[i] == PS_PK_PING;
        jb_bool(jb, "ping_answered", up);
    }
    jb_uint(jb, "stealth_ports", pr->n_stealth);
    if (s)
        ps_ev_trw(jb, st, s);
    struct dtr_alert_args a = {
        .sig = PS_SIG_VERTICAL,
        .ts_ns = now,
        .src = src,
        .dst = dst,
        .ip_ver = (uint8_t)ipv,
        .proto = ps_alert_proto(pr->c.protos, ipv, false),
        .dport = ps_one_port(&pr->ports, &pr->c),
        .update = update,
    };
    dtr_alert_emit(d, &a);
}

static void ps_emit_src(struct ps_st *st, struct dtr *d, const struct ps_src *s, size_t sig,
                        uint64_t crossed, uint64_t now, bool update)
{
    uint32_t hosts = ps_distinct(&s->hosts, s->c.probes);
    uint32_t ports = ps_ports(&s->ports, &s->c);
    int ipv = s->k.ip_ver;
    struct mm_addr src = ps_addr_of(s->k.addr);
    struct jb *jb = dtr_alert_begin(d);
    dtr_ev_ip(jb, "scanner", &src, ipv);
    jb_string(jb, "detected_by", s->trw_crossed ? "trw" : "stealth_probes");
    dtr_ev_ts(jb, "detected", crossed);
    ps_ev_counts(jb, &s->c);
    jb_uint(jb, "hosts", hosts);
    ps_ev_estimated(jb, "hosts_estimated", &s->hosts);
    ps_ev_ip_array(jb, "hosts_first", s->hosts_ex, s->n_hosts_ex, ipv);
    jb_uint(jb, "ports", ports);
    ps_ev_estimated(jb, "ports_estimated", &s->ports);
    ps_ev_ports(jb, "ports_first", &s->ports);
    if (ports == 1)
        jb_uint(jb, "port", ps_one_port(&s->ports, &s->c));
    jb_open_array(jb, "open_services");
    for (size_t i = 0; i < s->n_open_ex; i++) {
        const struct ps_svc *v = &s->open_ex[i];
        char a[64];
        jb_open_object(jb, NULL);
        jb_string(jb, "host", dtr_addr_str(&v->host, ipv, a, sizeof a));
        if (v->proto != PS_P_ICMP)
            jb_uint(jb, "port", v->port);
        jb_string(jb, "proto", ps_proto_name(v->proto));
        jb_close_object(jb);
    }
    jb_close_array(jb);
    ps_ev_trw(jb, st, s);
    struct dtr_alert_args a = {
        .sig = sig,
        .ts_ns = now,
        .src = src,
        .dst = s->hosts_ex[0],
        .ip_ver = (uint8_t)ipv,
        .proto = ps_alert_proto(s->c.protos, ipv, sig == PS_SIG_SWEEP),
        .dport = ps_one_port(&s->ports, &s->c),
        .update = update,
    };
    dtr_alert_emit(d, &a);
}

static void ps_emit_tgt(struct dtr *d, const struct ps_tgt *t, uint64_t crossed, uint64_t now,
                        bool update)
{
    int ipv = t->k.ip_ver;
    struct mm_addr dst = ps_addr_of(t->k.addr);
    struct jb *jb = dtr_alert_begin(d);
    dtr_ev_ip(jb, "target", &dst, ipv);
    dtr_ev_ts(jb, "detected", crossed);
    ps_ev_counts(jb, &t->c);
    jb_uint(jb, "sources", ps_distinct(&t->sources, t->c.probes));
    ps_ev_estimated(jb, "sources_estimated", &t->sources);
    ps_ev_ip_array(jb, "sources_first", t->src_ex, t->n_src_ex, ipv);
    jb_uint(jb, "ports", ps_ports(&t->ports, &t->c));
    ps_ev_estimated(jb, "ports_estimated", &t->ports);
    ps_ev_ports(jb, "ports_first", &t->ports);
    struct dtr_alert_args a = {
        .sig = PS_SIG_DISTRIBUTED,
        .ts_ns = now,
        .src = t->src_ex[0],
        .dst = dst,
        .ip_ver = (uint8_t)ipv,
        .proto = ps_alert_proto(t->c.protos, ipv, false),
        .update = update,
    };
    dtr_alert_emit(d, &a);
}

/* Whether a first report waits (queued) rather than going out now. */
static bool ps_hold(struct ps_st *st, uint64_t *pending_ns, enum ps_kind kind, const void *key,
                    size_t key_len, uint64_t now)
{
    if (*pending_ns)
        return true;
    if (!st->cfg->report_delay_ns || !ps_pend_add(st, kind, key, key_len))
        return false;
    *pending_ns = now ? now : 1; /* 0 means "not pending" */
    return true;
}

/* After an event on (source, host): report or queue a vertical scan when it qualifies. */
static void ps_check_vertical(struct ps_st *st, struct dtr *d, struct ps_pair *pr,
                              const struct ps_src *s, uint64_t now)
{
    bool by_trw;
    if (!ps_vertical_ready(st, pr, s, &by_trw) || ps_block_covers(st, s))
        return;
    if (!pr->rep.reports && ps_hold(st, &pr->pending_ns, PS_K_PAIR, &pr->k, sizeof pr->k, now))
        return;
    enum dtr_due due = dtr_report_due(d, &pr->rep, now);
    if (due != DTR_DUE_NO)
        ps_emit_vertical(st, d, pr, s, now, now, due == DTR_DUE_UPDATE);
}

static void ps_check_src(struct ps_st *st, struct dtr *d, struct ps_src *s, uint64_t now)
{
    int sig = ps_src_variant(st, s);
    if (sig < 0 || (sig == PS_SIG_HORIZONTAL && s->rep_b.reports))
        return; /* reported as a block scan already: stays one */
    struct dtr_report *r = sig == PS_SIG_BLOCK ? &s->rep_b : &s->rep_h;
    if (!r->reports && ps_hold(st, &s->pending_ns, PS_K_SRC, &s->k, sizeof s->k, now))
        return;
    enum dtr_due due = dtr_report_due(d, r, now);
    if (due != DTR_DUE_NO)
        ps_emit_src(st, d, s, ps_src_sig(s, sig, due == DTR_DUE_UPDATE), now, now,
                    due == DTR_DUE_UPDATE);
}

static void ps_check_tgt(struct ps_st *st, struct dtr *d, struct ps_tgt *t, uint64_t now)
{
    if (ps_distinct(&t->sources, t->c.probes) < st->cfg->dist_min_sources ||
        ps_ports(&t->ports, &t->c) < st->cfg->dist_min_ports)
        return;
    if (!t->rep.reports && ps_hold(st, &t->pending_ns, PS_K_TGT, &t->k, sizeof t->k, now))
        return;
    enum dtr_due due = dtr_report_due(d, &t->rep, now);
    if (due != DTR_DUE_NO)
        ps_emit_tgt(d, t, now, now, due == DTR_DUE_UPDATE);
}

/* Whether a held first report is due: the activity went quiet, or it waited long enough. */
static bool ps_hold_over(const struct ps_st *st, uint64_t pending_ns, uint64_t last_ns,
                         uint64_t now, bool all)
{
    return all || (now > pending_ns && now - pending_ns >= st->cfg->report_delay_ns) ||
           (now > last_ns && now - last_ns >= st->cfg->report_quiet_ns);
}

static void ps_release_src(struct ps_st *st, struct dtr *d, struct ps_src *s, uint64_t now)
{
    uint64_t crossed = s->pending_ns;
    s->pending_ns = 0;
    int sig = ps_src_variant(st, s);
    if (sig < 0 || (sig == PS_SIG_HORIZONTAL && s->rep_b.reports))
        return;
    enum dtr_due due = dtr_report_due(d, sig == PS_SIG_BLOCK ? &s->rep_b : &s->rep_h, now);
    if (due != DTR_DUE_NO)
        ps_emit_src(st, d, s, ps_src_sig(s, sig, due == DTR_DUE_UPDATE), crossed, now,
                    due == DTR_DUE_UPDATE);
}

static void ps_release_pair(struct ps_st *st, struct dtr *d, struct ps_pair *pr, uint64_t now)
{
    uint64_t crossed = pr->pending_ns;
    pr->pending_ns = 0;
    struct ps_addr_key k;
    memset(&k, 0, sizeof k);
    memcpy(k.addr, pr->k.src, 16);
    k.ip_ver = pr->k.ip_ver;
    const struct ps_src *s = mm_lru_lookup(st->src, &k);
    if (!s) {
        struct ps_first *w = ps_first_find(st, &k);
        if (w)
            s = ps_first_promote(st, w, now);
    }
    if (ps_block_covers(st, s))
        return;
    enum dtr_due due = dtr_report_due(d, &pr->rep, now);
    if (due != DTR_DUE_NO)
        ps_emit_vertical(st, d, pr, s, crossed, now, due == DTR_DUE_UPDATE);
}

static void ps_release_tgt(struct dtr *d, struct ps_tgt *t, uint64_t now)
{
    uint64_t crossed = t->pending_ns;
    t->pending_ns = 0;
    enum dtr_due due = dtr_report_due(d, &t->rep, now);
    if (due != DTR_DUE_NO)
        ps_emit_tgt(d, t, crossed, now, due == DTR_DUE_UPDATE);
}

/* One queued first report: true when done with it (written, or its entry gone: taken over,
 * or its window started over and wrote it then). */
static bool ps_pend_run(struct ps_st *st, struct dtr *d, const struct ps_pending *it, uint64_t now,
                        bool all)
{
    switch ((enum ps_kind)it->kind) {
    case PS_K_SRC: {
        struct ps_src *s = mm_lru_lookup(st->src, it->key);
        if (!s || !s->pending_ns)
            return true;
        if (!ps_hold_over(st, s->pending_ns, s->c.last_ns, now, all))
            return false;
        ps_release_src(st, d, s, now);
        return true;
    }
    case PS_K_PAIR: {
        struct ps_pair *pr = mm_lru_lookup(st->pair, it->key);
        if (!pr || !pr->pending_ns)
            return true;
        if (!ps_hold_over(st, pr->pending_ns, pr->c.last_ns, now, all))
            return false;
        ps_release_pair(st, d, pr, now);
        return true;
    }
    case PS_K_TGT: {
        struct ps_tgt *t = mm_lru_lookup(st->tgt, it->key);
        if (!t || !t->pending_ns)
            return true;
        if (!ps_hold_over(st, t->pending_ns, t->c.last_ns, now, all))
            return false;
        ps_release_tgt(d, t, now);
        return true;
    }
    case PS_K_ARP: {
        struct ps_arp *a = st->arp ? mm_lru_lookup(st->arp, it->key) : NULL;
        if (!a || !a->pending_ns)
            return true;
        if (!ps_hold_over(st, a->pending_ns, a->c.last_ns, now, all))
            return false;
        ps_release_arp(st, d, a, now);
        return true;
    }
    }
    return true;
}

/* Write the held first reports that are due (all of them at the end of input). Sources go
 * first: a block scan they report covers the vertical scans queued for its hosts. */
static void ps_pend_flush(struct ps_st *st, struct dtr *d, uint64_t now, bool all)
{
    for (int pass = 0; pass < 2; pass++) {
        size_t w = 0;
        for (size_t i = 0; i < st->n_pend; i++) {
            const struct ps_pending *it = &st->pend[i];
            bool mine = (it->kind == PS_K_SRC) == (pass == 0);
            if (mine && ps_pend_run(st, d, it, now, all))
                continue;
            if (w != i)
                st->pend[w] = *it;
            w++;
        }
        st->n_pend = w;
    }
}

/* --- events ---------------------------------------------------------------------------- */

/* A probe from src to dst:port (pk = port key), of the given type. */
static void ps_probe(struct ps_st *st, struct dtr *d, const struct mm_addr *src,
                     const struct mm_addr *dst, int ip_ver, uint32_t pk, enum ps_type type,
                     uint64_t now)
{
    const struct ps_cfg *cfg = st->cfg;
    uint8_t proto_bit = ps_pk_proto(pk);
    bool stealth = type == PS_FIN || type == PS_NULL || type == PS_XMAS;
    /* Each table is looked up once per probe: these lookups land in cold memory (nearly
     * every probe of a busy network comes from an address not seen for a while). */
    struct ps_addr_key k;
    ps_addr_key(&k, src, ip_ver);
    struct ps_src *s = mm_lru_lookup(st->src, &k);
    struct ps_first *w = s ? NULL : ps_first_find(st, &k);
    if (!s && st->first && !stealth && (!w || ps_first_over(st, w, now))) {
        /* An address without a source entry: its first probe (or the first of a new window)
         * is kept as a record; a second probe makes the entry (ps_src_resolve). */
        struct ps_first *rec = w ? w : mm_lru_insert(st->first, &k, now);
        if (rec) {
            memset((unsigned char *)rec + sizeof rec->k, 0, sizeof *rec - sizeof rec->k);
            rec->type = (uint8_t)type;
            rec->pk = pk;
            rec->dst = *dst;
            rec->probe_ns = now;
            return;
        }
    }
    s = ps_src_resolve(st, d, &k, s, w, now, true);
    if (s) {
        s->c.probes++;
        s->c.by_type[type]++;
        s->c.protos |= proto_bit;
        dtr_distinct_add(&s->ports, pk);
        if (dtr_distinct_add(&s->hosts, dtr_addr_key32(dst, ip_ver)) && s->n_hosts_ex < PS_EXAMPLES)
            s->hosts_ex[s->n_hosts_ex++] = *dst;
    }
    /* Most sources are ordinary clients whose connections succeed: they get no (source,
     * host) entries, which would cost a table insert for every new flow. */
    struct ps_pair *pr = NULL;
    if (!s || stealth || ps_src_interesting(s)) {
        bool seeded;
        pr = ps_pair_get(st, d, src, dst, ip_ver, now, true, s, &seeded);
        if (pr && !seeded) { /* a seeded entry already holds this probe */
            pr->c.probes++;
            pr->c.by_type[type]++;
            pr->c.protos |= proto_bit;
            dtr_distinct_add(&pr->ports, pk);
        }
    }
    if (pr) {
        if (stealth) {
            uint16_t port = (uint16_t)(pk & 0xffffu);
            bool known = false;
            for (size_t i = 0; i < pr->n_stealth && !known; i++)
                known = pr->stealth_ports[i] == port;
            if (!known && pr->n_stealth < PS_STEALTH_MAX) {
                pr->stealth_ports[pr->n_stealth++] = port;
                if (s) {
                    s->stealth_targets++;
                    s->evidence_ns = ps_max64(s->evidence_ns, now); /* anomalous itself */
                }
            }
        }
        ps_counts_touch(&pr->c, pr->rep.reports || pr->pending_ns, now, cfg->window_ns);
    }
    if (s)
        ps_counts_touch(&s->c, ps_src_active(st, s, now), now, cfg->window_ns);
    /* The source first: when it becomes a block scan, that report covers this host. */
    if (s)
        ps_check_src(st, d, s, now);
    if (pr)
        ps_check_vertical(st, d, pr, s, now);
}

static void ps_walk(struct ps_st *st, struct ps_src *s, bool ok)
{
    if (ok) {
        s->llr += st->step_ok;
        if (s->llr < st->lower)
            s->llr = st->lower;
    } else {
        s->llr += st->step_fail;
    }
    if (s->llr >= st->upper)
        s->trw_crossed = true;
}

static void ps_count_outcome(struct ps_counts *c, enum ps_outcome o, bool udp)
{
    switch (o) {
    case PS_O_OPEN: c->open++; break;
    case PS_O_CLOSED: c->closed++; break;
    case PS_O_FILTERED: c->filtered++; break;
    case PS_O_UNANSWERED: c->unanswered++; break;
    }
    if (o != PS_O_OPEN && (o != PS_O_UNANSWERED || !udp))
        c->failed++;
}

/*
 * The outcome of a probe from src to dst:pk. Only probes whose (source, host) is tracked
 * count: an answer to a probe never seen (capture started late, entry taken over) is not
 * evidence. The first outcome per (host, port) in the window moves the walk.
 */
static void ps_outcome(struct ps_st *st, struct dtr *d, const struct mm_addr *src,
                       const struct mm_addr *dst, int ip_ver, uint32_t pk, enum ps_type type,
                       enum ps_outcome o, bool icmp, uint64_t now)
{
    const struct ps_cfg *cfg = st->cfg;
    bool udp = pk & PS_PK_UDP;
    bool failed = o == PS_O_CLOSED || o == PS_O_FILTERED || (o == PS_O_UNANSWERED && !udp);
    if (st->first && o == PS_O_OPEN) {
        /* The open answer to an address's one probe is kept in its record, unless a
         * (source, host) entry is there to update or the record already holds an answer. */
        struct ps_addr_key k;
        ps_addr_key(&k, src, ip_ver);
        if (!mm_lru_lookup(st->src, &k)) {
            struct ps_first *w = mm_lru_lookup(st->first, &k);
            if (!w)
                return; /* an answer to a probe never seen */
            struct ps_pair_key pk2;
            ps_pair_key(&pk2, src, dst, ip_ver);
            if (!w->opened && !ps_first_over(st, w, now) && !mm_lru_lookup(st->pair, &pk2)) {
                w->opened = true;
                w->open_pk = pk;
                w->open_dst = *dst;
                w->open_ns = now;
                return;
            }
        }
    }
    struct ps_src *s = ps_src_get(st, d, src, ip_ver, now, false);
    if (!s)
        return; /* an answer to a probe never seen: capture started late, or taken over */
                /* Negative evidence makes the (source, host) entry; an answer only updates one. */
    struct ps_pair *pr = ps_pair_get(st, d, src, dst, ip_ver, now, failed, s, NULL);
    bool first = true;
    if (pr) {
        unsigned bit = ps_icmp_bit(pk);
        bool icmp_answered = (pr->icmp_seen[bit >> 6] >> (bit & 63)) & 1u;
        /* A probe answered by an ICMP error also times out unanswered (its flow saw no
         * reply): that is not silence. The set can err towards "answered" once it fills. */
        if (o == PS_O_UNANSWERED && icmp_answered)
            return;
        if (icmp)
            pr->icmp_seen[bit >> 6] |= 1ull << (bit & 63);
        /* A probe sent before the entry existed (and not in its seed) counts now. */
        if (dtr_distinct_add(&pr->ports, pk)) {
            pr->c.probes++;
            pr->c.by_type[type]++;
            pr->c.protos |= ps_pk_proto(pk);
        }
        first = dtr_distinct_add(&pr->outcomes, pk);
        ps_count_outcome(&pr->c, o, udp);
        if (o == PS_O_OPEN) {
            bool known = false;
            for (size_t i = 0; i < pr->n_open && !known; i++)
                known = pr->open_ports[i] == pk;
            if (!known && pr->n_open < PS_EXAMPLES)
                pr->open_ports[pr->n_open++] = pk;
        }
        ps_counts_touch(&pr->c, pr->rep.reports || pr->pending_ns, now, cfg->window_ns);
    }
    uint32_t pair_ports = pr ? dtr_distinct_count(&pr->ports) : 1;

    ps_count_outcome(&s->c, o, udp);
    if (failed)
        s->evidence_ns = ps_max64(s->evidence_ns, now);
    /* Remembered for ps_src_watching only past the source's first window: most sources are
     * clients that come and go within it. */
    if (o == PS_O_OPEN && s->aged)
        dtr_fold_add(s->answered_now, PS_SEEN_HOST_WORDS, dtr_addr_key32(dst, ip_ver));
    /* UDP silence is what an open port and a filtered one both give: no evidence. Without a
     * (source, host) entry (an ordinary client) successes are not told apart per port: the
     * walk's lower bound caps what they are worth anyway. */
    if (first && (o != PS_O_UNANSWERED || !udp))
        ps_walk(st, s, o == PS_O_OPEN);
    if (o == PS_O_OPEN) {
        bool known = false;
        for (size_t i = 0; i < s->n_open_ex && !known; i++)
            known = s->open_ex[i].port == (pk & 0xffffu) &&
                    s->open_ex[i].proto == ps_pk_proto(pk) &&
                    !memcmp(s->open_ex[i].host.b, dst->b, 16);
        if (!known && s->n_open_ex < PS_EXAMPLES) {
            struct ps_svc *v = &s->open_ex[s->n_open_ex++];
            v->host = *dst;
            v->port = (uint16_t)(pk & 0xffffu);
            v->proto = ps_pk_proto(pk);
        }
    }
    ps_counts_touch(&s->c, ps_src_active(st, s, now), now, cfg->window_ns);

    ps_check_src(st, d, s, now);
    if (pr)
        ps_check_vertical(st, d, pr, s, now);

    /* Distributed: failures from sources that each probed few ports of this host (one that
     * probed many is a vertical scan of its own). pr and s stay valid: other tables. */
    if (failed && pair_ports < cfg->min_ports) {
        struct ps_tgt *t = ps_tgt_get(st, d, dst, ip_ver, now);
        if (!t)
            return;
        t->c.probes++;
        t->c.protos |= ps_pk_proto(pk);
        ps_count_outcome(&t->c, o, udp);
        t->c.by_type[type]++;
        dtr_distinct_add(&t->ports, pk);
        if (dtr_distinct_add(&t->sources, dtr_addr_key32(src, ip_ver)) && t->n_src_ex < PS_EXAMPLES)
            t->src_ex[t->n_src_ex++] = *src;
        ps_counts_touch(&t->c, t->rep.reports || t->pending_ns, now, cfg->dist_window_ns);
        ps_check_tgt(st, d, t, now);
    }
}

/* --- ARP sweeps ------------------------------------------------------------------------ */

static struct mm_addr ps_addr4(const uint8_t ip[4])
{
    struct mm_addr a;
    memset(&a, 0, sizeof a);
    memcpy(a.b, ip, 4);
    return a;
}

static bool ps_arp_ready(const struct ps_st *st, const struct ps_arp *a)
{
    uint32_t hosts = ps_distinct(&a->targets, a->c.probes);
    return hosts >= st->cfg->arp_min_hosts &&
           (double)ps_distinct(&a->answered, a->c.open) <= st->cfg->arp_max_answered * hosts;
}

static void ps_ev_ip4_array(struct jb *jb, const char *key, const uint8_t (*ips)[4], size_t n)
{
    jb_open_array(jb, key);
    for (size_t i = 0; i < n; i++) {
        char t[16];
        snprintf(t, sizeof t, "%u.%u.%u.%u", ips[i][0], ips[i][1], ips[i][2], ips[i][3]);
        jb_string(jb, NULL, t);
    }
    jb_close_array(jb);
}

static void ps_emit_arp(struct dtr *d, const struct ps_arp *a, uint64_t crossed, uint64_t now,
                        bool update)
{
    uint32_t hosts = ps_distinct(&a->targets, a->c.probes);
    uint32_t answered = ps_distinct(&a->answered, a->c.open);
    if (answered > hosts)
        answered = hosts; /* the two estimates, past their exact values */
    struct mm_addr src = ps_addr4(a->last_sender);
    char mac[18];
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", a->k.mac[0], a->k.mac[1],
             a->k.mac[2], a->k.mac[3], a->k.mac[4], a->k.mac[5]);
    struct jb *jb = dtr_alert_begin(d);
    dtr_ev_ip(jb, "scanner", &src, 4);
    jb_string(jb, "scanner_mac", mac);
    if (a->n_senders > 1) {
        ps_ev_ip4_array(jb, "scanner_addresses", (const uint8_t(*)[4])a->senders, a->n_senders);
        jb_bool(jb, "scanner_addresses_more", a->more_senders);
    }
    jb_string(jb, "detected_by", "arp");
    dtr_ev_ts(jb, "detected", crossed);
    jb_string(jb, "scan_type", "arp");
    jb_uint(jb, "requests", a->c.probes);
    jb_uint(jb, "hosts", hosts);
    ps_ev_estimated(jb, "hosts_estimated", &a->targets);
    ps_ev_ip4_array(jb, "hosts_first", (const uint8_t(*)[4])a->targets_ex, a->n_targets_ex);
    jb_uint(jb, "answered", answered);
    jb_uint(jb, "known_alive", a->known_alive < answered ? a->known_alive : answered);
    ps_ev_ip4_array(jb, "answered_first", (const uint8_t(*)[4])a->answered_ex, a->n_answered_ex);
    jb_uint(jb, "unanswered", hosts > answered ? hosts - answered : 0);
    dtr_ev_ts(jb, "first_seen", a->c.first_ns);
    dtr_ev_ts(jb, "last_seen", a->c.last_ns);
    dtr_ev_secs(jb, "duration_s", a->c.last_ns - a->c.first_ns);
    struct dtr_alert_args args = {
        .sig = PS_SIG_ARP_SWEEP,
        .ts_ns = now,
        .src = src,
        .dst = ps_addr4(a->targets_ex[0]),
        .ip_ver = 4,
        .update = update,
    };
    dtr_alert_emit(d, &args);
}

static void ps_check_arp(struct ps_st *st, struct dtr *d, struct ps_arp *a, uint64_t now)
{
    if (!ps_arp_ready(st, a))
        return;
    if (!a->rep.reports && ps_hold(st, &a->pending_ns, PS_K_ARP, &a->k, sizeof a->k, now))
        return;
    enum dtr_due due = dtr_report_due(d, &a->rep, now);
    if (due != DTR_DUE_NO)
        ps_emit_arp(d, a, now, now, due == DTR_DUE_UPDATE);
}

static void ps_release_arp(struct ps_st *st, struct dtr *d, struct ps_arp *a, uint64_t now)
{
    uint64_t crossed = a->pending_ns;
    a->pending_ns = 0;
    if (!ps_arp_ready(st, a))
        return; /* answers came in after the threshold was crossed: a busy host, no sweep */
    enum dtr_due due = dtr_report_due(d, &a->rep, now);
    if (due != DTR_DUE_NO)
        ps_emit_arp(d, a, crossed, now, due == DTR_DUE_UPDATE);
}

/* The entry of the machine with this MAC; made when `create`. Its window starts over when it ran
 * out (a held report is written first). */
static struct ps_arp *ps_arp_get(struct ps_st *st, struct dtr *d, const uint8_t mac[6],
                                 uint64_t now, bool create)
{
    struct ps_arp_key k;
    memset(&k, 0, sizeof k);
    memcpy(k.mac, mac, 6);
    struct ps_arp *a = mm_lru_lookup(st->arp, &k);
    if (a) {
        bool active = a->rep.reports || a->pending_ns;
        if (ps_window_over(&a->c, active, now, st->cfg->arp_window_ns)) {
            if (a->pending_ns)
                ps_release_arp(st, d, a, now);
            memset((unsigned char *)a + sizeof a->k, 0, sizeof *a - sizeof a->k);
            ps_counts_start(&a->c, now);
        }
        mm_lru_touch(st->arp, a);
        return a;
    }
    if (!create)
        return NULL;
    a = mm_lru_insert(st->arp, &k, now);
    if (a)
        ps_counts_start(&a->c, now);
    return a;
}

/* A machine sent ARP with this sender address: the address is up (until arp-alive passes). */
static void ps_live_seen(struct ps_st *st, const struct arp_info *m, uint64_t now)
{
    struct ps_live_key k;
    memcpy(k.ip, m->spa, 4);
    struct ps_live *l = mm_lru_lookup(st->live, &k);
    if (l)
        mm_lru_touch(st->live, l);
    else if (!(l = mm_lru_insert(st->live, &k, now)))
        return;
    memcpy(l->mac, m->sha, 6);
    l->expire_ns = mm_sat_add(now, st->cfg->arp_live_ns);
}

/* Whether the machine at ip is known to be up, by ARP it sent from another MAC than `asker`. */
static bool ps_live_other(const struct ps_st *st, const uint8_t ip[4], const uint8_t asker[6],
                          uint64_t now)
{
    struct ps_live_key k;
    memcpy(k.ip, ip, 4);
    const struct ps_live *l = mm_lru_lookup(st->live, &k);
    return l && now <= l->expire_ns && memcmp(l->mac, asker, 6) != 0;
}

/* Count an address as having answered machine a (at most once). */
static void ps_arp_answered(struct ps_arp *a, const uint8_t ip[4], uint32_t key, bool alive)
{
    if (!dtr_distinct_add(&a->answered, key))
        return;
    a->c.open++;
    a->known_alive += alive;
    if (a->n_answered_ex < PS_EXAMPLES)
        memcpy(a->answered_ex[a->n_answered_ex++], ip, 4);
}

/*
 * An ARP message. A broadcast request from a machine with an address of its own, for another
 * address, counts for that machine; RFC 5227 probes (sender 0.0.0.0), announcements (sender
 * = target) and unicast requests (a cache entry re-validated) ask for nobody new. A reply
 * counts as an answer for the machine it is addressed to. Every message with a sender
 * address says that address is up (ps_live_seen).
 */
static void ps_arp(struct ps_st *st, struct dtr *d, const struct packet *p)
{
    static const uint8_t zero4[4], bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const struct arp_info *m = &p->arp;
    /* A frame whose Ethernet source is not the sender MAC it carries (forged, or relayed by
     * proxy ARP) says nothing of that sender being up. */
    if (st->live && memcmp(m->spa, zero4, 4) != 0 &&
        (!p->mac_src || !memcmp(p->mac_src, m->sha, 6)))
        ps_live_seen(st, m, p->ts_ns);
    if (!memcmp(m->spa, m->tpa, 4))
        return;
    if (m->op == 1) {
        if (!memcmp(m->spa, zero4, 4) || (p->mac_dst && memcmp(p->mac_dst, bcast, 6) != 0))
            return;
        struct ps_arp *a = ps_arp_get(st, d, m->sha, p->ts_ns, true);
        if (!a)
            return;
        a->c.probes++;
        bool known = false;
        for (size_t i = 0; i < a->n_senders && !known; i++)
            known = !memcmp(a->senders[i], m->spa, 4);
        if (!known && a->n_senders < PS_ARP_SENDERS)
            memcpy(a->senders[a->n_senders++], m->spa, 4);
        else if (!known)
            a->more_senders = true;
        memcpy(a->last_sender, m->spa, 4);
        struct mm_addr t = ps_addr4(m->tpa);
        uint32_t key = dtr_addr_key32(&t, 4);
        if (dtr_distinct_add(&a->targets, key) && a->n_targets_ex < PS_EXAMPLES)
            memcpy(a->targets_ex[a->n_targets_ex++], m->tpa, 4);
        /* A machine known to be up answers, whether or not its reply is in sight (asked for
         * again, it is counted once: the answered set is distinct). */
        if (st->live && ps_live_other(st, m->tpa, m->sha, p->ts_ns))
            ps_arp_answered(a, m->tpa, key, true);
        ps_counts_touch(&a->c, a->rep.reports || a->pending_ns, p->ts_ns, st->cfg->arp_window_ns);
        ps_check_arp(st, d, a, p->ts_ns);
        return;
    }
    struct ps_arp *a = ps_arp_get(st, d, m->tha, p->ts_ns, false);
    if (!a)
        return;
    /* Only an answer from an address the machine asked for: replies it never asked for
     * (forged by the scanner itself, say) must not make a sweep look like a busy host. */
    struct mm_addr t = ps_addr4(m->spa);
    uint32_t key = dtr_addr_key32(&t, 4);
    if (!dtr_distinct_may_hold(&a->targets, key))
        return;
    ps_arp_answered(a, m->spa, key, false);
}

/* The probe type of a flow's first client segment, or -1 when it is no probe. */
static int ps_tcp_probe_type(uint8_t flags)
{
    uint8_t core = flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG);
    if ((core & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN)
        return PS_SYN;
    if (core == 0)
        return PS_NULL;
    if (core == TCP_FIN)
        return PS_FIN;
    if ((core & (TCP_FIN | TCP_PSH | TCP_URG)) == (TCP_FIN | TCP_PSH | TCP_URG) &&
        !(core & (TCP_SYN | TCP_RST | TCP_ACK)))
        return PS_XMAS;
    return -1;
}

static void ps_icmp_error(struct ps_st *st, struct dtr *d, const struct packet *p)
{
    bool unreach = (p->proto == 1 && p->icmp_type == 3) || (p->proto == 58 && p->icmp_type == 1);
    if (!unreach)
        return;
    const struct icmp_inner *in = &p->icmp_inner;
    /* The error goes back to whoever sent the quoted packet, or it is not about its probe. */
    if (in->ip_ver != p->ip_ver || memcmp(in->src.b, p->dst.b, 16) != 0)
        return;
    if (in->icmp_quoted && ps_ping_request(in->proto, in->icmp_type)) {
        /* A router (or the host) says a pinged address cannot be reached. */
        if (ps_unicast(&in->dst, in->ip_ver))
            ps_outcome(st, d, &in->src, &in->dst, in->ip_ver, PS_PK_PING, PS_PING, PS_O_FILTERED,
                       true, p->ts_ns);
        return;
    }
    if ((in->proto != 6 && in->proto != 17) || in->dport == 0)
        return;
    bool udp = in->proto == 17;
    if (udp && !ps_udp_probe_ok(in->sport, in->dport, &in->dst, in->ip_ver))
        return;
    bool port_unreach =
        (p->proto == 1 && p->icmp_code == 3) || (p->proto == 58 && p->icmp_code == 4);
    ps_outcome(st, d, &in->src, &in->dst, in->ip_ver, in->dport | (udp ? PS_PK_UDP : 0u),
               udp ? PS_UDP : PS_SYN, port_unreach ? PS_O_CLOSED : PS_O_FILTERED, true, p->ts_ns);
}

/* --- callbacks ------------------------------------------------------------------------- */

static void *ps_init(struct dtr *d, const void *cfgv, char *err, size_t errlen)
{
    const struct ps_cfg *cfg = cfgv;
    if (cfg->theta1 >= cfg->theta0) {
        snprintf(err, errlen, "trw-theta1 (%g) must be below trw-theta0 (%g)", cfg->theta1,
                 cfg->theta0);
        return NULL;
    }
    if (cfg->alpha >= cfg->beta) {
        snprintf(err, errlen, "trw-alpha (%g) must be below trw-beta (%g)", cfg->alpha, cfg->beta);
        return NULL;
    }
    struct ps_st *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->cfg = cfg;
    st->step_ok = log(cfg->theta1 / cfg->theta0);
    st->step_fail = log((1 - cfg->theta1) / (1 - cfg->theta0));
    st->upper = log(cfg->beta / cfg->alpha);
    st->lower = log((1 - cfg->beta) / (1 - cfg->alpha));
    /* Sources and (source, host) pairs are what a scan creates; targets are few. */
    size_t cap_src = cfg->memcap / 20 * 10, cap_pair = cfg->memcap / 20 * 7;
    size_t cap_arp = cfg->memcap / 20;
    size_t cap_tgt = cfg->memcap - cap_src - cap_pair - cap_arp;
    /* A quarter of the ARP share knows which addresses are up: about 3,100 in the default. */
    size_t cap_live = cfg->arp_live_ns ? cap_arp / 4 : 0;
    cap_arp -= cap_live;
    /* Half of the sources' share holds first probes: about eight times as many addresses as
     * source entries in the same bytes, and nearly every address is seen once. Sources have
     * half of the memcap (the source-host pairs 35 %) since their entries remember monitors:
     * about 3,500 source entries, more than 40 % held before, so that a spoofed flood of
     * 3,000 sources answered by RSTs (the live test's) still fits. */
    size_t cap_first = cap_src / 2;
    cap_src -= cap_first;
    st->src = dtr_table_new(d, "portscan.sources", cap_src, sizeof(struct ps_src),
                            sizeof(struct ps_addr_key), ps_src_stale);
    st->first = dtr_table_new(d, "portscan.first_probes", cap_first, sizeof(struct ps_first),
                              sizeof(struct ps_addr_key), ps_first_stale);
    st->pair = dtr_table_new(d, "portscan.source_hosts", cap_pair, sizeof(struct ps_pair),
                             sizeof(struct ps_pair_key), ps_pair_stale);
    st->tgt = dtr_table_new(d, "portscan.targets", cap_tgt, sizeof(struct ps_tgt),
                            sizeof(struct ps_addr_key), ps_tgt_stale);
    st->arp = dtr_table_new(d, "portscan.arp_senders", cap_arp, sizeof(struct ps_arp),
                            sizeof(struct ps_arp_key), ps_arp_stale);
    if (cap_live)
        st->live = dtr_table_new(d, "portscan.arp_alive", cap_live, sizeof(struct ps_live),
                                 sizeof(struct ps_live_key), ps_live_stale);
    if (!st->src || !st->pair || !st->tgt || !st->first || !st->arp || (cap_live && !st->live)) {
        snprintf(err, errlen, "memcap %zu bytes cannot hold the tables (or out of memory)",
                 cfg->memcap);
        mm_lru_free(st->first);
        mm_lru_free(st->src);
        mm_lru_free(st->pair);
        mm_lru_free(st->tgt);
        mm_lru_free(st->arp);
        mm_lru_free(st->live);
        free(st);
        return NULL;
    }
    return st;
}

static void ps_fini(void *stv)
{
    struct ps_st *st = stv;
    mm_lru_free(st->first);
    mm_lru_free(st->src);
    mm_lru_free(st->pair);
    mm_lru_free(st->tgt);
    mm_lru_free(st->arp);
    mm_lru_free(st->live);
    free(st);
}

static void ps_packet(void *stv, struct dtr *d, const struct flow *f, int dir,
                      const struct packet *p)
{
    struct ps_st *st = stv;
    if (MM_UNLIKELY(p->flags & PKT_F_ICMP_INNER)) {
        ps_icmp_error(st, d, p);
        return;
    }
    if (MM_UNLIKELY(p->flags & PKT_F_ARP)) {
        ps_arp(st, d, p);
        return;
    }
    /* Only the first packet of each direction of a flow says anything about probes. */
    if (!f || (dir != FLOW_TOSERVER && dir != FLOW_TOCLIENT) || f->pkts[dir] != 1 ||
        !(p->flags & PKT_F_L4))
        return;
    if (p->proto == 6) {
        if (dir == FLOW_TOSERVER) {
            int t = ps_tcp_probe_type(p->tcp_flags);
            if (t >= 0)
                ps_probe(st, d, &p->src, &p->dst, p->ip_ver, p->dport, (enum ps_type)t, p->ts_ns);
            return;
        }
        uint8_t cflags = f->tcp_flags[FLOW_TOSERVER];
        if (!f->pkts[FLOW_TOSERVER])
            return; /* the server spoke first: reflection or a capture started late */
        if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
            if (cflags & TCP_SYN)
                ps_outcome(st, d, &p->dst, &p->src, p->ip_ver, p->sport, PS_SYN, PS_O_OPEN, false,
                           p->ts_ns);
            return;
        }
        if (!(p->tcp_flags & TCP_RST))
            return;
        int t = ps_tcp_probe_type(cflags);
        if (t >= 0) {
            ps_outcome(st, d, &p->dst, &p->src, p->ip_ver, p->sport, (enum ps_type)t, PS_O_CLOSED,
                       false, p->ts_ns);
        } else if ((cflags & (TCP_SYN | TCP_FIN | TCP_RST | TCP_PSH | TCP_URG | TCP_ACK)) ==
                       TCP_ACK &&
                   f->payload[FLOW_TOSERVER] == 0 && f->pkts[FLOW_TOSERVER] <= 2) {
            /* An ACK out of nowhere answered by RST: an ACK scan probe (firewall mapping). */
            ps_probe(st, d, &p->dst, &p->src, p->ip_ver, p->sport, PS_ACK, p->ts_ns);
            ps_outcome(st, d, &p->dst, &p->src, p->ip_ver, p->sport, PS_ACK, PS_O_CLOSED, false,
                       p->ts_ns);
        }
        return;
    }
    if (p->proto == 17) {
        if (dir == FLOW_TOSERVER) {
            if (ps_udp_probe_ok(p->sport, p->dport, &p->dst, p->ip_ver))
                ps_probe(st, d, &p->src, &p->dst, p->ip_ver, p->dport | PS_PK_UDP, PS_UDP,
                         p->ts_ns);
        } else if (f->pkts[FLOW_TOSERVER] &&
                   ps_udp_probe_ok(p->dport, p->sport, &p->src, p->ip_ver)) {
            ps_outcome(st, d, &p->dst, &p->src, p->ip_ver, p->sport | PS_PK_UDP, PS_UDP, PS_O_OPEN,
                       false, p->ts_ns);
        }
        return;
    }
    if (p->proto == 1 || p->proto == 58) {
        /* A ping (the flow is keyed by its identifier) and the host's answer to it. */
        if (dir == FLOW_TOSERVER) {
            if (ps_ping_request(p->proto, p->icmp_type) && ps_unicast(&p->dst, p->ip_ver))
                ps_probe(st, d, &p->src, &p->dst, p->ip_ver, PS_PK_PING, PS_PING, p->ts_ns);
        } else if (f->pkts[FLOW_TOSERVER] && ps_ping_reply(p->proto, p->icmp_type) &&
                   ps_ping_request(p->proto, f->icmp_type[FLOW_TOSERVER])) {
            ps_outcome(st, d, &p->dst, &p->src, p->ip_ver, PS_PK_PING, PS_PING, PS_O_OPEN, false,
                       p->ts_ns);
        }
    }
}

static void ps_flow_end(void *stv, struct dtr *d, const struct flow *f)
{
    struct ps_st *st = stv;
    const struct ps_cfg *cfg = st->cfg;
    if ((f->key.proto != 6 && f->key.proto != 17 && f->key.proto != 1 && f->key.proto != 58) ||
        !f->pkts[FLOW_TOSERVER])
        return;
    struct mm_addr cli = ps_addr_of(flow_client_addr(f));
    struct mm_addr srv = ps_addr_of(flow_server_addr(f));
    int ipv = f->key.ip_ver;
    if (f->key.proto == 1 || f->key.proto == 58) {
        /* A ping nobody answered: no such host, or one that keeps quiet. */
        if (!f->pkts[FLOW_TOCLIENT] && f->icmp_seen[FLOW_TOSERVER] &&
            ps_ping_request(f->key.proto, f->icmp_type[FLOW_TOSERVER]) && ps_unicast(&srv, ipv))
            ps_outcome(st, d, &cli, &srv, ipv, PS_PK_PING, PS_PING, PS_O_UNANSWERED, false,
                       f->last_ns);
        return;
    }
    uint16_t sport = flow_client_port(f), dport = flow_server_port(f);
    uint64_t now = f->last_ns;
    if (f->key.proto == 17) {
        if (!f->pkts[FLOW_TOCLIENT] && ps_udp_probe_ok(sport, dport, &srv, ipv))
            ps_outcome(st, d, &cli, &srv, ipv, dport | PS_PK_UDP, PS_UDP, PS_O_UNANSWERED, false,
                       now);
        return;
    }
    uint8_t c = f->tcp_flags[FLOW_TOSERVER], s = f->tcp_flags[FLOW_TOCLIENT];
    if (!f->pkts[FLOW_TOCLIENT]) {
        if ((c & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN)
            ps_outcome(st, d, &cli, &srv, ipv, dport, PS_SYN, PS_O_UNANSWERED, false, now);
        return;
    }
    /* connect(): handshake completed, then closed by the client at once, nothing sent. */
    bool connect_scan =
        (c & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) && (c & (TCP_RST | TCP_FIN)) &&
        (s & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) && f->payload[FLOW_TOSERVER] == 0 &&
        f->last_ns - f->first_ns <= cfg->connect_max_ns;
    if (!connect_scan)
        return;
    struct ps_pair *pr = ps_pair_get(st, d, &cli, &srv, ipv, now, false, NULL, NULL);
    if (pr && pr->c.by_type[PS_SYN]) {
        pr->c.by_type[PS_SYN]--;
        pr->c.by_type[PS_CONNECT]++;
    }
    if (st->first) {
        /* A record's one probe becomes a connect() probe, as its entry's count would. */
        struct ps_addr_key k;
        ps_addr_key(&k, &cli, ipv);
        if (!mm_lru_lookup(st->src, &k)) {
            struct ps_first *w = mm_lru_lookup(st->first, &k);
            if (!w)
                return;
            if (!ps_first_over(st, w, now)) {
                if (w->type == PS_SYN)
                    w->type = PS_CONNECT;
                return;
            }
        }
    }
    struct ps_src *sr = ps_src_get(st, d, &cli, ipv, now, false);
    if (sr && sr->c.by_type[PS_SYN]) {
        sr->c.by_type[PS_SYN]--;
        sr->c.by_type[PS_CONNECT]++;
    }
}

static void ps_tick(void *stv, struct dtr *d, uint64_t now)
{
    struct ps_st *st = stv;
    if (st->n_pend)
        ps_pend_flush(st, d, now, false);
}

static void ps_finish(void *stv, struct dtr *d, uint64_t now)
{
    struct ps_st *st = stv;
    ps_pend_flush(st, d, now, true);
}

static void ps_stats(const void *stv, struct dtr_det_stats *out)
{
    const struct ps_st *st = stv;
    mm_lru_t *const t[] = {st->src, st->pair, st->tgt, st->first, st->arp, st->live};
    dtr_table_stats(out, t, st->live ? MM_ARRAY_LEN(t) : MM_ARRAY_LEN(t) - 1);
}

const struct dtr_ops dt_portscan_ops = {
    .name = "portscan",
    .threat = "T2",
    .summary = "vertical, horizontal, block and distributed port scans (TCP SYN, connect, FIN, "
               "NULL, XMAS, ACK; UDP through ICMP port unreachable), ping sweeps and ARP sweeps, "
               "with a Threshold Random Walk over first-contact outcomes",
    .sid_base = 2001,
    .sigs = ps_sigs,
    .n_sigs = MM_ARRAY_LEN(ps_sigs),
    .params = ps_params,
    .n_params = MM_ARRAY_LEN(ps_params),
    .cfg_size = sizeof(struct ps_cfg),
    .init = ps_init,
    .fini = ps_fini,
    .packet = ps_packet,
    .packet_classes = DTR_PC_BIT(DTR_PC_TCP_EDGE) | DTR_PC_BIT(DTR_PC_UDP_FIRST) |
                      DTR_PC_BIT(DTR_PC_OTHER_FIRST) | DTR_PC_BIT(DTR_PC_OTHER_MORE),
    .flow_end = ps_flow_end,
    .tick = ps_tick,
    .finish = ps_finish,
    .stats = ps_stats,
};
