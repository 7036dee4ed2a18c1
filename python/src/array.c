/* Arrays in and out through the buffer protocol (PEP 3118), and numpy's C API when it is there.
 *
 * In: any exporter (numpy arrays, memoryviews, array.array, bytes) is read in
 * place, with its strides; objects without the protocol (lists, torch tensors)
 * go through numpy.asarray when numpy is importable (a CPU torch tensor's
 * __array__ shares its memory), else a nested list of numbers becomes a
 * float64 copy.
 *
 * Out: lmprob._Buffer, a block of memory with a format and a shape that exports
 * itself through the buffer protocol; numpy.asarray of it is an ndarray over the
 * same memory (its .base is the block), so a result is written once, where it
 * stays.
 *
 * numpy's C API (LMPY_NUMPY_API: the module was built with numpy's headers, and the
 * numpy imported at run time has a compatible ABI) is a faster road for the same
 * arrays: an ndarray is read from its own fields, and a result is made as an ndarray
 * at once. On the chapter's small inputs the buffer road was most of a call: this road
 * alone took lmprob.softmax of 7 logits from 0.55 to 0.22 us and lmprob.entropy of 5
 * numbers from 0.33 to 0.20 us (docs/python.md, "Arrays in and out" and "Speed").
 * Without the headers, with a numpy of another ABI (numpy 2
 * for a module built against numpy 1), or with LMPROB_PY_NUMPY_API=0 in the
 * environment, the buffer protocol does it all: the same arrays, values and errors.
 * Anything the fast road does not take as it is (another dtype, a byte-swapped or
 * read-only array where a writable one is wanted, an ndarray subclass) goes the buffer
 * protocol's way, so every message comes from one place. */
#include "lmpy.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef LMPY_NUMPY_API
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
#endif

/* ---- numpy, when there ---------------------------------------------------------------- */

static PyObject *np_mod;   /* numpy, once imported */
static PyObject *np_asarray;
static int np_tried;
static int np_api;         /* numpy's C API is usable (import_array succeeded) */

PyObject *lmpy_numpy(void)
{
    if (!np_tried) {
        np_tried = 1;
        np_mod = PyImport_ImportModule("numpy");
        if (np_mod) np_asarray = PyObject_GetAttrString(np_mod, "asarray");
        if (!np_mod || !np_asarray) {
            Py_CLEAR(np_mod);
            Py_CLEAR(np_asarray);
            PyErr_Clear();
        }
#ifdef LMPY_NUMPY_API
        const char *env = getenv("LMPROB_PY_NUMPY_API");
        if (np_mod && !(env && strcmp(env, "0") == 0)) {
            /* _import_array checks numpy's ABI and API versions against the headers' */
            np_api = _import_array() == 0;
            if (!np_api) PyErr_Clear();
        }
#endif
    }
    return np_mod;
}

int lmpy_numpy_api(void)
{
    lmpy_numpy();
    return np_api;
}

/* ---- lmprob._Buffer --------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    void *data;
    size_t cap; /* bytes at data */
    int ndim;
    char format[2];
    Py_ssize_t itemsize;
    Py_ssize_t shape[LMPY_MAXDIM];
    Py_ssize_t strides[LMPY_MAXDIM];
} lmpy_block;

/* The memory of the last two large results freed, kept for the next ones. A result of a
 * vocabulary (402 KB for 50257 doubles) is above malloc's mmap threshold, and between two
 * calls numpy's own temporaries come and go: glibc then maps the next result afresh and it
 * is paid for page by page (lmprob.softmax of 50257 doubles, alternated with the chapter's
 * numpy softmax: 164 page faults and 102 us a call, against 58 us alone). A block that is
 * reused has its pages already. Only results of SPARE_MIN to SPARE_MAX bytes are kept, a
 * slot is reused for a request of at least half its size, and everything here runs under
 * the GIL (results are made and freed by Python code). */
enum { SPARE_MIN = 1 << 16, SPARE_MAX = 1 << 24 };
static struct spare {
    void *p;
    size_t cap;
} spare[2];

static void *block_alloc(size_t bytes, size_t *cap)
{
    if (bytes >= SPARE_MIN / 2)
        for (int i = 0; i < 2; i++)
            if (spare[i].p && spare[i].cap >= bytes && spare[i].cap / 2 <= bytes) {
                void *p = spare[i].p;
                *cap = spare[i].cap;
                spare[i].p = NULL;
                return p;
            }
    *cap = bytes;
    return PyMem_RawMalloc(bytes);
}

