/*
 * Threat-intel lists: the loader (format told from the content), the IP radix trees and the
 * indicator hash table (intel_list.h). The grammar of each format is in intel_list.h and
 * docs/detectors/intel.md; the code below reads one line at a time:
 *
 *   line     = comment / json-object / csv-record / plain
 *   comment  = ("#" / ";" / "!" / "//" / "[" ... "]") text      -- may hold a CSV header
 *                                                                  or the list's title
 *   plain    = indicator [blanks reason] [(" #" / " ;") reason]
 *            / address 1*(blanks domain)                        -- hosts file
 *            / "||" domain ("^" / "$" options) / "@@" rule     -- Adblock Plus
 *   csv      = field *("," field), field = text / DQUOTE text-with-"" DQUOTE
 *
 * The format is fixed by the first line that is not a comment: "{" starts JSON lines, a
 * comma CSV, anything else plain lines. CSV columns come from a header (a comment or the
 * first line naming columns such as dst_ip, ja3_md5, SHA1, url), else from the values of the
 * first data line.
 *
 * Deliberately left out: JSON arrays (Feodo's JSON export: use its CSV), STIX/TAXII, MISP
 * exports, regular-expression and wildcard domain rules, file-hash lists (SHA-256 of
 * samples: nothing on the wire to compare them with here).
 */
#include "detect/intel_list.h"

#include "core/mm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- the set ------------------------------------------------------------------------------ */

/* A radix tree node: a prefix of `bits` bits, its entries (INTEL_NONE for a branching node
 * made only to join two subtrees) and the subtrees whose next bit is 0 / 1. */
struct rnode {
    uint8_t key[16];
    uint8_t bits;
    uint8_t pad[3];
    uint32_t child[2];
    uint32_t entry;
};

/* Internal kind of the hash table: interned reason texts (val unused). */
#define K_REASON INTEL_KIND_COUNT

struct hslot {
    uint64_t hash;
    uint32_t key; /* pool offset of the text */
    uint32_t val; /* first entry */
    uint16_t len;
    uint8_t kind;
    uint8_t used;
};

struct file_rec {
    struct intel_file_info info;
    char *path, *list_name;
};

struct intel_set {
    uint64_t max_entries;
    size_t max_memory;
    size_t memuse;
    struct rnode *nodes;
    uint32_t n_nodes, cap_nodes;
    /* Trees: IPv4 prefixes shorter than /16 and IPv6 in root[0] / root[1]; IPv4 prefixes of
     * /16 and longer under v4_16[first two bytes], made on the first such entry. The direct
     * step saves the 16 levels that, with a million scattered entries, cost a cache miss
     * each (~0.8 us per lookup without it, see docs/detectors/intel.md). */
    uint32_t root[2];
    uint32_t *v4_16;
    struct intel_entry *ent;
    uint32_t n_ent, cap_ent;
    char *pool;
    size_t pool_len, pool_cap;
    struct hslot *slots;
    size_t n_slots, n_used; /* n_slots: a power of two, or 0 */
    struct file_rec *files;
    size_t n_files, cap_files;
    uint64_t by_kind[INTEL_KIND_COUNT];
    uint64_t dropped;
};

const char *intel_kind_name(enum intel_kind k)
{
    static const char *const names[INTEL_KIND_COUNT] = {"ip",  "domain",    "url", "ja3",
                                                        "ja4", "cert_sha1", "asn"};
    return (unsigned)k < INTEL_KIND_COUNT ? names[k] : "unknown";
}

intel_set_t *intel_set_new(uint64_t max_entries, size_t max_memory)
{
    intel_set_t *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max_entries = max_entries;
    s->max_memory = max_memory;
    s->root[0] = s->root[1] = INTEL_NONE;
    return s;
}

void intel_set_free(intel_set_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_files; i++) {
        free(s->files[i].path);
        free(s->files[i].list_name);
    }
    free(s->files);
    free(s->nodes);
    free(s->v4_16);
    free(s->ent);
    free(s->pool);
    free(s->slots);
    free(s);
}

/*
 * Grow an array to hold at least `need` elements: doubling, but never past max_memory for
 * the whole set (then just what the budget allows). False when that is not enough or
 * realloc fails; the array is unchanged then.
 */
static bool grow(intel_set_t *s, void **arr, size_t *cap, size_t elem, size_t need)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap < need)
        ncap = need;
    if (ncap > SIZE_MAX / elem)
        return false;
    size_t old = *cap * elem;
    if (s->max_memory) {
        size_t budget = s->max_memory > s->memuse - old ? s->max_memory - (s->memuse - old) : 0;
        if (ncap * elem > budget)
            ncap = budget / elem;
        if (ncap < need)
            return false;
    }
    void *n = realloc(*arr, ncap * elem);
    if (!n)
        return false;
    *arr = n;
    s->memuse = s->memuse - old + ncap * elem;
    *cap = ncap;
    return true;
}

static bool grow_u32(intel_set_t *s, void **arr, uint32_t *cap, size_t elem, size_t need)
{
    if (need >= INTEL_NONE)
        return false;
    size_t c = *cap;
    if (!grow(s, arr, &c, elem, need))
        return false;
    *cap = c < INTEL_NONE ? (uint32_t)c : INTEL_NONE - 1;
    return true;
}

/* --- text helpers ------------------------------------------------------------------------- */

