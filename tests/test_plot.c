/* test_plot.c - plots with cairo: PNG and SVG files of the requested size, read back
 * pixel by pixel to check that the picture says what the data says (where a function's
 * minimum is, which side of a boundary is which class), errors, and atomic writes.
 * Without cairo: every call reports it and the tests that need pictures are skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "micrograd.h"
#include "testutil.h"
#include "writecheck.h"

#ifdef MG_HAVE_CAIRO
#include <cairo.h>
#endif

/* ==== helpers ================================================================================ */

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

static double parabola(void *user, double x) {
    (void)user;
    return 3 * x * x - 4 * x + 5;
}

/* Decision scores for the tests: sign of y (two classes), and nearest of three centres
 * along x (-1, 0, 1). */
static void score_y(void *user, double x, double y, double *out, size_t nout) {
    (void)user, (void)x, (void)nout;
    out[0] = 3 * y;
}

static void score_three(void *user, double x, double y, double *out, size_t nout) {
    (void)user, (void)y;
    for (size_t k = 0; k < nout; k++) out[k] = -4 * (x - ((double)k - 1)) * (x - ((double)k - 1));
}

static void score_nan(void *user, double x, double y, double *out, size_t nout) {
    (void)user, (void)nout;
    out[0] = x > 0 ? NAN : y;
}

#ifdef MG_HAVE_CAIRO

#define NEED_CAIRO() ((void)0)

/* A PNG read back through cairo, as 0xRRGGBB pixels. */
typedef struct image {
    int w, h;
    uint32_t *px;
} image;

static image load_png(const char *path) {
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) fail_msg("%s: not a readable PNG", path);
    image im = {cairo_image_surface_get_width(s), cairo_image_surface_get_height(s), NULL};
    im.px = malloc(sizeof *im.px * (size_t)im.w * (size_t)im.h);
    assert_non_null(im.px);
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < im.h; y++)
        for (int x = 0; x < im.w; x++) {
            uint32_t v;
            memcpy(&v, d + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
            im.px[y * im.w + x] = v & 0xffffff;
        }
    cairo_surface_destroy(s);
    return im;
}

static int R(uint32_t v) { return (int)(v >> 16 & 255); }
static int G(uint32_t v) { return (int)(v >> 8 & 255); }
static int B(uint32_t v) { return (int)(v & 255); }

/* Close to the colour (within tol per channel)? */
static int near(uint32_t v, uint32_t c, int tol) {
    return abs(R(v) - R(c)) <= tol && abs(G(v) - G(c)) <= tol && abs(B(v) - B(c)) <= tol;
}

/* Checks a PNG's signature and header; returns width and height. */

static void check_svg(const char *path, const char *width, const char *height) {
    char *svg = tu_read_file(path, NULL);
    assert_non_null(svg);
    const char *problem = tu_xml_problem(svg);
    if (problem) fail_msg("%s is not well-formed XML: %s", path, problem);
    assert_non_null(strstr(svg, "<svg"));
    char want[64];
    snprintf(want, sizeof want, "width=\"%s", width);
    if (!strstr(svg, want)) fail_msg("%s: no %s", path, want);
    snprintf(want, sizeof want, "height=\"%s", height);
    if (!strstr(svg, want)) fail_msg("%s: no %s", path, want);
    free(svg);
}

#else

#define NEED_CAIRO()                                                                            \
    do {                                                                                        \
        print_message("skipped: built without cairo; install libcairo2-dev to test plots\n"); \
        skip();                                                                                 \
    } while (0)

#endif

/* ==== without cairo ============================================================================ */

static void test_availability(void **state) {
    (void)state;
    (void)score_three, (void)score_nan;
    mg_err err = {0, ""};
    double y[2] = {1, 2};
    mg_plot_series s = {"s", 2, NULL, y};
#ifdef MG_HAVE_CAIRO
    assert_int_equal(mg_plot_available(), 1);
    assert_int_equal(mg_plot_lines(tu_path("avail.png"), 1, &s, NULL, &err), MG_STATUS_OK);
#else
    assert_int_equal(mg_plot_available(), 0);
    assert_int_equal(mg_plot_lines(tu_path("avail.png"), 1, &s, NULL, &err), MG_STATUS_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "cairo"));
    assert_int_equal(mg_plot_loss(tu_path("avail.png"), 1, &s, NULL, &err), MG_STATUS_UNSUPPORTED);
    assert_int_equal(mg_plot_function(tu_path("avail.png"), parabola, NULL, "f", 0, 1, NULL, NULL, &err),
                     MG_STATUS_UNSUPPORTED);
    assert_int_equal(mg_plot_boundary(tu_path("avail.png"), score_y, NULL, 1, 0, NULL, NULL, NULL, &err),
                     MG_STATUS_UNSUPPORTED);
    assert_false(file_exists(tu_path("avail.png")));
