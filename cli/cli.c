/* Shared CLI helpers: strict parsing and clear errors (see cli.h). */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("lmprob: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_fail_status(lmp_status st, const lmp_error *err)
{
    if (err && err->msg[0]) cli_error("%s", err->msg);
    else cli_error("%s", lmp_status_str(st));
    return CLI_FAIL;
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_is_opt(const char *arg, const char *name)
{
    size_t L = strlen(name);
    return strncmp(arg, name, L) == 0 && (arg[L] == '\0' || arg[L] == '=');
}

const char *cli_optarg(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i];
    size_t L = strlen(name);
    if (a[L] == '=') return a + L + 1;
    if (*i + 1 >= argc) {
        cli_error("option %s needs a value", name);
        return NULL;
    }
    (*i)++;
    return argv[*i];
}

static int parse_double_tok(const char *s, size_t len, int allow_inf, double *out)
{
    char buf[128];
    if (len == 0 || len >= sizeof buf) return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (end != buf + len) return -1;
    if (isnan(v)) return -1;
    if (isinf(v) && !allow_inf) return -1;
    /* strtod accepts "infinity", "0x1p3": fine; overflow of a finite literal is an error */
    if (errno == ERANGE && isinf(v) && allow_inf == 0) return -1;
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *s, double *out)
{
    if (!s || parse_double_tok(s, strlen(s), 0, out)) {
        cli_error("%s: expected a finite number, got '%s'", opt, s ? s : "");
        return -1;
    }
    return 0;
}

int cli_parse_long(const char *opt, const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || errno) {
        cli_error("%s: expected an integer, got '%s'", opt, s ? s : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') {
        cli_error("%s: expected a non-negative integer, got '%s'", opt, s ? s : "");
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) {
        cli_error("%s: expected a non-negative integer, got '%s'", opt, s);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static int push(double **v, size_t *n, size_t *cap, double x)
{
    if (*n == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        double *nv = realloc(*v, nc * sizeof *nv);
        if (!nv) return -1;
        *v = nv;
        *cap = nc;
    }
    (*v)[(*n)++] = x;
    return 0;
}

int cli_parse_double_list(const char *opt, const char *s, double **out, size_t *n)
{
    double *v = NULL;
    size_t cnt = 0, cap = 0, idx = 0;
    const char *p = s ? s : "";
    for (;;) {
        while (*p == ',' || isspace((unsigned char)*p)) p++;
        if (!*p) break;
        const char *q = p;
        while (*q && *q != ',' && !isspace((unsigned char)*q)) q++;
        double x;
        idx++;
        if (parse_double_tok(p, (size_t)(q - p), 0, &x)) {
            cli_error("%s: item %zu: expected a finite number, got '%.*s'", opt, idx, (int)(q - p), p);
            free(v);
            return -1;
        }
        if (push(&v, &cnt, &cap, x)) { cli_error("out of memory"); free(v); return -1; }
        p = q;
    }
    if (cnt == 0) {
        cli_error("%s: expected a list of numbers, got an empty list", opt);
        free(v);
        return -1;
    }
    *out = v;
    *n = cnt;
    return 0;
}

/* Numbers from a file or stdin, separated by whitespace and/or commas. With
 * rows != NULL every non-blank line is a row and all rows must be as long as
 * the first. */
static int read_numbers(const char *path, int allow_inf, double **out, size_t *n, size_t *rows, size_t *cols)
{
    int is_stdin = strcmp(path, "-") == 0;
    const char *name = is_stdin ? "<stdin>" : path;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    if (!f) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    double *v = NULL;
    size_t cnt = 0, cap = 0, nrows = 0, ncols = 0;
    long first_line = 0;
    char *line = NULL;
    size_t lcap = 0;
    long lineno = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&line, &lcap, f)) >= 0) {
        lineno++;
        size_t in_row = 0;
        const char *p = line;
        for (;;) {
            while (*p && (isspace((unsigned char)*p) || *p == ',')) p++;
            if (!*p) break;
            const char *q = p;
            while (*q && !isspace((unsigned char)*q) && *q != ',') q++;
            double x;
            if (parse_double_tok(p, (size_t)(q - p), allow_inf, &x)) {
                cli_error("%s:%ld: expected a %snumber, got '%.*s'", name, lineno,
                          allow_inf ? "" : "finite ", (int)(q - p), p);
                rc = -1;
                goto done;
            }
            if (push(&v, &cnt, &cap, x)) { cli_error("out of memory"); rc = -1; goto done; }
            in_row++;
            p = q;
        }
        if (!rows || in_row == 0) continue;
        if (nrows == 0) {
            ncols = in_row;
            first_line = lineno;
        } else if (in_row != ncols) {
            cli_error("%s:%ld: row has %zu values: expected %zu (as line %ld)", name, lineno, in_row, ncols,
                      first_line);
            rc = -1;
            goto done;
        }
        nrows++;
    }
    if (ferror(f)) {
        cli_error("%s: read error: %s", name, strerror(errno));
        rc = -1;
    } else if (cnt == 0) {
        cli_error("%s: expected numbers, found none (empty input)", name);
        rc = -1;
    }
done:
    free(line);
    if (!is_stdin) fclose(f);
    if (rc) { free(v); return -1; }
    *out = v;
    *n = cnt;
    if (rows) {
        *rows = nrows;
        *cols = ncols;
    }
    return 0;
}

