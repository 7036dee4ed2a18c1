/* Byte counts of the caller's arrays, checked (library-internal). */
#ifndef LMPROB_CORE_SIZES_H
#define LMPROB_CORE_SIZES_H

#include <stddef.h>

/* Whether rows x cols elements of `size` bytes overflow size_t. No caller can hold such an array,
 * and the index i * cols + j of one would wrap: the functions taking a rows x cols array return
 * LMP_ERANGE then, before they read it (lmp_linalg_cholesky with n = 2^33 wrote far past A). */
static inline int lmp_array_too_large(size_t rows, size_t cols, size_t size)
{
    size_t n;
    return __builtin_mul_overflow(rows, cols, &n) || __builtin_mul_overflow(n, size, &n);
}

#endif
