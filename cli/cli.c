/* Shared CLI helpers: strict parsing and clear errors (see cli.h). */
#include "cli.h"
#include "../src/core/outcheck.h"
#include "../src/core/path.h"
#include "../src/ngram/out_name.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* The character at s[0..len) as text, into e (NUL-terminated, at most 7 bytes); returns the bytes it took.
 * A well-formed UTF-8 character and printable ASCII as they are; a control byte, DEL and each byte of an
 * invalid UTF-8 subpart as \xNN (\0, \n, \t, \r by name). In a message (cli_error) a newline and a tab
 * stay as they are, and a backslash too (messages name ARPA's \1-grams); shown as a value (cli_show), a
 * backslash is \\, so that what is shown reads back unambiguously. */
static size_t escape_char(const char *s, size_t len, int in_message, char e[8])
{
    const unsigned char c = (unsigned char)s[0];
    const int k = lmp_utf8_char(s, len);
    if (k > 1) { /* a well-formed character past ASCII, as it is, unless it is invisible */
        /* format characters that show nothing or reorder what follows: a byte-order mark before "464" read as
         * "'464': expected an id" (it looked as if 464 were refused), and the bidirectional controls
         * (U+202A..U+202E, U+2066..U+2069) rearrange the rest of a terminal line */
        const unsigned char *u = (const unsigned char *)s;
        unsigned cp = k == 2 ? (c & 0x1Fu) << 6 | (u[1] & 0x3Fu)
                    : k == 3 ? (c & 0x0Fu) << 12 | (u[1] & 0x3Fu) << 6 | (u[2] & 0x3Fu) : 0;
        if (cp == 0xAD || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202E) ||
            (cp >= 0x2060 && cp <= 0x2069) || cp == 0xFEFF) {
            snprintf(e, 8, "\\u%04X", cp);
            return (size_t)k;
        }
        memcpy(e, s, (size_t)k);
        e[k] = '\0';
        return (size_t)k;
    }
    if (in_message && (c == '\n' || c == '\t' || c == '\\')) e[0] = (char)c, e[1] = '\0';
    else if (c == 0) snprintf(e, 8, "\\0");
    else if (c == '\n') snprintf(e, 8, "\\n");
    else if (c == '\t') snprintf(e, 8, "\\t");
    else if (c == '\r') snprintf(e, 8, "\\r");
    else if (c == '\\') snprintf(e, 8, "\\\\");
    else if (c < 0x20 || c >= 0x7f) snprintf(e, 8, "\\x%02x", c);
    else e[0] = (char)c, e[1] = '\0';
    return 1; /* an invalid subpart is shown a byte at a time */
}

/* A message quotes names and values read from files and arguments (a tensor's name, a config string, a
 * word): its control bytes (an escape sequence acts on the terminal: ESC [2J clears it) and bytes that are
 * not UTF-8 are written as \xNN (escape_char), so that stderr is text whatever the input held. */
