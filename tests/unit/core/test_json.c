/* Tests for src/output/json.c: the EVE JSON builder and its string escaping. */
#include "core/json.h"

#include "core/mm.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- helpers -------------------------------------------------------------------------- */

/* Escape p[0..n) as a top-level string; returns a malloc'd NUL-terminated copy. */
static char *escape_alone(const uint8_t *p, size_t n)
{
    struct jb jb;
    assert_int_equal(jb_init(&jb, 16, 1 << 20), 0);
    assert_int_equal(jb_string_bytes(&jb, NULL, p, n), 0);
    assert_true(jb_complete(&jb));
    char *copy = strdup(jb_cstr(&jb));
    assert_non_null(copy);
    jb_fini(&jb);
    return copy;
}

/*
 * Reference decoder, written independently of json.c: decode one code point at s[i] by its
 * bit pattern, then reject overlongs, surrogates and values above U+10FFFF. An invalid byte
 * yields its own value (what \u00XX means to a JSON reader) and a length of 1.
 */
static uint32_t ref_decode(const uint8_t *s, size_t n, size_t i, size_t *len)
{
    uint8_t c = s[i];
    size_t want;
    uint32_t cp, min;
    if (c < 0x80) {
        *len = 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        want = 2, cp = c & 0x1Fu, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        want = 3, cp = c & 0x0Fu, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        want = 4, cp = c & 0x07u, min = 0x10000;
    } else {
        goto invalid;
    }
    if (n - i < want)
        goto invalid;
    for (size_t k = 1; k < want; k++) {
        if ((s[i + k] & 0xC0) != 0x80)
            goto invalid;
        cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        goto invalid;
    *len = want;
    return cp;
invalid:
    *len = 1;
    return c;
}

/* Expected code points a JSON reader must see for input s[0..n). Returns the count. */
static size_t ref_expect(const uint8_t *s, size_t n, uint32_t *cps)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        size_t len;
        cps[k++] = ref_decode(s, n, i, &len);
        i += len;
    }
    return k;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Strict RFC 8259 string check: s[0..n) must be exactly one JSON string whose raw bytes are
 * valid UTF-8 with no control characters. Decoded code points go to cps. Returns false with
 * a reason in *why on any problem.
 */
static bool parse_json_string(const char *js, size_t n, uint32_t *cps, size_t *ncp,
                              const char **why)
{
    const uint8_t *s = (const uint8_t *)js;
    size_t k = 0;
    if (n < 2 || s[0] != '"' || s[n - 1] != '"') {
        *why = "not quoted";
        return false;
    }
    for (size_t i = 1; i < n - 1;) {
        uint8_t c = s[i];
        if (c == '"') {
            *why = "unescaped quote inside";
            return false;
        }
        if (c < 0x20) {
            *why = "raw control character";
            return false;
        }
        if (c == '\\') {
            if (i + 1 >= n - 1) {
                *why = "dangling backslash";
                return false;
            }
            char e = (char)s[i + 1];
            const char *simple = "\"\\/bfnrt";
            const char *simple_val = "\"\\/\b\f\n\r\t";
            const char *hit = strchr(simple, e);
            if (e && hit) {
                cps[k++] = (uint8_t)simple_val[hit - simple];
                i += 2;
                continue;
            }
            if (e != 'u' || i + 6 > n - 1) {
                *why = "bad escape";
                return false;
            }
            uint32_t v = 0;
            for (int d = 0; d < 4; d++) {
                int h = hexval((char)s[i + 2 + (size_t)d]);
                if (h < 0) {
                    *why = "bad \\u hex";
                    return false;
                }
                v = v << 4 | (uint32_t)h;
            }
            if (v >= 0xD800 && v <= 0xDFFF) {
                *why = "surrogate escape (never produced by jb)";
                return false;
            }
            cps[k++] = v;
            i += 6;
            continue;
        }
        size_t len;
        uint32_t cp = ref_decode(s, n - 1, i, &len);
        if (c >= 0x80 && len == 1) {
            *why = "invalid UTF-8 in output";
            return false;
        }
        cps[k++] = cp;
        i += len;
    }
    *ncp = k;
    return true;
}

