/* The body of the vector kernels (vmath.h), included by vmath.c once per ISA
 * with these defined:
 *   VM(f)        the function's name for this ISA (f##_avx512, ...)
 *   VM_ATTR      its target attribute (empty for the portable one)
 *   VD, VL, VU, VF  GCC vector types of VN doubles, int64s, uint64s, floats
 *   VN           lanes
 *   VFMA(a,b,c)  a * b + c (fused where the ISA has it)
 * Everything is written with GCC vector extensions (which clang supports too),
 * so the three versions are one text; the target attribute decides the
 * instructions (zmm, ymm, or the baseline's). */

#define VM_AI VM_ATTR static inline __attribute__((always_inline))
#define VSPLAT(v) ((VD){0} + (double)(v))

/* ---- lanes: load, store, select ------------------------------------------------------- */

VM_AI VD VM(ld)(const double *xd, const float *xf, size_t i)
{
    if (xf) {
        VF f;
        memcpy(&f, xf + i, sizeof f);
        return __builtin_convertvector(f, VD);
    }
    VD d;
    memcpy(&d, xd + i, sizeof d);
    return d;
}

/* x[i..n) padded with fill (i < n; n - i may be VN or more, then the first VN) */
VM_AI VD VM(ld_tail)(const double *xd, const float *xf, size_t i, size_t n, double fill)
{
#ifdef VM_LD_TAIL
    /* masked loads (vmath.c): no lane-by-lane copy through memory, which cost a stalled
     * store-to-load forwarding each call (most of a call on a few numbers) */
    return VM_LD_TAIL(xd, xf, i, n, fill);
#else
    double t[VN];
    for (size_t j = 0; j < VN; j++) t[j] = i + j < n ? (xf ? (double)xf[i + j] : xd[i + j]) : fill;
    VD d;
    memcpy(&d, t, sizeof d);
    return d;
#endif
}

/* x[i..i+VN) when whole, else x[i..n) padded with fill (the loops that step to n in one) */
VM_AI VD VM(ld_n)(const double *xd, const float *xf, size_t i, size_t n, double fill)
{
    return i + VN <= n ? VM(ld)(xd, xf, i) : VM(ld_tail)(xd, xf, i, n, fill);
}

VM_AI void VM(st)(double *od, float *of, size_t i, VD v)
{
    if (of) {
        VF f = __builtin_convertvector(v, VF);
        memcpy(of + i, &f, sizeof f);
    } else {
        memcpy(od + i, &v, sizeof v);
    }
}

VM_AI void VM(st_tail)(double *od, float *of, size_t i, size_t n, VD v)
{
#ifdef VM_ST_TAIL
    VM_ST_TAIL(od, of, i, n, v);
#else
    double t[VN];
    memcpy(t, &v, sizeof t);
    for (size_t j = 0; i + j < n && j < VN; j++) {
        if (of) of[i + j] = (float)t[j];
        else od[i + j] = t[j];
    }
#endif
}

/* m ? a : b lane by lane (m: all ones or zero) */
VM_AI VD VM(sel)(VL m, VD a, VD b) { return (VD)((m & (VL)a) | (~m & (VL)b)); }

VM_AI int VM(any)(VL m)
{
    int64_t r = 0;
    for (int j = 0; j < VN; j++) r |= m[j];
    return r != 0;
}

/* v > m ? v : m lane by lane (m when v is NaN; m of two zeros): x86's vmaxpd where there is one */
VM_AI VD VM(vmax)(VD v, VD m)
{
#ifdef VM_MAX
    return VM_MAX(v, m);
#else
    return VM(sel)((VL)(v > m), v, m);
#endif
}

/* ---- TwoSum accumulation, lane by lane ------------------------------------------------ */

VM_AI void VM(acc)(VD *s, VD *c, VD x)
{
    VD t = *s + x;
    VD z = t - *s;
    *c += (*s - (t - z)) + (x - z);
    *s = t;
}

/* The lanes summed in order into one double-double. A kernel that added count < VN
 * terms in all (lane j the j-th) left the other lanes +0, which would add exactly 0: the
 * loop stops at count (the same result; on a few numbers, this serial loop is most of a call). */
VM_AI lmp_vm_dd VM(fin_n)(VD s, VD c, size_t count)
{
    const int lanes = count < VN ? (int)count : VN;
    double hi = 0.0, lo = 0.0;
    for (int j = 0; j < lanes; j++) {
        double a = s[j], t = hi + a, z = t - hi;
        lo += ((hi - (t - z)) + (a - z)) + c[j];
        hi = t;
    }
    double h = hi + lo;
    lmp_vm_dd r = {h, lo - (h - hi)};
    if (!isfinite(h)) r.lo = 0.0;
    return r;
}