static void block_dealloc(lmpy_block *b)
{
    void *p = b->data;
    if (p && b->cap >= SPARE_MIN && b->cap <= SPARE_MAX) {
        int slot = !spare[0].p ? 0 : !spare[1].p ? 1 : spare[0].cap <= spare[1].cap ? 0 : 1;
        PyMem_RawFree(spare[slot].p); /* the smaller of two kept blocks makes room */
        spare[slot].p = p;
        spare[slot].cap = b->cap;
        p = NULL;
    }
    PyMem_RawFree(p);
    Py_TYPE(b)->tp_free((PyObject *)b);
}

static int block_getbuffer(lmpy_block *b, Py_buffer *view, int flags)
{
    (void)flags; /* always a writable, C-contiguous array with shape and strides */
    Py_ssize_t n = 1;
    for (int i = 0; i < b->ndim; i++) n *= b->shape[i];
    view->buf = b->data;
    view->obj = Py_NewRef((PyObject *)b);
    view->len = n * b->itemsize;
    view->readonly = 0;
    view->itemsize = b->itemsize;
    view->format = b->format;
    view->ndim = b->ndim;
    view->shape = b->shape;
    view->strides = b->strides;
    view->suboffsets = NULL;
    view->internal = NULL;
    return 0;
}

static PyBufferProcs block_as_buffer = {(getbufferproc)block_getbuffer, NULL};

static PyTypeObject block_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob._Buffer",
    .tp_basicsize = sizeof(lmpy_block),
    .tp_dealloc = (destructor)block_dealloc,
    .tp_as_buffer = &block_as_buffer,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = PyDoc_STR("Memory holding a result of lmprob (numpy.asarray reads it without a copy)."),
};

static Py_ssize_t type_size(char type)
{
    switch (type) {
    case 'f': case 'i': case 'I': return 4;
    case 'd': case 'q': case 'Q': return 8;
    case 'h': case 'H': return 2;
    case 'B': case 'b': case '?': return 1;
    default: return 0;
    }
}

#ifdef LMPY_NUMPY_API
/* numpy's type number for a result's type code (type_size's codes) */
static int np_typenum(char type)
{
    switch (type) {
    case 'f': return NPY_FLOAT32;
    case 'd': return NPY_FLOAT64;
    case 'i': return NPY_INT32;
    case 'I': return NPY_UINT32;
    case 'q': case 'l': return NPY_INT64; /* 'l' / 'L': a block's format for them (lmpy_array_new) */
    case 'Q': case 'L': return NPY_UINT64;
    case 'h': return NPY_INT16;
    case 'H': return NPY_UINT16;
    case 'b': return NPY_INT8;
    case '?': return NPY_BOOL;
    default: return NPY_UINT8;
    }
}
#endif

PyObject *lmpy_array_new(char type, int ndim, const Py_ssize_t *shape, void **data)
{
    Py_ssize_t isz = type_size(type);
    if (!isz || ndim < 0 || ndim > LMPY_MAXDIM) {
        PyErr_SetString(PyExc_SystemError, "lmprob: bad array type");
        return NULL;
    }
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && n > (size_t)PY_SSIZE_T_MAX / (size_t)isz / (size_t)shape[i])) {
            double all = 1.0; /* the whole shape's count (it read "more than 1 values" at the first dimension) */
            for (int j = 0; j < ndim; j++) all *= shape[j] > 0 ? (double)shape[j] : 1.0;
            return lmpy_nomem(all * (double)isz, "a result array of %.3g values", all);
        }
        n *= (size_t)shape[i];
    }
#ifdef LMPY_NUMPY_API
    /* A small result is an ndarray from the start. A large one still goes in a block, whose
     * memory may be a kept spare (block_alloc), and lmpy_array_finish wraps it; so does an
     * empty one, whose strides numpy.empty would give (PyArray_SimpleNew gives zeros). */
    if (n > 0 && n * (size_t)isz < SPARE_MIN / 2 && lmpy_numpy_api()) {
        npy_intp dims[LMPY_MAXDIM];
        for (int i = 0; i < ndim; i++) dims[i] = (npy_intp)shape[i];
        PyObject *a = PyArray_SimpleNew(ndim, dims, np_typenum(type));
        if (a) *data = PyArray_DATA((PyArrayObject *)a);
        return a;
    }
