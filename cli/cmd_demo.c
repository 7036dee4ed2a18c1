/* lmprob demo: the pieces of `make demo` (scripts/demo.sh) that need the
 * library rather than the shell.
 *
 *   lmprob demo uniform --output U.arpa TRAIN   a uniform unigram model over TRAIN's words + </s>
 *   lmprob demo report --dir OUT [--seed S]     tables, next-token analyses, pictures, index.html
 *
 * `report` reads what demo.sh wrote into OUT (models.tsv, ppl/<name>.test.json
 * from `lmprob ppl --json`, samples.txt, best_k, data/) and never re-derives a
 * number the table shows: perplexities, OOV rates and bits come from the ppl
 * JSON files, training times from the manifest, sizes from the model files. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/json.h"
#include "lmprob/dist.h"
#include "chapter/experiment.h"
#include "lmprob/info.h"
#include "lmprob/ngram.h"
#include "lmprob/sample.h"
#include "lmprob/rng.h"
#include "lmprob/stats.h"
#include "lmprob/vocab.h"
#include "plot.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* ---- demo uniform ---------------------------------------------------------------------- */

static void uniform_usage(FILE *f)
{
    fputs("usage: lmprob demo uniform --output U.arpa TRAIN\n"
          "Writes a unigram ARPA model giving every word of TRAIN, <unk> and </s> the same probability\n"
          "1/V (<s> is context only: -99). Its perplexity on any text is V.\n"
          "\n"
          "example: lmprob demo uniform --output uniform.arpa train.txt\n",
          f);
}

static int demo_uniform(int argc, char **argv)
{
    const char *out = NULL, *train = NULL;
    const cli_opt table[] = {CLI_OPT_OUTPUT(&out)};
    int prc = cli_parse("demo uniform", argc, argv, table, CLI_NOPTS(table), &train, 1, NULL, uniform_usage);
    if (prc) return prc;
    if (!out || !train) {
        cli_error("demo uniform: expected --output U.arpa and a TRAIN file");
        return CLI_USAGE;
    }
    /* ARPA text only, named so: .gz, .xz, .bin and .trie, which train, prune, filter and mix honour, were
     * written as plain ARPA under that name (it loaded, the reader sniffing content, so the name lied) */
    const size_t on = strlen(out);
    const int zipped = on > 3 && (strcmp(out + on - 3, ".gz") == 0 || strcmp(out + on - 3, ".xz") == 0);
    if (cli_model_out_format(out) != 0 || zipped) {
        cli_error("demo uniform: --output %s: the uniform model is written as plain ARPA text: expected a name "
                  "without .gz, .xz, .bin, .trie or another compression's suffix (lmprob model convert U.arpa OUT "
                  "makes the binary and compressed forms)",
                  out);
        return CLI_USAGE;
    }
    if (cli_check_input("demo uniform", train)) return CLI_FAIL;
    if ((prc = cli_check_output_from("demo uniform", out, &train, 1))) return prc;
    /* The words of lmprob train, read by its reader (lmp_corpus: word mode, gzip and xz, UTF-8 checked, lines
     * bounded). getline and a split of our own read a folder as an empty text (exit 0, a model of <unk> and
     * </s>), compressed bytes as words, and invalid UTF-8 that lmprob train refuses. <s> and </s> in the text
     * are left out, as before (they are the model's markers). */
    lmp_corpus_params cp;
    lmp_corpus_params_init(&cp);
    cp.skip_markers = 1;
    lmp_corpus *c = NULL;
    lmp_error rerr;
    lmp_status rst = lmp_corpus_load(train, &cp, &c, &rerr);
    /* the distinct words in the library's one string table (lmp_vocab: <unk>, <s> and </s> are in it already) */
    lmp_vocab *vocab = NULL;
    lmp_error verr;
    lmp_status vst = rst ? LMP_OK : lmp_vocab_create(&vocab, &verr);
    const lmp_token *tok;
    size_t ntok;
    while (!rst && !vst && !(rst = lmp_corpus_next_line(c, &tok, &ntok, &rerr)))
        for (size_t i = 0; i < ntok && !vst; i++) {
            lmp_token_id id;
            vst = lmp_vocab_add(vocab, tok[i].ptr, tok[i].len, &id, &verr);
        }
    lmp_corpus_free(c);
    if (rst != LMP_EOF || vst) {
        lmp_vocab_free(vocab);
        return rst != LMP_EOF ? cli_fail_status("demo uniform", rst, &rerr) : cli_fail_status("demo uniform", vst, &verr);
    }
    /* every word but <s> (context only), sorted */
    const size_t V = lmp_vocab_size(vocab);
    if (V <= 3) { /* <unk>, <s>, </s>: the text had no word (as train's "empty corpus") */
        lmp_vocab_free(vocab);
        cli_error("demo uniform: %s: no words: expected a text of at least one word (a uniform model over none "
                  "would give </s> and <unk> one half each)",
                  train);
        return CLI_FAIL;
    }
    const char **words = malloc(V * sizeof *words);
    if (!words) {
        lmp_vocab_free(vocab);
        return cli_fail_status("demo uniform", LMP_ENOMEM, NULL);
    }
    size_t k = 0;
    for (size_t i = 0; i < V; i++)
        if (i != LMP_VOCAB_BOS) words[k++] = lmp_vocab_word(vocab, (lmp_token_id)i, NULL);
    qsort(words, k, sizeof *words, cmp_str);
    double lp = -log10((double)k);
    lmp_atomic_file af;
    lmp_error err;
    lmp_status st = lmp_atomic_open(&af, out, &err);
    if (!st) {
        int slot = cli_output_watch(af.tmp);
        fprintf(af.fp, "\\data\\\nngram 1=%zu\n\n\\1-grams:\n-99\t<s>\n", k + 1);
        for (size_t i = 0; i < k; i++) fprintf(af.fp, "%.7f\t%s\n", lp, words[i]);
        fprintf(af.fp, "\n\\end\\\n");
        st = lmp_atomic_commit(&af, &err);
        cli_output_end(slot);
    }
    free(words);
    lmp_vocab_free(vocab);
    if (st) return cli_fail_status("demo uniform", st, &err);
    return CLI_OK;
}

/* ---- report: the manifest and the ppl JSON files ---------------------------------------- */

#define MAX_MODELS 32
/* A path under --dir: any folder path (PATH_MAX, 4096 bytes) and the longest name we add. The buffers were
 * 2048 bytes, and the manifest's model paths 1024: a longer --dir was cut short silently (the table's sizes
 * became "-", then the 5-gram was not found under the cut name). */
enum { DEMO_PATH = 4096 + 64 };

