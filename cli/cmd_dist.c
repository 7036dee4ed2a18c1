/* `lmprob dist <family> [params] [queries]`: densities, tails, quantiles, moments and
 * samples of the distributions in include/lmprob/dist.h. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/dist.h"
#include "lmprob/rng.h"

static void usage(FILE *f)
{
    fputs("usage: lmprob dist <family> [parameters] [queries] [--seed S] [--rng xoshiro|numpy] [--json]\n"
          "\n"
          "families and their parameters (defaults in brackets):\n"
          "  normal       --mu [0] --sigma [1]\n"
          "  uniform      --lo [0] --hi [1]\n"
          "  laplace      --mu [0] --b [1]\n"
          "  exponential  --rate [1]                    (scipy expon with scale = 1/rate)\n"
          "  gamma        --shape K --scale [1]\n"
          "  beta         --a A --b B\n"
          "  bernoulli    --p P\n"
          "  binomial     --trials N --p P\n"
          "  poisson      --lambda L\n"
          "  categorical  --p P1,P2,... [--normalize]   (sum must be 1 within 1e-9 unless --normalize)\n"
          "  dirichlet    --alpha A1,A2,...\n"
          "  mvn          --mean M1,M2,... --cov \"c11,c12;c21,c22\"   (rows separated by ';')\n"
          "\n"
          "queries (each takes a list, e.g. --cdf -1,0,1.96; print one line per value):\n"
          "  --pdf X / --pmf K, --logpdf X / --logpmf K, --cdf X, --sf X (upper tail), --quantile P\n"
          "  (dirichlet and mvn: --pdf/--logpdf take one point X1,X2,...)\n"
          "  --stats        mean and variance (mvn: mean and covariance)\n"
          "  --sample N     N draws, one per line (vectors: space-separated)\n"
          "  --seed S       seed [42]; --rng xoshiro (default) or numpy (numpy's legacy RandomState:\n"
          "                 normal, uniform, exponential, binomial, poisson, gamma, beta, laplace,\n"
          "                 dirichlet and categorical draws equal numpy's)\n"
          "  --json         one JSON object instead of text\n"
          "\n"
          "examples:\n"
          "  lmprob dist normal --mu 0 --sigma 1 --cdf 1.96\n"
          "  lmprob dist categorical --p 0.2,0.3,0.5 --sample 10\n"
          "  lmprob dist mvn --mean 0,0 --cov \"1,0.5;0.5,1\" --sample 3\n",
          f);
}

enum { Q_PDF, Q_LOGPDF, Q_CDF, Q_SF, Q_QUANTILE, NQ };
static const char *const qname[NQ] = {"pdf", "logpdf", "cdf", "sf", "quantile"};


typedef struct dist_opts {
    const char *family;
    double mu, sigma, lo, hi, b, rate, shape, scale, a, p, lambda;
    long n;
    int has_mu, has_sigma, has_lo, has_hi, has_b, has_rate, has_shape, has_scale, has_a, has_p, has_lambda, has_n;
    const char *p_list, *alpha_list, *mean_list, *cov_text;
    const char *q[NQ];
    const char *qgiven[NQ]; /* the spelling of each query's flag the user gave ("--pmf", "--ppf"), for messages */
    long sample;
    int stats, json, normalize;
    uint64_t seed;
    lmp_rng_kind kind;
} dist_opts;

/* The flag of query q as the user spelled it (messages name what was typed: --pmf, --ppf). */
static const char *qflag(const dist_opts *d, int q)
{
    static const char *const canonical[NQ] = {"--pdf", "--logpdf", "--cdf", "--sf", "--quantile"};
    return d->qgiven[q] ? d->qgiven[q] : canonical[q];
}

/* ---- output helpers ---------------------------------------------------------------- */

/* The JSON object opens at its first key (with the family), not before the checks: a data error
 * leaves stdout empty (`dist gamma --shape -1 --cdf 1 --json` printed {"family": "gamma"}). */
typedef struct out_state {
    int json, first;
    const char *family;
} out_state;

static void out_key(out_state *o, const char *key)
{
    if (o->first) {
        printf("{\"family\": ");
        cli_json_string(stdout, o->family);
    }
    printf(", \"%s\": ", key);
    o->first = 0;
}

/* The draws' key, after the stream that made them: a JSON reader can repeat the run (as rng's and
 * nn's JSON do). --sample 0 gives an empty list, not the moments. */
static void open_samples(out_state *o, const dist_opts *d)
{
    if (!o->json) return;
    out_key(o, "rng");
    printf("\"%s\"", d->kind == LMP_RNG_NUMPY_LEGACY ? "numpy" : "xoshiro");
    out_key(o, "seed");
    printf("%llu", (unsigned long long)d->seed);
    out_key(o, "samples");
    printf("[");
}

static void print_num(double v) { printf("%.17g", cli_text_num(v)); }

/* The shortest of %.15g / %.16g / %.17g that reads back as x: echo inputs as typed. */
static void print_arg(double x)
{
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) break;
    }
    fputs(buf, stdout);
}

