/*
 * Archive passwords in a message's text (src/detect/archive_pw.c): the phrasings malspam and
 * business mail use, in English, Japanese (UTF-8, Shift_JIS, EUC-JP, ISO-2022-JP) and other
 * languages; HTML; what is not a password (other words, sentences, long words); the
 * candidate bound, repeats, and linear time on hostile text. Texts run from exact-size heap
 * copies, so ASan sees a one-byte over-read.
 */
#include "detect/archive_pw.h"
#include "testlib/tcheck.h"

#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The candidates of text (n bytes) joined with '|', into out. */
static size_t find(const char *text, size_t n, char *out, size_t cap)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, text, n);
    struct apw pw[APW_MAX];
    size_t got = apw_find(copy, n, pw, APW_MAX);
    free(copy);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < got; i++) {
        assert_true(pw[i].len >= 1 && pw[i].len <= APW_MAX_LEN);
        int k = snprintf(out + o, cap - o, "%s%.*s", i ? "|" : "", (int)pw[i].len,
                         (const char *)pw[i].s);
        assert_true(k > 0 && (size_t)k < cap - o);
        o += (size_t)k;
    }
    return got;
}

static void test_phrasings(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *want; /* candidates joined with '|'; "" = none */
    } rows[] = {
        /* English malspam and business mail */
        {"Please see the attached invoice.\r\nPassword: 7741\r\n", "7741"},
        {"Archive password: Ab12-xY.\r\n", "Ab12-xY"},
        {"The password is abc123.", "abc123"},
        {"the password for the file is \"kq82\"", "kq82"},
        {"Use this password to open it = pq7", "pq7"},
        {"Password for the archive: zz-top!", "zz-top"},
        {"PASSWORD = s3cr3t", "s3cr3t"},
        {"Password:\r\n  HJW77\r\n", "HJW77"},
        {"password 5521", "5521"},
        {"pw: x9", "x9"},
        {"PW=4451;", "4451"},
        {"The password is letmein", "letmein"},
        {"Password: & x1; y2", "x1"},
        {"pwd: ok1", "ok1"},
        {"Pass: 0000", "0000"},
        {"Passcode: 8812", "8812"},
        {"zip (password: ABCD)", "ABCD"},
        {"Password - '7Q1'", "7Q1"},
        {"**Password**: Q7", "Q7"},
        /* HTML parts */
        {"<p>Password: <b>kk881</b></p>", "kk881"},
        {"<td>Password</td><td>&nbsp;P@ss-99</td>", "P@ss-99"},
        /* Japanese: UTF-8, full-width colon, "wa", brackets */
        {"\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89: 0423\n", "0423"},
        {"\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89\xef\xbc\x9a" "Ab9x", "Ab9x"},
        {"\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89\xef\xbc\x9a" "abcz", "abcz"},
        {"\xe8\xa7\xa3\xe5\x87\x8d\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89"
         "\xe3\x81\xaf\xe3\x80\x8c" "kx72" "\xe3\x80\x8d\xe3\x81\xa7\xe3\x81\x99", "kx72"},
        {"\xef\xbe\x8a\xef\xbe\x9f\xef\xbd\xbd\xef\xbe\x9c\xef\xbd\xb0\xef\xbe\x84\xef\xbe\x9e"
         "\xef\xbc\x9a" "55aa", "55aa"},
        /* Shift_JIS and EUC-JP */
        {"\x83p\x83X\x83\x8f\x81[\x83h\x81\x46" "sj1234\r\n", "sj1234"},
        {"\x83p\x83X\x83\x8f\x81[\x83h\x82\xcd" " sjis9", "sjis9"},
        {"\x83p\x83X\x83\x8f\x81[\x83h\x82\xcd" " sjisz", "sjisz"},
        {"\xa5\xd1\xa5\xb9\xa5\xef\xa1\xbc\xa5\xc9\xa1\xa7" "euc77", "euc77"},
        /* ISO-2022-JP: the keyword and a full-width colon in JIS, the password in ASCII */
        {"\x1b$B%Q%9%o!<%I!'\x1b(B" "jis-42\r\n", "jis-42"},
        {"\x1b$B%Q%9%o!<%I$O\x1b(B 0x7f\x1b$B$G$9\x1b(B", "0x7f"},
        {"\x1b$B%Q%9%o!<%I!'\x1b(B" "abcz", "abcz"},
        {"PW\x1b$B!'\x1b(Bjj", "jj"},
        /* other languages */
        {"Kennwort: Hund7", "Hund7"},
        {"Passwort: Katze8", "Katze8"},
        {"mot de passe : chat9", "chat9"},
        {"contrase\xc3\xb1" "a: perro1", "perro1"},
        {"senha: gato2", "gato2"},
        {"wachtwoord: kat3", "kat3"},
        {"\xd0\x9f\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c: kot4", "kot4"},
        {"\xe5\xaf\x86\xe7\xa0\x81\xef\xbc\x9a" "mao5", "mao5"},
        {"\xeb\xb9\x84\xeb\xb0\x80\xeb\xb2\x88\xed\x98\xb8: goyang6", "goyang6"},
        /* several, in order, without repeats */
        {"Password: one1\nPassword: two2\npassword: one1\n", "one1|two2"},
        /* not passwords */
        {"This archive is password protected.", ""},
        {"Your password expires in 3 days. Reset it here.", ""},
        {"Please pass the file to accounting.", ""},
        {"We bypass: nothing", ""},
        {"Passport: TK1234567", ""},
        {"Passwords: many", ""},
        {"pw 1234", ""},
        {"password", ""},
        {"Password:", ""},
        {"Password:\n\n\nlater", ""},
        {"Password: \xe3\x81\x82\xe3\x81\x84", ""},
        {"", ""},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        char got[512];
        find(rows[i].text, strlen(rows[i].text), got, sizeof got);
        TC_CHECK(rows[i].text, strcmp(got, rows[i].want) == 0);
        if (strcmp(got, rows[i].want) != 0)
            fprintf(stderr, "  want '%s' got '%s'\n", rows[i].want, got);
    }
    tc_done();
}

