/* lmprob.RandomState: numpy's legacy RandomState (MT19937) through the
 * library's LMP_RNG_NUMPY_LEGACY stream, and lmprob.Xoshiro256, the library's
 * default stream (xoshiro256**), with the same methods.
 *
 * The methods are those whose numpy semantics the library reproduces bit for
 * bit (rng.h, dist.h): random_sample / rand, randn / standard_normal / normal
 * (the polar method with the cached second deviate), uniform,
 * standard_exponential / exponential, gamma / standard_gamma, binomial, poisson,
 * beta, lognormal, laplace, chisquare, standard_t, geometric, standard_cauchy,
 * pareto, weibull, power, rayleigh, f, wald, negative_binomial, gumbel, logistic,
 * noncentral_chisquare, noncentral_f, triangular, logseries, zipf, vonmises,
 * hypergeometric (their parameters numbers or broadcast arrays), dirichlet, multinomial,
 * multivariate_normal, and the integers: randint, choice (with and
 * without p, with and without replacement), permutation and shuffle, all on
 * numpy's masked rejection (lmp_rng_interval; randint's 8-bit, 16-bit and bool
 * dtypes on lmp_rng_interval8 / 16 and lmp_rng_bit).
 *
 * Thread safety: one object may be shared by threads; each call takes the
 * object's lock (never while waiting for the GIL), so draws from several
 * threads interleave call by call. Long fills release the GIL. */
#include "lmpy.h"

#include <limits.h>
#include <math.h>
#include <pythread.h>
#include <string.h>
#include <sys/random.h>

typedef struct {
    PyObject_HEAD
    lmp_rng rng;
    lmpy_lock lock;
} lmpy_rng_obj;

PyTypeObject lmpy_RandomState_Type;
static PyTypeObject xoshiro_type;

int lmpy_rng_check(PyObject *obj)
{
    return PyObject_TypeCheck(obj, &lmpy_RandomState_Type) || PyObject_TypeCheck(obj, &xoshiro_type);
}

/* Take the object's lock (lmpy_lock_take: a thread holding it while drawing without the
 * GIL is never blocked by us). */
lmp_rng *lmpy_rng_lock(PyObject *obj)
{
    lmpy_rng_obj *o = (lmpy_rng_obj *)obj;
    lmpy_lock_take(&o->lock);
    return &o->rng;
}

void lmpy_rng_unlock(PyObject *obj) { lmpy_lock_give(&((lmpy_rng_obj *)obj)->lock); }

/* ---- construction and seeding ---------------------------------------------------------------- */

static int do_seed(lmpy_rng_obj *o, PyObject *seed);

/* A newly seeded stream in place of the object's (under its lock), or the seeding's error raised. */
static int install_stream(lmpy_rng_obj *o, lmp_status st, const lmp_rng *seeded, const lmp_error *err)
{
    if (st != LMP_OK) {
        lmpy_raise(err);
        return -1;
    }
    lmpy_rng_lock((PyObject *)o);
    o->rng = *seeded;
    lmpy_rng_unlock((PyObject *)o);
    return 0;
}

static PyObject *rng_new(PyTypeObject *type, PyObject *args, PyObject *kw)
{
    (void)args;
    (void)kw;
    lmpy_rng_obj *o = (lmpy_rng_obj *)type->tp_alloc(type, 0);
    if (!o) return NULL;
    if (lmpy_lock_init(&o->lock) < 0) {
        Py_DECREF(o);
        return NULL;
    }
    lmp_rng_seed(&o->rng, type == &xoshiro_type ? LMP_RNG_XOSHIRO : LMP_RNG_NUMPY_LEGACY, 0, NULL);
    return (PyObject *)o;
}

static void rng_dealloc(lmpy_rng_obj *o)
{
    lmpy_lock_fini(&o->lock);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

/* numpy's legacy seeding of a seed that is not an int: an array with one element is squeezed to that
 * int (np.array([5]) seeds as 5); any other sequence of ints in [0, 2**32) is MT19937's init_by_array
 * (lmp_rng_seed_keys): RandomState([1, 2, 3]) is np.random.RandomState([1, 2, 3]). */
static int seed_keys(lmpy_rng_obj *o, PyObject *seed)
{
    if (PyObject_HasAttrString(seed, "squeeze")) {
        PyObject *sq = PyObject_CallMethod(seed, "squeeze", NULL);
        if (!sq) return -1;
        /* one value when squeezed to no dimension (numpy's 0-d array or scalar); an empty array stays 1-D */
        PyObject *nd = PyObject_GetAttrString(sq, "ndim");
        const long ndim = nd && PyLong_Check(nd) ? PyLong_AsLong(nd) : -1;
        Py_XDECREF(nd);
        PyErr_Clear();
        const int one = ndim == 0 && PyIndex_Check(sq);
        if (one) {
            PyObject *ix = PyNumber_Index(sq);
            Py_DECREF(sq);
            if (!ix) return -1;
            int rc = do_seed(o, ix);
            Py_DECREF(ix);
            return rc;
        }
        Py_DECREF(sq);
    }
    if (PyUnicode_Check(seed) || PyBytes_Check(seed) || PyFloat_Check(seed) || !PySequence_Check(seed)) {
        PyErr_Format(PyExc_TypeError, "seed: expected an int or a sequence of ints, got %.100s",
                     Py_TYPE(seed)->tp_name);
        return -1;
    }
    if (PyObject_Length(seed) == 0) { /* before numpy makes [] a float64 array */
        PyErr_SetString(PyExc_ValueError, "seed: expected a non-empty sequence of ints");
        return -1;
    }
    PyErr_Clear();
    lmpy_view v;
    if (lmpy_view_get(seed, &v, "seed", LMPY_INT) < 0) return -1;
    if (v.ndim != 1 || v.shape[0] == 0) {
        lmpy_view_release(&v);
        PyErr_SetString(PyExc_ValueError, v.ndim != 1 ? "seed: expected a 1-D sequence of ints (a seed array must be 1-d)"
                                                      : "seed: expected a non-empty sequence of ints");
        return -1;
    }
    size_t n = (size_t)v.shape[0];
    uint32_t *keys = PyMem_Malloc(n * sizeof *keys);
    if (!keys) {
        lmpy_view_release(&v);
        lmpy_nomem((double)n * sizeof *keys, "seed: a copy of %zu keys", n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        double x = lmpy_view_at(&v, v.data + (Py_ssize_t)i * v.strides[0]);
        if (!(x >= 0 && x <= 4294967295.0)) {
            PyMem_Free(keys);
            lmpy_view_release(&v);
            PyObject *item = PySequence_GetItem(seed, (Py_ssize_t)i);
            if (item) PyErr_Format(PyExc_ValueError, "seed[%zu] = %S: expected a seed between 0 and 2**32 - 1", i, item);
            Py_XDECREF(item);
            return -1;
        }
        keys[i] = (uint32_t)x;
    }
    lmpy_view_release(&v);
    lmp_error err;
    lmp_rng tmp;
    lmp_status st = lmp_rng_seed_keys(&tmp, keys, n, &err);
    PyMem_Free(keys);
    return install_stream(o, st, &tmp, &err);
}

static int do_seed(lmpy_rng_obj *o, PyObject *seed)
{
    lmp_rng_kind kind = Py_TYPE(o) == &xoshiro_type || PyType_IsSubtype(Py_TYPE(o), &xoshiro_type)
                            ? LMP_RNG_XOSHIRO
                            : LMP_RNG_NUMPY_LEGACY;
    unsigned long long s;
    if (seed == NULL || seed == Py_None) {
        /* numpy seeds from the OS when given no seed; so do we (a 32-bit seed). */
        uint32_t r = 0;
        if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) {
            PyErr_SetFromErrno(PyExc_OSError);
            return -1;
        }
        s = r;
    } else {
        if (kind == LMP_RNG_NUMPY_LEGACY && !PyLong_Check(seed) &&
            (PySequence_Check(seed) || PyObject_HasAttrString(seed, "squeeze")))
            return seed_keys(o, seed);
        if (!PyLong_Check(seed) && !PyIndex_Check(seed)) {
            PyErr_Format(PyExc_TypeError, "seed: expected an int, got %.100s", Py_TYPE(seed)->tp_name);
            return -1;
        }
        PyObject *ix = PyNumber_Index(seed);
        if (!ix) return -1;
        s = PyLong_AsUnsignedLongLong(ix);
        /* one message for every seed out of range, negative, too large for 64 bits or (numpy's stream) for
         * 32: -1 and 2**32 were worded apart, one here and one by the library */
        if (PyErr_Occurred() || (kind == LMP_RNG_NUMPY_LEGACY && s > 0xffffffffu)) {
            PyErr_Clear();
            PyErr_Format(PyExc_ValueError, "seed = %S: expected an int between 0 and %s", ix,
                         kind == LMP_RNG_XOSHIRO ? "2**64 - 1" : "2**32 - 1 (as np.random.seed)");
            Py_DECREF(ix);
            return -1;
        }
        Py_DECREF(ix);
    }
    lmp_error err;
    lmp_rng tmp;
    lmp_status st = lmp_rng_seed(&tmp, kind, s, &err);
    return install_stream(o, st, &tmp, &err);
}

static int rng_init(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"seed", NULL};
    PyObject *seed = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:RandomState", kwl, &seed)) return -1;
    return do_seed(o, seed);
}

static PyObject *rng_seed(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"seed", NULL};
    PyObject *seed = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:seed", kwl, &seed)) return NULL;
    if (do_seed(o, seed) < 0) return NULL;
    Py_RETURN_NONE;
}

/* ---- size arguments --------------------------------------------------------------------------- */

/* numpy's size: None (one scalar), an int, or a tuple of ints. ndim -1 means a scalar. */
static int parse_size(PyObject *size, int *ndim, Py_ssize_t *shape, size_t *n)
{
    *n = 1;
    if (size == NULL || size == Py_None) {
        *ndim = -1;
        return 0;
    }
    PyObject *seq = NULL;
    if (PyLong_Check(size) || PyIndex_Check(size)) {
        seq = PyTuple_Pack(1, size);
    } else if (PyTuple_Check(size) || PyList_Check(size)) {
        seq = PySequence_Tuple(size);
    } else {
        PyErr_Format(PyExc_TypeError, "size: expected None, an int or a tuple of ints, got %.100s",
                     Py_TYPE(size)->tp_name);
        return -1;
    }
    if (!seq) return -1;
    Py_ssize_t d = PyTuple_GET_SIZE(seq);
    if (d > LMPY_MAXDIM) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "size: expected at most %d dimensions, got %zd", LMPY_MAXDIM, d);
        return -1;
    }
    for (Py_ssize_t i = 0; i < d; i++) {
        Py_ssize_t k = PyNumber_AsSsize_t(PyTuple_GET_ITEM(seq, i), PyExc_OverflowError);
        if (k == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        if (k < 0) {
            Py_DECREF(seq);
            PyErr_Format(PyExc_ValueError, "size: negative dimensions are not allowed, got %zd", k);
            return -1;
        }
        shape[i] = k;
        if (k > 0 && *n > ((size_t)1 << 40) / (size_t)k) { /* 2^40 draws: more than any memory here */
            Py_DECREF(seq);
            PyErr_SetString(PyExc_ValueError, "size: too many draws");
            return -1;
        }
        *n *= (size_t)k;
    }
    *ndim = (int)d;
    Py_DECREF(seq);
    return 0;
}

/* x broadcast to `shape`, as a C-contiguous copy of type dtype ("float64", "int64", "uint64"), read into *buf. */
static PyObject *flat_as(PyObject *np, PyObject *x, PyObject *shape, const char *dtype, Py_buffer *buf)
{
    PyObject *b = PyObject_CallMethod(np, "broadcast_to", "OO", x, shape);
    PyObject *c = b ? PyObject_CallMethod(np, "ascontiguousarray", "Os", b, dtype) : NULL;
    Py_XDECREF(b);
    if (c && PyObject_GetBuffer(c, buf, PyBUF_C_CONTIGUOUS) < 0) Py_CLEAR(c);
    return c;
}

/* 1 when numpy is there and x is an instance of numpy.<type> (ndarray, integer), 0 when not, -1 with an error. */
static int np_isinstance(PyObject *x, const char *type)
{
    PyObject *np = lmpy_numpy(), *t = np ? PyObject_GetAttrString(np, type) : NULL;
    int r = t ? PyObject_IsInstance(x, t) : np ? -1 : 0;
    Py_XDECREF(t);
    return r;
}

/* A value numpy would read as an array (np.array(x) of a sequence, a buffer, a numpy scalar). */
static int arraylike(PyObject *x)
{
    return !PyLong_Check(x) && !PyFloat_Check(x) && (PySequence_Check(x) || PyObject_CheckBuffer(x));
}

/* What a fill draws: one value at a time from the stream, into double or int64. */
typedef enum {
    D_UNIFORM, D_NORMAL, D_EXPON, D_GAMMA, D_BINOM, D_POISSON, D_BETA, D_LOGNORMAL, D_LAPLACE, D_CHISQ, D_T, D_GEOM,
    D_CAUCHY, D_PARETO, D_WEIBULL, D_POWER, D_F, D_WALD, D_NEGBIN, D_GUMBEL, D_LOGISTIC, D_RAYLEIGH, D_NCCHISQ,
    D_TRIANGULAR, D_NCF, D_LOGSERIES, D_ZIPF, D_VONMISES, D_HYPERGEOM
} dist_kind;

/* the kinds whose draws are counts (int64), the others doubles */
static int counts(dist_kind k)
{
    return k == D_BINOM || k == D_POISSON || k == D_GEOM || k == D_NEGBIN || k == D_LOGSERIES || k == D_ZIPF ||
           k == D_HYPERGEOM;
}

typedef struct draw_args {
    dist_kind kind;
    double a, b; /* uniform: low, high - low; normal, lognormal, laplace: loc, scale; expon: scale; gamma: shape,
                  * scale; binomial, geometric: p; poisson: lam; beta: a, b; chisquare, standard_t: df;
                  * pareto, weibull, power: a; f: dfnum, dfden; wald: mean, scale; negative_binomial: n, p;
                  * gumbel, logistic: loc, scale; rayleigh: scale; noncentral_chisquare: df, nonc;
                  * triangular: left, mode (c: right); noncentral_f: dfnum, dfden (c: nonc); logseries: p;
                  * zipf: a; vonmises: mu, kappa */
    double c;    /* triangular: right; noncentral_f: nonc */
    long n[3];   /* the integer parameters: binomial's n; hypergeometric's ngood, nbad, nsample */
} draw_args;

/* numpy's legacy geometric (legacy_random_geometric, p in (0, 1]): a search of the cdf with one uniform for
 * p >= 1/3, else the inversion ceil(log1p(-U) / log(1 - p)). Where 1 - p rounds to 1 (p below 1.1e-16)
 * numpy's quotient is -inf and its count INT64_MIN; here log1p(-p) divides, and a count past INT64_MAX is
 * INT64_MAX. The search stops where its terms underflow (numpy's loop would not end if U were above the sum
 * reached there). */
static int64_t geometric_draw(lmp_rng *r, double p)
{
    if (p >= 0.333333333333333333333333) {
        double u = lmp_rng_uniform(r), sum = p, prod = p, q = 1.0 - p;
        int64_t x = 1;
        while (u > sum && prod > 0) {
            prod *= q;
            sum += prod;
            x++;
        }
        return x;
    }
    double l = log(1 - p);
    double z = ceil(log1p(-lmp_rng_uniform(r)) / (l < 0 ? l : log1p(-p)));
    return z >= 9.223372036854776e18 ? INT64_MAX : (int64_t)z;
}

/* n draws into out; returns how many had no value (negative_binomial's gamma draw above the largest
 * Poisson mean, 9.2e18: its Poisson draw would not fit 64 bits), 0 for the others. */
/* numpy 1.24's random_logseries (Kemp's second accelerated generator, A. W. Kemp, "Efficient generation of
 * logarithmically distributed pseudo-random variables", Appl. Statist. 30, 1981), p in [0, 1). */
static int64_t logseries_draw(lmp_rng *r, double p)
{
    double lr = log(1.0 - p);
    for (;;) {
        double v = lmp_rng_uniform(r);
        if (v >= p) return 1;
        double q = 1.0 - exp(lr * lmp_rng_uniform(r));
        if (v <= q * q) {
            double k = floor(1 + log(v) / log(q));
            if (k < 1 || v == 0.0) continue;
            return (int64_t)k;
        }
        return v >= q ? 1 : 2;
    }
}

/* numpy's random_zipf (Devroye, "Non-Uniform Random Variate Generation", 1986, X.6.1): X = floor(U^(-1/(a-1)))
 * from the Pareto, accepted against the ratio of the two masses; X past INT64_MAX rejected (a Zipf law
 * truncated there, as numpy's). */
static int64_t zipf_draw(lmp_rng *r, double a)
{
    /* From a = 1025 on, 2^(a-1) overflows and numpy 1.24's test compares NaN: its loop never ends. P(X = 1)
     * is 1 - 2^-a there (to the doubles, 1): 1, drawing nothing, as numpy's Generator does from 1.25. */
    if (a >= 1025.0) return 1;
    double am1 = a - 1.0, b = pow(2.0, am1);
    for (;;) {
        double u = 1.0 - lmp_rng_uniform(r), v = lmp_rng_uniform(r);
        double x = floor(pow(u, -1.0 / am1));
        if (x > (double)INT64_MAX || x < 1.0) continue;
        double t = pow(1.0 + 1.0 / x, am1);
        if (v * x * (t - 1.0) / (b - 1.0) <= t / b) return (int64_t)x;
    }
}

