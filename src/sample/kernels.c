/* Hot loops of the sampler (see kernels.h) and the standalone kernels
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
 * The float64 path uses libm's exp summed in order below 1024 entries (the
 * chapter's examples: numpy's order for n < 8), and the vector exp of
 * src/info/vmath.c (within 1 ulp) with compensated sums from there on. */
#include <math.h>
#include <string.h>

#include "lmprob/sample.h"
#include "kernels.h"

/* The x86 kernels (AVX2 + FMA, AVX-512) compile only where src/core/isa.h says
 * (LMP_ISA_X86, LMP_ISA_AVX512); elsewhere (aarch64, ...) every kernel is the
 * portable one: GCC vector extensions, which both compilers lower to the
 * machine's own vectors, and isa_machine() is 0. */
#include "../core/isa.h"

/* ---- vectorised float exp -------------------------------------------------------- */

/* The 32-byte vector helpers are static and always inlined, so no ABI is involved. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

#define V8(x) {x, x, x, x, x, x, x, x}

/* The constants of the float exp (Cephes expf) and the x86 vector versions
 * vexp8/vexp16 live in src/core/vexpf.h, shared with the GPT-2 kernels. */
#include "../core/vexpf.h"
#include "../info/vmath.h" /* the float64 exp of vocabularies */
#include "../core/ksum.h"

/* float64 softmaxes from this length on run on the vector exp (lmp_sample_exp_sum); shorter
 * ones (the chapter's examples, hand-written tables) keep libm's exp summed in order */
#define SMP_EXP64_VECTOR_MIN 1024

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
#if LMP_ISA_X86
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
#if LMP_ISA_AVX512
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        return 2;
#endif
    return 1;
#else
    return 0;
#endif
}

/* The widest variant this machine runs; the caller caps it (the sampler keeps a
 * level per object, lmp_softmax_f32 takes the machine's): every kernel takes
 * the level as its first argument, and no level is kept in the process. */
int lmp_sample_isa_best(void) { return isa_machine(); }

#define AVX2_FN __attribute__((target("avx2,fma")))
#define AVX512_FN __attribute__((target("avx2,fma,avx512f,avx512dq,avx512vl")))

#if LMP_ISA_X86
/* f / T in float32 (tv: the float temperature broadcast), lane by lane: the
 * correctly rounded quotient, as torch's float32 division and llama.cpp's
 * logit /= temp */
AVX2_FN static inline __attribute__((always_inline)) __m256 scale8(__m256 f, __m256 tv) { return _mm256_div_ps(f, tv); }

#if LMP_ISA_AVX512
AVX512_FN static inline __attribute__((always_inline)) __m512 scale16(__m512 f, __m512 tv)
{
    return _mm512_div_ps(f, tv);
}
#endif

AVX2_FN static inline __attribute__((always_inline)) double hsum_pair(__m256d s0, __m256d s1)
{
    double t[4];
    _mm256_storeu_pd(t, _mm256_add_pd(s0, s1));
    return (t[0] + t[1]) + (t[2] + t[3]);
}

#if LMP_ISA_AVX512
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
#endif

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

/* validate + max, 32 floats a step (4 independent max chains) */
AVX2_FN static inline __attribute__((always_inline)) float hmax8(__m256 v)
{
    float t[8], m = -INFINITY;
    _mm256_storeu_ps(t, v);
    for (int j = 0; j < 8; j++) m = t[j] > m ? t[j] : m;
    return m;
}

/* AVX2 has no compress instruction (AVX-512's vcompressps, which the AVX-512
 * kernels use to gather): a left-pack of 4 lanes is one vpermilps by this table
 * of the 16 masks (the indices of the set lanes first, in order; the others
 * unused), and 8 lanes are two such halves. The table is 256 bytes; pext would
 * make one of 8 lanes, but it is microcoded on AMD's Zen 1 and 2. */
static const int32_t pack4_idx[16][4] = {
    {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0}, {1, 2, 0, 0}, {0, 1, 2, 0},
    {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0}, {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3},
};

/* The lanes of v whose bit is set in mask (bit j: lane j), stored in lane order
 * at out; returns how many. Writes 8 lanes' room from out (the lanes past the
 * count hold anything): the callers store at m <= i, i + 8 <= n. */
AVX2_FN static inline __attribute__((always_inline)) size_t pack8_store(void *out, __m256 v, unsigned mask)
{
    unsigned lo = mask & 15u, hi = mask >> 4;
    size_t c = (size_t)__builtin_popcount(lo);
    __m128 a = _mm_permutevar_ps(_mm256_castps256_ps128(v), _mm_loadu_si128((const __m128i *)(const void *)pack4_idx[lo]));
    __m128 b = _mm_permutevar_ps(_mm256_extractf128_ps(v, 1), _mm_loadu_si128((const __m128i *)(const void *)pack4_idx[hi]));
    _mm_storeu_ps((float *)out, a);
    _mm_storeu_ps((float *)out + c, b);
    return c + (size_t)__builtin_popcount(hi);
}

/* The 8 lane sums of the top-p kernels (an AVX-512 accumulator, or the AVX2 pair: lanes 0-3, 4-7)
 * reduced in one fixed order, so both ISAs give the same bits. */
static inline double sum8_lanes(const double r[8])
{
    return ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
}

/* (float)(e * iz) of the 8 exps at es, as two halves of 4 (lmp_sample_scale(f32)'s rounding) */
AVX2_FN static inline __attribute__((always_inline)) void probs8(const float *es, __m256d izv, __m128 *p0, __m128 *p1)
{
    *p0 = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(es)), izv));
    *p1 = _mm256_cvtpd_ps(_mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(es + 4)), izv));
}

/* acc0 (lanes 0-3) and acc1 (lanes 4-7) += the probabilities of the lanes whose 32-bit mask m is set
 * (a masked-out lane adds +0, which leaves a sum >= 0 as it is, as AVX-512's masked add does) */
AVX2_FN static inline __attribute__((always_inline)) void add_masked8(__m256d *acc0, __m256d *acc1, __m128 p0,
                                                                       __m128 p1, __m256i m)
{
    *acc0 = _mm256_add_pd(*acc0, _mm256_and_pd(_mm256_cvtps_pd(p0),
                                               _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(m)))));
    *acc1 = _mm256_add_pd(*acc1, _mm256_and_pd(_mm256_cvtps_pd(p1),
                                               _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm256_extracti128_si256(m, 1)))));
}

/* sum8_lanes of the AVX2 pair */
AVX2_FN static inline __attribute__((always_inline)) double sum8_pair(__m256d acc0, __m256d acc1)
{
    double r[8];
    _mm256_storeu_pd(r, acc0);
    _mm256_storeu_pd(r + 4, acc1);
    return sum8_lanes(r);
}
#endif

/* The chunk maximum the vector loop of fcheck leaves open at i (partial: the
 * maximum of its part so far, -inf when i starts a chunk), completed with the
 * scalar tail x[i..n). */
static void cmax_tail(const float *x, size_t i, size_t n, float partial, float *cmax)
{
    if (i >= n && i % LMP_CHUNK == 0) return;
    for (size_t j = i; j < n; j++) partial = x[j] > partial ? x[j] : partial;
    cmax[i / LMP_CHUNK] = partial;
}

