/*
 * TCP stream reassembly (see stream.h and docs/internals/stream.md).
 *
 * Per direction we keep the next expected sequence number and a queue of the data seen ahead
 * of it, sorted by sequence number and never overlapping. A segment is trimmed to what is
 * new, its in-order part is delivered straight from the caller's buffer, queued data that
 * became contiguous is delivered after it, and whatever is still ahead of a hole is copied
 * into fixed-size blocks (STREAM_BLOCK_BYTES) taken from slabs charged to the memcap. All
 * sequence comparisons are serial-number arithmetic (RFC 1982 style, int32 difference), so
 * a stream may wrap at 2^32; data more than 2^31 bytes away from the expected sequence
 * number looks old and is ignored as a retransmission.
 *
 * Left out: window and RST validation (an injected RST ends the stream), timestamps / PAWS,
 * and urgent data. The first data seen for a sequence number wins (the queue keeps it and
 * later copies are compared against it); data already delivered is not kept, so a
 * conflicting retransmission of delivered bytes cannot be detected.
 */
#include "stream.h"

#include "core/mem.h"
#include "core/mm.h"
#include "decode/decode.h" /* TCP_SYN, TCP_FIN, TCP_RST (header-only use) */

#include <stdlib.h>
#include <string.h>

/* 2 KiB holds a typical MSS-sized segment in one or two blocks without wasting much on
 * small segments; adjacent data is packed into the last block of a run. */
#define STREAM_BLOCK_BYTES 2048u
/* Blocks per slab: one charge and one malloc per 8 blocks (about 16 KiB). Memcaps too small
 * for a few such slabs get one-block slabs so they can still queue something. */
#define STREAM_SLAB_BLOCKS 8u

struct blk {
    struct blk *next; /* next block of the direction's queue, or of the free list */
    uint32_t seq;     /* sequence number of data[0] */
    uint32_t len;     /* bytes used in data, 1..STREAM_BLOCK_BYTES */
    uint8_t data[STREAM_BLOCK_BYTES];
};

struct slab {
    struct slab *next;
    size_t bytes; /* charged to the memcap */
    struct blk blocks[];
};

enum {
    SD_ISN_KNOWN = 1u << 0, /* `next` is valid (SYN seen or first data picked up) */
    SD_FIN_SEEN = 1u << 1,  /* fin_seq is valid */
    SD_ENDED = 1u << 2,     /* STREAM_END sent; everything else is ignored */
    SD_DEPTH = 1u << 3,     /* ended because depth_bytes was reached */
};

struct stream_dir {
    struct blk *head, *tail; /* queue ahead of `next`, sorted, non-overlapping */
    uint32_t next;           /* next sequence number to deliver */
    uint32_t fin_seq;        /* sequence number the FIN occupies (end of data) */
    uint32_t queued_bytes;   /* data bytes in the queue */
    uint32_t queued_blocks;  /* blocks in the queue */
    uint64_t offset;         /* bytes delivered so far, DATA plus GAP (depth is checked on it) */
    uint8_t flags;           /* SD_* */
};

struct stream_flow {
    stream_deliver_cb cb;
    void *user;           /* also the free-list link while pooled */
    struct stream_dir d[2];
};

/* Freed stream_flows kept for reuse (still charged to the memcap): connection churn then
 * costs no malloc/free. Bounded so a burst does not pin memory for ever. */
#define STREAM_FLOW_POOL_MAX 4096u

struct stream_ctx {
    struct stream_config cfg;
    struct mem_cap cap;
    struct blk *free_blocks;
    struct slab *slabs;
    uint32_t slab_blocks;       /* blocks per new slab */
    uint32_t max_queued_blocks; /* per direction, guards against many tiny segments */
    uint64_t flows;             /* live stream_flows */
    struct stream_flow *pool;   /* freed stream_flows for reuse, linked through `user` */
    uint32_t pool_n;
    struct stream_stats st;
};

/* Per-segment bookkeeping used to classify it (retransmission / overlap / conflict). */
struct seg_acct {
    uint32_t seen;  /* bytes already delivered or queued before this segment */
    uint32_t fresh; /* bytes delivered or queued from this segment */
    bool conflict;  /* some seen bytes were queued with different content */
    bool dropped;   /* the memcap refused a block */
    bool queued;    /* some of it went to the queue */
};

static inline int32_t seq_diff(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b);
}
static inline bool seq_lt(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) < 0;
}
static inline bool seq_le(uint32_t a, uint32_t b)
{
    return seq_diff(a, b) <= 0;
}

