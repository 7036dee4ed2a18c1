/* The one option parser of the lmprob commands (docs/cli.md "Shared flags").
 *
 * A command lists its options in a table of cli_opt; each entry names the flag, where
 * its value goes, and its domain. The flags that several commands take (--seed, --rng,
 * --json, --threads, --output, --model, -n, --memory, --order, the sampler's
 * --top-k, --top-p, ...) are written once, below, as CLI_OPT_* entries, so that a flag
 * has one domain, one message and one exit status in every command that takes it:
 *   lmprob: <cmd>: <flag>: expected <domain>, got '<value>'      exit 2 (CLI_USAGE)
 * A bound the words of the domain do not state (an open-ended double's cap of 1e300, any bound of
 * magnitude 1e15 or more; an integer's upper bound past ">=") is added to the message when a value
 * passes it ("expected a coefficient >= 0 and at most 1e300"). A double given as -0 is stored as 0.
 * An unknown option, a missing value and a surplus argument are usage errors too (2);
 * errors in the data a command reads exit 1 (CLI_FAIL).
 *
 * Every command parses its whole command line with cli_parse (--help, the table, "--"
 * and positionals); a command with subcommands (nn, model, ...) dispatches with
 * cli_subcommand first. No command keeps a loop of its own over argv.
 *
 * Options with several values (train's --prune 0 0 1) are CLI_OPT_LIST entries; a
 * value from a fixed set (train's --estimator) is CLI_OPT_CHOICE; an old spelling
 * whose meaning moved to another flag is CLI_OPT_RENAMED (a usage error that names
 * the new flag, so that an old script fails loudly instead of meaning something else).
 *
 * Values are taken as "--flag V" or "--flag=V"; a bare "-" is a positional (stdin or
 * stdout), as is a negative number that no option claims ("-1.5").
 *
 * One spelling, one meaning: a flag name (or its other spelling) has one kind, domain and
 * message in every command; where a name had two meanings the other use was renamed and the
 * old spelling is a CLI_OPT_RENAMED entry (docs/cli.md "One name, one meaning"). "--list-options"
 * prints a command's table (cli_parse), which tests/cli/test_cli.sh reads to check that rule. */
#ifndef LMPROB_CLI_OPT_H
#define LMPROB_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum cli_opt_kind {
    CLI_OPT_FLAG,   /* no value; *(int *)dest = 1 */
    CLI_OPT_STR,    /* *(const char **)dest = the value; with .count, a repeated option: the values into
                       ((const char **)dest)[0 .. max_n-1] in order, their number into *count */
    CLI_OPT_LONG,   /* *(long *)dest, an integer in [lo, hi] */
    CLI_OPT_SIZE,   /* *(size_t *)dest, an integer in [lo, hi] */
    CLI_OPT_U64,    /* *(uint64_t *)dest, an integer in [0, 2^64) */
    CLI_OPT_DOUBLE, /* *(double *)dest, a finite number in the interval lo..hi (open ends by flag) */
    CLI_OPT_CUSTOM, /* parse(value, dest) returns 0, or -1 when the value is out of the domain */
    /* Numbers of kind .elem (LONG, U64 or DOUBLE, in lo..hi) into the array dest: the
     * arguments after the flag while they are numbers, at most max_n ("--prune 0 0 1"), or
     * one comma-separated value ("--prune=0,0,1"); their number goes to *count. Between
     * min_n and max_n of them; none at all too when .optional is set. */
    CLI_OPT_LIST,
    CLI_OPT_CHOICE, /* one of .choices (names, NULL-terminated) into *(int *)dest = its value */
    CLI_OPT_RENAMED /* an old spelling: "<name> is now <alias>: <expect>", a usage error */
} cli_opt_kind;

/* One value of a CLI_OPT_CHOICE. */
typedef struct cli_choice {
    const char *name;
    int value;
} cli_choice;

