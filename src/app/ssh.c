/*
 * SSH parser: identification strings and SSH_MSG_KEXINIT (RFC 4253 §4.2, §6, §7.1); see
 * ssh.h for the record.
 *
 *   identification:  "SSH-" protoversion "-" softwareversion [SP comments] CR LF
 *                    at most 255 bytes; the server may send other lines before it
 *   binary packet:   uint32 packet_length | byte padding_length | payload | padding
 *                    (no MAC before the first key exchange ends)
 *   KEXINIT payload: byte 20 | cookie[16] | name-list kex_algorithms |
 *                    name-list server_host_key_algorithms |
 *                    name-list encryption c2s | encryption s2c | mac c2s | mac s2c |
 *                    compression c2s | compression s2c | languages c2s | languages s2c |
 *                    boolean first_kex_packet_follows | uint32 reserved
 *   name-list:       uint32 length | comma-separated ASCII names
 *
 * Each direction is parsed until its KEXINIT; then nothing more is read. A packet is
 * buffered whole, up to min(35000, app.tls_max_record_bytes) bytes (RFC 4253 §6.1: 35000 is
 * what every implementation must accept; the TLS handshake limit is the app layer's bound
 * for one handshake message). Out of scope: SSH-1 key exchange, anything after KEXINIT.
 */
#include "app/ssh.h"

#include "app/app_parser.h"

#include "core/mm.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define SSH_MSG_KEXINIT 20
#define SSH_PKT_RFC_MAX 35000
#define SSH_MAX_PRE_LINES 32   /* non-"SSH-" lines accepted before the banner */
#define SSH_MAX_PRE_PACKETS 8  /* packets (IGNORE, DEBUG ...) accepted before KEXINIT */

enum ssh_phase { PH_BANNER = 0, PH_HEADER, PH_BODY, PH_DONE };

struct ssh_dir {
    enum ssh_phase phase;
    uint8_t line[SSH_BANNER_MAX]; /* banner line under way (no CR LF) */
    uint32_t line_len;
    bool line_long;  /* past 255 bytes: the rest up to LF is dropped */
    uint32_t pre_lines, pre_packets;
    uint8_t hdr[4];
    uint32_t hdr_len;
    uint8_t *pkt; /* packet_length bytes (exact alloc) */
    uint32_t pkt_len, pkt_have;
    /* What the record shows. */
    bool banner_seen, v1, kexinit_seen, ended;
    char proto_version[SSH_PROTO_VERSION_MAX + 1];
    uint8_t software[SSH_BANNER_MAX];
    uint32_t software_len;
    char hassh[33];
    uint8_t *hassh_str; /* exact alloc */
    uint32_t hassh_len;
};

struct ssh_state {
    struct app_session *s;
    struct ssh_dir d[2];
    bool emitted;
};

static bool side_done(const struct ssh_dir *d)
{
    return d->phase == PH_DONE;
}

static void fill_side(struct ssh_side *o, const struct ssh_dir *d)
{
    o->banner_seen = d->banner_seen;
    memcpy(o->proto_version, d->proto_version, sizeof o->proto_version);
    o->software_version = d->software;
    o->software_version_len = d->software_len;
    o->kexinit_seen = d->kexinit_seen;
    memcpy(o->hassh, d->hassh, sizeof o->hassh);
    o->hassh_string = d->hassh_str;
    o->hassh_string_len = d->hassh_len;
}

static void emit(struct ssh_state *st, int dir)
{
    if (st->emitted || (!st->d[0].banner_seen && !st->d[1].banner_seen))
        return;
    st->emitted = true;
    struct ssh_rec r;
    memset(&r, 0, sizeof r);
    fill_side(&r.client, &st->d[0]);
    fill_side(&r.server, &st->d[1]);
    app_emit(st->s, dir, APP_REC_SSH, &r);
}

/* The direction is finished; when both are, the record goes out and parsing stops. */
static void dir_done(struct ssh_state *st, int dir)
{
    struct ssh_dir *d = &st->d[dir];
    d->phase = PH_DONE;
    if (d->pkt) {
        app_free(st->s, d->pkt, d->pkt_len);
        d->pkt = NULL;
    }
    if (side_done(&st->d[0]) && side_done(&st->d[1])) {
        emit(st, dir);
        app_stop(st->s);
    }
}

/* ---------- identification string ---------- */

