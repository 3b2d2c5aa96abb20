/*
 * DNS message decoder (src/app/dns.c): a table of messages built with the small writer below,
 * each with the readable message above its builder, and the fields and event bits the
 * decoder must report. Well-formed messages check the presentation of every rdata type;
 * malformed ones check the event bit and that nothing crashes (the whole suite also runs
 * under ASan/UBSan). Then the name tables and every prefix of every row (truncation).
 */
#include "app/dns.h"

#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---------- message writer ---------- */

struct mb {
    uint8_t b[8192];
    size_t n;
    size_t rd_at; /* offset of the open record's RDLENGTH */
};

static void u8(struct mb *m, unsigned v)
{
    assert_true(m->n < sizeof m->b);
    m->b[m->n++] = (uint8_t)v;
}

static void u16(struct mb *m, unsigned v)
{
    u8(m, v >> 8 & 0xff);
    u8(m, v & 0xff);
}

static void u32(struct mb *m, uint32_t v)
{
    u16(m, v >> 16);
    u16(m, v & 0xffff);
}

static void raw(struct mb *m, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        u8(m, ((const uint8_t *)p)[i]);
}

/* One label with arbitrary bytes (may contain '.', spaces, NUL). */
static void label(struct mb *m, const void *p, size_t n)
{
    u8(m, (unsigned)n);
    raw(m, p, n);
}

/* "www.example.com" as labels; ends with the root unless `open` (a pointer follows). */
static void dname_open(struct mb *m, const char *s, bool open)
{
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        label(m, s, l);
        s += l + (dot ? 1 : 0);
    }
    if (!open)
        u8(m, 0);
}

static void dname(struct mb *m, const char *s)
{
    dname_open(m, s, false);
}

static void ptr(struct mb *m, unsigned off)
{
    u16(m, 0xc000 | off);
}

static void hdr(struct mb *m, unsigned flags, unsigned qd, unsigned an, unsigned ns, unsigned ar)
{
    m->n = 0;
    u16(m, 0x1234);
    u16(m, flags);
    u16(m, qd);
    u16(m, an);
    u16(m, ns);
    u16(m, ar);
}

static void question(struct mb *m, const char *name, unsigned type)
{
    dname(m, name);
    u16(m, type);
    u16(m, 1);
}

/* Record header with the owner already written; rr_end patches RDLENGTH. */
static void rr_fields(struct mb *m, unsigned type, uint32_t ttl)
{
    u16(m, type);
    u16(m, 1);
    u32(m, ttl);
    m->rd_at = m->n;
    u16(m, 0);
}

/* Owner is a pointer to the question name at offset 12. */
static void rr_begin_ptr(struct mb *m, unsigned type)
{
    ptr(m, 12);
    rr_fields(m, type, 300);
}

static void rr_end(struct mb *m)
{
    size_t l = m->n - m->rd_at - 2;
    m->b[m->rd_at] = (uint8_t)(l >> 8);
    m->b[m->rd_at + 1] = (uint8_t)l;
}

#define RESP 0x8180 /* QR RD RA, NOERROR */

/* ---------- builders: one per row ---------- */

/* Query: id 0x1234, RD, 1 question www.example.com A. */
static void b_query(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    question(m, "www.example.com", 1);
}

/* Response: www.example.com A -> 93.184.216.34 (owner compressed to the question). */
static void b_a(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "www.example.com", 1);
    rr_begin_ptr(m, 1);
    raw(m, "\x5d\xb8\xd8\x22", 4);
    rr_end(m);
}

