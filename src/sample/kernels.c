/* Hot loops of the sampler (see sample_internal.h) and the standalone kernels
 * of sample.h.
 *
 * Speed: the library is built with -O2 for a generic x86-64, where GCC does
 * not vectorise these loops, and libm's expf costs ~2.6 ns (130 us for
 * V = 50257 on the reference machine: more than a whole torch.topk). So the
 * float32 exponential is a Cephes-style polynomial written with GCC vector
 * extensions (8 lanes), compiled twice: for the baseline and, via
 * __attribute__((target("avx2,fma"))), for AVX2 machines, chosen at run time
 * with __builtin_cpu_supports. The polynomial is within 2 ulp of expf
 * (checked against libm in tests/test_sample.c) and exact at 0. Results below
 * exp(-87.3) (under FLT_MIN) are flushed to 0: such a token is never drawn.
 * The float64 path uses libm's exp so that probabilities match numpy/torch to
 * the last bit in the common case. */
#include <math.h>
#include <string.h>

#include "lmprob/sample.h"
#include "sample_internal.h"

/* ---- vectorised float exp -------------------------------------------------------- */

/* The 32-byte vector helpers are static and always inlined, so no ABI is involved. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

#define V8(x) {x, x, x, x, x, x, x, x}

static inline __attribute__((always_inline)) void vexpf(v8f *io)
{
    v8f x = *io;
    const v8f lo = V8(-87.3f), log2e = V8(1.44269504088896341f), magic = V8(12582912.0f);
    const v8f c1 = V8(0.693359375f), c2 = V8(-2.12194440e-4f);
    v8i small = x < lo;
    /* clamp so that every lane stays finite (the mask zeroes them at the end) */
    v8f xc = (v8f)(((v8i)x & ~small) | ((v8i)lo & small));
    v8f kf = (xc * log2e + magic) - magic; /* round to nearest */
    v8f r = xc - kf * c1 - kf * c2;        /* Cody-Waite: ln 2 split in two */
    v8f p = V8(1.9875691500E-4f);
    p = p * r + (v8f)V8(1.3981999507E-3f);
    p = p * r + (v8f)V8(8.3334519073E-3f);
    p = p * r + (v8f)V8(4.1665795894E-2f);
    p = p * r + (v8f)V8(1.6666665459E-1f);
    p = p * r + (v8f)V8(5.0000001201E-1f);
    v8f y = p * r * r + r + (v8f)V8(1.0f);
    v8i k = __builtin_convertvector(kf, v8i);
    v8i bits = (v8i)y + (k << 23); /* y * 2^k; k in [-126, 0] here */
    *io = (v8f)(bits & ~small);
}

/* e[i] = (double)expf(x[i] - m) for the float32 path; returns sum e in double. */
static inline __attribute__((always_inline)) double exp_sum_f32_body(const double *x, size_t n, double m, double *e)
{
    v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    v4d mv = {m, m, m, m};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v4d a, b;
        memcpy(&a, x + i, sizeof a);
        memcpy(&b, x + i + 4, sizeof b);
        v4f fa = __builtin_convertvector(a - mv, v4f), fb = __builtin_convertvector(b - mv, v4f);
        v8f f = __builtin_shufflevector(fa, fb, 0, 1, 2, 3, 4, 5, 6, 7);
        v8f y = f;
        vexpf(&y);
        v4f ya = __builtin_shufflevector(y, y, 0, 1, 2, 3), yb = __builtin_shufflevector(y, y, 4, 5, 6, 7);
        v4d da = __builtin_convertvector(ya, v4d), db = __builtin_convertvector(yb, v4d);
        memcpy(e + i, &da, sizeof da);
        memcpy(e + i + 4, &db, sizeof db);
        s0 += da;
        s1 += db;
    }
    double s = 0.0;
    if (i < n) { /* tail through the same polynomial */
        v8f f = V8(-INFINITY);
        for (size_t j = 0; i + j < n; j++) f[j] = (float)(x[i + j] - m);
        v8f y = f;
        vexpf(&y);
        for (size_t j = 0; i + j < n; j++) {
            e[i + j] = (double)y[j];
            s += e[i + j];
        }
    }
    v4d t = s0 + s1;
    return (t[0] + t[1]) + (t[2] + t[3]) + s;
}

