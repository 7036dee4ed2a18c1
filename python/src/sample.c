/* lmprob.sample and lmprob.Sampler: the library's sampler chains (sample.h) on
 * 1-D or 2-D float32/float64 arrays, a batch of rows in one call on threads.
 *
 * Numbers: a row is lmp_sampler_apply[_f32] then lmp_sampler_draw_u with one
 * uniform from the stream, which is exactly lmp_sampler_sample (apply + draw)
 * and `lmprob decode`. For a batch the uniforms are drawn first, one per row in
 * row order, with the GIL held; then the rows run on threads without it. So
 * the tokens do not depend on the thread count and equal those of calling
 * sample row by row with the same stream.
 *
 * Thread safety: a Sampler keeps its buffers (one lmp_sampler per thread,
 * sized for the largest vocabulary seen) and the kept set of its last 1-D call;
 * a call holds the object's lock, so one Sampler may be shared by threads
 * (their calls run one after the other). lmprob.sample keeps the buffers of
 * its last chain in one cache (below) and makes its own when another thread
 * holds it. */
#include "lmpy.h"

#include <math.h>
#include <pythread.h>
#include <stdlib.h>
#include <string.h>

static PyObject *default_rng; /* lmprob.default_rng: Xoshiro256(42), made at import */

/* ---- parameters -------------------------------------------------------------------------------- */

typedef struct sparams {
    lmp_sampler_params p;
    int dtype_given; /* 0: from the array (hf) or float32 (llama) */
} sparams;

#define SAMPLER_KWS                                                                                             \
    "temperature", "top_k", "top_p", "min_p", "typical_p", "epsilon", "repetition_penalty", "frequency_penalty", \
        "presence_penalty", "penalty_last_n", "min_keep", "order", "dtype"

static int finish_params(sparams *sp, const char *order, const char *dtype, long top_k, long last_n, long min_keep)
{
    lmp_sampler_params *p = &sp->p;
    if (strcmp(order, "hf") == 0) p->conv = LMP_CONV_HF;
    else if (strcmp(order, "llama") == 0) p->conv = LMP_CONV_LLAMA;
    else {
        PyErr_Format(PyExc_ValueError, "order = '%s': expected 'hf' (Hugging Face's warpers) or 'llama' (llama.cpp's "
                                       "chain)", order);
        return -1;
    }
    sp->dtype_given = dtype != NULL;
    if (dtype) {
        if (strcmp(dtype, "float32") == 0 || strcmp(dtype, "f32") == 0) p->dtype = LMP_DTYPE_F32;
        else if (strcmp(dtype, "float64") == 0 || strcmp(dtype, "f64") == 0) p->dtype = LMP_DTYPE_F64;
        else {
            PyErr_Format(PyExc_ValueError, "dtype = '%s': expected 'float32', 'float64' or None (None: the logits' "
                                           "dtype for order='hf', float32 for order='llama')", dtype);
            return -1;
        }
    }
    if (top_k < 0) {
        PyErr_Format(PyExc_ValueError, "top_k = %ld: expected k >= 0 (0 is off)", top_k);
        return -1;
    }
    if (last_n < 0) {
        PyErr_Format(PyExc_ValueError, "penalty_last_n = %ld: expected n >= 0 (0: the whole history)", last_n);
        return -1;
    }
    if (min_keep < 1) {
        PyErr_Format(PyExc_ValueError, "min_keep = %ld: expected n >= 1", min_keep);
        return -1;
    }
    p->top_k = top_k;
    p->penalty_last_n = (size_t)last_n;
    p->min_keep = (size_t)min_keep;
    lmp_error err;
    lmp_sampler_params chk = *p;
    if (!sp->dtype_given) chk.dtype = LMP_DTYPE_F64;
    if (lmp_sampler_params_check(&chk, &err) != LMP_OK) {
        lmpy_raise(&err);
        return -1;
    }
    return 0;
}

/* The arithmetic a call uses: as given, else float32 for llama and the logits' own for hf
 * (Hugging Face computes in the model's dtype; `lmprob decode` reads float64 text). */
static lmp_sampler_dtype call_dtype(const sparams *sp, char type)
{
    if (sp->dtype_given) return sp->p.dtype;
    if (sp->p.conv == LMP_CONV_LLAMA) return LMP_DTYPE_F32;
    return type == 'f' ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
}

/* ---- the engine shared by sample() and Sampler.sample() ------------------------------------------ */