/* Response: example.com AAAA -> 2001:db8::1 and 2606:2800:220:1:248:1893:25c8:1946. */
static void b_aaaa(struct mb *m)
{
    hdr(m, RESP, 1, 2, 0, 0);
    question(m, "example.com", 28);
    rr_begin_ptr(m, 28);
    raw(m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    rr_end(m);
    rr_begin_ptr(m, 28);
    raw(m, "\x26\x06\x28\x00\x02\x20\x00\x01\x02\x48\x18\x93\x25\xc8\x19\x46", 16);
    rr_end(m);
}

/* Response: www.a.com CNAME b.a.com (rdata "b" + ptr to a.com), b.a.com CNAME c.net,
 * c.net A 10.0.0.1 (owner = pointer into the second CNAME's rdata). */
static void b_cname(struct mb *m)
{
    hdr(m, RESP, 1, 3, 0, 0);
    question(m, "www.a.com", 1); /* www at 12, a at 16 */
    rr_begin_ptr(m, 5);
    size_t b_at = m->n;
    dname_open(m, "b", true);
    ptr(m, 16);
    rr_end(m);
    ptr(m, (unsigned)b_at);
    rr_fields(m, 5, 60);
    size_t c_at = m->n;
    dname(m, "c.net");
    rr_end(m);
    ptr(m, (unsigned)c_at);
    rr_fields(m, 1, 60);
    raw(m, "\x0a\x00\x00\x01", 4);
    rr_end(m);
}

/* Response: example.com MX 10 mail.example.com (compressed), MX 20 backup.other.org. */
static void b_mx(struct mb *m)
{
    hdr(m, RESP, 1, 2, 0, 0);
    question(m, "example.com", 15);
    rr_begin_ptr(m, 15);
    u16(m, 10);
    dname_open(m, "mail", true);
    ptr(m, 12);
    rr_end(m);
    rr_begin_ptr(m, 15);
    u16(m, 20);
    dname(m, "backup.other.org");
    rr_end(m);
}

/* Response: t.com TXT "v=spf1 -all" "say \"hi\" \\ \x01"; TXT with no strings. */
static void b_txt(struct mb *m)
{
    hdr(m, RESP, 1, 2, 0, 0);
    question(m, "t.com", 16);
    rr_begin_ptr(m, 16);
    label(m, "v=spf1 -all", 11);
    label(m, "say \"hi\" \\ \x01", 12);
    rr_end(m);
    rr_begin_ptr(m, 16);
    rr_end(m);
}

/* NXDOMAIN: nope.example.com A; authority example.com SOA ns1.example.com
 * hostmaster.example.com 2024010101 7200 3600 1209600 300 (names compressed). */
static void b_soa(struct mb *m)
{
    hdr(m, 0x8183, 1, 0, 1, 0);
    question(m, "nope.example.com", 1); /* example at 17 */
    ptr(m, 17);
    rr_fields(m, 6, 300);
    dname_open(m, "ns1", true);
    ptr(m, 17);
    dname_open(m, "hostmaster", true);
    ptr(m, 17);
    u32(m, 2024010101u);
    u32(m, 7200);
    u32(m, 3600);
    u32(m, 1209600);
    u32(m, 300);
    rr_end(m);
}

/* Response: _sip._tcp.x.org SRV 10 60 5060 sip.x.org. */
static void b_srv(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "_sip._tcp.x.org", 33);
    rr_begin_ptr(m, 33);
    u16(m, 10);
    u16(m, 60);
    u16(m, 5060);
    dname(m, "sip.x.org");
    rr_end(m);
}

/* Response: x.org HTTPS 1 . alpn=h2,h3 port=8443 ipv4hint=1.2.3.4,5.6.7.8
 * ipv6hint=2001:db8::1 key65000=abcd; then HTTPS 0 svc.x.org (alias mode). */
