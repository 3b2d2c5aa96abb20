/*
 * Host enrichment (see enrich.h): HOME_NET membership, IP -> MAC learned from Ethernet
 * sources, MAC -> vendor from the IEEE registries (oui.c), country and autonomous system from
 * MaxMind DB files (libmaxminddb), and IP -> names learned from DNS answers.
 *
 * Per packet only enrich_packet runs: a HOME_NET test and, for a packet that opens a TCP
 * connection or is not TCP, a slot of the small shared-MAC table and, unless that MAC is a
 * router's, one hash lookup. Everything else runs when an alert is written.
 * DNS answers are accepted only along the chain that starts at the question (CNAMEs
 * followed), so records a response carries about unrelated names teach nothing.
 */
#include "enrich/enrich.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/lru_table.h"
#include "core/mm.h"
#include "enrich/oui.h"

#define EN_DEFAULT_OUI "/usr/share/ieee-data/oui.csv"
#define EN_DEFAULT_MAC_MEMCAP (4u << 20)
#define EN_DEFAULT_DNS_MEMCAP (16u << 20)

#define EN_MAX_NETS 4096u       /* HOME_NET blocks */
#define EN_NAME_MAX 255u        /* bytes of one DNS name kept (presentation form) */
/* Names of one address, packed: one name of the maximum, or the four newest of usual length
 * (most are under 60 bytes). A name of the maximum displaces the others. Every table entry
 * carries its whole buffer, and new entries are written to cold memory, so its size is both
 * the table's capacity and a cost of each address learned: an address starts in the short
 * table (EN_NAMES_SHORT bytes of names, enough for one or two usual names) and moves to the
 * long one (EN_NAMES_BYTES) when its names outgrow it. What an address keeps is the same
 * either way: the limits are those of EN_NAMES_BYTES. */
#define EN_NAMES_BYTES 256u
#define EN_NAMES_SHORT 108u
/* The long table's share of dns-memcap (1/EN_DNS_LONG_SHARE). */
#define EN_DNS_LONG_SHARE 4u
#define EN_MAX_CNAME_DEPTH 8u   /* CNAMEs followed from the question (resolvers stop near 8) */
#define EN_AS_ORG_MAX 255u

/* Key of both learned tables: the address and its version (the first 17 bytes). */
#define EN_KEY_LEN 17u

struct en_mac_ent {
    uint8_t addr[16];
    uint8_t ip_ver;
    uint8_t mac[6];
    uint64_t seen_ns; /* last packet that confirmed or changed the MAC */
};

/*
 * A source MAC and the internal addresses it was seen with this hour (mac-shared-hosts).
 * A slot is macs_stride bytes: room for as many address keys (the IPv4 address, or a hash
 * of the IPv6 one) as the setting asks, not for ENRICH_MAC_SHARED_MAX.
 */
struct en_macinfo {
    uint8_t mac[6];
    bool used;
    bool shared;     /* reached mac-shared-hosts: a router's (or NAT's), kept until replaced */
    uint32_t hour;   /* of the keys below */
    uint64_t seen_ns;
    uint32_t n_keys;
    uint32_t keys[]; /* distinct address keys, up to mac_shared_hosts */
};

#define EN_MACS_SLOTS 1024u /* MACs tracked at once (a power of two) */
#define EN_MACS_PROBE 8u    /* slots one MAC may occupy, from its hash */
#define EN_NS_PER_HOUR (3600ull * 1000000000ull)

/* An entry of the long table; one of the short table is the same with EN_NAMES_SHORT bytes
 * of names (the code reads both through this type, never past `used`). */
struct en_dns_ent {
    uint8_t addr[16];
    uint8_t ip_ver;
    uint8_t n_names;
    uint16_t used;              /* bytes of names[], NULs included */
    char names[EN_NAMES_BYTES]; /* NUL-terminated names, newest first */
};
#define EN_DNS_SHORT_SIZE (offsetof(struct en_dns_ent, names) + EN_NAMES_SHORT)

struct en_net {
    uint8_t ip_ver;
    uint8_t prefix;
    bool negated;
    uint8_t addr[16]; /* host bits cleared */
};

struct en_geo {
    MMDB_s db;
    bool open;
};

/* An IPv4 block as a mask and the masked network, host order: the test of every address an
 * alert or a detector asks about is a few integer operations per block. */
struct en_net4 {
    uint32_t net, mask;
    bool negated;
};

struct enrich {
    struct en_net *nets;
    size_t n_nets;
    struct en_net4 *nets4; /* the IPv4 blocks of nets, in the same order */
    size_t n_nets4;
    bool any_positive; /* false: only negated blocks, everything else is internal */
    struct enrich_oui *oui;
    struct en_geo geo[ENRICH_MAX_GEOIP];
    size_t n_geo;
    mm_lru_t *mac_tab;
    mm_lru_t *dns_tab;  /* addresses whose names fit EN_NAMES_SHORT bytes */
    mm_lru_t *dns_long; /* the others */
    unsigned char *macs; /* EN_MACS_SLOTS struct en_macinfo, macs_stride bytes apart; NULL
                            without the shared-MAC test */
    size_t macs_stride;
    unsigned mac_shared_hosts;
    uint64_t mac_shared, mac_shared_skipped;
    uint64_t geoip_lookups, geoip_errors;
    char as_org[EN_AS_ORG_MAX + 1]; /* the last lookup's AS organisation */
};

void enrich_config_defaults(struct enrich_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->oui_path = EN_DEFAULT_OUI;
    cfg->mac_memcap = EN_DEFAULT_MAC_MEMCAP;
    cfg->mac_shared_hosts = ENRICH_MAC_SHARED_DEFAULT;
    cfg->dns_memcap = EN_DEFAULT_DNS_MEMCAP;
}

