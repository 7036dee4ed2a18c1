/* `lmprob bayes`: the disease-test posterior over repeated positives, joint
 * tables (marginals, conditionals, independence) and the beta-binomial model. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/bayes.h"

static void usage(FILE *f)
{
    fputs("usage: lmprob bayes disease [--prior P] [--sensitivity S] [--fpr F] [--tests N | --results +,-,...] [--json]\n"
          "       lmprob bayes joint --table \"a,b;c,d\" [--normalize] [--tol T] [--json]\n"
          "       lmprob bayes beta --a A --b B --heads H --trials N [--json]\n"
          "\n"
          "disease  P(condition | k positive tests) for k = 0..N by Bayes' rule, each posterior the next\n"
          "         prior; P(+) by total probability. Defaults: the chapter's prior 0.001, sensitivity\n"
          "         0.99, false-positive rate 0.05, N = 3. --results gives a sequence of positive (+) and\n"
          "         negative (-) results instead (a negative has likelihoods 1 - S and 1 - F).\n"
          "joint    a table P(X = row, Y = column): rows separated by ';', cells by ','. Prints the\n"
          "         marginals, P(Y|X), P(X|Y) and max |P(x,y) - P(x)P(y)| (independent when <= T,\n"
          "         T > 0, default 1e-9). Cells must be in [0, 1] and sum to 1 within 1e-9, unless\n"
          "         --normalize divides counts/weights by their total.\n"
          "beta     Beta(A, B) prior, H heads in N trials: posterior Beta(A+H, B+N-H), its mean and mode,\n"
          "         and the log marginal likelihood log P(H | N) (scipy.stats.betabinom.logpmf).\n\n"
           "examples:\n"
           "  lmprob bayes disease --prior 0.001 --sensitivity 0.99 --fpr 0.05 --tests 3\n"
           "  lmprob bayes joint --table \"0.1,0.2;0.3,0.4\"\n"
           "  lmprob bayes beta --a 2 --b 2 --heads 7 --trials 10 --json\n",
          f);
}

/* "+,+,-" (or "++-") -> 1/0 per test. */
static int parse_results(const char *s, char *out, long *n)
{
    long k = 0;
    for (const char *p = s; *p; p++) {
        if (*p == ',' || *p == ' ') continue;
        if (*p != '+' && *p != '-') {
            cli_error("bayes disease: --results: item %ld: expected '+' or '-', got '%c'", k + 1, *p);
            return -1;
        }
        if (k == 1000) {
            cli_error("bayes disease: --results: expected at most 1000 results");
            return -1;
        }
        out[k++] = *p == '+';
    }
    if (k == 0) {
        cli_error("bayes disease: --results: expected a list of '+' and '-', got '%s'", s);
        return -1;
    }
    *n = k;
    return 0;
}

static int disease(int argc, char **argv)
{
    double prior = 0.001, sens = 0.99, fpr = 0.05;
    long tests = 3, nres = 0;
    char res[1000];
    int json = 0, have_tests = 0;
    const char *results = NULL;
    const cli_opt opts[] = {
        CLI_OPT_JSON(&json), CLI_OPT_PROB("--prior", &prior), CLI_OPT_PROB("--sensitivity", &sens),
        CLI_OPT_PROB("--fpr", &fpr),
        CLI_OPT_TESTS(&tests, &have_tests),
        {.name = "--results", .kind = CLI_OPT_STR, .dest = &results, .expect = "test results such as \"+,+,-\""},
    };
    int rc = cli_parse("bayes disease", argc, argv, opts, CLI_NOPTS(opts), NULL, 0, NULL, usage);
    if (rc) return rc;
    if (results && parse_results(results, res, &nres)) return CLI_USAGE;
    if (nres && have_tests) {
        cli_error("bayes disease: --tests and --results: expected one of them");
        return CLI_USAGE;
    }
    if (nres == 0) {
        /* n positive tests in a row */
        for (long k = 0; k < tests && k < 1000; k++) res[k] = 1;
        if (tests > 1000) nres = -1;  /* long runs: all positive, no per-step storage needed */
    }
    long steps = nres > 0 ? nres : tests;
    int mixed = nres > 0;
    /* Two passes over the same arithmetic: the first only checks that every result is possible, so that
     * an impossible one prints nothing on stdout (the JSON was a complete-looking object, exit 1) */
    for (int out = 0; out < 2; out++) {
        if (out && json) printf("{\"prior\": %.17g, \"sensitivity\": %.17g, \"fpr\": %.17g, \"steps\": [", prior, sens, fpr);
        else if (out && mixed) printf("%6s %7s %14s %16s\n", "step", "result", "P(result)", "P(cond|results)");
        else if (out) printf("%6s %14s %14s\n", "tests", "P(+)", "P(cond|+...)");
        double p = prior;
        if (out && mixed && !json) printf("%6d %7s %14s %15.4f%%\n", 0, "prior", "", 100 * p);
        for (long k = 0; k <= steps; k++) {
            int pos = k < steps ? (nres < 0 ? 1 : res[k]) : 1;
            double pe = lmp_bayes_total_probability(p, sens, fpr); /* P(+) for the next test */
            if (out && json) {
                printf("%s{\"tests\": %ld, ", k ? ", " : "", k);
                if (mixed && k > 0) printf("\"result\": \"%c\", ", res[k - 1] ? '+' : '-');
                printf("\"posterior\": ");
                cli_json_double(stdout, p);
                printf(", \"p_next_positive\": ");
                cli_json_double(stdout, pe);
                printf("}");
            } else if (out && !mixed) {
                printf("%6ld %14.6g %13.4f%%\n", k, cli_text_num(pe), 100 * cli_text_num(p));
            }
            if (k == steps) break;
            /* A negative result has likelihoods 1 - sensitivity and 1 - fpr. */
            double lh = pos ? sens : 1 - sens, lnh = pos ? fpr : 1 - fpr;
            double pr = lmp_bayes_total_probability(p, lh, lnh);
            if (!(pr > 0)) {
                cli_error("bayes disease: test %ld is '%c' but P(%c) = 0 with --sensitivity %g --fpr %g: expected a "
                          "possible result",
                          k + 1, pos ? '+' : '-', pos ? '+' : '-', sens, fpr);
                return CLI_USAGE; /* options that contradict each other, no data: a usage error (it was 1) */
            }
            p = lmp_bayes_update(p, lh, lnh);
            if (out && mixed && !json) printf("%6ld %7c %14.6g %15.4f%%\n", k + 1, pos ? '+' : '-', cli_text_num(pr), 100 * cli_text_num(p));
        }
    }
    if (json) printf("]}\n");
    else if (!mixed) printf("# P(+) is the probability that the next test is positive given the positives so far\n");
    return CLI_OK;
}

