/*
 * Reading rules: text -> struct det_rule (rule_parse.c, keyword table in rule_opts.c,
 * addresses/ports/variables in rule_addr.c), files -> struct det_ruleset (rule_files.c),
 * and the `mamori rules check` report (rule_check.c).
 *
 * A rule that cannot be loaded (unsupported keyword or protocol, malformed option, value out
 * of range) becomes a struct det_skip naming file, line, sid and reason; loading goes on.
 * Limits keep hostile files harmless: DET_RULE_MAX_BYTES per rule, DET_MAX_LISTS lists,
 * DET_MAX_SMS matches per rule, DET_LIST_MAX_DEPTH for nested address/port lists.
 */
#ifndef MM_DETECT_RULE_PARSE_H
#define MM_DETECT_RULE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "detect/rule.h"

#define DET_RULE_MAX_BYTES (64u * 1024u) /* one rule after joining continued lines */
#define DET_MAX_LISTS 32
#define DET_MAX_SMS 256                  /* buffer matches in one rule */
#define DET_LIST_MAX_DEPTH 16            /* [a,[b,[c]]] nesting and variable expansion */
#define DET_CONTENT_MAX 4096             /* bytes of one content pattern */

/* A rule variable from the configuration: name without '$' ("HOME_NET") and its value as
 * Suricata writes it ("[192.168.0.0/16,10.0.0.0/8]", "any", "!$HOME_NET", "[80,8080]"). */
struct det_var {
    const char *name;
    const char *value;
};

struct det_parse_opts {
    const struct det_var *addr_vars; /* address-groups; HOME_NET/EXTERNAL_NET defaults apply
                                        when absent: RFC 1918 + fc00::/7, and !$HOME_NET */
    size_t n_addr_vars;
    const struct det_var *port_vars; /* port-groups; HTTP_PORTS etc. default as Suricata's
                                        suricata.yaml when absent */
    size_t n_port_vars;
    const char *classification_path; /* NULL: the built-in table (Suricata's standard one) */
};

typedef struct det_parser det_parser_t;

/* Parser over `rs` (classes, interned names and skips go there). NULL with err filled when a
 * variable or the classification file is unusable. */
det_parser_t *det_parser_new(const struct det_parse_opts *o, struct det_ruleset *rs, char *err,
                             size_t errlen);
void det_parser_free(det_parser_t *p);

/*
 * Parse one rule (one logical line, comments already removed). 0 and *out on success.
 * On failure a negative mm_err, *out NULL, *reason (malloc'd text) and *keyword (malloc'd
 * keyword name or NULL) describe why; the caller owns both strings. *sid gets the sid when
 * one could be read (0 otherwise), also on failure.
 */
int det_parse_rule(det_parser_t *p, const char *text, size_t len, struct det_rule **out,
                   uint32_t *sid, char **reason, char **keyword);

/*
 * Read rule files into rs: comments (#) and blank lines skipped, lines ending in '\' joined,
 * every rule parsed; failures become rs->skips (file, line, sid, reason), duplicates of a
 * (gid, sid) already loaded are skipped too. Returns 0, or a negative mm_err when a file
 * cannot be read (err says which; rules read so far stay in rs).
 */
int det_load_files(const struct det_parse_opts *o, const char *const *files, size_t n_files,
                   struct det_ruleset *rs, char *err, size_t errlen);

/* The same from a string (tests, fuzzing); `name` stands for the file name in skips. */
int det_load_string(const struct det_parse_opts *o, const char *name, const char *text,
                    size_t len, struct det_ruleset *rs, char *err, size_t errlen);

/*
 * `mamori rules check` output. Text: loaded/skipped counts, a table of skip keywords (or
 * reasons) by frequency, then one line per skipped rule "file:line sid N: reason" when
 * `verbose`. JSON: one object {"total": N, "loaded": M, "skipped": [{"file", "line", "sid",
 * "reason"}...]} and a newline.
 */
void det_print_check(const struct det_ruleset *rs, bool json, bool verbose, FILE *out);

#endif
