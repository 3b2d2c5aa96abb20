/*
 * What a file really is: a bounded scanner of the first bytes of a file (an attachment or a
 * download, as kept by app/file.c) for the malicious-attachment detector (dt_attachment.c).
 *
 * It names the type from the content (PE, ELF, Mach-O, ZIP, OOXML, OLE2, 7z, RAR, LNK, ISO
 * 9660/UDF, OneNote, PDF ...) and looks inside containers:
 *   - ZIP (APPNOTE 6.3.10): the central directory when the end of the archive is in the
 *     bytes given, else the local headers in order; the encryption flag (general-purpose bit
 *     0, strong encryption bit 6, WinZip AES method 99) from both; ZipCrypto entries opened
 *     when one of the passwords given (zs_set_passwords) is theirs; stored entries read in
 *     place, deflated ones inflated with zlib into a bounded buffer; nested archives scanned
 *     in turn (depth bounded); OOXML (vbaProject.bin, macroEnabled content types), ODF Basic
 *     macros and Java archives recognised from the entry names;
 *   - OLE2 compound files (MS-CFB): the directory, found through the FAT, for a VBA project
 *     ("VBA", "Macros", "_VBA_PROJECT_CUR" storages, "_VBA_PROJECT" stream) and the document
 *     kind (Word, Excel, PowerPoint, Outlook message, MSI installer);
 *   - RAR 4 and RAR 5: encrypted headers and encrypted files, the file names;
 *   - 7z: the AES-256 coder (06 F1 07 01) in the header, and whether the header itself is
 *     encrypted (names hidden);
 *   - ISO 9660: the names in the root directory; LNK: the target path and arguments;
 *     OneNote: embedded files;
 *   - active content (docscan.h): OOXML external relationships that load a template, frame
 *     or OLE object from the network when the document opens; RTF embedded objects (an
 *     Equation Editor object, an OLE2Link, a Packager file, any other embedded document
 *     scanned in turn) and a remote \*\template;
 *   - markup: HTML smuggling (a page that turns data it carries into a file and downloads
 *     it), SVG images with scripts;
 *   - PDF (docscan.h): launch actions that run a program, embedded files by name, also in
 *     compressed object streams (inflated into the next depth's buffer, charged to the budget).
 * File names (the attachment's and the archive entries') are classified by extension:
 * executable, script, shortcut, disk image, macro-enabled Office, document-looking decoy,
 * with the double-extension, right-to-left-override and space-padding tricks.
 *
 * Work is bounded by struct zs_limits: entries per scan, nesting depth, inflated bytes per
 * entry and per scan. Data cut short (the kept prefix of a larger file, or inflation stopped
 * at a limit) is scanned as far as it goes and reported (ZS_S_TRUNCATED / ZS_S_LIMIT). The
 * scanner never reads outside the bytes it is given; hostile input is data, never an error.
 *
 * Not thread-safe: one zs_work_t per worker.
 */
#ifndef MM_DETECT_ZIPSCAN_H
#define MM_DETECT_ZIPSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Content types the scanner names. */
enum zs_kind {
    ZS_K_UNKNOWN = 0, /* nothing recognised (or not visible: encrypted) */
    ZS_K_EMPTY,
    ZS_K_TEXT,        /* plain text (ASCII/UTF-8) */
    ZS_K_HTML,
    ZS_K_XML,
    ZS_K_SHEBANG,     /* "#!" script text */
    ZS_K_PE,          /* MZ + PE\0\0 */
    ZS_K_MZ,          /* MZ without a PE header in the bytes given */
    ZS_K_ELF,
    ZS_K_MACHO,
    ZS_K_MSI,         /* OLE2 with the Windows Installer class id */
    ZS_K_ZIP,
    ZS_K_OOXML,       /* Office 2007+ (ZIP with [Content_Types].xml) */
    ZS_K_ODF,         /* OpenDocument (ZIP with mimetype) */
    ZS_K_JAR,         /* Java archive / Android package */
    ZS_K_OLE,         /* OLE2 compound file (Office 97-2003, Outlook .msg ...) */
    ZS_K_RAR,
    ZS_K_7Z,
    ZS_K_GZIP,
    ZS_K_BZIP2,
    ZS_K_XZ,
    ZS_K_CAB,
    ZS_K_PDF,
    ZS_K_RTF,
    ZS_K_LNK,
    ZS_K_ISO,         /* ISO 9660 */
    ZS_K_UDF,         /* UDF disk image */
    ZS_K_ONENOTE,
    ZS_K_JPEG,
    ZS_K_PNG,
    ZS_K_GIF,
    ZS_K_BMP,
    ZS_K_COUNT
};

/* Whether an OLE class is one of MSCOMCTL.OCX's ActiveX controls ("MSComctlLib.*", any case):
 * what documents exploiting CVE-2012-0158 and CVE-2012-1856 embed. */
bool zs_class_mscomctl(const char *cls);

