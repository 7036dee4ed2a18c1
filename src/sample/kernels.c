/* Hot loops of the sampler (see sample_internal.h) and the standalone kernels
 * of sample.h.
 *
 * Speed: the library is built with -O2 for a generic x86-64, where GCC does
 * not vectorise these loops, and libm's expf costs ~2.6 ns (130 us for
 * V = 50257 on the reference machine: more than a whole torch.topk). So the
 * float32 exponential is a Cephes-style polynomial: written with GCC vector
 * extensions (8 lanes) for the baseline, and with intrinsics and fused
 * multiply-adds for AVX2 + FMA (8 lanes) and AVX-512 (16 lanes) machines,
 * via __attribute__((target(...))), chosen at run time with
 * __builtin_cpu_supports. The polynomial is within 2 ulp of expf
 * (checked against libm in tests/test_sample.c) and exact at 0. Results below
 * exp(-87.3) (under FLT_MIN) are flushed to 0: such a token is never drawn.
 * The float64 path uses libm's exp so that probabilities match numpy/torch to
 * the last bit in the common case. */
#include <immintrin.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "lmprob/sample.h"
#include "sample_internal.h"

/* ---- vectorised float exp -------------------------------------------------------- */

/* The 32-byte vector helpers are static and always inlined, so no ABI is involved. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

#define V8(x) {x, x, x, x, x, x, x, x}

/* The float exp of every kernel below: x = k ln 2 + r (Cody-Waite, ln 2 split in
 * EXPF_C1 + EXPF_C2), e^r ~ 1 + r + r^2 (P0 + P1 r + ... + P5 r^5) (Cephes expf). */
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


static inline __attribute__((always_inline)) void vexpf(v8f *io)
{
    v8f x = *io;
    const v8f lo = V8(EXPF_LO), log2e = V8(EXPF_LOG2E), magic = V8(EXPF_MAGIC);
    const v8f c1 = V8(EXPF_C1), c2 = V8(EXPF_C2);
    v8i small = x < lo;
    /* clamp so that every lane stays finite (the mask zeroes them at the end) */
    v8f xc = (v8f)(((v8i)x & ~small) | ((v8i)lo & small));
    v8f kf = (xc * log2e + magic) - magic; /* round to nearest */
    v8f r = xc - kf * c1 - kf * c2;        /* Cody-Waite: ln 2 split in two */
    v8f p = V8(EXPF_P5);
    p = p * r + (v8f)V8(EXPF_P4);
    p = p * r + (v8f)V8(EXPF_P3);
    p = p * r + (v8f)V8(EXPF_P2);
    p = p * r + (v8f)V8(EXPF_P1);
    p = p * r + (v8f)V8(EXPF_P0);
    v8f y = p * r * r + r + (v8f)V8(1.0f);
    v8i k = __builtin_convertvector(kf, v8i);
    v8i bits = (v8i)y + (k << 23); /* y * 2^k; k in [-126, 0] here */
    *io = (v8f)(bits & ~small);
}

/* ---- x86 kernels: AVX2 + FMA (8 lanes) and AVX-512 (16 lanes) ----------------------
 *
 * The same polynomial as vexpf, with fused multiply-adds (a -std=c11 build
 * does not contract a * b + c): fewer instructions, no spills, and at most
 * 1 ulp from libm's expf on the test grid. vexp8 and vexp16 perform the same
 * operations lane by lane, so the AVX2 and AVX-512 kernels give identical
 * bits; the sums below also add in the same order (an AVX-512 accumulator of
 * 8 doubles is the AVX2 pair s0 | s1). The baseline build (no FMA) rounds
 * some exps differently (within 2 ulp as well): every path of one process
 * uses the same variant, so the fast paths still equal the general path. */

static int isa_machine(void)
{
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return 2;
    return 1;
}

static atomic_int isa_cap = 2; /* lowered by lmp_sample_set_isa (tests) */

int lmp_sample_set_isa(int level)
{
    atomic_store_explicit(&isa_cap, level, memory_order_relaxed);
    int m = isa_machine();
    return level < m ? level : m;
}

static int isa_level(void)
{
    int m = isa_machine(), c = atomic_load_explicit(&isa_cap, memory_order_relaxed);
    return c < m ? c : m;
}

static int has_avx2(void) { return isa_level() >= 1; }
static int has_avx512(void) { return isa_level() >= 2; }

#define AVX2_FN __attribute__((target("avx2,fma")))
#define AVX512_FN __attribute__((target("avx2,fma,avx512f,avx512dq,avx512vl")))

/* expf(x) for x <= 0; 0 below EXPF_LO (and for -inf) */
AVX2_FN static inline __attribute__((always_inline)) __m256 vexp8(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(EXPF_LO), magic = _mm256_set1_ps(EXPF_MAGIC);
    __m256 small = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    __m256 xc = _mm256_max_ps(x, lo);
    __m256 kf = _mm256_sub_ps(_mm256_fmadd_ps(xc, _mm256_set1_ps(EXPF_LOG2E), magic), magic);
    __m256 r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(EXPF_C1), xc);
    r = _mm256_fnmadd_ps(kf, _mm256_set1_ps(EXPF_C2), r);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(EXPF_P5), r, _mm256_set1_ps(EXPF_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXPF_P0));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i k = _mm256_slli_epi32(_mm256_cvttps_epi32(kf), 23); /* y * 2^k; k in [-126, 0] */
    return _mm256_andnot_ps(small, _mm256_castsi256_ps(_mm256_add_epi32(_mm256_castps_si256(y), k)));
}

AVX512_FN static inline __attribute__((always_inline)) __m512 vexp16(__m512 x)
{
    const __m512 lo = _mm512_set1_ps(EXPF_LO), magic = _mm512_set1_ps(EXPF_MAGIC);
    __mmask16 keep = _mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ);
    __m512 xc = _mm512_max_ps(x, lo);
    __m512 kf = _mm512_sub_ps(_mm512_fmadd_ps(xc, _mm512_set1_ps(EXPF_LOG2E), magic), magic);
    __m512 r = _mm512_fnmadd_ps(kf, _mm512_set1_ps(EXPF_C1), xc);
    r = _mm512_fnmadd_ps(kf, _mm512_set1_ps(EXPF_C2), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(EXPF_P5), r, _mm512_set1_ps(EXPF_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXPF_P0));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    __m512i k = _mm512_slli_epi32(_mm512_cvttps_epi32(kf), 23);
    return _mm512_maskz_mov_ps(keep, _mm512_castsi512_ps(_mm512_add_epi32(_mm512_castps_si512(y), k)));
}

/* f / T in float32 (tv: the float temperature broadcast), lane by lane: the
 * correctly rounded quotient, as torch's float32 division and llama.cpp's
 * logit /= temp */
AVX2_FN static inline __attribute__((always_inline)) __m256 scale8(__m256 f, __m256 tv) { return _mm256_div_ps(f, tv); }

AVX512_FN static inline __attribute__((always_inline)) __m512 scale16(__m512 f, __m512 tv)
{
    return _mm512_div_ps(f, tv);
}

/* s0 += y[0..4), s1 += y[4..8) in double */
#define ACC8(s0, s1, y)                                                                 \
    do {                                                                                \
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(y)));             \
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(y, 1)));           \
    } while (0)
/* the same on acc = s0 | s1 for 16 floats: two 8-float steps in order */
#define ACC16(acc, y)                                                                   \
    do {                                                                                \
        acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_castps512_ps256(y)));           \
        acc = _mm512_add_pd(acc, _mm512_cvtps_pd(_mm512_extractf32x8_ps(y, 1)));        \
    } while (0)

AVX2_FN static inline __attribute__((always_inline)) double hsum_pair(__m256d s0, __m256d s1)
{
    double t[4];
    _mm256_storeu_pd(t, _mm256_add_pd(s0, s1));
    return (t[0] + t[1]) + (t[2] + t[3]);
}

AVX512_FN static inline __attribute__((always_inline)) double hsum_acc(__m512d acc)
{
    return hsum_pair(_mm512_castpd512_pd256(acc), _mm512_extractf64x4_pd(acc, 1));
}

