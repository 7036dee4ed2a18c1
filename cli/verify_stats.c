/* verify adapters for the stats, linalg, bayes and nn modules (see verify.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lmprob/bayes.h"
#include "lmprob/linalg.h"
#include "lmprob/nn.h"
#include "lmprob/stats.h"
#include "verify.h"

static int oom(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int lib_error(const lmp_error *e, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s", e->msg[0] ? e->msg : lmp_status_str(e->code));
    return -1;
}

/* ---- moments ------------------------------------------------------------------ */

static int moment_common(const lmp_json_value *args, int which, verify_out *out, char *err, size_t errlen)
{
    double *x, ddof;
    size_t n;
    if (va_vector(args, "x", &x, &n, err, errlen)) return -1;
    if (va_double_opt(args, "ddof", 0.0, &ddof, err, errlen)) { free(x); return -1; }
    double v = which ? lmp_stats_stddev(x, n, ddof) : lmp_stats_variance(x, n, ddof);
    free(x);
    return vo_scalar(out, v) ? oom(err, errlen) : 0;
}

static int v_variance(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return moment_common(a, 0, o, e, l); }
static int v_stddev(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return moment_common(a, 1, o, e, l); }

static int v_skewness(const lmp_json_value *args, verify_out *out, char *err, size_t errlen)
{
    double *x;
    size_t n;
    int bias;
    if (va_vector(args, "x", &x, &n, err, errlen)) return -1;
    if (va_bool_opt(args, "bias", 1, &bias, err, errlen)) { free(x); return -1; }
    double v = lmp_stats_skewness(x, n, bias);
    free(x);
    return vo_scalar(out, v) ? oom(err, errlen) : 0;
}

static int v_kurtosis(const lmp_json_value *args, verify_out *out, char *err, size_t errlen)
{
    double *x;
    size_t n;
    int bias, fisher;
    if (va_vector(args, "x", &x, &n, err, errlen)) return -1;
    if (va_bool_opt(args, "bias", 1, &bias, err, errlen) || va_bool_opt(args, "fisher", 1, &fisher, err, errlen)) {
        free(x);
        return -1;
    }
    double v = lmp_stats_kurtosis(x, n, fisher, bias);
    free(x);
    return vo_scalar(out, v) ? oom(err, errlen) : 0;
}

/* which: 0 skewtest, 1 kurtosistest, 2 normaltest; part: 0 statistic, 1 p-value. */
static int normtest(const lmp_json_value *args, int which, int part, verify_out *out, char *err, size_t errlen)
{
    double *x;
    size_t n;
    if (va_vector(args, "x", &x, &n, err, errlen)) return -1;
    lmp_test_result r;
    lmp_error e;
    lmp_status st = which == 0   ? lmp_stats_skewtest(x, n, &r, &e)
                    : which == 1 ? lmp_stats_kurtosistest(x, n, &r, &e)
                                 : lmp_stats_normaltest(x, n, &r, &e);
    free(x);
    if (st) return lib_error(&e, err, errlen);
    return vo_scalar(out, part ? r.pvalue : r.statistic) ? oom(err, errlen) : 0;
}

#define NORMTEST(fname, which, part)                                                    \
    static int fname(const lmp_json_value *a, verify_out *o, char *e, size_t l)             \
    {                                                                                   \
        return normtest(a, which, part, o, e, l);                                       \
    }
NORMTEST(v_skewtest_statistic, 0, 0)
NORMTEST(v_skewtest_pvalue, 0, 1)
NORMTEST(v_kurtosistest_statistic, 1, 0)
NORMTEST(v_kurtosistest_pvalue, 1, 1)
NORMTEST(v_normaltest_statistic, 2, 0)
NORMTEST(v_normaltest_pvalue, 2, 1)
#undef NORMTEST

