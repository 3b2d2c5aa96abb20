/*
 * The option-chain matcher (src/detect/match.c).
 *
 * det_match_list on literal buffers: one table row per case, each feature with a row that
 * matches and one that does not (content modifiers and their combinations, backtracking,
 * negation, startswith/endswith, nocase, byte_extract variables, pcre i/s/m/R/negated,
 * every byte_test operator, byte_jump variants, isdataat, bsize), the step budget on a
 * hostile 64 KiB buffer, and pcre match-limit errors. det_match_rule and det_match_apply on
 * hand-built rules: flow keyword, dsize, flags, ICMP fields, TTL/ip_proto/TCP fields,
 * app-layer-protocol, stream_size, flowbits/flowint chains and xbits.
 *
 * Rules are built by hand (no parser): C("pat", "mods") etc. take a space-separated list
 * of modifiers, e.g. "nocase distance=0 within=$1" ($k: byte_extract variable k).
 */
#include "detect/detect_int.h"
#include "testlib/tcheck.h"

#include "app/app.h"
#include "core/mem.h"
#include "core/mm.h"
#include "detect/rule_parse.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* ---------- builders ---------- */

#define SM_END ((enum det_sm_type)99)
#define MAX_ROW_SMS 24

/* Compiled patterns of the running test, freed by free_patterns(). */
static pcre2_code *g_codes[256];
static size_t g_ncodes;

static void free_patterns(void)
{
    for (size_t k = 0; k < g_ncodes; k++)
        pcre2_code_free(g_codes[k]);
    g_ncodes = 0;
}

/* "key" or "key=value" in a space-separated modifier list. */
static bool mod_find(const char *mods, const char *key, const char **val)
{
    size_t kl = strlen(key);
    const char *p = mods;
    while (p && *p) {
        while (*p == ' ')
            p++;
        const char *end = strchr(p, ' ');
        size_t tl = end ? (size_t)(end - p) : strlen(p);
        if (tl >= kl && strncmp(p, key, kl) == 0 && (tl == kl || p[kl] == '=')) {
            *val = tl > kl ? p + kl + 1 : NULL;
            return true;
        }
        p = end;
    }
    return false;
}

static bool mod_flag(const char *mods, const char *key)
{
    const char *v;
    return mod_find(mods, key, &v);
}

static struct det_num numc(int64_t v)
{
    struct det_num n = {.v = v, .var = -1};
    return n;
}

/* key=N (any base strtoll accepts) or key=$k (variable k). */
static bool mod_num(const char *mods, const char *key, struct det_num *out)
{
    const char *v;
    if (!mod_find(mods, key, &v) || !v)
        return false;
    if (*v == '$') {
        out->v = 0;
        out->var = (int8_t)atoi(v + 1);
    } else {
        *out = numc(strtoll(v, NULL, 0));
    }
    return true;
}

static int64_t mod_int(const char *mods, const char *key, int64_t dflt)
{
    struct det_num n;
    return mod_num(mods, key, &n) ? n.v : dflt;
}

static struct det_sm content_bytes(const char *pat, uint32_t len, const char *mods)
{
    struct det_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.type = DET_SM_CONTENT;
    struct det_content *c = &sm.u.content;
    c->pat = (uint8_t *)(uintptr_t)pat;
    c->len = len;
    c->offset = c->depth = c->distance = c->within = numc(0);
    if (mod_flag(mods, "nocase"))
        c->flags |= DET_CT_NOCASE;
    if (mod_flag(mods, "neg"))
        c->flags |= DET_CT_NEGATED;
    if (mod_flag(mods, "startswith"))
        c->flags |= DET_CT_STARTSWITH;
    if (mod_flag(mods, "endswith"))
        c->flags |= DET_CT_ENDSWITH;
    if (mod_num(mods, "offset", &c->offset))
        c->flags |= DET_CT_OFFSET;
    if (mod_num(mods, "depth", &c->depth))
        c->flags |= DET_CT_DEPTH;
    if (mod_num(mods, "distance", &c->distance))
        c->flags |= DET_CT_DISTANCE;
    if (mod_num(mods, "within", &c->within))
        c->flags |= DET_CT_WITHIN;
    return sm;
}

static struct det_sm C(const char *pat, const char *mods) {
    return content_bytes(pat, (uint32_t)strlen(pat), mods);
}

/* pcre: the regex without slashes; modifiers i s m x (compile), R, neg, cap=$k. */
static struct det_sm
P(const char *re, const char *mods) {
    struct det_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.type = DET_SM_PCRE;
    uint32_t opts = 0;
    if (mod_flag(mods, "i"))
        opts |= PCRE2_CASELESS;
    if (mod_flag(mods, "s"))
        opts |= PCRE2_DOTALL;
    if (mod_flag(mods, "m"))
        opts |= PCRE2_MULTILINE;
    if (mod_flag(mods, "x"))
        opts |= PCRE2_EXTENDED;
    int err;
    PCRE2_SIZE eoff;
    pcre2_code *code =
        pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, opts, &err, &eoff, NULL);
    assert_non_null(code);
    assert_true(g_ncodes < MM_ARRAY_LEN(g_codes));
    g_codes[g_ncodes++] = code;
    sm.u.pcre.re = code;
    sm.u.pcre.capture_var = -1;
    if (mod_flag(mods, "R"))
        sm.u.pcre.flags |= DET_PCRE_RELATIVE;
    if (mod_flag(mods, "neg"))
        sm.u.pcre.flags |= DET_PCRE_NEGATED;
    struct det_num cap;
    if (mod_num(mods, "cap", &cap))
        sm.u.pcre.capture_var = cap.var;
    return sm;
}

static uint32_t
byte_flags(const char *mods, uint8_t *base)
{
    uint32_t f = 0;
    if (mod_flag(mods, "relative"))
        f |= DET_BYTE_RELATIVE;
    if (mod_flag(mods, "little"))
        f |= DET_BYTE_LITTLE;
    if (mod_flag(mods, "negate"))
        f |= DET_BYTE_NEGATE;
    if (mod_flag(mods, "align"))
        f |= DET_BYTE_ALIGN;
    if (mod_flag(mods, "from_beginning"))
        f |= DET_BYTE_FROM_BEGINNING;
    if (mod_flag(mods, "from_end"))
        f |= DET_BYTE_FROM_END;
    if (mod_flag(mods, "bitmask"))
        f |= DET_BYTE_BITMASK;
    int64_t b = mod_int(mods, "string", 0);
    if (b) {
        f |= DET_BYTE_STRING;
        *base = (uint8_t)b;
    }
    return f;
}

/* byte_test: nbytes, operator text, value, offset; "value=$k" / "offset=$k" override. */
static struct det_sm BT(uint8_t n, const char *op, int64_t value, int64_t offset,
                        const char *mods) {
    static const struct {
        const char *s;
        enum det_num_op op;
    } ops[] = {{"<", DET_OP_LT}, {">", DET_OP_GT},  {"<=", DET_OP_LE}, {">=", DET_OP_GE},
               {"=", DET_OP_EQ}, {"!=", DET_OP_NE}, {"&", DET_OP_AND}, {"^", DET_OP_OR}};
    struct det_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.type = DET_SM_BYTE_TEST;
    struct det_byte_test *b = &sm.u.byte_test;
    b->nbytes = n;
    b->value = numc(value);
    b->offset = numc(offset);
    (void)mod_num(mods, "value", &b->value);
    (void)mod_num(mods, "offset", &b->offset);
    b->flags = byte_flags(mods, &b->base);
    b->bitmask = (uint64_t)mod_int(mods, "bitmask", 0);
    bool found = false;
    for (size_t k = 0; k < MM_ARRAY_LEN(ops); k++)
        if (strcmp(ops[k].s, op) == 0) {
            b->op = ops[k].op;
            found = true;
        }
    assert_true(found);
    return sm;
}

static struct det_sm
BJ(uint8_t n, int64_t offset, const char *mods) {
    struct det_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.type = DET_SM_BYTE_JUMP;
    struct det_byte_jump *b = &sm.u.byte_jump;
    b->nbytes = n;
    b->offset = numc(offset);
    (void)mod_num(mods, "offset", &b->offset);
    b->flags = byte_flags(mods, &b->base);
    b->multiplier = (int32_t)mod_int(mods, "multiplier", 1);
    b->post_offset = (int32_t)mod_int(mods, "post_offset", 0);
    b->bitmask = (uint64_t)mod_int(mods, "bitmask", 0);
    return sm;
}

static struct det_sm
BX(uint8_t n, int32_t offset, int8_t var, const char *mods) {
    struct det_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.type = DET_SM_BYTE_EXTRACT;
    struct det_byte_extract *b = &sm.u.byte_extract;
    b->nbytes = n;
    b->offset = offset;
    b->var = var;
    b->flags = byte_flags(mods, &b->base);
    b->multiplier = (int32_t)mod_int(mods, "multiplier", 1);
    b->align = (uint8_t)mod_int(mods, "align", 0);
    b->bitmask = (uint64_t)mod_int(mods, "bitmask", 0);
    if (b->bitmask)
        b->flags |= DET_BYTE_BITMASK;
    return sm;
}

/* isdataat: "relative", "neg", "n=$k" for a variable. */
static struct det_sm
ISD(int64_t n, const char *mods) {
    struct det_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.type = DET_SM_ISDATAAT;
    sm.u.isdataat.off = numc(n);
    (void)mod_num(mods, "n", &sm.u.isdataat.off);
    sm.u.isdataat.relative = mod_flag(mods, "relative");
    sm.u.isdataat.negated = mod_flag(mods, "neg");
    return sm;
}

static struct det_sm
BS(enum det_num_op op, uint64_t lo, uint64_t hi) {
    struct det_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.type = DET_SM_BSIZE;
    sm.u.size.op = op;
    sm.u.size.lo = lo;
    sm.u.size.hi = hi;
    return sm;
}

static struct det_sm
END(void) {
    struct det_sm sm;
    memset(&sm, 0, sizeof sm);
    sm.type = SM_END;
    return sm;
}

/* ---------- det_match_list rows ---------- */

struct row {
    const char *name;
    const char *buf;
    uint32_t len; /* 0: strlen(buf) */
    struct det_sm sms[MAX_ROW_SMS];
    bool want;
};

