/* The vector kernels of vmath.h: vmath_body.h compiled once per ISA, and the
 * dispatch on the caller's level. */
#include "vmath.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ln 2 = VM_LN2HI + VM_LN2LO: the high part has 32 significant bits, so k VM_LN2HI is
 * exact for |k| < 2^21 (Cody & Waite); the low part is ln 2 - VM_LN2HI rounded. */
#define VM_LN2HI 0x1.62e42fee00000p-1
#define VM_LN2LO 0x1.a39ef35793c76p-33

/* The vector helpers are static and always inlined, so no ABI is involved. */
#pragma GCC diagnostic ignored "-Wpsabi"

#include "../core/isa.h" /* LMP_ISA_X86, LMP_ISA_AVX512 */

typedef double vm_v4d __attribute__((vector_size(32)));
typedef int64_t vm_v4l __attribute__((vector_size(32)));
typedef uint64_t vm_v4u __attribute__((vector_size(32)));
typedef float vm_v4f __attribute__((vector_size(16)));

/* the portable version: 4 lanes, no fused multiply-add */
#define VM(f) f##_port
#define VM_ATTR
#define VD vm_v4d
#define VL vm_v4l
#define VU vm_v4u
#define VF vm_v4f
#define VN 4
#define VFMA(a, b, c) ((a) * (b) + (c))
#include "vmath_body.h"
#undef VM
#undef VM_ATTR
#undef VFMA

#if LMP_ISA_X86
#define VM(f) f##_avx2
#define VM_ATTR __attribute__((target("avx2,fma")))
#define VFMA(a, b, c) ((VD)_mm256_fmadd_pd((__m256d)(a), (__m256d)(b), (__m256d)(c)))
/* the clamp of exp in two instructions (see the AVX-512 definitions below) */
#define VM_CLAMP(x, lo, hi) \
    ((VD)_mm256_max_pd((__m256d)(lo), _mm256_min_pd((__m256d)(hi), (__m256d)(x))))
#define VM_MAX(v, m) ((VD)_mm256_max_pd((__m256d)(v), (__m256d)(m)))
/* The first min(n - i, 4) lanes of x[i..], the others fill (or not written): vmaskmov, which
 * neither reads nor writes a masked lane, nor faults on one. The masks: lanes below n - i, as
 * four 64-bit lanes (doubles) and four 32-bit ones (floats). */
#define VM_AVX2_FN static inline __attribute__((always_inline, target("avx2,fma")))
VM_AVX2_FN __m256i vm_mask_avx2(size_t i, size_t n)
{
    const long long r = n - i < 4 ? (long long)(n - i) : 4;
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(r), _mm256_set_epi64x(3, 2, 1, 0));
}
VM_AVX2_FN __m128i vm_maskf_avx2(size_t i, size_t n)
{
    const int r = n - i < 4 ? (int)(n - i) : 4;
    return _mm_cmpgt_epi32(_mm_set1_epi32(r), _mm_set_epi32(3, 2, 1, 0));
}
VM_AVX2_FN vm_v4d vm_ld_tail_avx2(const double *xd, const float *xf, size_t i, size_t n, double fill)
{
    const __m256i m = vm_mask_avx2(i, n);
    const __m256d v = xf ? _mm256_cvtps_pd(_mm_maskload_ps(xf + i, vm_maskf_avx2(i, n)))
                         : _mm256_maskload_pd(xd + i, m);
    return (vm_v4d)_mm256_blendv_pd(_mm256_set1_pd(fill), v, _mm256_castsi256_pd(m));
}
VM_AVX2_FN void vm_st_tail_avx2(double *od, float *of, size_t i, size_t n, vm_v4d v)
{
    if (of) _mm_maskstore_ps(of + i, vm_maskf_avx2(i, n), _mm256_cvtpd_ps((__m256d)v));
    else _mm256_maskstore_pd(od + i, vm_mask_avx2(i, n), (__m256d)v);
}
#define VM_LD_TAIL vm_ld_tail_avx2
#define VM_ST_TAIL vm_st_tail_avx2
#include "vmath_body.h"
#undef VM_CLAMP
#undef VM_MAX
#undef VM_LD_TAIL
#undef VM_ST_TAIL
#undef VM
#undef VM_ATTR
#undef VFMA
#undef VD
#undef VL
#undef VU
#undef VF
#undef VN