/* numpy's legacy_noncentral_chisquare: a chi-square over df - 1 plus a shifted normal's square (df > 1), else
 * a chi-square over df + 2 Poisson(nonc / 2) draws (nonc checked by check_draw to have that draw). */
static double noncentral_chisquare_draw(lmp_rng *r, double df, double nonc)
{
    if (nonc == 0) return 2.0 * lmp_gamma_sample(r, df / 2.0, 1.0);
    if (1 < df) {
        double chi2 = 2.0 * lmp_gamma_sample(r, (df - 1) / 2.0, 1.0), z = lmp_rng_normal(r) + sqrt(nonc);
        return chi2 + z * z;
    }
    long j = lmp_poisson_sample(r, nonc / 2.0);
    return 2.0 * lmp_gamma_sample(r, (df + 2 * (double)j) / 2.0, 1.0);
}

static size_t fill(lmp_rng *r, const draw_args *d, void *out, size_t n)
{
    size_t failed = 0;
    double *x = out;
    int64_t *k = out;
    switch (d->kind) {
    case D_UNIFORM:
        lmp_rng_uniform_n(r, x, n); /* then low + (high - low) u, as numpy (the same bits: u first) */
        if (d->a != 0.0 || d->b != 1.0)
            for (size_t i = 0; i < n; i++) x[i] = d->a + d->b * x[i];
        break;
    case D_NORMAL:
        for (size_t i = 0; i < n; i++) x[i] = d->a + d->b * lmp_rng_normal(r);
        break;
    case D_EXPON:
        /* numpy legacy: scale * standard_exponential (not x / rate: the bits differ) */
        for (size_t i = 0; i < n; i++) x[i] = d->a * lmp_rng_exponential(r);
        break;
    case D_GAMMA:
        for (size_t i = 0; i < n; i++) x[i] = lmp_gamma_sample(r, d->a, d->b);
        break;
    case D_BINOM: {
        /* checked by the caller (lmp_binomial_check); the set-up once, as numpy's binomial_t */
        _Static_assert(_Generic((int64_t)0, long: 1, default: 0), "int64_t is long where the module builds");
        (void)lmp_binomial_sample_n(r, d->n[0], d->a, (long *)k, n, NULL);
        break;
    }
    case D_POISSON:
        for (size_t i = 0; i < n; i++) k[i] = lmp_poisson_sample(r, d->a);
        break;
    /* numpy's legacy compositions (legacy-distributions.c), in its order of draws */
    case D_BETA:
        for (size_t i = 0; i < n; i++) x[i] = lmp_beta_sample(r, d->a, d->b);
        break;
    case D_LOGNORMAL:
        for (size_t i = 0; i < n; i++) x[i] = exp(d->a + d->b * lmp_rng_normal(r));
        break;
    case D_LAPLACE:
        for (size_t i = 0; i < n; i++) x[i] = lmp_laplace_sample(r, d->a, d->b);
        break;
    case D_CHISQ:
        for (size_t i = 0; i < n; i++) x[i] = 2.0 * lmp_gamma_sample(r, d->a / 2.0, 1.0);
        break;
    case D_GEOM:
        for (size_t i = 0; i < n; i++) k[i] = geometric_draw(r, d->a);
        break;
    case D_CAUCHY:
        for (size_t i = 0; i < n; i++) {
            double num = lmp_rng_normal(r);
            x[i] = num / lmp_rng_normal(r);
        }
        break;
    case D_PARETO:
        for (size_t i = 0; i < n; i++) x[i] = exp(lmp_rng_exponential(r) / d->a) - 1;
        break;
    case D_WEIBULL:
        for (size_t i = 0; i < n; i++) x[i] = d->a == 0.0 ? 0.0 : pow(lmp_rng_exponential(r), 1. / d->a);
        break;
    case D_POWER:
        for (size_t i = 0; i < n; i++) x[i] = pow(1 - exp(-lmp_rng_exponential(r)), 1. / d->a);
        break;
    case D_F:
        for (size_t i = 0; i < n; i++) {
            double num = 2.0 * lmp_gamma_sample(r, d->a / 2.0, 1.0) * d->b;
            x[i] = num / (2.0 * lmp_gamma_sample(r, d->b / 2.0, 1.0) * d->a);
        }
        break;
    case D_WALD:
        for (size_t i = 0; i < n; i++) {
            double mu = d->a, mu_2l = mu / (2 * d->b), y = lmp_rng_normal(r);
            y = mu * y * y;
            double w = mu + mu_2l * (y - sqrt(4 * d->b * y + y * y));
            x[i] = lmp_rng_uniform(r) <= mu / (mu + w) ? w : mu * mu / w;
        }
        break;
    case D_NEGBIN:
        for (size_t i = 0; i < n; i++) {
            k[i] = lmp_poisson_sample(r, lmp_gamma_sample(r, d->a, (1 - d->b) / d->b));
            failed += k[i] < 0;
        }
        break;
    case D_GUMBEL:
        for (size_t i = 0; i < n; i++) {
            double u;
            do u = 1.0 - lmp_rng_uniform(r);
            while (!(u < 1.0));
            x[i] = d->a - d->b * log(-log(u));
        }
        break;
    case D_LOGISTIC:
        for (size_t i = 0; i < n; i++) {
            double u;
            do u = lmp_rng_uniform(r);
            while (!(u > 0.0));
            x[i] = d->a + d->b * log(u / (1.0 - u));
        }
        break;
    case D_RAYLEIGH:
        for (size_t i = 0; i < n; i++) x[i] = d->a * sqrt(-2.0 * log1p(-lmp_rng_uniform(r)));
        break;
    case D_NCCHISQ:
        for (size_t i = 0; i < n; i++) x[i] = noncentral_chisquare_draw(r, d->a, d->b);
        break;
    case D_LOGSERIES:
        for (size_t i = 0; i < n; i++) k[i] = logseries_draw(r, d->a);
        break;
    case D_ZIPF:
        for (size_t i = 0; i < n; i++) k[i] = zipf_draw(r, d->a);
        break;
    case D_VONMISES:
        for (size_t i = 0; i < n; i++) x[i] = lmp_vonmises_sample(r, d->a, d->b);
        break;
    case D_HYPERGEOM:
        for (size_t i = 0; i < n; i++) k[i] = lmp_hypergeometric_sample(r, d->n[0], d->n[1], d->n[2]);
        break;
    case D_NCF: /* numpy's legacy_noncentral_f: noncentral_chisquare(dfnum, nonc) dfden / (chisquare(dfden) dfnum) */
        for (size_t i = 0; i < n; i++) {
            double t = noncentral_chisquare_draw(r, d->a, d->c) * d->b;
            x[i] = t / (2.0 * lmp_gamma_sample(r, d->b / 2.0, 1.0) * d->a);
        }
        break;
    case D_TRIANGULAR: /* numpy's random_triangular: the inverse cdf of one uniform, each side from its end */
        for (size_t i = 0; i < n; i++) {
            double base = d->c - d->a, leftbase = d->b - d->a, ratio = leftbase / base;
            double leftprod = leftbase * base, rightprod = (d->c - d->b) * base, u = lmp_rng_uniform(r);
            x[i] = u <= ratio ? d->a + sqrt(u * leftprod) : d->c - sqrt((1.0 - u) * rightprod);
        }
        break;
    case D_T:
        for (size_t i = 0; i < n; i++) {
            double num = lmp_rng_normal(r), den = lmp_gamma_sample(r, d->a / 2, 1.0);
            x[i] = sqrt(d->a / 2) * num / sqrt(den);
        }
        break;
    }
    return failed;
}

/* The error for draws that had no value (fill), the output block released. */
static PyObject *no_draw(size_t failed, PyObject *blk)
{
    Py_XDECREF(blk); /* negative_binomial's draws are the only ones that can fail */
    return lmpy_err(PyExc_ValueError, "negative_binomial: %zu of the gamma draws were above 9.2e18, the largest "
                                      "Poisson mean with 64-bit draws: expected n (1 - p) / p far below it", failed);
}

static PyObject *draw(lmpy_rng_obj *o, PyObject *size, const draw_args *d)
{
    int ndim;
    Py_ssize_t shape[LMPY_MAXDIM];
    size_t n;
    if (parse_size(size, &ndim, shape, &n) < 0) return NULL;
    int is_int = counts(d->kind);
    if (ndim < 0) {
        union { double x; int64_t k; } v;
        lmp_rng *r = lmpy_rng_lock((PyObject *)o);
        size_t failed = fill(r, d, &v, 1);
        lmpy_rng_unlock((PyObject *)o);
        if (failed) return no_draw(failed, NULL);
        return is_int ? PyLong_FromLongLong(v.k) : PyFloat_FromDouble(v.x);
    }
    void *data;
    PyObject *blk = lmpy_array_new(is_int ? 'q' : 'd', ndim, shape, &data);
    if (!blk) return NULL;
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    size_t failed;
    if (n > 4096) {
        Py_BEGIN_ALLOW_THREADS
        failed = fill(r, d, data, n);
        Py_END_ALLOW_THREADS
    } else {
        failed = fill(r, d, data, n);
    }
    lmpy_rng_unlock((PyObject *)o);
    if (failed) return no_draw(failed, blk);
    return lmpy_array_finish(blk);
}

/* ---- parameters: scalars, or arrays broadcast as numpy's (mtrand's cont / disc) ----------------------
 * A method's parameters are numbers or arrays. With an array among them (np.asarray(x).ndim > 0), the
 * output has their broadcast shape (with size: size, which they must broadcast to), and element i (C order)
 * is drawn from the parameters at position i, one element after the other, as numpy's
 * cont_broadcast_* loops draw: the same values as numpy's on RandomState. */

#define MAXP 3 /* parameters of a method at most */

typedef struct draw_spec {
    const char *fn;
    dist_kind kind;
    int np;                 /* parameters (binomial: n, p; n an integer) */
    const char *names[MAXP];
    double dflt[MAXP];      /* where a parameter is left out (NAN: required, parsed so by the method) */
} draw_spec;

/* Whether parameter j of the spec is an integer (numpy's int64): binomial's n, the hypergeometric's three. */
static int int_param(const draw_spec *s, int j) { return s->kind == D_HYPERGEOM || (s->kind == D_BINOM && j == 0); }

/* 0, or -1 with the error: "fn: <where>scale = -1: expected scale >= 0". v: the parameters in the spec's
 * order, n the integer ones (binomial: n[0], v[1] = p; hypergeometric: n[0..2]). */
static int check_draw(const draw_spec *s, const double *v, const long *n, const char *where)
{
    const char *fn = s->fn;
    lmp_error err;
    lmp_status st = LMP_OK;
    switch (s->kind) {
    case D_NORMAL:
    case D_LOGNORMAL:
        for (int j = 0; j < 2; j++)
            if (isnan(v[j]))
                return lmpy_err(PyExc_ValueError, "%s: %s%s = nan: expected a number", fn, where, s->names[j]), -1;
        if (v[1] < 0)
            return lmpy_err(PyExc_ValueError, "%s: %s%s = %g: expected %s >= 0", fn, where, s->names[1], v[1],
                                s->names[1]), -1;
        return 0;
    case D_UNIFORM:
        if (!isfinite(v[1] - v[0]))
            return lmpy_err(PyExc_OverflowError, "%s: %shigh - low = %g: expected a finite range", fn, where,
                                v[1] - v[0]), -1;
        return 0;
    case D_EXPON:
        if (!(v[0] >= 0))
            return lmpy_err(PyExc_ValueError, "%s: %sscale = %g: expected scale >= 0", fn, where, v[0]), -1;
        return 0;
    case D_GAMMA:
        if (s->np == 1) {
            if (!(v[0] > 0) || !isfinite(v[0]))
                return lmpy_err(PyExc_ValueError, "%s: %sshape = %g: expected shape > 0", fn, where, v[0]), -1;
            return 0;
        }
        if (!(v[0] > 0) || !isfinite(v[0]) || !(v[1] > 0) || !isfinite(v[1]))
            return lmpy_err(PyExc_ValueError, "%s: %sshape = %g, scale = %g: expected shape > 0 and scale > 0",
                                fn, where, v[0], v[1]), -1;
        return 0;
    case D_LAPLACE:
        if (!isfinite(v[0]))
            return lmpy_err(PyExc_ValueError, "%s: %sloc = %g: expected a finite number", fn, where, v[0]), -1;
        if (!(v[1] > 0) || !isfinite(v[1]))
            return lmpy_err(PyExc_ValueError, "%s: %sscale = %g: expected scale > 0 (finite)", fn, where, v[1]),
                   -1;
        return 0;
    case D_CHISQ:
    case D_T:
        if (!(v[0] > 0) || !isfinite(v[0]))
            return lmpy_err(PyExc_ValueError, "%s: %sdf = %g: expected df > 0 (finite)", fn, where, v[0]), -1;
        return 0;
    case D_CAUCHY: return 0;
    case D_LOGSERIES:
        if (!(v[0] >= 0 && v[0] < 1))
            return lmpy_err(PyExc_ValueError, "%s: %sp = %g: expected p in [0, 1)", fn, where, v[0]), -1;
        return 0;
    case D_ZIPF:
        if (!(v[0] > 1))
            return lmpy_err(PyExc_ValueError, "%s: %sa = %g: expected a > 1", fn, where, v[0]), -1;
        return 0;
    case D_NCCHISQ:
    case D_NCF: {
        int nc = s->kind == D_NCF ? 2 : 1; /* nonc's place */
        for (int j = 0; j < nc; j++)
            if (!(v[j] > 0) || !isfinite(v[j]))
                return lmpy_err(PyExc_ValueError, "%s: %s%s = %g: expected %s > 0 (finite)", fn, where, s->names[j],
                                v[j], s->names[j]), -1;
        if (!(v[nc] >= 0) || !isfinite(v[nc]))
            return lmpy_err(PyExc_ValueError, "%s: %snonc = %g: expected nonc >= 0 (finite)", fn, where, v[nc]), -1;
        if (v[0] <= 1 && lmp_poisson_sample_check(v[nc] / 2, &err) != LMP_OK) /* df <= 1 draws Poisson(nonc / 2) */
            return lmpy_err(PyExc_ValueError, "%s: %snonc = %g with %s <= 1: nonc / 2 is a Poisson mean: %s", fn,
                            where, v[nc], s->names[0], err.msg), -1;
        return 0;
    }
    case D_TRIANGULAR: /* numpy's checks and messages, in its order */
        for (int j = 0; j < 3; j++)
            if (!isfinite(v[j]))
                return lmpy_err(PyExc_ValueError, "%s: %s%s = %g: expected a finite number", fn, where, s->names[j],
                                v[j]), -1;
        if (v[0] > v[1]) return lmpy_err(PyExc_ValueError, "%s: %sleft > mode", fn, where), -1;
        if (v[1] > v[2]) return lmpy_err(PyExc_ValueError, "%s: %smode > right", fn, where), -1;
        if (v[0] == v[2]) return lmpy_err(PyExc_ValueError, "%s: %sleft == right", fn, where), -1;
        return 0;
    case D_PARETO:
    case D_POWER:
    case D_WEIBULL:
        if (!(s->kind == D_WEIBULL ? v[0] >= 0 : v[0] > 0) || !isfinite(v[0]))
            return lmpy_err(PyExc_ValueError, "%s: %sa = %g: expected a %s 0 (finite)", fn, where, v[0],
                            s->kind == D_WEIBULL ? ">=" : ">"), -1;
        return 0;
    case D_F:
    case D_WALD:
        for (int j = 0; j < 2; j++)
            if (!(v[j] > 0) || !isfinite(v[j]))
                return lmpy_err(PyExc_ValueError, "%s: %s%s = %g: expected %s > 0 (finite)", fn, where, s->names[j],
                                v[j], s->names[j]), -1;
        return 0;
    case D_NEGBIN:
        if (!(v[0] > 0) || !isfinite(v[0]))
            return lmpy_err(PyExc_ValueError, "%s: %sn = %g: expected n > 0 (finite)", fn, where, v[0]), -1;
        if (!(v[1] > 0 && v[1] <= 1))
            return lmpy_err(PyExc_ValueError, "%s: %sp = %g: expected a probability in (0, 1]", fn, where, v[1]), -1;
        return 0;
    case D_GUMBEL:
    case D_LOGISTIC:
    case D_RAYLEIGH: {
        int sc = s->kind == D_RAYLEIGH ? 0 : 1; /* the scale's place */
        if (sc && !isfinite(v[0]))
            return lmpy_err(PyExc_ValueError, "%s: %sloc = %g: expected a finite number", fn, where, v[0]), -1;
        if (!(v[sc] >= 0) || !isfinite(v[sc]))
            return lmpy_err(PyExc_ValueError, "%s: %sscale = %g: expected scale >= 0 (finite)", fn, where, v[sc]),
                   -1;
        return 0;
    }
    case D_GEOM:
        if (!(v[0] > 0 && v[0] <= 1))
            return lmpy_err(PyExc_ValueError, "%s: %sp = %g: expected a probability in (0, 1]", fn, where, v[0]), -1;
        return 0;
    case D_VONMISES: st = lmp_vonmises_sample_check(v[0], v[1], &err); break;
    case D_HYPERGEOM: st = lmp_hypergeometric_sample_check(n[0], n[1], n[2], &err); break;
    case D_BINOM: st = lmp_binomial_check(n[0], v[1], &err); break;
    case D_POISSON: st = lmp_poisson_sample_check(v[0], &err); break;
    case D_BETA: st = lmp_beta_check(v[0], v[1], &err); break;
    }
    if (st == LMP_OK) return 0;
    if (!*where && s->kind != D_VONMISES && s->kind != D_HYPERGEOM)
        return lmpy_raise(&err), -1; /* the library's message, as before for the scalars */
    return lmpy_err(PyExc_ValueError, "%s: %s%s", fn, where, err.msg), -1;
}

