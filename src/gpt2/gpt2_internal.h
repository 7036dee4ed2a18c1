/* GPT-2 engine internals: the model, the kernels' interface, the thread pool.
 *
 * Shapes (Hugging Face names; C = n_embd, F = n_inner, V = n_vocab, P = n_ctx):
 *   wte [V, C], wpe [P, C], ln_f.{weight,bias} [C]
 *   h.i.ln_1/ln_2.{weight,bias} [C]
 *   h.i.attn.c_attn.weight [C, 3C] (Conv1D: stored [in, out], y = x W + b), bias [3C]
 *   h.i.attn.c_proj.weight [C, C], bias [C]
 *   h.i.mlp.c_fc.weight [C, F], bias [F]; h.i.mlp.c_proj.weight [F, C], bias [C]
 *   lm_head.weight [V, C] (nn.Linear: y = x W^T), tied to wte by default. */
#ifndef LMPROB_GPT2_INTERNAL_H
#define LMPROB_GPT2_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/pool.h"
#include "lmprob/gpt2.h"
#include "safetensors.h"

/* Instruction-set level of the kernels, detected per model at load (never in
 * a process-wide variable) and copied into each context, where tests may
 * lower it. */
enum { GPT2_ISA_C = 0, GPT2_ISA_AVX2 = 1, GPT2_ISA_AVX512 = 2 };
int gpt2_isa_detect(void);

typedef struct gpt2_layer {
    const float *ln1_w, *ln1_b;
    const float *attn_w, *attn_b; /* [C, 3C], [3C] */
    const float *proj_w, *proj_b; /* [C, C], [C] */
    const float *ln2_w, *ln2_b;
    const float *fc_w, *fc_b;     /* [C, F], [F] */
    const float *fc2_w, *fc2_b;   /* [F, C], [C] */
} gpt2_layer;

struct lmp_gpt2 {
    lmp_gpt2_config cfg;
    int isa;
    const float *wte, *wpe, *lnf_w, *lnf_b;
    const float *lm_head;         /* [V, C]: wte when tied */
    gpt2_layer *layers;
    /* storage */
    void *map;                    /* mmapped file (load), or NULL (create, or shards) */
    size_t map_size;
    st_file st;                   /* the file's tensors; of a sharded folder, all the shards' */
    /* A sharded folder (model.safetensors.index.json): each shard mapped and validated on its own
     * (nshards 0 otherwise); st.t then lists every shard's tensors, names and data in the shards'. */
    struct gpt2_shard {
        st_file st;
        void *map;
        size_t size;
        char *path;
    } *shards;
    size_t nshards;
    int *used;                    /* per tensor of st: read by the forward pass */
    char *source;                 /* the file the tensors came from (lmp_gpt2_weights_path), or NULL */
    void **heap;                  /* converted (F16/BF16) or realigned tensors */
    size_t nheap;
    lmp_progress_fn progress;     /* lmp_gpt2_load's, while it builds (NULL otherwise) */
    void *progress_ctx;
};

/* ---- kernels (kernels.c: portable C; kernels_x86.c: AVX-512; kernels_avx2.c: AVX2) ---- */

/* One matrix product C[M, N] (op)= A[M, K] B + bias, on the columns [n0, n1)
 * of C only (threads split the columns; a column's value depends only on
 * its own inputs, so any split gives the same bits).
 *   B: b_trans = 0: B[k][n] at B + k*ldb + n   (Conv1D weights, [in, out])
 *      b_trans = 1: B[n][k] at B + n*ldb + k   (lm_head / wte, [out, in])
 *   accumulate = 1: C += A B + bias   (the residual stream)
 *   gelu = 1:       C = gelu(A B + bias)
 * Every output is the sum over k in increasing order, one rounding per step,
 * started from 0 (or from C when accumulating), then + bias, then GELU; the
 * exceptions are the vector kernel for one row of b_trans = 1 (the output
 * projection while decoding), which sums in 16 lanes and then across them,
 * and one row of b_trans = 0 as the forward pass runs it (gpt2_gemv_reduce). */
typedef struct gpt2_gemm {
    const float *A;
    size_t lda;
    const float *B;
    size_t ldb;
    int b_trans;
    const float *bias;
    float *C;
    size_t ldc;
    size_t M, N, K;
    int accumulate, gelu;
    /* c_packed = 1: C is written as the packed A of a next product whose K is
     * this N (the layout of gpt2_gemm_pack, rows past M zero; ldc unused), so
     * that product needs no packing step. Only where gpt2_gemm_can_pack_c(). */
    int c_packed;
} gpt2_gemm;

/* A product runs in two steps, with a barrier between them:
 *  1. the threads pack A (the activations) into panels, splitting the
 *     gpt2_gemm_panels() panels between them (none for one row, or for the
 *     portable kernels, which read A in place);
 *  2. each thread computes its columns with gpt2_gemm_cols, reading the packed
 *     A (Ap, of gpt2_gemm_pack_floats() floats, shared) and packing blocks of
 *     B into its own scratch (gpt2_gemm_scratch_floats() floats). */