/* e[i] = (double)expf((float)(x[i] - m)); returns the sum (order of exp_sum_f32_body) */
AVX2_FN static double exp_sum_f32_avx2(const double *x, size_t n, double m, double *e)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), mv = _mm256_set1_pd(m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128 fa = _mm256_cvtpd_ps(_mm256_sub_pd(_mm256_loadu_pd(x + i), mv));
        __m128 fb = _mm256_cvtpd_ps(_mm256_sub_pd(_mm256_loadu_pd(x + i + 4), mv));
        __m256 y = vexp8(_mm256_set_m128(fb, fa));
        __m256d da = _mm256_cvtps_pd(_mm256_castps256_ps128(y)), db = _mm256_cvtps_pd(_mm256_extractf128_ps(y, 1));
        _mm256_storeu_pd(e + i, da);
        _mm256_storeu_pd(e + i + 4, db);
        s0 = _mm256_add_pd(s0, da);
        s1 = _mm256_add_pd(s1, db);
    }
    double s = 0.0;
    if (i < n) {
        float f[8];
        for (size_t j = 0; j < 8; j++) f[j] = i + j < n ? (float)(x[i + j] - m) : -INFINITY;
        float y[8];
        _mm256_storeu_ps(y, vexp8(_mm256_loadu_ps(f)));
        for (size_t j = 0; i + j < n; j++) {
            e[i + j] = (double)y[j];
            s += e[i + j];
        }
    }
    return hsum_pair(s0, s1) + s;
}

/* the same with 16 lanes: two 8-element steps of the AVX2 loop in one, same sums in the same order */
AVX512_FN static double exp_sum_f32_avx512(const double *x, size_t n, double m, double *e)
{
    __m512d acc = _mm512_setzero_pd(), mv = _mm512_set1_pd(m);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 fa = _mm512_cvtpd_ps(_mm512_sub_pd(_mm512_loadu_pd(x + i), mv));
        __m256 fb = _mm512_cvtpd_ps(_mm512_sub_pd(_mm512_loadu_pd(x + i + 8), mv));
        __m512 y = vexp16(_mm512_insertf32x8(_mm512_castps256_ps512(fa), fb, 1));
        __m512d da = _mm512_cvtps_pd(_mm512_castps512_ps256(y)), db = _mm512_cvtps_pd(_mm512_extractf32x8_ps(y, 1));
        _mm512_storeu_pd(e + i, da);
        _mm512_storeu_pd(e + i + 8, db);
        acc = _mm512_add_pd(acc, da);
        acc = _mm512_add_pd(acc, db);
    }
    if (i + 8 <= n) {
        __m256 f = _mm512_cvtpd_ps(_mm512_sub_pd(_mm512_loadu_pd(x + i), mv));
        __m512d d = _mm512_cvtps_pd(vexp8(f));
        _mm512_storeu_pd(e + i, d);
        acc = _mm512_add_pd(acc, d);
        i += 8;
    }
    double s = 0.0;
    if (i < n) {
        float f[8];
        for (size_t j = 0; j < 8; j++) f[j] = i + j < n ? (float)(x[i + j] - m) : -INFINITY;
        float y[8];
        _mm256_storeu_ps(y, vexp8(_mm256_loadu_ps(f)));
        for (size_t j = 0; i + j < n; j++) {
            e[i + j] = (double)y[j];
            s += e[i + j];
        }
    }
    return hsum_acc(acc) + s;
}

/* p[i] /= z as scale_body: float64 divides, float32 multiplies by 1/z and rounds to float */
AVX512_FN static void scale_avx512(double *p, size_t n, double z, int f32)
{
    const double iz = 1.0 / z;
    const __m512d zv = _mm512_set1_pd(z), izv = _mm512_set1_pd(iz);
    size_t i = 0;
    if (f32)
        for (; i + 8 <= n; i += 8)
            _mm512_storeu_pd(p + i, _mm512_cvtps_pd(_mm512_cvtpd_ps(_mm512_mul_pd(_mm512_loadu_pd(p + i), izv))));
    else
        for (; i + 8 <= n; i += 8) _mm512_storeu_pd(p + i, _mm512_div_pd(_mm512_loadu_pd(p + i), zv));
    for (; i < n; i++) p[i] = f32 ? (double)(float)(p[i] * iz) : p[i] / z;
}

/* the tail of the float kernels: up to 7 floats x[i..n) (divided by tf when tf != 1), padded with -inf */
AVX2_FN static inline __attribute__((always_inline)) __m256 tail8(const float *x, size_t i, size_t n, float tf,
                                                                  float m)
{
    float f[8];
    for (size_t j = 0; j < 8; j++) f[j] = i + j < n ? x[i + j] : -INFINITY;
    __m256 v = _mm256_loadu_ps(f);
    if (tf != 1.0f) v = scale8(v, _mm256_set1_ps(tf));
    return vexp8(_mm256_sub_ps(v, _mm256_set1_ps(m)));
}

AVX2_FN static double expf_array_avx2(const float *x, size_t n, float m, float *out)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    const __m256 mv = _mm256_set1_ps(m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 y = vexp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
        _mm256_storeu_ps(out + i, y);
        ACC8(s0, s1, y);
    }
    double s = 0.0;
    if (i < n) {
        float y[8];
        _mm256_storeu_ps(y, tail8(x, i, n, 1.0, m));
        for (size_t j = 0; i + j < n; j++) {
            out[i + j] = y[j];
            s += y[j];
        }
    }
    return hsum_pair(s0, s1) + s;
}

AVX512_FN static double expf_array_avx512(const float *x, size_t n, float m, float *out)
{
    __m512d acc = _mm512_setzero_pd();
    const __m512 mv = _mm512_set1_ps(m);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 y = vexp16(_mm512_sub_ps(_mm512_loadu_ps(x + i), mv));
        _mm512_storeu_ps(out + i, y);
        ACC16(acc, y);
    }
    if (i + 8 <= n) {
        __m256 y = vexp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(m)));
        _mm256_storeu_ps(out + i, y);
        acc = _mm512_add_pd(acc, _mm512_cvtps_pd(y));
        i += 8;
    }
    double s = 0.0;
    if (i < n) {
        float y[8];
        _mm256_storeu_ps(y, tail8(x, i, n, 1.0, m));
        for (size_t j = 0; i + j < n; j++) {
            out[i + j] = y[j];
            s += y[j];
        }
    }
    return hsum_acc(acc) + s;
}

/* validate + max, 32 floats a step (4 independent max chains) */
AVX2_FN static size_t fcheck_avx2(const float *x, size_t n, float *max)
{
    const __m256 inf = _mm256_set1_ps(INFINITY);
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
    __m256 ok = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
        ok = _mm256_and_ps(ok, _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(a, inf, _CMP_LT_OQ),
                                                           _mm256_cmp_ps(b, inf, _CMP_LT_OQ)),
                                             _mm256_and_ps(_mm256_cmp_ps(c, inf, _CMP_LT_OQ),
                                                           _mm256_cmp_ps(d, inf, _CMP_LT_OQ))));
        m0 = _mm256_max_ps(m0, a);
        m1 = _mm256_max_ps(m1, b);
        m2 = _mm256_max_ps(m2, c);
        m3 = _mm256_max_ps(m3, d);
    }
    float mm[8], m = -INFINITY;
    _mm256_storeu_ps(mm, _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
    for (int j = 0; j < 8; j++) m = mm[j] > m ? mm[j] : m;
    if (_mm256_movemask_ps(ok) != 0xff) { /* a NaN or +inf somewhere: the scalar loop names the first */
        i = 0;
        m = -INFINITY;
    }
    for (; i < n; i++) {
        if (!(x[i] < INFINITY)) return i;
        m = x[i] > m ? x[i] : m;
    }
    *max = m;
    return n;
}

AVX512_FN static size_t fcheck_avx512(const float *x, size_t n, float *max)
{
    const __m512 inf = _mm512_set1_ps(INFINITY);
    __m512 m0 = _mm512_set1_ps(-INFINITY), m1 = m0;
    __mmask16 ok = 0xffff;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        ok &= _mm512_cmp_ps_mask(a, inf, _CMP_LT_OQ) & _mm512_cmp_ps_mask(b, inf, _CMP_LT_OQ);
        m0 = _mm512_max_ps(m0, a);
        m1 = _mm512_max_ps(m1, b);
    }
    float m = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
    if (ok != 0xffff) { /* a NaN or +inf somewhere: the scalar loop names the first */
        i = 0;
        m = -INFINITY;
    }
    for (; i < n; i++) {
        if (!(x[i] < INFINITY)) return i;
        m = x[i] > m ? x[i] : m;
    }
    *max = m;
    return n;
}