static draw_args draw_of(const draw_spec *s, const double *v, const long *n)
{
    draw_args d = {s->kind, v[0], s->np > 1 ? v[1] : 0.0, v[2], {n[0], n[1], n[2]}};
    if (s->kind == D_UNIFORM) d.b = v[1] - v[0];     /* low + (high - low) u, numpy's np.subtract(high, low) */
    if (s->kind == D_GAMMA && s->np == 1) d.b = 1.0; /* standard_gamma */
    if (s->kind == D_BINOM) d.a = v[1];
    return d;
}

/* x as a float64 or int64 array the way numpy's PyArray_FROM_OTF reads a parameter: an array by a safe cast
 * (else TypeError), anything else (a list) by numpy's coercion to the type (["1"] is 1.0, [1.5] as n is 1). */
static PyObject *param_array(PyObject *np, const draw_spec *s, int j, PyObject *x)
{
    const char *want = int_param(s, j) ? "int64" : "float64";
    int is_arr = np_isinstance(x, "ndarray");
    if (is_arr < 0) return NULL;
    if (!is_arr) return PyObject_CallMethod(np, "asarray", "Os", x, want);
    PyObject *a = Py_NewRef(x);
    PyObject *dt = PyObject_GetAttrString(a, "dtype");
    PyObject *ok = dt ? PyObject_CallMethod(np, "can_cast", "Oss", dt, want, "safe") : NULL;
    int t = ok ? PyObject_IsTrue(ok) : -1;
    PyObject *res = NULL;
    if (t == 0) {
        PyObject *name = PyObject_Str(dt);
        if (name)
            PyErr_Format(PyExc_TypeError, "%s: %s: cannot cast array data from dtype('%U') to dtype('%s') "
                                          "according to the rule 'safe'", s->fn, s->names[j], name, want);
        Py_XDECREF(name);
    } else if (t > 0) {
        res = PyObject_CallMethod(a, "astype", "s", want);
    }
    Py_XDECREF(ok);
    Py_XDECREF(dt);
    Py_XDECREF(a);
    return res;
}

/* The parameters of output element i from their broadcast copies, as check_draw takes them: v, and n for
 * the integer ones */
static void params_at(const draw_spec *s, const Py_buffer *buf, size_t i, double v[MAXP], long n[MAXP])
{
    for (int j = 0; j < MAXP; j++) v[j] = 0.0, n[j] = 0;
    for (int j = 0; j < s->np; j++) {
        if (int_param(s, j)) n[j] = (long)((const int64_t *)buf[j].buf)[i];
        else v[j] = ((const double *)buf[j].buf)[i];
    }
}

static PyObject *draw_arrays(lmpy_rng_obj *o, const draw_spec *s, PyObject *np, PyObject *const *x, PyObject *size)
{
    PyObject *arr[MAXP] = {NULL}, *flat[MAXP] = {NULL}, *shapes = NULL, *bshape = NULL, *res = NULL;
    Py_buffer buf[MAXP] = {{0}};
    int ndim;
    Py_ssize_t shape[LMPY_MAXDIM];
    size_t n;
    if (parse_size(size, &ndim, shape, &n) < 0) return NULL;
    if (!(shapes = PyTuple_New(s->np + (ndim >= 0)))) return NULL;
    for (int j = 0; j < s->np; j++) {
        if (!(arr[j] = param_array(np, s, j, x[j]))) goto done;
        PyObject *sh = PyObject_GetAttrString(arr[j], "shape");
        if (!sh) goto done;
        PyTuple_SET_ITEM(shapes, j, sh);
    }
    if (ndim >= 0) {
        PyObject *sz = PyTuple_New(ndim);
        if (!sz) goto done;
        for (int i = 0; i < ndim; i++) PyTuple_SET_ITEM(sz, i, PyLong_FromSsize_t(shape[i]));
        PyTuple_SET_ITEM(shapes, s->np, sz);
    }
    PyObject *f = PyObject_GetAttrString(np, "broadcast_shapes");
    bshape = f ? PyObject_Call(f, shapes, NULL) : NULL;
    Py_XDECREF(f);
    if (!bshape) goto done;
    if (ndim >= 0) {
        int same = PyObject_RichCompareBool(bshape, PyTuple_GET_ITEM(shapes, s->np), Py_EQ);
        if (same < 0) goto done;
        if (!same) {
            PyErr_Format(PyExc_ValueError, "%s: output size %R is not compatible with broadcast dimensions of "
                                           "inputs %R", s->fn, PyTuple_GET_ITEM(shapes, s->np), bshape);
            goto done;
        }
    } else {
        Py_ssize_t d = PyTuple_GET_SIZE(bshape);
        if (d > LMPY_MAXDIM) {
            PyErr_Format(PyExc_ValueError, "%s: expected at most %d dimensions, got %zd", s->fn, LMPY_MAXDIM, d);
            goto done;
        }
        ndim = (int)d;
        n = 1;
        for (int i = 0; i < ndim; i++) n *= (size_t)(shape[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(bshape, i)));
    }
    for (int j = 0; j < s->np; j++)
        if (!(flat[j] = flat_as(np, arr[j], bshape, int_param(s, j) ? "int64" : "float64", &buf[j])))
            goto done;
    /* every element checked before the first draw, as numpy's check_array_constraint */
    for (size_t i = 0; i < n; i++) {
        double v[MAXP];
        long k[MAXP];
        params_at(s, buf, i, v, k);
        char where[80];
        snprintf(where, sizeof where, "element %zu of the broadcast parameters: ", i);
        if (check_draw(s, v, k, where) < 0) goto done;
    }
    int is_int = counts(s->kind);
    void *data;
    PyObject *blk = lmpy_array_new(is_int ? 'q' : 'd', ndim, shape, &data);
    if (!blk) goto done;
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    size_t failed = 0;
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < n; i++) {
        double v[MAXP];
        long k[MAXP];
        params_at(s, buf, i, v, k);
        draw_args d = draw_of(s, v, k);
        failed += fill(r, &d, (char *)data + 8 * i, 1);
    }
    Py_END_ALLOW_THREADS
    lmpy_rng_unlock((PyObject *)o);
    res = failed ? no_draw(failed, blk) : lmpy_array_finish(blk);
done:
    for (int j = 0; j < MAXP; j++) {
        if (flat[j]) PyBuffer_Release(&buf[j]);
        Py_XDECREF(flat[j]);
        Py_XDECREF(arr[j]);
    }
    Py_XDECREF(shapes);
    Py_XDECREF(bshape);
    return res;
}

/* The draws of a method whose parameters x[0..np) (NULL: the spec's default) are numbers or arrays. */
static PyObject *draw_params(lmpy_rng_obj *o, const draw_spec *s, PyObject **x, PyObject *size)
{
    PyObject *dflt[MAXP] = {NULL}, *res = NULL;
    int arrays = 0;
    for (int j = 0; j < s->np; j++) {
        if (!x[j] && !(x[j] = dflt[j] = PyFloat_FromDouble(s->dflt[j]))) goto done;
        if (arraylike(x[j])) { /* np.asarray(x).ndim > 0; a 0-d array or a numpy scalar is a number */
            PyObject *np = lmpy_numpy();
            if (!np) {
                PyErr_Format(PyExc_TypeError, "%s: %s as an array needs numpy", s->fn, s->names[j]);
                goto done;
            }
            PyObject *a = PyObject_CallMethod(np, "asarray", "(O)", x[j]);
            PyObject *nd = a ? PyObject_GetAttrString(a, "ndim") : NULL;
            long d = nd ? PyLong_AsLong(nd) : -1;
            Py_XDECREF(nd);
            Py_XDECREF(a);
            if (d < 0) goto done;
            arrays |= d > 0;
        }
    }
    if (arrays) {
        res = draw_arrays(o, s, lmpy_numpy(), x, size);
        goto done;
    }
    double v[MAXP] = {0};
    long k[MAXP] = {0};
    for (int j = 0; j < s->np; j++) {
        if (int_param(s, j)) { /* numpy's long: a float truncated (1.5 is 1), as its arrays' cast */
            PyObject *ix = PyNumber_Long(x[j]);
            k[j] = ix ? PyLong_AsLong(ix) : -1;
            Py_XDECREF(ix);
        } else {
            v[j] = PyFloat_AsDouble(x[j]);
        }
        if (PyErr_Occurred()) goto done;
    }
    if (check_draw(s, v, k, "") < 0) goto done;
    draw_args d = draw_of(s, v, k);
    res = draw(o, size, &d);
done:
    for (int j = 0; j < MAXP; j++) Py_XDECREF(dflt[j]);
    return res;
}

/* dims as separate arguments (rand(2, 3), randn()) into a size tuple. */
static PyObject *dims_to_size(PyObject *args)
{
    if (PyTuple_GET_SIZE(args) == 0) return Py_NewRef(Py_None);
    return Py_NewRef(args);
}

/* ---- methods ------------------------------------------------------------------------------------- */

static PyObject *rng_random_sample(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"size", NULL};
    PyObject *size = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:random_sample", kwl, &size)) return NULL;
    draw_args d = {D_UNIFORM, 0.0, 1.0, 0.0, {0}};
    return draw(o, size, &d);
}

static PyObject *rng_rand(lmpy_rng_obj *o, PyObject *args)
{
    PyObject *size = dims_to_size(args);
    draw_args d = {D_UNIFORM, 0.0, 1.0, 0.0, {0}};
    PyObject *r = draw(o, size, &d);
    Py_DECREF(size);
    return r;
}

static PyObject *rng_randn(lmpy_rng_obj *o, PyObject *args)
{
    PyObject *size = dims_to_size(args);
    draw_args d = {D_NORMAL, 0.0, 1.0, 0.0, {0}};
    PyObject *r = draw(o, size, &d);
    Py_DECREF(size);
    return r;
}

static PyObject *rng_standard_normal(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"size", NULL};
    PyObject *size = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:standard_normal", kwl, &size)) return NULL;
    draw_args d = {D_NORMAL, 0.0, 1.0, 0.0, {0}};
    return draw(o, size, &d);
}

/* A method of one, two or three parameters and size, parsed as objects (fmt: their PyArg format, "O|O"
 * when the first is required) and drawn by draw_params. The keyword list is an automatic array: its names
 * come from the spec, which C does not count as constants, so a static one builds with gcc only. */
