/*
 * MIME parser (src/app/mime.c) and file records (src/app/file.c): a table of messages, each
 * with what the header summary and the file records must say, fed whole, split at every
 * byte, one byte at a time and in random chunks (all must agree); then limits, gaps,
 * truncation, memory refusal at every allocation, and the magic table.
 */
#include "app/file.h"
#include "app/mime.h"
#include "app/smtp.h"

#include "app_harness.h"
#include "core/mem.h"
#include "core/mm.h"
#include "output/eve_app.h"
#include "core/json.h"

#include <openssl/evp.h>

/* ---------- running one message ---------- */

struct run {
    struct ah_out cap;
    char summary[8192]; /* eve_put_smtp of a transaction holding only the email */
    uint32_t events;
    char text[8192];    /* the email's kept text (mime_email.text), NUL-terminated */
    size_t text_len;
    bool text_null;     /* mime_email.text was NULL */
};

static void mime_sink(void *target, int dir, const uint8_t *p, size_t n)
{
    mime_feed(target, dir, p, n);
}

/* Feed msg through mime_new on an SMTP session (the harness's context and records): split
 * > 0 feeds [0,split) and [split,len) each whole; otherwise in chunks of pseudo-random
 * sizes 1..mode (mode 0: whole, 1: one byte at a time). gap_at > 0: a gap of 7 bytes
 * replaces byte range [gap_at, gap_at + 7). */