static inline uint8_t lc(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

static inline bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static inline bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void trim(const char **p, size_t *len)
{
    while (*len && is_space(**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len && is_space((*p)[*len - 1]))
        (*len)--;
}

/* Hash of a key: FNV-1a over the lower-cased bytes from the last to the first, so the hash
 * of every suffix of a name comes out on the way (domain lookup walks labels right to
 * left), then mixed with the kind. */
#define FNV_OFF 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t h_step(uint64_t h, char c)
{
    return (h ^ lc((uint8_t)c)) * FNV_PRIME;
}

static inline uint64_t h_final(uint64_t h, unsigned kind)
{
    h ^= (uint64_t)(kind + 1) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint64_t hash_key(unsigned kind, const char *p, size_t len)
{
    uint64_t h = FNV_OFF;
    for (size_t i = len; i > 0; i--)
        h = h_step(h, p[i - 1]);
    return h_final(h, kind);
}

/* --- hash table --------------------------------------------------------------------------- */

static bool key_eq(const intel_set_t *s, const struct hslot *sl, const char *p, size_t len)
{
    if (sl->len != len)
        return false;
    const char *k = s->pool + sl->key;
    for (size_t i = 0; i < len; i++)
        if ((char)lc((uint8_t)p[i]) != k[i])
            return false;
    return true;
}

static struct hslot *h_find(const intel_set_t *s, unsigned kind, uint64_t h, const char *p,
                            size_t len)
{
    if (!s->n_slots)
        return NULL;
    size_t mask = s->n_slots - 1;
    /* The table is at most half full, so the probe ends at an empty slot. */
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct hslot *sl = &s->slots[i];
        if (!sl->used)
            return NULL;
        if (sl->hash == h && sl->kind == kind && key_eq(s, sl, p, len))
            return sl;
    }
}

static bool h_rehash(intel_set_t *s, size_t nslots)
{
    size_t bytes = nslots * sizeof(struct hslot);
    if (s->max_memory && s->memuse - s->n_slots * sizeof(struct hslot) + bytes > s->max_memory)
        return false;
    struct hslot *ns = calloc(nslots, sizeof *ns);
    if (!ns)
        return false;
    size_t mask = nslots - 1;
    for (size_t i = 0; i < s->n_slots; i++) {
        if (!s->slots[i].used)
            continue;
        size_t j = (size_t)s->slots[i].hash & mask;
        while (ns[j].used)
            j = (j + 1) & mask;
        ns[j] = s->slots[i];
    }
    s->memuse = s->memuse - s->n_slots * sizeof(struct hslot) + bytes;
    free(s->slots);
    s->slots = ns;
    s->n_slots = nslots;
    return true;
}

/* Room for one more slot (keeps the table at most half full). */
static bool h_reserve(intel_set_t *s)
{
    if ((s->n_used + 1) * 2 <= s->n_slots)
        return true;
    size_t n = s->n_slots ? s->n_slots * 2 : 1024;
    if (n > SIZE_MAX / 2 / sizeof(struct hslot))
        return false;
    return h_rehash(s, n);
}

/* Copy text into the pool, lower-cased when asked, NUL-terminated. INTEL_NONE when refused. */
static uint32_t pool_add(intel_set_t *s, const char *p, size_t len, bool lower)
{
    if (s->pool_len + len + 1 >= INTEL_NONE)
        return INTEL_NONE;
    if (!grow(s, (void **)&s->pool, &s->pool_cap, 1, s->pool_len + len + 1))
        return INTEL_NONE;
    uint32_t off = (uint32_t)s->pool_len;
    for (size_t i = 0; i < len; i++)
        s->pool[s->pool_len + i] = lower ? (char)lc((uint8_t)p[i]) : p[i];
    s->pool[s->pool_len + len] = 0;
    s->pool_len += len + 1;
    return off;
}

/* Insert text of kind into the table (it must not be there); the new slot or NULL. */
static struct hslot *h_insert(intel_set_t *s, unsigned kind, uint64_t h, const char *p, size_t len,
                              bool lower)
{
    if (len > UINT16_MAX || !h_reserve(s))
        return NULL;
    uint32_t off = pool_add(s, p, len, lower);
    if (off == INTEL_NONE)
        return NULL;
    size_t mask = s->n_slots - 1;
    size_t i = (size_t)h & mask;
    while (s->slots[i].used)
        i = (i + 1) & mask;
    struct hslot *sl = &s->slots[i];
    sl->hash = h;
    sl->key = off;
    sl->val = INTEL_NONE;
    sl->len = (uint16_t)len;
    sl->kind = (uint8_t)kind;
    sl->used = 1;
    s->n_used++;
    return sl;
}

/* Interned reason text (case kept); INTEL_NONE for none or when refused. */
static uint32_t intern_reason(intel_set_t *s, const char *p, size_t len)
{
    trim(&p, &len);
    if (!len)
        return INTEL_NONE;
    if (len > 200)
        len = 200;
    /* Case matters for reasons ("QakBot"), but the table compares lower-cased: intern the
     * text as given and compare exactly here. */
    uint64_t h = FNV_OFF;
    for (size_t i = len; i > 0; i--)
        h = (h ^ (uint8_t)p[i - 1]) * FNV_PRIME;
    h = h_final(h, K_REASON);
    if (s->n_slots) {
        size_t mask = s->n_slots - 1;
        for (size_t i = (size_t)h & mask; s->slots[i].used; i = (i + 1) & mask) {
            const struct hslot *sl = &s->slots[i];
            if (sl->hash == h && sl->kind == K_REASON && sl->len == len &&
                !memcmp(s->pool + sl->key, p, len))
                return sl->key;
        }
    }
    struct hslot *sl = h_insert(s, K_REASON, h, p, len, false);
    return sl ? sl->key : INTEL_NONE;
}

/* --- radix tree ---------------------------------------------------------------------------- */

static inline unsigned bit_at(const uint8_t *k, unsigned i)
{
    return (unsigned)(k[i >> 3] >> (7 - (i & 7))) & 1u;
}

/* Leading bits a and b share, at most max. */
static unsigned common_bits(const uint8_t *a, const uint8_t *b, unsigned max)
{
    unsigned i = 0;
    while (i < max) {
        unsigned byte = i >> 3;
        uint8_t x = (uint8_t)(a[byte] ^ b[byte]);
        if (!x) {
            i = (byte + 1) * 8;
            continue;
        }
        i = byte * 8 + (unsigned)__builtin_clz((unsigned)x) - 24;
        break;
    }
    return i < max ? i : max;
}

static void mask_prefix(uint8_t *k, unsigned bits)
{
    for (unsigned i = 0; i < 16; i++) {
        if (bits >= (i + 1) * 8)
            continue;
        if (bits <= i * 8)
            k[i] = 0;
        else
            k[i] &= (uint8_t)(0xff00u >> (bits - i * 8));
    }
}

static uint32_t node_new(intel_set_t *s, const uint8_t *key, unsigned bits)
{
    uint32_t i = s->n_nodes++;
    struct rnode *n = &s->nodes[i];
    memcpy(n->key, key, 16);
    mask_prefix(n->key, bits);
    n->bits = (uint8_t)bits;
    memset(n->pad, 0, sizeof n->pad);
    n->child[0] = n->child[1] = INTEL_NONE;
    n->entry = INTEL_NONE;
    return i;
}

#define V4_16_SLOTS 65536u

/* The node for prefix key/bits in family fam, made when missing; INTEL_NONE when refused. */
static uint32_t radix_insert(intel_set_t *s, int fam, const uint8_t *key, unsigned bits)
{
    uint32_t *link = &s->root[fam];
    if (fam == 0 && bits >= 16) {
        if (!s->v4_16) {
            size_t bytes = V4_16_SLOTS * sizeof *s->v4_16;
            if (s->max_memory && s->memuse + bytes > s->max_memory)
                return INTEL_NONE;
            s->v4_16 = malloc(bytes);
            if (!s->v4_16)
                return INTEL_NONE;
            memset(s->v4_16, 0xff, bytes); /* INTEL_NONE everywhere */
            s->memuse += bytes;
        }
        link = &s->v4_16[(unsigned)key[0] << 8 | key[1]];
    }
    /* At most two nodes are added; reserve them first so `link` stays valid (it points
     * into a node only after this). */
    if (!grow_u32(s, (void **)&s->nodes, &s->cap_nodes, sizeof *s->nodes, (size_t)s->n_nodes + 2))
        return INTEL_NONE;
    while (*link != INTEL_NONE) {
        uint32_t cur = *link;
        struct rnode *n = &s->nodes[cur];
        unsigned c = common_bits(key, n->key, MM_MIN(bits, (unsigned)n->bits));
        if (c == n->bits && c == bits)
            return cur;
        if (c == n->bits) {
            link = &n->child[bit_at(key, c)];
            continue;
        }
        /* The new prefix leaves n's path at bit c: put a node above n. */
        if (c == bits) {
            uint32_t nn = node_new(s, key, bits);
            s->nodes[nn].child[bit_at(s->nodes[cur].key, bits)] = cur;
            *link = nn;
            return nn;
        }
        uint32_t glue = node_new(s, key, c);
        uint32_t leaf = node_new(s, key, bits);
        s->nodes[glue].child[bit_at(key, c)] = leaf;
        s->nodes[glue].child[bit_at(s->nodes[cur].key, c)] = cur;
        *link = glue;
        return leaf;
    }
    uint32_t leaf = node_new(s, key, bits);
    *link = leaf;
    return leaf;
}

size_t intel_lookup_ip(const intel_set_t *s, const uint8_t *addr, int ip_ver,
                       struct intel_ip_match *out, size_t max)
{
    int fam = ip_ver == 6 ? 1 : 0;
    unsigned maxbits = fam ? 128u : 32u;
    uint8_t a[16] = {0};
    memcpy(a, addr, fam ? 16 : 4);
    /* IPv4: the /16-and-longer tree of the address's first two bytes, then the shorter
     * prefixes; every prefix of the first is longer than any of the second. */
    uint32_t roots[2];
    size_t n_roots = 0;
    if (!fam && s->v4_16)
        roots[n_roots++] = s->v4_16[(unsigned)a[0] << 8 | a[1]];
    roots[n_roots++] = s->root[fam];
    size_t w = 0;
    for (size_t r = 0; r < n_roots && w < max; r++) {
        uint32_t path[INTEL_IP_MATCH_MAX];
        size_t n = 0;
        uint32_t cur = roots[r];
        /* Bits strictly grow along a path, so the walk visits at most maxbits + 1 nodes. */
        while (cur != INTEL_NONE && n < INTEL_IP_MATCH_MAX) {
            const struct rnode *nd = &s->nodes[cur];
            if (nd->bits > maxbits || common_bits(a, nd->key, nd->bits) < nd->bits)
                break;
            if (nd->entry != INTEL_NONE)
                path[n++] = cur;
            if (nd->bits == maxbits)
                break;
            cur = nd->child[bit_at(a, nd->bits)];
        }
        for (size_t i = n; i > 0 && w < max; i--, w++) {
            const struct rnode *nd = &s->nodes[path[i - 1]];
            out[w].entry = nd->entry;
            out[w].prefix = nd->bits;
            memcpy(out[w].net, nd->key, 16);
        }
    }
    return w;
}

/* --- lookups ------------------------------------------------------------------------------- */

uint32_t intel_lookup_domain(const intel_set_t *s, const char *name, size_t len, size_t *suffix_off)
{
    if (len && name[len - 1] == '.')
        len--;
    if (!len || len > INTEL_KEY_MAX || !s->n_slots)
        return INTEL_NONE;
    uint32_t found = INTEL_NONE;
    uint64_t h = FNV_OFF;
    /* Right to left: at each label start the running hash is that suffix's hash. The last
     * (leftmost) hit is the most specific listed name. */
    for (size_t i = len; i > 0; i--) {
        h = h_step(h, name[i - 1]);
        if (i - 1 == 0 || name[i - 2] == '.') {
            size_t off = i - 1;
            const struct hslot *sl =
                h_find(s, INTEL_DOMAIN, h_final(h, INTEL_DOMAIN), name + off, len - off);
            if (sl) {
                found = sl->val;
                if (suffix_off)
                    *suffix_off = off;
            }
        }
    }
    return found;
}

uint32_t intel_lookup_key(const intel_set_t *s, enum intel_kind k, const char *key, size_t len)
{
    if (!len || len > INTEL_KEY_MAX)
        return INTEL_NONE;
    const struct hslot *sl = h_find(s, (unsigned)k, hash_key((unsigned)k, key, len), key, len);
    return sl ? sl->val : INTEL_NONE;
}

uint32_t intel_lookup_asn(const intel_set_t *s, uint32_t asn)
{
    char b[16];
    int n = snprintf(b, sizeof b, "%u", asn);
    return n > 0 ? intel_lookup_key(s, INTEL_ASN, b, (size_t)n) : INTEL_NONE;
}

const struct intel_entry *intel_entry_get(const intel_set_t *s, uint32_t i)
{
    return i < s->n_ent ? &s->ent[i] : NULL;
}

const char *intel_str(const intel_set_t *s, uint32_t off)
{
    return off < s->pool_len ? s->pool + off : "";
}

size_t intel_set_n_files(const intel_set_t *s)
{
    return s->n_files;
}

const struct intel_file_info *intel_set_file(const intel_set_t *s, size_t i)
{
    return i < s->n_files ? &s->files[i].info : NULL;
}

uint64_t intel_set_entries(const intel_set_t *s)
{
    return s->n_ent;
}

uint64_t intel_set_entries_kind(const intel_set_t *s, enum intel_kind k)
{
    return (unsigned)k < INTEL_KIND_COUNT ? s->by_kind[k] : 0;
}

size_t intel_set_memuse(const intel_set_t *s)
{
    return s->memuse;
}

uint64_t intel_set_dropped(const intel_set_t *s)
{
    return s->dropped;
}

/* --- indicators ---------------------------------------------------------------------------- */

/* One parsed indicator before it is stored. */
struct ind {
    enum intel_kind kind;
    int fam;          /* IP: 0 IPv4, 1 IPv6 */
    uint8_t addr[16]; /* IP: network */
    unsigned prefix;
    uint16_t port;
    size_t klen; /* string kinds: key[0..klen) */
    char key[INTEL_KEY_MAX + 1];
};

/* "1.2.3.4", "1.2.3.0/24", "1.2.3.4:8080", "2001:db8::/32", "[2001:db8::1]:443". */
static bool parse_ip(const char *p, size_t len, struct ind *o)
{
    char b[64];
    if (!len || len >= sizeof b)
        return false;
    memcpy(b, p, len);
    b[len] = 0;
    char *addr = b, *plen = NULL, *port = NULL;
    if (b[0] == '[') {
        char *e = strchr(b, ']');
        if (!e)
            return false;
        *e = 0;
        addr = b + 1;
        if (e[1] == ':')
            port = e + 2;
        else if (e[1])
            return false;
    } else {
        char *sl = strchr(b, '/');
        if (sl) {
            *sl = 0;
            plen = sl + 1;
        }
        char *c1 = strchr(addr, ':');
        if (c1 && !strchr(c1 + 1, ':') && !plen) { /* one colon: IPv4 with a port */
            *c1 = 0;
            port = c1 + 1;
        }
    }
    memset(o->addr, 0, sizeof o->addr);
    if (inet_pton(AF_INET, addr, o->addr) == 1)
        o->fam = 0;
    else if (inet_pton(AF_INET6, addr, o->addr) == 1)
        o->fam = 1;
    else
        return false;
    unsigned maxbits = o->fam ? 128u : 32u;
    o->prefix = maxbits;
    if (plen) {
        if (!*plen || strlen(plen) > 3)
            return false;
        unsigned v = 0;
        for (const char *c = plen; *c; c++) {
            if (!is_digit(*c))
                return false;
            v = v * 10 + (unsigned)(*c - '0');
        }
        if (v > maxbits)
            return false;
        o->prefix = v;
    }
    o->port = 0;
    if (port) {
        if (!*port || strlen(port) > 5)
            return false;
        unsigned v = 0;
        for (const char *c = port; *c; c++) {
            if (!is_digit(*c))
                return false;
            v = v * 10 + (unsigned)(*c - '0');
        }
        if (!v || v > 65535)
            return false;
        o->port = (uint16_t)v;
    }
    mask_prefix(o->addr, o->prefix);
    o->kind = INTEL_IP;
    return true;
}

/* Names a hosts file maps for the machine itself, never indicators. */
static bool is_local_name(const char *p, size_t len)
{
    static const char *const names[] = {"localhost.localdomain", "localhost6.localdomain6", "local",
                                        "localhost", "broadcasthost"};
    for (size_t i = 0; i < MM_ARRAY_LEN(names); i++)
        if (strlen(names[i]) == len && !strncasecmp(names[i], p, len))
            return true;
    return false;
}

/* A DNS name of at least two labels whose last label is not numeric: "*." and a leading or
 * trailing dot are dropped. */
static bool parse_domain(const char *p, size_t len, struct ind *o)
{
    if (len >= 2 && p[0] == '*' && p[1] == '.') {
        p += 2;
        len -= 2;
    }
    if (len && p[0] == '.') {
        p++;
        len--;
    }
    if (len && p[len - 1] == '.')
        len--;
    if (len < 3 || len > 253 || is_local_name(p, len))
        return false;
    size_t labels = 0, lab = 0;
    bool last_alpha = false;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || p[i] == '.') {
            if (!lab || lab > 63)
                return false;
            labels++;
            if (i == len)
                break;
            lab = 0;
            last_alpha = false;
            continue;
        }
        char c = p[i];
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_'))
            return false;
        if (is_alpha(c) || c == '-')
            last_alpha = true;
        lab++;
    }
    if (labels < 2 || !last_alpha)
        return false;
    for (size_t i = 0; i < len; i++)
        o->key[i] = (char)lc((uint8_t)p[i]);
    o->klen = len;
    o->kind = INTEL_DOMAIN;
    return true;
}

