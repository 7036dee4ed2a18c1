/* Decoding: turn a logits vector into a next token.
 *
 * A sampler is a chain of filters over one candidate array (after llama.cpp's
 * llama_token_data_array + sampler chain), configured by an lmp_sampler_params
 * and created once for a maximum vocabulary size. All scratch lives in the
 * sampler: one call of lmp_sampler_apply/lmp_sampler_sample allocates nothing,
 * and runs in O(V) expected time (no full sort: a sampled threshold and a
 * gather for top-k, a histogram over logits or over the typical-sampling score
 * to find the top-p / typical cut-off, and a sort of the boundary bucket only).
 *
 * Conventions (LMP_CONV_HF / LMP_CONV_LLAMA) fix the chain order AND each
 * filter's edge rules, following ../docs/decoding.md and the sampling SPEC:
 *   order HF:    penalties -> temperature -> top-k -> top-p -> min-p -> typical -> epsilon
 *   order llama: penalties -> top-k -> typical -> top-p -> min-p -> epsilon -> temperature
 * (llama.cpp has no epsilon sampler; lmprob puts it with the other truncations.)
 *
 *  filter      | HF rule                                      | llama rule
 *  ------------+----------------------------------------------+-----------------------------------------------
 *  temperature | logits / T; T = 0 keeps the first maximum   | same (applied last, so it changes no kept set)
 *  top-k       | k' = min(max(k, min_keep), n); keep every    | keep exactly min(k, n): ties at the k-th value
 *              | token >= the k'-th value (ties all kept)    | go to the lower ids
 *  top-p       | keep a token iff the mass ranked above it    | same rule; ties at the cut ranked lower id first
 *              | is < p (the crossing token is kept); p >= 1  | (llama's descending float scan); p >= 1 is off
 *              | is off; ties at the cut ranked higher id     |
 *              | first (a stable ascending sort, as HF)       |
 *  min-p       | keep p_i >= min_p * p_max (probabilities)    | keep logit_i >= max + log(min_p) (logit space)
 *  typical     | Meister et al.: rank by |-log p - H|, keep   | same ranking; stop at the first cumulative
 *              | up to the first cumulative mass >= mass and  | mass > mass (strict), exactly that many
 *              | every token tied with it                     |
 *  epsilon     | keep p_i >= epsilon, and the top min_keep    | same
 *
 * Precision (lmp_sampler_dtype) is separate: LMP_DTYPE_F64 computes
 * probabilities and cumulative sums in double (Hugging Face on a float64
 * model), LMP_DTYPE_F32 rounds every logit, probability and running sum to
 * float (llama.cpp; HF on a float32 model). For n <= LMP_SAMPLE_EXACT_MAX
 * candidates the top-p and typical cut-offs are computed literally (full sort
 * and a sequential cumulative sum, ascending for HF top-p as HF does), so the
 * kept sets agree with the reference implementations even where p equals a
 * partial sum; above that the bucketed O(V) path sums in double and can differ
 * from a literal sort by one token exactly at such a tie.
 *
 * Logits: NaN or +inf is an error (LMP_EINVAL, naming the index); -inf means
 * probability 0 (such a token can be in a kept set but is never drawn); all
 * -inf is an error. A finite logit that a temperature or the penalties push to +inf
 * (logit / 1e-310; a repetition penalty of 1e-310; a frequency penalty of -1e308) is
 * LMP_ERANGE, naming the token. The kept set is always non-empty.
 *
 * The draw takes one uniform u = lmp_rng_uniform(rng) and returns the first
 * kept token, in ascending id order, whose normalised cumulative probability
 * exceeds u: exactly numpy's legacy np.random.choice(V, p=p) (cdf = cumsum(p);
 * cdf /= cdf[-1]; searchsorted(cdf, u, 'right')), so with the numpy-legacy
 * stream the chapter's seeded examples give numpy's tokens. (The float32 fast
 * paths over large vocabularies, temperature alone and top-p with nothing
 * after it, draw without forming the kept arrays: a u within rounding of a
 * cdf boundary may give the neighbouring token; docs/decoding.md.) */
#ifndef LMPROB_SAMPLE_H
#define LMPROB_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/rng.h"

LMP_EXTERN_C_BEGIN

/* Candidate sets up to this size get the literal (sort-based) top-p/typical cut. */
#define LMP_SAMPLE_EXACT_MAX 1024

typedef enum lmp_sampler_convention { LMP_CONV_HF = 0, LMP_CONV_LLAMA = 1 } lmp_sampler_convention;
typedef enum lmp_sampler_dtype { LMP_DTYPE_F64 = 0, LMP_DTYPE_F32 = 1 } lmp_sampler_dtype;