#endif
    lmpy_block *b = PyObject_New(lmpy_block, &block_type);
    if (!b) return NULL;
    b->data = block_alloc(n ? n * (size_t)isz : 1, &b->cap);
    if (!b->data) {
        b->data = NULL;
        Py_DECREF(b);
        return lmpy_nomem((double)n * (double)isz, "a result array of %zu values", n);
    }
    b->ndim = ndim;
    /* numpy.asarray reads 'q' as np.longlong, a type of its own beside np.int64 (= np.int_, C long here):
     * its repr names the dtype where numpy's own int64 arrays' does not. 'l' / 'L' are numpy's types. */
    b->format[0] = sizeof(long) == 8 && type == 'q' ? 'l' : sizeof(long) == 8 && type == 'Q' ? 'L' : type;
    b->format[1] = '\0';
    b->itemsize = isz;
    Py_ssize_t st = isz;
    for (int i = ndim - 1; i >= 0; i--) {
        b->shape[i] = shape[i];
        b->strides[i] = st;
        st *= shape[i] > 0 ? shape[i] : 1;
    }
    *data = b->data;
    return (PyObject *)b;
}

PyObject *lmpy_array_finish(PyObject *block)
{
    if (!block) return NULL;
    if (Py_TYPE(block) != &block_type) return block; /* made as an ndarray (lmpy_array_new) */
    PyObject *r;
#ifdef LMPY_NUMPY_API
    if (lmpy_numpy_api()) {
        /* an ndarray over the block's memory, the block its base (as numpy.asarray makes it) */
        const lmpy_block *b = (const lmpy_block *)block;
        npy_intp dims[LMPY_MAXDIM];
        for (int i = 0; i < b->ndim; i++) dims[i] = (npy_intp)b->shape[i];
        r = PyArray_SimpleNewFromData(b->ndim, dims, np_typenum(b->format[0]), b->data);
        if (!r) {
            Py_DECREF(block);
            return NULL;
        }
        if (PyArray_SetBaseObject((PyArrayObject *)r, block) < 0) { /* takes block, even when it fails */
            Py_DECREF(r);
            return NULL;
        }
        return r;
    }
#endif
    if (lmpy_numpy()) r = PyObject_CallOneArg(np_asarray, block);
    else r = PyMemoryView_FromObject(block);
    Py_DECREF(block);
    return r;
}

PyObject *lmpy_array_finish_or_raise(PyObject *block, lmp_status st, const lmp_error *err)
{
    if (st == LMP_OK) return lmpy_array_finish(block);
    Py_XDECREF(block);
    return lmpy_raise(err);
}

/* ---- views of input arrays ---------------------------------------------------------------- */

const char *lmpy_shape_str(int ndim, const Py_ssize_t *shape, char *buf, size_t cap)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, cap - k, "(");
    for (int i = 0; i < ndim && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%zd", i ? ", " : "", shape[i]);
    if (ndim == 1 && k < cap) k += (size_t)snprintf(buf + k, cap - k, ",");
    if (k < cap) snprintf(buf + k, cap - k, ")");
    return buf;
}

const char *lmpy_view_dtype(const lmpy_view *v)
{
    switch (v->type) {
    case 'f': return "float32";
    case 'd': return "float64";
    case 'b': return "bool";
    case 'i':
        return v->itemsize == 1 ? "int8" : v->itemsize == 2 ? "int16" : v->itemsize == 4 ? "int32" : "int64";
    case 'u':
        return v->itemsize == 1 ? "uint8" : v->itemsize == 2 ? "uint16" : v->itemsize == 4 ? "uint32" : "uint64";
    default: return "?";
    }
}

double lmpy_view_at(const lmpy_view *v, const char *p)
{
    switch (v->type) {
    case 'f': { float x; memcpy(&x, p, 4); return x; }
    case 'd': { double x; memcpy(&x, p, 8); return x; }
    case 'b': return *(const unsigned char *)p != 0;
    case 'i':
        switch (v->itemsize) {
        case 1: return *(const int8_t *)p;
        case 2: { int16_t x; memcpy(&x, p, 2); return x; }
        case 4: { int32_t x; memcpy(&x, p, 4); return x; }
        default: { int64_t x; memcpy(&x, p, 8); return (double)x; }
        }
    default:
        switch (v->itemsize) {
        case 1: return *(const uint8_t *)p;
        case 2: { uint16_t x; memcpy(&x, p, 2); return x; }
        case 4: { uint32_t x; memcpy(&x, p, 4); return x; }
        default: { uint64_t x; memcpy(&x, p, 8); return (double)x; }
        }
    }
}

