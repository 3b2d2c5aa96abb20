/*
 * The rule parser (src/detect/rule_parse.c, rule_opts.c): a table of malformed or
 * unsupported rules with the reason (and keyword) they must be refused with, then rules of
 * every keyword checked field by field against rule.h, the integer forms, limits, and the
 * finalisation (app protocol, direction, request/response buffers).
 */
#include "detect/rule_parse.h"

#include "app/app.h"
#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static struct det_ruleset *rs_new(void)
{
    struct det_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs)
        abort();
    return rs;
}

/* det_ruleset_free frees the set itself: start again with an empty one */
#define RS_RESET(rs)                                                                               \
    do {                                                                                           \
        det_ruleset_free(rs);                                                                      \
        (rs) = rs_new();                                                                           \
    } while (0)

#define TCP(o) "alert tcp any any -> any any (" o " sid:1;)"
#define HTTP(o) "alert http any any -> any any (" o " sid:1;)"

struct fx {
    struct det_ruleset *rs;
    det_parser_t *p;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    char err[256];
    f->rs = rs_new();
    f->p = det_parser_new(NULL, f->rs, err, sizeof err);
    if (!f->p) {
        fprintf(stderr, "parser: %s\n", err);
        det_ruleset_free(f->rs);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    det_parser_free(f->p);
    det_ruleset_free(f->rs);
    free(f);
    return 0;
}

static struct det_rule *parse_ok(struct fx *f, const char *text)
{
    struct det_rule *r = NULL;
    uint32_t sid;
    char *reason = NULL, *kw = NULL;
    int rc = det_parse_rule(f->p, text, strlen(text), &r, &sid, &reason, &kw);
    if (rc != 0)
        fail_msg("rule refused: %s\n  reason: %s", text, reason ? reason : "(none)");
    assert_null(reason);
    assert_null(kw);
    assert_non_null(r);
    assert_int_equal(sid, r->sid);
    return r;
}

/* ---------------- refusals ---------------- */

struct bad_row {
    const char *rule;
    const char *reason;  /* substring of the reason */
    const char *keyword; /* exact keyword, or NULL when none must be given */
    uint32_t sid;        /* sid reported with the refusal */
};

static const struct bad_row bad_rows[] = {
    /* header */
    {"alert smb any any -> any any (msg:\"x\"; sid:77;)", "unsupported protocol 'smb'", "smb", 77},
    {"alert DCERPC any any -> any any (sid:5;)", "unsupported protocol 'dcerpc'", "dcerpc", 5},
    {"alert ftp-data any any -> any any (sid:5;)", "unsupported protocol", "ftp-data", 5},
    {"alert tcp any any <- any any (sid:3;)", "'<-'", NULL, 3},
    {"alert tcp any any => any any (sid:3;)", "'=>' (transactional rule)", NULL, 3},
    {"alert tcp any any >> any any (sid:3;)", "bad direction", NULL, 3},
    {"bogus tcp any any -> any any (sid:3;)", "unknown action", NULL, 3},
    {"alert tcp any any -> any", "incomplete", NULL, 0},
    {"", "incomplete", NULL, 0},
    {"alert tcp any any -> any any sid:1;", "expected '('", NULL, 0},
    {"alert tcp any any -> any any (sid:4;", "does not end with ')'", NULL, 4},
    {"alert tcp any any -> any any ()", "no sid", NULL, 0},
    {"alert tcp 1.2.3 any -> any any (sid:1;)", "source address", NULL, 1},
    {"alert tcp any 99999 -> any any (sid:1;)", "source port", NULL, 1},
    {"alert tcp any any -> !any any (sid:1;)", "destination address", NULL, 1},
    {"alert tcp any any -> any : (sid:1;)", "destination port", NULL, 1},
    {"alert tcp $NOPE any -> any any (sid:1;)", "unknown address variable", NULL, 1},
    /* option syntax */
    {"alert tcp any any -> any any (msg:\"x\"; sid:1)", "not terminated by ';'", NULL, 1},
    {"alert tcp any any -> any any ( ; sid:1;)", "empty option", NULL, 0},
    {"alert tcp any any -> any any (msg:\"x\";)", "no sid", NULL, 0},
    {TCP("dataset:isset,x;"), "unsupported keyword 'dataset'", "dataset", 1},
    {TCP("Lua:x.lua;"), "unsupported keyword 'lua'", "lua", 1},
    {TCP("tls.version:1.2;"), "unsupported keyword 'tls.version'", "tls.version", 1},
    {TCP("base64_decode;"), "unsupported keyword", "base64_decode", 1},
    {TCP("http.request_header;"), "unsupported keyword", "http.request_header", 1},
    {TCP("sid:2;"), "duplicate sid", NULL, 2},
    {"alert tcp any any -> any any (sid:0;)", "sid must be", NULL, 0},
    {"alert tcp any any -> any any (sid:4294967296;)", "sid must be", NULL, 0},
    {"alert tcp any any -> any any (sid:12abc;)", "sid must be", NULL, 0},
    {TCP("rev:-1;"), "rev must be", NULL, 1},
    {TCP("gid:x;"), "gid must be", NULL, 1},
    {TCP("msg:\"a\"; msg:\"b\";"), "duplicate msg", NULL, 1},
    {TCP("classtype:nope;"), "unknown classtype 'nope'", NULL, 1},
    {TCP("classtype:trojan-activity; classtype:misc-activity;"), "duplicate classtype", NULL, 1},
    {TCP("priority:0;"), "priority must be", NULL, 1},
    {TCP("priority:256;"), "priority must be", NULL, 1},
    {TCP("target:foo;"), "target must be", NULL, 1},
    {TCP("nocase:1;"), "takes no value", NULL, 1},
    {TCP("content;"), "content needs a value", NULL, 1},
    {TCP("content:;"), "content needs a value", NULL, 1},
    /* content */
    {TCP("content:\"|4|\";"), "odd number of hex digits", NULL, 1},
    {TCP("content:\"|zz|\";"), "bad character in |hex|", NULL, 1},
    {TCP("content:\"abc|41\";"), "unterminated |hex|", NULL, 1},
    {TCP("content:\"\";"), "empty pattern", NULL, 1},
    {TCP("content:\"||\";"), "empty pattern", NULL, 1},
    {TCP("content:\"a\\x\";"), "bad escape", NULL, 1},
    {TCP("content:abc;"), "double quotes", NULL, 1},
    {TCP("content:\"ab\"cd\";"), "unescaped '\"'", NULL, 1},
    {TCP("content:\"abc\"; depth:2;"), "less than the content length", NULL, 1},
    {TCP("content:\"abc\"; depth:-1;"), "not a number in", NULL, 1},
    {TCP("content:\"abc\"; depth:70000;"), "not a number in", NULL, 1},
    {TCP("content:\"abc\"; offset:-1;"), "not a number in", NULL, 1},
    {TCP("content:\"abc\"; distance:-70000;"), "not a number in", NULL, 1},
    {TCP("content:\"abc\"; within:2;"), "less than the content length", NULL, 1},
    {TCP("content:\"abc\"; startswith; offset:1;"), "cannot be combined with startswith", NULL, 1},
    {TCP("content:\"abc\"; offset:1; startswith;"), "startswith cannot be combined", NULL, 1},
    {TCP("content:\"abc\"; depth:5; distance:1;"), "cannot be combined with depth/offset", NULL, 1},
    {TCP("content:\"abc\"; within:5; offset:1;"), "cannot be combined with distance/within", NULL,
     1},
    {TCP("content:\"abc\"; depth:5; depth:6;"), "depth given twice", NULL, 1},
    {TCP("content:\"abc\"; nocase; nocase;"), "nocase given twice", NULL, 1},
    {TCP("content:\"abc\"; endswith; endswith;"), "endswith given twice", NULL, 1},
    {TCP("nocase;"), "needs a preceding content", NULL, 1},
    {TCP("pcre:\"/a/\"; depth:4;"), "needs a preceding content", NULL, 1},
    {TCP("content:\"a\"; depth:nope;"), "unknown variable 'nope'", NULL, 1},
    {TCP("content:\"abc\"; fast_pattern:2,5;"), "goes past the content length", NULL, 1},
    {TCP("content:\"abc\"; fast_pattern:0,0;"), "expected 'only'", NULL, 1},
    {TCP("content:\"abc\"; fast_pattern:x;"), "expected 'only'", NULL, 1},
    {TCP("content:\"abc\"; fast_pattern; fast_pattern;"), "fast_pattern given twice", NULL, 1},
    {TCP("content:!\"abc\"; fast_pattern:only;"), "negated", NULL, 1},
    {TCP("content:\"abc\"; distance:1; fast_pattern:only;"), "cannot be combined", NULL, 1},
    {TCP("content:\"abc\"; fast_pattern:only; depth:5;"), "fast_pattern:only", NULL, 1},
    /* pcre */
    {TCP("pcre:\"/abc\";"), "missing closing '/'", NULL, 1},
    {TCP("pcre:\"//\";"), "empty regex", NULL, 1},
    {TCP("pcre:\"/(/\";"), "pcre: missing closing parenthesis", NULL, 1},
    {TCP("pcre:\"/a/q\";"), "unknown modifier 'q'", NULL, 1},
    {TCP("pcre:\"/a/UH\";"), "more than one buffer modifier", NULL, 1},
    {HTTP("http.uri; pcre:\"/a/H\";"), "conflicts with the sticky buffer http.uri", NULL, 1},
    {TCP("pcre:abc;"), "expected \"/regex/flags\"", NULL, 1},
    {TCP("pcre:\"abc/\";"), "expected \"/regex/flags\"", NULL, 1},
    {TCP("pcre:\"/uid=(\\d+)/, pkt:uid\";"), "capture into variables", NULL, 1},
    /* buffers, transforms, legacy modifiers */
    {TCP("to_lowercase; content:\"a\";"), "must follow a sticky buffer", NULL, 1},
    {TCP("pkt_data; to_lowercase;"), "must follow a sticky buffer", NULL, 1},
    {HTTP("http.uri; to_lowercase; dotprefix; url_decode; strip_whitespace; "
          "compress_whitespace; content:\"a\";"),
     "more than 4 transforms", NULL, 1},
    {HTTP("http.uri; to_md5; content:\"a\";"), "unsupported keyword 'to_md5'", "to_md5", 1},
    {HTTP("http.uri; pcrexform:\"a\";"), "unsupported keyword", "pcrexform", 1},
    {HTTP("http_uri;"), "needs a preceding content", NULL, 1},
    {HTTP("http.uri; content:\"a\"; http_header;"), "cannot follow a content in the buffer", NULL,
     1},
    {HTTP("content:\"a\"; http_uri; http_header;"), "cannot follow a content in the buffer", NULL,
     1},
    {"alert dns any any -> any any (http.uri; content:\"a\"; sid:1;)",
     "http.uri needs http, the rule is dns", NULL, 1},
    {"alert udp any any -> any any (http.uri; content:\"a\"; sid:1;)",
     "cannot be used in a udp rule", NULL, 1},
    {"alert icmp any any -> any any (dns.query; content:\"a\"; sid:1;)",
     "cannot be used in a icmp rule", NULL, 1},
    {"alert tls any any -> any any (file.data; content:\"a\"; sid:1;)",
     "file.data cannot be used in a tls rule", NULL, 1},
    {TCP("http.uri; content:\"a\"; dns.query; content:\"b\";"), "dns.query needs dns", NULL, 1},
    {HTTP("http.uri; content:\"a\"; http.stat_code; content:\"200\";"),
     "mixes request and response buffers", NULL, 1},
    {HTTP("flow:to_client; http.uri; content:\"a\";"), "request buffer but the rule is to_client",
     NULL, 1},
    {HTTP("flow:to_server; http.stat_code; content:\"200\";"),
     "response buffer but the rule is to_server", NULL, 1},
    {"alert tls any any -> any any (tls.sni; content:\"a\"; tls.cert_subject; content:\"b\"; "
     "sid:1;)",
     "mixes request and response", NULL, 1},
    /* flow and variables */
    {TCP("flow:to_server,to_client;"), "contradictory", NULL, 1},
    {TCP("flow:established,not_established;"), "contradictory", NULL, 1},
    {TCP("flow:established,stateless;"), "contradictory", NULL, 1},
    {TCP("flow:only_stream; flow:no_stream;"), "contradictory", NULL, 1},
    {TCP("flow:foo;"), "unknown option 'foo'", NULL, 1},
    {TCP("flow:established,established;"), "given twice", NULL, 1},
    {TCP("flow:,;"), "empty argument", NULL, 1},
    {TCP("flowbits:set;"), "needs a name", NULL, 1},
    {TCP("flowbits:set,a|b;"), "'|' is for isset", NULL, 1},
    {TCP("flowbits:isset,a|b&c;"), "'|' is for isset", NULL, 1},
    {TCP("flowbits:frob,a;"), "unknown operation", NULL, 1},
    {TCP("flowbits:noalert,a;"), "takes no name", NULL, 1},
    {TCP("flowbits:isset,a b;"), "bad name", NULL, 1},
    {TCP("flowbits:isset,a||b;"), "bad name", NULL, 1},
    {TCP("flowint:a,=,;"), "empty argument", NULL, 1},
    {TCP("flowint:a,isset,5;"), "takes no", NULL, 1},
    {TCP("flowint:a,+;"), "needs", NULL, 1},
    {TCP("flowint:a,=,99999999999;"), "value must be", NULL, 1},
    {TCP("flowint:a,~,1;"), "unknown operation", NULL, 1},
    {TCP("xbits:set,a;"), "too few arguments", NULL, 1},
    {TCP("xbits:set,a,track by_src;"), "track must be", NULL, 1},
    {TCP("xbits:set,a,track ip_src,expire 0;"), "expire must be", NULL, 1},
    {TCP("xbits:set,a,expire 5,track ip_src;"), "expected 'track", NULL, 1},
    {TCP("xbits:noalert,a,track ip_src;"), "unknown operation", NULL, 1},
    /* packet values */
    {TCP("dsize:70000;"), "bad value", NULL, 1},
    {TCP("dsize:10<>11;"), "bad value", NULL, 1},
    {TCP("dsize:5<>3;"), "bad value", NULL, 1},
    {TCP("dsize:<5<>10;"), "bad value", NULL, 1},
    {TCP("dsize:abc;"), "bad value", NULL, 1},
    {TCP("dsize:5x;"), "bad value", NULL, 1},
    {TCP("dsize:1; dsize:2;"), "duplicate dsize", NULL, 1},
    {TCP("ttl:256;"), "bad value", NULL, 1},
    {TCP("ip_proto:foo;"), "unknown protocol 'foo'", NULL, 1},
    {TCP("flags:SX;"), "unknown flag 'X'", NULL, 1},
    {TCP("flags:0S;"), "'0' (no flags) combined", NULL, 1},
    {TCP("flags:+*S;"), "misplaced modifier", NULL, 1},
    {TCP("flags:S,+;"), "misplaced modifier", NULL, 1},
    {TCP("flags:+;"), "no flags given", NULL, 1},
    {TCP("flags:S; flags:A;"), "duplicate flags", NULL, 1},
    {TCP("stream_size:server,<,abc;"), "stream_size: expected", NULL, 1},
    {TCP("stream_size:x,<,1;"), "stream_size: expected", NULL, 1},
    {TCP("stream_size:server,<,1; stream_size:client,>,1;"), "stream_size given twice", NULL, 1},
    {TCP("bsize:5;"), "bsize must follow a sticky buffer", NULL, 1},
    {HTTP("http.uri; content:\"abcdef\"; bsize:3;"), "smaller than a content", NULL, 1},
    {HTTP("http.uri; content:\"abcdef\"; bsize:<6;"), "smaller than a content", NULL, 1},
    {HTTP("http.uri; content:\"abcdef\"; bsize:2<>6;"), "smaller than a content", NULL, 1},
    {HTTP("urilen:5,foo;"), "expected 'raw' or 'norm'", NULL, 1},
    {HTTP("urilen:>;"), "bad value", NULL, 1},
    /* isdataat, byte_* */
    {TCP("isdataat:!x;"), "unknown variable", NULL, 1},
    {TCP("isdataat:5,foo;"), "unexpected", NULL, 1},
    {TCP("isdataat:5,relative,relative;"), "unexpected", NULL, 1},
    {TCP("isdataat:70000;"), "not a number in", NULL, 1},
    {TCP("byte_test:4,>,1,0,dce;"), "dce is not supported", NULL, 1},
    {TCP("byte_test:9,>,1,0;"), "more than 8 bytes need 'string'", NULL, 1},
    {TCP("byte_test:24,>,1,0,string;"), "byte count must be", NULL, 1},
    {TCP("byte_test:0,>,1,0;"), "byte count must be", NULL, 1},
    {TCP("byte_test:n,>,1,0;"), "variable as byte count is not supported", NULL, 1},
    {TCP("byte_test:1,=,1,2147483648;"), "not a number in", NULL, 1},
    {TCP("byte_test:4,~,1,0;"), "unknown operator", NULL, 1},
    {TCP("byte_test:4,>,1;"), "too few arguments", NULL, 1},
    {TCP("byte_test:4,>,1,0,hex;"), "need 'string'", NULL, 1},
    {TCP("byte_test:4,>,1,0,big,little;"), "endianness given twice", NULL, 1},
    {TCP("byte_test:4,>,1,0,bitmask 0;"), "bad bitmask", NULL, 1},
    {TCP("byte_test:4,>,1,0,wrong;"), "unexpected 'wrong'", NULL, 1},
    {TCP("byte_test:4,>,-1,0;"), "not a number in", NULL, 1},
    {TCP("byte_jump:4,0,from_beginning,from_end;"), "together", NULL, 1},
    {TCP("byte_jump:4,0,multiplier 0;"), "multiplier must be", NULL, 1},
    {TCP("byte_jump:4,0,post_offset 99999999999;"), "post_offset must be", NULL, 1},
    {TCP("byte_jump:0,0,string;"), "byte count must be", NULL, 1},
    {TCP("byte_jump:4,0,dce;"), "dce is not supported", NULL, 1},
    {TCP("byte_extract:4,0,1abc;"), "bad variable name", NULL, 1},
    {TCP("byte_extract:4,0,v; byte_extract:2,0,v;"), "defined twice", NULL, 1},
    {TCP("byte_extract:4,0,v,align 3;"), "align must be", NULL, 1},
    {TCP("byte_extract:4,x,v;"), "offset must be", NULL, 1},
    {TCP("byte_extract:4,0,v,frob;"), "unexpected", NULL, 1},
    {TCP("byte_extract:1,0,a; byte_extract:1,0,b; byte_extract:1,0,c; byte_extract:1,0,d; "
         "byte_extract:1,0,e; byte_extract:1,0,f; byte_extract:1,0,g; byte_extract:1,0,h; "
         "byte_extract:1,0,i;"),
     "more than 8 byte_extract variables", NULL, 1},
    /* thresholds, app-layer-protocol */
    {TCP("threshold:type limit,track by_src,count 1;"), "too few arguments", NULL, 1},
    {TCP("threshold:type limit,track by_flow,count 1,seconds 1;"), "by_flow is not supported", NULL,
     1},
    {TCP("threshold:type foo,track by_src,count 1,seconds 1;"), "type must be", NULL, 1},
    {TCP("threshold:type limit,track by_src,count 0,seconds 1;"), "count must be", NULL, 1},
    {TCP("threshold:type limit,track by_src,count 1,seconds 0;"), "seconds must be", NULL, 1},
    {TCP("threshold:type limit,track by_src,count 1,count 1;"), "given twice", NULL, 1},
    {TCP("threshold:type limit,track by_src,count 1,seconds;"), "'key value' pairs", NULL, 1},
    {TCP("detection_filter:track by_src,count 1,seconds 1; detection_filter:track by_src,count "
         "1,seconds 1;"),
     "duplicate detection_filter", NULL, 1},
    {TCP("detection_filter:type limit,count 1,seconds 1;"), "unexpected 'type'", NULL, 1},
    {TCP("detection_filter:track by_src,count 1,seconds 60,unique_on src_port;"),
     "unexpected 'unique_on'", NULL, 1},
    {TCP("app-layer-protocol:smb;"), "unsupported protocol 'smb'", "app-layer-protocol", 1},
    {TCP("app-layer-protocol:http,final;"), "modes", "app-layer-protocol", 1},
    {"alert dns any any -> any any (app-layer-protocol:!dns; sid:1;)", "contradicts", NULL, 1},
    {"alert dns any any -> any any (app-layer-protocol:http; sid:1;)", "contradicts", NULL, 1},
};

static void test_det_parse_rule_refusals(void **state)
{
    struct fx *f = *state;
    for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
        const struct bad_row *b = &bad_rows[i];
        struct det_rule *r = (struct det_rule *)1;
        uint32_t sid = 12345;
        char *reason = NULL, *kw = NULL;
        int rc = det_parse_rule(f->p, b->rule, strlen(b->rule), &r, &sid, &reason, &kw);
        if (rc == 0) {
            det_rule_free(r);
            fail_msg("accepted: %s (want '%s')", b->rule, b->reason);
        }
        assert_null(r);
        assert_int_equal(rc, MM_EINVAL);
        if (!reason || !strstr(reason, b->reason))
            fail_msg("rule: %s\n  reason '%s', want '%s'", b->rule, reason ? reason : "(null)",
                     b->reason);
        if ((b->keyword == NULL) != (kw == NULL) || (kw && strcmp(kw, b->keyword) != 0))
            fail_msg("rule: %s\n  keyword '%s', want '%s'", b->rule, kw ? kw : "(null)",
                     b->keyword ? b->keyword : "(null)");
        if (sid != b->sid)
            fail_msg("rule: %s\n  sid %u, want %u", b->rule, sid, b->sid);
        free(reason);
        free(kw);
    }
}

