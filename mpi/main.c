/* lmprob-mpi: `lmprob train` with the counting spread over MPI ranks
 * (docs/mpi.md). Run under mpirun; every rank gets the same arguments:
 *   mpirun -np 4 build/lmprob-mpi train --order 5 --memory 1G --output m.arpa corpus.txt
 * The options, checks and report are lmprob train's (cli_train_run). */
#include <mpi.h>

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "train_mpi.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: mpirun -np N lmprob-mpi train [lmprob train's options] --output MODEL.arpa TEXT\n"
               "       (lmprob-mpi train --help lists them; docs/mpi.md)\n");
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, rc;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    cli_signals_init(); /* a rank stopped by mpirun (SIGTERM) removes rank 0's temporary model */
    if (argc >= 2 && strcmp(argv[1], "train") == 0) {
        rc = cli_train_run(argc - 1, argv + 1, mpi_train);
    } else if (argc >= 2 && (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0)) {
        if (rank == 0) usage(stdout);
        rc = CLI_OK;
    } else {
        if (rank == 0) {
            if (argc >= 2) cli_error("lmprob-mpi: unknown command '%s': expected train", argv[1]);
            usage(stderr);
        }
        rc = CLI_USAGE;
    }
    MPI_Finalize();
    return rc;
}
