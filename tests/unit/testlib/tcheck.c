/* Table-test helpers; see tcheck.h. */
#include "tcheck.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static unsigned n_failures;

void tc_failf(const char *row, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: row '%s': ", file, line, row);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    n_failures++;
}

unsigned tc_failures(void)
{
    return n_failures;
}

void tc_done(void)
{
    unsigned n = n_failures;
    n_failures = 0;
    if (n)
        fail_msg("%u check(s) failed, see the rows above", n);
}

void tp_decode(dec_ctx_t *ctx, struct tpkt *t, int linktype, const uint8_t *d, size_t len,
               size_t wirelen, uint64_t ts_ns)
{
    free(t->copy);
    /* Exact size so ASan flags a one-byte over-read; malloc(0) may return NULL, keep it. */
    t->copy = malloc(len ? len : 1);
    assert_non_null(t->copy);
    if (len)
        memcpy(t->copy, d, len);
    memset(&t->p, 0, sizeof t->p);
    t->p.data = len ? t->copy : NULL;
    t->p.caplen = (uint32_t)len;
    t->p.wirelen = (uint32_t)(wirelen ? wirelen : len);
    t->p.ts_ns = ts_ns;
    t->p.pkt_no = 1;
    t->p.linktype = linktype;
    dec_packet(ctx, &t->p);
}

void tp_packet_free(struct tpkt *t)
{
    free(t->copy);
    t->copy = NULL;
}

bool tp_has_event(const struct packet *p, enum dec_event ev)
{
    for (unsigned i = 0; i < p->n_events; i++)
        if (p->events[i] == ev)
            return true;
    return false;
}

const char *tp_events_str(const struct packet *p, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < p->n_events && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? "," : "",
                         dec_event_name((enum dec_event)p->events[i]));
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return buf;
}

static const char *want_events_str(const struct want *w, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < WANT_MAX_EV && w->ev[i] && used < n; i++) {
        int k = snprintf(buf + used, n - used, "%s%s", i ? "," : "",
                         dec_event_name((enum dec_event)w->ev[i]));
        if (k < 0)
            break;
        used += (size_t)k;
    }
    return buf;
}

bool tc_check_want(const char *row, const struct packet *p, const struct want *w)
{
    unsigned before = n_failures;
    TC_EQ(row, p->ip_ver, w->ip_ver);
    TC_EQ(row, p->proto, w->proto);
    TC_EQ(row, p->sport, w->sport);
    TC_EQ(row, p->dport, w->dport);
    if ((p->flags & w->flags_on) != w->flags_on)
        tc_failf(row, __FILE__, __LINE__, "flags 0x%x lack 0x%x", p->flags,
                 w->flags_on & ~p->flags);
    if (p->flags & w->flags_off)
        tc_failf(row, __FILE__, __LINE__, "flags 0x%x have unwanted 0x%x", p->flags,
                 p->flags & w->flags_off);
    unsigned nwant = 0;
    bool same = true;
    while (nwant < WANT_MAX_EV && w->ev[nwant]) {
        if (!tp_has_event(p, (enum dec_event)w->ev[nwant]))
            same = false;
        nwant++;
    }
    if (p->n_events != nwant)
        same = false;
    if (!same) {
        char got[256], want[256];
        tc_failf(row, __FILE__, __LINE__, "events [%s], want [%s]",
                 tp_events_str(p, got, sizeof got), want_events_str(w, want, sizeof want));
    }
    return n_failures == before;
}

struct mm_addr tc_addr4(uint32_t a)
{
    struct mm_addr r;
    memset(&r, 0, sizeof r);
    r.b[0] = (uint8_t)(a >> 24);
    r.b[1] = (uint8_t)(a >> 16);
    r.b[2] = (uint8_t)(a >> 8);
    r.b[3] = (uint8_t)a;
    return r;
}

struct mm_addr tc_addr6(const char *text)
{
    struct mm_addr r;
    memset(&r, 0, sizeof r);
    if (inet_pton(AF_INET6, text, r.b) != 1)
        fail_msg("bad IPv6 text in test: %s", text);
    return r;
}

bool tc_addr_eq(const struct mm_addr *a, const struct mm_addr *b)
{
    return memcmp(a->b, b->b, sizeof a->b) == 0;
}

uint64_t tc_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
