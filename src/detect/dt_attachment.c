/*
 * T6: malicious attachments and downloads. Emotet and its successors arrive as password-
 * protected ZIPs, macro-enabled Office files, executables and scripts with disguised names;
 * this detector looks at every file the app layer reassembles (APP_REC_FILE: MIME parts of
 * SMTP deliveries and POP3/IMAP retrievals) and at HTTP response bodies (APP_REC_HTTP), and
 * reports the ones a person should not open.
 *
 * For each file: the name is classified (zs_name_parse: extension class, double extension,
 * bidi controls, space padding), the kept first bytes are scanned (zs_scan: real type,
 * archive entries and their encryption, VBA projects, executables inside), and the reasons
 * found decide the signature, most severe first: disguised name, executable, script or
 * container, a document that fetches remote content or carries an exploit object when opened,
 * macro document, encrypted archive, type mismatch. Every reason is listed.
 *
 * One alert per file per flow: the same file (by SHA-256, or by name, size and first bytes
 * when the digest is missing) crossing the same flow again is an update at most every update
 * interval. The same attachment crossing SMTP and then POP3/IMAP is one alert per crossing;
 * the evidence counts the crossings of its SHA-256 ("sightings").
 *
 * Per-packet cost: none (records only). Per file: the scan, bounded by max-entries,
 * max-depth, max-entry-bytes and max-scan-bytes.
 */
#include "detect/archive_pw.h"
#include "detect/dtr_int.h"
#include "detect/zipscan.h"

#include "app/file.h"
#include "app/http.h"
#include "app/mime.h"
#include "app/smtp.h"
#include "core/mm.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AT_NAME_MAX 256u  /* bytes of an HTTP file name built here */
#define AT_CTYPE_MAX 128u
#define AT_DETAIL_MAX 512u /* fixed text (about 200 bytes) plus an entry path (ZS_PATH_MAX) */

struct at_cfg {
    size_t memcap;
    uint32_t max_depth;
    uint32_t max_entries;
    size_t max_entry_bytes;
    size_t max_scan_bytes;
    bool http;
    bool encrypted;
    bool mismatch;
    uint32_t name_padding;
    bool sep_pw;
    bool sep_domain;
    uint64_t sep_window_ns;
    size_t sep_memcap;
};

static const struct dtr_param at_params[] = {
    {"memcap", DTR_P_SIZE, offsetof(struct at_cfg, memcap), "1mb", 65536, 1e12,
     "memory for the one-alert-per-file-per-flow table and the SHA-256 sightings (about "
     "7,000 reported files in 1 MiB)"},
    {"max-depth", DTR_P_U32, offsetof(struct at_cfg, max_depth), "3", 1, 8,
     "archives inside archives looked into (zip in zip in zip); 3 covers the nesting seen "
     "in mail campaigns"},
    {"max-entries", DTR_P_U32, offsetof(struct at_cfg, max_entries), "256", 1, 1000000,
     "archive entries examined per file, all levels together (an Office file has 10-30)"},
    {"max-entry-bytes", DTR_P_SIZE, offsetof(struct at_cfg, max_entry_bytes), "512kb", 4096,
     64.0 * 1024 * 1024,
     "inflated bytes kept of one archive entry (a vbaProject.bin is 10-100 KiB)"},
    {"max-scan-bytes", DTR_P_SIZE, offsetof(struct at_cfg, max_scan_bytes), "4mb", 4096,
     256.0 * 1024 * 1024, "inflated bytes per file, all entries together (zip-bomb bound)"},
    {"http", DTR_P_BOOL, offsetof(struct at_cfg, http), "yes", 0, 0,
     "also check HTTP response bodies (downloads); the first app.http-body-limit bytes"},
    {"encrypted-archives", DTR_P_BOOL, offsetof(struct at_cfg, encrypted), "yes", 0, 0,
     "report encrypted archives (Emotet's password-protected ZIP; also the 'PPAP' habit of "
     "Japanese business mail, so switchable)"},
    {"type-mismatch", DTR_P_BOOL, offsetof(struct at_cfg, mismatch), "yes", 0, 0,
     "report a name whose extension contradicts the content (report.pdf that is a ZIP)"},
    {"name-padding", DTR_P_U32, offsetof(struct at_cfg, name_padding), "3", 1, 64,
     "spaces before a dangerous extension that count as hiding it ('invoice.pdf   .exe')"},
    {"separate-password", DTR_P_BOOL, offsetof(struct at_cfg, sep_pw), "yes", 0, 0,
     "keep an encrypted ZIP that its own message did not open, and try the password a later "
     "message from the same sender gives (the 'PPAP' habit: the password follows in a second "
     "mail)"},
    {"separate-password-same-domain", DTR_P_BOOL, offsetof(struct at_cfg, sep_domain), "yes", 0, 0,
     "also take the password from another address of the sender's domain (a PPAP system's "
     "notice address, a colleague) when both messages name a recipient in common; only the "
     "right password opens an archive, so the wider match can find nothing false"},
    {"separate-password-window", DTR_P_DURATION, offsetof(struct at_cfg, sep_window_ns), "30m", 1,
     86400, "how long a kept archive waits for its password (senders send it within minutes)"},
    {"separate-password-memcap", DTR_P_SIZE, offsetof(struct at_cfg, sep_memcap), "2mb", 65536,
     1e12,
     "memory for the archives kept (each up to app.file-keep-bytes, with its name and mail "
     "header); the oldest is dropped first, counted"},
};

enum at_sig {
    SIG_DISGUISED = 0,
    SIG_EXEC,
    SIG_SCRIPT,
    SIG_MACRO,
    SIG_ENCRYPTED,
    SIG_MISMATCH,
    SIG_ACTIVE, /* added later than the others: sid 6007 ranks before macros (at_main_sig) */
    SIG_COUNT
};

static const struct dtr_sig at_sigs[SIG_COUNT] = {
    [SIG_DISGUISED] = {"double-extension",
                       "MAMORI T6 file with a disguised name (double extension or hidden "
                       "extension)", "trojan-activity", 1},
    [SIG_EXEC] = {"executable", "MAMORI T6 executable file in mail or download",
                  "trojan-activity", 1},
    [SIG_SCRIPT] = {"script", "MAMORI T6 script, shortcut or disk image file in mail or "
                    "download", "trojan-activity", 1},
    [SIG_MACRO] = {"macro-document", "MAMORI T6 Office document with macros",
                   "bad-unknown", 2},
    [SIG_ENCRYPTED] = {"encrypted-archive",
                       "MAMORI T6 encrypted archive (contents cannot be inspected)",
                       "bad-unknown", 2},
    [SIG_MISMATCH] = {"type-mismatch", "MAMORI T6 file whose name contradicts its content",
                      "suspicious-filename-detect", 2},
    [SIG_ACTIVE] = {"document-exploit",
                    "MAMORI T6 document that loads remote content, starts a program or carries an "
                    "exploit object when opened", "trojan-activity", 1},
};

/* Reasons, in the order of the signatures (most severe first). */
enum {
    R_DOUBLE_EXT = 1u << 0,
    R_BIDI = 1u << 1,
    R_PADDING = 1u << 2,
    R_TRAILING = 1u << 3,
    R_EXEC = 1u << 4,
    R_SCRIPT = 1u << 5,
    R_MACRO = 1u << 6,
    R_ENCRYPTED = 1u << 7,
    R_MISMATCH = 1u << 8,
    R_REMOTE = 1u << 9,
    R_EXPLOIT = 1u << 10,
    R_SMUGGLING = 1u << 11,
    R_DDE = 1u << 12,
};
#define R_DISGUISED_ANY (R_DOUBLE_EXT | R_BIDI | R_PADDING | R_TRAILING)

static const struct {
    uint32_t bit;
    const char *name;
} at_reason_names[] = {
    {R_DOUBLE_EXT, "double_extension"}, {R_BIDI, "rtl_override"},
    {R_PADDING, "extension_padding"},   {R_TRAILING, "trailing_characters"},
    {R_EXEC, "executable"},             {R_SCRIPT, "script"},
    {R_SMUGGLING, "html_smuggling"},
    {R_REMOTE, "remote_content"},       {R_DDE, "dde_command"},
    {R_EXPLOIT, "exploit_object"},
    {R_MACRO, "macro"},                 {R_ENCRYPTED, "encrypted_archive"},
    {R_MISMATCH, "type_mismatch"},
};

/* One file per flow: flow id and the file's identity (SHA-256 or a digest of what we saw). */
struct at_file_key {
    uint64_t flow_id;
    uint8_t ident[32];
};

struct at_file_entry {
    struct at_file_key key;
    struct dtr_report rep;
    uint32_t copies;
    uint32_t pad;
};

/* Crossings of one SHA-256 that were reported. */
struct at_sha_entry {
    uint8_t sha[32];
    uint64_t first_ns;
    uint32_t count;
    uint8_t first_proto;
    uint8_t pad[3];
};

