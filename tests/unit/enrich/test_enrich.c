/*
 * Host enrichment (src/enrich/enrich.c, oui.c): HOME_NET with negation and IPv6, the IEEE
 * registry parser on a fixture (quoted commas, doubled quotes, line breaks inside quotes, bad
 * records) and on the installed ieee-data files when present, GeoIP/ASN answers from the
 * MaxMind test databases in ../shared/data/geoip (expected values from its source-data JSON files)
 * and every broken one refused, MAC learning with its filters and its memcap, names learned
 * from DNS responses built here and parsed by the app layer, and the host JSON object.
 */
#include "enrich/enrich.h"

#include <arpa/inet.h>
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

#include "app/dns.h"
#include "app/dns_rec.h"
#include "core/json.h"
#include "core/mm.h"
#include "enrich/oui.h"

#define FIXTURE MM_SOURCE_DIR "/tests/unit/enrich/oui_fixture.csv"
#define GEOIP_DIR MM_SHARED_DIR "/geoip"
#define IEEE_OUI "/usr/share/ieee-data/oui.csv"

/* --- helpers ---------------------------------------------------------------------------- */

static struct mm_addr addr_of(const char *text, int *ver)
{
    struct mm_addr a;
    memset(&a, 0, sizeof a);
    if (inet_pton(AF_INET, text, a.b) == 1) {
        *ver = 4;
    } else {
        assert_int_equal(inet_pton(AF_INET6, text, a.b), 1);
        *ver = 6;
    }
    return a;
}

static struct enrich_net net_of(const char *cidr)
{
    struct enrich_net n;
    memset(&n, 0, sizeof n);
    char buf[64];
    snprintf(buf, sizeof buf, "%s", cidr);
    char *p = buf;
    if (*p == '!') {
        n.negated = true;
        p++;
    }
    char *slash = strchr(p, '/');
    assert_non_null(slash);
    *slash = 0;
    int ver;
    struct mm_addr a = addr_of(p, &ver);
    n.ip_ver = (uint8_t)ver;
    n.prefix = (uint8_t)atoi(slash + 1);
    memcpy(n.addr, a.b, 16);
    return n;
}

/* A context with no files: only HOME_NET and the learned tables. */
static enrich_t *new_plain(const struct enrich_net *nets, size_t n)
{
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    cfg.oui_path = NULL;
    cfg.home_net = nets;
    cfg.n_home_net = n;
    char err[256] = "";
    enrich_t *en = enrich_new(&cfg, err, sizeof err);
    if (!en)
        fail_msg("enrich_new: %s", err);
    return en;
}

static bool is_internal(const enrich_t *en, const char *ip)
{
    int ver;
    struct mm_addr a = addr_of(ip, &ver);
    return enrich_is_internal(en, &a, ver);
}

struct inet_row {
    const char *ip;
    bool internal;
};

static void check_rows(const enrich_t *en, const struct inet_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (is_internal(en, rows[i].ip) != rows[i].internal)
            fail_msg("row %zu: %s should be %s", i, rows[i].ip,
                     rows[i].internal ? "internal" : "external");
}

static bool have_file(const char *path)
{
    return access(path, R_OK) == 0;
}

/* The host object as JSON text (written inside a wrapper object, then unwrapped). */
static char *host_json(enrich_t *en, const char *ip)
{
    struct jb jb;
    assert_int_equal(jb_init(&jb, 0, 1 << 16), 0);
    int ver;
    struct mm_addr a = addr_of(ip, &ver);
    jb_open_object(&jb, NULL);
    enrich_write_host(en, &jb, "h", &a, ver);
    jb_close_object(&jb);
    assert_int_equal(jb_error(&jb), 0);
    const char *s = jb_cstr(&jb);
    size_t len = strlen(s);
    assert_true(len > 6 && !strncmp(s, "{\"h\":", 5) && s[len - 1] == '}');
    char *out = strndup(s + 5, len - 6);
    jb_fini(&jb);
    return out;
}

/* --- HOME_NET --------------------------------------------------------------------------- */

static void test_home_net_default(void **state)
{
    (void)state;
    enrich_t *en = new_plain(NULL, 0);
    static const struct inet_row rows[] = {
        {"10.0.0.1", true},         {"10.255.255.255", true},  {"11.0.0.0", false},
        {"172.15.255.255", false},  {"172.16.0.0", true},      {"172.31.255.255", true},
        {"172.32.0.0", false},      {"192.168.10.5", true},    {"192.169.0.1", false},
        {"169.254.1.1", true},      {"8.8.8.8", false},        {"100.64.0.1", false},
        {"fc00::1", true},          {"fdff:ffff::1", true},    {"fe00::1", false},
        {"fe80::1", true},          {"febf:ffff::1", true},    {"fec0::1", false},
        {"2001:db8::1", false},     {"::ffff:10.1.2.3", true}, {"::ffff:8.8.8.8", false},
        {"::1", false},
    };
    check_rows(en, rows, MM_ARRAY_LEN(rows));
    /* Without a context the same defaults apply (detectors may run without enrichment). */
    assert_true(is_internal(NULL, "192.168.1.1"));
    assert_false(is_internal(NULL, "1.1.1.1"));
    assert_true(is_internal(NULL, "fd12::1"));
    enrich_free(en);
}

static void test_home_net_negation(void **state)
{
    (void)state;
    struct enrich_net nets[] = {
        net_of("10.0.0.0/8"),         net_of("!10.0.5.0/24"),
        net_of("!10.9.9.9/32"),       net_of("2001:db8::/32"),
        net_of("!2001:db8:1::/48"),   net_of("192.168.10.77/24"), /* host bits ignored */
    };
    enrich_t *en = new_plain(nets, MM_ARRAY_LEN(nets));
    static const struct inet_row rows[] = {
        {"10.0.4.255", true},       {"10.0.5.0", false},        {"10.0.5.255", false},
        {"10.0.6.0", true},         {"10.9.9.8", true},         {"10.9.9.9", false},
        {"10.9.9.10", true},        {"192.168.10.1", true},     {"192.168.11.1", false},
        {"172.16.0.1", false},      {"2001:db8::1", true},      {"2001:db8:1::1", false},
        {"2001:db8:1:ffff::1", false}, {"2001:db8:2::1", true}, {"2001:db9::1", false},
        {"fd00::1", false},         {"::ffff:10.0.5.1", false}, {"::ffff:10.0.6.1", true},
    };
    check_rows(en, rows, MM_ARRAY_LEN(rows));
    enrich_free(en);
}

static void test_home_net_only_negated(void **state)
{
    (void)state;
    /* As in Suricata's address groups: only exclusions mean "everything but these". */
    struct enrich_net nets[] = {net_of("!192.168.1.0/24")};
    enrich_t *en = new_plain(nets, 1);
    static const struct inet_row rows[] = {
        {"192.168.1.5", false}, {"192.168.2.5", true}, {"8.8.8.8", true}, {"2001:db8::1", true},
    };
    check_rows(en, rows, MM_ARRAY_LEN(rows));
    enrich_free(en);
}

