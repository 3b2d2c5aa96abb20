/*
 * IPv4 and IPv6 fragment reassembly (src/decode/defrag.c) as seen through dec_packet():
 * in order, out of order, duplicates, overlaps (the first data seen for a byte wins, and any
 * overlap is an event), fragments that cannot be placed, the datagram size limit, the
 * per-datagram fragment limit, the memcap (tiny and with eviction) and timeouts.
 *
 * The IPv4 datagram reassembled in most rows is
 *   IPv4 10.0.0.1 -> 10.0.0.2 id <row> | UDP 5000 -> 6000 | 100 bytes 0x00..0x63
 * i.e. 108 bytes of IP payload, cut into fragments given as (offset, length, MF). The
 * expected bytes are computed by a reference model (first arrival wins per byte); the UDP
 * checksum, made over the original bytes, tells whether the model says the data changed.
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
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

enum { L_ETH = 1 };

#define SRC IP4(10, 0, 0, 1)
#define DST IP4(10, 0, 0, 2)
#define DGRAM_LEN 108u
#define SEC 1000000000ull

/* The IP payload (UDP header + 100 bytes) of the datagram, with its UDP checksum. */
static uint8_t dgram4[DGRAM_LEN];
static uint8_t dgram6[DGRAM_LEN];

static void make_dgrams(void)
{
    static struct pb b;
    pb_init(&b);
    pb_pattern(&b, 100, 0);
    pb_udp(&b, 5000, 6000);
    pb_ipv4(&b, SRC, DST, PB_UDP);
    memcpy(dgram4, pb_data(&b) + 20, DGRAM_LEN);
    pb_init(&b);
    pb_pattern(&b, 100, 0);
    pb_udp(&b, 5000, 6000);
    pb_ipv6(&b, "2001:db8::1", "2001:db8::2", PB_UDP);
    memcpy(dgram6, pb_data(&b) + 40, DGRAM_LEN);
}

/* Ethernet | [802.1Q vlan] | IPv4 10.0.0.1 -> 10.0.0.2 id, MF, offset | data */
static void frag4(struct pb *b, const uint8_t *data, uint32_t off, uint32_t len, bool more,
                  uint16_t id, uint16_t vlan)
{
    struct pb_ip4 o = {.id = id, .frag = (uint16_t)((more ? 0x2000 : 0) | (off / 8))};
    pb_init(b);
    pb_bytes(b, data, len);
    pb_ipv4_ex(b, SRC, DST, PB_UDP, &o);
    if (vlan) {
        pb_vlan(b, vlan, PB_ETH_IPV4);
        pb_eth(b, PB_ETH_VLAN);
    } else {
        pb_eth(b, PB_ETH_IPV4);
    }
}

/* Ethernet | IPv6 2001:db8::1 -> 2001:db8::2 | [hop-by-hop] | Fragment(17, off, M, id) | data */
static void frag6(struct pb *b, const uint8_t *data, uint32_t off, uint32_t len, bool more,
                  uint32_t id, bool hbh)
{
    pb_init(b);
    pb_bytes(b, data, len);
    pb_ipv6_frag(b, PB_UDP, (uint16_t)off, more, id);
    if (hbh)
        pb_ipv6_opts(b, 44, 8);
    pb_ipv6(b, "2001:db8::1", "2001:db8::2", hbh ? 0 : 44);
    pb_eth(b, PB_ETH_IPV6);
}

struct step {
    uint32_t off, len;
    bool more;
    uint8_t fill; /* 0: the datagram's bytes; else every byte is `fill` */
    bool done;    /* this fragment completes the datagram */
    uint16_t ev;  /* expected event on this fragment (0 = none) */
};

#define MAX_STEPS 16
struct frag_row {
    const char *name;
    bool v6;
    struct step s[MAX_STEPS]; /* ends at the first len == 0 && !more && off == 0 */
};