/* --- HOME_NET --------------------------------------------------------------------------- */

static const struct enrich_net en_default_nets[] = {
    {.ip_ver = 4, .prefix = 8, .addr = {10}},
    {.ip_ver = 4, .prefix = 12, .addr = {172, 16}},
    {.ip_ver = 4, .prefix = 16, .addr = {192, 168}},
    {.ip_ver = 4, .prefix = 16, .addr = {169, 254}},
    {.ip_ver = 6, .prefix = 7, .addr = {0xfc}},
    {.ip_ver = 6, .prefix = 10, .addr = {0xfe, 0x80}},
};

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned prefix)
{
    unsigned full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, net, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xffu << (8 - rest));
    return (a[full] & mask) == net[full];
}

static uint32_t en_v4(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int nets_init(enrich_t *en, const struct enrich_config *cfg, char *err, size_t errlen)
{
    const struct enrich_net *src = cfg->home_net;
    size_t n = cfg->n_home_net;
    if (n == 0 || !src) {
        src = en_default_nets;
        n = MM_ARRAY_LEN(en_default_nets);
    }
    if (n > EN_MAX_NETS) {
        snprintf(err, errlen, "HOME_NET: %zu blocks, at most %u", n, EN_MAX_NETS);
        return MM_EINVAL;
    }
    en->nets = calloc(n, sizeof *en->nets);
    en->nets4 = calloc(n, sizeof *en->nets4);
    if (!en->nets || !en->nets4) {
        snprintf(err, errlen, "out of memory");
        return MM_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const struct enrich_net *s = &src[i];
        unsigned maxp = s->ip_ver == 4 ? 32 : 128;
        if ((s->ip_ver != 4 && s->ip_ver != 6) || s->prefix > maxp) {
            snprintf(err, errlen, "HOME_NET block %zu: IP version %u, prefix /%u", i + 1,
                     s->ip_ver, s->prefix);
            return MM_EINVAL;
        }
        struct en_net *d = &en->nets[i];
        d->ip_ver = s->ip_ver;
        d->prefix = s->prefix;
        d->negated = s->negated;
        /* Clear the host bits so a match is a plain prefix comparison. */
        for (unsigned b = 0; b < maxp / 8; b++) {
            unsigned bits = s->prefix > b * 8 ? s->prefix - b * 8 : 0;
            uint8_t mask = (uint8_t)(bits >= 8 ? 0xffu : 0xffu << (8 - bits));
            d->addr[b] = s->addr[b] & mask;
        }
        if (!d->negated)
            en->any_positive = true;
        if (d->ip_ver == 4) {
            struct en_net4 *d4 = &en->nets4[en->n_nets4++];
            d4->mask = d->prefix ? 0xffffffffu << (32 - d->prefix) : 0;
            d4->net = en_v4(d->addr) & d4->mask;
            d4->negated = d->negated;
        }
    }
    en->n_nets = n;
    return 0;
}

static bool nets_match(const struct en_net *nets, size_t n, bool any_positive, const uint8_t *a,
                       int ip_ver)
{
    bool in = !any_positive;
    for (size_t i = 0; i < n; i++) {
        const struct en_net *b = &nets[i];
        if (b->ip_ver != ip_ver || !prefix_match(a, b->addr, b->prefix))
            continue;
        if (b->negated)
            return false; /* an excluded block wins over every included one */
        in = true;
    }
    return in;
}

bool enrich_is_internal(const enrich_t *en, const struct mm_addr *a, int ip_ver)
{
    if (ip_ver != 4 && ip_ver != 6)
        return false;
    if (ip_ver == 6) {
        /* An IPv4-mapped address (::ffff:a.b.c.d, dual-stack sockets) is that IPv4 host. */
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (!memcmp(a->b, mapped, sizeof mapped)) {
            struct mm_addr v4;
            memset(&v4, 0, sizeof v4);
            memcpy(v4.b, a->b + 12, 4);
            return enrich_is_internal(en, &v4, 4);
        }
    }
    if (!en) {
        /* Without a context: the default blocks. */
        for (size_t i = 0; i < MM_ARRAY_LEN(en_default_nets); i++)
            if (en_default_nets[i].ip_ver == ip_ver &&
                prefix_match(a->b, en_default_nets[i].addr, en_default_nets[i].prefix))
                return true;
        return false;
    }
    if (ip_ver == 4) {
        uint32_t v = en_v4(a->b);
        bool in = !en->any_positive;
        for (size_t i = 0; i < en->n_nets4; i++) {
            const struct en_net4 *b = &en->nets4[i];
            if ((v & b->mask) != b->net)
                continue;
            if (b->negated)
                return false; /* an excluded block wins over every included one */
            in = true;
        }
        return in;
    }
    return nets_match(en->nets, en->n_nets, en->any_positive, a->b, ip_ver);
}

/* --- OUI ------------------------------------------------------------------------------- */

/* The MA-M, MA-S and IAB files ieee-data installs beside oui.csv, used when present. */
static const char *const en_oui_siblings[] = {"mam.csv", "oui36.csv", "iab.csv"};

static int oui_init(enrich_t *en, const struct enrich_config *cfg, char *err, size_t errlen)
{
    const char *path = cfg->oui_path;
    if (!path || !*path)
        return 0;
    bool is_default = !strcmp(path, EN_DEFAULT_OUI);
    en->oui = enrich_oui_new();
    if (!en->oui) {
        snprintf(err, errlen, "out of memory");
        return MM_ENOMEM;
    }
    struct enrich_oui_result res = {0};
    errno = 0;
    int rc = enrich_oui_load_file(en->oui, path, &res);
    if (rc == MM_EIO && is_default) {
        log_warn("OUI registry %s: %s; MAC vendors are not shown (install ieee-data)", path,
                 strerror(errno));
        enrich_oui_free(en->oui);
        en->oui = NULL;
        return 0;
    }
    if (rc) {
        snprintf(err, errlen, "OUI registry %s: %s", path,
                 rc == MM_EIO && errno ? strerror(errno) : mm_strerror(rc));
        return rc;
    }
    if (res.added == 0) {
        snprintf(err, errlen, "OUI registry %s: no MA-L/MA-M/MA-S entries (%llu records)", path,
                 (unsigned long long)res.records);
        return MM_EFORMAT;
    }
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(en_oui_siblings); i++) {
        char sib[4096];
        int w = snprintf(sib, sizeof sib, "%.*s%s", (int)dirlen, path, en_oui_siblings[i]);
        if (w < 0 || (size_t)w >= sizeof sib || !strcmp(sib, path))
            continue;
        errno = 0;
        rc = enrich_oui_load_file(en->oui, sib, &res);
        if (rc == MM_EIO && errno == ENOENT)
            continue;
        if (rc == MM_ENOMEM) {
            snprintf(err, errlen, "OUI registry %s: out of memory", sib);
            return rc;
        }
        if (rc)
            log_warn("OUI registry %s: %s; skipped", sib,
                     rc == MM_EIO && errno ? strerror(errno) : mm_strerror(rc));
    }
    enrich_oui_finish(en->oui);
    if (res.rejected)
        log_info("OUI registries: %zu vendor prefixes loaded, %llu records skipped",
                 enrich_oui_count(en->oui), (unsigned long long)res.rejected);
    return 0;
}