/* Limits that need long generated rules. */
static void test_det_parse_rule_limits(void **state)
{
    struct fx *f = *state;
    size_t cap = DET_RULE_MAX_BYTES + 4096;
    char *t = malloc(cap);
    struct det_rule *r;
    uint32_t sid;
    char *reason, *kw;

    /* a content of 4096 bytes loads, 4097 does not */
    for (int extra = 0; extra < 2; extra++) {
        size_t o = (size_t)snprintf(t, cap, "alert tcp any any -> any any (content:\"");
        for (int i = 0; i < DET_CONTENT_MAX + extra; i++)
            t[o++] = 'a';
        o += (size_t)snprintf(t + o, cap - o, "\"; sid:1;)");
        int rc = det_parse_rule(f->p, t, o, &r, &sid, &reason, &kw);
        if (extra == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(r->lists[0].sms[0].u.content.len, DET_CONTENT_MAX);
            det_rule_free(r);
        } else {
            assert_int_not_equal(rc, 0);
            assert_non_null(strstr(reason, "longer than 4096"));
            free(reason);
            free(kw);
        }
    }

    /* DET_MAX_SMS matches load, one more does not */
    for (int extra = 0; extra < 2; extra++) {
        size_t o = (size_t)snprintf(t, cap, "alert tcp any any -> any any (");
        for (int i = 0; i < DET_MAX_SMS + extra; i++)
            o += (size_t)snprintf(t + o, cap - o, "content:\"x\"; ");
        o += (size_t)snprintf(t + o, cap - o, "sid:1;)");
        int rc = det_parse_rule(f->p, t, o, &r, &sid, &reason, &kw);
        if (extra == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(r->lists[0].n_sms, DET_MAX_SMS);
            det_rule_free(r);
        } else {
            assert_int_not_equal(rc, 0);
            assert_non_null(strstr(reason, "buffer matches"));
            assert_int_equal(sid, 1);
            free(reason);
            free(kw);
        }
    }

    /* DET_MAX_LISTS lists (http.uri with distinct transform chains), then one more */
    for (int extra = 0; extra < 2; extra++) {
        static const char *const xf[] = {"dotprefix",        "to_lowercase",        "to_uppercase",
                                         "strip_whitespace", "compress_whitespace", "url_decode"};
        size_t o = (size_t)snprintf(t, cap, "alert http any any -> any any (");
        int made = 0;
        for (int a = 0; a <= 6 && made < DET_MAX_LISTS + extra; a++) {
            for (int b = 0; b < 6 && made < DET_MAX_LISTS + extra; b++, made++) {
                o += (size_t)snprintf(t + o, cap - o, "http.uri; ");
                if (a > 0)
                    o += (size_t)snprintf(t + o, cap - o, "%s; ", xf[a - 1]);
                if (a > 0 || b > 0)
                    o += (size_t)snprintf(t + o, cap - o, "%s; ", xf[b]);
                o += (size_t)snprintf(t + o, cap - o, "content:\"x\"; ");
            }
        }
        o += (size_t)snprintf(t + o, cap - o, "sid:1;)");
        int rc = det_parse_rule(f->p, t, o, &r, &sid, &reason, &kw);
        if (extra == 0) {
            if (rc)
                fail_msg("%d lists: %s", DET_MAX_LISTS, reason);
            assert_int_equal(r->n_lists, DET_MAX_LISTS);
            det_rule_free(r);
        } else {
            assert_int_not_equal(rc, 0);
            assert_non_null(strstr(reason, "buffers in one rule"));
            free(reason);
            free(kw);
        }
    }

    /* longer than DET_RULE_MAX_BYTES */
    memset(t, ' ', cap);
    memcpy(t, TCP(""), strlen(TCP("")));
    int rc = det_parse_rule(f->p, t, DET_RULE_MAX_BYTES + 1, &r, &sid, &reason, &kw);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(reason, "longer than"));
    free(reason);
    free(kw);

    /* a NUL byte inside */
    static const char nul[] = "alert tcp any any -> any any (msg:\"a\0b\"; sid:9;)";
    rc = det_parse_rule(f->p, nul, sizeof nul - 1, &r, &sid, &reason, &kw);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(reason, "NUL"));
    assert_int_equal(sid, 9);
    free(reason);
    free(kw);
    free(t);
}

