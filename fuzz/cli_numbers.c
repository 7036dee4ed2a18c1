/* Fuzz the CLI's number readers (cli/cli.c) and `lmprob decode`'s logits (cli/cmd_decode.c),
 * linked in without main. The first byte chooses the reader, the rest is its input:
 *   0 cli_parse_double   1 cli_parse_long   2 cli_parse_u64   3 cli_parse_double_list
 *   4 cli_read_doubles (finite)   5 cli_read_doubles (-inf/inf allowed: a logits file)
 *   6 cli_read_table
 *   7 `lmprob decode` with the arguments given one a line ("--logits 1,2,-inf", "--top-k 2", ...):
 *     the inline logits parser and every option's number; -n is fixed at 3 (a large -n is a long
 *     job, not a bug) and stdin is empty.
 * Properties: no crash; what a parser accepts is a finite number (or +-inf where allowed), a
 * table is rows x cols. Run with -close_fd_mask=3: the readers print their errors. */
#include "fuzz.h"

#include <math.h>

#include "cli.h"
#include "commands.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (!freopen("/dev/null", "r", stdin)) abort();
    return 0;
}

static void run_decode(const char *s, size_t n)
{
    char *copy = malloc(n + 1);
    if (!copy) abort();
    memcpy(copy, s, n);
    copy[n] = '\0';
    char *argv[64];
    int argc = 0;
    argv[argc++] = "decode";
    char *save = NULL;
    for (char *tok = strtok_r(copy, "\n", &save); tok && argc < 60; tok = strtok_r(NULL, "\n", &save)) {
        if (strcmp(tok, "-n") == 0 || strncmp(tok, "-n=", 3) == 0) continue;
        argv[argc++] = tok;
    }
    argv[argc++] = "-n";
    argv[argc++] = "3";
    argv[argc] = NULL;
    (void)cmd_decode(argc, argv);
    fflush(stdout);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned which = data[0] % 8;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    char *str = malloc(n + 1); /* the string readers take a C string: up to the first NUL */
    if (!str) abort();
    memcpy(str, s, n);
    str[n] = '\0';
    double d, *v = NULL;
    long l;
    uint64_t u;
    size_t cnt = 0, rows = 0, cols = 0;
    switch (which) {
    case 0:
        if (cli_parse_double("fuzz", str, &d) == 0) FUZZ_CHECK(isfinite(d));
        break;
    case 1:
        (void)cli_parse_long("fuzz", str, &l);
        break;
    case 2:
        (void)cli_parse_u64("fuzz", str, &u);
        break;
    case 3:
        if (cli_parse_double_list("fuzz", str, &v, &cnt) == 0) {
            FUZZ_CHECK(cnt >= 1);
            for (size_t i = 0; i < cnt; i++) FUZZ_CHECK(isfinite(v[i]));
        }
        break;
    case 4:
    case 5:
    case 6: {
        char path[64];
        int fd = fuzz_memfile(s, n, path);
        if (which == 6) {
            const size_t want = n % 3; /* as the first row (0), or a width the caller knows (fit's 2) */
            if (cli_read_table("fuzz", path, want, &v, &rows, &cols) == 0) {
                FUZZ_CHECK(rows >= 1 && cols >= 1 && (want == 0 || cols == want));
                for (size_t i = 0; i < rows * cols; i++) FUZZ_CHECK(isfinite(v[i]));
            }
        } else if (cli_read_doubles("fuzz", path, which == 5, &v, &cnt) == 0) {
            FUZZ_CHECK(cnt >= 1);
            for (size_t i = 0; i < cnt; i++) FUZZ_CHECK(!isnan(v[i]) && (which == 5 || isfinite(v[i])));
        }
        close(fd);
        break;
    }
    default:
        run_decode(s, n);
        break;
    }
    free(v);
    free(str);
    return 0;
}