static void run_mime(const struct app_config *cfg, const char *msg, size_t split, unsigned mode,
                     bool truncated, size_t gap_at, struct run *r)
{
    memset(r, 0, sizeof *r); /* callers free r->cap after each run */
    struct app_session *s = ah_open(&r->cap, APP_PROTO_SMTP, cfg);
    struct mime_parser *m = s ? mime_new(s, APP_PROTO_SMTP) : NULL;
    if (m) {
        size_t len = strlen(msg);
        const uint8_t *p = (const uint8_t *)msg;
        struct ah_chunks ch = {.size = mode == 1, .rand_max = mode > 1 ? mode : 0, .seed = 7};
        size_t parts[3][2] = {{0, len}, {0, 0}, {0, 0}};
        if (gap_at) {
            parts[0][1] = gap_at;
            parts[1][0] = gap_at + 7;
            parts[1][1] = len;
        } else if (split) {
            parts[0][1] = split;
            parts[1][0] = split;
            parts[1][1] = len;
        }
        for (int i = 0; i < 3; i++) {
            size_t a = parts[i][0], b = parts[i][1];
            if (i == 1 && gap_at)
                mime_gap(m, 0, 7);
            if (b > a)
                ah_feed_to(mime_sink, m, 0, p + a, b - a, split ? NULL : &ch);
        }
        mime_end(m, 0, truncated);
        struct smtp_tx tx;
        memset(&tx, 0, sizeof tx);
        tx.email = mime_email(m);
        tx.status = mime_status(m);
        r->events = tx.email->events;
        r->text_null = tx.email->text == NULL;
        r->text_len = tx.email->text_len;
        assert_true(r->text_len < sizeof r->text);
        if (tx.email->text)
            memcpy(r->text, tx.email->text, r->text_len);
        r->text[r->text_len] = '\0';
        assert_true(r->text_null == (r->text_len == 0));
        struct jb jb;
        assert_int_equal(jb_init(&jb, 0, 1 << 20), 0);
        jb_open_object(&jb, NULL);
        eve_put_smtp(&jb, &tx);
        jb_close_object(&jb);
        snprintf(r->summary, sizeof r->summary, "%s", jb_cstr(&jb));
        jb_fini(&jb);
        mime_free(m);
    }
    ah_close(&r->cap, s);
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char d[32];
    unsigned int len = 0;
    EVP_Digest(p, n, d, &len, EVP_sha256(), NULL);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---------- messages ---------- */

/* Two recipients, one Cc, RFC 2047 subject, a text part and a base64 attachment
 * "hello.txt" = "Hello, world!\n". */
static const char msg_simple[] =
    "From: \"Alice A.\" <alice@example.com>\r\n"
    "To: bob@example.com, \"Carol, C\" <carol@example.com>\r\n"
    "Cc: dave@example.com\r\n"
    "Subject: =?UTF-8?B?w6l0w6k=?= report\r\n"
    "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "X-Mailer: TestMailer 1.0\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n"
    "\tboundary=\"BOUND-1\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--BOUND-1\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "Body text.\r\n"
    "--BOUND-1\r\n"
    "Content-Type: text/plain; name=\"hello.txt\"\r\n"
    "Content-Disposition: attachment; filename=\"hello.txt\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "SGVsbG8s\r\n"
    "IHdvcmxk\r\n"
    "IQo=\r\n"
    "--BOUND-1--\r\n"
    "epilogue\r\n";

/* mixed > (alternative > text, html) + related image + pdf; the inner boundary is a
 * prefix-extension of the outer one. */
static const char msg_nested[] =
    "From: a@example.com\r\n"
    "Subject: =?ISO-8859-1?Q?caf=E9_au?= =?ISO-8859-1?Q?_lait?=\r\n"
    "Content-Type: multipart/mixed; boundary=outer\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: multipart/alternative; boundary=\"outer-inner\"\r\n"
    "\r\n"
    "--outer-inner\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "plain\r\n"
    "--outer-inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>html</p>\r\n"
    "--outer-inner--\r\n"
    "--outer\r\n"
    "Content-Type: image/png\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "iVBORw0KGgo=\r\n"
    "--outer\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Disposition: attachment; filename=doc.pdf\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "%PDF-1.4 =3D soft=\r\n"
    " break\r\n"
    "--outer--\r\n";

/* RFC 2231 continuations with charsets, out of order; plus a latin-1 one. */
static const char msg_rfc2231[] =
    "Content-Type: multipart/mixed; boundary=b\r\n"
    "\r\n"
    "--b\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename*1*=uro%20rate; filename*0*=UTF-8''%E2%82%AC;\r\n"
    " filename*2=\".txt\"\r\n"
    "\r\n"
    "x\r\n"
    "--b\r\n"
    "Content-Type: application/octet-stream; name*=iso-8859-1'fr'caf%E9.bin\r\n"
    "\r\n"
    "y\r\n"
    "--b\r\n"
    "Content-Type: application/octet-stream; name=\"=?UTF-8?Q?r=C3=A9sum=C3=A9.doc?=\"\r\n"
    "\r\n"
    "z\r\n"
    "--b--\r\n";

/* No end boundary; bad base64. */
static const char msg_noend[] =
    "Content-Type: multipart/mixed; boundary=zz\r\n"
    "\r\n"
    "--zz\r\n"
    "Content-Type: application/zip; name=a.zip\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "UEsDBA==\r\n"
    "--zz\r\n"
    "Content-Type: application/octet-stream; name=bad.bin\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "QUJD*RA==\r\n";

/* Three levels of nesting, each with an attachment at the bottom. */
static const char msg_deep[] =
    "Content-Type: multipart/mixed; boundary=l1\r\n"
    "\r\n"
    "--l1\r\n"
    "Content-Type: multipart/mixed; boundary=l2\r\n"
    "\r\n"
    "--l2\r\n"
    "Content-Type: multipart/mixed; boundary=l3\r\n"
    "\r\n"
    "--l3\r\n"
    "Content-Type: application/octet-stream; name=deep.bin\r\n"
    "\r\n"
    "deep\r\n"
    "--l3--\r\n"
    "--l2\r\n"
    "Content-Type: application/octet-stream; name=mid.bin\r\n"
    "\r\n"
    "mid\r\n"
    "--l2--\r\n"
    "--l1--\r\n";

/* Five attachments. */
static const char msg_many[] =
    "Content-Type: multipart/mixed; boundary=m\r\n"
    "\r\n"
    "--m\r\nContent-Type: image/gif; name=1.gif\r\n\r\nGIF89a\r\n"
    "--m\r\nContent-Type: image/gif; name=2.gif\r\n\r\nGIF89a\r\n"
    "--m\r\nContent-Type: image/gif; name=3.gif\r\n\r\nGIF89a\r\n"
    "--m\r\nContent-Type: image/gif; name=4.gif\r\n\r\nGIF89a\r\n"
    "--m\r\nContent-Type: image/gif; name=5.gif\r\n\r\nGIF89a\r\n"
    "--m--\r\n";

/* A single-part message that is itself an attachment, with LF-only line ends. */
static const char msg_single[] =
    "Subject: plain\n"
    "Content-Type: application/x-sh\n"
    "Content-Disposition: attachment; filename=run.sh\n"
    "\n"
    "#!/bin/sh\n"
    "echo hi\n";

struct row {
    const char *name;
    const char *msg;
    int n_files;
    const char *summary_has[6];
    const char *file_has[4][5]; /* per file: substrings */
    uint32_t events;
};

static const struct row rows[] = {
    {"simple", msg_simple, 1,
     {"\"subject\":\"\xc3\xa9t\xc3\xa9 report\"",
      "\"to\":[\"bob@example.com\",\"\\\"Carol, C\\\" <carol@example.com>\"]",
      "\"cc\":[\"dave@example.com\"]", "\"attachment\":[\"hello.txt\"]",
      "\"x_mailer\":\"TestMailer 1.0\"", "\"status\":\"PARSE_DONE\""},
     {{"\"filename\":\"hello.txt\"", "\"size\":14", "\"magic\":\"ASCII text\"",
       "\"state\":\"CLOSED\"", NULL}},
     0},
    {"nested", msg_nested, 2,
     {"\"subject\":\"caf\xc3\xa9 au lait\"", "\"attachment\":[\"doc.pdf\"]",
      "\"content_type\":\"multipart/mixed\"", "\"parts\":6", NULL},
     {{"\"filename\":\"\"", "\"magic\":\"PNG image\"", "\"size\":8", NULL},
      {"\"filename\":\"doc.pdf\"", "\"magic\":\"PDF document\"", "\"size\":21",
       "\"content_type\":\"application/pdf\"", NULL}},
     0},
    {"rfc2231", msg_rfc2231, 3,
     {"\"attachment\":[\"\xe2\x82\xacuro rate.txt\",\"caf\xc3\xa9.bin\",\"r\xc3\xa9sum\xc3\xa9.doc\"]",
      NULL},
     {{"\"filename\":\"\xe2\x82\xacuro rate.txt\"", "\"size\":1", NULL},
      {"\"filename\":\"caf\xc3\xa9.bin\"", NULL},
      {"\"filename\":\"r\xc3\xa9sum\xc3\xa9.doc\"", NULL}},
     0},
    {"noend", msg_noend, 2,
     {"\"mime_events\":[\"bad_base64\",\"no_end_boundary\"]", NULL},
     {{"\"filename\":\"a.zip\"", "\"magic\":\"Zip archive\"", "\"size\":4", NULL},
      {"\"filename\":\"bad.bin\"", "\"size\":4", NULL}},
     MIME_EV_BAD_BASE64 | MIME_EV_NO_END_BOUNDARY},
    {"deep", msg_deep, 2, {"\"attachment\":[\"deep.bin\",\"mid.bin\"]", NULL},
     {{"\"filename\":\"deep.bin\"", "\"size\":4", NULL},
      {"\"filename\":\"mid.bin\"", "\"size\":3", NULL}},
     0},
    {"many", msg_many, 5, {"\"parts\":6", NULL},
     {{"\"filename\":\"1.gif\"", "\"magic\":\"GIF image\"", NULL}},
     0},
    {"single", msg_single, 1, {"\"subject\":\"plain\"", "\"attachment\":[\"run.sh\"]", NULL},
     {{"\"filename\":\"run.sh\"", "\"size\":18", "\"magic\":\"script text (#!)\"", NULL}},
     0},
};

static void check_row(const struct row *w, const struct run *r, const char *how)
{
    int files = 0;
    for (int i = 0; i < r->cap.n_rec; i++) {
        if (r->cap.kind[i] != APP_REC_FILE)
            continue;
        if (files < 4) {
            for (int j = 0; j < 5 && w->file_has[files][j]; j++) {
                if (!strstr(r->cap.rec[i], w->file_has[files][j])) {
                    fprintf(stderr, "%s/%s: file %d lacks %s\n", w->name, how, files,
                            w->file_has[files][j]);
                    ah_dump(&r->cap);
                    fail();
                }
            }
        }
        files++;
    }
    if (files != w->n_files) {
        fprintf(stderr, "%s/%s: %d files, want %d\n", w->name, how, files, w->n_files);
        ah_dump(&r->cap);
        fail();
    }
    for (int j = 0; j < 6 && w->summary_has[j]; j++) {
        if (!strstr(r->summary, w->summary_has[j])) {
            fprintf(stderr, "%s/%s: summary lacks %s\n  %s\n", w->name, how, w->summary_has[j],
                    r->summary);
            fail();
        }
    }
    if (r->events != w->events) {
        fprintf(stderr, "%s/%s: events %#x, want %#x\n", w->name, how, r->events, w->events);
        fail();
    }
}

static void test_mime_table(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        struct run whole, other;
        run_mime(&cfg, rows[i].msg, 0, 0, false, 0, &whole);
        check_row(&rows[i], &whole, "whole");
        /* Every split point, one byte at a time, random chunks: the same records. */
        size_t len = strlen(rows[i].msg);
        for (size_t k = 1; k < len; k++) {
            run_mime(&cfg, rows[i].msg, k, 0, false, 0, &other);
            char how[32];
            snprintf(how, sizeof how, "split %zu", k);
            ah_assert_same(&whole.cap, &other.cap, how);
            assert_string_equal(whole.summary, other.summary);
            ah_out_free(&other.cap);
        }
        for (unsigned mode = 1; mode < 40; mode += 13) {
            run_mime(&cfg, rows[i].msg, 0, mode, false, 0, &other);
            ah_assert_same(&whole.cap, &other.cap, rows[i].name);
            assert_string_equal(whole.summary, other.summary);
            ah_out_free(&other.cap);
        }
        ah_out_free(&whole.cap);
    }
}

