/*
 * SMTP parser (src/app/smtp.c) through the public session API: a table of client/server
 * scripts (pipelining, multi-line replies, DATA with dot-stuffing, BDAT, AUTH PLAIN / LOGIN /
 * CRAM-MD5, STARTTLS, rejected DATA, limits, gaps), each with the records it must give.
 * Every script is also fed one byte at a time and in random chunks: the records (serialised
 * with the EVE writers) must be identical. Passwords must appear in no record; the password
 * checker must see them. Then memory refusal at every allocation.
 */
#include "app/smtp.h"

#include "core/mem.h"
#include "core/mm.h"
#include "app_harness.h"

/* Greeting, EHLO with a multi-line reply, pipelined MAIL/RCPT/RCPT/DATA, a message with a
 * dot-stuffed line and a base64 attachment ("Hello, world!\n"), QUIT. */
static const struct ah_step s_pipelined[] = {
    S("220 mx.example.com ESMTP\r\n"),
    C("EHLO client.example.org\r\n"),
    S("250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 1000000\r\n250 AUTH PLAIN LOGIN\r\n"),
    C("MAIL FROM:<alice@example.org> SIZE=420\r\nRCPT TO:<bob@example.com>\r\n"
      "RCPT TO:<carol@example.com>\r\nDATA\r\n"),
    S("250 ok\r\n250 ok\r\n250 ok\r\n354 go ahead\r\n"),
    C("From: alice@example.org\r\n"
      "To: bob@example.com\r\n"
      "Subject: test\r\n"
      "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
      "\r\n"
      "--XX\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "..hidden line\r\n"
      "--XX\r\n"
      "Content-Type: application/octet-stream; name=\"hello.txt\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "SGVsbG8sIHdvcmxkIQo=\r\n"
      "--XX--\r\n"
      ".\r\n"),
    S("250 2.0.0 queued\r\n"),
    C("QUIT\r\n"),
    S("221 bye\r\n"),
    STEPS_END,
};

/* BDAT: two chunks; the payload contains "\r\n.\r\n", which ends nothing here. */
static const struct ah_step s_bdat[] = {
    S("220 mx ESMTP\r\n"),
    C("EHLO c\r\n"),
    S("250-mx\r\n250 CHUNKING\r\n"),
    C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"),
    S("250 ok\r\n250 ok\r\n"),
    C("BDAT 24\r\nSubject: chunked\r\n\r\nab\r\n"),
    C("BDAT 9 LAST\r\n.\r\nmore\r\n"),
    S("250 chunk\r\n250 message ok\r\n"),
    C("QUIT\r\n"),
    S("221 bye\r\n"),
    STEPS_END,
};

/* AUTH PLAIN with an initial response ("\0alice\0s3cret"), accepted. */
static const struct ah_step s_auth_plain_ok[] = {
    S("220 mx ESMTP\r\n"),
    C("EHLO c\r\n"),
    S("250 mx\r\n"),
    C("AUTH PLAIN AGFsaWNlAHMzY3JldA==\r\n"),
    S("235 2.7.0 Authentication successful\r\n"),
    C("QUIT\r\n"),
    S("221 bye\r\n"),
    STEPS_END,
};

/* AUTH PLAIN with the response on the next line ("authz\0bob\0s3cret"), refused. */
static const struct ah_step s_auth_plain_fail[] = {
    S("220 mx ESMTP\r\n"),
    C("AUTH PLAIN\r\n"),
    S("334 \r\n"),
    C("YXV0aHoAYm9iAHMzY3JldA==\r\n"),
    S("535 5.7.8 Authentication credentials invalid\r\n"),
    STEPS_END,
};

/* AUTH LOGIN: "carol" / "s3cret", accepted; then a second attempt refused. */
static const struct ah_step s_auth_login[] = {
    S("220 mx ESMTP\r\n"),
    C("AUTH LOGIN\r\n"),
    S("334 VXNlcm5hbWU6\r\n"),
    C("Y2Fyb2w=\r\n"),
    S("334 UGFzc3dvcmQ6\r\n"),
    C("czNjcmV0\r\n"),
    S("235 ok\r\n"),
    C("AUTH LOGIN Y2Fyb2w=\r\n"),
    S("334 UGFzc3dvcmQ6\r\n"),
    C("czNjcmV0\r\n"),
    S("454 4.7.0 Temporary authentication failure\r\n"),
    STEPS_END,
};

