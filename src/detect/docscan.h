/*
 * Active content in documents, for the attachment scanner (zipscan.c): what a document
 * fetches or runs by itself when it is opened, beyond macros.
 *
 *   - OOXML relationships (ECMA-376 Part 2, 9.3): an external relationship of a type Word,
 *     Excel or PowerPoint loads while opening the document (attachedTemplate, oleObject,
 *     frame, subDocument) whose target is on the network: template injection (MITRE ATT&CK
 *     T1221) and the OLE links of CVE-2021-40444 ("mhtml:") and Follina, CVE-2022-30190
 *     ("ms-msdt:").
 *   - RTF (Rich Text Format 1.9.1): the \objdata of embedded objects, hex-encoded OLE 1.0
 *     objects ([MS-OLEDS] 2.2.4 ObjectHeader / 2.2.5 EmbeddedObject) with their class name:
 *     Equation Editor objects (CVE-2017-11882, CVE-2018-0802), OLE2Link objects with a URL
 *     moniker (CVE-2017-0199), Packager objects carrying a file; and a \*\template
 *     destination naming a remote template.
 *   - PDF (ISO 32000-1): launch actions, JavaScript run on opening, the names of embedded
 *     files.
 *   - DDE (docscan_dde.c): Word fields (OOXML, Word 97-2003, RTF), Excel links and CSV/SYLK
 *     formulas that ask Windows to start a program.
 *
 * Pure parsers over the bytes given: they never read outside them, keep no state, and bound
 * their work by the input size. Judging what is found is zipscan.c's job.
 */
#ifndef MM_DETECT_DOCSCAN_H
#define MM_DETECT_DOCSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_TARGET_MAX 160 /* bytes of a target or URL kept (printable, NUL-terminated) */
#define DS_CLASS_MAX 48   /* bytes of an OLE class name kept */

/* Relationship types that are loaded when the document opens. */
enum ds_rel_type {
    DS_REL_TEMPLATE = 1, /* .../relationships/attachedTemplate */
    DS_REL_OLE_OBJECT,   /* .../relationships/oleObject */
    DS_REL_FRAME,        /* .../relationships/frame */
    DS_REL_SUBDOCUMENT,  /* .../relationships/subDocument */
};

/* Words for a relationship type ("template", "OLE object" ...). */
const char *ds_rel_type_name(enum ds_rel_type t);

struct ds_rel {
    enum ds_rel_type type;
    char target[DS_TARGET_MAX]; /* the Target attribute, XML entities decoded, printable */
};

/*
 * The first relationship of a .rels part xml[0..n) that has TargetMode="External", one of
 * the types above and a remote target (ds_target_remote). true and *out filled when found.
 */
bool ds_rels_find_remote(const uint8_t *xml, size_t n, struct ds_rel *out);

/*
 * Whether a link target reaches the network when followed: a URL of http, https, ftp,
 * mhtml or an ms-* / search-ms protocol handler, or a UNC or file:// path to a host given as
 * an IP address, with a WebDAV port ("host@80") or through DavWWWRoot. A local path, and a
 * share on a plain host name (an office file server's templates), are not.
 */
bool ds_target_remote(const char *t);

/* One embedded object of an RTF document. */
struct ds_rtf_obj {
    char cls[DS_CLASS_MAX];   /* OLE class name ("Equation.3", "Package", "OLE2Link") from the
                                 object header, else from \objclass; "" when neither */
    uint32_t format;          /* OLE 1.0 FormatID: 1 linked, 2 embedded; 0 header not read */
    const uint8_t *native;    /* an embedded object's native data, in the caller's buffer */
    size_t native_len;        /* bytes of it decoded (up to the declared size) */
    uint32_t native_declared; /* NativeDataSize of the header */
    bool autoupdate;          /* \objupdate: Word refreshes the object when opening */
    bool cut;                 /* the decoded data ended before the header or native data */
};

typedef void (*ds_rtf_obj_fn)(void *u, const struct ds_rtf_obj *o);