size_t intel_url_key(const char *url, size_t len, char *out, size_t outlen)
{
    size_t skip;
    unsigned defport;
    if (len >= 7 && !strncasecmp(url, "http://", 7)) {
        skip = 7;
        defport = 80;
    } else if (len >= 8 && !strncasecmp(url, "https://", 8)) {
        skip = 8;
        defport = 443;
    } else {
        return 0;
    }
    const char *a = url + skip;
    size_t rest = len - skip;
    size_t alen = 0;
    while (alen < rest && a[alen] != '/' && a[alen] != '?' && a[alen] != '#')
        alen++;
    /* Drop userinfo ("user:pw@host"). */
    for (size_t i = alen; i > 0; i--) {
        if (a[i - 1] == '@') {
            a += i;
            rest -= i;
            alen -= i;
            break;
        }
    }
    /* Host and port; an IPv6 literal keeps its brackets. */
    size_t hlen = alen;
    const char *port = NULL;
    size_t plen = 0;
    size_t scan_from = 0;
    if (alen && a[0] == '[') {
        const char *e = memchr(a, ']', alen);
        if (!e)
            return 0;
        scan_from = (size_t)(e - a) + 1;
    }
    for (size_t i = scan_from; i < alen; i++) {
        if (a[i] == ':') {
            hlen = i;
            port = a + i + 1;
            plen = alen - i - 1;
            break;
        }
    }
    if (!hlen)
        return 0;
    unsigned pv = defport;
    if (port && plen) {
        if (plen > 5)
            return 0;
        pv = 0;
        for (size_t i = 0; i < plen; i++) {
            if (!is_digit(port[i]))
                return 0;
            pv = pv * 10 + (unsigned)(port[i] - '0');
        }
        if (!pv || pv > 65535)
            return 0;
    }
    const char *path = a + alen;
    size_t pathlen = rest - alen;
    const char *frag = memchr(path, '#', pathlen);
    if (frag)
        pathlen = (size_t)(frag - path);
    char portbuf[8] = "";
    if (pv != defport)
        snprintf(portbuf, sizeof portbuf, ":%u", pv);
    size_t need = hlen + strlen(portbuf) + (pathlen && path[0] == '/' ? 0 : 1) + pathlen;
    if (need >= outlen)
        return 0;
    size_t w = 0;
    for (size_t i = 0; i < hlen; i++)
        out[w++] = (char)lc((uint8_t)a[i]);
    for (size_t i = 0; portbuf[i]; i++)
        out[w++] = portbuf[i];
    if (!(pathlen && path[0] == '/'))
        out[w++] = '/';
    memcpy(out + w, path, pathlen);
    w += pathlen;
    out[w] = 0;
    return w;
}