#define PARAM_METHOD1(name, fmt, spec)                                                                  \
    static PyObject *rng_##name(lmpy_rng_obj *o, PyObject *args, PyObject *kw)                          \
    {                                                                                                   \
        static const draw_spec sp = spec;                                                               \
        char *kwl[] = {(char *)sp.names[0], "size", NULL};                                              \
        PyObject *x[MAXP] = {NULL}, *size = NULL;                                                       \
        if (!PyArg_ParseTupleAndKeywords(args, kw, fmt ":" #name, kwl, &x[0], &size)) return NULL;      \
        return draw_params(o, &sp, x, size);                                                            \
    }
#define PARAM_METHOD2(name, fmt, spec)                                                                  \
    static PyObject *rng_##name(lmpy_rng_obj *o, PyObject *args, PyObject *kw)                          \
    {                                                                                                   \
        static const draw_spec sp = spec;                                                               \
        char *kwl[] = {(char *)sp.names[0], (char *)sp.names[1], "size", NULL};                         \
        PyObject *x[MAXP] = {NULL}, *size = NULL;                                                       \
        if (!PyArg_ParseTupleAndKeywords(args, kw, fmt ":" #name, kwl, &x[0], &x[1], &size)) return NULL; \
        return draw_params(o, &sp, x, size);                                                            \
    }

#define PARAM_METHOD3(name, fmt, spec)                                                                  \
    static PyObject *rng_##name(lmpy_rng_obj *o, PyObject *args, PyObject *kw)                          \
    {                                                                                                   \
        static const draw_spec sp = spec;                                                               \
        char *kwl[] = {(char *)sp.names[0], (char *)sp.names[1], (char *)sp.names[2], "size", NULL};    \
        PyObject *x[MAXP] = {NULL}, *size = NULL;                                                       \
        if (!PyArg_ParseTupleAndKeywords(args, kw, fmt ":" #name, kwl, &x[0], &x[1], &x[2], &size)) return NULL; \
        return draw_params(o, &sp, x, size);                                                            \
    }

#define SPEC(fn, kind, np, n0, n1, d0, d1) {fn, kind, np, {n0, n1, NULL}, {d0, d1, 0.0}}
#define SPEC3(fn, kind, n0, n1, n2) {fn, kind, 3, {n0, n1, n2}, {NAN, NAN, NAN}}
PARAM_METHOD2(normal, "|OOO", SPEC("normal", D_NORMAL, 2, "loc", "scale", 0.0, 1.0))
PARAM_METHOD2(uniform, "|OOO", SPEC("uniform", D_UNIFORM, 2, "low", "high", 0.0, 1.0))
PARAM_METHOD1(exponential, "|OO", SPEC("exponential", D_EXPON, 1, "scale", NULL, 1.0, 0.0))
PARAM_METHOD2(gamma, "O|OO", SPEC("gamma", D_GAMMA, 2, "shape", "scale", NAN, 1.0))
PARAM_METHOD1(standard_gamma, "O|O", SPEC("standard_gamma", D_GAMMA, 1, "shape", NULL, NAN, 0.0))
PARAM_METHOD2(binomial, "OO|O", SPEC("binomial", D_BINOM, 2, "n", "p", NAN, NAN))
PARAM_METHOD1(poisson, "|OO", SPEC("poisson", D_POISSON, 1, "lam", NULL, 1.0, 0.0))
PARAM_METHOD2(beta, "OO|O", SPEC("beta", D_BETA, 2, "a", "b", NAN, NAN))
PARAM_METHOD2(lognormal, "|OOO", SPEC("lognormal", D_LOGNORMAL, 2, "mean", "sigma", 0.0, 1.0))
PARAM_METHOD2(laplace, "|OOO", SPEC("laplace", D_LAPLACE, 2, "loc", "scale", 0.0, 1.0))
PARAM_METHOD1(chisquare, "O|O", SPEC("chisquare", D_CHISQ, 1, "df", NULL, NAN, 0.0))
PARAM_METHOD1(standard_t, "O|O", SPEC("standard_t", D_T, 1, "df", NULL, NAN, 0.0))
PARAM_METHOD1(geometric, "O|O", SPEC("geometric", D_GEOM, 1, "p", NULL, NAN, 0.0))
PARAM_METHOD1(pareto, "O|O", SPEC("pareto", D_PARETO, 1, "a", NULL, NAN, 0.0))
PARAM_METHOD1(weibull, "O|O", SPEC("weibull", D_WEIBULL, 1, "a", NULL, NAN, 0.0))
PARAM_METHOD1(power, "O|O", SPEC("power", D_POWER, 1, "a", NULL, NAN, 0.0))
PARAM_METHOD1(rayleigh, "|OO", SPEC("rayleigh", D_RAYLEIGH, 1, "scale", NULL, 1.0, 0.0))
PARAM_METHOD2(f, "OO|O", SPEC("f", D_F, 2, "dfnum", "dfden", NAN, NAN))
PARAM_METHOD2(wald, "OO|O", SPEC("wald", D_WALD, 2, "mean", "scale", NAN, NAN))
PARAM_METHOD2(negative_binomial, "OO|O", SPEC("negative_binomial", D_NEGBIN, 2, "n", "p", NAN, NAN))
PARAM_METHOD2(gumbel, "|OOO", SPEC("gumbel", D_GUMBEL, 2, "loc", "scale", 0.0, 1.0))
PARAM_METHOD2(logistic, "|OOO", SPEC("logistic", D_LOGISTIC, 2, "loc", "scale", 0.0, 1.0))
PARAM_METHOD2(noncentral_chisquare, "OO|O", SPEC("noncentral_chisquare", D_NCCHISQ, 2, "df", "nonc", NAN, NAN))
PARAM_METHOD1(logseries, "O|O", SPEC("logseries", D_LOGSERIES, 1, "p", NULL, NAN, 0.0))
PARAM_METHOD1(zipf, "O|O", SPEC("zipf", D_ZIPF, 1, "a", NULL, NAN, 0.0))
PARAM_METHOD3(noncentral_f, "OOO|O", SPEC3("noncentral_f", D_NCF, "dfnum", "dfden", "nonc"))
PARAM_METHOD3(triangular, "OOO|O", SPEC3("triangular", D_TRIANGULAR, "left", "mode", "right"))
PARAM_METHOD2(vonmises, "OO|O", SPEC("vonmises", D_VONMISES, 2, "mu", "kappa", NAN, NAN))
PARAM_METHOD3(hypergeometric, "OOO|O", SPEC3("hypergeometric", D_HYPERGEOM, "ngood", "nbad", "nsample"))

static PyObject *rng_standard_cauchy(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"size", NULL};
    PyObject *size = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:standard_cauchy", kwl, &size)) return NULL;
    draw_args d = {D_CAUCHY, 0.0, 0.0, 0.0, {0}};
    return draw(o, size, &d);
}
#undef SPEC

static PyObject *rng_standard_exponential(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"size", NULL};
    PyObject *size = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:standard_exponential", kwl, &size)) return NULL;
    draw_args d = {D_EXPON, 1.0, 0.0, 0.0, {0}};
    return draw(o, size, &d);
}

/* A 1-D vector of numbers (a list, an array of any float or int type) as a PyMem_Raw copy of k doubles;
 * NULL with an error ("fn: name: expected a 1-D array, got 2 dimensions"). */
static double *read_vector(PyObject *obj, const char *fn, const char *name, size_t *k)
{
    lmpy_view v;
    if (lmpy_view_get(obj, &v, name, LMPY_FLOAT | LMPY_INT) < 0) return NULL;
    if (v.ndim != 1) {
        lmpy_view_release(&v);
        return PyErr_Format(PyExc_ValueError, "%s: %s: expected a 1-D array, got %d dimensions", fn, name, v.ndim),
               NULL;
    }
    *k = (size_t)v.shape[0];
    double *x = PyMem_RawMalloc((*k ? *k : 1) * sizeof *x);
    if (!x) {
        lmpy_view_release(&v);
        return (double *)lmpy_nomem((double)*k * sizeof *x, "%s: %s: a copy of %zu values", fn, name, *k);
    }
    for (size_t i = 0; i < *k; i++) x[i] = lmpy_view_at(&v, v.data + (Py_ssize_t)i * v.strides[0]);
    lmpy_view_release(&v);
    return x;
}

/* The output of a vector draw: shape size + (k,) of type 'd' or 'q' (lmpy_array_new), *rows = the vectors */
static PyObject *rows_array(const char *fn, PyObject *size, size_t k, char type, void **out, size_t *rows)
{
    int ndim;
    Py_ssize_t shape[LMPY_MAXDIM + 1];
    if (parse_size(size, &ndim, shape, rows) < 0) return NULL;
    if (ndim < 0) ndim = 0;
    if (ndim == LMPY_MAXDIM) return PyErr_Format(PyExc_ValueError, "%s: size has too many dimensions", fn);
    shape[ndim] = (Py_ssize_t)k;
    return lmpy_array_new(type, ndim + 1, shape, out);
}

static PyObject *rng_dirichlet(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"alpha", "size", NULL};
    PyObject *alpha_obj, *size = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O:dirichlet", kwl, &alpha_obj, &size)) return NULL;
    size_t k;
    double *alpha = read_vector(alpha_obj, "dirichlet", "alpha", &k);
    if (!alpha) return NULL;
    lmp_error err;
    PyObject *res = NULL;
    size_t n;
    if (lmp_dirichlet_check(alpha, k, &err) != LMP_OK) {
        lmpy_raise(&err);
        goto done;
    }
    double *out;
    PyObject *blk = rows_array("dirichlet", size, k, 'd', (void **)&out, &n);
    if (!blk) goto done;
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    lmp_status st = LMP_OK;
    for (size_t i = 0; i < n && st == LMP_OK; i++) st = lmp_dirichlet_sample(r, alpha, k, out + i * k, &err);
    lmpy_rng_unlock((PyObject *)o);
    res = lmpy_array_finish_or_raise(blk, st, &err);
done:
    PyMem_RawFree(alpha);
    return res;
}

/* numpy's legacy multinomial (mtrand.pyx, random_multinomial in distributions.c): per row, component j
 * takes Binomial(n left, pvals[j] / the probability left), the last one what is left, stopping once nothing
 * is; a component of probability 0 or a row with n = 0 draws nothing (numpy's random_binomial returns
 * before drawing there, unlike its legacy binomial). pvals are checked as numpy's: each in [0, 1], the
 * Kahan sum of all but the last at most 1 + 1e-12. */
static PyObject *rng_multinomial(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"n", "pvals", "size", NULL};
    PyObject *n_obj, *p_obj, *size = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O:multinomial", kwl, &n_obj, &p_obj, &size)) return NULL;
    PyObject *nl = PyNumber_Long(n_obj); /* numpy's long: 10.7 is 10 */
    long n = nl ? PyLong_AsLong(nl) : -1;
    Py_XDECREF(nl);
    if (PyErr_Occurred()) return NULL;
    if (n < 0) return lmpy_err(PyExc_ValueError, "multinomial: n = %ld: expected n >= 0", n);
    size_t d;
    double *p = read_vector(p_obj, "multinomial", "pvals", &d);
    if (!p) return NULL;
    PyObject *res = NULL;
    for (size_t j = 0; j < d; j++)
        if (!(p[j] >= 0 && p[j] <= 1)) {
            lmpy_err(PyExc_ValueError, "multinomial: pvals[%zu] = %g: expected a probability in [0, 1]", j, p[j]);
            goto done;
        }
    if (d > 1) {
        double sum = p[0], c = 0.0; /* numpy's kahan_sum over pvals[:-1] */
        for (size_t j = 1; j + 1 < d; j++) {
            double y = p[j] - c, t = sum + y;
            c = (t - sum) - y;
            sum = t;
        }
        if (sum > 1.0 + 1e-12) {
            lmpy_err(PyExc_ValueError, "multinomial: sum(pvals[:-1]) = %.17g: expected at most 1", sum);
            goto done;
        }
    }
    size_t rows;
    int64_t *out;
    PyObject *blk = rows_array("multinomial", size, d, 'q', (void **)&out, &rows);
    if (!blk) goto done;
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    Py_BEGIN_ALLOW_THREADS
    for (size_t i = 0; i < rows && d > 0; i++) {
        int64_t *row = out + i * d;
        long left = n;
        double rest = 1.0;
        for (size_t j = 0; j < d; j++) row[j] = 0;
        for (size_t j = 0; j + 1 < d; j++) {
            double pj = p[j] / rest; /* above 1 by a rounding: all that is left, after numpy's one uniform */
            row[j] = pj > 0 && left > 0 ? lmp_binomial_sample(r, left, pj < 1 ? pj : 1.0) : 0;
            left -= (long)row[j];
            if (left <= 0) break;
            rest -= p[j];
        }
        if (left > 0) row[d - 1] = left;
    }
    Py_END_ALLOW_THREADS
    lmpy_rng_unlock((PyObject *)o);
    res = lmpy_array_finish(blk);
done:
    PyMem_RawFree(p);
    return res;
}

/* numpy's legacy multivariate_normal (mtrand.pyx): standard normals of shape size + (d,) from this stream,
 * times sqrt(s)[:, None] * v of numpy's own SVD of cov (numpy.linalg.svd, LAPACK), plus mean; with
 * check_valid 'warn' (the default), 'raise' or 'ignore' when v.T s v is not cov to tol. numpy's calls
 * make the linear algebra, so RandomState gives numpy's points; the library's lmp_mvn_sample draws through
 * the Cholesky factor instead (the same distribution, other points). */
static PyObject *rng_multivariate_normal(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"mean", "cov", "size", "check_valid", "tol", NULL};
    PyObject *mean_o, *cov_o, *size = Py_None;
    const char *check = "warn";
    double tol = 1e-8;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|Osd:multivariate_normal", kwl, &mean_o, &cov_o, &size, &check,
                                     &tol))
        return NULL;
    PyObject *np = lmpy_numpy();
    if (!np) return PyErr_Format(PyExc_TypeError, "multivariate_normal: needs numpy (its SVD makes numpy's points)");
    PyObject *mean = NULL, *cov = NULL, *covd = NULL, *shape = NULL, *z = NULL, *x = NULL, *usv = NULL;
    PyObject *sq = NULL, *key = NULL, *col = NULL, *f = NULL, *y = NULL, *res = NULL;
    Py_ssize_t d = -1;
    if (!(mean = PyObject_CallMethod(np, "array", "(O)", mean_o)) || !(cov = PyObject_CallMethod(np, "array", "(O)",
                                                                                                    cov_o)))
        goto done;
    PyObject *ms = PyObject_GetAttrString(mean, "shape"), *cs = ms ? PyObject_GetAttrString(cov, "shape") : NULL;
    if (cs) {
        if (PyTuple_GET_SIZE(ms) != 1)
            PyErr_SetString(PyExc_ValueError, "multivariate_normal: mean must be 1 dimensional");
        else if (PyTuple_GET_SIZE(cs) != 2 ||
                 PyObject_RichCompareBool(PyTuple_GET_ITEM(cs, 0), PyTuple_GET_ITEM(cs, 1), Py_EQ) != 1)
            PyErr_SetString(PyExc_ValueError, "multivariate_normal: cov must be 2 dimensional and square");
        else if (PyObject_RichCompareBool(PyTuple_GET_ITEM(ms, 0), PyTuple_GET_ITEM(cs, 0), Py_EQ) != 1)
            PyErr_SetString(PyExc_ValueError, "multivariate_normal: mean and cov must have same length");
        else
            d = PyLong_AsSsize_t(PyTuple_GET_ITEM(ms, 0));
    }
    Py_XDECREF(ms);
    Py_XDECREF(cs);
    if (d < 0 || PyErr_Occurred()) goto done;
    /* size + (d,): None -> (d,), an integer n -> (n, d), a sequence -> tuple(size) + (d,) */
    PyObject *dim = PyLong_FromSsize_t(d), *head = NULL;
    if (!dim) goto done;
    if (size == Py_None) head = PyTuple_New(0);
    else if (PyIndex_Check(size)) head = PyTuple_Pack(1, size);
    else head = PySequence_Tuple(size);
    PyObject *tail = head ? PyTuple_Pack(1, dim) : NULL;
    shape = tail ? PySequence_Concat(head, tail) : NULL;
    Py_DECREF(dim);
    Py_XDECREF(head);
    Py_XDECREF(tail);
    if (!shape) goto done;
    if (!(z = PyObject_CallMethod((PyObject *)o, "standard_normal", "(O)", shape)) ||
        !(x = PyObject_CallMethod(z, "reshape", "nn", (Py_ssize_t)-1, d)) ||
        !(covd = PyObject_CallMethod(cov, "astype", "s", "float64")))
        goto done;
    PyObject *linalg = PyObject_GetAttrString(np, "linalg");
    usv = linalg ? PyObject_CallMethod(linalg, "svd", "(O)", covd) : NULL;
    Py_XDECREF(linalg);
    if (!usv) goto done;
    PyObject *s = PySequence_GetItem(usv, 1), *v = s ? PySequence_GetItem(usv, 2) : NULL;
    if (!v) {
        Py_XDECREF(s);
        goto done;
    }
    int bad = 0;
    if (strcmp(check, "ignore") != 0) {
        if (strcmp(check, "warn") != 0 && strcmp(check, "raise") != 0) {
            PyErr_SetString(PyExc_ValueError, "multivariate_normal: check_valid must equal 'warn', 'raise', or "
                                              "'ignore'");
            bad = 1;
        } else {
            /* psd = np.allclose(np.dot(v.T * s, v), cov, rtol=tol, atol=tol) */
            PyObject *vt = PyObject_GetAttrString(v, "T"), *vs = vt ? PyNumber_Multiply(vt, s) : NULL;
            PyObject *back = vs ? PyObject_CallMethod(np, "dot", "OO", vs, v) : NULL;
            PyObject *close = back ? PyObject_GetAttrString(np, "allclose") : NULL;
            PyObject *a = close ? PyTuple_Pack(2, back, covd) : NULL;
            PyObject *k = a ? Py_BuildValue("{s:d,s:d}", "rtol", tol, "atol", tol) : NULL;
            PyObject *psd = k ? PyObject_Call(close, a, k) : NULL;
            int ok = psd ? PyObject_IsTrue(psd) : -1;
            Py_XDECREF(vt);
            Py_XDECREF(vs);
            Py_XDECREF(back);
            Py_XDECREF(close);
            Py_XDECREF(a);
            Py_XDECREF(k);
            Py_XDECREF(psd);
            if (ok < 0) bad = 1;
            else if (!ok && strcmp(check, "raise") == 0) {
                PyErr_SetString(PyExc_ValueError, "multivariate_normal: covariance is not symmetric "
                                                  "positive-semidefinite.");
                bad = 1;
            } else if (!ok && PyErr_WarnEx(PyExc_RuntimeWarning, "covariance is not symmetric "
                                                                 "positive-semidefinite.", 1) < 0) {
                bad = 1;
            }
        }
    }
    /* x = np.dot(x, np.sqrt(s)[:, None] * v); x += mean; x.shape = size + (d,) */
    if (!bad && (sq = PyObject_CallMethod(np, "sqrt", "(O)", s)) && (key = Py_BuildValue("(NO)", PySlice_New(NULL, NULL,
                                                                                                            NULL),
                                                                                           Py_None)) &&
        (col = PyObject_GetItem(sq, key)) && (f = PyNumber_Multiply(col, v)) &&
        (y = PyObject_CallMethod(np, "dot", "OO", x, f))) {
        PyObject *sum = PyNumber_InPlaceAdd(y, mean);
        if (sum) {
            res = PyObject_CallMethod(sum, "reshape", "(O)", shape);
            Py_DECREF(sum);
        }
    }
    Py_DECREF(s);
    Py_DECREF(v);
done:
    Py_XDECREF(mean);
    Py_XDECREF(cov);
    Py_XDECREF(covd);
    Py_XDECREF(shape);
    Py_XDECREF(z);
    Py_XDECREF(x);
    Py_XDECREF(usv);
    Py_XDECREF(sq);
    Py_XDECREF(key);
    Py_XDECREF(col);
    Py_XDECREF(f);
    Py_XDECREF(y);
    return res;
}

/* numpy's choice(a, size, replace=True, p): cdf = cumsum(p) / sum, one uniform per
 * draw in order, searchsorted(side='right') (lmp_categorical_index). */
/* ---- integers: randint, permutation, shuffle, choice ------------------------------------------------
 * numpy's legacy RandomState draws every bounded integer by masked rejection (lmp_rng_interval and, for
 * randint's narrow dtypes, its buffered forms), so these reproduce it bit for bit on RandomState; on
 * Xoshiro256 they are lmprob's own stream. */

/* ---- randint (numpy/random/mtrand.pyx RandomState.randint, numpy/random/_bounded_integers.pyx.in) ----------
 * numpy draws each dtype its own way: 64- and 32-bit types one masked-rejection value a time from whole words
 * (lmp_rng_interval), 8- and 16-bit types and bool from pieces of a 32-bit word kept between the draws of one
 * call (lmp_rng_interval8 / 16, lmp_rng_bit on an lmp_rng_bits made empty at the call's start). Scalar bounds
 * are checked as Python ints; array bounds go through numpy's own ufuncs and casts (mixed int, float and
 * object arrays then compare and truncate as they do there), one draw per output element. */

/* numpy's integer dtypes for randint: their closed range, and the type _rand_<name>_broadcast casts array
 * bounds to before it subtracts (one twice as wide, where high = max + 1 fits; the 64-bit ones subtract 1
 * first instead, checking the result). */
typedef struct int_dtype {
    const char *name; /* numpy's, for messages */
    char code;        /* lmpy_array_new's type code */
    int bits;         /* 1 for bool */
    int is_signed;
    const char *wide;
} int_dtype;

enum { DT_BOOL = 0, DT_INT64 = 7 };
static const int_dtype int_dtypes[] = {
    {"bool", '?', 1, 0, "uint8"},     {"int8", 'b', 8, 1, "int16"},     {"uint8", 'B', 8, 0, "uint16"},
    {"int16", 'h', 16, 1, "int32"},   {"uint16", 'H', 16, 0, "uint32"}, {"int32", 'i', 32, 1, "int64"},
    {"uint32", 'I', 32, 0, "uint64"}, {"int64", 'q', 64, 1, "int64"},   {"uint64", 'Q', 64, 0, "uint64"},
};

/* t's closed range [*lo, *hi] as Python ints. 0 or -1. */
static int dtype_range(const int_dtype *t, PyObject **lo, PyObject **hi)
{
    if (t->is_signed) {
        int64_t top = (int64_t)((UINT64_C(1) << (t->bits - 1)) - 1);
        *lo = PyLong_FromLongLong(-top - 1);
        *hi = PyLong_FromLongLong(top);
    } else {
        *lo = PyLong_FromLong(0);
        *hi = PyLong_FromUnsignedLongLong(t->bits == 64 ? UINT64_MAX : (UINT64_C(1) << t->bits) - 1);
    }
    if (*lo && *hi) return 0;
    Py_CLEAR(*lo);
    Py_CLEAR(*hi);
    return -1;
}

/* randint's dtype as numpy reads it: np.dtype(dtype), a non-native byte order warned about and dropped
 * (mtrand.pyx), then one of int_dtypes by kind and size (numpy compares with np.int32, ...), else
 * TypeError. int and bool themselves need no numpy. The index into int_dtypes, or -1 with an error;
 * *scalar_type = the numpy scalar type (new reference) when numpy resolved it, else NULL. */
static int randint_dtype(PyObject *dtype, PyObject **scalar_type)
{
    *scalar_type = NULL;
    if (!dtype || dtype == (PyObject *)&PyLong_Type) return DT_INT64; /* np.dtype(int) is int64 here */
    if (dtype == (PyObject *)&PyBool_Type) return DT_BOOL;
    PyObject *np = lmpy_numpy();
    if (!np) {
        PyErr_SetString(PyExc_TypeError, "randint: a dtype other than int or bool needs numpy");
        return -1;
    }
    PyObject *dt = PyObject_CallMethod(np, "dtype", "(O)", dtype);
    if (!dt) return -1;
    PyObject *nat = PyObject_GetAttrString(dt, "isnative");
    int native = nat ? PyObject_IsTrue(nat) : -1;
    Py_XDECREF(nat);
    if (native == 0) {
        PyObject *swapped = NULL;
        if (PyErr_WarnEx(PyExc_DeprecationWarning,
                         "Providing a dtype with a non-native byteorder is not supported. If you require "
                         "platform-independent byteorder, call byteswap when required.\nIn future version, "
                         "providing byteorder will raise a ValueError",
                         1) == 0)
            swapped = PyObject_CallMethod(dt, "newbyteorder", NULL);
        Py_SETREF(dt, swapped);
        native = dt ? 1 : -1;
    }
    int k = -1;
    if (native > 0) {
        PyObject *kind = PyObject_GetAttrString(dt, "kind"), *isz = PyObject_GetAttrString(dt, "itemsize");
        const char *ks = kind && PyUnicode_Check(kind) ? PyUnicode_AsUTF8(kind) : NULL;
        long size = isz ? PyLong_AsLong(isz) : -1;
        if (ks && !PyErr_Occurred()) {
            for (int i = 0; i < (int)(sizeof int_dtypes / sizeof *int_dtypes); i++) {
                const int_dtype *t = &int_dtypes[i];
                char want = t->bits == 1 ? 'b' : t->is_signed ? 'i' : 'u';
                if (ks[0] == want && ks[1] == '\0' && size == (t->bits == 1 ? 1 : t->bits / 8)) k = i;
            }
            /* np.uint64, not dt.type: for 'Q' that is np.ulonglong, another type of the same dtype */
            if (k < 0) PyErr_Format(PyExc_TypeError, "Unsupported dtype %R for randint", dt);
            else if (!(*scalar_type = PyObject_GetAttrString(np, k == DT_BOOL ? "bool_" : int_dtypes[k].name)))
                k = -1;
        }
        Py_XDECREF(kind);
        Py_XDECREF(isz);
    }
    Py_XDECREF(dt);
    return k;
}

