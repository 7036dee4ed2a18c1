/* `lmprob model`: inspect and convert n-gram model files (ARPA <-> binary). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/ngram.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob model info [--json] MODEL\n"
            "       lmprob model convert [--to arpa|binary] IN OUT\n"
            "\n"
            "info     order, n-gram counts per order, vocabulary size, file and data size of MODEL\n"
            "         (ARPA text, plain/gzip/xz, or lmprob's binary format)\n"
            "convert  read IN (ARPA or binary) and write OUT as binary (mmapped by ppl/generate: loads in\n"
            "         milliseconds) or as ARPA text. The format is --to, else OUT's extension: .arpa (ARPA),\n"
            "         .bin (binary). OUT is written to a temporary file and renamed: no partial file on error.\n"
            "         OUT '-' writes ARPA to stdout.\n"
            "\n"
            "examples: lmprob model convert ptb5.arpa ptb5.bin\n"
            "          lmprob model info ptb5.bin\n");
}


static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int model_info(int argc, char **argv)
{
    int json = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            cli_error("model info: unknown option '%s' (see lmprob model --help)", argv[i]);
            return CLI_USAGE;
        } else if (path) {
            cli_error("model info: expected one MODEL, got an extra argument '%s'", argv[i]);
            return CLI_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        cli_error("model info: expected a MODEL file");
        return CLI_USAGE;
    }
    cli_progress pc;
    cli_progress_start(&pc, "lmprob model", "loading");
    lmp_error err = {0};
    lmp_ngram *m;
    lmp_status st = lmp_ngram_load(path, cli_progress_update, &pc, &m, &err);
    if (st) {
        cli_error("model info: %s", err.msg);
        return CLI_FAIL;
    }
    lmp_ngram_info info;
    lmp_ngram_get_info(m, &info);
    struct stat sb;
    long long fsize = strcmp(path, "-") != 0 && stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    if (json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, path);
        printf(", \"format\": \"%s\", \"order\": %u, \"vocab_size\": %zu, \"counts\": [", info.binary ? "binary" : "arpa",
               info.order, info.vocab_size);
        for (unsigned n = 1; n <= info.order; n++) printf("%s%llu", n > 1 ? ", " : "", (unsigned long long)info.counts[n]);
        printf("], \"file_bytes\": %lld, \"data_bytes\": %llu, \"unk_added\": %s}\n", fsize,
               (unsigned long long)info.bytes, (info.flags & LMP_NGRAM_UNK_ADDED) ? "true" : "false");
    } else {
        printf("model:\t%s\n", path);
        printf("format:\t%s\n", info.binary ? "lmprob binary (mmapped)" : "ARPA");
        printf("order:\t%u\n", info.order);
        printf("vocabulary:\t%zu words\n", info.vocab_size);
        for (unsigned n = 1; n <= info.order; n++) printf("%u-grams:\t%llu\n", n, (unsigned long long)info.counts[n]);
        if (fsize >= 0) printf("file size:\t%lld bytes\n", fsize);
        printf("data size:\t%llu bytes%s\n", (unsigned long long)info.bytes,
               info.binary ? "" : " (in memory; as a binary file about the same)");
        if (info.flags & LMP_NGRAM_UNK_ADDED) printf("note:\tthe ARPA file has no <unk>: added with log10 p = -100\n");
    }
    lmp_ngram_free(m);
    return CLI_OK;
}

static int model_convert(int argc, char **argv)
{
    const char *to = NULL, *pos[2] = {NULL, NULL};
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (cli_is_opt(a, "--to")) {
            if (!(to = cli_optarg(argc, argv, &i, "--to"))) return CLI_USAGE;
            if (strcmp(to, "arpa") != 0 && strcmp(to, "binary") != 0) {
                cli_error("model convert: --to: expected 'arpa' or 'binary', got '%s'", to);
                return CLI_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            cli_error("model convert: unknown option '%s' (see lmprob model --help)", a);
            return CLI_USAGE;
        } else if (np == 2) {
            cli_error("model convert: expected IN and OUT, got an extra argument '%s'", a);
            return CLI_USAGE;
        } else {
            pos[np++] = a;
        }
    }
    if (np != 2) {
        cli_error("model convert: expected IN and OUT, got %d argument%s", np, np == 1 ? "" : "s");
        return CLI_USAGE;
    }
    int binary;
    if (to) binary = strcmp(to, "binary") == 0;
    else if (ends_with(pos[1], ".bin")) binary = 1;
    else if (ends_with(pos[1], ".arpa") || strcmp(pos[1], "-") == 0) binary = 0;
    else {
        cli_error("model convert: OUT '%s': expected a name ending in .arpa or .bin, or --to arpa|binary", pos[1]);
        return CLI_USAGE;
    }
    if (strcmp(pos[0], pos[1]) == 0 && strcmp(pos[0], "-") != 0) {
        cli_error("model convert: IN and OUT are the same file '%s': expected a different OUT", pos[0]);
        return CLI_USAGE;
    }
    cli_progress pc;
    cli_progress_start(&pc, "lmprob model", "reading");
    lmp_error err = {0};
    lmp_ngram *m;
    lmp_status st = lmp_ngram_load(pos[0], cli_progress_update, &pc, &m, &err);
    if (st) {
        cli_error("model convert: %s", err.msg);
        return CLI_FAIL;
    }
    cli_progress_phase(&pc, "writing");
    int slot = cli_output_begin(pos[1]);
    st = binary ? lmp_ngram_write_binary(m, pos[1], &err) : lmp_ngram_write_arpa(m, pos[1], cli_progress_update, &pc, &err);
    cli_output_end(slot);
    lmp_ngram_free(m);
    if (st) {
        cli_error("model convert: %s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_model(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "info") == 0) return model_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "convert") == 0) return model_convert(argc - 1, argv + 1);
    cli_error("model: unknown subcommand '%s': expected 'info' or 'convert'", argv[1]);
    return CLI_USAGE;
}
