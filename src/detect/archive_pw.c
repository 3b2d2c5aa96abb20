/*
 * Archive passwords in a message's text; see archive_pw.h.
 */
#include "detect/archive_pw.h"

#include "app/textproto.h"
#include "core/mm.h"

#include <stdbool.h>
#include <string.h>

/* What may stand between a keyword and its password before the search gives up. */
#define APW_WINDOW 64
/* How far "password for the archive: x" may look for its colon. */
#define APW_COLON_WINDOW 48
/* An HTML tag skipped as punctuation is at most this long. */
#define APW_TAG_MAX 64

struct kw {
    const char *s;
    uint8_t len;
    bool ascii;  /* compared without case (s in lower case), and must stand as a word */
    bool strict; /* an abbreviation: needs ':' or '=' after it ("pass" is also a verb) */
    bool jis;    /* ISO-2022-JP two-byte text: what follows is still in that mode */
};

#define KW(lit, ascii, strict, jis) {lit, (uint8_t)(sizeof lit - 1), ascii, strict, jis}

/* Longer keywords before their prefixes: the first that matches is taken. */
static const struct kw keywords[] = {
    KW("password", true, false, false),
    KW("passwort", true, false, false),     /* German */
    KW("passcode", true, false, false),
    KW("passwd", true, false, false),
    KW("pass", true, true, false),
    KW("pwd", true, true, false),
    KW("pw", true, true, false),
    KW("kennwort", true, false, false),     /* German */
    KW("wachtwoord", true, false, false),   /* Dutch */
    KW("mot de passe", true, false, false), /* French */
    KW("senha", true, false, false),        /* Portuguese */
    KW("contrase\303\261a", true, false, false),                                 /* Spanish */
    KW("\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89", false, false, false),
    KW("\x83p\x83X\x83\x8f\x81[\x83h", false, false, false),                  /* Shift_JIS */
    KW("\xa5\xd1\xa5\xb9\xa5\xef\xa1\xbc\xa5\xc9", false, false, false),      /* EUC-JP */
    KW("%Q%9%o!<%I", false, false, true),                                      /* ISO-2022-JP */
    KW("\xef\xbe\x8a\xef\xbe\x9f\xef\xbd\xbd\xef\xbe\x9c\xef\xbd\xb0\xef\xbe\x84\xef\xbe\x9e",
       false, false, false),                                  /* half-width katakana, UTF-8 */
    KW("\xe5\xaf\x86\xe7\xa0\x81", false, false, false),      /* Chinese, simplified */
    KW("\xe5\xaf\x86\xe7\xa2\xbc", false, false, false),      /* Chinese, traditional */
    KW("\xeb\xb9\x84\xeb\xb0\x80\xeb\xb2\x88\xed\x98\xb8", false, false, false), /* Korean */
    KW("\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c", false, false, false), /* Russian */
    KW("\xd0\x9f\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c", false, false, false), /* Пароль */
};

/* Colons and "is" in the encodings the keywords come in: a password follows them. */
static const struct {
    const char *s;
    uint8_t len;
} strong_seps[] = {
    {"\xef\xbc\x9a", 3}, /* full-width colon, UTF-8 */
    {"\xe3\x81\xaf", 3}, /* "wa" (is), UTF-8 */
    {"\x81\x46", 2},     /* full-width colon, Shift_JIS */
    {"\x82\xcd", 2},     /* "wa", Shift_JIS */
    {"\xa1\xa7", 2},     /* full-width colon, EUC-JP */
    {"\xa4\xcf", 2},     /* "wa", EUC-JP */
};

static bool is_alpha(uint8_t c)
{
    c = tp_upper(c);
    return c >= 'A' && c <= 'Z';
}

static bool kw_at(const struct kw *k, const uint8_t *p, size_t n, size_t i)
{
    if (n - i < k->len)
        return false;
    if (!k->ascii)
        return memcmp(p + i, k->s, k->len) == 0;
    if (i > 0 && is_alpha(p[i - 1]))
        return false; /* inside a word ("bypass") */
    if (!tp_ieq_n(p + i, k->s, k->len))
        return false;
    /* a longer word ("passport", "passwords") is not the keyword */
    return i + k->len >= n || !is_alpha(p[i + k->len]);
}

/* A byte that may end a password word (it stops there). */
static bool word_byte(uint8_t c)
{
    return c > 0x20 && c < 0x7f && c != '<';
}

/* Punctuation around a password, dropped from its end. */
static bool closing(uint8_t c)
{
    return c == '.' || c == ',' || c == ';' || c == ')' || c == ']' || c == '}' || c == '"' ||
           c == '\'' || c == '>' || c == '!' || c == '?' || c == ':';
}

/* The end of an HTML tag or entity starting at p[j] ('<' or '&'), or j when it is none. */
static size_t skip_markup(const uint8_t *p, size_t n, size_t j)
{
    size_t lim = MM_MIN(n, j + APW_TAG_MAX);
    uint8_t end = p[j] == '<' ? '>' : ';';
    for (size_t k = j + 1; k < lim; k++) {
        if (p[k] == end)
            return k + 1;
        if (end == ';' && !is_alpha(p[k]) && p[k] != '#' && !(p[k] >= '0' && p[k] <= '9'))
            break;
    }
    return j;
}

/* The offset just past a colon, "=" or the word "is" on the same line within
 * APW_COLON_WINDOW bytes ("password for the archive: x", "the password for it is x"), or 0. */
