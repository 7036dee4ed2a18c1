/* `lmprob experiment`: the chapter's experiments (src/experiment), seeded. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "chapter/experiment.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob experiment NAME [--seed S] [--rng xoshiro|numpy] [--json] [--quiet] [options]\n"
            "\n"
            "  mc       Monte Carlo expectation: binomial(3, 0.5) E[X] = 1.5 against sample means of\n"
            "           the chapter's 100000 draws, N(3, 2^2) over 1e6 draws, then sizes 10 .. 10^K\n"
            "           options: --max-pow K (default 6)\n"
            "  rule     the 68-95-99.7 rule: fractions of N(0,1) draws within 1, 2, 3 sigma vs erf(k/sqrt 2)\n"
            "           options: --draws N (default 1000000)\n"
            "  clt      sums of 30 uniforms (10000 of them): mean/var/skewness/kurtosis vs Irwin-Hall theory,\n"
            "           normaltest, and how often normaltest rejects at level A over repeats, with a Gaussian\n"
            "           control of the same size\n"
            "           options: --repeats R (default 500), --significance A (0.05), --n-sums N (10000),\n"
            "           --terms T (30)\n"
            "  biasvar  bias^2, variance and MSE of polynomial fits of degree 1, 3, 7, 15 (200 training sets\n"
            "           of 20 points, y = sin(2 pi x) + 0.3 z) at x = 0.5 and averaged over 0.05..0.95\n"
            "           options: --datasets D (200), --degrees LIST (1,3,7,15), --fit exact|numpy (exact:\n"
            "           least squares by QR in a Chebyshev basis; numpy: np.polyfit's truncated SVD, which\n"
            "           regularises the rank-deficient degree-15 fits, as the chapter's numbers do)\n"
            "  disease  Bayes' rule for 1..N positive tests (prior 0.001, sensitivity 0.99, fpr 0.05),\n"
            "           checked against a simulated population\n"
            "           options: --tests N (3; 0..100000), --population P (1000000), --prior, --sensitivity, --fpr\n"
            "\n"
            "--seed defaults to %d. With --rng numpy the draws are numpy's legacy stream after\n"
            "np.random.seed(S), in the chapter's order: `experiment biasvar --rng numpy --seed 0` prints\n"
            "what the chapter's bias-variance block computes (with accurate fits), `clt --rng numpy`\n"
            "the normaltest p-value of np.random.seed(S) followed by the chapter's CLT lines. --quiet: no\n"
            "progress line on a terminal (errors and notes still print).\n\n"
           "examples:\n"
           "  lmprob experiment mc --max-pow 4 --rng numpy --seed 0\n"
           "  lmprob experiment rule --draws 100000 --seed 7 --json\n"
           "  lmprob experiment clt --repeats 100 --rng numpy --seed 0\n"
           "  lmprob experiment biasvar --datasets 50 --fit numpy --rng numpy --seed 0\n"
           "  lmprob experiment disease --tests 3 --population 100000 --seed 1\n",
            CLI_DEFAULT_SEED);
}

static void jkey(const char *k, double v, int first)
{
    printf("%s\"%s\": ", first ? "" : ", ", k);
    cli_json_double(stdout, v);
}

static const cli_choice fits[] = {{"exact", 0}, {"numpy", 1}, {NULL, 0}};

/* One experiment: argv[0] is its name (which: its index in cmd_experiment's list). */
static int run(int which, int argc, char **argv)
{
    const char *name = argv[0];
    uint64_t seed = CLI_DEFAULT_SEED;
    lmp_rng_kind rk = LMP_RNG_XOSHIRO;
    int json = 0;
    ch_exp_mc_params mc = ch_exp_mc_defaults();
    ch_exp_rule_params rule = ch_exp_rule_defaults();
    ch_exp_clt_params clt = ch_exp_clt_defaults();
    ch_exp_biasvar_params bv = ch_exp_biasvar_defaults();
    ch_exp_disease_params dz = ch_exp_disease_defaults();
    /* one --tests domain with bayes disease (CLI_OPT_TESTS) */
    _Static_assert(CLI_MAX_TESTS == CH_EXP_DISEASE_MAX_TESTS, "--tests: bayes and experiment disease differ");
    size_t max_pow = (size_t)mc.max_pow10;
    long tests = dz.tests;
    const char *degrees = NULL;
    /* the options every experiment takes, then its own */
    cli_opt t[10] = {CLI_OPT_SEED(&seed), CLI_OPT_RNG(&rk), CLI_OPT_JSON(&json), CLI_OPT_QUIET};
    size_t nt = 4;
#define SIZE_OPT(nm, p, lo_, hi_, ex) (cli_opt){.name = (nm), .kind = CLI_OPT_SIZE, .dest = (p), .lo = (lo_), .hi = (hi_), .expect = (ex)}
    switch (which) {
    case 0: t[nt++] = SIZE_OPT("--max-pow", &max_pow, 1, CH_EXP_MC_MAX_ROWS, "an integer from 1 to " CLI_STR(CH_EXP_MC_MAX_ROWS)); break;
    case 1:
        t[nt++] = SIZE_OPT("--draws", &rule.n, 1, 1000000000, "a number of draws from 1 to 1000000000");
        t[nt++] = (cli_opt)CLI_OPT_N_RENAMED("--draws", "the number of N(0, 1) draws");
        break;
    case 2:
        t[nt++] = SIZE_OPT("--repeats", &clt.repeats, 0, 100000, "an integer from 0 to 100000");
        t[nt++] = SIZE_OPT("--n-sums", &clt.n_experiments, 8, 10000000, "an integer from 8 to 10000000");
        t[nt++] = SIZE_OPT("--terms", &clt.n_samples, 1, 100000, "an integer from 1 to 100000");
        t[nt++] = (cli_opt){.name = "--significance", .kind = CLI_OPT_DOUBLE, .dest = &clt.alpha, .lo = 0, .hi = 1,
                            .lo_open = 1, .hi_open = 1, .expect = "a significance level in (0, 1)"};
        t[nt++] = (cli_opt){.name = "--alpha", .alias = "--significance", .kind = CLI_OPT_RENAMED,
                            .expect = "normaltest's significance level (--alpha is dist dirichlet's concentrations)"};
        break;
    case 3:
        t[nt++] = SIZE_OPT("--datasets", &bv.n_datasets, 2, 1000000, "an integer from 2 to 1000000");
        t[nt++] = (cli_opt){.name = "--degrees", .kind = CLI_OPT_STR, .dest = &degrees,
                            .expect = "polynomial degrees, comma-separated"};
        t[nt++] = (cli_opt){.name = "--fit", .kind = CLI_OPT_CHOICE, .dest = &bv.numpy_fit, .choices = fits, .expect = "exact or numpy"};
        break;
    default:
        t[nt++] = (cli_opt)CLI_OPT_TESTS(&tests, NULL);
        t[nt++] = SIZE_OPT("--population", &dz.population, 1, 1000000000, "an integer from 1 to 1000000000");
        t[nt++] = (cli_opt)CLI_OPT_PROB("--prior", &dz.prior);
        t[nt++] = (cli_opt)CLI_OPT_PROB("--sensitivity", &dz.sensitivity);
        t[nt++] = (cli_opt)CLI_OPT_PROB("--fpr", &dz.fpr);
    }
#undef SIZE_OPT
    char cmd[32];
    snprintf(cmd, sizeof cmd, "experiment %s", name);
    int prc = cli_parse(cmd, argc, argv, t, nt, NULL, 0, NULL, usage);
    if (prc) return prc;
    mc.max_pow10 = (int)max_pow;
    dz.tests = (int)tests;
    if (degrees) {
        double *d;
        size_t nd;
        int lrc = cli_parse_double_list("experiment biasvar: --degrees", degrees, &d, &nd);
        if (lrc) return lrc;
        if (nd > CH_EXP_BIASVAR_MAX_DEGREES) {
            cli_error("experiment biasvar: --degrees: expected at most %d degrees, got %zu", CH_EXP_BIASVAR_MAX_DEGREES, nd);
            free(d);
            return CLI_USAGE;
        }
        for (size_t k = 0; k < nd; k++) {
            if (d[k] != floor(d[k]) || d[k] < 0 || d[k] >= (double)bv.n_train) {
                cli_error("experiment biasvar: --degrees: item %zu = %g: expected an integer from 0 to %zu (fewer than the %zu "
                          "training points)", k + 1, d[k], bv.n_train - 1, bv.n_train);
                free(d);
                return CLI_USAGE;
            }
            bv.degrees[k] = (int)d[k];
        }
        bv.n_degrees = nd;
        free(d);
    }
    lmp_rng r;
    lmp_error e;
    if (cli_seed_check(cmd, rk, seed)) return CLI_USAGE;
    if (lmp_rng_seed(&r, rk, seed, &e)) return cli_fail_status(cmd, e.code, &e);
    const char *rng_name = rk == LMP_RNG_NUMPY_LEGACY ? "numpy" : "xoshiro";
    /* "lmprob experiment: clt  42%" on a terminal for the long ones (rule, clt, disease), cleared before the
     * results: 10^9 draws or clt's largest sizes ran for minutes to hours without a sign */
    cli_progress pc;
    cli_progress_start(&pc, "experiment", name);
    rule.progress = clt.progress = dz.progress = cli_progress_update;
    rule.progress_ctx = clt.progress_ctx = dz.progress_ctx = &pc;
    lmp_status st;
    if (which == 0) {
        ch_exp_mc_result o;
        if ((st = ch_exp_mc(&r, &mc, &o, &e))) return cli_fail_status(cmd, st, &e);
        if (json) {
            printf("{\"experiment\": \"mc\", \"seed\": %llu, \"rng\": \"%s\"", (unsigned long long)seed, rng_name);
            jkey("exact", o.exact, 0);
            jkey("chapter_mean", o.chapter_mean, 0);
            jkey("normal_mean", o.normal_mean, 0);
            printf(", \"rows\": [");
            for (size_t k = 0; k < o.rows; k++) {
                printf("%s{\"size\": %zu", k ? ", " : "", o.row[k].size);
                jkey("mean", o.row[k].mean, 0);
                jkey("abs_error", o.row[k].abs_error, 0);
                jkey("std_error", o.row[k].std_error, 0);
                printf("}");
            }
            printf("]}\n");
        } else {
            printf("# Monte Carlo expectation, X ~ Binomial(%ld, %g) (seed %llu, %s)\n", mc.trials, mc.p,
                   (unsigned long long)seed, rng_name);
            printf("E[X] = sum k P(X=k) = %.4f\n", o.exact);
            printf("MC estimate (%zu draws): %.4f\n", mc.chapter_size, o.chapter_mean);
            printf("E[N(%g,%g)] (%zu draws): %.4f\n", mc.normal_mu, mc.normal_sigma * mc.normal_sigma, mc.normal_size,
                   o.normal_mean);
            printf("%10s %10s %12s %12s\n", "draws", "mean", "|error|", "std error");
            for (size_t k = 0; k < o.rows; k++)
                printf("%10zu %10.5f %12.3g %12.3g\n", o.row[k].size, o.row[k].mean, o.row[k].abs_error,
                       o.row[k].std_error);
        }
    } else if (which == 1) {
        ch_exp_rule_result o;
        st = ch_exp_rule(&r, &rule, &o, &e);
        cli_progress_update(&pc, 1.0);
        if (st) return cli_fail_status(cmd, st, &e);
        if (json) {
            printf("{\"experiment\": \"rule\", \"seed\": %llu, \"rng\": \"%s\", \"n\": %zu, \"empirical\": ",
                   (unsigned long long)seed, rng_name, o.n);
            cli_json_doubles(stdout, o.empirical, 3);
            printf(", \"exact\": ");
            cli_json_doubles(stdout, o.exact, 3);
            printf(", \"std_error\": ");
            cli_json_doubles(stdout, o.std_error, 3);
            printf("}\n");
        } else {
            printf("# 68-95-99.7 rule over %zu N(0,1) draws (seed %llu, %s)\n", o.n, (unsigned long long)seed, rng_name);
            printf("%6s %12s %12s %12s %8s\n", "within", "empirical", "exact", "std error", "z");
            for (int k = 0; k < 3; k++)
                printf("%5d%s %11.4f%% %11.4f%% %12.2g %8.2f\n", k + 1, "s", 100 * o.empirical[k], 100 * o.exact[k],
                       o.std_error[k], (o.empirical[k] - o.exact[k]) / o.std_error[k]);
        }
    } else if (which == 2) {
        ch_exp_clt_result o;
        st = ch_exp_clt(&r, &clt, &o, &e);
        cli_progress_update(&pc, 1.0);
        if (st) return cli_fail_status(cmd, st, &e);
        if (json) {
            printf("{\"experiment\": \"clt\", \"seed\": %llu, \"rng\": \"%s\", \"n_sums\": %zu, \"terms\": %zu",
                   (unsigned long long)seed, rng_name, clt.n_experiments, clt.n_samples);
            jkey("mean", o.mean, 0);
            jkey("var", o.var, 0);
            jkey("skewness", o.skewness, 0);
            jkey("kurtosis", o.kurtosis, 0);
            jkey("theory_mean", o.theory_mean, 0);
            jkey("theory_var", o.theory_var, 0);
            jkey("theory_skewness", o.theory_skewness, 0);
            jkey("theory_kurtosis", o.theory_kurtosis, 0);
            jkey("normaltest_statistic", o.statistic, 0);
            jkey("normaltest_pvalue", o.pvalue, 0);
            printf(", \"repeats\": %zu", o.repeats);
            jkey("alpha", clt.alpha, 0);
            jkey("reject_rate", o.reject_rate, 0);
            jkey("reject_rate_001", o.reject_rate_001, 0);
            jkey("median_pvalue", o.median_pvalue, 0);
            jkey("control_reject_rate", o.control_reject_rate, 0);
            printf("}\n");
        } else {
            printf("# CLT: %zu sums of %zu U(0,1) (seed %llu, %s)\n", clt.n_experiments, clt.n_samples,
                   (unsigned long long)seed, rng_name);
            printf("%-18s %12s %12s\n", "", "sample", "theory");
            printf("%-18s %12.5f %12.5f\n", "mean", o.mean, o.theory_mean);
            printf("%-18s %12.5f %12.5f\n", "variance", o.var, o.theory_var);
            printf("%-18s %12.5f %12.5f\n", "skewness", o.skewness, o.theory_skewness);
            printf("%-18s %12.5f %12.5f\n", "excess kurtosis", o.kurtosis, o.theory_kurtosis);
            printf("Normality test p-value: %.3f (K^2 = %.4f)\n", o.pvalue, o.statistic);
            if (o.repeats) {
                printf("over %zu further samples: normaltest rejects %.1f%% at alpha=%g (%.1f%% at 0.01), median p %.3f\n",
                       o.repeats, 100 * o.reject_rate, clt.alpha, 100 * o.reject_rate_001, o.median_pvalue);
                printf("control, %zu samples of %zu exact N(0,1) draws: rejects %.1f%% at alpha=%g\n", o.repeats,
                       clt.n_experiments, 100 * o.control_reject_rate, clt.alpha);
                /* the conclusion from the rates just printed (it was printed whatever they were: "sees it" under
                 * 0 % against the control's 20 %) */
                printf("# the sum of %zu uniforms is not exactly normal (excess kurtosis %.3f): with %zu values\n",
                       clt.n_samples, o.theory_kurtosis, clt.n_experiments);
                if (o.reject_rate > o.control_reject_rate)
                    printf("# the test sees it: it rejects more often than on the control (%.1f%% against %.1f%%)\n",
                           100 * o.reject_rate, 100 * o.control_reject_rate);
                else
                    printf("# the test does not tell it from the control in these %zu repeats (%.1f%% against %.1f%%)\n",
                           o.repeats, 100 * o.reject_rate, 100 * o.control_reject_rate);
            }
        }
    } else if (which == 3) {
        ch_exp_biasvar_result o;
        if ((st = ch_exp_biasvar(&r, &bv, &o, &e))) return cli_fail_status(cmd, st, &e);
        if (json) {
            printf("{\"experiment\": \"biasvar\", \"seed\": %llu, \"rng\": \"%s\", \"datasets\": %zu, \"n_train\": %zu",
                   (unsigned long long)seed, rng_name, bv.n_datasets, bv.n_train);
            jkey("sigma", bv.sigma, 0);
            jkey("x_test", bv.x_test, 0);
            printf(", \"rows\": [");
            for (size_t k = 0; k < o.rows; k++) {
                printf("%s{\"degree\": %d", k ? ", " : "", o.row[k].degree);
                jkey("bias2", o.row[k].bias2, 0);
                jkey("var", o.row[k].var, 0);
                jkey("mse", o.row[k].mse, 0);
                jkey("grid_bias2", o.row[k].grid_bias2, 0);
                jkey("grid_var", o.row[k].grid_var, 0);
                jkey("grid_mse", o.row[k].grid_mse, 0);
                printf(", \"rank_deficient\": %zu}", o.row[k].rank_deficient);
            }
            printf("], \"fit\": \"%s\"}\n", bv.numpy_fit ? "numpy" : "exact");
        } else {
            printf("# bias-variance: %zu training sets of %zu points, y = sin(2 pi x) + %g z (seed %llu, %s)\n",
                   bv.n_datasets, bv.n_train, bv.sigma, (unsigned long long)seed, rng_name);
            printf("# fit: %s\n", bv.numpy_fit ? "numpy (np.polyfit truncated SVD + np.polyval)" : "exact least squares (QR, Chebyshev basis)");
            printf("%8s %10s %10s %12s | %12s %12s %12s\n", "Degree", "Bias^2", "Variance", "Total MSE", "grid Bias^2",
                   "grid Var", "grid MSE");
            for (size_t k = 0; k < o.rows; k++)
                printf("%8d %10.4f %10.4f %12.4f | %12.4g %12.4g %12.4g\n", o.row[k].degree, o.row[k].bias2,
                       o.row[k].var, o.row[k].mse, o.row[k].grid_bias2, o.row[k].grid_var, o.row[k].grid_mse);
            if (bv.numpy_fit)
                for (size_t k = 0; k < o.rows; k++)
                    if (o.row[k].rank_deficient)
                        printf("# degree %d: %zu of %zu fits rank deficient (numpy's RankWarning)\n", o.row[k].degree,
                               o.row[k].rank_deficient, bv.n_datasets);
            printf("# left: at x = %g (sin(2 pi x) is antisymmetric about 0.5, so even a line is unbiased there);\n"
                   "# right: averaged over %zu points of [%g, %g]\n",
                   bv.x_test, bv.n_grid, bv.grid_lo, bv.grid_hi);
        }
    } else {
        ch_exp_disease_result o;
        st = ch_exp_disease(&r, &dz, &o, &e);
        cli_progress_update(&pc, 1.0);
        if (st) {
            const int frc = cli_fail_status(cmd, st, &e);
            /* an impossible positive (LMP_EDOM) comes from the options alone: a usage error, as bayes disease */
            return st == LMP_EDOM ? CLI_USAGE : frc;
        }
        if (json) {
            printf("{\"experiment\": \"disease\", \"seed\": %llu, \"rng\": \"%s\", \"population\": %zu", (unsigned long long)seed,
                   rng_name, dz.population);
            jkey("prior", dz.prior, 0);
            jkey("sensitivity", dz.sensitivity, 0);
            jkey("fpr", dz.fpr, 0);
            printf(", \"rows\": [");
            for (int k = 0; k < o.rows; k++) {
                printf("%s{\"positives\": %d", k ? ", " : "", o.row[k].positives);
                jkey("posterior", o.row[k].posterior, 0);
                printf(", \"people\": %zu, \"sick\": %zu", o.row[k].people, o.row[k].sick);
                jkey("simulated", o.row[k].simulated, 0);
                printf("}");
            }
            printf("]}\n");
        } else {
            printf("# disease test: prior %g, sensitivity %g, false-positive rate %g; %zu simulated people "
                   "(seed %llu, %s)\n",
                   dz.prior, dz.sensitivity, dz.fpr, dz.population, (unsigned long long)seed, rng_name);
            printf("%9s %16s %12s %8s %16s\n", "positives", "Bayes P(sick|+)", "people", "sick", "simulated");
            for (int k = 0; k < o.rows; k++)
                printf("%9d %15.2f%% %12zu %8zu %15.2f%%\n", o.row[k].positives, 100 * o.row[k].posterior,
                       o.row[k].people, o.row[k].sick, 100 * o.row[k].simulated);
        }
        ch_exp_disease_free(&o);
    }
    return CLI_OK;
}

static int exp_mc(int argc, char **argv) { return run(0, argc, argv); }
static int exp_rule(int argc, char **argv) { return run(1, argc, argv); }
static int exp_clt(int argc, char **argv) { return run(2, argc, argv); }
static int exp_biasvar(int argc, char **argv) { return run(3, argc, argv); }
static int exp_disease(int argc, char **argv) { return run(4, argc, argv); }

int cmd_experiment(int argc, char **argv)
{
    static const cli_sub subs[] = {
        {"mc", exp_mc}, {"rule", exp_rule}, {"clt", exp_clt}, {"biasvar", exp_biasvar}, {"disease", exp_disease}};
    return cli_subcommand("experiment", argc, argv, subs, CLI_NOPTS(subs), usage);
}
