/*
 * Tests for the pcapng reader (src/capture/file_pcapng.c) through the public API: interfaces
 * with different link types and timestamp resolutions, both byte orders, concatenated
 * sections, skipped blocks, SPB/PB, every truncation point and corrupt values.
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

static cap_source_t *open_bytes(const struct tb *b, char *err, size_t errlen)
{
    char *path = tb_write_tmp(b->p, b->len);
    cap_source_t *s = cap_open_file(path, err, errlen);
    unlink(path);
    free(path);
    return s;
}

static void expect_pkt(cap_source_t *s, uint32_t caplen, uint32_t wirelen, unsigned seed,
                       int linktype, uint32_t iface, uint64_t ts_ns)
{
    struct cap_pkt p;
    int rc = cap_next(s, &p);
    if (rc != 1)
        fail_msg("rc %d: %s", rc, cap_error(s));
    uint8_t want[2048];
    fill_pattern(want, caplen, seed);
    if (p.caplen != caplen || p.wirelen != wirelen || p.linktype != linktype || p.iface != iface ||
        p.ts_ns != ts_ns)
        fail_msg("pkt %llu: caplen %u/%u wirelen %u/%u linktype %d/%d iface %u/%u ts %llu/%llu",
                 (unsigned long long)p.pkt_no, p.caplen, caplen, p.wirelen, wirelen, p.linktype,
                 linktype, p.iface, iface, (unsigned long long)p.ts_ns, (unsigned long long)ts_ns);
    assert_memory_equal(p.data, want, caplen);
}

/* Two interfaces: Ethernet in microseconds (default) and Linux SLL in nanoseconds. */
static void test_pcapng_two_interfaces(void **state)
{
    (void)state;
    for (int big = 0; big <= 1; big++) {
        struct tb b;
        uint8_t d[200];
        tb_init(&b, big);
        tb_shb(&b);
        tb_idb(&b, 1, 65535, -1, NULL);
        tb_idb(&b, 113, 0, 9, NULL);
        fill_pattern(d, 61, 1);
        tb_epb(&b, 0, 1700000000123456ull, d, 61, 61);
        fill_pattern(d, 100, 2);
        tb_epb(&b, 1, 1700000000123456789ull, d, 100, 1500);
        fill_pattern(d, 3, 3);
        tb_epb(&b, 0, 5, d, 3, 3);
        char err[256];
        cap_source_t *s = open_bytes(&b, err, sizeof err);
        if (s == NULL)
            fail_msg("big %d: %s", big, err);
        assert_int_equal(cap_linktype(s), 1);
        expect_pkt(s, 61, 61, 1, 1, 0, 1700000000123456000ull);
        expect_pkt(s, 100, 1500, 2, 113, 1, 1700000000123456789ull);
        expect_pkt(s, 3, 3, 3, 1, 0, 5000);
        struct cap_pkt p;
        assert_int_equal(cap_next(s, &p), MM_EOF);
        struct cap_stats st;
        cap_get_stats(s, &st);
        assert_int_equal(st.pkts_read, 3);
        assert_int_equal(st.snap_truncated, 1);
        cap_close(s);
        tb_free(&b);
    }
}

static void test_pcapng_tsresol(void **state)
{
    (void)state;
    static const struct {
        int tsresol;
        int64_t tsoffset; /* seconds; 0 = no option */
        uint64_t ts;
        uint64_t want_ns;
    } rows[] = {
        {6, 0, 1500000, 1500000000},
        {9, 0, 1234567890123ull, 1234567890123ull},
        {3, 0, 1500, 1500000000},
        {0, 0, 7, 7000000000ull},
        {12, 0, 5000000000123ull, 5000000000ull},      /* picoseconds */
        {0x80 | 10, 0, 1024 * 3 + 512, 3500000000ull}, /* 1/1024 s */
        {0x80 | 0, 0, 9, 9000000000ull},               /* whole seconds */
        {0x80 | 40, 0, (3ull << 40) | (1ull << 39), 3500000000ull},
        {6, 100, 1000000, 101000000000ull},
        {6, -1, 3000000, 2000000000ull},
    };
    for (size_t r = 0; r < MM_ARRAY_LEN(rows); r++) {
        struct tb b;
        uint8_t d[4] = {1, 2, 3, 4};
        tb_init(&b, r % 2 == 1);
        tb_shb(&b);
        tb_idb(&b, 101, 0, rows[r].tsresol, rows[r].tsoffset ? &rows[r].tsoffset : NULL);
        tb_epb(&b, 0, rows[r].ts, d, 4, 4);
        char err[256];
        cap_source_t *s = open_bytes(&b, err, sizeof err);
        assert_non_null(s);
        struct cap_pkt p;
        assert_int_equal(cap_next(s, &p), 1);
        if (p.ts_ns != rows[r].want_ns)
            fail_msg("row %zu: ts %llu, want %llu", r, (unsigned long long)p.ts_ns,
                     (unsigned long long)rows[r].want_ns);
        assert_int_equal(p.linktype, CAP_LINK_RAW);
        cap_close(s);
        tb_free(&b);
    }
}

