/*
 * Fuzz target for the parsers of active content in documents (src/detect/docscan.c): OOXML
 * relationship parts, RTF \objdata and \*\template, Packager native data, OLE2Link URLs, PDF
 * objects, the remote-target test, and DDE links and formulas (docscan_dde.c).
 *
 * Input: byte 0 - '0' (mod 11) picks the parser (0 rels, 1 RTF, 2 Packager, 3 OLE2Link, 4 PDF,
 * 5 target, 6 Word fields, 7 Excel DDE links, 8 RTF fields, 9 CSV/SYLK formulas, 10 (':')
 * Word 97-2003 text: the FIB and the piece table; for RTF, byte 1 the decode buffer size: 1
 * to 4096 bytes; for mode 10, byte 1 x 8 the bytes of the Clx, the WordDocument stream
 * after them); the rest is the data, from exact-size heap copies so ASan sees a one-byte
 * over-read.
 *
 * Checked: every string out is NUL-terminated within its array; a relationship found has a
 * known type and a remote target (when the target was not cut); an object's native data
 * lies inside the decode buffer and within its declared size, its format is 0, 1 or 2, and
 * the callback runs at most max times while the count returned covers them; a package's
 * file bytes lie inside the input; a template or URL found is remote / has a scheme; a PDF
 * has at most DS_PDF_FILES non-empty file names and a launch target only with a launch, reads
 * at most DS_PDF_OBJSTMS object streams inflating to at most its 64 KiB buffer; a DDE link's
 * strings are NUL-terminated and its runs_program is ds_dde_runs_program's answer; a FIB read
 * names table 0 or 1 and a piece table of some bytes; a second run gives the same answers.
 */
#include "fuzz_check.h"
#include "detect/docscan.h"
#include "core/mm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Object streams inflate here (64 KiB, as a small max-entry-bytes). */
static uint8_t pdfbuf[64 << 10];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OBJS 4

static bool terminated(const char *s, size_t cap)
{
    return memchr(s, 0, cap) != NULL;
}

struct seen {
    const uint8_t *buf;
    size_t cap;
    size_t calls;
    uint64_t sum; /* of what the callback saw, to compare two runs */
};

static void on_obj(void *u, const struct ds_rtf_obj *o)
{
    struct seen *s = u;
    s->calls++;
    CHECK(terminated(o->cls, sizeof o->cls));
    CHECK(o->format <= 2);
    if (o->native) {
        CHECK(o->native >= s->buf && o->native + o->native_len <= s->buf + s->cap);
        CHECK(o->native_len <= o->native_declared);
    } else {
        CHECK(o->native_len == 0);
    }
    s->sum = s->sum * 31 + o->format + o->native_len * 7 + (o->autoupdate ? 3 : 0) +
             (o->cut ? 5 : 0) + strlen(o->cls);
}

