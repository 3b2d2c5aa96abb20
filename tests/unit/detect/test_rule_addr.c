/*
 * Rule header addresses and ports (src/detect/rule_addr.c): tables of texts with the ranges
 * they must normalise to (or the error they must give), variables (defaults, overrides,
 * chains, cycles), nesting limits, and the binary-search lookups the engine uses.
 */
#include "detect/rule_addr.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* "a-b a-b|c-d" : v4 ranges, then '|' and v6 ranges; "any" for any. */
static void fmt_addrset(const struct det_addrset *s, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = 0;
    if (s->any) {
        snprintf(out, outlen, "any");
        return;
    }
    for (uint32_t i = 0; i < s->n_v4; i++) {
        char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, s->v4[i].lo, a, sizeof a);
        inet_ntop(AF_INET, s->v4[i].hi, b, sizeof b);
        o += (size_t)snprintf(out + o, outlen - o, "%s%s-%s", i ? " " : "", a, b);
    }
    if (s->n_v6)
        o += (size_t)snprintf(out + o, outlen - o, "|");
    for (uint32_t i = 0; i < s->n_v6; i++) {
        char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, s->v6[i].lo, a, sizeof a);
        inet_ntop(AF_INET6, s->v6[i].hi, b, sizeof b);
        o += (size_t)snprintf(out + o, outlen - o, "%s%s-%s", i ? " " : "", a, b);
    }
}

static void fmt_portset(const struct det_portset *s, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = 0;
    if (s->any) {
        snprintf(out, outlen, "any");
        return;
    }
    for (uint32_t i = 0; i < s->n; i++)
        o += (size_t)snprintf(out + o, outlen - o, "%s%u-%u", i ? " " : "", s->r[i].lo, s->r[i].hi);
}

struct row {
    const char *text;
    const char *want; /* normalised ranges, or NULL for an error */
    const char *err;  /* substring of the error text when want is NULL */
};

#define HOME4 "10.0.0.0-10.255.255.255 172.16.0.0-172.31.255.255 192.168.0.0-192.168.255.255"
#define HOME6 "fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
#define EXT4                                                                                       \
    "0.0.0.0-9.255.255.255 11.0.0.0-172.15.255.255 172.32.0.0-192.167.255.255 "                    \
    "192.169.0.0-255.255.255.255"
#define EXT6                                                                                       \
    "::-fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff fe00::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

