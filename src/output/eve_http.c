/*
 * EVE "http" event members for one HTTP/1.x transaction (struct http_tx, app/http.h), in
 * Suricata's names and types: "tx_id" and "http" {hostname, http_port, url, http_user_agent,
 * http_content_type, http_refer, http_method, protocol, status, redirect, length, xff,
 * request_headers, response_headers (when configured)}. Absent values are omitted, never written as null.
 * What Suricata does not have goes under "mamori": {"http": {...}}. Schema:
 * docs/eve.schema.json ($defs/http_event); description: docs/internals/http.md.
 */
#include "eve_app.h"

#include "app/http.h"

#include <string.h>

static void put_str(struct jb *jb, const char *key, struct http_str s)
{
    if (s.p)
        jb_string_bytes(jb, key, s.p, s.len);
}

/* Suricata logs the media type alone: the response Content-Type up to ';', trimmed. */
static void put_media_type(struct jb *jb, struct http_str s)
{
    if (!s.p)
        return;
    const uint8_t *semi = memchr(s.p, ';', s.len);
    size_t n = semi ? (size_t)(semi - s.p) : s.len;
    while (n && (s.p[n - 1] == ' ' || s.p[n - 1] == '\t'))
        n--;
    jb_string_bytes(jb, "http_content_type", s.p, n);
}

/* Which header lists are written (outputs.eve.http.dump-all-headers). Set once at startup,
 * before any event is written; off by default as in Suricata, since the lists are most of
 * an event's size and cost (rules still see every header: the parser keeps them). */
static unsigned g_dump_headers = EVE_HTTP_HEADERS_NONE;

void eve_http_set_dump_headers(unsigned mode)
{
    g_dump_headers = mode & EVE_HTTP_HEADERS_BOTH;
}

static void put_headers(struct jb *jb, const char *key, const struct http_header *hv, size_t n)
{
    if (!hv || n == 0)
        return; /* Suricata's schema wants at least one item */
    jb_open_array(jb, key);
    for (size_t i = 0; i < n; i++) {
        jb_open_object(jb, NULL);
        jb_string_bytes(jb, "name", hv[i].name.p, hv[i].name.len);
        jb_string_bytes(jb, "value", hv[i].value.p, hv[i].value.len);
        jb_close_object(jb);
    }
    jb_close_array(jb);
}

void eve_put_http(struct jb *jb, const struct http_tx *tx)
{
    jb_uint(jb, "tx_id", tx->tx_id);
    jb_open_object(jb, "http");
    put_str(jb, "hostname", tx->hostname);
    if (tx->http_port >= 0)
        jb_int(jb, "http_port", tx->http_port);
    put_str(jb, "url", tx->uri);
    put_str(jb, "http_user_agent", tx->user_agent);
    put_media_type(jb, tx->resp_content_type);
    put_str(jb, "http_refer", tx->referer);
    put_str(jb, "http_method", tx->method);
    put_str(jb, "protocol", tx->protocol);
    if (tx->status >= 0)
        jb_int(jb, "status", tx->status);
    put_str(jb, "redirect", tx->location);
    jb_uint(jb, "length", tx->resp_wire);
    put_str(jb, "xff", tx->xff);
    if (g_dump_headers & EVE_HTTP_HEADERS_REQUEST)
        put_headers(jb, "request_headers", tx->req_headers, tx->n_req_headers);
    if (g_dump_headers & EVE_HTTP_HEADERS_RESPONSE)
        put_headers(jb, "response_headers", tx->resp_headers, tx->n_resp_headers);
    jb_close_object(jb);

    jb_open_object(jb, "mamori");
    jb_open_object(jb, "http");
    put_str(jb, "url_normalized", tx->uri_norm);
    if (tx->flags & HTTP_TX_URI_BAD_ESCAPE)
        jb_bool(jb, "url_bad_escape", true);
    put_str(jb, "basic_auth_user", tx->basic_auth_user);
    jb_uint(jb, "request_body_len", tx->req_entity);
    jb_uint(jb, "response_body_len", tx->resp_entity);
    if (tx->flags & (HTTP_TX_REQ_DECOMPRESSED | HTTP_TX_RESP_DECOMPRESSED))
        jb_bool(jb, "gzip", true);
    if (tx->flags & HTTP_TX_DECOMPRESS_LIMIT)
        jb_bool(jb, "decompress_limit", true);
    if (tx->flags & (HTTP_TX_REQ_BODY_GAP | HTTP_TX_RESP_BODY_GAP | HTTP_TX_GAP_HEADERS))
        jb_bool(jb, "gap", true);
    if (tx->flags & (HTTP_TX_REQ_INCOMPLETE | HTTP_TX_RESP_INCOMPLETE))
        jb_bool(jb, "incomplete", true);
    if (tx->flags & (HTTP_TX_REQ_HDR_LIMIT | HTTP_TX_RESP_HDR_LIMIT))
        jb_bool(jb, "headers_truncated", true);
    if (tx->flags & HTTP_TX_NO_REQUEST)
        jb_bool(jb, "no_request", true);
    if (tx->flags & HTTP_TX_TUNNEL)
        jb_bool(jb, "tunnel", true);
    jb_close_object(jb);
    jb_close_object(jb);
}