static void test_mime_file_sha256(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    struct run r;
    char want[65], needle[80];
    run_mime(&cfg, msg_simple, 0, 0, false, 0, &r);
    sha256_hex("Hello, world!\n", 14, want);
    snprintf(needle, sizeof needle, "\"sha256\":\"%s\"", want);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, needle, (char *)NULL), 1);
    ah_out_free(&r.cap);

    /* QP: "=3D" decodes, "=\r\n" is a soft break; the CRLF before the boundary is not data. */
    run_mime(&cfg, msg_nested, 0, 0, false, 0, &r);
    sha256_hex("%PDF-1.4 = soft break", 21, want);
    snprintf(needle, sizeof needle, "\"sha256\":\"%s\"", want);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, needle, (char *)NULL), 1);
    ah_out_free(&r.cap);

    /* A single-part body keeps its last line end. */
    run_mime(&cfg, msg_single, 0, 0, false, 0, &r);
    sha256_hex("#!/bin/sh\necho hi\n", 18, want);
    snprintf(needle, sizeof needle, "\"sha256\":\"%s\"", want);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, needle, (char *)NULL), 1);
    ah_out_free(&r.cap);
}

/* The message's own text for the detectors: its text parts that are not files, decoded
 * (QP, base64), in order, bounded by mime_text_keep_bytes for the whole message; however the
 * bytes arrive. */
