/*
 * IPv4 header decoding (src/decode/ipv4.c): each malformation's Suricata-named event, the
 * options walk (valid NOP/EOL/RR/router alert, invalid length, malformed, duplicate), the
 * header checksum (counted and flagged, never enforced), IP-in-IP and unknown protocols.
 * Fragments are covered by test_defrag.c, snap-length truncation by test_decode.c.
 *
 * Rows start from one good datagram and edit bytes; `base` below is the readable form.
 */
#include "decode/decode.h"

#include "core/mm.h"
#include "testlib/pktbuild.h"
#include "testlib/tcheck.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

enum { L_ETH = 1, L_RAW = 101 };

#define SRC IP4(192, 0, 2, 1)
#define DST IP4(198, 51, 100, 2)

/* IPv4 192.0.2.1 -> 198.51.100.2, TTL 64, id 0x1234, options `opts` | UDP 1000 -> 2000 |
 * 8 bytes 0x30..0x37 */
static void base_opts(struct pb *b, const uint8_t *opts, size_t optlen)
{
    struct pb_ip4 o = {.id = 0x1234, .opts = opts, .optlen = optlen};
    pb_init(b);
    pb_pattern(b, 8, 0x30);
    pb_udp(b, 1000, 2000);
    pb_ipv4_ex(b, SRC, DST, PB_UDP, &o);
}

static void base(struct pb *b)
{
    base_opts(b, NULL, 0);
}

/* 19 bytes of the header only */
static void short19(struct pb *b)
{
    base(b);
    b->end = b->start + 19;
}
/* version nibble 6 in an Ethernet frame of type 0x0800 */
static void ver6(struct pb *b)
{
    base(b);
    *pb_at(b, 0) = 0x65;
    pb_eth(b, PB_ETH_IPV4);
}
/* IHL 4 (16 bytes) */
static void ihl4(struct pb *b)
{
    base(b);
    *pb_at(b, 0) = 0x44;
}
/* IHL 0 */
static void ihl0(struct pb *b)
{
    base(b);
    *pb_at(b, 0) = 0x40;
}
/* total length 19, below the 20-byte header */
static void totlen19(struct pb *b)
{
    base(b);
    *pb_at(b, 3) = 19;
    pb_fix_ipv4_csum(b, 0);
}
/* IHL 15 (60 bytes) with total length 36 */
static void ihl15(struct pb *b)
{
    base(b);
    *pb_at(b, 0) = 0x4f;
}
/* total length 100 but only 36 bytes on the wire (not a snap-length cut) */
static void totlen100(struct pb *b)
{
    base(b);
    *pb_at(b, 3) = 100;
    pb_fix_ipv4_csum(b, 0);
}
/* header checksum off by one */
static void csum_bad(struct pb *b)
{
    base(b);
    (*pb_at(b, 11))++;
}
/* TTL 1 */
static void ttl1(struct pb *b)
{
    base(b);
    *pb_at(b, 8) = 1;
    pb_fix_ipv4_csum(b, 0);
}
/* DF set (0x4000): not a fragment */
static void df(struct pb *b)
{
    base(b);
    *pb_at(b, 6) = 0x40;
    pb_fix_ipv4_csum(b, 0);
}