typedef struct cli_opt {
    const char *name;  /* "--seed" */
    const char *alias; /* another spelling ("-n", "-o"), or NULL */
    cli_opt_kind kind;
    void *dest;
    double lo, hi;    /* LONG, SIZE, DOUBLE: the domain */
    int lo_open, hi_open; /* DOUBLE: the interval is open at that end */
    const char *expect; /* the domain in words: "expected <expect>, got '<value>'" */
    int (*parse)(const char *v, void *dest);
    int *seen; /* when not NULL, set to 1 when the option is given */
    const char **spelled; /* when not NULL, the spelling given ("--pmf" for --pdf), for later messages */
    /* CLI_OPT_LIST */
    cli_opt_kind elem;
    size_t min_n, max_n;
    size_t *count;
    int optional; /* no value at all is allowed (the flag alone) */
    int empty_ok; /* CLI_OPT_STR: '' is a value (elsewhere an empty string is refused) */
    const cli_choice *choices; /* CLI_OPT_CHOICE, ended by {NULL, 0} */
} cli_opt;

#define CLI_NOPTS(t) (sizeof(t) / sizeof((t)[0]))

/* cli_parse's result for -h/--help (before any later argument is looked at), after it printed
 * the command's help with its `usage` argument (as cli_subcommand's) to stdout. The command
 * returns it like any other non-zero result (`if (rc) return rc;`): the dispatcher (main.c) turns
 * it into exit status 0. So help is handled in one place for every command. */
#define CLI_HELP (-1)

/* Parse argv[1..argc-1] (argv[0] is the command's name) against opts[0..nopts-1].
 * Positionals go to pos[0..maxpos-1] in order; *npos is their number. Returns CLI_OK,
 * CLI_HELP, or CLI_USAGE after printing why (unknown option, bad value, more than
 * maxpos positionals). `cmd` prefixes the messages ("dist", "nn init").
 * "--list-options" prints the table to stdout (one line a spelling: cmd, name, other spelling,
 * kind and domain, message) and returns CLI_HELP, as help does (exit 0): an audit aid for
 * tests/cli/test_cli.sh. */
int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, size_t nopts, const char **pos,
              size_t maxpos, size_t *npos, void (*usage)(FILE *));

/* The name of what runs: "model info" once cli_subcommand has started that subcommand, else cmd. */
const char *cli_running_name(const char *cmd);

/* A command with subcommands ("nn init", "model convert"): argv[1] names one of subs, which
 * runs with argv + 1. No subcommand prints usage to stderr (exit 2); -h/--help prints it to
 * stdout (exit 0); an unknown one reads "<cmd>: unknown subcommand 'x': expected a, b or c"
 * (exit 2). */
typedef struct cli_sub {
    const char *name;
    int (*run)(int argc, char **argv);
} cli_sub;
int cli_subcommand(const char *cmd, int argc, char **argv, const cli_sub *subs, size_t nsubs, void (*usage)(FILE *));

/* "lmprob: <cmd>: unknown option '<a>' (see lmprob <cmd> --help)", returns CLI_USAGE. */
int cli_unknown_opt(const char *cmd, const char *a);

/* 1 when a is an option name (not "-", not a negative number). */
int cli_looks_like_opt(const char *a);

/* Before a command reads `path` (NULL or "-": standard input): when that is a terminal,
 * say so on stderr (a bare `lmprob decode` would otherwise seem to hang). */
void cli_stdin_note(const char *cmd, const char *path);

/* How messages name an input path: "<stdin>" for NULL or "-", else the path. */
const char *cli_input_name(const char *path);

/* After parsing: numpy's legacy stream takes seeds below 2^32 (np.random.seed). Prints
 * the --seed message and returns -1 when seed does not fit kind. */
int cli_seed_check(const char *cmd, int rng_kind, uint64_t seed);

/* The custom parsers of the shared flags (exposed for commands that map a flag onto
 * another type). */
int cli_opt_rng(const char *v, void *dest);         /* lmp_rng_kind: xoshiro | numpy */
int cli_opt_conv(const char *v, void *dest);        /* lmp_sampler_convention: hf | llama */
int cli_opt_dtype(const char *v, void *dest);       /* lmp_sampler_dtype: f64 | f32 */
int cli_opt_lm_mode(const char *v, void *dest);     /* lmp_lm_tokens: word | char | byte | gpt2 */
int cli_opt_memory(const char *v, void *dest);      /* uint64_t bytes: 512M, 1G, 10%, 4096b; 0; a unit is required */

/* ---- the shared flags: one domain and one message each ------------------------------ */
#define CLI_DOMAIN_SEED "a non-negative integer below 2^64 (numpy: below 2^32)"
#define CLI_DOMAIN_THREADS "0 (all cores) to 1024"
#define CLI_DOMAIN_COUNT "an integer >= 0"

