/*
 * The one table of built-in detectors, in the order they are reported (docs/detectors.md
 * follows it). A detector is added here and in CMakeLists.txt, nowhere else.
 */
#include "detect/dtr_int.h"

#include "core/mm.h"

extern const struct dtr_ops dt_intel_ops;      /* T1: threat-intel lists */
extern const struct dtr_ops dt_beacon_ops;     /* T1: beaconing */
extern const struct dtr_ops dt_portscan_ops;   /* T2 */
extern const struct dtr_ops dt_webscan_ops;    /* T3: 4xx bursts, URI sweeps */
extern const struct dtr_ops dt_flood_ops;      /* T4: floods */
extern const struct dtr_ops dt_latency_ops;    /* T4: service latency */
extern const struct dtr_ops dt_bruteforce_ops; /* T5 */
extern const struct dtr_ops dt_attachment_ops; /* T6 */
extern const struct dtr_ops dt_weakpass_ops;   /* T7 */

const struct dtr_ops *const dtr_registry[] = {
    &dt_intel_ops,   &dt_beacon_ops,     &dt_portscan_ops,   &dt_webscan_ops, &dt_flood_ops,
    &dt_latency_ops, &dt_bruteforce_ops, &dt_attachment_ops, &dt_weakpass_ops,
};
const size_t dtr_registry_len = MM_ARRAY_LEN(dtr_registry);
