/* Information theory along an axis (info.h on arrays): entropy, cross_entropy,
 * kl, js, perplexity, logsumexp, log_softmax, softmax, entropy_of_logits; and
 * cross_entropy_loss (torch's, over logits [C] or [N, C]).
 *
 * numpy's rules: `axis` (default -1, the vocabulary axis of logits; negative
 * counts from the end; None: the whole array as one vector) names the axis
 * each vector lies along; reductions drop it (keepdims=True keeps it as 1) and
 * a reduction of a 1-D array is a Python float; two-array functions broadcast
 * their arguments against each other. Every kernel is the library's
 * (subtract-the-maximum, sums in double, float32 kernels for float32 input),
 * so the values are those of the C API. A vector lying along a contiguous
 * axis is read in place; any other is gathered into a buffer first.
 *
 * Domain: the scalar functions return NaN for an invalid distribution (a
 * negative or NaN entry, a zero sum: info.h), as scipy does; softmax and
 * log_softmax raise ValueError (NaN or +inf logits, all -inf), naming the
 * vector and the index. Large arrays run on threads without the GIL. */
#include "lmpy.h"

#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    OP_ENTROPY, OP_ENTROPY_LOGITS, OP_CE, OP_KL, OP_KL_SMOOTH, OP_JS, OP_JS_DIST, OP_PPL, OP_LSE, OP_LOG_SOFTMAX,
    OP_SOFTMAX
} op_kind;

static int op_binary(op_kind op) { return op == OP_CE || op == OP_KL || op == OP_KL_SMOOTH || op == OP_JS || op == OP_JS_DIST; }
static const char *op_name(op_kind op)
{
    static const char *const names[] = {"entropy", "entropy_of_logits", "cross_entropy", "kl", "kl", "js", "js",
                                        "perplexity", "logsumexp", "log_softmax", "softmax"};
    return names[op];
}
static int op_map(op_kind op) { return op == OP_LOG_SOFTMAX || op == OP_SOFTMAX; }
/* ops with a float32 kernel in info.h */
static int op_f32(op_kind op)
{
    return op == OP_ENTROPY || op == OP_ENTROPY_LOGITS || op == OP_CE || op == OP_KL || op == OP_KL_SMOOTH ||
           op == OP_JS || op == OP_JS_DIST || op == OP_LSE || op == OP_LOG_SOFTMAX || op == OP_SOFTMAX;
}

/* The vectors of one call: `count` lanes of n elements; lane k of operand i starts at
 * data + sum_d idx_d(k) * ostr[i][d] and steps by lstr[i]. Operand 2 is the output of a map. */
typedef struct lanes {
    int nouter;
    Py_ssize_t oshape[LMPY_MAXDIM];
    Py_ssize_t ostr[3][LMPY_MAXDIM];
    Py_ssize_t lstr[3];
    char *data[3];
    char type[3];
    size_t n, count;
} lanes;

typedef struct job {
    op_kind op;
    lanes L;
    int f32;         /* the float32 kernels (every operand float32) */
    double base, eps;
    double *red;     /* reductions: count results */
    void **scratch;  /* per worker: 3 lanes of doubles */
    const lmpy_view *in[2];
    atomic_size_t bad;    /* first failing lane of a map (count when none) */
    lmp_error *errs;      /* per worker */
    size_t *err_lane;     /* per worker */
} job;

static void lane_offsets(const lanes *L, size_t k, Py_ssize_t off[3])
{
    off[0] = off[1] = off[2] = 0;
    for (int d = L->nouter - 1; d >= 0; d--) {
        Py_ssize_t i = (Py_ssize_t)(k % (size_t)L->oshape[d]);
        k /= (size_t)L->oshape[d];
        for (int a = 0; a < 3; a++) off[a] += i * L->ostr[a][d];
    }
}

/* Operand a's lane as float (f32 path) or double, in place when contiguous, else gathered. */
static const void *lane_get(const job *j, int a, const char *p, void *buf)
{
    const lanes *L = &j->L;
    size_t n = L->n;
    if (j->f32) {
        if (L->lstr[a] == 4) return p;
        float *f = buf;
        for (size_t i = 0; i < n; i++) memcpy(&f[i], p + (Py_ssize_t)i * L->lstr[a], 4);
        return f;
    }
    if (L->type[a] == 'd' && L->lstr[a] == 8) return p;
    double *d = buf;
    if (L->type[a] == 'f' && L->lstr[a] == 4) { /* float32 to a double-only kernel: one tight loop */
        for (size_t i = 0; i < n; i++) {
            float f;
            memcpy(&f, p + 4 * i, 4); /* any alignment */
            d[i] = f;
        }
        return d;
    }
    for (size_t i = 0; i < n; i++) d[i] = lmpy_view_at(j->in[a], p + (Py_ssize_t)i * L->lstr[a]);
    return d;
}

