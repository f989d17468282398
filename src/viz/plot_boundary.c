/* plot_boundary.c - the decision picture of a 2-D classifier, like micrograd's
 * moon_mlp.png: the classifier's scores over a grid as a filled class map (lighter where
 * it is less sure), the lines where the class changes (marching squares on the score
 * margin, so they are smooth rather than staircase), and the data points on top. */
#include "plot_internal.h"
#include "viz_internal.h"

#include <math.h>

#ifndef MG_HAVE_CAIRO

mg_status mg_plot_boundary(const char *path, mg_plot_score_fn score, void *user, size_t nout,
                           size_t n, const double *xy, const double *cls,
                           const mg_plot_options *opt, mg_err *err) {
    (void)path, (void)score, (void)user, (void)nout, (void)n, (void)xy, (void)cls, (void)opt;
    return mg_err_set(err, MG_STATUS_UNSUPPORTED,
                      "plots need cairo: this build has none (install libcairo2-dev and rebuild)");
}

#else

/* A class's colour, the same however many classes a picture has: class 0 (the negative
 * one of two) red and class 1 blue, as in micrograd's moons picture, then the palette's
 * green, orange, ... */
static mg__rgb class_color(size_t k) { return mg__plot_color(k < 2 ? 1 - k : k); }

/* The class of grid sample s (nout scores) and how sure the classifier is (0 .. 1);
 * -1 when a score is not finite. */
static int classify(const double *s, size_t nout, double *sure) {
    for (size_t k = 0; k < nout; k++)
        if (!isfinite(s[k])) return -1;
    if (nout == 1) {
        *sure = fabs(tanh(s[0]));
        return s[0] > 0;
    }
    size_t best = 0;
    for (size_t k = 1; k < nout; k++)
        if (s[k] > s[best]) best = k;
    double z = 0;
    for (size_t k = 0; k < nout; k++) z += exp(s[k] - s[best]);
    double p = 1.0 / z, chance = 1.0 / (double)nout; /* softmax of the winner */
    *sure = (p - chance) / (1.0 - chance);
    return (int)best;
}

/* The margin of class c at sample s: > 0 inside its region, 0 on its boundary. */
static double margin(const double *s, size_t nout, size_t c) {
    if (nout == 1) return s[0];
    double other = -INFINITY;
    for (size_t k = 0; k < nout; k++)
        if (k != c && s[k] > other) other = s[k];
    return s[c] - other;
}

/* ==== the filled map ============================================================================ */

/* Paints the class map: one image pixel per grid sample, scaled over the plot area with
 * bilinear smoothing, so pixel centres sit on the samples. 0 when out of memory. */
static int paint_map(mg__plot *p, const double *sc, size_t nout, size_t nx, size_t ny) {
    int w = (int)nx + 1, h = (int)ny + 1;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(img);
        return 0;
    }
    cairo_surface_flush(img);
    unsigned char *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int j = 0; j < h; j++)
        for (int i = 0; i < w; i++) {
            const double *s = sc + ((size_t)j * (size_t)w + (size_t)i) * nout;
            double sure = 0;
            int k = classify(s, nout, &sure);
            mg__rgb c = {0.85, 0.85, 0.85};
            if (k >= 0) {
                mg__rgb base = class_color((size_t)k);
                double a = 0.12 + 0.38 * sure; /* pale where unsure, stronger where sure */
                c.r = 1 - a * (1 - base.r), c.g = 1 - a * (1 - base.g), c.b = 1 - a * (1 - base.b);
            }
            uint32_t v = (uint32_t)(c.r * 255 + 0.5) << 16 | (uint32_t)(c.g * 255 + 0.5) << 8 |
                         (uint32_t)(c.b * 255 + 0.5);
            memcpy(px + (size_t)j * (size_t)stride + (size_t)i * 4, &v, 4);
        }
    cairo_surface_mark_dirty(img);
    cairo_pattern_t *pat = cairo_pattern_create_for_surface(img);
    cairo_matrix_t m;
    cairo_matrix_init_translate(&m, 0.5, 0.5);
    cairo_matrix_scale(&m, (double)nx / (p->right - p->left), (double)ny / (p->bottom - p->top));
    cairo_matrix_translate(&m, -p->left, -p->top);
    cairo_pattern_set_matrix(pat, &m);
    cairo_pattern_set_filter(pat, CAIRO_FILTER_BILINEAR);
    cairo_pattern_set_extend(pat, CAIRO_EXTEND_PAD);
    cairo_save(p->cr);
    cairo_rectangle(p->cr, p->left, p->top, p->right - p->left, p->bottom - p->top);
    cairo_set_source(p->cr, pat);
    cairo_fill(p->cr);
    cairo_restore(p->cr);
    cairo_pattern_destroy(pat);
    cairo_surface_destroy(img);
    return 1;
}