static uint32_t count_sms(const struct det_sm *sms)
{
    uint32_t n = 0;
    while (n < MAX_ROW_SMS && sms[n].type != SM_END)
        n++;
    return n;
}

/* Runs one list on an exact-size heap copy of the buffer (ASan sees any over-read). */
static bool run_list(struct det_match_ctx *mc, struct det_sm *sms, uint32_t n, const void *buf,
                     uint32_t len)
{
    struct det_list l = {.buf = DET_BUF_PAYLOAD, .xform = 0, .sms = sms, .n_sms = n};
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, buf, len);
    bool r = det_match_list(mc, &l, len ? copy : copy, len);
    free(copy);
    return r;
}

static void run_rows(struct row *rows, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        struct row *rw = &rows[k];
        struct det_match_ctx mc;
        memset(&mc, 0, sizeof mc);
        uint32_t len = rw->len ? rw->len : (uint32_t)strlen(rw->buf);
        bool got = run_list(&mc, rw->sms, count_sms(rw->sms), rw->buf, len);
        if (got != rw->want)
            fprintf(stderr, "row '%s': got %s, want %s\n", rw->name, got ? "match" : "no match",
                    rw->want ? "match" : "no match");
        TC_CHECK(rw->name, got == rw->want);
        TC_CHECK(rw->name, mc.pcre_errors == 0);
    }
    free_patterns();
    tc_done();
}

static void test_match_list_content(void **state)
{
    (void)state;
    struct row rows[] = {
        {"plain", "hello world", 0, {C("world", ""), END()}, true},
        {"plain/neg", "hello world", 0, {C("World", ""), END()}, false},
        {"nocase", "hello world", 0, {C("WORLD", "nocase"), END()}, true},
        {"nocase/neg", "hello world", 0, {C("WORLX", "nocase"), END()}, false},
        {"nocase digits", "x12y", 0, {C("12", "nocase"), END()}, true},
        {"nocase digits/neg", "x13y", 0, {C("12", "nocase"), END()}, false},
        {"nocase kmp", "ABABABAC", 0, {C("ababac", "nocase"), END()}, true},
        {"nocase kmp/neg", "ABABABAD", 0, {C("ababac", "nocase"), END()}, false},
        /* Few places for the pattern: compared at each; many: KMP (both must agree). */
        {"nocase few places", "xxHELLO", 0, {C("hello", "nocase"), END()}, true},
        {"nocase few places/neg", "xxHELLX", 0, {C("hello", "nocase"), END()}, false},
        {"nocase kmp long", "ABABABABABABABABABABABABABABAC", 0, {C("ababac", "nocase"), END()},
         true},
        {"nocase kmp long/neg", "ABABABABABABABABABABABABABABAD", 0,
         {C("ababac", "nocase"), END()}, false},
        {"offset", "abcdefabc", 0, {C("abc", "offset=1"), END()}, true},
        {"offset/neg", "abcdefabc", 0, {C("abcdef", "offset=1"), END()}, false},
        {"depth", "xxabcxx", 0, {C("abc", "depth=5"), END()}, true},
        {"depth/neg", "xxabcxx", 0, {C("abc", "depth=4"), END()}, false},
        {"offset+depth", "abcdefghi", 0, {C("def", "offset=3 depth=3"), END()}, true},
        {"offset+depth/neg", "abcdefghi", 0, {C("def", "offset=4 depth=3"), END()}, false},
        {"offset+depth window end", "abcdefghi", 0, {C("efg", "offset=3 depth=3"), END()}, false},
        {"offset past end", "ab", 0, {C("ab", "offset=5"), END()}, false},
        {"offset past end negated", "ab", 0, {C("ab", "neg offset=5"), END()}, true},
        {"distance", "abcXYdef", 0, {C("abc", ""), C("def", "distance=2"), END()}, true},
        {"distance/neg", "abcXYdef", 0, {C("abc", ""), C("def", "distance=3"), END()}, false},
        {"within", "abcXYdef", 0, {C("abc", ""), C("def", "within=5"), END()}, true},
        {"within/neg", "abcXYdef", 0, {C("abc", ""), C("def", "within=4"), END()}, false},
        {"distance+within",
         "abcXYdef",
         0,
         {C("abc", ""), C("def", "distance=2 within=3"), END()},
         true},
        {"distance+within/neg",
         "abcXYdef",
         0,
         {C("abc", ""), C("def", "distance=1 within=3"), END()},
         false},
        {"negative distance",
         "abcdef",
         0,
         {C("def", ""), C("cd", "distance=-4 within=2"), END()},
         true},
        {"negative distance/neg",
         "abcdef",
         0,
         {C("def", ""), C("bc", "distance=-4 within=2"), END()},
         false},
        {"negative distance clamps at 0",
         "abc",
         0,
         {C("abc", ""), C("a", "distance=-10"), END()},
         true},
        {"negative distance clamps/neg",
         "abc",
         0,
         {C("abc", ""), C("z", "distance=-10"), END()},
         false},
        {"relative from start", "xxab", 0, {C("ab", "distance=2 within=2"), END()}, true},
        {"relative from start/neg", "xxab", 0, {C("ab", "distance=1 within=2"), END()}, false},
        {"startswith", "GET /", 0, {C("GET", "startswith"), END()}, true},
        {"startswith/neg", " GET /", 0, {C("GET", "startswith"), END()}, false},
        {"endswith", "index.php", 0, {C(".php", "endswith"), END()}, true},
        {"endswith/neg", "index.php5", 0, {C(".php", "endswith"), END()}, false},
        {"endswith later occurrence", "abab", 0, {C("ab", "endswith"), END()}, true},
        {"startswith+endswith", "abc", 0, {C("abc", "startswith endswith"), END()}, true},
        {"startswith+endswith/neg", "abcd", 0, {C("abc", "startswith endswith"), END()}, false},
        {"relative endswith",
         "a.php",
         0,
         {C("a", ""), C(".php", "distance=0 endswith"), END()},
         true},
        {"relative endswith/neg",
         "a.phpx",
         0,
         {C("a", ""), C(".php", "distance=0 endswith"), END()},
         false},
        {"nocase endswith", "INDEX.PHP", 0, {C(".php", "nocase endswith"), END()}, true},
        {"negated", "hello", 0, {C("bye", "neg"), END()}, true},
        {"negated/neg", "hello", 0, {C("ell", "neg"), END()}, false},
        {"negated depth", "hello", 0, {C("ell", "neg depth=3"), END()}, true},
        {"negated depth/neg", "hello", 0, {C("ell", "neg depth=4"), END()}, false},
        {"negated keeps cursor",
         "abcxdef",
         0,
         {C("abc", ""), C("zz", "neg distance=0"), C("x", "distance=0 within=1"), END()},
         true},
        {"negated relative/neg",
         "abcxdef",
         0,
         {C("abc", ""), C("x", "neg distance=0 within=1"), END()},
         false},
        {"negated short buffer", "ab", 0, {C("abc", "neg"), END()}, true},
        {"short buffer", "ab", 0, {C("abc", ""), END()}, false},
        {"negated nocase", "HeLLo", 0, {C("hello", "neg nocase"), END()}, false},
        {"binary", "a\0b\xff", 4, {content_bytes("\0b\xff", 3, ""), END()}, true},
        {"binary/neg", "a\0b\xfe", 4, {content_bytes("\0b\xff", 3, ""), END()}, false},
        {"empty buffer negated", "", 0, {C("a", "neg"), END()}, true},
        {"empty buffer", "", 0, {C("a", ""), END()}, false},
    };
    run_rows(rows, MM_ARRAY_LEN(rows));
}

static void test_match_list_backtrack(void **state)
{
    (void)state;
    struct row rows[] = {
        {"aXaab", "aXaab", 0, {C("a", ""), C("b", "distance=0 within=1"), END()}, true},
        {"aXaXb", "aXaXb", 0, {C("a", ""), C("b", "distance=0 within=1"), END()}, false},
        {"three levels",
         "axb axbc",
         0,
         {C("a", ""), C("b", "distance=1 within=1"), C("c", "distance=0 within=1"), END()},
         true},
        {"three levels/neg",
         "axb axbd",
         0,
         {C("a", ""), C("b", "distance=1 within=1"), C("c", "distance=0 within=1"), END()},
         false},
        {"retry after negated",
         "ab1 ab2",
         0,
         {C("ab", ""), C("1", "neg distance=0 within=1"), END()},
         true},
        {"retry after negated/neg",
         "ab1 ab1",
         0,
         {C("ab", ""), C("1", "neg distance=0 within=1"), END()},
         false},
        {"retry through byte_test",
         "k\x01 k\x05",
         5,
         {C("k", ""), BT(1, "=", 5, 0, "relative"), END()},
         true},
        {"retry through byte_test/neg",
         "k\x01 k\x04",
         5,
         {C("k", ""), BT(1, "=", 5, 0, "relative"), END()},
         false},
        {"pcre retry", "x1 x2;", 0, {P("x[0-9]", ""), C(";", "distance=0 within=1"), END()}, true},
        {"pcre retry/neg",
         "x1 x2 ",
         0,
         {P("x[0-9]", ""), C(";", "distance=0 within=1"), END()},
         false},
        {"independent failure",
         "aXaab",
         0,
         {C("a", ""), C("b", "distance=0 within=1"), C("zzz", ""), END()},
         false},
        {"independent success",
         "aXaabzzz",
         0,
         {C("a", ""), C("b", "distance=0 within=1"), C("zzz", ""), END()},
         true},
        {"absolute after relative",
         "ab cd",
         0,
         {C("a", ""), C("b", "distance=0"), C("cd", "offset=3"), END()},
         true},
    };
    run_rows(rows, MM_ARRAY_LEN(rows));
}

