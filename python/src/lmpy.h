/* lmprob's Python module (_lmprob): what its C files share.
 *
 * The extension is a thin layer over the library (include/lmprob/): it turns
 * Python objects into the library's arguments and the library's results and
 * errors into Python objects. Arrays come in and go out through the buffer
 * protocol (PEP 3118), so numpy arrays, memoryviews, array.array and bytes are
 * read in place; numpy is not needed to build the module, and results are
 * handed to numpy.asarray (zero-copy) when numpy is importable, as memoryviews
 * otherwise (docs/python.md, "Arrays"). Built with numpy's headers, the module
 * also takes numpy's C API road for the same arrays when it can (array.c).
 *
 * The GIL is released around every call into the library that can take long
 * (scoring, sampling, tokenising, loading, training, a forward pass), and the
 * batch calls spread their rows over worker threads kept between calls (lmpy_parallel). */
#ifndef LMPY_H
#define LMPY_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <stdatomic.h>

#include "lmprob.h"

/* numpy's own limit on dimensions (NPY_MAXDIMS in numpy 1.x). */
#define LMPY_MAXDIM 32

/* ---- errors (module.c) ---------------------------------------------------------------
 * lmprob.Error: base of the module's own exceptions. lmprob.FormatError(Error,
 * OSError): a model or vocabulary file that is not what it should be; .filename
 * and .lineno name where (as the library's message does). Arguments outside
 * their domain are ValueError, wrong types TypeError, allocation MemoryError,
 * I/O OSError (FileNotFoundError for a missing file), all with the library's
 * message. */
extern PyObject *lmpy_Error;
extern PyObject *lmpy_FormatError;
extern PyObject *lmpy_UnsupportedError;

/* Raise the Python exception for a failed library call (err filled by it). Returns NULL. */
PyObject *lmpy_raise(const lmp_error *err);
/* Raise exc with a message formatted as printf does (PyErr_Format has no %g: a value
 * printed with it shows as a literal "%g"). Returns NULL. */