/* ==== boundary lines: marching squares ========================================================== */

/* Adds to the path the zero line of the margin of class c, cell by cell. */
static void contour(mg__plot *p, const double *sc, size_t nout, size_t c, size_t nx, size_t ny) {
    cairo_t *cr = p->cr;
    size_t w = nx + 1;
    double cw = (p->right - p->left) / (double)nx, ch = (p->bottom - p->top) / (double)ny;
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            /* Corners clockwise from the top left, and the crossing on each edge. */
            size_t id[4] = {j * w + i, j * w + i + 1, (j + 1) * w + i + 1, (j + 1) * w + i};
            double cx[4] = {0, 1, 1, 0}, cy[4] = {0, 0, 1, 1}, f[4];
            int bad = 0;
            for (int k = 0; k < 4; k++) {
                const double *s = sc + id[k] * nout;
                for (size_t o = 0; o < nout; o++)
                    if (!isfinite(s[o])) bad = 1;
                f[k] = bad ? 0 : margin(s, nout, c);
            }
            if (bad) continue;
            double ex[4], ey[4];
            int cross[4], ncross = 0;
            for (int k = 0; k < 4; k++) {
                int k2 = (k + 1) % 4;
                cross[k] = (f[k] > 0) != (f[k2] > 0);
                if (!cross[k]) continue;
                double t = f[k] / (f[k] - f[k2]);
                ex[k] = cx[k] + t * (cx[k2] - cx[k]);
                ey[k] = cy[k] + t * (cy[k2] - cy[k]);
                ncross++;
            }
            if (ncross < 2) continue;
            int pairs[2][2] = {{-1, -1}, {-1, -1}};
            if (ncross == 2) {
                int a = -1, b = -1;
                for (int k = 0; k < 4; k++) {
                    if (!cross[k]) continue;
                    if (a < 0)
                        a = k;
                    else
                        b = k;
                }
                pairs[0][0] = a, pairs[0][1] = b;
            } else {
                /* A saddle: the cell's mean decides which corners are joined. */
                double mid = (f[0] + f[1] + f[2] + f[3]) / 4;
                if ((mid > 0) == (f[0] > 0))
                    pairs[0][0] = 0, pairs[0][1] = 1, pairs[1][0] = 2, pairs[1][1] = 3;
                else
                    pairs[0][0] = 3, pairs[0][1] = 0, pairs[1][0] = 1, pairs[1][1] = 2;
            }
            for (int q = 0; q < 2 && pairs[q][0] >= 0; q++) {
                int a = pairs[q][0], b = pairs[q][1];
                cairo_move_to(cr, p->left + ((double)i + ex[a]) * cw, p->top + ((double)j + ey[a]) * ch);
                cairo_line_to(cr, p->left + ((double)i + ex[b]) * cw, p->top + ((double)j + ey[b]) * ch);
            }
        }
}

/* ==== the picture ================================================================================= */

/* The class of point i, or -1 when cls[i] is not a valid class. */
static int point_class(double y, size_t nout) {
    if (nout == 1) return isfinite(y) ? y > 0 : -1;
    if (!(y >= 0 && y < (double)nout) || y != floor(y)) return -1;
    return (int)y;
}

/* Checks the points' classes and coordinates; r gets their range with a margin (all
 * infinite when there are none). */
static mg_status points_range(size_t n, const double *xy, const double *cls, size_t nout,
                              mg__range *r, mg_err *err) {
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (point_class(cls[i], nout) < 0)
            return mg_err_set(err, MG_STATUS_INVALID, "point %zu has class %g, not one of 0 .. %zu",
                              i, cls[i], (nout == 1 ? 2 : nout) - 1);
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return mg_err_set(err, MG_STATUS_INVALID, "point %zu is not finite", i);
        xlo = fmin(xlo, xy[2 * i]), xhi = fmax(xhi, xy[2 * i]);
        ylo = fmin(ylo, xy[2 * i + 1]), yhi = fmax(yhi, xy[2 * i + 1]);
    }
    if (n) {
        mg__plot_pad(&xlo, &xhi, 0.12, 0);
        mg__plot_pad(&ylo, &yhi, 0.12, 0);
    }
    *r = (mg__range){xlo, xhi, ylo, yhi};
    return MG_STATUS_OK;
}

/* The scores at the (nx + 1) x (ny + 1) corners of the grid over r, row 0 at the top, nout
 * per corner (NaN where score leaves one unset). NULL when out of memory. */
