/*
 * IEEE registry CSV -> sorted prefix tables (see oui.h for the format and the limits).
 *
 * The parser is a state machine over RFC 4180 CSV, so a quoted field may span lines and a
 * record never needs to be held whole: only the first three fields are copied, into fixed
 * buffers. It takes the bytes between separators and quotes a run at a time (memchr and a
 * tight loop), and one at a time only at those bytes: the 4 MB of the registries are read
 * at every start. Each registry size (36, 28, 24 bits) gets its own array of
 * (prefix, name offset) sorted by prefix; a lookup is one binary search per size.
 */
#include "enrich/oui.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mm.h"

/* Registry sizes, longest first: the lookup order. */
enum { OUI_T36, OUI_T28, OUI_T24, OUI_NTABLES };
static const unsigned oui_bits[OUI_NTABLES] = {36, 28, 24};

#define OUI_MAX_POOL (32u << 20) /* name bytes; 1 M names of 32 bytes */

struct oui_ent {
    uint64_t prefix;   /* the top `bits` bits of the 48-bit address */
    uint32_t name_off; /* into the pool, NUL-terminated */
    uint32_t seq;      /* parse order: the first of duplicates wins */
};

struct oui_table {
    struct oui_ent *v;
    size_t n, cap;
};

struct enrich_oui {
    struct oui_table t[OUI_NTABLES];
    char *pool;
    size_t pool_len, pool_cap;
    uint32_t seq;
    size_t total; /* entries over all tables, <= ENRICH_OUI_MAX_ENTRIES */

    /* Parser state, kept across enrich_oui_parse_buffer calls. */
    int state;
    size_t rec_len;    /* bytes of the current record so far */
    unsigned field;    /* index of the current field */
    bool overlong;     /* a field we keep did not fit its buffer */
    bool at_line_start;
    char f_reg[16], f_asg[16], f_name[ENRICH_OUI_MAX_NAME + 1];
    size_t l_reg, l_asg, l_name;
};

enum {
    ST_FIELD_START, /* before the first byte of a field */
    ST_UNQUOTED,    /* inside a field without quotes */
    ST_QUOTED,      /* inside "..." */
    ST_QUOTE_SEEN,  /* a '"' inside quotes: a doubled quote or the closing one */
    ST_SKIP_LINE,   /* an overlong record: ignore everything up to the next line break */
};

struct enrich_oui *enrich_oui_new(void)
{
    struct enrich_oui *db = calloc(1, sizeof *db);
    if (db)
        db->at_line_start = true;
    return db;
}

void enrich_oui_free(struct enrich_oui *db)
{
    if (!db)
        return;
    for (int i = 0; i < OUI_NTABLES; i++)
        free(db->t[i].v);
    free(db->pool);
    free(db);
}

size_t enrich_oui_count(const struct enrich_oui *db)
{
    return db ? db->total : 0;
}

static void rec_reset(struct enrich_oui *db)
{
    db->rec_len = 0;
    db->field = 0;
    db->overlong = false;
    db->l_reg = db->l_asg = db->l_name = 0;
}

/* Append n bytes of field content to the buffer of the field, if it is one we keep. */
static void field_bytes(struct enrich_oui *db, const char *p, size_t n)
{
    char *buf;
    size_t *len, cap;
    switch (db->field) {
    case 0:
        buf = db->f_reg, len = &db->l_reg, cap = sizeof db->f_reg - 1;
        break;
    case 1:
        buf = db->f_asg, len = &db->l_asg, cap = sizeof db->f_asg - 1;
        break;
    case 2: {
        /* A name longer than the buffer is cut, not refused: the start names the vendor. */
        size_t k = MM_MIN(n, (size_t)ENRICH_OUI_MAX_NAME - db->l_name);
        memcpy(db->f_name + db->l_name, p, k);
        db->l_name += k;
        return;
    }
    default:
        return; /* the address and anything after it are not kept */
    }
    size_t k = MM_MIN(n, cap - *len);
    memcpy(buf + *len, p, k);
    *len += k;
    if (k < n)
        db->overlong = true;
}

static void field_byte(struct enrich_oui *db, char c)
{
    field_bytes(db, &c, 1);
}

/* Bytes from buf[0..n) up to the first ',', '\n', '\r' or '"' (the unquoted run). */
static size_t unquoted_run(const char *buf, size_t n)
{
    size_t i = 0;
    while (i < n && buf[i] != ',' && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '"')
        i++;
    return i;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Length of s[0..n) cut back so that it does not end inside a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t n)
{
    size_t i = n;
    size_t back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xc0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return n;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (lead < 0x80 || back + 1 == need)
        return n; /* ends on a whole character (or bytes that are not UTF-8 anyway) */
    return need > back + 1 ? i - 1 : n;
}