/* One query over a list of x: text "cdf(1.96) = 0.975..." lines, or "cdf": [{"x":..,"value":..}]. */
typedef double (*scalar_fn)(double x, const dist_opts *d);

static int run_query(out_state *o, const char *name, const char *flag, const char *list, scalar_fn fn,
                     const dist_opts *d)
{
    double *x;
    size_t n;
    char opt[64];
    snprintf(opt, sizeof opt, "dist: %s", flag);
    int lrc = cli_parse_double_list(opt, list, &x, &n);
    if (lrc) return lrc;
    if (o->json) {
        out_key(o, name);
        printf("[");
    }
    for (size_t i = 0; i < n; i++) {
        double v = fn(x[i], d);
        if (o->json) {
            printf("%s{\"x\": ", i ? ", " : "");
            cli_json_double(stdout, x[i]);
            printf(", \"value\": ");
            cli_json_double(stdout, v);
            printf("}");
        } else {
            printf("%s(", name);
            print_arg(x[i]);
            printf(") = ");
            print_num(v);
            printf("\n");
        }
    }
    if (o->json) printf("]");
    free(x);
    return CLI_OK;
}

/* ---- scalar families ---------------------------------------------------------------------- */

static long as_count(double k) { return k == floor(k) && fabs(k) < 9e18 ? (long)k : -1; }
/* pmf at a non-integer point is 0 (log: -inf). */
static double pmf_guard(double k, double v, int logv)
{
    if (k != floor(k)) return logv ? -INFINITY : 0.0;
    return v;
}

static double f_eval(double x, const dist_opts *d, int q)
{
    const char *f = d->family;
    if (strcmp(f, "normal") == 0) {
        switch (q) {
        case Q_PDF: return lmp_normal_pdf(x, d->mu, d->sigma);
        case Q_LOGPDF: return lmp_normal_logpdf(x, d->mu, d->sigma);
        case Q_CDF: return lmp_normal_cdf(x, d->mu, d->sigma);
        case Q_SF: return lmp_normal_sf(x, d->mu, d->sigma);
        default: return lmp_normal_quantile(x, d->mu, d->sigma);
        }
    }
    if (strcmp(f, "uniform") == 0) {
        switch (q) {
        case Q_PDF: return lmp_uniform_pdf(x, d->lo, d->hi);
        case Q_LOGPDF: return lmp_uniform_logpdf(x, d->lo, d->hi);
        case Q_CDF: return lmp_uniform_cdf(x, d->lo, d->hi);
        case Q_SF: return lmp_uniform_sf(x, d->lo, d->hi);
        default: return lmp_uniform_quantile(x, d->lo, d->hi);
        }
    }
    if (strcmp(f, "laplace") == 0) {
        switch (q) {
        case Q_PDF: return lmp_laplace_pdf(x, d->mu, d->b);
        case Q_LOGPDF: return lmp_laplace_logpdf(x, d->mu, d->b);
        case Q_CDF: return lmp_laplace_cdf(x, d->mu, d->b);
        case Q_SF: return lmp_laplace_sf(x, d->mu, d->b);
        default: return lmp_laplace_quantile(x, d->mu, d->b);
        }
    }
    if (strcmp(f, "exponential") == 0) {
        switch (q) {
        case Q_PDF: return lmp_exponential_pdf(x, d->rate);
        case Q_LOGPDF: return lmp_exponential_logpdf(x, d->rate);
        case Q_CDF: return lmp_exponential_cdf(x, d->rate);
        case Q_SF: return lmp_exponential_sf(x, d->rate);
        default: return lmp_exponential_quantile(x, d->rate);
        }
    }
    if (strcmp(f, "gamma") == 0) {
        switch (q) {
        case Q_PDF: return lmp_gamma_pdf(x, d->shape, d->scale);
        case Q_LOGPDF: return lmp_gamma_logpdf(x, d->shape, d->scale);
        case Q_CDF: return lmp_gamma_cdf(x, d->shape, d->scale);
        case Q_SF: return lmp_gamma_sf(x, d->shape, d->scale);
        default: return lmp_gamma_quantile(x, d->shape, d->scale);
        }
    }
    if (strcmp(f, "beta") == 0) {
        switch (q) {
        case Q_PDF: return lmp_beta_pdf(x, d->a, d->b);
        case Q_LOGPDF: return lmp_beta_logpdf(x, d->a, d->b);
        case Q_CDF: return lmp_beta_cdf(x, d->a, d->b);
        case Q_SF: return lmp_beta_sf(x, d->a, d->b);
        default: return lmp_beta_quantile(x, d->a, d->b);
        }
    }
    if (strcmp(f, "bernoulli") == 0) {
        switch (q) {
        case Q_PDF: return pmf_guard(x, lmp_bernoulli_pmf(as_count(x), d->p), 0);
        case Q_LOGPDF: return pmf_guard(x, lmp_bernoulli_logpmf(as_count(x), d->p), 1);
        case Q_CDF: return lmp_bernoulli_cdf(x, d->p);
        case Q_SF: return lmp_bernoulli_sf(x, d->p);
        /* 0 where q <= F(0) = 1 - p, as scipy compares them (q = 0.9 at p = 0.1 gives 0, the decimal answer);
         * but q = 1 is above 1 - p for every p > 0, where 1 - p rounds to 1 for p below 2^-53 (quantile(1) was
         * 0 there; scipy and binomial with n = 1 give 1; the fortieth session's accuracy audit) */
        default: return x >= 0 && x <= 1 ? (x <= 1 - d->p && !(x == 1 && d->p > 0) ? 0.0 : 1.0) : NAN;
        }
    }
    if (strcmp(f, "binomial") == 0) {
        switch (q) {
        case Q_PDF: return pmf_guard(x, lmp_binomial_pmf(as_count(x), d->n, d->p), 0);
        case Q_LOGPDF: return pmf_guard(x, lmp_binomial_logpmf(as_count(x), d->n, d->p), 1);
        case Q_CDF: return lmp_binomial_cdf(x, d->n, d->p);
        case Q_SF: return lmp_binomial_sf(x, d->n, d->p);
        default: return lmp_binomial_quantile(x, d->n, d->p);
        }
    }
    /* poisson */
    switch (q) {
    case Q_PDF: return lmp_poisson_pmf(x, d->lambda);   /* k as a double: past 9.2e18 too */
    case Q_LOGPDF: return lmp_poisson_logpmf(x, d->lambda);
    case Q_CDF: return lmp_poisson_cdf(x, d->lambda);
    case Q_SF: return lmp_poisson_sf(x, d->lambda);
    default: return lmp_poisson_quantile(x, d->lambda);
    }
}

