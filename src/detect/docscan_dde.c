/*
 * DDE links in documents (docscan.h): Word field codes in WordprocessingML, Word 97-2003 text
 * and RTF, Excel's external DDE links, formulas in CSV and SYLK text. Hostile input is data:
 * every read is checked against the bytes given, each parser passes over its input once (a
 * Word document's pieces read at most as many characters as its stream has bytes and
 * DS_DOC_SLACK more), and what it keeps is bounded (DS_FIELD_CODE bytes of a field's code, DS_FIELD_NEST fields open at
 * once, the first 1 KiB of a CSV cell).
 */
#include "detect/docscan.h"
#include "detect/docscan_int.h"

#include "core/mm.h"

#include <string.h>
#include <strings.h>

#define DS_FIELD_CODE 512 /* bytes of a field's code kept: a DDE command is shorter */
#define DS_FIELD_NEST 8   /* fields open at once (nested in each other's codes) */
/* Characters of a Word document's pieces read beyond the size of its stream (pieces that
 * repeat text are legal): 1 Mi, a few ms of work. */
#define DS_DOC_SLACK (1u << 20)

/* ---- judging a link ----------------------------------------------------------------------- */

/* Windows programs that run a command, a script or a library given to them. */
static const char *const ds_runners[] = {
    "cmd",     "powershell", "pwsh",     "mshta",     "rundll32", "regsvr32", "wscript",
    "cscript", "msiexec",    "certutil", "bitsadmin", "wmic",     "schtasks", "forfiles",
    "conhost", "msbuild",    "cmstp",    "hh",        "bash",     "wsl",      "installutil",
};

/* Office programs: the DDE servers of legitimate links between documents. */
static const char *const ds_office[] = {"excel", "msexcel", "winword", "msaccess", "powerpnt"};

/* What the topic of a link that starts a program carries: a program, a script, a URL. */
static const char *const ds_topic_marks[] = {".exe",  ".ps1",   ".hta", ".bat", ".cmd",
                                             ".vbs",  ".js",    ".scr", ".dll", ".lnk",
                                             "http:", "https:", "\\\\"};

/* The last path component of app, lower case, without ".exe": "c:\windows\cmd.exe" -> "cmd". */
static void ds_app_base(const char *app, char *out, size_t cap)
{
    const char *b = app;
    for (const char *p = app; *p; p++)
        if (*p == '\\' || *p == '/')
            b = p + 1;
    size_t k = 0;
    for (; b[k] && k + 1 < cap; k++)
        out[k] = (char)(b[k] >= 'A' && b[k] <= 'Z' ? b[k] + 32 : b[k]);
    out[k] = 0;
    if (k > 4 && !strcmp(out + k - 4, ".exe"))
        out[k - 4] = 0;
}

static bool ds_in_list(const char *w, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(w, list[i]))
            return true;
    return false;
}

/* Whether s names a runner as a word of its own ("cmd /c", "\cmd.exe"; not "cmdlet-docs"). */
static bool ds_names_runner(const char *s)
{
    for (size_t i = 0; i < sizeof ds_runners / sizeof *ds_runners; i++) {
        size_t k = strlen(ds_runners[i]);
        for (const char *p = s; (p = strcasestr(p, ds_runners[i])) != NULL; p++) {
            bool start = p == s || !ds_is_letter((uint8_t)p[-1]);
            bool end = !ds_is_letter((uint8_t)p[k]);
            if (start && end)
                return true;
        }
    }
    return false;
}

bool ds_dde_runs_program(const struct ds_dde *x)
{
    char base[64];
    ds_app_base(x->app, base, sizeof base);
    if (ds_in_list(base, ds_runners, sizeof ds_runners / sizeof *ds_runners))
        return true;
    if (ds_names_runner(x->topic))
        return true;
    for (size_t i = 0; i < sizeof ds_topic_marks / sizeof *ds_topic_marks; i++)
        if (strcasestr(x->topic, ds_topic_marks[i]))
            return true;
    return x->autoupdate && !ds_in_list(base, ds_office, sizeof ds_office / sizeof *ds_office);
}

/* ---- field codes --------------------------------------------------------------------------- */