const char *enrich_mac_vendor(const enrich_t *en, const uint8_t mac[6])
{
    return en ? enrich_oui_lookup(en->oui, mac) : NULL;
}

/* --- GeoIP ----------------------------------------------------------------------------- */

/* Whether a database's type suggests it has a field we read (a hint for a warning only). */
static bool geo_type_useful(const char *type)
{
    static const char *const hints[] = {"City", "Country", "ASN", "ISP", "Enterprise"};
    if (!type)
        return false;
    for (size_t i = 0; i < MM_ARRAY_LEN(hints); i++)
        if (strstr(type, hints[i]))
            return true;
    return false;
}

/* Distinct data records decoded when a database is opened: enough to catch a file whose
 * records are systematically undecodable, at a few milliseconds for any size of database. */
#define EN_GEO_VERIFY_RECORDS 4096u

/*
 * libmaxminddb checks a database's metadata when it opens it, but not its search tree or
 * data section. Walk every node of the tree (node_count reads, bounded by the file size) and
 * decode the first EN_GEO_VERIFY_RECORDS distinct records it points to, so a damaged file is
 * refused at start with a clear message instead of answering with errors later. Returns 0 or
 * MM_EFORMAT with err filled.
 */
static int geo_verify(MMDB_s *db, const char *path, char *err, size_t errlen)
{
    enum { SLOTS = 2 * EN_GEO_VERIFY_RECORDS };
    uint32_t *seen = calloc(SLOTS, sizeof *seen); /* offset + 1 of records decoded; 0 = free */
    if (!seen) {
        snprintf(err, errlen, "out of memory");
        return MM_ENOMEM;
    }
    size_t decoded = 0;
    int rc = 0;
    for (uint32_t n = 0; n < db->metadata.node_count && rc == 0; n++) {
        MMDB_search_node_s node;
        int st = MMDB_read_node(db, n, &node);
        if (st != MMDB_SUCCESS) {
            snprintf(err, errlen, "GeoIP database %s: search tree node %u: %s", path, n,
                     MMDB_strerror(st));
            rc = MM_EFORMAT;
            break;
        }
        const uint8_t types[2] = {node.left_record_type, node.right_record_type};
        MMDB_entry_s *entries[2] = {&node.left_record_entry, &node.right_record_entry};
        for (int k = 0; k < 2 && rc == 0; k++) {
            if (types[k] == MMDB_RECORD_TYPE_INVALID) {
                snprintf(err, errlen,
                         "GeoIP database %s: corrupt search tree (node %u points outside the "
                         "file)",
                         path, n);
                rc = MM_EFORMAT;
                break;
            }
            if (types[k] != MMDB_RECORD_TYPE_DATA || decoded >= EN_GEO_VERIFY_RECORDS)
                continue;
            uint32_t off = entries[k]->offset;
            size_t slot = (off * 0x9e3779b1u) % SLOTS;
            while (seen[slot] && seen[slot] != off + 1)
                slot = (slot + 1) % SLOTS;
            if (seen[slot])
                continue;
            seen[slot] = off + 1;
            decoded++;
            MMDB_entry_data_list_s *list = NULL;
            st = MMDB_get_entry_data_list(entries[k], &list);
            MMDB_free_entry_data_list(list);
            if (st != MMDB_SUCCESS) {
                snprintf(err, errlen, "GeoIP database %s: data record at offset %u: %s", path,
                         off, MMDB_strerror(st));
                rc = st == MMDB_OUT_OF_MEMORY_ERROR ? MM_ENOMEM : MM_EFORMAT;
            }
        }
    }
    free(seen);
    return rc;
}

