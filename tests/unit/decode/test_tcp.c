/*
 * TCP decoding (src/decode/tcp.c): header fields, the options later layers use (MSS, window
 * scale, SACK-permitted, SACK blocks, timestamps), option anomalies (which are reported but
 * keep the segment), header-length anomalies (which stop decoding) and the checksum over
 * IPv4 and IPv6 pseudo-headers.
 *
 * Segments are   IPv4 10.1.1.1 -> 10.1.1.2 | TCP 40000 -> 80 [options] | payload
 * unless a row says IPv6 (2001:db8::a -> 2001:db8::b).
 */
#include "decode/decode.h"

#include "core/mm.h"
#include "testlib/pktbuild.h"
#include "testlib/tcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

enum { L_RAW = 101 };

struct seg {
    const uint8_t *opts;
    size_t optlen;
    uint8_t doff;      /* data offset override (0 = from the options) */
    size_t payload;    /* payload bytes */
    size_t cut_tcp_to; /* keep only this many TCP bytes (0 = all); IP length adjusted */
    bool v6;
};

static void build_seg(struct pb *b, const struct seg *s)
{
    struct pb_tcp t = {.sport = 40000,
                       .dport = 80,
                       .seq = 0x11223344,
                       .ack = 0x55667788,
                       .flags = PB_SYN | PB_ACK,
                       .win = 29200,
                       .opts = s->opts,
                       .optlen = s->optlen,
                       .doff = s->doff};
    pb_init(b);
    pb_pattern(b, s->payload, 0x61);
    pb_tcp(b, &t);
    if (s->cut_tcp_to)
        b->end = b->start + s->cut_tcp_to;
    if (s->v6)
        pb_ipv6(b, "2001:db8::a", "2001:db8::b", PB_TCP);
    else
        pb_ipv4(b, IP4(10, 1, 1, 1), IP4(10, 1, 1, 2), PB_TCP);
}

/* MSS 1460 | SACK-permitted | TS val 0x01020304 ecr 0 | NOP | WS 7 */
static const uint8_t o_syn[] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7};
/* NOP NOP SACK 1 block (left 1000, right 2000) */
static const uint8_t o_sack1[] = {1, 1, 5, 10, 0, 0, 0x03, 0xe8, 0, 0, 0x07, 0xd0};
/* NOP NOP TS val 5 ecr 6 | NOP NOP SACK 3 blocks */
static const uint8_t o_sack3_ts[] = {1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 1, 1, 5, 26, 0, 0, 0, 1,
                                     0, 0, 0, 2,  0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5,  0, 0, 0, 6};
/* NOP NOP SACK 4 blocks */
static const uint8_t o_sack4[] = {1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0,
                                  0, 4, 0, 0,  0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8};
