/*
 * Tunnels (src/decode/tunnel.c): GRE with IPv4, IPv6 and Ethernet (0x6558) payloads and its
 * optional checksum/key/sequence fields, GRE version errors, VXLAN on UDP 4789 (the packet's
 * fields come from the inner packet, tunnel_depth counts the outer IP layers), traffic on
 * 4789 that is not VXLAN, and the encapsulation limit (decoder.too_many_layers).
 *
 * How layers are counted (dec_config.max_layers, default 8): every IP header and every
 * GRE or VXLAN header entered is one layer. So Ethernet/IPv4/GRE/IPv4 uses 3 layers and one
 * tunnel inside another uses 5. The limit rows below set max_layers 4 explicitly.
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

enum { L_ETH = 1 };

#define OUT_SRC IP4(1, 1, 1, 1)
#define OUT_DST IP4(2, 2, 2, 2)
#define IN_SRC IP4(10, 0, 0, 1)
#define IN_DST IP4(10, 0, 0, 2)

/* inner IPv4 10.0.0.1 -> 10.0.0.2 | UDP 1111 -> 2222 | 6 bytes */
static void inner_udp4(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 6, 0x70);
    pb_udp(b, 1111, 2222);
    pb_ipv4(b, IN_SRC, IN_DST, PB_UDP);
}

/* inner IPv6 fd00::1 -> fd00::2 | UDP 1111 -> 2222 | 6 bytes */
static void inner_udp6(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 6, 0x70);
    pb_udp(b, 1111, 2222);
    pb_ipv6(b, "fd00::1", "fd00::2", PB_UDP);
}

/* inner Ethernet | IPv4 10.0.0.1 -> 10.0.0.2 | TCP 1111 -> 2222 SYN */
static void inner_eth_tcp4(struct pb *b)
{
    pb_init(b);
    pb_tcp_simple(b, 1111, 2222, PB_SYN, 7, 0);
    pb_ipv4(b, IN_SRC, IN_DST, PB_TCP);
    pb_eth(b, PB_ETH_IPV4);
}

/* ... | GRE byte0/ver/proto | IPv4 1.1.1.1 -> 2.2.2.2 proto 47 | Ethernet */
static void gre_wrap(struct pb *b, uint8_t byte0, uint8_t ver, uint16_t proto)
{
    pb_gre(b, byte0, ver, proto);
    pb_ipv4(b, OUT_SRC, OUT_DST, PB_GRE);
    pb_eth(b, PB_ETH_IPV4);
}

/* ... | VXLAN vni 42 | UDP 49152 -> 4789 | IPv4 192.0.2.10 -> 192.0.2.20 | Ethernet */
static void vxlan_wrap(struct pb *b)
{
    pb_vxlan(b, 42);
    pb_udp(b, 49152, 4789);
    pb_ipv4(b, IP4(192, 0, 2, 10), IP4(192, 0, 2, 20), PB_UDP);
    pb_eth(b, PB_ETH_IPV4);
}

