/* `lmprob nn`: weight initialisers, layer norm, the VAE reparameterisation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/nn.h"
#include "lmprob/stats.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob nn init --kind K --fan-in I [--fan-out O] [--print N] [--seed S] [--rng xoshiro|numpy] [--json]\n"
            "       lmprob nn layernorm --x LIST [--eps E] [--gain LIST] [--shift LIST] [--json]\n"
            "       lmprob nn reparam --mean LIST (--std LIST | --logvar LIST) [--seed S] [--rng xoshiro|numpy] [--json]\n"
            "\n"
            "init       K = xavier_normal (std sqrt(2/(I+O))), xavier_uniform (bound sqrt(6/(I+O))),\n"
            "           he_normal (std sqrt(2/I)) or he_uniform (bound sqrt(6/I)). Fills an I x O matrix\n"
            "           (O defaults to I) and prints the theoretical and the sample mean/std, and the\n"
            "           first N values with --print N. With --rng numpy the values equal\n"
            "           np.random.seed(S); np.random.normal(0, std, (I, O)) (or uniform(-b, b, ...)).\n"
            "layernorm  (x - mean) / sqrt(var + eps) * gain + shift with the biased variance (eps 1e-5):\n"
            "           gain and shift are the formula's gamma and beta (torch's weight and bias).\n"
            "reparam    z = mean + eps * std with eps ~ N(0, 1) (std = exp(logvar / 2) with --logvar),\n"
            "           as the chapter's vae_reparameterize.\n"
            "LIST is numbers separated by commas. --seed defaults to %d; --rng to xoshiro.\n\n"
           "examples:\n"
           "  lmprob nn init --kind he_normal --fan-in 256 --fan-out 128 --rng numpy --seed 0\n"
           "  lmprob nn layernorm --x 1,2,3,4 --gain 1,1,1,1 --shift 0,0,0,0\n"
           "  lmprob nn reparam --mean 0,1 --logvar 0,-2 --rng numpy --seed 0 --json\n",
            CLI_DEFAULT_SEED);
}

static int init(int argc, char **argv)
{
    const char *kind_s = NULL;
    long fan_in = -1, fan_out = -1, nprint = 0;
    uint64_t seed = CLI_DEFAULT_SEED;
    lmp_rng_kind rk = LMP_RNG_XOSHIRO;
    int json = 0;
    const cli_opt opts[] = {
        CLI_OPT_SEED(&seed),
        CLI_OPT_RNG(&rk),
        CLI_OPT_JSON(&json),
        {.name = "--kind", .kind = CLI_OPT_STR, .dest = &kind_s},
        {.name = "--fan-in", .kind = CLI_OPT_LONG, .dest = &fan_in, .lo = 1, .hi = 100000, .expect = "an integer from 1 to 100000"},
        {.name = "--fan-out", .kind = CLI_OPT_LONG, .dest = &fan_out, .lo = 1, .hi = 100000, .expect = "an integer from 1 to 100000"},
        {.name = "--print", .kind = CLI_OPT_LONG, .dest = &nprint, .lo = 0, .hi = 1e15, .expect = CLI_DOMAIN_COUNT},
    };
    int rc = cli_parse("nn init", argc, argv, opts, CLI_NOPTS(opts), NULL, 0, NULL, usage);
    if (rc) return rc;
    if (cli_seed_check("nn init", rk, seed)) return CLI_USAGE;
    if (!kind_s || fan_in < 0) {
        cli_error("nn init: expected --kind K and --fan-in I");
        return CLI_USAGE;
    }
    if (fan_out < 0) fan_out = fan_in;
    lmp_nn_init_kind kind;
    lmp_error e;
    if (lmp_nn_init_parse(kind_s, &kind, &e)) {
        cli_error("nn init: --kind: %s", e.msg);
        return CLI_USAGE;
    }
    if ((unsigned long)fan_in * (unsigned long)fan_out > 100000000UL) {
        cli_error("nn init: --fan-in x --fan-out = %ld x %ld: expected at most 1e8 weights", fan_in, fan_out);
        return CLI_USAGE;
    }
    lmp_rng r;
    if (lmp_rng_seed(&r, rk, seed, &e)) return cli_fail_status("nn init", e.code, &e);
    size_t n = (size_t)fan_in * (size_t)fan_out;
    double *w = malloc(n * sizeof *w);
    if (!w) { cli_error("nn init: out of memory for %zu weights", n); return CLI_FAIL; }
    if (lmp_nn_init_fill(&r, kind, (size_t)fan_in, (size_t)fan_out, w, n, &e)) {
        free(w);
        return cli_fail_status("nn init", e.code, &e);
    }
    int normal = kind == LMP_NN_XAVIER_NORMAL || kind == LMP_NN_HE_NORMAL;
    double scale = kind == LMP_NN_XAVIER_NORMAL    ? lmp_nn_xavier_normal_std((double)fan_in, (double)fan_out)
                   : kind == LMP_NN_XAVIER_UNIFORM ? lmp_nn_xavier_uniform_bound((double)fan_in, (double)fan_out)
                   : kind == LMP_NN_HE_NORMAL      ? lmp_nn_he_normal_std((double)fan_in)
                                                   : lmp_nn_he_uniform_bound((double)fan_in);
    double theo_std = normal ? scale : scale / sqrt(3.0);
    double mean = lmp_stats_mean(w, n), sd = lmp_stats_stddev(w, n, 0);
    size_t np = (size_t)nprint < n ? (size_t)nprint : n;
    if (json) {
        printf("{\"seed\": %llu, \"rng\": \"%s\", \"kind\": \"%s\", \"fan_in\": %ld, \"fan_out\": %ld, \"%s\": ",
               (unsigned long long)seed, rk == LMP_RNG_NUMPY_LEGACY ? "numpy" : "xoshiro", kind_s, fan_in, fan_out,
               normal ? "std" : "bound");
        cli_json_double(stdout, scale);
        printf(", \"theoretical_std\": ");
        cli_json_double(stdout, theo_std);
        printf(", \"sample_mean\": ");
        cli_json_double(stdout, mean);
        printf(", \"sample_std\": ");
        cli_json_double(stdout, sd);
        printf(", \"values\": ");
        cli_json_doubles(stdout, w, np);
        printf("}\n");
    } else {
        /* the normal kinds' scale is their std: said once (it read "std 0.0441941738 (theoretical std 0.0441942)") */
        if (normal) printf("%s %ld x %ld: std %.10g\n", kind_s, fan_in, fan_out, cli_text_num(scale));
        else
            printf("%s %ld x %ld: bound %.10g (std %.6g)\n", kind_s, fan_in, fan_out, cli_text_num(scale),
                   cli_text_num(theo_std));
        printf("sample mean %.6g, sample std %.6g over %zu weights (seed %llu, %s)\n", cli_text_num(mean),
               cli_text_num(sd), n,
               (unsigned long long)seed, rk == LMP_RNG_NUMPY_LEGACY ? "numpy" : "xoshiro");
        for (size_t i = 0; i < np; i++) printf("%.17g\n", w[i]);
    }
    free(w);
    return CLI_OK;
}

