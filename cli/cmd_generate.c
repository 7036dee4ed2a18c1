/* `lmprob generate`: sample text from any model behind lm.h (an n-gram file,
 * a GPT-2 folder) with lmp_lm_generate and the sampler chain of sample.h,
 * printing each token as it is drawn. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

#define LN10 2.30258509299404568402

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob generate (MODEL | --model MODEL) [--prompt TEXT] [-n N] [--sentences K] [--max-len L]\n"
            "                       [sampler options] [--seed S] [--rng xoshiro|numpy] [--mode word|char|byte|gpt2]\n"
            "                       [--gpt2-vocab P] [--threads T] [--quiet] [--json]\n"
            "\n"
            "Sample text from MODEL: an n-gram model (ARPA or binary) or GPT-2 (a Hugging Face folder with\n"
            "config.json + model.safetensors or pytorch_model.bin, or one such file). Each token is drawn\n"
            "from the model's distribution over the whole vocabulary through lmprob's sampler chain (the\n"
            "options and domains of `lmprob decode`) and printed as it comes.\n"
            "\n"
            "  --prompt TEXT      the text to continue, printed first (default none: the model's start; an\n"
            "                     empty TEXT is the same). n-gram models: read\n"
            "                     after <s> with the model's tokens; a word not in the vocabulary is kept as\n"
            "                     typed and shown as <unk:WORD> (the model reads it as <unk>)\n"
            "  -n N               independent samples, each from the prompt (default 1)\n"
            "  --sentences K      sentences per sample, one a line (default 1): after </s> the next sentence\n"
            "                     starts with <s>; GPT-2 goes on after <|endoftext|>\n"
            "  --max-len L        tokens per sentence at most (default 50); a sentence cut there without\n"
            "                     reaching </s> (<|endoftext|>) is reported on stderr\n"
            CLI_SAMPLER_HELP
            "  --seed S           seed (default %d): the same seed gives the same text\n"
            "  --mode M           n-gram models: tokens as 'lmprob train --mode M' made them: word (default\n"
            "                     when the model does not say), char, byte or gpt2; printed as the text they\n"
            "                     stand for (<sp> a space, <tab> a tab, <0xNN> the byte NN); a mode the\n"
            "                     model's file contradicts is refused\n"
            "  --scores           sample from an n-gram model of scores (stupid backoff), renormalised at each\n"
            "                     step; without it such a model is refused, as by ppl (ln_prob then sums\n"
            "                     log scores)\n"
            "  --threads T        GPT-2: threads of the forward pass (default 0: all cores)\n"
            "  --quiet            no progress line on a terminal (errors and notes still print)\n"
            "  --gpt2-vocab P     GPT-2's vocabulary for --mode gpt2 or a GPT-2 folder without one (as lmprob ppl)\n"
            "  --json             one JSON object: per sentence its sample, words (the prompt's first, and the\n"
            "                     prompt's unknown words as typed; valid UTF-8, U+FFFD for a token that is part of\n"
            "                     a character), words_hex (each word's exact bytes in hex) and ids (each\n"
            "                     word's token id: <unk>'s for an unknown word), unknown, the\n"
            "                     number generated, whether it ended, and the log-probability of the\n"
            "                     generated tokens and the end (ln_prob, log10_prob) under the model, before any\n"
            "                     filter\n"
            "\n"
            "examples: lmprob generate ptb5.bin --top-k 40 --temperature 0.8 -n 3 --seed 7\n"
            "          lmprob generate --model gpt2/ --prompt \"The meaning of life is\" --top-p 0.9 --max-len 40\n",
            CLI_DEFAULT_SEED);
}

/* A JSON list's items built while its sentence is drawn (words_hex, ids): "a", "b" without the brackets. */
typedef struct json_items {
    char *s;
    size_t len, cap;
} json_items;

typedef struct gen {
    const lmp_lm *lm;
    lmp_lm_info in;
    int json;
    size_t sample, max_len;
    /* the prompt as typed */
    const char *prompt;
    const lmp_token_id *pids;
    const unsigned char *punk;
    const lmp_lm_span *pspans;
    size_t np;
    /* the current sentence */
    int first_word;
    double lp;
    size_t generated, sentences_out;
    int failed;
    int werr; /* failed = 1: errno of the failed write */
    /* --json: the sentence's words_hex items so far (the exact bytes of each word, which "words"
     * shows as valid UTF-8 with U+FFFD for a GPT-2 token that is part of a character) and its ids
     * (printed at its end, after "words") */
    json_items hex, ids;
    int open; /* --json: a sentence object is open (its words array too) */
} gen;

