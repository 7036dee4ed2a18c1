/* AVX-512 kernels of the GPT-2 engine (see kernels_x86.h).
 *
 * Matrix products C = A B follow the blocking of Goto & van de Geijn
 * ("Anatomy of high-performance matrix multiplication", ACM TOMS 34(3),
 * 2008) as BLIS arranges it: A (the activations, M x K) is packed once per
 * product into panels of MR rows laid out [k][MR] (gpt2_x86_pack_a), each
 * thread packs its blocks of B (the weights, read in place from the mmapped
 * file) into panels of NR columns laid out [k][NR], and a micro-kernel keeps an
 * MR x NR block of C in 28 of the 32 vector registers while it streams one A
 * panel (broadcast from memory) against one B panel (two vectors a step).
 * Each output is one chain of fused multiply-adds over k in increasing order,
 * so the product, the vector-matrix kernels used for one row, and the
 * portable kernels all sum in the same order (the vector ones with one
 * rounding a step). */
#include "kernels_x86.h"

#if LMP_ISA_AVX512

#include <math.h>
#include <string.h>

#define X86_FN __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma")))
#define X86_INLINE X86_FN static inline __attribute__((always_inline))

#define MR GPT2_X86_MR
#define NR GPT2_X86_NR
/* Blocking. The k-block is the whole sum when K <= KC_MAX (every GPT-2 size
 * but the MLP output of the largest): each output tile is then written once,
 * never read back, which matters most for the 1024 x 50257 logits. An
 * NR-column panel of B (K x NR floats: 96 KB at K = 768, 384 KB at 3072) and
 * an MR-row panel of A stream from L2 through the kernel. */
#ifndef KC_MAX
#define KC_MAX 3072
#endif
/* m-block: the rows a packed B block is used for in one sweep, at most MC and
 * no more than A_L2_BYTES of packed A (that block is read once per B panel, so
 * it must stay in the 1 MB L2 next to the panel: at K = 768 that is 140 rows,
 * at K = 3072 (the MLP output) 42; 140 rows there would read A from L3, 4-5 %
 * slower in CPU time on that product) */
#ifndef A_L2_BYTES
#define A_L2_BYTES ((size_t)512 << 10)
#endif
#ifndef MC
#define MC (MR * 10)
#endif
/* n-block: as many columns as BP_FLOATS of packed B hold (2730 at K = 768:
 * all of a thread's columns of every GPT-2 124M product but the output
 * projection). Long blocks mean long contiguous runs when B is read from
 * memory: one run of nc floats per row of the weight matrix. */
#ifndef BP_FLOATS
#define BP_FLOATS ((size_t)2 << 20) /* 8 MB per thread */
#endif

int gpt2_x86_avx512_usable(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

/* ---- GELU (tanh approximation), 16 lanes ------------------------------------------
 * 0.5 x (1 + tanh(u)) = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3);
 * with t = exp(-2|u|) in (0, 1]: sigmoid(2u) = 1 / (1 + t) for u >= 0 and
 * t / (1 + t) otherwise, so the exponential never overflows. */
#include "../core/vexpf.h"

X86_INLINE __m512 gelu16(__m512 x)
{
    const __m512 k0 = _mm512_set1_ps(0.7978845608028654f), k1 = _mm512_set1_ps(0.044715f);
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 u = _mm512_mul_ps(_mm512_mul_ps(k0, x), _mm512_fmadd_ps(k1, x2, _mm512_set1_ps(1.0f)));
    __m512 au = _mm512_abs_ps(u);
    __m512 t = vexp16(_mm512_mul_ps(_mm512_set1_ps(-2.0f), au));
    __m512 d = _mm512_add_ps(_mm512_set1_ps(1.0f), t);
    /* 1/d by rcp14 and one Newton step (d in [1, 2]: about 2^-28 relative) */
    __m512 r = _mm512_rcp14_ps(d);
    r = _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2.0f)));
    __mmask16 neg = _mm512_cmp_ps_mask(u, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 s = _mm512_mask_mul_ps(r, neg, r, t);
    return _mm512_mul_ps(x, s);
}

/* Weight rows fetched ahead of use where a thread reads them in short runs:
 * by the packing of B (PF_ROWS, into L1 and L2: the packed block is written
 * next) and by the one-row product (GEMV_PF_ROWS, non-temporal: each weight is
 * read once a decoding step; our reading of why it measured faster is that it
 * then displaces less of what the step reuses). The one-row product's choice,
 * whole steps of the 124M benchmark model with the variants alternating within
 * one process (30 rounds): NTA 4 rows ahead beat the former T0 16 rows ahead
 * in 9 of 12 comparisons (6 runs, 1 and 2 threads: 1.3-4.8 % faster), and was
 * 1.5-2.3 % slower in the other 3, all in runs that other tenants' traffic had
 * slowed by a quarter or more (docs/gpt2.md, "Decoding"). The packing's
 * distance: 8, 16 and 24 rows packed at the same rate (within 4 %), per group
 * of PACK_ROWS rows. */
#ifndef PF_ROWS
#define PF_ROWS 16
#endif
#ifndef GEMV_PF_ROWS
#define GEMV_PF_ROWS 4
#endif

/* ---- packing ------------------------------------------------------------------------ */

