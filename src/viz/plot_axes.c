/* plot_axes.c - the layer all plots share: the output surface (PNG or SVG, written through
 * the library's file writer: complete or not at all), "nice" ticks (1, 2, 5 x 10^k;
 * decades on a log axis), axis and tick labels, title, grid, legend, and lines clipped
 * before cairo sees them. */
#include "plot_internal.h"

#ifdef MG_HAVE_CAIRO

#include <cairo-svg.h>
#include <math.h>

static const char *const FONT = "sans-serif";
static const double MG__PI = 3.14159265358979323846;

/* ==== colours ============================================================================ */

mg__rgb mg__plot_color(size_t k) {
    /* Distinct hues that stay apart for colour-blind readers and on light fills: blue and
     * red first (a two-class picture reads as blue vs red, like micrograd's moons). */
    static const mg__rgb palette[] = {
        {0.122, 0.467, 0.706}, /* blue */
        {0.839, 0.153, 0.157}, /* red */
        {0.173, 0.627, 0.173}, /* green */
        {1.000, 0.498, 0.055}, /* orange */
        {0.580, 0.404, 0.741}, /* purple */
        {0.549, 0.337, 0.294}, /* brown */
        {0.890, 0.467, 0.761}, /* pink */
        {0.090, 0.745, 0.812}, /* cyan */
    };
    return palette[k % (sizeof palette / sizeof palette[0])];
}

static void set_rgb(cairo_t *cr, mg__rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

/* ==== text ================================================================================ */

/* Draws s with its anchor at (x, y): ha 0 left, 0.5 centre, 1 right; va 0 top, 0.5
 * middle, 1 bottom (of the font's ascent..descent box). angle in radians. */
static void text(mg__plot *p, const char *raw, double x, double y, double size, int bold,
                 double ha, double va, double angle) {
    char s[512];
    mg__viz_utf8_clean(raw, s, sizeof s);
    cairo_t *cr = p->cr;
    cairo_save(cr);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    cairo_text_extents(cr, s, &te);
    cairo_font_extents(cr, &fe);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, angle);
    cairo_move_to(cr, -ha * te.x_advance, -va * (fe.ascent + fe.descent) + fe.ascent);
    cairo_show_text(cr, s);
    cairo_restore(cr);
}

static double text_width(mg__plot *p, const char *raw, double size, int bold) {
    char s[512];
    mg__viz_utf8_clean(raw, s, sizeof s);
    cairo_t *cr = p->cr;
    cairo_save(cr);
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    cairo_restore(cr);
    return te.x_advance;
}

/* ==== ticks ================================================================================ */

/* The 1, 2 or 5 x 10^k step that cuts span into about `target` pieces. */
static double nice_step(double span, double target) {
    double raw = span / (target < 1 ? 1 : target);
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0) * mag;
}

/* Formats a tick value with just the decimals its step needs ("0.5", "10", "1e+06"). */
static void tick_label(double v, double step, char *buf, size_t size) {
    double mag = fabs(v) > step ? fabs(v) : step;
    if (mag >= 1e6 || step < 1e-4) {
        snprintf(buf, size, "%.3g", v);
        return;
    }
    int decimals = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, size, "%.*f", decimals, v);
    if (!strcmp(buf, "-0") || (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1)))
        memmove(buf, buf + 1, strlen(buf)); /* "-0.0" from rounding is 0 */
}

static void linear_ticks(double lo, double hi, double target, mg__ticks *t) {
    double step = nice_step(hi - lo, target);
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    t->n = 0;
    t->nminor = 0;
    for (double k = k0; k <= k1 && t->n < MG__MAX_TICKS; k++) {
        double v = k * step;
        if (fabs(v) < step * 1e-9) v = 0.0;
        t->v[t->n] = v;
        tick_label(v, step, t->label[t->n], sizeof t->label[0]);
        t->n++;
    }
}

static void log_label(double v, char *buf, size_t size) {
    double k = log10(v);
    if (k >= -4 && k <= 5)
        snprintf(buf, size, "%.4g", v);
    else
        snprintf(buf, size, "%.0e", v);
}