/* clang-format off */
#define A {0, 40, true, 0, false, 0}
#define B {40, 40, true, 0, false, 0}
#define C {80, 28, false, 0, false, 0}
#define A_DONE {0, 40, true, 0, true, 0}
#define B_DONE {40, 40, true, 0, true, 0}
#define C_DONE {80, 28, false, 0, true, 0}
/* clang-format on */
#define OV(e) ((uint16_t)(e))

/* clang-format off */
static const struct frag_row rows[] = {
    {"in order", false, {A, B, C_DONE}},
    {"out of order", false, {C, A, B_DONE}},
    {"reverse order", false, {C, B, A_DONE}},
    {"two fragments", false, {{0, 56, true, 0, false, 0}, {56, 52, false, 0, true, 0}}},
    {"duplicate first fragment", false,
     {A, {0, 40, true, 0, false, OV(DEC_EV_IPV4_FRAG_OVERLAP)}, B, C_DONE}},
    {"duplicate last fragment", false,
     {C, A, {80, 28, false, 0, false, OV(DEC_EV_IPV4_FRAG_OVERLAP)}, B_DONE}},
    /* X = [32,72) of 0xee arrives before B: its bytes 40..71 win over B's */
    {"overlap, earlier conflicting data wins", false,
     {A, {32, 40, true, 0xee, false, OV(DEC_EV_IPV4_FRAG_OVERLAP)},
      {40, 40, true, 0, false, OV(DEC_EV_IPV4_FRAG_OVERLAP)}, C_DONE}},
    /* Y = [0,16) of 0xee arrives after A: ignored where A already gave the bytes */
    {"overlap, later conflicting data loses", false,
     {A, {0, 16, true, 0xee, false, OV(DEC_EV_IPV4_FRAG_OVERLAP)}, B, C_DONE}},
    /* last fragment [72,108) of 0xee overlaps B's tail */
    {"overlapping last fragment", false,
     {A, B, {72, 36, false, 0xee, true, OV(DEC_EV_IPV4_FRAG_OVERLAP)}}},
    {"fourteen 8-byte fragments shuffled", false,
     {{104, 4, false, 0, false, 0}, {8, 8, true, 0, false, 0}, {96, 8, true, 0, false, 0},
      {16, 8, true, 0, false, 0}, {88, 8, true, 0, false, 0}, {24, 8, true, 0, false, 0},
      {80, 8, true, 0, false, 0}, {32, 8, true, 0, false, 0}, {72, 8, true, 0, false, 0},
      {40, 8, true, 0, false, 0}, {64, 8, true, 0, false, 0}, {48, 8, true, 0, false, 0},
      {56, 8, true, 0, false, 0}, {0, 8, true, 0, true, 0}}},
    {"empty fragment with MF", false,
     {A, {40, 0, true, 0, false, OV(DEC_EV_IPV4_FRAG_IGNORED)}, B, C_DONE}},
    {"fragment past the known end", false,
     {C, {96, 16, true, 0, false, OV(DEC_EV_IPV4_FRAG_IGNORED)}, A, B_DONE}},
    {"second, different last fragment", false,
     {C, {88, 8, false, 0, false, OV(DEC_EV_IPV4_FRAG_IGNORED)}, A, B_DONE}},
    {"ipv6 in order", true,
     {{0, 48, true, 0, false, 0}, {48, 48, true, 0, false, 0}, {96, 12, false, 0, true, 0}}},
    {"ipv6 out of order", true,
     {{96, 12, false, 0, false, 0}, {0, 48, true, 0, false, 0}, {48, 48, true, 0, true, 0}}},
    {"ipv6 overlap, first wins", true,
     {{0, 48, true, 0, false, 0}, {40, 16, true, 0xee, false, OV(DEC_EV_IPV6_FRAG_OVERLAP)},
      {48, 48, true, 0, false, OV(DEC_EV_IPV6_FRAG_OVERLAP)}, {96, 12, false, 0, true, 0}}},
};
/* clang-format on */

static bool step_end(const struct step *s)
{
    return s->off == 0 && s->len == 0 && !s->more;
}

