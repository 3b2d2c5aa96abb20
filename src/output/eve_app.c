/*
 * Application-layer records as EVE events (see eve.h out_eve_app_record). The head says who
 * spoke: for transaction protocols (http, tls, smtp, pop3, imap, ftp, ssh, login) src is the
 * client and dest the server, as in Suricata; for dns, fileinfo and anomaly events src is
 * the sender of the packet that completed the record.
 */
#include "eve_app.h"
#include "eve_int.h"

#include "app/app.h"

#include <string.h>

static const char *const event_types[APP_REC_COUNT] = {
    [APP_REC_DNS] = "dns",       [APP_REC_HTTP] = "http", [APP_REC_TLS] = "tls",
    [APP_REC_SMTP] = "smtp",     [APP_REC_POP3] = "pop3", [APP_REC_IMAP] = "imap",
    [APP_REC_FTP] = "ftp",       [APP_REC_SSH] = "ssh",   [APP_REC_FILE] = "fileinfo",
    [APP_REC_LOGIN] = "login",   [APP_REC_ANOMALY] = "anomaly",
};

static const char *const outcome_names[] = {"unknown", "success", "failure"};

void eve_put_login(struct jb *jb, const struct app_login *l)
{
    jb_open_object(jb, "mamori");
    jb_open_object(jb, "login");
    jb_string(jb, "proto", app_proto_name(l->proto));
    if (l->mechanism)
        jb_string(jb, "mechanism", l->mechanism);
    jb_string_bytes(jb, "user", l->user ? l->user : (const uint8_t *)"", l->user ? l->user_len : 0);
    jb_string(jb, "outcome", (unsigned)l->outcome < 3 ? outcome_names[l->outcome] : "unknown");
    jb_close_object(jb);
    jb_close_object(jb);
}

static void put_app_anomaly(struct jb *jb, const struct app_anomaly *a)
{
    const char *proto = app_proto_name(a->proto);
    jb_string(jb, "app_proto", proto);
    jb_open_object(jb, "anomaly");
    jb_string(jb, "app_proto", proto);
    jb_string(jb, "type", "applayer");
    jb_string(jb, "event", a->event);
    jb_string(jb, "layer", "proto_parser");
    jb_close_object(jb);
    jb_string(jb, "pkt_src", "wire/pcap");
}

void eve_put_app_record(struct jb *jb, enum app_record_kind kind, const void *rec)
{
    switch (kind) {
    case APP_REC_DNS: eve_put_dns(jb, rec); break;
    case APP_REC_HTTP: eve_put_http(jb, rec); break;
    case APP_REC_TLS: eve_put_tls(jb, rec); break;
    case APP_REC_SMTP: eve_put_smtp(jb, rec); break;
    case APP_REC_POP3: eve_put_pop3(jb, rec); break;
    case APP_REC_IMAP: eve_put_imap(jb, rec); break;
    case APP_REC_FTP: eve_put_ftp(jb, rec); break;
    case APP_REC_SSH: eve_put_ssh(jb, rec); break;
    case APP_REC_FILE: eve_put_file(jb, rec); break;
    case APP_REC_LOGIN: eve_put_login(jb, rec); break;
    case APP_REC_ANOMALY: put_app_anomaly(jb, rec); break;
    case APP_REC_COUNT: break;
    }
}

void out_eve_app_record(out_eve_t *e, const struct flow *f, int dir, uint64_t ts_ns,
                        enum app_record_kind kind, const void *rec)
{
    if ((unsigned)kind >= APP_REC_COUNT || !rec)
        return;
    if (kind == APP_REC_ANOMALY && !eve_anomaly_allowed(e, ts_ns))
        return;
    bool by_packet = kind == APP_REC_DNS || kind == APP_REC_FILE || kind == APP_REC_ANOMALY;
    bool from_server = by_packet && dir == 1;
    struct jb *jb = &e->jb;
    if (f) {
        const uint8_t *cli = flow_client_addr(f), *srv = flow_server_addr(f);
        uint16_t cport = flow_client_port(f), sport = flow_server_port(f);
        if (from_server)
            eve_head(e, ts_ns, f->flow_id, event_types[kind], f->key.ip_ver, srv, sport, cli,
                     cport, f->key.proto, true);
        else
            eve_head(e, ts_ns, f->flow_id, event_types[kind], f->key.ip_ver, cli, cport, srv,
                     sport, f->key.proto, true);
    } else {
        eve_head(e, ts_ns, 0, event_types[kind], 0, NULL, 0, NULL, 0, 0, false);
    }
    eve_put_app_record(jb, kind, rec);
    jb_close_object(jb);
    if (eve_emit(e)) {
        e->ctr.app[kind]++;
        if (kind == APP_REC_ANOMALY)
            e->ctr.anomaly++;
    }
}