typedef struct model_row {
    char name[32], label[96], est[16], k[24], path[4096];
    int order;
    double train_s;
    double ppl, ppl_excl, oov, tokens, sentences, log10_prob, bits_token, bits_byte;
    double size_bytes;
    int have_ppl;
} model_row;

static double jnum(const lmp_json_value *o, const char *key)
{
    const lmp_json_value *v = lmp_json_get(o, key);
    if (!v) return NAN;
    if (v->type == LMP_JSON_NUMBER) return v->num;
    if (v->type == LMP_JSON_STRING) return strcmp(v->str, "inf") == 0 ? INFINITY : strcmp(v->str, "-inf") == 0 ? -INFINITY : NAN;
    return NAN;
}

static int load_ppl(const char *dir, model_row *m)
{
    char path[DEMO_PATH];
    snprintf(path, sizeof path, "%s/ppl/%s.test.json", dir, m->name);
    char *buf;
    size_t len;
    lmp_error jerr;
    if (lmp_read_file(path, 0, &buf, &len, &jerr)) {
        cli_error("demo report: %s", jerr.msg);
        return -1;
    }
    lmp_json_value *v;
    lmp_status jst = lmp_json_parse(buf, len, NULL, &v, &jerr);
    free(buf);
    if (jst || v->type != LMP_JSON_OBJECT) {
        cli_error("demo report: %s: %s", path, jst ? jerr.msg : "expected a JSON object");
        lmp_json_free(v);
        return -1;
    }
    m->ppl = jnum(v, "perplexity");
    m->ppl_excl = jnum(v, "perplexity_excl_oov");
    m->oov = jnum(v, "oov");
    m->tokens = jnum(v, "tokens");
    m->sentences = jnum(v, "sentences");
    m->log10_prob = jnum(v, "log10_prob");
    m->bits_token = jnum(v, "bits_per_token");
    m->bits_byte = jnum(v, "bits_per_byte");
    lmp_json_free(v);
    if (isnan(m->ppl) || isnan(m->tokens)) {
        cli_error("demo report: %s: expected the keys perplexity and tokens", path);
        return -1;
    }
    m->have_ppl = 1;
    return 0;
}

static int load_manifest(const char *dir, model_row *rows, size_t *n)
{
    char path[DEMO_PATH];
    snprintf(path, sizeof path, "%s/models.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        cli_error("demo report: %s: cannot read: %s (run scripts/demo.sh)", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    long ln = 0;
    int rc = 0;
    *n = 0;
    while (getline(&line, &cap, f) > 0) {
        ln++;
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0]) continue;
        if (*n == MAX_MODELS) {
            cli_error("demo report: %s: more than %d models", path, MAX_MODELS);
            rc = -1;
            break;
        }
        model_row *m = &rows[*n];
        memset(m, 0, sizeof *m);
        char *field[7];
        int nf = 0;
        char *p = line;
        while (nf < 7) {
            field[nf++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = '\0';
            p = tab + 1;
        }
        if (nf != 7) {
            cli_error("demo report: %s:%ld: expected 7 tab-separated fields, got %d", path, ln, nf);
            rc = -1;
            break;
        }
        if (strlen(field[0]) >= sizeof m->name || strlen(field[5]) >= sizeof m->path) {
            cli_error("demo report: %s:%ld: a model name of %zu bytes and a path of %zu: expected at most %zu and %zu",
                      path, ln, strlen(field[0]), strlen(field[5]), sizeof m->name - 1, sizeof m->path - 1);
            rc = -1;
            break;
        }
        snprintf(m->name, sizeof m->name, "%s", field[0]);
        snprintf(m->label, sizeof m->label, "%s", field[1]);
        m->order = atoi(field[2]);
        snprintf(m->est, sizeof m->est, "%s", field[3]);
        snprintf(m->k, sizeof m->k, "%s", field[4]);
        snprintf(m->path, sizeof m->path, "%s", field[5]);
        m->train_s = strtod(field[6], NULL);
        struct stat sb;
        m->size_bytes = stat(m->path, &sb) == 0 ? (double)sb.st_size : NAN;
        if (load_ppl(dir, m)) {
            rc = -1;
            break;
        }
        (*n)++;
    }
    free(line);
    fclose(f);
    return rc;
}

static const model_row *find_model(const model_row *rows, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].name, name) == 0) return &rows[i];
    return NULL;
}

static const char *table_models[] = {"uniform", "mle1", "add1", "addk2", "kn3", "mkn4", "mkn5"};
#define NTABLE (sizeof table_models / sizeof table_models[0])

static void fmt_size(char *b, size_t len, double bytes)
{
    if (isnan(bytes)) snprintf(b, len, "-");
    else if (bytes >= 1e6) snprintf(b, len, "%.1f MB", bytes / 1e6);
    else snprintf(b, len, "%.0f kB", bytes / 1e3);
}

/* , "key": value (a number, or "nan"/"inf" as cli_json_double writes them) */
static void json_member(FILE *o, const char *key, double v)
{
    fprintf(o, ", \"%s\": ", key);
    cli_json_double(o, v);
}

/* One model's row as a JSON object (table.json and demo report --json). */
static void json_model(FILE *o, const model_row *m)
{
    fprintf(o, "{\"name\": ");
    cli_json_string(o, m->name);
    fprintf(o, ", \"label\": ");
    cli_json_string(o, m->label);
    fprintf(o, ", \"order\": %d, \"estimator\": ", m->order);
    cli_json_string(o, m->est);
    fprintf(o, ", \"k\": ");
    if (strcmp(m->k, "-") == 0) fprintf(o, "null");
    else cli_json_double(o, strtod(m->k, NULL));
    json_member(o, "perplexity", m->ppl);
    json_member(o, "perplexity_excl_oov", m->ppl_excl);
    json_member(o, "bits_per_token", m->bits_token);
    json_member(o, "bits_per_byte", m->bits_byte);
    fprintf(o, ", \"oov\": %.0f, \"tokens\": %.0f", m->oov, m->tokens);
    json_member(o, "oov_rate", m->oov / m->tokens);
    json_member(o, "train_seconds", m->train_s);
    json_member(o, "model_bytes", m->size_bytes);
    fprintf(o, ", \"model\": ");
    cli_json_string(o, m->path);
    fprintf(o, "}");
}

/* The table's models as a JSON list, one a line. */
static void json_models(FILE *o, const model_row *rows, size_t n)
{
    fprintf(o, "[");
    int first = 1;
    for (size_t t = 0; t < NTABLE; t++) {
        const model_row *m = find_model(rows, n, table_models[t]);
        if (!m) continue;
        fprintf(o, "%s\n  ", first ? "" : ",");
        json_model(o, m);
        first = 0;
    }
    fprintf(o, "\n]");
}