/*
 * The next argument of a field code at s[*i]: a "quoted" string or a run of non-blanks, with
 * the field code escapes \\ and \" undone, into out. A switch (\a, \h ...) is returned with
 * its backslash. false at the end of the code.
 */
static bool ds_field_arg(const char *s, size_t *i, char *out, size_t cap)
{
    size_t p = *i, k = 0;
    out[0] = 0;
    while (s[p] == ' ' || s[p] == '\t')
        p++;
    if (!s[p]) {
        *i = p;
        return false;
    }
    bool quoted = s[p] == '"';
    if (quoted)
        p++;
    while (s[p] && (quoted ? s[p] != '"' : s[p] != ' ' && s[p] != '\t')) {
        if (s[p] == '\\' && (s[p + 1] == '\\' || s[p + 1] == '"'))
            p++;
        ds_put(out, cap, &k, (uint8_t)s[p++]);
    }
    if (quoted && s[p] == '"')
        p++;
    *i = p;
    return true;
}

/*
 * A field's code: when its first word is DDE or DDEAUTO (any case), its application and
 * topic into *x. Word's syntax: DDE[AUTO] application topic [item] [switches].
 */
static bool ds_field_dde(const char *code, struct ds_dde *x)
{
    size_t i = 0;
    while (code[i] == ' ' || code[i] == '\t')
        i++;
    size_t w = i;
    while (ds_is_letter((uint8_t)code[i]))
        i++;
    size_t wl = i - w;
    bool aut = wl == 7 && !strncasecmp(code + w, "ddeauto", 7);
    if (!aut && !(wl == 3 && !strncasecmp(code + w, "dde", 3)))
        return false;
    if (code[i] && code[i] != ' ' && code[i] != '\t' && code[i] != '"')
        return false; /* "DDEx...": another word */
    memset(x, 0, sizeof *x);
    x->autoupdate = aut;
    char arg[DS_TARGET_MAX];
    int n = 0;
    while (ds_field_arg(code, &i, arg, sizeof arg)) {
        if (arg[0] == '\\' && ds_is_letter((uint8_t)arg[1])) {
            if ((arg[1] == 'a' || arg[1] == 'A') && !arg[2])
                x->autoupdate = true;
            continue;
        }
        if (n == 0)
            memcpy(x->app, arg, sizeof arg);
        else if (n == 1)
            memcpy(x->topic, arg, sizeof arg);
        n++;
    }
    x->runs_program = ds_dde_runs_program(x);
    return true;
}

/* Keeps the link found in *best: the first, until one that runs a program replaces it.
 * true when the search can stop (one that runs a program is in *best). */
static bool ds_keep(struct ds_dde *best, bool *found, const struct ds_dde *x)
{
    if (!*found || (x->runs_program && !best->runs_program))
        *best = *x;
    *found = true;
    return best->runs_program;
}

/* ---- XML ----------------------------------------------------------------------------------- */

/* A start or end tag at x[i] ('<'): its local name (after any namespace prefix) and where
 * its attributes begin; false for comments, declarations and processing instructions. */
struct ds_tag {
    const uint8_t *name;
    size_t name_len;
    size_t attrs; /* first byte after the name */
    bool end;     /* </name> */
};

static bool ds_tag_at(const uint8_t *x, size_t n, size_t i, struct ds_tag *t)
{
    size_t p = i + 1;
    t->end = p < n && x[p] == '/';
    if (t->end)
        p++;
    if (p >= n || x[p] == '!' || x[p] == '?')
        return false;
    size_t s = p;
    while (p < n && !ds_is_space(x[p]) && x[p] != '>' && x[p] != '/' && x[p] != '<')
        p++;
    const uint8_t *colon = memchr(x + s, ':', p - s);
    t->name = colon ? colon + 1 : x + s;
    t->name_len = (size_t)(x + p - t->name);
    t->attrs = p;
    return true;
}

/* The next start tag at or after x[*i] (comments, declarations and end tags passed over):
 * true with *i at its '<'. */
