/*
 * Fuzz target: the rule engine's matcher (src/detect/detect.c, match.c, buffers.c,
 * prefilter.c) on hostile traffic. One engine is built once from the rules below; they cover
 * content windows (offset/depth/distance/within, negation, nocase, startswith/endswith,
 * fast_pattern), pcre chains, byte_test/byte_jump/byte_extract in their forms, isdataat,
 * bsize/dsize, transforms, the rebuilt HTTP message, flowbits/flowint/xbits,
 * threshold/detection_filter, pass, IP-only and `<>` rules. Each input runs on a fresh decoder,
 * flow table and worker, all freed at its end.
 *
 * Input: byte 0 picks the mode (low 3 bits, modulo 5), an option (bit 7) and, for packets
 * and stream chunks, whether the flow's application protocol is HTTP (bit 6: an `alert http`
 * rule with only payload content is a stream rule that needs it); then
 *   0 packet   one raw IPv4/IPv6 packet (bit 7: DLT 12 instead of LINKTYPE_RAW 101), decoded,
 *              given a flow and inspected with det_packet (no reassembly: TCP payload rules
 *              run on the packet).
 *   1 packets  records | len (2, BE) | step (1): seconds to advance | bytes |: up to 32 raw
 *              packets, flows expiring between them (flowbits, flowint, thresholds).
 *   2 stream   a TCP flow 10.0.0.1:40000 -> 10.0.0.2:80 opened by a fixed handshake (bit 7:
 *              SYN only, so the flow is not established), then records
 *              | ctl (1): bit 0 direction, bits 1-7 seconds to advance | len (2, BE) | bytes |
 *              of up to 32 chunks given to det_stream.
 *   3 dns      a DNS message on a UDP flow 10.0.0.1:40001 -> 10.0.0.2:53, parsed with
 *              app_dns_parse and inspected with det_record.
 *   4 http     an HTTP transaction on the TCP flow, built field by field (run_http below:
 *              | len (1), 255 = absent | bytes | per string, then status, flags and the
 *              header lists), inspected with det_record (bit 7: the record arrives in
 *              direction 1). Transforms exist on sticky buffers only, so
 *              this mode and dns are where buffers.c and the transforms run.
 * Every packet, chunk and field is copied into an exact-size heap buffer so ASan sees a
 * one-byte over-read.
 *
 * Checked: every rule loads; every alert names a loaded rule with a sid, never a noalert or
 * pass rule, carries the flow, packet and record being inspected and a direction of 0 or 1
 * that its flow keyword allows; the worker counts as many alerts as the callback saw; once
 * every flow has ended no flow-variable memory is left charged.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "app/dns_rec.h"
#include "app/http.h"
#include "capture/capture.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "detect/rule.h"
#include "flow/flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Kept in step with fuzz/gen_corpus_detect.py, which writes a seed for each rule. */
static const char rules_text[] =
    "alert tcp any any -> any any (msg:\"fz content window\"; flow:established,to_server; "
    "content:\"GET \"; offset:0; depth:4; content:\"/admin\"; distance:0; within:6; "
    "content:\"HTTP/1.\"; distance:1; sid:1001; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz nocase negation startswith endswith\"; "
    "content:\"USER \"; nocase; startswith; content:!\"anonymous\"; distance:0; within:12; "
    "content:\"PASS \"; nocase; distance:0; content:\"|0d 0a|\"; endswith; sid:1002; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz fast_pattern chop\"; "
    "content:\"|de ad|xyzzy-magic\"; fast_pattern:2,5; content:\"END\"; distance:0; within:32; "
    "sid:1003; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz fast_pattern only\"; content:\"FPONLYTOKEN\"; "
    "fast_pattern:only; sid:1004; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz pcre relative chain\"; content:\"CMD \"; "
    "pcre:\"/^[A-Z]{3,8}\\s+/R\"; pcre:\"/^\\d{2,5}/R\"; content:\"!\"; distance:0; within:1; "
    "sid:1005; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz pcre flags negated\"; content:\"login:\"; nocase; "
    "pcre:\"/^login:\\s*(root|admin)\\s*$/mi\"; pcre:!\"/SAFE.{0,4}evil/s\"; sid:1006; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_test compare bitmask\"; content:\"BT:\"; "
    "byte_test:2,>,1000,0,relative; byte_test:2,<,65000,0,relative; "
    "byte_test:1,=,0x41,2,relative; byte_test:1,!=,0,3,relative; "
    "byte_test:2,=,5,4,relative,bitmask 0x0f00; sid:1007; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_test bits little\"; content:\"BTX\"; "
    "byte_test:4,&,0x80000000,0,relative,little; byte_test:2,^,0xffff,4,relative; "
    "byte_test:1,<=,200,6,relative; byte_test:1,>=,10,6,relative; "
    "byte_test:1,!>,250,6,relative; sid:1008; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_test string\"; content:\"LEN=\"; "
    "byte_test:4,>,100,0,relative,string,dec; content:\"HEX=\"; distance:4; "
    "byte_test:4,=,0xbeef,0,relative,string,hex; content:\"OCT=\"; distance:4; "
    "byte_test:3,=,511,0,relative,string,oct; sid:1009; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_jump relative\"; content:\"BJ:\"; "
    "byte_jump:2,0,relative,post_offset 2; content:\"TGT\"; within:3; sid:1010; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_jump from_beginning from_end\"; "
    "content:\"JMPB\"; depth:4; byte_jump:1,4,from_beginning,multiplier 2,align; "
    "content:\"LAND\"; within:4; byte_jump:1,0,relative,from_end,post_offset -8; "
    "content:\"TAIL\"; within:4; sid:1011; rev:1;)\n"
    "alert ip 192.0.2.0/24 any -> 198.51.100.0/24 any (msg:\"fz ip-only\"; sid:1012; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_jump string little bitmask\"; "
    "content:\"SKIP\"; byte_jump:3,0,relative,string,dec; content:\"BJL\"; within:3; "
    "byte_jump:2,0,relative,little,bitmask 0x0fff; content:\"HERE\"; within:4; sid:1013; "
    "rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_extract within\"; content:\"BX:\"; "
    "byte_extract:1,0,bx_len,relative; content:\"DATA\"; distance:0; within:bx_len; sid:1014; "
    "rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_extract offset depth\"; content:\"BXO\"; "
    "depth:3; byte_extract:2,0,bx_off,relative,little; byte_extract:1,0,bx_dep,relative; "
    "content:\"MARK\"; offset:bx_off; depth:bx_dep; sid:1015; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_extract isdataat\"; content:\"BXI\"; "
    "byte_extract:1,0,bx_sz,relative,multiplier 2; isdataat:bx_sz,relative; "
    "isdataat:!200,relative; isdataat:5; sid:1016; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz byte_extract string align\"; content:\"BXS=\"; "
    "byte_extract:2,0,bx_val,relative,string,dec,align 4; byte_test:1,=,bx_val,0,relative; "
    "sid:1017; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz flowbits set\"; content:\"LOGIN OK\"; "
    "flowbits:set,fz.auth; flowbits:noalert; sid:1018; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz flowbits isset\"; content:\"GETFILE\"; "
    "flowbits:isset,fz.auth; flowbits:set,fz.file; sid:1019; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz flowbits toggle\"; content:\"LOGOUT\"; "
    "flowbits:isnotset,fz.file; flowbits:toggle,fz.auth; sid:1020; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz flowbits any\"; content:\"CHECK\"; "
    "flowbits:isset,fz.auth|fz.file; flowbits:unset,fz.file; sid:1021; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz flowint count\"; content:\"FAIL\"; "
    "flowint:fz.fails,+,1; noalert; sid:1022; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz flowint compare\"; content:\"FAIL\"; "
    "flowint:fz.fails,isset; flowint:fz.fails,>=,3; flowint:fz.seen,notset; "
    "flowint:fz.seen,=,fz.fails; sid:1023; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz threshold\"; content:\"SCAN\"; "
    "threshold:type both, track by_src, count 3, seconds 60; sid:1024; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz detection_filter\"; content:\"PROBE\"; "
    "detection_filter:track by_dst, count 2, seconds 10; sid:1025; rev:1;)\n"
    "alert http 10.0.0.0/8 any <> any 80 (msg:\"fz bidirectional http stream\"; "
    "flow:established; content:\"BIDIR\"; sid:1026; rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz flags dsize\"; flags:S,12; dsize:0; sid:1027; "
    "rev:1;)\n"
    "alert tcp any any -> any any (msg:\"fz tcp packet dsize range\"; flags:PA+; dsize:10<>40; "
    "content:\"PKT\"; depth:3; sid:1028; rev:1;)\n"
    "alert udp any any -> any 5000:5010 (msg:\"fz udp byte chain\"; content:\"|01 02|\"; "
    "depth:2; byte_jump:1,0,relative; byte_test:2,>=,0x0100,0,relative; dsize:>8; sid:1029; "
    "rev:1;)\n"
    "alert udp any any -> any any (msg:\"fz udp pcre no pattern\"; pcre:\"/^UDP[0-9]+X/\"; "
    "xbits:isnotset,fz.pinger,track ip_src; sid:1030; rev:1;)\n"
    "alert ip any any -> any any (msg:\"fz ip ttl xbits\"; ttl:<3; content:\"TTL\"; "
    "xbits:isset,fz.pinger,track ip_pair; sid:1031; rev:1;)\n"
    "alert ip any any -> any any (msg:\"fz ip proto\"; ip_proto:47; sid:1032; rev:1;)\n"
    "alert icmp any any -> any any (msg:\"fz icmp\"; itype:8; icode:0; content:\"PING\"; "
    "offset:4; xbits:set,fz.pinger,track ip_pair,expire 30; sid:1033; rev:1;)\n"
    "alert dns any any -> any any (msg:\"fz dns transforms\"; dns.query; bsize:>10; dotprefix; "
    "content:\".evil.example\"; endswith; to_lowercase; content:\"malware\"; sid:1034; rev:1;)\n"
    "alert http any any -> any any (msg:\"fz http uri ua\"; http.uri; url_decode; "
    "content:\"/../\"; http.user_agent; to_lowercase; content:\"curl\"; startswith; "
    "bsize:<60; sid:1035; rev:1;)\n"
    "pass tcp any any -> any any (msg:\"fz pass\"; content:\"PASSME\"; sid:1036; rev:1;)\n"
    "alert http any any -> any any (msg:\"fz http request\"; flow:to_server; "
    "http.request_line; compress_whitespace; content:\"POST /upload HTTP\"; "
    "http.request_body; content:\"secret\"; sid:1037; rev:1;)\n"
    "alert http any any -> any any (msg:\"fz http message\"; http.method; content:\"POST\"; "
    "pkt_data; content:\"|0d 0a 0d 0a|\"; content:\"password=\"; distance:0; sid:1038; "
    "rev:1;)\n"
    "alert http any any -> any any (msg:\"fz http response\"; flow:to_client; "
    "http.stat_code; content:\"500\"; http.server; content:\"nginx\"; http.response_line; "
    "content:\"Internal\"; sid:1039; rev:1;)\n"
    "alert http any any -> any any (msg:\"fz http headers\"; http.cookie; content:\"session=\"; "
    "http.header; strip_whitespace; content:\"X-Evil:1\"; nocase; http.header_names; "
    "content:\"|0d 0a|Cookie|0d 0a|\"; sid:1040; rev:1;)\n";

