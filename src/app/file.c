/*
 * File records (see file.h): size, incremental SHA-256, the first bytes kept for detectors,
 * and a type from our own magic-byte table. The table names the formats that matter for
 * mail and web security triage (executables, archives, office documents, images, scripts);
 * it is not libmagic and says "data" for anything else. JavaScript has no signature and is
 * not detected.
 */
#include "app/file.h"

#include "app/app_parser.h"
#include "core/mm.h"

#include <openssl/evp.h>
#include <string.h>

/* Bytes always kept for the magic table, whatever app.file_keep_bytes says. */
#define MAGIC_BYTES 512
/* ISO 9660: the primary volume descriptor starts at sector 16 (2048-byte sectors); its
 * standard identifier "CD001" follows one type byte. */
#define ISO9660_OFF 32769

struct app_file_builder {
    struct app_session *s;
    struct app_file rec;
    EVP_MD_CTX *md;         /* NULL when the digest is off (gap, OpenSSL failure) */
    uint8_t *name;          /* app_alloc'ed, name_cap bytes */
    size_t name_cap;
    char *ctype;            /* app_alloc'ed, ctype_cap bytes, NUL-terminated */
    size_t ctype_cap;
    uint8_t *head;          /* app_alloc'ed, head_cap bytes, grows up to keep */
    size_t head_len, head_cap, keep;
    uint8_t first[MAGIC_BYTES];
    size_t first_len;
    bool frozen;            /* after a gap: later bytes are not the first bytes */
};

struct app_file_builder *app_file_open(struct app_session *s, enum app_proto proto,
                                       uint64_t tx_id, const uint8_t *name, size_t name_len,
                                       const char *content_type)
{
    struct app_file_builder *fb = app_calloc(s, sizeof *fb);
    if (!fb)
        return NULL;
    fb->s = s;
    fb->rec.proto = proto;
    fb->rec.tx_id = tx_id;
    fb->keep = app_cfg(s)->file_keep_bytes;
    if (name_len > APP_FILE_NAME_MAX)
        name_len = APP_FILE_NAME_MAX;
    if (name && name_len) {
        fb->name = app_alloc(s, name_len);
        if (!fb->name)
            goto fail;
        fb->name_cap = name_len;
        memcpy(fb->name, name, name_len);
        fb->rec.name = fb->name;
        fb->rec.name_len = name_len;
    }
    if (content_type) {
        size_t n = strnlen(content_type, 256);
        fb->ctype = app_alloc(s, n + 1);
        if (!fb->ctype)
            goto fail;
        fb->ctype_cap = n + 1;
        memcpy(fb->ctype, content_type, n);
        fb->ctype[n] = '\0';
        fb->rec.content_type = fb->ctype;
    }
    fb->md = EVP_MD_CTX_new();
    if (fb->md && EVP_DigestInit_ex(fb->md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(fb->md);
        fb->md = NULL;
    }
    return fb;
fail:
    app_file_discard(fb);
    return NULL;
}

void app_file_write(struct app_file_builder *fb, const uint8_t *p, size_t n)
{
    if (!fb || n == 0)
        return;
    fb->rec.size += n;
    if (fb->md && EVP_DigestUpdate(fb->md, p, n) != 1) {
        EVP_MD_CTX_free(fb->md);
        fb->md = NULL;
    }
    if (!fb->frozen && fb->first_len < MAGIC_BYTES) {
        size_t k = MM_MIN(n, (size_t)MAGIC_BYTES - fb->first_len);
        memcpy(fb->first + fb->first_len, p, k);
        fb->first_len += k;
    }
    if (fb->head_len < fb->keep) {
        size_t k = MM_MIN(n, fb->keep - fb->head_len);
        size_t need = fb->head_len + k;
        if (need > fb->head_cap) {
            /* Grow by doubling so that a small file costs little of the memcap. */
            size_t ncap = fb->head_cap ? fb->head_cap * 2 : 1024;
            while (ncap < need)
                ncap *= 2;
            if (ncap > fb->keep)
                ncap = fb->keep;
            uint8_t *nh = fb->head ? app_realloc(fb->s, fb->head, fb->head_cap, ncap)
                                   : app_alloc(fb->s, ncap);
            if (!nh) {
                /* Keep what we have; the head is only shorter. */
                fb->keep = fb->head_len;
                return;
            }
            fb->head = nh;
            fb->head_cap = ncap;
        }
        memcpy(fb->head + fb->head_len, p, k);
        fb->head_len += k;
    }
}

void app_file_gap(struct app_file_builder *fb, uint64_t n)
{
    (void)n;
    if (!fb)
        return;
    fb->rec.gaps = true;
    if (fb->md) {
        EVP_MD_CTX_free(fb->md);
        fb->md = NULL;
    }
    /* Bytes after a gap are not the file's first bytes any more. */
    fb->keep = fb->head_len;
    fb->frozen = true;
}

struct app_file *app_file_record(struct app_file_builder *fb)
{
    return fb ? &fb->rec : NULL;
}

void app_file_discard(struct app_file_builder *fb)
{
    if (!fb)
        return;
    struct app_session *s = fb->s;
    if (fb->md)
        EVP_MD_CTX_free(fb->md);
    if (fb->name)
        app_free(s, fb->name, fb->name_cap);
    if (fb->ctype)
        app_free(s, fb->ctype, fb->ctype_cap);
    if (fb->head)
        app_free(s, fb->head, fb->head_cap);
    app_free(s, fb, sizeof *fb);
}

void app_file_close(struct app_file_builder *fb, int dir, bool truncated)
{
    if (!fb)
        return;
    struct app_file *r = &fb->rec;
    if (fb->md) {
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(fb->md, r->sha256, &len) == 1 && len == 32)
            r->sha256_valid = !r->gaps;
    }
    r->state = truncated ? APP_FILE_TRUNCATED : APP_FILE_CLOSED;
    r->head = fb->head;
    r->head_len = fb->head_len;
    if (fb->head_len > fb->first_len)
        r->magic = app_file_magic(fb->head, fb->head_len);
    else
        r->magic = app_file_magic(fb->first, fb->first_len);
    app_emit(fb->s, dir, APP_REC_FILE, r);
    app_file_discard(fb);
}

