/*
 * ICMPv4 and ICMPv6 decoding (src/decode/icmpv4.c, icmpv6.c): echo identifiers, type/code
 * validation, the invoking packet quoted by error messages (decoded into p->icmp_inner, which
 * scan detection needs for the original destination port) and checksums (ICMPv4 over the
 * message, ICMPv6 over the IPv6 pseudo-header too).
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

#define ROUTER IP4(203, 0, 113, 1)
#define HOST IP4(10, 0, 0, 2)
#define REMOTE IP4(198, 51, 100, 7)

/* ---------- ICMPv4 ---------- */

/* The packet an error quotes: IPv4 10.0.0.2 -> 198.51.100.7 | UDP 33000 -> 53 | 20 bytes.
 * The first `keep` bytes are copied to q. */
static size_t quote4_udp(uint8_t *q, size_t keep)
{
    static struct pb o;
    pb_init(&o);
    pb_pattern(&o, 20, 0);
    pb_udp(&o, 33000, 53);
    pb_ipv4(&o, HOST, REMOTE, PB_UDP);
    memcpy(q, pb_data(&o), keep);
    return keep;
}

/* IPv4 10.0.0.2 -> 198.51.100.7 | TCP 40000 -> 443 SYN, first `keep` bytes */
static size_t quote4_tcp(uint8_t *q, size_t keep)
{
    static struct pb o;
    pb_init(&o);
    pb_tcp_simple(&o, 40000, 443, PB_SYN, 1, 0);
    pb_ipv4(&o, HOST, REMOTE, PB_TCP);
    memcpy(q, pb_data(&o), keep);
    return keep;
}

/* IPv4 10.0.0.2 -> 198.51.100.7 | ICMP echo request id 0x0777 seq 3, 8 bytes, first `keep`
 * bytes: what a router quotes when it cannot reach a pinged host */
static size_t quote4_echo(uint8_t *q, size_t keep)
{
    static struct pb o;
    pb_init(&o);
    pb_pattern(&o, 8, 0);
    pb_icmp4(&o, 8, 0, 0x07770003);
    pb_ipv4(&o, HOST, REMOTE, PB_ICMP);
    memcpy(q, pb_data(&o), keep);
    return keep;
}

/* IPv4 203.0.113.1 -> 10.0.0.2 | ICMP type/code/rest | body */
static void icmp4(struct pb *b, uint8_t type, uint8_t code, uint32_t rest, const uint8_t *body,
                  size_t n)
{
    pb_init(b);
    pb_bytes(b, body, n);
    pb_icmp4(b, type, code, rest);
    pb_ipv4(b, ROUTER, HOST, PB_ICMP);
}