static int geo_init(enrich_t *en, const struct enrich_config *cfg, char *err, size_t errlen)
{
    if (cfg->n_geoip > ENRICH_MAX_GEOIP) {
        snprintf(err, errlen, "%zu GeoIP databases, at most %d", cfg->n_geoip, ENRICH_MAX_GEOIP);
        return MM_EINVAL;
    }
    for (size_t i = 0; i < cfg->n_geoip; i++) {
        const char *path = cfg->geoip_paths[i];
        if (!path || !*path) {
            snprintf(err, errlen, "GeoIP database %zu: empty path", i + 1);
            return MM_EINVAL;
        }
        struct en_geo *g = &en->geo[en->n_geo];
        errno = 0;
        int st = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
        if (st != MMDB_SUCCESS) {
            if (st == MMDB_IO_ERROR && errno)
                snprintf(err, errlen, "GeoIP database %s: %s: %s", path, MMDB_strerror(st),
                         strerror(errno));
            else
                snprintf(err, errlen, "GeoIP database %s: %s", path, MMDB_strerror(st));
            return st == MMDB_OUT_OF_MEMORY_ERROR ? MM_ENOMEM
                   : st == MMDB_FILE_OPEN_ERROR || st == MMDB_IO_ERROR ? MM_EIO
                                                                        : MM_EFORMAT;
        }
        g->open = true;
        en->n_geo++;
        int vrc = geo_verify(&g->db, path, err, errlen);
        if (vrc)
            return vrc;
        const char *type = g->db.metadata.database_type;
        if (!geo_type_useful(type))
            log_warn("GeoIP database %s (type %s): mamori reads country and autonomous system "
                     "fields, which this type may not have",
                     path, type ? type : "unknown");
    }
    return 0;
}

/* An entry's string value at path, or NULL; *bad set when the database is broken there. */
static const char *geo_string(MMDB_entry_s *e, const char *const *path, uint32_t *len,
                              bool *bad)
{
    MMDB_entry_data_s d;
    int st = MMDB_aget_value(e, &d, path);
    if (st != MMDB_SUCCESS) {
        /* A path through a value of another type is the data's shape, not damage. */
        if (st != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
            *bad = true;
        return NULL;
    }
    if (!d.has_data || d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return NULL;
    *len = d.data_size;
    return d.utf8_string;
}

static uint32_t geo_uint(MMDB_entry_s *e, const char *const *path, bool *bad)
{
    MMDB_entry_data_s d;
    int st = MMDB_aget_value(e, &d, path);
    if (st != MMDB_SUCCESS) {
        if (st != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
            *bad = true;
        return 0;
    }
    if (!d.has_data)
        return 0;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT16:
        return d.uint16;
    case MMDB_DATA_TYPE_UINT32:
        return d.uint32;
    case MMDB_DATA_TYPE_UINT64:
        return d.uint64 <= UINT32_MAX ? (uint32_t)d.uint64 : 0;
    default:
        return 0;
    }
}

static bool is_upper_alpha(char c)
{
    return c >= 'A' && c <= 'Z';
}

/* Fill country / asn / as_org from every database, each for what the others lacked. */
static void geo_lookup(enrich_t *en, const struct mm_addr *a, int ip_ver, struct enrich_host *h)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (ip_ver == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, a->b, 4);
    } else if (ip_ver == 6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, a->b, 16);
    } else {
        return;
    }
    static const char *const p_country[] = {"country", "iso_code", NULL};
    static const char *const p_asn[] = {"autonomous_system_number", NULL};
    static const char *const p_tr_asn[] = {"traits", "autonomous_system_number", NULL};
    static const char *const p_org[] = {"autonomous_system_organization", NULL};
    static const char *const p_tr_org[] = {"traits", "autonomous_system_organization", NULL};

    for (size_t i = 0; i < en->n_geo; i++) {
        if (h->country[0] && h->asn && h->as_org)
            break;
        int mmerr = MMDB_SUCCESS;
        en->geoip_lookups++;
        MMDB_lookup_result_s r =
            MMDB_lookup_sockaddr(&en->geo[i].db, (const struct sockaddr *)(void *)&ss, &mmerr);
        if (mmerr == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
            continue; /* an IPv4-only database has nothing to say about IPv6 */
        if (mmerr != MMDB_SUCCESS) {
            en->geoip_errors++;
            continue;
        }
        if (!r.found_entry)
            continue;
        /* Decode the whole record first: a damaged one is counted and not used, rather
         * than trusted for the fields that happen to decode. */
        MMDB_entry_data_list_s *list = NULL;
        int dst = MMDB_get_entry_data_list(&r.entry, &list);
        MMDB_free_entry_data_list(list);
        if (dst != MMDB_SUCCESS) {
            en->geoip_errors++;
            continue;
        }
        bool bad = false;
        if (!h->country[0]) {
            uint32_t n = 0;
            const char *c = geo_string(&r.entry, p_country, &n, &bad);
            if (c && n == 2 && is_upper_alpha(c[0]) && is_upper_alpha(c[1])) {
                h->country[0] = c[0];
                h->country[1] = c[1];
                h->country[2] = 0;
            }
        }
        if (!h->asn) {
            h->asn = geo_uint(&r.entry, p_asn, &bad);
            if (!h->asn)
                h->asn = geo_uint(&r.entry, p_tr_asn, &bad);
        }
        if (!h->as_org) {
            uint32_t n = 0;
            const char *o = geo_string(&r.entry, p_org, &n, &bad);
            if (!o)
                o = geo_string(&r.entry, p_tr_org, &n, &bad);
            if (o && n > 0) {
                size_t k = MM_MIN((size_t)n, (size_t)EN_AS_ORG_MAX);
                /* Cut at a character boundary: a split UTF-8 sequence would be escaped. */
                while (k < n && k > 0 && ((unsigned char)o[k] & 0xc0) == 0x80)
                    k--;
                memcpy(en->as_org, o, k);
                en->as_org[k] = 0;
                h->as_org = en->as_org;
            }
        }
        if (bad)
            en->geoip_errors++;
    }
}

/* --- lifecycle ------------------------------------------------------------------------- */

