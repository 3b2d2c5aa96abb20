/*
 * EVE "smtp" events (one per mail transaction): "tx_id", the "smtp" envelope and the
 * "email" summary in Suricata's field names; what Suricata does not have goes under
 * "mamori". Field reference: docs/internals/smtp.md, schema docs/eve.schema.json ($defs/smtp_event).
 */
#include "eve_app.h"

#include "app/mime.h"
#include "app/smtp.h"
#include "eve_smtp_int.h"

static const char *const mime_event_names[] = {
    "depth_limit", "parts_limit", "header_limit", "bad_base64",
    "bad_qp",      "no_end_boundary", "long_line",
};

static void put_list(struct jb *jb, const char *key, const char *const *v, uint32_t n,
                     uint32_t max)
{
    if (n == 0)
        return;
    jb_open_array(jb, key);
    for (uint32_t i = 0; i < n && i < max; i++)
        jb_string(jb, NULL, v[i]);
    jb_close_array(jb);
}

static void put_str(struct jb *jb, const char *key, const char *s)
{
    if (s)
        jb_string(jb, key, s);
}

void eve_put_smtp(struct jb *jb, const struct smtp_tx *tx)
{
    jb_uint(jb, "tx_id", tx->tx_id);
    eve_put_smtp_envelope(jb, tx);
    const struct mime_email *e = tx->email;
    if (e) {
        jb_open_object(jb, "email");
        put_str(jb, "status", tx->status);
        put_str(jb, "from", e->from);
        put_list(jb, "to", e->to, e->n_to, MIME_MAX_ADDRS);
        put_list(jb, "cc", e->cc, e->n_cc, MIME_MAX_ADDRS);
        put_str(jb, "subject", e->subject);
        put_str(jb, "date", e->date);
        put_str(jb, "message_id", e->message_id);
        put_str(jb, "x_mailer", e->x_mailer);
        put_list(jb, "attachment", e->attachments, e->n_attachments,
                 (uint32_t)(sizeof e->attachments / sizeof e->attachments[0]));
        jb_close_object(jb);
    }
    jb_open_object(jb, "mamori");
    jb_open_object(jb, "smtp");
    if (tx->mail_params)
        jb_string_bytes(jb, "mail_params", tx->mail_params, tx->mail_params_len);
    if (tx->rcpt_dropped)
        jb_uint(jb, "rcpt_dropped", tx->rcpt_dropped);
    jb_uint(jb, "message_bytes", tx->message_bytes);
    if (tx->reply_code)
        jb_uint(jb, "reply_code", tx->reply_code);
    jb_bool(jb, "bdat", tx->bdat);
    jb_bool(jb, "data_rejected", tx->data_rejected);
    jb_bool(jb, "gaps", tx->gaps);
    if (e) {
        put_str(jb, "content_type", e->content_type);
        jb_uint(jb, "parts", e->n_parts);
        if (e->events) {
            jb_open_array(jb, "mime_events");
            for (unsigned i = 0; i < sizeof mime_event_names / sizeof mime_event_names[0]; i++)
                if (e->events & (1u << i))
                    jb_string(jb, NULL, mime_event_names[i]);
            jb_close_array(jb);
        }
    }
    jb_close_object(jb);
    jb_close_object(jb);
}
