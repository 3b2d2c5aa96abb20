/*
 * T4 floods (dt_flood_ops): TCP SYN floods, SYN-ACK reflection, TCP ACK floods, UDP floods
 * and UDP amplification, ICMP floods, and connection floods, each per destination.
 * docs/detectors/flood.md has the settings, the reasons for their defaults and the evidence.
 *
 * Two stages keep the cost per packet at one hash lookup and the memory independent of the
 * number of (spoofed) sources:
 *
 *   svc table (most of the memcap)      hot table (a quarter of the memcap)
 *   key: destination + kind             same key, only for destinations whose rate reached a
 *   10 time buckets x 4 counters        quarter of an alert threshold: distinct sources and
 *   (~230 bytes)                        ports (bounded counters), top sources, top networks
 *                                       and top source ports (Space-Saving, dt_flood.h), peaks,
 *                                       totals and the report schedule (~2.4 KiB)
 *
 * Keys and what is counted (a bucket is window / 10 wide):
 *   TCP  (server, port)   SYNs without ACK to it; SYN-ACKs from it; handshakes completed (the
 *                         client's second packet is an ACK after its SYN, so this works on
 *                         captures that hold one direction only)
 *   REFL (host)           SYN-ACKs arriving for connections the host never opened (the flow
 *                         began with the SYN-ACK); RSTs that begin a flow (backscatter)
 *   UDP  (host)           datagrams, bytes, datagrams from a known reflector port
 *   ICMP (host)           ICMP and ICMPv6 messages of any type, bytes, echo requests; not the
 *                         answers to the host's own requests (the replies to its pings)
 *   ACK  (host)           TCP segments with ACK (no SYN, no RST) that begin a flow: no
 *                         connection they could belong to was seen
 * Alerts, evaluated on each packet that updates a hot entry:
 *   syn-flood         a bucket's SYN rate >= syn-rate and, over the window, at least
 *                     half-open of the SYNs had no completed handshake
 *   synack-reflection a bucket's unsolicited SYN-ACK rate >= synack-rate
 *   udp-flood         a bucket's datagram rate >= udp-rate from >= udp-min-sources sources;
 *   udp-amplification the same when >= amp-share of the window's datagrams come from a
 *                     reflector port (amp-ports)
 *   icmp-flood        a bucket's ICMP rate >= icmp-rate, from any number of sources (one
 *                     `ping -f` or hping3 --flood is a flood; a monitoring system pings once
 *                     a second)
 *   ack-flood         a bucket's rate of out-of-state ACKs >= ack-rate (a capture or a
 *                     flow timeout cuts into running connections at one segment each)
 *   connection-flood  a bucket's completed-handshake rate >= conn-rate to a service port
 *                     (conn-ports) from at most conn-max-sources sources
 * One alert when a condition first holds, then updates at most every update-interval while it
 * keeps holding; an activity quiet for end-after starts over.
 *
 * Not covered: RST and fragment floods, floods spread over many destination addresses with a
 * low rate each (carpet bombing), application-layer floods over established connections
 * (HTTP request floods).
 */
#include "detect/dt_flood.h"

#include "core/mm.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ------------------------------------------------------------------------------------------
 * Shared T4 helpers (dt_flood.h)
 * ---------------------------------------------------------------------------------------- */

/* Slots i < n whose key is `key`, as a bit mask: with SSE2, four compares of four keys
 * each, where a miss (every packet of a spoofed flood) used to cost sixteen compare-and-branch
 * steps. */
static uint32_t topk_key_hits(const struct dt_flood_topk *t, uint32_t key)
{
    uint32_t m = 0;
#if defined(__SSE2__)
    _Static_assert(DT_FLOOD_TOPK == 16, "four vectors of four keys");
    __m128i k = _mm_set1_epi32((int)key);
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)&t->key[4 * i]);
        m |= (uint32_t)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, k))) << (4 * i);
    }
#else
    for (uint32_t i = 0; i < DT_FLOOD_TOPK; i++)
        m |= (uint32_t)(t->key[i] == key) << i;
#endif
    return t->n >= DT_FLOOD_TOPK ? m : m & ((1u << t->n) - 1u);
}

/* The first slot (lowest index) holding the smallest count of a non-empty sketch. In a flood
 * of spoofed sources every packet takes a slot over, so this runs per packet: with SSE2 the
 * minimum of four counts at a time (unsigned order through a sign flip), then the first slot
 * equal to it. */
static size_t topk_min_slot(const struct dt_flood_topk *t)
{
    size_t n = t->n, i = 0;
    uint32_t min = UINT32_MAX;
#if defined(__SSE2__)
    if (n >= 4) {
        const __m128i flip = _mm_set1_epi32(INT32_MIN);
        __m128i vmin =
            _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)t->count), flip);
        for (i = 4; i + 4 <= n; i += 4) {
            __m128i v = _mm_xor_si128(
                _mm_loadu_si128((const __m128i *)(const void *)&t->count[i]), flip);
            __m128i lt = _mm_cmplt_epi32(v, vmin);
            vmin = _mm_or_si128(_mm_and_si128(lt, v), _mm_andnot_si128(lt, vmin));
        }
        for (int sh = 0; sh < 2; sh++) { /* lanes 0-1 against 2-3, then 0 against 1 */
            __m128i o = sh == 0 ? _mm_shuffle_epi32(vmin, _MM_SHUFFLE(1, 0, 3, 2))
                                : _mm_shuffle_epi32(vmin, _MM_SHUFFLE(2, 3, 0, 1));
            __m128i lt = _mm_cmplt_epi32(o, vmin);
            vmin = _mm_or_si128(_mm_and_si128(lt, o), _mm_andnot_si128(lt, vmin));
        }
        min = (uint32_t)_mm_cvtsi128_si32(vmin) ^ 0x80000000u;
    }
#endif
    for (size_t k = i; k < n; k++)
        min = t->count[k] < min ? t->count[k] : min;
    size_t k = 0;
#if defined(__SSE2__)
    const __m128i m = _mm_set1_epi32((int)min);
    for (; k + 4 <= n; k += 4) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)&t->count[k]);
        int hit = _mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, m)));
        if (hit)
            return k + (size_t)__builtin_ctz((unsigned)hit);
    }
#endif
    for (; k < n; k++)
        if (t->count[k] == min)
            return k;
    return 0;
}