/* ---------------- accepted rules, field by field ---------------- */

static const struct det_list *list_of(const struct det_rule *r, enum det_buf b)
{
    for (uint32_t i = 0; i < r->n_lists; i++) {
        if (r->lists[i].buf == b)
            return &r->lists[i];
    }
    fail_msg("rule %u has no %s list", r->sid, det_buf_name(b));
    abort(); /* fail_msg does not return */
}

static void test_det_parse_rule_meta(void **state)
{
    struct fx *f = *state;
    struct det_rule *r = parse_ok(
        f, "drop tcp $HOME_NET any <> $EXTERNAL_NET 80 (msg:\"a \\\"quoted\\\" \\; msg\\\\\"; "
           "classtype:trojan-activity; sid:2000001; rev:7; gid:3; reference:url,example.com; "
           "metadata:created_at 2020_01_01, former_category MALWARE,  , key only,tag  a b ; "
           "target:dest_ip; noalert;)");
    assert_int_equal(r->action, DET_ACT_DROP);
    assert_int_equal(r->proto, DET_P_TCP);
    assert_true(r->bidir);
    assert_string_equal(r->msg, "a \"quoted\" ; msg\\");
    assert_int_equal(r->sid, 2000001);
    assert_int_equal(r->rev, 7);
    assert_int_equal(r->gid, 3);
    assert_int_equal(r->priority, 1); /* from trojan-activity */
    assert_string_equal(f->rs->classes[r->classtype].name, "trojan-activity");
    assert_string_equal(f->rs->classes[r->classtype].desc, "A Network Trojan was detected");
    assert_int_equal(r->n_metadata, 4);
    assert_string_equal(r->metadata[0].key, "created_at");
    assert_string_equal(r->metadata[0].value, "2020_01_01");
    assert_string_equal(r->metadata[1].key, "former_category");
    assert_string_equal(r->metadata[1].value, "MALWARE");
    assert_string_equal(r->metadata[2].key, "key");
    assert_string_equal(r->metadata[2].value, "only");
    assert_string_equal(r->metadata[3].key, "tag");
    assert_string_equal(r->metadata[3].value, "a b");
    assert_int_equal(r->target, DET_TARGET_DST);
    assert_true(r->noalert);
    assert_false(r->src.any);
    assert_false(r->dport.any);
    assert_int_equal(r->dport.n, 1);
    assert_int_equal(r->dport.r[0].lo, 80);
    assert_int_equal(r->fp_list, -1);
    assert_int_equal(r->fp_sm, -1);
    assert_int_equal(r->n_lists, 0);
    det_rule_free(r);

    /* defaults: gid 1, rev 0, empty msg, priority 3; explicit priority wins */
    r = parse_ok(f, "pass ip any any -> any any (sid:5;)");
    assert_int_equal(r->action, DET_ACT_PASS);
    assert_int_equal(r->gid, 1);
    assert_int_equal(r->rev, 0);
    assert_string_equal(r->msg, "");
    assert_int_equal(r->priority, 3);
    assert_int_equal(r->classtype, -1);
    assert_true(r->src.any && r->dst.any && r->sport.any && r->dport.any);
    det_rule_free(r);
    r = parse_ok(f, "reject udp any any -> any any (classtype:trojan-activity; priority:4; "
                    "sid:6;)");
    assert_int_equal(r->action, DET_ACT_REJECT);
    assert_int_equal(r->priority, 4);
    det_rule_free(r);
    r = parse_ok(f, "rejectboth tcp any any -> any any (target:src_ip; msg:unquoted text; "
                    "sid:6;)");
    assert_int_equal(r->action, DET_ACT_REJECT);
    assert_int_equal(r->target, DET_TARGET_SRC);
    assert_string_equal(r->msg, "unquoted text");
    det_rule_free(r);
}

struct proto_row {
    const char *word;
    enum det_proto proto;
    int app;
};

