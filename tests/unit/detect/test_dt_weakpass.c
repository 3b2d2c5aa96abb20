/*
 * Weak passwords (src/detect/pwcheck.c, src/detect/dt_weakpass.c): every IPA rule on a table
 * of passwords (each rule at its edge, decoration, substitutions, hostile bytes), word-set
 * loading limits, and the detector through the detector host: successful and undecided
 * logins alert, failures and anonymous FTP do not, one alert per (server, service, user)
 * then updates no more often than the update interval, ignore-rules, a missing word list,
 * memcap evictions counted, and no password byte in any alert.
 */
#include "detect/dtr_int.h"
#include "detect/pwcheck.h"
#include "detect/pwnames.h"
#include "detect/rule.h"
#include "testlib/tcheck.h"

#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dt_collect.h"

extern const struct dtr_ops dt_weakpass_ops;

#define S_NS ((uint64_t)1000000000)
#define MIN_NS ((uint64_t)60 * S_NS)

/* A small word list, so the results do not depend on the system's dictionary. */
static const char *const test_words[] = {"password", "dragon",   "summer",  "apple", "sunshine",
                                         "monkey",   "princess", "trouble", "Mary",  "it's"};

static char dict_path[256];

static void write_dict(void)
{
    snprintf(dict_path, sizeof dict_path, "/tmp/mm-test-dict-%d.txt", (int)getpid());
    FILE *fp = fopen(dict_path, "w");
    assert_non_null(fp);
    fprintf(fp, "# test words\n\n");
    for (size_t i = 0; i < MM_ARRAY_LEN(test_words); i++)
        fprintf(fp, "%s\r\n", test_words[i]);
    fprintf(fp, "  ab  \n"); /* shorter than 4 letters: not kept */
    fclose(fp);
}

/* A small names list in mecab-ipadic's CSV form (and one plain line), for the same reason. */
static const char test_names_csv[] =
    "田中,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,田中,タナカ,タナカ\n"
    "山田,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,山田,ヤマダ,ヤマダ\n"
    "佐藤,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,佐藤,サトウ,サトー\n"
    "本間,1290,1290,7000,名詞,固有名詞,人名,姓,*,*,本間,ホンマ,ホンマ\n"
    "太郎,1291,1291,8000,名詞,固有名詞,人名,名,*,*,太郎,タロウ,タロー\n"
    "浩,1291,1291,8000,名詞,固有名詞,人名,名,*,*,浩,ヒロシ,ヒロシ\n"
    "さくら,1291,1291,8000,名詞,固有名詞,人名,名,*,*,さくら,サクラ,サクラ\n"
    "新治,1291,1291,8000,名詞,固有名詞,人名,名,*,*,新治,シンジ,シンジ\n"
    "純子,1291,1291,8000,名詞,固有名詞,人名,名,*,*,純子,ジュンコ,ジュンコ\n"
    "健,1291,1291,8000,名詞,固有名詞,人名,名,*,*,健,ケン,ケン\n"
    "kimura\n";

static char names_path[256];

static void write_names(void)
{
    snprintf(names_path, sizeof names_path, "/tmp/mm-test-names-%d.csv", (int)getpid());
    FILE *fp = fopen(names_path, "w");
    assert_non_null(fp);
    fputs(test_names_csv, fp);
    fclose(fp);
}

static pwcheck_words_t *load_names(void)
{
    pwcheck_words_t *w = pwcheck_words_new(0);
    size_t lines;
    char err[256] = "";
    if (pwnames_load_buffer(w, test_names_csv, sizeof test_names_csv - 1, &lines, err, sizeof err))
        fail_msg("names: %s", err);
    assert_int_equal(lines, 11);
    return w;
}

#define B(r) PWCHECK_BIT(PWCHECK_##r)

struct pw_row {
    const char *name;
    const char *user;
    const char *pw;
    uint32_t want;
};