#define N_RULES 40u
#define SID_FIRST 1001u
#define SID_LAST (SID_FIRST + N_RULES - 1)
#define MAX_RECORDS 32u
#define NS_PER_S 1000000000ull
#define TS_START (1700000000ull * NS_PER_S)

enum { MODE_PACKET, MODE_PACKETS, MODE_STREAM, MODE_DNS, MODE_HTTP, MODE_COUNT };

static det_engine_t *g_engine;
static struct det_config g_cfg;
/* FUZZ_DETECT_PRINT set: each alert's sid goes to stderr (to check the seeds hit their rule). */
static bool g_print;

/* One input's objects and what the alert callback compares alerts against. */
struct fz {
    dec_ctx_t *dec;
    flow_table_t *ft;
    det_worker_t *w;
    uint64_t ts;
    uint64_t pkt_no;
    uint64_t alerts;
    enum app_proto app_proto; /* given with packets and stream chunks */
    /* What is being inspected now. */
    const struct flow *cur_flow;
    const struct packet *cur_pkt; /* NULL for stream chunks and records */
    const void *cur_rec;          /* NULL for packets and stream chunks */
};

static void engine_free_at_exit(void)
{
    det_engine_free(g_engine);
    g_engine = NULL;
}

/* Built on the first input (the replay driver calls no LLVMFuzzerInitialize). A rule that
 * no longer loads would silently shrink what is fuzzed, so it stops the run. */