void cli_error(const char *fmt, ...)
{
    char small[1024], *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof small && (msg = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    if (!msg) { /* out of memory: the message cut at the first buffer */
        msg = small;
        n = (int)strlen(small);
    }
    /* the line is written whole, in one write where it fits a pipe's atomic size: the ranks of lmprob-mpi
     * share stderr, and a message written in pieces interleaved with another rank's */
    size_t cap = 8 + 4 * (size_t)n + 2, m = 0;
    char line_small[2048], *line = cap <= sizeof line_small ? line_small : malloc(cap);
    if (!line) { /* out of memory: unescaped, as before */
        fprintf(stderr, "lmprob: %s\n", msg);
        if (msg != small) free(msg);
        return;
    }
    memcpy(line, "lmprob: ", 8);
    m = 8;
    for (size_t i = 0; i < (size_t)n;) {
        char e[8];
        i += escape_char(msg + i, (size_t)n - i, 1, e);
        const size_t el = strlen(e);
        memcpy(line + m, e, el);
        m += el;
    }
    line[m++] = '\n';
    fflush(stderr);
    fwrite(line, 1, m, stderr);
    if (line != line_small) free(line);
    if (msg != small) free(msg);
}

const char *cli_lib_msg(const char *cmd, const char *msg)
{
    size_t n = strlen(cmd);
    return strncmp(msg, cmd, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ' ? msg + n + 2 : msg;
}

void cli_error_lib(const char *cmd, const char *msg) { cli_error("%s: %s", cmd, cli_lib_msg(cmd, msg)); }

int cli_fail_status(const char *cmd, lmp_status st, const lmp_error *err)
{
    cli_error_lib(cmd, err && err->msg[0] ? err->msg : lmp_status_str(st));
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

/* Strict number token s[0..len): the whole token must be a number. Returns 0,
 * -1 (not a number, NaN, or an infinity not allowed) or -2 (a finite literal
 * beyond the double range, such as 1e999: strtod would make it +-inf with
 * ERANGE; a literal "inf" is not an overflow). Underflow to a subnormal or 0 is
 * the correctly rounded value and is accepted. */
static int parse_double_tok(const char *s, size_t len, int allow_inf, double *out)
{
    /* A token of any length ("1." and 126 zeros is a number, as numpy reads it): on the stack up to 127
     * bytes, else a copy of its own. Hexadecimal (strtod reads "0x10" as 16) is not a number here, as in
     * numpy's float() and in every other tool that reads these files. */
    char small[128], *buf = len < sizeof small ? small : malloc(len + 1);
    if (len == 0 || !buf || memchr(s, 'x', len) || memchr(s, 'X', len)) {
        if (buf != small) free(buf);
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    int rc = 0;
    if (end != buf + len || isnan(v)) rc = -1;
    else if (isinf(v) && errno == ERANGE) rc = -2;
    else if (isinf(v) && !(allow_inf == CLI_NUM_INF || (allow_inf == CLI_NUM_NEG_INF && v < 0))) rc = -1;
    if (buf != small) free(buf);
    if (rc == 0) *out = v;
    return rc;
}

/* The message for a token that parse_double_tok refused (rc -1 or -2). */
static void number_error(const char *where, int rc, int allow_inf, const char *tok, size_t len)
{
    const char *want = allow_inf == CLI_NUM_INF ? "a number" : allow_inf == CLI_NUM_NEG_INF ? "a finite number or -inf"
                                                                                          : "a finite number";
    char buf[CLI_SHOW_SIZE];
    if (rc == -2)
        cli_error("%s: '%s' is out of the range of a double (magnitude above 1.8e308): expected %s", where,
                  cli_show(buf, sizeof buf, tok, len), want);
    else
        cli_error("%s: expected %s, got '%s'", where, want, cli_show(buf, sizeof buf, tok, len));
}

int cli_parse_double(const char *opt, const char *s, double *out)
{
    int rc = cli_scan_double(s, CLI_NUM_FINITE, out);
    if (rc) number_error(opt, rc, CLI_NUM_FINITE, s ? s : "", s ? strlen(s) : 0);
    return rc ? -1 : 0;
}

int cli_scan_double(const char *s, int allow_inf, double *out)
{
    /* a value as an integer flag takes it: no leading space (strtod skips one: --temperature ' 1' was 1
     * where --top-k ' 1' was refused); a list's items may be spaced ("0.5, 0.5"), its own parser trims them */
    if (!s || isspace((unsigned char)s[0])) return -1;
    return parse_double_tok(s, strlen(s), allow_inf, out);
}

/* strtol/strtoull skip leading white space and take a sign ("  -1" is 2^64 - 1
 * to strtoull): an integer must start with a digit (or '-' and a digit). */
int cli_scan_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1])))) return -1;
    long v = strtol(s, &end, 10);
    if (*end || errno) return -1;
    *out = v;
    return 0;
}

int cli_scan_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !isdigit((unsigned char)s[0])) return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno) return -1;
    *out = (uint64_t)v;
    return 0;
}

int cli_scan_token_id(const char *s, size_t len, lmp_token_id *out)
{
    int64_t v = 0;
    if (len == 0) return -1;
    for (size_t k = 0; k < len; k++) {
        if (s[k] < '0' || s[k] > '9') return -1;
        v = v * 10 + (s[k] - '0');
        if (v > INT32_MAX) return -1; /* before it could overflow: at most 2^31 * 10 + 9 */
    }
    *out = (lmp_token_id)v;
    return 0;
}

int cli_parse_long(const char *opt, const char *s, long *out)
{
    if (cli_scan_long(s, out) == 0) return 0;
    cli_error("%s: expected an integer, got '%s'", opt, s ? s : "");
    return -1;
}

