/*
 * Test harness shared by test_smtp.c and test_mime.c: records caught through the public
 * session API and serialised with the EVE writers (records are borrowed for the callback
 * only), scripts of client/server bytes, gaps and ends fed in chunks of a chosen size.
 */
#ifndef MM_TEST_MAIL_HARNESS_H
#define MM_TEST_MAIL_HARNESS_H

#include "app/app.h"
#include "app/file.h"
#include "app/smtp.h"
#include "output/eve_app.h"
#include "output/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CAP_MAX 256

struct cap {
    char *rec[CAP_MAX];
    enum app_record_kind kind[CAP_MAX];
    int n;
    char pw[256]; /* last password the checker saw */
    size_t pw_len;
    int pw_calls;
};

static inline void cap_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                       enum app_record_kind kind, const void *rec)
{
    (void)f;
    (void)ts_ns;
    struct cap *c = user;
    struct jb jb;
    assert_int_equal(jb_init(&jb, 0, 1 << 20), 0);
    jb_open_object(&jb, NULL);
    jb_uint(&jb, "dir", (uint64_t)dir);
    switch (kind) {
    case APP_REC_SMTP:
        jb_string(&jb, "k", "smtp");
        eve_put_smtp(&jb, rec);
        break;
    case APP_REC_FILE: {
        const struct app_file *fi = rec;
        jb_string(&jb, "k", "file");
        eve_put_file(&jb, rec);
        jb_uint(&jb, "head_len", fi->head_len);
        assert_true(fi->head_len <= fi->size);
        break;
    }
    case APP_REC_LOGIN:
        jb_string(&jb, "k", "login");
        eve_put_login(&jb, rec);
        break;
    case APP_REC_ANOMALY:
        jb_string(&jb, "k", "anomaly");
        jb_string(&jb, "event", ((const struct app_anomaly *)rec)->event);
        break;
    default:
        jb_string(&jb, "k", "other");
        break;
    }
    jb_close_object(&jb);
    assert_int_equal(jb_error(&jb), 0);
    if (c->n < CAP_MAX) {
        c->rec[c->n] = strdup(jb_cstr(&jb));
        c->kind[c->n] = kind;
        c->n++;
    }
    jb_fini(&jb);
}

static inline void cap_pw(void *user, const struct app_login *l, const uint8_t *pw, size_t n)
{
    (void)l;
    struct cap *c = user;
    c->pw_len = n < sizeof c->pw ? n : sizeof c->pw - 1;
    memcpy(c->pw, pw, c->pw_len);
    c->pw[c->pw_len] = '\0';
    c->pw_calls++;
}

static inline void cap_free(struct cap *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->rec[i]);
    memset(c, 0, sizeof *c);
}

/* Records of one kind containing every substring given (NULL-terminated list). */
static inline int cap_count(const struct cap *c, enum app_record_kind kind, ...)
{
    int hits = 0;
    for (int i = 0; i < c->n; i++) {
        if (c->kind[i] != kind)
            continue;
        va_list ap;
        va_start(ap, kind);
        bool ok = true;
        const char *s;
        while ((s = va_arg(ap, const char *)) != NULL)
            if (!strstr(c->rec[i], s))
                ok = false;
        va_end(ap);
        hits += ok;
    }
    return hits;
}

static inline bool cap_any_contains(const struct cap *c, const char *s)
{
    for (int i = 0; i < c->n; i++)
        if (strstr(c->rec[i], s))
            return true;
    return false;
}

static inline void cap_dump(const struct cap *c)
{
    for (int i = 0; i < c->n; i++)
        fprintf(stderr, "  [%d] %s\n", i, c->rec[i]);
}

/* Two captures hold the same records in the same order. */
static inline void cap_assert_same(const struct cap *a, const struct cap *b, const char *what)
{
    if (a->n != b->n) {
        fprintf(stderr, "%s: %d records vs %d\n", what, a->n, b->n);
        cap_dump(a);
        cap_dump(b);
        fail();
    }
    for (int i = 0; i < a->n; i++) {
        if (strcmp(a->rec[i], b->rec[i]) != 0) {
            fprintf(stderr, "%s: record %d differs:\n  %s\n  %s\n", what, i, a->rec[i],
                    b->rec[i]);
            fail();
        }
    }
}

/* ---------- scripts ---------- */

enum { STEP_DATA = 0, STEP_GAP, STEP_END };

struct step {
    int dir;          /* 0 client, 1 server; -1 ends the script */
    const char *data; /* NUL-terminated unless len */
    size_t len;       /* bytes of data (0: strlen), or the gap length */
    int what;         /* STEP_DATA, STEP_GAP, STEP_END */
};

#define C(s) {0, s, 0, STEP_DATA}
#define S(s) {1, s, 0, STEP_DATA}
#define CB(p, n) {0, p, n, STEP_DATA}
#define GAP(d, n) {d, NULL, n, STEP_GAP}
#define END(d) {d, NULL, 0, STEP_END}
#define STEPS_END {-1, NULL, 0, STEP_DATA}

/* Chunk sizes: 0 = each step whole, 1 = one byte at a time, else pseudo-random 1..mode. */
static inline size_t next_chunk(unsigned mode, uint32_t *seed, size_t left)
{
    if (mode == 0)
        return left;
    if (mode == 1)
        return 1;
    *seed = *seed * 1103515245u + 12345u;
    size_t k = 1 + (*seed >> 16) % mode;
    return k < left ? k : left;
}

/* Feed bytes in chunks, each copied into an exact-size heap buffer (ASan sees over-reads). */
static inline void feed_chunked(struct app_session *s, int dir, const uint8_t *p, size_t n,
                         unsigned mode, uint32_t *seed)
{
    size_t i = 0;
    while (i < n) {
        size_t k = next_chunk(mode, seed, n - i);
        uint8_t *b = malloc(k);
        assert_non_null(b);
        memcpy(b, p + i, k);
        app_session_data(s, dir, b, k);
        free(b);
        i += k;
    }
}

/* Run a script through a new SMTP session; records go to *c. Returns the session's final
 * protocol. */
static inline enum app_proto run_script(const struct app_config *cfg, const struct step *steps,
                                 unsigned mode, uint32_t seed, struct cap *c)
{
    app_ctx_t *ctx = app_ctx_new(cfg, cap_record, c);
    assert_non_null(ctx);
    app_ctx_set_password_checker(ctx, cap_pw, c);
    struct flow f;
    memset(&f, 0, sizeof f);
    struct app_session *s = app_session_new(ctx, &f);
    enum app_proto p = APP_PROTO_UNKNOWN;
    if (s) {
        app_session_set_proto(s, APP_PROTO_SMTP);
        uint64_t t = 1000;
        for (const struct step *st = steps; st->dir >= 0; st++) {
            app_session_set_time(s, t++);
            if (st->what == STEP_GAP) {
                app_session_gap(s, st->dir, (uint32_t)st->len);
            } else if (st->what == STEP_END) {
                app_session_end(s, st->dir);
            } else {
                size_t n = st->len ? st->len : strlen(st->data);
                feed_chunked(s, st->dir, (const uint8_t *)st->data, n, mode, &seed);
            }
        }
        p = app_session_proto(s);
        app_session_free(s);
    }
    struct app_stats stats;
    app_get_stats(ctx, &stats);
    assert_int_equal(stats.memuse, 0); /* everything charged was given back */
    app_ctx_free(ctx);
    return p;
}

#endif
