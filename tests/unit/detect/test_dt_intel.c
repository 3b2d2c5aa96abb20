/*
 * T1 threat-intel matching: the list loader and lookups (src/detect/intel_list.c) and the
 * detector (src/detect/dt_intel.c) driven through dtr_new() with hand-made flows, packets
 * and records.
 *
 * Lists: the radix trees (longest prefix first, IPv4 and IPv6, /0, /32, /128, overlapping
 * prefixes, host bits), every format on synthetic text and on the real files of
 * ../shared/data/intel (skipped when absent), domain parent matching, URL keys, and hostile
 * input (binary, over-long lines, a million lines against max-entries, max-memory).
 * Detector: one alert per (internal host, indicator) with the right sid, src and dst, then
 * updates at most every update interval, forget-after, Feodo ports, inbound connections,
 * addresses inside HOME_NET, DNS / TLS / HTTP sightings, the ASN match through GeoIP, the
 * memcap (evictions counted) and reload (new lists swapped in, old ones kept on error).
 */
#include "detect/dtr_int.h"
#include "detect/intel_list.h"
#include "testlib/tcheck.h"

#include "app/dns_rec.h"
#include "app/http.h"
#include "app/tls.h"
#include "core/mm.h"
#include "enrich/enrich.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#define INTEL_DIR MM_SHARED_DIR "/intel"

/* The registry refers to detectors weakly; naming the detector here links it in. */
extern const struct dtr_ops dt_intel_ops;
#define S_NS 1000000000ull
#define T0 (1713830400ull * S_NS) /* 2024-04-23T00:00:00Z */

/* --- helpers ------------------------------------------------------------------------------- */

static intel_set_t *load_text(const char *text, uint64_t max_entries)
{
    intel_set_t *s = intel_set_new(max_entries, 0);
    assert_non_null(s);
    char err[256] = "";
    int rc = intel_set_load_mem(s, "test.txt", text, strlen(text), err, sizeof err);
    if (rc != 0)
        fail_msg("load: %s", err);
    return s;
}

static void v4(uint8_t a[16], unsigned x0, unsigned x1, unsigned x2, unsigned x3)
{
    memset(a, 0, 16);
    a[0] = (uint8_t)x0;
    a[1] = (uint8_t)x1;
    a[2] = (uint8_t)x2;
    a[3] = (uint8_t)x3;
}

static void v6(uint8_t a[16], const char *text)
{
    memset(a, 0, 16);
    assert_int_equal(inet_pton(AF_INET6, text, a), 1);
}

/* Reason text of the first entry of the longest matching prefix, "" when none. */
static const char *ip_reason(const intel_set_t *s, const uint8_t *a, int ver, uint8_t *prefix)
{
    struct intel_ip_match m[INTEL_IP_MATCH_MAX];
    size_t n = intel_lookup_ip(s, a, ver, m, INTEL_IP_MATCH_MAX);
    if (!n)
        return "";
    if (prefix)
        *prefix = m[0].prefix;
    return intel_str(s, intel_entry_get(s, m[0].entry)->reason);
}

/* --- radix tree ---------------------------------------------------------------------------- */

static void test_radix_longest_prefix_v4(void **state)
{
    (void)state;
    intel_set_t *s = load_text("10.0.0.0/8 ; eight\n"
                               "10.1.0.0/16 ; sixteen\n"
                               "10.1.2.0/24 ; twentyfour\n"
                               "10.1.2.3 ; host\n"
                               "10.1.2.128/25 ; upper-half\n"
                               "192.0.2.77/24 ; host-bits-set\n"
                               "203.0.113.5/32 ; slash32\n",
                               0);
    static const struct {
        uint8_t a[4];
        const char *want;
        uint8_t prefix;
    } rows[] = {
        {{10, 1, 2, 3}, "host", 32},         {{10, 1, 2, 4}, "twentyfour", 24},
        {{10, 1, 2, 200}, "upper-half", 25}, {{10, 1, 3, 1}, "sixteen", 16},
        {{10, 2, 0, 1}, "eight", 8},         {{11, 0, 0, 1}, "", 0},
        {{9, 255, 255, 255}, "", 0},         {{192, 0, 2, 1}, "host-bits-set", 24},
        {{203, 0, 113, 5}, "slash32", 32},   {{203, 0, 113, 4}, "", 0},
        {{203, 0, 113, 6}, "", 0},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        uint8_t a[16], p = 0;
        v4(a, rows[i].a[0], rows[i].a[1], rows[i].a[2], rows[i].a[3]);
        char row[32];
        snprintf(row, sizeof row, "v4 row %zu", i);
        const char *got = ip_reason(s, a, 4, &p);
        TC_CHECK(row, !strcmp(got, rows[i].want));
        if (rows[i].want[0])
            TC_EQ(row, p, rows[i].prefix);
    }
    /* Every prefix on the path, longest first. */
    uint8_t a[16];
    v4(a, 10, 1, 2, 3);
    struct intel_ip_match m[8];
    size_t n = intel_lookup_ip(s, a, 4, m, 8);
    TC_EQ("path", n, 4);
    TC_EQ("path0", m[0].prefix, 32);
    TC_EQ("path1", m[1].prefix, 24);
    TC_EQ("path2", m[2].prefix, 16);
    TC_EQ("path3", m[3].prefix, 8);
    /* max limits the answer to the longest ones. */
    TC_EQ("max", intel_lookup_ip(s, a, 4, m, 2), 2);
    TC_EQ("max0", m[0].prefix, 32);
    /* IPv4 entries never answer IPv6 lookups. */
    TC_EQ("v6 miss", intel_lookup_ip(s, a, 6, m, 8), 0);
    /* Network text of a match: host bits cleared. */
    v4(a, 192, 0, 2, 1);
    n = intel_lookup_ip(s, a, 4, m, 8);
    TC_EQ("net n", n, 1);
    TC_CHECK("net", m[0].net[0] == 192 && m[0].net[3] == 0);
    TC_EQ("entries", intel_set_entries_kind(s, INTEL_IP), 7);
    intel_set_free(s);
    tc_done();
}

static void test_radix_v6_and_zero(void **state)
{
    (void)state;
    intel_set_t *s = load_text("2001:db8::/32 ; doc\n"
                               "2001:db8:1::/48 ; doc48\n"
                               "2001:db8:1::1 ; host128\n"
                               "[2001:db8:2::2]:443 ; withport\n"
                               "2a12:2640::/29 ; drop6\n",
                               0);
    uint8_t a[16], p = 0;
    v6(a, "2001:db8:1::1");
    assert_string_equal(ip_reason(s, a, 6, &p), "host128");
    assert_int_equal(p, 128);
    v6(a, "2001:db8:1::2");
    assert_string_equal(ip_reason(s, a, 6, &p), "doc48");
    v6(a, "2001:db8:ffff::1");
    assert_string_equal(ip_reason(s, a, 6, &p), "doc");
    assert_int_equal(p, 32);
    v6(a, "2a12:2647:ffff::1");
    assert_string_equal(ip_reason(s, a, 6, &p), "drop6");
    v6(a, "2a12:2648::1");
    assert_string_equal(ip_reason(s, a, 6, NULL), "");
    v6(a, "2001:db8:2::2");
    struct intel_ip_match m[4];
    assert_int_equal(intel_lookup_ip(s, a, 6, m, 4), 2);
    assert_int_equal(intel_entry_get(s, m[0].entry)->port, 443);
    intel_set_free(s);

    /* /0 matches everything of its family, and only of its family. */
    s = load_text("0.0.0.0/0 ; all-v4\n1.2.3.4 ; one\n", 0);
    v4(a, 8, 8, 8, 8);
    assert_string_equal(ip_reason(s, a, 4, &p), "all-v4");
    assert_int_equal(p, 0);
    v4(a, 1, 2, 3, 4);
    assert_string_equal(ip_reason(s, a, 4, &p), "one");
    v6(a, "::1");
    assert_string_equal(ip_reason(s, a, 6, NULL), "");
    intel_set_free(s);
    s = load_text("::/0 ; all-v6\n", 0);
    v6(a, "2001:db8::9");
    assert_string_equal(ip_reason(s, a, 6, &p), "all-v6");
    intel_set_free(s);
}

