/* `lmprob ppl`: perplexity of a text under any model behind lm.h. An n-gram
 * model scores each line as a sentence with KenLM query's conventions
 * (docs/ngram-model.md), through the batch scorer of lmp_ngram_score_file;
 * with --window/--stride/--recipe, or for GPT-2, the text is one token stream
 * scored over windows by one of three recipes (docs/perplexity.md). */
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
            "                  [--gpt2-vocab P] [--window W] [--stride S] [--recipe exact|hf|chapter|all] [--threads T] [--quiet]\n"
            "                  (MODEL | --model MODEL) TEXT|-\n"
            "\n"
            "Perplexity of TEXT (plain, gzip or xz, told apart by content; '-' = stdin) under MODEL:\n"
            "an n-gram model (ARPA text, plain/gzip/xz, or lmprob's binary format, told apart by content) or\n"
            "GPT-2 (a Hugging Face folder with config.json + model.safetensors or pytorch_model.bin, or one\n"
            "such file).\n"
            "\n"
            "n-gram models, by default: each line is one sentence scored as <s> w1 .. wn </s>, as KenLM's\n"
            "query: </s> is scored and counted, <s> is context only; a word not in the model is scored as\n"
            "<unk> and counted as OOV. Prints the perplexity including and excluding OOV words, the OOV and\n"
            "token counts, the total log10 probability, cross-entropy in bits per token and bits per byte of\n"
            "the text (bytes incl. newlines). A text with no sentence prints nan, as KenLM's query does, and\n"
            "says why on stderr.\n"
            "\n"
            "  --per-token     every token: word=id ngram_length log10p (KenLM query's layout), one\n"
            "                  sentence per line (windows: pos id ln_p \"token\", one token per line)\n"
            "  --per-sentence  every sentence: 'Total: log10p OOV: n' (after its tokens with --per-token)\n"
            "                  (text output: the shortest decimal of the float32 value, as KenLM prints;\n"
            "                  --json: full double precision)\n"
            "  --ln            per-token and per-sentence values as natural logs instead of log10\n"
            "  --scores        score a model whose next-word values are not probabilities (they sum\n"
            "                  to more than 1 after <s>, as stupid backoff's do): without it ppl refuses\n"
            "                  such a model; with it the figures are labelled as from scores\n"
            "  --mode M        tokens as 'lmprob train --mode M' made them: word (the default when the model\n"
            "                  does not say; split on space, tab, CR and NUL, as lmplz), char (UTF-8\n"
            "                  characters), byte, or gpt2 (GPT-2's BPE tokens of each line, named as in\n"
            "                  vocab.json, </s> for the newline; docs/tokenizer.md); a mode the model's\n"
            "                  file contradicts is refused\n"
            "  --gpt2-vocab P  GPT-2's vocabulary (folder or .tiktoken file) for --mode gpt2 and for a GPT-2\n"
            "                  model whose folder has none (default: as lmprob tokenize finds it)\n"
            "  --json          one JSON object: perplexity, perplexity_excl_oov, oov, tokens, sentences,\n"
            "                  log10_prob, ln_prob, bits_per_token, bits_per_byte, bytes, (per_token |\n"
            "                  per_sentence arrays); with windows also scored_tokens, scored_bytes (the\n"
            "                  bytes of the scored tokens: bits_per_byte's denominator), forward_passes,\n"
            "                  recipe, window, stride\n"
            "\n"
            "Windows (GPT-2 always; an n-gram model when one of these is given): the whole text is one\n"
            "token stream (an n-gram model's lines still <s> .. </s>), read by windows of W tokens moved by\n"
            "S: begin = 0, S, 2S, ..., end = min(begin + W, L); each window scores the tokens no earlier\n"
            "window scored, and a window's first token is context only.\n"
            "  --window W      tokens per window (default: the model's context, 1024 for GPT-2; the whole\n"
            "                  text for an n-gram model)\n"
            "  --stride S      tokens between window starts, 1 <= S <= W (default W/2)\n"
            "  --recipe R      exact (default): exp(sum of the NLL of every scored token / their number);\n"
            "                  hf: the Hugging Face doc's (each window's mean loss weighted by its labels\n"
            "                  minus one); chapter: the chapter's compute_perplexity, nan included (L = 1 mod\n"
            "                  S); all: the three from one set of forward passes\n"
            "  --threads T     GPT-2: threads of the forward pass (default 0: all cores)\n"
            "  --quiet         no progress line on a terminal (errors and notes still print)\n"
            "\n"
            "examples: lmprob ppl model.bin test.txt\n"
            "          lmprob ppl --model gpt2/ --json wiki.test.txt\n"
            "          lmprob ppl --model gpt2/ --window 1024 --stride 512 --recipe all text.txt\n");
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
        cli_json_bytes(stdout, t->word, t->len);
        printf(", \"id\": %d, \"oov\": %s, \"ngram_length\": %u, \"%s\": ", t->id, t->oov ? "true" : "false",
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
    lmp_corpus_params prm;
    lmp_corpus_params_init(&prm);
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


/* ---- windows: the text as one token stream, lmp_eval_perplexity --------------------- */

typedef struct stream_ctx {
    const lmp_lm *lm;
    const unsigned char *unknown;
    const lmp_lm_span *spans; /* where each token is in the text */
    size_t len;               /* the text's bytes */
    int json, per_token, first;
    int opened;               /* the output has begun ("{", the per-token list): nothing before a result */
    double ln_oov;            /* ln p of the scored unknown tokens */
    uint64_t oov;
    size_t scored_bytes;      /* the bytes the scored tokens stand for (owned_bytes) */
    size_t n;                 /* tokens in the stream: progress is the scored token's position over it */
    cli_progress prog;
} stream_ctx;

/* The bytes token i stands for: from where it starts to where the next one starts (the first token from
 * the text's start, the last to its end), so that the tokens' shares add up to the text: white space
 * between words goes to the word before it, the newline to an n-gram model's </s>. bits per byte divides
 * the scored tokens' bits by their shares (docs/perplexity.md). */
static size_t owned_bytes(const stream_ctx *c, size_t i)
{
    size_t from = i == 0 ? 0 : c->spans[i].offset, to = i + 1 < c->n ? c->spans[i + 1].offset : c->len;
    return to > from ? to - from : 0;
}

/* Begin the output at the first thing printed, so that an error before any result prints nothing on
 * stdout. */
static void stream_open(stream_ctx *c)
{
    if (c->opened) return;
    c->opened = 1;
    if (c->json) fputs(c->per_token ? "{\"per_token\": [" : "{", stdout);
}

/* Returns nonzero, which stops the passes, once a write to stdout has failed: a GPT-2 pass over a long
 * text streamed to a full disk went on for minutes to report the failure at the end. cmd_ppl's check of
 * stdout then gives the message and exit 1. */
static int on_stream_token(void *ud, const lmp_ppl_token *t)
{
    stream_ctx *c = ud;
    cli_progress_update(&c->prog, (double)t->pos / (double)c->n);
    c->scored_bytes += owned_bytes(c, t->pos);
    int unk = c->unknown && c->unknown[t->pos];
    if (unk) {
        c->oov++;
        c->ln_oov += t->logprob;
    }
    if (!c->per_token) return 0;
    stream_open(c);
    size_t len;
    const char *w = lmp_lm_token_text(c->lm, t->id, &len);
    if (c->json) {
        printf("%s\n    {\"pos\": %zu, \"id\": %d, ", c->first ? "" : ",", t->pos, (int)t->id);
        cli_json_token(stdout, c->lm, t->id); /* token_hex: the exact bytes (a GPT-2 token may be part of a character) */
        printf(", \"oov\": %s, \"context\": %zu, \"ln_prob\": ", unk ? "true" : "false", t->context);
        cli_json_double(stdout, t->logprob);
        fputc('}', stdout);
    } else {
        printf("%zu\t%d\t%.9g\t", t->pos, (int)t->id, t->logprob);
        cli_json_bytes(stdout, w ? w : "", len);
        fputc('\n', stdout);
    }
    c->first = 0;
    return ferror(stdout);
}

static const char *const recipe_names[LMP_PPL_RECIPES] = {"exact", "hf", "chapter"};

/* Bits per byte: the scored tokens' bits over the bytes they stand for (nan when none). */
static double bits_per_byte(const lmp_ppl_result *r, size_t scored_bytes)
{
    return scored_bytes ? log2(r->perplexity) * (double)r->scored_tokens / (double)scored_bytes : NAN;
}

static void json_recipe(const lmp_ppl_result *r, size_t scored_bytes)
{
    fputs("{\"perplexity\": ", stdout);
    cli_json_double(stdout, r->perplexity);
    printf(", \"scored_tokens\": %zu, \"forward_passes\": %zu, \"bits_per_token\": ", r->scored_tokens,
           r->forward_passes);
    cli_json_double(stdout, log2(r->perplexity));
    fputs(", \"bits_per_byte\": ", stdout);
    cli_json_double(stdout, bits_per_byte(r, scored_bytes));
    fputc('}', stdout);
}

static int ppl_windows(const char *model, const lmp_lm *lm, const char *text_path, const cli_lm_opts *lo,
                       int recipe, int json, int per_token, int unnormalised)
{
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    size_t window = (size_t)lo->window, stride = (size_t)lo->stride;
    char *text = NULL;
    size_t len = 0, n = 0;
    lmp_token_id *ids = NULL;
    unsigned char *unknown = NULL;
    lmp_lm_span *spans = NULL;
    lmp_lm_ctx *ctx = NULL;
    lmp_error err = {0};
    /* What the command line and the model decide, before the text is read. */
    int rc = cli_lm_window_check("ppl", model, lm, window);
    if (rc != CLI_OK) return rc;
    if (window && stride && cli_stride_check("ppl", window, stride)) return CLI_USAGE;
    rc = CLI_FAIL;
    if (lmp_read_text(text_path, 0, &text, &len, &err)) {
        cli_error("ppl: %s", err.msg);
        return CLI_FAIL;
    }
    if (cli_tokenize("ppl", cli_input_name(text_path), lm, text, len, LMP_LM_SENTENCES, &ids, &unknown, &spans, &n,
                     &err)) {
        cli_error("ppl: %s: %s", text_path, err.msg);
        goto done;
    }
    lmp_eval_windows(lm, n, &window, &stride);
    if (window < 2) { /* an unbounded model's window is the whole text: one of fewer than 2 tokens still has one */
        window = 2;
        if (stride == 0) stride = 1;
    }
    if (cli_stride_check("ppl", window, stride)) { /* --stride against the model's or the text's window */
        rc = CLI_USAGE;
        goto done;
    }
    size_t cap = window < n ? window : n;
    if (lmp_lm_ctx_create(lm, cap ? cap : 1, &ctx, &err)) {
        cli_error("ppl: %s", err.msg);
        goto done;
    }
    stream_ctx sc = {lm, unknown, spans, len, json, per_token, 1, 0, 0.0, 0, 0, n, {0}};
    /* A GPT-2 window is a forward pass of up to 1024 tokens: a long text takes minutes, so the
     * percentage of the stream scored is drawn on a terminal. */
    cli_progress_start(&sc.prog, "ppl", "scoring");
    cli_progress_streams(&sc.prog, per_token);
    unsigned mask = recipe < 0 ? LMP_PPL_ALL : 1u << recipe;
    mask |= 1u << LMP_PPL_EXACT; /* the token counts and log-probabilities come from the exact sum */
    lmp_ppl_result res[LMP_PPL_RECIPES];
    lmp_status st = lmp_eval_perplexity(ctx, ids, n, window, stride, mask, on_stream_token, &sc, res, &err);
    cli_progress_update(&sc.prog, 1.0);
    /* A text with no token to score (fewer than 2 tokens) has an undefined perplexity: printed as nan with a
     * note, exit 0, as the n-gram scoring without windows (and KenLM's query) does for an empty text. */
    int none = st == LMP_EDOM;
    if (st == LMP_ECANCELED) { /* stdout failed (on_stream_token): cmd_ppl says how, exit 1 */
        rc = CLI_OK;
        goto done;
    }
    if (st && !none) {
        if (sc.opened && (json || per_token)) fputc('\n', stdout);
        fflush(stdout);
        cli_error("ppl: %s: %s", text_path, err.msg);
        goto done;
    }
    stream_open(&sc);
    const lmp_ppl_result *ex = &res[LMP_PPL_EXACT], *main_r = &res[recipe < 0 ? LMP_PPL_EXACT : recipe];
    double ln_prob = 0.0 - ex->nll; /* +0, not -0, for the empty sum of a text with no token scored */
    double ppl_x = ex->scored_tokens > sc.oov ? exp(-(ln_prob - sc.ln_oov) / (double)(ex->scored_tokens - sc.oov))
                                              : NAN;
    uint64_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += text[i] == '\n';
    if (len && text[len - 1] != '\n') lines++;
    if (json) {
        if (per_token) fputs("\n  ],\n ", stdout);
        fputs("\"model\": ", stdout);
        cli_json_string(stdout, model);
        fputs(", \"text\": ", stdout);
        cli_json_string(stdout, text_path);
        printf(", \"model_kind\": \"%s\", \"vocab_size\": %zu,%s", in.name, in.vocab_size,
               unnormalised ? " \"scores_not_probabilities\": true," : "");
        if (in.order) printf(" \"order\": %u,", in.order);
        printf("\n  \"recipe\": \"%s\", \"window\": %zu, \"stride\": %zu,\n  \"perplexity\": ",
               recipe < 0 ? "all" : recipe_names[recipe], window, stride);
        cli_json_double(stdout, main_r->perplexity);
        fputs(", \"perplexity_excl_oov\": ", stdout);
        cli_json_double(stdout, recipe <= 0 ? ppl_x : NAN);
        printf(",\n  \"oov\": %llu, \"tokens\": %zu, \"scored_tokens\": %zu, \"forward_passes\": %zu, "
               "\"sentences\": %llu, \"bytes\": %zu, \"scored_bytes\": %zu,\n  \"log10_prob\": ",
               (unsigned long long)sc.oov, n, main_r->scored_tokens, main_r->forward_passes,
               (unsigned long long)lines, len, sc.scored_bytes);
        cli_json_double(stdout, ln_prob / LN10);
        fputs(", \"ln_prob\": ", stdout);
        cli_json_double(stdout, ln_prob);
        fputs(", \"bits_per_token\": ", stdout);
        cli_json_double(stdout, log2(main_r->perplexity));
        fputs(", \"bits_per_byte\": ", stdout);
        cli_json_double(stdout, bits_per_byte(main_r, sc.scored_bytes));
        if (recipe < 0) {
            fputs(",\n  \"recipes\": {", stdout);
            for (int r = 0; r < LMP_PPL_RECIPES; r++) {
                printf("%s\"%s\": ", r ? ", " : "", recipe_names[r]);
                json_recipe(&res[r], sc.scored_bytes);
            }
            fputc('}', stdout);
        }
        fputs("}\n", stdout);
    } else {
        for (int r = 0; r < LMP_PPL_RECIPES; r++) {
            if (!(recipe < 0 || r == recipe)) continue;
            printf("Perplexity (%s):\t%.10g\t(%zu forward pass%s)\n", recipe_names[r], cli_text_num(res[r].perplexity),
                   res[r].forward_passes, res[r].forward_passes == 1 ? "" : "es");
        }
        if (sc.oov) printf("Perplexity excluding OOVs:\t%.10g\n", ppl_x);
        printf("Window:\t%zu\tstride %zu\n", window, stride);
        printf("Tokens:\t%zu\t(%zu scored%s)\n", n, ex->scored_tokens, main_r == ex ? "" : ", each once: the exact recipe's count");
        if (in.unk >= 0) printf("OOVs:\t%llu\n", (unsigned long long)sc.oov);
        /* The counts and the log-probability are the exact sum's (every token once); the bits are the chosen
         * recipe's figure: each line says which when they differ (--recipe hf, chapter) */
        const char *ex_tag = main_r == ex ? "" : " (exact)";
        char r_tag[32] = "";
        if (main_r != ex) snprintf(r_tag, sizeof r_tag, " (%s)", recipe_names[recipe]);
        printf("ln probability%s:\t%.10g\n", ex_tag, ln_prob);
        printf("Bits per token%s:\t%.6f\n", r_tag, cli_text_num(log2(main_r->perplexity)));
        printf("Bits per byte%s:\t%.6f\t(%zu bytes scored of %zu)\n", r_tag, cli_text_num(bits_per_byte(main_r, sc.scored_bytes)),
               sc.scored_bytes, len);
    }
    if (none)
        fprintf(stderr, "lmprob: ppl: note: %s: no token to score in %zu token%s (a window's first token is context "
                "only): the perplexity is undefined (nan)\n", cli_input_name(text_path), n, n == 1 ? "" : "s");
    rc = CLI_OK;
done:
    lmp_lm_ctx_free(ctx);
    free(text);
    free(ids);
    free(unknown);
    free(spans);
    return rc;
}

int cmd_ppl(int argc, char **argv)
{
    ppl_ctx c = {0};
    cli_lm_opts lo = CLI_LM_OPTS_INIT;
    const char *pos[2] = {NULL, NULL}, *model = NULL;
    int np = 0, recipe_given = 0, recipe = LMP_PPL_EXACT;
    static const cli_choice recipes[] = {
        {"exact", LMP_PPL_EXACT}, {"hf", LMP_PPL_HF}, {"chapter", LMP_PPL_CHAPTER}, {"all", -1}, {NULL, 0}};
    const cli_opt opts[] = {
        CLI_OPT_JSON(&c.json),
        {.name = "--per-token", .kind = CLI_OPT_FLAG, .dest = &c.per_token},
        {.name = "--per-sentence", .kind = CLI_OPT_FLAG, .dest = &c.per_sentence},
        {.name = "--ln", .kind = CLI_OPT_FLAG, .dest = &c.ln},
        {.name = "--scores", .kind = CLI_OPT_FLAG, .dest = &c.scores},
        CLI_OPTS_LM(lo), CLI_OPTS_LM_WINDOW(lo), CLI_OPT_MODEL(&model),
        {.name = "--recipe", .kind = CLI_OPT_CHOICE, .dest = &recipe, .choices = recipes,
         .expect = "exact, hf, chapter or all", .seen = &recipe_given},
    };
    size_t npos = 0;
    int prc = cli_parse("ppl", argc, argv, opts, CLI_NOPTS(opts), pos, 2, &npos, usage);
    if (prc) return prc;
    np = (int)npos;
    if (model && np == 1) pos[1] = pos[0], pos[0] = model, np = 2;
    else if (model && np == 2) { /* MODEL TEXT --model X, or --model X TEXT TEXT */
        cli_error("ppl: expected --model MODEL and one TEXT, got --model '%s' and two arguments, '%s' and '%s' (the "
                  "model goes once: as --model, or as the first argument)", model, pos[0], pos[1]);
        return CLI_USAGE;
    } else if (model) {
        cli_error("ppl: expected --model MODEL and one TEXT, got no TEXT");
        return CLI_USAGE;
    }
    if (np != 2) {
        cli_error("ppl: expected MODEL and TEXT, got %d argument%s", np, np == 1 ? "" : "s");
        usage(stderr);
        return CLI_USAGE;
    }
    const char *const in_what[] = {"MODEL", "TEXT"};
    if (cli_inputs_once("ppl", in_what, (const char *const *)pos, 2)) return CLI_USAGE;
    if (cli_check_input("ppl", pos[1])) return CLI_FAIL; /* fail before loading a large model */
    int orc = cli_check_output_from("ppl", NULL, (const char *const *)pos, 2); /* standard output */
    if (orc) return orc;
    cli_stdin_note("ppl", pos[1]);
    lmp_lm *lm = NULL;
    int rc_load;
    if ((rc_load = cli_lm_load("ppl", pos[0], &lo, &lm)) != CLI_OK) return rc_load;
    const lmp_ngram *m = lmp_lm_ngram(lm);
    /* Perplexity needs probabilities: the one rule of every such command (stupid backoff, Brants
     * et al. 2007, gives scores); --scores computes the same figures from them, with a note. */
    lmp_error perr = {0};
    int unnormalised = m && lmp_ngram_check_probabilities(m, NULL, &perr) != LMP_OK;
    if (unnormalised && !c.scores) {
        cli_error("ppl: %s: %s, so perplexity is undefined; --scores computes the same figures from the scores",
                  pos[0], perr.msg);
        lmp_lm_free(lm);
        return CLI_FAIL;
    }
    if (!m || lo.windows_given || recipe_given) {
        if (c.per_sentence) {
            cli_error("ppl: --per-sentence: sentences are an n-gram scoring without windows; expected --per-token");
            lmp_lm_free(lm);
            return CLI_USAGE;
        }
        if (unnormalised && !c.json)
            printf("NOTE: %s\nNOTE: the figures below are computed from scores and are no perplexity\n", perr.msg);
        int rc = ppl_windows(pos[0], lm, pos[1], &lo, recipe, c.json, c.per_token, unnormalised);
        lmp_lm_free(lm);
        if (rc == CLI_OK && fflush(stdout) != 0) {
            cli_stdout_failed("ppl", errno);
            return CLI_FAIL;
        }
        return rc;
    }
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    cli_progress_start(&c.prog, "ppl", "scoring");
    cli_progress_streams(&c.prog, c.per_token || c.per_sentence);
    c.first_token = 1;
    c.first_sentence = 1;
    lmp_ngram_callbacks cb = {NULL, NULL, progress, &c};
    if (c.per_token) cb.token = on_token;
    if (c.per_token || c.per_sentence) cb.sentence = on_sentence;
    /* JSON: the object opens with the first line it streams (per token or sentence), else with the figures,
     * after the scoring: a read error late in the text left "{" alone on stdout */
    const int streams = c.per_token || c.per_sentence;
    if (c.json && streams) fputs(c.per_sentence ? "{\"per_sentence\": [" : "{\"per_token\": [", stdout);
    lmp_ngram_stats s;
    lmp_error err = {0};
    /* Word mode: the batch scorer over the file (KenLM query's speed and numbers); char and
     * byte modes: the corpus reader's tokens. */
    lmp_status st = in.tokens == LMP_LM_TOKENS_WORD
                        ? lmp_ngram_score_file(m, pos[1], &s, &cb, &err)
                        : score_corpus(m, pos[1],
                                       in.tokens == LMP_LM_TOKENS_CHAR   ? LMP_CORPUS_CHAR
                                       : in.tokens == LMP_LM_TOKENS_BYTE ? LMP_CORPUS_BYTE
                                                                         : LMP_CORPUS_GPT2,
                                       lmp_lm_tokenizer(lm), &s, &cb, &err);
    if (st) {
        if (c.json && streams) { /* what was streamed stays; the object is closed, the error in it (as generate) */
            cli_json_close_error(stdout, "\n  ]", err.msg);
        } else if (streams) {
            fputc('\n', stdout); /* ends a cut line */
        }
        fflush(stdout);
        cli_error("ppl: %s", err.msg);
        lmp_lm_free(lm);
        return CLI_FAIL;
    }
    double ppl = lmp_ngram_stats_perplexity(&s), ppl_x = lmp_ngram_stats_perplexity_excl_oov(&s);
    double bpt = lmp_ngram_stats_bits_per_token(&s), bpb = lmp_ngram_stats_bits_per_byte(&s);
    if (c.json) {
        fputs(streams ? "\n  ],\n \"model\": " : "{\"model\": ", stdout);
        cli_json_string(stdout, pos[0]);
        fputs(", \"text\": ", stdout);
        cli_json_string(stdout, pos[1]);
        printf(", \"order\": %u, \"vocab_size\": %zu,%s\n  \"perplexity\": ", in.order, in.vocab_size,
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
            printf("NOTE: %s\nNOTE: the figures below are computed from scores and are no perplexity\n", perr.msg);
        printf("Perplexity including OOVs:\t%.10g\n", ppl);
        printf("Perplexity excluding OOVs:\t%.10g\n", ppl_x);
        printf("OOVs:\t%llu\n", (unsigned long long)s.oov);
        printf("Tokens:\t%llu\n", (unsigned long long)s.tokens);
        printf("Sentences:\t%llu\n", (unsigned long long)s.sentences);
        printf("log10 probability:\t%.10g\n", s.log10_prob);
        printf("Bits per token:\t%.6f\n", bpt);
        printf("Bits per byte:\t%.6f\t(%llu bytes incl. newlines)\n", bpb, (unsigned long long)s.bytes);
    }
    /* KenLM's query prints nan for a text with no sentence and succeeds, and scripts (our benchmark's
     * start-up timing among them) run it so; say on stderr why the figures are nan */
    if (s.tokens == 0) cli_note_no_tokens("ppl", pos[1]);
    lmp_lm_free(lm);
    if (fflush(stdout) != 0) {
        cli_stdout_failed("ppl", errno);
        return CLI_FAIL;
    }
    return CLI_OK;
}