/* "0.1,0.2;0.3,0.4" -> rows x cols: each row by the shared number-list reader (the rules and messages of
 * every inline list: any length, no hex, "row 2: item 1: expected a finite number, got 'a'"). A table
 * that is not numbers is a usage error (exit 2), as every malformed option value; memory running out
 * is a failure (exit 1). Returns 0 or that exit status. */
static int parse_table(const char *s, double **out, size_t *rows, size_t *cols)
{
    size_t n = 0, r = 0, c = 0;
    double *v = NULL;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, ';');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *row = strndup(p, len), label[48];
        double *x = NULL;
        size_t k = 0;
        snprintf(label, sizeof label, "bayes joint: --table: row %zu", r + 1);
        const int lrc = row ? cli_parse_double_list(label, row, &x, &k) : CLI_FAIL;
        if (lrc) {
            if (!row) cli_error("bayes joint: out of memory");
            free(row);
            free(v);
            return lrc;
        }
        free(row);
        if (r > 0 && k != c) {
            cli_error("bayes joint: --table: row %zu has %zu cells: expected %zu (as row 1)", r + 1, k, c);
            free(x);
            free(v);
            return CLI_USAGE;
        }
        c = k;
        double *nv = realloc(v, (n + k) * sizeof *nv);
        if (!nv) {
            cli_error("bayes joint: out of memory");
            free(x);
            free(v);
            return CLI_FAIL;
        }
        v = nv;
        memcpy(v + n, x, k * sizeof *x);
        free(x);
        n += k;
        r++;
        if (!e) break;
        p = e + 1;
    }
    *out = v;
    *rows = r;
    *cols = c;
    return 0;
}

static void print_matrix(const char *title, const double *m, size_t r, size_t c)
{
    printf("%s\n", title);
    for (size_t i = 0; i < r; i++) {
        printf("  ");
        for (size_t j = 0; j < c; j++) printf("%s%10.6g", j ? " " : "", cli_text_num(m[i * c + j]));
        printf("\n");
    }
}

static void json_matrix(const char *key, const double *m, size_t r, size_t c)
{
    printf(", \"%s\": [", key);
    for (size_t i = 0; i < r; i++) {
        if (i) printf(", ");
        cli_json_doubles(stdout, m + i * c, c);
    }
    printf("]");
}