size_t gpt2_gemm_pack_floats(int isa, size_t M, size_t K);
size_t gpt2_gemm_panels(int isa, size_t M);
void gpt2_gemm_pack(int isa, const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, float *Ap);
/* Step 1 with a layer norm fused in: pack LN(A) (rows normalised with weight
 * w, bias b, as gpt2_layernorm_rows). Returns 0 when these kernels cannot (then
 * normalise the rows with gpt2_layernorm_rows and pack those). */
int gpt2_gemm_pack_ln(int isa, const float *A, size_t lda, size_t M, size_t K, size_t p0, size_t p1, const float *w,
                      const float *b, float eps, float *Ap);
size_t gpt2_gemm_scratch_floats(int isa, size_t max_m, size_t max_k);
/* Whether these kernels can write a product of M rows and K-long sums with
 * c_packed = 1 (not accumulating). */
int gpt2_gemm_can_pack_c(int isa, size_t M, size_t K);
void gpt2_gemm_cols(int isa, const gpt2_gemm *g, const float *Ap, size_t n0, size_t n1, float *scratch);
/* Columns are handed out to threads in multiples of this. */
size_t gpt2_gemm_col_quantum(int isa);

/* One row times a [K][N] weight (decoding; b_trans = 0), as the forward pass
 * runs it: the sum over k is cut into chunks of GPT2_GEMV_KCHUNK rows, each
 * summed from 0 into its own row of a partial buffer (part + c*N) by
 * gpt2_gemm_cols on the chunk's rows, and gpt2_gemv_reduce then adds
 * C[n] = GELU((C[n] if accumulating, else 0) + part[0][n] + ... + bias[n]) in
 * chunk order. Why: the threads share out (chunk, block of
 * GPT2_GEMV_CBLOCK columns) units in chunk order, so each reads one contiguous
 * range of the matrix, which the memory system streams near its bandwidth;
 * owning columns instead, a thread reads a short run (1.5-6 KB) of every row,
 * which two threads streamed a quarter slower (docs/gpt2.md, "Decoding"). The
 * chunks do not depend on the thread count, so neither do the bits. */
#ifndef GPT2_GEMV_KCHUNK /* overridable at build time only to measure other sizes */
#define GPT2_GEMV_KCHUNK 128
#endif
#define GPT2_GEMV_CBLOCK 256
size_t gpt2_gemv_chunks(size_t K);
void gpt2_gemv_reduce(int isa, const gpt2_gemm *g, const float *part, size_t nch, size_t n0, size_t n1);

/* y[i] = LN(x[i]) * w + b over rows [r0, r1) of width C (biased variance, eps inside the sqrt). */
void gpt2_layernorm_rows(int isa, const float *x, float *y, size_t r0, size_t r1, size_t C, const float *w,
                         const float *b, float eps);

/* Append the keys and values of positions [pos0, pos0+n) of one head to its
 * cache: row i of k and v at k + i*ld, v + i*ld (d floats); kt and v as below. */
void gpt2_kv_append(int isa, const float *k, const float *v, size_t ld, float *kt, float *vv, size_t d, size_t pos0,
                    size_t n);

/* Causal attention of one head for the query rows [i0, i1) of a push that
 * starts at position pos0: query row i (position pos0 + i) reads keys and
 * values 0..pos0+i of the cache. q: row i at q + i*ldq (head_dim floats);
 * out likewise. kt: the head's keys in tiles of GPT2_KT positions,
 * kt[(p / KT) * d * KT + e * KT + p % KT]; v: the head's values, v[p*d + e].
 * scale multiplies the scores. s: scratch of (i1 - i0) * (pos0 + i1) floats,
 * rounded up to whole tiles. */
#define GPT2_KT 16
void gpt2_attention(int isa, const float *q, size_t ldq, const float *kt, const float *v, float *out, size_t ldo,
                    size_t d, size_t pos0, size_t i0, size_t i1, float scale, float *s);
size_t gpt2_attention_scratch_floats(size_t rows, size_t max_tokens);

/* Lower the kernels' level of one context (tests compare the levels); returns
 * the level in effect (never above what the CPU has). */
int gpt2_ctx_set_isa(lmp_gpt2_ctx *ctx, int isa);
/* Tests: skew = 1 starts the last thread with all of a decoding step's shared-out units,
 * so that the others run only what they take over (ctx.c, share_next). Returns how many
 * times a thread has taken units over from another's share in this context so far. */
unsigned long gpt2_ctx_share_skew(lmp_gpt2_ctx *ctx, int skew);

/* ---- thread pool: core/pool.h (a context's threads) ------------------------ */

#endif