/* Room for `more` bytes (and a NUL) at the end of a JSON list being built; NULL when out of memory. */
static char *items_room(json_items *b, size_t more)
{
    size_t need = b->len + more + 1;
    if (need > b->cap) {
        size_t nc = b->cap ? 2 * b->cap : 256;
        while (nc < need) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) return NULL;
        b->s = ns;
        b->cap = nc;
    }
    return b->s + b->len;
}

/* One word of the sentence in --json: its text into "words" now, its bytes into words_hex and its id into
 * ids (printed at the sentence's end). */
static void json_word(gen *g, const char *w, size_t len, const char *bytes, size_t nbytes, lmp_token_id id)
{
    fputs(g->first_word ? "" : ", ", stdout);
    cli_json_bytes(stdout, w, len);
    const char *sep = g->first_word ? "" : ", ";
    /* words_hex: the bytes the word stands for in text (a byte token's byte, not "<0xC3>") */
    char *o = items_room(&g->hex, 2 * nbytes + 4), *d = items_room(&g->ids, 16);
    if (!o || !d) {
        g->failed = 2; /* out of memory: said once the sample stops */
        return;
    }
    o += sprintf(o, "%s\"", sep);
    for (size_t i = 0; i < nbytes; i++) o += sprintf(o, "%02x", (unsigned char)bytes[i]);
    *o++ = '"';
    g->hex.len = (size_t)(o - g->hex.s);
    g->ids.len += (size_t)sprintf(d, "%s%d", sep, (int)id);
}

/* A token in --json: its text (a name, "<sp>") in "words", the bytes it stands for in words_hex. */
static void json_token(gen *g, lmp_token_id id)
{
    size_t len = 0, nb = 0;
    char byte;
    const char *w = lmp_lm_token_text(g->lm, id, &len), *b = cli_token_bytes(g->lm, id, &byte, &nb);
    json_word(g, w ? w : "", w ? len : 0, b ? b : "", b ? nb : 0, id);
}

/* The prompt's tokens, unknown words as typed (<unk:WORD> in text, the word in JSON). */
static void print_prompt(gen *g)
{
    for (size_t i = 0; i < g->np; i++) {
        if (g->punk && g->punk[i]) {
            const char *w = g->prompt + g->pspans[i].offset;
            int wl = (int)g->pspans[i].len;
            if (g->json) {
                json_word(g, w, (size_t)wl, w, (size_t)wl, g->pids[i]); /* the id the model read: unk */
            } else {
                printf("%s<unk:%.*s>", g->first_word || g->in.tokens != LMP_LM_TOKENS_WORD ? "" : " ", wl, w);
            }
        } else if (g->json) {
            json_token(g, g->pids[i]);
        } else {
            cli_print_token(stdout, g->lm, g->pids[i], g->first_word);
        }
        g->first_word = 0;
    }
}

static void sentence_start(gen *g, size_t sentence)
{
    g->first_word = 1;
    g->lp = 0.0;
    g->generated = 0;
    g->hex.len = g->ids.len = 0;
    if (g->json)
        printf("%s\n  {\"sample\": %zu, \"sentence\": %zu, \"words\": [", g->sentences_out++ ? "," : "", g->sample,
               sentence);
    g->open = g->json;
    if (sentence == 0) print_prompt(g);
    if (!g->json) fflush(stdout);
}

static int on_event(void *ud, const lmp_lm_event *ev)
{
    gen *g = ud;
    if (ev->index == 0 && ev->kind != LMP_LM_EVENT_CUT) sentence_start(g, ev->sentence);
    if (ev->kind == LMP_LM_EVENT_TOKEN) {
        g->lp += ev->logprob;
        g->generated++;
        if (g->json) {
            json_token(g, ev->id);
        } else {
            cli_print_token(stdout, g->lm, ev->id, g->first_word);
            fflush(stdout); /* stream: each token as it is drawn */
        }
        g->first_word = 0;
        if (ferror(stdout) && !g->failed) g->failed = 1, g->werr = errno; /* the sticky stdout's errno (main.c) */
        return g->failed;
    }
    if (ev->kind == LMP_LM_EVENT_END) g->lp += ev->logprob;
    if (g->json) {
        printf("], \"words_hex\": [%.*s], \"ids\": [%.*s]", (int)g->hex.len, g->hex.s ? g->hex.s : "", (int)g->ids.len,
               g->ids.s ? g->ids.s : "");
        /* the prompt's words not in the vocabulary, as typed: the prompt is the first sentence's, but
         * every sentence object has the same keys ([] after the first) */
        fputs(", \"unknown\": [", stdout);
        for (size_t i = 0, first = 1; ev->sentence == 0 && g->punk && i < g->np; i++)
            if (g->punk[i]) {
                fputs(first ? "" : ", ", stdout);
                cli_json_bytes(stdout, g->prompt + g->pspans[i].offset, g->pspans[i].len);
                first = 0;
            }
        fputc(']', stdout);
        printf(", \"generated\": %zu, \"ended\": %s, \"ln_prob\": ", g->generated,
               ev->kind == LMP_LM_EVENT_END ? "true" : "false");
        cli_json_double(stdout, g->lp);
        fputs(", \"log10_prob\": ", stdout);
        cli_json_double(stdout, g->lp / LN10);
        fputc('}', stdout);
        g->open = 0;
    } else {
        fputc('\n', stdout);
    }
    fflush(stdout);
    if (ev->kind == LMP_LM_EVENT_CUT) {
        /* the end marker by its text: GPT-2's is the config's eos_token_id, <|endoftext|> unless a fine-tune
         * names another token */
        size_t el = 0;
        const char *et = g->in.kind == LMP_LM_GPT2 && g->in.eos >= 0 ? lmp_lm_token_text(g->lm, g->in.eos, &el) : NULL;
        cli_error("generate: sample %zu, sentence %zu: cut at --max-len %zu without %.*s", g->sample + 1,
                  ev->sentence + 1, g->max_len, et && el ? (int)(el < 60 ? el : 60) : g->in.kind == LMP_LM_GPT2 ? 13 : 4,
                  et && el ? et : g->in.kind == LMP_LM_GPT2 ? "<|endoftext|>" : "</s>");
    }
    if (ferror(stdout) && !g->failed) g->failed = 1, g->werr = errno; /* the sticky stdout's errno (main.c) */
    return g->failed;
}

