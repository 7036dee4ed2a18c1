/* Moments: pairwise sums, mean, variance, central moments, skewness, kurtosis,
 * and the streaming (mergeable) accumulator.
 *
 * The sums reproduce numpy's pairwise summation (numpy/core/src/umath/
 * loops_utils.h: DOUBLE_pairwise_sum): blocks of at most 128 values are summed
 * with 8 interleaved partial sums, larger ranges are split in two at n/2 rounded
 * down to a multiple of 8. This gives numpy's bits for np.sum/np.mean/np.var on
 * contiguous data, an O(eps log n) error bound (Higham 2002, sec. 4.2), and a
 * loop the compiler can vectorise without -ffast-math (the 8 partial sums are
 * independent). */
#include <math.h>
#include <string.h>

#include "lmprob/stats.h"

#define PW_BLOCK 128

/* The leaf kernels: one per term, so that each inner loop is branch-free. */
enum term { T_X, T_D2, T_D3, T_D4 };

static inline double term_of(double v, double m, enum term t)
{
    double d;
    switch (t) {
    case T_X: return v;
    case T_D2: d = v - m; return d * d;
    case T_D3: d = v - m; return (d * d) * d;      /* scipy: s = d**2; s *= d */
    default: d = v - m; { double s = d * d; return s * s; }  /* scipy: (d**2)**2 */
    }
}

static double pw_leaf(const double *a, size_t n, double m, enum term t)
{
    if (n < 8) {
        double res = 0.0;
        for (size_t i = 0; i < n; i++) res += term_of(a[i], m, t);
        return res;
    }
    double r0 = term_of(a[0], m, t), r1 = term_of(a[1], m, t), r2 = term_of(a[2], m, t),
           r3 = term_of(a[3], m, t), r4 = term_of(a[4], m, t), r5 = term_of(a[5], m, t),
           r6 = term_of(a[6], m, t), r7 = term_of(a[7], m, t);
    size_t i, lim = n - (n % 8);
    for (i = 8; i < lim; i += 8) {
        r0 += term_of(a[i + 0], m, t);
        r1 += term_of(a[i + 1], m, t);
        r2 += term_of(a[i + 2], m, t);
        r3 += term_of(a[i + 3], m, t);
        r4 += term_of(a[i + 4], m, t);
        r5 += term_of(a[i + 5], m, t);
        r6 += term_of(a[i + 6], m, t);
        r7 += term_of(a[i + 7], m, t);
    }
    double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += term_of(a[i], m, t);
    return res;
}

/* The two hot leaves (sum of x, sum of (x - m)^2) with the 8 partial sums held
 * in four 2-lane vectors: lanes of a0, a1, a2, a3 are the partial sums r0..r7 of
 * pw_leaf, so every addition is the same as there (same bits), but the compiler
 * emits packed SSE2 adds without -ffast-math (GCC/Clang vector extensions). */
#if defined(__GNUC__)
typedef double v2d __attribute__((vector_size(16), aligned(8)));

/* Unaligned 2-double load; a macro so no function passes vectors around. */
#define LOAD2(v, p) memcpy(&(v), (p), sizeof(v))

static double leaf_x(const double *a, size_t n)
{
    if (n < 8) return pw_leaf(a, n, 0.0, T_X);
    v2d a0, a1, a2, a3, t0, t1, t2, t3;
    LOAD2(a0, a);
    LOAD2(a1, a + 2);
    LOAD2(a2, a + 4);
    LOAD2(a3, a + 6);
    size_t i, lim = n - (n % 8);
    for (i = 8; i < lim; i += 8) {
        LOAD2(t0, a + i);
        LOAD2(t1, a + i + 2);
        LOAD2(t2, a + i + 4);
        LOAD2(t3, a + i + 6);
        a0 += t0;
        a1 += t1;
        a2 += t2;
        a3 += t3;
    }
    double res = ((a0[0] + a0[1]) + (a1[0] + a1[1])) + ((a2[0] + a2[1]) + (a3[0] + a3[1]));
    for (; i < n; i++) res += a[i];
    return res;
}