/* EOL then an MSS that must not be read */
static const uint8_t o_eol[] = {0, 2, 4, 5};
/* unknown kind 30, length 4 */
static const uint8_t o_unknown[] = {30, 4, 0, 0};
/* MSS with length 3 */
static const uint8_t o_mss3[] = {2, 3, 5, 0};
/* window scale with length 4 */
static const uint8_t o_ws4[] = {3, 4, 7, 0};
/* SACK-permitted with length 3 */
static const uint8_t o_sp3[] = {4, 3, 0, 1};
/* timestamps with length 8 */
static const uint8_t o_ts8[] = {8, 8, 0, 0, 0, 1, 0, 2};
/* SACK with length 11 */
static const uint8_t o_sack11[] = {5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0};
/* SACK with length 2 (no block) */
static const uint8_t o_sack2[] = {5, 2, 0, 0};
/* MSS with length 1 */
static const uint8_t o_len1[] = {2, 1, 0, 0};
/* MSS with length 0 (a walker that trusted it would never advance) */
static const uint8_t o_len0[] = {2, 0, 0, 0};
/* timestamps claiming 10 bytes in a 4-byte option area */
static const uint8_t o_past_end[] = {8, 10, 0, 0};
/* NOP NOP NOP then a kind with no length byte */
static const uint8_t o_no_len[] = {1, 1, 1, 2};
/* MSS twice */
static const uint8_t o_mss_twice[] = {2, 4, 5, 0xb4, 2, 4, 5, 0xb4};
/* timestamps twice */
static const uint8_t o_ts_twice[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
                                     1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

/* clang-format off */
#define OPT_OK                                                                                     \
    {.ip_ver = 4, .proto = 6, .sport = 40000, .dport = 80, .flags_on = PKT_F_L4,                   \
     .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD}
#define OPT_EV(e)                                                                                  \
    {.ip_ver = 4, .proto = 6, .sport = 40000, .dport = 80, .flags_on = PKT_F_L4,                   \
     .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD, .ev = {e}}
#define STOP(e)                                                                                    \
    {.ip_ver = 4, .proto = 6, .flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4, .ev = {e}}
/* clang-format on */

struct tcp_row {
    const char *name;
    struct seg s;
    struct want w;
    struct tcp_opts o; /* expected parsed options (checked when the row expects PKT_F_L4) */
    uint32_t payload_len;
};

/* clang-format off */
static const struct tcp_row tcp_rows[] = {
    {"no options", {NULL, 0, 0, 10, 0, false}, OPT_OK, {0}, 10},
    {"syn options", {o_syn, sizeof o_syn, 0, 0, 0, false}, OPT_OK,
     {.mss = 1460, .wscale = 7, .tsval = 0x01020304, .tsecr = 0, .has_mss = true, .has_ws = true,
      .has_ts = true, .sack_permitted = true}, 0},
    {"sack 1 block", {o_sack1, sizeof o_sack1, 0, 100, 0, false}, OPT_OK, {.sack_blocks = 1}, 100},
    {"sack 3 blocks and timestamps", {o_sack3_ts, sizeof o_sack3_ts, 0, 1, 0, false}, OPT_OK,
     {.sack_blocks = 3, .tsval = 5, .tsecr = 6, .has_ts = true}, 1},
    {"sack 4 blocks", {o_sack4, sizeof o_sack4, 0, 0, 0, false}, OPT_OK, {.sack_blocks = 4}, 0},
    {"eol ends the list", {o_eol, sizeof o_eol, 0, 0, 0, false}, OPT_OK, {0}, 0},
    {"unknown kind", {o_unknown, sizeof o_unknown, 0, 0, 0, false}, OPT_OK, {0}, 0},
    {"mss length 3", {o_mss3, sizeof o_mss3, 0, 0, 0, false}, OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN),
     {0}, 0},
    {"window scale length 4", {o_ws4, sizeof o_ws4, 0, 0, 0, false},
     OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN), {0}, 0},
    {"sack-permitted length 3", {o_sp3, sizeof o_sp3, 0, 0, 0, false},
     OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN), {0}, 0},
    {"timestamps length 8", {o_ts8, sizeof o_ts8, 0, 0, 0, false},
     OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN), {0}, 0},
    {"sack length 11", {o_sack11, sizeof o_sack11, 0, 0, 0, false},
     OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN), {0}, 0},
    {"sack length 2", {o_sack2, sizeof o_sack2, 0, 0, 0, false}, OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN),
     {0}, 0},
    {"option length 1", {o_len1, sizeof o_len1, 0, 0, 0, false}, OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN),
     {0}, 0},
    {"option length 0", {o_len0, sizeof o_len0, 0, 0, 0, false}, OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN),
     {0}, 0},
    {"option past the end", {o_past_end, sizeof o_past_end, 0, 5, 0, false},
     OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN), {0}, 5},
    {"kind without length", {o_no_len, sizeof o_no_len, 0, 0, 0, false},
     OPT_EV(DEC_EV_TCP_OPT_INVALID_LEN), {0}, 0},
    {"mss twice", {o_mss_twice, sizeof o_mss_twice, 0, 0, 0, false},
     OPT_EV(DEC_EV_TCP_OPT_DUPLICATE), {.mss = 1460, .has_mss = true}, 0},
    {"timestamps twice", {o_ts_twice, sizeof o_ts_twice, 0, 0, 0, false},
     OPT_EV(DEC_EV_TCP_OPT_DUPLICATE), {.tsval = 1, .tsecr = 2, .has_ts = true}, 0},
    {"data offset 4", {NULL, 0, 4, 10, 0, false}, STOP(DEC_EV_TCP_HLEN_TOO_SMALL), {0}, 0},
    {"data offset 0", {NULL, 0, 0x10, 10, 0, false}, STOP(DEC_EV_TCP_HLEN_TOO_SMALL), {0}, 0},
    {"data offset 15 in 24 bytes", {NULL, 0, 15, 4, 0, false}, STOP(DEC_EV_TCP_INVALID_OPTLEN), {0},
     0},
    {"19 bytes", {NULL, 0, 0, 0, 19, false}, STOP(DEC_EV_TCP_PKT_TOO_SMALL), {0}, 0},
    {"ipv6 syn options", {o_syn, sizeof o_syn, 0, 3, 0, true},
     {.ip_ver = 6, .proto = 6, .sport = 40000, .dport = 80, .flags_on = PKT_F_L4,
      .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD},
     {.mss = 1460, .wscale = 7, .tsval = 0x01020304, .has_mss = true, .has_ws = true,
      .has_ts = true, .sack_permitted = true}, 3},
};
/* clang-format on */

