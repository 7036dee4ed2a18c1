/* Poisson(lambda).
 *
 * pmf (Loader 2000): log pmf = -delta(k) - bd0(k, lambda) - log(2 pi k) / 2,
 * and -lambda at k = 0. cdf and sf through the regularised incomplete gamma
 * function: P(X <= k) = Q(k+1, lambda), P(X > k) = P(k+1, lambda); past 2^53,
 * where k + 1 is no double, as Q(k, lambda) + pmf(k) and P(k, lambda) - pmf(k)
 * (A&S 6.5.21). The quantile brackets and bisects over the whole doubles.
 * Sampling: the multiplication method (Knuth, TAOCP vol. 2, 3.4.1) for
 * lambda < 10, and PTRS, W. Hoermann, "The transformed rejection method for
 * generating Poisson random variables", Insurance: Mathematics and Economics
 * 12(1), 1993, otherwise. */
#include <float.h>
#include <math.h>

#include "internal.h"

static int bad(double lambda) { return !(lambda >= 0) || !isfinite(lambda); }

lmp_status lmp_poisson_check(double lambda, lmp_error *err)
{
    if (bad(lambda)) return lmp_error_set(err, LMP_EINVAL, "lambda = %g: expected a finite rate lambda >= 0", lambda);
    return LMP_OK;
}

lmp_status lmp_poisson_sample_check(double lambda, lmp_error *err)
{
    if (lmp_poisson_check(lambda, err) != LMP_OK) return LMP_EINVAL;
    if (lambda > LMP_POISSON_SAMPLE_MAX)
        return lmp_error_set(err, LMP_EINVAL,
                             "lambda = %.17g: too large to sample (expected lambda <= %.17g, numpy's limit: a draw "
                             "must fit a 64-bit integer)",
                             lambda, LMP_POISSON_SAMPLE_MAX);
    return LMP_OK;
}

/* k is a double: the support runs to every lambda's mean and past it (1e300), beyond the range of an
 * integer type; a k that is not whole (or is infinite) has probability 0. */
double lmp_poisson_logpmf(double k, double lambda)
{
    if (bad(lambda) || isnan(k)) return NAN;
    if (k < 0 || k != floor(k) || k == INFINITY) return -INFINITY;
    return lmp_log_dpois_raw_(k, lambda);
}

double lmp_poisson_pmf(double k, double lambda)
{
    if (bad(lambda) || isnan(k)) return NAN;
    if (k < 0 || k != floor(k) || k == INFINITY) return 0.0;
    return lmp_dpois_raw_(k, lambda);
}

/* P(X <= k) (lower) or P(X > k) for a whole k >= 0, lambda > 0. From 2^53 on every double is whole but
 * k + 1 is no double (it rounds to k or k + 2), and the cdf moves by a pmf, ~1/sqrt(2 pi lambda), between
 * the two: 4e-10 at lambda = 1e18, where Q(k + 1, lambda) with k + 1 rounded to k gave 0.5 - 1.3e-10
 * for 0.5 + 2.7e-10. There the recurrence A&S 6.5.21, Q(k + 1, x) = Q(k, x) + x^k e^-x / k!, is taken
 * with the pmf itself: two positive terms for the cdf, and for the sf P(k, x) minus a pmf that is at
 * most z / sqrt(lambda) of it (1e-7 relative) wherever P(k, x) has not underflowed. */
static double tail(double k, double lambda, int lower)
{
    if (k < 0x1p53) return lower ? lmp_sf_gamma_inc_upper(k + 1, lambda) : lmp_sf_gamma_inc(k + 1, lambda);
    double d = lmp_dpois_raw_(k, lambda);
    if (lower) return fmin(lmp_sf_gamma_inc_upper(k, lambda) + d, 1.0);
    return fmax(lmp_sf_gamma_inc(k, lambda) - d, 0.0);
}

double lmp_poisson_cdf(double k, double lambda)
{
    if (bad(lambda) || isnan(k)) return NAN;
    k = floor(k);
    if (k < 0) return 0.0;
    if (lambda == 0 || k == INFINITY) return 1.0;
    return tail(k, lambda, 1);
}