static void test_home_net_edges(void **state)
{
    (void)state;
    struct enrich_net nets[] = {net_of("0.0.0.0/0"), net_of("!1.2.3.4/32"),
                                net_of("2001:db8::1/128")};
    enrich_t *en = new_plain(nets, MM_ARRAY_LEN(nets));
    static const struct inet_row rows[] = {
        {"0.0.0.0", true},      {"255.255.255.255", true}, {"1.2.3.4", false},
        {"1.2.3.5", true},      {"2001:db8::1", true},     {"2001:db8::2", false},
    };
    check_rows(en, rows, MM_ARRAY_LEN(rows));
    enrich_free(en);
}

static void test_home_net_invalid(void **state)
{
    (void)state;
    struct enrich_config cfg;
    char err[256];
    struct enrich_net bad[] = {net_of("10.0.0.0/8"), net_of("10.0.0.0/8")};
    bad[1].prefix = 33;
    enrich_config_defaults(&cfg);
    cfg.oui_path = NULL;
    cfg.home_net = bad;
    cfg.n_home_net = 2;
    err[0] = 0;
    assert_null(enrich_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "HOME_NET block 2"));
    bad[1].prefix = 8;
    bad[1].ip_ver = 5;
    err[0] = 0;
    assert_null(enrich_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "HOME_NET"));
    struct enrich_net v6 = net_of("2001:db8::/128");
    v6.prefix = 129;
    cfg.home_net = &v6;
    cfg.n_home_net = 1;
    assert_null(enrich_new(&cfg, err, sizeof err));
}

/* --- OUI -------------------------------------------------------------------------------- */

struct mac_row {
    uint8_t mac[6];
    const char *vendor; /* NULL: none */
};

static const struct mac_row fixture_rows[] = {
    {{0x00, 0x09, 0x0f, 0x12, 0x34, 0x56}, "Fortinet, Inc."},    /* quoted comma */
    {{0xd4, 0xbe, 0xd9, 0x00, 0x00, 0x01}, "Dell Inc."},
    {{0x00, 0x1e, 0xfc, 0x00, 0x00, 0x01}, "JSC \"MASSA-K\""},    /* doubled quotes */
    {{0xa0, 0x47, 0xd7, 0xff, 0xff, 0xff}, "Best IT World (India) Pvt Ltd"}, /* CRLF in quotes */
    {{0x00, 0x01, 0xc8, 0x00, 0x00, 0x00}, "THOMAS CONRAD CORP."}, /* first of duplicates */
    {{0x70, 0xb3, 0xd5, 0xf2, 0xf0, 0x01}, "TELEPLATFORMS"},      /* MA-S, 36 bits */
    {{0x70, 0xb3, 0xd5, 0xf2, 0xef, 0xff}, "IEEE Registration Authority"}, /* just below it */
    {{0x70, 0xb3, 0xd5, 0x10, 0x00, 0x00}, "Example Medium Block Ltd"},    /* MA-M, 28 bits */
    {{0x70, 0xb3, 0xd5, 0x1f, 0xff, 0xff}, "Example Medium Block Ltd"},
    {{0x70, 0xb3, 0xd5, 0x20, 0x00, 0x00}, "IEEE Registration Authority"}, /* MA-L, 24 bits */
    {{0x00, 0x50, 0xc2, 0x7d, 0x50, 0x00}, "DEUTA-WERKE GmbH"},   /* IAB */
    {{0x00, 0x50, 0xc2, 0x7d, 0x40, 0x00}, NULL},                 /* beside the IAB block */
    {{0x0a, 0x0b, 0x0c, 0x00, 0x00, 0x00}, NULL},                 /* 0x0a: locally administered */
    {{0x0c, 0x0d, 0x0e, 0x01, 0x02, 0x03}, "\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 Vendor GmbH"},
    {{0x10, 0x34, 0x56, 0x00, 0x00, 0x00}, "Quoted Assignment Co"},
    {{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}, NULL},                 /* locally administered */
    {{0x01, 0x09, 0x0f, 0x00, 0x00, 0x01}, NULL},                 /* group address */
    {{0xfe, 0xdc, 0xba, 0x00, 0x00, 0x00}, NULL},                 /* unterminated quote: not kept */
    {{0xab, 0xcd, 0xef, 0x00, 0x00, 0x00}, NULL},                 /* every ABCDEF line is bad */
    {{0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, NULL},
};

static void check_macs(const struct enrich_oui *db, const struct mac_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = enrich_oui_lookup(db, rows[i].mac);
        if ((v == NULL) != (rows[i].vendor == NULL) || (v && strcmp(v, rows[i].vendor)))
            fail_msg("row %zu: got \"%s\", want \"%s\"", i, v ? v : "(none)",
                     rows[i].vendor ? rows[i].vendor : "(none)");
    }
}

static void test_oui_fixture(void **state)
{
    (void)state;
    struct enrich_oui *db = enrich_oui_new();
    assert_non_null(db);
    struct enrich_oui_result res = {0};
    assert_int_equal(enrich_oui_load_file(db, FIXTURE, &res), 0);
    /* 14 good records (one a duplicate), 9 bad ones; the header and a blank line are no
     * records. */
    assert_int_equal(res.records, 23);
    assert_int_equal(res.added, 14);
    assert_int_equal(res.rejected, 9);
    enrich_oui_finish(db);
    assert_int_equal(enrich_oui_count(db), 13);
    check_macs(db, fixture_rows, MM_ARRAY_LEN(fixture_rows));
    enrich_oui_free(db);
}

static void test_oui_buffer_limits(void **state)
{
    (void)state;
    struct enrich_oui *db = enrich_oui_new();
    struct enrich_oui_result res = {0};
    /* Empty input, and a last record without a line break. */
    assert_int_equal(enrich_oui_parse_buffer(db, "", 0, &res), 0);
    assert_int_equal(res.records, 0);
    const char *tail = "MA-L,00BB00,No Newline Ltd,x";
    assert_int_equal(enrich_oui_parse_buffer(db, tail, strlen(tail), &res), 0);
    assert_int_equal(res.added, 1);

    /* A quote that never closes swallows what follows, but only up to the record limit:
     * the parser resynchronises on the first line break after it. */
    size_t cap = 3 * ENRICH_OUI_MAX_RECORD;
    char *buf = malloc(cap);
    size_t len = (size_t)snprintf(buf, cap, "MA-L,00BB01,\"Broken quote,x\n");
    unsigned lines = 0;
    while (len + 64 < 2 * ENRICH_OUI_MAX_RECORD) {
        len += (size_t)snprintf(buf + len, cap - len, "MA-L,CC%04X,Swallowed %u,x\n", lines,
                                lines);
        lines++;
    }
    len += (size_t)snprintf(buf + len, cap - len, "MA-L,00BB02,After Resync,x\n");
    memset(&res, 0, sizeof res);
    assert_int_equal(enrich_oui_parse_buffer(db, buf, len, &res), 0);
    assert_true(res.rejected >= 1);
    assert_true(res.added >= 1 && res.added < lines);

    /* A name longer than the limit is cut, at a character boundary: 254 bytes of 'a', then a
     * two-byte character that would end at byte 256. */
    len = (size_t)snprintf(buf, cap, "MA-L,00BB03,");
    memset(buf + len, 'a', 254);
    len += 254;
    len += (size_t)snprintf(buf + len, cap - len, "\xc3\xa9" "bbbb,x\n");
    assert_int_equal(enrich_oui_parse_buffer(db, buf, len, NULL), 0);
    free(buf);

    enrich_oui_finish(db);
    const uint8_t m0[6] = {0x00, 0xbb, 0x00, 1, 2, 3};
    const uint8_t m1[6] = {0x00, 0xbb, 0x01, 1, 2, 3};
    const uint8_t m2[6] = {0x00, 0xbb, 0x02, 1, 2, 3};
    const uint8_t m3[6] = {0x00, 0xbb, 0x03, 1, 2, 3};
    assert_string_equal(enrich_oui_lookup(db, m0), "No Newline Ltd");
    assert_null(enrich_oui_lookup(db, m1));
    assert_string_equal(enrich_oui_lookup(db, m2), "After Resync");
    const char *longname = enrich_oui_lookup(db, m3);
    assert_non_null(longname);
    assert_int_equal(strlen(longname), 254);
    enrich_oui_free(db);
}

