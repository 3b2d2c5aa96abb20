/*
 * IPv6 decoding (src/decode/ipv6.c): the fixed header's malformations and the extension
 * header walk: hop-by-hop, routing (type 0 is an event), fragment (atomic fragments are not
 * reassembled), destination options, AH, ESP and No Next Header; duplicates, ordering, the
 * limit on the number of extension headers, truncated headers and bad option TLVs.
 * Real fragment reassembly is in test_defrag.c.
 *
 * Rows name an extension-header chain placed between
 *   IPv6 2001:db8::1 -> 2001:db8::2 (hop limit 64) ... | UDP 1000 -> 2000 | 8 bytes
 * or edit bytes of such a packet.
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

/* Extension headers a chain may hold (values are Next Header numbers except RH0). */
enum { X_HBH = 0, X_RH2 = 43, X_FRAG = 44, X_AH = 51, X_DST = 60, X_RH0 = 243, X_END = 255 };

#define MAX_CHAIN 10

/* Build IPv6 | chain[0] | chain[1] | ... | UDP, chain terminated by X_END. */
static void chain(struct pb *b, const uint8_t *c)
{
    size_t n = 0;
    while (n < MAX_CHAIN && c[n] != X_END)
        n++;
    pb_init(b);
    pb_pattern(b, 8, 0x30);
    pb_udp(b, 1000, 2000);
    uint8_t next = PB_UDP;
    for (size_t i = n; i-- > 0;) {
        switch (c[i]) {
        case X_HBH:
        case X_DST: pb_ipv6_opts(b, next, 8); break;
        case X_RH2: pb_ipv6_rh(b, next, 2, 1); break;
        case X_RH0: pb_ipv6_rh(b, next, 0, 1); break;
        case X_FRAG:
            pb_ipv6_frag(b, next, 0, false, 0xabcd); /* atomic */
            break;
        case X_AH: pb_ipv6_ah(b, next); break;
        default: fail_msg("bad chain element %u", c[i]);
        }
        next = c[i] == X_RH0 ? X_RH2 : c[i];
    }
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", next);
}

/* IPv6 whose payload is `n` bytes of `bytes` after next header `nh` (no transport). */
static void raw_payload(struct pb *b, uint8_t nh, const uint8_t *bytes, size_t n)
{
    pb_init(b);
    pb_bytes(b, bytes, n);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", nh);
}

/* hop-by-hop saying 16 bytes (Hdr Ext Len 1) with only 8 present */
static void trunc_hbh(struct pb *b)
{
    static const uint8_t h[8] = {17, 1, 1, 4, 0, 0, 0, 0};
    raw_payload(b, X_HBH, h, sizeof h);
}
/* destination options header of only 4 bytes */
static void trunc_dst4(struct pb *b)
{
    static const uint8_t h[4] = {17, 0, 1, 0};
    raw_payload(b, X_DST, h, sizeof h);
}
/* AH with payload length 4 (24 bytes) but only 16 bytes present */
static void trunc_ah(struct pb *b)
{
    static const uint8_t h[16] = {17, 4};
    raw_payload(b, X_AH, h, sizeof h);
}
/* fragment header of 6 bytes */
static void trunc_frag(struct pb *b)
{
    static const uint8_t h[6] = {17, 0, 0, 0, 0, 1};
    raw_payload(b, X_FRAG, h, sizeof h);
}
/* hop-by-hop with a router alert option (5) claiming 10 bytes in a 6-byte area | UDP */
static void hbh_bad_optlen(struct pb *b)
{
    chain(b, (const uint8_t[]){X_HBH, X_END});
    uint8_t *o = pb_at(b, 40 + 2);
    o[0] = 5;
    o[1] = 10;
}
/* hop-by-hop with six Pad1 options | UDP */
static void hbh_pad1(struct pb *b)
{
    chain(b, (const uint8_t[]){X_HBH, X_END});
    memset(pb_at(b, 40 + 2), 0, 6);
}
/* next header ESP (50) and 16 opaque bytes */
static void esp(struct pb *b)
{
    static const uint8_t h[16] = {0, 0, 1, 0};
    raw_payload(b, 50, h, sizeof h);
}
/* hop-by-hop then ESP */
static void hbh_esp(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 16, 0);
    pb_ipv6_opts(b, 50, 8);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", X_HBH);
}
/* No Next Header (59) followed by 8 bytes */
static void nonext(struct pb *b)
{
    static const uint8_t h[8] = {0};
    raw_payload(b, 59, h, sizeof h);
}
/* next header 253 (experimental) with 8 bytes */
static void nh253(struct pb *b)
{
    static const uint8_t h[8] = {0};
    raw_payload(b, 253, h, sizeof h);
}
static void plain(struct pb *b)
{
    chain(b, (const uint8_t[]){X_END});
}
/* 39 bytes */
static void short39(struct pb *b)
{
    plain(b);
    b->end = b->start + 39;
}
/* version nibble 4 in an Ethernet frame of type 0x86dd */
static void ver4(struct pb *b)
{
    plain(b);
    *pb_at(b, 0) = 0x40;
    pb_eth(b, PB_ETH_IPV6);
}
/* payload length 100 with 16 bytes present */
static void plen100(struct pb *b)
{
    plain(b);
    *pb_at(b, 5) = 100;
}
/* payload length 0 (as for a jumbogram): the captured length is used */
static void plen0(struct pb *b)
{
    plain(b);
    *pb_at(b, 5) = 0;
}
/* payload length 16 followed by a 4-byte trailer */
static void trailer(struct pb *b)
{
    plain(b);
    pb_append(b, "\xff\xff\xff\xff", 4);
}

