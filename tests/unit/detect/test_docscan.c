/*
 * Active content in documents (src/detect/docscan.c), parser by parser: which link targets
 * reach the network; OOXML relationships (types, TargetMode, entities, namespace prefixes,
 * quoting, every prefix of a part); RTF \objdata (the OLE 1.0 header, whitespace, nested
 * ignorable groups, stray control words, \binN, a cut header, \objclass as the fallback,
 * \objupdate, the object bound); the RTF remote template with escapes; Packager native data;
 * an OLE2Link's URL; PDF actions and embedded files (name escapes, string escapes, UTF-16,
 * streams and comments skipped, the file bound). Hostile shapes run from exact-size heap copies, so
 * ASan sees a one-byte over-read.
 */
#include "detect/docscan.h"
#include "testlib/tcheck.h"

#include "core/mm.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

/* An exact-size heap copy of n bytes (ASan catches a read past them). */
static uint8_t *dup_exact(const void *d, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, d, n);
    return p;
}

/* ---- targets --------------------------------------------------------------------------- */

static void test_target_remote(void **state)
{
    (void)state;
    static const struct {
        const char *t;
        bool remote;
    } rows[] = {
        {"http://198.51.100.7/t.dotm", true},
        {"HTTPS://files.example/a.dotm", true},
        {"  ftp://203.0.113.4/t.dot", true},
        {"mhtml:http://198.51.100.7/y.html!x-usc:http://198.51.100.7/y.html", true},
        {"ms-msdt:/id PCWDiagnostic /skip force", true},
        {"search-ms:query=invoice&crumb=location:\\\\198.51.100.7@80\\x", true},
        {"ms-word", false},
        {"file:///C:/Users/sato/AppData/Roaming/Microsoft/Templates/Normal.dotm", false},
        {"file:C:\\Templates\\Normal.dotm", false},
        {"C:\\Users\\sato\\Documents\\Normal.dotm", false},
        {"Normal.dotm", false},
        {"\\\\fileserver\\templates\\letter.dotm", false},
        {"file:////fileserver/templates/letter.dotm", false},
        {"\\\\203.0.113.5\\share\\t.dotm", true},
        {"\\\\evil.example@80\\x\\t.dotm", true},
        {"\\\\evil.example@SSL\\x\\t.dotm", true},
        {"\\\\evil.example\\DavWWWRoot\\t.dotm", true},
        {"file://203.0.113.5/share/t.dotm", true},
        {"//198.51.100.1/x/t.dotm", true},
        {"\\\\1.2.3.4.5\\x", false},
        {"\\\\1234.2.3.4\\x", false},
        {"", false},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++)
        TC_EQ(rows[i].t, ds_target_remote(rows[i].t), rows[i].remote);
    tc_done();
}

/* ---- OOXML relationships --------------------------------------------------------------- */

#define RNS "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

static bool rels(const char *xml, struct ds_rel *out)
{
    memset(out, 0, sizeof *out);
    uint8_t *p = dup_exact(xml, strlen(xml));
    bool got = ds_rels_find_remote(p, strlen(xml), out);
    free(p);
    return got;
}