static void topk_add(struct dt_flood_topk *t, size_t cap, const struct mm_addr *a, int ip_ver,
                     uint32_t key, uint32_t inc)
{
    if (cap > DT_FLOOD_TOPK)
        cap = DT_FLOOD_TOPK;
    for (uint32_t m = topk_key_hits(t, key); m; m &= m - 1) {
        size_t i = (size_t)__builtin_ctz(m); /* lowest first: the first match, as a scan finds */
        /* IPv4 addresses and ports are their own keys; IPv6 keys are hashes. */
        if (t->ip_ver[i] == ip_ver && (ip_ver != 6 || !memcmp(t->addr[i].b, a->b, 16))) {
            t->count[i] = t->count[i] > UINT32_MAX - inc ? UINT32_MAX : t->count[i] + inc;
            return;
        }
    }
    size_t slot;
    uint32_t base = 0;
    if (t->n < cap) {
        slot = t->n++;
    } else {
        /* Space-Saving: the smallest counter is taken over and its count becomes the new
         * item's possible error (the first smallest, so results are deterministic). */
        slot = topk_min_slot(t);
        base = t->count[slot];
    }
    /* Only an IPv6 item needs its address kept: an IPv4 address (or /24) is its key, a port
     * has none (topk_addr). Not writing them saves a cache line per new item, which on a
     * server that new clients keep reaching is nearly every update. */
    if (ip_ver == 6)
        t->addr[slot] = *a;
    t->key[slot] = key;
    t->ip_ver[slot] = (uint8_t)ip_ver;
    t->err[slot] = base;
    t->count[slot] = base > UINT32_MAX - inc ? UINT32_MAX : base + inc;
}

void dt_flood_topk_add_addr(struct dt_flood_topk *t, size_t cap, const struct mm_addr *a,
                            int ip_ver, uint32_t inc)
{
    topk_add(t, cap, a, ip_ver, dtr_addr_key32(a, ip_ver), inc);
}

void dt_flood_topk_add_net(struct dt_flood_topk *t, size_t cap, const struct mm_addr *a, int ip_ver,
                           uint32_t inc)
{
    struct mm_addr n;
    memset(&n, 0, sizeof n);
    if (ip_ver == 4)
        memcpy(n.b, a->b, 3); /* /24 */
    else
        memcpy(n.b, a->b, 6); /* /48 */
    topk_add(t, cap, &n, ip_ver, dtr_addr_key32(&n, ip_ver), inc);
}

void dt_flood_topk_add_port(struct dt_flood_topk *t, size_t cap, uint16_t port, uint32_t inc)
{
    topk_add(t, cap, NULL, 0, port, inc);
}

/* The address of item i: kept for IPv6, rebuilt from the key for IPv4 (dtr_addr_key32 is the
 * address itself), zero for a port. */
static struct mm_addr topk_addr(const struct dt_flood_topk *t, size_t i)
{
    if (t->ip_ver[i] == 6)
        return t->addr[i];
    struct mm_addr a;
    memset(&a, 0, sizeof a);
    if (t->ip_ver[i] == 4) {
        uint32_t k = t->key[i];
        a.b[0] = (uint8_t)(k >> 24);
        a.b[1] = (uint8_t)(k >> 16);
        a.b[2] = (uint8_t)(k >> 8);
        a.b[3] = (uint8_t)k;
    }
    return a;
}

size_t dt_flood_topk_sorted(const struct dt_flood_topk *a, const struct dt_flood_topk *b,
                            struct dt_flood_topk_item *out, size_t max)
{
    size_t n = 0;
    const struct dt_flood_topk *src[2] = {a, b};
    for (size_t s = 0; s < 2; s++) {
        if (!src[s])
            continue;
        const struct dt_flood_topk *t = src[s];
        for (size_t i = 0; i < t->n && i < DT_FLOOD_TOPK; i++) {
            struct mm_addr ai = topk_addr(t, i);
            size_t j = 0;
            while (j < n && !(out[j].key == t->key[i] && out[j].ip_ver == t->ip_ver[i] &&
                              !memcmp(out[j].addr.b, ai.b, 16)))
                j++;
            if (j < n) {
                out[j].count = out[j].count > UINT32_MAX - t->count[i] ? UINT32_MAX
                                                                       : out[j].count + t->count[i];
                out[j].err += t->err[i];
            } else {
                struct dt_flood_topk_item *o = &out[n++];
                o->addr = ai;
                o->key = t->key[i];
                o->count = t->count[i];
                o->err = t->err[i];
                o->ip_ver = t->ip_ver[i];
            }
        }
    }
    /* Insertion sort, stable: at most 2 * DT_FLOOD_TOPK items. */
    for (size_t i = 1; i < n; i++) {
        struct dt_flood_topk_item x = out[i];
        size_t j = i;
        while (j > 0 && out[j - 1].count < x.count) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = x;
    }
    return n < max ? n : max;
}

void dt_flood_ev_top_addrs(struct jb *jb, const char *key, const struct dt_flood_topk_item *it,
                           size_t n, size_t max, const char *count_name, enrich_t *en)
{
    jb_open_array(jb, key);
    for (size_t i = 0; i < n && i < max; i++) {
        jb_open_object(jb, NULL);
        dtr_ev_ip(jb, "ip", &it[i].addr, it[i].ip_ver);
        jb_uint(jb, count_name, it[i].count);
        if (it[i].err) {
            char k[48];
            snprintf(k, sizeof k, "%s_min", count_name);
            jb_uint(jb, k, it[i].count - it[i].err);
        }
        if (en) {
            struct enrich_host h;
            enrich_lookup(en, &it[i].addr, it[i].ip_ver, &h);
            if (h.country[0])
                jb_string(jb, "country", h.country);
            if (h.asn)
                jb_uint(jb, "asn", h.asn);
        }
        jb_close_object(jb);
    }
    jb_close_array(jb);
}

void dt_flood_ev_top_nets(struct jb *jb, const char *key, const struct dt_flood_topk_item *it,
                          size_t n, size_t max, const char *count_name, enrich_t *en)
{
    jb_open_array(jb, key);
    for (size_t i = 0; i < n && i < max; i++) {
        char a[64], s[72];
        dtr_addr_str(&it[i].addr, it[i].ip_ver, a, sizeof a);
        snprintf(s, sizeof s, "%s/%d", a, it[i].ip_ver == 4 ? 24 : 48);
        jb_open_object(jb, NULL);
        jb_string(jb, "net", s);
        jb_uint(jb, count_name, it[i].count);
        if (en) {
            /* A /24 (/48) is nearly always announced and located as one: its first address
             * stands for it. */
            struct enrich_host h;
            enrich_lookup(en, &it[i].addr, it[i].ip_ver, &h);
            if (h.country[0])
                jb_string(jb, "country", h.country);
            if (h.asn)
                jb_uint(jb, "asn", h.asn);
        }
        jb_close_object(jb);
    }
    jb_close_array(jb);
}

void dt_flood_ev_top_ports(struct jb *jb, const char *key, const struct dt_flood_topk_item *it,
                           size_t n, size_t max, const char *count_name)
{
    jb_open_array(jb, key);
    for (size_t i = 0; i < n && i < max; i++) {
        jb_open_object(jb, NULL);
        jb_uint(jb, "port", it[i].key);
        jb_uint(jb, count_name, it[i].count);
        jb_close_object(jb);
    }
    jb_close_array(jb);
}

const char *dt_flood_distinct_quality(const struct dtr_distinct *c)
{
    if (c->n_exact < DTR_DISTINCT_EXACT)
        return "exact";
    /* Linear counting loses its footing once most of the 1024 bits are set. */
    return c->sketch_set >= 1000 ? "lower-bound" : "estimate";
}