/* Where a sample failed, for its message: the model, the sample and the last tokens of the
 * context ("m.arpa: sample 2, after '... of the'"); malloc'd, NULL without memory. */
static char *where_failed(const gen *g, const char *model, const lmp_lm_ctx *ctx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    size_t n = ctx ? lmp_lm_ctx_length(ctx) : 0, from = n > 8 ? n - 8 : 0;
    const lmp_token_id *t = ctx ? lmp_lm_ctx_tokens(ctx) : NULL;
    fprintf(f, "%s: sample %zu, after '%s", model, g->sample + 1, from ? "... " : "");
    for (size_t i = from; i < n; i++) cli_print_token(f, g->lm, t[i], i == from);
    fputc('\'', f);
    return fclose(f) == 0 ? buf : (free(buf), NULL);
}

int cmd_generate(int argc, char **argv)
{
    lmp_sampler_params prm;
    lmp_sampler_params_init(&prm);
    int dtype_set = 0, json = 0, scores = 0;
    lmp_rng_kind rng_kind = LMP_RNG_XOSHIRO;
    const char *model = NULL, *prompt = NULL;
    uint64_t seed = CLI_DEFAULT_SEED;
    long nsamples = 1, nsent = 1, max_len = 50;
    cli_lm_opts lo = CLI_LM_OPTS_INIT;
    const char *model_opt = NULL;
    const cli_opt opts[] = {
        CLI_OPT_JSON(&json), CLI_OPT_COUNT(&nsamples), CLI_OPTS_SAMPLER(prm, &dtype_set), CLI_OPT_RNG(&rng_kind),
        CLI_OPT_SEED(&seed), CLI_OPTS_LM(lo), CLI_OPT_MODEL(&model_opt),
        {.name = "--sentences", .kind = CLI_OPT_LONG, .dest = &nsent, .lo = 1, .hi = 1000000, .expect = "a number of sentences from 1 to 1000000"},
        {.name = "--max-len", .kind = CLI_OPT_LONG, .dest = &max_len, .lo = 1, .hi = 1000000, .expect = "a number of tokens from 1 to 1000000"},
        CLI_OPT_PROMPT(&prompt),
        {.name = "--scores", .kind = CLI_OPT_FLAG, .dest = &scores},
    };
    const char *model_pos = NULL;
    int prc = cli_parse("generate", argc, argv, opts, CLI_NOPTS(opts), &model_pos, 1, NULL, usage);
    if (prc) return prc;
    if (cli_one_model("generate", model_pos, model_opt, &model)) return CLI_USAGE;
    if (!model) {
        cli_error("generate: expected a MODEL (a file, or --model DIR)");
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_sampler_finish("generate", &prm, dtype_set)) return CLI_USAGE;
    lmp_error err = {0};
    lmp_rng rng;
    if (cli_seed_check("generate", rng_kind, seed)) return CLI_USAGE;
    if (lmp_rng_seed(&rng, rng_kind, seed, &err)) {
        cli_error("generate: --seed: %s", err.msg);
        return CLI_USAGE;
    }
    lmp_lm *lm = NULL;
    int rc_load;
    if ((rc_load = cli_lm_load("generate", model, &lo, &lm)) != CLI_OK) return rc_load;
    if (!scores && cli_ngram_need_probabilities("generate", model, lmp_lm_ngram(lm),
                                                "; --scores samples from the scores, renormalised")) {
        lmp_lm_free(lm);
        return CLI_FAIL;
    }
    gen g;
    memset(&g, 0, sizeof g);
    g.lm = lm;
    lmp_lm_get_info(lm, &g.in);
    g.json = json;
    g.max_len = (size_t)max_len;
    g.prompt = prompt ? prompt : "";
    lmp_token_id *pids = NULL;
    unsigned char *punk = NULL;
    lmp_lm_span *pspans = NULL;
    lmp_sampler *smp = NULL;
    lmp_lm_ctx *ctx = NULL;
    int rc = CLI_FAIL;
    if (cli_tokenize("generate", "--prompt", lm, g.prompt, strlen(g.prompt), 0, &pids, &punk, &pspans, &g.np, &err)) {
        cli_error("generate: --prompt: %s", err.msg);
        if (err.code == LMP_EFORMAT) rc = CLI_USAGE; /* text the command line gave */
        goto done;
    }
    g.pids = pids;
    g.punk = punk;
    g.pspans = pspans;
    int markers = lmp_lm_sentence_marker(lm) != LMP_TOKEN_NONE; /* n-gram: every sample starts after <s> */
    /* The context: a bounded model's n_ctx (older tokens are dropped when it
     * fills); an n-gram context holds the whole sample, up to 2^20 tokens. */
    size_t need = (size_t)markers + g.np + (size_t)nsent * ((size_t)max_len + 2) + 1;
    size_t cap = g.in.n_ctx ? g.in.n_ctx : need < ((size_t)1 << 20) ? need : (size_t)1 << 20;
    if (g.in.n_ctx && g.in.n_ctx < 2) { /* the model's own limit, said before the prompt's */
        cli_error("generate: %s: a context of %zu token (n_ctx): expected n_ctx >= 2 (a token is drawn after at "
                  "least one other)", model, g.in.n_ctx);
        goto done;
    }
    /* a prompt may fill the context: the first token is drawn from all of it, and the shift makes room
     * before that token is pushed (a prompt of n_ctx tokens was refused) */
    if ((size_t)markers + g.np > cap) {
        cli_error("generate: --prompt: %zu tokens: expected at most the model's context of %zu", g.np, cap);
        rc = CLI_USAGE; /* the prompt is an argument, as gpt2 logits' ids and ppl's --window above n_ctx */
        goto done;
    }
    if (lmp_sampler_create(&prm, g.in.vocab_size, &smp, &err) || lmp_lm_ctx_create(lm, cap, &ctx, &err)) {
        cli_error_lib("generate", err.msg);
        goto done;
    }
    if (json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, model);
        printf(", \"seed\": %llu, \"sentences\": [", (unsigned long long)seed);
    }
    lmp_lm_generate_params gp;
    lmp_lm_generate_params_init(&gp);
    gp.max_new = (size_t)max_len;
    gp.sentences = (size_t)nsent;
    for (long s = 0; s < nsamples; s++) {
        g.sample = (size_t)s;
        lmp_status st = lmp_lm_ctx_rewind(ctx, 0, &err);
        if (!st && markers) st = lmp_lm_ctx_push(ctx, &g.in.bos, 1, &err);
        if (!st) st = lmp_lm_ctx_push(ctx, pids, g.np, &err);
        if (!st) st = lmp_lm_generate(ctx, smp, &rng, &gp, on_event, &g, &err);
        if (st || g.failed) {
            char *where = g.failed ? NULL : where_failed(&g, model, ctx);
            if (json) { /* what was streamed stays: the object is closed, the error in it */
                char msg[sizeof err.msg + 4400], wfail[160];
                snprintf(wfail, sizeof wfail, CLI_STDOUT_FAILED ": %s", strerror(g.werr));
                snprintf(msg, sizeof msg, "%s%s%s", where ? where : "", where ? ": " : "",
                         g.failed == 2 ? "out of memory for a sentence's words"
                         : g.failed  ? wfail
                                     : err.msg);
                cli_json_close_error(stdout, g.open ? "]}\n]" : "\n]", msg);
            }
            fflush(stdout);
            if (g.failed == 2) cli_error("generate: out of memory for a sentence's words");
            else if (g.failed) cli_stdout_failed("generate", g.werr);
            else
                cli_error("generate: %s: %s", where ? where : model, cli_lib_msg("generate", err.msg));
            free(where);
            goto done;
        }
    }
    if (json) puts("\n]}");
    rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
    if (rc) cli_stdout_failed("generate", errno);
done:
    lmp_lm_ctx_free(ctx);
    lmp_sampler_free(smp);
    free(pids);
    free(punk);
    free(pspans);
    free(g.hex.s);
    free(g.ids.s);
    lmp_lm_free(lm);
    return rc;
}