static const struct pw_row pw_rows[] = {
    /* The demo's weak ones. */
    {"demo tanaka", "tanaka", "tanaka123", B(CONTAINS_USER) | B(FEW_CLASSES) | B(NAME)},
    {"demo suzuki", "suzuki", "password", B(FEW_CLASSES) | B(DICTIONARY_WORD) | B(COMMON_PASSWORD)},
    {"demo admin", "admin", "sakura2024", B(FEW_CLASSES) | B(DATE) | B(NAME)},
    {"strong", "sato", "kL9#mQ2$vX7&", 0},
    {"strong 2", "ito", "Rf8%tY3!wZ6q", 0},
    /* contains_user */
    {"user equal", "Yamada", "yamada", B(CONTAINS_USER) | B(SHORT) | B(FEW_CLASSES) | B(NAME)},
    {"user inside, case", "tanaka", "X9#TANAKA!q", B(CONTAINS_USER)},
    {"user reversed", "tanaka", "Akanat#99x", B(CONTAINS_USER)},
    {"email local part", "sato@sakura-trading.example", "Sato!2x9Qw", B(CONTAINS_USER)},
    {"domain backslash", "CORP\\yamada", "yamada#X1z", B(CONTAINS_USER)},
    {"password inside user", "administrator", "nistrat",
     B(CONTAINS_USER) | B(SHORT) | B(FEW_CLASSES)},
    {"two-letter user ignored", "ab", "ab#X7yk2Qz", 0},
    {"empty user", "", "kL9#mQ2$vX7&", 0},
    /* short: the edge */
    {"7 bytes short", "u1", "aB3$xY7", B(SHORT)},
    {"8 bytes not short", "u1", "aB3$xY7q", 0},
    {"empty", "u1", "", B(SHORT) | B(FEW_CLASSES)},
    /* few_classes: the edge */
    {"2 classes", "u1", "kqxmwzrQ", B(FEW_CLASSES)},
    {"3 classes", "u1", "kqxmwzr7Q", 0},
    {"2 classes long", "u1", "kqxmwzrvbn79", B(FEW_CLASSES)},
    {"non-ASCII counts as symbol", "u1", "kq\xe3\x81\x82xmwZr", 0},
    /* date */
    {"YYYYMMDD", "u1", "Xy$19900115", B(DATE)},
    {"DDMMYYYY", "u1", "Xy$15011990", B(DATE)},
    {"YYMMDD", "u1", "Xy$q900115", B(DATE)},
    {"MMDD", "u1", "Ab#0423zzk", B(DATE)},
    {"not a date 4 digits", "u1", "Ab#7345zzk", 0},
    {"year", "u1", "Kq#zzz1987", B(DATE)},
    {"year 2099 edge", "u1", "Kq#zzz2099", B(DATE)},
    {"not a year 2100, not MMDD", "u1", "Kq#zzz2198", 0},
    {"separated Y-M-D", "u1", "Ab#1990-01-15", B(DATE)},
    {"separated D/M/Y", "u1", "Kq#15/01/1990z", B(DATE)},
    {"separated M.D", "u1", "Kq#x04.23zq", B(DATE)},
    {"invalid separated", "u1", "Kq#x13/13/13", 0},
    {"long digit run is not a date", "u1", "Kq#x83920571648", 0},
    /* sequence */
    {"abcd", "u1", "Xy#abcdQ9", B(SEQUENCE)},
    {"abc only", "u1", "Xy#abcQ9z", 0},
    {"qwer", "u1", "Zz9!qwerTk", B(SEQUENCE)},
    {"descending digits", "u1", "Zz9!4321kq", B(SEQUENCE)},
    {"7890 on the number row", "u1", "Zz!7890kqm", B(SEQUENCE)},
    {"zyxw backwards", "u1", "K9!zyxwqmp", B(SEQUENCE)},
    {"1qaz column", "u1", "K9!m1qazpq", B(SEQUENCE)},
    {"shifted digits", "u1", "Kq9z!@#$", B(SEQUENCE)},
    /* repeat */
    {"aaaa", "u1", "Zz9!aaaaq", B(REPEAT)},
    {"aaa only", "u1", "Zz9!aaaqk", 0},
    {"unit repeated", "u1", "Ab1!Ab1!", B(REPEAT)},
    {"case-insensitive run", "u1", "Zz9!aAaAq", B(REPEAT)},
    /* dictionary_word */
    {"word with decoration", "u1", "Dragon!!", B(DICTIONARY_WORD)},
    {"leet", "u1", "Tr0ub1e!", B(DICTIONARY_WORD)},
    {"leet with 1 as l", "u1", "Tr0ub1e?", B(DICTIONARY_WORD)},
    {"leading digits", "u1", "99Sunshine", B(DICTIONARY_WORD)},
    {"decoration too long", "u1", "Dragon!#%&*+=", 0},
    {"two words", "u1", "AppleDragon7!", 0},
    {"proper noun folded", "u1", "Mary#1907", B(DATE) | B(DICTIONARY_WORD)},
    {"apostrophe word not kept", "u1", "It's$7Xq", 0},
    /* common_password */
    {"common folded", "u1", "Qwerty123", B(SEQUENCE) | B(COMMON_PASSWORD)},
    {"common leet", "u1", "P@ssw0rd", B(DICTIONARY_WORD) | B(COMMON_PASSWORD)},
    /* name: one, or two joined, decorated and substituted like a word */
    {"name and a year", "u1", "Hiroshi1985!", B(DATE) | B(NAME)},
    {"family and given joined", "u1", "YamadaTaro7#", B(NAME)},
    {"given, dot, family", "u1", "taro.yamada#9", B(NAME)},
    {"long o as oh", "u1", "Satoh!2024", B(DATE) | B(NAME)},
    {"long o dropped", "u1", "Sato*8531x", 0}, /* letters at both ends: no decoration */
    {"long o dropped, decorated", "u1", "Sato*8531", B(NAME)},
    {"substitutions", "u1", "Hir0shi#88", B(NAME)},
    {"substitutions only between letters", "u1", "Yamadatar0", 0}, /* not yamada + taro */
    {"Kunrei", "u1", "Sinzi#4821", B(NAME)},
    {"n as m", "u1", "Homma*5931", B(NAME)},
    {"jy as typed", "u1", "jyunko-7302", B(NAME)},
    {"three letters", "u1", "Ken%5831", B(NAME)},
    {"plain line of the list", "u1", "Kimura#5831", B(NAME)},
    {"name inside letters", "u1", "Xtanakaq#77", 0},
    {"name and a word", "u1", "TanakaDragon#5", 0},
    {"separator with a short side", "u1", "ta.yamada#93", 0},
    {"two separators", "u1", "taro.yamada.taro#9", 0},
    /* hostile bytes */
    {"NUL and 0xff", "u\0x", "\xff\x00kq#Zr9m", 0},
};