/* echo request id 0x1234 seq 1, 16 bytes of data */
static void echo_req(struct pb *b)
{
    uint8_t d[16] = {0};
    icmp4(b, 8, 0, 0x12340001, d, sizeof d);
}
/* echo reply id 0x1234 seq 1 */
static void echo_rep(struct pb *b)
{
    icmp4(b, 0, 0, 0x12340001, NULL, 0);
}
/* timestamp request id 0x4242, three 4-byte timestamps */
static void tstamp(struct pb *b)
{
    uint8_t d[12] = {0};
    icmp4(b, 13, 0, 0x42420000, d, sizeof d);
}
/* port unreachable (3/3) quoting IPv4 header + 8 bytes of the UDP datagram */
static void unreach_udp(struct pb *b)
{
    uint8_t q[28];
    icmp4(b, 3, 3, 0, q, quote4_udp(q, 28));
}
/* time exceeded (11/0) quoting IPv4 header + the whole TCP SYN header */
static void ttl_tcp(struct pb *b)
{
    uint8_t q[40];
    icmp4(b, 11, 0, 0, q, quote4_tcp(q, 40));
}
/* redirect (5/1) quoting the UDP datagram (header + 8) */
static void redirect_udp(struct pb *b)
{
    uint8_t q[28];
    icmp4(b, 5, 1, IP4(10, 0, 0, 254), q, quote4_udp(q, 28));
}
/* port unreachable quoting only the 20-byte IPv4 header */
static void unreach_hdr_only(struct pb *b)
{
    uint8_t q[20];
    icmp4(b, 3, 3, 0, q, quote4_udp(q, 20));
}
/* port unreachable quoting the IPv4 header and 3 bytes of UDP */
static void unreach_3(struct pb *b)
{
    uint8_t q[23];
    icmp4(b, 3, 3, 0, q, quote4_udp(q, 23));
}
/* port unreachable quoting 10 bytes of IPv4 header */
static void unreach_trunc(struct pb *b)
{
    uint8_t q[10];
    icmp4(b, 3, 3, 0, q, quote4_udp(q, 10));
}
/* port unreachable quoting a header that says IHL 6 (24 bytes) in 22 bytes */
static void unreach_ihl(struct pb *b)
{
    uint8_t q[22];
    quote4_udp(q, 22);
    q[0] = 0x46;
    icmp4(b, 3, 3, 0, q, sizeof q);
}
/* port unreachable quoting something with version 6 */
static void unreach_v6(struct pb *b)
{
    uint8_t q[28];
    quote4_udp(q, 28);
    q[0] = 0x65;
    icmp4(b, 3, 3, 0, q, sizeof q);
}
/* host unreachable (3/1) quoting an echo request: IPv4 header + the 8-byte ICMP header */
static void unreach_echo(struct pb *b)
{
    uint8_t q[28];
    icmp4(b, 3, 1, 0, q, quote4_echo(q, 28));
}
/* host unreachable quoting an echo request cut to 3 bytes of ICMP: no quoted type */
static void unreach_echo_3(struct pb *b)
{
    uint8_t q[23];
    icmp4(b, 3, 1, 0, q, quote4_echo(q, 23));
}
/* type 99 */
static void type99(struct pb *b)
{
    icmp4(b, 99, 0, 0, NULL, 0);
}
/* destination unreachable code 16 */
static void code16(struct pb *b)
{
    uint8_t q[28];
    icmp4(b, 3, 16, 0, q, quote4_udp(q, 28));
}
/* echo request with code 1 */
static void echo_code1(struct pb *b)
{
    icmp4(b, 8, 1, 0x00010001, NULL, 0);
}
/* 7 bytes of ICMP */
static void short7(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x08\x00\xf7\xff\x00\x00\x00", 7);
    pb_ipv4(b, ROUTER, HOST, PB_ICMP);
}
/* echo request with a bad checksum */
static void echo_bad(struct pb *b)
{
    echo_req(b);
    (*pb_at(b, 20 + 2)) ^= 0x40;
}

/* ---------- ICMPv6 ---------- */

/* IPv6 2001:db8::2 -> 2001:db8::99 | UDP 5353 -> 53 | 16 bytes, first `keep` bytes */
static size_t quote6_udp(uint8_t *q, size_t keep)
{
    static struct pb o;
    pb_init(&o);
    pb_pattern(&o, 16, 0);
    pb_udp(&o, 5353, 53);
    pb_ipv6(&o, "2001:db8::2", "2001:db8::99", PB_UDP);
    memcpy(q, pb_data(&o), keep);
    return keep;
}

/* IPv6 2001:db8::2 -> 2001:db8::99 | TCP 50000 -> 22 SYN, first `keep` bytes */
static size_t quote6_tcp(uint8_t *q, size_t keep)
{
    static struct pb o;
    pb_init(&o);
    pb_tcp_simple(&o, 50000, 22, PB_SYN, 1, 0);
    pb_ipv6(&o, "2001:db8::2", "2001:db8::99", PB_TCP);
    memcpy(q, pb_data(&o), keep);
    return keep;
}

/* IPv6 2001:db8::2 -> 2001:db8::99 | ICMPv6 echo request id 0x0888, first `keep` bytes */
static size_t quote6_echo(uint8_t *q, size_t keep)
{
    static struct pb o;
    pb_init(&o);
    pb_icmp6(&o, 128, 0, 0x08880001);
    pb_ipv6(&o, "2001:db8::2", "2001:db8::99", PB_ICMPV6);
    memcpy(q, pb_data(&o), keep);
    return keep;
}

/* IPv6 2001:db8::1 -> 2001:db8::2 | ICMPv6 type/code/rest | body */
static void icmp6(struct pb *b, uint8_t type, uint8_t code, uint32_t rest, const uint8_t *body,
                  size_t n)
{
    pb_init(b);
    pb_bytes(b, body, n);
    pb_icmp6(b, type, code, rest);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", PB_ICMPV6);
}

