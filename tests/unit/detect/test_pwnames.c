/*
 * Japanese names for the weak-password check (src/detect/pwnames.c): the romaji spellings of
 * kana readings (Hepburn, Kunrei, long vowels, ン before b/m/p, っ, small kana), the names
 * list read from mecab-ipadic-style CSV lines in UTF-8 and EUC-JP and from plain lines, and,
 * when the Debian package mecab-ipadic is installed, its real dictionary.
 */
#include "detect/pwnames.h"

#include "core/mm.h"

#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>
#include <unistd.h>

#include <cmocka.h>

struct romaji_row {
    const char32_t *kana;
    unsigned flags;
    const char *want; /* "" = not spelled (0 returned) */
};

#define H 0u
#define KUN ROMAJI_KUNREI
#define DROP ROMAJI_LONG_DROP
#define OH (ROMAJI_LONG_DROP | ROMAJI_LONG_H)

static const struct romaji_row romaji_rows[] = {
    /* plain syllables, both systems */
    {U"タナカ", H, "tanaka"},
    {U"ヤマダ", KUN, "yamada"},
    {U"シミズ", H, "shimizu"},
    {U"シミズ", KUN, "simizu"},
    {U"チヒロ", H, "chihiro"},
    {U"チヒロ", KUN, "tihiro"},
    {U"ツヨシ", H, "tsuyoshi"},
    {U"ツヨシ", KUN, "tuyosi"},
    {U"フミコ", H, "fumiko"},
    {U"フミコ", KUN, "humiko"},
    {U"シンジ", H, "shinji"},
    {U"シンジ", KUN, "sinzi"},
    {U"ヂヅ", H, "jizu"},
    /* hiragana read as katakana */
    {U"さくら", H, "sakura"},
    {U"ゆうこ", H, "yuuko"},
    /* long vowels: as read, dropped, "oh" */
    {U"サトウ", H, "satou"},
    {U"サトー", H, "satoo"},
    {U"サトー", DROP, "sato"},
    {U"サトー", OH, "satoh"},
    {U"オーノ", OH, "ohno"},
    {U"ユーコ", OH, "yuko"}, /* "h" only after o */
    {U"ユーコ", H, "yuuko"},
    {U"ユーコ", DROP, "yuko"},
    {U"ニーミ", DROP, "niimi"},      /* long i is kept */
    {U"キチベー", DROP, "kichibee"}, /* long e too */
    {U"ーア", H, ""},                /* a long mark after nothing */
    {U"アーー", H, ""},              /* two long marks: not a reading */
    /* small ya/yu/yo */
    {U"キョウコ", H, "kyouko"},
    {U"ショウタ", H, "shouta"},
    {U"ショウタ", KUN, "syouta"},
    {U"チュウジ", H, "chuuji"},
    {U"チュウジ", KUN, "tyuuzi"},
    {U"ジュンコ", H, "junko"},
    {U"ジュンコ", ROMAJI_JY, "jyunko"},
    {U"ジュンコ", KUN, "zyunko"},
    {U"リョウ", H, "ryou"},
    /* small tsu */
    {U"ハットリ", H, "hattori"},
    {U"ホッタ", H, "hotta"},
    {U"ハッチ", H, "hatchi"},
    {U"ハッチ", KUN, "hatti"},
    {U"イッ", H, "i"}, /* nothing to double */
    /* n */
    {U"ホンマ", H, "honma"},
    {U"ホンマ", ROMAJI_N_M, "homma"},
    {U"ナンバ", ROMAJI_N_M, "namba"},
    {U"シンイチ", H, "shinichi"},
    {U"ケンタ", ROMAJI_N_M, "kenta"},
    /* small vowels after a syllable */
    {U"ファン", H, "fan"},
    {U"ファン", KUN, "fan"},
    {U"ティナ", H, "tina"},
    {U"ウィル", H, "wiru"},
    {U"ヴァン", H, "van"},
    {U"シェリー", DROP, "sherii"}, /* only long o and u are dropped */
    {U"シェリー", KUN | DROP, "syerii"},
    {U"ジェーン", DROP, "jeen"},
    {U"エドゥ", H, "edu"},
    {U"アルトゥロ", H, "aruturo"},
    {U"デュマ", H, "dyuma"},
    {U"テューダー", DROP, "tyudaa"},
    {U"フュ", H, "fyu"},
    {U"イェン", H, "yen"},
    {U"モーツァルト", KUN | DROP, "motsaruto"}, /* not "motaruto" */
    {U"ヴィオラ", H, "viora"},
    {U"ァ", H, "a"}, /* alone: its own sound */
    {U"ャ", H, "ya"},
    /* old kana, the middle dot */
    {U"ヤヱコ", H, "yaeko"},
    {U"ポル・ポト", H, "porupoto"},
    /* not kana */
    {U"タナカa", H, ""},
    {U"田中", H, ""},
    {U"", H, ""},
};