/* Insertion order must not matter: the same prefixes in shuffled orders give the same
 * answers (the splits of the path-compressed tree are exercised both ways). */
static void test_radix_insert_orders(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "10.0.0.0/8 ; a", "10.128.0.0/9 ; b", "10.128.0.0/10 ; c", "10.192.0.0/10 ; d",
        "10.0.0.1 ; e",   "10.0.0.0/31 ; f",  "0.0.0.0/1 ; g",     "128.0.0.0/1 ; h"};
    static const struct {
        uint8_t a[4];
        const char *want;
    } probes[] = {{{10, 0, 0, 1}, "e"},   {{10, 0, 0, 0}, "f"},   {{10, 0, 0, 2}, "a"},
                  {{10, 130, 0, 0}, "c"}, {{10, 200, 0, 0}, "d"}, {{10, 64, 0, 0}, "a"},
                  {{11, 0, 0, 0}, "g"},   {{200, 0, 0, 0}, "h"}};
    unsigned seed = 12345;
    for (int round = 0; round < 50; round++) {
        size_t order[MM_ARRAY_LEN(lines)];
        for (size_t i = 0; i < MM_ARRAY_LEN(lines); i++)
            order[i] = i;
        for (size_t i = MM_ARRAY_LEN(lines) - 1; i > 0; i--) {
            seed = seed * 1103515245u + 12345u;
            size_t j = (seed >> 16) % (i + 1);
            size_t t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        char text[512] = "";
        for (size_t i = 0; i < MM_ARRAY_LEN(lines); i++) {
            strcat(text, lines[order[i]]);
            strcat(text, "\n");
        }
        intel_set_t *s = load_text(text, 0);
        for (size_t i = 0; i < MM_ARRAY_LEN(probes); i++) {
            uint8_t a[16];
            v4(a, probes[i].a[0], probes[i].a[1], probes[i].a[2], probes[i].a[3]);
            char row[48];
            snprintf(row, sizeof row, "round %d probe %zu", round, i);
            TC_CHECK(row, !strcmp(ip_reason(s, a, 4, NULL), probes[i].want));
        }
        intel_set_free(s);
    }
    tc_done();
}

/* --- formats -------------------------------------------------------------------------------- */

static void test_plain_formats(void **state)
{
    (void)state;
    const char *text = "\xef\xbb\xbf# my list\r\n"
                       "; Spamhaus DROP List 2024/02/27 - (c) 2024 The Spamhaus Project\n"
                       "1.10.16.0/20 ; SBL256894\r\n"
                       "198.51.100.7:8080 # C2 port\n"
                       "203.0.113.9 listed for spam\n"
                       "0.0.0.0 evil.example other.example\n"
                       "127.0.0.1 localhost\n"
                       "127.0.0.1 localhost.localdomain\n"
                       "||abp.example^\n"
                       "||opt.example^$third-party\n"
                       "@@||allowed.example^\n"
                       "||path.example/ads/\n"
                       "||wild*.example^\n"
                       "*.wildcard.example\n"
                       "Trailing-Dot.Example.\n"
                       "http://Host.Example:80/a/b.exe?x=1#frag\n"
                       "https://h2.example:8443/p\n"
                       "51c64c77e60f3980eea90869b68c58a8\n"
                       "0D:DB:34:F8:75:63:2C:7E:1E:C0:9D:75:82:7F:82:D2:33:6D:FE:B6\n"
                       "t13d1516h2_8daaf6152771_e5627efa2ab1\n"
                       "AS64500\n"
                       "not an indicator\n"
                       "1.2.3\n"
                       "   \n"
                       "// another comment\n";
    intel_set_t *s = load_text(text, 0);
    const struct intel_file_info *fi = intel_set_file(s, 0);
    assert_non_null(fi);
    assert_string_equal(fi->format, "plain");
    assert_string_equal(fi->list_name, "Spamhaus DROP");
    assert_int_equal(fi->by_kind[INTEL_IP], 3);
    /* evil, other, abp, opt, wildcard, trailing-dot */
    assert_int_equal(fi->by_kind[INTEL_DOMAIN], 6);
    assert_int_equal(fi->by_kind[INTEL_URL], 2);
    assert_int_equal(fi->by_kind[INTEL_JA3], 1);
    assert_int_equal(fi->by_kind[INTEL_SHA1], 1);
    assert_int_equal(fi->by_kind[INTEL_JA4], 1);
    assert_int_equal(fi->by_kind[INTEL_ASN], 1);
    /* localhost x2, @@, path, wildcard, "not an indicator", "1.2.3" */
    assert_int_equal(fi->skipped, 7);
    assert_int_equal(fi->first_skipped, 7);

    uint8_t a[16];
    v4(a, 1, 10, 20, 1);
    assert_string_equal(ip_reason(s, a, 4, NULL), "SBL256894");
    v4(a, 198, 51, 100, 7);
    struct intel_ip_match m[2];
    assert_int_equal(intel_lookup_ip(s, a, 4, m, 2), 1);
    const struct intel_entry *e = intel_entry_get(s, m[0].entry);
    assert_int_equal(e->port, 8080);
    assert_string_equal(intel_str(s, e->reason), "C2 port");
    assert_int_equal(e->line, 4);
    v4(a, 203, 0, 113, 9);
    assert_string_equal(ip_reason(s, a, 4, NULL), "listed for spam");

    static const char *const domains[] = {"evil.example",       "other.example",
                                          "abp.example",        "opt.example",
                                          "x.wildcard.example", "trailing-dot.example"};
    for (size_t i = 0; i < MM_ARRAY_LEN(domains); i++)
        assert_int_not_equal(intel_lookup_domain(s, domains[i], strlen(domains[i]), NULL),
                             INTEL_NONE);
    assert_int_equal(intel_lookup_domain(s, "allowed.example", 15, NULL), INTEL_NONE);
    assert_int_equal(intel_lookup_domain(s, "localhost.localdomain", 21, NULL), INTEL_NONE);
    assert_int_not_equal(intel_lookup_key(s, INTEL_URL, "host.example/a/b.exe?x=1", 24),
                         INTEL_NONE);
    assert_int_not_equal(intel_lookup_key(s, INTEL_URL, "h2.example:8443/p", 17), INTEL_NONE);
    assert_int_not_equal(intel_lookup_key(s, INTEL_JA3, "51C64C77E60F3980EEA90869B68C58A8", 32),
                         INTEL_NONE);
    assert_int_not_equal(
        intel_lookup_key(s, INTEL_SHA1, "0ddb34f875632c7e1ec09d75827f82d2336dfeb6", 40),
        INTEL_NONE);
    assert_int_not_equal(intel_lookup_key(s, INTEL_JA4, "t13d1516h2_8daaf6152771_e5627efa2ab1", 36),
                         INTEL_NONE);
    assert_int_not_equal(intel_lookup_asn(s, 64500), INTEL_NONE);
    assert_int_equal(intel_lookup_asn(s, 64501), INTEL_NONE);
    intel_set_free(s);
}