size_t gpt2_x86_pack_a_floats(size_t M, size_t K) { return (M + MR - 1) / MR * MR * K; }
size_t gpt2_x86_panels(size_t M) { return (M + MR - 1) / MR; }
/* one k-block (each tile finished in one micro-kernel call), more than one row */
int gpt2_x86_can_pack_c(size_t M, size_t K) { return M > 1 && K <= KC_MAX; }

/* 16 x 16 transpose of r[0..15] in place. */
X86_INLINE void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
    /* r[4q + s] now holds, in each 128-bit lane L, elements (rows 4L'.. of) column 4L + s of quad q */
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
        r[i + 4] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_f32x4(t[i + 4], t[i + 12], 0xdd);
    }
}

/* Panels [p0, p1) of A (M x K, row stride lda) into Ap: panel p at Ap + p*MR*K,
 * laid out [k][MR], rows past M zero. 16 columns at a time: the panel's rows
 * (and two zero rows) through a 16 x 16 transpose, stored 14 lanes a column. */
X86_FN void gpt2_x86_pack_a(const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, float *Ap)
{
    const __mmask16 m14 = (__mmask16)((1u << MR) - 1);
    for (size_t p = p0; p < p1; p++) {
        float *dst = Ap + p * MR * K;
        const size_t i0 = p * MR, mr = M - i0 < MR ? M - i0 : MR;
        size_t k = 0;
        for (; k + 16 <= K; k += 16) {
            __m512 r[16];
            for (size_t i = 0; i < 16; i++)
                r[i] = i < mr ? _mm512_loadu_ps(A + (i0 + i) * lda + k) : _mm512_setzero_ps();
            transpose16(r);
            for (size_t j = 0; j < 16; j++) _mm512_mask_storeu_ps(dst + (k + j) * MR, m14, r[j]);
        }
        for (; k < K; k++)
            for (size_t i = 0; i < MR; i++) dst[k * MR + i] = i < mr ? A[(i0 + i) * lda + k] : 0.0f;
    }
}

/* The same packing of LN(A) (layer norm of each row, weight w, bias b), for K
 * a multiple of 16: the rows are normalised as gpt2_x86_layernorm does, with
 * the same operations (so the same bits), on their way into the panels. */
X86_FN void gpt2_x86_pack_a_ln(const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, const float *w,
                               const float *b, float eps, float *Ap)
{
    const __mmask16 m14 = (__mmask16)((1u << MR) - 1);
    for (size_t p = p0; p < p1; p++) {
        float *dst = Ap + p * MR * K;
        const size_t i0 = p * MR, mr = M - i0 < MR ? M - i0 : MR;
        __m512 mean[MR], rstd[MR];
        for (size_t i = 0; i < mr; i++) {
            const float *x = A + (i0 + i) * lda;
            __m512 s = _mm512_setzero_ps();
            for (size_t j = 0; j < K; j += 16) s = _mm512_add_ps(s, _mm512_loadu_ps(x + j));
            mean[i] = _mm512_set1_ps(_mm512_reduce_add_ps(s) / (float)K);
            __m512 q = _mm512_setzero_ps();
            for (size_t j = 0; j < K; j += 16) {
                __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + j), mean[i]);
                q = _mm512_fmadd_ps(d, d, q);
            }
            rstd[i] = _mm512_set1_ps(1.0f / sqrtf(_mm512_reduce_add_ps(q) / (float)K + eps));
        }
        for (size_t k = 0; k < K; k += 16) {
            const __m512 wv = _mm512_loadu_ps(w + k), bv = _mm512_loadu_ps(b + k);
            __m512 r[16];
            for (size_t i = 0; i < 16; i++) {
                if (i < mr) {
                    __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(A + (i0 + i) * lda + k), mean[i]), rstd[i]);
                    r[i] = _mm512_fmadd_ps(d, wv, bv);
                } else {
                    r[i] = _mm512_setzero_ps();
                }
            }
            transpose16(r);
            for (size_t j = 0; j < 16; j++) _mm512_mask_storeu_ps(dst + (k + j) * MR, m14, r[j]);
        }
    }
}

/* B block [k0, k0+kc) x [n0, n0+nc) of a [K][N] matrix (ldb) into panels [kc][NR].
 * PACK_ROWS rows at a time: each panel is visited once per group and gets the
 * group's rows as one contiguous run (PACK_ROWS x 128 B), while the group's
 * rows are read as PACK_ROWS sequential streams. Row by row, every row scattered
 * two lines into each of up to 85 panels (as many store streams), and packed
 * at 8-16 GB/s against 19-21 for groups of 8 (a throw-away driver, 24 weight
 * matrices from DRAM, five shapes, one thread; docs/gpt2.md "Speed"). */
#ifndef PACK_ROWS
#define PACK_ROWS 8
#endif
X86_INLINE void pack_rows(const float *src, size_t ldb, size_t rows, __mmask16 m0, __mmask16 m1, float *dst)
{
    for (size_t r = 0; r < rows; r++) {
        _mm512_store_ps(dst + r * NR, _mm512_maskz_loadu_ps(m0, src + r * ldb));
        _mm512_store_ps(dst + r * NR + 16, _mm512_maskz_loadu_ps(m1, src + r * ldb + 16));
    }
}

