/*
 * Community ID v1; see community_id.h.
 *
 * Hash input (IPv4: 16 bytes, IPv6: 40 bytes; without ports 4 bytes less):
 *
 *    0               1               2               3
 *   +-------------------------------+-------------------------------+
 *   |          seed (BE)            |  addr_lo (4 or 16 bytes) ...
 *   +-------------------------------+-------------------------------+
 *   |  addr_hi (4 or 16 bytes) ...                                  |
 *   +---------------+---------------+-------------------------------+
 *   |     proto     |       0       |   port_lo (BE) | port_hi (BE) |  <- ports only for
 *   +---------------+---------------+-------------------------------+     TCP UDP SCTP ICMP*
 *
 * (addr_lo, port_lo) is the numerically smaller endpoint: addresses compare as big-endian
 * byte strings, ports break ties.
 */
#include "community_id.h"

#include "core/mm.h"

#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMPV6 58
#define PROTO_SCTP 132

#define SHA1_LEN 20

/*
 * ICMP message types that form request/reply pairs, from Zeek's ICMP4_counterpart() /
 * ICMP6_counterpart() as the spec prescribes. The counterpart type becomes the destination
 * "port"; an unpaired type is one-way and uses its code instead.
 */
static int icmp4_counterpart(uint8_t type)
{
    switch (type) {
    case 8: return 0;   /* echo request -> echo reply */
    case 0: return 8;   /* echo reply -> echo request */
    case 13: return 14; /* timestamp */
    case 14: return 13; /* timestamp reply */
    case 15: return 16; /* information request */
    case 16: return 15; /* information reply */
    case 10: return 9;  /* router solicitation -> advertisement */
    case 9: return 10;  /* router advertisement -> solicitation */
    case 17: return 18; /* address mask request */
    case 18: return 17; /* address mask reply */
    default: return -1;
    }
}

static int icmp6_counterpart(uint8_t type)
{
    switch (type) {
    case 128: return 129; /* echo request */
    case 129: return 128; /* echo reply */
    case 130: return 131; /* multicast listener query */
    case 131: return 130; /* multicast listener report */
    case 133: return 134; /* router solicitation */
    case 134: return 133; /* router advertisement */
    case 135: return 136; /* neighbor solicitation */
    case 136: return 135; /* neighbor advertisement */
    case 139: return 140; /* node information query ("who are you") */
    case 140: return 139; /* node information response */
    case 144: return 145; /* home agent address discovery request */
    case 145: return 144; /* home agent address discovery reply */
    default: return -1;
    }
}

/*
 * SHA-1 with the algorithm fetched and the context allocated once per thread: EVP_Digest()
 * with EVP_sha1() fetches the implementation under a lock and allocates a context on every
 * call, which cost more than the rest of a flow event. The objects live for the thread's
 * life (they are small and reused; OpenSSL frees its own state at exit).
 */
static _Thread_local EVP_MD *tl_sha1;
static _Thread_local EVP_MD_CTX *tl_ctx;

static bool sha1_digest(const uint8_t *in, size_t len, unsigned char *md, unsigned int *mdlen)
{
    if (!tl_sha1 && !(tl_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL)))
        return false;
    if (!tl_ctx && !(tl_ctx = EVP_MD_CTX_new()))
        return false;
    return EVP_DigestInit_ex2(tl_ctx, tl_sha1, NULL) == 1 &&
           EVP_DigestUpdate(tl_ctx, in, len) == 1 && EVP_DigestFinal_ex(tl_ctx, md, mdlen) == 1;
}

static inline uint8_t *put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
    return p + 2;
}

int out_community_id(char *out, size_t outlen, int ip_version, const uint8_t *src_addr,
                     const uint8_t *dst_addr, uint8_t proto, uint16_t src_port, uint16_t dst_port,
                     uint16_t seed)
{
    if (outlen > 0)
        out[0] = '\0';
    if (outlen < OUT_COMMUNITY_ID_BUFLEN || (ip_version != 4 && ip_version != 6))
        return MM_EINVAL;
    size_t alen = ip_version == 4 ? 4 : 16;

    bool has_ports = false, one_way = false;
    uint16_t sp = src_port, dp = dst_port;
    switch (proto) {
    case PROTO_TCP:
    case PROTO_UDP:
    case PROTO_SCTP: has_ports = true; break;
    case PROTO_ICMP:
    case PROTO_ICMPV6: {
        /* type and code are 8-bit fields; wider values cannot come from a packet */
        uint8_t type = (uint8_t)src_port;
        int peer = proto == PROTO_ICMP ? icmp4_counterpart(type) : icmp6_counterpart(type);
        has_ports = true;
        sp = type;
        if (peer >= 0) {
            dp = (uint16_t)peer;
        } else {
            dp = (uint8_t)dst_port;
            one_way = true;
        }
        break;
    }
    default:
        sp = dp = 0; /* ordering by address only */
        break;
    }

    const uint8_t *a_lo = src_addr, *a_hi = dst_addr;
    uint16_t p_lo = sp, p_hi = dp;
    if (!one_way) {
        int c = memcmp(src_addr, dst_addr, alen);
        if (c > 0 || (c == 0 && sp > dp)) {
            a_lo = dst_addr;
            a_hi = src_addr;
            p_lo = dp;
            p_hi = sp;
        }
    }

    uint8_t in[2 + 16 + 16 + 2 + 4];
    uint8_t *p = put_be16(in, seed);
    memcpy(p, a_lo, alen);
    p += alen;
    memcpy(p, a_hi, alen);
    p += alen;
    *p++ = proto;
    *p++ = 0;
    if (has_ports) {
        p = put_be16(p, p_lo);
        p = put_be16(p, p_hi);
    }

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!sha1_digest(in, (size_t)(p - in), md, &mdlen) || mdlen != SHA1_LEN)
        return MM_EINVAL;
    out[0] = '1';
    out[1] = ':';
    /* 20 bytes -> 28 base64 characters and a NUL. */
    EVP_EncodeBlock((unsigned char *)out + 2, md, SHA1_LEN);
    return 0;
}