static void test_csv_and_json_formats(void **state)
{
    (void)state;
    /* Feodo's layout with a quoted header line, a quote inside a field, CRLF. */
    intel_set_t *s = load_text(
        "# abuse.ch Feodo Tracker Botnet C2 IP Blocklist (CSV)\r\n"
        "\"first_seen_utc\",\"dst_ip\",\"dst_port\",\"c2_status\",\"last_online\",\"malware\"\r\n"
        "\"2024-01-01 "
        "00:00:00\",\"192.0.2.10\",\"447\",\"online\",\"2024-04-01\",\"Qak\"\"Bot\"\r\n"
        "\"2024-01-01 00:00:00\",\"192.0.2.10\",\"995\",\"online\",\"2024-04-01\",\"QakBot\"\r\n"
        "\"2024-01-01 00:00:00\",\"192.0.2.10\",\"995\",\"online\",\"2024-04-01\",\"QakBot\"\r\n"
        "\"2024-01-01 00:00:00\",\"not-an-ip\",\"1\",\"online\",\"2024-04-01\",\"x\"\r\n",
        0);
    const struct intel_file_info *fi = intel_set_file(s, 0);
    assert_string_equal(fi->format, "csv");
    assert_string_equal(fi->list_name, "Feodo Tracker");
    assert_int_equal(fi->entries, 2);
    assert_int_equal(fi->duplicates, 1);
    assert_int_equal(fi->skipped, 1);
    uint8_t a[16];
    v4(a, 192, 0, 2, 10);
    struct intel_ip_match m[2];
    assert_int_equal(intel_lookup_ip(s, a, 4, m, 2), 1);
    const struct intel_entry *e = intel_entry_get(s, m[0].entry);
    assert_int_equal(e->port, 447);
    assert_string_equal(intel_str(s, e->reason), "Qak\"Bot");
    e = intel_entry_get(s, e->next);
    assert_non_null(e);
    assert_int_equal(e->port, 995);
    assert_int_equal(e->next, INTEL_NONE);
    intel_set_free(s);

    /* Header in a comment (SSLBL), reason with a leading blank. */
    s = load_text("# Listingdate,SHA1,Listingreason\n"
                  "1970-01-01 00:00:00,0DDB34F875632C7E1EC09D75827F82D2336DFEB6, Fake\n",
                  0);
    uint32_t i = intel_lookup_key(s, INTEL_SHA1, "0ddb34f875632c7e1ec09d75827f82d2336dfeb6", 40);
    assert_int_not_equal(i, INTEL_NONE);
    assert_string_equal(intel_str(s, intel_entry_get(s, i)->reason), "Fake");
    intel_set_free(s);

    /* No header: columns told from the values (URL, then the last text field as reason). */
    s = load_text("1,2022-10-23 10:00:00,http://bad.example/x.sh,online,malware_download\n"
                  "2,2022-10-23 10:00:00,http://bad.example/y.sh,online,malware_download\n",
                  0);
    fi = intel_set_file(s, 0);
    assert_int_equal(fi->by_kind[INTEL_URL], 2);
    i = intel_lookup_key(s, INTEL_URL, "bad.example/y.sh", 16);
    assert_int_not_equal(i, INTEL_NONE);
    assert_string_equal(intel_str(s, intel_entry_get(s, i)->reason), "malware_download");
    intel_set_free(s);

    /* URLhaus CSV: header in a comment, reason = threat [tags]. */
    s = load_text("# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
                  "\"1\",\"2024-01-01\",\"http://203.0.113.8/bins/x86\",\"online\",\"\","
                  "\"malware_download\",\"elf,mirai\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n",
                  0);
    i = intel_lookup_key(s, INTEL_URL, "203.0.113.8/bins/x86", 20);
    assert_int_not_equal(i, INTEL_NONE);
    assert_string_equal(intel_str(s, intel_entry_get(s, i)->reason),
                        "malware_download [elf,mirai]");
    intel_set_free(s);

    /* JSON lines: DROP (cidr), ASN-DROP (asn; its "domain" is not an indicator), metadata. */
    s = load_text("{\"cidr\":\"1.10.16.0/20\",\"sblid\":\"SBL256894\",\"rir\":\"apnic\"}\n"
                  "{\"asn\":932,\"rir\":\"arin\",\"domain\":\"xn.net\",\"cc\":\"US\","
                  "\"asname\":\"XN\\\"NET\",\"nested\":{\"a\":[1,{\"b\":\"}\"}]}}\n"
                  "{\"broken\": \n"
                  "{\"type\":\"metadata\",\"timestamp\":1709006105,"
                  "\"copyright\":\"(c) 2024 The Spamhaus Project SLU\"}\n",
                  0);
    fi = intel_set_file(s, 0);
    assert_string_equal(fi->format, "json-lines");
    assert_string_equal(fi->list_name, "Spamhaus ASN-DROP");
    assert_int_equal(fi->by_kind[INTEL_IP], 1);
    assert_int_equal(fi->by_kind[INTEL_ASN], 1);
    assert_int_equal(fi->by_kind[INTEL_DOMAIN], 0);
    assert_int_equal(fi->skipped, 1);
    i = intel_lookup_asn(s, 932);
    assert_int_not_equal(i, INTEL_NONE);
    assert_string_equal(intel_str(s, intel_entry_get(s, i)->reason), "XN\"NET");
    intel_set_free(s);
}

static void test_domain_parent_matching(void **state)
{
    (void)state;
    intel_set_t *s = load_text("evil.example\nsub.evil.example ; deeper\nco.example\n", 0);
    static const struct {
        const char *name;
        bool hit;
        size_t off;
        const char *reason;
    } rows[] = {
        {"evil.example", true, 0, ""},
        {"EVIL.Example.", true, 0, ""},
        {"a.b.evil.example", true, 4, ""},
        {"x.sub.evil.example", true, 2, "deeper"}, /* the most specific listed name */
        {"sub.evil.example", true, 0, "deeper"},
        {"notevil.example", false, 0, ""},
        {"evil.example.net", false, 0, ""},
        {"example", false, 0, ""},
        {"", false, 0, ""},
        {".", false, 0, ""},
        {"a..evil.example", true, 3, ""},
        {"www.co.example", true, 4, ""},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        size_t off = 99;
        uint32_t e = intel_lookup_domain(s, rows[i].name, strlen(rows[i].name), &off);
        TC_CHECK(rows[i].name, (e != INTEL_NONE) == rows[i].hit);
        if (rows[i].hit && e != INTEL_NONE) {
            TC_EQ(rows[i].name, off, rows[i].off);
            TC_CHECK(rows[i].name,
                     !strcmp(intel_str(s, intel_entry_get(s, e)->reason), rows[i].reason));
        }
    }
    /* A 253-character name with 127 labels walks every label without trouble. */
    char longname[260];
    size_t w = 0;
    while (w + 2 < 240) {
        longname[w++] = 'a';
        longname[w++] = '.';
    }
    memcpy(longname + w, "evil.example", 13);
    size_t off = 0;
    assert_int_not_equal(intel_lookup_domain(s, longname, strlen(longname), &off), INTEL_NONE);
    assert_int_equal(off, w);
    intel_set_free(s);
    tc_done();
}

static void test_url_key(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } rows[] = {
        {"http://Evil.Example/a/B.exe", "evil.example/a/B.exe"},
        {"HTTP://evil.example:80/x", "evil.example/x"},
        {"https://evil.example:443/x", "evil.example/x"},
        {"http://evil.example:8080/x", "evil.example:8080/x"},
        {"https://evil.example:80/x", "evil.example:80/x"},
        {"http://user:pw@evil.example/x", "evil.example/x"},
        {"http://evil.example", "evil.example/"},
        {"http://evil.example?q=1", "evil.example/?q=1"},
        {"http://evil.example/p#frag", "evil.example/p"},
        {"http://[2001:db8::1]:8080/p", "[2001:db8::1]:8080/p"},
        {"ftp://evil.example/x", ""},
        {"http://", ""},
        {"http://evil.example:99999/x", ""},
        {"http://evil.example:8a/x", ""},
        {"evil.example/x", ""},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        char out[256];
        size_t n = intel_url_key(rows[i].in, strlen(rows[i].in), out, sizeof out);
        if (!rows[i].want[0]) {
            TC_EQ(rows[i].in, n, 0);
        } else {
            TC_EQ(rows[i].in, n, strlen(rows[i].want));
            TC_CHECK(rows[i].in, n && !strcmp(out, rows[i].want));
        }
    }
    char small[8];
    TC_EQ("too small", intel_url_key("http://evil.example/x", 21, small, sizeof small), 0);
    tc_done();
}