static double q_pdf(double x, const dist_opts *d) { return f_eval(x, d, Q_PDF); }
static double q_logpdf(double x, const dist_opts *d) { return f_eval(x, d, Q_LOGPDF); }
static double q_cdf(double x, const dist_opts *d) { return f_eval(x, d, Q_CDF); }
static double q_sf(double x, const dist_opts *d) { return f_eval(x, d, Q_SF); }
static double q_quantile(double x, const dist_opts *d) { return f_eval(x, d, Q_QUANTILE); }
static const scalar_fn qfn[NQ] = {q_pdf, q_logpdf, q_cdf, q_sf, q_quantile};

static int need(int has, const char *family, const char *opt)
{
    if (has) return 0;
    cli_error("dist: %s needs %s (see lmprob dist --help)", family, opt);
    return -1;
}

/* Validate the parameters of a scalar family. Returns CLI_OK or an exit code. */
static int check_scalar(dist_opts *d)
{
    lmp_error e;
    lmp_status st = LMP_OK;
    const char *f = d->family;
    if (strcmp(f, "normal") == 0) st = lmp_normal_check(d->mu, d->sigma, &e);
    else if (strcmp(f, "uniform") == 0) st = lmp_uniform_check(d->lo, d->hi, &e);
    else if (strcmp(f, "laplace") == 0) st = lmp_laplace_check(d->mu, d->b, &e);
    else if (strcmp(f, "exponential") == 0) st = lmp_exponential_check(d->rate, &e);
    else if (strcmp(f, "gamma") == 0) {
        if (need(d->has_shape, f, "--shape")) return CLI_USAGE;
        st = lmp_gamma_check(d->shape, d->scale, &e);
    } else if (strcmp(f, "beta") == 0) {
        if (need(d->has_a, f, "--a") || need(d->has_b, f, "--b")) return CLI_USAGE;
        st = lmp_beta_check(d->a, d->b, &e);
    } else if (strcmp(f, "bernoulli") == 0) {
        if (need(d->has_p, f, "--p")) return CLI_USAGE;
        st = lmp_bernoulli_check(d->p, &e);
    } else if (strcmp(f, "binomial") == 0) {
        if (need(d->has_n, f, "--trials") || need(d->has_p, f, "--p")) return CLI_USAGE;
        st = lmp_binomial_check(d->n, d->p, &e);
    } else if (strcmp(f, "poisson") == 0) {
        if (need(d->has_lambda, f, "--lambda")) return CLI_USAGE;
        st = d->sample > 0 ? lmp_poisson_sample_check(d->lambda, &e) : lmp_poisson_check(d->lambda, &e);
    }
    if (st) { /* a parameter given on the command line outside its domain: a usage error, as --a/--b's */
        cli_error("dist: %s: %s", f, e.msg);
        return CLI_USAGE;
    }
    return CLI_OK;
}

static double scalar_draw(lmp_rng *r, const dist_opts *d)
{
    const char *f = d->family;
    if (strcmp(f, "normal") == 0) return lmp_normal_sample(r, d->mu, d->sigma);
    if (strcmp(f, "uniform") == 0) return lmp_uniform_sample(r, d->lo, d->hi);
    if (strcmp(f, "laplace") == 0) return lmp_laplace_sample(r, d->mu, d->b);
    if (strcmp(f, "exponential") == 0) return lmp_exponential_sample(r, d->rate);
    if (strcmp(f, "gamma") == 0) return lmp_gamma_sample(r, d->shape, d->scale);
    return lmp_beta_sample(r, d->a, d->b);
}

