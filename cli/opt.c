/* The table-driven option parser of the commands (opt.h). */
#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_looks_like_opt(const char *a)
{
    if (a[0] != '-' || a[1] == '\0') return 0; /* "x", "-" */
    /* "-3", "-.5", "-inf": a negative number, for commands that take one as an argument */
    if ((a[1] >= '0' && a[1] <= '9') || a[1] == '.') return 0;
    if (strcmp(a, "-inf") == 0) return 0;
    return 1;
}

int cli_unknown_opt(const char *cmd, const char *a)
{
    cli_error("%s: unknown option '%s' (see lmprob %s --help)", cmd, CLI_SHOW(a), cmd);
    return CLI_USAGE;
}

/* The option of the table that `a` names ("--seed", "--seed=3", "-n"), or NULL. */
static const cli_opt *lookup(const char *a, const cli_opt *opts, size_t nopts, const char **name)
{
    for (size_t k = 0; k < nopts; k++) {
        if (cli_is_opt(a, opts[k].name)) {
            *name = opts[k].name;
            return &opts[k];
        }
        /* a renamed entry's alias is the new name, not another spelling */
        if (opts[k].alias && opts[k].kind != CLI_OPT_RENAMED && cli_is_opt(a, opts[k].alias)) {
            *name = opts[k].alias;
            return &opts[k];
        }
    }
    return NULL;
}

static int bad(const char *cmd, const char *name, const cli_opt *o, const char *v)
{
    cli_error("%s: %s: expected %s, got '%s'", cmd, name, o->expect ? o->expect : "a value", CLI_SHOW(v));
    return -1;
}

/* An integer in [lo, hi], by cli.c's strict rules (digits only: no "1e3", "0x10", " 5" or "+5"), so
 * that every command reads a count the same way. */
static int parse_int(const char *v, double lo, double hi, long long *out)
{
    long x;
    if (cli_scan_long(v, &x) || (double)x < lo || (double)x > hi) return -1;
    *out = x;
    return 0;
}

/* A refused integer. An open-ended domain ("an integer >= 0") still has an upper bound (hi): a
 * value above it is told so, not that it is not an integer >= 0. */
static int bad_int(const char *cmd, const char *name, const cli_opt *o, const char *v)
{
    size_t i = 0;
    while (v[i] >= '0' && v[i] <= '9') i++;
    long x;
    const int digits = i > 0 && v[i] == '\0', above = digits && (cli_scan_long(v, &x) || (double)x > o->hi);
    double d;
    if (above && o->expect && strstr(o->expect, ">="))
        cli_error("%s: %s: expected %s and at most %.0f, got '%s'", cmd, name, o->expect, o->hi, CLI_SHOW(v));
    else if (o->expect && !strstr(o->expect, "integer") && strpbrk(v, ".eE") &&
             cli_scan_double(v, CLI_NUM_FINITE, &d) == 0)
        /* a number that is not written as an integer ('2.5', '1e3'): "expected a number of trials >= 0, got
         * '1e3'" did not say what was wrong with it */
        cli_error("%s: %s: expected %s, written as an integer, got '%s'", cmd, name, o->expect, CLI_SHOW(v));
    else bad(cmd, name, o, v);
    return -1;
}

/* A number refused by a DOUBLE entry (or a DOUBLE list's item). Open-ended domains ("a coefficient >= 0",
 * "a finite number") still stop at a cap (1e300, the dist parameters' 1e308) that the words do not state:
 * a finite value past a bound of magnitude 1e15 or more is told that bound ("expected a coefficient >= 0
 * and at most 1e300, got '1e308'"), not that it is not what the words say. */