/* Is every number of a list (depth 1) or of its rows (depth 2) a Python int? Reads no Python code. */
static int all_ints(PyObject *outer, int depth)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(outer);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PySequence_Fast_GET_ITEM(outer, i);
        if (depth == 1) {
            if (!PyLong_Check(it)) return 0;
            continue;
        }
        if (!PyList_Check(it) && !PyTuple_Check(it)) return 0;
        PyObject **row = PySequence_Fast_ITEMS(it);
        for (Py_ssize_t j = 0, m = PySequence_Fast_GET_SIZE(it); j < m; j++)
            if (!PyLong_Check(row[j])) return 0;
    }
    return 1;
}

/* A nested list/tuple of numbers (depth 1 or 2) as a block when numpy is absent: int64 where integers are
 * accepted and every number is an int (numpy.asarray's int64: token ids, keys), else float64. */
static PyObject *list_to_block(PyObject *obj, const char *name, unsigned accept)
{
    PyObject *outer = PySequence_Fast(obj, "");
    if (!outer) {
        PyErr_Clear();
        return PyErr_Format(PyExc_TypeError, "%s: expected an array or a sequence of numbers, got %.100s", name,
                            Py_TYPE(obj)->tp_name);
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(outer), m = -1;
    int depth = 1;
    if (n > 0) {
        PyObject *first = PySequence_Fast_GET_ITEM(outer, 0);
        if (PyList_Check(first) || PyTuple_Check(first)) {
            depth = 2;
            m = PySequence_Size(first);
        }
    }
    Py_ssize_t shape[2] = {n, m};
    double *d = NULL;
    int64_t *q = NULL;
    const int ints = n > 0 && (accept & LMPY_INT) && all_ints(outer, depth);
    PyObject *blk = ints ? lmpy_array_new('q', depth, shape, (void **)&q) : lmpy_array_new('d', depth, shape, (void **)&d);
    if (!blk) goto fail;
    if (ints) {
        /* plain ints, no Python code runs: the lists cannot change under the loop */
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *it = PySequence_Fast_GET_ITEM(outer, i);
            Py_ssize_t row_n = depth == 1 ? 1 : PySequence_Fast_GET_SIZE(it);
            if (depth == 2 && row_n != m) {
                PyErr_Format(PyExc_ValueError, "%s: row %zd: expected a sequence of %zd numbers (a rectangular list)",
                             name, i, m);
                goto fail;
            }
            for (Py_ssize_t j = 0; j < row_n; j++) {
                PyObject *x = depth == 1 ? it : PySequence_Fast_GET_ITEM(it, j);
                long long v = PyLong_AsLongLong(x);
                if (v == -1 && PyErr_Occurred()) {
                    PyErr_Clear();
                    PyErr_Format(PyExc_OverflowError, "%s: item %zd: expected an integer within int64", name,
                                 depth == 1 ? i : i * m + j);
                    goto fail;
                }
                q[depth == 1 ? i : i * m + j] = v;
            }
        }
        Py_DECREF(outer);
        return blk;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        /* __float__ is Python code that may change the lists: their lengths are checked
         * before each item is read, and the item held while it converts. */
        if (PySequence_Fast_GET_SIZE(outer) != n) goto changed;
        PyObject *it = PySequence_Fast_GET_ITEM(outer, i);
        if (depth == 1) {
            Py_INCREF(it);
            d[i] = PyFloat_AsDouble(it);
            Py_DECREF(it);
            if (d[i] == -1.0 && PyErr_Occurred()) goto fail;
            continue;
        }
        PyObject *row = PySequence_Fast(it, "");
        if (!row || PySequence_Fast_GET_SIZE(row) != m) {
            Py_XDECREF(row);
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "%s: row %zd: expected a sequence of %zd numbers (a rectangular list)",
                         name, i, m);
            goto fail;
        }
        for (Py_ssize_t j = 0; j < m; j++) {
            if (PySequence_Fast_GET_SIZE(row) != m) {
                Py_DECREF(row);
                goto changed;
            }
            PyObject *x_obj = PySequence_Fast_GET_ITEM(row, j);
            Py_INCREF(x_obj);
            double x = PyFloat_AsDouble(x_obj);
            Py_DECREF(x_obj);
            if (x == -1.0 && PyErr_Occurred()) {
                Py_DECREF(row);
                goto fail;
            }
            d[i * m + j] = x;
        }
        Py_DECREF(row);
    }
    Py_DECREF(outer);
    return blk;
changed:
    PyErr_Format(PyExc_RuntimeError, "%s: the list changed size while its numbers were read", name);
fail:
    Py_XDECREF(blk);
    Py_DECREF(outer);
    return NULL;
}

void lmpy_view_release(lmpy_view *v)
{
    if (v->has_buf) PyBuffer_Release(&v->buf);
    v->has_buf = 0;
    Py_CLEAR(v->owner);
}

