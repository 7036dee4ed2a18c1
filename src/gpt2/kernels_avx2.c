/* AVX2 + FMA kernels of the GPT-2 engine (kernels_x86.h), for the x86-64 CPUs
 * without AVX-512: AMD Zen 1 to 3, Intel's Haswell to Comet Lake and its client
 * cores since Alder Lake. Without them such a CPU ran the portable loops: 7
 * tokens/s of prefill for GPT-2 124M on one Zen 1 core (2026-12-05).
 *
 * The structure is kernels_x86.c's with 8 lanes and 16 registers: a
 * micro-kernel of MR = 6 rows by NR = 16 columns (12 accumulators, two B
 * vectors, one broadcast), the blocking of Goto & van de Geijn ("Anatomy of
 * high-performance matrix multiplication", ACM TOMS 34(3), 2008), B packed per
 * thread into [k][NR] panels, A packed once per product into [k][MR] panels.
 * The contract of gpt2_internal.h holds: each output of a product is one chain
 * of fused multiply-adds over k in increasing order, from 0 (or from C), then
 * + bias, then GELU; so these products give the bits of the AVX-512 ones
 * (tests/test_gpt2.c compares the levels). As there, the layer norm is fused
 * into the packing of A and the MLP's first product is written straight into
 * the second's panels (a pass over the activations and a barrier each). What
 * differs from kernels_x86.c: the one-row kernels use unaligned loads instead
 * of laying them on the weights' cache lines (laid on 32-byte blocks, whole
 * decoding steps were slower in 8 of 8 alternating rounds on Zen 1; docs/gpt2.md,
 * "AVX2 kernels"). */
#include "kernels_x86.h"

#if LMP_ISA_X86

#include <math.h>
#include <string.h>

#include "../core/vexpf.h"

#define A2_FN __attribute__((target("avx2,fma")))
#define A2_INLINE A2_FN static inline __attribute__((always_inline))

#define MR GPT2_AVX2_MR
#define NR GPT2_AVX2_NR
/* Blocking, as kernels_x86.c: the whole sum in one k-block up to KC_MAX; an m-block of
 * packed A that stays in L2 beside a B panel (256 KB: half of a Zen 1/2 core's L2); a
 * packed B block of BP_FLOATS a thread, read again for every m-block, so small enough
 * that two threads' blocks stay in an 8 MB L3 (1.5 MB: 512 columns at K = 768).
 * Shorter k-blocks that keep a B panel in L1 (KC_MAX 256 or 384) were no faster:
 * one product (M 512, best of 15 on one thread) ran at 31.9-33.1 GFLOP/s against
 * 33.2 for these; B blocks of 96K to 768K floats were alike on two threads. */
#ifndef KC_MAX
#define KC_MAX 3072
#endif
#ifndef A_L2_BYTES
#define A_L2_BYTES ((size_t)256 << 10)
#endif
#ifndef MC
#define MC (MR * 16)
#endif
#ifndef BP_FLOATS
#define BP_FLOATS ((size_t)384 << 10)
#endif
#ifndef PF_ROWS
#define PF_ROWS 16
#endif

int gpt2_avx2_usable(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* lanes [0, n) set (n in 0..8) */
A2_INLINE __m256i lane_mask(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* the 8 lanes of v summed in a fixed order: halves, then pairs, then the last two */
A2_INLINE float hsum8(__m256 v)
{
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    return _mm_cvtss_f32(h);
}

/* GELU (tanh approximation), 8 lanes, as gelu16 of kernels_x86.c: x sigmoid(2u),
 * u = sqrt(2/pi) (x + 0.044715 x^3), with t = exp(-2|u|) so that nothing
 * overflows; the reciprocal is a division here (AVX2 has no 14-bit estimate). */
A2_INLINE __m256 gelu8(__m256 x)
{
    const __m256 k0 = _mm256_set1_ps(0.7978845608028654f), k1 = _mm256_set1_ps(0.044715f);
    const __m256 one = _mm256_set1_ps(1.0f);
    __m256 u = _mm256_mul_ps(_mm256_mul_ps(k0, x), _mm256_fmadd_ps(k1, _mm256_mul_ps(x, x), one));
    __m256 au = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), u);
    __m256 t = vexp8(_mm256_mul_ps(_mm256_set1_ps(-2.0f), au));
    __m256 r = _mm256_div_ps(one, _mm256_add_ps(one, t));
    __m256 s = _mm256_blendv_ps(r, _mm256_mul_ps(r, t), _mm256_cmp_ps(u, _mm256_setzero_ps(), _CMP_LT_OQ));
    return _mm256_mul_ps(x, s);
}