static bool ds_next_start_tag(const uint8_t *x, size_t n, size_t *i, struct ds_tag *t)
{
    while (*i < n) {
        const uint8_t *lt = memchr(x + *i, '<', n - *i);
        if (!lt)
            break;
        *i = (size_t)(lt - x);
        if (ds_tag_at(x, n, *i, t) && !t->end)
            return true;
        (*i)++;
    }
    *i = n;
    return false;
}

static bool ds_local_is(const uint8_t *nm, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(nm, lit, len) == 0;
}

/*
 * The value of the attribute whose local name is `local` in the tag whose attributes start at
 * x[i], decoded (ds_xml_value) into out. *end: the tag's '>' (or n).
 */
static bool ds_attr(const uint8_t *x, size_t n, size_t i, const char *local, char *out, size_t cap,
                    size_t *end)
{
    bool found = false;
    out[0] = 0;
    struct ds_xml_attr a;
    while (ds_xml_attr_next(x, n, &i, &a)) {
        if (!found && ds_local_is(a.local, a.local_len, local)) {
            ds_xml_value(a.value, a.value_len, out, cap);
            found = true;
        }
    }
    *end = i;
    return found;
}

/* A field being read: its code so far, and whether its code is still being written (no
 * "separate" yet). */
struct ds_field {
    char code[DS_FIELD_CODE];
    size_t len;
    bool open;
};

static bool ds_field_done(struct ds_field *f, struct ds_dde *best, bool *found)
{
    struct ds_dde x;
    f->open = false;
    return ds_field_dde(f->code, &x) && ds_keep(best, found, &x);
}

/* The fields open while a document is read, nested in each other's codes: Word's begin,
 * separate and end marks (fldChar in OOXML, the characters 0x13, 0x14 and 0x15 in the binary
 * format). Each operation returns true when the search can stop (ds_keep). */
struct ds_fields {
    struct ds_field st[DS_FIELD_NEST];
    size_t depth, lost; /* lost: begins past DS_FIELD_NEST, their ends ignored */
    bool found;
};

static void ds_fields_begin(struct ds_fields *fs)
{
    if (fs->depth < DS_FIELD_NEST) {
        struct ds_field *f = &fs->st[fs->depth++];
        f->len = 0;
        f->code[0] = 0;
        f->open = true;
    } else {
        fs->lost++;
    }
}

static bool ds_fields_separate(struct ds_fields *fs, struct ds_dde *out)
{
    struct ds_field *top = fs->depth ? &fs->st[fs->depth - 1] : NULL;
    return !fs->lost && top && top->open && ds_field_done(top, out, &fs->found);
}

static bool ds_fields_end(struct ds_fields *fs, struct ds_dde *out)
{
    if (fs->lost) {
        fs->lost--;
        return false;
    }
    if (!fs->depth)
        return false;
    struct ds_field *top = &fs->st[--fs->depth];
    return top->open && ds_field_done(top, out, &fs->found);
}

/* The innermost field whose code is being written, or NULL (none, or inside a lost one). */
static struct ds_field *ds_fields_writing(struct ds_fields *fs)
{
    if (fs->lost)
        return NULL;
    for (size_t k = fs->depth; k-- > 0;)
        if (fs->st[k].open)
            return &fs->st[k];
    return NULL;
}

/* Fields cut off by the end of the data: their code as far as it came. */
static bool ds_fields_finish(struct ds_fields *fs, struct ds_dde *out)
{
    while (fs->depth--)
        if (fs->st[fs->depth].open && ds_field_done(&fs->st[fs->depth], out, &fs->found))
            return true;
    return fs->found;
}