static int bad_double(const char *cmd, const char *name, const cli_opt *o, const char *v)
{
    double x;
    const char *side = NULL;
    double bound = 0;
    if (cli_scan_double(v, CLI_NUM_FINITE, &x) == 0) {
        if (x > o->hi && o->hi >= 1e15) side = "at most", bound = o->hi;
        else if (x < o->lo && o->lo <= -1e15) side = "at least", bound = o->lo;
    }
    if (!side) return bad(cmd, name, o, v);
    char b[32];
    snprintf(b, sizeof b, "%g", bound);
    char *e = strstr(b, "e+"); /* 1e+300 as typed: 1e300 */
    if (e) memmove(e + 1, e + 2, strlen(e + 2) + 1);
    cli_error("%s: %s: expected %s and %s %s, got '%s'", cmd, name, o->expect ? o->expect : "a number", side, b,
              CLI_SHOW(v));
    return -1;
}

static int set_value(const char *cmd, const char *name, const cli_opt *o, const char *v)
{
    switch (o->kind) {
    case CLI_OPT_FLAG: return 0; /* not reached: flags take no value */
    case CLI_OPT_STR:
        if (!*v && !o->empty_ok) {
            cli_error("%s: %s: expected %s, got ''", cmd, name, o->expect ? o->expect : "a name");
            return -1;
        }
        if (o->count) { /* a repeated option (kl's --model A --model B): each into the next slot */
            if (*o->count >= o->max_n) {
                cli_error("%s: %s: expected it at most %zu times, got '%s' after that", cmd, name, o->max_n,
                          CLI_SHOW(v));
                return -1;
            }
            ((const char **)o->dest)[(*o->count)++] = v;
            return 0;
        }
        *(const char **)o->dest = v;
        return 0;
    case CLI_OPT_LONG: {
        long long x;
        if (parse_int(v, o->lo, o->hi, &x)) return bad_int(cmd, name, o, v);
        *(long *)o->dest = (long)x;
        return 0;
    }
    case CLI_OPT_SIZE: {
        long long x;
        if (parse_int(v, o->lo, o->hi, &x)) return bad_int(cmd, name, o, v);
        *(size_t *)o->dest = (size_t)x;
        return 0;
    }
    case CLI_OPT_U64:
        if (cli_scan_u64(v, (uint64_t *)o->dest)) return bad(cmd, name, o, v);
        return 0;
    case CLI_OPT_DOUBLE: {
        double x;
        int rc = cli_scan_double(v, CLI_NUM_FINITE, &x);
        if (rc == -2) {
            cli_error("%s: %s: '%s' is out of the range of a double (magnitude above 1.8e308): expected %s", cmd, name,
                      CLI_SHOW(v), o->expect ? o->expect : "a number");
            return -1;
        }
        if (rc || x < o->lo || x > o->hi || (o->lo_open && x == o->lo) || (o->hi_open && x == o->hi))
            return bad_double(cmd, name, o, v);
        *(double *)o->dest = x + 0.0; /* "-0" is 0: printed back as 0, never "-0" (x + 0.0 is +0 for -0) */
        return 0;
    }
    case CLI_OPT_CUSTOM:
        if (o->parse(v, o->dest)) return bad(cmd, name, o, v);
        return 0;
    case CLI_OPT_CHOICE:
        for (const cli_choice *c = o->choices; c->name; c++)
            if (strcmp(c->name, v) == 0) {
                *(int *)o->dest = c->value;
                return 0;
            }
        return bad(cmd, name, o, v);
    case CLI_OPT_LIST:
    case CLI_OPT_RENAMED: return -1; /* not reached: cli_take handles them */
    }
    return -1;
}

/* Item k of a CLI_OPT_LIST: one number of kind o->elem in o->lo..o->hi into dest[k]. */
static int set_item(const cli_opt *o, size_t k, const char *v)
{
    switch (o->elem) {
    case CLI_OPT_LONG: {
        long long x;
        if (parse_int(v, o->lo, o->hi, &x)) return -1;
        ((long *)o->dest)[k] = (long)x;
        return 0;
    }
    case CLI_OPT_U64: {
        uint64_t x;
        if (cli_scan_u64(v, &x) || (double)x < o->lo || (double)x > o->hi) return -1;
        ((uint64_t *)o->dest)[k] = x;
        return 0;
    }
    case CLI_OPT_DOUBLE: {
        double x;
        if (cli_scan_double(v, CLI_NUM_FINITE, &x) || x < o->lo || x > o->hi || (o->lo_open && x == o->lo) ||
            (o->hi_open && x == o->hi))
            return -1;
        ((double *)o->dest)[k] = x + 0.0; /* -0 is 0, as for a DOUBLE entry */
        return 0;
    }
    default: return -1;
    }
}

