/* `lmprob rng`: print draws from a random stream (xoshiro256** or numpy's legacy MT19937). */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/rng.h"

static void usage(FILE *f)
{
    fputs("usage: lmprob rng [--rng xoshiro|numpy] [--seed S] [--stream K] [uniform|normal|exponential|u64|u32|integers]\n"
          "                  [--low L] [--high H] [-n N] [--json]\n"
          "\n"
          "Print N draws (default 10), one per line:\n"
          "  uniform  doubles in [0, 1) with 53 random bits (numpy: random_sample)   [default]\n"
          "  normal   standard normal (xoshiro: ziggurat; numpy: legacy polar gauss, as randn)\n"
          "  exponential  standard exponential (xoshiro: ziggurat; numpy: -log(1 - random_sample()))\n"
          "  u64      64-bit integers (numpy: two 32-bit words, high first)\n"
          "  u32      32-bit integers (numpy: the raw MT19937 words)\n"
          "  integers integers in [L, H): --high H required, --low L default 0 (numpy: randint(L, H),\n"
          "           its masked rejection; xoshiro: Lemire's method)\n"
          "--rng numpy with --seed S reproduces np.random.seed(S) (S in 0 .. 2^32-1).\n"
          "--stream K (xoshiro) jumps K times by 2^128 draws: independent streams of one seed.\n"
          "--seed defaults to 42.\n"
          "\n"
          "example: lmprob rng normal --rng numpy --seed 3 -n 5   (= np.random.seed(3); np.random.randn(5))\n"
          "         lmprob rng integers --high 6 --rng numpy --seed 3 -n 5   (= np.random.RandomState(3).randint(6, size=5))\n",
          f);
}

int cmd_rng(int argc, char **argv)
{
    uint64_t seed = CLI_DEFAULT_SEED, stream = 0;
    long n = 10;
    int json = 0, has_stream = 0, has_low = 0, has_high = 0;
    long low = 0, high = 0;
    const char *what = "uniform";
    lmp_rng_kind kind = LMP_RNG_XOSHIRO;
    const cli_opt table[] = {
        CLI_OPT_SEED(&seed), CLI_OPT_RNG(&kind), CLI_OPT_COUNT(&n), CLI_OPT_JSON(&json),
        {.name = "--stream", .kind = CLI_OPT_U64, .dest = &stream, .expect = "a stream number from 0 to " CLI_STR(LMP_RNG_MAX_STREAM),
         .seen = &has_stream},
        {.name = "--low", .kind = CLI_OPT_LONG, .dest = &low, .lo = (double)LONG_MIN, .hi = (double)LONG_MAX,
         .expect = "an integer (64-bit)", .seen = &has_low},
        {.name = "--high", .kind = CLI_OPT_LONG, .dest = &high, .lo = (double)LONG_MIN, .hi = (double)LONG_MAX,
         .expect = "an integer (64-bit)", .seen = &has_high},
    };
    const char *pos[1] = {NULL};
    int rc = cli_parse("rng", argc, argv, table, CLI_NOPTS(table), pos, 1, NULL, usage);
    if (rc) return rc;
    if (pos[0]) {
        what = pos[0];
        if (strcmp(what, "uniform") && strcmp(what, "normal") && strcmp(what, "exponential") && strcmp(what, "u64") &&
            strcmp(what, "u32") && strcmp(what, "integers")) {
            cli_error("rng: expected uniform, normal, exponential, u64, u32 or integers, got '%s'", what);
            return CLI_USAGE;
        }
    }
    int integers = strcmp(what, "integers") == 0;
    if (!integers && (has_low || has_high)) {
        cli_error("rng: --%s: only for integers (rng integers --low L --high H)", has_low ? "low" : "high");
        return CLI_USAGE;
    }
    if (integers && !has_high) {
        cli_error("rng: integers: expected --high H (draws in [--low, H), --low default 0)");
        return CLI_USAGE;
    }
    if (integers && low >= high) {
        cli_error("rng: integers: --low %ld --high %ld: expected low < high", low, high);
        return CLI_USAGE;
    }
    if (cli_seed_check("rng", kind, seed)) return CLI_USAGE;
    lmp_rng r;
    lmp_error e;
    lmp_status st;
    if (has_stream && kind != LMP_RNG_XOSHIRO) {
        cli_error("rng: --stream: expected --rng xoshiro (numpy's legacy stream has no jumps)");
        return CLI_USAGE;
    }
    if (has_stream && stream > LMP_RNG_MAX_STREAM) { /* the flag's own message (the library's has no flag name) */
        cli_error("rng: --stream: expected a stream number from 0 to %d, got '%" PRIu64 "'", LMP_RNG_MAX_STREAM, stream);
        return CLI_USAGE;
    }
    st = has_stream ? lmp_rng_seed_stream(&r, seed, stream, &e) : lmp_rng_seed(&r, kind, seed, &e);
    if (st) {
        cli_error("rng: %s", e.msg);
        return CLI_USAGE;
    }
    if (json) printf("{\"rng\": \"%s\", \"seed\": %" PRIu64 ", \"kind\": \"%s\", \"values\": [",
                     kind == LMP_RNG_XOSHIRO ? "xoshiro" : "numpy", seed, what);
    for (long i = 0; i < n; i++) {
        if (json && i) printf(", ");
        if (strcmp(what, "uniform") == 0 || strcmp(what, "normal") == 0 || strcmp(what, "exponential") == 0) {
            double x = what[0] == 'u' ? lmp_rng_uniform(&r) : what[0] == 'n' ? lmp_rng_normal(&r) : lmp_rng_exponential(&r);
            if (json) cli_json_double(stdout, x);
            else printf("%.17g\n", x);
        } else if (integers) { /* numpy's randint: low + an integer in [0, high - 1 - low], in 64-bit wrap-around */
            uint64_t v = (uint64_t)low + lmp_rng_interval(&r, (uint64_t)high - 1 - (uint64_t)low);
            printf(json ? "%" PRId64 : "%" PRId64 "\n", (int64_t)v);
        } else if (strcmp(what, "u64") == 0) {
            printf(json ? "%" PRIu64 : "%" PRIu64 "\n", lmp_rng_u64(&r));
        } else {
            printf(json ? "%" PRIu32 : "%" PRIu32 "\n", lmp_rng_u32(&r));
        }
    }
    if (json) printf("]}\n");
    return CLI_OK;
}
