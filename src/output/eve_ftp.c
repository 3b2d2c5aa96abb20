/*
 * EVE "ftp" event members (Suricata's ftp object):
 *   "tx_id": n,
 *   "ftp": {"command": "PORT", "command_data": "10,0,0,1,4,1", "reply": ["PORT ok"],
 *           "completion_code": ["200"], "dynamic_port": 1025, "mode": "active",
 *           "reply_received": "yes"}
 * "command_data" is absent for PASS (the parser never keeps the password). "reply" and
 * "completion_code" are written only when not empty (Suricata's schema wants minItems 1).
 */
#include "output/eve_app.h"

#include "app/ftp.h"

void eve_put_ftp(struct jb *jb, const struct ftp_tx *tx)
{
    jb_uint(jb, "tx_id", tx->tx_id);
    jb_open_object(jb, "ftp");
    if (tx->has_command) {
        jb_string_bytes(jb, "command", tx->command.p, tx->command.len);
        if (tx->has_command_data)
            jb_string_bytes(jb, "command_data", tx->command_data.p, tx->command_data.len);
    }
    if (tx->n_reply > 0) {
        jb_open_array(jb, "reply");
        for (uint32_t i = 0; i < tx->n_reply && i < FTP_MAX_REPLY_LINES; i++)
            jb_string_bytes(jb, NULL, tx->reply[i].p, tx->reply[i].len);
        jb_close_array(jb);
    }
    if (tx->n_codes > 0) {
        jb_open_array(jb, "completion_code");
        for (uint32_t i = 0; i < tx->n_codes && i < FTP_MAX_REPLIES; i++)
            jb_string(jb, NULL, tx->completion_code[i]);
        jb_close_array(jb);
    }
    if (tx->has_dynamic_port)
        jb_uint(jb, "dynamic_port", tx->dynamic_port);
    if (tx->mode)
        jb_string(jb, "mode", tx->mode);
    jb_string(jb, "reply_received", tx->reply_received ? "yes" : "no");
    if (tx->command_truncated)
        jb_bool(jb, "command_truncated", true);
    if (tx->reply_truncated)
        jb_bool(jb, "reply_truncated", true);
    jb_close_object(jb);
}