static void engine_once(void)
{
    if (g_engine)
        return;
    det_config_defaults(&g_cfg);
    g_cfg.cache_dir = NULL; /* no database cache: nothing written outside the run */
    g_cfg.flowvar_memcap = 1u << 20;
    g_cfg.threshold_memcap = 256u * 1024u;
    g_cfg.xbits_memcap = 256u * 1024u;
    struct det_load_report rep;
    char err[256];
    g_engine = det_engine_load_string(&g_cfg, rules_text, &rep, err, sizeof err);
    if (!g_engine) {
        fprintf(stderr, "fuzz_detect: engine: %s\n", err);
        abort();
    }
    if (rep.loaded != N_RULES || rep.skipped != 0) {
        fprintf(stderr, "fuzz_detect: %u of %u rules loaded\n", rep.loaded, N_RULES);
        abort();
    }
    atexit(engine_free_at_exit);
    g_print = getenv("FUZZ_DETECT_PRINT") != NULL;
}

static bool on_alert(void *user, const struct det_alert *a)
{
    struct fz *z = user;
    if (!a->rule || a->rule->sid < SID_FIRST || a->rule->sid > SID_LAST)
        abort();
    if (a->rule->noalert || a->rule->action == DET_ACT_PASS)
        abort(); /* noalert and pass rules never alert */
    if (a->rs != det_engine_ruleset(g_engine) || (a->dir != 0 && a->dir != 1))
        abort();
    if (a->flow != z->cur_flow || a->pkt != z->cur_pkt || a->rec != z->cur_rec)
        abort();
    /* The flow keyword held: direction, and an established flow has seen both sides. */
    uint32_t ff = a->rule->flow_flags;
    if (((ff & DET_FLOW_TO_SERVER) && a->dir != 0) || ((ff & DET_FLOW_TO_CLIENT) && a->dir != 1))
        abort();
    if ((ff & DET_FLOW_ESTABLISHED) && (!a->flow || !a->flow->pkts[0] || !a->flow->pkts[1]))
        abort();
    z->alerts++;
    if (g_print)
        fprintf(stderr, "fuzz_detect: alert sid %u dir %d\n", a->rule->sid, a->dir);
    return true;
}

