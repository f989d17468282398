/* plot.c - line plots: lines, loss curves, a function with its tangent. The decision
 * picture of a classifier is plot_boundary.c; the shared axis layer is plot_axes.c.
 * Without cairo every call says so and writes nothing. */
#include "plot_internal.h"
#include "viz_internal.h"

#include <math.h>

void mg_plot_options_init(mg_plot_options *opt) {
    MG_ASSERT(opt != NULL, "mg_plot_options_init of NULL");
    opt->width = 640;
    opt->height = 480;
    opt->title = NULL;
    opt->xlabel = NULL;
    opt->ylabel = NULL;
    opt->log_y = 0;
    opt->xmin = opt->xmax = opt->ymin = opt->ymax = NAN;
    opt->legend = 1;
    opt->resolution = 0;
    opt->class_names = NULL;
}

#ifndef MG_HAVE_CAIRO

/* ==== without cairo =========================================================================== */

static mg_status no_cairo(mg_err *err) {
    return mg_err_set(err, MG_STATUS_UNSUPPORTED,
                      "plots need cairo: this build has none (install libcairo2-dev and rebuild)");
}

int mg_plot_available(void) { return 0; }
void mg_plot_cleanup(void) {}

mg_status mg_plot_lines(const char *path, size_t nseries, const mg_plot_series *series,
                        const mg_plot_options *opt, mg_err *err) {
    (void)path, (void)nseries, (void)series, (void)opt;
    return no_cairo(err);
}

mg_status mg_plot_loss(const char *path, size_t nseries, const mg_plot_series *series,
                       const mg_plot_options *opt, mg_err *err) {
    (void)path, (void)nseries, (void)series, (void)opt;
    return no_cairo(err);
}

mg_status mg_plot_function(const char *path, mg_plot_fn f, void *user, const char *name,
                           double x0, double x1, const mg_plot_tangent *tangent,
                           const mg_plot_options *opt, mg_err *err) {
    (void)path, (void)f, (void)user, (void)name, (void)x0, (void)x1, (void)tangent, (void)opt;
    return no_cairo(err);
}

#else

/* ==== availability and cleanup ================================================================== */

int mg_plot_available(void) { return 1; }

#if defined(__GNUC__)
/* fontconfig comes with cairo, but is not linked directly: a weak reference finds it
 * when it is loaded and stays NULL otherwise. */
extern void FcFini(void) __attribute__((weak));
#endif

void mg_plot_cleanup(void) {
    cairo_debug_reset_static_data();
#if defined(__GNUC__)
    if (FcFini) FcFini();
#endif
}

static const mg_plot_options *or_defaults(const mg_plot_options *opt, mg_plot_options *def) {
    if (opt) return opt;
    mg_plot_options_init(def);
    return def;
}

/* ==== lines: the common core of line plots, loss curves and functions =========================== */

/* An optional tangent, drawn across the x range through (x, y) with the slope. */
typedef struct tangent_line {
    int on;
    double x, y, slope;
    char text[96];
} tangent_line;

static double xat(const mg_plot_series *s, size_t i) { return s->x ? s->x[i] : (double)i; }

static int usable(double x, double y, int log_y) {
    return isfinite(x) && isfinite(y) && (!log_y || y > 0);
}

/* The padded range of the series' usable points. MG_STATUS_INVALID for no series, a
 * series with points but no y values, or no usable point. */
