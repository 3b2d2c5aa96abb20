/*
 * Hyperscan prefilter databases (prefilter.c): one block-mode database of literal fast
 * patterns per inspection buffer; a hit names the rules whose fast pattern it is, which the
 * engine then verifies in full. Compiled databases are cached on disk under a name derived
 * from their content (SHA-256 of the Hyperscan version, the platform and every pattern), so
 * a restart with the same rules deserialises instead of compiling.
 */
#ifndef MM_DETECT_PREFILTER_H
#define MM_DETECT_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

struct det_pf_pattern {
    const uint8_t *lit; /* borrowed for det_pf_build */
    uint32_t len;
    bool nocase;
    uint32_t rule; /* what a hit reports */
};

struct det_pf {
    hs_database_t *db; /* NULL when there were no patterns */
    uint32_t *pat_off; /* pattern i hits rules pat_rules[pat_off[i] .. pat_off[i+1]) */
    uint32_t *pat_rules;
    uint32_t *pat_len; /* length of literal i */
    uint32_t n_pats;   /* distinct literals */
    uint32_t max_len;  /* longest literal */
    uint32_t min_len;  /* shortest literal: a shorter buffer is not scanned */
    uint64_t lead[4];  /* bit per byte value that begins a literal (both cases if nocase) */
    size_t db_bytes;
};

struct det_pf_build_stats {
    uint32_t cache_hits, cache_misses;
};

/* Build from n patterns (identical literals share one database entry). cache_dir NULL or
 * "": no cache. A cache that cannot be read or written only costs a compile (logged once).
 * 0, or a negative mm_err with err set (Hyperscan refused the patterns, no memory). */
int det_pf_build(struct det_pf *pf, const struct det_pf_pattern *pats, size_t n,
                 const char *cache_dir, struct det_pf_build_stats *st, char *err, size_t errlen);
void det_pf_free(struct det_pf *pf);

/* Grow *scratch so it serves this database too. 0 or MM_ENOMEM. */
int det_pf_alloc_scratch(const struct det_pf *pf, hs_scratch_t **scratch);

/*
 * Hyperscan 5.4 on AVX-512 VBMI CPUs reads a byte or two past the end of the buffer it scans
 * (found by fuzz_detect: a SIGSEGV when the buffer ends at an unmapped page). A buffer whose
 * end lies within DET_PF_SLACK bytes of a page end is therefore copied into this per-worker
 * pad, which has that much readable memory after it, before it is scanned.
 */
#define DET_PF_SLACK 64
struct det_pf_pad {
    uint8_t *p;
    size_t cap;
};
void det_pf_pad_free(struct det_pf_pad *pad);

/*
 * A buffer of at most DET_PF_TINY bytes is handed to Hyperscan only when one of its bytes
 * can begin a literal of the database (det_pf.lead): most short buffers (a cookie, a short
 * user agent) hold none, and a Hyperscan call costs more than looking at 64 bytes.
 */
#define DET_PF_TINY 64

typedef void (*det_pf_hit_cb)(void *user, uint32_t rule);
/* Scan buf; cb once per rule of every literal found (a literal at most once per scan). */
void det_pf_scan(const struct det_pf *pf, hs_scratch_t *scratch, struct det_pf_pad *pad,
                 const uint8_t *buf, uint32_t len, det_pf_hit_cb cb, void *user);

/* The same, with where each literal ends in buf (offset just past it) and its length. */
typedef void (*det_pf_end_cb)(void *user, uint32_t rule, uint64_t end, uint32_t len);
void det_pf_scan_ends(const struct det_pf *pf, hs_scratch_t *scratch, struct det_pf_pad *pad,
                      const uint8_t *buf, uint32_t len, det_pf_end_cb cb, void *user);

#endif