/* An argument that is a number ("3", "-1", ".5", "1e999"): a list of values ends at the first one that
 * is not (an option, a file name, even one that starts with a digit: "5gram.txt"). */
static int is_number(const char *a)
{
    double x;
    return cli_scan_double(a, CLI_NUM_INF | CLI_NUM_NEG_INF, &x) != -1;
}

/* A CLI_OPT_LIST: "--flag=a,b,c" (inline) or the numbers after the flag. */
static int take_list(const char *cmd, const char *name, const cli_opt *o, int argc, char **argv, int *i,
                     const char *inline_v)
{
    size_t n = 0;
    if (inline_v) {
        char item[128];
        const char *p = inline_v;
        for (;;) {
            const char *e = strchr(p, ',');
            size_t L = e ? (size_t)(e - p) : strlen(p);
            if (n >= o->max_n || L == 0 || L >= sizeof item) return bad(cmd, name, o, inline_v);
            memcpy(item, p, L);
            item[L] = '\0';
            if (set_item(o, n, item)) return o->elem == CLI_OPT_DOUBLE ? bad_double(cmd, name, o, item) : bad(cmd, name, o, item);
            n++;
            if (!e) break;
            p = e + 1;
        }
    } else {
        while (*i + 1 < argc && n < o->max_n && is_number(argv[*i + 1])) {
            if (set_item(o, n, argv[*i + 1]))
                return o->elem == CLI_OPT_DOUBLE ? bad_double(cmd, name, o, argv[*i + 1]) : bad(cmd, name, o, argv[*i + 1]);
            n++;
            ++*i;
        }
    }
    if (n == 0 && o->optional) {
        /* the flag alone */
    } else if (n < o->min_n) {
        const char *next = !inline_v && *i + 1 < argc ? argv[*i + 1] : NULL;
        if (next)
            cli_error("%s: %s: expected %s, got '%s'", cmd, name, o->expect ? o->expect : "numbers", CLI_SHOW(next));
        else cli_error("%s: %s: expected %s, got %zu value%s", cmd, name, o->expect ? o->expect : "numbers", n,
                       n == 1 ? "" : "s");
        return -1;
    }
    if (o->count) *o->count = n;
    return 0;
}

/* argv[*i] against the table: 1 when it is one of opts (its value taken, *i advanced past
 * it), 0 when it is not, -1 after printing the error (a usage error). */
static int cli_take(const char *cmd, int argc, char **argv, int *i, const cli_opt *opts, size_t nopts)
{
    const char *a = argv[*i], *name = NULL;
    if (!cli_looks_like_opt(a)) return 0;
    const cli_opt *o = lookup(a, opts, nopts, &name);
    if (!o) return 0;
    size_t L = strlen(name);
    if (o->kind == CLI_OPT_RENAMED) {
        cli_error("%s: %s is now %s: %s", cmd, name, o->alias, o->expect ? o->expect : "");
        return -1;
    }
    if (o->kind == CLI_OPT_LIST) {
        if (take_list(cmd, name, o, argc, argv, i, a[L] == '=' ? a + L + 1 : NULL)) return -1;
    } else if (o->kind == CLI_OPT_FLAG) {
        if (a[L] == '=') {
            cli_error("%s: %s: takes no value, got '%s'", cmd, name, CLI_SHOW(a + L + 1));
            return -1;
        }
        *(int *)o->dest = 1;
    } else {
        const char *v;
        if (a[L] == '=') v = a + L + 1;
        else if (*i + 1 < argc) {
            v = argv[++*i];
            /* "--output --json": the value was forgotten and the next option taken for it (a file named
             * "--json" written, a prompt "--seed"). A value spelled as one of this command's options is
             * refused; "--output=--json" still gives it. Other values starting with '-' are taken. */
            const char *other = NULL;
            if (cli_looks_like_opt(v) && (lookup(v, opts, nopts, &other) || cli_is_help(v) ||
                                          strcmp(v, "--list-options") == 0)) {
                if (o->kind == CLI_OPT_STR)
                    cli_error("%s: %s: expected %s, got the option '%s' (write %s=%s if that is the value)", cmd,
                              name, o->expect ? o->expect : "a name", CLI_SHOW(v), name, CLI_SHOW(v));
                else
                    cli_error("%s: %s: expected %s, got the option '%s' (the value is missing)", cmd, name,
                              o->expect ? o->expect : "a value", CLI_SHOW(v));
                return -1;
            }
        } else {
            cli_error("%s: %s: expected %s, got nothing", cmd, name, o->expect ? o->expect : "a value");
            return -1;
        }
        if (set_value(cmd, name, o, v)) return -1;
    }
    if (o->seen) *o->seen = 1;
    if (o->spelled) *o->spelled = name;
    return 1;
}

