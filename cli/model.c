/* What the commands over language models share (cli.h, "models"): loading
 * any model through lm.h with progress, tokenizing text into growing
 * buffers, printing tokens as text, and the sampler options of `decode` and
 * `generate` (one parser, so the names and domains are the same in both). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

int cli_parse_mode(const char *cmd, const char *v, lmp_lm_tokens *out)
{
    if (strcmp(v, "word") == 0) *out = LMP_LM_TOKENS_WORD;
    else if (strcmp(v, "char") == 0) *out = LMP_LM_TOKENS_CHAR;
    else if (strcmp(v, "byte") == 0) *out = LMP_LM_TOKENS_BYTE;
    else if (strcmp(v, "gpt2") == 0) *out = LMP_LM_TOKENS_GPT2;
    else {
        cli_error("%s: --mode: expected 'word', 'char', 'byte' or 'gpt2', got '%s'", cmd, v);
        return -1;
    }
    return 0;
}

/* GPT-2 (a folder or .safetensors) with a vocabulary from outside its file: --vocab, else the
 * default that cli_gpt2_load finds ($LMPROB_GPT2_VOCAB, build/gpt2, PREFIX/share/lmprob/gpt2). */
static int load_gpt2(const char *cmd, const char *path, const cli_lm_opts *o, lmp_lm **out)
{
    lmp_error err = {0};
    if (o->mode != LMP_LM_TOKENS_DEFAULT && o->mode != LMP_LM_TOKENS_GPT2) {
        cli_error("%s: %s: GPT-2 reads text with its BPE tokenizer: --mode word, char and byte are for n-gram "
                  "models", cmd, path);
        return CLI_USAGE;
    }
    lmp_tokenizer *tok = cli_gpt2_load(cmd, o->vocab);
    if (!tok) return CLI_FAIL; /* cli_gpt2_load said why */
    lmp_gpt2 *g = NULL;
    lmp_status st = lmp_gpt2_load(path, &g, &err);
    if (!st) st = lmp_lm_create_gpt2_take(g, tok, (unsigned)o->threads, out, &err);
    else lmp_tokenizer_free(tok);
    if (st) {
        cli_error("%s: %s", cmd, err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* An n-gram model: the token mode is --mode or the one the model records (word without a
 * record); a --mode the record contradicts is a usage error; GPT-2 tokens need the vocabulary. */
static int load_ngram(const char *cmd, const char *path, const cli_lm_opts *o, cli_progress *prog, lmp_lm **out)
{
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        cli_error("%s: %s: a folder without config.json: expected a Hugging Face GPT-2 folder (config.json + "
                  "model.safetensors) or an n-gram model file", cmd, path);
        return CLI_FAIL;
    }
    if (lmp_ngram_load(path, cli_progress_update, prog, &m, &err)) {
        cli_progress_update(prog, 1.0);
        cli_error("%s: %s", cmd, err.msg);
        return CLI_FAIL;
    }
    cli_progress_update(prog, 1.0);
    lmp_lm_tokens mode = o->mode;
    if (mode == LMP_LM_TOKENS_DEFAULT) {
        lmp_ngram_tokens have = lmp_ngram_get_tokens(m);
        mode = have == LMP_NGRAM_TOKENS_UNKNOWN ? LMP_LM_TOKENS_WORD : (lmp_lm_tokens)have;
    }
    int rc = CLI_USAGE;
    lmp_tokenizer *tok = NULL;
    if (lmp_ngram_check_tokens(m, (lmp_ngram_tokens)mode, &err)) {
        cli_error("%s: %s: %s", cmd, path, err.msg);
    } else if (o->vocab && mode != LMP_LM_TOKENS_GPT2) {
        cli_error("%s: --vocab (--gpt2-vocab) goes with --mode gpt2 or a GPT-2 model", cmd);
    } else if (mode == LMP_LM_TOKENS_GPT2 && !(tok = cli_gpt2_load(cmd, o->vocab))) {
        rc = CLI_FAIL;
    } else if (lmp_lm_create_ngram_take(m, mode, tok, out, &err)) {
        m = NULL; /* released by the failed call */
        cli_error("%s: %s", cmd, err.msg);
        rc = CLI_FAIL;
    } else {
        return CLI_OK;
    }
    lmp_ngram_free(m);
    return rc;
}

int cli_lm_load(const char *cmd, const char *path, const cli_lm_opts *o, lmp_lm **out)
{
    *out = NULL;
    if (cli_check_input(cmd, path)) return CLI_FAIL;
    lmp_lm_path_kind kind = lmp_lm_probe_path(path);
    if (kind == LMP_LM_PATH_GPT2 || (kind == LMP_LM_PATH_GPT2_VOCAB && o->vocab)) return load_gpt2(cmd, path, o, out);
    char label[64];
    snprintf(label, sizeof label, "lmprob %s", cmd);
    cli_progress prog;
    cli_progress_start(&prog, label, "loading model");
    if (kind == LMP_LM_PATH_NGRAM) return load_ngram(cmd, path, o, &prog, out);
    /* a GPT-2 folder with its own vocabulary */
    lmp_lm_load_params p;
    lmp_lm_load_params_init(&p);
    p.tokens = o->mode;
    p.threads = (unsigned)o->threads;
    lmp_error err = {0};
    if (lmp_lm_load(path, &p, out, &err)) {
        cli_error("%s: %s", cmd, err.msg);
        return err.code == LMP_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    return CLI_OK;
}

lmp_status cli_tokenize(const lmp_lm *lm, const char *text, size_t len, unsigned flags, lmp_token_id **ids,
                        unsigned char **unknown, lmp_lm_span **spans, size_t *n, lmp_error *err)
{
    *ids = NULL;
    if (unknown) *unknown = NULL;
    if (spans) *spans = NULL;
    /* A first guess that holds every tokenizer's output: at most one token a
     * byte, plus <s> and </s> per line. */
    size_t cap = len + 2, lines = 1;
    for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p - text))) != NULL; p++) lines++;
    cap += 2 * lines;
    for (int attempt = 0; attempt < 2; attempt++) {
        lmp_token_id *i = malloc(cap * sizeof *i);
        unsigned char *u = unknown ? malloc(cap) : NULL;
        lmp_lm_span *s = spans ? malloc(cap * sizeof *s) : NULL;
        if (!i || (unknown && !u) || (spans && !s)) {
            free(i);
            free(u);
            free(s);
            return lmp_error_set(err, LMP_ENOMEM, "out of memory for %zu tokens", cap);
        }
        lmp_status st = lmp_lm_tokenize(lm, text, len, flags, i, u, s, cap, n, err);
        if (st == LMP_OK) {
            *ids = i;
            if (unknown) *unknown = u;
            if (spans) *spans = s;
            return LMP_OK;
        }
        free(i);
        free(u);
        free(s);
        if (st != LMP_ERANGE) return st;
        cap = *n;
    }
    return lmp_error_set(err, LMP_ERANGE, "tokenize: the token count changed between two calls");
}

