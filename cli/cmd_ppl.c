/* `lmprob ppl`: perplexity of a text under an n-gram model (ARPA or binary),
 * with KenLM query's conventions (docs/ngram-model.md). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/corpus.h"
#include "lmprob/ngram.h"

#define LN10 2.30258509299404568402

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob ppl [--json] [--per-token] [--per-sentence] [--ln] [--mode word|char|byte|gpt2]\n"
            "                  [--gpt2-vocab P] MODEL TEXT|-\n"
            "\n"
            "Score TEXT (plain, gzip or xz; '-' = stdin) with the n-gram MODEL (ARPA text, plain/gzip/xz, or\n"
            "lmprob's binary format, told apart by content). Each line is one sentence scored as\n"
            "<s> w1 .. wn </s>, as KenLM's query: </s> is scored and counted,\n"
            "<s> is context only; a word not in the model is scored as <unk> and counted as OOV.\n"
            "\n"
            "Prints the perplexity including and excluding OOV words, the OOV and token counts, the total\n"
            "log10 probability, cross-entropy in bits per token and bits per byte of the text (bytes incl.\n"
            "newlines).\n"
            "\n"
            "  --per-token     every token: word=id ngram_length log10p (KenLM query's layout), one\n"
            "                  sentence per line\n"
            "  --per-sentence  every sentence: 'Total: log10p OOV: n' (after its tokens with --per-token)\n"
            "                  (text output: the shortest decimal of the float32 value, as KenLM prints;\n"
            "                  --json: full double precision)\n"
            "  --ln            per-token and per-sentence values as natural logs instead of log10\n"
            "  --scores        score a model whose next-word values are not probabilities (they sum\n"
            "                  to more than 1 after <s>, as stupid backoff's do): without it ppl refuses\n"
            "                  such a model; with it the figures are labelled as from scores\n"
            "  --mode M        tokens as 'lmprob train --mode M' made them: word (split on space, tab, CR\n"
            "                  and NUL, as lmplz), char (UTF-8 characters) or byte; char and byte read the\n"
            "                  text with lmprob's corpus reader (strict UTF-8 in char mode); gpt2: GPT-2's\n"
            "                  BPE tokens of each line, named as in vocab.json (\"Ġthe\"), </s> standing for\n"
            "                  the newline (docs/tokenizer.md). Default: the mode the model records (lmprob\n"
            "                  model info), word for a model without the record; a --mode the record\n"
            "                  contradicts is refused\n"
            "  --gpt2-vocab P  the GPT-2 vocabulary for --mode gpt2 (default: as lmprob tokenize finds it)\n"
            "  --json          one JSON object: perplexity, perplexity_excl_oov, oov, tokens, sentences,\n"
            "                  log10_prob, ln_prob, bits_per_token, bits_per_byte, bytes, (per_token |\n"
            "                  per_sentence arrays)\n"
            "\n"
            "example: lmprob ppl model.bin test.txt\n");
}

typedef struct ppl_ctx {
    int json, per_token, per_sentence, ln, scores;
    int first_token, first_sentence;
    cli_progress prog;
} ppl_ctx;

/* The scorer's callbacks share one context (ppl_ctx); progress forwards to the CLI's line. */
static void progress(void *vctx, double frac)
{
    cli_progress_update(&((ppl_ctx *)vctx)->prog, frac);
}

/* The fewest significant digits (6..9) that read back as the same float32: the
 * model's numbers are float32, as in KenLM, so this prints -0.3 for -0.3. */
static void print_float(double v)
{
    float f = (float)v;
    char buf[32];
    for (int d = 6; d <= 9; d++) {
        snprintf(buf, sizeof buf, "%.*g", d, (double)f);
        if (strtof(buf, NULL) == f || d == 9) break;
    }
    fputs(buf, stdout);
}