static int table_push(struct oui_table *t, struct oui_ent e)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        struct oui_ent *nv = realloc(t->v, ncap * sizeof *nv);
        if (!nv)
            return MM_ENOMEM;
        t->v = nv;
        t->cap = ncap;
    }
    t->v[t->n++] = e;
    return 0;
}

/* Copy a name into the pool; its offset in *off. */
static int pool_add(struct enrich_oui *db, const char *s, size_t n, uint32_t *off)
{
    if (db->pool_len + n + 1 > OUI_MAX_POOL)
        return MM_ELIMIT;
    if (db->pool_len + n + 1 > db->pool_cap) {
        size_t ncap = db->pool_cap ? db->pool_cap : 64 * 1024;
        while (ncap < db->pool_len + n + 1)
            ncap *= 2;
        char *np = realloc(db->pool, ncap);
        if (!np)
            return MM_ENOMEM;
        db->pool = np;
        db->pool_cap = ncap;
    }
    *off = (uint32_t)db->pool_len;
    memcpy(db->pool + db->pool_len, s, n);
    db->pool[db->pool_len + n] = 0;
    db->pool_len += n + 1;
    return 0;
}

/* A complete record: validate it and add its entry. Returns 0 or MM_ENOMEM. */
static int rec_end(struct enrich_oui *db, struct enrich_oui_result *res)
{
    unsigned nfields = db->field + 1;
    bool empty = nfields == 1 && db->l_reg == 0 && db->rec_len <= 2;
    if (empty)
        return 0; /* a blank line */
    if (nfields >= 2 && db->l_reg == 8 && !memcmp(db->f_reg, "Registry", 8) && !db->overlong)
        return 0; /* the header line (repeated when files are concatenated) */
    res->records++;
    if (nfields < 3 || db->overlong || db->rec_len > ENRICH_OUI_MAX_RECORD) {
        res->rejected++;
        return 0;
    }
    size_t want;
    int tab;
    if (db->l_reg == 4 && !memcmp(db->f_reg, "MA-L", 4))
        want = 6, tab = OUI_T24;
    else if (db->l_reg == 4 && !memcmp(db->f_reg, "MA-M", 4))
        want = 7, tab = OUI_T28;
    else if ((db->l_reg == 4 && !memcmp(db->f_reg, "MA-S", 4)) ||
             (db->l_reg == 3 && !memcmp(db->f_reg, "IAB", 3)))
        want = 9, tab = OUI_T36;
    else {
        res->rejected++; /* CID and unknown registries do not name MAC address blocks */
        return 0;
    }
    if (db->l_asg != want) {
        res->rejected++;
        return 0;
    }
    uint64_t prefix = 0;
    for (size_t i = 0; i < want; i++) {
        int v = hexval(db->f_asg[i]);
        if (v < 0) {
            res->rejected++;
            return 0;
        }
        prefix = prefix << 4 | (uint64_t)v;
    }
    /* Trim, and turn control bytes (line breaks inside quotes) into spaces. */
    char *name = db->f_name;
    size_t n = db->l_name;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            name[i] = ' ';
    while (n > 0 && is_space(*name))
        name++, n--;
    n = utf8_cut(name, n); /* a name cut at the limit may end inside a character */
    while (n > 0 && is_space(name[n - 1]))
        n--;
    if (n == 0 || db->total >= ENRICH_OUI_MAX_ENTRIES) {
        res->rejected++;
        return 0;
    }
    struct oui_ent e = {.prefix = prefix, .seq = db->seq};
    int rc = pool_add(db, name, n, &e.name_off);
    if (rc == MM_ELIMIT) {
        res->rejected++;
        return 0;
    }
    if (rc)
        return rc;
    rc = table_push(&db->t[tab], e);
    if (rc)
        return rc;
    db->seq++;
    db->total++;
    res->added++;
    return 0;
}

/* One byte outside quotes: a separator, the end of the record or field content. */
static int unquoted_byte(struct enrich_oui *db, char c, struct enrich_oui_result *res)
{
    if (c == ',') {
        db->field++;
        db->state = ST_FIELD_START;
    } else if (c == '\n') {
        int rc = rec_end(db, res);
        rec_reset(db);
        db->state = ST_FIELD_START;
        return rc;
    } else if (c != '\r') {
        db->state = ST_UNQUOTED;
        field_byte(db, c);
    }
    return 0;
}