/* Every file of ../shared/data/intel, with the counts its publisher states. */
static void test_real_files(void **state)
{
    (void)state;
    struct stat sb;
    if (stat(INTEL_DIR, &sb) != 0) {
        print_message("skipped: %s not present\n", INTEL_DIR);
        skip();
    }
    static const struct {
        const char *file, *format, *list_name;
        enum intel_kind kind;
        uint64_t entries;
    } rows[] = {
        {"abusech_feodotracker_ipblocklist_2024-04-04.csv", "csv", "Feodo Tracker", INTEL_IP, 28},
        {"abusech_sslbl_ja3_fingerprints_2021-08-03.csv", "csv", "SSLBL JA3", INTEL_JA3, 97},
        {"abusech_sslbl_sha1_fingerprints_2022-07-02.csv", "csv", "SSLBL certificates", INTEL_SHA1,
         4872},
        {"abusech_urlhaus_hostfile_2022-10-23.txt", "plain", "URLhaus", INTEL_DOMAIN, 3955},
        {"et_compromised-ips_2024-04-21.txt", "plain", "et_compromised-ips_2024-04-21.txt",
         INTEL_IP, 296},
        {"et_malicious_domains_abp_2025-02-16.txt", "plain", "Emerging Threats", INTEL_DOMAIN,
         2059},
        {"spamhaus_asn_drop_2024-02-27.json", "json-lines", "Spamhaus ASN-DROP", INTEL_ASN, 201},
        {"spamhaus_drop_2024-02-27.txt", "plain", "spamhaus_drop_2024-02-27.txt", INTEL_IP, 989},
        {"spamhaus_drop_ipv6_2024-02-27.txt", "plain", "spamhaus_drop_ipv6_2024-02-27.txt",
         INTEL_IP, 51},
        {"spamhaus_edrop_2024-02-27.txt", "plain", "spamhaus_edrop_2024-02-27.txt", INTEL_IP, 322},
    };
    intel_set_t *s = intel_set_new(1000000, 256u << 20);
    uint64_t total = 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        char path[512], err[256] = "";
        snprintf(path, sizeof path, "%s/%s", INTEL_DIR, rows[i].file);
        int rc = intel_set_load_file(s, path, err, sizeof err);
        TC_CHECK(rows[i].file, rc == 0);
        if (rc) {
            print_message("%s\n", err);
            continue;
        }
        const struct intel_file_info *fi = intel_set_file(s, intel_set_n_files(s) - 1);
        TC_CHECK(rows[i].file, !strcmp(fi->format, rows[i].format));
        TC_CHECK(rows[i].file, !strcmp(fi->list_name, rows[i].list_name));
        TC_EQ(rows[i].file, fi->entries, rows[i].entries);
        TC_EQ(rows[i].file, fi->by_kind[rows[i].kind], rows[i].entries);
        TC_EQ(rows[i].file, fi->skipped, 0);
        TC_EQ(rows[i].file, fi->too_long, 0);
        TC_EQ(rows[i].file, fi->dropped, 0);
        total += rows[i].entries;
        if (strcmp(fi->list_name, rows[i].list_name))
            print_message("%s: list name '%s'\n", rows[i].file, fi->list_name);
    }
    TC_EQ("total", intel_set_entries(s), total);
    /* Spot checks against lines of the files. */
    uint8_t a[16];
    v4(a, 192, 9, 135, 73); /* Feodo: "192.9.135.73","1194",...,"Pikabot" */
    struct intel_ip_match m[4];
    size_t n = intel_lookup_ip(s, a, 4, m, 4);
    TC_CHECK("feodo", n >= 1);
    if (n) {
        const struct intel_entry *e = intel_entry_get(s, m[0].entry);
        TC_EQ("feodo port", e->port, 1194);
        TC_CHECK("feodo reason", !strcmp(intel_str(s, e->reason), "Pikabot"));
    }
    uint32_t i = intel_lookup_key(s, INTEL_JA3, "b386946a5a44d1ddcc843bc75336dfce", 32);
    TC_CHECK("ja3",
             i != INTEL_NONE && !strcmp(intel_str(s, intel_entry_get(s, i)->reason), "Dridex"));
    i = intel_lookup_key(s, INTEL_SHA1, "0ddb34f875632c7e1ec09d75827f82d2336dfeb6", 40);
    TC_CHECK("sha1",
             i != INTEL_NONE && !strcmp(intel_str(s, intel_entry_get(s, i)->reason), "Fake"));
    TC_CHECK("urlhaus",
             intel_lookup_domain(s, "x.003c.discover.jsfconnections.com", 34, NULL) != INTEL_NONE);
    TC_CHECK("urlhaus mixed case",
             intel_lookup_domain(s, "www.tradeinsights.net", 21, NULL) != INTEL_NONE);
    TC_CHECK("abp", intel_lookup_domain(s, "zz3r0.com", 9, NULL) != INTEL_NONE);
    v4(a, 1, 10, 16, 200); /* DROP 1.10.16.0/20 */
    n = intel_lookup_ip(s, a, 4, m, 4);
    TC_CHECK("drop", n == 1 && m[0].prefix == 20);
    v6(a, "2a13:ef45::1"); /* DROPv6 2a13:ef45::/32 */
    TC_CHECK("drop6", intel_lookup_ip(s, a, 6, m, 4) == 1);
    i = intel_lookup_asn(s, 932);
    TC_CHECK("asn",
             i != INTEL_NONE && !strcmp(intel_str(s, intel_entry_get(s, i)->reason), "XNNET"));
    print_message("all shared lists: %llu entries, %zu bytes\n",
                  (unsigned long long)intel_set_entries(s), intel_set_memuse(s));
    intel_set_free(s);
    tc_done();
}

/* --- hostile lists ---------------------------------------------------------------------------- */

static void test_hostile_lists(void **state)
{
    (void)state;
    char err[256];
    /* Binary: refused with a message naming the file. */
    intel_set_t *s = intel_set_new(0, 0);
    static const uint8_t bin[] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, '\n', '1'};
    assert_int_equal(intel_set_load_mem(s, "blob.bin", bin, sizeof bin, err, sizeof err),
                     MM_EFORMAT);
    assert_non_null(strstr(err, "blob.bin"));
    assert_non_null(strstr(err, "binary"));
    assert_int_equal(intel_set_n_files(s), 0);

    /* A line over INTEL_MAX_LINE bytes is skipped whole; the lines around it load. */
    size_t big = INTEL_MAX_LINE * 3;
    char *t = malloc(big + 64);
    assert_non_null(t);
    strcpy(t, "192.0.2.1\n");
    size_t w = strlen(t);
    memset(t + w, 'a', big);
    w += big;
    strcpy(t + w, ".example\n192.0.2.2\nlast.example");
    w += strlen(t + w);
    assert_int_equal(intel_set_load_mem(s, "long.txt", t, w, err, sizeof err), 0);
    const struct intel_file_info *fi = intel_set_file(s, 0);
    assert_int_equal(fi->too_long, 1);
    assert_int_equal(fi->entries, 3);
    assert_int_equal(fi->lines, 4);
    assert_int_equal(fi->first_skipped, 2);
    /* Exactly INTEL_MAX_LINE bytes is still read (as a bad line: no dot). */
    memset(t, 'b', INTEL_MAX_LINE);
    t[INTEL_MAX_LINE] = '\n';
    assert_int_equal(intel_set_load_mem(s, "edge.txt", t, INTEL_MAX_LINE + 1, err, sizeof err), 0);
    fi = intel_set_file(s, 1);
    assert_int_equal(fi->too_long, 0);
    assert_int_equal(fi->skipped, 1);
    free(t);
    intel_set_free(s);

    /* A million lines against max-entries 1000: the rest is counted as dropped. */
    size_t nlines = 1000000;
    char *m = malloc(nlines * 16);
    assert_non_null(m);
    w = 0;
    for (size_t i = 0; i < nlines; i++)
        w += (size_t)sprintf(m + w, "10.%zu.%zu.%zu\n", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    s = intel_set_new(1000, 0);
    assert_int_equal(intel_set_load_mem(s, "huge.txt", m, w, err, sizeof err), 0);
    fi = intel_set_file(s, 0);
    assert_int_equal(fi->entries, 1000);
    assert_int_equal(fi->dropped, nlines - 1000);
    assert_int_equal(intel_set_dropped(s), nlines - 1000);
    assert_int_equal(intel_set_entries(s), 1000);
    intel_set_free(s);

    /* max-memory: loading stops storing at the budget, never passes it. */
    s = intel_set_new(0, 1024 * 1024);
    assert_int_equal(intel_set_load_mem(s, "huge.txt", m, w, err, sizeof err), 0);
    fi = intel_set_file(s, 0);
    assert_true(fi->dropped > 0);
    assert_true(fi->entries > 1000);
    assert_int_equal(fi->entries + fi->dropped, nlines);
    assert_true(intel_set_memuse(s) <= 1024 * 1024);
    intel_set_free(s);
    free(m);

    /* The same indicator listed over and over: INTEL_MAX_PER_INDICATOR entries kept. */
    s = intel_set_new(0, 0);
    char many[64 * 40];
    w = 0;
    for (int i = 0; i < 40; i++)
        w += (size_t)sprintf(many + w, "192.0.2.1:%d\n", 1000 + i);
    assert_int_equal(intel_set_load_mem(s, "same.txt", many, w, err, sizeof err), 0);
    fi = intel_set_file(s, 0);
    assert_int_equal(fi->entries, INTEL_MAX_PER_INDICATOR);
    assert_int_equal(fi->dropped, 40 - INTEL_MAX_PER_INDICATOR);
    intel_set_free(s);

    /* Files: missing (EIO with the reason), binary on disk, empty. */
    s = intel_set_new(0, 0);
    assert_int_equal(intel_set_load_file(s, "/nonexistent/list.txt", err, sizeof err), MM_EIO);
    assert_non_null(strstr(err, "/nonexistent/list.txt"));
    char path[] = "/tmp/mm_intel_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bin, sizeof bin), (ssize_t)sizeof bin);
    close(fd);
    assert_int_equal(intel_set_load_file(s, path, err, sizeof err), MM_EFORMAT);
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(intel_set_load_file(s, path, err, sizeof err), 0);
    assert_int_equal(intel_set_file(s, 0)->entries, 0);
    unlink(path);
    intel_set_free(s);
}