/* Check that escaping p[0..n) gives valid JSON decoding to the reference code points. */
static void check_roundtrip(const uint8_t *p, size_t n, const char *label)
{
    char *js = escape_alone(p, n);
    size_t jn = strlen(js);
    uint32_t *got = calloc(jn + 1, sizeof *got);
    uint32_t *want = calloc(n + 1, sizeof *want);
    assert_non_null(got);
    assert_non_null(want);
    size_t ngot = 0, nwant = ref_expect(p, n, want);
    const char *why = NULL;
    if (!parse_json_string(js, jn, got, &ngot, &why))
        fail_msg("%s: output %s is not a valid JSON string: %s", label, js, why);
    if (ngot != nwant || memcmp(got, want, nwant * sizeof *want) != 0)
        fail_msg("%s: output %s decodes to other code points than expected", label, js);
    free(got);
    free(want);
    free(js);
}

/* ---- escaping ------------------------------------------------------------------------- */

/* The expected escape of one byte, derived from the rules in json.h without tables. */
static void expect_single_byte(unsigned b, char *out, size_t outlen)
{
    switch (b) {
    case '"': snprintf(out, outlen, "\"\\\"\""); return;
    case '\\': snprintf(out, outlen, "\"\\\\\""); return;
    case '\b': snprintf(out, outlen, "\"\\b\""); return;
    case '\t': snprintf(out, outlen, "\"\\t\""); return;
    case '\n': snprintf(out, outlen, "\"\\n\""); return;
    case '\f': snprintf(out, outlen, "\"\\f\""); return;
    case '\r': snprintf(out, outlen, "\"\\r\""); return;
    default: break;
    }
    if (b < 0x20 || b >= 0x80) /* a lone byte >= 0x80 is never valid UTF-8 */
        snprintf(out, outlen, "\"\\u%04x\"", b);
    else
        snprintf(out, outlen, "\"%c\"", (char)b); /* includes DEL, which may stay */
}

static void test_jb_string_bytes_every_single_byte(void **state)
{
    (void)state;
    for (unsigned b = 0; b < 256; b++) {
        uint8_t in = (uint8_t)b;
        char want[16];
        expect_single_byte(b, want, sizeof want);
        char *got = escape_alone(&in, 1);
        if (strcmp(got, want) != 0)
            fail_msg("byte 0x%02x: got %s, want %s", b, got, want);
        free(got);

        /* The same byte in the middle of ASCII, and at each position of an 8-byte word. */
        for (size_t pos = 0; pos < 17; pos++) {
            uint8_t buf[17];
            memset(buf, 'a', sizeof buf);
            buf[pos] = in;
            char label[64];
            snprintf(label, sizeof label, "byte 0x%02x at %zu", b, pos);
            check_roundtrip(buf, sizeof buf, label);
        }
    }
}

struct esc_row {
    const char *name;
    const char *in; /* bytes, length given by n */
    size_t n;
    const char *want; /* complete JSON string */
};

#define ROW(name, lit, want) {name, lit, sizeof(lit) - 1, want}

