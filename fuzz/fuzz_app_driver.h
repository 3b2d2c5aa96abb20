/*
 * Driver shared by the application-layer fuzz targets (fuzz_http.c, fuzz_tls.c, fuzz_smtp.c,
 * fuzz_mime.c, fuzz_pop3.c, fuzz_imap.c, fuzz_ftp.c, fuzz_ssh.c, fuzz_app.c): one context and
 * one session driven by operations decoded from the fuzz input, every chunk copied into an
 * exact-size heap buffer (ASan sees a one-byte over-read), every record checked and written
 * through its EVE writer, and every memcap charge given back at the end.
 *
 * Each target keeps its own input framing (so its seed corpus keeps its meaning); the
 * framings are decoded here, in one place.
 */
#ifndef MM_FUZZ_APP_DRIVER_H
#define MM_FUZZ_APP_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/app.h"
#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* How the input is cut into operations. */
enum fad_framing {
    /* Header byte: bit 0 direction, bits 1-7 length; length 0: a gap of 16 bytes. */
    FAD_FRAME_LOW_DIR,
    /* Header byte: bit 7 direction, bits 0-6 length; length 0: the next byte g ends the
     * direction when bit 6 is set, else is a gap of 1 + (g & 0x3f) bytes. */
    FAD_FRAME_HIGH_DIR,
    /* Three bytes: control (bit 0 direction, bit 1: a gap of the length instead of data),
     * then a 16-bit big-endian length. */
    FAD_FRAME_LEN16,
    /* Two bytes: op (bit 0 direction; bits 1-2: 0/1 data, 2 gap of length + 1, 3 end of the
     * direction), then the length. */
    FAD_FRAME_OP_LEN,
    /* Control byte: bit 7 direction, bit 6 a gap of length + 1 (nothing on UDP) instead of
     * data, bits 0-5 length. */
    FAD_FRAME_LEN6,
};

struct fad {
    /* Set by the target (fad_init gives defaults). */
    struct app_config cfg;
    enum app_proto proto; /* APP_PROTO_UNKNOWN: left to detection */
    struct flow flow;
    bool udp;      /* data as datagrams */
    bool bytewise; /* every data chunk fed one byte at a time */
    enum fad_framing framing;
    app_record_cb check; /* target's own record checks, run before the common ones */

    /* Results: a hash of every record's text (to compare two runs), counts. */
    uint64_t hash;
    uint64_t n;
    unsigned n_kind[APP_REC_COUNT];

    app_ctx_t *ctx;
    struct app_session *s;
};

/* Defaults: app_config_defaults, a zeroed flow, protocol p, the given framing. */
void fad_init(struct fad *z, enum app_proto p, enum fad_framing framing);
/* The record callback fad_begin installs (user = the struct fad): target checks, then the
 * common ones (direction, upper-case anomaly names, SMTP / file / TLS bounds), the EVE
 * writer (must complete), and the hash. */
void fad_record(void *user, const struct flow *f, int dir, uint64_t ts_ns,
                enum app_record_kind kind, const void *rec);
/* An exact-size heap copy of p[0..n) (at least one byte allocated). */
uint8_t *fad_copy(const uint8_t *p, size_t n);

/* Context and session (aborts when either is refused); z->s is the session. */
struct app_session *fad_begin(struct fad *z);
/* Data in one direction: as a copy, or byte by byte when z->bytewise. */
void fad_feed(struct fad *z, int dir, const uint8_t *p, size_t n);
/* Frees session and context; aborts unless every charge was given back. */
void fad_finish(struct fad *z);
/* fad_begin, every operation of data[0..size) in z->framing, fad_finish. */
void fad_run(struct fad *z, const uint8_t *data, size_t size);

/* fad_run of a session of protocol p in FAD_FRAME_LOW_DIR with limits small enough for
 * short inputs to reach them (lines of 512 bytes, 8 pending commands, TLS records of 4 KiB
 * after a switch): the setup of the line-based parsers' targets. */
void fad_run_small_limits(enum app_proto p, const uint8_t *data, size_t size);

#endif