/* The common list is read from the source tree's data/, as shipped. */
static pwcheck_words_t *load_common(void)
{
    pwcheck_words_t *w = pwcheck_words_new(0);
    assert_non_null(w);
    char err[256] = "";
    int rc = pwcheck_words_load(w, MM_SOURCE_DIR "/data/common-passwords.txt", 1, false, 0, err,
                                sizeof err);
    if (rc)
        fail_msg("common list: %s", err);
    assert_true(pwcheck_words_count(w) >= 1000);
    return w;
}

static void test_pwcheck_rules(void **state)
{
    (void)state;
    write_dict();
    pwcheck_words_t *dict = pwcheck_words_new(0);
    char err[256] = "";
    assert_int_equal(pwcheck_words_load(dict, dict_path, 4, true, 0, err, sizeof err), 0);
    assert_int_equal(pwcheck_words_count(dict), 9); /* "it's" is not letters only */
    pwcheck_words_t *common = load_common();
    pwcheck_words_t *names = load_names();
    struct pwcheck_config cfg;
    pwcheck_config_defaults(&cfg);
    for (size_t i = 0; i < MM_ARRAY_LEN(pw_rows); i++) {
        const struct pw_row *r = &pw_rows[i];
        /* The hostile row holds NULs: its lengths are given by hand. */
        bool hostile = !strcmp(r->name, "NUL and 0xff");
        size_t ulen = hostile ? 3 : strlen(r->user);
        size_t plen = hostile ? 9 : strlen(r->pw);
        /* An exact-size heap copy, so ASan sees any read past the end. */
        uint8_t *pw = malloc(plen ? plen : 1);
        uint8_t *user = malloc(ulen ? ulen : 1);
        memcpy(pw, r->pw, plen);
        memcpy(user, r->user, ulen);
        const struct pwcheck_lists lists = {dict, common, names};
        uint32_t got = pwcheck(&cfg, &lists, user, ulen, pw, plen);
        if (got != r->want) {
            char gs[256] = "", ws[256] = "";
            for (unsigned k = 0; k < PWCHECK_N_RULES; k++) {
                if (got & PWCHECK_BIT(k))
                    snprintf(gs + strlen(gs), sizeof gs - strlen(gs), "%s ", pwcheck_rule_name(k));
                if (r->want & PWCHECK_BIT(k))
                    snprintf(ws + strlen(ws), sizeof ws - strlen(ws), "%s ", pwcheck_rule_name(k));
            }
            tc_failf(r->name, __FILE__, __LINE__, "got [%s] want [%s]", gs, ws);
        }
        free(pw);
        free(user);
    }
    /* Without lists the list rules never fire. */
    TC_EQ("no lists", pwcheck(&cfg, NULL, (const uint8_t *)"x", 1, (const uint8_t *)"password", 8),
          B(FEW_CLASSES));
    /* Settings move the edges. */
    struct pwcheck_config c2 = cfg;
    c2.min_length = 12;
    c2.min_classes = 4;
    c2.min_run = 3;
    TC_EQ("stricter", pwcheck(&c2, NULL, NULL, 0, (const uint8_t *)"kqxmwzr7Q", 9),
          B(SHORT) | B(FEW_CLASSES));
    TC_EQ("run of 3", pwcheck(&c2, NULL, NULL, 0, (const uint8_t *)"Xy#abcQ9zkmP", 12),
          B(SEQUENCE));
    /* A long password: bounded work, no list lookups. */
    uint8_t *longpw = malloc(5000);
    for (size_t i = 0; i < 5000; i++)
        longpw[i] = (uint8_t)("kQ9#mZ2$vX7&pL"[i % 14]);
    const struct pwcheck_lists both = {dict, common, names};
    TC_EQ("5000 bytes", pwcheck(&cfg, &both, (const uint8_t *)"u1", 2, longpw, 5000),
          0u); /* only the first 256 bytes are examined: 256 is no multiple of 14 */
    free(longpw);
    /* Without the names list, the name rule never fires. */
    const struct pwcheck_lists no_names = {dict, common, NULL};
    TC_EQ("no names list", pwcheck(&cfg, &no_names, NULL, 0, (const uint8_t *)"Hiroshi#5831", 12),
          0u);
    pwcheck_words_free(dict);
    pwcheck_words_free(common);
    pwcheck_words_free(names);
    unlink(dict_path);
    tc_done();
}