/* options: NOP NOP NOP EOL */
static void opt_nop_eol(struct pb *b)
{
    static const uint8_t o[] = {1, 1, 1, 0};
    base_opts(b, o, sizeof o);
}
/* options: EOL then bytes that would be invalid if read */
static void opt_eol_garbage(struct pb *b)
{
    static const uint8_t o[] = {0, 0xff, 0x01, 0xff};
    base_opts(b, o, sizeof o);
}
/* options: record route (type 7, len 7, ptr 4, one empty slot) EOL */
static void opt_rr(struct pb *b)
{
    static const uint8_t o[] = {7, 7, 4, 0, 0, 0, 0, 0};
    base_opts(b, o, sizeof o);
}
/* options: router alert (0x94, len 4, value 0) then RR len 3 + EOL */
static void opt_ra_rr(struct pb *b)
{
    static const uint8_t o[] = {0x94, 4, 0, 0, 7, 3, 4, 0};
    base_opts(b, o, sizeof o);
}
/* options: RR with length 1 */
static void opt_len1(struct pb *b)
{
    static const uint8_t o[] = {7, 1, 0, 0};
    base_opts(b, o, sizeof o);
}
/* options: RR with length 0 */
static void opt_len0(struct pb *b)
{
    static const uint8_t o[] = {7, 0, 0, 0};
    base_opts(b, o, sizeof o);
}
/* options: RR with length 9 in an 8-byte option area */
static void opt_len_past_end(struct pb *b)
{
    static const uint8_t o[] = {7, 9, 4, 0, 0, 0, 0, 0};
    base_opts(b, o, sizeof o);
}
/* options: NOP NOP NOP then a type byte with no room for its length */
static void opt_malformed(struct pb *b)
{
    static const uint8_t o[] = {1, 1, 1, 7};
    base_opts(b, o, sizeof o);
}
/* options: router alert twice */
static void opt_dup_ra(struct pb *b)
{
    static const uint8_t o[] = {0x94, 4, 0, 0, 0x94, 4, 0, 0};
    base_opts(b, o, sizeof o);
}
/* options: RR (len 3) twice, EOL */
static void opt_dup_rr(struct pb *b)
{
    static const uint8_t o[] = {7, 3, 4, 7, 3, 4, 0, 0};
    base_opts(b, o, sizeof o);
}

/* IPv4 proto 50 (ESP) carrying 16 bytes */
static void esp(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 16, 0);
    pb_ipv4(b, SRC, DST, 50);
}
/* IPv4 proto 6 with no bytes after the header */
static void tcp_empty(struct pb *b)
{
    pb_init(b);
    pb_ipv4(b, SRC, DST, PB_TCP);
}

/* IPv4 1.1.1.1 -> 2.2.2.2 proto 4 | IPv4 192.0.2.1 -> 198.51.100.2 | UDP 1000 -> 2000 */
static void ipip(struct pb *b)
{
    base(b);
    pb_ipv4(b, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2), PB_IPIP);
}
/* IPv4 1.1.1.1 -> 2.2.2.2 proto 41 | IPv6 2001:db8::1 -> 2001:db8::2 | UDP 1000 -> 2000 */
static void sixin4(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 8, 0x30);
    pb_udp(b, 1000, 2000);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", PB_UDP);
    pb_ipv4(b, IP4(1, 1, 1, 1), IP4(2, 2, 2, 2), PB_IPV6);
}

/* clang-format off */
#define UDP_OK(extra_off)                                                                          \
    {.ip_ver = 4, .proto = 17, .sport = 1000, .dport = 2000, .flags_on = PKT_F_L4,                 \
     .flags_off = PKT_F_INVALID | PKT_F_IPV4_CSUM_BAD | PKT_F_L4_CSUM_BAD | (extra_off)}
#define UDP_EV(e)                                                                                  \
    {.ip_ver = 4, .proto = 17, .sport = 1000, .dport = 2000, .flags_on = PKT_F_L4,                 \
     .flags_off = PKT_F_INVALID | PKT_F_IPV4_CSUM_BAD, .ev = {e}}
#define BAD(e) {.flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4, .ev = {e}}
/* clang-format on */

struct v4_row {
    const char *name;
    int linktype;
    void (*build)(struct pb *b);
    struct want w;
    uint32_t l3_len; /* checked when ip_ver is set */
    uint8_t ttl;     /* checked when nonzero */
    uint8_t tunnel_depth;
};

