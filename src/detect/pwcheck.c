/*
 * Password checker for the weak-password detector (T7): the IPA rules of the brief, applied
 * to a borrowed password without copying it (pwcheck.h lists the rules).
 *
 * Case folding and the "p@ssw0rd" substitutions are applied byte by byte while hashing and
 * comparing (map_byte), so no normalised copy of a password ever exists, and the checker has
 * no mutable state (safe from any thread once its word sets are built). Word sets are
 * open-addressing hash tables of offsets into one arena of [length][bytes] records, kept at
 * most half full.
 *
 * Left out: words joined together ("bluesky"; two names joined are a name), keyboard
 * patterns other than rows and the 1qaz2wsx columns, and dates written with month names.
 */
#include "detect/pwcheck.h"

#include "core/mm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Digits and symbols allowed around a dictionary word ("Password123!"): more is not the
 * trivial decoration the rule is about. */
#define PW_DECORATION_MAX 6u

static const char *const rule_names[PWCHECK_N_RULES] = {
    [PWCHECK_CONTAINS_USER] = "contains_user",
    [PWCHECK_SHORT] = "short",
    [PWCHECK_FEW_CLASSES] = "few_classes",
    [PWCHECK_DATE] = "date",
    [PWCHECK_SEQUENCE] = "sequence",
    [PWCHECK_REPEAT] = "repeat",
    [PWCHECK_DICTIONARY_WORD] = "dictionary_word",
    [PWCHECK_COMMON_PASSWORD] = "common_password",
    [PWCHECK_NAME] = "name",
};

const char *pwcheck_rule_name(unsigned rule)
{
    return rule < PWCHECK_N_RULES ? rule_names[rule] : NULL;
}

bool pwcheck_rule_find(const char *name, size_t len, unsigned *rule)
{
    for (unsigned i = 0; i < PWCHECK_N_RULES; i++) {
        if (strlen(rule_names[i]) == len && !memcmp(rule_names[i], name, len)) {
            *rule = i;
            return true;
        }
    }
    return false;
}

void pwcheck_config_defaults(struct pwcheck_config *cfg)
{
    cfg->min_length = 8;
    cfg->min_classes = 3;
    cfg->min_run = 4;
}

/* --- byte maps ------------------------------------------------------------------------- */

enum { MAP_FOLD = 0, MAP_LEET_I, MAP_LEET_L, MAP_COUNT };

static inline uint8_t fold(uint8_t c)
{
    return (uint8_t)((c >= 'A' && c <= 'Z') ? c + 32 : c);
}

/* ASCII lower case; the leet maps also undo the common substitutions, reading '1' as 'i'
 * (MAP_LEET_I) or as 'l' (MAP_LEET_L). */
static inline uint8_t map_byte(unsigned map, uint8_t c)
{
    c = fold(c);
    if (map == MAP_FOLD)
        return c;
    switch (c) {
    case '0': return 'o';
    case '1': return map == MAP_LEET_I ? 'i' : 'l';
    case '3': return 'e';
    case '4':
    case '@': return 'a';
    case '5':
    case '$': return 's';
    case '7':
    case '+': return 't';
    case '!': return 'i';
    default: return c;
    }
}

/* --- word sets ------------------------------------------------------------------------- */

struct pwcheck_words {
    uint32_t *slots; /* 0 empty, else 1 + offset of the record in arena */
    size_t n_slots;  /* power of two, at least twice count */
    size_t count, max_words;
    uint8_t *arena; /* records: one length byte, then the lower-case bytes */
    size_t arena_len, arena_cap;
};

static uint32_t hash_mapped(const uint8_t *s, size_t n, unsigned map)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ map_byte(map, s[i])) * 16777619u;
    return h ^ (uint32_t)n;
}

pwcheck_words_t *pwcheck_words_new(size_t max_words)
{
    pwcheck_words_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->max_words = max_words;
    w->n_slots = 1024;
    w->slots = calloc(w->n_slots, sizeof *w->slots);
    if (!w->slots) {
        free(w);
        return NULL;
    }
    return w;
}

void pwcheck_words_free(pwcheck_words_t *w)
{
    if (!w)
        return;
    free(w->slots);
    free(w->arena);
    free(w);
}

size_t pwcheck_words_count(const pwcheck_words_t *w)
{
    return w ? w->count : 0;
}

size_t pwcheck_words_memuse(const pwcheck_words_t *w)
{
    return w ? sizeof *w + w->n_slots * sizeof *w->slots + w->arena_cap : 0;
}

