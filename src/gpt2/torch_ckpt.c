/* PyTorch checkpoints (zip format) read without running a pickle: see torch_ckpt.h. */
#include "torch_ckpt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint16_t rd16(const unsigned char *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* torch.save's format before PyTorch 1.6: pickles one after another, the first the magic number
 * 0x1950a86a20f9469cfc6c (PROTO 2, LONG1 of 10 bytes) */
static const unsigned char legacy_magic[14] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                               0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

static int is_zip(const unsigned char *b, size_t size)
{
    return size >= 8 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4 && (b[4] | b[5] | b[6] | b[7]) != 0;
}

int pt_is_checkpoint(const void *buf, size_t size)
{
    const unsigned char *b = buf;
    return is_zip(b, size) || (size >= sizeof legacy_magic && memcmp(b, legacy_magic, sizeof legacy_magic) == 0);
}

/* ---- the zip archive (PKWARE's APPNOTE.TXT, sections 4.3.7-4.3.16; zip64: 4.3.14-15, 4.5.3) ---- */

/* A named byte range of the file: a zip entry (its name in the central directory), or a storage of the format
 * before 1.6 (named by its key, in the pickle). Names are not NUL-terminated. */
typedef struct entry {
    const char *name;
    size_t name_len;
    uint64_t data, size; /* the stored bytes: offset in the file, length */
} entry;

static int entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    const size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    const int c = memcmp(x->name, y->name, n);
    return c ? c : x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

static entry *entry_find(entry *e, size_t n, const char *name, size_t len)
{
    const entry key = {name, len, 0, 0};
    return bsearch(&key, e, n, sizeof *e, entry_cmp);
}

#define FAIL(...) do { st = lmp_error_set_at(err, LMP_EFORMAT, label, 0, __VA_ARGS__); goto fail; } while (0)

/* The archive's entries, sorted by name. Every record is checked to lie inside the buffer before it is read;
 * every entry must be stored (method 0, not encrypted), its bytes inside the file. */
static lmp_status zip_read(const unsigned char *b, size_t size, const char *label, entry **out, size_t *nout,
                           lmp_error *err)
{
    lmp_status st = LMP_OK;
    entry *e = NULL;
    *out = NULL;
    *nout = 0;
    /* the end of central directory record: 22 bytes and a comment of up to 65,535, at the end */
    size_t eocd = SIZE_MAX;
    if (size >= 22)
        for (size_t p = size - 22;; p--) {
            if (rd32(b + p) == 0x06054b50u && p + 22 + rd16(b + p + 20) == size) {
                eocd = p;
                break;
            }
            if (p == 0 || size - 22 - p >= 65535) break;
        }
    if (eocd == SIZE_MAX) FAIL("no end of central directory record: a truncated zip archive, or not a PyTorch checkpoint");
    uint64_t count = rd16(b + eocd + 10), cd_size = rd32(b + eocd + 12), cd_off = rd32(b + eocd + 16);
    if (rd16(b + eocd + 4) != 0 || rd16(b + eocd + 6) != 0 || rd16(b + eocd + 8) != rd16(b + eocd + 10))
        FAIL("a zip archive split over several disks: expected one file");
    if (count == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) {
        /* zip64: a locator just before, pointing at the zip64 end of central directory record */
        if (eocd < 20 || rd32(b + eocd - 20) != 0x07064b50u) FAIL("zip64 fields without a zip64 locator");
        const uint64_t z = rd64(b + eocd - 20 + 8);
        if (z > eocd - 20 || eocd - 20 - z < 56 || rd32(b + z) != 0x06064b50u)
            FAIL("the zip64 end of central directory record (at byte %llu) is missing or out of place",
                  (unsigned long long)z);
        count = rd64(b + z + 32);
        cd_size = rd64(b + z + 40);
        cd_off = rd64(b + z + 48);
        if (rd64(b + z + 24) != count) FAIL("a zip archive split over several disks: expected one file");
        eocd = (size_t)z; /* the central directory ends before the zip64 record */
    }
    if (cd_off > eocd || cd_size > eocd - cd_off)
        FAIL("the central directory (%llu bytes at byte %llu) runs past its end record at byte %zu",
              (unsigned long long)cd_size, (unsigned long long)cd_off, eocd);
    if (count > cd_size / 46) FAIL("%llu entries cannot fit a central directory of %llu bytes",
                                    (unsigned long long)count, (unsigned long long)cd_size);
    if (!(e = calloc(count ? (size_t)count : 1, sizeof *e))) {
        st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory for %llu zip entries", label, (unsigned long long)count);
        goto fail;
    }
    const unsigned char *p = b + cd_off, *end = b + cd_off + cd_size;
    for (uint64_t i = 0; i < count; i++) {
        if (end - p < 46 || rd32(p) != 0x02014b50u)
            FAIL("central directory entry %llu (at byte %llu) is not a file header", (unsigned long long)i,
                  (unsigned long long)(p - b));
        const unsigned flags = rd16(p + 8), method = rd16(p + 10), nlen = rd16(p + 28), xlen = rd16(p + 30),
                       clen = rd16(p + 32);
        if ((size_t)(end - p) - 46 < (size_t)nlen + xlen + clen)
            FAIL("central directory entry %llu runs past the directory", (unsigned long long)i);
        uint64_t csize = rd32(p + 20), usize = rd32(p + 24), loc = rd32(p + 42);
        /* zip64 extended information: the 8-byte values of the fields set to 0xffffffff, in this order */
        for (const unsigned char *x = p + 46 + nlen, *xe = x + xlen; xe - x >= 4;) {
            const unsigned id = rd16(x), len = rd16(x + 2);
            if ((size_t)(xe - x) - 4 < len) FAIL("entry %.*s: an extra field runs past its entry", (int)nlen, p + 46);
            if (id == 1) {
                const unsigned char *v = x + 4, *ve = v + len;
                if (usize == 0xffffffffu) {
                    if (ve - v < 8) FAIL("entry %.*s: a short zip64 field", (int)nlen, p + 46);
                    usize = rd64(v), v += 8;
                }
                if (csize == 0xffffffffu) {
                    if (ve - v < 8) FAIL("entry %.*s: a short zip64 field", (int)nlen, p + 46);
                    csize = rd64(v), v += 8;
                }
                if (loc == 0xffffffffu) {
                    if (ve - v < 8) FAIL("entry %.*s: a short zip64 field", (int)nlen, p + 46);
                    loc = rd64(v);
                }
            }
            x += 4 + len;
        }
        if (method != 0 || (flags & 1) || csize != usize)
            FAIL("entry %.*s is %s: expected the stored (uncompressed) entries torch.save writes", (int)nlen, p + 46,
                  flags & 1 ? "encrypted" : "compressed");
        if (loc > cd_off || cd_off - loc < 30 || rd32(b + loc) != 0x04034b50u)
            FAIL("entry %.*s: no local file header at byte %llu", (int)nlen, p + 46, (unsigned long long)loc);
        const uint64_t data = loc + 30 + rd16(b + loc + 26) + rd16(b + loc + 28);
        if (data > cd_off || usize > cd_off - data)
            FAIL("entry %.*s: its %llu bytes at byte %llu run past the end of the data (byte %llu): truncated file?",
                  (int)nlen, p + 46, (unsigned long long)usize, (unsigned long long)data, (unsigned long long)cd_off);
        e[i] = (entry){(const char *)p + 46, nlen, data, usize};
        p += 46 + nlen + xlen + clen;
    }
    qsort(e, (size_t)count, sizeof *e, entry_cmp);
    for (size_t i = 1; i < count; i++)
        if (entry_cmp(&e[i - 1], &e[i]) == 0) FAIL("entry %.*s appears twice", (int)e[i].name_len, e[i].name);
    *out = e;
    *nout = (size_t)count;
    return LMP_OK;
fail:
    free(e);
    return st;
}