/* 8 x 8 transpose of r[0..7] in place */
A2_INLINE void transpose8(__m256 r[8])
{
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* ---- packing --------------------------------------------------------------------------- */

size_t gpt2_avx2_pack_a_floats(size_t M, size_t K) { return (M + MR - 1) / MR * MR * K; }
size_t gpt2_avx2_panels(size_t M) { return (M + MR - 1) / MR; }

/* Panels [p0, p1) of A (M x K, row stride lda) into Ap: panel p at Ap + p*MR*K, laid
 * out [k][MR], rows past M zero. (About 1 % of a prefill: plain loops do.) */
A2_FN void gpt2_avx2_pack_a(const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, float *Ap)
{
    for (size_t p = p0; p < p1; p++) {
        float *dst = Ap + p * MR * K;
        const size_t i0 = p * MR, mr = M - i0 < MR ? M - i0 : MR;
        for (size_t i = 0; i < MR; i++) {
            const float *a = A + (i0 + i) * lda;
            if (i < mr)
                for (size_t k = 0; k < K; k++) dst[k * MR + i] = a[k];
            else
                for (size_t k = 0; k < K; k++) dst[k * MR + i] = 0.0f;
        }
    }
}

/* A row's layer-norm statistics, C a multiple of 8 (Ba et al. 2016, section 3): the mean,
 * then the mean square deviation from it (two passes in float over 8 lanes, each
 * summed across lanes by hsum8), broadcast as the mean and 1 / sqrt(var + eps).
 * gpt2_avx2_layernorm and the fused packing share it: the same bits. */
A2_INLINE void ln_stats(const float *x, size_t C, float eps, __m256 *mean, __m256 *rstd)
{
    __m256 s = _mm256_setzero_ps();
    for (size_t j = 0; j < C; j += 8) s = _mm256_add_ps(s, _mm256_loadu_ps(x + j));
    const __m256 mv = _mm256_set1_ps(hsum8(s) / (float)C);
    __m256 q = _mm256_setzero_ps();
    for (size_t j = 0; j < C; j += 8) {
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + j), mv);
        q = _mm256_fmadd_ps(d, d, q);
    }
    *mean = mv;
    *rstd = _mm256_set1_ps(1.0f / sqrtf(hsum8(q) / (float)C + eps));
}

/* 8 normalised values from x: (x - mean) rstd w + b, one rounding for the product and
 * one for the fused multiply-add; the plain and the fused layer norm both call it. */
A2_INLINE __m256 ln_apply(const float *x, __m256 mean, __m256 rstd, __m256 w, __m256 b)
{
    return _mm256_fmadd_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x), mean), rstd), w, b);
}

/* The same packing of LN(A) (each row layer-normalised, weight w, bias b), for K a
 * multiple of 8: the rows are normalised by gpt2_avx2_layernorm's ln_stats and ln_apply (so the
 * same bits) on their way into the panels, 8 columns at a time through an 8 x 8
 * transpose (the panel's 6 rows and 2 zero rows). One pass over the activations and
 * no barrier between the layer norm and the packing. */
A2_FN void gpt2_avx2_pack_a_ln(const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, const float *w,
                               const float *b, float eps, float *Ap)
{
    const __m256i m6 = lane_mask(MR);
    for (size_t p = p0; p < p1; p++) {
        float *dst = Ap + p * MR * K;
        const size_t i0 = p * MR, mr = M - i0 < MR ? M - i0 : MR;
        __m256 mean[MR], rstd[MR];
        for (size_t i = 0; i < MR; i++) {
            mean[i] = rstd[i] = _mm256_setzero_ps();
            if (i < mr) ln_stats(A + (i0 + i) * lda, K, eps, &mean[i], &rstd[i]);
        }
        for (size_t k = 0; k < K; k += 8) {
            const __m256 wv = _mm256_loadu_ps(w + k), bv = _mm256_loadu_ps(b + k);
            __m256 r[8];
            for (size_t i = 0; i < 8; i++) {
                r[i] = i < mr ? ln_apply(A + (i0 + i) * lda + k, mean[i], rstd[i], wv, bv) : _mm256_setzero_ps();
            }
            transpose8(r);
            for (size_t j = 0; j < 8; j++) _mm256_maskstore_ps(dst + (k + j) * MR, m6, r[j]);
        }
    }
}