PyObject *lmpy_err(PyObject *exc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* MemoryError "<what>: out of memory (N GB)", N the bytes asked for: what a bare PyErr_NoMemory() does not say (a
 * broadcast input of 2**40 items raised MemoryError with no message). Returns NULL. */
PyObject *lmpy_nomem(double bytes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same for a call that read `path`: a missing or unreadable file is
 * FileNotFoundError / PermissionError (from errno, checked here), a malformed
 * one FormatError. Returns NULL. */
PyObject *lmpy_raise_path(const char *path, const lmp_error *err);
/* Check that path exists and can be read, raising FileNotFoundError / PermissionError
 * with the path when not. 0 or -1. */
int lmpy_check_readable(const char *path);

/* An output that would destroy an input: the library's one rule (src/core/outcheck.h, which the CLI's
 * cli_check_output_from asks too), as a ValueError "cmd: output OUT is the input IN (the same file): ...".
 * in[0..n): NULL entries skipped; "-" is standard input, an output "-" standard output. 0, or -1 with the
 * exception set. */
int lmpy_check_output_from(const char *cmd, const char *out, const char *const *in, size_t n);

/* A path argument (str, bytes or os.PathLike) as a bytes object (PyUnicode_FSConverter). */
int lmpy_path_converter(PyObject *obj, void *out);

/* ---- arrays in (array.c) ---------------------------------------------------------------
 * A strided view of a numeric array: a buffer exporter read in place, or (for
 * lists, torch tensors and other objects without the buffer protocol) the array
 * numpy.asarray makes of it, or without numpy a float64 copy of a nested list. */
typedef struct lmpy_view {
    Py_buffer buf;
    int has_buf;
    PyObject *owner;      /* a converted object kept alive while the view is used */
    char *data;
    int ndim;
    Py_ssize_t shape[LMPY_MAXDIM];
    Py_ssize_t strides[LMPY_MAXDIM];
    Py_ssize_t itemsize;
    char type;            /* 'f' float32, 'd' float64, 'i' signed int, 'u' unsigned int, 'b' bool */
    Py_ssize_t size;      /* number of elements */
} lmpy_view;

#define LMPY_FLOAT 1u     /* accept float32 / float64 */
#define LMPY_INT 2u       /* accept integer (and bool) arrays */
#define LMPY_WRITABLE 4u  /* the caller writes into the array (out=) */

/* Fill v for obj; `name` is the argument's name for messages. TypeError for a
 * dtype outside `accept` (naming the dtype), for non-native byte order, for a
 * non-numeric object. 0 or -1. */
int lmpy_view_get(PyObject *obj, lmpy_view *v, const char *name, unsigned accept);
void lmpy_view_release(lmpy_view *v);
/* Element i (in a row of stride st) as double, any accepted type. */
double lmpy_view_at(const lmpy_view *v, const char *p);
/* "float32", "int64", ... for messages. */
const char *lmpy_view_dtype(const lmpy_view *v);
/* "(2, 3)" into buf. */
const char *lmpy_shape_str(int ndim, const Py_ssize_t *shape, char *buf, size_t cap);

/* A sequence of token ids (list of ints, or an integer array of any int
 * type): a malloc'd int32 copy in *ids (NULL when n = 0) with every id checked
 * to lie in [0, V) (V = 0: only >= 0 and <= INT32_MAX). ValueError names the
 * position and value. 0 or -1. */
int lmpy_ids_get(PyObject *obj, const char *name, size_t V, lmp_token_id **ids, size_t *n);

/* ---- arrays out (array.c) --------------------------------------------------------------
 * A block of memory with a shape, exported through the buffer protocol (the
 * type lmprob._Buffer); lmpy_array_finish hands it to numpy.asarray (no copy:
 * the ndarray's base is the block) or, without numpy, returns a memoryview. */
PyObject *lmpy_array_new(char type, int ndim, const Py_ssize_t *shape, void **data);
PyObject *lmpy_array_finish(PyObject *block); /* steals block */
/* After a library call that filled the block: the array when st is LMP_OK, else the error raised
 * (lmpy_raise) and NULL. Steals block either way. */
PyObject *lmpy_array_finish_or_raise(PyObject *block, lmp_status st, const lmp_error *err);
/* numpy, imported on first use (NULL without an exception when it is not installed). */
PyObject *lmpy_numpy(void);
/* 1 when arrays go in and out through numpy's C API (array.c): the module was built with
 * numpy's headers, numpy imports, its ABI matches, and LMPROB_PY_NUMPY_API is not 0. */
int lmpy_numpy_api(void);
int lmpy_init_array(PyObject *m);

/* ---- threads (module.c) ----------------------------------------------------------------- */
/* Threads to use: requested > 0 as given (at most 256), 0 = every online CPU,
 * never more than `tasks`. */
int lmpy_threads(long requested, size_t tasks);
/* Run fn(ctx, i, worker) for i in [0, n) on `threads` threads (the caller's
 * plus threads - 1 workers kept between calls, or started for the call when
 * another call has them; worker in [0, threads)), items handed out one at a
 * time from an atomic counter. Call with the GIL released. Returns the number
 * of threads that took part (a thread that cannot be started leaves its share
 * to the others). */
typedef void (*lmpy_task_fn)(void *ctx, size_t i, int worker);
int lmpy_parallel(size_t n, int threads, lmpy_task_fn fn, void *ctx);

/* ---- locks ---------------------------------------------------------------------------------
 * The lock of a module object (RandomState, Sampler, sample()'s cache): a pthread mutex.
 * Not PyThread_type_lock: CPython 3.11 reads the monotonic clock on every acquire of one,
 * a try included (the deadline of its sem_clockwait), two clock reads of a sample() call.
 * lmpy_lock_take waits with the GIL released, so that a thread holding the lock while it
 * waits for the GIL is never blocked by the waiter. Taken and given back by one thread.
 * lmpy_lock_enter is lmpy_lock_take for a call that runs Python code while it holds the
 * lock (a Sampler converting its arguments): that code calling back into the same object
 * on the same thread gets a RuntimeError instead of waiting for itself for ever. */
typedef struct lmpy_lock {
    pthread_mutex_t mu;
    int ready;
    _Atomic unsigned long owner; /* the holder's PyThread_get_thread_ident, 0 when free */
} lmpy_lock;

static inline int lmpy_lock_init(lmpy_lock *l)
{
    l->ready = pthread_mutex_init(&l->mu, NULL) == 0;
    atomic_init(&l->owner, 0);
    if (!l->ready) PyErr_NoMemory();
    return l->ready ? 0 : -1;
}
static inline void lmpy_lock_fini(lmpy_lock *l)
{
    if (l->ready) pthread_mutex_destroy(&l->mu);
    l->ready = 0;
}
static inline int lmpy_lock_try(lmpy_lock *l) { return pthread_mutex_trylock(&l->mu) == 0; }
static inline void lmpy_lock_take(lmpy_lock *l)
{
    if (lmpy_lock_try(l)) return;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&l->mu);
    Py_END_ALLOW_THREADS
}
static inline int lmpy_lock_enter(lmpy_lock *l, const char *what)
{
    const unsigned long me = PyThread_get_thread_ident();
    if (!lmpy_lock_try(l)) {
        /* only this thread ever stores its own id: read relaxed, a match means re-entry */
        if (atomic_load_explicit(&l->owner, memory_order_relaxed) == me) {
            PyErr_Format(PyExc_RuntimeError,
                         "%s: called again from inside its own call on the same thread (from an argument's "
                         "__index__, __float__ or __array__?)",
                         what);
            return -1;
        }
        Py_BEGIN_ALLOW_THREADS
        pthread_mutex_lock(&l->mu);
        Py_END_ALLOW_THREADS
    }
    atomic_store_explicit(&l->owner, me, memory_order_relaxed);
    return 0;
}
static inline void lmpy_lock_give(lmpy_lock *l)
{
    atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
    pthread_mutex_unlock(&l->mu);
}

/* ---- arguments (module.c) ----------------------------------------------------------------
 * The arguments of a hot call matched in one pass over its keyword dict. PyArg_ParseTuple-
 * AndKeywords builds a str from each C name it looks up, name after name until every given
 * keyword is found: for sample(x, rng=r), 14 of them, a third of the call. Here the names
 * are interned once (keys, filled on first use) and compared by identity first (Python
 * interns the identifiers written as keywords). The messages are CPython's. */
typedef struct lmpy_kwspec {
    const char *fname;        /* "sample" */
    const char *const *names; /* every argument, NULL-terminated */
    int npos;                 /* the first npos may come by position */
    int nreq;                 /* the first nreq are required */
    PyObject **keys;          /* one slot a name: the interned names, made on first use */
} lmpy_kwspec;

/* vals[i] = the object given for names[i] (borrowed), or NULL. 0, or -1 with TypeError.
 * lmpy_kw_parse takes a tuple and a dict (tp_init); lmpy_kw_parse_fast the arguments of a
 * METH_FASTCALL | METH_KEYWORDS function, for which CPython builds neither a tuple nor a dict
 * (the hot calls: sample(x, top_p=0.9, rng=r) of 7 logits went from 0.47 to 0.36 us with it). */
int lmpy_kw_parse(lmpy_kwspec *spec, PyObject *args, PyObject *kw, PyObject **vals);
int lmpy_kw_parse_fast(lmpy_kwspec *spec, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                       PyObject **vals);
/* An argument's value when given (o != NULL): a float (anything with __float__ or __index__),
 * an int (__index__), a str, or None or a str (NULL for None). 0, or -1 with TypeError naming it. */
int lmpy_kw_double(const lmpy_kwspec *spec, int i, PyObject *o, double *out);
int lmpy_kw_long(const lmpy_kwspec *spec, int i, PyObject *o, long *out);
int lmpy_kw_str(const lmpy_kwspec *spec, int i, PyObject *o, int none_ok, const char **out);
/* An int argument (anything with __index__) from lo to 2^63 - 1, never wrapped nor truncated:
 * 0, or -1 with TypeError "fname: name: expected an int ..." or ValueError "fname: name = v: ...". */
int lmpy_int_arg(PyObject *o, const char *fname, const char *name, long long lo, long long *out);

/* fn##_kw: the METH_FASTCALL | METH_KEYWORDS form of a one-argument method fn(self, arg), which
 * takes its argument by position or by the name argname, as the Python APIs lmprob follows
 * (kenlm's Cython methods, tiktoken, numpy) take theirs. */
#define LMPY_ONE_ARG(fn, self_type, fname, argname)                                                         \
    static PyObject *fn##_kw(self_type *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) \
    {                                                                                                      \
        static const char *const names_[] = {argname, NULL};                                               \
        static PyObject *keys_[2];                                                                         \
        static lmpy_kwspec spec_ = {fname, names_, 1, 1, keys_};                                           \
        PyObject *v_[2];                                                                                   \
        return lmpy_kw_parse_fast(&spec_, args, nargs, kwnames, v_) < 0 ? NULL : fn(self, v_[0]);          \
    }

/* ---- the parts ------------------------------------------------------------------------------ */
int lmpy_init_ngram(PyObject *m);
int lmpy_init_random(PyObject *m);
int lmpy_init_sample(PyObject *m);
int lmpy_init_tokenizer(PyObject *m);
int lmpy_init_gpt2(PyObject *m);

/* RandomState / Xoshiro256 (random.c): the stream of an object, and its lock
 * (hold it while drawing; draws are short, so callers hold the GIL too). */
extern PyTypeObject lmpy_RandomState_Type;
int lmpy_rng_check(PyObject *obj);
lmp_rng *lmpy_rng_lock(PyObject *obj);
void lmpy_rng_unlock(PyObject *obj);

/* The tokenizer behind an lmprob.Encoding (tokenizer.c), or NULL with TypeError. */
const lmp_tokenizer *lmpy_tokenizer_of(PyObject *obj);
extern PyTypeObject lmpy_Encoding_Type;

/* The module-level functions of each part. */
extern PyMethodDef lmpy_info_methods[];
extern PyMethodDef lmpy_sample_methods[];
extern PyMethodDef lmpy_ngram_methods[];

/* Function pointers in PyMethodDef tables: the usual double cast (gcc's
 * -Wcast-function-type accepts a cast through void (*)(void)). */
#define LMPY_FN(f) ((PyCFunction)(void (*)(void))(f))

#endif