static int covcorr(const lmp_json_value *args, int corr, verify_out *out, char *err, size_t errlen)
{
    double *X, ddof;
    size_t r, c;
    int rowvar;
    if (va_matrix(args, "X", &X, &r, &c, err, errlen)) return -1;
    if (va_bool_opt(args, "rowvar", 1, &rowvar, err, errlen) || va_double_opt(args, "ddof", 1.0, &ddof, err, errlen)) {
        free(X);
        return -1;
    }
    size_t k = rowvar ? r : c;
    /* k x k from a 1 x k matrix: check before allocating (k * k may not even fit a size_t) */
    if (k > UINT32_MAX || vo_room(out, (uint64_t)k * k, "the covariance matrix", err, errlen)) {
        if (k > UINT32_MAX) snprintf(err, errlen, "%zu variables: expected fewer", k);
        free(X);
        return -1;
    }
    double *m = malloc((k > 0 ? k * k : 1) * sizeof *m);
    if (!m) { free(X); return oom(err, errlen); }
    lmp_error e;
    lmp_status st = corr ? lmp_stats_corr(X, r, c, rowvar, m, &e) : lmp_stats_cov(X, r, c, rowvar, ddof, m, &e);
    free(X);
    if (st) { free(m); return lib_error(&e, err, errlen); }
    int rc = vo_matrix(out, m, k, k);
    free(m);
    return rc ? oom(err, errlen) : 0;
}

static int v_cov_matrix(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return covcorr(a, 0, o, e, l); }
static int v_corr_matrix(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return covcorr(a, 1, o, e, l); }

/* ---- polynomial fits ---------------------------------------------------------- */

static int fit_args(const lmp_json_value *args, double **x, double **y, size_t *n, long *deg, char *err, size_t errlen)
{
    size_t ny;
    if (va_vector(args, "x", x, n, err, errlen)) return -1;
    if (va_vector(args, "y", y, &ny, err, errlen)) { free(*x); return -1; }
    if (va_long(args, "deg", deg, err, errlen) || *deg < 0 || ny != *n) {
        if (ny != *n) snprintf(err, errlen, "x has %zu values and y %zu: expected the same length", *n, ny);
        else if (*deg < 0) snprintf(err, errlen, "deg = %ld: expected deg >= 0", *deg);
        free(*x);
        free(*y);
        return -1;
    }
    return 0;
}

static int v_polyfit(const lmp_json_value *args, verify_out *out, char *err, size_t errlen)
{
    double *x, *y;
    size_t n;
    long deg;
    if (fit_args(args, &x, &y, &n, &deg, err, errlen)) return -1;
    if (vo_room(out, (uint64_t)deg + 1, "deg + 1 coefficients", err, errlen)) {
        free(x);
        free(y);
        return -1;
    }
    double *coef = malloc(((size_t)deg + 1) * sizeof *coef);
    lmp_error e;
    lmp_status st = coef ? lmp_linalg_polyfit(x, y, n, (size_t)deg, coef, &e) : LMP_ENOMEM;
    free(x);
    free(y);
    if (st) { free(coef); return coef ? lib_error(&e, err, errlen) : oom(err, errlen); }
    int rc = vo_vector(out, coef, (size_t)deg + 1);
    free(coef);
    return rc ? oom(err, errlen) : 0;
}

static int v_polyval_of_polyfit(const lmp_json_value *args, verify_out *out, char *err, size_t errlen)
{
    double *x, *y;
    size_t n;
    long deg;
    if (fit_args(args, &x, &y, &n, &deg, err, errlen)) return -1;
    lmp_linalg_poly fit;
    lmp_error e;
    lmp_status st = lmp_linalg_poly_fit(x, y, n, (size_t)deg, &fit, &e);
    if (st) { free(x); free(y); return lib_error(&e, err, errlen); }
    for (size_t i = 0; i < n; i++) y[i] = lmp_linalg_poly_eval(&fit, x[i]);
    int rc = vo_vector(out, y, n);
    free(x);
    free(y);
    return rc ? oom(err, errlen) : 0;
}

/* ---- nn ------------------------------------------------------------------------ */

static int v_layer_norm(const lmp_json_value *args, verify_out *out, char *err, size_t errlen)
{
    double *x, *g = NULL, *b = NULL, eps;
    size_t n, ng = 0, nb = 0;
    if (va_vector(args, "x", &x, &n, err, errlen)) return -1;
    if (va_double_opt(args, "eps", 1e-5, &eps, err, errlen)) goto fail;
    if (va_has(args, "gamma") && va_vector(args, "gamma", &g, &ng, err, errlen)) goto fail;
    if (va_has(args, "beta") && va_vector(args, "beta", &b, &nb, err, errlen)) goto fail;
    if ((g && ng != n) || (b && nb != n)) {
        snprintf(err, errlen, "gamma/beta have %zu/%zu values: expected %zu", ng, nb, n);
        goto fail;
    }
    lmp_error e;
    if (lmp_nn_layer_norm(x, n, eps, g, b, x, &e)) { lib_error(&e, err, errlen); goto fail; }
    int rc = vo_vector(out, x, n);
    free(x);
    free(g);
    free(b);
    return rc ? oom(err, errlen) : 0;
fail:
    free(x);
    free(g);
    free(b);
    return -1;
}

