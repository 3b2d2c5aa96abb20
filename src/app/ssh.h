/*
 * SSH connection start (RFC 4253 §4.2 identification string, §7.1 SSH_MSG_KEXINIT): the
 * version banner of each side and the HASSH fingerprint of each side's KEXINIT (client:
 * MD5 of "kex;encryption_c2s;mac_c2s;compression_c2s", server: the same with the s2c
 * lists; salesforce/hassh). Everything after KEXINIT is encrypted and not looked at.
 *
 * One record per flow, emitted when both KEXINITs were seen (SSH-1 peers: both banners),
 * or when the flow ends with what was seen.
 */
#ifndef MM_APP_SSH_H
#define MM_APP_SSH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SSH_BANNER_MAX 255 /* RFC 4253 §4.2: the whole line, CR LF included */
#define SSH_PROTO_VERSION_MAX 15

struct ssh_side {
    bool banner_seen;
    char proto_version[SSH_PROTO_VERSION_MAX + 1]; /* "2.0", "1.99" ... NUL-terminated */
    const uint8_t *software_version;               /* up to the first space; not
                                                      NUL-terminated; borrowed */
    size_t software_version_len;
    bool kexinit_seen;
    char hassh[33];                                /* lower-case hex MD5, NUL-terminated */
    const uint8_t *hassh_string;                   /* the hashed text; borrowed */
    size_t hassh_string_len;
};

struct ssh_rec {
    struct ssh_side client, server;
};

#endif
