/* lmprob stats: moments, covariance/correlation, skewness/kurtosis and the
 * D'Agostino normality tests, with numpy/scipy conventions.
 *
 * Conventions
 *  - Sums use numpy's pairwise summation (blocks of 128 with 8 partial sums,
 *    halves split at a multiple of 8), so the rounding error grows as
 *    O(eps log n) instead of O(eps n). Up to 8192 values lmp_stats_sum/mean/
 *    variance give the same bits as np.sum/np.mean/np.var on a contiguous
 *    array; beyond that numpy adds its 8192-value buffers one after another
 *    (O(eps n / 8192)), lmprob keeps pairing, so the last bits may differ and
 *    lmprob's are the more accurate (docs/stats.md has the measurement).
 *  - Variance is two-pass, m = sum(x)/n then sum((x-m)^2)/(n-ddof) as np.var,
 *    on cache-sized blocks of 8192 that are merged pairwise with Chan, Golub &
 *    LeVeque's update: one pass over memory, same accuracy.
 *  - Scalar functions return NaN on a domain error (n == 0, n - ddof <= 0, ...);
 *    they never allocate. Functions that need checking return lmp_status.
 *  - Arrays are read-only unless the name says "out".
 *  - An array that is NULL while its length is above 0 is refused: NaN from the
 *    scalar functions, LMP_EINVAL naming it (or a NULL out) from the others;
 *    lmp_moments_add_array with a NULL x or m adds nothing. NULL with length 0
 *    is the empty array (lmp_stats_sum(NULL, 0) = 0).
 *
 * Skewness/kurtosis follow scipy.stats.skew/kurtosis (bias, fisher); the tests
 * follow scipy.stats.skewtest (D'Agostino 1970), kurtosistest (Anscombe & Glynn
 * 1983) and normaltest (D'Agostino & Pearson 1973), two-sided. */
#ifndef LMPROB_STATS_H
#define LMPROB_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

/* ---- one-shot moments (x: n values) ---------------------------------------- */

/* Pairwise sum (numpy's order). 0 for n == 0. */
LMP_API double lmp_stats_sum(const double *x, size_t n);
/* Arithmetic mean; NaN for n == 0. np.mean's bits, except where its sum
 * overflows though every value is finite ([1e308, 1e308]: inf there, 1e308
 * here, computed on the data scaled by a power of two). */
LMP_API double lmp_stats_mean(const double *x, size_t n);
/* Variance with divisor n - ddof (ddof = 0: population, 1: sample), as np.var.
 * NaN when n - ddof <= 0 or ddof < 0. */
LMP_API double lmp_stats_variance(const double *x, size_t n, double ddof);
/* sqrt(lmp_stats_variance). */
LMP_API double lmp_stats_stddev(const double *x, size_t n, double ddof);
/* LMP_EINVAL unless 0 <= ddof < n ("ddof = 2 with 2 observations: expected ddof < observations"):
 * the domain of the two functions above and of lmp_stats_cov, checked once at a boundary. */
LMP_API lmp_status lmp_stats_ddof_check(size_t n, double ddof, lmp_error *err);
/* k-th central moment mean((x - mean)^k) for k = 2, 3, 4 (scipy.stats.moment);
 * NaN for n == 0 or another k. */
LMP_API double lmp_stats_central_moment(const double *x, size_t n, int k);
/* scipy.stats.skew(x, bias): m3 / m2^1.5, and with bias = 0 (n > 2) the
 * adjusted Fisher-Pearson G1 = sqrt(n(n-1))/(n-2) g1. NaN for n == 0 and for
 * (numerically) constant data, as scipy. */
LMP_API double lmp_stats_skewness(const double *x, size_t n, int bias);
/* scipy.stats.kurtosis(x, fisher, bias): m4/m2^2 (- 3 when fisher), and with
 * bias = 0 (n > 3) the unbiased G2. NaN for n == 0 or constant data. */
LMP_API double lmp_stats_kurtosis(const double *x, size_t n, int fisher, int bias);

/* ---- normality tests ---------------------------------------------------- */