bool dt_flood_ports_parse(struct dt_flood_ports *ps, const char *text, const char *what, char *err,
                          size_t errlen)
{
    memset(ps, 0, sizeof *ps);
    const char *s = text ? text : "";
    while (*s) {
        if (*s == ',' || isspace((unsigned char)*s)) {
            s++;
            continue;
        }
        if (!isdigit((unsigned char)*s))
            goto bad;
        unsigned long v = 0;
        int digits = 0;
        while (isdigit((unsigned char)*s) && digits < 6) {
            v = v * 10 + (unsigned long)(*s - '0');
            s++;
            digits++;
        }
        if (v < 1 || v > 65535 || isdigit((unsigned char)*s))
            goto bad;
        dt_flood_ports_set(ps, (uint16_t)v);
    }
    return true;
bad:
    snprintf(err, errlen, "%s: '%s' is not a list of ports such as \"25,110,143\"", what, text);
    return false;
}

const char *dt_flood_service_name(uint16_t port)
{
    switch (port) {
    case 21: return "ftp";
    case 22: return "ssh";
    case 23: return "telnet";
    case 25: return "smtp";
    case 53: return "dns";
    case 80: return "http";
    case 110: return "pop3";
    case 143: return "imap";
    case 443: return "https";
    case 445: return "smb";
    case 465: return "smtps";
    case 587: return "submission";
    case 993: return "imaps";
    case 995: return "pop3s";
    case 3389: return "rdp";
    case 8000:
    case 8008:
    case 8080:
    case 8888: return "http";
    default: return NULL;
    }
}

/* ------------------------------------------------------------------------------------------
 * The flood detector
 * ---------------------------------------------------------------------------------------- */

#define FL_BUCKETS 10 /* per window */
#define FL_TOP_SHOWN_NETS 5
#define FL_PORT_EXAMPLES 10

struct fl_cfg {
    size_t memcap;
    uint64_t window_ns;
    uint32_t syn_rate;
    double half_open;
    uint32_t synack_rate;
    uint32_t udp_rate;
    uint32_t udp_min_sources;
    const char *amp_ports;
    double amp_share;
    uint32_t icmp_rate;
    uint32_t ack_rate;
    uint32_t conn_rate;
    uint32_t conn_max_sources;
    const char *conn_ports;
    uint64_t end_after_ns;
    uint32_t top;
};

static const struct dtr_param fl_params[] = {
    {"memcap", DTR_P_SIZE, offsetof(struct fl_cfg, memcap), "8mb", 262144, 4294967296.0,
     "memory for all flood state: 64 KiB of doorkeeper bits, then three quarters count about "
     "24,000 destinations at once (232 bytes each) and a quarter holds the detail of about "
     "800 under a high rate (2.2 KiB each)"},
    {"window", DTR_P_DURATION, offsetof(struct fl_cfg, window_ns), "10s", 1, 600,
     "span of the ten rate buckets (rates are per bucket, ratios over the window); 10 s sees a "
     "flood within one second and keeps its SYN:SYN-ACK ratio steady"},
    {"syn-rate", DTR_P_U32, offsetof(struct fl_cfg, syn_rate), "200", 1, 100000000,
     "SYNs per second to one service (in one bucket) that can make a SYN flood: well above the "
     "new-connection rate of a small organisation's busiest server"},
    {"half-open", DTR_P_DOUBLE, offsetof(struct fl_cfg, half_open), "0.5", 0, 1,
     "share of the window's SYNs left without a completed handshake; a busy but healthy server "
     "completes nearly all, a flood of spoofed SYNs almost none"},
    {"synack-rate", DTR_P_U32, offsetof(struct fl_cfg, synack_rate), "200", 1, 100000000,
     "SYN-ACKs per second arriving at one host for connections it never opened (reflection)"},
    {"udp-rate", DTR_P_U32, offsetof(struct fl_cfg, udp_rate), "5000", 1, 100000000,
     "UDP datagrams per second to one host that can make a UDP flood; a busy DNS or VoIP "
     "server of a small site stays far below"},
    {"udp-min-sources", DTR_P_U32, offsetof(struct fl_cfg, udp_min_sources), "10", 1, 1000000,
     "distinct sources needed for a UDP flood, so one bulk stream (a QUIC download, a backup) "
     "is not one"},
    {"amp-ports", DTR_P_STRING, offsetof(struct fl_cfg, amp_ports),
     "17,19,53,111,123,137,161,389,520,1900,3283,3702,5353,5683,10001,11211,27015,30718,37810,"
     "47808",
     0, 0,
     "UDP source ports of services abused as reflectors (qotd, chargen, DNS, portmap, NTP, "
     "NetBIOS, SNMP, CLDAP, RIP, SSDP, ARD, WS-Discovery, mDNS, CoAP, Ubiquiti, memcached, "
     "Steam, Lantronix, Dahua DVR, BACnet)"},
    {"amp-share", DTR_P_DOUBLE, offsetof(struct fl_cfg, amp_share), "0.5", 0, 1,
     "share of a UDP flood's datagrams from reflector ports that names it amplification"},
    {"icmp-rate", DTR_P_U32, offsetof(struct fl_cfg, icmp_rate), "500", 1, 100000000,
     "ICMP messages per second to one host that make an ICMP flood: monitoring pings once a "
     "second, traceroute and path-MTU discovery send a few; ping -f sends hundreds to "
     "thousands and hping3 --flood tens of thousands"},
    {"ack-rate", DTR_P_U32, offsetof(struct fl_cfg, ack_rate), "1000", 1, 100000000,
     "TCP ACKs per second to one host that belong to no connection seen (they begin a flow): "
     "a capture started, or a flow timed out, in the middle of running connections gives one "
     "per connection; spoofed ACK floods, which get past SYN cookies, bring thousands"},
    {"conn-rate", DTR_P_U32, offsetof(struct fl_cfg, conn_rate), "100", 1, 100000000,
     "completed connections per second to one service from few sources: mail and login "
     "services of a small site see a few per minute, a password-guessing tool up to about 40 "
     "(T5's business); 100 a second fill a mail server's 100 processes within a second"},
    {"conn-max-sources", DTR_P_U32, offsetof(struct fl_cfg, conn_max_sources), "10", 1, 1000000,
     "at most this many sources for a connection flood (more is a crowd, or a SYN flood)"},
    {"conn-ports", DTR_P_STRING, offsetof(struct fl_cfg, conn_ports),
     "21,22,25,80,110,143,443,465,587,993,995,8080", 0, 0,
     "services watched for connection floods: FTP, SSH, SMTP, HTTP(S), POP3, IMAP and their "
     "TLS ports"},
    {"end-after", DTR_P_DURATION, offsetof(struct fl_cfg, end_after_ns), "2m", 1, 86400,
     "quiet time after which a flood is over; a new one is a new alert (pulse attacks pause "
     "for seconds, so this is minutes)"},
    {"top", DTR_P_U32, offsetof(struct fl_cfg, top), "10", 1, 16,
     "top sources listed in the evidence"},
};

