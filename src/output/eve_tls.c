/*
 * EVE "tls" members (Suricata's names and forms: "tls": {subject, issuerdn, serial,
 * fingerprint, sni, version, notbefore, notafter, ja3, ja3s, ja4, client_alpns,
 * server_alpns ...}); what Suricata does not log goes into "mamori": {"tls": {...}}.
 * Absent fields are left out.
 */
#include "output/eve_app.h"

#include "app/tls.h"

#include <stdio.h>

static void put_list(struct jb *jb, const char *key, const struct tls_list *l)
{
    if (!l->n)
        return;
    jb_open_array(jb, key);
    uint32_t off = 0;
    const uint8_t *p;
    uint16_t n;
    while (tls_list_next(l, &off, &p, &n))
        jb_string_bytes(jb, NULL, p, n);
    jb_close_array(jb);
}

void eve_put_tls(struct jb *jb, const struct tls_rec *r)
{
    char vb[32];
    jb_open_object(jb, "tls");
    if (r->has_cert) {
        const struct tls_cert *c = &r->cert;
        if (c->subject)
            jb_string(jb, "subject", c->subject);
        if (c->issuer)
            jb_string(jb, "issuerdn", c->issuer);
        if (c->serial[0])
            jb_string(jb, "serial", c->serial);
        if (c->fingerprint[0])
            jb_string(jb, "fingerprint", c->fingerprint);
    }
    if (r->resumed)
        jb_bool(jb, "session_resumed", true);
    if (r->has_sni)
        jb_string_bytes(jb, "sni", r->sni, r->sni_len);
    jb_string(jb, "version", tls_version_name(r->server_hello ? r->version : 0, vb, sizeof vb));
    if (r->has_cert) {
        if (r->cert.notbefore[0])
            jb_string(jb, "notbefore", r->cert.notbefore);
        if (r->cert.notafter[0])
            jb_string(jb, "notafter", r->cert.notafter);
        put_list(jb, "subjectaltname", &r->cert.san);
    }
    if (r->ja3) {
        jb_open_object(jb, "ja3");
        jb_string(jb, "hash", r->ja3_hash);
        jb_string(jb, "string", r->ja3);
        jb_close_object(jb);
    }
    if (r->ja3s) {
        jb_open_object(jb, "ja3s");
        jb_string(jb, "hash", r->ja3s_hash);
        jb_string(jb, "string", r->ja3s);
        jb_close_object(jb);
    }
    if (r->ja4[0])
        jb_string(jb, "ja4", r->ja4);
    put_list(jb, "client_alpns", &r->client_alpns);
    put_list(jb, "server_alpns", &r->server_alpns);
    jb_close_object(jb);

    jb_open_object(jb, "mamori");
    jb_open_object(jb, "tls");
    if (r->client_hello && r->client_version)
        jb_string(jb, "client_version", tls_version_name(r->client_version, vb, sizeof vb));
    if (r->has_cipher)
        jb_uint(jb, "cipher_suite", r->cipher);
    if (r->n_certs)
        jb_uint(jb, "chain_len", r->n_certs);
    jb_bool(jb, "handshake_done", r->handshake_done);
    if (r->version == TLS_V_13 && r->server_hello)
        jb_bool(jb, "certificates_encrypted", true);
    if (r->hrr)
        jb_bool(jb, "hello_retry_request", true);
    if (r->sslv2_hello)
        jb_bool(jb, "sslv2_client_hello", true);
    if (r->gap)
        jb_bool(jb, "gap", true);
    jb_close_object(jb);
    jb_close_object(jb);
}