void stream_config_defaults(struct stream_config *cfg)
{
    cfg->depth_bytes = 1u << 20;
    cfg->memcap_bytes = (size_t)64 << 20;
    cfg->max_queued_bytes = 256u << 10;
}

stream_ctx_t *stream_ctx_new(const struct stream_config *cfg)
{
    stream_ctx_t *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->cfg = *cfg;
    mem_cap_init(&ctx->cap, "stream", cfg->memcap_bytes);
    size_t big = sizeof(struct slab) + STREAM_SLAB_BLOCKS * sizeof(struct blk);
    ctx->slab_blocks =
        (cfg->memcap_bytes == 0 || cfg->memcap_bytes >= 4 * big) ? STREAM_SLAB_BLOCKS : 1u;
    /* Packed data needs max_queued_bytes / block blocks; allow twice that plus slack before
     * many tiny segments (each taking a block of its own) force a gap. */
    uint64_t mb = (uint64_t)cfg->max_queued_bytes / STREAM_BLOCK_BYTES * 2u + 8u;
    ctx->max_queued_blocks = cfg->max_queued_bytes ? (uint32_t)MM_MIN(mb, UINT32_MAX) : UINT32_MAX;
    return ctx;
}

void stream_ctx_free(stream_ctx_t *ctx)
{
    if (!ctx)
        return;
    MM_ASSERT(ctx->flows == 0);
    while (ctx->pool) {
        struct stream_flow *sf = ctx->pool;
        ctx->pool = sf->user;
        mem_cap_free(&ctx->cap, sf, sizeof *sf);
    }
    struct slab *s = ctx->slabs;
    while (s) {
        struct slab *n = s->next;
        mem_cap_free(&ctx->cap, s, s->bytes);
        s = n;
    }
    free(ctx);
}

void stream_get_stats(const stream_ctx_t *ctx, struct stream_stats *out)
{
    *out = ctx->st;
    out->memuse = ctx->cap.used;
    out->memuse_peak = ctx->cap.peak;
}

static struct blk *block_get(stream_ctx_t *ctx)
{
    if (!ctx->free_blocks) {
        size_t bytes = sizeof(struct slab) + ctx->slab_blocks * sizeof(struct blk);
        struct slab *s = mem_cap_alloc(&ctx->cap, bytes);
        if (!s)
            return NULL;
        s->bytes = bytes;
        s->next = ctx->slabs;
        ctx->slabs = s;
        for (uint32_t i = 0; i < ctx->slab_blocks; i++) {
            s->blocks[i].next = ctx->free_blocks;
            ctx->free_blocks = &s->blocks[i];
        }
    }
    struct blk *b = ctx->free_blocks;
    ctx->free_blocks = b->next;
    b->next = NULL;
    return b;
}

static void block_put(stream_ctx_t *ctx, struct blk *b)
{
    b->next = ctx->free_blocks;
    ctx->free_blocks = b;
}

static void queue_free(stream_ctx_t *ctx, struct stream_dir *d)
{
    struct blk *b = d->head;
    while (b) {
        struct blk *n = b->next;
        block_put(ctx, b);
        b = n;
    }
    d->head = d->tail = NULL;
    d->queued_bytes = 0;
    d->queued_blocks = 0;
}

/* Drop queued data at or after seq `end` (data past a FIN). */
static void queue_clip(stream_ctx_t *ctx, struct stream_dir *d, uint32_t end)
{
    struct blk **link = &d->head, *last = NULL;
    while (*link && seq_lt((*link)->seq, end)) {
        struct blk *b = *link;
        if (seq_lt(end, b->seq + b->len)) {
            d->queued_bytes -= b->seq + b->len - end;
            b->len = end - b->seq;
        }
        last = b;
        link = &b->next;
    }
    struct blk *b = *link;
    *link = NULL;
    d->tail = last;
    while (b) {
        struct blk *n = b->next;
        d->queued_bytes -= b->len;
        d->queued_blocks--;
        block_put(ctx, b);
        b = n;
    }
}

static void dir_end(stream_ctx_t *ctx, struct stream_flow *sf, int dir)
{
    struct stream_dir *d = &sf->d[dir];
    if (d->flags & SD_ENDED)
        return;
    d->flags |= SD_ENDED;
    queue_free(ctx, d);
    sf->cb(sf->user, dir, STREAM_END, NULL, 0);
}

