/* `lmprob decode`: sample next tokens from one logits vector through a sampler
 * chain, and show what the chain did (entropy, top tokens, kept set, samples). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "lmprob/info.h"
#include "lmprob/rng.h"
#include "lmprob/sample.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lmprob decode [FILE|-] [options]\n"
            "  Reads a logits vector (whitespace/comma-separated numbers; -inf allowed) from FILE, stdin (-),\n"
            "  or --logits LIST, runs a sampler chain and prints the entropy, the top tokens, the kept set\n"
            "  and n samples.\n"
            "\n"
            "  --logits LIST            logits inline (\"3,2,1.5\")\n"
            "  --names LIST             token names for the ids (\"the,a,cat\"), for printing\n"
            "  --history LIST           previous token ids, for the penalties\n"
            CLI_SAMPLER_HELP
            CLI_HELP_SEED
            "  -n N                     number of samples (default 10; 0: none)\n"
            "  --counts                 print how often each token was drawn (Counter order)\n"
            "  --top N                  how many top tokens to print (default 10)\n"
            "  --digits D               decimals for probabilities (default 4)\n"
            "  --json                   everything as one JSON object\n"
            "\n"
            "example:\n"
            "  lmprob decode --logits 3,2,1.5,0 --top-p 0.9 --temperature 0.7 -n 5 --seed 1\n");
}

typedef struct opts {
    const char *file;
    const char *logits;
    const char *vocab;
    const char *history;
    lmp_sampler_params prm;
    int dtype_set;
    lmp_rng_kind rng;
    uint64_t seed;
    long n, top, digits;
    int counts, json;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    memset(o, 0, sizeof *o);
    lmp_sampler_params_init(&o->prm);
    o->rng = LMP_RNG_XOSHIRO;
    o->seed = CLI_DEFAULT_SEED;
    o->n = 10;
    o->top = 10;
    o->digits = 4;
    const cli_opt table[] = {
        CLI_OPT_LOGITS(&o->logits),
        {.name = "--names", .kind = CLI_OPT_STR, .dest = &o->vocab},
        {.name = "--vocab", .alias = "--names", .kind = CLI_OPT_RENAMED,
         .expect = "the token names of the ids (--vocab is a word list file, in train and filter)"},
        {.name = "--history", .kind = CLI_OPT_STR, .dest = &o->history, .expect = "token ids, comma-separated"},
        CLI_OPTS_SAMPLER(o->prm, &o->dtype_set),
        CLI_OPT_RNG(&o->rng),
        CLI_OPT_SEED(&o->seed),
        CLI_OPT_COUNT(&o->n),
        {.name = "--samples", .kind = CLI_OPT_LONG, .dest = &o->n, .lo = 0, .hi = 1e15, .expect = CLI_DOMAIN_COUNT},
        CLI_OPT_TOP(&o->top), CLI_OPT_TOP_K_RENAMED,
        {.name = "--digits", .kind = CLI_OPT_LONG, .dest = &o->digits, .lo = 0, .hi = 17, .expect = "an integer from 0 to 17"},
        {.name = "--counts", .kind = CLI_OPT_FLAG, .dest = &o->counts},
        CLI_OPT_JSON(&o->json),
    };
    size_t npos = 0;
    int r = cli_parse("decode", argc, argv, table, CLI_NOPTS(table), &o->file, 1, &npos, usage);
    if (r) return r;
    if (o->file && o->logits) {
        cli_error("decode: expected either FILE or --logits, got both");
        return CLI_USAGE;
    }
    if (cli_seed_check("decode", o->rng, o->seed)) return CLI_USAGE;
    return cli_sampler_finish("decode", &o->prm, o->dtype_set);
}

/* Split "a,b,c" into names (pointers into a copy). */
static char **split_vocab(const char *s, size_t *n)
{
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    char **v = malloc(cap * sizeof *v + strlen(s) + 1);
    if (!v) return NULL;
    char *buf = (char *)(v + cap);
    strcpy(buf, s);
    size_t k = 0;
    for (char *tok = buf;;) {
        char *c = strchr(tok, ',');
        if (c) *c = '\0';
        v[k++] = tok;
        if (!c) break;
        tok = c + 1;
    }
    *n = k;
    return v;
}

