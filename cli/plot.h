/* Small PNG charts with cairo for the demo pages: line / point / bar / step
 * series over linear or log axes, with tick labels, axis titles, a title, a
 * legend and vertical marker lines. One call draws and writes one file
 * (atomically: temporary name, then rename).
 *
 *   plot_series s = {.label = "MKN", .x = order, .y = ppl, .n = 5, .kind = PLOT_LINEPOINTS};
 *   plot_spec p = plot_spec_default();
 *   p.title = "Perplexity vs order"; p.xlabel = "order"; p.ylabel = "perplexity";
 *   p.series = &s; p.nseries = 1;
 *   plot_png(&p, "out/ppl.png", msg, sizeof msg);
 *
 * Part of the CLI (cli/), not of the library: it prints nothing and keeps no state. */
#ifndef LMPROB_CLI_PLOT_H
#define LMPROB_CLI_PLOT_H

#include <stddef.h>

typedef enum plot_kind {
    PLOT_LINE = 0,
    PLOT_POINTS,
    PLOT_LINEPOINTS,
    PLOT_BARS,   /* bars centred on x, width bar_width (data units), from the y baseline */
    PLOT_STEP    /* a histogram outline */
} plot_kind;

typedef struct plot_series {
    const char *label;  /* legend text; NULL: not in the legend */
    const double *x;    /* n values */
    const double *y;    /* n values; non-finite points are skipped (lines break there) */
    size_t n;
    plot_kind kind;
    unsigned color;     /* 0xRRGGBB; 0 picks from the palette by series index */
    int dashed;
    double bar_width;   /* PLOT_BARS: width in x units; 0 means 0.8 x the smallest x gap */
    double alpha;       /* fill opacity for bars, 0 means 0.75 */
} plot_series;

typedef struct plot_vline {
    double x;
    const char *label;  /* drawn along the line, top */
    unsigned color;
    int dashed;
} plot_vline;

typedef struct plot_spec {
    const char *title, *xlabel, *ylabel;
    int width, height;          /* pixels */
    int logx, logy;             /* base-10 log axes (non-positive values are skipped) */
    double xmin, xmax, ymin, ymax; /* NAN: from the data */
    int y_from_zero;            /* on a linear y axis, include 0 */
    const plot_series *series;
    size_t nseries;
    const plot_vline *vlines;
    size_t nvlines;
    const char *const *xticklabels; /* optional: labels for x = 0, 1, ..., n-1 (categorical axis) */
    size_t nxticklabels;
    int legend_left;            /* legend in the upper left instead of the upper right */
    int x_integers;             /* a linear x axis of whole numbers (an n-gram order): ticks at integers only */
    int vline_labels_bottom;    /* marker labels along the bottom of the frame instead of the top */
} plot_spec;

plot_spec plot_spec_default(void);

/* Draw and write a PNG. Returns 0, or -1 with a message in msg. libcairo.so.2 is
 * loaded (dlopen) at the first call, so a missing cairo is an error here, not at start. */
int plot_png(const plot_spec *spec, const char *path, char *msg, size_t msglen);

/* Release cairo's process-wide caches (fonts); call once when done plotting so
 * that leak checkers (ASan) see no allocation left. Plotting again afterwards is fine. */
void plot_release_caches(void);

/* Histogram of v[0..n) into nbins equal bins over [lo, hi] (values outside are
 * dropped): centres[nbins] and heights[nbins]; `density` divides the counts by
 * n * bin width so the bars integrate to the kept fraction. Returns the bin width. */
double plot_histogram(const double *v, size_t n, double lo, double hi, size_t nbins, int density,
                      double *centres, double *heights);

/* The tick positions a linear axis over [lo, hi] would show: steps of 1, 2 or 5 x 10^k,
 * about `target` of them. Returns how many were written (at most max). */
size_t plot_nice_ticks(double lo, double hi, int target, double *ticks, size_t max);

#endif