/* Section 1 (little-endian): Ethernet; section 2 (big-endian): its own interface 0 is SLL. */
static void test_pcapng_concatenated_sections(void **state)
{
    (void)state;
    struct tb b;
    uint8_t d[64];
    fill_pattern(d, 64, 9);
    tb_init(&b, false);
    tb_shb(&b);
    tb_idb(&b, 1, 0, -1, NULL);
    tb_idb(&b, 101, 0, -1, NULL);
    tb_epb(&b, 1, 1, d, 64, 64);
    b.big = true;
    tb_shb(&b);
    tb_idb(&b, 113, 0, 9, NULL);
    tb_epb(&b, 0, 2, d, 64, 64);
    size_t bad = tb_epb(&b, 1, 3, d, 64, 64); /* interface 1 belonged to section 1 */
    char err[256];
    cap_source_t *s = open_bytes(&b, err, sizeof err);
    assert_non_null(s);
    expect_pkt(s, 64, 64, 9, 101, 1, 1000);
    expect_pkt(s, 64, 64, 9, 113, 0, 2);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), MM_EFORMAT);
    char want[128];
    snprintf(want, sizeof want, "packet 3 (offset %zu): interface id 1 out of range (1 ", bad);
    if (strstr(cap_error(s), want) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", cap_error(s), want);
    assert_int_equal(cap_linktype(s), 1);
    cap_close(s);
    tb_free(&b);
}

static void test_pcapng_skips_other_blocks(void **state)
{
    (void)state;
    struct tb b;
    uint8_t d[64];
    fill_pattern(d, 64, 4);
    tb_init(&b, false);
    tb_shb(&b);
    /* a Name Resolution Block before the first IDB: read-ahead must get past it */
    static const uint8_t nrb[] = {1, 0, 8, 0, 10, 0, 0, 1, 'a', '.', 'b', 0, 0, 0, 0, 0};
    tb_blk_raw(&b, 4, nrb, sizeof nrb);
    tb_idb(&b, 1, 0, -1, NULL);
    tb_epb(&b, 0, 1, d, 64, 64);
    static const uint8_t isb[28] = {0};
    tb_blk_raw(&b, 5, isb, sizeof isb);                     /* Interface Statistics */
    tb_blk_raw(&b, 0x40000bad, (const uint8_t *)"PEN!", 4); /* custom block */
    /* a 3 MB unknown block: larger than the read buffer, skipped by streaming */
    size_t big_len = 3u << 20;
    uint8_t *big = calloc(1, big_len);
    assert_non_null(big);
    tb_blk_raw(&b, 0x12345678, big, big_len);
    free(big);
    tb_epb(&b, 0, 2, d, 64, 64);
    char err[256];
    cap_source_t *s = open_bytes(&b, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(cap_linktype(s), 1); /* known before the first packet */
    expect_pkt(s, 64, 64, 4, 1, 0, 1000);
    expect_pkt(s, 64, 64, 4, 1, 0, 2000);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), MM_EOF);
    cap_close(s);
    tb_free(&b);
}

static void test_pcapng_spb_and_pb(void **state)
{
    (void)state;
    struct tb b;
    uint8_t d[128];
    fill_pattern(d, 128, 5);
    tb_init(&b, true);
    tb_shb(&b);
    tb_idb(&b, 1, 100, -1, NULL); /* snaplen 100 */
    tb_spb(&b, d, 100, 1000);     /* wirelen 1000, 100 captured (snaplen) */
    tb_spb(&b, d, 43, 41);        /* 41 of the 44 padded bytes are packet */
    tb_pb(&b, 0, 7, d, 128, 128);
    char err[256];
    cap_source_t *s = open_bytes(&b, err, sizeof err);
    assert_non_null(s);
    expect_pkt(s, 100, 1000, 5, 1, 0, 0);
    expect_pkt(s, 41, 41, 5, 1, 0, 0);
    expect_pkt(s, 128, 128, 5, 1, 0, 7000);
    cap_close(s);
    tb_free(&b);
}