/* Decode one fragment of row `r` (id = row index + 1) with the given step. */
static void send_step(dec_ctx_t *ctx, struct tpkt *t, bool v6, uint16_t id, const struct step *s,
                      uint64_t ts)
{
    static struct pb b;
    uint8_t data[DGRAM_LEN];
    const uint8_t *src = v6 ? dgram6 : dgram4;
    assert_true(s->len <= DGRAM_LEN);
    for (uint32_t i = 0; i < s->len; i++) {
        uint32_t at = s->off + i;
        /* bytes past the datagram (rows testing bad fragments) are 0xab */
        data[i] = s->fill ? s->fill : at < DGRAM_LEN ? src[at] : 0xab;
    }
    if (v6)
        frag6(&b, data, s->off, s->len, s->more, id, false);
    else
        frag4(&b, data, s->off, s->len, s->more, id, 0);
    tp_decode(ctx, t, L_ETH, pb_data(&b), pb_len(&b), 0, ts);
}

static void test_dec_defrag_table(void **state)
{
    (void)state;
    make_dgrams();
    struct tpkt t = {0};
    for (size_t ri = 0; ri < MM_ARRAY_LEN(rows); ri++) {
        const struct frag_row *r = &rows[ri];
        struct dec_config cfg;
        dec_config_defaults(&cfg);
        dec_ctx_t *ctx = dec_ctx_new(&cfg);
        assert_non_null(ctx);
        const uint8_t *orig = r->v6 ? dgram6 : dgram4;
        uint8_t model[DGRAM_LEN];
        bool have[DGRAM_LEN] = {false};
        bool completed = false;
        char name[128];
        for (size_t si = 0; si < MAX_STEPS && !step_end(&r->s[si]); si++) {
            const struct step *s = &r->s[si];
            snprintf(name, sizeof name, "%s, fragment %zu", r->name, si + 1);
            send_step(ctx, &t, r->v6, (uint16_t)(ri + 1), s, 1000 * SEC + si);
            const struct packet *p = &t.p;
            bool placed = s->ev != DEC_EV_IPV4_FRAG_IGNORED && s->ev != DEC_EV_IPV6_FRAG_IGNORED;
            if (placed) {
                for (uint32_t i = 0; i < s->len && s->off + i < DGRAM_LEN; i++) {
                    if (!have[s->off + i]) {
                        have[s->off + i] = true;
                        model[s->off + i] = s->fill ? s->fill : orig[s->off + i];
                    }
                }
            }
            struct want w = {.ip_ver = r->v6 ? 6 : 4, .ev = {s->ev}};
            if (s->done) {
                w.proto = 17;
                w.sport = 5000;
                w.dport = 6000;
                w.flags_on = PKT_F_REASSEMBLED | PKT_F_L4;
                w.flags_off = PKT_F_FRAGMENT | PKT_F_INVALID;
            } else {
                w.proto = p->proto; /* fragment header or the IPv4 protocol: not checked */
                w.flags_on = PKT_F_FRAGMENT;
                w.flags_off = PKT_F_REASSEMBLED | PKT_F_L4;
            }
            tc_check_want(name, p, &w);
            if (!s->done)
                continue;
            completed = true;
            TC_EQ(name, p->l4_len, DGRAM_LEN);
            TC_EQ(name, p->payload_len, 100);
            bool changed = memcmp(model, orig, DGRAM_LEN) != 0;
            TC_CHECK(name, p->l4 && memcmp(p->l4, model, DGRAM_LEN) == 0);
            TC_EQ(name, (p->flags & PKT_F_L4_CSUM_BAD) != 0, changed);
            const struct dec_stats *st = dec_get_stats(ctx);
            TC_EQ(name, st->frag_reassembled, 1);
            size_t used, limit;
            uint64_t hits;
            dec_defrag_mem(ctx, &used, &limit, &hits);
            TC_EQ(name, used, 0); /* the tracker is gone once the datagram is out */
        }
        bool want_done = false;
        for (size_t si = 0; si < MAX_STEPS && !step_end(&r->s[si]); si++)
            want_done |= r->s[si].done;
        TC_EQ(r->name, completed, want_done);
        dec_ctx_free(ctx);
    }
    tp_packet_free(&t);
    tc_done();
}

