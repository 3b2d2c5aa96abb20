/*
 * TCP stream reassembly (src/stream/stream.c): a table of segment scripts, each with the
 * text the consumer must see per direction and the counters it must bump; every order of
 * five segments; the memcap refusing at every charge of a scripted session; and random
 * 100 KB streams cut into shuffled, duplicated and overlapping segments.
 *
 * Delivered text is written as the DATA bytes, "[gap N]" for a STREAM_GAP, "[end]" for
 * STREAM_END and "{free}" where the test called stream_flow_free, so a row shows whether a
 * direction ended by itself or only when the flow was freed.
 */
#include "stream/stream.h"

#include "core/mem.h"
#include "core/mm.h"
#include "decode/decode.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---------- the consumer: records text and checks invariants ---------- */

struct sink {
    char text[2][4096];
    size_t n[2];
    int ends[2];
    bool bad;              /* an invariant broke: empty DATA, event after END, ... */
    const uint8_t *ref[2]; /* when set: the original stream, DATA must match at offset */
    size_t ref_len[2];
    uint64_t off[2]; /* DATA + GAP bytes seen */
    uint64_t data_bytes, gap_bytes, gaps;
};

static void put(struct sink *s, int dir, const char *p, size_t n)
{
    size_t room = sizeof s->text[dir] - 1 - s->n[dir];
    n = MM_MIN(n, room);
    memcpy(s->text[dir] + s->n[dir], p, n);
    s->n[dir] += n;
    s->text[dir][s->n[dir]] = '\0';
}

static void on_deliver(void *user, int dir, enum stream_event ev, const uint8_t *data, uint32_t len)
{
    struct sink *s = user;
    if (dir != 0 && dir != 1) {
        s->bad = true;
        return;
    }
    if (s->ends[dir])
        s->bad = true; /* nothing after END */
    char tmp[32];
    switch (ev) {
    case STREAM_DATA:
        if (len == 0 || !data)
            s->bad = true;
        if (s->ref[dir] &&
            (s->off[dir] + len > s->ref_len[dir] || memcmp(s->ref[dir] + s->off[dir], data, len)))
            s->bad = true;
        put(s, dir, (const char *)data, len);
        s->off[dir] += len;
        s->data_bytes += len;
        break;
    case STREAM_GAP:
        if (len == 0 || data)
            s->bad = true;
        snprintf(tmp, sizeof tmp, "[gap %u]", len);
        put(s, dir, tmp, strlen(tmp));
        s->off[dir] += len;
        s->gap_bytes += len;
        s->gaps++;
        break;
    case STREAM_END:
        if (len || data)
            s->bad = true;
        put(s, dir, "[end]", 5);
        s->ends[dir]++;
        break;
    default: s->bad = true;
    }
}

/* ---------- table ---------- */

enum { F_SYN = TCP_SYN, F_FIN = TCP_FIN, F_RST = TCP_RST, F_ACK = TCP_ACK };

struct seg {
    int dir;
    int32_t off; /* seq = isn + off */
    uint8_t flags;
    const char *data; /* NULL ends the script */
};

struct row {
    const char *name;
    uint32_t isn;
    uint32_t depth, maxq; /* 0: defaults (depth 0 = default too; use UINT32_MAX for none) */
    size_t memcap;        /* 0: default */
    struct seg segs[10];
    const char *want0, *want1;
    unsigned elimit; /* stream_segment calls expected to return MM_ELIMIT */
    uint64_t retrans, overlaps, conflicts, ooo, gaps, depth_reached, memcap_drops;
};

