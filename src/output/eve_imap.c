/*
 * EVE "imap" event members. Suricata has no IMAP event, so everything is under "mamori":
 *   "tx_id": n,
 *   "mamori": {"imap": {"tag": "a1", "command": "LOGIN", "args": ["bob"],
 *                       "status": "OK", "response": "LOGIN completed",
 *                       "untagged": 0, "messages": 0, "message_bytes": 0}}
 * LOGIN shows only the user, AUTHENTICATE only the mechanism (the parser never keeps more).
 * "status" and "response" are absent when the connection ended before the completion.
 */
#include "output/eve_app.h"

#include "app/imap.h"

void eve_put_imap(struct jb *jb, const struct imap_tx *tx)
{
    jb_uint(jb, "tx_id", tx->tx_id);
    jb_open_object(jb, "mamori");
    jb_open_object(jb, "imap");
    jb_string_bytes(jb, "tag", tx->tag.p, tx->tag.len);
    jb_string_bytes(jb, "command", tx->command.p, tx->command.len);
    if (tx->n_args > 0) {
        jb_open_array(jb, "args");
        for (uint32_t i = 0; i < tx->n_args && i < IMAP_MAX_ARGS; i++)
            jb_string_bytes(jb, NULL, tx->args[i].p, tx->args[i].len);
        jb_close_array(jb);
    }
    if (tx->args_truncated)
        jb_bool(jb, "args_truncated", true);
    if (tx->request_truncated)
        jb_bool(jb, "request_truncated", true);
    if (tx->status) {
        jb_string(jb, "status", tx->status);
        jb_string_bytes(jb, "response", tx->response.p, tx->response.len);
    }
    jb_uint(jb, "untagged", tx->n_untagged);
    if (tx->n_messages > 0) {
        jb_uint(jb, "messages", tx->n_messages);
        jb_uint(jb, "message_bytes", tx->message_bytes);
    }
    jb_close_object(jb);
    jb_close_object(jb);
}
