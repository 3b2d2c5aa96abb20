/*
 * Internals shared by the files of the app layer itself (app.c, proto_detect.c, dns_app.c);
 * parsers use app_parser.h only.
 */
#ifndef MM_APP_APP_INT_H
#define MM_APP_APP_INT_H

#include "app/app.h"
#include "app/app_parser.h"
#include "app/dns.h"

/* Content detection: what the first bytes of one direction say. */
enum app_detect_result {
    APP_DETECT_NEED_MORE = 0, /* could still become a match with more bytes */
    APP_DETECT_MATCH,         /* *proto set */
    APP_DETECT_NO,            /* this direction names no protocol we know */
};

/*
 * Look at the first n bytes of direction dir (0 to server) of a TCP connection to server
 * port sport. Content decides; the port only settles what the content leaves open (a "220 "
 * banner naming neither FTP nor SMTP, a client's "USER"). *proto is set on a match.
 */
enum app_detect_result app_detect_tcp(const uint8_t *d, size_t n, int dir, uint16_t sport,
                                      enum app_proto *proto);

/* A UDP datagram: APP_PROTO_DNS when it is a DNS message (on port 53, or well-formed
 * enough elsewhere), else APP_PROTO_UNKNOWN. */
enum app_proto app_detect_udp(const uint8_t *d, size_t n, uint16_t cport, uint16_t sport,
                              struct dns_msg *scratch);

/* DNS over UDP: one datagram (dns_app.c). */
void app_dns_datagram(struct app_session *s, int dir, const uint8_t *d, size_t n);
/* Per-flow DNS state used by both transports; freed with the session. */
void app_dns_state_free(struct app_session *s, void *st);

/* Scratch message of the context (too big for the stack of every caller). */
struct dns_msg *app_dns_scratch(struct app_session *s);

/* The session's DNS state slot (UDP sessions have no parser object). */
void **app_dns_slot(struct app_session *s);

#endif
