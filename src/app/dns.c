/*
 * DNS message decoder (RFC 1035 §4), see dns.h for the contract. One pass over the message:
 * header, questions, then answer/authority/additional records. Answer and authority records
 * are stored with their rdata in presentation form; additional records are only walked (to
 * find the EDNS OPT record of RFC 6891 and to check lengths). Out of scope: DNSSEC
 * validation, TSIG, presentation of rarely seen types (they use the RFC 3597 "\#" form).
 *
 *   Header (12 bytes):
 *   0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |                      ID                       |
 *  |QR|  Opcode   |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
 *  |            QDCOUNT / ANCOUNT / NSCOUNT / ARCOUNT (4 x 16 bits)
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *   Question: QNAME | QTYPE (16) | QCLASS (16)
 *   Record:   NAME | TYPE (16) | CLASS (16) | TTL (32) | RDLENGTH (16) | RDATA (RDLENGTH)
 *
 *   Name: a sequence of labels ending in a zero octet or a pointer:
 *     00LLLLLL <L octets>   label of length L (1..63); 00000000 ends the name
 *     11PPPPPP PPPPPPPP     pointer: the rest of the name is at message offset P (14 bits)
 *     01......, 10......    extended/reserved label types (RFC 6891 §5): refused
 *
 *   OPT (in the additional section): NAME is the root, CLASS is the requestor's UDP payload
 *   size, TTL = EXTENDED-RCODE (8) | VERSION (8) | DO + Z (16).
 */
#include "app/dns.h"

#include "core/cur.h"
#include "core/mm.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#define DNS_HDR_LEN 12
#define DNS_NAME_WIRE_MAX 255
#define DNS_TYPE_OPT 41

/* ---------- bounded text builder ---------- */

/*
 * Appends whole pieces only: a piece that does not fit marks the text truncated and stops
 * all later appends, so an escape (\DDD) or a hex pair is never cut in half.
 */
struct text {
    char *buf;
    size_t cap; /* bytes in buf, including the NUL */
    size_t len;
    bool full;
};

static void text_init(struct text *t, char *buf, size_t cap)
{
    t->buf = buf;
    t->cap = cap;
    t->len = 0;
    t->full = false;
    buf[0] = '\0';
}

/* Append a piece of n bytes, whole or not at all: a text is cut between pieces, never inside
 * an escape or a hex pair (callers keep pieces short; a name goes in escape by escape). */
