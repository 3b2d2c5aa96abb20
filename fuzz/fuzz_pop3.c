/*
 * Fuzz target: the POP3 parser (src/app/pop3.c) driven through an app session. The input is a
 * sequence of chunks, each one header byte then data: bit 0 of the header is the direction
 * (0 client, 1 server), bits 1-7 the chunk length (0: a gap of 16 bytes in that direction
 * instead). Every chunk is copied into an exact-size heap buffer so ASan sees a one-byte
 * over-read.
 *
 * Checked: every record serialises through its EVE writer into complete JSON without error,
 * anomaly names are upper-case, and every memcap charge is given back when the session and
 * context are freed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "flow/flow.h"
#include "output/eve_app.h"
#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    (void)f;
    (void)ts_ns;
    struct jb *jb = user;
    if (dir != 0 && dir != 1)
        abort();
    jb_reset(jb);
    jb_open_object(jb, NULL);
    switch (kind) {
    case APP_REC_POP3: eve_put_pop3(jb, rec); break;
    case APP_REC_IMAP: eve_put_imap(jb, rec); break;
    case APP_REC_FTP: eve_put_ftp(jb, rec); break;
    case APP_REC_SSH: eve_put_ssh(jb, rec); break;
    case APP_REC_FILE: eve_put_file(jb, rec); break;
    case APP_REC_LOGIN: eve_put_login(jb, rec); break;
    case APP_REC_ANOMALY: {
        const char *ev = ((const struct app_anomaly *)rec)->event;
        for (const char *c = ev; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || *c == '_' || (*c >= '0' && *c <= '9')))
                abort();
        break;
    }
    default:
        break;
    }
    jb_close_object(jb);
    if (!jb_complete(jb))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct jb jb;
    static bool init;
    if (!init) {
        if (jb_init(&jb, 0, 4u << 20) != 0)
            abort();
        init = true;
    }
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.max_line_bytes = 512; /* small limits so inputs reach them */
    cfg.max_pending_tx = 8;
    cfg.tls_max_record_bytes = 4096;
    app_ctx_t *ctx = app_ctx_new(&cfg, on_record, &jb);
    if (!ctx)
        abort();
    struct flow f;
    memset(&f, 0, sizeof f);
    struct app_session *s = app_session_new(ctx, &f);
    if (s) {
        app_session_set_proto(s, APP_PROTO_POP3);
        size_t i = 0;
        uint64_t ts = 1;
        while (i < size) {
            int dir = data[i] & 1;
            size_t n = data[i] >> 1;
            i++;
            app_session_set_time(s, ts++);
            if (n == 0) {
                app_session_gap(s, dir, 16);
                continue;
            }
            if (n > size - i)
                n = size - i;
            uint8_t *b = malloc(n ? n : 1);
            if (!b)
                abort();
            memcpy(b, data + i, n);
            app_session_data(s, dir, b, n);
            free(b);
            i += n;
        }
        app_session_free(s);
    }
    struct app_stats st;
    app_get_stats(ctx, &st);
    if (st.memuse != 0)
        abort();
    app_ctx_free(ctx);
    return 0;
}