static void on_flow_end(const struct flow *f, enum flow_end_reason reason, void *user)
{
    (void)reason;
    struct fz *z = user;
    /* Our table's flow, about to be reused: detection frees its state (as src/cli/run.c). */
    struct flow *mf = (struct flow *)(uintptr_t)f;
    det_flow_end(z->w, mf);
    if (mf->det || mf->det_stream)
        abort();
}

static void *xdup(const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(n ? n : 1);
    if (!b)
        abort();
    if (n)
        memcpy(b, p, n);
    return b;
}

/* ---------------- packets ---------------- */

static const uint8_t ip_client[4] = {10, 0, 0, 1}, ip_server[4] = {10, 0, 0, 2};

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* IPv4 header (checksums are not checked: the decoder runs with DEC_CSUM_NONE). */
static void ipv4_header(uint8_t *b, uint8_t proto, uint16_t total, bool to_server)
{
    memset(b, 0, 20);
    b[0] = 0x45;
    put16(b + 2, total);
    b[6] = 0x40; /* DF */
    b[8] = 64;
    b[9] = proto;
    memcpy(b + 12, to_server ? ip_client : ip_server, 4);
    memcpy(b + 16, to_server ? ip_server : ip_client, 4);
}

/* A bare TCP segment of the fixed flow 10.0.0.1:40000 <-> 10.0.0.2:80 (40 bytes). */
static void tcp_segment(uint8_t b[40], bool to_server, uint8_t flags, uint32_t seq, uint32_t ack)
{
    ipv4_header(b, 6, 40, to_server);
    uint8_t *t = b + 20;
    memset(t, 0, 20);
    put16(t, to_server ? 40000 : 80);
    put16(t + 2, to_server ? 80 : 40000);
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = 0x50;
    t[13] = flags;
    put16(t + 14, 65535);
}