static const char msg_text[] =
    "From: keiri@trade-partner.example\r\n"
    "Subject: invoice\r\n"
    "Content-Type: multipart/mixed; boundary=b1\r\n"
    "\r\n"
    "preamble is not text\r\n"
    "--b1\r\n"
    "Content-Type: multipart/alternative; boundary=b2\r\n"
    "\r\n"
    "--b2\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Password: =30423 soft=\r\n"
    "break\r\n"
    "--b2\r\n"
    "Content-Type: text/html\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PHA+SGk8L3A+\r\n"
    "--b2--\r\n"
    "--b1\r\n"
    "Content-Type: text/plain; name=notes.txt\r\n"
    "Content-Disposition: attachment; filename=notes.txt\r\n"
    "\r\n"
    "attached text is a file, not the message\r\n"
    "--b1\r\n"
    "Content-Type: application/zip; name=a.zip\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\r\n"
    "--b1--\r\n";

static void test_mime_text(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    static const char want[] = "Password: 0423 softbreak<p>Hi</p>";
    struct run r;
    run_mime(&cfg, msg_text, 0, 0, false, 0, &r);
    assert_string_equal(r.text, want);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, (char *)NULL), 2);
    ah_out_free(&r.cap);
    /* split anywhere, or byte by byte: the same text */
    size_t len = strlen(msg_text);
    for (size_t split = 1; split < len; split++) {
        run_mime(&cfg, msg_text, split, 0, false, 0, &r);
        assert_string_equal(r.text, want);
        ah_out_free(&r.cap);
    }
    run_mime(&cfg, msg_text, 0, 1, false, 0, &r);
    assert_string_equal(r.text, want);
    ah_out_free(&r.cap);
    /* the bound is for the whole message; 0 keeps nothing */
    cfg.mime_text_keep_bytes = 12;
    run_mime(&cfg, msg_text, 0, 3, false, 0, &r);
    assert_string_equal(r.text, "Password: 04");
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, (char *)NULL), 2);
    ah_out_free(&r.cap);
    cfg.mime_text_keep_bytes = 0;
    run_mime(&cfg, msg_text, 0, 0, false, 0, &r);
    assert_true(r.text_null);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, (char *)NULL), 2);
    ah_out_free(&r.cap);
    /* a single-part text message is all text; a file-only message has none */
    app_config_defaults(&cfg);
    run_mime(&cfg, "Subject: x\r\n\r\nline one\r\nline two\r\n", 0, 0, false, 0, &r);
    assert_string_equal(r.text, "line one\r\nline two\r\n");
    ah_out_free(&r.cap);
    run_mime(&cfg, msg_single, 0, 0, false, 0, &r);
    assert_true(r.text_null);
    ah_out_free(&r.cap);
    /* base64 text whose last quantum has no padding: its bytes come out at the part's end */
    run_mime(&cfg, "Content-Transfer-Encoding: base64\r\n\r\nUGFzc3dvcmQ6IDQy\r\nSGk\r\n", 0, 0,
             false, 0, &r);
    assert_string_equal(r.text, "Password: 42Hi");
    ah_out_free(&r.cap);
    /* the text's memory refused: no text, the files still come */
    for (uint64_t n = 1; n < 400; n++) {
        mem_fault_at(n);
        run_mime(&cfg, msg_text, 0, 0, false, 0, &r);
        uint64_t used = mem_fault_charges();
        mem_fault_at(0);
        assert_true(r.text_null || !strncmp(r.text, want, r.text_len));
        ah_out_free(&r.cap);
        if (used < n)
            break;
    }
}

