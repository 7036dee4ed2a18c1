/* The fused engine of the sampler (include/lmprob/sample.h), its map:
 *   sampler.c      parameters, lifetime, apply: the dispatch below, the kept set, the draw
 *   filters.c      the general path: load, penalties, softmax in the dtype, one function a filter
 *   select.c       k-th value without a full sort, rank sorts, stable compactions
 *   cut.c          the cumulative-mass cut of top-p and typical (literal, or a mass histogram)
 *   fast_gather.c  top-k / min-p first, from float32 logits
 *   fast_topp.c    top-p first, from float32 logits
 *   fast_lazy.c    temperature only, float32, V > 4096
 *   kernels.c      the vectorised loops (kernels.h)
 *   chain.c        the chain of steps and the reference steps, the definition this engine matches
 *
 * Data model: the survivors live in three parallel arrays id[], lg[] (logits
 * after penalties/temperature) and p[] (probabilities, recomputed by a filter
 * that needs them), always in ascending id order: every filter computes a
 * threshold and then compacts the arrays in one stable pass. Keeping id order
 * is what makes the final draw equal to numpy's choice over the full vocabulary
 * (zero-probability tokens do not move the cdf) and makes the kept set cheap
 * to report.
 *
 * Cut-offs without a full sort:
 *  - k-th value (top-k, min_keep): a stride sample of 2048 logits gives a
 *    threshold that, with high probability, at least k logits pass; the
 *    survivors of one compare-and-gather pass go to quickselect. If fewer than k
 *    pass, quickselect runs on all n (still O(n) expected).
 *  - top-p / typical: one pass builds a 4096-bucket histogram of the ranking
 *    key (-logit, or |-log p - H|) weighted by probability; walking the buckets
 *    finds the bucket where the cumulative mass crosses the target; only that
 *    bucket's members are sorted. Below LMP_SAMPLE_EXACT_MAX candidates the
 *    whole set is sorted and summed sequentially (the literal algorithm).
 * Shortcuts for float32 input (lmp_sampler_apply_f32), each equal to the general
 * path on the same values (tests/test_sample.c compares them):
 *  - top-k, top-p or min-p as the first truncation: gather the positions above
 *    a threshold (sampled; from a sampled mass histogram checked by the
 *    gather's mass; the min-p line of the running maximum) minus a margin
 *    straight from the input, convert only those (smp_topk_first, smp_topp_first,
 *    smp_minp_first). Top-k and min-p need one streaming pass over the input
 *    (validate + maximum + compare, lmp_sample_fgather) and no exponential
 *    outside the kept set;
 *  - temperature only, V > 4096: two passes (validate + max, exp + block sums
 *    + copy of the logits), the draw recomputes one block, the kept set is
 *    formed on demand (lazy).
 * Everything a call needs was allocated by lmp_sampler_create. */
#ifndef LMPROB_SRC_SAMPLE_SAMPLER_INTERNAL_H
#define LMPROB_SRC_SAMPLE_SAMPLER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"
#include "lmprob/sample.h"

#define NBUCKETS 4096
#define SAMPLE_SIZE 2048
#define TIES_ALL ((size_t)-1)

/* A step of the chain (chain.c): a built-in kind or a caller's step. */
typedef enum smp_kind {
    SMP_PEN, SMP_TEMP, SMP_TOPK, SMP_TOPP, SMP_MINP, SMP_TYPICAL, SMP_EPS, /* the params' filters, in this order */
    SMP_GREEDY, SMP_CUSTOM
} smp_kind;

typedef struct smp_step {
    smp_kind kind;
    const lmp_sampler_step_iface *iface;
    void *ctx;
} smp_step;

