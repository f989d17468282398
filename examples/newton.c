/* newton.c - Newton's method with exact derivatives, which come from differentiating the
 * graph: mg_gradient appends d(f)/d(x) to the tape as ordinary values, so the derivative
 * is a graph too, and differentiating it again gives second derivatives (the Hessian).
 * A root of x^3 - 2x - 5 from x = 2, then the minimum of Rosenbrock's function from
 * (-1.2, 1). Prints what `micrograd demo newton` prints.
 *
 *   cc newton.c $(pkg-config --cflags --libs micrograd) -o newton && ./newton
 */
#include <micrograd.h>
#include <stdio.h>

static const char *R(double x, char *buf) { return mg_fmt_repr(x, buf, 32); }

/* x <- x - f(x) / f'(x) for f(x) = x^3 - 2x - 5 */
static void root(mg_ctx *ctx) {
    char b1[32], b2[32], b3[32];
    printf("A root of f(x) = x^3 - 2x - 5 from x = 2, by x <- x - f(x)/f'(x):\n");
    double x0 = 2.0;
    mg_mark base = mg_ctx_mark(ctx);
    for (int k = 0; k < 50; k++) {
        mg_value x = mg_leaf_ex(ctx, x0, MG_ROLE_LEAF, "x");
        mg_value f = mg_subf(ctx, mg_sub(ctx, mg_powf(ctx, x, 3), mg_mulf(ctx, x, 2.0)), 5.0);
        mg_value df = mg_gradient(ctx, f, x); /* 3x^2 - 2, built as values */
        double fv = mg_data(ctx, f), dv = mg_data(ctx, df);
        printf("step %d: x = %s, f(x) = %s, f'(x) = %s\n", k, R(x0, b1), R(fv, b2), R(dv, b3));
        double x1 = x0 - fv / dv;
        mg_ctx_reset(ctx, base); /* the next step builds its graphs afresh */
        if (fv == 0.0 || x1 == x0) break;
        x0 = x1;
    }
    printf("root: x = %s\n\n", R(x0, b1));
}

/* (x, y) <- (x, y) - H^-1 grad f for Rosenbrock's f = (1 - x)^2 + 100 (y - x^2)^2 */
static void minimum(mg_ctx *ctx) {
    char b[5][32];
    printf("The minimum of Rosenbrock's f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 from (-1.2, 1),\n"
           "by (x, y) <- (x, y) - H^-1 grad f, the Hessian H from differentiating the gradient:\n");
    double p[2] = {-1.2, 1.0};
    mg_mark base = mg_ctx_mark(ctx);
    for (int k = 0; k < 50; k++) {
        mg_value v[2] = {mg_leaf(ctx, p[0]), mg_leaf(ctx, p[1])};
        mg_value a = mg_powf(ctx, mg_rsubf(ctx, 1.0, v[0]), 2);
        mg_value c = mg_mulf(ctx, mg_powf(ctx, mg_sub(ctx, v[1], mg_powf(ctx, v[0], 2)), 2), 100.0);
        mg_value f = mg_add(ctx, a, c);
        mg_value g[2], hx[2], hy[2];
        mg_gradients(ctx, f, 2, v, g);     /* the gradient, as values ... */
        mg_gradients(ctx, g[0], 2, v, hx); /* ... differentiated again: the Hessian's rows */
        mg_gradients(ctx, g[1], 2, v, hy);
        double gx = mg_data(ctx, g[0]), gy = mg_data(ctx, g[1]);
        double hxx = mg_data(ctx, hx[0]), hxy = mg_data(ctx, hx[1]), hyy = mg_data(ctx, hy[1]);
        printf("step %d: (x, y) = (%s, %s), f = %s, grad = (%s, %s)\n", k, R(p[0], b[0]),
               R(p[1], b[1]), R(mg_data(ctx, f), b[2]), R(gx, b[3]), R(gy, b[4]));
        mg_ctx_reset(ctx, base);
        double det = hxx * hyy - hxy * hxy;
        if ((gx == 0.0 && gy == 0.0) || det == 0.0) break;
        double dx = (hyy * gx - hxy * gy) / det, dy = (hxx * gy - hxy * gx) / det;
        if (p[0] - dx == p[0] && p[1] - dy == p[1]) break;
        p[0] -= dx, p[1] -= dy;
    }
    printf("minimum: (x, y) = (%s, %s)\n", R(p[0], b[0]), R(p[1], b[1]));
}

int main(void) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    root(ctx);
    minimum(ctx);
    int failed = mg_ctx_status(ctx) != MG_STATUS_OK;
    if (failed) fprintf(stderr, "newton: %s\n", mg_ctx_errmsg(ctx));
    mg_ctx_free(ctx);
    return failed;
}