/* block sums of expf(x / tf (float) - m) (order of lazy_sums_body); copies x to cp */
AVX2_FN static double lazy_sums_avx2(const float *x, float *cp, size_t n, float tf, float m, double *block)
{
    double total = 0.0;
    const __m256 mv = _mm256_set1_ps(m);
    const __m256 tv = _mm256_set1_ps(tf);
    size_t nb = (n + LMP_LAZY_BLOCK - 1) / LMP_LAZY_BLOCK;
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * LMP_LAZY_BLOCK, hi = lo + LMP_LAZY_BLOCK < n ? lo + LMP_LAZY_BLOCK : n;
        __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
        size_t i = lo;
        for (; i + 8 <= hi; i += 8) {
            __m256 f = _mm256_loadu_ps(x + i);
            _mm256_storeu_ps(cp + i, f);
            if (tf != 1.0f) f = scale8(f, tv);
            __m256 y = vexp8(_mm256_sub_ps(f, mv));
            ACC8(s0, s1, y);
        }
        double bs = 0.0;
        if (i < hi) {
            float y[8];
            _mm256_storeu_ps(y, tail8(x, i, hi, tf, m));
            for (size_t j = 0; i + j < hi; j++) {
                cp[i + j] = x[i + j];
                bs += y[j];
            }
        }
        bs += hsum_pair(s0, s1);
        block[b] = bs;
        total += bs;
    }
    return total;
}

AVX512_FN static double lazy_sums_avx512(const float *x, float *cp, size_t n, float tf, float m, double *block)
{
    double total = 0.0;
    const __m512 mv = _mm512_set1_ps(m);
    const __m512 tv = _mm512_set1_ps(tf);
    size_t nb = (n + LMP_LAZY_BLOCK - 1) / LMP_LAZY_BLOCK;
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * LMP_LAZY_BLOCK, hi = lo + LMP_LAZY_BLOCK < n ? lo + LMP_LAZY_BLOCK : n;
        __m512d acc = _mm512_setzero_pd();
        size_t i = lo;
        if (tf != 1.0f) {
            for (; i + 16 <= hi; i += 16) {
                __m512 f = _mm512_loadu_ps(x + i);
                _mm512_storeu_ps(cp + i, f);
                __m512 y = vexp16(_mm512_sub_ps(scale16(f, tv), mv));
                ACC16(acc, y);
            }
        } else {
            for (; i + 16 <= hi; i += 16) {
                __m512 f = _mm512_loadu_ps(x + i);
                _mm512_storeu_ps(cp + i, f);
                __m512 y = vexp16(_mm512_sub_ps(f, mv));
                ACC16(acc, y);
            }
        }
        if (i + 8 <= hi) {
            __m256 f = _mm256_loadu_ps(x + i);
            _mm256_storeu_ps(cp + i, f);
            if (tf != 1.0f) f = scale8(f, _mm256_set1_ps(tf));
            __m256 y = vexp8(_mm256_sub_ps(f, _mm256_set1_ps(m)));
            acc = _mm512_add_pd(acc, _mm512_cvtps_pd(y));
            i += 8;
        }
        double bs = 0.0;
        if (i < hi) {
            float y[8];
            _mm256_storeu_ps(y, tail8(x, i, hi, tf, m));
            for (size_t j = 0; i + j < hi; j++) {
                cp[i + j] = x[i + j];
                bs += y[j];
            }
        }
        bs += hsum_acc(acc);
        block[b] = bs;
        total += bs;
    }
    return total;
}

/* e[i] = expf(x_i / tf (float) - m) stored as floats; returns their sum in the
 * order of lmp_sample_topp_hist (so the same normaliser). */
AVX2_FN static double topp_exps_avx2(const float *x, size_t n, float tf, float m, float *e)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    const __m256 mv = _mm256_set1_ps(m);
    const __m256 tv = _mm256_set1_ps(tf);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_loadu_ps(x + i);
        if (tf != 1.0f) f = scale8(f, tv);
        __m256 y = vexp8(_mm256_sub_ps(f, mv));
        _mm256_storeu_ps(e + i, y);
        ACC8(s0, s1, y);
    }
    if (i < n) {
        __m256 y = tail8(x, i, n, tf, m);
        float t[8];
        _mm256_storeu_ps(t, y);
        for (size_t j = 0; i + j < n; j++) e[i + j] = t[j];
        ACC8(s0, s1, y);
    }
    return hsum_pair(s0, s1);
}

AVX512_FN static double topp_exps_avx512(const float *x, size_t n, float tf, float m, float *e)
{
    __m512d acc = _mm512_setzero_pd();
    const __m512 mv = _mm512_set1_ps(m);
    const __m512 tv = _mm512_set1_ps(tf);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 f = _mm512_loadu_ps(x + i);
        if (tf != 1.0f) f = scale16(f, tv);
        __m512 y = vexp16(_mm512_sub_ps(f, mv));
        _mm512_storeu_ps(e + i, y);
        ACC16(acc, y);
    }
    __m256d s0 = _mm512_castpd512_pd256(acc), s1 = _mm512_extractf64x4_pd(acc, 1);
    for (; i < n; i += 8) {
        __m256 y = tail8(x, i, n, tf, m);
        float t[8];
        _mm256_storeu_ps(t, y);
        for (size_t j = 0; j < 8 && i + j < n; j++) e[i + j] = t[j];
        ACC8(s0, s1, y);
    }
    return hsum_pair(s0, s1);
}

/* out <- every i with x[i] >= lo (ascending), with xs[k] = x[out[k]] and
 * es[k] = e[out[k]]; returns how many; *mass = sum of e[i] over x[i] >= hi
 * (any order: a bound, not a result). x holds no NaN. */
static size_t topp_gather_scalar(const float *x, size_t i, size_t n, float lo, float hi, const float *e,
                                 int32_t *out, float *xs, float *es, size_t m, double *mass)
{
    double s = 0.0;
    for (; i < n; i++) {
        out[m] = (int32_t)i;
        xs[m] = x[i];
        es[m] = e[i];
        m += x[i] >= lo;
        s += x[i] >= hi ? (double)e[i] : 0.0;
    }
    *mass += s;
    return m;
}

AVX512_FN static size_t topp_gather_avx512(const float *x, size_t n, float lo, float hi, const float *e,
                                           int32_t *out, float *xs, float *es, double *mass)
{
    const __m512 lov = _mm512_set1_ps(lo), hiv = _mm512_set1_ps(hi);
    __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i sixteen = _mm512_set1_epi32(16);
    __m512 acc = _mm512_setzero_ps(); /* float partial sums, flushed to double every 64 steps */
    double s = 0.0;
    size_t m = 0, i = 0;
    while (i + 16 <= n) {
        size_t stop = i + 16 * 64 <= n ? i + 16 * 64 : n;
        for (; i + 16 <= stop; i += 16) {
            __m512 f = _mm512_loadu_ps(x + i), ev = _mm512_loadu_ps(e + i);
            __mmask16 g = _mm512_cmp_ps_mask(f, lov, _CMP_GE_OQ), h = _mm512_cmp_ps_mask(f, hiv, _CMP_GE_OQ);
            _mm512_mask_compressstoreu_epi32(out + m, g, idx);
            _mm512_mask_compressstoreu_ps(xs + m, g, f);
            _mm512_mask_compressstoreu_ps(es + m, g, ev);
            m += (size_t)__builtin_popcount((unsigned)g);
            acc = _mm512_mask_add_ps(acc, h, acc, ev);
            idx = _mm512_add_epi32(idx, sixteen);
        }
        s += (double)_mm512_reduce_add_ps(acc);
        acc = _mm512_setzero_ps();
    }
    *mass = s;
    return topp_gather_scalar(x, i, n, lo, hi, e, out, xs, es, m, mass);
}

/* the exps of one block in order (as lmp_sample_lazy_block) */
AVX2_FN static void lazy_block_avx2(const float *x, size_t lo, size_t hi, float tf, float m, double *e)
{
    for (size_t i = lo; i < hi; i += 8) {
        __m256 y = tail8(x, i, hi, tf, m);
        float f[8];
        _mm256_storeu_ps(f, y);
        for (size_t j = 0; j < 8 && i + j < hi; j++) e[i + j - lo] = f[j];
    }
}

