/*
 * The application-layer test harness (app_harness.h).
 */
#include "app_harness.h"

#include "app/file.h"
#include "app/mime.h"
#include "core/mem.h"
#include "output/eve_app.h"
#include "core/json.h"

/* ---------- captured output ---------- */

void ah_add(struct ah_out *o, const void *p, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        size_t nc = o->cap ? o->cap : 4096;
        while (nc < o->len + n + 1)
            nc *= 2;
        o->s = realloc(o->s, nc);
        assert_non_null(o->s);
        o->cap = nc;
    }
    if (n)
        memcpy(o->s + o->len, p, n);
    o->len += n;
    o->s[o->len] = '\0';
}

void ah_str(struct ah_out *o, const char *s)
{
    ah_add(o, s, strlen(s));
}

static const char *const kind_names[APP_REC_COUNT] = {
    "dns", "http", "tls", "smtp", "pop3", "imap", "ftp", "ssh", "file", "login", "anomaly",
};

void ah_format_eve(struct ah_out *o, int dir, enum app_record_kind kind, const void *rec)
{
    struct jb jb;
    assert_int_equal(jb_init(&jb, 0, 1u << 22), 0);
    jb_open_object(&jb, NULL);
    eve_put_app_record(&jb, kind, rec);
    jb_close_object(&jb);
    assert_true(jb_complete(&jb));
    char head[32];
    int k = snprintf(head, sizeof head, "%d %s ", dir, kind_names[kind]);
    ah_add(o, head, (size_t)k);
    ah_add(o, jb_ptr(&jb), jb_len(&jb));
    ah_add(o, "\n", 1);
    jb_fini(&jb);
}

void ah_out_free(struct ah_out *o)
{
    for (int i = 0; i < o->n_rec; i++)
        free(o->rec[i]);
    free(o->rec);
    free(o->kind);
    free(o->s);
    ah_format_fn format = o->format;
    enum app_proto anomaly_proto = o->anomaly_proto;
    memset(o, 0, sizeof *o);
    o->format = format;
    o->anomaly_proto = anomaly_proto;
}

void ah_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    (void)f;
    (void)ts_ns;
    struct ah_out *o = user;
    assert_true(dir == 0 || dir == 1);
    assert_true((unsigned)kind < APP_REC_COUNT);
    if (kind == APP_REC_FILE) {
        const struct app_file *fi = rec;
        assert_true(fi->head_len <= fi->size);
    }
    if (kind == APP_REC_ANOMALY && o->anomaly_proto != APP_PROTO_UNKNOWN)
        assert_int_equal(((const struct app_anomaly *)rec)->proto, o->anomaly_proto);
    o->n[kind]++;
    size_t at = o->len;
    (o->format ? o->format : ah_format_eve)(o, dir, kind, rec);
    if (o->n_rec == o->rec_cap) {
        o->rec_cap = o->rec_cap ? 2 * o->rec_cap : 16;
        o->rec = realloc(o->rec, (size_t)o->rec_cap * sizeof *o->rec);
        o->kind = realloc(o->kind, (size_t)o->rec_cap * sizeof *o->kind);
        assert_non_null(o->rec);
        assert_non_null(o->kind);
    }
    char *t = malloc(o->len - at + 1);
    assert_non_null(t);
    if (o->len > at)
        memcpy(t, o->s + at, o->len - at);
    t[o->len - at] = '\0';
    o->rec[o->n_rec] = t;
    o->kind[o->n_rec++] = kind;
}

void ah_message(void *user, const struct flow *f, int dir, uint64_t ts_ns, enum app_proto proto,
                const struct mime_email *e)
{
    (void)f;
    (void)ts_ns;
    struct ah_out *o = user;
    assert_true(dir == 0 || dir == 1);
    assert_non_null(e);
    o->msg_calls++;
    size_t room = sizeof o->msg_log - o->msg_log_len;
    int k = snprintf(o->msg_log + o->msg_log_len, room, "%s %s|%s|%u\n", app_proto_name(proto),
                     e->from ? e->from : "-", e->subject ? e->subject : "-", e->text_len);
    if (k > 0)
        o->msg_log_len += (size_t)k < room ? (size_t)k : room - 1;
}