int cli_parse_u64(const char *opt, const char *s, uint64_t *out)
{
    if (cli_scan_u64(s, out) == 0) return 0;
    cli_error("%s: expected a non-negative integer, got '%s'", opt, s ? s : "");
    return -1;
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

/* Lists of numbers, from an option or a file, through one scanner fed a byte
 * at a time: memory stays bounded however long a line is (the current token
 * and the numbers so far). Items are separated by white space and/or one
 * comma; an empty item (",1", "1,,2", "1,") is an error, not skipped. In a
 * file, a line whose first non-blank byte is '#' is a comment (every command
 * that reads numbers from files: stats, fit, info, decode). Messages name the
 * option and item, or the file and line; prefix: "<cmd>: " when given. */
typedef struct numscan {
    const char *name; /* the option, or the file */
    long line;        /* 1-based for a file, 0 for an option */
    int allow_inf;    /* CLI_NUM_* */
    int ids;          /* token ids (cli_scan_token_id) instead of numbers */
    char *tok;        /* the current token, tl bytes (tcap allocated) */
    size_t tl, tcap;
    int item, comma;  /* an item since the last comma; a comma waiting for its item */
    size_t in_row;    /* items so far on this line */
    size_t col;       /* bytes so far on this line */
    int comment;      /* the rest of this line is a comment */
    int nomem;        /* the failure was an allocation's (a list: exit 1, not a usage error) */
    double *v;
    size_t n, cap;
} numscan;

static void ns_where(const numscan *s, char *buf, size_t size, int with_item)
{
    if (s->line && with_item && s->in_row) /* "f:2: item 2": which number of the line */
        snprintf(buf, size, "%s:%ld: item %zu", s->name, s->line, s->in_row + 1);
    else if (s->line) snprintf(buf, size, "%s:%ld", s->name, s->line);
    else if (with_item) snprintf(buf, size, "%s: item %zu", s->name, s->in_row + 1);
    else snprintf(buf, size, "%s", s->name);
}

static int ns_empty_item(const numscan *s)
{
    char where[4200];
    ns_where(s, where, sizeof where, 0);
    cli_error("%s: item %zu is empty: expected a number between the commas", where, s->in_row + 1);
    return -1;
}

/* The current token, if any, becomes a number. */
static int ns_token(numscan *s)
{
    if (!s->tl) return 0;
    double x;
    if (s->ids) {
        lmp_token_id id;
        if (cli_scan_token_id(s->tok, s->tl, &id)) {
            char where[4200];
            size_t len = s->tl < 200 ? s->tl : 200;
            ns_where(s, where, sizeof where, 1);
            cli_error("%s: expected a token id (a decimal integer from 0 to 2147483647), got '%.*s%s'", where, (int)len,
                      s->tok, s->tl > len ? "..." : "");
            return -1;
        }
        x = id; /* exact: an id is below 2^31 */
    }
    int rc = s->ids ? 0 : parse_double_tok(s->tok, s->tl, s->allow_inf, &x);
    if (rc) {
        char where[4200];
        ns_where(s, where, sizeof where, 1);
        number_error(where, rc, s->allow_inf, s->tok, s->tl);
        return -1;
    }
    if (push(&s->v, &s->n, &s->cap, x)) {
        cli_error("%s: out of memory for %zu numbers", s->name, s->n + 1);
        s->nomem = 1;
        return -1;
    }
    s->tl = 0;
    s->item = 1;
    s->comma = 0;
    s->in_row++;
    return 0;
}

static int ns_byte(numscan *s, unsigned char c)
{
    s->col++;
    if (s->comment) return 0;
    if (c == '#' && s->line && s->tl == 0 && s->in_row == 0 && !s->comma) {
        s->comment = 1;
        return 0;
    }
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
        if (ns_token(s)) return -1;
        if (c == ',') {
            if (!s->item) return ns_empty_item(s);
            s->item = 0;
            s->comma = 1;
        }
        return 0;
    }
    if (c == '\0') {
        char where[4200];
        ns_where(s, where, sizeof where, 0);
        cli_error("%s: NUL byte at column %zu: expected text (numbers separated by white space or commas)", where,
                  s->col);
        return -1;
    }
    if (s->tl + 1 >= s->tcap) {
        size_t nc = s->tcap ? 2 * s->tcap : 64;
        char *nt = realloc(s->tok, nc);
        if (!nt) {
            cli_error("%s: out of memory for a token of %zu bytes", s->name, s->tl + 1);
            s->nomem = 1;
            return -1;
        }
        s->tok = nt;
        s->tcap = nc;
    }
    s->tok[s->tl++] = (char)c;
    return 0;
}

/* The end of a line (or of an option's text). */
static int ns_end(numscan *s)
{
    if (ns_token(s)) return -1;
    if (s->comma) return ns_empty_item(s);
    s->item = 0;
    s->comment = 0;
    return 0;
}

/* The list of cli_parse_number_list (ids: token ids instead of numbers). */
static int scan_list(const char *opt, const char *s, int allow_inf, int ids, double **out, size_t *n)
{
    numscan ns = {.name = opt, .allow_inf = allow_inf, .ids = ids};
    for (const char *p = s ? s : ""; *p; p++)
        if (ns_byte(&ns, (unsigned char)*p)) goto fail;
    if (ns_end(&ns)) goto fail;
    if (ns.n == 0) {
        cli_error("%s: expected a list of numbers, got an empty list", opt);
        goto fail;
    }
    /* An option's -0 is 0, as opt.c stores its DOUBLE entries (docs/cli.md, "Values"): a list
     * option such as dist's --cdf echoes its points, and printed "cdf(-0)". */
    for (size_t i = 0; i < ns.n; i++) ns.v[i] += 0.0;
    free(ns.tok);
    *out = ns.v;
    *n = ns.n;
    return 0;
fail:
    free(ns.tok);
    free(ns.v);
    return ns.nomem ? CLI_FAIL : CLI_USAGE;
}

int cli_parse_number_list(const char *opt, const char *s, int allow_inf, double **out, size_t *n)
{
    return scan_list(opt, s, allow_inf, 0, out, n);
}