enrich_t *enrich_new(const struct enrich_config *cfg, char *err, size_t errlen)
{
    char scratch[8];
    if (!err || errlen == 0) {
        err = scratch;
        errlen = sizeof scratch;
    }
    err[0] = 0;
    enrich_t *en = calloc(1, sizeof(*en));
    if (!en) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (nets_init(en, cfg, err, errlen) || oui_init(en, cfg, err, errlen) ||
        geo_init(en, cfg, err, errlen))
        goto fail;

    struct mm_lru_cfg mc = {
        .name = "enrich.mac",
        .memcap_bytes = cfg->mac_memcap,
        .entry_size = sizeof(struct en_mac_ent),
        .key_len = EN_KEY_LEN,
    };
    size_t long_cap = cfg->dns_memcap / EN_DNS_LONG_SHARE;
    struct mm_lru_cfg dc = {
        .name = "enrich.dns",
        .memcap_bytes = cfg->dns_memcap - long_cap,
        .entry_size = EN_DNS_SHORT_SIZE,
        .key_len = EN_KEY_LEN,
    };
    struct mm_lru_cfg dlc = {
        .name = "enrich.dns-long",
        .memcap_bytes = long_cap,
        .entry_size = sizeof(struct en_dns_ent),
        .key_len = EN_KEY_LEN,
    };
    /* A memcap of 0 would mean unlimited to the table: traffic must not grow memory
     * without bound, so 0 turns the table off instead. */
    if (cfg->mac_memcap) {
        en->mac_tab = mm_lru_new(&mc);
        if (!en->mac_tab) {
            snprintf(err, errlen, "enrichment mac-memcap %zu bytes: too small or out of memory",
                     cfg->mac_memcap);
            goto fail;
        }
    }
    if (cfg->mac_shared_hosts > ENRICH_MAC_SHARED_MAX || cfg->mac_shared_hosts == 1) {
        snprintf(err, errlen, "enrichment mac-shared-hosts %u: 0 (off) or 2 to %u",
                 cfg->mac_shared_hosts, ENRICH_MAC_SHARED_MAX);
        goto fail;
    }
    if (en->mac_tab && cfg->mac_shared_hosts) {
        en->mac_shared_hosts = cfg->mac_shared_hosts;
        en->macs_stride = (sizeof(struct en_macinfo) + cfg->mac_shared_hosts * sizeof(uint32_t) +
                           7) & ~(size_t)7;
        en->macs = calloc(EN_MACS_SLOTS, en->macs_stride);
        if (!en->macs) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
    }
    if (cfg->dns_memcap) {
        en->dns_tab = mm_lru_new(&dc);
        en->dns_long = en->dns_tab ? mm_lru_new(&dlc) : NULL;
        if (!en->dns_tab || !en->dns_long) {
            snprintf(err, errlen, "enrichment dns-memcap %zu bytes: too small or out of memory",
                     cfg->dns_memcap);
            goto fail;
        }
    }
    return en;
fail:
    enrich_free(en);
    return NULL;
}

void enrich_free(enrich_t *en)
{
    if (!en)
        return;
    for (size_t i = 0; i < en->n_geo; i++)
        if (en->geo[i].open)
            MMDB_close(&en->geo[i].db);
    enrich_oui_free(en->oui);
    mm_lru_free(en->mac_tab);
    mm_lru_free(en->dns_tab);
    mm_lru_free(en->dns_long);
    free(en->macs);
    free(en->nets);
    free(en->nets4);
    free(en);
}

/* --- shared MACs ----------------------------------------------------------------------- */

static struct en_macinfo *macinfo_at(const enrich_t *en, size_t slot)
{
    return (struct en_macinfo *)(void *)(en->macs + slot * en->macs_stride);
}

static size_t macinfo_home(const uint8_t mac[6])
{
    uint64_t h = 0;
    memcpy(&h, mac, 6);
    h *= 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 40) & (EN_MACS_SLOTS - 1);
}

/* The slot of mac, or NULL when it is not tracked. */
static struct en_macinfo *macinfo_find(const enrich_t *en, const uint8_t mac[6])
{
    size_t home = macinfo_home(mac);
    for (size_t i = 0; i < EN_MACS_PROBE; i++) {
        struct en_macinfo *mi = macinfo_at(en, (home + i) & (EN_MACS_SLOTS - 1));
        if (!mi->used)
            return NULL; /* slots are never freed, and a MAC takes the first free one */
        if (!memcmp(mi->mac, mac, 6))
            return mi;
    }
    return NULL;
}

/* The slot of mac, made if new: a free one of its probe window, else the one seen longest
 * ago, routers last (a segment with more MACs than slots loses hosts' slots first). */
static struct en_macinfo *macinfo_get(enrich_t *en, const uint8_t mac[6], uint64_t now_ns)
{
    size_t home = macinfo_home(mac);
    struct en_macinfo *victim = NULL;
    for (size_t i = 0; i < EN_MACS_PROBE; i++) {
        struct en_macinfo *mi = macinfo_at(en, (home + i) & (EN_MACS_SLOTS - 1));
        if (!mi->used) {
            victim = mi; /* the MAC is not further on (see macinfo_find) */
            break;
        }
        if (!memcmp(mi->mac, mac, 6))
            return mi;
        if (!victim || (victim->shared && !mi->shared) ||
            (victim->shared == mi->shared && mi->seen_ns < victim->seen_ns))
            victim = mi;
    }
    if (victim->used && victim->shared)
        en->mac_shared--; /* a router's slot taken: it is counted again if it shows again */
    memset(victim, 0, en->macs_stride);
    memcpy(victim->mac, mac, 6);
    victim->used = true;
    victim->hour = (uint32_t)(now_ns / EN_NS_PER_HOUR);
    return victim;
}

