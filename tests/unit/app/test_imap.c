/*
 * IMAP parser (src/app/imap.c) through the public session API: a table of conversations
 * (logins with atoms, quoted strings and literals, SASL, STARTTLS, FETCH literals, limits,
 * malformed lines, gaps) with the strings their records must (and must never) contain and
 * record counts; every row also byte by byte and in random pieces; allocation failure at
 * every charge.
 */
#include "app/imap.h"
#include "app_harness.h"

/* ---------- conversations ---------- */

/* Failed login with a quoted password, successful login with synchronising literals, a
 * FETCH of a whole message (39-byte literal), LOGOUT. */
static const struct ah_step s_session[] = {
    S("* OK [CAPABILITY IMAP4rev1 LITERAL+] ready\r\n"),
    C("a1 CAPABILITY\r\n"),
    S("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK CAPABILITY completed\r\n"),
    C("a2 login bob \"wr\\\"ong\"\r\n"),
    S("a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n"),
    C("a3 LOGIN {3}\r\n"),
    S("+ Ready for literal\r\n"),
    C("bob {9}\r\n"),
    S("+ Ready for literal\r\n"),
    C("s3cr3t pw\r\n"),
    S("a3 OK [CAPABILITY IMAP4rev1] Logged in\r\n"),
    C("a4 SELECT INBOX\r\n"),
    S("* 2 EXISTS\r\n* 0 RECENT\r\na4 OK [READ-WRITE] Select completed\r\n"),
    C("a5 UID FETCH 1 (FLAGS BODY.PEEK[])\r\n"),
    S("* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {39}\r\nFrom: a@example.org\r\nSubject: "
      "t\r\n\r\nhi\r\n)\r\na5 OK Fetch completed\r\n"),
    C("a6 LOGOUT\r\n"),
    S("* BYE Logging out\r\na6 OK Logout completed.\r\n"),
    STEPS_END,
};

/* SASL PLAIN with an initial response (RFC 4959), SASL LOGIN with challenges, then
 * STARTTLS. */
static const struct ah_step s_sasl[] = {
    S("* OK ready\r\n"),
    C("x1 AUTHENTICATE PLAIN AGFsaWNlAGltYXBwdzc3\r\n"),
    S("x1 NO bad\r\n"),
    C("x2 AUTHENTICATE LOGIN\r\n"),
    S("+ VXNlcm5hbWU6\r\n"),
    C("Ym9i\r\n"),
    S("+ UGFzc3dvcmQ6\r\n"),
    C("aHVudGVyMnh5eg==\r\n"),
    S("x2 OK done\r\n"),
    C("x3 STARTTLS\r\n"),
    S("x3 OK Begin TLS negotiation now\r\n"),
    STEPS_END,
};

/* Non-synchronising literals (LITERAL+), APPEND of a message, pipelined commands answered
 * out of order. */
static const struct ah_step s_literals[] = {
    S("* OK ready\r\n"),
    C("b1 LOGIN {5+}\r\ncarol {6+}\r\npw\"x y\r\nb2 NOOP\r\n"),
    S("b2 OK noop\r\nb1 OK in\r\n"),
    C("b3 APPEND INBOX (\\Seen) {11+}\r\nhello world\r\n"),
    S("b3 OK appended\r\n"),
    STEPS_END,
};