/* echo request id 0x4321 seq 9, 8 bytes */
static void e6_req(struct pb *b)
{
    uint8_t d[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    icmp6(b, 128, 0, 0x43210009, d, sizeof d);
}
/* echo reply id 0x4321 */
static void e6_rep(struct pb *b)
{
    icmp6(b, 129, 0, 0x43210009, NULL, 0);
}
/* destination unreachable, port unreachable (1/4), quoting IPv6 + UDP header */
static void e6_unreach(struct pb *b)
{
    uint8_t q[48];
    icmp6(b, 1, 4, 0, q, quote6_udp(q, 48));
}
/* packet too big (2/0, MTU 1280) quoting IPv6 + TCP header */
static void e6_ptb(struct pb *b)
{
    uint8_t q[60];
    icmp6(b, 2, 0, 1280, q, quote6_tcp(q, 60));
}
/* address unreachable (1/3) quoting an echo request */
static void e6_unreach_echo(struct pb *b)
{
    uint8_t q[48];
    icmp6(b, 1, 3, 0, q, quote6_echo(q, 48));
}
/* time exceeded (3/0) quoting only the IPv6 header */
static void e6_te_hdr(struct pb *b)
{
    uint8_t q[40];
    icmp6(b, 3, 0, 0, q, quote6_udp(q, 40));
}
/* destination unreachable quoting 30 bytes */
static void e6_trunc(struct pb *b)
{
    uint8_t q[30];
    icmp6(b, 1, 4, 0, q, quote6_udp(q, 30));
}
/* destination unreachable quoting something with version 4 */
static void e6_v4(struct pb *b)
{
    uint8_t q[48];
    quote6_udp(q, 48);
    q[0] = 0x45;
    icmp6(b, 1, 4, 0, q, sizeof q);
}
/* neighbour solicitation (135) for 2001:db8::2 */
static void e6_ns(struct pb *b)
{
    uint8_t target[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
    icmp6(b, 135, 0, 0, target, sizeof target);
}
/* type 250 */
static void e6_type250(struct pb *b)
{
    icmp6(b, 250, 0, 0, NULL, 0);
}
/* destination unreachable code 9 */
static void e6_code9(struct pb *b)
{
    uint8_t q[48];
    icmp6(b, 1, 9, 0, q, quote6_udp(q, 48));
}
/* 3 bytes of ICMPv6 */
static void e6_short3(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x80\x00\x00", 3);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", PB_ICMPV6);
}
/* echo request of 6 bytes */
static void e6_short_echo(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x80\x00\x00\x00\x43\x21", 6);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", PB_ICMPV6);
}
/* echo request with a bad checksum */
static void e6_bad(struct pb *b)
{
    e6_req(b);
    (*pb_at(b, 40 + 3)) ^= 1;
}
/* echo request with the checksum zeroed (no "none" value in ICMPv6) */
static void e6_zero(struct pb *b)
{
    e6_req(b);
    *pb_at(b, 42) = 0;
    *pb_at(b, 43) = 0;
}
/* an ICMPv6 echo inside IPv4 (protocol 58): not decoded as ICMP */
static void e6_in_v4(struct pb *b)
{
    pb_init(b);
    pb_bytes(b, "\x80\x00\x00\x00\x43\x21\x00\x01", 8);
    pb_ipv4(b, ROUTER, HOST, PB_ICMPV6);
}

/* clang-format off */
#define I4(extra_on, ...)                                                                          \
    {.ip_ver = 4, .proto = 1, .flags_on = PKT_F_L4 | (extra_on), .flags_off = PKT_F_INVALID,       \
     .ev = {__VA_ARGS__}}
#define I6(extra_on, ...)                                                                          \
    {.ip_ver = 6, .proto = 58, .flags_on = PKT_F_L4 | (extra_on), .flags_off = PKT_F_INVALID,      \
     .ev = {__VA_ARGS__}}
#define STOP(v, pr, e)                                                                             \
    {.ip_ver = (v), .proto = (pr), .flags_on = PKT_F_INVALID, .flags_off = PKT_F_L4, .ev = {e}}
/* clang-format on */

struct icmp_row {
    const char *name;
    void (*build)(struct pb *b);
    struct want w;
    uint8_t type, code;
    uint16_t id;
    /* expected quoted header when the row expects PKT_F_ICMP_INNER */
    uint8_t in_ver, in_proto;
    uint16_t in_sport, in_dport;
    bool in_icmp; /* a quoted ICMP header: its type and code */
    uint8_t in_type, in_code;
};