/* --- the detector ------------------------------------------------------------------------------
 */

#define MAX_ALERTS 64

struct got {
    size_t n;
    uint32_t sid[MAX_ALERTS];
    char src[MAX_ALERTS][64], dst[MAX_ALERTS][64];
    uint16_t sport[MAX_ALERTS], dport[MAX_ALERTS];
    char *json[MAX_ALERTS];
};

static bool on_alert(void *u, const struct det_alert *a)
{
    struct got *g = u;
    if (g->n >= MAX_ALERTS)
        return true;
    g->sid[g->n] = a->rule->sid;
    dec_addr_str(&a->src, a->ip_ver, g->src[g->n], sizeof g->src[0]);
    dec_addr_str(&a->dst, a->ip_ver, g->dst[g->n], sizeof g->dst[0]);
    g->sport[g->n] = a->sport;
    g->dport[g->n] = a->dport;
    g->json[g->n] = strndup(a->mamori_json, a->mamori_len);
    g->n++;
    return true;
}

static void got_reset(struct got *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->json[i]);
    memset(g, 0, sizeof *g);
}

static bool has(const struct got *g, size_t i, const char *needle)
{
    return i < g->n && strstr(g->json[i], needle) != NULL;
}

static char tmpdir[64];

static const char *write_list(const char *name, const char *text)
{
    static char path[8][128];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, sizeof path[0], "%s/%s", tmpdir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mm_dt_intel_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *const DEMO_LIST = "# demo C2 list\n"
                                     "cdn-update-check.example ; demo C2\n"
                                     "203.0.113.66 ; demo C2 server\n"
                                     "198.51.100.0/24 ; bad net\n"
                                     "192.0.2.10:447 ; qakbot port\n"
                                     "192.168.10.99 ; an internal address\n"
                                     "2001:db8:bad::/48 ; v6 net\n"
                                     "http://dl.example/payload.exe ; dropper\n"
                                     "51c64c77e60f3980eea90869b68c58a8 ; ja3 malware\n"
                                     "t13d1516h2_8daaf6152771_e5627efa2ab1 ; ja4 malware\n"
                                     "0ddb34f875632c7e1ec09d75827f82d2336dfeb6 ; bad cert\n";

static dtr_host_t *host_new(struct got *g, const char *const *files, size_t n,
                            const struct dtr_setting *set, size_t n_set, enrich_t *en)
{
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    cfg.update_interval_ns = 600 * S_NS;
    for (size_t i = 0; i < n; i++)
        cfg.intel_files[i] = files[i];
    cfg.n_intel = n;
    cfg.settings = set;
    cfg.n_settings = n_set;
    char err[512] = "";
    dtr_host_t *h = dtr_new(&cfg, en, on_alert, g, err, sizeof err);
    if (!h)
        fail_msg("dtr_new: %s", err);
    return h;
}

/* A flow from client to server (IPv4 dotted or IPv6 text), first packet seen. */
static struct flow mkflow(const char *cli, uint16_t cport, const char *srv, uint16_t sport,
                          uint8_t proto)
{
    struct flow f;
    memset(&f, 0, sizeof f);
    int fam = strchr(cli, ':') ? AF_INET6 : AF_INET;
    assert_int_equal(inet_pton(fam, cli, f.key.a), 1);
    assert_int_equal(inet_pton(fam, srv, f.key.b), 1);
    f.key.ip_ver = fam == AF_INET6 ? 6 : 4;
    f.key.proto = proto;
    f.key.port_a = cport;
    f.key.port_b = sport;
    f.client_is_a = true;
    f.pkts[0] = 1;
    return f;
}

static void first_packet(dtr_host_t *h, struct flow *f, uint64_t ts)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.ts_ns = ts;
    f->first_ns = ts;
    f->pkts[0] = 1;
    f->pkts[1] = 0;
    dtr_packet(h, f, 0, &p);
    /* Later packets of the same flow are never looked at again. */
    f->pkts[1] = 1;
    dtr_packet(h, f, 1, &p);
    f->pkts[0] = 2;
    dtr_packet(h, f, 0, &p);
}

static void test_flow_alert_then_updates(void **state)
{
    (void)state;
    assert_string_equal(dt_intel_ops.name, "intel");
    assert_int_equal(dt_intel_ops.sid_base, 1001);
    struct got g = {0};
    const char *files[] = {write_list("demo.txt", DEMO_LIST)};
    dtr_host_t *h = host_new(&g, files, 1, NULL, 0, NULL);
    struct flow f = mkflow("192.168.10.23", 50000, "203.0.113.66", 443, 6);
    first_packet(h, &f, T0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.sid[0], 1001);
    assert_string_equal(g.src[0], "192.168.10.23");
    assert_string_equal(g.dst[0], "203.0.113.66");
    assert_int_equal(g.sport[0], 50000);
    assert_int_equal(g.dport[0], 443);
    assert_true(has(&g, 0, "\"indicator\":\"203.0.113.66\""));
    assert_true(has(&g, 0, "\"indicator_type\":\"ip\""));
    assert_true(has(&g, 0, "\"seen_in\":\"flow\""));
    assert_true(has(&g, 0, "\"label\":\"demo.txt: demo C2 server\""));
    assert_true(has(&g, 0, "\"list\":\"demo.txt\""));
    assert_true(has(&g, 0, "\"line\":3"));
    assert_true(has(&g, 0, "\"internal_host\":\"192.168.10.23\""));
    assert_true(has(&g, 0, "\"direction\":\"outbound\""));
    assert_true(has(&g, 0, "\"update\":false"));
    assert_true(has(&g, 0, "\"variant\":\"ip\""));
    /* 13 more connections in 17 s: counted, not re-alerted. */
    for (int i = 1; i < 14; i++) {
        struct flow f2 = mkflow("192.168.10.23", (uint16_t)(50000 + i), "203.0.113.66", 443, 6);
        first_packet(h, &f2, T0 + (unsigned long long)i * 1300000000ull);
    }
    assert_int_equal(g.n, 1);
    /* Just under the update interval: still quiet; at it: one update with the counts. */
    struct flow f3 = mkflow("192.168.10.23", 51000, "203.0.113.66", 443, 6);
    first_packet(h, &f3, T0 + 599 * S_NS);
    assert_int_equal(g.n, 1);
    first_packet(h, &f3, T0 + 600 * S_NS);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.sid[1], 1001);
    assert_true(has(&g, 1, "\"update\":true"));
    assert_true(has(&g, 1, "\"sightings\":16"));
    assert_true(has(&g, 1, "\"first_seen\":\"2024-04-23T00:00:00.000000+0000\""));
    assert_true(has(&g, 1, "\"duration_s\":600.000"));
    /* Another internal host: its own alert. */
    struct flow f4 = mkflow("192.168.10.31", 40000, "203.0.113.66", 443, 6);
    first_packet(h, &f4, T0 + 601 * S_NS);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.src[2], "192.168.10.31");
    assert_true(has(&g, 2, "\"update\":false"));
    /* After forget-after (24 h) of quiet, the same pair is a new alert. */
    first_packet(h, &f3, T0 + 600 * S_NS + 86400 * S_NS);
    assert_int_equal(g.n, 4);
    assert_true(has(&g, 3, "\"update\":false"));
    assert_true(has(&g, 3, "\"sightings\":1,"));
    /* End of input: a last update for the pairs seen again since their latest report
     * (10.31's), none for those reported with their latest sighting (10.23's). */
    f4.key.port_a = 40001;
    first_packet(h, &f4, T0 + 700 * S_NS);
    assert_int_equal(g.n, 4);
    dtr_finish(h, T0 + 700 * S_NS + 86400 * S_NS);
    assert_int_equal(g.n, 5);
    assert_string_equal(g.src[4], "192.168.10.31");
    assert_string_equal(g.dst[4], "203.0.113.66");
    assert_true(has(&g, 4, "\"update\":true"));
    assert_true(has(&g, 4, "\"end_of_input\":true"));
    assert_true(has(&g, 4, "\"sightings\":2,"));
    assert_true(has(&g, 4, "\"indicator\":\"203.0.113.66\""));
    assert_true(has(&g, 4, "\"label\":\"demo.txt: demo C2 server\""));
    assert_true(has(&g, 4, "\"duration_s\":99.000"));
    struct dtr_det_stats ds[DTR_MAX_DETECTORS];
    size_t nd = dtr_get_stats(h, ds, DTR_MAX_DETECTORS);
    bool found = false;
    for (size_t i = 0; i < nd; i++) {
        if (strcmp(ds[i].name, "intel"))
            continue;
        found = true;
        assert_int_equal(ds[i].alerts, 3);
        assert_int_equal(ds[i].updates, 2);
        assert_int_equal(ds[i].entries, 0); /* emptied by the end-of-input report */
    }
    assert_true(found);
    dtr_free(h);
    got_reset(&g);
}