static const struct esc_row esc_rows[] = {
    ROW("empty", "", "\"\""),
    ROW("plain ASCII", "GET /index.html HTTP/1.1", "\"GET /index.html HTTP/1.1\""),
    ROW("long plain ASCII", "abcdefghijklmnopqrstuvwxyz0123456789",
        "\"abcdefghijklmnopqrstuvwxyz0123456789\""),
    ROW("slash and DEL stay", "a/b\x7f", "\"a/b\x7f\""),
    ROW("quote, backslash, controls", "a\"b\\c\n\r\t\b\f\x01\x1f",
        "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\""),
    ROW("NUL in the middle", "a\0b", "\"a\\u0000b\""),
    /* U+00E9 e-acute: C3 A9 */
    ROW("2-byte sequence kept", "caf\xc3\xa9", "\"caf\xc3\xa9\""),
    /* U+20AC euro sign: E2 82 AC */
    ROW("3-byte sequence kept", "\xe2\x82\xac", "\"\xe2\x82\xac\""),
    /* U+1F600: F0 9F 98 80 */
    ROW("4-byte sequence kept", "\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""),
    ROW("smallest 2-byte U+0080", "\xc2\x80", "\"\xc2\x80\""),
    ROW("smallest 3-byte U+0800", "\xe0\xa0\x80", "\"\xe0\xa0\x80\""),
    ROW("smallest 4-byte U+10000", "\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\""),
    ROW("last before surrogates U+D7FF", "\xed\x9f\xbf", "\"\xed\x9f\xbf\""),
    ROW("first after surrogates U+E000", "\xee\x80\x80", "\"\xee\x80\x80\""),
    ROW("noncharacter U+FFFF is still UTF-8", "\xef\xbf\xbf", "\"\xef\xbf\xbf\""),
    ROW("largest code point U+10FFFF", "\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""),
    /* invalid classes: every byte becomes \u00XX */
    ROW("overlong NUL C0 80", "\xc0\x80", "\"\\u00c0\\u0080\""),
    ROW("overlong C1 BF", "\xc1\xbf", "\"\\u00c1\\u00bf\""),
    ROW("overlong 3-byte E0 80 AF", "\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\""),
    ROW("overlong 3-byte E0 9F BF", "\xe0\x9f\xbf", "\"\\u00e0\\u009f\\u00bf\""),
    ROW("overlong 4-byte F0 8F BF BF", "\xf0\x8f\xbf\xbf",
        "\"\\u00f0\\u008f\\u00bf\\u00bf\""),
    ROW("high surrogate U+D800", "\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""),
    ROW("low surrogate U+DFFF", "\xed\xbf\xbf", "\"\\u00ed\\u00bf\\u00bf\""),
    ROW("above U+10FFFF (F4 90)", "\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""),
    ROW("lead F5", "\xf5\x80\x80\x80", "\"\\u00f5\\u0080\\u0080\\u0080\""),
    ROW("bytes FE FF", "\xfe\xff", "\"\\u00fe\\u00ff\""),
    ROW("lone continuation bytes", "a\x80\xbf" "b", "\"a\\u0080\\u00bfb\""),
    ROW("truncated 2-byte at end", "a\xc3", "\"a\\u00c3\""),
    ROW("truncated 3-byte at end", "\xe2\x82", "\"\\u00e2\\u0082\""),
    ROW("truncated 4-byte at end", "\xf0\x9f\x98", "\"\\u00f0\\u009f\\u0098\""),
    ROW("truncated 3-byte before ASCII", "\xe2\x82" "A", "\"\\u00e2\\u0082A\""),
    ROW("truncated sequence before a valid one", "\xe2\xc3\xa9", "\"\\u00e2\xc3\xa9\""),
    ROW("valid after stray continuation", "\x80\xc3\xa9", "\"\\u0080\xc3\xa9\""),
    ROW("latin-1 text", "Stra\xdf" "e", "\"Stra\\u00dfe\""),
};

static void test_jb_string_bytes_utf8_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < MM_ARRAY_LEN(esc_rows); i++) {
        const struct esc_row *r = &esc_rows[i];
        char *got = escape_alone((const uint8_t *)r->in, r->n);
        if (strcmp(got, r->want) != 0)
            fail_msg("row '%s': got %s, want %s", r->name, got, r->want);
        free(got);
        check_roundtrip((const uint8_t *)r->in, r->n, r->name);
    }
}

static void test_jb_string_null_and_keys(void **state)
{
    (void)state;
    struct jb jb;
    assert_int_equal(jb_init(&jb, 0, 4096), 0);
    jb_open_object(&jb, NULL);
    jb_string(&jb, "s", "x");
    jb_string(&jb, "none", NULL);
    jb_string(&jb, "we\"ird\nkey\xff", "v");
    jb_close_object(&jb);
    assert_true(jb_complete(&jb));
    assert_string_equal(jb_cstr(&jb),
                        "{\"s\":\"x\",\"none\":null,\"we\\\"ird\\nkey\\u00ff\":\"v\"}");
    jb_fini(&jb);
}

/* ---- structure ------------------------------------------------------------------------ */

static void test_jb_nesting_and_commas(void **state)
{
    (void)state;
    struct jb jb;
    assert_int_equal(jb_init(&jb, 1, 4096), 0); /* tiny start: exercises growth */

    jb_open_object(&jb, NULL);
    jb_uint(&jb, "a", 1);
    jb_open_array(&jb, "b");
    jb_uint(&jb, NULL, 1);
    jb_int(&jb, NULL, -2);
    jb_open_object(&jb, NULL);
    jb_null(&jb, "c");
    jb_close_object(&jb);
    jb_open_array(&jb, NULL);
    jb_close_array(&jb);
    jb_open_array(&jb, NULL);
    jb_open_array(&jb, NULL);
    jb_bool(&jb, NULL, true);
    jb_close_array(&jb);
    jb_close_array(&jb);
    jb_close_array(&jb);
    jb_open_object(&jb, "d");
    jb_close_object(&jb);
    jb_open_object(&jb, "e");
    jb_bool(&jb, "t", true);
    jb_bool(&jb, "f", false);
    jb_raw(&jb, "raw", "[1,{\"x\":2}]", 11);
    jb_close_object(&jb);
    jb_string(&jb, "z", "end");
    assert_false(jb_complete(&jb)); /* top-level object still open */
    assert_int_equal(jb_close_object(&jb), 0);
    assert_true(jb_complete(&jb));

    assert_string_equal(jb_cstr(&jb), "{\"a\":1,\"b\":[1,-2,{\"c\":null},[],[[true]]],\"d\":{},"
                                      "\"e\":{\"t\":true,\"f\":false,\"raw\":[1,{\"x\":2}]},"
                                      "\"z\":\"end\"}");

    /* reset keeps the buffer and allows a new top-level value */
    char *before = jb.buf;
    jb_reset(&jb);
    assert_int_equal(jb_len(&jb), 0);
    jb_open_array(&jb, NULL);
    jb_string(&jb, NULL, "x");
    jb_close_array(&jb);
    assert_string_equal(jb_cstr(&jb), "[\"x\"]");
    assert_ptr_equal(jb.buf, before);
    jb_fini(&jb);
}

static void test_jb_depth_limit(void **state)
{
    (void)state;
    struct jb jb;
    assert_int_equal(jb_init(&jb, 64, 4096), 0);
    for (int i = 0; i < JB_MAX_DEPTH; i++)
        assert_int_equal(jb_open_array(&jb, NULL), 0);
    assert_int_equal(jb_open_array(&jb, NULL), MM_ELIMIT);
    assert_int_equal(jb_error(&jb), MM_ELIMIT);
    /* closing calls stay safe after the error, however many there are */
    for (int i = 0; i < JB_MAX_DEPTH + 5; i++)
        assert_int_equal(jb_close_array(&jb), MM_ELIMIT);
    assert_int_equal(jb_close_object(&jb), MM_ELIMIT);
    assert_false(jb_complete(&jb));

    jb_reset(&jb);
    for (int i = 0; i < JB_MAX_DEPTH; i++)
        jb_open_object(&jb, i ? "k" : NULL);
    for (int i = 0; i < JB_MAX_DEPTH; i++)
        jb_close_object(&jb);
    assert_true(jb_complete(&jb));
    jb_fini(&jb);
}

/* ---- numbers -------------------------------------------------------------------------- */

static void check_value(void (*emit)(struct jb *), const char *want, const char *label)
{
    struct jb jb;
    assert_int_equal(jb_init(&jb, 8, 1024), 0);
    emit(&jb);
    if (!jb_complete(&jb) || strcmp(jb_cstr(&jb), want) != 0)
        fail_msg("%s: got '%s' (err %d), want '%s'", label, jb_cstr(&jb), jb_error(&jb), want);
    jb_fini(&jb);
}

static void emit_u0(struct jb *jb) { jb_uint(jb, NULL, 0); }
static void emit_umax(struct jb *jb) { jb_uint(jb, NULL, UINT64_MAX); }
static void emit_imin(struct jb *jb) { jb_int(jb, NULL, INT64_MIN); }
static void emit_imax(struct jb *jb) { jb_int(jb, NULL, INT64_MAX); }
static void emit_ineg(struct jb *jb) { jb_int(jb, NULL, -1); }

static void test_jb_integers(void **state)
{
    (void)state;
    check_value(emit_u0, "0", "uint 0");
    check_value(emit_umax, "18446744073709551615", "uint max");
    check_value(emit_imin, "-9223372036854775808", "int min");
    check_value(emit_imax, "9223372036854775807", "int max");
    check_value(emit_ineg, "-1", "int -1");
}

struct dbl_row {
    double v;
    int decimals;
    const char *want;
};

static void test_jb_double_table(void **state)
{
    (void)state;
    const struct dbl_row rows[] = {
        {0.0, 3, "0.000"},
        {1.5, 3, "1.500"},
        {2.5, 0, "3"},          /* half away from zero */
        {-1.25, 1, "-1.3"},     /* half away from zero */
        {-0.0004, 3, "0.000"},  /* rounds to zero: no "-0.000" */
        {-0.0, 2, "0.00"},
        {123456.789012, 6, "123456.789012"},
        {0.1, 9, "0.100000000"},
        {1.0, -4, "1"},         /* decimals clamp to 0 */
        {1.0, 12, "1.000000000"}, /* and to 9 */
        {9007199254740992.0, 2, "9007199254740992.00"},
        {1e300, 2, "1.0000000000000001e+300"},
        {-1e300, 0, "-1.0000000000000001e+300"},
        {NAN, 2, "null"},
        {INFINITY, 2, "null"},
        {-INFINITY, 2, "null"},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        struct jb jb;
        assert_int_equal(jb_init(&jb, 0, 1024), 0);
        jb_open_array(&jb, NULL);
        jb_double(&jb, NULL, rows[i].v, rows[i].decimals);
        jb_close_array(&jb);
        char want[128];
        snprintf(want, sizeof want, "[%s]", rows[i].want);
        if (strcmp(jb_cstr(&jb), want) != 0)
            fail_msg("row %zu (%g, %d): got %s, want %s", i, rows[i].v, rows[i].decimals,
                     jb_cstr(&jb), want);
        jb_fini(&jb);
    }
}

/* ---- size limit ----------------------------------------------------------------------- */

/* Build a fixed event with the given limits; returns the error and copies the JSON. */
static int build_event(size_t initial, size_t max, char *out, size_t outlen)
{
    static const uint8_t payload[] = "line1\nline2\t\"q\"\xc3\xa9\xff end";
    struct jb jb;
    jb_init(&jb, initial, max);
    jb_open_object(&jb, NULL);
    jb_string(&jb, "event_type", "flow");
    jb_uint(&jb, "src_port", 443);
    jb_string_bytes(&jb, "payload", payload, sizeof payload - 1);
    jb_open_array(&jb, "list");
    for (int i = 0; i < 5; i++)
        jb_int(&jb, NULL, -i);
    jb_close_array(&jb);
    jb_double(&jb, "ratio", 0.25, 2);
    jb_close_object(&jb);
    int err = jb_error(&jb);
    assert_true(jb_len(&jb) <= max);
    assert_true(jb.cap <= max + 1);
    snprintf(out, outlen, "%s", jb_cstr(&jb));
    if (err == 0)
        assert_true(jb_complete(&jb));
    jb_fini(&jb);
    return err;
}

static void test_jb_overflow_exact_boundary(void **state)
{
    (void)state;
    char full[512];
    assert_int_equal(build_event(0, 4096, full, sizeof full), 0);
    size_t need = strlen(full);

    for (size_t initial = 0; initial <= 8; initial += 4) {
        for (size_t max = 1; max <= need + 8; max++) {
            char got[512];
            int err = build_event(initial, max, got, sizeof got);
            if (max >= need) {
                if (err != 0 || strcmp(got, full) != 0)
                    fail_msg("max %zu (need %zu): err %d, got %s", max, need, err, got);
            } else if (err != MM_ELIMIT) {
                fail_msg("max %zu (need %zu): err %d, want MM_ELIMIT", max, need, err);
            }
        }
    }
}

static void test_jb_overflow_is_sticky(void **state)
{
    (void)state;
    struct jb jb;
    assert_int_equal(jb_init(&jb, 4, 16), 0);
    jb_open_object(&jb, NULL);
    assert_int_equal(jb_string(&jb, "k", "0123456789abcdef"), MM_ELIMIT);
    size_t len = jb_len(&jb);
    /* everything after the overflow is ignored, and closing stays safe */
    assert_int_equal(jb_uint(&jb, "n", 1), MM_ELIMIT);
    assert_int_equal(jb_close_object(&jb), MM_ELIMIT);
    assert_int_equal(jb_close_array(&jb), MM_ELIMIT);
    assert_int_equal(jb_close_object(&jb), MM_ELIMIT);
    assert_int_equal(jb_len(&jb), len);
    assert_false(jb_complete(&jb));
    /* a reset builder works again within the same limit */
    jb_reset(&jb);
    jb_open_object(&jb, NULL);
    jb_uint(&jb, "n", 1);
    jb_close_object(&jb);
    assert_true(jb_complete(&jb));
    assert_string_equal(jb_cstr(&jb), "{\"n\":1}");
    jb_fini(&jb);

    assert_int_equal(jb_init(&jb, 0, 0), MM_EINVAL);
    assert_int_equal(jb_uint(&jb, NULL, 1), MM_EINVAL);
    jb_fini(&jb);
}

/* A string whose escaped form is much longer than the input must grow past the first guess. */
static void test_jb_escape_growth(void **state)
{
    (void)state;
    uint8_t in[3000];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i % 3 == 0 ? 0x01 : i % 3 == 1 ? 0xff : 'a'); /* 6+6+1 per 3 */
    size_t want_len = 2 + sizeof in / 3 * 13;
    for (size_t max = want_len - 2; max <= want_len + 1; max++) {
        struct jb jb;
        assert_int_equal(jb_init(&jb, 1, max), 0);
        int err = jb_string_bytes(&jb, NULL, in, sizeof in);
        if (max >= want_len) {
            assert_int_equal(err, 0);
            assert_int_equal(jb_len(&jb), want_len);
        } else {
            assert_int_equal(err, MM_ELIMIT);
            assert_true(jb_len(&jb) <= max);
        }
        jb_fini(&jb);
    }
    check_roundtrip(in, sizeof in, "escape growth");
}

/* ---- random input --------------------------------------------------------------------- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* Random bytes biased towards what breaks escapers: UTF-8 fragments, controls, quotes. */
static size_t random_string(uint64_t *rng, uint8_t *out, size_t cap)
{
    static const uint8_t interesting[] = {0x00, 0x1f, '"', '\\', 0x7f, 0x80, 0xbf, 0xc0, 0xc2,
                                          0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 'a'};
    size_t n = (size_t)(rng_next(rng) % cap);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rng_next(rng);
        switch (r % 4) {
        case 0: out[i] = (uint8_t)(r >> 8); break;
        case 1: out[i] = interesting[(r >> 8) % sizeof interesting]; break;
        case 2: out[i] = (uint8_t)(0x80 | ((r >> 8) & 0x3f)); break; /* continuation */
        default: out[i] = (uint8_t)(0x20 + (r >> 8) % 95); break;    /* printable */
        }
    }
    return n;
}

