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
#include <stdlib.h>

#include "lmprob/stats.h"

/* Two-sided normal p-value 2 P(Z > |z|) = erfc(|z|/sqrt 2): no 1 - cdf cancellation. */
static double two_sided_p(double z)
{
    return erfc(fabs(z) / M_SQRT2);
}

static lmp_status check_finite(const double *x, size_t n, lmp_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return lmp_error_set(err, LMP_EINVAL, "x[%zu] = %g: expected finite data", i, x[i]);
    return LMP_OK;
}

/* D'Agostino (1970): transform sqrt(b1) to an approximately standard normal Z. */
static double skewtest_z(const double *x, size_t nn)
{
    double n = (double)nn;
    double b2 = lmp_stats_skewness(x, nn, 1);
    double y = b2 * sqrt(((n + 1) * (n + 3)) / (6.0 * (n - 2)));
    double beta2 = (3.0 * (n * n + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2.0) * (n + 5) * (n + 7) * (n + 9)));
    double W2 = -1 + sqrt(2 * (beta2 - 1));
    double delta = 1 / sqrt(0.5 * log(W2));
    double alpha = sqrt(2.0 / (W2 - 1));
    if (y == 0) y = 1;  /* scipy: y = where(y == 0, 1, y) */
    return delta * log(y / alpha + sqrt((y / alpha) * (y / alpha) + 1));
}

/* Anscombe & Glynn (1983) eqs. 1-5: Wilson-Hilferty cube root of a transformed b2. */
static double kurtosistest_z(const double *x, size_t nn)
{
    double n = (double)nn;
    double b2 = lmp_stats_kurtosis(x, nn, 0, 1);
    double E = 3.0 * (n - 1) / (n + 1);
    double varb2 = 24.0 * n * (n - 2) * (n - 3) / ((n + 1) * (n + 1.) * (n + 3) * (n + 5));  /* eq. 1 */
    double xs = (b2 - E) / sqrt(varb2);                                                     /* eq. 4 */
    double sqrtbeta1 = 6.0 * (n * n - 5 * n + 2) / ((n + 7) * (n + 9)) *
                       sqrt((6.0 * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3)));          /* eq. 2 */
    double A = 6.0 + 8.0 / sqrtbeta1 * (2.0 / sqrtbeta1 + sqrt(1 + 4.0 / (sqrtbeta1 * sqrtbeta1)));  /* eq. 3 */
    double term1 = 1 - 2 / (9.0 * A);
    double denom = 1 + xs * sqrt(2 / (A - 4.0));
    if (denom == 0.0 || isnan(denom)) return NAN;
    double term2 = (denom > 0 ? 1.0 : -1.0) * pow((1 - 2.0 / A) / fabs(denom), 1 / 3.0);
    return (term1 - term2) / sqrt(2 / (9.0 * A));                                          /* eq. 5 */
}

lmp_status lmp_stats_skewtest(const double *x, size_t n, lmp_test_result *out, lmp_error *err)
{
    if (n < 8)
        return lmp_error_set(err, LMP_EINVAL, "n = %zu: skewtest needs at least 8 observations", n);
    lmp_status st = check_finite(x, n, err);
    if (st) return st;
    out->statistic = skewtest_z(x, n);
    out->pvalue = two_sided_p(out->statistic);
    return LMP_OK;
}

lmp_status lmp_stats_kurtosistest(const double *x, size_t n, lmp_test_result *out, lmp_error *err)
{
    if (n < 5)
        return lmp_error_set(err, LMP_EINVAL, "n = %zu: kurtosistest needs at least 5 observations", n);
    lmp_status st = check_finite(x, n, err);
    if (st) return st;
    out->statistic = kurtosistest_z(x, n);
    out->pvalue = two_sided_p(out->statistic);
    return LMP_OK;
}

lmp_status lmp_stats_normaltest(const double *x, size_t n, lmp_test_result *out, lmp_error *err)
{
    if (n < 8)
        return lmp_error_set(err, LMP_EINVAL, "n = %zu: normaltest needs at least 8 observations", n);
    lmp_status st = check_finite(x, n, err);
    if (st) return st;
    double s = skewtest_z(x, n), k = kurtosistest_z(x, n);
    out->statistic = s * s + k * k;
    /* chi-square with 2 degrees of freedom: sf(k2) = exp(-k2/2) exactly. */
    out->pvalue = exp(-out->statistic / 2);
    return LMP_OK;
}

/* ---- covariance ------------------------------------------------------------ */

/* Element (variable v, observation o) of X. */
static double at(const double *X, size_t cols, int rowvar, size_t v, size_t o)
{
    return rowvar ? X[v * cols + o] : X[o * cols + v];
}

lmp_status lmp_stats_cov(const double *X, size_t rows, size_t cols, int rowvar, double ddof, double *out,
                         lmp_error *err)
{
    size_t k = rowvar ? rows : cols, m = rowvar ? cols : rows;
    if (k == 0 || m == 0)
        return lmp_error_set(err, LMP_EINVAL, "X is %zu x %zu: expected at least one variable and one observation",
                             rows, cols);
    if (!(ddof >= 0) || (double)m - ddof <= 0)
        return lmp_error_set(err, LMP_EINVAL, "ddof = %g with %zu observations: expected ddof < observations",
                             ddof, m);
    for (size_t i = 0; i < rows * cols; i++)
        if (!isfinite(X[i]))
            return lmp_error_set(err, LMP_EINVAL, "X[%zu][%zu] = %g: expected a finite number", i / cols,
                                 i % cols, X[i]);
    /* Centre each variable (np.cov: X -= X.mean(axis=1)), then X X^T / (m - ddof).
     * One centred copy of the data keeps the inner products to one pass each. */
    double *c = malloc(k * m * sizeof *c);
    if (!c) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a %zu x %zu covariance", k, m);
    for (size_t v = 0; v < k; v++) {
        double *row = c + v * m;
        for (size_t o = 0; o < m; o++) row[o] = at(X, cols, rowvar, v, o);
        double mean = lmp_stats_mean(row, m);
        for (size_t o = 0; o < m; o++) row[o] -= mean;
    }
    double fact = (double)m - ddof;
    for (size_t i = 0; i < k; i++)
        for (size_t j = i; j < k; j++) {
            const double *a = c + i * m, *b = c + j * m;
            double s = 0.0;
            for (size_t o = 0; o < m; o++) s += a[o] * b[o];
            out[i * k + j] = out[j * k + i] = s / fact;
        }
    free(c);
    return LMP_OK;
}

lmp_status lmp_stats_corr(const double *X, size_t rows, size_t cols, int rowvar, double *out, lmp_error *err)
{
    size_t k = rowvar ? rows : cols, m = rowvar ? cols : rows;
    if (m < 2)
        return lmp_error_set(err, LMP_EINVAL, "%zu observation(s): correlation needs at least 2", m);
    lmp_status st = lmp_stats_cov(X, rows, cols, rowvar, 1.0, out, err);
    if (st) return st;
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