#define AT_ADDR_MAX 128u /* bytes of a mail address kept to match a later message */
#define AT_PEND_RCPT 16u /* recipients of a kept archive's message matched (hashes) */

/* Where the file went: from the flow, or from a kept archive (whose flow may be gone). */
struct at_origin {
    const struct flow *flow; /* NULL for a kept archive */
    uint64_t flow_id;
    struct mm_addr src, dst;
    uint16_t sport, dport;
    uint8_t ip_ver, l4;
    bool from_server; /* the server sent it (a download, a retrieved mail) */
};

/*
 * An encrypted ZIP from a mail whose own text did not open it, kept for a password that a
 * later message from the same sender may bring (separate-password). Owned copies of what
 * the alert needs: the file's first bytes, name and type, where it went, and the mail's
 * sender, recipients and header as at_mail writes them (JSON members).
 */
struct at_pending {
    struct at_pending *next; /* list in arrival order: the oldest is dropped first */
    uint64_t ts_ns, expire_ns;
    size_t bytes;                /* charged to separate-password-memcap */
    char sender[AT_ADDR_MAX];    /* addr-spec of the From header, lower case */
    uint64_t rcpt[AT_PEND_RCPT]; /* hashes of the To and Cc addr-specs */
    uint32_t n_rcpt;
    enum app_proto proto;
    uint8_t *head;
    size_t head_len;
    uint8_t name[AT_NAME_MAX];
    size_t name_len;
    char ctype[AT_CTYPE_MAX];
    bool has_ctype;
    uint64_t size;
    bool sha_valid;
    uint8_t sha[32];
    bool truncated;
    uint64_t tx_id;
    struct at_origin o; /* (o.flow NULL: the flow may be gone when the password comes) */
    bool own_done; /* the hook of its own message has run (see at_message) */
    char *mail;    /* at_mail's members, JSON text without the braces */
    size_t mail_len;
};

struct at_state {
    const struct at_cfg *cfg;
    zs_work_t *zw;
    mm_lru_t *files;
    mm_lru_t *hashes;
    struct zs_result res; /* the scan of the file being judged (large: kept off the stack) */
    struct at_pending *pend, *pend_last; /* kept archives, oldest first */
    size_t pend_bytes;
    uint64_t pend_n, pend_dropped; /* kept now; dropped at the memcap before their time */
    struct jb scratch;             /* at_mail's members for a kept archive */
};

/* What the detector needs of a file, whatever record it came from. */
struct at_input {
    enum app_proto proto;
    const uint8_t *name;
    size_t name_len;
    const char *ctype;       /* declared type or NULL */
    uint64_t size;
    const uint8_t *head;
    size_t head_len;
    bool sha_valid;
    uint8_t sha[32];
    bool sha_lazy;           /* sha of head[0..head_len) to compute when the file is reported */
    bool truncated;          /* the file did not arrive whole */
    bool http;               /* from an HTTP response */
    bool http_attachment;    /* Content-Disposition: attachment */
    bool name_from_header;   /* the name was given by the sender, not taken from a URL */
    uint64_t tx_id;
    const struct app_file *file;
    const struct http_tx *tx;
    const struct at_pending *kept;     /* a kept archive opened by a later message's password */
    const struct mime_email *pw_email; /* ... that message */
    enum app_proto pw_proto;
    bool pw_same;       /* ... which was its own (the password came after the attachment) */
    bool pw_domain;     /* ... which came from another address of the sender's domain */
    bool pw_subject_ok; /* ... whose subject holds none of the passwords tried (shown) */
};

/* ---- life cycle ----------------------------------------------------------------------- */

static void *at_init(struct dtr *d, const void *cfgv, char *err, size_t errlen)
{
    const struct at_cfg *cfg = cfgv;
    struct at_state *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    st->cfg = cfg;
    struct zs_limits lim = {
        .max_depth = cfg->max_depth,
        .max_entries = cfg->max_entries,
        .max_entry_bytes = cfg->max_entry_bytes,
        .max_total_bytes = cfg->max_scan_bytes,
    };
    st->zw = zs_work_new(&lim);
    if (!st->zw) {
        snprintf(err, errlen, "out of memory for the archive scanner (%u x %zu bytes)",
                 cfg->max_depth, cfg->max_entry_bytes);
        goto fail;
    }
    /* three quarters for the per-flow table (one entry per reported file), the rest for
     * SHA-256 sightings */
    st->files = dtr_table_new(d, "attachment", cfg->memcap / 4 * 3, sizeof(struct at_file_entry),
                              sizeof(struct at_file_key), NULL);
    st->hashes = dtr_table_new(d, "attachment-sha256", cfg->memcap / 4,
                               sizeof(struct at_sha_entry), 32, NULL);
    if (!st->files || !st->hashes) {
        snprintf(err, errlen, "memcap %zu too small for the attachment tables", cfg->memcap);
        goto fail;
    }
    if (jb_init(&st->scratch, 0, 64u << 10) != 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return st;
fail:
    jb_fini(&st->scratch);
    zs_work_free(st->zw);
    mm_lru_free(st->files);
    mm_lru_free(st->hashes);
    free(st);
    return NULL;
}

static void at_pend_free(struct at_pending *p)
{
    free(p->head);
    free(p->mail);
    free(p);
}

static void at_fini(void *stv)
{
    struct at_state *st = stv;
    if (!st)
        return;
    while (st->pend) {
        struct at_pending *n = st->pend->next;
        at_pend_free(st->pend);
        st->pend = n;
    }
    jb_fini(&st->scratch);
    zs_work_free(st->zw);
    mm_lru_free(st->files);
    mm_lru_free(st->hashes);
    free(st);
}

static void at_stats(const void *stv, struct dtr_det_stats *out)
{
    const struct at_state *st = stv;
    mm_lru_t *t[2] = {st->files, st->hashes};
    dtr_table_stats(out, t, 2);
    out->entries += st->pend_n;
    out->evicted += st->pend_dropped;
    out->memuse += st->pend_bytes;
    if (st->cfg->sep_pw)
        out->memcap += st->cfg->sep_memcap;
}

/* ---- judging a file ------------------------------------------------------------------- */

#define IMG_KINDS ((1u << ZS_K_JPEG) | (1u << ZS_K_PNG) | (1u << ZS_K_GIF) | (1u << ZS_K_BMP))
#define OFFICE_KINDS ((1u << ZS_K_OLE) | (1u << ZS_K_OOXML))

static bool at_office_ext(const char *ext)
{
    static const char *const office[] = {"doc", "dot", "docx", "xls", "xlsx", "xlsb", "ppt",
                                          "pptx", "rtf"};
    for (size_t i = 0; i < MM_ARRAY_LEN(office); i++)
        if (!strcmp(ext, office[i]))
            return true;
    return false;
}

/* Whether the content contradicts the extension. */
static bool at_mismatch(const struct zs_name *nm, enum zs_kind k)
{
    if (!nm->kinds_expected || !zs_kind_is_binary(k))
        return false;
    uint32_t bit = 1u << k;
    if (nm->kinds_expected & bit)
        return false;
    /* images mislabelled among themselves, and Office files saved under the other
     * generation's extension (or password-protected OOXML, which is an OLE file) are
     * everyday accidents, not deception */
    if ((nm->kinds_expected & IMG_KINDS) && (bit & IMG_KINDS))
        return false;
    if ((at_office_ext(nm->ext) || nm->cls == ZS_X_MACRO_DOC) && (bit & OFFICE_KINDS))
        return false;
    return true;
}

static uint32_t at_reasons(const struct at_state *st, const struct at_input *in,
                           const struct zs_name *nm, const struct zs_result *res)
{
    const struct at_cfg *cfg = st->cfg;
    uint32_t r = 0;
    bool dangerous = zs_ext_dangerous((enum zs_ext_class)nm->cls);
    if (zs_name_double_ext(nm) || (res->flags & ZS_F_DISGUISED))
        r |= R_DOUBLE_EXT;
    /* bidi marks also occur in Arabic and Hebrew names: they deceive when the real
     * extension is one that runs code or hides it */
    if (nm->bidi && (dangerous || nm->cls == ZS_X_MACRO_DOC || nm->cls == ZS_X_ARCHIVE))
        r |= R_BIDI;
    if (dangerous && nm->pad >= cfg->name_padding)
        r |= R_PADDING;
    if (dangerous && nm->trailing_junk)
        r |= R_TRAILING;
    if ((res->flags & ZS_F_EXECUTABLE) || nm->cls == ZS_X_EXEC)
        r |= R_EXEC;
    bool script_name = nm->cls == ZS_X_SCRIPT || nm->cls == ZS_X_SHORTCUT ||
                       nm->cls == ZS_X_DISKIMAGE || nm->cls == ZS_X_ONENOTE;
    uint32_t script_content = res->flags & (ZS_F_SCRIPT | ZS_F_CONTAINER);
    if (in->http && !in->http_attachment) {
        /* web pages load JavaScript all day, and install scripts come as text: only an
         * explicit download of a script counts */
        if (!strcmp(nm->ext, "js"))
            script_name = false;
        if (res->kind == ZS_K_SHEBANG)
            script_content &= ~(uint32_t)ZS_F_SCRIPT;
    }
    if (script_name || script_content)
        r |= R_SCRIPT;
    /* (web pages build downloads from blobs too, "export to CSV": an HTTP page gets here
     * only as an explicit download or under a name that matters, see at_http) */
    if (res->flags & ZS_F_SMUGGLING)
        r |= R_SMUGGLING;
    if (res->flags & ZS_F_REMOTE)
        r |= R_REMOTE;
    if (res->flags & ZS_F_EXPLOIT)
        r |= R_EXPLOIT;
    if (res->flags & ZS_F_DDE)
        r |= R_DDE;
    if ((res->flags & ZS_F_MACRO) || nm->cls == ZS_X_MACRO_DOC)
        r |= R_MACRO;
    if (cfg->encrypted && (res->flags & ZS_F_ENCRYPTED))
        r |= R_ENCRYPTED;
    /* a URL's last segment says little about what a server sends back */
    if (cfg->mismatch && (!in->http || in->name_from_header) && at_mismatch(nm, res->kind))
        r |= R_MISMATCH;
    return r;
}

static enum at_sig at_main_sig(uint32_t r)
{
    if (r & R_DISGUISED_ANY)
        return SIG_DISGUISED;
    if (r & R_EXEC)
        return SIG_EXEC;
    if (r & (R_SCRIPT | R_SMUGGLING))
        return SIG_SCRIPT;
    if (r & (R_REMOTE | R_EXPLOIT | R_DDE))
        return SIG_ACTIVE;
    if (r & R_MACRO)
        return SIG_MACRO;
    if (r & R_ENCRYPTED)
        return SIG_ENCRYPTED;
    return SIG_MISMATCH;
}

/* ---- evidence ------------------------------------------------------------------------- */

static void at_hex(char out[65], const uint8_t sha[32])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[sha[i] >> 4];
        out[2 * i + 1] = hx[sha[i] & 15];
    }
    out[64] = 0;
}