static void b_https(struct mb *m)
{
    hdr(m, RESP, 1, 2, 0, 0);
    question(m, "x.org", 65);
    rr_begin_ptr(m, 65);
    u16(m, 1);
    u8(m, 0);
    u16(m, 1);
    u16(m, 6);
    label(m, "h2", 2);
    label(m, "h3", 2);
    u16(m, 3);
    u16(m, 2);
    u16(m, 8443);
    u16(m, 4);
    u16(m, 8);
    raw(m, "\1\2\3\4\5\6\7\x08", 8);
    u16(m, 6);
    u16(m, 16);
    raw(m, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    u16(m, 65000);
    u16(m, 2);
    raw(m, "\xab\xcd", 2);
    rr_end(m);
    rr_begin_ptr(m, 65);
    u16(m, 0);
    dname(m, "svc.x.org");
    rr_end(m);
}

/* Response: x.org type 65280 (private) rdata 01 02 ff; NULL record, empty rdata. */
static void b_unknown(struct mb *m)
{
    hdr(m, RESP, 1, 2, 0, 0);
    question(m, "x.org", 65280);
    rr_begin_ptr(m, 65280);
    raw(m, "\x01\x02\xff", 3);
    rr_end(m);
    rr_begin_ptr(m, 10);
    rr_end(m);
}

/* Response with EDNS: OPT in additional, udp 1232, extended rcode 1 -> rcode 16 (BADVERS). */
static void b_edns(struct mb *m)
{
    hdr(m, 0x8180, 1, 0, 0, 1);
    question(m, "x.org", 1);
    u8(m, 0);
    u16(m, 41);
    u16(m, 1232);
    u32(m, 0x01000000);
    u16(m, 0);
}

/* Query with EDNS (udp 4096, no extended rcode) and the Z bit set. */
static void b_edns_z(struct mb *m)
{
    hdr(m, 0x0140, 1, 0, 0, 1);
    question(m, "x.org", 1);
    u8(m, 0);
    u16(m, 41);
    u16(m, 4096);
    u32(m, 0);
    u16(m, 4);
    raw(m, "\0\x0a\0\0", 4); /* option 10 (cookie) length 0 */
}

/* Question name is a pointer to itself (offset 12 -> 12). */
static void b_loop_self(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    ptr(m, 12);
    u16(m, 1);
    u16(m, 1);
}

/* Question name is a pointer forward (12 -> 20) to a valid name. */
static void b_ptr_forward(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    ptr(m, 20);
    u16(m, 1);
    u16(m, 1);
    u16(m, 0);
    u16(m, 0);
    dname(m, "a.b");
}

/* Mutual pointers: question "x" + ptr to the answer owner; answer owner = ptr to 12. */
static void b_ptr_mutual(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    u8(m, 1);
    u8(m, 'x');
    ptr(m, 20); /* forward: to the answer's owner */
    u16(m, 1);
    u16(m, 1);
    ptr(m, 12);
    rr_fields(m, 1, 1);
    raw(m, "\1\2\3\4", 4);
    rr_end(m);
}

/* A label that points back to its own start after one label ("a" at 12, ptr at 14 -> 12). */
static void b_ptr_run(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    u8(m, 1);
    u8(m, 'a');
    ptr(m, 12);
    u16(m, 1);
    u16(m, 1);
}

/* Pointer chains: answer 1 (type 65280) holds "end" then `n - 1` pointers, each to the one
 * before (the first to "end"); answer 2 is a CNAME whose rdata points to the last of them, so
 * its name follows exactly n pointers. */
static void chain(struct mb *m, int n)
{
    hdr(m, RESP, 1, 2, 0, 0);
    question(m, "z", 1);
    rr_begin_ptr(m, 65280);
    size_t prev = m->n;
    dname(m, "end");
    for (int i = 0; i < n - 1; i++) {
        size_t here = m->n;
        ptr(m, (unsigned)prev);
        prev = here;
    }
    rr_end(m);
    rr_begin_ptr(m, 5);
    ptr(m, (unsigned)prev);
    rr_end(m);
}

/* CNAME rdata reached through DNS_MAX_POINTERS pointers: accepted. */
static void b_ptr_max(struct mb *m)
{
    chain(m, DNS_MAX_POINTERS);
}

/* One pointer more than DNS_MAX_POINTERS: refused. */
static void b_ptr_many(struct mb *m)
{
    chain(m, DNS_MAX_POINTERS + 1);
}

/* Name of 256 wire octets: four 63-octet labels (4 * 64 = 256) and the root. */
static void b_long_name(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    char l[63];
    memset(l, 'a', sizeof l);
    for (int i = 0; i < 4; i++)
        label(m, l, sizeof l);
    u8(m, 0);
    u16(m, 1);
    u16(m, 1);
}

/* Longest legal name: 255 octets (three 63-octet labels, one 61-octet label, root). */
static void b_max_name(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    char l[63];
    memset(l, 'b', sizeof l);
    for (int i = 0; i < 3; i++)
        label(m, l, sizeof l);
    label(m, l, 61);
    u8(m, 0);
    u16(m, 1);
    u16(m, 1);
}

/* Label type 0x40 (extended label, RFC 6891 §5) in the question name. */
static void b_label40(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    u8(m, 0x41);
    u8(m, 'a');
    u8(m, 0);
    u16(m, 1);
    u16(m, 1);
}

/* Label type 0x80 (reserved). */
static void b_label80(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    u8(m, 0x81);
    u8(m, 'a');
    u8(m, 0);
    u16(m, 1);
    u16(m, 1);
}

/* Header says 2 questions and 3 answers; only one question is present. */
static void b_counts(struct mb *m)
{
    hdr(m, RESP, 2, 3, 0, 0);
    question(m, "x.org", 1);
}

/* Answer x.org A with rdlength 5 (1.2.3.4 plus one byte). */
static void b_a5(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "x.org", 1);
    rr_begin_ptr(m, 1);
    raw(m, "\1\2\3\4\5", 5);
    rr_end(m);
}

