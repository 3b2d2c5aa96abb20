/*
 * EVE "dns" events in Suricata's version 2 format: a query is logged as
 * {"version":2,"type":"query","id","rrname","rrtype","tx_id","opcode"}; a response as
 * {"version":2,"type":"answer","id","flags","qr",...,"rcode","answers":[...],"grouped":{...},
 * "authorities":[...]}. SOA and SRV data are split into Suricata's objects; other types keep
 * dns.c's presentation text as "rdata".
 */
#include "eve_app.h"

#include "app/dns_rec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_type(struct jb *jb, const char *key, uint16_t type)
{
    const char *n = app_dns_type_name(type);
    if (n) {
        jb_string(jb, key, n);
    } else {
        char num[8];
        snprintf(num, sizeof num, "%u", type);
        jb_string(jb, key, num);
    }
}

/* Split a presentation text "w0 w1 ..." into at most max words (names never contain a
 * raw space: dns.c escapes it as \032). Returns the word count. */
static int words(char *text, char **w, int max)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(text, " ", &save); t && n < max; t = strtok_r(NULL, " ", &save))
        w[n++] = t;
    return n;
}

static unsigned long long num(const char *s)
{
    return strtoull(s, NULL, 10);
}

/* SOA/SRV as objects when the text is complete (key "soa"/"srv" inside an answer object,
 * or bare when `bare`, for "grouped"); false: nothing written, use "rdata" instead. */
static bool put_structured(struct jb *jb, const struct dns_rr *rr, bool bare)
{
    if (rr->rdata_truncated || (rr->type != 6 && rr->type != 33))
        return false;
    char buf[DNS_RDATA_TEXT_MAX];
    memcpy(buf, rr->rdata, sizeof buf);
    char *w[8];
    int n = words(buf, w, 8);
    if (rr->type == 6 && n == 7) {
        jb_open_object(jb, bare ? NULL : "soa");
        jb_string(jb, "mname", w[0]);
        jb_string(jb, "rname", w[1]);
        jb_uint(jb, "serial", num(w[2]));
        jb_uint(jb, "refresh", num(w[3]));
        jb_uint(jb, "retry", num(w[4]));
        jb_uint(jb, "expire", num(w[5]));
        jb_uint(jb, "minimum", num(w[6]));
        jb_close_object(jb);
        return true;
    }
    if (rr->type == 33 && n == 4) {
        jb_open_object(jb, bare ? NULL : "srv");
        jb_uint(jb, "priority", num(w[0]));
        jb_uint(jb, "weight", num(w[1]));
        jb_uint(jb, "port", num(w[2]));
        jb_string(jb, "name", w[3]);
        jb_close_object(jb);
        return true;
    }
    return false;
}

static void put_rr(struct jb *jb, const struct dns_rr *rr)
{
    jb_open_object(jb, NULL);
    jb_string(jb, "rrname", rr->name);
    put_type(jb, "rrtype", rr->type);
    jb_uint(jb, "ttl", rr->ttl);
    if (!put_structured(jb, rr, false)) {
        jb_string(jb, "rdata", rr->rdata);
        if (rr->rdata_truncated && rr->section == 2)
            jb_bool(jb, "rdata_truncated", true);
    }
    jb_close_object(jb);
}

/* Types Suricata's schema allows under "grouped". */
static bool groupable(uint16_t t)
{
    return t == 1 || t == 28 || t == 5 || t == 15 || t == 2 || t == 10 || t == 12 || t == 6 ||
           t == 33 || t == 44 || t == 16;
}

static void put_grouped(struct jb *jb, const struct dns_msg *m)
{
    bool any = false;
    for (unsigned i = 0; i < m->n_rrs; i++) {
        const struct dns_rr *rr = &m->rr[i];
        if (rr->section != 1 || !groupable(rr->type))
            continue;
        bool first = true;
        for (unsigned j = 0; j < i; j++)
            if (m->rr[j].section == 1 && m->rr[j].type == rr->type)
                first = false;
        if (!first)
            continue;
        if (!any) {
            jb_open_object(jb, "grouped");
            any = true;
        }
        jb_open_array(jb, app_dns_type_name(rr->type));
        for (unsigned j = i; j < m->n_rrs; j++) {
            const struct dns_rr *o = &m->rr[j];
            if (o->section != 1 || o->type != rr->type)
                continue;
            if (o->type == 6 || o->type == 33) {
                if (!put_structured(jb, o, true)) {
                    jb_open_object(jb, NULL); /* damaged SOA/SRV: an object still */
                    jb_close_object(jb);
                }
            } else {
                jb_string(jb, NULL, o->rdata);
            }
        }
        jb_close_array(jb);
    }
    if (any)
        jb_close_object(jb);
}

void eve_put_dns(struct jb *jb, const struct app_dns_rec *r)
{
    const struct dns_msg *m = r->msg;
    jb_open_object(jb, "dns");
    jb_uint(jb, "version", 2);
    if (!m->qr) {
        jb_string(jb, "type", "query");
        jb_uint(jb, "id", m->id);
        if (m->n_questions) {
            jb_string(jb, "rrname", m->q[0].name);
            put_type(jb, "rrtype", m->q[0].type);
        }
        jb_uint(jb, "tx_id", r->tx_id);
        jb_uint(jb, "opcode", m->opcode);
        if (m->events & DNS_EV_Z_FLAG)
            jb_bool(jb, "z", true);
        jb_close_object(jb);
        return;
    }
    jb_string(jb, "type", "answer");
    jb_uint(jb, "id", m->id);
    jb_uint(jb, "tx_id", r->tx_id); /* the query's: pairs the two events */
    char flags[8];
    snprintf(flags, sizeof flags, "%04x", m->flags);
    jb_string(jb, "flags", flags);
    jb_bool(jb, "qr", true);
    if (m->aa)
        jb_bool(jb, "aa", true);
    if (m->tc)
        jb_bool(jb, "tc", true);
    if (m->rd)
        jb_bool(jb, "rd", true);
    if (m->ra)
        jb_bool(jb, "ra", true);
    if (m->events & DNS_EV_Z_FLAG)
        jb_bool(jb, "z", true);
    jb_uint(jb, "opcode", m->opcode);
    if (m->n_questions) {
        jb_string(jb, "rrname", m->q[0].name);
        put_type(jb, "rrtype", m->q[0].type);
    }
    const char *rc = app_dns_rcode_name(m->rcode);
    if (rc) {
        jb_string(jb, "rcode", rc);
    } else {
        char num[8];
        snprintf(num, sizeof num, "%u", m->rcode);
        jb_string(jb, "rcode", num);
    }
    for (int sec = 1; sec <= 2; sec++) {
        bool open = false;
        for (unsigned i = 0; i < m->n_rrs; i++) {
            if (m->rr[i].section != sec)
                continue;
            if (!open) {
                jb_open_array(jb, sec == 1 ? "answers" : "authorities");
                open = true;
            }
            put_rr(jb, &m->rr[i]);
        }
        if (open)
            jb_close_array(jb);
        if (sec == 1)
            put_grouped(jb, m);
    }
    jb_close_object(jb);
}