void ah_password(void *user, const struct flow *f, const struct app_login *l, const uint8_t *pw,
                 size_t n)
{
    (void)f;
    (void)l;
    struct ah_out *o = user;
    o->pw_calls++;
    size_t c = n < sizeof o->pw_seen - 1 ? n : sizeof o->pw_seen - 1;
    memcpy(o->pw_seen, pw, c);
    o->pw_seen[c] = '\0';
    c = n < sizeof o->pw_log - o->pw_log_len - 2 ? n : sizeof o->pw_log - o->pw_log_len - 2;
    memcpy(o->pw_log + o->pw_log_len, pw, c);
    o->pw_log_len += c;
    o->pw_log[o->pw_log_len++] = '|';
    o->pw_log[o->pw_log_len] = '\0';
}

/* ---------- chunks ---------- */

size_t ah_next_chunk(struct ah_chunks *ch, size_t left)
{
    size_t k = left;
    if (ch && ch->size) {
        k = ch->size;
    } else if (ch && ch->rand_max) {
        ch->seed = ch->seed * 1103515245u + 12345u;
        uint32_t r = ch->seed >> 16;
        k = ch->rand_big && r % 4 == 0 ? 1 + r % ch->rand_big : 1 + r % ch->rand_max;
    }
    return k < left ? k : left;
}

void ah_feed_to(ah_sink_fn fn, void *target, int dir, const uint8_t *p, size_t n,
                struct ah_chunks *ch)
{
    size_t i = 0;
    while (i < n) {
        size_t k = ah_next_chunk(ch, n - i);
        uint8_t *b = malloc(k);
        assert_non_null(b);
        memcpy(b, p + i, k);
        fn(target, dir, b, k);
        free(b);
        i += k;
    }
}

static void session_sink(void *target, int dir, const uint8_t *p, size_t n)
{
    app_session_data(target, dir, p, n);
}

void ah_feed(struct app_session *s, int dir, const uint8_t *p, size_t n, struct ah_chunks *ch)
{
    ah_feed_to(session_sink, s, dir, p, n, ch);
}

/* ---------- running ---------- */

struct app_session *ah_open(struct ah_out *o, enum app_proto p, const struct app_config *cfg)
{
    ah_out_free(o);
    ah_str(o, ""); /* an empty run still has a string to search */
    struct app_config c;
    if (cfg)
        c = *cfg;
    else
        app_config_defaults(&c);
    o->ctx = app_ctx_new(&c, ah_record, o);
    assert_non_null(o->ctx);
    app_ctx_set_password_checker(o->ctx, ah_password, o);
    app_ctx_set_message_hook(o->ctx, ah_message, o);
    struct flow f;
    memset(&f, 0, sizeof f);
    struct app_session *s = app_session_new(o->ctx, &f);
    if (s && p != APP_PROTO_UNKNOWN)
        app_session_set_proto(s, p);
    return s;
}

void ah_close(struct ah_out *o, struct app_session *s)
{
    if (s) {
        o->final_proto = app_session_proto(s);
        app_session_free(s);
    }
    app_get_stats(o->ctx, &o->stats);
    assert_int_equal(o->stats.memuse, 0); /* every charge was given back */
    app_ctx_free(o->ctx);
    o->ctx = NULL;
}

void ah_run(struct ah_out *o, enum app_proto p, const struct app_config *cfg,
            const struct ah_step *steps, const struct ah_chunks *ch)
{
    struct app_session *s = ah_open(o, p, cfg);
    if (s) {
        struct ah_chunks state = {0};
        if (ch)
            state = *ch;
        uint64_t ts = 1000;
        for (const struct ah_step *st = steps; st->what != AH_STOP; st++) {
            app_session_set_time(s, ts++);
            if (st->what == AH_GAP) {
                app_session_gap(s, st->dir, (uint32_t)st->len);
            } else if (st->what == AH_END) {
                app_session_end(s, st->dir);
            } else if (st->data) {
                size_t n = st->len ? st->len : strlen(st->data);
                ah_feed(s, st->dir, (const uint8_t *)st->data, n, &state);
            } else if (st->ref) {
                ah_feed(s, st->dir, st->ref->p, st->ref->n, &state);
            }
        }
    }
    ah_close(o, s);
}