void cli_print_token(FILE *f, const lmp_lm *lm, lmp_token_id id, int first)
{
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    size_t len;
    const char *w = lmp_lm_token_text(lm, id, &len);
    if (!w) {
        fprintf(f, "%s<%d>", first ? "" : " ", (int)id);
        return;
    }
    switch (in.tokens) {
    case LMP_LM_TOKENS_GPT2: /* the token's bytes: the text as it was */
        if (in.kind == LMP_LM_NGRAM) { /* an n-gram's word is the token's name ("Ġthe"); </s> is the newline */
            const lmp_tokenizer *tok = lmp_lm_tokenizer(lm);
            lmp_token_id t = tok ? lmp_tokenizer_find_name(tok, w, len) : LMP_TOKEN_NONE;
            const char *b = t != LMP_TOKEN_NONE ? lmp_tokenizer_token_bytes(tok, t, &len) : NULL;
            if (b) w = b;
        }
        fwrite(w, 1, len, f);
        return;
    case LMP_LM_TOKENS_CHAR:
    case LMP_LM_TOKENS_BYTE: { /* the text each token stands for (corpus.h: <sp>, <tab>, <0xNN>) */
        unsigned hi, lo;
        if (strcmp(w, "<sp>") == 0) fputc(' ', f);
        else if (strcmp(w, "<tab>") == 0) fputc('\t', f);
        else if (len == 6 && strncmp(w, "<0x", 3) == 0 && w[5] == '>' && sscanf(w + 3, "%1x%1x", &hi, &lo) == 2)
            fputc((int)(hi * 16 + lo), f);
        else fwrite(w, 1, len, f);
        return;
    }
    default: /* words, a space between them */
        if (!first) fputc(' ', f);
        fwrite(w, 1, len, f);
    }
}