static void test_oui_through_enrich(void **state)
{
    (void)state;
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    cfg.oui_path = FIXTURE;
    char err[256] = "";
    enrich_t *en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    const uint8_t fortinet[6] = {0x00, 0x09, 0x0f, 1, 2, 3};
    assert_string_equal(enrich_mac_vendor(en, fortinet), "Fortinet, Inc.");
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_int_equal(st.oui_entries, 13);
    enrich_free(en);

    /* A configured file that is missing is an error naming it. */
    cfg.oui_path = "/nonexistent/oui.csv";
    err[0] = 0;
    assert_null(enrich_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/oui.csv"));
    /* A file with no registry records at all is refused too. */
    cfg.oui_path = MM_SOURCE_DIR "/tests/unit/enrich/CMakeLists.txt";
    assert_null(enrich_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "no MA-L"));
    /* No file: no vendors, no error. */
    cfg.oui_path = "";
    en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    assert_null(enrich_mac_vendor(en, fortinet));
    enrich_free(en);
}

static void test_oui_ieee_data(void **state)
{
    (void)state;
    if (!have_file(IEEE_OUI)) {
        printf("SKIP test_oui_ieee_data: %s not installed (Debian package ieee-data)\n",
               IEEE_OUI);
        return;
    }
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    char err[256] = "";
    enrich_t *en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_true(st.oui_entries > 30000);
    const uint8_t fortinet[6] = {0x00, 0x09, 0x0f, 0xaa, 0xbb, 0xcc};
    const uint8_t dell[6] = {0xd4, 0xbe, 0xd9, 0x01, 0x02, 0x03};
    assert_string_equal(enrich_mac_vendor(en, fortinet), "Fortinet, Inc.");
    assert_string_equal(enrich_mac_vendor(en, dell), "Dell Inc.");
    if (have_file("/usr/share/ieee-data/oui36.csv")) {
        /* 70:B3:D5 is the IEEE's own MA-L; the MA-S block inside it names the owner. */
        const uint8_t mas[6] = {0x70, 0xb3, 0xd5, 0xf2, 0xf0, 0x01};
        assert_string_equal(enrich_mac_vendor(en, mas), "TELEPLATFORMS");
    }
    enrich_free(en);
}

/* --- GeoIP ------------------------------------------------------------------------------ */

struct geo_row {
    const char *ip;
    const char *country; /* "" when none */
    uint32_t asn;
    const char *as_org; /* NULL when none */
};

static enrich_t *new_geo(const char *const *files, size_t n, char *err, size_t errlen)
{
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    cfg.oui_path = NULL;
    static char paths[ENRICH_MAX_GEOIP][512];
    for (size_t i = 0; i < n; i++) {
        snprintf(paths[i], sizeof paths[i], "%s/%s", GEOIP_DIR, files[i]);
        cfg.geoip_paths[i] = paths[i];
    }
    cfg.n_geoip = n;
    err[0] = 0;
    return enrich_new(&cfg, err, errlen);
}

static void check_geo(enrich_t *en, const struct geo_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ver;
        struct mm_addr a = addr_of(rows[i].ip, &ver);
        struct enrich_host h;
        enrich_lookup(en, &a, ver, &h);
        if (strcmp(h.country, rows[i].country) || h.asn != rows[i].asn ||
            (h.as_org == NULL) != (rows[i].as_org == NULL) ||
            (h.as_org && strcmp(h.as_org, rows[i].as_org)))
            fail_msg("row %zu (%s): got %s/%u/%s, want %s/%u/%s", i, rows[i].ip, h.country,
                     h.asn, h.as_org ? h.as_org : "-", rows[i].country, rows[i].asn,
                     rows[i].as_org ? rows[i].as_org : "-");
    }
}

static bool geoip_present(const char *test)
{
    if (have_file(GEOIP_DIR "/GeoIP2-City-Test.mmdb"))
        return true;
    printf("SKIP %s: MaxMind test databases not found in %s\n", test, GEOIP_DIR);
    return false;
}

static void test_geoip_city_asn(void **state)
{
    (void)state;
    if (!geoip_present("test_geoip_city_asn"))
        return;
    /* Expected values from ../shared/data/geoip/source-data/GeoIP2-City-Test.json and
     * GeoLite2-ASN-Test.json. */
    static const struct geo_row rows[] = {
        {"81.2.69.142", "GB", 0, NULL}, /* no ASN entry covers it */
        {"216.160.83.56", "US", 209, NULL},
        {"89.160.20.112", "SE", 29518, "Bredband2 AB"},
        {"175.16.199.1", "CN", 0, NULL},
        {"2001:218::1", "JP", 0, NULL},
        {"1.0.0.1", "", 15169, "Google Inc."},
        {"12.81.96.1", "", 7018, NULL},
        {"149.101.100.1", "US", 6167, "CELLCO-PART"},
        {"2001:1700::1", "", 6730, "Sunrise Communications AG"},
        {"214.1.1.1", "", 721, "DoD Network Information Center"}, /* a city entry, no country */
        {"192.168.1.1", "", 0, NULL},
        {"::1", "", 0, NULL},
    };
    static const char *const files[] = {"GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb"};
    char err[512];
    enrich_t *en = new_geo(files, 2, err, sizeof err);
    if (!en)
        fail_msg("enrich_new: %s", err);
    check_geo(en, rows, MM_ARRAY_LEN(rows));
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_int_equal(st.geoip_databases, 2);
    assert_true(st.geoip_lookups >= MM_ARRAY_LEN(rows));
    assert_int_equal(st.geoip_errors, 0);
    enrich_free(en);

    /* The order of the databases does not change the answers. */
    static const char *const rev[] = {"GeoLite2-ASN-Test.mmdb", "GeoIP2-City-Test.mmdb"};
    en = new_geo(rev, 2, err, sizeof err);
    assert_non_null(en);
    check_geo(en, rows, MM_ARRAY_LEN(rows));
    enrich_free(en);
}

