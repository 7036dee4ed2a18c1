/* lmprob filter: a model restricted to a vocabulary (KenLM's filter, modes
 * single and union). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob filter MODEL (--vocab FILE | --union FILE) --output OUT.arpa|.bin|.trie [--json]\n"
            "                    [--quiet]\n"
            "\n"
            "Keep the n-grams of MODEL that a text can use, as KenLM's filter; no number changes, so\n"
            "those texts score exactly as under MODEL (each kept number is written as the shortest decimal\n"
            "that reads back as the same float: the input's value, bit for bit). <s>, </s> and <unk> are\n"
            "always kept.\n"
            "\n"
            "  --vocab FILE   one vocabulary: the words of FILE, whitespace-separated (KenLM's\n"
            "                 'single' mode); an n-gram is kept when all its words are in it\n"
            "  --union FILE   each line of FILE is a vocabulary (e.g. one sentence to translate);\n"
            "                 an n-gram is kept when all its words are on one line (KenLM's 'union')\n"
            "  --output OUT   the filtered model (ARPA, gzip/xz-compressed when OUT ends in .gz/.xz;\n"
            "                 lmprob binary when it ends in .bin, its trie layout in .trie)\n"
            "  --json         the counts as JSON\n"
            "  --quiet        no progress line on a terminal (errors and notes still print)\n"
            "\n"
            "example: lmprob filter ptb5.arpa --union test.txt --output ptb5.test.arpa\n");
}

int cmd_filter(int argc, char **argv)
{
    const char *in = NULL, *output = NULL, *words = NULL;
    int json = 0, modes = 0;
    lmp_ngram_filter_mode mode = LMP_FILTER_VOCAB;
    const char *vocab_file = NULL, *union_file = NULL;
    int vocab_seen = 0, union_seen = 0;
    const cli_opt table[] = {
        {.name = "--vocab", .kind = CLI_OPT_STR, .dest = &vocab_file, .seen = &vocab_seen},
        {.name = "--union", .kind = CLI_OPT_STR, .dest = &union_file, .seen = &union_seen},
        CLI_OPT_OUTPUT(&output),
        CLI_OPT_JSON(&json), CLI_OPT_QUIET,
    };
    int rc = cli_parse("filter", argc, argv, table, CLI_NOPTS(table), &in, 1, NULL, usage);
    if (rc) return rc;
    modes = vocab_seen + union_seen;
    words = union_seen ? union_file : vocab_file;
    mode = union_seen ? LMP_FILTER_UNION : LMP_FILTER_VOCAB;
    if (!in) {
        cli_error("filter: expected a model (ARPA or binary), got none");
        return CLI_USAGE;
    }
    if (modes != 1) {
        cli_error("filter: expected one of --vocab FILE or --union FILE, got %d", modes);
        return CLI_USAGE;
    }
    if (!output) {
        cli_error("filter: --output: expected an output file, got none");
        return CLI_USAGE;
    }
    if (cli_check_input("filter", in) || cli_check_input("filter", words)) return CLI_FAIL;
    const char *inputs[] = {in, words}, *const in_what[] = {"MODEL", union_seen ? "--union" : "--vocab"};
    if (cli_inputs_once("filter", in_what, inputs, 2)) return CLI_USAGE; /* the text read nothing: an empty model */
    if ((rc = cli_model_out_check("filter", output)) || (rc = cli_check_output_from("filter", output, inputs, 2))) return rc;
    lmp_error err = {0};
    lmp_ngram *g = NULL;
    lmp_train_model *m = NULL;
    if (cli_ngram_load_whole("filter", in, NULL, &g)) return CLI_FAIL; /* with its "loading model" line */
    if (lmp_train_model_create_filtered(g, words, mode, &m, &err)) {
        cli_error("filter: %s", err.msg);
        lmp_ngram_free(g);
        return CLI_FAIL;
    }
    lmp_ngram_info gi;
    lmp_ngram_get_info(g, &gi);
    lmp_ngram_free(g);
    lmp_train_info info;
    lmp_train_get_info(m, &info);
    char *command = cli_join_command(argc, argv);
    int bad = cli_write_model("filter", m, output, cli_model_out_format(output), command, NULL);
    free(command);
    lmp_train_model_free(m);
    if (bad) return CLI_FAIL;
    FILE *f = cli_output_is_stdout(output) ? stderr : stdout;
    if (json) {
        fprintf(f, "{\"mode\": \"%s\", \"before\": [", mode == LMP_FILTER_UNION ? "union" : "vocab");
        for (unsigned n = 1; n <= gi.order; n++) fprintf(f, "%s%llu", n > 1 ? ", " : "", (unsigned long long)gi.counts[n]);
        fprintf(f, "], \"after\": [");
        for (unsigned n = 1; n <= info.order; n++) fprintf(f, "%s%llu", n > 1 ? ", " : "", (unsigned long long)info.counts[n]);
        fprintf(f, "], \"output\": ");
        cli_json_string(f, output);
        fprintf(f, "}\n");
    } else {
        for (unsigned n = 1; n <= gi.order; n++)
            fprintf(f, "  %u-grams %12llu -> %12llu\n", n, (unsigned long long)gi.counts[n],
                    (unsigned long long)info.counts[n]);
        fprintf(f, "wrote %s\n", output);
    }
    return CLI_OK;
}