#if LMP_ISA_X86
/* sample, cmax as in fcheck_avx512 */
AVX2_FN static size_t fcheck_avx2(const float *x, size_t n, float *max, float *sample, float *cmax)
{
    const __m256 inf = _mm256_set1_ps(INFINITY);
    __m256 m0 = _mm256_set1_ps(-INFINITY), m1 = m0, m2 = m0, m3 = m0, cm = m0;
    __m256 ok = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
        __m256 c = _mm256_loadu_ps(x + i + 16), d = _mm256_loadu_ps(x + i + 24);
        if (sample) {
            sample[i / 16] = x[i];
            sample[i / 16 + 1] = x[i + 16];
        }
        ok = _mm256_and_ps(ok, _mm256_and_ps(_mm256_and_ps(_mm256_cmp_ps(a, inf, _CMP_LT_OQ),
                                                           _mm256_cmp_ps(b, inf, _CMP_LT_OQ)),
                                             _mm256_and_ps(_mm256_cmp_ps(c, inf, _CMP_LT_OQ),
                                                           _mm256_cmp_ps(d, inf, _CMP_LT_OQ))));
        m0 = _mm256_max_ps(m0, a);
        m1 = _mm256_max_ps(m1, b);
        m2 = _mm256_max_ps(m2, c);
        m3 = _mm256_max_ps(m3, d);
        if (cmax) {
            cm = _mm256_max_ps(cm, _mm256_max_ps(_mm256_max_ps(a, b), _mm256_max_ps(c, d)));
            if ((i + 32) % LMP_CHUNK == 0) {
                cmax[i / LMP_CHUNK] = hmax8(cm);
                cm = _mm256_set1_ps(-INFINITY);
            }
        }
    }
    if (cmax) cmax_tail(x, i, n, hmax8(cm), cmax);
    float m = hmax8(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
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

#if LMP_ISA_AVX512
/* cmax (when not NULL): the maximum of each chunk of LMP_CHUNK floats (the
 * last chunk possibly shorter), taken while streaming */
AVX512_FN static size_t fcheck_avx512(const float *x, size_t n, float *max, float *sample, float *cmax)
{
    const __m512 inf = _mm512_set1_ps(INFINITY), ninf = _mm512_set1_ps(-INFINITY);
    __m512 m0 = ninf, m1 = m0, c0 = m0, c1 = m0;
    __mmask16 ok = 0xffff;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        if (sample) {
            sample[i / 16] = x[i];
            sample[i / 16 + 1] = x[i + 16];
        }
        ok &= _mm512_cmp_ps_mask(a, inf, _CMP_LT_OQ) & _mm512_cmp_ps_mask(b, inf, _CMP_LT_OQ);
        m0 = _mm512_max_ps(m0, a);
        m1 = _mm512_max_ps(m1, b);
        if (cmax) {
            c0 = _mm512_max_ps(c0, a);
            c1 = _mm512_max_ps(c1, b);
            if ((i + 32) % LMP_CHUNK == 0) {
                cmax[i / LMP_CHUNK] = _mm512_reduce_max_ps(_mm512_max_ps(c0, c1));
                c0 = c1 = ninf;
            }
        }
    }
    if (cmax) cmax_tail(x, i, n, _mm512_reduce_max_ps(_mm512_max_ps(c0, c1)), cmax);
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
#endif
#endif

/* ---- rules shared by the general path and the top-p route ----------------------------- */

/* The bucket of a ranking key in mass_cut's histogram: (key - kmin) * scale
 * truncated, nb - 1 when not below it (+inf keys, and NaN from +inf * 0). */
static inline __attribute__((always_inline)) int32_t bucket_of_key(double key, double kmin, double scale, int nb)
{
    double r = (key - kmin) * scale;
    return r < nb - 1 ? (int32_t)r : nb - 1;
}

/* The keep decision of one token against the cut key t (keys below t kept; of
 * the keys equal to t, those whose ordinal is in [lo_tie, hi_tie)). */
static inline __attribute__((always_inline)) size_t compact_keep(double k, double t, size_t lo_tie, size_t hi_tie,
                                                                 size_t *seen)
{
    if (k == t) {
        size_t o = (*seen)++;
        return o >= lo_tie && o < hi_tie;
    }
    return k < t;
}

/* ---- the top-p fast path on gathered float32 logits (sample.c topp_first) ---------------- */

/* id <- every i >= i0 with x[i] >= lo (ascending), xs <- those x, from m on;
 * returns the new count. Branch-free: the kept ids are spread at random. */
static size_t fgather_ge_scalar(const float *x, size_t i, size_t n, float lo, int32_t *id, float *xs, size_t m)
{
    for (; i < n; i++) {
        id[m] = (int32_t)i;
        xs[m] = x[i];
        m += x[i] >= lo;
    }
    return m;
}

#if LMP_ISA_AVX512
/* id <- every i with x[i] >= lo (ascending), xs <- those x; returns how many */
AVX512_FN static size_t fgather_ge_avx512(const float *x, size_t n, float lo, int32_t *id, float *xs)
{
    const __m512 lov = _mm512_set1_ps(lo);
    const __m512i sixteen = _mm512_set1_epi32(16);
    __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    size_t m = 0, i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 f = _mm512_loadu_ps(x + i);
        __mmask16 g = _mm512_cmp_ps_mask(f, lov, _CMP_GE_OQ);
        /* compress in a register and store all 16 lanes (faster than a masked
         * compress-store); m + 16 <= i + 16 <= n keeps it inside the buffers */
        _mm512_storeu_si512(id + m, _mm512_maskz_compress_epi32(g, idx));
        _mm512_storeu_ps(xs + m, _mm512_maskz_compress_ps(g, f));
        m += (size_t)__builtin_popcount((unsigned)g);
        idx = _mm512_add_epi32(idx, sixteen);
    }
    return fgather_ge_scalar(x, i, n, lo, id, xs, m);
}
#endif

#if LMP_ISA_X86
/* fgather_ge_avx512 with the left-pack of two 4-lane halves */
AVX2_FN static size_t fgather_ge_avx2(const float *x, size_t n, float lo, int32_t *id, float *xs)
{
    const __m256 lov = _mm256_set1_ps(lo);
    const __m256i eight = _mm256_set1_epi32(8);
    __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    size_t m = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_loadu_ps(x + i);
        unsigned g = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(f, lov, _CMP_GE_OQ));
        pack8_store(id + m, _mm256_castsi256_ps(idx), g);
        m += pack8_store(xs + m, f, g);
        idx = _mm256_add_epi32(idx, eight);
    }
    return fgather_ge_scalar(x, i, n, lo, id, xs, m);
}
#endif

size_t lmp_sample_fgather_ge(int isa, const float *x, size_t n, float lo, int32_t *id, float *xs)
{
#if LMP_ISA_AVX512
    if (isa >= 2) return fgather_ge_avx512(x, n, lo, id, xs);
#endif
#if LMP_ISA_X86
    if (isa >= 1) return fgather_ge_avx2(x, n, lo, id, xs);
#else
    (void)isa;
#endif
    return fgather_ge_scalar(x, 0, n, lo, id, xs, 0);
}

#if LMP_ISA_AVX512
AVX512_FN static double mass_ge_avx512(const float *xs, const float *es, size_t n, float hi)
{
    /* in double, as the AVX2 and portable versions: every level returns the same mass to rounding
     * (test_sample.c test_topp_kernels_levels), whatever n; float partial sums drifted by ~1e-8 */
    const __m512 hv = _mm512_set1_ps(hi);
    __m512d s0 = _mm512_setzero_pd(), s1 = s0;
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m512 e = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_loadu_ps(xs + j), hv, _CMP_GE_OQ),
                                       _mm512_loadu_ps(es + j));
        s0 = _mm512_add_pd(s0, _mm512_cvtps_pd(_mm512_castps512_ps256(e)));
        s1 = _mm512_add_pd(s1, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(e), 1))));
    }
    double s = _mm512_reduce_add_pd(_mm512_add_pd(s0, s1));
    for (; j < n; j++) s += xs[j] >= hi ? (double)es[j] : 0.0;
    return s;
}
#endif

#if LMP_ISA_X86
/* the exps of the tokens at or above hi, summed in double in 8 lanes (a check
 * with a relative margin of 1e-4: the order of the sum does not matter) */
AVX2_FN static double mass_ge_avx2(const float *xs, const float *es, size_t n, float hi)
{
    const __m256 hv = _mm256_set1_ps(hi);
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 e = _mm256_and_ps(_mm256_cmp_ps(_mm256_loadu_ps(xs + j), hv, _CMP_GE_OQ), _mm256_loadu_ps(es + j));
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    double s = hsum_pair(s0, s1);
    for (; j < n; j++) s += xs[j] >= hi ? (double)es[j] : 0.0;
    return s;
}
#endif

double lmp_sample_mass_ge(int isa, const float *xs, const float *es, size_t n, float hi)
{
#if LMP_ISA_AVX512
    if (isa >= 2) return mass_ge_avx512(xs, es, n, hi);
#endif
#if LMP_ISA_X86
    if (isa >= 1) return mass_ge_avx2(xs, es, n, hi);
#else
    (void)isa;
#endif
    double s = 0.0;
    for (size_t j = 0; j < n; j++) s += xs[j] >= hi ? (double)es[j] : 0.0;
    return s;
}

/* One token of lmp_sample_topp_bucket: the processed logit l = x / tf in float
 * (as load()), its key -l, its bucket as lmp_sample_bucketize computes it, and
 * its probability as lmp_sample_scale(f32) computes it, (float)(e * iz). */
static inline __attribute__((always_inline)) int32_t topp_bucket_of(float x, float tf, double kmin, double scale,
                                                                    int nb)
{
    return bucket_of_key(-(double)(tf != 1.0f ? x / tf : x), kmin, scale, nb);
}

static double topp_bucket_scalar(const float *xs, const float *es, size_t j, size_t n, float tf, double kmin,
                                 double scale, int nb, double iz, int32_t bh, double *bmass, int32_t *bidx)
{
    double high = 0.0;
    for (; j < n; j++) {
        int32_t b = topp_bucket_of(xs[j], tf, kmin, scale, nb);
        double p = (double)(float)((double)es[j] * iz);
        bidx[j] = b;
        if (b < bh) high += p;
        else bmass[b] += p;
    }
    return high;
}

#if LMP_ISA_AVX512
/* 8 tokens a step in vectors: bucket and probability; the tokens below bh are
 * summed in the vector accumulator, the others compressed into a list that a
 * scalar loop scatters afterwards (long after the stores: no blocked
 * store-to-load forwarding) */