/* clang-format off */
#define UDP_OK                                                                                     \
    {.ip_ver = 6, .proto = 17, .sport = 1000, .dport = 2000, .flags_on = PKT_F_L4,                 \
     .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD | PKT_F_FRAGMENT | PKT_F_REASSEMBLED}
#define UDP_EV(...)                                                                                \
    {.ip_ver = 6, .proto = 17, .sport = 1000, .dport = 2000, .flags_on = PKT_F_L4,                 \
     .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD, .ev = {__VA_ARGS__}}
#define STOP(e) {.ip_ver = 6, .flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4, .ev = {e}}
#define BAD(e) {.flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4, .ev = {e}}
/* clang-format on */

struct v6_row {
    const char *name;
    uint8_t chain[MAX_CHAIN]; /* used when build is NULL; X_END-terminated */
    void (*build)(struct pb *b);
    struct want w;
    uint8_t any_proto; /* STOP rows: proto is whatever header the walk stopped at */
};

/* clang-format off */
static const struct v6_row v6_rows[] = {
    {"no extension headers", {X_END}, NULL, UDP_OK, 0},
    {"hop-by-hop", {X_HBH, X_END}, NULL, UDP_OK, 0},
    {"destination options", {X_DST, X_END}, NULL, UDP_OK, 0},
    {"routing type 2", {X_RH2, X_END}, NULL, UDP_OK, 0},
    {"routing type 0", {X_RH0, X_END}, NULL, UDP_EV(DEC_EV_IPV6_RH_TYPE_0), 0},
    {"atomic fragment", {X_FRAG, X_END}, NULL, UDP_OK, 0},
    {"authentication header", {X_AH, X_END}, NULL, UDP_OK, 0},
    {"full chain hbh dst rh frag ah dst", {X_HBH, X_DST, X_RH2, X_FRAG, X_AH, X_DST, X_END}, NULL,
     UDP_OK, 0},
    {"hop-by-hop not first", {X_DST, X_HBH, X_END}, NULL, UDP_EV(DEC_EV_IPV6_HOPOPTS_NOT_FIRST), 0},
    {"hop-by-hop twice", {X_HBH, X_HBH, X_END}, NULL,
     UDP_EV(DEC_EV_IPV6_HOPOPTS_NOT_FIRST, DEC_EV_IPV6_EXTHDR_DUPL_HH), 0},
    {"routing twice", {X_RH2, X_RH2, X_END}, NULL, UDP_EV(DEC_EV_IPV6_EXTHDR_DUPL_RH), 0},
    {"destination options three times", {X_DST, X_DST, X_DST, X_END}, NULL,
     UDP_EV(DEC_EV_IPV6_EXTHDR_DUPL_DH), 0},
    {"fragment header twice", {X_FRAG, X_FRAG, X_END}, NULL, STOP(DEC_EV_IPV6_EXTHDR_DUPL_FH), 1},
    {"7 authentication headers", {X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_END}, NULL, UDP_OK,
     0},
    {"9 authentication headers", {X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_END},
     NULL, STOP(DEC_EV_IPV6_TOO_MANY_EXTHDRS), 1},
    {"hop-by-hop truncated", {X_END}, trunc_hbh, STOP(DEC_EV_IPV6_TRUNC_EXTHDR), 1},
    {"destination options 4 bytes", {X_END}, trunc_dst4, STOP(DEC_EV_IPV6_TRUNC_EXTHDR), 1},
    {"authentication header truncated", {X_END}, trunc_ah, STOP(DEC_EV_IPV6_TRUNC_EXTHDR), 1},
    {"fragment header 6 bytes", {X_END}, trunc_frag, STOP(DEC_EV_IPV6_TRUNC_EXTHDR), 1},
    {"hop-by-hop option length past end", {X_END}, hbh_bad_optlen,
     UDP_EV(DEC_EV_IPV6_EXTHDR_INVALID_OPTLEN), 0},
    {"hop-by-hop pad1 options", {X_END}, hbh_pad1, UDP_OK, 0},
    {"esp", {X_END}, esp, {.ip_ver = 6, .proto = 50, .flags_off = PKT_F_L4 | PKT_F_INVALID}, 0},
    {"hop-by-hop then esp", {X_END}, hbh_esp,
     {.ip_ver = 6, .proto = 50, .flags_off = PKT_F_L4 | PKT_F_INVALID}, 0},
    {"no next header", {X_END}, nonext,
     {.ip_ver = 6, .proto = 59, .flags_off = PKT_F_L4 | PKT_F_INVALID}, 0},
    {"next header 253", {X_END}, nh253,
     {.ip_ver = 6, .proto = 253, .flags_off = PKT_F_L4 | PKT_F_INVALID}, 0},
    {"39 bytes", {X_END}, short39, BAD(DEC_EV_IPV6_PKT_TOO_SMALL), 0},
    {"version 4 in 0x86dd", {X_END}, ver4, BAD(DEC_EV_IPV6_WRONG_IP_VER), 0},
    {"payload length 100 of 16", {X_END}, plen100, BAD(DEC_EV_IPV6_TRUNC_PKT), 0},
    {"payload length 0", {X_END}, plen0, UDP_OK, 0},
    {"trailer after payload", {X_END}, trailer, UDP_OK, 0},
};
/* clang-format on */