static void test_pwcheck_rule_names(void **state)
{
    (void)state;
    unsigned r;
    for (unsigned i = 0; i < PWCHECK_N_RULES; i++) {
        const char *n = pwcheck_rule_name(i);
        assert_non_null(n);
        assert_true(pwcheck_rule_find(n, strlen(n), &r));
        assert_int_equal(r, i);
    }
    assert_null(pwcheck_rule_name(PWCHECK_N_RULES));
    assert_false(pwcheck_rule_find("shor", 4, &r));
}

static void test_pwcheck_words_limits(void **state)
{
    (void)state;
    pwcheck_words_t *w = pwcheck_words_new(3);
    assert_int_equal(pwcheck_words_add(w, "alpha", 5), 0);
    assert_int_equal(pwcheck_words_add(w, "ALPHA", 5), 0); /* duplicate, folded */
    assert_int_equal(pwcheck_words_add(w, "beta", 4), 0);
    assert_int_equal(pwcheck_words_add(w, "gamma", 5), 0);
    assert_int_equal(pwcheck_words_add(w, "delta", 5), MM_ELIMIT);
    assert_int_equal(pwcheck_words_count(w), 3);
    assert_true(pwcheck_words_has(w, (const uint8_t *)"Gamma", 5));
    assert_false(pwcheck_words_has(w, (const uint8_t *)"gamm", 4));
    pwcheck_words_free(w);

    /* Growth past the first table, and a file larger than allowed. */
    char path[256];
    snprintf(path, sizeof path, "/tmp/mm-test-words-%d.txt", (int)getpid());
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 5000; i++)
        fprintf(fp, "w%05dx\n", i);
    /* One line far longer than the read buffer: skipped whole. */
    for (int i = 0; i < 2000; i++)
        fputc('z', fp);
    fputc('\n', fp);
    fprintf(fp, "lastword\n");
    fclose(fp);
    char err[256] = "";
    w = pwcheck_words_new(0);
    assert_int_equal(pwcheck_words_load(w, path, 1, false, 0, err, sizeof err), 0);
    assert_int_equal(pwcheck_words_count(w), 5001);
    assert_true(pwcheck_words_has(w, (const uint8_t *)"W04999X", 7));
    assert_true(pwcheck_words_has(w, (const uint8_t *)"lastword", 8));
    assert_false(pwcheck_words_has(w, (const uint8_t *)"zzzz", 4));
    pwcheck_words_free(w);
    w = pwcheck_words_new(0);
    assert_int_equal(pwcheck_words_load(w, path, 1, false, 1000, err, sizeof err), MM_ELIMIT);
    assert_true(pwcheck_words_count(w) > 0 && pwcheck_words_count(w) < 200);
    pwcheck_words_free(w);
    w = pwcheck_words_new(0);
    assert_int_equal(pwcheck_words_load(w, "/nonexistent/words", 1, false, 0, err, sizeof err),
                     MM_EIO);
    assert_non_null(strstr(err, "/nonexistent/words"));
    pwcheck_words_free(w);
    unlink(path);
}