/* Answer with rdlength 100 but 4 bytes of rdata. */
static void b_rdlen_over(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "x.org", 1);
    rr_begin_ptr(m, 1);
    raw(m, "\1\2\3\4", 4);
    m->b[m->rd_at + 1] = 100;
}

/* Query followed by 3 bytes of junk. */
static void b_trailing(struct mb *m)
{
    b_query(m);
    raw(m, "\xde\xad\xbe", 3);
}

/* 40 answers x.org A 10.0.0.i: 32 stored, all walked. */
static void b_many(struct mb *m)
{
    hdr(m, RESP, 1, 40, 0, 0);
    question(m, "x.org", 1);
    for (unsigned i = 0; i < 40; i++) {
        rr_begin_ptr(m, 1);
        u8(m, 10);
        u8(m, 0);
        u8(m, 0);
        u8(m, i);
        rr_end(m);
    }
}

/* 6 questions: 4 stored. */
static void b_many_q(struct mb *m)
{
    hdr(m, 0x0100, 6, 0, 0, 0);
    for (int i = 0; i < 6; i++)
        question(m, "q.x", 1);
}

/* Question name with odd labels: "a.b" (dot inside), "c d", "e\0f", "*", then "com". */
static void b_odd(struct mb *m)
{
    hdr(m, 0x0100, 1, 0, 0, 0);
    label(m, "a.b", 3);
    label(m, "c d", 3);
    label(m, "e\0f", 3);
    label(m, "*", 1);
    dname(m, "com");
    u16(m, 1);
    u16(m, 1);
}

/* Root question (". NS") and a PTR answer pointing to the root. */
static void b_root(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    u8(m, 0);
    u16(m, 2);
    u16(m, 1);
    u8(m, 0);
    rr_fields(m, 12, 5);
    ptr(m, 12);
    rr_end(m);
}

/* CNAME whose rdata name runs past its rdlength (rdlength 3 for "abc.d"). */
static void b_cname_over(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "x.org", 5);
    rr_begin_ptr(m, 5);
    raw(m, "\3ab", 3);
    rr_end(m);
    raw(m, "c\1d\0", 4);
}

/* MX whose rdata name has a pointer to itself. */
static void b_mx_loop(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "x.org", 15);
    rr_begin_ptr(m, 15);
    u16(m, 5);
    ptr(m, (unsigned)m->n);
    rr_end(m);
}

/* Long TXT: 8 strings of 200 bytes -> presentation truncated at DNS_RDATA_TEXT_MAX. */
static void b_txt_long(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "x.org", 16);
    rr_begin_ptr(m, 16);
    char s[200];
    memset(s, 'x', sizeof s);
    for (int i = 0; i < 8; i++)
        label(m, s, sizeof s);
    rr_end(m);
}

/* SOA whose second name, all escaped bytes, presents as 1,003 characters behind a first one
 * of 26: it does not fit, and the text is cut inside it, between two escapes. */
static void b_soa_long(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "x.org", 6);
    rr_begin_ptr(m, 6);
    label(m, "ns1-example-dns-server", 22);
    label(m, "org", 3);
    u8(m, 0);
    char s[63];
    memset(s, 0x1a, sizeof s);
    for (int i = 0; i < 3; i++)
        label(m, s, sizeof s);
    label(m, s, 61); /* 255 octets on the wire with the root */
    u8(m, 0);
    for (int i = 0; i < 5; i++)
        raw(m, "\0\0\0\1", 4);
    rr_end(m);
}

