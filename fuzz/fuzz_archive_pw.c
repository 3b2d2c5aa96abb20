/*
 * Fuzz target for the archive-password finder (src/detect/archive_pw.c), which reads the text
 * of mail from anyone.
 *
 * Input: byte 0 is the most candidates asked for (0-15, the finder caps it at APW_MAX); the
 * rest is the text, from an exact-size heap copy so ASan sees a one-byte over-read.
 *
 * Checked: no more candidates than asked for and APW_MAX; each is 1..APW_MAX_LEN bytes of
 * printable ASCII without '<', occurs in the text, and differs from the others.
 */
#include "fuzz_check.h"
#include "detect/archive_pw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool occurs(const uint8_t *hay, size_t n, const uint8_t *needle, size_t k)
{
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k))
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max = data[0] & 15u;
    data++;
    size--;
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    if (size)
        memcpy(copy, data, size);
    struct apw pw[16];
    size_t n = apw_find(copy, size, pw, max);
    CHECK(n <= max && n <= APW_MAX);
    for (size_t i = 0; i < n; i++) {
        CHECK(pw[i].len >= 1 && pw[i].len <= APW_MAX_LEN);
        for (size_t j = 0; j < pw[i].len; j++)
            CHECK(pw[i].s[j] > 0x20 && pw[i].s[j] < 0x7f && pw[i].s[j] != '<');
        CHECK(occurs(copy, size, pw[i].s, pw[i].len));
        for (size_t j = 0; j < i; j++)
            CHECK(pw[j].len != pw[i].len || memcmp(pw[j].s, pw[i].s, pw[i].len) != 0);
    }
    free(copy);
    return 0;
}