static void banner(struct ssh_state *st, int dir, const uint8_t *p, size_t n)
{
    struct ssh_dir *d = &st->d[dir];
    if (n < 4 || memcmp(p, "SSH-", 4) != 0) {
        /* RFC 4253 §4.2: other lines may come first (from the server). */
        if (++d->pre_lines > SSH_MAX_PRE_LINES) {
            app_anomaly(st->s, dir, "INVALID_BANNER");
            dir_done(st, dir);
        }
        return;
    }
    size_t i = 4, vst = 4;
    while (i < n && p[i] != '-' && i - vst <= SSH_PROTO_VERSION_MAX)
        i++;
    if (i >= n || p[i] != '-' || i == vst || i - vst > SSH_PROTO_VERSION_MAX) {
        app_anomaly(st->s, dir, "INVALID_BANNER");
        dir_done(st, dir);
        return;
    }
    d->banner_seen = true;
    memcpy(d->proto_version, p + vst, i - vst);
    d->proto_version[i - vst] = '\0';
    size_t sst = ++i;
    while (i < n && p[i] != ' ')
        i++;
    d->software_len = (uint32_t)(i - sst);
    memcpy(d->software, p + sst, d->software_len);
    if (d->software_len == 0)
        app_anomaly(st->s, dir, "INVALID_BANNER");
    /* "1.99" speaks SSH-2; "1.x" alone is SSH-1, whose key exchange is not parsed. */
    if (d->proto_version[0] == '1' && strcmp(d->proto_version, "1.99") != 0) {
        d->v1 = true;
        dir_done(st, dir);
        return;
    }
    if (strcmp(d->proto_version, "2.0") != 0 && strcmp(d->proto_version, "1.99") != 0)
        app_anomaly(st->s, dir, "INVALID_BANNER");
    d->phase = PH_HEADER;
}

/* ---------- KEXINIT ---------- */

struct rd {
    const uint8_t *p;
    size_t n, i;
};

static bool rd_list(struct rd *r, const uint8_t **lp, uint32_t *ll)
{
    if (r->n - r->i < 4)
        return false;
    uint32_t l = (uint32_t)r->p[r->i] << 24 | (uint32_t)r->p[r->i + 1] << 16 |
                 (uint32_t)r->p[r->i + 2] << 8 | r->p[r->i + 3];
    r->i += 4;
    if (l > r->n - r->i)
        return false;
    *lp = r->p + r->i;
    *ll = l;
    r->i += l;
    return true;
}

