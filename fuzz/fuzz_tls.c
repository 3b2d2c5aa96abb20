/*
 * Fuzz target: the TLS parser (src/app/tls.c) driven through an app session. The input is a
 * sequence of chunks, each introduced by 3 bytes: direction (low bit; bit 1 set: a gap of
 * that direction instead of data) and a 16-bit big-endian length; the chunk's bytes follow
 * (a short last chunk takes what is left). Each chunk is copied to an exact-size heap buffer
 * so ASan sees a one-byte over-read. app.tls_max_record_bytes is small so limits are hit.
 *
 * Checked: every tls record serialises to complete JSON through eve_put_tls; at most one tls
 * record per flow; the strings the record holds are NUL-terminated within their sizes; the
 * memcap accounting is back to zero once the session is freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/tls.h"
#include "output/eve_app.h"
#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
    struct jb jb;
    int n_tls;
};

static void on_record(void *user, const struct flow *f, int dir, uint64_t ts,
                      enum app_record_kind kind, const void *rec)
{
    (void)f;
    (void)dir;
    (void)ts;
    struct fz *z = user;
    if (kind != APP_REC_TLS)
        return;
    const struct tls_rec *r = rec;
    if (++z->n_tls > 1)
        abort();
    if (r->sni_len > TLS_SNI_MAX || !memchr(r->ja3_hash, 0, sizeof r->ja3_hash) ||
        !memchr(r->ja4, 0, sizeof r->ja4) || !memchr(r->cert.serial, 0, sizeof r->cert.serial) ||
        !memchr(r->cert.notbefore, 0, sizeof r->cert.notbefore))
        abort();
    if (r->ja4[0] && strlen(r->ja4) != TLS_JA4_LEN)
        abort();
    jb_reset(&z->jb);
    jb_open_object(&z->jb, NULL);
    eve_put_tls(&z->jb, r);
    jb_close_object(&z->jb);
    if (!jb_complete(&z->jb))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fz z;
    static bool init;
    if (!init) {
        if (jb_init(&z.jb, 0, 1 << 22))
            abort();
        init = true;
    }
    z.n_tls = 0;
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.tls_max_record_bytes = 4096;
    cfg.memcap_bytes = 1 << 20;
    app_ctx_t *ctx = app_ctx_new(&cfg, on_record, &z);
    if (!ctx)
        abort();
    struct flow f;
    memset(&f, 0, sizeof f);
    struct app_session *s = app_session_new(ctx, &f);
    if (s) {
        app_session_set_proto(s, APP_PROTO_TLS);
        size_t off = 0;
        uint64_t t = 1;
        while (off + 3 <= size) {
            uint8_t ctl = data[off];
            size_t n = (size_t)data[off + 1] << 8 | data[off + 2];
            off += 3;
            app_session_set_time(s, t++);
            if (ctl & 2) {
                app_session_gap(s, ctl & 1, (uint32_t)n);
                continue;
            }
            if (n > size - off)
                n = size - off;
            uint8_t *buf = malloc(n ? n : 1);
            if (!buf)
                abort();
            memcpy(buf, data + off, n);
            app_session_data(s, ctl & 1, buf, n);
            free(buf);
            off += n;
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