/* ---- the pickle (Python's Lib/pickletools.py documents each opcode) ---- */

typedef enum pv_kind {
    PV_MARK, PV_NONE, PV_BOOL, PV_INT, PV_FLOAT, PV_STR, PV_TUPLE, PV_LIST, PV_DICT, PV_GLOBAL, PV_STORAGE, PV_TENSOR
} pv_kind;

/* The globals a state dict needs; any other is refused at GLOBAL. */
enum { G_ORDERED_DICT, G_REBUILD_TENSOR, G_REBUILD_PARAMETER, G_STORAGE };

/* A value. A container holds its items as node indices in an array of its own (a dict's: key, value, key,
 * value, ...). A node is never changed once made except by the opcodes that fill a container (APPEND(S),
 * SETITEM(S)), which append to that array. */
typedef struct pv {
    pv_kind k;
    int g;                /* PV_GLOBAL: G_*; PV_STORAGE, PV_GLOBAL G_STORAGE: st_dtype */
    int64_t i;            /* PV_INT, PV_BOOL; PV_STORAGE: numel; PV_TENSOR: index into the tensor list */
    const char *s;        /* PV_STR (in the pickle); PV_STORAGE: its key */
    size_t len;
    size_t *items, n, cap;/* containers */
} pv;

typedef struct pm {
    const unsigned char *p, *end, *start;
    pv *nodes;
    size_t nn, ncap;
    size_t *stack, sn, scap;
    size_t *memo, nmemo; /* memo index -> node + 1 (0: unset) */
    struct pt_tensor {
        st_dtype dtype;
        int ndim;
        int64_t shape[ST_MAX_DIMS];
        uint64_t count, offset, numel;
        const char *key;
        size_t key_len;
    } *tensors;
    size_t nt, tcap;
    const char *label;
    const char *where; /* "data.pkl, byte" (zip), "byte" (the format before 1.6: offsets in the file) */
    lmp_error *err;
} pm;