/* How apply runs the chain (see "the chain, step by step" below): AUTO takes the
 * fused O(V) engine whenever the chain is one that lmp_sampler_params describes,
 * REFERENCE always runs the steps one after the other. Both give the same bits. */
typedef enum lmp_sampler_path { LMP_PATH_AUTO = 0, LMP_PATH_REFERENCE = 1 } lmp_sampler_path;

/* The widest vector instruction set a sampler's kernels may use (x86-64: the
 * portable kernels, AVX2 + FMA, AVX-512; other machines have the portable ones
 * only). A cap per sampler, not a requirement: the machine's own limit applies
 * too. AVX2 and AVX-512 give the same bits; the portable kernels (no fused
 * multiply-add) may round an exp differently: a float32 one (both within 2 ulp
 * of expf) and, from 1,024 logits on, a float64 one (the vector exp of
 * src/info/vmath.c, each within 1 ulp of exp). Probabilities may then differ in
 * the last bit, and a token within rounding of a filter's threshold or a draw
 * within rounding of a cdf boundary may go the other way. LMP_SIMD_BASELINE
 * gives, on any x86-64, the bits of a machine without AVX2. */
typedef enum lmp_simd {
    LMP_SIMD_BEST = 0,     /* the widest the machine has (default) */
    LMP_SIMD_BASELINE = 1, /* portable vector code only */
    LMP_SIMD_AVX2 = 2,     /* at most AVX2 + FMA */
    LMP_SIMD_AVX512 = 3    /* at most AVX-512 (F, DQ, VL) */
} lmp_simd;

typedef struct lmp_sampler_params {
    lmp_sampler_convention conv;  /* chain order and edge rules (see above) */
    lmp_sampler_dtype dtype;      /* arithmetic precision of the filters */
    double temperature;           /* 1: off. 0: greedy (first maximum). Must be >= 0. */
    long top_k;                   /* 0: off. Must be >= 0. k >= V keeps everything. */
    double top_p;                 /* 1: off. Must be in [0, 1] (0 keeps min_keep tokens). */
    double min_p;                 /* 0: off. Must be in [0, 1]. */
    double typical_p;             /* 1: off. Must be in (0, 1]. Meister et al. 2023. */
    double epsilon;               /* 0: off. Must be in [0, 1). Hewitt et al. 2022. */
    double repetition_penalty;    /* 1: off. Must be > 0. Keskar et al. 2019 (HF/llama formula). */
    double frequency_penalty;     /* 0: off. llama.cpp: logit -= count * freq. */
    double presence_penalty;      /* 0: off. llama.cpp: logit -= (count > 0) * present. */
    size_t penalty_last_n;        /* penalties see the last n history tokens; 0: all (HF). */
    size_t min_keep;              /* filters keep at least this many (0 is taken as 1). */
    lmp_simd simd;                /* widest vector ISA the kernels may use (LMP_SIMD_BEST). */
    lmp_sampler_path path;        /* LMP_PATH_AUTO: the fused engine where it applies (see below). */
} lmp_sampler_params;

/* Everything off, HF convention, float64, min_keep 1, the machine's widest SIMD,
 * LMP_PATH_AUTO. */
LMP_API void lmp_sampler_params_init(lmp_sampler_params *p);

/* Check every field; the message names the field, its value and the domain. */
LMP_API lmp_status lmp_sampler_params_check(const lmp_sampler_params *prm, lmp_error *err);

/* Thread safety: a sampler holds the scratch and the kept set of its last apply, so
 * one sampler serves one thread at a time; distinct samplers on distinct threads are
 * independent (no shared state). */
typedef struct lmp_sampler lmp_sampler;

/* Create a sampler for vocabularies up to max_vocab (>= 1). Allocates all
 * scratch (about 53 bytes per token plus 48 KB of histogram buckets). *out is NULL on error. */
LMP_API lmp_status lmp_sampler_create(const lmp_sampler_params *prm, size_t max_vocab, lmp_sampler **out,
                                      lmp_error *err);
LMP_API void lmp_sampler_free(lmp_sampler *s); /* NULL is a no-op */
/* The parameters of the chain: those it was created with, updated by lmp_sampler_add_*
 * while the chain is one that parameters describe (lmp_sampler_is_fused, path aside). */
LMP_API const lmp_sampler_params *lmp_sampler_get_params(const lmp_sampler *s);

/* Run the chain on logits[V] (V <= max_vocab) with the token history hist[nh]
 * (prompt plus generated tokens, oldest first; used only by the penalties;
 * ids outside [0, V), or nh > 0 with hist NULL, are an error whatever the
 * chain). Leaves the kept set in the sampler.
 * The logits are not modified. _f32: float logits (a float32 model's output). */