/* Limits: a command and a response line past max_line_bytes (64), a literal past it. */
static const struct ah_step s_long[] = {
    S("* OK ready\r\n"),
    C("c1 SELECT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    S("c1 NO bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"),
    C("c2 LOGIN dave {80+}\r\n"
      "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp\r\n"),
    S("c2 NO no\r\n"),
    STEPS_END,
};

/* Malformed lines from both sides. */
static const struct ah_step s_bad[] = {
    S("garbage line\r\n"),
    S("* OK ready\r\n"),
    C("lonely\r\n"),
    C("d1 NOOP\r\n"),
    S("zz OK who\r\nd1 MAYBE\r\nd1 OK fine\r\n"),
    C("DONE\r\n"),
    STEPS_END,
};

/* A gap inside a FETCH literal: the literal's length lets the parser resume after it. */
static const struct ah_step s_gap[] = {
    S("* OK ready\r\n"),
    C("e1 FETCH 1 RFC822\r\n"),
    S("* 1 FETCH (RFC822 {39}\r\nFrom: a@exa"),
    GAP(1, 10),
    S("Subject: t\r\n\r\nhi\r\n)\r\ne1 OK done\r\n"),
    C("e2 NO"),
    GAP(0, 4),
    C("OP\r\ne3 NOOP\r\n"),
    S("e3 OK\r\n"),
    STEPS_END,
};

/* The flow ends before the completion. */
static const struct ah_step s_noreply[] = {
    S("* OK ready\r\n"),
    C("f1 LOGIN frank unansweredpw\r\n"),
    STEPS_END,
};

static const struct ah_row rows[] = {
    {"session", s_session, AH_CFG_DEFAULT, 6, 2, 0,
     {"\"mechanism\":\"LOGIN\",\"user\":\"bob\",\"outcome\":\"failure\"",
      "\"mechanism\":\"LOGIN\",\"user\":\"bob\",\"outcome\":\"success\"",
      "{\"tag\":\"a2\",\"command\":\"LOGIN\",\"args\":[\"bob\"],\"status\":\"NO\","
      "\"response\":\"[AUTHENTICATIONFAILED] Authentication failed.\",\"untagged\":0}",
      "{\"tag\":\"a3\",\"command\":\"LOGIN\",\"args\":[\"bob\"],\"status\":\"OK\"",
      "\"command\":\"SELECT\",\"args\":[\"INBOX\"],\"status\":\"OK\","
      "\"response\":\"[READ-WRITE] Select completed\",\"untagged\":2}",
      "\"command\":\"UID\",\"args\":[\"FETCH\",\"1\",\"(FLAGS BODY.PEEK[])\"]",
      "\"untagged\":1,\"messages\":1,\"message_bytes\":39", NULL},
     {"wr", "s3cr3t", NULL}, "s3cr3t pw", APP_PROTO_IMAP},
    {"sasl", s_sasl, AH_CFG_DEFAULT, 3, 2, 0,
     {"\"mechanism\":\"PLAIN\",\"user\":\"alice\",\"outcome\":\"failure\"",
      "\"mechanism\":\"LOGIN\",\"user\":\"bob\",\"outcome\":\"success\"",
      "\"command\":\"AUTHENTICATE\",\"args\":[\"PLAIN\"],\"status\":\"NO\"",
      "\"command\":\"STARTTLS\",\"status\":\"OK\"", NULL},
     {"AGFsaWNl", "imappw", "hunter2", NULL}, "hunter2xyz", APP_PROTO_TLS},
    {"literals", s_literals, AH_CFG_DEFAULT, 3, 1, 0,
     {"\"user\":\"carol\",\"outcome\":\"success\"",
      "\"tag\":\"b3\",\"command\":\"APPEND\",\"args\":[\"INBOX\",\"(\\\\Seen)\",\"{11}\"]",
      "\"tag\":\"b2\"", NULL},
     {"pw\\\"x", NULL}, "pw\"x y", APP_PROTO_IMAP},
    {"long", s_long, AH_CFG_SHORT_LINES, 2, 1, 3,
     {"\"event\":\"REQUEST_TOO_LONG\"", "\"event\":\"RESPONSE_TOO_LONG\"",
      "\"event\":\"LITERAL_TOO_LONG\"", "\"request_truncated\":true",
      "\"user\":\"dave\",\"outcome\":\"failure\"", NULL},
     {"pppp", NULL}, "{80}", APP_PROTO_IMAP},
    {"malformed", s_bad, AH_CFG_DEFAULT, 1, 0, 4,
     {"\"event\":\"INVALID_RESPONSE\"", "\"event\":\"INVALID_COMMAND\"",
      "\"event\":\"UNEXPECTED_RESPONSE\"", "\"tag\":\"d1\",\"command\":\"NOOP\",\"status\":\"OK\"",
      NULL},
     {NULL}, NULL, APP_PROTO_IMAP},
    {"gap", s_gap, AH_CFG_DEFAULT, 2, 0, 0,
     {"\"tag\":\"e1\",\"command\":\"FETCH\",\"args\":[\"1\",\"RFC822\"],\"status\":\"OK\","
      "\"response\":\"done\",\"untagged\":2,\"messages\":1,\"message_bytes\":39",
      "\"tag\":\"e3\"", NULL},
     {"\"e2\"", NULL}, NULL, APP_PROTO_IMAP},
    {"no reply", s_noreply, AH_CFG_DEFAULT, 1, 1, 0,
     {"\"user\":\"frank\",\"outcome\":\"unknown\"",
      "{\"tag\":\"f1\",\"command\":\"LOGIN\",\"args\":[\"frank\"],\"untagged\":1}", NULL},
     {"unansweredpw", NULL}, "unansweredpw", APP_PROTO_IMAP},
};

static void test_imap_rows(void **state)
{
    (void)state;
    ah_check_rows(rows, AH_LEN(rows), APP_PROTO_IMAP, APP_REC_IMAP);
}

static void test_imap_memcap(void **state)
{
    (void)state;
    assert_in_range(ah_memcap_sweep(APP_PROTO_IMAP, NULL, s_session, 5000), 1, 4998);
    assert_in_range(ah_memcap_sweep(APP_PROTO_IMAP, NULL, s_sasl, 5000), 1, 4998);
}

/* Two messages in one FETCH response reach the message hook one after the other. */
static const struct ah_step s_fetch_two[] = {
    S("* OK ready\r\n"),
    C("a1 FETCH 1:2 (BODY.PEEK[])\r\n"),
    S("* 1 FETCH (BODY[] {46}\r\nFrom: a@partner.example\r\nSubject: A\r\n\r\nhello\r\n)\r\n"
      "* 2 FETCH (BODY[] {53}\r\nFrom: a@partner.example\r\nSubject: B\r\n\r\nPassword: x1\r\n)\r\n"
      "a1 OK done\r\n"),
    STEPS_END,
};

static void test_imap_message_hook(void **state)
{
    (void)state;
    ah_check_messages(APP_PROTO_IMAP, s_fetch_two, 2,
                      "imap a@partner.example|A|7\nimap a@partner.example|B|14\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imap_rows),
        cmocka_unit_test(test_imap_memcap),
        cmocka_unit_test(test_imap_message_hook),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
