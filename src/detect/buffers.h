/*
 * The app-layer buffers of one inspection (buffers.c): which record is inspected, the
 * current item of a multi-valued buffer (a DNS question name, an SMTP recipient), and what
 * was already looked up or built. One per worker, begun again for every inspection.
 */
#ifndef MM_DETECT_BUFFERS_H
#define MM_DETECT_BUFFERS_H

#include <stdbool.h>
#include <stdint.h>

#include "app/app.h"
#include "detect/detect_int.h"
#include "detect/rule.h"

struct arena_block;

struct det_bufs {
    enum app_record_kind kind;
    const void *rec;          /* NULL: no record (packet or stream inspection) */
    int dir;                  /* SSH: which side's banner/software the buffers show */
    const uint8_t *item;      /* DNS question name / SMTP recipient / TLS certificate being
                                 inspected */
    uint32_t item_len;
    uint8_t state[DET_BUF_COUNT]; /* 0 not looked up, 1 present, 2 absent */
    const uint8_t *p[DET_BUF_COUNT];
    uint32_t len[DET_BUF_COUNT];
    struct {
        uint16_t buf;
        det_xform_chain xform;
        const uint8_t *p;
        uint32_t len;
    } xc[16];                 /* transformed buffers built in this inspection */
    uint32_t n_xc;
    uint8_t msg_state[2];     /* det_bufs_http_message per direction: 0/1/2 as state[] */
    const uint8_t *msg[2];
    uint32_t msg_len[2];
    struct arena_block *arena;
    size_t arena_total;
    uint64_t arena_refused;   /* buffers not built: the per-inspection bound was reached */
};

/* Start an inspection of `rec` (NULL for packets/stream chunks). Zero-initialise a
 * struct det_bufs once before the first call. */
void det_bufs_begin(struct det_bufs *b, enum app_record_kind kind, const void *rec, int dir);
/* The current value of the multi-valued buffer of this record kind. */
void det_bufs_set_item(struct det_bufs *b, const uint8_t *p, uint32_t len);
/* A buffer of the record, after `xform`; false when absent. */
bool det_bufs_lookup(struct det_bufs *b, enum det_buf buf, det_xform_chain xform,
                     const uint8_t **p, uint32_t *len);
/*
 * HTTP records: the message of direction dir rebuilt as it was sent (start line, headers,
 * blank line, then the kept body, de-chunked and decoded): what payload content in an HTTP
 * rule inspects. false when that side is absent.
 */
bool det_bufs_http_message(struct det_bufs *b, int dir, const uint8_t **p, uint32_t *len);

/* For an HTTP record: whether its http.user_agent, if it has one, is one request header's
 * value as sent (a User-Agent sent once), so that its bytes are part of http.header (see
 * det_point.hdr_pf). False for other records and for a User-Agent sent twice. */
bool det_bufs_ua_in_header(const struct det_bufs *b);
/* Frees the arena (the struct itself belongs to the caller). */
void det_bufs_free(struct det_bufs *b);

#endif
