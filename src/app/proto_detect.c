/*
 * Protocol detection from the first bytes of each direction (see app_int.h). Content comes
 * first: "GET / HTTP/1.1" on port 8443 is HTTP and a TLS ClientHello on port 80 is TLS. The
 * server port only settles what content leaves open:
 *   - a "220" banner that names neither FTP nor SMTP: port 21/990/2121 FTP, 25/465/587/2525
 *     SMTP, otherwise the client's first command decides (EHLO → SMTP, USER → FTP);
 *   - "USER" from a client whose server said nothing recognisable: POP3 on 110/995, else FTP
 *     (a POP3 server greets with "+OK", which would have been recognised first);
 *   - DNS over TCP is only looked for on port 53 (a 2-byte length then a DNS header is too
 *     weak a shape to trust elsewhere).
 */
#include "app_int.h"

#include "core/mm.h"

#include <string.h>

/* Does d[0..n) start with lit (case-insensitive for letters)? MATCH, NEED_MORE when d is a
 * prefix of lit, NO otherwise. */
static enum app_detect_result starts(const uint8_t *d, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    size_t m = MM_MIN(n, l);
    for (size_t i = 0; i < m; i++) {
        uint8_t a = d[i], b = (uint8_t)lit[i];
        if (a >= 'a' && a <= 'z')
            a = (uint8_t)(a - 32);
        if (a != b)
            return APP_DETECT_NO;
    }
    return n >= l ? APP_DETECT_MATCH : APP_DETECT_NEED_MORE;
}

static bool contains_ci(const uint8_t *d, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    for (size_t i = 0; i + l <= n; i++)
        if (starts(d + i, l, lit) == APP_DETECT_MATCH)
            return true;
    return false;
}

static bool port_in(uint16_t p, const uint16_t *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == p)
            return true;
    return false;
}

static const uint16_t ftp_ports[] = {21, 990, 2121};
static const uint16_t smtp_ports[] = {25, 465, 587, 2525};
static const uint16_t pop3_ports[] = {110, 995};

/* A TLS record header carrying handshake message type hs_type (1 ClientHello, 2 ServerHello). */
static enum app_detect_result tls_record(const uint8_t *d, size_t n, uint8_t hs_type)
{
    if (n >= 1 && d[0] != 0x16)
        return APP_DETECT_NO;
    if (n >= 2 && d[1] != 0x03)
        return APP_DETECT_NO;
    if (n >= 3 && d[2] > 0x04)
        return APP_DETECT_NO;
    if (n >= 5 && ((d[3] << 8) | d[4]) == 0)
        return APP_DETECT_NO;
    if (n < 6)
        return APP_DETECT_NEED_MORE;
    return d[5] == hs_type ? APP_DETECT_MATCH : APP_DETECT_NO;
}

/* SSLv2-framed ClientHello (old clients offering SSLv3/TLS 1.0 this way). */
static bool sslv2_client_hello(const uint8_t *d, size_t n)
{
    return n >= 5 && (d[0] & 0x80) && d[2] == 0x01 && (d[3] == 0x03 || d[3] == 0x00 || d[3] == 0x02);
}

/* A 2-byte length then a DNS header that is plausible (for DNS over TCP on port 53). */
static enum app_detect_result dns_tcp(const uint8_t *d, size_t n, bool response)
{
    if (n < 2 + 12)
        return APP_DETECT_NEED_MORE;
    size_t len = (size_t)(d[0] << 8 | d[1]);
    bool qr = (d[4] & 0x80) != 0;
    unsigned opcode = (d[4] >> 3) & 0xf;
    unsigned qd = (unsigned)(d[6] << 8 | d[7]);
    if (len < 12 || qr != response || opcode > 6 || qd > 16)
        return APP_DETECT_NO;
    return APP_DETECT_MATCH;
}

/* Printable ASCII only (an IMAP tag and command). */
static bool printable(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] < 0x21 || d[i] > 0x7e)
            return false;
    return true;
}

/* "530 Login incorrect." seen from a connection picked up mid-stream with the roles
 * swapped: a 3-digit FTP/SMTP reply code is not an IMAP tag. */
static bool reply_code(const uint8_t *d, size_t n)
{
    return n >= 4 && d[0] >= '1' && d[0] <= '5' && d[1] >= '0' && d[1] <= '9' && d[2] >= '0' &&
           d[2] <= '9' && (d[3] == ' ' || d[3] == '-');
}

static const char *const http_methods[] = {
    "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "PATCH ", "TRACE ",
    "PROPFIND ", "PROPPATCH ", "MKCOL ", "COPY ", "MOVE ", "LOCK ", "UNLOCK ", "SEARCH ",
    "REPORT ",
};

/* Try one rule inside a detect_* function (locals r, more, proto): return on a match,
 * remember whether more bytes could still make it match. */
#define TRY(expr, p)                                                                           \
    do {                                                                                       \
        r = (expr);                                                                            \
        if (r == APP_DETECT_MATCH) {                                                           \
            *proto = (p);                                                                      \
            return r;                                                                          \
        }                                                                                      \
        more |= r == APP_DETECT_NEED_MORE;                                                     \
    } while (0)

/* Client to server. */
static enum app_detect_result detect_toserver(const uint8_t *d, size_t n, uint16_t sport,
                                              enum app_proto *proto)
{
    bool more = false;
    enum app_detect_result r;