static int init_common(const lmp_json_value *args, int kind, verify_out *out, char *err, size_t errlen)
{
    double fi, fo = 0;
    if (va_double(args, "fan_in", &fi, err, errlen)) return -1;
    if (kind < 2 && va_double(args, "fan_out", &fo, err, errlen)) return -1;
    double v = kind == 0 ? lmp_nn_xavier_normal_std(fi, fo)
               : kind == 1 ? lmp_nn_xavier_uniform_bound(fi, fo)
               : kind == 2 ? lmp_nn_he_normal_std(fi)
                           : lmp_nn_he_uniform_bound(fi);
    return vo_scalar(out, v) ? oom(err, errlen) : 0;
}

static int v_xavier_normal_std(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return init_common(a, 0, o, e, l); }
static int v_xavier_uniform_bound(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return init_common(a, 1, o, e, l); }
static int v_he_normal_std(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return init_common(a, 2, o, e, l); }
static int v_he_uniform_bound(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return init_common(a, 3, o, e, l); }

/* ---- bayes ----------------------------------------------------------------------- */

static int v_bayes_posterior(const lmp_json_value *args, verify_out *out, char *err, size_t errlen)
{
    double prior, sens, fpr;
    long npos;
    if (va_double(args, "prior", &prior, err, errlen) || va_double(args, "sensitivity", &sens, err, errlen) ||
        va_double(args, "false_positive_rate", &fpr, err, errlen) || va_long_opt(args, "n_positive", 1, &npos, err, errlen))
        return -1;
    return vo_scalar(out, lmp_bayes_posterior(prior, sens, fpr, npos)) ? oom(err, errlen) : 0;
}

static int beta_common(const lmp_json_value *args, int which, verify_out *out, char *err, size_t errlen)
{
    double a, b;
    long heads, n;
    if (va_double(args, "a", &a, err, errlen) || va_double(args, "b", &b, err, errlen) ||
        va_long(args, "heads", &heads, err, errlen) || va_long(args, "n", &n, err, errlen))
        return -1;
    double v = which == 0 ? lmp_bayes_beta_posterior_mean(a, b, heads, n)
               : which == 1 ? lmp_bayes_beta_posterior_mode(a, b, heads, n)
                            : lmp_bayes_beta_binomial_logpmf(heads, n, a, b);
    return vo_scalar(out, v) ? oom(err, errlen) : 0;
}

static int v_beta_posterior_mean(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return beta_common(a, 0, o, e, l); }
static int v_beta_posterior_mode(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return beta_common(a, 1, o, e, l); }
static int v_log_beta_binomial_marginal(const lmp_json_value *a, verify_out *o, char *e, size_t l) { return beta_common(a, 2, o, e, l); }

const verify_entry verify_table_stats[] = {
    {"variance", v_variance},
    {"stddev", v_stddev},
    {"cov_matrix", v_cov_matrix},
    {"corr_matrix", v_corr_matrix},
    {"skewness", v_skewness},
    {"kurtosis", v_kurtosis},
    {"skewtest_statistic", v_skewtest_statistic},
    {"skewtest_pvalue", v_skewtest_pvalue},
    {"kurtosistest_statistic", v_kurtosistest_statistic},
    {"kurtosistest_pvalue", v_kurtosistest_pvalue},
    {"normaltest_statistic", v_normaltest_statistic},
    {"normaltest_pvalue", v_normaltest_pvalue},
    {"polyfit", v_polyfit},
    {"polyval_of_polyfit", v_polyval_of_polyfit},
    {"layer_norm", v_layer_norm},
    {"xavier_normal_std", v_xavier_normal_std},
    {"xavier_uniform_bound", v_xavier_uniform_bound},
    {"he_normal_std", v_he_normal_std},
    {"he_uniform_bound", v_he_uniform_bound},
    {"bayes_posterior", v_bayes_posterior},
    {"beta_posterior_mean", v_beta_posterior_mean},
    {"beta_posterior_mode", v_beta_posterior_mode},
    {"log_beta_binomial_marginal", v_log_beta_binomial_marginal},
    {NULL, NULL},
};
