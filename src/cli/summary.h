/*
 * What the run saw, for people: the one-line summary printed at exit, and with --summary a
 * few more lines (flows per protocol, busiest services, application protocols, login
 * attempts, anomalies by name).
 */
#ifndef MM_CLI_SUMMARY_H
#define MM_CLI_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "app/app.h"
#include "detect/dtr.h"
#include "detect/suppress.h"

struct summary;

struct summary *summary_new(void);
void summary_free(struct summary *s);
/* Count a login record (outcome only). */
void summary_login(struct summary *s, enum app_login_outcome outcome);
/* The rule set in use (printed with the alert count). */
void summary_rules(struct summary *s, uint32_t loaded, uint32_t skipped);
/* Count an alert of signature gid:sid (msg copied); threat "T1".."T7" from its
 * mamori_threat metadata, or NULL. */
void summary_alert(struct summary *s, uint32_t gid, uint32_t sid, const char *msg,
                   const char *threat);
/* An alert the threshold file held back (why: not DET_SUP_WRITE). */
void summary_held_back(struct summary *s, enum det_suppress_verdict why);
/* Count a finished flow (called from the flow-end callback). */
void summary_flow(struct summary *s, const struct flow *f);

struct summary_totals {
    uint64_t pkts, bytes, flows, anomalies;
    double seconds;
    long peak_rss_kib;
    unsigned files;
    const struct dec_stats *dec;
    const struct app_stats *app; /* may be NULL */
    const char *eve_path;
    uint64_t eve_lines;
    const struct dtr_det_stats *dets; /* built-in detectors, or NULL */
    size_t n_dets;
};
void summary_print(const struct summary *s, const struct summary_totals *t, bool detailed,
                   FILE *out);

#endif
