/* lmprob's binary n-gram files: a 4 KiB header with a section directory, then
 * the sections (64-byte aligned), loaded with one mmap: nothing is parsed or
 * copied, the query reads the mapped pages. Two layouts share the container:
 * "hashed" (this file: the in-memory layout of ngram_internal.h, fastest) and
 * "trie" (trie.c: bit-packed, compact).
 *
 * Header (little-endian, as written by this build; all fields fixed-size):
 *   0    char     magic[8] = "LMPNGRAM"
 *   8    uint32   version (LMP_NGRAM_BINARY_VERSION)
 *   12   uint32   byte-order mark 0x01020304 (reads 0x04030201 on the other byte order)
 *   16   uint32   header size (4096), order, layout (1 hashed, 2 trie), flags
 *   32   uint64   vocabulary size, vocabulary table slots, string bytes, file size
 *   64   int32    <s>, </s>, <unk> ids; uint32 metadata records
 *   80   uint64   counts[9] (index = order), table slots[9] (hashed)
 *   224  uint32   sections in use, uint32 0
 *   232  uint64   layout parameters[64] (trie: bit widths, see trie.c)
 *   744  section directory[48]: uint64 offset, bytes, checksum (ng_checksum of the bytes)
 *   ...  zero padding
 *   4088 uint64   FNV-1a checksum of bytes 0..4087
 *
 * Checks. Every load: magic, version, byte order, header checksum, the file
 * size (a truncated file names the offset where it ends), every section inside
 * the file and aligned, and the checksums of the small sections it reads
 * whole anyway (vocabulary, unigrams, metadata; O(V)), plus the vocabulary's
 * structure. The large n-gram sections are not read at load (that would cost
 * the time the format saves): their probes are bounded, so a corrupt table
 * gives wrong numbers, never a crash, and `lmprob model verify`
 * (lmp_ngram_verify) recomputes every checksum and checks their structure. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/bigmem.h"
#include "ngram_internal.h"

#define NG_MAGIC "LMPNGRAM"
#define NG_BOM 0x01020304u
#define NG_ALIGN 64u

_Static_assert(sizeof(ng_header) <= NG_HEADER_BYTES - 8, "binary header too large");
/* the offsets the comment above and docs/ngram-model.md give */
_Static_assert(offsetof(ng_header, vocab_size) == 32 && offsetof(ng_header, bos) == 64 &&
                   offsetof(ng_header, counts) == 80 && offsetof(ng_header, caps) == 152 &&
                   offsetof(ng_header, n_sections) == 224 && offsetof(ng_header, params) == 232 &&
                   offsetof(ng_header, sec) == 744,
               "binary header layout");
_Static_assert(sizeof(ng_trie_params) <= sizeof(((ng_header *)0)->params), "trie parameters too large");

int ng_is_binary_magic(const char *buf, size_t n)
{
    return n >= 8 && memcmp(buf, NG_MAGIC, 8) == 0;
}

lmp_status ng_probe_binary(const char *path, int *is_binary, lmp_error *err)
{
    /* A binary model is mapped, so it is a regular file. Anything else (a pipe,
     * a FIFO, /dev/fd/N of a process substitution) is read once as ARPA text:
     * opening it here would eat its first bytes, or wait for a second writer. */
    *is_binary = 0;
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return LMP_OK;
    char buf[8];
    FILE *f = fopen(path, "rb");
    if (!f) return LMP_OK;
    size_t k = fread(buf, 1, 8, f);
    int failed = k < 8 && ferror(f);
    int e = errno;
    fclose(f);
    if (failed) return lmp_error_set_at(err, LMP_EIO, path, 0, "read failed: %s", strerror(e));
    *is_binary = ng_is_binary_magic(buf, k);
    return LMP_OK;
}

int lmp_ngram_is_binary_file(const char *path)
{
    int is_binary;
    return ng_probe_binary(path, &is_binary, NULL) == LMP_OK && is_binary;
}

