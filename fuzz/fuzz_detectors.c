/*
 * Fuzz target: the built-in detectors (src/detect/dt_*.c) and enrichment, fed as the packet
 * loop feeds them. Every detector is on, with small memcaps so that tables fill and entries
 * are taken over, a one-second update interval, a small threat-intel list naming some of the
 * addresses below, and no word lists (the password checker has its own target). Packets are
 * built from the input and go through decode and a flow table, so flow ends and timeouts
 * reach the detectors too; records have the shapes the parsers hand out, with fields from the
 * input: HTTP transactions (webscan, attachment, intel, latency), logins and their passwords
 * (bruteforce, weakpass), files (attachment) and DNS messages (through the real DNS parser:
 * intel, enrichment).
 *
 * Input: a sequence of operations, each an op byte (low three bits: the kind) and its fields:
 *   0 TCP, 1 UDP, 2 ICMP packet: addresses byte (bits 0-2 source, 3-5 destination, bit 6
 *     IPv6), ports byte (low / high nibble), flags byte, payload length byte + payload
 *   3 time: two bytes; bit 15 steps back, bit 14 counts seconds instead of milliseconds
 *   4 HTTP transaction on a flow (addresses and ports bytes for the TCP segment that makes
 *     the flow): status (two bytes), flags, then length-prefixed method, URI, user agent,
 *     host, response content type, Content-Disposition, and the response body (two-byte
 *     length); records 5-7 start with the same two bytes
 *   5 login: protocol, outcome, user, password
 *   6 file: protocol (bit 7: with a mail header, read as op 14's fields after the file's),
 *     name, content type, first bytes (two-byte length)
 *   7 DNS message (two-byte length), on a UDP flow to or from port 53
 *   8 TLS handshake record (intel: SNI, JA3, JA4, certificate SHA-1): flags, SNI, JA3 choice,
 *     JA4, 20 fingerprint bytes, subject, issuer
 *   14 end of a mail message (the attachment detector's archives waiting for a password):
 *     protocol, then length-prefixed From, To, Cc, subject and text
 *   10 ARP (portscan's ARP sweeps): kind byte (bit 0 reply, bit 1 unicast, bit 2 asker
 *     0.0.0.0), addresses byte (as for packets; IPv4: the asker, and the address asked for
 *     with its last byte replaced by the third byte), that last byte
 *   9, 11-13, 15 as 1, 3-5, 7 (op & 7)
 * Time starts at a fixed instant, so the same input does the same thing.
 *
 * Checked: no crash or sanitizer report, no hang (the time steps are bounded), each detector's
 * memory use within its memcap, every alert's evidence a complete JSON object.
 */
#include "fuzz_check.h"
#include "app/app.h"
#include "app/dns.h"
#include "app/dns_rec.h"
#include "app/file.h"
#include "app/http.h"
#include "app/mime.h"
#include "app/tls.h"
#include "core/mm.h"
#include "decode/decode.h"
#include "detect/dtr.h"
#include "detect/rule.h"
#include "enrich/enrich.h"
#include "flow/flow.h"
#include "testlib/pktbuild.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEC 1000000000ull
#define MS 1000000ull
#define T0 (1713830400ull * SEC)

static const uint32_t v4[8] = {
    IP4(10, 0, 0, 1),    IP4(10, 0, 0, 2),     IP4(192, 168, 1, 10), IP4(192, 168, 1, 20),
    IP4(203, 0, 113, 5), IP4(198, 51, 100, 7), IP4(8, 8, 8, 8),      IP4(224, 0, 0, 251),
};
static const char *const v6[8] = {"fd00::1",     "fd00::2",     "fe80::1", "2001:db8::5",
                                  "2001:db8::6", "2001:db8::7", "ff02::1", "::1"};
static const uint16_t ports[16] = {80,  443, 22,   25,   110,  143, 993, 995,
                                   465, 53,  8080, 3389, 4444, 0,   123, 40000};

