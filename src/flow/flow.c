/*
 * Flow table: chained hash buckets sized from the memcap, flows carved from slabs onto a
 * free list (no allocation per packet), and one LRU list per timeout class so that expiry
 * only ever looks at list heads: a flow's position moves to the tail whenever it sees a
 * packet, so the head of each list is always the next to time out.
 */
#include "flow.h"

#include "core/mem.h"
#include "core/mm.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(struct flow_key) == 48, "flow_key is hashed and compared as 48 bytes");
_Static_assert(sizeof(struct flow) <= 256, "keep a flow within the 256-byte budget");

#define MAX_FLOWS_PER_SLAB 512u
#define N_LISTS (FLOW_PROTO_COUNT * FLOW_STATE_COUNT)
#define EXPIRE_EVERY_NS 1000000000ull /* expiry granularity: one second of packet time */

struct slab {
    struct slab *next;
    struct flow flows[]; /* flow_table.slab_flows of them */
};

struct lru {
    struct flow *head, *tail;
};

struct flow_table {
    struct flow_config cfg;
    flow_end_cb on_end;
    void *user;
    struct mem_cap cap;
    struct flow **buckets;
    uint32_t mask;
    struct flow *free_list;
    struct slab *slabs;
    uint32_t slab_flows; /* flows per slab: up to 512, fewer under a small memcap */
    struct lru lists[N_LISTS];
    uint64_t timeout_ns[N_LISTS];
    uint64_t next_expire_ns;
    struct flow_stats st;
};

void flow_config_defaults(struct flow_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->memcap_bytes = 64u << 20;
    /* Seconds; the same defaults as Suricata's flow-timeouts so results compare. */
    static const uint32_t t[FLOW_PROTO_COUNT][FLOW_STATE_COUNT] = {
        [FLOW_PROTO_TCP] = {60, 600, 60},
        [FLOW_PROTO_UDP] = {30, 300, 30},
        [FLOW_PROTO_ICMP] = {30, 300, 30},
        [FLOW_PROTO_OTHER] = {30, 300, 30},
    };
    memcpy(cfg->timeout_s, t, sizeof t);
    cfg->hash_seed = 0x6d616d6fu;
}

static uint32_t next_pow2(uint64_t v)
{
    uint32_t n = 1024;
    while (n < v && n < (1u << 24))
        n <<= 1;
    return n;
}

flow_table_t *flow_table_new(const struct flow_config *cfg, flow_end_cb on_end, void *user)
{
    flow_table_t *ft = calloc(1, sizeof *ft);
    if (!ft)
        return NULL;
    ft->cfg = *cfg;
    ft->on_end = on_end;
    ft->user = user;
    mem_cap_init(&ft->cap, "flow", cfg->memcap_bytes);
    /* About two flows per bucket at a full memcap keeps chains short. */
    uint64_t max_flows = cfg->memcap_bytes ? cfg->memcap_bytes / sizeof(struct flow) : 1u << 20;
    uint32_t nb = next_pow2(max_flows / 2);
    size_t bsize = (size_t)nb * sizeof(struct flow *);
    ft->buckets = calloc(nb, sizeof(struct flow *));
    if (!ft->buckets || !mem_cap_charge(&ft->cap, bsize)) {
        free(ft->buckets);
        free(ft);
        return NULL;
    }
    ft->mask = nb - 1;
    /* Slabs of at most 1/16 of what the memcap leaves, so a small memcap still holds
     * flows; one that cannot hold a single flow besides the buckets is refused. */
    uint64_t room = cfg->memcap_bytes ? (cfg->memcap_bytes - MM_MIN(cfg->memcap_bytes, bsize))
                                      : UINT64_MAX;
    uint64_t per_slab = room / 16 / sizeof(struct flow);
    ft->slab_flows = (uint32_t)MM_MAX(1, MM_MIN(per_slab, MAX_FLOWS_PER_SLAB));
    if (room < sizeof(struct slab) + sizeof(struct flow)) {
        free(ft->buckets);
        free(ft);
        return NULL;
    }
    for (int c = 0; c < FLOW_PROTO_COUNT; c++)
        for (int s = 0; s < FLOW_STATE_COUNT; s++)
            ft->timeout_ns[c * FLOW_STATE_COUNT + s] = (uint64_t)cfg->timeout_s[c][s] * 1000000000ull;
    ft->st.memcap = cfg->memcap_bytes;
    return ft;
}

static uint64_t key_hash64(const struct flow_key *k, uint32_t seed)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ seed;
    const uint8_t *b = (const uint8_t *)k;
    for (size_t i = 0; i < sizeof *k; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h ^= w;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    h *= 0xc4ceb9fe1a85ec53ull;
    return h ^ (h >> 29);
}