double lmp_poisson_sf(double k, double lambda)
{
    if (bad(lambda) || isnan(k)) return NAN;
    k = floor(k);
    if (k < 0) return 1.0;
    if (lambda == 0 || k == INFINITY) return 0.0;
    return tail(k, lambda, 0);
}

static double pois_cdf_at(double k, const void *lambda) { return lmp_poisson_cdf(k, *(const double *)lambda); }

double lmp_poisson_quantile(double q, double lambda)
{
    if (bad(lambda) || isnan(q) || q < 0 || q > 1) return NAN;
    if (q == 0 || lambda == 0) return 0.0;
    if (q == 1) return INFINITY;
    /* The smallest whole double k with cdf(k) >= q, from the Cornish-Fisher guess (lmp_discrete_quantile_) */
    double z = lmp_normal_quantile(q, 0, 1), sd = sqrt(lambda);
    double g = floor(lambda + sd * (z + (z * z - 1) / (6 * sd)) + 0.5);
    return lmp_discrete_quantile_(pois_cdf_at, &lambda, q, g, DBL_MAX);
}

double lmp_poisson_mean(double lambda) { return bad(lambda) ? NAN : lambda; }
double lmp_poisson_var(double lambda) { return bad(lambda) ? NAN : lambda; }

/* log Gamma(x) for x >= 1 as numpy's legacy sampler computes it (random_loggam), so that PTRS's
 * acceptance test below takes numpy's decisions: for large lambda that test subtracts numbers
 * near lambda log lambda (4e20 at lambda = 1e19) whose difference is O(1), so it turns on the
 * last bits of log Gamma, and any other log Gamma (lmp_sf_lgamma, correctly rounded or not)
 * takes some other decisions and the stream goes elsewhere (from the 27th draw at lambda = 1e15).
 * Stirling's series, log Gamma(x) = (x - 1/2) log x - x + log(2 pi) / 2
 * + sum_k B_2k / (2k (2k - 1) x^(2k-1)) (Abramowitz & Stegun 6.1.40), ten terms at x >= 7 and
 * the recurrence log Gamma(x) = log Gamma(x + n) - sum log(x + j) below; the ten coefficients
 * B_2k / (2k (2k - 1)) as numpy writes them (the last to 15 digits), summed in numpy's order. */
double lmp_loggam_numpy_(double x)
{
    static const double c[10] = {8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04,
                                 -5.952380952380952e-04, 8.417508417508418e-04, -1.917526917526918e-03,
                                 6.410256410256410e-03, -2.955065359477124e-02, 1.796443723688307e-01,
                                 -1.39243221690590e+00};
    if (x == 1.0 || x == 2.0) return 0.0;
    const long n = x < 7.0 ? (long)(7 - x) : 0;
    double x0 = x + (double)n;
    const double x2 = (1.0 / x0) * (1.0 / x0);
    double s = c[9];
    for (int k = 8; k >= 0; k--) {
        s *= x2;
        s += c[k];
    }
    double g = s / x0 + 0.5 * 1.8378770664093453 + (x0 - 0.5) * log(x0) - x0;
    for (long k = 1; k <= n; k++) {
        g -= log(x0 - 1.0);
        x0 -= 1.0;
    }
    return g;
}

long lmp_poisson_sample(lmp_rng *r, double lambda)
{
    if (bad(lambda) || lambda > LMP_POISSON_SAMPLE_MAX) return -1;
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
        /* k >= 2^63 (only near LMP_POISSON_SAMPLE_MAX, and never on the quick accept above, whose
         * k is within 2 standard deviations): numpy's int64 of it is negative, which it rejects */
        if (k < 0 || k >= 0x1p63 || (us < 0.013 && v > us)) continue;
        if (log(v) + log(inv_alpha) - log(a / (us * us) + b) <= -lambda + k * loglam - lmp_loggam_numpy_(k + 1))
            return (long)k;
    }
}