static int grow(void **a, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 1;
    size_t c = *cap ? *cap : 16;
    while (c < need) c *= 2;
    void *n = realloc(*a, c * elem);
    if (!n) return 0;
    *a = n;
    *cap = c;
    return 1;
}

static lmp_status pm_fail(pm *m, const char *what)
{
    return lmp_error_set_at(m->err, LMP_EFORMAT, m->label, 0, "%s %zu: %s", m->where, (size_t)(m->p - m->start),
                            what);
}

static lmp_status pm_oom(pm *m) { return lmp_error_set(m->err, LMP_ENOMEM, "%s: out of memory reading the pickle", m->label); }

/* A new node, pushed. 0 or an error. */
static lmp_status pm_push(pm *m, pv v)
{
    if (!grow((void **)&m->nodes, &m->ncap, m->nn + 1, sizeof *m->nodes) ||
        !grow((void **)&m->stack, &m->scap, m->sn + 1, sizeof *m->stack))
        return pm_oom(m);
    m->nodes[m->nn] = v;
    m->stack[m->sn++] = m->nn++;
    return LMP_OK;
}

static lmp_status pm_push_node(pm *m, size_t node)
{
    if (!grow((void **)&m->stack, &m->scap, m->sn + 1, sizeof *m->stack)) return pm_oom(m);
    m->stack[m->sn++] = node;
    return LMP_OK;
}

/* The top of the stack (not a mark), popped. */
static int pm_pop(pm *m, size_t *node)
{
    if (m->sn == 0 || m->nodes[m->stack[m->sn - 1]].k == PV_MARK) return 0;
    *node = m->stack[--m->sn];
    return 1;
}

/* The position of the topmost mark, or SIZE_MAX. */
static size_t pm_mark(const pm *m)
{
    for (size_t i = m->sn; i-- > 0;)
        if (m->nodes[m->stack[i]].k == PV_MARK) return i;
    return SIZE_MAX;
}

static lmp_status pv_append(pm *m, size_t container, size_t item)
{
    pv *c = &m->nodes[container];
    if (!grow((void **)&c->items, &c->cap, c->n + 1, sizeof *c->items)) return pm_oom(m);
    c->items[c->n++] = item;
    return LMP_OK;
}

/* A tuple of the stack's items [from, sn), which are popped. */
static lmp_status pm_tuple(pm *m, size_t from)
{
    pv t = {.k = PV_TUPLE};
    const size_t n = m->sn - from;
    if (n) {
        if (!(t.items = malloc(n * sizeof *t.items))) return pm_oom(m);
        memcpy(t.items, m->stack + from, n * sizeof *t.items);
    }
    t.n = t.cap = n;
    m->sn = from;
    lmp_status st = pm_push(m, t);
    if (st) free(t.items);
    return st;
}

static const struct {
    const char *module, *name;
    int g, dtype;
} allowed[] = {
    {"collections", "OrderedDict", G_ORDERED_DICT, 0},
    {"torch._utils", "_rebuild_tensor_v2", G_REBUILD_TENSOR, 0},
    {"torch._utils", "_rebuild_parameter", G_REBUILD_PARAMETER, 0},
    {"torch", "FloatStorage", G_STORAGE, ST_F32},
    {"torch", "HalfStorage", G_STORAGE, ST_F16},
    {"torch", "BFloat16Storage", G_STORAGE, ST_BF16},
    {"torch", "DoubleStorage", G_STORAGE, ST_F64},
    {"torch", "LongStorage", G_STORAGE, ST_I64},
    {"torch", "IntStorage", G_STORAGE, ST_I32},
    {"torch", "ShortStorage", G_STORAGE, ST_I16},
    {"torch", "CharStorage", G_STORAGE, ST_I8},
    {"torch", "ByteStorage", G_STORAGE, ST_U8},
    {"torch", "BoolStorage", G_STORAGE, ST_BOOL},
};

/* A line of GLOBAL's argument: up to '\n', at most 200 bytes. */
static int pm_line(pm *m, const char **s, size_t *len)
{
    const unsigned char *nl = memchr(m->p, '\n', (size_t)(m->end - m->p) < 201 ? (size_t)(m->end - m->p) : 201);
    if (!nl) return 0;
    *s = (const char *)m->p;
    *len = (size_t)(nl - m->p);
    m->p = nl + 1;
    return 1;
}

static int int_arg(const pm *m, size_t node, int64_t *v)
{
    const pv *x = &m->nodes[node];
    if (x->k != PV_INT && x->k != PV_BOOL) return 0;
    *v = x->i;
    return 1;
}