#endif
    mg_plot_options o;
    mg_plot_options_init(&o);
    assert_int_equal(o.width, 640);
    assert_int_equal(o.height, 480);
    assert_true(isnan(o.xmin) && isnan(o.ymax));
}

/* ==== functions ================================================================================ */

/* 3x^2 - 4x + 5 on [-5, 5]: the curve's lowest pixel sits at x = 2/3, the tangent's point
 * at x = 3, and the curve starts higher (f(-5) = 100) than it ends (f(5) = 60). */
static void test_function(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    const char *path = tu_path("f.png");
    mg_plot_tangent tan = {3.0, NAN}; /* slope by a central difference: 14 */
    mg_err err = {0, ""};
    if (mg_plot_function(path, parabola, NULL, "3x^2 - 4x + 5", -5, 5, &tan, NULL, &err))
        fail_msg("%s", err.msg);
    unsigned w, h;
    assert_true(tu_png_size(path, &w, &h));
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    image im = load_png(path);
    const uint32_t blue = 0x1f77b4, red = 0xd62728;
    /* Per column, the lowest pixel of the curve's colour; the curve spans the x range. */
    int left = im.w, right = -1, left_y = -1, right_y = -1, red_x1 = -1;
    int *lowest = calloc((size_t)im.w, sizeof *lowest);
    assert_non_null(lowest);
    for (int x = 0; x < im.w; x++) {
        lowest[x] = -1;
        for (int y = 0; y < im.h; y++) {
            uint32_t v = im.px[y * im.w + x];
            if (near(v, blue, 40)) {
                if (x < left) left = x, left_y = y;
                if (x >= right) right = x, right_y = y;
                lowest[x] = y;
            }
            if (near(v, red, 40) && x > red_x1) red_x1 = x;
        }
    }
    assert_true(right - left > im.w / 2);
    /* The bottom of the parabola is flat for some pixels: take the middle of it. */
    int bottom = -1, first = -1, last = -1;
    for (int x = left; x <= right; x++) bottom = lowest[x] > bottom ? lowest[x] : bottom;
    for (int x = left; x <= right; x++)
        if (lowest[x] == bottom) last = x, first = first < 0 ? x : first;
    free(lowest);
    double span = right - left;
    double xmin = -5 + 10 * ((first + last) / 2.0 - left) / span;
    if (fabs(xmin - 2.0 / 3.0) > 0.15) fail_msg("the curve's minimum is drawn at x = %g, not 2/3", xmin);
    assert_true(left_y < right_y); /* f(-5) = 100 is drawn above f(5) = 60 */
    /* The tangent: a red dashed line touching at x = 3 and running on to the right edge. */
    assert_true(red_x1 > left + 0.95 * span);
    free(im.px);
    /* The same picture twice is the same file. */
    const char *again = tu_path("f2.png");
    assert_int_equal(mg_plot_function(again, parabola, NULL, "3x^2 - 4x + 5", -5, 5, &tan, NULL, &err),
                     MG_STATUS_OK);
    size_t n1, n2;
    char *a = tu_read_file(tu_path("f.png"), &n1), *b = tu_read_file(tu_path("f2.png"), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    /* A requested size, and SVG. */
    mg_plot_options o;
    mg_plot_options_init(&o);
    o.width = 800;
    o.height = 600;
    assert_int_equal(mg_plot_function(tu_path("f800.png"), parabola, NULL, NULL, -5, 5, NULL, &o, &err),
                     MG_STATUS_OK);
    assert_true(tu_png_size(tu_path("f800.png"), &w, &h));
    assert_int_equal(w, 800);
    assert_int_equal(h, 600);
    assert_int_equal(mg_plot_function(tu_path("f.svg"), parabola, NULL, NULL, -5, 5, &tan, &o, &err),
                     MG_STATUS_OK);
    check_svg(tu_path("f.svg"), "800", "600");
    /* No tangent where f is not finite. */
    mg_plot_tangent bad = {INFINITY, 1};
    assert_int_equal(mg_plot_function(tu_path("bad.png"), parabola, NULL, NULL, -5, 5, &bad, NULL, &err),
                     MG_STATUS_NUMERIC);
    assert_int_equal(mg_plot_function(tu_path("bad.png"), parabola, NULL, NULL, 5, -5, NULL, NULL, &err),
                     MG_STATUS_INVALID);
    assert_false(file_exists(tu_path("bad.png")));
#endif
}

/* ==== loss curves ============================================================================== */

static void test_loss(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    double train[100], val[10], vx[10];
    for (int i = 0; i < 100; i++) train[i] = 2.0 * exp(-i / 20.0) + 0.01;
    for (int i = 0; i < 10; i++) vx[i] = 10.0 * i, val[i] = 2.5 * exp(-vx[i] / 20.0) + 0.05;
    mg_plot_series s[2] = {{"train", 100, NULL, train}, {"validation", 10, vx, val}};
    mg_err err = {0, ""};
    mg_plot_options o;
    mg_plot_options_init(&o);
    for (int log_y = 0; log_y < 2; log_y++) {
        o.log_y = log_y;
        const char *path = tu_path(log_y ? "loss_log.png" : "loss.png");
        if (mg_plot_loss(path, 2, s, &o, &err)) fail_msg("%s", err.msg);
        image im = load_png(path);
        int nblue = 0, nred = 0;
        for (int i = 0; i < im.w * im.h; i++)
            nblue += near(im.px[i], 0x1f77b4, 30), nred += near(im.px[i], 0xd62728, 30);
        assert_true(nblue > 300 && nred > 100);
        free(im.px);
    }
    assert_int_equal(mg_plot_loss(tu_path("loss.svg"), 2, s, &o, &err), MG_STATUS_OK);
    check_svg(tu_path("loss.svg"), "640", "480");
    /* A log axis skips points <= 0; none left is an error. */
    double zeros[3] = {0, -1, 0};
    mg_plot_series z = {"zero", 3, NULL, zeros};
    assert_int_equal(mg_plot_loss(tu_path("z.png"), 1, &z, &o, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "no finite positive points"));
    o.log_y = 0;
    assert_int_equal(mg_plot_loss(tu_path("z.png"), 1, &z, &o, &err), MG_STATUS_OK);
    /* NaN leaves a gap, not a failure; a series of nothing but NaN is an error. */
    double gap[4] = {1, NAN, 2, INFINITY}, nan1[2] = {NAN, NAN};
    mg_plot_series g = {"gap", 4, NULL, gap}, nn = {"nan", 2, NULL, nan1};
    assert_int_equal(mg_plot_lines(tu_path("gap.png"), 1, &g, NULL, &err), MG_STATUS_OK);
    assert_int_equal(mg_plot_lines(tu_path("nan.png"), 1, &nn, NULL, &err), MG_STATUS_INVALID);
    mg_plot_series noy = {"no y", 3, NULL, NULL};
    assert_int_equal(mg_plot_lines(tu_path("noy.png"), 1, &noy, NULL, &err), MG_STATUS_INVALID);
    assert_int_equal(mg_plot_lines(tu_path("none.png"), 0, NULL, NULL, &err), MG_STATUS_INVALID);
    /* A single point, and a flat line, still get a range. */
    double one[1] = {3}, flat[3] = {2, 2, 2};
    mg_plot_series s1 = {NULL, 1, NULL, one}, sf = {NULL, 3, NULL, flat};
    assert_int_equal(mg_plot_lines(tu_path("one.png"), 1, &s1, NULL, &err), MG_STATUS_OK);
    assert_int_equal(mg_plot_lines(tu_path("flat.png"), 1, &sf, NULL, &err), MG_STATUS_OK);
#endif
}

/* ==== decision boundaries ====================================================================== */

/* Score 3y: above y = 0 is class 1 (blue), below is class 0 (red), a dark line between. */
static void test_boundary_two(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    mg_plot_options o;
    mg_plot_options_init(&o);
    o.xmin = -1, o.xmax = 1, o.ymin = -1, o.ymax = 1;
    mg_err err = {0, ""};
    const char *path = tu_path("b2.png");
    if (mg_plot_boundary(path, score_y, NULL, 1, 0, NULL, NULL, &o, &err)) fail_msg("%s", err.msg);
    image im = load_png(path);
    int cx = im.w / 2;
    uint32_t top = im.px[(im.h * 30 / 100) * im.w + cx], bottom = im.px[(im.h * 75 / 100) * im.w + cx];
    if (!(B(top) > R(top) + 40)) fail_msg("above the boundary is not blue: %06x", top);
    if (!(R(bottom) > B(bottom) + 40)) fail_msg("below the boundary is not red: %06x", bottom);
    /* A dark boundary line crosses the middle column between the two. */
    int dark = 0;
    for (int y = im.h * 30 / 100; y < im.h * 75 / 100; y++) {
        uint32_t v = im.px[y * im.w + cx];
        dark += R(v) < 120 && G(v) < 120 && B(v) < 120;
    }
    assert_true(dark >= 1 && dark < 8);
    free(im.px);

    /* Points: classes -1/+1 and 0/1 both work, drawn in their class colours. */
    double xy[8] = {-0.5, 0.5, 0.5, 0.5, -0.5, -0.5, 0.5, -0.5};
    double pm[4] = {1, 1, -1, -1}, zo[4] = {1, 1, 0, 0};
    mg_plot_options_init(&o);
    assert_int_equal(mg_plot_boundary(tu_path("pm.png"), score_y, NULL, 1, 4, xy, pm, &o, &err), MG_STATUS_OK);
    assert_int_equal(mg_plot_boundary(tu_path("zo.png"), score_y, NULL, 1, 4, xy, zo, &o, &err), MG_STATUS_OK);
    size_t n1, n2;
    char *a = tu_read_file(tu_path("pm.png"), &n1), *b = tu_read_file(tu_path("zo.png"), &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    free(a);
    free(b);
    assert_int_equal(mg_plot_boundary(tu_path("pm.svg"), score_y, NULL, 1, 4, xy, pm, &o, &err), MG_STATUS_OK);
    check_svg(tu_path("pm.svg"), "640", "480");
    /* A classifier that gives NaN somewhere: grey there, no failure. */
    assert_int_equal(mg_plot_boundary(tu_path("nan.png"), score_nan, NULL, 1, 4, xy, pm, &o, &err), MG_STATUS_OK);
#endif
}

/* Three classes by argmax: left red, middle blue, right green (class 0 red and class 1
 * blue, as with two classes, then the palette). */
static void test_boundary_three(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    double xy[6] = {-1, 0, 0, 0.2, 1, -0.2}, cls[3] = {0, 1, 2};
    const char *names[3] = {"left", "middle", "right"};
    mg_plot_options o;
    mg_plot_options_init(&o);
    o.class_names = names;
    o.xmin = -1.5, o.xmax = 1.5, o.ymin = -1, o.ymax = 1;
    mg_err err = {0, ""};
    const char *path = tu_path("b3.png");
    if (mg_plot_boundary(path, score_three, NULL, 3, 3, xy, cls, &o, &err)) fail_msg("%s", err.msg);
    image im = load_png(path);
    /* Sample between the points, at 3/4 height, away from markers and the legend. */
    int y = im.h * 70 / 100;
    uint32_t l = im.px[y * im.w + im.w * 22 / 100], m = im.px[y * im.w + im.w * 52 / 100],
             r = im.px[y * im.w + im.w * 75 / 100];
    if (!(R(l) > B(l) + 30 && R(l) > G(l) + 30)) fail_msg("left is not red: %06x", l);
    if (!(B(m) > R(m) + 30 && B(m) > G(m))) fail_msg("middle is not blue: %06x", m);
    if (!(G(r) > R(r) + 30 && G(r) > B(r))) fail_msg("right is not green: %06x", r);
    free(im.px);
    /* Classes must be integers in range. */
    double bad[3] = {0, 1.5, 2};
    assert_int_equal(mg_plot_boundary(tu_path("bad.png"), score_three, NULL, 3, 3, xy, bad, &o, &err),
                     MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "point 1 has class 1.5"));
    bad[1] = 3;
    assert_int_equal(mg_plot_boundary(tu_path("bad.png"), score_three, NULL, 3, 3, xy, bad, &o, &err),
                     MG_STATUS_INVALID);
    assert_int_equal(mg_plot_boundary(tu_path("bad.png"), score_three, NULL, 0, 3, xy, cls, &o, &err),
                     MG_STATUS_INVALID);
    mg_plot_options_init(&o);
    assert_int_equal(mg_plot_boundary(tu_path("bad.png"), score_three, NULL, 3, 0, NULL, NULL, &o, &err),
                     MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "no points and no range"));
    o.resolution = 1;
    assert_int_equal(mg_plot_boundary(tu_path("bad.png"), score_three, NULL, 3, 3, xy, cls, &o, &err),
                     MG_STATUS_INVALID);
    assert_false(file_exists(tu_path("bad.png")));
#endif
}