static void test_match_list_variables(void **state)
{
    (void)state;
    struct row rows[] = {
        {"extract -> offset",
         "\x03xxabc",
         0,
         {BX(1, 0, 0, ""), C("abc", "offset=$0"), END()},
         true},
        {"extract -> offset/neg",
         "\x04xxabc",
         0,
         {BX(1, 0, 0, ""), C("abc", "offset=$0"), END()},
         false},
        {"extract -> depth",
         "\x03"
         "ab",
         0,
         {BX(1, 0, 0, ""), C("ab", "depth=$0"), END()},
         true},
        {"extract -> depth/neg",
         "\x02"
         "ab",
         0,
         {BX(1, 0, 0, ""), C("ab", "depth=$0"), END()},
         false},
        {"extract -> distance",
         "Alice\x03xyzBob",
         0,
         {C("Alice", ""), BX(1, 0, 1, "relative"), C("Bob", "distance=$1 within=3"), END()},
         true},
        {"extract -> distance/neg",
         "Alice\x02xyzBob",
         0,
         {C("Alice", ""), BX(1, 0, 1, "relative"), C("Bob", "distance=$1 within=3"), END()},
         false},
        {"extract -> within",
         "\x00\xff\x05zz\\\x00",
         7,
         {content_bytes("\x00\xff", 2, ""), BX(1, 0, 2, "relative"),
          content_bytes("\\\x00", 2, "distance=2 within=$2"), END()},
         true},
        {"extract -> within/neg",
         "\x00\xff\x01zz\\\x00",
         7,
         {content_bytes("\x00\xff", 2, ""), BX(1, 0, 2, "relative"),
          content_bytes("\\\x00", 2, "distance=2 within=$2"), END()},
         false},
        {"extract -> isdataat",
         "\x05"
         "abcde",
         0,
         {BX(1, 0, 0, ""), ISD(0, "n=$0"), END()},
         true},
        {"extract -> isdataat/neg",
         "\x06"
         "abcde",
         0,
         {BX(1, 0, 0, ""), ISD(0, "n=$0"), END()},
         false},
        {"extract moves cursor",
         "ab\x01\x02"
         "cd",
         0,
         {C("ab", ""), BX(2, 0, 0, "relative"), C("cd", "distance=0 within=2"), END()},
         true},
        {"extract moves cursor/neg",
         "ab\x01\x02"
         "cd",
         0,
         {C("ab", ""), BX(1, 0, 0, "relative"), C("cd", "distance=0 within=2"), END()},
         false},
        {"extract multiplier+align",
         "\x03\x08",
         2,
         {BX(1, 0, 0, "multiplier=2 align=4"), BT(1, "=", 0, 1, "value=$0"), END()},
         true},
        {"extract multiplier+align/neg",
         "\x03\x06",
         2,
         {BX(1, 0, 0, "multiplier=2 align=4"), BT(1, "=", 0, 1, "value=$0"), END()},
         false},
        {"extract string",
         "12\x0c",
         0,
         {BX(2, 0, 0, "string=10"), BT(1, "=", 0, 2, "value=$0"), END()},
         true},
        {"extract string/neg",
         "12\x0d",
         0,
         {BX(2, 0, 0, "string=10"), BT(1, "=", 0, 2, "value=$0"), END()},
         false},
        {"extract little",
         "\x04\x00"
         "abcd",
         6,
         {BX(2, 0, 0, "little"), C("cd", "offset=$0"), END()},
         true},
        {"extract little/neg",
         "\x04\x00"
         "abcd",
         6,
         {BX(2, 0, 0, ""), C("cd", "offset=$0"), END()},
         false},
        {"extract out of bounds", "\x01", 1, {BX(2, 0, 0, ""), END()}, false},
        {"extract -> byte_jump offset",
         "\x02zz\x00"
         "AB",
         6,
         {BX(1, 0, 0, ""), BJ(1, 0, "offset=$0 relative"), C("AB", "distance=0 within=2"), END()},
         true},
        {"extract -> byte_jump offset/neg",
         "\x02zz\x01"
         "AB",
         6,
         {BX(1, 0, 0, ""), BJ(1, 0, "offset=$0 relative"), C("AB", "distance=0 within=2"), END()},
         false},
        {"extract -> byte_jump offset/pos",
         "\x02z\x01"
         "xAB",
         0,
         {BX(1, 0, 0, ""), BJ(1, 0, "offset=$0 from_beginning"), C("z", "distance=0 within=1"),
          END()},
         true},
        {"pcre capture -> offset",
         "n=7 .......X",
         0,
         {P("n=([0-9]+)", "cap=$3"), C("X", "offset=$3 depth=5"), END()},
         true},
        {"pcre capture -> offset/neg",
         "n=9 .......X",
         0,
         {P("n=([0-9]+)", "cap=$3"), C("X", "offset=$3 depth=1"), END()},
         false},
    };
    run_rows(rows, MM_ARRAY_LEN(rows));
}

static void test_match_list_pcre(void **state)
{
    (void)state;
    struct row rows[] = {
        {"caseless", "Hello World", 0, {P("wor", "i"), END()}, true},
        {"caseless/neg", "Hello World", 0, {P("wor", ""), END()}, false},
        {"dotall", "a\nb", 0, {P("a.b", "s"), END()}, true},
        {"dotall/neg", "a\nb", 0, {P("a.b", ""), END()}, false},
        {"multiline", "x\nfoo", 0, {P("^foo", "m"), END()}, true},
        {"multiline/neg", "x\nfoo", 0, {P("^foo", ""), END()}, false},
        {"extended", "abc", 0, {P("a b c", "x"), END()}, true},
        {"extended/neg", "abc", 0, {P("a b c", ""), END()}, false},
        {"relative", "abc123", 0, {C("abc", ""), P("^[0-9]+", "R"), END()}, true},
        {"relative/neg", "abcx123", 0, {C("abc", ""), P("^[0-9]+", "R"), END()}, false},
        {"relative anchors at cursor", "xxabc", 0, {C("xx", ""), P("^abc", "R"), END()}, true},
        {"absolute does not", "xxabc", 0, {C("xx", ""), P("^abc", ""), END()}, false},
        {"sets cursor",
         "abc123def",
         0,
         {C("abc", ""), P("[0-9]+", "R"), C("def", "distance=0 within=3"), END()},
         true},
        {"sets cursor/neg",
         "abc123xdef",
         0,
         {C("abc", ""), P("[0-9]+", "R"), C("def", "distance=0 within=3"), END()},
         false},
        {"negated", "abc", 0, {P("xyz", "neg"), END()}, true},
        {"negated/neg", "abc", 0, {P("b", "neg"), END()}, false},
        {"negated relative", "abc def", 0, {C("abc", ""), P("^ x", "neg R"), END()}, true},
        {"negated relative/neg", "abc def", 0, {C("abc", ""), P("^ d", "neg R"), END()}, false},
        {"negated relative ignores before",
         "abc xbc",
         0,
         {C("xbc", ""), P("abc", "neg R"), END()},
         true},
        {"binary", "\x01\x02\xff", 3, {P("\\x02\\xff$", ""), END()}, true},
        {"binary/neg", "\x01\x02\xfe", 3, {P("\\x02\\xff$", ""), END()}, false},
    };
    run_rows(rows, MM_ARRAY_LEN(rows));
}

static void test_match_list_byte_test(void **state)
{
    (void)state;
    const char *b5 = "\x00\x05";
    struct row rows[] = {
        {"<", b5, 2, {BT(2, "<", 6, 0, ""), END()}, true},
        {"</neg", b5, 2, {BT(2, "<", 5, 0, ""), END()}, false},
        {">", b5, 2, {BT(2, ">", 4, 0, ""), END()}, true},
        {">/neg", b5, 2, {BT(2, ">", 5, 0, ""), END()}, false},
        {"<=", b5, 2, {BT(2, "<=", 5, 0, ""), END()}, true},
        {"<=/neg", b5, 2, {BT(2, "<=", 4, 0, ""), END()}, false},
        {">=", b5, 2, {BT(2, ">=", 5, 0, ""), END()}, true},
        {">=/neg", b5, 2, {BT(2, ">=", 6, 0, ""), END()}, false},
        {"=", b5, 2, {BT(2, "=", 5, 0, ""), END()}, true},
        {"=/neg", b5, 2, {BT(2, "=", 6, 0, ""), END()}, false},
        {"!=", b5, 2, {BT(2, "!=", 6, 0, ""), END()}, true},
        {"!=/neg", b5, 2, {BT(2, "!=", 5, 0, ""), END()}, false},
        {"! prefix", b5, 2, {BT(2, "=", 6, 0, "negate"), END()}, true},
        {"! prefix/neg", b5, 2, {BT(2, "=", 5, 0, "negate"), END()}, false},
        {"&", b5, 2, {BT(2, "&", 4, 0, ""), END()}, true},
        {"&/neg", b5, 2, {BT(2, "&", 2, 0, ""), END()}, false},
        {"^", b5, 2, {BT(2, "^", 4, 0, ""), END()}, true},
        {"^/neg", b5, 2, {BT(2, "^", 5, 0, ""), END()}, false},
        {"!&", b5, 2, {BT(2, "&", 2, 0, "negate"), END()}, true},
        {"little", "\x05\x00", 2, {BT(2, "=", 5, 0, "little"), END()}, true},
        {"little/neg", "\x05\x00", 2, {BT(2, "=", 5, 0, ""), END()}, false},
        {"8 bytes",
         "\x01\x02\x03\x04\x05\x06\x07\x08",
         8,
         {BT(8, "=", 0x0102030405060708, 0, ""), END()},
         true},
        {"8 bytes little",
         "\x01\x02\x03\x04\x05\x06\x07\x08",
         8,
         {BT(8, "=", 0x0807060504030201, 0, "little"), END()},
         true},
        {"relative negative offset",
         "ab\x07"
         "cd",
         0,
         {C("cd", ""), BT(1, "=", 7, -3, "relative"), END()},
         true},
        {"relative negative offset/neg",
         "ab\x07"
         "cd",
         0,
         {C("cd", ""), BT(1, "=", 8, -3, "relative"), END()},
         false},
        {"before start", "ab", 0, {C("a", ""), BT(1, "=", 0, -2, "relative"), END()}, false},
        {"string dec", "len=123;", 0, {BT(3, "=", 123, 4, "string=10"), END()}, true},
        {"string dec/neg", "len=123;", 0, {BT(3, "=", 123, 4, "string=16"), END()}, false},
        {"string hex", "len=123;", 0, {BT(3, "=", 0x123, 4, "string=16"), END()}, true},
        {"string hex 0x", "0x1f", 0, {BT(4, "=", 31, 0, "string=16"), END()}, true},
        {"string oct", "017", 0, {BT(3, "=", 15, 0, "string=8"), END()}, true},
        {"string oct/neg", "018", 0, {BT(3, "=", 15, 0, "string=8"), END()}, false},
        {"string prefix digits", "7ab", 0, {BT(3, "=", 7, 0, "string=10"), END()}, true},
        {"string no digits", "abc", 0, {BT(3, "=", 0, 0, "string=10"), END()}, false},
        {"string overflow",
         "99999999999999999999",
         0,
         {BT(20, ">", 0, 0, "string=10"), END()},
         false},
        {"string max u64",
         "18446744073709551615",
         0,
         {BT(20, "=", -1, 0, "string=10"), END()},
         true},
        {"bitmask", "\x00\xf0", 2, {BT(2, "=", 0xf, 0, "bitmask=0xf0"), END()}, true},
        {"bitmask/neg", "\x00\x70", 2, {BT(2, "=", 0xf, 0, "bitmask=0xf0"), END()}, false},
        {"out of bounds", "\x01", 1, {BT(2, "=", 1, 0, ""), END()}, false},
        {"in bounds", "\x01", 1, {BT(1, "=", 1, 0, ""), END()}, true},
        {"nbytes 9 refused",
         "\x01\x01\x01\x01\x01\x01\x01\x01\x01",
         9,
         {BT(9, ">", 0, 0, ""), END()},
         false},
    };
    run_rows(rows, MM_ARRAY_LEN(rows));
}

