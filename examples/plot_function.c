/* plot_function.c - the walkthrough's first picture: f(x) = 3x^2 - 4x + 5 on [-5, 5],
 * with its tangent at x = 3, whose slope the engine computes by backward (14, as the
 * walkthrough's (f(3 + h) - f(3))/h approaches).
 *
 * Usage: plot_function PATH   (PATH ends in .png or .svg)
 */
#include <micrograd.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static double f(void *user, double x) {
    (void)user;
    return 3 * x * x - 4 * x + 5;
}

/* df/dx at x by reverse mode on the same expression built from values. */
static double slope_by_backward(double x0) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return NAN;
    mg_value x = mg_leaf_ex(ctx, x0, MG_ROLE_INPUT, "x");
    mg_value y = mg_addf(ctx, mg_sub(ctx, mg_mulf(ctx, mg_powf(ctx, x, 2), 3), mg_mulf(ctx, x, 4)), 5);
    double slope = NAN;
    if (mg_ok(y)) {
        mg_backward(ctx, y);
        slope = mg_grad(ctx, x);
    }
    mg_ctx_free(ctx);
    return slope;
}

int main(int argc, char **argv) {
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fprintf(argc == 2 ? stdout : stderr,
                "Usage: plot_function PATH\n"
                "Plots 3x^2 - 4x + 5 on [-5, 5] with its tangent at x = 3 to PATH (.png or .svg).\n");
        return argc == 2 ? 0 : 2;
    }
    mg_plot_tangent tangent = {3.0, slope_by_backward(3.0)};
    printf("f(3) = %g, slope at 3 by backward = %g\n", f(NULL, 3.0), tangent.slope);
    mg_plot_options opt;
    mg_plot_options_init(&opt);
    opt.title = "f(x) = 3x^2 - 4x + 5";
    mg_err err;
    mg_status st = mg_plot_function(argv[1], f, NULL, "3x^2 - 4x + 5", -5.0, 5.0, &tangent, &opt, &err);
    mg_plot_cleanup();
    if (st != MG_STATUS_OK) {
        fprintf(stderr, "plot_function: %s\n", err.msg);
        return 1;
    }
    printf("wrote %s\n", argv[1]);
    return 0;
}