/* One value of a type of `bits` bits in [off, off + rng], wrapping at its width, from numpy's draw for it
 * (distributions.c: random_buffered_bounded_bool / _uint8 / _uint16 / _uint32, random_bounded_uint64). bool
 * returns the bit whatever off (buffered_bounded_bool): off is 0 whenever rng is 1. */
static inline uint64_t draw_int(lmp_rng *r, int bits, uint64_t off, uint64_t rng, lmp_rng_bits *b)
{
    switch (bits) {
    case 1: return (uint8_t)rng ? (uint64_t)lmp_rng_bit(r, b) : (uint8_t)off;
    case 8: return (uint8_t)(off + lmp_rng_interval8(r, (uint8_t)rng, b));
    case 16: return (uint16_t)(off + lmp_rng_interval16(r, (uint16_t)rng, b));
    case 32: return (uint32_t)(off + lmp_rng_interval(r, (uint32_t)rng));
    default: return off + lmp_rng_interval(r, rng);
    }
}

/* n draws into out (elements of bits bits): of [off, off + rng] each (numpy's random_bounded_*_fill: the
 * library's lmp_rng_interval*_n), or, with lo and hi, of [lo[i], hi[i] - hi_open] for element i (the
 * broadcast loop, fill_width), all on one buffer that starts empty, as numpy's buffer lives for one call. */
typedef struct int_fill {
    int bits;
    size_t n;
    uint64_t off, rng;
    const uint64_t *lo, *hi;
    int hi_open;
    void *out;
} int_fill;

/* bits is a constant at each call of fill_ints: the compiler makes one loop a width, with no switch inside
 * (with the switch in the loop, r.randint(-5, 10, size=10**5) took about 10% longer). */
static inline __attribute__((always_inline)) void fill_width(lmp_rng *r, const int_fill *f, int bits)
{
    lmp_rng_bits b = {0};
    for (size_t i = 0; i < f->n; i++) {
        uint64_t off = f->lo[i]; /* array bounds: scalar ones are fill_ints' library loops */
        uint64_t v = draw_int(r, bits, off, f->hi[i] - (uint64_t)f->hi_open - off, &b);
        switch (bits) {
        case 1: case 8: ((uint8_t *)f->out)[i] = (uint8_t)v; break;
        case 16: ((uint16_t *)f->out)[i] = (uint16_t)v; break;
        case 32: ((uint32_t *)f->out)[i] = (uint32_t)v; break;
        default: ((uint64_t *)f->out)[i] = v;
        }
    }
}

static void fill_ints(lmp_rng *r, const int_fill *f)
{
    if (!f->lo) { /* scalar bounds: one library loop (numpy's random_bounded_*_fill), no call a value */
        switch (f->bits) {
        case 1:
            if ((uint8_t)f->rng) lmp_rng_bit_n(r, f->out, f->n);
            else memset(f->out, (uint8_t)f->off, f->n);
            return;
        case 8: lmp_rng_interval8_n(r, (uint8_t)f->off, (uint8_t)f->rng, f->out, f->n); return;
        case 16: lmp_rng_interval16_n(r, (uint16_t)f->off, (uint16_t)f->rng, f->out, f->n); return;
        case 32: lmp_rng_interval32_n(r, (uint32_t)f->off, (uint32_t)f->rng, f->out, f->n); return;
        default: lmp_rng_interval_n(r, f->off, f->rng, f->out, f->n); return;
        }
    }
    switch (f->bits) {
    case 1: fill_width(r, f, 1); break;
    case 8: fill_width(r, f, 8); break;
    case 16: fill_width(r, f, 16); break;
    case 32: fill_width(r, f, 32); break;
    default: fill_width(r, f, 64);
    }
}

static void fill_ints_locked(lmpy_rng_obj *o, const int_fill *f)
{
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    if (f->n > 4096) {
        Py_BEGIN_ALLOW_THREADS
        fill_ints(r, f);
        Py_END_ALLOW_THREADS
    } else {
        fill_ints(r, f);
    }
    lmpy_rng_unlock((PyObject *)o);
}

/* numpy's message when low >= high (format_bounds_error): "high <= 0" when low is all zeros, the
 * one-argument case. Returns NULL. */
static PyObject *bounds_error(PyObject *low)
{
    int any;
    if (PyLong_Check(low)) {
        any = PyObject_IsTrue(low);
    } else {
        PyObject *np = lmpy_numpy(), *a = np ? PyObject_CallMethod(np, "any", "(O)", low) : NULL;
        any = a ? PyObject_IsTrue(a) : -1;
        Py_XDECREF(a);
    }
    if (any >= 0) PyErr_SetString(PyExc_ValueError, any ? "randint: low >= high" : "randint: high <= 0");
    return NULL;
}

/* x as a Python int the way numpy reads a scalar bound (int(np.array(x)): 2.7 -> 2); NULL and an error
 * for a NaN, an infinity or a non-number. */
static PyObject *bound_int(PyObject *x, const char *name)
{
    if (PyLong_Check(x)) return Py_NewRef(x);
    if (PyIndex_Check(x)) return PyNumber_Index(x);
    PyObject *r = PyNumber_Long(x);
    if (!r && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "randint: %s: expected an int, got %.100s", name, Py_TYPE(x)->tp_name);
    }
    return r;
}

/* The result for size=None: numpy returns np.<dtype>(v), then, when `dtype in (bool, int)`, dtype(that)
 * (mtrand.pyx): a Python int or bool for int and bool themselves (dtype=np.dtype('int64'), equal to int,
 * is a TypeError there, as here). */
static PyObject *randint_scalar(const int_dtype *t, PyObject *scalar_type, PyObject *dtype, uint64_t v)
{
    PyObject *py = t->bits == 1     ? PyBool_FromLong((long)v)
                   : !t->is_signed ? PyLong_FromUnsignedLongLong(v)
                   : PyLong_FromLongLong(t->bits == 64 ? (long long)v
                                                       : (long long)(v ^ (UINT64_C(1) << (t->bits - 1))) -
                                                             (1LL << (t->bits - 1)));
    if (!py || !scalar_type) return py; /* dtype int or bool itself */
    PyObject *res = PyObject_CallOneArg(scalar_type, py);
    Py_DECREF(py);
    PyObject *pytypes = res ? PyTuple_Pack(2, (PyObject *)&PyBool_Type, (PyObject *)&PyLong_Type) : NULL;
    int conv = pytypes ? PySequence_Contains(pytypes, dtype) : -1;
    Py_XDECREF(pytypes);
    if (conv) Py_SETREF(res, conv > 0 ? PyObject_CallOneArg(dtype, res) : NULL);
    return res;
}

/* _rand_<type>'s scalar path: [lo, hi - 1] checked against t's range as Python ints, then one fill. */
static PyObject *randint_scalar_bounds(lmpy_rng_obj *o, const int_dtype *t, PyObject *lo, PyObject *hi,
                                       int ndim, const Py_ssize_t *shape, size_t n, PyObject *scalar_type,
                                       PyObject *dtype)
{
    PyObject *lb = NULL, *ub = NULL, *one = PyLong_FromLong(1), *hi1 = one ? PyNumber_Subtract(hi, one) : NULL;
    PyObject *span = NULL, *res = NULL;
    if (!hi1 || dtype_range(t, &lb, &ub) < 0) goto done;
    int c = PyObject_RichCompareBool(lo, lb, Py_LT);
    if (c > 0) PyErr_Format(PyExc_ValueError, "randint: low is out of bounds for %s", t->name);
    if (c == 0 && (c = PyObject_RichCompareBool(hi1, ub, Py_GT)) > 0)
        PyErr_Format(PyExc_ValueError, "randint: high is out of bounds for %s", t->name);
    if (c == 0 && (c = PyObject_RichCompareBool(lo, hi1, Py_GT)) > 0) bounds_error(lo);
    if (c != 0) goto done;
    span = PyNumber_Subtract(hi1, lo); /* in [0, 2^64 - 1] now */
    int_fill f = {.bits = t->bits, .n = n};
    f.rng = span ? PyLong_AsUnsignedLongLong(span) : 0;
    f.off = PyLong_AsUnsignedLongLongMask(lo); /* lo modulo 2^64: numpy's <utype>(<type>low) */
    if (PyErr_Occurred()) goto done;
    uint64_t one_v;
    PyObject *blk = NULL;
    f.out = &one_v;
    if (ndim >= 0 && !(blk = lmpy_array_new(t->code, ndim, shape, &f.out))) goto done;
    fill_ints_locked(o, &f);
    if (blk) {
        res = lmpy_array_finish(blk);
    } else {
        uint64_t v = t->bits == 1 || t->bits == 8 ? *(uint8_t *)f.out
                     : t->bits == 16              ? *(uint16_t *)f.out
                     : t->bits == 32              ? *(uint32_t *)f.out
                                                  : one_v;
        res = randint_scalar(t, scalar_type, dtype, v);
    }
done:
    Py_XDECREF(one);
    Py_XDECREF(hi1);
    Py_XDECREF(lb);
    Py_XDECREF(ub);
    Py_XDECREF(span);
    return res;
}

/* np.any(np.<ufunc>(a, b)): 1, 0, or -1 with an error. */
static int np_any2(PyObject *np, const char *ufunc, PyObject *a, PyObject *b)
{
    PyObject *x = PyObject_CallMethod(np, ufunc, "OO", a, b);
    PyObject *y = x ? PyObject_CallMethod(np, "any", "(O)", x) : NULL;
    int r = y ? PyObject_IsTrue(y) : -1;
    Py_XDECREF(x);
    Py_XDECREF(y);
    return r;
}

/* The 64-bit types' high - 1 for a high array that is not of an integer dtype (float, object, bool):
 * int(item) - 1 item by item, each checked on its own as _rand_int64_broadcast does. Returns the array
 * of the wide type, of high's shape, or NULL with an error. */
static PyObject *high_minus_one_items(PyObject *np, const int_dtype *t, PyObject *high, PyObject *low,
                                      PyObject *lb, PyObject *ub)
{
    PyObject *flat = PyObject_GetAttrString(high, "flat"), *it = flat ? PyObject_GetIter(flat) : NULL;
    PyObject *vals = it ? PyList_New(0) : NULL, *one = vals ? PyLong_FromLong(1) : NULL, *item, *res = NULL;
    int ok = one != NULL;
    while (ok && (item = PyIter_Next(it))) {
        PyObject *v = PyNumber_Long(item), *c = v ? PyNumber_Subtract(v, one) : NULL;
        Py_DECREF(item);
        Py_XDECREF(v);
        int bad = c ? PyObject_RichCompareBool(c, ub, Py_GT) : -1;
        if (bad > 0) PyErr_Format(PyExc_ValueError, "randint: high is out of bounds for %s", t->name);
        if (bad == 0 && (bad = PyObject_RichCompareBool(c, lb, Py_LT)) > 0) bounds_error(low);
        ok = bad == 0 && PyList_Append(vals, c) == 0;
        Py_XDECREF(c);
    }
    if (ok && !PyErr_Occurred()) {
        PyObject *arr = PyObject_CallMethod(np, "array", "Os", vals, t->wide);
        PyObject *shape = arr ? PyObject_GetAttrString(high, "shape") : NULL;
        res = shape ? PyObject_CallMethod(arr, "reshape", "(O)", shape) : NULL;
        Py_XDECREF(arr);
        Py_XDECREF(shape);
    }
    Py_XDECREF(flat);
    Py_XDECREF(it);
    Py_XDECREF(vals);
    Py_XDECREF(one);
    return res;
}


/* _rand_<type>_broadcast: numpy's checks in its order on numpy's ufuncs, the bounds cast to the wide type
 * (unsafe, as PyArray_FROM_OTF with NPY_FORCECAST), then element i of the output drawn from position i (C
 * order) of the broadcast of low, high (and, with size, the output), on one buffer for the call. */
static PyObject *randint_arrays(lmpy_rng_obj *o, const int_dtype *t, PyObject *np, PyObject *low, PyObject *high,
                                int ndim, Py_ssize_t *shape, size_t n)
{
    PyObject *lb = NULL, *ub = NULL, *ub1 = NULL, *hi_w = NULL, *lo_w = NULL, *bshape = NULL, *res = NULL;
    PyObject *lo64 = NULL, *hi64 = NULL, *one = PyLong_FromLong(1);
    Py_buffer lbuf = {0}, hbuf = {0};
    if (!one || dtype_range(t, &lb, &ub) < 0) goto done;
    int c = np_any2(np, "less", low, lb);
    if (c > 0) PyErr_Format(PyExc_ValueError, "randint: low is out of bounds for %s", t->name);
    if (c != 0) goto done;
    if (t->bits < 64) {
        if (!(ub1 = PyNumber_Add(ub, one))) goto done;
        if ((c = np_any2(np, "greater", high, ub1)) > 0)
            PyErr_Format(PyExc_ValueError, "randint: high is out of bounds for %s", t->name);
        if (c == 0 && (c = np_any2(np, "greater_equal", low, high)) > 0) bounds_error(low);
        if (c != 0) goto done;
        hi_w = PyObject_CallMethod(np, "asarray", "Os", high, t->wide);
    } else {
        PyObject *dt = PyObject_GetAttrString(high, "dtype"), *integer = PyObject_GetAttrString(np, "integer");
        PyObject *isint = dt && integer ? PyObject_CallMethod(np, "issubdtype", "OO", dt, integer) : NULL;
        c = isint ? PyObject_IsTrue(isint) : -1;
        Py_XDECREF(integer);
        Py_XDECREF(isint);
        if (c > 0) { /* high - dt.type(1) in high's own dtype, checked after */
            PyObject *one_dt = NULL, *hm1 = NULL;
            if ((c = np_any2(np, "less_equal", high, lb)) > 0) bounds_error(low);
            if (c == 0) {
                PyObject *ty = PyObject_GetAttrString(dt, "type");
                one_dt = ty ? PyObject_CallOneArg(ty, one) : NULL;
                hm1 = one_dt ? PyNumber_Subtract(high, one_dt) : NULL;
                Py_XDECREF(ty);
                c = hm1 ? np_any2(np, "greater", hm1, ub) : -1;
                if (c > 0) PyErr_Format(PyExc_ValueError, "randint: high is out of bounds for %s", t->name);
                if (c == 0) hi_w = PyObject_CallMethod(np, "asarray", "Os", hm1, t->wide);
            }
            Py_XDECREF(one_dt);
            Py_XDECREF(hm1);
        } else if (c == 0) {
            hi_w = high_minus_one_items(np, t, high, low, lb, ub);
        }
        Py_XDECREF(dt);
        if (hi_w && (c = np_any2(np, "greater", low, hi_w)) != 0) {
            if (c > 0) bounds_error(low);
            goto done;
        }
    }
    if (!hi_w || !(lo_w = PyObject_CallMethod(np, "asarray", "Os", low, t->wide))) goto done;

    void *out;
    PyObject *arr = NULL;
    if (ndim >= 0) { /* the output of shape size takes part in the broadcast (numpy's MultiIterNew3) */
        arr = lmpy_array_finish(lmpy_array_new(t->code, ndim, shape, &out));
        PyObject *bc = arr ? PyObject_CallMethod(np, "broadcast", "OOO", lo_w, hi_w, arr) : NULL;
        bshape = bc ? PyObject_GetAttrString(bc, "shape") : NULL;
        Py_XDECREF(bc);
    } else {
        PyObject *bc = PyObject_CallMethod(np, "broadcast", "OO", lo_w, hi_w);
        bshape = bc ? PyObject_GetAttrString(bc, "shape") : NULL;
        Py_XDECREF(bc);
        Py_ssize_t d = bshape ? PyTuple_Size(bshape) : -1;
        n = 1;
        for (Py_ssize_t i = 0; i < d && i < LMPY_MAXDIM; i++) {
            shape[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(bshape, i));
            n *= (size_t)shape[i];
        }
        if (d >= 0 && !PyErr_Occurred()) arr = lmpy_array_finish(lmpy_array_new(t->code, (int)d, shape, &out));
    }
    if (!arr || !bshape) {
        Py_XDECREF(arr);
        goto done;
    }
    lo64 = flat_as(np, lo_w, bshape, t->is_signed ? "int64" : "uint64", &lbuf); /* the wide type has t's sign */
    hi64 = lo64 ? flat_as(np, hi_w, bshape, t->is_signed ? "int64" : "uint64", &hbuf) : NULL;
    if (!hi64) {
        Py_DECREF(arr);
        goto done;
    }
    if ((size_t)(lbuf.len / 8) < n) { /* numpy reads past the bounds here: size has a 1 where they have a 0 */
        Py_DECREF(arr);
        PyErr_SetString(PyExc_ValueError, "randint: low and high broadcast to no elements, size asks for some");
        goto done;
    }
    int_fill f = {.bits = t->bits, .n = n, .lo = lbuf.buf, .hi = hbuf.buf, .hi_open = t->bits < 64, .out = out};
    fill_ints_locked(o, &f);
    res = arr;
done:
    if (lo64) PyBuffer_Release(&lbuf);
    if (hi64) PyBuffer_Release(&hbuf);
    Py_XDECREF(lo64);
    Py_XDECREF(hi64);
    Py_XDECREF(one);
    Py_XDECREF(lb);
    Py_XDECREF(ub);
    Py_XDECREF(ub1);
    Py_XDECREF(hi_w);
    Py_XDECREF(lo_w);
    Py_XDECREF(bshape);
    return res;
}