int cli_parse_id_list(const char *opt, const char *s, lmp_token_id **out, size_t *n)
{
    double *v;
    int rc = scan_list(opt, s, CLI_NUM_FINITE, 1, &v, n);
    if (rc) return rc;
    lmp_token_id *ids = malloc(*n * sizeof *ids);
    if (!ids) {
        cli_error("%s: out of memory for %zu ids", opt, *n);
        free(v);
        return CLI_FAIL;
    }
    for (size_t i = 0; i < *n; i++) ids[i] = (lmp_token_id)v[i];
    free(v);
    *out = ids;
    return 0;
}

int cli_parse_double_list(const char *opt, const char *s, double **out, size_t *n)
{
    return cli_parse_number_list(opt, s, CLI_NUM_FINITE, out, n);
}

int cli_probs_check(const char *cmd, const char *flag, double *p, size_t n, int normalize)
{
    lmp_error e;
    if (lmp_prob_check(p, n, normalize, &e) == LMP_OK) return 0;
    cli_error("%s: %s: %s%s", cmd, flag, e.msg, strstr(e.msg, "summing to 1") ? " (--normalize divides by the sum)" : "");
    return -1;
}

/* The table's shape as its lines end (read_numbers): the first row sets the width unless the caller
 * gave one. */
typedef struct rowscan {
    size_t rows, cols;
    long first_line; /* the line that set cols (0: the caller did) */
} rowscan;

/* The end of a line of numbers: its items checked against the table's width, and the next line begun;
 * -1 (said) on an error. rs NULL: numbers without rows. */
static int line_end(numscan *ns, rowscan *rs)
{
    if (ns_end(ns)) return -1;
    if (rs && ns->in_row > 0) {
        if (rs->cols == 0) {
            rs->cols = ns->in_row;
            rs->first_line = ns->line;
        } else if (ns->in_row != rs->cols) {
            /* a first line of 3 numbers where 'x y' pairs are expected is the wrong one, not the second */
            if (rs->first_line)
                cli_error("%s:%ld: row has %zu value%s: expected %zu (as line %ld)", ns->name, ns->line, ns->in_row,
                          ns->in_row == 1 ? "" : "s", rs->cols, rs->first_line);
            else
                cli_error("%s:%ld: row has %zu value%s: expected %zu", ns->name, ns->line, ns->in_row,
                          ns->in_row == 1 ? "" : "s", rs->cols);
            return -1;
        }
        rs->rows++;
    }
    ns->line++;
    ns->in_row = 0;
    ns->col = 0;
    return 0;
}

/* Numbers from a file or stdin, separated by whitespace and/or commas; a gzip or
 * xz file is read decompressed (the one text reader, core.h). With rows != NULL
 * every non-blank line is a row, and all rows must have want_cols values (0: as
 * many as the first). */
static int read_numbers(const char *cmd, const char *path, int allow_inf, double **out, size_t *n, size_t *rows,
                        size_t *cols, size_t want_cols)
{
    char name[4096]; /* "<cmd>: <file>": every message of the reader names the command first */
    snprintf(name, sizeof name, "%s: %s", cmd, cli_input_name(path));
    lmp_error e;
    lmp_text_reader *in;
    if (lmp_text_reader_open(path, &in, &e)) {
        cli_error("%s: %s", cmd, e.msg);
        return -1;
    }
    numscan ns = {.name = name, .line = 1, .allow_inf = allow_inf};
    rowscan rs = {0, want_cols, 0};
    int rc = 0, cr = 0, first = 1;
    char buf[16384];
    size_t got;
    /* Byte by byte from a bounded buffer: a line of any length costs no more memory than its numbers. */
    do {
        if (lmp_text_reader_read(in, buf, sizeof buf, &got, &e)) {
            cli_error("%s: %s", cmd, e.msg);
            goto fail;
        }
        size_t i = 0;
        /* A UTF-8 byte-order mark at the start (a spreadsheet's "CSV UTF-8" export) is skipped: it was read as
         * part of the first number, and "got '1'" named a token that looked right (the first read fills the
         * buffer unless the text is shorter, so the mark is whole in it) */
        if (first && got >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) i = 3;
        first = 0;
        for (; i < got; i++) {
            unsigned char c = (unsigned char)buf[i];
            /* a CR ends a line, and the LF right after it belongs to that line end (CRLF): a CR alone ended no
             * line, and stats --covariance read "1 2\r3 4\r" as one variable of 4 observations */
            if (cr && c == '\n') {
                cr = 0;
                continue;
            }
            cr = c == '\r';
            if (c == '\n' || c == '\r' ? line_end(&ns, rows ? &rs : NULL) : ns_byte(&ns, c)) goto fail;
        }
    } while (got == sizeof buf);
    if (line_end(&ns, rows ? &rs : NULL)) goto fail; /* the last line, with or without its end */
    if (ns.n == 0) {
        cli_error("%s: expected numbers, found none (empty input)", name);
        goto fail;
    }
    goto done;
fail:
    rc = -1;
done:
    lmp_text_reader_free(in);
    free(ns.tok);
    if (rc) {
        free(ns.v);
        return -1;
    }
    *out = ns.v;
    *n = ns.n;
    if (rows) {
        *rows = rs.rows;
        *cols = rs.cols;
    }
    return 0;
}

