/*
 * Built-in detectors: the seven threats of the brief (T1-T7) caught without the operator
 * writing rules. Each detector is one file (dt_<name>.c) registered in one table
 * (dtr_registry.c); docs/detectors.md lists them with their thresholds.
 *
 * A detector sees packets, app-layer records, flow ends, passwords (only for the
 * weak-password check; never kept) and a once-a-second tick of packet time. Its alerts are
 * ordinary det_alerts: each signature is a rule of gid DTR_GID parsed from the detector's
 * table (so category, severity and metadata mamori_threat / mamori_detector come out as
 * for any rule), plus the "mamori" members the detector adds (threat, detector, variant,
 * update, evidence).
 *
 * Memory: every detector keeps its state in tables with their own memcap (detectors.<name>
 * .memcap); when full, the oldest entry is taken over and counted.
 * Not thread-safe: one host per worker.
 */
#ifndef MM_DETECT_DTR_H
#define MM_DETECT_DTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "app/app.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "enrich/enrich.h"
#include "flow/flow.h"

/* The generator id of every built-in detector alert (rules use gid 1). */
#define DTR_GID 6100u

/* One "detectors.<detector>.<param>: value" setting from the config, as text. */
struct dtr_setting {
    const char *detector; /* "portscan" */
    const char *param;    /* "memcap", "enabled", "min-ports" ... */
    const char *value;
    unsigned line;        /* config line, for messages; 0 = command line */
};

#define DTR_MAX_INTEL 64

struct dtr_config {
    bool enabled;                  /* all detectors (detectors.enabled); default on */
    uint64_t update_interval_ns;   /* ongoing activity re-reported at most this often;
                                      detectors.update-interval, default 10 min */
    const struct dtr_setting *settings; /* per-detector settings, applied over defaults */
    size_t n_settings;
    const char *intel_files[DTR_MAX_INTEL]; /* --intel / detectors.intel.files */
    size_t n_intel;
    const char *data_dir;          /* where the shipped lists are (common passwords ...);
                                      NULL = the build's default */
    const struct det_parse_opts *parse; /* classification table for the signatures; may be
                                           NULL (built-in classes) */
};
void dtr_config_defaults(struct dtr_config *cfg);
/* Where the shipped data (rule file, password list) is when data_dir is NULL. */
const char *dtr_default_data_dir(void);
/* "500ms", "30s", "10m", "2h", "1d" or bare seconds into nanoseconds; false when malformed. */
bool dtr_parse_duration(const char *s, uint64_t *ns);

typedef struct dtr_host dtr_host_t;

/* Check cfg's settings (names, values, ranges) without starting anything: 0, or MM_EINVAL
 * with "line N: detectors.x.y: reason" in err. dtr_new checks the same. */
int dtr_check_config(const struct dtr_config *cfg, char *err, size_t errlen);

/*
 * All enabled detectors, configured from cfg. Alerts go to cb. `en` (may be NULL) answers
 * "is this address internal" for detectors that care (beaconing, attachments) and must
 * outlive the host. NULL with err filled on a bad setting (names the detector, parameter and
 * config line), an unreadable intel file, or out of memory.
 */
dtr_host_t *dtr_new(const struct dtr_config *cfg, enrich_t *en, det_alert_cb cb, void *user,
                    char *err, size_t errlen);
void dtr_free(dtr_host_t *h);

/* Reload what can change while running (intel lists). 0, or -1 with err (old state kept). */
int dtr_reload(dtr_host_t *h, char *err, size_t errlen);

/* Feeds, from the packet loop (f may be NULL for packets without a flow). */
void dtr_packet(dtr_host_t *h, const struct flow *f, int dir, const struct packet *p);
/* dtr_time(h, p->ts_ns) then dtr_packet: what the packet loop calls for each packet. */
void dtr_feed_packet(dtr_host_t *h, const struct flow *f, int dir, const struct packet *p);
void dtr_record(dtr_host_t *h, const struct flow *f, int dir, uint64_t ts_ns,
                enum app_record_kind kind, const void *rec);
void dtr_flow_end(dtr_host_t *h, const struct flow *f);
/* app_password_cb shape: register with app_ctx_set_password_checker(ctx, dtr_password, h). */
void dtr_password(void *h, const struct flow *f, const struct app_login *login,
                  const uint8_t *pw, size_t pw_len);
/* app_message_cb shape: register with app_ctx_set_message_hook(ctx, dtr_message, h). */
void dtr_message(void *h, const struct flow *f, int dir, uint64_t ts_ns, enum app_proto proto,
                 const struct mime_email *email);
/* Packet time moves on (detectors tick once a second of packet time). */
void dtr_time(dtr_host_t *h, uint64_t now_ns);
/* End of input: detectors report what is still pending (a scan still under way ...). */
void dtr_finish(dtr_host_t *h, uint64_t now_ns);

/* Per-detector counters for stats.detectors.<name>. */
struct dtr_det_stats {
    const char *name;   /* "portscan" */
    const char *threat; /* "T2" */
    bool enabled;
    uint64_t alerts;    /* first reports */
    uint64_t updates;   /* later reports about the same activity */
    uint64_t held_back; /* of alerts and updates, how many the alert callback did not write */
    uint64_t entries;   /* tracked items now (sources, pairs, accounts ...) */
    uint64_t evicted;   /* live entries taken over at the memcap */
    uint64_t memcap_hits;
    size_t memuse, memcap;
};

#define DTR_MAX_DETECTORS 16
/* Number of detectors written into out (at most DTR_MAX_DETECTORS). */
size_t dtr_get_stats(const dtr_host_t *h, struct dtr_det_stats *out, size_t max);

/* A named figure a detector publishes for stats (service latency: "latency"). Called with
 * each value; the writer decides the layout. */
struct dtr_metric {
    const char *group;  /* "latency" */
    const char *server; /* address text */
    uint16_t port;
    const char *service; /* "smtp" */
    const char *kind;   /* "handshake", "greeting", "first_byte" */
    double last_ms, baseline_ms, p95_ms;
    uint64_t samples;
};
typedef void (*dtr_metric_cb)(void *u, const struct dtr_metric *m);
void dtr_get_metrics(const dtr_host_t *h, dtr_metric_cb cb, void *u);

/* Every detector's signatures as rule text (`mamori detectors`). */
void dtr_print_signatures(FILE *out);
/* Every detector's settings with defaults and reasons, as YAML (`mamori detectors --config`). */
void dtr_print_config(FILE *out);

#endif