#ifdef MG_HAVE_CAIRO
/* Pixels of im within 2 of colour c, in columns [x0, x1). */
static int count_color(const image *im, uint32_t c, int x0, int x1) {
    int n = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = x0; x < x1 && x < im->w; x++) n += near(im->px[y * im->w + x], c, 2);
    return n;
}

/* The longest row of pixels within 2 of colour c in columns [x0, x1): a box's edge. */
static int longest_run(const image *im, uint32_t c, int x0, int x1) {
    int best = 0;
    for (int y = 0; y < im->h; y++)
        for (int x = x0, run = 0; x < x1 && x < im->w; x++) {
            run = near(im->px[y * im->w + x], c, 2) ? run + 1 : 0;
            if (run > best) best = run;
        }
    return best;
}

/* Class markers' exact colours in one picture of points all of class k: (red, blue). */
static void marker_colors(size_t nout, double cls, int *red, int *blue) {
    double xy[8] = {-0.5, 0.5, 0.5, 0.5, -0.5, -0.5, 0.5, -0.5}, c[4] = {cls, cls, cls, cls};
    mg_plot_options o;
    mg_plot_options_init(&o);
    o.legend = 0;
    mg_err err = {0, ""};
    const char *path = tu_path("colors.png");
    if (mg_plot_boundary(path, nout == 1 ? score_y : score_three, NULL, nout, 4, xy, c, &o, &err))
        fail_msg("%s", err.msg);
    image im = load_png(path);
    *red = count_color(&im, 0xd62728, 0, im.w);
    *blue = count_color(&im, 0x1f77b4, 0, im.w);
    free(im.px);
}
#endif

