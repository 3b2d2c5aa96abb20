/*
 * HTTP/1.x transactions (RFC 9112): what the HTTP parser (http.c) hands to the record
 * callback as APP_REC_HTTP, one per request/response pair, and what eve_put_http writes.
 *
 * Every pointer is borrowed for the callback only. A string field is absent when its `p` is
 * NULL (an empty but present value has p != NULL and len 0). Strings are the bytes from the
 * wire (not NUL-terminated, may hold any byte) except the derived ones: uri_norm, hostname
 * and the joined single-valued header views.
 *
 * Credentials: the value of every Authorization and Proxy-Authorization header is cut to its
 * scheme ("Basic", "Bearer" ...) before it is stored; the Basic user name is kept in
 * basic_auth_user, the password never reaches a record.
 */
#ifndef MM_APP_HTTP_H
#define MM_APP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_str {
    const uint8_t *p; /* NULL: absent */
    size_t len;
};

struct http_header {
    struct http_str name, value; /* as sent (value without surrounding blanks) */
};

/* struct http_tx.flags */
enum {
    HTTP_TX_REQ_INCOMPLETE = 1u << 0,   /* request not seen whole (flow ended, gap, limit) */
    HTTP_TX_RESP_INCOMPLETE = 1u << 1,  /* response started but not seen whole */
    HTTP_TX_NO_REQUEST = 1u << 2,       /* a response without an outstanding request */
    HTTP_TX_URI_BAD_ESCAPE = 1u << 3,   /* '%' not followed by two hex digits in the path */
    HTTP_TX_REQ_HDR_LIMIT = 1u << 4,    /* request header block over http_max_header_bytes */
    HTTP_TX_RESP_HDR_LIMIT = 1u << 5,   /* response header block over the limit */
    HTTP_TX_REQ_BODY_GAP = 1u << 6,     /* bytes of the request body were missing */
    HTTP_TX_RESP_BODY_GAP = 1u << 7,
    HTTP_TX_REQ_DECOMPRESSED = 1u << 8, /* request body was gzip/deflate and inflated */
    HTTP_TX_RESP_DECOMPRESSED = 1u << 9,
    HTTP_TX_DECOMPRESS_LIMIT = 1u << 10, /* inflating stopped: decompress_max_bytes/ratio */
    HTTP_TX_DECOMPRESS_ERROR = 1u << 11, /* the compressed data was invalid */
    HTTP_TX_TUNNEL = 1u << 12,          /* CONNECT 2xx or 101: the flow left HTTP here */
    HTTP_TX_GAP_HEADERS = 1u << 13,     /* a gap hit this tx's header block */
};

/* One request/response pair. */
struct http_tx {
    uint64_t tx_id;         /* 0, 1, 2 ... per flow, in emission (= request) order */
    uint32_t flags;

    /* Request line (absent with HTTP_TX_NO_REQUEST). */
    struct http_str method, uri, protocol;
    struct http_str uri_norm; /* normalised path + raw query, see docs/internals/http.md */
    /* Host of the absolute-form URI, else of the Host header: port and userinfo removed,
     * lower-cased. http_port: the port given there, -1 when none. */
    struct http_str hostname;
    int32_t http_port;
    /* Single-valued views of request headers: the values of every header with that name,
     * in order, joined with ", ". */
    struct http_str host, user_agent, referer, xff, req_content_type;
    struct http_str basic_auth_user; /* Authorization: Basic, part before the first ':' */
    const struct http_header *req_headers; /* in order, repeats kept, trailers appended */
    size_t n_req_headers;

    /* Response (status -1: no status line seen). */
    struct http_str resp_protocol, status_msg;
    int status;
    struct http_str resp_content_type, location; /* joined views of the response headers */
    const struct http_header *resp_headers;
    size_t n_resp_headers;

    /*
     * Bodies. *_wire: bytes after the header block as sent (chunk framing included; EVE
     * "length" is resp_wire as in Suricata). *_entity: after de-chunking. *_decoded: after
     * gzip/deflate (== entity when not encoded; stops growing at a decompression limit).
     * req_body/resp_body: the first http_body_limit bytes of the decoded body.
     */
    uint64_t req_wire, req_entity, req_decoded;
    uint64_t resp_wire, resp_entity, resp_decoded;
    const uint8_t *req_body, *resp_body;
    size_t req_body_len, resp_body_len;
};

#endif