static const struct row rows[] = {
    {.name = "in order",
     .segs = {{0, 0, F_SYN, ""}, {0, 1, F_ACK, "abc"}, {0, 4, F_ACK, "def"}, {0, 7, F_FIN, ""}},
     .want0 = "abcdef[end]{free}",
     .want1 = "{free}[end]"},
    {.name = "reversed",
     .segs = {{0, 0, F_SYN, ""}, {0, 7, 0, "ghi"}, {0, 4, 0, "def"}, {0, 1, 0, "abc"}},
     .want0 = "abcdefghi{free}[end]",
     .want1 = "{free}[end]",
     .ooo = 2},
    {.name = "retransmission",
     .segs = {{0, 0, F_SYN, ""}, {0, 1, 0, "abc"}, {0, 1, 0, "abc"}, {0, 2, 0, "b"}},
     .want0 = "abc{free}[end]",
     .want1 = "{free}[end]",
     .retrans = 2},
    {.name = "retransmission of queued data",
     .segs = {{0, 0, F_SYN, ""}, {0, 4, 0, "def"}, {0, 4, 0, "def"}, {0, 1, 0, "abc"}},
     .want0 = "abcdef{free}[end]",
     .want1 = "{free}[end]",
     .retrans = 1,
     .ooo = 1},
    {.name = "partial overlap, same bytes",
     .segs = {{0, 0, F_SYN, ""}, {0, 1, 0, "abcd"}, {0, 3, 0, "cdef"}},
     .want0 = "abcdef{free}[end]",
     .want1 = "{free}[end]",
     .overlaps = 1},
    {.name = "overlap with queued, different bytes: first wins",
     .segs = {{0, 0, F_SYN, ""}, {0, 7, 0, "ghi"}, {0, 1, 0, "abcdefXY"}},
     .want0 = "abcdefghi{free}[end]",
     .want1 = "{free}[end]",
     .ooo = 1,
     .overlaps = 1,
     .conflicts = 1},
    {.name = "conflict while queueing",
     .segs = {{0, 0, F_SYN, ""}, {0, 7, 0, "ghi"}, {0, 6, 0, "fXh"}, {0, 1, 0, "abcde"}},
     .want0 = "abcdefghi{free}[end]",
     .want1 = "{free}[end]",
     .ooo = 2,
     .overlaps = 1,
     .conflicts = 1},
    {.name = "conflict with delivered data is not seen",
     .segs = {{0, 0, F_SYN, ""}, {0, 1, 0, "abc"}, {0, 1, 0, "XYZ"}},
     .want0 = "abc{free}[end]",
     .want1 = "{free}[end]",
     .retrans = 1},
    {.name = "hole then FIN: gap when freed",
     .segs = {{0, 0, F_SYN, ""}, {0, 1, 0, "abc"}, {0, 7, F_FIN, "ghi"}},
     .want0 = "abc{free}[gap 3]ghi[end]",
     .want1 = "{free}[end]",
     .ooo = 1,
     .gaps = 1},
    {.name = "FIN beyond lost data: gap up to the FIN",
     .segs = {{0, 0, F_SYN, ""}, {0, 1, 0, "abc"}, {0, 9, F_FIN, ""}},
     .want0 = "abc{free}[gap 5][end]",
     .want1 = "{free}[end]",
     .gaps = 1},
    {.name = "hole filled later",
     .segs = {{0, 0, F_SYN, ""}, {0, 1, 0, "abc"}, {0, 7, F_FIN, "ghi"}, {0, 4, 0, "def"}},
     .want0 = "abcdefghi[end]{free}",
     .want1 = "{free}[end]",
     .ooo = 1},
    {.name = "data past the FIN is ignored",
     .segs = {{0, 0, F_SYN, ""}, {0, 4, 0, "defXX"}, {0, 1, F_FIN, "abc"}},
     .want0 = "abc[end]{free}",
     .want1 = "{free}[end]",
     .ooo = 1},
    {.name = "sequence wrap",
     .isn = 0xfffffffau,
     .segs = {{0, 0, F_SYN, ""}, {0, 7, 0, "ghij"}, {0, 1, 0, "abcdef"}, {0, 11, F_FIN, ""}},
     .want0 = "abcdefghij[end]{free}",
     .want1 = "{free}[end]",
     .ooo = 1},
    {.name = "mid-stream pick-up",
     .isn = 1000,
     .segs = {{0, 0, F_ACK, ""}, {0, 10, 0, "abc"}, {0, 13, 0, "def"}, {0, 8, 0, "xyab"}},
     .want0 = "abcdef{free}[end]",
     .want1 = "{free}[end]",
     .retrans = 1},
    {.name = "SYN with data",
     .segs = {{0, 0, F_SYN, "abc"}, {0, 4, 0, "def"}},
     .want0 = "abcdef{free}[end]",
     .want1 = "{free}[end]"},
    {.name = "depth cuts a segment",
     .depth = 5,
     .segs = {{0, 0, F_SYN, ""}, {0, 1, 0, "abc"}, {0, 4, 0, "defgh"}, {0, 9, 0, "ijk"}},
     .want0 = "abcde[end]{free}",
     .want1 = "{free}[end]",
     .depth_reached = 1},
    {.name = "depth inside queued data",
     .depth = 5,
     .segs = {{0, 0, F_SYN, ""}, {0, 4, 0, "defgh"}, {0, 1, 0, "abc"}},
     .want0 = "abcde[end]{free}",
     .want1 = "{free}[end]",
     .ooo = 1,
     .depth_reached = 1},
    {.name = "max_queued_bytes forces a gap",
     .maxq = 4,
     .segs = {{0, 0, F_SYN, ""},
              {0, 1, 0, "abc"},
              {0, 7, 0, "ghi"},
              {0, 10, 0, "jk"},
              {0, 4, 0, "def"}},
     .want0 = "abc[gap 3]ghijk{free}[end]",
     .want1 = "{free}[end]",
     .ooo = 2,
     .gaps = 1,
     .retrans = 1},
    {.name = "RST ends both directions",
     .segs = {{0, 0, F_SYN, ""},
              {1, 100, F_SYN, ""},
              {0, 1, 0, "abc"},
              {0, 7, 0, "ghi"},
              {1, 101, 0, "xyz"},
              {1, 104, F_RST, ""},
              {0, 4, 0, "def"}},
     .want0 = "abc[gap 3]ghi[end]{free}",
     .want1 = "xyz[end]{free}",
     .ooo = 1,
     .gaps = 1},
    {.name = "two directions interleaved",
     .segs = {{0, 0, F_SYN, ""},
              {1, 50, F_SYN, ""},
              {1, 51, 0, "OK"},
              {0, 4, 0, "def"},
              {0, 1, 0, "abc"},
              {1, 53, F_FIN, "!"},
              {0, 7, F_FIN, ""}},
     .want0 = "abcdef[end]{free}",
     .want1 = "OK![end]{free}",
     .ooo = 1},
    {.name = "tiny memcap drops out-of-order data",
     .memcap = 1500,
     .segs = {{0, 0, F_SYN, ""}, {0, 1, 0, "abc"}, {0, 7, F_FIN, "ghi"}, {0, 4, 0, "def"}},
     .want0 = "abcdef{free}[gap 3][end]",
     .want1 = "{free}[end]",
     .elimit = 1,
     .ooo = 1,
     .gaps = 1,
     .memcap_drops = 1},
};

