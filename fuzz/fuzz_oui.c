/*
 * Fuzz target: the IEEE registry CSV parser (src/enrich/oui.c). The input is CSV text; the
 * first byte chooses where it is split into two enrich_oui_parse_buffer calls (records do not
 * span calls). Each piece is copied into an exact-size heap buffer so ASan sees a one-byte
 * over-read.
 *
 * Checked: every record counted is either added or rejected; the table never holds more
 * entries than were added; a lookup answers NULL or a NUL-terminated, non-empty name of at
 * most ENRICH_OUI_MAX_NAME bytes with no control bytes and no surrounding spaces; locally
 * administered and group addresses never have a vendor.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "core/mm.h"
#include "enrich/oui.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_piece(struct enrich_oui *db, const uint8_t *p, size_t n,
                        struct enrich_oui_result *res)
{
    char *buf = malloc(n ? n : 1);
    CHECK(buf);
    if (n)
        memcpy(buf, p, n);
    CHECK(enrich_oui_parse_buffer(db, buf, n, res) == 0);
    free(buf);
}

static void check_name(const char *v)
{
    if (!v)
        return;
    size_t n = strnlen(v, ENRICH_OUI_MAX_NAME + 1);
    CHECK(n > 0 && n <= ENRICH_OUI_MAX_NAME);
    for (size_t i = 0; i < n; i++)
        CHECK((unsigned char)v[i] >= 0x20 && v[i] != 0x7f);
    CHECK(v[0] != ' ' && v[n - 1] != ' ');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct enrich_oui *db = enrich_oui_new();
    CHECK(db);
    struct enrich_oui_result res = {0};
    size_t split = size ? (size_t)data[0] * size / 256 : 0;
    parse_piece(db, data, split, &res);
    parse_piece(db, data + split, size - split, &res);
    CHECK(res.added + res.rejected == res.records);
    enrich_oui_finish(db);
    CHECK(enrich_oui_count(db) <= res.added);

    /* Addresses made from the input's bytes (likely prefixes of what it registered), and
     * their group / locally administered variants. */
    for (size_t off = 0; off + 6 <= size && off < 64 * 6; off += 6) {
        uint8_t mac[6];
        memcpy(mac, data + off, 6);
        check_name(enrich_oui_lookup(db, mac));
        mac[0] |= 0x01;
        CHECK(enrich_oui_lookup(db, mac) == NULL);
        mac[0] = (uint8_t)((mac[0] & ~0x01) | 0x02);
        CHECK(enrich_oui_lookup(db, mac) == NULL);
    }
    static const uint8_t fixed[][6] = {
        {0x00, 0x09, 0x0f, 0, 0, 0}, {0x00, 0x00, 0x00, 0, 0, 0}, {0xfc, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0x70, 0xb3, 0xd5, 0xf2, 0xf0, 0}, {0x00, 0x50, 0xc2, 0x7d, 0x50, 0},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_name(enrich_oui_lookup(db, fixed[i]));
    enrich_oui_free(db);
    return 0;
}