static void test_rels(void **state)
{
    (void)state;
    struct ds_rel r;
    /* a template injection: the relationship Word loads first, among ordinary ones */
    static const char tpl[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId2\" Type=\"" RNS "hyperlink\" Target=\"http://www.example.com/\""
        " TargetMode=\"External\"/>"
        "<Relationship Id=\"rId1\" Type=\"" RNS "attachedTemplate\""
        " Target=\"http://198.51.100.7/t.dotm?a=1&amp;b=2\" TargetMode=\"External\"/>"
        "</Relationships>";
    assert_true(rels(tpl, &r));
    assert_int_equal(r.type, DS_REL_TEMPLATE);
    assert_string_equal(r.target, "http://198.51.100.7/t.dotm?a=1&b=2");
    assert_string_equal(ds_rel_type_name(r.type), "template");

    static const struct {
        const char *name;
        const char *xml;
        bool found;
        int type;
        const char *target;
    } rows[] = {
        {"local template (Normal.dotm)",
         "<Relationship Id=\"rId1\" Type=\"" RNS "attachedTemplate\" Target=\"file:///C:/Users/"
         "sato/AppData/Roaming/Microsoft/Templates/Normal.dotm\" TargetMode=\"External\"/>",
         false, 0, NULL},
        {"no TargetMode (a part of the package)",
         "<Relationship Id=\"rId1\" Type=\"" RNS "attachedTemplate\" Target=\"http://x/t\"/>",
         false, 0, NULL},
        {"hyperlink only",
         "<Relationship Id=\"r\" Type=\"" RNS "hyperlink\" Target=\"http://198.51.100.7/\""
         " TargetMode=\"External\"/>",
         false, 0, NULL},
        {"CVE-2021-40444 mhtml OLE object",
         "<Relationship Id=\"rId5\" Type=\"" RNS "oleObject\" Target=\"mhtml:http://198.51.100"
         ".7/y.html!x-usc:http://198.51.100.7/y.html\" TargetMode=\"External\"/>",
         true, DS_REL_OLE_OBJECT,
         "mhtml:http://198.51.100.7/y.html!x-usc:http://198.51.100.7/y.html"},
        {"Follina: an OLE object to a web page, attributes reordered, single quotes",
         "<Relationship TargetMode='External' Target='http://198.51.100.7/index.html!' Id='r9'"
         " Type='" RNS "oleObject'/>",
         true, DS_REL_OLE_OBJECT, "http://198.51.100.7/index.html!"},
        {"namespace prefix, scheme hidden in a character reference",
         "<pr:Relationship Id=\"a\" Type=\"" RNS "frame\" Target=\"&#104;ttp://198.51.100.7/f\""
         " TargetMode=\"External\"></pr:Relationship>",
         true, DS_REL_FRAME, "http://198.51.100.7/f"},
        {"hex character reference, subdocument on a WebDAV share",
         "<Relationship Type=\"" RNS "subDocument\" TargetMode=\"External\" Target=\"&#x5c;"
         "\\evil.example@80\\s\\x.docx\"/>",
         true, DS_REL_SUBDOCUMENT, "\\\\evil.example@80\\s\\x.docx"},
        {"Relationships (the root element) is not a relationship",
         "<Relationships Type=\"" RNS "attachedTemplate\" Target=\"http://x/\""
         " TargetMode=\"External\">",
         false, 0, NULL},
        {"unknown entity kept as written",
         "<Relationship Type=\"" RNS "attachedTemplate\" Target=\"&bogus;http://x/\""
         " TargetMode=\"External\"/>",
         false, 0, NULL},
        {"stray characters and a '>' inside a value",
         "<Relationship = x \"y\" Type=\"" RNS "attachedTemplate\" Target=\"http://x/a>b\""
         " TargetMode=\"External\"/>",
         true, DS_REL_TEMPLATE, "http://x/a>b"},
        {"value not closed", "<Relationship Type=\"" RNS "attachedTemplate\" Target=\"http://x/",
         false, 0, NULL},
        {"empty", "", false, 0, NULL},
        {"only '<'", "<", false, 0, NULL},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        bool got = rels(rows[i].xml, &r);
        TC_EQ(rows[i].name, got, rows[i].found);
        if (got && rows[i].found) {
            TC_EQ(rows[i].name, r.type, rows[i].type);
            TC_CHECK(rows[i].name, !strcmp(r.target, rows[i].target));
        }
    }
    tc_done();

    /* every prefix of the template part: never a read past it, and found only once the
     * element is whole enough (its TargetMode value closed) */
    size_t n = strlen(tpl), first = 0;
    for (size_t k = 0; k <= n; k++) {
        uint8_t *p = dup_exact(tpl, k);
        bool got = ds_rels_find_remote(p, k, &r);
        free(p);
        if (got && !first)
            first = k;
        if (first)
            assert_true(got);
    }
    const char *mode = strstr(tpl, "t.dotm?a=1&amp;b=2\" TargetMode=\"External\"");
    assert_non_null(mode);
    assert_int_equal(first,
                     (size_t)(mode - tpl) + strlen("t.dotm?a=1&amp;b=2\" TargetMode=\"External\""));

    /* a long target is cut, not overrun */
    char big[4096];
    char url[2048];
    memset(url, 'a', sizeof url - 1);
    memcpy(url, "http://", 7);
    url[sizeof url - 1] = 0;
    snprintf(big, sizeof big,
             "<Relationship Type=\"" RNS
             "attachedTemplate\" Target=\"%s\" TargetMode=\"External\"/>",
             url);
    assert_true(rels(big, &r));
    assert_int_equal(strlen(r.target), DS_TARGET_MAX - 1);
}

/* ---- RTF ------------------------------------------------------------------------------- */

struct objs {
    struct ds_rtf_obj o[8];
    uint8_t native[8][64];
    size_t n;
};

static void on_obj(void *u, const struct ds_rtf_obj *o)
{
    struct objs *c = u;
    if (c->n >= MM_ARRAY_LEN(c->o))
        return;
    c->o[c->n] = *o;
    if (o->native)
        memcpy(c->native[c->n], o->native, o->native_len < 64 ? o->native_len : 64);
    c->n++;
}

/* An OLE 1.0 embedded object (ObjectHeader + EmbeddedObject): class, empty topic and item,
 * native data. */
static size_t ole1(uint8_t *out, const char *cls, const uint8_t *native, uint32_t native_len,
                   uint32_t declared)
{
    size_t k = 0;
    uint32_t cl = (uint32_t)strlen(cls) + 1;
    uint32_t words[] = {0x00000501, 2, cl};
    memcpy(out, words, sizeof words);
    k += sizeof words;
    memcpy(out + k, cls, cl);
    k += cl;
    uint32_t tail[] = {0, 0, declared};
    memcpy(out + k, tail, sizeof tail);
    k += sizeof tail;
    memcpy(out + k, native, native_len);
    return k + native_len;
}

/* Bytes as RTF hex: lower case, a line break every `line` digits, `sep` between pairs. */
static void hexs(char *out, const uint8_t *b, size_t n, size_t line, const char *sep)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        k += (size_t)sprintf(out + k, "%02x%s", b[i], sep);
        if (line && (2 * (i + 1)) % line == 0)
            k += (size_t)sprintf(out + k, "\r\n");
    }
    out[k] = 0;
}

