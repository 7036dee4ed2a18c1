/* `lmprob next`: the next-token distribution of any model behind lm.h after a
 * prompt: the top k tokens, the entropy and the nucleus size. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "../src/core/ksum.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob next (MODEL | --model MODEL) [--prompt TEXT] [--top N] [--top-p P] [--mode M]\n"
            "                   [--gpt2-vocab P] [--threads T] [--quiet] [--json]\n"
            "\n"
            "The model's distribution of the token after TEXT, over the whole vocabulary: the N most likely\n"
            "tokens with their probabilities, the entropy (nats and bits) and the nucleus size (the smallest\n"
            "set of most likely tokens whose mass reaches P, Holtzman et al. 2020, as lmprob decode --top-p\n"
            "keeps it). MODEL: an n-gram model (the prompt is read after <s>; a word not in the vocabulary\n"
            "is read as <unk> and listed as unknown) or GPT-2 (a folder or .safetensors; an empty prompt\n"
            "reads the config's bos_token_id, <|endoftext|> unless a fine-tune names another).\n"
            "\n"
            "  --prompt TEXT   the context (default empty: the start of a sentence)\n"
            "  --top N         how many tokens to list (default 10)\n"
            "  --top-p P       the nucleus mass, P in (0, 1] (default 0.9)\n"
            "  --mode M        n-gram models: word, char, byte or gpt2 tokens (default: the model's own,\n"
            "                  word); a mode the model's file contradicts is refused\n"
            "  --threads T     GPT-2: threads of the forward pass (default 0: all cores)\n"
            "  --quiet         no progress line on a terminal (errors and notes still print)\n"
            "  --gpt2-vocab P  GPT-2's vocabulary for --mode gpt2 or a GPT-2 folder without one (as lmprob ppl)\n"

            "  --json          one JSON object: prompt, context_tokens, unknown, entropy_nats,\n"
            "                  entropy_bits, top_p, nucleus_size, vocab_size, mass (the sum of p: 1 for a\n"
            "                  normalised model), top (rank, id, token, token_hex: its bytes, p, ln_p);\n"
            "                  scores_not_probabilities: true for a model whose values are scores\n"
            "\n"
            "example: lmprob next ptb5.bin --prompt \"the company said\" --top 5\n");
}

typedef struct ranked {
    double p;
    lmp_token_id id;
} ranked;

/* By probability, descending; ties to the lower id. */
static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return (x->id > y->id) - (x->id < y->id);
}