static const struct row addr_rows[] = {
    {"any", "any", NULL},
    {"ANY", "any", NULL},
    {" 1.2.3.4 ", "1.2.3.4-1.2.3.4", NULL},
    {"10.1.2.3/8", "10.0.0.0-10.255.255.255", NULL},
    {"192.168.1.0/255.255.255.0", "192.168.1.0-192.168.1.255", NULL},
    {"0.0.0.0/0", "0.0.0.0-255.255.255.255", NULL},
    {"1.2.3.4/32", "1.2.3.4-1.2.3.4", NULL},
    {"1.2.3.10-1.2.3.20", "1.2.3.10-1.2.3.20", NULL},
    {"[1.2.3.4,1.2.3.5,1.2.3.7]", "1.2.3.4-1.2.3.5 1.2.3.7-1.2.3.7", NULL},
    {"[1.2.3.4, [5.6.7.8, [9.9.9.9]]]", "1.2.3.4-1.2.3.4 5.6.7.8-5.6.7.8 9.9.9.9-9.9.9.9", NULL},
    {"[10.0.0.0/8,!10.1.0.0/16]", "10.0.0.0-10.0.255.255 10.2.0.0-10.255.255.255", NULL},
    {"[10.0.0.0/8,!10.0.0.0/9]", "10.128.0.0-10.255.255.255", NULL},
    {"!1.2.3.4",
     "0.0.0.0-1.2.3.3 1.2.3.5-255.255.255.255|::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
    {"[!0.0.0.0/0]", "|::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
    {"2001:db8::/32", "|2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", NULL},
    {"::1", "|::1-::1", NULL},
    {"[::1,1.1.1.1]", "1.1.1.1-1.1.1.1|::1-::1", NULL},
    {"$HOME_NET", HOME4 "|" HOME6, NULL},
    {"$EXTERNAL_NET", EXT4 "|" EXT6, NULL},
    {"!$EXTERNAL_NET", HOME4 "|" HOME6, NULL},
    {"[$HOME_NET,$HTTP_SERVERS]", HOME4 "|" HOME6, NULL},
    {"[$HOME_NET,!10.0.0.0/8]", "172.16.0.0-172.31.255.255 192.168.0.0-192.168.255.255|" HOME6,
     NULL},
    {"[any,!$HOME_NET]", EXT4 "|" EXT6, NULL},
    /* errors */
    {"!any", NULL, "matches no address"},
    {"[1.2.3.4,!1.2.3.4]", NULL, "matches nothing"},
    {"[0.0.0.0/0,::/0,!any]", NULL, "matches nothing"},
    {"", NULL, "empty address"},
    {"[]", NULL, "empty address list"},
    {"[1.2.3.4,,5.6.7.8]", NULL, "empty item"},
    {"[1.2.3.4", NULL, "unbalanced"},
    {"[1.2.3.4]x", NULL, "text after ']'"},
    {"1.2.3.4]", NULL, "bad address"},
    {"256.1.1.1", NULL, "bad address"},
    {"1.2.3", NULL, "bad address"},
    {"1.2.3.4.5", NULL, "bad address"},
    {"1.2.3.4/33", NULL, "bad prefix length"},
    {"1.2.3.4/", NULL, "bad prefix length"},
    {"1.2.3.4/255.0.255.0", NULL, "bad netmask"},
    {"::1/129", NULL, "bad prefix length"},
    {"1.2.3.20-1.2.3.10", NULL, "ends before it starts"},
    {"1.2.3.4-::1", NULL, "bad address range"},
    {"gggg::1", NULL, "bad address"},
    {"$NOPE", NULL, "unknown address variable $NOPE"},
    {"$", NULL, "bad variable name"},
    {"$HOME NET", NULL, "bad variable name"},
    {"[[[[[[[[[[[[[[[[[[1.2.3.4]]]]]]]]]]]]]]]]]]", NULL, "nested deeper than"},
    {"[[[[[[[[[[[[[[[[1.2.3.4]]]]]]]]]]]]]]]]", "1.2.3.4-1.2.3.4", NULL},
    {"!!!!!!!!!!!!!!!!!!!1.2.3.4", NULL, "nested deeper than"},
};

static const struct row port_rows[] = {
    {"any", "any", NULL},
    {"80", "80-80", NULL},
    {"0", "0-0", NULL},
    {"65535", "65535-65535", NULL},
    {"1024:", "1024-65535", NULL},
    {":1023", "0-1023", NULL},
    {"80:90", "80-90", NULL},
    {"!80", "0-79 81-65535", NULL},
    {"[80,443,81]", "80-81 443-443", NULL},
    {"[1024:,!8080]", "1024-8079 8081-65535", NULL},
    {"[!80,!443]", "0-79 81-442 444-65535", NULL},
    {"[21,[22,[23]]]", "21-23", NULL},
    {"[0:65535]", "any", NULL},
    {"$HTTP_PORTS", "80-80", NULL},
    {"$FILE_DATA_PORTS", "80-80 110-110 143-143", NULL},
    {"$SHELLCODE_PORTS", "0-79 81-65535", NULL},
    {"[$HTTP_PORTS,8080]", "80-80 8080-8080", NULL},
    {"!$HTTP_PORTS", "0-79 81-65535", NULL},
    {"65536", NULL, "bad port"},
    {"-1", NULL, "bad port"},
    {"90:80", NULL, "ends before it starts"},
    {":", NULL, "bad port range"},
    {"1:2:3", NULL, "bad port range"},
    {"!any", NULL, "matches no port"},
    {"[80,!80]", NULL, "matches nothing"},
    {"[80", NULL, "unbalanced"},
    {"[]", NULL, "empty port list"},
    {"http", NULL, "bad port"},
    {"$NOPE", NULL, "unknown port variable"},
    {"$HOME_NET", NULL, "unknown port variable"},
    {"[[[[[[[[[[[[[[[[[[80]]]]]]]]]]]]]]]]]]", NULL, "nested deeper than"},
    {"[[[[[[[[[[[[[[[[80]]]]]]]]]]]]]]]]", "80-80", NULL},
};

static void test_det_addr_parse_table(void **state)
{
    (void)state;
    char err[256];
    struct det_vartab *t = det_vartab_new(NULL, err, sizeof err);
    assert_non_null(t);
    for (size_t i = 0; i < sizeof addr_rows / sizeof addr_rows[0]; i++) {
        const struct row *r = &addr_rows[i];
        struct det_addrset s;
        err[0] = 0;
        int rc = det_addr_parse(t, r->text, strlen(r->text), &s, err, sizeof err);
        if (r->want) {
            char got[1024];
            if (rc != 0)
                fail_msg("addr '%s': error '%s'", r->text, err);
            fmt_addrset(&s, got, sizeof got);
            if (strcmp(got, r->want) != 0)
                fail_msg("addr '%s': got '%s', want '%s'", r->text, got, r->want);
        } else {
            if (rc == 0)
                fail_msg("addr '%s': accepted, want error '%s'", r->text, r->err);
            if (!strstr(err, r->err))
                fail_msg("addr '%s': error '%s', want '%s'", r->text, err, r->err);
            assert_false(s.any);
            assert_null(s.v4);
            assert_null(s.v6);
        }
        det_addrset_fini(&s);
    }
    det_vartab_free(t);
}

static void test_det_port_parse_table(void **state)
{
    (void)state;
    char err[256];
    struct det_vartab *t = det_vartab_new(NULL, err, sizeof err);
    assert_non_null(t);
    for (size_t i = 0; i < sizeof port_rows / sizeof port_rows[0]; i++) {
        const struct row *r = &port_rows[i];
        struct det_portset s;
        err[0] = 0;
        int rc = det_port_parse(t, r->text, strlen(r->text), &s, err, sizeof err);
        if (r->want) {
            char got[512];
            if (rc != 0)
                fail_msg("port '%s': error '%s'", r->text, err);
            fmt_portset(&s, got, sizeof got);
            if (strcmp(got, r->want) != 0)
                fail_msg("port '%s': got '%s', want '%s'", r->text, got, r->want);
        } else {
            if (rc == 0)
                fail_msg("port '%s': accepted, want error '%s'", r->text, r->err);
            if (!strstr(err, r->err))
                fail_msg("port '%s': error '%s', want '%s'", r->text, err, r->err);
        }
        det_portset_fini(&s);
    }
    det_vartab_free(t);
}

/* Configured variables override the defaults, and the defaults that refer to them follow. */
static void test_det_vartab_configured(void **state)
{
    (void)state;
    const struct det_var av[] = {
        {"HOME_NET", "[192.0.2.0/24]"},
        {"$DMZ", "[$HOME_NET,198.51.100.1]"},
    };
    const struct det_var pv[] = {{"HTTP_PORTS", "[80,8080]"}};
    struct det_parse_opts o = {
        .addr_vars = av, .n_addr_vars = 2, .port_vars = pv, .n_port_vars = 1};
    char err[256], got[1024];
    struct det_vartab *t = det_vartab_new(&o, err, sizeof err);
    assert_non_null(t);
    struct det_addrset s;
    assert_int_equal(det_addr_parse(t, "$DMZ", 4, &s, err, sizeof err), 0);
    fmt_addrset(&s, got, sizeof got);
    assert_string_equal(got, "192.0.2.0-192.0.2.255 198.51.100.1-198.51.100.1");
    det_addrset_fini(&s);
    assert_int_equal(det_addr_parse(t, "$EXTERNAL_NET", 13, &s, err, sizeof err), 0);
    fmt_addrset(&s, got, sizeof got);
    assert_string_equal(got, "0.0.0.0-192.0.1.255 192.0.3.0-255.255.255.255|"
                             "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    det_addrset_fini(&s);
    struct det_portset p;
    assert_int_equal(det_port_parse(t, "$FILE_DATA_PORTS", 16, &p, err, sizeof err), 0);
    fmt_portset(&p, got, sizeof got);
    assert_string_equal(got, "80-80 110-110 143-143 8080-8080");
    det_portset_fini(&p);
    det_vartab_free(t);
}

struct var_err_row {
    const char *name, *value;
    const char *err;
};

static void test_det_vartab_errors(void **state)
{
    (void)state;
    static const struct var_err_row rows[] = {
        {"HOME_NET", "[1.2.3.4,", "unbalanced"},
        {"HOME_NET", "$HOME_NET", "refers to itself"},
        {"A", "$B", "unknown address variable $B"},
        {"HOME_NET", "any", "EXTERNAL"}, /* accepted itself: checked below */
    };
    char err[256];
    for (size_t i = 0; i < 3; i++) {
        struct det_var v = {rows[i].name, rows[i].value};
        struct det_parse_opts o = {.addr_vars = &v, .n_addr_vars = 1};
        err[0] = 0;
        struct det_vartab *t = det_vartab_new(&o, err, sizeof err);
        if (t)
            fail_msg("var %s='%s' accepted", rows[i].name, rows[i].value);
        if (!strstr(err, rows[i].err))
            fail_msg("var %s='%s': error '%s', want '%s'", rows[i].name, rows[i].value, err,
                     rows[i].err);
    }
    /* Two variables referring to each other. */
    const struct det_var cyc[] = {{"A", "[1.1.1.1,$B]"}, {"B", "[$A]"}};
    struct det_parse_opts oc = {.addr_vars = cyc, .n_addr_vars = 2};
    assert_null(det_vartab_new(&oc, err, sizeof err));
    assert_non_null(strstr(err, "refers to itself"));
    /* HOME_NET any is fine; EXTERNAL_NET (!$HOME_NET) then matches nothing, reported on use
     * and again on the next use (failures are not remembered). */
    struct det_var any = {"HOME_NET", "any"};
    struct det_parse_opts oa = {.addr_vars = &any, .n_addr_vars = 1};
    struct det_vartab *t = det_vartab_new(&oa, err, sizeof err);
    assert_non_null(t);
    for (int k = 0; k < 2; k++) {
        struct det_addrset s;
        assert_int_not_equal(det_addr_parse(t, "$EXTERNAL_NET", 13, &s, err, sizeof err), 0);
        assert_non_null(strstr(err, "EXTERNAL_NET"));
        det_addrset_fini(&s);
    }
    det_vartab_free(t);
    /* Port variable errors. */
    struct det_var pv = {"HTTP_PORTS", "99999"};
    struct det_parse_opts op = {.port_vars = &pv, .n_port_vars = 1};
    assert_null(det_vartab_new(&op, err, sizeof err));
    assert_non_null(strstr(err, "HTTP_PORTS"));
}

/* A chain of variables deeper than DET_LIST_MAX_DEPTH is refused; one just inside works. */
static void test_det_vartab_chain_depth(void **state)
{
    (void)state;
    enum { N = DET_LIST_MAX_DEPTH + 2 };
    char names[N][8], values[N][16];
    struct det_var v[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "V%d", i);
        if (i == N - 1)
            snprintf(values[i], sizeof values[i], "1.2.3.4");
        else
            snprintf(values[i], sizeof values[i], "$V%d", i + 1);
        v[i] = (struct det_var){names[i], values[i]};
    }
    char err[256];
    /* only the last DET_LIST_MAX_DEPTH variables: resolvable */
    struct det_parse_opts ok = {.addr_vars = v + N - DET_LIST_MAX_DEPTH,
                                .n_addr_vars = DET_LIST_MAX_DEPTH};
    struct det_vartab *t = det_vartab_new(&ok, err, sizeof err);
    if (!t)
        fail_msg("chain of %d: %s", DET_LIST_MAX_DEPTH, err);
    det_vartab_free(t);
    /* The whole chain, resolved from its head: too deep. Resolve the head alone so no
     * shorter chain is memoised first. */
    struct det_var head_first[N];
    for (int i = 0; i < N; i++)
        head_first[i] = v[i];
    struct det_parse_opts deep = {.addr_vars = head_first, .n_addr_vars = N};
    assert_null(det_vartab_new(&deep, err, sizeof err));
    if (!strstr(err, "deeper than"))
        fail_msg("chain of %d: '%s'", N, err);
}

struct match_row {
    const char *set;
    const char *addr;
    bool want;
};

static void test_det_addr_match_table(void **state)
{
    (void)state;
    static const struct match_row rows[] = {
        {"any", "1.2.3.4", true},
        {"any", "::1", true},
        {"$HOME_NET", "10.0.0.1", true},
        {"$HOME_NET", "9.255.255.255", false},
        {"$HOME_NET", "11.0.0.0", false},
        {"$HOME_NET", "172.31.255.255", true},
        {"$HOME_NET", "192.168.255.255", true},
        {"$HOME_NET", "192.169.0.0", false},
        {"$HOME_NET", "fd00::1", true},
        {"$HOME_NET", "2001:db8::1", false},
        {"$EXTERNAL_NET", "8.8.8.8", true},
        {"$EXTERNAL_NET", "10.1.1.1", false},
        {"$EXTERNAL_NET", "::1", true},
        {"[1.1.1.1,3.3.3.3,5.5.5.5,7.7.7.7,9.9.9.9]", "1.1.1.1", true},
        {"[1.1.1.1,3.3.3.3,5.5.5.5,7.7.7.7,9.9.9.9]", "9.9.9.9", true},
        {"[1.1.1.1,3.3.3.3,5.5.5.5,7.7.7.7,9.9.9.9]", "5.5.5.5", true},
        {"[1.1.1.1,3.3.3.3,5.5.5.5,7.7.7.7,9.9.9.9]", "4.4.4.4", false},
        {"[1.1.1.1,3.3.3.3,5.5.5.5,7.7.7.7,9.9.9.9]", "0.0.0.0", false},
        {"[1.1.1.1,3.3.3.3,5.5.5.5,7.7.7.7,9.9.9.9]", "255.255.255.255", false},
        {"1.2.3.4", "::1", false},
        {"::/0", "1.2.3.4", false},
        {"::/0", "ffff::", true},
    };
    char err[256];
    struct det_vartab *t = det_vartab_new(NULL, err, sizeof err);
    assert_non_null(t);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct det_addrset s;
        assert_int_equal(det_addr_parse(t, rows[i].set, strlen(rows[i].set), &s, err, sizeof err),
                         0);
        uint8_t a[16] = {0};
        int ver = strchr(rows[i].addr, ':') ? 6 : 4;
        assert_int_equal(inet_pton(ver == 4 ? AF_INET : AF_INET6, rows[i].addr, a), 1);
        if (det_addr_match(&s, a, ver) != rows[i].want)
            fail_msg("%s in %s: want %d", rows[i].addr, rows[i].set, rows[i].want);
        /* an unknown IP version matches only "any" */
        assert_int_equal(det_addr_match(&s, a, 5), s.any);
        det_addrset_fini(&s);
    }
    det_vartab_free(t);
}

static void test_det_port_match_table(void **state)
{
    (void)state;
    static const struct {
        const char *set;
        unsigned port;
        bool want;
    } rows[] = {
        {"any", 0, true},
        {"80", 80, true},
        {"80", 81, false},
        {"!80", 80, false},
        {"!80", 0, true},
        {"!80", 65535, true},
        {"[21:23,80,443,8000:8100]", 22, true},
        {"[21:23,80,443,8000:8100]", 24, false},
        {"[21:23,80,443,8000:8100]", 443, true},
        {"[21:23,80,443,8000:8100]", 8100, true},
        {"[21:23,80,443,8000:8100]", 8101, false},
        {"[21:23,80,443,8000:8100]", 20, false},
        {"1024:", 1023, false},
        {"1024:", 65535, true},
    };
    char err[256];
    struct det_vartab *t = det_vartab_new(NULL, err, sizeof err);
    assert_non_null(t);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct det_portset s;
        assert_int_equal(det_port_parse(t, rows[i].set, strlen(rows[i].set), &s, err, sizeof err),
                         0);
        if (det_port_match(&s, (uint16_t)rows[i].port) != rows[i].want)
            fail_msg("%u in %s: want %d", rows[i].port, rows[i].set, rows[i].want);
        det_portset_fini(&s);
    }
    det_vartab_free(t);
}