/* FNV-1a over the header's bytes 0 .. NG_HEADER_BYTES - 9 (the layout table above). */
uint64_t ng_header_checksum(const void *header)
{
    const unsigned char *p = header;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < NG_HEADER_BYTES - 8; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* Checksum of a section: four lanes of 64-bit words, each step (h ^ w) * odd
 * then a rotation, which is a bijection of the lane for a fixed word, so any
 * change of one word changes the result; the lanes and the tail are mixed at
 * the end. About 8 bytes per cycle: verifying a 200 MB model reads it at
 * memory speed. */
uint64_t ng_checksum(const void *data, uint64_t n)
{
    const unsigned char *p = data;
    uint64_t h[4] = {0x9e3779b97f4a7c15ULL, 0xc2b2ae3d27d4eb4fULL, 0x165667b19e3779f9ULL, 0x27d4eb2f165667c5ULL};
    uint64_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int k = 0; k < 4; k++) {
            uint64_t w;
            memcpy(&w, p + i + 8 * k, 8);
            h[k] = (h[k] ^ w) * 0x9fb21c651e98df25ULL;
            h[k] = (h[k] << 29) | (h[k] >> 35);
        }
    uint64_t t = 0, r = n ^ 0xa0761d6478bd642fULL;
    for (unsigned s = 0; i < n; i++, s++) {
        t |= (uint64_t)p[i] << (8 * (s & 7));
        if ((s & 7) == 7 || i + 1 == n) {
            r = (r ^ ng_fmix(t)) * 0xe7037ed1a0b428dbULL;
            t = 0;
        }
    }
    for (int k = 0; k < 4; k++) r = (r ^ ng_fmix(h[k] + (uint64_t)k)) * 0x8ebc6af09c88c6e3ULL;
    return ng_fmix(r);
}

static uint64_t align_up(uint64_t x)
{
    return (x + NG_ALIGN - 1) & ~(uint64_t)(NG_ALIGN - 1);
}

void ng_header_init(ng_header *h, const struct lmp_ngram *m, uint32_t layout)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, NG_MAGIC, 8);
    h->version = LMP_NGRAM_BINARY_VERSION;
    h->bom = NG_BOM;
    h->header_bytes = NG_HEADER_BYTES;
    h->order = m->order;
    h->layout = layout;
    h->flags = m->flags;
    h->vocab_size = m->vocab_size;
    h->vcap = m->vcap;
    h->strbytes = m->strbytes;
    h->bos = m->bos;
    h->eos = m->eos;
    h->unk = m->unk;
    h->n_meta = m->n_meta;
    for (unsigned n = 1; n <= m->order; n++) h->counts[n] = m->counts[n];
}

/* The vocabulary and metadata sections every layout begins with. */
void ng_common_sections(const struct lmp_ngram *m, ng_wsec *s)
{
    s[NG_SEC_UNI] = (ng_wsec){m->uni, m->vocab_size * sizeof(ng_pb)};
    s[NG_SEC_VTAB] = (ng_wsec){m->vtab, m->vcap * sizeof(ng_vslot)};
    s[NG_SEC_STROFF] = (ng_wsec){m->stroff, (m->vocab_size + 1) * sizeof(uint64_t)};
    s[NG_SEC_STRINGS] = (ng_wsec){m->strings, m->strbytes};
    s[NG_SEC_META] = (ng_wsec){m->meta, m->meta_bytes};
}