/* clang-format off */
static const struct v4_row v4_rows[] = {
    {"valid", L_RAW, base, UDP_OK(PKT_F_FRAGMENT | PKT_F_TUNNELED), 36, 64, 0},
    {"ttl 1", L_RAW, ttl1, UDP_OK(0), 36, 1, 0},
    {"dont fragment", L_RAW, df, UDP_OK(PKT_F_FRAGMENT), 36, 0, 0},
    {"19 bytes", L_RAW, short19, BAD(DEC_EV_IPV4_PKT_TOO_SMALL), 0, 0, 0},
    {"version 6 in 0x0800", L_ETH, ver6, BAD(DEC_EV_IPV4_WRONG_IP_VER), 0, 0, 0},
    {"ihl 4", L_RAW, ihl4, BAD(DEC_EV_IPV4_HLEN_TOO_SMALL), 0, 0, 0},
    {"ihl 0", L_RAW, ihl0, BAD(DEC_EV_IPV4_HLEN_TOO_SMALL), 0, 0, 0},
    {"total length 19", L_RAW, totlen19, BAD(DEC_EV_IPV4_IPLEN_SMALLER_THAN_HLEN), 0, 0, 0},
    {"ihl 15 total length 36", L_RAW, ihl15, BAD(DEC_EV_IPV4_IPLEN_SMALLER_THAN_HLEN), 0, 0, 0},
    {"total length 100 of 36", L_RAW, totlen100, BAD(DEC_EV_IPV4_TRUNC_PKT), 0, 0, 0},
    {"header checksum bad", L_RAW, csum_bad,
     {.ip_ver = 4, .proto = 17, .sport = 1000, .dport = 2000,
      .flags_on = PKT_F_L4 | PKT_F_IPV4_CSUM_BAD, .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD},
     36, 0, 0},
    {"options nop eol", L_RAW, opt_nop_eol, UDP_OK(0), 40, 0, 0},
    {"options eol then garbage", L_RAW, opt_eol_garbage, UDP_OK(0), 40, 0, 0},
    {"option record route", L_RAW, opt_rr, UDP_OK(0), 44, 0, 0},
    {"options router alert + rr", L_RAW, opt_ra_rr, UDP_OK(0), 44, 0, 0},
    {"option length 1", L_RAW, opt_len1, UDP_EV(DEC_EV_IPV4_OPT_INVALID_LEN), 40, 0, 0},
    {"option length 0", L_RAW, opt_len0, UDP_EV(DEC_EV_IPV4_OPT_INVALID_LEN), 40, 0, 0},
    {"option length past end", L_RAW, opt_len_past_end, UDP_EV(DEC_EV_IPV4_OPT_INVALID_LEN), 44, 0,
     0},
    {"option type without length", L_RAW, opt_malformed, UDP_EV(DEC_EV_IPV4_OPT_MALFORMED), 40, 0,
     0},
    {"option router alert twice", L_RAW, opt_dup_ra, UDP_EV(DEC_EV_IPV4_OPT_DUPLICATE), 44, 0, 0},
    {"option record route twice", L_RAW, opt_dup_rr, UDP_EV(DEC_EV_IPV4_OPT_DUPLICATE), 44, 0, 0},
    {"esp", L_RAW, esp, {.ip_ver = 4, .proto = 50, .flags_off = PKT_F_L4 | PKT_F_INVALID}, 36, 0,
     0},
    {"tcp with no bytes", L_RAW, tcp_empty,
     {.ip_ver = 4, .proto = 6, .flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4,
      .ev = {DEC_EV_TCP_PKT_TOO_SMALL}}, 20, 0, 0},
    {"ip in ip", L_RAW, ipip, UDP_OK(0), 36, 0, 1},
    {"ipv6 in ipv4", L_RAW, sixin4,
     {.ip_ver = 6, .proto = 17, .sport = 1000, .dport = 2000, .flags_on = PKT_F_L4 | PKT_F_TUNNELED,
      .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD}, 56, 0, 1},
};
/* clang-format on */

