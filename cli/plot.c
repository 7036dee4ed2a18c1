/* PNG charts with cairo (see plot.h). Layout: a title band, a plot frame with
 * ticks and grid lines, axis titles, a legend box inside the frame. */
#include "plot.h"

#include <cairo.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "lmprob/core.h"

/* cairo is loaded with dlopen at the first picture, not linked: its
 * dependency tree (pixman, fontconfig, freetype, X11 libraries ...) cost
 * about 1 ms at every start of the CLI, also for the commands that draw
 * nothing (lmprob ppl). The header still gives the types and signatures;
 * every cairo call below goes through the table `cx`. */
#define CAIRO_FUNCS(X)                                                                                          \
    X(cairo_arc) X(cairo_clip) X(cairo_create) X(cairo_debug_reset_static_data) X(cairo_destroy) X(cairo_fill) \
    X(cairo_fill_preserve) X(cairo_image_surface_create) X(cairo_line_to) X(cairo_move_to) X(cairo_paint)      \
    X(cairo_rectangle) X(cairo_restore) X(cairo_rotate) X(cairo_save) X(cairo_select_font_face)               \
    X(cairo_set_dash) X(cairo_set_font_size) X(cairo_set_line_width) X(cairo_set_source_rgb)                   \
    X(cairo_set_source_rgba) X(cairo_show_text) X(cairo_status_to_string) X(cairo_stroke)                     \
    X(cairo_surface_destroy) X(cairo_surface_flush) X(cairo_surface_write_to_png_stream) X(cairo_text_extents)       \
    X(cairo_translate)

#define CX_MEMBER(f) __typeof__(f) *f;
static struct {
    CAIRO_FUNCS(CX_MEMBER)
} cx;
static int cx_state; /* 0: not tried, 1: loaded, -1: failed (cx_error says why) */
static char cx_error[512];

/* Load libcairo and resolve every function used here (once; a failure is
 * remembered). Returns 0, or -1 with the reason in msg. */