/* B block [k0, k0+kc) x [n0, n0+nc) of a [K][N] matrix (ldb) into panels [kc][NR], 8 rows
 * at a time (each panel gets a contiguous run per group; kernels_x86.c measured why). */
A2_FN static void pack_b_kn(const float *B, size_t ldb, size_t N, size_t k0, size_t kc, size_t n0, size_t nc,
                            float *Bp)
{
    const size_t valid = n0 < N ? (N - n0 < nc ? N - n0 : nc) : 0, full = valid / NR * NR,
                 npan = (nc + NR - 1) / NR;
    for (size_t k = 0; k < kc; k += 8) {
        const size_t rows = kc - k < 8 ? kc - k : 8;
        const float *src = B + (k0 + k) * ldb + n0;
        float *dst = Bp + k * NR;
        const int pf = k + PF_ROWS + rows <= kc;
        size_t j = 0;
        for (; j < full; j += NR) {
            if (pf)
                for (size_t r = 0; r < rows; r++) _mm_prefetch((const char *)(src + (PF_ROWS + r) * ldb + j), _MM_HINT_T0);
            for (size_t r = 0; r < rows; r++) {
                _mm256_store_ps(dst + j * kc + r * NR, _mm256_loadu_ps(src + r * ldb + j));
                _mm256_store_ps(dst + j * kc + r * NR + 8, _mm256_loadu_ps(src + r * ldb + j + 8));
            }
        }
        for (; j < npan * NR; j += NR)
            for (size_t r = 0; r < rows; r++)
                for (size_t c = 0; c < NR; c++) dst[j * kc + r * NR + c] = j + c < valid ? src[r * ldb + j + c] : 0.0f;
    }
}

/* B block of an [N][K] matrix (ldb; B[n][k]) into panels [kc][NR]: 8 x 8 transposes. */
A2_FN static void pack_b_nk(const float *B, size_t ldb, size_t N, size_t k0, size_t kc, size_t n0, size_t nc,
                            float *Bp)
{
    for (size_t j = 0; j < nc; j += NR) {
        float *dst = Bp + j * kc;
        for (size_t h = 0; h < NR; h += 8) {
            const size_t n = n0 + j + h;
            size_t rows = n < N ? (N - n < 8 ? N - n : 8) : 0;
            if (j + h >= nc) rows = 0;
            size_t k = 0;
            for (; k + 8 <= kc; k += 8) {
                __m256 r[8];
                for (size_t i = 0; i < 8; i++)
                    r[i] = i < rows ? _mm256_loadu_ps(B + (n + i) * ldb + k0 + k) : _mm256_setzero_ps();
                transpose8(r);
                for (size_t i = 0; i < 8; i++) _mm256_store_ps(dst + (k + i) * NR + h, r[i]);
            }
            for (; k < kc; k++)
                for (size_t i = 0; i < 8; i++) dst[k * NR + h + i] = i < rows ? B[(n + i) * ldb + k0 + k] : 0.0f;
        }
    }
}

/* ---- micro-kernel: C[MR x NR] (+)= Ap[kc][MR] Bp[kc][NR] -------------------------------
 * mr rows and nr columns are valid. first: start from 0 (else from C). last: then
 * + bias (this tile's columns, or NULL) and GELU. */
#define ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define ACC(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
#define LOADC(i)                                                                              \
    if (i < mr) {                                                                             \
        if (nr == NR) {                                                                       \
            c##i##0 = _mm256_loadu_ps(C + i * ldc);                                            \
            c##i##1 = _mm256_loadu_ps(C + i * ldc + 8);                                        \
        } else {                                                                              \
            c##i##0 = _mm256_maskload_ps(C + i * ldc, m0);                                    \
            c##i##1 = _mm256_maskload_ps(C + i * ldc + 8, m1);                                \
        }                                                                                     \
    }
#define STEP(i)                                    \
    {                                              \
        const __m256 a = _mm256_broadcast_ss(ap + i); \
        c##i##0 = _mm256_fmadd_ps(a, b0, c##i##0); \
        c##i##1 = _mm256_fmadd_ps(a, b1, c##i##1); \
    }