/* A draw of a discrete family, as an integer: binomial and Poisson draws reach 2^63, past the
 * integers a double holds exactly (2^53). */
static long long count_draw(lmp_rng *r, const dist_opts *d)
{
    const char *f = d->family;
    if (strcmp(f, "bernoulli") == 0) return lmp_bernoulli_sample(r, d->p);
    if (strcmp(f, "binomial") == 0) return lmp_binomial_sample(r, d->n, d->p);
    return lmp_poisson_sample(r, d->lambda);
}

static void scalar_stats(const dist_opts *d, double *mean, double *var)
{
    const char *f = d->family;
    if (strcmp(f, "normal") == 0) { *mean = lmp_normal_mean(d->mu, d->sigma); *var = lmp_normal_var(d->mu, d->sigma); }
    else if (strcmp(f, "uniform") == 0) { *mean = lmp_uniform_mean(d->lo, d->hi); *var = lmp_uniform_var(d->lo, d->hi); }
    else if (strcmp(f, "laplace") == 0) { *mean = lmp_laplace_mean(d->mu, d->b); *var = lmp_laplace_var(d->mu, d->b); }
    else if (strcmp(f, "exponential") == 0) { *mean = lmp_exponential_mean(d->rate); *var = lmp_exponential_var(d->rate); }
    else if (strcmp(f, "gamma") == 0) { *mean = lmp_gamma_mean(d->shape, d->scale); *var = lmp_gamma_var(d->shape, d->scale); }
    else if (strcmp(f, "beta") == 0) { *mean = lmp_beta_mean(d->a, d->b); *var = lmp_beta_var(d->a, d->b); }
    else if (strcmp(f, "bernoulli") == 0) { *mean = lmp_bernoulli_mean(d->p); *var = lmp_bernoulli_var(d->p); }
    else if (strcmp(f, "binomial") == 0) { *mean = lmp_binomial_mean(d->n, d->p); *var = lmp_binomial_var(d->n, d->p); }
    else { *mean = lmp_poisson_mean(d->lambda); *var = lmp_poisson_var(d->lambda); }
}

static void print_stats(out_state *o, const double *mean, const double *var, size_t k, int var_is_matrix)
{
    if (o->json) {
        out_key(o, "mean");
        if (k == 0) cli_json_double(stdout, *mean);
        else cli_json_doubles(stdout, mean, k);
        out_key(o, var_is_matrix ? "cov" : "var");
        if (k == 0) cli_json_double(stdout, *var);
        else if (!var_is_matrix) cli_json_doubles(stdout, var, k);
        else {
            printf("[");
            for (size_t i = 0; i < k; i++) {
                printf("%s", i ? ", " : "");
                cli_json_doubles(stdout, var + i * k, k);
            }
            printf("]");
        }
        return;
    }
    if (k == 0) {
        printf("mean = %.17g\nvar = %.17g\n", cli_text_num(*mean), cli_text_num(*var));
        return;
    }
    printf("mean =");
    for (size_t i = 0; i < k; i++) printf(" %.17g", cli_text_num(mean[i]));
    printf("\n");
    if (!var_is_matrix) {
        printf("var =");
        for (size_t i = 0; i < k; i++) printf(" %.17g", cli_text_num(var[i]));
        printf("\n");
        return;
    }
    printf("cov =\n");
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < k; j++) printf("%s%.17g", j ? " " : "  ", cli_text_num(var[i * k + j]));
        printf("\n");
    }
}

/* Samples: rows of `dim` values (dim 0: scalars). */
static void print_sample_row(out_state *o, const double *v, size_t dim, long i, int integer)
{
    if (o->json) {
        printf("%s", i ? ", " : "");
        if (dim == 0) {
            if (integer) printf("%.0f", v[0]);
            else cli_json_double(stdout, v[0]);
        } else {
            cli_json_doubles(stdout, v, dim);
        }
        return;
    }
    size_t m = dim ? dim : 1;
    for (size_t j = 0; j < m; j++) printf(integer ? "%s%.0f" : "%s%.17g", j ? " " : "", cli_text_num(v[j]));
    printf("\n");
}

static int is_discrete(const char *f)
{
    return strcmp(f, "bernoulli") == 0 || strcmp(f, "binomial") == 0 || strcmp(f, "poisson") == 0 ||
           strcmp(f, "categorical") == 0;
}

static int run_scalar(dist_opts *d, out_state *o, lmp_rng *r)
{
    int rc = check_scalar(d);
    if (rc) return rc;
    int disc = is_discrete(d->family);
    for (int q = 0; q < NQ; q++) {
        const char *name = disc && q == Q_PDF ? "pmf" : disc && q == Q_LOGPDF ? "logpmf" : qname[q];
        if (d->q[q] && (rc = run_query(o, name, qflag(d, q), d->q[q], qfn[q], d))) return rc;
    }
    if (d->stats) {
        double m, v;
        scalar_stats(d, &m, &v);
        print_stats(o, &m, &v, 0, 0);
    }
    if (d->sample >= 0) {
        open_samples(o, d);
        for (long i = 0; i < d->sample; i++) {
            if (disc) {
                const long long k = count_draw(r, d);
                if (o->json) printf("%s%lld", i ? ", " : "", k);
                else printf("%lld\n", k);
                continue;
            }
            double v = scalar_draw(r, d);
            print_sample_row(o, &v, 0, i, 0);
        }
        if (o->json) printf("]");
    }
    return CLI_OK;
}

