/* What the commands over language models share (cli.h, "models"): loading
 * any model through lm.h with progress, tokenizing text into growing
 * buffers, printing tokens as text, and the sampler options of `decode` and
 * `generate` (one parser, so the names and domains are the same in both). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A GPT-2 larger than its vocabulary (padded to a multiple of 64, say): loaded, with a note, since its extra
 * ids take part in every softmax and have no text. */
static int note_padding(const char *cmd, const char *path, const lmp_lm *lm)
{
    const lmp_tokenizer *tok = lmp_lm_tokenizer(lm);
    size_t n = tok ? lmp_tokenizer_vocab_size(tok) : 0, V = lmp_lm_vocab_size(lm);
    if (tok && n < V)
        fprintf(stderr, "lmprob: %s: note: %s has %zu tokens and its vocabulary %zu: ids %zu..%zu have no text "
                        "(padding); they take part in every softmax, as in Hugging Face's loss\n",
                cmd, path, V, n, n, V - 1);
    cli_gpt2_note_inferred(cmd, path, lmp_lm_gpt2(lm));
    return CLI_OK;
}

void cli_gpt2_note_inferred(const char *cmd, const char *path, const lmp_gpt2 *g)
{
    lmp_gpt2_config cf;
    if (!g) return;
    lmp_gpt2_get_config(g, &cf);
    if (cf.source == LMP_GPT2_CONFIG_INFERRED)
        fprintf(stderr, "lmprob: %s: note: %s has no config (config.json, or __metadata__ in the file): n_head = %d "
                        "is n_embd / 64, as in every GPT-2 size, and the rest comes from the tensors' shapes\n",
                cmd, path, cf.n_head);
}

/* GPT-2 (a folder or .safetensors) with a vocabulary from outside its file: --gpt2-vocab, else the
 * default that cli_gpt2_load finds ($LMPROB_GPT2_VOCAB, build/gpt2, PREFIX/share/lmprob/gpt2). */
/* A --mode GPT-2 cannot read text with: a usage error, before anything is loaded. */
static int gpt2_mode_refused(const char *cmd, const char *path, lmp_lm_tokens mode)
{
    if (mode == LMP_LM_TOKENS_DEFAULT || mode == LMP_LM_TOKENS_GPT2) return 0;
    cli_error("%s: %s: GPT-2 reads text with its BPE tokenizer: --mode word, char and byte are for n-gram models",
              cmd, path);
    return 1;
}

lmp_status cli_gpt2_load_weights(const char *cmd, const char *path, lmp_gpt2 **out, lmp_error *err)
{
    /* a line on a terminal while the weights are checked: GPT-2 XL's 6 GB take seconds (no line was shown) */
    cli_progress prog;
    cli_progress_start(&prog, cmd, "loading model");
    lmp_status st = lmp_gpt2_load(path, cli_progress_update, &prog, out, err);
    cli_progress_update(&prog, 1.0);
    return st;
}

static int load_gpt2(const char *cmd, const char *path, const cli_lm_opts *o, lmp_lm **out)
{
    lmp_error err = {0};
    if (gpt2_mode_refused(cmd, path, o->mode)) return CLI_USAGE;
    char where[4200] = "";
    lmp_tokenizer *tok = cli_gpt2_load_at(cmd, o->vocab, where, sizeof where);
    if (!tok) return CLI_FAIL; /* cli_gpt2_load said why */
    lmp_gpt2 *g = NULL;
    lmp_status st = cli_gpt2_load_weights(cmd, path, &g, &err);
    if (st) {
        lmp_tokenizer_free(tok);
        cli_error("%s: %s", cmd, err.msg);
        return CLI_FAIL;
    }
    if ((st = lmp_lm_create_gpt2_take(g, tok, (unsigned)o->threads, out, &err))) {
        /* the model's size against the vocabulary's (LMP_EINVAL): both named, and the way out */
        if (st == LMP_EINVAL)
            cli_error("%s: %s: %s (GPT-2 vocabulary: %s; --gpt2-vocab gives the model's own)", cmd, path, err.msg,
                      where);
        else cli_error("%s: %s", cmd, err.msg);
        return CLI_FAIL;
    }
    return note_padding(cmd, path, *out);
}

/* An n-gram model: the token mode is --mode or the one the model records (word without a
 * record); a --mode the record contradicts is a usage error; GPT-2 tokens need the vocabulary. */