int cli_read_doubles(const char *cmd, const char *path, int allow_inf, double **out, size_t *n)
{
    return read_numbers(cmd, path, allow_inf, out, n, NULL, NULL, 0);
}

int cli_read_table(const char *cmd, const char *path, size_t want_cols, double **out, size_t *rows, size_t *cols)
{
    size_t n;
    return read_numbers(cmd, path, 0, out, &n, rows, cols, want_cols);
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
    cli_json_bytes(f, s, strlen(s));
}

void cli_stdout_failed(const char *cmd, int errnum)
{
    cli_error("%s: " CLI_STDOUT_FAILED ": %s", cmd, errnum ? strerror(errnum) : "write error");
}

void cli_json_close_error(FILE *f, const char *close, const char *msg)
{
    fputs(close, f);
    fputs(", \"error\": ", f);
    cli_json_string(f, msg);
    fputs("}\n", f);
}

int cli_quiet; /* --quiet (CLI_OPT_QUIET, opt.h) */

void cli_progress_start(cli_progress *p, const char *label, const char *phase)
{
    p->on = !cli_quiet && isatty(STDERR_FILENO);
    p->shown = -1;
    p->label = label;
    p->phase = phase;
}

void cli_progress_phase(cli_progress *p, const char *phase)
{
    p->phase = phase;
    p->shown = -1;
}

void cli_progress_streams(cli_progress *p, int streams)
{
    if (streams && isatty(STDOUT_FILENO)) p->on = 0;
}

void cli_progress_update(void *ctx, double frac)
{
    cli_progress *p = ctx;
    if (!p->on) return;
    /* drawn when the whole percent changes: a redraw every 0.01 of progress, rounded, drew a percentage twice
     * now and then (11.5 % and 12.4 % both as "12%") */
    int pct = frac >= 1.0 ? 100 : frac > 0.0 ? (int)(100.0 * frac) : 0;
    if (pct == p->shown && frac < 1.0) return;
    /* "lmprob: ppl: scoring  42%": the prefix of the command's errors and notes */
    if (pct != p->shown) fprintf(stderr, "\rlmprob: %s: %s %3d%%", p->label, p->phase, pct);
    p->shown = pct;
    if (frac >= 1.0) fputs("\r\033[K", stderr); /* done: the line goes */
    fflush(stderr);
}

/* ---- output files and fatal signals (see cli.h) -------------------------------------- */

enum { CLI_MAX_OUTPUTS = 16 };
static char out_tmp[CLI_MAX_OUTPUTS][4400];
static volatile sig_atomic_t out_used[CLI_MAX_OUTPUTS];
/* Every signal whose default action ends the process and that a user, a shell or a batch scheduler sends:
 * SIGXCPU is a scheduler's warning before its kill (ulimit -t, Slurm, SGE), SIGQUIT is Ctrl-\, and SIGALRM,
 * SIGUSR1/2, SIGVTALRM and SIGPROF end a process that has no handler. Each left its temporary output behind
 * until the fortieth session (the next run to the same target removed it). SIGXFSZ is ignored instead (a
 * write past ulimit -f then fails with EFBIG and is reported). */
static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGXCPU, SIGALRM, SIGUSR1, SIGUSR2,
                                    SIGVTALRM, SIGPROF};
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])

static void on_fatal_signal(int sig)
{
    for (int i = 0; i < CLI_MAX_OUTPUTS; i++)
        if (out_used[i]) unlink(out_tmp[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* A binary model, safetensors weights and the vocabulary are mapped, not read: a file cut short while
 * mapped (`cp new.bin model.bin` truncates in place; so do rsync --inplace and other hosts over NFS)
 * turns the next read of a page past its new end into SIGBUS, which killed the command with no word.
 * The process still dies by the signal (the mapping cannot be trusted), but says why first, and removes
 * its temporary outputs as for the other fatal signals. write(2): the only output safe in a handler. */
static void on_bus_error(int sig)
{
    static const char msg[] = "lmprob: bus error: a file mapped in memory (a binary model, safetensors weights, a "
                              "vocabulary) was most likely cut short or rewritten in place while in use; nothing "
                              "was written. Replace such files by rename (as lmprob's writers do), not in place\n";
    ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)w;
    on_fatal_signal(sig);
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
    sa.sa_handler = on_bus_error;
    sigaction(SIGBUS, &sa, NULL);
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

void cli_json_bytes(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x80) {
            /* JSON text is UTF-8 (RFC 8259 section 8.1): a well-formed character is copied, and each
             * maximal invalid subpart (a GPT-2 token that is part of a character, a file name in
             * another encoding) becomes one U+FFFD, as Python's errors="replace" reads it. */
            int k = lmp_utf8_char(s + i, len - i);
            if (k > 0) fwrite(s + i, 1, (size_t)k, f);
            else fputs("\\ufffd", f);
            i += (size_t)(k > 0 ? k : -k);
            continue;
        }
        switch (ch) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (ch < 0x20) fprintf(f, "\\u%04x", ch);
            else fputc(ch, f);
        }
        i++;
    }
    fputc('"', f);
}

