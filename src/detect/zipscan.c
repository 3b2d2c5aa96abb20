/*
 * Bounded content scanner for attachments and downloads (zipscan.h).
 *
 * Formats, as far as they are read here:
 *   ZIP     PKWARE APPNOTE.TXT 6.3.10: local file header (4.3.7), central directory header
 *           (4.3.12), end of central directory (4.3.16), ZIP64 locator/record (4.3.14-15),
 *           general-purpose flag bit 0 (encrypted), bit 3 (data descriptor), bit 6 (strong
 *           encryption); WinZip AE-x: method 99 with the 0x9901 extra field; traditional
 *           PKWARE encryption (ZipCrypto, 6.1): key update, 12-byte header and check byte.
 *   OLE2    [MS-CFB]: header (2.2), FAT/DIFAT sector chains (2.3-2.5), directory entries
 *           (2.6); VBA storages per [MS-OVBA] 2.2; the MSI class id 000C1084-...-46;
 *           "EncryptedPackage" = an encrypted OOXML document ([MS-OFFCRYPTO] 2.3.4.4);
 *           a workbook's sheet list per [MS-XLS] (BOF 2.4.21, BoundSheet8 2.4.28, FilePass
 *           2.4.117, EOF 2.4.103).
 *   RAR     RAR 4.x technote (marker, main header flag 0x0080, file header flag 0x04) and
 *           RAR 5.0 (vint fields, header type 4 = archive encryption, extra record 1 =
 *           file encryption).
 *   7z      7zFormat.txt: signature header, next header (kHeader 0x01 / kEncodedHeader
 *           0x17), AES-256+SHA-256 coder id 06 F1 07 01.
 *   PE      MZ e_lfanew -> "PE\0\0", COFF header, optional header magic/subsystem/CLR.
 *   ELF     e_ident class/data, e_type, e_machine.  LNK: [MS-SHLLINK] header, LinkInfo,
 *           StringData.  ISO 9660: primary volume descriptor at sector 16, root directory.
 *   OneNote [MS-ONESTORE] file header GUID; FileDataStoreObject GUID of embedded files.
 *   RTF     Word opens a file as RTF when it starts with "{\rt" (not only "{\rtf1"); its
 *           objects and templates are read by docscan.c.
 *   PDF     ISO 32000-1 7.3 objects (names, strings) read by docscan.c for launch actions
 *           and embedded files.
 * Every read is checked against the bytes given; sizes from the data are never trusted.
 */
#include "detect/zipscan.h"

#include "core/mm.h"
#include "detect/docscan.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define ZS_DEPTH_HARD_MAX 8u
#define ZS_PEEK_BYTES 4096u    /* inflated first, enough to name a type */
#define ZS_TEXT_PROBE 4096u    /* bytes looked at to call something text */
#define ZS_ISO_PVD 0x8000u     /* sector 16 of 2048 bytes */
#define ZS_OLE_MAX_SECTORS 65536u /* directory sectors followed at most */
#define ZS_XLS_SECTORS 64u /* Workbook stream sectors read for its sheet list (32 KiB at 512) */
#define ZS_XLS_RECORDS 4096u /* BIFF records read before the sheet list is given up */
#define ZS_ISO_MAX_RECORDS 512u

/* ---- small readers (callers check the range first) ------------------------------------ */

static bool has(size_t n, size_t off, size_t k)
{
    return off <= n && k <= n - off;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool at(const uint8_t *d, size_t n, size_t off, const void *sig, size_t k)
{
    return has(n, off, k) && memcmp(d + off, sig, k) == 0;
}

static uint8_t lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Case-insensitive search of an ASCII needle in d[0..n). */
static bool find_ci(const uint8_t *d, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    if (k == 0 || k > n)
        return k == 0;
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;
        while (j < k && lower(d[i + j]) == (uint8_t)needle[j])
            j++;
        if (j == k)
            return true;
    }
    return false;
}

static const uint8_t *find_bytes(const uint8_t *d, size_t n, const void *needle, size_t k)
{
    if (k == 0 || k > n)
        return NULL;
    const uint8_t *first = needle;
    for (size_t i = 0; i + k <= n; i++) {
        const uint8_t *p = memchr(d + i, first[0], n - k + 1 - i);
        if (!p)
            return NULL;
        i = (size_t)(p - d);
        if (memcmp(p, needle, k) == 0)
            return p;
    }
    return NULL;
}

/* ---- kinds ---------------------------------------------------------------------------- */

static const char *const kind_names[ZS_K_COUNT] = {
    [ZS_K_UNKNOWN] = "unknown", [ZS_K_EMPTY] = "empty",     [ZS_K_TEXT] = "text",
    [ZS_K_HTML] = "html",       [ZS_K_XML] = "xml",         [ZS_K_SHEBANG] = "script-text",
    [ZS_K_PE] = "pe",           [ZS_K_MZ] = "mz",           [ZS_K_ELF] = "elf",
    [ZS_K_MACHO] = "macho",     [ZS_K_MSI] = "msi",         [ZS_K_ZIP] = "zip",
    [ZS_K_OOXML] = "ooxml",     [ZS_K_ODF] = "odf",         [ZS_K_JAR] = "jar",
    [ZS_K_OLE] = "ole",         [ZS_K_RAR] = "rar",         [ZS_K_7Z] = "7z",
    [ZS_K_GZIP] = "gzip",       [ZS_K_BZIP2] = "bzip2",     [ZS_K_XZ] = "xz",
    [ZS_K_CAB] = "cab",         [ZS_K_PDF] = "pdf",         [ZS_K_RTF] = "rtf",
    [ZS_K_LNK] = "lnk",         [ZS_K_ISO] = "iso9660",     [ZS_K_UDF] = "udf",
    [ZS_K_ONENOTE] = "onenote", [ZS_K_JPEG] = "jpeg",       [ZS_K_PNG] = "png",
    [ZS_K_GIF] = "gif",         [ZS_K_BMP] = "bmp",
};

static const char *const kind_desc[ZS_K_COUNT] = {
    [ZS_K_UNKNOWN] = "data",
    [ZS_K_EMPTY] = "empty",
    [ZS_K_TEXT] = "text",
    [ZS_K_HTML] = "HTML document",
    [ZS_K_XML] = "XML document",
    [ZS_K_SHEBANG] = "script text (#!)",
    [ZS_K_PE] = "PE executable",
    [ZS_K_MZ] = "MS-DOS executable (MZ)",
    [ZS_K_ELF] = "ELF executable",
    [ZS_K_MACHO] = "Mach-O executable",
    [ZS_K_MSI] = "Windows Installer package (MSI)",
    [ZS_K_ZIP] = "ZIP archive",
    [ZS_K_OOXML] = "Microsoft Office 2007+ document",
    [ZS_K_ODF] = "OpenDocument file",
    [ZS_K_JAR] = "Java archive",
    [ZS_K_OLE] = "OLE2 compound file",
    [ZS_K_RAR] = "RAR archive",
    [ZS_K_7Z] = "7-Zip archive",
    [ZS_K_GZIP] = "gzip compressed data",
    [ZS_K_BZIP2] = "bzip2 compressed data",
    [ZS_K_XZ] = "XZ compressed data",
    [ZS_K_CAB] = "Microsoft Cabinet archive",
    [ZS_K_PDF] = "PDF document",
    [ZS_K_RTF] = "Rich Text Format document",
    [ZS_K_LNK] = "Windows shortcut (LNK)",
    [ZS_K_ISO] = "ISO 9660 disk image",
    [ZS_K_UDF] = "UDF disk image",
    [ZS_K_ONENOTE] = "Microsoft OneNote section",
    [ZS_K_JPEG] = "JPEG image",
    [ZS_K_PNG] = "PNG image",
    [ZS_K_GIF] = "GIF image",
    [ZS_K_BMP] = "BMP image",
};

const char *zs_kind_name(enum zs_kind k)
{
    return (unsigned)k < ZS_K_COUNT && kind_names[k] ? kind_names[k] : "unknown";
}

bool zs_kind_is_executable(enum zs_kind k)
{
    return k == ZS_K_PE || k == ZS_K_MZ || k == ZS_K_ELF || k == ZS_K_MACHO || k == ZS_K_MSI ||
           k == ZS_K_JAR;
}

bool zs_kind_is_binary(enum zs_kind k)
{
    switch (k) {
    case ZS_K_UNKNOWN:
    case ZS_K_EMPTY:
    case ZS_K_TEXT:
    case ZS_K_HTML:
    case ZS_K_XML:
    case ZS_K_SHEBANG:
    case ZS_K_COUNT:
        return false;
    default:
        return true;
    }
}

#define KB(k) (1u << (k))
#define K_TEXTS (KB(ZS_K_TEXT) | KB(ZS_K_HTML) | KB(ZS_K_XML) | KB(ZS_K_SHEBANG) | KB(ZS_K_EMPTY))
#define K_ZIPS (KB(ZS_K_ZIP) | KB(ZS_K_OOXML) | KB(ZS_K_ODF) | KB(ZS_K_JAR))

void zs_limits_defaults(struct zs_limits *lim)
{
    lim->max_depth = 3;
    lim->max_entries = 256;
    lim->max_entry_bytes = 512u << 10;
    lim->max_total_bytes = 4u << 20;
}

/* ---- file names ----------------------------------------------------------------------- */

struct ext_row {
    const char *ext;
    uint8_t cls;
    uint32_t kinds; /* what the content may be; 0 = no opinion */
};

/* Grouped for reading; ext_lookup searches a sorted index of it. An extension appears once. */
static const struct ext_row ext_table[] = {
    /* executables and installers */
    {"exe", ZS_X_EXEC, KB(ZS_K_PE) | KB(ZS_K_MZ)},
    {"scr", ZS_X_EXEC, KB(ZS_K_PE) | KB(ZS_K_MZ)},
    {"com", ZS_X_EXEC, 0},
    {"pif", ZS_X_EXEC, 0},
    {"cpl", ZS_X_EXEC, KB(ZS_K_PE)},
    {"dll", ZS_X_EXEC, KB(ZS_K_PE)},
    {"ocx", ZS_X_EXEC, KB(ZS_K_PE)},
    {"sys", ZS_X_EXEC, KB(ZS_K_PE)},
    {"xll", ZS_X_EXEC, KB(ZS_K_PE)},
    {"msi", ZS_X_EXEC, KB(ZS_K_MSI) | KB(ZS_K_OLE)},
    {"msp", ZS_X_EXEC, KB(ZS_K_MSI) | KB(ZS_K_OLE)},
    {"msix", ZS_X_EXEC, K_ZIPS},
    {"appx", ZS_X_EXEC, K_ZIPS},
    {"appxbundle", ZS_X_EXEC, K_ZIPS},
    {"jar", ZS_X_EXEC, K_ZIPS},
    {"apk", ZS_X_EXEC, K_ZIPS},
    {"gadget", ZS_X_EXEC, K_ZIPS},
    /* scripts */
    {"js", ZS_X_SCRIPT, 0},
    {"jse", ZS_X_SCRIPT, 0},
    {"vbs", ZS_X_SCRIPT, 0},
    {"vbe", ZS_X_SCRIPT, 0},
    {"vb", ZS_X_SCRIPT, 0},
    {"wsf", ZS_X_SCRIPT, 0},
    {"wsh", ZS_X_SCRIPT, 0},
    {"wsc", ZS_X_SCRIPT, 0},
    {"sct", ZS_X_SCRIPT, 0},
    {"hta", ZS_X_SCRIPT, 0},
    {"ps1", ZS_X_SCRIPT, 0},
    {"psm1", ZS_X_SCRIPT, 0},
    {"bat", ZS_X_SCRIPT, 0},
    {"cmd", ZS_X_SCRIPT, 0},
    {"reg", ZS_X_SCRIPT, 0},
    {"chm", ZS_X_SCRIPT, 0},
    /* shortcuts */
    {"lnk", ZS_X_SHORTCUT, KB(ZS_K_LNK)},
    {"url", ZS_X_SHORTCUT, 0},
    {"scf", ZS_X_SHORTCUT, 0},
    /* disk images */
    {"iso", ZS_X_DISKIMAGE, KB(ZS_K_ISO) | KB(ZS_K_UDF)},
    {"img", ZS_X_DISKIMAGE, 0},
    {"vhd", ZS_X_DISKIMAGE, 0},
    {"vhdx", ZS_X_DISKIMAGE, 0},
    /* OneNote */
    {"one", ZS_X_ONENOTE, KB(ZS_K_ONENOTE)},
    {"onepkg", ZS_X_ONENOTE, KB(ZS_K_CAB)},
    /* macro-enabled Office */
    {"docm", ZS_X_MACRO_DOC, K_ZIPS},
    {"dotm", ZS_X_MACRO_DOC, K_ZIPS},
    {"xlsm", ZS_X_MACRO_DOC, K_ZIPS},
    {"xltm", ZS_X_MACRO_DOC, K_ZIPS},
    {"xlam", ZS_X_MACRO_DOC, K_ZIPS},
    {"pptm", ZS_X_MACRO_DOC, K_ZIPS},
    {"potm", ZS_X_MACRO_DOC, K_ZIPS},
    {"ppsm", ZS_X_MACRO_DOC, K_ZIPS},
    {"ppam", ZS_X_MACRO_DOC, K_ZIPS},
    {"sldm", ZS_X_MACRO_DOC, K_ZIPS},
    /* documents people open without thinking */
    {"pdf", ZS_X_DECOY, KB(ZS_K_PDF)},
    {"doc", ZS_X_DECOY, KB(ZS_K_OLE) | KB(ZS_K_RTF) | K_TEXTS},
    {"dot", ZS_X_DECOY, KB(ZS_K_OLE) | KB(ZS_K_RTF)},
    {"docx", ZS_X_DECOY, K_ZIPS},
    {"xls", ZS_X_DECOY, KB(ZS_K_OLE) | K_TEXTS},
    {"xlsx", ZS_X_DECOY, K_ZIPS},
    {"xlsb", ZS_X_DECOY, K_ZIPS},
    {"ppt", ZS_X_DECOY, KB(ZS_K_OLE)},
    {"pptx", ZS_X_DECOY, K_ZIPS},
    {"odt", ZS_X_DECOY, K_ZIPS},
    {"ods", ZS_X_DECOY, K_ZIPS},
    {"odp", ZS_X_DECOY, K_ZIPS},
    {"rtf", ZS_X_DECOY, KB(ZS_K_RTF) | K_TEXTS},
    {"txt", ZS_X_DECOY, K_TEXTS},
    {"csv", ZS_X_DECOY, K_TEXTS},
    {"htm", ZS_X_DECOY, K_TEXTS},
    {"html", ZS_X_DECOY, K_TEXTS},
    {"xml", ZS_X_DECOY, K_TEXTS},
    {"eml", ZS_X_DECOY, K_TEXTS},
    {"msg", ZS_X_DECOY, KB(ZS_K_OLE)},
    {"jpg", ZS_X_DECOY, KB(ZS_K_JPEG)},
    {"jpeg", ZS_X_DECOY, KB(ZS_K_JPEG)},
    {"png", ZS_X_DECOY, KB(ZS_K_PNG)},
    {"gif", ZS_X_DECOY, KB(ZS_K_GIF)},
    {"bmp", ZS_X_DECOY, KB(ZS_K_BMP)},
    {"tif", ZS_X_DECOY, 0},
    {"tiff", ZS_X_DECOY, 0},
    {"mp3", ZS_X_DECOY, 0},
    {"mp4", ZS_X_DECOY, 0},
    {"wav", ZS_X_DECOY, 0},
    {"avi", ZS_X_DECOY, 0},
    {"mov", ZS_X_DECOY, 0},
    /* archives */
    {"zip", ZS_X_ARCHIVE, K_ZIPS},
    {"rar", ZS_X_ARCHIVE, KB(ZS_K_RAR)},
    {"7z", ZS_X_ARCHIVE, KB(ZS_K_7Z)},
    {"gz", ZS_X_ARCHIVE, KB(ZS_K_GZIP)},
    {"tgz", ZS_X_ARCHIVE, KB(ZS_K_GZIP)},
    {"bz2", ZS_X_ARCHIVE, KB(ZS_K_BZIP2)},
    {"xz", ZS_X_ARCHIVE, KB(ZS_K_XZ)},
    {"cab", ZS_X_ARCHIVE, KB(ZS_K_CAB)},
    {"lzh", ZS_X_ARCHIVE, 0},
    {"lha", ZS_X_ARCHIVE, 0},
    {"tar", ZS_X_ARCHIVE, 0},
    {"arj", ZS_X_ARCHIVE, 0},
    {"ace", ZS_X_ARCHIVE, 0},
};