/* Log axis ticks on [lo, hi] (both > 0): every decade labelled (every few when there are
 * many), 2 and 5 times a decade labelled too when there are fewer than three, the other
 * multiples as unlabelled minor lines; linear ticks when even that gives fewer than two. */
static void log_ticks(double lo, double hi, double target, mg__ticks *t) {
    double d0 = floor(log10(lo)), d1 = ceil(log10(hi));
    t->n = 0;
    t->nminor = 0;
    int decades = (int)(floor(log10(hi)) - ceil(log10(lo))) + 1;
    int few = decades < 3;
    int every = decades > target && target >= 1 ? (int)ceil(decades / target) : 1;
    for (double d = d0; d <= d1; d++) {
        double v = pow(10.0, d);
        for (int m = 1; m <= 9; m++) {
            double w = m * v;
            if (w < lo * (1 - 1e-12) || w > hi * (1 + 1e-12)) continue;
            int major = m == 1 ? fmod(fabs(d), every) == 0 : few && (m == 2 || m == 5);
            if (major && t->n < MG__MAX_TICKS) {
                t->v[t->n] = w;
                if (m == 1)
                    log_label(w, t->label[t->n], sizeof t->label[0]);
                else
                    snprintf(t->label[t->n], sizeof t->label[0], "%.3g", w);
                t->n++;
            } else if (decades <= 8 && t->nminor < 2 * MG__MAX_TICKS) {
                t->minor[t->nminor++] = w;
            }
        }
    }
    if (t->n < 2) linear_ticks(lo, hi, target, t);
}

void mg__plot_pad(double *lo, double *hi, double pad, int log) {
    if (log) {
        double a = log10(*lo), b = log10(*hi);
        mg__plot_pad(&a, &b, pad, 0);
        *lo = pow(10.0, a);
        *hi = pow(10.0, b);
        return;
    }
    double span = *hi - *lo;
    if (!(span > 1e-12 * fmax(fabs(*lo), fabs(*hi))) || !isfinite(span)) {
        double m = fabs(*lo) > 0 ? 0.1 * fabs(*lo) : 1.0;
        *lo -= m;
        *hi += m;
        return;
    }
    *lo -= pad * span;
    *hi += pad * span;
}

mg_status mg__plot_range(mg__range *r, const mg_plot_options *opt, int log_y, int no_data,
                         mg_err *err) {
    if (isfinite(opt->xmin)) r->x0 = opt->xmin;
    if (isfinite(opt->xmax)) r->x1 = opt->xmax;
    if (isfinite(opt->ymin)) r->y0 = opt->ymin;
    if (isfinite(opt->ymax)) r->y1 = opt->ymax;
    if (!(r->x0 < r->x1) || !(r->y0 < r->y1) || (log_y && !(r->y0 > 0)) ||
        !isfinite(r->x1 - r->x0) || !isfinite(r->y1 - r->y0))
        return mg_err_set(err, MG_STATUS_INVALID,
                          no_data ? "no points and no range: give xmin, xmax, ymin, ymax "
                                    "(x [%g, %g], y [%g, %g])"
                                  : "bad plot range x [%g, %g], y [%g, %g]",
                          r->x0, r->x1, r->y0, r->y1);
    return MG_STATUS_OK;
}

/* ==== the surface ============================================================================ */

