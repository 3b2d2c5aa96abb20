/*
 * SMTP (RFC 5321) transaction records: what the SMTP parser (smtp.c) hands to the record
 * callback as APP_REC_SMTP, one per mail transaction (MAIL FROM up to the reply to the end
 * of DATA or to BDAT LAST; a transaction cut short by RSET, a new MAIL, or the end of the
 * connection is emitted then). Written to EVE by eve_put_smtp (event_type "smtp").
 */
#ifndef MM_APP_SMTP_H
#define MM_APP_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mime_email;

#define SMTP_MAX_RCPT 64 /* RCPT TO addresses kept per transaction; more are counted */

/* Everything is borrowed for the callback; strings carry lengths (bytes from the wire). */
struct smtp_tx {
    uint64_t tx_id;                  /* 0, 1, ... per connection */
    const uint8_t *helo;             /* HELO/EHLO argument, NULL when none was seen */
    size_t helo_len;
    const uint8_t *mail_from;        /* MAIL FROM address without <>, NULL when none */
    size_t mail_from_len;
    const uint8_t *mail_params;      /* MAIL FROM parameters after the address (SIZE=, BODY=
                                        ...), NULL when none */
    size_t mail_params_len;
    const uint8_t *rcpt_to[SMTP_MAX_RCPT]; /* RCPT TO addresses without <> */
    size_t rcpt_to_len[SMTP_MAX_RCPT];
    uint32_t n_rcpt_to;              /* <= SMTP_MAX_RCPT */
    uint32_t rcpt_dropped;           /* RCPT TO beyond SMTP_MAX_RCPT */
    const struct mime_email *email;  /* the message's summary, NULL when no DATA/BDAT */
    const char *status;              /* email status (mime_status), NULL when no message */
    uint64_t message_bytes;          /* message bytes after dot-unstuffing / BDAT framing */
    uint16_t reply_code;             /* server reply to the end of the message (0: none) */
    bool bdat;                       /* the message came in BDAT chunks */
    bool data_rejected;              /* the server refused DATA/BDAT */
    bool gaps;                       /* stream bytes of this transaction were missing */
};

#endif