/* The perplexity table as text (fixed width), Markdown and JSON. */
static int write_tables(const char *dir, const model_row *rows, size_t n, FILE *echo)
{
    char path[DEMO_PATH];
    const char *fmts[3] = {"txt", "md", "json"};
    for (int f = 0; f < 3; f++) {
        snprintf(path, sizeof path, "%s/table.%s", dir, fmts[f]);
        lmp_atomic_file af;
        lmp_error err;
        lmp_status st = lmp_atomic_open(&af, path, &err);
        if (st) return cli_fail_status("demo report", st, &err);
        int slot = cli_output_watch(af.tmp);
        FILE *o = af.fp;
        if (f == 0)
            fprintf(o, "%-28s %11s %11s %8s %8s %7s %9s %9s\n", "model", "perplexity", "ppl excl", "bits/tok",
                    "bits/byte", "OOV %", "train s", "size");
        else if (f == 1)
            fprintf(o, "| model | perplexity | ppl excl. OOV | bits/token | bits/byte | OOV rate | training time | "
                       "model size |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        else {
            fprintf(o, "{\"models\": ");
            json_models(o, rows, n);
            fprintf(o, "}\n");
        }
        for (size_t t = 0; f < 2 && t < NTABLE; t++) {
            const model_row *m = find_model(rows, n, table_models[t]);
            if (!m) continue;
            double oov_rate = m->oov / m->tokens;
            char size[32];
            fmt_size(size, sizeof size, m->size_bytes);
            if (f == 0)
                fprintf(o, "%-28s %11.2f %11.2f %8.3f %9.3f %7.2f %9.2f %9s\n", m->label, m->ppl, m->ppl_excl,
                        m->bits_token, m->bits_byte, 100 * oov_rate, m->train_s, size);
            else
                fprintf(o, "| %s | %.2f | %.2f | %.3f | %.3f | %.2f %% | %.2f s | %s |\n", m->label, m->ppl,
                        m->ppl_excl, m->bits_token, m->bits_byte, 100 * oov_rate, m->train_s, size);
        }
        st = lmp_atomic_commit(&af, &err);
        cli_output_end(slot);
        if (st) return cli_fail_status("demo report", st, &err);
        if (f == 0 && echo) {
            char *buf;
            size_t len;
            if (lmp_read_file(path, 0, &buf, &len, NULL) == LMP_OK) {
                fputs(buf, echo);
                free(buf);
            }
        }
    }
    return CLI_OK;
}

/* ---- pictures that need no model ------------------------------------------------------- */

static int plot_fail(const char *msg)
{
    cli_error("demo report: %s", msg);
    return CLI_FAIL;
}

static int picture_orders(const char *dir, const model_row *rows, size_t n)
{
    static const char *ests[] = {"addk", "kn", "mkn"};
    static const char *labels[] = {"add-k (k tuned on valid)", "Kneser-Ney", "modified Kneser-Ney"};
    double x[3][5], y[3][5];
    plot_series s[3];
    size_t ns = 0;
    for (int e = 0; e < 3; e++) {
        for (int o = 1; o <= 5; o++) {
            char name[32];
            snprintf(name, sizeof name, "%s%d", ests[e], o);
            const model_row *m = find_model(rows, n, name);
            x[e][o - 1] = o;
            y[e][o - 1] = m ? m->ppl : NAN;
        }
        s[ns++] = (plot_series){.label = labels[e], .x = x[e], .y = y[e], .n = 5, .kind = PLOT_LINEPOINTS};
    }
    /* the uniform model (perplexity = vocabulary size) would squash the axis: it goes in the title */
    const model_row *u = find_model(rows, n, "uniform");
    char title[160];
    if (u) snprintf(title, sizeof title, "Test perplexity vs n-gram order (uniform model: %.0f, off the chart)", u->ppl);
    else snprintf(title, sizeof title, "Test perplexity vs n-gram order");
    plot_spec p = plot_spec_default();
    p.title = title;
    p.xlabel = "order n";
    p.x_integers = 1;
    p.ylabel = "test perplexity";
    p.series = s;
    p.nseries = ns;
    char path[DEMO_PATH], msg[512];
    snprintf(path, sizeof path, "%s/ppl_vs_order.png", dir);
    return plot_png(&p, path, msg, sizeof msg) ? plot_fail(msg) : CLI_OK;
}

static int picture_clt(const char *dir, uint64_t seed, FILE *html)
{
    enum { NE = 10000, NS = 30, NB = 60 };
    lmp_rng r;
    lmp_error err;
    lmp_status st = lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, seed, &err);
    if (st) return cli_fail_status("demo report", st, &err);
    double *sums = malloc(NE * sizeof *sums);
    if (!sums) return cli_fail_status("demo report", LMP_ENOMEM, NULL);
    for (int i = 0; i < NE; i++) {
        double s = 0;
        for (int j = 0; j < NS; j++) s += lmp_uniform_sample(&r, 0, 1);
        sums[i] = s;
    }
    double mu = NS / 2.0, sd = sqrt(NS / 12.0);
    double cx[NB], cy[NB], gx[200], gy[200];
    double w = plot_histogram(sums, NE, mu - 4 * sd, mu + 4 * sd, NB, 1, cx, cy);
    for (int i = 0; i < 200; i++) {
        gx[i] = mu - 4 * sd + 8 * sd * i / 199.0;
        gy[i] = lmp_normal_pdf(gx[i], mu, sd);
    }
    plot_series s[2] = {
        {.label = "sums of 30 U(0,1), 10^4 samples (density)", .x = cx, .y = cy, .n = NB, .kind = PLOT_BARS,
         .bar_width = w, .alpha = 0.55},
        {.label = "N(15, 30/12) density", .x = gx, .y = gy, .n = 200, .kind = PLOT_LINE, .color = 0xd62728},
    };
    plot_spec p = plot_spec_default();
    p.title = "Central limit theorem: sum of 30 uniforms vs the Gaussian";
    p.xlabel = "sum";
    p.ylabel = "density";
    p.series = s;
    p.nseries = 2;
    char path[DEMO_PATH], msg[512];
    snprintf(path, sizeof path, "%s/clt.png", dir);
    if (plot_png(&p, path, msg, sizeof msg)) {
        free(sums);
        return plot_fail(msg);
    }
    if (html) {
        lmp_test_result tr;
        double m = 0;
        for (int i = 0; i < NE; i++) m += sums[i];
        m /= NE;
        fprintf(html, "<p>CLT sample (numpy-legacy seed %llu): mean %.4f (theory 15), ", (unsigned long long)seed, m);
        if (lmp_stats_normaltest(sums, NE, &tr, &err) == LMP_OK)
            fprintf(html, "D'Agostino-Pearson K&sup2; = %.3f, p = %.3f.</p>\n", tr.statistic, tr.pvalue);
        else
            fprintf(html, "normaltest failed: %s.</p>\n", err.msg);
    }
    free(sums);
    return CLI_OK;
}