static void test_geoip_country_and_ipv4_only(void **state)
{
    (void)state;
    if (!geoip_present("test_geoip_country_and_ipv4_only"))
        return;
    /* GeoIP2-Country-Test.json; then an IPv4-only database asked about IPv6: no answer and
     * no error. */
    static const struct geo_row rows[] = {
        {"217.65.48.1", "GI", 0, NULL},
        {"74.209.24.1", "US", 0, NULL},
        {"2001:db8::1", "", 0, NULL},
        {"10.0.0.1", "", 0, NULL},
    };
    static const char *const files[] = {"GeoIP2-Country-Test.mmdb",
                                        "MaxMind-DB-test-ipv4-24.mmdb"};
    char err[512];
    enrich_t *en = new_geo(files, 2, err, sizeof err);
    if (!en)
        fail_msg("enrich_new: %s", err);
    check_geo(en, rows, MM_ARRAY_LEN(rows));
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_int_equal(st.geoip_errors, 0);
    enrich_free(en);
}

static void test_geoip_broken(void **state)
{
    (void)state;
    if (!geoip_present("test_geoip_broken"))
        return;
    static const char *const broken[] = {
        "GeoIP2-City-Test-Broken-Double-Format.mmdb",
        "MaxMind-DB-test-broken-pointers-24.mmdb",
        "MaxMind-DB-test-broken-search-tree-24.mmdb",
        "GeoIP2-City-Test-Invalid-Node-Count.mmdb",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(broken); i++) {
        char err[512];
        const char *files[2] = {"GeoLite2-ASN-Test.mmdb", broken[i]};
        enrich_t *en = new_geo(files, 2, err, sizeof err);
        if (en) {
            enrich_free(en);
            fail_msg("%s was accepted", broken[i]);
        }
        /* The message names the file and says what is wrong with it. */
        if (!strstr(err, broken[i]) || strlen(err) < strlen(broken[i]) + 20)
            fail_msg("%s: unclear error \"%s\"", broken[i], err);
    }
    /* A file that is not a database at all, and one that does not exist. */
    char err[512];
    const char *notdb[] = {"source-data/GeoLite2-ASN-Test.json"};
    assert_null(new_geo(notdb, 1, err, sizeof err));
    assert_non_null(strstr(err, "GeoLite2-ASN-Test.json"));
    const char *missing[] = {"no-such-file.mmdb"};
    assert_null(new_geo(missing, 1, err, sizeof err));
    assert_non_null(strstr(err, "no-such-file.mmdb"));
}

static void test_geoip_every_test_db(void **state)
{
    (void)state;
    if (!geoip_present("test_geoip_every_test_db"))
        return;
    /* Every other database of the test set opens and answers lookups without errors,
     * whatever it holds (the decoder test files have strings where maps are expected). */
    static const char *const files[] = {
        "GeoIP-Anonymous-Plus-Test.mmdb",   "GeoIP2-Enterprise-Test.mmdb",
        "GeoIP2-ISP-Test.mmdb",             "GeoIP2-Domain-Test.mmdb",
        "MaxMind-DB-test-decoder.mmdb",     "MaxMind-DB-test-nested.mmdb",
        "MaxMind-DB-no-ipv4-search-tree.mmdb", "MaxMind-DB-test-pointer-decoder.mmdb",
    };
    static const char *const ips[] = {"1.1.1.1",  "1.1.1.3",     "81.2.69.142", "::1.1.1.1",
                                      "2001:218::1", "::",       "214.78.120.1", "1.2.3.4"};
    for (size_t i = 0; i < MM_ARRAY_LEN(files); i++) {
        char err[512];
        enrich_t *en = new_geo(&files[i], 1, err, sizeof err);
        if (!en)
            fail_msg("%s: %s", files[i], err);
        for (size_t k = 0; k < MM_ARRAY_LEN(ips); k++) {
            char *js = host_json(en, ips[k]);
            free(js);
        }
        struct enrich_stats st;
        enrich_get_stats(en, &st);
        if (st.geoip_errors)
            fail_msg("%s: %llu lookup errors", files[i], (unsigned long long)st.geoip_errors);
        enrich_free(en);
    }
    /* The ISP database carries AS numbers and organisations too. */
    const char *isp[] = {"GeoIP2-ISP-Test.mmdb"};
    char err[512];
    enrich_t *en = new_geo(isp, 1, err, sizeof err);
    assert_non_null(en);
    static const struct geo_row rows[] = {{"1.128.0.1", "", 1221, "Telstra Pty Ltd"}};
    check_geo(en, rows, 1);
    enrich_free(en);
    /* The Enterprise database has them under "traits" (values as libmaxminddb reads them;
     * there is no source JSON for this file in the test set). */
    const char *ent[] = {"GeoIP2-Enterprise-Test.mmdb"};
    en = new_geo(ent, 1, err, sizeof err);
    assert_non_null(en);
    static const struct geo_row erows[] = {
        {"74.209.24.1", "US", 14671, "FairPoint Communications"},
        {"216.160.83.56", "US", 209, NULL},
        {"81.2.69.160", "GB", 0, NULL},
    };
    check_geo(en, erows, MM_ARRAY_LEN(erows));
    enrich_free(en);
}

/* --- MAC learning ----------------------------------------------------------------------- */

static struct packet pkt_of(const char *src, const uint8_t *mac, uint8_t proto, uint8_t flags,
                            uint64_t ts)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    int ver;
    p.src = addr_of(src, &ver);
    p.ip_ver = (uint8_t)ver;
    p.proto = proto;
    p.tcp_flags = flags;
    p.flags = PKT_F_L4;
    p.mac_src = mac;
    p.ts_ns = ts;
    return p;
}

static bool mac_of(enrich_t *en, const char *ip, uint8_t out[6])
{
    int ver;
    struct mm_addr a = addr_of(ip, &ver);
    struct enrich_host h;
    enrich_lookup(en, &a, ver, &h);
    if (h.has_mac)
        memcpy(out, h.mac, 6);
    return h.has_mac;
}

static void test_mac_learning(void **state)
{
    (void)state;
    enrich_t *en = new_plain(NULL, 0);
    static const uint8_t m1[6] = {0x00, 0x09, 0x0f, 0xaa, 0xbb, 0xcc};
    static const uint8_t m2[6] = {0xd4, 0xbe, 0xd9, 0x01, 0x02, 0x03};
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};
    static const uint8_t zero[6] = {0};
    uint8_t got[6];

    /* A TCP segment without SYN teaches nothing; the SYN does. */
    struct packet p = pkt_of("192.168.10.5", m1, 6, TCP_ACK, 1);
    enrich_packet(en, &p);
    assert_false(mac_of(en, "192.168.10.5", got));
    p.tcp_flags = TCP_SYN;
    enrich_packet(en, &p);
    assert_true(mac_of(en, "192.168.10.5", got));
    assert_memory_equal(got, m1, 6);
    /* A server's SYN-ACK and any UDP datagram count too. */
    p = pkt_of("192.168.10.6", m2, 6, TCP_SYN | TCP_ACK, 2);
    enrich_packet(en, &p);
    assert_true(mac_of(en, "192.168.10.6", got));
    p = pkt_of("fd00::7", m2, 17, 0, 3);
    enrich_packet(en, &p);
    assert_true(mac_of(en, "fd00::7", got));
    assert_memory_equal(got, m2, 6);

    /* The latest MAC wins (a DHCP lease moved to another machine). */
    p = pkt_of("192.168.10.5", m2, 17, 0, 4);
    enrich_packet(en, &p);
    assert_true(mac_of(en, "192.168.10.5", got));
    assert_memory_equal(got, m2, 6);

    /* Not learned: external sources, group and zero MACs, tunnelled packets, no MAC. */
    p = pkt_of("8.8.8.8", m1, 17, 0, 5);
    enrich_packet(en, &p);
    assert_false(mac_of(en, "8.8.8.8", got));
    p = pkt_of("192.168.10.20", bcast, 17, 0, 6);
    enrich_packet(en, &p);
    p = pkt_of("192.168.10.20", mcast, 17, 0, 6);
    enrich_packet(en, &p);
    p = pkt_of("192.168.10.20", zero, 17, 0, 6);
    enrich_packet(en, &p);
    p = pkt_of("192.168.10.20", m1, 17, 0, 6);
    p.tunnel_depth = 1;
    enrich_packet(en, &p);
    p = pkt_of("192.168.10.20", NULL, 17, 0, 6);
    enrich_packet(en, &p);
    assert_false(mac_of(en, "192.168.10.20", got));
    /* The IPv4 and the IPv6 key spaces do not mix: 192.168.10.5 as the first bytes of an
     * IPv6 address is another host. */
    struct mm_addr a;
    memset(&a, 0, sizeof a);
    a.b[0] = 192, a.b[1] = 168, a.b[2] = 10, a.b[3] = 5;
    struct enrich_host h;
    enrich_lookup(en, &a, 6, &h);
    assert_false(h.has_mac);

    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_int_equal(st.mac_entries, 3);
    assert_int_equal(st.mac_evicted, 0);
    enrich_free(en);
}