/*
 * Each \objdata destination of the RTF text d[0..n), at most max_objs: its hex digits (with
 * whitespace, nested groups and stray control words skipped, \binN bytes taken as they are)
 * are decoded into buf (at most cap bytes, reused for every object) and the OLE 1.0 header
 * read; on_obj is called with what was found. Returns the number of \objdata seen (also
 * those past max_objs), so a caller can say how many were not looked at.
 */
size_t ds_rtf_objects(const uint8_t *d, size_t n, uint8_t *buf, size_t cap, size_t max_objs,
                      ds_rtf_obj_fn on_obj, void *u);

/*
 * The target of the RTF text's {\*\template ...} destination (\'hh escapes decoded) when it
 * is remote (ds_target_remote): true and the target copied into out[0..cap).
 */
bool ds_rtf_remote_template(const uint8_t *d, size_t n, char *out, size_t cap);

/*
 * A Packager object's native data (the "Package" class; the format is Microsoft's, not
 * published: a 2-byte signature, the label and the source path as NUL-terminated strings,
 * 4 bytes, a 4-byte length and the temporary path, a 4-byte size and the file's bytes). true
 * with the file's name (the label, else the last component of a path; printable) and its
 * bytes as far as given (*data inside native).
 */
bool ds_package_file(const uint8_t *native, size_t n, char *name, size_t cap, const uint8_t **data,
                     size_t *len);

/*
 * The first URL an OLE2Link object's native data (a compound file with a URL moniker) holds,
 * as UTF-16LE "http..." / "file..." text: true and the URL copied (printable, ASCII only).
 */
bool ds_ole2link_url(const uint8_t *native, size_t n, char *out, size_t cap);

/* What a PDF's objects say it does, from the bytes given (streams skipped, except object
 * streams, which are inflated and read like the rest). */
#define DS_PDF_FILES 4
#define DS_PDF_OBJSTMS 8 /* object streams read per file at most */
struct ds_pdf {
    bool javascript;                         /* a /JavaScript or /JS name */
    bool open_action;                        /* an /OpenAction or /AA (additional actions) */
    bool launch;                             /* a /Launch action */
    char launch_target[DS_TARGET_MAX];       /* the string /F (or /Win /F) of the first one */
    char files[DS_PDF_FILES][DS_TARGET_MAX]; /* names of embedded files (file specifications:
                                             /UF or /F strings near /Filespec, /EF or
                                             /EmbeddedFile), first seen first */
    uint32_t n_files;
    uint32_t objstms;     /* compressed object streams inflated and read */
    size_t objstm_bytes;  /* the bytes they inflated to (at most cap, see ds_pdf_scan) */
    bool objstm_skipped;  /* one was not: no buffer, past DS_PDF_OBJSTMS or cap, another
                             filter, predictor parameters, or data that does not inflate */
};

/*
 * Reads the PDF objects of d[0..n) (ISO 32000-1 7.3: names with #hh escapes decoded, literal
 * strings with their escapes, hex strings; comments and stream data skipped) for actions and
 * embedded files. Objects inside compressed object streams (7.5.7: /Type /ObjStm, where PDF
 * 1.5 writers, and droppers hiding their actions, put most objects) are read too when buf is
 * given: each stream whose only filter is /FlateDecode is inflated into buf and read the same
 * way; at most DS_PDF_OBJSTMS of them, inflating to cap bytes all together (a stream past
 * that is read as far as it got).
 */
void ds_pdf_scan(const uint8_t *d, size_t n, uint8_t *buf, size_t cap, struct ds_pdf *out);

/*
 * DDE (Dynamic Data Exchange) links (docscan_dde.c): a field or link that asks Windows to
 * start an application and talk to it. Word's DDE / DDEAUTO fields and Excel's DDE links
 * ("=cmd|'/c ...'!A1") need no macro; in 2017 they ran PowerShell droppers from mail
 * attachments (Microsoft advisory ADV170021), Office asking once whether to update links.
 */