bool ds_docx_dde(const uint8_t *x, size_t n, struct ds_dde *out)
{
    struct ds_fields fs;
    memset(&fs, 0, sizeof fs);
    char code[DS_FIELD_CODE];
    struct ds_tag t;
    for (size_t i = 0; ds_next_start_tag(x, n, &i, &t);) {
        size_t end;
        if (ds_local_is(t.name, t.name_len, "fldSimple")) {
            if (ds_attr(x, n, t.attrs, "instr", code, sizeof code, &end)) {
                struct ds_dde d;
                if (ds_field_dde(code, &d) && ds_keep(out, &fs.found, &d))
                    return true;
            }
            i = end;
        } else if (ds_local_is(t.name, t.name_len, "fldChar")) {
            char type[16];
            (void)ds_attr(x, n, t.attrs, "fldCharType", type, sizeof type, &end);
            i = end;
            if (!strcmp(type, "begin"))
                ds_fields_begin(&fs);
            else if ((!strcmp(type, "separate") && ds_fields_separate(&fs, out)) ||
                     (!strcmp(type, "end") && ds_fields_end(&fs, out)))
                return true;
        } else if (ds_local_is(t.name, t.name_len, "instrText")) {
            size_t gt = t.attrs;
            while (gt < n && x[gt] != '>')
                gt++;
            if (gt >= n || x[gt - 1] == '/') {
                i = gt;
                continue; /* cut short, or empty */
            }
            const uint8_t *close = memchr(x + gt + 1, '<', n - gt - 1);
            size_t tend = close ? (size_t)(close - x) : n;
            ds_xml_value(x + gt + 1, tend - gt - 1, code, sizeof code);
            i = tend;
            /* the innermost field whose code is being written takes the text; a run
             * outside any field is a code of its own */
            struct ds_field *f = ds_fields_writing(&fs);
            if (!f) {
                struct ds_dde d;
                if (ds_field_dde(code, &d) && ds_keep(out, &fs.found, &d))
                    return true;
                continue;
            }
            size_t add = strlen(code);
            if (add > sizeof f->code - 1 - f->len)
                add = sizeof f->code - 1 - f->len;
            memcpy(f->code + f->len, code, add);
            f->len += add;
            f->code[f->len] = 0;
        } else {
            i = t.attrs;
        }
    }
    return ds_fields_finish(&fs, out);
}

bool ds_xlsx_dde(const uint8_t *x, size_t n, struct ds_dde *out)
{
    bool found = false;
    struct ds_tag t;
    for (size_t i = 0; ds_next_start_tag(x, n, &i, &t);) {
        if (!ds_local_is(t.name, t.name_len, "ddeLink")) {
            i = t.attrs;
            continue;
        }
        /* both attributes in one pass over the tag (the first of each name counts) */
        struct ds_dde d;
        memset(&d, 0, sizeof d);
        bool svc = false, topic = false;
        struct ds_xml_attr a;
        for (i = t.attrs; ds_xml_attr_next(x, n, &i, &a);) {
            if (!svc && ds_local_is(a.local, a.local_len, "ddeService")) {
                ds_xml_value(a.value, a.value_len, d.app, sizeof d.app);
                svc = true;
            } else if (!topic && ds_local_is(a.local, a.local_len, "ddeTopic")) {
                ds_xml_value(a.value, a.value_len, d.topic, sizeof d.topic);
                topic = true;
            }
        }
        if (!svc)
            continue;
        d.runs_program = ds_dde_runs_program(&d);
        if (ds_keep(out, &found, &d))
            return true;
    }
    return found;
}

/* ---- formulas in text spreadsheets ------------------------------------------------------ */

#define DS_APP_MAX 64 /* bytes of an application name before '|' looked back at */

static bool ds_app_char(uint8_t c)
{
    return ds_is_letter(c) || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '\\' ||
           c == ':' || c == '/' || c == '-';
}

/* A formula's DDE reference around the '|' at f[bar] (f[0..n) is the formula): the
 * application is the run of name characters before it, the topic a 'quoted' string (''
 * for a quote) or the text up to '!', which must follow. *stop: where reading the topic
 * ended (a '|' before it is part of that topic: the search for the next goes on from there,
 * so a formula is read once). */