static bool all_hex(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_hex(p[i]))
            return false;
    return true;
}

/* "t13d1516h2_8daaf6152771_e5627efa2ab1": a 10-character part a, then two 12-hex parts
 * (36 characters, as app/tls.h's TLS_JA4_LEN). */
#define JA4_LEN 36u
static bool is_ja4(const char *p, size_t len)
{
    if (len != JA4_LEN || p[10] != '_' || p[23] != '_')
        return false;
    char t = (char)lc((uint8_t)p[0]);
    if (t != 't' && t != 'q' && t != 'd')
        return false;
    for (size_t i = 1; i < 10; i++)
        if (!is_alpha(p[i]) && !is_digit(p[i]))
            return false;
    return all_hex(p + 11, 12) && all_hex(p + 24, 12);
}

static void set_key_lower(struct ind *o, enum intel_kind k, const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        o->key[i] = (char)lc((uint8_t)p[i]);
    o->klen = len;
    o->kind = k;
}

/* 40 hex digits, or 20 hex pairs joined by ':' (how tools print certificate hashes). */
static bool parse_sha1(const char *p, size_t len, struct ind *o)
{
    if (len == 40 && all_hex(p, 40)) {
        set_key_lower(o, INTEL_SHA1, p, 40);
        return true;
    }
    if (len != 59)
        return false;
    char b[40];
    for (size_t i = 0; i < 20; i++) {
        if (!is_hex(p[3 * i]) || !is_hex(p[3 * i + 1]) || (i < 19 && p[3 * i + 2] != ':'))
            return false;
        b[2 * i] = p[3 * i];
        b[2 * i + 1] = p[3 * i + 1];
    }
    set_key_lower(o, INTEL_SHA1, b, 40);
    return true;
}

static bool parse_asn(const char *p, size_t len, bool bare_ok, struct ind *o)
{
    if (len > 2 && (p[0] == 'A' || p[0] == 'a') && (p[1] == 'S' || p[1] == 's')) {
        p += 2;
        len -= 2;
    } else if (!bare_ok) {
        return false;
    }
    if (!len || len > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!is_digit(p[i]))
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    if (!v || v > UINT32_MAX)
        return false;
    o->klen = (size_t)snprintf(o->key, sizeof o->key, "%u", (unsigned)v);
    o->kind = INTEL_ASN;
    return true;
}

/* What a lone token is, trying the kinds in an order where no two can both fit. */
static bool classify(const char *p, size_t len, struct ind *o)
{
    if (!len || len > INTEL_KEY_MAX)
        return false;
    if (memmem(p, len, "://", 3)) {
        size_t n = intel_url_key(p, len, o->key, sizeof o->key);
        if (!n)
            return false;
        o->klen = n;
        o->kind = INTEL_URL;
        return true;
    }
    if (len == 32 && all_hex(p, len)) {
        set_key_lower(o, INTEL_JA3, p, len);
        return true;
    }
    if (parse_sha1(p, len, o))
        return true;
    if (is_ja4(p, len)) {
        set_key_lower(o, INTEL_JA4, p, len);
        return true;
    }
    if (parse_ip(p, len, o))
        return true;
    if (parse_asn(p, len, false, o))
        return true;
    return parse_domain(p, len, o);
}

/* --- loading: the parser state ------------------------------------------------------------ */

enum fmt { FMT_UNKNOWN = 0, FMT_PLAIN, FMT_CSV, FMT_JSON };

/* What a CSV column holds. */
enum role {
    R_NONE = 0,
    R_IP,
    R_CIDR,
    R_PORT,
    R_URL,
    R_JA3,
    R_JA4,
    R_SHA1,
    R_DOMAIN,
    R_ASN,
    R_REASON,
    R_TAGS
};

#define CSV_MAX_FIELDS 32

struct lp {
    intel_set_t *s;
    uint16_t fidx;
    struct intel_file_info *fi;
    enum fmt fmt;
    bool cols_known;
    int c_ind, c_port, c_reason, c_tags;
    int reason_rank;
    enum role ind_role;
    uint32_t comments; /* comment lines looked at for a title */
    char title[96];
    bool json_spamhaus; /* a JSON metadata line named Spamhaus */
    bool too_long;      /* the line being read is over the limit: skip to its end */
    size_t len;
    char line[INTEL_MAX_LINE + 1];
};

static void skip_line(struct lp *p)
{
    p->fi->skipped++;
    if (!p->fi->first_skipped)
        p->fi->first_skipped = (uint32_t)MM_MIN(p->fi->lines, UINT32_MAX);
}

static bool entry_room(struct lp *p)
{
    intel_set_t *s = p->s;
    if ((s->max_entries && s->n_ent >= s->max_entries) ||
        !grow_u32(s, (void **)&s->ent, &s->cap_ent, sizeof *s->ent, (size_t)s->n_ent + 1)) {
        s->dropped++;
        p->fi->dropped++;
        return false;
    }
    return true;
}