static const struct dtr_sig fl_sigs[] = {
    {"syn-flood", "MAMORI T4 TCP SYN flood", "attempted-dos", 2},
    {"synack-reflection", "MAMORI T4 TCP SYN-ACK reflection flood", "attempted-dos", 2},
    {"udp-flood", "MAMORI T4 UDP flood", "attempted-dos", 2},
    {"udp-amplification", "MAMORI T4 UDP amplification flood", "attempted-dos", 2},
    {"connection-flood", "MAMORI T4 connection flood", "attempted-dos", 2},
    {"icmp-flood", "MAMORI T4 ICMP flood", "attempted-dos", 2},
    {"ack-flood", "MAMORI T4 TCP ACK flood", "attempted-dos", 2},
};
enum { FL_SIG_SYN, FL_SIG_REFL, FL_SIG_UDP, FL_SIG_AMP, FL_SIG_CONN, FL_SIG_ICMP, FL_SIG_ACK };

enum fl_kind { FL_K_TCP = 1, FL_K_REFL, FL_K_UDP, FL_K_ICMP, FL_K_ACK, FL_NKINDS };

/* Counters of a bucket, by kind: TCP, REFL, UDP and ICMP (bytes saturate at 4 GiB); ACK
 * counts FL_C_PKTS only. */
enum { FL_C_SYN = 0, FL_C_SYNACK = 1, FL_C_EST = 2 };
enum { FL_C_RSYNACK = 0, FL_C_RRST = 1 };
enum { FL_C_PKTS = 0, FL_C_BYTES = 1, FL_C_AMP = 2 };
enum { FL_C_ECHO = 2 }; /* ICMP: echo requests (PKTS and BYTES as for UDP) */
enum { FL_NCTR = 4 };

struct fl_key {
    uint8_t addr[16];
    uint16_t port; /* 0 for host kinds */
    uint8_t kind;  /* enum fl_kind */
    uint8_t ip_ver;
};

struct fl_svc {
    struct fl_key key;
    bool hot;                        /* has a hot entry being updated */
    uint64_t bucket;                 /* index (time / bucket width) of the newest bucket */
    uint64_t expire_ns;              /* last packet + window: stale after that */
    uint32_t c[FL_BUCKETS][FL_NCTR]; /* slot = bucket index % FL_BUCKETS */
};

struct fl_hot {
    struct fl_key key;
    uint64_t first_ns, last_ns;    /* activity since promotion */
    uint64_t end_ns;               /* last_ns + end-after: the activity is over (stale) */
    uint64_t total[FL_NCTR];       /* counts since first_ns */
    uint32_t peak[FL_NCTR];        /* highest bucket */
    uint64_t peak_bucket[FL_NCTR]; /* its index */
    struct dtr_distinct srcs, sports, dports;
    struct dt_flood_topk top, nets, ports; /* sources, their networks, source ports */
    struct dtr_report rep[2];              /* [0]: syn/refl/udp, [1]: connection flood */
};

/* The doorkeeper (see fl_door): two bits per hashed key, 2 x 32 KiB, cleared every window. */
#define FL_DOOR_BITS (1u << 18)

struct fl_state {
    struct fl_cfg cfg;
    mm_lru_t *svc, *hot;
    uint64_t width_ns;            /* bucket width */
    uint64_t update_ns;           /* the host's update interval */
    uint32_t thr[FL_NKINDS][FL_NCTR];     /* per kind and counter: alert level per bucket
                                             (0: none) */
    uint32_t promote[FL_NKINDS][FL_NCTR]; /* ... and the level that makes an entry hot */
    struct dt_flood_ports amp, conn;
    uint64_t door_window;                /* index (time / window) the doorkeeper's bits belong to */
    uint64_t seen[FL_DOOR_BITS / 64];    /* a packet of the key came in this window */
    uint64_t tracked[FL_DOOR_BITS / 64]; /* the key has (probably) a table entry */
};

static bool fl_svc_stale(const void *e, uint64_t now_ns)
{
    return now_ns >= ((const struct fl_svc *)e)->expire_ns;
}

static bool fl_hot_stale(const void *e, uint64_t now_ns)
{
    return now_ns >= ((const struct fl_hot *)e)->end_ns;
}

static uint32_t fl_level(double rate_per_s, uint64_t width_ns)
{
    double v = ceil(rate_per_s * (double)width_ns / 1e9);
    if (v < 1)
        return 1;
    return v > 4e9 ? 4000000000u : (uint32_t)v;
}

static void *fl_init(struct dtr *d, const void *cfgv, char *err, size_t errlen)
{
    struct fl_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cfg = *(const struct fl_cfg *)cfgv;
    if (!dt_flood_ports_parse(&s->amp, s->cfg.amp_ports, "detectors.flood.amp-ports", err,
                              errlen) ||
        !dt_flood_ports_parse(&s->conn, s->cfg.conn_ports, "detectors.flood.conn-ports", err,
                              errlen))
        goto fail;
    s->update_ns = dtr_host_config(d)->update_interval_ns;
    s->width_ns = s->cfg.window_ns / FL_BUCKETS;
    if (s->width_ns == 0)
        s->width_ns = 1;
    s->thr[FL_K_TCP][FL_C_SYN] = fl_level(s->cfg.syn_rate, s->width_ns);
    s->thr[FL_K_TCP][FL_C_EST] = fl_level(s->cfg.conn_rate, s->width_ns);
    s->thr[FL_K_REFL][FL_C_RSYNACK] = fl_level(s->cfg.synack_rate, s->width_ns);
    s->thr[FL_K_UDP][FL_C_PKTS] = fl_level(s->cfg.udp_rate, s->width_ns);
    s->thr[FL_K_ICMP][FL_C_PKTS] = fl_level(s->cfg.icmp_rate, s->width_ns);
    s->thr[FL_K_ACK][FL_C_PKTS] = fl_level(s->cfg.ack_rate, s->width_ns);
    for (int k = 0; k < FL_NKINDS; k++)
        for (int c = 0; c < FL_NCTR; c++)
            if (s->thr[k][c])
                s->promote[k][c] = s->thr[k][c] / 4 ? s->thr[k][c] / 4 : 1;
    /* The doorkeeper's bits are part of the memcap. */
    size_t tables = s->cfg.memcap - sizeof s->seen - sizeof s->tracked;
    size_t hot_cap = tables / 4;
    s->svc = dtr_table_new(d, "flood", tables - hot_cap, sizeof(struct fl_svc),
                           sizeof(struct fl_key), fl_svc_stale);
    s->hot = dtr_table_new(d, "flood-hot", hot_cap, sizeof(struct fl_hot), sizeof(struct fl_key),
                           fl_hot_stale);
    if (!s->svc || !s->hot) {
        snprintf(err, errlen, "detectors.flood.memcap %zu is too small for the tables",
                 s->cfg.memcap);
        goto fail;
    }
    return s;
fail:
    mm_lru_free(s->svc);
    mm_lru_free(s->hot);
    free(s);
    return NULL;
}

