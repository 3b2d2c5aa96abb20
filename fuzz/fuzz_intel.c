/*
 * Fuzz target: the threat-intel list loader (src/detect/intel_list.c) on arbitrary bytes,
 * through its parse-from-memory entry point, with small limits so the entry and memory caps
 * are hit too. The input is copied into an exact-size heap buffer so ASan sees a one-byte
 * over-read.
 *
 * Checked after every load: the counters add up (entries per kind sum to the entries, no
 * more entries than max_entries, memory within max_memory), a refusal says why, every
 * stored entry's texts are NUL-terminated, and lookups of every stored indicator find it
 * again (IP prefixes through the radix tree, names through the hash table and the parent
 * walk). Lookups with pieces of the input as names and addresses must not crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mm.h"
#include "detect/intel_list.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_ENTRIES 2000
#define FUZZ_MAX_MEMORY (4u << 20)

static void check_entries(const intel_set_t *s)
{
    uint64_t n = intel_set_entries(s);
    for (uint64_t i = 0; i < n; i++) {
        const struct intel_entry *e = intel_entry_get(s, (uint32_t)i);
        if (!e || e->kind >= INTEL_KIND_COUNT || !intel_set_file(s, e->file))
            abort();
        (void)strlen(intel_str(s, e->reason));
        if (e->kind == INTEL_IP) {
            if (e->key != INTEL_NONE || e->prefix > 128)
                abort();
            continue;
        }
        const char *key = intel_str(s, e->key);
        size_t kl = strlen(key);
        if (!kl)
            abort();
        uint32_t first = e->kind == INTEL_DOMAIN ? intel_lookup_domain(s, key, kl, NULL)
                                                 : intel_lookup_key(s, e->kind, key, kl);
        if (first == INTEL_NONE)
            abort(); /* stored but not found again */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    intel_set_t *s = intel_set_new(FUZZ_MAX_ENTRIES, FUZZ_MAX_MEMORY);
    if (!s)
        abort();
    char err[256] = "";
    int rc = intel_set_load_mem(s, "fuzz.txt", buf, size, err, sizeof err);
    if (rc != 0) {
        if (!err[0] || !memchr(err, 0, sizeof err))
            abort(); /* every refusal says why */
    } else {
        const struct intel_file_info *fi = intel_set_file(s, 0);
        if (!fi)
            abort();
        uint64_t sum = 0;
        for (int k = 0; k < INTEL_KIND_COUNT; k++)
            sum += fi->by_kind[k];
        if (sum != fi->entries || fi->entries != intel_set_entries(s) ||
            fi->entries > FUZZ_MAX_ENTRIES || intel_set_memuse(s) > FUZZ_MAX_MEMORY)
            abort();
        check_entries(s);
        /* Pieces of the input as lookups. */
        for (size_t off = 0; off + 16 <= size && off < 4096; off += 16) {
            struct intel_ip_match m[INTEL_IP_MATCH_MAX];
            size_t n4 = intel_lookup_ip(s, buf + off, 4, m, INTEL_IP_MATCH_MAX);
            size_t n6 = intel_lookup_ip(s, buf + off, 6, m, INTEL_IP_MATCH_MAX);
            if (n4 > 33 || n6 > 129)
                abort();
            for (size_t i = 1; i < n6; i++)
                if (m[i].prefix >= m[i - 1].prefix)
                    abort(); /* longest first */
        }
        size_t nl = size < 300 ? size : 300;
        (void)intel_lookup_domain(s, (const char *)buf, nl, NULL);
        (void)intel_lookup_key(s, INTEL_URL, (const char *)buf, nl);
        char key[INTEL_KEY_MAX + 1];
        (void)intel_url_key((const char *)buf, size < INTEL_KEY_MAX ? size : INTEL_KEY_MAX, key,
                            sizeof key);
    }
    intel_set_free(s);
    free(buf);
    return 0;
}