void cli_json_hex(FILE *f, const char *s, size_t len)
{
    fputc('"', f);
    for (size_t i = 0; i < len; i++) fprintf(f, "%02x", (unsigned char)s[i]);
    fputc('"', f);
}

const char *cli_show(char *buf, size_t size, const char *s, size_t len)
{
    size_t o = 0;
    if (!size) return buf;
    for (size_t i = 0; i < len;) {
        char e[8];
        size_t k = escape_char(s + i, len - i, 0, e);
        size_t el = strlen(e);
        if (o + el + (i + (size_t)k < len ? 4 : 1) > size) { /* no room for this (and "..." after it) */
            snprintf(buf + o, size - o, "%s", size - o > 3 ? "..." : "");
            return buf;
        }
        memcpy(buf + o, e, el);
        o += el;
        i += k;
    }
    buf[o] = '\0';
    return buf;
}

/* ---- whole files and failing early ---------------------------------------------- */

lmp_status cli_file_list_read(const char *list, char ***paths, size_t *n, lmp_error *err)
{
    *paths = NULL;
    *n = 0;
    FILE *f = fopen(list, "r");
    if (!f) return lmp_error_set(err, LMP_EIO, "cannot open the file list %s: %s", list, strerror(errno));
    /* A name a line, read a byte at a time into a path's room: getline grew a line to its length,
     * so @/dev/zero took memory until it ran out (or, under a limit, "got none"). */
    char line[PATH_MAX], **v = NULL;
    size_t len = 0, nv = 0, vcap = 0;
    uint64_t total = 0;
    long ln = 1;
    lmp_status st = LMP_OK;
    for (;;) {
        int c = getc(f);
        if (c == EOF && len == 0) break;
        if (c != EOF && ++total > LMP_READ_MAX) {
            st = lmp_error_set(err, LMP_EFORMAT, "file list %s: more than %zu bytes: expected a list of file names",
                               list, LMP_READ_MAX);
            break;
        }
        if (c != '\n' && c != EOF) {
            if (len == sizeof line - 1) {
                st = lmp_error_set(err, LMP_EFORMAT, "file list %s:%ld: a line longer than %zu bytes: expected one "
                                   "file name a line", list, ln, sizeof line - 1);
                break;
            }
            line[len++] = (char)c;
            continue;
        }
        ln++;
        if (len && line[len - 1] == '\r') len--;
        line[len] = '\0';
        len = 0;
        if (line[0]) {
            if (nv == vcap) {
                size_t nc = vcap ? 2 * vcap : 64;
                char **nvp = realloc(v, nc * sizeof *nvp);
                if (!nvp) {
                    st = lmp_error_set(err, LMP_ENOMEM, "file list %s: out of memory", list);
                    break;
                }
                v = nvp;
                vcap = nc;
            }
            if (!(v[nv] = strdup(line))) {
                st = lmp_error_set(err, LMP_ENOMEM, "file list %s: out of memory", list);
                break;
            }
            nv++;
        }
        if (c == EOF) break;
    }
    if (!st && ferror(f)) st = lmp_error_set(err, LMP_EIO, "reading the file list %s: %s", list, strerror(errno));
    fclose(f);
    if (!st && nv == 0) st = lmp_error_set(err, LMP_EFORMAT, "file list %s: expected one file name a line, got none", list);
    if (st) {
        cli_file_list_free(v, nv);
        return st;
    }
    *paths = v;
    *n = nv;
    return LMP_OK;
}

void cli_file_list_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n && paths; i++) free(paths[i]);
    free(paths);
}

int cli_check_input(const char *cmd, const char *path)
{
    if (!path) return 0;
    cli_stdin_note(cmd, path); /* every input checked here that is the terminal on stdin gets the note */
    if (strcmp(path, "-") == 0) return 0;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        cli_error("%s: %s: cannot open: %s", cmd, path, strerror(errno));
        return -1;
    }
    int mode = S_ISDIR(sb.st_mode) ? R_OK | X_OK : R_OK;
    if (access(path, mode) != 0) {
        cli_error("%s: %s: cannot open: %s", cmd, path, strerror(errno));
        return -1;
    }
    return 0;
}

/* stat of an input ("-": standard input); 0 on success */
static int input_stat(const char *path, struct stat *sb)
{
    return strcmp(path, "-") == 0 ? fstat(STDIN_FILENO, sb) : stat(path, sb);
}

/* A pipe, FIFO or socket: what was read from it is gone. */
static int read_once(const char *path)
{
    struct stat sb;
    return strcmp(path, "-") == 0 || (input_stat(path, &sb) == 0 && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode)));
}