/*
 * Hand DATA or GAP of n bytes to the consumer, cutting at depth_bytes (then the direction
 * ends). The caller has already advanced d->next past these bytes.
 */
static void deliver(stream_ctx_t *ctx, struct stream_flow *sf, int dir, enum stream_event ev,
                    const uint8_t *data, uint32_t n)
{
    struct stream_dir *d = &sf->d[dir];
    bool cut = false;
    if (ctx->cfg.depth_bytes && d->offset + n >= ctx->cfg.depth_bytes) {
        n = (uint32_t)(ctx->cfg.depth_bytes - d->offset);
        cut = true;
    }
    if (n) {
        sf->cb(sf->user, dir, ev, ev == STREAM_DATA ? data : NULL, n);
        d->offset += n;
        if (ev == STREAM_DATA) {
            ctx->st.bytes_delivered += n;
        } else {
            ctx->st.gaps++;
            ctx->st.gap_bytes += n;
        }
    }
    if (cut) {
        d->flags |= SD_DEPTH;
        ctx->st.depth_reached++;
        dir_end(ctx, sf, dir);
    }
}

/*
 * Deliver everything contiguous at d->next: queued blocks and the packet's bytes
 * [pseq, pseq + plen) (plen may be 0), interleaved so that each sequence number comes from
 * whichever was seen first: queued data wins over the packet and is compared with it.
 */
static void advance(stream_ctx_t *ctx, struct stream_flow *sf, int dir, const uint8_t *pkt,
                    uint32_t pseq, uint32_t plen, struct seg_acct *acct)
{
    struct stream_dir *d = &sf->d[dir];
    uint32_t pend = pseq + plen;
    while (!(d->flags & SD_ENDED)) {
        struct blk *b = d->head;
        if (b && b->seq == d->next) {
            uint32_t bend = b->seq + b->len;
            if (plen && seq_lt(pseq, bend) && seq_lt(b->seq, pend)) {
                uint32_t lo = seq_lt(pseq, b->seq) ? b->seq : pseq;
                uint32_t hi = seq_lt(pend, bend) ? pend : bend;
                acct->seen += hi - lo;
                if (memcmp(b->data + (lo - b->seq), pkt + (lo - pseq), hi - lo) != 0)
                    acct->conflict = true;
            }
            d->head = b->next;
            if (!d->head)
                d->tail = NULL;
            d->queued_bytes -= b->len;
            d->queued_blocks--;
            d->next = bend;
            deliver(ctx, sf, dir, STREAM_DATA, b->data, b->len);
            block_put(ctx, b);
        } else if (plen && seq_le(pseq, d->next) && seq_lt(d->next, pend)) {
            uint32_t n = pend - d->next;
            if (b && seq_lt(b->seq, d->next + n))
                n = b->seq - d->next; /* b is ahead of next (queue invariant): n > 0 */
            const uint8_t *p = pkt + (d->next - pseq);
            acct->fresh += n;
            d->next += n;
            deliver(ctx, sf, dir, STREAM_DATA, p, n);
        } else {
            break;
        }
    }
}

/*
 * Queue the packet's bytes [pseq, pseq + plen), all ahead of d->next. Bytes already queued
 * are kept (first seen wins) and compared; the rest is copied into blocks, packed into the
 * preceding block when it ends exactly where the new data starts. MM_ELIMIT when the memcap
 * refused a block: what was queued before the refusal stays, the rest is dropped.
 */