/* Eth | IPv4 | GRE (0x0800) | IPv4 UDP */
static void gre4(struct pb *b)
{
    inner_udp4(b);
    gre_wrap(b, 0, 0, PB_ETH_IPV4);
}
/* Eth | IPv4 | GRE K+S (key 0x11223344, seq 7) | IPv4 UDP */
static void gre_ks(struct pb *b)
{
    inner_udp4(b);
    gre_wrap(b, 0x30, 0, PB_ETH_IPV4);
}
/* Eth | IPv4 | GRE C+K+S | IPv4 UDP */
static void gre_cks(struct pb *b)
{
    inner_udp4(b);
    gre_wrap(b, 0xb0, 0, PB_ETH_IPV4);
}
/* Eth | IPv4 | GRE (0x86dd) | IPv6 UDP */
static void gre6(struct pb *b)
{
    inner_udp6(b);
    gre_wrap(b, 0, 0, PB_ETH_IPV6);
}
/* Eth | IPv4 | GRE K (0x6558 transparent Ethernet bridging) | Eth | IPv4 TCP */
static void gre_teb(struct pb *b)
{
    inner_eth_tcp4(b);
    gre_wrap(b, 0x20, 0, PB_ETH_TEB);
}
/* GRE version 2 */
static void gre_v2(struct pb *b)
{
    inner_udp4(b);
    gre_wrap(b, 0, 2, PB_ETH_IPV4);
}
/* GRE with the deprecated routing bit */
static void gre_r(struct pb *b)
{
    inner_udp4(b);
    gre_wrap(b, 0x40, 0, PB_ETH_IPV4);
}
/* GRE version 1 (PPTP) carrying PPP 0x880b: counted, not decoded */
static void gre_pptp(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 12, 0);
    gre_wrap(b, 0x20, 1, 0x880b);
}
/* GRE version 0 carrying protocol 0x880b */
static void gre_ppp(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 12, 0);
    gre_wrap(b, 0, 0, 0x880b);
}
/* IPv4 proto 47 with 3 bytes */
static void gre_short(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x00\x00\x08", 3);
    pb_ipv4(b, OUT_SRC, OUT_DST, PB_GRE);
    pb_eth(b, PB_ETH_IPV4);
}
/* GRE with K and S set but only the 4-byte base header present */
static void gre_ks_short(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x30\x00\x08\x00", 4);
    pb_ipv4(b, OUT_SRC, OUT_DST, PB_GRE);
    pb_eth(b, PB_ETH_IPV4);
}
/* Eth | IPv4 | UDP 4789 | VXLAN 42 | Eth | IPv4 TCP */
static void vx4(struct pb *b)
{
    inner_eth_tcp4(b);
    vxlan_wrap(b);
}
/* Eth | IPv4 | UDP 4789 | VXLAN 42 | Eth | IPv6 UDP */
static void vx6(struct pb *b)
{
    inner_udp6(b);
    pb_eth(b, PB_ETH_IPV6);
    vxlan_wrap(b);
}
/* Eth | IPv4 | UDP 4789 | VXLAN 42 | Eth | ARP: no inner IP */
static void vx_arp(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 28, 0);
    pb_eth(b, PB_ETH_ARP);
    vxlan_wrap(b);
}
/* Eth | IPv4 | UDP 49152 -> 4789 | "not a vxlan header, just data" */
static void udp4789_text(struct pb *b)
{
    static const char text[] = "not a vxlan header, just data";
    pb_init(b);
    pb_bytes(b, text, sizeof text - 1);
    pb_udp(b, 49152, 4789);
    pb_ipv4(b, IP4(192, 0, 2, 10), IP4(192, 0, 2, 20), PB_UDP);
    pb_eth(b, PB_ETH_IPV4);
}
/* VXLAN header with the last reserved byte set: not VXLAN */
static void vx_reserved(struct pb *b)
{
    inner_eth_tcp4(b);
    pb_vxlan(b, 42);
    *pb_at(b, 7) = 1;
    pb_udp(b, 49152, 4789);
    pb_ipv4(b, IP4(192, 0, 2, 10), IP4(192, 0, 2, 20), PB_UDP);
    pb_eth(b, PB_ETH_IPV4);
}
/* VXLAN header followed by 10 bytes: too short for the inner Ethernet header */
static void vx_short(struct pb *b)
{
    pb_init(b);
    pb_pattern(b, 10, 0);
    vxlan_wrap(b);
}
/* IPv6 2001:db8::1 -> 2001:db8::2 next header 4 | IPv4 UDP */
static void v4in6(struct pb *b)
{
    inner_udp4(b);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", PB_IPIP);
    pb_eth(b, PB_ETH_IPV6);
}
/* n IPv4 headers (proto 4 each, outer ones 1.1.1.1 -> 2.2.2.2) around IPv4 UDP */
static void ipip_n(struct pb *b, int n)
{
    inner_udp4(b);
    for (int i = 1; i < n; i++)
        pb_ipv4(b, OUT_SRC, OUT_DST, PB_IPIP);
    pb_eth(b, PB_ETH_IPV4);
}
static void ipip4(struct pb *b)
{
    ipip_n(b, 4);
}
static void ipip5(struct pb *b)
{
    ipip_n(b, 5);
}
/* Eth | IPv4 | GRE | IPv4 | GRE | IPv4 UDP */
static void gre_gre(struct pb *b)
{
    inner_udp4(b);
    pb_gre(b, 0, 0, PB_ETH_IPV4);
    pb_ipv4(b, IP4(3, 3, 3, 3), IP4(4, 4, 4, 4), PB_GRE);
    gre_wrap(b, 0, 0, PB_ETH_IPV4);
}
/* Eth | IPv4 | UDP | VXLAN | Eth | IPv4 | UDP | VXLAN | Eth | IPv4 TCP */
static void vx_vx(struct pb *b)
{
    inner_eth_tcp4(b);
    vxlan_wrap(b);
    vxlan_wrap(b);
}

