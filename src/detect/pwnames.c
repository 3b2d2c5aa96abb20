/*
 * Japanese personal names in romaji for the weak-password check (pwnames.h has the spellings
 * and the file formats).
 */
#include "detect/pwnames.h"

#include "core/file.h"
#include "core/mm.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- kana to romaji -------------------------------------------------------------------- */

enum kana_kind {
    K_PLAIN = 1, /* a syllable of its own */
    K_SMALL_V,   /* ァィゥェォ: joins the kana before it (ファ fa, ティ ti, ウィ wi) */
    K_SMALL_Y,   /* ャュョ: joins an i-syllable (キャ kya, シャ sha) */
    K_SOKUON,    /* ッ: doubles the next consonant (ハットリ hattori) */
    K_N,         /* ン */
};

#define KANA_FIRST 0x30A1u /* ァ */
#define KANA_LAST 0x30F6u  /* ヶ */
#define KANA_LONG 0x30FCu  /* ー */
#define KANA_DOT 0x30FBu   /* ・ */
#define KANA_FU 0x30D5u    /* フ */
#define KANA_U 0x30A6u     /* ウ */
#define KANA_I 0x30A4u     /* イ */
#define KANA_TSU 0x30C4u   /* ツ */
#define KANA_TE 0x30C6u    /* テ */
#define KANA_DE 0x30C7u    /* デ */
#define KANA_TO 0x30C8u    /* ト */
#define KANA_DO 0x30C9u    /* ド */
#define KANA_VU 0x30F4u    /* ヴ */

/* Hepburn spelling of the katakana KANA_FIRST .. KANA_LAST in code order (small kana as they
 * sound alone); hiragana are read as the katakana 0x60 above them. */
static const char *const kana_hepburn[] = {
    "a",  "a",  "i",   "i",  "u",  "u",   "e",  "e",  "o",  "o", /* ァアィイゥウェエォオ */
    "ka", "ga", "ki",  "gi", "ku", "gu",  "ke", "ge", "ko", "go", /* カガキギクグケゲコゴ */
    "sa", "za", "shi", "ji", "su", "zu",  "se", "ze", "so", "zo", /* サザシジスズセゼソゾ */
    "ta", "da", "chi", "ji", "",   "tsu", "zu", "te", "de", "to", "do", /* タダチヂッツヅテデトド */
    "na", "ni", "nu",  "ne", "no",                                      /* ナニヌネノ */
    "ha", "ba", "pa",  "hi", "bi", "pi",  "fu", "bu", "pu", /* ハバパヒビピフブプ */
    "he", "be", "pe",  "ho", "bo", "po",                    /* ヘベペホボポ */
    "ma", "mi", "mu",  "me", "mo",                          /* マミムメモ */
    "ya", "ya", "yu",  "yu", "yo", "yo",                    /* ャヤュユョヨ */
    "ra", "ri", "ru",  "re", "ro",                          /* ラリルレロ */
    "wa", "wa", "i",   "e",  "o",  "n",   "vu", "ka", "ke", /* ヮワヰヱヲンヴヵヶ */
};
_Static_assert(MM_ARRAY_LEN(kana_hepburn) == KANA_LAST - KANA_FIRST + 1, "one per katakana");

/* Kunrei (ISO 3602), as typed at a Japanese input method, where it differs from Hepburn. */
static const char *kana_kunrei(const char *hep)
{
    static const char *const diff[][2] = {
        {"shi", "si"}, {"chi", "ti"}, {"tsu", "tu"}, {"fu", "hu"}, {"ji", "zi"},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(diff); i++)
        if (!strcmp(hep, diff[i][0]))
            return diff[i][1];
    return hep;
}

static uint32_t to_katakana(uint32_t c)
{
    return c >= 0x3041 && c <= 0x3096 ? c + 0x60 : c;
}

/* The kind of kana c, or 0 when it is none. */
static enum kana_kind kana_kind(uint32_t c)
{
    c = to_katakana(c);
    if (c < KANA_FIRST || c > KANA_LAST)
        return 0;
    switch (c) {
    case 0x30A1:
    case 0x30A3:
    case 0x30A5:
    case 0x30A7:
    case 0x30A9: return K_SMALL_V;
    case 0x30E3:
    case 0x30E5:
    case 0x30E7: return K_SMALL_Y;
    case 0x30C3: return K_SOKUON;
    case 0x30F3: return K_N;
    default: return K_PLAIN;
    }
}

static const char *kana_spell(uint32_t c, unsigned flags)
{
    const char *h = kana_hepburn[to_katakana(c) - KANA_FIRST];
    return (flags & ROMAJI_KUNREI) ? kana_kunrei(h) : h;
}

struct rbuf {
    char *s;
    size_t cap, len;
    bool over;
};

