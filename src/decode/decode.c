/*
 * Decoder entry point: resets the packet, dispatches on the capture link type, keeps the
 * counters and the per-packet anomaly list. Protocol decoders live one per file.
 */
#include "decode.h"

#include "decode_int.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"

static const char *const event_names[DEC_EV_COUNT] = {
    [DEC_EV_NONE] = "none",
#define X(e, name, suri) [e] = name,
#include "events.def"
#undef X
};

static const bool event_in_suricata[DEC_EV_COUNT] = {
#define X(e, name, suri) [e] = suri,
#include "events.def"
#undef X
};

bool dec_event_in_suricata(enum dec_event ev)
{
    return (unsigned)ev < DEC_EV_COUNT && event_in_suricata[ev];
}

const char *dec_event_name(enum dec_event ev)
{
    if ((unsigned)ev >= DEC_EV_COUNT)
        return "unknown";
    return event_names[ev];
}

void dec_config_defaults(struct dec_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->csum = DEC_CSUM_ALL;
    cfg->max_layers = 8;
    cfg->defrag_memcap_bytes = 16u << 20;
    cfg->defrag_timeout_s = 60;
    cfg->defrag_max_frags = 256;
    cfg->defrag_max_trackers = 65536;
}

dec_ctx_t *dec_ctx_new(const struct dec_config *cfg)
{
    dec_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->cfg = *cfg;
    ctx->defrag = defrag_new(&ctx->cfg);
    if (!ctx->defrag) {
        free(ctx);
        return NULL;
    }
    return ctx;
}

void dec_ctx_free(dec_ctx_t *ctx)
{
    if (!ctx)
        return;
    defrag_free(ctx->defrag);
    free(ctx);
}

void dec_set_event(dec_ctx_t *ctx, struct packet *p, enum dec_event ev)
{
    /* The same event twice on one packet (e.g. two bad options) is reported and counted once. */
    for (uint8_t i = 0; i < p->n_events; i++)
        if (p->events[i] == ev)
            return;
    ctx->stats.events[ev]++;
    if (p->n_events < PKT_MAX_EVENTS)
        p->events[p->n_events++] = (uint16_t)ev;
    else
        ctx->stats.events_overflow++;
}

bool dec_enter_layer(dec_ctx_t *ctx, struct packet *p)
{
    if (++ctx->depth > ctx->cfg.max_layers) {
        dec_invalid(ctx, p, DEC_EV_TOO_MANY_LAYERS);
        return false;
    }
    return true;
}

void dec_packet(dec_ctx_t *ctx, struct packet *p)
{
    /* Reset everything below the capture fields in one go. */
    size_t keep = offsetof(struct packet, flags);
    memset((uint8_t *)p + keep, 0, sizeof *p - keep);
    ctx->depth = 0;
    ctx->stats.pkts++;
    ctx->stats.bytes += p->caplen;

    if (p->caplen < p->wirelen) {
        p->flags |= PKT_F_SNAP_TRUNC;
        ctx->stats.snap_truncated++;
        dec_set_event(ctx, p, DEC_EV_PKT_SNAP_TRUNC);
    }

    switch (p->linktype) {
    case CAP_LINK_ETHERNET:
        dec_ethernet(ctx, p, p->data, p->caplen);
        break;
    case CAP_LINK_LINUX_SLL:
        dec_sll(ctx, p, p->data, p->caplen);
        break;
    case CAP_LINK_LINUX_SLL2:
        dec_sll2(ctx, p, p->data, p->caplen);
        break;
    case CAP_LINK_NULL:
        dec_null(ctx, p, p->data, p->caplen, false);
        break;
    case CAP_LINK_LOOP:
        dec_null(ctx, p, p->data, p->caplen, true);
        break;
    case CAP_LINK_RAW:
    case 12: /* LINKTYPE_RAW's DLT value on some systems */
    case 14:
        dec_raw(ctx, p, p->data, p->caplen);
        break;
    case CAP_LINK_IPV4:
        dec_ipv4(ctx, p, p->data, p->caplen);
        break;
    case CAP_LINK_IPV6:
        dec_ipv6(ctx, p, p->data, p->caplen);
        break;
    default:
        dec_invalid(ctx, p, DEC_EV_UNSUPPORTED_LINKTYPE);
        break;
    }
}

void dec_expire(dec_ctx_t *ctx, uint64_t now_ns)
{
    defrag_expire(ctx, now_ns);
}

const struct dec_stats *dec_get_stats(const dec_ctx_t *ctx)
{
    return &ctx->stats;
}

void dec_defrag_mem(const dec_ctx_t *ctx, size_t *used, size_t *limit, uint64_t *memcap_hits)
{
    defrag_mem(ctx->defrag, used, limit, memcap_hits);
}

const char *dec_proto_name(uint8_t proto)
{
    switch (proto) {
    case 1: return "ICMP";
    case 2: return "IGMP";
    case 4: return "IPIP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 41: return "IPv6";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "IPv6-ICMP";
    case 89: return "OSPF";
    case 103: return "PIM";
    case 112: return "VRRP";
    case 132: return "SCTP";
    default: return NULL;
    }
}

char *dec_addr_str(const struct mm_addr *a, int ip_ver, char *out, size_t outlen)
{
    if (!inet_ntop(ip_ver == 6 ? AF_INET6 : AF_INET, a->b, out, (socklen_t)outlen))
        snprintf(out, outlen, "?");
    return out;
}