/* SHB, IDB, EPB, NRB, EPB, SPB, second SHB, IDB, EPB: cut at every byte. */
static void test_pcapng_every_truncation_point(void **state)
{
    (void)state;
    struct tb b;
    uint8_t d[3][80];
    static const uint32_t lens[4] = {80, 33, 41, 7};
    size_t start[9];
    bool is_pkt[9] = {false, false, true, false, true, true, false, false, true};
    tb_init(&b, false);
    for (unsigned i = 0; i < 3; i++)
        fill_pattern(d[i], 80, i);
    start[0] = tb_shb(&b);
    start[1] = tb_idb(&b, 1, 0, 9, NULL);
    start[2] = tb_epb(&b, 0, 1, d[0], lens[0], lens[0]);
    static const uint8_t nrb[] = {0, 0, 0, 0};
    start[3] = tb_blk_raw(&b, 4, nrb, sizeof nrb);
    start[4] = tb_epb(&b, 0, 2, d[1], lens[1], lens[1]);
    start[5] = tb_spb(&b, d[2], lens[2], lens[2]);
    b.big = true;
    start[6] = tb_shb(&b);
    start[7] = tb_idb(&b, 1, 0, 9, NULL);
    start[8] = tb_epb(&b, 0, 3, d[0], lens[3], lens[3]);
    size_t total = b.len;

    for (size_t cut = 0; cut <= total; cut++) {
        char *path = tb_write_tmp(b.p, cut);
        char err[512];
        cap_source_t *s = cap_open_file(path, err, sizeof err);
        if (cut < start[1]) {
            if (s != NULL)
                fail_msg("cut %zu inside the first SHB: open succeeded", cut);
            unlink(path);
            free(path);
            continue;
        }
        if (s == NULL)
            fail_msg("cut %zu: %s", cut, err);
        /* blocks wholly before the cut, and packets among them */
        unsigned whole = 0, pkts = 0;
        while (whole < 9 && (whole + 1 < 9 ? start[whole + 1] : total) <= cut) {
            pkts += is_pkt[whole];
            whole++;
        }
        static const unsigned pkt_data[4] = {0, 1, 2, 0};
        struct cap_pkt p;
        for (unsigned i = 0; i < pkts; i++) {
            int rc = cap_next(s, &p);
            if (rc != 1)
                fail_msg("cut %zu pkt %u: rc %d %s", cut, i, rc, cap_error(s));
            assert_int_equal(p.caplen, lens[i]);
            assert_memory_equal(p.data, d[pkt_data[i]], lens[i]);
        }
        int rc = cap_next(s, &p);
        if (whole == 9 || cut == start[whole]) {
            if (rc != MM_EOF)
                fail_msg("cut %zu at a block boundary: rc %d %s", cut, rc, cap_error(s));
        } else {
            if (rc != MM_ETRUNC)
                fail_msg("cut %zu: rc %d, want MM_ETRUNC (%s)", cut, rc, cap_error(s));
            char want[128];
            /* the block type is known once 4 of its bytes are present */
            if (is_pkt[whole] && cut - start[whole] >= 4)
                snprintf(want, sizeof want, "%s: packet %u (offset %zu): truncated", path, pkts + 1,
                         start[whole]);
            else
                snprintf(want, sizeof want, "%s: block at offset %zu (after packet %u): truncated",
                         path, start[whole], pkts);
            if (strstr(cap_error(s), want) == NULL)
                fail_msg("cut %zu: \"%s\" lacks \"%s\"", cut, cap_error(s), want);
        }
        cap_close(s);
        unlink(path);
        free(path);
    }
    tb_free(&b);
}

/* Base file: SHB, IDB, EPB (64 bytes), EPB; each row damages it and names the message. */
enum mut {
    MUT_LEN_NOT_MULT4,
    MUT_LEN_BELOW_12,
    MUT_EPB_LEN_BELOW_32,
    MUT_LEN_HUGE,
    MUT_TRAILER,
    MUT_CAPLEN_HUGE,
    MUT_CAPLEN_BEYOND_BLOCK,
    MUT_IFACE_RANGE,
    MUT_EPB_BEFORE_IDB,
    MUT_SPB_BEFORE_IDB,
    MUT_BAD_BOM,
    MUT_VERSION,
    MUT_TSRESOL,
    MUT_OPTION_OVERRUN,
    MUT_UNKNOWN_TRAILER,
};