static void lane_run(void *ctx, size_t k, int w)
{
    job *j = ctx;
    const lanes *L = &j->L;
    Py_ssize_t off[3];
    lane_offsets(L, k, off);
    size_t n = L->n;
    char *s = j->scratch[w]; /* NULL when no operand needs a copy */
    void *b0 = s, *b1 = s ? s + n * 8 : NULL, *b2 = s ? s + 2 * n * 8 : NULL;
    const void *x = lane_get(j, 0, L->data[0] + off[0], b0);
    const void *y = op_binary(j->op) ? lane_get(j, 1, L->data[1] + off[1], b1) : NULL;
    double r = 0.0;
    switch (j->op) {
    case OP_ENTROPY: r = j->f32 ? lmp_entropy_f32(x, n, j->base) : lmp_entropy(x, n, j->base); break;
    case OP_ENTROPY_LOGITS: {
        r = j->f32 ? lmp_entropy_of_logits_f32(x, n) : lmp_entropy_of_logits(x, n);
        if (j->base != LMP_BASE_E) r /= log(j->base);
        break;
    }
    case OP_CE: r = j->f32 ? lmp_cross_entropy_f32(x, y, n, j->base) : lmp_cross_entropy(x, y, n, j->base); break;
    case OP_KL: r = j->f32 ? lmp_kl_divergence_f32(x, y, n, j->base) : lmp_kl_divergence(x, y, n, j->base); break;
    case OP_KL_SMOOTH:
        r = j->f32 ? lmp_kl_divergence_smoothed_f32(x, y, n, j->eps, j->base)
                   : lmp_kl_divergence_smoothed(x, y, n, j->eps, j->base);
        break;
    case OP_JS: r = j->f32 ? lmp_js_divergence_f32(x, y, n, j->base) : lmp_js_divergence(x, y, n, j->base); break;
    case OP_JS_DIST: r = j->f32 ? lmp_js_distance_f32(x, y, n, j->base) : lmp_js_distance(x, y, n, j->base); break;
    case OP_PPL: r = lmp_perplexity(x, n); break;
    case OP_LSE: r = j->f32 ? lmp_logsumexp_f32(x, n) : lmp_logsumexp(x, n); break;
    case OP_LOG_SOFTMAX:
    case OP_SOFTMAX: {
        int esz = j->f32 ? 4 : 8;
        char *o = L->data[2] + off[2];
        void *dst = L->lstr[2] == esz ? (void *)o : b2;
        lmp_status st;
        lmp_error e;
        if (j->op == OP_SOFTMAX)
            st = j->f32 ? lmp_softmax_f32(x, n, dst, &e) : lmp_softmax(x, n, dst, &e);
        else
            st = j->f32 ? lmp_log_softmax_f32(x, n, dst, &e) : lmp_log_softmax(x, n, dst, &e);
        if (st != LMP_OK) {
            /* keep the first failing lane (lanes are handed out in order, but threads race) */
            size_t cur = atomic_load(&j->bad);
            while (k < cur && !atomic_compare_exchange_weak(&j->bad, &cur, k)) {
            }
            if (k < j->err_lane[w]) {
                j->err_lane[w] = k;
                j->errs[w] = e;
            }
            return;
        }
        if (dst == b2)
            for (size_t i = 0; i < n; i++) memcpy(o + (Py_ssize_t)i * L->lstr[2], (char *)b2 + i * esz, (size_t)esz);
        return;
    }
    }
    j->red[k] = r;
}

/* ---- argument handling -------------------------------------------------------------------------- */

static int parse_axis(PyObject *axis, int ndim, int *out, int *flat)
{
    *flat = 0;
    if (!axis) { /* not given: the last */
        *out = ndim - 1;
        return 0;
    }
    if (axis == Py_None) {
        *flat = 1;
        *out = 0;
        return 0;
    }
    long a = PyLong_AsLong(axis);
    if (a == -1 && PyErr_Occurred()) {
        const int too_big = PyErr_ExceptionMatches(PyExc_OverflowError);
        PyErr_Clear();
        if (too_big) a = LONG_MAX; /* out of bounds below, numpy's message */
        else {
            PyErr_Format(PyExc_TypeError, "axis: expected an int or None, got %.100s", Py_TYPE(axis)->tp_name);
            return -1;
        }
    }
    if (a < -(long)ndim || a >= (long)ndim) {
        PyErr_Format(PyExc_ValueError, "axis %S is out of bounds for array of dimension %d", axis, ndim);
        return -1;
    }
    *out = (int)(a < 0 ? a + ndim : a);
    return 0;
}