AVX512_FN static double topp_bucket_avx512(const float *xs, const float *es, size_t n, float tf, double kmin,
                                           double scale, int nb, double iz, int32_t bh, double *bmass,
                                           int32_t *bidx, int32_t *band_b, double *band_p)
{
    const __m512d kv = _mm512_set1_pd(kmin), sv = _mm512_set1_pd(scale), izv = _mm512_set1_pd(iz);
    const __m512d topd = _mm512_set1_pd((double)(nb - 1));
    const __m256i topi = _mm256_set1_epi32(nb - 1), bhv = _mm256_set1_epi32(bh);
    const __m256 tv = _mm256_set1_ps(tf);
    __m512d acc = _mm512_setzero_pd();
    size_t j = 0, nband = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 f = _mm256_loadu_ps(xs + j);
        if (tf != 1.0f) f = _mm256_div_ps(f, tv);
        __m512d key = _mm512_sub_pd(_mm512_setzero_pd(), _mm512_cvtps_pd(f));
        __m512d r = _mm512_mul_pd(_mm512_sub_pd(key, kv), sv);
        __mmask8 in = _mm512_cmp_pd_mask(r, topd, _CMP_LT_OQ);
        __m256i b = _mm256_mask_mov_epi32(topi, in, _mm512_cvttpd_epi32(_mm512_maskz_mov_pd(in, r)));
        _mm256_storeu_si256((__m256i *)(void *)(bidx + j), b);
        __m512d e = _mm512_cvtps_pd(_mm256_loadu_ps(es + j));
        __m512d p = _mm512_cvtps_pd(_mm512_cvtpd_ps(_mm512_mul_pd(e, izv)));
        __mmask8 high = _mm256_cmplt_epi32_mask(b, bhv);
        acc = _mm512_mask_add_pd(acc, high, acc, p);
        __mmask8 band = (__mmask8)~high;
        if (band) { /* nband + 8 <= j + 8 <= n: inside the lists */
            _mm256_storeu_si256((__m256i *)(void *)(band_b + nband), _mm256_maskz_compress_epi32(band, b));
            _mm512_storeu_pd(band_p + nband, _mm512_maskz_compress_pd(band, p));
            nband += (size_t)__builtin_popcount((unsigned)band);
        }
    }
    for (size_t k = 0; k < nband; k++) bmass[band_b[k]] += band_p[k];
    double t[8];
    _mm512_storeu_pd(t, acc);
    double high = sum8_lanes(t);
    return high + topp_bucket_scalar(xs, es, j, n, tf, kmin, scale, nb, iz, bh, bmass, bidx);
}
#endif

#if LMP_ISA_X86
/* topp_bucket_avx512 in two 4-double halves: the same bucket (min(r, nb - 1)
 * is r when r < nb - 1, else nb - 1, NaN included, as bucket_of_key), the same
 * probabilities, the tokens below bh summed in the same 8 lanes and reduced in
 * the same order; the others packed into the lists (the probabilities as the
 * floats they are, in band_p's room) and scattered in index order afterwards */
AVX2_FN static double topp_bucket_avx2(const float *xs, const float *es, size_t n, float tf, double kmin,
                                       double scale, int nb, double iz, int32_t bh, double *bmass, int32_t *bidx,
                                       int32_t *band_b, double *band_p)
{
    const __m256d kv = _mm256_set1_pd(kmin), sv = _mm256_set1_pd(scale), izv = _mm256_set1_pd(iz);
    const __m256d topd = _mm256_set1_pd((double)(nb - 1));
    const __m256i bhv = _mm256_set1_epi32(bh);
    const __m256 tv = _mm256_set1_ps(tf);
    float *band_pf = (float *)(void *)band_p;
    __m256d acc0 = _mm256_setzero_pd(), acc1 = acc0;
    size_t j = 0, nband = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 f = _mm256_loadu_ps(xs + j);
        if (tf != 1.0f) f = _mm256_div_ps(f, tv);
        __m256d k0 = _mm256_sub_pd(_mm256_setzero_pd(), _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
        __m256d k1 = _mm256_sub_pd(_mm256_setzero_pd(), _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
        __m128i b0 = _mm256_cvttpd_epi32(_mm256_min_pd(_mm256_mul_pd(_mm256_sub_pd(k0, kv), sv), topd));
        __m128i b1 = _mm256_cvttpd_epi32(_mm256_min_pd(_mm256_mul_pd(_mm256_sub_pd(k1, kv), sv), topd));
        __m256i b = _mm256_set_m128i(b1, b0);
        _mm256_storeu_si256((__m256i *)(void *)(bidx + j), b);
        __m128 p0, p1;
        probs8(es + j, izv, &p0, &p1);
        __m256i high = _mm256_cmpgt_epi32(bhv, b);
        add_masked8(&acc0, &acc1, p0, p1, high);
        unsigned band = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(high)) ^ 0xffu;
        if (band) { /* nband + 8 <= j + 8 <= n: inside the lists */
            pack8_store(band_b + nband, _mm256_castsi256_ps(b), band);
            nband += pack8_store(band_pf + nband, _mm256_set_m128(p1, p0), band);
        }
    }
    for (size_t k = 0; k < nband; k++) bmass[band_b[k]] += (double)band_pf[k];
    return sum8_pair(acc0, acc1) + topp_bucket_scalar(xs, es, j, n, tf, kmin, scale, nb, iz, bh, bmass, bidx);
}
#endif

double lmp_sample_topp_bucket(int isa, const float *xs, const float *es, size_t n, float tf, double kmin, double scale,
                              int nb, double iz, int32_t bh, double *bmass, int32_t *bidx, int32_t *band_b,
                              double *band_p)
{
#if LMP_ISA_AVX512
    if (isa >= 2) return topp_bucket_avx512(xs, es, n, tf, kmin, scale, nb, iz, bh, bmass, bidx, band_b, band_p);
#endif
#if LMP_ISA_X86
    if (isa >= 1) return topp_bucket_avx2(xs, es, n, tf, kmin, scale, nb, iz, bh, bmass, bidx, band_b, band_p);
#else
    (void)isa, (void)band_b, (void)band_p; /* the vector kernels' lists */
#endif
    return topp_bucket_scalar(xs, es, 0, n, tf, kmin, scale, nb, iz, bh, bmass, bidx);
}

/* keep decision of one token against the cut l > lthr, ties (l == lthr) by
 * ordinal: compact_keep on the keys -l (exact: floats in double) */
static inline __attribute__((always_inline)) size_t topp_keep(float l, float lthr, size_t lo_tie, size_t hi_tie,
                                                              size_t *seen)
{
    return compact_keep(-(double)l, -(double)lthr, lo_tie, hi_tie, seen);
}

static size_t topp_finish_scalar(float *xs, const float *es, int32_t *id, size_t j, size_t n, float tf,
                                 float lthr, size_t lo_tie, size_t hi_tie, double *p, size_t m, size_t seen)
{
    for (; j < n; j++) { /* branch-free on the decision: always write, advance by keep */
        float x = xs[j], l = tf != 1.0f ? x / tf : x;
        size_t keep = topp_keep(l, lthr, lo_tie, hi_tie, &seen);
        id[m] = id[j];
        xs[m] = x;
        p[m] = (double)es[j];
        m += keep;
    }
    return m;
}

#if LMP_ISA_AVX512
AVX512_FN static size_t topp_finish_avx512(float *xs, const float *es, int32_t *id, size_t n, float tf, float lthr,
                                           size_t lo_tie, size_t hi_tie, double *p)
{
    const __m256 tv = _mm256_set1_ps(tf), thr = _mm256_set1_ps(lthr);
    size_t m = 0, seen = 0, j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 x = _mm256_loadu_ps(xs + j), l = tf != 1.0f ? _mm256_div_ps(x, tv) : x;
        __mmask8 keep = _mm256_cmp_ps_mask(l, thr, _CMP_GT_OQ), eq = _mm256_cmp_ps_mask(l, thr, _CMP_EQ_OQ);
        if (eq) {
            float lv[8];
            _mm256_storeu_ps(lv, l);
            keep = 0;
            for (int q = 0; q < 8; q++)
                keep |= (__mmask8)(topp_keep(lv[q], lthr, lo_tie, hi_tie, &seen) << q);
        }
        __m256i ids = _mm256_loadu_si256((const __m256i *)(const void *)(id + j));
        __m512d pv = _mm512_cvtps_pd(_mm256_loadu_ps(es + j));
        /* in place on id and xs: m + 8 <= j + 8, and lanes j .. j + 7 are loaded */
        _mm256_storeu_si256((__m256i *)(void *)(id + m), _mm256_maskz_compress_epi32(keep, ids));
        _mm256_storeu_ps(xs + m, _mm256_maskz_compress_ps(keep, x));
        _mm512_storeu_pd(p + m, _mm512_maskz_compress_pd(keep, pv));
        m += (size_t)__builtin_popcount((unsigned)keep);
    }
    return topp_finish_scalar(xs, es, id, j, n, tf, lthr, lo_tie, hi_tie, p, m, seen);
}
#endif

size_t lmp_sample_topp_finish(int isa, float *xs, const float *es, int32_t *id, size_t n, float tf, float lthr,
                              size_t lo_tie, size_t hi_tie, double *p)
{
#if LMP_ISA_AVX512
    if (isa >= 2) return topp_finish_avx512(xs, es, id, n, tf, lthr, lo_tie, hi_tie, p);
#else
    (void)isa;
#endif
    return topp_finish_scalar(xs, es, id, 0, n, tf, lthr, lo_tie, hi_tie, p, 0, 0);
}

/* The draw of the lazy top-p (sample.c): the first kept token, in order, whose
 * running sum of (float)(e * iz) exceeds target; the keep rule of
 * lmp_sample_topp_finish. Blocks of 64 whose kept mass keeps the sum at or
 * below target are skipped whole (their sum taken 8 lanes at a time); the
 * crossing block is scanned one token at a time. If rounding leaves the target
 * unreached, the last kept token. */