/* A view whose data or strides are not multiples of its item size (a numpy array made by
 * np.frombuffer at an odd offset, a field of a packed record) becomes a C-contiguous copy:
 * the library reads `const double *` and the like, which C requires aligned (UBSan: "load of
 * misaligned address"). An array the caller wants written (out=) cannot be copied: ValueError.
 * 0, or -1 with the view released. */
static int view_align(lmpy_view *v, const char *name, unsigned accept)
{
    uintptr_t mis = (uintptr_t)v->data;
    for (int i = 0; i < v->ndim; i++)
        if (v->shape[i] > 1) mis |= (uintptr_t)v->strides[i];
    if (v->itemsize <= 1 || mis % (uintptr_t)v->itemsize == 0) return 0;
    if (accept & LMPY_WRITABLE) {
        PyErr_Format(PyExc_ValueError, "%s: expected an aligned array (data and strides multiples of %zd bytes)",
                     name, v->itemsize);
        lmpy_view_release(v);
        return -1;
    }
    size_t n = (size_t)v->size, isz = (size_t)v->itemsize;
    /* a bytes object's own memory: 16-byte aligned, freed with it */
    PyObject *copy = n <= (size_t)PY_SSIZE_T_MAX / isz ? PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(n ? n * isz : 1))
                                                       : NULL;
    if (!copy) {
        if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_MemoryError)) {
            PyErr_Clear();
            lmpy_nomem((double)n * (double)isz, "%s: an aligned copy of %zu values", name, n);
        }
        lmpy_view_release(v);
        return -1;
    }
    char *dst = PyBytes_AS_STRING(copy);
    Py_ssize_t idx[LMPY_MAXDIM] = {0};
    for (size_t k = 0; k < n; k++) {
        Py_ssize_t off = 0;
        for (int d = 0; d < v->ndim; d++) off += idx[d] * v->strides[d];
        memcpy(dst + k * isz, v->data + off, isz);
        for (int d = v->ndim - 1; d >= 0; d--) {
            if (++idx[d] < v->shape[d]) break;
            idx[d] = 0;
        }
    }
    lmpy_view_release(v); /* the source is no longer read */
    v->owner = copy;
    v->data = dst;
    Py_ssize_t st = v->itemsize;
    for (int i = v->ndim - 1; i >= 0; i--) {
        v->strides[i] = st;
        st *= v->shape[i] > 0 ? v->shape[i] : 1;
    }
    return 0;
}

#ifdef LMPY_NUMPY_API
/* An ndarray read from its own fields (the file comment): 1 when taken, 0 when it is left
 * to the buffer protocol (which then takes it, or says what is wrong with it). */
static int view_ndarray(PyObject *obj, lmpy_view *v, unsigned accept)
{
    if (!np_api || !PyArray_CheckExact(obj)) return 0;
    PyArrayObject *a = (PyArrayObject *)obj;
    if (PyArray_ISBYTESWAPPED(a) || ((accept & LMPY_WRITABLE) && !PyArray_ISWRITEABLE(a)) ||
        PyArray_NDIM(a) > LMPY_MAXDIM)
        return 0;
    char t;
    switch (PyArray_TYPE(a)) {
    case NPY_FLOAT: t = 'f'; break;
    case NPY_DOUBLE: t = 'd'; break;
    case NPY_BOOL: t = 'b'; break;
    case NPY_BYTE: case NPY_SHORT: case NPY_INT: case NPY_LONG: case NPY_LONGLONG: t = 'i'; break;
    case NPY_UBYTE: case NPY_USHORT: case NPY_UINT: case NPY_ULONG: case NPY_ULONGLONG: t = 'u'; break;
    default: return 0;
    }
    if (!(accept & (t == 'f' || t == 'd' ? LMPY_FLOAT : LMPY_INT))) return 0;
    v->owner = Py_NewRef(obj);
    v->data = PyArray_BYTES(a);
    v->ndim = PyArray_NDIM(a);
    v->itemsize = PyArray_ITEMSIZE(a);
    v->type = t;
    v->size = 1;
    for (int i = 0; i < v->ndim; i++) {
        v->shape[i] = PyArray_DIM(a, i);
        v->strides[i] = PyArray_STRIDE(a, i);
        v->size *= v->shape[i];
    }
    return 1;
}
#endif

/* A numpy.ma.MaskedArray (only if numpy.ma was imported: nothing else can be one). Its buffer holds every
 * value, the masked ones too, so reading it as an array used them: softmax of [1, masked 2, 3] was that of
 * [1, 2, 3]. Refused, as scipy.special.softmax refuses it. */