static void text_put(struct text *t, const char *s, size_t n)
{
    if (t->full)
        return;
    if (n >= t->cap - t->len) {
        t->full = true;
        return;
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
    text_put(t, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void text_fmt(struct text *t, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    text_put(t, tmp, MM_MIN((size_t)n, sizeof tmp - 1));
}

/* One byte as \DDD (decimal, RFC 1035 §5.1). */
static void text_ddd(struct text *t, uint8_t b)
{
    char tmp[5];
    tmp[0] = '\\';
    tmp[1] = (char)('0' + b / 100);
    tmp[2] = (char)('0' + b / 10 % 10);
    tmp[3] = (char)('0' + b % 10);
    tmp[4] = '\0';
    text_put(t, tmp, 4);
}

static void text_hex(struct text *t, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n && !t->full; i++) {
        char pair[2] = {digits[p[i] >> 4], digits[p[i] & 15]};
        text_put(t, pair, 2);
    }
}

static bool is_name_char(uint8_t b)
{
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' ||
           b == '_';
}

/* ---------- names ---------- */

/*
 * Read the name at *off in msg[0, len) into out (presentation form). On success *off is just
 * past the name's in-place part (after the terminating zero or the first pointer). On failure
 * the event bit is or-ed into *events, out holds what was decoded, and false is returned.
 *
 * Loop safety: every pointer must point before the start of the label run it ends (the name's
 * first octet, or the previous pointer's target). Positions therefore strictly decrease from
 * jump to jump and no sequence of pointers can revisit an octet; DNS_MAX_POINTERS bounds the
 * work further.
 */
static bool read_name(const uint8_t *msg, size_t len, size_t *off, char *out, size_t out_cap,
                      uint32_t *events)
{
    struct text t;
    text_init(&t, out, out_cap);
    size_t pos = *off, run_start = *off, end = 0, wire = 0;
    bool jumped = false;
    unsigned pointers = 0;

    for (;;) {
        if (pos >= len) {
            *events |= DNS_EV_TRUNCATED;
            return false;
        }
        uint8_t b = msg[pos];
        if (b == 0) {
            if (wire == 0)
                text_put(&t, ".", 1);
            if (!jumped)
                end = pos + 1;
            break;
        }
        switch (b & 0xc0) {
        case 0xc0: {
            if (pos + 1 >= len) {
                *events |= DNS_EV_TRUNCATED;
                return false;
            }
            size_t target = (size_t)(b & 0x3f) << 8 | msg[pos + 1];
            if (target >= run_start || ++pointers > DNS_MAX_POINTERS) {
                *events |= DNS_EV_POINTER_LOOP;
                return false;
            }
            if (!jumped)
                end = pos + 2;
            jumped = true;
            pos = run_start = target;
            continue;
        }
        case 0x40:
        case 0x80: *events |= DNS_EV_BAD_NAME; return false;
        default: break;
        }
        /* A label: b octets follow. The wire length counts each length octet, and the final
         * zero octet must still fit in 255. */
        wire += (size_t)b + 1;
        if (wire + 1 > DNS_NAME_WIRE_MAX) {
            *events |= DNS_EV_BAD_NAME;
            return false;
        }
        if (b > len - pos - 1) {
            *events |= DNS_EV_TRUNCATED;
            return false;
        }
        if (t.len)
            text_put(&t, ".", 1);
        for (size_t i = 0; i < b; i++) {
            uint8_t c = msg[pos + 1 + i];
            if (is_name_char(c)) {
                char ch = (char)c;
                text_put(&t, &ch, 1);
            } else {
                text_ddd(&t, c);
            }
        }
        pos += (size_t)b + 1;
    }
    /* 255 wire octets need at most 4 * 254 + 1 characters: DNS_NAME_TEXT_MAX always holds
     * them, so a full buffer means our own bug (or a caller's small buffer). */
    MM_ASSERT(!t.full);
    *off = end;
    return true;
}

/* ---------- rdata presentation ---------- */

/* Context for one record's rdata: [start, end) in the whole message (names may point back). */
struct rdata_ctx {
    const uint8_t *msg;
    size_t len;
    size_t start, end;
    uint32_t *events;
    struct text *t;
};

/* A name inside rdata; its in-place part must end within the rdata. */
static bool rd_name(struct rdata_ctx *r, size_t *off)
{
    char name[DNS_NAME_TEXT_MAX];
    uint32_t ev = 0;
    if (!read_name(r->msg, r->end, off, name, sizeof name, &ev)) {
        /* Running off the rdata is a bad rdata length, not a truncated message. */
        *r->events |= (ev & ~(uint32_t)DNS_EV_TRUNCATED) | DNS_EV_BAD_RDATA;
        return false;
    }
    /* Piece by piece (a \DDD escape is one): a long name cut by the text's end keeps what
     * fits instead of disappearing whole. */
    for (const char *c = name; *c;) {
        size_t n = c[0] == '\\' && c[1] && c[2] && c[3] ? 4 : 1;
        text_put(r->t, c, n);
        c += n;
    }
    return true;
}

/* RFC 1035 <character-string> in double quotes; '"' and '\' escaped, others as \DDD. */
static void text_charstr(struct text *t, const uint8_t *p, size_t n)
{
    text_put(t, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            text_put(t, esc, 2);
        } else if (c >= 0x20 && c < 0x7f) {
            char ch = (char)c;
            text_put(t, &ch, 1);
        } else {
            text_ddd(t, c);
        }
    }
    text_put(t, "\"", 1);
}

static bool rd_txt(struct rdata_ctx *r)
{
    size_t pos = r->start;
    while (pos < r->end) {
        size_t n = r->msg[pos];
        if (n > r->end - pos - 1)
            return false;
        if (pos > r->start)
            text_put(r->t, " ", 1);
        text_charstr(r->t, r->msg + pos + 1, n);
        pos += n + 1;
    }
    return true;
}

/* An alpn value (RFC 9460 §7.1): length-prefixed ids, shown comma-separated. */
static bool svc_alpn(struct text *t, const uint8_t *p, size_t n)
{
    size_t pos = 0;
    while (pos < n) {
        size_t l = p[pos];
        if (l == 0 || l > n - pos - 1)
            return false;
        if (pos)
            text_put(t, ",", 1);
        for (size_t i = 0; i < l; i++) {
            uint8_t c = p[pos + 1 + i];
            if (c > 0x20 && c < 0x7f && c != ',' && c != '\\' && c != '"') {
                char ch = (char)c;
                text_put(t, &ch, 1);
            } else {
                text_ddd(t, c);
            }
        }
        pos += l + 1;
    }
    return n > 0;
}

static bool svc_addrs(struct text *t, const uint8_t *p, size_t n, int af)
{
    size_t sz = af == AF_INET ? 4 : 16;
    if (n == 0 || n % sz)
        return false;
    for (size_t i = 0; i < n; i += sz) {
        char a[INET6_ADDRSTRLEN];
        if (!inet_ntop(af, p + i, a, sizeof a))
            return false;
        if (i)
            text_put(t, ",", 1);
        text_str(t, a);
    }
    return true;
}

/* SVCB/HTTPS (RFC 9460 §2.2): priority, target, then key=value parameters. */
static bool rd_svcb(struct rdata_ctx *r)
{
    struct cur c = cur_make(r->msg, r->end);
    c.off = r->start;
    uint16_t prio = cur_be16(&c);
    if (!cur_ok(&c))
        return false;
    text_fmt(r->t, "%u ", prio);
    size_t pos = c.off;
    if (!rd_name(r, &pos))
        return false;
    c.off = pos;
    while (cur_left(&c) > 0) {
        uint16_t key = cur_be16(&c);
        uint16_t vlen = cur_be16(&c);
        const uint8_t *v = cur_take(&c, vlen);
        if (!v)
            return false;
        struct text *t = r->t;
        switch (key) {
        case 0: /* mandatory: a list of keys */
            if (vlen == 0 || vlen % 2)
                return false;
            text_str(t, " mandatory=");
            for (size_t i = 0; i < vlen; i += 2)
                text_fmt(t, "%skey%u", i ? "," : "", (unsigned)(v[i] << 8 | v[i + 1]));
            break;
        case 1:
            text_str(t, " alpn=");
            if (!svc_alpn(t, v, vlen))
                return false;
            break;
        case 2:
            if (vlen)
                return false;
            text_str(t, " no-default-alpn");
            break;
        case 3:
            if (vlen != 2)
                return false;
            text_fmt(t, " port=%u", (unsigned)(v[0] << 8 | v[1]));
            break;
        case 4:
            text_str(t, " ipv4hint=");
            if (!svc_addrs(t, v, vlen, AF_INET))
                return false;
            break;
        case 6:
            text_str(t, " ipv6hint=");
            if (!svc_addrs(t, v, vlen, AF_INET6))
                return false;
            break;
        default: /* ech (5) and unknown keys: keyNNNN=hex */
            text_fmt(t, " key%u=", key);
            text_hex(t, v, vlen);
            break;
        }
    }
    return true;
}

/* Format the rdata of a known type; false when its layout is wrong (BAD_RDATA). */
static bool rdata_typed(struct rdata_ctx *r, uint16_t type)
{
    size_t n = r->end - r->start;
    const uint8_t *p = r->msg + r->start;
    size_t pos = r->start;
    char a[INET6_ADDRSTRLEN];

    switch (type) {
    case 1: /* A */
        if (n != 4 || !inet_ntop(AF_INET, p, a, sizeof a))
            return false;
        text_str(r->t, a);
        return true;
    case 28: /* AAAA: inet_ntop gives the RFC 5952 form */
        if (n != 16 || !inet_ntop(AF_INET6, p, a, sizeof a))
            return false;
        text_str(r->t, a);
        return true;
    case 2:  /* NS */
    case 5:  /* CNAME */
    case 12: /* PTR */
    case 39: /* DNAME */ return rd_name(r, &pos) && pos == r->end;
    case 15: /* MX */
        if (n < 3)
            return false;
        text_fmt(r->t, "%u ", (unsigned)(p[0] << 8 | p[1]));
        pos += 2;
        return rd_name(r, &pos) && pos == r->end;
    case 16: /* TXT */
    case 99: /* SPF */ return rd_txt(r);
    case 6: { /* SOA */
        if (!rd_name(r, &pos))
            return false;
        text_put(r->t, " ", 1);
        if (!rd_name(r, &pos))
            return false;
        if (r->end - pos != 20)
            return false;
        struct cur c = cur_make(r->msg, r->end);
        c.off = pos;
        for (int i = 0; i < 5; i++)
            text_fmt(r->t, " %u", cur_be32(&c));
        return true;
    }
    case 33: { /* SRV */
        if (n < 7)
            return false;
        struct cur c = cur_make(r->msg, r->end);
        c.off = r->start;
        unsigned prio = cur_be16(&c), weight = cur_be16(&c), port = cur_be16(&c);
        text_fmt(r->t, "%u %u %u ", prio, weight, port);
        pos = c.off;
        return rd_name(r, &pos) && pos == r->end;
    }
    case 64: /* SVCB */
    case 65: /* HTTPS */ return rd_svcb(r);
    default: return false;
    }
}

static bool type_is_formatted(uint16_t type)
{
    switch (type) {
    case 1:
    case 2:
    case 5:
    case 6:
    case 12:
    case 15:
    case 16:
    case 28:
    case 33:
    case 39:
    case 64:
    case 65:
    case 99: return true;
    default: return false;
    }
}

/* RFC 3597 §5: "\# <len> <hex>" ("\# 0" when empty). */
static void rdata_generic(struct text *t, const uint8_t *p, size_t n)
{
    text_fmt(t, "\\# %zu", n);
    if (n) {
        text_put(t, " ", 1);
        text_hex(t, p, n);
    }
}

static void rdata_present(const uint8_t *msg, size_t start, size_t end, uint16_t type,
                          struct dns_rr *rr, uint32_t *events)
{
    struct text t;
    text_init(&t, rr->rdata, sizeof rr->rdata);
    struct rdata_ctx r = {msg, end, start, end, events, &t};
    rr->has_addr = false;
    if (type_is_formatted(type)) {
        if (rdata_typed(&r, type)) {
            if (type == 1 || type == 28) { /* (rdata_typed checked the size) */
                memcpy(rr->addr, msg + start, end - start);
                rr->has_addr = true;
            }
            goto done;
        }
        /* A layout that does not match its type is shown raw, so nothing is hidden. */
        *events |= DNS_EV_BAD_RDATA;
        text_init(&t, rr->rdata, sizeof rr->rdata);
    }
    rdata_generic(&t, msg + start, end - start);
done:
    rr->rdata_truncated = t.full;
}

/* ---------- the message ---------- */

static void parse_header(struct cur *c, struct dns_msg *m)
{
    m->id = cur_be16(c);
    m->flags = cur_be16(c);
    m->qdcount = cur_be16(c);
    m->ancount = cur_be16(c);
    m->nscount = cur_be16(c);
    m->arcount = cur_be16(c);
    uint16_t f = m->flags;
    m->qr = f & 0x8000;
    m->opcode = (uint8_t)(f >> 11 & 0xf);
    m->aa = f & 0x0400;
    m->tc = f & 0x0200;
    m->rd = f & 0x0100;
    m->ra = f & 0x0080;
    m->ad = f & 0x0020;
    m->cd = f & 0x0010;
    m->rcode = (uint16_t)(f & 0xf);
    if (f & 0x0040)
        m->events |= DNS_EV_Z_FLAG;
}

/* Questions; false when the message ended (or a name broke) and parsing must stop. */
static bool parse_questions(const uint8_t *buf, size_t len, struct cur *c, struct dns_msg *m)
{
    char scratch[DNS_NAME_TEXT_MAX];
    for (unsigned i = 0; i < m->qdcount; i++) {
        struct dns_question *q = NULL;
        if (m->n_questions < DNS_MAX_QUESTIONS)
            q = &m->q[m->n_questions];
        else
            m->events |= DNS_EV_TOO_MANY_RECORDS;
        size_t off = c->off;
        if (!read_name(buf, len, &off, q ? q->name : scratch, DNS_NAME_TEXT_MAX, &m->events))
            return false;
        c->off = off;
        uint16_t type = cur_be16(c), qclass = cur_be16(c);
        if (!cur_ok(c)) {
            m->events |= DNS_EV_TRUNCATED;
            return false;
        }
        if (q) {
            q->type = type;
            q->qclass = qclass;
            m->n_questions++;
        }
    }
    return true;
}

/* One resource record of `section` (1 answer, 2 authority, 3 additional). */
static bool parse_rr(const uint8_t *buf, size_t len, struct cur *c, struct dns_msg *m,
                     uint8_t section, char *scratch)
{
    struct dns_rr *rr = NULL;
    if (section != 3) {
        if (m->n_rrs < DNS_MAX_RRS)
            rr = &m->rr[m->n_rrs];
        else
            m->events |= DNS_EV_TOO_MANY_RECORDS;
    }
    size_t off = c->off;
    if (!read_name(buf, len, &off, rr ? rr->name : scratch, DNS_NAME_TEXT_MAX, &m->events))
        return false;
    c->off = off;
    uint16_t type = cur_be16(c), rclass = cur_be16(c);
    uint32_t ttl = cur_be32(c);
    uint16_t rdlen = cur_be16(c);
    size_t start = c->off;
    if (!cur_skip(c, rdlen)) {
        m->events |= DNS_EV_TRUNCATED;
        return false;
    }
    if (section == 3) {
        if (type == DNS_TYPE_OPT && !m->edns) {
            /* RFC 6891 §6.1.3: the 12-bit rcode is EXTENDED-RCODE << 4 | header RCODE. */
            m->edns = true;
            m->edns_udp_size = rclass;
            m->rcode = (uint16_t)((ttl >> 24) << 4 | (m->flags & 0xf));
        }
        return true;
    }
    if (!rr)
        return true;
    rr->type = type;
    rr->rclass = rclass;
    rr->ttl = ttl;
    rr->section = section;
    rdata_present(buf, start, start + rdlen, type, rr, &m->events);
    m->n_rrs++;
    return true;
}

int app_dns_parse(const uint8_t *buf, size_t len, struct dns_msg *out)
{
    /* Everything but the 70 KiB of question/record arrays, whose entries are written whole
     * as they are stored (zeroing them cost more than parsing on DNS-heavy traffic). */
    memset(out, 0, offsetof(struct dns_msg, q));
    memset(&out->edns, 0, sizeof *out - offsetof(struct dns_msg, edns));
    if (!buf || len < DNS_HDR_LEN)
        return MM_EINVAL;
    struct cur c = cur_make(buf, len);
    parse_header(&c, out);

    char scratch[DNS_NAME_TEXT_MAX];
    if (!parse_questions(buf, len, &c, out))
        return MM_OK;
    const uint16_t counts[3] = {out->ancount, out->nscount, out->arcount};
    for (uint8_t s = 0; s < 3; s++)
        for (unsigned i = 0; i < counts[s]; i++)
            if (!parse_rr(buf, len, &c, out, (uint8_t)(s + 1), scratch))
                return MM_OK;
    if (cur_left(&c) > 0)
        out->events |= DNS_EV_TRAILING_DATA;
    return MM_OK;
}

/* ---------- names for EVE ---------- */

struct code_name {
    uint16_t code;
    const char *name;
};

/* IANA "Resource Record (RR) TYPEs" registry (sorted by code). */
static const struct code_name type_names[] = {
    {1, "A"},           {2, "NS"},         {3, "MD"},        {4, "MF"},       {5, "CNAME"},
    {6, "SOA"},         {7, "MB"},         {8, "MG"},        {9, "MR"},       {10, "NULL"},
    {11, "WKS"},        {12, "PTR"},       {13, "HINFO"},    {14, "MINFO"},   {15, "MX"},
    {16, "TXT"},        {17, "RP"},        {18, "AFSDB"},    {19, "X25"},     {20, "ISDN"},
    {21, "RT"},         {22, "NSAP"},      {23, "NSAP-PTR"}, {24, "SIG"},     {25, "KEY"},
    {26, "PX"},         {27, "GPOS"},      {28, "AAAA"},     {29, "LOC"},     {30, "NXT"},
    {31, "EID"},        {32, "NIMLOC"},    {33, "SRV"},      {34, "ATMA"},    {35, "NAPTR"},
    {36, "KX"},         {37, "CERT"},      {38, "A6"},       {39, "DNAME"},   {40, "SINK"},
    {41, "OPT"},        {42, "APL"},       {43, "DS"},       {44, "SSHFP"},   {45, "IPSECKEY"},
    {46, "RRSIG"},      {47, "NSEC"},      {48, "DNSKEY"},   {49, "DHCID"},   {50, "NSEC3"},
    {51, "NSEC3PARAM"}, {52, "TLSA"},      {53, "SMIMEA"},   {55, "HIP"},     {56, "NINFO"},
    {57, "RKEY"},       {58, "TALINK"},    {59, "CDS"},      {60, "CDNSKEY"}, {61, "OPENPGPKEY"},
    {62, "CSYNC"},      {63, "ZONEMD"},    {64, "SVCB"},     {65, "HTTPS"},   {99, "SPF"},
    {100, "UINFO"},     {101, "UID"},      {102, "GID"},     {103, "UNSPEC"}, {104, "NID"},
    {105, "L32"},       {106, "L64"},      {107, "LP"},      {108, "EUI48"},  {109, "EUI64"},
    {249, "TKEY"},      {250, "TSIG"},     {251, "IXFR"},    {252, "AXFR"},   {253, "MAILB"},
    {254, "MAILA"},     {255, "ANY"},      {256, "URI"},     {257, "CAA"},    {258, "AVC"},
    {259, "DOA"},       {260, "AMTRELAY"}, {32768, "TA"},    {32769, "DLV"},
};

/* IANA "DNS RCODEs" (header 4 bits, extended to 12 bits by EDNS). */
static const struct code_name rcode_names[] = {
    {0, "NOERROR"},  {1, "FORMERR"},    {2, "SERVFAIL"}, {3, "NXDOMAIN"},  {4, "NOTIMP"},
    {5, "REFUSED"},  {6, "YXDOMAIN"},   {7, "YXRRSET"},  {8, "NXRRSET"},   {9, "NOTAUTH"},
    {10, "NOTZONE"}, {11, "DSOTYPENI"}, {16, "BADVERS"}, {17, "BADKEY"},   {18, "BADTIME"},
    {19, "BADMODE"}, {20, "BADNAME"},   {21, "BADALG"},  {22, "BADTRUNC"}, {23, "BADCOOKIE"},
};

static const char *lookup(const struct code_name *tab, size_t n, uint16_t code)
{
    for (size_t i = 0; i < n; i++)
        if (tab[i].code == code)
            return tab[i].name;
    return NULL;
}

const char *app_dns_type_name(uint16_t type)
{
    return lookup(type_names, MM_ARRAY_LEN(type_names), type);
}

const char *app_dns_rcode_name(uint16_t rcode)
{
    return lookup(rcode_names, MM_ARRAY_LEN(rcode_names), rcode);
}