/* top-p pass (as topp_hist_body): exps, their sum, and the mass histogram */
#define TOPP_SCATTER(W, e, bi, cnt)                                                     \
    do {                                                                                \
        float ef_[W];                                                                   \
        int32_t bf_[W];                                                                 \
        memcpy(ef_, &(e), sizeof ef_);                                                  \
        memcpy(bf_, &(bi), sizeof bf_);                                                 \
        for (size_t j_ = 0; j_ < (cnt); j_++) {                                         \
            bmass[bf_[j_]] += ef_[j_];                                                  \
            bcnt[bf_[j_]]++;                                                            \
        }                                                                               \
    } while (0)

AVX2_FN static inline __attribute__((always_inline)) void topp_step8(__m256 f, size_t cnt, float tf, float m,
                                                                     float scale, int nb, double *bmass,
                                                                     size_t *bcnt, __m256d *s0, __m256d *s1)
{
    const __m256 mv = _mm256_set1_ps(m), top = _mm256_set1_ps((float)(nb - 1));
    if (tf != 1.0f) f = scale8(f, _mm256_set1_ps(tf));
    __m256 d = _mm256_sub_ps(mv, f);
    __m256 e = vexp8(_mm256_sub_ps(f, mv));
    __m256 r = _mm256_min_ps(_mm256_mul_ps(d, _mm256_set1_ps(scale)), top); /* +inf (l = -inf): top */
    __m256i bi = _mm256_cvttps_epi32(r);
    TOPP_SCATTER(8, e, bi, cnt);
    ACC8(*s0, *s1, e);
}

AVX2_FN static double topp_hist_avx2(const float *x, size_t n, float tf, float m, double scale, int nb,
                                     double *bmass, size_t *bcnt)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) topp_step8(_mm256_loadu_ps(x + i), 8, tf, m, (float)scale, nb, bmass, bcnt, &s0, &s1);
    if (i < n) {
        float f[8];
        for (size_t j = 0; j < 8; j++) f[j] = i + j < n ? x[i + j] : -INFINITY;
        topp_step8(_mm256_loadu_ps(f), n - i, tf, m, (float)scale, nb, bmass, bcnt, &s0, &s1);
    }
    return hsum_pair(s0, s1);
}

AVX512_FN static double topp_hist_avx512(const float *x, size_t n, float tf, float m, double scale, int nb,
                                         double *bmass, size_t *bcnt)
{
    __m512d acc = _mm512_setzero_pd();
    const __m512 mv = _mm512_set1_ps(m), top = _mm512_set1_ps((float)(nb - 1)), sc = _mm512_set1_ps((float)scale);
    const __m512 tv = _mm512_set1_ps(tf);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 f = _mm512_loadu_ps(x + i);
        if (tf != 1.0f) f = scale16(f, tv);
        __m512 d = _mm512_sub_ps(mv, f);
        __m512 e = vexp16(_mm512_sub_ps(f, mv));
        __m512 r = _mm512_min_ps(_mm512_mul_ps(d, sc), top);
        __m512i bi = _mm512_cvttps_epi32(r);
        TOPP_SCATTER(16, e, bi, 16);
        ACC16(acc, e);
    }
    __m256d s0 = _mm512_castpd512_pd256(acc), s1 = _mm512_extractf64x4_pd(acc, 1);
    for (; i < n; i += 8) {
        size_t cnt = n - i < 8 ? n - i : 8;
        float f[8];
        for (size_t j = 0; j < 8; j++) f[j] = j < cnt ? x[i + j] : -INFINITY;
        topp_step8(_mm256_loadu_ps(f), cnt, tf, m, (float)scale, nb, bmass, bcnt, &s0, &s1);
    }
    return hsum_pair(s0, s1);
}

/* e[i] = (double)expf(x[i] - m) for the float32 path; returns sum e in double. */
static inline __attribute__((always_inline)) double exp_sum_f32_body(const double *x, size_t n, double m, double *e)
{
    v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    v4d mv = {m, m, m, m};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v4d a, b;
        memcpy(&a, x + i, sizeof a);
        memcpy(&b, x + i + 4, sizeof b);
        v4f fa = __builtin_convertvector(a - mv, v4f), fb = __builtin_convertvector(b - mv, v4f);
        v8f f = __builtin_shufflevector(fa, fb, 0, 1, 2, 3, 4, 5, 6, 7);
        v8f y = f;
        vexpf(&y);
        v4f ya = __builtin_shufflevector(y, y, 0, 1, 2, 3), yb = __builtin_shufflevector(y, y, 4, 5, 6, 7);
        v4d da = __builtin_convertvector(ya, v4d), db = __builtin_convertvector(yb, v4d);
        memcpy(e + i, &da, sizeof da);
        memcpy(e + i + 4, &db, sizeof db);
        s0 += da;
        s1 += db;
    }
    double s = 0.0;
    if (i < n) { /* tail through the same polynomial */
        v8f f = V8(-INFINITY);
        for (size_t j = 0; i + j < n; j++) f[j] = (float)(x[i + j] - m);
        v8f y = f;
        vexpf(&y);
        for (size_t j = 0; i + j < n; j++) {
            e[i + j] = (double)y[j];
            s += e[i + j];
        }
    }
    v4d t = s0 + s1;
    return (t[0] + t[1]) + (t[2] + t[3]) + s;
}

static double exp_sum_f32_base(const double *x, size_t n, double m, double *e)
{
    return exp_sum_f32_body(x, n, m, e);
}

double lmp_sample_exp_sum(const double *x, size_t n, double m, double *e, int f32)
{
    if (f32) {
        if (has_avx512()) return exp_sum_f32_avx512(x, n, m, e);
        if (has_avx2()) return exp_sum_f32_avx2(x, n, m, e);
        return exp_sum_f32_base(x, n, m, e);
    }
    double s = 0.0; /* sequential, as numpy's sum for n < 8 and torch's for small n */
    for (size_t i = 0; i < n; i++) {
        e[i] = exp(x[i] - m);
        s += e[i];
    }
    return s;
}

/* out[i] = expf(x[i] - m) for float input and output; returns the sum in double. */
static inline __attribute__((always_inline)) double expf_array_body(const float *x, size_t n, float m, float *out)
{
    v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    v8f mv = V8(m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f f;
        memcpy(&f, x + i, sizeof f);
        v8f y = f - mv;
        vexpf(&y);
        memcpy(out + i, &y, sizeof y);
        v4f ya = __builtin_shufflevector(y, y, 0, 1, 2, 3), yb = __builtin_shufflevector(y, y, 4, 5, 6, 7);
        s0 += __builtin_convertvector(ya, v4d);
        s1 += __builtin_convertvector(yb, v4d);
    }
    double s = 0.0;
    if (i < n) {
        v8f f = V8(-INFINITY);
        for (size_t j = 0; i + j < n; j++) f[j] = x[i + j] - m;
        vexpf(&f);
        for (size_t j = 0; i + j < n; j++) {
            out[i + j] = f[j];
            s += f[j];
        }
    }
    v4d t = s0 + s1;
    return (t[0] + t[1]) + (t[2] + t[3]) + s;
}

static double expf_array_base(const float *x, size_t n, float m, float *out)
{
    return expf_array_body(x, n, m, out);
}

double lmp_sample_expf_array(const float *x, size_t n, float m, float *out)
{
    if (has_avx512()) return expf_array_avx512(x, n, m, out);
    if (has_avx2()) return expf_array_avx2(x, n, m, out);
    return expf_array_base(x, n, m, out);
}

/* ---- the lazy full-vocabulary path (temperature only, float32) ----------------------- */

/* Validate float logits (no NaN/+inf) and return the index of the first bad one
 * or n; *max is the maximum. */
static inline __attribute__((always_inline)) size_t fcheck_body(const float *x, size_t n, float *max)
{
    v8f mx = V8(-INFINITY), inf = V8(INFINITY);
    typedef int32_t v8i_t __attribute__((vector_size(32)));
    v8i_t bad = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f f;
        memcpy(&f, x + i, sizeof f);
        bad |= ~(f < inf);
        v8i_t gt = f > mx;
        mx = (v8f)(((v8i_t)f & gt) | ((v8i_t)mx & ~gt));
    }
    int anybad = 0;
    float m = -INFINITY;
    for (int j = 0; j < 8; j++) {
        anybad |= bad[j] != 0;
        m = mx[j] > m ? mx[j] : m;
    }
    if (anybad) i = 0;
    for (; i < n; i++) {
        if (!(x[i] < INFINITY)) return i;
        m = x[i] > m ? x[i] : m;
    }
    *max = m;
    return n;
}