static size_t topp_draw_scan(const float *xs, const float *es, size_t lo, size_t hi, float tf, float lthr,
                             size_t lo_tie, size_t hi_tie, double iz, double target, double *c, size_t *seen,
                             size_t *last)
{
    for (size_t j = lo; j < hi; j++) {
        float l = tf != 1.0f ? xs[j] / tf : xs[j];
        if (!topp_keep(l, lthr, lo_tie, hi_tie, seen)) continue;
        *c += (double)(float)((double)es[j] * iz);
        *last = j;
        if (*c > target) return j;
    }
    return SIZE_MAX;
}

#if LMP_ISA_X86
/* The end of a block's kept mass: the vector part's sum bs (sum8_lanes), then the
 * scalar tail j .. hi; t ties so far, the total in *ties. */
static double block_mass_finish(double bs, const float *xs, const float *es, size_t j, size_t hi, float tf,
                                float lthr, double iz, size_t t, size_t *ties)
{
    for (; j < hi; j++) {
        float l = tf != 1.0f ? xs[j] / tf : xs[j];
        t += l == lthr;
        if (l > lthr) bs += (double)(float)((double)es[j] * iz);
    }
    *ties = t;
    return bs;
}
#endif

#if LMP_ISA_AVX512
AVX512_FN static double topp_block_mass_avx512(const float *xs, const float *es, size_t lo, size_t hi, float tf,
                                               float lthr, double iz, size_t *ties)
{
    const __m256 tv = _mm256_set1_ps(tf), thr = _mm256_set1_ps(lthr);
    const __m512d izv = _mm512_set1_pd(iz);
    __m512d acc = _mm512_setzero_pd();
    size_t t = 0, j = lo;
    for (; j + 8 <= hi; j += 8) {
        __m256 l = _mm256_loadu_ps(xs + j);
        if (tf != 1.0f) l = _mm256_div_ps(l, tv);
        __mmask8 keep = _mm256_cmp_ps_mask(l, thr, _CMP_GT_OQ);
        t += (size_t)__builtin_popcount((unsigned)_mm256_cmp_ps_mask(l, thr, _CMP_EQ_OQ));
        __m512d p = _mm512_cvtps_pd(_mm512_cvtpd_ps(_mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(es + j)), izv)));
        acc = _mm512_mask_add_pd(acc, keep, acc, p);
    }
    double r[8];
    _mm512_storeu_pd(r, acc);
    return block_mass_finish(sum8_lanes(r), xs, es, j, hi, tf, lthr, iz, t, ties);
}
#endif

#if LMP_ISA_X86
/* topp_block_mass_avx512 in two 4-double halves: the same 8 lane sums, reduced in the same order */
AVX2_FN static double topp_block_mass_avx2(const float *xs, const float *es, size_t lo, size_t hi, float tf,
                                           float lthr, double iz, size_t *ties)
{
    const __m256 tv = _mm256_set1_ps(tf), thr = _mm256_set1_ps(lthr);
    const __m256d izv = _mm256_set1_pd(iz);
    __m256d acc0 = _mm256_setzero_pd(), acc1 = acc0;
    size_t t = 0, j = lo;
    for (; j + 8 <= hi; j += 8) {
        __m256 l = _mm256_loadu_ps(xs + j);
        if (tf != 1.0f) l = _mm256_div_ps(l, tv);
        t += (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_cmp_ps(l, thr, _CMP_EQ_OQ)));
        __m128 p0, p1;
        probs8(es + j, izv, &p0, &p1);
        add_masked8(&acc0, &acc1, p0, p1, _mm256_castps_si256(_mm256_cmp_ps(l, thr, _CMP_GT_OQ)));
    }
    return block_mass_finish(sum8_pair(acc0, acc1), xs, es, j, hi, tf, lthr, iz, t, ties);
}
#endif

size_t lmp_sample_topp_draw(int isa, const float *xs, const float *es, size_t n, float tf, float lthr, size_t lo_tie,
                            size_t hi_tie, double iz, double target)
{
    (void)isa; /* no variant but the portable one off x86-64 */
    double c = 0.0;
    size_t seen = 0, last = SIZE_MAX;
#if LMP_ISA_X86
    if (isa >= 1) {
        for (size_t j = 0; j < n; j += 64) {
            size_t hi = j + 64 < n ? j + 64 : n, ties;
#if LMP_ISA_AVX512
            double bs = isa >= 2 ? topp_block_mass_avx512(xs, es, j, hi, tf, lthr, iz, &ties)
                                 : topp_block_mass_avx2(xs, es, j, hi, tf, lthr, iz, &ties);
#else
            double bs = topp_block_mass_avx2(xs, es, j, hi, tf, lthr, iz, &ties);
#endif
            if (ties == 0 && c + bs <= target) { /* no tie to number: skip the block whole */
                c += bs;
                if (bs > 0) last = SIZE_MAX - 1; /* some kept token before: found below if needed */
                continue;
            }
            size_t r = topp_draw_scan(xs, es, j, hi, tf, lthr, lo_tie, hi_tie, iz, target, &c, &seen, &last);
            if (r != SIZE_MAX) return r;
        }
    } else
#endif
    {
        size_t r = topp_draw_scan(xs, es, 0, n, tf, lthr, lo_tie, hi_tie, iz, target, &c, &seen, &last);
        if (r != SIZE_MAX) return r;
    }
    if (last < SIZE_MAX - 1) return last;
    /* rounding left the target unreached: the last kept token, by a full scan */
    c = 0.0;
    seen = 0;
    last = 0;
    topp_draw_scan(xs, es, 0, n, tf, lthr, lo_tie, hi_tie, iz, INFINITY, &c, &seen, &last);
    return last;
}

#if LMP_ISA_AVX512
/* lg[j] = (double)(x[j] / tf) (the division in float; none when tf = 1) */
AVX512_FN static void logits_widen_avx512(const float *x, size_t n, float tf, double *lg)
{
    const __m256 tv = _mm256_set1_ps(tf);
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 f = _mm256_loadu_ps(x + j);
        if (tf != 1.0f) f = _mm256_div_ps(f, tv);
        _mm512_storeu_pd(lg + j, _mm512_cvtps_pd(f));
    }
    for (; j < n; j++) lg[j] = (double)(tf != 1.0f ? x[j] / tf : x[j]);
}
#endif

void lmp_sample_logits_widen(int isa, const float *x, size_t n, float tf, double *lg)
{
    (void)isa; /* no variant but the portable one off x86-64 */
#if LMP_ISA_AVX512
    if (isa >= 2) {
        logits_widen_avx512(x, n, tf, lg);
        return;
    }
#endif
    for (size_t j = 0; j < n; j++) lg[j] = (double)(tf != 1.0f ? x[j] / tf : x[j]);
}

#if LMP_ISA_X86
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
#endif

/* ---- float32 exps and their sums: one order for every kernel ----------------------
 *
 * Every float32 normaliser is summed the same way, whatever the kernel or the ISA,
 * so that all paths of the sampler (lazy, top-p fast path, general path) and
 * lmp_softmax_f32 agree to the bit:
 *   - the exps are taken 16 at a time: group g holds elements 16g .. 16g + 15
 *     (zeros past n); 16 groups make a block of LMP_LAZY_BLOCK = 256 elements;
 *   - within a block the 16 groups are added lane by lane in float as a pairwise
 *     tree (g0 + g1, g2 + g3, ..., then the pairs of those: four levels);
 *   - the 16 lanes of the result are widened to double and reduced in a fixed
 *     order: d_j = y_j + y_(j+8), t_j = d_j + d_(j+4), (t0 + t1) + (t2 + t3);
 *   - the block sums are added in double, in block order.
 * The float tree costs one add per 16 exps, where widening every exp to double
 * cost five instructions (a fifth of the pass). Its rounding error is at most
 * 4 float ulps of a block sum (2.4e-7 relative), the size of the exps' own error
 * (<= 2 ulp each); torch sums its float32 softmax in float as well. */

enum {
    EK_IN_F32 = 1,   /* input: float x; the exp argument is x (/ tf) - m in float */
    EK_IN_F64 = 2,   /* input: double x; the argument is (float)(x - md) */
    EK_DIV = 4,      /* float input divided by tf first (float32 temperature) */
    EK_OUT_F32 = 8,  /* exps stored as floats in of */
    EK_OUT_F64 = 16, /* exps stored as doubles in od */
    EK_COPY = 32,    /* the float input copied to cp (the lazy path keeps it) */
    EK_HIST = 64,    /* top-p mass histogram of m - l: bmass[b] += e, bcnt[b]++, in index order */
    EK_BLOCKS = 128, /* block sums stored in block[] */
    EK_NOEXP = 256,  /* double input already holds the exps (md = 0): only sum them */
    EK_GATHER = 512  /* every i with x[i] >= glo (raw input) appended to gid/gxs/ges (its x and exp) */
};