/* Many addresses: the result is sorted and disjoint, and every listed address matches. */
static void test_det_addr_parse_large_list(void **state)
{
    (void)state;
    enum { N = 3000 };
    char *text = malloc(N * 20 + 4);
    assert_non_null(text);
    size_t o = 0;
    text[o++] = '[';
    uint32_t x = 12345;
    uint32_t addrs[N];
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        addrs[i] = x;
        o += (size_t)sprintf(text + o, "%s%u.%u.%u.%u", i ? "," : "", x >> 24, (x >> 16) & 255,
                             (x >> 8) & 255, x & 255);
    }
    text[o++] = ']';
    char err[256];
    struct det_vartab *t = det_vartab_new(NULL, err, sizeof err);
    struct det_addrset s;
    assert_int_equal(det_addr_parse(t, text, o, &s, err, sizeof err), 0);
    for (uint32_t i = 1; i < s.n_v4; i++)
        assert_true(memcmp(s.v4[i - 1].hi, s.v4[i].lo, 4) < 0);
    for (int i = 0; i < N; i++) {
        uint8_t a[16] = {(uint8_t)(addrs[i] >> 24), (uint8_t)(addrs[i] >> 16),
                         (uint8_t)(addrs[i] >> 8), (uint8_t)addrs[i]};
        assert_true(det_addr_match(&s, a, 4));
    }
    det_addrset_fini(&s);
    det_vartab_free(t);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_det_addr_parse_table),
        cmocka_unit_test(test_det_port_parse_table),
        cmocka_unit_test(test_det_vartab_configured),
        cmocka_unit_test(test_det_vartab_errors),
        cmocka_unit_test(test_det_vartab_chain_depth),
        cmocka_unit_test(test_det_addr_match_table),
        cmocka_unit_test(test_det_port_match_table),
        cmocka_unit_test(test_det_addr_parse_large_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