mg_status mg__plot_begin(mg__plot *p, const char *path, const mg_plot_options *opt, mg_err *err) {
    memset(p, 0, sizeof *p);
    char ext[16];
    mg__files_ext(path, ext);
    p->svg = !strcmp(ext, "svg");
    if (!p->svg && strcmp(ext, "png"))
        return mg_err_set(err, MG_STATUS_INVALID, "%s: unknown plot format '%s' (use .png or .svg)",
                          path, ext);
    if (opt->width < 64 || opt->width > 8192 || opt->height < 64 || opt->height > 8192)
        return mg_err_set(err, MG_STATUS_INVALID, "plot size %dx%d out of range (64 .. 8192)",
                          opt->width, opt->height);
    mg_err e;
    if (!(p->out = mg_outfile_open(path, &e))) return mg__err_forward(err, &e);
    p->path = path;
    p->width = opt->width;
    p->height = opt->height;
    if (p->svg) {
        p->surface = cairo_svg_surface_create(mg_outfile_path(p->out), p->width, p->height);
#if CAIRO_VERSION >= CAIRO_VERSION_ENCODE(1, 16, 0)
        if (cairo_surface_status(p->surface) == CAIRO_STATUS_SUCCESS)
            cairo_svg_surface_set_document_unit(p->surface, CAIRO_SVG_UNIT_PX);
#endif
    } else {
        p->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, opt->width, opt->height);
    }
    p->cr = cairo_create(p->surface);
    if (cairo_status(p->cr) != CAIRO_STATUS_SUCCESS) {
        mg__plot_abort(p);
        return mg_err_set(err, MG_STATUS_NOMEM, "%s: cannot make a %dx%d picture", path,
                          opt->width, opt->height);
    }
    double s = fmin(p->width / 640.0, p->height / 480.0);
    p->font_scale = s < 0.6 ? 0.6 : s > 3.0 ? 3.0 : s;
    cairo_set_source_rgb(p->cr, 1, 1, 1);
    cairo_paint(p->cr);
    return MG_STATUS_OK;
}

void mg__plot_abort(mg__plot *p) {
    if (p->cr) cairo_destroy(p->cr);
    if (p->surface) {
        cairo_surface_finish(p->surface);
        cairo_surface_destroy(p->surface);
    }
    p->cr = NULL;
    p->surface = NULL;
    mg_outfile_abort(p->out);
    p->out = NULL;
}

mg_status mg__plot_end(mg__plot *p, mg_err *err) {
    cairo_status_t cs = cairo_status(p->cr);
    cairo_destroy(p->cr);
    p->cr = NULL;
    if (cs == CAIRO_STATUS_SUCCESS) {
        if (p->svg) {
            cairo_surface_finish(p->surface);
            cs = cairo_surface_status(p->surface);
        } else {
            cs = cairo_surface_write_to_png(p->surface, mg_outfile_path(p->out));
        }
    }
    cairo_surface_destroy(p->surface);
    p->surface = NULL;
    mg_outfile *out = p->out;
    p->out = NULL;
    if (cs != CAIRO_STATUS_SUCCESS) {
        mg_outfile_abort(out);
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot write the plot: %s", p->path,
                          cairo_status_to_string(cs));
    }
    return mg_outfile_commit(out, err);
}

/* ==== mapping ================================================================================ */

double mg__plot_dx(const mg__plot *p, double x) {
    return p->left + (x - p->x0) / (p->x1 - p->x0) * (p->right - p->left);
}

double mg__plot_dy(const mg__plot *p, double y) {
    if (p->log_y) {
        double t0 = log10(p->y0), t1 = log10(p->y1);
        return p->bottom - (log10(y) - t0) / (t1 - t0) * (p->bottom - p->top);
    }
    return p->bottom - (y - p->y0) / (p->y1 - p->y0) * (p->bottom - p->top);
}

void mg__plot_clip(mg__plot *p) {
    cairo_save(p->cr);
    cairo_rectangle(p->cr, p->left, p->top, p->right - p->left, p->bottom - p->top);
    cairo_clip(p->cr);
}

void mg__plot_unclip(mg__plot *p) { cairo_restore(p->cr); }

/* ==== axes ===================================================================================== */

/* Snaps a coordinate to the middle of a pixel, so 1-pixel lines are crisp in a PNG. */
static double crisp(double v) { return floor(v) + 0.5; }

