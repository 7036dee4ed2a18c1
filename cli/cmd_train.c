/* lmprob train: n-gram language model training (include/lmprob/ngram_train.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "../mpi/train_mpi.h" /* mpi_train_not_distributed: lmprob-mpi's rule, MPI-free */
#include "commands.h"
#include "lmprob/ngram.h"
#include "lmprob/ngram_train.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob train --order N --output MODEL.arpa [options] TEXT|-|@LIST\n"
            "\n"
            "Train an n-gram language model on TEXT (one sentence a line; plain, gzip or xz;\n"
            "'-' reads stdin; @LIST: the files LIST names, one a line, as one text) and write it\n"
            "as ARPA. Every line, an empty one too, is a sentence <s> ... </s>. A literal <unk> in\n"
            "the text is the unknown-word class. The model records its token mode, vocabulary rule,\n"
            "estimator and this command ('# lmprob' lines before \\data\\; lmprob model info shows\n"
            "them); the n-grams are in the order IRSTLM needs.\n"
            "\n"
            "options:\n"
            "  --order N               model order, from 1 to %d (required)\n"
            "  --output FILE           the model ('-' = stdout; written atomically): ARPA text (gzip- or\n"
            "                          xz-compressed when FILE ends in .gz or .xz), or lmprob's binary format\n"
            "                          when FILE ends in .bin (hashed layout) or .trie (trie)\n"
            "  --estimator E           mkn (interpolated modified Kneser-Ney, as KenLM lmplz; default),\n"
            "                          kn (interpolated Kneser-Ney), addk, mle, wb (interpolated\n"
            "                          Witten-Bell), katz (Good-Turing discounts + Katz backoff, as SRILM's\n"
            "                          ngram-count default), abs (interpolated absolute discounting),\n"
            "                          stupid (stupid backoff: scores, NOT probabilities); also spelled\n"
            "                          add-k or laplace, witten-bell, gt, absolute\n"
            "  --k K                   addk: the pseudo-count (default 1 = Laplace)\n"
            "  --discount D            abs: one discount for every order, 0 < D <= 1 (default: per order,\n"
            "                          D = n1 / (n1 + 2 n2))\n"
            "  --backoff-factor A      stupid: the backoff factor, 0 < A <= 1 (default 0.4; was --alpha)\n"
            "  --gt-max K1 K2 ..       katz: Good-Turing k per order, counts above it undiscounted\n"
            "                          (default 1 7 7 ..., SRILM's -gtNmax; the last value repeats)\n"
            "  --nltk                  NLTK's conventions (addk, mle, wb, abs, stupid): <s> counts as a\n"
            "                          vocabulary word and a unigram event (V and the unigram total include\n"
            "                          it), and wb/abs end at the MLE unigram, as nltk.lm does; the same\n"
            "                          model as NLTK's at --order 2 (NLTK pads orders 1 and 3+ otherwise;\n"
            "                          abs: with --discount 0.75, NLTK's default)\n"
            "  --memory SIZE           memory for the whole training, e.g. 512M, 1G, 10%% (default 1G):\n"
            "                          counting spills sorted runs to temporary files when its\n"
            "                          tables fill what is left; a model that does not fit stops\n"
            "                          with an error naming the size it needs\n"
            "  --temp-dir DIR          folder for those files (default $TMPDIR or /tmp)\n"
            "  --count-tables SIZE     at most SIZE for the counting tables (default: what --memory\n"
            "                          leaves); a small SIZE forces spilled runs (for tests)\n"
            "  --min-count C           words seen fewer than C times become <unk>\n"
            "  --vocab-size V          keep the V most frequent words, the rest become <unk>\n"
            "  --vocab FILE            keep only the words of FILE (whitespace-separated)\n"
            "  --prune T1 T2 ..        drop n-grams of order i with raw count <= Ti, as lmplz --prune\n"
            "                          (T1 must be 0; non-decreasing; the last value repeats); their mass\n"
            "                          goes to the backoff. katz default: 0 0 1 (SRILM's -gtNmin 1 1 2)\n"
            "  --discount-fallback [D1 D2 D3]\n"
            "                          (mkn/kn/abs) discounts to use when they cannot be estimated, Dj in\n"
            "                          [0, j] (default 0.5 1 1.5, as lmplz --discount_fallback; abs uses D1)\n"
            "  --mode M                tokens: word (default), char, byte, or gpt2: GPT-2's BPE tokens of\n"
            "                          each line, written as in vocab.json (\" the\" is \"Ġthe\"; the newline\n"
            "                          is </s>), to compare with GPT-2 per token and per byte\n"
            "  --gpt2-vocab P          the GPT-2 vocabulary for --mode gpt2 (default: as lmprob tokenize\n"
            "                          finds it; see lmprob tokenize --help)\n"
            "  --utf8-replace          replace invalid UTF-8 by U+FFFD instead of failing\n"
            "  --skip-markers          drop <s> and </s> found in the text instead of failing\n"
            "  --threads T             0 (all cores) to 1024; the pipeline uses 1, or 2 for any other value (default 2)\n"
            "  --json                  the summary as JSON (counts, discounts, tokens, seconds)\n"
            "  --quiet                 no summary, and no stages on a terminal (errors and notes still print)\n"
            "\n"
            "An estimator's own option (--k, --discount, --backoff-factor, --gt-max, --nltk,\n"
            "--discount-fallback) given with another estimator is refused, naming those it applies to.\n"
            "\n"
            "Progress goes to stderr when it is a terminal; a summary (n-grams per order,\n"
            "discounts) to stdout, or to stderr when the model goes to stdout.\n"
            "\n"
            "lmprob-mpi train (under mpirun) takes these options, but TEXT is a regular file or @LIST\n"
            "(a file naming the inputs), never stdin, and --vocab, --min-count, --vocab-size are refused\n"
            "(docs/mpi.md).\n"
            "\n"
            "example: lmprob train --order 5 --output ptb5.arpa ptb.train.txt\n",
            LMP_NGRAM_MAX_ORDER);
}

