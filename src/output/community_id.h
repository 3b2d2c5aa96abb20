/*
 * Community ID v1 flow hashing (https://github.com/corelight/community-id-spec), the
 * "community_id" field of Suricata's EVE events: "1:" followed by the base64 of
 * SHA-1(seed . addr_lo . addr_hi . proto . 0 . port_lo . port_hi), all in network byte order,
 * with the endpoints ordered so that both directions of a flow give the same value.
 *
 * Covered as the spec says: TCP, UDP and SCTP with ports; ICMP and ICMPv6 with the message type
 * and code mapped to port equivalents (Zeek's counterpart table: request/reply types pair up
 * and are ordered like ports, every other type is one-way and keeps its direction); any other
 * IP protocol hashes the addresses only (no port bytes at all). Not covered (nor by the spec):
 * tunnels and VLAN/MPLS context.
 */
#ifndef MM_OUTPUT_COMMUNITY_ID_H
#define MM_OUTPUT_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

/* "1:" + 28 base64 characters, and the buffer size including the NUL. */
#define OUT_COMMUNITY_ID_LEN 30
#define OUT_COMMUNITY_ID_BUFLEN 31

/*
 * Compute the Community ID of a flow into out (NUL-terminated).
 *   ip_version   4 or 6; src_addr/dst_addr point to 4 or 16 bytes in network byte order.
 *   proto        IP protocol number (for IPv6 the upper-layer protocol after extension
 *                headers).
 *   src_port, dst_port  host byte order. For ICMP (1) and ICMPv6 (58) pass the ICMP type as
 *                src_port and the code as dst_port of the flow's first packet; the mapping to
 *                port equivalents happens here. Ignored for protocols without ports.
 *   seed         the configured seed (0 by default).
 * Direction does not matter: swapping source and destination gives the same ID, except for
 * one-way ICMP types, as the spec requires.
 *
 * Returns 0, or MM_EINVAL (outlen < OUT_COMMUNITY_ID_BUFLEN, bad ip_version, SHA-1 failure;
 * out is then "" if outlen > 0). Thread-safe; reads only its arguments.
 */
int out_community_id(char *out, size_t outlen, int ip_version, const uint8_t *src_addr,
                     const uint8_t *dst_addr, uint8_t proto, uint16_t src_port, uint16_t dst_port,
                     uint16_t seed);

#endif
