/* GPT-2 kernels: the portable C versions, and the dispatch to the x86
 * AVX-512 (kernels_x86.c) and AVX2 + FMA (kernels_avx2.c) versions by the
 * level stored in the model/context.
 *
 * The portable kernels are the reference: plain loops in the order the
 * contract of gpt2_internal.h states (each output summed over k in increasing
 * order), built for any target (clang, gcc; x86-64, aarch64). */
#include <math.h>
#include <string.h>

#include "gpt2_internal.h"
#include "kernels_x86.h"

int gpt2_isa_detect(void)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (gpt2_x86_avx512_usable()) return GPT2_ISA_AVX512;
#endif
    if (gpt2_avx2_usable()) return GPT2_ISA_AVX2;
#endif
    return GPT2_ISA_C;
}

/* GELU, tanh approximation (Hendrycks & Gimpel 2016, eq. in section 2;
 * HF "gelu_new"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
static float gelu_c(float x)
{
    const float k = 0.7978845608028654f; /* sqrt(2 / pi) */
    return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

/* ---- matrix product ------------------------------------------------------------- */

static void gemm_c(const gpt2_gemm *g, size_t n0, size_t n1)
{
    const size_t K = g->K;
    for (size_t i = 0; i < g->M; i++) {
        const float *a = g->A + i * g->lda;
        float *c = g->C + i * g->ldc;
        if (!g->b_trans) {
            /* c[n] += a[k] B[k][n], k outermost: B is read row by row */
            if (!g->accumulate) memset(c + n0, 0, (n1 - n0) * sizeof *c);
            for (size_t k = 0; k < K; k++) {
                const float ak = a[k], *b = g->B + k * g->ldb;
                for (size_t n = n0; n < n1; n++) c[n] += ak * b[n];
            }
        } else {
            for (size_t n = n0; n < n1; n++) {
                const float *b = g->B + n * g->ldb;
                float s = g->accumulate ? c[n] : 0.0f;
                for (size_t k = 0; k < K; k++) s += a[k] * b[k];
                c[n] = s;
            }
        }
        if (g->bias)
            for (size_t n = n0; n < n1; n++) c[n] += g->bias[n];
        if (g->gelu)
            for (size_t n = n0; n < n1; n++) c[n] = gelu_c(c[n]);
    }
}

size_t gpt2_gemm_scratch_floats(int isa, size_t max_m, size_t max_k)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512) return gpt2_x86_gemm_scratch_floats(max_m, max_k);
#endif
    if (isa == GPT2_ISA_AVX2) return gpt2_avx2_gemm_scratch_floats();
#endif
    (void)isa, (void)max_m, (void)max_k;
    return 0;
}

size_t gpt2_gemm_pack_floats(int isa, size_t M, size_t K)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512 && M > 1) return gpt2_x86_pack_a_floats(M, K);
#endif
    if (isa == GPT2_ISA_AVX2 && M > 1) return gpt2_avx2_pack_a_floats(M, K);
#endif
    (void)isa, (void)M, (void)K;
    return 0;
}

int gpt2_gemm_can_pack_c(int isa, size_t M, size_t K)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512) return gpt2_x86_can_pack_c(M, K);
#endif
    if (isa == GPT2_ISA_AVX2) return gpt2_avx2_can_pack_c(M, K);
#endif
    (void)isa, (void)M, (void)K;
    return 0;
}

size_t gpt2_gemm_panels(int isa, size_t M)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512 && M > 1) return gpt2_x86_panels(M);
#endif
    if (isa == GPT2_ISA_AVX2 && M > 1) return gpt2_avx2_panels(M);
#endif
    (void)isa, (void)M;
    return 0;
}

void gpt2_gemm_pack(int isa, const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, float *Ap)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512 && M > 1) gpt2_x86_pack_a(A, lda, M, K, p0, p1, Ap);
#endif
    if (isa == GPT2_ISA_AVX2 && M > 1) gpt2_avx2_pack_a(A, lda, M, K, p0, p1, Ap);