/* Count the packet's source address for its MAC; true when the MAC is (now) shared. */
static bool macinfo_count(enrich_t *en, struct en_macinfo *mi, const struct mm_addr *a,
                          int ip_ver, uint64_t now_ns)
{
    if (now_ns > mi->seen_ns)
        mi->seen_ns = now_ns;
    if (mi->shared)
        return true;
    uint32_t hour = (uint32_t)(now_ns / EN_NS_PER_HOUR);
    if (hour != mi->hour) {
        /* A host collects addresses over time (DHCP renewals, IPv6 privacy addresses): only
         * the addresses of one hour count together. */
        mi->hour = hour;
        mi->n_keys = 0;
    }
    uint32_t key;
    if (ip_ver == 4) {
        key = en_v4(a->b);
    } else {
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t i = 0; i < 16; i++)
            h = (h ^ a->b[i]) * 0x100000001b3ull;
        key = (uint32_t)(h ^ h >> 32);
    }
    for (uint32_t i = 0; i < mi->n_keys; i++)
        if (mi->keys[i] == key)
            return false;
    mi->keys[mi->n_keys++] = key;
    if (mi->n_keys < en->mac_shared_hosts)
        return false;
    mi->shared = true;
    en->mac_shared++;
    return true;
}

/* --- MAC learning ---------------------------------------------------------------------- */

static void key_of(uint8_t key[EN_KEY_LEN], const struct mm_addr *a, int ip_ver)
{
    memcpy(key, a->b, 16);
    key[16] = (uint8_t)ip_ver;
}

void enrich_packet(enrich_t *en, const struct packet *p)
{
    if (!en->mac_tab || !p->mac_src || p->tunnel_depth != 0)
        return;
    if (p->ip_ver != 4 && p->ip_ver != 6)
        return;
    /* A TCP connection shows the host's MAC in its SYN (client) or SYN-ACK (server); the
     * rest of the connection repeats it. Skipping the other segments keeps the hash lookup
     * off the bulk of the traffic. */
    if (p->proto == 6 && (p->flags & PKT_F_L4) && !(p->tcp_flags & TCP_SYN))
        return;
    const uint8_t *m = p->mac_src;
    /* Group addresses (broadcast, multicast) never name one NIC; all zero is no address. */
    if ((m[0] & 0x01) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]))
        return;
    if (!enrich_is_internal(en, &p->src, p->ip_ver))
        return;
    /* A MAC in front of many internal addresses is a router's (hosts on another subnet
     * reach the monitored link through it), a NAT gateway's or the like: it names none of
     * them. Their addresses are not learned (nor is that MAC reported for addresses learned
     * before it showed). The small slot table stays in cache, so on a routed link, where
     * most packets come through one or two MACs, this is also cheaper than the learning. */
    if (en->macs) {
        struct en_macinfo *mi = macinfo_get(en, m, p->ts_ns);
        if (macinfo_count(en, mi, &p->src, p->ip_ver, p->ts_ns)) {
            en->mac_shared_skipped++;
            return;
        }
    }
    uint8_t key[EN_KEY_LEN];
    key_of(key, &p->src, p->ip_ver);
    struct en_mac_ent *e = mm_lru_lookup(en->mac_tab, key);
    if (!e) {
        e = mm_lru_insert(en->mac_tab, key, p->ts_ns);
        if (!e)
            return;
    } else {
        mm_lru_touch(en->mac_tab, e); /* active hosts are the last to be taken over */
    }
    if (memcmp(e->mac, m, 6) != 0)
        memcpy(e->mac, m, 6);
    e->seen_ns = p->ts_ns;
}

/* --- passive DNS ----------------------------------------------------------------------- */

/* A name of the answer chain: its text in the message and a case-folded hash. */
struct en_chain_name {
    const char *s;
    size_t len;
    uint64_t h;
};

static char lc(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static uint64_t name_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)lc(s[i]);
        h *= 0x100000001b3ull;
    }
    return h;
}

static bool name_eq(const struct en_chain_name *a, const struct en_chain_name *b)
{
    if (a->h != b->h || a->len != b->len)
        return false;
    if (memcmp(a->s, b->s, a->len) == 0)
        return true; /* the usual case: the same bytes (an answer repeats the question) */
    for (size_t i = 0; i < a->len; i++)
        if (lc(a->s[i]) != lc(b->s[i]))
            return false;
    return true;
}

static struct en_chain_name chain_name(const char *s, size_t cap)
{
    struct en_chain_name n = {.s = s};
    const char *z = memchr(s, 0, cap);
    n.len = z ? (size_t)(z - s) : cap;
    n.h = name_hash(s, n.len);
    return n;
}

static bool chain_has(const struct en_chain_name *chain, size_t n, const struct en_chain_name *x)
{
    for (size_t i = 0; i < n; i++)
        if (name_eq(&chain[i], x))
            return true;
    return false;
}

/* Remove the name at off (length len, without its NUL) from the packed list. */
static void names_remove(struct en_dns_ent *e, size_t off, size_t len)
{
    size_t end = off + len + 1;
    memmove(e->names + off, e->names + end, e->used - end);
    e->used = (uint16_t)(e->used - (len + 1));
    e->n_names--;
}

/*
 * Make name (lower-cased) the newest of the entry's names, e having room for cap bytes of
 * names. The names dropped to make room are those an EN_NAMES_BYTES entry drops; false when
 * the result does not fit cap bytes (e then holds the names that stay, without the new one:
 * the caller moves them to a long entry and adds it there).
 */