static int cx_load(char *msg, size_t msglen)
{
    if (cx_state == 0) {
        cx_state = -1;
        void *h = dlopen("libcairo.so.2", RTLD_NOW | RTLD_LOCAL);
        const char *missing = NULL;
        if (!h) {
            const char *e = dlerror();
            snprintf(cx_error, sizeof cx_error,
                     "cannot draw pictures: cairo is not available (%s); install libcairo2 (apt-get install libcairo2)",
                     e ? e : "dlopen(libcairo.so.2) failed");
        } else {
#define CX_RESOLVE(f)                                                                                           \
            if (!missing) {                                                                                      \
                void *sym = dlsym(h, #f);                                                                        \
                if (sym) memcpy(&cx.f, &sym, sizeof sym);                                                        \
                else missing = #f;                                                                               \
            }
            CAIRO_FUNCS(CX_RESOLVE)
#undef CX_RESOLVE
            if (missing) {
                snprintf(cx_error, sizeof cx_error, "cannot draw pictures: libcairo.so.2 lacks %s (too old a cairo)",
                         missing);
                memset(&cx, 0, sizeof cx);
                dlclose(h);
            } else {
                cx_state = 1;
            }
        }
    }
    if (cx_state < 0) {
        snprintf(msg, msglen, "%s", cx_error);
        return -1;
    }
    return 0;
}

/* From here on, cairo_xxx(...) calls the loaded function. */
#define CX_REDIRECT(f) cx.f
#define cairo_arc CX_REDIRECT(cairo_arc)
#define cairo_clip CX_REDIRECT(cairo_clip)
#define cairo_create CX_REDIRECT(cairo_create)
#define cairo_destroy CX_REDIRECT(cairo_destroy)
#define cairo_fill CX_REDIRECT(cairo_fill)
#define cairo_fill_preserve CX_REDIRECT(cairo_fill_preserve)
#define cairo_image_surface_create CX_REDIRECT(cairo_image_surface_create)
#define cairo_line_to CX_REDIRECT(cairo_line_to)
#define cairo_move_to CX_REDIRECT(cairo_move_to)
#define cairo_paint CX_REDIRECT(cairo_paint)
#define cairo_rectangle CX_REDIRECT(cairo_rectangle)
#define cairo_restore CX_REDIRECT(cairo_restore)
#define cairo_rotate CX_REDIRECT(cairo_rotate)
#define cairo_save CX_REDIRECT(cairo_save)
#define cairo_select_font_face CX_REDIRECT(cairo_select_font_face)
#define cairo_set_dash CX_REDIRECT(cairo_set_dash)
#define cairo_set_font_size CX_REDIRECT(cairo_set_font_size)
#define cairo_set_line_width CX_REDIRECT(cairo_set_line_width)
#define cairo_set_source_rgb CX_REDIRECT(cairo_set_source_rgb)
#define cairo_set_source_rgba CX_REDIRECT(cairo_set_source_rgba)
#define cairo_show_text CX_REDIRECT(cairo_show_text)
#define cairo_status_to_string CX_REDIRECT(cairo_status_to_string)
#define cairo_stroke CX_REDIRECT(cairo_stroke)
#define cairo_surface_destroy CX_REDIRECT(cairo_surface_destroy)
#define cairo_surface_flush CX_REDIRECT(cairo_surface_flush)
#define cairo_surface_write_to_png_stream CX_REDIRECT(cairo_surface_write_to_png_stream)
#define cairo_text_extents CX_REDIRECT(cairo_text_extents)
#define cairo_translate CX_REDIRECT(cairo_translate)

static const unsigned palette[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f};
#define NPALETTE (sizeof palette / sizeof palette[0])

plot_spec plot_spec_default(void)
{
    plot_spec p;
    memset(&p, 0, sizeof p);
    p.width = 900;
    p.height = 560;
    p.xmin = p.xmax = p.ymin = p.ymax = NAN;
    return p;
}

void plot_release_caches(void)
{
    if (cx_state == 1) cx.cairo_debug_reset_static_data();
}

double plot_histogram(const double *v, size_t n, double lo, double hi, size_t nbins, int density,
                      double *centres, double *heights)
{
    double w = (hi - lo) / (double)nbins;
    for (size_t b = 0; b < nbins; b++) {
        centres[b] = lo + ((double)b + 0.5) * w;
        heights[b] = 0.0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(v[i] >= lo && v[i] <= hi)) continue;
        size_t b = (size_t)((v[i] - lo) / w);
        if (b >= nbins) b = nbins - 1; /* v == hi goes in the last bin, as numpy.histogram */
        heights[b] += 1.0;
    }
    if (density && n > 0)
        for (size_t b = 0; b < nbins; b++) heights[b] /= (double)n * w;
    return w;
}

size_t plot_nice_ticks(double lo, double hi, int target, double *ticks, size_t max)
{
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi) || target < 2) return 0;
    double raw = (hi - lo) / (double)target;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag, step;
    if (f < 1.5) step = 1.0 * mag;
    else if (f < 3.5) step = 2.0 * mag;
    else if (f < 7.5) step = 5.0 * mag;
    else step = 10.0 * mag;
    size_t k = 0;
    for (double t = ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9 && k < max; t += step) {
        ticks[k++] = fabs(t) < step * 1e-9 ? 0.0 : t;
    }
    return k;
}

typedef struct axis {
    double lo, hi; /* in axis units (log10 when log) */
    int log;
    double p0, p1; /* pixel range */
} axis;

