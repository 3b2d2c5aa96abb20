/*
 * Fuzz target: the rule reader (src/detect/rule_*.c) on hostile rule files: bad quoting,
 * unterminated content and hex, huge numbers, deep address/port nesting, continuation
 * lines, every keyword with broken arguments. The bytes are loaded as one rule file with
 * the default variables; every rule must end up loaded or skipped with a reason, and the
 * set must free cleanly.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "detect/rule_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1); /* exact size: ASan sees a one-byte over-read */
    if (!text)
        abort();
    memcpy(text, data, size);
    struct det_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs)
        abort();
    char err[256];
    int rc = det_load_string(NULL, "fuzz.rules", text, size, rs, err, sizeof err);
    if (rc != 0 && rc != MM_ENOMEM)
        abort(); /* a string cannot fail to read; bad rules are skips */
    if (rs->total != rs->n_rules + rs->n_skips)
        abort();
    for (uint32_t i = 0; i < rs->n_skips; i++) {
        if (!rs->skips[i].reason || !rs->skips[i].reason[0])
            abort(); /* every refusal must say why */
    }
    for (uint32_t i = 0; i < rs->n_rules; i++) {
        const struct det_rule *r = rs->rules[i];
        if (r->sid == 0 || !r->msg || r->n_lists > DET_MAX_LISTS)
            abort();
    }
    det_ruleset_free(rs);
    free(text);
    return 0;
}