/* ---- vector families -------------------------------------------------------------------------- */

static int no_scalar_queries(const dist_opts *d, int allow_pdf)
{
    for (int q = 0; q < NQ; q++) {
        if (!d->q[q]) continue;
        if (allow_pdf && (q == Q_PDF || q == Q_LOGPDF)) continue;
        cli_error("dist: %s is not available for %s", qflag(d, q), d->family);
        return -1;
    }
    return 0;
}

static int run_categorical(dist_opts *d, out_state *o, lmp_rng *r)
{
    if (need(d->p_list != NULL, "categorical", "--p P1,P2,...")) return CLI_USAGE;
    if (d->q[Q_QUANTILE] || d->q[Q_SF]) return no_scalar_queries(d, 1) ? CLI_USAGE : CLI_OK;
    double *p;
    size_t k;
    int lrc = cli_parse_double_list("dist: --p", d->p_list, &p, &k);
    if (lrc) return lrc;
    if (cli_probs_check("dist", "--p", p, k, d->normalize)) { /* as info --p: exit 2, as every family's check */
        free(p);
        return CLI_USAGE;
    }
    lmp_error e;
    lmp_status st;
    int rc = CLI_OK;
    for (int q = Q_PDF; q <= Q_CDF && rc == CLI_OK; q++) {
        if (!d->q[q]) continue;
        double *x;
        size_t n;
        char opt[32];
        snprintf(opt, sizeof opt, "dist: %s", qflag(d, q));
        if ((rc = cli_parse_double_list(opt, d->q[q], &x, &n))) break;
        const char *label = q == Q_PDF ? "pmf" : q == Q_LOGPDF ? "logpmf" : "cdf";
        if (o->json) { out_key(o, label); printf("["); }
        for (size_t i = 0; i < n; i++) {
            double v;
            long kk = as_count(x[i]);
            if (q == Q_CDF) {
                v = 0;
                for (long j = 0; j <= (long)floor(x[i]) && j < (long)k; j++) v += p[j];
                if (x[i] >= (double)k - 1) v = 1.0;
            } else if (kk < 0 || kk >= (long)k) {
                v = q == Q_PDF ? 0.0 : -INFINITY;
            } else {
                v = q == Q_PDF ? p[kk] : log(p[kk]);
            }
            if (o->json) {
                printf("%s{\"x\": ", i ? ", " : "");
                cli_json_double(stdout, x[i]);
                printf(", \"value\": ");
                cli_json_double(stdout, v);
                printf("}");
            } else {
                printf("%s(", label);
                print_arg(x[i]);
                printf(") = %.17g\n", cli_text_num(v));
            }
        }
        if (o->json) printf("]");
        free(x);
    }
    if (rc == CLI_OK && d->stats) {
        double m = 0, s2 = 0;
        for (size_t i = 0; i < k; i++) m += (double)i * p[i];
        for (size_t i = 0; i < k; i++) s2 += ((double)i - m) * ((double)i - m) * p[i];
        print_stats(o, &m, &s2, 0, 0);
    }
    if (rc == CLI_OK && d->sample >= 0) {
        /* numpy stream: numpy's choice, draw for draw; xoshiro: an alias table, O(1) per draw. */
        lmp_alias *al = NULL;
        if (d->kind == LMP_RNG_XOSHIRO && (st = lmp_alias_create(p, k, &al, &e))) {
            free(p);
            return cli_fail_status("dist", st, &e);
        }
        open_samples(o, d);
        for (long i = 0; i < d->sample; i++) {
            double v = (double)(al ? lmp_alias_sample(al, r) : lmp_categorical_sample(r, p, k));
            print_sample_row(o, &v, 0, i, 1);
        }
        if (o->json) printf("]");
        lmp_alias_free(al);
    }
    free(p);
    return rc;
}

static int parse_point(const dist_opts *d, int q, size_t k, double **x)
{
    size_t n;
    char opt[32];
    snprintf(opt, sizeof opt, "dist: %s", qflag(d, q));
    int lrc = cli_parse_double_list(opt, d->q[q], x, &n);
    if (lrc) return lrc;
    if (n != k) {
        cli_error("dist: %s: expected a point with %zu coordinates, got %zu", qflag(d, q), k, n);
        free(*x);
        *x = NULL;
        return CLI_USAGE;
    }
    return CLI_OK;
}

static void print_point_value(out_state *o, int q, const double *x, size_t k, double v)
{
    if (o->json) {
        out_key(o, qname[q]);
        printf("{\"x\": ");
        cli_json_doubles(stdout, x, k);
        printf(", \"value\": ");
        cli_json_double(stdout, v);
        printf("}");
        return;
    }
    printf("%s(", qname[q]);
    for (size_t i = 0; i < k; i++) {
        if (i) putchar(',');
        print_arg(x[i]);
    }
    printf(") = %.17g\n", cli_text_num(v));
}