typedef struct engine {
    lmp_sampler **s;    /* one per worker */
    int ns;
    size_t max_vocab;
    lmp_sampler_dtype dtype;
    int made;
    void **scratch;     /* per worker: a copy of a row that is not contiguous */
} engine;

static void engine_free(engine *e)
{
    for (int i = 0; i < e->ns; i++) {
        lmp_sampler_free(e->s[i]);
        if (e->scratch) PyMem_RawFree(e->scratch[i]);
    }
    PyMem_RawFree(e->s);
    PyMem_RawFree(e->scratch);
    memset(e, 0, sizeof *e);
}

/* Make sure there are `workers` samplers for vocabularies of V with this dtype. */
static int engine_ready(engine *e, const sparams *sp, lmp_sampler_dtype dt, size_t V, int workers)
{
    if (e->made && (V > e->max_vocab || dt != e->dtype || workers > e->ns)) engine_free(e);
    if (e->made) return 0;
    lmp_sampler_params p = sp->p;
    p.dtype = dt;
    e->s = PyMem_RawCalloc((size_t)workers, sizeof *e->s);
    e->scratch = PyMem_RawCalloc((size_t)workers, sizeof *e->scratch);
    if (!e->s || !e->scratch) {
        PyMem_RawFree(e->s);
        PyMem_RawFree(e->scratch);
        e->s = NULL;
        e->scratch = NULL;
        PyErr_NoMemory();
        return -1;
    }
    e->ns = workers;
    lmp_error err;
    lmp_status st = LMP_OK;
    Py_BEGIN_ALLOW_THREADS
    for (int i = 0; i < workers && st == LMP_OK; i++) {
        st = lmp_sampler_create(&p, V, &e->s[i], &err);
        if (st == LMP_OK && !(e->scratch[i] = PyMem_RawMalloc(V * sizeof(double)))) {
            st = LMP_ENOMEM;
            lmp_error_set(&err, LMP_ENOMEM, "out of memory for a row of %zu logits", V);
        }
    }
    Py_END_ALLOW_THREADS
    if (st != LMP_OK) {
        engine_free(e);
        lmpy_raise(&err);
        return -1;
    }
    e->max_vocab = V;
    e->dtype = dt;
    e->made = 1;
    return 0;
}

/* Per-row token histories (for the penalties). */
typedef struct hists {
    lmp_token_id *ids; /* all rows' ids, one block */
    size_t *off, *len; /* row r: ids[off[r] .. off[r] + len[r]) */
    int shared;        /* one history for every row (off/len of row 0) */
    size_t off1, len1; /* off and len of a call of one row (nothing allocated) */
} hists;

static void hists_free(hists *h)
{
    PyMem_RawFree(h->ids);
    if (h->off != &h->off1) PyMem_RawFree(h->off);
    if (h->len != &h->len1) PyMem_RawFree(h->len);
    memset(h, 0, sizeof *h);
}

