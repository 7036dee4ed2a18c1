/* verify adapters for the dist module (see verify.h): rng streams, special
 * functions and distributions. Argument names follow ../shared/golden/README.md. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lmprob/dist.h"
#include "lmprob/rng.h"
#include "verify.h"

/* x, mu, sigma -> f(x, mu, sigma) */
#define V_X_MU_SIGMA(name, fn, xkey)                                                     \
    static int name(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)      \
    {                                                                                    \
        double x, mu, sigma;                                                             \
        if (va_double(a, xkey, &x, err, errlen) || va_double(a, "mu", &mu, err, errlen) || \
            va_double(a, "sigma", &sigma, err, errlen))                                  \
            return -1;                                                                   \
        return vo_scalar(out, fn(x, mu, sigma));                                         \
    }

V_X_MU_SIGMA(v_normal_pdf, lmp_normal_pdf, "x")
V_X_MU_SIGMA(v_normal_logpdf, lmp_normal_logpdf, "x")
V_X_MU_SIGMA(v_normal_cdf, lmp_normal_cdf, "x")
V_X_MU_SIGMA(v_normal_logcdf, lmp_normal_logcdf, "x")
V_X_MU_SIGMA(v_normal_sf, lmp_normal_sf, "x")
V_X_MU_SIGMA(v_normal_logsf, lmp_normal_logsf, "x")
V_X_MU_SIGMA(v_normal_ppf, lmp_normal_quantile, "p")

static int v_binom(const lmp_json_value *a, verify_out *out, char *err, size_t errlen, int which)
{
    long k, n;
    double p;
    if (va_long(a, "k", &k, err, errlen) || va_long(a, "n", &n, err, errlen) || va_double(a, "p", &p, err, errlen))
        return -1;
    double v = which == 0   ? lmp_binomial_pmf(k, n, p)
               : which == 1 ? lmp_binomial_logpmf(k, n, p)
               : which == 2 ? lmp_binomial_cdf((double)k, n, p)
                            : lmp_binomial_sf((double)k, n, p);
    return vo_scalar(out, v);
}
static int v_binomial_pmf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_binom(a, o, e, l, 0); }
static int v_binomial_logpmf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_binom(a, o, e, l, 1); }
static int v_binomial_cdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_binom(a, o, e, l, 2); }
static int v_binomial_sf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_binom(a, o, e, l, 3); }

static int v_pois(const lmp_json_value *a, verify_out *out, char *err, size_t errlen, int which)
{
    double k, lam;   /* k a double: the support reaches past the range of long */
    if (va_double(a, "k", &k, err, errlen) || va_double(a, "lambda", &lam, err, errlen)) return -1;
    double v = which == 0   ? lmp_poisson_pmf(k, lam)
               : which == 1 ? lmp_poisson_logpmf(k, lam)
               : which == 2 ? lmp_poisson_cdf(k, lam)
                            : lmp_poisson_sf(k, lam);
    return vo_scalar(out, v);
}
static int v_poisson_pmf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_pois(a, o, e, l, 0); }
static int v_poisson_logpmf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_pois(a, o, e, l, 1); }
static int v_poisson_cdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_pois(a, o, e, l, 2); }
static int v_poisson_sf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_pois(a, o, e, l, 3); }

static int v_lap(const lmp_json_value *a, verify_out *out, char *err, size_t errlen, int which)
{
    double x, mu, b;
    if (va_double(a, "x", &x, err, errlen) || va_double(a, "mu", &mu, err, errlen) || va_double(a, "b", &b, err, errlen))
        return -1;
    double v = which == 0 ? lmp_laplace_pdf(x, mu, b) : which == 1 ? lmp_laplace_cdf(x, mu, b) : lmp_laplace_sf(x, mu, b);
    return vo_scalar(out, v);
}
static int v_laplace_pdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_lap(a, o, e, l, 0); }
static int v_laplace_cdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_lap(a, o, e, l, 1); }
static int v_laplace_sf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_lap(a, o, e, l, 2); }

static int v_lgamma(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    double x;
    if (va_double(a, "x", &x, err, errlen)) return -1;
    return vo_scalar(out, lmp_sf_lgamma(x));
}

