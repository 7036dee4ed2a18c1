/* Poisson(lambda).
 *
 * pmf (Loader 2000): log pmf = -delta(k) - bd0(k, lambda) - log(2 pi k) / 2,
 * and -lambda at k = 0. cdf and sf through the regularised incomplete gamma
 * function: P(X <= k) = Q(k+1, lambda), P(X > k) = P(k+1, lambda).
 * Sampling: the multiplication method (Knuth, TAOCP vol. 2, 3.4.1) for
 * lambda < 10, and PTRS, W. Hoermann, "The transformed rejection method for
 * generating Poisson random variables", Insurance: Mathematics and Economics
 * 12(1), 1993, otherwise. */
#include <math.h>

#include "internal.h"

static int bad(double lambda) { return !(lambda >= 0) || !isfinite(lambda); }

lmp_status lmp_poisson_check(double lambda, lmp_error *err)
{
    if (bad(lambda)) return lmp_error_set(err, LMP_EINVAL, "lambda = %g: expected a finite rate lambda >= 0", lambda);
    return LMP_OK;
}

double lmp_poisson_logpmf(long k, double lambda)
{
    if (bad(lambda)) return NAN;
    if (k < 0) return -INFINITY;
    return lmp_log_dpois_raw_((double)k, lambda);
}

double lmp_poisson_pmf(long k, double lambda)
{
    if (bad(lambda)) return NAN;
    if (k < 0) return 0.0;
    return lmp_dpois_raw_((double)k, lambda);
}

double lmp_poisson_cdf(double k, double lambda)
{
    if (bad(lambda) || isnan(k)) return NAN;
    k = floor(k);
    if (k < 0) return 0.0;
    if (lambda == 0 || k == INFINITY) return 1.0;
    return lmp_sf_gamma_inc_upper(k + 1, lambda);
}

double lmp_poisson_sf(double k, double lambda)
{
    if (bad(lambda) || isnan(k)) return NAN;
    k = floor(k);
    if (k < 0) return 1.0;
    if (lambda == 0 || k == INFINITY) return 0.0;
    return lmp_sf_gamma_inc(k + 1, lambda);
}

double lmp_poisson_quantile(double q, double lambda)
{
    if (bad(lambda) || isnan(q) || q < 0 || q > 1) return NAN;
    if (q == 0 || lambda == 0) return 0.0;
    if (q == 1) return INFINITY;
    double z = lmp_normal_quantile(q, 0, 1), sd = sqrt(lambda);
    double g = floor(lambda + sd * (z + (z * z - 1) / (6 * sd)) + 0.5);
    double k = fmax(g, 0.0);
    while (k > 0 && lmp_poisson_cdf(k - 1, lambda) >= q) k -= 1;
    while (lmp_poisson_cdf(k, lambda) < q) k += 1;
    return k;
}

double lmp_poisson_mean(double lambda) { return bad(lambda) ? NAN : lambda; }
double lmp_poisson_var(double lambda) { return bad(lambda) ? NAN : lambda; }

long lmp_poisson_sample(lmp_rng *r, double lambda)
{
    if (bad(lambda) || lambda > 1e15) return -1;
    if (lambda == 0) return 0;
    if (lambda < 10) {
        /* Count uniforms until their product drops below e^-lambda. */
        double limit = exp(-lambda), prod = lmp_rng_uniform(r);
        long k = 0;
        while (prod > limit) {
            k++;
            prod *= lmp_rng_uniform(r);
        }
        return k;
    }
    /* PTRS: transformed rejection with squeeze (Hoermann 1993, algorithm PTRS). */
    double slam = sqrt(lambda), loglam = log(lambda);
    double b = 0.931 + 2.53 * slam;
    double a = -0.059 + 0.02483 * b;
    double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
        double u = lmp_rng_uniform(r) - 0.5;
        double v = lmp_rng_uniform(r);
        double us = 0.5 - fabs(u);
        double k = floor((2 * a / us + b) * u + lambda + 0.43);
        if (us >= 0.07 && v <= vr) return (long)k;
        if (k < 0 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lmp_sf_lgamma(k + 1))
            return (long)k;
    }
}