static void test_mime_depth_limit(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.mime_max_depth = 2;
    struct run r;
    run_mime(&cfg, msg_deep, 0, 0, false, 0, &r);
    assert_true(r.events & MIME_EV_DEPTH_LIMIT);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, "deep.bin", (char *)NULL), 0);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, "mid.bin", (char *)NULL), 1);
    assert_int_equal(ah_count(&r.cap, APP_REC_ANOMALY, "MIME_DEPTH_LIMIT", (char *)NULL), 1);
    ah_out_free(&r.cap);
}

static void test_mime_parts_limit(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.mime_max_parts = 3; /* the message itself and two parts */
    struct run r;
    run_mime(&cfg, msg_many, 0, 0, false, 0, &r);
    assert_true(r.events & MIME_EV_PARTS_LIMIT);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, (char *)NULL), 2);
    assert_int_equal(ah_count(&r.cap, APP_REC_ANOMALY, "MIME_PARTS_LIMIT", (char *)NULL), 1);
    ah_out_free(&r.cap);
}

static void test_mime_huge_header(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.mime_max_header_bytes = 1024;
    /* A Subject folded over 200 lines of 20 bytes, then an attachment header. */
    size_t cap = 16384;
    char *msg = malloc(cap);
    assert_non_null(msg);
    size_t n = (size_t)snprintf(msg, cap, "Subject: start\r\n");
    for (int i = 0; i < 200; i++)
        n += (size_t)snprintf(msg + n, cap - n, " continued-%08d\r\n", i);
    snprintf(msg + n, cap - n,
             "Content-Type: application/octet-stream; name=x.bin\r\n\r\nbody\r\n");
    struct run r;
    run_mime(&cfg, msg, 0, 0, false, 0, &r);
    assert_true(r.events & MIME_EV_HEADER_LIMIT);
    assert_int_equal(ah_count(&r.cap, APP_REC_ANOMALY, "MIME_LONG_HEADER_VALUE", (char *)NULL),
                     1);
    ah_out_free(&r.cap);
    free(msg);
}