/* clang-format off */
#define IN4(proto_, sp, dp)                                                                        \
    {.ip_ver = 4, .proto = (proto_), .sport = (sp), .dport = (dp),                                 \
     .flags_on = PKT_F_L4 | PKT_F_TUNNELED, .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD}
#define IN6                                                                                        \
    {.ip_ver = 6, .proto = 17, .sport = 1111, .dport = 2222,                                       \
     .flags_on = PKT_F_L4 | PKT_F_TUNNELED, .flags_off = PKT_F_INVALID | PKT_F_L4_CSUM_BAD}
#define OUTER_GRE(on, e)                                                                           \
    {.ip_ver = 4, .proto = 47, .flags_on = (on), .flags_off = PKT_F_L4 | PKT_F_TUNNELED,           \
     .ev = {e}}
#define OUTER_UDP(e)                                                                               \
    {.ip_ver = 4, .proto = 17, .sport = 49152, .dport = 4789, .flags_on = PKT_F_L4,                \
     .flags_off = PKT_F_TUNNELED | PKT_F_INVALID, .ev = {e}}
#define TOO_DEEP                                                                                   \
    {.ip_ver = 4, .flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4,                                \
     .ev = {DEC_EV_TOO_MANY_LAYERS}}
/* clang-format on */

struct tun_row {
    const char *name;
    void (*build)(struct pb *b);
    uint32_t max_layers; /* 0 = default */
    struct want w;
    uint8_t tunnel_depth;
    bool inner_addrs; /* src/dst must be 10.0.0.1 -> 10.0.0.2 */
};

/* clang-format off */
static const struct tun_row tun_rows[] = {
    {"gre ipv4", gre4, 0, IN4(17, 1111, 2222), 1, true},
    {"gre key and sequence", gre_ks, 0, IN4(17, 1111, 2222), 1, true},
    {"gre checksum key and sequence", gre_cks, 0, IN4(17, 1111, 2222), 1, true},
    {"gre ipv6", gre6, 0, IN6, 1, false},
    {"gre transparent ethernet", gre_teb, 0, IN4(6, 1111, 2222), 1, true},
    {"gre version 2", gre_v2, 0, OUTER_GRE(PKT_F_INVALID, DEC_EV_GRE_WRONG_VERSION), 0, false},
    {"gre routing bit", gre_r, 0, OUTER_GRE(PKT_F_INVALID, DEC_EV_GRE_WRONG_VERSION), 0, false},
    {"gre version 1 pptp", gre_pptp, 0, OUTER_GRE(0, 0), 0, false},
    {"gre unsupported protocol", gre_ppp, 0, OUTER_GRE(0, DEC_EV_GRE_UNSUPPORTED_PROTO), 0, false},
    {"gre 3 bytes", gre_short, 0, OUTER_GRE(PKT_F_INVALID, DEC_EV_GRE_PKT_TOO_SMALL), 0, false},
    {"gre optional fields missing", gre_ks_short, 0,
     OUTER_GRE(PKT_F_INVALID, DEC_EV_GRE_PKT_TOO_SMALL), 0, false},
    {"vxlan ipv4 tcp", vx4, 0, IN4(6, 1111, 2222), 1, true},
    {"vxlan ipv6 udp", vx6, 0, IN6, 1, false},
    {"vxlan carrying arp", vx_arp, 0, OUTER_UDP(0), 0, false},
    {"udp 4789 not vxlan", udp4789_text, 0, OUTER_UDP(0), 0, false},
    {"vxlan reserved bits set", vx_reserved, 0, OUTER_UDP(0), 0, false},
    {"vxlan too short", vx_short, 0, OUTER_UDP(DEC_EV_VXLAN_PKT_TOO_SMALL), 0, false},
    {"ipv4 in ipv6", v4in6, 0, IN4(17, 1111, 2222), 1, true},
    {"4 ipv4 layers", ipip4, 0, IN4(17, 1111, 2222), 3, true},
    {"5 ipv4 layers, max_layers 4", ipip5, 4, TOO_DEEP, 3, false},
    {"5 ipv4 layers, default limit", ipip5, 0, IN4(17, 1111, 2222), 4, true},
    {"5 ipv4 layers, max_layers 5", ipip5, 5, IN4(17, 1111, 2222), 4, true},
    {"gre in gre, max_layers 4", gre_gre, 4, TOO_DEEP, 1, false},
    {"gre in gre, default limit", gre_gre, 0, IN4(17, 1111, 2222), 2, true},
    {"gre in gre, max_layers 5", gre_gre, 5, IN4(17, 1111, 2222), 2, true},
    /* the limit is hit at the innermost IPv4: the middle UDP stays the transport layer */
    {"vxlan in vxlan, max_layers 4", vx_vx, 4,
     {.ip_ver = 4, .proto = 17, .sport = 49152, .dport = 4789,
      .flags_on = PKT_F_INVALID | PKT_F_L4 | PKT_F_TUNNELED, .ev = {DEC_EV_TOO_MANY_LAYERS}}, 1,
     false},
    {"vxlan in vxlan, max_layers 5", vx_vx, 5, IN4(6, 1111, 2222), 2, true},
    {"vxlan in vxlan, default limit", vx_vx, 0, IN4(6, 1111, 2222), 2, true},
    {"gre ipv4, max_layers 2", gre4, 2, TOO_DEEP, 0, false},
};
/* clang-format on */

