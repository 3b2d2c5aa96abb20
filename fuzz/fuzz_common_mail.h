/*
 * Shared by fuzz_smtp.c and fuzz_mime.c: a record callback that serialises every record with
 * its EVE writer (the builder must never fail on any input), checks record invariants, and
 * folds the text into a hash so that two runs over the same bytes can be compared.
 */
#ifndef MM_FUZZ_COMMON_MAIL_H
#define MM_FUZZ_COMMON_MAIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/file.h"
#include "app/mime.h"
#include "app/smtp.h"
#include "output/eve_app.h"
#include "output/json.h"

struct fz {
    uint64_t hash;
    uint64_t n;
};

static inline void fz_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    (void)f;
    (void)ts_ns;
    struct fz *z = user;
    static struct jb jb;
    static int ready;
    if (!ready) {
        if (jb_init(&jb, 0, 4u << 20) != 0)
            abort();
        ready = 1;
    }
    jb_reset(&jb);
    jb_open_object(&jb, NULL);
    jb_uint(&jb, "dir", (uint64_t)dir);
    jb_uint(&jb, "kind", (uint64_t)kind);
    switch (kind) {
    case APP_REC_SMTP: {
        const struct smtp_tx *t = rec;
        if (t->n_rcpt_to > SMTP_MAX_RCPT)
            abort();
        if (t->email && (t->email->n_to > MIME_MAX_ADDRS || t->email->n_cc > MIME_MAX_ADDRS ||
                         t->email->n_attachments > 32))
            abort();
        eve_put_smtp(&jb, t);
        break;
    }
    case APP_REC_FILE: {
        const struct app_file *fi = rec;
        if (fi->head_len > fi->size || (fi->sha256_valid && fi->gaps) ||
            fi->name_len > APP_FILE_NAME_MAX)
            abort();
        eve_put_file(&jb, fi);
        break;
    }
    case APP_REC_LOGIN:
        eve_put_login(&jb, rec);
        break;
    case APP_REC_ANOMALY:
        jb_string(&jb, "event", ((const struct app_anomaly *)rec)->event);
        break;
    default:
        break;
    }
    jb_close_object(&jb);
    if (!jb_complete(&jb))
        abort();
    const uint8_t *p = (const uint8_t *)jb_ptr(&jb);
    for (size_t i = 0; i < jb_len(&jb); i++)
        z->hash = (z->hash ^ p[i]) * 1099511628211ull;
    z->n++;
}

/* Exact-size heap copy so that ASan sees a one-byte over-read. */
static inline void fz_feed(struct app_session *s, int dir, const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        abort();
    memcpy(b, p, n);
    app_session_data(s, dir, b, n);
    free(b);
}

#endif