/* CRAM-MD5: response base64("dave 0123456789abcdef0123456789abcdef"). */
static const struct ah_step s_auth_cram[] = {
    S("220 mx ESMTP\r\n"),
    C("AUTH CRAM-MD5\r\n"),
    S("334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n"),
    C("ZGF2ZSAwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1Njc4OWFiY2RlZg==\r\n"),
    S("235 ok\r\n"),
    STEPS_END,
};

/* STARTTLS: after the 220 the connection is TLS. */
static const struct ah_step s_starttls[] = {
    S("220 mx ESMTP\r\n"),
    C("EHLO c\r\n"),
    S("250-mx\r\n250 STARTTLS\r\n"),
    C("STARTTLS\r\n"),
    S("220 2.0.0 Ready to start TLS\r\n"),
    C("\x16\x03\x01"), /* the start of a TLS record: enough for TLS, no complete message */
    STEPS_END,
};

/* DATA refused: the client goes on with commands; RSET ends the transaction. */
static const struct ah_step s_data_rejected[] = {
    S("220 mx ESMTP\r\n"),
    C("HELO c\r\nMAIL FROM:<>\r\nRCPT TO:<x@y.example>\r\n"),
    S("250 mx\r\n250 ok\r\n250 ok\r\n"),
    C("DATA\r\n"),
    S("554 no valid recipients\r\n"),
    C("RSET\r\n"),
    S("250 ok\r\n"),
    C("MAIL FROM:<z@y.example>\r\n"),
    S("250 ok\r\n"),
    END(0),
    STEPS_END,
};