static int load_ngram(const char *cmd, const char *path, const cli_lm_opts *o, cli_progress *prog, lmp_lm **out)
{
    lmp_error err = {0};
    lmp_ngram *m = NULL;
    /* Fail early: a --mode the record contradicts, and GPT-2 tokens without their vocabulary, are
     * found from the file's head, before a large ARPA file is parsed (tens of seconds). */
    lmp_ngram_tokens have = LMP_NGRAM_TOKENS_UNKNOWN;
    int peeked = 0;
    lmp_status pst = lmp_ngram_peek_tokens(
        path, o->mode == LMP_LM_TOKENS_DEFAULT ? LMP_NGRAM_TOKENS_UNKNOWN : (lmp_ngram_tokens)o->mode, &have, &peeked,
        &err);
    if (pst) {
        cli_error("%s: %s%s%s", cmd, pst == LMP_EINVAL ? path : "", pst == LMP_EINVAL ? ": " : "", err.msg);
        return pst == LMP_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    /* stays DEFAULT when the record was not peeked at (stdin, pipes, devices): decided after the load */
    lmp_lm_tokens early = o->mode;
    if (early == LMP_LM_TOKENS_DEFAULT && peeked)
        early = have == LMP_NGRAM_TOKENS_UNKNOWN ? LMP_LM_TOKENS_WORD : (lmp_lm_tokens)have;
    lmp_tokenizer *tok = NULL;
    if (o->vocab && early != LMP_LM_TOKENS_DEFAULT && early != LMP_LM_TOKENS_GPT2) {
        cli_error("%s: --gpt2-vocab goes with --mode gpt2 or a GPT-2 model", cmd);
        return CLI_USAGE;
    }
    if (early == LMP_LM_TOKENS_GPT2 && !(tok = cli_gpt2_load(cmd, o->vocab))) return CLI_FAIL;
    if (lmp_ngram_load(path, cli_progress_update, prog, &m, &err)) {
        lmp_tokenizer_free(tok);
        cli_progress_update(prog, 1.0);
        cli_error("%s: %s", cmd, err.msg);
        return CLI_FAIL;
    }
    cli_progress_update(prog, 1.0);
    lmp_lm_tokens mode = o->mode;
    if (mode == LMP_LM_TOKENS_DEFAULT) {
        have = lmp_ngram_get_tokens(m);
        mode = have == LMP_NGRAM_TOKENS_UNKNOWN ? LMP_LM_TOKENS_WORD : (lmp_lm_tokens)have;
    }
    int rc = CLI_USAGE;
    /* again on the loaded model: stdin ("-") was not peeked */
    if (lmp_ngram_check_tokens(m, (lmp_ngram_tokens)mode, &err)) {
        cli_error("%s: %s: %s", cmd, path, err.msg);
    } else if (o->vocab && mode != LMP_LM_TOKENS_GPT2) {
        cli_error("%s: --gpt2-vocab goes with --mode gpt2 or a GPT-2 model", cmd);
    } else if (mode == LMP_LM_TOKENS_GPT2 && !tok && !(tok = cli_gpt2_load(cmd, o->vocab))) {
        rc = CLI_FAIL;
    } else if (lmp_lm_create_ngram_take(m, mode, tok, out, &err)) {
        m = NULL; /* released by the failed call, with tok */
        tok = NULL;
        cli_error("%s: %s", cmd, err.msg);
        rc = CLI_FAIL;
    } else {
        return CLI_OK;
    }
    lmp_tokenizer_free(tok);
    lmp_ngram_free(m);
    return rc;
}

int cli_lm_load(const char *cmd, const char *path, const cli_lm_opts *o, lmp_lm **out)
{
    *out = NULL;
    if (cli_check_input(cmd, path)) return CLI_FAIL;
    lmp_lm_path_kind kind = lmp_lm_probe_path(path);
    if (kind == LMP_LM_PATH_GPT2 || (kind == LMP_LM_PATH_GPT2_VOCAB && o->vocab)) return load_gpt2(cmd, path, o, out);
    cli_progress prog;
    cli_progress_start(&prog, cmd, "loading model");
    if (kind == LMP_LM_PATH_NGRAM) return load_ngram(cmd, path, o, &prog, out);
    /* a GPT-2 folder with its own vocabulary: what is wrong now is in the files (a model smaller than its
     * vocabulary was a usage error here, exit 2, and a data error with the default vocabulary, exit 1) */
    if (gpt2_mode_refused(cmd, path, o->mode)) return CLI_USAGE;
    lmp_lm_load_params p;
    lmp_lm_load_params_init(&p);
    p.tokens = o->mode;
    p.threads = (unsigned)o->threads;
    /* a Hugging Face folder with its tokenizer, the usual GPT-2 folder: its load showed no line */
    p.progress = cli_progress_update;
    p.progress_ctx = &prog;
    lmp_error err = {0};
    lmp_status st = lmp_lm_load(path, &p, out, &err);
    cli_progress_update(&prog, 1.0);
    if (st) {
        cli_error("%s: %s", cmd, err.msg);
        return CLI_FAIL;
    }
    return note_padding(cmd, path, *out);
}

int cli_ngram_load_whole(const char *cmd, const char *path, cli_progress *progress, lmp_ngram **out)
{
    *out = NULL;
    cli_progress own; /* a caller with no phases of its own (prune, filter) gets the loader's line */
    if (!progress) {
        cli_progress_start(&own, cmd, "loading model");
        progress = &own;
    }
    lmp_error err = {0};
    /* ARPA text has no checksums: the loader reads every line of it anyway */
    lmp_status st = strcmp(path, "-") != 0 && lmp_ngram_is_binary_file(path) ? lmp_ngram_verify(path, NULL, NULL, &err)
                                                                             : LMP_OK;
    if (!st) st = lmp_ngram_load(path, cli_progress_update, progress, out, &err);
    /* a model read whole is read to be written on (convert, prune, filter, mix): a quantised trie's
     * values keep the record of their rounding in whatever the tool writes (ngram_tools.h) */
    if (!st) st = lmp_ngram_record_quantisation(*out, &err);
    cli_progress_update(progress, 1.0);
    if (st) {
        lmp_ngram_free(*out);
        *out = NULL;
        cli_error("%s: %s", cmd, err.msg);
        return -1;
    }
    return 0;
}

int cli_ngram_need_probabilities(const char *cmd, const char *path, const lmp_ngram *m, const char *hint)
{
    lmp_error err = {0};
    if (!m || lmp_ngram_check_probabilities(m, NULL, &err) == LMP_OK) return 0;
    cli_error("%s: %s: %s%s", cmd, path, err.msg, hint ? hint : "");
    return -1;
}

/* An n-gram model's tokenizer reads the text from memory under the name "text", so its errors
 * start "text:LINE: "; every caller names the text itself ("kl: test.txt: ", "next: --prompt: "),
 * so the name is dropped: "kl: test.txt: line 1: ...", not "kl: test.txt: text:1: ...". */
static lmp_status text_line_error(lmp_status st, lmp_error *err)
{
    char head[48];
    if (!err || err->line <= 0 || strcmp(err->file, "text") != 0) return st;
    int k = snprintf(head, sizeof head, "text:%ld: ", err->line);
    if (k > 0 && strncmp(err->msg, head, (size_t)k) == 0) {
        char rest[sizeof err->msg];
        snprintf(rest, sizeof rest, "%s", err->msg + k);
        snprintf(err->msg, sizeof err->msg, "line %ld: %s", err->line, rest);
    }
    return st;
}

void cli_note_invalid_utf8(const char *cmd, const char *what, unsigned long long count, long line, long col,
                           const char *hint)
{
    cli_error("%s: note: %s: %llu invalid UTF-8 sequence%s replaced by U+FFFD as the references do (first at line "
              "%ld, byte %ld)%s",
              cmd, what, count, count == 1 ? "" : "s", line, col, hint ? hint : "");
}

/* The maximal invalid subparts of text (each one U+FFFD: lmp_utf8_char), and where the first is. */
static void note_replaced_utf8(const char *cmd, const char *what, const char *text, size_t len)
{
    unsigned long long count = 0;
    long line = 1, at_line = 0, at_col = 0;
    size_t line_start = 0;
    for (size_t i = 0; i < len;) {
        int k = lmp_utf8_char(text + i, len - i);
        if (k < 0 && count++ == 0) {
            at_line = line;
            at_col = (long)(i - line_start) + 1;
        }
        if (text[i] == '\n') {
            line++;
            line_start = i + 1;
        }
        i += (size_t)(k < 0 ? -k : k);
    }
    if (count) cli_note_invalid_utf8(cmd, what, count, at_line, at_col, NULL);
}

lmp_status cli_tokenize(const char *cmd, const char *what, const lmp_lm *lm, const char *text, size_t len,
                        unsigned flags, lmp_token_id **ids, unsigned char **unknown, lmp_lm_span **spans, size_t *n,
                        lmp_error *err)
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
            lmp_lm_info in;
            lmp_lm_get_info(lm, &in);
            if (what && in.tokens == LMP_LM_TOKENS_GPT2) note_replaced_utf8(cmd, what, text, len);
            return LMP_OK;
        }
        free(i);
        free(u);
        free(s);
        if (st != LMP_ERANGE) return text_line_error(st, err);
        cap = *n;
    }
    return lmp_error_set(err, LMP_ERANGE, "tokenize: the token count changed between two calls");
}

