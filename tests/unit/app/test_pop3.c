/*
 * POP3 parser (src/app/pop3.c) through the public session API: a table of conversations,
 * each with the strings its records must (and must never) contain and record counts. Every
 * row is also run byte by byte and in random pieces (same records), and the main session
 * under allocation failure at every charge (no crash, nothing leaked).
 */
#include "app/pop3.h"
#include "app_harness.h"

/* ---------- conversations ---------- */

/* Greeting, CAPA, a failed then a successful USER/PASS login, LIST, RETR with a stuffed
 * line, QUIT. */
static const struct ah_step s_login[] = {
    S("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    C("CAPA\r\n"),
    S("+OK Capability list follows\r\nUSER\r\nSASL PLAIN LOGIN\r\n.\r\n"),
    C("USER bob\r\n"),
    S("+OK\r\n"),
    C("PASS wrongpw1\r\n"),
    S("-ERR [AUTH] Authentication failed.\r\n"),
    C("USER bob\r\n"),
    S("+OK\r\n"),
    C("PASS s3cret pw\r\n"),
    S("+OK Logged in.\r\n"),
    C("LIST\r\n"),
    S("+OK 2 messages:\r\n1 120\r\n2 200\r\n.\r\n"),
    C("RETR 1\r\n"),
    S("+OK 120 octets\r\nFrom: a@example.org\r\nSubject: hi\r\n\r\n..dotline\r\nbody\r\n.\r\n"),
    C("QUIT\r\n"),
    S("+OK Logging out.\r\n"),
    STEPS_END,
};

/* AUTH PLAIN with an initial response (RFC 5034), then AUTH LOGIN with challenges. */
static const struct ah_step s_auth[] = {
    S("+OK ready\r\n"),
    C("AUTH PLAIN AGFsaWNlAHB3MTIzNDU2\r\n"),
    S("-ERR nope\r\n"),
    C("AUTH LOGIN\r\n"),
    S("+ VXNlcm5hbWU6\r\n"),
    C("Ym9i\r\n"),
    S("+ UGFzc3dvcmQ6\r\n"),
    C("aHVudGVyMnh5eg==\r\n"),
    S("+OK welcome\r\n"),
    C("AUTH CRAM-MD5\r\n"),
    S("+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"),
    C("dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n"),
    S("+OK\r\n"),
    STEPS_END,
};

static const struct ah_step s_apop[] = {
    S("+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"),
    C("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
    S("+OK maildrop has 1 message (369 octets)\r\n"),
    STEPS_END,
};

/* STLS: after +OK the connection belongs to TLS. */
static const struct ah_step s_stls[] = {
    S("+OK ready\r\n"),
    C("STLS\r\n"),
    S("+OK Begin TLS negotiation\r\n"),
    STEPS_END,
};

/* STLS refused: POP3 goes on. */
static const struct ah_step s_stls_no[] = {
    S("+OK ready\r\n"),
    C("STLS\r\n"),
    S("-ERR not now\r\n"),
    C("NOOP\r\n"),
    S("+OK\r\n"),
    STEPS_END,
};

/* Pipelined commands (RFC 2449) answered in order. */
static const struct ah_step s_pipe[] = {
    S("+OK ready\r\n"),
    C("USER carol\r\nPASS pipedpw9\r\nSTAT\r\nUIDL\r\n"),
    S("+OK\r\n+OK in\r\n+OK 1 120\r\n+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n.\r\n"),
    STEPS_END,
};

/* Malformed: a line that is no response, an unknown command, too many arguments. */
static const struct ah_step s_bad[] = {
    S("HELLO THERE\r\n"),
    S("+OK ready\r\n"),
    C("FOO bar\r\n"),
    S("-ERR unknown\r\n"),
    C("RETR 1 2 3\r\n"),
    S("-ERR syntax\r\n"),
    C("\r\n"),
    STEPS_END,
};

/* A gap inside a retrieved message: the message is cut, the dialogue goes on. */
static const struct ah_step s_gap[] = {
    S("+OK ready\r\n"),
    C("RETR 1\r\n"),
    S("+OK\r\nSubject: x\r\n\r\nfirst"),
    GAP(1, 100),
    S("tail of lost line\r\nlast\r\n.\r\n"),
    C("NOOP\r\n"),
    S("+OK\r\n"),
    C("USER da"),
    GAP(0, 5),
    C("ve\r\nUSER erin\r\n"),
    S("+OK\r\n"),
    STEPS_END,
};

/* The connection ends before the password is answered. */
static const struct ah_step s_noreply[] = {
    S("+OK ready\r\n"),
    C("USER frank\r\n"),
    S("+OK\r\n"),
    C("PASS unansweredpw\r\n"),
    STEPS_END,
};

/* Lines longer than max_line_bytes (64 in this row's config). */
static const struct ah_step s_long[] = {
    S("+OK ready\r\n"),
    C("USER aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    S("+OK bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"),
    C("PASS cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\r\n"),
    S("-ERR no\r\n"),
    STEPS_END,
};

/* More commands in flight than max_pending_tx (2 in this row's config). */
static const struct ah_step s_many[] = {
    S("+OK ready\r\n"),
    C("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n"),
    S("+OK\r\n+OK\r\n"),
    STEPS_END,
};

/* A multi-line body longer than the lines kept. */
static char big_list[8192];
static const struct ah_step s_biglist[] = {
    S("+OK ready\r\n"),
    C("LIST\r\n"),
    {AH_DATA, 1, big_list, 0, NULL},
    STEPS_END,
};

static void build_big_list(void)
{
    size_t n = 0;
    n += (size_t)snprintf(big_list + n, sizeof big_list - n, "+OK\r\n");
    for (int i = 1; i <= POP3_MAX_DATA_LINES + 10; i++)
        n += (size_t)snprintf(big_list + n, sizeof big_list - n, "%d %d\r\n", i, i * 100);
    snprintf(big_list + n, sizeof big_list - n, ".\r\n");
}

static const struct ah_row rows[] = {
    {"login", s_login, AH_CFG_DEFAULT, 9, 2, 0,
     {"\"user\":\"bob\",\"outcome\":\"failure\"", "\"user\":\"bob\",\"outcome\":\"success\"",
      "\"mechanism\":\"USER/PASS\"", "\"data\":[\"1 120\",\"2 200\"]",
      "\"message_bytes\":52", "\"data\":[\"USER\",\"SASL PLAIN LOGIN\"]",
      "\"request\":{\"command\":\"PASS\"}",
      "\"header\":\"-ERR [AUTH] Authentication failed.\",\"status\":\"ERR\",\"success\":false",
      "\"tx_id\":0,\"pop3\":{\"response\":{\"header\":\"+OK POP3 server ready", NULL},
     {"wrongpw1", "s3cret", NULL}, "s3cret pw", APP_PROTO_POP3},
    {"auth", s_auth, AH_CFG_DEFAULT, 4, 3, 0,
     {"\"mechanism\":\"PLAIN\",\"user\":\"alice\",\"outcome\":\"failure\"",
      "\"mechanism\":\"LOGIN\",\"user\":\"bob\",\"outcome\":\"success\"",
      "\"mechanism\":\"SASL\",\"user\":\"\",\"outcome\":\"success\"",
      "\"command\":\"AUTH\",\"args\":[\"PLAIN\"]}", NULL},
     {"AGFsaWNl", "pw123456", "hunter2", "aHVudGVy", NULL}, "hunter2xyz", APP_PROTO_POP3},
    {"apop", s_apop, AH_CFG_DEFAULT, 2, 1, 0,
     {"\"mechanism\":\"APOP\",\"user\":\"mrose\",\"outcome\":\"success\"",
      "\"args\":[\"mrose\",\"c4c9334bac560ecc979e58001b3e22fb\"]", NULL},
     {NULL}, NULL, APP_PROTO_POP3},
    {"stls", s_stls, AH_CFG_DEFAULT, 2, 0, 0,
     {"\"command\":\"STLS\"}", "\"success\":true", NULL}, {NULL}, NULL, APP_PROTO_TLS},
    {"stls refused", s_stls_no, AH_CFG_DEFAULT, 3, 0, 0, {"\"command\":\"NOOP\"", NULL}, {NULL},
     NULL, APP_PROTO_POP3},
    {"pipelined", s_pipe, AH_CFG_DEFAULT, 5, 1, 0,
     {"\"user\":\"carol\",\"outcome\":\"success\"",
      "\"command\":\"UIDL\"},\"response\":{\"header\":\"+OK\",\"status\":\"OK\",\"success\":true,"
      "\"data\":[\"1 whqtswO00WBw418f9t5JxYwZ\"]",
      NULL},
     {"pipedpw9", NULL}, "pipedpw9", APP_PROTO_POP3},
    {"malformed", s_bad, AH_CFG_DEFAULT, 3, 0, 3,
     {"\"event\":\"INVALID_RESPONSE\"", "\"event\":\"UNKNOWN_COMMAND\"",
      "\"event\":\"INCORRECT_ARGUMENT_COUNT\"", NULL},
     {NULL}, NULL, APP_PROTO_POP3},
    {"gap", s_gap, AH_CFG_DEFAULT, 4, 0, 0,
     {"\"message_truncated\":true", "\"command\":\"NOOP\"", "\"args\":[\"erin\"]", NULL},
     {"\"args\":[\"dave\"]", "\"args\":[\"ve\"]", "tail of lost", NULL}, NULL, APP_PROTO_POP3},
    {"no reply", s_noreply, AH_CFG_DEFAULT, 3, 1, 0,
     {"\"user\":\"frank\",\"outcome\":\"unknown\"", "\"response_received\":false", NULL},
     {"unansweredpw", NULL}, "unansweredpw", APP_PROTO_POP3},
    {"long lines", s_long, AH_CFG_SHORT_LINES, 3, 1, 3,
     {"\"event\":\"REQUEST_TOO_LONG\"", "\"event\":\"RESPONSE_TOO_LONG\"",
      "\"request_truncated\":true", "\"response_truncated\":true", NULL},
     {"cccc", NULL}, "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", APP_PROTO_POP3},
    {"too many pending", s_many, AH_CFG_TWO_PENDING, 3, 0, 2,
     {"\"event\":\"TOO_MANY_TRANSACTIONS\"", NULL}, {NULL}, NULL, APP_PROTO_POP3},
    {"data lines kept", s_biglist, AH_CFG_DEFAULT, 2, 0, 0,
     {"\"data_truncated\":true", "\"64 6400\"]", NULL}, {"\"65 6500\"", NULL}, NULL,
     APP_PROTO_POP3},
};

static void test_pop3_rows(void **state)
{
    (void)state;
    build_big_list();
    ah_check_rows(rows, AH_LEN(rows), APP_PROTO_POP3, APP_REC_POP3);
}

static void test_pop3_memcap(void **state)
{
    (void)state;
    assert_in_range(ah_memcap_sweep(APP_PROTO_POP3, NULL, s_login, 5000), 1, 4998);
    assert_in_range(ah_memcap_sweep(APP_PROTO_POP3, NULL, s_auth, 5000), 1, 4998);
}

/* A tiny app.memcap: the parser stops for the flow, nothing crashes or leaks. */
static void test_pop3_tiny_memcap(void **state)
{
    (void)state;
    struct app_config c;
    app_config_defaults(&c);
    c.memcap_bytes = 600;
    struct ah_out o = {0};
    ah_run(&o, APP_PROTO_POP3, &c, s_login, NULL);
    assert_true(o.n[APP_REC_LOGIN] < 2);
    ah_out_free(&o);
}

/* Every retrieved message reaches the message hook once, with its header and text, whatever
 * the chunking; a LIST or TOP without a message body does not. */
static const struct ah_step s_two_messages[] = {
    S("+OK ready\r\n"),
    C("RETR 1\r\n"),
    S("+OK\r\nFrom: Keiri <keiri@partner.example>\r\nSubject: Invoice\r\n\r\n"
      "The password follows.\r\n.\r\n"),
    C("LIST\r\n"),
    S("+OK 2 messages\r\n1 120\r\n2 80\r\n.\r\n"),
    C("RETR 2\r\n"),
    S("+OK\r\nFrom: keiri@partner.example\r\nSubject: PW\r\n\r\nPassword: Ha7\r\n.\r\n"),
    C("QUIT\r\n"),
    S("+OK bye\r\n"),
    STEPS_END,
};

static void test_pop3_message_hook(void **state)
{
    (void)state;
    ah_check_messages(APP_PROTO_POP3, s_two_messages, 2,
                      "pop3 Keiri <keiri@partner.example>|Invoice|23\n"
                      "pop3 keiri@partner.example|PW|15\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pop3_rows),
        cmocka_unit_test(test_pop3_memcap),
        cmocka_unit_test(test_pop3_message_hook),
        cmocka_unit_test(test_pop3_tiny_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
