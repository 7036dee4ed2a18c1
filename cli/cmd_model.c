/* `lmprob model`: inspect, convert and verify n-gram model files (ARPA, the
 * hashed binary layout, the compact trie layout). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/ngram.h"
#include "../src/ngram/out_name.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob model info [--json] [--quiet] MODEL\n"
            "       lmprob model convert [--to arpa|binary|trie] [-q BITS] [-b BITS] [--sort keep|context] [--quiet]\n"
            "                            IN OUT (or IN -o OUT)\n"
            "       lmprob model verify [--json] MODEL\n"
            "\n"
            "info     order, n-gram counts, vocabulary, the file's format and layout, the model's record\n"
            "         of how it was made (tokens, vocabulary rule, estimator, command)\n"
            "convert  read IN (ARPA text, plain/gzip/xz, or a binary) and write OUT, atomically (no partial\n"
            "         file on an error). Formats (--to, else OUT's extension):\n"
            "           arpa    ARPA text (.arpa; .gz / .xz: gzip- / xz-compressed; '-' = stdout)\n"
            "           binary  the hashed layout (.bin): fastest to query, about the ARPA's size\n"
            "           trie    the compact trie layout (.trie): a quarter of the ARPA's size, exact values\n"
            "                   unless --prob-bits/--backoff-bits quantise them\n"
            "  --prob-bits BITS, -q BITS\n"
            "                   (trie) quantise the probabilities of orders >= 2 to BITS (1..24) bits\n"
            "  --backoff-bits BITS, -b BITS\n"
            "                   (trie) quantise the backoffs to BITS (2..24) bits (default: --prob-bits's value,\n"
            "                   2 for --prob-bits 1: two backoff codes are reserved for the zero backoffs)\n"
            "  --sort ORDER     (arpa) keep: the n-grams in the order the model holds them (default; an\n"
            "                   lmplz file comes back byte for byte); context: sorted by their words'\n"
            "                   positions in \\1-grams, the order IRSTLM's compile-lm needs (what\n"
            "                   'lmprob train' writes)\n"
            "  --quiet          (info, convert) no progress line on a terminal (errors and notes still print)\n"
            "verify   check every section of a binary model against the checksums in its header, then the\n"
            "         structure the scorer relies on (an ARPA file: read it whole); exit 1 naming the first\n"
            "         damaged section\n"
            "\n"
            "examples: lmprob model convert ptb5.arpa ptb5.bin\n"
            "          lmprob model convert -q 8 -b 8 ptb5.arpa ptb5.q8.trie\n"
            "          lmprob model info ptb5.q8.trie\n"
            "          lmprob model verify ptb5.q8.trie\n");
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static const char *layout_name(const lmp_ngram_info *in)
{
    if (!in->binary)
        return in->flags & LMP_NGRAM_ARPA_XZ     ? "ARPA, xz-compressed"
               : in->flags & LMP_NGRAM_ARPA_GZIP ? "ARPA, gzip-compressed"
                                                 : "ARPA";
    return in->trie ? "lmprob binary, trie layout (compact)" : "lmprob binary, hashed layout (fastest)";
}

static int model_info(int argc, char **argv)
{
    int json = 0;
    const char *path = NULL;
    const cli_opt table[] = {CLI_OPT_JSON(&json), CLI_OPT_QUIET};
    int rc = cli_parse("model info", argc, argv, table, CLI_NOPTS(table), &path, 1, NULL, usage);
    if (rc) return rc;
    if (!path) {
        cli_error("model info: expected a MODEL file");
        return CLI_USAGE;
    }
    if (cli_check_input("model info", path)) return CLI_FAIL;
    cli_progress pc;
    cli_progress_start(&pc, "model info", "loading");
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
    size_t nm = lmp_ngram_meta_count(m);
    if (json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, path);
        printf(", \"format\": \"%s\", \"layout\": \"%s\", \"order\": %u, \"vocab_size\": %zu, \"counts\": [",
               info.binary ? "binary" : "arpa", info.binary ? (info.trie ? "trie" : "hashed") : "arpa", info.order,
               info.vocab_size);
        for (unsigned n = 1; n <= info.order; n++) printf("%s%llu", n > 1 ? ", " : "", (unsigned long long)info.counts[n]);
        printf("], \"compression\": \"%s\"",
               info.flags & LMP_NGRAM_ARPA_XZ ? "xz" : info.flags & LMP_NGRAM_ARPA_GZIP ? "gzip" : "none");
        printf(", \"file_bytes\": %lld, \"data_bytes\": %llu, \"unk_added\": %s", fsize, (unsigned long long)info.bytes,
               (info.flags & LMP_NGRAM_UNK_ADDED) ? "true" : "false");
        if (info.trie) printf(", \"prob_bits\": %u, \"backoff_bits\": %u", info.prob_bits, info.backoff_bits);
        printf(", \"tokens\": \"%s\", \"meta\": {", lmp_ngram_tokens_name(lmp_ngram_get_tokens(m)));
        for (size_t i = 0; i < nm; i++) {
            const char *k, *v;
            lmp_ngram_meta_at(m, i, &k, &v);
            if (i) fputs(", ", stdout);
            cli_json_string(stdout, k);
            fputs(": ", stdout);
            cli_json_string(stdout, v);
        }
        fputs("}}\n", stdout);
    } else {
        printf("model:\t%s\n", path);
        printf("format:\t%s\n", layout_name(&info));
        if (info.trie) {
            if (info.prob_bits)
                printf("values:\tprobabilities quantised to %u bits, backoffs to %u bits (orders >= 2)\n", info.prob_bits,
                       info.backoff_bits);
            else printf("values:\texact (the ARPA's float values bit for bit)\n");
        }
        printf("order:\t%u\n", info.order);
        printf("vocabulary:\t%zu words\n", info.vocab_size);
        for (unsigned n = 1; n <= info.order; n++) printf("%u-grams:\t%llu\n", n, (unsigned long long)info.counts[n]);
        if (fsize >= 0) printf("file size:\t%lld bytes\n", fsize);
        printf("data size:\t%llu bytes%s\n", (unsigned long long)info.bytes,
               info.binary ? "" : " (in memory; as a hashed binary file about the same)");
        printf("tokens:\t%s\n", nm || lmp_ngram_get_tokens(m) ? lmp_ngram_tokens_name(lmp_ngram_get_tokens(m))
                                                              : "unknown (no record: not made by lmprob train)");
        for (size_t i = 0; i < nm; i++) {
            const char *k, *v;
            lmp_ngram_meta_at(m, i, &k, &v);
            if (strcmp(k, LMP_NGRAM_META_TOKENS) != 0) printf("%s:\t%s\n", k, v);
        }
        if (info.flags & LMP_NGRAM_UNK_ADDED) printf("note:\tthe ARPA file has no <unk>: added with log10 p = -100\n");
        if (info.trie) {
            printf("trie levels:\n  order      entries  key  prob  backoff  record bits  records MB  pointers MB  "
                   "pointer bits/entry\n");
            for (unsigned n = 2; n <= info.order; n++) {
                const lmp_ngram_level_info *l = &info.level[n];
                printf("  %5u %12llu %4u %5u %8u %12u %11.3f %12.3f %19.2f\n", n, (unsigned long long)l->entries,
                       l->key_bits, l->prob_bits, l->backoff_bits, l->record_bits, (double)l->record_bytes / 1e6,
                       (double)l->pointer_bytes / 1e6,
                       l->entries ? 8.0 * (double)l->pointer_bytes / (double)l->entries : 0.0);
            }
        }
    }
    lmp_ngram_free(m);
    return CLI_OK;
}

static int model_convert(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    size_t np = 0;
    long qb = 0, bb = 0;
    int sort = LMP_ARPA_ORDER_KEEP;
    static const cli_choice tos[] = {{"arpa", 0}, {"binary", 1}, {"hashed", 1}, {"trie", 2}, {NULL, 0}};
    static const cli_choice sorts[] = {
        {"keep", LMP_ARPA_ORDER_KEEP}, {"context", LMP_ARPA_ORDER_CONTEXT}, {"irstlm", LMP_ARPA_ORDER_CONTEXT}, {NULL, 0}};
    int to_kind = -1;
    const char *output = NULL; /* -o OUT, as every command that writes a file takes it, or OUT after IN */
    const cli_opt opts[] = {
        CLI_OPT_OUTPUT(&output),
        {.name = "--to", .kind = CLI_OPT_CHOICE, .dest = &to_kind, .choices = tos, .expect = "arpa, binary (hashed) or trie"},
        /* -q and -b as KenLM's build_binary spells them; train's quiet switch is --quiet only (docs/cli.md) */
        {.name = "--prob-bits", .alias = "-q", .kind = CLI_OPT_LONG, .dest = &qb, .lo = 1, .hi = 24, .expect = "a number of bits from 1 to 24"},
        {.name = "--backoff-bits", .alias = "-b", .kind = CLI_OPT_LONG, .dest = &bb, .lo = 2, .hi = 24, .expect = "a number of bits from 2 to 24"},
        {.name = "--sort", .kind = CLI_OPT_CHOICE, .dest = &sort, .choices = sorts, .expect = "keep or context"},
        CLI_OPT_QUIET,
    };
    int prc = cli_parse("model convert", argc, argv, opts, CLI_NOPTS(opts), pos, 2, &np, usage);
    if (prc) return prc;
    unsigned qbits = (unsigned)qb, bbits = (unsigned)bb;
    lmp_arpa_order order = (lmp_arpa_order)sort;
    if (output && np == 2) {
        cli_error("model convert: OUT given twice ('%s' and -o '%s'): expected one", pos[1], output);
        return CLI_USAGE;
    }
    if (output && np == 1) pos[np++] = output;
    if (np != 2) {
        cli_error("model convert: expected IN and OUT (or -o OUT), got %zu argument%s", np, np == 1 ? "" : "s");
        return CLI_USAGE;
    }
    enum { ARPA, HASHED, TRIE } kind;
    /* .gz and .xz: ARPA text, compressed (as train, prune, filter and mix write it) */
    const int zipped = ends_with(pos[1], ".gz") || ends_with(pos[1], ".xz");
    const ng_out_format named = ng_out_format_of(pos[1]);
    if ((to_kind < 0 || named == NG_OUT_UNWRITTEN) && (prc = cli_model_out_check("model convert", pos[1]))) return prc;
    if (to_kind >= 0) kind = to_kind == 0 ? ARPA : to_kind == 2 ? TRIE : HASHED;
    else if (named == NG_OUT_BINARY) kind = HASHED;
    else if (named == NG_OUT_TRIE) kind = TRIE;
    else if (ends_with(pos[1], ".arpa") || zipped || strcmp(pos[1], "-") == 0) kind = ARPA;
    else if (qbits || bbits) kind = TRIE;
    else {
        cli_error("model convert: OUT '%s': expected a name ending in .arpa, .arpa.gz, .arpa.xz, .bin or .trie, or "
                  "--to arpa|binary|trie",
                  pos[1]);
        return CLI_USAGE;
    }
    char why[300];
    if (kind != ARPA && ng_out_refusal(pos[1], kind == TRIE ? NG_OUT_TRIE : NG_OUT_BINARY, why, sizeof why)) {
        cli_error("model convert: OUT '%s': %s, or --to arpa", pos[1], why);
        return CLI_USAGE;
    }
    /* a usage conflict, refused before reading IN (it was found by the writer after the whole model was read,
     * 5 s for PTB's 5-gram, and exited 1) */
    if (kind != ARPA && strcmp(pos[1], "-") == 0) {
        cli_error("model convert: OUT '-' (standard output) with --to %s: a binary model is mapped into memory: "
                  "expected a file name, or --to arpa",
                  kind == TRIE ? "trie" : "binary");
        return CLI_USAGE;
    }
    if ((qbits || bbits) && kind != TRIE) {
        cli_error("model convert: --prob-bits/--backoff-bits: quantisation is for the trie layout, expected --to trie or OUT.trie");
        return CLI_USAGE;
    }
    if (bbits && !qbits) {
        cli_error("model convert: --backoff-bits %u: expected --prob-bits as well (as KenLM's build_binary)", bbits);
        return CLI_USAGE;
    }
    if (order != LMP_ARPA_ORDER_KEEP && kind != ARPA) {
        cli_error("model convert: --sort: expected ARPA output");
        return CLI_USAGE;
    }
    /* fail early: before reading a large model */
    if (cli_check_input("model convert", pos[0])) return CLI_FAIL;
    if ((prc = cli_check_output_from("model convert", pos[1], pos, 1))) return prc;
    cli_progress pc;
    cli_progress_start(&pc, "model convert", "reading");
    lmp_error err = {0};
    lmp_ngram *m;
    if (cli_ngram_load_whole("model convert", pos[0], &pc, &m)) return CLI_FAIL;
    lmp_status st;
    cli_progress_phase(&pc, "writing");
    int slot = cli_output_begin(pos[1]);
    if (kind == HASHED) st = lmp_ngram_write_binary(m, pos[1], &err);
    else if (kind == TRIE) {
        lmp_ngram_trie_params tp = {qbits, bbits};
        st = lmp_ngram_write_trie(m, pos[1], &tp, &err);
    } else {
        lmp_ngram_write_params wp = {order, cli_progress_update, &pc};
        st = lmp_ngram_write_arpa(m, pos[1], &wp, &err);
    }
    cli_progress_update(&pc, 1.0);
    cli_output_end(slot);
    lmp_ngram_free(m);
    if (st) {
        cli_error("model convert: %s", err.msg);
        return CLI_FAIL;
    }
    /* Below 4 bits the centres are too few for probabilities: the PTB trigram's values after "the" sum to 18.5
     * at 1 bit, 5.07 at 2, 2.25 at 3 (1.44 at 4, 1.012 at 8; docs/ngram-toolkit.md), and ppl and next take
     * them as they are: said once, here */
    if (kind == TRIE && qbits && qbits < 4)
        fprintf(stderr, "lmprob: model convert: note: %s: probabilities in %u bit%s: the values after a context can sum "
                        "far from 1, so perplexities and next-word distributions are approximate (8 bits keep "
                        "the mass within about 1 %%)\n",
                pos[1], qbits, qbits == 1 ? "" : "s");
    return CLI_OK;
}