static int picture_biasvar(const char *dir, uint64_t seed, FILE *html)
{
    ch_exp_biasvar_params prm = ch_exp_biasvar_defaults();
    static const int degs[] = {1, 2, 3, 4, 5, 6, 7, 8};
    prm.n_degrees = sizeof degs / sizeof degs[0];
    for (size_t i = 0; i < prm.n_degrees; i++) prm.degrees[i] = degs[i];
    lmp_rng r;
    lmp_error err;
    lmp_status st = lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, seed, &err);
    ch_exp_biasvar_result res;
    if (!st) st = ch_exp_biasvar(&r, &prm, &res, &err);
    if (st) return cli_fail_status("demo report", st, &err);
    double x[CH_EXP_BIASVAR_MAX_DEGREES], b[CH_EXP_BIASVAR_MAX_DEGREES], v[CH_EXP_BIASVAR_MAX_DEGREES],
        m[CH_EXP_BIASVAR_MAX_DEGREES], noise[2] = {prm.sigma * prm.sigma, prm.sigma * prm.sigma}, nx[2];
    for (size_t i = 0; i < res.rows; i++) {
        x[i] = res.row[i].degree;
        b[i] = res.row[i].grid_bias2;
        v[i] = res.row[i].grid_var;
        m[i] = res.row[i].grid_mse;
    }
    nx[0] = x[0];
    nx[1] = x[res.rows - 1];
    plot_series s[4] = {
        {.label = "bias^2", .x = x, .y = b, .n = res.rows, .kind = PLOT_LINEPOINTS},
        {.label = "variance", .x = x, .y = v, .n = res.rows, .kind = PLOT_LINEPOINTS},
        {.label = "expected MSE = bias^2 + variance + sigma^2", .x = x, .y = m, .n = res.rows, .kind = PLOT_LINEPOINTS},
        {.label = "noise sigma^2 = 0.09", .x = nx, .y = noise, .n = 2, .kind = PLOT_LINE, .dashed = 1, .color = 0x7f7f7f},
    };
    plot_spec p = plot_spec_default();
    p.title = "Bias-variance: polynomial fits to sin(2 pi x) + N(0, 0.3^2), 20 points, 200 data sets";
    p.xlabel = "polynomial degree";
    p.ylabel = "averaged over x in [0.05, 0.95] (log scale)";
    p.logy = 1;
    p.series = s;
    p.nseries = 4;
    p.legend_left = 1;
    char path[DEMO_PATH], msg[512];
    snprintf(path, sizeof path, "%s/bias_variance.png", dir);
    if (plot_png(&p, path, msg, sizeof msg)) return plot_fail(msg);
    if (html) {
        fprintf(html, "<table><tr><th>degree</th><th>bias&sup2; (grid)</th><th>variance (grid)</th><th>MSE (grid)</th>"
                      "<th>bias&sup2; at x=0.5</th><th>variance at x=0.5</th></tr>\n");
        for (size_t i = 0; i < res.rows; i++)
            fprintf(html, "<tr><td>%d</td><td>%.4f</td><td>%.4g</td><td>%.4g</td><td>%.5f</td><td>%.4f</td></tr>\n",
                    res.row[i].degree, res.row[i].grid_bias2, res.row[i].grid_var, res.row[i].grid_mse,
                    res.row[i].bias2, res.row[i].var);
        fprintf(html, "</table>\n");
    }
    return CLI_OK;
}

/* ---- report: HTML ------------------------------------------------------------------------ */

static void html_escape(FILE *o, const char *s)
{
    for (; *s; s++) {
        if (*s == '<') fputs("&lt;", o);
        else if (*s == '>') fputs("&gt;", o);
        else if (*s == '&') fputs("&amp;", o);
        else fputc(*s, o);
    }
}

static void html_file(FILE *o, const char *path)
{
    char *buf;
    size_t len;
    if (lmp_read_file(path, 0, &buf, &len, NULL)) {
        fprintf(o, "(missing: ");
        html_escape(o, path);
        fprintf(o, ")");
        return;
    }
    html_escape(o, buf);
    free(buf);
}

static void html_table(FILE *o, const model_row *rows, size_t n)
{
    fprintf(o, "<table>\n<tr><th>model</th><th>perplexity</th><th>ppl excl. OOV</th><th>bits/token</th>"
               "<th>bits/byte</th><th>OOV rate</th><th>training time</th><th>model size</th></tr>\n");
    for (size_t t = 0; t < NTABLE; t++) {
        const model_row *m = find_model(rows, n, table_models[t]);
        if (!m) continue;
        char size[32];
        fmt_size(size, sizeof size, m->size_bytes);
        fprintf(o, "<tr><td>");
        html_escape(o, m->label);
        fprintf(o, "</td><td>%.2f</td><td>%.2f</td><td>%.3f</td><td>%.3f</td><td>%.2f %%</td><td>%.2f s</td>"
                   "<td>%s</td></tr>\n",
                m->ppl, m->ppl_excl, m->bits_token, m->bits_byte, 100 * m->oov / m->tokens, m->train_s, size);
    }
    fprintf(o, "</table>\n");
}

/* ---- report: the next-token distribution of the largest model -------------------------- */

typedef struct nt_ctx {
    lmp_lm *lm;
    lmp_lm_ctx *ctx;    /* the sequence being read: <s> and the words so far */
    lmp_sampler *top_p; /* top-p 0.9, HF convention */
    double *lp, *p, *pt;
    size_t V;
} nt_ctx;

/* Longest line the per-position pass reads (tokens); a line beyond it is cut. */
#define NT_MAX_TOKENS ((size_t)1 << 16)

static int nt_open(nt_ctx *t, const char *path)
{
    memset(t, 0, sizeof *t);
    lmp_error err;
    lmp_status st = lmp_lm_load(path, NULL, &t->lm, &err);
    if (!st) st = lmp_lm_ctx_create(t->lm, NT_MAX_TOKENS, &t->ctx, &err);
    if (st) return cli_fail_status("demo report", st, &err);
    t->V = lmp_lm_vocab_size(t->lm);
    lmp_sampler_params prm;
    lmp_sampler_params_init(&prm);
    prm.top_p = 0.9;
    st = lmp_sampler_create(&prm, t->V, &t->top_p, &err);
    t->lp = malloc(t->V * sizeof *t->lp);
    t->p = malloc(t->V * sizeof *t->p);
    t->pt = malloc(t->V * sizeof *t->pt);
    if (st || !t->lp || !t->p || !t->pt) return st ? cli_fail_status("demo report", st, &err) : cli_fail_status("demo report", LMP_ENOMEM, NULL);
    return CLI_OK;
}