static enum flow_proto_class proto_class(uint8_t proto)
{
    switch (proto) {
    case 6: return FLOW_PROTO_TCP;
    case 17: return FLOW_PROTO_UDP;
    case 1:
    case 58: return FLOW_PROTO_ICMP;
    default: return FLOW_PROTO_OTHER;
    }
}

static void lru_unlink(flow_table_t *ft, struct flow *f)
{
    struct lru *l = &ft->lists[f->lru_class];
    if (f->lru_prev)
        f->lru_prev->lru_next = f->lru_next;
    else
        l->head = f->lru_next;
    if (f->lru_next)
        f->lru_next->lru_prev = f->lru_prev;
    else
        l->tail = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

static void lru_append(flow_table_t *ft, struct flow *f)
{
    f->lru_class = (uint8_t)(proto_class(f->key.proto) * FLOW_STATE_COUNT + f->state);
    struct lru *l = &ft->lists[f->lru_class];
    f->lru_prev = l->tail;
    f->lru_next = NULL;
    if (l->tail)
        l->tail->lru_next = f;
    else
        l->head = f;
    l->tail = f;
}

static void flow_end(flow_table_t *ft, struct flow *f, enum flow_end_reason reason)
{
    if (ft->on_end)
        ft->on_end(f, reason, ft->user);
    *f->hpprev = f->hnext;
    if (f->hnext)
        f->hnext->hpprev = f->hpprev;
    lru_unlink(ft, f);
    switch (reason) {
    case FLOW_END_TIMEOUT: ft->st.ended_timeout++; break;
    case FLOW_END_FORCED: ft->st.ended_forced++; break;
    case FLOW_END_SHUTDOWN: ft->st.ended_shutdown++; break;
    }
    ft->st.active--;
    f->hnext = ft->free_list;
    ft->free_list = f;
}

/* The least recently used flow over all lists, or NULL when the table is empty. */
static struct flow *oldest_flow(flow_table_t *ft)
{
    struct flow *best = NULL;
    for (int i = 0; i < N_LISTS; i++) {
        struct flow *h = ft->lists[i].head;
        if (h && (!best || h->last_ns < best->last_ns))
            best = h;
    }
    return best;
}

static struct flow *flow_alloc(flow_table_t *ft)
{
    if (!ft->free_list) {
        struct slab *s = NULL;
        size_t ssize = sizeof *s + (size_t)ft->slab_flows * sizeof(struct flow);
        if (mem_cap_charge(&ft->cap, ssize)) {
            s = malloc(ssize);
            if (!s)
                mem_cap_release(&ft->cap, ssize);
        }
        if (s) {
            s->next = ft->slabs;
            ft->slabs = s;
            for (uint32_t i = ft->slab_flows; i-- > 0;) {
                s->flows[i].hnext = ft->free_list;
                ft->free_list = &s->flows[i];
            }
        } else {
            /* Memcap reached: end the least recently used flow to make room. */
            struct flow *victim = oldest_flow(ft);
            if (!victim)
                return NULL;
            ft->st.emergency_evictions++;
            flow_end(ft, victim, FLOW_END_FORCED);
        }
    }
    struct flow *f = ft->free_list;
    ft->free_list = f->hnext;
    memset(f, 0, sizeof *f);
    return f;
}

static bool is_icmp_echo(uint8_t proto, uint8_t type)
{
    if (proto == 1)
        return type == 0 || type == 8 || (type >= 13 && type <= 18);
    return type == 128 || type == 129;
}

/* Build the normalised key; *pkt_is_a tells whether the packet's source is key.a. */
static bool make_key(const struct packet *p, struct flow_key *k, bool *pkt_is_a)
{
    if (p->ip_ver == 0 || (p->flags & PKT_F_FRAGMENT))
        return false;
    uint16_t sport = 0, dport = 0;
    switch (p->proto) {
    case 6:
    case 17:
        if (!(p->flags & PKT_F_L4))
            return false;
        sport = p->sport;
        dport = p->dport;
        break;
    case 1:
    case 58:
        if (!(p->flags & PKT_F_L4))
            return false;
        if (is_icmp_echo(p->proto, p->icmp_type))
            sport = dport = p->icmp_id;
        break;
    default:
        /* Other protocols get address-only flows, but not from a header we gave up on
         * (e.g. a truncated IPv6 extension header leaves no trustworthy protocol). */
        if (p->flags & PKT_F_INVALID)
            return false;
        break;
    }
    memset(k, 0, sizeof *k);
    int c = memcmp(p->src.b, p->dst.b, 16);
    *pkt_is_a = c < 0 || (c == 0 && sport <= dport);
    if (*pkt_is_a) {
        memcpy(k->a, p->src.b, 16);
        memcpy(k->b, p->dst.b, 16);
        k->port_a = sport;
        k->port_b = dport;
    } else {
        memcpy(k->a, p->dst.b, 16);
        memcpy(k->b, p->src.b, 16);
        k->port_a = dport;
        k->port_b = sport;
    }
    k->vlan[0] = p->vlan[0];
    k->vlan[1] = p->vlan[1];
    k->proto = p->proto;
    k->ip_ver = p->ip_ver;
    return true;
}

/* TCP connection state, RFC 9293's diagram reduced to what a passive observer can see. */
static void tcp_update(struct flow *f, enum flow_dir dir, uint8_t flags)
{
    uint8_t bit = (uint8_t)(1u << dir);
    bool syn = flags & TCP_SYN, ack = flags & TCP_ACK, fin = flags & TCP_FIN;
    if (flags & TCP_RST) {
        f->tcp_state = TCPS_CLOSED;
        return;
    }
    if (f->tcp_state == TCPS_CLOSED)
        return; /* late or retransmitted segments do not reopen a closed connection */
    /* closer: the direction that sent the first FIN, stored in bits 2..3 of fin_seen. */
    switch ((enum flow_tcp_state)f->tcp_state) {
    case TCPS_NONE:
        if (syn && !ack)
            f->tcp_state = TCPS_SYN_SENT;
        else if (syn && ack)
            f->tcp_state = TCPS_SYN_RECV;
        else
            f->tcp_state = TCPS_ESTABLISHED; /* picked up mid-stream */
        break;
    case TCPS_SYN_SENT:
        if (dir == FLOW_TOCLIENT && syn)
            f->tcp_state = TCPS_SYN_RECV;
        break;
    case TCPS_SYN_RECV:
        if (dir == FLOW_TOSERVER && ack && !syn)
            f->tcp_state = TCPS_ESTABLISHED;
        break;
    default:
        break;
    }
    if (fin && !(f->fin_seen & 3u)) {
        f->fin_seen = (uint8_t)(bit | (bit << 2));
        f->tcp_state = TCPS_FIN_WAIT1;
        return;
    }
    if (!(f->fin_seen & 3u))
        return;
    bool from_closer = (f->fin_seen >> 2) & bit;
    if (fin && !from_closer && !(f->fin_seen & bit)) {
        f->fin_seen |= bit;
        /* The peer's FIN: if it also acknowledges the closer's FIN the closer waits. */
        f->tcp_state = (f->tcp_state == TCPS_FIN_WAIT2 || ack) ? TCPS_TIME_WAIT : TCPS_CLOSING;
        return;
    }
    switch ((enum flow_tcp_state)f->tcp_state) {
    case TCPS_FIN_WAIT1:
        if (!from_closer && ack)
            f->tcp_state = TCPS_FIN_WAIT2;
        break;
    case TCPS_TIME_WAIT:
    case TCPS_CLOSING:
        if (from_closer && ack)
            f->tcp_state = TCPS_CLOSED;
        break;
    default:
        break;
    }
}

static uint8_t flow_state_of(const struct flow *f)
{
    if (f->key.proto == 6) {
        if (f->tcp_state > TCPS_ESTABLISHED)
            return FLOW_STATE_CLOSED;
        if (f->tcp_state == TCPS_ESTABLISHED && f->pkts[0] && f->pkts[1])
            return FLOW_STATE_ESTABLISHED;
        return FLOW_STATE_NEW;
    }
    return (f->pkts[0] && f->pkts[1]) ? FLOW_STATE_ESTABLISHED : FLOW_STATE_NEW;
}

struct flow *flow_handle_packet(flow_table_t *ft, struct packet *p, enum flow_dir *dir)
{
    struct flow_key k;
    bool pkt_is_a;
    if (ft->next_expire_ns <= p->ts_ns) {
        flow_expire(ft, p->ts_ns);
        ft->next_expire_ns = mm_sat_add(p->ts_ns, EXPIRE_EVERY_NS);
    }
    if (!make_key(p, &k, &pkt_is_a)) {
        ft->st.no_flow++;
        return NULL;
    }
    uint64_t h64 = key_hash64(&k, ft->cfg.hash_seed);
    uint32_t h = (uint32_t)h64;
    struct flow *f = ft->buckets[h & ft->mask];
    while (f && (f->hash != h || memcmp(&f->key, &k, sizeof k) != 0))
        f = f->hnext;

    if (f && k.proto == 6 && (p->tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN &&
        f->tcp_state >= TCPS_FIN_WAIT1) {
        /* A fresh SYN on a closing/closed connection: the port pair is being reused. */
        ft->st.tcp_reuse++;
        flow_end(ft, f, FLOW_END_FORCED);
        f = NULL;
    }
    if (!f) {
        f = flow_alloc(ft);
        if (!f) {
            ft->st.memcap_drops++;
            return NULL;
        }
        f->key = k;
        f->hash = h;
        f->first_ns = f->last_ns = p->ts_ns;
        f->vlan_count = p->vlan_count;
        /* A SYN-ACK seen first was sent by the server. */
        bool synack = k.proto == 6 && (p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
        f->client_is_a = synack ? !pkt_is_a : pkt_is_a;
        f->flow_id = ((h64 ^ (p->ts_ns * 0x9e3779b97f4a7c15ull)) & ((1ull << 51) - 1)) | 1;
        struct flow **bucket = &ft->buckets[h & ft->mask];
        f->hnext = *bucket;
        f->hpprev = bucket;
        if (*bucket)
            (*bucket)->hpprev = &f->hnext;
        *bucket = f;
        switch (proto_class(k.proto)) {
        case FLOW_PROTO_TCP: ft->st.tcp++; break;
        case FLOW_PROTO_UDP: ft->st.udp++; break;
        case FLOW_PROTO_ICMP:
            if (k.proto == 1)
                ft->st.icmpv4++;
            else
                ft->st.icmpv6++;
            break;
        default: ft->st.other++; break;
        }
        ft->st.created++;
        if (++ft->st.active > ft->st.active_peak)
            ft->st.active_peak = ft->st.active;
        lru_append(ft, f);
    }

    enum flow_dir d = (pkt_is_a == f->client_is_a) ? FLOW_TOSERVER : FLOW_TOCLIENT;
    f->pkts[d]++;
    f->bytes[d] += p->caplen;
    if (p->flags & PKT_F_L4)
        f->payload[d] += p->payload_len;
    if (p->ts_ns > f->last_ns)
        f->last_ns = p->ts_ns;
    if (k.proto == 6) {
        f->tcp_flags[d] |= p->tcp_flags;
        tcp_update(f, d, p->tcp_flags);
    } else if ((k.proto == 1 || k.proto == 58) && !f->icmp_seen[d]) {
        f->icmp_seen[d] = true;
        f->icmp_type[d] = p->icmp_type;
        f->icmp_code[d] = p->icmp_code;
    }
    f->state = flow_state_of(f);
    lru_unlink(ft, f);
    lru_append(ft, f);

    p->flow = f;
    *dir = d;
    return f;
}

void flow_expire(flow_table_t *ft, uint64_t now_ns)
{
    for (int i = 0; i < N_LISTS; i++) {
        struct flow *f;
        while ((f = ft->lists[i].head) && mm_sat_add(f->last_ns, ft->timeout_ns[i]) <= now_ns)
            flow_end(ft, f, FLOW_END_TIMEOUT);
    }
}

void flow_end_all(flow_table_t *ft, enum flow_end_reason reason)
{
    /* Oldest first, so the output order follows activity and is deterministic. */
    struct flow *f;
    while ((f = oldest_flow(ft)))
        flow_end(ft, f, reason);
}

void flow_table_free(flow_table_t *ft)
{
    if (!ft)
        return;
    flow_end_all(ft, FLOW_END_SHUTDOWN);
    for (struct slab *s = ft->slabs, *n; s; s = n) {
        n = s->next;
        free(s);
    }
    free(ft->buckets);
    free(ft);
}

void flow_get_stats(const flow_table_t *ft, struct flow_stats *out)
{
    *out = ft->st;
    out->memuse = ft->cap.used;
    out->memuse_peak = ft->cap.peak;
    out->memcap = ft->cap.limit;
    size_t nb = (size_t)ft->mask + 1;
    uint64_t max_flows = ft->cap.limit ? ft->cap.limit / sizeof(struct flow) : 1u << 20;
    out->bytes_per_flow = sizeof(struct flow) + (size_t)((nb * sizeof(void *)) / (max_flows ? max_flows : 1));
}

const char *flow_state_name(enum flow_state s)
{
    static const char *const n[] = {"new", "established", "closed"};
    return (unsigned)s < MM_ARRAY_LEN(n) ? n[s] : "unknown";
}

const char *flow_tcp_state_name(enum flow_tcp_state s)
{
    static const char *const n[] = {"none", "syn_sent", "syn_recv", "established", "fin_wait1",
                                    "fin_wait2", "time_wait", "last_ack", "close_wait",
                                    "closing", "closed"};
    return (unsigned)s < MM_ARRAY_LEN(n) ? n[s] : "unknown";
}

const char *flow_end_reason_name(enum flow_end_reason r)
{
    static const char *const n[] = {"timeout", "forced", "shutdown"};
    return (unsigned)r < MM_ARRAY_LEN(n) ? n[r] : "unknown";
}