#endif
    (void)isa, (void)A, (void)lda, (void)M, (void)K, (void)p0, (void)p1, (void)Ap;
}

int gpt2_gemm_pack_ln(int isa, const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, const float *w,
                      const float *b, float eps, float *Ap)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512 && M > 1 && K % 16 == 0) {
        gpt2_x86_pack_a_ln(A, lda, M, K, p0, p1, w, b, eps, Ap);
        return 1;
    }
#endif
    if (isa == GPT2_ISA_AVX2 && M > 1 && K % 8 == 0) {
        gpt2_avx2_pack_a_ln(A, lda, M, K, p0, p1, w, b, eps, Ap);
        return 1;
    }
#endif
    (void)isa, (void)A, (void)lda, (void)M, (void)K, (void)p0, (void)p1, (void)w, (void)b, (void)eps, (void)Ap;
    return 0;
}

size_t gpt2_gemm_col_quantum(int isa)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512) return GPT2_X86_NR;
#endif
    if (isa == GPT2_ISA_AVX2) return GPT2_AVX2_NR;
#endif
    (void)isa;
    return 1;
}

void gpt2_gemm_cols(int isa, const gpt2_gemm *g, const float *Ap, size_t n0, size_t n1, float *scratch)
{
    if (n1 <= n0 || g->M == 0) return;
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512) {
        gpt2_x86_gemm_cols(g, Ap, n0, n1, scratch);
        return;
    }
#endif
    if (isa == GPT2_ISA_AVX2) {
        gpt2_avx2_gemm_cols(g, Ap, n0, n1, scratch);
        return;
    }
#endif
    (void)isa, (void)Ap, (void)scratch;
    gemm_c(g, n0, n1);
}

size_t gpt2_gemv_chunks(size_t K) { return (K + GPT2_GEMV_KCHUNK - 1) / GPT2_GEMV_KCHUNK; }

void gpt2_gemv_reduce(int isa, const gpt2_gemm *g, const float *part, size_t nch, size_t n0, size_t n1)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512) {
        gpt2_x86_gemv_reduce(g, part, nch, n0, n1);
        return;
    }
#endif
    if (isa == GPT2_ISA_AVX2) {
        gpt2_avx2_gemv_reduce(g, part, nch, n0, n1);
        return;
    }
#endif
    (void)isa;
    for (size_t n = n0; n < n1; n++) {
        float s = g->accumulate ? g->C[n] : 0.0f;
        for (size_t c = 0; c < nch; c++) s += part[c * g->N + n];
        if (g->bias) s += g->bias[n];
        g->C[n] = g->gelu ? gelu_c(s) : s;
    }
}

/* ---- layer norm (Ba et al. 2016), as torch.nn.LayerNorm: biased variance ---------- */

static void layernorm_c(const float *x, float *y, size_t C, const float *w, const float *b, float eps)
{
    double s = 0;
    for (size_t j = 0; j < C; j++) s += x[j];
    const double mean = s / (double)C;
    double v = 0;
    for (size_t j = 0; j < C; j++) v += ((double)x[j] - mean) * ((double)x[j] - mean);
    const float rstd = (float)(1.0 / sqrt(v / (double)C + (double)eps)), mf = (float)mean;
    for (size_t j = 0; j < C; j++) y[j] = (x[j] - mf) * rstd * w[j] + b[j];
}

void gpt2_layernorm_rows(int isa, const float *x, float *y, size_t r0, size_t r1, size_t C, const float *w,
                         const float *b, float eps)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512 && C % 16 == 0) {
        for (size_t r = r0; r < r1; r++) gpt2_x86_layernorm(x + r * C, y + r * C, C, w, b, eps);
        return;
    }
#endif
    /* (also at the AVX-512 level for a C that is a multiple of 8 but not of 16: its machine has AVX2) */
    if (isa >= GPT2_ISA_AVX2 && C % 8 == 0) {
        for (size_t r = r0; r < r1; r++) gpt2_avx2_layernorm(x + r * C, y + r * C, C, w, b, eps);
        return;
    }