static size_t u32len(const char32_t *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void test_romaji(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(romaji_rows); i++) {
        const struct romaji_row *r = &romaji_rows[i];
        size_t n = u32len(r->kana);
        /* An exact-size heap copy: ASan sees a read past the end. */
        uint32_t *k = malloc((n ? n : 1) * sizeof *k);
        for (size_t j = 0; j < n; j++)
            k[j] = (uint32_t)r->kana[j];
        char out[64];
        size_t len = pwnames_romaji(k, n, r->flags, out, sizeof out);
        const char *got = len ? out : "";
        if (strcmp(got, r->want) || len != strlen(r->want)) {
            print_error("row %zu (flags %u, want \"%s\"): got \"%s\" (%zu)\n", i, r->flags, r->want,
                        got, len);
            bad++;
        }
        free(k);
    }
    assert_int_equal(bad, 0);

    /* Output that does not fit is no spelling, never a cut one. */
    uint32_t k[] = {0x30BF, 0x30CA, 0x30AB}; /* タナカ */
    char out[7];
    assert_int_equal(pwnames_romaji(k, 3, 0, out, 7), 6);
    assert_string_equal(out, "tanaka");
    assert_int_equal(pwnames_romaji(k, 3, 0, out, 6), 0);
    assert_int_equal(pwnames_romaji(k, 3, 0, out, 0), 0);
}

/* Dictionary lines as mecab-ipadic writes them (Noun.name.csv), in UTF-8. */
static const char csv_utf8[] =
    "田中,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,田中,タナカ,タナカ\n"
    "佐藤,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,佐藤,サトウ,サトー\r\n"
    "本間,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,本間,ホンマ,ホンマ\n"
    "純子,1291,1291,8000,名詞,固有名詞,人名,名,*,*,純子,ジュンコ,ジュンコ\n"
    "新治,1291,1291,8000,名詞,固有名詞,人名,名,*,*,新治,シンジ,シンジ\n"
    /* 一般: full names of the famous, foreign names: not taken */
    "宇多天皇,1289,1289,7438,名詞,固有名詞,人名,一般,*,*,宇多天皇,ウダテンノウ,ウダテンノー\n"
    /* not a person */
    "東京,1293,1293,3000,名詞,固有名詞,地域,一般,*,*,東京,トウキョウ,トーキョー\n"
    /* too few fields, a reading that is not kana, a two-letter name */
    "山田,1290,1290,7000,名詞,固有名詞,人名,姓\n"
    "某,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,某,*,*\n"
    "愛,1291,1291,8000,名詞,固有名詞,人名,名,*,*,愛,アイ,アイ\n"
    "# a comment line\n"
    "  Kimura \n"
    "o'brien\n"
    "ab\n";

static void load_buf(pwcheck_words_t *w, const char *buf, size_t len, size_t want_lines)
{
    size_t lines = 99;
    char err[256] = "";
    int rc = pwnames_load_buffer(w, buf, len, &lines, err, sizeof err);
    if (rc)
        fail_msg("load: %d %s", rc, err);
    assert_int_equal(lines, want_lines);
}

static bool has(const pwcheck_words_t *w, const char *s)
{
    return pwcheck_words_has(w, (const uint8_t *)s, strlen(s));
}