static void nt_close(nt_ctx *t)
{
    lmp_lm_ctx_free(t->ctx);
    lmp_lm_free(t->lm);
    lmp_sampler_free(t->top_p);
    free(t->lp);
    free(t->p);
    free(t->pt);
    memset(t, 0, sizeof *t);
}

/* Distribution after the context: t->lp (natural logs), t->p (probabilities), its entropy (nats) and
 * the size of the p = 0.9 nucleus. */
static int nt_dist(nt_ctx *t, double *entropy, size_t *nucleus)
{
    lmp_error err;
    lmp_status st = lmp_lm_ctx_next_logprobs(t->ctx, t->lp, &err);
    if (!st) st = lmp_softmax(t->lp, t->V, t->p, &err);
    if (!st) st = lmp_sampler_apply(t->top_p, t->lp, t->V, NULL, 0, &err);
    if (st) return cli_fail_status("demo report", st, &err);
    *entropy = lmp_entropy(t->p, t->V, LMP_BASE_E);
    *nucleus = lmp_sampler_kept(t->top_p).n;
    return CLI_OK;
}

/* The context "<s> w1 w2 ..." (words not in the vocabulary read as <unk>). */
static int nt_prompt(nt_ctx *t, const char *prompt)
{
    lmp_lm_info in;
    lmp_lm_get_info(t->lm, &in);
    lmp_token_id ids[64];
    size_t n = 0;
    lmp_error err;
    lmp_status st = lmp_lm_ctx_rewind(t->ctx, 0, &err);
    if (!st && in.bos >= 0) st = lmp_lm_ctx_push(t->ctx, &in.bos, 1, &err);
    if (!st) st = lmp_lm_tokenize(t->lm, prompt, strlen(prompt), 0, ids, NULL, NULL, 64, &n, &err);
    if (!st) st = lmp_lm_ctx_push(t->ctx, ids, n, &err);
    return st ? cli_fail_status("demo report", st, &err) : CLI_OK;
}

typedef struct rank_item {
    double p;
    lmp_token_id id;
} rank_item;

static int cmp_rank(const void *a, const void *b)
{
    const rank_item *x = a, *y = b;
    if (x->p != y->p) return x->p < y->p ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static const char *prompts[] = {"the", "he said that", "in the united states", "it was a", "there is no"};
#define NPROMPTS (sizeof prompts / sizeof prompts[0])

/* echo: where the analyses are summed up (stdout), as text, or with json as the JSON members
 * "prompts" and "test" of demo report --json's object */
static int analyse_prompts(nt_ctx *t, const char *dir, FILE *html, FILE *echo, int json)
{
    fprintf(html, "<table>\n<tr><th>context</th><th>entropy (nats)</th><th>entropy (bits)</th>"
                  "<th>nucleus size (p=0.9)</th><th>most likely next tokens</th></tr>\n");
    if (json) fprintf(echo, ", \"prompts\": [");
    else fprintf(echo, "next-token distribution of %s after a few prompts:\n", "the 5-gram");
    rank_item *rk = malloc(t->V * sizeof *rk);
    if (!rk) return cli_fail_status("demo report", LMP_ENOMEM, NULL);
    for (size_t k = 0; k < NPROMPTS; k++) {
        double H;
        size_t nuc;
        if (nt_prompt(t, prompts[k]) || nt_dist(t, &H, &nuc)) {
            free(rk);
            return CLI_FAIL;
        }
        for (size_t i = 0; i < t->V; i++) rk[i] = (rank_item){t->p[i], (lmp_token_id)i};
        qsort(rk, t->V, sizeof *rk, cmp_rank);
        fprintf(html, "<tr><td>&lt;s&gt; ");
        html_escape(html, prompts[k]);
        fprintf(html, "</td><td>%.3f</td><td>%.3f</td><td>%zu</td><td>", H, H / log(2.0), nuc);
        if (json) {
            fprintf(echo, "%s\n  {\"prompt\": ", k ? "," : "");
            cli_json_string(echo, prompts[k]);
            json_member(echo, "entropy", H);
            json_member(echo, "entropy_bits", H / log(2.0));
            fprintf(echo, ", \"nucleus_0.9\": %zu, \"top\": [", nuc);
        } else {
            fprintf(echo, "  <s> %-22s H = %6.3f nats (%6.3f bits)  nucleus(0.9) = %5zu  top:", prompts[k], H,
                    H / log(2.0), nuc);
        }
        for (int j = 0; j < 5; j++) {
            const char *w = lmp_lm_token_text(t->lm, rk[j].id, NULL);
            fprintf(html, "%s", j ? ", " : "");
            html_escape(html, w ? w : "?");
            fprintf(html, " %.3f", rk[j].p);
            if (json) {
                fprintf(echo, "%s{\"token\": ", j ? ", " : "");
                cli_json_string(echo, w ? w : "?");
                fprintf(echo, ", \"p\": ");
                cli_json_double(echo, rk[j].p);
                fprintf(echo, "}");
            } else {
                fprintf(echo, " %s %.3f", w ? w : "?", rk[j].p);
            }
        }
        fprintf(html, "</td></tr>\n");
        fputs(json ? "]}" : "\n", echo);
    }
    if (json) fputs("\n]", echo);
    fprintf(html, "</table>\n");

    /* The picture: the distribution after prompts[1] at three temperatures, with the cut-offs. */
    double H;
    size_t nuc;
    if (nt_prompt(t, prompts[1]) || nt_dist(t, &H, &nuc)) {
        free(rk);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < t->V; i++) rk[i] = (rank_item){t->p[i], (lmp_token_id)i};
    qsort(rk, t->V, sizeof *rk, cmp_rank);
    static const double temps[3] = {0.5, 1.0, 1.5};
    size_t nr = t->V; /* every rank, on a log axis, so every cut-off is on the chart */
    double *xs = malloc(nr * sizeof *xs), *ys = malloc(3 * nr * sizeof *ys);
    if (!xs || !ys) {
        free(xs);
        free(ys);
        free(rk);
        return cli_fail_status("demo report", LMP_ENOMEM, NULL);
    }
    char labels[3][96], vlab[3][64];
    plot_series s[3];
    plot_vline v[4];
    size_t nv = 0;
    static const unsigned colors[3] = {0x1f77b4, 0xd62728, 0x2ca02c};
    for (int k = 0; k < 3; k++) {
        lmp_error err;
        lmp_status st = lmp_softmax_temperature(t->lp, t->V, temps[k], t->pt, &err);
        lmp_sampler_params prm;
        lmp_sampler_params_init(&prm);
        prm.temperature = temps[k];
        prm.top_p = 0.9;
        lmp_sampler *sp = NULL;
        if (!st) st = lmp_sampler_create(&prm, t->V, &sp, &err);
        if (!st) st = lmp_sampler_apply(sp, t->lp, t->V, NULL, 0, &err);
        size_t kn = st ? 0 : lmp_sampler_kept(sp).n;
        lmp_sampler_free(sp);
        if (st) {
            free(xs);
            free(ys);
            free(rk);
            return cli_fail_status("demo report", st, &err);
        }
        for (size_t r = 0; r < nr; r++) {
            xs[r] = (double)(r + 1);
            ys[k * nr + r] = t->pt[rk[r].id];
        }
        snprintf(labels[k], sizeof labels[k], "T = %.1f: H = %.2f nats, top-p 0.9 keeps %zu", temps[k],
                 lmp_entropy(t->pt, t->V, LMP_BASE_E), kn);
        s[k] = (plot_series){.label = labels[k], .x = xs, .y = ys + k * nr, .n = nr, .kind = PLOT_LINE,
                             .color = colors[k]};
        snprintf(vlab[k], sizeof vlab[k], "top-p 0.9 at T=%.1f: %zu", temps[k], kn);
        v[nv++] = (plot_vline){.x = (double)kn, .label = vlab[k], .color = colors[k]};
    }
    if (nr >= 40) v[nv++] = (plot_vline){.x = 40, .label = "top-k 40", .color = 0x444444, .dashed = 1};
    plot_spec p = plot_spec_default();
    char title[160];
    snprintf(title, sizeof title, "Next-token distribution after \"<s> %s\" (5-gram), all %zu tokens by rank",
             prompts[1], nr);
    p.title = title;
    p.xlabel = "rank of the token by probability (log scale); a cut-off at x keeps ranks 1..x";
    p.ylabel = "probability (log scale)";
    p.logx = 1;
    p.logy = 1;
    p.vline_labels_bottom = 1;
    p.series = s;
    p.nseries = 3;
    p.vlines = v;
    p.nvlines = nv;
    char path[DEMO_PATH], msg[512];
    snprintf(path, sizeof path, "%s/next_token.png", dir);
    int bad = plot_png(&p, path, msg, sizeof msg);
    free(xs);
    free(ys);
    free(rk);
    return bad ? plot_fail(msg) : CLI_OK;
}

/* Nucleus size (p = 0.9) and entropy at positions of the test text, every `step`-th token. */
/* The words of the line at *p (which is moved past it and its newline) as the model splits them, into *ids
 * (grown as needed, *cap ids); their number in *k. */
static lmp_status line_words(const lmp_lm *lm, const char **p, const char *end, lmp_token_id **ids, size_t *cap,
                             size_t *k, lmp_error *err)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    const size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    const char *line = *p;
    *p += len + (nl != NULL);
    lmp_status st = lmp_lm_tokenize(lm, line, len, 0, *ids, NULL, NULL, *cap, k, err);
    if ((st && st != LMP_ERANGE) || *k <= *cap) return st;
    /* more words than any line before (or the first line: *ids NULL was a size query): once more */
    lmp_token_id *g = realloc(*ids, *k * sizeof **ids);
    if (!g) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    *ids = g;
    *cap = *k;
    return lmp_lm_tokenize(lm, line, len, 0, *ids, NULL, NULL, *cap, k, err);
}