static size_t fcheck_base(const float *x, size_t n, float *max) { return fcheck_body(x, n, max); }

size_t lmp_sample_fcheck(const float *x, size_t n, float *max)
{
    if (has_avx512()) return fcheck_avx512(x, n, max);
    if (has_avx2()) return fcheck_avx2(x, n, max);
    return fcheck_base(x, n, max);
}

/* e = expf(x / tf (float) - m) for 8 floats: the same operations, in the same
 * precision, as the materialised float32 path (load, then exp_sum). */
static inline __attribute__((always_inline)) void scaled_exp8(const float *x, float tf, float m, v8f *e)
{
    v8f f;
    memcpy(&f, x, sizeof f);
    if (tf != 1.0f) {
        const v8f tv = V8(tf);
        f = f / tv;
    }
    v8f mv = V8(m);
    *e = f - mv;
    vexpf(e);
}

/* Block sums (LMP_LAZY_BLOCK floats a block) of e over x[0..n) (n a multiple
 * of 8 handled by the vector loop; the tail by the same 8-lane kernel with
 * -inf padding); returns the total. */
static inline __attribute__((always_inline)) double lazy_sums_body(const float *x, size_t n, float tf, float m,
                                                                   double *block)
{
    double total = 0.0;
    size_t nb = (n + LMP_LAZY_BLOCK - 1) / LMP_LAZY_BLOCK;
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * LMP_LAZY_BLOCK, hi = lo + LMP_LAZY_BLOCK < n ? lo + LMP_LAZY_BLOCK : n;
        v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
        size_t i = lo;
        for (; i + 8 <= hi; i += 8) {
            v8f e;
            scaled_exp8(x + i, tf, m, &e);
            s0 += __builtin_convertvector(__builtin_shufflevector(e, e, 0, 1, 2, 3), v4d);
            s1 += __builtin_convertvector(__builtin_shufflevector(e, e, 4, 5, 6, 7), v4d);
        }
        double bs = 0.0;
        if (i < hi) {
            float pad[8];
            for (size_t j = 0; j < 8; j++) pad[j] = i + j < hi ? x[i + j] : -INFINITY;
            v8f e;
            scaled_exp8(pad, tf, m, &e);
            for (size_t j = 0; i + j < hi; j++) bs += e[j];
        }
        v4d t = s0 + s1;
        bs += (t[0] + t[1]) + (t[2] + t[3]);
        block[b] = bs;
        total += bs;
    }
    return total;
}

static double lazy_sums_base(const float *x, size_t n, float tf, float m, double *block)
{
    return lazy_sums_body(x, n, tf, m, block);
}

double lmp_sample_lazy_sums(const float *x, float *copy, size_t n, float tf, float m, double *block)
{
    if (has_avx512()) return lazy_sums_avx512(x, copy, n, tf, m, block);
    if (has_avx2()) return lazy_sums_avx2(x, copy, n, tf, m, block);
    memcpy(copy, x, n * sizeof *copy);
    return lazy_sums_base(copy, n, tf, m, block);
}

/* Pass for top-p on float32 input: for every logit, l = x / tf (float) (tf = 1:
 * x), e = expf(l - m), and a bucket of d = m - l: b = min((int)(d * scale), nb - 1);
 * bmass[b] += e, bcnt[b]++. Returns the sum of e. The histogram only locates the
 * crossing bucket: the caller gathers with a margin and cuts exactly. */
static inline __attribute__((always_inline)) double topp_hist_body(const float *x, size_t n, float tf, float m,
                                                                   double scale, int nb, double *bmass,
                                                                   size_t *bcnt)
{
    v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    const v8f mv = V8(m), sc = V8((float)scale), top = V8((float)(nb - 1));
    for (size_t i = 0; i < n; i += 8) {
        float pad[8];
        size_t cnt = n - i < 8 ? n - i : 8;
        v8f f;
        if (cnt == 8) memcpy(&f, x + i, sizeof f);
        else {
            for (size_t j = 0; j < 8; j++) pad[j] = j < cnt ? x[i + j] : -INFINITY;
            memcpy(&f, pad, sizeof f);
        }
        if (tf != 1.0f) {
            const v8f tv = V8(tf);
            f = f / tv;
        }
        v8f d = mv - f, e = f - mv;
        vexpf(&e);
        v8f r = d * sc;
        v8i in = r < top; /* false for +inf (l = -inf) */
        r = (v8f)(((v8i)r & in) | ((v8i)top & ~in));
        v8i bi = __builtin_convertvector(r, v8i);
        for (size_t j = 0; j < cnt; j++) {
            bmass[bi[j]] += e[j];
            bcnt[bi[j]]++;
        }
        s0 += __builtin_convertvector(__builtin_shufflevector(e, e, 0, 1, 2, 3), v4d);
        s1 += __builtin_convertvector(__builtin_shufflevector(e, e, 4, 5, 6, 7), v4d);
    }
    v4d t = s0 + s1;
    return (t[0] + t[1]) + (t[2] + t[3]);
}

static double topp_hist_base(const float *x, size_t n, float tf, float m, double scale, int nb, double *bmass,
                             size_t *bcnt)
{
    return topp_hist_body(x, n, tf, m, scale, nb, bmass, bcnt);
}

double lmp_sample_topp_hist(const float *x, size_t n, float tf, float m, double scale, int nb, double *bmass,
                            size_t *bcnt)
{
    if (has_avx512()) return topp_hist_avx512(x, n, tf, m, scale, nb, bmass, bcnt);
    if (has_avx2()) return topp_hist_avx2(x, n, tf, m, scale, nb, bmass, bcnt);
    return topp_hist_base(x, n, tf, m, scale, nb, bmass, bcnt);
}

/* The baseline of lmp_sample_topp_exps: the same operations and order as topp_hist_body. */
static double topp_exps_base(const float *x, size_t n, float tf, float m, float *e)
{
    v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i += 8) {
        float pad[8];
        size_t cnt = n - i < 8 ? n - i : 8;
        for (size_t j = 0; j < 8; j++) pad[j] = j < cnt ? x[i + j] : -INFINITY;
        v8f y;
        scaled_exp8(pad, tf, m, &y);
        for (size_t j = 0; j < cnt; j++) e[i + j] = y[j];
        s0 += __builtin_convertvector(__builtin_shufflevector(y, y, 0, 1, 2, 3), v4d);
        s1 += __builtin_convertvector(__builtin_shufflevector(y, y, 4, 5, 6, 7), v4d);
    }
    v4d t = s0 + s1;
    return (t[0] + t[1]) + (t[2] + t[3]);
}

double lmp_sample_topp_exps(const float *x, size_t n, float tf, float m, float *e)
{
    if (has_avx512()) return topp_exps_avx512(x, n, tf, m, e);
    if (has_avx2()) return topp_exps_avx2(x, n, tf, m, e);
    return topp_exps_base(x, n, tf, m, e);
}

size_t lmp_sample_topp_gather(const float *x, size_t n, float lo, float hi, const float *e, int32_t *out,
                              float *xs, float *es, double *mass)
{
    if (has_avx512()) return topp_gather_avx512(x, n, lo, hi, e, out, xs, es, mass);
    *mass = 0.0;
    return topp_gather_scalar(x, 0, n, lo, hi, e, out, xs, es, 0, mass);
}

/* The exps of one block, in order (8 at a time through the same kernel). */
void lmp_sample_lazy_block(const float *x, size_t lo, size_t hi, float tf, float m, double *e)
{
    if (has_avx2()) {
        lazy_block_avx2(x, lo, hi, tf, m, e);
        return;
    }
    for (size_t i = lo; i < hi; i += 8) {
        float pad[8];
        for (size_t j = 0; j < 8; j++) pad[j] = i + j < hi ? x[i + j] : -INFINITY;
        v8f v;
        scaled_exp8(pad, tf, m, &v);
        for (size_t j = 0; j < 8 && i + j < hi; j++) e[i + j - lo] = v[j];
    }
}

/* ---- load, max, scale ------------------------------------------------------------ */

typedef int64_t v4l __attribute__((vector_size(32)));

