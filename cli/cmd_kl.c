/* `lmprob kl`: two models of one vocabulary compared on a text, position by
 * position, over the whole vocabulary (lmp_eval_kl), with the chapter's RLHF
 * penalty beta * KL(pi_theta || pi_ref). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob kl --model A --model B TEXT|- [--beta B] [--window W] [--stride S] [--per-position]\n"
            "                 [--mode M] [--gpt2-vocab P] [--threads T] [--quiet] [--json]\n"
            "\n"
            "Compare models A and B on TEXT (plain, gzip or xz; '-' = stdin): at every position, the two next-token\n"
            "distributions over the whole vocabulary give\n"
            "  KL(A||B) = sum_v pA(v) ln(pA(v) / pB(v)),  KL(B||A),  and JS = (KL(A||M) + KL(B||M)) / 2,\n"
            "  M = (A + B) / 2 (finite, at most ln 2),\n"
            "with their means and maxima over the positions, in nats. The chapter's RLHF objective maximises\n"
            "E[r(x)] - beta * KL(pi_theta || pi_ref): with A = pi_theta (the tuned policy) and B = pi_ref, the\n"
            "penalty is beta * KL(A||B), printed per token and summed over the text (the sequence KL of the\n"
            "chain rule), next to the one-sample estimate beta * sum_t ln(pA(x_t) / pB(x_t)) that PPO-style\n"
            "RLHF uses on sampled text.\n"
            "\n"
            "A and B: any two models of one vocabulary (the same tokens with the same ids): two GPT-2s, two\n"
            "n-gram models with the same word list; other pairs are refused. The text is tokenized by A; an\n"
            "n-gram model reads each line as <s> .. </s>. Positions are those `lmprob ppl` scores: windows of\n"
            "W tokens moved by S (defaults: the smaller model context, 1024 for GPT-2, or the whole text;\n"
            "S = W/2), a window's first token context only.\n"
            "\n"
            "  --beta B        the KL coefficient, B >= 0 (default 0.1)\n"
            "  --window W, --stride S   as in lmprob ppl\n"
            "  --per-position  every position: pos id token KL(A||B) KL(B||A) JS ln pA ln pB\n"
            "  --mode M        n-gram models: word, char, byte or gpt2 tokens (default: the models' own,\n"
            "                  word); a mode a model's file contradicts is refused\n"
            "  --threads T     GPT-2: threads of the forward pass (default 0: all cores)\n"
            "  --quiet         no progress line on a terminal (errors and notes still print)\n"
            "  --gpt2-vocab P  GPT-2's vocabulary for --mode gpt2 or a GPT-2 folder without one (as lmprob ppl)\n"
            "  --json          one JSON object: positions, forward_passes, mean/max of kl_ab, kl_ba, js (and\n"
            "                  the positions of the maxima), sum_kl_ab, sum_log_ratio, beta, rlhf_penalty_*\n"
            "                  (per_position array with --per-position: token and token_hex, its bytes)\n"
            "\n"
            "example: lmprob kl --model tuned/ --model gpt2/ --beta 0.05 prompts.txt\n");
}

typedef struct kl_ctx {
    const lmp_lm *lm;
    int json, first, per_pos;
    int opened; /* the output has begun: an error before any result prints nothing on stdout */
    size_t n;   /* tokens in the stream: progress is the position over it */
    cli_progress prog;
} kl_ctx;

static void kl_open(kl_ctx *c)
{
    if (c->opened) return;
    c->opened = 1;
    if (c->json) fputs(c->per_pos ? "{\"per_position\": [" : "{", stdout);
    else if (c->per_pos) puts("pos\tid\ttoken\tKL(A||B)\tKL(B||A)\tJS\tln pA\tln pB");
}

/* Nonzero, which stops the passes, once a write to stdout has failed (as ppl's on_stream_token). */
static int on_point(void *ud, const lmp_kl_point *p)
{
    kl_ctx *c = ud;
    cli_progress_update(&c->prog, (double)p->pos / (double)c->n);
    if (!c->per_pos) return 0;
    kl_open(c);
    size_t len;
    const char *w = lmp_lm_token_text(c->lm, p->id, &len);
    if (c->json) {
        printf("%s\n    {\"pos\": %zu, \"id\": %d, ", c->first ? "" : ",", p->pos, (int)p->id);
        cli_json_token(stdout, c->lm, p->id); /* token_hex: the exact bytes (a GPT-2 token may be part of a character) */
        const double v[5] = {p->kl_ab, p->kl_ba, p->js, p->logprob_a, p->logprob_b};
        static const char *const k[5] = {"kl_ab", "kl_ba", "js", "ln_p_a", "ln_p_b"};
        for (int i = 0; i < 5; i++) {
            printf(", \"%s\": ", k[i]);
            cli_json_double(stdout, v[i]);
        }
        fputc('}', stdout);
    } else {
        printf("%zu\t%d\t", p->pos, (int)p->id);
        cli_json_bytes(stdout, w ? w : "", len);
        printf("\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g\n", p->kl_ab, p->kl_ba, p->js, p->logprob_a, p->logprob_b);
    }
    c->first = 0;
    return ferror(stdout);
}