static double *grid_scores(mg_plot_score_fn score, void *user, size_t nout, const mg__range *r,
                           size_t nx, size_t ny) {
    double *sc = mg__malloc(mg__mul_size((nx + 1) * (ny + 1), mg__mul_size(nout, sizeof *sc)));
    if (!sc) return NULL;
    for (size_t j = 0; j <= ny; j++) {
        double y = r->y1 - (r->y1 - r->y0) * (double)j / (double)ny;
        for (size_t i = 0; i <= nx; i++) {
            double x = r->x0 + (r->x1 - r->x0) * (double)i / (double)nx;
            double *out = sc + (j * (nx + 1) + i) * nout;
            for (size_t k = 0; k < nout; k++) out[k] = NAN;
            score(user, x, y, out, nout);
        }
    }
    return sc;
}

/* The lines where the class changes, and the points on top in their class's colour. */
static void draw_lines_and_points(mg__plot *p, const double *sc, size_t nout, size_t nx, size_t ny,
                                  size_t n, const double *xy, const double *cls) {
    double s = p->font_scale;
    mg__plot_clip(p);
    for (size_t c = 0; c < (nout == 1 ? 1 : nout); c++) contour(p, sc, nout, c, nx, ny);
    cairo_set_source_rgba(p->cr, 0.15, 0.15, 0.15, 0.9);
    cairo_set_line_width(p->cr, 1.6 * s);
    cairo_set_line_cap(p->cr, CAIRO_LINE_CAP_ROUND);
    cairo_stroke(p->cr);
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)point_class(cls[i], nout);
        mg__plot_marker(p, xy[2 * i], xy[2 * i + 1], class_color(k), 4.2 * s);
    }
    mg__plot_unclip(p);
}

/* The legend's entries for the classes (nclasses <= 16), named by opt's class_names or
 * "class K" (written to names). */
static void legend_items(const mg_plot_options *opt, size_t nclasses, mg__legend_item *items,
                         char (*names)[32]) {
    for (size_t k = 0; k < nclasses; k++) {
        const char *name = opt->class_names ? opt->class_names[k] : NULL;
        if (!name) {
            snprintf(names[k], sizeof names[k], "class %zu", k);
            name = names[k];
        }
        items[k] = (mg__legend_item){name, class_color(k), 1};
    }
}

mg_status mg_plot_boundary(const char *path, mg_plot_score_fn score, void *user, size_t nout,
                           size_t n, const double *xy, const double *cls,
                           const mg_plot_options *opt, mg_err *err) {
    MG_ASSERT(path != NULL && score != NULL, "mg_plot_boundary of NULL");
    MG_ASSERT(n == 0 || (xy != NULL && cls != NULL), "mg_plot_boundary: points without arrays");
    mg_plot_options def;
    if (!opt) {
        mg_plot_options_init(&def);
        opt = &def;
    }
    if (nout == 0 || nout > 256)
        return mg_err_set(err, MG_STATUS_INVALID, "%zu scores per point: give 1 .. 256", nout);
    mg__range r;
    mg_status st = points_range(n, xy, cls, nout, &r, err);
    if (!st) st = mg__plot_range(&r, opt, 0, n == 0, err);
    if (st) return st;
    size_t nx = opt->resolution ? opt->resolution : 200;
    if (nx < 2 || nx > 2000)
        return mg_err_set(err, MG_STATUS_INVALID, "grid resolution %zu: give 2 .. 2000", nx);
    if (opt->log_y) return mg_err_set(err, MG_STATUS_INVALID, "a decision boundary has no log axis");

    mg__plot p;
    if ((st = mg__plot_begin(&p, path, opt, err))) return st;
    /* The legend goes beside the plot area, where it cannot hide a point: the points fill
     * the area up to its margins, corners included. */
    size_t nclasses = nout == 1 ? 2 : nout, nitems = opt->legend && nclasses <= 16 ? nclasses : 0;
    mg__legend_item items[16];
    char names[16][32]; /* "class " and up to 20 digits */
    legend_items(opt, nitems, items, names);
    mg__plot_reserve_legend(&p, nitems, items);
    mg__plot_axes(&p, r.x0, r.x1, r.y0, r.y1, 0, opt->title ? opt->title : "decision boundary",
                  opt->xlabel ? opt->xlabel : "x1", opt->ylabel ? opt->ylabel : "x2");
    /* Square cells: as many rows as the area's shape asks for. */
    size_t ny = (size_t)fmax(2.0, floor((double)nx * (p.bottom - p.top) / (p.right - p.left) + 0.5));
    if (ny > 2000) ny = 2000;
    double *sc = grid_scores(score, user, nout, &r, nx, ny);
    if (!sc || !paint_map(&p, sc, nout, nx, ny)) {
        mg__free(sc);
        mg__plot_abort(&p);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory plotting %s", path);
    }
    draw_lines_and_points(&p, sc, nout, nx, ny, n, xy, cls);
    mg__free(sc);
    mg__plot_frame(&p);
    mg__plot_legend(&p, nitems, items);
    return mg__plot_end(&p, err);
}

#endif /* MG_HAVE_CAIRO */