/* TXT whose string length runs past the rdata. */
static void b_txt_bad(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "x.org", 16);
    rr_begin_ptr(m, 16);
    raw(m, "\x09short", 6);
    rr_end(m);
}

/* HTTPS with alpn value length running past the rdata. */
static void b_https_bad(struct mb *m)
{
    hdr(m, RESP, 1, 1, 0, 0);
    question(m, "x.org", 65);
    rr_begin_ptr(m, 65);
    u16(m, 1);
    u8(m, 0);
    u16(m, 1);
    u16(m, 9);
    label(m, "h2", 2);
    rr_end(m);
}

/* ---------- the table ---------- */

#define MAXC 6
struct row {
    const char *what;
    void (*build)(struct mb *);
    uint32_t events; /* exactly these bits */
    int n_q, n_rr;   /* stored counts */
    int rcode;       /* -1: not checked */
    const char *qname;
    const char *names[MAXC]; /* owner names of rr[0..], NULL = not checked */
    const char *rdata[MAXC];
    unsigned truncated; /* bit i: rr[i].rdata_truncated expected */
};

static const struct row rows[] = {
    {"query", b_query, 0, 1, 0, 0, "www.example.com", {0}, {0}, 0},
    {"A", b_a, 0, 1, 1, 0, "www.example.com", {"www.example.com"}, {"93.184.216.34"}, 0},
    {"AAAA",
     b_aaaa,
     0,
     1,
     2,
     0,
     "example.com",
     {0},
     {"2001:db8::1", "2606:2800:220:1:248:1893:25c8:1946"},
     0},
    {"CNAME chain",
     b_cname,
     0,
     1,
     3,
     0,
     "www.a.com",
     {"www.a.com", "b.a.com", "c.net"},
     {"b.a.com", "c.net", "10.0.0.1"},
     0},
    {"MX", b_mx, 0, 1, 2, 0, "example.com", {0}, {"10 mail.example.com", "20 backup.other.org"}, 0},
    {"TXT",
     b_txt,
     0,
     1,
     2,
     0,
     "t.com",
     {0},
     {"\"v=spf1 -all\" \"say \\\"hi\\\" \\\\ \\001\"", ""},
     0},
    {"SOA NXDOMAIN",
     b_soa,
     0,
     1,
     1,
     3,
     "nope.example.com",
     {"example.com"},
     {"ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 300"},
     0},
    {"SRV", b_srv, 0, 1, 1, 0, "_sip._tcp.x.org", {0}, {"10 60 5060 sip.x.org"}, 0},
    {"HTTPS",
     b_https,
     0,
     1,
     2,
     0,
     "x.org",
     {0},
     {"1 . alpn=h2,h3 port=8443 ipv4hint=1.2.3.4,5.6.7.8 ipv6hint=2001:db8::1 key65000=abcd",
      "0 svc.x.org"},
     0},
    {"unknown + NULL", b_unknown, 0, 1, 2, 0, "x.org", {0}, {"\\# 3 0102ff", "\\# 0"}, 0},
    {"EDNS BADVERS", b_edns, 0, 1, 0, 16, "x.org", {0}, {0}, 0},
    {"EDNS + Z", b_edns_z, DNS_EV_Z_FLAG, 1, 0, 0, "x.org", {0}, {0}, 0},
    {"pointer to itself", b_loop_self, DNS_EV_POINTER_LOOP, 0, 0, 0, NULL, {0}, {0}, 0},
    {"forward pointer", b_ptr_forward, DNS_EV_POINTER_LOOP, 0, 0, 0, NULL, {0}, {0}, 0},
    {"mutual pointers", b_ptr_mutual, DNS_EV_POINTER_LOOP, 0, 0, 0, NULL, {0}, {0}, 0},
    {"pointer into own run", b_ptr_run, DNS_EV_POINTER_LOOP, 0, 0, 0, NULL, {0}, {0}, 0},
    {"32 pointers", b_ptr_max, 0, 1, 2, 0, "z", {0}, {NULL, "end"}, 0},
    {"33 pointers", b_ptr_many, DNS_EV_POINTER_LOOP | DNS_EV_BAD_RDATA, 1, 2, 0, "z", {0}, {0}, 0},
    {"256-octet name", b_long_name, DNS_EV_BAD_NAME, 0, 0, 0, NULL, {0}, {0}, 0},
    {"255-octet name", b_max_name, 0, 1, 0, 0, NULL, {0}, {0}, 0},
    {"label type 0x40", b_label40, DNS_EV_BAD_NAME, 0, 0, 0, NULL, {0}, {0}, 0},
    {"label type 0x80", b_label80, DNS_EV_BAD_NAME, 0, 0, 0, NULL, {0}, {0}, 0},
    {"counts > data", b_counts, DNS_EV_TRUNCATED, 1, 0, 0, "x.org", {0}, {0}, 0},
    {"A rdlength 5", b_a5, DNS_EV_BAD_RDATA, 1, 1, 0, "x.org", {0}, {"\\# 5 0102030405"}, 0},
    {"rdlength > data", b_rdlen_over, DNS_EV_TRUNCATED, 1, 0, 0, "x.org", {0}, {0}, 0},
    {"trailing data", b_trailing, DNS_EV_TRAILING_DATA, 1, 0, 0, "www.example.com", {0}, {0}, 0},
    {"40 answers",
     b_many,
     DNS_EV_TOO_MANY_RECORDS,
     1,
     DNS_MAX_RRS,
     0,
     "x.org",
     {0},
     {"10.0.0.0", "10.0.0.1"},
     0},
    {"6 questions", b_many_q, DNS_EV_TOO_MANY_RECORDS, DNS_MAX_QUESTIONS, 0, 0, "q.x", {0}, {0}, 0},
    {"odd labels", b_odd, 0, 1, 0, 0, "a\\046b.c\\032d.e\\000f.\\042.com", {0}, {0}, 0},
    {"root", b_root, 0, 1, 1, 0, ".", {"."}, {"."}, 0},
    {"CNAME past rdata",
     b_cname_over,
     DNS_EV_BAD_RDATA | DNS_EV_TRAILING_DATA,
     1,
     1,
     0,
     "x.org",
     {0},
     {"\\# 3 036162"},
     0},
    {"MX self pointer",
     b_mx_loop,
     DNS_EV_POINTER_LOOP | DNS_EV_BAD_RDATA,
     1,
     1,
     0,
     "x.org",
     {0},
     {"\\# 4 0005c025"},
     0},
    {"TXT truncated", b_txt_long, 0, 1, 1, 0, "x.org", {0}, {0}, 1},
    {"SOA truncated in a name", b_soa_long, 0, 1, 1, 0, "x.org", {0}, {0}, 1},
    {"TXT string past rdata",
     b_txt_bad,
     DNS_EV_BAD_RDATA,
     1,
     1,
     0,
     "x.org",
     {0},
     {"\\# 6 0973686f7274"},
     0},
    {"HTTPS alpn past rdata", b_https_bad, DNS_EV_BAD_RDATA, 1, 1, 0, "x.org", {0}, {0}, 0},
};