static void at_item_reasons(struct jb *jb, uint32_t f)
{
    jb_open_array(jb, "reasons");
    if (f & ZS_F_DISGUISED)
        jb_string(jb, NULL, "double_extension");
    if (f & ZS_F_EXECUTABLE)
        jb_string(jb, NULL, "executable");
    if (f & (ZS_F_SCRIPT | ZS_F_CONTAINER))
        jb_string(jb, NULL, "script");
    if (f & ZS_F_SMUGGLING)
        jb_string(jb, NULL, "html_smuggling");
    if (f & ZS_F_REMOTE)
        jb_string(jb, NULL, "remote_content");
    if (f & ZS_F_DDE)
        jb_string(jb, NULL, "dde_command");
    if (f & ZS_F_EXPLOIT)
        jb_string(jb, NULL, "exploit_object");
    if (f & ZS_F_MACRO)
        jb_string(jb, NULL, "macro");
    if (f & ZS_F_ENCRYPTED)
        jb_string(jb, NULL, "encrypted_archive");
    jb_close_array(jb);
}

/* First inner item carrying one of the flags, or NULL. */
static const struct zs_item *at_item_with(const struct zs_result *res, uint32_t flags)
{
    for (uint32_t i = 0; i < res->n_items; i++)
        if (res->items[i].flags & flags)
            return &res->items[i];
    return NULL;
}

static const char *at_class_words(uint8_t cls)
{
    switch (cls) {
    case ZS_X_EXEC: return "an executable";
    case ZS_X_SCRIPT: return "a Windows script";
    case ZS_X_SHORTCUT: return "a shortcut";
    case ZS_X_DISKIMAGE: return "a disk image";
    case ZS_X_ONENOTE: return "a OneNote section";
    case ZS_X_MACRO_DOC: return "a macro-enabled Office file";
    default: return "a file";
    }
}

/* What a document with ZS_F_REMOTE fetches when opened, and what that is known for. */
static void at_remote_detail(struct jb *jb, const struct zs_result *res)
{
    char t[AT_DETAIL_MAX];
    const char *k = res->remote_kind, *to = res->remote_target;
    if (!strcmp(k, "template"))
        snprintf(t, sizeof t, "when opened, it loads a template from %s: documents fetch macros "
                 "or an exploit this way, past mail filters (template injection)", to);
    else if (!strcmp(k, "OLE2Link object") && !to[0])
        snprintf(t, sizeof t, "it holds an OLE2Link object, which fetches a document from a URL "
                 "when opened (CVE-2017-0199)");
    else if (!strcmp(k, "OLE2Link object") || !strcmp(k, "OLE object"))
        snprintf(t, sizeof t, "when opened, it fetches an OLE object from %s: the technique of "
                 "CVE-2017-0199, CVE-2021-40444 and Follina (CVE-2022-30190)", to);
    else
        snprintf(t, sizeof t, "when opened, it loads a %s from %s", k, to);
    jb_string(jb, NULL, t);
}