static void run_row(const struct row *r, unsigned *fails)
{
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    if (r->depth)
        cfg.depth_bytes = r->depth == UINT32_MAX ? 0 : r->depth;
    if (r->maxq)
        cfg.max_queued_bytes = r->maxq;
    if (r->memcap)
        cfg.memcap_bytes = r->memcap;
    stream_ctx_t *ctx = stream_ctx_new(&cfg);
    assert_non_null(ctx);
    struct sink s;
    memset(&s, 0, sizeof s);
    struct stream_flow *sf = stream_flow_new(ctx, on_deliver, &s);
    assert_non_null(sf);
    unsigned elimit = 0;
    for (const struct seg *g = r->segs; g->data; g++) {
        size_t n = strlen(g->data);
        uint8_t *buf = malloc(n ? n : 1); /* exact size: ASan sees an over-read */
        assert_non_null(buf);
        memcpy(buf, g->data, n);
        int rc =
            stream_segment(ctx, sf, g->dir, r->isn + (uint32_t)g->off, g->flags, buf, (uint32_t)n);
        if (rc == MM_ELIMIT)
            elimit++;
        else if (rc != 0)
            elimit += 1000;
        free(buf);
    }
    put(&s, 0, "{free}", 6);
    put(&s, 1, "{free}", 6);
    stream_flow_free(ctx, sf);
    struct stream_stats st;
    stream_get_stats(ctx, &st);
    unsigned before = *fails;
#define ROW_EQ(got, want)                                                                          \
    do {                                                                                           \
        if ((uint64_t)(got) != (uint64_t)(want)) {                                                 \
            print_error("row '%s': %s = %llu, want %llu\n", r->name, #got,                         \
                        (unsigned long long)(got), (unsigned long long)(want));                    \
            (*fails)++;                                                                            \
        }                                                                                          \
    } while (0)
    if (strcmp(s.text[0], r->want0) != 0 || strcmp(s.text[1], r->want1) != 0) {
        print_error("row '%s': got \"%s\" / \"%s\", want \"%s\" / \"%s\"\n", r->name, s.text[0],
                    s.text[1], r->want0, r->want1);
        (*fails)++;
    }
    ROW_EQ(s.bad, 0);
    ROW_EQ(s.ends[0], 1);
    ROW_EQ(s.ends[1], 1);
    ROW_EQ(elimit, r->elimit);
    ROW_EQ(st.retransmissions, r->retrans);
    ROW_EQ(st.overlaps, r->overlaps);
    ROW_EQ(st.overlap_conflicts, r->conflicts);
    ROW_EQ(st.out_of_order, r->ooo);
    ROW_EQ(st.gaps, r->gaps);
    ROW_EQ(st.depth_reached, r->depth_reached);
    ROW_EQ(st.memcap_drops, r->memcap_drops);
    ROW_EQ(st.bytes_delivered, s.data_bytes);
    ROW_EQ(st.gap_bytes, s.gap_bytes);
    ROW_EQ(st.gaps, s.gaps);
    (void)before;
    stream_ctx_free(ctx);
}