struct lmp_sampler {
    lmp_sampler_params prm; /* the fused engine's chain (chain.c keeps it equal to the steps when it can) */
    smp_step *steps;        /* the chain (chain.c) */
    size_t nsteps, steps_cap;
    int fused;              /* apply takes the fused engine; else the steps one by one (smp_chain_apply) */
    lmp_cand_array cand;    /* the reference path's candidates (over id/lg/p and the scratch below) */
    size_t cap;      /* max vocabulary */
    size_t n;        /* survivors */
    int applied;
    int f32;         /* round to float after every operation */
    int isa;         /* SIMD level of the kernels (kernels.h): capped by prm.simd */
    int ident;       /* id[i] == i for the survivors (no compaction yet): id[] not filled */
    int temp_done;   /* temperature was fused into the load */
    int max_ok;      /* lgmax is the maximum of lg[0..n) */
    int t_over;      /* the temperature step overflowed: at token t_over_id, logit t_over_v (apply reports it) */
    lmp_token_id t_over_id;
    double t_over_v;
    /* lazy full-vocabulary path (temperature-only chain on float32 logits, V > 4096):
     * the logits are copied to work[] (as floats), key[] holds block sums of the
     * exps, and id/lg/p are filled only if lmp_sampler_kept asks for them. */
    int lazy, materialized;
    int topk_done;   /* the top-k step already ran (gathered straight from the input) */
    int topp_done;   /* likewise the top-p step */
    int minp_done;   /* likewise the min-p step */
    int force_bucket; /* mass_cut: use the bucketed rule whatever n (a gathered subset) */
    int p_exps;       /* p[] holds exp(lg - lgmax) of the survivors, not yet normalised (top-p fast path) */
    /* lazy top-p (the top-p route when nothing follows it): the kept set is the
     * gathered tokens (ids in id[], float logits and exps in work[]) with
     * l = x / tp_tf > tp_lthr, and of the ties l == tp_lthr the ordinals
     * [tp_lo, tp_hi); the draw reads them in place; kept() forms the arrays */
    int tp_lazy, tp_formed;
    size_t tp_n, tp_lo, tp_hi;
    float tp_tf, tp_lthr;
    double tp_iz;      /* 1 / the float32 normaliser over all V */
    double tp_mass;    /* the kept mass: sum of (float)(e * tp_iz) over the kept */
    lmp_token_id *tp_kid;   /* the formed ids (in ord[], the gathered ids stay in id[]) */
    double cut_mass;   /* cut_finish: the cumulative mass through the last kept rank */
    int lg_pending;   /* lg[] not formed yet: the survivors' float32 logits are in work[] (as floats), to be
                         divided by lg_tf (top-p fast path; lg_ready forms lg when a step or kept() needs it) */
    float lg_tf;
    size_t cut_ties;  /* mass_cut: how many keys equal the cut key (TIES_ALL: unknown) */
    double lz_total;
    float lz_tf; /* the float temperature of the lazy path (1: none) */
    float lz_m;
    double lgmax;
    lmp_token_id *iota;   /* [cap] 0, 1, 2, ... (the ids while ident) */
    lmp_token_id *id;     /* [cap] */
    double *lg;      /* [cap] */
    double *p;       /* [cap] */
    double *key;     /* [cap] ranking keys */
    double *work;    /* [work_n] selection scratch */
    size_t work_n;   /* cap, or 4 min(cap, LMP_SAMPLE_EXACT_MAX) when more: the radix sort's 32 bytes a member */
    size_t *ord;     /* [cap] positions (sorting scratch) */
    unsigned char *flag; /* [cap] keep flags for the literal paths */
    uint32_t *cnt;   /* [cap] penalty counts; all zero between calls */
    double bmass[NBUCKETS];
    size_t bcnt[NBUCKETS];
};

static inline double R(int f32, double x) { return f32 ? (double)(float)x : x; }

/* chain.c */
lmp_status smp_chain_init(lmp_sampler *s, lmp_error *err);
void smp_chain_free(lmp_sampler *s);
lmp_status smp_chain_apply(lmp_sampler *s, const float *lf, const double *ld, size_t V, const lmp_token_id *hist,
                           size_t nh, lmp_error *err);