#endif
    (void)isa;
    for (size_t r = r0; r < r1; r++) layernorm_c(x + r * C, y + r * C, C, w, b, eps);
}

/* ---- the KV cache ---------------------------------------------------------------------- */

void gpt2_kv_append(int isa, const float *k, const float *v, size_t ld, float *kt, float *vv, size_t d, size_t pos0,
                    size_t n)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (isa == GPT2_ISA_AVX512) {
        gpt2_x86_kv_append(k, v, ld, kt, vv, d, pos0, n);
        return;
    }
#endif
#endif
    (void)isa;
    for (size_t i = 0; i < n; i++) {
        const size_t p = pos0 + i;
        float *tile = kt + (p / GPT2_KT) * d * GPT2_KT + p % GPT2_KT;
        for (size_t e = 0; e < d; e++) tile[e * GPT2_KT] = k[i * ld + e];
        memcpy(vv + p * d, v + i * ld, d * sizeof(float));
    }
}

/* ---- attention (Vaswani et al. 2017, eq. 1: softmax(q K^T / sqrt(d)) V, causal) ---- */

size_t gpt2_attention_scratch_floats(size_t rows, size_t max_tokens)
{
    return rows * ((max_tokens + GPT2_KT - 1) / GPT2_KT * GPT2_KT);
}

static void attention_c(const float *q, size_t ldq, const float *kt, const float *v, float *out, size_t ldo, size_t d,
                        size_t pos0, size_t i0, size_t i1, float scale, float *s)
{
    for (size_t i = i0; i < i1; i++) {
        const float *qi = q + i * ldq;
        const size_t np = pos0 + i + 1; /* keys 0..pos0+i */
        float m = -INFINITY;
        for (size_t j = 0; j < np; j++) {
            const float *tile = kt + (j / GPT2_KT) * d * GPT2_KT + j % GPT2_KT;
            float dot = 0.0f;
            for (size_t e = 0; e < d; e++) dot += qi[e] * tile[e * GPT2_KT];
            s[j] = dot * scale;
            if (s[j] > m) m = s[j];
        }
        float sum = 0.0f;
        for (size_t j = 0; j < np; j++) {
            s[j] = expf(s[j] - m);
            sum += s[j];
        }
        float *o = out + i * ldo;
        for (size_t e = 0; e < d; e++) o[e] = 0.0f;
        for (size_t j = 0; j < np; j++) {
            const float p = s[j], *vj = v + j * d;
            for (size_t e = 0; e < d; e++) o[e] += p * vj[e];
        }
        const float inv = 1.0f / sum;
        for (size_t e = 0; e < d; e++) o[e] *= inv;
    }
}

void gpt2_attention(int isa, const float *q, size_t ldq, const float *kt, const float *v, float *out, size_t ldo,
                    size_t d, size_t pos0, size_t i0, size_t i1, float scale, float *s)
{
#if LMP_ISA_X86
#if LMP_ISA_AVX512
    if (GPT2_X86_ATTENTION && isa == GPT2_ISA_AVX512 && d % 16 == 0) {
        gpt2_x86_attention(q, ldq, kt, v, out, ldo, d, pos0, i0, i1, scale, s);
        return;
    }
#endif
    /* at the AVX-512 level too for a head size that is a multiple of 8 but not of 16 (GPT-2's 64 is both): the
     * key tiles are the same at every level, and scalar C was 6x slower (d = 40, 768 tokens) */
    if (isa >= GPT2_ISA_AVX2 && d % 8 == 0) {
        gpt2_avx2_attention(q, ldq, kt, v, out, ldo, d, pos0, i0, i1, scale, s);
        return;
    }
#endif
    (void)isa;
    attention_c(q, ldq, kt, v, out, ldo, d, pos0, i0, i1, scale, s);
}