static double leaf_d2(const double *a, size_t n, double m)
{
    if (n < 8) return pw_leaf(a, n, m, T_D2);
    v2d mv = {m, m}, d0, d1, d2, d3;
    LOAD2(d0, a);
    LOAD2(d1, a + 2);
    LOAD2(d2, a + 4);
    LOAD2(d3, a + 6);
    d0 -= mv;
    d1 -= mv;
    d2 -= mv;
    d3 -= mv;
    v2d a0 = d0 * d0, a1 = d1 * d1, a2 = d2 * d2, a3 = d3 * d3;
    size_t i, lim = n - (n % 8);
    for (i = 8; i < lim; i += 8) {
        LOAD2(d0, a + i);
        LOAD2(d1, a + i + 2);
        LOAD2(d2, a + i + 4);
        LOAD2(d3, a + i + 6);
        d0 -= mv;
        d1 -= mv;
        d2 -= mv;
        d3 -= mv;
        a0 += d0 * d0;
        a1 += d1 * d1;
        a2 += d2 * d2;
        a3 += d3 * d3;
    }
    double res = ((a0[0] + a0[1]) + (a1[0] + a1[1])) + ((a2[0] + a2[1]) + (a3[0] + a3[1]));
    for (; i < n; i++) {
        double d = a[i] - m;
        res += d * d;
    }
    return res;
}
#else
static double leaf_x(const double *a, size_t n) { return pw_leaf(a, n, 0.0, T_X); }
static double leaf_d2(const double *a, size_t n, double m) { return pw_leaf(a, n, m, T_D2); }
#endif

static double pw_sum_x(const double *a, size_t n)
{
    if (n <= PW_BLOCK) return leaf_x(a, n);
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pw_sum_x(a, n2) + pw_sum_x(a + n2, n - n2);
}

static double pw_sum_d2(const double *a, size_t n, double m)
{
    if (n <= PW_BLOCK) return leaf_d2(a, n, m);
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pw_sum_d2(a, n2, m) + pw_sum_d2(a + n2, n - n2, m);
}

static double pw_sum_dk(const double *a, size_t n, double m, enum term t)
{
    if (n <= PW_BLOCK) return pw_leaf(a, n, m, t);
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pw_sum_dk(a, n2, m, t) + pw_sum_dk(a + n2, n - n2, m, t);
}

double lmp_stats_sum(const double *x, size_t n)
{
    /* np.add.reduce starts from the identity 0 and adds the pairwise sum. */
    return 0.0 + pw_sum_x(x, n);
}

double lmp_stats_mean(const double *x, size_t n)
{
    if (n == 0) return NAN;
    return lmp_stats_sum(x, n) / (double)n;
}

/* Blocks of at most VAR_BLOCK values (64 KiB, cache resident) get the exact
 * two-pass treatment; blocks are combined pairwise with Chan, Golub & LeVeque's
 * (1979) update M2 = M2a + M2b + d^2 na nb / n. One pass over memory instead
 * of two, and the error stays O(eps log n). Up to VAR_BLOCK values this is
 * numpy's two-pass bit for bit; beyond, numpy itself sums 8192-value buffers
 * one after another, so its bits differ from any pairwise scheme anyway. */
#define VAR_BLOCK 8192

typedef struct { double n, mean, m2; } block_moments;