static void check_strings(const struct dns_msg *m, const char *what)
{
    /* Every stored string is NUL-terminated within its array. */
    for (unsigned i = 0; i < m->n_questions; i++)
        if (!memchr(m->q[i].name, 0, sizeof m->q[i].name))
            fail_msg("%s: q[%u] name not terminated", what, i);
    for (unsigned i = 0; i < m->n_rrs; i++)
        if (!memchr(m->rr[i].name, 0, sizeof m->rr[i].name) ||
            !memchr(m->rr[i].rdata, 0, sizeof m->rr[i].rdata))
            fail_msg("%s: rr[%u] not terminated", what, i);
    if (m->n_questions > DNS_MAX_QUESTIONS || m->n_rrs > DNS_MAX_RRS)
        fail_msg("%s: counts beyond arrays", what);
}

static void test_app_dns_parse_table(void **state)
{
    (void)state;
    struct mb *b = calloc(1, sizeof *b);
    struct dns_msg *m = malloc(sizeof *m);
    assert_non_null(b);
    assert_non_null(m);
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        const struct row *r = &rows[i];
        memset(b, 0, sizeof *b);
        r->build(b);
        /* An exact-size heap copy: ASan catches a one-byte over-read. */
        uint8_t *buf = malloc(b->n);
        assert_non_null(buf);
        memcpy(buf, b->b, b->n);
        int rc = app_dns_parse(buf, b->n, m);
        free(buf);
        if (rc != 0)
            fail_msg("%s: rc %d", r->what, rc);
        if (m->events != r->events)
            fail_msg("%s: events 0x%x, want 0x%x", r->what, m->events, r->events);
        if (m->n_questions != r->n_q || m->n_rrs != r->n_rr)
            fail_msg("%s: %u questions %u rrs, want %d %d", r->what, m->n_questions, m->n_rrs,
                     r->n_q, r->n_rr);
        if (r->rcode >= 0 && m->rcode != r->rcode)
            fail_msg("%s: rcode %u, want %d", r->what, m->rcode, r->rcode);
        if (r->qname && strcmp(m->q[0].name, r->qname))
            fail_msg("%s: qname '%s', want '%s'", r->what, m->q[0].name, r->qname);
        for (unsigned k = 0; k < MAXC && k < m->n_rrs; k++) {
            if (r->names[k] && strcmp(m->rr[k].name, r->names[k]))
                fail_msg("%s: rr[%u] name '%s', want '%s'", r->what, k, m->rr[k].name, r->names[k]);
            if (r->rdata[k] && strcmp(m->rr[k].rdata, r->rdata[k]))
                fail_msg("%s: rr[%u] rdata '%s', want '%s'", r->what, k, m->rr[k].rdata,
                         r->rdata[k]);
            if (m->rr[k].rdata_truncated != !!(r->truncated & 1u << k))
                fail_msg("%s: rr[%u] truncated %d", r->what, k, m->rr[k].rdata_truncated);
            /* a cut text keeps nearly all that fits (the longest piece is a formatted number
             * or key), and ends on a whole escape */
            const char *rd = m->rr[k].rdata, *bs = strrchr(rd, '\\');
            if (m->rr[k].rdata_truncated && (strlen(rd) + 64 < sizeof m->rr[k].rdata ||
                                             (bs && strlen(bs) < 4 && bs[1] != '"')))
                fail_msg("%s: rr[%u] truncated at %zu: ...%s", r->what, k, strlen(rd),
                         rd + (strlen(rd) > 12 ? strlen(rd) - 12 : 0));
        }
        check_strings(m, r->what);
    }
    free(m);
    free(b);
}