    TRY(tls_record(d, n, 1), APP_PROTO_TLS);
    if (sslv2_client_hello(d, n)) {
        *proto = APP_PROTO_TLS;
        return APP_DETECT_MATCH;
    }
    TRY(starts(d, n, "SSH-"), APP_PROTO_SSH);
    for (size_t i = 0; i < MM_ARRAY_LEN(http_methods); i++)
        TRY(starts(d, n, http_methods[i]), APP_PROTO_HTTP);
    if (sport == 53)
        TRY(dns_tcp(d, n, false), APP_PROTO_DNS);
    TRY(starts(d, n, "EHLO "), APP_PROTO_SMTP);
    TRY(starts(d, n, "HELO "), APP_PROTO_SMTP);
    TRY(starts(d, n, "CAPA"), APP_PROTO_POP3);
    TRY(starts(d, n, "APOP "), APP_PROTO_POP3);
    TRY(starts(d, n, "STLS"), APP_PROTO_POP3);
    TRY(starts(d, n, "FEAT"), APP_PROTO_FTP);
    TRY(starts(d, n, "SYST"), APP_PROTO_FTP);
    TRY(starts(d, n, "AUTH TLS"), APP_PROTO_FTP);
    bool pop3_port = port_in(sport, pop3_ports, MM_ARRAY_LEN(pop3_ports));
    TRY(starts(d, n, "USER "), pop3_port ? APP_PROTO_POP3 : APP_PROTO_FTP);
    /* IMAP: "<tag> <command>" with a command only IMAP has. */
    const uint8_t *sp = memchr(d, ' ', MM_MIN(n, (size_t)32));
    if (sp && sp > d && !reply_code(d, n)) {
        const uint8_t *c = sp + 1;
        size_t cn = n - (size_t)(c - d);
        static const char *const imap_cmds[] = {"CAPABILITY", "LOGIN ", "AUTHENTICATE ",
                                                "STARTTLS", "ID ", "NOOP", "SELECT "};
        for (size_t i = 0; i < MM_ARRAY_LEN(imap_cmds); i++)
            TRY(starts(c, cn, imap_cmds[i]), APP_PROTO_IMAP);
    } else if (n < 32 && printable(d, n)) {
        more = true; /* perhaps a tag still waiting for its command */
    }
    return more ? APP_DETECT_NEED_MORE : APP_DETECT_NO;
}

/* "220" greeting: which of FTP and SMTP. */
static enum app_detect_result banner_220(const uint8_t *d, size_t n, uint16_t sport,
                                         enum app_proto *proto)
{
    const uint8_t *eol = memchr(d, '\n', n);
    size_t line = eol ? (size_t)(eol - d) : n;
    if (contains_ci(d, line, "SMTP") || contains_ci(d, line, "MAIL")) {
        *proto = APP_PROTO_SMTP;
        return APP_DETECT_MATCH;
    }
    if (contains_ci(d, line, "FTP")) {
        *proto = APP_PROTO_FTP;
        return APP_DETECT_MATCH;
    }
    if (!eol)
        return APP_DETECT_NEED_MORE;
    if (port_in(sport, ftp_ports, MM_ARRAY_LEN(ftp_ports))) {
        *proto = APP_PROTO_FTP;
        return APP_DETECT_MATCH;
    }
    if (port_in(sport, smtp_ports, MM_ARRAY_LEN(smtp_ports))) {
        *proto = APP_PROTO_SMTP;
        return APP_DETECT_MATCH;
    }
    return APP_DETECT_NO; /* the client's first command decides */
}

/* Server to client. */
static enum app_detect_result detect_toclient(const uint8_t *d, size_t n, uint16_t sport,
                                              enum app_proto *proto)
{
    bool more = false;
    enum app_detect_result r;
    TRY(starts(d, n, "HTTP/1."), APP_PROTO_HTTP);
    TRY(tls_record(d, n, 2), APP_PROTO_TLS);
    TRY(starts(d, n, "SSH-"), APP_PROTO_SSH);
    TRY(starts(d, n, "+OK"), APP_PROTO_POP3);
    TRY(starts(d, n, "* OK"), APP_PROTO_IMAP);
    TRY(starts(d, n, "* PREAUTH"), APP_PROTO_IMAP);
    if (sport == 53)
        TRY(dns_tcp(d, n, true), APP_PROTO_DNS);
    r = starts(d, n, "220");
    if (r == APP_DETECT_MATCH) {
        r = banner_220(d, n, sport, proto);
        if (r != APP_DETECT_NO)
            return r;
    }
    more |= r == APP_DETECT_NEED_MORE;
    return more ? APP_DETECT_NEED_MORE : APP_DETECT_NO;
}

enum app_detect_result app_detect_tcp(const uint8_t *d, size_t n, int dir, uint16_t sport,
                                      enum app_proto *proto)
{
    if (n == 0)
        return APP_DETECT_NEED_MORE;
    return dir == 0 ? detect_toserver(d, n, sport, proto) : detect_toclient(d, n, sport, proto);
}

enum app_proto app_detect_udp(const uint8_t *d, size_t n, uint16_t cport, uint16_t sport,
                              struct dns_msg *scratch)
{
    if (n < 12)
        return APP_PROTO_UNKNOWN;
    unsigned opcode = (d[2] >> 3) & 0xf;
    unsigned qd = (unsigned)(d[4] << 8 | d[5]);
    if (opcode > 6 || qd > 16)
        return APP_PROTO_UNKNOWN;
    if (sport == 53 || cport == 53)
        return APP_PROTO_DNS;
    /* Elsewhere only a well-formed single-question query counts. */
    if (qd != 1 || (d[2] & 0x80) || app_dns_parse(d, n, scratch) != 0 || scratch->events ||
        scratch->n_questions != 1)
        return APP_PROTO_UNKNOWN;
    return APP_PROTO_DNS;
}