static size_t sep_ahead(const uint8_t *p, size_t n, size_t j)
{
    size_t lim = MM_MIN(n, j + APW_COLON_WINDOW);
    for (size_t k = j; k < lim; k++) {
        if (p[k] == '\n' || p[k] == '\r')
            return 0;
        if (p[k] == ':' || p[k] == '=')
            return k + 1;
        if (lim - k >= 3 && !memcmp(p + k, "\xef\xbc\x9a", 3))
            return k + 3;
        if (k > j && p[k - 1] == ' ' && lim - k >= 3 && tp_ieq_n(p + k, "is", 2) &&
            p[k + 2] == ' ')
            return k + 2;
    }
    return 0;
}

static bool has_digit(const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= '0' && s[i] <= '9')
            return true;
    return false;
}

/*
 * The password after keyword k, which ends at p[j]: its bytes in *w, *wl; false when none.
 * Reads at most APW_WINDOW bytes of punctuation (plus a jump to a colon) and one word.
 */
static bool take_after(const uint8_t *p, size_t n, size_t j, const struct kw *k,
                       const uint8_t **w, size_t *wl)
{
    bool strong = false, jis = k->jis, colon_jump = false;
    unsigned newlines = 0;
    size_t lim = MM_MIN(n, j + APW_WINDOW);
    while (j < lim) {
        uint8_t c = p[j];
        if (c == 0x1b) { /* ISO-2022-JP shifts: ESC $ B / ESC $ @ in, ESC ( B / ESC ( J out */
            if (lim - j >= 3 && p[j + 1] == '$' && (p[j + 2] == 'B' || p[j + 2] == '@'))
                jis = true;
            else if (lim - j >= 3 && p[j + 1] == '(' && (p[j + 2] == 'B' || p[j + 2] == 'J'))
                jis = false;
            else
                return false;
            j += 3;
            continue;
        }
        if (jis) { /* two-byte characters: punctuation here; a full-width colon or "wa" */
            if (lim - j >= 2 &&
                ((p[j] == '!' && p[j + 1] == '\'') || (p[j] == '$' && p[j + 1] == 'O')))
                strong = true;
            j += 2;
            continue;
        }
        if (c >= 0x80) { /* a character of another script: punctuation, or a colon */
            bool hit = false;
            for (size_t i = 0; i < MM_ARRAY_LEN(strong_seps) && !hit; i++) {
                if (lim - j >= strong_seps[i].len &&
                    !memcmp(p + j, strong_seps[i].s, strong_seps[i].len)) {
                    strong = hit = true;
                    j += strong_seps[i].len;
                }
            }
            if (!hit)
                j++;
            continue;
        }
        if (c == ':' || c == '=') {
            strong = true;
            j++;
            continue;
        }
        if (c == '\n' && ++newlines > 1)
            return false; /* a paragraph later: no longer about this keyword */
        if (c == '<' || c == '&') {
            size_t e = skip_markup(p, n, j);
            if (e == j && c == '<')
                return false;
            j = e > j ? e : j + 1;
            continue;
        }
        if (!word_byte(c) || c == '"' || c == '\'' || c == '(' || c == '[' || c == '{' ||
            c == '-' || c == '*' || c == '>') {
            j++;
            continue;
        }
        /* a word */
        if (!strong && lim - j >= 2 && tp_ieq_n(p + j, "is", 2) &&
            (j + 2 >= n || !word_byte(p[j + 2]))) {
            strong = true; /* "the password is x" */
            j += 2;
            continue;
        }
        if (!strong && !colon_jump) {
            /* "password for the archive: x" */
            size_t after = sep_ahead(p, n, j);
            colon_jump = true;
            if (after) {
                strong = true;
                j = after;
                lim = MM_MIN(n, j + APW_WINDOW);
                continue;
            }
        }
        if (!strong && k->strict)
            return false;
        size_t e = j;
        while (e < n && e - j <= APW_MAX_LEN && word_byte(p[e]))
            e++; /* (bounded: a keyword inside a long word must not rescan the word) */
        while (e > j && closing(p[e - 1]))
            e--;
        if (e == j || e - j > APW_MAX_LEN)
            return false;
        /* without a colon or "is", only a word with a digit ("Password 7741"), not the
         * next word of a sentence ("password protected") */
        if (!strong && !has_digit(p + j, e - j))
            return false;
        *w = p + j;
        *wl = e - j;
        return true;
    }
    return false;
}

size_t apw_find(const uint8_t *text, size_t len, struct apw *out, size_t max)
{
    size_t got = 0;
    if (!text)
        return 0;
    if (max > APW_MAX)
        max = APW_MAX;
    for (size_t i = 0; i < len && got < max; i++) {
        const struct kw *k = NULL;
        for (size_t q = 0; q < MM_ARRAY_LEN(keywords); q++) {
            if (kw_at(&keywords[q], text, len, i)) {
                k = &keywords[q];
                break;
            }
        }
        if (!k)
            continue;
        const uint8_t *w;
        size_t wl;
        if (take_after(text, len, i + k->len, k, &w, &wl)) {
            bool dup = false;
            for (size_t g = 0; g < got && !dup; g++)
                dup = out[g].len == wl && !memcmp(out[g].s, w, wl);
            if (!dup) {
                memcpy(out[got].s, w, wl);
                out[got].len = (uint8_t)wl;
                got++;
            }
        }
        i += k->len - 1;
    }
    return got;
}
