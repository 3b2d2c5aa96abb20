/*
 * Private to the SMTP and file EVE writers: the "smtp" envelope object, written into SMTP
 * events and, for files carried by SMTP, into fileinfo events (as Suricata does).
 */
#ifndef MM_OUTPUT_EVE_SMTP_INT_H
#define MM_OUTPUT_EVE_SMTP_INT_H

#include "app/smtp.h"
#include "core/json.h"

#include <string.h>

/* An envelope address as Suricata writes it: inside angle brackets ("<a@b.example>"); the
 * parser keeps it without them. Addresses beyond the buffer are written bare. */
static inline void eve_put_smtp_addr(struct jb *jb, const char *key, const uint8_t *p, size_t n)
{
    uint8_t buf[1026];
    if (n + 2 > sizeof buf) {
        jb_string_bytes(jb, key, p, n);
        return;
    }
    buf[0] = '<';
    memcpy(buf + 1, p, n);
    buf[n + 1] = '>';
    jb_string_bytes(jb, key, buf, n + 2);
}

/* "smtp": {"helo", "mail_from", "rcpt_to": [...]}; absent members are left out (Suricata's
 * schema wants non-empty arrays). */
static inline void eve_put_smtp_envelope(struct jb *jb, const struct smtp_tx *tx)
{
    jb_open_object(jb, "smtp");
    if (tx->helo)
        jb_string_bytes(jb, "helo", tx->helo, tx->helo_len);
    if (tx->mail_from)
        eve_put_smtp_addr(jb, "mail_from", tx->mail_from, tx->mail_from_len);
    if (tx->n_rcpt_to > 0) {
        jb_open_array(jb, "rcpt_to");
        for (uint32_t i = 0; i < tx->n_rcpt_to && i < SMTP_MAX_RCPT; i++)
            eve_put_smtp_addr(jb, NULL, tx->rcpt_to[i], tx->rcpt_to_len[i]);
        jb_close_array(jb);
    }
    jb_close_object(jb);
}

#endif