static int is_masked_array(PyObject *obj)
{
    if (strcmp(Py_TYPE(obj)->tp_name, "numpy.ndarray") == 0) return 0; /* the common case, at once */
    PyObject *mods = PySys_GetObject("modules");                        /* borrowed */
    PyObject *ma = mods && PyDict_Check(mods) ? PyDict_GetItemString(mods, "numpy.ma") : NULL;
    if (!ma) return 0;
    PyObject *cls = PyObject_GetAttrString(ma, "MaskedArray");
    int r = cls ? PyObject_IsInstance(obj, cls) : 0;
    Py_XDECREF(cls);
    if (r < 0 || !cls) PyErr_Clear();
    return r > 0;
}

int lmpy_view_get(PyObject *obj, lmpy_view *v, const char *name, unsigned accept)
{
    if (is_masked_array(obj)) {
        memset(v, 0, sizeof *v);
        PyErr_Format(PyExc_ValueError, "%s: a masked array: expected a plain array (the masked values would be used; "
                     "pass x.filled(value) or x.compressed())", name);
        return -1;
    }
#ifdef LMPY_NUMPY_API
    v->has_buf = 0; /* what lmpy_view_release reads; view_ndarray fills the rest */
    v->owner = NULL;
    if (!np_tried && strcmp(Py_TYPE(obj)->tp_name, "numpy.ndarray") == 0) lmpy_numpy(); /* numpy is imported */
    if (view_ndarray(obj, v, accept)) return view_align(v, name, accept);
#endif
    memset(v, 0, sizeof *v);
    int flags = (accept & LMPY_WRITABLE) ? PyBUF_RECORDS : PyBUF_RECORDS_RO;
    PyObject *src = obj;
    if (!PyObject_CheckBuffer(obj)) {
        if (accept & LMPY_WRITABLE) {
            PyErr_Format(PyExc_TypeError, "%s: expected a writable array (numpy, or any writable buffer), got %.100s",
                         name, Py_TYPE(obj)->tp_name);
            return -1;
        }
        if (PyUnicode_Check(obj) || PyBytes_Check(obj) || PyLong_Check(obj) || PyFloat_Check(obj) ||
            obj == Py_None) {
            PyErr_Format(PyExc_TypeError, "%s: expected an array of numbers, got %.100s", name, Py_TYPE(obj)->tp_name);
            return -1;
        }
        if (lmpy_numpy()) {
            /* Plain lists of numbers become float64 when integers are not wanted ([3, 2, 1] as logits). */
            int seq = PyList_Check(obj) || PyTuple_Check(obj);
            if (seq && !(accept & LMPY_INT))
                v->owner = PyObject_CallFunction(np_asarray, "Os", obj, "float64");
            else
                v->owner = PyObject_CallOneArg(np_asarray, obj);
        } else {
            v->owner = list_to_block(obj, name, accept);
        }
        if (!v->owner) return -1;
        src = v->owner;
    }
    if (PyObject_GetBuffer(src, &v->buf, flags) < 0) {
        /* refused for writing (BufferError from bytes, ValueError from numpy): when it reads,
         * it is read-only, and the message says so and names the argument */
        if (accept & LMPY_WRITABLE) {
            PyObject *et, *ev, *tb;
            PyErr_Fetch(&et, &ev, &tb);
            Py_buffer ro;
            if (PyObject_GetBuffer(src, &ro, PyBUF_RECORDS_RO) == 0) {
                PyBuffer_Release(&ro);
                Py_XDECREF(et);
                Py_XDECREF(ev);
                Py_XDECREF(tb);
                PyErr_Format(PyExc_TypeError, "%s: expected a writable array, got a read-only %.100s", name,
                             Py_TYPE(obj)->tp_name);
            } else {
                PyErr_Clear();
                PyErr_Restore(et, ev, tb);
            }
        }
        lmpy_view_release(v);
        return -1;
    }
    v->has_buf = 1;
    const char *f = v->buf.format ? v->buf.format : "B";
    if ((*f == '>' || *f == '!') && !(accept & LMPY_WRITABLE) && lmpy_numpy()) {
        /* A byte-swapped array (dtype '>f8') is read as numbers, as scipy reads it: through a copy in the
         * machine's order (it was refused). An out= array is written in place, so it stays refused below. */
        PyObject *arr = PyObject_CallOneArg(np_asarray, src);
        PyObject *dt = arr ? PyObject_GetAttrString(arr, "dtype") : NULL;
        PyObject *nd = dt ? PyObject_CallMethod(dt, "newbyteorder", "s", "=") : NULL;
        PyObject *cp = nd ? PyObject_CallMethod(arr, "astype", "O", nd) : NULL;
        Py_XDECREF(arr);
        Py_XDECREF(dt);
        Py_XDECREF(nd);
        lmpy_view_release(v);
        if (!cp) return -1;
        if (lmpy_view_get(cp, v, name, accept) < 0) {
            Py_DECREF(cp);
            return -1;
        }
        if (!v->owner) v->owner = cp; /* kept alive with the view */
        else Py_DECREF(cp);
        return 0;
    }
    if (*f == '>' || *f == '!') {
        PyErr_Format(PyExc_TypeError, "%s: expected an array in the machine's byte order, got format '%s'", name,
                     v->buf.format);
        goto fail;
    }
    if (*f == '@' || *f == '=' || *f == '<') f++;
    char c = f[0];
    if (c == '\0' || f[1] != '\0') c = '?'; /* structured or unknown */
    switch (c) {
    case 'f': v->type = v->buf.itemsize == 4 ? 'f' : 0; break;
    case 'd': v->type = v->buf.itemsize == 8 ? 'd' : 0; break;
    case 'b': case 'h': case 'i': case 'l': case 'q': case 'n': v->type = 'i'; break;
    case 'B': case 'H': case 'I': case 'L': case 'Q': case 'N': case 'c': v->type = 'u'; break;
    case '?': v->type = f[0] == '?' && f[1] == '\0' ? 'b' : 0; break;
    default: v->type = 0; break;
    }
    if (v->type == 'i' || v->type == 'u' || v->type == 'b') {
        if (!(v->buf.itemsize == 1 || v->buf.itemsize == 2 || v->buf.itemsize == 4 || v->buf.itemsize == 8))
            v->type = 0;
    }
    int ok = (v->type == 'f' || v->type == 'd') ? (accept & LMPY_FLOAT) != 0
             : v->type ? (accept & LMPY_INT) != 0 : 0;
    if (!ok) {
        const char *want = (accept & LMPY_FLOAT) && (accept & LMPY_INT) ? "a float32, float64, integer or bool array"
                           : (accept & LMPY_FLOAT)                       ? "a float32 or float64 array"
                                                                         : "an integer array";
        if (v->type) {
            v->itemsize = v->buf.itemsize;
            PyErr_Format(PyExc_TypeError, "%s: expected %s, got %s", name, want, lmpy_view_dtype(v));
        } else {
            if (c == 'e')
                PyErr_Format(PyExc_TypeError, "%s: expected %s, got float16", name, want);
            else if (c == '?' && v->buf.format && strchr(v->buf.format, 'w')) /* a list of str and numbers */
                PyErr_Format(PyExc_TypeError, "%s: expected %s, got text (numpy made an array of str of it)", name,
                             want);
            else if (c == 'O' && src != obj) /* what numpy made of an iterator, a set, a list of objects */
                PyErr_Format(PyExc_TypeError, "%s: expected %s, got %.100s (not a sequence of numbers: pass a list "
                             "or an array)", name, want, Py_TYPE(obj)->tp_name);
            else
                PyErr_Format(PyExc_TypeError, "%s: expected %s, got buffer format '%s' (itemsize %zd)", name, want,
                             v->buf.format ? v->buf.format : "B", v->buf.itemsize);
        }
        goto fail;
    }
    if (v->buf.ndim > LMPY_MAXDIM) {
        PyErr_Format(PyExc_ValueError, "%s: expected at most %d dimensions, got %d", name, LMPY_MAXDIM, v->buf.ndim);
        goto fail;
    }
    v->data = v->buf.buf;
    v->ndim = v->buf.ndim;
    v->itemsize = v->buf.itemsize;
    v->size = 1;
    Py_ssize_t st = v->itemsize;
    for (int i = v->ndim - 1; i >= 0; i--) {
        v->shape[i] = v->buf.shape ? v->buf.shape[i] : (i == 0 ? v->buf.len / v->itemsize : 1);
        v->strides[i] = v->buf.strides ? v->buf.strides[i] : st;
        st *= v->shape[i];
        v->size *= v->shape[i];
    }
    if (v->buf.suboffsets) {
        for (int i = 0; i < v->ndim; i++)
            if (v->buf.suboffsets[i] >= 0) {
                PyErr_Format(PyExc_TypeError, "%s: arrays of pointers (PIL-style suboffsets) are not supported", name);
                goto fail;
            }
    }
    return view_align(v, name, accept);
fail:
    lmpy_view_release(v);
    return -1;
}