static int parse_bytes(struct enrich_oui *db, const char *buf, size_t len,
                       struct enrich_oui_result *res)
{
    for (size_t i = 0; i < len; i++) {
        /* A run of plain bytes at once: what the byte-at-a-time steps below would do with
         * each, within what the record may still take before it is too long. */
        size_t room = db->rec_len < ENRICH_OUI_MAX_RECORD ? ENRICH_OUI_MAX_RECORD - db->rec_len : 0;
        size_t avail = MM_MIN(len - i, room);
        size_t run = 0;
        if (db->state == ST_QUOTED) {
            const char *q = memchr(buf + i, '"', avail);
            run = q ? (size_t)(q - (buf + i)) : avail;
            field_bytes(db, buf + i, run);
        } else if (db->state == ST_UNQUOTED ||
                   (db->state == ST_FIELD_START && avail && buf[i] != '"')) {
            /* Unquoted content; a '"' inside it is content too, but taken by the step below. */
            run = unquoted_run(buf + i, avail);
            if (run)
                db->state = ST_UNQUOTED;
            field_bytes(db, buf + i, run);
        } else if (db->state == ST_SKIP_LINE) {
            const char *nl = memchr(buf + i, '\n', len - i);
            run = nl ? (size_t)(nl - (buf + i)) : len - i;
        }
        db->rec_len += run;
        i += run;
        if (i >= len)
            break;
        char c = buf[i];
        int rc = 0;
        db->rec_len++;
        if (db->rec_len > ENRICH_OUI_MAX_RECORD && db->state != ST_SKIP_LINE) {
            /* An unbalanced quote would otherwise swallow the rest of the file: give the
             * record up and resynchronise on the next line break. */
            db->state = ST_SKIP_LINE;
        }
        switch (db->state) {
        case ST_SKIP_LINE:
            if (c == '\n') {
                res->records++;
                res->rejected++;
                rec_reset(db);
                db->state = ST_FIELD_START;
            }
            break;
        case ST_FIELD_START:
            if (c == '"')
                db->state = ST_QUOTED;
            else
                rc = unquoted_byte(db, c, res);
            break;
        case ST_UNQUOTED:
            rc = unquoted_byte(db, c, res);
            break;
        case ST_QUOTED:
            if (c == '"')
                db->state = ST_QUOTE_SEEN;
            else
                field_byte(db, c);
            break;
        case ST_QUOTE_SEEN:
            if (c == '"') {
                field_byte(db, '"'); /* a doubled quote stands for one */
                db->state = ST_QUOTED;
            } else {
                /* The closing quote; bytes after it up to the separator are kept as in
                 * unquoted text (lenient, like most CSV readers). */
                rc = unquoted_byte(db, c, res);
                if (db->state == ST_QUOTE_SEEN)
                    db->state = ST_UNQUOTED;
            }
            break;
        default:
            db->state = ST_SKIP_LINE;
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* The end of the input: a last record without a line break. */
static int parse_end(struct enrich_oui *db, struct enrich_oui_result *r)
{
    int rc = 0;
    if (db->rec_len > 0) {
        if (db->state == ST_SKIP_LINE) {
            r->records++;
            r->rejected++;
        } else if (db->state != ST_QUOTED) {
            rc = rec_end(db, r); /* a closing quote as the last byte is fine */
        } else {
            r->records++;
            r->rejected++; /* an unterminated quote */
        }
    }
    rec_reset(db);
    db->state = ST_FIELD_START;
    return rc;
}

int enrich_oui_parse_buffer(struct enrich_oui *db, const char *buf, size_t len,
                            struct enrich_oui_result *res)
{
    struct enrich_oui_result scratch = {0};
    struct enrich_oui_result *r = res ? res : &scratch;
    int rc = parse_bytes(db, buf, len, r);
    return rc ? rc : parse_end(db, r);
}

/* Bytes read from a file at a time: the parser keeps its state between pieces, so the file
 * never needs a buffer of its size (and the pages of one, faulted in at every start). */
#define OUI_READ_CHUNK (256u << 10)

int enrich_oui_load_file(struct enrich_oui *db, const char *path, struct enrich_oui_result *res)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return MM_EIO;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
        (uint64_t)st.st_size > ENRICH_OUI_MAX_FILE) {
        fclose(f);
        return MM_ELIMIT; /* refused before any of it is parsed */
    }
    char *buf = malloc(OUI_READ_CHUNK);
    if (!buf) {
        fclose(f);
        return MM_ENOMEM;
    }
    struct enrich_oui_result scratch = {0};
    struct enrich_oui_result *r = res ? res : &scratch;
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        size_t n = fread(buf, 1, OUI_READ_CHUNK, f);
        total += n;
        if (total > ENRICH_OUI_MAX_FILE) {
            rc = MM_ELIMIT; /* not a regular file, or one that grew while read */
            break;
        }
        if (n && (rc = parse_bytes(db, buf, n, r)) != 0)
            break;
        if (n < OUI_READ_CHUNK) {
            if (ferror(f))
                rc = MM_EIO;
            break;
        }
    }
    if (rc == 0) {
        rc = parse_end(db, r);
    } else {
        rec_reset(db); /* the next input starts a record afresh */
        db->state = ST_FIELD_START;
    }
    fclose(f);
    free(buf);
    return rc;
}