int cmd_kl(int argc, char **argv)
{
    const char *models[2] = {NULL, NULL}, *text_path = NULL;
    int nm = 0, json = 0, per_pos = 0;
    double beta = 0.1;
    cli_lm_opts lo = CLI_LM_OPTS_INIT;
    size_t nmodels = 0;
    const cli_opt opts[] = {
        CLI_OPT_JSON(&json),
        {.name = "--per-position", .kind = CLI_OPT_FLAG, .dest = &per_pos},
        {.name = "--model", .kind = CLI_OPT_STR, .dest = models, .count = &nmodels, .max_n = 2},
        {.name = "--beta", .kind = CLI_OPT_DOUBLE, .dest = &beta, .lo = 0, .hi = 1e300, .expect = "a coefficient >= 0"},
        CLI_OPTS_LM(lo), CLI_OPTS_LM_WINDOW(lo),
    };
    int prc = cli_parse("kl", argc, argv, opts, CLI_NOPTS(opts), &text_path, 1, NULL, usage);
    if (prc) return prc;
    nm = (int)nmodels;
    if (nm != 2 || !text_path) {
        cli_error("kl: expected --model A --model B and a TEXT, got %d model%s%s", nm, nm == 1 ? "" : "s",
                  text_path ? "" : " and no text");
        usage(stderr);
        return CLI_USAGE;
    }
    if (lo.window && lo.stride && cli_stride_check("kl", (size_t)lo.window, (size_t)lo.stride)) return CLI_USAGE;
    const char *const in_what[] = {"--model A", "--model B", "TEXT"}, *const in_paths[] = {models[0], models[1], text_path};
    if (cli_inputs_once("kl", in_what, in_paths, 3)) return CLI_USAGE; /* the second read found nothing */
    if (cli_check_input("kl", text_path)) return CLI_FAIL;
    cli_stdin_note("kl", text_path);
    if (cli_check_input("kl", models[1])) return CLI_FAIL; /* both before loading the first */
    lmp_lm *lm[2] = {NULL, NULL};
    lmp_lm_ctx *ctx[2] = {NULL, NULL};
    char *text = NULL;
    size_t len = 0, n = 0;
    lmp_token_id *ids = NULL;
    lmp_error err = {0};
    int rc = CLI_FAIL;
    for (int k = 0; k < 2; k++)
        if ((rc = cli_lm_load("kl", models[k], &lo, &lm[k])) != CLI_OK ||
            (rc = cli_lm_window_check("kl", models[k], lm[k], (size_t)lo.window)) != CLI_OK)
            goto done;
    rc = CLI_FAIL;
    for (int k = 0; k < 2; k++) /* KL divergence is between probability distributions */
        if (cli_ngram_need_probabilities("kl", models[k], lmp_lm_ngram(lm[k]), NULL)) goto done;
    if (lmp_lm_check_same_vocab(lm[0], lm[1], &err)) {
        cli_error("kl: %s and %s: %s", models[0], models[1], err.msg);
        goto done;
    }
    if (lmp_read_text(text_path, 0, &text, &len, &err)) {
        cli_error("kl: %s", err.msg);
        goto done;
    }
    if (cli_tokenize("kl", cli_input_name(text_path), lm[0], text, len, LMP_LM_SENTENCES, &ids, NULL, NULL, &n,
                     &err)) {
        cli_error("kl: %s: %s", text_path, err.msg);
        goto done;
    }
    size_t W = (size_t)lo.window, S = (size_t)lo.stride;
    lmp_lm_info in[2];
    for (int k = 0; k < 2; k++) lmp_lm_get_info(lm[k], &in[k]);
    if (W == 0) { /* the smaller model context, or the whole text */
        for (int k = 0; k < 2; k++)
            if (in[k].n_ctx && (W == 0 || in[k].n_ctx < W)) W = in[k].n_ctx;
        if (W == 0) W = n > 2 ? n : 2;
    }
    if (S == 0) S = W / 2 ? W / 2 : 1;
    if (cli_stride_check("kl", W, S)) { /* --stride against the models' (or the text's) window */
        rc = CLI_USAGE;
        goto done;
    }
    for (int k = 0; k < 2; k++)
        if (lmp_lm_ctx_create(lm[k], W < n ? W : n ? n : 1, &ctx[k], &err)) {
            cli_error("kl: %s", err.msg);
            goto done;
        }
    kl_ctx kc = {lm[0], json, 1, per_pos, 0, n, {0}};
    /* two models' forward passes over every window: minutes on a long text with GPT-2, so the
     * percentage done is drawn on a terminal */
    cli_progress_start(&kc.prog, "kl", "comparing");
    cli_progress_streams(&kc.prog, per_pos);
    lmp_kl_result r;
    const lmp_status kst = lmp_eval_kl(ctx[0], ctx[1], ids, n, W, S, on_point, &kc, &r, &err);
    cli_progress_update(&kc.prog, 1.0);
    /* A text with no position to compare (fewer than 2 tokens): nan means with a note, exit 0, as ppl
     * does for a text with no token to score. */
    const int none = kst == LMP_EDOM;
    if (kst == LMP_ECANCELED) goto flush; /* stdout failed (on_point): said below, exit 1 */
    if (kst && !none) {
        if (kc.opened && (json || per_pos)) fputc('\n', stdout);
        fflush(stdout);
        cli_error("kl: %s: %s", text_path, err.msg);
        goto done;
    }
    kl_open(&kc);
    if (json) {
        if (per_pos) fputs("\n  ],\n ", stdout);
        fputs("\"model_a\": ", stdout);
        cli_json_string(stdout, models[0]);
        fputs(", \"model_b\": ", stdout);
        cli_json_string(stdout, models[1]);
        fputs(", \"text\": ", stdout);
        cli_json_string(stdout, text_path);
        printf(",\n  \"tokens\": %zu, \"positions\": %zu, \"forward_passes\": %zu,\n", n, r.positions,
               r.forward_passes);
        const double v[9] = {r.mean_kl_ab, r.mean_kl_ba, r.mean_js, r.max_kl_ab, r.max_kl_ba, r.max_js,
                             r.sum_kl_ab, r.sum_log_ratio, beta};
        static const char *const k[9] = {"mean_kl_ab", "mean_kl_ba", "mean_js", "max_kl_ab", "max_kl_ba",
                                         "max_js", "sum_kl_ab", "sum_log_ratio", "beta"};
        for (int i = 0; i < 9; i++) {
            printf("%s\"%s\": ", i == 0 ? "  " : i == 3 || i == 6 ? ",\n  " : ", ", k[i]);
            cli_json_double(stdout, v[i]);
        }
        /* no position compared: no argmax either (null, not position 0, which is never compared) */
        const size_t at[3] = {r.argmax_kl_ab, r.argmax_kl_ba, r.argmax_js};
        static const char *const ak[3] = {"argmax_kl_ab", "argmax_kl_ba", "argmax_js"};
        for (int i = 0; i < 3; i++) {
            printf("%s\"%s\": ", i == 0 ? ",\n  " : ", ", ak[i]);
            if (r.positions) printf("%zu", at[i]);
            else fputs("null", stdout);
        }
        fputs(",\n  \"rlhf_penalty_per_token\": ", stdout);
        cli_json_double(stdout, beta * r.mean_kl_ab);
        fputs(", \"rlhf_penalty_sequence\": ", stdout);
        cli_json_double(stdout, beta * r.sum_kl_ab);
        fputs(", \"rlhf_penalty_sampled\": ", stdout);
        cli_json_double(stdout, beta * r.sum_log_ratio);
        fputs("}\n", stdout);
    } else {
        printf("A: %s\nB: %s\n", models[0], models[1]);
        printf("positions: %zu of %zu tokens (window %zu, stride %zu; %zu forward pass%s per model)\n", r.positions,
               n, W, S, r.forward_passes, r.forward_passes == 1 ? "" : "es");
        printf("%-10s %14s %14s %10s\n", "nats", "mean", "max", "at pos");
        const char *const names[3] = {"KL(A||B)", "KL(B||A)", "JS"};
        const double mean[3] = {r.mean_kl_ab, r.mean_kl_ba, r.mean_js}, max[3] = {r.max_kl_ab, r.max_kl_ba, r.max_js};
        const size_t at[3] = {r.argmax_kl_ab, r.argmax_kl_ba, r.argmax_js};
        for (int i = 0; i < 3; i++) {
            if (r.positions) printf("%-10s %14.8g %14.8g %10zu\n", names[i], cli_text_num(mean[i]), cli_text_num(max[i]), at[i]);
            else printf("%-10s %14.8g %14.8g %10s\n", names[i], cli_text_num(mean[i]), cli_text_num(max[i]), "-");
        }
        printf("RLHF penalty beta * KL(A||B), beta = %g: %.8g per token, %.8g over the text\n", beta,
               beta * r.mean_kl_ab, beta * r.sum_kl_ab);
        printf("sampled estimate beta * sum ln(pA(x_t) / pB(x_t)): %.8g\n", beta * r.sum_log_ratio);
    }
    if (none)
        fprintf(stderr, "lmprob: kl: note: %s: no position to compare in %zu token%s (a window's first token is "
                "context only): the divergences are undefined (nan)\n", cli_input_name(text_path), n, n == 1 ? "" : "s");
flush:
    rc = fflush(stdout) == 0 && !ferror(stdout) ? CLI_OK : CLI_FAIL;
    if (rc) cli_stdout_failed("kl", errno);
done:
    for (int k = 0; k < 2; k++) {
        lmp_lm_ctx_free(ctx[k]);
        lmp_lm_free(lm[k]);
    }
    free(text);
    free(ids);
    return rc;
}