static void test_dec_ipv6_table(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    assert_non_null(ctx);
    static struct pb b;
    struct tpkt t = {0};
    for (size_t i = 0; i < MM_ARRAY_LEN(v6_rows); i++) {
        const struct v6_row *r = &v6_rows[i];
        int lt = L_RAW;
        if (r->build) {
            r->build(&b);
            if (r->build == ver4)
                lt = L_ETH;
        } else {
            chain(&b, r->chain);
        }
        tp_decode(ctx, &t, lt, pb_data(&b), pb_len(&b), 0, 1);
        const struct packet *p = &t.p;
        struct want w = r->w;
        if (r->any_proto)
            w.proto = p->proto;
        tc_check_want(r->name, p, &w);
        if (w.ip_ver == 6) {
            struct mm_addr s = tc_addr6("2001:db8::1"), d = tc_addr6("2001:db8::2");
            TC_CHECK(r->name, tc_addr_eq(&p->src, &s) && tc_addr_eq(&p->dst, &d));
            TC_EQ(r->name, p->ttl, 64);
        }
        if (w.flags_on & PKT_F_L4) {
            TC_EQ(r->name, p->payload_len, 8);
            TC_CHECK(r->name, p->payload && p->payload[0] == 0x30);
        }
        if (w.proto == 50 || w.proto == 59 || w.proto == 253)
            TC_CHECK(r->name, p->l4 != NULL && p->l4_len > 0);
    }
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

/*
 * Regression: exactly 8 extension headers followed by UDP are allowed (the limit counts
 * extension headers only, not the transport header after them): UDP decoded, no event.
 */
static void test_dec_ipv6_eight_exthdrs_allowed(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    chain(&b, (const uint8_t[]){X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_AH, X_END});
    tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
    struct want w = UDP_OK;
    tc_check_want("8 authentication headers", &t.p, &w);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_ipv6_table),
        cmocka_unit_test(test_dec_ipv6_eight_exthdrs_allowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
