/*
 * TLS handshake parser (RFC 5246, RFC 8446; an SSLv2-compatible ClientHello is recognised):
 * one struct tls_rec per flow with what the cleartext handshake shows, SNI, ALPN, the
 * server's first certificate (TLS <= 1.2 only: TLS 1.3 encrypts it), JA3, JA3S and JA4.
 * The parser itself is app_parser_tls (app_parser.h); docs/internals/tls.md has the details.
 *
 * The record is borrowed by the record callback for the call only: every pointer in it
 * belongs to the parser's per-flow state.
 */
#ifndef MM_APP_TLS_H
#define MM_APP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Protocol version numbers as on the wire. */
#define TLS_V_SSL2 0x0002
#define TLS_V_SSL3 0x0300
#define TLS_V_10 0x0301
#define TLS_V_11 0x0302
#define TLS_V_12 0x0303
#define TLS_V_13 0x0304

#define TLS_SNI_MAX 255        /* SNI bytes kept (a DNS name is at most 253) */
#define TLS_DN_MAX 1024        /* subject / issuer text kept, cut beyond */
#define TLS_SERIAL_MAX 64      /* serial octets shown (RFC 5280 allows 20) */
#define TLS_SAN_MAX 256        /* subjectAltName DNS names kept */
#define TLS_JA4_LEN 36         /* "t13d1516h2_8daaf6152771_e5627efa2ab1" */
#define TLS_DATE_LEN 19        /* "YYYY-MM-DDTHH:MM:SS" */
#define TLS_CERTS_MAX 10       /* DER certificates of the chain kept for rules (tls.certs) */

/*
 * A list of byte strings: n items, each stored as a 2-byte big-endian length and the bytes
 * (any bytes, not NUL-terminated). Walk it with tls_list_next().
 */
struct tls_list {
    uint8_t *buf; /* NULL when empty */
    uint32_t len; /* bytes used */
    uint32_t cap; /* bytes allocated */
    uint16_t n;
};

/* Iterate: *off starts at 0; returns false after the last item. */
bool tls_list_next(const struct tls_list *l, uint32_t *off, const uint8_t **p, uint16_t *n);

/* The first certificate of the server's chain. Strings are NUL-terminated. */
struct tls_cert {
    char *subject;        /* "C=US, O=Org, CN=name" in certificate order (Suricata's form) */
    char *issuer;
    size_t subject_cap, issuer_cap;
    char serial[TLS_SERIAL_MAX * 3 + 1];   /* "0A:1B:..." upper-case, DER content octets */
    char fingerprint[20 * 3];              /* SHA-1 of the DER, "ab:cd:..." */
    char notbefore[TLS_DATE_LEN + 1];      /* UTC; "" when not representable */
    char notafter[TLS_DATE_LEN + 1];
    struct tls_list san;                   /* subjectAltName dNSName entries */
};

struct tls_rec {
    /* What was seen. */
    bool client_hello;     /* a ClientHello was parsed (fully or in part) */
    bool server_hello;     /* a ServerHello (not a HelloRetryRequest) was parsed */
    bool hrr;              /* the server sent a HelloRetryRequest */
    bool sslv2_hello;      /* the ClientHello was in SSLv2-compatible form */
    bool resumed;          /* abbreviated handshake (<= 1.2) or PSK accepted (1.3) */
    bool handshake_done;   /* ChangeCipherSpec / encrypted data reached in both roles */
    bool gap;              /* a stream gap ended parsing: the rest is unknown */
    bool has_cert;         /* cert below is filled in */
    bool has_cipher;

    uint16_t version;        /* negotiated (ServerHello, supported_versions); 0 unknown */
    uint16_t client_version; /* ClientHello legacy_version */
    uint16_t cipher;         /* chosen by the server */
    uint16_t n_certs;        /* certificates in the server's Certificate message */

    uint8_t sni[TLS_SNI_MAX]; /* first host_name of server_name */
    uint16_t sni_len;
    bool has_sni;

    struct tls_list client_alpns, server_alpns;

    char *ja3;     /* "771,4865-4866,0-23,29-23,0" NUL-terminated; NULL if none */
    size_t ja3_cap;
    char ja3_hash[33];
    char *ja3s;
    size_t ja3s_cap;
    char ja3s_hash[33];
    char ja4[TLS_JA4_LEN + 1]; /* "" if none */

    struct tls_cert cert;
    /* The DER of each certificate of the server's chain (TLS <= 1.2), in order: the first
     * TLS_CERTS_MAX, each at most 65535 bytes (what rules' tls.certs inspects). */
    struct tls_list certs;
};

/* "TLS 1.2", "TLS 1.3", "TLSv1", "TLS 1.1", "SSLv3", "SSLv2", "UNDETERMINED" (0) or
 * "0x%04x" into buf for anything else (Suricata's names). buf: at least 16 bytes. */
const char *tls_version_name(uint16_t v, char *buf, size_t n);

/* GREASE values (RFC 8701): 0x0a0a, 0x1a1a ... 0xfafa. */
static inline bool tls_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

#endif
