/* _lmprob: the module object, its exceptions, the mapping of the library's
 * errors onto Python's, and the thread helper of the batch calls. */
#include "lmpy.h"
#include "lmprob/lm.h"

#include "../../src/core/pool.h"
#include "../../src/core/outcheck.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

PyObject *lmpy_Error;
PyObject *lmpy_FormatError;
PyObject *lmpy_UnsupportedError;

/* ---- errors ------------------------------------------------------------------------------ */

/* A message as a str: the library's messages quote the bytes they read, which need not be UTF-8 (an ARPA
 * file's Latin-1 line), and a strict decode raised UnicodeDecodeError in place of the error itself. */
static PyObject *msg_str(const char *msg)
{
    return PyUnicode_DecodeUTF8(msg, (Py_ssize_t)strlen(msg), "backslashreplace");
}

/* PyErr_SetString with msg_str's decoding. */
static void set_msg(PyObject *exc, const char *msg)
{
    PyObject *m = msg_str(msg);
    if (!m) return;
    PyErr_SetObject(exc, m);
    Py_DECREF(m);
}

static PyObject *format_error(const lmp_error *err)
{
    PyObject *m = msg_str(err->msg);
    if (!m) return NULL;
    PyObject *exc = PyObject_CallFunctionObjArgs(lmpy_FormatError, m, NULL);
    Py_DECREF(m);
    if (!exc) return NULL;
    /* OSError's own filename slot, and the line like SyntaxError's lineno. */
    PyObject *fn = err->file[0] ? PyUnicode_DecodeFSDefault(err->file) : Py_NewRef(Py_None);
    PyObject *ln = err->line > 0 ? PyLong_FromLong(err->line) : Py_NewRef(Py_None);
    if (fn && ln && PyObject_SetAttrString(exc, "filename", fn) == 0 && PyObject_SetAttrString(exc, "lineno", ln) == 0)
        PyErr_SetObject(lmpy_FormatError, exc);
    Py_XDECREF(fn);
    Py_XDECREF(ln);
    Py_DECREF(exc);
    return NULL;
}

PyObject *lmpy_err(PyObject *exc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_msg(exc, msg);
    return NULL;
}

PyObject *lmpy_nomem(double bytes, const char *fmt, ...)
{
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return bytes >= 1e12 ? lmpy_err(PyExc_MemoryError, "%s: out of memory (%.3g TB)", what, bytes / 1e12)
                         : lmpy_err(PyExc_MemoryError, "%s: out of memory (%.3g GB)", what, bytes / 1e9);
}

PyObject *lmpy_raise(const lmp_error *err)
{
    const char *msg = err->msg[0] ? err->msg : lmp_status_str(err->code);
    switch (err->code) {
    case LMP_ENOMEM: set_msg(PyExc_MemoryError, msg); break;
    case LMP_EIO: set_msg(PyExc_OSError, msg); break;
    case LMP_EFORMAT: return format_error(err);
    case LMP_EUNSUPPORTED: set_msg(lmpy_UnsupportedError, msg); break;
    case LMP_OK:
    case LMP_EOF: PyErr_Format(PyExc_SystemError, "lmprob: a call failed without an error code (%s)", msg); break;
    default: set_msg(PyExc_ValueError, msg); break; /* EINVAL, EDOM, ERANGE, ESINGULAR */
    }
    return NULL;
}

int lmpy_check_readable(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || access(path, R_OK) != 0) {
        PyErr_SetFromErrnoWithFilename(PyExc_OSError, path); /* FileNotFoundError for ENOENT */
        return -1;
    }
    return 0;
}

int lmpy_check_output_from(const char *cmd, const char *out, const char *const *in, size_t n)
{
    char why[8500];
    if (!lmp_output_conflict(out, in, n, why, sizeof why)) return 0;
    PyErr_Format(PyExc_ValueError, "%s: %s", cmd, why);
    return -1;
}

PyObject *lmpy_raise_path(const char *path, const lmp_error *err)
{
    if (err->code == LMP_EIO && path && lmpy_check_readable(path) != 0) return NULL;
    if (err->code == LMP_EUNSUPPORTED) {
        /* A file this build cannot read (an order above LMP_NGRAM_MAX_ORDER, another
         * binary version) is, to whoever opened it, a file that cannot be read as a
         * model: FormatError, an OSError like kenlm's load failures. */
        lmp_error e = *err;
        e.code = LMP_EFORMAT;
        if (!e.file[0] && path) snprintf(e.file, sizeof e.file, "%s", path);
        return format_error(&e);
    }
    return lmpy_raise(err);
}