/* clang-format off */
static const struct icmp_row icmp_rows[] = {
    {"echo request", echo_req, I4(0, 0), 8, 0, 0x1234, 0, 0, 0, 0, false, 0, 0},
    {"echo reply", echo_rep, I4(0, 0), 0, 0, 0x1234, 0, 0, 0, 0, false, 0, 0},
    {"timestamp request", tstamp, I4(0, 0), 13, 0, 0x4242, 0, 0, 0, 0, false, 0, 0},
    {"port unreachable quoting udp", unreach_udp, I4(PKT_F_ICMP_INNER, 0), 3, 3, 0, 4, 17, 33000,
     53, false, 0, 0},
    {"time exceeded quoting tcp", ttl_tcp, I4(PKT_F_ICMP_INNER, 0), 11, 0, 0, 4, 6, 40000, 443, false, 0, 0},
    {"redirect quoting udp", redirect_udp, I4(PKT_F_ICMP_INNER, 0), 5, 1, 0, 4, 17, 33000, 53, false, 0, 0},
    {"quote of the ip header only", unreach_hdr_only, I4(PKT_F_ICMP_INNER, 0), 3, 3, 0, 4, 17, 0,
     0, false, 0, 0},
    {"quote with 3 bytes of udp", unreach_3, I4(PKT_F_ICMP_INNER, 0), 3, 3, 0, 4, 17, 0, 0, false, 0, 0},
    {"quote of 10 bytes", unreach_trunc, I4(0, DEC_EV_ICMPV4_IPV4_TRUNC_PKT), 3, 3, 0, 0, 0, 0, 0, false, 0, 0},
    {"quote ihl past the end", unreach_ihl, I4(0, DEC_EV_ICMPV4_IPV4_TRUNC_PKT), 3, 3, 0, 0, 0, 0,
     0, false, 0, 0},
    {"quote version 6", unreach_v6, I4(0, DEC_EV_ICMPV4_IPV4_UNKNOWN_VER), 3, 3, 0, 0, 0, 0, 0, false, 0, 0},
    {"host unreachable quoting an echo request", unreach_echo, I4(PKT_F_ICMP_INNER, 0), 3, 1, 0,
     4, 1, 0, 0, true, 8, 0},
    {"quote with 3 bytes of icmp", unreach_echo_3, I4(PKT_F_ICMP_INNER, 0), 3, 1, 0, 4, 1, 0, 0,
     false, 0, 0},
    {"type 99", type99, I4(0, DEC_EV_ICMPV4_UNKNOWN_TYPE), 99, 0, 0, 0, 0, 0, 0, false, 0, 0},
    {"unreachable code 16", code16, I4(PKT_F_ICMP_INNER, DEC_EV_ICMPV4_UNKNOWN_CODE), 3, 16, 0, 4,
     17, 33000, 53, false, 0, 0},
    {"echo code 1", echo_code1, I4(0, DEC_EV_ICMPV4_UNKNOWN_CODE), 8, 1, 1, 0, 0, 0, 0, false, 0, 0},
    {"7 bytes", short7, STOP(4, 1, DEC_EV_ICMPV4_PKT_TOO_SMALL), 0, 0, 0, 0, 0, 0, 0, false, 0, 0},
    {"echo checksum bad", echo_bad, I4(PKT_F_L4_CSUM_BAD, 0), 8, 0, 0x1234, 0, 0, 0, 0, false, 0, 0},
    {"v6 echo request", e6_req, I6(0, 0), 128, 0, 0x4321, 0, 0, 0, 0, false, 0, 0},
    {"v6 echo reply", e6_rep, I6(0, 0), 129, 0, 0x4321, 0, 0, 0, 0, false, 0, 0},
    {"v6 port unreachable quoting udp", e6_unreach, I6(PKT_F_ICMP_INNER, 0), 1, 4, 0, 6, 17, 5353,
     53, false, 0, 0},
    {"v6 packet too big quoting tcp", e6_ptb, I6(PKT_F_ICMP_INNER, 0), 2, 0, 0, 6, 6, 50000, 22, false, 0, 0},
    {"v6 address unreachable quoting an echo request", e6_unreach_echo, I6(PKT_F_ICMP_INNER, 0),
     1, 3, 0, 6, 58, 0, 0, true, 128, 0},
    {"v6 time exceeded header only", e6_te_hdr, I6(PKT_F_ICMP_INNER, 0), 3, 0, 0, 6, 17, 0, 0, false, 0, 0},
    {"v6 quote of 30 bytes", e6_trunc, I6(0, DEC_EV_ICMPV6_IPV6_TRUNC_PKT), 1, 4, 0, 0, 0, 0, 0, false, 0, 0},
    {"v6 quote version 4", e6_v4, I6(0, DEC_EV_ICMPV6_IPV6_UNKNOWN_VER), 1, 4, 0, 0, 0, 0, 0, false, 0, 0},
    {"v6 neighbour solicitation", e6_ns, I6(0, 0), 135, 0, 0, 0, 0, 0, 0, false, 0, 0},
    {"v6 type 250", e6_type250, I6(0, DEC_EV_ICMPV6_UNKNOWN_TYPE), 250, 0, 0, 0, 0, 0, 0, false, 0, 0},
    {"v6 unreachable code 9", e6_code9, I6(PKT_F_ICMP_INNER, DEC_EV_ICMPV6_UNKNOWN_CODE), 1, 9, 0,
     6, 17, 5353, 53, false, 0, 0},
    {"v6 3 bytes", e6_short3, STOP(6, 58, DEC_EV_ICMPV6_PKT_TOO_SMALL), 0, 0, 0, 0, 0, 0, 0, false, 0, 0},
    {"v6 echo of 6 bytes", e6_short_echo, STOP(6, 58, DEC_EV_ICMPV6_PKT_TOO_SMALL), 0, 0, 0, 0, 0,
     0, 0, false, 0, 0},
    {"v6 echo checksum bad", e6_bad, I6(PKT_F_L4_CSUM_BAD, 0), 128, 0, 0x4321, 0, 0, 0, 0, false, 0, 0},
    {"v6 echo checksum zero", e6_zero, I6(PKT_F_L4_CSUM_BAD, 0), 128, 0, 0x4321, 0, 0, 0, 0, false, 0, 0},
    {"icmpv6 inside ipv4", e6_in_v4, {.ip_ver = 4, .proto = 58, .flags_off = PKT_F_L4}, 0, 0, 0, 0,
     0, 0, 0, false, 0, 0},
};
/* clang-format on */

