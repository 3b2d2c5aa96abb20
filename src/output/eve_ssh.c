/*
 * EVE "ssh" event members (Suricata's ssh object):
 *   "ssh": {"client": {"proto_version": "2.0", "software_version": "OpenSSH_9.6",
 *                      "hassh": {"hash": "<md5 hex>", "string": "<kex;enc;mac;comp>"}},
 *           "server": {...}}
 * A side whose banner was not seen is left out; "hassh" only when its KEXINIT was seen.
 */
#include "output/eve_app.h"

#include "app/ssh.h"

static void put_side(struct jb *jb, const char *key, const struct ssh_side *s)
{
    if (!s->banner_seen)
        return;
    jb_open_object(jb, key);
    jb_string(jb, "proto_version", s->proto_version);
    jb_string_bytes(jb, "software_version", s->software_version, s->software_version_len);
    if (s->kexinit_seen) {
        jb_open_object(jb, "hassh");
        jb_string(jb, "hash", s->hassh);
        jb_string_bytes(jb, "string", s->hassh_string, s->hassh_string_len);
        jb_close_object(jb);
    }
    jb_close_object(jb);
}

void eve_put_ssh(struct jb *jb, const struct ssh_rec *r)
{
    jb_open_object(jb, "ssh");
    put_side(jb, "client", &r->client);
    put_side(jb, "server", &r->server);
    jb_close_object(jb);
}