/* A datagram missing its last fragment is freed by dec_expire once the timeout passed. */
static void test_dec_defrag_timeout(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    struct tpkt t = {0};
    const struct step a = A, b = B, c = C;
    uint64_t t0 = 5000 * SEC;
    send_step(ctx, &t, false, 77, &a, t0);
    send_step(ctx, &t, false, 77, &b, t0 + 1 * SEC);
    size_t used, limit;
    uint64_t hits;
    dec_defrag_mem(ctx, &used, &limit, &hits);
    assert_true(used > 0);

    dec_expire(ctx, t0 + 59 * SEC);
    assert_int_equal(dec_get_stats(ctx)->frag_timeouts, 0);
    dec_defrag_mem(ctx, &used, &limit, &hits);
    assert_true(used > 0);

    dec_expire(ctx, t0 + 61 * SEC);
    assert_int_equal(dec_get_stats(ctx)->frag_timeouts, 1);
    dec_defrag_mem(ctx, &used, &limit, &hits);
    assert_int_equal(used, 0);

    /* The late last fragment starts a new datagram that never completes. */
    send_step(ctx, &t, false, 77, &c, t0 + 62 * SEC);
    assert_true(t.p.flags & PKT_F_FRAGMENT);
    assert_false(t.p.flags & PKT_F_REASSEMBLED);
    assert_int_equal(dec_get_stats(ctx)->frag_reassembled, 0);

    /* A shorter configured timeout applies. */
    dec_ctx_free(ctx);
    cfg.defrag_timeout_s = 5;
    ctx = dec_ctx_new(&cfg);
    send_step(ctx, &t, false, 78, &a, t0);
    dec_expire(ctx, t0 + 4 * SEC);
    assert_int_equal(dec_get_stats(ctx)->frag_timeouts, 0);
    dec_expire(ctx, t0 + 6 * SEC);
    assert_int_equal(dec_get_stats(ctx)->frag_timeouts, 1);
    tp_packet_free(&t);
    dec_ctx_free(ctx); /* also frees whatever is still tracked (ASan checks for leaks) */
}

/* A fragment reaching past 65535 bytes of payload cannot be part of a real datagram. */
static void test_dec_defrag_too_large(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    uint8_t data[64] = {0};

    /* IPv4 fragment offset 65512 (8189 * 8), 32 bytes: ends at 65544 */
    frag4(&b, data, 65512, 32, false, 9, 0);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    assert_true(tp_has_event(&t.p, DEC_EV_IPV4_FRAG_PKT_TOO_LARGE));
    assert_true(t.p.flags & PKT_F_FRAGMENT);
    assert_int_equal(dec_get_stats(ctx)->frag_dropped, 1);

    /* IPv6 fragment offset 65528, 16 bytes: ends at 65544 */
    frag6(&b, data, 65528, 16, false, 9, false);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 2);
    assert_true(tp_has_event(&t.p, DEC_EV_IPV6_FRAG_PKT_TOO_LARGE));
    assert_int_equal(dec_get_stats(ctx)->frag_dropped, 2);

    /* Within the limit: IPv6 payload may reach 65535 (offset 65520 + 8 + more to come). */
    frag6(&b, data, 65520, 8, true, 10, false);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 3);
    assert_int_equal(t.p.n_events, 0);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/*
 * Regression ("ping of death"): an IPv4 datagram's 65535-byte limit includes its header
 * (RFC 791). A last fragment at offset 65512 with 16 bytes makes 20 + 65528 = 65548 bytes
 * and must raise decoder.ipv4.frag_pkt_too_large.
 */
static void test_dec_defrag_ipv4_ping_of_death(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    uint8_t data[16] = {0};
    frag4(&b, data, 65512, 16, false, 11, 0);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    TC_CHECK("offset 65512 + 16", tp_has_event(&t.p, DEC_EV_IPV4_FRAG_PKT_TOO_LARGE));
    tp_packet_free(&t);
    dec_ctx_free(ctx);
    tc_done();
}