static void fl_fini(void *st)
{
    struct fl_state *s = st;
    mm_lru_free(s->svc);
    mm_lru_free(s->hot);
    free(s);
}

/*
 * The doorkeeper in front of the svc table, so that most packets cost a bit test rather than
 * a hash-table lookup, and one-off destinations never take an entry. Per hashed key, two bits,
 * both cleared every window:
 *   tracked  the key has a table entry (set whenever it is found or made): look it up;
 *   seen     a packet of the key came in this window.
 * A packet whose key is not tracked is looked up only if it may make an entry (a SYN, an
 * unsolicited SYN-ACK, a datagram, an ICMP message, an ACK beginning its flow) and the key
 * was seen before: the entry comes with a destination's second packet, never with a port
 * scan's or a sweep's single one. What a key with an entry loses after the bits are cleared
 * is the packets before its next SYN (or datagram) in the window: a handful against
 * thresholds of hundreds a second. A bit shared by two keys only costs a lookup.
 */
enum fl_door { FL_DOOR_LOOKUP, FL_DOOR_FIRST, FL_DOOR_SKIP };

static uint32_t fl_door_bit(const struct fl_key *k)
{
    uint64_t a, b;
    memcpy(&a, k->addr, 8);
    memcpy(&b, k->addr + 8, 8);
    uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
    h ^= ((uint64_t)k->port << 16 | (uint64_t)k->kind << 8 | k->ip_ver) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 32;
    return (uint32_t)h & (FL_DOOR_BITS - 1);
}

static enum fl_door fl_door(struct fl_state *s, uint32_t bit, bool may_insert, uint64_t ts_ns)
{
    uint64_t w = ts_ns / s->cfg.window_ns;
    if (w != s->door_window) {
        memset(s->seen, 0, sizeof s->seen);
        memset(s->tracked, 0, sizeof s->tracked);
        s->door_window = w;
    }
    uint64_t mask = 1ull << (bit & 63);
    if (s->tracked[bit >> 6] & mask)
        return FL_DOOR_LOOKUP;
    if (!may_insert)
        return FL_DOOR_SKIP;
    if (s->seen[bit >> 6] & mask)
        return FL_DOOR_LOOKUP;
    s->seen[bit >> 6] |= mask;
    return FL_DOOR_FIRST;
}

static void fl_door_track(struct fl_state *s, uint32_t bit)
{
    s->tracked[bit >> 6] |= 1ull << (bit & 63);
}

/* Advance the ring to the bucket of ts; returns the slot to count into. */
static size_t fl_rotate(struct fl_state *s, struct fl_svc *sv, uint64_t ts_ns)
{
    uint64_t b = ts_ns / s->width_ns;
    if (b > sv->bucket) {
        uint64_t gap = b - sv->bucket;
        if (gap >= FL_BUCKETS) {
            memset(sv->c, 0, sizeof sv->c);
        } else {
            for (uint64_t i = 1; i <= gap; i++)
                memset(sv->c[(sv->bucket + i) % FL_BUCKETS], 0, sizeof sv->c[0]);
        }
        sv->bucket = b;
        if (sv->hot) {
            /* Below the promotion level in every bucket of the window: the detail is no
             * longer needed (the hot entry keeps the report state until end-after). */
            bool any = false;
            const uint32_t *pr = s->promote[sv->key.kind];
            for (size_t i = 0; i < FL_BUCKETS && !any; i++)
                for (size_t c = 0; c < FL_NCTR && !any; c++)
                    any = pr[c] && sv->c[i][c] >= pr[c];
            sv->hot = any;
        }
        return (size_t)(b % FL_BUCKETS);
    }
    if (sv->bucket - b < FL_BUCKETS)
        return (size_t)(b % FL_BUCKETS); /* a little out of order: its own bucket */
    /* Time went back by more than the window (captures joined out of order, a clock step):
     * the rates start over from the new time rather than pile into one bucket. */
    memset(sv->c, 0, sizeof sv->c);
    sv->bucket = b;
    return (size_t)(b % FL_BUCKETS);
}

static void fl_sums(const struct fl_svc *sv, uint64_t sum[FL_NCTR])
{
    for (size_t c = 0; c < FL_NCTR; c++)
        sum[c] = 0;
    for (size_t i = 0; i < FL_BUCKETS; i++)
        for (size_t c = 0; c < FL_NCTR; c++)
            sum[c] += sv->c[i][c];
}

static uint32_t fl_peak_in_window(const struct fl_svc *sv, size_t c)
{
    uint32_t m = 0;
    for (size_t i = 0; i < FL_BUCKETS; i++)
        if (sv->c[i][c] > m)
            m = sv->c[i][c];
    return m;
}

static double fl_per_s(const struct fl_state *s, uint64_t count)
{
    return (double)count * 1e9 / (double)s->width_ns;
}

static void fl_key_addr(const struct fl_key *k, struct mm_addr *a)
{
    memcpy(a->b, k->addr, 16);
}

/* The ICMP types and codes of an ICMP flood, busiest first (counted in the port sketch as
 * type << 8 | code). */
static void fl_ev_icmp_types(struct jb *jb, const struct dt_flood_topk_item *it, size_t n)
{
    jb_open_array(jb, "top_icmp_types");
    for (size_t i = 0; i < n; i++) {
        jb_open_object(jb, NULL);
        jb_uint(jb, "type", it[i].key >> 8);
        jb_uint(jb, "code", it[i].key & 0xffu);
        jb_uint(jb, "packets", it[i].count);
        jb_close_object(jb);
    }
    jb_close_array(jb);
}

