/*
 * Fuzz target for the JSON builder's string escaping (src/output/json.c).
 *
 * The input is escaped as one top-level JSON string. The output must be one well-formed JSON
 * string: quoted at both ends, no unescaped quote or control byte inside, only the escapes
 * RFC 8259 allows, and valid UTF-8 throughout (checked here with an independent decoder).
 * The same input is then escaped again under a size limit taken from the input, which must
 * succeed with identical bytes exactly when the full output fits and fail with MM_ELIMIT
 * otherwise, never writing past the limit.
 */
#include "fuzz_check.h"
#include "core/mm.h"
#include "core/json.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the valid UTF-8 sequence at s[0] (>= 0x80) by decoding it; 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    size_t want;
    uint32_t cp, min;
    if ((s[0] & 0xE0) == 0xC0)
        want = 2, cp = s[0] & 0x1Fu, min = 0x80;
    else if ((s[0] & 0xF0) == 0xE0)
        want = 3, cp = s[0] & 0x0Fu, min = 0x800;
    else if ((s[0] & 0xF8) == 0xF0)
        want = 4, cp = s[0] & 0x07u, min = 0x10000;
    else
        return 0;
    if (n < want)
        return 0;
    for (size_t k = 1; k < want; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return want;
}

/* Abort unless s[0..n) is exactly one valid JSON string in valid UTF-8. */
static void check_json_string(const uint8_t *s, size_t n)
{
    CHECK(n >= 2 && s[0] == '"' && s[n - 1] == '"');
    size_t i = 1;
    while (i < n - 1) {
        uint8_t c = s[i];
        CHECK(c != '"' && c >= 0x20);
        if (c == '\\') {
            CHECK(i + 1 < n - 1);
            uint8_t e = s[i + 1];
            if (e == 'u') {
                CHECK(i + 6 <= n - 1);
                for (size_t k = 2; k < 6; k++)
                    CHECK(is_hex(s[i + k]));
                i += 6;
            } else {
                CHECK(e && strchr("\"\\/bfnrt", e) != NULL);
                i += 2;
            }
        } else if (c < 0x80) {
            i++;
        } else {
            size_t len = utf8_len(s + i, n - 1 - i);
            CHECK(len > 0);
            i += len;
        }
    }
    CHECK(i == n - 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size copy so ASan catches a one-byte over-read. */
    uint8_t *in = malloc(size ? size : 1);
    CHECK(in != NULL);
    if (size)
        memcpy(in, data, size);

    struct jb full;
    CHECK(jb_init(&full, 0, 6 * size + 16) == 0); /* 6 bytes per input byte at most */
    CHECK(jb_string_bytes(&full, NULL, in, size) == 0);
    CHECK(jb_complete(&full));
    size_t need = jb_len(&full);
    check_json_string((const uint8_t *)jb_ptr(&full), need);

    /* The same string under a limit near the needed size. */
    size_t max = 1;
    if (size >= 2)
        max = need > 64 ? need - 32 + (size_t)(data[0] % 64) : 1 + (size_t)(data[0] % 80);
    struct jb lim;
    CHECK(jb_init(&lim, size >= 2 ? data[1] : 0, max) == 0);
    int err = jb_string_bytes(&lim, NULL, in, size);
    CHECK(jb_len(&lim) <= max);
    if (need <= max) {
        CHECK(err == 0 && jb_len(&lim) == need);
        CHECK(memcmp(jb_ptr(&lim), jb_ptr(&full), need) == 0);
    } else {
        CHECK(err == MM_ELIMIT);
        CHECK(jb_close_object(&lim) == MM_ELIMIT); /* closing after overflow is safe */
    }
    jb_fini(&lim);
    jb_fini(&full);
    free(in);
    return 0;
}