/* defrag_max_frags: a datagram may use that many fragments; one more drops it. */
static void test_dec_defrag_max_frags(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    cfg.defrag_max_frags = 4;
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    struct tpkt t = {0};

    /* 4 fragments: 32 + 32 + 32 + 12 bytes, completes */
    const struct step four[] = {{0, 32, true, 0, false, 0},
                                {32, 32, true, 0, false, 0},
                                {64, 32, true, 0, false, 0},
                                {96, 12, false, 0, true, 0}};
    for (size_t i = 0; i < MM_ARRAY_LEN(four); i++)
        send_step(ctx, &t, false, 20, &four[i], 1 + i);
    assert_true(t.p.flags & PKT_F_REASSEMBLED);
    assert_int_equal(t.p.n_events, 0);

    /* 5 fragments of 8 bytes with MF: the fifth is one too many */
    for (uint32_t i = 0; i < 5; i++) {
        const struct step s = {i * 8, 8, true, 0, false, 0};
        send_step(ctx, &t, false, 21, &s, 10 + i);
        if (i < 4)
            assert_int_equal(t.p.n_events, 0);
    }
    assert_true(tp_has_event(&t.p, DEC_EV_DEFRAG_MAX_FRAGS));
    assert_true(t.p.flags & PKT_F_FRAGMENT);
    assert_true(dec_get_stats(ctx)->frag_dropped >= 1);
    size_t used, limit;
    uint64_t hits;
    dec_defrag_mem(ctx, &used, &limit, &hits);
    assert_int_equal(used, 0); /* the datagram was dropped */
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* A memcap smaller than one tracker: every fragment is refused with an event, no crash, and
 * packets that are not fragments still decode. */
static void test_dec_defrag_memcap_tiny(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    cfg.defrag_memcap_bytes = 64;
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    struct tpkt t = {0};
    static struct pb b;
    const struct step steps[] = {A, B, C};
    for (size_t i = 0; i < 3; i++) {
        send_step(ctx, &t, false, 30, &steps[i], 1 + i);
        assert_true(tp_has_event(&t.p, DEC_EV_DEFRAG_MEMCAP));
        assert_false(t.p.flags & PKT_F_REASSEMBLED);
    }
    size_t used, limit;
    uint64_t hits;
    dec_defrag_mem(ctx, &used, &limit, &hits);
    assert_true(used <= limit);
    assert_int_equal(limit, 64);
    assert_true(hits >= 3);
    assert_int_equal(dec_get_stats(ctx)->events[DEC_EV_DEFRAG_MEMCAP], 3);

    pb_eth_udp4(&b, SRC, DST, 1, 2, 10);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 9);
    assert_true(t.p.flags & PKT_F_L4);
    assert_int_equal(t.p.n_events, 0);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* A memcap for a few trackers: many incomplete datagrams push the oldest out; memory stays
 * under the cap and a new datagram still reassembles. */
static void test_dec_defrag_memcap_eviction(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    cfg.defrag_memcap_bytes = 4096;
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    struct tpkt t = {0};
    const struct step a = A;
    size_t used, limit;
    uint64_t hits;
    for (uint16_t id = 100; id < 400; id++) {
        send_step(ctx, &t, false, id, &a, id);
        dec_defrag_mem(ctx, &used, &limit, &hits);
        assert_true(used <= limit);
    }
    assert_true(hits > 0);
    assert_true(dec_get_stats(ctx)->frag_dropped > 0);

    const struct step steps[] = {A, B, C_DONE};
    for (size_t i = 0; i < 3; i++) {
        send_step(ctx, &t, false, 1000, &steps[i], 500 + i);
        dec_defrag_mem(ctx, &used, &limit, &hits);
        assert_true(used <= limit);
    }
    assert_true(t.p.flags & PKT_F_REASSEMBLED);
    assert_int_equal(memcmp(t.p.l4, dgram4, DGRAM_LEN), 0);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* defrag_max_trackers: a new datagram beyond the limit pushes out the oldest one. */
static void test_dec_defrag_max_trackers(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    cfg.defrag_max_trackers = 2;
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    struct tpkt t = {0};
    const struct step a = A, b = B, c = C;
    send_step(ctx, &t, false, 1, &a, 1); /* datagram 1 */
    send_step(ctx, &t, false, 2, &a, 2); /* datagram 2 */
    send_step(ctx, &t, false, 3, &a, 3); /* datagram 3: datagram 1 is dropped */
    assert_int_equal(dec_get_stats(ctx)->frag_dropped, 1);
    send_step(ctx, &t, false, 1, &b, 4);
    send_step(ctx, &t, false, 1, &c, 5);
    assert_false(t.p.flags & PKT_F_REASSEMBLED); /* its first fragment is gone */
    send_step(ctx, &t, false, 3, &b, 6);
    send_step(ctx, &t, false, 3, &c, 7);
    assert_true(t.p.flags & PKT_F_REASSEMBLED);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* Same id and addresses on different VLANs are different datagrams. */
static void test_dec_defrag_vlan_separates(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    frag4(&b, dgram4, 0, 40, true, 5, 10);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    frag4(&b, dgram4 + 40, 40, 40, true, 5, 20);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 2);
    frag4(&b, dgram4 + 80, 80, 28, false, 5, 20);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 3);
    assert_false(t.p.flags & PKT_F_REASSEMBLED);
    frag4(&b, dgram4 + 40, 40, 40, true, 5, 10);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 4);
    frag4(&b, dgram4 + 80, 80, 28, false, 5, 10);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 5);
    assert_true(t.p.flags & PKT_F_REASSEMBLED);
    assert_int_equal(t.p.vlan[0], 10);
    assert_int_equal(t.p.sport, 5000);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* IPv6: a hop-by-hop header before the fragment header (unfragmentable part) is fine, and a
 * non-last fragment whose length is not a multiple of 8 is invalid. */