/* _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
static lmp_status rebuild_tensor(pm *m, const pv *args)
{
    if (args->n < 6 || args->n > 7) return pm_fail(m, "_rebuild_tensor_v2: expected 6 or 7 arguments");
    const pv *s = &m->nodes[args->items[0]], *size = &m->nodes[args->items[2]], *stride = &m->nodes[args->items[3]];
    int64_t off;
    if (s->k != PV_STORAGE) return pm_fail(m, "_rebuild_tensor_v2: the first argument is not a storage");
    if (!int_arg(m, args->items[1], &off) || off < 0)
        return pm_fail(m, "_rebuild_tensor_v2: the storage offset is not a non-negative integer");
    if (size->k != PV_TUPLE || stride->k != PV_TUPLE || size->n != stride->n)
        return pm_fail(m, "_rebuild_tensor_v2: size and stride are not tuples of one length");
    if (size->n > ST_MAX_DIMS) return pm_fail(m, "_rebuild_tensor_v2: more than 8 dimensions");
    struct pt_tensor t = {(st_dtype)s->g, (int)size->n, {0}, 1, (uint64_t)off, (uint64_t)s->i, s->s, s->len};
    int64_t strides[ST_MAX_DIMS];
    for (size_t d = 0; d < size->n; d++) {
        if (!int_arg(m, size->items[d], &t.shape[d]) || t.shape[d] < 0 || !int_arg(m, stride->items[d], &strides[d]))
            return pm_fail(m, "_rebuild_tensor_v2: a size or stride is not an integer (or a size is negative)");
        const uint64_t n = (uint64_t)t.shape[d];
        if (n && t.count > UINT64_MAX / n) return pm_fail(m, "_rebuild_tensor_v2: the size overflows");
        t.count *= n;
    }
    if (t.count > t.numel || t.offset > t.numel - t.count)
        return pm_fail(m, "_rebuild_tensor_v2: the tensor runs past the end of its storage");
    /* row-major: each stride the product of the sizes after it (any stride on a dimension of size 1); the
     * products stay <= count <= numel, an int64 */
    int64_t want = 1;
    for (size_t d = size->n; d-- > 0 && t.count > 1;) {
        if (t.shape[d] > 1 && strides[d] != want)
            return pm_fail(m, "_rebuild_tensor_v2: a tensor that is not contiguous (a transposed or sliced view): "
                              "expected row-major strides, as state_dict() gives");
        want *= t.shape[d];
    }
    if (!grow((void **)&m->tensors, &m->tcap, m->nt + 1, sizeof *m->tensors)) return pm_oom(m);
    m->tensors[m->nt] = t;
    return pm_push(m, (pv){.k = PV_TENSOR, .i = (int64_t)m->nt++});
}

/* An opcode's argument of 1 byte, or of 4 (little-endian) when wide; 0 when the pickle ends first. */
static int pm_arg(pm *m, int wide, uint64_t *n)
{
    const size_t k = wide ? 4 : 1;
    if ((size_t)(m->end - m->p) < k) return 0;
    *n = wide ? rd32(m->p) : *m->p;
    m->p += k;
    return 1;
}