lmp_status ng_write_sections(const char *path, ng_header *h, const ng_wsec *s, unsigned nsec, lmp_error *err)
{
    if (strcmp(path, "-") == 0)
        return lmp_error_set(err, LMP_EINVAL, "binary output to stdout: expected a file name (the format is mmapped)");
    if (nsec > NG_MAX_SECTIONS) return lmp_error_set(err, LMP_EINVAL, "%u sections: at most %d", nsec, NG_MAX_SECTIONS);
    uint64_t off = NG_HEADER_BYTES;
    h->n_sections = nsec;
    for (unsigned i = 0; i < nsec; i++) {
        h->sec[i].off = off;
        h->sec[i].bytes = s[i].bytes;
        h->sec[i].sum = ng_checksum(s[i].data, s[i].bytes);
        off = align_up(off + s[i].bytes);
    }
    h->file_size = off;
    unsigned char *hb = calloc(1, NG_HEADER_BYTES);
    if (!hb) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    memcpy(hb, h, sizeof *h);
    uint64_t sum = ng_header_checksum(hb);
    memcpy(hb + NG_HEADER_BYTES - 8, &sum, 8);
    lmp_atomic_file af;
    lmp_status st = lmp_atomic_open(&af, path, err);
    if (st) {
        free(hb);
        return st;
    }
    static const char zeros[NG_ALIGN];
    int bad = fwrite(hb, 1, NG_HEADER_BYTES, af.fp) != NG_HEADER_BYTES;
    uint64_t pos = NG_HEADER_BYTES;
    for (unsigned i = 0; i < nsec && !bad; i++) {
        while (pos < h->sec[i].off && !bad) {
            uint64_t k = h->sec[i].off - pos > NG_ALIGN ? NG_ALIGN : h->sec[i].off - pos;
            bad = fwrite(zeros, 1, (size_t)k, af.fp) != k;
            pos += k;
        }
        if (s[i].bytes && !bad) bad = fwrite(s[i].data, 1, (size_t)s[i].bytes, af.fp) != s[i].bytes;
        pos += s[i].bytes;
    }
    while (pos < h->file_size && !bad) {
        uint64_t k = h->file_size - pos > NG_ALIGN ? NG_ALIGN : h->file_size - pos;
        bad = fwrite(zeros, 1, (size_t)k, af.fp) != k;
        pos += k;
    }
    free(hb);
    if (bad) {
        int e = errno;
        lmp_atomic_abort(&af);
        return lmp_error_set_at(err, LMP_EIO, path, 0, "write failed: %s", strerror(e));
    }
    return lmp_atomic_commit(&af, err);
}

lmp_status lmp_ngram_write_binary(const lmp_ngram *m, const char *path, lmp_error *err)
{
    if (!m || !path) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_write_binary: NULL model or path");
    if (m->trie) return ng_trie_to_hashed_write(m, path, err);
    ng_header h;
    ng_header_init(&h, m, NG_LAYOUT_HASHED);
    ng_wsec s[NG_MAX_SECTIONS];
    ng_common_sections(m, s);
    unsigned k = NG_SEC_COMMON;
    for (unsigned n = 2; n <= m->order; n++) {
        h.caps[n] = m->cap[n];
        s[k++] = (ng_wsec){m->tab[n], m->cap[n] * sizeof(ng_slot)};
    }
    for (unsigned n = 2; n <= m->order; n++) s[k++] = (ng_wsec){m->ent[n], m->counts[n] * sizeof(ng_entry)};
    return ng_write_sections(path, &h, s, k, err);
}

/* Section index of the hashed layout's n-gram table / list of order n. */
static unsigned sec_tab(unsigned n) { return NG_SEC_COMMON + n - 2; }
static unsigned sec_ent(const ng_header *h, unsigned n) { return NG_SEC_COMMON + h->order - 1 + n - 2; }

static const char *const common_names[NG_SEC_COMMON] = {"unigrams", "vocabulary table", "word offsets", "words",
                                                        "metadata"};

void ng_section_name(const ng_header *h, unsigned i, char *buf, size_t cap)
{
    if (i < NG_SEC_COMMON) snprintf(buf, cap, "%s", common_names[i]);
    else if (h->layout == NG_LAYOUT_TRIE) ng_trie_section_name(h, i, buf, cap);
    else if (i < NG_SEC_COMMON + h->order - 1) snprintf(buf, cap, "%u-gram table", i - NG_SEC_COMMON + 2);
    else snprintf(buf, cap, "%u-gram list", i - (NG_SEC_COMMON + h->order - 1) + 2);
}

#define CORRUPT(off, fmt, ...)                                                                             \
    lmp_error_set_at(err, LMP_EFORMAT, path, 0, "corrupt binary model at offset %llu: " fmt,                   \
                     (unsigned long long)(off), __VA_ARGS__)

/* Check the header and the section directory of a file of `size` bytes whose first
 * min(size, NG_HEADER_BYTES) bytes are at hb; the header into *h. */