static void test_match_list_byte_jump(void **state)
{
    (void)state;
    struct row rows[] = {
        {"basic",
         "\x00\x03"
         "abcXYZ",
         8,
         {BJ(2, 0, ""), C("XYZ", "distance=0 within=3"), END()},
         true},
        {"basic/neg",
         "\x00\x02"
         "abcXYZ",
         8,
         {BJ(2, 0, ""), C("XYZ", "distance=0 within=3"), END()},
         false},
        {"relative",
         "hdr\x02"
         "abXY",
         0,
         {C("hdr", ""), BJ(1, 0, "relative"), C("XY", "distance=0 within=2"), END()},
         true},
        {"relative/neg",
         "hdr\x01"
         "abXY",
         0,
         {C("hdr", ""), BJ(1, 0, "relative"), C("XY", "distance=0 within=2"), END()},
         false},
        {"from_beginning",
         "\x04xyzABCD",
         0,
         {BJ(1, 0, "from_beginning"), C("ABC", "distance=0 within=3"), END()},
         true},
        {"from_beginning/neg",
         "\x05xyzABCD",
         0,
         {BJ(1, 0, "from_beginning"), C("ABC", "distance=0 within=3"), END()},
         false},
        {"from_end",
         "abcdefgh",
         0,
         {BJ(0, 0, "from_end post_offset=-3"), C("fgh", "distance=0 within=3"), END()},
         true},
        {"from_end/neg",
         "abcdefgh",
         0,
         {BJ(0, 0, "from_end post_offset=-4"), C("fgh", "distance=0 within=3"), END()},
         false},
        {"post_offset",
         "\x02"
         "abXYZ",
         0,
         {BJ(1, 0, "post_offset=1"), C("YZ", "distance=0 within=2"), END()},
         true},
        {"post_offset/neg",
         "\x02"
         "abXYZ",
         0,
         {BJ(1, 0, ""), C("YZ", "distance=0 within=2"), END()},
         false},
        {"align",
         "\x01"
         "abcdXY",
         0,
         {BJ(1, 0, "align"), C("XY", "distance=0 within=2"), END()},
         true},
        {"align/neg",
         "\x01"
         "abcdXY",
         0,
         {BJ(1, 0, ""), C("XY", "distance=0 within=2"), END()},
         false},
        {"multiplier",
         "\x02"
         "abcdXY",
         0,
         {BJ(1, 0, "multiplier=2"), C("XY", "distance=0 within=2"), END()},
         true},
        {"multiplier/neg",
         "\x02"
         "abcdXY",
         0,
         {BJ(1, 0, ""), C("XY", "distance=0 within=2"), END()},
         false},
        {"string",
         "03abcXY",
         0,
         {BJ(2, 0, "string=10"), C("XY", "distance=0 within=2"), END()},
         true},
        {"string/neg",
         "04abcXY",
         0,
         {BJ(2, 0, "string=10"), C("XY", "distance=0 within=2"), END()},
         false},
        {"little",
         "\x03\x00"
         "abcXY",
         7,
         {BJ(2, 0, "little"), C("XY", "distance=0 within=2"), END()},
         true},
        {"bitmask",
         "\x30"
         "abcXY",
         0,
         {BJ(1, 0, "bitmask=0xf0"), C("XY", "distance=0 within=2"), END()},
         true},
        {"bitmask/neg",
         "\x30"
         "abcXY",
         0,
         {BJ(1, 0, ""), C("XY", "distance=0 within=2"), END()},
         false},
        {"beyond end",
         "\x09"
         "ab",
         0,
         {BJ(1, 0, ""), END()},
         false},
        {"exactly to end",
         "\x02"
         "ab",
         0,
         {BJ(1, 0, ""), ISD(1, "relative neg"), END()},
         true},
        {"clamped at start",
         "abcd",
         0,
         {BJ(0, 0, "from_end post_offset=-10"), C("ab", "distance=0 within=2"), END()},
         true},
        {"clamped at start/neg",
         "abcd",
         0,
         {BJ(0, 0, "from_end post_offset=-10"), C("bc", "distance=0 within=2"), END()},
         false},
        {"two jumps",
         "\x01z\x02"
         "abXY",
         0,
         {BJ(1, 0, ""), BJ(1, 0, "relative"), C("XY", "distance=0 within=2"), END()},
         true},
        {"read past end", "\x01", 1, {BJ(2, 0, ""), END()}, false},
        {"huge value",
         "\xff\xff\xff\xff\xff\xff\xff\xff",
         8,
         {BJ(8, 0, "multiplier=16"), END()},
         false},
    };
    run_rows(rows, MM_ARRAY_LEN(rows));
}

static void test_match_list_isdataat_bsize(void **state)
{
    (void)state;
    struct row rows[] = {
        {"isdataat", "abcd", 0, {ISD(3, ""), END()}, true},
        {"isdataat/neg", "abcd", 0, {ISD(4, ""), END()}, false},
        /* Suricata's table: 8-byte buffer, relative checks succeed up to N == len. */
        {"relative 8", "abcdefgh", 0, {ISD(8, "relative"), END()}, true},
        {"relative 9", "abcdefgh", 0, {ISD(9, "relative"), END()}, false},
        {"after c, 5", "abcdefgh", 0, {C("c", ""), ISD(5, "relative"), END()}, true},
        {"after c, 6", "abcdefgh", 0, {C("c", ""), ISD(6, "relative"), END()}, false},
        {"negated", "abcd", 0, {ISD(4, "neg"), END()}, true},
        {"negated/neg", "abcd", 0, {ISD(3, "neg"), END()}, false},
        {"!1,relative at end", "abc", 0, {C("abc", ""), ISD(1, "relative neg"), END()}, true},
        {"!1,relative not at end", "abcd", 0, {C("abc", ""), ISD(1, "relative neg"), END()}, false},
        {"bsize =", "abcd", 0, {BS(DET_OP_EQ, 4, 0), END()}, true},
        {"bsize =/neg", "abcd", 0, {BS(DET_OP_EQ, 5, 0), END()}, false},
        {"bsize <", "abcd", 0, {BS(DET_OP_LT, 5, 0), END()}, true},
        {"bsize </neg", "abcd", 0, {BS(DET_OP_LT, 4, 0), END()}, false},
        {"bsize >", "abcd", 0, {BS(DET_OP_GT, 3, 0), END()}, true},
        {"bsize >/neg", "abcd", 0, {BS(DET_OP_GT, 4, 0), END()}, false},
        {"bsize <=", "abcd", 0, {BS(DET_OP_LE, 4, 0), END()}, true},
        {"bsize >=/neg", "abcd", 0, {BS(DET_OP_GE, 5, 0), END()}, false},
        {"bsize !=", "abcd", 0, {BS(DET_OP_NE, 5, 0), END()}, true},
        {"bsize range", "abcd", 0, {BS(DET_OP_RANGE, 3, 5), END()}, true},
        {"bsize range exclusive", "abcd", 0, {BS(DET_OP_RANGE, 4, 6), END()}, false},
        {"bsize not range", "abcd", 0, {BS(DET_OP_NOT_RANGE, 4, 6), END()}, true},
        {"bsize not range/neg", "abcd", 0, {BS(DET_OP_NOT_RANGE, 3, 5), END()}, false},
        {"bsize empty", "", 0, {BS(DET_OP_EQ, 0, 0), END()}, true},
        {"content + bsize",
         "google.com",
         0,
         {C("google.com", ""), BS(DET_OP_EQ, 10, 0), END()},
         true},
        {"content + bsize/neg",
         "www.google.com",
         0,
         {C("google.com", ""), BS(DET_OP_EQ, 10, 0), END()},
         false},
    };
    run_rows(rows, MM_ARRAY_LEN(rows));
}

/* ---------- hostile inputs ---------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 64 KiB of 'a' against 20 relative "a" then "b": exponential without a bound. */
static void test_match_list_budget(void **state)
{
    (void)state;
    const uint32_t len = 64 * 1024;
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    memset(buf, 'a', len);
    struct det_sm sms[24];
    static const char *const modes[] = {"distance=0", "nocase distance=0", "distance=0 within=1"};
    for (size_t m = 0; m < MM_ARRAY_LEN(modes); m++) {
        uint32_t n = 0;
        sms[n++] = C("a", "");
        for (int k = 0; k < 20; k++)
            sms[n++] = C("a", modes[m]);
        sms[n++] = C("b", modes[m]);
        struct det_match_ctx mc;
        memset(&mc, 0, sizeof mc);
        double t0 = now_s();
        bool r = run_list(&mc, sms, n, buf, len);
        double dt = now_s() - t0;
        TC_CHECK(modes[m], !r);
        if (dt > 2.0)
            fprintf(stderr, "mode '%s': %.3f s\n", modes[m], dt);
        TC_CHECK(modes[m], dt < 2.0);
    }
    /* A match that needs more steps than the budget allows is given up: "b" at the end. */
    buf[len - 1] = 'b';
    uint32_t n = 0;
    sms[n++] = C("a", "");
    for (int k = 0; k < 5; k++)
        sms[n++] = C("a", "distance=0 within=1");
    sms[n++] = C("b", "distance=0 within=1");
    struct det_match_ctx mc;
    memset(&mc, 0, sizeof mc);
    TC_CHECK("budget", !run_list(&mc, sms, n, buf, len));
    /* The same chain near the start fits the budget. */
    memset(buf, 'a', len);
    buf[100] = 'b';
    TC_CHECK("within budget", run_list(&mc, sms, n, buf, len));
    free(buf);
    tc_done();
}

