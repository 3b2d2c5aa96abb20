/*
 * A Suricata-style threshold file (config `threshold-file`, docs/rules.md "Thresholds and
 * suppression"): what to do with alerts before they are written, for rule alerts and the
 * built-in detectors' alike.
 *
 *   suppress gen_id <gid>, sig_id <sid>
 *   suppress gen_id <gid>, sig_id <sid>, track <by_src|by_dst|by_either>, ip <addresses>
 *   threshold gen_id <gid>, sig_id <sid>, type <limit|threshold|both>,
 *       track <by_src|by_dst|by_rule|by_both>, count <N>, seconds <T>
 *   event_filter ...  (the same as threshold)
 *   rate_filter gen_id <gid>, sig_id <sid>, track <by_src|by_dst|by_rule|by_both>,
 *       count <N>, seconds <T>, new_action pass, timeout <T>
 *
 * sig_id 0 stands for any sid of the gid, gen_id 0 with sig_id 0 for every alert; <addresses>
 * is anything a rule header takes (an address, a CIDR, a range, a [list], a $VARIABLE,
 * negations). A suppressed alert is not written; what the rule or detector did otherwise
 * (flowbits set, state kept) stands: the way to silence a known host, such as the company's
 * own vulnerability scanner or monitoring server. A threshold line for one gid:sid replaces
 * the rule's own threshold and detection_filter (det_suppress_overrides); one for sid 0
 * applies to the alerts of rules without either keyword. A rate_filter with new_action pass
 * holds alerts back for `timeout` seconds once more than `count` came within `seconds`; a
 * passive sensor neither drops nor rejects, so the other actions are skipped with a warning.
 *
 * Every line that cannot be read is skipped with a warning and counted. A bad line never
 * stops the sensor: the alerts it would have held back are written.
 */
#ifndef MM_DETECT_SUPPRESS_H
#define MM_DETECT_SUPPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/rule_parse.h"

typedef struct det_suppress det_suppress_t;

/* A line skipped: its number (from 1) and why. */
typedef void (*det_suppress_warn_fn)(void *user, unsigned line, const char *why);

struct det_suppress_counts {
    uint32_t entries;      /* suppress lines in use */
    uint32_t thresholds;   /* threshold and event_filter lines in use */
    uint32_t rate_filters; /* rate_filter lines in use */
    uint32_t skipped;      /* lines not used: unreadable, not applicable or replaced */
    uint64_t state_entries, state_evicted; /* the filters' counting table */
};

/* The filters' counting table's memcap unless det_suppress_set_memcap says otherwise. */
#define DET_SUPPRESS_MEMCAP (16u << 20)

enum det_suppress_verdict {
    DET_SUP_WRITE = 0,     /* write the alert */
    DET_SUP_SUPPRESSED,    /* a suppress line holds it back */
    DET_SUP_THRESHOLDED,   /* a threshold or event_filter line holds it back */
    DET_SUP_RATE_FILTERED, /* a rate_filter's pass is in force */
};

/* Largest threshold file read (its text is held while parsing). */
#define DET_SUPPRESS_MAX_BYTES (16u << 20)

/*
 * The suppress list of a threshold file's text (need not end in a newline; NUL bytes are
 * read as the end of their line). vars gives the address variables ($HOME_NET ...). warn
 * (may be NULL) hears of each skipped line. 0 with *out set, MM_ENOMEM, or MM_EINVAL with err
 * filled when the variables themselves are unusable.
 */
int det_suppress_parse(const char *text, size_t len, const struct det_parse_opts *vars,
                       det_suppress_warn_fn warn, void *user, det_suppress_t **out, char *err,
                       size_t errlen);

/* The same from a file: MM_EINVAL with err filled when it cannot be read or is larger than
 * DET_SUPPRESS_MAX_BYTES. */
int det_suppress_load(const char *path, const struct det_parse_opts *vars,
                      det_suppress_warn_fn warn, void *user, det_suppress_t **out, char *err,
                      size_t errlen);

/* Whether an alert of gid:sid between src and dst (16-byte form, ip_ver 4 or 6) is held
 * back. Cost: a binary search by sid, then the lines of that sid and those of sid 0. */
bool det_suppress_match(const det_suppress_t *s, uint32_t gid, uint32_t sid,
                        const uint8_t src[16], const uint8_t dst[16], int ip_ver);

/*
 * What the file says of an alert of gid:sid between src and dst at ts_ns (packet time):
 * suppress lines first, then the threshold that applies (own_threshold: the rule has a
 * threshold or detection_filter of its own, so sid-0 thresholds pass it by), then the
 * rate_filter (its sid-0 lines pass rules with thresholds of their own by as well). Counts are
 * kept in a bounded table (memcap: det_suppress_set_memcap; det_suppress_keep_counts carries
 * it over to a file read again).
 */
enum det_suppress_verdict det_suppress_check(det_suppress_t *s, uint32_t gid, uint32_t sid,
                                             bool own_threshold, const uint8_t src[16],
                                             const uint8_t dst[16], int ip_ver, uint64_t ts_ns);

/* Whether a threshold line names gid:sid itself: the rule's own threshold and
 * detection_filter are then not applied (det_suppress_check applies the line instead). */
bool det_suppress_overrides(const det_suppress_t *s, uint32_t gid, uint32_t sid);

/* A file read again (SIGHUP) goes on with the counts of the one it replaces, as a rule's
 * own threshold counts outlive a rule reload: `to` takes over `from`'s counting table (when
 * `to` has none yet), so a reload for log rotation does not lift a rate_filter in force or
 * restart a limit. */
void det_suppress_keep_counts(det_suppress_t *to, det_suppress_t *from);

void det_suppress_set_memcap(det_suppress_t *s, size_t bytes);
void det_suppress_counts(const det_suppress_t *s, struct det_suppress_counts *out);
void det_suppress_free(det_suppress_t *s);

#endif