static size_t rtf_objs(const char *rtf, size_t len, size_t cap, size_t max, struct objs *c)
{
    memset(c, 0, sizeof *c);
    uint8_t *p = dup_exact(rtf, len);
    uint8_t *buf = malloc(cap);
    size_t seen = ds_rtf_objects(p, len, buf, cap, max, on_obj, c);
    free(buf);
    free(p);
    return seen;
}

static void test_rtf_objects(void **state)
{
    (void)state;
    uint8_t obj[256];
    static const uint8_t eq_native[] = {0x1c, 0x00, 0x00, 0x00, 0x02, 0x00, 0x9e, 0xc4,
                                        0xa9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    size_t on = ole1(obj, "Equation.3", eq_native, sizeof eq_native, sizeof eq_native);
    char hex[2048], rtf[4096];
    struct objs c;

    /* the plain shape Word writes */
    hexs(hex, obj, on, 64, "");
    snprintf(rtf, sizeof rtf,
             "{\\rtf1\\ansi{\\object\\objemb\\objupdate{\\*\\objclass Equation.3}\\objw380"
             "\\objh260{\\*\\objdata %s}{\\result{\\pict}}}}",
             hex);
    assert_int_equal(rtf_objs(rtf, strlen(rtf), 4096, 8, &c), 1);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.o[0].cls, "Equation.3");
    assert_int_equal(c.o[0].format, 2);
    assert_int_equal(c.o[0].native_len, sizeof eq_native);
    assert_int_equal(c.o[0].native_declared, sizeof eq_native);
    assert_memory_equal(c.native[0], eq_native, sizeof eq_native);
    assert_true(c.o[0].autoupdate);
    assert_false(c.o[0].cut);

    /* obfuscated: spaces between the digits, an ignorable group and stray control words
     * inside, other bytes Word skips, a \objclass that lies (the header's class wins), no
     * \objupdate */
    hexs(hex, obj, on, 10, " ");
    char mixed[3072];
    size_t half = strlen(hex) / 2;
    snprintf(mixed, sizeof mixed, "%.*s{\\*\\mamori 4142434445}\\par\\'41 zz %s", (int)half, hex,
             hex + half);
    snprintf(rtf, sizeof rtf,
             "{\\rt{\\object\\objemb{\\*\\objclass Paint.Picture}{\\*\\objdata\r\n%s}}}", mixed);
    assert_int_equal(rtf_objs(rtf, strlen(rtf), 4096, 8, &c), 1);
    assert_string_equal(c.o[0].cls, "Equation.3");
    assert_memory_equal(c.native[0], eq_native, sizeof eq_native);
    assert_false(c.o[0].autoupdate);

    /* \binN: raw bytes inside the destination */
    char *bin = malloc(4096);
    int k = snprintf(bin, 4096, "{\\rtf1{\\object{\\*\\objdata \\bin%zu ", on);
    memcpy(bin + k, obj, on);
    k += (int)on;
    k += snprintf(bin + k, 4096 - (size_t)k, "}}}");
    assert_int_equal(rtf_objs(bin, (size_t)k, 4096, 8, &c), 1);
    assert_string_equal(c.o[0].cls, "Equation.3");
    assert_memory_equal(c.native[0], eq_native, sizeof eq_native);
    /* \bin larger than what is left: taken up to the end */
    k = snprintf(bin, 4096, "{\\rtf1{\\object{\\*\\objdata \\bin99999 ");
    memcpy(bin + k, obj, 20);
    assert_int_equal(rtf_objs(bin, (size_t)k + 20, 4096, 8, &c), 1);
    assert_true(c.o[0].cut);
    free(bin);

    /* no OLE 1.0 header: the class from \objclass, the format unknown */
    snprintf(rtf, sizeof rtf, "{\\rtf1{\\object{\\*\\objclass  Package }{\\*\\objdata 0102}}}");
    assert_int_equal(rtf_objs(rtf, strlen(rtf), 4096, 8, &c), 1);
    assert_string_equal(c.o[0].cls, "Package");
    assert_int_equal(c.o[0].format, 0);
    assert_null(c.o[0].native);

    /* the native data cut: by the document, and by the caller's buffer */
    hexs(hex, obj, on - 4, 0, "");
    snprintf(rtf, sizeof rtf, "{\\rtf1{\\object{\\*\\objdata %s", hex);
    assert_int_equal(rtf_objs(rtf, strlen(rtf), 4096, 8, &c), 1);
    assert_true(c.o[0].cut);
    assert_int_equal(c.o[0].native_len, sizeof eq_native - 4);
    hexs(hex, obj, on, 0, "");
    snprintf(rtf, sizeof rtf, "{\\rtf1{\\object{\\*\\objdata %s}}}", hex);
    assert_int_equal(rtf_objs(rtf, strlen(rtf), on - 1, 8, &c), 1);
    assert_true(c.o[0].cut);
    /* the header cut inside the class name */
    assert_int_equal(rtf_objs(rtf, strlen(rtf), 16, 8, &c), 1);
    assert_true(c.o[0].cut);
    assert_string_equal(c.o[0].cls, "");

    /* the object bound: all counted, the first max reported */
    char many[4096] = "{\\rtf1";
    for (int i = 0; i < 12; i++)
        strcat(many, "{\\object{\\*\\objclass X}{\\*\\objdata 00}}");
    strcat(many, "}");
    assert_int_equal(rtf_objs(many, strlen(many), 4096, 5, &c), 12);
    assert_int_equal(c.n, 5);

    /* \objdatax is another word; text without objects */
    snprintf(rtf, sizeof rtf, "{\\rtf1 \\objdatax 0105 plain \\\\objdata text}");
    assert_int_equal(rtf_objs(rtf, strlen(rtf), 4096, 8, &c), 0);

    /* every prefix of an object: no read past the bytes */
    hexs(hex, obj, on, 64, "");
    snprintf(rtf, sizeof rtf,
             "{\\rtf1{\\object\\objupdate{\\*\\objclass Equation.3}{\\*\\objdata %s}}}", hex);
    for (size_t n = 0; n <= strlen(rtf); n++)
        rtf_objs(rtf, n, 64, 8, &c);
}