static mg_status data_range(size_t nseries, const mg_plot_series *series, int log_y, mg__range *r,
                            mg_err *err) {
    if (nseries == 0 || !series) return mg_err_set(err, MG_STATUS_INVALID, "nothing to plot: no series");
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t k = 0; k < nseries; k++) {
        if (series[k].n && !series[k].y)
            return mg_err_set(err, MG_STATUS_INVALID, "series %zu has %zu points but no y values", k,
                              series[k].n);
        for (size_t i = 0; i < series[k].n; i++) {
            double x = xat(&series[k], i), y = series[k].y[i];
            if (!usable(x, y, log_y)) continue;
            xlo = fmin(xlo, x), xhi = fmax(xhi, x), ylo = fmin(ylo, y), yhi = fmax(yhi, y);
        }
    }
    if (!(xlo <= xhi))
        return mg_err_set(err, MG_STATUS_INVALID, "nothing to plot: no finite%s points",
                          log_y ? " positive" : "");
    mg__plot_pad(&ylo, &yhi, 0.05, log_y);
    if (xlo == xhi) mg__plot_pad(&xlo, &xhi, 0.05, 0);
    *r = (mg__range){xlo, xhi, ylo, yhi};
    return MG_STATUS_OK;
}

/* The palette colour of series k: the tangent takes the second one. */
static size_t series_color(size_t k, const tangent_line *tan) {
    return k == 0 || !(tan && tan->on) ? k : k + 1;
}

/* Draws the tangent (when on) under the series and its point over them, and each series'
 * line, with its points when it is sparse. 0 when out of memory. */
static int draw_series(mg__plot *p, size_t nseries, const mg_plot_series *series, int log_y,
                       const tangent_line *tan) {
    double s = p->font_scale;
    if (tan && tan->on) {
        double tx[2] = {p->x0, p->x1};
        double ty[2] = {tan->y + tan->slope * (p->x0 - tan->x), tan->y + tan->slope * (p->x1 - tan->x)};
        mg__plot_polyline(p, 2, tx, ty, mg__plot_color(1), 1.8 * s, 1);
    }
    for (size_t k = 0; k < nseries; k++) {
        const mg_plot_series *se = &series[k];
        double *xs = NULL;
        const double *x = se->x;
        if (!x && se->n) {
            if (!(xs = mg__malloc(mg__mul_size(se->n, sizeof *xs)))) return 0;
            for (size_t i = 0; i < se->n; i++) xs[i] = (double)i;
            x = xs;
        }
        mg__rgb c = mg__plot_color(series_color(k, tan));
        mg__plot_polyline(p, se->n, x, se->y, c, 2.0 * s, 0);
        /* A sparse series (a validation loss every few steps) shows its points. */
        if (se->n <= 40) {
            mg__plot_clip(p);
            for (size_t i = 0; i < se->n; i++)
                if (usable(x[i], se->y[i], log_y)) mg__plot_marker(p, x[i], se->y[i], c, 3.0 * s);
            mg__plot_unclip(p);
        }
        mg__free(xs);
    }
    if (tan && tan->on) {
        mg__plot_clip(p);
        mg__plot_marker(p, tan->x, tan->y, mg__plot_color(1), 4.5 * s);
        mg__plot_unclip(p);
    }
    return 1;
}

/* The named series (the first 16) and the tangent. */
static void lines_legend(mg__plot *p, size_t nseries, const mg_plot_series *series,
                         const tangent_line *tan) {
    mg__legend_item items[17];
    size_t ni = 0;
    for (size_t k = 0; k < nseries && ni < 16; k++)
        if (series[k].name && *series[k].name)
            items[ni++] = (mg__legend_item){series[k].name, mg__plot_color(series_color(k, tan)), 0};
    if (tan && tan->on) items[ni++] = (mg__legend_item){tan->text, mg__plot_color(1), 2};
    mg__plot_legend(p, ni, items);
}

static mg_status draw_lines(const char *path, size_t nseries, const mg_plot_series *series,
                            const mg_plot_options *opt, const char *title, const char *xlabel,
                            const char *ylabel, const tangent_line *tan, mg_err *err) {
    mg__range r;
    mg_status st = data_range(nseries, series, opt->log_y, &r, err);
    if (!st) st = mg__plot_range(&r, opt, opt->log_y, 0, err);
    if (st) return st;
    mg__plot p;
    if ((st = mg__plot_begin(&p, path, opt, err))) return st;
    mg__plot_axes(&p, r.x0, r.x1, r.y0, r.y1, opt->log_y, title, xlabel, ylabel);
    if (!draw_series(&p, nseries, series, opt->log_y, tan)) {
        mg__plot_abort(&p);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory plotting %s", path);
    }
    mg__plot_frame(&p);
    if (opt->legend) lines_legend(&p, nseries, series, tan);
    return mg__plot_end(&p, err);
}

