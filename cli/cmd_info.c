/* `lmprob info`: entropy, cross-entropy, KL and JS of distributions given on
 * the command line or in files; entropy of softmax(logits); perplexity of
 * log-probabilities. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/info.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob info [options]\n"
            "  --p LIST | --p-file FILE   distribution p (comma/space separated; must sum to 1 within 1e-9)\n"
            "  --q LIST | --q-file FILE   distribution q (same length as p)\n"
            "  --normalize                p and q are weights, each divided by its sum, instead of summing to 1\n"
            "  --logits LIST              entropy of softmax(logits)\n"
            "  --log-probs LIST           perplexity exp(-mean(log p)) of natural-log probabilities\n"
            "  --base e|2|10|B            log base of the results (default e: nats; 2: bits)\n"
            "  --json                     results as JSON\n"
            "Prints H(p) [, H(q), H(p,q), KL(p||q), KL(q||p), JS(p,q), JS distance].\n\n"
           "example: lmprob info --p 0.5,0.25,0.25 --q 0.4,0.4,0.2 --base 2\n");
}

/* Read a distribution and check it as dist --p is (cli_probs_check: entries >= 0, summing to 1
 * within 1e-9, or weights with --normalize). Returns CLI_OK, CLI_USAGE for a list that is not
 * numbers and for an inline list that is no distribution (option values outside their domain, as
 * dist categorical's --p and every dist family's parameters), CLI_FAIL for a file's numbers that
 * are not one, a bad file or no memory. With --normalize the
 * check divides a copy: the weights are passed on as they are, since the library's functions
 * normalise them exactly (a power-of-two scaling first), where the divided values would round a
 * probability of 1e-600 ([1e300, 1e-300]) to 0 and make the KL +inf. */
static int get_dist(const char *name, const char *list, const char *file, int normalize, double **v, size_t *n)
{
    /* the option, and for a file its name too: "info: --p-file b3.txt: sum of p = 1.1" (it named no file) */
    char label[4200], flag[4160];
    if (list) snprintf(flag, sizeof flag, "--%s", name);
    else snprintf(flag, sizeof flag, "--%s-file %.4096s", name, file);
    snprintf(label, sizeof label, "info: %s", flag);
    if (!list) cli_stdin_note("info", file);
    if (list) {
        int lrc = cli_parse_double_list(label, list, v, n);
        if (lrc) return lrc;
    } else if (cli_read_doubles("info", file, 0, v, n)) return CLI_FAIL;
    double *chk = normalize ? malloc(*n * sizeof *chk) : *v;
    if (!chk) {
        cli_error("info: %s: out of memory for %zu values", flag, *n);
    } else {
        if (normalize) memcpy(chk, *v, *n * sizeof *chk);
        int bad = cli_probs_check("info", flag, chk, *n, normalize);
        if (normalize) free(chk);
        if (!bad) return CLI_OK;
    }
    free(*v);
    *v = NULL;
    return list && chk ? CLI_USAGE : CLI_FAIL; /* an inline list is an option's value; a file is data */
}

typedef struct result {
    const char *key, *label;
    double v;
} result;

/* --base: "e", or a finite number > 0 other than 1. */
static int parse_base(const char *v, void *dest)
{
    if (strcmp(v, "e") == 0) {
        *(double *)dest = LMP_BASE_E;
        return 0;
    }
    double b; /* the strict number rules of every flag (0x10 was read as 16 here alone) */
    if (cli_scan_double(v, CLI_NUM_FINITE, &b) || !(b > 0) || b == 1) return -1;
    *(double *)dest = b;
    return 0;
}