static lmp_status check_header(const char *path, const unsigned char *hb, uint64_t size, ng_header *h, lmp_error *err)
{
    memset(h, 0, sizeof *h);
    if (size < 16) /* hb is not read: too short for the magic, the version and the byte-order mark */
        return lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                "truncated binary model: the file ends at offset %llu, inside the %u-byte header",
                                (unsigned long long)size, NG_HEADER_BYTES);
    memcpy(h, hb, size < sizeof *h ? (size_t)size : sizeof *h);
    lmp_status st = LMP_OK;
    uint64_t sum = 0;
    if (size >= NG_HEADER_BYTES) memcpy(&sum, hb + NG_HEADER_BYTES - 8, 8);
    if (memcmp(h->magic, NG_MAGIC, 8) != 0) {
        st = lmp_error_set_at(err, LMP_EFORMAT, path, 0, "not an lmprob binary model (magic at offset 0 is not '%s')",
                              NG_MAGIC);
    } else if (h->bom != NG_BOM) {
        st = lmp_error_set_at(err, LMP_EUNSUPPORTED, path, 0,
                              "binary model written on a machine of the other byte order (mark 0x%08x at offset 12, "
                              "expected 0x%08x): convert it from ARPA on this machine",
                              h->bom, NG_BOM);
    } else if (h->version != LMP_NGRAM_BINARY_VERSION) {
        st = lmp_error_set_at(err, LMP_EUNSUPPORTED, path, 0,
                              "binary model format version %u (offset 8): this build reads version %u; re-create it "
                              "with 'lmprob model convert MODEL.arpa %s'",
                              h->version, LMP_NGRAM_BINARY_VERSION, path);
    } else if (size < NG_HEADER_BYTES) {
        st = lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                              "truncated binary model: the file ends at offset %llu, inside the %u-byte header",
                              (unsigned long long)size, NG_HEADER_BYTES);
    } else if (ng_header_checksum(hb) != sum) {
        st = CORRUPT(NG_HEADER_BYTES - 8, "the header checksum does not match the header bytes 0..%u",
                     NG_HEADER_BYTES - 9);
    } else if (h->file_size != size) {
        if (size < h->file_size)
            st = lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                  "truncated binary model: the file ends at offset %llu, expected %llu bytes",
                                  (unsigned long long)size, (unsigned long long)h->file_size);
        else
            st = lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                  "binary model has %llu bytes, the header says %llu: extra data at offset %llu",
                                  (unsigned long long)size, (unsigned long long)h->file_size,
                                  (unsigned long long)h->file_size);
    } else if (h->order < 1 || h->order > LMP_NGRAM_MAX_ORDER) {
        st = lmp_error_set_at(err, LMP_EUNSUPPORTED, path, 0, "order %u (offset 20): this build handles 1 to %d",
                              h->order, LMP_NGRAM_MAX_ORDER);
    } else if (h->layout != NG_LAYOUT_HASHED && h->layout != NG_LAYOUT_TRIE) {
        st = CORRUPT(24, "layout %u: expected 1 (hashed) or 2 (trie)", h->layout);
    } else if (h->n_sections < NG_SEC_COMMON || h->n_sections > NG_MAX_SECTIONS) {
        st = CORRUPT(224, "%u sections: expected %d to %d", h->n_sections, NG_SEC_COMMON, NG_MAX_SECTIONS);
    }
    for (unsigned i = 0; !st && i < h->n_sections; i++) {
        const ng_section *s = &h->sec[i];
        if (s->off < NG_HEADER_BYTES || s->off % NG_ALIGN != 0 || s->off > size || s->bytes > size - s->off) {
            char name[64];
            ng_section_name(h, i, name, sizeof name);
            st = CORRUPT(744 + 24 * (uint64_t)i, "section %u (%s) at %llu, %llu bytes, does not fit the file", i, name,
                         (unsigned long long)s->off, (unsigned long long)s->bytes);
        }
    }
    return st;
}

/* Map the file (its hot part is populated by the caller) and check the header and the section directory. */
static lmp_status map_file(const char *path, void **map_out, uint64_t *size_out, ng_header *h, lmp_error *err)
{
    void *map;
    size_t size;
    lmp_status st = mem_map_file(path, 0, &map, &size, err);
    if (st) return st;
    if ((st = check_header(path, map, size, h, err))) { /* a file under 16 bytes too: its message */
        if (map) munmap(map, size);
        return st;
    }
    *map_out = map;
    *size_out = size;
    return LMP_OK;
}

