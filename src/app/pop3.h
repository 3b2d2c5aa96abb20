/*
 * POP3 (RFC 1939; CAPA/PIPELINING RFC 2449; AUTH RFC 5034; STLS RFC 2595): one record per
 * command with its response, emitted when the response is complete (or, without a response,
 * when the connection ends). The server greeting is a record with a response and no request.
 *
 * Logins go out separately through app_login: USER + PASS ("USER/PASS"), APOP ("APOP", no
 * password: the digest is not one), AUTH PLAIN / AUTH LOGIN ("PLAIN" / "LOGIN"; other SASL
 * mechanisms are recorded with their name and no user). A record never holds a password:
 * PASS has no args, AUTH shows only the mechanism.
 *
 * Messages retrieved with RETR / TOP are un-byte-stuffed and fed to the MIME parser
 * (mime.h), which emits their attachments as file records.
 */
#ifndef MM_APP_POP3_H
#define MM_APP_POP3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POP3_MAX_ARGS 4        /* arguments kept per command (RFC 1939 commands take <= 2) */
#define POP3_MAX_DATA_LINES 64 /* multi-line response lines kept (LIST/UIDL/CAPA ...) */

/* Bytes from the wire, not NUL-terminated, borrowed for the record callback only. */
struct pop3_bytes {
    const uint8_t *p;
    size_t len;
};

struct pop3_tx {
    uint64_t tx_id;                         /* 0, 1, ... per flow, in emission order */
    bool has_request;                       /* false for the server greeting */
    struct pop3_bytes command;              /* upper-cased keyword, e.g. "RETR" */
    struct pop3_bytes args[POP3_MAX_ARGS];  /* as sent; never a password */
    uint32_t n_args;
    bool request_truncated;                 /* command line cut at app.max_line_bytes */

    bool has_response;                      /* false: the flow ended before the reply */
    bool success;                           /* "+OK" (else "-ERR") */
    struct pop3_bytes header;               /* first response line, without CRLF */
    struct pop3_bytes data[POP3_MAX_DATA_LINES]; /* multi-line body, dot-unstuffed (not for
                                                    RETR/TOP: that is the message) */
    uint32_t n_data;
    bool data_truncated;                    /* more lines or bytes than kept */
    bool response_truncated;                /* a response line was cut at max_line_bytes */

    bool is_message;                        /* RETR/TOP answered with a message */
    uint64_t message_bytes;                 /* its size after unstuffing, CRLFs included */
    bool message_truncated;                 /* a gap or the end of the flow cut it */
};

#endif
