/* The chapter's numerical experiments (CLI-private: the book's walk-through, not the library), seeded and
 * reproducible. Each takes an lmp_rng (use LMP_RNG_NUMPY_LEGACY seeded as the
 * chapter's np.random.seed to replay its numpy calls draw for draw), a params
 * struct with defaults from ch_exp_*_defaults() (the chapter's setup), and
 * fills a caller-owned result struct. None of them prints.
 *
 *   mc       Monte Carlo expectation (chapter "Expected Value"): binomial E[X] = n p
 *            against sample means for growing sample sizes.
 *   rule     the 68-95-99.7 rule: empirical fractions of N(0,1) draws within 1, 2, 3 sigma.
 *   clt      the central limit theorem (chapter "PDF and Parameters"): sums of 30
 *            uniforms, their moments, normaltest, and its rejection rate over repeats.
 *   biasvar  bias-variance of polynomial fits (chapter "The Decomposition").
 *   disease  Bayes' rule for repeated positive tests, checked by simulating a population. */
#ifndef LMPROB_CLI_CHAPTER_EXPERIMENT_H
#define LMPROB_CLI_CHAPTER_EXPERIMENT_H

#include <stddef.h>

#include "lmprob/core.h"
#include "lmprob/info.h"
#include "lmprob/rng.h"

/* ---- mc -------------------------------------------------------------------------- */
#define CH_EXP_MC_MAX_ROWS 9

typedef struct ch_exp_mc_params {
    long trials;           /* binomial n (chapter: 3) */
    double p;              /* binomial p (chapter: 0.5) */
    size_t chapter_size;   /* the chapter's sample size (100000) */
    double normal_mu, normal_sigma;  /* the chapter's N(3, 2^2) ... */
    size_t normal_size;    /* ... with 1000000 draws */
    int max_pow10;         /* convergence rows for sizes 10^1 .. 10^max_pow10 (<= 9; default 6) */
} ch_exp_mc_params;

typedef struct ch_exp_mc_row {
    size_t size;
    double mean;           /* sample mean of `size` fresh binomial draws */
    double abs_error;      /* |mean - n p| */
    double std_error;      /* sqrt(n p (1-p) / size): the expected size of abs_error */
} ch_exp_mc_row;

typedef struct ch_exp_mc_result {
    double exact;          /* sum_k k P(X=k) = n p */
    double chapter_mean;   /* np.random.binomial(n, p, chapter_size).mean() */
    double normal_mean;    /* np.random.normal(mu, sigma, normal_size).mean() */
    size_t rows;
    ch_exp_mc_row row[CH_EXP_MC_MAX_ROWS];
} ch_exp_mc_result;

ch_exp_mc_params ch_exp_mc_defaults(void);
lmp_status ch_exp_mc(lmp_rng *r, const ch_exp_mc_params *prm, ch_exp_mc_result *out, lmp_error *err);

/* The long experiments (rule, clt, disease: up to 10^9 draws, or hours with clt's largest sizes) report the
 * fraction of their work done through progress(progress_ctx, frac) now and then, when progress is not NULL
 * (the CLI draws cli_progress's line on a terminal; they ran silent for minutes). */
typedef void (*ch_exp_progress_fn)(void *ctx, double frac);

/* ---- rule ------------------------------------------------------------------------ */
typedef struct ch_exp_rule_params {
    size_t n;              /* number of N(0,1) draws (default 1000000) */
    ch_exp_progress_fn progress;
    void *progress_ctx;
} ch_exp_rule_params;

typedef struct ch_exp_rule_result {
    size_t n;
    double empirical[3];   /* fraction of |z| < k, k = 1, 2, 3 */
    double exact[3];       /* erf(k / sqrt 2): 0.682689..., 0.954499..., 0.997300... */
    double std_error[3];   /* sqrt(q (1 - q) / n) */
} ch_exp_rule_result;

ch_exp_rule_params ch_exp_rule_defaults(void);
lmp_status ch_exp_rule(lmp_rng *r, const ch_exp_rule_params *prm, ch_exp_rule_result *out, lmp_error *err);

/* ---- clt ------------------------------------------------------------------------- */
typedef struct ch_exp_clt_params {
    size_t n_experiments;  /* sums per sample (chapter: 10000) */
    size_t n_samples;      /* uniforms per sum (chapter: 30) */
    size_t repeats;        /* further samples for the rejection rate (default 500; 0 skips) */
    double alpha;          /* test level (0.05) */
    ch_exp_progress_fn progress;
    void *progress_ctx;
} ch_exp_clt_params;

typedef struct ch_exp_clt_result {
    /* the chapter's single sample (the first n_experiments sums) */
    double mean, var, skewness, kurtosis;   /* var ddof 0; kurtosis excess (biased, scipy) */
    double theory_mean, theory_var;         /* n/2, n/12 */
    double theory_skewness, theory_kurtosis;/* 0 and -6/(5n) (Irwin-Hall) */
    double statistic, pvalue;               /* normaltest */
    /* over `repeats` further samples of sums, and as a control the same number
     * of samples of n_experiments exact N(0,1) draws */
    size_t repeats;
    double reject_rate;                     /* fraction with p < alpha (sums) */
    double reject_rate_001;                 /* fraction with p < 0.01 (sums) */
    double median_pvalue;                   /* sums */
    double control_reject_rate;             /* fraction with p < alpha (Gaussian control) */
} ch_exp_clt_result;