static int run_dirichlet(dist_opts *d, out_state *o, lmp_rng *r)
{
    if (need(d->alpha_list != NULL, "dirichlet", "--alpha A1,A2,...")) return CLI_USAGE;
    if (no_scalar_queries(d, 1)) return CLI_USAGE;
    double *al;
    size_t k;
    int lrc = cli_parse_double_list("dist: --alpha", d->alpha_list, &al, &k);
    if (lrc) return lrc;
    lmp_error e;
    lmp_status st = lmp_dirichlet_check(al, k, &e);
    if (st) {
        cli_error("dist: dirichlet: %s", e.msg);
        free(al);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    double *pts[2] = {NULL, NULL}; /* both points read before either is printed */
    for (int q = Q_PDF; q <= Q_LOGPDF && rc == CLI_OK; q++)
        if (d->q[q]) rc = parse_point(d, q, k, &pts[q]);
    for (int q = Q_PDF; q <= Q_LOGPDF && rc == CLI_OK; q++) {
        if (!pts[q]) continue;
        double lp = lmp_dirichlet_logpdf(pts[q], al, k);
        print_point_value(o, q, pts[q], k, q == Q_PDF ? exp(lp) : lp);
    }
    free(pts[0]);
    free(pts[1]);
    double *buf = malloc(2 * k * sizeof *buf);
    if (!buf) { free(al); cli_error("dist: out of memory"); return CLI_FAIL; }
    if (rc == CLI_OK && d->stats) {
        lmp_dirichlet_moments(al, k, buf, buf + k, NULL);   /* alpha was checked above */
        print_stats(o, buf, buf + k, k, 0);
    }
    if (rc == CLI_OK && d->sample >= 0) {
        open_samples(o, d);
        for (long i = 0; i < d->sample && rc == CLI_OK; i++) {
            if ((st = lmp_dirichlet_sample(r, al, k, buf, &e))) rc = cli_fail_status("dist", st, &e);
            else print_sample_row(o, buf, k, i, 0);
        }
        if (o->json) printf("]");
    }
    free(buf);
    free(al);
    return rc;
}

/* "1,0.5;0.5,1" -> row-major k x k. */
static int parse_cov(const char *text, size_t k, double **out)
{
    double *m = malloc(k * k * sizeof *m);
    char *copy = strdup(text);
    if (!m || !copy) { free(m); free(copy); cli_error("dist: out of memory"); return CLI_FAIL; }
    size_t row = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ";", &save); tok; tok = strtok_r(NULL, ";", &save), row++) {
        double *v;
        size_t n;
        int lrc = cli_parse_double_list("dist: --cov", tok, &v, &n);
        if (lrc) { free(m); free(copy); return lrc; }
        if (row >= k || n != k) {
            cli_error("dist: --cov: expected %zu rows of %zu numbers separated by ';', got '%s'", k, k, text);
            free(v);
            free(m);
            free(copy);
            return CLI_USAGE;
        }
        memcpy(m + row * k, v, k * sizeof *v);
        free(v);
    }
    free(copy);
    if (row != k) {
        cli_error("dist: --cov: expected %zu rows of %zu numbers separated by ';', got '%s'", k, k, text);
        free(m);
        return CLI_USAGE;
    }
    *out = m;
    return CLI_OK;
}

static int run_mvn(dist_opts *d, out_state *o, lmp_rng *r)
{
    if (need(d->mean_list != NULL, "mvn", "--mean M1,M2,...") || need(d->cov_text != NULL, "mvn", "--cov")) return CLI_USAGE;
    if (no_scalar_queries(d, 1)) return CLI_USAGE;
    double *mean, *cov;
    size_t k;
    int lrc = cli_parse_double_list("dist: --mean", d->mean_list, &mean, &k);
    if (lrc) return lrc;
    int rc = parse_cov(d->cov_text, k, &cov);
    if (rc) { free(mean); return rc; }
    lmp_mvn *m = NULL;
    lmp_error e;
    lmp_status st = lmp_mvn_create(mean, cov, k, &m, &e);
    if (st) {
        cli_error("dist: mvn: %s", e.msg);
        free(mean);
        free(cov);
        return st == LMP_ENOMEM ? CLI_FAIL : CLI_USAGE; /* a --cov that is no covariance: a bad value */
    }
    double *pts[2] = {NULL, NULL}; /* both points read before either is printed */
    for (int q = Q_PDF; q <= Q_LOGPDF && rc == CLI_OK; q++)
        if (d->q[q]) rc = parse_point(d, q, k, &pts[q]);
    for (int q = Q_PDF; q <= Q_LOGPDF && rc == CLI_OK; q++) {
        if (!pts[q]) continue;
        double lp = lmp_mvn_logpdf(m, pts[q]);
        print_point_value(o, q, pts[q], k, q == Q_PDF ? exp(lp) : lp);
    }
    free(pts[0]);
    free(pts[1]);
    if (rc == CLI_OK && d->stats) print_stats(o, mean, cov, k, 1);
    if (rc == CLI_OK && d->sample >= 0) {
        double *buf = malloc(k * sizeof *buf);
        if (!buf) rc = CLI_FAIL;
        if (buf) open_samples(o, d);
        for (long i = 0; buf && i < d->sample; i++) {
            lmp_mvn_sample(m, r, buf);
            print_sample_row(o, buf, k, i, 0);
        }
        if (o->json && buf) printf("]");
        free(buf);
    }
    lmp_mvn_free(m);
    free(mean);
    free(cov);
    return rc;
}