#define EPI(i)                                                         \
    if (i < mr) {                                                      \
        if (last) {                                                    \
            if (bias) {                                                \
                c##i##0 = _mm256_add_ps(c##i##0, bv0);                 \
                c##i##1 = _mm256_add_ps(c##i##1, bv1);                 \
            }                                                          \
            if (gelu) {                                                \
                c##i##0 = gelu8(c##i##0);                              \
                c##i##1 = gelu8(c##i##1);                              \
            }                                                          \
        }                                                              \
        if (nr == NR) {                                                \
            _mm256_storeu_ps(C + i * ldc, c##i##0);                    \
            _mm256_storeu_ps(C + i * ldc + 8, c##i##1);                \
        } else {                                                       \
            _mm256_maskstore_ps(C + i * ldc, m0, c##i##0);             \
            _mm256_maskstore_ps(C + i * ldc + 8, m1, c##i##1);         \
        }                                                              \
    }

A2_INLINE void ukernel(size_t kc, const float *ap, const float *bp, float *C, size_t ldc, size_t mr, size_t nr,
                       int first, int last, const float *bias, int gelu)
{
    const __m256i m0 = lane_mask(nr < 8 ? nr : 8), m1 = lane_mask(nr > 8 ? nr - 8 : 0);
    ROWS6(ACC)
    if (!first) {
        ROWS6(LOADC)
    }
    for (size_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_load_ps(bp), b1 = _mm256_load_ps(bp + 8);
        ROWS6(STEP)
        ap += MR;
        bp += NR;
    }
    __m256 bv0 = _mm256_setzero_ps(), bv1 = _mm256_setzero_ps();
    if (last && bias) {
        bv0 = _mm256_maskload_ps(bias, m0);
        bv1 = _mm256_maskload_ps(bias + 8, m1);
    }
    ROWS6(EPI)
}

/* A tile of the micro-kernel (mr x nr valid, row stride NR) into the packed-A layout
 * of a next product: column n's MR values at dst + n*MR, rows past mr zero (what
 * gpt2_avx2_pack_a writes there), through 8 x 8 transposes. */
A2_FN static void store_packed(const float *tile, size_t mr, size_t nr, float *dst)
{
    const __m256i m6 = lane_mask(MR);
    for (size_t h = 0; h < nr; h += 8) {
        __m256 r[8];
        for (size_t i = 0; i < 8; i++) r[i] = i < mr ? _mm256_load_ps(tile + i * NR + h) : _mm256_setzero_ps();
        transpose8(r);
        for (size_t j = 0; j < 8 && h + j < nr; j++) _mm256_maskstore_ps(dst + (h + j) * MR, m6, r[j]);
    }
}

int gpt2_avx2_can_pack_c(size_t M, size_t K) { return M > 1 && K <= KC_MAX; }

/* ---- one row: y = x B (+ bias), for decoding ---------------------------------------------- */

/* y[n0..n1) (+)= sum_k x[k] B[k][n], B [K][N]: four rows of B at a time over the columns
 * (four sequential streams), each output taking their products in order k..k+3 (the
 * chain of the matrix product); columns past the last whole vector by fmaf, the
 * same operation. y (up to 2048 columns at a time) stays in L1. No software
 * prefetch, unlike kernels_x86.c: on Zen 1 the hardware's kept up with these
 * streams, and kernels_x86.c's (non-temporal, 4 rows ahead) made whole decoding
 * steps slower in 8 of 10 alternating rounds on one thread and 8 of 10 on two
 * (medians 21.09 against 21.68 tok/s, 32.5 against 33.9; T0 8 or 16 rows ahead
 * was no better; docs/gpt2.md, "AVX2 kernels"). */
A2_FN static void gemv_kn(const gpt2_gemm *g, size_t n0, size_t n1)
{
    const float *x = g->A;
    float *y = g->C;
    const size_t K = g->K, ldb = g->ldb;
    for (size_t s = n0; s < n1; s += 2048) {
        const size_t e = s + 2048 < n1 ? s + 2048 : n1, ev = s + (e - s) / 8 * 8;
        if (!g->accumulate) memset(y + s, 0, (e - s) * sizeof *y);
        size_t k = 0;
        for (; k + 4 <= K; k += 4) {
            const float *b0 = g->B + k * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            const __m256 x0 = _mm256_set1_ps(x[k]), x1 = _mm256_set1_ps(x[k + 1]), x2 = _mm256_set1_ps(x[k + 2]),
                         x3 = _mm256_set1_ps(x[k + 3]);
            for (size_t n = s; n < ev; n += 8) {
                __m256 acc = _mm256_loadu_ps(y + n);
                acc = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b0 + n), acc);
                acc = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b1 + n), acc);
                acc = _mm256_fmadd_ps(x2, _mm256_loadu_ps(b2 + n), acc);
                acc = _mm256_fmadd_ps(x3, _mm256_loadu_ps(b3 + n), acc);
                _mm256_storeu_ps(y + n, acc);
            }
            for (size_t n = ev; n < e; n++)
                y[n] = fmaf(x[k + 3], b3[n], fmaf(x[k + 2], b2[n], fmaf(x[k + 1], b1[n], fmaf(x[k], b0[n], y[n]))));
        }
        for (; k < K; k++) { /* the last K % 4 rows */
            const float *b0 = g->B + k * ldb;
            const __m256 x0 = _mm256_set1_ps(x[k]);
            for (size_t n = s; n < ev; n += 8)
                _mm256_storeu_ps(y + n, _mm256_fmadd_ps(x0, _mm256_loadu_ps(b0 + n), _mm256_loadu_ps(y + n)));
            for (size_t n = ev; n < e; n++) y[n] = fmaf(x[k], b0[n], y[n]);
        }
        if (g->bias || g->gelu)
            for (size_t n = s; n < e; n += 8) {
                const __m256i mk = lane_mask(e - n < 8 ? e - n : 8);
                __m256 acc = _mm256_maskload_ps(y + n, mk);
                if (g->bias) acc = _mm256_add_ps(acc, _mm256_maskload_ps(g->bias + n, mk));
                if (g->gelu) acc = gelu8(acc);
                _mm256_maskstore_ps(y + n, mk, acc);
            }
    }
}