static bool tpl(const char *rtf, char *out, size_t cap)
{
    uint8_t *p = dup_exact(rtf, strlen(rtf));
    bool got = ds_rtf_remote_template(p, strlen(rtf), out, cap);
    free(p);
    return got;
}

static void test_rtf_template(void **state)
{
    (void)state;
    char out[DS_TARGET_MAX];
    assert_true(tpl("{\\rtf1{\\*\\template http://198.51.100.9/t.dotm}\\f0 x}", out, sizeof out));
    assert_string_equal(out, "http://198.51.100.9/t.dotm");
    /* escapes: \'hh, \uN with its fallback character, an escaped backslash, a line break */
    assert_true(tpl("{\\rtf1{\\*\\template \\'68tt\\u112?://198.51.100.9/a\\\\b\r\n.dotm}}", out,
                    sizeof out));
    assert_string_equal(out, "http://198.51.100.9/a\\b.dotm");
    /* a template on the local disk, then a remote one: the remote one is found */
    assert_true(tpl("{\\rtf1{\\*\\template C:\\\\Templates\\\\Normal.dotm}"
                    "{\\*\\template \\\\\\\\203.0.113.5\\\\s\\\\t.dot}}",
                    out, sizeof out));
    assert_string_equal(out, "\\\\203.0.113.5\\s\\t.dot");
    assert_false(tpl("{\\rtf1{\\*\\template C:\\\\Templates\\\\Normal.dotm}}", out, sizeof out));
    assert_string_equal(out, "");
    assert_false(tpl("{\\rtf1 \\templates http://x/}", out, sizeof out));
    /* cut short, and a value longer than the output */
    assert_true(tpl("{\\rtf1{\\*\\template http://198.51.100.9/t", out, sizeof out));
    assert_true(tpl("{\\rtf1{\\*\\template http://198.51.100.9/abcdefghijklmnop}}", out, 16));
    assert_string_equal(out, "http://198.51.1");
    /* many template words in a row: each read once */
    size_t n = 200000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "\\template"[i % 9];
    big[n] = 0;
    assert_false(tpl(big, out, sizeof out));
    free(big);
}