static void test_flow_ports_inbound_internal_v6(void **state)
{
    (void)state;
    struct got g = {0};
    const char *files[] = {write_list("demo.txt", DEMO_LIST)};
    dtr_host_t *h = host_new(&g, files, 1, NULL, 0, NULL);
    /* Feodo-style port: only 447 of 192.0.2.10 is listed. */
    struct flow f = mkflow("192.168.10.23", 50000, "192.0.2.10", 443, 6);
    first_packet(h, &f, T0);
    assert_int_equal(g.n, 0);
    f = mkflow("192.168.10.23", 50001, "192.0.2.10", 447, 6);
    first_packet(h, &f, T0 + S_NS);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.sid[0], 1001);
    assert_true(has(&g, 0, "\"port\":447"));
    assert_true(has(&g, 0, "\"indicator\":\"192.0.2.10\""));
    /* A CIDR entry: the indicator is the block; the peer is the address. */
    f = mkflow("192.168.10.24", 50002, "198.51.100.77", 80, 6);
    first_packet(h, &f, T0 + 2 * S_NS);
    assert_int_equal(g.n, 2);
    assert_true(has(&g, 1, "\"indicator\":\"198.51.100.0/24\""));
    assert_true(has(&g, 1, "\"peer\":\"198.51.100.77\""));
    /* Another address of the same block from the same host: same indicator, no alert. */
    f = mkflow("192.168.10.24", 50003, "198.51.100.78", 80, 6);
    first_packet(h, &f, T0 + 3 * S_NS);
    assert_int_equal(g.n, 2);
    /* Inbound: the listed address opens the connection; src is still the internal host. */
    f = mkflow("198.51.100.5", 6000, "192.168.10.80", 80, 6);
    first_packet(h, &f, T0 + 4 * S_NS);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.sid[2], 1002);
    assert_string_equal(g.src[2], "192.168.10.80");
    assert_string_equal(g.dst[2], "198.51.100.5");
    assert_int_equal(g.sport[2], 80);
    assert_int_equal(g.dport[2], 6000);
    assert_true(has(&g, 2, "\"direction\":\"inbound\""));
    /* A listed address inside HOME_NET is not a listed peer. */
    f = mkflow("192.168.10.23", 50004, "192.168.10.99", 445, 6);
    first_packet(h, &f, T0 + 5 * S_NS);
    assert_int_equal(g.n, 3);
    /* IPv6. */
    f = mkflow("fd00::23", 50005, "2001:db8:bad:1::1", 443, 6);
    first_packet(h, &f, T0 + 6 * S_NS);
    assert_int_equal(g.n, 4);
    assert_string_equal(g.src[3], "fd00::23");
    assert_true(has(&g, 3, "\"indicator\":\"2001:db8:bad::/48\""));
    /* Unlisted. */
    f = mkflow("192.168.10.23", 50006, "203.0.113.67", 443, 6);
    first_packet(h, &f, T0 + 7 * S_NS);
    assert_int_equal(g.n, 4);
    dtr_free(h);
    got_reset(&g);

    /* inbound: no. */
    struct dtr_setting set[] = {{"intel", "inbound", "no", 0}};
    h = host_new(&g, files, 1, set, 1, NULL);
    f = mkflow("198.51.100.5", 6000, "192.168.10.80", 80, 6);
    first_packet(h, &f, T0);
    assert_int_equal(g.n, 0);
    f = mkflow("192.168.10.80", 6000, "198.51.100.5", 25, 6);
    first_packet(h, &f, T0);
    assert_int_equal(g.n, 1);
    dtr_free(h);
    got_reset(&g);
}

