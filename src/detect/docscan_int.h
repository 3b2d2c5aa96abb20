/*
 * Helpers shared by the document parsers (docscan.c, docscan_dde.c); not for other modules.
 */
#ifndef MM_DETECT_DOCSCAN_INT_H
#define MM_DETECT_DOCSCAN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool ds_is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline uint16_t ds_le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t ds_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline bool ds_is_letter(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Appends byte c to out (length *k, capacity cap) as printable ASCII: controls, DEL and
 * bytes >= 0x80 become '?'. Keeps out NUL-terminated. */
void ds_put(char *out, size_t cap, size_t *k, uint32_t c);

/* Decodes the XML text v[0..len) (the five predefined entities and character references;
 * anything else is kept as written) into out, printable and cut at cap. */
void ds_xml_value(const uint8_t *v, size_t len, char *out, size_t cap);

/* One attribute of an XML tag: its name as written, its local name (after any namespace
 * prefix) and its raw value (between the quotes, entities not decoded). */
struct ds_xml_attr {
    const uint8_t *name, *local, *value;
    size_t name_len, local_len, value_len;
};

/*
 * The next attribute of the tag whose attributes continue at x[*i]: true with it in *a and
 * *i past it; false at the tag's end ('>' outside quotes; *i there) or the data's (a value
 * without its closing quote is dropped).
 */
bool ds_xml_attr_next(const uint8_t *x, size_t n, size_t *i, struct ds_xml_attr *a);

/* RTF: the next position >= i where the control word \<word> starts, or n; *after: the
 * first byte after the word and the one space that may delimit it. */
size_t ds_find_ctrl(const uint8_t *d, size_t n, size_t i, const char *word, size_t *after);

/* RTF: past the group that opens at d[i] ('{'), escaped braces and nesting counted. */
size_t ds_skip_group(const uint8_t *d, size_t n, size_t i);

/*
 * RTF: a control word or symbol at d[i] (a backslash): its name in word (NUL-terminated, cut
 * at cap), its numeric parameter in *param (-1 when none). Returns the position after it
 * (and after the space delimiting a word).
 */
size_t ds_read_ctrl(const uint8_t *d, size_t n, size_t i, char *word, size_t cap, long *param);

/*
 * RTF text at d[i], a backslash: an escaped \\ \{ \}, a \'hh byte or a \uN character (and its
 * one fallback character) appended to out (length *k, see ds_put); any other control word is
 * dropped. Returns where the text goes on.
 */
size_t ds_rtf_escape(const uint8_t *d, size_t n, size_t i, char *out, size_t cap, size_t *k);

#endif