static void test_dec_tcp_table(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    assert_non_null(ctx);
    static struct pb b;
    struct tpkt t = {0};
    for (size_t i = 0; i < MM_ARRAY_LEN(tcp_rows); i++) {
        const struct tcp_row *r = &tcp_rows[i];
        struct seg s = r->s;
        if (s.doff == 0x10)
            s.doff = 0; /* row wants a literal 0: written below */
        build_seg(&b, &s);
        if (r->s.doff == 0x10)
            *pb_at(&b, 20 + 12) = 0;
        tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
        const struct packet *p = &t.p;
        tc_check_want(r->name, p, &r->w);
        if (!(r->w.flags_on & PKT_F_L4))
            continue;
        const struct tcp_opts *o = &p->tcp_opt;
        TC_EQ(r->name, o->has_mss, r->o.has_mss);
        TC_EQ(r->name, o->mss, r->o.mss);
        TC_EQ(r->name, o->has_ws, r->o.has_ws);
        TC_EQ(r->name, o->wscale, r->o.wscale);
        TC_EQ(r->name, o->sack_permitted, r->o.sack_permitted);
        TC_EQ(r->name, o->sack_blocks, r->o.sack_blocks);
        TC_EQ(r->name, o->has_ts, r->o.has_ts);
        TC_EQ(r->name, o->tsval, r->o.tsval);
        TC_EQ(r->name, o->tsecr, r->o.tsecr);
        TC_EQ(r->name, p->tcp_flags, PB_SYN | PB_ACK);
        TC_EQ(r->name, p->tcp_seq, 0x11223344);
        TC_EQ(r->name, p->tcp_ack, 0x55667788);
        TC_EQ(r->name, p->tcp_win, 29200);
        TC_EQ(r->name, p->payload_len, r->payload_len);
        TC_EQ(r->name, p->l4_len, 20 + ((r->s.optlen + 3) & ~3u) + r->payload_len);
        if (r->payload_len)
            TC_CHECK(r->name, p->payload && p->payload[0] == 0x61);
    }
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

/* Checksums over payloads of every length class the summing loop has (0, odd, 8n, 8n+1, ...),
 * over IPv4 and IPv6, good and with one payload byte changed after the sum was made. */
static void test_dec_tcp_checksum(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 2, 7, 8, 9, 15, 16, 33, 1400};
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    uint64_t bad = 0;
    char row[64];
    for (int v6 = 0; v6 <= 1; v6++) {
        for (size_t i = 0; i < MM_ARRAY_LEN(lens); i++) {
            for (int corrupt = 0; corrupt <= 1; corrupt++) {
                snprintf(row, sizeof row, "%s payload %zu %s", v6 ? "ipv6" : "ipv4", lens[i],
                         corrupt ? "corrupted" : "good");
                struct seg s = {o_syn, sizeof o_syn, 0, lens[i], 0, v6 != 0};
                build_seg(&b, &s);
                if (corrupt) /* flip a bit in the last byte: payload, or an option byte */
                    *pb_at(&b, pb_len(&b) - 1) ^= 0x10;
                tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
                TC_CHECK(row, (t.p.flags & PKT_F_L4) != 0);
                TC_EQ(row, (t.p.flags & PKT_F_L4_CSUM_BAD) != 0, corrupt);
                bad += (uint64_t)corrupt;
            }
        }
    }
    TC_EQ("stats", dec_get_stats(ctx)->tcp_csum_bad, bad);
    dec_ctx_free(ctx);

    /* IP-only mode leaves transport checksums alone. */
    cfg.csum = DEC_CSUM_IP_ONLY;
    ctx = dec_ctx_new(&cfg);
    struct seg s = {NULL, 0, 0, 10, 0, false};
    build_seg(&b, &s);
    *pb_at(&b, pb_len(&b) - 1) ^= 1;
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
    TC_EQ("ip-only mode", t.p.flags & PKT_F_L4_CSUM_BAD, 0);
    TC_EQ("ip-only mode", dec_get_stats(ctx)->tcp_csum_bad, 0);
    dec_ctx_free(ctx);
    tp_packet_free(&t);
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_tcp_table),
        cmocka_unit_test(test_dec_tcp_checksum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