/* ---- exp ------------------------------------------------------------------------------
 * exp(x) = 2^k e^r, k = round(x / ln 2), r = x - k ln 2 (Cody & Waite: ln 2 =
 * VM_LN2HI + VM_LN2LO, the high part with 21 trailing zero bits so that k VM_LN2HI
 * is exact for |k| < 2^11 and x - k VM_LN2HI is exact too), |r| <= ln 2 / 2; e^r
 * by its Taylor series to r^13 (truncation < 4.2e-18, 0.04 ulp), summed as
 * 1 + (r + r^2 q(r)) so that only the last addition rounds at the scale of 1
 * (q by Estrin's scheme, whose short dependency chain lets consecutive vectors
 * overlap).
 * The scale 2^k is applied as two factors 2^(k/2) 2^(k - k/2), each a normal
 * double, so results that are subnormal (x < -708.4) round once, and results
 * that overflow (x > 709.78) become +inf, without a branch. x is first clamped to
 * [-746, 710] (which keeps NaN), beyond which exp is 0 or +inf anyway. Where the ISA
 * does the clamp or the scaling in one instruction (vmath.c: VM_CLAMP, VM_SCALE), it does. */

VM_AI VD VM(exp)(VD x)
{
    const VD hi = VSPLAT(710.0), lo = VSPLAT(-746.0), magic = VSPLAT(0x1.8p52);
#ifdef VM_CLAMP
    x = VM_CLAMP(x, lo, hi);
#else
    x = VM(sel)((VL)(x > hi), hi, x);
    x = VM(sel)((VL)(x < lo), lo, x);
#endif
    VD t = VFMA(x, VSPLAT(0x1.71547652b82fep0), magic); /* x / ln 2 + 1.5 2^52: k in the low bits */
    VD kf = t - magic;
    VD r1 = VFMA(kf, VSPLAT(-VM_LN2HI), x); /* exact */
    VD r = VFMA(kf, VSPLAT(-VM_LN2LO), r1);
    /* what the rounding of r lost (r1 - r is exact: Sterbenz), added back below:
     * e^(r + er) = e^r + er to first order */
    VD er = VFMA(kf, VSPLAT(-VM_LN2LO), r1 - r);
    /* q = sum_{j=0..11} r^j / (j + 2)!, by Estrin's scheme: a short dependency chain */
    VD r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    VD p0 = VFMA(VSPLAT(1.0 / 6.0), r, VSPLAT(0.5));
    VD p1 = VFMA(VSPLAT(1.0 / 120.0), r, VSPLAT(1.0 / 24.0));
    VD p2 = VFMA(VSPLAT(1.0 / 5040.0), r, VSPLAT(1.0 / 720.0));
    VD p3 = VFMA(VSPLAT(1.0 / 362880.0), r, VSPLAT(1.0 / 40320.0));
    VD p4 = VFMA(VSPLAT(1.0 / 39916800.0), r, VSPLAT(1.0 / 3628800.0));
    VD p5 = VFMA(VSPLAT(1.0 / 6227020800.0), r, VSPLAT(1.0 / 479001600.0));
    VD q = VFMA(VFMA(p3, r2, p2), r4, VFMA(p1, r2, p0));
    q = VFMA(VFMA(p5, r2, p4), r8, q);
    VD y = (r + VFMA(r2, q, er)) + 1.0;
#ifdef VM_SCALE
    return VM_SCALE(y, kf); /* y 2^kf rounded once (AVX-512's vscalefpd) */
#else
    /* the bit work in unsigned lanes: a NaN lane's garbage must not be a signed overflow */
    VL k = (VL)((VU)t - (VU)magic); /* |k| <= 1077 */
    VL k1 = k >> 1, k2 = k - k1;
    VD s1 = (VD)(((VU)k1 + 1023) << 52), s2 = (VD)(((VU)k2 + 1023) << 52);
    return y * s1 * s2;
#endif
}

/* ---- log ------------------------------------------------------------------------------
 * x = 2^k m with m in [sqrt(2)/2, sqrt(2)) (subnormals scaled by 2^54 first),
 * f = m - 1, and log(1 + f) = 2 atanh(s), s = f / (2 + f), |s| <= 0.1716:
 * 2 atanh(s) = 2s + s R, R = sum_{j>=1} 2 s^(2j) / (2j + 1) (truncated after
 * j = 10: < 6e-19 relative). As in fdlibm's e_log.c, 2s is rewritten
 * f - hfsq + s hfsq (hfsq = f^2 / 2), so log(1 + f) = f - (hfsq - s (hfsq + R)):
 * the large part f is exact and the correction is small. Then + k ln 2 in two
 * parts (the high part exact). */