static PyObject *rng_randint(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"low", "high", "size", "dtype", NULL};
    PyObject *low_o, *high_o = Py_None, *size = Py_None, *dtype = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOO:randint", kwl, &low_o, &high_o, &size, &dtype)) return NULL;
    PyObject *scalar_type, *zero = PyLong_FromLong(0);
    if (!zero) return NULL;
    if (high_o == Py_None) {
        high_o = low_o;
        low_o = zero;
    }
    int k = randint_dtype(dtype, &scalar_type);
    const int_dtype *t = k >= 0 ? &int_dtypes[k] : NULL;
    int ndim;
    Py_ssize_t shape[LMPY_MAXDIM];
    size_t n;
    PyObject *res = NULL, *lo = NULL, *hi = NULL, *np = NULL;
    if (!t || parse_size(size, &ndim, shape, &n) < 0) goto done;
    if (ndim >= 0 && n == 0) { /* numpy: no draws, and no checks of the bounds */
        void *out;
        res = lmpy_array_finish(lmpy_array_new(t->code, ndim, shape, &out));
        goto done;
    }
    if (arraylike(low_o) || arraylike(high_o)) { /* np.array(low), np.array(high): 0-d both is the scalar path */
        if (!(np = lmpy_numpy())) {
            PyErr_SetString(PyExc_TypeError, "randint: low or high as an array needs numpy");
            goto done;
        }
        lo = PyObject_CallMethod(np, "asarray", "(O)", low_o);
        hi = lo ? PyObject_CallMethod(np, "asarray", "(O)", high_o) : NULL;
        PyObject *ld = hi ? PyObject_GetAttrString(lo, "ndim") : NULL;
        PyObject *hd = ld ? PyObject_GetAttrString(hi, "ndim") : NULL;
        long lnd = ld ? PyLong_AsLong(ld) : -1, hnd = hd ? PyLong_AsLong(hd) : -1;
        Py_XDECREF(ld);
        Py_XDECREF(hd);
        if (!hd || PyErr_Occurred()) goto done;
        if (lnd || hnd) {
            res = randint_arrays(o, t, np, lo, hi, ndim, shape, n);
            goto done;
        }
        low_o = lo;
        high_o = hi;
    }
    PyObject *l = bound_int(low_o, "low"), *h = l ? bound_int(high_o, "high") : NULL;
    if (h) res = randint_scalar_bounds(o, t, l, h, ndim, shape, n, scalar_type, dtype);
    Py_XDECREF(l);
    Py_XDECREF(h);
done:
    Py_XDECREF(lo);
    Py_XDECREF(hi);
    Py_XDECREF(scalar_type);
    Py_DECREF(zero);
    return res;
}

/* numpy's bytes(length): the stream's 32-bit words, little-endian, cut to length (its randint(0, 2**32,
 * dtype=uint32), which takes each word as it is). numpy draws (length - 1) / 4 + 1 words in C's division,
 * so bytes(0) takes one word too; a negative length (numpy: the first bytes of a word, cut from the end) is
 * refused. */
static PyObject *rng_bytes(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"length", NULL};
    Py_ssize_t length;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "n:bytes", kwl, &length)) return NULL;
    if (length < 0) return lmpy_err(PyExc_ValueError, "bytes: length = %zd: expected length >= 0", length);
    PyObject *b = PyBytes_FromStringAndSize(NULL, length);
    if (!b) { /* Python's own MemoryError has no message */
        if (PyErr_ExceptionMatches(PyExc_MemoryError)) {
            PyErr_Clear();
            lmpy_nomem((double)length, "bytes: a result of %zd bytes", length);
        }
        return NULL;
    }
    unsigned char *p = (unsigned char *)PyBytes_AS_STRING(b);
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    for (Py_ssize_t i = 0; i < length || i == 0; i += 4) {
        uint32_t w = lmp_rng_u32(r);
        for (Py_ssize_t j = 0; j < 4 && i + j < length; j++) p[i + j] = (unsigned char)(w >> (8 * j));
    }
    lmpy_rng_unlock((PyObject *)o);
    return b;
}

/* numpy's tomaxint(size=None): non-negative int64s, a 64-bit draw shifted right by one each. */
static PyObject *rng_tomaxint(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"size", NULL};
    PyObject *size = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|O:tomaxint", kwl, &size)) return NULL;
    int ndim;
    Py_ssize_t shape[LMPY_MAXDIM];
    size_t n;
    if (parse_size(size, &ndim, shape, &n) < 0) return NULL;
    int64_t one, *out = &one;
    PyObject *blk = NULL;
    if (ndim >= 0 && !(blk = lmpy_array_new('q', ndim, shape, (void **)&out))) return NULL;
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    for (size_t i = 0; i < n; i++) out[i] = (int64_t)(lmp_rng_u64(r) >> 1);
    lmpy_rng_unlock((PyObject *)o);
    return blk ? lmpy_array_finish(blk) : PyLong_FromLongLong(one);
}

/* numpy's deprecated random_integers(low, high=None, size=None): randint(low, int(high) + 1, size, dtype='l')
 * (randint(1, low + 1) without high), after numpy's DeprecationWarning. */
static PyObject *rng_random_integers(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"low", "high", "size", NULL};
    PyObject *low, *high = Py_None, *size = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO:random_integers", kwl, &low, &high, &size)) return NULL;
    PyObject *lo = high == Py_None ? PyLong_FromLong(1) : Py_NewRef(low), *hi = high == Py_None ? low : high;
    if (!lo) return NULL;
    PyObject *w = high == Py_None ? PyUnicode_FromFormat("This function is deprecated. Please call randint(1, %S + 1) "
                                                         "instead", low)
                                  : PyUnicode_FromFormat("This function is deprecated. Please call randint(%S, %S + 1) "
                                                         "instead", low, high);
    const char *wm = w ? PyUnicode_AsUTF8(w) : NULL;
    PyObject *res = NULL, *h = NULL, *h1 = NULL, *one = NULL;
    if (wm && PyErr_WarnEx(PyExc_DeprecationWarning, wm, 1) == 0 && (h = PyNumber_Long(hi)) &&
        (one = PyLong_FromLong(1)) && (h1 = PyNumber_Add(h, one)))
        res = PyObject_CallMethod((PyObject *)o, "randint", "OOOs", lo, h1, size, "l");
    Py_XDECREF(w);
    Py_XDECREF(h);
    Py_XDECREF(one);
    Py_XDECREF(h1);
    Py_DECREF(lo);
    return res;
}

/* The permutation numpy's shuffle makes of n items: for i = n-1 down to 1, swap i with
 * lmp_rng_interval(i) (mtrand's _shuffle_raw and its untyped loop draw the same j's). q[k] is the item
 * that lands at k. The caller holds the stream's lock. */
static void shuffle_indices(lmp_rng *r, int64_t *q, size_t n)
{
    for (size_t i = 0; i < n; i++) q[i] = (int64_t)i;
    lmp_rng_shuffle(r, q, n, sizeof *q);
}

/* An int64 array of the permutation of n (ndim 1), drawn under the lock. */
static PyObject *permuted_range(lmpy_rng_obj *o, Py_ssize_t n, int64_t **q)
{
    PyObject *blk = lmpy_array_new('q', 1, &n, (void **)q);
    if (!blk) return NULL;
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    if (n > 4096) {
        Py_BEGIN_ALLOW_THREADS
        shuffle_indices(r, *q, (size_t)n);
        Py_END_ALLOW_THREADS
    } else {
        shuffle_indices(r, *q, (size_t)n);
    }
    lmpy_rng_unlock((PyObject *)o);
    return blk;
}

/* items[q] of a sequence without numpy: a list. */
static PyObject *take_items(PyObject *seq, const int64_t *q, Py_ssize_t n)
{
    PyObject *res = PyList_New(n);
    for (Py_ssize_t k = 0; res && k < n; k++) {
        PyObject *it = PySequence_GetItem(seq, (Py_ssize_t)q[k]);
        if (!it) Py_CLEAR(res);
        else PyList_SET_ITEM(res, k, it);
    }
    return res;
}

static PyObject *rng_permutation(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"x", NULL};
    PyObject *x;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:permutation", kwl, &x)) return NULL;
    PyObject *np = lmpy_numpy();
    int64_t *q;
    int is_int = PyLong_Check(x) ? 1 : np_isinstance(x, "integer");
    if (is_int < 0) return NULL;
    if (is_int) { /* numpy: arange(x) shuffled, empty for x <= 0 */
        Py_ssize_t n = PyNumber_AsSsize_t(x, PyExc_OverflowError);
        if (n == -1 && PyErr_Occurred()) return NULL;
        PyObject *blk = permuted_range(o, n > 0 ? n : 0, &q);
        return blk ? lmpy_array_finish(blk) : NULL;
    }
    PyObject *arr = np ? PyObject_CallMethod(np, "asarray", "(O)", x) : NULL;
    Py_ssize_t n;
    if (np) {
        if (!arr) return NULL;
        PyObject *nd = PyObject_GetAttrString(arr, "ndim");
        long ndim = nd ? PyLong_AsLong(nd) : -1;
        Py_XDECREF(nd);
        if (ndim < 1) {
            Py_DECREF(arr);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_IndexError, "permutation: x must be an integer or at least 1-dimensional");
            return NULL;
        }
        n = PyObject_Size(arr);
    } else {
        if (!PySequence_Check(x) || PyUnicode_Check(x) || PyBytes_Check(x))
            return PyErr_Format(PyExc_IndexError, "permutation: x must be an integer or at least 1-dimensional");
        n = PySequence_Size(x);
    }
    if (n < 0) {
        Py_XDECREF(arr);
        return NULL;
    }
    PyObject *blk = permuted_range(o, n, &q);
    if (!blk) {
        Py_XDECREF(arr);
        return NULL;
    }
    PyObject *res;
    if (arr) { /* a copy: asarray(x)[q], the rows of x in the shuffled order */
        PyObject *idx = lmpy_array_finish(blk);
        res = idx ? PyObject_GetItem(arr, idx) : NULL;
        Py_XDECREF(idx);
        Py_DECREF(arr);
    } else {
        res = take_items(x, q, n);
        Py_DECREF(blk);
    }
    return res;
}

static PyObject *rng_shuffle(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"x", NULL};
    PyObject *x;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O:shuffle", kwl, &x)) return NULL;
    Py_ssize_t n = PyObject_Size(x); /* numpy: len(x); a 0-d array or a non-sequence is a TypeError */
    if (n < 0) return NULL;
    int64_t *q;
    PyObject *blk = permuted_range(o, n, &q);
    if (!blk) return NULL;
    int rc = -1;
    int is_arr = np_isinstance(x, "ndarray");
    if (is_arr > 0) { /* x[...] = x[q]: the rows move whole (x[q] is a copy, so no row is read after it is written) */
        PyObject *idx = lmpy_array_finish(blk);
        PyObject *rows = idx ? PyObject_GetItem(x, idx) : NULL;
        rc = rows ? PyObject_SetItem(x, Py_Ellipsis, rows) : -1;
        Py_XDECREF(rows);
        Py_XDECREF(idx);
    } else if (is_arr == 0) { /* any mutable sequence: read every item, then write them in their new places */
        PyObject *items = take_items(x, q, n);
        rc = items ? 0 : -1;
        for (Py_ssize_t k = 0; rc == 0 && k < n; k++) rc = PySequence_SetItem(x, k, PyList_GET_ITEM(items, k));
        Py_XDECREF(items);
        Py_DECREF(blk);
    } else {
        Py_DECREF(blk);
    }
    return rc < 0 ? NULL : Py_NewRef(Py_None);
}

/* choice's a as numpy reads it (np.array(a)): an integer (an int or a 0-d array holding one) is range(a);
 * a 1-d sequence or array gives its items; anything else is refused with numpy's messages. *arr is
 * np.asarray(a) for a 1-d a when numpy is there (items are taken from it), else NULL. */
static int choice_population(PyObject *a, Py_ssize_t *pop, int *is_int, PyObject **arr)
{
    *arr = NULL;
    *is_int = 0;
    PyObject *np = lmpy_numpy(), *item = NULL;
    if (np) {
        PyObject *x = PyObject_CallMethod(np, "asarray", "(O)", a);
        if (!x) return -1;
        PyObject *nd = PyObject_GetAttrString(x, "ndim");
        long ndim = nd ? PyLong_AsLong(nd) : -1;
        Py_XDECREF(nd);
        if (ndim < 0 && PyErr_Occurred()) {
            Py_DECREF(x);
            return -1;
        }
        if (ndim == 1) {
            *pop = PyObject_Size(x);
            *arr = x;
            return *pop < 0 ? -1 : 0;
        }
        if (ndim != 0) {
            Py_DECREF(x);
            PyErr_SetString(PyExc_ValueError, "choice: a must be 1-dimensional");
            return -1;
        }
        item = PyObject_CallMethod(x, "item", NULL);
        Py_DECREF(x);
        if (!item) return -1;
    } else if (PyIndex_Check(a)) {
        item = Py_NewRef(a);
    } else if (PySequence_Check(a) && !PyUnicode_Check(a) && !PyBytes_Check(a)) {
        *pop = PySequence_Size(a);
        return *pop < 0 ? -1 : 0;
    } else {
        PyErr_SetString(PyExc_ValueError, "choice: a must be 1-dimensional or an integer");
        return -1;
    }
    /* an integer: operator.index(a.item()) */
    if (!PyIndex_Check(item)) {
        Py_DECREF(item);
        PyErr_SetString(PyExc_ValueError, "choice: a must be 1-dimensional or an integer");
        return -1;
    }
    *pop = PyNumber_AsSsize_t(item, PyExc_OverflowError);
    Py_DECREF(item);
    if (*pop == -1 && PyErr_Occurred()) return -1;
    *is_int = 1;
    return 0;
}

/* p as numpy checks it (mtrand.choice): 1-d, as long as a, no NaN in its (Kahan) sum, no negative entry,
 * the sum within sqrt(eps) of 1 (sqrt of float32's eps for a float32 ndarray). Into a new double buffer. */
static double *choice_probabilities(PyObject *p_obj, Py_ssize_t pop)
{
    lmpy_view v;
    if (lmpy_view_get(p_obj, &v, "p", LMPY_FLOAT | LMPY_INT) < 0) return NULL;
    if (v.ndim != 1) {
        lmpy_view_release(&v);
        PyErr_Format(PyExc_ValueError, "choice: 'p' must be 1-dimensional, got %d dimensions", v.ndim);
        return NULL;
    }
    if (v.shape[0] != pop) {
        lmpy_view_release(&v);
        PyErr_Format(PyExc_ValueError, "choice: 'a' and 'p' must have same size: a has %zd, p %zd", pop, v.shape[0]);
        return NULL;
    }
    double atol = 1.4901161193847656e-08; /* sqrt(DBL_EPSILON) */
    if (v.type == 'f' && np_isinstance(p_obj, "ndarray") > 0) atol = 3.4526698300124393e-04; /* sqrt(FLT_EPSILON) */
    PyErr_Clear();
    double *p = PyMem_RawMalloc((size_t)(pop ? pop : 1) * sizeof *p);
    if (!p) {
        lmpy_view_release(&v);
        lmpy_nomem((double)pop * sizeof *p, "choice: a copy of p's %zd values", pop);
        return NULL;
    }
    double sum = 0.0, c = 0.0;
    Py_ssize_t neg = -1;
    for (Py_ssize_t i = 0; i < pop; i++) {
        p[i] = lmpy_view_at(&v, v.data + i * v.strides[0]);
        if (p[i] < 0 && neg < 0) neg = i;
        double y = p[i] - c, t = sum + y; /* numpy's kahan_sum */
        c = (t - sum) - y;
        sum = t;
    }
    lmpy_view_release(&v);
    if (isnan(sum)) PyErr_SetString(PyExc_ValueError, "choice: probabilities contain NaN");
    else if (neg >= 0) lmpy_err(PyExc_ValueError, "choice: probabilities are not non-negative: p[%zd] = %g", neg, p[neg]);
    else if (fabs(sum - 1.0) > atol)
        lmpy_err(PyExc_ValueError, "choice: probabilities do not sum to 1 (sum = %.17g)", sum);
    else return p;
    PyMem_RawFree(p);
    return NULL;
}

/* replace=False with p (mtrand.choice): rounds of m = size - found uniforms mapped through the cdf of p with
 * the entries found so far zeroed (cumsum, divided by its last element, searchsorted right: the first k
 * with cdf[k] > u), keeping each new index at its first appearance in the round. A zeroed entry is never
 * found again (its cdf equals the one before it). The caller holds the lock and has checked that p has
 * at least size positive entries. */