__attribute__((target("avx2,fma"))) static double exp_sum_f32_avx2(const double *x, size_t n, double m, double *e)
{
    return exp_sum_f32_body(x, n, m, e);
}

static double exp_sum_f32_base(const double *x, size_t n, double m, double *e)
{
    return exp_sum_f32_body(x, n, m, e);
}

double lmp_sample_exp_sum(const double *x, size_t n, double m, double *e, int f32)
{
    if (f32) {
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return exp_sum_f32_avx2(x, n, m, e);
        return exp_sum_f32_base(x, n, m, e);
    }
    double s = 0.0; /* sequential, as numpy's sum for n < 8 and torch's for small n */
    for (size_t i = 0; i < n; i++) {
        e[i] = exp(x[i] - m);
        s += e[i];
    }
    return s;
}

/* out[i] = expf(x[i] - m) for float input and output; returns the sum in double. */
static inline __attribute__((always_inline)) double expf_array_body(const float *x, size_t n, float m, float *out)
{
    v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    v8f mv = V8(m);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f f;
        memcpy(&f, x + i, sizeof f);
        v8f y = f - mv;
        vexpf(&y);
        memcpy(out + i, &y, sizeof y);
        v4f ya = __builtin_shufflevector(y, y, 0, 1, 2, 3), yb = __builtin_shufflevector(y, y, 4, 5, 6, 7);
        s0 += __builtin_convertvector(ya, v4d);
        s1 += __builtin_convertvector(yb, v4d);
    }
    double s = 0.0;
    if (i < n) {
        v8f f = V8(-INFINITY);
        for (size_t j = 0; i + j < n; j++) f[j] = x[i + j] - m;
        vexpf(&f);
        for (size_t j = 0; i + j < n; j++) {
            out[i + j] = f[j];
            s += f[j];
        }
    }
    v4d t = s0 + s1;
    return (t[0] + t[1]) + (t[2] + t[3]) + s;
}

__attribute__((target("avx2,fma"))) static double expf_array_avx2(const float *x, size_t n, float m, float *out)
{
    return expf_array_body(x, n, m, out);
}

static double expf_array_base(const float *x, size_t n, float m, float *out)
{
    return expf_array_body(x, n, m, out);
}

double lmp_sample_expf_array(const float *x, size_t n, float m, float *out)
{
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return expf_array_avx2(x, n, m, out);
    return expf_array_base(x, n, m, out);
}

/* ---- the lazy full-vocabulary path (temperature only, float32) ----------------------- */

/* Validate float logits (no NaN/+inf) and return the index of the first bad one
 * or n; *max is the maximum. */
static inline __attribute__((always_inline)) size_t fcheck_body(const float *x, size_t n, float *max)
{
    v8f mx = V8(-INFINITY), inf = V8(INFINITY);
    typedef int32_t v8i_t __attribute__((vector_size(32)));
    v8i_t bad = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v8f f;
        memcpy(&f, x + i, sizeof f);
        bad |= ~(f < inf);
        v8i_t gt = f > mx;
        mx = (v8f)(((v8i_t)f & gt) | ((v8i_t)mx & ~gt));
    }
    int anybad = 0;
    float m = -INFINITY;
    for (int j = 0; j < 8; j++) {
        anybad |= bad[j] != 0;
        m = mx[j] > m ? mx[j] : m;
    }
    if (anybad) i = 0;
    for (; i < n; i++) {
        if (!(x[i] < INFINITY)) return i;
        m = x[i] > m ? x[i] : m;
    }
    *max = m;
    return n;
}

__attribute__((target("avx2,fma"))) static size_t fcheck_avx2(const float *x, size_t n, float *max)
{
    return fcheck_body(x, n, max);
}
static size_t fcheck_base(const float *x, size_t n, float *max) { return fcheck_body(x, n, max); }