static const char *kind_name(cli_opt_kind k)
{
    switch (k) {
    case CLI_OPT_FLAG: return "flag";
    case CLI_OPT_STR: return "str";
    case CLI_OPT_LONG: return "long";
    case CLI_OPT_SIZE: return "size";
    case CLI_OPT_U64: return "u64";
    case CLI_OPT_DOUBLE: return "double";
    case CLI_OPT_CUSTOM: return "custom";
    case CLI_OPT_LIST: return "list";
    case CLI_OPT_CHOICE: return "choice";
    case CLI_OPT_RENAMED: return "renamed";
    }
    return "?";
}

/* --list-options: the table as the parser reads it, one line a spelling (docs/cli.md "One name, one
 * meaning"). tests/cli/test_cli.sh collects it from every command and subcommand and fails when one
 * spelling has two domains: the table itself is what it audits, not the help text about it.
 *   <cmd> TAB <spelling> TAB <other spelling or -> TAB <kind and domain> TAB <expect> */
static void list_options(const char *cmd, const cli_opt *opts, size_t nopts)
{
    for (size_t k = 0; k < nopts; k++) {
        const cli_opt *o = &opts[k];
        char dom[512];
        int L = snprintf(dom, sizeof dom, "%s", kind_name(o->kind));
        if (o->kind == CLI_OPT_LIST) /* then the items' interval */
            L += snprintf(dom + L, sizeof dom - (size_t)L, " of %s %zu..%zu%s", kind_name(o->elem), o->min_n, o->max_n,
                          o->optional ? " or none" : "");
        switch (o->kind) {
        case CLI_OPT_LIST:
        case CLI_OPT_LONG:
        case CLI_OPT_SIZE:
        case CLI_OPT_DOUBLE:
            snprintf(dom + L, sizeof dom - (size_t)L, " %c%.17g, %.17g%c", o->lo_open ? '(' : '[', o->lo, o->hi,
                     o->hi_open ? ')' : ']');
            break;
        case CLI_OPT_CHOICE:
            for (const cli_choice *c = o->choices; c->name && L > 0 && (size_t)L < sizeof dom; c++)
                L += snprintf(dom + L, sizeof dom - (size_t)L, " %s", c->name);
            break;
        case CLI_OPT_RENAMED:
            snprintf(dom + L, sizeof dom - (size_t)L, " to %s", o->alias ? o->alias : "?");
            break;
        default: break;
        }
        const char *ex = o->expect ? o->expect : "-";
        printf("%s\t%s\t%s\t%s\t%s\n", cmd, o->name, o->alias ? o->alias : "-", dom, ex);
        /* a renamed entry's alias is the new name, not another spelling of it */
        if (o->alias && o->kind != CLI_OPT_RENAMED) printf("%s\t%s\t%s\t%s\t%s\n", cmd, o->alias, o->name, dom, ex);
    }
}

