/*
 * EVE "pop3" event members (Suricata's pop3 object):
 *   "tx_id": n,
 *   "pop3": {"request": {"command": "RETR", "args": ["1"]},
 *            "response": {"header": "+OK 120 octets", "status": "OK", "success": true,
 *                         "data": ["..."]}},
 *   "mamori": {"pop3": {"message_bytes": n, ...}}      (only when something is to say)
 * PASS never has args and AUTH shows only its mechanism (the parser does not keep them).
 */
#include "output/eve_app.h"

#include "app/pop3.h"

void eve_put_pop3(struct jb *jb, const struct pop3_tx *tx)
{
    jb_uint(jb, "tx_id", tx->tx_id);
    jb_open_object(jb, "pop3");
    if (tx->has_request) {
        jb_open_object(jb, "request");
        jb_string_bytes(jb, "command", tx->command.p, tx->command.len);
        if (tx->n_args > 0) {
            jb_open_array(jb, "args");
            for (uint32_t i = 0; i < tx->n_args && i < POP3_MAX_ARGS; i++)
                jb_string_bytes(jb, NULL, tx->args[i].p, tx->args[i].len);
            jb_close_array(jb);
        }
        jb_close_object(jb);
    }
    if (tx->has_response) {
        jb_open_object(jb, "response");
        jb_string_bytes(jb, "header", tx->header.p, tx->header.len);
        jb_string(jb, "status", tx->success ? "OK" : "ERR");
        jb_bool(jb, "success", tx->success);
        if (tx->n_data > 0) {
            jb_open_array(jb, "data");
            for (uint32_t i = 0; i < tx->n_data && i < POP3_MAX_DATA_LINES; i++)
                jb_string_bytes(jb, NULL, tx->data[i].p, tx->data[i].len);
            jb_close_array(jb);
        }
        jb_close_object(jb);
    }
    jb_close_object(jb);

    bool extra = tx->is_message || tx->request_truncated || tx->response_truncated ||
                 tx->data_truncated || !tx->has_response;
    if (!extra)
        return;
    jb_open_object(jb, "mamori");
    jb_open_object(jb, "pop3");
    if (tx->is_message) {
        jb_uint(jb, "message_bytes", tx->message_bytes);
        if (tx->message_truncated)
            jb_bool(jb, "message_truncated", true);
    }
    if (tx->request_truncated)
        jb_bool(jb, "request_truncated", true);
    if (tx->response_truncated)
        jb_bool(jb, "response_truncated", true);
    if (tx->data_truncated)
        jb_bool(jb, "data_truncated", true);
    if (!tx->has_response)
        jb_bool(jb, "response_received", false);
    jb_close_object(jb);
    jb_close_object(jb);
}