/* Slot index holding s (mapped through map), or of the empty slot where it would go. */
static size_t find_slot(const pwcheck_words_t *w, const uint8_t *s, size_t n, unsigned map,
                        bool *found)
{
    size_t mask = w->n_slots - 1;
    size_t i = hash_mapped(s, n, map) & mask;
    for (;;) {
        uint32_t v = w->slots[i];
        if (!v) {
            *found = false;
            return i;
        }
        const uint8_t *rec = w->arena + (v - 1);
        if (rec[0] == n) {
            size_t k = 0;
            while (k < n && rec[1 + k] == map_byte(map, s[k]))
                k++;
            if (k == n) {
                *found = true;
                return i;
            }
        }
        i = (i + 1) & mask; /* the table is at most half full: an empty slot exists */
    }
}

static bool words_has_mapped(const pwcheck_words_t *w, const uint8_t *s, size_t n, unsigned map)
{
    if (!w || n == 0 || n > PWCHECK_WORD_MAX || w->count == 0)
        return false;
    bool found;
    (void)find_slot(w, s, n, map, &found);
    return found;
}

bool pwcheck_words_has(const pwcheck_words_t *w, const uint8_t *s, size_t len)
{
    return words_has_mapped(w, s, len, MAP_FOLD);
}

static int grow_slots(pwcheck_words_t *w)
{
    size_t n = w->n_slots * 2;
    uint32_t *ns = calloc(n, sizeof *ns);
    if (!ns)
        return MM_ENOMEM;
    for (size_t i = 0; i < w->n_slots; i++) {
        uint32_t v = w->slots[i];
        if (!v)
            continue;
        const uint8_t *rec = w->arena + (v - 1);
        size_t j = hash_mapped(rec + 1, rec[0], MAP_FOLD) & (n - 1);
        while (ns[j])
            j = (j + 1) & (n - 1);
        ns[j] = v;
    }
    free(w->slots);
    w->slots = ns;
    w->n_slots = n;
    return 0;
}

int pwcheck_words_add(pwcheck_words_t *w, const char *word, size_t len)
{
    const uint8_t *s = (const uint8_t *)word;
    if (len == 0 || len > PWCHECK_WORD_MAX)
        return 0;
    bool found;
    (void)find_slot(w, s, len, MAP_FOLD, &found);
    if (found)
        return 0;
    if (w->max_words && w->count >= w->max_words)
        return MM_ELIMIT;
    /* Offsets are 32-bit: the arena stays far below 4 GiB (max_words * 65 bytes). */
    if (w->arena_len + 1 + len >= UINT32_MAX)
        return MM_ELIMIT;
    if ((w->count + 1) * 2 > w->n_slots && grow_slots(w) != 0)
        return MM_ENOMEM;
    if (w->arena_len + 1 + len > w->arena_cap) {
        size_t cap = w->arena_cap ? w->arena_cap * 2 : 16384;
        while (cap < w->arena_len + 1 + len)
            cap *= 2;
        uint8_t *na = realloc(w->arena, cap);
        if (!na)
            return MM_ENOMEM;
        w->arena = na;
        w->arena_cap = cap;
    }
    size_t off = w->arena_len;
    w->arena[off] = (uint8_t)len;
    for (size_t i = 0; i < len; i++)
        w->arena[off + 1 + i] = fold(s[i]);
    w->arena_len += 1 + len;
    size_t slot = find_slot(w, s, len, MAP_FOLD, &found);
    w->slots[slot] = (uint32_t)(off + 1);
    w->count++;
    return 0;
}

static bool all_letters(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = fold((uint8_t)s[i]);
        if (c < 'a' || c > 'z')
            return false;
    }
    return true;
}

int pwcheck_words_load(pwcheck_words_t *w, const char *path, size_t min_len, bool letters_only,
                       size_t max_bytes, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return MM_EIO;
    }
    char line[512];
    size_t total = 0;
    int rc = 0;
    bool long_line = false;
    while (fgets(line, sizeof line, fp)) {
        size_t n = strlen(line);
        total += n;
        if (max_bytes && total > max_bytes) {
            snprintf(err, errlen, "%s: larger than %zu bytes; the rest is not read", path,
                     max_bytes);
            rc = MM_ELIMIT;
            break;
        }
        bool complete = n > 0 && line[n - 1] == '\n';
        if (long_line) { /* the tail of a line longer than the buffer: not a word */
            long_line = !complete;
            continue;
        }
        long_line = !complete && !feof(fp);
        if (long_line)
            continue;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                         line[n - 1] == '\t'))
            n--;
        size_t s = 0;
        while (s < n && (line[s] == ' ' || line[s] == '\t'))
            s++;
        if (s == n || line[s] == '#')
            continue;
        size_t len = n - s;
        if (len < min_len || (letters_only && !all_letters(line + s, len)))
            continue;
        rc = pwcheck_words_add(w, line + s, len);
        if (rc == MM_ELIMIT) {
            snprintf(err, errlen, "%s: more than %zu words; the rest is not read", path,
                     w->max_words);
            break;
        }
        if (rc != 0) {
            snprintf(err, errlen, "%s: out of memory", path);
            break;
        }
    }
    if (rc == 0 && ferror(fp)) {
        snprintf(err, errlen, "%s: read error", path);
        rc = MM_EIO;
    }
    fclose(fp);
    return rc;
}