static int queue_insert(stream_ctx_t *ctx, struct stream_dir *d, const uint8_t *pkt, uint32_t pseq,
                        uint32_t plen, struct seg_acct *acct)
{
    uint32_t pos = pseq, end = pseq + plen;
    struct blk **link = &d->head, *prev = NULL;
    /* Common case: data arriving in order behind a hole goes after the tail. */
    if (d->tail && seq_le(d->tail->seq + d->tail->len, pos)) {
        prev = d->tail;
        link = &d->tail->next;
    }
    while (seq_lt(pos, end)) {
        struct blk *b = *link;
        if (b && seq_le(b->seq + b->len, pos)) {
            prev = b;
            link = &b->next;
            continue;
        }
        if (b && seq_le(b->seq, pos)) {
            uint32_t bend = b->seq + b->len;
            uint32_t hi = seq_lt(end, bend) ? end : bend;
            acct->seen += hi - pos;
            if (memcmp(b->data + (pos - b->seq), pkt + (pos - pseq), hi - pos) != 0)
                acct->conflict = true;
            pos = hi;
            prev = b;
            link = &b->next;
            continue;
        }
        uint32_t lim = (b && seq_lt(b->seq, end)) ? b->seq : end;
        uint32_t n = lim - pos;
        if (prev && prev->seq + prev->len == pos && prev->len < STREAM_BLOCK_BYTES) {
            uint32_t k = MM_MIN(n, STREAM_BLOCK_BYTES - prev->len);
            memcpy(prev->data + prev->len, pkt + (pos - pseq), k);
            prev->len += k;
            d->queued_bytes += k;
            acct->fresh += k;
            acct->queued = true;
            pos += k;
            continue;
        }
        struct blk *nb = block_get(ctx);
        if (MM_UNLIKELY(!nb)) {
            acct->dropped = true;
            return MM_ELIMIT;
        }
        uint32_t k = MM_MIN(n, STREAM_BLOCK_BYTES);
        nb->seq = pos;
        nb->len = k;
        memcpy(nb->data, pkt + (pos - pseq), k);
        nb->next = b;
        *link = nb;
        if (!b)
            d->tail = nb;
        d->queued_bytes += k;
        d->queued_blocks++;
        acct->fresh += k;
        acct->queued = true;
        prev = nb;
        link = &nb->next;
        pos += k;
    }
    return MM_OK;
}

/* Declare the hole before the first queued block a gap and deliver what follows it. */
static void gap_to_head(stream_ctx_t *ctx, struct stream_flow *sf, int dir)
{
    struct stream_dir *d = &sf->d[dir];
    struct seg_acct none = {0};
    uint32_t n = d->head->seq - d->next;
    d->next = d->head->seq;
    deliver(ctx, sf, dir, STREAM_GAP, NULL, n);
    advance(ctx, sf, dir, NULL, 0, 0, &none);
}

/* Deliver everything queued with gaps for the holes, a gap up to a FIN, then end. */
static void flush_end(stream_ctx_t *ctx, struct stream_flow *sf, int dir)
{
    struct stream_dir *d = &sf->d[dir];
    while (!(d->flags & SD_ENDED) && d->head)
        gap_to_head(ctx, sf, dir);
    if (!(d->flags & SD_ENDED) && (d->flags & SD_FIN_SEEN) && seq_lt(d->next, d->fin_seq)) {
        uint32_t n = d->fin_seq - d->next;
        d->next = d->fin_seq;
        deliver(ctx, sf, dir, STREAM_GAP, NULL, n);
    }
    dir_end(ctx, sf, dir);
}

struct stream_flow *stream_flow_new(stream_ctx_t *ctx, stream_deliver_cb cb, void *user)
{
    struct stream_flow *sf = ctx->pool;
    if (sf) {
        ctx->pool = sf->user;
        ctx->pool_n--;
        memset(sf, 0, sizeof *sf);
    } else {
        sf = mem_cap_calloc(&ctx->cap, sizeof *sf);
        if (!sf) {
            ctx->st.flows_refused++;
            return NULL;
        }
    }
    sf->cb = cb;
    sf->user = user;
    ctx->flows++;
    return sf;
}

void stream_flow_free(stream_ctx_t *ctx, struct stream_flow *sf)
{
    if (!sf)
        return;
    flush_end(ctx, sf, 0);
    flush_end(ctx, sf, 1);
    ctx->flows--;
    if (ctx->pool_n < STREAM_FLOW_POOL_MAX) {
        sf->user = ctx->pool;
        ctx->pool = sf;
        ctx->pool_n++;
        return;
    }
    mem_cap_free(&ctx->cap, sf, sizeof *sf);
}

#ifdef MM_DEBUG_VALIDATE
/* The queue invariants: sorted, non-overlapping, all ahead of next, counters and tail right. */
static void dir_validate(const struct stream_dir *d)
{
    uint32_t bytes = 0, blocks = 0, pos = d->next;
    const struct blk *last = NULL;
    for (const struct blk *b = d->head; b; b = b->next) {
        MM_ASSERT(b->len > 0 && b->len <= STREAM_BLOCK_BYTES);
        MM_ASSERT(seq_le(pos, b->seq) && (b == d->head || seq_lt(pos, b->seq + 1)));
        MM_ASSERT(b != d->head || seq_lt(d->next, b->seq));
        pos = b->seq + b->len;
        bytes += b->len;
        blocks++;
        last = b;
    }
    MM_ASSERT(last == d->tail && bytes == d->queued_bytes && blocks == d->queued_blocks);
}
#endif