/* The union of the chunkings the parsers' tests have used: fixed sizes, small random sizes
 * (several ranges and seeds), and mostly small sizes mixed with large ones. */
static const struct ah_chunks standard_chunks[] = {
    {.size = 1}, {.size = 2}, {.size = 3}, {.size = 7}, {.size = 64},
    {.rand_max = 17, .seed = 7919}, {.rand_max = 17, .seed = 15838},
    {.rand_max = 17, .seed = 23757}, {.rand_max = 17, .seed = 31676},
    {.rand_max = 2, .seed = 1}, {.rand_max = 5, .seed = 2}, {.rand_max = 17, .seed = 3},
    {.rand_max = 64, .seed = 1}, {.rand_max = 64, .seed = 2}, {.rand_max = 64, .seed = 3},
    {.rand_max = 97, .seed = 1}, {.rand_max = 97, .seed = 2}, {.rand_max = 97, .seed = 3},
    {.rand_max = 13, .rand_big = 600, .seed = 12345},
};

void ah_check_messages(enum app_proto p, const struct ah_step *steps, unsigned calls,
                       const char *log)
{
    for (size_t i = 0; i <= AH_LEN(standard_chunks); i++) {
        struct ah_out o = {0};
        ah_run(&o, p, NULL, steps, i ? &standard_chunks[i - 1] : NULL);
        assert_int_equal(o.msg_calls, calls);
        assert_string_equal(o.msg_log, log);
        ah_out_free(&o);
    }
}

void ah_run_all(struct ah_out *whole, enum app_proto p, const struct app_config *cfg,
                const struct ah_step *steps, const char *name)
{
    ah_run(whole, p, cfg, steps, NULL);
    struct ah_out other = {.format = whole->format, .anomaly_proto = whole->anomaly_proto};
    for (size_t i = 0; i < AH_LEN(standard_chunks); i++) {
        ah_run(&other, p, cfg, steps, &standard_chunks[i]);
        char what[160];
        snprintf(what, sizeof what, "%s, chunking %zu", name, i);
        ah_assert_same(whole, &other, what);
        if (other.final_proto != whole->final_proto) {
            fprintf(stderr, "%s: final proto %d vs %d\n", what, (int)other.final_proto,
                    (int)whole->final_proto);
            fail();
        }
    }
    ah_out_free(&other);
}

uint64_t ah_memcap_sweep(enum app_proto p, const struct app_config *cfg,
                         const struct ah_step *steps, uint64_t max)
{
    static const struct ah_chunks ch = {.rand_max = 17, .seed = 7};
    uint64_t tried = 0;
    struct ah_out o = {0};
    for (uint64_t n = 1; n < max; n++) {
        mem_fault_at(n);
        ah_run(&o, p, cfg, steps, &ch);
        uint64_t charges = mem_fault_charges();
        mem_fault_at(0);
        ah_out_free(&o);
        if (charges < n)
            break; /* the n-th charge never happened: every refusal point was tried */
        tried = n;
    }
    mem_fault_at(0);
    return tried;
}

/* ---------- checks ---------- */

void ah_expect(const struct ah_out *o, const char *const *want, size_t n_want,
               const char *const *never, size_t n_never, const char *name)
{
    const char *s = o->s ? o->s : "";
    for (size_t i = 0; i < n_want && want[i]; i++) {
        if (!strstr(s, want[i])) {
            fprintf(stderr, "%s: missing %s\nin:\n%s", name, want[i], s);
            fail();
        }
    }
    for (size_t i = 0; i < n_never && never[i]; i++) {
        if (strstr(s, never[i])) {
            fprintf(stderr, "%s: unexpected %s\nin:\n%s", name, never[i], s);
            fail();
        }
    }
}