/* y[n] (+)= dot(B[n], x), B [N][K] (the output projection for one row): eight rows at a
 * time, each summed in 8 lanes (lane i: k = i, i + 8, ... in order) then across them
 * (hsum8), the last K % 8 terms after; then + C, + bias and GELU. */
A2_FN static void gemv_nk(const gpt2_gemm *g, size_t n0, size_t n1)
{
    const float *x = g->A;
    const size_t K = g->K, ldb = g->ldb, kv = K / 8 * 8;
    for (size_t n = n0; n < n1; n += 8) {
        const size_t rows = n1 - n < 8 ? n1 - n : 8;
        const float *b = g->B + n * ldb;
        __m256 a[8];
        for (int r = 0; r < 8; r++) a[r] = _mm256_setzero_ps();
        if (rows == 8) {
            for (size_t k = 0; k < kv; k += 8) {
                const __m256 xv = _mm256_loadu_ps(x + k);
#pragma GCC unroll 8
                for (int r = 0; r < 8; r++) a[r] = _mm256_fmadd_ps(_mm256_loadu_ps(b + r * ldb + k), xv, a[r]);
            }
        } else {
            for (size_t k = 0; k < kv; k += 8)
                for (size_t r = 0; r < rows; r++)
                    a[r] = _mm256_fmadd_ps(_mm256_loadu_ps(b + r * ldb + k), _mm256_loadu_ps(x + k), a[r]);
        }
        float out[8] = {0};
        for (size_t r = 0; r < rows; r++) {
            float s = hsum8(a[r]);
            for (size_t k = kv; k < K; k++) s += b[r * ldb + k] * x[k];
            if (g->accumulate) s += g->C[n + r];
            if (g->bias) s += g->bias[n + r];
            out[r] = s;
        }
        __m256 o = _mm256_loadu_ps(out);
        if (g->gelu) o = gelu8(o);
        _mm256_maskstore_ps(g->C + n, lane_mask(rows), o);
    }
}

/* C[n0..n1) = (C or 0) + the chunks' partial sums in chunk order + bias, then GELU. */
A2_FN void gpt2_avx2_gemv_reduce(const gpt2_gemm *g, const float *part, size_t nch, size_t n0, size_t n1)
{
    const size_t N = g->N;
    for (size_t n = n0; n < n1; n += 8) {
        const __m256i mk = lane_mask(n1 - n < 8 ? n1 - n : 8);
        __m256 acc = g->accumulate ? _mm256_maskload_ps(g->C + n, mk) : _mm256_setzero_ps();
        for (size_t c = 0; c < nch; c++) acc = _mm256_add_ps(acc, _mm256_maskload_ps(part + c * N + n, mk));
        if (g->bias) acc = _mm256_add_ps(acc, _mm256_maskload_ps(g->bias + n, mk));
        if (g->gelu) acc = gelu8(acc);
        _mm256_maskstore_ps(g->C + n, mk, acc);
    }
}

/* ---- the product ---------------------------------------------------------------------------- */

size_t gpt2_avx2_gemm_scratch_floats(void) { return BP_FLOATS + (size_t)KC_MAX * NR; }

