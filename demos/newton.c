/* newton.c - `micrograd demo newton`: Newton's method with exact derivatives, taken by
 * differentiating graphs (mg_gradient): the derivative of f is itself a graph on the
 * tape, so it can be differentiated again for the Hessian. A root of x^3 - 2x - 5 from
 * x = 2, then the minimum of Rosenbrock's function from (-1.2, 1). */
#include "demo.h"

#include "app.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_STEPS 50

static const char *R(double x, char *buf) { return mg_fmt_repr(x, buf, 32); }

static int usage(void) {
    printf("Usage: micrograd demo newton [OPTIONS]\n\n"
           "Newton's method with exact derivatives from gradients as values: the derivative\n"
           "of a graph is a graph too, so it can be differentiated again. A root of\n"
           "x^3 - 2x - 5 from x = 2, then the minimum of Rosenbrock's function\n"
           "(1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1) with its exact Hessian.\n\n"
           "Options:\n"
           "  --graph FILE       draw the first step's graph of f'(x) (.dot, .svg, .png)\n"
           "  --steps N          at most N steps per problem (default 50)\n"
           "  -h, --help         show this help\n");
    return APP_OK;
}

/* ==== 1-D: x <- x - f(x) / f'(x) ========================================================== */

/* f(x) = x^3 - 2x - 5 on ctx, labelled so a picture reads f = x**3 - 2x - 5. */
static mg_value cubic(mg_ctx *ctx, mg_value x) {
    mg_value t = mg_sub(ctx, mg_powf(ctx, x, 3), mg_mulf(ctx, x, 2.0));
    return mg_set_label(ctx, mg_subf(ctx, t, 5.0), "f");
}

static int root_1d(mg_ctx *ctx, size_t max_steps, const char *graph) {
    char b1[32], b2[32], b3[32];
    printf("A root of f(x) = x^3 - 2x - 5 from x = 2, by x <- x - f(x)/f'(x):\n");
    double x0 = 2.0;
    mg_mark base = mg_ctx_mark(ctx);
    for (size_t k = 0; k < max_steps; k++) {
        mg_value x = mg_leaf_ex(ctx, x0, MG_ROLE_LEAF, "x");
        mg_value f = cubic(ctx, x);
        mg_value df = mg_gradient(ctx, f, x); /* 3x^2 - 2, as a graph */
        if (!mg_ok(df)) {
            app_error("newton: %s", mg_ctx_errmsg(ctx));
            return APP_FAIL;
        }
        double fv = mg_data(ctx, f), dv = mg_data(ctx, df);
        printf("step %zu: x = %s, f(x) = %s, f'(x) = %s\n", k, R(x0, b1), R(fv, b2), R(dv, b3));
        if (k == 0 && graph) {
            mg_err err; /* the graph of f': backward, written as values */
            if (mg_graph_save(ctx, df, NULL, graph, &err) != MG_STATUS_OK) {
                app_error("newton: %s", err.msg);
                return APP_FAIL;
            }
            fprintf(stderr, "micrograd: newton: wrote %s\n", graph);
        }
        double x1 = x0 - fv / dv;
        mg_ctx_reset(ctx, base);
        if (fv == 0.0 || x1 == x0) break;
        x0 = x1;
    }
    printf("root: x = %s\n\n", R(x0, b1));
    return APP_OK;
}

/* ==== 2-D: (x, y) <- (x, y) - H^-1 grad ==================================================== */

static mg_value rosenbrock(mg_ctx *ctx, mg_value x, mg_value y) {
    mg_value a = mg_powf(ctx, mg_rsubf(ctx, 1.0, x), 2);
    mg_value b = mg_mulf(ctx, mg_powf(ctx, mg_sub(ctx, y, mg_powf(ctx, x, 2)), 2), 100.0);
    return mg_set_label(ctx, mg_add(ctx, a, b), "f");
}

static int minimum_2d(mg_ctx *ctx, size_t max_steps) {
    char b[6][32];
    printf("The minimum of Rosenbrock's f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1),\n"
           "by (x, y) <- (x, y) - H^-1 grad f, the Hessian H from differentiating the gradient:\n");
    double p[2] = {-1.2, 1.0};
    mg_mark base = mg_ctx_mark(ctx);
    for (size_t k = 0; k < max_steps; k++) {
        mg_value v[2] = {mg_leaf_ex(ctx, p[0], MG_ROLE_LEAF, "x"), mg_leaf_ex(ctx, p[1], MG_ROLE_LEAF, "y")};
        mg_value f = rosenbrock(ctx, v[0], v[1]);
        mg_value g[2], hx[2], hy[2];
        if (!mg_gradients(ctx, f, 2, v, g) || !mg_gradients(ctx, g[0], 2, v, hx) ||
            !mg_gradients(ctx, g[1], 2, v, hy)) {
            app_error("newton: %s", mg_ctx_errmsg(ctx));
            return APP_FAIL;
        }
        double gx = mg_data(ctx, g[0]), gy = mg_data(ctx, g[1]);
        double hxx = mg_data(ctx, hx[0]), hxy = mg_data(ctx, hx[1]), hyy = mg_data(ctx, hy[1]);
        printf("step %zu: (x, y) = (%s, %s), f = %s, grad = (%s, %s)\n", k, R(p[0], b[0]),
               R(p[1], b[1]), R(mg_data(ctx, f), b[2]), R(gx, b[3]), R(gy, b[4]));
        mg_ctx_reset(ctx, base);
        double det = hxx * hyy - hxy * hxy;
        if ((gx == 0.0 && gy == 0.0) || det == 0.0) break;
        double dx = (hyy * gx - hxy * gy) / det, dy = (hxx * gy - hxy * gx) / det;
        if (p[0] - dx == p[0] && p[1] - dy == p[1]) break;
        p[0] -= dx, p[1] -= dy;
    }
    printf("minimum: (x, y) = (%s, %s)\n", R(p[0], b[0]), R(p[1], b[1]));
    return APP_OK;
}

int demo_newton(int argc, char **argv) {
    const char *graph = NULL;
    long steps = MAX_STEPS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return usage();
        if (!strcmp(argv[i], "--graph") || !strcmp(argv[i], "--steps")) {
            if (i + 1 == argc) return app_usage_error("demo newton", "option '%s' needs a value", argv[i]);
            if (argv[i][2] == 'g')
                graph = argv[++i];
            else if (!app_parse_long("demo newton", "--steps", argv[++i], 1, 1000000, &steps))
                return APP_USAGE;
            continue;
        }
        return app_usage_error("demo newton", "unknown %s '%s'",
                               argv[i][0] == '-' ? "option" : "argument", argv[i]);
    }
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) {
        app_error("newton: out of memory");
        return APP_FAIL;
    }
    int st = root_1d(ctx, (size_t)steps, graph);
    if (st == APP_OK) st = minimum_2d(ctx, (size_t)steps);
    mg_ctx_free(ctx);
    return st;
}
