/* The float exponential of the vector kernels (library-internal), shared by
 * the sampler (src/sample/kernels.c) and the GPT-2 engine (src/gpt2/).
 *
 * Cephes' expf: x = k ln 2 + r (Cody-Waite reduction, ln 2 split in
 * EXPF_C1 + EXPF_C2), e^r ~ 1 + r + r^2 (P0 + P1 r + ... + P5 r^5), result
 * y * 2^k. Within 2 ulp of libm's expf (1 ulp with fused multiply-adds;
 * tests/test_sample.c checks it), exact at 0, 0 below EXPF_LO. vexp8 (AVX2)
 * and vexp16 (AVX-512) do the same operations lane by lane, so they give the
 * same bits. Defined only for x <= 0 (the callers subtract a maximum). */
#ifndef LMPROB_CORE_VEXPF_H
#define LMPROB_CORE_VEXPF_H

#define EXPF_LO (-87.3f)
#define EXPF_LOG2E 1.44269504088896341f
#define EXPF_MAGIC 12582912.0f
#define EXPF_C1 0.693359375f
#define EXPF_C2 (-2.12194440e-4f)
#define EXPF_P5 1.9875691500E-4f
#define EXPF_P4 1.3981999507E-3f
#define EXPF_P3 8.3334519073E-3f
#define EXPF_P2 4.1665795894E-2f
#define EXPF_P1 1.6666665459E-1f
#define EXPF_P0 5.0000001201E-1f

#include "isa.h"
#if LMP_ISA_X86

/* expf(x) for x <= 0; 0 below EXPF_LO (and for -inf) */
__attribute__((target("avx2,fma"))) static inline __attribute__((always_inline)) __m256 vexp8(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(EXPF_LO), magic = _mm256_set1_ps(EXPF_MAGIC);
    __m256 small = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    __m256 xc = _mm256_max_ps(x, lo);
    __m256 t = _mm256_fmadd_ps(xc, _mm256_set1_ps(EXPF_LOG2E), magic); /* round to nearest */
    __m256 kf = _mm256_sub_ps(t, magic);
    __m256 r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(EXPF_C1), xc);
    r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(EXPF_C2), r);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(EXPF_P5), r, _mm256_set1_ps(EXPF_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P0));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    /* y * 2^k, k in [-126, 0]: t = 1.5 * 2^23 + k holds k in its low mantissa bits,
     * so t << 23 is k << 23 (mod 2^32) without a float-to-int conversion */
    __m256i k = _mm256_slli_epi32(_mm256_castps_si256(t), 23);
    return _mm256_andnot_ps(small, _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(y), k)));
}

#if LMP_ISA_AVX512
__attribute__((target("avx2,fma,avx512f,avx512dq,avx512vl"))) static inline __attribute__((always_inline)) __m512 vexp16(__m512 x)
{
    const __m512 lo = _mm512_set1_ps(EXPF_LO), magic = _mm512_set1_ps(EXPF_MAGIC);
    __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ);
    __m512 xc = _mm512_max_ps(x, lo);
    __m512 t = _mm512_fmadd_ps(xc, _mm512_set1_ps(EXPF_LOG2E), magic);
    __m512 kf = _mm512_sub_ps(t, magic);
    __m512 r = _mm512_fnmadd_ps(kf, _mm512_set1_ps(EXPF_C1), xc);
    r = _mm512_fnmadd_ps(kf, _mm512_set1_ps(EXPF_C2), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(EXPF_P5), r, _mm512_set1_ps(EXPF_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P0));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    __m512i k = _mm512_slli_epi32(_mm512_castps_si512(t), 23); /* as in vexp8 */
    return _mm512_castsi512_ps(_mm512_maskz_add_epi32(keep, _mm512_castps_si512(y), k));
}
#endif

#endif

#endif
