/* lmprob: command-line front end. Dispatches to cli/cmd_<name>.c.
 * Exit status: 0 success, 1 failure (bad input, failed check), 2 usage error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

typedef struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

#define LMP_CMD_ENTRY(name, summary) {#name, cmd_##name, summary},
static const command commands[] = {LMP_COMMANDS(LMP_CMD_ENTRY)};
#undef LMP_CMD_ENTRY
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fprintf(f,
            "lmprob %s: probability, statistics, information theory and n-gram language models\n"
            "\n"
            "usage: lmprob <command> [options]     (lmprob <command> --help for each)\n"
            "\n"
            "commands:\n",
            lmp_version());
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].fn) fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "common options, the same in every command that has them: --help (every command, with an\n"
            "example); --json (machine-readable output: every command that prints numbers); --seed S\n"
            "(default %d) and --rng numpy (every command that draws random numbers); -o FILE, short for\n"
            "--output FILE (every command that writes a file); --quiet (every command that shows a\n"
            "progress line on a terminal: no such line; train: no summary either)\n"
            "  lmprob --version\n",
            CLI_DEFAULT_SEED);
}

/* A command's result as the exit status: CLI_HELP (cli_parse printed the usage) is a success. */
static int exit_status(int rc)
{
    return rc == CLI_HELP ? CLI_OK : rc;
}

/* Results printed to stdout are output too: a failed write (a full disk, a
 * closed pipe with SIGPIPE ignored, a file-size limit) makes the command fail
 * with a message instead of exiting 0 with a cut result. */
static int stdout_errno; /* errno of the first failed write to stdout; 0 until then (sticky_write) */

static int stdout_checked(const char *cmd, int rc)
{
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == CLI_OK) { /* a command that failed said why */
        /* the reason of the write that failed, which may be long before this flush (chapter >/dev/full: the
         * flush found nothing left to write, errno 0, and the message said only "write error") */
        const int e = errno ? errno : stdout_errno;
        cli_stdout_failed(cli_running_name(cmd), e);
        rc = CLI_FAIL;
    }
    return rc;
}

/* stdout through a stream whose first failed write fails every later one.
 * glibc drops a buffer it could not write and goes on with the next, so a
 * result streamed to a full disk (ppl --per-token) had a hole in the middle;
 * with this, what reached the file is a prefix of the result, and the command
 * still ends with exit 1 and a message (stdout_checked). */

static ssize_t sticky_write(void *cookie, const char *buf, size_t n)
{
    (void)cookie;
    size_t done = 0;
    while (!stdout_errno && done < n) {
        ssize_t k = write(STDOUT_FILENO, buf + done, n - done);
        if (k >= 0) done += (size_t)k;
        else if (errno != EINTR) stdout_errno = errno;
    }
    if (done == n) return (ssize_t)n;
    if (done) return (ssize_t)done; /* glibc comes back for the rest and gets the error */
    /* 0, never -1 (fopencookie(3): "must not return a negative value"): glibc's block write took the -1
     * for (size_t)-1 bytes written and copied from past the caller's buffer (gpt2 logits --output - of
     * 402,056 bytes into /dev/full: a segmentation fault) */
    errno = stdout_errno;
    return 0;
}

/* The sanitized build (make SAN=1): LeakSanitizer's check at exit scans no global data.
 * Each start of the sanitized CLI paid about 1,300 page faults for that scan (2,560
 * against 1,273 without it), nearly all in the sanitizer runtime's own zero-filled
 * tables (its stack depot alone is 4.4 MB): 16 of the 44 ms an empty `lmprob --help`
 * took, and make test starts that CLI about 1,400 times (docs/DEVELOPING.md, "Tests"). The check is no weaker for it: a block the
 * CLI still holds at exit through a global now counts as leaked instead of reachable,
 * so it is stricter, and nothing of the CLI's is held that way (close_std_streams).
 * gcc only: clang's shared ASan runtime loads libstdc++, whose emergency exception
 * pool (72 KB, allocated at start, held in a global) would then be a leak. */
#if defined(__SANITIZE_ADDRESS__) && !defined(__clang__)
const char *__lsan_default_options(void);
__attribute__((visibility("default"))) const char *__lsan_default_options(void) { return "use_globals=0"; }
#endif

static FILE *plain_stdout;

/* At exit, what glibc allocated for the standard streams is given back: the
 * sticky stream is closed (stdout is glibc's own again) and so is stdin, whose
 * buffer glibc allocates at the first read. The sanitized build's leak check
 * does not scan global data (__lsan_default_options above), and a block held only through
 * stdout or stdin would count as a leak there. */
static void close_std_streams(void)
{
    if (plain_stdout) {
        FILE *f = stdout;
        stdout = plain_stdout;
        fclose(f);
    }
    fclose(stdout); /* glibc's own: its buffer, when the sticky stream could not be made */
    fclose(stdin);
}

static void sticky_stdout(void)
{
    cookie_io_functions_t io = {NULL, sticky_write, NULL, NULL};
    FILE *f = fopencookie(NULL, "w", io);
    if (!f) return; /* then plain stdout */
    setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ); /* glibc: BUFSIZ (8 KiB) */
    plain_stdout = stdout;
    stdout = f;
}

int main(int argc, char **argv)
{
    cli_signals_init();
    sticky_stdout();
    atexit(close_std_streams);
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char *hargv[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (commands[i].fn && strcmp(commands[i].name, argv[2]) == 0)
                    return stdout_checked(argv[2], exit_status(commands[i].fn(2, hargv)));
        }
        usage(stdout); /* checked as every command's output (`lmprob --help > /dev/full` said nothing, exit 0) */
        return stdout_checked("--help", CLI_OK);
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("lmprob %s\n", lmp_version());
        return stdout_checked("--version", CLI_OK);
    }
    if (argv[1][0] == '-' && argv[1][1]) { /* an option before any command: not a command's name */
        cli_error("unknown option '%s': expected a command first (run 'lmprob --help' for the list)", argv[1]);
        return CLI_USAGE;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].fn && strcmp(commands[i].name, argv[1]) == 0)
            return stdout_checked(argv[1], exit_status(commands[i].fn(argc - 1, argv + 1)));
    cli_error("unknown command '%s' (run 'lmprob --help' for the list)", argv[1]);
    return CLI_USAGE;
}
