/* plot_internal.h - the layer every plot kind shares (plot_axes.c): an output surface
 * written through the library's file writer, data-to-device mapping, "nice" ticks, axes,
 * labels, title, legend, clipped lines and markers. Not installed; only built with cairo. */
#ifndef MG_PLOT_INTERNAL_H
#define MG_PLOT_INTERNAL_H

#ifdef MG_HAVE_CAIRO

#include "viz_internal.h"

#include <cairo.h>

typedef struct mg__rgb {
    double r, g, b;
} mg__rgb;

/* A colour of the series and class palettes (cycles past its end). */
mg__rgb mg__plot_color(size_t k);

typedef struct mg__legend_item {
    const char *text;
    mg__rgb color;
    int marker; /* 0: a line sample; 1: a round marker; 2: a dashed line */
} mg__legend_item;

#define MG__MAX_TICKS 64
#define MG__OCC_ROWS 24
#define MG__OCC_COLS 32

typedef struct mg__ticks {
    double v[MG__MAX_TICKS];
    char label[MG__MAX_TICKS][32];
    int n;
    double minor[MG__MAX_TICKS * 2]; /* unlabeled (log axes) */
    int nminor;
} mg__ticks;

typedef struct mg__plot {
    cairo_surface_t *surface;
    cairo_t *cr;
    int svg;
    mg_outfile *out;    /* the file the surface writes (by its name) */
    const char *path;
    double width, height;
    double left, right, top, bottom; /* the plot area in device units */
    double x0, x1, y0, y1;           /* the data range shown */
    int log_y;
    double font_scale; /* text sizes follow the picture's size */
    mg__ticks xt, yt;
    uint16_t occupied[MG__OCC_ROWS][MG__OCC_COLS]; /* what is drawn where: the legend goes
                                                     to the emptiest corner */
    double legend_width; /* > 0: the legend has this strip right of the plot area */
} mg__plot;

/* Checks path's extension and the size, opens path with the file writer and creates the
 * surface (white) on it. On failure nothing is left behind. */
mg_status mg__plot_begin(mg__plot *p, const char *path, const mg_plot_options *opt, mg_err *err);
/* Sets the data range, lays out the plot area around the tick labels, axis labels and
 * title, and draws the grid. The ranges must be finite with x0 < x1, y0 < y1 (and
 * 0 < y0 with log_y). */
void mg__plot_axes(mg__plot *p, double x0, double x1, double y0, double y1, int log_y,
                   const char *title, const char *xlabel, const char *ylabel);
/* Draws the frame around the plot area and the ticks (after the content, on top). */
void mg__plot_frame(mg__plot *p);
/* Device coordinates of data x, y. */
double mg__plot_dx(const mg__plot *p, double x);
double mg__plot_dy(const mg__plot *p, double y);
/* Clips drawing to the plot area (cairo_save inside) / undoes it. */
void mg__plot_clip(mg__plot *p);
void mg__plot_unclip(mg__plot *p);
/* Strokes the polyline through n points in data units; non-finite points (and y <= 0 on
 * a log axis) break it. Segments are clipped to the plot area before cairo sees them,
 * so far-away points (a tangent's ends) cannot overflow cairo's fixed-point numbers. */
void mg__plot_polyline(mg__plot *p, size_t n, const double *x, const double *y, mg__rgb c,
                       double width, int dashed);
/* A round marker at data (x, y), filled with c and outlined dark. */
void mg__plot_marker(mg__plot *p, double x, double y, mg__rgb c, double radius);
/* A legend box in the corner of the plot area with the least drawn in it (lines and
 * markers drawn so far), the upper right one when they tie; or, after
 * mg__plot_reserve_legend, at the top of the strip kept for it right of the area. */
void mg__plot_legend(mg__plot *p, size_t n, const mg__legend_item *items);
/* Keeps a strip right of the plot area wide enough for the legend of these items, so that
 * mg__plot_legend draws it outside the area; call before mg__plot_axes. n = 0: none. */
void mg__plot_reserve_legend(mg__plot *p, size_t n, const mg__legend_item *items);
/* Finishes the file and commits it (renamed into place); frees the surface either way. */
mg_status mg__plot_end(mg__plot *p, mg_err *err);
/* Frees everything and abandons the file: the old one stays (after an error before _end). */
void mg__plot_abort(mg__plot *p);

/* What a plot shows: x0 .. x1 across, y0 .. y1 up, in data units. */
typedef struct mg__range {
    double x0, x1, y0, y1;
} mg__range;

/* The range a plot shows: r (the data's, padded) with each limit opt gives (xmin, xmax,
 * ymin, ymax when finite) put in its place. MG_STATUS_INVALID unless the result is finite
 * with x0 < x1 and y0 < y1 (and 0 < y0 on a log axis): "bad plot range ...", or, with
 * no_data (no points to take a range from), a request to give one. */
mg_status mg__plot_range(mg__range *r, const mg_plot_options *opt, int log_y, int no_data,
                         mg_err *err);

/* A nice range for data spanning [lo, hi] (finite): a margin of `pad` of the span on each
 * side, or a unit span around a single value. */
void mg__plot_pad(double *lo, double *hi, double pad, int log);

#endif /* MG_HAVE_CAIRO */
#endif /* MG_PLOT_INTERNAL_H */
