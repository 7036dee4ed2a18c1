/* Internal to src/linalg: not part of the public API. */
#ifndef LMPROB_LINALG_INTERNAL_H
#define LMPROB_LINALG_INTERNAL_H

#include <stddef.h>

#include "lmprob/core.h"

/* QR-solve the m x n least-squares system held in a (row-major, long double,
 * overwritten) with right-hand side b (overwritten); x gets n values. Column k
 * is declared dependent when |R_kk| <= rtol * max_j ||A_j||. Returns -1 - k for
 * the first dependent column k, or 0. */
int lmp_linalg_qr_solve_ld_(long double *a, size_t m, size_t n, long double *b, long double *x, long double rtol);

/* The shared checks of the least-squares solvers (qr.c, svd.c): A is m x n with m >= n >= 1,
 * A, b and x not NULL, A and b finite. And of the polynomial fits (poly.c, svd.c):
 * deg <= LMP_LINALG_POLY_MAX_DEGREE, n > deg points, x, y and out not NULL. LMP_OK, or the
 * status with err set naming the value (a NULL array by fn, the function's name). */
lmp_status lmp_linalg_check_lstsq_(const char *fn, const double *A, size_t m, size_t n, const double *b,
                                   const double *x, lmp_error *err);
lmp_status lmp_linalg_check_points_(const char *fn, const double *x, const double *y, size_t n, size_t deg,
                                    const void *out, lmp_error *err);

#endif