static int hists_get(PyObject *obj, size_t rows, size_t V, hists *h)
{
    memset(h, 0, sizeof *h);
    h->shared = 1;
    if (rows <= 1) {
        h->off = &h->off1;
        h->len = &h->len1;
    } else {
        h->off = PyMem_RawCalloc(rows, sizeof *h->off);
        h->len = PyMem_RawCalloc(rows, sizeof *h->len);
    }
    if (!h->off || !h->len) {
        hists_free(h);
        PyErr_NoMemory();
        return -1;
    }
    if (obj == NULL || obj == Py_None) return 0;
    /* a list whose items are sequences: one history per row */
    int per_row = 0;
    if ((PyList_Check(obj) || PyTuple_Check(obj)) && PySequence_Fast_GET_SIZE(obj) > 0) {
        PyObject *first = PySequence_Fast_GET_ITEM(obj, 0);
        per_row = !PyLong_Check(first) && !PyIndex_Check(first);
    } else if (PyObject_CheckBuffer(obj)) {
        Py_buffer b;
        if (PyObject_GetBuffer(obj, &b, PyBUF_ND) == 0) {
            per_row = b.ndim == 2;
            PyBuffer_Release(&b);
        } else {
            PyErr_Clear();
        }
    }
    if (!per_row) {
        size_t n;
        if (lmpy_ids_get(obj, "history", V, &h->ids, &n) < 0) {
            hists_free(h);
            return -1;
        }
        for (size_t r = 0; r < rows; r++) h->len[r] = n;
        return 0;
    }
    h->shared = 0;
    PyObject *seq = PySequence_Fast(obj, "history: expected one sequence of token ids per row");
    if (!seq) {
        hists_free(h);
        return -1;
    }
    if ((size_t)PySequence_Fast_GET_SIZE(seq) != rows) {
        PyErr_Format(PyExc_ValueError, "history: expected one history per row (%zu), got %zd", rows,
                     PySequence_Fast_GET_SIZE(seq));
        Py_DECREF(seq);
        hists_free(h);
        return -1;
    }
    size_t total = 0, cap = 0;
    for (size_t r = 0; r < rows; r++) {
        lmp_token_id *t;
        size_t n;
        char name[48];
        snprintf(name, sizeof name, "history[%zu]", r);
        /* the ids' __index__ may change the outer list too (lmpy_ids_get) */
        if ((size_t)PySequence_Fast_GET_SIZE(seq) != rows) {
            PyErr_SetString(PyExc_RuntimeError, "history: the list changed size while its rows were read");
            Py_DECREF(seq);
            hists_free(h);
            return -1;
        }
        PyObject *row = PySequence_Fast_GET_ITEM(seq, (Py_ssize_t)r);
        Py_INCREF(row);
        int got = lmpy_ids_get(row, name, V, &t, &n);
        Py_DECREF(row);
        if (got < 0) {
            Py_DECREF(seq);
            hists_free(h);
            return -1;
        }
        if (total + n > cap) {
            size_t nc = (total + n) * 2 + 16;
            lmp_token_id *ni = PyMem_RawRealloc(h->ids, nc * sizeof *ni);
            if (!ni) {
                PyMem_RawFree(t);
                Py_DECREF(seq);
                hists_free(h);
                PyErr_NoMemory();
                return -1;
            }
            h->ids = ni;
            cap = nc;
        }
        if (n) memcpy(h->ids + total, t, n * sizeof *t);
        PyMem_RawFree(t);
        h->off[r] = total;
        h->len[r] = n;
        total += n;
    }
    Py_DECREF(seq);
    return 0;
}

typedef struct batch {
    engine *e;
    const lmpy_view *v;
    size_t V;
    const hists *h;
    const double *u;      /* one uniform per row */
    int64_t *tok;
    lmp_error *errs;      /* per row */
    lmp_status *st;
} batch;

static void row_run(void *ctx, size_t r, int w)
{
    batch *b = ctx;
    const lmpy_view *v = b->v;
    const char *row = v->data + (v->ndim == 2 ? (Py_ssize_t)r * v->strides[0] : 0);
    Py_ssize_t inner = v->strides[v->ndim - 1];
    lmp_sampler *s = b->e->s[w];
    const lmp_token_id *hist = b->h->ids ? b->h->ids + b->h->off[b->h->shared ? 0 : r] : NULL;
    size_t nh = b->h->len[b->h->shared ? 0 : r];
    lmp_status st;
    if (v->type == 'f') {
        const float *x = (const float *)(const void *)row;
        if (inner != 4) { /* a strided row: gather it */
            float *c = b->e->scratch[w];
            for (size_t i = 0; i < b->V; i++) memcpy(&c[i], row + (Py_ssize_t)i * inner, 4);
            x = c;
        }
        st = lmp_sampler_apply_f32(s, x, b->V, hist, nh, &b->errs[r]);
    } else {
        const double *x = (const double *)(const void *)row;
        if (inner != 8) {
            double *c = b->e->scratch[w];
            for (size_t i = 0; i < b->V; i++) memcpy(&c[i], row + (Py_ssize_t)i * inner, 8);
            x = c;
        }
        st = lmp_sampler_apply(s, x, b->V, hist, nh, &b->errs[r]);
    }
    b->st[r] = st;
    b->tok[r] = st == LMP_OK ? lmp_sampler_draw_u(s, b->u[r]) : -1;
}

/* Sample the rows of `logits` with engine e. keep_last: a 1-D call whose kept set the
 * caller reads afterwards (Sampler.kept). Returns int, or an int64 array for 2-D input. */