/* lane-wise max (a macro: a 32-byte vector argument would trip -Wpsabi) */
#define VMAX4(a, b) ((v4d)((((v4l)(a)) & ((a) > (b))) | (((v4l)(b)) & ~((a) > (b)))))

/* One pass: validate, convert (and divide by T), store, track the maximum.
 * Returns the first bad index or V. The vector loop only detects that a block
 * is bad; the scalar loop below names the index. */
static inline __attribute__((always_inline)) size_t load_body(const float *lf, const double *ld, size_t V, double T,
                                                              double *lg, int f32, double *max)
{
    const v4d inf = {INFINITY, INFINITY, INFINITY, INFINITY};
    /* float32 mode: x / Tf in float (Tf = (float)T), the correctly rounded
     * float quotient, as torch and llama.cpp; float64 mode divides in double. */
    const float tf = (float)T;
    const v4d tv = {T, T, T, T};
    const v4f tfv = {tf, tf, tf, tf};
    v4d mx = -inf;
    v4l anybad = {0, 0, 0, 0};
    int scale = T != 1.0;
    size_t i = 0;
    /* Blocks of 1024: flags are OR-ed without a branch per vector, checked per block. */
    for (size_t blk = 0; blk + 1024 <= V; blk += 1024) {
        for (; i + 4 <= blk + 1024; i += 4) {
            v4d a;
            if (lf) {
                v4f f;
                memcpy(&f, lf + i, sizeof f);
                a = __builtin_convertvector(f, v4d);
            } else {
                memcpy(&a, ld + i, sizeof a);
            }
            anybad |= ~(a < inf); /* NaN or +inf */
            if (f32 && ld) {
                v4d back = __builtin_convertvector(__builtin_convertvector(a, v4f), v4d);
                anybad |= ((back == -inf) & ~(a == -inf)) | (back == inf);
                a = back;
            }
            if (f32 && scale) a = __builtin_convertvector(__builtin_convertvector(a, v4f) / tfv, v4d);
            else if (scale) a = a / tv;
            memcpy(lg + i, &a, sizeof a);
            mx = VMAX4(mx, a);
        }
        if (anybad[0] | anybad[1] | anybad[2] | anybad[3]) { /* let the scalar loop name the index */
            i = blk;
            mx = -inf;
            break;
        }
    }
    for (; i + 4 <= V && !(anybad[0] | anybad[1] | anybad[2] | anybad[3]); i += 4) {
        v4d a;
        if (lf) {
            v4f f;
            memcpy(&f, lf + i, sizeof f);
            a = __builtin_convertvector(f, v4d);
        } else {
            memcpy(&a, ld + i, sizeof a);
        }
        v4l bad = ~(a < inf); /* NaN or +inf */
        if (bad[0] | bad[1] | bad[2] | bad[3]) break;
        if (f32 && ld) { /* the float32 model's logit first, then / T */
            v4d back = __builtin_convertvector(__builtin_convertvector(a, v4f), v4d);
            v4l ovf = ((back == -inf) & ~(a == -inf)) | (back == inf); /* finite doubles beyond FLT_MAX */
            if (ovf[0] | ovf[1] | ovf[2] | ovf[3]) break;
            a = back;
        }
        if (f32 && scale) a = __builtin_convertvector(__builtin_convertvector(a, v4f) / tfv, v4d);
        else if (scale) a = a / tv;
        memcpy(lg + i, &a, sizeof a);
        mx = VMAX4(mx, a);
    }
    double m = -INFINITY;
    for (int j = 0; j < 4; j++)
        if (mx[j] > m) m = mx[j];
    if (anybad[0] | anybad[1] | anybad[2] | anybad[3])
        for (size_t j = 0; j < i; j++)
            if (lg[j] > m) m = lg[j];
    for (; i < V; i++) {
        double v = lf ? (double)lf[i] : ld[i];
        if (!(v < INFINITY)) return i;
        if (f32 && ld) {
            float g = (float)v;
            if ((g == -INFINITY && v != -INFINITY) || g == INFINITY) return i;
            v = g;
        }
        if (f32 && scale) v = (double)((float)v / tf);
        else if (scale) v = v / T;
        if (!(v < INFINITY)) return i; /* x / T overflowed */
        lg[i] = v;
        if (v > m) m = v;
    }
    *max = m;
    return V;
}

__attribute__((target("avx2,fma"))) static size_t load_avx2(const float *lf, const double *ld, size_t V, double T,
                                                             double *lg, int f32, double *max)
{
    return load_body(lf, ld, V, T, lg, f32, max);
}

static size_t load_base(const float *lf, const double *ld, size_t V, double T, double *lg, int f32, double *max)
{
    return load_body(lf, ld, V, T, lg, f32, max);
}

size_t lmp_sample_load(const float *lf, const double *ld, size_t V, double T, double *lg, int f32, double *max)
{
    /* x / T can overflow to +inf for a tiny T: the vector loop stores it, so
     * re-check the maximum (the scalar tail checks its own elements). */
    size_t bad = has_avx2() ? load_avx2(lf, ld, V, T, lg, f32, max) : load_base(lf, ld, V, T, lg, f32, max);
    if (bad == V && *max == INFINITY)
        for (size_t i = 0; i < V; i++)
            if (lg[i] == INFINITY) return i;
    return bad;
}

static inline __attribute__((always_inline)) double max_body(const double *x, size_t n)
{
    v4d mx = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d a;
        memcpy(&a, x + i, sizeof a);
        mx = VMAX4(mx, a);
    }
    double m = -INFINITY;
    for (int j = 0; j < 4; j++)
        if (mx[j] > m) m = mx[j];
    for (; i < n; i++)
        if (x[i] > m) m = x[i];
    return m;
}

__attribute__((target("avx2,fma"))) static double max_avx2(const double *x, size_t n) { return max_body(x, n); }
static double max_base(const double *x, size_t n) { return max_body(x, n); }

double lmp_sample_max(const double *x, size_t n) { return has_avx2() ? max_avx2(x, n) : max_base(x, n); }

/* p[i] = p[i] / z: float64 mode divides (IEEE division lane by lane, the
 * scalar result bit for bit, numpy's e / e.sum()); float32 mode multiplies by
 * 1/z in double and rounds to float (the float quotient but for ~2^-29 of the
 * cases, as in the load). */
static inline __attribute__((always_inline)) void scale_body(double *p, size_t n, double z, int f32)
{
    const double iz = 1.0 / z;
    const v4d zv = {z, z, z, z}, izv = {iz, iz, iz, iz};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d a;
        memcpy(&a, p + i, sizeof a);
        if (f32) a = __builtin_convertvector(__builtin_convertvector(a * izv, v4f), v4d);
        else a = a / zv;
        memcpy(p + i, &a, sizeof a);
    }
    for (; i < n; i++) p[i] = f32 ? (double)(float)(p[i] * iz) : p[i] / z;
}

__attribute__((target("avx2,fma"))) static void scale_avx2(double *p, size_t n, double z, int f32)
{
    scale_body(p, n, z, f32);
}
static void scale_base(double *p, size_t n, double z, int f32) { scale_body(p, n, z, f32); }

void lmp_sample_scale(double *p, size_t n, double z, int f32)
{
    if (has_avx512()) scale_avx512(p, n, z, f32);
    else if (has_avx2()) scale_avx2(p, n, z, f32);
    else scale_base(p, n, z, f32);
}

/* ---- streaming validate + max + gather (the gather fast paths) ---------------------- */

/* Scalar remainder of lmp_sample_fgather from index i (also the whole baseline version). */
static size_t fgather_scalar(const float *x, size_t i, size_t n, lmp_sample_thr_fn thr_of, const void *ctx,
                             float M, float thr, float *max, int32_t *out, size_t m, size_t *nout)
{
    for (; i < n; i++) {
        float v = x[i];
        if (!(v < INFINITY)) {
            *max = M;
            *nout = m;
            return i;
        }
        if (v > M) {
            M = v;
            thr = thr_of(M, ctx);
        }
        out[m] = (int32_t)i;
        m += v >= thr;
    }
    *max = M;
    *nout = m;
    return n;
}

/* 32 floats a step: 4 loads, 4 compares for validity, one max tree, one
 * compare against the running maximum and 4 against the threshold; the
 * (rare) blocks with a new maximum or a candidate take a branch. */