/* ---- Packager, OLE2Link ---------------------------------------------------------------- */

static size_t package(uint8_t *out, const char *label, const char *src, const char *tmp,
                      const void *data, uint32_t len)
{
    size_t k = 0;
    out[k++] = 2;
    out[k++] = 0;
    memcpy(out + k, label, strlen(label) + 1);
    k += strlen(label) + 1;
    memcpy(out + k, src, strlen(src) + 1);
    k += strlen(src) + 1;
    memcpy(out + k, "\0\0\3\0", 4);
    k += 4;
    uint32_t tl = (uint32_t)strlen(tmp) + 1;
    memcpy(out + k, &tl, 4);
    k += 4;
    memcpy(out + k, tmp, tl);
    k += tl;
    memcpy(out + k, &len, 4);
    k += 4;
    memcpy(out + k, data, len);
    return k + len;
}

static void test_package(void **state)
{
    (void)state;
    uint8_t p[512];
    size_t n = package(p, "invoice.pdf", "C:\\build\\stage1.bin",
                       "C:\\Users\\x\\AppData\\Local\\Temp\\invoice.pdf.exe", "MZ\x90\0", 4);
    char name[64];
    const uint8_t *data;
    size_t len;
    uint8_t *e = dup_exact(p, n);
    assert_true(ds_package_file(e, n, name, sizeof name, &data, &len));
    assert_string_equal(name, "invoice.pdf.exe"); /* the file that runs, not the label */
    assert_int_equal(len, 4);
    assert_memory_equal(data, "MZ\x90\0", 4);
    free(e);
    /* no temporary path: the source path's last component; only a label: the label */
    n = package(p, "readme.txt", "D:/docs/setup.js", "", "x", 1);
    assert_true(ds_package_file(p, n, name, sizeof name, &data, &len));
    assert_string_equal(name, "setup.js");
    /* every prefix: the name as far as the strings go, never a read past them */
    n = package(p, "invoice.pdf", "C:\\a\\b.exe", "C:\\t\\b.exe", "MZ", 2);
    for (size_t k = 0; k <= n; k++) {
        e = dup_exact(p, k);
        bool ok = ds_package_file(e, k, name, sizeof name, &data, &len);
        size_t strings = 2 + strlen("invoice.pdf") + 1 + strlen("C:\\a\\b.exe") + 1;
        assert_int_equal(ok, k >= strings);
        if (k == n)
            assert_int_equal(len, 2);
        free(e);
    }
    /* not a package */
    assert_false(
        ds_package_file((const uint8_t *)"\1\0ab\0c\0", 8, name, sizeof name, &data, &len));
}

static void test_ole2link(void **state)
{
    (void)state;
    uint8_t b[256] = {0};
    const char *url = "http://198.51.100.3/x.hta";
    size_t at = 40;
    b[at - 2] = 'h'; /* an "h" that does not start the word */
    for (size_t i = 0; url[i]; i++)
        b[at + 2 * i] = (uint8_t)url[i];
    char out[DS_TARGET_MAX];
    uint8_t *e = dup_exact(b, sizeof b);
    assert_true(ds_ole2link_url(e, sizeof b, out, sizeof out));
    assert_string_equal(out, url);
    free(e);
    /* "http" without a scheme's colon is no URL; cut before the end of the URL */
    assert_false(ds_ole2link_url((const uint8_t *)"h\0t\0t\0p\0d\0\0\0", 12, out, sizeof out));
    size_t cut = at + 2 * 10;
    e = dup_exact(b, cut);
    assert_true(ds_ole2link_url(e, cut, out, sizeof out));
    assert_string_equal(out, "http://198");
    free(e);
    /* many false starts: linear time */
    size_t n = 1 << 20;
    uint8_t *big = calloc(n, 1);
    for (size_t i = 0; i + 8 <= n; i += 8)
        memcpy(big + i, "h\0t\0t\0p\0", 8);
    assert_false(ds_ole2link_url(big, n, out, sizeof out));
    free(big);
}