int cmd_next(int argc, char **argv)
{
    const char *model = NULL, *prompt = "";
    long k = 10;
    double top_p = 0.9;
    int json = 0;
    cli_lm_opts lo = CLI_LM_OPTS_INIT;
    const char *model_opt = NULL, *model_pos = NULL;
    const cli_opt opts[] = {CLI_OPT_JSON(&json), CLI_OPT_TOP_P(&top_p), CLI_OPT_TOP(&k), CLI_OPT_TOP_K_RENAMED, CLI_OPT_MODEL(&model_opt),
                           CLI_OPT_PROMPT(&prompt), CLI_OPTS_LM(lo)};
    int prc = cli_parse("next", argc, argv, opts, CLI_NOPTS(opts), &model_pos, 1, NULL, usage);
    if (prc) return prc;
    if (cli_one_model("next", model_pos, model_opt, &model)) return CLI_USAGE;
    if (!model) {
        cli_error("next: expected a MODEL (a file, or --model DIR)");
        usage(stderr);
        return CLI_USAGE;
    }
    lmp_lm *lm = NULL;
    int rc_load;
    if ((rc_load = cli_lm_load("next", model, &lo, &lm)) != CLI_OK) return rc_load;
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    size_t V = in.vocab_size, np = 0;
    lmp_token_id *ids = NULL;
    unsigned char *unk = NULL;
    lmp_lm_span *spans = NULL;
    lmp_lm_ctx *ctx = NULL;
    lmp_sampler *smp = NULL;
    double *lp = malloc(V * sizeof *lp), *p = malloc(V * sizeof *p);
    ranked *rk = malloc(V * sizeof *rk);
    lmp_error err = {0};
    int rc = CLI_FAIL;
    if (!lp || !p || !rk) {
        cli_error("next: out of memory for a vocabulary of %zu tokens", V);
        goto done;
    }
    if (cli_tokenize("next", "--prompt", lm, prompt, strlen(prompt), 0, &ids, &unk, &spans, &np, &err)) {
        cli_error("next: --prompt: %s", err.msg);
        if (err.code == LMP_EFORMAT) rc = CLI_USAGE; /* text the command line gave */
        goto done;
    }
    int markers = lmp_lm_sentence_marker(lm) != LMP_TOKEN_NONE;
    /* <s>, or before an empty prompt the model's start (GPT-2: the config's bos_token_id, <|endoftext|>) */
    const lmp_token_id lead_id = markers ? in.bos : lmp_lm_start(lm);
    int lead = markers || (np == 0 && lead_id >= 0);
    /* The context holds what is pushed, the lead token only when there is one: a prompt of exactly n_ctx
     * tokens fits (the next token's distribution is read after the last of them). */
    size_t cap = np + (size_t)lead;
    if (in.n_ctx && cap > in.n_ctx) {
        cli_error("next: --prompt: %zu tokens%s: expected at most the model's context of %zu", cap,
                  lead ? " with the start token" : "", in.n_ctx);
        rc = CLI_USAGE; /* the prompt is an argument, as gpt2 logits' ids and ppl's --window above n_ctx */
        goto done;
    }
    if (cap == 0) cap = 1; /* a context holds at least one token (lm.h) */
    lmp_sampler_params sp;
    lmp_sampler_params_init(&sp);
    sp.top_p = top_p;
    lmp_status st = lmp_lm_ctx_create(lm, cap, &ctx, &err);
    if (!st && lead) st = lmp_lm_ctx_push(ctx, &lead_id, 1, &err);
    if (!st) st = lmp_lm_ctx_push(ctx, ids, np, &err);
    if (!st) st = lmp_lm_ctx_next_logprobs(ctx, lp, &err);
    if (!st) st = lmp_sampler_create(&sp, V, &smp, &err);
    if (!st) st = lmp_sampler_apply(smp, lp, V, NULL, 0, &err);
    if (st) {
        cli_error("next: %s", err.msg);
        goto done;
    }
    /* The model's own probabilities; an n-gram model written by hand (or pruned) may not sum to 1:
     * then the entropy and the nucleus are those of the renormalised distribution, and we say so. */
    lmp_ksum ks = {0, 0}; /* Neumaier's sum: in order it was ~800 units of 2^-53 off over 10,001 words */
    for (size_t v = 0; v < V; v++) lmp_ksum_add(&ks, p[v] = exp(lp[v]));
    const double mass = lmp_ksum_value(&ks);
    /* the one rule of what gives probabilities (as ppl, kl, generate): a stupid-backoff model's p are scores */
    lmp_error perr = {0};
    const int scores = lmp_lm_ngram(lm) && lmp_ngram_check_probabilities(lmp_lm_ngram(lm), NULL, &perr) != LMP_OK;
    double H = lmp_entropy(p, V, LMP_BASE_E);
    size_t nucleus = lmp_sampler_kept(smp).n, nunk = 0;
    for (size_t v = 0; v < V; v++) rk[v] = (ranked){p[v], (lmp_token_id)v};
    qsort(rk, V, sizeof *rk, cmp_ranked);
    if ((size_t)k > V) k = (long)V;
    for (size_t i = 0; i < np; i++) nunk += unk[i] != 0;
    if (json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, model);
        fputs(", \"prompt\": ", stdout);
        cli_json_string(stdout, prompt);
        printf(", \"context_tokens\": %zu, \"unknown\": [", np + (size_t)lead);
        for (size_t i = 0, first = 1; i < np; i++)
            if (unk[i]) {
                fputs(first ? "" : ", ", stdout);
                cli_json_bytes(stdout, prompt + spans[i].offset, spans[i].len);
                first = 0;
            }
        fputs("],\n  \"entropy_nats\": ", stdout);
        cli_json_double(stdout, H);
        fputs(", \"entropy_bits\": ", stdout);
        cli_json_double(stdout, H / log(2.0));
        fputs(", \"top_p\": ", stdout);
        cli_json_double(stdout, top_p);
        printf(", \"nucleus_size\": %zu, \"vocab_size\": %zu,%s \"mass\": ", nucleus, V,
               scores ? " \"scores_not_probabilities\": true," : "");
        cli_json_double(stdout, mass);
        fputs(",\n  \"top\": [", stdout);
        for (long r = 0; r < k; r++) {
            printf("%s\n    {\"rank\": %ld, \"id\": %d, ", r ? "," : "", r + 1, (int)rk[r].id);
            cli_json_token(stdout, lm, rk[r].id); /* token_hex: the exact bytes (a GPT-2 token may be part of a character) */
            fputs(", \"p\": ", stdout);
            cli_json_double(stdout, rk[r].p);
            fputs(", \"ln_p\": ", stdout);
            cli_json_double(stdout, lp[rk[r].id]);
            fputc('}', stdout);
        }
        fputs("\n  ]}\n", stdout);
    } else {
        printf("context: %zu token%s", np + (size_t)lead, np + (size_t)lead == 1 ? "" : "s");
        if (nunk) {
            printf(" (unknown:");
            for (size_t i = 0; i < np; i++)
                if (unk[i]) printf(" %.*s", (int)spans[i].len, prompt + spans[i].offset);
            putchar(')');
        }
        printf("\nentropy: %.6f nats (%.6f bits)\n", H, H / log(2.0));
        printf("nucleus (p = %g): %zu of %zu tokens\n", top_p, nucleus, V);
        if (scores)
            printf("note: %s: the column p lists them, and entropy and nucleus are those of the scores renormalised "
                   "(sum %.6f)\n", perr.msg, mass);
        else if (fabs(mass - 1.0) > 1e-4)
            printf("note: the model's probabilities sum to %.6f, not 1: entropy and nucleus are those of the "
                   "renormalised distribution\n", mass);
        for (long r = 0; r < k; r++) {
            size_t len;
            const char *w = lmp_lm_token_text(lm, rk[r].id, &len);
            printf("%4ld  %-8d %.6f  ln p %9.4f  ", r + 1, (int)rk[r].id, rk[r].p, lp[rk[r].id]);
            cli_json_bytes(stdout, w ? w : "", len); /* quoted and escaped: GPT-2 tokens carry spaces */
            putchar('\n');
        }
    }
    rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
    if (rc) cli_stdout_failed("next", errno);
done:
    lmp_sampler_free(smp);
    lmp_lm_ctx_free(ctx);
    free(ids);
    free(unk);
    free(spans);
    free(lp);
    free(p);
    free(rk);
    lmp_lm_free(lm);
    return rc;
}