/* The evidence and the alert for one variant. */
static void fl_emit(struct fl_state *s, struct dtr *d, const struct fl_svc *sv,
                    const struct fl_hot *h, size_t sig, bool update, uint64_t now_ns)
{
    const struct fl_key *k = &sv->key;
    uint64_t sum[FL_NCTR];
    fl_sums(sv, sum);
    struct dt_flood_topk_item top[2 * DT_FLOOD_TOPK], nets[2 * DT_FLOOD_TOPK],
        ports[2 * DT_FLOOD_TOPK];
    size_t ntop = dt_flood_topk_sorted(&h->top, NULL, top, s->cfg.top);
    size_t nnets = dt_flood_topk_sorted(&h->nets, NULL, nets, FL_TOP_SHOWN_NETS);
    size_t nports = dt_flood_topk_sorted(&h->ports, NULL, ports, FL_PORT_EXAMPLES);
    size_t main_c = k->kind == FL_K_TCP ? (sig == FL_SIG_CONN ? FL_C_EST : FL_C_SYN) : 0;
    uint64_t elapsed = now_ns - h->first_ns;
    if (elapsed > s->cfg.window_ns)
        elapsed = s->cfg.window_ns;
    if (elapsed < s->width_ns)
        elapsed = s->width_ns;

    struct jb *jb = dtr_alert_begin(d);
    const char *svc = k->kind == FL_K_TCP ? dt_flood_service_name(k->port) : NULL;
    if (svc)
        jb_string(jb, "service", svc);
    dtr_ev_ts(jb, "first_seen", h->first_ns);
    dtr_ev_ts(jb, "last_seen", h->last_ns);
    dtr_ev_secs(jb, "duration_s", h->last_ns - h->first_ns);
    dtr_ev_secs(jb, "window_s", s->cfg.window_ns);
    /* What is counted: packets (SYNs, SYN-ACKs, datagrams), or completed connections. */
    bool conns = sig == FL_SIG_CONN;
    jb_uint(jb, conns ? "connections_window" : "packets_window", sum[main_c]);
    jb_uint(jb, conns ? "connections_total" : "packets_total", h->total[main_c]);
    jb_double(jb, conns ? "rate_cps" : "rate_pps", (double)sum[main_c] * 1e9 / (double)elapsed, 1);
    jb_double(jb, conns ? "peak_cps" : "peak_pps", fl_per_s(s, h->peak[main_c]), 1);
    dtr_ev_ts(jb, "peak_at", h->peak_bucket[main_c] * s->width_ns);
    if (k->kind == FL_K_TCP) {
        uint64_t half = sum[FL_C_SYN] > sum[FL_C_EST] ? sum[FL_C_SYN] - sum[FL_C_EST] : 0;
        jb_uint(jb, "syn", sum[FL_C_SYN]);
        jb_uint(jb, "synack", sum[FL_C_SYNACK]);
        jb_uint(jb, "handshakes", sum[FL_C_EST]);
        jb_uint(jb, "half_open", half);
        jb_double(jb, "half_open_share", sum[FL_C_SYN] ? (double)half / (double)sum[FL_C_SYN] : 0.0,
                  3);
        if (sum[FL_C_SYNACK])
            jb_double(jb, "syn_synack_ratio", (double)sum[FL_C_SYN] / (double)sum[FL_C_SYNACK], 2);
        else
            jb_null(jb, "syn_synack_ratio"); /* no SYN-ACK seen: server silent or one-way tap */
    } else if (k->kind == FL_K_REFL) {
        jb_uint(jb, "synack", sum[FL_C_RSYNACK]);
        jb_uint(jb, "rst_backscatter", sum[FL_C_RRST]);
    } else if (k->kind != FL_K_ACK) {
        jb_uint(jb, "bytes_window", sum[FL_C_BYTES]);
        jb_uint(jb, "bytes_total", h->total[FL_C_BYTES]);
        jb_double(jb, "peak_mbps", fl_per_s(s, h->peak[FL_C_BYTES]) * 8.0 / 1e6, 3);
        if (k->kind == FL_K_UDP)
            jb_double(jb, "amplification_share",
                      sum[FL_C_PKTS] ? (double)sum[FL_C_AMP] / (double)sum[FL_C_PKTS] : 0.0, 3);
        else
            jb_uint(jb, "echo_requests", sum[FL_C_ECHO]);
    }
    uint32_t nsrc = dtr_distinct_count(&h->srcs);
    jb_uint(jb, "sources_distinct", nsrc);
    jb_string(jb, "sources_count_quality", dt_flood_distinct_quality(&h->srcs));
    double per = nsrc ? (double)h->srcs.total_adds / (double)nsrc : 0.0;
    jb_double(jb, "packets_per_source", per, 2);
    if (sig == FL_SIG_REFL || sig == FL_SIG_AMP) {
        /* The sources are real servers answering requests forged in the victim's name. */
        jb_bool(jb, "sources_are_reflectors", true);
    } else {
        /* Many sources that each send one or two packets: the addresses are most likely
         * forged, so blocking them (or the top networks) does not help; the upstream
         * provider's filtering does. */
        jb_bool(jb, "spoofed_likely", nsrc >= 50 && per <= 3.0);
    }
    dt_flood_ev_top_addrs(jb, "top_sources", top, ntop, s->cfg.top, "packets", dtr_enrich(d));
    dt_flood_ev_top_nets(jb, "top_networks", nets, nnets, FL_TOP_SHOWN_NETS, "packets",
                         dtr_enrich(d));
    if (k->kind == FL_K_ICMP) {
        fl_ev_icmp_types(jb, ports, nports); /* ICMP has no ports */
    } else {
        jb_uint(jb, "source_ports_distinct", dtr_distinct_count(&h->sports));
        dtr_ev_distinct_examples(jb, &h->sports, "source_ports_sample", FL_PORT_EXAMPLES);
    }
    if (k->kind == FL_K_UDP || k->kind == FL_K_REFL || k->kind == FL_K_ACK) {
        dt_flood_ev_top_ports(jb, "top_source_ports", ports, nports, FL_PORT_EXAMPLES, "packets");
        jb_uint(jb, "dest_ports_distinct", dtr_distinct_count(&h->dports));
        dtr_ev_distinct_examples(jb, &h->dports, "dest_ports_sample", FL_PORT_EXAMPLES);
    }

    struct dtr_alert_args a;
    memset(&a, 0, sizeof a);
    a.sig = sig;
    a.ts_ns = now_ns;
    fl_key_addr(k, &a.dst);
    if (ntop)
        a.src = top[0].addr; /* the busiest source (with spoofed floods, one of many) */
    a.ip_ver = k->ip_ver;
    a.proto = k->kind == FL_K_UDP    ? 17
              : k->kind == FL_K_ICMP ? (k->ip_ver == 6 ? 58 : 1)
                                     : 6;
    a.dport = k->port;
    a.update = update;
    dtr_alert_emit(d, &a);
}

static void fl_maybe_report(struct fl_state *s, struct dtr *d, const struct fl_svc *sv,
                            struct fl_hot *h, struct dtr_report *rep, size_t sig, uint64_t now_ns)
{
    enum dtr_due due = dtr_report_due(d, rep, now_ns);
    if (due != DTR_DUE_NO)
        fl_emit(s, d, sv, h, sig, due == DTR_DUE_UPDATE, now_ns);
}

/* Whether dtr_report_due could say yes now: a report that is not due makes evaluating its
 * conditions pointless, and a reported flood would otherwise evaluate them on every packet. */
static bool fl_may_report(const struct fl_state *s, const struct dtr_report *r, uint64_t now_ns)
{
    return !r->reports || (now_ns >= r->last_ns && now_ns - r->last_ns >= s->update_ns);
}

