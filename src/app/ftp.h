/*
 * FTP control connection (RFC 959; AUTH TLS RFC 2228/4217; EPRT/EPSV RFC 2428): one record
 * per command with every reply up to its final (non-1xx) reply, emitted when that reply
 * arrives (or, without it, when the connection ends). Replies the server sends without a
 * command (the 220 greeting, a 421 before closing) are records without a command.
 *
 * The data connection's port is taken from PORT / EPRT (active) and from the 227 / 229
 * replies to PASV / EPSV (passive). USER + PASS give a login (app_login, "USER/PASS": 2xx
 * success, 4xx/5xx failure); the PASS argument is never part of a record. AUTH TLS (or SSL)
 * answered with 234 hands the connection to the TLS parser.
 */
#ifndef MM_APP_FTP_H
#define MM_APP_FTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FTP_MAX_REPLY_LINES 32 /* reply lines kept per command */
#define FTP_MAX_REPLIES 8      /* replies (completion codes) kept per command */

/* Bytes from the wire, not NUL-terminated, borrowed for the record callback only. */
struct ftp_bytes {
    const uint8_t *p;
    size_t len;
};

struct ftp_tx {
    uint64_t tx_id;                 /* 0, 1, ... per flow, in emission order */
    bool has_command;               /* false for replies without a command (greeting) */
    struct ftp_bytes command;       /* upper-cased, e.g. "RETR" */
    bool has_command_data;          /* false for PASS and for commands without argument */
    struct ftp_bytes command_data;  /* the rest of the line after the command and a space */
    bool command_truncated;         /* the command line was cut at app.max_line_bytes */

    bool reply_received;            /* a final (non-1xx) reply arrived */
    struct ftp_bytes reply[FTP_MAX_REPLY_LINES]; /* reply text, the code and separator removed */
    uint32_t n_reply;
    char completion_code[FTP_MAX_REPLIES][4];    /* "220", NUL-terminated; one per reply */
    uint32_t n_codes;
    bool reply_truncated;           /* lines cut or more lines than kept */

    bool has_dynamic_port;          /* PORT/EPRT/PASV/EPSV gave a data port */
    uint16_t dynamic_port;
    const char *mode;               /* "active", "passive" or NULL (static) */
};

#endif