static void on_token(void *vctx, const lmp_ngram_token *t)
{
    ppl_ctx *c = vctx;
    double v = c->ln ? t->log10_prob * LN10 : t->log10_prob;
    if (c->json) {
        if (c->per_sentence && c->first_token) fputs(c->first_sentence ? "\n  {\"per_token\": [" : ",\n  {\"per_token\": [", stdout);
        if (c->per_sentence) c->first_sentence = 0;
        fputs(c->first_token ? "\n    {\"word\": " : ",\n    {\"word\": ", stdout);
        c->first_token = 0;
        fputc('"', stdout);
        for (size_t i = 0; i < t->len; i++) {
            unsigned char ch = (unsigned char)t->word[i];
            if (ch == '"' || ch == '\\') fputc('\\', stdout);
            if (ch < 0x20) printf("\\u%04x", ch);
            else fputc(ch, stdout);
        }
        printf("\", \"id\": %d, \"oov\": %s, \"ngram_length\": %u, \"%s\": ", t->id, t->oov ? "true" : "false",
               t->ngram_len, c->ln ? "ln_prob" : "log10_prob");
        cli_json_double(stdout, v);
        fputc('}', stdout);
        return;
    }
    fwrite(t->word, 1, t->len, stdout);
    printf("=%d %u ", t->id, t->ngram_len);
    print_float(v);
    fputc('\t', stdout);
}

static void on_sentence(void *vctx, const lmp_ngram_sentence *s)
{
    ppl_ctx *c = vctx;
    double v = c->ln ? s->log10_prob * LN10 : s->log10_prob;
    if (c->json) {
        if (c->per_sentence) {
            if (!c->per_token) fputs(c->first_sentence ? "\n  {" : ",\n  {", stdout);
            else fputs("], ", stdout);
            c->first_sentence = 0;
            printf("\"%s\": ", c->ln ? "ln_prob" : "log10_prob");
            cli_json_double(stdout, v);
            printf(", \"tokens\": %llu, \"oov\": %llu}", (unsigned long long)s->tokens, (unsigned long long)s->oov);
            c->first_token = 1;
        }
        return;
    }
    if (c->per_sentence) {
        fputs("Total: ", stdout);
        print_float(v);
        printf(" OOV: %llu\n", (unsigned long long)s->oov);
    }
    else if (c->per_token) fputc('\n', stdout);
}

/* char, byte and gpt2 modes: tokens from lmprob's corpus reader, scored sentence by sentence. */
static lmp_status score_corpus(const lmp_ngram *m, const char *path, int mode, const lmp_tokenizer *bpe,
                               lmp_ngram_stats *s, const lmp_ngram_callbacks *cb, lmp_error *err)
{
    memset(s, 0, sizeof *s);
    lmp_corpus_params prm = lmp_corpus_params_default();
    prm.mode = (lmp_corpus_mode)mode;
    prm.tokenizer = bpe;
    lmp_corpus *c;
    lmp_status st = lmp_corpus_load(path, &prm, &c, err);
    if (st) return st;
    const char **w = NULL;
    size_t *len = NULL, cap = 0;
    const lmp_token *tok;
    size_t n;
    while ((st = lmp_corpus_next_line(c, &tok, &n, err)) == LMP_OK) {
        if (n > cap) {
            size_t nc = n * 2;
            const char **nw = realloc(w, nc * sizeof *nw);
            if (nw) w = nw;
            size_t *nl = realloc(len, nc * sizeof *nl);
            if (nl) len = nl;
            if (!nw || !nl) {
                st = lmp_error_set(err, LMP_ENOMEM, "out of memory for a line of %zu tokens", n);
                break;
            }
            cap = nc;
        }
        for (size_t i = 0; i < n; i++) {
            w[i] = tok[i].ptr;
            len[i] = tok[i].len;
        }
        lmp_ngram_score_words(m, w, len, n, s, cb);
    }
    lmp_corpus_stats cs;
    lmp_corpus_get_stats(c, &cs);
    s->bytes = cs.bytes;
    free(w);
    free(len);
    lmp_corpus_free(c);
    return st == LMP_EOF ? LMP_OK : st;
}