/* Append an entry to the chain starting at *first unless this file already listed the same
 * indicator (and port), or the chain is full. */
static void chain_add(struct lp *p, uint32_t *first, uint32_t key, const struct ind *o,
                      uint32_t reason)
{
    intel_set_t *s = p->s;
    uint32_t *link = first;
    unsigned n = 0;
    while (*link != INTEL_NONE) {
        const struct intel_entry *e = &s->ent[*link];
        if (e->file == p->fidx && e->port == o->port) {
            p->fi->duplicates++;
            return;
        }
        link = &s->ent[*link].next;
        n++;
    }
    if (n >= INTEL_MAX_PER_INDICATOR) {
        s->dropped++;
        p->fi->dropped++;
        return;
    }
    if (!entry_room(p))
        return;
    /* ent may have moved: find the chain's end again by index. */
    uint32_t idx = s->n_ent++;
    struct intel_entry *e = &s->ent[idx];
    memset(e, 0, sizeof *e);
    e->next = INTEL_NONE;
    e->key = key;
    e->reason = reason;
    e->line = (uint32_t)MM_MIN(p->fi->lines, UINT32_MAX);
    e->file = p->fidx;
    e->port = o->port;
    e->kind = (uint8_t)o->kind;
    e->prefix = (uint8_t)o->prefix;
    if (*first == INTEL_NONE) {
        *first = idx;
    } else {
        uint32_t last = *first;
        while (s->ent[last].next != INTEL_NONE)
            last = s->ent[last].next;
        s->ent[last].next = idx;
    }
    s->by_kind[o->kind]++;
    p->fi->by_kind[o->kind]++;
    p->fi->entries++;
}

static void add_ind(struct lp *p, const struct ind *o, const char *reason, size_t rlen)
{
    intel_set_t *s = p->s;
    /* Refuse early at the entry limit so a huge list does not grow the other tables. */
    if (s->max_entries && s->n_ent >= s->max_entries) {
        s->dropped++;
        p->fi->dropped++;
        return;
    }
    uint32_t r = reason && rlen ? intern_reason(s, reason, rlen) : INTEL_NONE;
    if (o->kind == INTEL_IP) {
        uint32_t node = radix_insert(s, o->fam, o->addr, o->prefix);
        if (node == INTEL_NONE) {
            s->dropped++;
            p->fi->dropped++;
            return;
        }
        uint32_t first = s->nodes[node].entry;
        chain_add(p, &first, INTEL_NONE, o, r);
        s->nodes[node].entry = first;
        return;
    }
    uint64_t h = hash_key((unsigned)o->kind, o->key, o->klen);
    struct hslot *sl = h_find(s, (unsigned)o->kind, h, o->key, o->klen);
    if (!sl) {
        sl = h_insert(s, (unsigned)o->kind, h, o->key, o->klen, true);
        if (!sl) {
            s->dropped++;
            p->fi->dropped++;
            return;
        }
    }
    uint32_t first = sl->val, key = sl->key;
    chain_add(p, &first, key, o, r);
    /* chain_add may grow ent but never the slot table: sl is still valid. */
    sl->val = first;
}

/* --- loading: comments and titles ---------------------------------------------------------- */

/* Publishers recognised from their list headers (the evidence says "Feodo Tracker: QakBot"
 * rather than a file name). */
static void note_title(struct lp *p, const char *t, size_t len)
{
    static const struct {
        const char *needle, *name;
    } known[] = {
        {"Feodo Tracker", "Feodo Tracker"},
        {"JA3 Fingerprint", "SSLBL JA3"},
        {"SSL Certificate Blacklist", "SSLBL certificates"},
        {"SSLBL", "SSLBL"},
        {"URLhaus", "URLhaus"},
        {"ThreatFox", "ThreatFox"},
        {"ASN-DROP", "Spamhaus ASN-DROP"},
        {"EDROP", "Spamhaus EDROP"},
        {"DROPv6", "Spamhaus DROPv6"},
        {"Spamhaus DROP", "Spamhaus DROP"},
        {"Emerging Threats", "Emerging Threats"},
    };
    if (p->title[0] || p->comments++ >= 64)
        return;
    char b[INTEL_MAX_LINE + 1];
    memcpy(b, t, len);
    b[len] = 0;
    for (size_t i = 0; i < MM_ARRAY_LEN(known); i++) {
        if (strstr(b, known[i].needle)) {
            snprintf(p->title, sizeof p->title, "%s", known[i].name);
            return;
        }
    }
    /* Adblock Plus lists name themselves: "! Title: ...". */
    const char *tt = strstr(b, "Title:");
    if (tt) {
        const char *v = tt + 6;
        size_t vl = strlen(v);
        trim(&v, &vl);
        if (vl)
            snprintf(p->title, sizeof p->title, "%.*s", (int)MM_MIN(vl, 80), v);
    }
}

/* --- loading: CSV -------------------------------------------------------------------------- */