typedef struct progress_state {
    struct timespec t0;
} progress_state;

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void on_progress(void *ctx, const char *stage, uint64_t count)
{
    progress_state *ps = ctx;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mib = (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
    if (count) fprintf(stderr, "\r[%7.2fs %6.0f MiB] %-18s %llu   ", elapsed(&ps->t0), mib, stage, (unsigned long long)count);
    else fprintf(stderr, "\r[%7.2fs %6.0f MiB] %-18s        ", elapsed(&ps->t0), mib, stage);
    if (strcmp(stage, "reading") != 0) fputc('\n', stderr);
    fflush(stderr);
}



static const char *est_name(lmp_estimator e)
{
    switch (e) {
    case LMP_EST_MKN: return "interpolated modified Kneser-Ney";
    case LMP_EST_KN: return "interpolated Kneser-Ney";
    case LMP_EST_ADDK: return "add-k";
    case LMP_EST_MLE: return "maximum likelihood";
    case LMP_EST_WB: return "interpolated Witten-Bell";
    case LMP_EST_KATZ: return "Katz backoff with Good-Turing discounts";
    case LMP_EST_ABS: return "interpolated absolute discounting";
    case LMP_EST_STUPID: return "stupid backoff (scores, not probabilities)";
    }
    return "?";
}

/* The options that one family of estimators reads, with the estimators (bits 1 << lmp_estimator)
 * that read them: given with another estimator one would be ignored, so it is refused, naming
 * them. (--prune, --min-count, --vocab* apply to every estimator.) */
#define EST(e) (1u << (e))
typedef struct est_opt {
    const char *name;
    unsigned estimators;
    const char *which, *why;
} est_opt;
static const est_opt est_opts[] = {
    {"--k", EST(LMP_EST_ADDK), "addk", ""},
    {"--discount", EST(LMP_EST_ABS), "abs", ""},
    {"--backoff-factor", EST(LMP_EST_STUPID), "stupid", ""},
    {"--gt-max", EST(LMP_EST_KATZ), "katz", ""},
    {"--nltk", EST(LMP_EST_ADDK) | EST(LMP_EST_MLE) | EST(LMP_EST_WB) | EST(LMP_EST_ABS) | EST(LMP_EST_STUPID),
     "addk, mle, wb, abs or stupid", " (the estimators nltk.lm has in the same form)"},
    {"--discount-fallback", EST(LMP_EST_MKN) | EST(LMP_EST_KN) | EST(LMP_EST_ABS), "mkn, kn or abs",
     " (the estimators that estimate discounts)"},
};
enum { OPT_K, OPT_DISCOUNT, OPT_BACKOFF, OPT_GT_MAX, OPT_NLTK, OPT_FALLBACK, N_EST_OPTS };

/* --estimator: the library's names (lmp_train_estimator_parse), not a second table of them */
static int opt_estimator(const char *v, void *dest)
{
    lmp_estimator e;
    if (lmp_train_estimator_parse(v, &e, NULL) != LMP_OK) return -1;
    *(int *)dest = (int)e;
    return 0;
}
/* one machine: the model is written after training (cli_train_run) */
static lmp_status train_here(const char *input, const char *arpa_output, const lmp_train_params *p, lmp_train_model **m,
                             int *written, lmp_error *err)
{
    (void)arpa_output;
    *written = 0;
    if (input[0] != '@') return lmp_train_model_load(input, p, m, err);
    /* @LIST: the listed files as one text, as lmprob-mpi reads them (a model it writes records "@LIST" in its
     * command, which lmprob train refused: "@LIST: cannot open") */
    char **list;
    size_t n;
    lmp_status st = cli_file_list_read(input + 1, &list, &n, err);
    if (st) return st;
    st = lmp_train_model_load_files((const char *const *)list, n, p, m, err);
    cli_file_list_free(list, n);
    return st;
}

int cmd_train(int argc, char **argv) { return cli_train_run(argc, argv, train_here, 0); }

int cli_train_run(int argc, char **argv, cli_train_fn train, int stages)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    const char *output = NULL, *input = NULL, *gpt2_vocab = NULL;
    long order = 0;
    int json = 0, estimator = (int)p.estimator;
    lmp_lm_tokens mode = LMP_LM_TOKENS_WORD; /* --mode, as every command reads it (CLI_OPT_MODE) */
    int nltk = 0, utf8_replace = 0, skip_markers = 0;
    size_t np = 0, ngt = 0, nfb = 0;
    long gt_max[LMP_NGRAM_MAX_ORDER];
    long threads = 2;
    int est_seen = 0, seen[N_EST_OPTS] = {0};
    const cli_opt table[] = {
        CLI_OPT_ORDER(&order), CLI_OPT_OUTPUT(&output), CLI_OPT_MEMORY(&p.memory), CLI_OPT_THREADS(&threads),
        CLI_OPT_JSON(&json),
        {.name = "--count-tables", .kind = CLI_OPT_CUSTOM, .dest = &p.count_tables, .parse = cli_opt_memory,
         .expect = "a size with its unit like 64K or 1M (0: what --memory leaves)"},
        {.name = "--estimator", .kind = CLI_OPT_CUSTOM, .dest = &estimator, .parse = opt_estimator,
         .expect = LMP_TRAIN_ESTIMATORS, .seen = &est_seen},
        {.name = "--k", .kind = CLI_OPT_DOUBLE, .dest = &p.k, .lo = 0, .hi = 1e300, .lo_open = 1, .expect = "k > 0",
         .seen = &seen[OPT_K]},
        {.name = "--discount", .kind = CLI_OPT_DOUBLE, .dest = &p.discount, .lo = 0, .hi = 1, .lo_open = 1,
         .expect = "0 < D <= 1", .seen = &seen[OPT_DISCOUNT]},
        {.name = "--backoff-factor", .kind = CLI_OPT_DOUBLE, .dest = &p.alpha, .lo = 0, .hi = 1, .lo_open = 1,
         .expect = "a backoff factor in (0, 1]", .seen = &seen[OPT_BACKOFF]},
        /* --alpha is dist's Dirichlet concentrations (docs/cli.md "One name, one meaning") */
        {.name = "--alpha", .alias = "--backoff-factor", .kind = CLI_OPT_RENAMED,
         .expect = "stupid backoff's factor in (0, 1] (--alpha is dist dirichlet's concentrations)"},
        {.name = "--gt-max", .kind = CLI_OPT_LIST, .elem = CLI_OPT_LONG, .dest = gt_max, .lo = 0, .hi = LMP_TRAIN_GT_MAX,
         .min_n = 1, .max_n = LMP_NGRAM_MAX_ORDER, .count = &ngt, .seen = &seen[OPT_GT_MAX],
         .expect = "one count per order from 0 to " CLI_STR(LMP_TRAIN_GT_MAX) ", e.g. '1 7 7'"},
        {.name = "--nltk", .kind = CLI_OPT_FLAG, .dest = &nltk, .seen = &seen[OPT_NLTK]},
        {.name = "--temp-dir", .kind = CLI_OPT_STR, .dest = &p.temp_dir},
        {.name = "--min-count", .kind = CLI_OPT_U64, .dest = &p.min_count, .expect = "a count >= 0"},
        {.name = "--vocab-size", .kind = CLI_OPT_U64, .dest = &p.vocab_size, .expect = "a count >= 0"},
        {.name = "--vocab", .kind = CLI_OPT_STR, .dest = &p.vocab_file},
        {.name = "--discount-fallback", .kind = CLI_OPT_LIST, .elem = CLI_OPT_DOUBLE, .dest = p.fallback, .lo = 0,
         .hi = 1e300, .min_n = 3, .max_n = 3, .optional = 1, .count = &nfb, .seen = &seen[OPT_FALLBACK],
         .expect = "no value or three discounts D1 D2 D3 >= 0"},
        {.name = "--prune", .kind = CLI_OPT_LIST, .elem = CLI_OPT_U64, .dest = p.prune, .lo = 0, .hi = 1.8e19,
         .min_n = 1, .max_n = LMP_NGRAM_MAX_ORDER, .count = &np, .expect = "one threshold per order, e.g. '0 0 1'"},
        CLI_OPT_MODE(&mode),
        CLI_OPT_GPT2_VOCAB(&gpt2_vocab),
        {.name = "--utf8-replace", .kind = CLI_OPT_FLAG, .dest = &utf8_replace},
        {.name = "--skip-markers", .kind = CLI_OPT_FLAG, .dest = &skip_markers},
        CLI_OPT_QUIET,
        /* -q is model convert's probability bits (KenLM's build_binary -q): one meaning a spelling */
        {.name = "-q", .alias = "--quiet", .kind = CLI_OPT_RENAMED, .expect = "no value (train's quiet switch)"},
    };
    int rc = cli_parse("train", argc, argv, table, CLI_NOPTS(table), &input, 1, NULL, usage);
    if (rc != CLI_OK) return rc;
    p.estimator = (lmp_estimator)estimator;
    p.corpus.mode = mode == LMP_LM_TOKENS_CHAR   ? LMP_CORPUS_CHAR
                    : mode == LMP_LM_TOKENS_BYTE ? LMP_CORPUS_BYTE
                    : mode == LMP_LM_TOKENS_GPT2 ? LMP_CORPUS_GPT2
                                                 : LMP_CORPUS_WORD;
    p.nltk_conventions = nltk;
    p.corpus.replace_invalid = utf8_replace;
    p.corpus.skip_markers = skip_markers;
    p.discount_fallback = seen[OPT_FALLBACK];
    for (int i = 0; i < N_EST_OPTS; i++)
        if (seen[i] && !(est_opts[i].estimators & EST(p.estimator))) {
            const est_opt *o = &est_opts[i];
            cli_error("train: %s applies to --estimator %s only%s, not to %s%s: expected %s, or no %s", o->name, o->which,
                      o->why, lmp_train_estimator_name(p.estimator), est_seen ? "" : " (the default)",
                      strchr(o->which, ',') ? "one of them" : "that estimator", o->name);
            return CLI_USAGE;
        }
    /* the shared domain 0..1024; the pipeline counts on one thread or two (0: two) */
    p.threads = threads == 1 ? 1u : 2u;
    for (size_t i = 0; i < ngt; i++) p.gt_max[i] = (unsigned)gt_max[i];
    if (!order) {
        cli_error("train: --order: expected an n-gram order from 1 to %d, got none", LMP_NGRAM_MAX_ORDER);
        return CLI_USAGE;
    }
    if (!output) {
        cli_error("train: --output: expected an output file (or '-' for stdout), got none");
        return CLI_USAGE;
    }
    if (!input) {
        cli_error("train: expected an input text file (or '-' for stdin), got none");
        return CLI_USAGE;
    }
    if (np > (size_t)order) {
        cli_error("train: --prune: expected at most one threshold per order (%ld), got %zu", order, np);
        return CLI_USAGE;
    }
    if (ngt > (size_t)order) {
        cli_error("train: --gt-max: expected at most one k per order (%ld), got %zu", order, ngt);
        return CLI_USAGE;
    }
    for (size_t i = np; np > 0 && i < LMP_NGRAM_MAX_ORDER; i++) p.prune[i] = p.prune[np - 1]; /* as lmplz: the last value repeats */
    for (size_t i = ngt; ngt > 0 && i < LMP_NGRAM_MAX_ORDER; i++) p.gt_max[i] = p.gt_max[ngt - 1];
    if (p.estimator == LMP_EST_KATZ && np == 0) /* SRILM ngram-count's -gtNmin: 1 1 2 2 ..., i.e. prune 0 0 1 1 ... */
        for (int i = 2; i < LMP_NGRAM_MAX_ORDER; i++) p.prune[i] = 1;
    p.order = order > 1000000 ? 1000000u : (unsigned)order; /* the library names the limit */
    /* the rest of the settings' domain (the fallback discounts D_j <= j, the prune thresholds):
     * the library's rule, a usage error before any text is read */
    lmp_error perr = {0};
    if (lmp_train_params_check(&p, &perr)) {
        cli_error("train: %s", perr.msg);
        return CLI_USAGE;
    }
    if (cli_quiet && json) { /* the JSON summary was dropped in silence, exit 0 */
        cli_error("train: --quiet with --json: expected one or the other (--quiet prints no summary, --json prints it "
                  "as JSON)");
        return CLI_USAGE;
    }
    /* lmprob-mpi: what the ranks cannot share out is a usage error (exit 2), as an option outside its domain;
     * the library refuses it too, but as a failure (exit 1). Only rank 0's words are shown (mpi/main.c). */
    if (train != train_here) {
        struct stat sb;
        if (mpi_train_not_distributed(&p)) {
            cli_error("train: --vocab, --min-count and --vocab-size are not distributed: expected lmprob train for "
                      "them");
            return CLI_USAGE;
        }
        /* stdin, a FIFO, a device (a folder is the reader's "expected a regular file", exit 1, as train's) */
        if (strcmp(input, "-") == 0 ||
            (input[0] != '@' && stat(input, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))) {
            cli_error("train: %s: expected a regular file (each rank reads its own byte range of it)",
                      strcmp(input, "-") == 0 ? "input '-'" : input);
            return CLI_USAGE;
        }
        /* @LIST: every rank reads the list, so it is a file, looked at before anything opens it: a FIFO waited
         * in fopen for a writer while the other ranks waited in the agreement, for ever (one writer fed one
         * rank, and the others read an empty list) */
        if (input[0] == '@' && stat(input + 1, &sb) == 0 && !S_ISREG(sb.st_mode)) {
            cli_error("train: file list %s: expected a regular file (every rank reads it)", input + 1);
            return CLI_USAGE;
        }
    }
    /* fail early: not after minutes of counting */
    /* "@LIST", a file naming the input files (lmprob train and lmprob-mpi, docs/mpi.md) */
    const char *checked = input[0] == '@' ? input + 1 : input;
    if (cli_check_input("train", checked) || cli_check_input("train", p.vocab_file)) return CLI_FAIL;
    char vpath[4200]; /* GPT-2 tokens: the vocabulary that will be read, however it is found */
    const char *gvocab = p.corpus.mode == LMP_CORPUS_GPT2 ? cli_gpt2_vocab_path(gpt2_vocab, vpath, sizeof vpath) : gpt2_vocab;
    const char *inputs[] = {checked, p.vocab_file, gvocab}, *const in_what[] = {"TEXT", "--vocab", "--gpt2-vocab"};
    if (cli_inputs_once("train", in_what, inputs, 2)) return CLI_USAGE; /* --vocab - -: a vocabulary of <unk> */
    if ((rc = cli_model_out_check("train", output)) || (rc = cli_check_output_from("train", output, inputs, 3))) return rc;
    if (checked != input) { /* and not one of the list's files: its rename would replace that input */
        char **list;
        size_t nl;
        lmp_error lerr;
        if (cli_file_list_read(checked, &list, &nl, &lerr)) {
            cli_error("train: %s", lerr.msg);
            return CLI_FAIL;
        }
        rc = cli_check_output_from("train", output, (const char *const *)list, nl);
        cli_file_list_free(list, nl);
        if (rc) return rc;
    }
    cli_stdin_note("train", input);

    if (gpt2_vocab && p.corpus.mode != LMP_CORPUS_GPT2) {
        cli_error("train: --gpt2-vocab goes with --mode gpt2");
        return CLI_USAGE;
    }
    lmp_tokenizer *tok = NULL;
    if (p.corpus.mode == LMP_CORPUS_GPT2 && !(tok = cli_gpt2_load("train", gpt2_vocab))) return CLI_FAIL;
    p.corpus.tokenizer = tok;
    /* after the refusals above, which returned without freeing it (LeakSanitizer, from a CLI fuzz run) */
    char *command = cli_join_command(argc, argv);
    p.command = command;
    progress_state ps;
    clock_gettime(CLOCK_MONOTONIC, &ps.t0);
    /* --quiet: nothing on stderr but errors and notes, on a terminal too (the stages were shown there, which
     * docs/mpi.md said --quiet silenced) */
    if (!cli_quiet && (isatty(2) || stages)) {
        p.progress = on_progress;
        p.progress_ctx = &ps;
    }
    lmp_error err;
    lmp_error_clear(&err);
    lmp_train_model *m = NULL;
    const int binary = cli_model_out_format(output) == 1, trie = cli_model_out_format(output) == 2;
    /* watched from here: lmprob-mpi's ranks write the ARPA file inside train() */
    int slot = cli_output_begin(output), written = 0;
    lmp_status st = train(input, binary || trie ? NULL : output, &p, &m, &written, &err);
    lmp_tokenizer_free(tok); /* the model keeps the token names, not the tokenizer */
    free(command);
    if (st) {
        cli_output_end(slot);
        if (!err.msg[0] && train != train_here) return CLI_FAIL; /* another MPI rank said why */
        /* the corpus reader's refusals that an option of train's undoes (the reader, shared by every
         * command, cannot know which options the one reading takes) */
        const char *hint = st == LMP_ERANGE && strstr(err.msg, "the reader's piece limit")
                               ? " (train's: a 36th of its line limit, which is an eighth of --memory, at most 256 MiB: "
                                 "a larger --memory raises it)"
                           : st != LMP_EFORMAT                           ? ""
                           : strstr(err.msg, ": invalid UTF-8 at byte ") ? "; --utf8-replace replaces invalid UTF-8 by U+FFFD"
                           : strstr(err.msg, ": sentence marker '")      ? "; --skip-markers drops them"
                           : strstr(err.msg, ": line longer than ")
                               ? "; train's line limit is an eighth of --memory, at most 256 MiB: a larger --memory raises it"
                               : "";
        cli_error("train: %s%s", err.msg[0] ? err.msg : lmp_status_str(st), hint);
        return CLI_FAIL;
    }
    if (!m) { /* an MPI rank other than 0: rank 0 writes the model or has written it */
        cli_output_end(slot);
        return CLI_OK;
    }
    if (p.progress && !written) on_progress(&ps, binary || trie ? "writing the binary" : "writing ARPA", 0);
    if (written) {
        /* lmprob-mpi's ranks wrote it (st is LMP_OK here) */
    } else if (binary || trie) {
        /* straight from the trained model to the binary layout: no ARPA text in between */
        lmp_ngram *nm = NULL;
        st = lmp_ngram_create_from_train(m, &nm, &err);
        if (!st) st = trie ? lmp_ngram_write_trie(nm, output, NULL, &err) : lmp_ngram_write_binary(nm, output, &err);
        lmp_ngram_free(nm);
    } else {
        st = lmp_train_write_arpa(m, output, &err);
    }
    cli_output_end(slot);
    if (st) {
        lmp_train_model_free(m);
        cli_error("train: %s", err.msg[0] ? err.msg : lmp_status_str(st));
        return CLI_FAIL;
    }
    lmp_train_info info;
    lmp_train_get_info(m, &info);
    lmp_train_model_free(m);
    if (json) {
        FILE *f = cli_output_is_stdout(output) ? stderr : stdout;
        fprintf(f, "{\"estimator\": ");
        cli_json_string(f, lmp_train_estimator_name(info.estimator));
        fprintf(f, ", \"order\": %u, \"sentences\": %llu, \"tokens\": %llu, \"vocab\": %llu, \"ngrams\": [", info.order,
                (unsigned long long)info.sentences, (unsigned long long)info.tokens, (unsigned long long)info.vocab);
        for (unsigned n = 1; n <= info.order; n++) fprintf(f, "%s%llu", n > 1 ? ", " : "", (unsigned long long)info.counts[n]);
        fprintf(f, "]");
        if (info.estimator == LMP_EST_KATZ) {
            fprintf(f, ", \"good_turing\": [");
            for (unsigned n = 1; n <= info.order; n++) {
                fprintf(f, "%s", n > 1 ? ", " : "");
                cli_json_doubles(f, &info.gt_coeff[n][1], info.gt_max[n]);
            }
            fprintf(f, "]");
        }
        if (info.estimator == LMP_EST_MKN || info.estimator == LMP_EST_KN || info.estimator == LMP_EST_ABS) {
            fprintf(f, ", \"discounts\": [");
            for (unsigned n = 1; n <= info.order; n++) {
                fprintf(f, "%s", n > 1 ? ", " : "");
                cli_json_doubles(f, &info.discount[n][1], 3);
            }
            fprintf(f, "]");
        }
        fprintf(f, ", \"spilled_runs\": %llu, \"peak_bytes\": %llu, \"seconds\": ", (unsigned long long)info.spilled_runs,
                (unsigned long long)info.peak_bytes);
        cli_json_double(f, elapsed(&ps.t0));
        fprintf(f, ", \"output\": ");
        cli_json_string(f, output);
        fprintf(f, "}\n");
    } else if (!cli_quiet) {
        FILE *f = cli_output_is_stdout(output) ? stderr : stdout;
        fprintf(f, "%s, order %u: %llu sentences, %llu tokens, vocabulary %llu (with <unk> <s> </s>)\n",
                est_name(info.estimator), info.order, (unsigned long long)info.sentences,
                (unsigned long long)info.tokens, (unsigned long long)info.vocab);
        for (unsigned n = 1; n <= info.order; n++) {
            fprintf(f, "  %u-grams %12llu", n, (unsigned long long)info.counts[n]);
            if (info.estimator == LMP_EST_MKN)
                fprintf(f, "   D1=%.6g D2=%.6g D3+=%.6g%s", info.discount[n][1], info.discount[n][2],
                        info.discount[n][3], info.fallback_used[n] ? " (fallback)" : "");
            else if (info.estimator == LMP_EST_KN || info.estimator == LMP_EST_ABS)
                fprintf(f, "   D=%.6g%s", info.discount[n][1], info.fallback_used[n] ? " (fallback)" : "");
            else if (info.estimator == LMP_EST_KATZ) {
                fprintf(f, "   Good-Turing k=%u", info.gt_max[n]);
                for (unsigned r = 1; r <= info.gt_max[n]; r++) fprintf(f, " d%u=%.6g", r, info.gt_coeff[n][r]);
            }
            fputc('\n', f);
        }
        if (info.spilled_runs) fprintf(f, "  %llu sorted runs spilled to disk and merged\n", (unsigned long long)info.spilled_runs);
        fprintf(f, "wrote %s in %.2f s\n", output, elapsed(&ps.t0));
    }
    return CLI_OK;
}
