/* `lmprob fit`: least-squares polynomial fit of x y pairs (np.polyfit order). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/linalg.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob fit --degree D [--eval X[,X...]] [--json] FILE|-\n"
            "\n"
            "Least-squares polynomial of degree D (0..%d) through the points of FILE: one 'x y' pair per\n"
            "line (spaces or commas; blank lines and lines starting with '#' are skipped).\n"
            "Prints the coefficients highest power first (np.polyfit's order), the residual RMS, and the\n"
            "fitted polynomial at each --eval point. The fit is computed in a Chebyshev basis by\n"
            "Householder QR, so fitted values stay accurate where monomial coefficients are ill-conditioned.\n"
            "\n"
            "  --degree D   polynomial degree; needs at least D+1 points with D+1 distinct x values\n"
            "  --eval LIST  evaluate the fit at these x values\n"
            "  --json       machine-readable output\n\n"
           "example: printf '0 1\\n1 3\\n2 7\\n3 13\\n' | lmprob fit --degree 2 --eval 4 -\n",
            LMP_LINALG_POLY_MAX_DEGREE);
}

/* x y pairs: the shared table reader (its rules and messages: comments, commas or spaces, no hex, a token
 * of any length), two columns. */
static int read_pairs(const char *path, double **xs, double **ys, size_t *np)
{
    double *t;
    size_t rows, cols;
    if (cli_read_table("fit", path, 2, &t, &rows, &cols)) return -1; /* every row 2 values: "row has 3 values: expected 2" */
    double *x = malloc(rows * sizeof *x), *y = malloc(rows * sizeof *y);
    if (!x || !y) {
        cli_error("fit: out of memory for %zu points", rows);
        free(x);
        free(y);
        free(t);
        return -1;
    }
    for (size_t i = 0; i < rows; i++) {
        x[i] = t[2 * i];
        y[i] = t[2 * i + 1];
    }
    free(t);
    *xs = x;
    *ys = y;
    *np = rows;
    return 0;
}

int cmd_fit(int argc, char **argv)
{
    const char *path = NULL, *eval = NULL;
    long deg = -1;
    int json = 0;
    const cli_opt table[] = {
        CLI_OPT_JSON(&json),
        {.name = "--degree", .kind = CLI_OPT_LONG, .dest = &deg, .lo = 0, .hi = LMP_LINALG_POLY_MAX_DEGREE,
         .expect = "an integer from 0 to " CLI_STR(LMP_LINALG_POLY_MAX_DEGREE)},
        {.name = "--eval", .kind = CLI_OPT_STR, .dest = &eval, .expect = "x values, comma-separated"},
    };
    int rc = cli_parse("fit", argc, argv, table, CLI_NOPTS(table), &path, 1, NULL, usage);
    if (rc) return rc;
    if (deg < 0) {
        cli_error("fit: --degree: expected a degree (lmprob fit --degree D FILE)");
        return CLI_USAGE;
    }
    if (!path) {
        cli_error("fit: expected an input file of 'x y' pairs (or '-' for stdin)");
        return CLI_USAGE;
    }
    cli_stdin_note("fit", path);
    double *ev = NULL;
    size_t nev = 0;
    int lrc = eval ? cli_parse_double_list("fit: --eval", eval, &ev, &nev) : 0;
    if (lrc) return lrc;
    double *x, *y;
    size_t n;
    if (read_pairs(path, &x, &y, &n)) {
        free(ev);
        return CLI_FAIL;
    }
    lmp_linalg_poly fit;
    lmp_error e;
    double coef[LMP_LINALG_POLY_MAX_DEGREE + 1];
    lmp_status st = lmp_linalg_poly_fit(x, y, n, (size_t)deg, &fit, &e);
    if (!st) st = lmp_linalg_poly_coef(&fit, coef, &e);
    if (st) { /* the data are the file's: its name first ("degree = 1 with 1 point(s)" named none) */
        cli_error("fit: %s: %s", cli_input_name(path), e.msg);
        free(x);
        free(y);
        free(ev);
        return CLI_FAIL;
    }
    /* the residuals scaled by a power of two (exact) before squaring, as a 2-norm: residuals of 1e300 have an
     * RMS of 1e300 (their squares overflowed: inf), residuals of 1e-170 one of 1e-170 (theirs underflowed: 0) */
    double rmax = 0;
    for (size_t i = 0; i < n; i++) rmax = fmax(rmax, fabs(y[i] - lmp_linalg_poly_eval(&fit, x[i])));
    int sc = rmax > 0 && isfinite(rmax) ? ilogb(rmax) : 0;
    double ss = 0;
    for (size_t i = 0; i < n; i++) {
        double r = ldexp(y[i] - lmp_linalg_poly_eval(&fit, x[i]), -sc);
        ss += r * r;
    }
    double rms = ldexp(sqrt(ss / (double)n), sc);
    if (json) {
        printf("{\"degree\": %ld, \"n\": %zu, \"coefficients\": ", deg, n);
        cli_json_doubles(stdout, coef, (size_t)deg + 1);
        printf(", \"residual_rms\": ");
        cli_json_double(stdout, rms);
        if (nev) {
            printf(", \"eval\": [");
            for (size_t i = 0; i < nev; i++) {
                printf("%s{\"x\": ", i ? ", " : "");
                cli_json_double(stdout, ev[i]);
                printf(", \"y\": ");
                cli_json_double(stdout, lmp_linalg_poly_eval(&fit, ev[i]));
                printf("}");
            }
            printf("]");
        }
        printf("}\n");
    } else {
        printf("# degree %ld least-squares fit of %zu points; coefficients highest power first\n", deg, n);
        for (long k = 0; k <= deg; k++) printf("c[x^%ld] = %.17g\n", deg - k, cli_text_num(coef[k]));
        printf("residual RMS = %.6g\n", cli_text_num(rms));
        for (size_t i = 0; i < nev; i++)
            printf("p(%.17g) = %.17g\n", ev[i], cli_text_num(lmp_linalg_poly_eval(&fit, ev[i])));
    }
    free(x);
    free(y);
    free(ev);
    return CLI_OK;
}