static void test_bounds(void **state)
{
    (void)state;
    char got[2048];
    /* a word of APW_MAX_LEN bytes is taken, one more is not */
    char text[256];
    memset(text, 0, sizeof text);
    memcpy(text, "Password: ", 10);
    memset(text + 10, 'k', APW_MAX_LEN);
    assert_int_equal(find(text, strlen(text), got, sizeof got), 1);
    assert_int_equal(strlen(got), APW_MAX_LEN);
    text[10 + APW_MAX_LEN] = 'k';
    assert_int_equal(find(text, strlen(text), got, sizeof got), 0);
    /* at most APW_MAX candidates, and max is honoured */
    char many[1024] = "";
    for (int i = 0; i < 12; i++) {
        char line[32];
        snprintf(line, sizeof line, "Password: p%02d\n", i);
        strcat(many, line);
    }
    assert_int_equal(find(many, strlen(many), got, sizeof got), APW_MAX);
    assert_string_equal(got, "p00|p01|p02|p03|p04|p05|p06|p07");
    struct apw pw[APW_MAX];
    assert_int_equal(apw_find((const uint8_t *)many, strlen(many), pw, 3), 3);
    assert_int_equal(apw_find(NULL, 10, pw, 3), 0);
    /* every prefix of a text: no read past its end, the full password only at the end */
    static const char full[] = "\x1b$B%Q%9%o!<%I!'\x1b(B" "jis-42";
    for (size_t n = 0; n < sizeof full - 1; n++) {
        size_t k = find(full, n, got, sizeof got);
        assert_true(k <= 1);
        if (k)
            assert_int_equal(strncmp(got, "jis-42", strlen(got)), 0);
    }
    assert_int_equal(find(full, sizeof full - 1, got, sizeof got), 1);
    assert_string_equal(got, "jis-42");
}

/* Hostile repetitions: 1 MiB of keywords and punctuation each. The walk is linear (a few
 * milliseconds); a quadratic one would take hours and run into the test's timeout. No clock
 * is read here: a slow machine must not fail a test. */
static void test_linear(void **state)
{
    (void)state;
    static const char *const units[] = {"pw=1", "password ", ":", "\x1b$B", "Password: <", "pw"};
    size_t n = 1u << 20;
    char *text = malloc(n);
    assert_non_null(text);
    for (size_t u = 0; u < MM_ARRAY_LEN(units); u++) {
        size_t k = strlen(units[u]);
        for (size_t i = 0; i < n; i++)
            text[i] = units[u][i % k];
        struct apw pw[APW_MAX];
        /* (only where the text ends can a repeated word be short enough to be taken) */
        assert_true(apw_find((const uint8_t *)text, n, pw, APW_MAX) <= APW_MAX);
    }
    /* a long word after a keyword repeated inside it ("pw=1pw=1..." after one keyword) */
    memcpy(text, "Password: ", 10);
    struct apw pw[APW_MAX];
    assert_int_equal(apw_find((const uint8_t *)text, n, pw, APW_MAX), 0); /* too long a word */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phrasings),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
