/*
 * Tests for BPF filtering of file sources (src/capture/capture.c): filtered packets are
 * counted and not returned, expressions compile per link type in a pcapng file, syntax
 * errors fail cap_set_filter(), and link types the expression cannot apply to fail cap_next().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cap_testutil.h"
#include "capture/capture.h"
#include "core/mm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Packet i of the test files: TCP to port 80, UDP to 53, TCP to 22, UDP to 80 (repeating). */
static const struct {
    uint8_t proto;
    uint16_t dport;
} k_pkts[4] = {{6, 80}, {17, 53}, {6, 22}, {17, 80}};

static char *write_pcap(unsigned n)
{
    struct tb b;
    uint8_t f[256];
    tb_init(&b, false);
    tb_pcap_hdr(&b, false, 1, 65535);
    for (unsigned i = 0; i < n; i++) {
        size_t len = make_frame(f, sizeof f, false, k_pkts[i % 4].proto, 40000, k_pkts[i % 4].dport,
                                (uint16_t)i);
        tb_pcap_rec(&b, i, 0, f, (uint32_t)len, (uint32_t)len);
    }
    char *path = tb_write_tmp(b.p, b.len);
    tb_free(&b);
    return path;
}

/* pcapng: interface 0 Ethernet, interface 1 Linux SLL, packets alternate between them. */
static char *write_pcapng_mixed(unsigned n, uint16_t second_linktype)
{
    struct tb b;
    uint8_t f[256];
    tb_init(&b, false);
    tb_shb(&b);
    tb_idb(&b, 1, 0, -1, NULL);
    tb_idb(&b, second_linktype, 0, -1, NULL);
    for (unsigned i = 0; i < n; i++) {
        bool sll = i % 2 == 1;
        size_t len =
            make_frame(f, sizeof f, sll, k_pkts[i % 4].proto, 40000, k_pkts[i % 4].dport, 10);
        tb_epb(&b, sll ? 1 : 0, i, f, (uint32_t)len, (uint32_t)len);
    }
    char *path = tb_write_tmp(b.p, b.len);
    tb_free(&b);
    return path;
}

/* Read everything; returns the packet numbers returned as a bit mask. */
static uint32_t read_mask(cap_source_t *s, int *last_rc)
{
    uint32_t mask = 0;
    struct cap_pkt p;
    int rc;
    while ((rc = cap_next(s, &p)) == 1)
        mask |= 1u << (p.pkt_no - 1);
    *last_rc = rc;
    return mask;
}

static void test_bpf_filters_pcap(void **state)
{
    (void)state;
    static const struct {
        const char *expr;
        uint32_t want_mask; /* of 8 packets */
    } rows[] = {
        {"udp", 0xaa}, {"tcp port 80", 0x11}, {"port 80", 0x99},
        {"tcp", 0x55}, {"icmp", 0x00},        {"", 0xff}, /* empty: no filter */
    };
    char *path = write_pcap(8);
    for (size_t r = 0; r < MM_ARRAY_LEN(rows); r++) {
        char err[256];
        cap_source_t *s = cap_open_file(path, err, sizeof err);
        assert_non_null(s);
        if (cap_set_filter(s, rows[r].expr, err, sizeof err) != 0)
            fail_msg("row %zu: %s", r, err);
        int rc;
        uint32_t mask = read_mask(s, &rc);
        assert_int_equal(rc, MM_EOF);
        if (mask != rows[r].want_mask)
            fail_msg("row %zu \"%s\": mask 0x%x, want 0x%x", r, rows[r].expr, mask,
                     rows[r].want_mask);
        struct cap_stats st;
        cap_get_stats(s, &st);
        assert_int_equal(st.pkts_read, 8);
        assert_int_equal(st.pkts_filtered, 8 - (uint64_t)__builtin_popcount(mask));
        cap_close(s);
    }
    unlink(path);
    free(path);
}

static void test_bpf_per_linktype_in_pcapng(void **state)
{
    (void)state;
    char *path = write_pcapng_mixed(8, 113);
    char err[256];
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(cap_set_filter(s, "udp", err, sizeof err), 0);
    int rc;
    uint32_t mask = read_mask(s, &rc);
    assert_int_equal(rc, MM_EOF);
    assert_int_equal(mask, 0xaa); /* the UDP ones are the SLL ones here */
    cap_close(s);

    s = cap_open_file(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(cap_set_filter(s, "tcp port 22 or udp port 53", err, sizeof err), 0);
    mask = read_mask(s, &rc);
    assert_int_equal(rc, MM_EOF);
    assert_int_equal(mask, 0x66);
    struct cap_stats st;
    cap_get_stats(s, &st);
    assert_int_equal(st.pkts_filtered, 4);
    cap_close(s);
    unlink(path);
    free(path);
}

static void test_bpf_syntax_error(void **state)
{
    (void)state;
    char *path = write_pcap(2);
    char err[256];
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(cap_set_filter(s, "tcp port", err, sizeof err), MM_EINVAL);
    assert_non_null(strstr(err, "tcp port"));
    /* the source still works, unfiltered */
    int rc;
    assert_int_equal(read_mask(s, &rc), 0x3);
    cap_close(s);
    unlink(path);
    free(path);
}

/* "ether host" cannot apply to raw IP packets: the raw interface's first packet fails. */
static void test_bpf_not_for_this_linktype(void **state)
{
    (void)state;
    char *path = write_pcapng_mixed(4, 101);
    char err[256];
    cap_source_t *s = cap_open_file(path, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(cap_set_filter(s, "ether host 02:00:00:00:00:01", err, sizeof err), 0);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), 1);
    assert_int_equal(cap_next(s, &p), MM_EINVAL);
    assert_non_null(strstr(cap_error(s), "packet 2: filter \"ether host 02:00:00:00:00:01\" "
                                         "does not compile for link type RAW"));
    cap_close(s);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bpf_filters_pcap),
        cmocka_unit_test(test_bpf_per_linktype_in_pcapng),
        cmocka_unit_test(test_bpf_syntax_error),
        cmocka_unit_test(test_bpf_not_for_this_linktype),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