/* A class has one colour in every picture: class 0 red, class 1 blue, with two classes
 * (one score) or with three (argmax), as the markers show. */
static void test_boundary_class_colors(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    int red, blue;
    marker_colors(1, -1, &red, &blue); /* two classes, -1/+1 labels */
    assert_true(red > 40 && blue == 0);
    marker_colors(1, 0, &red, &blue); /* two classes, 0/1 labels */
    assert_true(red > 40 && blue == 0);
    marker_colors(3, 0, &red, &blue);
    assert_true(red > 40 && blue == 0);
    marker_colors(1, 1, &red, &blue);
    assert_true(blue > 40 && red == 0);
    marker_colors(3, 1, &red, &blue);
    assert_true(blue > 40 && red == 0);
#endif
}

/* The legend stays off the data: with points everywhere in the plot area, corners
 * included, it is drawn right of the area's frame, and nothing of it inside. */
static void test_boundary_legend_outside(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    enum { K = 15 };
    double xy[2 * K * K], cls[K * K];
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            xy[2 * (i * K + j)] = -1 + 2.0 * i / (K - 1);
            xy[2 * (i * K + j) + 1] = -1 + 2.0 * j / (K - 1);
            cls[i * K + j] = j < K / 2 ? 0 : 1;
        }
    for (int nout = 1; nout <= 3; nout += 2) {
        mg_plot_options o;
        mg_plot_options_init(&o);
        mg_err err = {0, ""};
        const char *path = tu_path("legend.png");
        if (mg_plot_boundary(path, nout == 1 ? score_y : score_three, NULL, (size_t)nout, K * K,
                             xy, cls, &o, &err))
            fail_msg("%s", err.msg);
        image im = load_png(path);
        /* The frame's right edge: the rightmost column mostly of the frame's dark grey. */
        int frame = -1;
        for (int x = 0; x < im.w; x++) {
            int n = 0;
            for (int y = 0; y < im.h; y++) n += near(im.px[y * im.w + x], 0x404040, 3);
            if (n > im.h / 2) frame = x;
        }
        assert_true(frame > im.w / 2 && frame < im.w - 40);
        /* The legend's markers and box are right of it; its light grey box edge is not in it. */
        assert_true(count_color(&im, 0xd62728, frame + 1, im.w) > 20);
        assert_true(count_color(&im, 0x1f77b4, frame + 1, im.w) > 20);
        assert_true(longest_run(&im, 0xb3b3b3, frame + 1, im.w) > 40);
        assert_true(longest_run(&im, 0xb3b3b3, 0, frame) < 10);
        free(im.px);
    }
