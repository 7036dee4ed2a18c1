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
 * -inf is an error. The kept set is always non-empty.
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

/* Candidate sets up to this size get the literal (sort-based) top-p/typical cut. */
#define LMP_SAMPLE_EXACT_MAX 1024

typedef enum lmp_sampler_convention { LMP_CONV_HF = 0, LMP_CONV_LLAMA = 1 } lmp_sampler_convention;
typedef enum lmp_sampler_dtype { LMP_DTYPE_F64 = 0, LMP_DTYPE_F32 = 1 } lmp_sampler_dtype;

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
} lmp_sampler_params;

/* Everything off, HF convention, float64, min_keep 1. */
lmp_sampler_params lmp_sampler_params_default(void);

/* Check every field; the message names the field, its value and the domain. */
lmp_status lmp_sampler_params_check(const lmp_sampler_params *prm, lmp_error *err);

typedef struct lmp_sampler lmp_sampler;

/* Create a sampler for vocabularies up to max_vocab (>= 1). Allocates all
 * scratch (about 53 bytes per token plus 48 KB of histogram buckets). *out is NULL on error. */
lmp_status lmp_sampler_create(const lmp_sampler_params *prm, size_t max_vocab, lmp_sampler **out, lmp_error *err);
void lmp_sampler_free(lmp_sampler *s); /* NULL is a no-op */
const lmp_sampler_params *lmp_sampler_get_params(const lmp_sampler *s);

/* Run the chain on logits[V] (V <= max_vocab) with the token history hist[nh]
 * (prompt plus generated tokens, oldest first; used only by the penalties;
 * ids outside [0, V) are an error). Leaves the kept set in the sampler.
 * The logits are not modified. */
lmp_status lmp_sampler_apply(lmp_sampler *s, const float *logits, size_t V, const int32_t *hist, size_t nh,
                             lmp_error *err);
lmp_status lmp_sampler_apply_d(lmp_sampler *s, const double *logits, size_t V, const int32_t *hist, size_t nh,
                               lmp_error *err);

/* The kept set of the last apply: ids ascending, their processed logits
 * (after penalties and temperature) and renormalised probabilities (sum 1).
 * The pointers are valid until the next apply or free. n = 0 before any apply.
 * Not const: a temperature-only chain on float32 logits with V > 4096, and a
 * float32 chain whose last filter is top-p with V > 8192, draw without forming
 * the kept arrays (see docs/decoding.md) and form them here on the first call. */
typedef struct lmp_candidates {
    const int32_t *id;
    const double *logit;
    const double *p;
    size_t n;
} lmp_candidates;
lmp_candidates lmp_sampler_kept(lmp_sampler *s);

/* Draw from the kept set of the last apply: one uniform from rng (see above).
 * Returns -1 when nothing was applied. */
int32_t lmp_sampler_draw(const lmp_sampler *s, lmp_rng *rng);
/* The same with the uniform u in [0, 1) given. */
int32_t lmp_sampler_draw_u(const lmp_sampler *s, double u);

/* apply + draw. */
lmp_status lmp_sampler_sample(lmp_sampler *s, const float *logits, size_t V, const int32_t *hist, size_t nh,
                              lmp_rng *rng, int32_t *token, lmp_error *err);
lmp_status lmp_sampler_sample_d(lmp_sampler *s, const double *logits, size_t V, const int32_t *hist, size_t nh,
                                lmp_rng *rng, int32_t *token, lmp_error *err);

/* ---- standalone kernels ----------------------------------------------------- */

/* Greedy decoding: the first index of the maximum (lowest id on ties), or n
 * when n = 0 or an entry is NaN. */
size_t lmp_argmax(const double *x, size_t n);
size_t lmp_argmax_f(const float *x, size_t n);

/* Inverse-CDF pick with unnormalised weights: the first i with
 * w_0 + ... + w_i > u * sum(w) (strict, as numpy and llm.c's sample_mult).
 * Weights must be >= 0 with a positive finite sum; returns n otherwise.
 * Falls back to the last positive weight when rounding leaves u * sum above the total. */
size_t lmp_sample_index(const double *w, size_t n, double u);

/* Hugging Face RepetitionPenaltyLogitsProcessor in place on scores[V]: each
 * distinct id of prev[np] once: s < 0 ? s * penalty : s / penalty.
 * penalty > 0; ids must be in [0, V). O(np^2) without scratch (for the
 * standalone call; the sampler uses counts in its scratch). */
lmp_status lmp_repetition_penalty(double *scores, size_t V, const int32_t *prev, size_t np, double penalty,
                                  lmp_error *err);

/* llama.cpp's penalties sampler in float32 on logits[V] with the last tokens
 * last[nl]: logit <= 0 ? logit * repeat : logit / repeat, then
 * logit -= count * freq + (count > 0) * present. O(nl^2). */
lmp_status lmp_penalties_f(float *logits, size_t V, const int32_t *last, size_t nl, float repeat, float freq,
                           float present, lmp_error *err);

#endif
