/* `lmprob stats`: descriptive statistics and normality tests of a column of
 * numbers, or the covariance / correlation matrix of a table. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/stats.h"

static void usage(FILE *f)
{
    fputs("usage: lmprob stats [--ddof D] [--json] [FILE|-]\n"
          "       lmprob stats --covariance|--correlation [--ddof D] [--columns] [--json] [FILE|-]\n"
          "\n"
          "Numbers (separated by spaces, commas or newlines) from FILE, or stdin when FILE is '-' or absent.\n"
          "Prints n, mean, variance and standard deviation (divisor n - D; default D = 0 as np.var),\n"
          "min, max, skewness and excess kurtosis (scipy's biased defaults, and the bias-corrected G1/G2),\n"
          "and the D'Agostino skewtest (n >= 8), Anscombe-Glynn kurtosistest (n >= 5) and\n"
          "D'Agostino-Pearson normaltest (n >= 8), each with its two-sided p-value.\n"
          "\n"
          "  --covariance   covariance matrix of a table: one variable per line (np.cov; default D = 1)\n"
          "  --correlation  (also --corr) correlation matrix (np.corrcoef)\n"
          "  --columns      the table has one variable per column instead (np.cov(..., rowvar=False))\n"
          "  --ddof D       delta degrees of freedom\n"
          "  --json         machine-readable output\n\n"
           "example: printf '1 2 3 4 5 6 7 8 9 30' | lmprob stats --json -\n",
          f);
}

static int do_matrix(const char *path, int corr, int columns, double ddof, int json)
{
    double *X;
    size_t r, c;
    if (cli_read_table("stats", path, 0, &X, &r, &c)) return CLI_FAIL;
    size_t k = columns ? c : r;
    double *M = k <= SIZE_MAX / sizeof *M / (k ? k : 1) ? malloc(k * k * sizeof *M) : NULL;
    if (!M) {
        /* a table of pairs read a row per variable (the default, as np.cov) asks for a matrix of rows x rows:
         * "out of memory" alone did not say why */
        cli_error("stats: %s: out of memory for a %zu x %zu %s matrix (%.3g GB): %zu variables, one a %s%s",
                  cli_input_name(path), k, k, corr ? "correlation" : "covariance",
                  (double)k * (double)k * sizeof *M / 1e9, k, columns ? "column" : "line",
                  columns ? "" : " (the default; --columns reads one a column)");
        free(X);
        return CLI_FAIL;
    }
    lmp_error e;
    lmp_status st = corr ? lmp_stats_corr(X, r, c, !columns, M, &e) : lmp_stats_cov(X, r, c, !columns, ddof, M, &e);
    free(X);
    if (st) {
        free(M);
        cli_error("stats: %s: %s", cli_input_name(path), e.msg);
        return CLI_FAIL;
    }
    if (json) {
        printf("{\"%s\": [", corr ? "corr" : "cov");
        for (size_t i = 0; i < k; i++) {
            if (i) printf(", ");
            cli_json_doubles(stdout, M + i * k, k);
        }
        printf("], \"variables\": %zu, \"observations\": %zu", k, columns ? r : c);
        if (!corr) printf(", \"ddof\": %g", ddof);
        printf("}\n");
    } else {
        printf("# %s matrix of %zu variables over %zu observations%s\n", corr ? "correlation" : "covariance", k,
               columns ? r : c, corr ? "" : "");
        for (size_t i = 0; i < k; i++) {
            for (size_t j = 0; j < k; j++) printf("%s%12.6g", j ? " " : "", cli_text_num(M[i * k + j]));
            printf("\n");
        }
    }
    free(M);
    return CLI_OK;
}

static void json_test(const char *name, int ok, const lmp_test_result *t)
{
    printf(", \"%s\": ", name);
    if (!ok) {
        printf("null");
        return;
    }
    printf("{\"statistic\": ");
    cli_json_double(stdout, t->statistic);
    printf(", \"pvalue\": ");
    cli_json_double(stdout, t->pvalue);
    printf("}");
}

static void text_test(const char *name, int ok, const lmp_test_result *t, const char *need)
{
    if (ok) printf("%-16s statistic %.6g  p-value %.6g\n", name, cli_text_num(t->statistic), cli_text_num(t->pvalue));
    else printf("%-16s n/a (needs %s)\n", name, need);
}