/* The AVX-512 body, unless the build leaves it out (src/core/isa.h) */
#if LMP_ISA_AVX512
typedef double vm_v8d __attribute__((vector_size(64)));
typedef int64_t vm_v8l __attribute__((vector_size(64)));
typedef uint64_t vm_v8u __attribute__((vector_size(64)));
typedef float vm_v8f __attribute__((vector_size(32)));
#define VM(f) f##_avx512
#define VM_ATTR __attribute__((target("avx2,fma,avx512f,avx512dq,avx512vl")))
#define VD vm_v8d
#define VL vm_v8l
#define VU vm_v8u
#define VF vm_v8f
#define VN 8
#define VFMA(a, b, c) ((VD)_mm512_fmadd_pd((__m512d)(a), (__m512d)(b), (__m512d)(c)))
/* What AVX-512 does in one instruction. The clamp: vminpd/vmaxpd return their second operand
 * when one is NaN, so x goes second and a NaN stays NaN. The scale: vscalefpd is y 2^floor(k)
 * rounded once, +inf past the doubles and subnormal below them (the two-factor product of the
 * generic body, in one step). (The log's division stays: vrcp14pd and two Newton steps in its
 * place made the log slower, 52 against 43 us for 50257 doubles.) */
#define VM_CLAMP(x, lo, hi) \
    ((VD)_mm512_max_pd((__m512d)(lo), _mm512_min_pd((__m512d)(hi), (__m512d)(x))))
#define VM_SCALE(y, k) ((VD)_mm512_scalef_pd((__m512d)(y), (__m512d)(k)))
#define VM_MAX(v, m) ((VD)_mm512_max_pd((__m512d)(v), (__m512d)(m))) /* m when v is NaN, as the generic */
/* the tail by masked loads and stores (a masked lane is neither read nor written, and cannot fault) */
#define VM_AVX512_FN static inline __attribute__((always_inline, target("avx2,fma,avx512f,avx512dq,avx512vl")))
VM_AVX512_FN __mmask8 vm_mask_avx512(size_t i, size_t n)
{
    return (__mmask8)(n - i < 8 ? (1u << (n - i)) - 1 : 0xffu);
}
VM_AVX512_FN vm_v8d vm_ld_tail_avx512(const double *xd, const float *xf, size_t i, size_t n, double fill)
{
    const __mmask8 m = vm_mask_avx512(i, n);
    const __m512d f = _mm512_set1_pd(fill);
    return (vm_v8d)(xf ? _mm512_mask_cvtps_pd(f, m, _mm256_maskz_loadu_ps(m, xf + i))
                       : _mm512_mask_loadu_pd(f, m, xd + i));
}
VM_AVX512_FN void vm_st_tail_avx512(double *od, float *of, size_t i, size_t n, vm_v8d v)
{
    const __mmask8 m = vm_mask_avx512(i, n);
    if (of) _mm256_mask_storeu_ps(of + i, m, _mm512_cvtpd_ps((__m512d)v));
    else _mm512_mask_storeu_pd(od + i, m, (__m512d)v);
}
#define VM_LD_TAIL vm_ld_tail_avx512
#define VM_ST_TAIL vm_st_tail_avx512
/* log's reduction x = 2^k m, m in [sqrt(2)/2, sqrt(2)): vgetmantpd's m in [1, 2) (NaN for a
 * negative x) and vgetexppd's k, then m / 2 and k + 1 from sqrt(2) on: the m and k the generic
 * body gets from the bits (and, for a subnormal, from x 2^54), so the same results */
#define VM_LOG_REDUCE(x, m, kd)                                                                        \
    do {                                                                                               \
        __m512d m_ = _mm512_getmant_pd((__m512d)(x), _MM_MANT_NORM_1_2, _MM_MANT_SIGN_nan);            \
        __m512d e_ = _mm512_getexp_pd((__m512d)(x));                                                   \
        __mmask8 big_ = _mm512_cmp_pd_mask(m_, _mm512_set1_pd(0x1.6a09e667f3bcdp0), _CMP_GE_OQ);       \
        (m) = (VD)_mm512_mask_mul_pd(m_, big_, m_, _mm512_set1_pd(0.5));                               \
        (kd) = (VD)_mm512_mask_add_pd(e_, big_, e_, _mm512_set1_pd(1.0));                              \
    } while (0)
#include "vmath_body.h"