static void run_rtf(const uint8_t *d, size_t n, size_t cap, uint64_t *sum, size_t *seen_out)
{
    uint8_t *buf = malloc(cap);
    if (!buf)
        return;
    struct seen s = {.buf = buf, .cap = cap};
    size_t seen = ds_rtf_objects(d, n, buf, cap, MAX_OBJS, on_obj, &s);
    CHECK(s.calls <= MAX_OBJS);
    CHECK(s.calls == (seen < MAX_OBJS ? seen : MAX_OBJS));
    char t[DS_TARGET_MAX];
    bool got = ds_rtf_remote_template(d, n, t, sizeof t);
    CHECK(terminated(t, sizeof t));
    CHECK(!got || ds_target_remote(t));
    *sum = s.sum * 2 + got;
    *seen_out = seen;
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t which = (uint8_t)(data[0] - '0') % 11;
    size_t cap = 1 + (size_t)data[1] * 16;
    const uint8_t *in = data + 2;
    size_t n = size - 2;
    uint8_t *d = malloc(n ? n : 1);
    if (!d)
        return 0;
    if (n)
        memcpy(d, in, n);

    switch (which) {
    case 0: {
        struct ds_rel r1, r2;
        memset(&r1, 0, sizeof r1);
        memset(&r2, 0, sizeof r2);
        bool a = ds_rels_find_remote(d, n, &r1);
        bool b = ds_rels_find_remote(d, n, &r2);
        CHECK(a == b);
        if (a) {
            CHECK(r1.type >= DS_REL_TEMPLATE && r1.type <= DS_REL_SUBDOCUMENT);
            CHECK(terminated(r1.target, sizeof r1.target));
            /* (the decision is made on the whole value: a cut copy may lose what made it
             * remote, such as a DavWWWRoot far down a long path) */
            CHECK(strlen(r1.target) + 1 >= sizeof r1.target || ds_target_remote(r1.target));
            CHECK(r1.type == r2.type && !strcmp(r1.target, r2.target));
            CHECK(ds_rel_type_name(r1.type) != NULL);
        }
        break;
    }
    case 1: {
        uint64_t s1 = 0, s2 = 0;
        size_t n1 = 0, n2 = 0;
        run_rtf(d, n, cap, &s1, &n1);
        run_rtf(d, n, cap, &s2, &n2);
        CHECK(s1 == s2 && n1 == n2);
        break;
    }
    case 2: {
        char name[64];
        const uint8_t *file = NULL;
        size_t len = 0;
        if (ds_package_file(d, n, name, sizeof name, &file, &len)) {
            CHECK(terminated(name, sizeof name));
            if (file)
                CHECK(file >= d && file + len <= d + n);
            else
                CHECK(len == 0);
        }
        break;
    }
    case 3: {
        char url[DS_TARGET_MAX];
        bool got = ds_ole2link_url(d, n, url, sizeof url);
        CHECK(terminated(url, sizeof url));
        CHECK(!got || strchr(url, ':') != NULL);
        break;
    }
    case 4: {
        struct ds_pdf p1, p2;
        ds_pdf_scan(d, n, pdfbuf, sizeof pdfbuf, &p1);
        ds_pdf_scan(d, n, pdfbuf, sizeof pdfbuf, &p2);
        CHECK(p1.n_files <= DS_PDF_FILES);
        CHECK(terminated(p1.launch_target, sizeof p1.launch_target));
        CHECK(!p1.launch_target[0] || p1.launch);
        for (uint32_t i = 0; i < p1.n_files; i++) {
            CHECK(terminated(p1.files[i], sizeof p1.files[i]));
            CHECK(p1.files[i][0] != 0);
        }
        CHECK(memcmp(&p1, &p2, sizeof p1) == 0);
        CHECK(p1.objstms <= DS_PDF_OBJSTMS && p1.objstm_bytes <= sizeof pdfbuf);
        break;
    }
    case 6:
    case 7:
    case 8:
    case 9: {
        bool (*fn)(const uint8_t *, size_t, struct ds_dde *) =
            which == 6 ? ds_docx_dde : which == 7 ? ds_xlsx_dde : which == 8 ? ds_rtf_dde
                                                                           : ds_text_dde;
        struct ds_dde x1, x2;
        memset(&x1, 0, sizeof x1);
        memset(&x2, 0, sizeof x2);
        bool a = fn(d, n, &x1);
        bool b = fn(d, n, &x2);
        CHECK(a == b);
        if (a) {
            CHECK(terminated(x1.app, sizeof x1.app) && terminated(x1.topic, sizeof x1.topic));
            CHECK(x1.runs_program == ds_dde_runs_program(&x1));
            CHECK(!strcmp(x1.app, x2.app) && !strcmp(x1.topic, x2.topic));
            CHECK(x1.autoupdate == x2.autoupdate && x1.runs_program == x2.runs_program);
            CHECK((which != 7 && which != 9) || !x1.autoupdate);
        }
        break;
    }
    case 10: {
        size_t cl = MM_MIN(n, (size_t)data[1] * 8);
        uint8_t *wd = malloc(n - cl ? n - cl : 1);
        if (!wd)
            break;
        memcpy(wd, d + cl, n - cl);
        struct ds_doc_fib f1, f2;
        bool a = ds_doc_fib(wd, n - cl, &f1);
        CHECK(a == ds_doc_fib(wd, n - cl, &f2));
        CHECK(!a ||
              ((f1.table == 0 || f1.table == 1) && f1.lcb_clx > 0 && !memcmp(&f1, &f2, sizeof f1)));
        uint8_t *clx = malloc(cl ? cl : 1);
        if (clx) {
            memcpy(clx, d, cl);
            struct ds_dde x1, x2;
            memset(&x1, 0, sizeof x1);
            memset(&x2, 0, sizeof x2);
            bool l1, l2;
            bool b = ds_doc_dde(wd, n - cl, clx, cl, &x1, &l1);
            CHECK(b == ds_doc_dde(wd, n - cl, clx, cl, &x2, &l2) && l1 == l2);
            if (b) {
                CHECK(terminated(x1.app, sizeof x1.app) && terminated(x1.topic, sizeof x1.topic));
                CHECK(x1.runs_program == ds_dde_runs_program(&x1));
                CHECK(!strcmp(x1.app, x2.app) && !strcmp(x1.topic, x2.topic));
                CHECK(x1.autoupdate == x2.autoupdate);
            }
            free(clx);
        }
        free(wd);
        break;
    }
    case 5: {
        char *t = malloc(n + 1);
        if (t) {
            memcpy(t, d, n);
            t[n] = 0;
            bool a = ds_target_remote(t);
            CHECK(a == ds_target_remote(t));
            free(t);
        }
        break;
    }
    default: break;
    }
    free(d);
    return 0;
}