/* The modes in use; each ISA compiles one specialised loop per mode. */
#define EK_MODES(X)                                                                     \
    X(EK_IN_F32 | EK_OUT_F32)                                                           \
    X(EK_IN_F32 | EK_DIV | EK_OUT_F32)                                                  \
    X(EK_IN_F64 | EK_OUT_F64)                                                           \
    X(EK_IN_F32 | EK_HIST)                                                              \
    X(EK_IN_F32 | EK_DIV | EK_HIST)                                                     \
    X(EK_IN_F32 | EK_COPY | EK_BLOCKS)                                                  \
    X(EK_IN_F32 | EK_DIV | EK_COPY | EK_BLOCKS)                                         \
    X(EK_IN_F64 | EK_NOEXP)                                                             \
    X(EK_IN_F32 | EK_GATHER)                                                            \
    X(EK_IN_F32 | EK_DIV | EK_GATHER)

typedef struct ek_args {
    const float *xf;
    const double *xd;
    float tf, m;
    double md;
    float *of;
    double *od;
    float *cp;
    double *bmass;
    size_t *bcnt;
    float hscale; /* histogram buckets per logit unit */
    int nb;
    double *block;
    float glo;     /* EK_GATHER: the line, and the outputs (gn: how many so far) */
    int32_t *gid;
    float *gxs, *ges;
    size_t *gn;
} ek_args;

/* EK_GATHER for the first cnt lanes of a group half (scalar: AVX2 and baseline) */
static inline __attribute__((always_inline)) void ek_gather_lanes(const ek_args *a, size_t i, const float *e,
                                                                  size_t cnt)
{
    size_t m = *a->gn;
    for (size_t j = 0; j < cnt; j++) { /* branch-free: always write, advance by the test */
        float x = a->xf[i + j];
        a->gid[m] = (int32_t)(i + j);
        a->gxs[m] = x;
        a->ges[m] = e[j];
        m += x >= a->glo;
    }
    *a->gn = m;
}

/* bmass/bcnt update for the first cnt lanes of a group half, in index order */
static inline __attribute__((always_inline)) void ek_scatter(const ek_args *a, const float *e, const int32_t *b,
                                                             size_t cnt)
{
    for (size_t j = 0; j < cnt; j++) {
        a->bmass[b[j]] += e[j];
        a->bcnt[b[j]]++;
    }
}

/* the pairwise tree of the 16 groups g[0..16), lane by lane; g[0] holds the result */
#define EK_TREE(g, add)                                                                 \
    do {                                                                                \
        _Pragma("GCC unroll 4") for (int w_ = 1; w_ < 16; w_ *= 2)                      \
            _Pragma("GCC unroll 8") for (int j_ = 0; j_ + w_ < 16; j_ += 2 * w_)        \
                g[j_] = add(g[j_], g[j_ + w_]);                                         \
    } while (0)

#if LMP_ISA_X86
/* AVX2: a group is two 8-lane halves, computed alike (elements i .. i + 7, cnt of them valid) */
AVX2_FN static inline __attribute__((always_inline)) __m256 ek_half_avx2(const ek_args *a, size_t i, size_t cnt,
                                                                         int mode)
{
    __m256 v, f = _mm256_setzero_ps(), raw = f;
    size_t c = cnt < 8 ? cnt : 8;
    if (mode & EK_IN_F32) {
        if (cnt >= 8) {
            f = _mm256_loadu_ps(a->xf + i);
        } else {
            float t[8];
            for (size_t j = 0; j < 8; j++) t[j] = j < cnt ? a->xf[i + j] : -INFINITY;
            f = _mm256_loadu_ps(t);
        }
        raw = f;
        if (mode & EK_COPY) {
            if (cnt >= 8) _mm256_storeu_ps(a->cp + i, f);
            else memcpy(a->cp + i, a->xf + i, c * sizeof(float));
        }
        if (mode & EK_DIV) f = scale8(f, _mm256_set1_ps(a->tf));
        v = _mm256_sub_ps(f, _mm256_set1_ps(a->m));
    } else if (cnt >= 8) {
        const __m256d mv = _mm256_set1_pd(a->md);
        __m128 fa = _mm256_cvtpd_ps(_mm256_sub_pd(_mm256_loadu_pd(a->xd + i), mv));
        __m128 fb = _mm256_cvtpd_ps(_mm256_sub_pd(_mm256_loadu_pd(a->xd + i + 4), mv));
        v = _mm256_set_m128(fb, fa);
    } else {
        float t[8];
        for (size_t j = 0; j < 8; j++) t[j] = j < cnt ? (float)(a->xd[i + j] - a->md) : (mode & EK_NOEXP) ? 0.0f : -INFINITY;
        v = _mm256_loadu_ps(t);
    }
    __m256 y = (mode & EK_NOEXP) ? v : vexp8(v);
    if (mode & EK_OUT_F32) {
        if (cnt >= 8) {
            _mm256_storeu_ps(a->of + i, y);
        } else {
            float t[8];
            _mm256_storeu_ps(t, y);
            memcpy(a->of + i, t, c * sizeof(float));
        }
    }
    if (mode & EK_OUT_F64) {
        if (cnt >= 8) {
            _mm256_storeu_pd(a->od + i, _mm256_cvtps_pd(_mm256_castps256_ps128(y)));
            _mm256_storeu_pd(a->od + i + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(y, 1)));
        } else {
            float t[8];
            _mm256_storeu_ps(t, y);
            for (size_t j = 0; j < c; j++) a->od[i + j] = (double)t[j];
        }
    }
    if (mode & EK_HIST) {
        __m256 r = _mm256_mul_ps(_mm256_sub_ps(_mm256_set1_ps(a->m), f), _mm256_set1_ps(a->hscale));
        r = _mm256_min_ps(r, _mm256_set1_ps((float)(a->nb - 1))); /* +inf (l = -inf): the last bucket */
        float e[8];
        int32_t b[8];
        _mm256_storeu_ps(e, y);
        _mm256_storeu_si256((__m256i *)(void *)b, _mm256_cvttps_epi32(r));
        ek_scatter(a, e, b, c);
    }
    if (mode & EK_GATHER) {
        if (cnt >= 8) { /* the left-pack: m + 8 <= i + 8 <= n keeps the stores inside the lists */
            unsigned g = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(raw, _mm256_set1_ps(a->glo), _CMP_GE_OQ));
            size_t m = *a->gn;
            __m256i idx = _mm256_add_epi32(_mm256_set1_epi32((int)i), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
            pack8_store(a->gid + m, _mm256_castsi256_ps(idx), g);
            pack8_store(a->gxs + m, raw, g);
            *a->gn = m + pack8_store(a->ges + m, y, g);
        } else {
            float e[8];
            _mm256_storeu_ps(e, y);
            ek_gather_lanes(a, i, e, c);
        }
    }
    return y;
}

AVX2_FN static inline __attribute__((always_inline)) double ek_run_avx2(const ek_args *ap, size_t n, int mode)
{
    /* a local copy of the arguments and of the gather count: stores through the
     * output pointers cannot change them, so they stay in registers */
    size_t gn = 0;
    ek_args la = *ap;
    la.gn = &gn;
    const ek_args *a = &la;
    double total = 0.0;
    for (size_t lo = 0; lo < n; lo += LMP_LAZY_BLOCK) {
        size_t len = n - lo < LMP_LAZY_BLOCK ? n - lo : LMP_LAZY_BLOCK;
        __m256 gl[16], gh[16];
        if (len == LMP_LAZY_BLOCK) {
            for (size_t j = 0; j < 16; j++) {
                gl[j] = ek_half_avx2(a, lo + 16 * j, 16, mode);
                gh[j] = ek_half_avx2(a, lo + 16 * j + 8, 8, mode);
            }
        } else {
            for (size_t j = 0; j < 16; j++) {
                size_t o = 16 * j;
                gl[j] = o < len ? ek_half_avx2(a, lo + o, len - o, mode) : _mm256_setzero_ps();
                gh[j] = o + 8 < len ? ek_half_avx2(a, lo + o + 8, len - o - 8, mode) : _mm256_setzero_ps();
            }
        }
        EK_TREE(gl, _mm256_add_ps);
        EK_TREE(gh, _mm256_add_ps);
        __m256d d0 = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(gl[0])),
                                   _mm256_cvtps_pd(_mm256_castps256_ps128(gh[0])));
        __m256d d1 = _mm256_add_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(gl[0], 1)),
                                   _mm256_cvtps_pd(_mm256_extractf128_ps(gh[0], 1)));
        double bs = hsum_pair(d0, d1);
        if (mode & EK_BLOCKS) a->block[lo / LMP_LAZY_BLOCK] = bs;
        total += bs;
    }
    if (mode & EK_GATHER) *ap->gn = gn;
    return total;
}