static void fl_evaluate(struct fl_state *s, struct dtr *d, const struct fl_svc *sv,
                        struct fl_hot *h, uint64_t now_ns)
{
    const uint32_t *thr = s->thr[sv->key.kind];
    uint64_t sum[FL_NCTR];
    bool may0 = fl_may_report(s, &h->rep[0], now_ns);
    switch ((enum fl_kind)sv->key.kind) {
    case FL_K_TCP:
        if (may0 && fl_peak_in_window(sv, FL_C_SYN) >= thr[FL_C_SYN]) {
            fl_sums(sv, sum);
            uint64_t half = sum[FL_C_SYN] > sum[FL_C_EST] ? sum[FL_C_SYN] - sum[FL_C_EST] : 0;
            if ((double)half >= s->cfg.half_open * (double)sum[FL_C_SYN])
                fl_maybe_report(s, d, sv, h, &h->rep[0], FL_SIG_SYN, now_ns);
        }
        if (dt_flood_ports_has(&s->conn, sv->key.port) && fl_may_report(s, &h->rep[1], now_ns) &&
            fl_peak_in_window(sv, FL_C_EST) >= thr[FL_C_EST] && h->srcs.total_adds &&
            dtr_distinct_count(&h->srcs) <= s->cfg.conn_max_sources)
            fl_maybe_report(s, d, sv, h, &h->rep[1], FL_SIG_CONN, now_ns);
        break;
    case FL_K_REFL:
        if (may0 && fl_peak_in_window(sv, FL_C_RSYNACK) >= thr[FL_C_RSYNACK])
            fl_maybe_report(s, d, sv, h, &h->rep[0], FL_SIG_REFL, now_ns);
        break;
    case FL_K_UDP:
        if (may0 && fl_peak_in_window(sv, FL_C_PKTS) >= thr[FL_C_PKTS] &&
            dtr_distinct_count(&h->srcs) >= s->cfg.udp_min_sources) {
            fl_sums(sv, sum);
            bool amp = sum[FL_C_PKTS] &&
                       (double)sum[FL_C_AMP] >= s->cfg.amp_share * (double)sum[FL_C_PKTS];
            fl_maybe_report(s, d, sv, h, &h->rep[0], amp ? FL_SIG_AMP : FL_SIG_UDP, now_ns);
        }
        break;
    case FL_K_ICMP:
    case FL_K_ACK:
        if (may0 && fl_peak_in_window(sv, FL_C_PKTS) >= thr[FL_C_PKTS])
            fl_maybe_report(s, d, sv, h, &h->rep[0],
                            sv->key.kind == FL_K_ICMP ? FL_SIG_ICMP : FL_SIG_ACK, now_ns);
        break;
    case FL_NKINDS:
        break;
    }
}

/* The ring index of slot i (the ring holds the buckets sv->bucket - 9 .. sv->bucket). */
static uint64_t fl_slot_bucket(const struct fl_svc *sv, size_t i)
{
    return sv->bucket - (sv->bucket % FL_BUCKETS + FL_BUCKETS - i) % FL_BUCKETS;
}

/* A new activity: totals and peaks start from what the window already holds, and it began
 * with the oldest bucket that reached the promotion level. Sources before now are unknown. */
static void fl_hot_seed(const struct fl_state *s, const struct fl_svc *sv, struct fl_hot *h,
                        uint64_t ts_ns)
{
    memset((unsigned char *)h + sizeof h->key, 0, sizeof *h - sizeof h->key);
    const uint32_t *pr = s->promote[sv->key.kind];
    uint64_t first = UINT64_MAX;
    for (size_t i = 0; i < FL_BUCKETS; i++) {
        uint64_t b = fl_slot_bucket(sv, i);
        for (size_t c = 0; c < FL_NCTR; c++) {
            h->total[c] += sv->c[i][c];
            if (sv->c[i][c] > h->peak[c]) {
                h->peak[c] = sv->c[i][c];
                h->peak_bucket[c] = b;
            }
            if (pr[c] && sv->c[i][c] >= pr[c] && b < first)
                first = b;
        }
    }
    h->first_ns = first != UINT64_MAX && first * s->width_ns < ts_ns ? first * s->width_ns : ts_ns;
    h->last_ns = ts_ns;
}

/* The hot entry of a key, made (or started over after end-after of quiet) when needed;
 * *fresh tells that it was seeded from the window, this packet included. */
static struct fl_hot *fl_hot_get(struct fl_state *s, const struct fl_svc *sv, uint64_t ts_ns,
                                 bool *fresh)
{
    *fresh = false;
    struct fl_hot *h = mm_lru_lookup(s->hot, &sv->key);
    if (h) {
        mm_lru_touch(s->hot, h);
        if (ts_ns > h->last_ns && ts_ns - h->last_ns >= s->cfg.end_after_ns) {
            fl_hot_seed(s, sv, h, ts_ns); /* a new activity: reported anew */
            *fresh = true;
        }
        return h;
    }
    h = mm_lru_insert(s->hot, &sv->key, ts_ns);
    if (h) {
        fl_hot_seed(s, sv, h, ts_ns);
        *fresh = true;
    }
    return h;
}

/* What one packet contributes to the key it was counted for. */
struct fl_pkt {
    const struct packet *p;
    const struct mm_addr *addr; /* the key's address */
    uint16_t port;
    uint8_t kind;
    uint8_t ctr;
    bool insert;  /* may create the entry */
    bool sources; /* track its sources (and ports) in the hot entry */
};

static bool fl_icmp_echo_request(const struct packet *p)
{
    return p->icmp_type == (p->ip_ver == 6 ? 128 : 8);
}

