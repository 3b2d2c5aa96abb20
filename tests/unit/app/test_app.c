/*
 * Application layer core (src/app/app.c, proto_detect.c, linebuf.c, dns_app.c):
 *   - protocol detection table: content first, port only as the tie-breaker, non-standard
 *     ports, every protocol in both directions, bytes arriving one at a time;
 *   - session mechanics: detection buffers replayed to the parser in order, "failed" after
 *     detect_max_bytes, a gap before detection, memcap refusal of sessions and buffers;
 *   - the line splitter: zero-copy lines, lines split across chunks, CRLF/LF, the length
 *     limit (cut + rest skipped), stopping mid-chunk, memory refusal;
 *   - DNS over TCP: length-prefixed messages in any chunking give the same records, query/
 *     response matching by id, unsolicited responses, the pending-query limit.
 */
#include "app/app_int.h"
#include "app/dns_rec.h"
#include "app/linebuf.h"
#include "app_harness.h"

#include "core/mem.h"
#include "core/mm.h"
#include "output/eve_app.h"
#include "core/json.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---------- detection table ---------- */

struct det_row {
    const char *what;
    int dir;
    uint16_t sport;
    const char *bytes;
    size_t len; /* 0: strlen(bytes) */
    enum app_detect_result want;
    enum app_proto proto;
};

static const struct det_row det_rows[] = {
    {"http GET", 0, 80, "GET / HTTP/1.1\r\n", 0, APP_DETECT_MATCH, APP_PROTO_HTTP},
    {"http on 8443", 0, 8443, "POST /x HTTP/1.1\r\n", 0, APP_DETECT_MATCH, APP_PROTO_HTTP},
    {"http lower-case method", 0, 80, "get / HTTP/1.0\r\n", 0, APP_DETECT_MATCH, APP_PROTO_HTTP},
    {"http partial method", 0, 80, "GE", 0, APP_DETECT_NEED_MORE, APP_PROTO_UNKNOWN},
    {"http response", 1, 80, "HTTP/1.1 200 OK\r\n", 0, APP_DETECT_MATCH, APP_PROTO_HTTP},
    {"http response partial", 1, 80, "HTTP/", 0, APP_DETECT_NEED_MORE, APP_PROTO_UNKNOWN},
    {"tls client hello on 80", 0, 80, "\x16\x03\x01\x02\x00\x01", 6, APP_DETECT_MATCH,
     APP_PROTO_TLS},
    {"tls client hello 5 bytes", 0, 443, "\x16\x03\x01\x02\x00", 5, APP_DETECT_NEED_MORE,
     APP_PROTO_UNKNOWN},
    {"tls record of other type", 0, 443, "\x17\x03\x03\x00\x10\x01", 6, APP_DETECT_NO,
     APP_PROTO_UNKNOWN},
    {"tls bad version", 0, 443, "\x16\x03\x09\x00\x10\x01", 6, APP_DETECT_NO,
     APP_PROTO_UNKNOWN},
    {"sslv2 client hello", 0, 443, "\x80\x2e\x01\x03\x01", 5, APP_DETECT_MATCH, APP_PROTO_TLS},
    {"tls server hello", 1, 443, "\x16\x03\x03\x00\x4a\x02", 6, APP_DETECT_MATCH,
     APP_PROTO_TLS},
    {"ssh client", 0, 22, "SSH-2.0-OpenSSH_9.2\r\n", 0, APP_DETECT_MATCH, APP_PROTO_SSH},
    {"ssh server on 2222", 1, 2222, "SSH-2.0-dropbear\r\n", 0, APP_DETECT_MATCH,
     APP_PROTO_SSH},
    {"smtp banner", 1, 25, "220 mx.example.com ESMTP Postfix\r\n", 0, APP_DETECT_MATCH,
     APP_PROTO_SMTP},
    {"smtp banner odd port", 1, 10025, "220 mail.example.com ready\r\n", 0, APP_DETECT_MATCH,
     APP_PROTO_SMTP},
    {"ftp banner", 1, 21, "220 (vsFTPd 3.0.3)\r\n", 0, APP_DETECT_MATCH, APP_PROTO_FTP},
    {"ftp banner odd port", 1, 2100, "220 ProFTPD Server\r\n", 0, APP_DETECT_MATCH,
     APP_PROTO_FTP},
    {"plain 220 on 21", 1, 21, "220 Welcome\r\n", 0, APP_DETECT_MATCH, APP_PROTO_FTP},
    {"plain 220 on 587", 1, 587, "220 Welcome\r\n", 0, APP_DETECT_MATCH, APP_PROTO_SMTP},
    {"plain 220 elsewhere", 1, 4000, "220 Welcome\r\n", 0, APP_DETECT_NO, APP_PROTO_UNKNOWN},
    {"220 without line end", 1, 4000, "220 Welc", 0, APP_DETECT_NEED_MORE, APP_PROTO_UNKNOWN},
    {"pop3 banner", 1, 110, "+OK POP3 ready\r\n", 0, APP_DETECT_MATCH, APP_PROTO_POP3},
    {"pop3 banner odd port", 1, 1110, "+OK hello\r\n", 0, APP_DETECT_MATCH, APP_PROTO_POP3},
    {"imap banner", 1, 143, "* OK [CAPABILITY IMAP4rev1] ready\r\n", 0, APP_DETECT_MATCH,
     APP_PROTO_IMAP},
    {"imap preauth", 1, 1143, "* PREAUTH hi\r\n", 0, APP_DETECT_MATCH, APP_PROTO_IMAP},
    {"smtp client EHLO", 0, 2525, "EHLO client.example\r\n", 0, APP_DETECT_MATCH,
     APP_PROTO_SMTP},
    {"ftp client USER", 0, 4000, "USER bob\r\n", 0, APP_DETECT_MATCH, APP_PROTO_FTP},
    {"pop3 client USER on 110", 0, 110, "USER bob\r\n", 0, APP_DETECT_MATCH, APP_PROTO_POP3},
    {"pop3 CAPA", 0, 4000, "CAPA\r\n", 0, APP_DETECT_MATCH, APP_PROTO_POP3},
    {"imap tagged LOGIN", 0, 4000, "a001 LOGIN bob secret\r\n", 0, APP_DETECT_MATCH,
     APP_PROTO_IMAP},
    {"ftp reply seen as client (mid-stream)", 0, 4000, "530 Login incorrect.\r\n", 0,
     APP_DETECT_NO, APP_PROTO_UNKNOWN},
    {"dns over tcp query", 0, 53, "\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 14,
     APP_DETECT_MATCH, APP_PROTO_DNS},
    {"dns shape off port 53", 0, 5353, "\x00\x1d\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00",
     14, APP_DETECT_NO, APP_PROTO_UNKNOWN},
    {"binary junk", 0, 80, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b", 12, APP_DETECT_NO,
     APP_PROTO_UNKNOWN},
    {"text junk", 1, 80, "hello there, how are you\r\n", 0, APP_DETECT_NO, APP_PROTO_UNKNOWN},
};

