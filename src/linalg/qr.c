/* Householder QR least squares and Cholesky (see linalg.h).
 *
 * Householder QR is backward stable for least squares (Higham 2002, thm. 20.3):
 * unlike the normal equations it does not square the condition number. The
 * working precision is long double (64-bit significand on x86-64), which buys
 * ~3 more digits for the ill-conditioned fits of the chapter at no real cost. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "lmprob/linalg.h"
#include "linalg_internal.h"
#include "../core/sizes.h"

int lmp_linalg_qr_solve_ld_(long double *a, size_t m, size_t n, long double *b, long double *x, long double rtol)
{
    long double maxnorm = 0;
    for (size_t j = 0; j < n; j++) {
        long double s = 0;
        for (size_t i = 0; i < m; i++) s += a[i * n + j] * a[i * n + j];
        if (sqrtl(s) > maxnorm) maxnorm = sqrtl(s);
    }
    for (size_t k = 0; k < n; k++) {
        /* Householder vector v for column k below the diagonal: (I - 2vv^T/v^Tv) maps it onto e_k. */
        long double norm = 0;
        for (size_t i = k; i < m; i++) norm += a[i * n + k] * a[i * n + k];
        norm = sqrtl(norm);
        if (norm <= rtol * maxnorm || norm == 0) return -1 - (int)k;
        long double alpha = a[k * n + k] > 0 ? -norm : norm;  /* sign avoids cancellation in v_k */
        a[k * n + k] -= alpha;                                /* v = column - alpha e_k, stored in place */
        long double vtv = 0;
        for (size_t i = k; i < m; i++) vtv += a[i * n + k] * a[i * n + k];
        for (size_t j = k + 1; j < n; j++) {
            long double s = 0;
            for (size_t i = k; i < m; i++) s += a[i * n + k] * a[i * n + j];
            s = 2 * s / vtv;
            for (size_t i = k; i < m; i++) a[i * n + j] -= s * a[i * n + k];
        }
        long double s = 0;
        for (size_t i = k; i < m; i++) s += a[i * n + k] * b[i];
        s = 2 * s / vtv;
        for (size_t i = k; i < m; i++) b[i] -= s * a[i * n + k];
        a[k * n + k] = alpha;  /* R_kk; the rest of column k is no longer needed */
        if (fabsl(alpha) <= rtol * maxnorm) return -1 - (int)k;
    }
    /* Back substitution R x = (Q^T b)[0..n). */
    for (size_t kk = n; kk-- > 0;) {
        long double s = b[kk];
        for (size_t j = kk + 1; j < n; j++) s -= a[kk * n + j] * x[j];
        x[kk] = s / a[kk * n + kk];
    }
    return 0;
}

lmp_status lmp_linalg_check_lstsq_(const char *fn, const double *A, size_t m, size_t n, const double *b,
                                   const double *x, lmp_error *err)
{
    if (n == 0 || m < n)
        return lmp_error_set(err, LMP_EINVAL, "A is %zu x %zu: expected at least as many rows as columns (>= 1)",
                             m, n);
    /* lstsq's copy holds m n + m + n long doubles and lstsq_svd's m n + n n + n: both at most 2 m (n + 1) */
    if (n >= SIZE_MAX / 2 || lmp_array_too_large(m, n + 1, 2 * sizeof(long double)))
        return lmp_error_set(err, LMP_ERANGE, "%s: A is %zu x %zu: too large (its bytes overflow size_t)", fn, m, n);
    if (!A || !b || !x) /* m >= n >= 1 here */
        return lmp_error_set(err, LMP_EINVAL, "%s: %s is NULL (A is %zu x %zu): expected an array of %zu values", fn,
                             !A ? "A" : !b ? "b" : "x", m, n, !A ? m * n : !b ? m : n);
    for (size_t i = 0; i < m * n; i++)
        if (!isfinite(A[i]))
            return lmp_error_set(err, LMP_EINVAL, "A[%zu][%zu] = %g: expected a finite number", i / n, i % n, A[i]);
    for (size_t i = 0; i < m; i++)
        if (!isfinite(b[i])) return lmp_error_set(err, LMP_EINVAL, "b[%zu] = %g: expected a finite number", i, b[i]);
    return LMP_OK;
}

lmp_status lmp_linalg_lstsq(const double *A, size_t m, size_t n, const double *b, double *x, lmp_error *err)
{
    lmp_status st = lmp_linalg_check_lstsq_("lstsq", A, m, n, b, x, err);
    if (st) return st;
    long double *a = malloc((m * n + m + n) * sizeof *a);
    if (!a) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a %zu x %zu least-squares problem", m, n);
    long double *bb = a + m * n, *xx = bb + m;
    for (size_t i = 0; i < m * n; i++) a[i] = A[i];
    for (size_t i = 0; i < m; i++) bb[i] = b[i];
    /* 100 m eps (double) relative to the largest column: dependent to double precision. */
    int rc = lmp_linalg_qr_solve_ld_(a, m, n, bb, xx, 100.0L * (long double)m * DBL_EPSILON);
    if (rc) {
        free(a);
        return lmp_error_set(err, LMP_ESINGULAR,
                             "column %d of A is (numerically) a linear combination of the previous ones: "
                             "expected full column rank",
                             -rc - 1);
    }
    for (size_t j = 0; j < n; j++) x[j] = (double)xx[j];
    free(a);
    return LMP_OK;
}

lmp_status lmp_linalg_cholesky(double *A, size_t n, lmp_error *err)
{
    if (lmp_array_too_large(n, n, sizeof(double)))
        return lmp_error_set(err, LMP_ERANGE, "cholesky: A is %zu x %zu: too large (its bytes overflow size_t)", n, n);
    if (!A && n) return lmp_error_set(err, LMP_EINVAL, "cholesky: A is NULL (n = %zu): expected an n x n matrix", n);
    /* Cholesky-Banachiewicz, row by row; pivots accumulated in long double. */
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j <= i; j++) {
            long double s = A[i * n + j];
            for (size_t k = 0; k < j; k++) s -= (long double)A[i * n + k] * A[j * n + k];
            if (i == j) {
                if (!(s > 0))
                    return lmp_error_set(err, LMP_ESINGULAR,
                                         "pivot %zu = %Lg: expected a symmetric positive-definite matrix", i, s);
                A[i * n + i] = (double)sqrtl(s);
            } else {
                A[i * n + j] = (double)(s / A[j * n + j]);
            }
        }
        for (size_t j = i + 1; j < n; j++) A[i * n + j] = 0.0;
    }
    return LMP_OK;
}