static bool ds_formula_bar(const uint8_t *f, size_t n, size_t bar, struct ds_dde *x, size_t *stop)
{
    *stop = bar + 1;
    size_t a = bar;
    while (a > 0 && bar - a < DS_APP_MAX && ds_app_char(f[a - 1]))
        a--;
    if (a == bar)
        return false;
    size_t p = bar + 1, k = 0;
    while (p < n && f[p] == ' ')
        p++;
    memset(x, 0, sizeof *x);
    if (p < n && f[p] == '\'') {
        for (p++; p < n; p++) {
            if (f[p] == '\'' && p + 1 < n && f[p + 1] == '\'')
                p++;
            else if (f[p] == '\'')
                break;
            ds_put(x->topic, sizeof x->topic, &k, f[p]);
        }
        if (p >= n) {
            *stop = n;
            return false;
        }
        p++;
    } else {
        for (; p < n && f[p] != '!' && f[p] != ',' && f[p] != ';'; p++)
            ds_put(x->topic, sizeof x->topic, &k, f[p]);
    }
    *stop = p;
    if (p >= n || f[p] != '!')
        return false;
    /* the blanks around a command line are not part of what it runs */
    size_t b = 0;
    while (x->topic[b] == ' ')
        b++;
    while (k > b && x->topic[k - 1] == ' ')
        k--;
    memmove(x->topic, x->topic + b, k - b);
    x->topic[k - b] = 0;
    k = 0;
    for (size_t i = a; i < bar; i++)
        ds_put(x->app, sizeof x->app, &k, f[i]);
    return true;
}

/* The next "string" argument of DDE(...) at f[*p]: its text into out. */
static bool ds_formula_str(const uint8_t *f, size_t n, size_t *p, char *out, size_t cap)
{
    size_t i = *p, k = 0;
    out[0] = 0;
    while (i < n && (f[i] == ' ' || f[i] == ';' || f[i] == ','))
        i++;
    if (i >= n || f[i] != '"')
        return false;
    for (i++; i < n && f[i] != '"'; i++)
        ds_put(out, cap, &k, f[i]);
    *p = i < n ? i + 1 : n;
    return i < n;
}

/* A formula f[0..n) (the text after its = + - @, or a SYLK expression): true with its first
 * DDE reference, preferring one that starts a program. */
static bool ds_formula_dde(const uint8_t *f, size_t n, struct ds_dde *out)
{
    bool found = false;
    struct ds_dde x;
    for (size_t i = 0; i < n; i++) {
        if (f[i] == '|') {
            size_t stop;
            if (ds_formula_bar(f, n, i, &x, &stop)) {
                x.runs_program = ds_dde_runs_program(&x);
                if (ds_keep(out, &found, &x))
                    return true;
            }
            if (stop > i + 1)
                i = stop - 1;
            continue;
        }
        /* DDE("application";"topic";"item"), as LibreOffice writes it */
        if ((f[i] == 'D' || f[i] == 'd') && i + 4 <= n &&
            !strncasecmp((const char *)f + i, "dde(", 4) && (i == 0 || !ds_app_char(f[i - 1]))) {
            size_t p = i + 4;
            memset(&x, 0, sizeof x);
            if (ds_formula_str(f, n, &p, x.app, sizeof x.app) &&
                ds_formula_str(f, n, &p, x.topic, sizeof x.topic)) {
                x.runs_program = ds_dde_runs_program(&x);
                if (ds_keep(out, &found, &x))
                    return true;
            }
            i = p - 1; /* its arguments are read once */
        }
    }
    return found;
}

static bool ds_csv_sep(uint8_t c)
{
    return c == ',' || c == ';' || c == '\t';
}

/* A CSV/TSV line l[0..len): each cell that begins (after blanks, and inside its quotes, ""
 * undone) with = + - or @ is a formula. */