static int layernorm(int argc, char **argv)
{
    double *x = NULL, *g = NULL, *b = NULL, eps = 1e-5;
    size_t n = 0, ng = 0, nb = 0;
    int json = 0, rc = CLI_USAGE;
    const char *xs = NULL, *gs = NULL, *bs = NULL;
    const cli_opt opts[] = {
        CLI_OPT_JSON(&json),
        {.name = "--x", .kind = CLI_OPT_STR, .dest = &xs, .expect = "numbers, comma-separated"},
        {.name = "--gain", .kind = CLI_OPT_STR, .dest = &gs, .expect = "the gains (gamma), comma-separated"},
        {.name = "--shift", .kind = CLI_OPT_STR, .dest = &bs, .expect = "the shifts (beta), comma-separated"},
        /* --beta is kl's coefficient; --gamma goes with it (docs/cli.md "One name, one meaning") */
        {.name = "--gamma", .alias = "--gain", .kind = CLI_OPT_RENAMED, .expect = "layer norm's gains, comma-separated"},
        {.name = "--beta", .alias = "--shift", .kind = CLI_OPT_RENAMED,
         .expect = "layer norm's shifts, comma-separated (--beta is kl's coefficient)"},
        {.name = "--eps", .kind = CLI_OPT_DOUBLE, .dest = &eps, .lo = 0, .hi = 1e300, .expect = "eps >= 0"},
    };
    int prc = cli_parse("nn layernorm", argc, argv, opts, CLI_NOPTS(opts), NULL, 0, NULL, usage);
    if (prc) return prc;
    int lrc = 0; /* a list's failure: CLI_USAGE, or CLI_FAIL when memory ran out */
    if ((xs && (lrc = cli_parse_double_list("nn layernorm: --x", xs, &x, &n))) ||
        (gs && (lrc = cli_parse_double_list("nn layernorm: --gain", gs, &g, &ng))) ||
        (bs && (lrc = cli_parse_double_list("nn layernorm: --shift", bs, &b, &nb)))) {
        rc = lrc;
        goto out;
    }
    if (!x) { cli_error("nn layernorm: --x: expected a list of numbers"); goto out; }
    if (g && ng != n) { cli_error("nn layernorm: --gain has %zu values: expected %zu (as --x)", ng, n); goto out; }
    if (b && nb != n) { cli_error("nn layernorm: --shift has %zu values: expected %zu (as --x)", nb, n); goto out; }
    double *y = malloc(n * sizeof *y);
    if (!y) { cli_error("nn layernorm: out of memory"); rc = CLI_FAIL; goto out; }
    lmp_error e;
    if (lmp_nn_layer_norm(x, n, eps, g, b, y, &e)) {
        cli_error("nn layernorm: %s", e.msg);
        free(y);
        rc = e.code == LMP_EINVAL ? CLI_USAGE : CLI_FAIL; /* --x and --eps that together have no layer norm */
        goto out;
    }
    if (json) {
        printf("{\"eps\": %.17g, \"mean\": ", eps);
        cli_json_double(stdout, lmp_stats_mean(x, n));
        printf(", \"var\": ");
        cli_json_double(stdout, lmp_stats_variance(x, n, 0));
        printf(", \"y\": ");
        cli_json_doubles(stdout, y, n);
        printf("}\n");
    } else {
        printf("mean %.10g, var %.10g (biased), eps %g\n", cli_text_num(lmp_stats_mean(x, n)),
               cli_text_num(lmp_stats_variance(x, n, 0)), eps);
        for (size_t i = 0; i < n; i++) printf("%.17g\n", cli_text_num(y[i]));
    }
    free(y);
    rc = CLI_OK;
out:
    free(x);
    free(g);
    free(b);
    return rc;
}