/* Short name of a kind ("pe", "zip", "ooxml" ...), for evidence and tests. */
const char *zs_kind_name(enum zs_kind k);
/* Kinds that are machine code or an installer (PE, MZ, ELF, Mach-O, MSI, Java archive). */
bool zs_kind_is_executable(enum zs_kind k);
/* Kinds recognised from a binary signature (not text): what a type-mismatch check trusts. */
bool zs_kind_is_binary(enum zs_kind k);

/* Findings (struct zs_result.flags, struct zs_item.flags). */
enum {
    ZS_F_EXECUTABLE = 1u << 0,  /* machine code / installer by content, or by name inside */
    ZS_F_MACRO = 1u << 1,       /* a VBA project, an Excel 4.0 macro sheet, a macro type */
    ZS_F_ENCRYPTED = 1u << 2,   /* an archive with encrypted content */
    ZS_F_NAMES_HIDDEN = 1u << 3, /* ... whose headers (entry names) are encrypted as well */
    ZS_F_SCRIPT = 1u << 4,      /* a script by name (inside an archive) or "#!" text */
    ZS_F_CONTAINER = 1u << 5,   /* shortcut, disk image or OneNote (by content or name) */
    ZS_F_DISGUISED = 1u << 6,   /* an entry name with a double extension / bidi control */
    ZS_F_MACRO_NAME = 1u << 7,  /* an entry named as a macro-enabled Office file */
    ZS_F_MACRO_XLM = 1u << 8,   /* (with ZS_F_MACRO) an Excel 4.0 macro sheet in a workbook */
    ZS_F_REMOTE = 1u << 9,      /* a document that loads a template, frame or OLE object from
                                   the network when opened (zs_result.remote_*) */
    ZS_F_EXPLOIT = 1u << 10,    /* an embedded object of a kind exploited to run code on
                                   opening: the Equation Editor (zs_result.exploit_class) */
    ZS_F_SMUGGLING = 1u << 11,  /* an HTML page that builds a file from data it carries and
                                   starts its download (HTML smuggling) */
    ZS_F_DDE = 1u << 12,        /* a DDE field or link that starts a program to run a command
                                   (zs_result.dde_*; see ds_dde_runs_program) */
};

/* Scan status (struct zs_result.status). */
enum {
    ZS_S_TRUNCATED = 1u << 0,   /* the data ended before a structure did */
    ZS_S_LIMIT = 1u << 1,       /* a zs_limits bound stopped part of the scan */
    ZS_S_MALFORMED = 1u << 2,   /* a structure contradicted itself */
    ZS_S_UNSUPPORTED = 1u << 3, /* a compression method we do not inflate (entry unseen) */
};

struct zs_limits {
    uint32_t max_depth;     /* archives nested in archives: entries at depth <= this are
                               looked at (the file itself is depth 0); 1..8 */
    uint32_t max_entries;   /* archive entries examined per scan, all levels together */
    size_t max_entry_bytes; /* inflated bytes kept of one entry (>= 4096) */
    size_t max_total_bytes; /* inflated bytes per scan, all entries together */
};
void zs_limits_defaults(struct zs_limits *lim);

#define ZS_MAX_ITEMS 16  /* notable entries kept per scan */
#define ZS_MAX_NAMES 10  /* entry names of the outermost archive kept */
#define ZS_PATH_MAX 160  /* bytes of an entry path kept ("inner.zip!/payload.exe") */
#define ZS_DESC_MAX 96
#define ZS_NOTE_MAX 200

/* A notable entry inside a container. */
struct zs_item {
    char path[ZS_PATH_MAX];  /* entry names from the outermost archive down, joined with
                                "!/"; bytes as in the archive (any encoding), NUL-terminated */
    uint32_t flags;          /* ZS_F_* of this entry */
    uint8_t kind;            /* enum zs_kind of its content; UNKNOWN when not visible */
    uint8_t depth;           /* 1 = an entry of the file itself */
    bool encrypted;          /* its data is encrypted */
};

struct zs_name_str {
    char s[ZS_PATH_MAX]; /* printable copy of the entry name, NUL-terminated */
    bool encrypted;      /* the entry's data is encrypted */
    bool opened;         /* ... and was opened with a password given (zs_set_passwords) */
};

struct zs_result {
    enum zs_kind kind;       /* the file's type */
    char desc[ZS_DESC_MAX];  /* "PE32 executable (GUI) x86", "ZIP archive" ... */
    char note[ZS_NOTE_MAX];  /* extra facts for people (LNK target, OneNote embeds ...) */
    uint32_t flags;          /* ZS_F_* found anywhere */
    uint32_t status;         /* ZS_S_* */
    const char *encryption;  /* "zipcrypto", "aes", "pkware-strong", "rar", "7z-aes"; NULL */
    uint32_t entries;        /* archive entries examined (all levels) */
    uint32_t entries_declared; /* entries the outermost archive says it has (0 unknown) */
    uint32_t encrypted_entries;
    uint32_t opened_entries; /* encrypted entries opened with a password given, their
                                content checked against the entry's CRC-32 */
    uint32_t depth;          /* deepest nesting reached */
    uint64_t inflated_bytes; /* bytes produced by zlib */
    struct zs_item items[ZS_MAX_ITEMS];
    uint32_t n_items;
    uint32_t items_dropped;  /* notable entries beyond ZS_MAX_ITEMS */
    struct zs_name_str names[ZS_MAX_NAMES]; /* first entry names of the outermost archive */
    uint32_t n_names;
    /* Active content, the first found of each (empty strings when none): */
    char remote_kind[24];            /* ZS_F_REMOTE: "template", "OLE object", "frame",
                                        "subdocument", "OLE2Link object" */
    char remote_target[ZS_PATH_MAX]; /* where it is fetched from; "" when not visible */
    char exploit_class[48];          /* ZS_F_EXPLOIT: the object's OLE class ("Equation.3") */
    char dde_app[ZS_PATH_MAX];       /* ZS_F_DDE: the application the link starts ("cmd") */
    char dde_topic[ZS_PATH_MAX];     /* ... and its topic (the command line) */
    bool dde_auto;                   /* ... updated when the document opens (DDEAUTO) */
    uint32_t objects;                /* OLE objects embedded in RTF documents (all levels) */
};