int lmpy_path_converter(PyObject *obj, void *out)
{
    if (obj == NULL) return PyUnicode_FSConverter(NULL, out); /* cleanup call */
    if (PyUnicode_FSConverter(obj, out) == 0) return 0;
    const char *s = PyBytes_AS_STRING(*(PyObject **)out);
    if (strlen(s) != (size_t)PyBytes_GET_SIZE(*(PyObject **)out)) { /* FSConverter checks this; be sure */
        Py_CLEAR(*(PyObject **)out);
        PyErr_SetString(PyExc_ValueError, "path: embedded NUL byte");
        return 0;
    }
    return Py_CLEANUP_SUPPORTED;
}

/* ---- arguments -------------------------------------------------------------------------- */

/* The names interned (on first use); the count of names. -1 on failure. */
static int kw_prepare(lmpy_kwspec *spec)
{
    int n = 0;
    while (spec->names[n]) n++;
    for (int i = 0; i < n; i++)
        if (!spec->keys[i] && !(spec->keys[i] = PyUnicode_InternFromString(spec->names[i]))) return -1;
    return n;
}

/* The index of keyword `key` among the n names, by identity first; -1 with TypeError when none.
 * Also TypeError when the argument came by position too (index < na). */
static int kw_index(const lmpy_kwspec *spec, int n, Py_ssize_t na, PyObject *key)
{
    int at = -1;
    for (int i = 0; i < n && at < 0; i++)
        if (key == spec->keys[i]) at = i;
    if (at < 0) {
        if (!PyUnicode_Check(key)) {
            PyErr_SetString(PyExc_TypeError, "keywords must be strings");
            return -1;
        }
        for (int i = 0; i < n && at < 0; i++)
            if (PyUnicode_Compare(key, spec->keys[i]) == 0) at = i;
        if (at < 0) {
            PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", spec->fname, key);
            return -1;
        }
    }
    if (at < na) {
        PyErr_Format(PyExc_TypeError, "argument for %s() given by name ('%s') and position (%d)", spec->fname,
                     spec->names[at], at + 1);
        return -1;
    }
    return at;
}

/* The positional count checked against the spec, vals cleared. n names, or -1. */
static int kw_begin(lmpy_kwspec *spec, Py_ssize_t na, PyObject **vals)
{
    int n = kw_prepare(spec);
    if (n < 0) return -1;
    for (int i = 0; i < n; i++) vals[i] = NULL;
    if (na > spec->npos) {
        PyErr_Format(PyExc_TypeError, "%s() takes at most %d positional argument%s (%zd given)", spec->fname,
                     spec->npos, spec->npos == 1 ? "" : "s", na);
        return -1;
    }
    return n;
}

static int kw_end(const lmpy_kwspec *spec, PyObject **vals)
{
    for (int i = 0; i < spec->nreq; i++)
        if (!vals[i]) {
            PyErr_Format(PyExc_TypeError, "%s() missing required argument '%s' (pos %d)", spec->fname, spec->names[i],
                         i + 1);
            return -1;
        }
    return 0;
}

int lmpy_kw_parse(lmpy_kwspec *spec, PyObject *args, PyObject *kw, PyObject **vals)
{
    Py_ssize_t na = args ? PyTuple_GET_SIZE(args) : 0;
    int n = kw_begin(spec, na, vals);
    if (n < 0) return -1;
    for (Py_ssize_t i = 0; i < na; i++) vals[i] = PyTuple_GET_ITEM(args, i);
    if (kw) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        while (PyDict_Next(kw, &pos, &key, &value)) {
            int at = kw_index(spec, n, na, key);
            if (at < 0) return -1;
            vals[at] = value;
        }
    }
    return kw_end(spec, vals);
}

int lmpy_kw_parse_fast(lmpy_kwspec *spec, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                       PyObject **vals)
{
    int n = kw_begin(spec, nargs, vals);
    if (n < 0) return -1;
    for (Py_ssize_t i = 0; i < nargs; i++) vals[i] = args[i];
    Py_ssize_t nk = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < nk; k++) {
        int at = kw_index(spec, n, nargs, PyTuple_GET_ITEM(kwnames, k));
        if (at < 0) return -1;
        vals[at] = args[nargs + k];
    }
    return kw_end(spec, vals);
}

/* TypeError "f() argument 'name' must be <what>, not <type>" (CPython's wording) */
static int kw_type_error(const lmpy_kwspec *spec, int i, PyObject *o, const char *what)
{
    PyErr_Format(PyExc_TypeError, "%s() argument '%s' must be %s, not %.100s", spec->fname, spec->names[i], what,
                 o == Py_None ? "None" : Py_TYPE(o)->tp_name);
    return -1;
}