static void at_details(struct jb *jb, uint32_t r, const struct at_input *in,
                       const struct zs_name *nm, const struct zs_result *res)
{
    char t[AT_DETAIL_MAX];
    const struct zs_item *it;
    jb_open_array(jb, "details");
    if (r & R_DOUBLE_EXT) {
        if (nm->ext2[0] && (nm->cls2 == ZS_X_DECOY || nm->cls2 == ZS_X_ARCHIVE)) {
            snprintf(t, sizeof t, "the name ends in .%s.%s: it looks like a .%s but is %s",
                     nm->ext2, nm->ext, nm->ext2, at_class_words(nm->cls));
            jb_string(jb, NULL, t);
        }
        if ((it = at_item_with(res, ZS_F_DISGUISED)) != NULL) {
            snprintf(t, sizeof t, "an entry inside has a disguised name: %s", it->path);
            jb_string(jb, NULL, t);
        }
    }
    if (r & R_BIDI)
        jb_string(jb, NULL, "the name contains a right-to-left override (or another bidi "
                            "control): it is displayed differently from what it is");
    if (r & R_PADDING) {
        snprintf(t, sizeof t, "%u spaces before the final .%s push it out of view", nm->pad,
                 nm->ext);
        jb_string(jb, NULL, t);
    }
    if (r & R_TRAILING) {
        snprintf(t, sizeof t, "trailing dots, spaces or invisible characters after .%s "
                 "(Windows drops them)", nm->ext);
        jb_string(jb, NULL, t);
    }
    if (r & R_EXEC) {
        it = at_item_with(res, ZS_F_EXECUTABLE);
        if (zs_kind_is_executable(res->kind))
            snprintf(t, sizeof t, "the content is %s", res->desc);
        else if (it && zs_kind_is_executable((enum zs_kind)it->kind))
            snprintf(t, sizeof t, "it holds an executable (%s): %s",
                     zs_kind_name((enum zs_kind)it->kind), it->path);
        else if (it)
            snprintf(t, sizeof t, "it holds a file named as an executable: %s", it->path);
        else
            snprintf(t, sizeof t, "the name ends in .%s (%s)", nm->ext, at_class_words(nm->cls));
        jb_string(jb, NULL, t);
    }
    if (r & R_SCRIPT) {
        bool own = nm->cls == ZS_X_SCRIPT || nm->cls == ZS_X_SHORTCUT ||
                   nm->cls == ZS_X_DISKIMAGE || nm->cls == ZS_X_ONENOTE;
        it = at_item_with(res, ZS_F_SCRIPT | ZS_F_CONTAINER);
        if (own) {
            snprintf(t, sizeof t, "the name ends in .%s (%s)", nm->ext, at_class_words(nm->cls));
            jb_string(jb, NULL, t);
        } else if (!it) {
            snprintf(t, sizeof t, "the content is %s", res->desc);
            jb_string(jb, NULL, t);
        }
        if (it) {
            if (it->kind)
                snprintf(t, sizeof t, "it holds a %s file: %s",
                         zs_kind_name((enum zs_kind)it->kind), it->path);
            else
                snprintf(t, sizeof t, "it holds a file named as a script or shortcut: %s",
                         it->path);
            jb_string(jb, NULL, t);
        }
    }
    if (r & R_SMUGGLING) {
        it = at_item_with(res, ZS_F_SMUGGLING);
        if (it)
            snprintf(t, sizeof t, "it holds an HTML page that builds a file from data it "
                     "carries and downloads it when opened (HTML smuggling): %s", it->path);
        else
            snprintf(t, sizeof t, "an HTML page that builds a file from data it carries and "
                     "downloads it when opened (HTML smuggling): the file is assembled on the "
                     "PC, past mail and web filters");
        jb_string(jb, NULL, t);
    }
    if (r & R_REMOTE)
        at_remote_detail(jb, res);
    if (r & R_DDE) {
        snprintf(t, sizeof t, "%s a DDE %s that starts %s%s%s: Word and Excel ask once whether "
                 "to update links and then run it, no macro needed (the DDE attacks of 2017, "
                 "Microsoft advisory ADV170021)",
                 res->dde_auto ? "when opened, it updates" : "it holds",
                 res->dde_auto ? "field" : "link", res->dde_app,
                 res->dde_topic[0] ? " with " : "", res->dde_topic);
        jb_string(jb, NULL, t);
    }
    if (r & R_EXPLOIT) {
        if (zs_class_mscomctl(res->exploit_class))
            snprintf(t, sizeof t, "it embeds an ActiveX control of the Windows Common Controls "
                     "(%s, MSCOMCTL.OCX), whose flaws CVE-2012-0158 and CVE-2012-1856 such "
                     "documents exploit to run code as soon as they are opened",
                     res->exploit_class);
        else
            snprintf(t, sizeof t, "it embeds an Equation Editor object (%s): Office's old "
                     "formula editor, whose flaws CVE-2017-11882 and CVE-2018-0802 such "
                     "documents exploit to run code as soon as they are opened",
                     res->exploit_class);
        jb_string(jb, NULL, t);
    }
    if (r & R_MACRO) {
        it = at_item_with(res, ZS_F_MACRO);
        bool xlm = (it ? it->flags : res->flags) & ZS_F_MACRO_XLM;
        const char *what = xlm ? "an Excel 4.0 (XLM) macro sheet" : "a VBA macro project";
        if (it && !(it->flags & ZS_F_MACRO_NAME))
            snprintf(t, sizeof t, "it contains %s: %s", what, it->path);
        else if (it)
            snprintf(t, sizeof t, "it holds a macro-enabled Office file: %s", it->path);
        else if (res->flags & ZS_F_MACRO)
            snprintf(t, sizeof t, "it contains %s (%s)", what, res->desc);
        else
            snprintf(t, sizeof t, "the name ends in .%s (a macro-enabled Office type)", nm->ext);
        jb_string(jb, NULL, t);
    }
    if (res->opened_entries && in->kept && !in->pw_same) {
        snprintf(t, sizeof t,
                 "%u encrypted entr%s opened with the password sent in a later "
                 "message from %s (password_message), the 'PPAP' habit of mailing "
                 "the password separately, which hides the contents from mail filters just as "
                 "well: what is inside was inspected",
                 res->opened_entries, res->opened_entries == 1 ? "y was" : "ies were",
                 in->pw_domain ? "another address of the sender's domain" : "the same sender");
        jb_string(jb, NULL, t);
    } else if (res->opened_entries) {
        snprintf(t, sizeof t, "%u encrypted entr%s opened with the passphrase written in the "
                 "message itself, as Emotet sent its archives (the encryption only hides the "
                 "contents from mail filters): what is inside was inspected",
                 res->opened_entries, res->opened_entries == 1 ? "y was" : "ies were");
        jb_string(jb, NULL, t);
    }
    if (r & R_ENCRYPTED) {
        if (res->flags & ZS_F_NAMES_HIDDEN)
            snprintf(t, sizeof t, "%s: its headers are encrypted, so neither the names nor "
                     "the contents of its files can be inspected", res->desc);
        else if (res->encrypted_entries)
            snprintf(t, sizeof t, "%u of %u entries are encrypted (%s): their contents cannot "
                     "be inspected, so a macro document or executable inside would not be "
                     "seen", res->encrypted_entries, res->entries,
                     res->encryption ? res->encryption : "unknown method");
        else
            snprintf(t, sizeof t, "%s: encrypted, the contents cannot be inspected", res->desc);
        jb_string(jb, NULL, t);
        /* an Office file behind a password is the Emotet pattern: say which entry it is */
        for (uint32_t i = 0; i < res->n_names; i++) {
            if (!res->names[i].encrypted || res->names[i].opened)
                continue;
            struct zs_name en;
            zs_name_parse((const uint8_t *)res->names[i].s, strlen(res->names[i].s), &en);
            if (en.cls == ZS_X_MACRO_DOC || at_office_ext(en.ext)) {
                snprintf(t, sizeof t, "the archive holds an Office document (%s) that cannot be "
                         "checked for macros: password-protected ZIPs with Office documents are "
                         "how Emotet got macros past mail filters", res->names[i].s);
                jb_string(jb, NULL, t);
                break;
            }
        }
    }
    if (r & R_MISMATCH) {
        snprintf(t, sizeof t, "named .%s but the content is %s", nm->ext, res->desc);
        jb_string(jb, NULL, t);
    }
    if (in->truncated || (res->status & ZS_S_TRUNCATED))
        jb_string(jb, NULL, "only the first bytes of the file were available: what lies "
                            "beyond them was not inspected");
    jb_close_array(jb);
}

static bool at_is_archive(const struct zs_result *res)
{
    return res->entries || res->encryption || res->n_names ||
           res->kind == ZS_K_ZIP || res->kind == ZS_K_RAR || res->kind == ZS_K_7Z;
}

static void at_archive(struct jb *jb, const struct zs_result *res)
{
    jb_open_object(jb, "archive");
    jb_string(jb, "format", zs_kind_name(res->kind));
    jb_uint(jb, "entries", res->entries_declared > res->entries ? res->entries_declared
                                                                 : res->entries);
    jb_uint(jb, "entries_examined", res->entries);
    jb_uint(jb, "encrypted_entries", res->encrypted_entries);
    if (res->encrypted_entries)
        jb_uint(jb, "opened_entries", res->opened_entries);
    if (res->encryption)
        jb_string(jb, "encryption", res->encryption);
    bool hidden = res->flags & ZS_F_NAMES_HIDDEN;
    jb_bool(jb, "names_hidden", hidden);
    jb_bool(jb, "contents_visible", !(res->flags & ZS_F_ENCRYPTED));
    jb_open_array(jb, "names");
    for (uint32_t i = 0; i < res->n_names; i++)
        jb_string(jb, NULL, res->names[i].s);
    jb_close_array(jb);
    jb_open_array(jb, "inner");
    for (uint32_t i = 0; i < res->n_items; i++) {
        const struct zs_item *it = &res->items[i];
        jb_open_object(jb, NULL);
        jb_string(jb, "path", it->path);
        jb_string(jb, "type", it->encrypted && !it->kind ? "encrypted" : zs_kind_name(it->kind));
        at_item_reasons(jb, it->flags);
        jb_close_object(jb);
    }
    jb_close_array(jb);
    if (res->items_dropped)
        jb_uint(jb, "inner_not_listed", res->items_dropped);
    jb_close_object(jb);
}

static void at_scan_status(struct jb *jb, const struct zs_result *res)
{
    jb_open_object(jb, "scan");
    jb_open_array(jb, "status");
    if (res->status & ZS_S_TRUNCATED)
        jb_string(jb, NULL, "truncated");
    if (res->status & ZS_S_LIMIT)
        jb_string(jb, NULL, "limit");
    if (res->status & ZS_S_MALFORMED)
        jb_string(jb, NULL, "malformed");
    if (res->status & ZS_S_UNSUPPORTED)
        jb_string(jb, NULL, "unsupported_method");
    jb_close_array(jb);
    jb_uint(jb, "inflated_bytes", res->inflated_bytes);
    jb_close_object(jb);
}

static void at_mail(struct jb *jb, const struct app_file *f)
{
    const struct mime_email *e = f->email;
    const struct smtp_tx *tx = f->smtp;
    /* sender and recipients: the envelope when SMTP carried it, else the header */
    if (tx && tx->mail_from)
        jb_string_bytes(jb, "sender", tx->mail_from, tx->mail_from_len);
    else if (e && e->from)
        jb_string(jb, "sender", e->from);
    jb_open_array(jb, "recipients");
    if (tx && tx->n_rcpt_to) {
        for (uint32_t i = 0; i < tx->n_rcpt_to && i < SMTP_MAX_RCPT; i++)
            jb_string_bytes(jb, NULL, tx->rcpt_to[i], tx->rcpt_to_len[i]);
    } else if (e) {
        for (uint32_t i = 0; i < e->n_to && i < MIME_MAX_ADDRS; i++)
            jb_string(jb, NULL, e->to[i]);
        for (uint32_t i = 0; i < e->n_cc && i < MIME_MAX_ADDRS; i++)
            jb_string(jb, NULL, e->cc[i]);
    }
    jb_close_array(jb);
    if (e && e->subject)
        jb_string(jb, "subject", e->subject);
    if (e) {
        jb_open_object(jb, "email");
        if (e->from)
            jb_string(jb, "from", e->from);
        jb_open_array(jb, "to");
        for (uint32_t i = 0; i < e->n_to && i < MIME_MAX_ADDRS; i++)
            jb_string(jb, NULL, e->to[i]);
        jb_close_array(jb);
        if (e->n_cc) {
            jb_open_array(jb, "cc");
            for (uint32_t i = 0; i < e->n_cc && i < MIME_MAX_ADDRS; i++)
                jb_string(jb, NULL, e->cc[i]);
            jb_close_array(jb);
        }
        if (e->date)
            jb_string(jb, "date", e->date);
        if (e->message_id)
            jb_string(jb, "message_id", e->message_id);
        jb_close_object(jb);
    }
    if (tx) {
        jb_open_object(jb, "envelope");
        if (tx->helo)
            jb_string_bytes(jb, "helo", tx->helo, tx->helo_len);
        if (tx->mail_from)
            jb_string_bytes(jb, "mail_from", tx->mail_from, tx->mail_from_len);
        jb_open_array(jb, "rcpt_to");
        for (uint32_t i = 0; i < tx->n_rcpt_to && i < SMTP_MAX_RCPT; i++)
            jb_string_bytes(jb, NULL, tx->rcpt_to[i], tx->rcpt_to_len[i]);
        jb_close_array(jb);
        jb_close_object(jb);
    }
}

