/*
 * The password checker of the weak-password detector (T7): which of the IPA rules of the
 * brief a password breaks. The rules (docs/detectors/weakpass.md has the details):
 *
 *   contains_user     equal to, containing, or contained in the user ID (also reversed, also
 *                     the local part of "user@domain" and the name after "DOMAIN\")
 *   short             fewer than min_length bytes
 *   few_classes       fewer than min_classes of: lower case, upper case, digit, other
 *   date              a date or a year: YYYYMMDD, DDMMYYYY, MMDDYYYY, YYMMDD, DDMMYY, MMDDYY,
 *                     MMDD, DDMM (valid month/day) as a whole digit run, 19xx/20xx years,
 *                     and the same with '-', '/' or '.' between the parts
 *   sequence          min_run or more characters along an alphabet, digit or keyboard row
 *                     (1234, abcd, qwer, 9876, !@#$ ...), either direction
 *   repeat            min_run or more of the same character, or the whole password one
 *                     unit repeated (abcabc, 1212, passpass)
 *   dictionary_word   one word of the word list, possibly with up to 6 digits/symbols around
 *                     it and simple substitutions (Password1, p@ssw0rd, !summer)
 *   common_password   on the shipped list of the most common passwords (case-insensitive)
 *   name              a name of the names list (Japanese family and given names in romaji,
 *                     pwnames.h), or two joined (yamadataro, taro.yamada), with the same
 *                     decoration and substitutions as dictionary_word (Hiroshi1985!)
 *
 * The password is only read: never copied, hashed into anything kept, or written. Work is
 * bounded: only the first PWCHECK_MAX_LEN bytes of a password and of a user ID are examined
 * (a password that long is not short, and no word list entry is that long).
 *
 * Word sets are built once at start and then only read; lookups are safe from any number of
 * threads once building is done.
 */
#ifndef MM_DETECT_PWCHECK_H
#define MM_DETECT_PWCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PWCHECK_MAX_LEN 256u /* bytes of a password or user ID examined */
#define PWCHECK_WORD_MAX 64u /* longest word kept in a word set */

enum pwcheck_rule {
    PWCHECK_CONTAINS_USER = 0,
    PWCHECK_SHORT,
    PWCHECK_FEW_CLASSES,
    PWCHECK_DATE,
    PWCHECK_SEQUENCE,
    PWCHECK_REPEAT,
    PWCHECK_DICTIONARY_WORD,
    PWCHECK_COMMON_PASSWORD,
    PWCHECK_NAME,
    PWCHECK_N_RULES
};

#define PWCHECK_BIT(r) (1u << (r))
#define PWCHECK_ALL ((1u << PWCHECK_N_RULES) - 1u)

/* "contains_user", "short", ... ; NULL for a value out of range. */
const char *pwcheck_rule_name(unsigned rule);
/* The rule named name[0..len) (case-sensitive); false when there is none. */
bool pwcheck_rule_find(const char *name, size_t len, unsigned *rule);

struct pwcheck_config {
    uint32_t min_length;  /* shorter passwords break "short"; default 8 */
    uint32_t min_classes; /* fewer classes break "few_classes"; default 3 (of 4) */
    uint32_t min_run;     /* sequence / repeat length that counts; default 4 */
};
void pwcheck_config_defaults(struct pwcheck_config *cfg);

/* A set of words, compared case-insensitively (ASCII). */
typedef struct pwcheck_words pwcheck_words_t;

/* An empty set holding at most max_words words (0: no limit beyond memory). NULL when out of
 * memory. */
pwcheck_words_t *pwcheck_words_new(size_t max_words);
void pwcheck_words_free(pwcheck_words_t *w);

/*
 * Add one word (stored lower-case). Words shorter than min_len given to the loader, longer
 * than PWCHECK_WORD_MAX, or empty are skipped (returns 0), as are duplicates. MM_ELIMIT when
 * the set is full, MM_ENOMEM when out of memory.
 */
int pwcheck_words_add(pwcheck_words_t *w, const char *word, size_t len);

/*
 * Load a word list: one word per line ('#' starts a comment line; blanks around a word and
 * CR are ignored). Only words of at least min_len bytes are kept; with letters_only, only
 * words made of ASCII letters (a dictionary: "apple's" or "café" are skipped). At most
 * max_bytes of the file are read. 0, MM_EIO (cannot open or read: err says why), MM_ELIMIT
 * (the file is larger than max_bytes or holds more words than the set takes: what fit is
 * kept, err says so), MM_ENOMEM.
 */
int pwcheck_words_load(pwcheck_words_t *w, const char *path, size_t min_len, bool letters_only,
                       size_t max_bytes, char *err, size_t errlen);

size_t pwcheck_words_count(const pwcheck_words_t *w);
/* Bytes allocated by the set. */
size_t pwcheck_words_memuse(const pwcheck_words_t *w);

/* Whether s[0..len) is in the set, ignoring ASCII case. */
bool pwcheck_words_has(const pwcheck_words_t *w, const uint8_t *s, size_t len);

/* The word sets of the list rules; a NULL set turns its rule off. */
struct pwcheck_lists {
    const pwcheck_words_t *dict;   /* dictionary_word */
    const pwcheck_words_t *common; /* common_password */
    const pwcheck_words_t *names;  /* name */
};

/*
 * The rules pw breaks, as PWCHECK_BIT()s. user may be NULL/empty (contains_user then never
 * fires); lists may be NULL (no list rule then fires). pw and user are only read during the
 * call.
 */
uint32_t pwcheck(const struct pwcheck_config *cfg, const struct pwcheck_lists *lists,
                 const uint8_t *user, size_t user_len, const uint8_t *pw, size_t pw_len);

#endif