static void test_dns_tls_http(void **state)
{
    (void)state;
    struct got g = {0};
    const char *files[] = {write_list("demo.txt", DEMO_LIST)};
    dtr_host_t *h = host_new(&g, files, 1, NULL, 0, NULL);

    /* DNS query for a name below a listed domain. */
    struct flow f = mkflow("192.168.10.23", 53001, "192.168.10.53", 53, 17);
    static struct dns_msg m;
    memset(&m, 0, sizeof m);
    m.n_questions = 1;
    snprintf(m.q[0].name, sizeof m.q[0].name, "a.CDN-Update-Check.example");
    m.q[0].type = 1;
    struct app_dns_rec r = {.msg = &m, .tx_id = 0};
    dtr_record(h, &f, 0, T0, APP_REC_DNS, &r);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.sid[0], 1003);
    assert_string_equal(g.src[0], "192.168.10.23");
    assert_string_equal(g.dst[0], "192.168.10.53");
    assert_true(has(&g, 0, "\"indicator\":\"cdn-update-check.example\""));
    assert_true(has(&g, 0, "\"observed\":\"a.CDN-Update-Check.example\""));
    assert_true(has(&g, 0, "\"seen_in\":\"dns_query\""));
    assert_true(has(&g, 0, "\"indicator_type\":\"domain\""));
    /* Its response (question repeated, answer for the name): one more sighting, no alert. */
    m.qr = true;
    m.n_rrs = 2;
    snprintf(m.rr[0].name, sizeof m.rr[0].name, "a.cdn-update-check.example");
    m.rr[0].type = 1;
    m.rr[0].section = 1;
    snprintf(m.rr[0].rdata, sizeof m.rr[0].rdata, "203.0.113.66");
    snprintf(m.rr[1].name, sizeof m.rr[1].name, "a.cdn-update-check.example");
    m.rr[1].type = 1;
    m.rr[1].section = 1;
    snprintf(m.rr[1].rdata, sizeof m.rr[1].rdata, "203.0.113.67");
    dtr_record(h, &f, 1, T0 + 1000, APP_REC_DNS, &r);
    assert_int_equal(g.n, 1);
    /* A CNAME from an unlisted name to a listed one, asked by another host. */
    f = mkflow("192.168.10.24", 53002, "192.168.10.53", 53, 17);
    memset(&m, 0, sizeof m);
    m.qr = true;
    m.n_questions = 1;
    snprintf(m.q[0].name, sizeof m.q[0].name, "innocent.example.com");
    m.n_rrs = 1;
    snprintf(m.rr[0].name, sizeof m.rr[0].name, "innocent.example.com");
    m.rr[0].type = 5;
    m.rr[0].section = 1;
    snprintf(m.rr[0].rdata, sizeof m.rr[0].rdata, "x.cdn-update-check.example");
    dtr_record(h, &f, 1, T0 + 2000, APP_REC_DNS, &r);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.sid[1], 1003);
    assert_string_equal(g.src[1], "192.168.10.24");
    assert_true(has(&g, 1, "\"seen_in\":\"dns_answer\""));
    /* The same answer in the authority section (section 2) is not an answer. */
    m.rr[0].section = 2;
    f = mkflow("192.168.10.25", 53003, "192.168.10.53", 53, 17);
    dtr_record(h, &f, 1, T0 + 3000, APP_REC_DNS, &r);
    assert_int_equal(g.n, 2);

    /* TLS: SNI, JA3, JA4, certificate: four indicators, four alerts. */
    f = mkflow("192.168.10.23", 50100, "203.0.113.99", 443, 6);
    static struct tls_rec t;
    memset(&t, 0, sizeof t);
    t.client_hello = true;
    t.has_sni = true;
    memcpy(t.sni, "cdn-update-check.example", 24);
    t.sni_len = 24;
    snprintf(t.ja3_hash, sizeof t.ja3_hash, "51c64c77e60f3980eea90869b68c58a8");
    snprintf(t.ja4, sizeof t.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    t.has_cert = true;
    snprintf(t.cert.fingerprint, sizeof t.cert.fingerprint,
             "0d:db:34:f8:75:63:2c:7e:1e:c0:9d:75:82:7f:82:d2:33:6d:fe:b6");
    dtr_record(h, &f, 1, T0 + 4000, APP_REC_TLS, &t);
    /* The SNI is the domain the DNS alert named for this host: a sighting, no new alert. */
    assert_int_equal(g.n, 5);
    assert_int_equal(g.sid[2], 1007);
    assert_true(has(&g, 2, "\"indicator\":\"51c64c77e60f3980eea90869b68c58a8\""));
    assert_true(has(&g, 2, "\"seen_in\":\"tls_ja3\""));
    assert_int_equal(g.sid[3], 1008);
    assert_int_equal(g.sid[4], 1009);
    assert_true(has(&g, 4, "\"indicator\":\"0ddb34f875632c7e1ec09d75827f82d2336dfeb6\""));
    assert_true(has(&g, 4, "\"indicator_type\":\"cert_sha1\""));
    assert_string_equal(g.dst[4], "203.0.113.99");
    /* SNI from a host that never asked DNS: its own alert, sid 1004. */
    f = mkflow("192.168.10.26", 50101, "203.0.113.99", 443, 6);
    memset(&t, 0, sizeof t);
    t.has_sni = true;
    memcpy(t.sni, "www.cdn-update-check.example.", 29);
    t.sni_len = 29;
    dtr_record(h, &f, 1, T0 + 5000, APP_REC_TLS, &t);
    assert_int_equal(g.n, 6);
    assert_int_equal(g.sid[5], 1004);
    assert_true(has(&g, 5, "\"indicator\":\"cdn-update-check.example\""));

    /* HTTP: Host under a listed domain (1005); a listed URL (1006). */
    f = mkflow("192.168.10.27", 50200, "203.0.113.120", 80, 6);
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.hostname.p = (const uint8_t *)"cdn-update-check.example";
    tx.hostname.len = 24;
    tx.uri.p = (const uint8_t *)"/x";
    tx.uri.len = 2;
    tx.http_port = -1;
    dtr_record(h, &f, 0, T0 + 6000, APP_REC_HTTP, &tx);
    assert_int_equal(g.n, 7);
    assert_int_equal(g.sid[6], 1005);
    assert_true(has(&g, 6, "\"seen_in\":\"http_host\""));
    tx.hostname.p = (const uint8_t *)"dl.example";
    tx.hostname.len = 10;
    tx.uri.p = (const uint8_t *)"/payload.exe";
    tx.uri.len = 12;
    dtr_record(h, &f, 0, T0 + 7000, APP_REC_HTTP, &tx);
    assert_int_equal(g.n, 8);
    assert_int_equal(g.sid[7], 1006);
    assert_true(has(&g, 7, "\"indicator\":\"dl.example/payload.exe\""));
    assert_true(has(&g, 7, "\"label\":\"demo.txt: dropper\""));
    /* Absolute-form URI, and a different port: the first matches, the second does not. */
    f = mkflow("192.168.10.28", 50201, "203.0.113.120", 80, 6);
    tx.uri.p = (const uint8_t *)"http://dl.example/payload.exe";
    tx.uri.len = 29;
    dtr_record(h, &f, 0, T0 + 8000, APP_REC_HTTP, &tx);
    assert_int_equal(g.n, 9);
    f = mkflow("192.168.10.30", 50203, "203.0.113.120", 80, 6);
    tx.uri.p = (const uint8_t *)"HTTPS://dl.example/payload.exe";
    tx.uri.len = 30;
    dtr_record(h, &f, 0, T0 + 8500, APP_REC_HTTP, &tx);
    assert_int_equal(g.n, 10);
    assert_true(has(&g, 9, "\"indicator\":\"dl.example/payload.exe\""));
    f = mkflow("192.168.10.29", 50202, "203.0.113.120", 8080, 6);
    tx.http_port = 8080;
    tx.uri.p = (const uint8_t *)"/payload.exe";
    tx.uri.len = 12;
    dtr_record(h, &f, 0, T0 + 9000, APP_REC_HTTP, &tx);
    assert_int_equal(g.n, 10);
    /* Unlisted host. */
    tx.hostname.p = (const uint8_t *)"www.example.org";
    tx.hostname.len = 15;
    dtr_record(h, &f, 0, T0 + 9000, APP_REC_HTTP, &tx);
    assert_int_equal(g.n, 10);
    dtr_free(h);
    got_reset(&g);

    /* dns-answers: no: the CNAME target is not looked at. */
    struct dtr_setting set[] = {{"intel", "dns-answers", "no", 0}};
    h = host_new(&g, files, 1, set, 1, NULL);
    memset(&m, 0, sizeof m);
    m.qr = true;
    m.n_rrs = 1;
    snprintf(m.rr[0].name, sizeof m.rr[0].name, "innocent.example.com");
    m.rr[0].type = 5;
    m.rr[0].section = 1;
    snprintf(m.rr[0].rdata, sizeof m.rr[0].rdata, "x.cdn-update-check.example");
    dtr_record(h, &f, 1, T0, APP_REC_DNS, &r);
    assert_int_equal(g.n, 0);
    dtr_free(h);
    got_reset(&g);
}

/* A client asks the internal resolver, the resolver asks upstream: only the client is
 * reported. Without the client's query in view, the resolver is. */