/* Header fields, section numbers, TTL and EDNS details of a few rows. */
static void test_app_dns_parse_fields(void **state)
{
    (void)state;
    struct mb *b = calloc(1, sizeof *b);
    struct dns_msg *m = malloc(sizeof *m);
    assert_non_null(b);
    assert_non_null(m);

    b_query(b);
    assert_int_equal(app_dns_parse(b->b, b->n, m), 0);
    assert_int_equal(m->id, 0x1234);
    assert_false(m->qr);
    assert_true(m->rd);
    assert_int_equal(m->q[0].type, 1);
    assert_int_equal(m->q[0].qclass, 1);
    assert_false(m->edns);

    b_soa(b);
    assert_int_equal(app_dns_parse(b->b, b->n, m), 0);
    assert_true(m->qr && m->rd && m->ra && !m->aa);
    assert_int_equal(m->nscount, 1);
    assert_int_equal(m->rr[0].section, 2);
    assert_int_equal(m->rr[0].type, 6);
    assert_string_equal(app_dns_rcode_name(m->rcode), "NXDOMAIN");

    b_cname(b);
    assert_int_equal(app_dns_parse(b->b, b->n, m), 0);
    assert_int_equal(m->rr[2].ttl, 60);
    assert_int_equal(m->rr[0].section, 1);

    b_edns(b);
    assert_int_equal(app_dns_parse(b->b, b->n, m), 0);
    assert_true(m->edns);
    assert_int_equal(m->edns_udp_size, 1232);
    assert_string_equal(app_dns_rcode_name(m->rcode), "BADVERS");

    /* A and AAAA keep their address as on the wire; a malformed A has none, also in a
     * message struct that held a good one before */
    b_a(b);
    assert_int_equal(app_dns_parse(b->b, b->n, m), 0);
    assert_true(m->rr[0].has_addr);
    assert_memory_equal(m->rr[0].addr, "\x5d\xb8\xd8\x22", 4);
    b_aaaa(b);
    assert_int_equal(app_dns_parse(b->b, b->n, m), 0);
    assert_true(m->rr[0].has_addr && m->rr[1].has_addr);
    assert_memory_equal(m->rr[0].addr, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
    b_a5(b);
    assert_int_equal(app_dns_parse(b->b, b->n, m), 0);
    assert_false(m->rr[0].has_addr);
    b_cname(b);
    assert_int_equal(app_dns_parse(b->b, b->n, m), 0);
    assert_false(m->rr[0].has_addr);

    /* Shorter than a header. */
    assert_int_equal(app_dns_parse(b->b, 11, m), MM_EINVAL);
    assert_int_equal(app_dns_parse(NULL, 0, m), MM_EINVAL);
    free(m);
    free(b);
}

/* Every prefix of every row: no crash, no over-read (ASan), strings terminated. */
static void test_app_dns_parse_prefixes(void **state)
{
    (void)state;
    struct mb *b = calloc(1, sizeof *b);
    struct dns_msg *m = malloc(sizeof *m);
    assert_non_null(b);
    assert_non_null(m);
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        rows[i].build(b);
        for (size_t n = 0; n <= b->n; n++) {
            uint8_t *buf = malloc(n ? n : 1);
            assert_non_null(buf);
            memcpy(buf, b->b, n);
            int rc = app_dns_parse(buf, n, m);
            free(buf);
            if (rc != (n < 12 ? MM_EINVAL : 0))
                fail_msg("%s: prefix %zu rc %d", rows[i].what, n, rc);
            check_strings(m, rows[i].what);
            /* A cut inside the counted sections must be reported as truncation. */
            if (n >= 12 && n < b->n && !(rows[i].events & DNS_EV_TRAILING_DATA) &&
                !(m->events & (DNS_EV_TRUNCATED | DNS_EV_BAD_NAME | DNS_EV_POINTER_LOOP)))
                fail_msg("%s: prefix %zu not truncated (0x%x)", rows[i].what, n, m->events);
        }
    }
    free(m);
    free(b);
}