int cli_read_doubles(const char *path, int allow_inf, double **out, size_t *n)
{
    return read_numbers(path, allow_inf, out, n, NULL, NULL);
}

int cli_read_table(const char *path, double **out, size_t *rows, size_t *cols)
{
    size_t n;
    return read_numbers(path, 0, out, &n, rows, cols);
}

void cli_json_double(FILE *f, double x)
{
    if (isnan(x)) fputs("\"nan\"", f);
    else if (isinf(x)) fputs(x > 0 ? "\"inf\"" : "\"-inf\"", f);
    else fprintf(f, "%.17g", x);
}

void cli_json_doubles(FILE *f, const double *v, size_t n)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        if (i) fputs(", ", f);
        cli_json_double(f, v[i]);
    }
    fputc(']', f);
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

void cli_progress_start(cli_progress *p, const char *label, const char *phase)
{
    p->on = isatty(STDERR_FILENO);
    p->last = 0;
    p->label = label;
    p->phase = phase;
}

void cli_progress_phase(cli_progress *p, const char *phase)
{
    p->phase = phase;
    p->last = 0;
}

void cli_progress_update(void *ctx, double frac)
{
    cli_progress *p = ctx;
    if (!p->on) return;
    if (frac < 1.0 && frac - p->last < 0.01) return;
    p->last = frac;
    fprintf(stderr, "\r%s: %s %3.0f%%", p->label, p->phase, 100.0 * frac);
    if (frac >= 1.0) fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* ---- output files and fatal signals (see cli.h) -------------------------------------- */

enum { CLI_MAX_OUTPUTS = 16 };
static char out_tmp[CLI_MAX_OUTPUTS][4400];
static volatile sig_atomic_t out_used[CLI_MAX_OUTPUTS];
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static void on_fatal_signal(int sig)
{
    for (int i = 0; i < CLI_MAX_OUTPUTS; i++)
        if (out_used[i]) unlink(out_tmp[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_signals_init(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFATAL; i++) sigaddset(&sa.sa_mask, fatal_signals[i]);
    for (size_t i = 0; i < NFATAL; i++) {
        struct sigaction old;
        /* A signal ignored by whoever started us (nohup, SIG_IGN for SIGPIPE) stays ignored. */
        if (sigaction(fatal_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(fatal_signals[i], &sa, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}

/* Registration runs with the fatal signals blocked, so the handler never sees
 * a half-written name. */
static void block_fatal(int how, sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < NFATAL; i++) sigaddset(&set, fatal_signals[i]);
    pthread_sigmask(how, &set, old);
}

int cli_output_watch(const char *tmp)
{
    if (!tmp || !*tmp || strlen(tmp) >= sizeof out_tmp[0]) return -1;
    sigset_t old;
    block_fatal(SIG_BLOCK, &old);
    int slot = -1;
    for (int i = 0; i < CLI_MAX_OUTPUTS && slot < 0; i++)
        if (!out_used[i]) {
            snprintf(out_tmp[i], sizeof out_tmp[i], "%s", tmp);
            out_used[i] = 1;
            slot = i;
        }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return slot;
}

int cli_output_begin(const char *path)
{
    char tmp[sizeof out_tmp[0]];
    if (lmp_atomic_temp_path(path, (long)getpid(), tmp, sizeof tmp, NULL)) return -1;
    return cli_output_watch(tmp);
}

void cli_output_end(int slot)
{
    if (slot < 0 || slot >= CLI_MAX_OUTPUTS) return;
    sigset_t old;
    block_fatal(SIG_BLOCK, &old);
    out_used[slot] = 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}