struct ds_dde {
    char app[DS_TARGET_MAX];   /* the application (DDE service): "c:\windows\system32\cmd.exe",
                                  "cmd", "Excel"; field escapes undone, printable */
    char topic[DS_TARGET_MAX]; /* its topic: the command line given to a shell */
    bool autoupdate;           /* DDEAUTO, or the \a switch: updated when the document opens */
    bool runs_program;         /* ds_dde_runs_program */
};

/*
 * Whether a DDE link starts a program to run a command: its application is a command
 * interpreter or a Windows binary that runs code (cmd, powershell, mshta, rundll32, ...),
 * its topic names one or a program or script file (".exe", ".ps1", ...) or a URL, or it is
 * updated automatically and its application is not an Office program (legitimate DDE links
 * point at Excel or at a market-data server and are updated on request).
 */
bool ds_dde_runs_program(const struct ds_dde *x);

/*
 * The DDE fields of a WordprocessingML part (word/document.xml, headers, footers, notes):
 * fields whose code (the w:instr attribute of w:fldSimple, or the text of the w:instrText
 * runs between a w:fldChar "begin" and its "separate" or "end", joined however it was split,
 * nested fields apart) begins with DDE or DDEAUTO. true with the first that runs a program
 * (ds_dde_runs_program), else the first found.
 */
bool ds_docx_dde(const uint8_t *xml, size_t n, struct ds_dde *out);

/* The DDE links of a SpreadsheetML external link part (xl/externalLinks/externalLinkN.xml:
 * <ddeLink ddeService=".." ddeTopic="..">, which Excel writes for a DDE formula): as
 * ds_docx_dde. */
bool ds_xlsx_dde(const uint8_t *xml, size_t n, struct ds_dde *out);

/*
 * The DDE formulas of a text spreadsheet (CSV, TSV, SYLK), which Excel evaluates when it opens
 * the file: a cell whose formula (after =, +, - or @; in SYLK the ;E field of a C record)
 * holds application|topic!item ("=cmd|'/c calc'!A0", "@SUM(1+1)*cmd|' /c calc'!A0") or
 * DDE("application";"topic";...) . Read in the first `DS_TEXT_DDE_BYTES` of the text, lines
 * of any length. As ds_docx_dde; never autoupdate (Excel asks first).
 */
#define DS_TEXT_DDE_BYTES (256u * 1024u)
bool ds_text_dde(const uint8_t *d, size_t n, struct ds_dde *out);

/* The DDE fields of an RTF document ({\field{\*\fldinst DDEAUTO ...}}, the text of the
 * \fldinst destination with control words dropped and escapes decoded): as ds_docx_dde. */
bool ds_rtf_dde(const uint8_t *d, size_t n, struct ds_dde *out);

/*
 * Word 97-2003 binary documents ([MS-DOC]). The text lives in the WordDocument stream, in
 * pieces that the piece table (the Clx, in the table stream "0Table" or "1Table" that the FIB
 * names) maps to 8-bit or UTF-16 runs; field codes are the text between the characters
 * 0x13 (begin) and 0x14 (separator) or 0x15 (end).
 */
struct ds_doc_fib {
    int table;        /* the table stream holding the Clx: 0 "0Table", 1 "1Table" */
    uint32_t fc_clx;  /* the Clx: its offset in that stream */
    uint32_t lcb_clx; /* and its size */
};

/* The FIB at the start of a WordDocument stream wd[0..n): false when it is not a Word 97 or
 * later FIB, when the document is encrypted (fEncrypted: its text is not readable), or when
 * it names no piece table. */
bool ds_doc_fib(const uint8_t *wd, size_t n, struct ds_doc_fib *fib);

/*
 * The DDE fields of a Word 97-2003 document: its text, read through the piece table clx (the
 * Clx bytes of the table stream, ds_doc_fib) from the WordDocument stream wd (as far as the
 * bytes given reach), fields whose code begins with DDE or DDEAUTO: as ds_docx_dde. The
 * characters read are bounded by wd_len and 1 Mi more (pieces may repeat text); *limited is
 * set when the pieces went on beyond that.
 */
bool ds_doc_dde(const uint8_t *wd, size_t wd_len, const uint8_t *clx, size_t clx_len,
                struct ds_dde *out, bool *limited);

#endif