/* Decode one packet, give it a flow and inspect it. The packet bytes are freed on return. */
static struct flow *feed_packet(struct fz *z, const uint8_t *bytes, size_t len, int linktype)
{
    if (len > UINT32_MAX)
        return NULL;
    uint8_t *buf = xdup(bytes, len);
    struct packet p;
    memset(&p, 0, sizeof p);
    p.data = buf;
    p.caplen = p.wirelen = (uint32_t)len;
    p.ts_ns = z->ts;
    p.pkt_no = ++z->pkt_no;
    p.linktype = linktype;
    dec_packet(z->dec, &p);
    enum flow_dir dir = FLOW_TOSERVER;
    struct flow *f = flow_handle_packet(z->ft, &p, &dir);
    z->cur_flow = f;
    z->cur_pkt = &p;
    z->cur_rec = NULL;
    det_packet(z->w, f, f ? (int)dir : 0, &p, false, z->app_proto);
    z->cur_pkt = NULL;
    free(buf);
    return f;
}

/* The fixed TCP flow, established unless syn_only. */
static struct flow *open_tcp_flow(struct fz *z, bool syn_only)
{
    uint8_t seg[40];
    tcp_segment(seg, true, TCP_SYN, 1000, 0);
    struct flow *f = feed_packet(z, seg, sizeof seg, CAP_LINK_RAW);
    if (!f)
        abort(); /* a well-formed SYN always gets a flow */
    if (syn_only)
        return f;
    tcp_segment(seg, false, TCP_SYN | TCP_ACK, 5000, 1001);
    if (feed_packet(z, seg, sizeof seg, CAP_LINK_RAW) != f)
        abort();
    tcp_segment(seg, true, TCP_ACK, 1001, 5001);
    if (feed_packet(z, seg, sizeof seg, CAP_LINK_RAW) != f)
        abort();
    return f;
}

static struct flow *open_udp_flow(struct fz *z)
{
    uint8_t pkt[28];
    ipv4_header(pkt, 17, sizeof pkt, true);
    put16(pkt + 20, 40001);
    put16(pkt + 22, 53);
    put16(pkt + 24, 8);
    put16(pkt + 26, 0);
    struct flow *f = feed_packet(z, pkt, sizeof pkt, CAP_LINK_RAW);
    if (!f)
        abort();
    return f;
}

/* ---------------- modes ---------------- */