const char *cli_token_bytes(const lmp_lm *lm, lmp_token_id id, char *byte, size_t *len)
{
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    const char *w = lmp_lm_token_text(lm, id, len);
    if (!w) return NULL;
    switch (in.tokens) {
    case LMP_LM_TOKENS_GPT2: /* the token's bytes: the text as it was */
        if (in.kind == LMP_LM_NGRAM) { /* an n-gram's word is the token's name ("Ġthe"); </s> is the newline */
            const lmp_tokenizer *tok = lmp_lm_tokenizer(lm);
            size_t bl;
            lmp_token_id t = tok ? lmp_tokenizer_find_name(tok, w, *len) : LMP_TOKEN_NONE;
            const char *b = t != LMP_TOKEN_NONE ? lmp_tokenizer_token_bytes(tok, t, &bl) : NULL;
            if (b) {
                *len = bl;
                return b;
            }
        }
        return w;
    case LMP_LM_TOKENS_CHAR:
    case LMP_LM_TOKENS_BYTE: { /* the text each token stands for (corpus.h: <sp>, <tab>, <0xNN>) */
        unsigned hi, lo;
        if (strcmp(w, "<sp>") == 0) *byte = ' ';
        else if (strcmp(w, "<tab>") == 0) *byte = '\t';
        else if (*len == 6 && strncmp(w, "<0x", 3) == 0 && w[5] == '>' && sscanf(w + 3, "%1x%1x", &hi, &lo) == 2)
            *byte = (char)(hi * 16 + lo);
        else return w;
        *len = 1;
        return byte;
    }
    default:
        return w;
    }
}