static void test_det_parse_rule_protocols(void **state)
{
    struct fx *f = *state;
    static const struct proto_row rows[] = {
        {"ip", DET_P_IP, 0},
        {"tcp", DET_P_TCP, 0},
        {"TCP", DET_P_TCP, 0},
        {"udp", DET_P_UDP, 0},
        {"icmp", DET_P_ICMP, 0},
        {"icmpv6", DET_P_ICMP, 0},
        {"icmpv4", DET_P_ICMP, 0},
        {"tcp-pkt", DET_P_TCP_PKT, 0},
        {"tcp-stream", DET_P_TCP_STREAM, 0},
        {"http", DET_P_HTTP, APP_PROTO_HTTP},
        {"http1", DET_P_HTTP, APP_PROTO_HTTP},
        {"tls", DET_P_TLS, APP_PROTO_TLS},
        {"dns", DET_P_DNS, APP_PROTO_DNS},
        {"smtp", DET_P_SMTP, APP_PROTO_SMTP},
        {"ftp", DET_P_FTP, APP_PROTO_FTP},
        {"ssh", DET_P_SSH, APP_PROTO_SSH},
        {"pop3", DET_P_POP3, APP_PROTO_POP3},
        {"imap", DET_P_IMAP, APP_PROTO_IMAP},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, "alert %s any any -> any any (sid:1;)", rows[i].word);
        struct det_rule *r = parse_ok(f, text);
        if (r->proto != rows[i].proto || r->app_proto != rows[i].app)
            fail_msg("%s: proto %d app %d", rows[i].word, r->proto, r->app_proto);
        det_rule_free(r);
    }
}

static void test_det_parse_rule_content(void **state)
{
    struct fx *f = *state;
    struct det_rule *r = parse_ok(
        f, TCP("content:\"GET |2f 61|\\;\\\"\\\\\\:x\"; nocase; offset:2; depth:20; "
               "content:!\"|0d0a|\"; distance:-3; within:10; content:\"abcdef\"; fast_pattern:1,3; "
               "startswith; endswith; rawbytes; content:\"z\"; fast_pattern:only;"));
    assert_int_equal(r->n_lists, 1);
    const struct det_list *l = &r->lists[0];
    assert_int_equal(l->buf, DET_BUF_PAYLOAD);
    assert_int_equal(l->n_sms, 4);
    const struct det_content *c = &l->sms[0].u.content;
    assert_int_equal(l->sms[0].type, DET_SM_CONTENT);
    assert_int_equal(c->len, 11);
    assert_memory_equal(c->pat, "GET /a;\"\\:x", 11);
    assert_int_equal(c->flags, DET_CT_NOCASE | DET_CT_OFFSET | DET_CT_DEPTH);
    assert_int_equal(c->offset.v, 2);
    assert_int_equal(c->offset.var, -1);
    assert_int_equal(c->depth.v, 20);
    c = &l->sms[1].u.content;
    assert_int_equal(c->len, 2);
    assert_memory_equal(c->pat, "\r\n", 2);
    assert_int_equal(c->flags, DET_CT_NEGATED | DET_CT_DISTANCE | DET_CT_WITHIN);
    assert_int_equal(c->distance.v, -3);
    assert_int_equal(c->within.v, 10);
    c = &l->sms[2].u.content;
    assert_int_equal(c->flags, DET_CT_FAST_PATTERN | DET_CT_FP_CHOP | DET_CT_STARTSWITH |
                                   DET_CT_ENDSWITH | DET_CT_RAWBYTES);
    assert_int_equal(c->fp_off, 1);
    assert_int_equal(c->fp_len, 3);
    c = &l->sms[3].u.content;
    assert_int_equal(c->flags, DET_CT_FAST_PATTERN | DET_CT_FP_ONLY);
    det_rule_free(r);

    /* relative modifiers on the first content of a list are allowed (buffer start) */
    r = parse_ok(f, TCP("content:\"a\"; distance:0; within:1; content:\"b\"; fast_pattern;"));
    assert_int_equal(r->lists[0].sms[0].u.content.flags, DET_CT_DISTANCE | DET_CT_WITHIN);
    assert_int_equal(r->lists[0].sms[1].u.content.flags, DET_CT_FAST_PATTERN);
    det_rule_free(r);

    /* byte_extract variables as content positions */
    r = parse_ok(f, TCP("content:\"L\"; byte_extract:2,0,len,relative; content:\"x\"; "
                        "distance:len; within:len; content:\"y\"; offset:len; depth:len;"));
    c = &r->lists[0].sms[2].u.content;
    assert_int_equal(c->distance.var, 0);
    assert_int_equal(c->within.var, 0);
    c = &r->lists[0].sms[3].u.content;
    assert_int_equal(c->offset.var, 0);
    assert_int_equal(c->depth.var, 0);
    assert_int_equal(r->n_vars, 1);
    det_rule_free(r);

    /* modifiers follow the last content even when it sits in another buffer */
    r = parse_ok(f, HTTP("http.uri; content:\"/x\"; http.host; nocase;"));
    assert_int_equal(list_of(r, DET_BUF_HTTP_URI)->sms[0].u.content.flags, DET_CT_NOCASE);
    det_rule_free(r);
}

static uint32_t pcre_opts(const pcre2_code *re)
{
    uint32_t o = 0;
    assert_int_equal(pcre2_pattern_info(re, PCRE2_INFO_ARGOPTIONS, &o), 0);
    return o;
}

static void test_det_parse_rule_pcre(void **state)
{
    struct fx *f = *state;
    struct det_rule *r =
        parse_ok(f, HTTP("pcre:\"/a\\;b\\;c/ismxAEGRBO\"; pcre:!\"/^x[\"']?/U\"; http.uri; "
                         "pcre:\"/y/UR\"; pkt_data; pcre:\"/z/H\";"));
    const struct det_list *l = list_of(r, DET_BUF_PAYLOAD);
    assert_int_equal(l->n_sms, 1);
    const struct det_pcre *p = &l->sms[0].u.pcre;
    assert_int_equal(l->sms[0].type, DET_SM_PCRE);
    assert_int_equal(p->flags, DET_PCRE_RELATIVE | DET_PCRE_RAWBYTES);
    assert_int_equal(pcre_opts(p->re), PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_MULTILINE |
                                           PCRE2_EXTENDED | PCRE2_ANCHORED | PCRE2_DOLLAR_ENDONLY |
                                           PCRE2_UNGREEDY);
    assert_string_equal(p->src, "/a\\;b\\;c/ismxAEGRBO");
    assert_int_equal(p->capture_var, -1);
    assert_false(p->jit_tried);
    l = list_of(r, DET_BUF_HTTP_URI);
    assert_int_equal(l->n_sms, 2);
    assert_int_equal(l->sms[0].u.pcre.flags, DET_PCRE_NEGATED);
    assert_int_equal(pcre_opts(l->sms[0].u.pcre.re), 0);
    assert_int_equal(l->sms[1].u.pcre.flags, DET_PCRE_RELATIVE);
    l = list_of(r, DET_BUF_HTTP_HEADER);
    assert_int_equal(l->n_sms, 1);
    assert_true(r->to_server);
    det_rule_free(r);

    /* every buffer letter */
    static const struct {
        char letter;
        enum det_buf buf;
    } letters[] = {
        {'U', DET_BUF_HTTP_URI},          {'I', DET_BUF_HTTP_URI_RAW},
        {'P', DET_BUF_HTTP_REQUEST_BODY}, {'Q', DET_BUF_HTTP_RESPONSE_BODY},
        {'H', DET_BUF_HTTP_HEADER},       {'D', DET_BUF_HTTP_HEADER_RAW},
        {'M', DET_BUF_HTTP_METHOD},       {'C', DET_BUF_HTTP_COOKIE},
        {'S', DET_BUF_HTTP_STAT_CODE},    {'Y', DET_BUF_HTTP_STAT_MSG},
        {'V', DET_BUF_HTTP_USER_AGENT},   {'W', DET_BUF_HTTP_HOST},
        {'Z', DET_BUF_HTTP_HOST_RAW},
    };
    for (size_t i = 0; i < sizeof letters / sizeof letters[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, TCP("pcre:\"/x/%c\";"), letters[i].letter);
        r = parse_ok(f, text);
        assert_int_equal(r->n_lists, 1);
        if (r->lists[0].buf != letters[i].buf)
            fail_msg("pcre /%c: buffer %s", letters[i].letter, det_buf_name(r->lists[0].buf));
        assert_int_equal(r->app_proto, APP_PROTO_HTTP);
        det_rule_free(r);
    }

    /* /Q inside file.data of an HTTP response stays in that list */
    r = parse_ok(f, HTTP("flow:to_client; file.data; content:\"a\"; pcre:\"/b/QR\";"));
    assert_int_equal(r->n_lists, 1);
    assert_int_equal(r->lists[0].buf, DET_BUF_HTTP_RESPONSE_BODY);
    assert_int_equal(r->lists[0].n_sms, 2);
    det_rule_free(r);
}

struct buf_row {
    const char *rule;
    enum det_buf buf;
    int app;
    bool to_server, to_client;
};