static void build_mutated(struct tb *b, enum mut m, size_t *bad_off)
{
    uint8_t d[64];
    fill_pattern(d, 64, 1);
    tb_init(b, false);
    tb_shb(b);
    size_t idb = 0;
    if (m != MUT_EPB_BEFORE_IDB && m != MUT_SPB_BEFORE_IDB)
        idb = tb_idb(b, 1, 0, m == MUT_TSRESOL ? 20 : -1, NULL);
    if (m != MUT_SPB_BEFORE_IDB)
        tb_epb(b, 0, 1, d, 64, 64);
    size_t e = m == MUT_SPB_BEFORE_IDB ? tb_spb(b, d, 64, 64) : tb_epb(b, 0, 2, d, 64, 64);
    *bad_off = e;
    switch (m) {
    case MUT_LEN_NOT_MULT4: tb_put32_at(b, e + 4, 98); break;
    case MUT_LEN_BELOW_12: tb_put32_at(b, e + 4, 8); break;
    case MUT_EPB_LEN_BELOW_32: tb_put32_at(b, e + 4, 28); break;
    case MUT_LEN_HUGE: tb_put32_at(b, e + 4, 0x7ffffff0); break;
    case MUT_TRAILER: tb_put32_at(b, b->len - 4, 100); break;
    case MUT_CAPLEN_HUGE: tb_put32_at(b, e + 20, 300000); break;
    case MUT_CAPLEN_BEYOND_BLOCK: tb_put32_at(b, e + 20, 65); break;
    case MUT_IFACE_RANGE: tb_put32_at(b, e + 8, 1); break;
    case MUT_EPB_BEFORE_IDB: *bad_off = 28; break;
    case MUT_SPB_BEFORE_IDB: *bad_off = 28; break;
    case MUT_BAD_BOM: {
        size_t s2 = tb_shb(b);
        tb_put32_at(b, s2 + 8, 0x11223344);
        *bad_off = s2;
        break;
    }
    case MUT_VERSION: {
        size_t s2 = tb_shb(b);
        b->p[s2 + 12] = 2;
        *bad_off = s2;
        break;
    }
    case MUT_TSRESOL: *bad_off = idb; break;
    case MUT_OPTION_OVERRUN:
        b->p[idb + 18] = 200;
        *bad_off = idb;
        break; /* if_name length */
    case MUT_UNKNOWN_TRAILER: {
        static const uint8_t body[8] = {0};
        size_t u = tb_blk_raw(b, 0x99, body, sizeof body);
        tb_put32_at(b, b->len - 4, 24);
        *bad_off = u;
        break;
    }
    }
}

static void test_pcapng_corrupt_values(void **state)
{
    (void)state;
    /* at: "packet N (offset O): " when blk is false, else "block at offset O (after packet
     * N): ", with O the damaged block's offset. */
    static const struct {
        enum mut m;
        unsigned pkt_ok; /* packets returned before the error */
        bool blk;
        unsigned n;
        const char *want;
    } rows[] = {
        {MUT_LEN_NOT_MULT4, 1, false, 2, "Enhanced Packet Block length 98 is not a multiple of 4"},
        {MUT_LEN_BELOW_12, 1, false, 2,
         "Enhanced Packet Block length 8 is below the minimum of 32"},
        {MUT_EPB_LEN_BELOW_32, 1, false, 2, "length 28 is below the minimum of 32"},
        {MUT_LEN_HUGE, 1, false, 2, "length 2147483632 exceeds the limit of 16777216 bytes"},
        {MUT_TRAILER, 1, false, 2,
         "Enhanced Packet Block trailing length 100 does not match its "
         "leading length 96"},
        {MUT_CAPLEN_HUGE, 1, false, 2, "captured length 300000 exceeds the limit of 262144"},
        {MUT_CAPLEN_BEYOND_BLOCK, 1, false, 2, "captured length 65 exceeds the 64 bytes of data"},
        {MUT_IFACE_RANGE, 1, false, 2, "interface id 1 out of range (1 interfaces"},
        {MUT_EPB_BEFORE_IDB, 0, false, 1,
         "Enhanced Packet Block before any Interface "
         "Description Block"},
        {MUT_SPB_BEFORE_IDB, 0, false, 1,
         "Simple Packet Block before any Interface "
         "Description Block"},
        {MUT_BAD_BOM, 2, true, 2, "bad byte-order magic 0x44332211"},
        {MUT_VERSION, 2, true, 2, "unsupported pcapng version 2.0"},
        /* found while reading ahead at open, reported by the first cap_next() */
        {MUT_TSRESOL, 0, true, 0, "if_tsresol 0x14 is out of range"},
        {MUT_OPTION_OVERRUN, 0, true, 0, "option 2 (length 200) runs past the end"},
        {MUT_UNKNOWN_TRAILER, 2, true, 2,
         "block (type 0x00000099) trailing length 24 does not "
         "match its leading length 20"},
    };
    for (size_t r = 0; r < MM_ARRAY_LEN(rows); r++) {
        struct tb b;
        size_t bad;
        build_mutated(&b, rows[r].m, &bad);
        char err[256];
        cap_source_t *s = open_bytes(&b, err, sizeof err);
        if (s == NULL)
            fail_msg("row %zu: open failed: %s", r, err);
        struct cap_pkt p;
        for (unsigned i = 0; i < rows[r].pkt_ok; i++)
            if (cap_next(s, &p) != 1)
                fail_msg("row %zu: packet %u: %s", r, i + 1, cap_error(s));
        int rc = cap_next(s, &p);
        char at[128];
        if (rows[r].blk)
            snprintf(at, sizeof at, "block at offset %zu (after packet %u): ", bad, rows[r].n);
        else
            snprintf(at, sizeof at, "packet %u (offset %zu): ", rows[r].n, bad);
        if (rc != MM_EFORMAT || strstr(cap_error(s), at) == NULL ||
            strstr(cap_error(s), rows[r].want) == NULL)
            fail_msg("row %zu: rc %d \"%s\", want MM_EFORMAT \"%s%s\"", r, rc, cap_error(s), at,
                     rows[r].want);
        assert_int_equal(cap_next(s, &p), MM_EFORMAT);
        cap_close(s);
        tb_free(&b);
    }
}