static void test_detect_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < MM_ARRAY_LEN(det_rows); i++) {
        const struct det_row *r = &det_rows[i];
        size_t n = r->len ? r->len : strlen(r->bytes);
        enum app_proto p = APP_PROTO_UNKNOWN;
        enum app_detect_result got =
            app_detect_tcp((const uint8_t *)r->bytes, n, r->dir, r->sport, &p);
        if (got != r->want || (got == APP_DETECT_MATCH && p != r->proto)) {
            print_error("row '%s': result %d proto %s, want %d %s\n", r->what, got,
                        app_proto_name(p), r->want, app_proto_name(r->proto));
            fail();
        }
    }
}

static void test_detect_udp(void **state)
{
    (void)state;
    static struct dns_msg scratch;
    /* A query for "a.example" type A. */
    static const uint8_t q[] = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                0x00, 0x00, 1,    'a',  7,    'e',  'x',  'a',  'm',  'p',
                                'l',  'e',  0,    0x00, 0x01, 0x00, 0x01};
    assert_int_equal(app_detect_udp(q, sizeof q, 40000, 53, &scratch), APP_PROTO_DNS);
    assert_int_equal(app_detect_udp(q, sizeof q, 40000, 5300, &scratch), APP_PROTO_DNS);
    /* Cut short: on port 53 the header suffices, elsewhere a well-formed message is needed. */
    assert_int_equal(app_detect_udp(q, 14, 40000, 53, &scratch), APP_PROTO_DNS);
    assert_int_equal(app_detect_udp(q, 14, 40000, 5300, &scratch), APP_PROTO_UNKNOWN);
    static const uint8_t junk[16] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(app_detect_udp(junk, sizeof junk, 40000, 53, &scratch), APP_PROTO_UNKNOWN);
    assert_int_equal(app_detect_udp(junk, 5, 40000, 53, &scratch), APP_PROTO_UNKNOWN);
}