static void test_jb_random_strings_roundtrip(void **state)
{
    (void)state;
    uint64_t rng = 0x243f6a8885a308d3u;
    uint8_t buf[96];
    for (int i = 0; i < 20000; i++) {
        size_t n = random_string(&rng, buf, sizeof buf);
        char label[32];
        snprintf(label, sizeof label, "random string %d", i);
        check_roundtrip(buf, n, label);
    }
}

/*
 * Independent check with Python's json module: a few thousand objects
 * {"in": hex, "s": bytes, "k:<bytes>": bytes} must parse, and the value must equal the input
 * decoded as UTF-8 with each invalid byte mapped to the code point of the same value (also
 * for the key). Skipped when python3 is not installed.
 */
static const char py_check[] =
    "import codecs, json, sys\n"
    "codecs.register_error('bytevalue', lambda e: ("
    "''.join(chr(b) for b in e.object[e.start:e.end]), e.end))\n"
    "bad = 0\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    for n, line in enumerate(f):\n"
    "        obj = json.loads(line.decode('utf-8'))\n"
    "        want = bytes.fromhex(obj['in']).decode('utf-8', 'bytevalue')\n"
    "        kin = bytes.fromhex(obj['in']).replace(b'\\x00', b'\\x01')\n"
    "        key = 'k:' + kin.decode('utf-8', 'bytevalue')\n"
    "        if obj['s'] != want or obj.get(key) != want:\n"
    "            bad += 1\n"
    "            print('line', n + 1, 'mismatch', repr(obj), file=sys.stderr)\n"
    "print(n + 1, 'lines checked, bad', bad)\n"
    "sys.exit(1 if bad else 0)\n";

