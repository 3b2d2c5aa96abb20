/* Run summary; see summary.h. */
#include "summary.h"

#include <stdlib.h>
#include <string.h>

#include "core/mm.h"

struct summary {
    uint32_t tcp_port[65536]; /* flows per server port */
    uint32_t udp_port[65536];
    uint64_t by_proto[4];     /* tcp, udp, icmp, other */
    uint64_t logins[3];       /* by enum app_login_outcome */
    bool rules;               /* a rule set was loaded */
    uint32_t rules_loaded, rules_skipped;
    uint64_t alerts;
    uint64_t held[4];         /* alerts held back by the threshold file, by verdict */
    uint64_t threats[8];      /* alerts per threat T1..T7 (index 1..7) */
    struct {
        uint32_t gid, sid;
        uint64_t n;
        char msg[96];         /* copied: a reload frees the rule */
    } by_sid[32];             /* the first 32 distinct signatures; the rest only counted */
    uint32_t n_sids;
};

struct summary *summary_new(void)
{
    return calloc(1, sizeof(struct summary));
}

void summary_free(struct summary *s)
{
    free(s);
}

void summary_login(struct summary *s, enum app_login_outcome outcome)
{
    if ((unsigned)outcome < 3)
        s->logins[outcome]++;
}

void summary_rules(struct summary *s, uint32_t loaded, uint32_t skipped)
{
    s->rules = true;
    s->rules_loaded = loaded;
    s->rules_skipped = skipped;
}

void summary_held_back(struct summary *s, enum det_suppress_verdict why)
{
    if ((unsigned)why < sizeof s->held / sizeof s->held[0])
        s->held[why]++;
}

void summary_alert(struct summary *s, uint32_t gid, uint32_t sid, const char *msg,
                   const char *threat)
{
    s->alerts++;
    if (threat && threat[0] == 'T' && threat[1] >= '1' && threat[1] <= '7' && !threat[2])
        s->threats[threat[1] - '0']++;
    for (uint32_t i = 0; i < s->n_sids; i++)
        if (s->by_sid[i].sid == sid && s->by_sid[i].gid == gid) {
            s->by_sid[i].n++;
            return;
        }
    if (s->n_sids < MM_ARRAY_LEN(s->by_sid)) {
        s->by_sid[s->n_sids].gid = gid;
        s->by_sid[s->n_sids].sid = sid;
        s->by_sid[s->n_sids].n = 1;
        snprintf(s->by_sid[s->n_sids].msg, sizeof s->by_sid[0].msg, "%s", msg ? msg : "");
        s->n_sids++;
    }
}

void summary_flow(struct summary *s, const struct flow *f)
{
    uint16_t port = flow_server_port(f);
    switch (f->key.proto) {
    case 6:
        s->by_proto[0]++;
        if (s->tcp_port[port] < UINT32_MAX)
            s->tcp_port[port]++;
        break;
    case 17:
        s->by_proto[1]++;
        if (s->udp_port[port] < UINT32_MAX)
            s->udp_port[port]++;
        break;
    case 1:
    case 58:
        s->by_proto[2]++;
        break;
    default:
        s->by_proto[3]++;
        break;
    }
}

static void human_bytes(uint64_t b, char *out, size_t n)
{
    if (b >= 1000000000ull)
        snprintf(out, n, "%.2f GB", (double)b / 1e9);
    else if (b >= 1000000ull)
        snprintf(out, n, "%.1f MB", (double)b / 1e6);
    else if (b >= 1000ull)
        snprintf(out, n, "%.1f kB", (double)b / 1e3);
    else
        snprintf(out, n, "%llu B", (unsigned long long)b);
}