/* ---------- session mechanics ---------- */

static void flow_with_ports(struct flow *f, uint16_t cport, uint16_t sport, uint8_t proto)
{
    memset(f, 0, sizeof *f);
    f->client_is_a = true;
    f->key.port_a = cport;
    f->key.port_b = sport;
    f->key.proto = proto;
    f->key.ip_ver = 4;
}

static void test_session_detect_split(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    struct ah_out c = {0};
    app_ctx_t *ctx = app_ctx_new(&cfg, ah_record, &c);
    struct flow f;
    flow_with_ports(&f, 40000, 8080, 6);
    /* "GET" one byte at a time on a non-HTTP port: detected once the space arrives. */
    struct app_session *s = app_session_new(ctx, &f);
    const char *req = "GET / HTTP/1.1\r\n";
    for (size_t i = 0; i < 3; i++) {
        app_session_data(s, 0, (const uint8_t *)req + i, 1);
        assert_int_equal(app_session_proto(s), APP_PROTO_UNKNOWN);
    }
    app_session_data(s, 0, (const uint8_t *)req + 3, 1);
    assert_int_equal(app_session_proto(s), APP_PROTO_HTTP);
    app_session_free(s);

    /* Junk in both directions: failed after detect_max_bytes per direction. */
    cfg.detect_max_bytes = 64;
    app_ctx_t *ctx2 = app_ctx_new(&cfg, ah_record, &c);
    s = app_session_new(ctx2, &f);
    uint8_t junk[40];
    memset(junk, 'z', sizeof junk);
    app_session_data(s, 0, junk, sizeof junk);
    assert_int_equal(app_session_proto(s), APP_PROTO_UNKNOWN); /* "zzz..." could be an IMAP tag */
    app_session_data(s, 1, junk, sizeof junk);
    assert_int_equal(app_session_proto(s), APP_PROTO_FAILED);
    app_session_free(s);

    /* A gap before detection: failed (held bytes no longer line up). */
    s = app_session_new(ctx2, &f);
    app_session_data(s, 0, (const uint8_t *)"GE", 2);
    app_session_gap(s, 0, 100);
    assert_int_equal(app_session_proto(s), APP_PROTO_FAILED);
    app_session_free(s);

    struct app_stats st;
    app_get_stats(ctx2, &st);
    assert_int_equal(st.flows[APP_PROTO_FAILED], 2);
    assert_int_equal(st.memuse, 0);
    app_ctx_free(ctx2);
    app_get_stats(ctx, &st);
    assert_int_equal(st.flows[APP_PROTO_HTTP], 1);
    assert_int_equal(st.memuse, 0);
    app_ctx_free(ctx);
    ah_out_free(&c);
}

static void test_session_memcap(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    struct ah_out c = {0};
    app_ctx_t *ctx = app_ctx_new(&cfg, ah_record, &c);
    struct flow f;
    flow_with_ports(&f, 40000, 80, 6);
    /* Refuse each charge in turn: no crash, no leak, memuse back to 0. */
    for (uint64_t k = 1; k <= 6; k++) {
        mem_fault_at(k);
        struct app_session *s = app_session_new(ctx, &f);
        if (s) {
            app_session_data(s, 0, (const uint8_t *)"GE", 2);
            app_session_data(s, 0, (const uint8_t *)"T / HTTP/1.1\r\n\r\n", 16);
            app_session_free(s);
        }
        mem_fault_at(0);
    }
    struct app_stats st;
    app_get_stats(ctx, &st);
    assert_int_equal(st.memuse, 0);
    assert_true(st.memcap_refused >= 1);
    app_ctx_free(ctx);
    ah_out_free(&c);
}

/* ---------- line splitter ---------- */

struct lines {
    char got[16][128];
    int n;
    int stop_after; /* stop after this many lines (0: never) */
};