void cli_json_token(FILE *f, const lmp_lm *lm, lmp_token_id id)
{
    size_t len = 0, nb = 0;
    char byte;
    const char *w = lmp_lm_token_text(lm, id, &len), *b = cli_token_bytes(lm, id, &byte, &nb);
    fputs("\"token\": ", f);
    cli_json_bytes(f, w ? w : "", w ? len : 0);
    fputs(", \"token_hex\": ", f);
    cli_json_hex(f, b ? b : "", b ? nb : 0);
}

void cli_print_token(FILE *f, const lmp_lm *lm, lmp_token_id id, int first)
{
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    size_t len;
    char byte;
    const char *w = cli_token_bytes(lm, id, &byte, &len);
    if (!w) {
        fprintf(f, "%s<%d>", first ? "" : " ", (int)id);
        return;
    }
    /* words have a space between them; the other kinds of token are the text itself */
    if (!first && in.tokens != LMP_LM_TOKENS_GPT2 && in.tokens != LMP_LM_TOKENS_CHAR &&
        in.tokens != LMP_LM_TOKENS_BYTE)
        fputc(' ', f);
    fwrite(w, 1, len, f);
}

/* ---- sampler and model options: entries of the one table (opt.h) --------------------- */

int cli_sampler_finish(const char *cmd, lmp_sampler_params *prm, int dtype_set)
{
    if (!dtype_set) prm->dtype = prm->conv == LMP_CONV_LLAMA ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
    lmp_error err;
    if (lmp_sampler_params_check(prm, &err) == LMP_OK) return 0;
    cli_error("%s: %s", cmd, err.msg);
    return CLI_USAGE;
}

int cli_lm_window_check(const char *cmd, const char *model, const lmp_lm *lm, size_t window)
{
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    if (in.n_ctx && in.n_ctx < 2) {
        cli_error("%s: %s: a context of %zu token (n_ctx): expected n_ctx >= 2 (a window's first token is context "
                  "only, so a window of one scores nothing)", cmd, model, in.n_ctx);
        return CLI_FAIL;
    }
    if (in.n_ctx && window > in.n_ctx) {
        cli_error("%s: --window: expected at most the context of %s, %zu tokens (n_ctx), got '%zu'", cmd, model,
                  in.n_ctx, window);
        return CLI_USAGE;
    }
    return CLI_OK;
}

int cli_stride_check(const char *cmd, size_t window, size_t stride)
{
    if (stride <= window) return 0;
    cli_error("%s: --stride: expected 1 <= stride <= window (%zu), got '%zu'", cmd, window, stride);
    return -1;
}

int cli_one_model(const char *cmd, const char *pos, const char *opt, const char **model)
{
    if (pos && opt) {
        cli_error("%s: expected one MODEL, got '%s' and --model '%s'", cmd, pos, opt);
        return -1;
    }
    *model = pos ? pos : opt;
    return 0;
}