static void run_packets(struct fz *z, const uint8_t *d, size_t n)
{
    size_t off = 0;
    for (unsigned k = 0; k < MAX_RECORDS && off + 3 <= n; k++) {
        size_t len = (size_t)(d[off] << 8 | d[off + 1]);
        uint8_t step = d[off + 2];
        off += 3;
        if (len > n - off)
            len = n - off;
        z->ts += step * NS_PER_S;
        (void)feed_packet(z, d + off, len, CAP_LINK_RAW);
        off += len;
        /* Flows may time out between packets: their detection state ends mid-input. */
        flow_expire(z->ft, z->ts);
        dec_expire(z->dec, z->ts);
    }
}

static void run_stream(struct fz *z, const uint8_t *d, size_t n, bool syn_only)
{
    struct flow *f = open_tcp_flow(z, syn_only);
    size_t off = 0;
    /* No flow_expire here: the flow pointer must stay ours for the whole input. */
    for (unsigned k = 0; k < MAX_RECORDS && off + 3 <= n; k++) {
        uint8_t ctl = d[off];
        size_t len = (size_t)(d[off + 1] << 8 | d[off + 2]);
        off += 3;
        if (len > n - off)
            len = n - off;
        z->ts += (uint64_t)(ctl >> 1) * NS_PER_S;
        uint8_t *chunk = xdup(d + off, len);
        off += len;
        z->cur_flow = f;
        z->cur_pkt = NULL;
        z->cur_rec = NULL;
        det_stream(z->w, f, ctl & 1, chunk, (uint32_t)len, z->ts, z->app_proto);
        free(chunk);
    }
}

static void run_dns(struct fz *z, const uint8_t *d, size_t n)
{
    static struct dns_msg m; /* large; one input at a time */
    struct flow *f = open_udp_flow(z);
    uint8_t *buf = xdup(d, n);
    int rc = app_dns_parse(buf, n, &m);
    free(buf);
    if (rc != 0)
        return;
    struct app_dns_rec rec = {.msg = &m, .tx_id = 0, .tcp = false, .unmatched = false};
    z->cur_flow = f;
    z->cur_pkt = NULL;
    z->cur_rec = &rec;
    det_record(z->w, f, m.qr ? 1 : 0, z->ts, APP_REC_DNS, &rec);
    z->cur_rec = NULL;
}

/* Fields of an HTTP transaction as the input lays them out. */
#define HTTP_MAX_HEADERS 8u
#define HTTP_MAX_FIELDS (15u + 4u * HTTP_MAX_HEADERS)

struct field_reader {
    const uint8_t *d;
    size_t n, off;
    void *owned[HTTP_MAX_FIELDS];
    unsigned n_owned;
};

/* | len (1) | bytes |: 255 or the end of input = absent; a short input gives what is left. */
static struct http_str read_field(struct field_reader *r)
{
    struct http_str s = {NULL, 0};
    if (r->off >= r->n || r->n_owned >= HTTP_MAX_FIELDS)
        return s;
    size_t len = r->d[r->off++];
    if (len == 255)
        return s;
    if (len > r->n - r->off)
        len = r->n - r->off;
    void *copy = xdup(r->d + r->off, len);
    r->off += len;
    r->owned[r->n_owned++] = copy;
    s.p = copy;
    s.len = len;
    return s;
}

static uint8_t read_byte(struct field_reader *r)
{
    return r->off < r->n ? r->d[r->off++] : 0;
}

static struct http_header *read_headers(struct field_reader *r, size_t *count)
{
    size_t nh = read_byte(r) % (HTTP_MAX_HEADERS + 1);
    *count = nh;
    if (!nh)
        return NULL;
    struct http_header *h = malloc(nh * sizeof *h); /* exact size, as the parser hands out */
    if (!h)
        abort();
    for (size_t i = 0; i < nh; i++) {
        h[i].name = read_field(r);
        h[i].value = read_field(r);
    }
    return h;
}

