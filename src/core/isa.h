/* Which vector kernels a build compiles, one rule for every module that has them
 * (src/sample/kernels.c, src/info/vmath.c, src/gpt2/kernels*.c, src/core/vexpf.h). Which of
 * them runs is decided at run time from the CPU and passed per object or per call; no level
 * is kept in the process.
 *   LMP_ISA_X86     the x86-64 kernels (AVX2 + FMA, AVX-512): GCC or clang on x86-64, whose
 *                   per-function target attributes let one library carry every level and still
 *                   run on any x86-64; elsewhere (aarch64, ...) only the portable kernels exist
 *   LMP_ISA_AVX512  the AVX-512 ones, unless the build leaves them out with -DLMP_NO_AVX512 (a
 *                   compiler or assembler without them; make test's sanitized flavours on a
 *                   machine that could not run them, Makefile SAN_NO_AVX512): the level
 *                   detection then tops out at AVX2 */
#ifndef LMPROB_CORE_ISA_H
#define LMPROB_CORE_ISA_H

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LMP_ISA_X86 1
#include <immintrin.h>
#else
#define LMP_ISA_X86 0
#endif

#if LMP_ISA_X86 && !defined(LMP_NO_AVX512)
#define LMP_ISA_AVX512 1
#else
#define LMP_ISA_AVX512 0
#endif

#endif
