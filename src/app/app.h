/*
 * Application layer: for each flow, find the protocol (by content first, the port only as a
 * hint) and feed the matching parser the reassembled byte streams (TCP) or datagrams (UDP).
 * Parsers turn bytes into records (an HTTP transaction, a DNS message, a TLS handshake, a
 * file, a login attempt ...) and hand them to the record callback given to app_ctx_new; the
 * engine writes them as EVE events and, later, gives them to detection.
 *
 * Engine-facing API here; what a parser sees is in app_parser.h.
 *
 * Memory: every parser allocation is charged to one memcap (app.memcap); a refused charge
 * makes that parser stop for the flow (counted), never a crash. Not thread-safe: one
 * app_ctx per worker thread.
 */
#ifndef MM_APP_APP_H
#define MM_APP_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flow/flow.h"

/* EVE app_proto values, in this order: see app_proto_name(). */
enum app_proto {
    APP_PROTO_UNKNOWN = 0, /* not (yet) known */
    APP_PROTO_HTTP,
    APP_PROTO_TLS,
    APP_PROTO_DNS,
    APP_PROTO_SMTP,
    APP_PROTO_POP3,
    APP_PROTO_IMAP,
    APP_PROTO_FTP,
    APP_PROTO_SSH,
    APP_PROTO_FAILED,      /* looked at enough data and recognised nothing */
    APP_PROTO_COUNT
};

/* "http", "tls", "dns", "smtp", "pop3", "imap", "ftp", "ssh", "failed"; "unknown" for 0. */
const char *app_proto_name(enum app_proto p);

/* Limits and switches. Defaults from app_config_defaults(); all configurable (app.* keys). */
struct app_config {
    bool enabled[APP_PROTO_COUNT];  /* parser on/off per protocol (detection still names it) */
    size_t memcap_bytes;            /* all parser state together; default 128 MiB */
    uint32_t detect_max_bytes;      /* per direction examined before declaring "failed";
                                       default 2048 */
    uint32_t max_line_bytes;        /* longest line a line-based parser buffers (SMTP, POP3,
                                       IMAP, FTP, HTTP header line); longer ones are cut and
                                       counted; default 8192 */
    uint32_t http_max_header_bytes; /* header block per HTTP message; default 64 KiB */
    uint32_t http_body_limit;       /* body bytes kept per HTTP message for rules (after
                                       decompression); default 100 KiB */
    uint32_t decompress_max_bytes;  /* output of one gzip/deflate body; default 8 MiB */
    uint32_t decompress_max_ratio;  /* output/input ratio before the body is cut; default 200 */
    uint32_t max_pending_tx;        /* unanswered pipelined requests per flow; default 32 */
    uint32_t mime_max_depth;        /* multipart nesting; default 10 */
    uint32_t mime_max_parts;        /* parts per message; default 500 */
    uint32_t mime_max_header_bytes; /* header block per message or part; default 64 KiB */
    uint32_t mime_text_keep_bytes;  /* start of a message's text kept for detectors
                                       (mime_email.text); default 4 KiB, 0 = none */
    uint32_t file_keep_bytes;       /* first bytes of each file kept for detectors; default
                                       64 KiB */
    uint32_t tls_max_record_bytes;  /* handshake message buffered across records; default
                                       64 KiB (certificate chains) */
    bool log_login;                 /* write login records as EVE "login" events; default on */
};

void app_config_defaults(struct app_config *cfg);

/* Record kinds a parser emits; `rec` points at the struct named beside each. */
enum app_record_kind {
    APP_REC_DNS = 0, /* struct app_dns_rec (dns_rec.h) */
    APP_REC_HTTP,    /* struct http_tx (http.h) */
    APP_REC_TLS,     /* struct tls_rec (tls.h) */
    APP_REC_SMTP,    /* struct smtp_tx (smtp.h): one mail transaction, with its email */
    APP_REC_POP3,    /* struct pop3_tx (pop3.h) */
    APP_REC_IMAP,    /* struct imap_tx (imap.h) */
    APP_REC_FTP,     /* struct ftp_tx (ftp.h) */
    APP_REC_SSH,     /* struct ssh_rec (ssh.h) */
    APP_REC_FILE,    /* struct app_file (file.h): a file seen in any protocol */
    APP_REC_LOGIN,   /* struct app_login (below) */
    APP_REC_ANOMALY, /* struct app_anomaly (below): malformed or hostile app-layer data */
    APP_REC_COUNT
};

/* Outcome of an authentication attempt. */
enum app_login_outcome { APP_LOGIN_UNKNOWN = 0, APP_LOGIN_SUCCESS, APP_LOGIN_FAILURE };

/*
 * One authentication attempt in any protocol: what the brute-force/spray and weak-password
 * detectors consume. Never holds a password.
 */