static bool ds_csv_line(const uint8_t *l, size_t len, struct ds_dde *out, bool *found)
{
    uint8_t cell[1024];
    struct ds_dde x;
    for (size_t c = 0; c < len;) {
        while (c < len && (l[c] == ' ' || l[c] == '\t'))
            c++;
        size_t k = 0;
        if (c < len && l[c] == '"') {
            for (c++; c < len; c++) {
                if (l[c] == '"' && (c + 1 >= len || l[c + 1] != '"'))
                    break; /* the closing quote */
                if (l[c] == '"')
                    c++; /* "" is a quote */
                if (k < sizeof cell)
                    cell[k++] = l[c];
            }
            while (c < len && !ds_csv_sep(l[c]))
                c++;
        } else {
            /* a formula's own quotes and parentheses may hold separators (=cmd|'/c a,b'!A0,
             * and in a TSV file =DDE("cmd","/c a","b")): read past them, more than Excel may */
            bool sq = false, dq = false;
            size_t par = 0;
            for (; c < len && (sq || dq || par || !ds_csv_sep(l[c])); c++) {
                if (l[c] == '\'' && !dq)
                    sq = !sq;
                else if (l[c] == '"' && !sq)
                    dq = !dq;
                else if (!sq && !dq && l[c] == '(')
                    par++;
                else if (!sq && !dq && l[c] == ')' && par)
                    par--;
                if (k < sizeof cell)
                    cell[k++] = l[c];
            }
        }
        c++; /* the separator */
        if (k > 1 && (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@') &&
            ds_formula_dde(cell + 1, k - 1, &x) && ds_keep(out, found, &x))
            return true;
    }
    return false;
}

bool ds_text_dde(const uint8_t *d, size_t n, struct ds_dde *out)
{
    if (n > DS_TEXT_DDE_BYTES)
        n = DS_TEXT_DDE_BYTES;
    bool found = false;
    struct ds_dde x;
    for (size_t ln = 0; ln < n;) {
        const uint8_t *nl = memchr(d + ln, '\n', n - ln);
        size_t end = nl ? (size_t)(nl - d) : n;
        const uint8_t *l = d + ln;
        size_t len = end - ln;
        ln = end + 1;
        /* a quick no for the lines of plain data: a DDE reference has a '|' or "DDE(" */
        if (!memchr(l, '|', len) && !memchr(l, '(', len))
            continue;
        if (len > 2 && l[0] == 'C' && l[1] == ';') {
            /* SYLK: C;X1;Y1;E<expression>, no '=' before it (taken to the end of the line) */
            for (size_t i = 1; i + 1 < len; i++) {
                if (l[i] == ';' && l[i + 1] == 'E') {
                    if (ds_formula_dde(l + i + 2, len - i - 2, &x) && ds_keep(out, &found, &x))
                        return true;
                    break;
                }
            }
            continue;
        }
        if (ds_csv_line(l, len, out, &found))
            return true;
    }
    return found;
}

/* ---- RTF ----------------------------------------------------------------------------------- */

/*
 * The text of the \fldinst destination whose content starts at d[i], up to the close of the
 * group holding it: control words dropped, \'hh and \uN decoded, \\ \{ \} taken as
 * characters, nested groups read through except ignorable destinations ({\*...}). Returns
 * where reading stopped.
 */
static size_t ds_rtf_fldinst(const uint8_t *d, size_t n, size_t i, char *out, size_t cap)
{
    size_t k = 0, depth = 1;
    out[0] = 0;
    while (i < n) {
        uint8_t c = d[i];
        if (c == '}') {
            i++;
            if (--depth == 0)
                break;
            continue;
        }
        if (c == '{') {
            if (i + 2 < n && d[i + 1] == '\\' && d[i + 2] == '*') {
                i = ds_skip_group(d, n, i);
                continue;
            }
            depth++;
            i++;
            continue;
        }
        if (c == '\r' || c == '\n') {
            i++;
            continue;
        }
        if (c != '\\') {
            ds_put(out, cap, &k, c);
            i++;
            continue;
        }
        i = ds_rtf_escape(d, n, i, out, cap, &k);
    }
    return i;
}

bool ds_rtf_dde(const uint8_t *d, size_t n, struct ds_dde *out)
{
    bool found = false;
    char code[DS_FIELD_CODE];
    size_t after;
    /* each destination is read once: the next search starts where it ended */
    for (size_t i = 0; (i = ds_find_ctrl(d, n, i, "fldinst", &after)) < n;) {
        size_t stop = ds_rtf_fldinst(d, n, after, code, sizeof code);
        struct ds_dde x;
        if (ds_field_dde(code, &x) && ds_keep(out, &found, &x))
            return true;
        i = stop > after ? stop : after;
    }
    return found;
}

/* ---- Word 97-2003 binary documents ---------------------------------------------------------- */

bool ds_doc_fib(const uint8_t *wd, size_t n, struct ds_doc_fib *fib)
{
    memset(fib, 0, sizeof *fib);
    /* FibBase ([MS-DOC] 2.5.2): wIdent, then at 0x0A the flags with fEncrypted (bit 8),
     * fWhichTblStm (bit 9) and fObfuscated (bit 15) */
    if (n < 34 || ds_le16(wd) != 0xA5EC)
        return false;
    uint16_t flags = ds_le16(wd + 0x0A);
    if (flags & 0x0100)
        return false; /* encrypted: the text cannot be read (fObfuscated counts only with it) */
    fib->table = (flags & 0x0200) ? 1 : 0;
    /* csw, FibRgW97, cslw, FibRgLw97, cbRgFcLcb, then FibRgFcLcb97 (2.5.1): fcClx and lcbClx
     * are its 34th pair (0x1A2 and 0x1A6 in the usual Word 97 FIB) */
    size_t p = 32 + 2 + 2 * (size_t)ds_le16(wd + 32);
    if (p + 2 > n)
        return false;
    p += 2 + 4 * (size_t)ds_le16(wd + p);
    if (p + 2 > n || ds_le16(wd + p) < 34)
        return false;
    p += 2 + 33 * 8;
    if (p + 8 > n)
        return false;
    fib->fc_clx = ds_le32(wd + p);
    fib->lcb_clx = ds_le32(wd + p + 4);
    return fib->lcb_clx > 0;
}

bool ds_doc_dde(const uint8_t *wd, size_t wd_len, const uint8_t *clx, size_t clx_len,
                struct ds_dde *out, bool *limited)
{
    *limited = false;
    /* Clx (2.9.38): Prc entries (0x01, cbGrpprl, GrpPrl) to pass over, then the Pcdt (0x02,
     * lcb, PlcPcd): n + 1 character positions and n piece descriptors of 8 bytes. */
    size_t p = 0;
    while (p < clx_len && clx[p] == 0x01) {
        if (p + 3 > clx_len)
            return false;
        int16_t cb = (int16_t)ds_le16(clx + p + 1);
        if (cb < 0)
            return false;
        p += 3 + (size_t)cb;
    }
    if (p + 5 > clx_len || clx[p] != 0x02)
        return false;
    uint32_t lcb = ds_le32(clx + p + 1);
    const uint8_t *plc = clx + p + 5;
    if (lcb < 16 || (lcb - 4) % 12 != 0 || lcb > clx_len - p - 5)
        return false; /* malformed, or cut short: the descriptors follow all positions */
    size_t pieces = (lcb - 4) / 12;
    struct ds_fields fs;
    memset(&fs, 0, sizeof fs);
    /* Pieces may overlap or repeat in hostile data: the characters read are bounded by the
     * stream's size (each real character takes at least one byte of it) and DS_DOC_SLACK
     * more; a text cut there is *limited. */
    size_t budget = wd_len + DS_DOC_SLACK;
    for (size_t i = 0; i < pieces; i++) {
        uint32_t cp0 = ds_le32(plc + 4 * i), cp1 = ds_le32(plc + 4 * (i + 1));
        if (cp1 <= cp0)
            continue;
        const uint8_t *pcd = plc + 4 * (pieces + 1) + 8 * i;
        uint32_t fc = ds_le32(pcd + 2);
        bool compressed = fc & 0x40000000u; /* FcCompressed (2.9.73): 8-bit characters */
        fc &= 0x3FFFFFFFu;
        size_t off = compressed ? fc / 2 : fc, width = compressed ? 1 : 2;
        if (off >= wd_len)
            continue;
        size_t count = MM_MIN((size_t)(cp1 - cp0), (wd_len - off) / width);
        if (count > budget) {
            count = budget;
            *limited = true;
        }
        budget -= count;
        for (size_t k = 0; k < count; k++) {
            uint32_t c = compressed ? wd[off + k] : ds_le16(wd + off + 2 * k);
            if (c == 0x13) {
                ds_fields_begin(&fs);
            } else if (c == 0x14 || c == 0x15) {
                if (c == 0x14 ? ds_fields_separate(&fs, out) : ds_fields_end(&fs, out))
                    return true;
            } else {
                struct ds_field *f = ds_fields_writing(&fs);
                if (f)
                    ds_put(f->code, sizeof f->code, &f->len, c);
            }
        }
        if (*limited)
            break;
    }
    return ds_fields_finish(&fs, out);
}