/* pcre2 errors (here the match limit) are counted and mean no match, negated or not. */
static void test_match_list_pcre_errors(void **state)
{
    (void)state;
    /* No required literal for pcre2 to check up front: the match must backtrack. */
    const char *subject = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!";
    pcre2_match_context *mctx = pcre2_match_context_create(NULL);
    assert_non_null(mctx);
    pcre2_set_match_limit(mctx, 100);
    pcre2_match_data *md = pcre2_match_data_create(32, NULL);
    assert_non_null(md);
    struct det_sm sms[2];
    for (int neg = 0; neg < 2; neg++) {
        sms[0] = P("^(a+)+$", neg ? "neg" : "");
        struct det_match_ctx mc;
        memset(&mc, 0, sizeof mc);
        mc.md = md;
        mc.mctx = mctx;
        TC_CHECK(neg ? "negated" : "plain",
                 !run_list(&mc, sms, 1, subject, (uint32_t)strlen(subject)));
        TC_CHECK(neg ? "negated" : "plain", mc.pcre_errors == 1);
        TC_CHECK("jit tried", sms[0].u.pcre.jit_tried);
    }
    /* With the worker's match data and default limits a normal pattern still works. */
    sms[0] = P("a{3}!$", "");
    struct det_match_ctx mc;
    memset(&mc, 0, sizeof mc);
    mc.md = md;
    TC_CHECK("worker md", run_list(&mc, sms, 1, subject, (uint32_t)strlen(subject)));
    TC_CHECK("worker md", mc.pcre_errors == 0);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
    free_patterns();
    tc_done();
}

/* Variables are operands: a variable slot out of range or unset never reads memory. */
static void test_match_list_bad_operands(void **state)
{
    (void)state;
    struct det_sm sms[2];
    sms[0] = C("a", "offset=$9");
    struct det_match_ctx mc;
    memset(&mc, 0, sizeof mc);
    TC_CHECK("var 9", !run_list(&mc, sms, 1, "aaa", 3));
    sms[0] = C("a", "neg offset=$9");
    TC_CHECK("negated var 9", run_list(&mc, sms, 1, "aaa", 3));
    mc.vars[0] = UINT64_MAX;
    sms[0] = C("a", "offset=$0");
    TC_CHECK("huge var", !run_list(&mc, sms, 1, "aaa", 3));
    sms[0] = C("a", "distance=$0 within=$0");
    TC_CHECK("huge distance", !run_list(&mc, sms, 1, "aaa", 3));
    sms[0] = ISD(0, "n=$0 relative");
    TC_CHECK("huge isdataat", !run_list(&mc, sms, 1, "aaa", 3));
    sms[0] = BX(1, 0, 12, "");
    TC_CHECK("extract slot 12", !run_list(&mc, sms, 1, "aaa", 3));
    tc_done();
}

/* ---------- det_match_rule and det_match_apply ---------- */

struct fx {
    struct packet p;
    struct flow f;
    struct det_match_ctx mc;
    struct det_ruleset rs;
    struct det_flowvars *fv;
    struct mem_cap cap;
    struct det_xbits *xb;
    struct det_sm sms[4];
    struct det_list list;
};

static const uint8_t k_payload[] = "GET /index.html HTTP/1.1\r\n";

/* A TCP packet to the server of an established flow, carrying k_payload. */
static void fx_init(struct fx *x)
{
    memset(x, 0, sizeof *x);
    x->p.ip_ver = 4;
    x->p.proto = 6;
    x->p.flags = PKT_F_L4;
    x->p.ttl = 64;
    x->p.tcp_flags = TCP_ACK | TCP_PSH;
    x->p.src.b[0] = 10, x->p.src.b[3] = 1;
    x->p.dst.b[0] = 10, x->p.dst.b[3] = 2;
    x->p.payload = k_payload;
    x->p.payload_len = (uint32_t)sizeof k_payload - 1;
    x->f.key.proto = 6;
    x->f.pkts[0] = 3, x->f.pkts[1] = 2;
    x->f.bytes[0] = 300, x->f.bytes[1] = 200;
    /* stream_size: sequence space = payload + 1 (the SYN) */
    x->f.payload[0] = 299, x->f.payload[1] = 199;
    x->f.tcp_state = TCPS_ESTABLISHED;
    x->f.state = FLOW_STATE_ESTABLISHED;
    x->f.client_is_a = true;
    memcpy(x->f.key.a, x->p.src.b, 16);
    memcpy(x->f.key.b, x->p.dst.b, 16);
    x->rs.flowbits.n = 4;
    x->rs.flowints.n = 2;
    mem_cap_init(&x->cap, "flowvars", 0);
    x->mc.pkt = &x->p;
    x->mc.flow = &x->f;
    x->mc.dir = 0;
    x->mc.payload = x->p.payload;
    x->mc.payload_len = x->p.payload_len;
    x->mc.ts_ns = 1000;
    x->mc.fvars = &x->fv;
    x->mc.flowvar_cap = &x->cap;
    x->mc.rs = &x->rs;
}

static void fx_fini(struct fx *x)
{
    det_flowvars_free(x->fv, &x->cap);
    x->fv = NULL;
    det_xbits_free(x->xb);
    x->xb = NULL;
    assert_int_equal(x->cap.used, 0);
}

static struct det_rule rule_empty(void)
{
    struct det_rule r;
    memset(&r, 0, sizeof r);
    r.gid = 1;
    r.sid = 1;
    r.classtype = -1;
    r.fp_list = r.fp_sm = -1;
    return r;
}

struct flow_row {
    const char *name;
    uint32_t flags;
    int dir;
    uint8_t proto;
    uint8_t tcp_state;
    bool both_dirs, has_flow, stream, has_pkt, reassembled;
    bool want;
};

static void test_match_rule_flow(void **state)
{
    (void)state;
    const uint8_t EST = TCPS_ESTABLISHED;
    const struct flow_row rows[] = {
        {"to_server", DET_FLOW_TO_SERVER, 0, 6, EST, true, true, false, true, false, true},
        {"to_server/neg", DET_FLOW_TO_SERVER, 1, 6, EST, true, true, false, true, false, false},
        {"to_client", DET_FLOW_TO_CLIENT, 1, 6, EST, true, true, false, true, false, true},
        {"to_client/neg", DET_FLOW_TO_CLIENT, 0, 6, EST, true, true, false, true, false, false},
        {"established", DET_FLOW_ESTABLISHED, 0, 6, EST, true, true, false, true, false, true},
        {"established fin_wait1", DET_FLOW_ESTABLISHED, 1, 6, TCPS_FIN_WAIT1, true, true, false,
         true, false, true},
        {"established close_wait", DET_FLOW_ESTABLISHED, 1, 6, TCPS_CLOSE_WAIT, true, true, false,
         true, false, true},
        {"established syn_sent/neg", DET_FLOW_ESTABLISHED, 0, 6, TCPS_SYN_SENT, false, true, false,
         true, false, false},
        {"established closed/neg", DET_FLOW_ESTABLISHED, 0, 6, TCPS_CLOSED, true, true, false, true,
         false, false},
        {"established time_wait/neg", DET_FLOW_ESTABLISHED, 0, 6, TCPS_TIME_WAIT, true, true, false,
         true, false, false},
        {"established one side/neg", DET_FLOW_ESTABLISHED, 0, 6, EST, false, true, false, true,
         false, false},
        {"established udp", DET_FLOW_ESTABLISHED, 0, 17, 0, true, true, false, true, false, true},
        {"established udp one way/neg", DET_FLOW_ESTABLISHED, 0, 17, 0, false, true, false, true,
         false, false},
        {"not_established", DET_FLOW_NOT_ESTABLISHED, 0, 6, TCPS_SYN_SENT, false, true, false, true,
         false, true},
        {"not_established/neg", DET_FLOW_NOT_ESTABLISHED, 0, 6, EST, true, true, false, true, false,
         false},
        {"established no flow/neg", DET_FLOW_ESTABLISHED, 0, 6, EST, true, false, false, true,
         false, false},
        {"to_server no flow/neg", DET_FLOW_TO_SERVER, 0, 6, EST, true, false, false, true, false,
         false},
        {"stateless no flow", DET_FLOW_STATELESS, 0, 6, EST, true, false, false, true, false, true},
        {"only_stream on chunk", DET_FLOW_ONLY_STREAM, 0, 6, EST, true, true, true, false, false,
         true},
        {"only_stream on packet/neg", DET_FLOW_ONLY_STREAM, 0, 6, EST, true, true, false, true,
         false, false},
        {"no_stream on packet", DET_FLOW_NO_STREAM, 0, 6, EST, true, true, false, true, false,
         true},
        {"no_stream on chunk/neg", DET_FLOW_NO_STREAM, 0, 6, EST, true, true, true, false, false,
         false},
        {"only_frag", DET_FLOW_ONLY_FRAG, 0, 17, 0, true, true, false, true, true, true},
        {"only_frag/neg", DET_FLOW_ONLY_FRAG, 0, 17, 0, true, true, false, true, false, false},
        {"no_frag", DET_FLOW_NO_FRAG, 0, 17, 0, true, true, false, true, false, true},
        {"no_frag/neg", DET_FLOW_NO_FRAG, 0, 17, 0, true, true, false, true, true, false},
        {"established,to_client", DET_FLOW_ESTABLISHED | DET_FLOW_TO_CLIENT, 1, 6, EST, true, true,
         false, true, false, true},
        {"established,to_client/neg", DET_FLOW_ESTABLISHED | DET_FLOW_TO_CLIENT, 1, 6,
         TCPS_SYN_RECV, true, true, false, true, false, false},
    };
    for (size_t k = 0; k < MM_ARRAY_LEN(rows); k++) {
        const struct flow_row *rw = &rows[k];
        struct fx x;
        fx_init(&x);
        x.f.key.proto = rw->proto;
        x.p.proto = rw->proto;
        x.f.tcp_state = rw->tcp_state;
        x.f.pkts[1] = rw->both_dirs ? 2 : 0;
        x.mc.flow = rw->has_flow ? &x.f : NULL;
        x.mc.dir = rw->dir;
        x.mc.stream = rw->stream;
        x.mc.pkt = rw->has_pkt ? &x.p : NULL;
        if (rw->reassembled)
            x.p.flags |= PKT_F_REASSEMBLED;
        struct det_rule r = rule_empty();
        r.flow_flags = rw->flags;
        TC_CHECK(rw->name, det_match_rule(&x.mc, &r) == rw->want);
        fx_fini(&x);
    }
    tc_done();
}

