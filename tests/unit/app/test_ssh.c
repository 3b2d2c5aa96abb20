/*
 * SSH parser (src/app/ssh.c) through the public session API: banners and KEXINIT packets
 * built below, the HASSH values checked against MD5 computed independently (Python's
 * hashlib on the same strings); limits (banner length, packet length), malformed banners,
 * SSH-1, gaps and early ends; every row also byte by byte and in random pieces; allocation
 * failure at every charge.
 */
#include "app/ssh.h"
#include "app_harness.h"

/* ---------- packets ---------- */

struct pb {
    uint8_t b[4096];
    size_t n;
};

static void put(struct pb *p, const void *d, size_t n)
{
    assert_true(p->n + n <= sizeof p->b);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}

static void put_u32(struct pb *p, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    put(p, b, 4);
}

static void put_list(struct pb *p, const char *s)
{
    put_u32(p, (uint32_t)strlen(s));
    put(p, s, strlen(s));
}

/*
 * banner CR LF, then one binary packet carrying SSH_MSG_KEXINIT with the lists below:
 *   kex "curve25519-sha256,ecdh-sha2-nistp256", host key "ssh-ed25519",
 *   enc c2s "aes128-ctr,aes256-gcm@openssh.com", enc s2c "aes256-ctr",
 *   mac c2s "hmac-sha2-256", mac s2c "hmac-sha1", comp c2s "none", comp s2c "zlib",
 *   languages empty, first_kex_packet_follows 0, reserved 0; 4 bytes of padding.
 */