X86_FN static void pack_b_kn(const float *B, size_t ldb, size_t N, size_t k0, size_t kc, size_t n0, size_t nc,
                             float *Bp)
{
    size_t valid = n0 < N ? (N - n0 < nc ? N - n0 : nc) : 0; /* columns with data */
    size_t full = valid / NR * NR;
    size_t npan = (nc + NR - 1) / NR;
    for (size_t k = 0; k < kc; k += PACK_ROWS) {
        const size_t rows = kc - k < PACK_ROWS ? kc - k : PACK_ROWS;
        const float *src = B + (k0 + k) * ldb + n0;
        float *dst = Bp + k * NR;
        /* the weights come from DRAM in runs of nc floats, one run per row: the
         * hardware prefetchers see short streams, so fetch PF_ROWS rows ahead */
        const int pf = k + PF_ROWS + rows <= kc;
        size_t j = 0;
        for (; j < full; j += NR) {
            if (pf)
                for (size_t r = 0; r < rows; r++) {
                    _mm_prefetch((const char *)(src + (PF_ROWS + r) * ldb + j), _MM_HINT_T0);
                    _mm_prefetch((const char *)(src + (PF_ROWS + r) * ldb + j + 16), _MM_HINT_T0);
                }
            pack_rows(src + j, ldb, rows, 0xffff, 0xffff, dst + j * kc);
        }
        for (; j < npan * NR; j += NR) {
            size_t nr = valid > j ? (valid - j < NR ? valid - j : NR) : 0;
            __mmask16 m0 = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);
            __mmask16 m1 = (__mmask16)(nr >= 32 ? 0xffff : nr > 16 ? (1u << (nr - 16)) - 1 : 0);
            pack_rows(src + j, ldb, rows, m0, m1, dst + j * kc);
        }
    }
}

/* B block of an [N][K] matrix (ldb; B[n][k]) into panels [kc][NR]: a transpose. */
X86_FN static void pack_b_nk(const float *B, size_t ldb, size_t N, size_t k0, size_t kc, size_t n0, size_t nc,
                             float *Bp)
{
    for (size_t j = 0; j < nc; j += NR) {
        float *dst = Bp + j * kc;
        for (size_t h = 0; h < NR; h += 16) {
            size_t n = n0 + j + h;
            size_t rows = n < N ? (N - n < 16 ? N - n : 16) : 0;
            if (j + h >= nc) rows = 0;
            size_t k = 0;
            for (; k + 16 <= kc; k += 16) {
                __m512 r[16];
                /* sixteen row streams at once; fetch the next group's rows too */
                if (k + 16 < kc || j + h + 16 < nc)
                    for (size_t i = 0; i < 16; i++)
                        _mm_prefetch((const char *)(B + (n + 16 + i) * ldb + k0 + k), _MM_HINT_T1);
                for (size_t i = 0; i < 16; i++)
                    r[i] = i < rows ? _mm512_loadu_ps(B + (n + i) * ldb + k0 + k) : _mm512_setzero_ps();
                transpose16(r);
                for (size_t i = 0; i < 16; i++) _mm512_store_ps(dst + (k + i) * NR + h, r[i]);
            }
            for (; k < kc; k++)
                for (size_t i = 0; i < 16; i++) dst[k * NR + h + i] = i < rows ? B[(n + i) * ldb + k0 + k] : 0.0f;
        }
    }
}

/* ---- micro-kernel: C[MR x NR] (+)= Ap[kc][MR] Bp[kc][NR] ------------------------------
 * mr rows and the columns of (m0, m1) are valid. first: start from 0 (else from C).
 * last: then + bias (bias points at this tile's 32 columns, or NULL) and GELU. */
#define ACC(i) __m512 c##i##0, c##i##1;
#define ZERO(i) c##i##0 = _mm512_setzero_ps(); c##i##1 = _mm512_setzero_ps();
#define LOADC(i)                                                              \
    if (i < mr) {                                                             \
        c##i##0 = _mm512_maskz_loadu_ps(m0, C + i * ldc);                      \
        c##i##1 = _mm512_maskz_loadu_ps(m1, C + i * ldc + 16);                 \
    } else {                                                                  \
        c##i##0 = c##i##1 = _mm512_setzero_ps();                              \
    }
#define STEP(i)                                        \
    {                                                  \
        __m512 a = _mm512_set1_ps(ap[i]);              \
        c##i##0 = _mm512_fmadd_ps(a, b0, c##i##0);     \
        c##i##1 = _mm512_fmadd_ps(a, b1, c##i##1);     \
    }
