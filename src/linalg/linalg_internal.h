/* Internal to src/linalg: not part of the public API. */
#ifndef LMPROB_LINALG_INTERNAL_H
#define LMPROB_LINALG_INTERNAL_H

#include <stddef.h>

/* QR-solve the m x n least-squares system held in a (row-major, long double,
 * overwritten) with right-hand side b (overwritten); x gets n values. Column k
 * is declared dependent when |R_kk| <= rtol * max_j ||A_j||. Returns -1 - k for
 * the first dependent column k, or 0. */
int lmp_linalg_qr_solve_ld_(long double *a, size_t m, size_t n, long double *b, long double *x, long double rtol);

#endif