static PyObject *run(engine *e, const sparams *sp, PyObject *logits, PyObject *history, PyObject *rng, long threads,
                     PyObject *out)
{
    if (threads < 0) /* as score_batch and GPT2 */
        return PyErr_Format(PyExc_ValueError, "sample: threads = %ld: expected >= 0 (0: every core)", threads);
    lmpy_view v;
    if (lmpy_view_get(logits, &v, "logits", LMPY_FLOAT) < 0) return NULL;
    PyObject *res = NULL, *blk = NULL;
    hists h = {0};
    double *u = NULL, u1;
    lmp_error *errs = NULL, errs1;
    lmp_status *sts = NULL, sts1;
    int64_t *tok = NULL, one = -1;
    lmpy_view ov;
    int have_out = 0;
    char shp[96];
    if (v.ndim != 1 && v.ndim != 2) {
        PyErr_Format(PyExc_ValueError, "logits: expected a 1-D (V,) or 2-D (batch, V) array, got shape %s",
                     lmpy_shape_str(v.ndim, v.shape, shp, sizeof shp));
        goto done;
    }
    size_t rows = v.ndim == 2 ? (size_t)v.shape[0] : 1;
    size_t V = (size_t)v.shape[v.ndim - 1];
    if (V == 0) {
        PyErr_Format(PyExc_ValueError, "logits: expected at least one logit per row, got shape %s",
                     lmpy_shape_str(v.ndim, v.shape, shp, sizeof shp));
        goto done;
    }
    if (V > (size_t)INT32_MAX) {
        PyErr_Format(PyExc_ValueError, "logits: %zu logits in a row: expected at most 2**31 - 1 (token ids are int32)",
                     V);
        goto done;
    }
    if (rng == NULL || rng == Py_None) rng = default_rng;
    if (!lmpy_rng_check(rng)) {
        PyErr_Format(PyExc_TypeError, "rng: expected an lmprob.RandomState or lmprob.Xoshiro256, got %.100s",
                     Py_TYPE(rng)->tp_name);
        goto done;
    }
    if (v.ndim == 1 && out && out != Py_None) { /* it was ignored, the array left as it was */
        PyErr_SetString(PyExc_ValueError, "out: for a batch (2-D logits) only: a 1-D call returns its id as an int");
        goto done;
    }
    if (hists_get(history, rows, V, &h) < 0) goto done;
    if (v.ndim == 2) {
        Py_ssize_t n = (Py_ssize_t)rows;
        if (out && out != Py_None) {
            if (lmpy_view_get(out, &ov, "out", LMPY_INT | LMPY_WRITABLE) < 0) goto done;
            have_out = 1;
            if (ov.type != 'i' || ov.itemsize != 8) { /* a wrong type is a TypeError (docs/python.md, "Errors") */
                PyErr_Format(PyExc_TypeError, "out: expected an int64 array (one id per row), got %s",
                             lmpy_view_dtype(&ov));
                goto done;
            }
            if (ov.ndim != 1 || ov.shape[0] != n || ov.strides[0] != 8) {
                PyErr_Format(PyExc_ValueError, "out: expected a contiguous int64 array of %zd (one id per row)", n);
                goto done;
            }
            tok = (int64_t *)(void *)ov.data;
        } else {
            blk = lmpy_array_new('q', 1, &n, (void **)&tok);
            if (!blk) goto done;
        }
    } else {
        tok = &one;
    }
    if (rows == 0) {
        res = have_out ? Py_NewRef(out) : lmpy_array_finish(blk);
        blk = NULL;
        goto done;
    }
    if (rows == 1) { /* a row at a time (token by token): nothing allocated */
        u = &u1;
        errs = &errs1;
        sts = &sts1;
    } else {
        u = PyMem_RawMalloc(rows * sizeof *u);
        errs = PyMem_RawMalloc(rows * sizeof *errs);
        sts = PyMem_RawMalloc(rows * sizeof *sts);
    }
    if (!u || !errs || !sts) {
        PyErr_NoMemory();
        goto done;
    }
    lmp_rng *r = lmpy_rng_lock(rng);
    for (size_t i = 0; i < rows; i++) u[i] = lmp_rng_uniform(r);
    lmpy_rng_unlock(rng);
    /* Handing rows to the kept workers (lmpy_parallel) costs up to about 20 us here (a wake-up):
     * more than 2 GPT-2 rows take on one thread (17 us), about what 4 would save (37 us on
     * one thread, 44 on two), a clear gain from 8 (175 against 69; docs/python.md,
     * "Sampling"). So below 2^18 logits in all the batch runs on the calling thread. */
    int nt = rows * V < ((size_t)1 << 18) ? 1 : lmpy_threads(threads, rows);
    if (engine_ready(e, sp, call_dtype(sp, v.type), V, nt) < 0) goto done;
    batch b = {e, &v, V, &h, u, tok, errs, sts};
    if (rows * V >= 4096) {
        Py_BEGIN_ALLOW_THREADS
        lmpy_parallel(rows, nt, row_run, &b);
        Py_END_ALLOW_THREADS
    } else {
        lmpy_parallel(rows, 1, row_run, &b);
    }
    for (size_t i = 0; i < rows; i++)
        if (sts[i] != LMP_OK) {
            if (v.ndim == 2) {
                lmp_error e2 = errs[i];
                snprintf(e2.msg, sizeof e2.msg, "row %zu: %s", i, errs[i].msg);
                lmpy_raise(&e2);
            } else {
                lmpy_raise(&errs[i]);
            }
            goto done;
        }
    if (v.ndim == 1) res = PyLong_FromLongLong(one);
    else if (have_out) res = Py_NewRef(out);
    else {
        res = lmpy_array_finish(blk);
        blk = NULL;
    }
done:
    Py_XDECREF(blk);
    if (have_out) lmpy_view_release(&ov);
    hists_free(&h);
    if (u != &u1) {
        PyMem_RawFree(u);
        PyMem_RawFree(errs);
        PyMem_RawFree(sts);
    }
    lmpy_view_release(&v);
    return res;
}