/* ---- PDF ------------------------------------------------------------------------------- */

/* Where object streams inflate in these tests. */
static uint8_t pdfbuf[64 << 10];

static void pdf(const char *text, struct ds_pdf *out)
{
    uint8_t *p = dup_exact(text, strlen(text));
    ds_pdf_scan(p, strlen(text), pdfbuf, sizeof pdfbuf, out);
    free(p);
}

static void test_pdf(void **state)
{
    (void)state;
    struct ds_pdf o;
    pdf("%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n"
        "2 0 obj << /S /Launch /Win << /F (cmd.exe) /P (/c start calc) >> >> endobj\n",
        &o);
    assert_true(o.launch);
    assert_true(o.open_action);
    assert_false(o.javascript);
    assert_string_equal(o.launch_target, "cmd.exe");
    /* names written with #hh escapes; JavaScript on an additional action */
    pdf("%PDF-1.4\n1 0 obj << /A#41 << /O << /S /J#61vaScript /J#53 (app.alert\\(1\\)) >> >> "
        "/S /L#61unch /F <636d642e657865> >> endobj",
        &o);
    assert_true(o.javascript);
    assert_true(o.open_action);
    assert_true(o.launch);
    assert_string_equal(o.launch_target, "cmd.exe");
    /* embedded files: a file specification with /Type, one without (its name before /EF), a
     * UTF-16 name, escapes in a literal string; a remote file (GoToR) is no embedded file */
    pdf("%PDF-1.7\n3 0 obj << /Type /Filespec /F (invoice.exe) /UF (invoice.exe) "
        "/EF << /F 5 0 R >> >> endobj\n"
        "4 0 obj << /F (notes\\056v\\bs) /EF << /F 6 0 R >> >> endobj\n"
        "7 0 obj << /Type /Filespec /UF <FEFF0061002E006A0073> /EF << /F 8 0 R >> >> endobj\n"
        "9 0 obj << /S /GoToR /F (other.pdf) /D [0 /Fit] >> endobj\n"
        "10 0 obj << /Type /Filespec /F (pay\\(1\\).docm) /EF << /F 11 0 R >> >> endobj\n"
        "12 0 obj << /Type /Filespec /F (e.exe) /EF << /F 13 0 R >> >> endobj\n",
        &o);
    assert_int_equal(o.n_files, DS_PDF_FILES); /* bounded: the fifth is dropped */
    assert_string_equal(o.files[0], "invoice.exe");
    assert_string_equal(o.files[1], "notes.v?s"); /* \b is a backspace, not a letter */
    assert_string_equal(o.files[2], "a.js");
    assert_string_equal(o.files[3], "pay(1).docm");
    assert_false(o.launch);
    /* words inside stream data and comments do not count */
    pdf("%PDF-1.7\n% /Launch /JavaScript\n5 0 obj << /Length 40 >> stream\n"
        "/S /Launch /F (cmd.exe) /JavaScript /OpenAction\nendstream endobj\n",
        &o);
    assert_false(o.launch);
    assert_false(o.javascript);
    assert_false(o.open_action);
    /* a name too long for any key, strings cut short, a stream never ended */
    static const char *const odd[] = {
        "/Launchxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx /F (cmd.exe)",
        "/Launch /F (cmd.exe",
        "/Launch /F <636d64",
        "stream /Launch /F (x.exe)",
        "/EF /F (a\\",
        "/#",
        "/#4",
        "(",
        "<",
        "<<>>",
        "",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(odd); i++)
        pdf(odd[i], &o);
    pdf("/Launchxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx /F (cmd.exe)", &o);
    assert_false(o.launch);
    pdf("/Launch /F (cmd.exe", &o);
    assert_string_equal(o.launch_target, "cmd.exe");
    /* every prefix of a document with all of it */
    static const char full[] =
        "%PDF-1.7\n1 0 obj << /OpenAction << /S /JavaScript /JS (x) >> >> endobj\n"
        "2 0 obj << /S /Launch /F (calc.exe) >> endobj\n"
        "3 0 obj << /Type /Filespec /UF <FEFF0078002E006A0073> /EF << /F 4 0 R >> >> endobj\n"
        "4 0 obj << /Length 3 >> stream\nabc\nendstream endobj\n";
    for (size_t k = 0; k <= strlen(full); k++) {
        uint8_t *p = dup_exact(full, k);
        ds_pdf_scan(p, k, pdfbuf, sizeof pdfbuf, &o);
        free(p);
    }
    assert_int_equal(o.n_files, 1);
    assert_string_equal(o.files[0], "x.js");
}