/* Split a CSV record in place: fields trimmed, quotes removed ("" inside quotes is one "). */
static size_t csv_split(char *s, size_t len, const char **f, size_t *fl, size_t max)
{
    size_t n = 0, i = 0;
    while (n < max) {
        while (i < len && is_space(s[i]))
            i++;
        char *out = s + i;
        size_t w = 0;
        if (i < len && s[i] == '"') {
            i++;
            while (i < len) {
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        out[w++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                out[w++] = s[i++];
            }
            while (i < len && s[i] != ',')
                i++;
        } else {
            while (i < len && s[i] != ',')
                out[w++] = s[i++];
        }
        const char *fp = out;
        size_t flen = w;
        trim(&fp, &flen);
        f[n] = fp;
        fl[n] = flen;
        n++;
        if (i >= len)
            break;
        i++; /* the comma */
    }
    return n;
}

/* Column roles by header name; reasons ranked (lower = preferred). */
static enum role col_role(const char *p, size_t len, int *rank)
{
    static const struct {
        const char *name;
        enum role role;
        int rank;
    } cols[] = {
        {"dst_ip", R_IP, 0},
        {"dstip", R_IP, 0},
        {"ip", R_IP, 0},
        {"ip_address", R_IP, 0},
        {"ipaddress", R_IP, 0},
        {"ioc_ip", R_IP, 0},
        {"cidr", R_CIDR, 0},
        {"network", R_CIDR, 0},
        {"netblock", R_CIDR, 0},
        {"dst_port", R_PORT, 0},
        {"dstport", R_PORT, 0},
        {"port", R_PORT, 0},
        {"url", R_URL, 0},
        {"ja3_md5", R_JA3, 0},
        {"ja3", R_JA3, 0},
        {"ja3_hash", R_JA3, 0},
        {"ja4", R_JA4, 0},
        {"sha1", R_SHA1, 0},
        {"sha1_fingerprint", R_SHA1, 0},
        {"domain", R_DOMAIN, 0},
        {"hostname", R_DOMAIN, 0},
        {"host", R_DOMAIN, 0},
        {"fqdn", R_DOMAIN, 0},
        {"asn", R_ASN, 0},
        {"malware", R_REASON, 0},
        {"malware_family", R_REASON, 0},
        {"listingreason", R_REASON, 1},
        {"reason", R_REASON, 2},
        {"threat", R_REASON, 3},
        {"signature", R_REASON, 4},
        {"description", R_REASON, 5},
        {"comment", R_REASON, 6},
        {"application", R_REASON, 6},
        {"tags", R_TAGS, 0},
    };
    while (len && (*p == '#' || is_space(*p))) {
        p++;
        len--;
    }
    for (size_t i = 0; i < MM_ARRAY_LEN(cols); i++) {
        if (strlen(cols[i].name) == len && !strncasecmp(cols[i].name, p, len)) {
            *rank = cols[i].rank;
            return cols[i].role;
        }
    }
    return R_NONE;
}

/* Roles from a header; false when the fields are not a header (no indicator column, or a
 * field that is itself an indicator). The indicator column is the first by role priority:
 * one list, one kind of indicator. */
static bool csv_header(struct lp *p, const char **f, const size_t *fl, size_t n)
{
    static const enum role prio[] = {R_IP, R_CIDR, R_URL, R_JA3, R_JA4, R_SHA1, R_DOMAIN, R_ASN};
    enum role roles[CSV_MAX_FIELDS];
    int ranks[CSV_MAX_FIELDS];
    if (n < 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        struct ind probe;
        if (classify(f[i], fl[i], &probe) && probe.kind != INTEL_DOMAIN)
            return false;
        ranks[i] = 99;
        roles[i] = col_role(f[i], fl[i], &ranks[i]);
    }
    int ind = -1;
    for (size_t k = 0; k < MM_ARRAY_LEN(prio) && ind < 0; k++)
        for (size_t i = 0; i < n && ind < 0; i++)
            if (roles[i] == prio[k])
                ind = (int)i;
    if (ind < 0)
        return false;
    p->c_ind = ind;
    p->ind_role = roles[ind];
    p->c_port = p->c_reason = p->c_tags = -1;
    p->reason_rank = 99;
    for (size_t i = 0; i < n; i++) {
        if (roles[i] == R_PORT && p->c_port < 0 && (p->ind_role == R_IP))
            p->c_port = (int)i;
        else if (roles[i] == R_REASON && ranks[i] < p->reason_rank) {
            p->c_reason = (int)i;
            p->reason_rank = ranks[i];
        } else if (roles[i] == R_TAGS && p->c_tags < 0)
            p->c_tags = (int)i;
    }
    p->cols_known = true;
    return true;
}

static bool looks_like_date(const char *p, size_t len)
{
    return len >= 8 && is_digit(p[0]) && is_digit(p[1]) && is_digit(p[2]) && is_digit(p[3]) &&
           (p[4] == '-' || p[4] == '/');
}

/* Columns from the values of a data line (no header seen): the first indicator-looking
 * field, a port right after an IP, and the last free-text field as the reason. */
static bool csv_guess(struct lp *p, const char **f, const size_t *fl, size_t n)
{
    int ind = -1, dom = -1;
    enum role role = R_NONE;
    struct ind probe;
    for (size_t i = 0; i < n && ind < 0; i++) {
        if (!classify(f[i], fl[i], &probe))
            continue;
        if (probe.kind == INTEL_DOMAIN) {
            if (dom < 0)
                dom = (int)i;
            continue;
        }
        static const enum role by_kind[INTEL_KIND_COUNT] = {R_IP,  R_DOMAIN, R_URL, R_JA3,
                                                            R_JA4, R_SHA1,   R_ASN};
        ind = (int)i;
        role = by_kind[probe.kind];
    }
    if (ind < 0 && dom >= 0) {
        ind = dom;
        role = R_DOMAIN;
    }
    if (ind < 0)
        return false;
    p->c_ind = ind;
    p->ind_role = role;
    p->c_port = p->c_reason = p->c_tags = -1;
    if (role == R_IP && (size_t)ind + 1 < n && fl[ind + 1] && fl[ind + 1] <= 5) {
        bool num = true;
        for (size_t k = 0; k < fl[ind + 1]; k++)
            num = num && is_digit(f[ind + 1][k]);
        if (num)
            p->c_port = ind + 1;
    }
    for (size_t i = n; i > 0; i--) {
        size_t k = i - 1;
        if ((int)k == ind || !fl[k] || looks_like_date(f[k], fl[k]) ||
            classify(f[k], fl[k], &probe))
            continue;
        bool letter = false;
        for (size_t c = 0; c < fl[k] && !letter; c++)
            letter = is_alpha(f[k][c]);
        if (letter) {
            p->c_reason = (int)k;
            break;
        }
    }
    p->cols_known = true;
    return true;
}

static bool parse_as_role(enum role r, const char *v, size_t len, struct ind *o)
{
    switch (r) {
    case R_IP:
    case R_CIDR: return parse_ip(v, len, o);
    case R_URL: {
        size_t n = intel_url_key(v, len, o->key, sizeof o->key);
        o->klen = n;
        o->kind = INTEL_URL;
        return n > 0;
    }
    case R_JA3:
        if (len != 32 || !all_hex(v, len))
            return false;
        set_key_lower(o, INTEL_JA3, v, len);
        return true;
    case R_JA4:
        if (!is_ja4(v, len))
            return false;
        set_key_lower(o, INTEL_JA4, v, len);
        return true;
    case R_SHA1: return parse_sha1(v, len, o);
    case R_DOMAIN: return parse_domain(v, len, o);
    case R_ASN: return parse_asn(v, len, true, o);
    default: return false;
    }
}

static void csv_line(struct lp *p, char *ln, size_t len)
{
    const char *f[CSV_MAX_FIELDS];
    size_t fl[CSV_MAX_FIELDS];
    size_t n = csv_split(ln, len, f, fl, CSV_MAX_FIELDS);
    if (!p->cols_known) {
        if (csv_header(p, f, fl, n))
            return;
        if (!csv_guess(p, f, fl, n)) {
            skip_line(p);
            return;
        }
    }
    struct ind o;
    memset(&o, 0, offsetof(struct ind, key));
    if ((size_t)p->c_ind >= n || !parse_as_role(p->ind_role, f[p->c_ind], fl[p->c_ind], &o)) {
        skip_line(p);
        return;
    }
    if (o.kind == INTEL_IP && p->c_port >= 0 && (size_t)p->c_port < n && !o.port) {
        unsigned v = 0;
        bool ok = fl[p->c_port] > 0 && fl[p->c_port] <= 5;
        for (size_t k = 0; ok && k < fl[p->c_port]; k++) {
            ok = is_digit(f[p->c_port][k]);
            v = v * 10 + (unsigned)(f[p->c_port][k] - '0');
        }
        if (ok && v && v <= 65535)
            o.port = (uint16_t)v;
    }
    char reason[256];
    size_t rl = 0;
    if (p->c_reason >= 0 && (size_t)p->c_reason < n && fl[p->c_reason])
        rl = (size_t)snprintf(reason, sizeof reason, "%.*s", (int)MM_MIN(fl[p->c_reason], 200),
                              f[p->c_reason]);
    if (p->c_tags >= 0 && (size_t)p->c_tags < n && fl[p->c_tags] && rl < sizeof reason - 4) {
        int w = snprintf(reason + rl, sizeof reason - rl, rl ? " [%.*s]" : "%.*s",
                         (int)MM_MIN(fl[p->c_tags], 100), f[p->c_tags]);
        if (w > 0)
            rl = MM_MIN(rl + (size_t)w, sizeof reason - 1);
    }
    add_ind(p, &o, reason, rl);
}

/* --- loading: JSON lines --------------------------------------------------------------------- */

#define JSON_MAX_MEMBERS 32

struct jkv {
    const char *k, *v;
    size_t kl, vl;
};

/* Read a JSON string at s[*i] (the opening quote) in place: one-character escapes are
 * resolved, a \u escape (four hex digits) becomes '?'. False when it does not end on this
 * line. */
static bool json_str(char *s, size_t len, size_t *i, const char **out, size_t *olen)
{
    size_t r = *i + 1, w = r;
    char *start = s + r;
    while (r < len && s[r] != '"') {
        char c = s[r++];
        if (c == '\\') {
            if (r >= len)
                return false;
            char e = s[r++];
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u':
                if (r + 4 > len)
                    return false;
                r += 4;
                c = '?';
                break;
            default: c = e; break;
            }
        }
        s[w++] = c;
    }
    if (r >= len)
        return false;
    *out = start;
    *olen = w - (size_t)(start - s);
    *i = r + 1;
    return true;
}