#define EPI(i)                                                                     \
    if (i < mr) {                                                                  \
        if (last) {                                                                \
            if (bias) {                                                            \
                c##i##0 = _mm512_add_ps(c##i##0, bv0);                             \
                c##i##1 = _mm512_add_ps(c##i##1, bv1);                             \
            }                                                                      \
            if (gelu) {                                                            \
                c##i##0 = gelu16(c##i##0);                                         \
                c##i##1 = gelu16(c##i##1);                                         \
            }                                                                      \
        }                                                                          \
        _mm512_mask_storeu_ps(C + i * ldc, m0, c##i##0);                           \
        _mm512_mask_storeu_ps(C + i * ldc + 16, m1, c##i##1);                      \
    }
#define ROWS14(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

X86_INLINE void ukernel(size_t kc, const float *ap, const float *bp, float *C, size_t ldc, size_t mr,
                           __mmask16 m0, __mmask16 m1, int first, int last, const float *bias, int gelu)
{
    ROWS14(ACC)
    if (first) {
        ROWS14(ZERO)
    } else {
        ROWS14(LOADC)
    }
#pragma GCC unroll 2
    for (size_t k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        ROWS14(STEP)
        ap += MR;
        bp += NR;
    }
    __m512 bv0 = _mm512_setzero_ps(), bv1 = _mm512_setzero_ps();
    if (last && bias) {
        bv0 = _mm512_maskz_loadu_ps(m0, bias);
        bv1 = _mm512_maskz_loadu_ps(m1, bias + 16);
    }
    ROWS14(EPI)
}

/* A finished tile (mr rows x nr columns at tile, row stride NR) into the
 * packed-A layout of a next product: column n's MR row values at dst + n*MR,
 * rows past mr zero (what gpt2_x86_pack_a writes there). */
X86_FN static void store_packed(const float *tile, size_t mr, size_t nr, float *dst)
{
    const __mmask16 m14 = (__mmask16)((1u << MR) - 1);
    for (size_t h = 0; h < NR && h < nr; h += 16) {
        __m512 r[16];
        for (size_t i = 0; i < 16; i++) r[i] = i < mr ? _mm512_load_ps(tile + i * NR + h) : _mm512_setzero_ps();
        transpose16(r);
        for (size_t j = 0; j < 16 && h + j < nr; j++) _mm512_mask_storeu_ps(dst + (h + j) * MR, m14, r[j]);
    }
}

/* ---- one row: y = x B (+ bias), for decoding -------------------------------------------- */

/* The rows of a weight matrix whose length is a multiple of 16 floats all start
 * at the same place in a cache line: off floats past its start (0-15). A
 * safetensors file puts tensors wherever its header ends (8-byte multiples: the
 * GPT-2 checkpoints of this repository's benchmark start 40 bytes into a line),
 * and every 64-byte load of such a row then straddles two lines: 10 % of a
 * decoding step measured here. The kernels below lay their vectors on the
 * weights' cache lines; the activations, in L1, take the unaligned loads. */
X86_INLINE size_t line_offset(const float *B, size_t ldb)
{
    return ldb % 16 == 0 ? (size_t)((uintptr_t)B / sizeof(float) % 16) : 0;
}

/* One vector of y at n (lanes m) += the products of four rows of B. */
X86_INLINE void kn4(float *y, const float *b0, size_t ldb, size_t n, __mmask16 m, __m512 x0, __m512 x1, __m512 x2,
                    __m512 x3)
{
    __m512 acc = _mm512_maskz_loadu_ps(m, y + n);
    acc = _mm512_fmadd_ps(x0, _mm512_maskz_loadu_ps(m, b0 + n), acc);
    acc = _mm512_fmadd_ps(x1, _mm512_maskz_loadu_ps(m, b0 + ldb + n), acc);
    acc = _mm512_fmadd_ps(x2, _mm512_maskz_loadu_ps(m, b0 + 2 * ldb + n), acc);
    acc = _mm512_fmadd_ps(x3, _mm512_maskz_loadu_ps(m, b0 + 3 * ldb + n), acc);
    _mm512_mask_storeu_ps(y + n, m, acc);
}

/* The same with one row of B. */
X86_INLINE void kn1(float *y, const float *b0, size_t n, __mmask16 m, __m512 x0)
{
    _mm512_mask_storeu_ps(y + n, m, _mm512_fmadd_ps(x0, _mm512_maskz_loadu_ps(m, b0 + n), _mm512_maskz_loadu_ps(m, y + n)));
}

/* y[n0..n1) (+)= sum_k x[k] B[k][n], B [K][N] (one row times a Conv1D
 * weight): a memory-bound sweep. Four rows of B at a time are read
 * contiguously over the columns (four sequential streams), and each output
 * takes their four products in order k, k+1, k+2, k+3: the same chain as the
 * matrix-product kernel. y (at most 4096 columns at a time) stays in L1. The
 * vectors of a row are [s, h) (masked), whole ones from h, where B's row
 * starts a cache line, then the rest (masked): where a vector falls changes no
 * output's chain. */
X86_FN static void gemv_kn(const gpt2_gemm *g, size_t n0, size_t n1)
{
    const float *x = g->A;
    float *y = g->C;
    const size_t K = g->K, ldb = g->ldb, lead = (16 - line_offset(g->B, ldb)) % 16;
    for (size_t s = n0; s < n1; s += 4096) {
        const size_t e = s + 4096 < n1 ? s + 4096 : n1, nfull = s + (e - s) / 16 * 16;
        const __mmask16 tail = (__mmask16)((1u << ((e - s) % 16)) - 1);
        if (!g->accumulate) {
            for (size_t n = s; n < nfull; n += 16) _mm512_storeu_ps(y + n, _mm512_setzero_ps());
            if (tail) _mm512_mask_storeu_ps(y + nfull, tail, _mm512_setzero_ps());
        }
        size_t h = s + (lead + 16 - s % 16) % 16;
        if (h > e) h = e;
        const size_t hb = h + (e - h) / 16 * 16;
        const __mmask16 mh = (__mmask16)((1u << (h - s)) - 1), mt = (__mmask16)((1u << (e - hb)) - 1);
        size_t k = 0;
        for (; k + 4 <= K; k += 4) {
            const float *b0 = g->B + k * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
            const __m512 x0 = _mm512_set1_ps(x[k]), x1 = _mm512_set1_ps(x[k + 1]), x2 = _mm512_set1_ps(x[k + 2]),
                         x3 = _mm512_set1_ps(x[k + 3]);
            /* rows GEMV_PF_ROWS ahead: a thread's share of a narrow matrix is a short run per row */
            const float *pf = k + 4 + GEMV_PF_ROWS <= K ? b0 + GEMV_PF_ROWS * ldb : NULL;
            if (mh) kn4(y, b0, ldb, s, mh, x0, x1, x2, x3);
            for (size_t n = h; n < hb; n += 16) {
                if (pf) {
                    _mm_prefetch((const char *)(pf + n), _MM_HINT_NTA);
                    _mm_prefetch((const char *)(pf + ldb + n), _MM_HINT_NTA);
                    _mm_prefetch((const char *)(pf + 2 * ldb + n), _MM_HINT_NTA);
                    _mm_prefetch((const char *)(pf + 3 * ldb + n), _MM_HINT_NTA);
                }
                __m512 acc = _mm512_loadu_ps(y + n);
                acc = _mm512_fmadd_ps(x0, _mm512_loadu_ps(b0 + n), acc);
                acc = _mm512_fmadd_ps(x1, _mm512_loadu_ps(b1 + n), acc);
                acc = _mm512_fmadd_ps(x2, _mm512_loadu_ps(b2 + n), acc);
                acc = _mm512_fmadd_ps(x3, _mm512_loadu_ps(b3 + n), acc);
                _mm512_storeu_ps(y + n, acc);
            }
            if (mt) kn4(y, b0, ldb, hb, mt, x0, x1, x2, x3);
        }
        for (; k < K; k++) { /* the last K % 4 rows, one at a time */
            const float *b0 = g->B + k * ldb;
            const __m512 x0 = _mm512_set1_ps(x[k]);
            if (mh) kn1(y, b0, s, mh, x0);
            for (size_t n = h; n < hb; n += 16) kn1(y, b0, n, 0xffff, x0);
            if (mt) kn1(y, b0, hb, mt, x0);
        }
        for (size_t n = s; n < e; n += 16) {
            const __mmask16 mk = n + 16 <= e ? 0xffff : tail;
            __m512 acc = _mm512_maskz_loadu_ps(mk, y + n);
            if (g->bias) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mk, g->bias + n));
            if (g->gelu) acc = gelu16(acc);
            _mm512_mask_storeu_ps(y + n, mk, acc);
        }
    }
}