int cmd_stats(int argc, char **argv)
{
    const char *path = NULL;
    double ddof = NAN;
    int json = 0, cov = 0, corr = 0, columns = 0;
    const cli_opt table[] = {
        CLI_OPT_JSON(&json),
        {.name = "--covariance", .kind = CLI_OPT_FLAG, .dest = &cov},
        {.name = "--correlation", .alias = "--corr", .kind = CLI_OPT_FLAG, .dest = &corr},
        /* --cov is dist mvn's covariance matrix (a value); here it was the switch */
        {.name = "--cov", .alias = "--covariance", .kind = CLI_OPT_RENAMED,
         .expect = "print the covariance matrix (--cov is dist mvn's matrix)"},
        {.name = "--columns", .kind = CLI_OPT_FLAG, .dest = &columns},
        {.name = "--ddof", .kind = CLI_OPT_DOUBLE, .dest = &ddof, .lo = 0, .hi = 1e300, .expect = "a number >= 0"},
    };
    int rc = cli_parse("stats", argc, argv, table, CLI_NOPTS(table), &path, 1, NULL, usage);
    if (rc) return rc;
    if (!path) path = "-";
    cli_stdin_note("stats", path);
    if (cov && corr) {
        cli_error("stats: --covariance and --correlation: expected at most one of them");
        return CLI_USAGE;
    }
    if (cov || corr) return do_matrix(path, corr, columns, isnan(ddof) ? 1.0 : ddof, json);
    if (columns) {
        cli_error("stats: --columns: expected together with --covariance or --correlation");
        return CLI_USAGE;
    }
    if (isnan(ddof)) ddof = 0;

    double *x;
    size_t n;
    if (cli_read_doubles("stats", path, 0, &x, &n)) return CLI_FAIL;
    lmp_error e;
    if (n > 0 && lmp_stats_ddof_check(n, ddof, &e)) { /* as --covariance: not a variance of NaN with exit 0 */
        cli_error("stats: %s: %s", cli_input_name(path), e.msg);
        free(x);
        return CLI_FAIL;
    }
    lmp_moments m;
    lmp_moments_init(&m);
    lmp_moments_add_array(&m, x, n);  /* min and max */
    /* the library's standard deviation, not sqrt(var): a spread of 1e308 has a variance past the
     * doubles but a standard deviation inside them */
    double mean = lmp_stats_mean(x, n), var = lmp_stats_variance(x, n, ddof), sd = lmp_stats_stddev(x, n, ddof);
    double skew = lmp_stats_skewness(x, n, 1), skew_u = lmp_stats_skewness(x, n, 0);
    double kurt = lmp_stats_kurtosis(x, n, 1, 1), kurt_u = lmp_stats_kurtosis(x, n, 1, 0);
    lmp_test_result st, kt, nt;
    int has_s = lmp_stats_skewtest(x, n, &st, NULL) == LMP_OK;
    int has_k = lmp_stats_kurtosistest(x, n, &kt, NULL) == LMP_OK;
    int has_n = lmp_stats_normaltest(x, n, &nt, NULL) == LMP_OK;
    free(x);
    if (json) {
        printf("{\"n\": %zu, \"ddof\": %g, \"mean\": ", n, ddof);
        cli_json_double(stdout, mean);
        printf(", \"var\": ");
        cli_json_double(stdout, var);
        printf(", \"std\": ");
        cli_json_double(stdout, sd);
        printf(", \"min\": ");
        cli_json_double(stdout, m.min);
        printf(", \"max\": ");
        cli_json_double(stdout, m.max);
        printf(", \"skewness\": ");
        cli_json_double(stdout, skew);
        printf(", \"skewness_unbiased\": ");
        cli_json_double(stdout, skew_u);
        printf(", \"kurtosis\": ");
        cli_json_double(stdout, kurt);
        printf(", \"kurtosis_unbiased\": ");
        cli_json_double(stdout, kurt_u);
        json_test("skewtest", has_s, &st);
        json_test("kurtosistest", has_k, &kt);
        json_test("normaltest", has_n, &nt);
        printf("}\n");
        return CLI_OK;
    }
    printf("n                %zu\n", n);
    printf("mean             %.10g\n", cli_text_num(mean));
    printf("var (ddof=%g)     %.10g\n", ddof, cli_text_num(var));
    printf("std (ddof=%g)     %.10g\n", ddof, cli_text_num(sd));
    printf("min              %.10g\n", m.min);
    printf("max              %.10g\n", m.max);
    printf("skewness         %.10g   (bias-corrected G1 %.10g)\n", cli_text_num(skew), cli_text_num(skew_u));
    printf("kurtosis         %.10g   (excess; bias-corrected G2 %.10g)\n", cli_text_num(kurt), cli_text_num(kurt_u));
    text_test("skewtest", has_s, &st, "n >= 8");
    text_test("kurtosistest", has_k, &kt, "n >= 5");
    text_test("normaltest", has_n, &nt, "n >= 8");
    return CLI_OK;
}