static void test_pcapng_open_errors(void **state)
{
    (void)state;
    struct tb b;
    tb_init(&b, false);
    tb_shb(&b);
    tb_put32_at(&b, 8, 0x01020304); /* byte-order magic */
    char err[256];
    assert_null(open_bytes(&b, err, sizeof err));
    assert_non_null(strstr(err, "bad byte-order magic 0x04030201"));
    tb_free(&b);

    tb_init(&b, true);
    tb_shb(&b);
    b.len = 20; /* SHB cut */
    assert_null(open_bytes(&b, err, sizeof err));
    assert_non_null(
        strstr(err, "truncated Section Header Block: header says 28 bytes, 20 present"));
    b.len = 9;
    assert_null(open_bytes(&b, err, sizeof err));
    assert_non_null(strstr(err, "truncated Section Header Block: 9 of 12 bytes present"));
    tb_free(&b);

    /* a valid SHB and nothing else: clean EOF, link type unknown */
    tb_init(&b, false);
    tb_shb(&b);
    cap_source_t *s = open_bytes(&b, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(cap_linktype(s), -1);
    struct cap_pkt p;
    assert_int_equal(cap_next(s, &p), MM_EOF);
    cap_close(s);
    tb_free(&b);
}

/* A packet block larger than the initial buffer (huge options): the buffer grows. */
static void test_pcapng_large_block(void **state)
{
    (void)state;
    struct tb b;
    uint8_t d[100];
    fill_pattern(d, 100, 8);
    tb_init(&b, false);
    tb_shb(&b);
    tb_idb(&b, 1, 0, -1, NULL);
    size_t e = tb_blk_begin(&b, 6);
    tb_u32(&b, 0);
    tb_u32(&b, 0);
    tb_u32(&b, 1);
    tb_u32(&b, 100);
    tb_u32(&b, 100);
    tb_bytes(&b, d, 100);
    /* 40 opt_comment options of 60000 bytes: a 2.4 MB block */
    for (int i = 0; i < 40; i++) {
        tb_u16(&b, 1);
        tb_u16(&b, 60000);
        tb_zeros(&b, 60000);
    }
    tb_blk_end(&b, e);
    tb_epb(&b, 0, 2, d, 100, 100);
    char err[256];
    cap_source_t *s = open_bytes(&b, err, sizeof err);
    assert_non_null(s);
    expect_pkt(s, 100, 100, 8, 1, 0, 1000);
    expect_pkt(s, 100, 100, 8, 1, 0, 2000);
    cap_close(s);
    tb_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcapng_two_interfaces),
        cmocka_unit_test(test_pcapng_tsresol),
        cmocka_unit_test(test_pcapng_concatenated_sections),
        cmocka_unit_test(test_pcapng_skips_other_blocks),
        cmocka_unit_test(test_pcapng_spb_and_pb),
        cmocka_unit_test(test_pcapng_every_truncation_point),
        cmocka_unit_test(test_pcapng_corrupt_values),
        cmocka_unit_test(test_pcapng_open_errors),
        cmocka_unit_test(test_pcapng_large_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