/* --- the detector ---------------------------------------------------------------------- */

static dtr_host_t *new_host(struct collect *c, const struct dtr_setting *set, size_t n_set,
                            char *err, size_t errlen)
{
    /* Referenced here so that the linker takes the detector out of the library. */
    assert_string_equal(dt_weakpass_ops.name, "weakpass");
    /* The test's names list unless the test names one: results must not depend on whether
     * mecab-ipadic is installed. */
    static struct dtr_setting all[16];
    assert_true(n_set < MM_ARRAY_LEN(all));
    bool names_given = false;
    for (size_t i = 0; i < n_set; i++) {
        all[i] = set[i];
        names_given |= !strcmp(set[i].param, "names");
    }
    size_t n_all = n_set;
    if (!names_given) {
        write_names();
        all[n_all++] = (struct dtr_setting){"weakpass", "names", names_path, 0};
    }
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    cfg.data_dir = MM_SOURCE_DIR "/data";
    cfg.settings = all;
    cfg.n_settings = n_all;
    memset(c, 0, sizeof *c);
    return dtr_new(&cfg, NULL, on_alert, c, err, errlen);
}

static void mk_flow(struct flow *f, uint32_t client, uint32_t server, uint16_t sport,
                    uint16_t dport)
{
    memset(f, 0, sizeof *f);
    struct mm_addr a = tc_addr4(client), b = tc_addr4(server);
    memcpy(f->key.a, a.b, 16);
    memcpy(f->key.b, b.b, 16);
    f->key.port_a = sport;
    f->key.port_b = dport;
    f->key.proto = 6;
    f->key.ip_ver = 4;
    f->client_is_a = true;
    f->pkts[0] = f->pkts[1] = 5;
}

static void login(dtr_host_t *h, const struct flow *f, enum app_proto proto, const char *user,
                  const char *pw, enum app_login_outcome out, uint64_t ts)
{
    struct app_login l = {
        .proto = proto,
        .mechanism = "USER/PASS",
        .user = (const uint8_t *)user,
        .user_len = strlen(user),
        .outcome = out,
        .ts_ns = ts,
    };
    /* An exact-size heap copy, wiped afterwards as the parsers do. */
    size_t n = strlen(pw);
    uint8_t *p = malloc(n ? n : 1);
    memcpy(p, pw, n);
    dtr_password(h, f, &l, p, n);
    memset(p, 0, n);
    free(p);
}

#define IP4(a, b, c, d)                                                                            \
    ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static void test_weakpass_demo_like(void **state)
{
    (void)state;
    struct collect c;
    char err[512];
    dtr_host_t *h = new_host(&c, NULL, 0, err, sizeof err);
    if (!h)
        fail_msg("%s", err);
    struct flow f;
    mk_flow(&f, IP4(192, 168, 10, 24), IP4(192, 168, 10, 25), 50000, 110);
    /* tanaka polls every 30 minutes: one alert, then an update per poll (>= 10 min apart). */
    for (int i = 0; i < 4; i++)
        login(h, &f, APP_PROTO_POP3, "tanaka", "tanaka123", APP_LOGIN_SUCCESS,
              (uint64_t)(1000 + i * 1800) * S_NS);
    assert_int_equal(c.n, 4);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.a[i].sid, 7001);
        assert_int_equal(c.a[i].update, i > 0);
        assert_true(tc_addr_eq(&c.a[i].src, &(struct mm_addr){.b = {192, 168, 10, 24}}));
        assert_true(tc_addr_eq(&c.a[i].dst, &(struct mm_addr){.b = {192, 168, 10, 25}}));
        assert_int_equal(c.a[i].sport, 50000);
        assert_int_equal(c.a[i].dport, 110);
        /* Never the password, nor its length. */
        assert_null(strstr(c.a[i].json, "tanaka123"));
        assert_null(strstr(c.a[i].json, "length"));
        assert_non_null(strstr(c.a[i].json, "\"username\":\"tanaka\""));
        assert_non_null(
            strstr(c.a[i].json, "\"rules\":[\"contains_user\",\"few_classes\",\"name\"]"));
        assert_non_null(strstr(c.a[i].json, "\"protocol\":\"pop3\""));
        assert_non_null(strstr(c.a[i].json, "\"server\":\"192.168.10.25\""));
        assert_non_null(strstr(c.a[i].json, "\"client\":\"192.168.10.24\""));
    }
    assert_non_null(strstr(c.a[3].json, "\"logins\":4"));
    assert_non_null(strstr(c.a[0].json, "\"logins\":1"));

    /* A second account on the same server: its own alert. */
    struct flow g;
    mk_flow(&g, IP4(192, 168, 10, 22), IP4(192, 168, 10, 25), 50001, 143);
    login(h, &g, APP_PROTO_IMAP, "suzuki", "password", APP_LOGIN_SUCCESS, 1000 * S_NS);
    assert_int_equal(c.n, 5);
    assert_false(c.a[4].update);
    assert_non_null(strstr(c.a[4].json, "\"few_classes\""));
    assert_non_null(strstr(c.a[4].json, "\"common_password\""));
    assert_null(strstr(c.a[4].json, "\"password\""));

    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(h, st, DTR_MAX_DETECTORS);
    bool seen = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(st[i].name, "weakpass"))
            continue;
        seen = true;
        assert_int_equal(st[i].alerts, 2);
        assert_int_equal(st[i].updates, 3);
        assert_int_equal(st[i].entries, 2);
        assert_int_equal(st[i].evicted, 0);
    }
    assert_true(seen);
    dtr_free(h);
}