static int joint(int argc, char **argv)
{
    const char *table = NULL;
    int json = 0, normalize = 0;
    double tol = 1e-9;
    const cli_opt opts[] = {
        CLI_OPT_JSON(&json),
        {.name = "--normalize", .kind = CLI_OPT_FLAG, .dest = &normalize},
        {.name = "--table", .kind = CLI_OPT_STR, .dest = &table, .expect = "a table such as \"0.4,0.1;0.15,0.35\""},
        CLI_OPT_TOL(&tol),
    };
    int rc = cli_parse("bayes joint", argc, argv, opts, CLI_NOPTS(opts), NULL, 0, NULL, usage);
    if (rc) return rc;
    if (!table) {
        cli_error("bayes joint: --table: expected a table such as \"0.4,0.1;0.15,0.35\"");
        return CLI_USAGE;
    }
    double *p;
    size_t r, c;
    if ((rc = parse_table(table, &p, &r, &c))) return rc;
    lmp_error e;
    lmp_status st = normalize ? lmp_joint_normalize(p, r, c, &e) : lmp_joint_check(p, r, c, 1e-9, &e);
    if (st) {
        cli_error("bayes joint: --table: %s%s", e.msg,
                  normalize ? "" : " (use --normalize for counts or weights)");
        free(p);
        return CLI_USAGE; /* an option's value that is no joint distribution */
    }
    double *px = malloc((r + c + 2 * r * c) * sizeof *px);
    if (!px) { free(p); cli_error("out of memory"); return CLI_FAIL; }
    double *py = px + r, *ygx = py + c, *xgy = ygx + r * c;
    lmp_joint_marginals(p, r, c, px, py);
    lmp_joint_y_given_x(p, r, c, ygx);
    lmp_joint_x_given_y(p, r, c, xgy);
    double gap = lmp_joint_independence_gap(p, r, c);
    int indep = gap <= tol;
    if (json) {
        printf("{\"rows\": %zu, \"cols\": %zu", r, c);
        json_matrix("joint", p, r, c);
        printf(", \"p_x\": ");
        cli_json_doubles(stdout, px, r);
        printf(", \"p_y\": ");
        cli_json_doubles(stdout, py, c);
        json_matrix("p_y_given_x", ygx, r, c);
        json_matrix("p_x_given_y", xgy, r, c);
        printf(", \"independence_gap\": ");
        cli_json_double(stdout, gap);
        printf(", \"tol\": %.17g, \"independent\": %s}\n", tol, indep ? "true" : "false");
    } else {
        print_matrix("joint P(X=row, Y=col):", p, r, c);
        print_matrix("P(X) (row sums):", px, 1, r);
        print_matrix("P(Y) (column sums):", py, 1, c);
        print_matrix("P(Y=col | X=row) (rows sum to 1):", ygx, r, c);
        print_matrix("P(X=row | Y=col) (columns sum to 1):", xgy, r, c);
        printf("max |P(x,y) - P(x)P(y)| = %.6g -> %s (tolerance %g)\n", cli_text_num(gap), indep ? "independent" : "dependent", tol);
    }
    free(px);
    free(p);
    return CLI_OK;
}

static int beta(int argc, char **argv)
{
    double a = NAN, b = NAN;
    long heads = -1, n = -1;
    int json = 0;
    const cli_opt opts[] = {
        CLI_OPT_JSON(&json),
        CLI_OPT_BETA_A(&a, NULL), CLI_OPT_BETA_B(&b, NULL),
        {.name = "--heads", .kind = CLI_OPT_LONG, .dest = &heads, .lo = 0, .hi = 1e15, .expect = CLI_DOMAIN_COUNT},
        /* trials, as dist binomial's: -n and --n are how many to draw in every command */
        CLI_OPT_TRIALS(&n, NULL), CLI_OPT_N_RENAMED("--trials", "the number of trials (--n was ambiguous)"),
        {.name = "-n", .alias = "--trials", .kind = CLI_OPT_RENAMED, .expect = "the number of trials (-n was ambiguous)"},
    };
    int rc = cli_parse("bayes beta", argc, argv, opts, CLI_NOPTS(opts), NULL, 0, NULL, usage);
    if (rc) return rc;
    if (isnan(a) || isnan(b) || heads < 0 || n < 0) {
        cli_error("bayes beta: expected --a A --b B --heads H --trials N (all four)");
        return CLI_USAGE;
    }
    if (heads > n) {
        cli_error("bayes beta: --heads %ld: expected at most --trials %ld", heads, n);
        return CLI_USAGE; /* two options that disagree (docs/cli.md) */
    }
    double mean = lmp_bayes_beta_posterior_mean(a, b, heads, n), mode = lmp_bayes_beta_posterior_mode(a, b, heads, n);
    double lm = lmp_bayes_beta_binomial_logpmf(heads, n, a, b);
    double pa = a + (double)heads, pb = b + (double)(n - heads);
    if (json) {
        printf("{\"posterior_a\": %.17g, \"posterior_b\": %.17g, \"mean\": ", pa, pb);
        cli_json_double(stdout, mean);
        printf(", \"mode\": ");
        cli_json_double(stdout, mode);
        printf(", \"log_marginal\": ");
        cli_json_double(stdout, lm);
        printf(", \"marginal\": ");
        cli_json_double(stdout, exp(lm));
        printf("}\n");
    } else {
        printf("prior Beta(%g, %g), %ld heads in %ld -> posterior Beta(%g, %g)\n", a, b, heads, n, pa, pb);
        printf("posterior mean     %.10g\n", cli_text_num(mean));
        if (isnan(mode)) printf("posterior mode     undefined (both posterior parameters <= 1)\n");
        else printf("posterior mode     %.10g\n", mode);
        printf("log P(heads | n)   %.10g   (P = %.6g)\n", cli_text_num(lm), cli_text_num(exp(lm)));
    }
    return CLI_OK;
}

int cmd_bayes(int argc, char **argv)
{
    static const cli_sub subs[] = {{"disease", disease}, {"joint", joint}, {"beta", beta}};
    return cli_subcommand("bayes", argc, argv, subs, CLI_NOPTS(subs), usage);
}