/* Threat-intel lists, one per format (each file's format is detected from its content). */
#define LISTED_JA3 "e7d705a3286e19ea42f587b344ee6865"
#define LISTED_SHA1 "3784422d67a6ae0c82d60eeaf3850960a9896cb2"
static const char *const intel_lists[][2] = {
    {"ips", "# fuzz list\n203.0.113.5\n2001:db8::5\n198.51.100.0/24\n"},
    {"domains", "bad.example\nevil.test\n"},
    {"ja3", "# abuse.ch Suricata JA3 Fingerprint Blacklist (CSV)\n"
            "# ja3_md5,Firstseen,Lastseen,Listingreason\n" LISTED_JA3
            ",2017-07-14 18:08:15,2019-07-27 20:42:54,Tofsee\n"},
    {"sha1",
     "# abuse.ch SSLBL SSL Certificate Blacklist (SHA1 Fingerprints)\n"
     "# Listingdate,SHA1,Listingreason\n2022-07-02 07:02:11," LISTED_SHA1 ",AsyncRAT C&C\n"},
    {"urlhaus", "# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n"
                "\"1\",\"2024-01-01 00:00:00\",\"http://203.0.113.5/payload.exe\",\"online\",\"\","
                "\"malware_download\",\"exe\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n"},
};
#define N_LISTS (sizeof intel_lists / sizeof intel_lists[0])
static char intel_path[N_LISTS][80];

static void remove_intel(void)
{
    for (size_t i = 0; i < N_LISTS; i++)
        (void)remove(intel_path[i]);
}

static void setup(void)
{
    for (size_t i = 0; i < N_LISTS; i++) {
        snprintf(intel_path[i], sizeof intel_path[i], "/tmp/mamori-fuzz-intel-%d-%s.txt",
                 (int)getpid(), intel_lists[i][0]);
        FILE *fp = fopen(intel_path[i], "w");
        CHECK(fp);
        fputs(intel_lists[i][1], fp);
        CHECK(fclose(fp) == 0);
    }
    atexit(remove_intel);
}

struct run {
    dtr_host_t *h;
    enrich_t *en;
    dec_ctx_t *dec;
    flow_table_t *ft;
    uint64_t now;
    const uint8_t *in;
    size_t left;
};

static bool on_alert(void *u, const struct det_alert *a)
{
    (void)u;
    CHECK(a->rule);
    static int verbose = -1; /* FUZZ_VERBOSE=1: each alert's sid (to see what a seed reaches) */
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "alert sid %u\n", (unsigned)a->rule->sid);
    if (a->mamori_len) {
        CHECK(a->mamori_json[0] == '{');
        CHECK(a->mamori_json[a->mamori_len - 1] == '}');
    }
    return true;
}

static void on_flow_end(const struct flow *f, enum flow_end_reason reason, void *u)
{
    (void)reason;
    struct run *r = u;
    dtr_flow_end(r->h, f);
}

static uint8_t take8(struct run *r)
{
    if (!r->left)
        return 0;
    r->left--;
    return *r->in++;
}

static uint16_t take16(struct run *r)
{
    uint16_t hi = take8(r);
    return (uint16_t)(hi << 8 | take8(r));
}

/* n bytes of input (fewer at its end); *len says how many. */
static const uint8_t *take(struct run *r, size_t n, size_t *len)
{
    const uint8_t *p = r->in;
    *len = MM_MIN(n, r->left);
    r->in += *len;
    r->left -= *len;
    return p;
}

/* A length byte and that many bytes, as an http_str (NULL when the length is 0). */
static struct http_str take_str(struct run *r)
{
    size_t n;
    const uint8_t *p = take(r, take8(r), &n);
    struct http_str s = {n ? p : NULL, n};
    return s;
}