static void test_weakpass_outcomes(void **state)
{
    (void)state;
    struct collect c;
    char err[512];
    dtr_host_t *h = new_host(&c, NULL, 0, err, sizeof err);
    assert_non_null(h);
    struct flow f;
    mk_flow(&f, IP4(203, 0, 113, 51), IP4(192, 168, 10, 25), 40000, 110);
    /* Failed guesses are brute force (T5): never a weak-password alert. */
    for (int i = 0; i < 5; i++)
        login(h, &f, APP_PROTO_POP3, "admin", "123456", APP_LOGIN_FAILURE, (uint64_t)i * S_NS);
    assert_int_equal(c.n, 0);
    /* The guess that succeeds is. */
    login(h, &f, APP_PROTO_POP3, "admin", "sakura2024", APP_LOGIN_SUCCESS, 10 * S_NS);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.a[0].json, "\"rules\":[\"few_classes\",\"date\",\"name\"]"));
    assert_non_null(strstr(c.a[0].json, "\"client_internal\":false"));
    assert_null(strstr(c.a[0].json, "sakura2024"));
    /* Outcome unknown (no answer seen) counts. */
    struct flow g;
    mk_flow(&g, IP4(192, 168, 10, 30), IP4(198, 51, 100, 20), 40001, 80);
    login(h, &g, APP_PROTO_HTTP, "web", "qwerty", APP_LOGIN_UNKNOWN, 20 * S_NS);
    assert_int_equal(c.n, 2);
    assert_non_null(strstr(c.a[1].json, "\"outcome\":\"unknown\""));
    /* Anonymous FTP is exempt, whatever it sends as a password; other FTP users are not. */
    struct flow ftp;
    mk_flow(&ftp, IP4(192, 168, 10, 30), IP4(198, 51, 100, 21), 40002, 21);
    login(h, &ftp, APP_PROTO_FTP, "anonymous", "guest", APP_LOGIN_SUCCESS, 30 * S_NS);
    login(h, &ftp, APP_PROTO_FTP, "FTP", "x", APP_LOGIN_SUCCESS, 31 * S_NS);
    assert_int_equal(c.n, 2);
    login(h, &ftp, APP_PROTO_FTP, "anonymous1", "guest", APP_LOGIN_SUCCESS, 32 * S_NS);
    assert_int_equal(c.n, 3);
    /* A strong password: nothing. */
    login(h, &f, APP_PROTO_POP3, "sato", "kL9#mQ2$vX7&", APP_LOGIN_SUCCESS, 40 * S_NS);
    assert_int_equal(c.n, 3);
    dtr_free(h);
}

static void test_weakpass_update_interval(void **state)
{
    (void)state;
    struct collect c;
    char err[512];
    dtr_host_t *h = new_host(&c, NULL, 0, err, sizeof err);
    assert_non_null(h);
    struct flow f;
    mk_flow(&f, IP4(192, 168, 10, 24), IP4(192, 168, 10, 25), 50000, 110);
    /* Logins every minute: first alert, then one update per 10 minutes (the default). */
    for (int i = 0; i <= 25; i++)
        login(h, &f, APP_PROTO_POP3, "tanaka", "tanaka123", APP_LOGIN_SUCCESS,
              (uint64_t)i * MIN_NS);
    assert_int_equal(c.n, 3); /* at 0, 10 and 20 minutes */
    assert_false(c.a[0].update);
    assert_true(c.a[1].update && c.a[2].update);
    assert_non_null(strstr(c.a[1].json, "\"logins\":11"));
    assert_non_null(strstr(c.a[2].json, "\"logins\":21"));
    /* Another service on the same server is another account. */
    struct flow g;
    mk_flow(&g, IP4(192, 168, 10, 24), IP4(192, 168, 10, 25), 50002, 143);
    login(h, &g, APP_PROTO_IMAP, "tanaka", "tanaka123", APP_LOGIN_SUCCESS, 26 * MIN_NS);
    assert_int_equal(c.n, 4);
    assert_false(c.a[3].update);
    dtr_free(h);
}