typedef struct ctx {
    char **names;
    size_t nnames;
} ctx;

static void print_tok(FILE *f, const ctx *c, lmp_token_id id)
{
    if (c->names && (size_t)id < c->nnames) fputs(c->names[id], f);
    else fprintf(f, "%d", (int)id);
}

static void json_tok(FILE *f, const ctx *c, lmp_token_id id)
{
    if (c->names && (size_t)id < c->nnames) cli_json_string(f, c->names[id]);
    else fprintf(f, "%d", (int)id);
}

/* Order of the kept candidates by probability descending (ties: lower id). */
static int cmp_prob(const void *a, const void *b, void *kp)
{
    const lmp_candidates *k = kp;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    double x = k->p[i], y = k->p[j];
    if (x != y) return x > y ? -1 : 1;
    return k->id[i] < k->id[j] ? -1 : 1;
}


/* One sample, counted: count[t] draws of token t, first[t] the first draw that gave it (-1: none yet). */
static lmp_token_id draw_counted(lmp_sampler *s, lmp_rng *rng, long d, long *count, long *first)
{
    lmp_token_id t = lmp_sampler_draw(s, rng);
    if (first[t] < 0) first[t] = d;
    count[t]++;
    return t;
}

/* Whether standard output has failed, looked at every 65536 samples: a long run into a full disk
 * or a closed pipe stops there (the end of the command reports the failed write). */
static int stdout_failed(long d) { return (d & 0xffff) == 0 && d > 0 && ferror(stdout); }

/* The drawn tokens in Counter order (count descending, then first draw) into cord; returns how many. */
static size_t count_order(const long *count, const long *first, size_t V, size_t *cord)
{
    size_t ndist = 0;
    for (size_t i = 0; i < V; i++)
        if (count[i]) cord[ndist++] = i;
    for (size_t a = 1; a < ndist; a++) { /* insertion sort: few distinct tokens */
        size_t t = cord[a], b = a;
        while (b > 0 && (count[cord[b - 1]] < count[t] ||
                         (count[cord[b - 1]] == count[t] && first[cord[b - 1]] > first[t]))) {
            cord[b] = cord[b - 1];
            b--;
        }
        cord[b] = t;
    }
    return ndist;
}

