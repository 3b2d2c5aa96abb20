/*
 * Japanese personal names for the weak-password check's "name" rule (T7: the IPA's "do not use
 * names"). People who put a name in a password write it in Latin letters, and there is more
 * than one way to: 佐藤 is "satou", "sato" or "satoh", 新治 "shinji" or "sinzi", 本間 "honma"
 * or "homma". So each name's kana reading is turned into the spellings people use:
 *
 *   Hepburn, as read        satou  yuuko  shinji   (the reading's kana, one for one)
 *   long vowels dropped     sato   yuko             (the pronunciation, where ー marks them)
 *   long o as "oh"          satoh  ohno
 *   Kunrei (IME typing)     satou  sinzi  tyouko
 *   n before b/m/p as m     homma  namba
 *   j + y as typed          jyunko
 *
 * The list comes from a file: the person-name dictionary of Debian's mecab-ipadic
 * (/usr/share/mecab/dic/ipadic/Noun.name.csv: CSV, EUC-JP, family and given names with their
 * katakana reading and pronunciation), or any file of such CSV lines (UTF-8 or EUC-JP), or
 * plain lines of ASCII letters (names already in romaji: a site's own list of staff names),
 * mixed freely; '#' starts a comment line.
 */
#ifndef MM_DETECT_PWNAMES_H
#define MM_DETECT_PWNAMES_H

#include "detect/pwcheck.h"

#include <stddef.h>
#include <stdint.h>

/* How pwnames_romaji spells a reading. */
enum {
    ROMAJI_KUNREI = 1u << 0,    /* si ti tu hu zi sya tya zya; otherwise Hepburn */
    ROMAJI_LONG_DROP = 1u << 1, /* ー adds nothing (sato); otherwise it repeats the vowel */
    ROMAJI_LONG_H = 1u << 2,    /* ー after o is "h" (satoh); other long vowels as above */
    ROMAJI_N_M = 1u << 3,       /* ン before b, m or p is "m" (homma) */
    ROMAJI_JY = 1u << 4,        /* Hepburn, but ジャ ジュ ジョ as typed: jya jyu jyo */
};

#define PWNAMES_MIN_LEN 3u /* shortest romaji kept: ken, mai, aoi */

/*
 * kana[0..n) (katakana or hiragana code points, with ー and the middle dot ・) in romaji, lower
 * case, into out (NUL-terminated). Returns the length, or 0 when kana holds anything else or
 * the spelling does not fit in outcap - 1 bytes.
 */
size_t pwnames_romaji(const uint32_t *kana, size_t n, unsigned flags, char *out, size_t outcap);

/*
 * Add the names of buf[0..len) to w: from each CSV line of a person name (7th field 人名, 8th
 * 姓 or 名; foreign and historical full names, 一般, are not taken) every spelling above of its
 * reading (12th field) and pronunciation (13th), and each plain line of ASCII letters as it
 * is; only names of PWNAMES_MIN_LEN to PWCHECK_WORD_MAX letters. Each line is read as UTF-8,
 * or else as EUC-JP; a line that is neither, or longer than 1,024 bytes, is skipped. *lines
 * counts the lines that gave a name. 0; MM_ELIMIT when w is full (what fit is kept, err says
 * so); MM_EINVAL when the C library has no converter for them; MM_ENOMEM.
 */
int pwnames_load_buffer(pwcheck_words_t *w, const char *buf, size_t len, size_t *lines, char *err,
                        size_t errlen);

/* The same for the file at path, read whole (at most max_bytes): MM_EIO when it cannot be. */
int pwnames_load(pwcheck_words_t *w, const char *path, size_t max_bytes, size_t *lines, char *err,
                 size_t errlen);

#endif