static void ip_n(char *out, size_t n, unsigned i)
{
    snprintf(out, n, "10.1.%u.%u", (i >> 8) & 255, i & 255);
}

/* A MAC in front of mac-shared-hosts internal addresses within an hour is a router's: those
 * addresses are not learned, and it is reported for none of them. */
static void test_mac_shared(void **state)
{
    (void)state;
    enrich_t *en = new_plain(NULL, 0);
    static const uint8_t router[6] = {0x00, 0x09, 0x0f, 0x3a, 0x10, 0x01};
    static const uint8_t pc[6] = {0x00, 0x09, 0x0f, 0x00, 0x00, 0x05};
    const uint64_t s = 1000000000ull, hour = 3600 * s;
    uint8_t got[6];
    char ip[32];

    /* A PC with an IPv4 address, a unique-local and a link-local IPv6 address, and a second
     * IPv4 address an hour later, many times over: its own MAC stays reported. */
    for (unsigned k = 0; k < 20; k++) {
        const char *mine[3] = {"192.168.10.5", "fd00::5", "fe80::205"};
        for (size_t i = 0; i < 3; i++) {
            struct packet p = pkt_of(mine[i], pc, 17, 0, k * s);
            enrich_packet(en, &p);
        }
    }
    struct packet p = pkt_of("192.168.10.6", pc, 17, 0, hour + 1);
    enrich_packet(en, &p);
    assert_true(mac_of(en, "fd00::5", got));
    assert_memory_equal(got, pc, 6);
    assert_true(mac_of(en, "192.168.10.6", got));

    /* Hosts of other subnets seen through the router: the first seven are learned (with the
     * router's MAC), the eighth makes the MAC shared. From then on nothing with that MAC is
     * learned, and the router's MAC is reported for none of them. */
    for (unsigned i = 0; i < 7; i++) {
        ip_n(ip, sizeof ip, i);
        p = pkt_of(ip, router, 6, TCP_SYN, 2 * hour + i);
        enrich_packet(en, &p);
        enrich_packet(en, &p); /* the same address again counts once */
    }
    assert_true(mac_of(en, "10.1.0.6", got));
    assert_memory_equal(got, router, 6);
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_int_equal(st.mac_shared, 0);
    for (unsigned i = 7; i < 100; i++) {
        ip_n(ip, sizeof ip, i);
        p = pkt_of(ip, router, 6, TCP_SYN, 2 * hour + i);
        enrich_packet(en, &p);
    }
    enrich_get_stats(en, &st);
    assert_int_equal(st.mac_shared, 1);
    assert_int_equal(st.mac_shared_skipped, 93); /* addresses 7..99 */
    assert_int_equal(st.mac_entries, 4 + 7);    /* the PC's four, the router's first seven */
    assert_false(mac_of(en, "10.1.0.6", got));  /* learned before, no longer reported */
    assert_false(mac_of(en, "10.1.0.50", got)); /* never learned */
    char *js = host_json(en, "10.1.0.6");
    assert_string_equal(js, "{\"ip\":\"10.1.0.6\",\"internal\":true}");
    free(js);
    assert_true(mac_of(en, "192.168.10.5", got)); /* the PC is untouched */

    /* A segment with more MACs than the slot table: hosts' slots are taken over first, the
     * router stays known as shared. */
    for (unsigned i = 0; i < 3000; i++) {
        uint8_t m[6] = {0x00, 0x09, 0x0f, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        m[2] ^= 0x40; /* another block than the PC's */
        snprintf(ip, sizeof ip, "172.16.%u.%u", (i >> 8) & 255, i & 255);
        p = pkt_of(ip, m, 17, 0, 3 * hour + i);
        enrich_packet(en, &p);
    }
    enrich_get_stats(en, &st);
    assert_int_equal(st.mac_shared, 1);
    assert_true(mac_of(en, "172.16.11.183", got)); /* host 2999, on its own MAC */
    ip_n(ip, sizeof ip, 200);
    p = pkt_of(ip, router, 6, TCP_SYN, 3 * hour + 5000);
    enrich_packet(en, &p);
    assert_false(mac_of(en, ip, got));
    enrich_free(en);

    /* An hour apart, addresses do not add up: a host renumbered every hour is not a router. */
    en = new_plain(NULL, 0);
    for (unsigned h = 0; h < 5; h++)
        for (unsigned i = 0; i < 7; i++) {
            ip_n(ip, sizeof ip, h * 7 + i);
            p = pkt_of(ip, pc, 17, 0, h * hour + i * s);
            enrich_packet(en, &p);
        }
    enrich_get_stats(en, &st);
    assert_int_equal(st.mac_shared, 0);
    assert_int_equal(st.mac_entries, 35);
    assert_true(mac_of(en, "10.1.0.0", got));
    enrich_free(en);

    /* mac-shared-hosts 0: no test, the router's MAC is learned for every address (as before
     * the test existed); 2 is the smallest setting, 1 and more than the maximum are refused. */
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    cfg.oui_path = NULL;
    cfg.mac_shared_hosts = 0;
    char err[256];
    en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    for (unsigned i = 0; i < 100; i++) {
        ip_n(ip, sizeof ip, i);
        p = pkt_of(ip, router, 17, 0, i);
        enrich_packet(en, &p);
    }
    assert_true(mac_of(en, "10.1.0.99", got));
    enrich_get_stats(en, &st);
    assert_int_equal(st.mac_entries, 100);
    assert_int_equal(st.mac_shared, 0);
    enrich_free(en);
    cfg.mac_shared_hosts = 2;
    en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    p = pkt_of("10.1.0.1", router, 17, 0, 1);
    enrich_packet(en, &p);
    assert_true(mac_of(en, "10.1.0.1", got));
    p = pkt_of("10.1.0.2", router, 17, 0, 2);
    enrich_packet(en, &p);
    assert_false(mac_of(en, "10.1.0.1", got));
    enrich_free(en);
    cfg.mac_shared_hosts = 1;
    assert_null(enrich_new(&cfg, err, sizeof err));
    assert_non_null(strstr(err, "mac-shared-hosts"));
    cfg.mac_shared_hosts = ENRICH_MAC_SHARED_MAX + 1;
    assert_null(enrich_new(&cfg, err, sizeof err));
}

static void test_mac_memcap(void **state)
{
    (void)state;
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    cfg.oui_path = NULL;
    cfg.mac_memcap = 16 * 1024;
    cfg.mac_shared_hosts = 0; /* one MAC for every host here: the table alone is tested */
    char err[256];
    enrich_t *en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    static const uint8_t m[6] = {0x00, 0x09, 0x0f, 0, 0, 1};
    const unsigned hosts = 5000;
    for (unsigned i = 0; i < hosts; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
        struct packet p = pkt_of(ip, m, 17, 0, i);
        enrich_packet(en, &p);
    }
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_true(st.mac_entries > 50 && st.mac_entries < hosts);
    assert_int_equal(st.mac_entries + st.mac_evicted, hosts);
    assert_true(st.memuse <= st.memcap);
    uint8_t got[6];
    assert_true(mac_of(en, "10.0.19.135", got));  /* host 4999: the newest */
    assert_false(mac_of(en, "10.0.0.0", got));    /* host 0: the oldest, taken over */
    /* A host that keeps talking is moved to the young end each time it is seen, so it is
     * never the one taken over while new hosts churn through the table. */
    struct packet keep = pkt_of("10.200.0.1", m, 17, 0, 0);
    enrich_packet(en, &keep);
    for (unsigned i = 0; i < hosts; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "10.100.%u.%u", (i >> 8) & 255, i & 255);
        struct packet p = pkt_of(ip, m, 17, 0, i);
        enrich_packet(en, &p);
        if (i % 10 == 0) {
            if (!mac_of(en, "10.200.0.1", got))
                fail_msg("the active host was taken over after %u new hosts", i);
            enrich_packet(en, &keep);
        }
    }
    enrich_free(en);

    /* A memcap of 0 turns the table off. */
    cfg.mac_memcap = 0;
    en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    struct packet p = pkt_of("10.0.0.1", m, 17, 0, 1);
    enrich_packet(en, &p);
    assert_false(mac_of(en, "10.0.0.1", got));
    enrich_free(en);
}

