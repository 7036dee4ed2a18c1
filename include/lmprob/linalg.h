/* lmprob linalg: small dense least squares (Householder QR), Cholesky, and
 * polynomial least-squares fits.
 *
 * Matrices are row-major, caller-owned. These are for the small systems of the
 * chapter (polynomial fits of degree <= 32, covariance factors), not for BLAS-
 * sized work. An array or output that is NULL where values are read or written
 * is LMP_EINVAL naming it (after the checks of the sizes); lmp_linalg_polyval
 * and lmp_linalg_poly_eval give NaN for a NULL coef or fit.
 *
 * Polynomial fits: np.polyfit solves the Vandermonde system in the monomial
 * basis (with column scaling and an SVD). For degree 15 on [0, 1] that matrix
 * has condition number ~5e11, so the monomial coefficients carry only ~5 correct
 * digits whatever the method, and evaluating them with Horner loses more (numpy's
 * polyval(polyfit(x, y, 15), x) is off by 1.4e-7). lmprob instead fits in the
 * Chebyshev basis on the data's range mapped to [-1, 1] (condition number
 * ~1e2 here), by Householder QR in long double, and keeps that representation:
 * lmp_linalg_poly_eval evaluates it by Clenshaw's recurrence (accurate to ~1e-15
 * of the data scale), and lmp_linalg_poly_coef converts to monomial coefficients
 * (numpy's order, highest power first) only when asked. */
#ifndef LMPROB_LINALG_H
#define LMPROB_LINALG_H

#include <stddef.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

/* Largest polynomial degree lmp_linalg_poly_fit accepts. */
#define LMP_LINALG_POLY_MAX_DEGREE 32

/* A fitted polynomial (caller-owned POD; read-only once fitted, so shareable across
 * threads): sum_k cheb[k] T_k(t),
 * t = (2x - (lo + hi)) / (hi - lo). */
typedef struct lmp_linalg_poly {
    size_t deg;
    double lo, hi;
    long double cheb[LMP_LINALG_POLY_MAX_DEGREE + 1];
} lmp_linalg_poly;

/* Least-squares fit of degree deg to the n points (x[i], y[i]).
 * Errors: LMP_EINVAL when deg >= n ("degree 5 needs at least 6 points"), when a
 * value is NaN/inf; LMP_EUNSUPPORTED when deg > LMP_LINALG_POLY_MAX_DEGREE;
 * LMP_ESINGULAR when x has fewer than deg + 1 distinct values (the columns are
 * linearly dependent). */
LMP_API lmp_status lmp_linalg_poly_fit(const double *x, const double *y, size_t n, size_t deg, lmp_linalg_poly *fit,
                                       lmp_error *err);
/* The fitted polynomial at x (any x; outside [lo, hi] it extrapolates). */
LMP_API double lmp_linalg_poly_eval(const lmp_linalg_poly *fit, double x);
/* Monomial coefficients, highest power first: coef[0] x^deg + ... + coef[deg].
 * LMP_ERANGE when one is beyond the doubles (coef is written, with the
 * infinities; the fit's values, lmp_linalg_poly_eval, are finite). */
LMP_API lmp_status lmp_linalg_poly_coef(const lmp_linalg_poly *fit, double *coef /* deg + 1 */, lmp_error *err);

/* np.polyfit(x, y, deg): monomial coefficients, highest power first (deg + 1).
 * Errors as lmp_linalg_poly_fit and lmp_linalg_poly_coef. */
LMP_API lmp_status lmp_linalg_polyfit(const double *x, const double *y, size_t n, size_t deg, double *coef,
                                      lmp_error *err);
/* np.polyval: Horner's rule on coef[0..deg] (highest power first). */
LMP_API double lmp_linalg_polyval(const double *coef, size_t deg, double x);

/* Least squares min ||A x - b||_2 for A m x n (m >= n, full column rank) by
 * Householder QR (Golub & Van Loan, Matrix Computations, 4th ed., alg. 5.2.1
 * and 5.3.2), accumulated in long double. A and b are not modified; x has n
 * entries. LMP_EINVAL when m < n or a value is not finite, LMP_ESINGULAR when a
 * column is (numerically) a combination of the others. */
LMP_API lmp_status lmp_linalg_lstsq(const double *A, size_t m, size_t n, const double *b, double *x, lmp_error *err);

/* In-place Cholesky factor A = L L^T of a symmetric positive-definite n x n
 * matrix (lower triangle read; on return the lower triangle holds L and the
 * strict upper triangle is zeroed). LMP_ESINGULAR when A is not positive
 * definite (names the pivot). */
LMP_API lmp_status lmp_linalg_cholesky(double *A, size_t n, lmp_error *err);

/* Least squares by singular value decomposition (one-sided Jacobi), treating
 * singular values s_i <= rcond * s_max as zero and returning the minimum-norm
 * solution among the remaining directions (LAPACK dgelsd's rule, as
 * np.linalg.lstsq). rcond <= 0 means m * DBL_EPSILON. *rank (may be NULL) gets
 * the number of singular values kept. Errors as lmp_linalg_lstsq, never
 * LMP_ESINGULAR. */
LMP_API lmp_status lmp_linalg_lstsq_svd(const double *A, size_t m, size_t n, const double *b, double rcond, double *x,
                                        size_t *rank, lmp_error *err);

/* np.polyfit exactly as numpy computes it: monomial Vandermonde, columns scaled
 * to unit norm, truncated-SVD least squares with rcond = n * DBL_EPSILON. Where
 * the scaled Vandermonde matrix is numerically rank deficient (*rank < deg + 1,
 * numpy's RankWarning) this is a regularised fit, not the least-squares
 * polynomial; use it to reproduce numpy, lmp_linalg_poly_fit for the exact fit. */
LMP_API lmp_status lmp_linalg_polyfit_numpy(const double *x, const double *y, size_t n, size_t deg, double *coef,
                                            size_t *rank, lmp_error *err);

LMP_EXTERN_C_END

#endif /* LMPROB_LINALG_H */