#endif
}

/* ==== files ====================================================================================== */

static void test_files(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    double y[3] = {1, 3, 2};
    mg_plot_series s = {"s", 3, NULL, y};
    mg_err err = {0, ""};
    int before = tu_dir_entries();
    assert_int_equal(mg_plot_lines(tu_path("p.jpg"), 1, &s, NULL, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "unknown plot format 'jpg'"));
    mg_plot_options o;
    mg_plot_options_init(&o);
    o.width = 10;
    assert_int_equal(mg_plot_lines(tu_path("p.png"), 1, &s, &o, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "10x480"));
    assert_int_equal(mg_plot_lines(tu_path("nodir/p.png"), 1, &s, NULL, &err), MG_STATUS_IO);
    assert_non_null(strstr(err.msg, "nodir/p.png"));
    assert_int_equal(tu_dir_entries(), before);
    /* A failed plot leaves an existing file as it was. */
    tu_write_file(tu_path("keep.png"), "old", (size_t)-1);
    double nan1[1] = {NAN};
    mg_plot_series bad = {"bad", 1, NULL, nan1};
    assert_int_equal(mg_plot_lines(tu_path("keep.png"), 1, &bad, NULL, &err), MG_STATUS_INVALID);
    char *old = tu_read_file(tu_path("keep.png"), NULL);
    assert_string_equal(old, "old");
    free(old);
    /* Text that is not UTF-8 (cairo would refuse it) is drawn with '?' instead. */
    mg_plot_options_init(&o);
    o.title = "bad \xff\xfe title";
    o.xlabel = "\xce\xa3 ok";
    assert_int_equal(mg_plot_lines(tu_path("keep.png"), 1, &s, &o, &err), MG_STATUS_OK);
    unsigned w, h;
    assert_true(tu_png_size(tu_path("keep.png"), &w, &h));
    assert_int_equal(tu_dir_entries(), before + 1);
#endif
}