static void test_dec_tunnel_table(void **state)
{
    (void)state;
    static struct pb b;
    struct tpkt t = {0};
    for (size_t i = 0; i < MM_ARRAY_LEN(tun_rows); i++) {
        const struct tun_row *r = &tun_rows[i];
        struct dec_config cfg;
        dec_config_defaults(&cfg);
        if (r->max_layers)
            cfg.max_layers = r->max_layers;
        dec_ctx_t *ctx = dec_ctx_new(&cfg);
        assert_non_null(ctx);
        r->build(&b);
        tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
        const struct packet *p = &t.p;
        struct want w = r->w;
        if (w.ev[0] == DEC_EV_TOO_MANY_LAYERS)
            w.proto = p->proto; /* whichever layer was the last one entered */
        tc_check_want(r->name, p, &w);
        TC_EQ(r->name, p->tunnel_depth, r->tunnel_depth);
        if (r->inner_addrs) {
            struct mm_addr s = tc_addr4(IN_SRC), d = tc_addr4(IN_DST);
            TC_CHECK(r->name, tc_addr_eq(&p->src, &s) && tc_addr_eq(&p->dst, &d));
        }
        if (r->w.ip_ver == 6 && (r->w.flags_on & PKT_F_TUNNELED)) {
            struct mm_addr s = tc_addr6("fd00::1");
            TC_CHECK(r->name, tc_addr_eq(&p->src, &s));
        }
        /* MAC addresses stay those of the outermost frame. */
        TC_CHECK(r->name, p->mac_dst == t.copy);
        const struct dec_stats *st = dec_get_stats(ctx);
        if (r->build == vx4 || r->build == vx6)
            TC_EQ(r->name, st->vxlan, 1);
        if (r->build == gre4 || r->build == gre_teb)
            TC_EQ(r->name, st->gre, 1);
        if (r->build == udp4789_text)
            TC_EQ(r->name, p->payload_len, 29);
        dec_ctx_free(ctx);
    }
    tp_packet_free(&t);
    tc_done();
}

/*
 * Regression: the fields of a tunnelled packet are the innermost packet's, checksum flag
 * included. A VXLAN packet whose outer UDP checksum is wrong (counted in udp_csum_bad) must
 * not mark its correct inner TCP segment PKT_F_L4_CSUM_BAD.
 */
static void test_dec_tunnel_outer_csum_not_inner(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    vx4(&b);
    (*pb_at(&b, 14 + 20 + 6)) ^= 0x01; /* outer UDP checksum */
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    struct want w = IN4(6, 1111, 2222);
    tc_check_want("vxlan, outer udp checksum bad", &t.p, &w);
    TC_EQ("vxlan, outer udp checksum bad", dec_get_stats(ctx)->udp_csum_bad, 1);
    TC_EQ("vxlan, outer udp checksum bad", dec_get_stats(ctx)->tcp_csum_bad, 0);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_tunnel_table),
        cmocka_unit_test(test_dec_tunnel_outer_csum_not_inner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