VM_AI VD VM(log)(VD x)
{
#ifdef VM_LOG_REDUCE
    /* the same m and k from the ISA (vmath.c), subnormals included; a negative x gives m = NaN */
    VD m, kd;
    VM_LOG_REDUCE(x, m, kd);
    VD f = m - 1.0;
#else
    VL tiny = (VL)(x < 0x1p-1022);
    VD xs = VM(sel)(tiny, x * 0x1p54, x);
    VD kadj = VM(sel)(tiny, VSPLAT(-54.0), VSPLAT(0.0));
    VU ix = (VU)xs + (0x3ff0000000000000 - 0x3fe6a09e667f3bcd); /* unsigned: negative and NaN lanes wrap */
    VU e = (ix >> 52) & 0x7ff;
    VD kd = ((VD)(e + 0x4330000000000000) - VSPLAT(0x1p52 + 1023.0)) + kadj;
    VD f = (VD)((ix & 0x000fffffffffffff) + 0x3fe6a09e667f3bcd) - 1.0;
#endif
    VD hfsq = 0.5 * f * f;
    VD s = f / (2.0 + f);
    VD z = s * s;
    /* R / z = sum_{j=0..9} 2 z^j / (2j + 3), by Estrin's scheme */
    VD z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    VD a0 = VFMA(VSPLAT(2.0 / 5.0), z, VSPLAT(2.0 / 3.0));
    VD a1 = VFMA(VSPLAT(2.0 / 9.0), z, VSPLAT(2.0 / 7.0));
    VD a2 = VFMA(VSPLAT(2.0 / 13.0), z, VSPLAT(2.0 / 11.0));
    VD a3 = VFMA(VSPLAT(2.0 / 17.0), z, VSPLAT(2.0 / 15.0));
    VD a4 = VFMA(VSPLAT(2.0 / 21.0), z, VSPLAT(2.0 / 19.0));
    VD R = VFMA(VFMA(a3, z2, a2), z4, VFMA(a1, z2, a0));
    R = VFMA(a4, z8, R);
    R = R * z;
    VD corr = VFMA(s, hfsq + R, kd * VM_LN2LO);
    VD y = VFMA(kd, VSPLAT(VM_LN2HI), f - (hfsq - corr));
    /* the edges: log(0) = -inf, log(x < 0) = log(NaN) = NaN, log(+inf) = +inf */
    y = VM(sel)((VL)(x == 0.0), VSPLAT(-INFINITY), y);
    y = VM(sel)((VL)(x == INFINITY), VSPLAT(INFINITY), y);
#ifndef VM_LOG_REDUCE
    y = VM(sel)(~(VL)(x >= 0.0), VSPLAT(NAN), y);
#endif
    return y;
}

/* ---- array kernels ---------------------------------------------------------------------- */

VM_ATTR static void VM(exp_array)(const double *x, double *y, size_t n)
{
    size_t i = 0;
    for (; i + VN <= n; i += VN) VM(st)(y, NULL, i, VM(exp)(VM(ld)(x, NULL, i)));
    if (i < n) VM(st_tail)(y, NULL, i, n, VM(exp)(VM(ld_tail)(x, NULL, i, n, 0.0)));
}

VM_ATTR static void VM(log_array)(const double *x, double *y, size_t n)
{
    size_t i = 0;
    for (; i + VN <= n; i += VN) VM(st)(y, NULL, i, VM(log)(VM(ld)(x, NULL, i)));
    if (i < n) VM(st_tail)(y, NULL, i, n, VM(log)(VM(ld_tail)(x, NULL, i, n, 1.0)));
}

VM_ATTR static size_t VM(check_max)(const double *xd, const float *xf, size_t n, double *max)
{
    const VD inf = VSPLAT(INFINITY);
    VD mx = -inf;
    VL ok = (VL)(mx == mx);
    size_t i = 0;
    for (; i + VN <= n; i += VN) {
        VD v = VM(ld)(xd, xf, i);
        ok &= (VL)(v < inf);
        mx = VM(vmax)(v, mx);
    }
    if (i < n) {
        VD v = VM(ld_tail)(xd, xf, i, n, -INFINITY);
        ok &= (VL)(v < inf);
        mx = VM(vmax)(v, mx);
    }
    if (VM(any)(~ok)) /* the first NaN or +inf, named by a scalar pass */
        for (i = 0; i < n; i++) {
            double v = xf ? (double)xf[i] : xd[i];
            if (!(v < INFINITY)) return i;
        }
    double m = -INFINITY;
    for (int j = 0; j < VN; j++) m = mx[j] > m ? mx[j] : m;
    *max = m;
    return n;
}

VM_ATTR static size_t VM(find)(const double *xd, const float *xf, size_t n, double v)
{
    const VD vv = VSPLAT(v);
    size_t i = 0;
    for (; i + VN <= n; i += VN)
        if (VM(any)((VL)(VM(ld)(xd, xf, i) == vv))) break;
    for (; i < n; i++)
        if ((xf ? (double)xf[i] : xd[i]) == v) return i;
    return n;
}

VM_AI lmp_vm_dd VM(fin2)(VD s0, VD c0, VD s1, VD c1, size_t count)
{
    VM(acc)(&s0, &c0, s1);
    return VM(fin_n)(s0, c0 + c1, count);
}

