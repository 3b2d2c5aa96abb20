/*
 * FTP control parser (src/app/ftp.c) through the public session API: a table of
 * conversations with the strings their records must (and must never) contain and record
 * counts; every row also byte by byte and in random pieces; allocation failure at every
 * charge.
 */
#include "app/ftp.h"
#include "app_harness.h"

/* ---------- conversations ---------- */

/* Multi-line greeting, a failed then a successful login, PASV + RETR (150 then 226),
 * PORT, EPSV, EPRT, QUIT. */
static const struct ah_step s_session[] = {
    S("220-Welcome\r\n220-second line\r\n220 ready\r\n"),
    C("USER ftpuser\r\n"),
    S("331 Please specify the password.\r\n"),
    C("PASS badpass1\r\n"),
    S("530 Login incorrect.\r\n"),
    C("USER ftpuser\r\n"),
    S("331 Please specify the password.\r\n"),
    C("PASS g00d pass\r\n"),
    S("230 Login successful.\r\n"),
    C("PASV\r\n"),
    S("227 Entering Passive Mode (192,168,1,2,195,80).\r\n"),
    C("RETR file.txt\r\n"),
    S("150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n"),
    C("PORT 10,0,0,1,4,1\r\n"),
    S("200 PORT command successful.\r\n"),
    C("EPSV\r\n"),
    S("229 Entering Extended Passive Mode (|||6446|)\r\n"),
    C("EPRT |2|1080::8:800:200C:417A|5282|\r\n"),
    S("200 EPRT ok\r\n"),
    C("FEAT\r\n"),
    S("211-Features:\r\n EPRT\r\n EPSV\r\n211 End\r\n"),
    C("QUIT\r\n"),
    S("221 Goodbye.\r\n"),
    STEPS_END,
};

static const struct ah_step s_anon[] = {
    S("220 ready\r\n"),
    C("USER anonymous\r\n"),
    S("331 Guest login ok, send your email as password.\r\n"),
    C("PASS guest@example.org\r\n"),
    S("230 Guest login ok.\r\n"),
    STEPS_END,
};

static const struct ah_step s_auth_tls[] = {
    S("220 ready\r\n"),
    C("AUTH TLS\r\n"),
    S("234 Proceed with negotiation.\r\n"),
    STEPS_END,
};

static const struct ah_step s_auth_refused[] = {
    S("220 ready\r\n"),
    C("AUTH TLS\r\n"),
    S("530 Please login with USER and PASS.\r\n"),
    C("AUTH GSSAPI\r\n"),
    S("334 ADAT=\r\n"),
    STEPS_END,
};

static const struct ah_step s_bad[] = {
    S("hello\r\n"),
    S("220 ready\r\n"),
    C("PORT 1,2,3\r\n"),
    S("501 bad\r\n"),
    C("PASV\r\n"),
    S("227 no address here\r\n"),
    STEPS_END,
};

static const struct ah_step s_noreply[] = {
    S("220 ready\r\n"),
    C("USER u1\r\n"),
    S("331 pw\r\n"),
    C("PASS neveransweredpw\r\n"),
    STEPS_END,
};

static const struct ah_step s_gap[] = {
    S("220 ready\r\n"),
    C("USER gapuser\r\n"),
    S("331 pw\r\n"),
    C("PA"),
    GAP(0, 7),
    C("ss\r\nNOOP\r\n"),
    S("530 no\r\n200 ok\r\n"),
    C("STAT\r\n"),
    S("211-status\r\n"),
    GAP(1, 30),
    S("lost\r\n211 end\r\n"),
    STEPS_END,
};

static const struct ah_step s_long[] = {
    S("220 ready\r\n"),
    C("CWD /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"),
    S("550 bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n"),
    STEPS_END,
};

static const struct ah_step s_many[] = {
    S("220 ready\r\n"),
    C("NOOP\r\nNOOP\r\nNOOP\r\n"),
    S("200 a\r\n200 b\r\n"),
    STEPS_END,
};