static void at_http_ev(struct jb *jb, const struct http_tx *tx, bool attachment)
{
    jb_open_object(jb, "http");
    if (tx->hostname.p)
        jb_string_bytes(jb, "hostname", tx->hostname.p, tx->hostname.len);
    if (tx->uri.p)
        jb_string_bytes(jb, "url", tx->uri.p, MM_MIN(tx->uri.len, (size_t)512));
    if (tx->user_agent.p)
        jb_string_bytes(jb, "http_user_agent", tx->user_agent.p,
                        MM_MIN(tx->user_agent.len, (size_t)256));
    jb_int(jb, "status", tx->status);
    jb_bool(jb, "content_disposition_attachment", attachment);
    jb_close_object(jb);
}

static const char *at_direction(struct dtr *d, const struct mm_addr *src,
                                const struct mm_addr *dst, int ip_ver)
{
    bool si = dtr_is_internal(d, src, ip_ver), di = dtr_is_internal(d, dst, ip_ver);
    return !si && di ? "inbound" : si && !di ? "outbound" : si ? "internal" : "external";
}

/* The file's identity for the one-alert-per-flow rule. */
static void at_ident(const struct at_input *in, uint8_t out[32])
{
    if (in->sha_valid) {
        memcpy(out, in->sha, 32);
        return;
    }
    memset(out, 0, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int len = 0;
    uint8_t size_le[8];
    for (int i = 0; i < 8; i++)
        size_le[i] = (uint8_t)(in->size >> (8 * i));
    if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
        EVP_DigestUpdate(md, in->name ? (const void *)in->name : "", in->name_len) == 1 &&
        EVP_DigestUpdate(md, size_le, sizeof size_le) == 1 &&
        EVP_DigestUpdate(md, in->head ? (const void *)in->head : "", in->head_len) == 1)
        EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
}

/* The mail evidence of a kept archive (as at_mail wrote it when the archive came), and the
 * message whose password opened it. */
static void at_kept_mail(struct jb *jb, const struct at_input *in)
{
    const struct at_pending *p = in->kept;
    jb_raw_members(jb, p->mail, p->mail_len);
    if (in->pw_same)
        return;
    const struct mime_email *e = in->pw_email;
    jb_open_object(jb, "password_message");
    jb_string(jb, "protocol", app_proto_name(in->pw_proto));
    if (e && e->from)
        jb_string(jb, "from", e->from);
    if (e && e->subject && in->pw_subject_ok)
        jb_string(jb, "subject", e->subject);
    if (e && e->date)
        jb_string(jb, "date", e->date);
    if (e && e->message_id)
        jb_string(jb, "message_id", e->message_id);
    jb_close_object(jb);
    jb_uint(jb, "archive_flow_id", p->o.flow_id);
    dtr_ev_ts(jb, "archive_seen", p->ts_ns);
}

/* The addr-spec of an address ("Name <a@b.example>" -> a@b.example), lower case, in out
 * (cap bytes, NUL-terminated); its length, 0 when there is none or it does not fit. */
static size_t at_addr_spec(const char *s, char *out, size_t cap)
{
    size_t n = strlen(s);
    const char *b = s, *e = s + n;
    const char *lt = memchr(s, '<', n);
    if (lt) {
        const char *gt = memchr(lt, '>', (size_t)(e - lt));
        if (gt) {
            b = lt + 1;
            e = gt;
        }
    }
    while (b < e && (*b == ' ' || *b == '\t' || *b == '"'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '"'))
        e--;
    size_t len = (size_t)(e - b);
    if (!len || len >= cap || !memchr(b, '@', len))
        return 0;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)(b[i] >= 'A' && b[i] <= 'Z' ? b[i] + 32 : b[i]);
    out[len] = 0;
    return len;
}

/* Hashes of the To and Cc addr-specs of e, without repeats, at most cap. */
static uint32_t at_rcpt_hashes(const struct mime_email *e, uint64_t *out, uint32_t cap)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < 2; k++) {
        const char *const *list = k == 0 ? e->to : e->cc;
        uint32_t cnt = k == 0 ? e->n_to : e->n_cc;
        for (uint32_t i = 0; i < cnt && i < MIME_MAX_ADDRS && n < cap; i++) {
            char a[AT_ADDR_MAX];
            size_t len = list[i] ? at_addr_spec(list[i], a, sizeof a) : 0;
            if (!len)
                continue;
            uint64_t h = 0xcbf29ce484222325ull;
            for (size_t j = 0; j < len; j++)
                h = (h ^ (uint8_t)a[j]) * 0x100000001b3ull;
            bool seen = false;
            for (uint32_t j = 0; j < n && !seen; j++)
                seen = out[j] == h;
            if (!seen)
                out[n++] = h;
        }
    }
    return n;
}

/* The domain of a lower-case addr-spec: what follows its last '@'. */
static const char *at_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at ? at + 1 : "";
}

enum at_pw_match { AT_PW_NONE = 0, AT_PW_SENDER, AT_PW_DOMAIN };

/* Whether a message from sender to rcpt[0..n) can carry p's password: from the same sender
 * and, when both messages name recipients, to one of them in common; or, when domain_ok, from
 * another address of the same domain to a recipient in common (both must name one). */
static enum at_pw_match at_pend_matches(const struct at_pending *p, const char *sender,
                                        const uint64_t *rcpt, uint32_t n, bool domain_ok)
{
    bool same = strcmp(p->sender, sender) == 0;
    const char *dom = at_domain(sender);
    if (!same && (!domain_ok || !*dom || strcmp(at_domain(p->sender), dom) != 0))
        return AT_PW_NONE;
    if (same && (!p->n_rcpt || !n))
        return AT_PW_SENDER;
    for (uint32_t i = 0; i < p->n_rcpt; i++)
        for (uint32_t j = 0; j < n; j++)
            if (p->rcpt[i] == rcpt[j])
                return same ? AT_PW_SENDER : AT_PW_DOMAIN;
    return AT_PW_NONE;
}

/* Take p (whose predecessor in the list is prev, NULL for the first) out of the list. */
static void at_pend_unlink(struct at_state *st, struct at_pending *p, struct at_pending *prev)
{
    if (prev)
        prev->next = p->next;
    else
        st->pend = p->next;
    if (st->pend_last == p)
        st->pend_last = prev;
    st->pend_bytes -= p->bytes;
    st->pend_n--;
    at_pend_free(p);
}

/* Archives whose window has passed are dropped (the list is in arrival order, and every one
 * waits the same window). */
static void at_pend_expire(struct at_state *st, uint64_t now_ns)
{
    while (st->pend && now_ns > st->pend->expire_ns)
        at_pend_unlink(st, st->pend, NULL);
}