VM_ATTR static lmp_vm_dd VM(exp_sum)(const double *xd, const float *xf, size_t lo, size_t hi, double m, double *outd,
                                     float *outf)
{
    const VD mv = VSPLAT(m);
    /* two accumulators: the TwoSum chains of consecutive vectors overlap */
    VD s0 = VSPLAT(0.0), c0 = s0, s1 = s0, c1 = s0;
    size_t i = lo;
    if (outd || outf)
        for (; i + 2 * VN <= hi; i += 2 * VN) {
            VD e0 = VM(exp)(VM(ld)(xd, xf, i) - mv), e1 = VM(exp)(VM(ld)(xd, xf, i + VN) - mv);
            VM(st)(outd, outf, i, e0);
            VM(st)(outd, outf, i + VN, e1);
            VM(acc)(&s0, &c0, e0);
            VM(acc)(&s1, &c1, e1);
        }
    else
        for (; i + 2 * VN <= hi; i += 2 * VN) {
            VM(acc)(&s0, &c0, VM(exp)(VM(ld)(xd, xf, i) - mv));
            VM(acc)(&s1, &c1, VM(exp)(VM(ld)(xd, xf, i + VN) - mv));
        }
    for (; i < hi; i += VN) {
        VD e = VM(exp)(VM(ld_tail)(xd, xf, i, hi, -INFINITY) - mv);
        if (outd || outf) VM(st_tail)(outd, outf, i, hi, e);
        VM(acc)(&s0, &c0, e);
    }
    return VM(fin2)(s0, c0, s1, c1, hi - lo);
}

/* sum of -exp(d) d, d = x[i] - m, over lo <= i < hi (each term >= 0; 0 for x[i] = -inf,
 * not 0 * -inf) */
VM_ATTR static lmp_vm_dd VM(exp_dsum)(const double *xd, const float *xf, size_t lo, size_t hi, double m)
{
    const VD mv = VSPLAT(m), zero = VSPLAT(0.0), ninf = VSPLAT(-INFINITY);
    VD s0 = zero, c0 = zero, s1 = zero, c1 = zero;
    size_t i = lo;
    for (; i + 2 * VN <= hi; i += 2 * VN) {
        VD d0 = VM(ld)(xd, xf, i) - mv, d1 = VM(ld)(xd, xf, i + VN) - mv;
        VM(acc)(&s0, &c0, VM(sel)((VL)(d0 == ninf), zero, -VM(exp)(d0) * d0));
        VM(acc)(&s1, &c1, VM(sel)((VL)(d1 == ninf), zero, -VM(exp)(d1) * d1));
    }
    for (; i < hi; i += VN) {
        VD d = VM(ld_tail)(xd, xf, i, hi, -INFINITY) - mv;
        VM(acc)(&s0, &c0, VM(sel)((VL)(d == ninf), zero, -VM(exp)(d) * d));
    }
    return VM(fin2)(s0, c0, s1, c1, hi - lo);
}

VM_ATTR static void VM(scale)(double *out, size_t n, double sc)
{
    const VD sv = VSPLAT(sc);
    size_t i = 0;
    for (; i + VN <= n; i += VN) VM(st)(out, NULL, i, VM(ld)(out, NULL, i) * sv);
    for (; i < n; i++) out[i] *= sc;
}

VM_ATTR static void VM(sub2)(const double *xd, const float *xf, size_t n, double m, double l, double *outd,
                             float *outf)
{
    const VD mv = VSPLAT(m), lv = VSPLAT(l);
    size_t i = 0;
    for (; i + VN <= n; i += VN) VM(st)(outd, outf, i, (VM(ld)(xd, xf, i) - mv) - lv);
    if (i < n) VM(st_tail)(outd, outf, i, n, (VM(ld_tail)(xd, xf, i, n, 0.0) - mv) - lv);
}

VM_ATTR static int VM(check_weights)(const double *xd, const float *xf, size_t n, double *max)
{
    const VD inf = VSPLAT(INFINITY), zero = VSPLAT(0.0);
    VD mx = zero;
    VL ok = (VL)(mx == mx);
    size_t i = 0;
    for (; i + VN <= n; i += VN) {
        VD v = VM(ld)(xd, xf, i);
        ok &= (VL)(v >= zero) & (VL)(v < inf);
        mx = VM(vmax)(v, mx);
    }
    if (i < n) {
        VD v = VM(ld_tail)(xd, xf, i, n, 0.0);
        ok &= (VL)(v >= zero) & (VL)(v < inf);
        mx = VM(vmax)(v, mx);
    }
    if (VM(any)(~ok)) return -1;
    double m = 0.0;
    for (int j = 0; j < VN; j++) m = mx[j] > m ? mx[j] : m;
    *max = m;
    return 0;
}

VM_ATTR static lmp_vm_dd VM(sum_scaled)(const double *xd, const float *xf, size_t lo, size_t hi, double s1,
                                        double s2)
{
    const VD a = VSPLAT(s1), b = VSPLAT(s2);
    VD s = VSPLAT(0.0), c = s;
    size_t i = lo;
    for (; i + VN <= hi; i += VN) VM(acc)(&s, &c, (VM(ld)(xd, xf, i) * a) * b);
    if (i < hi) VM(acc)(&s, &c, (VM(ld_tail)(xd, xf, i, hi, 0.0) * a) * b);
    return VM(fin_n)(s, c, hi - lo);
}

VM_AI VD VM(ent_term)(VD x, VD a, VD b, VD ls)
{
    VD w = (x * a) * b;
    return VM(sel)((VL)(w > 0.0), w * (ls - VM(log)(w)), VSPLAT(0.0));
}