/* One packet through decode and the flow table to the detectors (as src/cli/run.c does). */
static struct flow *feed(struct run *r, struct pb *b, enum flow_dir *dir_out)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.data = pb_data(b);
    p.caplen = p.wirelen = (uint32_t)pb_len(b);
    p.ts_ns = r->now;
    p.linktype = 1;
    dec_packet(r->dec, &p);
    enum flow_dir dir = FLOW_TOSERVER;
    struct flow *f = flow_handle_packet(r->ft, &p, &dir);
    if (!f || f->pkts[dir] == 1)
        enrich_packet(r->en, &p);
    dtr_feed_packet(r->h, f, f ? (int)dir : 0, &p);
    if (dir_out)
        *dir_out = dir;
    return f;
}

/* A packet: proto 6, 17, 1 (ICMP or ICMPv6 by the family). */
static struct flow *packet(struct run *r, uint8_t proto, uint8_t addrs, uint8_t portb,
                           uint8_t flags, const uint8_t *pl, size_t pl_len, enum flow_dir *dir)
{
    bool six = addrs & 0x40;
    uint16_t sport = ports[portb & 15], dport = ports[portb >> 4];
    struct pb b;
    pb_init(&b);
    if (pl_len)
        pb_bytes(&b, pl, pl_len);
    uint8_t l4 = proto;
    if (proto == 6) {
        pb_tcp_simple(&b, sport, dport, flags & 0x3f, 1000u + flags, (flags & PB_ACK) ? 2000 : 0);
    } else if (proto == 17) {
        pb_udp(&b, sport, dport);
    } else if (six) {
        pb_icmp6(&b, flags, (uint8_t)(portb & 3), 0x00010001u);
        l4 = PB_ICMPV6;
    } else {
        pb_icmp4(&b, flags, (uint8_t)(portb & 3), 0x00010001u);
    }
    if (six) {
        pb_ipv6(&b, v6[addrs & 7], v6[(addrs >> 3) & 7], l4);
        pb_eth(&b, PB_ETH_IPV6);
    } else {
        pb_ipv4(&b, v4[addrs & 7], v4[(addrs >> 3) & 7], l4);
        pb_eth(&b, PB_ETH_IPV4);
    }
    return feed(r, &b, dir);
}

static void op_packet(struct run *r, uint8_t proto)
{
    uint8_t addrs = take8(r), portb = take8(r), flags = take8(r);
    size_t n;
    const uint8_t *pl = take(r, take8(r), &n);
    (void)packet(r, proto, addrs, portb, flags, pl, n, NULL);
}

/* An ARP request from one of the IPv4 addresses (a) for another with its last byte from the
 * input (b), so one machine can ask for many; or b's reply to a. */
static void op_arp(struct run *r)
{
    uint8_t kind = take8(r), addrs = take8(r), last = take8(r);
    uint32_t a = (kind & 4) ? 0 : v4[addrs & 7], b = (v4[(addrs >> 3) & 7] & ~0xffu) | last;
    uint8_t amac[6] = {2, 0, 0, 0, 0, (uint8_t)(addrs & 7)}, bmac[6] = {2, 0, 0, 0, 1, last};
    bool reply = kind & 1;
    const uint8_t *smac = reply ? bmac : amac, *tmac = reply ? amac : bmac;
    uint32_t s = reply ? b : a, t = reply ? a : b;
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, none[6] = {0};
    struct pb pk;
    pb_eth_arp(&pk, reply ? 2 : 1, smac, s, reply ? tmac : none, t,
               reply || (kind & 2) ? tmac : bcast);
    (void)feed(r, &pk, NULL);
}

static void op_time(struct run *r)
{
    uint16_t v = take16(r);
    uint64_t step = (uint64_t)(v & 0x3fff) * ((v & 0x4000) ? SEC : MS);
    if (v & 0x8000)
        r->now = r->now > step ? r->now - step : 0;
    else
        r->now += step;
}