int cmd_decode(int argc, char **argv)
{
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    double *x = NULL, *h = NULL;
    size_t V = 0, nh = 0;
    /* Option values first, each a usage error (exit 2) when malformed: --history before any logits
     * are read from a file or stdin, its ids against V once V is known */
    if (o.history && (rc = cli_parse_double_list("decode: --history", o.history, &h, &nh))) return rc;
    if (o.logits) {
        if ((rc = cli_parse_number_list("decode: --logits", o.logits, CLI_NUM_NEG_INF, &x, &V))) {
            free(h);
            return rc;
        }
    } else {
        cli_stdin_note("decode", o.file);
        if (cli_read_doubles("decode", o.file ? o.file : "-", CLI_NUM_NEG_INF, &x, &V)) {
            free(h);
            return CLI_FAIL;
        }
    }
    lmp_token_id *hist = NULL;
    ctx c = {NULL, 0};
    lmp_sampler *s = NULL;
    size_t *order = NULL;
    long *count = NULL;
    long *first = NULL;
    rc = CLI_FAIL;
    lmp_error err = {0};
    if (o.history) {
        hist = malloc(nh * sizeof *hist);
        if (!hist) goto done;
        for (size_t i = 0; i < nh; i++) {
            if (h[i] != floor(h[i]) || h[i] < 0 || h[i] >= (double)V) {
                cli_error("decode: --history: item %zu: expected a token id in [0, %zu), got '%g'", i + 1, V, h[i]);
                rc = CLI_USAGE;
                goto done;
            }
            hist[i] = (lmp_token_id)h[i];
        }
    }
    if (o.vocab) {
        c.names = split_vocab(o.vocab, &c.nnames);
        if (!c.names) goto done;
        if (c.nnames != V) {
            cli_error("decode: --names: expected %zu names (one per logit), got %zu", V, c.nnames);
            rc = CLI_USAGE;
            goto done;
        }
        /* distinct: the names key --json's "counts", where two equal keys would be merged by a reader (the
         * logits are few enough for the pairs: --logits is one argument) */
        for (size_t i = 1; i < c.nnames; i++)
            for (size_t j = 0; j < i; j++)
                if (strcmp(c.names[i], c.names[j]) == 0) {
                    cli_error("decode: --names: name %zu, '%s', is name %zu's too: expected a distinct name per logit",
                              i + 1, CLI_SHOW(c.names[i]), j + 1);
                    rc = CLI_USAGE;
                    goto done;
                }
    }
    /* float32 arithmetic (--dtype f32, the llama chain's default) takes logits a float holds; the library
     * would refuse the first one that is not by its 0-based index, the CLI names it as its other messages
     * do, 1-based, in the option or the file */
    if (o.prm.dtype == LMP_DTYPE_F32)
        for (size_t i = 0; i < V; i++)
            if (isfinite(x[i]) && isinf((float)x[i])) {
                cli_error("decode: %s: logit %zu = %g: expected a value representable in float32 (magnitude at "
                          "most %.8g) with dtype f32",
                          o.logits ? "--logits" : o.file ? o.file : "-", i + 1, x[i], (double)FLT_MAX);
                rc = o.logits ? CLI_USAGE : CLI_FAIL;
                goto done;
            }
    lmp_rng rng;
    /* the library's messages under the command's name ("decode: logits: all 2 are -inf: ...") */
    if (lmp_rng_seed(&rng, o.rng, o.seed, &err) || lmp_sampler_create(&o.prm, V, &s, &err) ||
        lmp_sampler_apply(s, x, V, hist, nh, &err)) {
        cli_error("decode: %s", err.msg[0] ? err.msg : lmp_status_str(err.code));
        /* logits typed as --logits are an option's value: outside the sampler's domain (all -inf, beyond
         * float32 with --dtype f32), a usage error; read from a file or stdin, data */
        if (o.logits && (err.code == LMP_EINVAL || err.code == LMP_ERANGE)) rc = CLI_USAGE;
        goto done;
    }
    lmp_candidates k = lmp_sampler_kept(s);
    double H = lmp_entropy_of_logits(x, V);
    double Hk = lmp_entropy(k.p, k.n, LMP_BASE_E);
    size_t greedy = lmp_argmax(x, V);
    order = malloc(k.n * sizeof *order);
    /* The samples are printed as they are drawn, not kept: -n has the domain of every command's
     * (a kept array of n ids once wrote past its buffer at -n 2^62 + 1, issue 11, and then capped -n
     * at 1e9 here alone); only the counts and first draws of the V tokens are kept. */
    count = calloc(V, sizeof *count);
    first = malloc(V * sizeof *first);
    size_t *cord = malloc(V * sizeof *cord);
    if (!order || !count || !first || !cord) {
        free(cord);
        cli_error("decode: out of memory");
        goto done;
    }
    for (size_t i = 0; i < k.n; i++) order[i] = i;
    qsort_r(order, k.n, sizeof *order, cmp_prob, &k);
    for (size_t i = 0; i < V; i++) first[i] = -1;
    size_t ndist = 0;
    size_t ntop = (size_t)o.top < k.n ? (size_t)o.top : k.n;
    const char *chain_name = o.prm.conv == LMP_CONV_HF ? "hf" : "llama"; /* --chain's value, under its name */
    const char *dtype_name = o.prm.dtype == LMP_DTYPE_F64 ? "f64" : "f32";
    const char *rng_name = o.rng == LMP_RNG_NUMPY_LEGACY ? "numpy" : "xoshiro";
    if (o.json) {
        printf("{\"V\": %zu, \"chain\": \"%s\", \"dtype\": \"%s\", \"rng\": \"%s\", \"seed\": %llu, ", V, chain_name,
               dtype_name, rng_name, (unsigned long long)o.seed);
        printf("\"entropy\": ");
        cli_json_double(stdout, H);
        printf(", \"kept_entropy\": ");
        cli_json_double(stdout, Hk);
        printf(", \"greedy\": %zu, \"top\": [", greedy);
        for (size_t i = 0; i < ntop; i++) {
            size_t q = order[i];
            printf("%s{\"id\": %d, \"token\": ", i ? ", " : "", (int)k.id[q]);
            json_tok(stdout, &c, k.id[q]);
            printf(", \"p\": ");
            cli_json_double(stdout, k.p[q]);
            printf("}");
        }
        printf("], \"kept_size\": %zu, \"kept\": [", k.n);
        for (size_t i = 0; i < k.n; i++) printf("%s%d", i ? ", " : "", (int)k.id[i]);
        printf("], \"kept_p\": ");
        cli_json_doubles(stdout, k.p, k.n);
        printf(", \"samples\": [");
        for (long d = 0; d < o.n && !stdout_failed(d); d++)
            printf("%s%d", d ? ", " : "", (int)draw_counted(s, &rng, d, count, first));
        ndist = count_order(count, first, V, cord);
        printf("], \"counts\": {");
        for (size_t i = 0; i < ndist; i++) { /* keys are JSON strings: a name escaped (a"b was written raw) */
            printf("%s", i ? ", " : "");
            if (c.names && cord[i] < c.nnames) cli_json_string(stdout, c.names[cord[i]]);
            else printf("\"%d\"", (int)cord[i]);
            printf(": %ld", count[cord[i]]);
        }
        printf("}}\n");
    } else {
        int dg = (int)o.digits;
        printf("V: %zu  chain: %s  dtype: %s  rng: %s  seed: %llu\n", V, chain_name, dtype_name, rng_name,
               (unsigned long long)o.seed);
        printf("entropy: %.4f nats (softmax of the input), %.4f nats (kept, renormalised)\n", cli_text_num(H),
               cli_text_num(Hk));
        printf("greedy: ");
        print_tok(stdout, &c, (lmp_token_id)greedy);
        printf("\ntop:");
        for (size_t i = 0; i < ntop; i++) {
            putchar(' ');
            print_tok(stdout, &c, k.id[order[i]]);
            printf(":%.*f", dg, cli_text_num(k.p[order[i]]));
        }
        printf("\nkept: %zu", k.n);
        if (k.n <= 64) {
            printf(" [");
            for (size_t i = 0; i < k.n; i++) printf("%s%d", i ? " " : "", (int)k.id[i]);
            printf("]");
        }
        printf("\n");
        if (o.n > 0) {
            printf("samples:");
            for (long d = 0; d < o.n && !stdout_failed(d); d++) {
                putchar(' ');
                print_tok(stdout, &c, draw_counted(s, &rng, d, count, first));
            }
            printf("\n");
        }
        ndist = count_order(count, first, V, cord);
        if (o.counts) {
            printf("counts:");
            for (size_t i = 0; i < ndist; i++) {
                putchar(' ');
                print_tok(stdout, &c, (lmp_token_id)cord[i]);
                printf(":%ld", count[cord[i]]);
            }
            printf("\n");
        }
    }
    free(cord);
    rc = CLI_OK;
done:
    free(x);
    free(h);
    free(hist);
    free(c.names);
    free(order);
    free(count);
    free(first);
    lmp_sampler_free(s);
    return rc;
}