int cli_parse(const char *cmd, int argc, char **argv, const cli_opt *opts, size_t nopts, const char **pos,
              size_t maxpos, size_t *npos, void (*usage)(FILE *))
{
    size_t n = 0;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos) {
            if (cli_is_help(a)) {
                usage(stdout);
                return CLI_HELP;
            }
            if (strcmp(a, "--list-options") == 0) {
                /* an audit aid, not a command's work: print the table and stop as --help does
                 * (nothing was opened or written yet; the command returns CLI_HELP, exit 0) */
                list_options(cmd, opts, nopts);
                return CLI_HELP;
            }
            if (strcmp(a, "--") == 0) {
                only_pos = 1;
                continue;
            }
            int r = cli_take(cmd, argc, argv, &i, opts, nopts);
            if (r < 0) return CLI_USAGE;
            if (r > 0) continue;
            if (cli_looks_like_opt(a)) return cli_unknown_opt(cmd, a);
        }
        if (n >= maxpos) {
            if (maxpos == 0) cli_error("%s: expected no arguments, got '%s'", cmd, CLI_SHOW(a));
            else cli_error("%s: expected at most %zu argument%s, got another one: '%s'", cmd, maxpos,
                           maxpos == 1 ? "" : "s", CLI_SHOW(a));
            return CLI_USAGE;
        }
        pos[n++] = a;
    }
    if (npos) *npos = n;
    return CLI_OK;
}

/* The subcommand running ("model info"), for main.c's message when writing the results to stdout fails
 * after the command returned ("lmprob: model: ..." named only the command). The CLI's state, as its list of
 * temporary outputs; the library keeps none. */
static char running_sub[96];

const char *cli_running_name(const char *cmd)
{
    return running_sub[0] ? running_sub : cmd;
}

int cli_subcommand(const char *cmd, int argc, char **argv, const cli_sub *subs, size_t nsubs, void (*usage)(FILE *))
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1])) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t k = 0; k < nsubs; k++)
        if (strcmp(argv[1], subs[k].name) == 0) {
            snprintf(running_sub, sizeof running_sub, "%s %s", cmd, subs[k].name);
            return subs[k].run(argc - 1, argv + 1);
        }
    char list[256] = "";
    size_t used = 0;
    for (size_t k = 0; k < nsubs && used < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k == 0 ? "" : k + 1 == nsubs ? " or " : ", ",
                                 subs[k].name);
    cli_error("%s: unknown subcommand '%s': expected %s", cmd, CLI_SHOW(argv[1]), list);
    return CLI_USAGE;
}

const char *cli_input_name(const char *path)
{
    return !path || strcmp(path, "-") == 0 ? "<stdin>" : path;
}

void cli_note_no_tokens(const char *cmd, const char *path)
{
    fprintf(stderr, "lmprob: %s: note: %s: no sentence to score: the perplexity of 0 tokens is undefined (nan)\n", cmd,
            cli_input_name(path));
}

void cli_stdin_note(const char *cmd, const char *path)
{
    /* once a process: a command that checks its input early and again before reading says it once
     * (the CLI's state, like its list of temporary outputs; the library keeps none) */
    static int said;
    if (said) return;
    if (!isatty(STDIN_FILENO)) return;
    /* "-", or a name of the same terminal (/dev/stdin, /dev/fd/0, /dev/pts/N): they waited in silence */
    struct stat in, named;
    int same = !path || strcmp(path, "-") == 0 ||
               (fstat(STDIN_FILENO, &in) == 0 && stat(path, &named) == 0 && in.st_dev == named.st_dev &&
                in.st_ino == named.st_ino && in.st_rdev == named.st_rdev);
    if (same) {
        fprintf(stderr, "lmprob: %s: reading standard input from the terminal (end it with Ctrl-D; --help for usage)\n",
                cmd);
        said = 1;
    }
}

int cli_seed_check(const char *cmd, int rng_kind, uint64_t seed)
{
    if (rng_kind == LMP_RNG_NUMPY_LEGACY && seed > 0xffffffffu) {
        cli_error("%s: --seed: expected " CLI_DOMAIN_SEED ", got '%llu'", cmd, (unsigned long long)seed);
        return -1;
    }
    return 0;
}

