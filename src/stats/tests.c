/* Normality tests (as scipy.stats.skewtest / kurtosistest / normaltest, two-sided)
 * and covariance / correlation matrices (as np.cov / np.corrcoef).
 *
 * References
 *  - D'Agostino, R. B. (1970). Transformation to normality of the null
 *    distribution of g1. Biometrika 57(3), 679-681.  (skewtest)
 *  - Anscombe, F. J. & Glynn, W. J. (1983). Distribution of the kurtosis
 *    statistic b2 for normal samples. Biometrika 70(1), 227-234.  (kurtosistest)
 *  - D'Agostino, R. & Pearson, E. S. (1973). Tests for departure from normality.
 *    Biometrika 60(3), 613-622.  (omnibus K^2 = Z(b1)^2 + Z(b2)^2, chi2 with 2 dof) */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lmprob/stats.h"
#include "../core/sizes.h"

/* The transformations from the sample statistics (b, b2) to Z, and from Z to the p-value, are evaluated in
 * long double (x87 extended: 11 more bits than double, where the compiler has it): the p-value amplifies
 * every ulp of Z by Z^2 (by K^2/2 for normaltest, 43 at p = 1e-19), while Z itself may hardly depend on
 * the data (the skewness of a sample with one huge outlier is saturated), so the condition number of the
 * p-value is small and the dozen roundings of the formulas in double would be all of its error. So are the
 * sample statistics themselves (moment_ratio). */
typedef long double ld;

/* Two-sided normal p-value 2 P(Z > |z|) = erfc(|z|/sqrt 2): no 1 - cdf cancellation. */
static double two_sided_p(ld z)
{
    return (double)erfcl(fabsl(z) / sqrtl(2.0L));
}

/* LMP_EINVAL naming the array x of n values or the output that is NULL (stats.h). */
static lmp_status check_arrays(const char *fn, const double *x, size_t n, const void *out, lmp_error *err)
{
    if (x && out) return LMP_OK;
    return lmp_error_set(err, LMP_EINVAL, "%s: %s is NULL (n = %zu): expected %s", fn, !x ? "x" : "out", n,
                         !x ? "an array of n values" : "a place for the result");
}

/* check_arrays, then every x finite. */
static lmp_status check_finite(const char *fn, const double *x, size_t n, const void *out, lmp_error *err)
{
    if (check_arrays(fn, x, n, out, err)) return LMP_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return lmp_error_set(err, LMP_EINVAL, "x[%zu] = %g: expected finite data", i, x[i]);
    return LMP_OK;
}

/* Sum over x[0..n) of ((x - m) s1 s2)^k, k = 1..4, pairwise (halves down to blocks of at most 8), in long double. */
static ld dev_pow_sum(const double *x, size_t n, ld m, ld s1, ld s2, int k)
{
    if (n > 8) {
        size_t h = n / 2;
        return dev_pow_sum(x, h, m, s1, s2, k) + dev_pow_sum(x + h, n - h, m, s1, s2, k);
    }
    ld acc = 0;
    for (size_t i = 0; i < n; i++) {
        ld d = (x[i] - m) * s1 * s2, d2 = d * d;
        acc += k == 1 ? d : k == 2 ? d2 : k == 3 ? d2 * d : d2 * d2;
    }
    return acc;
}

/* The biased sample skewness g1 = m3 / m2^1.5 (k = 3) or kurtosis b2 = m4 / m2^2 (k = 4) for the transforms
 * below, in long double: the p-value amplifies g1's relative error by d log p / d log g1 (22.6 at p = 1.1e-13 from
 * 39 values whose skewness is near its bound (n - 2) / sqrt(n - 1), where the condition number of p in the data
 * is only 0.72), so g1 from lmp_stats_skewness, 1.9 u off and a double in any case, was most of the p-value's
 * error (4.7e-15 against a tolerance of 1.6e-15; seed 14 of the accuracy suite). The sums are those of
 * moments.c (moments about the mean corrected by the first moment about it, deviations scaled by a power of
 * two, pairwise), each in long double. `dbl` is the double statistic, whose NaN (constant data, scipy's test)
 * is kept; it is also the answer where the long double mean is not finite (long double no wider than double). */