int cmd_info(int argc, char **argv)
{
    const char *p_list = NULL, *p_file = NULL, *q_list = NULL, *q_file = NULL, *logits = NULL, *logp = NULL;
    double base = LMP_BASE_E;
    const char *unit = "nats";
    int normalize = 0, json = 0;
    const cli_opt table[] = {
        CLI_OPT_PROBS("--p", &p_list, NULL),
        {.name = "--p-file", .kind = CLI_OPT_STR, .dest = &p_file},
        CLI_OPT_PROBS("--q", &q_list, NULL),
        {.name = "--q-file", .kind = CLI_OPT_STR, .dest = &q_file},
        CLI_OPT_LOGITS(&logits),
        {.name = "--log-probs", .kind = CLI_OPT_STR, .dest = &logp, .expect = "natural log-probabilities <= 0 (-inf allowed), comma-separated"},
        {.name = "--base", .kind = CLI_OPT_CUSTOM, .dest = &base, .parse = parse_base,
         .expect = "e or a positive number other than 1"},
        {.name = "--normalize", .kind = CLI_OPT_FLAG, .dest = &normalize},
        CLI_OPT_JSON(&json),
    };
    int prc = cli_parse("info", argc, argv, table, CLI_NOPTS(table), NULL, 0, NULL, usage);
    if (prc) return prc;
    unit = base == LMP_BASE_E ? "nats" : base == 2 ? "bits" : base == 10 ? "bans" : "units";
    if ((p_list && p_file) || (q_list && q_file)) {
        cli_error("info: expected a list or a file for each distribution, got both");
        return CLI_USAGE;
    }
    if (!p_list && !p_file && !logits && !logp) {
        cli_error("info: expected --p (or --p-file), --logits or --log-probs");
        return CLI_USAGE;
    }
    if ((q_list || q_file) && !(p_list || p_file)) {
        cli_error("info: --q needs --p");
        return CLI_USAGE;
    }
    const char *const in_what[] = {"--p-file", "--q-file"}, *const in_paths[] = {p_file, q_file};
    if (cli_inputs_once("info", in_what, in_paths, 2)) return CLI_USAGE; /* the second read would find nothing */
    result r[16];
    size_t nr = 0;
    double *p = NULL, *q = NULL, *x = NULL;
    size_t np = 0, nq = 0, nx = 0;
    int rc = CLI_FAIL;
    if (p_list || p_file) {
        if ((rc = get_dist("p", p_list, p_file, normalize, &p, &np))) goto done;
        rc = CLI_FAIL;
        r[nr++] = (result){"H_p", "H(p)", lmp_entropy(p, np, base)};
        if (q_list || q_file) {
            if ((rc = get_dist("q", q_list, q_file, normalize, &q, &nq))) goto done;
            rc = CLI_FAIL;
            if (nq != np) {
                cli_error("info: %s: expected %zu probabilities (as many as p), got %zu", q_list ? "--q" : "--q-file",
                          np, nq);
                if (q_list && p_list) rc = CLI_USAGE; /* both typed as options: a usage error; from files, data */
                goto done;
            }
            r[nr++] = (result){"H_q", "H(q)", lmp_entropy(q, nq, base)};
            r[nr++] = (result){"cross_entropy", "H(p, q)", lmp_cross_entropy(p, q, np, base)};
            r[nr++] = (result){"kl_pq", "KL(p || q)", lmp_kl_divergence(p, q, np, base)};
            r[nr++] = (result){"kl_qp", "KL(q || p)", lmp_kl_divergence(q, p, np, base)};
            r[nr++] = (result){"js_divergence", "JS(p, q)", lmp_js_divergence(p, q, np, base)};
            r[nr++] = (result){"js_distance", "JS distance", lmp_js_distance(p, q, np, base)};
        }
    }
    /* a list that is not numbers is a usage error (exit 2), as --p's; -inf is a logit and a
     * log-probability (probability 0), as docs/information.md says and decode takes it */
    if (logits) {
        if ((rc = cli_parse_number_list("info: --logits", logits, CLI_NUM_NEG_INF, &x, &nx))) goto done;
        size_t fin = 0;
        for (size_t i = 0; i < nx; i++) fin += x[i] > -INFINITY;
        if (fin == 0) {
            cli_error("info: --logits: all %zu logits are -inf: expected at least one finite logit", nx);
            rc = CLI_USAGE; /* an option's value outside its domain */
            goto done;
        }
        double ilb = base == LMP_BASE_E ? 1.0 : 1.0 / log(base);
        r[nr++] = (result){"entropy_of_softmax", "H(softmax(logits))", lmp_entropy_of_logits(x, nx) * ilb};
        free(x);
        x = NULL;
    }
    if (logp) {
        if ((rc = cli_parse_number_list("info: --log-probs", logp, CLI_NUM_NEG_INF, &x, &nx))) goto done;
        for (size_t i = 0; i < nx; i++)
            if (x[i] > 0) {
                cli_error("info: --log-probs: item %zu: expected a log-probability <= 0, got '%g'", i + 1, x[i]);
                rc = CLI_USAGE;
                goto done;
            }
        r[nr++] = (result){"perplexity", "perplexity", lmp_perplexity(x, nx)};
    }
    if (json) {
        printf("{\"base\": ");
        cli_json_double(stdout, base);
        for (size_t i = 0; i < nr; i++) {
            printf(", \"%s\": ", r[i].key);
            cli_json_double(stdout, r[i].v);
        }
        printf("}\n");
    } else {
        for (size_t i = 0; i < nr; i++) {
            int is_ppl = strcmp(r[i].key, "perplexity") == 0;
            /* the JS distance is the square root of a divergence: the root of its unit */
            if (strcmp(r[i].key, "js_distance") == 0)
                printf("%-20s %.10g (the square root of JS in %s)\n", r[i].label, cli_text_num(r[i].v), unit);
            else printf("%-20s %.10g%s%s\n", r[i].label, cli_text_num(r[i].v), is_ppl ? "" : " ", is_ppl ? "" : unit);
        }
    }
    rc = CLI_OK;
done:
    free(p);
    free(q);
    free(x);
    return rc;
}
