/*
 * Alert suppression from a Suricata-style threshold file (config `threshold-file`,
 * docs/rules.md "Suppressing alerts"): the `suppress` lines
 *
 *   suppress gen_id <gid>, sig_id <sid>
 *   suppress gen_id <gid>, sig_id <sid>, track <by_src|by_dst|by_either>, ip <addresses>
 *
 * where sig_id 0 stands for any sid of the gid, gen_id 0 with sig_id 0 for every alert, and <addresses> is anything a rule header
 * takes (an address, a CIDR, a range, a [list], a $VARIABLE, negations). A matching alert is
 * not written; what the rule or detector did otherwise (flowbits set, state kept) stands.
 * Rule alerts and the built-in detectors' alerts alike: the way to silence a known host,
 * such as the company's own vulnerability scanner or monitoring server.
 *
 * `threshold`, `event_filter` and `rate_filter` lines are recognised but not applied: they
 * are skipped with a warning and counted, as is every line that cannot be read. A bad line
 * never stops the sensor: the alerts it would have held back are written.
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
    uint32_t entries; /* suppress lines in use */
    uint32_t skipped; /* lines not used: unsupported kinds and unreadable lines */
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

void det_suppress_counts(const det_suppress_t *s, struct det_suppress_counts *out);
void det_suppress_free(det_suppress_t *s);

#endif