int cli_inputs_once(const char *cmd, const char *const *what, const char *const *paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; paths[i] && j < n; j++) {
            if (!paths[j]) continue;
            if (strcmp(paths[i], "-") == 0 && strcmp(paths[j], "-") == 0) {
                cli_error("%s: %s and %s are both standard input ('-'): expected it for at most one of them "
                          "(it can be read once)", cmd, what[i], what[j]);
                return CLI_USAGE;
            }
            struct stat a, b;
            if (input_stat(paths[i], &a) == 0 && (S_ISFIFO(a.st_mode) || S_ISSOCK(a.st_mode)) &&
                input_stat(paths[j], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
                cli_error("%s: %s '%s' and %s '%s' are the same pipe: expected it for at most one of them "
                          "(it can be read once)", cmd, what[i], paths[i], what[j], paths[j]);
                return CLI_USAGE;
            }
        }
    return CLI_OK;
}

int cli_input_rereadable(const char *cmd, const char *what, const char *path, const char *why)
{
    if (!path || !read_once(path)) return CLI_OK;
    cli_error("%s: %s '%s': %s, and %s can be read once: expected a file", cmd, what, path, why,
              strcmp(path, "-") == 0 ? "standard input" : "a pipe");
    return CLI_USAGE;
}

int cli_output_is_stdout(const char *path)
{
    if (!path) return 0;
    if (strcmp(path, "-") == 0) return 1;
    struct stat a, b;
    return stat(path, &a) == 0 && fstat(STDOUT_FILENO, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int cli_check_binary_stdout(const char *cmd, const char *what, const char *out)
{
    if (!out || strcmp(out, "-") != 0 || !isatty(STDOUT_FILENO)) return 0;
    cli_error("%s: %s writes binary: redirect stdout or give -o FILE", cmd, what);
    return -1;
}

char *cli_join_command(int argc, char **argv)
{
    size_t n = 16;
    for (int i = 0; i < argc; i++) n += 4 * strlen(argv[i]) + 3;
    char *s = malloc(n), *w = s;
    if (!s) return NULL;
    w += sprintf(w, "lmprob");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int plain = *a != 0;
        for (const char *c = a; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                  strchr("-_./=:,+%@", *c)))
                plain = 0;
        *w++ = ' ';
        if (plain) {
            w += sprintf(w, "%s", a);
            continue;
        }
        *w++ = '\'';
        for (const char *c = a; *c; c++) {
            if (*c == '\'') {
                memcpy(w, "'\\''", 4);
                w += 4;
            } else *w++ = *c;
        }
        *w++ = '\'';
    }
    *w = 0;
    return s;
}

/* The rule is the library's (src/ngram/out_name.h), which the Python module follows too. */
int cli_model_out_format(const char *path) { return (int)ng_out_format_of(path); }

int cli_model_out_check(const char *cmd, const char *path)
{
    char why[256];
    if (!path || !ng_out_refusal(path, NG_OUT_BY_NAME, why, sizeof why)) return CLI_OK;
    cli_error("%s: %s: %s", cmd, path, why);
    return CLI_USAGE;
}

int cli_check_output(const char *cmd, const char *path)
{
    return cli_check_output_from(cmd, path, NULL, 0) == CLI_OK ? 0 : -1;
}

/* Standard output appended to one of the inputs (`lmprob tokenize f >> f`): a command that streams would
 * read its own output back for ever, until the disk is full. Refused as cat refuses it: standard output a
 * regular file that is an input which is not empty (`> f` empties it first: nothing to read back). */
int cli_check_output_from(const char *cmd, const char *path, const char *const *inputs, size_t n)
{
    char why[8500];
    if (lmp_output_conflict(path, inputs, n, why, sizeof why)) {
        cli_error("%s: %s", cmd, why);
        return CLI_USAGE;
    }
    if (!path || strcmp(path, "-") == 0) return CLI_OK;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        cli_error("%s: %s: is a folder: expected a file name to write", cmd, path);
        return CLI_FAIL;
    }
    /* A device or FIFO is written in place by lmp_atomic_open: opening a FIFO
     * here would wait for its reader, then end the reader's input. */
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (access(path, W_OK) == 0) return CLI_OK;
        cli_error("%s: output: %s: cannot write: %s", cmd, path, strerror(errno));
        return CLI_FAIL;
    }
    /* The real test: create the temporary file the atomic writer will use, then remove it. */
    lmp_atomic_file af;
    lmp_error err;
    if (lmp_atomic_open(&af, path, &err)) {
        /* err.msg already starts with the path (lmp_error_set_at) */
        cli_error("%s: output: %s", cmd, err.msg);
        return CLI_FAIL;
    }
    lmp_atomic_abort(&af);
    return CLI_OK;
}

int cli_check_output_dir(const char *cmd, const char *dir)
{
    struct stat sb;
    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            cli_error("%s: %s: not a folder: expected a folder to write into", cmd, dir);
            return -1;
        }
        if (access(dir, W_OK | X_OK) != 0) {
            cli_error("%s: cannot write into the folder %s: %s", cmd, dir, strerror(errno));
            return -1;
        }
        return 0;
    }
    /* Not there yet: its parent must take a new folder. */
    char parent[4200];
    lmp_path_parent(dir, parent, sizeof parent);
    if (stat(parent, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(parent, W_OK | X_OK) != 0) {
        cli_error("%s: cannot create the folder %s: %s is not a writable folder", cmd, dir, parent);
        return -1;
    }
    return 0;
}

