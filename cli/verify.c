/* `lmprob verify FILE...`: run every case of golden files against the library.
 * A case passes when every element satisfies |got - want| <= atol + rtol*|want|,
 * or is equal where "exact": true (nan equals nan). Unknown functions fail. */
#include "verify.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const verify_entry *const tables[] = {verify_table_dist, verify_table_stats, verify_table_info};

static verify_fn find_fn(const char *name)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const verify_entry *e = tables[t]; e->function; e++)
            if (strcmp(e->function, name) == 0) return e->fn;
    return NULL;
}

/* ---- argument readers ---------------------------------------------------- */

static int num_of(const lmp_json_value *v, double *out)
{
    if (v->type == LMP_JSON_NUMBER) { *out = v->num; return 0; }
    if (v->type == LMP_JSON_STRING) {
        if (strcmp(v->str, "inf") == 0) { *out = INFINITY; return 0; }
        if (strcmp(v->str, "-inf") == 0) { *out = -INFINITY; return 0; }
        if (strcmp(v->str, "nan") == 0) { *out = NAN; return 0; }
    }
    return -1;
}

int va_has(const lmp_json_value *args, const char *key) { return lmp_json_get(args, key) != NULL; }

int va_double(const lmp_json_value *args, const char *key, double *out, char *err, size_t errlen)
{
    const lmp_json_value *v = lmp_json_get(args, key);
    if (!v) { snprintf(err, errlen, "argument '%s' is missing", key); return -1; }
    if (num_of(v, out)) { snprintf(err, errlen, "argument '%s': expected a number", key); return -1; }
    return 0;
}

int va_double_opt(const lmp_json_value *args, const char *key, double def, double *out, char *err, size_t errlen)
{
    if (!lmp_json_get(args, key)) { *out = def; return 0; }
    return va_double(args, key, out, err, errlen);
}

int va_long(const lmp_json_value *args, const char *key, long *out, char *err, size_t errlen)
{
    double d;
    if (va_double(args, key, &d, err, errlen)) return -1;
    if (d != floor(d) || fabs(d) > 9.0e15) {
        snprintf(err, errlen, "argument '%s': expected an integer, got %.17g", key, d);
        return -1;
    }
    *out = (long)d;
    return 0;
}

int va_long_opt(const lmp_json_value *args, const char *key, long def, long *out, char *err, size_t errlen)
{
    if (!lmp_json_get(args, key)) { *out = def; return 0; }
    return va_long(args, key, out, err, errlen);
}

int va_bool_opt(const lmp_json_value *args, const char *key, int def, int *out, char *err, size_t errlen)
{
    const lmp_json_value *v = lmp_json_get(args, key);
    if (!v) { *out = def; return 0; }
    if (v->type != LMP_JSON_BOOL) { snprintf(err, errlen, "argument '%s': expected true or false", key); return -1; }
    *out = v->boolean;
    return 0;
}

const char *va_string_opt(const lmp_json_value *args, const char *key)
{
    const lmp_json_value *v = lmp_json_get(args, key);
    return v && v->type == LMP_JSON_STRING ? v->str : NULL;
}

int va_base(const lmp_json_value *args, const char *key, double *base, char *err, size_t errlen)
{
    const lmp_json_value *v = lmp_json_get(args, key);
    if (!v || v->type == LMP_JSON_NULL || (v->type == LMP_JSON_STRING && strcmp(v->str, "e") == 0)) {
        *base = M_E;
        return 0;
    }
    if (v->type == LMP_JSON_NUMBER && v->num > 0 && v->num != 1) { *base = v->num; return 0; }
    snprintf(err, errlen, "argument '%s': expected \"e\" or a positive number other than 1", key);
    return -1;
}

