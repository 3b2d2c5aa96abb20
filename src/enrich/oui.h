/*
 * The IEEE MAC address registries (Debian ieee-data: oui.csv for MA-L, mam.csv for MA-M,
 * oui36.csv for MA-S, iab.csv for the older IAB blocks) as a vendor lookup table. Internal
 * to the enrichment module; public so the fuzz target and the unit tests can drive the
 * parser on bytes in memory.
 *
 * Input format (RFC 4180 CSV, CRLF or LF line ends, quoted fields may hold commas, doubled
 * quotes and line breaks):
 *
 *   Registry,Assignment,Organization Name,Organization Address
 *   MA-L,00090F,"Fortinet, Inc.",1090 Kifer Road Sunnyvale CA US 94086
 *   MA-M,741AE09,Private,
 *   MA-S,70B3D5F2F,TELEPLATFORMS,"Polbina st., 3/1 Moscow  RU 109388 "
 *
 * A record is kept when its registry is MA-L (6 hex digits: a 24-bit prefix), MA-M (7: 28
 * bits), MA-S or IAB (9: 36 bits) and its organisation name is not empty. Everything else
 * (the header, other registries such as CID, malformed or overlong records) is skipped and
 * counted. Bounded: a record longer than ENRICH_OUI_MAX_RECORD bytes is skipped up to the
 * next line break, names are cut to ENRICH_OUI_MAX_NAME bytes (at a UTF-8 character
 * boundary), at most ENRICH_OUI_MAX_ENTRIES entries are kept. The address column is not kept.
 *
 * Not thread-safe while loading; lookups on a finished table may run from any thread.
 */
#ifndef MM_ENRICH_OUI_H
#define MM_ENRICH_OUI_H

#include <stddef.h>
#include <stdint.h>

#define ENRICH_OUI_MAX_RECORD 4096u     /* bytes of one CSV record, line breaks included */
#define ENRICH_OUI_MAX_NAME 255u        /* bytes of an organisation name kept */
#define ENRICH_OUI_MAX_ENTRIES 1000000u /* all registries together (2024: about 46 000) */
#define ENRICH_OUI_MAX_FILE (64u << 20) /* bytes read from one file (2024: oui.csv 3 MB) */

struct enrich_oui;

struct enrich_oui_result {
    uint64_t records;  /* records seen, the header and empty lines excluded */
    uint64_t added;    /* entries added */
    uint64_t rejected; /* records skipped: malformed, unknown registry, overlong, table full */
};

/* A new, empty table; NULL when out of memory. */
struct enrich_oui *enrich_oui_new(void);
void enrich_oui_free(struct enrich_oui *db);

/*
 * Parse len bytes of registry CSV and add its entries (any mix of registries). May be called
 * several times; the last record need not end with a line break. Counts go to *res (added
 * to what it holds; may be NULL). Returns 0, or MM_ENOMEM (entries added so far are kept).
 * Lookups need enrich_oui_finish() afterwards.
 */
int enrich_oui_parse_buffer(struct enrich_oui *db, const char *buf, size_t len,
                            struct enrich_oui_result *res);

/*
 * Read one registry file (at most ENRICH_OUI_MAX_FILE bytes) and parse it as above, in
 * pieces. Returns 0, MM_EIO when it cannot be opened or read (errno kept), MM_ELIMIT when it
 * is larger than the limit (a regular file is refused before any of it is parsed; what was
 * read of a pipe that turns out too long stays added), MM_ENOMEM.
 */
int enrich_oui_load_file(struct enrich_oui *db, const char *path, struct enrich_oui_result *res);

/*
 * Sort the entries for lookup. For a prefix listed twice the first one parsed wins (the
 * registry lists a few old MA-L blocks twice). Call again after parsing more.
 */
void enrich_oui_finish(struct enrich_oui *db);

/*
 * The organisation registered for mac, the longest matching prefix first (36, 28, then 24
 * bits), or NULL. Locally administered and group (multicast) addresses have no vendor. The
 * string lives as long as db.
 */
const char *enrich_oui_lookup(const struct enrich_oui *db, const uint8_t mac[6]);

/* Entries in the table. */
size_t enrich_oui_count(const struct enrich_oui *db);

#endif