/* ---- lmprob.sample ------------------------------------------------------------------------------ */

/* dtype= as numpy users also write it: a numpy dtype (np.dtype("float32"): its .name), a scalar type
 * (np.float32, and Python's float, numpy's float64: their __name__); a new reference to that name, or NULL
 * (no error set) for anything else, which the string check then refuses with its message. */
static PyObject *dtype_name(PyObject *v)
{
    if (v == (PyObject *)&PyFloat_Type) return PyUnicode_FromString("float64");
    const char *attr = PyType_Check(v) ? "__name__" : "name";
    PyObject *n = PyObject_GetAttrString(v, attr);
    if (!n) {
        PyErr_Clear();
        return NULL;
    }
    if (!PyUnicode_Check(n)) Py_CLEAR(n);
    return n;
}

/* The chain's arguments (SAMPLER_KWS) from vals[0..13), as the spec names them. */
static int sampler_kw(const lmpy_kwspec *spec, int o, PyObject **v, sparams *sp)
{
    lmp_sampler_params *p = &sp->p;
    lmp_sampler_params_init(p);
    long top_k = 0, last_n = 0, min_keep = 1;
    const char *order = "hf", *dtype = NULL;
    if (lmpy_kw_double(spec, o + 0, v[o + 0], &p->temperature) < 0 || lmpy_kw_long(spec, o + 1, v[o + 1], &top_k) < 0 ||
        lmpy_kw_double(spec, o + 2, v[o + 2], &p->top_p) < 0 || lmpy_kw_double(spec, o + 3, v[o + 3], &p->min_p) < 0 ||
        lmpy_kw_double(spec, o + 4, v[o + 4], &p->typical_p) < 0 ||
        lmpy_kw_double(spec, o + 5, v[o + 5], &p->epsilon) < 0 ||
        lmpy_kw_double(spec, o + 6, v[o + 6], &p->repetition_penalty) < 0 ||
        lmpy_kw_double(spec, o + 7, v[o + 7], &p->frequency_penalty) < 0 ||
        lmpy_kw_double(spec, o + 8, v[o + 8], &p->presence_penalty) < 0 ||
        lmpy_kw_long(spec, o + 9, v[o + 9], &last_n) < 0 || lmpy_kw_long(spec, o + 10, v[o + 10], &min_keep) < 0 ||
        lmpy_kw_str(spec, o + 11, v[o + 11], 0, &order) < 0)
        return -1;
    PyObject *dv = v[o + 12], *named = NULL;
    if (dv && dv != Py_None && !PyUnicode_Check(dv) && (named = dtype_name(dv))) dv = named;
    int rc = lmpy_kw_str(spec, o + 12, dv, 1, &dtype) < 0 ? -1 : finish_params(sp, order, dtype, top_k, last_n, min_keep);
    Py_XDECREF(named); /* dtype points into it until finish_params has read it */
    return rc;
}

/* sample()'s cache: the engine of its last call and the chain it was made for. Making a
 * sampler allocates and first touches ~53 bytes per token (sample.h), which cost more than
 * the draw itself in a token-by-token loop (4 ms against 8 us on a 50257 row, measured on
 * this module before the cache: docs/python.md). The lock is only ever tried, never waited
 * for: a call that finds it taken (another thread in sample()) makes its own engine. */
static struct {
    lmpy_lock lock;
    engine e;
    sparams sp;
} sample_cache;

