/*
 * Host enrichment for alerts: what a person needs to know about an address before acting on
 * an alert. For every address an alert names:
 *   - internal or external (HOME_NET);
 *   - for internal hosts, the MAC address last seen with that IP as Ethernet source, and the
 *     vendor of that MAC from the IEEE OUI registry (Debian ieee-data, oui.csv);
 *   - country and autonomous system from MaxMind-format databases (libmaxminddb), when
 *     configured (City/Country and ASN databases; several may be given);
 *   - the names DNS answers on the wire gave for that address (a passive reverse lookup).
 *
 * The MAC and name tables are learned from traffic and bounded by their memcaps (oldest
 * entry taken over, counted). Not thread-safe: one per worker.
 */
#ifndef MM_ENRICH_ENRICH_H
#define MM_ENRICH_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/dns_rec.h"
#include "core/json.h"
#include "decode/decode.h"

/* One CIDR block of HOME_NET. */
struct enrich_net {
    uint8_t ip_ver; /* 4 or 6 */
    uint8_t prefix;
    bool negated;   /* "!10.0.5.0/24": excluded from what the other blocks include */
    uint8_t addr[16];
};

#define ENRICH_MAX_GEOIP 8
#define ENRICH_MAX_NAMES 4 /* names kept per address (the latest ones) */
#define ENRICH_MAC_SHARED_DEFAULT 8
#define ENRICH_MAC_SHARED_MAX 64

struct enrich_config {
    const struct enrich_net *home_net; /* none: RFC 1918, RFC 4193 (fc00::/7) and link-local
                                          addresses count as internal */
    size_t n_home_net;
    const char *oui_path;  /* IEEE MA-L registry CSV; default /usr/share/ieee-data/oui.csv;
                              NULL or "" = no vendor names. A missing default file is a
                              warning, a missing configured one an error. */
    const char *geoip_paths[ENRICH_MAX_GEOIP]; /* .mmdb files (country/city and/or ASN) */
    size_t n_geoip;
    size_t mac_memcap;     /* IP -> MAC table; default 4 MiB */
    unsigned mac_shared_hosts; /* a MAC seen with this many internal addresses within an hour
                                  is a router's (or NAT's), not a host's: not learned, not
                                  reported; 0 = no such test; default 8, at most
                                  ENRICH_MAC_SHARED_MAX */
    size_t dns_memcap;     /* IP -> names table; default 16 MiB */
};

void enrich_config_defaults(struct enrich_config *cfg);

typedef struct enrich enrich_t;

/* NULL with err filled when a configured file cannot be used (unreadable OUI file, a GeoIP
 * database libmaxminddb rejects ...) or out of memory. */
enrich_t *enrich_new(const struct enrich_config *cfg, char *err, size_t errlen);
void enrich_free(enrich_t *en);

/* Learn from traffic: the Ethernet source MAC of a packet whose IP source is internal (unless
 * that MAC is shared: mac_shared_hosts); the A/AAAA (and PTR) answers of a DNS response. */
void enrich_packet(enrich_t *en, const struct packet *p);
void enrich_dns(enrich_t *en, const struct app_dns_rec *r, uint64_t ts_ns);

/* HOME_NET membership (ip_ver 4: the address is in addr[0..3]). */
bool enrich_is_internal(const enrich_t *en, const struct mm_addr *a, int ip_ver);

/* What is known about one address; strings valid until the next call on en. */
struct enrich_host {
    bool internal;
    bool has_mac;
    uint8_t mac[6];
    const char *vendor;   /* OUI organisation name, or NULL */
    char country[3];      /* ISO 3166 alpha-2, "" when unknown */
    uint32_t asn;         /* 0 when unknown */
    const char *as_org;   /* NULL when unknown */
    const char *names[ENRICH_MAX_NAMES]; /* DNS names seen for the address, newest first */
    size_t n_names;
};

void enrich_lookup(enrich_t *en, const struct mm_addr *a, int ip_ver, struct enrich_host *out);

/*
 * Write the host object as member `key` of the open JSON object:
 *   {"ip": "...", "internal": bool, "mac": "aa:bb:..", "vendor": "...", "country": "JP",
 *    "asn": 64500, "as_org": "...", "dns_names": ["..."]}
 * Members that are unknown are left out.
 */
void enrich_write_host(enrich_t *en, struct jb *jb, const char *key, const struct mm_addr *a,
                       int ip_ver);

/* Vendor of a MAC address from the OUI table, or NULL (also for locally administered MACs). */
const char *enrich_mac_vendor(const enrich_t *en, const uint8_t mac[6]);

struct enrich_stats {
    uint64_t oui_entries;              /* vendors loaded */
    uint64_t geoip_databases;
    uint64_t geoip_lookups, geoip_errors;
    uint64_t mac_entries, mac_evicted; /* IP -> MAC table */
    uint64_t mac_shared;               /* MACs found in front of many addresses (routers) */
    uint64_t mac_shared_skipped;       /* packets not learned from: their MAC is shared */
    uint64_t dns_entries, dns_evicted; /* IP -> names table */
    size_t memuse, memcap;             /* both learned tables */
};
void enrich_get_stats(const enrich_t *en, struct enrich_stats *out);

#endif
