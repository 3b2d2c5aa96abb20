/*
 * UDP decoding (src/decode/udp.c): length anomalies, the UDP length bounding the payload,
 * and checksums: good and bad over IPv4 and IPv6, zero meaning "no checksum" over IPv4 only
 * (RFC 768), while over IPv6 a zero checksum is invalid (RFC 8200 section 8.1).
 *
 * Datagrams are   IPv4 172.16.0.1 -> 172.16.0.2 | UDP 5000 -> 6000 | payload
 * or              IPv6 fd00::1 -> fd00::2       | UDP 5000 -> 6000 | payload
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

enum { L_RAW = 101 };

static void ip_wrap(struct pb *b, bool v6)
{
    if (v6)
        pb_ipv6(b, "fd00::1", "fd00::2", PB_UDP);
    else
        pb_ipv4(b, IP4(172, 16, 0, 1), IP4(172, 16, 0, 2), PB_UDP);
}

/* UDP with plen payload bytes, correct checksum */
static void udp(struct pb *b, size_t plen, bool v6)
{
    pb_init(b);
    pb_pattern(b, plen, 0x20);
    pb_udp(b, 5000, 6000);
    ip_wrap(b, v6);
}

static size_t l4off(bool v6)
{
    return v6 ? 40 : 20;
}

static void v4_good(struct pb *b)
{
    udp(b, 12, false);
}
static void v6_good(struct pb *b)
{
    udp(b, 12, true);
}
/* checksum off by one */
static void v4_bad(struct pb *b)
{
    udp(b, 12, false);
    (*pb_at(b, 20 + 7)) ^= 1;
}
static void v6_bad(struct pb *b)
{
    udp(b, 12, true);
    (*pb_at(b, 40 + 7)) ^= 1;
}
/* checksum field 0: "none" over IPv4 */
static void v4_zero(struct pb *b)
{
    udp(b, 12, false);
    *pb_at(b, 26) = 0;
    *pb_at(b, 27) = 0;
}
/* checksum field 0 over IPv6: not allowed */
static void v6_zero(struct pb *b)
{
    udp(b, 12, true);
    *pb_at(b, 46) = 0;
    *pb_at(b, 47) = 0;
}
/* zero checksum over IPv4 with a payload whose real checksum would not match anyway */
static void v4_zero_odd(struct pb *b)
{
    v4_zero(b);
    (*pb_at(b, 30))++;
}
/* no payload */
static void v4_empty(struct pb *b)
{
    udp(b, 0, false);
}
/* odd payload length */
static void v6_odd(struct pb *b)
{
    udp(b, 13, true);
}
/* UDP length 7 */
static void len7(struct pb *b)
{
    udp(b, 12, false);
    *pb_at(b, 25) = 7;
}
/* UDP length 0 */
static void len0(struct pb *b)
{
    udp(b, 12, false);
    *pb_at(b, 25) = 0;
}
/* UDP length 100 with 20 bytes carried */
static void len100(struct pb *b)
{
    udp(b, 12, false);
    *pb_at(b, 25) = 100;
}
/* UDP length 21 with 20 bytes carried (one too many) */
static void len21(struct pb *b)
{
    udp(b, 12, true);
    *pb_at(b, 45) = 21;
}
/* 7 bytes of UDP header */
static void short7(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x13\x88\x17\x70\x00\x08\x00", 7);
    ip_wrap(b, false);
}
/* UDP length 10 (2 payload bytes, checksummed) inside an IP datagram carrying 6 more bytes */
static void inner_shorter(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 2, 0x20);
    pb_udp(b, 5000, 6000);
    pb_append(b, "\xee\xee\xee\xee\xee\xee", 6);
    ip_wrap(b, false);
}

/* clang-format off */
#define OK(v, extra_on)                                                                            \
    {.ip_ver = (v), .proto = 17, .sport = 5000, .dport = 6000, .flags_on = PKT_F_L4 | (extra_on),  \
     .flags_off = PKT_F_INVALID | ((extra_on) ? 0 : PKT_F_L4_CSUM_BAD)}
#define STOP(v, e)                                                                                 \
    {.ip_ver = (v), .proto = 17, .flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4, .ev = {e}}
/* clang-format on */

struct udp_row {
    const char *name;
    void (*build)(struct pb *b);
    struct want w;
    uint32_t payload_len;
    uint32_t csum_bad; /* expected udp_csum_bad increment */
};

/* clang-format off */
static const struct udp_row udp_rows[] = {
    {"ipv4 good", v4_good, OK(4, 0), 12, 0},
    {"ipv6 good", v6_good, OK(6, 0), 12, 0},
    {"ipv4 empty", v4_empty, OK(4, 0), 0, 0},
    {"ipv6 odd length", v6_odd, OK(6, 0), 13, 0},
    {"ipv4 checksum bad", v4_bad, OK(4, PKT_F_L4_CSUM_BAD), 12, 1},
    {"ipv6 checksum bad", v6_bad, OK(6, PKT_F_L4_CSUM_BAD), 12, 1},
    {"ipv4 checksum zero", v4_zero, OK(4, 0), 12, 0},
    {"ipv4 checksum zero, payload changed", v4_zero_odd, OK(4, 0), 12, 0},
    {"ipv6 checksum zero", v6_zero, OK(6, PKT_F_L4_CSUM_BAD), 12, 1},
    {"length 7", len7, STOP(4, DEC_EV_UDP_HLEN_TOO_SMALL), 0, 0},
    {"length 0", len0, STOP(4, DEC_EV_UDP_HLEN_TOO_SMALL), 0, 0},
    {"length 100 of 20", len100, STOP(4, DEC_EV_UDP_HLEN_INVALID), 0, 0},
    {"ipv6 length 21 of 20", len21, STOP(6, DEC_EV_UDP_HLEN_INVALID), 0, 0},
    {"7 bytes", short7, STOP(4, DEC_EV_UDP_PKT_TOO_SMALL), 0, 0},
    {"udp length inside ip length", inner_shorter, OK(4, 0), 2, 0},
};
/* clang-format on */

static void test_dec_udp_table(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    assert_non_null(ctx);
    static struct pb b;
    struct tpkt t = {0};
    for (size_t i = 0; i < MM_ARRAY_LEN(udp_rows); i++) {
        const struct udp_row *r = &udp_rows[i];
        r->build(&b);
        uint64_t bad_before = dec_get_stats(ctx)->udp_csum_bad;
        tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
        const struct packet *p = &t.p;
        tc_check_want(r->name, p, &r->w);
        TC_EQ(r->name, dec_get_stats(ctx)->udp_csum_bad - bad_before, r->csum_bad);
        if (r->w.flags_on & PKT_F_L4) {
            TC_EQ(r->name, p->payload_len, r->payload_len);
            TC_EQ(r->name, p->l4_len, 8 + r->payload_len);
            TC_CHECK(r->name, p->l4 == t.copy + l4off(p->ip_ver == 6));
        }
    }
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_udp_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
