/*
 * Threat-intel indicator lists for the T1 intel detector (dt_intel.c): loading list files in
 * the formats the field publishes, telling the format from the content (never from the file
 * name), and answering "is this address / name / fingerprint listed, and by whom".
 *
 * Formats read (docs/detectors/intel.md has examples of each):
 *   - plain lines: IPv4/IPv6 addresses and CIDR blocks, "ip:port", domain names, http(s)
 *     URLs, JA3 (32 hex) / JA4 / certificate SHA-1 (40 hex) fingerprints, "AS123"; comments
 *     start with '#', ';', '!' or "//", and a comment after the indicator ("1.2.3.0/24 ;
 *     SBL123") becomes the entry's reason; hosts-file lines ("0.0.0.0 evil.example");
 *     Adblock-Plus "||domain^" lines ("[Adblock Plus]" header, "!" comments, "@@" exceptions
 *     and wildcards skipped);
 *   - CSV with a header (in a comment or not): abuse.ch Feodo Tracker (dst_ip, dst_port,
 *     malware), SSLBL JA3 (ja3_md5, Listingreason), SSLBL certificates (SHA1,
 *     Listingreason), URLhaus (url, threat, tags) and any CSV naming such columns; without a
 *     header the columns are told from the first data line's values;
 *   - JSON lines: Spamhaus DROP/EDROP ({"cidr": ...,"sblid": ...}) and ASN-DROP
 *     ({"asn": ...,"asname": ...}); metadata lines are skipped.
 *
 * Storage: IP entries in one path-compressed binary radix tree per address family (lookup
 * walks at most 33 / 129 nodes, returns every listed prefix on the path, longest first);
 * every other kind in one open-addressing hash table keyed by (kind, lower-cased text).
 * Domain lookup walks the labels of the name, so a.b.evil.example finds evil.example.
 * Up to INTEL_MAX_PER_INDICATOR entries (lists, lines, ports) per indicator are kept.
 *
 * Limits: lines longer than INTEL_MAX_LINE bytes are skipped and counted; entries beyond
 * max_entries, or beyond max_memory bytes of tables, are not stored and counted (the file
 * is still read to the end so the count is exact). A file with NUL bytes in its first 64 KiB
 * is refused as binary. Every loop is bounded by the input length.
 *
 * A set is built by one thread, then only read: lookups are safe from several threads once
 * loading is finished. A reload builds a new set beside the old one.
 */
#ifndef MM_DETECT_INTEL_LIST_H
#define MM_DETECT_INTEL_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INTEL_NONE UINT32_MAX
#define INTEL_MAX_LINE 4096u       /* longer lines are skipped (counted) */
#define INTEL_MAX_PER_INDICATOR 8u /* entries kept for one indicator; more are dropped */
#define INTEL_IP_MATCH_MAX 129u    /* prefixes a lookup can return (/0 .. /128) */
#define INTEL_KEY_MAX 2048u        /* longest URL / domain key kept */

enum intel_kind {
    INTEL_IP = 0, /* address or CIDR block */
    INTEL_DOMAIN, /* DNS name; matches the name and every name below it */
    INTEL_URL,    /* "host[:port]/path?query": scheme, userinfo, fragment and default port
                     removed, host lower-cased */
    INTEL_JA3,    /* 32 lower-case hex digits (MD5 of the JA3 string) */
    INTEL_JA4,    /* JA4 text, lower-cased */
    INTEL_SHA1,   /* certificate SHA-1, 40 lower-case hex digits */
    INTEL_ASN,    /* autonomous system number, decimal */
    INTEL_KIND_COUNT
};

/* "ip", "domain", "url", "ja3", "ja4", "cert_sha1", "asn". */
const char *intel_kind_name(enum intel_kind k);

/* One line of one list. */
struct intel_entry {
    uint32_t next;   /* next entry for the same indicator, or INTEL_NONE */
    uint32_t key;    /* indicator text (string kinds; see intel_entry_key), INTEL_NONE for IP */
    uint32_t reason; /* reason / malware family text, INTEL_NONE when the line gave none */
    uint32_t line;   /* 1-based line in its file */
    uint16_t file;   /* index of the file (intel_set_file) */
    uint16_t port;   /* IP entries: the port the listed host serves (Feodo); 0 = any */
    uint8_t kind;    /* enum intel_kind */
    uint8_t prefix;  /* IP entries: prefix length */
};