#define CLI_OPT_SEED(p) {.name = "--seed", .kind = CLI_OPT_U64, .dest = (p), .expect = CLI_DOMAIN_SEED}
#define CLI_OPT_RNG(p) {.name = "--rng", .kind = CLI_OPT_CUSTOM, .dest = (p), .parse = cli_opt_rng, .expect = "xoshiro or numpy"}
#define CLI_OPT_JSON(p) {.name = "--json", .kind = CLI_OPT_FLAG, .dest = (p)}
/* --quiet: nothing on stderr but errors and notes: no progress line (train: no summary either). One switch
 * for the whole run, read by cli_progress_start, so that a command that shows progress only lists the flag
 * and every line it draws, through whatever loader, goes quiet. */
extern int cli_quiet;
#define CLI_OPT_QUIET {.name = "--quiet", .kind = CLI_OPT_FLAG, .dest = &cli_quiet}
#define CLI_OPT_THREADS(p) {.name = "--threads", .kind = CLI_OPT_LONG, .dest = (p), .lo = 0, .hi = 1024, .expect = CLI_DOMAIN_THREADS}
#define CLI_OPT_OUTPUT(p) {.name = "--output", .alias = "-o", .kind = CLI_OPT_STR, .dest = (p)}
#define CLI_OPT_MODEL(p) {.name = "--model", .kind = CLI_OPT_STR, .dest = (p)}
/* -n N (also --n N): how many (samples, tokens, draws); 0 is allowed (nothing drawn).
 * Not --count: that is tokenize's "print only the number of tokens"; a binomial's trials are
 * --trials (CLI_OPT_TRIALS). */
#define CLI_OPT_COUNT(p) {.name = "-n", .alias = "--n", .kind = CLI_OPT_LONG, .dest = (p), .lo = 0, .hi = 1e15, .expect = CLI_DOMAIN_COUNT}
#define CLI_OPT_MEMORY(p) {.name = "--memory", .alias = "-S", .kind = CLI_OPT_CUSTOM, .dest = (p), .parse = cli_opt_memory, .expect = "a size with its unit (b, K, M, G, T or % of the physical memory) like 512M, 1G or 10%, or 0 for no limit"}
/* The n-gram order (LMP_NGRAM_MAX_ORDER in core.h). */
#define CLI_OPT_ORDER(p) {.name = "--order", .kind = CLI_OPT_LONG, .dest = (p), .lo = 1, .hi = LMP_NGRAM_MAX_ORDER, .expect = "an n-gram order from 1 to " CLI_STR(LMP_NGRAM_MAX_ORDER)}
#define CLI_OPT_MODE(p) {.name = "--mode", .kind = CLI_OPT_CUSTOM, .dest = (p), .parse = cli_opt_lm_mode, .expect = "word, char, byte or gpt2"}
/* generate's and next's text to continue: empty is the same as none (the model's start) */
#define CLI_OPT_PROMPT(p) {.name = "--prompt", .kind = CLI_OPT_STR, .dest = (p), .empty_ok = 1}
/* GPT-2's vocabulary (a folder with tokenizer.json/encoder.json/vocab.json, or one of those files). --vocab is
 * a word list (train, filter); its old use for GPT-2's vocabulary names the new flag. */
#define CLI_OPT_GPT2_VOCAB(p) {.name = "--gpt2-vocab", .kind = CLI_OPT_STR, .dest = (p)}
#define CLI_OPT_VOCAB_RENAMED {.name = "--vocab", .alias = "--gpt2-vocab", .kind = CLI_OPT_RENAMED, .expect = "GPT-2's vocabulary (--vocab is a word list, in train and filter)"}
/* How many of the largest to print (decode's top tokens, next's tokens, gpt2 logits' logits).
 * -k was its short spelling; beside the sampler's --top-k (decode, generate) it read as that
 * filter, so it is refused and names --top. */
