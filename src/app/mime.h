/*
 * Internet message (RFC 5322) and MIME (RFC 2045-2049) parser shared by SMTP, POP3 and IMAP:
 * fed the raw message bytes in chunks of any size, it collects the header fields of the
 * message (From, To, Cc, Subject, Date, Message-ID, X-Mailer ...), walks multipart bodies
 * (nesting up to app.mime_max_depth, at most app.mime_max_parts parts), decodes base64 and
 * quoted-printable parts, and turns every attachment (and every named or non-text part) into
 * a file (file.h): name from Content-Disposition filename / Content-Type name, with RFC 2231
 * continuations and charsets and RFC 2047 encoded words decoded; size; SHA-256; type from
 * magic bytes; the first app.file_keep_bytes bytes. Each file is emitted as an APP_REC_FILE
 * record as soon as its part ends.
 *
 * The feeding protocol removes its own framing first (SMTP dot-stuffing and the final ".",
 * POP3 byte-stuffing, IMAP literal counts).
 */
#ifndef MM_APP_MIME_H
#define MM_APP_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

struct app_session;

#define MIME_MAX_ADDRS 32 /* To/Cc addresses stored per message */

/* What the message's top-level header said (strings NUL-terminated, owned by the parser,
 * valid until mime_free; RFC 2047 encoded words decoded to UTF-8; NULL when absent). */
struct mime_email {
    const char *from;
    const char *to[MIME_MAX_ADDRS];
    uint32_t n_to;
    const char *cc[MIME_MAX_ADDRS];
    uint32_t n_cc;
    const char *subject;
    const char *date;
    const char *message_id;
    const char *x_mailer;
    const char *content_type;      /* top-level type, e.g. "multipart/mixed" */
    const char *attachments[32];   /* file names seen, in order (for EVE email.attachment) */
    uint32_t n_attachments;
    uint32_t n_parts;              /* MIME parts seen */
    uint32_t events;               /* MIME_EV_* */
    bool body_md5_valid;
    /* The start of the message's own text: the decoded bytes of its text parts that are not
     * files (text/plain, text/html, untyped), in order, app.mime_text_keep_bytes at most; in
     * the part's charset, as sent. For detectors (the attachment detector reads an archive's
     * password there). NULL, text_len 0: no text yet, or keeping is off. */
    const uint8_t *text;
    uint32_t text_len;
};

enum {
    MIME_EV_DEPTH_LIMIT = 1u << 0,   /* multipart nested deeper than mime_max_depth */
    MIME_EV_PARTS_LIMIT = 1u << 1,   /* more parts than mime_max_parts */
    MIME_EV_HEADER_LIMIT = 1u << 2,  /* header block longer than mime_max_header_bytes */
    MIME_EV_BAD_BASE64 = 1u << 3,    /* invalid characters or padding in base64 */
    MIME_EV_BAD_QP = 1u << 4,        /* invalid quoted-printable escape */
    MIME_EV_NO_END_BOUNDARY = 1u << 5, /* message ended inside a multipart */
    MIME_EV_LONG_LINE = 1u << 6,     /* a line longer than max_line_bytes */
};

struct mime_parser;

/* NULL when memory is refused. proto: the carrying protocol (for file records). */
struct mime_parser *mime_new(struct app_session *s, enum app_proto proto);
/* Message bytes in order, any chunk size. dir: the direction carrying the message. */
void mime_feed(struct mime_parser *m, int dir, const uint8_t *data, size_t len);
/* The message ended (truncated: it did not end cleanly, e.g. a gap or a closed
 * connection): open files are emitted (TRUNCATED when truncated). */
void mime_end(struct mime_parser *m, int dir, bool truncated);
/* The header summary so far (valid until mime_free). */
const struct mime_email *mime_email(const struct mime_parser *m);
void mime_free(struct mime_parser *m);

/* ---- Additions for the carrying protocols (the declarations above are fixed) ---- */

struct smtp_tx;

/* n bytes of the message are missing (a stream gap): the open file gets gaps (no SHA-256),
 * the line in progress is dropped, parsing goes on after the gap. */
void mime_gap(struct mime_parser *m, int dir, uint64_t n);
/* Transaction id written into file records (default 0). */
void mime_set_tx_id(struct mime_parser *m, uint64_t tx_id);
/* SMTP envelope to attach to file records as context (borrowed; NULL to clear). */
void mime_set_smtp(struct mime_parser *m, const struct smtp_tx *tx);
/* Parse state as Suricata's email.status names it: "HEADER_STARTED", "HEADER_READY",
 * "BODY_STARTED", "PARSE_DONE" (mime_end without truncation) or "PARSE_ERROR" (truncated
 * inside the header). Static string. */
const char *mime_status(const struct mime_parser *m);

#endif