/* ext_table's rows in strcmp order, for a binary search: every HTTP response with a dotted
 * name asks twice (extension and the one before it), and most of those names (.html, .css,
 * .json) are not in the table, which a linear walk only learns at its end. */
static const struct ext_row *ext_sorted[MM_ARRAY_LEN(ext_table)];
static pthread_once_t ext_sorted_once = PTHREAD_ONCE_INIT;

static int ext_row_cmp(const void *a, const void *b)
{
    const struct ext_row *const *x = a, *const *y = b;
    return strcmp((*x)->ext, (*y)->ext);
}

static void ext_sorted_init(void)
{
    for (size_t i = 0; i < MM_ARRAY_LEN(ext_table); i++)
        ext_sorted[i] = &ext_table[i];
    qsort(ext_sorted, MM_ARRAY_LEN(ext_sorted), sizeof ext_sorted[0], ext_row_cmp);
    for (size_t i = 1; i < MM_ARRAY_LEN(ext_sorted); i++)
        MM_ASSERT(strcmp(ext_sorted[i - 1]->ext, ext_sorted[i]->ext) != 0); /* one row each */
}

static const struct ext_row *ext_lookup(const char *ext)
{
    if (!ext[0])
        return NULL;
    pthread_once(&ext_sorted_once, ext_sorted_init);
    size_t lo = 0, hi = MM_ARRAY_LEN(ext_sorted);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ext_sorted[mid]->ext, ext);
        if (c == 0)
            return ext_sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool zs_ext_dangerous(enum zs_ext_class c)
{
    return c == ZS_X_EXEC || c == ZS_X_SCRIPT || c == ZS_X_SHORTCUT || c == ZS_X_DISKIMAGE ||
           c == ZS_X_ONENOTE;
}

/* Length of an invisible or bidi code point (UTF-8) at p, 0 when there is none. bidi is set
 * for the direction controls. */
static size_t invisible_at(const uint8_t *p, size_t left, bool *bidi)
{
    if (left >= 2 && p[0] == 0xd8 && p[1] == 0x9c) { /* U+061C ARABIC LETTER MARK */
        *bidi = true;
        return 2;
    }
    if (left < 3 || p[0] != 0xe2)
        return 0;
    if (p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae))) {
        *bidi = true; /* U+200E/F, U+202A-202E */
        return 3;
    }
    if (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) {
        *bidi = true; /* U+2066-2069 isolates */
        return 3;
    }
    if (p[1] == 0x80 && (p[2] == 0x8b || p[2] == 0x8c || p[2] == 0x8d)) {
        *bidi = false; /* U+200B-200D zero-width */
        return 3;
    }
    return 0;
}

/* Width of a padding space at the end of name[0..end): ASCII space, NBSP, U+3000. */
static size_t space_before(const uint8_t *s, size_t end)
{
    if (end >= 1 && s[end - 1] == ' ')
        return 1;
    if (end >= 2 && s[end - 2] == 0xc2 && s[end - 1] == 0xa0)
        return 2;
    if (end >= 3 && s[end - 3] == 0xe3 && s[end - 2] == 0x80 && s[end - 1] == 0x80)
        return 3;
    return 0;
}

/* Extension ending at s[end): the ASCII letters/digits after the last '.' (1..15 of them).
 * Returns the index of the dot, or SIZE_MAX when there is no usable extension. */
static size_t take_ext(const uint8_t *s, size_t end, char out[16])
{
    out[0] = 0;
    size_t i = end;
    while (i > 0 && s[i - 1] != '.') {
        uint8_t c = s[i - 1];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum || end - i >= 15)
            return SIZE_MAX;
        i--;
    }
    if (i <= 1 || i == end) /* no dot, a dot first (".profile"), or a dot last */
        return SIZE_MAX;
    size_t k = 0;
    for (size_t j = i; j < end; j++)
        out[k++] = (char)lower(s[j]);
    out[k] = 0;
    return i - 1;
}

void zs_name_parse(const uint8_t *name, size_t len, struct zs_name *out)
{
    memset(out, 0, sizeof *out);
    if (!name)
        return;
    /* last path component */
    for (size_t i = len; i > 0; i--)
        if (name[i - 1] == '/' || name[i - 1] == '\\') {
            name += i;
            len -= i;
            break;
        }
    /* invisible characters anywhere; the bidi ones mean the shown name is not the real one */
    for (size_t i = 0; i < len; i++) {
        bool bidi = false;
        size_t k = invisible_at(name + i, len - i, &bidi);
        if (bidi)
            out->bidi = true;
        if (k)
            i += k - 1;
    }
    /* Windows drops trailing dots and spaces; invisible characters hide what follows */
    size_t end = len;
    for (;;) {
        if (end > 0 && (name[end - 1] == '.' || name[end - 1] == ' ')) {
            end--;
            out->trailing_junk = true;
            continue;
        }
        bool changed = false;
        for (size_t k = 2; k <= 3 && k <= end; k++) {
            bool bidi = false;
            if (invisible_at(name + end - k, k, &bidi) == k) {
                end -= k;
                out->trailing_junk = true;
                changed = true;
                break;
            }
        }
        if (!changed)
            break;
    }
    size_t dot = take_ext(name, end, out->ext);
    if (dot == SIZE_MAX)
        return;
    const struct ext_row *r = ext_lookup(out->ext);
    if (r) {
        out->cls = r->cls;
        out->kinds_expected = r->kinds;
    }
    /* padding right before the dot, then the extension before that */
    size_t e2 = dot;
    for (size_t w; (w = space_before(name, e2)) != 0;) {
        e2 -= w;
        out->pad++;
    }
    if (take_ext(name, e2, out->ext2) != SIZE_MAX) {
        const struct ext_row *r2 = ext_lookup(out->ext2);
        out->cls2 = r2 ? r2->cls : ZS_X_NONE;
    }
}

/* ---- scan state ----------------------------------------------------------------------- */

struct zs_work {
    struct zs_limits lim;
    uint8_t *buf[ZS_DEPTH_HARD_MAX + 1]; /* buf[d]: inflated entry content at depth d */
    uint8_t *dec[ZS_DEPTH_HARD_MAX + 1]; /* dec[d]: decrypted entry data at depth d (made when
                                            first needed, max_entry_bytes) */
    z_stream z;
    bool z_ready;
    uint8_t pw[ZS_MAX_PASSWORDS][ZS_PASSWORD_MAX]; /* zs_set_passwords */
    uint8_t pw_len[ZS_MAX_PASSWORDS];
    uint32_t n_pw;
    uint32_t pw_first; /* the one that last opened an entry: tried first */
};

zs_work_t *zs_work_new(const struct zs_limits *lim)
{
    if (lim->max_depth < 1 || lim->max_depth > ZS_DEPTH_HARD_MAX || lim->max_entries < 1 ||
        lim->max_entry_bytes < ZS_PEEK_BYTES || lim->max_entry_bytes > (64u << 20) ||
        lim->max_total_bytes < 1)
        return NULL;
    zs_work_t *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->lim = *lim;
    for (uint32_t d = 1; d <= lim->max_depth; d++) {
        w->buf[d] = malloc(lim->max_entry_bytes);
        if (!w->buf[d])
            goto fail;
    }
    if (inflateInit2(&w->z, -MAX_WBITS) != Z_OK)
        goto fail;
    w->z_ready = true;
    return w;
fail:
    zs_work_free(w);
    return NULL;
}

void zs_work_free(zs_work_t *w)
{
    if (!w)
        return;
    if (w->z_ready)
        inflateEnd(&w->z);
    for (size_t d = 0; d <= ZS_DEPTH_HARD_MAX; d++) {
        free(w->buf[d]);
        free(w->dec[d]);
    }
    free(w);
}

void zs_set_passwords(zs_work_t *w, const uint8_t *const *pw, const size_t *len, size_t n)
{
    w->n_pw = 0;
    w->pw_first = 0;
    for (size_t i = 0; i < n && w->n_pw < ZS_MAX_PASSWORDS; i++) {
        size_t l = MM_MIN(len[i], (size_t)ZS_PASSWORD_MAX);
        memcpy(w->pw[w->n_pw], pw[i], l);
        w->pw_len[w->n_pw++] = (uint8_t)l;
    }
}

struct scan {
    zs_work_t *w;
    struct zs_result *r;
    uint64_t budget;       /* inflated bytes left */
    uint64_t work_left;    /* bytes nested content may still be scanned (entries can overlap) */
    uint32_t entries_left;
};

/* What one piece of content turned out to be. */
struct sub {
    enum zs_kind kind;
    uint32_t flags;
};

static void scan_content(struct scan *s, const uint8_t *d, size_t n, uint64_t full,
                         unsigned depth, const char *path, uint32_t cut, struct sub *out);

static void note_add(struct zs_result *r, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note_add(struct zs_result *r, const char *path, const char *fmt, ...)
{
    size_t used = strlen(r->note);
    if (used + 8 >= sizeof r->note)
        return;
    int k = 0;
    if (used)
        k = snprintf(r->note + used, sizeof r->note - used, "; ");
    if (k > 0)
        used += (size_t)k;
    if (path && path[0] && used < sizeof r->note) {
        k = snprintf(r->note + used, sizeof r->note - used, "%s: ", path);
        if (k > 0)
            used += (size_t)k;
    }
    if (used >= sizeof r->note)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->note + used, sizeof r->note - used, fmt, ap);
    va_end(ap);
}

static void set_desc(struct zs_result *r, unsigned depth, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_desc(struct zs_result *r, unsigned depth, const char *fmt, ...)
{
    if (depth != 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->desc, sizeof r->desc, fmt, ap);
    va_end(ap);
}

/* Printable copy of wire bytes (controls and NULs become '?'), NUL-terminated. */
static void copy_printable(char *dst, size_t cap, const uint8_t *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++)
        dst[k++] = p[i] < 0x20 || p[i] == 0x7f ? '?' : (char)p[i];
    dst[k] = 0;
}

/* parent + "!/" + name, cut at ZS_PATH_MAX. */
static void child_path(char out[ZS_PATH_MAX], const char *parent, const uint8_t *name,
                       size_t name_len)
{
    size_t k = 0;
    if (parent && parent[0]) {
        k = strnlen(parent, ZS_PATH_MAX - 1);
        memcpy(out, parent, k);
        if (k + 2 < ZS_PATH_MAX) {
            out[k++] = '!';
            out[k++] = '/';
        }
    }
    copy_printable(out + k, ZS_PATH_MAX - k, name, name_len);
}

static void add_item(struct scan *s, const char *path, uint32_t flags, enum zs_kind kind,
                     unsigned depth, bool encrypted)
{
    struct zs_result *r = s->r;
    if (r->n_items >= ZS_MAX_ITEMS) {
        r->items_dropped++;
        return;
    }
    struct zs_item *it = &r->items[r->n_items++];
    snprintf(it->path, sizeof it->path, "%s", path);
    it->flags = flags;
    it->kind = (uint8_t)kind;
    it->depth = (uint8_t)depth;
    it->encrypted = encrypted;
}

/* The first active content found: what is fetched and from where. */
static void set_remote(struct zs_result *r, const char *kind, const char *target)
{
    if (r->remote_kind[0])
        return;
    snprintf(r->remote_kind, sizeof r->remote_kind, "%s", kind);
    snprintf(r->remote_target, sizeof r->remote_target, "%s", target);
}

/*
 * A DDE link found in a document at path: noted either way; one that starts a program is
 * ZS_F_DDE (returned) and, the first of them, the result's dde_*.
 */
static uint32_t dde_found(struct zs_result *r, const char *path, const struct ds_dde *x)
{
    note_add(r, path, "DDE %s %s%s%s", x->autoupdate ? "field, updated on opening," : "link to",
             x->app[0] ? x->app : "(no application)", x->topic[0] ? " " : "", x->topic);
    if (!x->runs_program)
        return 0;
    if (!r->dde_app[0]) {
        snprintf(r->dde_app, sizeof r->dde_app, "%s", x->app[0] ? x->app : "?");
        snprintf(r->dde_topic, sizeof r->dde_topic, "%s", x->topic);
        r->dde_auto = x->autoupdate;
    }
    return ZS_F_DDE;
}