static int get_base(PyObject *o, double *base)
{
    if (o == Py_None) {
        *base = LMP_BASE_E;
        return 0;
    }
    double b = PyFloat_AsDouble(o);
    if (b == -1.0 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return -1;
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "base: expected a number or None, got %.100s", Py_TYPE(o)->tp_name);
        return -1;
    }
    if (!(b > 0) || b == 1.0 || !isfinite(b)) {
        lmpy_err(PyExc_ValueError, "base = %g: expected a base > 0 and != 1 (2: bits, None: nats)", b);
        return -1;
    }
    *base = b;
    return 0;
}

/* The shape the operands broadcast to (numpy: aligned from the right; 1 stretches). */
static int broadcast_shape(const lmpy_view *v, int nin, int *nd_out, Py_ssize_t *shape)
{
    int nd = v[0].ndim;
    if (nin == 2 && v[1].ndim > nd) nd = v[1].ndim;
    for (int d = 0; d < nd; d++) {
        Py_ssize_t s = 1;
        for (int i = 0; i < nin; i++) {
            int di = d - (nd - v[i].ndim);
            Py_ssize_t si = di >= 0 ? v[i].shape[di] : 1;
            if (si == 1) continue;
            if (s != 1 && si != s) {
                char shp[2][128];
                PyErr_Format(PyExc_ValueError, "operands could not be broadcast together with shapes %s %s",
                             lmpy_shape_str(v[0].ndim, v[0].shape, shp[0], sizeof shp[0]),
                             lmpy_shape_str(v[1].ndim, v[1].shape, shp[1], sizeof shp[1]));
                return -1;
            }
            s = si;
        }
        shape[d] = s;
    }
    *nd_out = nd;
    return 0;
}

/* v broadcast to shape[nd] (broadcast_shape's), flat (axis=None) as one lane in C order:
 * v's own memory when its strides allow it, else a copy, float32 kept float32 so that a
 * result's dtype follows the input's whatever its layout. */