static int analyse_test(nt_ctx *t, const char *dir, const char *test, size_t max_positions, FILE *html, FILE *echo,
                        int json)
{
    /* The test text as every command reads it (lmp_read_text: plain, gzip or xz), each line's words as the
     * model's own tokenizer splits them (lmp_lm_tokenize, the corpus reader's words): one reader and one word
     * split, not a getline and a strtok of our own (those read a .gz as text and cut a line at a NUL). */
    char *text = NULL;
    size_t tlen = 0, idcap = 0;
    lmp_token_id *ids = NULL;
    lmp_error err;
    lmp_status st = lmp_read_text(test, 0, &text, &tlen, &err);
    if (st) return cli_fail_status("demo report", st, &err);
    /* count tokens (+1 for </s> per line) to choose the step */
    size_t total = 0, k = 0;
    for (const char *p = text; !st && p < text + tlen;) {
        st = line_words(t->lm, &p, text + tlen, &ids, &idcap, &k, &err);
        total += k + 1;
    }
    if (st) {
        free(text);
        free(ids);
        cli_error("demo report: %s: %s", test, err.msg);
        return CLI_FAIL;
    }
    size_t step = total / max_positions + 1;
    double *sizes = malloc((total / step + 2) * sizeof *sizes), *ents = malloc((total / step + 2) * sizeof *ents);
    if (!sizes || !ents) {
        free(sizes);
        free(ents);
        free(text);
        free(ids);
        return cli_fail_status("demo report", LMP_ENOMEM, NULL);
    }
    size_t npos = 0, pos = 0;
    int rc = CLI_OK;
    lmp_lm_info in;
    lmp_lm_get_info(t->lm, &in);
    /* One context per line: <s>, then each word pushed after its position is measured. */
    for (const char *p = text; rc == CLI_OK && p < text + tlen;) {
        st = line_words(t->lm, &p, text + tlen, &ids, &idcap, &k, &err);
        if (!st) st = lmp_lm_ctx_rewind(t->ctx, 0, &err);
        if (!st && in.bos >= 0) st = lmp_lm_ctx_push(t->ctx, &in.bos, 1, &err);
        if (st) {
            rc = cli_fail_status("demo report", st, &err);
            break;
        }
        for (size_t j = 0; j <= k; j++) {
            if (pos++ % step == 0) {
                double H;
                size_t nuc;
                if (nt_dist(t, &H, &nuc)) {
                    rc = CLI_FAIL;
                    break;
                }
                sizes[npos] = log10((double)nuc);
                ents[npos++] = H;
            }
            if (j == k || lmp_lm_ctx_length(t->ctx) == lmp_lm_ctx_capacity(t->ctx))
                break; /* that position predicted </s> */
            if ((st = lmp_lm_ctx_push(t->ctx, &ids[j], 1, &err))) {
                rc = cli_fail_status("demo report", st, &err);
                break;
            }
        }
    }
    free(text);
    free(ids);
    if (rc != CLI_OK || npos == 0) {
        free(sizes);
        free(ents);
        if (rc == CLI_OK) cli_error("demo report: %s: no line: expected the test text, one sentence a line", test);
        return rc != CLI_OK ? rc : CLI_FAIL;
    }
    double maxl = 0, mean_h = 0;
    for (size_t i = 0; i < npos; i++) {
        if (sizes[i] > maxl) maxl = sizes[i];
        mean_h += ents[i];
    }
    mean_h /= (double)npos;
    enum { NB = 40 };
    double cx[NB], cy[NB];
    double w = plot_histogram(sizes, npos, 0, ceil(maxl * 10) / 10 + 0.1, NB, 0, cx, cy);
    for (size_t b = 0; b < NB; b++) cy[b] /= (double)npos;
    /* median nucleus size */
    double *srt = malloc(npos * sizeof *srt);
    double med = NAN;
    if (srt) {
        memcpy(srt, sizes, npos * sizeof *srt);
        for (size_t i = 1; i < npos; i++) { /* insertion sort: npos is a few thousand */
            double x = srt[i];
            size_t j = i;
            while (j > 0 && srt[j - 1] > x) {
                srt[j] = srt[j - 1];
                j--;
            }
            srt[j] = x;
        }
        med = pow(10, srt[npos / 2]);
        free(srt);
    }
    size_t ones = 0;
    for (size_t i = 0; i < npos; i++) ones += sizes[i] == 0;
    char label[160];
    snprintf(label, sizeof label, "%zu positions (every %zu-th token of the test text)", npos, step);
    plot_series s = {.label = label, .x = cx, .y = cy, .n = NB, .kind = PLOT_BARS, .bar_width = w, .alpha = 0.6};
    plot_spec p = plot_spec_default();
    p.title = "Nucleus size at p = 0.9 over the test set (5-gram)";
    p.xlabel = "log10(number of tokens in the nucleus)";
    p.ylabel = "fraction of positions";
    p.series = &s;
    p.nseries = 1;
    char path[DEMO_PATH], msg[512];
    snprintf(path, sizeof path, "%s/nucleus_hist.png", dir);
    free(sizes);
    free(ents);
    if (plot_png(&p, path, msg, sizeof msg)) return plot_fail(msg);
    fprintf(html, "<p>Over %zu positions of the test text (every %zu-th token, each predicted from its real "
                  "context): median nucleus size %.0f tokens, a single token in %.1f %% of positions, largest %.0f; "
                  "mean next-token entropy %.3f nats (%.3f bits).</p>\n",
            npos, step, med, 100.0 * (double)ones / (double)npos, pow(10, maxl), mean_h, mean_h / log(2.0));
    if (json) {
        /* sizes[] holds log10 of the nucleus sizes, which are whole numbers: back to them */
        fprintf(echo, ", \"test\": {\"positions\": %zu", npos);
        json_member(echo, "nucleus_0.9_median", round(med));
        json_member(echo, "one_token_fraction", (double)ones / (double)npos);
        json_member(echo, "nucleus_0.9_max", round(pow(10, maxl)));
        json_member(echo, "mean_entropy", mean_h);
        fprintf(echo, "}");
    } else {
        fprintf(echo, "nucleus (p=0.9) over %zu test positions: median %.0f tokens, 1 token in %.1f%%, max %.0f; "
                      "mean entropy %.3f nats\n",
                npos, med, 100.0 * (double)ones / (double)npos, pow(10, maxl), mean_h);
    }
    return CLI_OK;
}

