/*
 * EVE writers of application-layer records (one file per protocol: eve_<proto>.c). Each
 * writes its members into the event object that out_eve_app_record (eve.h) has opened with
 * the common head (timestamp, flow_id, in_iface, event_type, addresses, ports, proto), in
 * Suricata's field names where Suricata has the event: e.g. eve_put_http writes
 * "tx_id": n, "http": {...}. They never close the top-level object.
 */
#ifndef MM_OUTPUT_EVE_APP_H
#define MM_OUTPUT_EVE_APP_H

#include "app/app.h"
#include "core/json.h"

struct app_dns_rec;
struct http_tx;
struct tls_rec;
struct smtp_tx;
struct pop3_tx;
struct imap_tx;
struct ftp_tx;
struct ssh_rec;
struct app_file;
struct app_login;
struct app_anomaly;

void eve_put_dns(struct jb *jb, const struct app_dns_rec *r);
void eve_put_http(struct jb *jb, const struct http_tx *tx);
/* http.request_headers / response_headers lists: none (default), either, or both. */
enum { EVE_HTTP_HEADERS_NONE = 0, EVE_HTTP_HEADERS_REQUEST = 1, EVE_HTTP_HEADERS_RESPONSE = 2,
       EVE_HTTP_HEADERS_BOTH = 3 };
void eve_http_set_dump_headers(unsigned mode);
void eve_put_tls(struct jb *jb, const struct tls_rec *r);
void eve_put_smtp(struct jb *jb, const struct smtp_tx *tx);   /* "smtp" and "email" */
void eve_put_pop3(struct jb *jb, const struct pop3_tx *tx);
void eve_put_imap(struct jb *jb, const struct imap_tx *tx);
void eve_put_ftp(struct jb *jb, const struct ftp_tx *tx);
void eve_put_ssh(struct jb *jb, const struct ssh_rec *r);
void eve_put_file(struct jb *jb, const struct app_file *f);   /* "app_proto", "fileinfo" */
void eve_put_login(struct jb *jb, const struct app_login *l);

/* The members of any record, by kind (the writers above; an anomaly as "app_proto",
 * "anomaly": {...}, "pkt_src"). The one dispatch used by the event writer, the unit-test
 * harness and the fuzz targets. */
void eve_put_app_record(struct jb *jb, enum app_record_kind kind, const void *rec);

#endif