static int line_cb(void *user, const uint8_t *line, size_t len, bool crlf, bool cut)
{
    struct lines *l = user;
    if (l->n < 16)
        snprintf(l->got[l->n++], sizeof l->got[0], "%.*s%s%s", (int)len, (const char *)line,
                 crlf ? "|crlf" : "", cut ? "|cut" : "");
    return l->stop_after && l->n >= l->stop_after;
}

static void test_linebuf(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    app_ctx_t *ctx = app_ctx_new(&cfg, NULL, NULL);
    struct flow f;
    flow_with_ports(&f, 1, 2, 6);
    struct app_session *s = app_session_new(ctx, &f);
    const char *text = "one\r\ntwo\nthree-is-long\r\nfour\r\n";
    const char *want[] = {"one|crlf", "two", "three-is|cut", "four|crlf"};
    /* Every chunk size gives the same lines (limit 8 bytes). */
    for (size_t chunk = 1; chunk <= strlen(text); chunk++) {
        struct app_linebuf lb = {0};
        struct lines l = {0};
        for (size_t i = 0; i < strlen(text); i += chunk) {
            size_t n = MM_MIN(chunk, strlen(text) - i);
            long r = app_linebuf_feed(s, &lb, 8, (const uint8_t *)text + i, n, line_cb, &l);
            assert_int_equal(r, (long)n);
        }
        assert_int_equal(l.n, 4);
        for (int k = 0; k < 4; k++)
            assert_string_equal(l.got[k], want[k]);
        assert_int_equal(app_linebuf_pending(&lb), 0);
        app_linebuf_free(s, &lb);
    }
    /* Stop after the first line: the rest belongs to the caller. */
    struct app_linebuf lb = {0};
    struct lines l = {.stop_after = 1};
    long r = app_linebuf_feed(s, &lb, 64, (const uint8_t *)"DATA\r\nbody", 10, line_cb, &l);
    assert_int_equal(r, 6);
    /* An unterminated last line is held, then flushed. */
    l.stop_after = 0;
    r = app_linebuf_feed(s, &lb, 64, (const uint8_t *)"tail", 4, line_cb, &l);
    assert_int_equal(r, 4);
    assert_int_equal(app_linebuf_pending(&lb), 4);
    app_linebuf_flush(&lb, line_cb, &l);
    assert_string_equal(l.got[1], "tail");
    /* Memory refused for a partial line: -1. */
    app_linebuf_free(s, &lb);
    mem_fault_at(1);
    r = app_linebuf_feed(s, &lb, 64, (const uint8_t *)"partial", 7, line_cb, &l);
    mem_fault_at(0);
    assert_int_equal(r, -1);
    app_linebuf_free(s, &lb);
    app_session_free(s);
    struct app_stats st;
    app_get_stats(ctx, &st);
    assert_int_equal(st.memuse, 0);
    app_ctx_free(ctx);
}

/* ---------- DNS over TCP and transaction matching ---------- */

