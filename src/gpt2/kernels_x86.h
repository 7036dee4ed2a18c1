/* x86-64 kernels of the GPT-2 engine: AVX-512 (kernels_x86.c) and AVX2 + FMA
 * (kernels_avx2.c). Compiled with per-function target attributes, so the
 * library itself needs no -mavx512f or -mavx2 and runs everywhere; the
 * model's load checks the CPU (gpt2_isa_detect) and only then are these
 * called. */
#ifndef LMPROB_GPT2_KERNELS_X86_H
#define LMPROB_GPT2_KERNELS_X86_H

#include "gpt2_internal.h"

/* Which of them a build has: src/core/isa.h (LMP_ISA_X86; LMP_ISA_AVX512, without which
 * kernels_x86.c compiles to nothing) */
#include "../core/isa.h"

#define GPT2_X86_ATTENTION 1
#if LMP_ISA_AVX512
#define GPT2_X86_MR 14 /* rows of the matrix-product micro-kernel */
#define GPT2_X86_NR 32 /* columns of the matrix-product micro-kernel */
int gpt2_x86_avx512_usable(void);
size_t gpt2_x86_gemm_scratch_floats(size_t max_m, size_t max_k);
size_t gpt2_x86_pack_a_floats(size_t M, size_t K);
size_t gpt2_x86_panels(size_t M);
int gpt2_x86_can_pack_c(size_t M, size_t K);
void gpt2_x86_pack_a(const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, float *Ap);
void gpt2_x86_pack_a_ln(const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, const float *w,
                        const float *b, float eps, float *Ap);
void gpt2_x86_gemm_cols(const gpt2_gemm *g, const float *Ap, size_t n0, size_t n1, float *scratch);
void gpt2_x86_gemv_reduce(const gpt2_gemm *g, const float *part, size_t nch, size_t n0, size_t n1);
void gpt2_x86_layernorm(const float *x, float *y, size_t C, const float *w, const float *b, float eps);
void gpt2_x86_kv_append(const float *k, const float *v, size_t ld, float *kt, float *vv, size_t d, size_t pos0,
                        size_t n);
void gpt2_x86_attention(const float *q, size_t ldq, const float *kt, const float *v, float *out, size_t ldo, size_t d,
                        size_t pos0, size_t i0, size_t i1, float scale, float *s);
#endif

#if LMP_ISA_X86
#define GPT2_AVX2_MR 6  /* rows of the AVX2 micro-kernel */
#define GPT2_AVX2_NR 16 /* columns of the AVX2 micro-kernel */
int gpt2_avx2_usable(void);
size_t gpt2_avx2_gemm_scratch_floats(void);
size_t gpt2_avx2_pack_a_floats(size_t M, size_t K);
size_t gpt2_avx2_panels(size_t M);
void gpt2_avx2_pack_a(const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, float *Ap);
void gpt2_avx2_pack_a_ln(const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, const float *w,
                         const float *b, float eps, float *Ap);
int gpt2_avx2_can_pack_c(size_t M, size_t K);
void gpt2_avx2_gemm_cols(const gpt2_gemm *g, const float *Ap, size_t n0, size_t n1, float *scratch);
void gpt2_avx2_gemv_reduce(const gpt2_gemm *g, const float *part, size_t nch, size_t n0, size_t n1);
void gpt2_avx2_layernorm(const float *x, float *y, size_t C, const float *w, const float *b, float eps);
void gpt2_avx2_attention(const float *q, size_t ldq, const float *kt, const float *v, float *out, size_t ldo, size_t d,
                         size_t pos0, size_t i0, size_t i1, float scale, float *s);
#endif

#endif