size_t lmp_sample_fcheck(const float *x, size_t n, float *max)
{
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return fcheck_avx2(x, n, max);
    return fcheck_base(x, n, max);
}

/* e = expf((float)(x * it) - m) for 8 floats: the same operations, in the same
 * precision, as the materialised float32 path (load, then exp_sum). */
static inline __attribute__((always_inline)) void scaled_exp8(const float *x, double it, float m, v8f *e)
{
    v8f f;
    memcpy(&f, x, sizeof f);
    if (it != 1.0) {
        v4d itv = {it, it, it, it};
        v4f a = __builtin_shufflevector(f, f, 0, 1, 2, 3), b = __builtin_shufflevector(f, f, 4, 5, 6, 7);
        a = __builtin_convertvector(__builtin_convertvector(a, v4d) * itv, v4f);
        b = __builtin_convertvector(__builtin_convertvector(b, v4d) * itv, v4f);
        f = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7);
    }
    v8f mv = V8(m);
    *e = f - mv;
    vexpf(e);
}

/* Block sums (LMP_LAZY_BLOCK floats a block) of e over x[0..n) (n a multiple
 * of 8 handled by the vector loop; the tail by the same 8-lane kernel with
 * -inf padding); returns the total. */
static inline __attribute__((always_inline)) double lazy_sums_body(const float *x, size_t n, double it, float m,
                                                                   double *block)
{
    double total = 0.0;
    size_t nb = (n + LMP_LAZY_BLOCK - 1) / LMP_LAZY_BLOCK;
    for (size_t b = 0; b < nb; b++) {
        size_t lo = b * LMP_LAZY_BLOCK, hi = lo + LMP_LAZY_BLOCK < n ? lo + LMP_LAZY_BLOCK : n;
        v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
        size_t i = lo;
        for (; i + 8 <= hi; i += 8) {
            v8f e;
            scaled_exp8(x + i, it, m, &e);
            s0 += __builtin_convertvector(__builtin_shufflevector(e, e, 0, 1, 2, 3), v4d);
            s1 += __builtin_convertvector(__builtin_shufflevector(e, e, 4, 5, 6, 7), v4d);
        }
        double bs = 0.0;
        if (i < hi) {
            float pad[8];
            for (size_t j = 0; j < 8; j++) pad[j] = i + j < hi ? x[i + j] : -INFINITY;
            v8f e;
            scaled_exp8(pad, it, m, &e);
            for (size_t j = 0; i + j < hi; j++) bs += e[j];
        }
        v4d t = s0 + s1;
        bs += (t[0] + t[1]) + (t[2] + t[3]);
        block[b] = bs;
        total += bs;
    }
    return total;
}

__attribute__((target("avx2,fma"))) static double lazy_sums_avx2(const float *x, size_t n, double it, float m,
                                                                  double *block)
{
    return lazy_sums_body(x, n, it, m, block);
}
static double lazy_sums_base(const float *x, size_t n, double it, float m, double *block)
{
    return lazy_sums_body(x, n, it, m, block);
}

double lmp_sample_lazy_sums(const float *x, size_t n, double it, float m, double *block)
{
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return lazy_sums_avx2(x, n, it, m, block);
    return lazy_sums_base(x, n, it, m, block);
}

/* Pass for top-p on float32 input: for every logit, l = (float)(x * it) (it = 1:
 * x), e = expf(l - m), and a bucket of d = m - l: b = min((int)(d * scale), nb - 1);
 * bmass[b] += e, bcnt[b]++. Returns the sum of e. The histogram only locates the
 * crossing bucket: the caller gathers with a margin and cuts exactly. */