/* --- the rules ------------------------------------------------------------------------- */

/* Whether needle (read forwards, or backwards when rev) occurs in hay, ignoring case. */
static bool ci_contains(const uint8_t *hay, size_t hn, const uint8_t *needle, size_t nn, bool rev)
{
    if (nn == 0 || nn > hn)
        return false;
    for (size_t i = 0; i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && fold(hay[i + k]) == fold(needle[rev ? nn - 1 - k : k]))
            k++;
        if (k == nn)
            return true;
    }
    return false;
}

/* The user ID as typed, the name after "DOMAIN\", and the local part of "user@domain". */
static bool has_user(const uint8_t *user, size_t un, const uint8_t *pw, size_t n)
{
    const uint8_t *ids[3];
    size_t lens[3], k = 0;
    ids[k] = user;
    lens[k++] = un;
    const uint8_t *bs = memchr(user, '\\', un);
    const uint8_t *name = user;
    size_t name_len = un;
    if (bs) {
        name = bs + 1;
        name_len = un - (size_t)(name - user);
        ids[k] = name;
        lens[k++] = name_len;
    }
    const uint8_t *at = memchr(name, '@', name_len);
    if (at) {
        ids[k] = name;
        lens[k++] = (size_t)(at - name);
    }
    for (size_t i = 0; i < k; i++) {
        /* One- and two-letter IDs would match by chance. */
        if (lens[i] < 3)
            continue;
        if (ci_contains(pw, n, ids[i], lens[i], false) || ci_contains(pw, n, ids[i], lens[i], true))
            return true;
        if (n >= 4 && ci_contains(ids[i], lens[i], pw, n, false))
            return true;
    }
    return false;
}

static unsigned count_classes(const uint8_t *pw, size_t n)
{
    unsigned seen = 0;
    for (size_t i = 0; i < n && seen != 15u; i++) {
        uint8_t c = pw[i];
        if (c >= 'a' && c <= 'z')
            seen |= 1u;
        else if (c >= 'A' && c <= 'Z')
            seen |= 2u;
        else if (c >= '0' && c <= '9')
            seen |= 4u;
        else
            seen |= 8u;
    }
    return (unsigned)__builtin_popcount(seen);
}

static bool is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

static unsigned num(const uint8_t *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10u + (unsigned)(s[i] - '0');
    return v;
}

static bool valid_md(unsigned m, unsigned d)
{
    static const uint8_t mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m >= 1 && m <= 12 && d >= 1 && d <= mdays[m];
}

static bool is_year(unsigned y)
{
    return y >= 1900 && y <= 2099;
}

/* A whole digit run that reads as a date (or a year). */
static bool date_run(const uint8_t *s, size_t n)
{
    switch (n) {
    case 4:
        return is_year(num(s, 4)) || valid_md(num(s, 2), num(s + 2, 2)) ||
               valid_md(num(s + 2, 2), num(s, 2));
    case 6: {
        unsigned a = num(s, 2), b = num(s + 2, 2), c = num(s + 4, 2);
        return valid_md(b, c) || valid_md(b, a) || valid_md(a, b); /* YYMMDD DDMMYY MMDDYY */
    }
    case 8:
        if (is_year(num(s, 4)) && valid_md(num(s + 4, 2), num(s + 6, 2)))
            return true; /* YYYYMMDD */
        if (is_year(num(s + 4, 4)) &&
            (valid_md(num(s + 2, 2), num(s, 2)) || valid_md(num(s, 2), num(s + 2, 2))))
            return true; /* DDMMYYYY, MMDDYYYY */
        break;
    default: break;
    }
    /* A year at either end of a short run ("20241", "12024"). */
    return n >= 5 && n <= 8 && (is_year(num(s, 4)) || is_year(num(s + n - 4, 4)));
}

#define PW_MAX_RUNS 128

