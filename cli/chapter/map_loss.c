/* The chapter's map_loss verbatim (block b05), kept to show its bug beside the
 * library's lmp_map_loss: np.mean over the N*V entries divides the NLL by V too. */
#include <math.h>

#include "experiment.h"

lmp_status ch_map_loss(const double *pred, const double *targets, size_t N, size_t V, const double *w, size_t nw,
                       double lambda, lmp_prior prior, double *loss, lmp_error *err)
{
    double right;
    /* The library's loss checks every argument; the chapter's formula only runs on what it accepts. */
    lmp_status st = lmp_map_loss(pred, targets, N, V, w, nw, lambda, prior, &right, err);
    if (st) return st;
    double nll = 0.0, reg = 0.0;
    for (size_t i = 0; i < N * V; i++) nll -= targets[i] * log(pred[i] + 1e-9);
    for (size_t j = 0; j < nw; j++) reg += prior == LMP_PRIOR_GAUSSIAN ? w[j] * w[j] : fabs(w[j]);
    *loss = nll / (double)(N * V) + lambda * reg;
    return LMP_OK;
}