void mg__plot_axes(mg__plot *p, double x0, double x1, double y0, double y1, int log_y,
                   const char *title, const char *xlabel, const char *ylabel) {
    cairo_t *cr = p->cr;
    double s = p->font_scale;
    double fs_tick = 11 * s, fs_label = 13 * s, fs_title = 15 * s, gap = 6 * s, tick = 5 * s;
    p->x0 = x0, p->x1 = x1, p->y0 = y0, p->y1 = y1, p->log_y = log_y;

    /* The y tick labels' width decides the left margin; the plot's height, how many. */
    double top = 12 * s + (title && *title ? fs_title + 2 * gap : 0);
    double bottom = p->height - (10 * s + tick + gap + fs_tick + (xlabel && *xlabel ? fs_label + gap : 0));
    mg__ticks *yt = &p->yt, *xt = &p->xt;
    if (log_y)
        log_ticks(y0, y1, (bottom - top) / (45 * s), yt);
    else
        linear_ticks(y0, y1, (bottom - top) / (45 * s), yt);
    double wmax = 0;
    for (int k = 0; k < yt->n; k++) wmax = fmax(wmax, text_width(p, yt->label[k], fs_tick, 0));
    double left = 10 * s + (ylabel && *ylabel ? fs_label + gap : 0) + wmax + gap + tick;
    double right = p->width - 20 * s - (p->legend_width > 0 ? p->legend_width + 10 * s : 0);
    linear_ticks(x0, x1, (right - left) / (80 * s), xt);
    p->left = left, p->right = right, p->top = top, p->bottom = bottom;

    /* Grid: light lines at the ticks, lighter at minor ticks. */
    cairo_set_line_width(cr, 1.0);
    cairo_set_source_rgb(cr, 0.95, 0.95, 0.95);
    for (int k = 0; k < yt->nminor; k++) {
        double y = crisp(mg__plot_dy(p, yt->minor[k]));
        cairo_move_to(cr, left, y);
        cairo_line_to(cr, right, y);
    }
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    for (int k = 0; k < yt->n; k++) {
        double y = crisp(mg__plot_dy(p, yt->v[k]));
        cairo_move_to(cr, left, y);
        cairo_line_to(cr, right, y);
    }
    for (int k = 0; k < xt->n; k++) {
        double x = crisp(mg__plot_dx(p, xt->v[k]));
        cairo_move_to(cr, x, top);
        cairo_line_to(cr, x, bottom);
    }
    cairo_stroke(cr);

    /* Labels and title. */
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    for (int k = 0; k < yt->n; k++)
        text(p, yt->label[k], left - tick - gap, mg__plot_dy(p, yt->v[k]), fs_tick, 0, 1.0, 0.5, 0);
    for (int k = 0; k < xt->n; k++)
        text(p, xt->label[k], mg__plot_dx(p, xt->v[k]), bottom + tick + gap * 0.5, fs_tick, 0, 0.5,
             0.0, 0);
    if (xlabel && *xlabel)
        text(p, xlabel, (left + right) / 2, p->height - 8 * s, fs_label, 0, 0.5, 1.0, 0);
    if (ylabel && *ylabel)
        text(p, ylabel, 8 * s, (top + bottom) / 2, fs_label, 0, 0.5, 0.0, -MG__PI / 2);
    if (title && *title) text(p, title, (left + right) / 2, 10 * s, fs_title, 1, 0.5, 0.0, 0);
}

void mg__plot_frame(mg__plot *p) {
    cairo_t *cr = p->cr;
    double tick = 5 * p->font_scale;
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    cairo_set_line_width(cr, 1.0);
    cairo_rectangle(cr, crisp(p->left), crisp(p->top), floor(p->right) - floor(p->left),
                    floor(p->bottom) - floor(p->top));
    for (int k = 0; k < p->yt.n; k++) {
        double y = crisp(mg__plot_dy(p, p->yt.v[k]));
        cairo_move_to(cr, crisp(p->left) - tick, y);
        cairo_line_to(cr, crisp(p->left), y);
    }
    for (int k = 0; k < p->xt.n; k++) {
        double x = crisp(mg__plot_dx(p, p->xt.v[k]));
        cairo_move_to(cr, x, crisp(p->bottom));
        cairo_line_to(cr, x, crisp(p->bottom) + tick);
    }
    cairo_stroke(cr);
}

/* ==== lines and markers ======================================================================== */

/* Notes that something is drawn at device (x, y), for placing the legend. */
static void occupy(mg__plot *p, double x, double y) {
    double u = (x - p->left) / (p->right - p->left), v = (y - p->top) / (p->bottom - p->top);
    if (!(u >= 0 && u < 1 && v >= 0 && v < 1)) return;
    uint16_t *c = &p->occupied[(int)(v * MG__OCC_ROWS)][(int)(u * MG__OCC_COLS)];
    if (*c < UINT16_MAX) (*c)++;
}