static inline __attribute__((always_inline)) double topp_hist_body(const float *x, size_t n, double it, float m,
                                                                   double scale, int nb, double *bmass,
                                                                   size_t *bcnt)
{
    v4d s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
    const v8f mv = V8(m), sc = V8((float)scale), top = V8((float)(nb - 1));
    for (size_t i = 0; i < n; i += 8) {
        float pad[8];
        size_t cnt = n - i < 8 ? n - i : 8;
        v8f f;
        if (cnt == 8) memcpy(&f, x + i, sizeof f);
        else {
            for (size_t j = 0; j < 8; j++) pad[j] = j < cnt ? x[i + j] : -INFINITY;
            memcpy(&f, pad, sizeof f);
        }
        if (it != 1.0) {
            v4d itv = {it, it, it, it};
            v4f a = __builtin_shufflevector(f, f, 0, 1, 2, 3), b = __builtin_shufflevector(f, f, 4, 5, 6, 7);
            a = __builtin_convertvector(__builtin_convertvector(a, v4d) * itv, v4f);
            b = __builtin_convertvector(__builtin_convertvector(b, v4d) * itv, v4f);
            f = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7);
        }
        v8f d = mv - f, e = f - mv;
        vexpf(&e);
        v8f r = d * sc;
        v8i in = r < top; /* false for +inf (l = -inf) */
        r = (v8f)(((v8i)r & in) | ((v8i)top & ~in));
        v8i bi = __builtin_convertvector(r, v8i);
        for (size_t j = 0; j < cnt; j++) {
            bmass[bi[j]] += e[j];
            bcnt[bi[j]]++;
        }
        s0 += __builtin_convertvector(__builtin_shufflevector(e, e, 0, 1, 2, 3), v4d);
        s1 += __builtin_convertvector(__builtin_shufflevector(e, e, 4, 5, 6, 7), v4d);
    }
    v4d t = s0 + s1;
    return (t[0] + t[1]) + (t[2] + t[3]);
}

__attribute__((target("avx2,fma"))) static double topp_hist_avx2(const float *x, size_t n, double it, float m,
                                                                  double scale, int nb, double *bmass, size_t *bcnt)
{
    return topp_hist_body(x, n, it, m, scale, nb, bmass, bcnt);
}
static double topp_hist_base(const float *x, size_t n, double it, float m, double scale, int nb, double *bmass,
                             size_t *bcnt)
{
    return topp_hist_body(x, n, it, m, scale, nb, bmass, bcnt);
}

double lmp_sample_topp_hist(const float *x, size_t n, double it, float m, double scale, int nb, double *bmass,
                            size_t *bcnt)
{
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return topp_hist_avx2(x, n, it, m, scale, nb, bmass, bcnt);
    return topp_hist_base(x, n, it, m, scale, nb, bmass, bcnt);
}

/* The exps of one block, in order (8 at a time through the same kernel). */
void lmp_sample_lazy_block(const float *x, size_t lo, size_t hi, double it, float m, double *e)
{
    for (size_t i = lo; i < hi; i += 8) {
        float pad[8];
        for (size_t j = 0; j < 8; j++) pad[j] = i + j < hi ? x[i + j] : -INFINITY;
        v8f v;
        scaled_exp8(pad, it, m, &v);
        for (size_t j = 0; j < 8 && i + j < hi; j++) e[i + j - lo] = v[j];
    }
}

/* ---- load, max, scale ------------------------------------------------------------ */

typedef int64_t v4l __attribute__((vector_size(32)));

/* lane-wise max (a macro: a 32-byte vector argument would trip -Wpsabi) */
#define VMAX4(a, b) ((v4d)((((v4l)(a)) & ((a) > (b))) | (((v4l)(b)) & ~((a) > (b)))))

/* One pass: validate, convert (and divide by T), store, track the maximum.
 * Returns the first bad index or V. The vector loop only detects that a block
 * is bad; the scalar loop below names the index. */