static bool names_add(struct en_dns_ent *e, size_t cap, const char *name, size_t len)
{
    /* Already known: take it out, it goes to the front. */
    size_t off = 0;
    for (unsigned i = 0; i < e->n_names && off < e->used; i++) {
        size_t l = strlen(e->names + off);
        if (l == len) {
            bool same = true;
            for (size_t k = 0; k < len && same; k++)
                same = e->names[off + k] == lc(name[k]);
            if (same) {
                names_remove(e, off, l);
                break;
            }
        }
        off += l + 1;
    }
    /* Drop the oldest names until the new one fits and the count is within the limit. */
    while (e->n_names > 0 &&
           (e->n_names >= ENRICH_MAX_NAMES || e->used + len + 1 > EN_NAMES_BYTES)) {
        size_t last = 0, o = 0;
        for (unsigned i = 0; i < e->n_names; i++) {
            last = o;
            o += strlen(e->names + o) + 1;
        }
        names_remove(e, last, strlen(e->names + last));
    }
    if (e->used + len + 1 > cap)
        return false;
    memmove(e->names + len + 1, e->names, e->used);
    for (size_t k = 0; k < len; k++)
        e->names[k] = lc(name[k]);
    e->names[len] = 0;
    e->used = (uint16_t)(e->used + len + 1);
    e->n_names++;
    return true;
}

static void dns_learn(enrich_t *en, const struct mm_addr *a, int ip_ver,
                      const struct en_chain_name *name, uint64_t ts_ns)
{
    if (name->len == 0 || name->len > EN_NAME_MAX)
        return; /* the root, or a name we would have to cut */
    if (name->len == 1 && name->s[0] == '.')
        return;
    uint8_t key[EN_KEY_LEN];
    key_of(key, a, ip_ver);
    struct en_dns_ent *e = mm_lru_lookup(en->dns_tab, key);
    if (e) {
        mm_lru_touch(en->dns_tab, e);
        if (names_add(e, EN_NAMES_SHORT, name->s, name->len))
            return;
        /* Outgrown: the names it keeps, and the new one, go to a long entry (when not even
         * one fits, the short entry stays as it is, without the new name). */
        struct en_dns_ent *l = mm_lru_insert(en->dns_long, key, ts_ns);
        if (!l)
            return;
        l->n_names = e->n_names;
        l->used = e->used;
        memcpy(l->names, e->names, e->used);
        (void)names_add(l, EN_NAMES_BYTES, name->s, name->len);
        mm_lru_remove(en->dns_tab, e);
        return;
    }
    if ((e = mm_lru_lookup(en->dns_long, key)) != NULL) {
        mm_lru_touch(en->dns_long, e);
        (void)names_add(e, EN_NAMES_BYTES, name->s, name->len);
        return;
    }
    bool small = name->len + 1 <= EN_NAMES_SHORT;
    if (!(e = mm_lru_insert(small ? en->dns_tab : en->dns_long, key, ts_ns)))
        return;
    (void)names_add(e, small ? EN_NAMES_SHORT : EN_NAMES_BYTES, name->s, name->len);
}

static bool ends_with_ci(const char *s, size_t len, const char *suffix, size_t *stem)
{
    size_t sl = strlen(suffix);
    if (len < sl)
        return false;
    for (size_t i = 0; i < sl; i++)
        if (lc(s[len - sl + i]) != suffix[i])
            return false;
    *stem = len - sl;
    return true;
}

/*
 * The address of a reverse name: "4.3.2.1.in-addr.arpa" -> 1.2.3.4, or 32 nibble labels
 * under "ip6.arpa". Anything else (partial names, RFC 2317 delegations) is not an address.
 */
static bool reverse_addr(const struct en_chain_name *n, struct mm_addr *a, int *ip_ver)
{
    size_t stem;
    memset(a, 0, sizeof *a);
    if (ends_with_ci(n->s, n->len, ".in-addr.arpa", &stem)) {
        unsigned octet = 4, val = 0, digits = 0;
        for (size_t i = 0; i <= stem; i++) {
            char c = i < stem ? n->s[i] : '.';
            if (c >= '0' && c <= '9' && digits < 3) {
                val = val * 10 + (unsigned)(c - '0');
                digits++;
            } else if (c == '.' && digits > 0 && val <= 255 && octet > 0) {
                a->b[--octet] = (uint8_t)val;
                val = digits = 0;
            } else {
                return false;
            }
        }
        *ip_ver = 4;
        return octet == 0;
    }
    if (ends_with_ci(n->s, n->len, ".ip6.arpa", &stem)) {
        if (stem != 63)
            return false;
        for (size_t i = 0; i < 32; i++) {
            char c = lc(n->s[2 * i]);
            int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (v < 0 || (i < 31 && n->s[2 * i + 1] != '.'))
                return false;
            unsigned nib = 31 - (unsigned)i; /* the first label is the lowest nibble */
            a->b[nib / 2] |= (uint8_t)(nib % 2 ? v : v << 4);
        }
        *ip_ver = 6;
        return true;
    }
    return false;
}