static ld moment_ratio(const double *x, size_t n, int k, double dbl)
{
    if (isnan(dbl)) return dbl;
    ld sum = 0;
    for (size_t i = 0; i < n; i++) sum += x[i];
    ld mean = sum / (ld)n, big = 0;
    if (!isfinite(mean)) return dbl;
    for (size_t i = 0; i < n; i++) {
        ld d = fabsl(x[i] - mean);
        if (d > big) big = d;
    }
    if (!(big > 0) || isinf(big)) return dbl;
    int e = -ilogbl(big); /* two factors, each a normal double, as moments.c's pow2_split */
    ld s1 = ldexpl(1.0L, e / 2), s2 = ldexpl(1.0L, e - e / 2), dn = (ld)n;
    ld m1 = dev_pow_sum(x, n, mean, s1, s2, 1) / dn, r2 = dev_pow_sum(x, n, mean, s1, s2, 2) / dn;
    ld r3 = dev_pow_sum(x, n, mean, s1, s2, 3) / dn, m2 = r2 - m1 * m1;
    if (k == 3) return (r3 - 3 * m1 * r2 + 2 * m1 * m1 * m1) / (m2 * sqrtl(m2));
    ld r4 = dev_pow_sum(x, n, mean, s1, s2, 4) / dn;
    return (r4 - 4 * m1 * r3 + 6 * m1 * m1 * r2 - 3 * m1 * m1 * m1 * m1) / (m2 * m2);
}

/* D'Agostino (1970): transform sqrt(b1) to an approximately standard normal Z,
 *   Z = delta asinh(y / alpha),  delta = 1 / sqrt(log W),  alpha = sqrt(2 / (W^2 - 1)),
 *   W^2 = -1 + sqrt(2 (beta2 - 1)),  y = b sqrt((n+1)(n+3) / (6 (n-2))),
 * as scipy.stats.skewtest. The constants depend on n alone, so their rounding is not covered by the
 * condition number of Z in the data; they are written without cancellation: W^2 - 1 = sqrt(2(beta2-1)) - 2
 * as 2 (beta2 - 3) / (sqrt(2 (beta2 - 1)) + 2), with beta2 - 3 = 36 (n^3 - 5n^2 - 19n + 35) /
 * ((n-2)(n+5)(n+7)(n+9)) expanded by hand, log W^2 = log1p(W^2 - 1), and asinh for scipy's
 * log(u + sqrt(u^2 + 1)) (11 ulps of Z at n = 35 before, below 1 now). */
static ld skewtest_z(const double *x, size_t nn)
{
    ld n = (ld)nn;
    ld b2 = moment_ratio(x, nn, 3, lmp_stats_skewness(x, nn, 1));
    ld y = b2 * sqrtl(((n + 1) * (n + 3)) / (6.0L * (n - 2)));
    ld beta2m3 = 36.0L * (((n - 5) * n - 19) * n + 35) / ((n - 2.0L) * (n + 5) * (n + 7) * (n + 9));
    ld s = sqrtl(2.0L * (beta2m3 + 2.0L));             /* sqrt(2 (beta2 - 1)) */
    ld w2m1 = 2.0L * beta2m3 / (s + 2.0L);             /* W^2 - 1 */
    ld delta = 1 / sqrtl(0.5L * log1pl(w2m1));
    ld alpha = sqrtl(2.0L / w2m1);
    if (y == 0) y = 1;  /* scipy: y = where(y == 0, 1, y) */
    return delta * asinhl(y / alpha);
}

