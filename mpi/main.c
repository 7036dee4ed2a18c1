/* lmprob-mpi: `lmprob train` with the counting spread over MPI ranks
 * (docs/mpi.md). Run under mpirun; every rank gets the same arguments:
 *   mpirun -np 4 build/lmprob-mpi train --order 5 --memory 1G --output m.arpa corpus.txt
 * The options, checks and report are lmprob train's (cli_train_run). */
#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "train_mpi.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: mpirun -np N lmprob-mpi train [lmprob train's options] --output MODEL.arpa TEXT\n"
               "       (lmprob-mpi train --help lists them; docs/mpi.md)\n");
}

/* Every rank parses and checks the options (each needs them), so a usage error or --help was printed once
 * per rank, the copies interleaved. Ranks other than 0 write what they print before training into a
 * temporary file instead; before training (or instead of it) the ranks agree in one collective whether
 * some rank stopped, and whether rank 0 did: a rank that stopped alone (a file only rank 0 can read,
 * on another node) then prints its words, and the ranks that passed stop quietly instead of waiting in
 * the trainer's collectives for a rank that is gone. One process: a program's own state, not the
 * library's. */
static struct {
    int rank;
    FILE *held;          /* ranks > 0: their stdout and stderr until the agreement */
    int out, err;        /* the real ones, dup'ed */
    int agreed;
    int stop_rc;         /* the agreement's exit status for the ranks that did not train (the largest) */
} g_mpi = {0, NULL, -1, -1, 0, 0};

/* What a rank held, from its start, to the file descriptor fd (its real stderr). */
static void write_held(int fd)
{
    char buf[4096];
    ssize_t n;
    if (lseek(fileno(g_mpi.held), 0, SEEK_SET) != 0) return;
    while ((n = read(fileno(g_mpi.held), buf, sizeof buf)) > 0)
        if (write(fd, buf, (size_t)n) != n) break;
}

/* A rank that ends before the agreement by exit(), Open MPI's "errors are fatal" among them (an allocation
 * failing inside the agreement's own MPI_Allreduce), would take what it held with it: its message, and Open
 * MPI's, went nowhere. At exit what is still held goes to the real stderr (no MPI call: MPI may be gone). */
static void held_at_exit(void)
{
    if (!g_mpi.held || g_mpi.agreed) return;
    fflush(stdout);
    fflush(stderr);
    dprintf(g_mpi.err, "lmprob-mpi: rank %d ended before the ranks agreed to train:\n", g_mpi.rank);
    write_held(g_mpi.err);
}

static void hold_output(void)
{
    if (g_mpi.rank == 0 || !(g_mpi.held = tmpfile())) return;
    fflush(stdout);
    fflush(stderr);
    g_mpi.out = dup(STDOUT_FILENO);
    g_mpi.err = dup(STDERR_FILENO);
    dup2(fileno(g_mpi.held), STDOUT_FILENO);
    dup2(fileno(g_mpi.held), STDERR_FILENO);
    atexit(held_at_exit);
}

/* Back to the real stdout and stderr; with show, what was held goes to stderr first. */
static void release_output(int show)
{
    if (!g_mpi.held) return;
    fflush(stdout);
    fflush(stderr);
    dup2(g_mpi.out, STDOUT_FILENO);
    dup2(g_mpi.err, STDERR_FILENO);
    close(g_mpi.out);
    close(g_mpi.err);
    if (show) { /* which rank: on a cluster, which node lacks the file ("train: x.txt: cannot open" did not say) */
        int size = 0;
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        fprintf(stderr, "lmprob-mpi: rank %d of %d stopped before training:\n", g_mpi.rank, size);
        fflush(stderr);
        write_held(STDERR_FILENO);
    }
    fclose(g_mpi.held);
    g_mpi.held = NULL;
}

/* The one collective of the agreement: stopped = this rank did not reach the trainer, rc its exit status
 * then (0 for --help). Returns 1 when the ranks may train (none stopped). Every rank that does not train
 * exits with the largest status of those that stopped: a usage error on one rank exited 2 there and 1 on
 * the others, and mpirun's status was whichever rank ended first. */
static int agree(int stopped, int rc)
{
    int mine[3] = {stopped, g_mpi.rank == 0 && stopped, stopped ? rc : 0}, all[3];
    MPI_Allreduce(mine, all, 3, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    g_mpi.agreed = 1;
    g_mpi.stop_rc = all[2];
    /* a rank that stopped alone says why; when rank 0 stopped too, rank 0 has said it */
    release_output(stopped && !all[1]);
    return !all[0];
}

static lmp_status train_agreed(const char *input, const char *arpa_output, const lmp_train_params *p,
                               lmp_train_model **m, int *written, lmp_error *err)
{
    if (!agree(0, 0)) {
        *m = NULL;
        err->msg[0] = '\0'; /* another rank reported: exit 1 quietly */
        return LMP_EINVAL;
    }
    return mpi_train(input, arpa_output, p, m, written, err);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rc;
    MPI_Comm_rank(MPI_COMM_WORLD, &g_mpi.rank);
    cli_signals_init(); /* a rank stopped by mpirun (SIGTERM) removes rank 0's temporary model */
    if (argc >= 2 && strcmp(argv[1], "train") == 0) {
        hold_output();
        rc = cli_train_run(argc - 1, argv + 1, train_agreed, 1);
        if (!g_mpi.agreed) agree(1, rc == CLI_HELP ? 0 : rc); /* stopped before training: --help, or a check */
        if (rc != CLI_OK && rc != CLI_HELP && g_mpi.stop_rc > rc) rc = g_mpi.stop_rc;
        if (rc == CLI_HELP) { /* cli_parse printed lmprob train's usage: a success, as in lmprob (exit 255 was) */
            if (g_mpi.rank == 0)
                printf("\nlmprob-mpi runs it on every rank of an MPI job (docs/mpi.md):\n"
                       "example: mpirun -np 2 lmprob-mpi train --order 5 --output ptb5.arpa ptb.train.txt\n"
                       "         (more ranks than cores or slots: mpirun --oversubscribe -np 4 ...)\n");
            rc = CLI_OK;
        }
    } else if (argc >= 2 && (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0)) {
        if (g_mpi.rank == 0) usage(stdout);
        rc = CLI_OK;
    } else {
        if (g_mpi.rank == 0) {
            if (argc >= 2) cli_error("lmprob-mpi: unknown command '%s': expected train", argv[1]);
            usage(stderr);
        }
        rc = CLI_USAGE;
    }
    MPI_Finalize();
    return rc;
}