/* A flow for a record: a data segment of a TCP (or UDP) conversation. */
static struct flow *record_flow(struct run *r, uint8_t proto, enum flow_dir *dir)
{
    uint8_t addrs = take8(r), portb = take8(r);
    static const uint8_t req[] = "GET / HTTP/1.1\r\n";
    return packet(r, proto, addrs, portb, PB_ACK | PB_PSH, req, sizeof req - 1, dir);
}

static void op_http(struct run *r)
{
    enum flow_dir dir;
    struct flow *f = record_flow(r, 6, &dir);
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.status = (int)(take16(r) % 700) - 1; /* -1: no status line */
    uint8_t fl = take8(r);
    tx.flags = fl & 1 ? HTTP_TX_NO_REQUEST : 0;
    tx.flags |= fl & 2 ? HTTP_TX_RESP_INCOMPLETE : 0;
    tx.flags |= fl & 4 ? HTTP_TX_RESP_BODY_GAP : 0;
    tx.method = take_str(r);
    tx.uri = take_str(r);
    tx.user_agent = take_str(r);
    tx.host = take_str(r);
    tx.hostname = tx.host;
    tx.http_port = -1;
    tx.resp_content_type = take_str(r);
    struct http_header rh[2];
    size_t nrh = 0;
    struct http_str cd = take_str(r);
    if (cd.p) {
        rh[nrh].name = (struct http_str){(const uint8_t *)"Content-Disposition", 19};
        rh[nrh++].value = cd;
    }
    if (fl & 8) {
        rh[nrh].name = (struct http_str){(const uint8_t *)"Content-Range", 13};
        rh[nrh++].value = (struct http_str){(const uint8_t *)"bytes 0-99/1000", 15};
    }
    tx.resp_headers = nrh ? rh : NULL;
    tx.n_resp_headers = nrh;
    size_t n;
    tx.resp_body = take(r, take16(r) % 4096, &n);
    tx.resp_body_len = n;
    tx.resp_entity = tx.resp_decoded = tx.resp_wire = n + (fl & 16 ? 100000u : 0u);
    if (!n)
        tx.resp_body = NULL;
    if (f)
        dtr_record(r->h, f, (int)dir, r->now, APP_REC_HTTP, &tx);
}

static void op_login(struct run *r)
{
    static const enum app_proto protos[] = {APP_PROTO_FTP, APP_PROTO_POP3, APP_PROTO_IMAP,
                                            APP_PROTO_SMTP, APP_PROTO_HTTP};
    enum flow_dir dir;
    struct flow *f = record_flow(r, 6, &dir);
    struct app_login lg;
    memset(&lg, 0, sizeof lg);
    lg.proto = protos[take8(r) % MM_ARRAY_LEN(protos)];
    lg.mechanism = "USER/PASS";
    lg.outcome = (enum app_login_outcome)(take8(r) % 3);
    lg.ts_ns = r->now;
    struct http_str user = take_str(r), pw = take_str(r);
    lg.user = user.p;
    lg.user_len = user.len;
    if (!f)
        return;
    if (pw.p)
        dtr_password(r->h, f, &lg, pw.p, pw.len);
    dtr_record(r->h, f, (int)dir, r->now, APP_REC_LOGIN, &lg);
}

/* A mail header and text from the input into e; the strings live in buf (NUL-terminated). */
static void take_email(struct run *r, struct mime_email *e, char buf[4][256])
{
    memset(e, 0, sizeof *e);
    for (int i = 0; i < 4; i++) {
        struct http_str x = take_str(r);
        memcpy(buf[i], x.p ? x.p : (const uint8_t *)"", x.len);
        buf[i][x.len] = 0;
    }
    e->from = buf[0][0] ? buf[0] : NULL;
    e->to[0] = buf[1];
    e->n_to = buf[1][0] ? 1 : 0;
    e->cc[0] = buf[2];
    e->n_cc = buf[2][0] ? 1 : 0;
    e->subject = buf[3][0] ? buf[3] : NULL;
    size_t n;
    e->text = take(r, take16(r) % 4096, &n);
    e->text_len = (uint32_t)n;
}