static const struct ah_row rows[] = {
    {"session", s_session, AH_CFG_DEFAULT, 12, 2, 0,
     {"\"reply\":[\"Welcome\",\"second line\",\"ready\"],\"completion_code\":[\"220\"]",
      "\"mechanism\":\"USER/PASS\",\"user\":\"ftpuser\",\"outcome\":\"failure\"",
      "\"user\":\"ftpuser\",\"outcome\":\"success\"",
      "{\"command\":\"PASS\",\"reply\":[\"Login incorrect.\"],\"completion_code\":[\"530\"],"
      "\"reply_received\":\"yes\"}",
      "\"command\":\"PASV\",\"reply\":[\"Entering Passive Mode (192,168,1,2,195,80).\"],"
      "\"completion_code\":[\"227\"],\"dynamic_port\":50000,\"mode\":\"passive\"",
      "\"completion_code\":[\"150\",\"226\"]",
      "\"command_data\":\"10,0,0,1,4,1\",\"reply\":[\"PORT command successful.\"],"
      "\"completion_code\":[\"200\"],\"dynamic_port\":1025,\"mode\":\"active\"",
      "\"dynamic_port\":6446,\"mode\":\"passive\"", "\"dynamic_port\":5282,\"mode\":\"active\"",
      "\"reply\":[\"Features:\",\" EPRT\",\" EPSV\",\"End\"],\"completion_code\":[\"211\"]",
      NULL},
     {"badpass1", "g00d", NULL}, "g00d pass", APP_PROTO_FTP},
    {"anonymous", s_anon, AH_CFG_DEFAULT, 3, 1, 0,
     {"\"user\":\"anonymous\",\"outcome\":\"success\"", NULL}, {"guest@example.org", NULL},
     "guest@example.org", APP_PROTO_FTP},
    {"auth tls", s_auth_tls, AH_CFG_DEFAULT, 2, 0, 0,
     {"\"command\":\"AUTH\",\"command_data\":\"TLS\"", "\"completion_code\":[\"234\"]", NULL},
     {NULL}, NULL, APP_PROTO_TLS},
    {"auth refused", s_auth_refused, AH_CFG_DEFAULT, 3, 0, 0, {"\"command_data\":\"GSSAPI\"", NULL},
     {NULL}, NULL, APP_PROTO_FTP},
    {"malformed", s_bad, AH_CFG_DEFAULT, 3, 0, 3,
     {"\"event\":\"INVALID_REPLY\"", "\"event\":\"INVALID_PORT_COMMAND\"",
      "\"event\":\"INVALID_PASSIVE_REPLY\"", NULL},
     {"dynamic_port", NULL}, NULL, APP_PROTO_FTP},
    {"no reply", s_noreply, AH_CFG_DEFAULT, 3, 1, 0,
     {"\"user\":\"u1\",\"outcome\":\"unknown\"",
      "{\"command\":\"PASS\",\"reply_received\":\"no\"}", NULL},
     {"neveranswered", NULL}, "neveransweredpw", APP_PROTO_FTP},
    {"gap", s_gap, AH_CFG_DEFAULT, 5, 0, 0,
     {"\"command\":\"NOOP\",\"reply\":[\"no\"],\"completion_code\":[\"530\"]",
      "\"command\":\"STAT\",\"reply\":[\"status\",\"end\"]", NULL},
     {"lost", NULL}, NULL, APP_PROTO_FTP},
    {"long lines", s_long, AH_CFG_SHORT_LINES, 2, 0, 2,
     {"\"event\":\"REQUEST_COMMAND_TOO_LONG\"", "\"event\":\"RESPONSE_COMMAND_TOO_LONG\"",
      "\"command_truncated\":true", "\"reply_truncated\":true", NULL},
     {NULL}, NULL, APP_PROTO_FTP},
    {"too many pending", s_many, AH_CFG_TWO_PENDING, 3, 0, 1,
     {"\"event\":\"TOO_MANY_TRANSACTIONS\"", NULL}, {NULL}, NULL, APP_PROTO_FTP},
};

static void test_ftp_rows(void **state)
{
    (void)state;
    ah_check_rows(rows, AH_LEN(rows), APP_PROTO_FTP, APP_REC_FTP);
}

static void test_ftp_memcap(void **state)
{
    (void)state;
    assert_in_range(ah_memcap_sweep(APP_PROTO_FTP, NULL, s_session, 5000), 1, 4998);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ftp_rows),
        cmocka_unit_test(test_ftp_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
