/*
 * Archive passwords written in a message's text. Malspam that sends an encrypted ZIP (so
 * that mail filters cannot look inside) has to tell the victim the password, and does so in
 * the same message: "Password: 7741", "The archive password is abc123", "パスワード：zx81".
 * The attachment detector tries what this finds on the archive's ZipCrypto entries
 * (zs_set_passwords); a wrong candidate only costs a failed check.
 *
 * A candidate is the first word after a password keyword (English, Japanese in UTF-8,
 * Shift_JIS, EUC-JP and ISO-2022-JP, and a few other languages in UTF-8): what lies between
 * them may be a colon, "=", "is", quotes and brackets, full-width punctuation, HTML tags and
 * one line break; "password for the archive: x" takes the word after the colon. The word is
 * printable ASCII (what archivers accept from every keyboard), 1 to APW_MAX_LEN bytes, with
 * closing punctuation dropped. Text is read as bytes in any of those encodings; nothing is
 * converted. Linear in the text's length.
 */
#ifndef MM_DETECT_ARCHIVE_PW_H
#define MM_DETECT_ARCHIVE_PW_H

#include <stddef.h>
#include <stdint.h>

#define APW_MAX_LEN 64  /* longest candidate kept (bytes) */
#define APW_MAX 8       /* candidates returned at most */

struct apw {
    uint8_t s[APW_MAX_LEN];
    uint8_t len;
};

/* Candidates in text[0..len), in order of appearance, without repeats; returns how many
 * (at most max, which is at most APW_MAX) were written to out. */
size_t apw_find(const uint8_t *text, size_t len, struct apw *out, size_t max);

#endif
