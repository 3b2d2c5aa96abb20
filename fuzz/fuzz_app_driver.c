/*
 * The application-layer fuzz driver (fuzz_app_driver.h).
 */
#include "fuzz_app_driver.h"

#include <stdlib.h>
#include <string.h>

#include "app/file.h"
#include "app/mime.h"
#include "app/smtp.h"
#include "app/tls.h"
#include "output/eve_app.h"
#include "core/json.h"

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

void fad_init(struct fad *z, enum app_proto p, enum fad_framing framing)
{
    memset(z, 0, sizeof *z);
    app_config_defaults(&z->cfg);
    z->proto = p;
    z->framing = framing;
    z->hash = FNV_OFFSET;
}

/* Bounds a record must keep whatever the input; abort() marks the input as a finding. */
static void check_common(int dir, enum app_record_kind kind, const void *rec)
{
    if ((dir != 0 && dir != 1) || (unsigned)kind >= APP_REC_COUNT)
        abort();
    switch (kind) {
    case APP_REC_ANOMALY: {
        const char *ev = ((const struct app_anomaly *)rec)->event;
        for (const char *c = ev; *c; c++)
            if (!((*c >= 'A' && *c <= 'Z') || *c == '_' || (*c >= '0' && *c <= '9')))
                abort();
        break;
    }
    case APP_REC_SMTP: {
        const struct smtp_tx *t = rec;
        if (t->n_rcpt_to > SMTP_MAX_RCPT)
            abort();
        if (t->email && (t->email->n_to > MIME_MAX_ADDRS || t->email->n_cc > MIME_MAX_ADDRS ||
                         t->email->n_attachments > 32))
            abort();
        break;
    }
    case APP_REC_FILE: {
        const struct app_file *fi = rec;
        if (fi->head_len > fi->size || (fi->sha256_valid && fi->gaps) ||
            fi->name_len > APP_FILE_NAME_MAX)
            abort();
        break;
    }
    case APP_REC_TLS: {
        /* the strings the record holds are NUL-terminated within their sizes */
        const struct tls_rec *r = rec;
        if (r->sni_len > TLS_SNI_MAX || !memchr(r->ja3_hash, 0, sizeof r->ja3_hash) ||
            !memchr(r->ja4, 0, sizeof r->ja4) ||
            !memchr(r->cert.serial, 0, sizeof r->cert.serial) ||
            !memchr(r->cert.notbefore, 0, sizeof r->cert.notbefore))
            abort();
        if (r->ja4[0] && strlen(r->ja4) != TLS_JA4_LEN)
            abort();
        break;
    }
    default:
        break;
    }
}

void fad_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                enum app_record_kind kind, const void *rec)
{
    struct fad *z = user;
    static struct jb jb;
    static bool ready;
    if (!ready) {
        eve_http_set_dump_headers(EVE_HTTP_HEADERS_BOTH); /* exercise every writer path */
        if (jb_init(&jb, 0, 1u << 24) != 0)
            abort();
        ready = true;
    }
    if (z->check)
        z->check(z, f, dir, ts_ns, kind, rec);
    check_common(dir, kind, rec);
    jb_reset(&jb);
    jb_open_object(&jb, NULL);
    eve_put_app_record(&jb, kind, rec);
    jb_close_object(&jb);
    if (!jb_complete(&jb))
        abort(); /* a writer failed or left a container open */
    /* FNV-1a over direction, kind and text: two runs over the same bytes must agree */
    uint8_t head[2] = {(uint8_t)dir, (uint8_t)kind};
    for (size_t i = 0; i < sizeof head; i++)
        z->hash = (z->hash ^ head[i]) * FNV_PRIME;
    const uint8_t *p = (const uint8_t *)jb_ptr(&jb);
    for (size_t i = 0; i < jb_len(&jb); i++)
        z->hash = (z->hash ^ p[i]) * FNV_PRIME;
    z->n++;
    z->n_kind[kind]++;
}

uint8_t *fad_copy(const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        abort();
    if (n)
        memcpy(b, p, n);
    return b;
}

struct app_session *fad_begin(struct fad *z)
{
    z->ctx = app_ctx_new(&z->cfg, fad_record, z);
    if (!z->ctx)
        abort();
    z->s = app_session_new(z->ctx, &z->flow);
    if (!z->s)
        abort();
    if (z->proto != APP_PROTO_UNKNOWN)
        app_session_set_proto(z->s, z->proto);
    return z->s;
}