/* ---- main ---------------------------------------------------------------------------------------- */

/* A parameter of another family is refused, not ignored (`dist gamma --shape 2 --rate 3` was Gamma(2, 1)):
 * "dist: gamma does not take --rate: its parameters are --shape, --scale". */
static int check_family_flags(const dist_opts *d)
{
    static const struct {
        const char *family, *params;
    } own[] = {{"normal", "--mu --sigma"},   {"uniform", "--lo --hi"},       {"laplace", "--mu --b"},
               {"exponential", "--rate"},    {"gamma", "--shape --scale"},   {"beta", "--a --b"},
               {"bernoulli", "--p"},         {"binomial", "--trials --p"},   {"poisson", "--lambda"},
               {"categorical", "--p --normalize"}, {"dirichlet", "--alpha"}, {"mvn", "--mean --cov"}};
    const struct {
        const char *flag;
        int given;
    } flags[] = {{"--mu", d->has_mu},       {"--sigma", d->has_sigma},       {"--lo", d->has_lo},
                 {"--hi", d->has_hi},       {"--b", d->has_b},               {"--rate", d->has_rate},
                 {"--shape", d->has_shape}, {"--scale", d->has_scale},       {"--a", d->has_a},
                 {"--p", d->has_p},         {"--lambda", d->has_lambda},     {"--trials", d->has_n},
                 {"--alpha", d->alpha_list != NULL}, {"--mean", d->mean_list != NULL},
                 {"--cov", d->cov_text != NULL},     {"--normalize", d->normalize}};
    const char *params = "";
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcmp(d->family, own[i].family) == 0) params = own[i].params;
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (!flags[i].given) continue;
        /* a whole word of the family's list */
        size_t L = strlen(flags[i].flag);
        const char *hit = params;
        while ((hit = strstr(hit, flags[i].flag)) && hit[L] != ' ' && hit[L] != '\0') hit += L;
        if (hit) continue;
        char list[64] = "";
        for (const char *c = params; *c; c++) /* "--shape --scale" -> "--shape, --scale" */
            snprintf(list + strlen(list), sizeof list - strlen(list), *c == ' ' ? ", " : "%c", *c);
        cli_error("dist: %s does not take %s: its parameters are %s (see lmprob dist --help)", d->family,
                  flags[i].flag, list);
        return -1;
    }
    return 0;
}

/* Every query list is read before anything is printed: numbers (a usage error otherwise, exit 2),
 * and --quantile's in [0, 1] (`--quantile 1.5` printed nan, exit 0; `--cdf nan` was already refused).
 * Returns 0 or the exit status (1 when memory ran out). */
static int check_query_lists(const dist_opts *d)
{
    for (int q = 0; q < NQ; q++) {
        if (!d->q[q]) continue;
        double *x;
        size_t n;
        char opt[32];
        snprintf(opt, sizeof opt, "dist: %s", qflag(d, q));
        const int lrc = cli_parse_double_list(opt, d->q[q], &x, &n);
        if (lrc) return lrc;
        for (size_t i = 0; q == Q_QUANTILE && i < n; i++)
            if (!(x[i] >= 0 && x[i] <= 1)) {
                /* the item as typed ('-0.1', not the double's 17 digits -0.10000000000000001) */
                const char *it = d->q[q];
                for (size_t k = 0; k < i; k++) it = strchr(it, ',') + 1; /* the list parsed: i commas before it */
                const size_t L = strcspn(it, ",");
                cli_error("dist: %s: item %zu: expected a probability in [0, 1], got '%.*s%s'", qflag(d, q), i + 1,
                          (int)(L > 90 ? 90 : L), it, L > 90 ? "..." : "");
                free(x);
                return CLI_USAGE;
            }
        free(x);
    }
    return 0;
}

static const char *const families[] = {"normal", "uniform", "laplace", "exponential", "gamma", "beta", "bernoulli",
                                       "binomial", "poisson", "categorical", "dirichlet", "mvn"};