/* A PDF of the objects in `objs`, put into an object stream with the dictionary entries
 * `filter` (compressed with zlib, or as raw deflate with `raw`), `copies` times, behind an
 * ordinary catalog. */
static size_t pdf_objstm(const char *objs, const char *filter, bool raw, int copies,
                         uint8_t *out, size_t cap)
{
    uint8_t z[4096];
    size_t zl;
    if (raw) {
        z_stream s;
        memset(&s, 0, sizeof s);
        assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
        s.next_in = (Bytef *)(uintptr_t)objs;
        s.avail_in = (uInt)strlen(objs);
        s.next_out = z;
        s.avail_out = sizeof z;
        assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
        zl = sizeof z - s.avail_out;
        deflateEnd(&s);
    } else {
        uLongf l = sizeof z;
        assert_int_equal(compress2(z, &l, (const Bytef *)objs, (uLong)strlen(objs), 9), Z_OK);
        zl = l;
    }
    size_t o = (size_t)snprintf((char *)out, cap, "%%PDF-1.5\n1 0 obj << /Type /Catalog >> endobj\n");
    for (int i = 0; i < copies; i++) {
        o += (size_t)snprintf((char *)out + o, cap - o,
                              "%d 0 obj << /Type /ObjStm /N 1 /First 4 %s /Length %zu >> stream\r\n",
                              5 + i, filter, zl);
        assert_true(o + zl + 32 < cap);
        memcpy(out + o, z, zl);
        o += zl;
        o += (size_t)snprintf((char *)out + o, cap - o, "\r\nendstream\nendobj\n");
    }
    return o;
}

static void pdf_bytes(const uint8_t *d, size_t n, size_t cap, struct ds_pdf *out)
{
    uint8_t *p = dup_exact(d, n);
    ds_pdf_scan(p, n, cap ? pdfbuf : NULL, cap, out);
    free(p);
}

/* Compressed object streams (PDF 1.5): a launch action and an embedded file inside are
 * found; without a buffer they are not; other filters, predictor parameters, data that does
 * not inflate and streams past the eighth are skipped (and said so); the buffer bounds what
 * all of them inflate to; raw deflate and the /Fl abbreviation are read; no object stream
 * inside an object stream is opened; every prefix is safe. */