static int v_digamma(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    double x;
    if (va_double(a, "x", &x, err, errlen)) return -1;
    return vo_scalar(out, lmp_sf_digamma(x));
}

static int v_log_beta(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    double x, y;
    if (va_double(a, "a", &x, err, errlen) || va_double(a, "b", &y, err, errlen)) return -1;
    return vo_scalar(out, lmp_sf_log_beta(x, y));
}

/* Two-parameter continuous families used by the extra golden file: x, then params. */
static int v_gamma_fn(const lmp_json_value *a, verify_out *out, char *err, size_t errlen, int which)
{
    double x, k, th;
    if (va_double(a, which == 3 ? "p" : "x", &x, err, errlen) || va_double(a, "shape", &k, err, errlen) ||
        va_double_opt(a, "scale", 1.0, &th, err, errlen))
        return -1;
    double v = which == 0   ? lmp_gamma_pdf(x, k, th)
               : which == 1 ? lmp_gamma_cdf(x, k, th)
               : which == 2 ? lmp_gamma_sf(x, k, th)
                            : lmp_gamma_quantile(x, k, th);
    return vo_scalar(out, v);
}
static int v_gamma_pdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_gamma_fn(a, o, e, l, 0); }
static int v_gamma_cdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_gamma_fn(a, o, e, l, 1); }
static int v_gamma_sf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_gamma_fn(a, o, e, l, 2); }
static int v_gamma_ppf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_gamma_fn(a, o, e, l, 3); }

static int v_beta_fn(const lmp_json_value *a, verify_out *out, char *err, size_t errlen, int which)
{
    double x, pa, pb;
    if (va_double(a, which == 3 ? "p" : "x", &x, err, errlen) || va_double(a, "a", &pa, err, errlen) ||
        va_double(a, "b", &pb, err, errlen))
        return -1;
    double v = which == 0   ? lmp_beta_pdf(x, pa, pb)
               : which == 1 ? lmp_beta_cdf(x, pa, pb)
               : which == 2 ? lmp_beta_sf(x, pa, pb)
                            : lmp_beta_quantile(x, pa, pb);
    return vo_scalar(out, v);
}
static int v_beta_pdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_beta_fn(a, o, e, l, 0); }
static int v_beta_cdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_beta_fn(a, o, e, l, 1); }
static int v_beta_sf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_beta_fn(a, o, e, l, 2); }
static int v_beta_ppf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_beta_fn(a, o, e, l, 3); }

static int v_expon(const lmp_json_value *a, verify_out *out, char *err, size_t errlen, int which)
{
    double x, rate;
    if (va_double(a, which == 3 ? "p" : "x", &x, err, errlen) || va_double(a, "rate", &rate, err, errlen)) return -1;
    double v = which == 0   ? lmp_exponential_pdf(x, rate)
               : which == 1 ? lmp_exponential_cdf(x, rate)
               : which == 2 ? lmp_exponential_sf(x, rate)
                            : lmp_exponential_quantile(x, rate);
    return vo_scalar(out, v);
}
static int v_exponential_pdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_expon(a, o, e, l, 0); }
static int v_exponential_cdf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_expon(a, o, e, l, 1); }
static int v_exponential_sf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_expon(a, o, e, l, 2); }
static int v_exponential_ppf(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_expon(a, o, e, l, 3); }

static int v_dirichlet_logpdf(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    double *x = NULL, *alpha = NULL;
    size_t nx, na;
    if (va_vector(a, "x", &x, &nx, err, errlen)) return -1;
    if (va_vector(a, "alpha", &alpha, &na, err, errlen)) { free(x); return -1; }
    int rc;
    if (nx != na) {
        snprintf(err, errlen, "x has %zu entries but alpha has %zu: expected equal lengths", nx, na);
        rc = -1;
    } else {
        rc = vo_scalar(out, lmp_dirichlet_logpdf(x, alpha, nx));
    }
    free(x);
    free(alpha);
    return rc;
}