#if LMP_ISA_AVX512
/* AVX-512: a group is one vector (the same operations lane by lane as the AVX2 halves) */
AVX512_FN static inline __attribute__((always_inline)) __m512 ek_group_avx512(const ek_args *a, size_t i,
                                                                              size_t cnt, int mode)
{
    const __mmask16 k = cnt >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << cnt) - 1);
    __m512 v, f = _mm512_setzero_ps(), raw = f;
    if (mode & EK_IN_F32) {
        f = cnt >= 16 ? _mm512_loadu_ps(a->xf + i) : _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), k, a->xf + i);
        raw = f;
        if (mode & EK_COPY) {
            if (cnt >= 16) _mm512_storeu_ps(a->cp + i, f);
            else _mm512_mask_storeu_ps(a->cp + i, k, f);
        }
        if (mode & EK_DIV) f = scale16(f, _mm512_set1_ps(a->tf));
        v = _mm512_sub_ps(f, _mm512_set1_ps(a->m));
    } else {
        /* lanes past n: -inf, whose exp is 0 (or 0 itself when the input is exps) */
        const __m512d mv = _mm512_set1_pd(a->md), ninf = _mm512_set1_pd((mode & EK_NOEXP) ? 0.0 : -INFINITY);
        __m512d x0 = cnt >= 16 ? _mm512_loadu_pd(a->xd + i) : _mm512_mask_loadu_pd(ninf, (__mmask8)k, a->xd + i);
        __m512d x1 = cnt >= 16 ? _mm512_loadu_pd(a->xd + i + 8)
                               : _mm512_mask_loadu_pd(ninf, (__mmask8)(k >> 8), a->xd + i + 8);
        v = _mm512_insertf32x8(_mm512_castps256_ps512(_mm512_cvtpd_ps(_mm512_sub_pd(x0, mv))),
                               _mm512_cvtpd_ps(_mm512_sub_pd(x1, mv)), 1);
    }
    __m512 y = (mode & EK_NOEXP) ? v : vexp16(v);
    if (mode & EK_OUT_F32) {
        if (cnt >= 16) _mm512_storeu_ps(a->of + i, y);
        else _mm512_mask_storeu_ps(a->of + i, k, y);
    }
    if (mode & EK_OUT_F64) {
        __m512d d0 = _mm512_cvtps_pd(_mm512_castps512_ps256(y)), d1 = _mm512_cvtps_pd(_mm512_extractf32x8_ps(y, 1));
        if (cnt >= 16) {
            _mm512_storeu_pd(a->od + i, d0);
            _mm512_storeu_pd(a->od + i + 8, d1);
        } else {
            _mm512_mask_storeu_pd(a->od + i, (__mmask8)k, d0);
            _mm512_mask_storeu_pd(a->od + i + 8, (__mmask8)(k >> 8), d1);
        }
    }
    if (mode & EK_HIST) {
        __m512 r = _mm512_mul_ps(_mm512_sub_ps(_mm512_set1_ps(a->m), f), _mm512_set1_ps(a->hscale));
        r = _mm512_min_ps(r, _mm512_set1_ps((float)(a->nb - 1))); /* +inf (l = -inf): the last bucket */
        float e[16];
        int32_t b[16];
        _mm512_storeu_ps(e, y);
        _mm512_storeu_si512(b, _mm512_cvttps_epi32(r));
        ek_scatter(a, e, b, cnt < 16 ? cnt : 16);
    }
    if (mode & EK_GATHER) {
        __mmask16 g = _mm512_cmp_ps_mask(raw, _mm512_set1_ps(a->glo), _CMP_GE_OQ) & k;
        __m512i idx = _mm512_add_epi32(_mm512_set1_epi32((int)i),
                                       _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
        size_t m = *a->gn;
        if (cnt >= 16) { /* register compress, full store: m + 16 <= i + 16 <= n */
            _mm512_storeu_si512(a->gid + m, _mm512_maskz_compress_epi32(g, idx));
            _mm512_storeu_ps(a->gxs + m, _mm512_maskz_compress_ps(g, raw));
            _mm512_storeu_ps(a->ges + m, _mm512_maskz_compress_ps(g, y));
        } else {
            _mm512_mask_compressstoreu_epi32(a->gid + m, g, idx);
            _mm512_mask_compressstoreu_ps(a->gxs + m, g, raw);
            _mm512_mask_compressstoreu_ps(a->ges + m, g, y);
        }
        *a->gn = m + (size_t)__builtin_popcount((unsigned)g);
    }
    return y;
}

AVX512_FN static inline __attribute__((always_inline)) double ek_run_avx512(const ek_args *ap, size_t n, int mode)
{
    /* a local copy of the arguments and of the gather count: stores through the
     * output pointers cannot change them, so they stay in registers */
    size_t gn = 0;
    ek_args la = *ap;
    la.gn = &gn;
    const ek_args *a = &la;
    double total = 0.0;
    for (size_t lo = 0; lo < n; lo += LMP_LAZY_BLOCK) {
        size_t len = n - lo < LMP_LAZY_BLOCK ? n - lo : LMP_LAZY_BLOCK;
        __m512 g[16];
        if (len == LMP_LAZY_BLOCK) {
#pragma GCC unroll 16
            for (size_t j = 0; j < 16; j++) g[j] = ek_group_avx512(a, lo + 16 * j, 16, mode);
        } else {
            for (size_t j = 0; j < 16; j++)
                g[j] = 16 * j < len ? ek_group_avx512(a, lo + 16 * j, len - 16 * j, mode) : _mm512_setzero_ps();
        }
        EK_TREE(g, _mm512_add_ps);
        __m512d d = _mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(g[0])),
                                  _mm512_cvtps_pd(_mm512_extractf32x8_ps(g[0], 1)));
        double bs = hsum_pair(_mm512_castpd512_pd256(d), _mm512_extractf64x4_pd(d, 1));
        if (mode & EK_BLOCKS) a->block[lo / LMP_LAZY_BLOCK] = bs;
        total += bs;
    }
    if (mode & EK_GATHER) *ap->gn = gn;
    return total;
}
#endif
#endif

/* Baseline (generic 8-lane vectors, no FMA: its exps may differ from the AVX ones
 * within 2 ulp; the order of the sums is the same). */
static inline __attribute__((always_inline)) v8f ek_half_base(const ek_args *a, size_t i, size_t cnt, int mode)
{
    v8f v, f = V8(0.0f);
    size_t c = cnt < 8 ? cnt : 8;
    if (mode & EK_IN_F32) {
        for (size_t j = 0; j < 8; j++) f[j] = j < cnt ? a->xf[i + j] : -INFINITY;
        if (mode & EK_COPY) memcpy(a->cp + i, a->xf + i, c * sizeof(float));
        if (mode & EK_DIV) {
            const v8f tv = V8(a->tf);
            f = f / tv;
        }
        const v8f mv = V8(a->m);
        v = f - mv;
    } else {
        for (size_t j = 0; j < 8; j++) v[j] = j < cnt ? (float)(a->xd[i + j] - a->md) : (mode & EK_NOEXP) ? 0.0f : -INFINITY;
    }
    v8f y = v;
    if (!(mode & EK_NOEXP)) vexpf(&y);
    if (mode & EK_OUT_F32)
        for (size_t j = 0; j < c; j++) a->of[i + j] = y[j];
    if (mode & EK_OUT_F64)
        for (size_t j = 0; j < c; j++) a->od[i + j] = (double)y[j];
    if (mode & EK_HIST) {
        const v8f mv = V8(a->m), sc = V8(a->hscale), top = V8((float)(a->nb - 1));
        v8f r = (mv - f) * sc;
        v8i in = r < top; /* false for +inf (l = -inf): the last bucket */
        r = (v8f)(((v8i)r & in) | ((v8i)top & ~in));
        v8i bi = __builtin_convertvector(r, v8i);
        float e[8];
        int32_t b[8];
        memcpy(e, &y, sizeof e);
        memcpy(b, &bi, sizeof b);
        ek_scatter(a, e, b, c);
    }
    if (mode & EK_GATHER) {
        float e[8];
        memcpy(e, &y, sizeof e);
        ek_gather_lanes(a, i, e, c);
    }
    return y;
}

static inline __attribute__((always_inline)) v8f ek_add_base(v8f x, v8f y) { return x + y; }

static inline __attribute__((always_inline)) double ek_run_base(const ek_args *ap, size_t n, int mode)
{
    /* a local copy of the arguments and of the gather count: stores through the
     * output pointers cannot change them, so they stay in registers */
    size_t gn = 0;
    ek_args la = *ap;
    la.gn = &gn;
    const ek_args *a = &la;
    double total = 0.0;
    for (size_t lo = 0; lo < n; lo += LMP_LAZY_BLOCK) {
        size_t len = n - lo < LMP_LAZY_BLOCK ? n - lo : LMP_LAZY_BLOCK;
        v8f gl[16], gh[16];
        for (size_t j = 0; j < 16; j++) {
            size_t o = 16 * j;
            const v8f zero = V8(0.0f);
            gl[j] = o < len ? ek_half_base(a, lo + o, len - o, mode) : zero;
            gh[j] = o + 8 < len ? ek_half_base(a, lo + o + 8, len - o - 8, mode) : zero;
        }
        EK_TREE(gl, ek_add_base);
        EK_TREE(gh, ek_add_base);
        double t[4];
        for (int j = 0; j < 4; j++)
            t[j] = ((double)gl[0][j] + (double)gh[0][j]) + ((double)gl[0][j + 4] + (double)gh[0][j + 4]);
        double bs = (t[0] + t[1]) + (t[2] + t[3]);
        if (mode & EK_BLOCKS) a->block[lo / LMP_LAZY_BLOCK] = bs;
        total += bs;
    }
    if (mode & EK_GATHER) *ap->gn = gn;
    return total;
}

