/*
 * Fuzz target: the application layer as the engine drives it — protocol detection on the
 * first bytes, then whichever parser detection picks (all of them are reachable), DNS over
 * TCP framing, DNS over UDP, gaps and protocol switches, with a small memcap so refusals
 * happen too.
 *
 * Input: byte 0 picks the server port (from a list, so port tie-breaks are reached) and the
 * transport (bit 7: UDP). Then chunks: a control byte (bit 7 direction; bit 6 gap instead of
 * data; bits 0-5 length 0-63) followed by that many bytes.
 *
 * Checked: every byte charged to the memcap is returned once the session is freed, and
 * every record handed out is well formed enough to be written as EVE JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "output/eve_app.h"
#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct jb g_jb;

static void on_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    (void)user;
    (void)f;
    (void)dir;
    (void)ts_ns;
    jb_reset(&g_jb);
    jb_open_object(&g_jb, NULL);
    switch (kind) {
    case APP_REC_DNS: eve_put_dns(&g_jb, rec); break;
    case APP_REC_HTTP: eve_put_http(&g_jb, rec); break;
    case APP_REC_TLS: eve_put_tls(&g_jb, rec); break;
    case APP_REC_SMTP: eve_put_smtp(&g_jb, rec); break;
    case APP_REC_POP3: eve_put_pop3(&g_jb, rec); break;
    case APP_REC_IMAP: eve_put_imap(&g_jb, rec); break;
    case APP_REC_FTP: eve_put_ftp(&g_jb, rec); break;
    case APP_REC_SSH: eve_put_ssh(&g_jb, rec); break;
    case APP_REC_FILE: eve_put_file(&g_jb, rec); break;
    case APP_REC_LOGIN: eve_put_login(&g_jb, rec); break;
    default: break;
    }
    jb_close_object(&g_jb);
    if (!jb_error(&g_jb) && !jb_complete(&g_jb))
        abort(); /* a writer left a container open */
}

static const uint16_t ports[] = {80, 443, 53, 25, 21, 110, 143, 22, 587, 8080, 4000, 990};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!g_jb.max && jb_init(&g_jb, 4096, 1 << 20) != 0)
        abort();
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.memcap_bytes = 256u << 10;
    cfg.detect_max_bytes = 256;
    cfg.max_line_bytes = 512;
    cfg.http_body_limit = 1024;
    cfg.decompress_max_bytes = 64u << 10;
    cfg.file_keep_bytes = 512;
    cfg.tls_max_record_bytes = 16u << 10;
    app_ctx_t *ctx = app_ctx_new(&cfg, on_record, NULL);
    if (!ctx)
        abort();
    struct flow f;
    memset(&f, 0, sizeof f);
    f.client_is_a = true;
    f.key.ip_ver = 4;
    f.key.port_a = 40000;
    f.key.port_b = ports[(data[0] & 0x7f) % (sizeof ports / sizeof ports[0])];
    bool udp = (data[0] & 0x80) != 0;
    f.key.proto = udp ? 17 : 6;
    struct app_session *s = app_session_new(ctx, &f);
    if (!s)
        abort();
    size_t i = 1;
    uint64_t t = 1;
    while (i < size) {
        uint8_t c = data[i++];
        int dir = c >> 7;
        size_t len = c & 0x3f;
        app_session_set_time(s, t++);
        if (c & 0x40) {
            if (!udp)
                app_session_gap(s, dir, (uint32_t)len + 1);
            continue;
        }
        if (len > size - i)
            len = size - i;
        /* An exact-size copy, so ASan sees a one-byte over-read. */
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf)
            abort();
        memcpy(buf, data + i, len);
        if (udp)
            app_session_datagram(s, dir, buf, len);
        else
            app_session_data(s, dir, buf, len);
        free(buf);
        i += len;
    }
    app_session_free(s);
    struct app_stats st;
    app_get_stats(ctx, &st);
    if (st.memuse != 0)
        abort(); /* memory charged and never returned */
    app_ctx_free(ctx);
    return 0;
}