static int v_mvn_logpdf(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    double *x = NULL, *mean = NULL, *cov = NULL;
    size_t nx, nm, r, c;
    int rc = -1;
    if (va_vector(a, "x", &x, &nx, err, errlen)) return -1;
    if (va_vector(a, "mean", &mean, &nm, err, errlen)) goto done;
    if (va_matrix(a, "cov", &cov, &r, &c, err, errlen)) goto done;
    if (nx != nm || r != nm || c != nm) {
        snprintf(err, errlen, "x (%zu), mean (%zu) and cov (%zu x %zu): expected matching dimensions", nx, nm, r, c);
        goto done;
    }
    lmp_mvn *m = NULL;
    lmp_error e;
    if (lmp_mvn_create(mean, cov, nm, &m, &e)) {
        snprintf(err, errlen, "%s", e.msg);
        goto done;
    }
    rc = vo_scalar(out, lmp_mvn_logpdf(m, x));
    lmp_mvn_free(m);
done:
    free(x);
    free(mean);
    free(cov);
    return rc;
}

/* ---- numpy legacy streams -------------------------------------------------------------------- */

/* The seed and, with n, the number of draws: n values (n rows with `per` values
 * each), checked against what the case can hold before anything is drawn. */
static int seeded(const lmp_json_value *a, const verify_out *out, size_t per, lmp_rng *r, long *n, char *err,
                  size_t errlen)
{
    long seed;
    if (va_long(a, "seed", &seed, err, errlen)) return -1;
    if (n && va_long(a, "n", n, err, errlen)) return -1;
    if (n && *n < 0) {
        snprintf(err, errlen, "argument 'n' = %ld: expected n >= 0", *n);
        return -1;
    }
    if (n && (per ? (uint64_t)*n > UINT64_MAX / per : 0)) {
        snprintf(err, errlen, "argument 'n' = %ld rows of %zu values: expected fewer", *n, per);
        return -1;
    }
    if (n && vo_room(out, (uint64_t)*n * (per ? per : 1), "argument 'n': the draws", err, errlen)) return -1;
    lmp_error e;
    if (seed < 0 || lmp_rng_seed(r, LMP_RNG_NUMPY_LEGACY, (uint64_t)seed, &e)) {
        snprintf(err, errlen, "argument 'seed' = %ld: expected from 0 to 2^32-1", seed);
        return -1;
    }
    return 0;
}

static int v_np_stream(const lmp_json_value *a, verify_out *out, char *err, size_t errlen, int which)
{
    lmp_rng r;
    long n;
    double p1 = 0, p2 = 1;
    if (seeded(a, out, 1, &r, &n, err, errlen)) return -1;
    if (which == 2 && (va_double(a, "loc", &p1, err, errlen) || va_double(a, "scale", &p2, err, errlen))) return -1;
    if (which == 3 && (va_double(a, "low", &p1, err, errlen) || va_double(a, "high", &p2, err, errlen))) return -1;
    double *v = malloc(((size_t)n ? (size_t)n : 1) * sizeof *v);
    if (!v) { snprintf(err, errlen, "out of memory"); return -1; }
    for (long i = 0; i < n; i++)
        v[i] = which == 0   ? lmp_rng_uniform(&r)
               : which == 1 ? lmp_rng_normal(&r)
               : which == 2 ? lmp_normal_sample(&r, p1, p2)
                            : lmp_uniform_sample(&r, p1, p2);
    int rc = vo_vector(out, v, (size_t)n);
    free(v);
    return rc;
}
static int v_np_random_sample(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_np_stream(a, o, e, l, 0); }
static int v_np_randn(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_np_stream(a, o, e, l, 1); }
static int v_np_normal(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_np_stream(a, o, e, l, 2); }
static int v_np_uniform(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_np_stream(a, o, e, l, 3); }

/* numpy's choice checks p like this (sum within sqrt(eps) of 1, no negatives). */
static int np_check_p(const double *p, size_t k, char *err, size_t errlen)
{
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(p[i] >= 0)) { snprintf(err, errlen, "p[%zu] = %g: expected probabilities >= 0", i, p[i]); return -1; }
        s += p[i];
    }
    if (k == 0 || fabs(s - 1.0) > 1.4901161193847656e-08) {
        snprintf(err, errlen, "probabilities sum to %.17g: expected 1", s);
        return -1;
    }
    return 0;
}