VM_ATTR static lmp_vm_dd VM(entropy_terms)(const double *xd, const float *xf, size_t lo, size_t hi, double s1,
                                           double s2, double logS)
{
    const VD a = VSPLAT(s1), b = VSPLAT(s2), ls = VSPLAT(logS);
    VD s = VSPLAT(0.0), c = s;
    size_t i = lo;
    for (; i + VN <= hi; i += VN) VM(acc)(&s, &c, VM(ent_term)(VM(ld)(xd, xf, i), a, b, ls));
    if (i < hi) VM(acc)(&s, &c, VM(ent_term)(VM(ld_tail)(xd, xf, i, hi, 0.0), a, b, ls));
    return VM(fin_n)(s, c, hi - lo);
}

VM_ATTR static lmp_vm_dd VM(logprob_sum)(const double *xd, const float *xf, size_t n, int *flag)
{
    const VD zero = VSPLAT(0.0), ninf = VSPLAT(-INFINITY);
    VD s = zero, c = s, s1 = zero, c1 = zero;
    VL bad = (VL)(s != s), mi = bad;
    size_t i = 0;
    /* two accumulators: the TwoSum chains of consecutive vectors overlap (the pass is
     * otherwise bound by the latency of one chain) */
    for (; i + 2 * VN <= n; i += 2 * VN) {
        VD v = VM(ld)(xd, xf, i), w = VM(ld)(xd, xf, i + VN);
        bad |= ~(VL)(v <= zero) | ~(VL)(w <= zero);
        mi |= (VL)(v == ninf) | (VL)(w == ninf);
        VM(acc)(&s, &c, v);
        VM(acc)(&s1, &c1, w);
    }
    VM(acc)(&s, &c, s1);
    c += c1;
    for (; i + VN <= n; i += VN) {
        VD v = VM(ld)(xd, xf, i);
        bad |= ~(VL)(v <= zero);
        mi |= (VL)(v == ninf);
        VM(acc)(&s, &c, v);
    }
    if (i < n) {
        VD v = VM(ld_tail)(xd, xf, i, n, 0.0);
        bad |= ~(VL)(v <= zero);
        mi |= (VL)(v == ninf);
        VM(acc)(&s, &c, v);
    }
    *flag = VM(any)(bad) ? 1 : VM(any)(mi) ? 2 : 0;
    return VM(fin_n)(s, c, n);
}

/* The polynomial of bd0's series (below): P(v^2) = sum_{j>=1} v^(2j-2) / (2j + 1), nine terms, enough
 * for v^2 < 0.01 */
VM_AI VD VM(bd0_poly)(VD v2)
{
    VD p = VSPLAT(1.0 / 19.0);
    p = VFMA(p, v2, VSPLAT(1.0 / 17.0));
    p = VFMA(p, v2, VSPLAT(1.0 / 15.0));
    p = VFMA(p, v2, VSPLAT(1.0 / 13.0));
    p = VFMA(p, v2, VSPLAT(1.0 / 11.0));
    p = VFMA(p, v2, VSPLAT(1.0 / 9.0));
    p = VFMA(p, v2, VSPLAT(1.0 / 7.0));
    p = VFMA(p, v2, VSPLAT(1.0 / 5.0));
    return VFMA(p, v2, VSPLAT(1.0 / 3.0));
}

/* Loader's deviance bd0(a, b) = a log(a / b) + b - a >= 0 lane by lane, as lmp_bd0_
 * (dist/special.c) computes it: where |a - b| < 0.1 (a + b), the direct form cancels and the
 * series (a - b) v + 2a sum_{j>=1} v^(2j+1) / (2j + 1), v = (a - b) / (a + b), keeps the
 * digits; v^2 < 0.01 there, so nine terms reach below 1e-18 of the first (Horner in v^2).
 * bd0(0, b) = b; a > 0 = b gives +inf. */
VM_AI VD VM(bd0)(VD a, VD b)
{
    const VD zero = VSPLAT(0.0);
    VD d = a - b, apb = a + b, v = d / apb, v2 = v * v;
    VD series = VFMA((2.0 * a) * v, v2 * VM(bd0_poly)(v2), d * v);
    VD direct = (a * VM(log)(a / b) + b) - a;
    VD ad = (VD)((VU)d & 0x7fffffffffffffff);
    VD r = VM(sel)((VL)(ad < 0.1 * apb), series, direct);
    return VM(sel)((VL)(a == zero), b, r);
}

VM_ATTR static void VM(sum_plus)(const double *Pd, const float *Pf, const double *Qd, const float *Qf, size_t n,
                                 double eps, double s1, double s2, lmp_vm_dd *sp, lmp_vm_dd *sq)
{
    const VD ev = VSPLAT((eps * s1) * s2), v1 = VSPLAT(s1), v2 = VSPLAT(s2);
    VD s = VSPLAT(0.0), c = s, t = s, d = s;
    size_t i = 0;
    for (; i + VN <= n; i += VN) {
        VM(acc)(&s, &c, (VM(ld)(Pd, Pf, i) * v1) * v2 + ev);
        VM(acc)(&t, &d, (VM(ld)(Qd, Qf, i) * v1) * v2 + ev);
    }
    if (i < n) { /* padded with -eps, scaled as eps is: the padding adds exactly 0 */
        VM(acc)(&s, &c, (VM(ld_tail)(Pd, Pf, i, n, -eps) * v1) * v2 + ev);
        VM(acc)(&t, &d, (VM(ld_tail)(Qd, Qf, i, n, -eps) * v1) * v2 + ev);
    }
    *sp = VM(fin_n)(s, c, n);
    *sq = VM(fin_n)(t, d, n);
}