/* --- DNS -------------------------------------------------------------------------------- */

struct wire {
    uint8_t b[4096];
    size_t n;
};

static void w8(struct wire *w, unsigned v)
{
    assert_true(w->n < sizeof w->b);
    w->b[w->n++] = (uint8_t)v;
}

static void w16(struct wire *w, unsigned v)
{
    w8(w, v >> 8);
    w8(w, v & 0xff);
}

static void wname(struct wire *w, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        w8(w, (unsigned)l);
        for (size_t i = 0; i < l; i++)
            w8(w, (uint8_t)name[i]);
        name += l;
        if (*name == '.')
            name++;
    }
    w8(w, 0);
}

/* A response header: id 0x1234, QR + RD + RA, the given rcode and counts. */
static void whdr(struct wire *w, unsigned rcode, unsigned qd, unsigned an)
{
    w->n = 0;
    w16(w, 0x1234);
    w16(w, 0x8180 | rcode);
    w16(w, qd);
    w16(w, an);
    w16(w, 0);
    w16(w, 0);
}

static void wquestion(struct wire *w, const char *name, unsigned type)
{
    wname(w, name);
    w16(w, type);
    w16(w, 1);
}

/* One answer; data is the rdata for A/AAAA (address text) or a name (CNAME, PTR). */
static void wanswer(struct wire *w, const char *name, unsigned type, const char *data)
{
    wname(w, name);
    w16(w, type);
    w16(w, 1);
    w16(w, 0);
    w16(w, 300);
    if (type == 1 || type == 28) {
        uint8_t a[16];
        assert_int_equal(inet_pton(type == 1 ? AF_INET : AF_INET6, data, a), 1);
        w16(w, type == 1 ? 4 : 16);
        for (unsigned i = 0; i < (type == 1 ? 4u : 16u); i++)
            w8(w, a[i]);
    } else {
        size_t at = w->n;
        w16(w, 0);
        wname(w, data);
        size_t len = w->n - at - 2;
        w->b[at] = (uint8_t)(len >> 8);
        w->b[at + 1] = (uint8_t)len;
    }
}

static void feed_dns(enrich_t *en, const struct wire *w)
{
    static struct dns_msg msg;
    assert_int_equal(app_dns_parse(w->b, w->n, &msg), 0);
    if (msg.events)
        fail_msg("DNS events 0x%x for %s", msg.events, msg.n_questions ? msg.q[0].name : "-");
    struct app_dns_rec r = {.msg = &msg, .tx_id = 1};
    enrich_dns(en, &r, 1000);
}

/* The names known for ip, joined with ','; "" for none. */
static const char *names_of(enrich_t *en, const char *ip)
{
    static char out[2048];
    int ver;
    struct mm_addr a = addr_of(ip, &ver);
    struct enrich_host h;
    enrich_lookup(en, &a, ver, &h);
    out[0] = 0;
    for (size_t i = 0; i < h.n_names; i++) {
        size_t l = strlen(out);
        snprintf(out + l, sizeof out - l, "%s%s", i ? "," : "", h.names[i]);
    }
    return out;
}

static void test_dns_cname_chain(void **state)
{
    (void)state;
    enrich_t *en = new_plain(NULL, 0);
    struct wire w;
    /* www.Example.com -> CNAME edge.cdn.net -> CNAME e1.cdn.net -> A 93.184.216.34, plus an
     * A record for a name outside the chain, which must teach nothing. */
    whdr(&w, 0, 1, 5);
    wquestion(&w, "www.Example.com", 1);
    wanswer(&w, "www.example.com", 5, "edge.cdn.net");
    wanswer(&w, "EDGE.cdn.net", 5, "e1.cdn.net");
    wanswer(&w, "e1.cdn.net", 1, "93.184.216.34");
    wanswer(&w, "e1.cdn.net", 1, "93.184.216.35");
    wanswer(&w, "bank.example", 1, "6.6.6.6");
    feed_dns(en, &w);
    /* A CNAME whose owner is outside the chain does not extend it. */
    whdr(&w, 0, 1, 3);
    wquestion(&w, "mail.example.com", 1);
    wanswer(&w, "mail.example.com", 1, "93.184.216.40");
    wanswer(&w, "unrelated.example", 5, "login.bank.example");
    wanswer(&w, "login.bank.example", 1, "6.6.6.7");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "93.184.216.40"), "mail.example.com");
    assert_string_equal(names_of(en, "6.6.6.7"), "");
    assert_string_equal(names_of(en, "93.184.216.34"), "www.example.com,e1.cdn.net");
    assert_string_equal(names_of(en, "93.184.216.35"), "www.example.com,e1.cdn.net");
    assert_string_equal(names_of(en, "6.6.6.6"), "");

    /* AAAA, answered directly. */
    whdr(&w, 0, 1, 1);
    wquestion(&w, "v6.example.org", 28);
    wanswer(&w, "v6.example.org", 28, "2001:db8::53");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "2001:db8::53"), "v6.example.org");

    /* NXDOMAIN and queries teach nothing. */
    whdr(&w, 3, 1, 1);
    wquestion(&w, "gone.example", 1);
    wanswer(&w, "gone.example", 1, "7.7.7.7");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "7.7.7.7"), "");
    whdr(&w, 0, 1, 1);
    wquestion(&w, "query.example", 1);
    wanswer(&w, "query.example", 1, "7.7.7.8");
    w.b[2] = 0x01; /* QR clear */
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "7.7.7.8"), "");

    /* A CNAME loop ends. */
    whdr(&w, 0, 1, 3);
    wquestion(&w, "a.loop", 1);
    wanswer(&w, "a.loop", 5, "b.loop");
    wanswer(&w, "b.loop", 5, "a.loop");
    wanswer(&w, "b.loop", 1, "7.7.7.9");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "7.7.7.9"), "a.loop,b.loop");
    enrich_free(en);
}