/* ---- report ------------------------------------------------------------------------------ */

static int report_page(const char *dir, const model_row *rows, size_t n, uint64_t seed, size_t positions, FILE *echo,
                       int json);

static void report_usage(FILE *f)
{
    fputs("usage: lmprob demo report --dir OUT [--seed S] [--rng numpy] [--positions N] [--json]\n"
          "Reads what scripts/demo.sh wrote into OUT and writes table.{txt,md,json}, ppl_vs_order.png,\n"
          "next_token.png, nucleus_hist.png (N test positions, default 3000), clt.png, bias_variance.png\n"
          "and index.html. The pictures' samples draw numpy's legacy stream (--rng numpy, the only one).\n"
          "It prints the table and the next-token analyses; --json: as one JSON object (printed once the\n"
          "report is written; nothing on stdout when it fails).\n"
          "\n"
          "example: lmprob demo report --dir build/demo --seed 7   (after make demo, which writes build/demo)\n",
          f);
}

static int demo_report(int argc, char **argv)
{
    const char *dir = NULL;
    uint64_t seed = CLI_DEFAULT_SEED;
    long positions = 3000;
    lmp_rng_kind rk = LMP_RNG_NUMPY_LEGACY;
    int json = 0;
    const cli_opt table[] = {
        {.name = "--dir", .kind = CLI_OPT_STR, .dest = &dir},
        CLI_OPT_JSON(&json),
        CLI_OPT_SEED(&seed),
        CLI_OPT_RNG(&rk),
        {.name = "--positions", .kind = CLI_OPT_LONG, .dest = &positions, .lo = 1, .hi = 1e9, .expect = "N >= 1"},
    };
    int prc = cli_parse("demo report", argc, argv, table, CLI_NOPTS(table), NULL, 0, NULL, report_usage);
    if (prc) return prc;
    if (rk != LMP_RNG_NUMPY_LEGACY) {
        cli_error("demo report: --rng: expected numpy (the pictures reproduce numpy's legacy stream), got 'xoshiro'");
        return CLI_USAGE;
    }
    if (cli_seed_check("demo report", rk, seed)) return CLI_USAGE;
    if (!dir) {
        cli_error("demo report: expected --dir OUT");
        return CLI_USAGE;
    }
    if (cli_check_input("demo report", dir) || cli_check_output_dir("demo report", dir)) return CLI_FAIL;
    model_row *rows = calloc(MAX_MODELS, sizeof *rows);
    if (!rows) return cli_fail_status("demo report", LMP_ENOMEM, NULL);
    size_t n = 0;
    /* --json: the object is gathered in memory and printed whole once the report is written (the run
     * takes seconds; a failure prints nothing on stdout, its message on stderr) */
    char *jbuf = NULL;
    size_t jlen = 0;
    FILE *echo = json ? open_memstream(&jbuf, &jlen) : stdout;
    if (!echo) {
        free(rows);
        return cli_fail_status("demo report", LMP_ENOMEM, NULL);
    }
    int rc = load_manifest(dir, rows, &n) ? CLI_FAIL : CLI_OK;
    if (!rc) rc = write_tables(dir, rows, n, json ? NULL : stdout);
    if (!rc && json) {
        fprintf(echo, "{\"dir\": ");
        cli_json_string(echo, dir);
        fprintf(echo, ", \"seed\": %llu, \"rng\": \"numpy\", \"models\": ", (unsigned long long)seed);
        json_models(echo, rows, n);
    }
    if (!rc) rc = picture_orders(dir, rows, n);
    if (!rc) rc = report_page(dir, rows, n, seed, (size_t)positions, echo, json);
    if (json) {
        if (!rc) fputs("}\n", echo);
        fclose(echo);
        if (!rc) fwrite(jbuf, 1, jlen, stdout);
        free(jbuf);
    }
    free(rows);
    plot_release_caches();
    return rc;
}