static void occupy_segment(mg__plot *p, double x0, double y0, double x1, double y1) {
    double cell = fmin((p->right - p->left) / MG__OCC_COLS, (p->bottom - p->top) / MG__OCC_ROWS);
    double len = hypot(x1 - x0, y1 - y0);
    int steps = (int)fmin(1000.0, ceil(2 * len / cell));
    for (int k = 0; k <= steps; k++) {
        double t = steps ? (double)k / steps : 0;
        occupy(p, x0 + t * (x1 - x0), y0 + t * (y1 - y0));
    }
}

/* Clips the segment (x0,y0)-(x1,y1) to the box (Liang-Barsky); 0 when nothing is left. */
static int clip_segment(double *x0, double *y0, double *x1, double *y1, double l, double t,
                        double r, double b) {
    double dx = *x1 - *x0, dy = *y1 - *y0, u0 = 0.0, u1 = 1.0;
    double pq[4][2] = {{-dx, *x0 - l}, {dx, r - *x0}, {-dy, *y0 - t}, {dy, b - *y0}};
    for (int k = 0; k < 4; k++) {
        double pk = pq[k][0], qk = pq[k][1];
        if (pk == 0.0) {
            if (qk < 0) return 0;
            continue;
        }
        double u = qk / pk;
        if (pk < 0) {
            if (u > u1) return 0;
            if (u > u0) u0 = u;
        } else {
            if (u < u0) return 0;
            if (u < u1) u1 = u;
        }
    }
    double ax = *x0 + u0 * dx, ay = *y0 + u0 * dy;
    *x1 = *x0 + u1 * dx, *y1 = *y0 + u1 * dy;
    *x0 = ax, *y0 = ay;
    return 1;
}

void mg__plot_polyline(mg__plot *p, size_t n, const double *x, const double *y, mg__rgb c,
                       double width, int dashed) {
    cairo_t *cr = p->cr;
    double m = 2 * width; /* a little past the area, so line caps are cut by the clip */
    double L = p->left - m, T = p->top - m, R = p->right + m, B = p->bottom + m;
    int have_prev = 0, pen_down = 0;
    double px = 0, py = 0, ex = 0, ey = 0;
    mg__plot_clip(p);
    for (size_t i = 0; i < n; i++) {
        int ok = isfinite(x[i]) && isfinite(y[i]) && (!p->log_y || y[i] > 0);
        double dx = ok ? mg__plot_dx(p, x[i]) : 0, dy = ok ? mg__plot_dy(p, y[i]) : 0;
        if (ok && (!isfinite(dx) || !isfinite(dy))) ok = 0;
        if (!ok) {
            have_prev = pen_down = 0;
            continue;
        }
        if (have_prev) {
            double ax = px, ay = py, bx = dx, by = dy;
            if (clip_segment(&ax, &ay, &bx, &by, L, T, R, B)) {
                if (!pen_down || ax != ex || ay != ey) cairo_move_to(cr, ax, ay);
                cairo_line_to(cr, bx, by);
                occupy_segment(p, ax, ay, bx, by);
                pen_down = 1;
                ex = bx, ey = by;
            } else {
                pen_down = 0;
            }
        }
        px = dx, py = dy, have_prev = 1;
    }
    set_rgb(cr, c);
    cairo_set_line_width(cr, width);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    if (dashed) {
        double d[2] = {6 * p->font_scale, 4 * p->font_scale};
        cairo_set_dash(cr, d, 2, 0);
    }
    cairo_stroke(cr);
    mg__plot_unclip(p);
}

void mg__plot_marker(mg__plot *p, double x, double y, mg__rgb c, double radius) {
    double dx = mg__plot_dx(p, x), dy = mg__plot_dy(p, y);
    if (!isfinite(dx) || !isfinite(dy) || dx < p->left - radius || dx > p->right + radius ||
        dy < p->top - radius || dy > p->bottom + radius)
        return;
    cairo_t *cr = p->cr;
    for (int k = 0; k < 4; k++) occupy(p, dx, dy); /* a point weighs more than a line */
    cairo_new_path(cr);
    cairo_arc(cr, dx, dy, radius, 0, 2 * MG__PI);
    set_rgb(cr, c);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    cairo_set_line_width(cr, 1.0 * p->font_scale);
    cairo_stroke(cr);
}