static void test_stream_segment_table(void **state)
{
    (void)state;
    unsigned fails = 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++)
        run_row(&rows[i], &fails);
    assert_int_equal(fails, 0);
}

/* ---------- every order of five segments ---------- */

static void test_stream_segment_permutations(void **state)
{
    (void)state;
    static const char *const parts[5] = {"abcd", "efgh", "ijkl", "mnop", "qrst"};
    int perm[5] = {0, 1, 2, 3, 4};
    unsigned count = 0, fails = 0;
    /* Heap's algorithm, iterative. */
    int c[5] = {0};
    int i = 0;
    for (;;) {
        struct stream_config cfg;
        stream_config_defaults(&cfg);
        stream_ctx_t *ctx = stream_ctx_new(&cfg);
        assert_non_null(ctx);
        struct sink s;
        memset(&s, 0, sizeof s);
        struct stream_flow *sf = stream_flow_new(ctx, on_deliver, &s);
        assert_non_null(sf);
        stream_segment(ctx, sf, 0, 41, TCP_SYN, NULL, 0);
        for (int k = 0; k < 5; k++) {
            int p = perm[k];
            uint8_t *buf = malloc(4);
            assert_non_null(buf);
            memcpy(buf, parts[p], 4);
            stream_segment(ctx, sf, 0, 42u + 4u * (uint32_t)p, p == 4 ? TCP_FIN : 0, buf, 4);
            free(buf);
        }
        if (strcmp(s.text[0], "abcdefghijklmnopqrst[end]") != 0 || s.bad) {
            print_error("order %d%d%d%d%d: got \"%s\"\n", perm[0], perm[1], perm[2], perm[3],
                        perm[4], s.text[0]);
            fails++;
        }
        stream_flow_free(ctx, sf);
        stream_ctx_free(ctx);
        count++;
        /* next permutation */
        while (i < 5 && c[i] >= i) {
            c[i] = 0;
            i++;
        }
        if (i >= 5)
            break;
        int j = (i % 2) ? c[i] : 0;
        int t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
        c[i]++;
        i = 0;
    }
    assert_int_equal(count, 120);
    assert_int_equal(fails, 0);
}

/* ---------- random streams ---------- */

