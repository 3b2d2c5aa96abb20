/*
 * Files seen in application-layer traffic (mail attachments now, HTTP bodies later): a small
 * builder that a parser opens when a file starts, feeds with the file's decoded bytes in any
 * chunk size, and closes when the file ends. Closing emits one APP_REC_FILE record
 * (struct app_file) through app_emit and frees the builder.
 *
 * While open, a builder keeps: the size, an incremental SHA-256 (OpenSSL EVP), the first
 * app.file_keep_bytes bytes ("head", for detectors) and the first bytes needed by the magic
 * table. All memory except OpenSSL's digest context is charged to app.memcap.
 */
#ifndef MM_APP_FILE_H
#define MM_APP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"

struct app_session;
struct smtp_tx;
struct mime_email;

enum app_file_state {
    APP_FILE_CLOSED = 0, /* the file ended where its framing said it ends */
    APP_FILE_TRUNCATED,  /* the stream stopped first (gap, close, memory, parse stop) */
};

/* One file, as handed to the record callback (APP_REC_FILE); everything is borrowed. */
struct app_file {
    enum app_proto proto;          /* carrying protocol */
    uint64_t tx_id;                /* transaction of the carrying protocol */
    const uint8_t *name;           /* decoded file name (UTF-8 when the charset was known);
                                      not NUL-terminated; name_len 0 when unnamed */
    size_t name_len;
    const char *content_type;      /* declared type, lower case ("application/pdf"), or NULL */
    uint64_t size;                 /* decoded bytes seen (gap bytes not counted) */
    uint8_t sha256[32];            /* valid only when sha256_valid */
    bool sha256_valid;             /* false when there were gaps or the digest failed */
    const char *magic;             /* static text from our magic table, "data" when no entry
                                      matched, NULL for an empty file */
    enum app_file_state state;
    bool gaps;                     /* bytes of the file were missing */
    const uint8_t *head;           /* first min(size, app.file_keep_bytes) bytes */
    size_t head_len;
    /* Optional context for the event (NULL when absent). */
    const struct mime_email *email; /* header summary of the carrying message */
    const struct smtp_tx *smtp;     /* SMTP envelope of the transaction */
};

/* Longest name kept (bytes); longer names are cut. */
#define APP_FILE_NAME_MAX 1024

struct app_file_builder;

/*
 * Start a file. name/name_len (copied, cut at APP_FILE_NAME_MAX) and content_type (copied,
 * may be NULL) describe it. NULL when memory is refused (the caller goes on without a file
 * record and may call app_stop).
 */
struct app_file_builder *app_file_open(struct app_session *s, enum app_proto proto,
                                       uint64_t tx_id, const uint8_t *name, size_t name_len,
                                       const char *content_type);

/* The next n decoded bytes of the file (borrowed). */
void app_file_write(struct app_file_builder *fb, const uint8_t *p, size_t n);

/* n bytes of the file are missing: the digest becomes invalid, gaps is set. */
void app_file_gap(struct app_file_builder *fb, uint64_t n);

/* The record being built, so that the caller can set the context pointers (email, smtp)
 * before closing; they must stay valid until app_file_close returns. */
struct app_file *app_file_record(struct app_file_builder *fb);

/* Finish: compute digest and magic, emit APP_REC_FILE (dir: direction that carried the
 * file), free the builder. Safe with NULL. */
void app_file_close(struct app_file_builder *fb, int dir, bool truncated);

/* Free without emitting (e.g. the session is being torn down by a memory refusal). Safe
 * with NULL. */
void app_file_discard(struct app_file_builder *fb);

/*
 * Our magic-byte table: a static description of data[0..n) (the first bytes of a file), or
 * "data" when nothing matched, or NULL when n is 0. `total` is the file's full size (for
 * types whose signature lies beyond the bytes given).
 */
const char *app_file_magic(const uint8_t *data, size_t n);

#endif
