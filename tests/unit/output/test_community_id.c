/*
 * Tests for src/output/community_id.c against the published Community ID baseline
 * (github.com/corelight/community-id-spec, baseline/README.md tables and
 * baseline/baseline_deflt.json). For ICMP rows the spec tables list type and code; the JSON
 * baseline lists the mapped port equivalents, which are converted back to type/code here
 * (neighbor/router solicitation and echo have code 0).
 */
#include "output/community_id.h"

#include "core/mm.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

struct cid_row {
    const char *name;
    uint8_t proto;
    const char *saddr, *daddr; /* textual, v4 or v6 */
    uint16_t sport, dport;     /* ICMP: type, code */
    uint16_t seed;
    const char *want;
};

#define V6A "fe80:0001:0203:0405:0607:0809:0A0B:0C0D"
#define V6B "fe80:1011:1213:1415:1617:1819:1A1B:1C1D"

static const struct cid_row rows[] = {
    /* baseline/README.md, default settings (seed 0) */
    {"TCP out", 6, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
    {"TCP back", 6, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
    {"UDP out", 17, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
    {"UDP back", 17, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
    {"SCTP out", 132, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
    {"SCTP back", 132, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
    {"ICMP echo request", 1, "1.2.3.4", "5.6.7.8", 8, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
    {"ICMP echo reply", 1, "5.6.7.8", "1.2.3.4", 0, 0, 0, "1:crodRHL2FEsHjbv3UkRrfbs4bZ0="},
    {"ICMP one-way (time exceeded)", 1, "1.2.3.4", "5.6.7.8", 11, 0, 0,
     "1:f/YiSyWqczrTgfUCZlBUnvHRcPk="},
    {"ICMP6 echo request", 58, V6A, V6B, 128, 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
    {"ICMP6 echo reply", 58, V6B, V6A, 129, 0, 0, "1:0bf7hyMJUwt3fMED7z8LIfRpBeo="},
    {"ICMP6 one-way (type 146)", 58, V6A, V6B, 146, 0, 0, "1:fYC8+pz24E+EhANP1EZhpX0Dw10="},
    {"RSVP v4 out", 46, "1.2.3.4", "5.6.7.8", 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="},
    {"RSVP v4 back", 46, "5.6.7.8", "1.2.3.4", 0, 0, 0, "1:ikv3kmf89luf73WPz1jOs49S768="},
    {"RSVP v4 ports ignored", 46, "1.2.3.4", "5.6.7.8", 1234, 80, 0,
     "1:ikv3kmf89luf73WPz1jOs49S768="},
    {"RSVP v6 out", 46, V6A, V6B, 0, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},
    {"RSVP v6 back", 46, V6B, V6A, 0, 0, 0, "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0="},

    /* baseline/README.md, seed=1 */
    {"seed1 TCP out", 6, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
    {"seed1 TCP back", 6, "5.6.7.8", "1.2.3.4", 3344, 1122, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
    {"seed1 UDP", 17, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
    {"seed1 SCTP", 132, "5.6.7.8", "1.2.3.4", 3344, 1122, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s="},
    {"seed1 ICMP request", 1, "1.2.3.4", "5.6.7.8", 8, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
    {"seed1 ICMP reply", 1, "5.6.7.8", "1.2.3.4", 0, 0, 1, "1:9pr4ZGTICiuZoIh90RRYE2RyXpU="},
    {"seed1 ICMP one-way", 1, "1.2.3.4", "5.6.7.8", 11, 0, 1, "1:1DD7cWGC/Yg91YGsQeni8du3pIA="},
    {"seed1 ICMP6 request", 58, V6A, V6B, 128, 0, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
    {"seed1 ICMP6 reply", 58, V6B, V6A, 129, 0, 1, "1:IO27GQzPuCtNnwFvjWALMHu5tJE="},
    {"seed1 ICMP6 one-way", 58, V6A, V6B, 146, 0, 1, "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s="},
    {"seed1 RSVP v4", 46, "5.6.7.8", "1.2.3.4", 0, 0, 1, "1:/buhqeOmaRCopOZFy9HnoJd5XW8="},
    {"seed1 RSVP v6", 46, V6A, V6B, 0, 0, 1, "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM="},

    /* baseline/baseline_deflt.json (flows from the spec's pcaps) */
    {"ND solicit", 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, 0,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {"ND advert back", 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, 0,
     "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
    {"ND solicit other way", 58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135,
     0, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
    {"ND advert other way", 58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136,
     0, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
    {"ICMP6 time exceeded", 58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3,
     0, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
    {"ICMP6 unreachable code 4", 58, "3ffe:501:410:0:2c0:dfff:fe47:33e",
     "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, 0, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
    {"ICMP6 echo", 58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0, 0,
     "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {"ICMP6 echo reply", 58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0,
     0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
    {"router solicit", 58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, 0,
     "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
    {"router advert", 58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0, 0,
     "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
    {"ICMP echo", 1, "192.168.0.89", "192.168.0.1", 8, 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {"ICMP echo reply", 1, "192.168.0.1", "192.168.0.89", 0, 0, 0,
     "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
    {"ICMP time exceeded", 1, "10.0.0.1", "10.0.0.2", 11, 0, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
    {"TCP over IPv6", 6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a",
     63943, 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {"TCP over IPv6 back", 6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887",
     25, 63943, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
    {"SCTP same ports", 132, "192.168.170.8", "192.168.170.56", 7, 7, 0,
     "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {"SCTP same ports back", 132, "192.168.170.56", "192.168.170.8", 7, 7, 0,
     "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
    {"TCP HTTP", 6, "128.232.110.120", "66.35.250.204", 34855, 80, 0,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {"TCP HTTP back", 6, "66.35.250.204", "128.232.110.120", 80, 34855, 0,
     "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
    {"UDP DNS", 17, "192.168.1.52", "8.8.8.8", 54585, 53, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {"UDP DNS back", 17, "8.8.8.8", "192.168.1.52", 53, 54585, 0,
     "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
    {"RSVP", 46, "10.1.12.1", "10.1.12.2", 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
    {"RSVP back", 46, "10.1.12.2", "10.1.12.1", 0, 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
};

static int parse_addr(const char *text, uint8_t out[16])
{
    if (inet_pton(AF_INET, text, out) == 1)
        return 4;
    if (inet_pton(AF_INET6, text, out) == 1)
        return 6;
    fail_msg("bad address in test table: %s", text);
    return 0;
}

static void test_out_community_id_spec_baseline(void **state)
{
    (void)state;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        const struct cid_row *r = &rows[i];
        uint8_t sa[16], da[16];
        int v = parse_addr(r->saddr, sa);
        assert_int_equal(parse_addr(r->daddr, da), v);
        char out[OUT_COMMUNITY_ID_BUFLEN];
        int rc = out_community_id(out, sizeof out, v, sa, da, r->proto, r->sport, r->dport,
                                  r->seed);
        if (rc != 0 || strcmp(out, r->want) != 0)
            fail_msg("row '%s': rc %d, got '%s', want '%s'", r->name, rc, out, r->want);
        assert_int_equal(strlen(out), OUT_COMMUNITY_ID_LEN);
    }
}

/* One-way ICMP keeps its direction: the reverse tuple is a different flow. */
static void test_out_community_id_icmp_one_way_not_flipped(void **state)
{
    (void)state;
    uint8_t a[4] = {5, 6, 7, 8}, b[4] = {1, 2, 3, 4};
    char out[OUT_COMMUNITY_ID_BUFLEN];
    assert_int_equal(out_community_id(out, sizeof out, 4, a, b, 1, 11, 0, 0), 0);
    assert_string_not_equal(out, "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=");
}

/* Equal addresses: the ports decide the order, so both directions still match. */
static void test_out_community_id_same_address(void **state)
{
    (void)state;
    uint8_t a[4] = {127, 0, 0, 1};
    char x[OUT_COMMUNITY_ID_BUFLEN], y[OUT_COMMUNITY_ID_BUFLEN];
    assert_int_equal(out_community_id(x, sizeof x, 4, a, a, 6, 40000, 80, 0), 0);
    assert_int_equal(out_community_id(y, sizeof y, 4, a, a, 6, 80, 40000, 0), 0);
    assert_string_equal(x, y);
}

static void test_out_community_id_bad_args(void **state)
{
    (void)state;
    uint8_t a[16] = {0};
    char out[OUT_COMMUNITY_ID_BUFLEN] = "x";
    assert_int_equal(out_community_id(out, sizeof out - 1, 4, a, a, 6, 1, 2, 0), MM_EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(out_community_id(out, sizeof out, 5, a, a, 6, 1, 2, 0), MM_EINVAL);
    assert_int_equal(out_community_id(NULL, 0, 4, a, a, 6, 1, 2, 0), MM_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_out_community_id_spec_baseline),
        cmocka_unit_test(test_out_community_id_icmp_one_way_not_flipped),
        cmocka_unit_test(test_out_community_id_same_address),
        cmocka_unit_test(test_out_community_id_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