/* ---------- magic table ---------- */

static bool at(const uint8_t *d, size_t n, size_t off, const void *sig, size_t len)
{
    return off <= n && len <= n - off && memcmp(d + off, sig, len) == 0;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Case-insensitive prefix test of a literal at d[off..n). */
static bool at_ci(const uint8_t *d, size_t n, size_t off, const char *lit)
{
    size_t len = strlen(lit);
    if (off > n || len > n - off)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = d[off + i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c + 32);
        if (c != (uint8_t)lit[i])
            return false;
    }
    return true;
}

/* Plain text: printable ASCII / well-formed UTF-8 and the usual control characters. */
static const char *text_kind(const uint8_t *d, size_t n)
{
    bool utf8 = false;
    size_t i = 0;
    while (i < n) {
        uint8_t c = d[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
                return NULL;
            if (c == 0x7f)
                return NULL;
            i++;
            continue;
        }
        size_t k = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : 0;
        if (k == 0 || c > 0xf4)
            return NULL;
        if (i + k >= n) /* a sequence cut by the end of the kept bytes */
            break;
        for (size_t j = 1; j <= k; j++)
            if ((d[i + j] & 0xc0) != 0x80)
                return NULL;
        utf8 = true;
        i += k + 1;
    }
    return utf8 ? "UTF-8 Unicode text" : "ASCII text";
}

const char *app_file_magic(const uint8_t *d, size_t n)
{
    if (n == 0)
        return NULL;
    if (at(d, n, 0, "MZ", 2)) {
        if (n >= 0x40) {
            uint32_t pe = le32(d + 0x3c);
            if (at(d, n, pe, "PE\0\0", 4))
                return "PE32 executable (MS Windows)";
        }
        return "MS-DOS executable (MZ)";
    }
    if (at(d, n, 0, "\x7f" "ELF", 4))
        return "ELF executable";
    if (n >= 8) {
        uint32_t m = be32(d);
        if (m == 0xfeedfaceu || m == 0xfeedfacfu || m == 0xcefaedfeu || m == 0xcffaedfeu)
            return "Mach-O executable";
        /* 0xcafebabe is both a Mach-O universal binary and a Java class file: a universal
         * binary has a small architecture count where a class file has its version. */
        if (m == 0xcafebabeu)
            return be32(d + 4) < 20 ? "Mach-O universal binary" : "Java class file";
    }
    if (at(d, n, 0, "%PDF-", 5))
        return "PDF document";
    if (at(d, n, 0, "PK\3\4", 4)) {
        /* OOXML (docx/xlsx/pptx) writers put [Content_Types].xml first. */
        static const char ct[] = "[Content_Types].xml";
        if (n >= 30 && (d[26] | d[27] << 8) == sizeof ct - 1 && at(d, n, 30, ct, sizeof ct - 1))
            return "Microsoft OOXML document";
        return "Zip archive";
    }
    if (at(d, n, 0, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))
        return "OLE2 compound document (MS Office/MSI)";
    if (at(d, n, 0, "Rar!\x1a\x07", 6))
        return "RAR archive";
    if (at(d, n, 0, "7z\xbc\xaf\x27\x1c", 6))
        return "7-zip archive";
    if (at(d, n, 0, "\x1f\x8b", 2))
        return "gzip compressed data";
    if (at(d, n, 0, "BZh", 3) && n >= 4 && d[3] >= '1' && d[3] <= '9')
        return "bzip2 compressed data";
    if (at(d, n, 0, "\xfd" "7zXZ\0", 6))
        return "XZ compressed data";
    if (at(d, n, 0, "MSCF\0\0\0\0", 8))
        return "Microsoft Cabinet archive";
    if (at(d, n, 0, "\x89PNG\r\n\x1a\n", 8))
        return "PNG image";
    if (at(d, n, 0, "\xff\xd8\xff", 3))
        return "JPEG image";
    if (at(d, n, 0, "GIF87a", 6) || at(d, n, 0, "GIF89a", 6))
        return "GIF image";
    if (at(d, n, 0, "{\\rtf", 5))
        return "Rich Text Format";
    if (at(d, n, 0, "L\0\0\0\x01\x14\x02\0", 8))
        return "MS Windows shortcut (LNK)";
    if (at(d, n, ISO9660_OFF, "CD001", 5))
        return "ISO 9660 CD-ROM filesystem";
    if (at(d, n, 0, "#!", 2))
        return "script text (#!)";
    size_t i = 0;
    if (at(d, n, 0, "\xef\xbb\xbf", 3))
        i = 3;
    while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
        i++;
    if (at_ci(d, n, i, "<?xml"))
        return "XML document";
    if (at_ci(d, n, i, "<!doctype html") || at_ci(d, n, i, "<html") ||
        at_ci(d, n, i, "<head") || at_ci(d, n, i, "<body"))
        return "HTML document";
    const char *t = text_kind(d, n);
    return t ? t : "data";
}