static void build_side(struct pb *p, const char *banner)
{
    p->n = 0;
    put(p, banner, strlen(banner));
    struct pb pl = {.n = 0};
    uint8_t msg = 20;
    put(&pl, &msg, 1);
    uint8_t cookie[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    put(&pl, cookie, 16);
    put_list(&pl, "curve25519-sha256,ecdh-sha2-nistp256");
    put_list(&pl, "ssh-ed25519");
    put_list(&pl, "aes128-ctr,aes256-gcm@openssh.com");
    put_list(&pl, "aes256-ctr");
    put_list(&pl, "hmac-sha2-256");
    put_list(&pl, "hmac-sha1");
    put_list(&pl, "none");
    put_list(&pl, "zlib");
    put_list(&pl, "");
    put_list(&pl, "");
    uint8_t tail[5] = {0, 0, 0, 0, 0};
    put(&pl, tail, 5);
    uint8_t padl = 4;
    put_u32(p, (uint32_t)(1 + pl.n + padl));
    put(p, &padl, 1);
    put(p, pl.b, pl.n);
    uint8_t pad[4] = {0};
    put(p, pad, 4);
}

static struct pb cli, srv, cli_pre, srv_pre;
static char long_banner[400];

#define HASSH_C "afde4c3973668bf8076d0e219dab18c3"
#define HASSH_S "08460fc9a0bcbafca99aac50628ae801"

static struct ah_step s_normal[4], s_prelines[4], s_long[4], s_gap[4], s_ignore[4];

/* An SSH_MSG_IGNORE packet (type 2) before KEXINIT. */
static void build_ignore_then(struct pb *p, const struct pb *after, size_t banner_len)
{
    p->n = 0;
    put(p, after->b, banner_len);
    uint8_t ign[] = {0, 0, 0, 12, 4, 2, 0, 0, 0, 2, 'h', 'i', 0, 0, 0, 0};
    put(p, ign, sizeof ign);
    put(p, after->b + banner_len, after->n - banner_len);
}

static void build_all(void)
{
    build_side(&cli, "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n");
    build_side(&srv, "SSH-2.0-dropbear_2022.83\r\n");
    build_side(&srv_pre, "Welcome to the server\r\nbanner line 2\nSSH-1.99-Cisco-1.25\r\n");
    memset(long_banner, 0, sizeof long_banner);
    memcpy(long_banner, "SSH-2.0-Long_1.0 ", 17);
    memset(long_banner + 17, 'x', 300);
    memcpy(long_banner + 317, "\r\n", 2);
    build_side(&cli_pre, long_banner);
    struct ah_step n[4] = {CB((const char *)cli.b, cli.n), SB((const char *)srv.b, srv.n),
                           STEPS_END, STEPS_END};
    memcpy(s_normal, n, sizeof n);
    struct ah_step pre[4] = {SB((const char *)srv_pre.b, srv_pre.n),
                             CB((const char *)cli.b, cli.n), STEPS_END, STEPS_END};
    memcpy(s_prelines, pre, sizeof pre);
    struct ah_step lg[4] = {CB((const char *)cli_pre.b, cli_pre.n),
                            SB((const char *)srv.b, srv.n), STEPS_END, STEPS_END};
    memcpy(s_long, lg, sizeof lg);
    /* client: banner, then a gap where its KEXINIT was; server complete */
    size_t cb = strlen("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\n");
    struct ah_step gp[4] = {CB((const char *)cli.b, cb), GAP(0, 100),
                            SB((const char *)srv.b, srv.n), STEPS_END};
    memcpy(s_gap, gp, sizeof gp);
    static struct pb ign;
    build_ignore_then(&ign, &cli, cb);
    struct ah_step ig[4] = {CB((const char *)ign.b, ign.n), SB((const char *)srv.b, srv.n),
                            STEPS_END, STEPS_END};
    memcpy(s_ignore, ig, sizeof ig);
}

static const struct ah_step s_v1[] = {
    C("SSH-1.5-1.2.27\r\n"),
    S("SSH-1.5-OpenSSH_3.4\r\n"),
    STEPS_END,
};

/* A packet length past the limit (here 0x00100000). */
static const struct ah_step s_bigpkt[] = {
    CB("SSH-2.0-a\r\n\x00\x10\x00\x00\x04\x14", 17),
    SB("SSH-2.0-b\r\n\x00\x00\x00\x01", 15),
    STEPS_END,
};

static const struct ah_step s_badbanner[] = {
    C("SSH-2.0\r\n"),
    S("SSH-9-x\r\n"),
    STEPS_END,
};

/* Only banners, then the connection ends. */
static const struct ah_step s_banners_only[] = {
    C("SSH-2.0-PuTTY_Release_0.80\r\n"),
    S("SSH-2.0-OpenSSH_8.9\r\n"),
    STEPS_END,
};

static const struct ah_row rows[] = {
    {"normal", s_normal, AH_CFG_DEFAULT, 1, 0, 0,
     {"\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_9.6p1\","
      "\"hassh\":{\"hash\":\"" HASSH_C "\",\"string\":\"curve25519-sha256,ecdh-sha2-nistp256;"
      "aes128-ctr,aes256-gcm@openssh.com;hmac-sha2-256;none\"}}",
      "\"server\":{\"proto_version\":\"2.0\",\"software_version\":\"dropbear_2022.83\","
      "\"hassh\":{\"hash\":\"" HASSH_S "\"",
      NULL},
     {NULL}, NULL, APP_PROTO_SSH},
    {"lines before banner", s_prelines, AH_CFG_DEFAULT, 1, 0, 0,
     {"\"server\":{\"proto_version\":\"1.99\",\"software_version\":\"Cisco-1.25\"",
      "\"hash\":\"" HASSH_S "\"", "\"hash\":\"" HASSH_C "\"", NULL},
     {NULL}, NULL, APP_PROTO_SSH},
    {"long banner", s_long, AH_CFG_DEFAULT, 1, 0, 1,
     {"\"event\":\"LONG_BANNER\"", "\"software_version\":\"Long_1.0\"",
      "\"hash\":\"" HASSH_C "\"", NULL},
     {NULL}, NULL, APP_PROTO_SSH},
    {"ssh-1", s_v1, AH_CFG_DEFAULT, 1, 0, 0,
     {"\"client\":{\"proto_version\":\"1.5\",\"software_version\":\"1.2.27\"}", NULL},
     {"hassh", NULL}, NULL, APP_PROTO_SSH},
    {"packet too long", s_bigpkt, AH_CFG_DEFAULT, 1, 0, 2,
     {"\"event\":\"LONG_KEX_RECORD\"", "\"event\":\"INVALID_RECORD\"", NULL},
     {"hassh", NULL}, NULL, APP_PROTO_SSH},
    {"bad banner", s_badbanner, AH_CFG_DEFAULT, 1, 0, 2,
     {"\"event\":\"INVALID_BANNER\"", "\"server\":{\"proto_version\":\"9\"", NULL},
     {"client", NULL}, NULL, APP_PROTO_SSH},
    {"banners only", s_banners_only, AH_CFG_DEFAULT, 1, 0, 0,
     {"\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"PuTTY_Release_0.80\"}",
      NULL},
     {"hassh", NULL}, NULL, APP_PROTO_SSH},
    {"gap", s_gap, AH_CFG_DEFAULT, 1, 0, 0,
     {"\"software_version\":\"OpenSSH_9.6p1\"}", "\"hash\":\"" HASSH_S "\"", NULL},
     {HASSH_C, NULL}, NULL, APP_PROTO_SSH},
    {"ignore packet first", s_ignore, AH_CFG_DEFAULT, 1, 0, 0, {"\"hash\":\"" HASSH_C "\"", NULL},
     {NULL}, NULL, APP_PROTO_SSH},
};

/* No row has a password or leaves SSH: the checker is never called, the protocol stays. */
static void test_ssh_rows(void **state)
{
    (void)state;
    build_all();
    ah_check_rows(rows, AH_LEN(rows), APP_PROTO_SSH, APP_REC_SSH);
}

static void test_ssh_memcap(void **state)
{
    (void)state;
    build_all();
    assert_in_range(ah_memcap_sweep(APP_PROTO_SSH, NULL, s_normal, 5000), 1, 4998);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssh_rows),
        cmocka_unit_test(test_ssh_memcap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
