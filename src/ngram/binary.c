/* lmprob's binary n-gram format: the in-memory layout of ngram_internal.h
 * written section by section (64-byte aligned) behind a 512-byte header, and
 * loaded with one mmap: no parsing, the tables are used from the mapped pages.
 *
 * Header (little-endian, as written by this build; all fields fixed-size):
 *   0   char     magic[8] = "LMPNGRAM"
 *   8   uint32   version (LMP_NGRAM_BINARY_VERSION)
 *   12  uint32   byte-order mark 0x01020304 (reads 0x04030201 on the other byte order)
 *   16  uint32   header size (512), uint32 order
 *   24  uint64   vocab size, vocab table slots, string bytes, file size
 *   56  int32    bos, eos, unk; uint32 flags
 *   72  uint64   counts[9], caps[9]                (index = order)
 *   216 uint64   offsets: uni, vtab, stroff, strings, tab[9], ent[9]
 *   ... zero padding ...
 *   504 uint64   FNV-1a checksum of bytes 0..503
 * A load checks magic, version, byte order, header checksum, the file size
 * (a truncated file names the offset where it ends), every section's bounds
 * and alignment, and the whole vocabulary (offsets, NUL terminators, table
 * ids); the n-gram tables are probed with a bound, so a corrupt table gives
 * wrong numbers but never a crash. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ngram_internal.h"

#define NG_MAGIC "LMPNGRAM"
#define NG_BOM 0x01020304u
#define NG_HEADER_BYTES 512u
#define NG_ALIGN 64u
#define NM (LMP_NGRAM_MAX_ORDER + 1)

typedef struct ng_header {
    char magic[8];
    uint32_t version;
    uint32_t bom;
    uint32_t header_bytes;
    uint32_t order;
    uint64_t vocab_size, vcap, strbytes, file_size;
    int32_t bos, eos, unk;
    uint32_t flags;
    uint64_t counts[NM], caps[NM];
    uint64_t off_uni, off_vtab, off_stroff, off_strings, off_tab[NM], off_ent[NM];
} ng_header;

_Static_assert(sizeof(ng_header) <= NG_HEADER_BYTES - 8, "binary header too large");

int ng_is_binary_magic(const char *buf, size_t n)
{
    return n >= 8 && memcmp(buf, NG_MAGIC, 8) == 0;
}

int lmp_ngram_is_binary_file(const char *path)
{
    char buf[8];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t k = fread(buf, 1, 8, f);
    fclose(f);
    return ng_is_binary_magic(buf, k);
}

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t align_up(uint64_t x)
{
    return (x + NG_ALIGN - 1) & ~(uint64_t)(NG_ALIGN - 1);
}

static void layout(const struct lmp_ngram *m, ng_header *h)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, NG_MAGIC, 8);
    h->version = LMP_NGRAM_BINARY_VERSION;
    h->bom = NG_BOM;
    h->header_bytes = NG_HEADER_BYTES;
    h->order = m->order;
    h->vocab_size = m->vocab_size;
    h->vcap = m->vcap;
    h->strbytes = m->strbytes;
    h->bos = m->bos;
    h->eos = m->eos;
    h->unk = m->unk;
    h->flags = m->flags;
    uint64_t off = NG_HEADER_BYTES;
    h->off_uni = off;
    off = align_up(off + m->vocab_size * sizeof(ng_pb));
    h->off_vtab = off;
    off = align_up(off + m->vcap * sizeof(ng_vslot));
    h->off_stroff = off;
    off = align_up(off + (m->vocab_size + 1) * sizeof(uint64_t));
    h->off_strings = off;
    off = align_up(off + m->strbytes);
    for (unsigned n = 1; n <= m->order; n++) h->counts[n] = m->counts[n];
    for (unsigned n = 2; n <= m->order; n++) {
        h->caps[n] = m->cap[n];
        h->off_tab[n] = off;
        off = align_up(off + m->cap[n] * sizeof(ng_slot));
    }
    for (unsigned n = 2; n <= m->order; n++) {
        h->off_ent[n] = off;
        off = align_up(off + m->counts[n] * sizeof(ng_entry));
    }
    h->file_size = off;
}

static int put(FILE *f, uint64_t *pos, uint64_t at, const void *p, uint64_t n)
{
    static const char zeros[NG_ALIGN];
    while (*pos < at) {
        uint64_t k = at - *pos > NG_ALIGN ? NG_ALIGN : at - *pos;
        if (fwrite(zeros, 1, (size_t)k, f) != k) return -1;
        *pos += k;
    }
    if (n && fwrite(p, 1, (size_t)n, f) != n) return -1;
    *pos += n;
    return 0;
}

lmp_status lmp_ngram_write_binary(const lmp_ngram *m, const char *path, lmp_error *err)
{
    if (strcmp(path, "-") == 0)
        return lmp_error_set(err, LMP_EINVAL, "binary output to stdout: expected a file name (the format is mmapped)");
    ng_header h;
    layout(m, &h);
    unsigned char hb[NG_HEADER_BYTES];
    memset(hb, 0, sizeof hb);
    memcpy(hb, &h, sizeof h);
    uint64_t sum = fnv1a(hb, NG_HEADER_BYTES - 8);
    memcpy(hb + NG_HEADER_BYTES - 8, &sum, 8);
    lmp_atomic_file af;
    lmp_status st = lmp_atomic_open(&af, path, err);
    if (st) return st;
    FILE *f = af.fp;
    uint64_t pos = 0;
    int bad = put(f, &pos, 0, hb, NG_HEADER_BYTES);
    bad = bad || put(f, &pos, h.off_uni, m->uni, m->vocab_size * sizeof(ng_pb));
    bad = bad || put(f, &pos, h.off_vtab, m->vtab, m->vcap * sizeof(ng_vslot));
    bad = bad || put(f, &pos, h.off_stroff, m->stroff, (m->vocab_size + 1) * sizeof(uint64_t));
    bad = bad || put(f, &pos, h.off_strings, m->strings, m->strbytes);
    for (unsigned n = 2; n <= m->order && !bad; n++)
        bad = put(f, &pos, h.off_tab[n], m->tab[n], m->cap[n] * sizeof(ng_slot));
    for (unsigned n = 2; n <= m->order && !bad; n++)
        bad = put(f, &pos, h.off_ent[n], m->ent[n], m->counts[n] * sizeof(ng_entry));
    bad = bad || put(f, &pos, h.file_size, NULL, 0);
    if (bad) {
        int e = errno;
        lmp_atomic_abort(&af);
        return lmp_error_set_at(err, LMP_EIO, path, 0, "write failed: %s", strerror(e));
    }
    return lmp_atomic_commit(&af, err);
}

#define CORRUPT(off, fmt, ...)                                                                             \
    lmp_error_set_at(err, LMP_EFORMAT, path, 0, "corrupt binary model at offset %llu: " fmt,                   \
                     (unsigned long long)(off), __VA_ARGS__)

/* Section [off, off + bytes) must lie inside the file, aligned, after the header. */
static int section_ok(uint64_t off, uint64_t bytes, uint64_t size)
{
    return off >= NG_HEADER_BYTES && off % NG_ALIGN == 0 && off <= size && bytes <= size - off;
}