struct app_login {
    enum app_proto proto;
    const char *mechanism;  /* "USER/PASS", "APOP", "LOGIN", "PLAIN", "CRAM-MD5", "basic" ...
                               (static string) */
    const uint8_t *user;    /* username as sent (may be empty; not NUL-terminated) */
    size_t user_len;
    enum app_login_outcome outcome;
    uint64_t ts_ns;         /* time of the packet that decided the outcome */
};

/* A protocol violation or a limit hit, as an EVE anomaly of type "applayer". */
struct app_anomaly {
    enum app_proto proto;
    const char *event; /* static upper-case name, e.g. "REQUEST_LINE_TOO_LONG" */
};

/* Where records go. `f` is the flow (client/server view), `dir` the direction of the packet
 * that completed the record, `ts_ns` its time. Everything is borrowed for the call. */
typedef void (*app_record_cb)(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                              enum app_record_kind kind, const void *rec);

/*
 * Optional password checker (weak-password detection): called with a password seen on the
 * wire, the flow it was seen on and the login it belongs to (before the login record). The bytes are borrowed for the call only and are wiped
 * from the parser's buffers afterwards; the checker must not copy them anywhere that
 * outlives the call (no output, log, file or database ever sees a password).
 */
typedef void (*app_password_cb)(void *user, const struct flow *f, const struct app_login *login,
                                const uint8_t *pw, size_t pw_len);

struct mime_email;
/*
 * Optional message hook: called when a mail message carried by SMTP, POP3 or IMAP has ended,
 * with its header summary and the start of its text (struct mime_email, mime.h), whether or
 * not it had attachments. The attachment detector reads there the password of an archive
 * sent in an earlier message. Everything is borrowed for the call.
 */
typedef void (*app_message_cb)(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                               enum app_proto proto, const struct mime_email *email);

struct app_stats {
    uint64_t flows[APP_PROTO_COUNT];      /* flows per detected protocol */
    uint64_t flows_dns_tcp;               /* of flows[APP_PROTO_DNS]: over TCP */
    uint64_t flows_failed_udp;            /* of flows[APP_PROTO_FAILED]: UDP */
    uint64_t records[APP_REC_COUNT];      /* records emitted per kind */
    uint64_t parse_errors[APP_PROTO_COUNT]; /* app-layer anomalies per protocol */
    uint64_t gaps[APP_PROTO_COUNT];       /* stream gaps handed to parsers */
    uint64_t memcap_refused;              /* parser allocations refused by app.memcap */
    uint64_t limits_hit;                  /* any configured app.* limit reached */
    size_t memuse, memuse_peak, memcap;
};

typedef struct app_ctx app_ctx_t;
struct app_session; /* one flow's app-layer state */

/* NULL on startup allocation failure. cfg is copied. */
app_ctx_t *app_ctx_new(const struct app_config *cfg, app_record_cb on_record, void *user);
/* All sessions must have been freed first. */
void app_ctx_free(app_ctx_t *ctx);
void app_ctx_set_password_checker(app_ctx_t *ctx, app_password_cb cb, void *user);
void app_ctx_set_message_hook(app_ctx_t *ctx, app_message_cb cb, void *user);
void app_get_stats(const app_ctx_t *ctx, struct app_stats *out);

/*
 * A session for flow `f` (borrowed; must outlive the session). NULL when the memcap refuses
 * (counted). The protocol is detected from the first bytes unless set with
 * app_session_set_proto (tests, fuzzing, or a protocol known from elsewhere).
 */
struct app_session *app_session_new(app_ctx_t *ctx, const struct flow *f);
void app_session_set_proto(struct app_session *s, enum app_proto p);
enum app_proto app_session_proto(const struct app_session *s);
/* The protocol first detected (differs from app_session_proto after STARTTLS: "smtp" then
 * "tls"), for EVE app_proto_orig. */
enum app_proto app_session_proto_orig(const struct app_session *s);

/* The time of the packet being processed: set before each data call. */
void app_session_set_time(struct app_session *s, uint64_t ts_ns);

/* Stream data in order for direction dir (0 to server, 1 to client), any chunk size. */
void app_session_data(struct app_session *s, int dir, const uint8_t *data, size_t len);
/* len bytes of direction dir are missing. */
void app_session_gap(struct app_session *s, int dir, uint32_t len);
/* Direction dir ended (FIN/RST/flow end). */
void app_session_end(struct app_session *s, int dir);
/* One UDP datagram (DNS). */
void app_session_datagram(struct app_session *s, int dir, const uint8_t *data, size_t len);
/* A pointer the engine keeps with the session (its TCP reassembly state); NULL at first. */
void **app_session_engine_slot(struct app_session *s);
/* Ends both directions if not ended yet, then frees. Safe with NULL. */
void app_session_free(struct app_session *s);

#endif