/* Data and FIN of one segment for a direction that has not ended. */
static int segment_dir(stream_ctx_t *ctx, struct stream_flow *sf, int dir, uint32_t seq,
                       uint8_t tcp_flags, const uint8_t *payload, uint32_t len)
{
    struct stream_dir *d = &sf->d[dir];
    uint32_t dseq = seq;
    int rc = MM_OK;

    /* The SYN occupies one sequence number; data on a SYN starts after it. */
    if (tcp_flags & TCP_SYN) {
        dseq = seq + 1;
        if (!(d->flags & SD_ISN_KNOWN)) {
            d->next = dseq;
            d->flags |= SD_ISN_KNOWN;
        }
    }
    if (!(d->flags & SD_ISN_KNOWN)) {
        /* Mid-stream pick-up: the first data (or a bare FIN) fixes where the stream starts. */
        if (len == 0 && !(tcp_flags & TCP_FIN))
            return MM_OK;
        d->next = dseq;
        d->flags |= SD_ISN_KNOWN;
    }
    /* Nothing is delivered past a FIN: a receiver would drop such data too. */
    if (d->flags & SD_FIN_SEEN) {
        /* Only ever shortens: with the FIN 2^31 away, seq_lt says both "before" and "after". */
        if (!seq_lt(dseq, d->fin_seq))
            len = 0;
        else if (d->fin_seq - dseq < len)
            len = d->fin_seq - dseq;
    }
    if ((tcp_flags & TCP_FIN) && !(d->flags & SD_FIN_SEEN)) {
        d->fin_seq = dseq + len;
        d->flags |= SD_FIN_SEEN;
        queue_clip(ctx, d, d->fin_seq);
    }

    if (len) {
        struct seg_acct acct = {0};
        uint32_t end = dseq + len;
        if (seq_le(end, d->next)) {
            acct.seen = len;
            len = 0;
        } else if (seq_lt(dseq, d->next)) {
            uint32_t off = d->next - dseq;
            acct.seen = off;
            payload += off;
            len -= off;
            dseq = d->next;
        }
        if (len) {
            advance(ctx, sf, dir, payload, dseq, len, &acct);
            if (!(d->flags & SD_ENDED) && seq_lt(d->next, end)) {
                uint32_t from = seq_lt(dseq, d->next) ? d->next : dseq;
                rc = queue_insert(ctx, d, payload + (from - dseq), from, end - from, &acct);
            }
        }
        if (acct.queued || acct.dropped)
            ctx->st.out_of_order++;
        if (acct.dropped)
            ctx->st.memcap_drops++;
        if (acct.fresh == 0 && !acct.dropped)
            ctx->st.retransmissions++;
        else if (acct.seen)
            ctx->st.overlaps++;
        if (acct.conflict)
            ctx->st.overlap_conflicts++;

        /* Too much waiting behind a hole: give the hole up as a gap and go on. */
        uint32_t maxq = ctx->cfg.max_queued_bytes;
        while (!(d->flags & SD_ENDED) && d->head &&
               ((maxq && d->queued_bytes > maxq) || d->queued_blocks > ctx->max_queued_blocks))
            gap_to_head(ctx, sf, dir);
    }

    if ((d->flags & SD_FIN_SEEN) && !(d->flags & SD_ENDED) && seq_le(d->fin_seq, d->next))
        dir_end(ctx, sf, dir);
#ifdef MM_DEBUG_VALIDATE
    dir_validate(d);
#endif
    return rc;
}

int stream_segment(stream_ctx_t *ctx, struct stream_flow *sf, int dir, uint32_t seq,
                   uint8_t tcp_flags, const uint8_t *payload, uint32_t len)
{
    MM_ASSERT(dir == 0 || dir == 1);
    if (!sf)
        return MM_OK;
    if (len || (tcp_flags & (TCP_FIN | TCP_RST)))
        ctx->st.segments++;
    int rc = MM_OK;
    if (!(sf->d[dir].flags & SD_ENDED))
        rc = segment_dir(ctx, sf, dir, seq, tcp_flags, payload, len);
    if (tcp_flags & TCP_RST) {
        /* The connection is gone: nothing missing will be retransmitted. */
        flush_end(ctx, sf, dir);
        flush_end(ctx, sf, 1 - dir);
    }
    return rc;
}