static const struct buf_row buf_rows[] = {
    {HTTP("http.uri; content:\"a\";"), DET_BUF_HTTP_URI, APP_PROTO_HTTP, true, false},
    {HTTP("http.uri.raw; content:\"a\";"), DET_BUF_HTTP_URI_RAW, APP_PROTO_HTTP, true, false},
    {HTTP("http.method; content:\"a\";"), DET_BUF_HTTP_METHOD, APP_PROTO_HTTP, true, false},
    {HTTP("http.request_line; content:\"a\";"), DET_BUF_HTTP_REQUEST_LINE, APP_PROTO_HTTP, true,
     false},
    {HTTP("http.protocol; content:\"a\";"), DET_BUF_HTTP_PROTOCOL, APP_PROTO_HTTP, false, false},
    {HTTP("flow:to_client; http.protocol; content:\"a\";"), DET_BUF_HTTP_RESP_PROTOCOL,
     APP_PROTO_HTTP, false, true},
    {HTTP("http.header; content:\"a\";"), DET_BUF_HTTP_HEADER, APP_PROTO_HTTP, false, false},
    {HTTP("flow:to_server; http.header; content:\"a\";"), DET_BUF_HTTP_HEADER, APP_PROTO_HTTP, true,
     false},
    {HTTP("flow:to_client; http.header; content:\"a\";"), DET_BUF_HTTP_RESP_HEADER, APP_PROTO_HTTP,
     false, true},
    {HTTP("flow:from_server; http.header.raw; content:\"a\";"), DET_BUF_HTTP_RESP_HEADER_RAW,
     APP_PROTO_HTTP, false, true},
    {HTTP("flow:to_client; http.header_names; content:\"a\";"), DET_BUF_HTTP_RESP_HEADER_NAMES,
     APP_PROTO_HTTP, false, true},
    {HTTP("flow:to_client; http.cookie; content:\"a\";"), DET_BUF_HTTP_RESP_COOKIE, APP_PROTO_HTTP,
     false, true},
    {HTTP("http.cookie; content:\"a\";"), DET_BUF_HTTP_COOKIE, APP_PROTO_HTTP, false, false},
    {HTTP("flow:to_client; http.content_type; content:\"a\";"), DET_BUF_HTTP_RESP_CONTENT_TYPE,
     APP_PROTO_HTTP, false, true},
    {HTTP("flow:to_client; http.content_len; content:\"1\";"), DET_BUF_HTTP_RESP_CONTENT_LEN,
     APP_PROTO_HTTP, false, true},
    {HTTP("flow:to_client; http.connection; content:\"a\";"), DET_BUF_HTTP_RESP_CONNECTION,
     APP_PROTO_HTTP, false, true},
    {HTTP("flow:to_client; http.start; content:\"a\";"), DET_BUF_HTTP_RESP_START, APP_PROTO_HTTP,
     false, true},
    {HTTP("http.user_agent; content:\"a\";"), DET_BUF_HTTP_USER_AGENT, APP_PROTO_HTTP, true, false},
    {HTTP("http.host; content:\"a\";"), DET_BUF_HTTP_HOST, APP_PROTO_HTTP, true, false},
    {HTTP("http.host.raw; content:\"a\";"), DET_BUF_HTTP_HOST_RAW, APP_PROTO_HTTP, true, false},
    {HTTP("http.referer; content:\"a\";"), DET_BUF_HTTP_REFERER, APP_PROTO_HTTP, true, false},
    {HTTP("http.accept; content:\"a\";"), DET_BUF_HTTP_ACCEPT, APP_PROTO_HTTP, true, false},
    {HTTP("http.accept_enc; content:\"a\";"), DET_BUF_HTTP_ACCEPT_ENC, APP_PROTO_HTTP, true, false},
    {HTTP("http.accept_lang; content:\"a\";"), DET_BUF_HTTP_ACCEPT_LANG, APP_PROTO_HTTP, true,
     false},
    {HTTP("http.request_body; content:\"a\";"), DET_BUF_HTTP_REQUEST_BODY, APP_PROTO_HTTP, true,
     false},
    {HTTP("http.client_body; content:\"a\";"), DET_BUF_HTTP_REQUEST_BODY, APP_PROTO_HTTP, true,
     false},
    {HTTP("http.stat_code; content:\"a\";"), DET_BUF_HTTP_STAT_CODE, APP_PROTO_HTTP, false, true},
    {HTTP("http.stat_msg; content:\"a\";"), DET_BUF_HTTP_STAT_MSG, APP_PROTO_HTTP, false, true},
    {HTTP("http.response_line; content:\"a\";"), DET_BUF_HTTP_RESPONSE_LINE, APP_PROTO_HTTP, false,
     true},
    {HTTP("http.server; content:\"a\";"), DET_BUF_HTTP_SERVER, APP_PROTO_HTTP, false, true},
    {HTTP("http.location; content:\"a\";"), DET_BUF_HTTP_LOCATION, APP_PROTO_HTTP, false, true},
    {HTTP("http.response_body; content:\"a\";"), DET_BUF_HTTP_RESPONSE_BODY, APP_PROTO_HTTP, false,
     true},
    {HTTP("http.server_body; content:\"a\";"), DET_BUF_HTTP_RESPONSE_BODY, APP_PROTO_HTTP, false,
     true},
    {HTTP("flow:to_client; file.data; content:\"a\";"), DET_BUF_HTTP_RESPONSE_BODY, APP_PROTO_HTTP,
     false, true},
    {HTTP("flow:to_server; file_data; content:\"a\";"), DET_BUF_HTTP_REQUEST_BODY, APP_PROTO_HTTP,
     true, false},
    {HTTP("file.data; content:\"a\";"), DET_BUF_HTTP_RESPONSE_BODY, APP_PROTO_HTTP, false, true},
    {"alert smtp any any -> any any (file.data; content:\"a\"; sid:1;)", DET_BUF_FILE_DATA,
     APP_PROTO_SMTP, false, false},
    {TCP("file.data; content:\"a\";"), DET_BUF_FILE_DATA, 0, false, false},
    {TCP("file.name; content:\"a\";"), DET_BUF_FILE_NAME, 0, false, false},
    {TCP("filename; content:\"a\";"), DET_BUF_FILE_NAME, 0, false, false},
    {TCP("filename:\"a.exe\";"), DET_BUF_FILE_NAME, 0, false, false},
    {TCP("file.magic; content:\"PE32\";"), DET_BUF_FILE_MAGIC, 0, false, false},
    {TCP("filemagic:\"PE32\";"), DET_BUF_FILE_MAGIC, 0, false, false},
    {"alert dns any any -> any any (dns.query; content:\"a\"; sid:1;)", DET_BUF_DNS_QUERY,
     APP_PROTO_DNS, true, false},
    {"alert udp any any -> any 53 (dns_query; content:\"a\"; sid:1;)", DET_BUF_DNS_QUERY,
     APP_PROTO_DNS, true, false},
    {"alert tls any any -> any any (tls.sni; content:\"a\"; sid:1;)", DET_BUF_TLS_SNI,
     APP_PROTO_TLS, true, false},
    {"alert tls any any -> any any (tls_sni; content:\"a\"; sid:1;)", DET_BUF_TLS_SNI,
     APP_PROTO_TLS, true, false},
    {"alert tls any any -> any any (tls.cert_subject; content:\"a\"; sid:1;)",
     DET_BUF_TLS_CERT_SUBJECT, APP_PROTO_TLS, false, true},
    {"alert tls any any -> any any (tls_cert_issuer; content:\"a\"; sid:1;)",
     DET_BUF_TLS_CERT_ISSUER, APP_PROTO_TLS, false, true},
    {"alert tls any any -> any any (tls.cert_serial; content:\"a\"; sid:1;)",
     DET_BUF_TLS_CERT_SERIAL, APP_PROTO_TLS, false, true},
    {"alert tls any any -> any any (tls.cert_fingerprint; content:\"a\"; sid:1;)",
     DET_BUF_TLS_CERT_FINGERPRINT, APP_PROTO_TLS, false, true},
    {TCP("ja3.hash; content:\"a\";"), DET_BUF_JA3_HASH, APP_PROTO_TLS, true, false},
    {TCP("ja3_hash; content:\"a\";"), DET_BUF_JA3_HASH, APP_PROTO_TLS, true, false},
    {TCP("ja3.string; content:\"a\";"), DET_BUF_JA3_STRING, APP_PROTO_TLS, true, false},
    {TCP("ja3s.hash; content:\"a\";"), DET_BUF_JA3S_HASH, APP_PROTO_TLS, false, true},
    {TCP("ja3s.string; content:\"a\";"), DET_BUF_JA3S_STRING, APP_PROTO_TLS, false, true},
    {TCP("ja4.hash; content:\"a\";"), DET_BUF_JA4_HASH, APP_PROTO_TLS, true, false},
    {"alert ssh any any -> any any (ssh.proto; content:\"2.0\"; sid:1;)", DET_BUF_SSH_PROTO,
     APP_PROTO_SSH, false, false},
    {TCP("ssh_software; content:\"a\";"), DET_BUF_SSH_SOFTWARE, APP_PROTO_SSH, false, false},
    {TCP("ssh.hassh; content:\"a\";"), DET_BUF_SSH_HASSH, APP_PROTO_SSH, true, false},
    {TCP("ssh.hassh.string; content:\"a\";"), DET_BUF_SSH_HASSH_STRING, APP_PROTO_SSH, true, false},
    {TCP("ssh.hassh.server; content:\"a\";"), DET_BUF_SSH_HASSH_SERVER, APP_PROTO_SSH, false, true},
    {TCP("ssh.hassh.server.string; content:\"a\";"), DET_BUF_SSH_HASSH_SERVER_STRING, APP_PROTO_SSH,
     false, true},
    {TCP("smtp.helo; content:\"a\";"), DET_BUF_SMTP_HELO, APP_PROTO_SMTP, true, false},
    {TCP("smtp.mail_from; content:\"a\";"), DET_BUF_SMTP_MAIL_FROM, APP_PROTO_SMTP, true, false},
    {TCP("smtp.rcpt_to; content:\"a\";"), DET_BUF_SMTP_RCPT_TO, APP_PROTO_SMTP, true, false},
    {TCP("email.from; content:\"a\";"), DET_BUF_EMAIL_FROM, APP_PROTO_SMTP, true, false},
    {TCP("email.to; content:\"a\";"), DET_BUF_EMAIL_TO, APP_PROTO_SMTP, true, false},
    {TCP("email.cc; content:\"a\";"), DET_BUF_EMAIL_CC, APP_PROTO_SMTP, true, false},
    {TCP("email.subject; content:\"a\";"), DET_BUF_EMAIL_SUBJECT, APP_PROTO_SMTP, true, false},
    {TCP("email.date; content:\"a\";"), DET_BUF_EMAIL_DATE, APP_PROTO_SMTP, true, false},
    {TCP("email.message_id; content:\"a\";"), DET_BUF_EMAIL_MESSAGE_ID, APP_PROTO_SMTP, true,
     false},
    {TCP("email.x_mailer; content:\"a\";"), DET_BUF_EMAIL_X_MAILER, APP_PROTO_SMTP, true, false},
    {"alert imap any any -> any any (email.subject; content:\"a\"; sid:1;)", DET_BUF_EMAIL_SUBJECT,
     APP_PROTO_IMAP, true, false},
    /* legacy modifiers move the content; the payload list they leave empty is dropped */
    {HTTP("content:\"a\"; http_uri;"), DET_BUF_HTTP_URI, APP_PROTO_HTTP, true, false},
    {HTTP("content:\"a\"; http_raw_uri;"), DET_BUF_HTTP_URI_RAW, APP_PROTO_HTTP, true, false},
    {HTTP("content:\"a\"; http_method;"), DET_BUF_HTTP_METHOD, APP_PROTO_HTTP, true, false},
    {HTTP("content:\"a\"; http_header;"), DET_BUF_HTTP_HEADER, APP_PROTO_HTTP, false, false},
    {HTTP("flow:to_client; content:\"a\"; http_raw_header;"), DET_BUF_HTTP_RESP_HEADER_RAW,
     APP_PROTO_HTTP, false, true},
    {HTTP("content:\"a\"; http_cookie;"), DET_BUF_HTTP_COOKIE, APP_PROTO_HTTP, false, false},
    {HTTP("content:\"a\"; http_user_agent;"), DET_BUF_HTTP_USER_AGENT, APP_PROTO_HTTP, true, false},
    {HTTP("content:\"a\"; http_host;"), DET_BUF_HTTP_HOST, APP_PROTO_HTTP, true, false},
    {HTTP("content:\"a\"; http_raw_host;"), DET_BUF_HTTP_HOST_RAW, APP_PROTO_HTTP, true, false},
    {HTTP("content:\"a\"; http_client_body;"), DET_BUF_HTTP_REQUEST_BODY, APP_PROTO_HTTP, true,
     false},
    {HTTP("content:\"a\"; http_server_body;"), DET_BUF_HTTP_RESPONSE_BODY, APP_PROTO_HTTP, false,
     true},
    {HTTP("content:\"a\"; http_stat_code;"), DET_BUF_HTTP_STAT_CODE, APP_PROTO_HTTP, false, true},
    {HTTP("content:\"a\"; http_stat_msg;"), DET_BUF_HTTP_STAT_MSG, APP_PROTO_HTTP, false, true},
    {HTTP("content:\"a\"; http_content_type;"), DET_BUF_HTTP_CONTENT_TYPE, APP_PROTO_HTTP, false,
     false},
    {HTTP("content:\"a\"; http_referer;"), DET_BUF_HTTP_REFERER, APP_PROTO_HTTP, true, false},
    {HTTP("http_request_line; content:\"a\";"), DET_BUF_HTTP_REQUEST_LINE, APP_PROTO_HTTP, true,
     false},
    {HTTP("http_start; content:\"a\";"), DET_BUF_HTTP_START, APP_PROTO_HTTP, false, false},
    {HTTP("http_header_names; content:\"a\";"), DET_BUF_HTTP_HEADER_NAMES, APP_PROTO_HTTP, false,
     false},
    {HTTP("content:\"a\"; http_accept;"), DET_BUF_HTTP_ACCEPT, APP_PROTO_HTTP, true, false},
    {HTTP("content:\"a\"; http_accept_enc;"), DET_BUF_HTTP_ACCEPT_ENC, APP_PROTO_HTTP, true, false},
    {HTTP("content:\"a\"; http_accept_lang;"), DET_BUF_HTTP_ACCEPT_LANG, APP_PROTO_HTTP, true,
     false},
    {HTTP("content:\"a\"; http_connection;"), DET_BUF_HTTP_CONNECTION, APP_PROTO_HTTP, false,
     false},
    {HTTP("content:\"a\"; http_content_len;"), DET_BUF_HTTP_CONTENT_LEN, APP_PROTO_HTTP, false,
     false},
    {HTTP("content:\"a\"; http_location;"), DET_BUF_HTTP_LOCATION, APP_PROTO_HTTP, false, true},
    {HTTP("content:\"a\"; http_server;"), DET_BUF_HTTP_SERVER, APP_PROTO_HTTP, false, true},
    {HTTP("http_protocol; content:\"a\";"), DET_BUF_HTTP_PROTOCOL, APP_PROTO_HTTP, false, false},
    {HTTP("http_response_line; content:\"a\";"), DET_BUF_HTTP_RESPONSE_LINE, APP_PROTO_HTTP, false,
     true},
    {TCP("uricontent:\"/a\";"), DET_BUF_HTTP_URI, APP_PROTO_HTTP, true, false},
    {HTTP("http.uri; pkt_data; content:\"a\";"), DET_BUF_PAYLOAD, APP_PROTO_HTTP, false, false},
};