VM_ATTR static lmp_vm_dd VM(kl_smooth)(const double *Pd, const float *Pf, const double *Qd, const float *Qf, size_t n,
                                       double eps, double s1, double s2, double ia, double ib)
{
    const VD ev = VSPLAT((eps * s1) * s2), av = VSPLAT(ia), bv = VSPLAT(ib), zero = VSPLAT(0.0);
    const VD v1 = VSPLAT(s1), v2 = VSPLAT(s2);
    VD s = zero, c = s;
    VL inf = (VL)(s != s);
    size_t i = 0;
    for (; i <= n; i += VN) {
        VD a, b;
        if (i + VN <= n) {
            a = ((VM(ld)(Pd, Pf, i) * v1) * v2 + ev) * av;
            b = ((VM(ld)(Qd, Qf, i) * v1) * v2 + ev) * bv;
        } else if (i < n) { /* padded with -eps: a = b = 0 there, which adds nothing */
            a = ((VM(ld_tail)(Pd, Pf, i, n, -eps) * v1) * v2 + ev) * av;
            b = ((VM(ld_tail)(Qd, Qf, i, n, -eps) * v1) * v2 + ev) * bv;
        } else {
            break;
        }
        /* Loader's deviance terms, as kl_terms sums them: a log(a / b) summed alone carried the rounding
         * of the two normalisations (ia, ib) whole, and close distributions' KL came out 56 % off (1e-8
         * apart) or negative; bd0's b - a gives it back to first order */
        VL pos = (VL)(a > zero);
        inf |= pos & (VL)(b == zero);
        VM(acc)(&s, &c, VM(sel)(pos & (VL)(b == zero), zero, VM(bd0)(a, b)));
    }
    if (VM(any)(inf)) return (lmp_vm_dd){INFINITY, 0.0};
    return VM(fin_n)(s, c, n);
}

/* ---- divergences between two distributions (info.c) ------------------------------------
 * Each reads two weight vectors through lmp_vm_wv: lane values ((x * s1) * s2) / sum, the
 * normalised probabilities of info.c's wdist, rounded once as its scalar wq() rounds them. */

VM_AI VD VM(wv_ld)(lmp_vm_wv w, size_t i, size_t n)
{
    return ((VM(ld_n)(w.d, w.f, i, n, 0.0) * w.s1) * w.s2) / w.sum;
}

/* log p of probabilities p = wv_ld() with x their unscaled weights: log p, but where p fell
 * below the normal doubles (0 or subnormal, so its own log would be -inf or short of digits)
 * though x > 0, log x - lnorm with lnorm = log(sum 2^-shift) (wv_lnorm); log p there is below
 * -708, so the subtraction loses at most a bit. A lane with x = 0 gives -inf. */
VM_AI VD VM(wv_logp)(VD p, VD x, VD lnorm)
{
    VL small = (VL)(p < VSPLAT(0x1p-1022)) & (VL)(x > VSPLAT(0.0));
    return VM(sel)(small, VM(log)(VM(sel)(small, x, VSPLAT(1.0))) - lnorm, VM(log)(p));
}

/* log(sum 2^-shift), the log of the unscaled total: shift ln 2 in two parts (VM_LN2HI times an
 * int below 2^21 is exact), for wv_logp; only the passes that need it work it out */
static inline double VM(wv_lnorm)(lmp_vm_wv w)
{
    return (log(w.sum) - w.shift * VM_LN2LO) - w.shift * VM_LN2HI;
}

/* sum of bd0(a_i, b_i) (KL(a || b) as non-negative terms); *inf = 1 when some a_i > 0 has
 * Q's weight 0. A lane with a > 0 and b below the normals is left to a second pass, run only
 * when there is one: +inf where Q's weight is 0; where it is not (weights that span more than
 * the doubles' range, [1e300, 1e-300]) a / b would overflow or keep few digits, so the term is
 * a (log a - log b) + b - a with both logs from the unscaled weights where small
 * (wv_logp): large positive parts, nothing cancels unless a is as small, and such a term
 * is below 1e-300. */