/* Runs the pickle to STOP; *root = the result's node. */
static lmp_status pm_run(pm *m, size_t *root)
{
    lmp_status st = LMP_OK;
#define NEED(k) do { if ((size_t)(m->end - m->p) < (size_t)(k)) return pm_fail(m, "the pickle ends inside an opcode"); } while (0)
#define POP(x) do { if (!pm_pop(m, &(x))) return pm_fail(m, "an opcode finds too few values on the stack"); } while (0)
    for (;;) {
        if (m->p >= m->end) return pm_fail(m, "the pickle ends without STOP");
        const unsigned char op = *m->p++;
        size_t a, b, c, mark;
        uint64_t n;
        switch (op) {
        case 0x80: /* PROTO */
            NEED(1);
            if (*m->p > 5) return pm_fail(m, "a pickle protocol past 5");
            m->p++;
            break;
        case 0x95: /* FRAME (protocol 4): a length, then the frame's opcodes, read as any others */
            NEED(8);
            m->p += 8;
            break;
        case '(': /* MARK */
            if ((st = pm_push(m, (pv){.k = PV_MARK}))) return st;
            break;
        case '.': /* STOP */
            POP(*root);
            return LMP_OK;
        case 'N': /* NONE */
            if ((st = pm_push(m, (pv){.k = PV_NONE}))) return st;
            break;
        case 0x88: /* NEWTRUE */
        case 0x89: /* NEWFALSE */
            if ((st = pm_push(m, (pv){.k = PV_BOOL, .i = op == 0x88}))) return st;
            break;
        case 'K': /* BININT1 */
            NEED(1);
            if ((st = pm_push(m, (pv){.k = PV_INT, .i = m->p[0]}))) return st;
            m->p += 1;
            break;
        case 'M': /* BININT2 */
            NEED(2);
            if ((st = pm_push(m, (pv){.k = PV_INT, .i = rd16(m->p)}))) return st;
            m->p += 2;
            break;
        case 'J': /* BININT: signed 32-bit */
            NEED(4);
            if ((st = pm_push(m, (pv){.k = PV_INT, .i = (int32_t)rd32(m->p)}))) return st;
            m->p += 4;
            break;
        case 0x8a: { /* LONG1: a little-endian two's complement integer of n bytes */
            NEED(1);
            n = *m->p++;
            NEED(n);
            if (n > 8) return pm_fail(m, "an integer wider than 64 bits");
            uint64_t v = 0;
            for (uint64_t k = n; k-- > 0;) v = v << 8 | m->p[k];
            if (n && n < 8 && (m->p[n - 1] & 0x80)) v |= ~(uint64_t)0 << (8 * n); /* sign-extend */
            m->p += n;
            if ((st = pm_push(m, (pv){.k = PV_INT, .i = (int64_t)v}))) return st;
            break;
        }
        case 'G': { /* BINFLOAT: a big-endian double; kept only as a value to skip */
            NEED(8);
            m->p += 8;
            if ((st = pm_push(m, (pv){.k = PV_FLOAT}))) return st;
            break;
        }
        case 'X': /* BINUNICODE */
        case 'T': /* BINSTRING */
        case 0x8c: /* SHORT_BINUNICODE */
        case 'U': /* SHORT_BINSTRING */
            if (!pm_arg(m, op == 'X' || op == 'T', &n)) return pm_fail(m, "the pickle ends inside an opcode");
            NEED(n);
            if ((st = pm_push(m, (pv){.k = PV_STR, .s = (const char *)m->p, .len = (size_t)n}))) return st;
            m->p += n;
            break;
        case ')': /* EMPTY_TUPLE */
            if ((st = pm_tuple(m, m->sn))) return st;
            break;
        case 0x85: /* TUPLE1 */
        case 0x86: /* TUPLE2 */
        case 0x87: /* TUPLE3 */
            n = op - 0x84u;
            if (m->sn < n) return pm_fail(m, "TUPLE: too few values on the stack");
            for (size_t k = m->sn - (size_t)n; k < m->sn; k++)
                if (m->nodes[m->stack[k]].k == PV_MARK) return pm_fail(m, "TUPLE: a mark among its values");
            if ((st = pm_tuple(m, m->sn - (size_t)n))) return st;
            break;
        case 't': /* TUPLE: everything above the mark */
            if ((mark = pm_mark(m)) == SIZE_MAX) return pm_fail(m, "TUPLE without a mark");
            if ((st = pm_tuple(m, mark + 1))) return st;
            /* drop the mark under the new tuple */
            m->stack[mark] = m->stack[mark + 1];
            m->sn = mark + 1;
            break;
        case ']': /* EMPTY_LIST */
        case '}': /* EMPTY_DICT */
            if ((st = pm_push(m, (pv){.k = op == ']' ? PV_LIST : PV_DICT}))) return st;
            break;
        case 'a': /* APPEND */
        case 'e': /* APPENDS */
        case 's': /* SETITEM */
        case 'u': { /* SETITEMS */
            size_t from;
            if (op == 'a' || op == 's') {
                if (m->sn < (op == 'a' ? 2u : 3u)) return pm_fail(m, "APPEND/SETITEM: too few values on the stack");
                from = m->sn - (op == 'a' ? 1 : 2);
            } else {
                if ((mark = pm_mark(m)) == SIZE_MAX || mark == 0) return pm_fail(m, "APPENDS/SETITEMS without a mark");
                from = mark + 1;
            }
            const size_t target = m->stack[op == 'a' || op == 's' ? from - 1 : from - 2];
            const pv_kind want = op == 'a' || op == 'e' ? PV_LIST : PV_DICT;
            if (m->nodes[target].k != want)
                return pm_fail(m, want == PV_LIST ? "APPEND to something that is not a list"
                                                  : "SETITEM on something that is not a dict");
            if (want == PV_DICT && (m->sn - from) % 2) return pm_fail(m, "SETITEMS with an odd number of values");
            for (size_t k = from; k < m->sn; k++) {
                if (m->nodes[m->stack[k]].k == PV_MARK) return pm_fail(m, "a mark among the items");
                if ((st = pv_append(m, target, m->stack[k]))) return st;
            }
            m->sn = op == 'a' || op == 's' ? from : from - 1; /* the items, and the mark */
            break;
        }
        case 'q': /* BINPUT */
        case 'r': /* LONG_BINPUT */
            if (!pm_arg(m, op == 'r', &n)) return pm_fail(m, "the pickle ends inside an opcode");
            if (m->sn == 0) return pm_fail(m, "BINPUT on an empty stack");
            if (n > m->nn + 16) return pm_fail(m, "a memo index far past the values made so far");
            if (n >= m->nmemo) {
                size_t cap = m->nmemo, need = (size_t)n + 1;
                if (!grow((void **)&m->memo, &cap, need, sizeof *m->memo)) return pm_oom(m);
                memset(m->memo + m->nmemo, 0, (cap - m->nmemo) * sizeof *m->memo);
                m->nmemo = cap;
            }
            m->memo[n] = m->stack[m->sn - 1] + 1;
            break;
        case 'h': /* BINGET */
        case 'j': /* LONG_BINGET */
            if (!pm_arg(m, op == 'j', &n)) return pm_fail(m, "the pickle ends inside an opcode");
            if (n >= m->nmemo || !m->memo[n]) return pm_fail(m, "BINGET of a memo entry never set");
            if ((st = pm_push_node(m, m->memo[n] - 1))) return st;
            break;
        case 'c': { /* GLOBAL: "module\nname\n" */
            const char *mod, *name;
            size_t ml, nl;
            if (!pm_line(m, &mod, &ml) || !pm_line(m, &name, &nl)) return pm_fail(m, "GLOBAL: a malformed name");
            int hit = -1;
            for (size_t k = 0; k < sizeof allowed / sizeof *allowed && hit < 0; k++)
                if (strlen(allowed[k].module) == ml && memcmp(allowed[k].module, mod, ml) == 0 &&
                    strlen(allowed[k].name) == nl && memcmp(allowed[k].name, name, nl) == 0)
                    hit = (int)k;
            if (hit < 0) {
                m->p -= ml + nl + 2;
                return lmp_error_set_at(m->err, LMP_EFORMAT, m->label, 0,
                                        "%s %zu: global '%.*s.%.*s' is not one a state dict of tensors needs: "
                                        "refused (a pickle can run any code it names)",
                                        m->where, (size_t)(m->p - m->start) - 1, (int)ml, mod, (int)nl, name);
            }
            const int g = allowed[hit].g;
            if ((st = pm_push(m, (pv){.k = PV_GLOBAL, .g = g == G_STORAGE ? allowed[hit].dtype : g, .i = g}))) return st;
            break;
        }
        case 'Q': { /* BINPERSID: ('storage', storage type, key, location, numel[, view metadata]) */
            POP(a);
            const pv *t = &m->nodes[a];
            if (t->k != PV_TUPLE || t->n < 5 || t->n > 6) return pm_fail(m, "a persistent id that is not a storage");
            const pv *tag = &m->nodes[t->items[0]], *type = &m->nodes[t->items[1]], *key = &m->nodes[t->items[2]];
            int64_t numel;
            if (tag->k != PV_STR || tag->len != 7 || memcmp(tag->s, "storage", 7) != 0 || type->k != PV_GLOBAL ||
                type->i != G_STORAGE || key->k != PV_STR || !int_arg(m, t->items[4], &numel) || numel < 0)
                return pm_fail(m, "a persistent id that is not ('storage', type, key, location, numel)");
            if (t->n == 6 && m->nodes[t->items[5]].k != PV_NONE)
                return pm_fail(m, "a storage view (PyTorch before 1.6's shared views): not supported");
            if ((st = pm_push(m, (pv){.k = PV_STORAGE, .g = type->g, .i = numel, .s = key->s, .len = key->len}))) return st;
            break;
        }
        case 'R': { /* REDUCE: callable(*args) */
            POP(b);
            POP(a);
            const pv *f = &m->nodes[a], *args = &m->nodes[b];
            if (f->k != PV_GLOBAL || args->k != PV_TUPLE) return pm_fail(m, "REDUCE of something not callable here");
            if (f->i == G_ORDERED_DICT) {
                if (args->n != 0) return pm_fail(m, "OrderedDict with arguments");
                if ((st = pm_push(m, (pv){.k = PV_DICT}))) return st;
            } else if (f->i == G_REBUILD_TENSOR) {
                if ((st = rebuild_tensor(m, args))) return st;
            } else if (f->i == G_REBUILD_PARAMETER) { /* (tensor, requires_grad, hooks): the tensor */
                if (args->n != 3 || m->nodes[args->items[0]].k != PV_TENSOR)
                    return pm_fail(m, "_rebuild_parameter: expected (tensor, requires_grad, hooks)");
                if ((st = pm_push_node(m, args->items[0]))) return st;
            } else {
                return pm_fail(m, "REDUCE of a storage type");
            }
            break;
        }
        case 'b': /* BUILD: an object's state; a state dict's is its _metadata (module versions): ignored */
            POP(c);
            if (m->sn == 0 || m->nodes[m->stack[m->sn - 1]].k != PV_DICT)
                return pm_fail(m, "BUILD on something that is not a dict");
            break;
        case '0': /* POP */
            POP(c);
            break;
        case '2': /* DUP */
            if (m->sn == 0) return pm_fail(m, "DUP on an empty stack");
            if ((st = pm_push_node(m, m->stack[m->sn - 1]))) return st;
            break;
        default: {
            char what[96];
            snprintf(what, sizeof what, "opcode 0x%02x is not one torch.save writes for a state dict", op);
            m->p--;
            return pm_fail(m, what);
        }
        }
    }
#undef NEED
#undef POP
}