/* The rest of at_judge, for a file that goes as o says. */
static void at_judge_at(struct at_state *st, struct dtr *d, const struct at_origin *o,
                        uint64_t ts_ns, struct at_input *in)
{
    struct zs_name nm;
    zs_name_parse(in->name, in->name_len, &nm);
    struct zs_result *res = &st->res;
    zs_scan(st->zw, in->head, in->head_len, in->size, res);
    uint32_t r = at_reasons(st, in, &nm, res);
    if (in->kept)
        r = res->opened_entries && (r & ~(uint32_t)R_ENCRYPTED) ? r : 0; /* only what was inside */
    if (!r)
        return;
    if (in->sha_lazy) {
        unsigned int len = 0;
        in->sha_valid = EVP_Digest(in->head, in->head_len, in->sha, &len, EVP_sha256(), NULL) == 1 &&
                        len == 32;
    }

    /* one alert per file per flow; repeats become updates at most every update interval */
    struct at_file_key key;
    memset(&key, 0, sizeof key);
    key.flow_id = o->flow_id;
    at_ident(in, key.ident);
    /* (an archive opened later is reported once: it is dropped when opened) */
    struct at_file_entry *fe = in->kept ? NULL : mm_lru_lookup(st->files, &key);
    if (!fe && !in->kept)
        fe = mm_lru_insert(st->files, &key, ts_ns);
    enum dtr_due due = DTR_DUE_FIRST;
    uint32_t copies = 1;
    uint64_t first_ns = ts_ns;
    if (fe) {
        mm_lru_touch(st->files, fe);
        if (fe->copies < UINT32_MAX)
            fe->copies++;
        copies = fe->copies;
        due = dtr_report_due(d, &fe->rep, ts_ns);
        first_ns = fe->rep.first_ns;
    }
    if (due == DTR_DUE_NO)
        return;

    struct at_sha_entry *se = NULL;
    if (in->sha_valid) {
        se = mm_lru_lookup(st->hashes, in->sha);
        if (!se) {
            se = mm_lru_insert(st->hashes, in->sha, ts_ns);
            if (se) {
                se->first_ns = ts_ns;
                se->first_proto = (uint8_t)in->proto;
            }
        }
        if (se) {
            mm_lru_touch(st->hashes, se);
            /* (an archive opened later is the crossing already counted) */
            if (due == DTR_DUE_FIRST && !in->kept && se->count < UINT32_MAX)
                se->count++;
        }
    }

    /* the file goes from its sender to its receiver */
    struct dtr_alert_args a;
    memset(&a, 0, sizeof a);
    a.sig = at_main_sig(r);
    a.flow = o->flow;
    a.ts_ns = ts_ns;
    a.ip_ver = o->ip_ver;
    a.proto = o->l4;
    a.app_proto = (int)in->proto;
    a.update = due == DTR_DUE_UPDATE;
    a.src = o->src;
    a.dst = o->dst;
    a.sport = o->sport;
    a.dport = o->dport;
    bool from_server = o->from_server;
    if (in->file) {
        a.rec_kind = APP_REC_FILE;
        a.rec = in->file;
    } else if (in->tx) {
        a.rec_kind = APP_REC_HTTP;
        a.rec = in->tx;
    }

    struct jb *jb = dtr_alert_begin(d);
    jb_string(jb, "protocol", app_proto_name(in->proto));
    jb_string(jb, "direction", at_direction(d, &a.src, &a.dst, a.ip_ver));
    jb_string(jb, "transfer", from_server ? "server_to_client" : "client_to_server");
    jb_open_object(jb, "file");
    if (in->name_len)
        jb_string_bytes(jb, "name", in->name, in->name_len);
    else
        jb_null(jb, "name");
    jb_string(jb, "declared_type", in->ctype);
    jb_string(jb, "detected_type", res->desc);
    jb_string(jb, "kind", zs_kind_name(res->kind));
    jb_string(jb, "extension", nm.ext);
    jb_uint(jb, "size", in->size);
    if (in->sha_valid) {
        char hex[65];
        at_hex(hex, in->sha);
        jb_string(jb, "sha256", hex);
    } else {
        jb_null(jb, "sha256");
    }
    jb_uint(jb, "inspected_bytes", in->head_len);
    jb_bool(jb, "truncated", in->truncated || in->head_len < in->size ||
                                 (res->status & ZS_S_TRUNCATED));
    jb_uint(jb, "tx_id", in->tx_id);
    jb_close_object(jb);
    jb_open_array(jb, "reasons");
    for (size_t i = 0; i < MM_ARRAY_LEN(at_reason_names); i++)
        if (r & at_reason_names[i].bit)
            jb_string(jb, NULL, at_reason_names[i].name);
    jb_close_array(jb);
    at_details(jb, r, in, &nm, res);
    if (res->note[0])
        jb_string(jb, "note", res->note);
    if (res->remote_kind[0]) {
        jb_open_object(jb, "remote");
        jb_string(jb, "type", res->remote_kind);
        if (res->remote_target[0])
            jb_string(jb, "target", res->remote_target);
        else
            jb_null(jb, "target");
        jb_close_object(jb);
    }
    if (res->exploit_class[0])
        jb_string(jb, "exploit_object", res->exploit_class);
    if (res->dde_app[0]) {
        jb_open_object(jb, "dde");
        jb_string(jb, "application", res->dde_app);
        jb_string(jb, "topic", res->dde_topic);
        jb_bool(jb, "auto_update", res->dde_auto);
        jb_close_object(jb);
    }
    if (at_is_archive(res))
        at_archive(jb, res);
    if (res->status)
        at_scan_status(jb, res);
    if (in->file)
        at_mail(jb, in->file);
    else if (in->kept)
        at_kept_mail(jb, in);
    if (in->tx)
        at_http_ev(jb, in->tx, in->http_attachment);
    if (se) {
        jb_open_object(jb, "sightings");
        jb_uint(jb, "count", se->count);
        dtr_ev_ts(jb, "first_seen", se->first_ns);
        jb_string(jb, "first_protocol", app_proto_name((enum app_proto)se->first_proto));
        jb_close_object(jb);
    }
    if (a.update) {
        jb_uint(jb, "copies_on_flow", copies);
        dtr_ev_ts(jb, "first_reported", first_ns);
    }
    dtr_alert_emit(d, &a);
}

/* Where a file seen on flow f went: from the server when from_server, else to it. */
static struct at_origin at_origin_of(const struct flow *f, bool from_server)
{
    struct at_origin o;
    memset(&o, 0, sizeof o);
    o.flow = f;
    o.flow_id = f->flow_id;
    o.ip_ver = f->key.ip_ver;
    o.l4 = f->key.proto;
    memcpy(o.src.b, from_server ? flow_server_addr(f) : flow_client_addr(f), 16);
    memcpy(o.dst.b, from_server ? flow_client_addr(f) : flow_server_addr(f), 16);
    o.sport = from_server ? flow_server_port(f) : flow_client_port(f);
    o.dport = from_server ? flow_client_port(f) : flow_server_port(f);
    o.from_server = from_server;
    return o;
}

/* Judge a file seen on flow f (dir: the direction that carried it; HTTP: the response). */
static void at_judge(struct at_state *st, struct dtr *d, const struct flow *f, int dir,
                     uint64_t ts_ns, struct at_input *in)
{
    struct at_origin o = at_origin_of(f, in->http || dir == FLOW_TOCLIENT);
    at_judge_at(st, d, &o, ts_ns, in);
}

/* ---- archives whose password comes in a later message ----------------------------------- */

/* Keep the encrypted ZIP of in (a mail attachment on flow f, st->res its scan) for a later
 * message's password: only ZipCrypto entries can be opened, and only when none was. */
static void at_pend_keep(struct at_state *st, const struct flow *f, int dir, uint64_t ts_ns,
                         const struct at_input *in, const struct app_file *af)
{
    const struct zs_result *res = &st->res;
    const struct mime_email *e = af->email;
    if (!e || !e->from || !in->head_len || res->kind != ZS_K_ZIP || !res->encryption ||
        strcmp(res->encryption, "zipcrypto") != 0 || res->opened_entries ||
        res->encrypted_entries == 0)
        return;
    struct at_pending *p = calloc(1, sizeof *p);
    if (!p)
        return;
    if (!at_addr_spec(e->from, p->sender, sizeof p->sender)) {
        free(p);
        return;
    }
    jb_reset(&st->scratch);
    jb_open_object(&st->scratch, NULL);
    at_mail(&st->scratch, af);
    jb_close_object(&st->scratch);
    size_t mail_len = jb_complete(&st->scratch) ? jb_len(&st->scratch) - 2 : 0;
    p->bytes = sizeof *p + in->head_len + mail_len;
    if (p->bytes > st->cfg->sep_memcap) {
        st->pend_dropped++;
        free(p);
        return;
    }
    p->head = malloc(in->head_len);
    p->mail = mail_len ? malloc(mail_len) : NULL;
    if (!p->head || (mail_len && !p->mail)) {
        at_pend_free(p);
        return;
    }
    while (st->pend && st->pend_bytes + p->bytes > st->cfg->sep_memcap) {
        at_pend_unlink(st, st->pend, NULL);
        st->pend_dropped++;
    }
    memcpy(p->head, in->head, in->head_len);
    p->head_len = in->head_len;
    if (mail_len)
        memcpy(p->mail, jb_ptr(&st->scratch) + 1, mail_len);
    p->mail_len = mail_len;
    p->n_rcpt = at_rcpt_hashes(e, p->rcpt, AT_PEND_RCPT);
    p->ts_ns = ts_ns;
    p->expire_ns = mm_sat_add(ts_ns, st->cfg->sep_window_ns);
    p->proto = in->proto;
    p->name_len = MM_MIN(in->name_len, sizeof p->name);
    if (p->name_len)
        memcpy(p->name, in->name, p->name_len);
    if (in->ctype) {
        snprintf(p->ctype, sizeof p->ctype, "%s", in->ctype);
        p->has_ctype = true;
    }
    p->size = in->size;
    p->sha_valid = in->sha_valid;
    memcpy(p->sha, in->sha, 32);
    p->truncated = in->truncated;
    p->tx_id = in->tx_id;
    p->o = at_origin_of(f, dir == FLOW_TOCLIENT);
    p->o.flow = NULL;
    if (st->pend_last)
        st->pend_last->next = p;
    else
        st->pend = p;
    st->pend_last = p;
    st->pend_bytes += p->bytes;
    st->pend_n++;
}