int lmpy_kw_double(const lmpy_kwspec *spec, int i, PyObject *o, double *out)
{
    if (!o) return 0;
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) {
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return -1;
        PyErr_Clear();
        return kw_type_error(spec, i, o, "a real number");
    }
    *out = v;
    return 0;
}

int lmpy_kw_long(const lmpy_kwspec *spec, int i, PyObject *o, long *out)
{
    if (!o) return 0;
    if (PyFloat_Check(o)) return kw_type_error(spec, i, o, "an integer");
    long v = PyLong_AsLong(o);
    if (v == -1 && PyErr_Occurred()) {
        if (PyErr_ExceptionMatches(PyExc_OverflowError)) { /* still an OverflowError, naming the argument */
            PyErr_Clear();
            PyErr_Format(PyExc_OverflowError, "%s() argument '%s' = %S: expected an integer from %ld to %ld",
                         spec->fname, spec->names[i], o, LONG_MIN, LONG_MAX);
            return -1;
        }
        if (!PyErr_ExceptionMatches(PyExc_TypeError)) return -1;
        PyErr_Clear();
        return kw_type_error(spec, i, o, "an integer");
    }
    *out = v;
    return 0;
}

int lmpy_kw_str(const lmpy_kwspec *spec, int i, PyObject *o, int none_ok, const char **out)
{
    if (!o) return 0;
    if (none_ok && o == Py_None) {
        *out = NULL;
        return 0;
    }
    if (!PyUnicode_Check(o)) return kw_type_error(spec, i, o, none_ok ? "str or None" : "str");
    Py_ssize_t len;
    const char *c = PyUnicode_AsUTF8AndSize(o, &len);
    if (!c) return -1;
    if ((size_t)len != strlen(c)) {
        PyErr_Format(PyExc_ValueError, "%s() argument '%s': embedded null character", spec->fname, spec->names[i]);
        return -1;
    }
    *out = c;
    return 0;
}

int lmpy_int_arg(PyObject *o, const char *fname, const char *name, long long lo, long long *out)
{
    if (!PyLong_Check(o) && !PyIndex_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s: %s: expected an int, got %.100s", fname, name, Py_TYPE(o)->tp_name);
        return -1;
    }
    PyObject *ix = PyNumber_Index(o);
    if (!ix) return -1;
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(ix, &overflow);
    if (!overflow && v == -1 && PyErr_Occurred()) {
        Py_DECREF(ix);
        return -1;
    }
    if (overflow || v < lo) {
        PyErr_Format(PyExc_ValueError, "%s: %s = %S: expected an int from %lld to 2^63 - 1", fname, name, ix, lo);
        Py_DECREF(ix);
        return -1;
    }
    Py_DECREF(ix);
    *out = v;
    return 0;
}

/* ---- threads ------------------------------------------------------------------------------ */

int lmpy_threads(long requested, size_t tasks)
{
    long t = requested;
    if (t <= 0) {
        t = sysconf(_SC_NPROCESSORS_ONLN);
        if (t < 1) t = 1;
    }
    if (t > 256) t = 256;
    if (tasks < (size_t)t) t = tasks > 0 ? (long)tasks : 1;
    return (int)t;
}

typedef struct par_job {
    atomic_size_t next;
    size_t n;
    lmpy_task_fn fn;
    void *ctx;
} par_job;

typedef struct par_arg {
    par_job *job;
    int worker;
} par_arg;

static void par_run(par_job *j, int worker)
{
    for (;;) {
        size_t i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
        if (i >= j->n) break;
        j->fn(j->ctx, i, worker);
    }
}

static void *par_main(void *p)
{
    par_arg *a = p;
    par_run(a->job, a->worker);
    return NULL;
}

/* Threads started for one call: the fallback when the pool is in use by another
 * call (two Python threads in batch calls at once) or cannot grow. */
static int parallel_started(par_job *job, int threads)
{
    pthread_t tid[256];
    par_arg arg[256];
    int started = 0;
    for (int w = 1; w < threads; w++) {
        arg[w].job = job;
        arg[w].worker = w;
        if (pthread_create(&tid[w], NULL, par_main, &arg[w]) != 0) break;
        started = w;
    }
    par_run(job, 0);
    for (int w = 1; w <= started; w++) pthread_join(tid[w], NULL);
    return started + 1;
}