/* Checksum of section i against the directory: LMP_OK or an error naming it. */
lmp_status ng_check_section(const char *path, const ng_header *h, const unsigned char *data, unsigned i,
                            lmp_error *err)
{
    const ng_section *s = &h->sec[i]; /* data: its bytes */
    uint64_t got = ng_checksum(data, s->bytes);
    if (got == s->sum) return LMP_OK;
    char name[64];
    ng_section_name(h, i, name, sizeof name);
    return CORRUPT(s->off, "section %u (%s, %llu bytes) has checksum %016llx, the header says %016llx: the file is "
                   "damaged; re-create it",
                   i, name, (unsigned long long)s->bytes, (unsigned long long)got, (unsigned long long)s->sum);
}

/* The bytes between the sections and after the last one are the writer's
 * zero padding (ng_write_sections): verify checks them too, so that a flipped
 * byte anywhere after the header is found, not only inside a section. */
static lmp_status check_padding(const char *path, const ng_header *h, const unsigned char *base, uint64_t size,
                                lmp_error *err)
{
    unsigned idx[NG_MAX_SECTIONS], n = h->n_sections;
    for (unsigned i = 0; i < n; i++) { /* by offset (insertion sort: at most 48) */
        unsigned j = i;
        for (; j > 0 && h->sec[idx[j - 1]].off > h->sec[i].off; j--) idx[j] = idx[j - 1];
        idx[j] = i;
    }
    uint64_t pos = NG_HEADER_BYTES;
    for (unsigned k = 0; k <= n; k++) {
        uint64_t end = k < n ? h->sec[idx[k]].off : size;
        for (; pos < end; pos++)
            if (base[pos])
                return CORRUPT(pos, "byte 0x%02x in the padding %s: expected 0: the file is damaged; re-create it",
                               base[pos], k < n ? "before a section" : "after the last section");
        if (k < n && h->sec[idx[k]].off + h->sec[idx[k]].bytes > pos) pos = h->sec[idx[k]].off + h->sec[idx[k]].bytes;
    }
    return LMP_OK;
}

/* The metadata section's records (its checksum checked before), at meta. */
static lmp_status check_meta(const char *path, const ng_header *h, const char *meta, lmp_error *err)
{
    if (ng_meta_valid(meta, h->sec[NG_SEC_META].bytes, h->n_meta)) return LMP_OK;
    return CORRUPT(h->sec[NG_SEC_META].off, "the metadata section does not hold %u records", h->n_meta);
}