#define EK_CASE(isa, md)                                                                \
    case md:                                                                            \
        return ek_run_##isa(a, n, md);
#define EK_CASE_AVX512(md) EK_CASE(avx512, md)
#define EK_CASE_AVX2(md) EK_CASE(avx2, md)
#define EK_CASE_BASE(md) EK_CASE(base, md)

#if LMP_ISA_X86
#if LMP_ISA_AVX512
AVX512_FN static double ek_avx512(const ek_args *a, size_t n, int mode)
{
    switch (mode) {
        EK_MODES(EK_CASE_AVX512)
    default:
        return ek_run_avx512(a, n, mode);
    }
}
#endif

AVX2_FN static double ek_avx2(const ek_args *a, size_t n, int mode)
{
    switch (mode) {
        EK_MODES(EK_CASE_AVX2)
    default:
        return ek_run_avx2(a, n, mode);
    }
}
#endif

static double ek_base(const ek_args *a, size_t n, int mode)
{
    switch (mode) {
        EK_MODES(EK_CASE_BASE)
    default:
        return ek_run_base(a, n, mode);
    }
}

static double ek(int isa, const ek_args *a, size_t n, int mode)
{
#if LMP_ISA_AVX512
    if (isa >= 2) return ek_avx512(a, n, mode);
#else
    (void)isa;
#endif
#if LMP_ISA_X86
    if (isa >= 1) return ek_avx2(a, n, mode);
#else
    (void)isa;
#endif
    return ek_base(a, n, mode);
}

double lmp_sample_exp_sum(int isa, const double *x, size_t n, double m, double *e, int f32)
{
    if (f32) {
        ek_args a = {.xd = x, .md = m, .od = e};
        return ek(isa, &a, n, EK_IN_F64 | EK_OUT_F64);
    }
    if (n >= SMP_EXP64_VECTOR_MIN) {
        /* A vocabulary: info's vector exp (within 1 ulp, as libm's) and lane-wise TwoSum sums
         * (vmath.h), where libm's exp one element at a time cost 200 us for V = 50257. Neither
         * numpy (pairwise from n = 8) nor torch sums a vocabulary sequentially, so the order
         * below matched neither at this size anyway; the compensated sum is the exact one to
         * about 2^-100. */
        lmp_vm_dd s = lmp_vm_exp_sum(isa, x, NULL, 0, n, m, e, NULL);
        return s.hi + s.lo;
    }
    if (n < 8) { /* sequential, as numpy's sum below 8 (its pairwise sum starts there): the same bits */
        double s = 0.0;
        for (size_t i = 0; i < n; i++) {
            e[i] = exp(x[i] - m);
            s += e[i];
        }
        return s;
    }
    /* 8 to 1023: compensated (Neumaier's sum, src/core/ksum.h). The sequential sum was off by up to
     * (n - 1) u: 80 units of 2^-53 in the probabilities of 1,000 near-equal logits, condition number 1 (the
     * fortieth session's accuracy audit); numpy sums pairwise here and torch in blocks, so no order matched. */
    lmp_ksum k = {0, 0};
    for (size_t i = 0; i < n; i++) lmp_ksum_add(&k, e[i] = exp(x[i] - m));
    return lmp_ksum_value(&k);
}

double lmp_sample_expf_array(int isa, const float *x, size_t n, float m, float *out)
{
    ek_args a = {.xf = x, .m = m, .of = out};
    return ek(isa, &a, n, EK_IN_F32 | EK_OUT_F32);
}

double lmp_sample_topp_exps(int isa, const float *x, size_t n, float tf, float m, float *e)
{
    ek_args a = {.xf = x, .tf = tf, .m = m, .of = e};
    return ek(isa, &a, n, EK_IN_F32 | EK_OUT_F32 | (tf != 1.0f ? EK_DIV : 0));
}

double lmp_sample_topp_hist(int isa, const float *x, size_t n, float tf, float m, double scale, int nb, double *bmass,
                            size_t *bcnt)
{
    ek_args a = {.xf = x, .tf = tf, .m = m, .bmass = bmass, .bcnt = bcnt, .hscale = (float)scale, .nb = nb};
    return ek(isa, &a, n, EK_IN_F32 | EK_HIST | (tf != 1.0f ? EK_DIV : 0));
}

double lmp_sample_exps_gather(int isa, const float *x, size_t n, float tf, float m, float lo, int32_t *id, float *xs,
                              float *es, size_t *ng)
{
    *ng = 0;
    ek_args a = {.xf = x, .tf = tf, .m = m, .glo = lo, .gid = id, .gxs = xs, .ges = es, .gn = ng};
    return ek(isa, &a, n, EK_IN_F32 | EK_GATHER | (tf != 1.0f ? EK_DIV : 0));
}

double lmp_sample_sum_exps(int isa, const double *e, size_t n)
{
    ek_args a = {.xd = e};
    return ek(isa, &a, n, EK_IN_F64 | EK_NOEXP);
}

double lmp_sample_lazy_sums(int isa, const float *x, float *copy, size_t n, float tf, float m, double *block)
{
    ek_args a = {.xf = x, .tf = tf, .m = m, .cp = copy, .block = block};
    return ek(isa, &a, n, EK_IN_F32 | EK_COPY | EK_BLOCKS | (tf != 1.0f ? EK_DIV : 0));
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

size_t lmp_sample_fcheck(int isa, const float *x, size_t n, float *max)
{
#if LMP_ISA_AVX512
    if (isa >= 2) return fcheck_avx512(x, n, max, NULL, NULL);
#else
    (void)isa;
#endif
#if LMP_ISA_X86
    if (isa >= 1) return fcheck_avx2(x, n, max, NULL, NULL);
#else
    (void)isa;
#endif
    return fcheck_base(x, n, max);
}

size_t lmp_sample_fcheck_sample(int isa, const float *x, size_t n, float *max, float *sample, float *cmax)
{
    size_t bad;
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa >= 2) {
        bad = fcheck_avx512(x, n, max, sample, cmax);
    } else
#endif
    if (isa >= 1) {
        bad = fcheck_avx2(x, n, max, sample, cmax);
    } else
#endif
    { /* the baseline: a pass of its own */
        bad = fcheck_base(x, n, max);
        for (size_t c = 0; c * LMP_CHUNK < n && bad == n; c++)
            cmax_tail(x + c * LMP_CHUNK, 0, n - c * LMP_CHUNK < LMP_CHUNK ? n - c * LMP_CHUNK : LMP_CHUNK, -INFINITY,
                      cmax + c);
    }
    /* the vector loops sample while they stream (the lines are loaded anyway);
     * the rest here (all of it for the baseline: the same values) */
    for (size_t i = isa >= 1 ? n / 32 * 32 : 0; i < n; i += 16) sample[i / 16] = x[i];
    return bad;
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

/* The exps of one block, in order (8 at a time through the same kernel). */
void lmp_sample_lazy_block(int isa, const float *x, size_t lo, size_t hi, float tf, float m, double *e)
{
    (void)isa; /* no variant but the portable one off x86-64 */
#if LMP_ISA_X86
    if (isa >= 1) {
        lazy_block_avx2(x, lo, hi, tf, m, e);
        return;
    }
#endif
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

/* 1 when logit i is not one a sampler takes: NaN, +inf, or (f32 with double logits) beyond float32 */
static inline int load_bad_input(const float *lf, const double *ld, size_t i, int f32)
{
    double v = lf ? (double)lf[i] : ld[i];
    if (!(v < INFINITY)) return 1;
    float g = (float)v;
    return f32 && ld && ((g == -INFINITY && v != -INFINITY) || g == INFINITY);
}

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
        if (load_bad_input(lf, ld, i, f32)) return i;
        double v = lf ? (double)lf[i] : ld[i];
        if (f32 && ld) v = (float)v; /* the float32 model's logit */
        if (f32 && scale) v = (double)((float)v / tf);
        else if (scale) v = v / T;
        if (!(v < INFINITY)) return i; /* x / T overflowed */
        lg[i] = v;
        if (v > m) m = v;
    }
    *max = m;
    return V;
}

#if LMP_ISA_X86
__attribute__((target("avx2,fma"))) static size_t load_avx2(const float *lf, const double *ld, size_t V, double T,
                                                             double *lg, int f32, double *max)
{
    return load_body(lf, ld, V, T, lg, f32, max);
}
#endif

static size_t load_base(const float *lf, const double *ld, size_t V, double T, double *lg, int f32, double *max)
{
    return load_body(lf, ld, V, T, lg, f32, max);
}