static void test_dns_ptr(void **state)
{
    (void)state;
    enrich_t *en = new_plain(NULL, 0);
    struct wire w;
    whdr(&w, 0, 1, 1);
    wquestion(&w, "34.216.184.93.in-addr.arpa", 12);
    wanswer(&w, "34.216.184.93.in-addr.arpa", 12, "host.example.net");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "93.184.216.34"), "host.example.net");

    /* RFC 2317: the PTR sits under a CNAME; the question names the address. */
    whdr(&w, 0, 1, 2);
    wquestion(&w, "5.2.0.192.in-addr.arpa", 12);
    wanswer(&w, "5.2.0.192.in-addr.arpa", 5, "5.0-25.2.0.192.in-addr.arpa");
    wanswer(&w, "5.0-25.2.0.192.in-addr.arpa", 12, "mail.example.com");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "192.0.2.5"), "mail.example.com");

    /* IPv6: 32 nibbles, lowest first. */
    whdr(&w, 0, 1, 1);
    const char *rev6 = "3.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa";
    wquestion(&w, rev6, 12);
    wanswer(&w, rev6, 12, "ns.example.org");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "2001:db8::53"), "ns.example.org");

    /* Malformed reverse names are no address. */
    static const char *const bad[] = {"256.2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa",
                                      "1.2.3.4.5.in-addr.arpa",   "a.2.0.192.in-addr.arpa",
                                      "1000.0.192.in-addr.arpa",  "0.1.ip6.arpa"};
    for (size_t i = 0; i < MM_ARRAY_LEN(bad); i++) {
        whdr(&w, 0, 1, 1);
        wquestion(&w, bad[i], 12);
        wanswer(&w, bad[i], 12, "bogus.example");
        feed_dns(en, &w);
    }
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_int_equal(st.dns_entries, 3);
    enrich_free(en);
}

static void test_dns_names_limit(void **state)
{
    (void)state;
    enrich_t *en = new_plain(NULL, 0);
    struct wire w;
    /* Six names for one address: the four newest are kept, newest first; a name seen again
     * moves to the front. */
    for (int i = 1; i <= 6; i++) {
        char name[32];
        snprintf(name, sizeof name, "n%d.example", i);
        whdr(&w, 0, 1, 1);
        wquestion(&w, name, 1);
        wanswer(&w, name, 1, "203.0.113.9");
        feed_dns(en, &w);
    }
    assert_string_equal(names_of(en, "203.0.113.9"),
                        "n6.example,n5.example,n4.example,n3.example");
    whdr(&w, 0, 1, 1);
    wquestion(&w, "n4.example", 1);
    wanswer(&w, "n4.example", 1, "203.0.113.9");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "203.0.113.9"),
                        "n4.example,n6.example,n5.example,n3.example");

    /* Long names: the longest a wire name gives (253 characters) is kept, the older names
     * making room (it leaves no room for another); longer presentation forms (escapes)
     * beyond 255 bytes are not kept. */
    char n253[254], n300[301];
    for (int i = 0; i < 253; i++)
        n253[i] = (i % 50 == 49) ? '.' : 'a';
    n253[253] = 0;
    memset(n300, 'b', 300);
    for (int i = 49; i < 300; i += 50)
        n300[i] = '.';
    n300[300] = 0;
    whdr(&w, 0, 1, 1);
    wquestion(&w, n253, 1);
    wanswer(&w, n253, 1, "203.0.113.9");
    feed_dns(en, &w);
    int ver;
    struct mm_addr a = addr_of("203.0.113.9", &ver);
    struct enrich_host h;
    enrich_lookup(en, &a, ver, &h);
    assert_int_equal(h.n_names, 1);
    assert_string_equal(h.names[0], n253);
    /* A usual name after it: the two do not fit together, so the older, long one goes. */
    whdr(&w, 0, 1, 1);
    wquestion(&w, "n7.example", 1);
    wanswer(&w, "n7.example", 1, "203.0.113.9");
    feed_dns(en, &w);
    assert_string_equal(names_of(en, "203.0.113.9"), "n7.example");
    whdr(&w, 0, 1, 1);
    wquestion(&w, "x.example", 1);
    wanswer(&w, "x.example", 1, "203.0.113.10");
    feed_dns(en, &w);
    static struct dns_msg msg; /* a 300-byte name cannot be on the wire: set it directly */
    assert_int_equal(app_dns_parse(w.b, w.n, &msg), 0);
    snprintf(msg.q[0].name, sizeof msg.q[0].name, "%s", n300);
    snprintf(msg.rr[0].name, sizeof msg.rr[0].name, "%s", n300);
    struct app_dns_rec r = {.msg = &msg};
    enrich_dns(en, &r, 2000);
    assert_string_equal(names_of(en, "203.0.113.10"), "x.example");
    enrich_free(en);
}

/* An address whose names outgrow the short table's entry moves to the long table with the
 * names it had: lookups, the newest-first order, the four-name limit and the entry count are
 * what one table would give. */
/* One answer: name is at ip. */
static void learn_name(enrich_t *en, const char *name, const char *ip)
{
    struct wire w;
    whdr(&w, 0, 1, 1);
    wquestion(&w, name, 1);
    wanswer(&w, name, 1, ip);
    feed_dns(en, &w);
}