#define CLI_OPT_TOP(p) {.name = "--top", .kind = CLI_OPT_LONG, .dest = (p), .lo = 0, .hi = 1e15, .expect = "how many to print, an integer >= 0"}
#define CLI_OPT_TOP_K_RENAMED {.name = "-k", .alias = "--top", .kind = CLI_OPT_RENAMED, .expect = "how many to print (the sampler's filter is --top-k)"}
/* A probability in [0, 1] under a command's own name (bayes, experiment disease). */
#define CLI_OPT_PROB(nm, p) {.name = (nm), .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1, .expect = "a probability in [0, 1]"}
/* The context window of a sliding-window evaluation (ppl, kl, chapter), in tokens. */
#define CLI_OPT_WINDOW(p, seen_) {.name = "--window", .kind = CLI_OPT_LONG, .dest = (p), .lo = 2, .hi = 1e15, .expect = "a window of >= 2 tokens", .seen = (seen_)}
#define CLI_OPT_STRIDE(p, seen_) {.name = "--stride", .kind = CLI_OPT_LONG, .dest = (p), .lo = 1, .hi = 1e15, .expect = "a stride >= 1", .seen = (seen_)}
/* A convergence or comparison tolerance: bayes joint (the independence gap) and mix (EM's
 * weights). One domain, > 0: the EM refuses 0 (it would never stop before --max-iter), and an
 * exact comparison of floating-point products is not a test anyone means. */
#define CLI_OPT_TOL(p) {.name = "--tol", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1e300, .lo_open = 1, .expect = "a tolerance > 0"}
/* How many positive tests in a row to follow (bayes disease, experiment disease). */
#define CLI_MAX_TESTS 100000
#define CLI_OPT_TESTS(p, seen_) {.name = "--tests", .kind = CLI_OPT_LONG, .dest = (p), .lo = 0, .hi = CLI_MAX_TESTS, .expect = "an integer from 0 to 100000", .seen = (seen_)}
/* The number of Bernoulli trials of a binomial (dist binomial, bayes beta). Not --n: that is -n,
 * how many to draw. */
#define CLI_OPT_TRIALS(p, seen_) {.name = "--trials", .kind = CLI_OPT_LONG, .dest = (p), .lo = 0, .hi = 1e15, .expect = "a number of trials >= 0", .seen = (seen_)}
/* --n renamed, with what the new name means in this command (`what`: the message said "(-n, --n: how
 * many to draw)" in dist and experiment too, which take no -n) */
#define CLI_OPT_N_RENAMED(new_, what) {.name = "--n", .alias = (new_), .kind = CLI_OPT_RENAMED, .expect = (what)}
/* A Beta distribution's a and b (dist beta, and laplace's b; bayes beta's prior), both > 0. */
#define CLI_OPT_BETA_A(p, seen_) {.name = "--a", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1e300, .lo_open = 1, .expect = "a > 0", .seen = (seen_)}
#define CLI_OPT_BETA_B(p, seen_) {.name = "--b", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1e300, .lo_open = 1, .expect = "b > 0", .seen = (seen_)}
/* A distribution's probabilities, comma-separated (dist categorical, info's --p and --q; dist
 * bernoulli and binomial: one, the probability of a success). Checked after parsing, once the
 * family is known, by cli_probs_check (one message in both commands). */
#define CLI_DOMAIN_PROBS "probabilities in [0, 1], comma-separated, summing to 1 (or --normalize)"
#define CLI_OPT_PROBS(nm, p, seen_) {.name = (nm), .kind = CLI_OPT_STR, .dest = (p), .expect = CLI_DOMAIN_PROBS, .seen = (seen_)}
/* A mean vector (dist mvn, nn reparam), comma-separated. */
#define CLI_OPT_MEANS(p) {.name = "--mean", .kind = CLI_OPT_STR, .dest = (p), .expect = "means, comma-separated"}
/* A logits vector inline (info, decode); -inf is a logit (probability 0). */
#define CLI_OPT_LOGITS(p) {.name = "--logits", .kind = CLI_OPT_STR, .dest = (p), .expect = "logits, comma-separated (-inf allowed)"}
#define CLI_STR_(x) #x
#define CLI_STR(x) CLI_STR_(x)

