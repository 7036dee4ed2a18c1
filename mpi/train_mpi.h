/* The distributed trainer of lmprob-mpi (mpi/train_mpi.c, docs/mpi.md). Built
 * with mpicc into build/lmprob-mpi only: the library and build/lmprob stay free
 * of MPI. */
#ifndef LMPROB_MPI_TRAIN_MPI_H
#define LMPROB_MPI_TRAIN_MPI_H

#include "lmprob.h"

/* Train on `input` with every rank of MPI_COMM_WORLD (MPI initialised by the
 * caller): the same model as lmp_train_model_load(input, p). On rank 0 *m is
 * the model; on the other ranks *m is NULL and LMP_OK is returned. With
 * arpa_output (the interpolated estimators, 2 ranks or more), the ranks write
 * the ARPA file there together while rank 0 merges their pieces, so no rank
 * holds the whole model: *written is then 1 on rank 0, and its *m has the
 * counts, metadata and unigrams only (for the report). On failure
 * every rank returns an error; only the rank that failed (rank 0 for errors
 * every rank sees, such as bad parameters) has a message in err, prefixed
 * with its rank. Not distributed (LMP_EUNSUPPORTED): vocab_file, min_count,
 * vocab_size; stdin input (LMP_EINVAL). A compressed file is read by rank 0
 * alone. Collective: every rank calls it with the same arguments. */
/* The settings the ranks cannot share out (they need global word counts before the ids are fixed):
 * the one rule of mpi_train's refusal and of lmprob-mpi train's usage error (cli/cmd_train.c). Needs
 * no MPI, so the CLI's common code can ask it. */
static inline int mpi_train_not_distributed(const lmp_train_params *p)
{
    return p->vocab_file || p->min_count > 1 || p->vocab_size > 0;
}

lmp_status mpi_train(const char *input, const char *arpa_output, const lmp_train_params *p, lmp_train_model **m,
                     int *written, lmp_error *err);

#endif