static void test_dns_forwarding(void **state)
{
    (void)state;
    struct got g = {0};
    const char *files[] = {write_list("demo.txt", DEMO_LIST)};
    dtr_host_t *h = host_new(&g, files, 1, NULL, 0, NULL);
    static struct dns_msg m;
    memset(&m, 0, sizeof m);
    m.n_questions = 1;
    snprintf(m.q[0].name, sizeof m.q[0].name, "cdn-update-check.example");
    struct app_dns_rec r = {.msg = &m};
    struct flow pc = mkflow("192.168.10.23", 53001, "192.168.10.53", 53, 17);
    struct flow up = mkflow("192.168.10.53", 40000, "192.0.2.53", 53, 17);
    dtr_record(h, &pc, 0, T0, APP_REC_DNS, &r);
    dtr_record(h, &up, 0, T0 + 200000, APP_REC_DNS, &r);
    /* The upstream answer to the resolver. */
    m.qr = true;
    m.n_rrs = 1;
    snprintf(m.rr[0].name, sizeof m.rr[0].name, "cdn-update-check.example");
    m.rr[0].type = 1;
    m.rr[0].section = 1;
    dtr_record(h, &up, 1, T0 + 30000000, APP_REC_DNS, &r);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.src[0], "192.168.10.23");
    /* The resolver asking on its own, 11 s later (forward-window 10 s): reported. */
    m.qr = false;
    m.n_rrs = 0;
    dtr_record(h, &up, 0, T0 + 11 * S_NS, APP_REC_DNS, &r);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.src[1], "192.168.10.53");
    assert_string_equal(g.dst[1], "192.0.2.53");
    dtr_free(h);
    got_reset(&g);

    /* forward-window 0: both reported. */
    struct dtr_setting set[] = {{"intel", "forward-window", "0", 0}};
    h = host_new(&g, files, 1, set, 1, NULL);
    dtr_record(h, &pc, 0, T0, APP_REC_DNS, &r);
    dtr_record(h, &up, 0, T0 + 200000, APP_REC_DNS, &r);
    assert_int_equal(g.n, 2);
    dtr_free(h);
    got_reset(&g);

    /* A host that answered another internal host's query is a resolver: its lookups of a
     * listed name are not its own, even without the client's query for that name in view
     * (a CNAME to a listed name in the upstream answer). */
    h = host_new(&g, files, 1, NULL, 0, NULL);
    memset(&m, 0, sizeof m);
    m.qr = true;
    m.n_questions = 1;
    snprintf(m.q[0].name, sizeof m.q[0].name, "www.example.org");
    dtr_record(h, &pc, 1, T0, APP_REC_DNS, &r);
    snprintf(m.q[0].name, sizeof m.q[0].name, "cdn.innocent.example");
    m.n_rrs = 1;
    snprintf(m.rr[0].name, sizeof m.rr[0].name, "cdn.innocent.example");
    m.rr[0].type = 5;
    m.rr[0].section = 1;
    snprintf(m.rr[0].rdata, sizeof m.rr[0].rdata, "x.cdn-update-check.example");
    dtr_record(h, &up, 1, T0 + 3600 * S_NS, APP_REC_DNS, &r);
    assert_int_equal(g.n, 0);
    /* The client gets the same answer: reported for the client. */
    dtr_record(h, &pc, 1, T0 + 3600 * S_NS + 1000, APP_REC_DNS, &r);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.src[0], "192.168.10.23");
    /* Forgotten after forget-after: the host's own lookups count again. */
    dtr_record(h, &up, 1, T0 + 100000 * S_NS, APP_REC_DNS, &r);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.src[1], "192.168.10.53");
    dtr_free(h);
    got_reset(&g);
}

static void test_memcap_eviction(void **state)
{
    (void)state;
    struct got g = {0};
    const char *files[] = {write_list("demo.txt", DEMO_LIST)};
    struct dtr_setting set[] = {{"intel", "memcap", "64kb", 0}};
    dtr_host_t *h = host_new(&g, files, 1, set, 1, NULL);
    /* 1000 internal hosts each contact the C2: far more pairs than 64 KiB holds. */
    for (unsigned i = 0; i < 1000; i++) {
        char cli[32];
        snprintf(cli, sizeof cli, "10.0.%u.%u", i / 250, i % 250 + 1);
        struct flow f = mkflow(cli, 50000, "203.0.113.66", 443, 6);
        first_packet(h, &f, T0 + i * S_NS);
    }
    /* Every pair is new when first seen: all alert, even those taken over later. */
    assert_int_equal(g.n, MAX_ALERTS);
    struct dtr_det_stats ds[DTR_MAX_DETECTORS];
    size_t nd = dtr_get_stats(h, ds, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < nd; i++) {
        if (strcmp(ds[i].name, "intel"))
            continue;
        assert_int_equal(ds[i].alerts, 1000);
        assert_true(ds[i].entries < 1000);
        assert_int_equal(ds[i].evicted, 1000 - ds[i].entries);
        assert_true(ds[i].memuse <= 64 * 1024);
        assert_int_equal(ds[i].memcap, 64 * 1024);
    }
    dtr_free(h);
    got_reset(&g);
}

static void test_reload_and_errors(void **state)
{
    (void)state;
    struct got g = {0};
    const char *path = write_list("reload.txt", "203.0.113.66\n");
    const char *files[] = {path};
    dtr_host_t *h = host_new(&g, files, 1, NULL, 0, NULL);
    struct flow f = mkflow("192.168.10.23", 50000, "203.0.113.70", 443, 6);
    first_packet(h, &f, T0);
    assert_int_equal(g.n, 0);
    write_list("reload.txt", "203.0.113.70 ; added later\n");
    char err[512] = "";
    assert_int_equal(dtr_reload(h, err, sizeof err), 0);
    first_packet(h, &f, T0 + S_NS);
    assert_int_equal(g.n, 1);
    assert_true(has(&g, 0, "added later"));
    /* A broken file on reload: an error naming it, and the old lists stay. */
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite("\0\1\2\3binary", 1, 10, fp);
    fclose(fp);
    assert_int_not_equal(dtr_reload(h, err, sizeof err), 0);
    assert_non_null(strstr(err, "reload.txt"));
    struct flow f2 = mkflow("192.168.10.24", 50000, "203.0.113.70", 443, 6);
    first_packet(h, &f2, T0 + 2 * S_NS);
    assert_int_equal(g.n, 2);
    dtr_free(h);
    got_reset(&g);

    /* dtr_new with an unreadable list fails, naming the detector and the file. */
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    cfg.intel_files[0] = "/nonexistent/c2.txt";
    cfg.n_intel = 1;
    assert_null(dtr_new(&cfg, NULL, on_alert, &g, err, sizeof err));
    assert_non_null(strstr(err, "intel"));
    assert_non_null(strstr(err, "/nonexistent/c2.txt"));
    /* A bad setting. */
    struct dtr_setting bad[] = {{"intel", "max-entries", "0", 3}};
    cfg.n_intel = 0;
    cfg.settings = bad;
    cfg.n_settings = 1;
    assert_null(dtr_new(&cfg, NULL, on_alert, &g, err, sizeof err));
    assert_non_null(strstr(err, "max-entries"));
    /* No lists at all: the detector runs and says nothing. */
    cfg.n_settings = 0;
    h = dtr_new(&cfg, NULL, on_alert, &g, err, sizeof err);
    assert_non_null(h);
    f = mkflow("192.168.10.23", 50000, "203.0.113.66", 443, 6);
    first_packet(h, &f, T0);
    assert_int_equal(g.n, 0);
    dtr_free(h);
}

/* ASN-DROP entries match through a GeoIP ASN database (the MaxMind test database maps
 * 1.128.0.0/11 to AS1221). */
static void test_asn_via_geoip(void **state)
{
    (void)state;
    const char *db = MM_SHARED_DIR "/geoip/GeoLite2-ASN-Test.mmdb";
    struct stat sb;
    if (stat(db, &sb) != 0) {
        print_message("skipped: %s not present\n", db);
        skip();
    }
    struct enrich_config ec;
    enrich_config_defaults(&ec);
    ec.oui_path = "";
    ec.geoip_paths[0] = db;
    ec.n_geoip = 1;
    char err[512];
    enrich_t *en = enrich_new(&ec, err, sizeof err);
    if (!en)
        fail_msg("enrich_new: %s", err);
    struct got g = {0};
    const char *files[] = {write_list("asn.json", "{\"asn\":1221,\"asname\":\"TEST-AS\"}\n")};
    dtr_host_t *h = host_new(&g, files, 1, NULL, 0, en);
    struct flow f = mkflow("192.168.10.23", 50000, "1.128.0.1", 443, 6);
    first_packet(h, &f, T0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.sid[0], 1010);
    assert_true(has(&g, 0, "\"indicator\":\"AS1221\""));
    assert_true(has(&g, 0, "\"reason\":\"TEST-AS\""));
    f = mkflow("192.168.10.23", 50000, "1.0.0.1", 443, 6); /* AS15169: not listed */
    first_packet(h, &f, T0 + S_NS);
    assert_int_equal(g.n, 1);
    dtr_free(h);
    enrich_free(en);
    got_reset(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_radix_longest_prefix_v4),
        cmocka_unit_test(test_radix_v6_and_zero),
        cmocka_unit_test(test_radix_insert_orders),
        cmocka_unit_test(test_plain_formats),
        cmocka_unit_test(test_csv_and_json_formats),
        cmocka_unit_test(test_domain_parent_matching),
        cmocka_unit_test(test_url_key),
        cmocka_unit_test(test_real_files),
        cmocka_unit_test(test_hostile_lists),
        cmocka_unit_test(test_flow_alert_then_updates),
        cmocka_unit_test(test_flow_ports_inbound_internal_v6),
        cmocka_unit_test(test_dns_tls_http),
        cmocka_unit_test(test_dns_forwarding),
        cmocka_unit_test(test_memcap_eviction),
        cmocka_unit_test(test_reload_and_errors),
        cmocka_unit_test(test_asn_via_geoip),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