/* The sampler (lmp_sampler_params, sample.h): the domains lmp_sampler_params_check enforces. */
#define CLI_OPT_TEMPERATURE(p) {.name = "--temperature", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1e300, .expect = "T >= 0 (0 is greedy)"}
#define CLI_OPT_TOP_K(p) {.name = "--top-k", .kind = CLI_OPT_LONG, .dest = (p), .lo = 0, .hi = 2147483647.0, .expect = "k >= 0 (0 is off)"}
#define CLI_OPT_TOP_P(p) {.name = "--top-p", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1, .lo_open = 1, .expect = "a probability in (0, 1]"}
#define CLI_OPT_MIN_P(p) {.name = "--min-p", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1, .expect = "a value in [0, 1]"}
#define CLI_OPT_TYPICAL(p) {.name = "--typical", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1, .lo_open = 1, .expect = "a mass in (0, 1]"}
#define CLI_OPT_EPSILON(p) {.name = "--epsilon", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1, .hi_open = 1, .expect = "a value in [0, 1)"}
#define CLI_OPT_REP_PENALTY(p) {.name = "--repetition-penalty", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = 0, .hi = 1e300, .lo_open = 1, .expect = "a penalty > 0 (1 is off)"}
#define CLI_OPT_FREQ_PENALTY(p) {.name = "--frequency-penalty", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = -1e300, .hi = 1e300, .expect = "a finite number"}
#define CLI_OPT_PRES_PENALTY(p) {.name = "--presence-penalty", .kind = CLI_OPT_DOUBLE, .dest = (p), .lo = -1e300, .hi = 1e300, .expect = "a finite number"}
#define CLI_OPT_PENALTY_LAST_N(p) {.name = "--penalty-last-n", .kind = CLI_OPT_SIZE, .dest = (p), .lo = 0, .hi = 1e15, .expect = "n >= 0 (0: the whole history)"}
#define CLI_OPT_MIN_KEEP(p) {.name = "--min-keep", .kind = CLI_OPT_SIZE, .dest = (p), .lo = 1, .hi = 1e15, .expect = "n >= 1"}
/* The chain's convention; --order hf|llama was its old name in decode and generate: --order is
 * the n-gram order (train), so the old spelling is refused and names --chain. */
#define CLI_OPT_CHAIN(p) {.name = "--chain", .kind = CLI_OPT_CUSTOM, .dest = (p), .parse = cli_opt_conv, .expect = "hf or llama"}
#define CLI_OPT_CHAIN_OLD {.name = "--order", .alias = "--chain", .kind = CLI_OPT_RENAMED, .expect = "the sampler chain's convention, hf or llama (--order is train's n-gram order)"}
#define CLI_OPT_DTYPE(p, seen_) {.name = "--dtype", .kind = CLI_OPT_CUSTOM, .dest = (p), .parse = cli_opt_dtype, .expect = "f64 or f32", .seen = (seen_)}

/* Every sampler option into an lmp_sampler_params (prm) and the --dtype seen flag. */
#define CLI_OPTS_SAMPLER(prm, dtype_seen)                                                                        \
    CLI_OPT_TEMPERATURE(&(prm).temperature), CLI_OPT_TOP_K(&(prm).top_k), CLI_OPT_TOP_P(&(prm).top_p),       \
        CLI_OPT_MIN_P(&(prm).min_p), CLI_OPT_TYPICAL(&(prm).typical_p), CLI_OPT_EPSILON(&(prm).epsilon),      \
        CLI_OPT_REP_PENALTY(&(prm).repetition_penalty), CLI_OPT_FREQ_PENALTY(&(prm).frequency_penalty),       \
        CLI_OPT_PRES_PENALTY(&(prm).presence_penalty), CLI_OPT_PENALTY_LAST_N(&(prm).penalty_last_n),         \
        CLI_OPT_MIN_KEEP(&(prm).min_keep), CLI_OPT_CHAIN(&(prm).conv), CLI_OPT_CHAIN_OLD,                             \
        CLI_OPT_DTYPE(&(prm).dtype, (dtype_seen))

/* Help lines of the shared flags, so that every command describes them alike. */
#define CLI_HELP_SEED "  --seed S                 seed of the random stream (default 42)\n"
#define CLI_HELP_RNG "  --rng xoshiro|numpy      random stream (default xoshiro; numpy: legacy MT19937, np.random.seed parity)\n"
#define CLI_HELP_JSON "  --json                   machine-readable output (one JSON object)\n"
#define CLI_HELP_THREADS "  --threads T              threads, 0 (all cores) to 1024\n"

#endif