static void test_det_parse_rule_buffers(void **state)
{
    struct fx *f = *state;
    for (size_t i = 0; i < sizeof buf_rows / sizeof buf_rows[0]; i++) {
        const struct buf_row *b = &buf_rows[i];
        struct det_rule *r = parse_ok(f, b->rule);
        if (r->n_lists != 1 || r->lists[0].buf != b->buf || r->lists[0].n_sms != 1)
            fail_msg("%s: %u lists, first %s", b->rule, r->n_lists,
                     r->n_lists ? det_buf_name(r->lists[0].buf) : "-");
        if (r->app_proto != b->app || r->to_server != b->to_server || r->to_client != b->to_client)
            fail_msg("%s: app %d ts %d tc %d", b->rule, r->app_proto, r->to_server, r->to_client);
        assert_int_equal(r->lists[0].sms[0].type, DET_SM_CONTENT);
        det_rule_free(r);
    }
}

static void test_det_parse_rule_sticky_lists(void **state)
{
    struct fx *f = *state;
    /* same buffer named again: the list continues; transforms make another list; a
     * transform after matches starts a new list with the chain so far plus itself */
    struct det_rule *r = parse_ok(
        f, HTTP("http.uri; content:\"a\"; http.host; content:\"h\"; http.uri; content:\"b\"; "
                "http.uri; to_lowercase; url_decode; content:\"c\"; dotprefix; content:\"d\";"));
    assert_int_equal(r->n_lists, 4);
    assert_int_equal(r->lists[0].buf, DET_BUF_HTTP_URI);
    assert_int_equal(r->lists[0].xform, 0);
    assert_int_equal(r->lists[0].n_sms, 2);
    assert_int_equal(r->lists[1].buf, DET_BUF_HTTP_HOST);
    assert_int_equal(r->lists[2].buf, DET_BUF_HTTP_URI);
    assert_int_equal(r->lists[2].xform, DET_XF_TO_LOWERCASE | DET_XF_URL_DECODE << 4);
    assert_int_equal(r->lists[3].xform,
                     DET_XF_TO_LOWERCASE | DET_XF_URL_DECODE << 4 | DET_XF_DOTPREFIX << 8);
    det_rule_free(r);

    r = parse_ok(f, "alert dns any any -> any any (dns.query; dotprefix; to_lowercase; "
                    "strip_whitespace; compress_whitespace; content:\".a.b\"; endswith; sid:1;)");
    assert_int_equal(r->lists[0].xform, DET_XF_DOTPREFIX | DET_XF_TO_LOWERCASE << 4 |
                                            DET_XF_STRIP_WHITESPACE << 8 |
                                            DET_XF_COMPRESS_WHITESPACE << 12);
    det_rule_free(r);

    /* urilen goes to the URI list without changing the current buffer */
    r = parse_ok(f, HTTP("http.method; content:\"GET\"; urilen:<10; content:\"x\"; "
                         "urilen:5<>9,raw; http.uri; bsize:>3;"));
    const struct det_list *m = list_of(r, DET_BUF_HTTP_METHOD);
    assert_int_equal(m->n_sms, 2);
    const struct det_list *u = list_of(r, DET_BUF_HTTP_URI);
    assert_int_equal(u->n_sms, 2);
    assert_int_equal(u->sms[0].type, DET_SM_BSIZE);
    assert_int_equal(u->sms[0].u.size.op, DET_OP_LT);
    assert_int_equal(u->sms[0].u.size.lo, 10);
    assert_int_equal(u->sms[1].u.size.op, DET_OP_GT);
    const struct det_list *raw = list_of(r, DET_BUF_HTTP_URI_RAW);
    assert_int_equal(raw->sms[0].u.size.op, DET_OP_RANGE);
    assert_int_equal(raw->sms[0].u.size.lo, 5);
    assert_int_equal(raw->sms[0].u.size.hi, 9);
    det_rule_free(r);

    /* http_uri moves the last content out of the middle of the payload list */
    r = parse_ok(f, HTTP("content:\"a\"; content:\"b\"; pcre:\"/c/\"; content:\"u\"; http_uri; "
                         "nocase; content:\"d\";"));
    const struct det_list *p = list_of(r, DET_BUF_PAYLOAD);
    assert_int_equal(p->n_sms, 4);
    assert_memory_equal(p->sms[3].u.content.pat, "d", 1);
    u = list_of(r, DET_BUF_HTTP_URI);
    assert_int_equal(u->n_sms, 1);
    assert_int_equal(u->sms[0].u.content.flags, DET_CT_NOCASE);
    det_rule_free(r);

    /* ja3 in a tcp rule makes it a TLS rule; app-layer-protocol where nothing else says */
    /* a response buffer makes the neutral ones response-side too */
    r = parse_ok(f, HTTP("http.header; content:\"a\"; http.stat_code; content:\"200\";"));
    assert_int_equal(r->lists[0].buf, DET_BUF_HTTP_RESP_HEADER);
    assert_true(r->to_client);
    det_rule_free(r);

    r = parse_ok(f, TCP("app-layer-protocol:!http;"));
    assert_int_equal(r->app_proto, APP_PROTO_HTTP);
    assert_true(r->app_proto_negated);
    det_rule_free(r);
    r = parse_ok(f, "alert http any any -> any any (app-layer-protocol:http; sid:1;)");
    assert_int_equal(r->app_proto, APP_PROTO_HTTP);
    assert_false(r->app_proto_negated);
    det_rule_free(r);
    r = parse_ok(f, TCP("app-layer-protocol:failed;"));
    assert_int_equal(r->app_proto, APP_PROTO_FAILED);
    det_rule_free(r);
}