/* y[n] (+)= dot(B[n], x), B [N][K] (the output projection for one row): eight
 * rows at a time (one sequential stream), each summed in 16 lanes (lane i:
 * k = i, i + 16, ... in order) then across them. Then + bias and GELU, as the
 * product's epilogue.
 *
 * Rows that start off floats into a cache line (K a multiple of 16) are read
 * in K/16 + 1 loads laid on its lines: lane j of load t holds k = 16t + j - off
 * (the first and last loads masked), so lane j sums exactly what lane
 * (j - off) mod 16 sums when the rows are aligned, in the same order, and a
 * rotation of the lanes back before the sum across them gives the same bits
 * (a sum by halves would give them without it; the rotation keeps that from
 * depending on how _mm512_reduce_add_ps is built). */
X86_INLINE __m512 nk_first(const float *p, __mmask16 m, __m512i shift)
{
    /* p[0..15] into lanes off..15 (lane j <- p[j - off]), the others 0 */
    return _mm512_maskz_permutexvar_ps(m, shift, _mm512_loadu_ps(p));
}

X86_FN static void gemv_nk(const gpt2_gemm *g, size_t n0, size_t n1)
{
    const float *x = g->A;
    const size_t K = g->K, ldb = g->ldb, kv = K / 16 * 16;
    const size_t off = K % 16 == 0 ? line_offset(g->B, ldb) : 0;
    const __mmask16 first = (__mmask16)(0xffffu << off), last = (__mmask16)~first;
    const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i shift = _mm512_and_si512(_mm512_sub_epi32(lanes, _mm512_set1_epi32((int)off)), _mm512_set1_epi32(15));
    const __m512i unrot = _mm512_and_si512(_mm512_add_epi32(lanes, _mm512_set1_epi32((int)off)), _mm512_set1_epi32(15));
    for (size_t n = n0; n < n1; n += 8) {
        const size_t rows = n1 - n < 8 ? n1 - n : 8;
        const float *b = g->B + n * ldb;
        __m512 a[8];
        for (int r = 0; r < 8; r++) a[r] = _mm512_setzero_ps();
        /* with the rows off a line: the first 16 floats shifted into place; the whole vectors
         * after them start at 16 - off (on a line); the last off floats masked */
        const size_t k0 = off ? 16 - off : 0;
        if (off) {
            const __m512 xf = nk_first(x, first, shift);
#pragma GCC unroll 8
            for (size_t r = 0; r < 8; r++)
                if (r < rows) a[r] = _mm512_fmadd_ps(nk_first(b + r * ldb, first, shift), xf, a[r]);
        }
        if (rows == 8) {
            for (size_t k = k0; k + 16 <= K; k += 16) {
                const __m512 xv = _mm512_loadu_ps(x + k);
#pragma GCC unroll 8
                for (int r = 0; r < 8; r++) a[r] = _mm512_fmadd_ps(_mm512_loadu_ps(b + r * ldb + k), xv, a[r]);
            }
        } else {
            for (size_t k = k0; k + 16 <= K; k += 16)
                for (size_t r = 0; r < rows; r++)
                    a[r] = _mm512_fmadd_ps(_mm512_loadu_ps(b + r * ldb + k), _mm512_loadu_ps(x + k), a[r]);
        }
        if (off) {
            const __m512 xl = _mm512_maskz_loadu_ps(last, x + K - off);
#pragma GCC unroll 8
            for (size_t r = 0; r < 8; r++)
                if (r < rows) {
                    a[r] = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(last, b + r * ldb + K - off), xl, a[r]);
                    a[r] = _mm512_permutexvar_ps(unrot, a[r]);
                }
        }
        float out[16] = {0};
        for (size_t r = 0; r < rows; r++) {
            float s = _mm512_reduce_add_ps(a[r]);
            for (size_t k = kv; k < K; k++) s += b[r * ldb + k] * x[k];
            if (g->accumulate) s += g->C[n + r];
            if (g->bias) s += g->bias[n + r];
            out[r] = s;
        }
        __m512 o = _mm512_loadu_ps(out);
        if (g->gelu) o = gelu16(o);
        _mm512_mask_storeu_ps(g->C + n, (__mmask16)((1u << rows) - 1), o);
    }
}