static block_moments var_blocks(const double *x, size_t n)
{
    block_moments r;
    if (n <= VAR_BLOCK) {
        r.n = (double)n;
        r.mean = (0.0 + pw_sum_x(x, n)) / (double)n;
        r.m2 = 0.0 + pw_sum_d2(x, n, r.mean);
        return r;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    block_moments a = var_blocks(x, n2), b = var_blocks(x + n2, n - n2);
    double d = b.mean - a.mean;
    r.n = a.n + b.n;
    r.mean = a.mean + d * (b.n / r.n);
    r.m2 = a.m2 + b.m2 + d * d * (a.n * b.n / r.n);
    return r;
}

double lmp_stats_variance(const double *x, size_t n, double ddof)
{
    if (n == 0 || !(ddof >= 0) || (double)n - ddof <= 0) return NAN;
    return var_blocks(x, n).m2 / ((double)n - ddof);
}

double lmp_stats_stddev(const double *x, size_t n, double ddof)
{
    return sqrt(lmp_stats_variance(x, n, ddof));
}

double lmp_stats_central_moment(const double *x, size_t n, int k)
{
    if (n == 0 || k < 2 || k > 4) return NAN;
    double m = lmp_stats_mean(x, n);
    enum term t = k == 2 ? T_D2 : k == 3 ? T_D3 : T_D4;
    return (0.0 + pw_sum_dk(x, n, m, t)) / (double)n;
}

/* scipy's test for "constant" data: m2 <= (resolution * mean)^2 with
 * resolution = 1e-15 for float64 (np.finfo(float).resolution). */
static int numerically_constant(double m2, double mean)
{
    double r = 1e-15 * mean;
    return m2 <= r * r;
}

/* g1 from the biased moments, and the bias correction (Joanes & Gill 1998, G1). */
static double skew_from(double n, double mean, double m2, double m3, int bias)
{
    if (numerically_constant(m2, mean)) return NAN;
    if (!bias && n > 2) return sqrt((n - 1.0) * n) / (n - 2.0) * m3 / pow(m2, 1.5);
    return m3 / pow(m2, 1.5);
}

/* b2 = m4/m2^2 and the unbiased G2 (Joanes & Gill 1998), as scipy.stats.kurtosis. */
static double kurt_from(double n, double mean, double m2, double m4, int fisher, int bias)
{
    if (numerically_constant(m2, mean)) return NAN;
    double v = m4 / (m2 * m2);
    if (!bias && n > 3)
        v = 1.0 / (n - 2) / (n - 3) * ((n * n - 1.0) * m4 / (m2 * m2) - 3 * (n - 1) * (n - 1)) + 3.0;
    return fisher ? v - 3 : v;
}

double lmp_stats_skewness(const double *x, size_t n, int bias)
{
    if (n == 0) return NAN;
    double mean = lmp_stats_mean(x, n);
    double m2 = (0.0 + pw_sum_dk(x, n, mean, T_D2)) / (double)n;
    double m3 = (0.0 + pw_sum_dk(x, n, mean, T_D3)) / (double)n;
    return skew_from((double)n, mean, m2, m3, bias);
}

double lmp_stats_kurtosis(const double *x, size_t n, int fisher, int bias)
{
    if (n == 0) return NAN;
    double mean = lmp_stats_mean(x, n);
    double m2 = (0.0 + pw_sum_dk(x, n, mean, T_D2)) / (double)n;
    double m4 = (0.0 + pw_sum_dk(x, n, mean, T_D4)) / (double)n;
    return kurt_from((double)n, mean, m2, m4, fisher, bias);
}

/* ---- streaming moments ----------------------------------------------------------
 * One-value update (Welford 1962, extended to m3/m4 by Terriberry 2007 / Pebay
 * 2008 eq. 1.5) and pairwise merge (Chan, Golub & LeVeque 1979; Pebay 2008
 * eq. 2.1 for m3, m4). */

void lmp_moments_init(lmp_moments *m)
{
    m->n = 0;
    m->mean = m->m2 = m->m3 = m->m4 = 0.0;
    m->min = INFINITY;
    m->max = -INFINITY;
}

void lmp_moments_add(lmp_moments *m, double x)
{
    double n1 = (double)m->n;
    double n = n1 + 1.0;
    double delta = x - m->mean;
    double dn = delta / n;
    double dn2 = dn * dn;
    double term1 = delta * dn * n1;
    m->mean += dn;
    m->m4 += term1 * dn2 * (n * n - 3 * n + 3) + 6 * dn2 * m->m2 - 4 * dn * m->m3;
    m->m3 += term1 * dn * (n - 2) - 3 * dn * m->m2;
    m->m2 += term1;
    m->n++;
    if (x < m->min) m->min = x;
    if (x > m->max) m->max = x;
}

void lmp_moments_add_array(lmp_moments *m, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) lmp_moments_add(m, x[i]);
}

void lmp_moments_merge(lmp_moments *a, const lmp_moments *b)
{
    if (b->n == 0) return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    lmp_moments B = *b;  /* a == b is allowed */
    double na = (double)a->n, nb = (double)B.n, n = na + nb;
    double d = B.mean - a->mean, d2 = d * d, d3 = d2 * d, d4 = d2 * d2;
    double m2 = a->m2 + B.m2 + d2 * na * nb / n;
    double m3 = a->m3 + B.m3 + d3 * na * nb * (na - nb) / (n * n) + 3 * d * (na * B.m2 - nb * a->m2) / n;
    double m4 = a->m4 + B.m4 + d4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n) +
                6 * d2 * (na * na * B.m2 + nb * nb * a->m2) / (n * n) + 4 * d * (na * B.m3 - nb * a->m3) / n;
    a->mean += d * nb / n;
    a->m2 = m2;
    a->m3 = m3;
    a->m4 = m4;
    a->n += B.n;
    if (B.min < a->min) a->min = B.min;
    if (B.max > a->max) a->max = B.max;
}

double lmp_moments_mean(const lmp_moments *m)
{
    return m->n ? m->mean : NAN;
}

double lmp_moments_variance(const lmp_moments *m, double ddof)
{
    if (m->n == 0 || !(ddof >= 0) || (double)m->n - ddof <= 0) return NAN;
    return m->m2 / ((double)m->n - ddof);
}

double lmp_moments_skewness(const lmp_moments *m, int bias)
{
    if (m->n == 0) return NAN;
    double n = (double)m->n;
    return skew_from(n, m->mean, m->m2 / n, m->m3 / n, bias);
}

double lmp_moments_kurtosis(const lmp_moments *m, int fisher, int bias)
{
    if (m->n == 0) return NAN;
    double n = (double)m->n;
    return kurt_from(n, m->mean, m->m2 / n, m->m4 / n, fisher, bias);
}