int cli_write_model(const char *cmd, const lmp_train_model *m, const char *path, int format, const char *command,
                    lmp_ngram **keep)
{
    if (keep) *keep = NULL;
    lmp_error err = {0};
    lmp_ngram *g = NULL;
    lmp_status st = lmp_ngram_create_from_train(m, &g, &err);
    if (!st && command) st = lmp_ngram_meta_set(g, LMP_NGRAM_META_COMMAND, command, &err);
    if (!st) {
        lmp_ngram_write_params wp = {LMP_ARPA_ORDER_CONTEXT, NULL, NULL}; /* as lmp_train_write_arpa */
        int slot = cli_output_begin(path);
        st = format == 1   ? lmp_ngram_write_binary(g, path, &err)
             : format == 2 ? lmp_ngram_write_trie(g, path, NULL, &err)
                           : lmp_ngram_write_arpa(g, path, &wp, &err);
        cli_output_end(slot);
    }
    if (!st && keep) *keep = g;
    else lmp_ngram_free(g);
    if (st) {
        cli_error("%s: %s", cmd, err.msg);
        return -1;
    }
    return 0;
}

/* ---- the GPT-2 vocabulary ----------------------------------------------------- */

/* The library's rule for a folder with a vocabulary (lmp_lm_probe_path), not a second list of file names. */
static int has_vocab(const char *dir) { return lmp_lm_probe_path(dir) == LMP_LM_PATH_GPT2_VOCAB; }

static lmp_tokenizer *load_vocab(const char *cmd, const char *path)
{
    lmp_tokenizer *tok = NULL;
    lmp_error err;
    lmp_error_clear(&err);
    if (lmp_tokenizer_load(path, &tok, &err) != LMP_OK) {
        cli_error("%s: GPT-2 vocabulary: %s", cmd, err.msg);
        return NULL;
    }
    return tok;
}

lmp_tokenizer *cli_gpt2_load(const char *cmd, const char *vocab)
{
    return cli_gpt2_load_at(cmd, vocab, NULL, 0);
}

/* The places a default vocabulary is looked for, beside the binary (cand: 3 of them); how many. */
static int vocab_candidates(char cand[3][4200])
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(cand[0], sizeof cand[0], "%s/gpt2", exe);
    snprintf(cand[1], sizeof cand[1], "%s/../gpt2", exe);
    snprintf(cand[2], sizeof cand[2], "%s/../share/lmprob/gpt2", exe);
    return 3;
}

const char *cli_gpt2_vocab_path(const char *vocab, char *where, size_t size)
{
    const char *env = getenv(CLI_GPT2_VOCAB_ENV);
    if (!vocab && env && *env) vocab = env;
    if (vocab) {
        /* one file of a pair (encoder.json, vocab.json, ...) is read with its partner beside it: the folder */
        const char *slash = strrchr(vocab, '/'), *name = slash ? slash + 1 : vocab;
        struct stat sb;
        int pair = strcmp(name, "encoder.json") == 0 || strcmp(name, "vocab.bpe") == 0 ||
                   strcmp(name, "vocab.json") == 0 || strcmp(name, "merges.txt") == 0;
        if (pair && stat(vocab, &sb) == 0 && S_ISREG(sb.st_mode)) lmp_path_parent(vocab, where, size);
        else snprintf(where, size, "%s", vocab);
        return where;
    }
    char cand[3][4200];
    int ncand = vocab_candidates(cand);
    for (int i = 0; i < ncand; i++)
        if (has_vocab(cand[i])) {
            snprintf(where, size, "%s", cand[i]);
            return where;
        }
    return NULL;
}

lmp_tokenizer *cli_gpt2_load_at(const char *cmd, const char *vocab, char *where, size_t size)
{
    char path[4200];
    if (cli_gpt2_vocab_path(vocab, path, sizeof path)) {
        if (where && size) snprintf(where, size, "%s", path);
        return load_vocab(cmd, path);
    }
    char cand[3][4200];
    int ncand = vocab_candidates(cand);
    cli_error("%s: no GPT-2 vocabulary found: expected --gpt2-vocab DIR (tokenizer.json, encoder.json + vocab.bpe, "
              "vocab.json + merges.txt, or a .tiktoken rank file), $%s, or one of %s, %s, %s (`make` puts it in "
              "build/gpt2, `make install` in PREFIX/share/lmprob/gpt2)",
              cmd, CLI_GPT2_VOCAB_ENV, ncand > 0 ? cand[0] : "<binary>/gpt2", ncand > 1 ? cand[1] : "<binary>/../gpt2",
              ncand > 2 ? cand[2] : "<binary>/../share/lmprob/gpt2");
    return NULL;
}