int cmd_ppl(int argc, char **argv)
{
    ppl_ctx c = {0};
    int mode = -1; /* -1: word mode through the fast reader of lmp_ngram_score_file */
    int mode_given = 0;
    const char *pos[2] = {NULL, NULL}, *gpt2_vocab = NULL;
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            c.json = 1;
        } else if (strcmp(a, "--per-token") == 0) {
            c.per_token = 1;
        } else if (strcmp(a, "--per-sentence") == 0) {
            c.per_sentence = 1;
        } else if (strcmp(a, "--ln") == 0) {
            c.ln = 1;
        } else if (strcmp(a, "--scores") == 0) {
            c.scores = 1;
        } else if (cli_is_opt(a, "--mode")) {
            const char *v = cli_optarg(argc, argv, &i, "--mode");
            if (!v) return CLI_USAGE;
            mode_given = 1;
            if (strcmp(v, "word") == 0) mode = -1;
            else if (strcmp(v, "char") == 0) mode = LMP_CORPUS_CHAR;
            else if (strcmp(v, "byte") == 0) mode = LMP_CORPUS_BYTE;
            else if (strcmp(v, "gpt2") == 0) mode = LMP_CORPUS_GPT2;
            else {
                cli_error("ppl: --mode: expected 'word', 'char', 'byte' or 'gpt2', got '%s'", v);
                return CLI_USAGE;
            }
        } else if (cli_is_opt(a, "--gpt2-vocab")) {
            if (!(gpt2_vocab = cli_optarg(argc, argv, &i, "--gpt2-vocab"))) return CLI_USAGE;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_error("ppl: unknown option '%s' (see lmprob ppl --help)", a);
            return CLI_USAGE;
        } else {
            if (np == 2) {
                cli_error("ppl: expected MODEL and TEXT, got an extra argument '%s'", a);
                return CLI_USAGE;
            }
            pos[np++] = a;
        }
    }
    if (np != 2) {
        cli_error("ppl: expected MODEL and TEXT, got %d argument%s", np, np == 1 ? "" : "s");
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(pos[0], "-") == 0 && strcmp(pos[1], "-") == 0) {
        cli_error("ppl: MODEL and TEXT cannot both be stdin ('-')");
        return CLI_USAGE;
    }
    lmp_tokenizer *tok = NULL;
    cli_progress_start(&c.prog, "lmprob ppl", "loading model");
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    lmp_status st = lmp_ngram_load(pos[0], progress, &c, &m, &err);
    if (st) {
        cli_error("ppl: %s", err.msg);
        return CLI_FAIL;
    }
    /* The model's record of its tokens decides the mode when --mode is not
     * given, and refuses a --mode that disagrees with it. */
    lmp_ngram_tokens have = lmp_ngram_get_tokens(m);
    if (!mode_given) {
        if (have == LMP_NGRAM_TOKENS_CHAR) mode = LMP_CORPUS_CHAR;
        else if (have == LMP_NGRAM_TOKENS_BYTE) mode = LMP_CORPUS_BYTE;
        else if (have == LMP_NGRAM_TOKENS_GPT2) mode = LMP_CORPUS_GPT2;
    }
    lmp_ngram_tokens want = mode == LMP_CORPUS_CHAR   ? LMP_NGRAM_TOKENS_CHAR
                            : mode == LMP_CORPUS_BYTE ? LMP_NGRAM_TOKENS_BYTE
                            : mode == LMP_CORPUS_GPT2 ? LMP_NGRAM_TOKENS_GPT2
                                                      : LMP_NGRAM_TOKENS_WORD;
    if (lmp_ngram_check_tokens(m, want, &err)) {
        cli_error("ppl: %s: %s", pos[0], err.msg);
        lmp_ngram_free(m);
        return CLI_USAGE;
    }
    if (gpt2_vocab && mode != LMP_CORPUS_GPT2) {
        cli_error("ppl: --gpt2-vocab goes with --mode gpt2");
        lmp_ngram_free(m);
        return CLI_USAGE;
    }
    if (mode == LMP_CORPUS_GPT2 && !(tok = cli_gpt2_load("ppl", gpt2_vocab))) {
        lmp_ngram_free(m);
        return CLI_FAIL;
    }
    /* Perplexity needs probabilities: a model whose values after <s> sum past 1
     * (stupid backoff, Brants et al. 2007) gives scores. 1e-3: far above float
     * rounding over a vocabulary, far below stupid backoff's excess. */
    int32_t bos = lmp_ngram_bos(m);
    double mass = bos >= 0 ? lmp_ngram_mass_after(m, &bos, 1) : 1.0;
    const char *est = lmp_ngram_meta_get(m, LMP_NGRAM_META_ESTIMATOR); /* lmprob's record, when there is one */
    int unnormalised = mass > 1.0 + 1e-3 || (est && strncmp(est, "stupid", 6) == 0);
    if (unnormalised && !c.scores) {
        cli_error("ppl: %s: %s (the values after <s> sum to %.6g): scores, not probabilities, so perplexity is "
                  "undefined; --scores computes the same figures from the scores",
                  pos[0], est && strncmp(est, "stupid", 6) == 0 ? "a stupid-backoff model" : "not a probability model",
                  mass);
        lmp_tokenizer_free(tok);
        lmp_ngram_free(m);
        return CLI_FAIL;
    }
    cli_progress_phase(&c.prog, "scoring");
    c.first_token = 1;
    c.first_sentence = 1;
    lmp_ngram_callbacks cb = {NULL, NULL, progress, &c};
    if (c.per_token) cb.token = on_token;
    if (c.per_token || c.per_sentence) cb.sentence = on_sentence;
    if (c.json) {
        fputs("{", stdout);
        if (c.per_sentence) fputs("\"per_sentence\": [", stdout);
        else if (c.per_token) fputs("\"per_token\": [", stdout);
    }
    lmp_ngram_stats s;
    st = mode < 0 ? lmp_ngram_score_file(m, pos[1], &s, &cb, &err) : score_corpus(m, pos[1], mode, tok, &s, &cb, &err);
    lmp_tokenizer_free(tok);
    if (st) {
        if (c.json || c.per_token || c.per_sentence) fputc('\n', stdout);
        fflush(stdout);
        cli_error("ppl: %s", err.msg);
        lmp_ngram_free(m);
        return CLI_FAIL;
    }
    double ppl = lmp_ngram_stats_perplexity(&s), ppl_x = lmp_ngram_stats_perplexity_excl_oov(&s);
    double bpt = lmp_ngram_stats_bits_per_token(&s), bpb = lmp_ngram_stats_bits_per_byte(&s);
    lmp_ngram_info info;
    lmp_ngram_get_info(m, &info);
    if (c.json) {
        if (c.per_sentence || c.per_token) fputs("\n  ],\n ", stdout);
        fputs("\"model\": ", stdout);
        cli_json_string(stdout, pos[0]);
        fputs(", \"text\": ", stdout);
        cli_json_string(stdout, pos[1]);
        printf(", \"order\": %u, \"vocab_size\": %zu,%s\n  \"perplexity\": ", info.order, info.vocab_size,
               unnormalised ? " \"scores_not_probabilities\": true," : "");
        cli_json_double(stdout, ppl);
        fputs(", \"perplexity_excl_oov\": ", stdout);
        cli_json_double(stdout, ppl_x);
        printf(",\n  \"oov\": %llu, \"tokens\": %llu, \"sentences\": %llu, \"bytes\": %llu,\n  \"log10_prob\": ",
               (unsigned long long)s.oov, (unsigned long long)s.tokens, (unsigned long long)s.sentences,
               (unsigned long long)s.bytes);
        cli_json_double(stdout, s.log10_prob);
        fputs(", \"ln_prob\": ", stdout);
        cli_json_double(stdout, s.log10_prob * LN10);
        fputs(", \"bits_per_token\": ", stdout);
        cli_json_double(stdout, bpt);
        fputs(", \"bits_per_byte\": ", stdout);
        cli_json_double(stdout, bpb);
        fputs("}\n", stdout);
    } else {
        if (unnormalised)
            printf("NOTE: the model gives scores, not probabilities (they sum to %.6g after <s>): the figures\n"
                   "below are computed from scores and are no perplexity\n", mass);
        printf("Perplexity including OOVs:\t%.10g\n", ppl);
        printf("Perplexity excluding OOVs:\t%.10g\n", ppl_x);
        printf("OOVs:\t%llu\n", (unsigned long long)s.oov);
        printf("Tokens:\t%llu\n", (unsigned long long)s.tokens);
        printf("Sentences:\t%llu\n", (unsigned long long)s.sentences);
        printf("log10 probability:\t%.10g\n", s.log10_prob);
        printf("Bits per token:\t%.6f\n", bpt);
        printf("Bits per byte:\t%.6f\t(%llu bytes incl. newlines)\n", bpb, (unsigned long long)s.bytes);
    }
    lmp_ngram_free(m);
    if (fflush(stdout) != 0) {
        cli_error("ppl: writing to stdout failed: %s", strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}
