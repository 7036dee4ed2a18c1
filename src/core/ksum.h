/* Neumaier's compensated sum (Neumaier 1974, "Rundungsfehleranalyse einiger Verfahren zur Summation endlicher
 * Summen"), internal; not installed: the one running sum the library and the CLI use where a sum in order would
 * drift by up to (n - 1) u (entropies, moments at the edges of the range, a softmax's normaliser, a printed
 * probability mass). The vector kernels keep their own lane-wise TwoSum (src/info/vmath_body.h). */
#ifndef LMPROB_CORE_KSUM_H
#define LMPROB_CORE_KSUM_H

#include <math.h>

typedef struct lmp_ksum {
    double s, c; /* the running sum and what its roundings lost */
} lmp_ksum;

static inline void lmp_ksum_add(lmp_ksum *k, double x)
{
    const double t = k->s + x;
    k->c += fabs(k->s) >= fabs(x) ? (k->s - t) + x : (x - t) + k->s;
    k->s = t;
}

/* The sum; an infinite or NaN running sum as it is (an infinite term leaves c NaN: inf - inf) */
static inline double lmp_ksum_value(const lmp_ksum *k)
{
    return isfinite(k->s) ? k->s + k->c : k->s;
}

#endif
