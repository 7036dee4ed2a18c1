/* lmprob: command-line front end. Dispatches to cli/cmd_<name>.c.
 * Exit status: 0 success, 1 failure (bad input, failed check), 2 usage error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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
            "common options: --json (machine-readable output), --seed S (default %d), --help\n"
            "  lmprob --version\n",
            CLI_DEFAULT_SEED);
}

/* Results printed to stdout are output too: a failed write (a full disk, a
 * closed pipe with SIGPIPE ignored, a file-size limit) makes the command fail
 * with a message instead of exiting 0 with a cut result. */
static int stdout_checked(const char *cmd, int rc)
{
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == CLI_OK) { /* a command that failed said why */
        cli_error("%s: writing the results to standard output failed: %s", cmd,
                  errno ? strerror(errno) : "write error");
        rc = CLI_FAIL;
    }
    return rc;
}

int main(int argc, char **argv)
{
    cli_signals_init();
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char *hargv[] = {argv[2], "--help", NULL};
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (commands[i].fn && strcmp(commands[i].name, argv[2]) == 0) return commands[i].fn(2, hargv);
        }
        usage(stdout);
        return CLI_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("lmprob %s\n", lmp_version());
        return CLI_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (commands[i].fn && strcmp(commands[i].name, argv[1]) == 0)
            return stdout_checked(argv[1], commands[i].fn(argc - 1, argv + 1));
    cli_error("unknown command '%s' (run 'lmprob --help' for the list)", argv[1]);
    return CLI_USAGE;
}