static void feed_copy(struct fad *z, int dir, const uint8_t *p, size_t n)
{
    uint8_t *b = fad_copy(p, n);
    if (z->udp)
        app_session_datagram(z->s, dir, b, n);
    else
        app_session_data(z->s, dir, b, n);
    free(b);
}

void fad_feed(struct fad *z, int dir, const uint8_t *p, size_t n)
{
    if (!z->bytewise) {
        feed_copy(z, dir, p, n);
        return;
    }
    for (size_t k = 0; k < n; k++)
        feed_copy(z, dir, p + k, 1);
}

void fad_finish(struct fad *z)
{
    app_session_free(z->s);
    z->s = NULL;
    struct app_stats st;
    app_get_stats(z->ctx, &st);
    if (st.memuse != 0)
        abort(); /* memory charged and never returned */
    app_ctx_free(z->ctx);
    z->ctx = NULL;
}

/* One operation decoded from the input. */
struct op {
    enum { OP_DATA, OP_GAP, OP_END } what;
    int dir;
    const uint8_t *p; /* OP_DATA: n bytes */
    size_t n;         /* OP_DATA: data length; OP_GAP: gap length */
};

/* The operation at data[*pos..size) in z->framing; false when the input has no more. A data
 * length past the end takes what is left. */
static bool next_op(const struct fad *z, const uint8_t *data, size_t size, size_t *pos,
                    struct op *op)
{
    size_t i = *pos;
    memset(op, 0, sizeof *op);
    switch (z->framing) {
    case FAD_FRAME_LOW_DIR:
        if (i >= size)
            return false;
        op->dir = data[i] & 1;
        op->n = data[i++] >> 1;
        if (op->n == 0) {
            op->what = OP_GAP;
            op->n = 16;
        }
        break;
    case FAD_FRAME_HIGH_DIR:
        if (i >= size)
            return false;
        op->dir = data[i] >> 7;
        op->n = data[i++] & 0x7f;
        if (op->n == 0) {
            uint8_t g = i < size ? data[i++] : 0;
            op->what = g & 0x40 ? OP_END : OP_GAP;
            op->n = 1u + (g & 0x3f);
        }
        break;
    case FAD_FRAME_LEN16:
        if (i + 3 > size)
            return false;
        op->dir = data[i] & 1;
        op->what = data[i] & 2 ? OP_GAP : OP_DATA;
        op->n = (size_t)data[i + 1] << 8 | data[i + 2];
        i += 3;
        break;
    case FAD_FRAME_OP_LEN:
        if (i + 1 >= size)
            return false;
        op->dir = data[i] & 1;
        op->n = data[i + 1];
        if (((data[i] >> 1) & 3) == 2) {
            op->what = OP_GAP;
            op->n += 1;
        } else if (((data[i] >> 1) & 3) == 3) {
            op->what = OP_END;
        }
        i += 2;
        break;
    case FAD_FRAME_LEN6:
        if (i >= size)
            return false;
        op->dir = data[i] >> 7;
        op->n = data[i] & 0x3f;
        if (data[i++] & 0x40) {
            op->what = OP_GAP;
            op->n += 1;
        }
        break;
    }
    if (op->what == OP_DATA) {
        if (op->n > size - i)
            op->n = size - i;
        op->p = data + i;
        i += op->n;
    }
    *pos = i;
    return true;
}

void fad_run(struct fad *z, const uint8_t *data, size_t size)
{
    fad_begin(z);
    size_t i = 0;
    uint64_t ts = 1;
    struct op op;
    while (next_op(z, data, size, &i, &op)) {
        app_session_set_time(z->s, ts++);
        if (op.what == OP_END)
            app_session_end(z->s, op.dir);
        else if (op.what == OP_GAP && !z->udp) /* datagrams have no gaps */
            app_session_gap(z->s, op.dir, (uint32_t)op.n);
        else if (op.what == OP_DATA)
            fad_feed(z, op.dir, op.p, op.n);
    }
    fad_finish(z);
}

void fad_run_small_limits(enum app_proto p, const uint8_t *data, size_t size)
{
    struct fad z;
    fad_init(&z, p, FAD_FRAME_LOW_DIR);
    z.cfg.max_line_bytes = 512;
    z.cfg.max_pending_tx = 8;
    z.cfg.tls_max_record_bytes = 4096;
    fad_run(&z, data, size);
}