/* The common sections: checksums, then the vocabulary's structure (O(V)). */
static lmp_status load_common(const char *path, const ng_header *h, unsigned char *base, struct lmp_ngram *m,
                              lmp_error *err)
{
    lmp_status st = LMP_OK;
    if (h->vocab_size < 1 || h->vocab_size >= INT32_MAX || h->counts[1] != h->vocab_size || h->vcap <= h->vocab_size ||
        h->unk < 0 || (uint64_t)h->unk >= h->vocab_size || h->bos >= (int64_t)h->vocab_size ||
        h->eos >= (int64_t)h->vocab_size || h->bos < -1 || h->eos < -1 ||
        h->sec[NG_SEC_UNI].bytes != h->vocab_size * sizeof(ng_pb) ||
        h->vcap > h->sec[NG_SEC_VTAB].bytes / sizeof(ng_vslot) || /* before the product, which could wrap */
        h->sec[NG_SEC_VTAB].bytes != h->vcap * sizeof(ng_vslot) ||
        h->sec[NG_SEC_STROFF].bytes != (h->vocab_size + 1) * sizeof(uint64_t) ||
        h->sec[NG_SEC_STRINGS].bytes != h->strbytes)
        return lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                "corrupt binary model header (offset 32): vocabulary %llu, table %llu, unk %d",
                                (unsigned long long)h->vocab_size, (unsigned long long)h->vcap, h->unk);
    for (unsigned i = 0; !st && i < NG_SEC_COMMON; i++) st = ng_check_section(path, h, base + h->sec[i].off, i, err);
    if (st) return st;
    m->order = h->order;
    m->vocab_size = h->vocab_size;
    for (unsigned n = 1; n <= h->order; n++) m->counts[n] = h->counts[n];
    m->uni = (void *)(base + h->sec[NG_SEC_UNI].off);
    m->vtab = (void *)(base + h->sec[NG_SEC_VTAB].off);
    m->vcap = h->vcap;
    m->stroff = (void *)(base + h->sec[NG_SEC_STROFF].off);
    m->strings = (char *)base + h->sec[NG_SEC_STRINGS].off;
    m->strbytes = h->strbytes;
    m->meta = (char *)base + h->sec[NG_SEC_META].off;
    m->meta_bytes = h->sec[NG_SEC_META].bytes;
    m->n_meta = h->n_meta;
    m->bos = h->bos;
    m->eos = h->eos;
    m->unk = h->unk;
    m->flags = h->flags;
    if ((st = check_meta(path, h, m->meta, err))) return st;
    /* offsets rise, each word ends with its NUL, the table holds valid ids with matching lengths */
    uint64_t prev = 0, off_stroff = h->sec[NG_SEC_STROFF].off, off_vtab = h->sec[NG_SEC_VTAB].off;
    if (m->stroff[0] != 0)
        return CORRUPT(off_stroff, "the first word offset is %llu, expected 0", (unsigned long long)m->stroff[0]);
    for (uint64_t i = 0; i < m->vocab_size; i++) {
        uint64_t a = m->stroff[i], b = m->stroff[i + 1];
        if (a < prev || b <= a || b > m->strbytes || m->strings[b - 1] != 0 ||
            memchr(m->strings + a, 0, (size_t)(b - a - 1)))
            return CORRUPT(off_stroff + i * 8, "word %llu spans bytes %llu..%llu of %llu string bytes",
                           (unsigned long long)i, (unsigned long long)a, (unsigned long long)b,
                           (unsigned long long)m->strbytes);
        prev = b;
    }
    uint64_t filled = 0;
    for (uint64_t i = 0; i < m->vcap; i++) {
        const ng_vslot *v = &m->vtab[i];
        if (v->id == NG_EMPTY_ID) continue;
        filled++;
        if (v->id >= m->vocab_size || v->len != m->stroff[v->id + 1] - m->stroff[v->id] - 1)
            return CORRUPT(off_vtab + i * sizeof(ng_vslot), "vocabulary slot %llu holds id %u (vocabulary %llu)",
                           (unsigned long long)i, v->id, (unsigned long long)m->vocab_size);
    }
    if (filled != m->vocab_size)
        return CORRUPT(off_vtab, "the vocabulary table holds %llu words, expected %llu", (unsigned long long)filled,
                       (unsigned long long)m->vocab_size);
    return LMP_OK;
}

static lmp_status load_hashed(const char *path, const ng_header *h, unsigned char *base, struct lmp_ngram *m,
                              lmp_error *err)
{
    if (h->n_sections != NG_SEC_COMMON + 2 * (h->order - 1))
        return CORRUPT(224, "%u sections: the hashed layout of order %u has %u", h->n_sections, h->order,
                       NG_SEC_COMMON + 2 * (h->order - 1));
    for (unsigned n = 2; n <= h->order; n++) {
        const ng_section *t = &h->sec[sec_tab(n)], *e = &h->sec[sec_ent(h, n)];
        if (h->caps[n] < 2 || h->caps[n] <= h->counts[n] || h->caps[n] % NG_GROUP != 0 ||
            h->counts[n] >= UINT32_MAX / 2 || h->caps[n] > t->bytes / sizeof(ng_slot) ||
            t->bytes != h->caps[n] * sizeof(ng_slot) ||
            e->bytes != h->counts[n] * sizeof(ng_entry))
            return CORRUPT(80, "order %u: %llu n-grams in %llu slots (sections of %llu and %llu bytes)", n,
                           (unsigned long long)h->counts[n], (unsigned long long)h->caps[n],
                           (unsigned long long)t->bytes, (unsigned long long)e->bytes);
        m->tab[n] = (void *)(base + t->off);
        m->cap[n] = h->caps[n];
        m->ent[n] = (void *)(base + e->off);
    }
    return LMP_OK;
}

