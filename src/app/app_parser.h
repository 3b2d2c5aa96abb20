/*
 * What a protocol parser sees of the application layer (app.h is the engine's side).
 *
 * A parser is a table of hooks. The app layer creates the parser's per-flow state when the
 * flow's protocol is known and then hands it the bytes of each direction in order, in
 * chunks of any size (one byte at a time must give the same records as the whole stream at
 * once: parsers keep their own partial-line/partial-message state). Records go out through
 * app_emit(); logins through app_login(); protocol violations through app_anomaly().
 *
 * Rules every parser follows:
 *   - every read bounds-checked; hostile bytes give an anomaly and a resync or a stop, never
 *     a crash or an unbounded buffer;
 *   - all memory from app_alloc()/app_calloc()/app_realloc() (charged to app.memcap); a NULL
 *     return means "stop parsing this flow" (call app_stop()), not a crash;
 *   - passwords are only ever passed to app_login() and then wiped (explicit_bzero) from any
 *     buffer that held them;
 *   - a record's pointers are borrowed by the callback for the call only.
 */
#ifndef MM_APP_APP_PARSER_H
#define MM_APP_APP_PARSER_H

#include "app/app.h"

struct app_parser {
    enum app_proto proto;
    /* State for one flow, or NULL when memory was refused (the parser is then off for the
     * flow). May be NULL itself for a stateless parser. */
    void *(*state_new)(struct app_session *s);
    /* Free everything (records still pending may be emitted first). */
    void (*state_free)(struct app_session *s, void *st);
    /* In-order stream bytes of direction dir (0 client to server, 1 server to client). */
    void (*data)(struct app_session *s, void *st, int dir, const uint8_t *data, size_t len);
    /* len bytes of dir are missing: resynchronise (or stop) and go on after them. */
    void (*gap)(struct app_session *s, void *st, int dir, uint32_t len);
    /* Direction dir ended: finish what it held (e.g. a body delimited by the close). */
    void (*end)(struct app_session *s, void *st, int dir);
};

/* The registered parsers (each defined in its own file). */
extern const struct app_parser app_parser_http;
extern const struct app_parser app_parser_tls;
extern const struct app_parser app_parser_dns_tcp;
extern const struct app_parser app_parser_smtp;
extern const struct app_parser app_parser_pop3;
extern const struct app_parser app_parser_imap;
extern const struct app_parser app_parser_ftp;
extern const struct app_parser app_parser_ssh;

/* Settings and the flow the session belongs to. */
const struct app_config *app_cfg(const struct app_session *s);
const struct flow *app_flow(const struct app_session *s);
/* Time of the packet being processed (for records). */
uint64_t app_time(const struct app_session *s);

/* Memory charged to app.memcap. NULL when refused (counted) or malloc fails. app_realloc
 * keeps p unchanged on failure. n / old_n / new_n must be the exact sizes allocated. */
void *app_alloc(struct app_session *s, size_t n);
void *app_calloc(struct app_session *s, size_t n);
void *app_realloc(struct app_session *s, void *p, size_t old_n, size_t new_n);
void app_free(struct app_session *s, void *p, size_t n);

/* Hand a record to the engine (dir: the direction that completed it). */
void app_emit(struct app_session *s, int dir, enum app_record_kind kind, const void *rec);

/*
 * A login attempt. The app layer fills l->proto and l->ts_ns, passes pw (when not NULL) to
 * the password checker, and emits the APP_REC_LOGIN record. The caller then wipes pw.
 */
void app_login(struct app_session *s, int dir, struct app_login *l, const uint8_t *pw,
               size_t pw_len);

/* A protocol violation or limit hit: counted per protocol, emitted as an applayer anomaly.
 * event: static upper-case name. */
void app_anomaly(struct app_session *s, int dir, const char *event);
/* A mail message has ended (mime.c): hands its summary to the message hook, if any. */
void app_message(struct app_session *s, int dir, const struct mime_email *email);

/* A configured limit was reached (counted in app stats "limits_hit"). */
void app_limit_hit(struct app_session *s);

/* This parser is done with the flow (hopeless data, memory refused): no more calls except
 * state_free. */
void app_stop(struct app_session *s);

/* The connection switches protocol (STARTTLS after the server's go-ahead): data after the
 * current call goes to the parser of p (state created then). */
void app_switch_proto(struct app_session *s, enum app_proto p);

#endif
