/*
 * Address and port sets of rule headers (rule_addr.c): parsing with variables, negation,
 * nested lists, ranges and CIDR, normalised to sorted disjoint ranges; and the two lookups
 * the engine uses on every candidate rule.
 *
 *   addr  := ['!'] ( "any" | '$' NAME | '[' addr (',' addr)* ']'
 *                  | IPv4 ['/' (0-32 | dotted mask)] | IPv6 ['/' 0-128] | IP '-' IP )
 *   port  := ['!'] ( "any" | '$' NAME | '[' port (',' port)* ']'
 *                  | N | N ':' M | N ':' | ':' M )
 *
 * A list is (union of its positive items) minus (union of its negated items); a list with
 * only negated items starts from everything. Nesting and variable expansion share the bound
 * DET_LIST_MAX_DEPTH; a variable that refers to itself is an error. "!any" and an empty
 * result are errors.
 */
#ifndef MM_DETECT_RULE_ADDR_H
#define MM_DETECT_RULE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/rule.h"
#include "detect/rule_parse.h"

/* Address and port variables of one parser (from det_parse_opts plus the defaults),
 * resolved on first use and remembered. Not thread-safe: one parser, one thread. */
struct det_vartab;

/* Builds the table; every variable given in `o` is resolved at once so a bad value is
 * reported here (NULL, err filled). The built-in defaults resolve when first used. */
struct det_vartab *det_vartab_new(const struct det_parse_opts *o, char *err, size_t errlen);
/* The same, saying why: 0, MM_EINVAL (a bad variable) or MM_ENOMEM. */
int det_vartab_create(const struct det_parse_opts *o, struct det_vartab **out, char *err,
                      size_t errlen);
void det_vartab_free(struct det_vartab *t);

/* Text -> set. 0, or MM_EINVAL with err filled (MM_ENOMEM on allocation failure). On
 * failure *out is left empty. The caller frees *out with det_addrset_fini. */
int det_addr_parse(struct det_vartab *t, const char *s, size_t len, struct det_addrset *out,
                   char *err, size_t errlen);
int det_port_parse(struct det_vartab *t, const char *s, size_t len, struct det_portset *out,
                   char *err, size_t errlen);

/* Frees the ranges and empties the set. */
void det_addrset_fini(struct det_addrset *s);
void det_portset_fini(struct det_portset *s);

/* Membership by binary search. `a` is the 16-byte form (IPv4 in the first 4 bytes);
 * ip_ver 4 or 6 (anything else: false unless the set is any). */
bool det_addr_match(const struct det_addrset *s, const uint8_t a[16], int ip_ver);
bool det_port_match(const struct det_portset *s, uint16_t port);

#endif