static int flatten(lmpy_view *v, int nd, const Py_ssize_t *shape, PyObject **holder)
{
    *holder = NULL;
    Py_ssize_t n = 1, bstr[LMPY_MAXDIM], st = v->itemsize;
    int contig = 1;
    for (int d = nd - 1; d >= 0; d--) {
        const int dv = d - (nd - v->ndim);
        bstr[d] = dv >= 0 && v->shape[dv] != 1 ? v->strides[dv] : 0; /* 0: stretched */
        if (shape[d] != 1 && bstr[d] != st) contig = 0;
        st *= shape[d];
        n *= shape[d];
    }
    if (!contig) {
        const char t = v->type == 'f' ? 'f' : 'd';
        void *dst;
        PyObject *blk = lmpy_array_new(t, 1, &n, &dst);
        if (!blk) return -1;
        Py_ssize_t idx[LMPY_MAXDIM] = {0};
        for (Py_ssize_t k = 0; k < n; k++) {
            Py_ssize_t off = 0;
            for (int d = 0; d < nd; d++) off += idx[d] * bstr[d];
            const double x = lmpy_view_at(v, v->data + off);
            if (t == 'f') ((float *)dst)[k] = (float)x; /* exact: the input is float32 */
            else ((double *)dst)[k] = x;
            for (int d = nd - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        *holder = blk;
        v->data = dst;
        v->type = t;
        v->itemsize = t == 'f' ? 4 : 8;
    }
    v->shape[0] = n;
    v->strides[0] = v->itemsize;
    v->ndim = 1;
    v->size = n;
    return 0;
}

/* Run op over x (and y) along axis; see the file comment. */
static PyObject *reduce_or_map(op_kind op, PyObject *xo, PyObject *yo, PyObject *axis_o, int keepdims, double base,
                               double eps)
{
    lmpy_view v[2];
    int nin = op_binary(op) ? 2 : 1;
    PyObject *res = NULL, *blk = NULL, *hold[2] = {NULL, NULL};
    /* Not zeroed whole: its 1 KB of outer shapes and strides is read only up to L.nouter, and
     * a memset of it was a tenth of a small call (lmprob.entropy of 5 numbers). */
    job j;
    j.L.nouter = 0;
    j.L.count = 1;
    j.red = NULL;
    j.scratch = NULL;
    j.errs = NULL;
    j.err_lane = NULL;
    j.in[0] = j.in[1] = NULL;
    void *scratch1[1] = {NULL};
    lmp_error errs1[1]; /* read only for the lane err_lane names: no clearing */
    size_t err_lane1[1];
    double red1 = 0.0;
    int got = 0, nt = 0, orig_ndim = 0;
    for (; got < nin; got++) {
        /* the argument as the function names it (entropy's p and perplexity's log_probs were called x) */
        const char *name = got == 1              ? "q"
                           : op_binary(op) || op == OP_ENTROPY ? "p"
                           : op == OP_ENTROPY_LOGITS          ? "logits"
                           : op == OP_PPL                     ? "log_probs"
                                                              : "x";
        if (lmpy_view_get(got == 0 ? xo : yo, &v[got], name, LMPY_FLOAT | LMPY_INT) < 0) goto done;
    }
    /* axis=None: the operands broadcast (numpy's rules), then read flat in C order as one
     * lane; a map's result takes the broadcast shape back (fnd, fshape) */
    int flat_any = axis_o == Py_None, fnd = 0;
    Py_ssize_t fshape[LMPY_MAXDIM];
    orig_ndim = v[0].ndim;
    if (flat_any) {
        if (broadcast_shape(v, nin, &fnd, fshape) < 0) goto done;
        for (int i = 0; i < nin; i++)
            if (flatten(&v[i], fnd, fshape, &hold[i]) < 0) goto done;
        orig_ndim = fnd;
    }
    int nd;
    Py_ssize_t shape[LMPY_MAXDIM], str[3][LMPY_MAXDIM];
    if (broadcast_shape(v, nin, &nd, shape) < 0) goto done;
    for (int d = 0; d < nd; d++) {
        for (int i = 0; i < nin; i++) {
            int di = d - (nd - v[i].ndim);
            str[i][d] = di >= 0 && v[i].shape[di] != 1 ? v[i].strides[di] : 0;
        }
    }
    if (nd == 0) {
        PyErr_Format(PyExc_ValueError, "expected an array with at least one dimension, got a 0-d array");
        goto done;
    }
    int axis, flat;
    if (parse_axis(flat_any ? Py_None : axis_o, nd, &axis, &flat) < 0) goto done;
    if (flat) axis = 0;
    j.op = op;
    j.base = base;
    j.eps = eps;
    j.in[0] = &v[0];
    j.in[1] = nin == 2 ? &v[1] : NULL;
    j.f32 = op_f32(op) && v[0].type == 'f' && (nin == 1 || v[1].type == 'f');
    lanes *L = &j.L;
    L->n = (size_t)shape[axis];
    L->count = 1;
    for (int d = 0, o = 0; d < nd; d++) {
        if (d == axis) continue;
        L->oshape[o] = shape[d];
        L->ostr[1][o] = L->ostr[2][o] = 0; /* lane_offsets reads all three */
        for (int i = 0; i < nin; i++) L->ostr[i][o] = str[i][d];
        L->count *= (size_t)shape[d];
        o++;
        L->nouter = o;
    }
    for (int i = 0; i < nin; i++) {
        L->lstr[i] = str[i][axis];
        L->data[i] = v[i].data;
        L->type[i] = v[i].type;
    }
    /* the result: a map has the (broadcast) input's shape; a reduction drops the axis, and a
     * reduction of one vector without keepdims is a Python float */
    const int to_float = !op_map(op) && L->nouter == 0 && !keepdims;
    if (op_map(op)) {
        char t = j.f32 ? 'f' : 'd';
        void *data;
        blk = flat_any ? lmpy_array_new(t, fnd, fshape, &data) : lmpy_array_new(t, nd, shape, &data);
        if (!blk) goto done;
        Py_ssize_t ost[LMPY_MAXDIM], st = j.f32 ? 4 : 8;
        for (int d = nd - 1; d >= 0; d--) {
            ost[d] = st;
            st *= shape[d] > 0 ? shape[d] : 1;
        }
        for (int d = 0, o = 0; d < nd; d++)
            if (d != axis) L->ostr[2][o++] = ost[d];
        L->lstr[2] = ost[axis];
        L->data[2] = data;
        if (L->n == 0 && L->count > 0) {
            PyErr_SetString(PyExc_ValueError, "x: expected at least one value along the axis, got none");
            goto done;
        }
    } else {
        Py_ssize_t rshape[LMPY_MAXDIM];
        int rd = 0;
        for (int d = 0; d < nd; d++) {
            if (d == axis) {
                if (keepdims && !flat) rshape[rd++] = 1;
                continue;
            }
            rshape[rd++] = shape[d];
        }
        if (flat && keepdims) /* numpy: axis=None, keepdims=True keeps every axis as 1 */
            for (rd = 0; rd < orig_ndim; rd++) rshape[rd] = 1;
        if (to_float) {
            j.red = &red1; /* one vector to one Python float: no array */
        } else {
            blk = lmpy_array_new('d', rd, rshape, (void **)&j.red);
            if (!blk) goto done;
        }
    }
    /* Lanes go to the module's kept workers (lmpy_parallel) from 2^16 elements: handing them
     * over costs up to about 20 us, which 2^16 repays for the cheapest operation (log_softmax of 8
     * rows of 8192: 124 us on one thread, 110 on two) and the dearer ones from about 2^14
     * (entropy_of_logits of 16 x 1024: 155 against 122; docs/python.md, "Information
     * theory"). */
    nt = L->count * L->n >= (1u << 16) ? lmpy_threads(0, L->count) : 1;
    /* Scratch lanes only when some operand is read or written through a copy (a stride
     * or a dtype the kernel does not take): a contiguous call allocates nothing but its
     * result (lane_get and lane_run use the scratch only then). */
    int gather = 0;
    for (int i = 0; i < nin; i++)
        gather |= j.f32 ? L->lstr[i] != 4 : (L->type[i] != 'd' || L->lstr[i] != 8);
    if (op_map(op)) gather |= L->lstr[2] != (j.f32 ? 4 : 8);
    if (nt == 1) { /* the common small call: nothing allocated for one worker */
        j.scratch = scratch1;
        j.errs = errs1;
        j.err_lane = err_lane1;
    } else {
        j.scratch = PyMem_RawCalloc((size_t)nt, sizeof *j.scratch);
        j.errs = PyMem_RawCalloc((size_t)nt, sizeof *j.errs);
        j.err_lane = PyMem_RawMalloc((size_t)nt * sizeof *j.err_lane);
    }
    if (!j.scratch || !j.errs || !j.err_lane) {
        PyErr_NoMemory();
        goto done;
    }
    for (int w = 0; w < nt; w++) {
        j.err_lane[w] = (size_t)-1;
        if (gather && !(j.scratch[w] = L->n <= SIZE_MAX / 3 / sizeof(double)
                                           ? PyMem_RawMalloc(3 * (L->n ? L->n : 1) * sizeof(double))
                                           : NULL)) {
            /* a strided or broadcast input is copied a vector at a time: one vector was too long */
            lmpy_nomem(3.0 * (double)L->n * sizeof(double), "%s: a contiguous copy of vectors of %zu values", op_name(op),
                       L->n);
            goto done;
        }
    }
    atomic_init(&j.bad, L->count);
    if (L->count * L->n >= 16384) {
        Py_BEGIN_ALLOW_THREADS
        lmpy_parallel(L->count, nt, lane_run, &j);
        Py_END_ALLOW_THREADS
    } else {
        lmpy_parallel(L->count, 1, lane_run, &j);
    }
    size_t bad = atomic_load(&j.bad);
    if (bad < L->count) {
        for (int w = 0; w < nt; w++)
            if (j.err_lane[w] == bad) {
                lmp_error e = j.errs[w];
                if (L->count > 1) {
                    /* name the vector: its index over the other axes */
                    char where[160];
                    size_t k = bad, q = 0;
                    Py_ssize_t idx[LMPY_MAXDIM];
                    for (int d = L->nouter - 1; d >= 0; d--) {
                        idx[d] = (Py_ssize_t)(k % (size_t)L->oshape[d]);
                        k /= (size_t)L->oshape[d];
                    }
                    q += (size_t)snprintf(where, sizeof where, "vector (");
                    for (int d = 0; d < L->nouter && q < sizeof where; d++)
                        q += (size_t)snprintf(where + q, sizeof where - q, "%s%zd", d ? ", " : "", idx[d]);
                    if (q < sizeof where) snprintf(where + q, sizeof where - q, ")");
                    snprintf(e.msg, sizeof e.msg, "%s: %s", where, j.errs[w].msg);
                }
                lmpy_raise(&e);
                break;
            }
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "softmax failed");
        goto done;
    }
    if (to_float) {
        /* a reduction of one vector: a Python float */
        res = PyFloat_FromDouble(j.red[0]);
        goto done;
    }
    res = lmpy_array_finish(blk);
    blk = NULL;
done:
    for (int w = 0; j.scratch && w < nt; w++) PyMem_RawFree(j.scratch[w]);
    if (j.scratch != scratch1) {
        PyMem_RawFree(j.scratch);
        PyMem_RawFree(j.errs);
        PyMem_RawFree(j.err_lane);
    }
    Py_XDECREF(blk);
    for (int i = 0; i < got; i++) lmpy_view_release(&v[i]);
    Py_XDECREF(hold[0]);
    Py_XDECREF(hold[1]);
    return res;
}

/* ---- the Python functions ------------------------------------------------------------------------ */

/* The arguments are matched by lmpy_kw_parse_fast (interned names, nothing formatted or
 * allocated per call: a small call's fixed cost is most of its time), then converted here:
 * base (None: nats), keepdims and distance (truth values). axis NULL: the last. eps: KL's
 * smoothing (OP_KL_SMOOTH), converted by py_kl. */
static PyObject *info_call(op_kind op, PyObject *x, PyObject *q, PyObject *base_o, PyObject *axis, PyObject *keep_o,
                           double eps, PyObject *dist_o)
{
    double base = LMP_BASE_E;
    if (base_o && get_base(base_o, &base) < 0) return NULL;
    int keep = keep_o ? PyObject_IsTrue(keep_o) : 0;
    if (keep < 0) return NULL;
    if (dist_o) {
        int d = PyObject_IsTrue(dist_o);
        if (d < 0) return NULL;
        if (d) op = OP_JS_DIST;
    }
    return reduce_or_map(op, x, q, axis, keep, base, eps);
}

/* One spec a function: its name, its arguments in order, how many may come by position and
 * how many are required. */
#define INFO_SPEC(fname, npos, nreq, ...)                                                 \
    static const char *const names[] = {__VA_ARGS__, NULL};                              \
    static PyObject *keys[sizeof names / sizeof names[0] - 1];                           \
    static lmpy_kwspec spec = {fname, names, npos, nreq, keys};                          \
    PyObject *v[sizeof names / sizeof names[0] - 1];                                     \
    if (lmpy_kw_parse_fast(&spec, args, nargs, kwnames, v) < 0) return NULL

static PyObject *py_entropy(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("entropy", 2, 1, "p", "base", "axis", "keepdims");
    return info_call(OP_ENTROPY, v[0], NULL, v[1], v[2], v[3], 0.0, NULL);
}

static PyObject *py_entropy_of_logits(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("entropy_of_logits", 2, 1, "logits", "base", "axis", "keepdims");
    return info_call(OP_ENTROPY_LOGITS, v[0], NULL, v[1], v[2], v[3], 0.0, NULL);
}

static PyObject *py_kl(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("kl", 3, 2, "p", "q", "base", "axis", "keepdims", "eps");
    double eps = 0.0;
    if (v[5] && v[5] != Py_None) { /* the chapter's smoothed KL (eps = 1e-10) */
        if (lmpy_kw_double(&spec, 5, v[5], &eps) < 0) return NULL;
        if (!(eps >= 0) || !isfinite(eps))
            return lmpy_err(PyExc_ValueError, "kl: eps = %g: expected eps >= 0 (the chapter's 1e-10)", eps);
    }
    return info_call(v[5] && v[5] != Py_None ? OP_KL_SMOOTH : OP_KL, v[0], v[1], v[2], v[3], v[4], eps, NULL);
}

static PyObject *py_js(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("js", 3, 2, "p", "q", "base", "axis", "keepdims", "distance");
    return info_call(OP_JS, v[0], v[1], v[2], v[3], v[4], 0.0, v[5]);
}

static PyObject *py_ce(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("cross_entropy", 3, 2, "p", "q", "base", "axis", "keepdims");
    return info_call(OP_CE, v[0], v[1], v[2], v[3], v[4], 0.0, NULL);
}

static PyObject *py_lse(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("logsumexp", 2, 1, "x", "axis", "keepdims");
    return info_call(OP_LSE, v[0], NULL, NULL, v[1], v[2], 0.0, NULL);
}

static PyObject *py_ppl(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("perplexity", 2, 1, "log_probs", "axis", "keepdims");
    return info_call(OP_PPL, v[0], NULL, NULL, v[1], v[2], 0.0, NULL);
}

static PyObject *py_log_softmax(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("log_softmax", 2, 1, "x", "axis");
    return info_call(OP_LOG_SOFTMAX, v[0], NULL, NULL, v[1], NULL, 0.0, NULL);
}

static PyObject *py_softmax(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("softmax", 2, 1, "x", "axis");
    return info_call(OP_SOFTMAX, v[0], NULL, NULL, v[1], NULL, 0.0, NULL);
}

/* torch.nn.functional.cross_entropy (reduction "mean") on logits [C] with one target, or [N, C]
 * with N targets: lmp_ce_loss_batch(_f32) over the rows, read in place when they are
 * C-contiguous float64 or float32, else gathered into doubles. */
static PyObject *py_ce_loss(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    INFO_SPEC("cross_entropy_loss", 2, 2, "logits", "target", "label_smoothing", "ignore_index");
    double smooth = 0.0;
    long ignore = -100;
    if (v[2] && lmpy_kw_double(&spec, 2, v[2], &smooth) < 0) return NULL;
    if (v[3] && lmpy_kw_long(&spec, 3, v[3], &ignore) < 0) return NULL;
    if (ignore < INT32_MIN || ignore > INT32_MAX)
        return lmpy_err(PyExc_ValueError, "cross_entropy_loss: ignore_index = %ld: expected a 32-bit int", ignore);
    lmpy_view x, t;
    if (lmpy_view_get(v[0], &x, "logits", LMPY_FLOAT) < 0) return NULL;
    PyObject *res = NULL;
    double *rows = NULL;
    lmp_token_id one, *targets = &one;
    int have_t = 0;
    char sh[64];
    if (x.ndim != 1 && x.ndim != 2) {
        lmpy_err(PyExc_ValueError, "cross_entropy_loss: logits of shape %s: expected [C] or [N, C]",
                 lmpy_shape_str(x.ndim, x.shape, sh, sizeof sh));
        goto done;
    }
    size_t N = x.ndim == 2 ? (size_t)x.shape[0] : 1, C = (size_t)x.shape[x.ndim - 1];
    if (x.ndim == 1) { /* one example: an int target (or anything with __index__) */
        long tv;
        if (lmpy_kw_long(&spec, 1, v[1], &tv) < 0) goto done;
        if (tv < INT32_MIN || tv > INT32_MAX) {
            lmpy_err(PyExc_ValueError, "cross_entropy_loss: target = %ld: expected a class in [0, %zu)", tv, C);
            goto done;
        }
        one = (lmp_token_id)tv;
    } else {
        if (lmpy_view_get(v[1], &t, "target", LMPY_INT) < 0) goto done;
        have_t = 1;
        if (t.ndim != 1 || (size_t)t.shape[0] != N) {
            lmpy_err(PyExc_ValueError, "cross_entropy_loss: target of shape %s for logits of shape (%zu, %zu): "
                     "expected (%zu,)", lmpy_shape_str(t.ndim, t.shape, sh, sizeof sh), N, C, N);
            goto done;
        }
        targets = malloc((N ? N : 1) * sizeof *targets);
        if (!targets) {
            PyErr_NoMemory();
            goto done;
        }
        for (size_t i = 0; i < N; i++) {
            double tv = lmpy_view_at(&t, t.data + (Py_ssize_t)i * t.strides[0]);
            if (!(tv >= INT32_MIN && tv <= INT32_MAX)) {
                lmpy_err(PyExc_ValueError, "cross_entropy_loss: target[%zu] = %.0f: expected a class in [0, %zu)", i,
                         tv, C);
                goto done;
            }
            targets[i] = (lmp_token_id)tv;
        }
    }
    const double *in = (const double *)x.data;
    Py_ssize_t cs = x.strides[x.ndim - 1], rs = x.ndim == 2 ? x.strides[0] : 0;
    /* float32 rows in place: the library's float32 loss (the double one's value, bit for bit) */
    int f32 = x.type == 'f' && cs == 4 && (N <= 1 || rs == (Py_ssize_t)(4 * C));
    if (!f32 && !(x.type == 'd' && cs == 8 && (N <= 1 || rs == (Py_ssize_t)(8 * C)))) {
        rows = malloc((N * C > 0 ? N * C : 1) * sizeof *rows);
        if (!rows) {
            PyErr_NoMemory();
            goto done;
        }
        for (size_t i = 0; i < N; i++)
            for (size_t c = 0; c < C; c++)
                rows[i * C + c] = lmpy_view_at(&x, x.data + (Py_ssize_t)i * rs + (Py_ssize_t)c * cs);
        in = rows;
    }
    double loss;
    lmp_error err;
    lmp_status st;
    const lmp_token_id ig = (lmp_token_id)ignore;
    const float *in32 = (const float *)x.data;
#define CE_CALL()                                                                        \
    (f32 ? lmp_ce_loss_batch_f32(in32, N, C, targets, ig, smooth, &loss, &err)           \
         : lmp_ce_loss_batch(in, N, C, targets, ig, smooth, &loss, &err))
    if (N * C >= 65536) { /* a long call: without the GIL (the views keep the buffers) */
        Py_BEGIN_ALLOW_THREADS
        st = CE_CALL();
        Py_END_ALLOW_THREADS
    } else {
        st = CE_CALL();
    }
#undef CE_CALL
    res = st == LMP_OK ? PyFloat_FromDouble(loss) : lmpy_raise(&err);
done:
    free(rows);
    if (targets != &one) free(targets);
    if (have_t) lmpy_view_release(&t);
    lmpy_view_release(&x);
    return res;
}

#define AXIS_DOC                                                                                          \
    "axis: the axis the vectors lie along (default -1; None: the whole array as one\n"                   \
    "vector). A 1-D input gives a float, an N-D one an array without that axis\n"                        \
    "(keepdims=True keeps it as length 1).\n"

PyMethodDef lmpy_info_methods[] = {
    {"entropy", LMPY_FN(py_entropy), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("entropy(p, base=None, *, axis=-1, keepdims=False)\n--\n\n"
               "Shannon entropy -sum p log p / log(base) of each vector of p, normalised by its\n"
               "sum first (counts work, as scipy.stats.entropy); 0 log 0 = 0. base None: nats,\n"
               "2: bits. NaN for a vector with a negative or NaN entry or a zero sum.\n" AXIS_DOC
               "Note: scipy.stats.entropy's default axis is 0; lmprob's is -1 (the vocabulary axis).")},
    {"entropy_of_logits", LMPY_FN(py_entropy_of_logits), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("entropy_of_logits(logits, base=None, *, axis=-1, keepdims=False)\n--\n\n"
               "Entropy of softmax(logits), from the logits without forming the probabilities\n"
               "(H = logsumexp - sum softmax * x). A reduction, as entropy: NaN for a row with a\n"
               "NaN or +inf logit or only -inf ones (softmax, which returns the row, raises there).\n" AXIS_DOC)},
    {"cross_entropy", LMPY_FN(py_ce), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("cross_entropy(p, q, base=None, *, axis=-1, keepdims=False)\n--\n\n"
               "H(p, q) = -sum p log q / log(base), each vector normalised first; terms with\n"
               "p = 0 are 0. p and q broadcast against each other. " AXIS_DOC)},
    {"kl", LMPY_FN(py_kl), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("kl(p, q, base=None, *, axis=-1, keepdims=False, eps=None)\n--\n\n"
               "KL(p || q) = sum p log(p / q) / log(base), exact (scipy.stats.entropy(p, q)):\n"
               "+inf where q = 0 < p. eps: the chapter's kl_divergence(P, Q, eps), each vector\n"
               "plus eps and renormalised first (finite everywhere). " AXIS_DOC)},
    {"js", LMPY_FN(py_js), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("js(p, q, base=None, *, axis=-1, keepdims=False, distance=False)\n--\n\n"
               "Jensen-Shannon divergence (KL(p||m) + KL(q||m)) / 2, m = (p + q) / 2, at most\n"
               "log 2 / log(base); distance=True: its square root, which is what\n"
               "scipy.spatial.distance.jensenshannon returns. " AXIS_DOC)},
    {"perplexity", LMPY_FN(py_ppl), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("perplexity(log_probs, axis=-1, *, keepdims=False)\n--\n\n"
               "exp(-mean(log_probs)) of natural-log probabilities (the chapter's\n"
               "perplexity_from_log_probs); a -inf entry gives inf, a NaN or positive one NaN.\n" AXIS_DOC)},
    {"logsumexp", LMPY_FN(py_lse), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("logsumexp(x, axis=-1, *, keepdims=False)\n--\n\n"
               "log sum exp x, the maximum subtracted first (finite for logits of +-1e308);\n"
               "-inf for an empty or all -inf vector, +inf with a +inf entry, NaN with a NaN\n"
               "(torch.logsumexp). " AXIS_DOC)},
    {"log_softmax", LMPY_FN(py_log_softmax), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("log_softmax(x, axis=-1)\n--\n\n"
               "x - logsumexp(x) along axis; the same shape, float32 for float32 input (the\n"
               "library's vectorised kernel), float64 otherwise. ValueError for a NaN or +inf\n"
               "entry or an all -inf vector, naming the vector and the index.")},
    {"cross_entropy_loss", LMPY_FN(py_ce_loss), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("cross_entropy_loss(logits, target, *, label_smoothing=0.0, ignore_index=-100)\n--\n\n"
               "torch.nn.functional.cross_entropy (reduction 'mean') of logits [C] with an int\n"
               "target, or [N, C] with N targets: logsumexp(x) - x[target] per row, averaged\n"
               "over the rows whose target is not ignore_index (NaN when every row is).\n"
               "label_smoothing s in [0, 1]: (1 - s) of that plus s times the loss against\n"
               "the uniform distribution, as torch. The chapter's cross_entropy_loss(logits,\n"
               "true_class) without its + 1e-9 inside the log. ValueError for a target outside\n"
               "[0, C), a NaN or +inf logit, or an all -inf row, naming the row.")},
    {"softmax", LMPY_FN(py_softmax), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("softmax(x, axis=-1)\n--\n\nexp(x - logsumexp(x)) along axis, as log_softmax.")},
    {NULL, NULL, 0, NULL},
};