struct pkt_row {
    const char *name;
    void (*setup)(struct fx *x, struct det_rule *r);
    bool want;
};

static struct det_cmp cmpv(enum det_num_op op, uint64_t lo, uint64_t hi)
{
    struct det_cmp c = {.present = true, .v = {.op = op, .lo = lo, .hi = hi}};
    return c;
}

static struct det_tcpflags tflags(uint8_t set, uint8_t ignore, char mode)
{
    struct det_tcpflags t = {.present = true, .set = set, .ignore = ignore, .mode = mode};
    return t;
}

static void icmp_echo(struct fx *x, uint8_t type)
{
    static const uint8_t l4[8] = {8, 0, 0, 0, 0x12, 0x34, 0x00, 0x07};
    x->p.proto = 1;
    x->p.icmp_type = type;
    x->p.icmp_code = 0;
    x->p.icmp_id = 0x1234;
    x->p.l4 = l4;
    x->p.l4_len = sizeof l4;
}

#define SETUP(fn, body)                                                                            \
    static void fn(struct fx *x, struct det_rule *r)                                               \
    {                                                                                              \
        (void)x;                                                                                   \
        (void)r;                                                                                   \
        body;                                                                                      \
    }

SETUP(s_dsize_eq, r->dsize = cmpv(DET_OP_EQ, sizeof k_payload - 1, 0))
SETUP(s_dsize_ne, r->dsize = cmpv(DET_OP_EQ, 3, 0))
SETUP(s_dsize_range, r->dsize = cmpv(DET_OP_RANGE, 10, 100))
SETUP(s_dsize_nopkt, r->dsize = cmpv(DET_OP_GE, 0, 0); x->mc.pkt = NULL)
SETUP(s_ttl, r->ttl = cmpv(DET_OP_EQ, 64, 0))
SETUP(s_ttl_neg, r->ttl = cmpv(DET_OP_LT, 10, 0))
SETUP(s_ipproto, r->ip_proto = cmpv(DET_OP_EQ, 6, 0))
SETUP(s_ipproto_neg, r->ip_proto = cmpv(DET_OP_EQ, 17, 0))
SETUP(s_flags_exact, r->tcpflags = tflags(TCP_SYN, 0, 0); x->p.tcp_flags = TCP_SYN)
SETUP(s_flags_exact_neg, r->tcpflags = tflags(TCP_SYN, 0, 0); x->p.tcp_flags = TCP_SYN | TCP_ACK)
SETUP(s_flags_plus, r->tcpflags = tflags(TCP_SYN, 0, '+'); x->p.tcp_flags = TCP_SYN | TCP_ACK)
SETUP(s_flags_plus_neg, r->tcpflags = tflags(TCP_SYN, 0, '+'); x->p.tcp_flags = TCP_ACK)
SETUP(s_flags_any, r->tcpflags = tflags(TCP_SYN | TCP_ACK, 0, '*'); x->p.tcp_flags = TCP_SYN)
SETUP(s_flags_any_neg, r->tcpflags = tflags(TCP_SYN | TCP_ACK, 0, '*'); x->p.tcp_flags = TCP_FIN)
SETUP(s_flags_not, r->tcpflags = tflags(TCP_RST, 0, '!'); x->p.tcp_flags = TCP_SYN)
SETUP(s_flags_not_neg, r->tcpflags = tflags(TCP_RST, 0, '!'); x->p.tcp_flags = TCP_RST)
SETUP(s_flags_ignore, r->tcpflags = tflags(TCP_SYN, TCP_CWR | TCP_ECE, 0);
      x->p.tcp_flags = TCP_SYN | TCP_ECE | TCP_CWR)
SETUP(s_flags_ignore_neg, r->tcpflags = tflags(TCP_SYN, TCP_CWR, 0);
      x->p.tcp_flags = TCP_SYN | TCP_ECE)
SETUP(s_flags_zero, r->tcpflags = tflags(0, 0, 0); x->p.tcp_flags = 0)
SETUP(s_flags_udp, r->tcpflags = tflags(TCP_SYN, 0, '*'); x->p.proto = 17)
SETUP(s_itype, r->itype = cmpv(DET_OP_EQ, 8, 0); icmp_echo(x, 8))
SETUP(s_itype_neg, r->itype = cmpv(DET_OP_EQ, 8, 0); icmp_echo(x, 0))
SETUP(s_itype_tcp, r->itype = cmpv(DET_OP_GE, 0, 0))
SETUP(s_icode, r->icode = cmpv(DET_OP_EQ, 0, 0); icmp_echo(x, 8))
SETUP(s_icode_neg, r->icode = cmpv(DET_OP_GT, 0, 0); icmp_echo(x, 8))
SETUP(s_icmp_id, r->icmp_id = cmpv(DET_OP_EQ, 0x1234, 0); icmp_echo(x, 8))
SETUP(s_icmp_id_neg, r->icmp_id = cmpv(DET_OP_EQ, 0x1234, 0); icmp_echo(x, 3))
SETUP(s_icmp_seq, r->icmp_seq = cmpv(DET_OP_EQ, 7, 0); icmp_echo(x, 0))
SETUP(s_icmp_seq_neg, r->icmp_seq = cmpv(DET_OP_EQ, 8, 0); icmp_echo(x, 0))
SETUP(s_icmp6_id, r->icmp_id = cmpv(DET_OP_EQ, 0x1234, 0); icmp_echo(x, 128); x->p.ip_ver = 6;
      x->p.proto = 58)
SETUP(s_seq, r->tcp_seq = cmpv(DET_OP_EQ, 1000, 0); x->p.tcp_seq = 1000)
SETUP(s_seq_neg, r->tcp_seq = cmpv(DET_OP_EQ, 1000, 0); x->p.tcp_seq = 1001)
SETUP(s_ack, r->tcp_ack = cmpv(DET_OP_EQ, 0, 0); x->p.tcp_ack = 0)
SETUP(s_window, r->tcp_window = cmpv(DET_OP_EQ, 55808, 0); x->p.tcp_win = 55808)
SETUP(s_window_neg, r->tcp_window = cmpv(DET_OP_EQ, 55808, 0); x->p.tcp_win = 1024)
SETUP(s_app, r->app_proto = APP_PROTO_HTTP; x->mc.app_proto = APP_PROTO_HTTP)
SETUP(s_app_neg, r->app_proto = APP_PROTO_HTTP; x->mc.app_proto = APP_PROTO_TLS)
SETUP(s_app_not, r->app_proto = APP_PROTO_HTTP; r->app_proto_negated = true;
      x->mc.app_proto = APP_PROTO_TLS)
SETUP(s_app_not_neg, r->app_proto = APP_PROTO_HTTP; r->app_proto_negated = true;
      x->mc.app_proto = APP_PROTO_HTTP)
SETUP(s_app_not_unknown, r->app_proto = APP_PROTO_HTTP; r->app_proto_negated = true;
      x->mc.app_proto = APP_PROTO_UNKNOWN)
SETUP(s_ss_server, r->stream_size.present = true; r->stream_size.side = DET_SS_SERVER;
      r->stream_size.op = DET_OP_LT; r->stream_size.value = 250)
SETUP(s_ss_server_neg, r->stream_size.present = true; r->stream_size.side = DET_SS_SERVER;
      r->stream_size.op = DET_OP_GT; r->stream_size.value = 250)
SETUP(s_ss_client, r->stream_size.present = true; r->stream_size.side = DET_SS_CLIENT;
      r->stream_size.op = DET_OP_EQ; r->stream_size.value = 300)
SETUP(s_ss_both_neg, r->stream_size.present = true; r->stream_size.side = DET_SS_BOTH;
      r->stream_size.op = DET_OP_GT; r->stream_size.value = 250)
SETUP(s_ss_either, r->stream_size.present = true; r->stream_size.side = DET_SS_EITHER;
      r->stream_size.op = DET_OP_GT; r->stream_size.value = 250)
SETUP(s_ss_udp, r->stream_size.present = true; r->stream_size.side = DET_SS_EITHER;
      r->stream_size.op = DET_OP_GE; r->stream_size.value = 0; x->f.key.proto = 17)
SETUP(s_list, x->sms[0] = C("index", ""); x->list.sms = x->sms; x->list.n_sms = 1;
      r->lists = &x->list; r->n_lists = 1)
SETUP(s_list_neg, x->sms[0] = C("admin", ""); x->list.sms = x->sms; x->list.n_sms = 1;
      r->lists = &x->list; r->n_lists = 1)
SETUP(s_list_nopayload, x->sms[0] = C("index", ""); x->list.sms = x->sms; x->list.n_sms = 1;
      r->lists = &x->list; r->n_lists = 1; x->mc.payload = NULL; x->mc.payload_len = 0)
SETUP(s_list_empty, x->sms[0] = C("x", "neg"); x->list.sms = x->sms; x->list.n_sms = 1;
      r->lists = &x->list; r->n_lists = 1; x->mc.payload_len = 0)
SETUP(s_list_appbuf, x->sms[0] = C("index", ""); x->list.sms = x->sms; x->list.n_sms = 1;
      x->list.buf = DET_BUF_HTTP_URI; r->lists = &x->list; r->n_lists = 1)
SETUP(s_list_vars_reset, x->sms[0] = C("GET", "offset=$0"); x->list.sms = x->sms; x->list.n_sms = 1;
      r->lists = &x->list; r->n_lists = 1; x->mc.vars[0] = 5)