static void fl_count(struct fl_state *s, struct dtr *d, const struct fl_pkt *x)
{
    const struct packet *p = x->p;
    struct fl_key k;
    memset(&k, 0, sizeof k);
    memcpy(k.addr, x->addr->b, 16);
    k.port = x->port;
    k.kind = x->kind;
    k.ip_ver = p->ip_ver;
    uint32_t bit = fl_door_bit(&k);
    if (fl_door(s, bit, x->insert, p->ts_ns) != FL_DOOR_LOOKUP)
        return;
    struct fl_svc *sv = mm_lru_lookup(s->svc, &k);
    uint32_t n = 1; /* packets this one stands for */
    if (sv) {
        mm_lru_touch(s->svc, sv);
    } else {
        if (!x->insert)
            return;
        sv = mm_lru_insert(s->svc, &k, p->ts_ns);
        if (!sv)
            return;
        sv->bucket = p->ts_ns / s->width_ns;
        n = 2; /* and the first one, which the doorkeeper remembered */
    }
    fl_door_track(s, bit);
    size_t slot = fl_rotate(s, sv, p->ts_ns);
    uint32_t *c = sv->c[slot];
    uint32_t bytes = 0;
    bool echo = x->kind == FL_K_ICMP && fl_icmp_echo_request(p);
    c[x->ctr] = c[x->ctr] > UINT32_MAX - n ? UINT32_MAX : c[x->ctr] + n;
    if (x->kind == FL_K_UDP || x->kind == FL_K_ICMP) {
        bytes = p->wirelen * n;
        c[FL_C_BYTES] = c[FL_C_BYTES] > UINT32_MAX - bytes ? UINT32_MAX : c[FL_C_BYTES] + bytes;
        if (x->kind == FL_K_UDP && dt_flood_ports_has(&s->amp, p->sport))
            c[FL_C_AMP] = c[FL_C_AMP] > UINT32_MAX - n ? UINT32_MAX : c[FL_C_AMP] + n;
        if (echo)
            c[FL_C_ECHO] = c[FL_C_ECHO] > UINT32_MAX - n ? UINT32_MAX : c[FL_C_ECHO] + n;
    }
    sv->expire_ns = mm_sat_add(p->ts_ns, s->cfg.window_ns);
    uint32_t pr = s->promote[x->kind][x->ctr];
    if (!sv->hot && pr && c[x->ctr] >= pr)
        sv->hot = true;
    if (!sv->hot)
        return;

    bool fresh;
    struct fl_hot *h = fl_hot_get(s, sv, p->ts_ns, &fresh);
    if (!h) {
        sv->hot = false;
        return;
    }
    if (p->ts_ns > h->last_ns)
        h->last_ns = p->ts_ns;
    h->end_ns = mm_sat_add(h->last_ns, s->cfg.end_after_ns);
    if (!fresh) {
        h->total[x->ctr]++;
        if (x->kind == FL_K_UDP || x->kind == FL_K_ICMP)
            h->total[FL_C_BYTES] += bytes;
        if (x->kind == FL_K_UDP && dt_flood_ports_has(&s->amp, p->sport))
            h->total[FL_C_AMP]++;
        if (echo)
            h->total[FL_C_ECHO]++;
    }
    uint64_t b = fl_slot_bucket(sv, slot);
    for (size_t i = 0; i < FL_NCTR; i++) {
        if (c[i] > h->peak[i]) {
            h->peak[i] = c[i];
            h->peak_bucket[i] = b;
        }
    }
    if (x->sources) {
        dtr_distinct_add(&h->srcs, dtr_addr_key32(&p->src, p->ip_ver));
        dt_flood_topk_add_addr(&h->top, DT_FLOOD_TOPK, &p->src, p->ip_ver, 1);
        dt_flood_topk_add_net(&h->nets, DT_FLOOD_TOPK / 2, &p->src, p->ip_ver, 1);
        if (x->kind == FL_K_ICMP) {
            /* No ports: the port sketch counts types and codes instead. */
            dt_flood_topk_add_port(&h->ports, DT_FLOOD_TOPK,
                                   (uint16_t)(p->icmp_type << 8 | p->icmp_code), 1);
        } else {
            dtr_distinct_add(&h->sports, p->sport);
            if (x->kind != FL_K_TCP) {
                dtr_distinct_add(&h->dports, p->dport);
                dt_flood_topk_add_port(&h->ports, DT_FLOOD_TOPK, p->sport, 1);
            }
        }
    }
    fl_evaluate(s, d, sv, h, p->ts_ns);
}

static void fl_packet(void *st, struct dtr *d, const struct flow *f, int dir,
                      const struct packet *p)
{
    struct fl_state *s = st;
    if (!(p->flags & PKT_F_L4) || (p->ip_ver != 4 && p->ip_ver != 6))
        return;
    struct fl_pkt x = {.p = p};
    bool icmp = (p->proto == 1 && p->ip_ver == 4) || (p->proto == 58 && p->ip_ver == 6);
    /* An ICMP answer to the destination's own request (an echo reply to its ping: the flow
     * was opened from the other side) is no flood of it, whatever the rate; unsolicited
     * replies (a smurf attack's) open their own flow and count. */
    if (icmp && f && dir == FLOW_TOCLIENT && f->pkts[FLOW_TOSERVER])
        return;
    if (icmp || p->proto == 17) {
        x.addr = &p->dst;
        x.kind = icmp ? FL_K_ICMP : FL_K_UDP;
        x.ctr = FL_C_PKTS;
        x.insert = x.sources = true;
        fl_count(s, d, &x);
        return;
    }
    if (p->proto != 6)
        return;
    uint8_t fl = p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST);
    if (fl == TCP_SYN) {
        x.addr = &p->dst;
        x.port = p->dport;
        x.kind = FL_K_TCP;
        x.ctr = FL_C_SYN;
        x.insert = x.sources = true;
    } else if (fl == (TCP_SYN | TCP_ACK)) {
        if (f && dir == FLOW_TOCLIENT && !(f->tcp_flags[FLOW_TOSERVER] & TCP_SYN)) {
            /* The flow began with this host's peer answering a SYN never seen: reflection
             * (or a capture that started mid-handshake, which a rate threshold absorbs). */
            x.addr = &p->dst;
            x.kind = FL_K_REFL;
            x.ctr = FL_C_RSYNACK;
            x.insert = x.sources = true;
        } else {
            x.addr = &p->src;
            x.port = p->sport;
            x.kind = FL_K_TCP;
            x.ctr = FL_C_SYNACK;
        }
    } else if (fl == TCP_ACK && f && f->pkts[0] + f->pkts[1] == 1) {
        /* An ACK that begins its flow: no connection it could belong to was seen. */
        x.addr = &p->dst;
        x.kind = FL_K_ACK;
        x.ctr = FL_C_PKTS;
        x.insert = x.sources = true;
    } else if (fl == TCP_ACK) {
        /* The client's second packet an ACK after its SYN: its side of the handshake is
         * done. Spoofed sources never get here; it needs no SYN-ACK in the capture. */
        if (!f || dir != FLOW_TOSERVER || f->pkts[FLOW_TOSERVER] != 2 ||
            !(f->tcp_flags[FLOW_TOSERVER] & TCP_SYN))
            return;
        x.addr = &p->dst;
        x.port = p->dport;
        x.kind = FL_K_TCP;
        x.ctr = FL_C_EST;
    } else if (fl & TCP_RST) {
        if (!f || f->pkts[0] + f->pkts[1] != 1)
            return;
        x.addr = &p->dst;
        x.kind = FL_K_REFL;
        x.ctr = FL_C_RRST;
    } else {
        return;
    }
    fl_count(s, d, &x);
}

static void fl_stats(const void *st, struct dtr_det_stats *out)
{
    const struct fl_state *s = st;
    mm_lru_t *const t[2] = {s->svc, s->hot};
    dtr_table_stats(out, t, 2);
    out->memuse += sizeof s->seen + sizeof s->tracked;
    out->memcap += sizeof s->seen + sizeof s->tracked;
}

const struct dtr_ops dt_flood_ops = {
    .name = "flood",
    .threat = "T4",
    .summary = "SYN floods, SYN-ACK reflection, ACK floods, UDP floods and amplification, "
               "ICMP floods, connection floods, per destination",
    .sid_base = 4001,
    .sigs = fl_sigs,
    .n_sigs = MM_ARRAY_LEN(fl_sigs),
    .params = fl_params,
    .n_params = MM_ARRAY_LEN(fl_params),
    .cfg_size = sizeof(struct fl_cfg),
    .init = fl_init,
    .fini = fl_fini,
    .packet = fl_packet,
    .packet_classes = DTR_PC_BIT(DTR_PC_TCP_EDGE) | DTR_PC_BIT(DTR_PC_UDP_FIRST) |
                      DTR_PC_BIT(DTR_PC_UDP_MORE) | DTR_PC_BIT(DTR_PC_OTHER_FIRST) |
                      DTR_PC_BIT(DTR_PC_OTHER_MORE),
    .stats = fl_stats,
};