/* The same chain: every field that lmp_sampler_create bakes in (dtype is the engine's own). */
static int same_chain(const sparams *a, const sparams *b)
{
    const lmp_sampler_params *x = &a->p, *y = &b->p;
    return a->dtype_given == b->dtype_given && x->conv == y->conv && x->dtype == y->dtype &&
           x->temperature == y->temperature && x->top_k == y->top_k && x->top_p == y->top_p &&
           x->min_p == y->min_p && x->typical_p == y->typical_p && x->epsilon == y->epsilon &&
           x->repetition_penalty == y->repetition_penalty && x->frequency_penalty == y->frequency_penalty &&
           x->presence_penalty == y->presence_penalty && x->penalty_last_n == y->penalty_last_n &&
           x->min_keep == y->min_keep && x->simd == y->simd && x->path == y->path;
}

static PyObject *py_sample(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    (void)self;
    static const char *const names[] = {"logits", SAMPLER_KWS, "history", "rng", "threads", "out", NULL};
    static PyObject *keys[sizeof names / sizeof names[0]];
    static lmpy_kwspec spec = {"sample", names, 1, 1, keys};
    PyObject *v[sizeof names / sizeof names[0]];
    sparams sp;
    long threads = 0;
    if (lmpy_kw_parse_fast(&spec, args, nargs, kwnames, v) < 0 || sampler_kw(&spec, 1, v, &sp) < 0 ||
        lmpy_kw_long(&spec, 16, v[16], &threads) < 0)
        return NULL;
    PyObject *logits = v[0], *history = v[14] ? v[14] : Py_None, *rng = v[15] ? v[15] : Py_None,
             *out = v[17] ? v[17] : Py_None;
    if (sample_cache.lock.ready && lmpy_lock_try(&sample_cache.lock)) {
        if (sample_cache.e.made && !same_chain(&sample_cache.sp, &sp)) engine_free(&sample_cache.e);
        sample_cache.sp = sp;
        PyObject *r = run(&sample_cache.e, &sp, logits, history, rng, threads, out);
        lmpy_lock_give(&sample_cache.lock);
        return r;
    }
    engine e = {0};
    PyObject *r = run(&e, &sp, logits, history, rng, threads, out);
    engine_free(&e);
    return r;
}

/* ---- lmprob.Sampler ----------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    sparams sp;
    engine e;
    lmpy_lock lock;
    int have_kept; /* the last call: 1 on one row (1-D): e.s[0] holds its kept set; 0 none; 2 a batch; 3 an error */
} lmpy_Sampler;

static PyObject *sampler_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    lmpy_Sampler *o = (lmpy_Sampler *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    if (lmpy_lock_init(&o->lock) < 0) {
        Py_DECREF(o);
        return NULL;
    }
    lmp_sampler_params_init(&o->sp.p);
    return (PyObject *)o;
}

