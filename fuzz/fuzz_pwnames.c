/*
 * Fuzz target for the names list of the weak-password check (src/detect/pwnames.c).
 *
 * Input: byte 0 picks what is fuzzed. Even: the rest is a names file (pwnames_load_buffer),
 * read into an unbounded set and into one of at most 5 names; checked: the same buffer gives
 * the same names, at most six spellings a line, and the bounded set holds at most 5, says
 * MM_ELIMIT exactly when the unbounded one holds more, and all of them when not. Odd: byte 1 is the
 * spelling flags, each following byte pair a code point near the kana block (U+3000 + 0..511,
 * or ー, ・ and ASCII); checked: a spelling is lower-case letters only, NUL-terminated, fits
 * the buffer, and is the same when asked again. Every input is copied into an exact-size heap
 * buffer so ASan sees a one-byte over-read.
 */
#include "fuzz_check.h"
#include "core/mm.h"
#include "detect/pwnames.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_list(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    CHECK(buf);
    memcpy(buf, data, size);
    pwcheck_words_t *all = pwcheck_words_new(0), *few = pwcheck_words_new(5);
    pwcheck_words_t *again = pwcheck_words_new(0);
    CHECK(all && few && again);
    size_t lines, lines2, lines3;
    char err[256];
    CHECK(pwnames_load_buffer(all, buf, size, &lines, err, sizeof err) == 0);
    CHECK(pwnames_load_buffer(again, buf, size, &lines2, err, sizeof err) == 0);
    CHECK(lines == lines2 && pwcheck_words_count(all) == pwcheck_words_count(again));
    CHECK(pwcheck_words_count(all) <= lines * 6);
    int rc = pwnames_load_buffer(few, buf, size, &lines3, err, sizeof err);
    CHECK(rc == 0 || rc == MM_ELIMIT);
    CHECK(pwcheck_words_count(few) <= 5);
    CHECK((rc == MM_ELIMIT) == (pwcheck_words_count(all) > 5));
    if (rc == 0)
        CHECK(pwcheck_words_count(few) == pwcheck_words_count(all));
    pwcheck_words_free(all);
    pwcheck_words_free(few);
    pwcheck_words_free(again);
    free(buf);
}

static void fuzz_romaji(const uint8_t *data, size_t size)
{
    if (size < 1)
        return;
    unsigned flags = data[0];
    size_t n = (size - 1) / 2;
    uint32_t *kana = malloc((n ? n : 1) * sizeof *kana);
    CHECK(kana);
    for (size_t i = 0; i < n; i++) {
        unsigned v = (unsigned)data[1 + 2 * i] << 8 | data[2 + 2 * i];
        switch (v >> 14) {
        case 0: kana[i] = 0x3000u + (v & 511u); break; /* hiragana, katakana, around */
        case 1: kana[i] = 0x30FCu; break;              /* ー */
        case 2: kana[i] = 0x30FBu; break;              /* ・ */
        default: kana[i] = v & 127u; break;            /* ASCII: not kana */
        }
    }
    char out[24], out2[24];
    size_t cap = 1 + flags % sizeof out;
    size_t len = pwnames_romaji(kana, n, flags, out, cap);
    CHECK(len < cap);
    if (len) {
        CHECK(out[len] == '\0');
        for (size_t i = 0; i < len; i++)
            CHECK(out[i] >= 'a' && out[i] <= 'z');
        CHECK(pwnames_romaji(kana, n, flags, out2, cap) == len && !memcmp(out, out2, len));
    }
    free(kana);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        fuzz_romaji(data + 1, size - 1);
    else
        fuzz_list(data + 1, size - 1);
    return 0;
}