static int ent_cmp(const void *a, const void *b)
{
    const struct oui_ent *x = a, *y = b;
    if (x->prefix != y->prefix)
        return x->prefix < y->prefix ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Sort by prefix, keeping parse order among equal prefixes (the first of duplicates wins):
 * a least-significant-digit radix sort, stable, in passes of 12 bits over the table's prefix
 * width, through tmp (n entries). Returns the array holding the result (v or tmp).
 */
static struct oui_ent *sort_by_prefix(struct oui_ent *v, struct oui_ent *tmp, size_t n,
                                      unsigned bits)
{
    enum { DIGIT = 12, BUCKETS = 1 << DIGIT };
    size_t count[BUCKETS];
    struct oui_ent *from = v, *to = tmp;
    for (unsigned shift = 0; shift < bits; shift += DIGIT) {
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++)
            count[(from[i].prefix >> shift) & (BUCKETS - 1)]++;
        size_t sum = 0;
        for (size_t b = 0; b < BUCKETS; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++)
            to[count[(from[i].prefix >> shift) & (BUCKETS - 1)]++] = from[i];
        struct oui_ent *x = from;
        from = to;
        to = x;
    }
    return from;
}

void enrich_oui_finish(struct enrich_oui *db)
{
    for (int i = 0; i < OUI_NTABLES; i++) {
        struct oui_table *t = &db->t[i];
        if (t->n == 0)
            continue;
        /* Entries were added in parse order (seq ascending); a stable sort by prefix keeps
         * it among duplicates. Out of memory for the scratch: the slower sort by (prefix, seq). */
        struct oui_ent *tmp = malloc(t->n * sizeof *tmp);
        if (tmp) {
            struct oui_ent *sorted = sort_by_prefix(t->v, tmp, t->n, oui_bits[i]);
            if (sorted != t->v)
                memcpy(t->v, sorted, t->n * sizeof *t->v);
            free(tmp);
        } else {
            qsort(t->v, t->n, sizeof *t->v, ent_cmp);
        }
        size_t w = 1;
        for (size_t r = 1; r < t->n; r++)
            if (t->v[r].prefix != t->v[w - 1].prefix)
                t->v[w++] = t->v[r];
        db->total -= t->n - w;
        t->n = w;
        /* Loading is over for now: give the growth slack back (about half the arrays). */
        struct oui_ent *nv = realloc(t->v, t->n * sizeof *nv);
        if (nv) {
            t->v = nv;
            t->cap = t->n;
        }
    }
    if (db->pool_len > 0 && db->pool_len < db->pool_cap) {
        char *np = realloc(db->pool, db->pool_len);
        if (np) {
            db->pool = np;
            db->pool_cap = db->pool_len;
        }
    }
}

const char *enrich_oui_lookup(const struct enrich_oui *db, const uint8_t mac[6])
{
    if (!db || (mac[0] & 0x03) != 0)
        return NULL; /* group or locally administered: no registered owner */
    uint64_t m = 0;
    for (int i = 0; i < 6; i++)
        m = m << 8 | mac[i];
    for (int i = 0; i < OUI_NTABLES; i++) {
        const struct oui_table *t = &db->t[i];
        uint64_t key = m >> (48 - oui_bits[i]);
        size_t lo = 0, hi = t->n;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (t->v[mid].prefix < key)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < t->n && t->v[lo].prefix == key)
            return db->pool + t->v[lo].name_off;
    }
    return NULL;
}