/* Flags an entry name earns by itself. */
static uint32_t name_flags(const uint8_t *name, size_t len)
{
    struct zs_name nm;
    zs_name_parse(name, len, &nm);
    uint32_t f = 0;
    switch (nm.cls) {
    case ZS_X_EXEC: f |= ZS_F_EXECUTABLE; break;
    case ZS_X_SCRIPT: f |= ZS_F_SCRIPT; break;
    case ZS_X_SHORTCUT:
    case ZS_X_DISKIMAGE:
    case ZS_X_ONENOTE: f |= ZS_F_CONTAINER; break;
    case ZS_X_MACRO_DOC: f |= ZS_F_MACRO | ZS_F_MACRO_NAME; break;
    default: break;
    }
    bool hides = zs_ext_dangerous((enum zs_ext_class)nm.cls) || nm.cls == ZS_X_MACRO_DOC ||
                 nm.cls == ZS_X_ARCHIVE;
    if ((nm.bidi && hides) || zs_name_double_ext(&nm))
        f |= ZS_F_DISGUISED;
    return f;
}

/* Record an entry name of the outermost archive. */
/* The name's slot in the result (depth 1 only, while there is room), else NULL. */
static struct zs_name_str *add_name(struct scan *s, unsigned depth, const uint8_t *name,
                                    size_t len, bool encrypted)
{
    if (depth != 1 || s->r->n_names >= ZS_MAX_NAMES)
        return NULL;
    struct zs_name_str *ns = &s->r->names[s->r->n_names++];
    copy_printable(ns->s, ZS_PATH_MAX, name, len);
    ns->encrypted = encrypted;
    return ns;
}

/* One archive entry is about to be examined: false when the entry budget is spent. */
static bool take_entry(struct scan *s)
{
    if (s->entries_left == 0) {
        s->r->status |= ZS_S_LIMIT;
        return false;
    }
    s->entries_left--;
    s->r->entries++;
    return true;
}

/* ---- leaf types ----------------------------------------------------------------------- */

static bool is_text(const uint8_t *d, size_t n)
{
    size_t lim = MM_MIN(n, (size_t)ZS_TEXT_PROBE);
    size_t i = 0;
    while (i < lim) {
        uint8_t c = d[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f') || c == 0x7f)
                return false;
            i++;
            continue;
        }
        size_t k = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : 0;
        if (k == 0)
            return false;
        if (i + k >= lim)
            break; /* cut by the probe window */
        for (size_t j = 1; j <= k; j++)
            if ((d[i + j] & 0xc0) != 0x80)
                return false;
        i += k + 1;
    }
    return true;
}

#define ZS_MARKUP_PROBE (256u << 10) /* bytes of a page looked through for smuggling */

/*
 * HTML smuggling: a page that carries a file as data (base64 or a byte array), turns it into
 * a Blob or a data: URL and saves it as a download. Each part alone is common in web pages;
 * together, in a page sent as a file, they are how ISO, ZIP and script payloads got past mail
 * and web filters (Qakbot, IcedID, NOBELIUM's EnvyScout): the file is assembled on the PC.
 */
static bool markup_smuggles(const uint8_t *d, size_t n)
{
    n = MM_MIN(n, (size_t)ZS_MARKUP_PROBE);
    /* a script element or a link that does it (in an Office part's XML, text about all this
     * has its '<' escaped and never matches) */
    if (!find_ci(d, n, "<script") && !find_ci(d, n, "<a "))
        return false;
    bool blob = find_ci(d, n, "new blob(") || find_ci(d, n, "createobjecturl(") ||
                find_ci(d, n, "data:application/octet-stream;base64,") ||
                find_ci(d, n, "data:application/zip;base64,") ||
                find_ci(d, n, "data:application/x-zip-compressed;base64,");
    if (!blob)
        return false;
    bool save = find_ci(d, n, ".download") || find_ci(d, n, "download=") ||
                find_ci(d, n, "mssaveoropenblob") || find_ci(d, n, "mssaveblob");
    if (!save)
        return false;
    return find_ci(d, n, "atob(") || find_ci(d, n, "uint8array") ||
           find_ci(d, n, "charcodeat") || find_ci(d, n, ";base64,");
}

/* An SVG image (its root element in the first KiB) that runs script: a picture needs none,
 * and a mail attachment that does is a page in disguise (SVG phishing and smuggling). */
static bool markup_svg_script(const uint8_t *d, size_t n)
{
    if (!find_ci(d, MM_MIN(n, (size_t)1024), "<svg"))
        return false;
    n = MM_MIN(n, (size_t)ZS_MARKUP_PROBE);
    return find_ci(d, n, "<script") || find_ci(d, n, "javascript:") ||
           find_ci(d, n, " onload=");
}

static const uint8_t ONENOTE_GUID[16] = {0xe4, 0x52, 0x5c, 0x7b, 0x8c, 0xd8, 0xa7, 0x4d,
                                         0xae, 0xb1, 0x53, 0x78, 0xd0, 0x29, 0x96, 0xd3};
static const uint8_t ONE_FILEDATA_GUID[16] = {0xe7, 0x16, 0xe3, 0xbd, 0x65, 0x26, 0x11, 0x45,
                                              0xa4, 0xc4, 0x8d, 0x4d, 0x0b, 0x7a, 0x9e, 0xac};
static const uint8_t OLE_MAGIC[8] = {0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1};
static const uint8_t LNK_MAGIC[8] = {0x4c, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00};

/* The type from a binary signature, or UNKNOWN. */
static enum zs_kind identify_binary(const uint8_t *d, size_t n)
{
    if (n == 0)
        return ZS_K_EMPTY;
    if (at(d, n, 0, "MZ", 2)) {
        if (has(n, 0x3c, 4)) {
            uint32_t pe = le32(d + 0x3c);
            if (at(d, n, pe, "PE\0\0", 4))
                return ZS_K_PE;
        }
        return ZS_K_MZ;
    }
    if (at(d, n, 0, "\x7f" "ELF", 4))
        return ZS_K_ELF;
    if (has(n, 0, 8)) {
        uint32_t m = be32(d);
        if (m == 0xfeedfaceu || m == 0xfeedfacfu || m == 0xcefaedfeu || m == 0xcffaedfeu)
            return ZS_K_MACHO;
        /* also the Java class magic: a universal binary has a small architecture count */
        if (m == 0xcafebabeu && be32(d + 4) < 20)
            return ZS_K_MACHO;
    }
    if (at(d, n, 0, "PK\3\4", 4) || at(d, n, 0, "PK\5\6", 4) || at(d, n, 0, "PK\7\x08PK", 6))
        return ZS_K_ZIP;
    if (at(d, n, 0, OLE_MAGIC, 8))
        return ZS_K_OLE;
    if (at(d, n, 0, "Rar!\x1a\x07", 6))
        return ZS_K_RAR;
    if (at(d, n, 0, "7z\xbc\xaf\x27\x1c", 6))
        return ZS_K_7Z;
    if (at(d, n, 0, "\x1f\x8b", 2))
        return ZS_K_GZIP;
    if (at(d, n, 0, "BZh", 3) && n >= 4 && d[3] >= '1' && d[3] <= '9')
        return ZS_K_BZIP2;
    if (at(d, n, 0, "\xfd" "7zXZ\0", 6))
        return ZS_K_XZ;
    if (at(d, n, 0, "MSCF\0\0\0\0", 8))
        return ZS_K_CAB;
    if (at(d, n, 0, LNK_MAGIC, 8))
        return ZS_K_LNK;
    if (at(d, n, 0, ONENOTE_GUID, 16))
        return ZS_K_ONENOTE;
    if (at(d, n, 0, "{\\rt", 4))
        return ZS_K_RTF;
    if (at(d, n, 0, "\x89PNG\r\n\x1a\n", 8))
        return ZS_K_PNG;
    if (at(d, n, 0, "\xff\xd8\xff", 3))
        return ZS_K_JPEG;
    if (at(d, n, 0, "GIF87a", 6) || at(d, n, 0, "GIF89a", 6))
        return ZS_K_GIF;
    if (at(d, n, 0, "BM", 2) && has(n, 0, 26) && le32(d + 6) == 0 && le32(d + 14) >= 12 &&
        le32(d + 14) <= 124)
        return ZS_K_BMP;
    /* A PDF reader accepts the header anywhere in the first 1024 bytes. */
    if (find_bytes(d, MM_MIN(n, (size_t)1024), "%PDF-", 5))
        return ZS_K_PDF;
    for (size_t off = ZS_ISO_PVD + 1; off <= ZS_ISO_PVD + 1 + 2048 * 2; off += 2048) {
        if (at(d, n, off, "CD001", 5))
            return ZS_K_ISO;
        if (at(d, n, off, "BEA01", 5))
            return ZS_K_UDF;
    }
    return ZS_K_UNKNOWN;
}

