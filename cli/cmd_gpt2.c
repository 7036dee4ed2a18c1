/* `lmprob gpt2`: the GPT-2 engine by itself (the language-model commands ppl,
 * generate, next and kl take GPT-2 models through --model).
 *   info    a checkpoint's config and tensors, after the full validation of a load
 *   logits  run token ids through the model: the top logits per position, or all
 *           of them to a float32 file (written to a temporary name, then renamed) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/gpt2.h"
#include "lmprob/lm.h"
#include "lmprob/tokenizer.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob gpt2 info [--json] [--tensors] [--quiet] MODEL\n"
            "       lmprob gpt2 logits [--threads N] [--top K] [--json] [--output FILE] [--quiet] MODEL IDS\n"
            "\n"
            "MODEL is a Hugging Face GPT-2 folder (config.json + model.safetensors or pytorch_model.bin,\n"
            "or their shards and index .json) or a .safetensors or PyTorch checkpoint file (config from\n"
            "its __metadata__, or inferred from the shapes). Loading validates the whole file (header,\n"
            "JSON or pickle, dtypes, shapes against the config, offsets, every weight finite) and names\n"
            "the tensor and file at fault. A pickle is read, never run: only a state dict's objects.\n"
            "\n"
            "info     n_layer, n_head, n_embd, n_ctx, vocab, eps, dtype, parameters, where the config\n"
            "         came from, a folder's own vocabulary (tokenizer.json, ...: its tokens and added\n"
            "         tokens); --tensors lists every tensor (name, dtype, shape, byte range, used)\n"
            "logits   push the token ids IDS (decimal integers, comma- or space-separated) in one batched\n"
            "         pass and print, for each position, the K largest logits (default 5) as id:logit;\n"
            "         --output FILE writes all logits as float32 little-endian [n, vocab] instead (not with\n"
            "         --top or --json; '-' is stdout, not a terminal). --threads N (default: every core).\n"
            "--quiet  no progress line while the model loads on a terminal (errors and notes still print)\n"
            "\n"
            "examples: lmprob gpt2 info ~/models/gpt2\n"
            "          lmprob gpt2 logits ~/models/gpt2 15496,11,616,3290,318\n");
}

static int load(const char *cmd, const char *path, lmp_gpt2 **m)
{
    lmp_error err = {0};
    char label[32];
    snprintf(label, sizeof label, "gpt2 %s", cmd);
    lmp_status st = cli_gpt2_load_weights(label, path, m, &err);
    if (st) {
        cli_error("gpt2 %s: %s", cmd, err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

static const char *dtype_name(lmp_gpt2_dtype d) { return d == LMP_GPT2_F16 ? "F16" : d == LMP_GPT2_BF16 ? "BF16" : "F32"; }
static const char *source_name(lmp_gpt2_config_source s)
{
    return s == LMP_GPT2_CONFIG_JSON ? "config.json" : s == LMP_GPT2_CONFIG_METADATA ? "__metadata__" : "inferred";
}

static int gpt2_info(int argc, char **argv)
{
    int json = 0, tensors = 0;
    const char *path = NULL;
    const cli_opt opts[] = {CLI_OPT_JSON(&json), {.name = "--tensors", .kind = CLI_OPT_FLAG, .dest = &tensors}, CLI_OPT_QUIET};
    int prc = cli_parse("gpt2 info", argc, argv, opts, CLI_NOPTS(opts), &path, 1, NULL, usage);
    if (prc) return prc;
    if (!path) {
        cli_error("gpt2 info: expected a MODEL (a folder or a .safetensors file)");
        return CLI_USAGE;
    }
    lmp_gpt2 *m;
    if (load("info", path, &m)) return CLI_FAIL;
    lmp_gpt2_config c;
    lmp_gpt2_get_config(m, &c);
    /* a folder's own vocabulary, as the language-model commands will read it */
    lmp_tokenizer *tok = NULL;
    if (lmp_lm_probe_path(path) == LMP_LM_PATH_GPT2_VOCAB) {
        lmp_error err = {0};
        if (lmp_tokenizer_load(path, &tok, &err)) {
            cli_error("gpt2 info: vocabulary: %s", err.msg);
            lmp_gpt2_free(m);
            return CLI_FAIL;
        }
    }
    size_t nt = tok ? lmp_tokenizer_vocab_size(tok) : 0, na = tok ? lmp_tokenizer_added_count(tok) : 0;
    /* a sharded folder: each shard's tensors name it (one pointer a shard) */
    size_t shards = 0;
    const char *last = NULL;
    for (size_t i = 0; i < lmp_gpt2_tensor_count(m); i++) {
        lmp_gpt2_tensor t;
        lmp_gpt2_tensor_info(m, i, &t, NULL);
        if (t.file && t.file != last) shards++;
        last = t.file;
    }
    if (json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, path);
        fputs(", \"weights\": ", stdout);
        cli_json_string(stdout, lmp_gpt2_weights_path(m));
        printf(", \"n_layer\": %d, \"n_head\": %d, \"n_embd\": %d, \"n_ctx\": %d, \"vocab_size\": %d, "
               "\"n_inner\": %d, \"layer_norm_epsilon\": ",
               c.n_layer, c.n_head, c.n_embd, c.n_ctx, c.n_vocab, c.n_inner);
        cli_json_double(stdout, c.eps);
        printf(", \"tied\": %s, \"dtype\": \"%s\", \"config\": \"%s\", \"parameters\": %zu, \"weight_bytes\": %zu",
               c.tied ? "true" : "false", dtype_name(c.dtype), source_name(c.source), c.n_params, c.weight_bytes);
        if (c.eos_token_id >= 0) printf(", \"eos_token_id\": %d", c.eos_token_id);
        else fputs(", \"eos_token_id\": null", stdout);
        if (c.bos_token_id >= 0) printf(", \"bos_token_id\": %d", c.bos_token_id);
        else fputs(", \"bos_token_id\": null", stdout);
        if (shards) printf(", \"shards\": %zu", shards);
        fputs(", \"vocabulary\": ", stdout);
        if (tok) {
            fputs("{\"file\": ", stdout);
            cli_json_string(stdout, lmp_tokenizer_path(tok));
            printf(", \"tokens\": %zu, \"added\": [", nt);
            for (size_t k = 0; k < na; k++) {
                int special;
                lmp_token_id id = lmp_tokenizer_added(tok, k, &special);
                size_t len;
                const char *b = lmp_tokenizer_token_bytes(tok, id, &len);
                printf("%s{\"id\": %d, \"text\": ", k ? ", " : "", (int)id);
                cli_json_bytes(stdout, b, len);
                printf(", \"special\": %s}", special ? "true" : "false");
            }
            fputs("]}", stdout);
        } else {
            fputs("null", stdout);
        }
        if (tensors) fputs(", \"tensors\": [", stdout);
    } else {
        printf("model:       %s\n", path);
        printf("weights:     %s\n", lmp_gpt2_weights_path(m));
        /* where the config came from, as the weights' line names their file: a folder's config.json by its path
         * (it printed "config.json" beside the weights' full path) */
        if (c.source == LMP_GPT2_CONFIG_JSON) {
            size_t n = strlen(path);
            while (n > 1 && path[n - 1] == '/') n--;
            printf("config:      %.*s/config.json\n", (int)n, path);
        } else {
            printf("config:      %s\n", c.source == LMP_GPT2_CONFIG_METADATA ? "__metadata__ (the weights' header)"
                                                                            : "inferred (from the tensors' shapes)");
        }
        printf("n_layer:     %d\nn_head:      %d\nn_embd:      %d\nn_ctx:       %d\nvocab_size:  %d\n"
               "n_inner:     %d\neps:         %g\n",
               c.n_layer, c.n_head, c.n_embd, c.n_ctx, c.n_vocab, c.n_inner, c.eps);
        printf("lm_head:     %s\n", c.tied ? "tied to wte" : "lm_head.weight");
        if (c.eos_token_id >= 0) printf("eos:         %d\n", c.eos_token_id);
        else printf("eos:         none\n");
        if (c.bos_token_id >= 0) printf("bos:         %d\n", c.bos_token_id);
        else printf("bos:         none\n");
        printf("dtype:       %s%s\n", dtype_name(c.dtype), c.dtype == LMP_GPT2_F32 ? "" : " (computed in fp32)");
        printf("parameters:  %zu (%.1f M)\n", c.n_params, (double)c.n_params / 1e6);
        printf("fp32 bytes:  %zu (%.1f MB)\n", c.weight_bytes, (double)c.weight_bytes / 1e6);
        if (shards) printf("shards:      %zu\n", shards);
        if (!tok) /* said, not left out: the commands that run the model take GPT-2's own then */
            printf("vocabulary:  none in %s (ppl, generate, next, kl use GPT-2's: --gpt2-vocab, $LMPROB_GPT2_VOCAB or "
                   "the installed one)\n",
                   path);
        if (tok) {
            /* the model's ids against the vocabulary's: padding past it, or tokens it cannot score */
            printf("vocabulary:  %s, %zu tokens%s\n", lmp_tokenizer_path(tok), nt,
                   nt < (size_t)c.n_vocab   ? " (the model's ids past them: padding, no text)"
                   : nt > (size_t)c.n_vocab ? " (more than the model's: refused by ppl, generate, next, kl)"
                                            : "");
            for (size_t k = 0; k < na; k++) {
                int special;
                lmp_token_id id = lmp_tokenizer_added(tok, k, &special);
                size_t len;
                const char *b = lmp_tokenizer_token_bytes(tok, id, &len);
                char shown[200];
                printf("%s %d \"%s\"%s\n", k ? "            " : "added:      ", (int)id,
                       cli_show(shown, sizeof shown, b, len), special ? " (special)" : "");
            }
        }
    }
    if (tensors) {
        size_t n = lmp_gpt2_tensor_count(m);
        for (size_t i = 0; i < n; i++) {
            lmp_gpt2_tensor t;
            lmp_gpt2_tensor_info(m, i, &t, NULL);
            char shape[96];
            size_t k = 0;
            for (int d = 0; d < t.ndim && k + 24 < sizeof shape; d++)
                k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%lld", d ? ", " : "", (long long)t.shape[d]);
            if (k == 0) shape[0] = '\0';
            if (json) {
                printf("%s{\"name\": ", i ? ", " : "");
                cli_json_string(stdout, t.name);
                printf(", \"dtype\": \"%s\", \"shape\": [%s], \"data_offsets\": [%llu, %llu], \"used\": %s", t.dtype,
                       shape, (unsigned long long)t.begin, (unsigned long long)t.end, t.used ? "true" : "false");
                if (t.file) {
                    fputs(", \"file\": ", stdout);
                    cli_json_string(stdout, t.file);
                }
                fputs("}", stdout);
            } else {
                const char *base = t.file ? strrchr(t.file, '/') : NULL;
                printf("  %-40s %-5s [%s] [%llu, %llu)%s%s%s\n", t.name, t.dtype, shape, (unsigned long long)t.begin,
                       (unsigned long long)t.end, t.used ? "" : " (ignored)", t.file ? " in " : "",
                       t.file ? (base ? base + 1 : t.file) : "");
            }
        }
        if (json) fputs("]", stdout);
    }
    if (json) fputs("}\n", stdout);
    lmp_tokenizer_free(tok);
    lmp_gpt2_free(m);
    return CLI_OK;
}