static inline __attribute__((always_inline)) size_t load_body(const float *lf, const double *ld, size_t V, double T,
                                                              double *lg, int f32, double *max)
{
    const v4d inf = {INFINITY, INFINITY, INFINITY, INFINITY};
    /* float32 mode: x * (1/T) in double, then rounded to float, is the correctly
     * rounded float quotient unless the double product lands within 1 double ulp
     * of a float rounding boundary (about 2^-29 of the cases, and then 1 float ulp
     * off); a multiplication is ~8x cheaper than vdivpd. float64 mode divides. */
    const double it = 1.0 / T;
    const v4d tv = {T, T, T, T}, itv = {it, it, it, it};
    v4d mx = -inf;
    v4l anybad = {0, 0, 0, 0};
    int scale = T != 1.0;
    size_t i = 0;
    /* Blocks of 1024: flags are OR-ed without a branch per vector, checked per block. */
    for (size_t blk = 0; blk + 1024 <= V; blk += 1024) {
        for (; i + 4 <= blk + 1024; i += 4) {
            v4d a;
            if (lf) {
                v4f f;
                memcpy(&f, lf + i, sizeof f);
                a = __builtin_convertvector(f, v4d);
            } else {
                memcpy(&a, ld + i, sizeof a);
            }
            anybad |= ~(a < inf); /* NaN or +inf */
            if (f32 && ld) {
                v4d back = __builtin_convertvector(__builtin_convertvector(a, v4f), v4d);
                anybad |= ((back == -inf) & ~(a == -inf)) | (back == inf);
                a = back;
            }
            if (scale) a = f32 ? a * itv : a / tv;
            if (f32 && (scale || ld)) a = __builtin_convertvector(__builtin_convertvector(a, v4f), v4d);
            memcpy(lg + i, &a, sizeof a);
            mx = VMAX4(mx, a);
        }
        if (anybad[0] | anybad[1] | anybad[2] | anybad[3]) { /* let the scalar loop name the index */
            i = blk;
            mx = -inf;
            break;
        }
    }
    for (; i + 4 <= V && !(anybad[0] | anybad[1] | anybad[2] | anybad[3]); i += 4) {
        v4d a;
        if (lf) {
            v4f f;
            memcpy(&f, lf + i, sizeof f);
            a = __builtin_convertvector(f, v4d);
        } else {
            memcpy(&a, ld + i, sizeof a);
        }
        v4l bad = ~(a < inf); /* NaN or +inf */
        if (bad[0] | bad[1] | bad[2] | bad[3]) break;
        if (f32 && ld) { /* the float32 model's logit first, then / T */
            v4d back = __builtin_convertvector(__builtin_convertvector(a, v4f), v4d);
            v4l ovf = ((back == -inf) & ~(a == -inf)) | (back == inf); /* finite doubles beyond FLT_MAX */
            if (ovf[0] | ovf[1] | ovf[2] | ovf[3]) break;
            a = back;
        }
        if (scale) a = f32 ? a * itv : a / tv;
        if (f32) a = __builtin_convertvector(__builtin_convertvector(a, v4f), v4d);
        memcpy(lg + i, &a, sizeof a);
        mx = VMAX4(mx, a);
    }
    double m = -INFINITY;
    for (int j = 0; j < 4; j++)
        if (mx[j] > m) m = mx[j];
    if (anybad[0] | anybad[1] | anybad[2] | anybad[3])
        for (size_t j = 0; j < i; j++)
            if (lg[j] > m) m = lg[j];
    for (; i < V; i++) {
        double v = lf ? (double)lf[i] : ld[i];
        if (!(v < INFINITY)) return i;
        if (f32 && ld) {
            float g = (float)v;
            if ((g == -INFINITY && v != -INFINITY) || g == INFINITY) return i;
            v = g;
        }
        if (scale) v = f32 ? v * it : v / T;
        if (f32) v = (float)v;
        if (!(v < INFINITY)) return i; /* x / T overflowed */
        lg[i] = v;
        if (v > m) m = v;
    }
    *max = m;
    return V;
}

__attribute__((target("avx2,fma"))) static size_t load_avx2(const float *lf, const double *ld, size_t V, double T,
                                                             double *lg, int f32, double *max)
{
    return load_body(lf, ld, V, T, lg, f32, max);
}

static size_t load_base(const float *lf, const double *ld, size_t V, double T, double *lg, int f32, double *max)
{
    return load_body(lf, ld, V, T, lg, f32, max);
}

