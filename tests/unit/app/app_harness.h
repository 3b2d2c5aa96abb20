/*
 * Test harness shared by the application-layer tests (tests/unit/app/test_*.c): a session
 * driven through the public app API from a script of client/server bytes, gaps and ends,
 * fed whole or cut into chunks (fixed or pseudo-random sizes), with every record caught and
 * written as text through the EVE writers. Records are borrowed for the callback only, so
 * the text is all a test can look at afterwards; it is kept both as one string (compared
 * between chunkings) and record by record (searched per record).
 *
 * The same harness for every parser means one place decides what "the same records for any
 * chunking", "every charge given back" and "every refusal point tried" mean.
 */
#ifndef MM_TEST_APP_HARNESS_H
#define MM_TEST_APP_HARNESS_H

#include "app/app.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define AH_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- captured output ---------- */

struct ah_out;

/* Writes one record as text with ah_add/ah_str. NULL: ah_format_eve. */
typedef void (*ah_format_fn)(struct ah_out *o, int dir, enum app_record_kind kind,
                             const void *rec);

struct ah_out {
    /* Options, kept across ah_out_free and runs. */
    ah_format_fn format;
    enum app_proto anomaly_proto; /* not APP_PROTO_UNKNOWN: every anomaly must carry it */

    /* Results of the last run. */
    char *s; /* every record's text, one after another ("" when none) */
    size_t len, cap;
    char **rec; /* each record's own text */
    enum app_record_kind *kind;
    int n_rec, rec_cap;
    unsigned n[APP_REC_COUNT]; /* records per kind */
    unsigned pw_calls;
    char pw_seen[256]; /* last password handed to the checker */
    char pw_log[256];  /* every password handed to the checker, each followed by '|' */
    size_t pw_log_len;
    unsigned msg_calls; /* messages handed to the message hook */
    char msg_log[512];  /* "<proto> <from>|<subject>|<text bytes>\n" for each */
    size_t msg_log_len;
    enum app_proto final_proto; /* the session's protocol at the end (after a switch) */
    struct app_stats stats;     /* the context's counters just before it was freed */
    app_ctx_t *ctx;
};

void ah_add(struct ah_out *o, const void *p, size_t n);
void ah_str(struct ah_out *o, const char *s);
/* Default format, one line per record: "<dir> <kind> <json>\n", json from the record's EVE
 * writer (an anomaly: {"event":"NAME"}). */
void ah_format_eve(struct ah_out *o, int dir, enum app_record_kind kind, const void *rec);
/* The record callback and password checker a context gets from ah_open, user = the
 * ah_out; for tests that drive contexts themselves. A record must keep the invariants every
 * record keeps (direction 0 or 1, a file's head within its size, the anomaly's protocol
 * when o->anomaly_proto says one); its text goes to o->s and o->rec. */
void ah_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
               enum app_record_kind kind, const void *rec);
void ah_password(void *user, const struct flow *f, const struct app_login *l, const uint8_t *pw,
                 size_t n);
/* The message hook a context gets from ah_open (user = the ah_out): logs each message. */
void ah_message(void *user, const struct flow *f, int dir, uint64_t ts_ns, enum app_proto proto,
                const struct mime_email *e);
/* Frees the results; the options stay. */
void ah_out_free(struct ah_out *o);

/* ---------- scripts ---------- */

enum ah_what { AH_STOP = 0, AH_DATA, AH_GAP, AH_END };

/* Bytes made at run time, referred to from a static script. */
struct ah_bytes {
    const uint8_t *p;
    size_t n;
};

/* One step; a script ends at the first AH_STOP (a zero-initialised step). */
struct ah_step {
    enum ah_what what;
    int dir;                   /* 0 client to server, 1 server to client */
    const char *data;          /* AH_DATA: the bytes (or ref) */
    size_t len;                /* AH_DATA: bytes of data (0: strlen); AH_GAP: gap length */
    const struct ah_bytes *ref; /* AH_DATA with data NULL: the bytes are *ref */
};

#define C(s) {AH_DATA, 0, s, sizeof(s) - 1, NULL}
#define S(s) {AH_DATA, 1, s, sizeof(s) - 1, NULL}
#define CB(p, n) {AH_DATA, 0, p, n, NULL}
#define SB(p, n) {AH_DATA, 1, p, n, NULL}
#define REF(d, r) {AH_DATA, d, NULL, 0, r}
#define GAP(d, n) {AH_GAP, d, NULL, n, NULL}
#define END(d) {AH_END, d, NULL, 0, NULL}
#define STEPS_END {AH_STOP, 0, NULL, 0, NULL}