/* The members of a flat JSON object (nested values are skipped); how many were read. */
static size_t json_members(char *s, size_t len, struct jkv *m, size_t max)
{
    size_t i = 0, n = 0;
    while (i < len && is_space(s[i]))
        i++;
    if (i >= len || s[i] != '{')
        return 0;
    i++;
    while (i < len && n < max) {
        while (i < len && (is_space(s[i]) || s[i] == ','))
            i++;
        if (i >= len || s[i] == '}' || s[i] != '"')
            break;
        const char *k;
        size_t kl;
        if (!json_str(s, len, &i, &k, &kl))
            break;
        while (i < len && is_space(s[i]))
            i++;
        if (i >= len || s[i] != ':')
            break;
        i++;
        while (i < len && is_space(s[i]))
            i++;
        if (i >= len)
            break;
        const char *v = NULL;
        size_t vl = 0;
        if (s[i] == '"') {
            if (!json_str(s, len, &i, &v, &vl))
                break;
        } else if (s[i] == '{' || s[i] == '[') {
            /* Skip a nested value: depth counted, strings stepped over. */
            unsigned depth = 0;
            while (i < len) {
                char c = s[i];
                if (c == '"') {
                    const char *d;
                    size_t dl;
                    if (!json_str(s, len, &i, &d, &dl))
                        return n;
                    continue;
                }
                if (c == '{' || c == '[')
                    depth++;
                else if (c == '}' || c == ']') {
                    if (--depth == 0) {
                        i++;
                        break;
                    }
                }
                i++;
            }
            continue;
        } else {
            v = s + i;
            while (i < len && s[i] != ',' && s[i] != '}' && !is_space(s[i]))
                i++;
            vl = (size_t)(s + i - v);
        }
        m[n].k = k;
        m[n].kl = kl;
        m[n].v = v;
        m[n].vl = vl;
        n++;
    }
    return n;
}

static const struct jkv *jget(const struct jkv *m, size_t n, const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < n; i++)
        if (m[i].kl == kl && !memcmp(m[i].k, key, kl))
            return &m[i];
    return NULL;
}

static void json_line(struct lp *p, char *ln, size_t len)
{
    struct jkv m[JSON_MAX_MEMBERS];
    size_t n = json_members(ln, len, m, JSON_MAX_MEMBERS);
    const struct jkv *t = jget(m, n, "type");
    if (t && t->vl == 8 && !memcmp(t->v, "metadata", 8)) {
        const struct jkv *c = jget(m, n, "copyright");
        if (c && memmem(c->v, c->vl, "Spamhaus", 8))
            p->json_spamhaus = true;
        return;
    }
    struct ind o;
    memset(&o, 0, offsetof(struct ind, key));
    const struct jkv *v, *r = NULL;
    bool ok = false;
    /* One indicator per object, in this order; ASN-DROP's "domain" names the network's
     * owner, not a bad domain, so it is never read as one. */
    if ((v = jget(m, n, "cidr")) != NULL) {
        ok = parse_ip(v->v, v->vl, &o);
        r = jget(m, n, "sblid");
    } else if ((v = jget(m, n, "ip_address")) != NULL || (v = jget(m, n, "ip")) != NULL) {
        ok = parse_ip(v->v, v->vl, &o);
        const struct jkv *pt = jget(m, n, "port");
        if (ok && pt && pt->vl && pt->vl <= 5) {
            unsigned pv = 0;
            for (size_t k = 0; k < pt->vl && is_digit(pt->v[k]); k++)
                pv = pv * 10 + (unsigned)(pt->v[k] - '0');
            if (pv && pv <= 65535)
                o.port = (uint16_t)pv;
        }
        r = jget(m, n, "malware");
    } else if ((v = jget(m, n, "asn")) != NULL) {
        ok = parse_asn(v->v, v->vl, true, &o);
        r = jget(m, n, "asname");
    }
    if (!ok) {
        skip_line(p);
        return;
    }
    add_ind(p, &o, r ? r->v : NULL, r ? r->vl : 0);
}

/* --- loading: plain lines -------------------------------------------------------------------- */

/* Where an inline comment starts ("1.2.3.0/24 ; SBL123", "evil.example # why"), or len. */
static size_t inline_comment(const char *s, size_t len)
{
    for (size_t i = 1; i < len; i++)
        if ((s[i] == '#' || s[i] == ';') && is_space(s[i - 1]))
            return i;
    return len;
}

static void plain_line(struct lp *p, char *ln, size_t len)
{
    const char *reason = NULL;
    size_t rl = 0;
    size_t body = inline_comment(ln, len);
    if (body < len) {
        reason = ln + body + 1;
        rl = len - body - 1;
        trim(&reason, &rl);
    }
    const char *s = ln;
    size_t sl = body;
    trim(&s, &sl);
    if (!sl) {
        skip_line(p);
        return;
    }
    struct ind o;
    memset(&o, 0, offsetof(struct ind, key));
    /* Adblock Plus: "||domain^" with options; exceptions and path or wildcard rules are not
     * domain lists. */
    if (sl >= 2 && s[0] == '@' && s[1] == '@') {
        skip_line(p);
        return;
    }
    if (sl > 2 && s[0] == '|' && s[1] == '|') {
        size_t e = 2;
        while (e < sl && s[e] != '^' && s[e] != '$' && s[e] != '|' && s[e] != '/' && s[e] != '*')
            e++;
        if ((e < sl && (s[e] == '/' || s[e] == '*')) ||
            (!parse_domain(s + 2, e - 2, &o) && !parse_ip(s + 2, e - 2, &o))) {
            skip_line(p);
            return;
        }
        add_ind(p, &o, reason, rl);
        return;
    }
    /* Tokens. */
    size_t t0 = 0;
    while (t0 < sl && !is_space(s[t0]))
        t0++;
    size_t rest = t0;
    while (rest < sl && is_space(s[rest]))
        rest++;
    if (rest < sl && parse_ip(s, t0, &o) && o.prefix == (o.fam ? 128u : 32u) && !o.port) {
        /* A hosts file: "0.0.0.0 evil.example [more names]". */
        size_t added = 0;
        size_t i = rest;
        while (i < sl) {
            size_t b = i;
            while (i < sl && !is_space(s[i]))
                i++;
            struct ind d;
            memset(&d, 0, offsetof(struct ind, key));
            if (parse_domain(s + b, i - b, &d)) {
                add_ind(p, &d, reason, rl);
                added++;
            }
            while (i < sl && is_space(s[i]))
                i++;
        }
        if (added)
            return;
        /* "127.0.0.1 localhost": a hosts file's own entries name no indicator. */
        bool sink = o.fam
                        ? (!memcmp(o.addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 15) && o.addr[15] <= 1)
                        : (o.addr[0] == 127 || !memcmp(o.addr, "\0\0\0\0", 4));
        if (sink) {
            skip_line(p);
            return;
        }
        /* "1.2.3.4 why it is listed": the words are the reason. */
    }
    memset(&o, 0, offsetof(struct ind, key));
    if (!classify(s, t0, &o)) {
        skip_line(p);
        return;
    }
    if (!reason && rest < sl) {
        reason = s + rest;
        rl = sl - rest;
    }
    add_ind(p, &o, reason, rl);
}

/* --- loading: lines ------------------------------------------------------------------------- */