static int has_avx2(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

size_t lmp_sample_load(const float *lf, const double *ld, size_t V, double T, double *lg, int f32, double *max)
{
    /* x / T can overflow to +inf for a tiny T: the vector loop stores it, so
     * re-check the maximum (the scalar tail checks its own elements). */
    size_t bad = has_avx2() ? load_avx2(lf, ld, V, T, lg, f32, max) : load_base(lf, ld, V, T, lg, f32, max);
    if (bad == V && *max == INFINITY)
        for (size_t i = 0; i < V; i++)
            if (lg[i] == INFINITY) return i;
    return bad;
}

static inline __attribute__((always_inline)) double max_body(const double *x, size_t n)
{
    v4d mx = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d a;
        memcpy(&a, x + i, sizeof a);
        mx = VMAX4(mx, a);
    }
    double m = -INFINITY;
    for (int j = 0; j < 4; j++)
        if (mx[j] > m) m = mx[j];
    for (; i < n; i++)
        if (x[i] > m) m = x[i];
    return m;
}

__attribute__((target("avx2,fma"))) static double max_avx2(const double *x, size_t n) { return max_body(x, n); }
static double max_base(const double *x, size_t n) { return max_body(x, n); }

double lmp_sample_max(const double *x, size_t n) { return has_avx2() ? max_avx2(x, n) : max_base(x, n); }

/* p[i] = p[i] / z: float64 mode divides (IEEE division lane by lane, the
 * scalar result bit for bit, numpy's e / e.sum()); float32 mode multiplies by
 * 1/z in double and rounds to float (the float quotient but for ~2^-29 of the
 * cases, as in the load). */
static inline __attribute__((always_inline)) void scale_body(double *p, size_t n, double z, int f32)
{
    const double iz = 1.0 / z;
    const v4d zv = {z, z, z, z}, izv = {iz, iz, iz, iz};
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        v4d a;
        memcpy(&a, p + i, sizeof a);
        if (f32) a = __builtin_convertvector(__builtin_convertvector(a * izv, v4f), v4d);
        else a = a / zv;
        memcpy(p + i, &a, sizeof a);
    }
    for (; i < n; i++) p[i] = f32 ? (double)(float)(p[i] * iz) : p[i] / z;
}

__attribute__((target("avx2,fma"))) static void scale_avx2(double *p, size_t n, double z, int f32)
{
    scale_body(p, n, z, f32);
}
static void scale_base(double *p, size_t n, double z, int f32) { scale_body(p, n, z, f32); }

void lmp_sample_scale(double *p, size_t n, double z, int f32)
{
    if (has_avx2()) scale_avx2(p, n, z, f32);
    else scale_base(p, n, z, f32);
}

/* ---- the draw ---------------------------------------------------------------------- */

size_t lmp_sample_cdf_search(const double *p, size_t n, double u)
{
    if (n > 4096) {
        /* Large n: the bit-exact numpy rule needs a sequential sum of all n
         * (latency-bound, ~4 cycles a term); instead sum blocks of 64 with 4
         * accumulators, find the block where the running total crosses u * total,
         * and scan it (u * total with a multiplication). Only a u within ~1e-16 of
         * a cdf value can pick a different token than numpy's rule. */
        enum { B = 64 };
        size_t nb = n / B;
        double total = 0.0;
        for (size_t b = 0; b < nb; b++) {
            const double *q = p + b * B;
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (size_t j = 0; j < B; j += 4) {
                a0 += q[j];
                a1 += q[j + 1];
                a2 += q[j + 2];
                a3 += q[j + 3];
            }
            total += (a0 + a1) + (a2 + a3);
        }
        for (size_t i = nb * B; i < n; i++) total += p[i];
        double target = u * total, c = 0.0;
        size_t last = 0;
        for (size_t b = 0; b < nb; b++) {
            const double *q = p + b * B;
            double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (size_t j = 0; j < B; j += 4) {
                a0 += q[j];
                a1 += q[j + 1];
                a2 += q[j + 2];
                a3 += q[j + 3];
            }
            double bs = (a0 + a1) + (a2 + a3);
            if (c + bs <= target) {
                c += bs;
                if (bs > 0) last = b * B + B - 1;
                continue;
            }
            for (size_t j = 0; j < B; j++) {
                c += q[j];
                if (q[j] > 0) last = b * B + j;
                if (c > target) return b * B + j;
            }
        }
        for (size_t i = nb * B; i < n; i++) {
            c += p[i];
            if (p[i] > 0) last = i;
            if (c > target) return i;
        }
        while (last > 0 && p[last] == 0) last--;
        return last;
    }
    double total = 0.0;
    for (size_t i = 0; i < n; i++) total += p[i];
    /* c / total > u, as numpy (cdf /= cdf[-1]); the division is monotone in c,
     * so skip with a multiplication while c is clearly below (4 ulp margin) and
     * decide the crossing itself with numpy's division. */
    double below = u * total * (1.0 - 4 * 1.1102230246251565e-16);
    double c = 0.0;
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        c += p[i];
        if (p[i] > 0) last = i;
        if (c <= below) continue;
        if (c / total > u) return i;
    }
    return last;
}