lmp_status lmp_ngram_load_binary(const char *path, lmp_ngram **out, lmp_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open: %s", strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot stat: %s", strerror(e));
    }
    uint64_t size = (uint64_t)sb.st_size;
    if (size < NG_HEADER_BYTES) {
        close(fd);
        return lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                "truncated binary model: the file ends at offset %llu, inside the %u-byte header",
                                (unsigned long long)size, NG_HEADER_BYTES);
    }
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (map == MAP_FAILED) return lmp_error_set_at(err, LMP_EIO, path, 0, "mmap failed: %s", strerror(e));
    const unsigned char *base = map;
    ng_header h;
    memcpy(&h, base, sizeof h);
    /* Map the page tables of the query sections (everything before the n-gram
     * lists, which only the ARPA writer reads) in one call: faster than a page
     * fault per first touch, and the scorer's prefetches need mapped pages.
     * Kernels before 5.14 lack MADV_POPULATE_READ: then pages fault in lazily. */
    if (h.order >= 2 && h.order <= LMP_NGRAM_MAX_ORDER && h.off_ent[2] > 0 && h.off_ent[2] <= size) {
#ifdef MADV_POPULATE_READ
        if (madvise(map, (size_t)h.off_ent[2], MADV_POPULATE_READ) != 0)
#endif
            madvise(map, (size_t)h.off_ent[2], MADV_WILLNEED);
    }
    lmp_status st = LMP_OK;
    uint64_t sum;
    memcpy(&sum, base + NG_HEADER_BYTES - 8, 8);
    if (memcmp(h.magic, NG_MAGIC, 8) != 0) {
        st = lmp_error_set_at(err, LMP_EFORMAT, path, 0, "not an lmprob binary model (magic at offset 0 is not '%s')",
                              NG_MAGIC);
    } else if (h.bom != NG_BOM) {
        st = lmp_error_set_at(err, LMP_EUNSUPPORTED, path, 0,
                              "binary model written on a machine of the other byte order (mark 0x%08x at offset 12, "
                              "expected 0x%08x): convert it from ARPA on this machine",
                              h.bom, NG_BOM);
    } else if (h.version != LMP_NGRAM_BINARY_VERSION) {
        st = lmp_error_set_at(err, LMP_EUNSUPPORTED, path, 0,
                              "binary model format version %u (offset 8): this build reads version %u; re-create it "
                              "with 'lmprob model convert MODEL.arpa %s'",
                              h.version, LMP_NGRAM_BINARY_VERSION, path);
    } else if (fnv1a(base, NG_HEADER_BYTES - 8) != sum) {
        st = CORRUPT(NG_HEADER_BYTES - 8, "the header checksum does not match the header bytes 0..%u",
                     NG_HEADER_BYTES - 9);
    } else if (h.file_size != size) {
        if (size < h.file_size)
            st = lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                  "truncated binary model: the file ends at offset %llu, expected %llu bytes",
                                  (unsigned long long)size, (unsigned long long)h.file_size);
        else
            st = lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                                  "binary model has %llu bytes, the header says %llu: extra data at offset %llu",
                                  (unsigned long long)size, (unsigned long long)h.file_size,
                                  (unsigned long long)h.file_size);
    } else if (h.order < 1 || h.order > LMP_NGRAM_MAX_ORDER) {
        st = lmp_error_set_at(err, LMP_EUNSUPPORTED, path, 0, "order %u (offset 20): this build handles 1 to %d",
                              h.order, LMP_NGRAM_MAX_ORDER);
    } else if (h.vocab_size < 1 || h.vocab_size >= INT32_MAX || h.counts[1] != h.vocab_size ||
               h.vcap <= h.vocab_size || h.vcap > size / sizeof(ng_vslot) || h.unk < 0 ||
               (uint64_t)h.unk >= h.vocab_size || h.bos >= (int64_t)h.vocab_size || h.eos >= (int64_t)h.vocab_size ||
               h.bos < -1 || h.eos < -1) {
        st = lmp_error_set_at(err, LMP_EFORMAT, path, 0,
                              "corrupt binary model header (offset 24): vocabulary %llu, table %llu, unk %d",
                              (unsigned long long)h.vocab_size, (unsigned long long)h.vcap, h.unk);
    } else if (!section_ok(h.off_uni, h.vocab_size * sizeof(ng_pb), size)) {
        st = CORRUPT(h.off_uni, "unigram section at %llu does not fit the file", (unsigned long long)h.off_uni);
    } else if (!section_ok(h.off_vtab, h.vcap * sizeof(ng_vslot), size)) {
        st = CORRUPT(h.off_vtab, "vocabulary table at %llu does not fit the file", (unsigned long long)h.off_vtab);
    } else if (!section_ok(h.off_stroff, (h.vocab_size + 1) * sizeof(uint64_t), size)) {
        st = CORRUPT(h.off_stroff, "word offsets at %llu do not fit the file", (unsigned long long)h.off_stroff);
    } else if (!section_ok(h.off_strings, h.strbytes, size)) {
        st = CORRUPT(h.off_strings, "word strings at %llu do not fit the file", (unsigned long long)h.off_strings);
    }
    for (unsigned n = 2; !st && n <= h.order; n++) {
        if (h.caps[n] < 2 || h.caps[n] <= h.counts[n] || h.caps[n] % NG_GROUP != 0 ||
            h.counts[n] >= UINT32_MAX / 2 || h.caps[n] > (size / sizeof(ng_slot)))
            st = CORRUPT(216, "order %u: %llu n-grams in %llu slots", n, (unsigned long long)h.counts[n],
                         (unsigned long long)h.caps[n]);
        else if (!section_ok(h.off_tab[n], h.caps[n] * sizeof(ng_slot), size))
            st = CORRUPT(h.off_tab[n], "the %u-gram table at %llu does not fit the file", n,
                         (unsigned long long)h.off_tab[n]);
        else if (!section_ok(h.off_ent[n], h.counts[n] * sizeof(ng_entry), size))
            st = CORRUPT(h.off_ent[n], "the %u-gram list at %llu does not fit the file", n,
                         (unsigned long long)h.off_ent[n]);
    }
    struct lmp_ngram *m = NULL;
    if (!st) {
        m = calloc(1, sizeof *m);
        if (!m) st = lmp_error_set(err, LMP_ENOMEM, "out of memory");
    }
    if (!st) {
        m->order = h.order;
        m->vocab_size = h.vocab_size;
        for (unsigned n = 1; n <= h.order; n++) m->counts[n] = h.counts[n];
        m->uni = (ng_pb *)(void *)(base + h.off_uni);
        m->vtab = (ng_vslot *)(void *)(base + h.off_vtab);
        m->vcap = h.vcap;
        m->stroff = (uint64_t *)(void *)(base + h.off_stroff);
        m->strings = (char *)(base + h.off_strings);
        m->strbytes = h.strbytes;
        for (unsigned n = 2; n <= h.order; n++) {
            m->tab[n] = (ng_slot *)(void *)(base + h.off_tab[n]);
            m->cap[n] = h.caps[n];
            m->ent[n] = (ng_entry *)(void *)(base + h.off_ent[n]);
        }
        m->bos = h.bos;
        m->eos = h.eos;
        m->unk = h.unk;
        m->flags = h.flags;
        m->map = map;
        m->map_len = (size_t)size;
        m->bytes = size;
        m->from_binary = 1;
        /* The vocabulary is checked completely (O(V)): offsets rise, each word
         * ends with its NUL, the table holds valid ids with matching lengths. */
        uint64_t prev = 0;
        if (m->stroff[0] != 0) st = CORRUPT(h.off_stroff, "the first word offset is %llu, expected 0",
                                            (unsigned long long)m->stroff[0]);
        for (uint64_t i = 0; !st && i < m->vocab_size; i++) {
            uint64_t a = m->stroff[i], b = m->stroff[i + 1];
            if (a < prev || b <= a || b > m->strbytes || m->strings[b - 1] != 0 ||
                memchr(m->strings + a, 0, (size_t)(b - a - 1)))
                st = CORRUPT(h.off_stroff + i * 8, "word %llu spans bytes %llu..%llu of %llu string bytes",
                             (unsigned long long)i, (unsigned long long)a, (unsigned long long)b,
                             (unsigned long long)m->strbytes);
            prev = b;
        }
        uint64_t filled = 0;
        for (uint64_t i = 0; !st && i < m->vcap; i++) {
            const ng_vslot *v = &m->vtab[i];
            if (v->id == NG_EMPTY_ID) continue;
            filled++;
            if (v->id >= m->vocab_size || v->len != m->stroff[v->id + 1] - m->stroff[v->id] - 1)
                st = CORRUPT(h.off_vtab + i * sizeof(ng_vslot), "vocabulary slot %llu holds id %u (vocabulary %llu)",
                             (unsigned long long)i, v->id, (unsigned long long)m->vocab_size);
        }
        if (!st && filled != m->vocab_size)
            st = CORRUPT(h.off_vtab, "the vocabulary table holds %llu words, expected %llu",
                         (unsigned long long)filled, (unsigned long long)m->vocab_size);
    }
    if (st) {
        if (m) {
            m->map = NULL; /* unmapped below */
            m->uni = NULL;
            m->vtab = NULL;
            m->stroff = NULL;
            m->strings = NULL;
            for (unsigned n = 2; n <= LMP_NGRAM_MAX_ORDER; n++) {
                m->tab[n] = NULL;
                m->ent[n] = NULL;
            }
            free(m);
        }
        munmap(map, (size_t)size);
        return st;
    }
    *out = m;
    return LMP_OK;
}

lmp_status lmp_ngram_load(const char *path, lmp_ngram_progress_fn progress, void *ctx, lmp_ngram **out, lmp_error *err)
{
    *out = NULL;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "model path is NULL");
    if (strcmp(path, "-") != 0 && lmp_ngram_is_binary_file(path)) return lmp_ngram_load_binary(path, out, err);
    return lmp_ngram_load_arpa(path, progress, ctx, out, err);
}