LMP_API lmp_status lmp_sampler_apply(lmp_sampler *s, const double *logits, size_t V, const lmp_token_id *hist,
                                     size_t nh, lmp_error *err);
LMP_API lmp_status lmp_sampler_apply_f32(lmp_sampler *s, const float *logits, size_t V, const lmp_token_id *hist,
                                         size_t nh, lmp_error *err);

/* The kept set of the last apply: ids ascending, their processed logits
 * (after penalties and temperature) and renormalised probabilities (sum 1).
 * The pointers are valid until the next apply or free. n = 0 before any apply.
 * Not const: a temperature-only chain on float32 logits with V > 4096, and a
 * float32 chain whose last filter is top-p with V > 8192, draw without forming
 * the kept arrays (see docs/decoding.md) and form them here on the first call. */
typedef struct lmp_candidates {
    const lmp_token_id *id;
    const double *logit;
    const double *p;
    size_t n;
} lmp_candidates;
LMP_API lmp_candidates lmp_sampler_kept(lmp_sampler *s);

/* Draw from the kept set of the last apply: one uniform from rng (see above).
 * Returns LMP_TOKEN_NONE when nothing was applied or rng is NULL. */
LMP_API lmp_token_id lmp_sampler_draw(const lmp_sampler *s, lmp_rng *rng);
/* The same with the uniform u in [0, 1) given; LMP_TOKEN_NONE for a u outside it (NaN too). */
LMP_API lmp_token_id lmp_sampler_draw_u(const lmp_sampler *s, double u);

/* apply + draw. LMP_EINVAL for a NULL rng or token (before the apply). */
LMP_API lmp_status lmp_sampler_sample(lmp_sampler *s, const double *logits, size_t V, const lmp_token_id *hist,
                                      size_t nh, lmp_rng *rng, lmp_token_id *token, lmp_error *err);
LMP_API lmp_status lmp_sampler_sample_f32(lmp_sampler *s, const float *logits, size_t V, const lmp_token_id *hist,
                                          size_t nh, lmp_rng *rng, lmp_token_id *token, lmp_error *err);

/* ---- the chain, step by step ---------------------------------------------------------
 *
 * A sampler is a list of steps, as llama.cpp's sampler chain (llama_sampler_i).
 * lmp_sampler_create starts it with the filters its params turn on, in the
 * convention's order (the table above); lmp_sampler_add_* append built-in steps,
 * which take the sampler's convention, dtype and min_keep; lmp_sampler_add_step_take
 * appends a step of your own. Every built-in step is one short function in
 * src/sample/chain.c that states its rule literally: it is the reference definition
 * of what the sampler keeps. After the last step, p = softmax(logit) over the kept
 * set; the draw is the selection ("dist": one uniform, numpy's choice rule above).
 *
 * Two ways to run a chain, one result:
 *  - fused (LMP_PATH_AUTO, whenever the chain is one lmp_sampler_params describes:
 *    built-in steps only, each at most once, in the convention's order): the O(V)
 *    engine above, with its float32 fast paths;
 *  - reference (LMP_PATH_REFERENCE, and every other chain): the steps one after the
 *    other over the candidate array, O(V log V) where a step sorts.
 * They agree bit for bit: the same kept ids, logits and probabilities, and the same
 * token for the same uniform (tests/test_chain.c; the lazy float32 draws noted at
 * the top may differ for a u within rounding of a cdf boundary).
 *
 * Edge rules are those of the table above: temperature(0) and greedy keep the first
 * maximum; top-k with k <= 0, top-p >= 1, min-p <= 0, typical >= 1, epsilon <= 0 and
 * penalties of 1, 0, 0 change nothing. */

/* The candidates a step works on (llama.cpp's llama_token_data_array, as parallel
 * arrays): n candidates in ascending id order with their processed logits, and,
 * when p_ok, their probabilities p = softmax(logit) over the n, in the dtype. A
 * step keeps the order, removes candidates with lmp_cand_array_keep, may change
 * logits (then it clears p_ok), and must leave at least one candidate. */
typedef struct lmp_cand_array {
    lmp_token_id *id;          /* [n] ascending */
    double *logit;             /* [n] after the steps so far */
    double *p;                 /* [n] valid when p_ok */
    size_t n;
    int p_ok;
    lmp_sampler_dtype dtype;   /* F32: every logit and probability is a float value, sums rounded to float */
    size_t V;                  /* the call's vocabulary size (ids are in [0, V)) */
    const lmp_token_id *hist;  /* the call's token history, oldest first (checked: every id in [0, V)) */
    size_t nhist;
    size_t *ord;               /* scratch for the steps, max_vocab entries each; any step may overwrite it */
    double *key;
    unsigned char *keep;
    int simd_level;            /* the sampler's kernel level (read by lmp_cand_array_softmax) */
} lmp_cand_array;

