/* lmprob mix: interpolate n-gram models: EM weights on a held-out text (as
 * SRILM's compute-best-mix), one merged back-off model (as ngram -mix-lm
 * -write-lm), and the exact mixture's perplexity evaluated on the fly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob mix MODEL1 MODEL2 [MODEL..] [--held-out TEXT] [--weights W1,W2,..]\n"
            "                  [--output OUT.arpa|.bin|.trie] [--ppl TEXT] [--tol T] [--max-iter N] [--json]\n"
            "                  [--quiet]\n"
            "\n"
            "Interpolate back-off n-gram models (ARPA or binary): p(w|h) = sum_i W_i p_i(w|h).\n"
            "\n"
            "  --held-out TEXT  choose the weights by EM on TEXT (maximum likelihood, as SRILM's\n"
            "                   compute-best-mix), starting from --weights or equal weights\n"
            "  --weights W,..   one weight per model, summing to 1 (default: equal, or EM's)\n"
            "  --output OUT     write one merged back-off model, as SRILM's ngram -mix-lm -write-lm:\n"
            "                   the union of the n-grams, each with the exact mixed probability, and\n"
            "                   the backoffs recomputed (ARPA, gzip/xz-compressed when OUT ends in\n"
            "                   .gz/.xz; lmprob binary when it ends in .bin, its trie layout in .trie)\n"
            "  --ppl TEXT       perplexity of TEXT under the exact mixture computed on the fly, and\n"
            "                   with --output under the merged model too (they differ where a word\n"
            "                   unseen after a context backs off: docs/ngram-toolkit.md)\n"
            "  --tol T          EM stops when no weight moves by more than T, T > 0 (default 1e-7)\n"
            "  --max-iter N     at most N EM iterations (default 10000)\n"
            "  --json           the results as one JSON object\n"
            "  --quiet          no progress line on a terminal (errors and notes still print)\n"
            "\n"
            "Texts: one sentence a line, <s> w1 .. wn </s>, split as lmprob train splits words. A word\n"
            "that a model lacks gets probability 0 from it; a word that no model has is <unk> in each\n"
            "(and counts as OOV).\n"
            "\n"
            "example: lmprob mix a.arpa b.arpa --held-out valid.txt --output ab.arpa --ppl test.txt\n");
}

int cmd_mix(int argc, char **argv)
{
    const char *paths[LMP_MIX_MAX_MODELS], *heldout = NULL, *output = NULL, *ppl = NULL, *wopt = NULL;
    size_t k = 0;
    double tol = 1e-7;
    long max_iter = 10000;
    int json = 0;
    const cli_opt opts[] = {
        CLI_OPT_OUTPUT(&output), CLI_OPT_JSON(&json), CLI_OPT_QUIET,
        {.name = "--held-out", .kind = CLI_OPT_STR, .dest = &heldout},
        {.name = "--weights", .kind = CLI_OPT_STR, .dest = &wopt, .expect = "weights, comma-separated"},
        {.name = "--ppl", .kind = CLI_OPT_STR, .dest = &ppl},
        CLI_OPT_TOL(&tol),
        {.name = "--max-iter", .kind = CLI_OPT_LONG, .dest = &max_iter, .lo = 1, .hi = 100000000, .expect = "an integer from 1 to 100000000"},
    };
    int prc = cli_parse("mix", argc, argv, opts, CLI_NOPTS(opts), paths, LMP_MIX_MAX_MODELS, &k, usage);
    if (prc) return prc;
    if (k < 2) {
        cli_error("mix: expected at least two models, got %zu", k);
        return CLI_USAGE;
    }
    if (!heldout && !output && !ppl) {
        cli_error("mix: expected something to do: --held-out TEXT, --output OUT or --ppl TEXT");
        return CLI_USAGE;
    }
    double w[LMP_MIX_MAX_MODELS];
    for (size_t i = 0; i < k; i++) w[i] = 1.0 / (double)k;
    if (wopt) {
        double *v = NULL;
        size_t nv = 0;
        int lrc = cli_parse_double_list("mix: --weights", wopt, &v, &nv);
        if (lrc) return lrc;
        double s = 0;
        int bad = nv != k;
        for (size_t i = 0; i < nv; i++) {
            bad |= !(v[i] >= 0 && v[i] <= 1);
            s += v[i];
        }
        if (bad || fabs(s - 1.0) > 1e-6) {
            cli_error("mix: --weights: expected %zu weights in [0, 1] summing to 1 (within 1e-6), got '%s' (%zu "
                      "value%s%s, sum %.9g)",
                      k, wopt, nv, nv == 1 ? "" : "s", bad && nv == k ? ", not all in [0, 1]" : "", s);
            free(v);
            return CLI_USAGE;
        }
        memcpy(w, v, k * sizeof *w);
        free(v);
        if (heldout)
            for (size_t i = 0; i < k; i++)
                if (!(w[i] > 0)) {
                    cli_error("mix: --weights: EM starts from weights > 0 (a weight of 0 stays 0), got '%s'", wopt);
                    return CLI_USAGE;
                }
    }
    /* fail early: every input readable and the output creatable before the models load */
    for (size_t i = 0; i < k; i++)
        if (cli_check_input("mix", paths[i])) return CLI_FAIL;
    if ((heldout && cli_check_input("mix", heldout)) || (ppl && cli_check_input("mix", ppl))) return CLI_FAIL;
    const char *inputs[LMP_MIX_MAX_MODELS + 2] = {heldout, ppl}, *in_what[LMP_MIX_MAX_MODELS + 2] = {"--held-out", "--ppl"};
    memcpy(inputs + 2, paths, k * sizeof *paths);
    for (size_t i = 0; i < k; i++) in_what[i + 2] = "MODEL";
    if (cli_inputs_once("mix", in_what, inputs, k + 2) ||
        (output && cli_input_rereadable("mix", "--ppl", ppl,
                                        "with --output it is read twice (the mixture on the fly, then the merged model)")))
        return CLI_USAGE;
    if (output && ((prc = cli_model_out_check("mix", output)) || (prc = cli_check_output_from("mix", output, inputs, k + 2))))
        return prc;
    lmp_ngram *g[LMP_MIX_MAX_MODELS] = {0};
    lmp_error err = {0};
    int rc = CLI_FAIL;
    lmp_train_model *merged = NULL;
    lmp_ngram *mg = NULL;
    for (size_t i = 0; i < k; i++) {
        char phase[32];
        snprintf(phase, sizeof phase, "loading model %zu of %zu", i + 1, k);
        cli_progress pc;
        cli_progress_start(&pc, "mix", phase);
        /* the merged model is made of every n-gram of every model: a damaged one is refused first */
        if (output) {
            if (cli_ngram_load_whole("mix", paths[i], &pc, &g[i])) goto done;
        } else {
            lmp_status st = lmp_ngram_load(paths[i], cli_progress_update, &pc, &g[i], &err);
            cli_progress_update(&pc, 1.0);
            if (st) {
                cli_error("mix: %s", err.msg);
                goto done;
            }
        }
        /* a mixture weights probabilities: scores would make its EM and perplexity meaningless */
        if (cli_ngram_need_probabilities("mix", paths[i], g[i], NULL)) goto done;
    }
    const lmp_ngram *const *cg = (const lmp_ngram *const *)g;
    lmp_ngram_mix_em_info em = {0};
    if (heldout && lmp_ngram_mix_em(cg, k, heldout, w, tol, (unsigned)max_iter, &em, &err)) {
        cli_error("mix: %s", err.msg);
        goto done;
    }
    lmp_ngram_stats fly = {0}, ms = {0};
    if (ppl && lmp_ngram_mix_score_file(cg, w, k, ppl, &fly, &err)) {
        cli_error("mix: %s", err.msg);
        goto done;
    }
    /* as ppl says it (the figures below are nan, exit 0, as KenLM's query) */
    if (ppl && fly.tokens == 0) cli_note_no_tokens("mix", ppl);
    if (output) {
        if (lmp_train_model_create_mix(cg, w, k, &merged, &err)) {
            cli_error("mix: %s", err.msg);
            goto done;
        }
        char *command = cli_join_command(argc, argv);
        /* the merged model is scored as written, from memory: never by reading the output back,
         * which may be a FIFO (its reader has the data), /dev/null or stdout */
        int bad = cli_write_model("mix", merged, output, cli_model_out_format(output), command, ppl ? &mg : NULL);
        free(command);
        if (bad) goto done;
        if (mg && lmp_ngram_score_file(mg, ppl, &ms, NULL, &err)) {
            cli_error("mix: %s", err.msg);
            goto done;
        }
    }
    FILE *f = cli_output_is_stdout(output) ? stderr : stdout;
    if (json) {
        fprintf(f, "{\"models\": [");
        for (size_t i = 0; i < k; i++) {
            fprintf(f, "%s", i ? ", " : "");
            cli_json_string(f, paths[i]);
        }
        fprintf(f, "], \"weights\": ");
        cli_json_doubles(f, w, k);
        if (heldout) {
            fprintf(f, ", \"em\": {\"iterations\": %u, \"converged\": %s, \"tokens\": %llu, \"oov\": %llu, "
                       "\"skipped\": %llu, \"perplexity\": ",
                    em.iterations, em.converged ? "true" : "false", (unsigned long long)em.tokens,
                    (unsigned long long)em.oov, (unsigned long long)em.skipped);
            cli_json_double(f, em.perplexity);
            fprintf(f, "}");
        }
        if (ppl) {
            fprintf(f, ", \"ppl\": {\"tokens\": %llu, \"oov\": %llu, \"mixture\": ", (unsigned long long)fly.tokens,
                    (unsigned long long)fly.oov);
            cli_json_double(f, lmp_ngram_stats_perplexity(&fly));
            if (mg) {
                fprintf(f, ", \"merged\": ");
                cli_json_double(f, lmp_ngram_stats_perplexity(&ms));
            }
            fprintf(f, "}");
        }
        if (merged) {
            lmp_train_info info;
            lmp_train_get_info(merged, &info);
            fprintf(f, ", \"output\": ");
            cli_json_string(f, output);
            fprintf(f, ", \"ngrams\": [");
            for (unsigned n = 1; n <= info.order; n++)
                fprintf(f, "%s%llu", n > 1 ? ", " : "", (unsigned long long)info.counts[n]);
            fprintf(f, "]");
        }
        fprintf(f, "}\n");
    } else {
        fprintf(f, "weights:");
        for (size_t i = 0; i < k; i++) fprintf(f, " %.9g", w[i]);
        fputc('\n', f);
        if (heldout)
            fprintf(f, "EM on %s: %u iterations%s, %llu tokens (%llu OOV, scored as each model's <unk>; %llu with "
                       "probability 0 everywhere left out), perplexity %.6g\n",
                    heldout, em.iterations, em.converged ? "" : " (not converged: raise --max-iter)",
                    (unsigned long long)em.tokens, (unsigned long long)em.oov, (unsigned long long)em.skipped,
                    em.perplexity);
        if (merged) {
            lmp_train_info info;
            lmp_train_get_info(merged, &info);
            fprintf(f, "wrote %s:", output);
            for (unsigned n = 1; n <= info.order; n++) fprintf(f, " %llu", (unsigned long long)info.counts[n]);
            fprintf(f, " n-grams\n");
        }
        if (ppl) {
            fprintf(f, "%s: %llu tokens, %llu OOV; perplexity of the exact mixture (on the fly) %.6f", ppl,
                    (unsigned long long)fly.tokens, (unsigned long long)fly.oov, lmp_ngram_stats_perplexity(&fly));
            if (mg) fprintf(f, ", of the merged model %.6f", lmp_ngram_stats_perplexity(&ms));
            fputc('\n', f);
        }
    }
    rc = CLI_OK;
done:
    for (size_t i = 0; i < k; i++) lmp_ngram_free(g[i]);
    lmp_ngram_free(mg);
    lmp_train_model_free(merged);
    return rc;
}