static void test_weakpass_settings(void **state)
{
    (void)state;
    struct collect c;
    char err[512] = "";
    /* Rules can be left out of the reports. */
    const struct dtr_setting ign[] = {
        {"weakpass", "ignore-rules", "few_classes, contains_user,name", 0},
    };
    dtr_host_t *h = new_host(&c, ign, 1, err, sizeof err);
    if (!h)
        fail_msg("%s", err);
    struct flow f;
    mk_flow(&f, IP4(192, 168, 10, 24), IP4(192, 168, 10, 25), 50000, 110);
    login(h, &f, APP_PROTO_POP3, "tanaka", "tanaka123", APP_LOGIN_SUCCESS, S_NS);
    assert_int_equal(c.n, 0);
    login(h, &f, APP_PROTO_POP3, "suzuki", "password", APP_LOGIN_SUCCESS, S_NS);
    assert_int_equal(c.n, 1);
    assert_null(strstr(c.a[0].json, "few_classes"));
    dtr_free(h);

    /* A rule name that does not exist is an error naming the setting. */
    const struct dtr_setting bad[] = {{"weakpass", "ignore-rules", "short,nonsense", 7}};
    h = new_host(&c, bad, 1, err, sizeof err);
    assert_null(h);
    assert_non_null(strstr(err, "nonsense"));
    assert_non_null(strstr(err, "ignore-rules"));

    /* No word list: the dictionary rule is off, the rest works (a warning is logged). */
    const struct dtr_setting nodict[] = {
        {"weakpass", "dictionary", "/nonexistent/words", 0},
        {"weakpass", "min-length", "12", 0},
    };
    h = new_host(&c, nodict, 2, err, sizeof err);
    if (!h)
        fail_msg("%s", err);
    login(h, &f, APP_PROTO_POP3, "u1", "Dragon!!", APP_LOGIN_SUCCESS, S_NS);
    assert_int_equal(c.n, 1); /* short now (12), but not dictionary_word */
    assert_non_null(strstr(c.a[0].json, "\"rules\":[\"short\"]"));
    dtr_free(h);

    /* A dictionary given: Dragon!! breaks dictionary_word. */
    write_dict();
    const struct dtr_setting withdict[] = {{"weakpass", "dictionary", dict_path, 0}};
    h = new_host(&c, withdict, 1, err, sizeof err);
    assert_non_null(h);
    login(h, &f, APP_PROTO_POP3, "u1", "Dragon!!", APP_LOGIN_SUCCESS, S_NS);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.a[0].json, "\"rules\":[\"dictionary_word\"]"));
    dtr_free(h);
    unlink(dict_path);

    /* Out-of-range values are refused. */
    const struct dtr_setting range[] = {{"weakpass", "min-classes", "5", 3}};
    h = new_host(&c, range, 1, err, sizeof err);
    assert_null(h);
    assert_non_null(strstr(err, "min-classes"));
}

/* The name rule through the detector: the list as configured, off when empty or missing or
 * ignored, and the Debian package's list when it is installed. */