int va_vector(const lmp_json_value *args, const char *key, double **out, size_t *n, char *err, size_t errlen)
{
    const lmp_json_value *v = lmp_json_get(args, key);
    if (!v) { snprintf(err, errlen, "argument '%s' is missing", key); return -1; }
    double *x = NULL;
    size_t len = 0;
    if (v->type == LMP_JSON_ARRAY) {
        len = v->n;
        x = malloc((len ? len : 1) * sizeof *x);
        if (!x) { snprintf(err, errlen, "out of memory"); return -1; }
        for (size_t i = 0; i < len; i++) {
            if (num_of(&v->items[i], &x[i])) {
                snprintf(err, errlen, "argument '%s': item %zu is not a number", key, i);
                free(x);
                return -1;
            }
        }
    } else if (v->type == LMP_JSON_OBJECT) {
        double size_d;
        if (va_double(v, "size", &size_d, err, errlen)) return -1;
        if (size_d < 0 || size_d != floor(size_d) || size_d > VERIFY_MAX_GENERATED) {
            snprintf(err, errlen, "argument '%s': generator size %.17g: expected an integer from 0 to %u", key, size_d,
                     VERIFY_MAX_GENERATED);
            return -1;
        }
        len = (size_t)size_d;
        x = malloc((len ? len : 1) * sizeof *x);
        if (!x) { snprintf(err, errlen, "out of memory"); return -1; }
        if (lmp_json_get(v, "start")) {
            double a, d;
            if (va_double(v, "start", &a, err, errlen) || va_double(v, "step", &d, err, errlen)) {
                free(x);
                return -1;
            }
            for (size_t i = 0; i < len; i++) x[i] = a + (double)i * d;
        } else {
            double c;
            if (va_double(v, "fill", &c, err, errlen)) { free(x); return -1; }
            for (size_t i = 0; i < len; i++) x[i] = c;
            const lmp_json_value *set = lmp_json_get(v, "set");
            if (set && set->type == LMP_JSON_OBJECT) {
                for (size_t k = 0; k < set->n; k++) {
                    char *end;
                    errno = 0;
                    unsigned long idx = strtoul(set->keys[k], &end, 10);
                    double val;
                    if (*end || errno || idx >= len || num_of(&set->items[k], &val)) {
                        snprintf(err, errlen, "argument '%s': bad \"set\" entry '%s'", key, set->keys[k]);
                        free(x);
                        return -1;
                    }
                    x[idx] = val;
                }
            }
        }
    } else {
        snprintf(err, errlen, "argument '%s': expected a list or a generator object", key);
        return -1;
    }
    *out = x;
    *n = len;
    return 0;
}

int va_long_vector(const lmp_json_value *args, const char *key, long **out, size_t *n, char *err, size_t errlen)
{
    double *d;
    size_t len;
    if (va_vector(args, key, &d, &len, err, errlen)) return -1;
    long *x = malloc((len ? len : 1) * sizeof *x);
    if (!x) { free(d); snprintf(err, errlen, "out of memory"); return -1; }
    for (size_t i = 0; i < len; i++) {
        if (d[i] != floor(d[i]) || fabs(d[i]) > 9e15) {
            snprintf(err, errlen, "argument '%s': item %zu is not an integer", key, i);
            free(d);
            free(x);
            return -1;
        }
        x[i] = (long)d[i];
    }
    free(d);
    *out = x;
    *n = len;
    return 0;
}

int va_matrix(const lmp_json_value *args, const char *key, double **out, size_t *rows, size_t *cols, char *err,
              size_t errlen)
{
    const lmp_json_value *v = lmp_json_get(args, key);
    if (!v || v->type != LMP_JSON_ARRAY || v->n == 0) {
        snprintf(err, errlen, "argument '%s': expected a non-empty list of rows", key);
        return -1;
    }
    size_t r = v->n, c = v->items[0].type == LMP_JSON_ARRAY ? v->items[0].n : 0;
    double *m = malloc((r * c > 0 ? r * c : 1) * sizeof *m);
    if (!m) { snprintf(err, errlen, "out of memory"); return -1; }
    for (size_t i = 0; i < r; i++) {
        const lmp_json_value *row = &v->items[i];
        if (row->type != LMP_JSON_ARRAY || row->n != c) {
            snprintf(err, errlen, "argument '%s': row %zu is not a list of %zu numbers", key, i, c);
            free(m);
            return -1;
        }
        for (size_t j = 0; j < c; j++)
            if (num_of(&row->items[j], &m[i * c + j])) {
                snprintf(err, errlen, "argument '%s': [%zu][%zu] is not a number", key, i, j);
                free(m);
                return -1;
            }
    }
    *out = m;
    *rows = r;
    *cols = c;
    return 0;
}

/* ---- result writers ------------------------------------------------------ */

int vo_room(const verify_out *out, uint64_t n, const char *what, char *err, size_t errlen)
{
    if (n <= out->max_n) return 0;
    snprintf(err, errlen, "%s = %llu values: expected at most the %zu values the case expects", what,
             (unsigned long long)n, out->max_n);
    return -1;
}

static int vo_alloc(verify_out *out, size_t n)
{
    free(out->v);
    out->v = malloc((n > 0 ? n : 1) * sizeof *out->v);
    out->n = out->v ? n : 0;
    if (!out->v) out->oom = 1;
    return out->v ? 0 : -1;
}

int vo_scalar(verify_out *out, double x)
{
    if (vo_alloc(out, 1)) return -1;
    out->v[0] = x;
    out->rows = out->cols = 0;
    return 0;
}

