/* lmprob: command-line front end. Dispatches to cli/cmd_<name>.c.
 * Exit status: 0 success, 1 failure (bad input, failed check), 2 usage error. */
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
        if (commands[i].fn && strcmp(commands[i].name, argv[1]) == 0) return commands[i].fn(argc - 1, argv + 1);
    cli_error("unknown command '%s' (run 'lmprob --help' for the list)", argv[1]);
    return CLI_USAGE;
}
