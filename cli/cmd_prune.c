/* lmprob prune: relative-entropy pruning of a back-off model (Stolcke 1998,
 * as SRILM's ngram -prune). Count pruning is `lmprob train --prune`. */
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob prune MODEL --threshold T --output OUT.arpa|.bin|.trie [--min-order N] [--json]\n"
            "                   [--quiet]\n"
            "\n"
            "Relative-entropy pruning (Stolcke 1998), as SRILM's ngram -prune T: from the highest\n"
            "order down, drop each n-gram whose removal alone raises the model's perplexity by less\n"
            "than the fraction T (the change predicted by Stolcke's formula), keeping n-grams that\n"
            "are contexts of kept longer ones; the backoffs are recomputed so each distribution\n"
            "sums to one. Unigrams are never pruned.\n"
            "\n"
            "  --threshold T   relative perplexity change, T > 0 (SRILM's typical 1e-8 .. 1e-6)\n"
            "  --output OUT    the pruned model (ARPA, gzip/xz-compressed when OUT ends in .gz/.xz;\n"
            "                  lmprob binary when it ends in .bin, its trie layout in .trie)\n"
            "  --min-order N   prune only n-grams of order N and above (default 2, SRILM's -minprune)\n"
            "  --json          the counts and the predicted change as JSON\n"
            "  --quiet         no progress line on a terminal (errors and notes still print)\n"
            "\n"
            "Count pruning (drop n-grams seen at most T times) needs the counts: lmprob train --prune.\n"
            "\n"
            "example: lmprob prune ptb5.arpa --threshold 1e-7 --output ptb5.pruned.arpa\n");
}

int cmd_prune(int argc, char **argv)
{
    const char *in = NULL, *output = NULL;
    double thr = 0;
    long min_order = 2;
    int have_min = 0;
    int json = 0, have_thr = 0;
    const cli_opt table[] = {
        /* the whole positive range: a T above every n-gram's change prunes all that may go */
        {.name = "--threshold", .kind = CLI_OPT_DOUBLE, .dest = &thr, .lo = 0, .hi = DBL_MAX, .lo_open = 1,
         .expect = "a relative perplexity change T > 0", .seen = &have_thr},
        CLI_OPT_OUTPUT(&output),
        {.name = "--min-order", .kind = CLI_OPT_LONG, .dest = &min_order, .seen = &have_min, .lo = 2, .hi = LMP_NGRAM_MAX_ORDER,
         .expect = "an order from 2 to " CLI_STR(LMP_NGRAM_MAX_ORDER) " (unigrams are not pruned)"},
        CLI_OPT_JSON(&json), CLI_OPT_QUIET,
    };
    int rc = cli_parse("prune", argc, argv, table, CLI_NOPTS(table), &in, 1, NULL, usage);
    if (rc) return rc;
    if (!in) {
        cli_error("prune: expected a model (ARPA or binary), got none");
        return CLI_USAGE;
    }
    if (!have_thr) {
        cli_error("prune: --threshold: expected a relative perplexity change T > 0, got none");
        return CLI_USAGE;
    }
    if (!output) {
        cli_error("prune: --output: expected an output file, got none");
        return CLI_USAGE;
    }
    if (cli_check_input("prune", in)) return CLI_FAIL;
    if ((rc = cli_model_out_check("prune", output)) || (rc = cli_check_output_from("prune", output, &in, 1))) return rc;
    lmp_error err = {0};
    lmp_ngram *g = NULL;
    lmp_train_model *m = NULL;
    lmp_ngram_prune_info info;
    if (cli_ngram_load_whole("prune", in, NULL, &g)) return CLI_FAIL; /* with its "loading model" line */
    /* Stolcke's criterion is a relative entropy between probability distributions; the backoffs
     * it recomputes would turn scores into a model that sums to 1 but estimates nothing */
    if (cli_ngram_need_probabilities("prune", in, g, NULL)) {
        lmp_ngram_free(g);
        return CLI_FAIL;
    }
    if (have_min && (unsigned)min_order > lmp_ngram_order(g)) {
        cli_error("prune: --min-order %ld: %s is a model of order %u: expected at most %u (no n-gram would be pruned)",
                  min_order, in, lmp_ngram_order(g), lmp_ngram_order(g));
        lmp_ngram_free(g);
        return CLI_FAIL;
    }
    if (lmp_train_model_create_pruned(g, thr, (unsigned)min_order, &m, &info, &err)) {
        cli_error("prune: %s", err.msg);
        lmp_ngram_free(g);
        return CLI_FAIL;
    }
    unsigned order = lmp_ngram_order(g);
    lmp_ngram_free(g);
    char *command = cli_join_command(argc, argv);
    int bad = cli_write_model("prune", m, output, cli_model_out_format(output), command, NULL);
    free(command);
    lmp_train_model_free(m);
    if (bad) return CLI_FAIL;
    FILE *f = cli_output_is_stdout(output) ? stderr : stdout;
    if (json) {
        fprintf(f, "{\"threshold\": ");
        cli_json_double(f, thr);
        fprintf(f, ", \"before\": [");
        for (unsigned n = 1; n <= order; n++) fprintf(f, "%s%llu", n > 1 ? ", " : "", (unsigned long long)info.before[n]);
        fprintf(f, "], \"after\": [");
        for (unsigned n = 1; n <= order; n++) fprintf(f, "%s%llu", n > 1 ? ", " : "", (unsigned long long)info.after[n]);
        fprintf(f, "], \"delta_h10\": ");
        cli_json_double(f, info.delta_h10);
        fprintf(f, ", \"predicted_ppl_change\": ");
        cli_json_double(f, info.ppl_change);
        fprintf(f, ", \"output\": ");
        cli_json_string(f, output);
        fprintf(f, "}\n");
    } else {
        for (unsigned n = 1; n <= order; n++)
            fprintf(f, "  %u-grams %12llu -> %12llu\n", n, (unsigned long long)info.before[n],
                    (unsigned long long)info.after[n]);
        fprintf(f, "sum of the pruned n-grams' relative entropy: %.6g (log10 units); predicted perplexity change "
                   "%+.4g%%\nwrote %s\n",
                info.delta_h10, 100.0 * info.ppl_change, output);
    }
    return CLI_OK;
}