static bool has_date(const uint8_t *pw, size_t n)
{
    size_t rs[PW_MAX_RUNS], rl[PW_MAX_RUNS], nr = 0;
    for (size_t i = 0; i < n && nr < PW_MAX_RUNS;) {
        if (!is_digit(pw[i])) {
            i++;
            continue;
        }
        size_t s = i;
        while (i < n && is_digit(pw[i]))
            i++;
        rs[nr] = s;
        rl[nr++] = i - s;
    }
    for (size_t r = 0; r < nr; r++) {
        if (date_run(pw + rs[r], rl[r]))
            return true;
        /* Parts joined by one separator, the same both times: 1990-01-15, 15/01/90, 04.23 */
        if (r + 1 >= nr || rs[r] + rl[r] + 1 != rs[r + 1])
            continue;
        uint8_t sep = pw[rs[r] + rl[r]];
        if (sep != '-' && sep != '/' && sep != '.')
            continue;
        size_t l0 = rl[r], l1 = rl[r + 1];
        unsigned a = num(pw + rs[r], MM_MIN(l0, 4u)), b = num(pw + rs[r + 1], MM_MIN(l1, 4u));
        bool three = r + 2 < nr && rs[r + 1] + l1 + 1 == rs[r + 2] && pw[rs[r + 1] + l1] == sep;
        if (three) {
            size_t l2 = rl[r + 2];
            unsigned c = num(pw + rs[r + 2], MM_MIN(l2, 4u));
            if (l0 == 4 && l1 <= 2 && l2 <= 2 && is_year(a) && valid_md(b, c))
                return true;
            if (l0 <= 2 && l1 <= 2 && (l2 == 2 || (l2 == 4 && is_year(c))) &&
                (valid_md(b, a) || valid_md(a, b)))
                return true;
        } else if (l0 == 2 && l1 == 2 && (valid_md(a, b) || valid_md(b, a))) {
            return true;
        }
    }
    return false;
}

/* Rows a person types along; each is also checked backwards. */
static const char *const sequences[] = {
    "abcdefghijklmnopqrstuvwxyz",
    "01234567890",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "!@#$%^&*()",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
};

static bool has_sequence(const uint8_t *pw, size_t n, size_t min_run)
{
    if (min_run < 2 || n < min_run)
        return false;
    for (size_t q = 0; q < MM_ARRAY_LEN(sequences); q++) {
        const char *seq = sequences[q];
        size_t sl = strlen(seq);
        for (size_t i = 0; i + min_run <= n; i++) {
            uint8_t c = fold(pw[i]);
            /* '0' appears twice in the digit row (before 1 and after 9): try each place. */
            for (size_t k = 0; k < sl; k++) {
                if ((uint8_t)seq[k] != c)
                    continue;
                size_t f = 1, b = 1;
                while (i + f < n && k + f < sl && fold(pw[i + f]) == (uint8_t)seq[k + f])
                    f++;
                while (i + b < n && b <= k && fold(pw[i + b]) == (uint8_t)seq[k - b])
                    b++;
                if (f >= min_run || b >= min_run)
                    return true;
            }
        }
    }
    return false;
}