VM_ATTR static lmp_vm_dd VM(kl_terms)(lmp_vm_wv P, lmp_vm_wv Q, size_t n, int *inf)
{
    const VD zero = VSPLAT(0.0), dmin = VSPLAT(0x1p-1022);
    VD s = zero, c = zero;
    VL any_small = (VL)(s != s), bad = any_small;
    for (size_t i = 0; i < n; i += VN) {
        VD a = VM(wv_ld)(P, i, n), b = VM(wv_ld)(Q, i, n);
        VL small = (VL)(a > zero) & (VL)(b < dmin);
        any_small |= small;
        VM(acc)(&s, &c, VM(sel)(small, zero, VM(bd0)(a, b)));
    }
    if (VM(any)(any_small)) {
        const VD lnp = VSPLAT(VM(wv_lnorm)(P)), lnq = VSPLAT(VM(wv_lnorm)(Q));
        for (size_t i = 0; i < n; i += VN) {
            VD a = VM(wv_ld)(P, i, n), b = VM(wv_ld)(Q, i, n);
            VD y = VM(ld_n)(Q.d, Q.f, i, n, 0.0), x = VM(ld_n)(P.d, P.f, i, n, 0.0);
            VL small = (VL)(a > zero) & (VL)(b < dmin);
            bad |= small & (VL)(y == zero);
            VL tiny = small & (VL)(y > zero);
            if (!VM(any)(tiny)) continue;
            VD la = VM(wv_logp)(a, x, lnp), lb = VM(wv_logp)(b, y, lnq);
            VM(acc)(&s, &c, VM(sel)(tiny, (a * (la - lb) + b) - a, zero));
        }
    }
    *inf = VM(any)(bad);
    return VM(fin_n)(s, c, n);
}

/* sum of (bd0(a_i, m_i) + bd0(b_i, m_i)) / 2, m = (a + b) / 2 (Jensen-Shannon) */
VM_ATTR static lmp_vm_dd VM(js_terms)(lmp_vm_wv P, lmp_vm_wv Q, size_t n)
{
    VD s = VSPLAT(0.0), c = s;
    for (size_t i = 0; i < n; i += VN) {
        VD a = VM(wv_ld)(P, i, n), b = VM(wv_ld)(Q, i, n), m = 0.5 * (a + b);
        VM(acc)(&s, &c, 0.5 * (VM(bd0)(a, m) + VM(bd0)(b, m)));
    }
    return VM(fin_n)(s, c, n);
}

/* sum of -w_i log b_i over lo <= i < hi, w = (P[i] * s1) * s2 (P not divided by its sum:
 * the caller does it once), b from Q; terms with w = 0 are 0 (xlogy); *inf = 1 when some
 * w_i > 0 has Q[i] = 0. A lane with w > 0 and b below the normals is left to a second pass,
 * run only when there is one: +inf where Q[i] = 0, else log b from the unscaled weight
 * (wv_logp), which keeps its digits where b is subnormal or 0. */
VM_ATTR static lmp_vm_dd VM(xent_terms)(lmp_vm_wv P, lmp_vm_wv Q, size_t lo, size_t hi, int *inf)
{
    const VD zero = VSPLAT(0.0), dmin = VSPLAT(0x1p-1022);
    VD s = zero, c = zero;
    VL any_small = (VL)(s != s), bad = any_small;
    for (size_t i = lo; i < hi; i += VN) {
        VD q = VM(ld_n)(Q.d, Q.f, i, hi, 1.0), w = (VM(ld_n)(P.d, P.f, i, hi, 0.0) * P.s1) * P.s2;
        VD b = ((q * Q.s1) * Q.s2) / Q.sum;
        VL pos = (VL)(w > zero), small = pos & (VL)(b < dmin);
        any_small |= small;
        VM(acc)(&s, &c, VM(sel)(pos & ~small, -w * VM(log)(b), zero));
    }
    if (VM(any)(any_small)) {
        const VD lnq = VSPLAT(VM(wv_lnorm)(Q));
        for (size_t i = lo; i < hi; i += VN) {
            VD q = VM(ld_n)(Q.d, Q.f, i, hi, 1.0), w = (VM(ld_n)(P.d, P.f, i, hi, 0.0) * P.s1) * P.s2;
            VD b = ((q * Q.s1) * Q.s2) / Q.sum;
            VL small = (VL)(w > zero) & (VL)(b < dmin);
            bad |= small & (VL)(q == zero);
            VL tiny = small & (VL)(q > zero);
            if (VM(any)(tiny)) VM(acc)(&s, &c, VM(sel)(tiny, -w * VM(wv_logp)(b, q, lnq), zero));
        }
    }
    *inf = VM(any)(bad);
    return VM(fin_n)(s, c, hi - lo);
}

/* Two distributions given as float log-probabilities up to a constant each: la = (a[i] - ma) -
 * sa, lb = (b[i] - mb) - sb (ma + sa, mb + sb their log-sum-exps, in two parts: vmath.h), pa =
 * e^la, pb = e^lb. out[0] sums bd0(pa, pb)
 * (KL(a || b)), out[1] bd0(pb, pa) (KL(b || a)), out[2] (bd0(pa, m) + bd0(pb, m)) / 2, m = (pa +
 * pb) / 2 (JS): Loader's deviance terms, as the probability kernels (kl_terms, js_terms) sum them.
 * Why not pa (la - lb), as this kernel summed before: near-equal rows (a fine-tune against its
 * base, a quantised copy) have KL ~ d^2 for logit differences ~ d, and the rounding of lsa - lsb
 * (~1e-15) entered every pa (la - lb) alike: relative errors ~1e-15 / d^2 (3 % at logits a float
 * ulp apart). bd0(pa, pb) = pa (la - lb) + pb - pa gives a common shift of lb back to first order;
 * and pb is pa e^(lsa - lsb - (a - b)), a - b exact in double, so the two probabilities of a term
 * share pa's rounding: errors ~1e-16 / d, within the condition number (~|a| / d). Where the two are
 * not close, bd0's direct form takes log(pa / pb) = la - lb and log(pa / m) = la - log m from the
 * logits (no division, one log for both JS terms); the series terms share one quotient for both
 * KL terms. A term whose probability is 0 adds the other's (0 log 0 = 0); pa > 0 against b = -inf
 * makes KL(a || b) +inf. (eval/kl.c: two models compared position by position.) */