/* C[n0..n1) = (C or 0) + the chunks' partial sums in chunk order + bias, then
 * GELU (gpt2_gemv_reduce). */
X86_FN void gpt2_x86_gemv_reduce(const gpt2_gemm *g, const float *part, size_t nch, size_t n0, size_t n1)
{
    const size_t N = g->N;
    for (size_t n = n0; n < n1; n += 16) {
        const __mmask16 mk = n + 16 <= n1 ? 0xffff : (__mmask16)((1u << (n1 - n)) - 1);
        __m512 acc = g->accumulate ? _mm512_maskz_loadu_ps(mk, g->C + n) : _mm512_setzero_ps();
        for (size_t c = 0; c < nch; c++) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mk, part + c * N + n));
        if (g->bias) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(mk, g->bias + n));
        if (g->gelu) acc = gelu16(acc);
        _mm512_mask_storeu_ps(g->C + n, mk, acc);
    }
}

/* ---- the product ------------------------------------------------------------------- */

size_t gpt2_x86_gemm_scratch_floats(size_t max_m, size_t max_k)
{
    (void)max_m, (void)max_k;
    return BP_FLOATS + (size_t)KC_MAX * NR; /* one packed block of B (at least one panel) */
}

X86_FN void gpt2_x86_gemm_cols(const gpt2_gemm *g, const float *Ap, size_t n0, size_t n1, float *Bp)
{
    if (g->M == 1) {
        if (g->b_trans) gemv_nk(g, n0, n1);
        else gemv_kn(g, n0, n1);
        return;
    }
    const size_t M = g->M, K = g->K;
    const size_t nkb = (K + KC_MAX - 1) / KC_MAX, KC = (K + nkb - 1) / nkb; /* even k-blocks */
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
                    const __mmask16 m0 = (__mmask16)(nr >= 16 ? 0xffff : (1u << nr) - 1);
                    const __mmask16 m1 = (__mmask16)(nr >= 32 ? 0xffff : nr > 16 ? (1u << (nr - 16)) - 1 : 0);
                    const float *bias = g->bias ? g->bias + n : NULL;
                    if (g->c_packed) {
                        /* the tile goes through L1 and a transpose into the next product's panels */
                        float tile[MR * NR] __attribute__((aligned(64)));
                        for (size_t i = 0; i < mc; i += MR) {
                            const size_t row = i0 + i, mr = M - row < MR ? M - row : MR;
                            ukernel(kc, Ap + row * K + k0 * MR, Bp + j * kc, tile, NR, mr, m0, m1, first, last, bias,
                                    g->gelu);
                            store_packed(tile, mr, nr, g->C + row * g->N + n * MR);
                        }
                        continue;
                    }
                    for (size_t i = 0; i < mc; i += MR) {
                        const size_t row = i0 + i, mr = M - row < MR ? M - row : MR;
                        ukernel(kc, Ap + row * K + k0 * MR, Bp + j * kc, g->C + row * g->ldc + n, g->ldc, mr, m0, m1,
                                first, last, bias, g->gelu);
                    }
                }
            }
        }
    }
}

/* ---- layer norm --------------------------------------------------------------------- */

X86_FN void gpt2_x86_layernorm(const float *x, float *y, size_t C, const float *w, const float *b, float eps)
{
    /* two passes in float over 16 lanes (C is a multiple of 16 here): the
     * mean, then the mean square deviation */
    __m512 s = _mm512_setzero_ps();
    for (size_t j = 0; j < C; j += 16) s = _mm512_add_ps(s, _mm512_loadu_ps(x + j));
    const float mean = _mm512_reduce_add_ps(s) / (float)C;
    const __m512 mv = _mm512_set1_ps(mean);
    __m512 q = _mm512_setzero_ps();
    for (size_t j = 0; j < C; j += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(x + j), mv);
        q = _mm512_fmadd_ps(d, d, q);
    }
    const float var = _mm512_reduce_add_ps(q) / (float)C;
    const __m512 rs = _mm512_set1_ps(1.0f / sqrtf(var + eps));
    for (size_t j = 0; j < C; j += 16) {
        __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j), mv), rs);
        _mm512_storeu_ps(y + j, _mm512_fmadd_ps(d, _mm512_loadu_ps(w + j), _mm512_loadu_ps(b + j)));
    }
}