static void pm_free(pm *m)
{
    for (size_t i = 0; i < m->nn; i++) free(m->nodes[i].items);
    free(m->nodes);
    free(m->stack);
    free(m->memo);
    free(m->tensors);
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

/* The format before PyTorch 1.6 (torch/serialization.py, _legacy_save): five pickles back to back (the magic
 * number, the protocol version 1001, sys_info {protocol_version, little_endian, type_sizes}, the state dict,
 * the sorted list of storage keys), then each storage of that list in its order: its element count (int64,
 * little-endian) and its bytes. Runs the pickles (m reset between them: a memo is one pickle's) and returns
 * the state dict's node, and the storages as entries named by their keys, sorted. */
static lmp_status legacy_read(const unsigned char *b, size_t size, pm *m, size_t *root, entry **out, size_t *nout)
{
    lmp_status st;
    entry *e = NULL;
    size_t r;
    m->start = b;
    m->end = b + size;
    m->p = b + sizeof legacy_magic;
    if (m->p >= m->end || *m->p++ != '.') return pm_fail(m, "the magic number's pickle does not end there");
    for (int k = 0; k < 4; k++) { /* version, sys_info, state dict, keys */
        m->sn = 0;
        if (m->nmemo) memset(m->memo, 0, m->nmemo * sizeof *m->memo);
        if ((st = pm_run(m, &r))) return st;
        const pv *v = &m->nodes[r];
        if (k == 0 && !(v->k == PV_INT && v->i == 1001))
            return pm_fail(m, "the protocol version is not 1001 (PyTorch's format before 1.6)");
        if (k == 1) {
            if (v->k != PV_DICT) return pm_fail(m, "sys_info is not a dict");
            for (size_t i = 0; i + 1 < v->n; i += 2) {
                const pv *key = &m->nodes[v->items[i]], *val = &m->nodes[v->items[i + 1]];
                if (key->k == PV_STR && key->len == 13 && memcmp(key->s, "little_endian", 13) == 0 &&
                    !(val->k == PV_BOOL && val->i == 1))
                    return pm_fail(m, "saved on a big-endian machine: expected little_endian");
            }
        }
        if (k == 2) *root = r;
    }
    const pv *keys = &m->nodes[r];
    if (keys->k != PV_LIST) return pm_fail(m, "the storage keys are not a list");
    if (!(e = calloc(keys->n ? keys->n : 1, sizeof *e))) return pm_oom(m);
    for (size_t i = 0; i < keys->n; i++) {
        const pv *k = &m->nodes[keys->items[i]];
        if (k->k != PV_STR) {
            free(e);
            return pm_fail(m, "a storage key is not a string");
        }
        e[i] = (entry){k->s, k->len, 0, 0};
    }
    qsort(e, keys->n, sizeof *e, entry_cmp);
    for (size_t i = 1; i < keys->n; i++)
        if (entry_cmp(&e[i - 1], &e[i]) == 0) {
            free(e);
            return pm_fail(m, "a storage key listed twice");
        }
    /* each storage's element size, from a tensor that uses it (held in .size until the data is found; a
     * storage two tensors read as different types fails their size check in pt_parse) */
    for (size_t t = 0; t < m->nt; t++) {
        entry *x = entry_find(e, keys->n, m->tensors[t].key, m->tensors[t].key_len);
        if (x) x->size = st_dtype_size(m->tensors[t].dtype);
    }
    /* the data, in the list's order */
    for (size_t i = 0; i < keys->n; i++) {
        const pv *k = &m->nodes[keys->items[i]];
        entry *x = entry_find(e, keys->n, k->s, k->len);
        const size_t es = (size_t)x->size;
        if ((size_t)(m->end - m->p) < 8 || !es) {
            free(e);
            return pm_fail(m, !es ? "a storage no tensor uses" : "the file ends before a storage's data");
        }
        const uint64_t count = rd64(m->p);
        m->p += 8;
        if (count > (uint64_t)(m->end - m->p) / es) {
            free(e);
            return pm_fail(m, "a storage's data runs past the end of the file: truncated?");
        }
        x->data = (uint64_t)(m->p - b);
        x->size = count * es;
        m->p += x->size;
    }
    *out = e;
    *nout = keys->n;
    return LMP_OK;
}

lmp_status pt_parse(const void *buf, size_t size, const char *name, st_file *out, lmp_error *err)
{
    memset(out, 0, sizeof *out);
    const char *label = name ? name : "PyTorch checkpoint";
    const unsigned char *base = buf;
    entry *e = NULL;
    size_t ne = 0, root, plen = 0;
    pm m = {0};
    m.label = label;
    m.err = err;
    st_tensor *sorted = NULL;
    char path[512];
    lmp_status st;
    const int zip = is_zip(base, size);
    if (!zip && !pt_is_checkpoint(buf, size))
        FAIL("not a zip archive: expected a PyTorch checkpoint (torch.save, PyTorch >= 1.6)");
    if (!zip) {
        m.where = "byte";
        if ((st = legacy_read(base, size, &m, &root, &e, &ne))) goto fail;
    } else {
        if ((st = zip_read(base, size, label, &e, &ne, err))) goto fail;
        /* data.pkl, under the archive's one top folder (the file's stem when saved: "pytorch_model/", "archive/") */
        const entry *pkl = NULL;
        for (size_t i = 0; i < ne; i++) {
            const char *slash = memchr(e[i].name, '/', e[i].name_len);
            if (slash && (size_t)(e[i].name + e[i].name_len - slash) == 9 && memcmp(slash, "/data.pkl", 9) == 0 &&
                !memchr(e[i].name, '/', (size_t)(slash - e[i].name))) {
                if (pkl) FAIL("two data.pkl entries (%.*s and %.*s): expected one checkpoint", (int)pkl->name_len,
                              pkl->name, (int)e[i].name_len, e[i].name);
                pkl = &e[i];
            }
        }
        if (!pkl) FAIL("no <folder>/data.pkl entry: a zip archive, but not a PyTorch checkpoint");
        plen = pkl->name_len - 8; /* "<folder>/" */
        if (plen + 64 > sizeof path) FAIL("the archive's folder name is %zu bytes long: expected under 448", plen);
        memcpy(path, pkl->name, plen);
        memcpy(path + plen, "byteorder", 9);
        const entry *bo = entry_find(e, ne, path, plen + 9);
        if (bo && !(bo->size == 6 && memcmp(base + bo->data, "little", 6) == 0))
            FAIL("byteorder is '%.*s': expected 'little' (a checkpoint saved on a big-endian machine)",
                 (int)(bo->size < 16 ? bo->size : 16), (const char *)base + bo->data);
        memcpy(path + plen, "data/", 5); /* storages: <folder>/data/<key> */
        plen += 5;
        m.p = m.start = base + pkl->data;
        m.end = m.p + pkl->size;
        m.where = "data.pkl, byte";
        if ((st = pm_run(&m, &root))) goto fail;
    }
    const pv *d = &m.nodes[root];
    if (d->k != PV_DICT)
        FAIL("the pickle holds no dict: expected a state dict (name -> tensor), as model.state_dict() gives");
    /* the tensors, with their names copied out (the pickle's strings are not NUL-terminated) */
    size_t nt = d->n / 2, chars = 0;
    for (size_t i = 0; i < nt; i++) {
        const pv *k = &m.nodes[d->items[2 * i]], *v = &m.nodes[d->items[2 * i + 1]];
        if (k->k != PV_STR || memchr(k->s, 0, k->len)) FAIL("state dict entry %zu: its key is not a string", i);
        if (v->k != PV_TENSOR)
            FAIL("state dict entry '%.*s' is not a tensor: expected a state dict of tensors (a training checkpoint "
                 "holding one under a key is not read)",
                 (int)(k->len < 200 ? k->len : 200), k->s);
        chars += k->len + 1;
    }
    out->t = calloc(nt ? nt : 1, sizeof *out->t);
    out->strings = malloc(chars ? chars : 1);
    sorted = calloc(nt ? nt : 1, sizeof *sorted);
    if (!out->t || !out->strings || !sorted) {
        st = lmp_error_set(err, LMP_ENOMEM, "%s: out of memory for %zu tensors", label, nt);
        goto fail;
    }
    char *sp = out->strings;
    for (size_t i = 0; i < nt; i++) {
        const pv *k = &m.nodes[d->items[2 * i]];
        const struct pt_tensor *t = &m.tensors[m.nodes[d->items[2 * i + 1]].i];
        st_tensor *o = &out->t[i];
        memcpy(sp, k->s, k->len);
        sp[k->len] = 0;
        o->name = sp;
        sp += k->len + 1;
        /* the storage's bytes: exactly numel elements */
        if (plen + t->key_len > sizeof path) FAIL("tensor '%s': its storage key is %zu bytes long", o->name, t->key_len);
        memcpy(path + plen, t->key, t->key_len);
        const entry *se = entry_find(e, ne, path, plen + t->key_len);
        const size_t es = st_dtype_size(t->dtype);
        if (!se) FAIL("tensor '%s': no storage '%.*s'", o->name, (int)(plen + t->key_len), path);
        if (se->size / es != t->numel || se->size % es)
            FAIL("tensor '%s': its storage '%.*s' holds %llu bytes, expected %llu elements of %zu bytes", o->name,
                 (int)(plen + t->key_len), path, (unsigned long long)se->size, (unsigned long long)t->numel, es);
        o->dtype = t->dtype;
        o->ndim = t->ndim;
        memcpy(o->shape, t->shape, sizeof o->shape);
        o->count = t->count;
        o->begin = se->data + t->offset * es;
        o->end = o->begin + t->count * es;
        o->data = base + o->begin;
    }
    out->n = nt;
    /* distinct names (a pickled dict could repeat a key; Python would keep the last, silently) */
    memcpy(sorted, out->t, nt * sizeof *sorted);
    qsort(sorted, nt, sizeof *sorted, name_cmp);
    for (size_t i = 1; i < nt; i++)
        if (strcmp(sorted[i - 1].name, sorted[i].name) == 0) FAIL("tensor '%s' appears twice", sorted[i].name);
    out->base = base;
    out->size = size;
    free(sorted);
    free(e);
    pm_free(&m);
    return LMP_OK;
fail:
    free(sorted);
    free(e);
    pm_free(&m);
    st_free(out);
    return st;
}