static void test_dns_names_outgrow_short_entry(void **state)
{
    (void)state;
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    cfg.oui_path = NULL;
    char err[256];
    enrich_t *en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    /* 40-character names: two fit the short entry, the third does not. */
    static const char *const names[] = {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.jp", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.jp",
        "ccccccccccccccccccccccccccccc.example.jp", "ddddddddddddddddddddddddddddd.example.jp",
        "eeeeeeeeeeeeeeeeeeeeeeeeeeeee.example.jp"};
    for (size_t i = 0; i < MM_ARRAY_LEN(names); i++)
        assert_int_equal(strlen(names[i]), 40);
    for (size_t i = 0; i < 2; i++)
        learn_name(en, names[i], "203.0.113.40");
    assert_string_equal(names_of(en, "203.0.113.40"),
                        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.jp,"
                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.jp");
    for (size_t i = 2; i < 5; i++)
        learn_name(en, names[i], "203.0.113.40");
    /* moved with its names; the fifth name pushed out the oldest */
    assert_string_equal(names_of(en, "203.0.113.40"),
                        "eeeeeeeeeeeeeeeeeeeeeeeeeeeee.example.jp,"
                        "ddddddddddddddddddddddddddddd.example.jp,"
                        "ccccccccccccccccccccccccccccc.example.jp,"
                        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.jp");
    /* a name seen again moves to the front there too */
    learn_name(en, names[2], "203.0.113.40");
    assert_string_equal(names_of(en, "203.0.113.40"),
                        "ccccccccccccccccccccccccccccc.example.jp,"
                        "eeeeeeeeeeeeeeeeeeeeeeeeeeeee.example.jp,"
                        "ddddddddddddddddddddddddddddd.example.jp,"
                        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.jp");
    /* a first name too long for a short entry starts in the long table */
    char n200[201];
    for (int i = 0; i < 200; i++)
        n200[i] = (i % 50 == 49 && i < 199) ? '.' : 'q';
    n200[200] = 0;
    learn_name(en, n200, "203.0.113.41");
    assert_string_equal(names_of(en, "203.0.113.41"), n200);
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_int_equal(st.dns_entries, 2); /* one entry per address, in either table */
    assert_int_equal(st.dns_evicted, 0);
    assert_int_equal(st.memcap - st.memuse > 0, 1);
    enrich_free(en);
}

static void test_dns_memcap(void **state)
{
    (void)state;
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    cfg.oui_path = NULL;
    cfg.dns_memcap = 64 * 1024;
    char err[256];
    enrich_t *en = enrich_new(&cfg, err, sizeof err);
    assert_non_null(en);
    struct wire w;
    const unsigned n = 1000;
    for (unsigned i = 0; i < n; i++) {
        char ip[32];
        snprintf(ip, sizeof ip, "198.51.%u.%u", i >> 8, i & 255);
        whdr(&w, 0, 1, 1);
        wquestion(&w, "many.example", 1);
        wanswer(&w, "many.example", 1, ip);
        feed_dns(en, &w);
    }
    struct enrich_stats st;
    enrich_get_stats(en, &st);
    assert_true(st.dns_entries > 10 && st.dns_entries < n);
    assert_int_equal(st.dns_entries + st.dns_evicted, n);
    assert_true(st.memuse <= st.memcap);
    assert_string_equal(names_of(en, "198.51.3.231"), "many.example"); /* the newest */
    assert_string_equal(names_of(en, "198.51.0.0"), "");
    enrich_free(en);
}

/* --- the host object -------------------------------------------------------------------- */

static void test_write_host(void **state)
{
    (void)state;
    struct enrich_config cfg;
    enrich_config_defaults(&cfg);
    cfg.oui_path = FIXTURE;
    static char city[512], asn[512];
    bool geo = have_file(GEOIP_DIR "/GeoIP2-City-Test.mmdb");
    if (geo) {
        snprintf(city, sizeof city, "%s/GeoIP2-City-Test.mmdb", GEOIP_DIR);
        snprintf(asn, sizeof asn, "%s/GeoLite2-ASN-Test.mmdb", GEOIP_DIR);
        cfg.geoip_paths[0] = city;
        cfg.geoip_paths[1] = asn;
        cfg.n_geoip = 2;
    } else {
        printf("SKIP part of test_write_host: no GeoIP test databases in %s\n", GEOIP_DIR);
    }
    char err[512];
    enrich_t *en = enrich_new(&cfg, err, sizeof err);
    if (!en)
        fail_msg("enrich_new: %s", err);

    static const uint8_t mac[6] = {0x00, 0x09, 0x0F, 0xAA, 0xBB, 0xCC};
    struct packet p = pkt_of("192.168.10.5", mac, 17, 0, 1);
    enrich_packet(en, &p);
    struct wire w;
    whdr(&w, 0, 1, 1);
    wquestion(&w, "se.example", 1);
    wanswer(&w, "se.example", 1, "89.160.20.112");
    feed_dns(en, &w);
    whdr(&w, 0, 1, 1);
    wquestion(&w, "pc-5.lan", 1);
    wanswer(&w, "pc-5.lan", 1, "192.168.10.5");
    feed_dns(en, &w);

    char *js = host_json(en, "192.168.10.5");
    assert_string_equal(js, "{\"ip\":\"192.168.10.5\",\"internal\":true,\"mac\":\"00:09:0f:aa:bb:cc\","
                            "\"vendor\":\"Fortinet, Inc.\",\"dns_names\":[\"pc-5.lan\"]}");
    free(js);
    js = host_json(en, "89.160.20.112");
    if (geo)
        assert_string_equal(js, "{\"ip\":\"89.160.20.112\",\"internal\":false,\"country\":\"SE\","
                                "\"asn\":29518,\"as_org\":\"Bredband2 AB\","
                                "\"dns_names\":[\"se.example\"]}");
    else
        assert_string_equal(js, "{\"ip\":\"89.160.20.112\",\"internal\":false,"
                                "\"dns_names\":[\"se.example\"]}");
    free(js);
    js = host_json(en, "2001:db8::1");
    assert_string_equal(js, "{\"ip\":\"2001:db8::1\",\"internal\":false}");
    free(js);
    /* An internal host whose MAC has no registered vendor: the MAC alone. */
    static const uint8_t local[6] = {0x02, 0x42, 0xac, 0x11, 0x00, 0x02};
    p = pkt_of("10.1.1.1", local, 17, 0, 2);
    enrich_packet(en, &p);
    js = host_json(en, "10.1.1.1");
    assert_string_equal(js, "{\"ip\":\"10.1.1.1\",\"internal\":true,\"mac\":\"02:42:ac:11:00:02\"}");
    free(js);
    enrich_free(en);

    /* Without a context: the address and the default HOME_NET answer. */
    js = host_json(NULL, "10.1.1.1");
    assert_string_equal(js, "{\"ip\":\"10.1.1.1\",\"internal\":true}");
    free(js);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_net_default),
        cmocka_unit_test(test_home_net_negation),
        cmocka_unit_test(test_home_net_only_negated),
        cmocka_unit_test(test_home_net_edges),
        cmocka_unit_test(test_home_net_invalid),
        cmocka_unit_test(test_oui_fixture),
        cmocka_unit_test(test_oui_buffer_limits),
        cmocka_unit_test(test_oui_through_enrich),
        cmocka_unit_test(test_oui_ieee_data),
        cmocka_unit_test(test_geoip_city_asn),
        cmocka_unit_test(test_geoip_country_and_ipv4_only),
        cmocka_unit_test(test_geoip_broken),
        cmocka_unit_test(test_geoip_every_test_db),
        cmocka_unit_test(test_mac_learning),
        cmocka_unit_test(test_mac_memcap),
        cmocka_unit_test(test_mac_shared),
        cmocka_unit_test(test_dns_cname_chain),
        cmocka_unit_test(test_dns_ptr),
        cmocka_unit_test(test_dns_names_limit),
        cmocka_unit_test(test_dns_names_outgrow_short_entry),
        cmocka_unit_test(test_dns_memcap),
        cmocka_unit_test(test_write_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