static int gpt2_logits(int argc, char **argv)
{
    int json = 0;
    long threads = 0, top = -1; /* -1: --top not given (5 then); the table's domain starts at 0 */
    const char *path = NULL, *idstr = NULL, *output = NULL;
    /* --threads: 0 or more than the cores, lmp_gpt2_ctx_create takes them all */
    const cli_opt opts[] = {CLI_OPT_THREADS(&threads), CLI_OPT_OUTPUT(&output), CLI_OPT_JSON(&json), CLI_OPT_TOP(&top), CLI_OPT_TOP_K_RENAMED, CLI_OPT_QUIET};
    const char *pos[2] = {NULL, NULL};
    int prc = cli_parse("gpt2 logits", argc, argv, opts, CLI_NOPTS(opts), pos, 2, NULL, usage);
    if (prc) return prc;
    path = pos[0];
    idstr = pos[1];
    if (!path || !idstr) {
        cli_error("gpt2 logits: expected MODEL and IDS");
        return CLI_USAGE;
    }
    /* --output writes every logit; --json and --top choose how the largest are printed instead: given
     * together, one of them would be ignored in silence */
    if (output && (json || top >= 0)) {
        cli_error("gpt2 logits: --output with %s: expected one or the other (--output writes every logit as "
                  "float32; %s prints the largest of each position)", json ? "--json" : "--top",
                  json ? "--json" : "--top");
        return CLI_USAGE;
    }
    if (top < 0) top = 5;
    if (output && cli_check_binary_stdout("gpt2 logits", "--output", output)) return CLI_USAGE;
    lmp_token_id *ids;
    size_t n;
    /* the ids as detokenize reads them: digits only, so "1.0", "0x1", "1e3" and "-3" are refused */
    if ((prc = cli_parse_id_list("gpt2 logits: IDS", idstr, &ids, &n))) return prc;
    if ((prc = cli_check_output_from("gpt2 logits", output, &path, 1))) { /* fail early: before a large model loads */
        free(ids);
        return prc;
    }
    lmp_gpt2 *m;
    if (load("logits", path, &m)) {
        free(ids);
        return CLI_FAIL;
    }
    cli_gpt2_note_inferred("gpt2 logits", path, m);
    lmp_gpt2_config c;
    lmp_gpt2_get_config(m, &c);
    int rc = CLI_FAIL;
    lmp_error err = {0};
    lmp_gpt2_ctx *ctx = NULL;
    const size_t V = (size_t)c.n_vocab;
    float *lg = NULL;
    lmp_atomic_file af = {0};
    int af_open = 0, slot = -1; /* slot: the temporary output, removed on SIGINT/SIGTERM (cli_output_watch) */
    for (size_t i = 0; i < n; i++) /* an id the model has not: the argument's value, a usage error (as decode's) */
        if ((size_t)ids[i] >= V) {
            cli_error("gpt2 logits: IDS: item %zu: expected a token id in [0, %zu) (the model's vocab_size), got '%ld'",
                      i + 1, V, (long)ids[i]);
            rc = CLI_USAGE;
            goto done;
        }
    if (n > (size_t)c.n_ctx) {
        cli_error("gpt2 logits: %zu tokens: the model reads at most n_ctx = %d (a longer text needs a sliding window: "
                  "lmprob ppl --model)",
                  n, c.n_ctx);
        rc = CLI_USAGE; /* the ids are an argument, as ppl's --window above n_ctx */
        goto done;
    }
    if (lmp_gpt2_ctx_create(m, n, (unsigned)threads, &ctx, &err)) {
        cli_error("gpt2 logits: %s", err.msg);
        goto done;
    }
    lg = malloc(n * V * sizeof *lg);
    if (!lg) {
        cli_error("gpt2 logits: out of memory for %zu x %zu logits", n, V);
        goto done;
    }
    if (output) { /* opened before the pass so that a bad path fails fast; nothing is renamed on error */
        if (lmp_atomic_open(&af, output, &err)) {
            cli_error("gpt2 logits: %s", err.msg);
            goto done;
        }
        af_open = 1;
        slot = cli_output_watch(af.tmp);
    }
    if (lmp_gpt2_ctx_push(ctx, ids, n, lg, LMP_GPT2_LOGITS_ALL, &err)) {
        cli_error("gpt2 logits: %s", err.msg);
        goto done;
    }
    if (output) {
        errno = 0;
        if (fwrite(lg, sizeof *lg, n * V, af.fp) != n * V) {
            if (strcmp(output, "-") == 0) cli_stdout_failed("gpt2 logits", errno);
            else cli_error("gpt2 logits: %s: write failed: %s", output, errno ? strerror(errno) : "write error");
            goto done;
        }
        af_open = 0;
        if (lmp_atomic_commit(&af, &err)) {
            cli_error("gpt2 logits: %s", err.msg);
            goto done;
        }
        rc = CLI_OK;
        goto done;
    }
    size_t k = (size_t)top < V ? (size_t)top : V;
    size_t *best = malloc((k ? k : 1) * sizeof *best);
    if (!best) { /* before anything is printed: it printed an empty list, then exited 1 with no word */
        cli_error("gpt2 logits: out of memory for the top %zu logits", k);
        goto done;
    }
    if (json) fputs("{\"positions\": [", stdout);
    for (size_t i = 0; i < n; i++) {
        const float *row = lg + i * V;
        size_t nb = 0; /* the k largest, by insertion (k is small) */
        for (size_t v = 0; v < V; v++) {
            if (nb == k && (k == 0 || !(row[v] > row[best[k - 1]]))) continue;
            size_t at = nb < k ? nb++ : k - 1;
            while (at > 0 && row[v] > row[best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = v;
        }
        if (json) {
            printf("%s{\"token\": %ld, \"top\": [", i ? ", " : "", (long)ids[i]);
            for (size_t j = 0; j < nb; j++) {
                printf("%s[%zu, ", j ? ", " : "", best[j]);
                cli_json_double(stdout, row[best[j]]);
                fputs("]", stdout);
            }
            fputs("]}", stdout);
        } else {
            printf("%zu\t%ld\t", i, (long)ids[i]);
            for (size_t j = 0; j < nb; j++) printf("%s%zu:%.6f", j ? " " : "", best[j], (double)row[best[j]]);
            putchar('\n');
        }
    }
    if (json) fputs("]}\n", stdout);
    rc = CLI_OK;
    free(best);
done:
    if (af_open) lmp_atomic_abort(&af);
    cli_output_end(slot);
    free(lg);
    free(ids);
    lmp_gpt2_ctx_free(ctx);
    lmp_gpt2_free(m);
    return rc;
}

int cmd_gpt2(int argc, char **argv)
{
    static const cli_sub subs[] = {{"info", gpt2_info}, {"logits", gpt2_logits}};
    return cli_subcommand("gpt2", argc, argv, subs, CLI_NOPTS(subs), usage);
}