int ah_count_has(const struct ah_out *o, enum app_record_kind kind, const char *const *has,
                 size_t n)
{
    int hits = 0;
    for (int i = 0; i < o->n_rec; i++) {
        if (o->kind[i] != kind)
            continue;
        bool ok = true;
        for (size_t j = 0; j < n && has[j]; j++)
            if (!strstr(o->rec[i], has[j]))
                ok = false;
        hits += ok;
    }
    return hits;
}

int ah_count(const struct ah_out *o, enum app_record_kind kind, ...)
{
    const char *has[16];
    size_t n = 0;
    va_list ap;
    va_start(ap, kind);
    const char *s;
    while ((s = va_arg(ap, const char *)) != NULL) {
        assert_true(n < AH_LEN(has));
        has[n++] = s;
    }
    va_end(ap);
    return ah_count_has(o, kind, has, n);
}

bool ah_contains(const struct ah_out *o, const char *s)
{
    return o->s && strstr(o->s, s) != NULL;
}

void ah_dump(const struct ah_out *o)
{
    for (int i = 0; i < o->n_rec; i++)
        fprintf(stderr, "  [%d] %s\n", i, o->rec[i]);
}

void ah_assert_same(const struct ah_out *a, const struct ah_out *b, const char *what)
{
    if (a->n_rec != b->n_rec) {
        fprintf(stderr, "%s: %d records vs %d\n", what, a->n_rec, b->n_rec);
        ah_dump(a);
        ah_dump(b);
        fail();
    }
    for (int i = 0; i < a->n_rec; i++) {
        if (a->kind[i] != b->kind[i] || strcmp(a->rec[i], b->rec[i]) != 0) {
            fprintf(stderr, "%s: record %d differs:\n  %s\n  %s\n", what, i, a->rec[i],
                    b->rec[i]);
            fail();
        }
    }
}

/* ---------- tables of conversations ---------- */

void ah_config(enum ah_cfg k, struct app_config *c)
{
    app_config_defaults(c);
    if (k == AH_CFG_SHORT_LINES)
        c->max_line_bytes = 64;
    if (k == AH_CFG_TWO_PENDING)
        c->max_pending_tx = 2;
}

void ah_check_rows(const struct ah_row *rows, size_t n, enum app_proto p,
                   enum app_record_kind main_kind)
{
    for (size_t i = 0; i < n; i++) {
        const struct ah_row *r = &rows[i];
        struct app_config c;
        ah_config(r->cfg, &c);
        struct ah_out o = {0};
        ah_run_all(&o, p, &c, r->script, r->name);
        AH_EXPECT(&o, r->want, r->never, r->name);
        if ((r->n_main >= 0 && o.n[main_kind] != (unsigned)r->n_main) ||
            (r->n_login >= 0 && o.n[APP_REC_LOGIN] != (unsigned)r->n_login) ||
            (r->n_anomaly >= 0 && o.n[APP_REC_ANOMALY] != (unsigned)r->n_anomaly)) {
            fprintf(stderr, "%s: counts %s %u login %u anomaly %u\n%s", r->name,
                    kind_names[main_kind], o.n[main_kind], o.n[APP_REC_LOGIN],
                    o.n[APP_REC_ANOMALY], o.s);
            fail();
        }
        if (r->last_pw ? strcmp(o.pw_seen, r->last_pw) != 0 : o.pw_calls != 0) {
            fprintf(stderr, "%s: checker saw \"%s\" (%u calls)\n%s", r->name, o.pw_seen,
                    o.pw_calls, o.s);
            fail();
        }
        if (o.final_proto != r->final_proto) {
            fprintf(stderr, "%s: final proto %d\n", r->name, (int)o.final_proto);
            fail();
        }
        ah_out_free(&o);
    }
}