/* ---- sampler options --------------------------------------------------------------- */

static int range_error(const char *cmd, const char *opt, const char *v, const char *expect)
{
    cli_error("%s: %s: expected %s, got '%s'", cmd, opt, expect, v);
    return -1;
}

int cli_sampler_opt(const char *cmd, int argc, char **argv, int *i, lmp_sampler_params *prm, int *dtype_set)
{
    static const char *const dbl[] = {"--temperature", "--top-p", "--min-p", "--typical", "--epsilon",
                                      "--repetition-penalty", "--frequency-penalty", "--presence-penalty"};
    static const char *const lng[] = {"--top-k", "--penalty-last-n", "--min-keep"};
    const char *a = argv[*i], *v;
    char label[80];
    for (size_t k = 0; k < sizeof dbl / sizeof dbl[0]; k++) {
        if (!cli_is_opt(a, dbl[k])) continue;
        double d;
        if (!(v = cli_optarg(argc, argv, i, dbl[k]))) return -1;
        snprintf(label, sizeof label, "%s: %s", cmd, dbl[k]);
        if (cli_parse_double(label, v, &d)) return -1;
        switch (k) {
        case 0:
            if (d < 0) return range_error(cmd, dbl[k], v, "T >= 0 (0 is greedy)");
            prm->temperature = d;
            break;
        case 1:
            if (!(d > 0 && d <= 1)) return range_error(cmd, dbl[k], v, "a probability in (0, 1]");
            prm->top_p = d;
            break;
        case 2:
            if (!(d >= 0 && d <= 1)) return range_error(cmd, dbl[k], v, "a value in [0, 1]");
            prm->min_p = d;
            break;
        case 3:
            if (!(d > 0 && d <= 1)) return range_error(cmd, dbl[k], v, "a mass in (0, 1]");
            prm->typical_p = d;
            break;
        case 4:
            if (!(d >= 0 && d < 1)) return range_error(cmd, dbl[k], v, "a value in [0, 1)");
            prm->epsilon = d;
            break;
        case 5:
            if (!(d > 0)) return range_error(cmd, dbl[k], v, "a penalty > 0 (1 is off)");
            prm->repetition_penalty = d;
            break;
        case 6: prm->frequency_penalty = d; break;
        default: prm->presence_penalty = d; break;
        }
        return 1;
    }
    for (size_t k = 0; k < sizeof lng / sizeof lng[0]; k++) {
        if (!cli_is_opt(a, lng[k])) continue;
        long l;
        if (!(v = cli_optarg(argc, argv, i, lng[k]))) return -1;
        snprintf(label, sizeof label, "%s: %s", cmd, lng[k]);
        if (cli_parse_long(label, v, &l)) return -1;
        if (k == 0) {
            if (l < 0) return range_error(cmd, lng[k], v, "k >= 0 (0 is off)");
            prm->top_k = l;
        } else if (k == 1) {
            if (l < 0) return range_error(cmd, lng[k], v, "n >= 0 (0: the whole history)");
            prm->penalty_last_n = (size_t)l;
        } else {
            if (l < 1) return range_error(cmd, lng[k], v, "n >= 1");
            prm->min_keep = (size_t)l;
        }
        return 1;
    }
    if (cli_is_opt(a, "--order")) {
        if (!(v = cli_optarg(argc, argv, i, "--order"))) return -1;
        if (strcmp(v, "hf") == 0) prm->conv = LMP_CONV_HF;
        else if (strcmp(v, "llama") == 0) prm->conv = LMP_CONV_LLAMA;
        else return range_error(cmd, "--order", v, "'hf' or 'llama'");
        return 1;
    }
    if (cli_is_opt(a, "--dtype")) {
        if (!(v = cli_optarg(argc, argv, i, "--dtype"))) return -1;
        if (strcmp(v, "f64") == 0 || strcmp(v, "float64") == 0) prm->dtype = LMP_DTYPE_F64;
        else if (strcmp(v, "f32") == 0 || strcmp(v, "float32") == 0) prm->dtype = LMP_DTYPE_F32;
        else return range_error(cmd, "--dtype", v, "f64 or f32");
        if (dtype_set) *dtype_set = 1;
        return 1;
    }
    return 0;
}