typedef struct lmp_test_result {
    double statistic;   /* the z score (skewtest, kurtosistest) or K^2 (normaltest) */
    double pvalue;      /* two-sided: 2 P(Z > |z|); normaltest: chi2(2) sf = exp(-K^2/2) */
} lmp_test_result;

/* D'Agostino (1970) skewness test. Needs n >= 8 (LMP_EINVAL otherwise) and
 * finite data. Constant data give NaN statistic and p-value (as scipy). */
LMP_API lmp_status lmp_stats_skewtest(const double *x, size_t n, lmp_test_result *out, lmp_error *err);
/* Anscombe & Glynn (1983) kurtosis test. Needs n >= 5 (scipy warns below 20). */
LMP_API lmp_status lmp_stats_kurtosistest(const double *x, size_t n, lmp_test_result *out, lmp_error *err);
/* D'Agostino & Pearson (1973) omnibus test K^2 = z_skew^2 + z_kurt^2, n >= 8. */
LMP_API lmp_status lmp_stats_normaltest(const double *x, size_t n, lmp_test_result *out, lmp_error *err);

/* ---- covariance and correlation ----------------------------------------------
 * X is row-major rows x cols. With rowvar != 0 (numpy's default) each row is a
 * variable and each column an observation; with rowvar == 0 the reverse.
 * out is k x k, k = number of variables. */

/* np.cov(X, rowvar, ddof): divisor (observations - ddof). LMP_EINVAL when there
 * are no variables/observations or observations - ddof <= 0, or X has a NaN/inf;
 * LMP_ERANGE when the bytes of X or of the k x k result overflow size_t. */
LMP_API lmp_status lmp_stats_cov(const double *X, size_t rows, size_t cols, int rowvar, double ddof, double *out,
                                 lmp_error *err);
/* np.corrcoef(X, rowvar): cov / (s_i s_j), clipped to [-1, 1]. A constant
 * variable gives NaN in its row and column (as numpy). */
LMP_API lmp_status lmp_stats_corr(const double *X, size_t rows, size_t cols, int rowvar, double *out, lmp_error *err);

/* ---- streaming moments (Welford 1962; Chan, Golub & LeVeque 1979; Pebay 2008) --
 * A caller-owned POD. Add values one at a time or in arrays, in any order, on
 * any number of accumulators, and merge them: the result equals one pass over
 * all the data up to rounding. */
/* Thread safety: an accumulator belongs to one thread; merge per-thread accumulators
 * with lmp_moments_merge. */
/* The sums are kept in units of 2^scale_log2, chosen from the data's spread, so that the fourth powers
 * neither overflow nor underflow for data anywhere in the doubles (read them through the functions below).
 * The mean is mean + mean_lo 2^scale_log2: the part a double cannot hold is carried, so that it is the
 * data's mean to an ulp or so however many values were added, and subnormal data keep their digits. */
typedef struct lmp_moments {
    uint64_t n;
    double mean;
    double mean_lo;      /* the rest of the mean, in units of 2^scale_log2 */
    double m2, m3, m4;   /* sums of ((x - mean) / 2^scale_log2)^k, k = 2, 3, 4 */
    int scale_log2;
    double min, max;
} lmp_moments;

LMP_API void lmp_moments_init(lmp_moments *m);
LMP_API void lmp_moments_add(lmp_moments *m, double x);
LMP_API void lmp_moments_add_array(lmp_moments *m, const double *x, size_t n);
/* a <- a merged with b (b unchanged; a == b allowed). */
LMP_API void lmp_moments_merge(lmp_moments *a, const lmp_moments *b);
LMP_API double lmp_moments_mean(const lmp_moments *m);                       /* NaN when empty */
LMP_API double lmp_moments_variance(const lmp_moments *m, double ddof);       /* NaN when n - ddof <= 0 */
LMP_API double lmp_moments_skewness(const lmp_moments *m, int bias);          /* as lmp_stats_skewness */
LMP_API double lmp_moments_kurtosis(const lmp_moments *m, int fisher, int bias);

LMP_EXTERN_C_END

#endif /* LMPROB_STATS_H */