static void test_det_parse_rule_flow_vars(void **state)
{
    struct fx *f = *state;
    struct det_rule *r = parse_ok(
        f, TCP("flow:established,to_server,only_stream,no_frag; flowbits:set,a&b; "
               "flowbits:isset,c|a; flowbits:isnotset,d; flowbits:unset,a; flowbits:toggle,e; "
               "flowbits:noalert; flowint:cnt,+,1; flowint:cnt,>=,10; flowint:cnt,isset; "
               "flowint:other,notset; flowint:cnt,=,other; flowint:x,!=,4294967295; "
               "xbits:set,xb,track ip_pair,expire 60; xbits:isset,xb,track ip_src; "
               "xbits:toggle,y,track ip_dst;"));
    assert_int_equal(r->flow_flags, DET_FLOW_ESTABLISHED | DET_FLOW_TO_SERVER |
                                        DET_FLOW_ONLY_STREAM | DET_FLOW_NO_FRAG);
    assert_true(r->to_server);
    assert_false(r->to_client);
    assert_true(r->noalert);
    assert_int_equal(r->n_flowbits, 5);
    const struct det_names *fb = &f->rs->flowbits;
    assert_int_equal(r->flowbits[0].op, DET_BIT_SET);
    assert_int_equal(r->flowbits[0].n_ids, 2);
    assert_false(r->flowbits[0].any_of);
    assert_string_equal(fb->names[r->flowbits[0].ids[0]], "a");
    assert_string_equal(fb->names[r->flowbits[0].ids[1]], "b");
    assert_int_equal(r->flowbits[1].op, DET_BIT_ISSET);
    assert_true(r->flowbits[1].any_of);
    assert_string_equal(fb->names[r->flowbits[1].ids[0]], "c");
    assert_int_equal(r->flowbits[1].ids[1], r->flowbits[0].ids[0]); /* interned once */
    assert_int_equal(r->flowbits[2].op, DET_BIT_ISNOTSET);
    assert_int_equal(r->flowbits[3].op, DET_BIT_UNSET);
    assert_int_equal(r->flowbits[4].op, DET_BIT_TOGGLE);
    assert_int_equal(det_names_find(fb, "e", 1), (int32_t)r->flowbits[4].ids[0]);
    assert_int_equal(det_names_find(fb, "zz", 2), -1);

    assert_int_equal(r->n_flowints, 6);
    assert_int_equal(r->flowints[0].op, DET_INT_ADD);
    assert_int_equal(r->flowints[0].value, 1);
    assert_int_equal(r->flowints[0].value_id, -1);
    assert_int_equal(r->flowints[1].op, DET_INT_CMP);
    assert_int_equal(r->flowints[1].cmp, DET_OP_GE);
    assert_int_equal(r->flowints[1].value, 10);
    assert_int_equal(r->flowints[2].op, DET_INT_ISSET);
    assert_int_equal(r->flowints[3].op, DET_INT_ISNOTSET);
    assert_int_equal(r->flowints[4].op, DET_INT_SET);
    assert_int_equal(r->flowints[4].value_id, (int32_t)r->flowints[3].id);
    assert_int_equal(r->flowints[5].cmp, DET_OP_NE);
    assert_int_equal(r->flowints[5].value, 4294967295LL);
    assert_string_equal(f->rs->flowints.names[r->flowints[0].id], "cnt");

    assert_int_equal(r->n_xbits, 3);
    assert_int_equal(r->xbits[0].op, DET_BIT_SET);
    assert_int_equal(r->xbits[0].track, DET_XB_IP_PAIR);
    assert_int_equal(r->xbits[0].expire_s, 60);
    assert_int_equal(r->xbits[1].op, DET_BIT_ISSET);
    assert_int_equal(r->xbits[1].track, DET_XB_IP_SRC);
    assert_int_equal(r->xbits[1].id, r->xbits[0].id);
    assert_int_equal(r->xbits[2].track, DET_XB_IP_DST);
    assert_string_equal(f->rs->xbits.names[r->xbits[2].id], "y");
    det_rule_free(r);

    r = parse_ok(f, TCP("flow:from_server,not_established,no_stream,only_frag;"));
    assert_int_equal(r->flow_flags, DET_FLOW_TO_CLIENT | DET_FLOW_NOT_ESTABLISHED |
                                        DET_FLOW_NO_STREAM | DET_FLOW_ONLY_FRAG);
    assert_true(r->to_client);
    det_rule_free(r);
    r = parse_ok(f, TCP("flow:stateless,from_client;"));
    assert_int_equal(r->flow_flags, DET_FLOW_STATELESS | DET_FLOW_TO_SERVER);
    det_rule_free(r);
}

struct size_row {
    const char *text;
    enum det_num_op op;
    uint64_t lo, hi;
};

static void test_det_parse_rule_integer_forms(void **state)
{
    struct fx *f = *state;
    static const struct size_row rows[] = {
        {"10", DET_OP_EQ, 10, 0},
        {"=10", DET_OP_EQ, 10, 0},
        {" 0x10 ", DET_OP_EQ, 16, 0},
        {"<10", DET_OP_LT, 10, 0},
        {"< 10", DET_OP_LT, 10, 0},
        {">10", DET_OP_GT, 10, 0},
        {"<=10", DET_OP_LE, 10, 0},
        {">=10", DET_OP_GE, 10, 0},
        {"!10", DET_OP_NE, 10, 0},
        {"!=10", DET_OP_NE, 10, 0},
        {"9<>18", DET_OP_RANGE, 9, 18},
        {"9 <> 18", DET_OP_RANGE, 9, 18},
        {"9-18", DET_OP_RANGE, 9, 18},
        {"!9-18", DET_OP_NOT_RANGE, 9, 18},
        {"!9<>18", DET_OP_NOT_RANGE, 9, 18},
        {"0<>2", DET_OP_RANGE, 0, 2},
        {"65535", DET_OP_EQ, 65535, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, TCP("dsize:%s;"), rows[i].text);
        struct det_rule *r = parse_ok(f, text);
        const struct det_size *s = &r->dsize.v;
        if (!r->dsize.present || s->op != rows[i].op || s->lo != rows[i].lo || s->hi != rows[i].hi)
            fail_msg("dsize:%s -> op %d lo %llu hi %llu", rows[i].text, s->op,
                     (unsigned long long)s->lo, (unsigned long long)s->hi);
        det_rule_free(r);
    }

    struct det_rule *r =
        parse_ok(f, "alert icmp any any -> any any (ttl:<64; itype:8; icode:>0; icmp_id:!5; "
                    "icmp_seq:1<>9; ip_proto:!tcp; sid:1;)");
    assert_true(r->ttl.present);
    assert_int_equal(r->ttl.v.op, DET_OP_LT);
    assert_int_equal(r->itype.v.lo, 8);
    assert_int_equal(r->icode.v.op, DET_OP_GT);
    assert_int_equal(r->icmp_id.v.op, DET_OP_NE);
    assert_int_equal(r->icmp_seq.v.op, DET_OP_RANGE);
    assert_int_equal(r->ip_proto.v.op, DET_OP_NE);
    assert_int_equal(r->ip_proto.v.lo, 6);
    assert_false(r->dsize.present);
    det_rule_free(r);
    r = parse_ok(f, TCP("seq:4294967295; tcp.ack:0; window:!1024; ip_proto:41;"));
    assert_int_equal(r->tcp_seq.v.lo, 4294967295u);
    assert_true(r->tcp_ack.present);
    assert_int_equal(r->tcp_window.v.op, DET_OP_NE);
    assert_int_equal(r->ip_proto.v.lo, 41);
    det_rule_free(r);
    r = parse_ok(f, TCP("ip_proto:ipv6-icmp;"));
    assert_int_equal(r->ip_proto.v.lo, 58);
    det_rule_free(r);
}

struct flags_row {
    const char *text;
    uint8_t set, ignore;
    char mode;
};

static void test_det_parse_rule_tcp_flags(void **state)
{
    struct fx *f = *state;
    static const struct flags_row rows[] = {
        {"S", 0x02, 0, 0},        {"SA", 0x12, 0, 0},   {"S,12", 0x02, 0xc0, 0},
        {"S,CE", 0x02, 0xc0, 0},  {"+S", 0x02, 0, '+'}, {"SA+", 0x12, 0, '+'},
        {"*SA", 0x12, 0, '*'},    {"!R", 0x04, 0, '!'}, {"0", 0, 0, 0},
        {"FSRPAUCE", 0xff, 0, 0}, {"12", 0xc0, 0, 0},   {"fpu", 0x29, 0, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, TCP("flags:%s;"), rows[i].text);
        struct det_rule *r = parse_ok(f, text);
        const struct det_tcpflags *t = &r->tcpflags;
        if (!t->present || t->set != rows[i].set || t->ignore != rows[i].ignore ||
            t->mode != rows[i].mode)
            fail_msg("flags:%s -> set %02x ignore %02x mode %d", rows[i].text, t->set, t->ignore,
                     t->mode);
        det_rule_free(r);
    }
}