typedef struct zs_work zs_work_t;

/* Scratch for scans under these limits (the inflate buffers, zlib state). NULL when out of
 * memory or when the limits are out of range. */
zs_work_t *zs_work_new(const struct zs_limits *lim);
void zs_work_free(zs_work_t *w);

#define ZS_MAX_PASSWORDS 8
#define ZS_PASSWORD_MAX 64

/*
 * Passwords the next scans try on ZipCrypto entries (PKWARE's traditional encryption, the
 * only kind a password found in a mail can open cheaply): n of them (at most
 * ZS_MAX_PASSWORDS, longer ones are cut to ZS_PASSWORD_MAX bytes), copied; n 0 = none. A
 * password is taken when the entry's check byte agrees and its content then inflates; the
 * entry counts as opened (zs_result.opened_entries) when its CRC-32 agrees too, and its
 * content is scanned like an unencrypted entry's.
 */
void zs_set_passwords(zs_work_t *w, const uint8_t *const *pw, const size_t *len, size_t n);

/*
 * Scan data[0..len), the first len bytes of a file of full_size bytes (full_size < len is
 * taken as len). The result is complete on return; nothing in it points into data.
 */
void zs_scan(zs_work_t *w, const uint8_t *data, size_t len, uint64_t full_size,
             struct zs_result *out);

/*
 * A quick look at the first bytes: true when they start an executable, an archive or
 * container the scanner opens (ZIP, OLE2, RAR, 7z, LNK, OneNote, ISO/UDF), an RTF or PDF
 * document (a PDF only with its header at byte 0) or an encoded script, i.e. when zs_scan
 * can find something. A caller judging a stream of ordinary
 * content (web pages, images) calls this first and scans only what it admits.
 */
bool zs_worth_scanning(const uint8_t *data, size_t len);

/* ---- file names ---------------------------------------------------------------------- */

/* What an extension says. */
enum zs_ext_class {
    ZS_X_NONE = 0,   /* no extension, or one without meaning here */
    ZS_X_EXEC,       /* exe scr com pif cpl dll msi jar ... */
    ZS_X_SCRIPT,     /* js jse vbs vbe wsf wsh hta ps1 bat cmd ... */
    ZS_X_SHORTCUT,   /* lnk url scf */
    ZS_X_DISKIMAGE,  /* iso img vhd vhdx */
    ZS_X_ONENOTE,    /* one onepkg */
    ZS_X_MACRO_DOC,  /* docm xlsm pptm dotm xltm potm ppsm xlam ppam sldm */
    ZS_X_DECOY,      /* what people open without thinking: pdf doc xls jpg txt ... */
    ZS_X_ARCHIVE,    /* zip rar 7z gz cab ... */
};

struct zs_name {
    char ext[16];        /* final extension, lower-case ASCII, "" when none or not ASCII */
    char ext2[16];       /* the one before it ("pdf" of "scan.pdf.exe"), "" when none */
    uint8_t cls, cls2;   /* enum zs_ext_class of ext, ext2 */
    bool bidi;           /* a bidirectional control (U+202A-E, U+2066-9, U+200E/F) in the
                            name: the displayed name is not the real one */
    bool trailing_junk;  /* trailing dots/spaces/invisible characters (Windows drops them) */
    uint32_t pad;        /* longest run of spaces/underscores right before the final
                            extension's dot */
    uint32_t kinds_expected; /* bit per enum zs_kind the final extension allows; 0 = no
                                opinion */
};

/* Classify a file name (UTF-8 or any bytes; a path keeps only its last component). */
void zs_name_parse(const uint8_t *name, size_t len, struct zs_name *out);
/* True when the class is one a mail recipient should not open (exec, script, shortcut,
 * disk image, OneNote). */
bool zs_ext_dangerous(enum zs_ext_class c);
/* Double extension: a document or archive extension right before a dangerous one. */
static inline bool zs_name_double_ext(const struct zs_name *n)
{
    return (n->cls2 == ZS_X_DECOY || n->cls2 == ZS_X_ARCHIVE) &&
           zs_ext_dangerous((enum zs_ext_class)n->cls);
}

#endif
