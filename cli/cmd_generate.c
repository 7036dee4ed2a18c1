/* `lmprob generate`: sample sentences from an n-gram model with the sampler
 * chain of lmprob/sample.h (temperature, top-k, top-p, min-p; HF or llama.cpp
 * order). Each step scores every word of the vocabulary from the current
 * state (natural logs), so the sampler sees the model's exact distribution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/corpus.h"
#include "lmprob/ngram.h"
#include "lmprob/rng.h"
#include "lmprob/sample.h"

#define LN10 2.30258509299404568402

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob generate MODEL [--temperature T] [--top-k K] [--top-p P] [--min-p M] [--order hf|llama]\n"
            "                       [--seed S] [-n N] [--prompt TEXT] [--max-len L] [--mode word|char|byte] [--json]\n"
            "\n"
            "Sample N sentences (default 1) from the n-gram MODEL (ARPA or binary). Each sentence starts after\n"
            "<s> (and the words of --prompt, which are printed first) and ends at </s> or after L generated\n"
            "words (default 50). The next word is drawn from the model's distribution over the whole\n"
            "vocabulary (<s> excluded) through lmprob's sampler chain:\n"
            "  --temperature T   divide the log-probabilities by T (default 1; 0 = greedy)\n"
            "  --top-k K         keep the K most probable words (default 0 = off)\n"
            "  --top-p P         nucleus: smallest set with mass >= P (default 1 = off)\n"
            "  --min-p M         keep words with p >= M * p_max (default 0 = off)\n"
            "  --order hf|llama  filter order and edge rules of Hugging Face or llama.cpp (default hf)\n"
            "  --seed S          xoshiro256** seed (default %d): the same seed gives the same text\n"
            "  --mode M          tokens as 'lmprob train --mode M' made them: word (default; the prompt is split\n"
            "                    on whitespace, words are printed with spaces), char or byte (the prompt is read\n"
            "                    with lmprob's corpus reader; tokens are printed as the text they stand for:\n"
            "                    <sp> a space, <tab> a tab, <0xNN> the byte NN, with no separator)\n"
            "  --json            one JSON object: per sentence its words (prompt included), the number generated,\n"
            "                    whether it ended with </s>, and the log10 probability of the generated words\n"
            "                    and </s> given <s> and the prompt (under the model, before any filter)\n"
            "\n"
            "example: lmprob generate ptb5.bin --top-k 40 --temperature 0.8 -n 3 --seed 7\n",
            CLI_DEFAULT_SEED);
}

/* One token of the text output: in word mode the word after a space (none
 * before the first); in char and byte modes the text the token stands for
 * (corpus.h: <sp>, <tab>, <0xNN>), with no separator. */
static void print_token(const char *w, int mode, int first)
{
    if (mode == LMP_CORPUS_WORD) {
        printf("%s%s", first ? "" : " ", w);
        return;
    }
    unsigned hi, lo;
    if (strcmp(w, "<sp>") == 0) {
        putchar(' ');
    } else if (strcmp(w, "<tab>") == 0) {
        putchar('\t');
    } else if (strlen(w) == 6 && strncmp(w, "<0x", 3) == 0 && w[5] == '>' &&
               sscanf(w + 3, "%1x%1x", &hi, &lo) == 2) {
        putchar((int)(hi * 16 + lo));
    } else {
        fputs(w, stdout);
    }
}

/* The prompt's token ids: split on whitespace in word mode, through the corpus
 * reader (one line) in char and byte modes. A prompt of L bytes has at most L
 * tokens in any mode. */
static lmp_status prompt_ids(const lmp_ngram *m, const char *prompt, int mode, int32_t **ids, size_t *n,
                             lmp_error *err)
{
    size_t len = prompt ? strlen(prompt) : 0, np = 0;
    int32_t *p = malloc((len + 1) * sizeof *p);
    if (!p) return lmp_error_set(err, LMP_ENOMEM, "out of memory for the prompt");
    lmp_status st = LMP_OK;
    if (mode == LMP_CORPUS_WORD) {
        for (const char *q = prompt; q && *q;) {
            while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r') q++;
            if (!*q) break;
            const char *s = q;
            while (*q && *q != ' ' && *q != '\t' && *q != '\n' && *q != '\r') q++;
            p[np++] = lmp_ngram_vocab_index(m, s, (size_t)(q - s));
        }
    } else if (len) {
        lmp_corpus_params cp = lmp_corpus_params_default();
        cp.mode = (lmp_corpus_mode)mode;
        lmp_corpus *c = NULL;
        const lmp_token *tok = NULL;
        size_t nt = 0;
        st = lmp_corpus_create(prompt, len, "--prompt", &cp, &c, err);
        if (!st) st = lmp_corpus_next_line(c, &tok, &nt, err);
        if (st == LMP_EOF) st = LMP_OK, nt = 0;
        for (size_t k = 0; !st && k < nt; k++) p[np++] = lmp_ngram_vocab_index(m, tok[k].ptr, tok[k].len);
        lmp_corpus_free(c);
    }
    if (st) {
        free(p);
        return st;
    }
    *ids = p;
    *n = np;
    return LMP_OK;
}