ch_exp_clt_params ch_exp_clt_defaults(void);
lmp_status ch_exp_clt(lmp_rng *r, const ch_exp_clt_params *prm, ch_exp_clt_result *out, lmp_error *err);

/* ---- biasvar --------------------------------------------------------------------- */
#define CH_EXP_BIASVAR_MAX_DEGREES 8
#define CH_EXP_BIASVAR_MAX_GRID 101

typedef struct ch_exp_biasvar_params {
    size_t n_datasets;     /* training sets per degree (200) */
    size_t n_train;        /* points per set (20), x ~ U(0, 1) */
    double sigma;          /* noise sd (0.3); y = sin(2 pi x) + sigma z */
    double x_test;         /* the chapter's test point (0.5) */
    size_t n_degrees;
    int degrees[CH_EXP_BIASVAR_MAX_DEGREES];  /* {1, 3, 7, 15} */
    size_t n_grid;         /* grid x_j = grid_lo + j (grid_hi - grid_lo)/(n_grid - 1) (19 points) */
    double grid_lo, grid_hi;                   /* 0.05 .. 0.95 */
    int numpy_fit;         /* 0: exact least squares (lmp_linalg_poly_fit); 1: np.polyfit's truncated
                              SVD + np.polyval (lmp_linalg_polyfit_numpy), to replay the chapter */
} ch_exp_biasvar_params;

typedef struct ch_exp_biasvar_row {
    int degree;
    double bias2, var, mse;            /* at x_test; mse = bias2 + var + sigma^2 (population variance, as np.var) */
    double grid_bias2, grid_var, grid_mse;  /* the same averaged over the grid */
    size_t rank_deficient;                  /* numpy_fit: fits with rank < degree + 1 (numpy's RankWarning) */
} ch_exp_biasvar_row;

typedef struct ch_exp_biasvar_result {
    size_t rows;
    ch_exp_biasvar_row row[CH_EXP_BIASVAR_MAX_DEGREES];
} ch_exp_biasvar_result;

ch_exp_biasvar_params ch_exp_biasvar_defaults(void);
/* Degrees run in the order given, each over n_datasets fresh training sets
 * (uniform x first, then randn noise, as the chapter). LMP_EINVAL for a degree
 * >= n_train or an out-of-range parameter. */
lmp_status ch_exp_biasvar(lmp_rng *r, const ch_exp_biasvar_params *prm, ch_exp_biasvar_result *out,
                           lmp_error *err);

/* ---- disease --------------------------------------------------------------------- */
/* bayes disease's range too (CLI_OPT_TESTS): one domain for --tests in both commands */
#define CH_EXP_DISEASE_MAX_TESTS 100000

typedef struct ch_exp_disease_params {
    double prior, sensitivity, fpr;   /* 0.001, 0.99, 0.05 */
    int tests;                        /* positives to follow (3, <= CH_EXP_DISEASE_MAX_TESTS) */
    size_t population;                /* simulated people (1000000) */
    ch_exp_progress_fn progress;
    void *progress_ctx;
} ch_exp_disease_params;

typedef struct ch_exp_disease_row {
    int positives;
    double posterior;          /* Bayes: P(sick | this many positives) */
    size_t people;             /* simulated people whose first `positives` tests were all positive */
    size_t sick;               /* ... of whom sick */
    double simulated;          /* sick / people (NaN when people = 0) */
} ch_exp_disease_row;

typedef struct ch_exp_disease_result {
    int rows;
    ch_exp_disease_row *row; /* rows of them, malloc'd: ch_exp_disease_free */
} ch_exp_disease_result;

ch_exp_disease_params ch_exp_disease_defaults(void);
/* On success out->row is allocated (LMP_ENOMEM when it cannot be); ch_exp_disease_free releases
 * it (and is a no-op on a result that failed). */
lmp_status ch_exp_disease(lmp_rng *r, const ch_exp_disease_params *prm, ch_exp_disease_result *out,
                           lmp_error *err);
void ch_exp_disease_free(ch_exp_disease_result *out);

/* ---- the chapter's map_loss (block b05), reproduced for comparison ---------------------- */
/* -mean(t * log(pred + 1e-9)) over all N*V entries + the penalty of lmp_map_loss: the
 * chapter divides the NLL by V as well as N (ERRATA b05). Arguments are checked by
 * lmp_map_loss (same domains, same messages). */
lmp_status ch_map_loss(const double *pred, const double *targets, size_t N, size_t V, const double *w, size_t nw,
                       double lambda, lmp_prior prior, double *loss, lmp_error *err);

#endif /* LMPROB_CLI_CHAPTER_EXPERIMENT_H */