__attribute__((target("avx2,fma"))) static size_t fgather_avx2(const float *x, size_t n, lmp_sample_thr_fn thr_of,
                                                                const void *ctx, float *max, int32_t *out,
                                                                size_t *nout)
{
    float M = -INFINITY, thr = thr_of(-INFINITY, ctx);
    const __m256 inf = _mm256_set1_ps(INFINITY);
    __m256 Mv = _mm256_set1_ps(M), tv = _mm256_set1_ps(thr);
    size_t m = 0, i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
        __m256 ok = _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(a, inf, _CMP_LT_OQ), _mm256_cmp_ps(b, inf, _CMP_LT_OQ)),
                                  _mm256_and_ps(_mm256_cmp_ps(c, inf, _CMP_LT_OQ), _mm256_cmp_ps(d, inf, _CMP_LT_OQ)));
        if (_mm256_movemask_ps(ok) != 0xff) break; /* the scalar loop names the index */
        __m256 bm = _mm256_max_ps(_mm256_max_ps(a, b), _mm256_max_ps(c, d));
        if (_mm256_movemask_ps(_mm256_cmp_ps(bm, Mv, _CMP_GT_OQ))) {
            __m128 h = _mm_max_ps(_mm256_castps256_ps128(bm), _mm256_extractf128_ps(bm, 1));
            h = _mm_max_ps(h, _mm_movehl_ps(h, h));
            h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
            M = _mm_cvtss_f32(h);
            thr = thr_of(M, ctx);
            Mv = _mm256_set1_ps(M);
            tv = _mm256_set1_ps(thr);
        }
        __m256 ga = _mm256_cmp_ps(a, tv, _CMP_GE_OQ), gb = _mm256_cmp_ps(b, tv, _CMP_GE_OQ);
        __m256 gc = _mm256_cmp_ps(c, tv, _CMP_GE_OQ), gd = _mm256_cmp_ps(d, tv, _CMP_GE_OQ);
        if (!_mm256_movemask_ps(_mm256_or_ps(_mm256_or_ps(ga, gb), _mm256_or_ps(gc, gd)))) continue;
        uint32_t bits = (uint32_t)_mm256_movemask_ps(ga) | (uint32_t)_mm256_movemask_ps(gb) << 8 |
                        (uint32_t)_mm256_movemask_ps(gc) << 16 | (uint32_t)_mm256_movemask_ps(gd) << 24;
        while (bits) {
            out[m++] = (int32_t)(i + (size_t)__builtin_ctz(bits));
            bits &= bits - 1;
        }
    }
    return fgather_scalar(x, i, n, thr_of, ctx, M, thr, max, out, m, nout);
}

size_t lmp_sample_fgather(const float *x, size_t n, lmp_sample_thr_fn thr_of, const void *ctx, float *max,
                          int32_t *out, size_t *nout)
{
    if (has_avx2()) return fgather_avx2(x, n, thr_of, ctx, max, out, nout);
    return fgather_scalar(x, 0, n, thr_of, ctx, -INFINITY, thr_of(-INFINITY, ctx), max, out, 0, nout);
}

__attribute__((target("avx2,fma"))) static void fscale_avx2(float *out, size_t n, float sc)
{
    const __m256 v = _mm256_set1_ps(sc);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(out + i), v));
    for (; i < n; i++) out[i] *= sc;
}

void lmp_sample_fscale(float *out, size_t n, float sc)
{
    if (has_avx2()) {
        fscale_avx2(out, n, sc);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] *= sc;
}

/* lg[j] = xs[j] / tf in float (xs[j] when tf = 1), key[j] = -lg[j], p[j] = es[j], in double */
static void topp_convert_scalar(const float *xs, const float *es, size_t j, size_t n, float tf, double *lg,
                                double *p, double *key)
{
    for (; j < n; j++) {
        double l = tf != 1.0f ? (double)(xs[j] / tf) : (double)xs[j];
        lg[j] = l;
        key[j] = -l;
        p[j] = (double)es[j];
    }
}

AVX512_FN static void topp_convert_avx512(const float *xs, const float *es, size_t n, float tf, double *lg,
                                          double *p, double *key)
{
    const __m256 tv = _mm256_set1_ps(tf);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 f = _mm256_loadu_ps(xs + j);
        if (tf != 1.0f) f = _mm256_div_ps(f, tv);
        __m512d l = _mm512_cvtps_pd(f);
        _mm512_storeu_pd(lg + j, l);
        _mm512_storeu_pd(key + j, _mm512_sub_pd(_mm512_setzero_pd(), l));
        _mm512_storeu_pd(p + j, _mm512_cvtps_pd(_mm256_loadu_ps(es + j)));
    }
    topp_convert_scalar(xs, es, j, n, tf, lg, p, key);
}

void lmp_sample_topp_convert(const float *xs, const float *es, size_t n, float tf, double *lg, double *p,
                             double *key)
{
    if (has_avx512()) topp_convert_avx512(xs, es, n, tf, lg, p, key);
    else topp_convert_scalar(xs, es, 0, n, tf, lg, p, key);
}

/* ---- mass histogram of ranking keys (mass_cut in sample.c) ----------------------------- */

static void bucketize_scalar(const double *key, const double *p, size_t i, size_t n, double kmin, double scale,
                             int nb, double *bmass, size_t *bcnt, int32_t *bidx)
{
    for (; i < n; i++) {
        double r = (key[i] - kmin) * scale; /* NaN for +inf * 0: last bucket */
        int b = r < nb - 1 ? (int)r : nb - 1;
        bidx[i] = b;
        bmass[b] += p[i];
        bcnt[b]++;
    }
}

AVX512_FN static void bucketize_avx512(const double *key, const double *p, size_t n, double kmin, double scale,
                                       int nb, double *bmass, size_t *bcnt, int32_t *bidx)
{
    const __m512d kv = _mm512_set1_pd(kmin), sv = _mm512_set1_pd(scale), topd = _mm512_set1_pd((double)(nb - 1));
    const __m256i topi = _mm256_set1_epi32(nb - 1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d r = _mm512_mul_pd(_mm512_sub_pd(_mm512_loadu_pd(key + i), kv), sv);
        __mmask8 in = _mm512_cmp_pd_mask(r, topd, _CMP_LT_OQ);
        __m256i b = _mm256_mask_mov_epi32(topi, in, _mm512_cvttpd_epi32(_mm512_maskz_mov_pd(in, r)));
        _mm256_storeu_si256((__m256i *)(bidx + i), b);
    }
    for (size_t j = 0; j < i; j++) {
        bmass[bidx[j]] += p[j];
        bcnt[bidx[j]]++;
    }
    bucketize_scalar(key, p, i, n, kmin, scale, nb, bmass, bcnt, bidx);
}

void lmp_sample_bucketize(const double *key, const double *p, size_t n, double kmin, double scale, int nb,
                          double *bmass, size_t *bcnt, int32_t *bidx)
{
    if (has_avx512()) bucketize_avx512(key, p, n, kmin, scale, nb, bmass, bcnt, bidx);
    else bucketize_scalar(key, p, 0, n, kmin, scale, nb, bmass, bcnt, bidx);
}

AVX512_FN static size_t bucket_members_avx512(const int32_t *bidx, size_t n, int32_t b, size_t *ord)
{
    const __m256i bv = _mm256_set1_epi32(b);
    __m512i pos = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i eight = _mm512_set1_epi64(8);
    size_t m = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __mmask8 eq = _mm256_cmpeq_epi32_mask(_mm256_loadu_si256((const __m256i *)(bidx + i)), bv);
        if (eq) {
            _mm512_mask_compressstoreu_epi64(ord + m, eq, pos);
            m += (size_t)__builtin_popcount((unsigned)eq);
        }
        pos = _mm512_add_epi64(pos, eight);
    }
    for (; i < n; i++)
        if (bidx[i] == b) ord[m++] = i;
    return m;
}

size_t lmp_sample_bucket_members(const int32_t *bidx, size_t n, int32_t b, size_t *ord)
{
    if (has_avx512()) return bucket_members_avx512(bidx, n, b, ord);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (bidx[i] == b) ord[m++] = i;
    return m;
}

/* ---- stable compaction by key ------------------------------------------------------- */

/* One token of lmp_sample_compact: its keep decision (ties by ordinal). */
static inline size_t compact_keep(double k, double t, size_t lo_tie, size_t hi_tie, size_t *seen)
{
    if (k == t) {
        size_t o = (*seen)++;
        return o >= lo_tie && o < hi_tie;
    }
    return k < t;
}