/* Forget the mapped pointers (the mapping is released by the caller). */
static void drop_mapped(struct lmp_ngram *m)
{
    if (m->meta_owned) free(m->meta);
    ng_trie_free(m->trie);
    memset(m, 0, sizeof *m);
}

lmp_status lmp_ngram_load_binary(const char *path, lmp_ngram **out, lmp_error *err)
{
    *out = NULL;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "model path is NULL");
    void *map;
    uint64_t size;
    ng_header h;
    lmp_status st = map_file(path, &map, &size, &h, err);
    if (st) return st;
    /* The model's arrays point into the mapping, PROT_READ: typed for the builders that fill their own
     * (struct lmp_ngram), they are never written once a model is made, and a write here would fault. */
    unsigned char *base = map;
    /* Map the page tables of the query sections (everything before the
     * hashed layout's n-gram lists, which only the ARPA writer reads) in one
     * call: faster than a page fault per first touch, and the scorer's
     * prefetches need mapped pages. Kernels before 5.14 lack
     * MADV_POPULATE_READ: then pages fault in lazily. */
    uint64_t hot = h.layout == NG_LAYOUT_HASHED && h.order >= 2 ? h.sec[sec_ent(&h, 2)].off : size;
    if (hot > size) hot = size;
#ifdef MADV_POPULATE_READ
    if (madvise(map, (size_t)hot, MADV_POPULATE_READ) != 0)
#endif
        madvise(map, (size_t)hot, MADV_WILLNEED);
    struct lmp_ngram *m = calloc(1, sizeof *m);
    if (!m) st = lmp_error_set(err, LMP_ENOMEM, "out of memory");
    if (!st) st = load_common(path, &h, base, m, err);
    if (!st) st = h.layout == NG_LAYOUT_HASHED ? load_hashed(path, &h, base, m, err)
                                                : ng_trie_load(path, &h, base, m, err);
    if (st) {
        if (m) {
            drop_mapped(m);
            free(m);
        }
        munmap(map, (size_t)size);
        return st;
    }
    m->map = map;
    m->map_len = (size_t)size;
    m->bytes = size;
    m->from_binary = 1;
    *out = m;
    return LMP_OK;
}

/* n bytes at offset off of fd into buf; 0, or -1 with errno (0 at the end of the file). */
static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    for (size_t done = 0; done < n;) {
        ssize_t k = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            if (k == 0) errno = 0;
            return -1;
        }
        done += (size_t)k;
    }
    return 0;
}

lmp_status ng_binary_peek_meta(const char *path, struct lmp_ngram *m, int *peeked, lmp_error *err)
{
    *peeked = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open: %s", strerror(errno));
    unsigned char *hb = calloc(1, NG_HEADER_BYTES);
    char *meta = NULL;
    ng_header h;
    struct stat sb;
    lmp_status st = LMP_OK;
    if (!hb) {
        st = lmp_error_set(err, LMP_ENOMEM, "out of memory");
    } else if (fstat(fd, &sb) != 0) {
        st = lmp_error_set_at(err, LMP_EIO, path, 0, "cannot stat: %s", strerror(errno));
    } else {
        uint64_t size = (uint64_t)sb.st_size;
        if (size >= 16 && read_at(fd, hb, size < NG_HEADER_BYTES ? (size_t)size : NG_HEADER_BYTES, 0))
            st = lmp_error_set_at(err, LMP_EIO, path, 0, "cannot read the header: %s",
                                  errno ? strerror(errno) : "the file shrank");
        if (!st) st = check_header(path, hb, size, &h, err);
    }
    const ng_section *ms = &h.sec[NG_SEC_META];
    if (!st && ms->bytes <= NG_PEEK_META_MAX) {
        if (!(meta = malloc(ms->bytes ? (size_t)ms->bytes : 1)))
            st = lmp_error_set(err, LMP_ENOMEM, "out of memory");
        else if (read_at(fd, meta, (size_t)ms->bytes, ms->off))
            st = lmp_error_set_at(err, LMP_EIO, path, 0, "cannot read the metadata section: %s",
                                  errno ? strerror(errno) : "the file shrank");
        if (!st) st = ng_check_section(path, &h, (const unsigned char *)meta, NG_SEC_META, err);
        if (!st) st = check_meta(path, &h, meta, err);
        if (!st) {
            m->meta = meta;
            m->meta_bytes = ms->bytes;
            m->n_meta = h.n_meta;
            m->meta_owned = 1;
            meta = NULL;
            *peeked = 1;
        }
    }
    free(meta);
    free(hb);
    close(fd);
    return st;
}