static int v_np_choice(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    lmp_rng r;
    long n;
    double *p = NULL;
    size_t k;
    if (seeded(a, out, 1, &r, &n, err, errlen) || va_vector(a, "p", &p, &k, err, errlen)) return -1;
    if (np_check_p(p, k, err, errlen)) { free(p); return -1; }
    long *v = malloc(((size_t)n ? (size_t)n : 1) * sizeof *v);
    if (!v) { free(p); snprintf(err, errlen, "out of memory"); return -1; }
    for (long i = 0; i < n; i++) v[i] = (long)lmp_categorical_sample(&r, p, k);
    int rc = vo_long_vector(out, v, (size_t)n);
    free(v);
    free(p);
    return rc;
}

static int v_np_choice_sequence(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    lmp_rng r;
    double *m = NULL;
    size_t rows, cols;
    if (seeded(a, out, 1, &r, NULL, err, errlen) || va_matrix(a, "p_rows", &m, &rows, &cols, err, errlen)) return -1;
    long *v = malloc(rows * sizeof *v);
    int rc = -1;
    if (!v) { snprintf(err, errlen, "out of memory"); goto done; }
    for (size_t i = 0; i < rows; i++) {
        if (np_check_p(m + i * cols, cols, err, errlen)) goto done;
        v[i] = (long)lmp_categorical_sample(&r, m + i * cols, cols);
    }
    rc = vo_long_vector(out, v, rows);
done:
    free(v);
    free(m);
    return rc;
}

static int v_np_binomial(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    lmp_rng r;
    long n, trials;
    double p;
    if (seeded(a, out, 1, &r, &n, err, errlen) || va_long(a, "trials", &trials, err, errlen) ||
        va_double(a, "p", &p, err, errlen))
        return -1;
    lmp_error e;
    if (lmp_binomial_check(trials, p, &e)) { snprintf(err, errlen, "%s", e.msg); return -1; }
    long *v = malloc(((size_t)n ? (size_t)n : 1) * sizeof *v);
    if (!v) { snprintf(err, errlen, "out of memory"); return -1; }
    for (long i = 0; i < n; i++) v[i] = lmp_binomial_sample(&r, trials, p);
    int rc = vo_long_vector(out, v, (size_t)n);
    free(v);
    return rc;
}

/* numpy_legacy_poisson {seed, n, lambda}, numpy_legacy_gamma {seed, n, shape, scale (default 1)},
 * numpy_legacy_exponential {seed, n, scale (default 1)}: np.random.<fn>(..., size=n) after np.random.seed. */
static int v_np_scalar(const lmp_json_value *a, verify_out *out, char *err, size_t errlen, int which)
{
    lmp_rng r;
    long n;
    double p1 = 0, p2 = 1;
    if (seeded(a, out, 1, &r, &n, err, errlen)) return -1;
    if (which == 0 && va_double(a, "lambda", &p1, err, errlen)) return -1;
    if (which == 1 && (va_double(a, "shape", &p1, err, errlen) || va_double_opt(a, "scale", 1.0, &p2, err, errlen)))
        return -1;
    if (which == 2 && va_double_opt(a, "scale", 1.0, &p2, err, errlen)) return -1;
    lmp_error e;
    lmp_status st = which == 0 ? lmp_poisson_sample_check(p1, &e) : which == 1 ? lmp_gamma_check(p1, p2, &e)
                                                                      : lmp_exponential_check(1.0 / p2, &e);
    if (st) { snprintf(err, errlen, "%s", e.msg); return -1; }
    double *v = malloc(((size_t)n ? (size_t)n : 1) * sizeof *v);
    if (!v) { snprintf(err, errlen, "out of memory"); return -1; }
    for (long i = 0; i < n; i++)
        v[i] = which == 0   ? (double)lmp_poisson_sample(&r, p1)
               : which == 1 ? lmp_gamma_sample(&r, p1, p2)
                            : p2 * lmp_rng_exponential(&r);
    int rc = vo_vector(out, v, (size_t)n);
    free(v);
    return rc;
}
static int v_np_poisson(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_np_scalar(a, o, e, l, 0); }
static int v_np_gamma(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_np_scalar(a, o, e, l, 1); }
static int v_np_exponential(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return v_np_scalar(a, o, e, l, 2); }