static void test_dec_icmp_table(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    assert_non_null(ctx);
    static struct pb b;
    struct tpkt t = {0};
    uint64_t want_bad = 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(icmp_rows); i++) {
        const struct icmp_row *r = &icmp_rows[i];
        r->build(&b);
        tp_decode(ctx, &t, L_RAW, pb_data(&b), pb_len(&b), 0, 1);
        const struct packet *p = &t.p;
        tc_check_want(r->name, p, &r->w);
        if (r->w.flags_on & PKT_F_L4_CSUM_BAD)
            want_bad++;
        /* ICMP errors and rows without the inner flag must not leave a quoted header. */
        if (!(r->w.flags_on & PKT_F_ICMP_INNER))
            TC_EQ(r->name, p->flags & PKT_F_ICMP_INNER, 0);
        if (!(r->w.flags_on & PKT_F_L4))
            continue;
        TC_EQ(r->name, p->icmp_type, r->type);
        TC_EQ(r->name, p->icmp_code, r->code);
        TC_EQ(r->name, p->icmp_id, r->id);
        if (!(r->w.flags_on & PKT_F_ICMP_INNER))
            continue;
        const struct icmp_inner *in = &p->icmp_inner;
        TC_EQ(r->name, in->ip_ver, r->in_ver);
        TC_EQ(r->name, in->proto, r->in_proto);
        TC_EQ(r->name, in->sport, r->in_sport);
        TC_EQ(r->name, in->dport, r->in_dport);
        TC_EQ(r->name, in->icmp_quoted, r->in_icmp);
        TC_EQ(r->name, in->icmp_type, r->in_type);
        TC_EQ(r->name, in->icmp_code, r->in_code);
        if (r->in_ver == 4) {
            struct mm_addr s = tc_addr4(HOST), d = tc_addr4(REMOTE);
            TC_CHECK(r->name, tc_addr_eq(&in->src, &s) && tc_addr_eq(&in->dst, &d));
            /* the outer packet keeps its own addresses */
            struct mm_addr os = tc_addr4(ROUTER);
            TC_CHECK(r->name, tc_addr_eq(&p->src, &os));
        } else {
            struct mm_addr s = tc_addr6("2001:db8::2"), d = tc_addr6("2001:db8::99");
            TC_CHECK(r->name, tc_addr_eq(&in->src, &s) && tc_addr_eq(&in->dst, &d));
        }
        /* Errors have no echo identifier: the flow layer keys them on type alone. */
        TC_EQ(r->name, p->sport, 0);
        TC_EQ(r->name, p->dport, 0);
    }
    TC_EQ("stats", dec_get_stats(ctx)->icmp_csum_bad, want_bad);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_icmp_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
