/*
 * Alert collection for the detector unit tests that drive one detector host directly
 * (test_dt_beacon.c, test_dt_weakpass.c): every alert the host emits, with the fields the
 * tests check and its "mamori" JSON. Include after <cmocka.h> (more alerts than fit fail the
 * test). The T4 detectors' tests have their own harness with a flow table, dt_flood_harness.h.
 */
#ifndef MM_TESTS_DT_COLLECT_H
#define MM_TESTS_DT_COLLECT_H

#include "core/mm.h"
#include "detect/dtr_int.h"
#include "detect/rule.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define MAX_ALERTS 256

struct got_alert {
    uint32_t sid;
    bool update;
    uint64_t ts_ns;
    struct mm_addr src, dst;
    uint16_t sport, dport;
    char json[4096]; /* the mamori object, cut to fit */
};

struct collect {
    struct got_alert a[MAX_ALERTS];
    size_t n;
};

static inline bool on_alert(void *u, const struct det_alert *al)
{
    struct collect *c = u;
    if (c->n >= MAX_ALERTS)
        fail_msg("more than %d alerts", MAX_ALERTS);
    struct got_alert *g = &c->a[c->n++];
    g->sid = al->rule->sid;
    g->ts_ns = al->ts_ns;
    g->src = al->src;
    g->dst = al->dst;
    g->sport = al->sport;
    g->dport = al->dport;
    size_t n = MM_MIN(al->mamori_len, sizeof g->json - 1);
    memcpy(g->json, al->mamori_json, n);
    g->json[n] = 0;
    g->update = strstr(g->json, "\"update\":true") != NULL;
    return true;
}

#endif
