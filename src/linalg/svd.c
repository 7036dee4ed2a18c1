/* Truncated-SVD least squares and numpy-compatible polyfit (see linalg.h).
 *
 * One-sided Jacobi SVD (Hestenes 1958; Demmel & Veselic 1992): rotate pairs of
 * columns of A until all are orthogonal; then A = U S V^T with S the column
 * norms. It computes small singular values to high relative accuracy, which is
 * what the rank decision s_i <= rcond * s_max needs. Accumulated in long double. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "linalg_internal.h"
#include "lmprob/linalg.h"

lmp_status lmp_linalg_lstsq_svd(const double *A, size_t m, size_t n, const double *b, double rcond, double *x,
                                size_t *rank, lmp_error *err)
{
    lmp_status st = lmp_linalg_check_lstsq_("lstsq_svd", A, m, n, b, x, err);
    if (st) return st;
    if (!(rcond > 0)) rcond = (double)m * DBL_EPSILON;  /* numpy's default for polyfit: len(x) * eps */
    long double *u = malloc((m * n + n * n + n) * sizeof *u);
    if (!u) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a %zu x %zu SVD", m, n);
    long double *v = u + m * n, *s = v + n * n;
    for (size_t i = 0; i < m * n; i++) u[i] = A[i];
    for (size_t i = 0; i < n * n; i++) v[i] = (i / n == i % n);
    /* Sweep until every pair is orthogonal to working precision. */
    for (int sweep = 0; sweep < 100; sweep++) {
        int rotated = 0;
        for (size_t p = 0; p + 1 < n; p++)
            for (size_t q = p + 1; q < n; q++) {
                long double alpha = 0, beta = 0, gamma = 0;
                for (size_t i = 0; i < m; i++) {
                    long double up = u[i * n + p], uq = u[i * n + q];
                    alpha += up * up;
                    beta += uq * uq;
                    gamma += up * uq;
                }
                if (gamma == 0 || fabsl(gamma) <= LDBL_EPSILON * sqrtl(alpha * beta)) continue;
                rotated = 1;
                /* The rotation that zeroes the (p, q) entry of A^T A (Golub & Van Loan alg. 8.5.1). */
                long double zeta = (beta - alpha) / (2 * gamma);
                long double t = (zeta >= 0 ? 1 : -1) / (fabsl(zeta) + sqrtl(1 + zeta * zeta));
                long double c = 1 / sqrtl(1 + t * t), sn = c * t;
                for (size_t i = 0; i < m; i++) {
                    long double up = u[i * n + p], uq = u[i * n + q];
                    u[i * n + p] = c * up - sn * uq;
                    u[i * n + q] = sn * up + c * uq;
                }
                for (size_t i = 0; i < n; i++) {
                    long double vp = v[i * n + p], vq = v[i * n + q];
                    v[i * n + p] = c * vp - sn * vq;
                    v[i * n + q] = sn * vp + c * vq;
                }
            }
        if (!rotated) break;
    }
    long double smax = 0;
    for (size_t j = 0; j < n; j++) {
        long double t = 0;
        for (size_t i = 0; i < m; i++) t += u[i * n + j] * u[i * n + j];
        s[j] = sqrtl(t);
        if (s[j] > smax) smax = s[j];
    }
    /* x = V S^+ U^T b, dropping s_j <= rcond * s_max (LAPACK gelsd's rule). */
    size_t r = 0;
    long double xs[LMP_LINALG_POLY_MAX_DEGREE + 1];
    long double *xx = n <= LMP_LINALG_POLY_MAX_DEGREE + 1 ? xs : malloc(n * sizeof *xx);
    if (!xx) {
        free(u);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < n; k++) xx[k] = 0;
    for (size_t j = 0; j < n; j++) {
        if (!(s[j] > (long double)rcond * smax) || s[j] == 0) continue;
        r++;
        long double dot = 0;
        for (size_t i = 0; i < m; i++) dot += u[i * n + j] * b[i];  /* (A v_j) . b = s_j u_j . b */
        long double coef = dot / (s[j] * s[j]);
        for (size_t k = 0; k < n; k++) xx[k] += coef * v[k * n + j];
    }
    for (size_t k = 0; k < n; k++) x[k] = (double)xx[k];
    if (xx != xs) free(xx);
    free(u);
    if (rank) *rank = r;
    return LMP_OK;
}

lmp_status lmp_linalg_polyfit_numpy(const double *x, const double *y, size_t n, size_t deg, double *coef,
                                    size_t *rank, lmp_error *err)
{
    lmp_status st = lmp_linalg_check_points_("polyfit_numpy", x, y, n, deg, coef, err);
    if (st) return st;
    size_t p = deg + 1;
    double *a = malloc(n * p * sizeof *a);
    if (!a) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a %zu x %zu fit", n, p);
    double scale[LMP_LINALG_POLY_MAX_DEGREE + 1];
    /* np.vander(x, p): column j holds x^(p-1-j); numpy forms the powers by
     * cumulative products (np.multiply.accumulate), x * x * ... left to right. */
    for (size_t i = 0; i < n; i++) {
        double pw = 1.0;
        a[i * p + p - 1] = 1.0;
        for (size_t j = 1; j < p; j++) {
            pw *= x[i];
            a[i * p + p - 1 - j] = pw;
        }
    }
    for (size_t j = 0; j < p; j++) {
        double ss = 0;
        for (size_t i = 0; i < n; i++) ss += a[i * p + j] * a[i * p + j];
        scale[j] = sqrt(ss);
        if (scale[j] == 0) scale[j] = 1;  /* an all-zero column stays zero and gets coefficient 0 */
        for (size_t i = 0; i < n; i++) a[i * p + j] /= scale[j];
    }
    st = lmp_linalg_lstsq_svd(a, n, p, y, (double)n * DBL_EPSILON, coef, rank, err);
    free(a);
    if (st) return st;
    for (size_t j = 0; j < p; j++) coef[j] /= scale[j];
    return LMP_OK;
}