void enrich_dns(enrich_t *en, const struct app_dns_rec *r, uint64_t ts_ns)
{
    if (!en->dns_tab || !en->dns_long || !r || !r->msg)
        return;
    const struct dns_msg *m = r->msg;
    /* Only successful answers to standard queries name addresses. */
    if (!m->qr || m->opcode != 0 || m->rcode != 0 || m->n_questions == 0)
        return;

    /* The chain: the question's name, then each CNAME target reached from it. */
    struct en_chain_name chain[1 + EN_MAX_CNAME_DEPTH];
    size_t n_chain = 0;
    chain[n_chain++] = chain_name(m->q[0].name, sizeof m->q[0].name);
    struct en_chain_name owner[DNS_MAX_RRS];
    size_t n_rrs = MM_MIN((size_t)m->n_rrs, (size_t)DNS_MAX_RRS);
    for (size_t i = 0; i < n_rrs; i++)
        owner[i] = chain_name(m->rr[i].name, sizeof m->rr[i].name);
    bool used[DNS_MAX_RRS] = {false};
    for (unsigned pass = 0; pass < EN_MAX_CNAME_DEPTH; pass++) {
        bool grew = false;
        for (size_t i = 0; i < n_rrs && n_chain < MM_ARRAY_LEN(chain); i++) {
            const struct dns_rr *rr = &m->rr[i];
            if (used[i] || rr->section != 1 || rr->type != 5 || rr->rdata_truncated)
                continue;
            if (!chain_has(chain, n_chain, &owner[i]))
                continue;
            used[i] = true;
            struct en_chain_name t = chain_name(rr->rdata, sizeof rr->rdata);
            if (!chain_has(chain, n_chain, &t)) {
                chain[n_chain++] = t;
                grew = true;
            }
        }
        if (!grew)
            break;
    }

    for (size_t i = 0; i < n_rrs; i++) {
        const struct dns_rr *rr = &m->rr[i];
        if (rr->section != 1 || rr->rdata_truncated || !chain_has(chain, n_chain, &owner[i]))
            continue;
        struct mm_addr a;
        memset(&a, 0, sizeof a);
        if (rr->type == 1 || rr->type == 28) { /* A, AAAA */
            if (!rr->has_addr)
                continue;
            int ver = rr->type == 1 ? 4 : 6;
            memcpy(a.b, rr->addr, ver == 4 ? 4 : 16);
            /* Older first: the question's name ends up the newest, the name a person
             * looked for rather than a CDN's. */
            if (!name_eq(&owner[i], &chain[0]))
                dns_learn(en, &a, ver, &owner[i], ts_ns);
            dns_learn(en, &a, ver, &chain[0], ts_ns);
        } else if (rr->type == 12) { /* PTR */
            int ver = 0;
            /* The question names the address even when a CNAME (RFC 2317) moved the PTR. */
            if (!reverse_addr(&chain[0], &a, &ver) && !reverse_addr(&owner[i], &a, &ver))
                continue;
            struct en_chain_name t = chain_name(rr->rdata, sizeof rr->rdata);
            dns_learn(en, &a, ver, &t, ts_ns);
        }
    }
}

/* --- lookup and output ----------------------------------------------------------------- */

void enrich_lookup(enrich_t *en, const struct mm_addr *a, int ip_ver, struct enrich_host *out)
{
    memset(out, 0, sizeof(*out));
    out->internal = enrich_is_internal(en, a, ip_ver);
    if (!en || (ip_ver != 4 && ip_ver != 6))
        return;
    uint8_t key[EN_KEY_LEN];
    key_of(key, a, ip_ver);
    if (en->mac_tab) {
        const struct en_mac_ent *e = mm_lru_lookup(en->mac_tab, key);
        const struct en_macinfo *mi = e && en->macs ? macinfo_find(en, e->mac) : NULL;
        if (e && !(mi && mi->shared)) {
            out->has_mac = true;
            memcpy(out->mac, e->mac, 6);
            out->vendor = enrich_oui_lookup(en->oui, e->mac);
        }
    }
    geo_lookup(en, a, ip_ver, out);
    if (en->dns_tab) {
        const struct en_dns_ent *e = mm_lru_lookup(en->dns_tab, key);
        if (!e)
            e = mm_lru_lookup(en->dns_long, key);
        if (e) {
            size_t off = 0;
            for (unsigned i = 0; i < e->n_names && off < e->used && i < ENRICH_MAX_NAMES; i++) {
                out->names[out->n_names++] = e->names + off;
                off += strlen(e->names + off) + 1;
            }
        }
    }
}

void enrich_write_host(enrich_t *en, struct jb *jb, const char *key, const struct mm_addr *a,
                       int ip_ver)
{
    if (ip_ver != 4 && ip_ver != 6)
        return;
    struct enrich_host h;
    enrich_lookup(en, a, ip_ver, &h);
    char ip[64];
    jb_open_object(jb, key);
    jb_string(jb, "ip", dec_addr_str(a, ip_ver, ip, sizeof(ip)));
    jb_bool(jb, "internal", h.internal);
    if (h.has_mac) {
        char mac[18];
        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", h.mac[0], h.mac[1], h.mac[2],
                 h.mac[3], h.mac[4], h.mac[5]);
        jb_string(jb, "mac", mac);
        if (h.vendor)
            jb_string(jb, "vendor", h.vendor);
    }
    if (h.country[0])
        jb_string(jb, "country", h.country);
    if (h.asn)
        jb_uint(jb, "asn", h.asn);
    if (h.as_org)
        jb_string(jb, "as_org", h.as_org);
    if (h.n_names) {
        jb_open_array(jb, "dns_names");
        for (size_t i = 0; i < h.n_names; i++)
            jb_string(jb, NULL, h.names[i]);
        jb_close_array(jb);
    }
    jb_close_object(jb);
}

void enrich_get_stats(const enrich_t *en, struct enrich_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!en)
        return;
    struct mm_lru_stats ms, ds, dl;
    mm_lru_get_stats(en->mac_tab, &ms);
    mm_lru_get_stats(en->dns_tab, &ds);
    mm_lru_get_stats(en->dns_long, &dl);
    ds.entries += dl.entries;
    ds.evicted += dl.evicted;
    ds.memuse += dl.memuse;
    ds.memcap += dl.memcap;
    out->oui_entries = enrich_oui_count(en->oui);
    out->geoip_databases = en->n_geo;
    out->geoip_lookups = en->geoip_lookups;
    out->geoip_errors = en->geoip_errors;
    out->mac_entries = ms.entries;
    out->mac_evicted = ms.evicted;
    out->mac_shared = en->mac_shared;
    out->mac_shared_skipped = en->mac_shared_skipped;
    out->dns_entries = ds.entries;
    out->dns_evicted = ds.evicted;
    size_t macs_bytes = en->macs ? EN_MACS_SLOTS * en->macs_stride : 0;
    out->memuse = ms.memuse + ds.memuse + macs_bytes;
    out->memcap = ms.memcap + ds.memcap + macs_bytes;
}