static void test_app_dns_type_name(void **state)
{
    (void)state;
    static const struct {
        uint16_t t;
        const char *n;
    } tab[] = {
        {1, "A"},     {2, "NS"},    {5, "CNAME"},  {6, "SOA"},   {12, "PTR"},    {13, "HINFO"},
        {15, "MX"},   {16, "TXT"},  {28, "AAAA"},  {33, "SRV"},  {35, "NAPTR"},  {39, "DNAME"},
        {41, "OPT"},  {43, "DS"},   {46, "RRSIG"}, {47, "NSEC"}, {48, "DNSKEY"}, {50, "NSEC3"},
        {52, "TLSA"}, {64, "SVCB"}, {65, "HTTPS"}, {99, "SPF"},  {255, "ANY"},   {257, "CAA"},
        {0, NULL},    {54, NULL},   {65280, NULL},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(tab); i++) {
        const char *n = app_dns_type_name(tab[i].t);
        if (tab[i].n ? !n || strcmp(n, tab[i].n) : n != NULL)
            fail_msg("type %u: '%s'", tab[i].t, n ? n : "(null)");
    }
}

static void test_app_dns_rcode_name(void **state)
{
    (void)state;
    static const char *const want[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                       "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                       "NXRRSET", "NOTAUTH", "NOTZONE"};
    for (uint16_t i = 0; i < MM_ARRAY_LEN(want); i++)
        assert_string_equal(app_dns_rcode_name(i), want[i]);
    assert_string_equal(app_dns_rcode_name(16), "BADVERS");
    assert_null(app_dns_rcode_name(12));
    assert_null(app_dns_rcode_name(4095));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_dns_parse_table),    cmocka_unit_test(test_app_dns_parse_fields),
        cmocka_unit_test(test_app_dns_parse_prefixes), cmocka_unit_test(test_app_dns_type_name),
        cmocka_unit_test(test_app_dns_rcode_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