/* What loading one file found. */
struct intel_file_info {
    const char *path;      /* as given */
    const char *name;      /* base name, for evidence */
    const char *list_name; /* publisher's list when recognised ("Feodo Tracker", "SSLBL JA3",
                              "URLhaus", "Spamhaus DROP" ...), else the base name */
    const char *format;    /* "plain", "csv", "json-lines" */
    uint64_t lines;        /* lines read */
    uint64_t entries;      /* entries stored */
    uint64_t by_kind[INTEL_KIND_COUNT];
    uint64_t skipped;       /* non-comment lines without an indicator we read */
    uint64_t too_long;      /* lines over INTEL_MAX_LINE bytes (skipped) */
    uint64_t duplicates;    /* an indicator this file already listed (same port), not stored */
    uint64_t dropped;       /* entries not stored: max_entries / max_memory / per-indicator cap */
    uint32_t first_skipped; /* line number of the first skipped line, 0 = none */
};

typedef struct intel_set intel_set_t;

/* An empty set. max_entries: entries over all files (0 = no limit); max_memory: bytes of
 * tables (0 = no limit). NULL when out of memory. */
intel_set_t *intel_set_new(uint64_t max_entries, size_t max_memory);
void intel_set_free(intel_set_t *s);

/*
 * Load one list file into s. 0 on success (the file may have held no entries: see its
 * info); MM_EIO when it cannot be opened or read, MM_EFORMAT when it is binary, MM_ELIMIT
 * when the set already holds INTEL_MAX_FILES files, MM_ENOMEM; err says which file and why.
 * On error nothing of the file stays visible in lookups except entries already added (the
 * caller drops the whole set on error).
 */
#define INTEL_MAX_FILES 1024u
int intel_set_load_file(intel_set_t *s, const char *path, char *err, size_t errlen);

/* The same from memory (len bytes, any content); name stands for the file name. */
int intel_set_load_mem(intel_set_t *s, const char *name, const void *data, size_t len, char *err,
                       size_t errlen);

size_t intel_set_n_files(const intel_set_t *s);
const struct intel_file_info *intel_set_file(const intel_set_t *s, size_t i);
uint64_t intel_set_entries(const intel_set_t *s);
uint64_t intel_set_entries_kind(const intel_set_t *s, enum intel_kind k);
/* Bytes held by the set's tables. */
size_t intel_set_memuse(const intel_set_t *s);
/* Entries refused by max_entries / max_memory over all files. */
uint64_t intel_set_dropped(const intel_set_t *s);

/* --- lookups (valid once loading is done) ----------------------------------------------- */

struct intel_ip_match {
    uint32_t entry;  /* first entry of the prefix */
    uint8_t prefix;  /* prefix length */
    uint8_t net[16]; /* the listed network (host bits zero) */
};

/* Every listed prefix containing addr (ip_ver 4: addr[0..3]), longest first, at most max.
 * Returns how many were written. */
size_t intel_lookup_ip(const intel_set_t *s, const uint8_t *addr, int ip_ver,
                       struct intel_ip_match *out, size_t max);

/*
 * The most specific listed domain equal to name or a parent of it (len bytes, any case, a
 * trailing dot ignored): its first entry, or INTEL_NONE. *suffix_off (may be NULL) gets the
 * offset in name where the listed part starts ("a.b.evil.example" listed as
 * "evil.example": 4).
 */
uint32_t intel_lookup_domain(const intel_set_t *s, const char *name, size_t len,
                             size_t *suffix_off);

/* Exact lookup of a string kind (INTEL_URL, INTEL_JA3, INTEL_JA4, INTEL_SHA1) by its
 * normalised text (case ignored); first entry or INTEL_NONE. */
uint32_t intel_lookup_key(const intel_set_t *s, enum intel_kind k, const char *key, size_t len);
uint32_t intel_lookup_asn(const intel_set_t *s, uint32_t asn);

const struct intel_entry *intel_entry_get(const intel_set_t *s, uint32_t i);
/* NUL-terminated text at a string offset (entry key or reason); "" for INTEL_NONE. */
const char *intel_str(const intel_set_t *s, uint32_t off);

/*
 * Normalise an http(s) URL into the INTEL_URL key form ("host[:port]/path?query") in out.
 * Returns the key length, or 0 when url is not an http(s) URL or does not fit.
 */
size_t intel_url_key(const char *url, size_t len, char *out, size_t outlen);

#endif