/* The workers kept between calls: the library's thread pool (src/core/pool.h,
 * the one GPT-2's contexts use). Starting a thread cost about 60 us on this VM,
 * as much as sampling 8 rows of GPT-2's vocabulary saves on two threads
 * (docs/python.md, "Sampling"), so the batch calls run on a pool kept for the
 * process, as numpy's and torch's are (the library itself keeps none). One call
 * at a time uses it (busy); a call that finds it in use, or asks for more
 * threads than it has and cannot grow it, starts threads of its own. After
 * fork() the child has none of the parent's workers: it forgets the pool and
 * makes its own (pool_atfork_child). */
static struct {
    pthread_mutex_t mu;
    tpool *p;
    int busy;
} pool = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

static void pool_atfork_prepare(void) { pthread_mutex_lock(&pool.mu); }
static void pool_atfork_parent(void) { pthread_mutex_unlock(&pool.mu); }
static void pool_atfork_child(void)
{
    /* only the forking thread lives on in the child: the parent's pool is left as it is */
    pthread_mutex_init(&pool.mu, NULL);
    pool.p = NULL;
    pool.busy = 0;
}

typedef struct pool_task {
    par_job *job;
    int want; /* threads 0..want-1 take part; a larger pool's others return */
} pool_task;

static void pool_task_run(void *arg, int tid, int nth)
{
    (void)nth;
    const pool_task *t = arg;
    if (tid < t->want) par_run(t->job, tid);
}