static void choice_unique_p(lmp_rng *r, double *p, size_t pop, int64_t *idx, size_t size, double *u, double *cdf,
                            unsigned char *seen)
{
    size_t found = 0;
    while (found < size) {
        size_t m = size - found;
        for (size_t i = 0; i < m; i++) u[i] = lmp_rng_uniform(r);
        for (size_t i = 0; i < found; i++) p[idx[i]] = 0.0;
        double c = 0.0;
        for (size_t i = 0; i < pop; i++) cdf[i] = c += p[i];
        double total = cdf[pop - 1];
        for (size_t i = 0; i < pop; i++) cdf[i] /= total;
        memset(seen, 0, pop);
        for (size_t i = 0; i < m; i++) {
            size_t lo = 0, hi = pop;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cdf[mid] > u[i]) hi = mid;
                else lo = mid + 1;
            }
            if (lo >= pop || seen[lo]) continue;
            seen[lo] = 1;
            idx[found++] = (int64_t)lo;
        }
    }
}

static PyObject *rng_choice(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"a", "size", "replace", "p", NULL};
    PyObject *a, *size = NULL, *p_obj = Py_None;
    int replace = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OpO:choice", kwl, &a, &size, &replace, &p_obj)) return NULL;
    int ndim;
    Py_ssize_t shape[LMPY_MAXDIM];
    size_t n;
    if (parse_size(size, &ndim, shape, &n) < 0) return NULL;
    Py_ssize_t pop;
    int a_is_int;
    PyObject *arr, *blk = NULL, *res = NULL;
    double *p = NULL, *work = NULL;
    int64_t one = 0, *idx = &one;
    if (choice_population(a, &pop, &a_is_int, &arr) < 0) return NULL;
    if (pop <= 0 && n != 0) {
        PyErr_Format(PyExc_ValueError, a_is_int ? "choice: a must be greater than 0 unless no samples are taken, got %zd"
                                                : "choice: 'a' cannot be empty unless no samples are taken", pop);
        goto done;
    }
    if (p_obj != Py_None && !(p = choice_probabilities(p_obj, pop))) goto done;
    if (!replace && n > (size_t)pop) {
        PyErr_Format(PyExc_ValueError, "choice: cannot take a larger sample (%zu) than the population (%zd) when "
                                       "replace=False", n, pop);
        goto done;
    }
    if (!replace && p) {
        size_t pos = 0;
        for (Py_ssize_t i = 0; i < pop; i++) pos += p[i] > 0;
        if (pos < n) {
            PyErr_Format(PyExc_ValueError, "choice: fewer non-zero entries in p (%zu) than size (%zu)", pos, n);
            goto done;
        }
    }
    if (ndim >= 0 && !(blk = lmpy_array_new('q', ndim, shape, (void **)&idx))) goto done;
    /* scratch of replace=False: the whole permutation (numpy shuffles all of range(a)), or the uniforms and
     * the cdf of p with the found entries zeroed */
    /* counted in double first: for a >= 2**61 the bytes wrapped around size_t, a few bytes were allocated and
     * the shuffle wrote past them (a segfault) */
    const double wd = replace || n == 0 ? 0.0 : p ? 2.125 * (double)pop + 1.0 : (double)pop;
    if (wd * sizeof(double) > (double)PY_SSIZE_T_MAX) {
        lmpy_nomem(wd * sizeof(double), "choice: replace=False over a population of %zd", pop);
        goto done;
    }
    size_t wn = replace || n == 0 ? 0 : p ? 2 * (size_t)pop + (size_t)pop / sizeof(double) + 1 : (size_t)pop;
    if (wn && !(work = PyMem_RawMalloc(wn * sizeof(double)))) {
        lmpy_nomem((double)wn * sizeof(double), "choice: replace=False over a population of %zd", pop);
        goto done;
    }
    lmp_rng *r = lmpy_rng_lock((PyObject *)o);
    Py_BEGIN_ALLOW_THREADS
    if (replace && p) /* numpy: cdf = cumsum(p) / its last element, searchsorted(random_sample(size), 'right') */
        for (size_t i = 0; i < n; i++) idx[i] = (int64_t)lmp_categorical_index(p, (size_t)pop, lmp_rng_uniform(r));
    else if (replace) /* numpy: randint(0, a, size) */
        for (size_t i = 0; i < n; i++) idx[i] = (int64_t)lmp_rng_interval(r, (uint64_t)pop - 1);
    else if (p && n)
        choice_unique_p(r, p, (size_t)pop, idx, n, work, work + pop, (unsigned char *)(work + 2 * pop));
    else if (n) { /* numpy: permutation(a)[:size] */
        int64_t *q = (int64_t *)work;
        shuffle_indices(r, q, (size_t)pop);
        memcpy(idx, q, n * sizeof *idx);
    }
    Py_END_ALLOW_THREADS
    lmpy_rng_unlock((PyObject *)o);
    if (a_is_int) {
        res = ndim < 0 ? PyLong_FromLongLong(one) : lmpy_array_finish(blk);
        blk = NULL;
        goto done;
    }
    if (!arr) { /* no numpy: items of the sequence */
        res = ndim < 0 ? PySequence_GetItem(a, (Py_ssize_t)one) : take_items(a, idx, (Py_ssize_t)n);
        goto done;
    }
    /* numpy: np.array(a)[idx]; a 0-d result (size=()) as a 0-d array of a's dtype */
    PyObject *key = ndim < 0 ? PyLong_FromLongLong(one) : lmpy_array_finish(blk);
    blk = NULL;
    PyObject *item = key ? PyObject_GetItem(arr, key) : NULL;
    Py_XDECREF(key);
    if (item && ndim == 0) {
        PyObject *dt = PyObject_GetAttrString(arr, "dtype");
        PyObject *z = dt ? PyObject_CallMethod(lmpy_numpy(), "empty", "(()O)", dt) : NULL;
        PyObject *e = PyTuple_New(0);
        if (z && e && PyObject_SetItem(z, e, item) == 0) res = Py_NewRef(z);
        Py_XDECREF(dt);
        Py_XDECREF(z);
        Py_XDECREF(e);
        Py_DECREF(item);
    } else {
        res = item;
    }
done:
    Py_XDECREF(blk);
    Py_XDECREF(arr);
    PyMem_RawFree(p);
    PyMem_RawFree(work);
    return res;
}

/* numpy's get_state(): ('MT19937', keys[624] uint32, pos, has_gauss, cached_gaussian); with legacy=False
 * its dict, {'bit_generator': 'MT19937', 'state': {'key': keys, 'pos': pos}, 'has_gauss': .., 'gauss': ..}. */
static PyObject *rng_get_state(lmpy_rng_obj *o, PyObject *args, PyObject *kw)
{
    static char *kwl[] = {"legacy", NULL};
    int legacy = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|p:get_state", kwl, &legacy)) return NULL;
    if (o->rng.kind != LMP_RNG_NUMPY_LEGACY)
        return PyErr_Format(PyExc_TypeError, "get_state: only RandomState (MT19937) has numpy's state tuple");
    uint32_t *keys;
    Py_ssize_t n = 624;
    PyObject *blk = lmpy_array_new('I', 1, &n, (void **)&keys);
    if (!blk) return NULL;
    lmpy_rng_lock((PyObject *)o);
    memcpy(keys, o->rng.mt, sizeof o->rng.mt);
    int pos = o->rng.mti, hg = o->rng.has_gauss;
    double g = o->rng.gauss;
    lmpy_rng_unlock((PyObject *)o);
    PyObject *arr = lmpy_array_finish(blk);
    if (!arr) return NULL;
    if (!legacy)
        return Py_BuildValue("{s:s,s:{s:N,s:i},s:i,s:d}", "bit_generator", "MT19937", "state", "key", arr, "pos", pos,
                             "has_gauss", hg, "gauss", hg ? g : 0.0);
    return Py_BuildValue("(sNiid)", "MT19937", arr, pos, hg, hg ? g : 0.0);
}

/* An int of numpy's state dict (pos, has_gauss) as numpy's Cython takes it into a C int: OverflowError outside
 * int's range, with numpy's words after ours (it was cast, so that pos = 2**32 + 3 was 3). 0 or -1. */
static int state_int(PyObject *v, const char *name, int *out)
{
    int over;
    long x = PyLong_AsLongAndOverflow(v, &over);
    if (x == -1 && PyErr_Occurred()) return -1;
    if (over || x < INT_MIN || x > INT_MAX) {
        PyErr_Format(PyExc_OverflowError, "set_state: %s = %R: value too large to convert to int", name, v);
        return -1;
    }
    *out = (int)x;
    return 0;
}

/* numpy's 624 state words into mt, each as numpy's Cython takes it into a uint32_t: OverflowError outside
 * [0, 2**32) (they were cut to 32 bits, so that -1 was 4294967295 and 2**40 was 0). A list or tuple is read as
 * Python ints (numpy.asarray made a float64 array of ints with 2**64 - 1 among them); an array through its
 * view, whose doubles hold every int of that range exactly and round no int outside it into it. 0 or -1. */
static int state_keys(PyObject *keys, uint32_t mt[624])
{
    static const char *const why[] = {"value too large to convert to", "can't convert negative value to"};
    if (PyList_Check(keys) || PyTuple_Check(keys)) {
        PyObject *t = PySequence_Tuple(keys); /* a list that an item's __index__ changes stays as it was */
        if (!t) return -1;
        int ok = PyTuple_GET_SIZE(t) == 624;
        if (!ok) PyErr_SetString(PyExc_ValueError, "set_state: keys: expected 624 integers");
        for (int i = 0; ok && i < 624; i++) {
            PyObject *k = PyNumber_Index(PyTuple_GET_ITEM(t, i));
            int over = 0;
            long long x = k ? PyLong_AsLongLongAndOverflow(k, &over) : -1;
            if (!k || (x == -1 && PyErr_Occurred())) ok = 0;
            else if (over || x < 0 || x > UINT32_MAX) {
                PyErr_Format(PyExc_OverflowError, "set_state: keys[%d] = %R: %s uint32_t", i, k,
                             why[over < 0 || x < 0]);
                ok = 0;
            } else mt[i] = (uint32_t)x;
            Py_XDECREF(k);
        }
        Py_DECREF(t);
        return ok ? 0 : -1;
    }
    lmpy_view v;
    if (lmpy_view_get(keys, &v, "keys", LMPY_INT) < 0) return -1;
    int bad = v.ndim != 1 || v.shape[0] != 624 ? -2 : -1;
    for (int i = 0; bad == -1 && i < 624; i++) {
        const double x = lmpy_view_at(&v, v.data + i * v.strides[0]);
        if (x < 0 || x > UINT32_MAX) bad = i;
        else mt[i] = (uint32_t)x;
    }
    const double x = bad >= 0 ? lmpy_view_at(&v, v.data + bad * v.strides[0]) : 0;
    lmpy_view_release(&v);
    if (bad == -2) PyErr_SetString(PyExc_ValueError, "set_state: keys: expected 624 integers");
    else if (bad >= 0) lmpy_err(PyExc_OverflowError, "set_state: keys[%d] = %.17g: %s uint32_t", bad, x, why[x < 0]);
    return bad == -1 ? 0 : -1;
}

static PyObject *rng_set_state(lmpy_rng_obj *o, PyObject *state)
{
    if (o->rng.kind != LMP_RNG_NUMPY_LEGACY)
        return PyErr_Format(PyExc_TypeError, "set_state: only RandomState (MT19937) takes numpy's state tuple");
    const char *name;
    PyObject *keys;
    int pos, hg = 0;
    double g = 0.0;
    if (PyDict_Check(state)) { /* numpy's get_state(legacy=False) */
        PyObject *bg = PyDict_GetItemString(state, "bit_generator"), *st = PyDict_GetItemString(state, "state");
        PyObject *hgo = PyDict_GetItemString(state, "has_gauss"), *go = PyDict_GetItemString(state, "gauss");
        PyObject *pos_o = st && PyDict_Check(st) ? PyDict_GetItemString(st, "pos") : NULL;
        keys = st && PyDict_Check(st) ? PyDict_GetItemString(st, "key") : NULL;
        if (!bg || !PyUnicode_Check(bg) || !keys || !pos_o || !PyLong_Check(pos_o) || (hgo && !PyLong_Check(hgo)) ||
            (go && !PyFloat_Check(go) && !PyLong_Check(go)))
            return PyErr_Format(PyExc_TypeError, "set_state: expected numpy's dict {'bit_generator': 'MT19937', "
                                                 "'state': {'key': keys, 'pos': pos}, 'has_gauss': 0 or 1, "
                                                 "'gauss': x}");
        name = PyUnicode_AsUTF8(bg);
        if (!name || state_int(pos_o, "pos", &pos) < 0 || (hgo && state_int(hgo, "has_gauss", &hg) < 0)) return NULL;
        g = go ? PyFloat_AsDouble(go) : 0.0;
        if (PyErr_Occurred()) return NULL;
    } else if (!PyTuple_Check(state) ||
               !PyArg_ParseTuple(state, "sOi|id;set_state: expected ('MT19937', keys, pos, has_gauss, "
                                        "cached_gaussian)",
                                 &name, &keys, &pos, &hg, &g)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "set_state: expected a tuple ('MT19937', keys, pos, has_gauss, "
                                             "cached_gaussian)");
        return NULL;
    }
    if (strcmp(name, "MT19937") != 0)
        return PyErr_Format(PyExc_ValueError, "set_state: expected the 'MT19937' algorithm, got '%s'", name);
    uint32_t mt[624];
    if (state_keys(keys, mt) < 0) return NULL;
    if (pos < 0 || pos > 624) return PyErr_Format(PyExc_ValueError, "set_state: pos = %d: expected 0 .. 624", pos);
    lmpy_rng_lock((PyObject *)o);
    memcpy(o->rng.mt, mt, sizeof mt);
    o->rng.mti = pos;
    o->rng.has_gauss = hg != 0;
    o->rng.gauss = g;
    lmpy_rng_unlock((PyObject *)o);
    Py_RETURN_NONE;
}

static PyObject *rng_jump(lmpy_rng_obj *o, PyObject *unused)
{
    (void)unused;
    lmpy_rng_lock((PyObject *)o);
    lmp_rng_jump(&o->rng);
    lmpy_rng_unlock((PyObject *)o);
    Py_RETURN_NONE;
}

/* numpy's form, RandomState(MT19937) at 0x...: the type and its bit generator, not a call (the repr was
 * "lmprob.RandomState()", which reads as an unseeded stream whatever the object's state). */
static PyObject *rng_repr(lmpy_rng_obj *o)
{
    return PyUnicode_FromFormat("%s(%s) at %p", Py_TYPE(o)->tp_name,
                                o->rng.kind == LMP_RNG_NUMPY_LEGACY ? "MT19937" : "xoshiro256**", (void *)o);
}

#define SIZE_DOC "size: None (one value, returned as a Python number), an int or a tuple of ints (an array)."
#define PARAMS_DOC                                                                                          \
    "The parameters are numbers or arrays: arrays broadcast with each other (and with size,\n"            \
    "which then is the output's shape), element i drawn from the parameters at position i,\n"             \
    "as numpy's. " SIZE_DOC

/* pickle and copy: (type, (0,), state), state = (name, words, pos, has_gauss, gauss) with the stream's
 * words as a tuple of ints (624 of 32 bits for MT19937, 4 of 64 for xoshiro256**): no numpy needed, no
 * byte order to carry. */
static PyObject *rng_reduce(lmpy_rng_obj *o, PyObject *unused)
{
    (void)unused;
    lmpy_rng_lock((PyObject *)o);
    lmp_rng r = o->rng;
    lmpy_rng_unlock((PyObject *)o);
    const int mt = r.kind == LMP_RNG_NUMPY_LEGACY;
    const Py_ssize_t n = mt ? 624 : 4;
    PyObject *words = PyTuple_New(n);
    if (!words) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = mt ? PyLong_FromUnsignedLong(r.mt[i]) : PyLong_FromUnsignedLongLong(r.s[i]);
        if (!w) {
            Py_DECREF(words);
            return NULL;
        }
        PyTuple_SET_ITEM(words, i, w);
    }
    return Py_BuildValue("(O(i)(sNiid))", (PyObject *)Py_TYPE(o), 0, mt ? "MT19937" : "xoshiro256**", words,
                         mt ? r.mti : 0, r.has_gauss, r.gauss);
}

static PyObject *rng_setstate(lmpy_rng_obj *o, PyObject *state)
{
    const int mt = o->rng.kind == LMP_RNG_NUMPY_LEGACY;
    const char *want = mt ? "MT19937" : "xoshiro256**", *name;
    const Py_ssize_t n = mt ? 624 : 4;
    PyObject *words;
    int pos, hg;
    double g;
    if (!PyTuple_Check(state) || !PyArg_ParseTuple(state, "sO!iid", &name, &PyTuple_Type, &words, &pos, &hg, &g)) {
        PyErr_Clear();
        return PyErr_Format(PyExc_TypeError, "__setstate__: expected the tuple __reduce__ gives ('%s', words, pos, "
                                             "has_gauss, gauss)", want);
    }
    if (strcmp(name, want) != 0)
        return PyErr_Format(PyExc_ValueError, "__setstate__: the state of a '%s' stream, expected '%s'", name, want);
    if (PyTuple_GET_SIZE(words) != n || pos < 0 || pos > (mt ? 624 : 0))
        return PyErr_Format(PyExc_ValueError, "__setstate__: expected %zd words and a position in 0 .. %d", n,
                            mt ? 624 : 0);
    lmp_rng r = o->rng;
    int zero = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PyTuple_GET_ITEM(words, i);
        unsigned long long x = PyLong_Check(w) ? PyLong_AsUnsignedLongLong(w) : (unsigned long long)-1;
        if (PyErr_Occurred() || !PyLong_Check(w) || (mt && x > 0xffffffffu)) {
            PyErr_Clear();
            return PyErr_Format(PyExc_ValueError, "__setstate__: word %zd: expected an int of %d bits", i, mt ? 32 : 64);
        }
        if (mt) r.mt[i] = (uint32_t)x;
        else r.s[i] = x;
        zero &= x == 0;
    }
    if (zero) return PyErr_Format(PyExc_ValueError, "__setstate__: an all-zero state (no stream has it)");
    r.mti = pos;
    r.has_gauss = hg != 0;
    r.gauss = g;
    if (install_stream(o, LMP_OK, &r, NULL) < 0) return NULL;
    Py_RETURN_NONE;
}