int cmd_dist(int argc, char **argv)
{
    dist_opts d;
    memset(&d, 0, sizeof d);
    d.sigma = d.hi = d.b = d.rate = d.scale = 1.0;
    d.seed = CLI_DEFAULT_SEED;
    d.kind = LMP_RNG_XOSHIRO;
    d.sample = -1; /* not asked: --sample 0 asks for no draws (an empty list), not the moments */
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
#define DIST_NUM(nm, field) \
    {.name = "--" nm, .kind = CLI_OPT_DOUBLE, .dest = &d.field, .lo = -1e308, .hi = 1e308, .expect = "a finite number", .seen = &d.has_##field}
    const cli_opt table[] = {
        DIST_NUM("mu", mu), DIST_NUM("sigma", sigma), DIST_NUM("lo", lo), DIST_NUM("hi", hi),
        DIST_NUM("rate", rate), DIST_NUM("shape", shape), DIST_NUM("scale", scale), DIST_NUM("lambda", lambda),
        /* beta's a and b, laplace's b: > 0, as bayes beta's prior (one domain for --a and --b) */
        CLI_OPT_BETA_A(&d.a, &d.has_a), CLI_OPT_BETA_B(&d.b, &d.has_b),
        {.name = "--pdf", .alias = "--pmf", .kind = CLI_OPT_STR, .dest = &d.q[Q_PDF], .spelled = &d.qgiven[Q_PDF], .expect = "points, comma-separated"},
        {.name = "--logpdf", .alias = "--logpmf", .kind = CLI_OPT_STR, .dest = &d.q[Q_LOGPDF], .spelled = &d.qgiven[Q_LOGPDF], .expect = "points, comma-separated"},
        {.name = "--cdf", .kind = CLI_OPT_STR, .dest = &d.q[Q_CDF], .spelled = &d.qgiven[Q_CDF], .expect = "points, comma-separated"},
        {.name = "--sf", .kind = CLI_OPT_STR, .dest = &d.q[Q_SF], .spelled = &d.qgiven[Q_SF], .expect = "points, comma-separated"},
        {.name = "--quantile", .alias = "--ppf", .kind = CLI_OPT_STR, .dest = &d.q[Q_QUANTILE], .spelled = &d.qgiven[Q_QUANTILE], .expect = "probabilities in [0, 1], comma-separated"},
        /* a list for categorical, one number otherwise (parsed below, once the family is known) */
        CLI_OPT_PROBS("--p", &d.p_list, &d.has_p),
        CLI_OPT_TRIALS(&d.n, &d.has_n), CLI_OPT_N_RENAMED("--trials", "binomial's number of trials (--sample N: how many values to draw)"),
        {.name = "--alpha", .kind = CLI_OPT_STR, .dest = &d.alpha_list, .expect = "Dirichlet concentrations > 0, comma-separated"},
        CLI_OPT_MEANS(&d.mean_list),
        {.name = "--cov", .kind = CLI_OPT_STR, .dest = &d.cov_text, .expect = "a covariance matrix, rows separated by ';'"},
        {.name = "--sample", .kind = CLI_OPT_LONG, .dest = &d.sample, .lo = 0, .hi = 1e15, .expect = "a number of draws >= 0"},
        CLI_OPT_SEED(&d.seed), CLI_OPT_RNG(&d.kind), CLI_OPT_JSON(&d.json),
        {.name = "--stats", .kind = CLI_OPT_FLAG, .dest = &d.stats},
        {.name = "--normalize", .kind = CLI_OPT_FLAG, .dest = &d.normalize},
    };
#undef DIST_NUM
    int prc = cli_parse("dist", argc, argv, table, CLI_NOPTS(table), &d.family, 1, NULL, usage);
    if (prc != CLI_OK) return prc;
    if (!d.family) {
        cli_error("dist: no family given (see lmprob dist --help)");
        return CLI_USAGE;
    }
    int known = 0;
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) known |= strcmp(d.family, families[i]) == 0;
    if (!known) {
        cli_error("dist: unknown family '%s': expected one of normal, uniform, laplace, exponential, gamma, beta, "
                  "bernoulli, binomial, poisson, categorical, dirichlet, mvn",
                  d.family);
        return CLI_USAGE;
    }
    if (check_family_flags(&d)) return CLI_USAGE;
    const int qrc = check_query_lists(&d);
    if (qrc) return qrc;
    if (d.has_p && strcmp(d.family, "categorical") != 0 && cli_parse_double("dist: --p", d.p_list, &d.p))
        return CLI_USAGE;
    int nothing = !d.stats && d.sample < 0;
    for (int q = 0; q < NQ; q++) nothing &= d.q[q] == NULL;
    if (nothing) d.stats = 1;   /* no query: show the moments */

    lmp_rng r;
    lmp_error e;
    if (cli_seed_check("dist", d.kind, d.seed)) return CLI_USAGE;
    lmp_status st = lmp_rng_seed(&r, d.kind, d.seed, &e);
    if (st) {
        cli_error("dist: --seed: %s", e.msg);
        return CLI_USAGE;
    }
    out_state o = {d.json, 1, d.family};
    int rc;
    if (strcmp(d.family, "categorical") == 0) rc = run_categorical(&d, &o, &r);
    else if (strcmp(d.family, "dirichlet") == 0) rc = run_dirichlet(&d, &o, &r);
    else if (strcmp(d.family, "mvn") == 0) rc = run_mvn(&d, &o, &r);
    else rc = run_scalar(&d, &o, &r);
    if (d.json && !o.first) printf("}\n");
    return rc;
}