static uint64_t g_rng;
static uint32_t rnd(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

struct rseg {
    uint32_t off, len;
};

/*
 * Feed the stream `ref` (n bytes, ISN isn) cut into random segments, shuffled, with
 * duplicates and overlapping copies of the same bytes; the FIN rides on the last segment.
 * Returns the number of stream_segment calls that returned MM_ELIMIT.
 */
static unsigned feed_random(stream_ctx_t *ctx, struct stream_flow *sf, const uint8_t *ref,
                            uint32_t n, uint32_t isn)
{
    size_t cap = 4096, cnt = 0;
    struct rseg *v = malloc(cap * sizeof *v);
    assert_non_null(v);
    for (uint32_t off = 0; off < n;) {
        uint32_t len = 1 + rnd() % 3000;
        len = MM_MIN(len, n - off);
        v[cnt++] = (struct rseg){off, len};
        off += len;
        if (cnt + 2 >= cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
    }
    size_t base = cnt;
    for (size_t k = 0; k < base / 4; k++) { /* duplicates and overlapping copies */
        uint32_t off = rnd() % n;
        uint32_t len = 1 + rnd() % 4000; /* MM_MIN evaluates twice: no rnd() inside */
        len = MM_MIN(len, n - off);
        v[cnt++] = (struct rseg){off, len};
        if (cnt + 2 >= cap) {
            cap *= 2;
            v = realloc(v, cap * sizeof *v);
            assert_non_null(v);
        }
    }
    for (size_t k = cnt - 1; k > 0; k--) {
        size_t j = rnd() % (k + 1);
        struct rseg t = v[k];
        v[k] = v[j];
        v[j] = t;
    }
    unsigned elimit = 0;
    stream_segment(ctx, sf, 0, isn - 1, TCP_SYN, NULL, 0);
    for (size_t k = 0; k < cnt; k++) {
        uint8_t *buf = malloc(v[k].len);
        assert_non_null(buf);
        memcpy(buf, ref + v[k].off, v[k].len);
        uint8_t fl = v[k].off + v[k].len == n ? TCP_FIN | TCP_ACK : TCP_ACK;
        if (stream_segment(ctx, sf, 0, isn + v[k].off, fl, buf, v[k].len) == MM_ELIMIT)
            elimit++;
        free(buf);
    }
    free(v);
    return elimit;
}

static void test_stream_segment_random(void **state)
{
    (void)state;
    const uint32_t n = 100 * 1000;
    uint8_t *ref = malloc(n);
    assert_non_null(ref);
    for (uint64_t seed = 1; seed <= 8; seed++) {
        g_rng = seed * 0x9e3779b97f4a7c15ull;
        for (uint32_t k = 0; k < n; k++)
            ref[k] = (uint8_t)rnd();
        uint32_t isn = seed % 2 ? rnd() : 0xffffffffu - (rnd() % 50000); /* half wrap */
        struct stream_config cfg;
        stream_config_defaults(&cfg);
        stream_ctx_t *ctx = stream_ctx_new(&cfg);
        assert_non_null(ctx);
        struct sink s;
        memset(&s, 0, sizeof s);
        s.ref[0] = ref;
        s.ref_len[0] = n;
        struct stream_flow *sf = stream_flow_new(ctx, on_deliver, &s);
        assert_non_null(sf);
        unsigned el = feed_random(ctx, sf, ref, n, isn);
        assert_int_equal(el, 0);
        /* the FIN'd stream ended by itself, complete and exact */
        assert_int_equal(s.ends[0], 1);
        assert_int_equal(s.off[0], n);
        assert_int_equal(s.gaps, 0);
        assert_false(s.bad);
        stream_flow_free(ctx, sf);
        struct stream_stats st;
        stream_get_stats(ctx, &st);
        assert_int_equal(st.bytes_delivered, n);
        assert_int_equal(st.overlap_conflicts, 0);
        stream_ctx_free(ctx);
    }
    free(ref);
}

/* Same under pressure: small max_queued_bytes and memcap: gaps and drops, but every byte
 * delivered is at its place and the stream adds up to its full length. */
static void test_stream_segment_random_pressure(void **state)
{
    (void)state;
    const uint32_t n = 100 * 1000;
    uint8_t *ref = malloc(n);
    assert_non_null(ref);
    for (uint64_t seed = 11; seed <= 16; seed++) {
        g_rng = seed * 0x9e3779b97f4a7c15ull;
        for (uint32_t k = 0; k < n; k++)
            ref[k] = (uint8_t)rnd();
        struct stream_config cfg;
        stream_config_defaults(&cfg);
        cfg.max_queued_bytes = 8192;
        cfg.memcap_bytes = seed % 2 ? 40000 : 6000;
        cfg.depth_bytes = seed == 12 ? 50000 : 0;
        stream_ctx_t *ctx = stream_ctx_new(&cfg);
        assert_non_null(ctx);
        struct sink s;
        memset(&s, 0, sizeof s);
        s.ref[0] = ref;
        s.ref_len[0] = n;
        struct stream_flow *sf = stream_flow_new(ctx, on_deliver, &s);
        assert_non_null(sf);
        feed_random(ctx, sf, ref, n, rnd());
        stream_flow_free(ctx, sf);
        assert_int_equal(s.ends[0], 1);
        assert_int_equal(s.off[0], cfg.depth_bytes ? cfg.depth_bytes : n);
        assert_false(s.bad);
        struct stream_stats st;
        stream_get_stats(ctx, &st);
        assert_true(st.memuse_peak <= cfg.memcap_bytes);
        assert_int_equal(st.bytes_delivered + st.gap_bytes, s.off[0]);
        stream_ctx_free(ctx);
    }
    free(ref);
}

/* ---------- allocation failure at every charge ---------- */

/* Two flows, out-of-order data in both directions, a RST on one, FIN on the other. */
static void scripted_session(stream_ctx_t *ctx, struct sink *s)
{
    static const uint8_t ref[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    struct stream_flow *sf[2];
    for (int f = 0; f < 2; f++) {
        memset(&s[f], 0, sizeof s[f]);
        s[f].ref[0] = s[f].ref[1] = ref;
        s[f].ref_len[0] = s[f].ref_len[1] = 36;
        sf[f] = stream_flow_new(ctx, on_deliver, &s[f]);
    }
    static const struct {
        int f, dir;
        uint32_t off, len;
        uint8_t fl;
    } script[] = {
        {0, 0, 0, 0, TCP_SYN},  {0, 1, 0, 0, TCP_SYN}, {0, 0, 20, 6, 0},
        {0, 0, 10, 10, 0},      {1, 0, 0, 3, 0},       {1, 0, 12, 4, 0},
        {0, 1, 30, 6, 0},       {1, 1, 0, 10, 0},      {0, 0, 0, 10, 0},
        {1, 0, 20, 8, TCP_FIN}, {0, 1, 2, 8, 0},       {0, 0, 26, 10, TCP_FIN},
        {1, 0, 8, 4, 0},        {0, 1, 0, 2, 0},       {0, 1, 10, 5, TCP_RST},
        {1, 1, 14, 3, 0},
    };
    for (size_t k = 0; k < MM_ARRAY_LEN(script); k++) {
        uint8_t *buf = malloc(script[k].len ? script[k].len : 1);
        assert_non_null(buf);
        memcpy(buf, ref + script[k].off, script[k].len);
        /* ISN 999 so data offset k is seq 1000 + k; flow 1 has no SYN (mid-stream at 0) */
        stream_segment(ctx, sf[script[k].f], script[k].dir,
                       script[k].fl & TCP_SYN ? 999u : 1000u + script[k].off, script[k].fl, buf,
                       script[k].len);
        free(buf);
    }
    stream_flow_free(ctx, sf[0]);
    stream_flow_free(ctx, sf[1]);
}

static void test_stream_memcap_fault_every_charge(void **state)
{
    (void)state;
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.memcap_bytes = 8 * 4096; /* one-block slabs: more charges */
    struct sink s[2];

    mem_fault_at(0);
    stream_ctx_t *ctx = stream_ctx_new(&cfg);
    assert_non_null(ctx);
    mem_fault_at(UINT64_MAX); /* counts charges, never refuses */
    scripted_session(ctx, s);
    uint64_t charges = mem_fault_charges();
    stream_ctx_free(ctx);
    assert_true(charges >= 3);
    assert_string_equal(s[0].text[0], "0123456789abcdefghijklmnopqrstuvwxyz[end]");

    for (uint64_t k = 1; k <= charges + 1; k++) {
        ctx = stream_ctx_new(&cfg);
        assert_non_null(ctx);
        mem_fault_at(k);
        scripted_session(ctx, s);
        mem_fault_at(0);
        struct stream_stats st;
        stream_get_stats(ctx, &st);
        uint64_t data = 0, gaps = 0;
        for (int f = 0; f < 2; f++) {
            if (s[f].bad)
                fail_msg("fault at charge %llu: flow %d broke an invariant", (unsigned long long)k,
                         f);
            data += s[f].data_bytes;
            gaps += s[f].gap_bytes;
        }
        assert_int_equal(st.bytes_delivered, data);
        assert_int_equal(st.gap_bytes, gaps);
        /* a flow that got state ends both directions exactly once */
        for (int f = 0; f < 2; f++)
            assert_true(s[f].ends[0] + s[f].ends[1] == 0 ||
                        (s[f].ends[0] == 1 && s[f].ends[1] == 1));
        stream_ctx_free(ctx);
    }
}

static void test_stream_flow_new_null_safe(void **state)
{
    (void)state;
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.memcap_bytes = 8; /* not even the flow state fits */
    stream_ctx_t *ctx = stream_ctx_new(&cfg);
    assert_non_null(ctx);
    struct sink s;
    memset(&s, 0, sizeof s);
    struct stream_flow *sf = stream_flow_new(ctx, on_deliver, &s);
    assert_null(sf);
    assert_int_equal(stream_segment(ctx, sf, 0, 1, 0, (const uint8_t *)"x", 1), 0);
    stream_flow_free(ctx, NULL);
    struct stream_stats st;
    stream_get_stats(ctx, &st);
    assert_int_equal(st.flows_refused, 1);
    assert_int_equal(st.memuse, 0);
    stream_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_segment_table),
        cmocka_unit_test(test_stream_segment_permutations),
        cmocka_unit_test(test_stream_segment_random),
        cmocka_unit_test(test_stream_segment_random_pressure),
        cmocka_unit_test(test_stream_memcap_fault_every_charge),
        cmocka_unit_test(test_stream_flow_new_null_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