/* index.html with the tables, samples, analyses and pictures. */
static int report_page(const char *dir, const model_row *rows, size_t n, uint64_t seed, size_t positions, FILE *echo,
                       int json)
{
    int rc;
    char path[DEMO_PATH];
    snprintf(path, sizeof path, "%s/index.html", dir);
    lmp_atomic_file af;
    lmp_error err;
    lmp_status st = lmp_atomic_open(&af, path, &err);
    if (st) return cli_fail_status("demo report", st, &err);
    int slot = cli_output_watch(af.tmp);
    FILE *h = af.fp;
    char name_path[DEMO_PATH];
    snprintf(name_path, sizeof name_path, "%s/data/NAME", dir);
    fprintf(h, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>lmprob demo</title>\n<style>\n"
               "body{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#222}\n"
               "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #bbb;padding:3px 8px}\n"
               "td{text-align:right}td:first-child{text-align:left}th{background:#eee}\n"
               "pre{background:#f6f6f6;padding:0.6em;white-space:pre-wrap}img{max-width:100%%;border:1px solid #ddd}\n"
               "</style></head><body>\n<h1>lmprob demo</h1>\n<p>Corpus: ");
    html_file(h, name_path);
    fprintf(h, "</p>\n<h2>Perplexity on the test set</h2>\n");
    html_table(h, rows, n);
    char bk[DEMO_PATH];
    snprintf(bk, sizeof bk, "%s/best_k", dir);
    fprintf(h, "<p>Every number comes from <code>lmprob train</code> and <code>lmprob ppl --json</code> (files "
               "<code>ppl/*.test.json</code>; the same command by hand gives the same row). Each line is scored as "
               "&lt;s&gt; w1 .. wn &lt;/s&gt;: &lt;/s&gt; is predicted and counted, &lt;s&gt; is context only. "
               "Vocabulary: training words seen at least twice; rarer training words were replaced by &lt;unk&gt; "
               "before training, so &lt;unk&gt; has probability mass. A test word outside the vocabulary is an OOV: "
               "it is scored as &lt;unk&gt; in <em>perplexity</em> and left out of <em>ppl excl. OOV</em>. Bits per "
               "byte divide the total -log2 P by the bytes of the test file. The bigram's k was chosen on the "
               "validation set: k = ");
    html_file(h, bk);
    fprintf(h, ". Model size is the ARPA file.</p>\n<img src=\"ppl_vs_order.png\" alt=\"perplexity vs order\">\n");

    fprintf(h, "<h2>Samples from the 5-gram (modified Kneser-Ney)</h2>\n<pre>");
    snprintf(path, sizeof path, "%s/samples.txt", dir);
    html_file(h, path);
    fprintf(h, "</pre>\n<h2>Next-token distributions of the 5-gram</h2>\n");
    const model_row *big = find_model(rows, n, "mkn5");
    if (!big) {
        lmp_atomic_abort(&af);
        cli_output_end(slot);
        cli_error("demo report: models.tsv has no mkn5 model");
        return CLI_FAIL;
    }
    nt_ctx t;
    rc = nt_open(&t, big->path);
    if (!rc) rc = analyse_prompts(&t, dir, h, echo, json);
    if (!rc) fprintf(h, "<img src=\"next_token.png\" alt=\"next-token distribution\">\n");
    snprintf(path, sizeof path, "%s/data/test.txt", dir);
    if (!rc) rc = analyse_test(&t, dir, path, positions, h, echo, json);
    nt_close(&t);
    if (!rc) fprintf(h, "<img src=\"nucleus_hist.png\" alt=\"nucleus size histogram\">\n");
    snprintf(path, sizeof path, "%s/chapter20.txt", dir);
    if (!rc) {
        fprintf(h, "<h2>Sliding-window perplexity (the chapter's Hugging Face example)</h2>\n<pre>");
        html_file(h, path);
        fprintf(h, "</pre>\n<h2>Central limit theorem (chapter b09)</h2>\n");
        rc = picture_clt(dir, seed, h);
    }
    if (!rc) {
        fprintf(h, "<img src=\"clt.png\" alt=\"CLT\">\n<h2>Bias and variance (chapter b20)</h2>\n");
        rc = picture_biasvar(dir, 0, h);
    }
    if (!rc) {
        fprintf(h, "<p>Averaged over a grid of 19 points in [0.05, 0.95] (the chapter's single x = 0.5 hides the "
                   "bias of low degrees: sin 2&pi;x is antisymmetric about 0.5). numpy-legacy seed 0, as the "
                   "chapter.</p>\n<img src=\"bias_variance.png\" alt=\"bias-variance\">\n");
        fprintf(h, "<h2>Files</h2>\n<p><a href=\"table.md\">table.md</a>, <a href=\"table.json\">table.json</a>, "
                   "<a href=\"table.txt\">table.txt</a>, <a href=\"samples.txt\">samples.txt</a>, "
                   "<a href=\"models.tsv\">models.tsv</a>, <code>ppl/</code>, <code>models/</code>, "
                   "<code>data/</code>.</p>\n</body></html>\n");
    }
    if (rc) {
        lmp_atomic_abort(&af);
        cli_output_end(slot);
        return rc;
    }
    st = lmp_atomic_commit(&af, &err);
    cli_output_end(slot);
    if (st) return cli_fail_status("demo report", st, &err);
    return CLI_OK;
}

static void demo_usage(FILE *f)
{
    fprintf(f, "usage: lmprob demo uniform --output U.arpa TRAIN\n"
               "       lmprob demo report --dir OUT [--seed S] [--rng numpy] [--positions N] [--json]\n"
               "The library side of `make demo` (scripts/demo.sh runs the whole job; see docs/demo.md).\n"
               "\n"
               "example: lmprob demo uniform --output u.arpa train.txt\n");
}

int cmd_demo(int argc, char **argv)
{
    static const cli_sub subs[] = {{"uniform", demo_uniform}, {"report", demo_report}};
    return cli_subcommand("demo", argc, argv, subs, CLI_NOPTS(subs), demo_usage);
}