static void test_mime_long_lines(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.max_line_bytes = 32;
    /* A header line over the limit is dropped (event); an identity-encoded body line over
     * the limit is passed through whole. */
    static const char msg[] =
        "X-Long: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
        "Content-Type: image/png\r\n"
        "\r\n"
        "0123456789012345678901234567890123456789012345678901234567890123456789\r\n"
        "tail\r\n";
    struct run whole, other;
    run_mime(&cfg, msg, 0, 0, false, 0, &whole);
    assert_true(whole.events & MIME_EV_LONG_LINE);
    assert_int_equal(ah_count(&whole.cap, APP_REC_FILE, "\"size\":78", (char *)NULL), 1);
    for (size_t k = 1; k < sizeof msg - 1; k++) {
        run_mime(&cfg, msg, k, 0, false, 0, &other);
        ah_assert_same(&whole.cap, &other.cap, "long line split");
        ah_out_free(&other.cap);
    }
    ah_out_free(&whole.cap);
}

static void test_mime_gap_and_truncation(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    struct run r;
    /* A gap inside the base64 attachment: gaps, no sha256, still CLOSED at its boundary. */
    const char *at = strstr(msg_simple, "IHdvcmxk");
    run_mime(&cfg, msg_simple, 0, 0, false, (size_t)(at - msg_simple), &r);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, "\"gaps\":true", "\"state\":\"CLOSED\"",
                               (char *)NULL),
                     1);
    assert_false(ah_contains(&r.cap, "sha256"));
    ah_out_free(&r.cap);
    /* The message stops inside the attachment: TRUNCATED. */
    char cut[2048];
    size_t n = (size_t)(at - msg_simple);
    memcpy(cut, msg_simple, n);
    cut[n] = '\0';
    run_mime(&cfg, cut, 0, 0, true, 0, &r);
    assert_int_equal(ah_count(&r.cap, APP_REC_FILE, "\"state\":\"TRUNCATED\"", (char *)NULL), 1);
    assert_non_null(strstr(r.summary, "\"status\":\"BODY_STARTED\""));
    ah_out_free(&r.cap);
    /* Stopped inside the header. */
    run_mime(&cfg, "Subject: x\r\nFrom: y", 0, 0, true, 0, &r);
    assert_non_null(strstr(r.summary, "\"status\":\"PARSE_ERROR\""));
    assert_non_null(strstr(r.summary, "\"from\":\"y\""));
    ah_out_free(&r.cap);
}