/* Query (id) for "a.example" A, or its response with one A record. */
static size_t dns_msg(uint8_t *out, uint16_t id, bool response)
{
    static const uint8_t qname[] = {1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    size_t n = 0;
    out[n++] = (uint8_t)(id >> 8);
    out[n++] = (uint8_t)id;
    out[n++] = response ? 0x81 : 0x01;
    out[n++] = response ? 0x80 : 0x00;
    const uint8_t counts[8] = {0, 1, 0, (uint8_t)(response ? 1 : 0), 0, 0, 0, 0};
    memcpy(out + n, counts, 8);
    n += 8;
    memcpy(out + n, qname, sizeof qname);
    n += sizeof qname;
    const uint8_t tc[4] = {0, 1, 0, 1};
    memcpy(out + n, tc, 4);
    n += 4;
    if (response) {
        const uint8_t rr[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1};
        memcpy(out + n, rr, sizeof rr);
        n += sizeof rr;
    }
    return n;
}

static size_t framed(uint8_t *out, uint16_t id, bool response)
{
    size_t n = dns_msg(out + 2, id, response);
    out[0] = (uint8_t)(n >> 8);
    out[1] = (uint8_t)n;
    return n + 2;
}

static void run_tcp_dns(struct ah_out *c, size_t chunk)
{
    struct app_config cfg;
    app_config_defaults(&cfg);
    app_ctx_t *ctx = app_ctx_new(&cfg, ah_record, c);
    struct flow f;
    flow_with_ports(&f, 40000, 53, 6);
    struct app_session *s = app_session_new(ctx, &f);
    uint8_t q[256], r[256];
    size_t qn = framed(q, 0x1111, false);
    qn += framed(q + qn, 0x2222, false);
    size_t rn = framed(r, 0x2222, true);
    rn += framed(r + rn, 0x1111, true);
    rn += framed(r + rn, 0x3333, true); /* answers nothing */
    for (size_t i = 0; i < qn; i += chunk)
        app_session_data(s, 0, q + i, MM_MIN(chunk, qn - i));
    for (size_t i = 0; i < rn; i += chunk)
        app_session_data(s, 1, r + i, MM_MIN(chunk, rn - i));
    assert_int_equal(app_session_proto(s), APP_PROTO_DNS);
    app_session_free(s);
    struct app_stats st;
    app_get_stats(ctx, &st);
    assert_int_equal(st.memuse, 0);
    assert_int_equal(st.flows_dns_tcp, 1);
    app_ctx_free(ctx);
}

static void test_dns_tcp_chunking(void **state)
{
    (void)state;
    struct ah_out whole = {0}, other = {0};
    run_tcp_dns(&whole, 4096);
    /* 2 queries, 3 responses, 1 UNSOLICITED_RESPONSE anomaly. */
    assert_int_equal(whole.n_rec, 6);
    assert_non_null(strstr(whole.rec[0], "\"id\":4369"));
    assert_non_null(strstr(whole.rec[0], "\"tx_id\":0"));
    assert_non_null(strstr(whole.rec[2], "\"id\":8738")); /* the response to the 2nd query */
    assert_non_null(strstr(whole.rec[2], "\"rdata\":\"192.0.2.1\""));
    assert_non_null(strstr(whole.rec[4], "UNSOLICITED_RESPONSE"));
    for (size_t chunk = 1; chunk <= 40; chunk++) {
        ah_out_free(&other);
        run_tcp_dns(&other, chunk);
        assert_int_equal(other.n_rec, whole.n_rec);
        for (int i = 0; i < whole.n_rec; i++)
            assert_string_equal(other.rec[i], whole.rec[i]);
    }
    ah_out_free(&whole);
    ah_out_free(&other);
}

static void test_dns_udp_flood_and_malformed(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    struct ah_out c = {0};
    app_ctx_t *ctx = app_ctx_new(&cfg, ah_record, &c);
    struct flow f;
    flow_with_ports(&f, 40000, 53, 17);
    struct app_session *s = app_session_new(ctx, &f);
    uint8_t m[128];
    /* 40 queries never answered: the pending table (32) overflows, FLOODED reported. */
    for (int i = 0; i < 40; i++) {
        ah_out_free(&c);
        size_t n = dns_msg(m, (uint16_t)i, false);
        app_session_datagram(s, 0, m, n);
    }
    struct app_stats st;
    app_get_stats(ctx, &st);
    assert_int_equal(st.records[APP_REC_DNS], 40);
    assert_int_equal(st.limits_hit, 8);
    /* The response to id 39 still matches (tx 39); id 0 was forgotten: unsolicited. */
    ah_out_free(&c);
    size_t n = dns_msg(m, 39, true);
    app_session_datagram(s, 1, m, n);
    assert_int_equal(c.n_rec, 1);
    assert_non_null(strstr(c.rec[0], "\"tx_id\":39"));
    ah_out_free(&c);
    n = dns_msg(m, 0, true);
    app_session_datagram(s, 1, m, n);
    assert_int_equal(c.n_rec, 2);
    assert_non_null(strstr(c.rec[0], "UNSOLICITED_RESPONSE"));
    /* Shorter than a header: one MALFORMED_DATA anomaly, no record. */
    ah_out_free(&c);
    app_session_datagram(s, 0, m, 5);
    assert_int_equal(c.n_rec, 1);
    assert_non_null(strstr(c.rec[0], "MALFORMED_DATA"));
    app_session_free(s);
    app_ctx_free(ctx);
    ah_out_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect_table),
        cmocka_unit_test(test_detect_udp),
        cmocka_unit_test(test_session_detect_split),
        cmocka_unit_test(test_session_memcap),
        cmocka_unit_test(test_linebuf),
        cmocka_unit_test(test_dns_tcp_chunking),
        cmocka_unit_test(test_dns_udp_flood_and_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