static double ax_map(const axis *a, double v)
{
    double u = a->log ? log10(v) : v;
    return a->p0 + (u - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

static void set_rgb(cairo_t *cr, unsigned c, double alpha)
{
    cairo_set_source_rgba(cr, ((c >> 16) & 255) / 255.0, ((c >> 8) & 255) / 255.0, (c & 255) / 255.0, alpha);
}

static void text_at(cairo_t *cr, double x, double y, const char *s, double ha, double va)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    cairo_move_to(cr, x - te.x_bearing - te.width * ha, y - te.y_bearing - te.height * va);
    cairo_show_text(cr, s);
}

static void fmt_tick(char *buf, size_t len, double v, double step)
{
    if (v == 0.0) {
        snprintf(buf, len, "0");
        return;
    }
    double av = fabs(v);
    if (av >= 1e5 || av < 1e-3) {
        snprintf(buf, len, "%.3g", v);
        return;
    }
    int dec = 0;
    if (step < 1.0) dec = (int)ceil(-log10(step) - 1e-9);
    if (dec > 6) dec = 6;
    snprintf(buf, len, "%.*f", dec, v);
}

static void data_range(const plot_spec *p, int is_x, int logscale, double *lo, double *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t s = 0; s < p->nseries; s++) {
        const plot_series *se = &p->series[s];
        const double *v = is_x ? se->x : se->y;
        for (size_t i = 0; i < se->n; i++) {
            double xv = se->x[i], yv = se->y[i];
            if (!isfinite(xv) || !isfinite(yv)) continue;
            double u = v[i];
            if (logscale && u <= 0) continue;
            double half = 0.0;
            if (is_x && se->kind == PLOT_BARS) half = se->bar_width > 0 ? se->bar_width / 2 : 0.5;
            if (u - half < a) a = u - half;
            if (u + half > b) b = u + half;
        }
    }
    if (is_x)
        for (size_t k = 0; k < p->nvlines; k++) {
            if (p->vlines[k].x < a) a = p->vlines[k].x;
            if (p->vlines[k].x > b) b = p->vlines[k].x;
        }
    if (!isfinite(a)) {
        a = logscale ? 1 : 0;
        b = logscale ? 10 : 1;
    }
    if (a == b) {
        a = logscale ? a / 2 : a - 1;
        b = logscale ? b * 2 : b + 1;
    }
    *lo = a;
    *hi = b;
}

static double bar_width_of(const plot_series *se)
{
    if (se->bar_width > 0) return se->bar_width;
    double gap = INFINITY;
    for (size_t i = 1; i < se->n; i++) {
        double d = fabs(se->x[i] - se->x[i - 1]);
        if (d > 0 && d < gap) gap = d;
    }
    return isfinite(gap) ? 0.8 * gap : 0.8;
}

/* cairo's stream writer into a FILE (CAIRO_STATUS_WRITE_ERROR on a short write). */
static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