/* A reply no command asked for; a command line longer than the limit (64 in this row). */
static const struct ah_step s_limits[] = {
    S("220 mx ESMTP\r\n"),
    S("250 unsolicited\r\n"),
    C("HELO aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    S("250 ok\r\n"),
    C("NOOP\r\n"),
    S("250 ok\r\n"),
    STEPS_END,
};

/* A gap inside DATA: the transaction and its file are marked, parsing goes on. */
static const struct ah_step s_gap[] = {
    S("220 mx ESMTP\r\n"),
    C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n"),
    S("250 ok\r\n250 ok\r\n354 go\r\n"),
    C("Content-Type: application/octet-stream; name=g.bin\r\n\r\nAAAA"),
    GAP(0, 100),
    C("BBBB\r\n.\r\n"),
    S("250 ok\r\n"),
    STEPS_END,
};

/* The connection closes in the middle of DATA. */
static const struct ah_step s_cut[] = {
    S("220 mx ESMTP\r\n"),
    C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n"),
    S("250 ok\r\n250 ok\r\n354 go\r\n"),
    C("Subject: cut\r\nContent-Type: image/gif; name=c.gif\r\n\r\nGIF89a"),
    END(0),
    STEPS_END,
};

struct row {
    const char *name;
    const struct ah_step *steps;
    uint32_t max_line; /* 0: default */
    enum app_proto final_proto;
    int n_smtp, n_file, n_login, n_anomaly;
    /* {kind, substrings...}: each must match at least one record of that kind. */
    struct {
        enum app_record_kind kind;
        const char *has[5];
    } expect[4];
};

static const struct row rows[] = {
    {"pipelined", s_pipelined, 0, APP_PROTO_SMTP, 1, 1, 0, 0,
     {{APP_REC_SMTP,
       {"\"helo\":\"client.example.org\"", "\"mail_from\":\"<alice@example.org>\"",
        "\"rcpt_to\":[\"<bob@example.com>\",\"<carol@example.com>\"]", "\"reply_code\":250",
        "\"status\":\"PARSE_DONE\""}},
      {APP_REC_SMTP, {"\"subject\":\"test\"", "\"attachment\":[\"hello.txt\"]",
                      "\"mail_params\":\"SIZE=420\"", "1 smtp {", NULL}},
      {APP_REC_FILE,
       {"\"filename\":\"hello.txt\"", "\"size\":14",
        "\"sha256\":\"d9014c4624844aa5bac314773d6b689ad467fa4e1d1a50a1b8a99d5a95f72ff5\"",
        "\"smtp\":{\"helo\":\"client.example.org\",\"mail_from\":\"<alice@example.org>\"", NULL}}}},
    {"bdat", s_bdat, 0, APP_PROTO_SMTP, 1, 0, 0, 0,
     {{APP_REC_SMTP, {"\"bdat\":true", "\"message_bytes\":33", "\"subject\":\"chunked\"",
                      "\"reply_code\":250", NULL}}}},
    {"auth_plain_ok", s_auth_plain_ok, 0, APP_PROTO_SMTP, 0, 0, 1, 0,
     {{APP_REC_LOGIN, {"\"mechanism\":\"PLAIN\"", "\"user\":\"alice\"",
                       "\"outcome\":\"success\"", NULL}}}},
    {"auth_plain_fail", s_auth_plain_fail, 0, APP_PROTO_SMTP, 0, 0, 1, 0,
     {{APP_REC_LOGIN, {"\"user\":\"bob\"", "\"outcome\":\"failure\"", NULL}}}},
    {"auth_login", s_auth_login, 0, APP_PROTO_SMTP, 0, 0, 2, 0,
     {{APP_REC_LOGIN, {"\"mechanism\":\"LOGIN\"", "\"user\":\"carol\"",
                       "\"outcome\":\"success\"", NULL}},
      {APP_REC_LOGIN, {"\"user\":\"carol\"", "\"outcome\":\"failure\"", NULL}}}},
    {"auth_cram", s_auth_cram, 0, APP_PROTO_SMTP, 0, 0, 1, 0,
     {{APP_REC_LOGIN, {"\"mechanism\":\"CRAM-MD5\"", "\"user\":\"dave\"",
                       "\"outcome\":\"success\"", NULL}}}},
    {"starttls", s_starttls, 0, APP_PROTO_TLS, 0, 0, 0, 0, {{APP_REC_SMTP, {NULL}}}},
    {"data_rejected", s_data_rejected, 0, APP_PROTO_SMTP, 2, 0, 0, 1,
     {{APP_REC_SMTP, {"\"mail_from\":\"<>\"", "\"data_rejected\":true", NULL}},
      {APP_REC_SMTP, {"\"mail_from\":\"<z@y.example>\"", "\"tx_id\":1", NULL}},
      {APP_REC_ANOMALY, {"DATA_COMMAND_REJECTED", NULL}}}},
    {"limits", s_limits, 64, APP_PROTO_SMTP, 0, 0, 0, 2,
     {{APP_REC_ANOMALY, {"UNABLE_TO_MATCH_REPLY_WITH_REQUEST", NULL}},
      {APP_REC_ANOMALY, {"MAX_COMMAND_LINE_LEN_EXCEEDED", NULL}}}},
    {"gap", s_gap, 0, APP_PROTO_SMTP, 1, 1, 0, 0,
     {{APP_REC_SMTP, {"\"gaps\":true", "\"reply_code\":250", NULL}},
      {APP_REC_FILE, {"\"filename\":\"g.bin\"", "\"gaps\":true", "\"size\":10", NULL}}}},
    {"cut", s_cut, 0, APP_PROTO_SMTP, 1, 1, 0, 0,
     {{APP_REC_SMTP, {"\"status\":\"BODY_STARTED\"", "\"subject\":\"cut\"", NULL}},
      {APP_REC_FILE, {"\"state\":\"TRUNCATED\"", "\"magic\":\"GIF image\"", NULL}}}},
};

static void check_row(const struct row *w, const struct ah_out *c)
{
    enum app_proto p = c->final_proto;
    bool bad = p != w->final_proto || c->n[APP_REC_SMTP] != (unsigned)w->n_smtp ||
               c->n[APP_REC_FILE] != (unsigned)w->n_file ||
               c->n[APP_REC_LOGIN] != (unsigned)w->n_login ||
               c->n[APP_REC_ANOMALY] != (unsigned)w->n_anomaly;
    for (int i = 0; i < 4 && !bad; i++)
        if (w->expect[i].has[0] &&
            ah_count_has(c, w->expect[i].kind, w->expect[i].has, AH_LEN(w->expect[i].has)) == 0) {
            fprintf(stderr, "row %s: expectation %d not met\n", w->name, i);
            bad = true;
        }
    /* No password, plain or encoded, in any record. */
    for (int i = 0; i < c->n_rec && !bad; i++)
        if (strstr(c->rec[i], "s3cret") || strstr(c->rec[i], "czNjcmV0") ||
            strstr(c->rec[i], "AHMzY3JldA")) {
            fprintf(stderr, "row %s: password in a record\n", w->name);
            bad = true;
        }
    if (bad) {
        fprintf(stderr, "row %s: proto %d (want %d); records:\n", w->name, p, w->final_proto);
        ah_dump(c);
        fail();
    }
}

/* Every row whole, then one byte at a time and in random chunks (ah_run_all): the same
 * records and final protocol. */
static void test_smtp_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        struct app_config cfg;
        app_config_defaults(&cfg);
        if (rows[i].max_line)
            cfg.max_line_bytes = rows[i].max_line;
        struct ah_out whole = {0};
        ah_run_all(&whole, APP_PROTO_SMTP, &cfg, rows[i].steps, rows[i].name);
        check_row(&rows[i], &whole);
        ah_out_free(&whole);
    }
}