/* The type from the first bytes: a binary signature, else what the text looks like. */
static enum zs_kind identify(const uint8_t *d, size_t n)
{
    enum zs_kind k = identify_binary(d, n);
    if (k != ZS_K_UNKNOWN)
        return k;
    if (at(d, n, 0, "#!", 2))
        return ZS_K_SHEBANG;
    size_t i = at(d, n, 0, "\xef\xbb\xbf", 3) ? 3 : 0;
    while (i < n && i < 256 && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
        i++;
    size_t rest = n - i;
    if (find_ci(d + i, MM_MIN(rest, (size_t)5), "<?xml"))
        return ZS_K_XML;
    if (find_ci(d + i, MM_MIN(rest, (size_t)14), "<!doctype html") ||
        find_ci(d + i, MM_MIN(rest, (size_t)5), "<html") ||
        find_ci(d + i, MM_MIN(rest, (size_t)5), "<head") ||
        find_ci(d + i, MM_MIN(rest, (size_t)5), "<body"))
        return ZS_K_HTML;
    return is_text(d, n) ? ZS_K_TEXT : ZS_K_UNKNOWN;
}

static const char *pe_machine(uint16_t m)
{
    switch (m) {
    case 0x014c: return "Intel 80386";
    case 0x8664: return "x86-64";
    case 0xaa64: return "ARM64";
    case 0x01c0:
    case 0x01c4: return "ARM";
    case 0x0200: return "IA-64";
    default: return "unknown machine";
    }
}

static void describe_pe(struct scan *s, const uint8_t *d, size_t n, unsigned depth)
{
    uint32_t pe = le32(d + 0x3c); /* identify() checked 0x3c and the signature */
    if (!has(n, pe, 24 + 2)) {
        set_desc(s->r, depth, "PE executable");
        return;
    }
    uint16_t machine = le16(d + pe + 4);
    uint16_t chars = le16(d + pe + 22);
    size_t opt = (size_t)pe + 24;
    uint16_t magic = le16(d + opt);
    bool plus = magic == 0x20b;
    const char *sub = "";
    if (has(n, opt, 70)) {
        uint16_t ss = le16(d + opt + 68);
        sub = ss == 2 ? " (GUI)" : ss == 3 ? " (console)" : ss == 1 ? " (native)" : "";
    }
    bool dotnet = false;
    size_t clr = opt + (plus ? 224u : 208u);
    if (has(n, clr, 8))
        dotnet = le32(d + clr) != 0;
    set_desc(s->r, depth, "PE32%s %s%s %s%s", plus ? "+" : "",
             chars & 0x2000 ? "DLL" : "executable", sub, pe_machine(machine),
             dotnet ? " (.NET)" : "");
}

static void describe_elf(struct scan *s, const uint8_t *d, size_t n, unsigned depth)
{
    if (!has(n, 0, 20)) {
        set_desc(s->r, depth, "ELF");
        return;
    }
    bool be = d[5] == 2;
    uint16_t type = be ? be16(d + 16) : le16(d + 16);
    uint16_t mach = be ? be16(d + 18) : le16(d + 18);
    const char *t = type == 2 ? "executable" : type == 3 ? "shared object" : type == 1 ? "relocatable" : "file";
    const char *m = mach == 0x3e ? "x86-64" : mach == 3 ? "Intel 80386" : mach == 0xb7 ? "ARM aarch64"
                    : mach == 0x28 ? "ARM" : mach == 8 ? "MIPS" : mach == 0xf3 ? "RISC-V" : "other machine";
    set_desc(s->r, depth, "ELF %s-bit %s %s, %s", d[4] == 2 ? "64" : "32", be ? "MSB" : "LSB", t, m);
}

/* UTF-16LE or ANSI bytes to printable ASCII. */
static void lnk_string(char *dst, size_t cap, const uint8_t *p, size_t chars, bool unicode)
{
    size_t k = 0;
    for (size_t i = 0; i < chars && k + 1 < cap; i++) {
        uint16_t c = unicode ? le16(p + 2 * i) : p[i];
        dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[k] = 0;
}

static void describe_lnk(struct scan *s, const uint8_t *d, size_t n, const char *path)
{
    if (!has(n, 0, 0x4c)) {
        s->r->status |= ZS_S_TRUNCATED;
        return;
    }
    uint32_t lf = le32(d + 20);
    bool unicode = lf & 0x80;
    size_t pos = 0x4c;
    char target[96] = "", args[96] = "", rel[96] = "";
    if (lf & 0x01) { /* LinkTargetIDList */
        if (!has(n, pos, 2))
            goto cut;
        pos += 2u + le16(d + pos);
    }
    if (lf & 0x02) { /* LinkInfo */
        if (!has(n, pos, 28))
            goto cut;
        uint32_t size = le32(d + pos);
        uint32_t flags = le32(d + pos + 8);
        uint32_t base_off = le32(d + pos + 16);
        if ((flags & 1) && base_off < size && has(n, pos, size)) {
            const uint8_t *b = d + pos + base_off;
            size_t max = size - base_off;
            const uint8_t *z = memchr(b, 0, max);
            lnk_string(target, sizeof target, b, z ? (size_t)(z - b) : max, false);
        }
        if (size < 4 || !has(n, pos, size))
            goto cut;
        pos += size;
    }
    /* StringData: NAME, RELATIVE_PATH, WORKING_DIR, ARGUMENTS, ICON_LOCATION */
    static const uint32_t bits[] = {0x04, 0x08, 0x10, 0x20, 0x40};
    for (size_t i = 0; i < MM_ARRAY_LEN(bits); i++) {
        if (!(lf & bits[i]))
            continue;
        if (!has(n, pos, 2))
            goto cut;
        size_t chars = le16(d + pos);
        size_t bytes = chars * (unicode ? 2u : 1u);
        if (!has(n, pos + 2, bytes))
            goto cut;
        if (bits[i] == 0x08)
            lnk_string(rel, sizeof rel, d + pos + 2, chars, unicode);
        else if (bits[i] == 0x20)
            lnk_string(args, sizeof args, d + pos + 2, chars, unicode);
        pos += 2 + bytes;
    }
done:
    if (target[0] || rel[0] || args[0])
        note_add(s->r, path, "shortcut target %s%s%s", target[0] ? target : rel,
                 args[0] ? ", arguments " : "", args);
    return;
cut:
    s->r->status |= ZS_S_TRUNCATED;
    goto done;
}

/* OneNote: embedded files (FileDataStoreObject) and what they are. */
static uint32_t scan_onenote(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                             const char *path, uint32_t cut)
{
    uint32_t flags = ZS_F_CONTAINER, count = 0;
    size_t off = 16;
    while (off < n) {
        const uint8_t *g = find_bytes(d + off, n - off, ONE_FILEDATA_GUID, 16);
        if (!g)
            break;
        size_t pos = (size_t)(g - d);
        off = pos + 16;
        count++;
        if (!has(n, pos, 36)) {
            s->r->status |= cut;
            break;
        }
        uint64_t len = le64(d + pos + 16);
        size_t start = pos + 36;
        size_t avail = n - start;
        size_t take = len < avail ? (size_t)len : avail;
        if (depth + 1 > s->w->lim.max_depth || !take_entry(s)) {
            s->r->status |= ZS_S_LIMIT;
            continue;
        }
        char cp[ZS_PATH_MAX];
        char label[32];
        int k = snprintf(label, sizeof label, "embedded file %u", count);
        child_path(cp, path, (const uint8_t *)label, k > 0 ? (size_t)k : 0);
        struct sub sb;
        scan_content(s, d + start, take, len, depth + 1, cp, cut, &sb);
        if (sb.flags || zs_kind_is_executable(sb.kind))
            add_item(s, cp, sb.flags, sb.kind, depth + 1, false);
        flags |= sb.flags;
        off = start + take;
    }
    if (count)
        note_add(s->r, path, "%u embedded file%s", count, count == 1 ? "" : "s");
    return flags;
}

/* ISO 9660: the files of the root directory, by name and by their first bytes. */
static uint32_t scan_iso(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                         const char *path, uint32_t cut)
{
    uint32_t flags = ZS_F_CONTAINER;
    size_t pvd = 0;
    for (size_t off = ZS_ISO_PVD; off <= ZS_ISO_PVD + 2 * 2048 && !pvd; off += 2048)
        if (has(n, off, 190) && d[off] == 1 && at(d, n, off + 1, "CD001", 5))
            pvd = off; /* the primary volume descriptor (a boot record may come first) */
    if (!pvd) {
        s->r->status |= cut;
        return flags;
    }
    const uint8_t *root = d + pvd + 156;
    uint64_t lba = le32(root + 2), size = le32(root + 10);
    uint64_t start = lba * 2048u;
    if (start >= n) {
        s->r->status |= cut;
        return flags;
    }
    size_t end = size < n - start ? (size_t)(start + size) : n;
    if (size > n - start)
        s->r->status |= cut;
    size_t p = (size_t)start;
    uint32_t records = 0, files = 0;
    while (p < end && records++ < ZS_ISO_MAX_RECORDS) {
        uint8_t rl = d[p];
        if (rl == 0) { /* records do not cross sectors: go to the next one */
            size_t next = (p / 2048 + 1) * 2048;
            if (next <= p)
                break;
            p = next;
            continue;
        }
        if (rl < 34 || !has(end, p, rl))
            break;
        uint8_t nlen = d[p + 32];
        uint8_t fl = d[p + 25];
        const uint8_t *nm = d + p + 33;
        if (33u + nlen <= rl && !(nlen == 1 && (nm[0] == 0 || nm[0] == 1)) && !(fl & 0x02)) {
            size_t l = nlen;
            for (size_t i = 0; i < l; i++)
                if (nm[i] == ';') {
                    l = i; /* version suffix ";1" */
                    break;
                }
            if (!take_entry(s))
                break;
            files++;
            add_name(s, depth + 1, nm, l, false);
            char cp[ZS_PATH_MAX];
            child_path(cp, path, nm, l);
            uint32_t ef = name_flags(nm, l);
            struct sub sb = {ZS_K_UNKNOWN, 0};
            uint64_t flba = le32(d + p + 2), fsize = le32(d + p + 10);
            uint64_t fstart = flba * 2048u;
            if (fstart < n && depth + 1 <= s->w->lim.max_depth) {
                size_t take = fsize < n - fstart ? (size_t)fsize : n - (size_t)fstart;
                scan_content(s, d + fstart, take, fsize, depth + 1, cp, cut, &sb);
            } else if (fstart >= n) {
                s->r->status |= cut;
            }
            ef |= sb.flags;
            if (ef || zs_kind_is_executable(sb.kind))
                add_item(s, cp, ef, sb.kind, depth + 1, false);
            flags |= ef;
        }
        p += rl;
    }
    if (depth == 0)
        s->r->entries_declared = files;
    return flags;
}

/* ---- OLE2 ----------------------------------------------------------------------------- */

struct ole {
    const uint8_t *d;
    size_t n;
    uint32_t shift, ssz;
    bool cut;
};

static uint32_t ole_fat_sector(struct ole *o, uint32_t idx)
{
    /* The header lists the first 109 FAT sectors: enough for 7 MiB (512-byte sectors) or
     * 436 MiB (4096-byte sectors); a larger file's directory is not followed further. */
    if (idx >= 109) {
        o->cut = true;
        return 0xffffffffu;
    }
    return le32(o->d + 0x4c + 4 * idx);
}

static uint32_t ole_next(struct ole *o, uint32_t sec)
{
    uint32_t per = o->ssz / 4;
    uint32_t fs = ole_fat_sector(o, sec / per);
    if (fs >= 0xfffffffau)
        return 0xfffffffeu;
    uint64_t off = (((uint64_t)fs + 1) << o->shift) + 4u * (sec % per);
    if (off + 4 > o->n) {
        o->cut = true;
        return 0xfffffffeu;
    }
    return le32(o->d + off);
}

static const uint8_t MSI_CLSID[16] = {0x84, 0x10, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};
/* Equation Editor 3.0, {0002CE02-0000-0000-C000-000000000046}, as a directory entry stores it */
static const uint8_t EQUATION_CLSID[16] = {0x02, 0xce, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                                           0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46};
static const uint8_t VBA_PROJECT_U16[] = {'_', 0, 'V', 0, 'B', 0, 'A', 0, '_', 0, 'P', 0,
                                          'R', 0, 'O', 0, 'J', 0, 'E', 0, 'C', 0, 'T', 0};

/* The byte at offset p of a stream whose sectors start at offs[] (p within them). */
static uint8_t ole_stream_byte(const struct ole *o, const uint64_t *offs, uint64_t p)
{
    return o->d[offs[p >> o->shift] + (p & (o->ssz - 1))];
}

/*
 * Excel 4.0 (XLM) macro sheets of an Excel 97-2003 workbook: the sheet list of its Workbook
 * (or Excel 5 "Book") stream, BoundSheet8 records in the globals substream ([MS-XLS]
 * 2.4.28), where sheet type (dt) 1 is a macro sheet; Emotet, Qakbot and others hid their
 * loaders in such sheets, often "very hidden", long after VBA was blocked. The first
 * ZS_XLS_SECTORS sectors of the stream are read (the sheet list comes right after the
 * workbook's first records). Returns 0 (none, or not readable), 1 for a visible macro sheet,
 * 2 hidden, 3 very hidden (the most hidden one). An encrypted workbook (FilePass) is not
 * judged: the sheet types are encrypted with it.
 */
static int ole_xlm_sheets(struct ole *o, uint32_t sec, uint32_t size)
{
    uint64_t offs[ZS_XLS_SECTORS];
    uint32_t want = size / o->ssz + (size % o->ssz != 0), ns = 0;
    if (want > ZS_XLS_SECTORS)
        want = ZS_XLS_SECTORS;
    for (; ns < want && sec < 0xfffffffau; ns++) {
        uint64_t off = ((uint64_t)sec + 1) << o->shift;
        if (off + o->ssz > o->n) {
            o->cut = true;
            break;
        }
        offs[ns] = off;
        sec = ole_next(o, sec);
    }
    uint64_t avail = (uint64_t)ns << o->shift;
    if (avail > size)
        avail = size;
    int found = 0;
    uint64_t p = 0;
    for (uint32_t rec = 0; rec < ZS_XLS_RECORDS && p + 4 <= avail; rec++) {
        uint16_t type =
            (uint16_t)(ole_stream_byte(o, offs, p) | ole_stream_byte(o, offs, p + 1) << 8);
        uint16_t len =
            (uint16_t)(ole_stream_byte(o, offs, p + 2) | ole_stream_byte(o, offs, p + 3) << 8);
        if (rec == 0 && type != 0x0809)
            return 0; /* no BOF: not a BIFF workbook stream */
        if (type == 0x000a || type == 0x002f)
            break; /* EOF of the globals, or FilePass (encrypted) */
        if (type == 0x0085 && len >= 6 && p + 10 <= avail) {
            int hs = ole_stream_byte(o, offs, p + 8) & 3, dt = ole_stream_byte(o, offs, p + 9);
            int v = 1 + (hs > 2 ? 2 : hs);
            if (dt == 1 && v > found)
                found = v;
        }
        p += 4u + len;
    }
    return found;
}

/* The name of directory entry de (UTF-16), upper case, non-ASCII as '?', cut at cap - 1. */
static void ole_entry_name(const uint8_t *de, char *name, size_t cap)
{
    uint16_t nl = le16(de + 64);
    size_t k = 0;
    for (size_t i = 0; i + 1 < nl && i + 1 < 64 && k + 1 < cap; i += 2) {
        uint16_t c = le16(de + i);
        if (c == 0)
            break;
        name[k++] = c < 0x80 ? (char)(c >= 'a' && c <= 'z' ? c - 32 : c) : '?';
    }
    name[k] = 0;
}

/* A stream of the compound file: its first sector and size, from its directory entry. */
struct ole_stream {
    uint32_t start;
    uint64_t size;
    bool seen;
};

/* The stream of directory entry de. In version 3 files (512-byte sectors) the size's high 32
 * bits may hold garbage from old writers and are ignored, as [MS-CFB] 2.6.3 advises. */
static void ole_stream_at(const struct ole *o, const uint8_t *de, struct ole_stream *st)
{
    st->seen = true;
    st->start = le32(de + 116);
    st->size = le32(de + 120) | (o->shift == 12 ? (uint64_t)le32(de + 124) << 32 : 0);
}

/* The file offsets of the sectors of a chain, loaded once for random access: the FAT followed
 * from `start` for the sectors of `bytes`, and never more sectors than the file has (which
 * also ends a chain that runs in a cycle). */
struct ole_chain {
    uint64_t *off;
    uint32_t n;
};

static bool ole_chain_load(struct ole *o, uint32_t start, uint64_t bytes, struct ole_chain *c)
{
    uint64_t want = (bytes + o->ssz - 1) >> o->shift, most = o->n / o->ssz + 1;
    if (want > most)
        want = most;
    c->n = 0;
    c->off = malloc(want ? (size_t)want * sizeof *c->off : 1);
    if (!c->off)
        return false;
    for (uint32_t sec = start; c->n < want && sec < 0xfffffffau; sec = ole_next(o, sec)) {
        uint64_t off = ((uint64_t)sec + 1) << o->shift;
        if (off + o->ssz > o->n) {
            o->cut = true;
            break;
        }
        c->off[c->n++] = off;
    }
    return true;
}

/* What the reads of one document need: the directory, the mini stream (the root entry's
 * stream) and the mini FAT as chains. */
struct ole_doc {
    struct ole *o;
    struct ole_chain dir, mini, minifat;
    struct ole_stream root;
};

/* Directory entry `id` (128 bytes), or NULL beyond the directory read. */
static const uint8_t *ole_entry(const struct ole_doc *od, uint32_t id)
{
    uint32_t per = od->o->ssz / 128;
    if (id / per >= od->dir.n)
        return NULL;
    return od->o->d + od->dir.off[id / per] + 128u * (id % per);
}

/*
 * Copies bytes [from, from + cap) of stream st (as far as it has them) into out; returns how
 * many. A stream under the mini stream cutoff lives in 64-byte mini sectors inside the root
 * entry's stream, chained by the mini FAT ([MS-CFB] 2.4, 2.6.3); a larger one in the file's
 * sectors, chained by the FAT. Each step moves 64 bytes or a sector on, and the steps are
 * bounded by the bytes wanted and the file's sectors.
 */
static size_t ole_read(struct ole_doc *od, const struct ole_stream *st, uint64_t from, uint8_t *out,
                       size_t cap)
{
    struct ole *o = od->o;
    if (from >= st->size)
        return 0;
    size_t want = (size_t)MM_MIN((uint64_t)cap, st->size - from), got = 0;
    uint64_t end = from + want;
    if (st->size >= le32(o->d + 0x38)) {
        uint64_t most = o->n / o->ssz + 1, pos = 0;
        for (uint32_t sec = st->start, i = 0; pos < end && sec < 0xfffffffau && i < most;
             i++, pos += o->ssz, sec = ole_next(o, sec)) {
            uint64_t off = ((uint64_t)sec + 1) << o->shift;
            if (off + o->ssz > o->n) {
                o->cut = true;
                break;
            }
            if (pos + o->ssz <= from)
                continue;
            uint64_t a = pos < from ? from - pos : 0, b = MM_MIN((uint64_t)o->ssz, end - pos);
            memcpy(out + got, o->d + off + a, (size_t)(b - a));
            got += (size_t)(b - a);
        }
        return got;
    }
    /* a chain of more mini sectors than the mini stream holds runs in a cycle */
    uint32_t per = o->ssz / 4;
    uint64_t pos = 0, steps = 0, most = (uint64_t)od->mini.n * (o->ssz / 64);
    for (uint32_t m = st->start; pos < end && m < 0xfffffffau && steps++ < most; pos += 64) {
        uint64_t cpos = (uint64_t)m * 64; /* in the root entry's stream */
        uint64_t ci = cpos >> o->shift;
        if (ci >= od->mini.n || cpos + 64 > od->root.size) {
            o->cut = true;
            break;
        }
        if (pos + 64 > from) {
            uint64_t a = pos < from ? from - pos : 0, b = MM_MIN((uint64_t)64, end - pos);
            memcpy(out + got, o->d + od->mini.off[ci] + (cpos & (o->ssz - 1)) + a, (size_t)(b - a));
            got += (size_t)(b - a);
        }
        if (m / per >= od->minifat.n) {
            if (got < want)
                o->cut = true;
            break;
        }
        m = le32(o->d + od->minifat.off[m / per] + 4u * (m % per));
    }
    return got;
}

/* Finds the streams WordDocument, 0Table and 1Table among the root storage's own children (a
 * document embedded in an ObjectPool storage, or an entry no storage points to, has streams
 * of the same names): a walk of the root's red-black tree of children, each entry visited at
 * most once however the sibling links run. */
static void ole_root_streams(struct ole_doc *od, struct ole_stream *wd, struct ole_stream tables[2])
{
    const uint8_t *root = ole_entry(od, 0);
    if (!root)
        return;
    uint32_t total = od->dir.n * (od->o->ssz / 128), stack[64], sp = 0, visited = 0;
    uint32_t child = le32(root + 76);
    if (child < total)
        stack[sp++] = child;
    while (sp && visited++ < total) {
        const uint8_t *de = ole_entry(od, stack[--sp]);
        if (!de)
            continue;
        if (de[66] == 2) {
            char name[16];
            ole_entry_name(de, name, sizeof name);
            if (!strcmp(name, "WORDDOCUMENT"))
                ole_stream_at(od->o, de, wd);
            else if (!strcmp(name, "0TABLE") || !strcmp(name, "1TABLE"))
                ole_stream_at(od->o, de, &tables[name[0] - '0']);
        }
        for (int side = 68; side <= 72; side += 4) {
            uint32_t sib = le32(de + side);
            if (sib < total && sp < MM_ARRAY_LEN(stack))
                stack[sp++] = sib;
        }
    }
}

/* The WordDocument stream is copied up to this share of the buffer (the rest holds the piece
 * table). */
#define ZS_DOC_TEXT_SHARE 2u

/*
 * DDE fields of a Word 97-2003 document (ds_doc_dde): its WordDocument stream and the piece
 * table in the table stream its FIB names are copied into buf (the WordDocument stream into
 * the first half of it at most, the piece table into the rest). What does not fit, or a text
 * whose pieces ds_doc_dde did not read to the end, is a limit.
 */
static uint32_t ole_word_dde(struct scan *s, struct ole *o, uint8_t *buf, size_t cap,
                             const char *path)
{
    struct ole_doc od = {.o = o};
    struct ole_stream wd = {0}, tables[2] = {{0}, {0}};
    uint32_t flags = 0;
    if (!ole_chain_load(o, le32(o->d + 0x30), (uint64_t)o->n, &od.dir))
        return 0;
    const uint8_t *re = ole_entry(&od, 0);
    if (re && re[66] == 5)
        ole_stream_at(o, re, &od.root);
    ole_root_streams(&od, &wd, tables);
    if (!wd.seen)
        goto done;
    /* the mini stream and the mini FAT, for streams under the cutoff */
    if ((od.root.seen && !ole_chain_load(o, od.root.start, od.root.size, &od.mini)) ||
        !ole_chain_load(o, le32(o->d + 0x3c), (uint64_t)le32(o->d + 0x40) << o->shift, &od.minifat))
        goto done;
    size_t wl = ole_read(&od, &wd, 0, buf, cap / ZS_DOC_TEXT_SHARE);
    if (wd.size > cap / ZS_DOC_TEXT_SHARE)
        s->r->status |= ZS_S_LIMIT; /* the text beyond is not read */
    struct ds_doc_fib fib;
    if (!ds_doc_fib(buf, wl, &fib) || !tables[fib.table].seen)
        goto done;
    if (fib.lcb_clx > cap - wl)
        s->r->status |= ZS_S_LIMIT; /* the piece table is read as far as the buffer holds */
    size_t tl = ole_read(&od, &tables[fib.table], fib.fc_clx, buf + wl, cap - wl);
    struct ds_dde dde;
    bool limited = false;
    if (tl && ds_doc_dde(buf, wl, buf + wl, MM_MIN(tl, (size_t)fib.lcb_clx), &dde, &limited))
        flags = dde_found(s->r, path, &dde);
    if (limited)
        s->r->status |= ZS_S_LIMIT;
done:
    free(od.dir.off);
    free(od.mini.off);
    free(od.minifat.off);
    return flags;
}

static uint32_t scan_ole(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                         const char *path, uint32_t cut, enum zs_kind *kind)
{
    uint32_t flags = 0;
    bool vba = false, word = false, excel = false, ppt = false, msg = false, msi = false;
    bool encrypted_pkg = false, package = false, equation = false;
    uint32_t entries = 0, wb_sec = 0xffffffffu, wb_size = 0;
    int xlm = 0;
    struct ole o = {.d = d, .n = n};
    if (n < 512) {
        s->r->status |= cut;
        goto fallback;
    }
    o.shift = le16(d + 0x1e);
    if (o.shift != 9 && o.shift != 12) {
        s->r->status |= ZS_S_MALFORMED;
        goto fallback;
    }
    o.ssz = 1u << o.shift;
    uint32_t sec = le32(d + 0x30);
    uint32_t max_sectors = (uint32_t)MM_MIN(n / o.ssz + 1, (size_t)ZS_OLE_MAX_SECTORS);
    for (uint32_t hop = 0; sec < 0xfffffffau && hop < max_sectors; hop++) {
        uint64_t off = ((uint64_t)sec + 1) << o.shift;
        if (off + o.ssz > n) {
            o.cut = true;
            break;
        }
        for (uint32_t e = 0; e < o.ssz / 128; e++) {
            const uint8_t *de = d + off + 128u * e;
            uint8_t type = de[66];
            if (type != 1 && type != 2 && type != 5)
                continue;
            entries++;
            char name[33];
            ole_entry_name(de, name, sizeof name);
            if (type == 5 && !memcmp(de + 80, MSI_CLSID, 16))
                msi = true;
            /* an Equation Editor object: its class id, or its "Equation Native" stream (the
             * one CVE-2017-11882 and CVE-2018-0802 overflow), under any class name */
            if ((type != 2 && !memcmp(de + 80, EQUATION_CLSID, 16)) ||
                (type == 2 && !strcmp(name, "EQUATION NATIVE")))
                equation = true;
            if (type == 1 && (!strcmp(name, "VBA") || !strcmp(name, "MACROS") ||
                              !strcmp(name, "_VBA_PROJECT_CUR")))
                vba = true;
            if (type == 2 && !strcmp(name, "_VBA_PROJECT"))
                vba = true;
            if (type == 2 && !strcmp(name, "WORDDOCUMENT"))
                word = true;
            if (type == 2 && (!strcmp(name, "WORKBOOK") || !strcmp(name, "BOOK"))) {
                excel = true;
                wb_sec = le32(de + 116);
                wb_size = le32(de + 124) ? UINT32_MAX : le32(de + 120);
            }
            if (type == 2 && !strcmp(name, "POWERPOINT DOCUMENT"))
                ppt = true;
            if (!strncmp(name, "__SUBSTG1.0_", 12) || !strcmp(name, "__PROPERTIES_VERSION1.0"))
                msg = true;
            if (type == 2 && !strcmp(name, "ENCRYPTEDPACKAGE"))
                encrypted_pkg = true;
            if (type == 2 && !strcmp(name, "\001OLE10NATIVE"))
                package = true;
        }
        sec = ole_next(&o, sec);
    }
    /* A stream under the mini-stream cutoff (4096 bytes) lives in the mini stream, not read
     * here: no workbook with a macro sheet is that small. */
    if (excel && wb_size >= 4096)
        xlm = ole_xlm_sheets(&o, wb_sec, wb_size);
    /* the document's text is copied into the next depth's buffer, as an entry is inflated */
    if (word && depth + 1 <= s->w->lim.max_depth)
        flags |= ole_word_dde(s, &o, s->w->buf[depth + 1], s->w->lim.max_entry_bytes, path);
    if (o.cut)
        s->r->status |= cut;
fallback:
    if (!vba && find_bytes(d, n, VBA_PROJECT_U16, sizeof VBA_PROJECT_U16)) {
        vba = true; /* the directory was out of reach, but the name is in the bytes */
        if (!entries)
            note_add(s->r, path, "VBA project name found in the bytes (OLE directory not read)");
    }
    if (vba)
        flags |= ZS_F_MACRO;
    if (xlm) {
        flags |= ZS_F_MACRO | ZS_F_MACRO_XLM;
        note_add(s->r, path, "Excel 4.0 (XLM) macro sheet%s",
                 xlm == 3 ? ", very hidden" : xlm == 2 ? ", hidden" : "");
    }
    if (encrypted_pkg) {
        flags |= ZS_F_ENCRYPTED;
        if (!s->r->encryption)
            s->r->encryption = "office";
    }
    if (package)
        note_add(s->r, path, "embedded OLE package object (Ole10Native)");
    if (equation) {
        flags |= ZS_F_EXPLOIT;
        if (!s->r->exploit_class[0])
            snprintf(s->r->exploit_class, sizeof s->r->exploit_class, "Equation.3");
        note_add(s->r, path, "Equation Editor object (OLE)");
    }
    *kind = msi ? ZS_K_MSI : ZS_K_OLE;
    if (msi) {
        flags |= ZS_F_EXECUTABLE;
        set_desc(s->r, depth, "Windows Installer package (MSI)");
    } else if (encrypted_pkg) {
        set_desc(s->r, depth, "encrypted Office document (OLE EncryptedPackage)");
    } else {
        set_desc(s->r, depth, "%s%s",
                 word    ? "Microsoft Word 97-2003 document"
                 : excel ? "Microsoft Excel 97-2003 workbook"
                 : ppt   ? "Microsoft PowerPoint 97-2003 presentation"
                 : msg   ? "Outlook message (OLE)"
                         : "OLE2 compound file",
                 vba && xlm           ? " with VBA and Excel 4.0 macros"
                 : vba                ? " with VBA macros"
                 : xlm                ? " with Excel 4.0 macros"
                 : (flags & ZS_F_DDE) ? " with a DDE field that starts a program"
                                      : "");
    }
    return flags;
}

/* ---- ZIP ------------------------------------------------------------------------------ */

struct zent {
    const uint8_t *name;
    size_t name_len;
    uint16_t flags, method;
    uint16_t mtime;   /* DOS time: ZipCrypto's check byte when a data descriptor follows */
    uint32_t crc;     /* CRC-32 of the content, when crc_known */
    uint64_t csize, usize;
    size_t data_off;  /* start of the entry data in the archive bytes */
    bool aes;
    bool data_known;  /* data_off valid */
    bool crc_known;   /* (a local header followed by a data descriptor has none) */
};

/* ZIP64 / AES extra fields. need_*: which 32-bit fields were 0xFFFFFFFF. */
static void zip_extras(const uint8_t *x, size_t xl, struct zent *e, bool need_u, bool need_c,
                       uint64_t *lho, bool need_o)
{
    size_t p = 0;
    while (p + 4 <= xl) {
        uint16_t id = le16(x + p), sz = le16(x + p + 2);
        if (sz > xl - p - 4)
            break;
        const uint8_t *v = x + p + 4;
        if (id == 0x0001) {
            size_t q = 0;
            if (need_u && q + 8 <= sz) {
                e->usize = le64(v + q);
                q += 8;
            }
            if (need_c && q + 8 <= sz) {
                e->csize = le64(v + q);
                q += 8;
            }
            if (need_o && lho && q + 8 <= sz)
                *lho = le64(v + q);
        } else if (id == 0x9901) {
            e->aes = true;
            if (sz >= 7)
                e->method = le16(v + 5); /* the real method */
        }
        p += 4u + sz;
    }
}

struct zipctx {
    bool ooxml, odf, jar, ct_macro, basic_macro;
    bool opened; /* an encrypted entry was opened with a password */
    const char *office; /* "Word", "Excel", "PowerPoint" */
};

/* Inflate raw deflate data into dst (up to cap bytes); continues a stream started earlier
 * when resume. Returns bytes now in dst; *end when the stream finished. */
static size_t inflate_to(struct scan *s, const uint8_t *src, size_t srclen, uint8_t *dst,
                         size_t have, size_t cap, bool resume, bool *end)
{
    z_stream *z = &s->w->z;
    if (!resume) {
        inflateReset(z);
        z->next_in = (Bytef *)(uintptr_t)src;
        z->avail_in = (uInt)MM_MIN(srclen, (size_t)UINT32_MAX);
    }
    if (cap > have) {
        uint64_t room = MM_MIN((uint64_t)(cap - have), s->budget);
        z->next_out = dst + have;
        z->avail_out = (uInt)room;
        int rc = inflate(z, Z_SYNC_FLUSH);
        size_t got = (size_t)room - z->avail_out;
        s->budget -= got;
        s->r->inflated_bytes += got;
        have += got;
        *end = rc == Z_STREAM_END;
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            s->r->status |= ZS_S_MALFORMED;
    }
    return have;
}

static bool name_is(const struct zent *e, const char *lit)
{
    size_t k = strlen(lit);
    if (e->name_len != k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (lower(e->name[i]) != lower((uint8_t)lit[i]))
            return false;
    return true;
}

static bool name_ends(const struct zent *e, const char *lit)
{
    size_t k = strlen(lit);
    if (e->name_len < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (lower(e->name[e->name_len - k + i]) != lower((uint8_t)lit[i]))
            return false;
    return true;
}

static bool name_starts(const struct zent *e, const char *lit)
{
    size_t k = strlen(lit);
    if (e->name_len < k)
        return false;
    for (size_t i = 0; i < k; i++)
        if (lower(e->name[i]) != lower((uint8_t)lit[i]))
            return false;
    return true;
}

/* Whether a kind needs more than the first bytes to be looked into. */
static bool kind_is_container(enum zs_kind k)
{
    return k == ZS_K_ZIP || k == ZS_K_OLE || k == ZS_K_RAR || k == ZS_K_7Z ||
           k == ZS_K_ONENOTE || k == ZS_K_LNK;
}

/*
 * An entry's data as content: stored bytes as they are, deflated ones inflated into buf[cd]
 * (the first ZS_PEEK_BYTES, or up to max_entry_bytes for what needs more, or for all of it
 * with `whole`). src[0..avail) is the data we have of csize bytes. False when the depth or
 * the inflate budget stops it (ZS_S_LIMIT noted). *complete: *content is the whole entry;
 * *bad: inflate failed.
 */
static bool zip_data(struct scan *s, const struct zent *e, const uint8_t *src, size_t avail,
                     uint64_t csize, unsigned cd, uint32_t cut, bool rels, bool whole,
                     const uint8_t **content, size_t *len, uint64_t *full, uint32_t *sub_cut,
                     bool *complete, bool *bad)
{
    size_t clen = csize < avail ? (size_t)csize : avail;
    *sub_cut = csize > avail ? cut : 0;
    *full = e->usize;
    *bad = false;
    if (e->method == 0) {
        *content = src;
        *len = clen;
        *complete = clen == csize;
        return true;
    }
    if (cd > s->w->lim.max_depth || s->budget == 0) {
        s->r->status |= ZS_S_LIMIT;
        return false;
    }
    uint8_t *buf = s->w->buf[cd];
    size_t cap = s->w->lim.max_entry_bytes;
    bool end = false;
    size_t first = MM_MIN(cap, (size_t)ZS_PEEK_BYTES);
    /* images and disk images need more than the first 4 KiB to be named */
    struct zs_name nm;
    zs_name_parse(e->name, e->name_len, &nm);
    if (whole || nm.cls == ZS_X_DISKIMAGE || name_is(e, "[Content_Types].xml") || rels)
        first = cap;
    uint32_t status = s->r->status;
    s->r->status &= ~(uint32_t)ZS_S_MALFORMED;
    size_t n = inflate_to(s, src, clen, buf, 0, first, false, &end);
    if (!end && n < cap && !(s->r->status & ZS_S_MALFORMED) &&
        kind_is_container(identify(buf, n)))
        n = inflate_to(s, NULL, 0, buf, n, cap, true, &end);
    *bad = (s->r->status & ZS_S_MALFORMED) != 0;
    s->r->status |= status;
    *content = buf;
    *len = n;
    if (end)
        *full = n; /* the stream says where the entry ends */
    else if (n < e->usize)
        *sub_cut = clen < csize ? cut : ZS_S_LIMIT;
    *complete = end;
    return true;
}

/* ZipCrypto (APPNOTE 6.1): three keys stirred by each plain byte through the CRC-32 table. */
struct zc_keys {
    uint32_t k0, k1, k2;
};

static void zc_update(struct zc_keys *k, const z_crc_t *t, uint8_t c)
{
    k->k0 = (uint32_t)t[(k->k0 ^ c) & 0xffu] ^ (k->k0 >> 8);
    k->k1 = (k->k1 + (k->k0 & 0xffu)) * 134775813u + 1u;
    k->k2 = (uint32_t)t[(k->k2 ^ (k->k1 >> 24)) & 0xffu] ^ (k->k2 >> 8);
}

static uint8_t zc_decrypt(struct zc_keys *k, const z_crc_t *t, uint8_t c)
{
    uint32_t x = (k->k2 | 2u) & 0xffffu;
    uint8_t p = (uint8_t)(c ^ (uint8_t)((x * (x ^ 1u)) >> 8));
    zc_update(k, t, p);
    return p;
}

/*
 * An encrypted entry tried with the passwords given. On a fit (the check byte agrees, the
 * content inflates, and its CRC-32 agrees when the whole entry is here) returns true with the
 * decrypted content as zip_data gives it and *verified when the CRC was checked. Decryption
 * is charged to the scan's work bound; a password that does not fit leaves no trace.
 */
static bool zip_open(struct scan *s, const uint8_t *d, size_t n, struct zent *e, unsigned cd,
                     uint32_t cut, bool rels, const uint8_t **content, size_t *len,
                     uint64_t *full, uint32_t *sub_cut, bool *verified)
{
    zs_work_t *w = s->w;
    *verified = false;
    if (!w->n_pw || !e->data_known || (e->flags & 0x0040) || e->aes || e->method == 99 ||
        (e->method != 0 && e->method != 8) || cd > w->lim.max_depth || e->csize < 12 ||
        e->data_off >= n || n - e->data_off < 12)
        return false;
    if (!w->dec[cd] && !(w->dec[cd] = malloc(w->lim.max_entry_bytes)))
        return false;
    const uint8_t *src = d + e->data_off;
    size_t avail = n - e->data_off - 12;
    uint64_t csize = e->csize - 12;
    size_t m = (size_t)MM_MIN((uint64_t)avail, MM_MIN(csize, (uint64_t)w->lim.max_entry_bytes));
    if (cut == 0 && m < MM_MIN((uint64_t)avail, csize))
        cut = ZS_S_LIMIT; /* our buffer, not the file, ends the data */
    const z_crc_t *t = get_crc_table();
    uint8_t check_crc = (uint8_t)(e->crc >> 24), check_time = (uint8_t)(e->mtime >> 8);
    for (uint32_t i = 0; i < w->n_pw; i++) {
        uint32_t pi = (w->pw_first + i) % w->n_pw;
        if (s->work_left < 12 + (uint64_t)m) {
            s->r->status |= ZS_S_LIMIT;
            return false;
        }
        s->work_left -= 12 + m;
        struct zc_keys k = {0x12345678u, 0x23456789u, 0x34567890u};
        for (uint32_t j = 0; j < w->pw_len[pi]; j++)
            zc_update(&k, t, w->pw[pi][j]);
        uint8_t last = 0;
        for (int j = 0; j < 12; j++)
            last = zc_decrypt(&k, t, src[j]);
        /* the header's last byte is the CRC's high byte, or the time's with a data descriptor */
        if (!((e->crc_known && last == check_crc) || ((e->flags & 0x0008) && last == check_time)))
            continue;
        uint8_t *dec = w->dec[cd];
        for (size_t j = 0; j < m; j++)
            dec[j] = zc_decrypt(&k, t, src[12 + j]);
        uint64_t budget = s->budget, inflated = s->r->inflated_bytes;
        uint32_t status = s->r->status;
        const uint8_t *c;
        size_t l;
        uint64_t f;
        uint32_t sc;
        bool complete, bad;
        /* inflated whole (as far as max-entry-bytes): the CRC needs every byte */
        if (!zip_data(s, e, dec, m, csize, cd, cut, rels, true, &c, &l, &f, &sc, &complete,
                      &bad))
            return false; /* depth or budget: no password can do better */
        /* (the CRC, not the declared size, says the inflated entry is all there) */
        if (bad || (complete && e->crc_known && (uint32_t)crc32(0, c, (uInt)l) != e->crc)) {
            s->budget = budget; /* not this one: as if never tried */
            s->r->inflated_bytes = inflated;
            s->r->status = status;
            continue;
        }
        *content = c;
        *len = l;
        *full = f;
        *sub_cut = sc;
        *verified = complete && e->crc_known;
        w->pw_first = pi;
        return true;
    }
    return false;
}

/* One ZIP entry: name, encryption, content. Returns the entry's flags. */
static uint32_t zip_entry(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                          const char *path, uint32_t cut, struct zent *e, struct zipctx *zc)
{
    struct zs_result *r = s->r;
    unsigned cd = depth + 1;
    bool enc = (e->flags & 0x0001) || e->method == 99 || e->aes;
    struct zs_name_str *ns = add_name(s, cd, e->name, e->name_len, enc);
    char cp[ZS_PATH_MAX];
    child_path(cp, path, e->name, e->name_len);
    uint32_t own = name_flags(e->name, e->name_len);
    if (name_ends(e, "vbaProject.bin"))
        own |= ZS_F_MACRO;
    /* Excel 4.0 macro sheets of an OOXML workbook (whatever its content types say) */
    if (name_starts(e, "xl/macrosheets/") || name_starts(e, "xl/intlMacrosheets/"))
        own |= ZS_F_MACRO | ZS_F_MACRO_XLM;
    bool rels = name_ends(e, ".rels");
    /* the parts where DDE fields and links live are read whole, as .rels parts are */
    bool word_part = name_starts(e, "word/") && name_ends(e, ".xml");
    bool xl_link = name_starts(e, "xl/externalLinks/") && name_ends(e, ".xml");
    bool whole_part = rels || word_part || xl_link;
    if (name_is(e, "[Content_Types].xml"))
        zc->ooxml = true;
    if (name_is(e, "mimetype"))
        zc->odf = true;
    if (name_is(e, "META-INF/MANIFEST.MF") || name_ends(e, ".class") || name_is(e, "classes.dex"))
        zc->jar = true;
    if (name_starts(e, "Basic/") && name_ends(e, ".xml") && !name_is(e, "Basic/script-lc.xml"))
        zc->basic_macro = true;
    if (!zc->office) {
        if (name_starts(e, "word/"))
            zc->office = "Word";
        else if (name_starts(e, "xl/"))
            zc->office = "Excel";
        else if (name_starts(e, "ppt/"))
            zc->office = "PowerPoint";
    }
    uint32_t flags = own;
    struct sub sb = {ZS_K_UNKNOWN, 0};
    const uint8_t *content = NULL;
    size_t len = 0;
    uint64_t full = 0;
    uint32_t sub_cut = 0;
    if (enc) {
        r->encrypted_entries++;
        if (!r->encryption)
            r->encryption = (e->flags & 0x0040) ? "pkware-strong"
                            : (e->method == 99 || e->aes) ? "aes" : "zipcrypto";
        bool verified = false;
        if (zip_open(s, d, n, e, cd, cut, whole_part, &content, &len, &full, &sub_cut,
                     &verified)) {
            zc->opened = true;
            if (verified) {
                r->opened_entries++;
                if (ns)
                    ns->opened = true;
            }
        }
        /* still hidden unless every byte of it was seen and checked */
        if (!verified)
            flags |= ZS_F_ENCRYPTED;
    } else if (e->data_known && (e->method == 0 || e->method == 8)) {
        size_t avail = e->data_off < n ? n - e->data_off : 0;
        bool complete, bad;
        if (!zip_data(s, e, d + e->data_off, avail, e->csize, cd, cut, whole_part, false,
                      &content, &len, &full, &sub_cut, &complete, &bad))
            content = NULL;
    } else if (e->data_known) {
        r->status |= ZS_S_UNSUPPORTED;
    }
    if (content) {
        if (name_is(e, "[Content_Types].xml") &&
            (find_ci(content, len, "macroenabled") || find_ci(content, len, "vbaproject")))
            zc->ct_macro = true;
        struct ds_rel rel;
        if (rels && ds_rels_find_remote(content, len, &rel)) {
            own |= ZS_F_REMOTE;
            flags |= ZS_F_REMOTE;
            set_remote(r, ds_rel_type_name(rel.type), rel.target);
            note_add(r, cp, "remote %s %s", ds_rel_type_name(rel.type), rel.target);
        }
        struct ds_dde dde;
        if ((word_part && ds_docx_dde(content, len, &dde)) ||
            (xl_link && ds_xlsx_dde(content, len, &dde))) {
            uint32_t f = dde_found(r, cp, &dde);
            own |= f;
            flags |= f;
        }
        if (cd <= s->w->lim.max_depth)
            scan_content(s, content, len, full > len ? full : len, cd, cp, sub_cut, &sb);
        else
            r->status |= ZS_S_LIMIT;
    }
    flags |= sb.flags;
    /* the entry's own encryption is the archive's property; an item is for notable content */
    uint32_t notable = own | sb.flags;
    if (notable || zs_kind_is_executable(sb.kind))
        add_item(s, cp, notable, sb.kind, cd, enc);
    return flags;
}

/* The end of central directory record, or SIZE_MAX. */
static size_t zip_find_eocd(const uint8_t *d, size_t n)
{
    if (n < 22)
        return SIZE_MAX;
    size_t lo = n - 22 > 65535 ? n - 22 - 65535 : 0;
    for (size_t p = n - 22 + 1; p-- > lo;) {
        if (d[p] == 'P' && d[p + 1] == 'K' && d[p + 2] == 5 && d[p + 3] == 6 &&
            p + 22u + le16(d + p + 20) <= n)
            return p;
    }
    return SIZE_MAX;
}

/* Central directory walk. False when the directory is unusable (caller falls back). */
static bool zip_central(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                        const char *path, uint32_t cut, struct zipctx *zc, uint32_t *flags)
{
    size_t eocd = zip_find_eocd(d, n);
    if (eocd == SIZE_MAX)
        return false;
    uint64_t total = le16(d + eocd + 10), cd_size = le32(d + eocd + 12), cd_off = le32(d + eocd + 16);
    size_t cd_end_limit = eocd;
    if ((total == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) && eocd >= 20 &&
        at(d, n, eocd - 20, "PK\6\7", 4)) {
        uint64_t z64 = le64(d + eocd - 20 + 8);
        if (z64 < n && has(n, (size_t)z64, 56) && at(d, n, (size_t)z64, "PK\6\6", 4)) {
            total = le64(d + z64 + 32);
            cd_size = le64(d + z64 + 40);
            cd_off = le64(d + z64 + 48);
            cd_end_limit = (size_t)z64;
        }
    }
    if (cd_size > cd_end_limit)
        return false;
    /* data prepended to the archive (self-extractors) shifts every offset by delta */
    uint64_t cd_start = cd_end_limit - cd_size;
    uint64_t delta = cd_start >= cd_off ? cd_start - cd_off : 0;
    if (!at(d, n, (size_t)cd_start, "PK\1\2", 4) && total != 0)
        return false;
    if (depth == 0)
        s->r->entries_declared = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
    size_t p = (size_t)cd_start, end = (size_t)cd_end_limit;
    uint64_t seen = 0;
    while (p + 46 <= end && at(d, n, p, "PK\1\2", 4)) {
        if (!take_entry(s))
            break;
        struct zent e;
        memset(&e, 0, sizeof e);
        e.flags = le16(d + p + 8);
        e.method = le16(d + p + 10);
        e.mtime = le16(d + p + 12);
        e.crc = le32(d + p + 16);
        e.crc_known = true;
        e.csize = le32(d + p + 20);
        e.usize = le32(d + p + 24);
        size_t nl = le16(d + p + 28), xl = le16(d + p + 30), cl = le16(d + p + 32);
        uint64_t lho = le32(d + p + 42);
        if (!has(end, p + 46, nl + xl)) {
            s->r->status |= ZS_S_MALFORMED;
            break;
        }
        e.name = d + p + 46;
        e.name_len = nl;
        zip_extras(d + p + 46 + nl, xl, &e, e.usize == 0xffffffffu, e.csize == 0xffffffffu, &lho,
                   lho == 0xffffffffu);
        uint64_t lh = lho + delta;
        if (lh < n && has(n, (size_t)lh, 30) && at(d, n, (size_t)lh, "PK\3\4", 4)) {
            e.flags |= le16(d + lh + 6) & 0x0041; /* encryption marked in either header */
            size_t lnl = le16(d + lh + 26), lxl = le16(d + lh + 28);
            uint64_t off = lh + 30 + lnl + lxl;
            if (off <= n) {
                e.data_off = (size_t)off;
                e.data_known = true;
            }
        } else {
            s->r->status |= ZS_S_MALFORMED;
        }
        *flags |= zip_entry(s, d, n, depth, path, cut, &e, zc);
        seen++;
        size_t step = 46 + nl + xl + cl;
        if (step > end - p)
            break;
        p += step;
    }
    if (seen < total && !(s->r->status & ZS_S_LIMIT))
        s->r->status |= ZS_S_MALFORMED;
    return true;
}

/* Offset of the first local or central header in d[from..from+window), or n. */
static size_t next_header(const uint8_t *d, size_t n, size_t from, size_t window)
{
    const uint8_t *q = find_bytes(d + from, window, "PK\3\4", 4);
    const uint8_t *c = find_bytes(d + from, window, "PK\1\2", 4);
    if (c && (!q || c < q))
        q = c;
    return q ? (size_t)(q - d) : n;
}

/* Local headers in order, for a ZIP whose end is not in the bytes. */
static void zip_local(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                      const char *path, uint32_t cut, struct zipctx *zc, uint32_t *flags)
{
    size_t p = 0;
    bool ended = false;
    while (has(n, p, 30) && at(d, n, p, "PK\3\4", 4)) {
        if (!take_entry(s)) {
            ended = true;
            break;
        }
        struct zent e;
        memset(&e, 0, sizeof e);
        e.flags = le16(d + p + 6);
        e.method = le16(d + p + 8);
        e.mtime = le16(d + p + 10);
        e.crc = le32(d + p + 14);
        e.crc_known = !(e.flags & 0x0008); /* else it follows the data */
        e.csize = le32(d + p + 18);
        e.usize = le32(d + p + 22);
        size_t nl = le16(d + p + 26), xl = le16(d + p + 28);
        if (!has(n, p + 30, nl + xl)) {
            /* the header is cut: what it says (encryption, the start of the name) still
             * counts, the data is not here */
            e.name = d + p + 30;
            e.name_len = MM_MIN(nl, n - (p + 30));
            *flags |= zip_entry(s, d, n, depth, path, cut, &e, zc);
            s->r->status |= cut;
            ended = true;
            break;
        }
        e.name = d + p + 30;
        e.name_len = nl;
        zip_extras(d + p + 30 + nl, xl, &e, e.usize == 0xffffffffu, e.csize == 0xffffffffu, NULL,
                   false);
        e.data_off = p + 30 + nl + xl;
        e.data_known = true;
        size_t next;
        bool searched = false;
        if ((e.flags & 0x0008) && e.csize == 0) {
            /* sizes follow the data: the next header marks its end */
            next = next_header(d, n, e.data_off, n - e.data_off);
            searched = true;
            e.csize = next < n ? next - e.data_off : UINT64_MAX; /* UINT64_MAX: past our bytes */
        } else {
            next = e.csize <= n - e.data_off ? e.data_off + (size_t)e.csize : n;
        }
        *flags |= zip_entry(s, d, n, depth, path, cut, &e, zc);
        if (next >= n) {
            s->r->status |= cut;
            ended = true;
            break;
        }
        if ((e.flags & 0x0008) && !searched) /* a data descriptor (12-24 bytes) follows */
            next = next_header(d, n, next, MM_MIN(n - next, (size_t)28));
        if (next <= p)
            break;
        p = next;
    }
    /* the walk must end at the central directory; anything else is damage or a cut */
    if (!ended && !at(d, n, p, "PK\1\2", 4) && !at(d, n, p, "PK\5\6", 4))
        s->r->status |= has(n, p, 4) && !at(d, n, p, "PK\3\4", 4) ? ZS_S_MALFORMED
                        : cut ? cut : ZS_S_MALFORMED;
}

static uint32_t scan_zip(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                         const char *path, uint32_t cut, enum zs_kind *kind)
{
    struct zipctx zc;
    memset(&zc, 0, sizeof zc);
    uint32_t flags = 0;
    if (!zip_central(s, d, n, depth, path, cut, &zc, &flags))
        zip_local(s, d, n, depth, path, cut, &zc, &flags);
    if (zc.ct_macro || zc.basic_macro)
        flags |= ZS_F_MACRO;
    bool macro = flags & ZS_F_MACRO;
    if (zc.ooxml) {
        *kind = ZS_K_OOXML;
        set_desc(s->r, depth, "Microsoft %s 2007+ document%s%s", zc.office ? zc.office : "Office",
                 macro ? " (macro-enabled)" : "",
                 (flags & ZS_F_DDE) ? " with a DDE link that starts a program" : "");
    } else if (zc.odf) {
        *kind = ZS_K_ODF;
        set_desc(s->r, depth, "OpenDocument file%s", macro ? " with Basic macros" : "");
    } else if (zc.jar) {
        *kind = ZS_K_JAR;
        flags |= ZS_F_EXECUTABLE;
        set_desc(s->r, depth, "Java archive (JAR/APK)");
    } else {
        *kind = ZS_K_ZIP;
        set_desc(s->r, depth, "ZIP archive%s",
                 (flags & ZS_F_ENCRYPTED) ? " (encrypted)"
                 : zc.opened              ? " (encrypted, passphrase found)"
                                          : "");
    }
    return flags;
}

/* ---- RAR ------------------------------------------------------------------------------ */

static bool vint(const uint8_t *d, size_t n, size_t *p, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (*p >= n)
            return false;
        uint8_t b = d[(*p)++];
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

static uint32_t rar_name(struct scan *s, unsigned depth, const char *path, const uint8_t *nm,
                         size_t nl, bool enc)
{
    if (!take_entry(s))
        return 0;
    add_name(s, depth + 1, nm, nl, enc);
    uint32_t f = name_flags(nm, nl);
    if (enc) {
        s->r->encrypted_entries++;
        if (!s->r->encryption)
            s->r->encryption = "rar";
    }
    if (f) {
        char cp[ZS_PATH_MAX];
        child_path(cp, path, nm, nl);
        add_item(s, cp, f, ZS_K_UNKNOWN, depth + 1, enc);
    }
    return f | (enc ? ZS_F_ENCRYPTED : 0);
}

static uint32_t scan_rar4(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                          const char *path, uint32_t cut)
{
    uint32_t flags = 0;
    size_t p = 7;
    for (unsigned blocks = 0; blocks < 65536; blocks++) {
        if (!has(n, p, 7)) {
            s->r->status |= cut;
            break;
        }
        uint8_t type = d[p + 2];
        uint16_t fl = le16(d + p + 3);
        uint16_t hs = le16(d + p + 5);
        if (hs < 7) {
            s->r->status |= ZS_S_MALFORMED;
            break;
        }
        uint64_t add = 0;
        if (type == 0x73 && (fl & 0x0080)) {
            flags |= ZS_F_ENCRYPTED | ZS_F_NAMES_HIDDEN;
            s->r->encryption = "rar";
            break; /* everything after the main header is encrypted */
        }
        if (type == 0x74) {
            if (!has(n, p, 32)) {
                s->r->status |= cut;
                break;
            }
            add = le32(d + p + 7);
            size_t name_at = p + 32;
            if (fl & 0x0100) {
                if (!has(n, p, 40)) {
                    s->r->status |= cut;
                    break;
                }
                add |= (uint64_t)le32(d + p + 32) << 32;
                name_at += 8;
            }
            size_t nl = le16(d + p + 26);
            if (!has(n, name_at, nl) || name_at + nl > p + hs) {
                s->r->status |= has(n, name_at, nl) ? ZS_S_MALFORMED : cut;
                break;
            }
            const uint8_t *nm = d + name_at;
            const uint8_t *z = memchr(nm, 0, nl); /* a NUL splits ANSI and Unicode names */
            if (z)
                nl = (size_t)(z - nm);
            if (s->entries_left == 0) {
                s->r->status |= ZS_S_LIMIT;
                break;
            }
            flags |= rar_name(s, depth, path, nm, nl, fl & 0x0004);
        } else if (type == 0x7b) {
            break;
        } else if (fl & 0x8000) {
            if (!has(n, p, 11)) {
                s->r->status |= cut;
                break;
            }
            add = le32(d + p + 7);
        }
        uint64_t next = (uint64_t)p + hs + add;
        if (next <= p || next >= n) {
            if (next > n)
                s->r->status |= cut;
            break;
        }
        p = (size_t)next;
    }
    return flags;
}

static uint32_t scan_rar5(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                          const char *path, uint32_t cut)
{
    uint32_t flags = 0;
    size_t p = 8;
    for (unsigned blocks = 0; blocks < 65536; blocks++) {
        size_t q = p + 4; /* header CRC32 */
        uint64_t hsize, type, hflags, xsize = 0, dsize = 0;
        if (!vint(d, n, &q, &hsize)) {
            s->r->status |= cut;
            break;
        }
        size_t hstart = q;
        if (hsize > n - hstart) {
            s->r->status |= cut;
            break;
        }
        size_t hend = hstart + (size_t)hsize;
        if (!vint(d, hend, &q, &type) || !vint(d, hend, &q, &hflags) ||
            ((hflags & 1) && !vint(d, hend, &q, &xsize)) ||
            ((hflags & 2) && !vint(d, hend, &q, &dsize))) {
            s->r->status |= ZS_S_MALFORMED;
            break;
        }
        if (type == 4) {
            flags |= ZS_F_ENCRYPTED | ZS_F_NAMES_HIDDEN;
            s->r->encryption = "rar";
            break;
        }
        if (type == 2) {
            uint64_t ff, us, attr, ci, os, nl;
            if (!vint(d, hend, &q, &ff) || !vint(d, hend, &q, &us) || !vint(d, hend, &q, &attr)) {
                s->r->status |= ZS_S_MALFORMED;
                break;
            }
            q += (ff & 2) ? 4 : 0;
            q += (ff & 4) ? 4 : 0;
            if (q > hend || !vint(d, hend, &q, &ci) || !vint(d, hend, &q, &os) ||
                !vint(d, hend, &q, &nl) || nl > hend - q) {
                s->r->status |= ZS_S_MALFORMED;
                break;
            }
            const uint8_t *nm = d + q;
            bool enc = false;
            if (xsize && xsize <= hsize) {
                size_t x = hend - (size_t)xsize;
                while (x < hend) {
                    uint64_t rsize, rtype;
                    size_t r0 = x;
                    if (!vint(d, hend, &x, &rsize) || rsize > hend - x)
                        break;
                    size_t rend = x + (size_t)rsize;
                    if (vint(d, rend, &x, &rtype) && rtype == 1)
                        enc = true;
                    x = rend;
                    if (x <= r0)
                        break;
                }
            }
            if (s->entries_left == 0) {
                s->r->status |= ZS_S_LIMIT;
                break;
            }
            flags |= rar_name(s, depth, path, nm, (size_t)nl, enc);
        } else if (type == 5) {
            break;
        }
        if (dsize > n - hend) {
            s->r->status |= cut;
            break;
        }
        size_t next = hend + (size_t)dsize;
        if (next <= p)
            break;
        p = next;
    }
    return flags;
}

/* ---- 7z ------------------------------------------------------------------------------- */

static uint32_t scan_7z(struct scan *s, const uint8_t *d, size_t n, uint32_t cut)
{
    static const uint8_t aes_id[4] = {0x06, 0xf1, 0x07, 0x01};
    if (!has(n, 0, 32)) {
        s->r->status |= cut;
        return 0;
    }
    uint64_t off = le64(d + 12), size = le64(d + 20);
    if (off > n || 32 + off > n || size > n - 32 - off || size == 0) {
        /* the header sits at the end of the archive: beyond the bytes we have, or bogus */
        s->r->status |= cut ? cut : ZS_S_MALFORMED;
        return 0;
    }
    const uint8_t *h = d + 32 + off;
    bool aes = find_bytes(h, (size_t)size, aes_id, 4) != NULL;
    if (!aes)
        return 0;
    s->r->encryption = "7z-aes";
    return h[0] == 0x17 ? ZS_F_ENCRYPTED | ZS_F_NAMES_HIDDEN : ZS_F_ENCRYPTED;
}

/* ---- dispatch ------------------------------------------------------------------------- */

/* ---- RTF ------------------------------------------------------------------------------ */

#define ZS_RTF_OBJECTS 8u  /* embedded objects of one RTF document looked into */
#define ZS_RTF_HEADER 1024u /* bytes decoded of an object past the depth limit (its header) */

struct rtf_ctx {
    struct scan *s;
    unsigned depth;
    const char *path;
    uint32_t cut;
    uint32_t flags;
};

/* The Equation Editor's classes (EQNEDT32.EXE: "Equation.3", older "Equation.2" and the bare
 * "Equation"); not MathType's "Equation.DSMT4", which is another program. */
static bool class_equation_editor(const char *cls)
{
    return !strcasecmp(cls, "Equation") || !strcasecmp(cls, "Equation.2") ||
           !strcasecmp(cls, "Equation.3");
}

/* The ActiveX controls of MSCOMCTL.OCX, Visual Basic 6's Windows Common Controls
 * ("MSComctlLib.ListViewCtrl.2", "MSComctlLib.TreeCtrl.2", "MSComctlLib.TabStrip.2" ...):
 * documents embed them to exploit CVE-2012-0158 and CVE-2012-1856, still sent years after the
 * fix; an honest mail attachment has no use for them. */
bool zs_class_mscomctl(const char *cls)
{
    return !strncasecmp(cls, "MSComctlLib.", 12);
}

/* One embedded object: judged by its class, its content scanned like an archive entry's. */
static void rtf_object(void *u, const struct ds_rtf_obj *o)
{
    struct rtf_ctx *c = u;
    struct scan *s = c->s;
    struct zs_result *r = s->r;
    unsigned cd = c->depth + 1;
    const char *cls = o->cls[0] ? o->cls : "unknown class";
    const char *upd = o->autoupdate ? ", updated automatically on opening" : "";
    char cp[ZS_PATH_MAX];
    child_path(cp, c->path, (const uint8_t *)cls, strlen(cls));
    r->objects++;
    uint32_t f = 0;
    struct sub sb = {ZS_K_UNKNOWN, 0};
    if (class_equation_editor(cls) || zs_class_mscomctl(cls)) {
        f |= ZS_F_EXPLOIT;
        if (!r->exploit_class[0])
            snprintf(r->exploit_class, sizeof r->exploit_class, "%s", cls);
        note_add(r, c->path, "%s object (%s)%s",
                 zs_class_mscomctl(cls) ? "Common Controls ActiveX" : "Equation Editor", cls, upd);
    } else if (!strcasecmp(cls, "OLE2Link")) {
        char url[ZS_PATH_MAX] = "";
        if (o->native)
            ds_ole2link_url(o->native, o->native_len, url, sizeof url);
        f |= ZS_F_REMOTE;
        set_remote(r, "OLE2Link object", url);
        note_add(r, c->path, "OLE2Link object%s%s%s", url[0] ? " to " : "", url, upd);
    } else if (!strcasecmp(cls, "Package") && o->native) {
        char name[ZS_PATH_MAX];
        const uint8_t *data;
        size_t len;
        if (ds_package_file(o->native, o->native_len, name, sizeof name, &data, &len)) {
            char fp[ZS_PATH_MAX];
            child_path(fp, cp, (const uint8_t *)name, strlen(name));
            uint32_t own = name_flags((const uint8_t *)name, strlen(name));
            if (data && len && cd <= s->w->lim.max_depth)
                scan_content(s, data, len, len, cd, fp, c->cut, &sb);
            note_add(r, c->path, "embedded package object: %s", name);
            if (own | sb.flags || zs_kind_is_executable(sb.kind))
                add_item(s, fp, own | sb.flags, sb.kind, cd, false);
            c->flags |= own | sb.flags;
            return;
        }
    }
    if (!(f & (ZS_F_EXPLOIT | ZS_F_REMOTE)) && o->native && o->native_len) {
        /* another document (a Word document or a workbook with macros, an executable) */
        if (cd <= s->w->lim.max_depth)
            scan_content(s, o->native, o->native_len, o->native_declared, cd, cp,
                         o->cut ? c->cut : 0, &sb);
        else
            r->status |= ZS_S_LIMIT;
        note_add(r, c->path, "embedded OLE object %s%s", cls, upd);
    } else if (!f) {
        note_add(r, c->path, "embedded OLE object %s%s", cls, upd);
    }
    f |= sb.flags;
    if (f || zs_kind_is_executable(sb.kind))
        add_item(s, cp, f, sb.kind, cd, false);
    c->flags |= f;
}

static uint32_t scan_rtf(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                         const char *path, uint32_t cut)
{
    struct zs_result *r = s->r;
    struct rtf_ctx c = {.s = s, .depth = depth, .path = path, .cut = cut};
    char tpl[ZS_PATH_MAX];
    if (ds_rtf_remote_template(d, n, tpl, sizeof tpl)) {
        c.flags |= ZS_F_REMOTE;
        set_remote(r, "template", tpl);
        note_add(r, path, "remote template %s", tpl);
    }
    struct ds_dde dde;
    if (ds_rtf_dde(d, n, &dde))
        c.flags |= dde_found(r, path, &dde);
    /* An object's bytes are decoded into the buffer of the next depth, as an archive
     * entry's are inflated; past the depth limit, its header only, to name its class. */
    uint8_t hdr[ZS_RTF_HEADER];
    uint8_t *buf = hdr;
    size_t cap = sizeof hdr;
    if (depth + 1 <= s->w->lim.max_depth) {
        buf = s->w->buf[depth + 1];
        cap = s->w->lim.max_entry_bytes;
    }
    uint32_t before = r->objects;
    size_t seen = ds_rtf_objects(d, n, buf, cap, ZS_RTF_OBJECTS, rtf_object, &c);
    if (seen > ZS_RTF_OBJECTS)
        r->status |= ZS_S_LIMIT;
    uint32_t objs = r->objects - before;
    if (objs)
        set_desc(r, depth, "Rich Text Format document with %s%s",
                 (c.flags & ZS_F_EXPLOIT) ? (zs_class_mscomctl(r->exploit_class)
                                                 ? "a Common Controls ActiveX object"
                                                 : "an Equation Editor object")
                 : objs == 1             ? "an embedded object"
                                         : "embedded objects",
                 (c.flags & ZS_F_REMOTE) ? " and remote content" : "");
    else if (c.flags & ZS_F_REMOTE)
        set_desc(r, depth, "Rich Text Format document with a remote template");
    else if (c.flags & ZS_F_DDE)
        set_desc(r, depth, "Rich Text Format document with a DDE field that starts a program");
    return c.flags;
}

/* First bytes of the signatures zs_worth_scanning admits (identify_binary's executables,
 * archives and containers at offset 0, RTF, and "#@~^"). */
static const bool worth_first[256] = {
    ['M'] = true,  [0x7f] = true, [0xfe] = true, [0xce] = true, [0xcf] = true, [0xca] = true,
    ['P'] = true,  [0xd0] = true, ['R'] = true,  ['7'] = true,  [0x4c] = true, [0xe4] = true,
    ['#'] = true,  ['{'] = true,  ['%'] = true,
};

bool zs_worth_scanning(const uint8_t *d, size_t n)
{
    /* Nearly every body of a web page, script or image is turned away by its first byte;
     * only one long enough to hold a disk image's descriptor (32 KiB in) needs the full look. */
    if (n && !worth_first[d[0]] && !has(n, ZS_ISO_PVD + 1, 5))
        return false;
    switch (identify_binary(d, n)) {
    case ZS_K_PE:
    case ZS_K_MZ:
    case ZS_K_ELF:
    case ZS_K_MACHO:
    case ZS_K_ZIP:
    case ZS_K_OLE:
    case ZS_K_RAR:
    case ZS_K_7Z:
    case ZS_K_LNK:
    case ZS_K_ONENOTE:
    case ZS_K_ISO:
    case ZS_K_UDF:
    case ZS_K_RTF:
        return true;
    case ZS_K_PDF: /* (launch actions, embedded files); only with the header at byte 0 */
        return at(d, n, 0, "%PDF-", 5);
    default:
        return at(d, n, 0, "#@~^", 4);
    }
}


/* Whether a launch target runs something: a program or script by its name, or a command
 * interpreter named anywhere in it ("cmd.exe /c ...", "powershell -e ..."). */
static bool launch_runs(const char *t)
{
    const uint8_t *p = (const uint8_t *)t;
    size_t n = strlen(t);
    if (find_ci(p, n, "cmd") || find_ci(p, n, "powershell") || find_ci(p, n, "mshta") ||
        find_ci(p, n, "wscript") || find_ci(p, n, "cscript") || find_ci(p, n, "rundll32"))
        return true;
    return (name_flags(p, n) & (ZS_F_EXECUTABLE | ZS_F_SCRIPT | ZS_F_CONTAINER)) != 0;
}

/* A PDF: a launch action that runs a program, embedded files by their names, JavaScript run
 * on opening (noted). */
static uint32_t scan_pdf(struct scan *s, const uint8_t *d, size_t n, unsigned depth,
                         const char *path)
{
    struct zs_result *r = s->r;
    struct ds_pdf pdf;
    uint32_t flags = 0;
    /* compressed object streams are inflated into the next depth's buffer, charged to the
     * scan's inflate budget */
    uint8_t *buf = NULL;
    size_t cap = 0;
    if (depth + 1 <= s->w->lim.max_depth && s->budget > 0) {
        buf = s->w->buf[depth + 1];
        cap = (size_t)MM_MIN((uint64_t)s->w->lim.max_entry_bytes, s->budget);
    }
    ds_pdf_scan(d, n, buf, cap, &pdf);
    s->budget -= pdf.objstm_bytes;
    r->inflated_bytes += pdf.objstm_bytes;
    if (pdf.objstm_skipped || (pdf.objstms && pdf.objstm_bytes >= cap))
        r->status |= ZS_S_LIMIT;
    if (pdf.launch) {
        bool runs = launch_runs(pdf.launch_target);
        if (runs) {
            flags |= ZS_F_SCRIPT;
            set_desc(r, depth, "PDF document with a launch action that runs %.48s",
                     pdf.launch_target[0] ? pdf.launch_target : "a program");
        }
        note_add(r, path, "launch action%s%s", pdf.launch_target[0] ? ": " : "",
                 pdf.launch_target);
    }
    if (pdf.javascript && pdf.open_action)
        note_add(r, path, "JavaScript with an open or additional action");
    for (uint32_t i = 0; i < pdf.n_files; i++) {
        const char *nm = pdf.files[i];
        uint32_t own = name_flags((const uint8_t *)nm, strlen(nm));
        char cp[ZS_PATH_MAX];
        child_path(cp, path, (const uint8_t *)nm, strlen(nm));
        note_add(r, path, "embedded file %s", nm);
        if (own)
            add_item(s, cp, own, ZS_K_UNKNOWN, depth + 1, false);
        flags |= own;
    }
    return flags;
}

/* A page or an image in markup (HTML, SVG, or text that holds tags): smuggling, scripts. */
static uint32_t scan_markup(struct scan *s, const uint8_t *d, size_t n, unsigned depth)
{
    if (!memchr(d, '<', MM_MIN(n, (size_t)ZS_TEXT_PROBE)))
        return 0; /* not markup */
    if (markup_smuggles(d, n)) {
        set_desc(s->r, depth, "HTML page that builds a file and downloads it (HTML smuggling)");
        return ZS_F_SMUGGLING;
    }
    if (markup_svg_script(d, n)) {
        set_desc(s->r, depth, "SVG image with a script");
        return ZS_F_SCRIPT;
    }
    return 0;
}

static void scan_content(struct scan *s, const uint8_t *d, size_t n, uint64_t full,
                         unsigned depth, const char *path, uint32_t cut, struct sub *out)
{
    struct zs_result *r = s->r;
    if (depth > r->depth)
        r->depth = depth;
    if (depth > 0) {
        if (n > s->work_left) {
            n = (size_t)s->work_left;
            r->status |= ZS_S_LIMIT;
        }
        s->work_left -= n;
    }
    if (n < full && cut == 0)
        cut = ZS_S_TRUNCATED;
    enum zs_kind k = identify(d, n);
    uint32_t flags = 0;
    set_desc(r, depth, "%s", kind_desc[k]);
    switch (k) {
    case ZS_K_PE:
        flags |= ZS_F_EXECUTABLE;
        describe_pe(s, d, n, depth);
        break;
    case ZS_K_MZ:
    case ZS_K_MACHO:
        flags |= ZS_F_EXECUTABLE;
        break;
    case ZS_K_ELF:
        flags |= ZS_F_EXECUTABLE;
        describe_elf(s, d, n, depth);
        break;
    case ZS_K_ZIP:
        flags |= scan_zip(s, d, n, depth, path, cut, &k);
        break;
    case ZS_K_OLE:
        flags |= scan_ole(s, d, n, depth, path, cut, &k);
        break;
    case ZS_K_RAR:
        flags |= at(d, n, 0, "Rar!\x1a\x07\x01\x00", 8) ? scan_rar5(s, d, n, depth, path, cut)
                                                         : scan_rar4(s, d, n, depth, path, cut);
        if (flags & ZS_F_ENCRYPTED)
            set_desc(r, depth, "RAR archive (encrypted%s)",
                     flags & ZS_F_NAMES_HIDDEN ? " headers" : "");
        break;
    case ZS_K_7Z:
        flags |= scan_7z(s, d, n, cut);
        if (flags & ZS_F_ENCRYPTED)
            set_desc(r, depth, "7-Zip archive (AES-256%s)",
                     flags & ZS_F_NAMES_HIDDEN ? ", encrypted headers" : "");
        break;
    case ZS_K_LNK:
        flags |= ZS_F_CONTAINER;
        describe_lnk(s, d, n, path);
        break;
    case ZS_K_ISO:
        flags |= scan_iso(s, d, n, depth, path, cut);
        break;
    case ZS_K_UDF:
        flags |= ZS_F_CONTAINER;
        break;
    case ZS_K_ONENOTE:
        flags |= scan_onenote(s, d, n, depth, path, cut);
        break;
    case ZS_K_RTF:
        flags |= scan_rtf(s, d, n, depth, path, cut);
        break;
    case ZS_K_PDF:
        flags |= scan_pdf(s, d, n, depth, path);
        break;
    case ZS_K_SHEBANG:
        flags |= ZS_F_SCRIPT;
        break;
    case ZS_K_HTML:
        if (find_ci(d, MM_MIN(n, (size_t)ZS_TEXT_PROBE), "<hta:application")) {
            flags |= ZS_F_SCRIPT;
            set_desc(r, depth, "HTML application (HTA)");
            break;
        }
        flags |= scan_markup(s, d, n, depth);
        break;
    case ZS_K_TEXT: {
        if (at(d, n, 0, "#@~^", 4)) { /* JScript.Encode / VBScript.Encode */
            flags |= ZS_F_SCRIPT;
            set_desc(r, depth, "encoded Windows script (#@~^)");
            break;
        }
        /* a CSV or SYLK file whose cells Excel evaluates as DDE formulas */
        struct ds_dde dde;
        uint32_t f = ds_text_dde(d, n, &dde) ? dde_found(r, path, &dde) : 0;
        if (f) {
            flags |= f;
            set_desc(r, depth, "text spreadsheet (CSV or SYLK) with a DDE formula that starts "
                     "a program");
        }
        flags |= scan_markup(s, d, n, depth);
        break;
    }
    case ZS_K_XML:
        flags |= scan_markup(s, d, n, depth);
        break;
    default:
        break;
    }
    if (n < full)
        r->status |= cut;
    out->kind = k;
    out->flags = flags;
}

void zs_scan(zs_work_t *w, const uint8_t *data, size_t len, uint64_t full_size,
             struct zs_result *out)
{
    memset(out, 0, sizeof *out);
    struct scan s = {
        .w = w,
        .r = out,
        .budget = w->lim.max_total_bytes,
        .work_left = 4 * (uint64_t)w->lim.max_total_bytes + len,
        .entries_left = w->lim.max_entries,
    };
    if (full_size < len)
        full_size = len;
    w->pw_first = 0; /* the order of the tries depends on this file alone */
    struct sub sb;
    scan_content(&s, data, len, full_size, 0, "", 0, &sb);
    out->kind = sb.kind;
    out->flags = sb.flags;
}