static bool is_comment(const char *s, size_t len, const char **text, size_t *tlen)
{
    size_t skip = 0;
    if (s[0] == '#' || s[0] == ';' || s[0] == '!')
        skip = 1;
    else if (len >= 2 && s[0] == '/' && s[1] == '/')
        skip = 2;
    else if (s[0] == '[' && s[len - 1] == ']' && !memchr(s, ':', len))
        skip = 1; /* "[Adblock Plus 2.0]"; "[2001:db8::1]" is an address */
    else
        return false;
    *text = s + skip;
    *tlen = len - skip;
    trim(text, tlen);
    return true;
}

static void lp_line(struct lp *p, char *ln, size_t len)
{
    p->fi->lines++;
    if (memchr(ln, 0, len)) {
        skip_line(p);
        return;
    }
    if (p->fi->lines == 1 && len >= 3 && (uint8_t)ln[0] == 0xef && (uint8_t)ln[1] == 0xbb &&
        (uint8_t)ln[2] == 0xbf) {
        ln += 3;
        len -= 3;
    }
    while (len && is_space(ln[len - 1]))
        len--;
    while (len && is_space(*ln)) {
        ln++;
        len--;
    }
    if (!len)
        return;
    ln[len] = 0;
    const char *ct;
    size_t cl;
    if (is_comment(ln, len, &ct, &cl)) {
        note_title(p, ct, cl);
        /* A CSV header kept in a comment ("# ja3_md5,Firstseen,Lastseen,Listingreason"). */
        if ((p->fmt == FMT_UNKNOWN || p->fmt == FMT_CSV) && !p->cols_known && cl &&
            memchr(ct, ',', cl)) {
            char hb[INTEL_MAX_LINE + 1];
            memcpy(hb, ct, cl);
            const char *f[CSV_MAX_FIELDS];
            size_t fl[CSV_MAX_FIELDS];
            size_t n = csv_split(hb, cl, f, fl, CSV_MAX_FIELDS);
            /* The fields point into hb, which lives only here: csv_header keeps indexes. */
            if (csv_header(p, f, fl, n))
                p->fmt = FMT_CSV;
        }
        return;
    }
    if (p->fmt == FMT_UNKNOWN)
        p->fmt = ln[0] == '{' ? FMT_JSON : memchr(ln, ',', len) ? FMT_CSV : FMT_PLAIN;
    switch (p->fmt) {
    case FMT_JSON: json_line(p, ln, len); break;
    case FMT_CSV: csv_line(p, ln, len); break;
    default: plain_line(p, ln, len); break;
    }
}

/* Feed bytes; lines may span calls. */
static void lp_feed(struct lp *p, const char *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(d + i, '\n', n - i);
        size_t seg = nl ? (size_t)(nl - (d + i)) : n - i;
        if (!p->too_long) {
            if (p->len + seg > INTEL_MAX_LINE) {
                p->too_long = true;
            } else {
                memcpy(p->line + p->len, d + i, seg);
                p->len += seg;
            }
        }
        i += seg;
        if (!nl)
            break;
        i++;
        if (p->too_long) {
            p->fi->lines++;
            p->fi->too_long++;
            if (!p->fi->first_skipped)
                p->fi->first_skipped = (uint32_t)MM_MIN(p->fi->lines, UINT32_MAX);
        } else {
            lp_line(p, p->line, p->len);
        }
        p->len = 0;
        p->too_long = false;
    }
}

static void lp_end(struct lp *p)
{
    if (p->too_long) {
        p->fi->lines++;
        p->fi->too_long++;
    } else if (p->len) {
        lp_line(p, p->line, p->len);
    }
    p->len = 0;
    p->too_long = false;
}

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* A new file record and its parser. */
static struct lp *lp_begin(intel_set_t *s, const char *path, char *err, size_t errlen)
{
    if (s->n_files >= INTEL_MAX_FILES) {
        snprintf(err, errlen, "%s: too many intel files (at most %u)", path, INTEL_MAX_FILES);
        return NULL;
    }
    if (s->n_files == s->cap_files) {
        size_t nc = s->cap_files ? s->cap_files * 2 : 8;
        struct file_rec *nf = realloc(s->files, nc * sizeof *nf);
        if (!nf)
            goto oom;
        s->files = nf;
        s->cap_files = nc;
    }
    struct lp *p = calloc(1, sizeof *p);
    char *copy = strdup(path);
    if (!p || !copy) {
        free(p);
        free(copy);
        goto oom;
    }
    struct file_rec *fr = &s->files[s->n_files];
    memset(fr, 0, sizeof *fr);
    fr->path = copy;
    fr->info.path = copy;
    fr->info.name = base_name(copy);
    fr->info.list_name = fr->info.name;
    fr->info.format = "plain";
    p->s = s;
    p->fidx = (uint16_t)s->n_files;
    p->fi = &fr->info;
    p->c_ind = p->c_port = p->c_reason = p->c_tags = -1;
    s->n_files++;
    return p;
oom:
    snprintf(err, errlen, "%s: out of memory", path);
    return NULL;
}

static int lp_finish(struct lp *p, char *err, size_t errlen)
{
    struct file_rec *fr = &p->s->files[p->fidx];
    static const char *const fmts[] = {"plain", "plain", "csv", "json-lines"};
    fr->info.format = fmts[p->fmt];
    const char *title = p->title;
    if (!title[0] && p->json_spamhaus)
        title = fr->info.by_kind[INTEL_ASN] ? "Spamhaus ASN-DROP" : "Spamhaus DROP";
    if (title[0]) {
        fr->list_name = strdup(title);
        if (!fr->list_name) {
            snprintf(err, errlen, "%s: out of memory", fr->info.path);
            free(p);
            return MM_ENOMEM;
        }
        fr->info.list_name = fr->list_name;
    }
    free(p);
    return 0;
}

/* Text lists hold no NUL byte; one in the first 64 KiB means a binary file. */
#define BINARY_PROBE (64u << 10)

int intel_set_load_mem(intel_set_t *s, const char *name, const void *data, size_t len, char *err,
                       size_t errlen)
{
    if (memchr(data, 0, MM_MIN(len, BINARY_PROBE))) {
        snprintf(err, errlen, "%s: not a text list (binary data)", name);
        return MM_EFORMAT;
    }
    struct lp *p = lp_begin(s, name, err, errlen);
    if (!p)
        return s->n_files >= INTEL_MAX_FILES ? MM_ELIMIT : MM_ENOMEM;
    lp_feed(p, data, len);
    lp_end(p);
    return lp_finish(p, err, errlen);
}

int intel_set_load_file(intel_set_t *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return MM_EIO;
    }
    enum { CHUNK = 64u << 10 };
    char *buf = malloc(CHUNK);
    if (!buf) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return MM_ENOMEM;
    }
    struct lp *p = NULL;
    int rc = 0;
    bool first = true;
    size_t n;
    while ((n = fread(buf, 1, CHUNK, f)) > 0) {
        if (first) {
            first = false;
            if (memchr(buf, 0, n)) {
                snprintf(err, errlen, "%s: not a text list (binary data)", path);
                rc = MM_EFORMAT;
                goto out;
            }
            p = lp_begin(s, path, err, errlen);
            if (!p) {
                rc = s->n_files >= INTEL_MAX_FILES ? MM_ELIMIT : MM_ENOMEM;
                goto out;
            }
        }
        lp_feed(p, buf, n);
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = MM_EIO;
        free(p);
        goto out;
    }
    if (!p) { /* an empty file */
        p = lp_begin(s, path, err, errlen);
        if (!p) {
            rc = s->n_files >= INTEL_MAX_FILES ? MM_ELIMIT : MM_ENOMEM;
            goto out;
        }
    }
    lp_end(p);
    rc = lp_finish(p, err, errlen);
out:
    free(buf);
    fclose(f);
    return rc;
}