/* ==== legend ===================================================================================== */

/* The legend box's size for these items. */
static void legend_size(mg__plot *p, size_t n, const mg__legend_item *items, double *bw, double *bh) {
    double s = p->font_scale, fs = 11 * s, row = 18 * s, sample = 24 * s, pad = 8 * s;
    double w = 0;
    for (size_t k = 0; k < n; k++) w = fmax(w, text_width(p, items[k].text, fs, 0));
    *bw = pad + sample + pad + w + pad;
    *bh = pad + n * row + pad * 0.5;
}

void mg__plot_reserve_legend(mg__plot *p, size_t n, const mg__legend_item *items) {
    double bh;
    p->legend_width = 0;
    if (n) legend_size(p, n, items, &p->legend_width, &bh);
    /* A long class name must not squeeze the plot away: at most a third of the width. */
    if (p->legend_width > p->width / 3) p->legend_width = p->width / 3;
}

/* The corner of the plot area with the least drawn under a box of bw x bh; ties keep the
 * earlier (upper right). */
static void emptiest_corner(const mg__plot *p, double bw, double bh, double *bx, double *by) {
    double inset = 10 * p->font_scale, best = -1;
    for (int corner = 0; corner < 4; corner++) {
        double x = corner % 2 ? p->left + inset : p->right - inset - bw;
        double y = corner < 2 ? p->top + inset : p->bottom - inset - bh;
        double cw = (p->right - p->left) / MG__OCC_COLS, ch = (p->bottom - p->top) / MG__OCC_ROWS;
        double load = 0;
        for (int r = 0; r < MG__OCC_ROWS; r++)
            for (int c = 0; c < MG__OCC_COLS; c++) {
                double cx0 = p->left + c * cw, cy0 = p->top + r * ch;
                if (cx0 + cw > x && cx0 < x + bw && cy0 + ch > y && cy0 < y + bh)
                    load += p->occupied[r][c];
            }
        if (best < 0 || load < best) best = load, *bx = x, *by = y;
    }
}

void mg__plot_legend(mg__plot *p, size_t n, const mg__legend_item *items) {
    if (n == 0) return;
    cairo_t *cr = p->cr;
    double s = p->font_scale, fs = 11 * s, row = 18 * s, sample = 24 * s, pad = 8 * s;
    double bw, bh, bx = 0, by = 0;
    legend_size(p, n, items, &bw, &bh);
    if (p->legend_width > 0) {
        bw = fmin(bw, p->legend_width);
        bx = p->right + 10 * s, by = p->top;
    } else {
        emptiest_corner(p, bw, bh, &bx, &by);
    }
    cairo_rectangle(cr, crisp(bx), crisp(by), floor(bw), floor(bh));
    cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.7, 0.7, 0.7);
    cairo_set_line_width(cr, 1.0);
    cairo_stroke(cr);
    cairo_save(cr); /* a name too long for the box is cut at its edge */
    cairo_rectangle(cr, bx, by, bw, bh);
    cairo_clip(cr);
    for (size_t k = 0; k < n; k++) {
        double cy = by + pad + (k + 0.5) * row, sx = bx + pad;
        cairo_save(cr);
        cairo_new_path(cr);
        if (items[k].marker == 1) {
            cairo_arc(cr, sx + sample / 2, cy, 4.5 * s, 0, 2 * MG__PI);
            set_rgb(cr, items[k].color);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            cairo_set_line_width(cr, 1.0 * s);
            cairo_stroke(cr);
        } else {
            if (items[k].marker == 2) {
                double d[2] = {5 * s, 3 * s};
                cairo_set_dash(cr, d, 2, 0);
            }
            cairo_move_to(cr, sx, cy);
            cairo_line_to(cr, sx + sample, cy);
            set_rgb(cr, items[k].color);
            cairo_set_line_width(cr, 2.0 * s);
            cairo_stroke(cr);
        }
        cairo_restore(cr);
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        text(p, items[k].text, sx + sample + pad, cy, fs, 0, 0.0, 0.5, 0);
    }
    cairo_restore(cr);
}

#else
typedef int mg__plot_axes_unused; /* an empty translation unit is not C */
#endif /* MG_HAVE_CAIRO */
