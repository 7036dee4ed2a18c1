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
    if (!alpha && k >= 2) return lmp_dist_null_("dirichlet", "alpha", k, err);
    if (k < 2) return lmp_error_set(err, LMP_EINVAL, "k = %zu: expected at least 2 concentration parameters", k);
    for (size_t i = 0; i < k; i++)
        if (!(alpha[i] > 0) || !isfinite(alpha[i]))
            return lmp_error_set(err, LMP_EINVAL, "alpha[%zu] = %g: expected alpha > 0 (finite)", i, alpha[i]);
    return LMP_OK;
}

double lmp_dirichlet_logpdf(const double *x, const double *alpha, size_t k)
{
    if (lmp_dirichlet_check(alpha, k, NULL) || !x) return NAN;
    double A = 0.0, sum_x = 0.0;
    int zero = 0;
    for (size_t i = 0; i < k; i++) {
        if (isnan(x[i])) return NAN;
        if (x[i] < 0 || x[i] > 1) return -INFINITY;
        A += alpha[i];
        sum_x += x[i];
        if (x[i] == 0) {
            if (alpha[i] < 1) return INFINITY;
            if (alpha[i] > 1) return -INFINITY;
            zero = 1;
        }
    }
    if (fabs(sum_x - 1.0) > 1e-9) return -INFINITY;
    if (zero) {
        /* an x_i = 0 with alpha_i = 1: its term is 0; the plain form */
        double acc = lmp_sf_lgamma(A);
        for (size_t i = 0; i < k; i++) {
            acc -= lmp_sf_lgamma(alpha[i]);
            if (x[i] > 0) acc += (alpha[i] - 1.0) * log(x[i]);
        }
        return acc;
    }
    /* lgamma(A) - sum lgamma(alpha_i) + sum (alpha_i - 1) log x_i with Stirling's form for each Gamma
     * (delta = stirlerr): the linear terms cancel and the x log x terms regroup into deviances,
     *   log f = -sum bd0(alpha_i, A x_i) - A (sum x - 1) + sum [1/2 log(alpha_i) - log x_i] - 1/2 log A
     *           - (k - 1) log sqrt(2 pi) + delta(A) - sum delta(alpha_i),
     * since sum alpha_i log(A x_i / alpha_i) = -sum bd0(alpha_i, A x_i) + sum (A x_i - alpha_i). With
     * alpha ~ 1e8 the plain form subtracts log-gammas of 1e9 and keeps 1e-7 of a result near 70; this
     * one keeps its digits. sum x - 1 is compensated: it is part of the function at the given x. */
    /* Where A overflows (alpha 9e307, 9e307: NaN) everything is taken at half scale: bd0 is homogeneous,
     * bd0(alpha, A x) = 2 bd0(alpha / 2, (A / 2) x), and log A = log(A / 2) + log 2. */
    double h = isfinite(A) ? 1.0 : 0.5, Ah = 0.0;
    if (h != 1.0)
        for (size_t i = 0; i < k; i++) Ah += h * alpha[i];
    else Ah = A;
    double s = 0.0, c = -1.0, dev = 0.0, logs = 0.0, corr = lmp_stirlerr_(A);
    for (size_t i = 0; i < k; i++) {
        double t = s + x[i];
        c += fabs(s) >= fabs(x[i]) ? (s - t) + x[i] : (x[i] - t) + s;
        s = t;
        dev += lmp_bd0_(h * alpha[i], Ah * x[i]);
        logs += 0.5 * log(alpha[i]) - log(x[i]);
        corr -= lmp_stirlerr_(alpha[i]);
    }
    double excess = s + c; /* sum x - 1 */
    return -dev / h - Ah * excess / h + logs - 0.5 * (log(Ah) - log(h)) - (double)(k - 1) * LMP_LN_SQRT_2PI + corr;
}

lmp_status lmp_dirichlet_sample(lmp_rng *r, const double *alpha, size_t k, double *out, lmp_error *err)
{
    lmp_status st = lmp_dirichlet_check(alpha, k, err);
    if (st) return st;
    if (!r) return lmp_error_set(err, LMP_EINVAL, "dirichlet_sample: the rng is NULL: expected a random stream");
    if (!out) return lmp_dist_null_("dirichlet_sample", "out", k, err);
    int small = 0;
    for (size_t i = 0; i < k; i++) small |= alpha[i] < 1;
    /* numpy's normalised gammas on its stream, for every alpha (its gamma below shape 1 included); where
     * they all round to 0 (tiny alphas: numpy's 0/0 is NaN), a draw in log space below, from the stream's
     * next values */
    if (!small || r->kind == LMP_RNG_NUMPY_LEGACY) {
        double sum = 0.0;
        for (size_t i = 0; i < k; i++) sum += out[i] = lmp_gamma_sample(r, alpha[i], 1.0);
        if (!isfinite(sum)) {
            /* draws of alphas near the top of the range whose sum overflows (9e307 + 9e307: every point
             * was 0): scaled by the largest first. Only there, so that the numpy stream stays numpy's. */
            double mx = 0.0;
            for (size_t i = 0; i < k; i++) mx = fmax(mx, out[i]);
            sum = 0.0;
            for (size_t i = 0; i < k; i++) sum += out[i] /= mx;
        }
        if (sum > 0) {
            double inv = 1.0 / sum;
            for (size_t i = 0; i < k; i++) out[i] *= inv;
            return LMP_OK;
        }
    }
    /* Log space: out[i] = log G(alpha_i). On the numpy stream, where numpy's row is NaN, from a xoshiro
     * stream seeded by the numpy stream's next value, read from a copy: the numpy stream itself moves as
     * numpy's does (drawing from it here put every later row out of step with numpy's) */
    lmp_rng side;
    if (r->kind == LMP_RNG_NUMPY_LEGACY) {
        lmp_rng peek = *r;
        lmp_rng_seed(&side, LMP_RNG_XOSHIRO, lmp_rng_u64(&peek), NULL);
        r = &side;
    }
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

lmp_status lmp_dirichlet_moments(const double *alpha, size_t k, double *mean, double *var, lmp_error *err)
{
    lmp_status st = lmp_dirichlet_check(alpha, k, err);
    if (st) return st;
    if (!mean || !var) return lmp_dist_null_("dirichlet_moments", !mean ? "mean" : "var", k, err);
    /* mean_i = alpha_i / A, var_i = mean_i (1 - mean_i) / (A + 1), A = sum alpha, with alpha scaled by its
     * largest element before the sum (9e307 + 9e307 overflowed: mean 0), 1 - mean_i as the sum of the other
     * alphas over A (not 1 minus a rounded mean_i), and the division by A + 1 done as / m / (A/m + 1/m).
     * The other alphas are summed as such, the ones before i (a running sum) and the ones after (suffix sums,
     * kept in var until each is used): A - alpha_i cancelled where alpha_i dominates (alpha = 1e-10, 1:
     * var_1 was 5.0000004e-11, not 4.99999999875e-11; alpha = 1e-300, 1: 0). */
    double m = 0.0, As = 0.0;
    for (size_t i = 0; i < k; i++) m = fmax(m, alpha[i]);
    for (size_t i = k; i-- > 0;) {
        var[i] = As; /* the alphas after i */
        As += alpha[i] / m;
    }
    double before = 0.0;
    for (size_t i = 0; i < k; i++) {
        const double ai = alpha[i] / m, rest = (before + var[i]) / As;
        mean[i] = ai / As;
        var[i] = mean[i] * rest / m / (As + 1.0 / m);
        before += ai;
    }
    return LMP_OK;
}
