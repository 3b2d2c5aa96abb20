/*
 * Fuzz target for the attachment content scanner (src/detect/zipscan.c): ZIP (central
 * directory and local headers, zlib inflation, nesting), OLE2 directories, RAR 4/5, 7z, LNK,
 * ISO 9660, OneNote, PE/ELF headers and the file-name classifier.
 *
 * Input: byte 0 picks the limits (depth 1-4, entries 4 or 256, entry bytes 4 KiB or 64 KiB,
 * scan budget 64 KiB or 1 MiB); byte 1 says whether the bytes are a prefix of a larger file
 * (bit 0) and whether ZipCrypto passwords are given (bit 1: "0423", "infected", "" and the
 * name bytes, up to 64); byte 2 how many of the following bytes also go through
 * zs_name_parse as a name; the rest is the file, from an exact-size heap copy so ASan sees a
 * one-byte over-read.
 *
 * Checked: the result's counts stay within their arrays, its strings are terminated, opened
 * entries are encrypted ones, the
 * inflated bytes stay within the budget, the examined entries within the limit, a second scan
 * of the same bytes gives the same result (no state leaks between scans), and bytes that
 * zs_worth_scanning turns away give no content finding (the HTTP gate loses nothing).
 */
#include "fuzz_check.h"
#include "detect/zipscan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static zs_work_t *works[32];
static struct zs_result r1, r2;

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

static void check(const struct zs_result *r, const struct zs_limits *lim)
{
    CHECK(r->n_items <= ZS_MAX_ITEMS);
    CHECK(r->n_names <= ZS_MAX_NAMES);
    CHECK(r->inflated_bytes <= lim->max_total_bytes);
    CHECK(r->entries <= lim->max_entries);
    CHECK(r->depth <= lim->max_depth);
    CHECK(r->encrypted_entries <= r->entries + 65536u * 4);
    CHECK(r->opened_entries <= r->encrypted_entries);
    CHECK((unsigned)r->kind < ZS_K_COUNT);
    CHECK(terminated(r->desc, sizeof r->desc));
    CHECK(terminated(r->note, sizeof r->note));
    for (uint32_t i = 0; i < r->n_items; i++) {
        CHECK(terminated(r->items[i].path, sizeof r->items[i].path));
        CHECK(r->items[i].kind < ZS_K_COUNT);
        CHECK(r->items[i].depth >= 1 && r->items[i].depth <= lim->max_depth + 1);
    }
    for (uint32_t i = 0; i < r->n_names; i++) {
        CHECK(terminated(r->names[i].s, sizeof r->names[i].s));
        CHECK(!r->names[i].opened || r->names[i].encrypted);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    uint8_t v = data[0];
    struct zs_limits lim = {
        .max_depth = 1u + (v & 3u),
        .max_entries = (v & 4) ? 256u : 4u,
        .max_entry_bytes = (v & 8) ? 65536u : 4096u,
        .max_total_bytes = (v & 16) ? (1u << 20) : 65536u,
    };
    unsigned slot = v & 31u;
    if (!works[slot]) {
        works[slot] = zs_work_new(&lim);
        if (!works[slot])
            abort();
    }
    bool prefix = data[1] & 1;
    bool passwords = data[1] & 2;
    size_t name_len = data[2];
    data += 3;
    size = size - 3;
    if (passwords) {
        const uint8_t *pw[4] = {(const uint8_t *)"0423", (const uint8_t *)"infected",
                                (const uint8_t *)"", data};
        size_t pl[4] = {4, 8, 0, name_len < size ? name_len : size};
        zs_set_passwords(works[slot], pw, pl, 4);
    } else {
        zs_set_passwords(works[slot], NULL, NULL, 0);
    }

    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        abort();
    if (size)
        memcpy(copy, data, size);
    uint64_t full = prefix ? (uint64_t)size * 4 + 1 : size;
    zs_scan(works[slot], copy, size, full, &r1);
    check(&r1, &lim);
    zs_scan(works[slot], copy, size, full, &r2);
    CHECK(r1.kind == r2.kind && r1.flags == r2.flags && r1.status == r2.status &&
          r1.entries == r2.entries && r1.n_items == r2.n_items &&
          r1.opened_entries == r2.opened_entries && r1.inflated_bytes == r2.inflated_bytes &&
          !strcmp(r1.desc, r2.desc));
    /* the HTTP gate: what it turns away holds nothing the scan would report from content
     * (except a PDF with bytes before its header, which the gate does not look for) */
    if (!zs_worth_scanning(copy, size) &&
        !(r1.kind == ZS_K_PDF && (size < 5 || memcmp(copy, "%PDF-", 5) != 0)))
        CHECK(!(r1.flags & (ZS_F_EXECUTABLE | ZS_F_MACRO | ZS_F_ENCRYPTED | ZS_F_CONTAINER)) &&
              !zs_kind_is_executable(r1.kind));
    free(copy);

    if (name_len > size)
        name_len = size;
    uint8_t *name = malloc(name_len ? name_len : 1);
    if (!name)
        abort();
    if (name_len)
        memcpy(name, data, name_len);
    struct zs_name nm;
    zs_name_parse(name, name_len, &nm);
    CHECK(terminated(nm.ext, sizeof nm.ext) && terminated(nm.ext2, sizeof nm.ext2));
    CHECK(nm.pad <= name_len);
    free(name);
    return 0;
}
