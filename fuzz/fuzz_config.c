/*
 * Fuzz target: the YAML configuration loader (core/cfg.c) on hostile text: deep nesting,
 * aliases, huge scalars, broken UTF-8. Every successful parse is walked completely and the
 * typed getters are called on it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t walk(const cfg_node_t *n, unsigned depth)
{
    if (depth > CFG_MAX_DEPTH + 1)
        abort(); /* the loader must have refused this */
    size_t count = 1;
    if (cfg_type(n) == CFG_SCALAR) {
        if (!cfg_scalar(n))
            abort();
        return count;
    }
    for (size_t i = 0; i < cfg_count(n); i++) {
        if (cfg_type(n) == CFG_MAP && !cfg_key(n, i))
            abort();
        count += walk(cfg_child(n, i), depth + 1);
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (!text)
        abort();
    memcpy(text, data, size);
    char err[256];
    cfg_node_t *root = cfg_parse("fuzz.yaml", text, size, err, sizeof err);
    if (root) {
        if (walk(root, 0) > CFG_MAX_NODES + 1)
            abort();
        uint64_t v = 0;
        bool b = false;
        (void)cfg_get_size(root, "flow.memcap", 0, UINT64_MAX, &v, err, sizeof err);
        (void)cfg_get_u64(root, "a.b.c", 0, 100, &v, err, sizeof err);
        (void)cfg_get_bool(root, "x", &b, err, sizeof err);
        cfg_free(root);
    } else if (!memchr(err, 0, sizeof err) || err[0] == 0) {
        abort(); /* every refusal must say why */
    }
    free(text);
    return 0;
}