typedef struct verify_ctx {
    int json, first;
} verify_ctx;

static void on_section(void *vctx, const char *name, uint64_t offset, uint64_t bytes, int ok)
{
    verify_ctx *c = vctx;
    if (c->json) {
        fputs(c->first ? "{\"name\": " : ", {\"name\": ", stdout);
        cli_json_string(stdout, name);
        printf(", \"offset\": %llu, \"bytes\": %llu, \"ok\": %s}", (unsigned long long)offset,
               (unsigned long long)bytes, ok ? "true" : "false");
    } else {
        printf("%-40s %12llu bytes at %10llu  %s\n", name, (unsigned long long)bytes, (unsigned long long)offset,
               ok ? "ok" : "DAMAGED");
    }
    c->first = 0;
}

static int model_verify(int argc, char **argv)
{
    verify_ctx c = {0, 1};
    const char *path = NULL;
    const cli_opt table[] = {CLI_OPT_JSON(&c.json)};
    int rc = cli_parse("model verify", argc, argv, table, CLI_NOPTS(table), &path, 1, NULL, usage);
    if (rc) return rc;
    if (!path) {
        cli_error("model verify: expected a MODEL file");
        return CLI_USAGE;
    }
    cli_stdin_note("model verify", path);
    if (c.json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, path);
        fputs(", \"sections\": [", stdout);
    }
    lmp_error err = {0};
    lmp_status st = lmp_ngram_verify(path, on_section, &c, &err);
    if (c.json) {
        fputs("], \"ok\": ", stdout);
        fputs(st ? "false, \"error\": " : "true", stdout);
        if (st) cli_json_string(stdout, err.msg);
        fputs("}\n", stdout);
    } else if (!st) {
        printf("%s: intact\n", path);
    }
    fflush(stdout);
    if (st) {
        cli_error("model verify: %s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cmd_model(int argc, char **argv)
{
    static const cli_sub subs[] = {{"info", model_info}, {"convert", model_convert}, {"verify", model_verify}};
    return cli_subcommand("model", argc, argv, subs, CLI_NOPTS(subs), usage);
}