static void test_match_rule_packet(void **state)
{
    (void)state;
    const struct pkt_row rows[] = {
        {"dsize", s_dsize_eq, true},
        {"dsize/neg", s_dsize_ne, false},
        {"dsize range", s_dsize_range, true},
        {"dsize without packet", s_dsize_nopkt, false},
        {"ttl", s_ttl, true},
        {"ttl/neg", s_ttl_neg, false},
        {"ip_proto", s_ipproto, true},
        {"ip_proto/neg", s_ipproto_neg, false},
        {"flags exact", s_flags_exact, true},
        {"flags exact/neg", s_flags_exact_neg, false},
        {"flags +", s_flags_plus, true},
        {"flags +/neg", s_flags_plus_neg, false},
        {"flags *", s_flags_any, true},
        {"flags */neg", s_flags_any_neg, false},
        {"flags !", s_flags_not, true},
        {"flags !/neg", s_flags_not_neg, false},
        {"flags ignore", s_flags_ignore, true},
        {"flags ignore/neg", s_flags_ignore_neg, false},
        {"flags 0", s_flags_zero, true},
        {"flags on udp", s_flags_udp, false},
        {"itype", s_itype, true},
        {"itype/neg", s_itype_neg, false},
        {"itype on tcp", s_itype_tcp, false},
        {"icode", s_icode, true},
        {"icode/neg", s_icode_neg, false},
        {"icmp_id", s_icmp_id, true},
        {"icmp_id unreachable", s_icmp_id_neg, false},
        {"icmp_seq", s_icmp_seq, true},
        {"icmp_seq/neg", s_icmp_seq_neg, false},
        {"icmpv6 id", s_icmp6_id, true},
        {"tcp.seq", s_seq, true},
        {"tcp.seq/neg", s_seq_neg, false},
        {"tcp.ack", s_ack, true},
        {"window", s_window, true},
        {"window/neg", s_window_neg, false},
        {"app-layer-protocol", s_app, true},
        {"app-layer-protocol/neg", s_app_neg, false},
        {"app-layer-protocol !", s_app_not, true},
        {"app-layer-protocol !/neg", s_app_not_neg, false},
        {"app-layer-protocol ! unknown", s_app_not_unknown, false},
        {"stream_size server", s_ss_server, true},
        {"stream_size server/neg", s_ss_server_neg, false},
        {"stream_size client", s_ss_client, true},
        {"stream_size both/neg", s_ss_both_neg, false},
        {"stream_size either", s_ss_either, true},
        {"stream_size udp", s_ss_udp, false},
        {"payload list", s_list, true},
        {"payload list/neg", s_list_neg, false},
        {"payload absent", s_list_nopayload, false},
        {"payload empty", s_list_empty, false},
        {"app buffer absent", s_list_appbuf, false},
        {"vars reset per rule", s_list_vars_reset, true},
    };
    for (size_t k = 0; k < MM_ARRAY_LEN(rows); k++) {
        struct fx x;
        fx_init(&x);
        struct det_rule r = rule_empty();
        rows[k].setup(&x, &r);
        TC_CHECK(rows[k].name, det_match_rule(&x.mc, &r) == rows[k].want);
        fx_fini(&x);
    }
    tc_done();
}

/* flowbits: set/isset/isnotset/unset/toggle and '|' / '&' lists through det_match_apply. */
static void test_match_rule_flowbits(void **state)
{
    (void)state;
    struct fx x;
    fx_init(&x);
    uint32_t id0[] = {0}, id1[] = {1}, id01[] = {0, 1}, id23[] = {2, 3};
    struct det_flowbit set0 = {DET_BIT_SET, id0, 1, false};
    struct det_flowbit isset0 = {DET_BIT_ISSET, id0, 1, false};
    struct det_flowbit isnotset0 = {DET_BIT_ISNOTSET, id0, 1, false};
    struct det_flowbit unset0 = {DET_BIT_UNSET, id0, 1, false};
    struct det_flowbit toggle01 = {DET_BIT_TOGGLE, id01, 2, false};
    struct det_flowbit isset_all01 = {DET_BIT_ISSET, id01, 2, false};
    struct det_flowbit isset_any01 = {DET_BIT_ISSET, id01, 2, true};
    struct det_flowbit isnotset_any01 = {DET_BIT_ISNOTSET, id01, 2, true};
    struct det_flowbit set1 = {DET_BIT_SET, id1, 1, false};
    struct det_flowbit set23 = {DET_BIT_SET, id23, 2, false};
    struct det_rule r = rule_empty();
    r.n_flowbits = 1;

#define FB(clause) (r.flowbits = &(clause), det_match_rule(&x.mc, &r))
    TC_CHECK("isset before", !FB(isset0));
    TC_CHECK("isnotset before", FB(isnotset0));
    TC_CHECK("no memory before a set", x.fv == NULL);
    TC_CHECK("unset allocates nothing", (FB(unset0), det_match_apply(&x.mc, &r), x.fv == NULL));
    TC_CHECK("set matches", FB(set0));
    det_match_apply(&x.mc, &r);
    TC_CHECK("isset after set", FB(isset0));
    TC_CHECK("isnotset after set", !FB(isnotset0));
    TC_CHECK("all of 0&1", !FB(isset_all01));
    TC_CHECK("any of 0|1", FB(isset_any01));
    TC_CHECK("isnotset any 0|1", FB(isnotset_any01));
    /* toggle 0 and 1: 0 goes off, 1 goes on */
    FB(toggle01);
    det_match_apply(&x.mc, &r);
    TC_CHECK("toggle cleared 0", !FB(isset0));
    TC_CHECK("toggle set 1", (r.flowbits = &isset_any01, det_match_rule(&x.mc, &r)));
    FB(set0);
    det_match_apply(&x.mc, &r);
    TC_CHECK("both set", FB(isset_all01));
    TC_CHECK("isnotset any with both", !FB(isnotset_any01));
    FB(unset0);
    det_match_apply(&x.mc, &r);
    TC_CHECK("unset", !FB(isset0));
    FB(set1);
    det_match_apply(&x.mc, &r);
    FB(set23);
    det_match_apply(&x.mc, &r);
    TC_CHECK("bit 3", det_flowbit_isset(x.fv, 3) && det_flowbit_isset(x.fv, 2));
    /* Two clauses in one rule: both must hold. */
    struct det_flowbit two[2] = {isset0, isnotset0};
    r.flowbits = two;
    r.n_flowbits = 2;
    TC_CHECK("contradiction", !det_match_rule(&x.mc, &r));
    /* No flow: flowbits clauses never match. */
    r.flowbits = &isnotset0;
    r.n_flowbits = 1;
    x.mc.fvars = NULL;
    x.mc.flow = NULL;
    TC_CHECK("no flow", !det_match_rule(&x.mc, &r));
    det_match_apply(&x.mc, &r); /* must not crash */
#undef FB
    fx_fini(&x);
    tc_done();
}

static void test_match_rule_flowint(void **state)
{
    (void)state;
    struct fx x;
    fx_init(&x);
    struct det_rule r = rule_empty();
    struct det_flowint fi;
    r.flowints = &fi;
    r.n_flowints = 1;
    int64_t v = 0;
#define FI(op_, cmp_, val_, vid_)                                                                  \
    (fi =                                                                                          \
         (struct det_flowint){                                                                     \
             .op = (op_), .id = 0, .cmp = (cmp_), .value = (val_), .value_id = (vid_)},            \
     det_match_rule(&x.mc, &r))
    TC_CHECK("isnotset", FI(DET_INT_ISNOTSET, DET_OP_EQ, 0, -1));
    TC_CHECK("isset/neg", !FI(DET_INT_ISSET, DET_OP_EQ, 0, -1));
    TC_CHECK("cmp unset", !FI(DET_INT_CMP, DET_OP_EQ, 0, -1));
    TC_CHECK("sub unset", !FI(DET_INT_SUB, DET_OP_EQ, 1, -1));
    TC_CHECK("add unset", FI(DET_INT_ADD, DET_OP_EQ, 3, -1));
    det_match_apply(&x.mc, &r);
    TC_CHECK("add starts at operand", det_flowint_get(x.fv, 0, &v) && v == 3);
    TC_CHECK("isset", FI(DET_INT_ISSET, DET_OP_EQ, 0, -1));
    TC_CHECK("== 3", FI(DET_INT_CMP, DET_OP_EQ, 3, -1));
    TC_CHECK("> 3/neg", !FI(DET_INT_CMP, DET_OP_GT, 3, -1));
    FI(DET_INT_ADD, DET_OP_EQ, 1, -1);
    det_match_apply(&x.mc, &r);
    TC_CHECK("add", det_flowint_get(x.fv, 0, &v) && v == 4);
    FI(DET_INT_SUB, DET_OP_EQ, 10, -1);
    det_match_apply(&x.mc, &r);
    TC_CHECK("sub", det_flowint_get(x.fv, 0, &v) && v == -6);
    TC_CHECK("< 0", FI(DET_INT_CMP, DET_OP_LT, 0, -1));
    FI(DET_INT_SET, DET_OP_EQ, 7, -1);
    det_match_apply(&x.mc, &r);
    TC_CHECK("set", det_flowint_get(x.fv, 0, &v) && v == 7);
    /* Operand from another flowint (id 1), unset then set. */
    TC_CHECK("var operand unset", !FI(DET_INT_CMP, DET_OP_EQ, 0, 1));
    det_flowint_put(&x.fv, &x.cap, &x.rs, 1, 7);
    TC_CHECK("var operand ==", FI(DET_INT_CMP, DET_OP_EQ, 0, 1));
    TC_CHECK("var operand !=", !FI(DET_INT_CMP, DET_OP_NE, 0, 1));
    FI(DET_INT_ADD, DET_OP_EQ, 0, 1);
    det_match_apply(&x.mc, &r);
    TC_CHECK("add var", det_flowint_get(x.fv, 0, &v) && v == 14);
    TC_CHECK(">= 14", FI(DET_INT_CMP, DET_OP_GE, 14, -1));
    TC_CHECK("<= 13/neg", !FI(DET_INT_CMP, DET_OP_LE, 13, -1));
#undef FI
    fx_fini(&x);
    tc_done();
}

