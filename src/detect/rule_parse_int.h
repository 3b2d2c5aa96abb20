/*
 * Inside the rule reader: what rule_parse.c (tokenizer, header, finalisation), rule_opts.c
 * (keyword table and per-keyword parsers) and rule_common.c (classification table) share.
 * Not for the engine or other layers.
 */
#ifndef MM_DETECT_RULE_PARSE_INT_H
#define MM_DETECT_RULE_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/rule.h"
#include "detect/rule_addr.h"
#include "detect/rule_parse.h"

#define RP_VAR_NAME_MAX 32 /* byte_extract variable names, without the NUL */
#define RP_KEYWORD_MAX 64  /* longer option names cannot be ours */

#define DET_CLASSES_MAX 4096 /* classification.config entries (Suricata ships 42) */

struct rp_kw;

/* Hash index over a det_names table (ids + 1, 0 = empty), so interning stays O(1) however
 * many names a hostile rule file invents. */
struct rp_name_index {
    uint32_t *slot;
    size_t cap, n;
};

struct det_parser {
    struct det_ruleset *rs;
    struct det_vartab *vars;
    const struct rp_kw **kw; /* the keyword table sorted by name (bsearch) */
    size_t n_kw;
    struct rp_name_index flowbits, flowints, xbits;
};

/* State of one det_parse_rule call. */
struct rp_ctx {
    det_parser_t *p;
    struct det_rule *r;

    /* first failure: text and keyword (both malloc'd), and its mm_err */
    char *reason, *keyword;
    int err;

    /* The current buffer: set by sticky-buffer keywords, followed by its transforms. The list
     * itself is found or created when the first match is added (cur_list -1 until then). */
    enum det_buf cur_buf;
    bool cur_sticky; /* an explicit sticky buffer (not pkt_data / the default) */
    det_xform_chain cur_xf;
    uint32_t cur_n_xf;
    int32_t cur_list;

    /* the most recent content, which modifiers (nocase, depth, http_uri ...) apply to;
     * last_list -1 until there is one */
    int32_t last_list, last_sm;
    bool last_is_content;

    char var_names[DET_MAX_VARS][RP_VAR_NAME_MAX + 1];
    uint32_t n_vars;
    uint32_t n_sms;

    /* app-layer-protocol keyword, resolved against the buffers at finalisation */
    int alp;
    bool alp_set, alp_neg;

    bool have_sid, have_msg, have_rev, have_gid, have_class, have_prio, have_target;

    char *vbuf; /* NUL-terminated copy of the current option value */
};

/* A keyword handler: v is the trimmed, NUL-terminated value (NULL when the option had no
 * ':' part). Returns 0 or the result of rp_fail. */
typedef int (*rp_kw_fn)(struct rp_ctx *c, const struct rp_kw *k, char *v);

enum rp_val { RP_VAL_OPT = 0, RP_VAL_REQ, RP_VAL_NONE };

struct rp_kw {
    const char *name;
    rp_kw_fn fn;
    int arg;         /* handler-specific: a buffer id, transform, flag ... */
    enum rp_val val; /* whether the option takes a value */
};

/* The keyword table of rule_opts.c. */
extern const struct rp_kw det_rp_keywords[];
extern const size_t det_rp_n_keywords;

/* det_parser_new saying why it failed: 0, MM_EINVAL, MM_EIO (classification file) or
 * MM_ENOMEM. */
int rp_parser_create(const struct det_parse_opts *o, struct det_ruleset *rs, det_parser_t **out,
                     char *err, size_t errlen);

/* Records the first failure of the rule: reason printf-style, keyword may be NULL.
 * Returns MM_EINVAL (MM_ENOMEM if err is MM_ENOMEM). */
int rp_fail(struct rp_ctx *c, int err, const char *keyword, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "unsupported keyword 'x'" with keyword x. */
int rp_unsupported(struct rp_ctx *c, const char *name);

/* Adds a match to the list for (buf, xf), creating the list when needed. Returns the new
 * match (zeroed, type set) or NULL after rp_fail (limits, memory). *list_out gets the list
 * index. */
struct det_sm *rp_add_sm(struct rp_ctx *c, enum det_buf buf, det_xform_chain xf,
                         enum det_sm_type type, int32_t *list_out);
/* The same on the current buffer. */
struct det_sm *rp_add_sm_cur(struct rp_ctx *c, enum det_sm_type type);

/* Interns a name of rs->flowbits / flowints / xbits through the parser's index. -1 on
 * allocation failure. */
int32_t rp_intern(det_parser_t *p, struct det_names *t, const char *name);
/* Appends without looking for an existing entry (rule_common.c). */
int32_t det_names_append(struct det_names *t, const char *name, size_t len);

/* Frees what one match owns (not the match itself). */
void det_sm_fini(struct det_sm *sm);

/* Classification: the built-in table, or a classification.config file. */
int det_classes_builtin(struct det_ruleset *rs);
int det_classes_load(struct det_ruleset *rs, const char *path, char *err, size_t errlen);
/* Index of a classtype by name (case-insensitive), -1 when unknown. */
int det_class_find(const struct det_ruleset *rs, const char *name);

/* Small helpers shared by the keyword parsers. */
char *rp_trim(char *s);
/* Splits s in place at `sep` (outside double quotes), trimming each part. false when there
 * are more than max parts. */
bool rp_split(char *s, char sep, char **parts, size_t max, size_t *n);
/* Decimal or 0x hex number in [min, max]. */
bool rp_parse_u64(const char *s, uint64_t max, uint64_t *out);
bool rp_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