/* Open kept archive p with the passwords set in the scanner (from message e) and report
 * what was inside; true when it was opened (it is then dropped by the caller). */
static bool at_pend_try(struct at_state *st, struct dtr *d, const struct at_pending *p,
                        uint64_t ts_ns, enum app_proto proto, const struct mime_email *e, bool same,
                        bool domain, bool subject_ok)
{
    struct at_input in;
    memset(&in, 0, sizeof in);
    in.proto = p->proto;
    in.name = p->name;
    in.name_len = p->name_len;
    in.ctype = p->has_ctype ? p->ctype : NULL;
    in.size = p->size;
    in.head = p->head;
    in.head_len = p->head_len;
    in.sha_valid = p->sha_valid;
    memcpy(in.sha, p->sha, 32);
    in.truncated = p->truncated;
    in.name_from_header = true;
    in.tx_id = p->tx_id;
    in.kept = p;
    in.pw_email = e;
    in.pw_proto = proto;
    in.pw_same = same;
    in.pw_domain = domain;
    in.pw_subject_ok = subject_ok;
    at_judge_at(st, d, &p->o, ts_ns, &in);
    return st->res.opened_entries > 0;
}

/*
 * A mail message has ended. When archives are kept, one from the same sender (and, when both
 * name recipients, to one of the same), or from another address of its domain to a recipient
 * in common (separate-password-same-domain), may now be opened with a password in its text. The
 * message that carried an archive ends after its files, so its own hook comes first: a
 * password written after the attachment opens the archive then, as a password of that
 * message (pw_same).
 */
static void at_message(void *stv, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                       enum app_proto proto, const struct mime_email *e)
{
    (void)dir;
    struct at_state *st = stv;
    if (!st->pend)
        return;
    at_pend_expire(st, ts_ns);
    char sender[AT_ADDR_MAX];
    if (!st->pend || !e || !e->from || !at_addr_spec(e->from, sender, sizeof sender))
        return;
    uint64_t rcpt[AT_PEND_RCPT];
    uint32_t n_rcpt = at_rcpt_hashes(e, rcpt, AT_PEND_RCPT);
    bool any = false;
    bool dom = st->cfg->sep_domain;
    for (const struct at_pending *p = st->pend; p && !any; p = p->next)
        any = at_pend_matches(p, sender, rcpt, n_rcpt, dom) != AT_PW_NONE;
    size_t n_pw = 0;
    struct apw pw[APW_MAX];
    if (any && e->text_len)
        n_pw = apw_find(e->text, e->text_len, pw, APW_MAX);
    const uint8_t *pp[APW_MAX];
    size_t pl[APW_MAX];
    for (size_t i = 0; i < n_pw; i++) {
        pp[i] = pw[i].s;
        pl[i] = pw[i].len;
    }
    if (n_pw)
        zs_set_passwords(st->zw, pp, pl, n_pw);
    /* The subject is shown unless it holds one of the passwords (never written anywhere). */
    bool subject_ok = true;
    for (size_t i = 0; i < n_pw && e->subject && subject_ok; i++)
        subject_ok = !memmem(e->subject, strlen(e->subject), pw[i].s, pw[i].len);
    struct at_pending *prev = NULL, *p = st->pend;
    while (p) {
        struct at_pending *next = p->next;
        bool same = !p->own_done && f && f->flow_id == p->o.flow_id;
        if (same)
            p->own_done = true;
        enum at_pw_match m = n_pw ? at_pend_matches(p, sender, rcpt, n_rcpt, dom) : AT_PW_NONE;
        if (m != AT_PW_NONE &&
            at_pend_try(st, d, p, ts_ns, proto, e, same, m == AT_PW_DOMAIN, subject_ok)) {
            at_pend_unlink(st, p, prev);
        } else {
            prev = p;
        }
        p = next;
    }
    if (n_pw)
        zs_set_passwords(st->zw, NULL, NULL, 0);
    explicit_bzero(pw, sizeof pw);
}

static void at_tick(void *stv, struct dtr *d, uint64_t now_ns)
{
    (void)d;
    at_pend_expire(stv, now_ns);
}

/* ---- inputs --------------------------------------------------------------------------- */

static void at_file(struct at_state *st, struct dtr *d, const struct flow *f, int dir,
                    uint64_t ts_ns, const struct app_file *af)
{
    struct at_input in;
    memset(&in, 0, sizeof in);
    in.proto = af->proto;
    in.name = af->name;
    in.name_len = af->name ? af->name_len : 0;
    in.ctype = af->content_type;
    in.size = af->size;
    in.head = af->head;
    in.head_len = af->head ? af->head_len : 0;
    in.sha_valid = af->sha256_valid;
    if (in.sha_valid)
        memcpy(in.sha, af->sha256, 32);
    in.truncated = af->state == APP_FILE_TRUNCATED || af->gaps;
    in.name_from_header = true;
    in.tx_id = af->tx_id;
    in.file = af;
    /* An encrypted ZIP and its password in the same message: the scanner tries the
     * passwords the text gives on the archive's ZipCrypto entries. */
    size_t n_pw = 0;
    if (af->email && af->email->text_len) {
        struct apw pw[APW_MAX];
        n_pw = apw_find(af->email->text, af->email->text_len, pw, APW_MAX);
        const uint8_t *p[APW_MAX];
        size_t l[APW_MAX];
        for (size_t i = 0; i < n_pw; i++) {
            p[i] = pw[i].s;
            l[i] = pw[i].len;
        }
        zs_set_passwords(st->zw, p, l, n_pw);
    }
    at_judge(st, d, f, dir, ts_ns, &in);
    if (n_pw)
        zs_set_passwords(st->zw, NULL, NULL, 0);
    if (st->cfg->sep_pw && af->email)
        at_pend_keep(st, f, dir, ts_ns, &in, af);
}

static bool at_ieq(const uint8_t *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    if (n != k)
        return false;
    for (size_t i = 0; i < k; i++) {
        uint8_t c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c + 32);
        if (c != (uint8_t)lit[i])
            return false;
    }
    return true;
}

static const struct http_str *at_resp_header(const struct http_tx *tx, const char *name)
{
    for (size_t i = 0; i < tx->n_resp_headers; i++)
        if (tx->resp_headers[i].name.p &&
            at_ieq(tx->resp_headers[i].name.p, tx->resp_headers[i].name.len, name))
            return &tx->resp_headers[i].value;
    return NULL;
}

static int at_hexval(uint8_t c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Percent-decode p[0..n) into out (cap bytes); returns the length. */
static size_t at_pct_decode(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap; i++) {
        if (p[i] == '%' && i + 2 < n && at_hexval(p[i + 1]) >= 0 &&
            at_hexval(p[i + 2]) >= 0) {
            out[k++] = (uint8_t)(at_hexval(p[i + 1]) << 4 | at_hexval(p[i + 2]));
            i += 2;
        } else {
            out[k++] = p[i];
        }
    }
    return k;
}

/*
 * Content-Disposition (RFC 6266): the type and the file name, preferring filename* (RFC 8187,
 * charset'language'percent-encoded) over filename (token or quoted string).
 */