/* Anscombe & Glynn (1983) eqs. 1-5: Wilson-Hilferty cube root of a transformed b2. */
static ld kurtosistest_z(const double *x, size_t nn)
{
    ld n = (ld)nn;
    ld b2 = moment_ratio(x, nn, 4, lmp_stats_kurtosis(x, nn, 0, 1));
    ld E = 3.0L * (n - 1) / (n + 1);
    ld varb2 = 24.0L * n * (n - 2) * (n - 3) / ((n + 1) * (n + 1) * (n + 3) * (n + 5));    /* eq. 1 */
    ld xs = (b2 - E) / sqrtl(varb2);                                                      /* eq. 4 */
    ld sqrtbeta1 = 6.0L * (n * n - 5 * n + 2) / ((n + 7) * (n + 9)) *
                   sqrtl((6.0L * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3)));          /* eq. 2 */
    ld A = 6.0L + 8.0L / sqrtbeta1 * (2.0L / sqrtbeta1 + sqrtl(1 + 4.0L / (sqrtbeta1 * sqrtbeta1)));  /* eq. 3 */
    ld term1 = 1 - 2 / (9.0L * A);
    ld denom = 1 + xs * sqrtl(2 / (A - 4.0L));
    if (denom == 0.0L || isnan(denom)) return NAN;
    ld term2 = (denom > 0 ? 1.0L : -1.0L) * cbrtl((1 - 2.0L / A) / fabsl(denom));
    return (term1 - term2) / sqrtl(2 / (9.0L * A));                                      /* eq. 5 */
}

lmp_status lmp_stats_skewtest(const double *x, size_t n, lmp_test_result *out, lmp_error *err)
{
    if (n < 8)
        return lmp_error_set(err, LMP_EINVAL, "n = %zu: skewtest needs at least 8 observations", n);
    lmp_status st = check_finite("skewtest", x, n, out, err);
    if (st) return st;
    ld z = skewtest_z(x, n);
    out->statistic = (double)z;
    out->pvalue = two_sided_p(z);
    return LMP_OK;
}

lmp_status lmp_stats_kurtosistest(const double *x, size_t n, lmp_test_result *out, lmp_error *err)
{
    if (n < 5)
        return lmp_error_set(err, LMP_EINVAL, "n = %zu: kurtosistest needs at least 5 observations", n);
    lmp_status st = check_finite("kurtosistest", x, n, out, err);
    if (st) return st;
    ld z = kurtosistest_z(x, n);
    out->statistic = (double)z;
    out->pvalue = two_sided_p(z);
    return LMP_OK;
}

lmp_status lmp_stats_normaltest(const double *x, size_t n, lmp_test_result *out, lmp_error *err)
{
    if (n < 8)
        return lmp_error_set(err, LMP_EINVAL, "n = %zu: normaltest needs at least 8 observations", n);
    lmp_status st = check_finite("normaltest", x, n, out, err);
    if (st) return st;
    ld s = skewtest_z(x, n), k = kurtosistest_z(x, n), k2 = s * s + k * k;
    out->statistic = (double)k2;
    /* chi-square with 2 degrees of freedom: sf(k2) = exp(-k2/2) exactly (from the long double K^2). */
    out->pvalue = (double)expl(-k2 / 2);
    return LMP_OK;
}

/* ---- covariance ------------------------------------------------------------ */

/* Element (variable v, observation o) of X. */
static double at(const double *X, size_t cols, int rowvar, size_t v, size_t o)
{
    return rowvar ? X[v * cols + o] : X[o * cols + v];
}

/* Validates X and returns its k x m centred copy in *c (variable v's observations at c + v m; np.cov:
 * X -= X.mean(axis=1)), to be freed by the caller. */
