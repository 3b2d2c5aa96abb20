/*
 * YAML configuration as a small read-only tree (maps, sequences, scalars), loaded once at
 * startup with libyaml. Hostile-file safe: aliases are refused (no "billion laughs"),
 * nesting depth, node count and file size are bounded, and every error names the file,
 * line and column. Mapping the tree onto module settings is the CLI's job (cli/config.c).
 */
#ifndef MM_CORE_CFG_H
#define MM_CORE_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cfg_type { CFG_SCALAR = 0, CFG_MAP, CFG_SEQ };

typedef struct cfg_node cfg_node_t;

#define CFG_MAX_DEPTH 32
#define CFG_MAX_NODES 100000
#define CFG_MAX_FILE_BYTES (4u << 20)

/* Parse a file; NULL with "path: line L, column C: reason" in err on failure. Caller frees. */
cfg_node_t *cfg_load_file(const char *path, char *err, size_t errlen);
/* Parse a buffer; `name` is used in error messages. */
cfg_node_t *cfg_parse(const char *name, const char *text, size_t len, char *err, size_t errlen);
void cfg_free(cfg_node_t *root);

enum cfg_type cfg_type(const cfg_node_t *n);
/* Scalar text (NUL-terminated), or NULL for maps and sequences. */
const char *cfg_scalar(const cfg_node_t *n);
/* Line (1-based) where the node starts, for messages. */
unsigned cfg_line(const cfg_node_t *n);
/* Children of a map or sequence. */
size_t cfg_count(const cfg_node_t *n);
const cfg_node_t *cfg_child(const cfg_node_t *n, size_t i);
/* Key of the i-th child of a map (NULL for sequences). */
const char *cfg_key(const cfg_node_t *n, size_t i);

/* Look up "a.b.c" through maps; NULL when absent or when a step is not a map. */
const cfg_node_t *cfg_get(const cfg_node_t *root, const char *path);

/*
 * Typed getters for `path` under root. They return 0 and leave *out untouched when the key
 * is absent, 0 and set *out when valid, MM_EINVAL with a message in err otherwise.
 * Sizes accept suffixes kb/mb/gb (powers of 1024, case-insensitive); bools accept
 * yes/no/true/false/on/off.
 */
int cfg_get_u64(const cfg_node_t *root, const char *path, uint64_t min, uint64_t max,
                uint64_t *out, char *err, size_t errlen);
int cfg_get_size(const cfg_node_t *root, const char *path, uint64_t min, uint64_t max,
                 uint64_t *out, char *err, size_t errlen);
int cfg_get_bool(const cfg_node_t *root, const char *path, bool *out, char *err, size_t errlen);
/* Parse a size string ("64mb"); false when malformed or out of uint64 range. */
bool cfg_parse_size(const char *s, uint64_t *out);

#endif
