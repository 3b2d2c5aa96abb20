/*
 * Helpers for table-driven decoder and flow tests.
 *
 * TC_* checks do not stop at the first mismatch: each prints "row '<name>': ..." and counts
 * the failure, so one run lists every failing row. tc_done() then fails the cmocka test if
 * anything was counted.
 *
 * tp_decode() runs bytes through dec_packet() from an exact-size heap copy, so ASan reports a
 * decoder reading even one byte past the captured data.
 */
#ifndef MM_TESTS_TCHECK_H
#define MM_TESTS_TCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

void tc_failf(const char *row, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Fail the running cmocka test when any TC_ check failed since the last tc_done(). */
void tc_done(void);
/* Failures counted so far (since the last tc_done()). */
unsigned tc_failures(void);

#define TC_CHECK(row, cond)                                                                        \
    do {                                                                                           \
        if (!(cond))                                                                               \
            tc_failf((row), __FILE__, __LINE__, "%s", #cond);                                      \
    } while (0)

#define TC_EQ(row, got, want)                                                                      \
    do {                                                                                           \
        unsigned long long tc_g_ = (unsigned long long)(got);                                      \
        unsigned long long tc_w_ = (unsigned long long)(want);                                     \
        if (tc_g_ != tc_w_)                                                                        \
            tc_failf((row), __FILE__, __LINE__, "%s = %llu (0x%llx), want %llu (0x%llx)", #got,    \
                     tc_g_, tc_g_, tc_w_, tc_w_);                                                  \
    } while (0)

/* A decoded packet together with the heap copy its pointers refer to. */
struct tpkt {
    struct packet p;
    uint8_t *copy;
};

/*
 * Decode (d, len) as captured with link type `linktype`. wirelen 0 means len (nothing cut).
 * Frees the previous copy held by t. Call tp_packet_free() when done.
 */
void tp_decode(dec_ctx_t *ctx, struct tpkt *t, int linktype, const uint8_t *d, size_t len,
               size_t wirelen, uint64_t ts_ns);
void tp_packet_free(struct tpkt *t);

bool tp_has_event(const struct packet *p, enum dec_event ev);
/* Event names of p, comma separated ("" when none). */
const char *tp_events_str(const struct packet *p, char *buf, size_t n);

/* Expected core fields of a decoded packet. Events are an exact set (order free). */
#define WANT_MAX_EV 4
struct want {
    uint8_t ip_ver, proto;
    uint16_t sport, dport;
    uint32_t flags_on;        /* PKT_F_* bits that must be set */
    uint32_t flags_off;       /* PKT_F_* bits that must be clear */
    uint16_t ev[WANT_MAX_EV]; /* enum dec_event, 0-terminated */
};
/* Check ip_ver, proto, ports, flags and the exact event set. Returns false on mismatch. */
bool tc_check_want(const char *row, const struct packet *p, const struct want *w);

/* Address helpers for comparisons. */
struct mm_addr tc_addr4(uint32_t host_order);
struct mm_addr tc_addr6(const char *text);
bool tc_addr_eq(const struct mm_addr *a, const struct mm_addr *b);

/* Deterministic PRNG (splitmix64). */
uint64_t tc_rand(uint64_t *state);

#endif