lmp_status lmp_ngram_verify(const char *path, lmp_ngram_verify_fn report, void *ctx, lmp_error *err)
{
    if (!path) return lmp_error_set(err, LMP_EINVAL, "model path is NULL");
    int is_binary = 0;
    if (strcmp(path, "-") != 0) {
        lmp_status pst = ng_probe_binary(path, &is_binary, err);
        if (pst) return pst;
    }
    if (!is_binary) {
        /* ARPA: no checksums; reading it whole checks every line */
        lmp_ngram *m;
        lmp_status st = lmp_ngram_load_arpa(path, NULL, NULL, &m, err);
        if (st) return st;
        /* the bytes read, as the binary sections' sizes are in the file (it reported 0 bytes) */
        if (report) report(ctx, "ARPA text", 0, m->arpa_file_bytes, 1);
        lmp_ngram_free(m);
        return LMP_OK;
    }
    void *map;
    uint64_t size;
    ng_header h;
    lmp_status st = map_file(path, &map, &size, &h, err);
    if (st) return st;
    const unsigned char *base = map;
    for (unsigned i = 0; !st && i < h.n_sections; i++) {
        st = ng_check_section(path, &h, base + h.sec[i].off, i, err);
        if (report) {
            char name[64];
            ng_section_name(&h, i, name, sizeof name);
            report(ctx, name, h.sec[i].off, h.sec[i].bytes, st == LMP_OK);
        }
    }
    if (!st) {
        st = check_padding(path, &h, base, size, err);
        if (report) report(ctx, "padding", 0, 0, st == LMP_OK);
    }
    munmap(map, (size_t)size);
    if (st) return st;
    /* the checksums hold: now the structure the scorer relies on */
    lmp_ngram *m;
    if ((st = lmp_ngram_load_binary(path, &m, err))) return st;
    if (m->trie) st = ng_trie_check(path, m, err);
    else {
        for (unsigned n = 2; !st && n <= m->order; n++) {
            uint64_t used = 0;
            for (uint64_t s = 0; s < m->cap[n]; s++) used += m->tab[n][s].key != 0;
            if (used < m->counts[n] || used + 1 > m->cap[n])
                st = lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                      "the %u-gram table holds %llu keys in %llu slots for %llu n-grams", n,
                                      (unsigned long long)used, (unsigned long long)m->cap[n],
                                      (unsigned long long)m->counts[n]);
            for (uint64_t i = 0; !st && i < m->counts[n]; i++) {
                const ng_entry *e = &m->ent[n][i];
                if (e->slot >= m->cap[n] || m->tab[n][e->slot].key == 0 || e->word >= m->vocab_size ||
                    e->prefix >= m->counts[n - 1])
                    st = lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                          "%u-gram %llu of the list refers to slot %u, word %u, context %u", n,
                                          (unsigned long long)i, e->slot, e->word, e->prefix);
            }
        }
    }
    if (!st && report) report(ctx, "structure", 0, 0, 1);
    lmp_ngram_free(m);
    return st;
}

lmp_status lmp_ngram_load(const char *path, lmp_progress_fn progress, void *ctx, lmp_ngram **out, lmp_error *err)
{
    *out = NULL;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "model path is NULL");
    int is_binary = 0;
    if (strcmp(path, "-") != 0) {
        lmp_status st = ng_probe_binary(path, &is_binary, err);
        if (st) return st;
    }
    if (is_binary) return lmp_ngram_load_binary(path, out, err);
    return lmp_ngram_load_arpa(path, progress, ctx, out, err);
}