/* ---- standalone kernels ---------------------------------------------------------- */

size_t lmp_argmax(const double *x, size_t n)
{
    if (n == 0) return 0;
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return n;
        if (x[i] > x[a]) a = i;
    }
    return a;
}

size_t lmp_argmax_f(const float *x, size_t n)
{
    if (n == 0) return 0;
    size_t a = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) return n;
        if (x[i] > x[a]) a = i;
    }
    return a;
}

size_t lmp_sample_index(const double *w, size_t n, double u)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!(w[i] >= 0)) return n;
        total += w[i];
    }
    if (!(total > 0) || isinf(total) || !(u >= 0 && u < 1)) return n;
    double target = u * total, c = 0.0;
    size_t last = n;
    for (size_t i = 0; i < n; i++) {
        c += w[i];
        if (w[i] > 0) last = i;
        if (c > target) return i;
    }
    return last;
}

static lmp_status check_ids(const int32_t *ids, size_t n, size_t V, const char *what, lmp_error *err)
{
    if (n > 0 && !ids) return lmp_error_set(err, LMP_EINVAL, "%s: %zu ids but a NULL pointer", what, n);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "%s[%zu] = %d: expected a token id in [0, %zu)", what, i,
                                 (int)ids[i], V);
    return LMP_OK;
}

/* 1 when ids[i] already occurred in ids[0..i). */
static int seen_before(const int32_t *ids, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (ids[j] == ids[i]) return 1;
    return 0;
}

lmp_status lmp_repetition_penalty(double *scores, size_t V, const int32_t *prev, size_t np, double penalty,
                                  lmp_error *err)
{
    if (!(penalty > 0) || isinf(penalty))
        return lmp_error_set(err, LMP_EINVAL, "repetition_penalty = %g: expected a finite penalty > 0", penalty);
    lmp_status st = check_ids(prev, np, V, "prev_ids", err);
    if (st) return st;
    for (size_t i = 0; i < np; i++) {
        if (seen_before(prev, i)) continue; /* once per distinct token (HF gathers then scatters) */
        double s = scores[prev[i]];
        scores[prev[i]] = s < 0 ? s * penalty : s / penalty;
    }
    return LMP_OK;
}

lmp_status lmp_penalties_f(float *logits, size_t V, const int32_t *last, size_t nl, float repeat, float freq,
                           float present, lmp_error *err)
{
    if (!(repeat > 0) || isinf(repeat))
        return lmp_error_set(err, LMP_EINVAL, "penalty_repeat = %g: expected a finite penalty > 0", (double)repeat);
    if (!isfinite(freq) || !isfinite(present))
        return lmp_error_set(err, LMP_EINVAL, "penalty_freq = %g, penalty_present = %g: expected finite numbers",
                             (double)freq, (double)present);
    lmp_status st = check_ids(last, nl, V, "last_n_tokens", err);
    if (st) return st;
    for (size_t i = 0; i < nl; i++) {
        if (seen_before(last, i)) continue;
        int count = 0;
        for (size_t j = i; j < nl; j++) count += last[j] == last[i];
        float l = logits[last[i]];
        l = l <= 0 ? l * repeat : l / repeat;
        l -= (float)count * freq + (float)(count > 0) * present;
        logits[last[i]] = l;
    }
    return LMP_OK;
}