static void test_pdf_objstm(void **state)
{
    (void)state;
    static uint8_t doc[65536];
    struct ds_pdf o;
    static const char launch[] = "2 0 << /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >>";
    size_t n = pdf_objstm(launch, "/Filter /FlateDecode", false, 1, doc, sizeof doc);
    pdf_bytes(doc, n, sizeof pdfbuf, &o);
    assert_true(o.launch);
    assert_string_equal(o.launch_target, "cmd.exe");
    assert_int_equal(o.objstms, 1);
    assert_int_equal(o.objstm_bytes, strlen(launch));
    assert_false(o.objstm_skipped);
    pdf_bytes(doc, n, 0, &o);
    assert_false(o.launch);
    assert_int_equal(o.objstms, 0);
    assert_true(o.objstm_skipped);
    /* the filter as an array, abbreviated, raw deflate */
    n = pdf_objstm(launch, "/Filter [/FlateDecode]", false, 1, doc, sizeof doc);
    pdf_bytes(doc, n, sizeof pdfbuf, &o);
    assert_true(o.launch);
    n = pdf_objstm(launch, "/Filter /Fl", true, 1, doc, sizeof doc);
    pdf_bytes(doc, n, sizeof pdfbuf, &o);
    assert_true(o.launch);
    /* embedded files inside */
    static const char spec[] = "3 0 << /Type /Filespec /F (invoice.pdf.exe) /EF << /F 4 0 R >> >>";
    n = pdf_objstm(spec, "/Filter /FlateDecode", false, 1, doc, sizeof doc);
    pdf_bytes(doc, n, sizeof pdfbuf, &o);
    assert_int_equal(o.n_files, 1);
    assert_string_equal(o.files[0], "invoice.pdf.exe");
    /* not read: another filter in the chain, predictor parameters, no filter */
    static const char *const skip[] = {"/Filter [/ASCIIHexDecode /FlateDecode]",
                                       "/Filter /FlateDecode /DecodeParms << /Predictor 12 >>",
                                       "/Filter [/AHx /Fl]", ""};
    for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++) {
        n = pdf_objstm(launch, skip[i], false, 1, doc, sizeof doc);
        pdf_bytes(doc, n, sizeof pdfbuf, &o);
        assert_false(o.launch);
        assert_true(o.objstm_skipped);
        assert_int_equal(o.objstms, 0);
    }
    /* data that does not inflate */
    static const char junk[] = "%PDF-1.5\n5 0 obj << /Type /ObjStm /Filter /FlateDecode >> "
                               "stream\nnot deflate at all /Launch\nendstream endobj\n";
    pdf_bytes((const uint8_t *)junk, strlen(junk), sizeof pdfbuf, &o);
    assert_false(o.launch);
    assert_true(o.objstm_skipped);
    /* what an object's dictionary says ends with the object: /Type /ObjStm in one object
     * does not make the next object's stream (an image, a font) one */
    n = pdf_objstm(launch, "/Filter /FlateDecode", false, 1, doc, sizeof doc);
    char *obj5 = strstr((char *)doc, "5 0 obj << /Type /ObjStm");
    assert_non_null(obj5);
    static const char before[] = "%PDF-1.5\n4 0 obj << /Type /ObjStm >> endobj\n";
    static uint8_t doc2[65536];
    memcpy(doc2, before, strlen(before));
    memcpy(doc2 + strlen(before), obj5, n - (size_t)(obj5 - (char *)doc));
    size_t n2 = strlen(before) + n - (size_t)(obj5 - (char *)doc);
    memcpy(strstr((char *)doc2 + strlen(before), "/ObjStm"), "/XObjct", 7);
    pdf_bytes(doc2, n2, sizeof pdfbuf, &o);
    assert_false(o.launch);
    assert_int_equal(o.objstms, 0);
    /* the eighth is read, the ninth is not */
    n = pdf_objstm("2 0 << /Type /Pages >>", "/Filter /FlateDecode", false, 9, doc, sizeof doc);
    pdf_bytes(doc, n, sizeof pdfbuf, &o);
    assert_int_equal(o.objstms, DS_PDF_OBJSTMS);
    assert_true(o.objstm_skipped);
    /* the buffer bounds them all together: 3 streams of 40 bytes in 100 */
    static const char forty[] = "2 0 << /Type /Pages /Kids [ 3 0 R ] >>   ";
    n = pdf_objstm(forty, "/Filter /FlateDecode", false, 3, doc, sizeof doc);
    pdf_bytes(doc, n, 100, &o);
    assert_int_equal(o.objstm_bytes, 100);
    assert_int_equal(o.objstms, 3);
    pdf_bytes(doc, n, 80, &o);
    assert_int_equal(o.objstm_bytes, 80);
    assert_int_equal(o.objstms, 2);
    assert_true(o.objstm_skipped);
    /* an object stream inside one is not opened (the format forbids it) */
    uint8_t inner[4096];
    size_t in = pdf_objstm(launch, "/Filter /FlateDecode", false, 1, inner, sizeof inner);
    char wrapped[8192];
    memcpy(wrapped, inner, in);
    wrapped[in] = 0;
    n = pdf_objstm(wrapped + strlen("%PDF-1.5\n1 0 obj << /Type /Catalog >> endobj\n"),
                   "/Filter /FlateDecode", false, 1, doc, sizeof doc);
    pdf_bytes(doc, n, sizeof pdfbuf, &o);
    assert_false(o.launch);
    assert_int_equal(o.objstms, 1);
    /* every prefix */
    n = pdf_objstm(launch, "/Filter /FlateDecode", false, 2, doc, sizeof doc);
    for (size_t k = 0; k <= n; k++)
        pdf_bytes(doc, k, sizeof pdfbuf, &o);
    assert_true(o.launch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_remote), cmocka_unit_test(test_rels),
        cmocka_unit_test(test_rtf_objects),   cmocka_unit_test(test_rtf_template),
        cmocka_unit_test(test_package),       cmocka_unit_test(test_ole2link),
        cmocka_unit_test(test_pdf),           cmocka_unit_test(test_pdf_objstm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