static int reparam(int argc, char **argv)
{
    double *mu = NULL, *sg = NULL, *lv = NULL;
    size_t n = 0, ns = 0, nl = 0;
    uint64_t seed = CLI_DEFAULT_SEED;
    lmp_rng_kind rk = LMP_RNG_XOSHIRO;
    int json = 0, rc = CLI_USAGE;
    const char *mus = NULL, *sgs = NULL, *lvs = NULL;
    const cli_opt opts[] = {
        CLI_OPT_SEED(&seed), CLI_OPT_RNG(&rk), CLI_OPT_JSON(&json),
        CLI_OPT_MEANS(&mus),
        {.name = "--std", .kind = CLI_OPT_STR, .dest = &sgs, .expect = "standard deviations, comma-separated"},
        /* dist's --mu and --sigma are one number each */
        {.name = "--mu", .alias = "--mean", .kind = CLI_OPT_RENAMED, .expect = "the means, comma-separated (--mu is dist's one number)"},
        {.name = "--sigma", .alias = "--std", .kind = CLI_OPT_RENAMED,
         .expect = "the standard deviations, comma-separated (--sigma is dist's one number)"},
        {.name = "--logvar", .kind = CLI_OPT_STR, .dest = &lvs, .expect = "log-variances, comma-separated"},
    };
    int prc = cli_parse("nn reparam", argc, argv, opts, CLI_NOPTS(opts), NULL, 0, NULL, usage);
    if (prc) return prc;
    int lrc = 0; /* a list's failure: CLI_USAGE, or CLI_FAIL when memory ran out */
    if ((mus && (lrc = cli_parse_double_list("nn reparam: --mean", mus, &mu, &n))) ||
        (sgs && (lrc = cli_parse_double_list("nn reparam: --std", sgs, &sg, &ns))) ||
        (lvs && (lrc = cli_parse_double_list("nn reparam: --logvar", lvs, &lv, &nl)))) {
        rc = lrc;
        goto out;
    }
    if (!mu || (!sg && !lv) || (sg && lv)) {
        cli_error("nn reparam: expected --mean LIST and exactly one of --std LIST or --logvar LIST");
        goto out;
    }
    if ((sg ? ns : nl) != n) {
        cli_error("nn reparam: --%s has %zu values: expected %zu (as --mean)", sg ? "std" : "logvar", sg ? ns : nl, n);
        goto out;
    }
    lmp_rng r;
    lmp_error e;
    if (cli_seed_check("nn reparam", rk, seed)) goto out; /* rc is CLI_USAGE */
    if (lmp_rng_seed(&r, rk, seed, &e)) { rc = cli_fail_status("nn reparam", e.code, &e); goto out; }
    double *z = malloc(2 * n * sizeof *z);
    if (!z) { cli_error("nn reparam: out of memory"); rc = CLI_FAIL; goto out; }
    double *eps = z + n;
    lmp_status st = sg ? lmp_nn_reparam(&r, mu, sg, n, z, eps, &e) : lmp_nn_reparam_logvar(&r, mu, lv, n, z, eps, &e);
    if (st) {
        cli_error("nn reparam: %s", e.msg);
        free(z);
        rc = e.code == LMP_EINVAL ? CLI_USAGE : CLI_FAIL; /* a value of --std (typed) outside its domain */
        goto out;
    }
    if (json) {
        printf("{\"seed\": %llu, \"rng\": \"%s\", \"eps\": ", (unsigned long long)seed,
               rk == LMP_RNG_NUMPY_LEGACY ? "numpy" : "xoshiro");
        cli_json_doubles(stdout, eps, n);
        printf(", \"z\": ");
        cli_json_doubles(stdout, z, n);
        printf("}\n");
    } else {
        printf("%4s %14s %14s %14s %20s\n", "i", "mu", "sigma", "eps", "z = mu + eps*sigma");
        for (size_t i = 0; i < n; i++)
            printf("%4zu %14.6g %14.6g %14.6g %20.12g\n", i, mu[i], sg ? sg[i] : exp(0.5 * lv[i]), eps[i],
                   cli_text_num(z[i]));
    }
    free(z);
    rc = CLI_OK;
out:
    free(mu);
    free(sg);
    free(lv);
    return rc;
}

int cmd_nn(int argc, char **argv)
{
    static const cli_sub subs[] = {{"init", init}, {"layernorm", layernorm}, {"reparam", reparam}};
    return cli_subcommand("nn", argc, argv, subs, CLI_NOPTS(subs), usage);
}
