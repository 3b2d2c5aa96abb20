/*
 * Fuzz target: the HTTP/1.x parser (src/app/http.c) driven through one app session.
 *
 * Input: a sequence of chunks, each a 1-byte header then data. Header bit 7: direction (0 to
 * server, 1 to client); bits 0-6: chunk length (0-127; 0 means a gap of 1-64 bytes, sized by
 * the next byte, unless bit 6 of that byte is set: then the direction ends). Each chunk is
 * copied to an exact-size heap buffer so ASan sees any read past it. Limits are set small so
 * they are reached.
 *
 * Checked: every HTTP record is serialised with eve_put_http and the JSON completes; record
 * invariants hold (header counts with arrays, kept bodies within http_body_limit, decoded
 * body never below the kept length, tx_id increasing from 0 by one); Authorization and
 * Proxy-Authorization values hold the scheme alone (no credentials); the Basic user has no
 * ':'; memory in use returns to 0 after the session is freed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/http.h"
#include "output/eve_app.h"
#include "output/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct jb jb;
static uint64_t next_tx;
static uint32_t body_limit;

static bool ieq(const struct http_str *s, const char *lower)
{
    size_t n = strlen(lower);
    if (!s->p || s->len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s->p[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c + 32);
        if (c != (uint8_t)lower[i])
            return false;
    }
    return true;
}

static void on_record(void *user, const struct flow *f, int dir, uint64_t ts,
                      enum app_record_kind kind, const void *rec)
{
    (void)user;
    (void)f;
    (void)ts;
    if (dir != 0 && dir != 1)
        abort();
    if (kind == APP_REC_LOGIN) {
        const struct app_login *l = rec;
        if (strcmp(l->mechanism, "basic") != 0 || (l->user_len && !l->user))
            abort();
        return;
    }
    if (kind != APP_REC_HTTP)
        return;
    const struct http_tx *tx = rec;
    if (tx->tx_id != next_tx++)
        abort();
    if (tx->n_req_headers && !tx->req_headers)
        abort();
    if (tx->n_resp_headers && !tx->resp_headers)
        abort();
    if (tx->req_body_len > body_limit || tx->resp_body_len > body_limit)
        abort();
    if (tx->req_decoded < tx->req_body_len || tx->resp_decoded < tx->resp_body_len)
        abort();
    if (tx->resp_entity > tx->resp_wire || tx->req_entity > tx->req_wire)
        abort();
    if (tx->status >= 1000 || tx->http_port > 65535)
        abort();
    /* credentials headers are stored as their scheme alone: no blank, so no credentials */
    for (size_t i = 0; i < tx->n_req_headers; i++) {
        const struct http_header *hd = &tx->req_headers[i];
        if (ieq(&hd->name, "authorization") || ieq(&hd->name, "proxy-authorization"))
            if (memchr(hd->value.p, ' ', hd->value.len) || memchr(hd->value.p, '\t', hd->value.len))
                abort();
    }
    /* the Basic user is the part before the first ':' */
    if (tx->basic_auth_user.p && memchr(tx->basic_auth_user.p, ':', tx->basic_auth_user.len))
        abort();
    jb_reset(&jb);
    jb_open_object(&jb, NULL);
    eve_put_http(&jb, tx);
    jb_close_object(&jb);
    if (!jb_complete(&jb) && jb_error(&jb) == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        if (jb_init(&jb, 0, 1 << 24) != 0)
            abort();
        init = true;
    }
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.max_line_bytes = 256;
    cfg.http_max_header_bytes = 1024;
    cfg.http_body_limit = 512;
    cfg.decompress_max_bytes = 1 << 20;
    cfg.decompress_max_ratio = 50;
    cfg.max_pending_tx = 4;
    body_limit = cfg.http_body_limit;
    next_tx = 0;
    app_ctx_t *ctx = app_ctx_new(&cfg, on_record, NULL);
    if (!ctx)
        abort();
    struct flow f;
    memset(&f, 0, sizeof f);
    struct app_session *s = app_session_new(ctx, &f);
    if (!s)
        abort();
    app_session_set_proto(s, APP_PROTO_HTTP);
    size_t i = 0;
    uint64_t ts = 1;
    while (i < size) {
        uint8_t h = data[i++];
        int dir = h >> 7;
        size_t n = h & 0x7f;
        app_session_set_time(s, ts++);
        if (n == 0) {
            uint8_t g = i < size ? data[i++] : 0;
            if (g & 0x40)
                app_session_end(s, dir);
            else
                app_session_gap(s, dir, 1u + (g & 0x3f));
            continue;
        }
        if (n > size - i)
            n = size - i;
        uint8_t *c = malloc(n ? n : 1);
        if (!c)
            abort();
        memcpy(c, data + i, n);
        app_session_data(s, dir, c, n);
        free(c);
        i += n;
    }
    app_session_free(s);
    struct app_stats st;
    app_get_stats(ctx, &st);
    if (st.memuse != 0)
        abort();
    app_ctx_free(ctx);
    return 0;
}