static lmp_status centred_copy(const char *fn, const double *X, size_t rows, size_t cols, int rowvar, double ddof,
                               const double *out, double **c, lmp_error *err)
{
    size_t k = rowvar ? rows : cols, m = rowvar ? cols : rows;
    if (k == 0 || m == 0)
        return lmp_error_set(err, LMP_EINVAL, "X is %zu x %zu: expected at least one variable and one observation",
                             rows, cols);
    /* X's k x m doubles (the centred copy) and out's k x k must be countable in bytes: 2^40 x 2^40 wrapped
     * to a malloc of 0 bytes that the centring then overran. */
    if (lmp_array_too_large(k, m, sizeof(double)) || lmp_array_too_large(k, k, sizeof(double)))
        return lmp_error_set(err, LMP_ERANGE, "X is %zu x %zu: too large (its bytes or the %zu x %zu result's overflow "
                             "size_t)", rows, cols, k, k);
    if (check_arrays(fn, X, rows * cols, out, err)) return LMP_EINVAL;
    if (lmp_stats_ddof_check(m, ddof, err)) return LMP_EINVAL;
    for (size_t i = 0; i < rows * cols; i++)
        if (!isfinite(X[i]))
            return lmp_error_set(err, LMP_EINVAL, "X[%zu][%zu] = %g: expected a finite number", i / cols,
                                 i % cols, X[i]);
    double *r = malloc(k * m * sizeof *r);
    if (!r) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a %zu x %zu covariance", k, m);
    for (size_t v = 0; v < k; v++) {
        double *row = r + v * m;
        for (size_t o = 0; o < m; o++) row[o] = at(X, cols, rowvar, v, o);
        double mean = lmp_stats_mean(row, m);
        for (size_t o = 0; o < m; o++) row[o] -= mean;
    }
    *c = r;
    return LMP_OK;
}

/* out = c c^T / fact for the k x m centred copy c: one pass for each inner product. */
static void gram(const double *c, size_t k, size_t m, double fact, double *out)
{
    for (size_t i = 0; i < k; i++)
        for (size_t j = i; j < k; j++) {
            const double *a = c + i * m, *b = c + j * m;
            double s = 0.0;
            for (size_t o = 0; o < m; o++) s += a[o] * b[o];
            out[i * k + j] = out[j * k + i] = s / fact;
        }
}

lmp_status lmp_stats_cov(const double *X, size_t rows, size_t cols, int rowvar, double ddof, double *out,
                         lmp_error *err)
{
    size_t k = rowvar ? rows : cols, m = rowvar ? cols : rows;
    double *c;
    lmp_status st = centred_copy("cov", X, rows, cols, rowvar, ddof, out, &c, err);
    if (st) return st;
    gram(c, k, m, (double)m - ddof, out);
    free(c);
    return LMP_OK;
}

lmp_status lmp_stats_corr(const double *X, size_t rows, size_t cols, int rowvar, double *out, lmp_error *err)
{
    size_t k = rowvar ? rows : cols, m = rowvar ? cols : rows;
    if (m < 2)
        return lmp_error_set(err, LMP_EINVAL, "%zu observation(s): correlation needs at least 2", m);
    double *c;
    lmp_status st = centred_copy("corr", X, rows, cols, rowvar, 1.0, out, &c, err);
    if (st) return st;
    /* A correlation does not change when a variable is scaled, so each variable's deviations are scaled by
     * 2^-ilogb(max |d|) (largest in [1, 2)) before the inner products, as moments.c scales them for the
     * variance: deviations near 1e155 overflowed d^2 (the covariance inf, every r NaN: seed 22 of the accuracy
     * suite), and near 1e-160 the products were subnormal, with fewer than 53 bits. ldexp by a power of two is
     * exact wherever the result stays normal, so in between the bits are those of the unscaled products
     * (np.corrcoef's); the only roundings added are of deviations below 2^-1022 of a variable's largest,
     * whose share of its inner products is below u. */
    for (size_t v = 0; v < k; v++) {
        double *row = c + v * m, big = 0.0;
        for (size_t o = 0; o < m; o++)
            if (fabs(row[o]) > big) big = fabs(row[o]);
        if (!(big > 0)) continue; /* a constant variable: sd 0, its r NaN as numpy's */
        int e = ilogb(big);
        for (size_t o = 0; o < m; o++) row[o] = ldexp(row[o], -e);
    }
    gram(c, k, m, (double)m - 1.0, out);
    free(c);
    double *sd = malloc(k * sizeof *sd);
    if (!sd) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    for (size_t i = 0; i < k; i++) sd[i] = sqrt(out[i * k + i]);
    /* np.corrcoef divides by stddev[:, None] and then by stddev[None, :]. */
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++) {
            double r = out[i * k + j] / sd[i] / sd[j];
            if (r > 1) r = 1;
            if (r < -1) r = -1;
            out[i * k + j] = r;
        }
    free(sd);
    return LMP_OK;
}