VM_ATTR static void VM(logit_div)(const float *a, const float *b, size_t n, double ma, double sa, double mb,
                                  double sb, lmp_vm_dd out[3])
{
    const VD zero = VSPLAT(0.0), vma = VSPLAT(ma), vsa = VSPLAT(sa), vmb = VSPLAT(mb), vsb = VSPLAT(sb),
             dm = VSPLAT(ma - mb), ds = VSPLAT(sa - sb), half = VSPLAT(0.5), tenth = VSPLAT(0.1),
             inf = VSPLAT(INFINITY), dmin = VSPLAT(0x1p-1022);
    VD s0 = zero, c0 = zero, s1 = zero, c1 = zero, s2 = zero, c2 = zero;
    VL inf0 = (VL)(zero != zero), inf1 = inf0; /* a +inf term (TwoSum would turn it into NaN) */
    for (size_t i = 0; i < n; i += VN) {
        /* padded with -inf: probability 0, every term 0 */
        VD xa = VM(ld_n)(NULL, a, i, n, -INFINITY), xb = VM(ld_n)(NULL, b, i, n, -INFINITY);
        VD la = (xa - vma) - vsa, pa = VM(exp)(la);
        /* pb from pa where pa is normal (then pb <= 1 keeps the exp below overflow), else on its own;
         * delta = la - lb, from a - b where pa is normal */
        VL na = (VL)(pa >= dmin);
        VD delta = (VM(sel)(na, xa - xb, zero) - dm) - ds, pb = pa * VM(exp)(-delta), lb = la - delta;
        if (VM(any)(~na)) {
            VD lb0 = (xb - vmb) - vsb;
            pb = VM(sel)(na, pb, VM(exp)(lb0));
            delta = VM(sel)(na, delta, la - lb0);
            lb = VM(sel)(na, lb, lb0);
        }
        VL za = (VL)(pa == zero), zb = (VL)(pb == zero);
        /* KL both ways: the series around pa = pb with one v for both (bd0(pb, pa)'s is -v), else
         * the direct forms from delta */
        VD d = pa - pb, sum = pa + pb, v = d / sum, v2 = v * v, q = v2 * VM(bd0_poly)(v2), dv = d * v;
        VL close = (VL)((VD)((VU)d & 0x7fffffffffffffff) < tenth * sum);
        VD kab = VM(sel)(close, VFMA((2.0 * pa) * v, q, dv), (pa * delta + pb) - pa);
        VD kba = VM(sel)(close, VFMA((-2.0 * pb) * v, q, dv), (pb * -delta + pa) - pb);
        kab = VM(sel)(za, pb, kab);
        kba = VM(sel)(zb, pa, kba);
        inf0 |= (VL)(kab == inf);
        inf1 |= (VL)(kba == inf);
        VM(acc)(&s0, &c0, VM(sel)((VL)(kab == inf), zero, kab));
        VM(acc)(&s1, &c1, VM(sel)((VL)(kba == inf), zero, kba));
        /* JS: bd0(pa, m) has v = (pa - pb) / (3 pa + pb), bd0(pb, m) v = (pb - pa) / (3 pb + pa) */
        VD m = half * sum, hd = half * d, ea = VFMA(VSPLAT(2.0), pa, sum), eb = VFMA(VSPLAT(2.0), pb, sum);
        VD vA = d / ea, vB = -d / eb, vA2 = vA * vA, vB2 = vB * vB;
        VD ahd = (VD)((VU)hd & 0x7fffffffffffffff);
        VL closeA = (VL)(ahd < tenth * (half * ea)), closeB = (VL)(ahd < tenth * (half * eb));
        VD lm = VM(log)(m), ta = la - lm, tb = lb - lm;
        VD ja = VM(sel)(closeA, VFMA((2.0 * pa) * vA, vA2 * VM(bd0_poly)(vA2), hd * vA), (pa * ta + m) - pa);
        VD jb = VM(sel)(closeB, VFMA((2.0 * pb) * vB, vB2 * VM(bd0_poly)(vB2), -hd * vB), (pb * tb + m) - pb);
        ja = VM(sel)(za, m, ja);
        jb = VM(sel)(zb, m, jb);
        VM(acc)(&s2, &c2, half * (ja + jb));
    }
    out[0] = VM(any)(inf0) ? (lmp_vm_dd){INFINITY, 0.0} : VM(fin_n)(s0, c0, n);
    out[1] = VM(any)(inf1) ? (lmp_vm_dd){INFINITY, 0.0} : VM(fin_n)(s1, c1, n);
    out[2] = VM(fin_n)(s2, c2, n);
}

#undef VM_AI
#undef VSPLAT
