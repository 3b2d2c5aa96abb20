/*
 * EVE "fileinfo" events: "app_proto", "fileinfo" in Suricata's field names (filename, gaps,
 * state, sha256, stored, size, tx_id, magic from our own table), the "smtp" envelope for
 * files carried by SMTP, and "mamori": {"content_type"} when the part declared one.
 */
#include "eve_app.h"

#include "app/file.h"
#include "eve_smtp_int.h"

void eve_put_file(struct jb *jb, const struct app_file *f)
{
    static const char hex[] = "0123456789abcdef";
    jb_string(jb, "app_proto", app_proto_name(f->proto));
    jb_open_object(jb, "fileinfo");
    jb_string_bytes(jb, "filename", f->name ? f->name : (const uint8_t *)"",
                    f->name ? f->name_len : 0);
    jb_bool(jb, "gaps", f->gaps);
    jb_string(jb, "state", f->state == APP_FILE_TRUNCATED ? "TRUNCATED" : "CLOSED");
    if (f->sha256_valid) {
        char h[65];
        for (int i = 0; i < 32; i++) {
            h[2 * i] = hex[f->sha256[i] >> 4];
            h[2 * i + 1] = hex[f->sha256[i] & 15];
        }
        h[64] = '\0';
        jb_string(jb, "sha256", h);
    }
    jb_bool(jb, "stored", false);
    jb_uint(jb, "size", f->size);
    jb_uint(jb, "tx_id", f->tx_id);
    if (f->magic)
        jb_string(jb, "magic", f->magic);
    jb_close_object(jb);
    if (f->smtp)
        eve_put_smtp_envelope(jb, f->smtp);
    if (f->content_type) {
        jb_open_object(jb, "mamori");
        jb_string(jb, "content_type", f->content_type);
        jb_close_object(jb);
    }
}
