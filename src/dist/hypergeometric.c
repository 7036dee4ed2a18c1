/* Hypergeometric draws: the number of good items among `sample` taken without replacement from an urn
 * of good + bad. numpy's RandomState algorithms, so that the numpy stream gives numpy's draws:
 * - sample <= 10: the urn emptied one draw at a time, one uniform a draw, counting what is left of the
 *   rarer kind; each draw takes one of those with probability (rarer ones left) / (items left);
 * - sample > 10: HRUA, the ratio-of-uniforms method of E. Stadlober, "The ratio of uniforms approach for
 *   generating discrete random variates", J. Comput. Appl. Math. 31 (1990) 181-189, on the rarer kind and
 *   the smaller of the sample and its complement, with the two corrections numpy carries (the rarer
 *   kind's count mapped back to the good ones, and a sample over half the urn drawn as its complement).
 * The urn draws take at most 10 uniforms; HRUA an expected number bounded for every urn. */
#include <limits.h>
#include <math.h>

#include "internal.h"

lmp_status lmp_hypergeometric_sample_check(long good, long bad, long sample, lmp_error *err)
{
    if (good < 0) return lmp_error_set(err, LMP_EINVAL, "ngood = %ld: expected ngood >= 0", good);
    if (bad < 0) return lmp_error_set(err, LMP_EINVAL, "nbad = %ld: expected nbad >= 0", bad);
    if (sample < 1) return lmp_error_set(err, LMP_EINVAL, "nsample = %ld: expected nsample >= 1", sample);
    /* good + bad must be a long (numpy's sum wraps there and then refuses), and HRUA's popsize + 2 too */
    if (good > LONG_MAX - 2 - bad)
        return lmp_error_set(err, LMP_EINVAL, "ngood = %ld, nbad = %ld: expected ngood + nbad < 2^63 - 2", good, bad);
    if (sample > good + bad)
        return lmp_error_set(err, LMP_EINVAL, "nsample = %ld: expected nsample <= ngood + nbad = %ld", sample,
                             good + bad);
    return LMP_OK;
}

/* sample <= 10: y of the rarer kind are left; each draw removes one of them with probability
 * y / (items left), taken as floor(u + y / left), 0 or 1. */
static long urn_draws(lmp_rng *r, long good, long bad, long sample)
{
    const long rest = good + bad - sample; /* items left after the last draw */
    const double rare = (double)(bad < good ? bad : good);
    double y = rare;
    for (long k = sample; y > 0.0;) {
        y -= (double)(long)floor(lmp_rng_uniform(r) + y / (double)(rest + k));
        if (--k == 0) break;
    }
    const long z = (long)(rare - y); /* the rarer kind's count in the sample */
    return good > bad ? sample - z : z;
}

/* log(z! (rare - z)! (m - z)! (common - m + z)!), the part of log f(z) that depends on z (f(z) is
 * C(rare, z) C(common, m - z) / C(rare + common, m)), in numpy's order of terms. */
static double log_denominator(long z, long rare, long common, long m)
{
    return lmp_loggam_numpy_((double)(z + 1)) + lmp_loggam_numpy_((double)(rare - z + 1)) +
           lmp_loggam_numpy_((double)(m - z + 1)) + lmp_loggam_numpy_((double)(common - m + z + 1));
}

/* HRUA: a table mountain hat centred at the mode, of half-width D1 sigma + D2 (Stadlober's constants,
 * D1 = 2 sqrt(2/e), D2 = 3 - 2 sqrt(3/e)), and acceptance against log f(k) - log f(mode) written with
 * numpy's log Gamma (lmp_loggam_numpy_), whose last bits decide the borderline cases. */
static long hrua(lmp_rng *r, long good, long bad, long sample)
{
    const double D1 = 1.7155277699214135, D2 = 0.8989161620588988;
    const long rare = good < bad ? good : bad, common = good < bad ? bad : good, pop = good + bad;
    const long m = sample < pop - sample ? sample : pop - sample; /* the smaller of sample and complement */
    const double p = (double)rare / (double)pop, q = 1.0 - p;
    const double centre = (double)m * p + 0.5;
    const double sigma = sqrt((double)(pop - m) * (double)sample * p * q / (double)(pop - 1) + 0.5);
    const double width = D1 * sigma + D2;
    const long mode = (long)floor((double)(m + 1) * (double)(rare + 1) / (double)(pop + 2));
    const double log_den_mode = log_denominator(mode, rare, common, m);
    /* past 16 sigma the mass is below a double's resolution of the mode's */
    const double lim = (double)(m < rare ? m : rare) + 1.0, tail = floor(centre + 16 * sigma);
    const double top = lim < tail ? lim : tail;
    long z;
    for (;;) {
        const double x = lmp_rng_uniform(r), y = lmp_rng_uniform(r);
        const double w = centre + width * (y - 0.5) / x;
        if (w < 0.0 || w >= top) continue;
        z = (long)floor(w);
        const double t = log_den_mode - log_denominator(z, rare, common, m); /* log f(z) - log f(mode) */
        if (x * (4.0 - x) - 3.0 <= t) break; /* squeeze: surely under the density */
        if (x * (x - t) >= 1) continue;      /* squeeze: surely above it */
        if (2.0 * log(x) <= t) break;        /* log(0) = -inf accepts, as it should */
    }
    if (good > bad) z = m - z;  /* the count of the rarer kind, as a count of good ones */
    if (m < sample) z = good - z; /* the complement's count, as the sample's */
    return z;
}

long lmp_hypergeometric_sample(lmp_rng *r, long good, long bad, long sample)
{
    lmp_error err;
    if (lmp_hypergeometric_sample_check(good, bad, sample, &err) != LMP_OK) return -1;
    return sample > 10 ? hrua(r, good, bad, sample) : urn_draws(r, good, bad, sample);
}