A2_FN void gpt2_avx2_gemm_cols(const gpt2_gemm *g, const float *Ap, size_t n0, size_t n1, float *Bp)
{
    if (g->M == 1) {
        if (g->b_trans) gemv_nk(g, n0, n1);
        else gemv_kn(g, n0, n1);
        return;
    }
    const size_t M = g->M, K = g->K;
    const size_t nkb = (K + KC_MAX - 1) / KC_MAX, KC = (K + nkb - 1) / nkb;
    for (size_t k0 = 0; k0 < K; k0 += KC) {
        const size_t kc = K - k0 < KC ? K - k0 : KC;
        const int first = k0 == 0 && !g->accumulate, last = k0 + kc == K;
        const size_t NC = BP_FLOATS / kc / NR * NR > NR ? BP_FLOATS / kc / NR * NR : NR;
        const size_t MCa = A_L2_BYTES / sizeof(float) / kc / MR * MR, MCk = MCa < MR ? MR : MCa < MC ? MCa : MC;
        for (size_t j0 = n0; j0 < n1; j0 += NC) {
            const size_t nc = n1 - j0 < NC ? n1 - j0 : NC;
            if (g->b_trans) pack_b_nk(g->B, g->ldb, g->N, k0, kc, j0, nc, Bp);
            else pack_b_kn(g->B, g->ldb, g->N, k0, kc, j0, nc, Bp);
            for (size_t i0 = 0; i0 < M; i0 += MCk) {
                const size_t mc = M - i0 < MCk ? M - i0 : MCk;
                for (size_t j = 0; j < nc; j += NR) {
                    const size_t n = j0 + j, nr = n1 - n < NR ? n1 - n : NR;
                    const float *bias = g->bias ? g->bias + n : NULL;
                    if (g->c_packed) {
                        /* the tile goes through L1 and a transpose into the next product's panels */
                        float tile[MR * NR] __attribute__((aligned(32)));
                        for (size_t i = 0; i < mc; i += MR) {
                            const size_t row = i0 + i, mr = M - row < MR ? M - row : MR;
                            ukernel(kc, Ap + row * K + k0 * MR, Bp + j * kc, tile, NR, mr, nr, first, last, bias,
                                    g->gelu);
                            store_packed(tile, mr, nr, g->C + row * g->N + n * MR);
                        }
                        continue;
                    }
                    for (size_t i = 0; i < mc; i += MR) {
                        const size_t row = i0 + i, mr = M - row < MR ? M - row : MR;
                        ukernel(kc, Ap + row * K + k0 * MR, Bp + j * kc, g->C + row * g->ldc + n, g->ldc, mr, nr,
                                first, last, bias, g->gelu);
                    }
                }
            }
        }
    }
}

/* ---- layer norm (C a multiple of 8): kernels_x86.c's two passes in 8 lanes (ln_stats) ------------ */

A2_FN void gpt2_avx2_layernorm(const float *x, float *y, size_t C, const float *w, const float *b, float eps)
{
    __m256 mv, rs;
    ln_stats(x, C, eps, &mv, &rs);
    for (size_t j = 0; j < C; j += 8)
        _mm256_storeu_ps(y + j, ln_apply(x + j, mv, rs, _mm256_loadu_ps(w + j), _mm256_loadu_ps(b + j)));
}

/* ---- attention (Vaswani et al. 2017, eq. 1, causal), d a multiple of 8 ------------------------
 * For the query rows [i0, i1) of one head, 6 at a time: the scores against each
 * key tile ([d][16], a B panel of the micro-kernel's shape), the softmax numerators
 * row by row, then O = P V in blocks of 16 columns (the last 8 apart), / the row
 * sums. Both products run through rows_x16, a 6 x 16 micro-kernel that reads its
 * 6 rows of A in place (row stride lda) and B with a row stride: its 12 sums
 * are named registers (arrays of them, indexed under a row count, were spilled
 * to the stack by gcc: the attention took 14 % of a 1024-token prefill's
 * samples for 7 % of its FLOP). */