static void op_message(struct run *r)
{
    static const enum app_proto protos[] = {APP_PROTO_SMTP, APP_PROTO_POP3, APP_PROTO_IMAP};
    enum flow_dir dir;
    struct flow *f = record_flow(r, 6, &dir);
    enum app_proto proto = protos[take8(r) % MM_ARRAY_LEN(protos)];
    struct mime_email e;
    char buf[4][256];
    take_email(r, &e, buf);
    dtr_message(r->h, f, (int)dir, r->now, proto, &e);
}

static void op_file(struct run *r)
{
    static const enum app_proto protos[] = {APP_PROTO_SMTP, APP_PROTO_POP3, APP_PROTO_IMAP,
                                            APP_PROTO_HTTP};
    enum flow_dir dir;
    struct flow *f = record_flow(r, 6, &dir);
    struct app_file af;
    memset(&af, 0, sizeof af);
    uint8_t pb = take8(r);
    af.proto = protos[pb % MM_ARRAY_LEN(protos)];
    struct http_str name = take_str(r), ct = take_str(r);
    af.name = name.p;
    af.name_len = name.len;
    char ctype[256];
    if (ct.p) {
        memcpy(ctype, ct.p, ct.len);
        ctype[ct.len] = 0;
        af.content_type = ctype;
    }
    size_t n;
    af.head = take(r, take16(r) % 8192, &n);
    af.head_len = n;
    af.size = n;
    af.magic = n ? "data" : NULL;
    af.state = APP_FILE_CLOSED;
    struct mime_email e;
    char buf[4][256];
    if (pb & 0x80) {
        take_email(r, &e, buf);
        af.email = &e;
    }
    if (f)
        dtr_record(r->h, f, (int)dir, r->now, APP_REC_FILE, &af);
}

static void op_dns(struct run *r)
{
    enum flow_dir dir;
    struct flow *f = record_flow(r, 17, &dir);
    size_t n;
    const uint8_t *m = take(r, take16(r) % 1024, &n);
    struct dns_msg *msg = malloc(sizeof *msg);
    CHECK(msg);
    if (app_dns_parse(m, n, msg) == 0) {
        struct app_dns_rec rec = {.msg = msg, .tx_id = 0};
        enrich_dns(r->en, &rec, r->now);
        if (f)
            dtr_record(r->h, f, (int)dir, r->now, APP_REC_DNS, &rec);
    }
    free(msg);
}

/* A length byte and that many bytes into a NUL-terminated string of at most cap - 1 bytes. */
static void take_cstr(struct run *r, char *out, size_t cap)
{
    struct http_str v = take_str(r);
    size_t n = MM_MIN(v.len, cap - 1);
    if (n)
        memcpy(out, v.p, n);
    out[n] = 0;
}