/* numpy_legacy_dirichlet {seed, n, alpha}: np.random.dirichlet(alpha, n), an n x k matrix. */
static int v_np_dirichlet(const lmp_json_value *a, verify_out *out, char *err, size_t errlen)
{
    lmp_rng r;
    long n;
    double *alpha = NULL;
    size_t k;
    if (va_vector(a, "alpha", &alpha, &k, err, errlen)) return -1;
    if (seeded(a, out, k, &r, &n, err, errlen)) {
        free(alpha);
        return -1;
    }
    size_t cells = (size_t)n * k;
    double *m = malloc((cells > 0 ? cells : 1) * sizeof *m);
    int rc = -1;
    if (!m) { snprintf(err, errlen, "out of memory"); goto done; }
    for (long i = 0; i < n; i++) {
        lmp_error e;
        if (lmp_dirichlet_sample(&r, alpha, k, m + (size_t)i * k, &e)) {
            snprintf(err, errlen, "%s", e.msg);
            goto done;
        }
    }
    rc = vo_matrix(out, m, (size_t)n, k);
done:
    free(m);
    free(alpha);
    return rc;
}

const verify_entry verify_table_dist[] = {
    {"normal_pdf", v_normal_pdf},
    {"normal_logpdf", v_normal_logpdf},
    {"normal_cdf", v_normal_cdf},
    {"normal_logcdf", v_normal_logcdf},
    {"normal_sf", v_normal_sf},
    {"normal_logsf", v_normal_logsf},
    {"normal_ppf", v_normal_ppf},
    {"binomial_pmf", v_binomial_pmf},
    {"binomial_logpmf", v_binomial_logpmf},
    {"binomial_cdf", v_binomial_cdf},
    {"binomial_sf", v_binomial_sf},
    {"poisson_pmf", v_poisson_pmf},
    {"poisson_logpmf", v_poisson_logpmf},
    {"poisson_cdf", v_poisson_cdf},
    {"poisson_sf", v_poisson_sf},
    {"laplace_pdf", v_laplace_pdf},
    {"laplace_cdf", v_laplace_cdf},
    {"laplace_sf", v_laplace_sf},
    {"gamma_pdf", v_gamma_pdf},
    {"gamma_cdf", v_gamma_cdf},
    {"gamma_sf", v_gamma_sf},
    {"gamma_ppf", v_gamma_ppf},
    {"beta_pdf", v_beta_pdf},
    {"beta_cdf", v_beta_cdf},
    {"beta_sf", v_beta_sf},
    {"beta_ppf", v_beta_ppf},
    {"exponential_pdf", v_exponential_pdf},
    {"exponential_cdf", v_exponential_cdf},
    {"exponential_sf", v_exponential_sf},
    {"exponential_ppf", v_exponential_ppf},
    {"lgamma", v_lgamma},
    {"digamma", v_digamma},
    {"log_beta", v_log_beta},
    {"dirichlet_logpdf", v_dirichlet_logpdf},
    {"mvn_logpdf", v_mvn_logpdf},
    {"numpy_legacy_random_sample", v_np_random_sample},
    {"numpy_legacy_randn", v_np_randn},
    {"numpy_legacy_normal", v_np_normal},
    {"numpy_legacy_uniform", v_np_uniform},
    {"numpy_legacy_choice", v_np_choice},
    {"numpy_legacy_choice_sequence", v_np_choice_sequence},
    {"numpy_legacy_binomial", v_np_binomial},
    {"numpy_legacy_poisson", v_np_poisson},
    {"numpy_legacy_gamma", v_np_gamma},
    {"numpy_legacy_exponential", v_np_exponential},
    {"numpy_legacy_dirichlet", v_np_dirichlet},
    {NULL, NULL},
};
