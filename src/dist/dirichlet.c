/* Dirichlet(alpha_1..alpha_k).
 *   log f(x) = lgamma(sum alpha) - sum lgamma(alpha_i) + sum (alpha_i - 1) log x_i
 * Sampling: independent Gamma(alpha_i, 1) draws normalised to sum 1 (e.g.
 * Devroye, "Non-uniform random variate generation", 1986, XI.4). For
 * alpha_i < 1 the draw is kept in log space, log G(a) = log G(a+1) + log(U)/a
 * (Marsaglia & Tsang 2000), and normalised by log-sum-exp, so tiny alphas
 * (where U^(1/a) underflows) still give a proper point of the simplex. */
#include <math.h>

#include "internal.h"

lmp_status lmp_dirichlet_check(const double *alpha, size_t k, lmp_error *err)
{
    if (!alpha || k < 2) return lmp_error_set(err, LMP_EINVAL, "k = %zu: expected at least 2 concentration parameters", k);
    for (size_t i = 0; i < k; i++)
        if (!(alpha[i] > 0) || !isfinite(alpha[i]))
            return lmp_error_set(err, LMP_EINVAL, "alpha[%zu] = %g: expected alpha > 0 (finite)", i, alpha[i]);
    return LMP_OK;
}

double lmp_dirichlet_logpdf(const double *x, const double *alpha, size_t k)
{
    if (lmp_dirichlet_check(alpha, k, NULL)) return NAN;
    double sum_a = 0.0, sum_x = 0.0, acc = 0.0;
    for (size_t i = 0; i < k; i++) {
        if (isnan(x[i])) return NAN;
        if (x[i] < 0 || x[i] > 1) return -INFINITY;
        sum_a += alpha[i];
        sum_x += x[i];
        acc -= lmp_sf_lgamma(alpha[i]);
        if (x[i] == 0) {
            if (alpha[i] < 1) return INFINITY;
            if (alpha[i] > 1) return -INFINITY;
        } else {
            acc += (alpha[i] - 1.0) * log(x[i]);
        }
    }
    if (fabs(sum_x - 1.0) > 1e-9) return -INFINITY;
    return acc + lmp_sf_lgamma(sum_a);
}

lmp_status lmp_dirichlet_sample(lmp_rng *r, const double *alpha, size_t k, double *out, lmp_error *err)
{
    lmp_status st = lmp_dirichlet_check(alpha, k, err);
    if (st) return st;
    if (!r || !out) return lmp_error_set(err, LMP_EINVAL, "rng or out = NULL: expected pointers");
    int small = 0;
    for (size_t i = 0; i < k; i++) small |= alpha[i] < 1;
    if (!small) {
        double sum = 0.0;
        for (size_t i = 0; i < k; i++) sum += out[i] = lmp_gamma_sample(r, alpha[i], 1.0);
        double inv = 1.0 / sum;
        for (size_t i = 0; i < k; i++) out[i] *= inv;
        return LMP_OK;
    }
    /* Log space: out[i] = log G(alpha_i). */
    double mx = -INFINITY;
    for (size_t i = 0; i < k; i++) {
        double a = alpha[i];
        if (a >= 1) out[i] = log(lmp_gamma_sample(r, a, 1.0));
        else out[i] = log(lmp_gamma_sample(r, a + 1.0, 1.0)) + log1p(-lmp_rng_uniform(r)) / a;
        if (out[i] > mx) mx = out[i];
    }
    double sum = 0.0;
    for (size_t i = 0; i < k; i++) sum += out[i] = exp(out[i] - mx);
    for (size_t i = 0; i < k; i++) out[i] /= sum;
    return LMP_OK;
}
