/*
 * IMAP (RFC 9051, RFC 3501; LITERAL+ RFC 7888; SASL-IR RFC 4959; STARTTLS): one record per
 * tagged command with its tagged completion ("a1 OK ..."), emitted when the completion
 * arrives (or, without it, when the connection ends).
 *
 * Logins go out through app_login: LOGIN user password ("LOGIN"), AUTHENTICATE PLAIN /
 * LOGIN ("PLAIN" / "LOGIN"; other SASL mechanisms by name, without a user), with the outcome
 * of the tagged reply (OK success, NO/BAD failure). A record never holds a password: LOGIN
 * shows only the user, AUTHENTICATE only the mechanism.
 *
 * Message literals of FETCH responses (BODY[], BODY.PEEK[] answers, RFC822, BINARY[]) are fed
 * to the MIME parser (mime.h), which emits their attachments as file records.
 */
#ifndef MM_APP_IMAP_H
#define MM_APP_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAP_MAX_ARGS 16 /* arguments kept per command (after tag and command) */

/* Bytes from the wire, not NUL-terminated, borrowed for the record callback only. */
struct imap_bytes {
    const uint8_t *p;
    size_t len;
};

struct imap_tx {
    uint64_t tx_id;                          /* 0, 1, ... per flow, in emission order */
    struct imap_bytes tag;
    struct imap_bytes command;               /* upper-cased, e.g. "FETCH" */
    struct imap_bytes args[IMAP_MAX_ARGS];   /* atoms, unquoted strings, literal contents,
                                                parenthesised lists as written; never a
                                                password */
    uint32_t n_args;
    bool args_truncated;                     /* more arguments than kept */
    bool request_truncated;                  /* command cut at app.max_line_bytes */
    const char *status;                      /* "OK", "NO", "BAD" (static), NULL when the
                                                flow ended first */
    struct imap_bytes response;              /* text after the status */
    uint32_t n_untagged;                     /* untagged ("*") responses while it ran */
    uint32_t n_messages;                     /* message literals fed to MIME */
    uint64_t message_bytes;                  /* their total size */
};

#endif
