/*
 * Fuzz target for the weak-password checker (src/detect/pwcheck.c).
 *
 * Input: byte 0 picks the user ID's length (mod what is left), byte 1 the settings (min-run 2..9,
 * min-classes 1..4, min-length 0..31); the user ID follows, the rest is the password. Each is
 * copied into an exact-size heap buffer so ASan sees a one-byte over-read. Checked: only known
 * rule bits are set, "short" is exactly pw_len < min-length, the same input gives the same
 * answer, and the inputs are not written to.
 */
#include "fuzz_check.h"
#include "core/mm.h"
#include "detect/pwcheck.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pwcheck_words_t *dict, *common, *names;

static void setup(void)
{
    static const char *const words[] = {"password", "dragon", "summer",  "sunshine", "apple",
                                        "trouble",  "monkey", "letmein", "princess", "qwerty"};
    static const char *const top[] = {"123456",   "password", "qwerty123", "p@ssw0rd", "iloveyou",
                                      "1q2w3e4r", "admin",    "aaaa1111",  "a",        ""};
    static const char *const given[] = {"tanaka", "taro", "yamada", "hiroshi",
                                        "satou",  "sato", "ken",    "yuki"};
    dict = pwcheck_words_new(0);
    common = pwcheck_words_new(0);
    names = pwcheck_words_new(0);
    CHECK(dict && common && names);
    for (size_t i = 0; i < MM_ARRAY_LEN(given); i++)
        CHECK(pwcheck_words_add(names, given[i], strlen(given[i])) == 0);
    for (size_t i = 0; i < MM_ARRAY_LEN(words); i++)
        CHECK(pwcheck_words_add(dict, words[i], strlen(words[i])) == 0);
    for (size_t i = 0; i < MM_ARRAY_LEN(top); i++)
        CHECK(pwcheck_words_add(common, top[i], strlen(top[i])) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dict)
        setup();
    if (size < 2)
        return 0;
    size_t rest = size - 2;
    size_t ulen = rest ? data[0] % (rest + 1) : 0;
    size_t plen = rest - ulen;
    struct pwcheck_config cfg;
    pwcheck_config_defaults(&cfg);
    cfg.min_run = 2u + (data[1] & 7u);
    cfg.min_classes = 1u + ((data[1] >> 3) & 3u);
    cfg.min_length = (uint32_t)(data[1] >> 3) & 31u;
    uint8_t *user = malloc(ulen ? ulen : 1);
    uint8_t *pw = malloc(plen ? plen : 1);
    uint8_t *pw_copy = malloc(plen ? plen : 1);
    CHECK(user && pw && pw_copy);
    memcpy(user, data + 2, ulen);
    memcpy(pw, data + 2 + ulen, plen);
    memcpy(pw_copy, pw, plen);

    const struct pwcheck_lists lists = {dict, common, names};
    uint32_t r = pwcheck(&cfg, &lists, user, ulen, pw, plen);
    CHECK((r & ~PWCHECK_ALL) == 0);
    CHECK(((r & PWCHECK_BIT(PWCHECK_SHORT)) != 0) == (plen < cfg.min_length));
    CHECK(pwcheck(&cfg, &lists, user, ulen, pw, plen) == r);
    /* Without lists and user, only rules that need none can fire. */
    uint32_t bare = pwcheck(&cfg, NULL, NULL, 0, pw, plen);
    const uint32_t needs = PWCHECK_BIT(PWCHECK_CONTAINS_USER) |
                           PWCHECK_BIT(PWCHECK_DICTIONARY_WORD) |
                           PWCHECK_BIT(PWCHECK_COMMON_PASSWORD) | PWCHECK_BIT(PWCHECK_NAME);
    CHECK((bare & needs) == 0);
    CHECK((bare | needs) == (r | needs));
    CHECK(memcmp(pw, pw_copy, plen) == 0);
    /* The word-set lookup itself, on the raw password bytes. */
    (void)pwcheck_words_has(common, pw, plen);
    free(user);
    free(pw);
    free(pw_copy);
    return 0;
}