void cli_sampler_finish(lmp_sampler_params *prm, int dtype_set)
{
    if (!dtype_set) prm->dtype = prm->conv == LMP_CONV_LLAMA ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
}

int cli_rng_opt(const char *cmd, int argc, char **argv, int *i, lmp_rng_kind *kind, uint64_t *seed)
{
    const char *a = argv[*i], *v;
    if (cli_is_opt(a, "--rng")) {
        if (!(v = cli_optarg(argc, argv, i, "--rng"))) return -1;
        if (strcmp(v, "xoshiro") == 0) *kind = LMP_RNG_XOSHIRO;
        else if (strcmp(v, "numpy") == 0) *kind = LMP_RNG_NUMPY_LEGACY;
        else return range_error(cmd, "--rng", v, "xoshiro or numpy");
        return 1;
    }
    if (cli_is_opt(a, "--seed")) {
        char label[64];
        snprintf(label, sizeof label, "%s: --seed", cmd);
        if (!(v = cli_optarg(argc, argv, i, "--seed")) || cli_parse_u64(label, v, seed)) return -1;
        return 1;
    }
    return 0;
}

int cli_lm_opt(const char *cmd, int argc, char **argv, int *i, unsigned which, cli_lm_opts *o)
{
    const char *a = argv[*i], *v;
    char label[64];
    if ((which & CLI_LM_MODE) && cli_is_opt(a, "--mode")) {
        if (!(v = cli_optarg(argc, argv, i, "--mode")) || cli_parse_mode(cmd, v, &o->mode)) return -1;
        return 1;
    }
    if ((which & CLI_LM_THREADS) && cli_is_opt(a, "--threads")) {
        snprintf(label, sizeof label, "%s: --threads", cmd);
        if (!(v = cli_optarg(argc, argv, i, "--threads")) || cli_parse_long(label, v, &o->threads)) return -1;
        if (o->threads < 0 || o->threads > 1024) return range_error(cmd, "--threads", v, "0 (all cores) to 1024");
        return 1;
    }
    if ((which & CLI_LM_WINDOW) && (cli_is_opt(a, "--window") || cli_is_opt(a, "--stride"))) {
        int is_w = cli_is_opt(a, "--window");
        const char *name = is_w ? "--window" : "--stride";
        long *dst = is_w ? &o->window : &o->stride;
        snprintf(label, sizeof label, "%s: %s", cmd, name);
        if (!(v = cli_optarg(argc, argv, i, name)) || cli_parse_long(label, v, dst)) return -1;
        if (*dst < (is_w ? 2 : 1))
            return range_error(cmd, name, v, is_w ? "a window of >= 2 tokens" : "a stride >= 1");
        o->windows_given = 1;
        return 1;
    }
    if ((which & CLI_LM_VOCAB) && (cli_is_opt(a, "--vocab") || cli_is_opt(a, "--gpt2-vocab"))) {
        /* --gpt2-vocab: the name lmprob train uses for the same thing */
        if (!(o->vocab = cli_optarg(argc, argv, i, cli_is_opt(a, "--vocab") ? "--vocab" : "--gpt2-vocab"))) return -1;
        return 1;
    }
    return 0;
}