static size_t at_disposition(const struct http_str *v, bool *attachment, uint8_t *out,
                             size_t cap)
{
    const uint8_t *p = v->p;
    size_t n = v->len, i = 0, len = 0;
    bool have_star = false;
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    size_t t0 = i;
    while (i < n && p[i] != ';' && p[i] != ' ')
        i++;
    *attachment = at_ieq(p + t0, i - t0, "attachment");
    while (i < n) {
        while (i < n && (p[i] == ';' || p[i] == ' ' || p[i] == '\t'))
            i++;
        size_t k0 = i;
        while (i < n && p[i] != '=' && p[i] != ';')
            i++;
        size_t k1 = i;
        while (k1 > k0 && (p[k1 - 1] == ' ' || p[k1 - 1] == '\t'))
            k1--;
        if (i >= n || p[i] != '=')
            continue;
        i++;
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        uint8_t val[AT_NAME_MAX];
        size_t vl = 0;
        if (i < n && p[i] == '"') {
            for (i++; i < n && p[i] != '"'; i++) {
                if (p[i] == '\\' && i + 1 < n)
                    i++;
                if (vl < sizeof val)
                    val[vl++] = p[i];
            }
            if (i < n)
                i++;
        } else {
            size_t v0 = i;
            while (i < n && p[i] != ';')
                i++;
            size_t v1 = i;
            while (v1 > v0 && (p[v1 - 1] == ' ' || p[v1 - 1] == '\t'))
                v1--;
            vl = MM_MIN(v1 - v0, sizeof val);
            memcpy(val, p + v0, vl);
        }
        if (at_ieq(p + k0, k1 - k0, "filename*")) {
            /* charset'lang'value: the value starts after the second quote */
            size_t q = 0, quotes = 0;
            while (q < vl && quotes < 2)
                if (val[q++] == '\'')
                    quotes++;
            if (quotes == 2) {
                len = at_pct_decode(val + q, vl - q, out, cap);
                have_star = true;
            }
        } else if (at_ieq(p + k0, k1 - k0, "filename") && !have_star) {
            len = MM_MIN(vl, cap);
            memcpy(out, val, len);
        }
    }
    return len;
}

/* The last path segment of the request URI, percent-decoded. */
static size_t at_uri_name(const struct http_tx *tx, uint8_t *out, size_t cap)
{
    if (!tx->uri.p)
        return 0;
    const uint8_t *u = tx->uri.p;
    size_t n = tx->uri.len;
    for (size_t i = 0; i < n; i++)
        if (u[i] == '?' || u[i] == '#') {
            n = i;
            break;
        }
    size_t s = n;
    while (s > 0 && u[s - 1] != '/')
        s--;
    return at_pct_decode(u + s, n - s, out, cap);
}

/* A name whose last component is plain ASCII without a dot: it has no extension and no
 * bidirectional control, so parsing it (an extension table search) can tell nothing. Most
 * URLs of an API or a CMS look like this. */
static bool at_name_plain(const uint8_t *name, size_t len)
{
    for (size_t i = len; i > 0; i--) {
        uint8_t c = name[i - 1];
        if (c == '/' || c == '\\')
            break;
        if (c == '.' || c >= 0x80)
            return false;
    }
    return true;
}

/* A URL name or declared type that can give a reason by itself (not a page's .js); hta: the
 * type names an HTA (at_ctype_hta). */
static bool at_http_name_matters(const uint8_t *name, size_t len, bool hta)
{
    if (hta)
        return true; /* application/hta: what mshta fetches */
    if (at_name_plain(name, len))
        return false;
    struct zs_name nm;
    zs_name_parse(name, len, &nm);
    if (nm.bidi || nm.cls == ZS_X_MACRO_DOC)
        return true;
    return zs_ext_dangerous((enum zs_ext_class)nm.cls) && strcmp(nm.ext, "js") != 0;
}

/* Whether the request URI's last path segment, once at_uri_name has decoded it, is plain
 * (at_name_plain): true when the raw segment has no dot, no byte >= 0x80 and no '%' that
 * could decode into one. One pass over the URI, without decoding. */
static bool at_uri_name_plain(const struct http_tx *tx)
{
    bool plain = true;
    for (size_t i = 0; i < tx->uri.len; i++) {
        uint8_t c = tx->uri.p[i];
        if (c == '?' || c == '#')
            break;
        if (c == '/')
            plain = true;
        else if (c == '.' || c == '%' || c >= 0x80)
            plain = false;
    }
    return plain;
}

/* Whether the media type, as at_http copies it into ctype (up to ';' or ',', blanks dropped,
 * lower case, at most AT_CTYPE_MAX - 1 characters), contains "hta"; without the copy. */
static bool at_ctype_hta(const struct http_str *ct)
{
    /* Without an 'h' anywhere (application/json, text/css ...: most types) there is none. */
    if (!memchr(ct->p, 'h', ct->len) && !memchr(ct->p, 'H', ct->len))
        return false;
    uint32_t last3 = 0;
    size_t k = 0;
    for (size_t i = 0; i < ct->len && k + 1 < AT_CTYPE_MAX; i++) {
        uint8_t c = ct->p[i];
        if (c == ';' || c == ',')
            break;
        if (c == ' ' || c == '\t')
            continue;
        c = c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
        last3 = (last3 << 8 | c) & 0xffffffu;
        if (++k >= 3 && last3 == ((uint32_t)'h' << 16 | (uint32_t)'t' << 8 | 'a'))
            return true;
    }
    return false;
}

static void at_http(struct at_state *st, struct dtr *d, const struct flow *f, int dir,
                    uint64_t ts_ns, const struct http_tx *tx)
{
    if (!tx->resp_body || tx->resp_body_len == 0 || tx->status < 200 || tx->status > 299 ||
        tx->status == 204)
        return;
    if (tx->status == 206) {
        /* a range is a file's first bytes only when it starts at 0 */
        const struct http_str *cr = at_resp_header(tx, "content-range");
        if (!cr || cr->len < 8 || memcmp(cr->p, "bytes 0-", 8) != 0)
            return;
    }
    /* Most responses are pages, scripts and images: judged below only for an explicit
     * download, a name that matters, or content that starts like something the scanner can
     * open. The common case, no Content-Disposition and a URL name without a dot, is
     * settled here without decoding the name or copying the type (the same answer as the
     * full test: see test_detector_http). */
    const struct http_str *cd = at_resp_header(tx, "content-disposition");
    bool hta = tx->resp_content_type.p && at_ctype_hta(&tx->resp_content_type);
    if ((!cd || !cd->p) && (!tx->uri.p || at_uri_name_plain(tx)) && !hta &&
        !zs_worth_scanning(tx->resp_body, tx->resp_body_len))
        return;
    struct at_input in;
    memset(&in, 0, sizeof in);
    uint8_t name[AT_NAME_MAX];
    char ctype[AT_CTYPE_MAX];
    in.proto = APP_PROTO_HTTP;
    in.http = true;
    if (cd && cd->p) {
        in.name_len = at_disposition(cd, &in.http_attachment, name, sizeof name);
        in.name_from_header = in.name_len > 0;
    }
    if (!in.name_len)
        in.name_len = at_uri_name(tx, name, sizeof name);
    in.name = name;
    if (tx->resp_content_type.p) {
        size_t k = 0;
        for (size_t i = 0; i < tx->resp_content_type.len && k + 1 < sizeof ctype; i++) {
            uint8_t c = tx->resp_content_type.p[i];
            if (c == ';' || c == ',')
                break;
            if (c == ' ' || c == '\t')
                continue;
            ctype[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : (c < 0x20 || c >= 0x7f ? '?' : c));
        }
        ctype[k] = 0;
        in.ctype = ctype;
    }
    if (!in.http_attachment && !at_http_name_matters(name, in.name_len, hta) &&
        !zs_worth_scanning(tx->resp_body, tx->resp_body_len))
        return;
    in.size = tx->resp_decoded > tx->resp_body_len ? tx->resp_decoded : tx->resp_body_len;
    in.head = tx->resp_body;
    in.head_len = tx->resp_body_len;
    in.truncated = (tx->flags & (HTTP_TX_RESP_INCOMPLETE | HTTP_TX_RESP_BODY_GAP |
                                 HTTP_TX_DECOMPRESS_LIMIT | HTTP_TX_DECOMPRESS_ERROR)) != 0;
    in.tx_id = tx->tx_id;
    in.tx = tx;
    /* the digest only when the whole body is here (the name, size and first bytes stand
     * for the file otherwise), and only for a file that is reported */
    in.sha_lazy = !in.truncated && tx->resp_body_len == tx->resp_decoded;
    at_judge(st, d, f, dir, ts_ns, &in);
}

static void at_record(void *stv, struct dtr *d, const struct flow *f, int dir, uint64_t ts_ns,
                      enum app_record_kind kind, const void *rec)
{
    struct at_state *st = stv;
    if (!f || !rec)
        return;
    if (kind == APP_REC_FILE)
        at_file(st, d, f, dir, ts_ns, rec);
    else if (kind == APP_REC_HTTP && st->cfg->http)
        at_http(st, d, f, dir, ts_ns, rec);
}

const struct dtr_ops dt_attachment_ops = {
    .name = "attachment",
    .threat = "T6",
    .summary = "malicious attachments and downloads: encrypted archives, macro documents, "
               "executables, scripts, disguised names, type mismatches, documents that fetch "
               "remote content, start a program or carry exploit objects",
    .sid_base = 6001,
    .sigs = at_sigs,
    .n_sigs = SIG_COUNT,
    .params = at_params,
    .n_params = MM_ARRAY_LEN(at_params),
    .cfg_size = sizeof(struct at_cfg),
    .init = at_init,
    .fini = at_fini,
    .record = at_record,
    .message = at_message,
    .tick = at_tick,
    .stats = at_stats,
};