static size_t compact_scalar(const double *key, double t, size_t lo_tie, size_t hi_tie, size_t i, size_t n,
                             int ident, int32_t *id, double *lg, double *p, size_t m, size_t seen)
{
    /* Branch-free on the keep decision (a kept set spread at random over the ids
     * would mispredict a branch on every other token): always copy, advance m
     * by keep. m <= i, so the copy never overwrites an unread entry. */
    for (; i < n; i++) {
        size_t keep = compact_keep(key[i], t, lo_tie, hi_tie, &seen);
        id[m] = ident ? (int32_t)i : id[i];
        lg[m] = lg[i];
        p[m] = p[i];
        m += keep;
    }
    return m;
}

/* 8 tokens a step: compare, and compress-store the kept id/lg/p (a step with a
 * tie decides its lanes one by one, in order). */
AVX512_FN static size_t compact_avx512(const double *key, double t, size_t lo_tie, size_t hi_tie, size_t n,
                                       int ident, int32_t *id, double *lg, double *p)
{
    const __m512d tv = _mm512_set1_pd(t);
    __m256i iv = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i eight = _mm256_set1_epi32(8);
    size_t m = 0, seen = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m512d k = _mm512_loadu_pd(key + i);
        __mmask8 keep = _mm512_cmp_pd_mask(k, tv, _CMP_LT_OQ), eq = _mm512_cmp_pd_mask(k, tv, _CMP_EQ_OQ);
        if (eq) {
            keep = 0;
            for (int j = 0; j < 8; j++)
                keep |= (__mmask8)(compact_keep(key[i + (size_t)j], t, lo_tie, hi_tie, &seen) << j);
        }
        __m256i ids = ident ? iv : _mm256_loadu_si256((const __m256i *)(id + i));
        __m512d l = _mm512_loadu_pd(lg + i), q = _mm512_loadu_pd(p + i);
        _mm256_mask_compressstoreu_epi32(id + m, keep, ids);
        _mm512_mask_compressstoreu_pd(lg + m, keep, l);
        _mm512_mask_compressstoreu_pd(p + m, keep, q);
        m += (size_t)__builtin_popcount((unsigned)keep);
        iv = _mm256_add_epi32(iv, eight);
    }
    return compact_scalar(key, t, lo_tie, hi_tie, i, n, ident, id, lg, p, m, seen);
}

size_t lmp_sample_compact(const double *key, double t, size_t lo_tie, size_t hi_tie, size_t n, int ident,
                          int32_t *id, double *lg, double *p)
{
    if (has_avx512()) return compact_avx512(key, t, lo_tie, hi_tie, n, ident, id, lg, p);
    return compact_scalar(key, t, lo_tie, hi_tie, 0, n, ident, id, lg, p, 0, 0);
}

/* ---- the draw ---------------------------------------------------------------------- */

size_t lmp_sample_cdf_search(const double *p, size_t n, double u)
{
    if (n > 4096) {
        /* Large n: the bit-exact numpy rule needs a sequential sum of all n
         * (latency-bound, ~4 cycles a term); instead sum blocks of 64 with 4
         * accumulators, find the block where the running total crosses u * total,
         * and scan it (u * total with a multiplication). Only a u within ~1e-16 of
         * a cdf value can pick a different token than numpy's rule. */
        enum { B = 64 };
        size_t nb = n / B;
        double total = 0.0;
        for (size_t b = 0; b < nb; b++) {
            const double *q = p + b * B;
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (size_t j = 0; j < B; j += 4) {
                a0 += q[j];
                a1 += q[j + 1];
                a2 += q[j + 2];
                a3 += q[j + 3];
            }
            total += (a0 + a1) + (a2 + a3);
        }
        for (size_t i = nb * B; i < n; i++) total += p[i];
        double target = u * total, c = 0.0;
        size_t last = 0;
        for (size_t b = 0; b < nb; b++) {
            const double *q = p + b * B;
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (size_t j = 0; j < B; j += 4) {
                a0 += q[j];
                a1 += q[j + 1];
                a2 += q[j + 2];
                a3 += q[j + 3];
            }
            double bs = (a0 + a1) + (a2 + a3);
            if (c + bs <= target) {
                c += bs;
                if (bs > 0) last = b * B + B - 1;
                continue;
            }
            for (size_t j = 0; j < B; j++) {
                c += q[j];
                if (q[j] > 0) last = b * B + j;
                if (c > target) return b * B + j;
            }
        }
        for (size_t i = nb * B; i < n; i++) {
            c += p[i];
            if (p[i] > 0) last = i;
            if (c > target) return i;
        }
        while (last > 0 && p[last] == 0) last--;
        return last;
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) total += p[i];
    /* c / total > u, as numpy (cdf /= cdf[-1]); the division is monotone in c,
     * so skip with a multiplication while c is clearly below (4 ulp margin) and
     * decide the crossing itself with numpy's division. */
    double below = u * total * (1.0 - 4 * 1.1102230246251565e-16);
    double c = 0.0;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        c += p[i];
        if (p[i] > 0) last = i;
        if (c <= below) continue;
        if (c / total > u) return i;
    }
    return last;
}

/* ---- standalone kernels ---------------------------------------------------------- */

size_t lmp_argmax(const double *x, size_t n)
{
    if (n == 0) return 0;
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return n;
        if (x[i] > x[a]) a = i;
    }
    return a;
}

size_t lmp_argmax_f(const float *x, size_t n)
{
    if (n == 0) return 0;
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return n;
        if (x[i] > x[a]) a = i;
    }
    return a;
}

size_t lmp_sample_index(const double *w, size_t n, double u)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(w[i] >= 0)) return n;
        total += w[i];
    }
    if (!(total > 0) || isinf(total) || !(u >= 0 && u < 1)) return n;
    double target = u * total, c = 0.0;
    size_t last = n;
    for (size_t i = 0; i < n; i++) {
        c += w[i];
        if (w[i] > 0) last = i;
        if (c > target) return i;
    }
    return last;
}

static lmp_status check_ids(const int32_t *ids, size_t n, size_t V, const char *what, lmp_error *err)
{
    if (n > 0 && !ids) return lmp_error_set(err, LMP_EINVAL, "%s: %zu ids but a NULL pointer", what, n);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "%s[%zu] = %d: expected a token id in [0, %zu)", what, i,
                                 (int)ids[i], V);
    return LMP_OK;
}

/* 1 when ids[i] already occurred in ids[0..i). */
static int seen_before(const int32_t *ids, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (ids[j] == ids[i]) return 1;
    return 0;
}

lmp_status lmp_repetition_penalty(double *scores, size_t V, const int32_t *prev, size_t np, double penalty,
                                  lmp_error *err)
{
    if (!(penalty > 0) || isinf(penalty))
        return lmp_error_set(err, LMP_EINVAL, "repetition_penalty = %g: expected a finite penalty > 0", penalty);
    lmp_status st = check_ids(prev, np, V, "prev_ids", err);
    if (st) return st;
    for (size_t i = 0; i < np; i++) {
        if (seen_before(prev, i)) continue; /* once per distinct token (HF gathers then scatters) */
        double s = scores[prev[i]];
        scores[prev[i]] = s < 0 ? s * penalty : s / penalty;
    }
    return LMP_OK;
}

lmp_status lmp_penalties_f(float *logits, size_t V, const int32_t *last, size_t nl, float repeat, float freq,
                           float present, lmp_error *err)
{
    if (!(repeat > 0) || isinf(repeat))
        return lmp_error_set(err, LMP_EINVAL, "penalty_repeat = %g: expected a finite penalty > 0", (double)repeat);
    if (!isfinite(freq) || !isfinite(present))
        return lmp_error_set(err, LMP_EINVAL, "penalty_freq = %g, penalty_present = %g: expected finite numbers",
                             (double)freq, (double)present);
    lmp_status st = check_ids(last, nl, V, "last_n_tokens", err);
    if (st) return st;
    for (size_t i = 0; i < nl; i++) {
        if (seen_before(last, i)) continue;
        int count = 0;
        for (size_t j = i; j < nl; j++) count += last[j] == last[i];
        float l = logits[last[i]];
        l = l <= 0 ? l * repeat : l / repeat;
        l -= (float)count * freq + (float)(count > 0) * present;
        logits[last[i]] = l;
    }
    return LMP_OK;
}