#ifdef MG_HAVE_CAIRO
/* Plots for the writer's checks: cairo writes the file by name. */
static mg_status plot_curve(void *user, const char *path, mg_err *err) {
    (void)user;
    double y[4] = {1, 0.5, 0.3, 0.25};
    mg_plot_series s = {"train", 4, NULL, y};
    return mg_plot_loss(path, 1, &s, NULL, err);
}

static mg_status plot_boundary(void *user, const char *path, mg_err *err) {
    (void)user;
    double xy[4] = {-1, -1, 1, 1}, cls[2] = {0, 1};
    return mg_plot_boundary(path, score_y, NULL, 1, 2, xy, cls, NULL, err);
}
#endif

/* The writer's promises (micrograd.h section 14e) for plots, PNG and SVG. */
static void test_writer_promises(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    wc_check_ext("loss", "png", plot_curve, NULL, 1024);
    wc_check_ext("loss", "svg", plot_curve, NULL, 1024);
    wc_check_ext("boundary", "png", plot_boundary, NULL, 1024);
#endif
}

/* The example program plots the walkthrough's function. */
static void test_example(void **state) {
    (void)state;
    NEED_CAIRO();
#ifdef MG_HAVE_CAIRO
    char prog[1024];
    snprintf(prog, sizeof prog, "%s/plot_function", MG_EXAMPLES_DIR);
    char out[512];
    snprintf(out, sizeof out, "%s", tu_path("example.png"));
    const char *argv[] = {prog, out, NULL};
    tu_run_result r = tu_run(argv, NULL);
    if (r.status != 0) fail_msg("plot_function exited %d: %s", r.status, r.err);
    assert_non_null(strstr(r.out, "slope at 3 by backward = 14\n"));
    unsigned w, h;
    assert_true(tu_png_size(out, &w, &h));
    assert_int_equal(w, 640);
    assert_int_equal(h, 480);
    tu_run_free(&r);
#endif
}

static int cleanup(void **state) {
    (void)state;
    tu_cleanup();
    mg_plot_cleanup(); /* cairo's and fontconfig's caches, for the leak checker */
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_availability), cmocka_unit_test(test_function),
        cmocka_unit_test(test_loss),         cmocka_unit_test(test_boundary_two),
        cmocka_unit_test(test_boundary_three), cmocka_unit_test(test_boundary_class_colors),
        cmocka_unit_test(test_boundary_legend_outside), cmocka_unit_test(test_files),
        cmocka_unit_test(test_example),      cmocka_unit_test(test_writer_promises),
    };
    return cmocka_run_group_tests_name("plot", tests, NULL, cleanup);
}
