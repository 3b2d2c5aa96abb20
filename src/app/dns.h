/*
 * DNS message decoding (RFC 1035; AAAA RFC 3596; SRV RFC 2782; SVCB/HTTPS RFC 9460; EDNS
 * OPT RFC 6891 recognised). A pure function over one message's bytes: the UDP payload, or
 * one message of a TCP stream with its 2-byte length prefix already removed. The app layer
 * (issue 3) feeds it and turns the result into EVE `dns` events (Suricata's version 2).
 *
 * Hostile-input rules: every read is bounds-checked; name decompression follows at most
 * DNS_MAX_POINTERS pointers and only to earlier offsets, so loops are impossible; names
 * longer than 255 octets on the wire are refused; record counts beyond the fixed arrays are
 * counted but not stored. Problems are reported as event bits, never as a crash.
 *
 * Names are returned in presentation form: labels joined by '.', the root as ".", and any
 * byte outside letters/digits/'-'/'_' escaped as \DDD (so '.' inside a label, spaces and
 * control bytes cannot be confused with structure).
 */
#ifndef MM_APP_DNS_H
#define MM_APP_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MAX_POINTERS 32     /* compression pointers followed per name */
#define DNS_NAME_TEXT_MAX 1024  /* 255 wire octets, each up to 4 chars (\DDD), + NUL */
#define DNS_RDATA_TEXT_MAX 1024 /* presentation of one record's data, truncated beyond */
#define DNS_MAX_QUESTIONS 4
#define DNS_MAX_RRS 32          /* answer + authority records stored (additional: not stored) */

/* Event bits (struct dns_msg.events). */
enum {
    DNS_EV_TRUNCATED = 1u << 0,       /* the message ends before its counts say */
    DNS_EV_BAD_NAME = 1u << 1,        /* label length/type invalid, name > 255 octets */
    DNS_EV_POINTER_LOOP = 1u << 2,    /* pointer forward, to itself, or too many pointers */
    DNS_EV_TOO_MANY_RECORDS = 1u << 3,/* more questions/records than stored */
    DNS_EV_BAD_RDATA = 1u << 4,       /* rdata length wrong for its type (e.g. A not 4 bytes) */
    DNS_EV_TRAILING_DATA = 1u << 5,   /* bytes left after all counted sections */
    DNS_EV_Z_FLAG = 1u << 6,          /* reserved header bit set */
};

struct dns_question {
    char name[DNS_NAME_TEXT_MAX];
    uint16_t type, qclass;
};

struct dns_rr {
    char name[DNS_NAME_TEXT_MAX];
    uint16_t type, rclass;
    uint32_t ttl;
    uint8_t section;                  /* 1 answer, 2 authority */
    /* Presentation of the data, as Suricata's "rdata": A/AAAA the address; CNAME/NS/PTR/
     * DNAME the name; MX "<preference> <name>" ... see dns.c for every type; other types
     * "\# <len> <hex>" (RFC 3597 form, hex truncated to fit). */
    char rdata[DNS_RDATA_TEXT_MAX];
    bool rdata_truncated;             /* the text was cut to fit rdata[] */
    bool has_addr;                    /* an A or AAAA record of the right size: ... */
    uint8_t addr[16];                 /* ... its address (A: the first 4 bytes), as on the wire,
                                       * so a reader need not parse rdata's text back */
};

struct dns_msg {
    uint16_t id;
    uint16_t flags;                   /* the raw 16-bit flags word */
    bool qr, aa, tc, rd, ra, ad, cd;
    uint8_t opcode;
    uint16_t rcode;                   /* header rcode, extended by EDNS when present (12 bits:
                                       * EXTENDED-RCODE << 4 | header rcode, RFC 6891) */
    uint16_t qdcount, ancount, nscount, arcount; /* as the header says */
    uint8_t n_questions, n_rrs;       /* stored */
    struct dns_question q[DNS_MAX_QUESTIONS];
    struct dns_rr rr[DNS_MAX_RRS];
    bool edns;                        /* an OPT record was seen */
    uint16_t edns_udp_size;
    uint32_t events;                  /* DNS_EV_* */
};

/*
 * Decode `len` bytes at `buf` into *out (header fields, counts and flags reset; only the
 * first n_questions/n_rrs array entries are meaningful). Returns 0 when at least the
 * 12-byte header was read (out->events says what else went wrong), MM_EINVAL when the
 * buffer is shorter than a header. Never reads outside [buf, buf + len). Thread-safe.
 */
int app_dns_parse(const uint8_t *buf, size_t len, struct dns_msg *out);

/* Names for EVE: "A", "AAAA", ... or NULL for types without a mnemonic (write the number). */
const char *app_dns_type_name(uint16_t type);
/* "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", ... or NULL for unassigned codes. */
const char *app_dns_rcode_name(uint16_t rcode);

#endif