static void test_match_rule_xbits(void **state)
{
    (void)state;
    struct fx x;
    fx_init(&x);
    x.xb = det_xbits_new(1u << 20);
    assert_non_null(x.xb);
    x.mc.xbits = x.xb;
    struct det_rule r = rule_empty();
    struct det_xbit xb;
    r.xbits = &xb;
    r.n_xbits = 1;
#define XB(op_, track_, exp_)                                                                      \
    (xb = (struct det_xbit){.op = (op_), .id = 5, .track = (track_), .expire_s = (exp_)},          \
     det_match_rule(&x.mc, &r))
    TC_CHECK("isset before", !XB(DET_BIT_ISSET, DET_XB_IP_SRC, 0));
    TC_CHECK("isnotset before", XB(DET_BIT_ISNOTSET, DET_XB_IP_SRC, 0));
    XB(DET_BIT_SET, DET_XB_IP_SRC, 10);
    det_match_apply(&x.mc, &r);
    TC_CHECK("isset by src", XB(DET_BIT_ISSET, DET_XB_IP_SRC, 0));
    TC_CHECK("dst is another host", !XB(DET_BIT_ISSET, DET_XB_IP_DST, 0));
    /* The reply (server -> client) has the client as its destination: same host entry. */
    x.mc.pkt = NULL;
    x.mc.dir = 1;
    TC_CHECK("reply: client is dst", XB(DET_BIT_ISSET, DET_XB_IP_DST, 0));
    TC_CHECK("reply: server is src", !XB(DET_BIT_ISSET, DET_XB_IP_SRC, 0));
    /* Pair: either direction. */
    XB(DET_BIT_SET, DET_XB_IP_PAIR, 0);
    det_match_apply(&x.mc, &r);
    x.mc.dir = 0;
    x.mc.pkt = &x.p;
    TC_CHECK("pair other direction", XB(DET_BIT_ISSET, DET_XB_IP_PAIR, 0));
    /* Expiry: 10 s for the host bit, the default 30 s for the pair. */
    x.mc.ts_ns = 1000 + 11 * 1000000000ull;
    TC_CHECK("host bit expired", !XB(DET_BIT_ISSET, DET_XB_IP_SRC, 0));
    TC_CHECK("pair bit lives", XB(DET_BIT_ISSET, DET_XB_IP_PAIR, 0));
    x.mc.ts_ns = 1000 + 31 * 1000000000ull;
    TC_CHECK("pair bit expired", !XB(DET_BIT_ISSET, DET_XB_IP_PAIR, 0));
    /* toggle and unset */
    XB(DET_BIT_TOGGLE, DET_XB_IP_SRC, 0);
    det_match_apply(&x.mc, &r);
    TC_CHECK("toggle on", XB(DET_BIT_ISSET, DET_XB_IP_SRC, 0));
    XB(DET_BIT_TOGGLE, DET_XB_IP_SRC, 0);
    det_match_apply(&x.mc, &r);
    TC_CHECK("toggle off", !XB(DET_BIT_ISSET, DET_XB_IP_SRC, 0));
    XB(DET_BIT_SET, DET_XB_IP_SRC, 0);
    det_match_apply(&x.mc, &r);
    XB(DET_BIT_UNSET, DET_XB_IP_SRC, 0);
    det_match_apply(&x.mc, &r);
    TC_CHECK("unset", !XB(DET_BIT_ISSET, DET_XB_IP_SRC, 0));
    /* No addresses at all: conditions fail, effects are skipped. */
    x.mc.pkt = NULL;
    x.mc.flow = NULL;
    TC_CHECK("no addresses", !XB(DET_BIT_ISNOTSET, DET_XB_IP_SRC, 0));
    /* No table: isnotset holds, isset does not. */
    x.mc.pkt = &x.p;
    x.mc.xbits = NULL;
    TC_CHECK("no table isnotset", XB(DET_BIT_ISNOTSET, DET_XB_IP_SRC, 0));
    TC_CHECK("no table isset", !XB(DET_BIT_ISSET, DET_XB_IP_SRC, 0));
#undef XB
    fx_fini(&x);
    tc_done();
}

/* ---------- rules read by the parser (Suricata's documented examples) ---------- */

struct text_row {
    const char *opts; /* rule options; the header and sid are added */
    const char *payload;
    uint32_t len; /* 0: strlen(payload) */
    bool want;
};

static void test_match_parsed_rules(void **state)
{
    (void)state;
    static const struct text_row rows[] = {
        {"content:\"a\"; content:\"b\"; distance:0; within:1;", "aXaab", 0, true},
        {"content:\"a\"; content:\"b\"; distance:0; within:1;", "aXaXb", 0, false},
        {"content:\"Firefox/3.\"; content:!\"Firefox/3.6.13\"; distance:-10;",
         "User-Agent: Mozilla/5.0 Firefox/3.6.12", 0, true},
        {"content:\"Firefox/3.\"; content:!\"Firefox/3.6.13\"; distance:-10;",
         "User-Agent: Mozilla/5.0 Firefox/3.6.13", 0, false},
        {"content:\"Alice\"; byte_extract:2,0,size; content:\"Bob\"; distance:size; within:3;",
         "\x00\x03qqqBobAlice", 13, true},
        {"content:\"Alice\"; byte_extract:2,0,size; content:\"Bob\"; distance:size; within:3;",
         "\x00\x02qqqBobAlice", 13, false},
        {"content:\"|00 FF|\"; byte_extract:1,0,len,relative; content:\"|5c 00|\"; distance:2; "
         "within:len;",
         "\x00\xff\x04zz\x5c\x00", 7, true},
        {"content:\"|00 FF|\"; byte_extract:1,0,len,relative; content:\"|5c 00|\"; distance:2; "
         "within:len;",
         "\x00\xff\x01zz\x5c\x00", 7, false},
        {"content:\"GET\"; pcre:\"/^GET\\s+\\/admin/i\";", "GET  /admin/x", 0, true},
        {"content:\"GET\"; pcre:\"/^GET\\s+\\/admin/i\";", "GET /index", 0, false},
        {"content:\"foobar\"; byte_test:4,=,1337,1,relative,string,dec;", "foobar 1337", 0, true},
        {"content:\"foobar\"; byte_test:4,=,1337,1,relative,string,dec;", "foobar 1338", 0, false},
        /* nbytes 0 with string: the number is the rest of the buffer (ET on http.content_len) */
        {"byte_test:0,>,100,0,string,dec;", "12345", 0, true},
        {"byte_test:0,>,100,0,string,dec;", "99", 0, false},
        {"byte_test:0,>,100,0,string,dec;", "12x45", 0, false},
        {"content:\"|00 01 00 02|\"; byte_test:2,=,0x03,2,relative;", "\x00\x01\x00\x02zz\x00\x03",
         8, true},
        {"content:\"|00 01 00 02|\"; byte_test:2,!=,0x03,2,relative;", "\x00\x01\x00\x02zz\x00\x03",
         8, false},
        {"content:\".php\"; endswith;", "GET /index.php", 0, true},
        {"content:\".php\"; endswith;", "GET /index.php?a", 0, false},
        {"content:\"GET \"; startswith;", "GET /", 0, true},
        {"content:\"GET \"; startswith;", "xGET /", 0, false},
        {"content:\"USER\"; isdataat:30,relative; content:!\"|0a|\"; within:30;",
         "USER aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 0, true},
        {"content:\"USER\"; isdataat:30,relative; content:!\"|0a|\"; within:30;",
         "USER bob\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0, false},
        {"byte_jump:2,0; byte_jump:2,0,relative; content:\"foobar\"; distance:0; within:6;",
         "\x00\x01z\x00\x02zzfoobar", 13, true},
        {"byte_jump:2,0; byte_jump:2,0,relative; content:\"foobar\"; distance:0; within:6;",
         "\x00\x01z\x00\x03zzfoobar", 13, false},
        {"content:\"abc\"; nocase; content:\"def\"; distance:1; within:4; nocase;", "xABC-DEFx", 0,
         true},
        {"content:\"abc\"; nocase; content:\"def\"; distance:1; within:4; nocase;", "xABC---DEFx",
         0, false},
    };
    struct det_parse_opts opts;
    memset(&opts, 0, sizeof opts);
    for (size_t k = 0; k < MM_ARRAY_LEN(rows); k++) {
        const struct text_row *rw = &rows[k];
        char text[1024], err[256] = "";
        snprintf(text, sizeof text, "alert tcp any any -> any any (msg:\"t\"; %s sid:%zu;)\n",
                 rw->opts, k + 1);
        struct det_ruleset *rsp = calloc(1, sizeof *rsp); /* det_ruleset_free frees it */
        assert_non_null(rsp);
        int rc = det_load_string(&opts, "test", text, strlen(text), rsp, err, sizeof err);
        TC_CHECK(rw->opts, rc == 0);
        if (rsp->n_rules != 1) {
            fprintf(stderr, "rule not loaded: %s: %s\n", text,
                    rsp->n_skips ? rsp->skips[0].reason : err);
            tc_failf("parsed rule", __FILE__, __LINE__, "see the line above");
            det_ruleset_free(rsp);
            continue;
        }
        struct det_match_ctx mc;
        memset(&mc, 0, sizeof mc);
        uint32_t len = rw->len ? rw->len : (uint32_t)strlen(rw->payload);
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, rw->payload, len);
        mc.payload = copy;
        mc.payload_len = len;
        mc.rs = rsp;
        bool got = det_match_rule(&mc, rsp->rules[0]);
        if (got != rw->want)
            fprintf(stderr, "row %zu '%s': got %d want %d\n", k, rw->opts, got, rw->want);
        TC_CHECK(rw->opts, got == rw->want);
        free(copy);
        det_ruleset_free(rsp);
    }
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_list_content),
        cmocka_unit_test(test_match_list_backtrack),
        cmocka_unit_test(test_match_list_variables),
        cmocka_unit_test(test_match_list_pcre),
        cmocka_unit_test(test_match_list_byte_test),
        cmocka_unit_test(test_match_list_byte_jump),
        cmocka_unit_test(test_match_list_isdataat_bsize),
        cmocka_unit_test(test_match_list_budget),
        cmocka_unit_test(test_match_list_pcre_errors),
        cmocka_unit_test(test_match_list_bad_operands),
        cmocka_unit_test(test_match_rule_flow),
        cmocka_unit_test(test_match_rule_packet),
        cmocka_unit_test(test_match_rule_flowbits),
        cmocka_unit_test(test_match_rule_flowint),
        cmocka_unit_test(test_match_rule_xbits),
        cmocka_unit_test(test_match_parsed_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