int vo_vector(verify_out *out, const double *v, size_t n)
{
    if (vo_alloc(out, n)) return -1;
    if (n) memcpy(out->v, v, n * sizeof *v);
    out->rows = n;
    out->cols = 0;
    return 0;
}

int vo_long_vector(verify_out *out, const long *v, size_t n)
{
    if (vo_alloc(out, n)) return -1;
    for (size_t i = 0; i < n; i++) out->v[i] = (double)v[i];
    out->rows = n;
    out->cols = 0;
    return 0;
}

int vo_matrix(verify_out *out, const double *m, size_t rows, size_t cols)
{
    if (vo_alloc(out, rows * cols)) return -1;
    if (rows * cols > 0) memcpy(out->v, m, rows * cols * sizeof *m);
    out->rows = rows;
    out->cols = cols;
    return 0;
}

/* ---- the runner ------------------------------------------------------------ */

/* The runner's own allocation failing: not a malformed case, and not a failed one (issue 11's audit: it was
 * reported as "malformed expected value or tolerance"); the run stops (cmd_verify). */
#define VERIFY_OOM (-2)

/* Flatten `expected` into *v. Returns 0, -1 (malformed) or VERIFY_OOM. */
static int flatten(const lmp_json_value *e, double **v, size_t *n, size_t *cap)
{
    if (e->type == LMP_JSON_ARRAY) {
        for (size_t i = 0; i < e->n; i++) {
            int rc = flatten(&e->items[i], v, n, cap);
            if (rc) return rc;
        }
        return 0;
    }
    double x;
    if (e->type == LMP_JSON_BOOL) x = e->boolean;
    else if (num_of(e, &x)) return -1;
    if (*n == *cap) { /* the capacity grows with the block, not before it (a failed realloc left it doubled) */
        const size_t nc = *cap ? 2 * *cap : 16;
        double *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return VERIFY_OOM;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return 0;
}

/* A case's "rtol" or "atol": absent (def), one number for every element, or a list with one per element
 * (the accuracy suite's per-element tolerances, tests/accuracy). *out gets n values. Returns -1 when malformed,
 * VERIFY_OOM when out of memory. */
static int tolerances(const lmp_json_value *cs, const char *key, double def, size_t n, double **out)
{
    *out = malloc((n ? n : 1) * sizeof **out);
    if (!*out) return VERIFY_OOM;
    const lmp_json_value *v = lmp_json_get(cs, key);
    if (v && v->type == LMP_JSON_ARRAY) {
        double *t = NULL;
        size_t nt = 0, cap = 0;
        int rc = flatten(v, &t, &nt, &cap);
        if (rc || nt != n) {
            free(t);
            return rc ? rc : -1;
        }
        for (size_t k = 0; k < n; k++) (*out)[k] = t[k];
        free(t);
    } else {
        double x = def;
        if (v && num_of(v, &x)) return -1;
        for (size_t k = 0; k < n; k++) (*out)[k] = x;
    }
    for (size_t k = 0; k < n; k++)
        if (!((*out)[k] >= 0)) return -1;
    return 0;
}

static int same(double got, double want, int exact, double rtol, double atol)
{
    if (isnan(want)) return isnan(got);
    if (exact) return got == want;
    if (isinf(want)) return got == want;
    if (!isfinite(got)) return 0;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

static void print_vals(const double *v, size_t n)
{
    if (n == 1) { printf("%.17g", cli_text_num(v[0])); return; }
    printf("[");
    size_t show = n > 12 ? 12 : n;
    for (size_t i = 0; i < show; i++) printf("%s%.17g", i ? ", " : "", cli_text_num(v[i]));
    if (show < n) printf(", ... (%zu values)", n);
    printf("]");
}

/* One failing case, as text or as a JSON array element. */
static void report_failure(int json, long *nreported, const char *name, const char *why, const double *want,
                           size_t nw, const double *got, size_t ng)
{
    if (!json) {
        printf("FAIL %s: ", name);
        if (want) {
            printf("expected ");
            print_vals(want, nw);
            printf(", ");
        }
        if (got) {
            printf("got ");
            print_vals(got, ng);
        } else {
            printf("%s", why);
        }
        printf("\n");
        return;
    }
    printf("%s\n    {\"name\": ", (*nreported)++ ? "," : "");
    cli_json_string(stdout, name);
    if (want) {
        printf(", \"expected\": ");
        cli_json_doubles(stdout, want, nw);
    }
    if (got) {
        printf(", \"got\": ");
        cli_json_doubles(stdout, got, ng);
    } else {
        printf(", \"error\": ");
        cli_json_string(stdout, why);
    }
    printf("}");
}

/* A file that cannot be read or is not a golden file: one failure, on stderr, and in the JSON's list too
 * (its "failed" counted it, and the list left it out), named by its path. */
static void file_failure(int json, long *nreported, const char *path, const char *why)
{
    cli_error("verify: %s: %s", cli_input_name(path), why);
    if (json) report_failure(json, nreported, cli_input_name(path), why, NULL, 0, NULL, 0);
}

static void usage(FILE *f)
{
    fputs("usage: lmprob verify [--verbose] [--json] FILE|-...   (lmprob verify --list)\n"
          "\n"
          "Evaluate every case of golden reference files (schema 1, see ../shared/golden/README.md)\n"
          "with lmprob's own functions. Prints one line per failing case (name, expected, got) and a\n"
          "last line 'N passed, M failed'. Exit status 0 only when no case fails and every case's\n"
          "function is known. A case's \"rtol\" and \"atol\" are one number, or a list with one per\n"
          "element of \"expected\" (the accuracy suite's per-element tolerances, docs/accuracy.md).\n"
          "Out of memory, the run stops at that case (neither passed nor failed), with a message on\n"
          "standard error and exit 1; the report counts the cases before it.\n"
          "\n"
          "  --list     print the functions this build can evaluate, one per line\n"
          "  --verbose  also print a line for each passing case\n"
          "  --json     one JSON object: passed, failed, and each failure's name, expected, got\n\n"
            "example: lmprob verify ../shared/golden/reference.json\n",
          f);
}

int cmd_verify(int argc, char **argv)
{
    int verbose = 0, json = 0, nfiles = 0;
    int list = 0;
    const cli_opt table[] = {
        {.name = "--verbose", .kind = CLI_OPT_FLAG, .dest = &verbose},
        {.name = "--list", .kind = CLI_OPT_FLAG, .dest = &list},
        CLI_OPT_JSON(&json),
    };
    const char **files = malloc((size_t)argc * sizeof *files);
    size_t nf = 0;
    if (!files) return cli_fail_status("verify", LMP_ENOMEM, NULL);
    int prc = cli_parse("verify", argc, argv, table, CLI_NOPTS(table), files, (size_t)argc, &nf, usage);
    nfiles = (int)nf;
    if (prc == CLI_OK && list) {
        for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
            for (const verify_entry *e = tables[t]; e->function; e++) printf("%s\n", e->function);
    }
    if (prc == CLI_OK && !list && nfiles == 0) {
        usage(stderr);
        prc = CLI_USAGE;
    }
    if (prc != CLI_OK || list) {
        free(files);
        return prc;
    }
    /* Before the report: every file can be read (a missing one printed "0 passed, 1 failed" as if a case had
     * failed), standard input is read once ("- -" found nothing the second time), and a terminal on standard
     * input is told (it waited in silence). What a readable file holds is the report's: a file that is not a
     * reference file counts as a failure there. */
    {
        const char **what = malloc((size_t)nfiles * sizeof *what);
        char (*label)[24] = malloc((size_t)nfiles * sizeof *label);
        int bad = !what || !label;
        for (int i = 0; !bad && i < nfiles; i++) {
            snprintf(label[i], sizeof label[i], "FILE %d", i + 1);
            what[i] = label[i];
        }
        if (!bad && cli_inputs_once("verify", what, files, (size_t)nfiles) != CLI_OK) prc = CLI_USAGE;
        for (int i = 0; !bad && prc == CLI_OK && i < nfiles; i++)
            if (cli_check_input("verify", files[i])) prc = CLI_FAIL;
        free(what);
        free(label);
        if (bad) prc = cli_fail_status("verify", LMP_ENOMEM, NULL);
        if (prc != CLI_OK) {
            free(files);
            return prc;
        }
    }
    long passed = 0, failed = 0, nreported = 0;
    /* Out of memory, in the runner or in a case (an adapter's or the library's "out of memory"): the case's
     * result is unknown, so it is neither passed nor failed; the run stops there, the report so far is closed
     * (valid JSON with --json), and the reason goes to standard error with exit 1. */
    char oom_case[64] = "";
    const char *oom_why = NULL;
    char oom_msg[600];
    if (json) printf("{\"failures\": [");
    for (int i = 0; i < nfiles && !oom_why; i++) {
        const char *path = files[i];
        size_t len;
        char *text = NULL;
        lmp_error rerr;
        /* "-" is standard input (lmp_read_file), as docs/cli.md says */
        if (lmp_read_file(path, 0, &text, &len, &rerr)) {
            /* the failure names the file apart: the message from "cannot read" on */
            const char *why = strstr(rerr.msg, "cannot read");
            file_failure(json, &nreported, path, why ? why : rerr.msg);
            failed++;
            continue;
        }
        lmp_error perr;
        lmp_json_value *root;
        lmp_status jst = lmp_json_parse(text, len, NULL, &root, &perr);
        free(text);
        const lmp_json_value *cases = root ? lmp_json_get(root, "cases") : NULL;
        if (!root || !cases || cases->type != LMP_JSON_ARRAY) {
            file_failure(json, &nreported, path, jst ? perr.msg : "expected an object with a \"cases\" list");
            lmp_json_free(root);
            failed++;
            continue;
        }
        const lmp_json_value *schema = lmp_json_get(root, "schema");
        if (schema && (schema->type != LMP_JSON_NUMBER || schema->num != 1)) {
            char fwhy[64];
            snprintf(fwhy, sizeof fwhy, "schema %g is not supported (expected 1)",
                     schema->type == LMP_JSON_NUMBER ? schema->num : -1.0);
            file_failure(json, &nreported, path, fwhy);
            lmp_json_free(root);
            failed++;
            continue;
        }
        for (size_t c = 0; c < cases->n && !oom_why; c++) {
            const lmp_json_value *cs = &cases->items[c];
            const char *name = va_string_opt(cs, "name");
            const char *fname = va_string_opt(cs, "function");
            const lmp_json_value *args = lmp_json_get(cs, "args");
            const lmp_json_value *exp = lmp_json_get(cs, "expected");
            char label[64];
            if (!name) { snprintf(label, sizeof label, "case %zu", c); name = label; }
            if (!fname || !args || !exp) {
                report_failure(json, &nreported, name, "malformed case (needs function, args, expected)", NULL, 0,
                               NULL, 0);
                failed++;
                continue;
            }
            verify_fn fn = find_fn(fname);
            if (!fn) {
                char why[256];
                snprintf(why, sizeof why, "unknown function '%s'", fname);
                report_failure(json, &nreported, name, why, NULL, 0, NULL, 0);
                failed++;
                continue;
            }
            int exact = 0;
            char err[512] = "";
            va_bool_opt(cs, "exact", 0, &exact, err, sizeof err);
            double *want = NULL, *rtol = NULL, *atol = NULL;
            size_t nw = 0, capw = 0;
            int mrc = flatten(exp, &want, &nw, &capw);
            if (!mrc) mrc = tolerances(cs, "rtol", 1e-12, nw, &rtol);
            if (!mrc) mrc = tolerances(cs, "atol", 0.0, nw, &atol);
            if (mrc == VERIFY_OOM) {
                snprintf(oom_case, sizeof oom_case, "%s", name);
                oom_why = "out of memory";
                free(want);
                free(rtol);
                free(atol);
                break;
            }
            if (mrc) {
                report_failure(json, &nreported, name,
                               "malformed expected value or tolerance (rtol/atol: a number >= 0, or one per "
                               "expected element)", NULL, 0, NULL, 0);
                free(want);
                free(rtol);
                free(atol);
                failed++;
                continue;
            }
            verify_out out = {0};
            out.max_n = nw;
            err[0] = '\0';
            int rc = fn(args, &out, err, sizeof err);
            int ok = rc == 0 && out.n == nw;
            for (size_t k = 0; ok && k < nw; k++) ok = same(out.v[k], want[k], exact, rtol[k], atol[k]);
            if (rc && (out.oom || strstr(err, "out of memory"))) {
                snprintf(oom_case, sizeof oom_case, "%s", name);
                snprintf(oom_msg, sizeof oom_msg, "%s", err[0] ? err : "out of memory");
                oom_why = oom_msg;
            } else if (ok) {
                passed++;
                if (verbose && !json) printf("ok   %s\n", name);
            } else {
                failed++;
                char why[600];
                snprintf(why, sizeof why, "error: %s", err[0] ? err : "(no message)");
                report_failure(json, &nreported, name, why, want, nw, rc ? NULL : out.v, out.n);
            }
            free(want);
            free(rtol);
            free(atol);
            free(out.v);
        }
        lmp_json_free(root);
    }
    if (json) printf("%s], \"passed\": %ld, \"failed\": %ld}\n", nreported ? "\n" : "", passed, failed);
    else printf("%ld passed, %ld failed\n", passed, failed);
    free(files);
    if (oom_why) {
        fflush(stdout);
        fprintf(stderr, "lmprob: verify: %s: %s: the run stopped at this case (the report counts the cases before it)\n",
                oom_case, oom_why);
        return CLI_FAIL;
    }
    return failed ? CLI_FAIL : CLI_OK;
}