/* numpy's set_state(state) takes it by name too */
LMPY_ONE_ARG(rng_set_state, lmpy_rng_obj, "set_state", "state")

static PyMethodDef rng_methods[] = {
    {"seed", LMPY_FN(rng_seed), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("seed($self, seed=None)\n--\n\nRestart the stream from seed (RandomState: 0 .. 2**32 - 1, as np.random.seed;\n"
               "None seeds from the operating system).")},
    {"random_sample", LMPY_FN(rng_random_sample), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("random_sample($self, size=None)\n--\n\nUniform floats in [0, 1) with 53 random bits (numpy's random_sample).\n"
               SIZE_DOC)},
    {"random", LMPY_FN(rng_random_sample), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("random($self, size=None)\n--\n\nThe same as random_sample.")},
    {"rand", LMPY_FN(rng_rand), METH_VARARGS,
     PyDoc_STR("rand($self, *shape)\n--\n\nrand(d0, d1, ...): uniform floats in [0, 1) of shape (d0, d1, ...); one float without arguments.")},
    {"randn", LMPY_FN(rng_randn), METH_VARARGS,
     PyDoc_STR("randn($self, *shape)\n--\n\nrandn(d0, d1, ...): standard normal draws of shape (d0, d1, ...) (numpy's legacy polar method,\n"
               "which caches the second deviate of each pair); one float without arguments.")},
    {"standard_normal", LMPY_FN(rng_standard_normal), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("standard_normal($self, size=None)\n--\n\nStandard normal draws, as randn. " SIZE_DOC)},
    {"normal", LMPY_FN(rng_normal), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("normal($self, loc=0.0, scale=1.0, size=None)\n--\n\nloc + scale * a standard normal draw. " PARAMS_DOC)},
    {"uniform", LMPY_FN(rng_uniform), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("uniform($self, low=0.0, high=1.0, size=None)\n--\n\nlow + (high - low) * random_sample(). " PARAMS_DOC)},
    {"standard_exponential", LMPY_FN(rng_standard_exponential), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("standard_exponential($self, size=None)\n--\n\n-log(1 - random_sample()), numpy's legacy method. " SIZE_DOC)},
    {"exponential", LMPY_FN(rng_exponential), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("exponential($self, scale=1.0, size=None)\n--\n\nscale * standard_exponential(). " PARAMS_DOC)},
    {"gamma", LMPY_FN(rng_gamma), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("gamma($self, shape, scale=1.0, size=None)\n--\n\nGamma draws: Marsaglia & Tsang (2000) for shape > 1; on\n"
               "RandomState numpy's legacy draws for every shape (its own rejection below 1); on\n"
               "Xoshiro256 G(shape + 1) U^(1/shape) below 1. " PARAMS_DOC)},
    {"standard_gamma", LMPY_FN(rng_standard_gamma), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("standard_gamma($self, shape, size=None)\n--\n\ngamma(shape, 1.0, size).")},
    {"binomial", LMPY_FN(rng_binomial), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("binomial($self, n, p, size=None)\n--\n\nBinomial draws (int), numpy's inversion / BTPE. " PARAMS_DOC)},
    {"poisson", LMPY_FN(rng_poisson), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("poisson($self, lam=1.0, size=None)\n--\n\nPoisson draws (int), numpy's multiplication method / PTRS. "
               PARAMS_DOC)},
    {"beta", LMPY_FN(rng_beta), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("beta($self, a, b, size=None)\n--\n\nBeta draws: on RandomState numpy's legacy beta (Johnk's method where\n"
               "a <= 1 and b <= 1, else Ga / (Ga + Gb)). " PARAMS_DOC)},
    {"lognormal", LMPY_FN(rng_lognormal), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("lognormal($self, mean=0.0, sigma=1.0, size=None)\n--\n\nexp(normal(mean, sigma)). " PARAMS_DOC)},
    {"laplace", LMPY_FN(rng_laplace), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("laplace($self, loc=0.0, scale=1.0, size=None)\n--\n\nLaplace draws by the inverse cdf of one uniform\n"
               "(numpy's random_laplace on RandomState; scale > 0). " PARAMS_DOC)},
    {"chisquare", LMPY_FN(rng_chisquare), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("chisquare($self, df, size=None)\n--\n\n2 * standard_gamma(df / 2). " PARAMS_DOC)},
    {"standard_t", LMPY_FN(rng_standard_t), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("standard_t($self, df, size=None)\n--\n\nStudent's t: sqrt(df / 2) * Z / sqrt(standard_gamma(df / 2)), Z drawn\n"
               "first, as numpy. " PARAMS_DOC)},
    {"geometric", LMPY_FN(rng_geometric), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("geometric($self, p, size=None)\n--\n\nThe trial of the first success (int, >= 1), p in (0, 1]: numpy's legacy\n"
               "method (a search of the cdf for p >= 1/3, else inversion). " PARAMS_DOC)},
    {"standard_cauchy", LMPY_FN(rng_standard_cauchy), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("standard_cauchy($self, size=None)\n--\n\nThe ratio of two standard normal draws. " SIZE_DOC)},
    {"pareto", LMPY_FN(rng_pareto), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("pareto($self, a, size=None)\n--\n\nexp(standard_exponential() / a) - 1 (Lomax, numpy's). " PARAMS_DOC)},
    {"weibull", LMPY_FN(rng_weibull), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("weibull($self, a, size=None)\n--\n\nstandard_exponential() ** (1 / a); 0 for a = 0. " PARAMS_DOC)},
    {"power", LMPY_FN(rng_power), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("power($self, a, size=None)\n--\n\n(1 - exp(-standard_exponential())) ** (1 / a). " PARAMS_DOC)},
    {"rayleigh", LMPY_FN(rng_rayleigh), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("rayleigh($self, scale=1.0, size=None)\n--\n\nscale * sqrt(-2 log(1 - random_sample())). " PARAMS_DOC)},
    {"f", LMPY_FN(rng_f), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("f($self, dfnum, dfden, size=None)\n--\n\n(chisquare(dfnum) / dfnum) / (chisquare(dfden) / dfden), as numpy\n"
               "computes it. " PARAMS_DOC)},
    {"wald", LMPY_FN(rng_wald), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("wald($self, mean, scale, size=None)\n--\n\nThe inverse Gaussian by numpy's legacy method (a normal and a\n"
               "uniform a draw). " PARAMS_DOC)},
    {"negative_binomial", LMPY_FN(rng_negative_binomial), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("negative_binomial($self, n, p, size=None)\n--\n\nFailures before the n-th success (int): poisson of\n"
               "gamma(n, (1 - p) / p), numpy's. " PARAMS_DOC)},
    {"gumbel", LMPY_FN(rng_gumbel), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("gumbel($self, loc=0.0, scale=1.0, size=None)\n--\n\nloc - scale log(-log(1 - random_sample())). " PARAMS_DOC)},
    {"logistic", LMPY_FN(rng_logistic), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("logistic($self, loc=0.0, scale=1.0, size=None)\n--\n\nloc + scale log(U / (1 - U)). " PARAMS_DOC)},
    {"noncentral_chisquare", LMPY_FN(rng_noncentral_chisquare), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("noncentral_chisquare($self, df, nonc, size=None)\n--\n\nnumpy's legacy method: chisquare(df - 1) + (Z +\n"
               "sqrt(nonc))^2 for df > 1, else chisquare(df + 2 poisson(nonc / 2)). " PARAMS_DOC)},
    {"logseries", LMPY_FN(rng_logseries), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("logseries($self, p, size=None)\n--\n\nLogarithmic series draws (int), p in [0, 1): numpy's (Kemp 1981).\n"
               PARAMS_DOC)},
    {"zipf", LMPY_FN(rng_zipf), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("zipf($self, a, size=None)\n--\n\nZipf draws (int), a > 1: numpy's rejection from the Pareto (Devroye\n"
               "1986), truncated at 2**63 - 1. " PARAMS_DOC)},
    {"vonmises", LMPY_FN(rng_vonmises), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("vonmises($self, mu, kappa, size=None)\n--\n\nvon Mises angles in [-pi, pi], mean mu, concentration kappa\n"
               ">= 0: numpy's (Best & Fisher 1979); from kappa 6.0e15 on, where numpy's loop need not end,\n"
               "mu + N(0, 1) / sqrt(kappa), wrapped. mu and kappa finite. " PARAMS_DOC)},
    {"hypergeometric", LMPY_FN(rng_hypergeometric), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("hypergeometric($self, ngood, nbad, nsample, size=None)\n--\n\nThe good items among nsample drawn without\n"
               "replacement from ngood good and nbad bad (int): numpy's (sequential draws to nsample 10,\n"
               "Stadlober's HRUA above); 1 <= nsample <= ngood + nbad. " PARAMS_DOC)},
    {"noncentral_f", LMPY_FN(rng_noncentral_f), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("noncentral_f($self, dfnum, dfden, nonc, size=None)\n--\n\nnoncentral_chisquare(dfnum, nonc) dfden /\n"
               "(chisquare(dfden) dfnum), numpy's. " PARAMS_DOC)},
    {"triangular", LMPY_FN(rng_triangular), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("triangular($self, left, mode, right, size=None)\n--\n\nThe inverse cdf of one uniform, numpy's\n"
               "(left <= mode <= right, left < right). " PARAMS_DOC)},
    {"multinomial", LMPY_FN(rng_multinomial), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("multinomial($self, n, pvals, size=None)\n--\n\nCounts of n draws over len(pvals) outcomes: shape size +\n"
               "(len(pvals),), int; numpy's legacy method (a binomial a component), its values on\n"
               "RandomState.")},
    {"multivariate_normal", LMPY_FN(rng_multivariate_normal), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("multivariate_normal($self, mean, cov, size=None, check_valid='warn', tol=1e-8)\n--\n\nnumpy's legacy method:\n"
               "standard_normal(size + (d,)) times sqrt(s)[:, None] * v of numpy.linalg.svd(cov), plus mean\n"
               "(needs numpy; RandomState gives numpy's points). check_valid: 'warn', 'raise' or\n"
               "'ignore' a cov that is not symmetric positive-semidefinite to tol.")},
    {"dirichlet", LMPY_FN(rng_dirichlet), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("dirichlet($self, alpha, size=None)\n--\n\nDirichlet draws: shape size + (len(alpha),); numpy's values on\n"
               "RandomState (where numpy's gammas all round to 0 and it returns nan, a point drawn in log space).")},
    {"choice", LMPY_FN(rng_choice), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("choice($self, a, size=None, replace=True, p=None)\n--\n\nDraw from range(a) (a an int) or from the items of a\n"
               "(1-d), numpy's legacy rules: with p, one uniform per draw and the first index\n"
               "whose normalised cumulative probability exceeds it; without p, randint(0, a);\n"
               "replace=False: permutation(a)[:size], or with p numpy's rounds of draws with\n"
               "the entries found so far zeroed.")},
    {"randint", LMPY_FN(rng_randint), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("randint(low, high=None, size=None, dtype=int)\n\nIntegers in [low, high) ([0, low) without high),\n"
               "numpy's masked rejection: RandomState gives numpy's values and types. low and high\n"
               "are ints or arrays (broadcast with each other and with size, as numpy's); dtype is\n"
               "any integer dtype or bool (8-, 16-bit and bool draw pieces of 32-bit words, as numpy).\n"
               "With size=None: a Python int for dtype=int, a bool for dtype=bool, else a numpy\n"
               "scalar of the dtype. size: None, an int or a tuple of ints (the output's shape).")},
    {"random_integers", LMPY_FN(rng_random_integers), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("random_integers($self, low, high=None, size=None)\n--\n\nnumpy's deprecated closed-range integers:\n"
               "randint(low, int(high) + 1, size, 'l') (randint(1, low + 1) without high), with its warning.")},
    {"tomaxint", LMPY_FN(rng_tomaxint), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("tomaxint($self, size=None)\n--\n\nNon-negative int64 values: a 64-bit draw shifted right by one, numpy's.")},
    {"bytes", LMPY_FN(rng_bytes), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("bytes($self, length)\n--\n\nlength random bytes: the stream's 32-bit words, little-endian, as numpy's.")},
    {"permutation", LMPY_FN(rng_permutation), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("permutation($self, x)\n--\n\nA shuffled arange(x) (x an int), or a shuffled copy of x along its first axis,\n"
               "as numpy's.")},
    {"shuffle", LMPY_FN(rng_shuffle), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("shuffle($self, x)\n--\n\nShuffle a mutable sequence (a list, an array along its first axis) in place,\n"
               "numpy's swaps: RandomState gives numpy's order. Returns None.")},
    {"get_state", LMPY_FN(rng_get_state), METH_VARARGS | METH_KEYWORDS,
     PyDoc_STR("get_state($self, legacy=True)\n--\n\nnumpy's state tuple ('MT19937', keys, pos, has_gauss, cached_gaussian),\n"
               "or with legacy=False numpy's dict: np.random.RandomState().set_state(rs.get_state())\n"
               "continues this stream in numpy, and set_state takes either form back.")},
    {"set_state", LMPY_FN(rng_set_state_kw), METH_FASTCALL | METH_KEYWORDS,
     PyDoc_STR("set_state($self, state)\n--\n\nContinue from numpy's state tuple (np.random.RandomState(s).get_state()).")},
    {"__reduce__", LMPY_FN(rng_reduce), METH_NOARGS,
     PyDoc_STR("__reduce__($self)\n--\n\nFor pickle and copy: the stream continues where it was.")},
    {"__setstate__", LMPY_FN(rng_setstate), METH_O, PyDoc_STR("__setstate__($self, state)\n--\n\nFor pickle and copy.")},
    {NULL, NULL, 0, NULL},
};

static PyMethodDef xo_methods[] = {
    {"jump", LMPY_FN(rng_jump), METH_NOARGS,
     PyDoc_STR("jump($self)\n--\n\nAdvance the stream by 2**128 draws: a non-overlapping stream for another thread.")},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(rs_doc,
"RandomState(seed=None)\n"
"--\n"
"\n"
"numpy's legacy random stream (np.random.RandomState, MT19937), bit for bit:\n"
"RandomState(42).randn(3) == np.random.RandomState(42).randn(3), and the same for\n"
"random_sample, normal, uniform, exponential, binomial, poisson, gamma, beta, lognormal,\n"
"laplace, chisquare, standard_t, geometric, standard_cauchy, pareto, weibull, power,\n"
"rayleigh, f, wald, negative_binomial, gumbel, logistic, noncentral_chisquare,\n"
"noncentral_f, triangular, logseries, zipf, vonmises, hypergeometric, dirichlet,\n"
"multinomial, multivariate_normal,\n"
"randint, choice, permutation and shuffle (parameters as numbers or broadcast arrays).\n"
"Pass it as rng= to lmprob.sample so that seeded token draws are numpy's\n"
"(np.random.choice(V, p=softmax(x))).\n"
"\n"
"Thread safety: one object may be used from several threads; each call holds\n"
"the object's lock, so calls interleave whole.");

PyTypeObject lmpy_RandomState_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob.RandomState",
    .tp_basicsize = sizeof(lmpy_rng_obj),
    .tp_dealloc = (destructor)rng_dealloc,
    .tp_repr = (reprfunc)rng_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = rs_doc,
    .tp_methods = rng_methods,
    .tp_init = (initproc)rng_init,
    .tp_new = rng_new,
};

PyDoc_STRVAR(xo_doc,
"Xoshiro256(seed=None)\n"
"--\n"
"\n"
"The library's default stream, xoshiro256** (Blackman & Vigna 2018) seeded\n"
"through splitmix64: the stream of `lmprob decode --seed S` and the other\n"
"commands without --rng numpy. The same methods as RandomState (the draws are\n"
"lmprob's own, not numpy's: a ziggurat normal, Lemire's bounded integers), plus\n"
"jump() for non-overlapping streams. Thread safety as RandomState.");

static PyTypeObject xoshiro_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "lmprob.Xoshiro256",
    .tp_basicsize = sizeof(lmpy_rng_obj),
    .tp_dealloc = (destructor)rng_dealloc,
    .tp_repr = (reprfunc)rng_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = xo_doc,
    .tp_methods = xo_methods,
    .tp_init = (initproc)rng_init,
    .tp_new = rng_new,
};

int lmpy_init_random(PyObject *m)
{
    /* Xoshiro256 shares RandomState's methods through a dict copy (no numpy state methods). */
    if (PyType_Ready(&lmpy_RandomState_Type) < 0 || PyType_Ready(&xoshiro_type) < 0) return -1;
    for (PyMethodDef *d = rng_methods; d->ml_name; d++) {
        if (strcmp(d->ml_name, "get_state") == 0 || strcmp(d->ml_name, "set_state") == 0) continue;
        PyObject *f = PyDescr_NewMethod(&xoshiro_type, d);
        if (!f || PyDict_SetItemString(xoshiro_type.tp_dict, d->ml_name, f) < 0) {
            Py_XDECREF(f);
            return -1;
        }
        Py_DECREF(f);
    }
    PyType_Modified(&xoshiro_type);
    if (PyModule_AddObject(m, "RandomState", Py_NewRef((PyObject *)&lmpy_RandomState_Type)) < 0) return -1;
    if (PyModule_AddObject(m, "Xoshiro256", Py_NewRef((PyObject *)&xoshiro_type)) < 0) return -1;
    return 0;
}