static void run_http(struct fz *z, const uint8_t *d, size_t n, int dir)
{
    struct flow *f = open_tcp_flow(z, false);
    struct field_reader r = {.d = d, .n = n, .off = 0, .n_owned = 0};
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.method = read_field(&r);
    tx.uri = read_field(&r);
    tx.uri_norm = read_field(&r);
    tx.protocol = read_field(&r);
    tx.hostname = read_field(&r);
    tx.host = read_field(&r);
    tx.user_agent = read_field(&r);
    tx.referer = read_field(&r);
    tx.req_content_type = read_field(&r);
    tx.resp_protocol = read_field(&r);
    tx.status_msg = read_field(&r);
    tx.resp_content_type = read_field(&r);
    tx.location = read_field(&r);
    struct http_str body = read_field(&r);
    tx.req_body = body.p;
    tx.req_body_len = body.len;
    body = read_field(&r);
    tx.resp_body = body.p;
    tx.resp_body_len = body.len;
    uint16_t status = (uint16_t)(read_byte(&r) << 8);
    status = (uint16_t)(status | read_byte(&r));
    tx.status = (int)status - 1; /* 0 in the input: no status line */
    tx.http_port = -1;
    tx.flags = (uint32_t)(read_byte(&r) & HTTP_TX_NO_REQUEST);
    struct http_header *rq = read_headers(&r, &tx.n_req_headers);
    struct http_header *rs = read_headers(&r, &tx.n_resp_headers);
    tx.req_headers = rq;
    tx.resp_headers = rs;
    z->cur_flow = f;
    z->cur_pkt = NULL;
    z->cur_rec = &tx;
    det_record(z->w, f, dir, z->ts, APP_REC_HTTP, &tx);
    z->cur_rec = NULL;
    free(rq);
    free(rs);
    for (unsigned i = 0; i < r.n_owned; i++)
        free(r.owned[i]);
}

/* ---------------- entry ---------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    engine_once();
    struct fz z;
    memset(&z, 0, sizeof z);
    z.ts = TS_START;

    struct dec_config dc;
    dec_config_defaults(&dc);
    dc.csum = DEC_CSUM_NONE; /* hostile packets reach detection without valid checksums */
    dc.defrag_memcap_bytes = 256 * 1024;
    dc.defrag_max_trackers = 64;
    struct flow_config fc;
    flow_config_defaults(&fc);
    fc.memcap_bytes = 1u << 20;
    z.dec = dec_ctx_new(&dc);
    z.ft = flow_table_new(&fc, on_flow_end, &z);
    z.w = det_worker_new(g_engine, &g_cfg, on_alert, &z);
    if (!z.dec || !z.ft || !z.w)
        abort();

    unsigned mode = (data[0] & 7u) % MODE_COUNT;
    bool opt = (data[0] & 0x80) != 0;
    z.app_proto = (data[0] & 0x40) ? APP_PROTO_HTTP : APP_PROTO_UNKNOWN;
    const uint8_t *rest = data + 1;
    size_t n = size - 1;
    switch (mode) {
    case MODE_PACKET: (void)feed_packet(&z, rest, n, opt ? 12 : CAP_LINK_RAW); break;
    case MODE_PACKETS: run_packets(&z, rest, n); break;
    case MODE_STREAM: run_stream(&z, rest, n, opt); break;
    case MODE_DNS: run_dns(&z, rest, n); break;
    default: run_http(&z, rest, n, opt ? 1 : 0); break;
    }

    flow_end_all(z.ft, FLOW_END_SHUTDOWN);
    struct det_stats st;
    det_worker_get_stats(z.w, &st);
    if (st.alerts != z.alerts)
        abort();
    if (st.flowvar_memuse != 0)
        abort(); /* every flow ended: its flow variables and stream tails are freed */
    flow_table_free(z.ft);
    det_worker_free(z.w);
    dec_ctx_free(z.dec);
    return 0;
}