static void rb_put(struct rbuf *b, const char *s, size_t n)
{
    if (b->over || b->len + n + 1 > b->cap) {
        b->over = true;
        return;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
}

static bool is_vowel(char c)
{
    return c == 'a' || c == 'i' || c == 'u' || c == 'e' || c == 'o';
}

/* The syllable of kana[i] (a kana, not ッ, ン or ー) in syl, joined with the small kana after
 * it, which *used then counts. */
static void syllable(const uint32_t *kana, size_t n, size_t i, unsigned flags, char syl[8],
                     size_t *used)
{
    const char *base = kana_spell(kana[i], flags);
    size_t L = strlen(base);
    memcpy(syl, base, L + 1);
    *used = 1;
    enum kana_kind nk = i + 1 < n ? kana_kind(kana[i + 1]) : 0;
    if (kana_kind(kana[i]) != K_PLAIN)
        return;
    uint32_t kc = to_katakana(kana[i]);
    if (nk == K_SMALL_Y && (kc == KANA_TE || kc == KANA_DE || kc == KANA_FU)) {
        /* テュ tyu, デュ dyu, フュ fyu */
        syl[0] = kc == KANA_FU ? 'f' : kc == KANA_TE ? 't' : 'd';
        syl[1] = 'y';
        syl[2] = kana_spell(kana[i + 1], 0)[1];
        syl[3] = '\0';
        *used = 2;
        return;
    }
    if (nk == K_SMALL_Y && L >= 2 && base[L - 1] == 'i') {
        /* ki+ya = kya; Hepburn shi/chi/ji+ya = sha/cha/ja (with ROMAJI_JY: jya) */
        size_t s = L - 1;
        bool hep_palatal = !(flags & ROMAJI_KUNREI) &&
                           ((s == 2 && (base[0] == 's' || base[0] == 'c') && base[1] == 'h') ||
                            (s == 1 && base[0] == 'j' && !(flags & ROMAJI_JY)));
        if (!hep_palatal)
            syl[s++] = 'y';
        syl[s++] = kana_spell(kana[i + 1], 0)[1];
        syl[s] = '\0';
        *used = 2;
        return;
    }
    if (nk != K_SMALL_V)
        return;
    char v = kana_spell(kana[i + 1], 0)[0];
    *used = 2;
    if (kc == KANA_U) { /* ウィ wi, ウェ we, ウォ wo */
        syl[0] = 'w';
        syl[1] = v;
        syl[2] = '\0';
    } else if (kc == KANA_FU) { /* ファ fa in either system: that is how it is typed */
        syl[0] = 'f';
        syl[1] = v;
        syl[2] = '\0';
    } else if (kc == KANA_I && v == 'e') { /* イェ ye */
        syl[0] = 'y';
        syl[1] = 'e';
        syl[2] = '\0';
    } else if (kc == KANA_TSU) { /* ツァ tsa in either system (Kunrei tu would make it ta) */
        memcpy(syl, "ts", 2);
        syl[2] = v;
        syl[3] = '\0';
    } else if (kc == KANA_VU) { /* ヴァ va */
        syl[0] = 'v';
        syl[1] = v;
        syl[2] = '\0';
    } else if ((kc == KANA_TE || kc == KANA_DE) && v == 'i') {
        syl[1] = 'i'; /* ティ ti, ディ di */
    } else if ((kc == KANA_TO || kc == KANA_DO) && v == 'u') {
        syl[1] = 'u'; /* トゥ tu, ドゥ du */
    } else if (base[L - 1] == 'i' && v == 'e' && L >= 2) {
        /* シェ she, チェ che, ジェ je; Kunrei sye, tye, zye */
        bool hep_palatal =
            !(flags & ROMAJI_KUNREI) && ((L == 3 && base[1] == 'h') || (L == 2 && base[0] == 'j'));
        size_t s = L - 1;
        if (!hep_palatal)
            syl[s++] = 'y';
        syl[s++] = 'e';
        syl[s] = '\0';
    } else {
        syl[L] = v; /* anything else: the vowel after the syllable */
        syl[L + 1] = '\0';
    }
}

size_t pwnames_romaji(const uint32_t *kana, size_t n, unsigned flags, char *out, size_t outcap)
{
    if (!outcap)
        return 0;
    struct rbuf b = {out, outcap, 0, false};
    bool double_next = false;
    char last_vowel = 0;
    for (size_t i = 0; i < n && !b.over;) {
        uint32_t c = kana[i];
        if (c == KANA_DOT) {
            i++;
            continue;
        }
        if (c == KANA_LONG) {
            if (!last_vowel)
                return 0; /* a long mark after nothing long: not a reading */
            /* Hepburn shortens long o and u only: ニーミ is niimi, not nimi. */
            bool ou = last_vowel == 'o' || last_vowel == 'u';
            if ((flags & ROMAJI_LONG_H) && last_vowel == 'o')
                rb_put(&b, "h", 1);
            else if (!(flags & ROMAJI_LONG_DROP) || !ou)
                rb_put(&b, &last_vowel, 1);
            last_vowel = 0; /* so a second ー in a row is no reading */
            i++;
            continue;
        }
        enum kana_kind kind = kana_kind(c);
        if (!kind)
            return 0;
        if (kind == K_SOKUON) {
            double_next = true;
            i++;
            continue;
        }
        if (kind == K_N) {
            char m = 'n';
            if ((flags & ROMAJI_N_M) && i + 1 < n && kana_kind(kana[i + 1]) == K_PLAIN) {
                char next = kana_spell(kana[i + 1], 0)[0];
                if (next == 'b' || next == 'm' || next == 'p')
                    m = 'm';
            }
            rb_put(&b, &m, 1);
            double_next = false;
            last_vowel = 0;
            i++;
            continue;
        }
        char syl[8];
        size_t used;
        syllable(kana, n, i, flags, syl, &used);
        if (double_next && !is_vowel(syl[0])) {
            /* Hepburn writes っち as "tchi" */
            char d = (syl[0] == 'c' && syl[1] == 'h') ? 't' : syl[0];
            rb_put(&b, &d, 1);
        }
        double_next = false;
        size_t sl = strlen(syl);
        rb_put(&b, syl, sl);
        last_vowel = sl && is_vowel(syl[sl - 1]) ? syl[sl - 1] : 0;
        i += used;
    }
    if (b.over || b.len == 0)
        return 0;
    out[b.len] = '\0';
    return b.len;
}

/* --- the list -------------------------------------------------------------------------- */

#define PWN_LINE_MAX 1024u /* longer lines are no dictionary entry */

/* The line's code points into cp (at most PWN_LINE_MAX), decoded as UTF-8 or else EUC-JP;
 * returns how many, or -1 when it is neither. *first is the converter to try first (the one
 * that read the line before: a file is mostly in one encoding), updated. */
static long line_decode(iconv_t from_utf8, iconv_t from_eucjp, int *first, const char *line,
                        size_t n, uint32_t *cp)
{
    uint8_t raw[PWN_LINE_MAX * 4];
    char copy[PWN_LINE_MAX]; /* iconv's input is not const */
    memcpy(copy, line, n);
    iconv_t cds[2] = {from_utf8, from_eucjp};
    for (int k = 0; k < 2; k++) {
        int t = k ? !*first : *first;
        iconv(cds[t], NULL, NULL, NULL, NULL);
        char *in = copy, *outp = (char *)raw;
        size_t inleft = n, outleft = sizeof raw;
        if (iconv(cds[t], &in, &inleft, &outp, &outleft) == (size_t)-1 || inleft)
            continue;
        *first = t;
        size_t m = (sizeof raw - outleft) / 4;
        for (size_t i = 0; i < m; i++)
            cp[i] = (uint32_t)raw[4 * i] | (uint32_t)raw[4 * i + 1] << 8 |
                    (uint32_t)raw[4 * i + 2] << 16 | (uint32_t)raw[4 * i + 3] << 24;
        return (long)m;
    }
    return -1;
}

static int add_name(pwcheck_words_t *w, const char *s, size_t n)
{
    if (n < PWNAMES_MIN_LEN || n > PWCHECK_WORD_MAX)
        return 0;
    return pwcheck_words_add(w, s, n);
}

/* Field k of the CSV line cp[0..n) (no quoting: dictionary lines have none). */
static bool csv_field(const uint32_t *cp, size_t n, unsigned k, size_t *fs, size_t *fe)
{
    size_t s = 0;
    for (unsigned f = 0; f < k; f++) {
        while (s < n && cp[s] != ',')
            s++;
        if (s == n)
            return false;
        s++;
    }
    size_t e = s;
    while (e < n && cp[e] != ',')
        e++;
    *fs = s;
    *fe = e;
    return true;
}

static bool field_is(const uint32_t *cp, size_t n, unsigned k, const uint32_t *want, size_t wn)
{
    size_t s, e;
    return csv_field(cp, n, k, &s, &e) && e - s == wn && !memcmp(cp + s, want, wn * sizeof *cp);
}

/* A dictionary line of a family or given name: every spelling of its reading. */
static int add_csv_name(pwcheck_words_t *w, const uint32_t *cp, size_t n, bool *taken)
{
    static const uint32_t person[] = {0x4EBA, 0x540D}; /* 人名 */
    static const uint32_t family[] = {0x59D3};         /* 姓 */
    static const uint32_t given[] = {0x540D};          /* 名 */
    *taken = false;
    if (!field_is(cp, n, 6, person, 2) ||
        !(field_is(cp, n, 7, family, 1) || field_is(cp, n, 7, given, 1)))
        return 0;
    size_t rs, re, ps, pe;
    if (!csv_field(cp, n, 11, &rs, &re) || !csv_field(cp, n, 12, &ps, &pe))
        return 0;
    static const struct {
        bool pron;
        unsigned flags;
    } spellings[] = {
        {false, 0},                               /* satou, shinji */
        {false, ROMAJI_N_M},                      /* homma */
        {false, ROMAJI_JY},                       /* jyunko */
        {false, ROMAJI_KUNREI},                   /* sinzi */
        {true, ROMAJI_LONG_DROP},                 /* sato */
        {true, ROMAJI_LONG_DROP | ROMAJI_LONG_H}, /* satoh */
    };
    for (size_t v = 0; v < MM_ARRAY_LEN(spellings); v++) {
        char out[PWCHECK_WORD_MAX + 1];
        size_t s = spellings[v].pron ? ps : rs, e = spellings[v].pron ? pe : re;
        size_t len = pwnames_romaji(cp + s, e - s, spellings[v].flags, out, sizeof out);
        if (len < PWNAMES_MIN_LEN)
            continue; /* not kana, or too short to tell a name (ai, yu) */
        int rc = add_name(w, out, len);
        if (rc)
            return rc;
        *taken = true;
    }
    return 0;
}

/* A plain line: one name in ASCII letters. */
static int add_plain_name(pwcheck_words_t *w, const uint32_t *cp, size_t n, bool *taken)
{
    size_t s = 0, e = n;
    while (s < e && (cp[s] == ' ' || cp[s] == '\t'))
        s++;
    while (e > s && (cp[e - 1] == ' ' || cp[e - 1] == '\t' || cp[e - 1] == '\r'))
        e--;
    *taken = false;
    if (s == e || cp[s] == '#' || e - s > PWCHECK_WORD_MAX)
        return 0;
    char word[PWCHECK_WORD_MAX];
    for (size_t i = s; i < e; i++) {
        uint32_t c = cp[i] | 0x20u;
        if (c < 'a' || c > 'z')
            return 0;
        word[i - s] = (char)c;
    }
    if (e - s < PWNAMES_MIN_LEN)
        return 0;
    *taken = true;
    return add_name(w, word, e - s);
}

int pwnames_load_buffer(pwcheck_words_t *w, const char *buf, size_t len, size_t *lines, char *err,
                        size_t errlen)
{
    *lines = 0;
    iconv_t u8 = iconv_open("UTF-32LE", "UTF-8");
    iconv_t ej = iconv_open("UTF-32LE", "EUC-JP");
    if (u8 == (iconv_t)-1 || ej == (iconv_t)-1) {
        snprintf(err, errlen, "no UTF-8 or EUC-JP converter (iconv): %s", strerror(errno));
        if (u8 != (iconv_t)-1)
            iconv_close(u8);
        if (ej != (iconv_t)-1)
            iconv_close(ej);
        return MM_EINVAL;
    }
    uint32_t cp[PWN_LINE_MAX];
    int rc = 0, first = 0;
    for (size_t pos = 0; pos < len && rc == 0;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t n = end - pos;
        const char *line = buf + pos;
        pos = end + 1;
        if (n == 0 || n > PWN_LINE_MAX)
            continue;
        long m = line_decode(u8, ej, &first, line, n, cp);
        while (m > 0 && cp[m - 1] == '\r')
            m--;
        uint32_t *c = cp;
        if (m > 0 && c[0] == 0xFEFF) { /* a byte-order mark, as some editors write */
            c++;
            m--;
        }
        if (m <= 0)
            continue;
        bool csv = memchr(line, ',', n) != NULL, taken;
        rc = csv ? add_csv_name(w, c, (size_t)m, &taken) : add_plain_name(w, c, (size_t)m, &taken);
        if (taken && rc == 0)
            (*lines)++;
    }
    iconv_close(u8);
    iconv_close(ej);
    if (rc == MM_ELIMIT)
        snprintf(err, errlen, "more than %zu names; the rest is not read", pwcheck_words_count(w));
    else if (rc)
        snprintf(err, errlen, "out of memory");
    return rc;
}

int pwnames_load(pwcheck_words_t *w, const char *path, size_t max_bytes, size_t *lines, char *err,
                 size_t errlen)
{
    char *buf;
    size_t len;
    *lines = 0;
    int rc = mm_read_file(path, "names list", max_bytes, &buf, &len, err, errlen);
    if (rc)
        return rc;
    char e[256] = "";
    rc = pwnames_load_buffer(w, buf, len, lines, e, sizeof e);
    if (rc)
        snprintf(err, errlen, "%s: %s", path, e);
    free(buf);
    return rc;
}