int plot_png(const plot_spec *p, const char *path, char *msg, size_t msglen)
{
    if (cx_load(msg, msglen)) return -1;
    int W = p->width > 0 ? p->width : 900, H = p->height > 0 ? p->height : 560;
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);

    /* ranges */
    double xlo, xhi, ylo, yhi;
    data_range(p, 1, p->logx, &xlo, &xhi);
    data_range(p, 0, p->logy, &ylo, &yhi);
    if (!p->logy && p->y_from_zero) {
        if (ylo > 0) ylo = 0;
        if (yhi < 0) yhi = 0;
    }
    for (size_t s = 0; s < p->nseries; s++)
        if (p->series[s].kind == PLOT_BARS && !p->logy && ylo > 0) ylo = 0;
    if (!isnan(p->xmin)) xlo = p->xmin;
    if (!isnan(p->xmax)) xhi = p->xmax;
    if (!isnan(p->ymin)) ylo = p->ymin;
    if (!isnan(p->ymax)) yhi = p->ymax;
    axis ax = {0}, ay = {0};
    ax.log = p->logx;
    ay.log = p->logy;
    if (p->logx) {
        ax.lo = floor(log10(xlo) * 10) / 10;
        ax.hi = ceil(log10(xhi) * 10) / 10;
    } else {
        double pad = (xhi - xlo) * 0.03;
        ax.lo = xlo - pad;
        ax.hi = xhi + pad;
    }
    if (p->logy) {
        ay.lo = floor(log10(ylo));
        ay.hi = ceil(log10(yhi));
        if (ay.hi - ay.lo < 1) ay.hi = ay.lo + 1;
    } else {
        double pad = (yhi - ylo) * 0.05;
        ay.lo = (ylo == 0 && (p->y_from_zero || isnan(p->ymin))) ? 0 : ylo - pad;
        if (!isnan(p->ymin)) ay.lo = p->ymin;
        ay.hi = yhi + pad;
        if (!isnan(p->ymax)) ay.hi = p->ymax;
    }
    if (ax.hi <= ax.lo) ax.hi = ax.lo + 1;
    if (ay.hi <= ay.lo) ay.hi = ay.lo + 1;

    double L = 88, R = W - 24, T = 52, B = H - 62;
    ax.p0 = L;
    ax.p1 = R;
    ay.p0 = B;
    ay.p1 = T;

    /* title */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 17);
    if (p->title) text_at(cr, W / 2.0, 20, p->title, 0.5, 0.0);

    /* grid and ticks */
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    char buf[64];
    double ticks[64];
    size_t nt;
    /* y */
    if (p->logy) {
        nt = 0;
        for (double e = ay.lo; e <= ay.hi + 1e-9 && nt < 64; e += 1) ticks[nt++] = pow(10, e);
    } else {
        nt = plot_nice_ticks(ay.lo, ay.hi, 6, ticks, 64);
    }
    for (size_t i = 0; i < nt; i++) {
        double py = ax_map(&ay, ticks[i]);
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, L, py);
        cairo_line_to(cr, R, py);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, L - 5, py);
        cairo_line_to(cr, L, py);
        cairo_stroke(cr);
        if (p->logy) snprintf(buf, sizeof buf, "%g", ticks[i]);
        else fmt_tick(buf, sizeof buf, ticks[i], nt > 1 ? ticks[1] - ticks[0] : 1);
        text_at(cr, L - 8, py, buf, 1.0, 0.5);
    }
    /* x */
    if (p->nxticklabels) {
        nt = 0;
        size_t every = p->nxticklabels > 24 ? (p->nxticklabels + 23) / 24 : 1;
        for (size_t i = 0; i < p->nxticklabels; i += every) {
            double px = ax_map(&ax, (double)i);
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_move_to(cr, px, B);
            cairo_line_to(cr, px, B + 5);
            cairo_stroke(cr);
            cairo_save(cr);
            cairo_translate(cr, px, B + 8);
            cairo_rotate(cr, M_PI / 4);
            cairo_move_to(cr, 0, 8);
            cairo_show_text(cr, p->xticklabels[i] ? p->xticklabels[i] : "");
            cairo_restore(cr);
        }
    } else {
        if (p->logx) {
            nt = 0;
            for (double e = ceil(ax.lo); e <= ax.hi + 1e-9 && nt < 64; e += 1) ticks[nt++] = pow(10, e);
        } else {
            nt = plot_nice_ticks(ax.lo, ax.hi, 8, ticks, 64);
            if (p->x_integers) { /* an order 2.5 means nothing: keep the whole ticks (every one when the step was < 1) */
                size_t k = 0;
                if (nt > 1 && ticks[1] - ticks[0] < 1.0) {
                    for (double t = ceil(ax.lo - 1e-9); t <= ax.hi + 1e-9 && k < 64; t += 1) ticks[k++] = t;
                } else {
                    for (size_t i = 0; i < nt; i++)
                        if (ticks[i] == floor(ticks[i])) ticks[k++] = ticks[i];
                }
                nt = k;
            }
        }
        for (size_t i = 0; i < nt; i++) {
            double px = ax_map(&ax, ticks[i]);
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
            cairo_move_to(cr, px, T);
            cairo_line_to(cr, px, B);
            cairo_stroke(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
            cairo_move_to(cr, px, B);
            cairo_line_to(cr, px, B + 5);
            cairo_stroke(cr);
            if (p->logx) snprintf(buf, sizeof buf, "%g", ticks[i]);
            else fmt_tick(buf, sizeof buf, ticks[i], nt > 1 ? ticks[1] - ticks[0] : 1);
            text_at(cr, px, B + 8, buf, 0.5, 0.0);
        }
    }

    /* series, clipped to the frame */
    cairo_save(cr);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_clip(cr);
    for (size_t s = 0; s < p->nseries; s++) {
        const plot_series *se = &p->series[s];
        unsigned col = se->color ? se->color : palette[s % NPALETTE];
        double dash[] = {6.0, 4.0};
        cairo_set_dash(cr, dash, se->dashed ? 2 : 0, 0);
        cairo_set_line_width(cr, 2);
        if (se->kind == PLOT_BARS) {
            double bw = bar_width_of(se);
            double base = p->logy ? pow(10, ay.lo) : (ay.lo > 0 ? ay.lo : 0);
            for (size_t i = 0; i < se->n; i++) {
                if (!isfinite(se->x[i]) || !isfinite(se->y[i]) || (p->logy && se->y[i] <= 0)) continue;
                double x0 = ax_map(&ax, se->x[i] - bw / 2), x1 = ax_map(&ax, se->x[i] + bw / 2);
                double y0 = ax_map(&ay, base), y1 = ax_map(&ay, se->y[i]);
                set_rgb(cr, col, se->alpha > 0 ? se->alpha : 0.75);
                cairo_rectangle(cr, x0, y1, x1 - x0, y0 - y1);
                cairo_fill_preserve(cr);
                set_rgb(cr, col, 1.0);
                cairo_set_line_width(cr, 0.8);
                cairo_stroke(cr);
            }
            continue;
        }
        set_rgb(cr, col, 1.0);
        if (se->kind == PLOT_STEP) {
            double bw = bar_width_of(se) / 0.8;
            int started = 0;
            for (size_t i = 0; i < se->n; i++) {
                if (!isfinite(se->y[i])) continue;
                double x0 = ax_map(&ax, se->x[i] - bw / 2), x1 = ax_map(&ax, se->x[i] + bw / 2);
                double py = ax_map(&ay, se->y[i]);
                if (!started) cairo_move_to(cr, x0, ax_map(&ay, p->logy ? pow(10, ay.lo) : 0));
                cairo_line_to(cr, x0, py);
                cairo_line_to(cr, x1, py);
                started = 1;
            }
            cairo_stroke(cr);
            continue;
        }
        if (se->kind == PLOT_LINE || se->kind == PLOT_LINEPOINTS) {
            int pen = 0;
            for (size_t i = 0; i < se->n; i++) {
                int okp = isfinite(se->x[i]) && isfinite(se->y[i]) && !(p->logy && se->y[i] <= 0) &&
                          !(p->logx && se->x[i] <= 0);
                if (!okp) {
                    pen = 0;
                    continue;
                }
                double px = ax_map(&ax, se->x[i]), py = ax_map(&ay, se->y[i]);
                if (pen) cairo_line_to(cr, px, py);
                else cairo_move_to(cr, px, py);
                pen = 1;
            }
            cairo_stroke(cr);
        }
        if (se->kind == PLOT_POINTS || se->kind == PLOT_LINEPOINTS) {
            cairo_set_dash(cr, dash, 0, 0);
            for (size_t i = 0; i < se->n; i++) {
                if (!isfinite(se->x[i]) || !isfinite(se->y[i]) || (p->logy && se->y[i] <= 0)) continue;
                cairo_arc(cr, ax_map(&ax, se->x[i]), ax_map(&ay, se->y[i]), 4, 0, 2 * M_PI);
                cairo_fill(cr);
            }
        }
    }
    /* vertical markers */
    for (size_t k = 0; k < p->nvlines; k++) {
        const plot_vline *v = &p->vlines[k];
        double px = ax_map(&ax, v->x);
        double dash[] = {5.0, 4.0};
        cairo_set_dash(cr, dash, v->dashed ? 2 : 0, 0);
        set_rgb(cr, v->color ? v->color : 0x444444, 1.0);
        cairo_set_line_width(cr, 1.5);
        cairo_move_to(cr, px, T);
        cairo_line_to(cr, px, B);
        cairo_stroke(cr);
        if (v->label) {
            /* beside the line, on the side with more room; staggered so neighbours do not overlap */
            cairo_set_font_size(cr, 11);
            cairo_text_extents_t te;
            cairo_text_extents(cr, v->label, &te);
            double ty = p->vline_labels_bottom ? B - 10 - 14 * (double)(k % 3) : T + 14 + 14 * (double)(k % 3);
            double tx = px > (L + R) / 2 ? px - 4 - te.x_advance : px + 4;
            cairo_move_to(cr, tx, ty);
            cairo_show_text(cr, v->label);
        }
    }
    cairo_restore(cr);
    cairo_set_dash(cr, NULL, 0, 0);

    /* frame and axis titles */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, L, T, R - L, B - T);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 13);
    if (p->xlabel) text_at(cr, (L + R) / 2, H - 20, p->xlabel, 0.5, 0.0);
    if (p->ylabel) {
        cairo_save(cr);
        cairo_translate(cr, 18, (T + B) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, 0, 0, p->ylabel, 0.5, 0.5);
        cairo_restore(cr);
    }

    /* legend */
    size_t nl = 0;
    double lw = 0;
    cairo_set_font_size(cr, 12);
    for (size_t s = 0; s < p->nseries; s++)
        if (p->series[s].label) {
            cairo_text_extents_t te;
            cairo_text_extents(cr, p->series[s].label, &te);
            if (te.x_advance > lw) lw = te.x_advance;
            nl++;
        }
    if (nl) {
        double bx = p->legend_left ? L + 10 : R - lw - 56, by = T + 10, bh = 18.0 * (double)nl + 8;
        cairo_set_source_rgba(cr, 1, 1, 1, 0.85);
        cairo_rectangle(cr, bx, by, lw + 46, bh);
        cairo_fill_preserve(cr);
        cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
        cairo_stroke(cr);
        size_t row = 0;
        for (size_t s = 0; s < p->nseries; s++) {
            const plot_series *se = &p->series[s];
            if (!se->label) continue;
            unsigned col = se->color ? se->color : palette[s % NPALETTE];
            double ry = by + 13 + 18.0 * (double)row;
            if (se->kind == PLOT_BARS) {
                set_rgb(cr, col, se->alpha > 0 ? se->alpha : 0.75);
                cairo_rectangle(cr, bx + 8, ry - 5, 22, 10);
                cairo_fill(cr);
            } else {
                double dash[] = {6.0, 4.0};
                set_rgb(cr, col, 1.0);
                cairo_set_dash(cr, dash, se->dashed ? 2 : 0, 0);
                cairo_set_line_width(cr, 2);
                cairo_move_to(cr, bx + 6, ry);
                cairo_line_to(cr, bx + 32, ry);
                cairo_stroke(cr);
                cairo_set_dash(cr, NULL, 0, 0);
                if (se->kind == PLOT_POINTS || se->kind == PLOT_LINEPOINTS) {
                    cairo_arc(cr, bx + 19, ry, 3.5, 0, 2 * M_PI);
                    cairo_fill(cr);
                }
            }
            cairo_set_source_rgb(cr, 0, 0, 0);
            text_at(cr, bx + 38, ry, se->label, 0.0, 0.5);
            row++;
        }
    }

    cairo_destroy(cr);
    cairo_surface_flush(sf);
    /* The PNG goes through the library's atomic output (temporary name, rename). */
    lmp_atomic_file af;
    lmp_error err;
    if (lmp_atomic_open(&af, path, &err)) {
        cairo_surface_destroy(sf);
        snprintf(msg, msglen, "%s", err.msg);
        return -1;
    }
    int slot = cli_output_watch(af.tmp);
    cairo_status_t cs = cairo_surface_write_to_png_stream(sf, png_write, af.fp);
    cairo_surface_destroy(sf);
    if (cs != CAIRO_STATUS_SUCCESS) {
        lmp_atomic_abort(&af);
        cli_output_end(slot);
        snprintf(msg, msglen, "%s: cannot write PNG: %s", path, cairo_status_to_string(cs));
        return -1;
    }
    lmp_status st = lmp_atomic_commit(&af, &err);
    cli_output_end(slot);
    if (st) {
        snprintf(msg, msglen, "%s", err.msg);
        return -1;
    }
    return 0;
}