static void test_det_parse_rule_byte_ops(void **state)
{
    struct fx *f = *state;
    struct det_rule *r =
        parse_ok(f, TCP("content:\"x\"; byte_extract:2,1,len,relative,little,multiplier 4,align 4,"
                        "bitmask 0x0ff0; byte_extract:3,-2,n,string,hex; "
                        "byte_test:4,!&,0x80,len,relative,big,bitmask 0xff; byte_test:2,!,7,0; "
                        "byte_test:10,<=,n,0,string,oct; byte_test:0,>,1000,0,string,dec; "
                        "byte_jump:4,len,relative,multiplier 2,little,align,from_beginning,"
                        "post_offset -4,bitmask 0x3; byte_jump:3,0,string,dec,from_end; "
                        "isdataat:!1,relative; isdataat:len,rawbytes; isdataat:0;"));
    assert_int_equal(r->n_vars, 2);
    const struct det_list *l = &r->lists[0];
    assert_int_equal(l->n_sms, 12);
    const struct det_byte_extract *be = &l->sms[1].u.byte_extract;
    assert_int_equal(l->sms[1].type, DET_SM_BYTE_EXTRACT);
    assert_int_equal(be->nbytes, 2);
    assert_int_equal(be->offset, 1);
    assert_int_equal(be->var, 0);
    assert_int_equal(be->multiplier, 4);
    assert_int_equal(be->align, 4);
    assert_int_equal(be->flags,
                     DET_BYTE_RELATIVE | DET_BYTE_LITTLE | DET_BYTE_ALIGN | DET_BYTE_BITMASK);
    assert_int_equal(be->bitmask, 0x0ff0);
    be = &l->sms[2].u.byte_extract;
    assert_int_equal(be->offset, -2);
    assert_int_equal(be->var, 1);
    assert_int_equal(be->base, 16);
    assert_int_equal(be->multiplier, 1);
    assert_int_equal(be->flags, DET_BYTE_STRING);
    const struct det_byte_test *bt = &l->sms[3].u.byte_test;
    assert_int_equal(l->sms[3].type, DET_SM_BYTE_TEST);
    assert_int_equal(bt->nbytes, 4);
    assert_int_equal(bt->op, DET_OP_AND);
    assert_int_equal(bt->value.v, 0x80);
    assert_int_equal(bt->offset.var, 0);
    assert_int_equal(bt->flags, DET_BYTE_NEGATE | DET_BYTE_RELATIVE | DET_BYTE_BITMASK);
    assert_int_equal(bt->bitmask, 0xff);
    bt = &l->sms[4].u.byte_test;
    assert_int_equal(bt->op, DET_OP_EQ);
    assert_int_equal(bt->flags, DET_BYTE_NEGATE);
    bt = &l->sms[5].u.byte_test;
    assert_int_equal(bt->op, DET_OP_LE);
    assert_int_equal(bt->value.var, 1);
    assert_int_equal(bt->base, 8);
    assert_int_equal(bt->nbytes, 10);
    bt = &l->sms[6].u.byte_test;
    assert_int_equal(bt->nbytes, 0); /* string digits present */
    assert_int_equal(bt->base, 10);
    const struct det_byte_jump *bj = &l->sms[7].u.byte_jump;
    assert_int_equal(l->sms[7].type, DET_SM_BYTE_JUMP);
    assert_int_equal(bj->nbytes, 4);
    assert_int_equal(bj->offset.var, 0);
    assert_int_equal(bj->multiplier, 2);
    assert_int_equal(bj->post_offset, -4);
    assert_int_equal(bj->bitmask, 3);
    assert_int_equal(bj->flags, DET_BYTE_RELATIVE | DET_BYTE_LITTLE | DET_BYTE_ALIGN |
                                    DET_BYTE_FROM_BEGINNING | DET_BYTE_BITMASK);
    bj = &l->sms[8].u.byte_jump;
    assert_int_equal(bj->flags, DET_BYTE_STRING | DET_BYTE_FROM_END);
    assert_int_equal(bj->base, 10);
    assert_int_equal(bj->multiplier, 1);
    const struct det_isdataat *id = &l->sms[9].u.isdataat;
    assert_int_equal(l->sms[9].type, DET_SM_ISDATAAT);
    assert_true(id->negated && id->relative && !id->rawbytes);
    assert_int_equal(id->off.v, 1);
    id = &l->sms[10].u.isdataat;
    assert_int_equal(id->off.var, 0);
    assert_true(id->rawbytes && !id->negated && !id->relative);
    det_rule_free(r);

    /* every byte_test operator */
    static const struct {
        const char *op;
        enum det_num_op want;
        bool neg;
    } ops[] = {{"<", DET_OP_LT, false},  {">", DET_OP_GT, false},  {"=", DET_OP_EQ, false},
               {"<=", DET_OP_LE, false}, {">=", DET_OP_GE, false}, {"&", DET_OP_AND, false},
               {"^", DET_OP_OR, false},  {"!=", DET_OP_EQ, true},  {"!>", DET_OP_GT, true},
               {"!^", DET_OP_OR, true}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        char text[128];
        snprintf(text, sizeof text, TCP("byte_test:1,%s,1,0;"), ops[i].op);
        r = parse_ok(f, text);
        bt = &r->lists[0].sms[0].u.byte_test;
        if (bt->op != ops[i].want || ((bt->flags & DET_BYTE_NEGATE) != 0) != ops[i].neg)
            fail_msg("byte_test op %s -> %d flags %x", ops[i].op, bt->op, bt->flags);
        det_rule_free(r);
    }
}

static void test_det_parse_rule_thresholds(void **state)
{
    struct fx *f = *state;
    struct det_rule *r = parse_ok(
        f, TCP("threshold: type both, count 1, seconds 600, track by_src; "
               "detection_filter:track by_dst, count 4, seconds 20; stream_size:server,<=,5;"));
    assert_true(r->has_threshold);
    assert_int_equal(r->threshold.type, DET_THR_BOTH);
    assert_int_equal(r->threshold.track, DET_TRACK_SRC);
    assert_int_equal(r->threshold.count, 1);
    assert_int_equal(r->threshold.seconds, 600);
    assert_true(r->has_detection_filter);
    assert_int_equal(r->detection_filter.type, DET_THR_DETECTION_FILTER);
    assert_int_equal(r->detection_filter.track, DET_TRACK_DST);
    assert_int_equal(r->detection_filter.count, 4);
    assert_int_equal(r->detection_filter.seconds, 20);
    assert_true(r->stream_size.present);
    assert_int_equal(r->stream_size.side, DET_SS_SERVER);
    assert_int_equal(r->stream_size.op, DET_OP_LE);
    assert_int_equal(r->stream_size.value, 5);
    det_rule_free(r);

    static const struct {
        const char *text;
        enum det_thr_type type;
        enum det_track track;
    } rows[] = {
        {"type limit,track by_rule,count 2,seconds 3", DET_THR_LIMIT, DET_TRACK_RULE},
        {"track by_both,type threshold,seconds 3,count 2", DET_THR_THRESHOLD, DET_TRACK_BOTH},
        {"seconds 3, count 2, track by_dst, type limit", DET_THR_LIMIT, DET_TRACK_DST},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char text[160];
        snprintf(text, sizeof text, TCP("threshold:%s;"), rows[i].text);
        r = parse_ok(f, text);
        assert_int_equal(r->threshold.type, rows[i].type);
        assert_int_equal(r->threshold.track, rows[i].track);
        assert_int_equal(r->threshold.count, 2);
        assert_int_equal(r->threshold.seconds, 3);
        det_rule_free(r);
    }
    static const char *const sides[] = {"server", "client", "both", "either"};
    for (int i = 0; i < 4; i++) {
        char text[128];
        snprintf(text, sizeof text, TCP("stream_size:%s,!=,4294967295;"), sides[i]);
        r = parse_ok(f, text);
        assert_int_equal(r->stream_size.side, (enum det_stream_side)i);
        assert_int_equal(r->stream_size.op, DET_OP_NE);
        det_rule_free(r);
    }
}

/* A classification file replaces the built-in table; unknown classtypes then fail. */
static void test_det_parser_classification_file(void **state)
{
    (void)state;
    char path[] = "/tmp/mm_classXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *fp = fdopen(fd, "w");
    fputs("# comment\n\nconfig classification: my-class,My own class,2\r\n"
          "config classification: other , Other one , 4\n"
          "config classification: my-class,Redefined,1\n",
          fp);
    fclose(fp);
    struct det_parse_opts o = {.classification_path = path};
    struct det_ruleset *rs = rs_new();
    char err[256];
    det_parser_t *p = det_parser_new(&o, rs, err, sizeof err);
    assert_non_null(p);
    assert_int_equal(rs->n_classes, 2);
    assert_string_equal(rs->classes[0].name, "my-class");
    assert_string_equal(rs->classes[0].desc, "Redefined");
    assert_int_equal(rs->classes[0].priority, 1);
    assert_string_equal(rs->classes[1].name, "other");
    assert_string_equal(rs->classes[1].desc, "Other one");
    struct det_rule *r;
    uint32_t sid;
    char *reason, *kw;
    const char *ok = "alert tcp any any -> any any (classtype:OTHER; sid:1;)";
    assert_int_equal(det_parse_rule(p, ok, strlen(ok), &r, &sid, &reason, &kw), 0);
    assert_int_equal(r->priority, 4);
    det_rule_free(r);
    const char *bad = "alert tcp any any -> any any (classtype:trojan-activity; sid:1;)";
    assert_int_not_equal(det_parse_rule(p, bad, strlen(bad), &r, &sid, &reason, &kw), 0);
    free(reason);
    free(kw);
    det_parser_free(p);
    RS_RESET(rs);

    /* malformed lines and missing files are refused with a message */
    fp = fopen(path, "w");
    fputs("config classification: broken\n", fp);
    fclose(fp);
    assert_null(det_parser_new(&o, rs, err, sizeof err));
    assert_non_null(strstr(err, "malformed"));
    RS_RESET(rs);
    fp = fopen(path, "w");
    fputs("config classification: a,b,0\n", fp);
    fclose(fp);
    assert_null(det_parser_new(&o, rs, err, sizeof err));
    assert_non_null(strstr(err, "priority"));
    RS_RESET(rs);
    unlink(path);
    assert_null(det_parser_new(&o, rs, err, sizeof err));
    assert_non_null(strstr(err, path));
    RS_RESET(rs);

    /* a bad configured variable is reported by det_parser_new */
    struct det_var v = {"HOME_NET", "[1.2.3.4"};
    struct det_parse_opts ov = {.addr_vars = &v, .n_addr_vars = 1};
    assert_null(det_parser_new(&ov, rs, err, sizeof err));
    assert_non_null(strstr(err, "HOME_NET"));
    det_ruleset_free(rs);
}

static void test_det_buf_names(void **state)
{
    (void)state;
    for (int b = 0; b < DET_BUF_COUNT; b++) {
        const char *n = det_buf_name((enum det_buf)b);
        if (!n || strcmp(n, "unknown") == 0)
            fail_msg("buffer %d has no name", b);
    }
    assert_string_equal(det_buf_name(DET_BUF_COUNT), "unknown");
    assert_string_equal(det_buf_name(DET_BUF_HTTP_RESP_HEADER), "http.header");
    assert_string_equal(det_buf_name(DET_BUF_HTTP_HEADER), "http.header");
    assert_string_equal(det_buf_name(DET_BUF_FILE_DATA), "file.data");
    assert_string_equal(det_buf_name(DET_BUF_DNS_QUERY), "dns.query");
    assert_true(det_buf_is_response(DET_BUF_HTTP_STAT_CODE));
    assert_true(det_buf_is_response(DET_BUF_HTTP_RESP_COOKIE));
    assert_true(det_buf_is_response(DET_BUF_TLS_CERT_ISSUER));
    assert_true(det_buf_is_response(DET_BUF_JA3S_HASH));
    assert_false(det_buf_is_response(DET_BUF_HTTP_COOKIE));
    assert_false(det_buf_is_response(DET_BUF_PAYLOAD));
    assert_false(det_buf_is_response(DET_BUF_TLS_SNI));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_det_parse_rule_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_limits, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_meta, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_protocols, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_content, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_pcre, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_buffers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_sticky_lists, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_flow_vars, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_integer_forms, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_tcp_flags, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_byte_ops, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_det_parse_rule_thresholds, fx_setup, fx_teardown),
        cmocka_unit_test(test_det_parser_classification_file),
        cmocka_unit_test(test_det_buf_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