size_t lmp_sample_load(int isa, const float *lf, const double *ld, size_t V, double T, double *lg, int f32, double *max)
{
#if LMP_ISA_X86
    size_t bad = isa >= 1 ? load_avx2(lf, ld, V, T, lg, f32, max) : load_base(lf, ld, V, T, lg, f32, max);
#else
    (void)isa;
    size_t bad = load_base(lf, ld, V, T, lg, f32, max);
#endif
    /* x / T can overflow to +inf for a tiny T. The vector loop stores it unchecked and the scalar loop stops at
     * the first of its own, so the index is settled here as the reference chain settles it (src/sample/chain.c):
     * a bad logit anywhere first (every logit is checked before the temperature), else the first quotient that
     * overflowed. Only a row that overflows pays for these scans. */
    if (bad < V && !load_bad_input(lf, ld, bad, f32)) {
        for (size_t i = bad + 1; i < V; i++)
            if (load_bad_input(lf, ld, i, f32)) return i;
        for (size_t i = 0; i < bad; i++)
            if (lg[i] == INFINITY) return i;
    } else if (bad == V && *max == INFINITY) {
        for (size_t i = 0; i < V; i++)
            if (lg[i] == INFINITY) return i;
    }
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

#if LMP_ISA_X86
__attribute__((target("avx2,fma"))) static double max_avx2(const double *x, size_t n) { return max_body(x, n); }
#endif
static double max_base(const double *x, size_t n) { return max_body(x, n); }

double lmp_sample_max(int isa, const double *x, size_t n)
{
#if LMP_ISA_X86
    if (isa >= 1) return max_avx2(x, n);
#else
    (void)isa;
#endif
    (void)isa;
    return max_base(x, n);
}

/* p[i] = p[i] / z: float64 mode divides (IEEE division lane by lane, the
 * scalar result bit for bit, numpy's e / e.sum()); float32 mode multiplies by
 * 1/z in double and rounds to float. With p[i] and z float values that is the
 * correctly rounded float quotient: the double product's error (under 2^-52
 * relative) is below the 2^-49 that separates a quotient of two floats from a
 * float rounding midpoint (the argument of the float32 temperature, see
 * test_f32_temperature_exact). */
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

#if LMP_ISA_X86
__attribute__((target("avx2,fma"))) static void scale_avx2(double *p, size_t n, double z, int f32)
{
    scale_body(p, n, z, f32);
}
#endif
static void scale_base(double *p, size_t n, double z, int f32) { scale_body(p, n, z, f32); }

void lmp_sample_scale(int isa, double *p, size_t n, double z, int f32)
{
    (void)isa; /* no variant but the portable one off x86-64 */
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa >= 2) scale_avx512(p, n, z, f32);
    else
#endif
    if (isa >= 1) scale_avx2(p, n, z, f32);
    else
#endif
        scale_base(p, n, z, f32);
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

#if LMP_ISA_X86
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
#endif

size_t lmp_sample_fgather(int isa, const float *x, size_t n, lmp_sample_thr_fn thr_of, const void *ctx, float *max,
                          int32_t *out, size_t *nout)
{
#if LMP_ISA_X86
    if (isa >= 1) return fgather_avx2(x, n, thr_of, ctx, max, out, nout);
#else
    (void)isa;
#endif
    return fgather_scalar(x, 0, n, thr_of, ctx, -INFINITY, thr_of(-INFINITY, ctx), max, out, 0, nout);
}

#if LMP_ISA_X86
__attribute__((target("avx2,fma"))) static void fscale_avx2(float *out, size_t n, float sc)
{
    const __m256 v = _mm256_set1_ps(sc);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_loadu_ps(out + i), v));
    for (; i < n; i++) out[i] *= sc;
}
#endif

void lmp_sample_fscale(int isa, float *out, size_t n, float sc)
{
    (void)isa; /* no variant but the portable one off x86-64 */
#if LMP_ISA_X86
    if (isa >= 1) {
        fscale_avx2(out, n, sc);
        return;
    }
#endif
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

#if LMP_ISA_AVX512
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
#endif

void lmp_sample_topp_convert(int isa, const float *xs, const float *es, size_t n, float tf, double *lg, double *p,
                             double *key)
{
    (void)isa; /* no variant but the portable one off x86-64 */
#if LMP_ISA_AVX512
    if (isa >= 2) topp_convert_avx512(xs, es, n, tf, lg, p, key);
    else
#endif
        topp_convert_scalar(xs, es, 0, n, tf, lg, p, key);
}

/* ---- mass histogram of ranking keys (mass_cut in sample.c) ----------------------------- */

static void bucketize_scalar(const double *key, const double *p, size_t i, size_t n, double kmin, double scale,
                             int nb, double *bmass, size_t *bcnt, int32_t *bidx)
{
    for (; i < n; i++) {
        int32_t b = bucket_of_key(key[i], kmin, scale, nb);
        bidx[i] = b;
        bmass[b] += p[i];
        bcnt[b]++;
    }
}

#if LMP_ISA_AVX512
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
#endif

void lmp_sample_bucketize(int isa, const double *key, const double *p, size_t n, double kmin, double scale, int nb,
                          double *bmass, size_t *bcnt, int32_t *bidx)
{
    (void)isa; /* no variant but the portable one off x86-64 */
#if LMP_ISA_AVX512
    if (isa >= 2) bucketize_avx512(key, p, n, kmin, scale, nb, bmass, bcnt, bidx);
    else
#endif
        bucketize_scalar(key, p, 0, n, kmin, scale, nb, bmass, bcnt, bidx);
}

#if LMP_ISA_AVX512
AVX512_FN static size_t bucket_members_avx512(const int32_t *bidx, size_t n, int32_t b, size_t *ord, size_t *below)
{
    const __m256i bv = _mm256_set1_epi32(b);
    __m512i pos = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512i eight = _mm512_set1_epi64(8);
    size_t m = 0, lt = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(bidx + i));
        __mmask8 eq = _mm256_cmpeq_epi32_mask(v, bv);
        lt += (size_t)__builtin_popcount((unsigned)_mm256_cmplt_epi32_mask(v, bv));
        if (eq) {
            _mm512_storeu_si512(ord + m, _mm512_maskz_compress_epi64(eq, pos)); /* m + 8 <= i + 8 <= n */
            m += (size_t)__builtin_popcount((unsigned)eq);
        }
        pos = _mm512_add_epi64(pos, eight);
    }
    for (; i < n; i++) {
        lt += bidx[i] < b;
        if (bidx[i] == b) ord[m++] = i;
    }
    if (below) *below = lt;
    return m;
}
#endif

#if LMP_ISA_X86
/* the scalar loop 8 bucket indices a step: the count below b from a compare,
 * the members (a few: one bucket's) one by one from the mask's set bits */
AVX2_FN static size_t bucket_members_avx2(const int32_t *bidx, size_t n, int32_t b, size_t *ord, size_t *below)
{
    const __m256i bv = _mm256_set1_epi32(b);
    size_t m = 0, lt = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(bidx + i));
        lt += (size_t)__builtin_popcount((unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(bv, v))));
        for (unsigned eq = (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, bv))); eq;
             eq &= eq - 1)
            ord[m++] = i + (size_t)__builtin_ctz(eq);
    }
    for (; i < n; i++) {
        lt += bidx[i] < b;
        if (bidx[i] == b) ord[m++] = i;
    }
    if (below) *below = lt;
    return m;
}
#endif

size_t lmp_sample_bucket_members(int isa, const int32_t *bidx, size_t n, int32_t b, size_t *ord, size_t *below)
{
#if LMP_ISA_AVX512
    if (isa >= 2) return bucket_members_avx512(bidx, n, b, ord, below);
#endif
#if LMP_ISA_X86
    if (isa >= 1) return bucket_members_avx2(bidx, n, b, ord, below);
#else
    (void)isa;
#endif
    size_t m = 0, lt = 0;
    for (size_t i = 0; i < n; i++) {
        lt += bidx[i] < b;
        if (bidx[i] == b) ord[m++] = i;
    }
    if (below) *below = lt;
    return m;
}

/* ---- stable compaction by key ------------------------------------------------------- */

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

#if LMP_ISA_AVX512
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
        /* register compress + full store (in place: m + 8 <= i + 8, and lanes
         * i .. i + 7 are already loaded) */
        _mm256_storeu_si256((__m256i *)(void *)(id + m), _mm256_maskz_compress_epi32(keep, ids));
        _mm512_storeu_pd(lg + m, _mm512_maskz_compress_pd(keep, l));
        _mm512_storeu_pd(p + m, _mm512_maskz_compress_pd(keep, q));
        m += (size_t)__builtin_popcount((unsigned)keep);
        iv = _mm256_add_epi32(iv, eight);
    }
    return compact_scalar(key, t, lo_tie, hi_tie, i, n, ident, id, lg, p, m, seen);
}
#endif

size_t lmp_sample_compact(int isa, const double *key, double t, size_t lo_tie, size_t hi_tie, size_t n, int ident,
                          int32_t *id, double *lg, double *p)
{
#if LMP_ISA_AVX512
    if (isa >= 2) return compact_avx512(key, t, lo_tie, hi_tie, n, ident, id, lg, p);
#else
    (void)isa;
#endif
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

size_t lmp_argmax_f32(const float *x, size_t n)
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

static lmp_status check_ids(const lmp_token_id *ids, size_t n, size_t V, const char *what, lmp_error *err)
{
    if (n > 0 && !ids) return lmp_error_set(err, LMP_EINVAL, "%s: %zu ids but a NULL pointer", what, n);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "%s[%zu] = %d: expected a token id in [0, %zu)", what, i,
                                 (int)ids[i], V);
    return LMP_OK;
}

/* 1 when ids[i] already occurred in ids[0..i). */
static int seen_before(const lmp_token_id *ids, size_t i)
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

lmp_status lmp_penalties_f32(float *logits, size_t V, const int32_t *last, size_t nl, float repeat, float freq,
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