/* ---- the KV cache ---------------------------------------------------------------------
 * Keys of positions [pos0, pos0+n) into their tiles ([d][16] per 16 positions):
 * whole tiles through 16 x 16 transposes, the rest one by one; values by rows. */
X86_FN void gpt2_x86_kv_append(const float *k, const float *v, size_t ld, float *kt, float *vv, size_t d, size_t pos0,
                               size_t n)
{
    size_t i = 0;
    while (i < n) {
        const size_t p = pos0 + i;
        float *tile = kt + (p / GPT2_KT) * d * GPT2_KT;
        if (p % GPT2_KT == 0 && n - i >= GPT2_KT && d % 16 == 0) {
            for (size_t c0 = 0; c0 < d; c0 += 16) {
                __m512 r[16];
                for (size_t j = 0; j < 16; j++) r[j] = _mm512_loadu_ps(k + (i + j) * ld + c0);
                transpose16(r);
                for (size_t j = 0; j < 16; j++) _mm512_store_ps(tile + (c0 + j) * GPT2_KT, r[j]);
            }
            for (size_t j = 0; j < GPT2_KT; j++) memcpy(vv + (p + j) * d, v + (i + j) * ld, d * sizeof(float));
            i += GPT2_KT;
            continue;
        }
        for (size_t e = 0; e < d; e++) tile[e * GPT2_KT + p % GPT2_KT] = k[i * ld + e];
        memcpy(vv + p * d, v + i * ld, d * sizeof(float));
        i++;
    }
}

/* ---- attention ------------------------------------------------------------------------
 * Vaswani et al. 2017, eq. 1, causal, for one head and the query rows [i0, i1):
 * scores S = scale q K^T (a matrix product against the key tiles), each row's
 * softmax over its keys 0..pos0+i (exp of the score minus the row maximum),
 * then O = P V / (row sum). d is a multiple of 16. */

/* scores of rows [r0, r0+R) (R <= 8) against key tiles [0, ntiles): S row r at s + r*lds
 * (inlined twice: with R = 8, the common case, the row loops unroll without tests) */
X86_INLINE void att_scores(const float *q, size_t ldq, const float *kt, size_t d, size_t R, size_t ntiles,
                              float scale, float *s, size_t lds)
{
    const __m512 sc = _mm512_set1_ps(scale);
    size_t t = 0;
    for (; t + 2 <= ntiles; t += 2) {
        const float *k0 = kt + t * d * GPT2_KT, *k1 = k0 + d * GPT2_KT;
        __m512 a0[8], a1[8];
        for (size_t r = 0; r < 8; r++) a0[r] = a1[r] = _mm512_setzero_ps();
        /* one query row (decoding): its keys come from DRAM, the weights having streamed through the
         * caches since the last step, so fetch the next pair of tiles while this pair is summed */
        const int pf = R == 1 && t + 4 <= ntiles;
        for (size_t e = 0; e < d; e++) {
            if (pf) {
                _mm_prefetch((const char *)(k0 + (2 * d + e) * GPT2_KT), _MM_HINT_T0);
                _mm_prefetch((const char *)(k0 + (3 * d + e) * GPT2_KT), _MM_HINT_T0);
            }
            const __m512 b0 = _mm512_load_ps(k0 + e * GPT2_KT), b1 = _mm512_load_ps(k1 + e * GPT2_KT);
#pragma GCC unroll 8
            for (size_t r = 0; r < 8; r++) {
                if (r < R) {
                    const __m512 qv = _mm512_set1_ps(q[r * ldq + e]);
                    a0[r] = _mm512_fmadd_ps(qv, b0, a0[r]);
                    a1[r] = _mm512_fmadd_ps(qv, b1, a1[r]);
                }
            }
        }
        for (size_t r = 0; r < R; r++) {
            _mm512_store_ps(s + r * lds + t * GPT2_KT, _mm512_mul_ps(a0[r], sc));
            _mm512_store_ps(s + r * lds + t * GPT2_KT + 16, _mm512_mul_ps(a1[r], sc));
        }
    }
    for (; t < ntiles; t++) {
        const float *k0 = kt + t * d * GPT2_KT;
        for (size_t r = 0; r < R; r++) {
            /* one row, one tile: four partial chains over e, then summed */
            __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
            size_t e = 0;
            for (; e + 4 <= d; e += 4)
                for (int u = 0; u < 4; u++)
                    a[u] = _mm512_fmadd_ps(_mm512_set1_ps(q[r * ldq + e + u]), _mm512_load_ps(k0 + (e + u) * GPT2_KT), a[u]);
            for (; e < d; e++) a[0] = _mm512_fmadd_ps(_mm512_set1_ps(q[r * ldq + e]), _mm512_load_ps(k0 + e * GPT2_KT), a[0]);
            __m512 sum = _mm512_add_ps(_mm512_add_ps(a[0], a[1]), _mm512_add_ps(a[2], a[3]));
            _mm512_store_ps(s + r * lds + t * GPT2_KT, _mm512_mul_ps(sum, sc));
        }
    }
}