static bool has_repeat(const uint8_t *pw, size_t n, size_t min_run)
{
    if (min_run >= 2) {
        size_t run = 1;
        for (size_t i = 1; i < n; i++) {
            run = fold(pw[i]) == fold(pw[i - 1]) ? run + 1 : 1;
            if (run >= min_run)
                return true;
        }
    }
    /* The whole password one unit repeated: abcabc, 1212, passpass. */
    if (n < 4)
        return false;
    for (size_t u = 1; u <= n / 2; u++) {
        if (n % u)
            continue;
        size_t i = u;
        while (i < n && fold(pw[i]) == fold(pw[i - u]))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static bool is_letter(uint8_t c)
{
    c = fold(c);
    return c >= 'a' && c <= 'z';
}

/* Where a word may sit in pw: the whole password, and (when there is decoration of at most
 * PW_DECORATION_MAX digits and symbols around the letters) the part between. Returns how
 * many of the two (1 or 2). */
static size_t word_spans(const uint8_t *pw, size_t n, size_t span[2][2])
{
    size_t s = 0, e = n;
    while (s < n && !is_letter(pw[s]))
        s++;
    while (e > s && !is_letter(pw[e - 1]))
        e--;
    span[0][0] = 0;
    span[0][1] = n;
    span[1][0] = s;
    span[1][1] = e;
    return (s > 0 || e < n) && s + (n - e) <= PW_DECORATION_MAX ? 2 : 1;
}

/* One dictionary word, whole or between a few digits/symbols, read plainly or with the
 * common substitutions undone. */
static bool is_dict_word(const pwcheck_words_t *d, const uint8_t *pw, size_t n)
{
    size_t span[2][2];
    size_t nc = word_spans(pw, n, span);
    for (size_t c = 0; c < nc; c++) {
        size_t len = span[c][1] - span[c][0];
        if (len < 4 || len > PWCHECK_WORD_MAX)
            continue;
        for (unsigned m = 0; m < MAP_COUNT; m++)
            if (words_has_mapped(d, pw + span[c][0], len, m))
                return true;
    }
    return false;
}

#define PW_NAME_MIN 3u /* the names list holds nothing shorter (pwnames.h) */

static bool is_name_sep(uint8_t c)
{
    return c == '.' || c == '_' || c == '-' || c == ' ';
}

/* s[0..len) one name, or two: joined (yamadataro), or around one separator (taro.yamada).
 * Both halves are read through the same substitution map. */
static bool names_in(const pwcheck_words_t *nm, const uint8_t *s, size_t len, unsigned m)
{
    if (words_has_mapped(nm, s, len, m))
        return true;
    if (len < 2 * PW_NAME_MIN)
        return false;
    for (size_t i = PW_NAME_MIN; i + PW_NAME_MIN <= len; i++) {
        if (is_name_sep(s[i])) {
            return i + 1 + PW_NAME_MIN <= len && words_has_mapped(nm, s, i, m) &&
                   words_has_mapped(nm, s + i + 1, len - i - 1, m);
        }
    }
    for (size_t i = PW_NAME_MIN; i + PW_NAME_MIN <= len; i++)
        if (words_has_mapped(nm, s, i, m) && words_has_mapped(nm, s + i, len - i, m))
            return true;
    return false;
}

/* A name of the list (or two), whole or between a few digits/symbols, as dictionary words;
 * but substitutions are undone only between letters: read as letters, a trailing "1" or "!"
 * would turn a word into two short names (Machine! = machi + nei, root01 = roo + toi). */
static bool is_name(const pwcheck_words_t *nm, const uint8_t *pw, size_t n)
{
    size_t span[2][2];
    size_t nc = word_spans(pw, n, span);
    for (size_t c = 0; c < nc; c++) {
        const uint8_t *s = pw + span[c][0];
        size_t len = span[c][1] - span[c][0];
        if (len < PW_NAME_MIN || len > PWCHECK_WORD_MAX)
            continue;
        unsigned maps = is_letter(s[0]) && is_letter(s[len - 1]) ? MAP_COUNT : 1;
        for (unsigned m = 0; m < maps; m++)
            if (names_in(nm, s, len, m))
                return true;
    }
    return false;
}

uint32_t pwcheck(const struct pwcheck_config *cfg, const struct pwcheck_lists *lists,
                 const uint8_t *user, size_t user_len, const uint8_t *pw, size_t pw_len)
{
    static const struct pwcheck_lists none;
    if (!lists)
        lists = &none;
    size_t n = MM_MIN(pw_len, (size_t)PWCHECK_MAX_LEN);
    size_t un = user ? MM_MIN(user_len, (size_t)PWCHECK_MAX_LEN) : 0;
    uint32_t r = 0;
    if (pw_len < cfg->min_length)
        r |= PWCHECK_BIT(PWCHECK_SHORT);
    if (count_classes(pw, n) < cfg->min_classes)
        r |= PWCHECK_BIT(PWCHECK_FEW_CLASSES);
    if (un && has_user(user, un, pw, n))
        r |= PWCHECK_BIT(PWCHECK_CONTAINS_USER);
    if (has_date(pw, n))
        r |= PWCHECK_BIT(PWCHECK_DATE);
    if (has_sequence(pw, n, cfg->min_run))
        r |= PWCHECK_BIT(PWCHECK_SEQUENCE);
    if (has_repeat(pw, n, cfg->min_run))
        r |= PWCHECK_BIT(PWCHECK_REPEAT);
    if (lists->dict && pw_len == n && is_dict_word(lists->dict, pw, n))
        r |= PWCHECK_BIT(PWCHECK_DICTIONARY_WORD);
    if (lists->common && pw_len == n && pwcheck_words_has(lists->common, pw, n))
        r |= PWCHECK_BIT(PWCHECK_COMMON_PASSWORD);
    if (lists->names && pw_len == n && is_name(lists->names, pw, n))
        r |= PWCHECK_BIT(PWCHECK_NAME);
    return r;
}