static void check_small_list(const pwcheck_words_t *w)
{
    static const char *const in[] = {"tanaka", "satou",  "sato",   "satoh",  "honma", "homma",
                                     "junko",  "jyunko", "zyunko", "shinji", "sinzi", "kimura"};
    static const char *const out[] = {"udatennou", "toukyou", "yamada", "ai",
                                      "obrien",    "ab",      "satoo"};
    for (size_t i = 0; i < MM_ARRAY_LEN(in); i++)
        if (!has(w, in[i]))
            fail_msg("%s missing", in[i]);
    for (size_t i = 0; i < MM_ARRAY_LEN(out); i++)
        if (has(w, out[i]))
            fail_msg("%s taken", out[i]);
    assert_int_equal(pwcheck_words_count(w), MM_ARRAY_LEN(in));
}

/* buf converted from UTF-8 to EUC-JP, as the Debian package ships the dictionary. */
static char *to_eucjp(const char *buf, size_t len, size_t *outlen)
{
    iconv_t cd = iconv_open("EUC-JP", "UTF-8");
    assert_true(cd != (iconv_t)-1);
    char *out = malloc(len * 2 + 1);
    char *in = malloc(len), *ip = in, *op = out;
    memcpy(in, buf, len);
    size_t il = len, ol = len * 2 + 1;
    assert_true(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
    assert_int_equal(il, 0);
    iconv_close(cd);
    free(in);
    *outlen = (size_t)(op - out);
    return out;
}

static void test_load_utf8_and_eucjp(void **state)
{
    (void)state;
    pwcheck_words_t *w = pwcheck_words_new(0);
    load_buf(w, csv_utf8, sizeof csv_utf8 - 1, 6);
    check_small_list(w);
    pwcheck_words_free(w);

    size_t elen;
    char *euc = to_eucjp(csv_utf8, sizeof csv_utf8 - 1, &elen);
    assert_true(elen < sizeof csv_utf8 - 1); /* really converted: two bytes a kanji */
    w = pwcheck_words_new(0);
    load_buf(w, euc, elen, 6);
    check_small_list(w);
    pwcheck_words_free(w);

    /* Lines that are neither UTF-8 nor EUC-JP, or longer than 1,024 bytes, are skipped; the
     * rest is read, and a byte-order mark does not hide the name after it. */
    static const char head[] = "吉田,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,吉田,ヨシダ,ヨシダ,";
    static const char head2[] =
        "大川,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,大川,オオカワ,オーカワ,";
    char fit[1025], over[1026];
    memcpy(fit, head, sizeof head - 1); /* 1,024 bytes before its newline: read */
    memset(fit + sizeof head - 1, 'x', 1024 - (sizeof head - 1));
    fit[1024] = '\n';
    memcpy(over, head2, sizeof head2 - 1); /* 1,025: skipped */
    memset(over + sizeof head2 - 1, 'x', 1025 - (sizeof head2 - 1));
    over[1025] = '\n';
    static const char bad[] = "\xff\xfe\xfd,\x80\n";
    static const char bom[] = "\xef\xbb\xbfwatashi\r\n";
    size_t n = sizeof bad - 1 + sizeof fit + sizeof over + sizeof bom - 1 + elen + 7;
    char *mixed = malloc(n), *p = mixed;
    memcpy(p, bad, sizeof bad - 1);
    p += sizeof bad - 1;
    memcpy(p, fit, sizeof fit);
    p += sizeof fit;
    memcpy(p, over, sizeof over);
    p += sizeof over;
    memcpy(p, bom, sizeof bom - 1);
    p += sizeof bom - 1;
    memcpy(p, euc, elen);
    p += elen;
    memcpy(p, "\nyoshii", 7); /* the last line without a newline */
    p += 7;
    w = pwcheck_words_new(0);
    load_buf(w, mixed, (size_t)(p - mixed), 9);
    assert_true(has(w, "yoshida"));
    assert_false(has(w, "ookawa") || has(w, "okawa"));
    assert_true(has(w, "watashi"));
    assert_true(has(w, "yoshii"));
    assert_int_equal(pwcheck_words_count(w), 16); /* the twelve, yoshida, yosida, watashi, yoshii */
    pwcheck_words_free(w);
    free(mixed);
    free(euc);
}

static void test_load_limits(void **state)
{
    (void)state;
    /* A full set: what fit is kept, the error says so. */
    pwcheck_words_t *w = pwcheck_words_new(4);
    size_t lines;
    char err[256] = "";
    assert_int_equal(pwnames_load_buffer(w, csv_utf8, sizeof csv_utf8 - 1, &lines, err, sizeof err),
                     MM_ELIMIT);
    assert_int_equal(pwcheck_words_count(w), 4);
    assert_non_null(strstr(err, "names"));
    pwcheck_words_free(w);

    /* Empty and hostile buffers: nothing, no error. */
    w = pwcheck_words_new(0);
    load_buf(w, "", 0, 0);
    load_buf(w, "\n\n,,,,,,,,,,,,,\n", 16, 0);
    static const char nul[] = "ab\0cd,\0,\0\n";
    load_buf(w, nul, sizeof nul - 1, 0);
    assert_int_equal(pwcheck_words_count(w), 0);
    pwcheck_words_free(w);

    /* Files: a missing one is an error naming it. */
    w = pwcheck_words_new(0);
    assert_int_equal(pwnames_load(w, "/nonexistent/names.csv", 1 << 20, &lines, err, sizeof err),
                     MM_EIO);
    assert_non_null(strstr(err, "/nonexistent/names.csv"));
    char path[64];
    snprintf(path, sizeof path, "/tmp/mm-test-names-%d.csv", (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fwrite(csv_utf8, 1, sizeof csv_utf8 - 1, fp);
    fclose(fp);
    assert_int_equal(pwnames_load(w, path, 1 << 20, &lines, err, sizeof err), 0);
    assert_int_equal(lines, 6);
    assert_true(has(w, "homma"));
    /* A file larger than allowed is refused. */
    pwcheck_words_t *w2 = pwcheck_words_new(0);
    assert_int_equal(pwnames_load(w2, path, 100, &lines, err, sizeof err), MM_EIO);
    assert_int_equal(pwcheck_words_count(w2), 0);
    pwcheck_words_free(w2);
    unlink(path);
    pwcheck_words_free(w);
}

#define IPADIC_NAMES "/usr/share/mecab/dic/ipadic/Noun.name.csv"

/* The Debian package's dictionary, when it is installed (scripts/install-deps.sh installs it). */
static void test_mecab_ipadic(void **state)
{
    (void)state;
    if (access(IPADIC_NAMES, R_OK) != 0) {
        print_message("SKIP: %s not installed (Debian package mecab-ipadic); the real names "
                      "list is not checked\n",
                      IPADIC_NAMES);
        skip();
    }
    pwcheck_words_t *w = pwcheck_words_new(0);
    size_t lines;
    char err[256] = "";
    int rc = pwnames_load(w, IPADIC_NAMES, 64u << 20, &lines, err, sizeof err);
    if (rc)
        fail_msg("%s", err);
    /* 2007's dictionary: 32,007 family and given names, 28,040 spellings. */
    assert_true(lines > 30000);
    assert_true(pwcheck_words_count(w) > 25000);
    /* The ten most common family names, and given names old and new, as people write them. */
    static const char *const names[] = {
        "sato",   "satou",    "satoh",    "suzuki",    "takahashi", "tanaka", "watanabe", "ito",
        "itoh",   "yamamoto", "nakamura", "kobayashi", "kato",      "katoh",  "hiroshi",  "takeshi",
        "akira",  "kazuko",   "keiko",    "ichiro",    "ichirou",   "shinji", "sinzi",    "junko",
        "jyunko", "yuki",     "sakura",   "yuko",      "yuuko",     "hinata", "haruto",   "sora",
        "ohno",   "oono",     "homma",    "honma",     "hattori",   "ken",    "mai",      "aoi",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(names); i++)
        if (!has(w, names[i]))
            fail_msg("%s missing", names[i]);
    /* Not names: English words and random letters. */
    static const char *const not_names[] = {"password", "dragon",   "monkey",  "qwerty",
                                            "xkcd",     "sunshine", "football"};
    for (size_t i = 0; i < MM_ARRAY_LEN(not_names); i++)
        if (has(w, not_names[i]))
            fail_msg("%s taken as a name", not_names[i]);
    pwcheck_words_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_romaji),
        cmocka_unit_test(test_load_utf8_and_eucjp),
        cmocka_unit_test(test_load_limits),
        cmocka_unit_test(test_mecab_ipadic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