/* select.c */
double smp_select_kth_smallest(double *a, size_t n, size_t k);
double smp_kth_smallest_key(lmp_sampler *s, const double *key, size_t n, size_t k);
void smp_compact_by_key_t(lmp_sampler *s, double tkey, size_t rtie, int low_first, size_t ties);
void smp_compact_by_key(lmp_sampler *s, double tkey, size_t rtie, int low_first);
double smp_kth_largest_logit(lmp_sampler *s, size_t k, size_t *ngathered);
void smp_compact_gathered(lmp_sampler *s, size_t m, double t, size_t rtie);
void smp_compact_by_logit(lmp_sampler *s, double t, size_t rtie, int low_first);
void smp_keep_first_ranks(lmp_sampler *s, size_t K, int low_first);
void smp_compact_by_flag(lmp_sampler *s);
void smp_sort_positions(size_t *pos, size_t m, const double *key, int low_first);
void smp_sort_positions_radix(size_t *pos, size_t m, const double *key, int low_first, void *scratch);

/* cut.c */
double smp_cut_scale(double kmin, double kmax);
void smp_mass_cut(lmp_sampler *s, double target, int strict, int low_first, double kmin_known, size_t *K, double *tkey,
                  size_t *rtie);
void smp_cut_finish(lmp_sampler *s, size_t m, int big, double cum, size_t before, double target, int strict,
                    int low_first, void *scratch, size_t *K, double *tkey, size_t *rtie);

/* filters.c */
typedef void (*step_fn)(lmp_sampler *);
void smp_lg_ready(lmp_sampler *s);
void smp_cur_softmax(lmp_sampler *s);
void smp_llama_softmax_sorted(lmp_sampler *s);
int smp_llama_literal(const lmp_sampler *s);
void smp_step_temperature(lmp_sampler *s);
void smp_keys_neg_logit(lmp_sampler *s);
void smp_step_top_k(lmp_sampler *s);
void smp_step_top_p(lmp_sampler *s);
void smp_step_min_p(lmp_sampler *s);
void smp_step_typical(lmp_sampler *s);
void smp_step_epsilon(lmp_sampler *s);
lmp_status smp_load(lmp_sampler *s, const float *lf, const double *ld, size_t V, double T, lmp_error *err);
/* Every logit -inf after the temperature: when some input logit was finite, the quotients overflowed
 * to -inf (all logits negative, T tiny: -1 / 1e-320), LMP_ERANGE naming the largest, as for a quotient
 * that overflows to +inf; else LMP_EINVAL, no finite logit at all. (An all -inf row has no distribution:
 * the llama chain made it uniform, a draw from every token where T -> 0 means greedy.) */
lmp_status smp_all_inf_error(const float *lf, const double *ld, size_t V, double T, lmp_error *err);
lmp_status smp_bad_logit_error(size_t i, double v, lmp_error *err);
lmp_status smp_no_finite_error(size_t V, lmp_error *err);
lmp_status smp_penalties(lmp_sampler *s, size_t V, const lmp_token_id *hist, size_t nh, lmp_error *err);
/* The error of a penalised logit that overflowed to +inf (logit `before`, token t): both paths report it,
 * as they do a temperature quotient that overflows. */
lmp_status smp_penalty_overflow(lmp_token_id t, double before, double rep, double freq, double pres, lmp_error *err);
lmp_status smp_penalty_sank_all(lmp_token_id t, double before, double rep, double freq, double pres, lmp_error *err);

/* fast_lazy.c */
int smp_lazy_eligible(const lmp_sampler *s, const float *lf, size_t V);
lmp_status smp_apply_lazy(lmp_sampler *s, const float *lf, size_t V, lmp_error *err);
void smp_lazy_materialize(lmp_sampler *s);
lmp_token_id smp_lazy_draw(const lmp_sampler *s, double u);

/* fast_gather.c */
int smp_topk_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err);
int smp_minp_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err);

/* fast_topp.c */
void smp_topp_form(lmp_sampler *s);
int smp_topp_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err);

#endif