static void test_dec_defrag_ipv6_headers_and_length(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};

    frag6(&b, dgram6, 0, 56, true, 0x1000, true);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    assert_int_equal(t.p.n_events, 0);
    frag6(&b, dgram6 + 56, 56, 52, false, 0x1000, true);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 2);
    assert_true(t.p.flags & PKT_F_REASSEMBLED);
    assert_int_equal(t.p.proto, 17);
    assert_int_equal(t.p.dport, 6000);
    assert_false(t.p.flags & PKT_F_L4_CSUM_BAD);
    assert_int_equal(t.p.n_events, 0);

    /* 44 bytes with M set */
    frag6(&b, dgram6, 0, 44, true, 0x2000, false);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 3);
    assert_true(tp_has_event(&t.p, DEC_EV_IPV6_FRAG_INVALID_LENGTH));
    assert_true(t.p.flags & PKT_F_INVALID);
    assert_false(t.p.flags & PKT_F_L4);

    /* the same length is fine for a last fragment */
    frag6(&b, dgram6 + 64, 64, 44, false, 0x3000, false);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 4);
    assert_int_equal(t.p.n_events, 0);
    assert_true(t.p.flags & PKT_F_FRAGMENT);

    assert_int_equal(dec_get_stats(ctx)->ipv6_frag, 4);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* Regression (review): two offset-0 IPv6 fragments with different next headers. First seen
 * wins for the bytes, so it must win for the protocol too; otherwise the first fragment's UDP
 * header would be decoded as TCP (an evasion). */
static void test_dec_defrag_ipv6_first_proto_wins(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};

    frag6(&b, dgram6, 0, 56, true, 0x4000, false); /* next header UDP */
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    assert_int_equal(t.p.n_events, 0);

    /* the same offset again, next header TCP, other bytes */
    static const uint8_t junk[56] = {0x13, 0x88, 0x00, 0x50};
    pb_init(&b);
    pb_bytes(&b, junk, sizeof junk);
    pb_ipv6_frag(&b, PB_TCP, 0, true, 0x4000);
    pb_ipv6(&b, "2001:db8::1", "2001:db8::2", 44);
    pb_eth(&b, PB_ETH_IPV6);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 2);
    assert_true(tp_has_event(&t.p, DEC_EV_IPV6_FRAG_OVERLAP));

    frag6(&b, dgram6 + 56, 56, 52, false, 0x4000, false);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 3);
    assert_true(t.p.flags & PKT_F_REASSEMBLED);
    assert_int_equal(t.p.proto, 17);
    assert_int_equal(t.p.dport, 6000);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* A fragmented ICMP echo reassembles into an echo with its identifier. */