static void test_weakpass_names(void **state)
{
    (void)state;
    struct collect c;
    char err[512] = "";
    struct flow f;
    mk_flow(&f, IP4(192, 168, 10, 24), IP4(192, 168, 10, 25), 50000, 110);
    dtr_host_t *h = new_host(&c, NULL, 0, err, sizeof err);
    assert_non_null(h);
    login(h, &f, APP_PROTO_POP3, "u1", "Hiroshi#5831", APP_LOGIN_SUCCESS, S_NS);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.a[0].json, "\"rules\":[\"name\"]"));
    assert_null(strstr(c.a[0].json, "Hiroshi"));
    dtr_free(h);

    /* The shipped extra list (data/names-extra.txt) is read besides: himari is there. */
    h = new_host(&c, NULL, 0, err, sizeof err);
    assert_non_null(h);
    login(h, &f, APP_PROTO_POP3, "u2", "Himari#5831", APP_LOGIN_SUCCESS, S_NS);
    assert_int_equal(c.n, 1);
    dtr_free(h);
    static const struct dtr_setting extra_only[] = {{"weakpass", "names", "", 0}};
    h = new_host(&c, extra_only, 1, err, sizeof err);
    assert_non_null(h);
    login(h, &f, APP_PROTO_POP3, "u1", "Hiroshi#5831", APP_LOGIN_SUCCESS, S_NS);
    login(h, &f, APP_PROTO_POP3, "u2", "Himari#5831", APP_LOGIN_SUCCESS, S_NS);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.a[0].json, "\"username\":\"u2\""));
    dtr_free(h);

    /* Off: both lists empty or missing, or the rule ignored. */
    static const struct dtr_setting off[][2] = {
        {{"weakpass", "names", "", 0}, {"weakpass", "names-extra", "", 0}},
        {{"weakpass", "names", "/nonexistent/names.csv", 0},
         {"weakpass", "names-extra", "/nonexistent/extra.txt", 0}},
        {{"weakpass", "ignore-rules", "name", 0}, {"weakpass", "min-run", "4", 0}},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(off); i++) {
        h = new_host(&c, off[i], 2, err, sizeof err);
        assert_non_null(h);
        login(h, &f, APP_PROTO_POP3, "u1", "Hiroshi#5831", APP_LOGIN_SUCCESS, S_NS);
        login(h, &f, APP_PROTO_POP3, "u2", "Himari#5831", APP_LOGIN_SUCCESS, S_NS);
        assert_int_equal(c.n, 0);
        dtr_free(h);
    }

    static const char ipadic[] = "/usr/share/mecab/dic/ipadic/Noun.name.csv";
    if (access(ipadic, R_OK) != 0) {
        print_message("SKIP (part): %s not installed (Debian package mecab-ipadic)\n", ipadic);
        return;
    }
    const struct dtr_setting real[] = {{"weakpass", "names", ipadic, 0}};
    h = new_host(&c, real, 1, err, sizeof err);
    assert_non_null(h);
    login(h, &f, APP_PROTO_POP3, "u2", "Takahashi#5831", APP_LOGIN_SUCCESS, S_NS);
    login(h, &f, APP_PROTO_POP3, "u3", "SuzukiIchiro!7", APP_LOGIN_SUCCESS, S_NS);
    login(h, &f, APP_PROTO_POP3, "u4", "Qxvbtr#5831z", APP_LOGIN_SUCCESS, S_NS);
    assert_int_equal(c.n, 2);
    assert_non_null(strstr(c.a[0].json, "\"rules\":[\"name\"]"));
    assert_non_null(strstr(c.a[1].json, "\"rules\":[\"name\"]"));
    dtr_free(h);
}

static void test_weakpass_memcap(void **state)
{
    (void)state;
    struct collect c;
    char err[512];
    const struct dtr_setting small[] = {{"weakpass", "memcap", "65536", 0}};
    dtr_host_t *h = new_host(&c, small, 1, err, sizeof err);
    assert_non_null(h);
    struct flow f;
    mk_flow(&f, IP4(192, 168, 10, 24), IP4(192, 168, 10, 25), 50000, 110);
    /* Many accounts with weak passwords: the table keeps what fits and counts the rest. */
    char user[32];
    size_t alerts = 0;
    for (int i = 0; i < 2000; i++) {
        snprintf(user, sizeof user, "user%04d", i);
        size_t before = c.n;
        login(h, &f, APP_PROTO_POP3, user, "123456", APP_LOGIN_SUCCESS, (uint64_t)i * S_NS);
        alerts += c.n - before;
        c.n = 0; /* the collector only holds 64 */
    }
    assert_int_equal(alerts, 2000);
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t n = dtr_get_stats(h, st, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(st[i].name, "weakpass"))
            continue;
        assert_true(st[i].entries > 10 && st[i].entries < 2000);
        assert_int_equal(st[i].evicted, 2000 - st[i].entries);
        assert_true(st[i].memuse <= st[i].memcap);
        assert_int_equal(st[i].memcap, 65536);
    }
    dtr_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pwcheck_rules),
        cmocka_unit_test(test_pwcheck_rule_names),
        cmocka_unit_test(test_pwcheck_words_limits),
        cmocka_unit_test(test_weakpass_demo_like),
        cmocka_unit_test(test_weakpass_outcomes),
        cmocka_unit_test(test_weakpass_update_interval),
        cmocka_unit_test(test_weakpass_settings),
        cmocka_unit_test(test_weakpass_names),
        cmocka_unit_test(test_weakpass_memcap),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (names_path[0])
        unlink(names_path);
    return rc;
}