static void op_tls(struct run *r)
{
    enum flow_dir dir;
    struct flow *f = record_flow(r, 6, &dir);
    struct tls_rec *t = calloc(1, sizeof *t);
    CHECK(t);
    uint8_t fl = take8(r);
    t->client_hello = fl & 1;
    t->server_hello = fl & 2;
    t->has_sni = fl & 4;
    t->has_cert = fl & 8;
    t->handshake_done = fl & 16;
    struct http_str sni = take_str(r);
    t->sni_len = (uint16_t)MM_MIN(sni.len, (size_t)TLS_SNI_MAX);
    if (t->sni_len)
        memcpy(t->sni, sni.p, t->sni_len);
    uint8_t j = take8(r);
    if (j % 3 == 1) {
        memcpy(t->ja3_hash, LISTED_JA3, 32);
    } else if (j % 3 == 2) {
        size_t n;
        const uint8_t *h = take(r, 32, &n);
        for (size_t i = 0; i < n; i++)
            t->ja3_hash[i] = "0123456789abcdef"[h[i] & 15];
    }
    take_cstr(r, t->ja4, sizeof t->ja4);
    size_t n;
    const uint8_t *fp = take(r, 20, &n);
    if (fl & 32) {
        for (size_t i = 0; i < 20; i++) /* the listed certificate */
            sprintf(t->cert.fingerprint + 3 * i, i < 19 ? "%.2s:" : "%.2s", &LISTED_SHA1[2 * i]);
    } else {
        for (size_t i = 0; i < n; i++)
            sprintf(t->cert.fingerprint + 3 * i, i + 1 < n ? "%02x:" : "%02x", fp[i]);
    }
    char subject[128], issuer[128];
    take_cstr(r, subject, sizeof subject);
    take_cstr(r, issuer, sizeof issuer);
    t->cert.subject = subject;
    t->cert.issuer = issuer;
    if (f)
        dtr_record(r->h, f, (int)dir, r->now, APP_REC_TLS, t);
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    if (!ready) {
        setup();
        ready = true;
    }
    static const struct dtr_setting settings[] = {
        {"intel", "memcap", "64kb", 0},          {"beacon", "memcap", "128kb", 0},
        {"portscan", "memcap", "256kb", 0},      {"webscan", "memcap", "128kb", 0},
        {"flood", "memcap", "256kb", 0},         {"latency", "memcap", "128kb", 0},
        {"bruteforce", "memcap", "128kb", 0},    {"attachment", "memcap", "64kb", 0},
        {"weakpass", "memcap", "64kb", 0},       {"weakpass", "dictionary", "", 0},
        {"weakpass", "common-passwords", "", 0},
    };
    struct run r;
    memset(&r, 0, sizeof r);
    r.now = T0;
    r.in = data;
    r.left = size;

    struct enrich_config ec;
    enrich_config_defaults(&ec);
    ec.oui_path = NULL;
    ec.mac_memcap = 64u << 10;
    ec.dns_memcap = 64u << 10;
    char err[512];
    r.en = enrich_new(&ec, err, sizeof err);
    CHECK(r.en);
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    cfg.update_interval_ns = SEC;
    cfg.settings = settings;
    cfg.n_settings = MM_ARRAY_LEN(settings);
    for (size_t i = 0; i < N_LISTS; i++)
        cfg.intel_files[i] = intel_path[i];
    cfg.n_intel = N_LISTS;
    r.h = dtr_new(&cfg, r.en, on_alert, &r, err, sizeof err);
    if (!r.h)
        fprintf(stderr, "dtr_new: %s\n", err);
    CHECK(r.h);
    struct dec_config dc;
    dec_config_defaults(&dc);
    r.dec = dec_ctx_new(&dc);
    struct flow_config fc;
    flow_config_defaults(&fc);
    fc.memcap_bytes = 256u << 10;
    r.ft = flow_table_new(&fc, on_flow_end, &r);
    CHECK(r.dec && r.ft);

    while (r.left) {
        uint8_t op = take8(&r);
        if ((op & 15) == 8) {
            op_tls(&r);
            continue;
        }
        if ((op & 15) == 14) {
            op_message(&r);
            continue;
        }
        if ((op & 15) == 10) {
            op_arp(&r);
            continue;
        }
        switch (op & 7) {
        case 0: op_packet(&r, 6); break;
        case 1: op_packet(&r, 17); break;
        case 2: op_packet(&r, 1); break;
        case 3: op_time(&r); break;
        case 4: op_http(&r); break;
        case 5: op_login(&r); break;
        case 6: op_file(&r); break;
        default: op_dns(&r); break;
        }
    }
    flow_expire(r.ft, r.now + 3600 * SEC);
    flow_end_all(r.ft, FLOW_END_SHUTDOWN);
    dtr_finish(r.h, r.now);

    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    size_t nd = dtr_get_stats(r.h, st, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < nd; i++)
        CHECK(!st[i].memcap || st[i].memuse <= st[i].memcap);

    flow_table_free(r.ft);
    dec_ctx_free(r.dec);
    dtr_free(r.h);
    enrich_free(r.en);
    return 0;
}