/* level 2 and 1 on x86; everything else is the portable body */
#define VM_CALL(isa, f, ...) \
    ((isa) >= 2 ? f##_avx512(__VA_ARGS__) : (isa) == 1 ? f##_avx2(__VA_ARGS__) : f##_port(__VA_ARGS__))
#else
#define VM_CALL(isa, f, ...) ((isa) >= 1 ? f##_avx2(__VA_ARGS__) : f##_port(__VA_ARGS__))
#endif
#else
#define VM_CALL(isa, f, ...) ((void)(isa), f##_port(__VA_ARGS__))
#endif

void lmp_vm_exp(int isa, const double *x, double *y, size_t n) { VM_CALL(isa, exp_array, x, y, n); }
void lmp_vm_log(int isa, const double *x, double *y, size_t n) { VM_CALL(isa, log_array, x, y, n); }

size_t lmp_vm_check_max(int isa, const double *xd, const float *xf, size_t n, double *max)
{
    return VM_CALL(isa, check_max, xd, xf, n, max);
}

size_t lmp_vm_find(int isa, const double *xd, const float *xf, size_t n, double v)
{
    return VM_CALL(isa, find, xd, xf, n, v);
}

lmp_vm_dd lmp_vm_exp_sum(int isa, const double *xd, const float *xf, size_t lo, size_t hi, double m, double *outd,
                         float *outf)
{
    return VM_CALL(isa, exp_sum, xd, xf, lo, hi, m, outd, outf);
}

lmp_vm_dd lmp_vm_exp_dsum(int isa, const double *xd, const float *xf, size_t lo, size_t hi, double m)
{
    return VM_CALL(isa, exp_dsum, xd, xf, lo, hi, m);
}

void lmp_vm_scale(int isa, double *out, size_t n, double s) { VM_CALL(isa, scale, out, n, s); }

void lmp_vm_sub2(int isa, const double *xd, const float *xf, size_t n, double m, double l, double *outd, float *outf)
{
    VM_CALL(isa, sub2, xd, xf, n, m, l, outd, outf);
}

int lmp_vm_check_weights(int isa, const double *xd, const float *xf, size_t n, double *max)
{
    return VM_CALL(isa, check_weights, xd, xf, n, max);
}

lmp_vm_dd lmp_vm_sum_scaled(int isa, const double *xd, const float *xf, size_t lo, size_t hi, double s1, double s2)
{
    return VM_CALL(isa, sum_scaled, xd, xf, lo, hi, s1, s2);
}

lmp_vm_dd lmp_vm_entropy_terms(int isa, const double *xd, const float *xf, size_t lo, size_t hi, double s1,
                               double s2, double logS)
{
    return VM_CALL(isa, entropy_terms, xd, xf, lo, hi, s1, s2, logS);
}

lmp_vm_dd lmp_vm_logprob_sum(int isa, const double *xd, const float *xf, size_t n, int *flag)
{
    return VM_CALL(isa, logprob_sum, xd, xf, n, flag);
}

void lmp_vm_sum_plus(int isa, const double *Pd, const float *Pf, const double *Qd, const float *Qf, size_t n,
                     double eps, double s1, double s2, lmp_vm_dd *sp, lmp_vm_dd *sq)
{
    VM_CALL(isa, sum_plus, Pd, Pf, Qd, Qf, n, eps, s1, s2, sp, sq);
}

lmp_vm_dd lmp_vm_kl_smooth(int isa, const double *Pd, const float *Pf, const double *Qd, const float *Qf, size_t n,
                           double eps, double s1, double s2, double ia, double ib)
{
    return VM_CALL(isa, kl_smooth, Pd, Pf, Qd, Qf, n, eps, s1, s2, ia, ib);
}

lmp_vm_dd lmp_vm_kl_terms(int isa, lmp_vm_wv P, lmp_vm_wv Q, size_t n, int *inf)
{
    return VM_CALL(isa, kl_terms, P, Q, n, inf);
}

lmp_vm_dd lmp_vm_js_terms(int isa, lmp_vm_wv P, lmp_vm_wv Q, size_t n) { return VM_CALL(isa, js_terms, P, Q, n); }

lmp_vm_dd lmp_vm_xent_terms(int isa, lmp_vm_wv P, lmp_vm_wv Q, size_t lo, size_t hi, int *inf)
{
    return VM_CALL(isa, xent_terms, P, Q, lo, hi, inf);
}

void lmp_vm_logit_div(int isa, const float *a, const float *b, size_t n, double ma, double sa, double mb, double sb,
                      lmp_vm_dd out[3])
{
    VM_CALL(isa, logit_div, a, b, n, ma, sa, mb, sb, out);
}

double lmp_vm_exp_sum_others(int isa, const double *xd, const float *xf, size_t n, double m, size_t *imax)
{
    size_t im = lmp_vm_find(isa, xd, xf, n, m);
    if (imax) *imax = im;
    /* the terms before and after the first maximum (exp(-inf) = 0) */
    return lmp_vm_dd_add(lmp_vm_exp_sum(isa, xd, xf, 0, im, m, NULL, NULL),
                         lmp_vm_exp_sum(isa, xd, xf, im < n ? im + 1 : n, n, m, NULL, NULL));
}

double lmp_vm_lse_parts(int isa, const float *a, size_t n, double *ma)
{
    lmp_vm_check_max(isa, NULL, a, n, ma);
    if (*ma == -INFINITY) return 0.0;
    /* log1p of the others' sum r, the first maximum's own term (1) left out: a log-probability (a[i] - ma) -
     * log1p(r) keeps its digits however small r is (the likeliest token of a confident row) */
    return log1p(lmp_vm_exp_sum_others(isa, NULL, a, n, *ma, NULL));
}