/* ---- token ids ---------------------------------------------------------------------------------- */

int lmpy_ids_get(PyObject *obj, const char *name, size_t V, lmp_token_id **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    long long hi = V ? (long long)V : (long long)INT32_MAX + 1;
    if (PyList_Check(obj) || PyTuple_Check(obj)) {
        Py_ssize_t k = PySequence_Fast_GET_SIZE(obj);
        if (k == 0) return 0;
        lmp_token_id *t = PyMem_RawMalloc((size_t)k * sizeof *t);
        if (!t) {
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t i = 0; i < k; i++) {
            /* An item's __index__ is Python code, which may change the list: its length is
             * checked before each item is read, and the item held while it converts. */
            if (PySequence_Fast_GET_SIZE(obj) != k) {
                PyErr_Format(PyExc_RuntimeError, "%s: the list changed size while its token ids were read", name);
                PyMem_RawFree(t);
                return -1;
            }
            PyObject *it = PySequence_Fast_GET_ITEM(obj, i);
            /* a bool is an int to Python, but no token id (torch's embedding refuses bool indices) */
            if ((!PyLong_Check(it) && !PyIndex_Check(it)) || PyBool_Check(it)) {
                PyErr_Format(PyExc_TypeError, "%s[%zd]: expected an int token id, got %.100s", name, i,
                             Py_TYPE(it)->tp_name);
                PyMem_RawFree(t);
                return -1;
            }
            int overflow = 0;
            Py_INCREF(it);
            PyObject *ix = PyNumber_Index(it);
            Py_DECREF(it);
            long long x = ix ? PyLong_AsLongLongAndOverflow(ix, &overflow) : -1;
            Py_XDECREF(ix);
            if (!ix) {
                PyMem_RawFree(t);
                return -1;
            }
            if (overflow || x < 0 || x >= hi) {
                if (overflow)
                    PyErr_Format(PyExc_ValueError, "%s[%zd]: expected a token id in [0, %lld), got a huge int", name,
                                 i, hi);
                else
                    PyErr_Format(PyExc_ValueError, "%s[%zd] = %lld: expected a token id in [0, %lld)", name, i, x, hi);
                PyMem_RawFree(t);
                return -1;
            }
            t[i] = (lmp_token_id)x;
        }
        *ids = t;
        *n = (size_t)k;
        return 0;
    }
    lmpy_view v;
    if (lmpy_view_get(obj, &v, name, LMPY_INT) < 0) return -1;
    if (v.type == 'b') { /* bool arrays are numbers to the information functions, never token ids */
        PyErr_Format(PyExc_TypeError, "%s: expected an integer array of token ids, got bool", name);
        lmpy_view_release(&v);
        return -1;
    }
    if (v.ndim != 1) {
        PyErr_Format(PyExc_ValueError, "%s: expected a 1-D sequence of token ids, got %d dimensions", name, v.ndim);
        lmpy_view_release(&v);
        return -1;
    }
    size_t k = (size_t)v.shape[0];
    lmp_token_id *t = k ? PyMem_RawMalloc(k * sizeof *t) : NULL;
    if (k && !t) {
        lmpy_view_release(&v);
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < k; i++) {
        const char *p = v.data + (Py_ssize_t)i * v.strides[0];
        long long x;
        if (v.type == 'u' && v.itemsize == 8) {
            uint64_t u;
            memcpy(&u, p, 8);
            if (u > (uint64_t)INT64_MAX) { /* past every id: said as the value it is, not as a wrapped int64 */
                PyErr_Format(PyExc_ValueError, "%s[%zu] = %llu: expected a token id in [0, %lld)", name, i,
                             (unsigned long long)u, hi);
                PyMem_RawFree(t);
                lmpy_view_release(&v);
                return -1;
            }
            x = (long long)u;
        } else if (v.type == 'i' && v.itemsize == 8) {
            int64_t s;
            memcpy(&s, p, 8);
            x = s;
        } else {
            x = (long long)lmpy_view_at(&v, p);
        }
        if (x < 0 || x >= hi) {
            PyErr_Format(PyExc_ValueError, "%s[%zu] = %lld: expected a token id in [0, %lld)", name, i, x, hi);
            PyMem_RawFree(t);
            lmpy_view_release(&v);
            return -1;
        }
        t[i] = (lmp_token_id)x;
    }
    lmpy_view_release(&v);
    *ids = t;
    *n = k;
    return 0;
}

int lmpy_init_array(PyObject *m)
{
    (void)m;
    return PyType_Ready(&block_type);
}