void summary_print(const struct summary *s, const struct summary_totals *t, bool detailed,
                   FILE *out)
{
    char bytes[32];
    human_bytes(t->bytes, bytes, sizeof bytes);
    double secs = t->seconds > 0 ? t->seconds : 1e-9;
    fprintf(out,
            "mamori: %llu packets, %s, %llu flows, %llu anomalies in %.2f s "
            "(%.0f pkts/s, %.3f Gbit/s, peak RSS %.1f MiB)\n",
            (unsigned long long)t->pkts, bytes, (unsigned long long)t->flows,
            (unsigned long long)t->anomalies, t->seconds, (double)t->pkts / secs,
            (double)t->bytes * 8 / secs / 1e9, (double)t->peak_rss_kib / 1024.0);
    if (s && s->rules)
        fprintf(out, "  rules: %u loaded, %u skipped; %llu alerts\n", s->rules_loaded,
                s->rules_skipped, (unsigned long long)s->alerts);
    else if (s && s->alerts)
        fprintf(out, "  %llu alerts\n", (unsigned long long)s->alerts);
    if (s && (s->held[DET_SUP_SUPPRESSED] || s->held[DET_SUP_THRESHOLDED] ||
              s->held[DET_SUP_RATE_FILTERED])) {
        fprintf(out,
                "  threshold file: %llu alerts suppressed, %llu held back by thresholds, "
                "%llu by rate filters\n",
                (unsigned long long)s->held[DET_SUP_SUPPRESSED],
                (unsigned long long)s->held[DET_SUP_THRESHOLDED],
                (unsigned long long)s->held[DET_SUP_RATE_FILTERED]);
    }
    if (s) {
        static const char *const names[] = {"", "botnet C2", "port scan", "web attack",
                                            "flood/DoS", "brute force", "malicious attachment",
                                            "weak password"};
        bool any = false;
        for (int i = 1; i <= 7; i++) {
            if (!s->threats[i])
                continue;
            fprintf(out, "%s T%d %s %llu", any ? "," : "  alerts by threat:", i, names[i],
                    (unsigned long long)s->threats[i]);
            any = true;
        }
        if (any)
            fprintf(out, "\n");
    }
    if (!detailed || !s)
        return;
    if (t->n_dets) {
        fprintf(out, "  detectors (first alerts + updates):");
        for (size_t i = 0; i < t->n_dets; i++) {
            const struct dtr_det_stats *d = &t->dets[i];
            if (!d->enabled)
                fprintf(out, "%s %s off", i ? "," : "", d->name);
            else if (!d->held_back)
                fprintf(out, "%s %s (%s) %llu+%llu", i ? "," : "", d->name, d->threat,
                        (unsigned long long)d->alerts, (unsigned long long)d->updates);
            else
                fprintf(out, "%s %s (%s) %llu+%llu (%llu held back)", i ? "," : "", d->name,
                        d->threat, (unsigned long long)d->alerts, (unsigned long long)d->updates,
                        (unsigned long long)d->held_back);
        }
        fprintf(out, "\n");
    }
    if (s->alerts) {
        /* Busiest signatures first (selection over at most 32 entries). */
        bool shown[MM_ARRAY_LEN(s->by_sid)] = {false};
        fprintf(out, "  alerts by signature:\n");
        for (uint32_t k = 0; k < 20 && k < s->n_sids; k++) {
            uint32_t best = UINT32_MAX;
            for (uint32_t i = 0; i < s->n_sids; i++)
                if (!shown[i] && (best == UINT32_MAX || s->by_sid[i].n > s->by_sid[best].n))
                    best = i;
            shown[best] = true;
            fprintf(out, "    %8llu  %u:%u  %s\n", (unsigned long long)s->by_sid[best].n,
                    s->by_sid[best].gid, s->by_sid[best].sid, s->by_sid[best].msg);
        }
    }
    fprintf(out, "  flows by protocol: tcp %llu, udp %llu, icmp %llu, other %llu\n",
            (unsigned long long)s->by_proto[0], (unsigned long long)s->by_proto[1],
            (unsigned long long)s->by_proto[2], (unsigned long long)s->by_proto[3]);
    /* Top 8 services by flow count: a small selection over both port tables. */
    struct {
        uint32_t n;
        uint16_t port;
        bool udp;
    } top[8];
    memset(top, 0, sizeof top);
    for (int u = 0; u < 2; u++) {
        const uint32_t *tab = u ? s->udp_port : s->tcp_port;
        for (uint32_t port = 0; port < 65536; port++) {
            uint32_t n = tab[port];
            if (n <= top[7].n)
                continue;
            int i = 7;
            while (i > 0 && top[i - 1].n < n) {
                top[i] = top[i - 1];
                i--;
            }
            top[i].n = n;
            top[i].port = (uint16_t)port;
            top[i].udp = u;
        }
    }
    if (top[0].n) {
        fprintf(out, "  busiest services (flows):");
        for (int i = 0; i < 8 && top[i].n; i++)
            fprintf(out, "%s %u/%s %u", i ? "," : "", top[i].port, top[i].udp ? "udp" : "tcp",
                    top[i].n);
        fprintf(out, "\n");
    }
    if (t->app) {
        bool any = false;
        for (int p = APP_PROTO_HTTP; p <= APP_PROTO_FAILED; p++) {
            if (!t->app->flows[p])
                continue;
            fprintf(out, "%s %s %llu", any ? "," : "  application protocols (flows):",
                    app_proto_name((enum app_proto)p), (unsigned long long)t->app->flows[p]);
            any = true;
        }
        if (any)
            fprintf(out, "\n");
    }
    uint64_t logins = s->logins[0] + s->logins[1] + s->logins[2];
    if (logins)
        fprintf(out, "  logins: %llu attempts (%llu succeeded, %llu failed, %llu outcome unknown)\n",
                (unsigned long long)logins, (unsigned long long)s->logins[APP_LOGIN_SUCCESS],
                (unsigned long long)s->logins[APP_LOGIN_FAILURE],
                (unsigned long long)s->logins[APP_LOGIN_UNKNOWN]);
    if (t->dec) {
        bool any = false;
        for (int ev = 1; ev < DEC_EV_COUNT; ev++) {
            if (!t->dec->events[ev])
                continue;
            fprintf(out, "%s %s %llu", any ? "," : "  anomalies:", dec_event_name((enum dec_event)ev),
                    (unsigned long long)t->dec->events[ev]);
            any = true;
        }
        if (any)
            fprintf(out, "\n");
        uint64_t bad = t->dec->ipv4_csum_bad + t->dec->tcp_csum_bad + t->dec->udp_csum_bad +
                       t->dec->icmp_csum_bad;
        if (bad)
            fprintf(out, "  bad checksums (counted, packets still inspected): %llu\n",
                    (unsigned long long)bad);
    }
    if (t->eve_path)
        fprintf(out, "  events: %s (%llu lines)\n", t->eve_path, (unsigned long long)t->eve_lines);
}