#define RX_ACC(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps();
#define RX_STEP(i)                                    \
    {                                                 \
        const __m256 ak = _mm256_broadcast_ss(a##i + k); \
        c##i##0 = _mm256_fmadd_ps(ak, b0, c##i##0);   \
        c##i##1 = _mm256_fmadd_ps(ak, b1, c##i##1);   \
    }
#define RX_STORE(i)                                   \
    if (i < mr) {                                     \
        _mm256_storeu_ps(C + i * ldc, c##i##0);       \
        _mm256_storeu_ps(C + i * ldc + 8, c##i##1);   \
    }

/* C[i][0..16) = sum_k A[i][k] B[k][0..16) for rows i < mr (rows past mr compute row 0 again
 * and are not stored): each sum one fused chain over k in increasing order. */
A2_INLINE void rows_x16(size_t kc, const float *a, size_t lda, size_t mr, const float *bp, size_t ldb, float *C,
                        size_t ldc)
{
    const float *a0 = a, *a1 = mr > 1 ? a + lda : a, *a2 = mr > 2 ? a + 2 * lda : a, *a3 = mr > 3 ? a + 3 * lda : a,
                *a4 = mr > 4 ? a + 4 * lda : a, *a5 = mr > 5 ? a + 5 * lda : a;
    ROWS6(RX_ACC)
    for (size_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
        ROWS6(RX_STEP)
        bp += ldb;
    }
    ROWS6(RX_STORE)
}

/* One query row (decoding), where rows_x16 would compute six: the scores against
 * four tiles at a time (eight independent chains, one per tile half), and P V
 * over 64 columns at a time (eight chains). Each output is the same chain as in
 * rows_x16 (over e, or over the keys, in increasing order), so the same bits. */
#define ONE8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
#define O_ACC(u) __m256 r##u = _mm256_setzero_ps();
#define O_TILE(u) r##u = _mm256_fmadd_ps(qe, _mm256_load_ps(b + (u / 2) * d * GPT2_KT + e * GPT2_KT + (u % 2) * 8), r##u);
#define O_TSTORE(u) _mm256_storeu_ps(s + (t + u / 2) * GPT2_KT + (u % 2) * 8, r##u);
#define O_PV(u) r##u = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8 * u), r##u);
#define O_OSTORE(u) _mm256_storeu_ps(o + c + 8 * u, r##u);

A2_INLINE void one_row_scores(const float *q, const float *kt, size_t d, size_t ntiles, float *s)
{
    size_t t = 0;
    for (; t + 4 <= ntiles; t += 4) {
        const float *b = kt + t * d * GPT2_KT;
        ONE8(O_ACC)
        for (size_t e = 0; e < d; e++) {
            /* the next four tiles, from DRAM (the weights have streamed through the caches) */
            if (t + 8 <= ntiles && e % 4 == 0)
                for (size_t u = 0; u < 4; u++) _mm_prefetch((const char *)(b + (4 + u) * d * GPT2_KT + e * GPT2_KT), _MM_HINT_T0);
            const __m256 qe = _mm256_broadcast_ss(q + e);
            ONE8(O_TILE)
        }
        ONE8(O_TSTORE)
    }
    for (; t < ntiles; t++) {
        const float *b = kt + t * d * GPT2_KT;
        __m256 r0 = _mm256_setzero_ps(), r1 = _mm256_setzero_ps();
        for (size_t e = 0; e < d; e++) {
            const __m256 qe = _mm256_broadcast_ss(q + e);
            r0 = _mm256_fmadd_ps(qe, _mm256_load_ps(b + e * GPT2_KT), r0);
            r1 = _mm256_fmadd_ps(qe, _mm256_load_ps(b + e * GPT2_KT + 8), r1);
        }
        _mm256_storeu_ps(s + t * GPT2_KT, r0);
        _mm256_storeu_ps(s + t * GPT2_KT + 8, r1);
    }
}

A2_INLINE void one_row_pv(const float *p, const float *v, size_t d, size_t nk, float *o)
{
    size_t c = 0;
    for (; c + 64 <= d; c += 64) {
        ONE8(O_ACC)
        for (size_t j = 0; j < nk; j++) {
            const float *vj = v + j * d + c;
            if (j + 8 < nk) _mm_prefetch((const char *)(vj + 8 * d), _MM_HINT_T0);
            const __m256 pj = _mm256_broadcast_ss(p + j);
            ONE8(O_PV)
        }
        ONE8(O_OSTORE)
    }
    for (; c < d; c += 8) { /* the last d % 64 columns, 8 at a time */
        __m256 r0 = _mm256_setzero_ps();
        for (size_t j = 0; j < nk; j++)
            r0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), _mm256_loadu_ps(v + j * d + c), r0);
        _mm256_storeu_ps(o + c, r0);
    }
}

A2_FN void gpt2_avx2_attention(const float *q, size_t ldq, const float *kt, const float *v, float *out, size_t ldo,
                               size_t d, size_t pos0, size_t i0, size_t i1, float scale, float *s)
{
    const size_t rows = i1 - i0, ntiles_all = (pos0 + i1 + GPT2_KT - 1) / GPT2_KT, lds = ntiles_all * GPT2_KT;
    const __m256 sc = _mm256_set1_ps(scale);
    for (size_t g = 0; g < rows; g += 6) {
        const size_t R = rows - g < 6 ? rows - g : 6, nk = pos0 + i0 + g + R, ntiles = (nk + GPT2_KT - 1) / GPT2_KT;
        const float *qg = q + (i0 + g) * ldq;
        float *sg = s + g * lds, sums[6];
        /* 1. q K^T: one tile of 16 keys at a time (one row: one_row_scores) */
        if (R == 1)
            one_row_scores(qg, kt, d, ntiles, sg);
        else
            for (size_t t = 0; t < ntiles; t++)
                rows_x16(d, qg, ldq, R, kt + t * d * GPT2_KT, GPT2_KT, sg + t * GPT2_KT, lds);
        /* 2. softmax numerators, row by row: the scores times scale (as kernels_x86.c stores
         * them), their maximum, exp(score - maximum); the group's later columns get 0 */
        for (size_t r = 0; r < R; r++) {
            float *sr = sg + r * lds;
            const size_t np = pos0 + i0 + g + r + 1, nv = np / 8 * 8;
            __m256 mx = _mm256_set1_ps(-INFINITY);
            for (size_t j = 0; j < nv; j += 8) {
                const __m256 x = _mm256_mul_ps(_mm256_loadu_ps(sr + j), sc);
                _mm256_storeu_ps(sr + j, x);
                mx = _mm256_max_ps(mx, x);
            }
            float m = -INFINITY;
            {
                float lanes[8];
                _mm256_storeu_ps(lanes, mx);
                for (int l = 0; l < 8; l++) m = lanes[l] > m ? lanes[l] : m;
                for (size_t j = nv; j < np; j++) {
                    sr[j] *= scale;
                    m = sr[j] > m ? sr[j] : m;
                }
            }
            const __m256 mv = _mm256_set1_ps(m);
            __m256 sum = _mm256_setzero_ps();
            for (size_t j = 0; j < nv; j += 8) {
                const __m256 e = vexp8(_mm256_sub_ps(_mm256_loadu_ps(sr + j), mv));
                sum = _mm256_add_ps(sum, e);
                _mm256_storeu_ps(sr + j, e);
            }
            if (nv < np) { /* the last np - nv keys: the same exponential, masked */
                const __m256i mk = lane_mask(np - nv);
                const __m256 e = _mm256_and_ps(vexp8(_mm256_sub_ps(_mm256_maskload_ps(sr + nv, mk), mv)),
                                               _mm256_castsi256_ps(mk));
                sum = _mm256_add_ps(sum, e);
                _mm256_maskstore_ps(sr + nv, mk, e);
            }
            for (size_t j = np; j < nk; j++) sr[j] = 0.0f;
            sums[r] = hsum8(sum);
        }
        /* 3. P V, 16 columns at a time (one row: one_row_pv); the last 8 (d not a multiple of 16) apart */
        float *o = out + (i0 + g) * ldo;
        size_t c = 0;
        if (R == 1) {
            one_row_pv(sg, v, d, nk, o);
            c = d;
        }
        for (; c + 16 <= d; c += 16) rows_x16(nk, sg, lds, R, v + c, d, o + c, ldo);
        if (c < d) {
            __m256 a0[6];
            for (size_t r = 0; r < 6; r++) a0[r] = _mm256_setzero_ps();
            for (size_t j = 0; j < nk; j++) {
                const __m256 v0 = _mm256_loadu_ps(v + j * d + c);
                for (size_t r = 0; r < R; r++)
                    a0[r] = _mm256_fmadd_ps(_mm256_broadcast_ss(sg + r * lds + j), v0, a0[r]);
            }
            for (size_t r = 0; r < R; r++) _mm256_storeu_ps(o + r * ldo + c, a0[r]);
        }
        for (size_t r = 0; r < R; r++) {
            const __m256 inv = _mm256_set1_ps(1.0f / sums[r]);
            for (size_t cc = 0; cc < d; cc += 8)
                _mm256_storeu_ps(o + r * ldo + cc, _mm256_mul_ps(_mm256_loadu_ps(o + r * ldo + cc), inv));
        }
    }
}

#endif /* LMP_ISA_X86 */