mg_status mg_plot_lines(const char *path, size_t nseries, const mg_plot_series *series,
                        const mg_plot_options *opt, mg_err *err) {
    MG_ASSERT(path != NULL, "mg_plot_lines to a NULL path");
    mg_plot_options def;
    opt = or_defaults(opt, &def);
    return draw_lines(path, nseries, series, opt, opt->title ? opt->title : "",
                      opt->xlabel ? opt->xlabel : "x", opt->ylabel ? opt->ylabel : "y", NULL, err);
}

mg_status mg_plot_loss(const char *path, size_t nseries, const mg_plot_series *series,
                       const mg_plot_options *opt, mg_err *err) {
    MG_ASSERT(path != NULL, "mg_plot_loss to a NULL path");
    mg_plot_options def;
    opt = or_defaults(opt, &def);
    const char *ylabel = opt->ylabel ? opt->ylabel : opt->log_y ? "loss (log scale)" : "loss";
    return draw_lines(path, nseries, series, opt, opt->title ? opt->title : "loss",
                      opt->xlabel ? opt->xlabel : "step", ylabel, NULL, err);
}

/* ==== a function and its tangent ================================================================= */

mg_status mg_plot_function(const char *path, mg_plot_fn f, void *user, const char *name,
                           double x0, double x1, const mg_plot_tangent *tangent,
                           const mg_plot_options *opt, mg_err *err) {
    MG_ASSERT(path != NULL && f != NULL, "mg_plot_function of NULL");
    mg_plot_options def;
    opt = or_defaults(opt, &def);
    if (!(isfinite(x0) && isfinite(x1) && x0 < x1))
        return mg_err_set(err, MG_STATUS_INVALID, "bad function range [%g, %g]", x0, x1);
    size_t n = opt->resolution ? opt->resolution : 400;
    if (n < 2 || n > 1000000)
        return mg_err_set(err, MG_STATUS_INVALID, "%zu samples: give 2 .. 1000000", n);
    double *xs = mg__malloc(mg__mul_size(n, 2 * sizeof *xs));
    if (!xs) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory plotting %s", path);
    double *ys = xs + n;
    for (size_t i = 0; i < n; i++) {
        xs[i] = i + 1 == n ? x1 : x0 + (x1 - x0) * (double)i / (double)(n - 1);
        ys[i] = f(user, xs[i]);
    }
    tangent_line tan = {0, 0, 0, 0, ""};
    if (tangent) {
        double x = tangent->x, slope = tangent->slope;
        if (isnan(slope) && isfinite(x)) {
            double h = 1e-5 * fmax(1.0, fabs(x));
            slope = (f(user, x + h) - f(user, x - h)) / (2 * h);
        }
        tan.on = 1, tan.x = x, tan.y = isfinite(x) ? f(user, x) : NAN, tan.slope = slope;
        if (!isfinite(x) || !isfinite(tan.y) || !isfinite(slope)) {
            mg__free(xs);
            return mg_err_set(err, MG_STATUS_NUMERIC,
                              "no tangent at x = %g: f or its slope is not finite there", x);
        }
        snprintf(tan.text, sizeof tan.text, "tangent at x = %.4g, slope %.4g", x, slope);
    }
    mg_plot_series se = {name && *name ? name : "f(x)", n, xs, ys};
    const char *title = opt->title ? opt->title : name && *name ? name : "";
    mg_plot_options o = *opt;
    if (!tangent) o.legend = 0; /* the title names the one curve */
    mg_status st = draw_lines(path, 1, &se, &o, title, opt->xlabel ? opt->xlabel : "x",
                              opt->ylabel ? opt->ylabel : "y", &tan, err);
    mg__free(xs);
    return st;
}

#endif /* MG_HAVE_CAIRO */