static void sampler_dealloc(lmpy_Sampler *o)
{
    engine_free(&o->e);
    lmpy_lock_fini(&o->lock);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static int sampler_init(lmpy_Sampler *o, PyObject *args, PyObject *kw)
{
    static const char *const names[] = {SAMPLER_KWS, NULL};
    static PyObject *keys[sizeof names / sizeof names[0]];
    static lmpy_kwspec spec = {"Sampler", names, 0, 0, keys};
    PyObject *v[sizeof names / sizeof names[0]];
    sparams sp;
    if (lmpy_kw_parse(&spec, args, kw, v) < 0 || sampler_kw(&spec, 0, v, &sp) < 0) return -1;
    /* under the lock: another thread may be sampling with the buffers freed here */
    if (lmpy_lock_enter(&o->lock, "Sampler.__init__") < 0) return -1;
    o->sp = sp;
    engine_free(&o->e);
    o->have_kept = 0;
    lmpy_lock_give(&o->lock);
    return 0;
}

static PyObject *sampler_sample(lmpy_Sampler *o, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    static const char *const names[] = {"logits", "history", "rng", "threads", "out", NULL};
    static PyObject *keys[sizeof names / sizeof names[0]];
    static lmpy_kwspec spec = {"sample", names, 2, 1, keys};
    PyObject *v[sizeof names / sizeof names[0]];
    long threads = 0;
    if (lmpy_kw_parse_fast(&spec, args, nargs, kwnames, v) < 0 || lmpy_kw_long(&spec, 3, v[3], &threads) < 0)
        return NULL;
    if (lmpy_lock_enter(&o->lock, "Sampler.sample") < 0) return NULL;
    PyObject *r = run(&o->e, &o->sp, v[0], v[1] ? v[1] : Py_None, v[2] ? v[2] : Py_None, threads,
                      v[4] ? v[4] : Py_None);
    o->have_kept = !r ? 3 : PyLong_Check(r) ? 1 : 2;
    lmpy_lock_give(&o->lock);
    return r;
}

/* The kept set of the last 1-D call: (ids int32, probabilities float64, logits float64). */
static PyObject *sampler_kept(lmpy_Sampler *o, PyObject *unused)
{
    (void)unused;
    if (lmpy_lock_enter(&o->lock, "Sampler.kept") < 0) return NULL;
    PyObject *res = NULL;
    if (o->have_kept != 1 || !o->e.made) {
        PyErr_SetString(PyExc_ValueError,
                        o->have_kept == 2   ? "kept: the last sample call was on a batch (2-D logits): kept() is the "
                                              "kept set of a call on one row (1-D)"
                        : o->have_kept == 3 ? "kept: the last sample call raised an error: no kept set"
                                            : "kept: no sample call yet (kept() is the kept set of the last call, on "
                                              "one row of logits)");
        goto done;
    }
    lmp_candidates k = lmp_sampler_kept(o->e.s[0]);
    Py_ssize_t n = (Py_ssize_t)k.n;
    int32_t *id;
    double *p, *lg;
    PyObject *a = lmpy_array_new('i', 1, &n, (void **)&id);
    PyObject *b = lmpy_array_new('d', 1, &n, (void **)&p);
    PyObject *c = lmpy_array_new('d', 1, &n, (void **)&lg);
    if (a && b && c) {
        memcpy(id, k.id, k.n * sizeof *id);
        memcpy(p, k.p, k.n * sizeof *p);
        memcpy(lg, k.logit, k.n * sizeof *lg);
        a = lmpy_array_finish(a);
        b = lmpy_array_finish(b);
        c = lmpy_array_finish(c);
        if (a && b && c) res = PyTuple_Pack(3, a, b, c);
    }
    Py_XDECREF(a);
    Py_XDECREF(b);
    Py_XDECREF(c);
done:
    lmpy_lock_give(&o->lock);
    return res;
}

static PyObject *sampler_params(lmpy_Sampler *o, void *c)
{
    (void)c;
    lmpy_lock_take(&o->lock); /* __init__ may be changing them on another thread */
    const sparams sp = o->sp;
    lmpy_lock_give(&o->lock);
    const lmp_sampler_params *p = &sp.p;
    return Py_BuildValue("{s:d,s:l,s:d,s:d,s:d,s:d,s:d,s:d,s:d,s:n,s:n,s:s,s:s}", "temperature", p->temperature,
                         "top_k", p->top_k, "top_p", p->top_p, "min_p", p->min_p, "typical_p", p->typical_p,
                         "epsilon", p->epsilon, "repetition_penalty", p->repetition_penalty, "frequency_penalty",
                         p->frequency_penalty, "presence_penalty", p->presence_penalty, "penalty_last_n",
                         (Py_ssize_t)p->penalty_last_n, "min_keep", (Py_ssize_t)p->min_keep, "order",
                         p->conv == LMP_CONV_HF ? "hf" : "llama", "dtype",
                         !sp.dtype_given ? "auto" : p->dtype == LMP_DTYPE_F32 ? "float32" : "float64");
}

static PyObject *sampler_repr(lmpy_Sampler *o)
{
    PyObject *d = sampler_params(o, NULL);
    if (!d) return NULL;
    PyObject *r = PyUnicode_FromFormat("Sampler(%R)", d);
    Py_DECREF(d);
    return r;
}

static PyMethodDef sampler_methods[] = {
    {"sample", LMPY_FN(sampler_sample), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("sample($self, logits, history=None, *, rng=None, threads=0, out=None)\n--\n\n"
               "Draw a token from each row of logits through this sampler's chain: an int for\n"
               "a 1-D array (V,), an int64 array for a 2-D one (batch, V), as lmprob.sample.")},
    {"kept", LMPY_FN(sampler_kept), METH_NOARGS,
     PyDoc_STR("kept($self)\n--\n\nThe kept set of the last call, when it sampled one row (1-D logits): (ids int32\n"
               "ascending, probabilities renormalised over the kept set, processed logits), as\n"
               "`lmprob decode --json` prints them. A ValueError after a batch call or an error.")},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef sampler_getset[] = {
    {"params", (getter)sampler_params, NULL, PyDoc_STR("the chain's settings, a dict"), NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

#define SAMPLER_ARGS_DOC                                                                                          \
    "  temperature=1.0     logits / T (0: greedy, the first maximum)\n"                                           \
    "  top_k=0             keep the k best (0: off)\n"                                                           \
    "  top_p=1.0           nucleus: the smallest set with mass >= p (1: off)\n"                                   \
    "  min_p=0.0           keep p_i >= min_p * p_max (0: off)\n"                                                  \
    "  typical_p=1.0       locally typical sampling, Meister et al. (1: off)\n"                                   \
    "  epsilon=0.0         keep p_i >= epsilon, Hewitt et al. (0: off)\n"                                         \
    "  repetition_penalty=1.0, frequency_penalty=0.0, presence_penalty=0.0, penalty_last_n=0\n"                    \
    "                      penalties on the tokens of `history` (HF / llama.cpp formulas)\n"                      \
    "  min_keep=1          every filter keeps at least this many\n"                                              \
    "  order='hf'          'hf': Hugging Face's warper order and edge rules; 'llama': llama.cpp's\n"              \
    "  dtype=None          arithmetic: 'float32' or 'float64'; None: the logits' dtype for 'hf',\n"              \
    "                      float32 for 'llama' (llama.cpp computes in float)\n"

PyDoc_STRVAR(sampler_doc,
"Sampler(*, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, typical_p=1.0, epsilon=0.0,\n"
"        repetition_penalty=1.0, frequency_penalty=0.0, presence_penalty=0.0,\n"
"        penalty_last_n=0, min_keep=1, order='hf', dtype=None)\n"
"--\n"
"\n"
"A sampler chain that keeps its buffers between calls (one per thread, sized\n"
"for the largest vocabulary seen): the way to sample token after token.\n"
"\n" SAMPLER_ARGS_DOC
"\n"
"Thread safety: calls hold the object's lock; threads may share one Sampler\n"
"(their calls run one at a time; give each thread its own for parallelism).");

static PyTypeObject sampler_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob.Sampler",
    .tp_basicsize = sizeof(lmpy_Sampler),
    .tp_dealloc = (destructor)sampler_dealloc,
    .tp_repr = (reprfunc)sampler_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = sampler_doc,
    .tp_methods = sampler_methods,
    .tp_getset = sampler_getset,
    .tp_init = (initproc)sampler_init,
    .tp_new = sampler_new,
};

PyMethodDef lmpy_sample_methods[] = {
    {"sample", LMPY_FN(py_sample), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("sample(logits, *, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0, typical_p=1.0,\n"
               "       epsilon=0.0, repetition_penalty=1.0, frequency_penalty=0.0,\n"
               "       presence_penalty=0.0, penalty_last_n=0, min_keep=1, order='hf', dtype=None,\n"
               "       history=None, rng=None, threads=0, out=None)\n--\n\n"
               "Draw the next token from logits through a sampler chain (sample.h): an int for a\n"
               "1-D array (V,), an int64 array of one id per row for a 2-D array (batch, V).\n"
               "float32 or float64, any strides (rows are read in place when contiguous), numpy\n"
               "or torch (CPU) or any buffer.\n\n" SAMPLER_ARGS_DOC
               "  history             the tokens so far (for the penalties): ids, or one list per row\n"
               "  rng                 lmprob.RandomState (numpy's stream) or lmprob.Xoshiro256;\n"
               "                      None: lmprob.default_rng (Xoshiro256(42) at import)\n"
               "  threads             threads for a batch (0: every core)\n"
               "  out                 an int64 array to write the ids of a batch into\n\n"
               "One uniform per row, drawn in row order before the rows run (without the GIL,\n"
               "on threads): the same tokens as `lmprob decode` and as the C library's\n"
               "lmp_sampler_sample with the same stream, whatever the thread count. NaN or +inf\n"
               "logits are a ValueError naming the index. Keeps the buffers of its last\n"
               "chain for the next call with the same settings (a call while another thread\n"
               "is in sample() makes its own); a Sampler keeps its own.")},
    {NULL, NULL, 0, NULL},
};

int lmpy_init_sample(PyObject *m)
{
    if (PyType_Ready(&sampler_type) < 0) return -1;
    if (!sample_cache.lock.ready && lmpy_lock_init(&sample_cache.lock) < 0) return -1;
    if (PyModule_AddObject(m, "Sampler", Py_NewRef((PyObject *)&sampler_type)) < 0) return -1;
    PyObject *xo = PyObject_GetAttrString(m, "Xoshiro256");
    if (!xo) return -1;
    default_rng = PyObject_CallFunction(xo, "i", 42);
    Py_DECREF(xo);
    if (!default_rng) return -1;
    return PyModule_AddObject(m, "default_rng", Py_NewRef(default_rng));
}