static void test_mime_memcap(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    /* Refuse the n-th charge for every n until a run needs fewer charges. */
    for (uint64_t n = 1; n < 400; n++) {
        struct run r;
        mem_fault_at(n);
        run_mime(&cfg, msg_nested, 0, 3, false, 0, &r);
        uint64_t used = mem_fault_charges();
        mem_fault_at(0);
        ah_out_free(&r.cap);
        if (used < n)
            break;
    }
    /* A tiny memcap: the parser stops, nothing leaks. */
    cfg.memcap_bytes = 3000;
    struct run r;
    run_mime(&cfg, msg_nested, 0, 0, false, 0, &r);
    ah_out_free(&r.cap);
}

static void test_file_magic(void **state)
{
    (void)state;
    static const struct {
        const char *data;
        size_t n;
        const char *want;
    } t[] = {
        {"MZ\x90\0", 4, "MS-DOS executable (MZ)"},
        {"\x7f" "ELF\2\1\1", 7, "ELF executable"},
        {"\xcf\xfa\xed\xfe\7\0\0\1", 8, "Mach-O executable"},
        {"%PDF-1.7\n", 9, "PDF document"},
        {"PK\3\4\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x13\0\0\0[Content_Types].xml", 49,
         "Microsoft OOXML document"},
        {"PK\3\4\x14\0", 6, "Zip archive"},
        {"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, "OLE2 compound document (MS Office/MSI)"},
        {"Rar!\x1a\x07\x01\0", 8, "RAR archive"},
        {"7z\xbc\xaf\x27\x1c\0\4", 8, "7-zip archive"},
        {"\x1f\x8b\x08\0", 4, "gzip compressed data"},
        {"BZh91AY", 7, "bzip2 compressed data"},
        {"\xfd" "7zXZ\0\0", 7, "XZ compressed data"},
        {"MSCF\0\0\0\0", 8, "Microsoft Cabinet archive"},
        {"\x89PNG\r\n\x1a\n", 8, "PNG image"},
        {"\xff\xd8\xff\xe0", 4, "JPEG image"},
        {"GIF87a", 6, "GIF image"},
        {"{\\rtf1", 6, "Rich Text Format"},
        {"L\0\0\0\x01\x14\x02\0", 8, "MS Windows shortcut (LNK)"},
        {"#!/bin/sh", 9, "script text (#!)"},
        {"  <!DOCTYPE html>", 17, "HTML document"},
        {"<?xml version", 13, "XML document"},
        {"hello\r\n", 7, "ASCII text"},
        {"caf\xc3\xa9", 5, "UTF-8 Unicode text"},
        {"\x01\x02\x03", 3, "data"},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(t); i++) {
        const char *got = app_file_magic((const uint8_t *)t[i].data, t[i].n);
        if (!got || strcmp(got, t[i].want) != 0) {
            fprintf(stderr, "magic row %zu: got %s want %s\n", i, got ? got : "(null)",
                    t[i].want);
            fail();
        }
    }
    assert_null(app_file_magic((const uint8_t *)"", 0));
    /* ISO 9660: "CD001" at 32769, only when that many bytes are given. */
    uint8_t *iso = calloc(1, 32800);
    assert_non_null(iso);
    memcpy(iso + 32769, "CD001", 5);
    assert_string_equal(app_file_magic(iso, 32800), "ISO 9660 CD-ROM filesystem");
    assert_string_equal(app_file_magic(iso, 32770), "data");
    free(iso);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mime_table),
        cmocka_unit_test(test_mime_file_sha256),
        cmocka_unit_test(test_mime_text),
        cmocka_unit_test(test_mime_depth_limit),
        cmocka_unit_test(test_mime_parts_limit),
        cmocka_unit_test(test_mime_huge_header),
        cmocka_unit_test(test_mime_long_lines),
        cmocka_unit_test(test_mime_gap_and_truncation),
        cmocka_unit_test(test_mime_memcap),
        cmocka_unit_test(test_file_magic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