/* How data is cut: all fields 0: each step whole; size: that many bytes at a time;
 * rand_max: pseudo-random sizes 1..rand_max from seed, and with rand_big one chunk in four
 * 1..rand_big instead (small pieces with now and then a large one). */
struct ah_chunks {
    size_t size;
    unsigned rand_max, rand_big;
    uint32_t seed;
};

/* The next chunk size for `left` bytes (advances ch->seed). */
size_t ah_next_chunk(struct ah_chunks *ch, size_t left);

/* Hand p[0..n) to fn in chunks, each an exact-size heap copy (ASan sees any over-read). */
typedef void (*ah_sink_fn)(void *target, int dir, const uint8_t *p, size_t n);
void ah_feed_to(ah_sink_fn fn, void *target, int dir, const uint8_t *p, size_t n,
                struct ah_chunks *ch);

/* ---------- running ---------- */

/* A new context (cfg NULL: defaults) recording into o (results reset first) and a session
 * of protocol p (APP_PROTO_UNKNOWN: left to detection) on a zeroed flow; NULL when the
 * session was refused (allocation failure). */
struct app_session *ah_open(struct ah_out *o, enum app_proto p, const struct app_config *cfg);
void ah_feed(struct app_session *s, int dir, const uint8_t *p, size_t n, struct ah_chunks *ch);
/* Frees the session (s may be NULL) and the context; asserts every charge was given back. */
void ah_close(struct ah_out *o, struct app_session *s);
/* ah_open, every step of the script cut as ch says (NULL: whole), ah_close. */
void ah_run(struct ah_out *o, enum app_proto p, const struct app_config *cfg,
            const struct ah_step *steps, const struct ah_chunks *ch);

/* The script whole and in every standard chunking (default config): the message hook is
 * called `calls` times each run, and its log (struct ah_out.msg_log) is `log`. */
void ah_check_messages(enum app_proto p, const struct ah_step *steps, unsigned calls,
                       const char *log);

/* The script whole into *whole (its options used for every run), then once per standard
 * chunking (one byte, fixed and random sizes, several seeds): the same records and final
 * protocol every time. */
void ah_run_all(struct ah_out *whole, enum app_proto p, const struct app_config *cfg,
                const struct ah_step *steps, const char *name);

/* Refuse the n-th allocation charge for n = 1, 2, ... until a run needs fewer than n
 * charges (every refusal point tried) or n reaches max; each run must free everything.
 * Returns the last n whose charge happened. */
uint64_t ah_memcap_sweep(enum app_proto p, const struct app_config *cfg,
                         const struct ah_step *steps, uint64_t max);

/* ---------- checks ---------- */

/* Every needle of want[0..n_want) is in o->s and none of never[0..n_never) (both lists
 * stop early at NULL). */
void ah_expect(const struct ah_out *o, const char *const *want, size_t n_want,
               const char *const *never, size_t n_never, const char *name);
#define AH_EXPECT(o, want, never, name) \
    ah_expect(o, want, AH_LEN(want), never, AH_LEN(never), name)

/* Records of `kind` holding every one of has[0..n) (stops early at NULL). */
int ah_count_has(const struct ah_out *o, enum app_record_kind kind, const char *const *has,
                 size_t n);
/* Records of `kind` holding every string of the NULL-terminated argument list. */
int ah_count(const struct ah_out *o, enum app_record_kind kind, ...);
bool ah_contains(const struct ah_out *o, const char *s);
void ah_dump(const struct ah_out *o);
/* Same records in the same order. */
void ah_assert_same(const struct ah_out *a, const struct ah_out *b, const char *what);

/* ---------- tables of conversations ---------- */

enum ah_cfg { AH_CFG_DEFAULT, AH_CFG_SHORT_LINES, AH_CFG_TWO_PENDING };

/* Defaults, then AH_CFG_SHORT_LINES: max_line_bytes 64; AH_CFG_TWO_PENDING: max_pending_tx 2. */
void ah_config(enum ah_cfg k, struct app_config *c);

/* A conversation with what its records must (and must never) contain. */
struct ah_row {
    const char *name;
    const struct ah_step *script;
    enum ah_cfg cfg;
    int n_main, n_login, n_anomaly; /* records of the parser's kind, logins, anomalies */
    const char *want[14];
    const char *never[8];
    const char *last_pw; /* what the password checker saw last (NULL: never called) */
    enum app_proto final_proto;
};

/* Every row through ah_run_all (any chunking, same records), then the whole run checked:
 * strings, counts, the password checker and the final protocol. */
void ah_check_rows(const struct ah_row *rows, size_t n, enum app_proto p,
                   enum app_record_kind main_kind);

#endif