static void test_jb_random_strings_python(void **state)
{
    (void)state;
    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
        skip();
    const char *tmp = getenv("TMPDIR");
    char dir[256];
    snprintf(dir, sizeof dir, "%s/mm_test_json_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(dir));
    char data_path[300], py_path[300], cmd[700];
    snprintf(data_path, sizeof data_path, "%s/strings.jsonl", dir);
    snprintf(py_path, sizeof py_path, "%s/check.py", dir);

    FILE *py = fopen(py_path, "w");
    assert_non_null(py);
    fputs(py_check, py);
    fclose(py);

    FILE *f = fopen(data_path, "w");
    assert_non_null(f);
    struct jb jb;
    assert_int_equal(jb_init(&jb, 64, 1 << 16), 0);
    uint64_t rng = 0x13198a2e03707344u;
    uint8_t buf[128];
    for (int i = 0; i < 4000; i++) {
        size_t n = random_string(&rng, buf, sizeof buf);
        char hex[2 * sizeof buf + 1] = "";
        for (size_t k = 0; k < n; k++)
            snprintf(hex + 2 * k, 3, "%02x", buf[k]);
        /* the same bytes also as a key (NUL-terminated: 0x00 becomes 0x01), prefixed so that
         * the key cannot collide with "in" or "s" */
        char key[sizeof buf + 3] = "k:";
        for (size_t k = 0; k < n; k++)
            key[2 + k] = buf[k] ? (char)buf[k] : '\x01';
        key[2 + n] = '\0';
        jb_reset(&jb);
        jb_open_object(&jb, NULL);
        jb_string(&jb, "in", hex);
        jb_string_bytes(&jb, "s", buf, n);
        jb_string_bytes(&jb, key, buf, n);
        jb_close_object(&jb);
        assert_true(jb_complete(&jb));
        fwrite(jb_ptr(&jb), 1, jb_len(&jb), f);
        fputc('\n', f);
    }
    jb_fini(&jb);
    assert_int_equal(fclose(f), 0);

    snprintf(cmd, sizeof cmd, "python3 '%s' '%s'", py_path, data_path);
    int rc = system(cmd);
    unlink(data_path);
    unlink(py_path);
    rmdir(dir);
    assert_int_equal(rc, 0);
}

/* jb_raw_members continues an object with members written elsewhere: a comma before them
 * only when the object has members already, none after an empty piece, and the object takes
 * further members as usual; a size limit hit in the middle is sticky. */
static void test_jb_raw_members(void **state)
{
    (void)state;
    struct jb jb;
    assert_int_equal(jb_init(&jb, 0, 4096), 0);
    jb_open_object(&jb, NULL);
    jb_raw_members(&jb, "\"a\":1,\"b\":[2]", 13);
    jb_raw_members(&jb, "", 0);
    jb_uint(&jb, "c", 3);
    jb_open_object(&jb, "d");
    jb_raw_members(&jb, "", 0);
    jb_raw_members(&jb, "\"e\":null", 8);
    jb_close_object(&jb);
    assert_int_equal(jb_close_object(&jb), 0);
    assert_true(jb_complete(&jb));
    assert_string_equal(jb_cstr(&jb), "{\"a\":1,\"b\":[2],\"c\":3,\"d\":{\"e\":null}}");
    jb_fini(&jb);

    assert_int_equal(jb_init(&jb, 0, 16), 0);
    jb_open_object(&jb, NULL);
    assert_int_not_equal(jb_raw_members(&jb, "\"long\":\"0123456789\"", 19), 0);
    assert_int_not_equal(jb_uint(&jb, "x", 1), 0);
    jb_fini(&jb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jb_string_bytes_every_single_byte),
        cmocka_unit_test(test_jb_string_bytes_utf8_table),
        cmocka_unit_test(test_jb_string_null_and_keys),
        cmocka_unit_test(test_jb_nesting_and_commas),
        cmocka_unit_test(test_jb_depth_limit),
        cmocka_unit_test(test_jb_integers),
        cmocka_unit_test(test_jb_double_table),
        cmocka_unit_test(test_jb_overflow_exact_boundary),
        cmocka_unit_test(test_jb_overflow_is_sticky),
        cmocka_unit_test(test_jb_escape_growth),
        cmocka_unit_test(test_jb_random_strings_roundtrip),
        cmocka_unit_test(test_jb_random_strings_python),
        cmocka_unit_test(test_jb_raw_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