static void kexinit(struct ssh_state *st, int dir, const uint8_t *pl, size_t n)
{
    struct ssh_dir *d = &st->d[dir];
    struct rd r = {pl, n, 17}; /* message number and cookie */
    const uint8_t *lp[10];
    uint32_t ll[10];
    if (n < 17) {
        app_anomaly(st->s, dir, "INVALID_RECORD");
        return;
    }
    for (int k = 0; k < 10; k++) {
        if (!rd_list(&r, &lp[k], &ll[k])) {
            app_anomaly(st->s, dir, "INVALID_RECORD");
            return;
        }
    }
    /* kex ; encryption ; mac ; compression of this side's sending direction */
    int e = dir == 0 ? 2 : 3, m = dir == 0 ? 4 : 5, c = dir == 0 ? 6 : 7;
    size_t total = (size_t)ll[0] + ll[e] + ll[m] + ll[c] + 3;
    uint8_t *h = app_alloc(st->s, total);
    if (!h) {
        app_stop(st->s);
        d->phase = PH_DONE;
        return;
    }
    size_t o = 0;
    const int parts[4] = {0, e, m, c};
    for (int k = 0; k < 4; k++) {
        if (k) /* separator */
            h[o++] = ';';
        memcpy(h + o, lp[parts[k]], ll[parts[k]]);
        o += ll[parts[k]];
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdl = 0;
    if (EVP_Digest(h, total, md, &mdl, EVP_md5(), NULL) != 1 || mdl != 16) {
        app_free(st->s, h, total);
        return;
    }
    static const char hex[] = "0123456789abcdef";
    for (unsigned k = 0; k < 16; k++) {
        d->hassh[2 * k] = hex[md[k] >> 4];
        d->hassh[2 * k + 1] = hex[md[k] & 15];
    }
    d->hassh[32] = '\0';
    d->hassh_str = h;
    d->hassh_len = (uint32_t)total;
    d->kexinit_seen = true;
}

static uint32_t pkt_limit(const struct ssh_state *st)
{
    uint32_t lim = app_cfg(st->s)->tls_max_record_bytes;
    return lim == 0 || lim > SSH_PKT_RFC_MAX ? SSH_PKT_RFC_MAX : lim;
}

/* ---------- byte stream ---------- */

static void feed(struct ssh_state *st, int dir, const uint8_t *data, size_t len)
{
    struct ssh_dir *d = &st->d[dir];
    size_t i = 0;
    while (i < len && d->phase != PH_DONE) {
        if (d->phase == PH_BANNER) {
            const uint8_t *nl = memchr(data + i, '\n', len - i);
            size_t end = nl ? (size_t)(nl - data) : len;
            if (!d->line_long) {
                size_t take = end - i;
                /* 255 bytes with CR LF: 253 bytes of text; a lone LF line may use 254. */
                size_t room = SSH_BANNER_MAX - d->line_len;
                if (take > room) {
                    app_anomaly(st->s, dir, "LONG_BANNER");
                    app_limit_hit(st->s);
                    take = room;
                    d->line_long = true;
                }
                memcpy(d->line + d->line_len, data + i, take);
                d->line_len += (uint32_t)take;
            }
            i = nl ? end + 1 : len;
            if (!nl)
                break;
            size_t n = d->line_len;
            if (!d->line_long && n > 0 && d->line[n - 1] == '\r')
                n--;
            if (!d->line_long && n + 2 > SSH_BANNER_MAX) {
                app_anomaly(st->s, dir, "LONG_BANNER");
                app_limit_hit(st->s);
            }
            d->line_long = false;
            d->line_len = 0;
            banner(st, dir, d->line, n);
            continue;
        }
        if (d->phase == PH_HEADER) {
            size_t take = MM_MIN(4 - d->hdr_len, len - i);
            memcpy(d->hdr + d->hdr_len, data + i, take);
            d->hdr_len += (uint32_t)take;
            i += take;
            if (d->hdr_len < 4)
                break;
            d->hdr_len = 0;
            uint32_t pl = (uint32_t)d->hdr[0] << 24 | (uint32_t)d->hdr[1] << 16 |
                          (uint32_t)d->hdr[2] << 8 | d->hdr[3];
            if (pl < 5) {
                app_anomaly(st->s, dir, "INVALID_RECORD");
                dir_done(st, dir);
                break;
            }
            if (pl > pkt_limit(st)) {
                app_anomaly(st->s, dir, "LONG_KEX_RECORD");
                app_limit_hit(st->s);
                dir_done(st, dir);
                break;
            }
            d->pkt = app_alloc(st->s, pl);
            if (!d->pkt) {
                app_stop(st->s);
                d->phase = PH_DONE;
                break;
            }
            d->pkt_len = pl;
            d->pkt_have = 0;
            d->phase = PH_BODY;
            continue;
        }
        /* PH_BODY */
        size_t take = MM_MIN((size_t)(d->pkt_len - d->pkt_have), len - i);
        memcpy(d->pkt + d->pkt_have, data + i, take);
        d->pkt_have += (uint32_t)take;
        i += take;
        if (d->pkt_have < d->pkt_len)
            break;
        uint8_t padl = d->pkt[0];
        if ((size_t)padl + 1 >= d->pkt_len) {
            app_anomaly(st->s, dir, "INVALID_RECORD");
            dir_done(st, dir);
            break;
        }
        const uint8_t *payload = d->pkt + 1;
        size_t plen = d->pkt_len - 1 - padl;
        if (payload[0] == SSH_MSG_KEXINIT) {
            kexinit(st, dir, payload, plen);
            if (d->phase != PH_DONE)
                dir_done(st, dir);
            break;
        }
        app_free(st->s, d->pkt, d->pkt_len);
        d->pkt = NULL;
        if (++d->pre_packets > SSH_MAX_PRE_PACKETS) {
            app_anomaly(st->s, dir, "INVALID_RECORD");
            dir_done(st, dir);
            break;
        }
        d->phase = PH_HEADER;
    }
}

/* ---------- hooks ---------- */

static void *ssh_new(struct app_session *s)
{
    struct ssh_state *st = app_calloc(s, sizeof *st);
    if (st)
        st->s = s;
    return st;
}

static void ssh_data(struct app_session *s, void *vst, int dir, const uint8_t *data, size_t len)
{
    (void)s;
    struct ssh_state *st = vst;
    if (!st || dir < 0 || dir > 1 || st->emitted)
        return;
    feed(st, dir, data, len);
}

static void ssh_gap(struct app_session *s, void *vst, int dir, uint32_t len)
{
    (void)s;
    (void)len;
    struct ssh_state *st = vst;
    if (!st || dir < 0 || dir > 1 || st->emitted)
        return;
    /* No way to find the next packet boundary in a stream without markers: this side is
     * finished with what was seen. */
    if (st->d[dir].phase != PH_DONE)
        dir_done(st, dir);
}

static void ssh_end(struct app_session *s, void *vst, int dir)
{
    (void)s;
    struct ssh_state *st = vst;
    if (!st || dir < 0 || dir > 1)
        return;
    st->d[dir].ended = true;
    if (st->d[0].ended && st->d[1].ended)
        emit(st, dir);
}

static void ssh_free(struct app_session *s, void *vst)
{
    struct ssh_state *st = vst;
    if (!st)
        return;
    emit(st, 1);
    for (int k = 0; k < 2; k++) {
        struct ssh_dir *d = &st->d[k];
        if (d->pkt)
            app_free(s, d->pkt, d->pkt_len);
        if (d->hassh_str)
            app_free(s, d->hassh_str, d->hassh_len);
    }
    app_free(s, st, sizeof *st);
}

const struct app_parser app_parser_ssh = {
    .proto = APP_PROTO_SSH,
    .state_new = ssh_new,
    .state_free = ssh_free,
    .data = ssh_data,
    .gap = ssh_gap,
    .end = ssh_end,
};