/* ---- the custom parsers of the shared flags ----------------------------------------- */

int cli_opt_rng(const char *v, void *dest)
{
    if (strcmp(v, "xoshiro") == 0) *(lmp_rng_kind *)dest = LMP_RNG_XOSHIRO;
    else if (strcmp(v, "numpy") == 0) *(lmp_rng_kind *)dest = LMP_RNG_NUMPY_LEGACY;
    else return -1;
    return 0;
}

int cli_opt_conv(const char *v, void *dest)
{
    if (strcmp(v, "hf") == 0) *(lmp_sampler_convention *)dest = LMP_CONV_HF;
    else if (strcmp(v, "llama") == 0) *(lmp_sampler_convention *)dest = LMP_CONV_LLAMA;
    else return -1;
    return 0;
}

int cli_opt_dtype(const char *v, void *dest)
{
    if (strcmp(v, "f64") == 0 || strcmp(v, "float64") == 0) *(lmp_sampler_dtype *)dest = LMP_DTYPE_F64;
    else if (strcmp(v, "f32") == 0 || strcmp(v, "float32") == 0) *(lmp_sampler_dtype *)dest = LMP_DTYPE_F32;
    else return -1;
    return 0;
}

int cli_opt_lm_mode(const char *v, void *dest)
{
    if (strcmp(v, "word") == 0) *(lmp_lm_tokens *)dest = LMP_LM_TOKENS_WORD;
    else if (strcmp(v, "char") == 0) *(lmp_lm_tokens *)dest = LMP_LM_TOKENS_CHAR;
    else if (strcmp(v, "byte") == 0) *(lmp_lm_tokens *)dest = LMP_LM_TOKENS_BYTE;
    else if (strcmp(v, "gpt2") == 0) *(lmp_lm_tokens *)dest = LMP_LM_TOKENS_GPT2;
    else return -1;
    return 0;
}

/* "1G", "512M", "64K", "100" (bytes), "10%" of physical memory (as lmplz's -S). */
int cli_opt_memory(const char *s, void *dest)
{
    /* the number is read as every other option's (cli_scan_double): no leading space, no hexadecimal, which
     * strtod took ("0x10M" was 16 MiB, " 1G" 1 GiB, where --seed ' 1' is refused) */
    size_t k = strspn(s, "0123456789.eE+-");
    char num[64];
    double v;
    if (k == 0 || k >= sizeof num) return -1;
    memcpy(num, s, k);
    num[k] = '\0';
    if (cli_scan_double(num, CLI_NUM_FINITE, &v) || !(v >= 0)) return -1;
    const char *end = s + k;
    double mult = 1;
    const int unit = *end != '\0';
    if (*end == '%') {
        long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        if (pages <= 0 || psz <= 0) return -1;
        mult = (double)pages * (double)psz / 100.0;
        end++;
    } else if (*end) {
        switch (*end) {
        case 'b': case 'B': mult = 1; break;
        case 'k': case 'K': mult = 1024.0; break;
        case 'm': case 'M': mult = 1024.0 * 1024; break;
        case 'g': case 'G': mult = 1024.0 * 1024 * 1024; break;
        case 't': case 'T': mult = 1024.0 * 1024 * 1024 * 1024; break;
        default: return -1;
        }
        end++;
        if (*end == 'i' || *end == 'I') end++;
        if (*end == 'b' || *end == 'B') end++;
    }
    if (*end) return -1;
    /* A size other than 0 names its unit: a bare number was bytes here but is KiB to lmplz's -S
     * (KenLM util/usage.cc ParseSize, "like unix sort"), and "0.5" meant 0 bytes, which is no
     * limit at all. One that rounds to no byte (0.1b, 0.0001K) is refused for the same reason. */
    if (v != 0 && (!unit || v * mult < 1)) return -1;
    double b = v * mult;
    if (b > 1.8e19) return -1;
    *(uint64_t *)dest = (uint64_t)b;
    return 0;
}