int cmd_generate(int argc, char **argv)
{
    lmp_sampler_params prm = lmp_sampler_params_default();
    const char *model = NULL, *prompt = NULL;
    uint64_t seed = CLI_DEFAULT_SEED;
    long nsent = 1, max_len = 50;
    int json = 0, mode = LMP_CORPUS_WORD;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is_help(a)) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (cli_is_opt(a, "--temperature")) {
            if (!(v = cli_optarg(argc, argv, &i, "--temperature")) || cli_parse_double("--temperature", v, &prm.temperature))
                return CLI_USAGE;
        } else if (cli_is_opt(a, "--top-k")) {
            if (!(v = cli_optarg(argc, argv, &i, "--top-k")) || cli_parse_long("--top-k", v, &prm.top_k))
                return CLI_USAGE;
        } else if (cli_is_opt(a, "--top-p")) {
            if (!(v = cli_optarg(argc, argv, &i, "--top-p")) || cli_parse_double("--top-p", v, &prm.top_p))
                return CLI_USAGE;
        } else if (cli_is_opt(a, "--min-p")) {
            if (!(v = cli_optarg(argc, argv, &i, "--min-p")) || cli_parse_double("--min-p", v, &prm.min_p))
                return CLI_USAGE;
        } else if (cli_is_opt(a, "--order")) {
            if (!(v = cli_optarg(argc, argv, &i, "--order"))) return CLI_USAGE;
            if (strcmp(v, "hf") == 0) prm.conv = LMP_CONV_HF;
            else if (strcmp(v, "llama") == 0) prm.conv = LMP_CONV_LLAMA;
            else {
                cli_error("generate: --order: expected 'hf' or 'llama', got '%s'", v);
                return CLI_USAGE;
            }
        } else if (cli_is_opt(a, "--seed")) {
            if (!(v = cli_optarg(argc, argv, &i, "--seed")) || cli_parse_u64("--seed", v, &seed)) return CLI_USAGE;
        } else if (strcmp(a, "-n") == 0 || cli_is_opt(a, "--n")) {
            if (!(v = cli_optarg(argc, argv, &i, a[1] == 'n' ? "-n" : "--n")) || cli_parse_long("-n", v, &nsent))
                return CLI_USAGE;
            if (nsent < 1) {
                cli_error("generate: -n: expected a number of sentences >= 1, got '%s'", v);
                return CLI_USAGE;
            }
        } else if (cli_is_opt(a, "--mode")) {
            if (!(v = cli_optarg(argc, argv, &i, "--mode"))) return CLI_USAGE;
            if (strcmp(v, "word") == 0) mode = LMP_CORPUS_WORD;
            else if (strcmp(v, "char") == 0) mode = LMP_CORPUS_CHAR;
            else if (strcmp(v, "byte") == 0) mode = LMP_CORPUS_BYTE;
            else {
                cli_error("generate: --mode: expected 'word', 'char' or 'byte', got '%s'", v);
                return CLI_USAGE;
            }
        } else if (cli_is_opt(a, "--prompt")) {
            if (!(prompt = cli_optarg(argc, argv, &i, "--prompt"))) return CLI_USAGE;
        } else if (cli_is_opt(a, "--max-len")) {
            if (!(v = cli_optarg(argc, argv, &i, "--max-len")) || cli_parse_long("--max-len", v, &max_len))
                return CLI_USAGE;
            if (max_len < 1 || max_len > 1000000) {
                cli_error("generate: --max-len: expected 1 to 1000000 words, got '%s'", v);
                return CLI_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            cli_error("generate: unknown option '%s' (see lmprob generate --help)", a);
            return CLI_USAGE;
        } else if (model) {
            cli_error("generate: expected one MODEL, got an extra argument '%s'", a);
            return CLI_USAGE;
        } else {
            model = a;
        }
    }
    if (!model) {
        cli_error("generate: expected a MODEL file");
        usage(stderr);
        return CLI_USAGE;
    }
    lmp_error err = {0};
    if (lmp_sampler_params_check(&prm, &err)) {
        cli_error("generate: %s", err.msg);
        return CLI_USAGE;
    }
    lmp_ngram *m = NULL;
    if (lmp_ngram_load(model, NULL, NULL, &m, &err)) {
        cli_error("generate: %s", err.msg);
        return CLI_FAIL;
    }
    size_t V = lmp_ngram_vocab_size(m);
    int32_t bos = lmp_ngram_bos(m), eos = lmp_ngram_eos(m);
    size_t np = 0;
    int32_t *pids = NULL;
    double *logp = malloc(V * sizeof *logp);
    int32_t *hist = malloc(((size_t)max_len + 64) * sizeof *hist);
    lmp_sampler *smp = NULL;
    lmp_rng rng;
    int rc = CLI_FAIL;
    if (!logp || !hist) {
        cli_error("generate: out of memory for a vocabulary of %zu words", V);
        goto done;
    }
    if (prompt_ids(m, prompt, mode, &pids, &np, &err)) {
        cli_error("generate: %s", err.msg);
        goto done;
    }
    if (np > 64) { /* the history holds the prompt and up to max_len generated words */
        int32_t *q = realloc(hist, ((size_t)max_len + np) * sizeof *q);
        if (!q) {
            cli_error("generate: out of memory for a prompt of %zu words", np);
            goto done;
        }
        hist = q;
    }
    if (lmp_sampler_create(&prm, V, &smp, &err) || lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, seed, &err)) {
        cli_error("generate: %s", err.msg);
        goto done;
    }
    if (json) {
        fputs("{\"model\": ", stdout);
        cli_json_string(stdout, model);
        printf(", \"seed\": %llu, \"sentences\": [", (unsigned long long)seed);
    }
    for (long s = 0; s < nsent; s++) {
        lmp_ngram_state st, nx;
        lmp_ngram_state_begin(m, &st);
        double total = 0;
        size_t nh = 0;
        for (size_t i = 0; i < np; i++) {
            lmp_ngram_score(m, &st, pids[i], &nx, NULL);
            st = nx;
            hist[nh++] = pids[i];
        }
        if (json) printf("%s\n  {\"words\": [", s ? "," : "");
        int first = 1;
        for (size_t i = 0; i < np; i++) {
            const char *w = lmp_ngram_word(m, pids[i]);
            if (json) {
                fputs(first ? "" : ", ", stdout);
                cli_json_string(stdout, w);
            } else {
                print_token(w, mode, first);
            }
            first = 0;
        }
        long gen = 0;
        int ended = 0;
        while (gen < max_len) {
            for (size_t v = 0; v < V; v++) logp[v] = lmp_ngram_score(m, &st, (int32_t)v, &nx, NULL) * LN10;
            if (bos >= 0) logp[bos] = -INFINITY; /* context only, never generated */
            int32_t tok;
            if (lmp_sampler_sample(smp, logp, V, hist, nh, &rng, &tok, &err)) {
                if (json) fputs("]}]}\n", stdout);
                else fputc('\n', stdout);
                cli_error("generate: %s", err.msg);
                goto done;
            }
            total += lmp_ngram_score(m, &st, tok, &nx, NULL);
            st = nx;
            if (tok == eos) {
                ended = 1;
                break;
            }
            hist[nh++] = tok;
            gen++;
            const char *w = lmp_ngram_word(m, tok);
            if (json) {
                fputs(first ? "" : ", ", stdout);
                cli_json_string(stdout, w);
            } else {
                print_token(w, mode, first);
            }
            first = 0;
        }
        if (json) {
            printf("], \"generated\": %ld, \"ended\": %s, \"log10_prob\": ", gen, ended ? "true" : "false");
            cli_json_double(stdout, total);
            fputc('}', stdout);
        } else {
            fputc('\n', stdout);
        }
    }
    if (json) puts("\n]}");
    rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
done:
    lmp_sampler_free(smp);
    free(pids);
    free(logp);
    free(hist);
    lmp_ngram_free(m);
    return rc;
}
