/*
 * Fuzz target: the HTTP/1.x parser (src/app/http.c) driven through one app session.
 *
 * Input: a sequence of chunks, each a 1-byte header then data. Header bit 7: direction (0 to
 * server, 1 to client); bits 0-6: chunk length (0-127; 0 means a gap of 1-64 bytes, sized by
 * the next byte, unless bit 6 of that byte is set: then the direction ends). Each chunk is
 * copied to an exact-size heap buffer so ASan sees any read past it. Limits are set small so
 * they are reached.
 *
 * Checked: every record is serialised with its EVE writer and the JSON completes
 * (fuzz_app_driver.c); HTTP record invariants hold (header counts with arrays, kept bodies
 * within http_body_limit, decoded body never below the kept length, tx_id increasing from 0
 * by one); Authorization and Proxy-Authorization values hold the scheme alone (no
 * credentials); the Basic user has no ':'; memory in use returns to 0 after the session is
 * freed.
 */
#include <stdlib.h>
#include <string.h>

#include "app/http.h"
#include "fuzz_app_driver.h"

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

/* HTTP's own checks, before the driver's common ones. */
static void check_http(void *user, const struct flow *f, int dir, uint64_t ts,
                       enum app_record_kind kind, const void *rec)
{
    (void)user;
    (void)f;
    (void)dir;
    (void)ts;
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
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fad z;
    fad_init(&z, APP_PROTO_HTTP, FAD_FRAME_HIGH_DIR);
    z.cfg.max_line_bytes = 256;
    z.cfg.http_max_header_bytes = 1024;
    z.cfg.http_body_limit = 512;
    z.cfg.decompress_max_bytes = 1 << 20;
    z.cfg.decompress_max_ratio = 50;
    z.cfg.max_pending_tx = 4;
    z.check = check_http;
    body_limit = z.cfg.http_body_limit;
    next_tx = 0;
    fad_run(&z, data, size);
    return 0;
}