static void test_dec_defrag_icmp_echo(void **state)
{
    (void)state;
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    static struct pb b;
    struct tpkt t = {0};
    /* ICMP echo request id 0x0bad seq 1 with 1472 bytes of data: 1480 bytes of IP payload */
    pb_init(&b);
    pb_pattern(&b, 1472, 0);
    pb_icmp4(&b, 8, 0, 0x0bad0001);
    static uint8_t icmp[1480];
    memcpy(icmp, pb_data(&b), sizeof icmp);
    struct pb_ip4 o1 = {.id = 0x77, .frag = 0x2000};
    struct pb_ip4 o2 = {.id = 0x77, .frag = 1000 / 8};
    pb_init(&b);
    pb_bytes(&b, icmp, 1000);
    pb_ipv4_ex(&b, SRC, DST, PB_ICMP, &o1);
    pb_eth(&b, PB_ETH_IPV4);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 1);
    assert_false(t.p.flags & PKT_F_L4);
    pb_init(&b);
    pb_bytes(&b, icmp + 1000, 480);
    pb_ipv4_ex(&b, SRC, DST, PB_ICMP, &o2);
    pb_eth(&b, PB_ETH_IPV4);
    tp_decode(ctx, &t, L_ETH, pb_data(&b), pb_len(&b), 0, 2);
    assert_true(t.p.flags & PKT_F_REASSEMBLED);
    assert_true(t.p.flags & PKT_F_L4);
    assert_false(t.p.flags & PKT_F_L4_CSUM_BAD);
    assert_int_equal(t.p.icmp_type, 8);
    assert_int_equal(t.p.icmp_id, 0x0bad);
    assert_int_equal(t.p.l4_len, 1480);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

/* Many trackers left open at shutdown are freed by dec_ctx_free (ASan's leak check). */
static void test_dec_defrag_free_with_pending(void **state)
{
    (void)state;
    make_dgrams();
    struct dec_config cfg;
    dec_config_defaults(&cfg);
    dec_ctx_t *ctx = dec_ctx_new(&cfg);
    struct tpkt t = {0};
    const struct step a = A, b = B;
    for (uint16_t id = 1; id <= 500; id++) {
        send_step(ctx, &t, false, id, &a, id);
        send_step(ctx, &t, false, id, &b, id);
        send_step(ctx, &t, true, id, &a, id);
    }
    size_t used, limit;
    uint64_t hits;
    dec_defrag_mem(ctx, &used, &limit, &hits);
    assert_true(used > 0);
    assert_int_equal(hits, 0);
    tp_packet_free(&t);
    dec_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_defrag_table),
        cmocka_unit_test(test_dec_defrag_timeout),
        cmocka_unit_test(test_dec_defrag_too_large),
        cmocka_unit_test(test_dec_defrag_ipv4_ping_of_death),
        cmocka_unit_test(test_dec_defrag_max_frags),
        cmocka_unit_test(test_dec_defrag_memcap_tiny),
        cmocka_unit_test(test_dec_defrag_memcap_eviction),
        cmocka_unit_test(test_dec_defrag_max_trackers),
        cmocka_unit_test(test_dec_defrag_vlan_separates),
        cmocka_unit_test(test_dec_defrag_ipv6_headers_and_length),
        cmocka_unit_test(test_dec_defrag_icmp_echo),
        cmocka_unit_test(test_dec_defrag_ipv6_first_proto_wins),
        cmocka_unit_test(test_dec_defrag_free_with_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