int lmpy_parallel(size_t n, int threads, lmpy_task_fn fn, void *ctx)
{
    if (threads > 256) threads = 256;
    if ((size_t)threads > n) threads = n > 0 ? (int)n : 1;
    if (threads <= 1) { /* in order, no atomics: most calls are one small vector */
        for (size_t i = 0; i < n; i++) fn(ctx, i, 0);
        return 1;
    }
    par_job job;
    atomic_init(&job.next, 0);
    job.n = n;
    job.fn = fn;
    job.ctx = ctx;
    pthread_mutex_lock(&pool.mu);
    tpool *p = pool.busy ? NULL : pool.p;
    if (!pool.busy && (!p || tpool_size(p) < threads)) {
        /* a larger pool; its workers block every signal (Python's handlers run on its own threads) */
        tpool_free(p);
        pool.p = p = NULL;
        sigset_t all, old;
        lmp_error err;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        if (tpool_create(threads, &pool.p, &err) == LMP_OK) p = pool.p;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    if (p) pool.busy = 1;
    pthread_mutex_unlock(&pool.mu);
    if (!p) return parallel_started(&job, threads);
    pool_task t = {&job, threads};
    tpool_run(p, pool_task_run, &t);
    pthread_mutex_lock(&pool.mu);
    pool.busy = 0;
    pthread_mutex_unlock(&pool.mu);
    return threads;
}

/* ---- the module ---------------------------------------------------------------------------- */

PyDoc_STRVAR(module_doc,
"lmprob's C core for Python: KenLM-exact n-gram models with kenlm's Python API,\n"
"the samplers of Hugging Face and llama.cpp on numpy arrays, numpy's legacy\n"
"random stream, information theory along an axis, GPT-2's tokenizer with\n"
"tiktoken's method names and GPT-2 inference. Import the package `lmprob`, not\n"
"this module.");

/* Which road arrays take (array.c), for the tests that check both give the same. */
static PyObject *py_array_road(PyObject *self, PyObject *unused)
{
    (void)self;
    (void)unused;
    return PyUnicode_FromString(lmpy_numpy_api() ? "numpy" : "buffer");
}

/* 1 when path is a GPT-2 folder with its own vocabulary (tokenizer.json, or a file of either pair), as the
 * engine decides it (lmp_lm_probe_path): GPT2() then lets the engine load those files. */
static PyObject *py_has_own_vocab(PyObject *self, PyObject *arg)
{
    (void)self;
    PyObject *bytes = NULL;
    if (!lmpy_path_converter(arg, &bytes)) return NULL;
    int own = lmp_lm_probe_path(PyBytes_AS_STRING(bytes)) == LMP_LM_PATH_GPT2_VOCAB;
    Py_DECREF(bytes);
    return PyBool_FromLong(own);
}

static PyMethodDef module_methods[] = {
    {"_has_own_vocab", py_has_own_vocab, METH_O,
     PyDoc_STR("_has_own_vocab(path)\n--\n\nTrue when path is a GPT-2 folder with a vocabulary of its own (tokenizer.json,\n"
               "encoder.json + vocab.bpe or vocab.json + merges.txt, or half a pair, which its load refuses).")},
    {"_array_road", py_array_road, METH_NOARGS,
     PyDoc_STR("_array_road()\n--\n\n'numpy' when arrays go in and out through numpy's C API, 'buffer' when\n"
               "through the buffer protocol alone (no numpy headers at build time, a numpy of\n"
               "another ABI, or LMPROB_PY_NUMPY_API=0). The same arrays, values and errors either way.")},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_lmprob", module_doc, -1, module_methods, NULL, NULL, NULL, NULL,
};

static int add_methods(PyObject *m, PyMethodDef *defs)
{
    PyObject *name = PyModule_GetNameObject(m);
    if (!name) return -1;
    for (PyMethodDef *d = defs; d->ml_name; d++) {
        PyObject *f = PyCFunction_NewEx(d, NULL, name);
        if (!f || PyModule_AddObject(m, d->ml_name, f) < 0) {
            Py_XDECREF(f);
            Py_DECREF(name);
            return -1;
        }
    }
    Py_DECREF(name);
    return 0;
}

/* An exception class whose str() is its message alone: OSError's own __str__
 * would print "[Errno None] None: 'file'" once .filename is set. */
static PyObject *new_error(const char *name, const char *doc, PyObject *bases)
{
    PyObject *cls = PyErr_NewExceptionWithDoc(name, doc, bases, NULL);
    if (!cls) return NULL;
    PyObject *str = PyObject_GetAttrString(PyExc_BaseException, "__str__");
    if (!str || PyObject_SetAttrString(cls, "__str__", str) < 0) {
        Py_XDECREF(str);
        Py_DECREF(cls);
        return NULL;
    }
    Py_DECREF(str);
    return cls;
}

PyMODINIT_FUNC PyInit__lmprob(void);

PyMODINIT_FUNC PyInit__lmprob(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (!m) return NULL;
    static int atfork_set; /* once a process, whatever re-imports the module */
    if (!atfork_set && pthread_atfork(pool_atfork_prepare, pool_atfork_parent, pool_atfork_child) == 0) atfork_set = 1;
    PyObject *b1 = NULL, *b2 = NULL;
    lmpy_Error = PyErr_NewExceptionWithDoc("lmprob.Error", "Base class of lmprob's own exceptions.", NULL, NULL);
    if (!lmpy_Error) goto fail;
    b1 = PyTuple_Pack(2, lmpy_Error, PyExc_OSError);
    b2 = PyTuple_Pack(2, lmpy_Error, PyExc_ValueError);
    if (!b1 || !b2) goto fail;
    lmpy_FormatError = new_error("lmprob.FormatError",
                                 "A model, vocabulary or checkpoint file that cannot be read as one: malformed\n"
                                 "(the message names file, line and value) or of a kind this build does not\n"
                                 "read. A subclass of OSError, as kenlm's load errors are; .filename and\n"
                                 ".lineno say where (None when not known).",
                                 b1);
    lmpy_UnsupportedError = new_error("lmprob.UnsupportedError",
                                      "A valid request this build does not support (a subclass of ValueError).", b2);
    if (!lmpy_FormatError || !lmpy_UnsupportedError) goto fail;
    Py_CLEAR(b1);
    Py_CLEAR(b2);
    if (PyModule_AddObject(m, "Error", Py_NewRef(lmpy_Error)) < 0 ||
        PyModule_AddObject(m, "FormatError", Py_NewRef(lmpy_FormatError)) < 0 ||
        PyModule_AddObject(m, "UnsupportedError", Py_NewRef(lmpy_UnsupportedError)) < 0)
        goto fail;
    if (PyModule_AddStringConstant(m, "__version__", lmp_version()) < 0) goto fail;
    if (PyModule_AddIntConstant(m, "NGRAM_MAX_ORDER", LMP_NGRAM_MAX_ORDER) < 0) goto fail;
    if (lmpy_init_array(m) < 0 || lmpy_init_random(m) < 0 || lmpy_init_sample(m) < 0 || lmpy_init_ngram(m) < 0 ||
        lmpy_init_tokenizer(m) < 0 || lmpy_init_gpt2(m) < 0)
        goto fail;
    if (add_methods(m, lmpy_info_methods) < 0 || add_methods(m, lmpy_sample_methods) < 0 ||
        add_methods(m, lmpy_ngram_methods) < 0)
        goto fail;
    return m;
fail:
    Py_XDECREF(b1);
    Py_XDECREF(b2);
    Py_DECREF(m);
    return NULL;
}