static void test_dec_ipv4_table(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    assert_non_null(ctx);
    static struct pb b;
    struct tpkt t = {0};
    for (size_t i = 0; i < MM_ARRAY_LEN(v4_rows); i++) {
        const struct v4_row *r = &v4_rows[i];
        r->build(&b);
        tp_decode(ctx, &t, r->linktype, pb_data(&b), pb_len(&b), 0, 1);
        const struct packet *p = &t.p;
        tc_check_want(r->name, p, &r->w);
        if (r->w.ip_ver) {
            TC_EQ(r->name, p->l3_len, r->l3_len);
            TC_CHECK(r->name, p->l3 != NULL);
        }
        if (r->w.ip_ver == 4 && r->tunnel_depth == 0) {
            struct mm_addr s = tc_addr4(SRC), d = tc_addr4(DST);
            TC_CHECK(r->name, tc_addr_eq(&p->src, &s));
            TC_CHECK(r->name, tc_addr_eq(&p->dst, &d));
        }
        if (r->ttl)
            TC_EQ(r->name, p->ttl, r->ttl);
        TC_EQ(r->name, p->tunnel_depth, r->tunnel_depth);
        if (r->tunnel_depth)
            TC_CHECK(r->name, (p->flags & PKT_F_TUNNELED) != 0);
        if (r->w.flags_on & PKT_F_L4) {
            TC_EQ(r->name, p->payload_len, 8);
            TC_CHECK(r->name, p->payload && p->payload[0] == 0x30 && p->payload[7] == 0x37);
        }
        if (r->w.proto == 50) {
            /* Unknown protocols keep their bytes for address-only flows. */
            TC_EQ(r->name, p->l4_len, 16);
        }
    }
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

/* A bad header checksum is counted per packet and not flagged when checking is off. */
static void test_dec_ipv4_checksum_modes(void **state)
{
    (void)state;
    static struct pb b;
    struct tpkt t = {0};
    struct dec_config cfg;
    dec_config_defaults(&cfg);

    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    csum_bad(&b);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 2);
    base(&b);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 3);
    assert_int_equal(dec_get_stats(ctx)->ipv4_csum_bad, 2);
    assert_int_equal(dec_get_stats(ctx)->udp, 3);
    assert_int_equal(dec_get_stats(ctx)->invalid, 0);
    dec_ctx_free(ctx);

    cfg.csum = DEC_CSUM_IP_ONLY;
    ctx = dec_ctx_new(&cfg);
    csum_bad(&b);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
    assert_true(t.p.flags & PKT_F_IPV4_CSUM_BAD);
    dec_ctx_free(ctx);

    cfg.csum = DEC_CSUM_NONE;
    ctx = dec_ctx_new(&cfg);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
    assert_false(t.p.flags & PKT_F_IPV4_CSUM_BAD);
    assert_true(t.p.flags & PKT_F_L4);
    assert_int_equal(dec_get_stats(ctx)->ipv4_csum_bad, 0);
    dec_ctx_free(ctx);
    tp_packet_free(&t);
}

/* Every event increments its counter; only packets whose decoding stopped count as invalid
 * (option anomalies do not stop it). */
static void test_dec_ipv4_event_counters(void **state)
{
    (void)state;
    static struct pb b;
    struct tpkt t = {0};
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    ihl4(&b);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
    opt_dup_ra(&b);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 2);
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 3);
    const struct dec_stats *st = dec_get_stats(ctx);
    assert_int_equal(st->events[DEC_EV_IPV4_HLEN_TOO_SMALL], 1);
    assert_int_equal(st->events[DEC_EV_IPV4_OPT_DUPLICATE], 2);
    assert_int_equal(st->invalid, 1);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_ipv4_table),
        cmocka_unit_test(test_dec_ipv4_checksum_modes),
        cmocka_unit_test(test_dec_ipv4_event_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