/* p = softmax(logit) over the n candidates in c->dtype, through the fused engine's
 * kernels (so the same bits); sets p_ok. */
LMP_API void lmp_cand_array_softmax(lmp_cand_array *c);
/* Keep the candidates i with keep[i] != 0, in order; clears p_ok when any goes.
 * keep may be c->keep. At least one must be kept (else nothing changes). */
LMP_API void lmp_cand_array_keep(lmp_cand_array *c, const unsigned char *keep);

/* A step of your own (llama.cpp's llama_sampler_i, reduced to what a filter needs). */
typedef struct lmp_sampler_step_iface {
    const char *name;
    /* Filter or reweight c in place; LMP_OK, or a status with err filled (the call fails). */
    lmp_status (*apply)(void *ctx, lmp_cand_array *c, lmp_error *err);
    /* Release ctx; NULL when there is nothing to release. */
    void (*free)(void *ctx);
} lmp_sampler_step_iface;

/* Append a built-in step (the parameter domains of lmp_sampler_params; LMP_EINVAL
 * names the value otherwise, and the chain is unchanged). */
LMP_API lmp_status lmp_sampler_add_penalties(lmp_sampler *s, double repetition, double frequency, double presence,
                                             size_t last_n, lmp_error *err);
LMP_API lmp_status lmp_sampler_add_temperature(lmp_sampler *s, double T, lmp_error *err);
LMP_API lmp_status lmp_sampler_add_top_k(lmp_sampler *s, long k, lmp_error *err);
LMP_API lmp_status lmp_sampler_add_top_p(lmp_sampler *s, double p, lmp_error *err);
LMP_API lmp_status lmp_sampler_add_min_p(lmp_sampler *s, double min_p, lmp_error *err);
LMP_API lmp_status lmp_sampler_add_typical(lmp_sampler *s, double mass, lmp_error *err);
LMP_API lmp_status lmp_sampler_add_epsilon(lmp_sampler *s, double epsilon, lmp_error *err);
/* Keep the first maximum (lowest id on ties): after it the draw is certain. */
LMP_API lmp_status lmp_sampler_add_greedy(lmp_sampler *s, lmp_error *err);
/* Append a step of your own. The sampler owns ctx from this call on: iface->free(ctx)
 * runs at lmp_sampler_free, or before this call returns if it fails. iface must
 * outlive the sampler (a static table). */
LMP_API lmp_status lmp_sampler_add_step_take(lmp_sampler *s, const lmp_sampler_step_iface *iface, void *ctx,
                                             lmp_error *err);
/* The steps: how many, and the name of step i (NULL past the end). */
LMP_API size_t lmp_sampler_n_steps(const lmp_sampler *s);
LMP_API const char *lmp_sampler_step_name(const lmp_sampler *s, size_t i);
/* 1 when apply takes the fused engine (path AUTO and a chain lmp_sampler_params
 * describes), 0 when it runs the steps one by one. */
LMP_API int lmp_sampler_is_fused(const lmp_sampler *s);

/* ---- standalone kernels ----------------------------------------------------- */

/* Greedy decoding: the first index of the maximum (lowest id on ties), or n
 * when n = 0 or an entry is NaN. */
LMP_API size_t lmp_argmax(const double *x, size_t n);
LMP_API size_t lmp_argmax_f32(const float *x, size_t n);

/* Inverse-CDF pick with unnormalised weights: the first i with
 * w_0 + ... + w_i > u * sum(w) (strict, as numpy and llm.c's sample_mult).
 * Weights must be >= 0 with a positive finite sum; returns n otherwise.
 * Falls back to the last positive weight when rounding leaves u * sum above the total. */
LMP_API size_t lmp_sample_index(const double *w, size_t n, double u);

/* Hugging Face RepetitionPenaltyLogitsProcessor in place on scores[V]: each
 * distinct id of prev[np] once: s < 0 ? s * penalty : s / penalty.
 * penalty > 0; ids must be in [0, V). O(np^2) without scratch (for the
 * standalone call; the sampler uses counts in its scratch). */
LMP_API lmp_status lmp_repetition_penalty(double *scores, size_t V, const lmp_token_id *prev, size_t np, double penalty,
                                          lmp_error *err);

/* llama.cpp's penalties sampler in float32 on logits[V] with the last tokens
 * last[nl]: logit <= 0 ? logit * repeat : logit / repeat, then
 * logit -= count * freq + (count > 0) * present. O(nl^2). */
LMP_API lmp_status lmp_penalties_f32(float *logits, size_t V, const lmp_token_id *last, size_t nl, float repeat,
                                     float freq, float present, lmp_error *err);

LMP_EXTERN_C_END

#endif
