/*
 * DNS in the app layer: messages over UDP (one per datagram) and over TCP (RFC 1035 §4.2.2:
 * each message preceded by its 2-byte length, several per connection, split anywhere),
 * decoded by dns.c and emitted as APP_REC_DNS records. Transactions are matched by message
 * id: a response takes the tx_id of the outstanding query with its id; a response to no
 * query seen is flagged (Suricata's UNSOLICITED_RESPONSE).
 */
#include "app_int.h"
#include "dns_rec.h"

#include "core/mm.h"

#include <string.h>

#define DNS_PENDING 32            /* outstanding query ids remembered per flow */
#define DNS_TCP_MAX_MSG 65535

struct dns_state {
    uint64_t next_tx;
    struct {
        uint16_t id;
        uint64_t tx_id;
    } pending[DNS_PENDING];
    uint32_t n_pending;
    /* TCP framing, per direction */
    uint8_t lenbuf[2][2];
    uint8_t lenhave[2];
    uint8_t *msg[2];               /* message being collected (app_alloc'ed, msg_len bytes) */
    uint32_t msg_len[2], msg_have[2];
    bool lost[2];                  /* a gap: framing lost for good in that direction */
};

static struct dns_state *state_new(struct app_session *s)
{
    return app_calloc(s, sizeof(struct dns_state));
}

void app_dns_state_free(struct app_session *s, void *st)
{
    struct dns_state *ds = st;
    if (!ds)
        return;
    for (int d = 0; d < 2; d++)
        app_free(s, ds->msg[d], ds->msg_len[d]);
    app_free(s, ds, sizeof *ds);
}

/* Decode one message and emit it. */
static void message(struct app_session *s, struct dns_state *ds, int dir, const uint8_t *d,
                    size_t n, bool tcp)
{
    struct dns_msg *m = app_dns_scratch(s);
    if (app_dns_parse(d, n, m) != 0) {
        app_anomaly(s, dir, "MALFORMED_DATA");
        return;
    }
    if (m->events & (DNS_EV_TRUNCATED | DNS_EV_BAD_NAME | DNS_EV_POINTER_LOOP | DNS_EV_BAD_RDATA))
        app_anomaly(s, dir, "MALFORMED_DATA");
    if (m->events & DNS_EV_Z_FLAG)
        app_anomaly(s, dir, "Z_FLAG_SET");
    struct app_dns_rec rec = {.msg = m, .tcp = tcp};
    if (!m->qr) {
        rec.tx_id = ds->next_tx++;
        if (ds->n_pending == DNS_PENDING) {
            /* The oldest unanswered query is forgotten (Suricata: FLOODED). */
            memmove(&ds->pending[0], &ds->pending[1], sizeof ds->pending[0] * (DNS_PENDING - 1));
            ds->n_pending--;
            app_anomaly(s, dir, "FLOODED");
            app_limit_hit(s);
        }
        ds->pending[ds->n_pending].id = m->id;
        ds->pending[ds->n_pending].tx_id = rec.tx_id;
        ds->n_pending++;
    } else {
        uint32_t i = 0;
        while (i < ds->n_pending && ds->pending[i].id != m->id)
            i++;
        if (i < ds->n_pending) {
            rec.tx_id = ds->pending[i].tx_id;
            memmove(&ds->pending[i], &ds->pending[i + 1],
                    sizeof ds->pending[0] * (ds->n_pending - i - 1));
            ds->n_pending--;
        } else {
            rec.tx_id = ds->next_tx++;
            rec.unmatched = true;
            app_anomaly(s, dir, "UNSOLICITED_RESPONSE");
        }
    }
    app_emit(s, dir, APP_REC_DNS, &rec);
}

void app_dns_datagram(struct app_session *s, int dir, const uint8_t *d, size_t n)
{
    void **slot = app_dns_slot(s);
    if (!*slot) {
        *slot = state_new(s);
        if (!*slot) {
            app_stop(s);
            return;
        }
    }
    message(s, *slot, dir, d, n, false);
}

/* ---- DNS over TCP ---- */

static void *tcp_new(struct app_session *s)
{
    return state_new(s);
}

static void tcp_free(struct app_session *s, void *st)
{
    app_dns_state_free(s, st);
}

static void tcp_data(struct app_session *s, void *st, int dir, const uint8_t *data, size_t len)
{
    struct dns_state *ds = st;
    if (ds->lost[dir])
        return;
    size_t i = 0;
    while (i < len) {
        if (ds->lenhave[dir] < 2) {
            ds->lenbuf[dir][ds->lenhave[dir]++] = data[i++];
            if (ds->lenhave[dir] < 2)
                continue;
            uint32_t ml = (uint32_t)(ds->lenbuf[dir][0] << 8 | ds->lenbuf[dir][1]);
            if (ml < 12) {
                /* Cannot be a DNS message: framing is lost. */
                app_anomaly(s, dir, "MALFORMED_DATA");
                ds->lost[dir] = true;
                return;
            }
            ds->msg_len[dir] = ml;
            ds->msg_have[dir] = 0;
            /* Whole message in this chunk: decode in place, no copy. */
            if (len - i >= ml) {
                message(s, ds, dir, data + i, ml, true);
                i += ml;
                ds->lenhave[dir] = 0;
                continue;
            }
            ds->msg[dir] = app_alloc(s, ml);
            if (!ds->msg[dir]) {
                app_stop(s);
                return;
            }
        }
        uint32_t want = ds->msg_len[dir] - ds->msg_have[dir];
        size_t take = MM_MIN((size_t)want, len - i);
        memcpy(ds->msg[dir] + ds->msg_have[dir], data + i, take);
        ds->msg_have[dir] += (uint32_t)take;
        i += take;
        if (ds->msg_have[dir] == ds->msg_len[dir]) {
            message(s, ds, dir, ds->msg[dir], ds->msg_len[dir], true);
            app_free(s, ds->msg[dir], ds->msg_len[dir]);
            ds->msg[dir] = NULL;
            ds->lenhave[dir] = 0;
        }
    }
}

static void tcp_gap(struct app_session *s, void *st, int dir, uint32_t len)
{
    (void)len;
    struct dns_state *ds = st;
    /* Message boundaries cannot be found again after a hole. */
    app_free(s, ds->msg[dir], ds->msg_len[dir]);
    ds->msg[dir] = NULL;
    ds->lost[dir] = true;
}

static void tcp_end(struct app_session *s, void *st, int dir)
{
    struct dns_state *ds = st;
    if (ds->lenhave[dir] || ds->msg[dir])
        app_anomaly(s, dir, "MALFORMED_DATA"); /* the stream ended inside a message */
    app_free(s, ds->msg[dir], ds->msg_len[dir]);
    ds->msg[dir] = NULL;
    ds->lenhave[dir] = 0;
}

const struct app_parser app_parser_dns_tcp = {
    .proto = APP_PROTO_DNS,
    .state_new = tcp_new,
    .state_free = tcp_free,
    .data = tcp_data,
    .gap = tcp_gap,
    .end = tcp_end,
};