/* O rows [0, R) (R <= 6) = sum over keys j < nk of p[r][j] v[j] (inlined as att_scores) */
X86_INLINE void att_pv(const float *p, size_t ldp, const float *v, size_t d, size_t R, size_t nk, float *o,
                          size_t ldo)
{
    for (size_t c = 0; c < d; c += 64) {
        const size_t nv = d - c < 64 ? (d - c) / 16 : 4;
        __m512 acc[6][4];
        for (size_t r = 0; r < 6; r++)
            for (size_t u = 0; u < 4; u++) acc[r][u] = _mm512_setzero_ps();
        if (nv == 4) {
            for (size_t j = 0; j < nk; j++) {
                const float *vj = v + j * d + c;
                if (R == 1 && j + 8 < nk) _mm_prefetch((const char *)(vj + 8 * d), _MM_HINT_T0); /* as the keys */
                const __m512 v0 = _mm512_loadu_ps(vj), v1 = _mm512_loadu_ps(vj + 16), v2 = _mm512_loadu_ps(vj + 32),
                             v3 = _mm512_loadu_ps(vj + 48);
#pragma GCC unroll 6
                for (size_t r = 0; r < 6; r++) {
                    if (r < R) {
                        const __m512 pr = _mm512_set1_ps(p[r * ldp + j]);
                        acc[r][0] = _mm512_fmadd_ps(pr, v0, acc[r][0]);
                        acc[r][1] = _mm512_fmadd_ps(pr, v1, acc[r][1]);
                        acc[r][2] = _mm512_fmadd_ps(pr, v2, acc[r][2]);
                        acc[r][3] = _mm512_fmadd_ps(pr, v3, acc[r][3]);
                    }
                }
            }
        } else {
            for (size_t j = 0; j < nk; j++)
                for (size_t r = 0; r < R; r++) {
                    const __m512 pr = _mm512_set1_ps(p[r * ldp + j]);
                    for (size_t u = 0; u < nv; u++)
                        acc[r][u] = _mm512_fmadd_ps(pr, _mm512_loadu_ps(v + j * d + c + 16 * u), acc[r][u]);
                }
        }
        for (size_t r = 0; r < R; r++)
            for (size_t u = 0; u < nv; u++) _mm512_storeu_ps(o + r * ldo + c + 16 * u, acc[r][u]);
    }
}

X86_FN void gpt2_x86_attention(const float *q, size_t ldq, const float *kt, const float *v, float *out, size_t ldo,
                               size_t d, size_t pos0, size_t i0, size_t i1, float scale, float *s)
{
    const size_t rows = i1 - i0, nk_all = pos0 + i1, ntiles = (nk_all + GPT2_KT - 1) / GPT2_KT,
                 lds = ntiles * GPT2_KT;
    float sums[64];
    /* 1. scores, 8 rows at a time; a group needs the tiles up to its last row's key */
    for (size_t g = 0; g < rows; g += 8) {
        size_t R = rows - g < 8 ? rows - g : 8, nk = pos0 + i0 + g + R;
        if (R == 8) att_scores(q + (i0 + g) * ldq, ldq, kt, d, 8, (nk + GPT2_KT - 1) / GPT2_KT, scale, s + g * lds, lds);
        else att_scores(q + (i0 + g) * ldq, ldq, kt, d, R, (nk + GPT2_KT - 1) / GPT2_KT, scale, s + g * lds, lds);
    }
    /* 2. softmax numerators, row by row: keys past the row's position get 0 */
    for (size_t r = 0; r < rows; r++) {
        float *sr = s + r * lds;
        const size_t np = pos0 + i0 + r + 1, nvec = (np + 15) / 16;
        const __mmask16 last = (__mmask16)(np % 16 ? (1u << (np % 16)) - 1 : 0xffff);
        __m512 mx = _mm512_set1_ps(-INFINITY);
        for (size_t k = 0; k < nvec; k++)
            mx = _mm512_max_ps(mx, _mm512_mask_load_ps(_mm512_set1_ps(-INFINITY), k + 1 == nvec ? last : 0xffff, sr + 16 * k));
        const __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx));
        __m512 sum = _mm512_setzero_ps();
        for (size_t k = 0; k < nvec; k++) {
            __m512 e = vexp16(_mm512_sub_ps(_mm512_load_ps(sr + 16 * k), m));
            if (k + 1 == nvec) e = _mm512_maskz_mov_ps(last, e);
            sum = _mm512_add_ps(sum, e);
            _mm512_store_ps(sr + 16 * k, e);
        }
        /* the rest of the group's columns (read by att_pv) are zero */
        const size_t group_end = pos0 + i0 + (r / 6) * 6 + (rows - r / 6 * 6 < 6 ? rows - r / 6 * 6 : 6);
        for (size_t j = nvec * 16; j < group_end; j++) sr[j] = 0.0f;
        sums[r] = _mm512_reduce_add_ps(sum);
    }
    /* 3. O = P V, 6 rows at a time, then / sum */
    for (size_t g = 0; g < rows; g += 6) {
        size_t R = rows - g < 6 ? rows - g : 6, nk = pos0 + i0 + g + R;
        float *o = out + (i0 + g) * ldo;
        if (R == 6) att_pv(s + g * lds, lds, v, d, 6, nk, o, ldo);
        else att_pv(s + g * lds, lds, v, d, R, nk, o, ldo);
        for (size_t r = 0; r < R; r++) {
            const __m512 inv = _mm512_set1_ps(1.0f / sums[g + r]);
            for (size_t c = 0; c < d; c += 16)
                _mm512_storeu_ps(o + r * ldo + c, _mm512_mul_ps(_mm512_loadu_ps(o + r * ldo + c), inv));
        }
    }
}

#endif /* LMP_ISA_AVX512 */