static void test_smtp_password_checker(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    static const struct ah_chunks bytewise = {.size = 1};
    const struct ah_step *scripts[] = {s_auth_plain_ok, s_auth_plain_fail, s_auth_login};
    for (size_t i = 0; i < MM_ARRAY_LEN(scripts); i++) {
        struct ah_out c = {0};
        ah_run(&c, APP_PROTO_SMTP, &cfg, scripts[i], &bytewise);
        assert_true(c.pw_calls >= 1);
        assert_string_equal(c.pw_seen, "s3cret");
        ah_out_free(&c);
    }
    /* CRAM-MD5 never carries a password. */
    struct ah_out c = {0};
    ah_run(&c, APP_PROTO_SMTP, &cfg, s_auth_cram, NULL);
    assert_int_equal(c.pw_calls, 0);
    ah_out_free(&c);
}

/* Server gap: replies are lost; no unmatched-reply anomaly flood, the session goes on. */
static void test_smtp_server_gap(void **state)
{
    (void)state;
    static const struct ah_step steps[] = {
        S("220 mx ESMTP\r\n"),
        C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n"),
        S("250 o"),
        GAP(1, 20),
        S("k\r\n250 ok\r\n"),
        C("DATA\r\n"),
        S("354 go\r\n"),
        C("Subject: s\r\n\r\nx\r\n.\r\n"),
        S("250 ok\r\n"),
        STEPS_END,
    };
    struct app_config cfg;
    app_config_defaults(&cfg);
    struct ah_out c = {0};
    ah_run(&c, APP_PROTO_SMTP, &cfg, steps, NULL);
    assert_int_equal(c.n[APP_REC_SMTP], 1);
    assert_int_equal(ah_count(&c, APP_REC_SMTP, "\"reply_code\":250", "\"subject\":\"s\"",
                               (char *)NULL),
                     1);
    assert_int_equal(c.n[APP_REC_ANOMALY], 0);
    ah_out_free(&c);
}

/* More pipelined commands than max_pending_tx: counted, no crash. */
static void test_smtp_pending_limit(void **state)
{
    (void)state;
    static const struct ah_step steps[] = {
        S("220 mx ESMTP\r\n"),
        C("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"),
        S("250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"),
        STEPS_END,
    };
    struct app_config cfg;
    app_config_defaults(&cfg);
    cfg.max_pending_tx = 3;
    struct ah_out c = {0};
    ah_run(&c, APP_PROTO_SMTP, &cfg, steps, NULL);
    assert_int_equal(ah_count(&c, APP_REC_ANOMALY, "MAX_PENDING_COMMANDS_EXCEEDED", (char *)NULL),
                     2);
    ah_out_free(&c);
}

static void test_smtp_memcap(void **state)
{
    (void)state;
    struct app_config cfg;
    app_config_defaults(&cfg);
    const struct ah_step *scripts[] = {s_pipelined, s_bdat, s_auth_login, s_gap};
    for (size_t i = 0; i < MM_ARRAY_LEN(scripts); i++)
        assert_in_range(ah_memcap_sweep(APP_PROTO_SMTP, &cfg, scripts[i], 5000), 1, 4998);
    cfg.memcap_bytes = 2048;
    struct ah_out c = {0};
    ah_run(&c, APP_PROTO_SMTP, &cfg, s_pipelined, NULL);
    ah_out_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_table),
        cmocka_unit_test(test_smtp_password_checker),
        cmocka_unit_test(test_smtp_server_gap),
        cmocka_unit_test(test_smtp_pending_limit),
        cmocka_unit_test(test_smtp_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
