/* walkthroughs.c - the seed walkthroughs as programs. Numbers are printed the way Python
 * prints them (mg_fmt_repr), so a learner can put this output next to the notebook's. */
#include "walkthroughs.h"

#include "app.h"

#include <micrograd.h>
#include <stdio.h>
#include <string.h>

/* A walkthrough's option that names a file: --graph FILE, --html FILE, --plot FILE. */
typedef struct wt_file {
    const char *opt;  /* "--graph" */
    const char *help; /* its line in --help */
    const char **file; /* where the file's name goes (left alone when not given) */
} wt_file;

/* Parses the walkthroughs' few options: --help; the nfiles `opt FILE` options; --formula
 * when formula is not NULL (sets *formula). Usage errors read like the other demos'
 * ("micrograd demo NAME: ..."). Returns 1 when help was printed, -1 after a usage error
 * (already printed), 0 to go on. */
static int wt_args(int argc, char **argv, const char *name, const char *what,
                   const wt_file *files, size_t nfiles, int *formula) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "demo %s", name);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("Usage: micrograd demo %s [OPTIONS]\n\n%s\n\nOptions:\n", name, what);
            for (size_t k = 0; k < nfiles; k++) {
                char left[40];
                snprintf(left, sizeof left, "%s FILE", files[k].opt);
                printf("  %-18s %s\n", left, files[k].help);
            }
            if (formula) printf("  --formula          print the result's graph as a formula\n");
            printf("  -h, --help         show this help\n");
            return 1;
        }
        size_t k = 0;
        while (k < nfiles && strcmp(argv[i], files[k].opt)) k++;
        if (k < nfiles) {
            if (i + 1 == argc) {
                app_usage_error(cmd, "option '%s' needs a value", files[k].opt);
                return -1;
            }
            *files[k].file = argv[++i];
            continue;
        }
        if (formula && !strcmp(argv[i], "--formula")) {
            *formula = 1;
            continue;
        }
        app_usage_error(cmd, "unknown %s '%s'", argv[i][0] == '-' ? "option" : "argument", argv[i]);
        return -1;
    }
    return 0;
}

/* Prints v's graph as a formula (--formula); returns an exit status. */
static int wt_formula(const char *name, mg_ctx *ctx, mg_value v, int formula) {
    mg_err err;
    if (!formula || mg_formula_write(ctx, v, NULL, stdout, &err) == MG_STATUS_OK) return APP_OK;
    app_error("%s: %s", name, err.msg);
    return APP_FAIL;
}

/* Draws v's graph to path (--graph); returns an exit status. */
static int wt_draw(const char *name, mg_ctx *ctx, mg_value v, const char *path) {
    if (!path) return APP_OK;
    mg_err err;
    if (mg_graph_save(ctx, v, NULL, path, &err) != MG_STATUS_OK) {
        app_error("%s: %s", name, err.msg);
        return APP_FAIL;
    }
    fprintf(stderr, "micrograd: %s: wrote %s\n", name, path);
    return APP_OK;
}

/* Writes v's backprop page to path (--html); returns an exit status. */
static int wt_page(const char *name, mg_ctx *ctx, mg_value v, const char *path) {
    if (!path) return APP_OK;
    mg_err err;
    if (mg_page_save(ctx, v, NULL, path, &err) != MG_STATUS_OK) {
        app_error("%s: --html %s: %s", name, path, err.msg);
        return APP_FAIL;
    }
    fprintf(stderr, "micrograd: %s: wrote %s (open it in a browser)\n", name, path);
    return APP_OK;
}

static const char *R(double x, char *buf) { return mg_fmt_repr(x, buf, 32); }

/* ==== derivative: the slope of f by nudging x ============================================ */

static double f_quadratic(double x) { return 3 * (x * x) - 4 * x + 5; }
static double f_for_plot(void *user, double x) {
    (void)user;
    return f_quadratic(x);
}

int walkthrough_derivative(int argc, char **argv) {
    const char *plot = NULL;
    const wt_file files[] = {
        {"--plot", "draw f on [-5, 5] with its tangent at x = 3 (.png or .svg)", &plot}};
    int a = wt_args(argc, argv, "derivative",
                    "The derivative of f(x) = 3x^2 - 4x + 5 by finite differences.", files, 1,
                    NULL);
    if (a) return a > 0 ? APP_OK : APP_USAGE;
    char b1[32], b2[32], b3[32];
    printf("f(x) = 3x^2 - 4x + 5; f(3.0) = %s\n", R(f_quadratic(3.0), b1));
    double h = 0.01, x = 3.0;
    printf("h = %s, x = %s: (f(x+h) - f(x))/h = %s  (the true slope 6x - 4 is 14)\n", R(h, b1),
           R(x, b2), R((f_quadratic(x + h) - f_quadratic(x)) / h, b3));
    h = 0.00001, x = 2.0 / 3.0;
    printf("h = %s, x = 2/3: (f(x+h) - f(x))/h = %s  (the minimum: slope 0)\n", R(h, b1),
           R((f_quadratic(x + h) - f_quadratic(x)) / h, b2));
    for (double xs = -3.0; xs <= 3.0; xs += 1.5)
        printf("x = %5.2f  f(x) = %8.4f  slope ~ %8.4f  (6x - 4 = %.4f)\n", xs, f_quadratic(xs),
               (f_quadratic(xs + 1e-6) - f_quadratic(xs)) / 1e-6, 6 * xs - 4);
    if (plot) {
        mg_plot_tangent tangent = {3.0, 14.0};
        mg_err err;
        if (mg_plot_function(plot, f_for_plot, NULL, "3x^2 - 4x + 5", -5.0, 5.0, &tangent, NULL,
                             &err) != MG_STATUS_OK) {
            app_error("derivative: %s", err.msg);
            return APP_FAIL;
        }
        fprintf(stderr, "micrograd: derivative: wrote %s\n", plot);
    }
    return 0;
}

/* ==== expression: d = a*b + c, nudging each input ======================================== */

int walkthrough_expression(int argc, char **argv) {
    int a = wt_args(argc, argv, "expression",
                    "d = a*b + c with a = 2, b = -3, c = 10, and its slope along each input.",
                    NULL, 0, NULL);
    if (a) return a > 0 ? APP_OK : APP_USAGE;
    const char *names[3] = {"a", "b", "c"};
    char b1[32], b2[32], b3[32];
    for (int k = 0; k < 3; k++) {
        double h = 0.0001;
        double v[3] = {2.0, -3.0, 10.0};
        double d1 = v[0] * v[1] + v[2];
        v[k] += h;
        double d2 = v[0] * v[1] + v[2];
        printf("nudge %s: d1 %s  d2 %s  slope %s\n", names[k], R(d1, b1), R(d2, b2),
               R((d2 - d1) / h, b3));
    }
    /* The same slopes, exactly, from backward. */
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_value va = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "a");
    mg_value vb = mg_leaf_ex(ctx, -3.0, MG_ROLE_LEAF, "b");
    mg_value vc = mg_leaf_ex(ctx, 10.0, MG_ROLE_LEAF, "c");
    mg_value d = mg_add(ctx, mg_mul(ctx, va, vb), vc);
    mg_backward(ctx, d);
    char b4[32];
    printf("backward: d = %s, dd/da = %s, dd/db = %s, dd/dc = %s\n", R(mg_data(ctx, d), b1),
           R(mg_grad(ctx, va), b2), R(mg_grad(ctx, vb), b3), R(mg_grad(ctx, vc), b4));
    mg_ctx_free(ctx);
    return 0;
}

/* ==== graph: L = (a*b + c) * f, backward, and one step along the gradient =============== */

int walkthrough_graph(int argc, char **argv) {
    const char *graph = NULL, *html = NULL;
    int formula = 0;
    const wt_file files[] = {
        {"--graph", "draw the graph after backward (.dot, .svg or .png)", &graph},
        {"--html", "write backward step by step as a page for a browser (.html)", &html}};
    int a = wt_args(argc, argv, "graph",
                    "L = (a*b + c) * f: forward, backward, and one step of 0.01 along the\n"
                    "gradients.",
                    files, 2, &formula);
    if (a) return a > 0 ? APP_OK : APP_USAGE;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_value va = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "a");
    mg_value vb = mg_leaf_ex(ctx, -3.0, MG_ROLE_LEAF, "b");
    mg_value vc = mg_leaf_ex(ctx, 10.0, MG_ROLE_LEAF, "c");
    mg_value e = mg_set_label(ctx, mg_mul(ctx, va, vb), "e");
    mg_value d = mg_set_label(ctx, mg_add(ctx, e, vc), "d");
    mg_value vf = mg_leaf_ex(ctx, -2.0, MG_ROLE_LEAF, "f");
    mg_value L = mg_set_label(ctx, mg_mul(ctx, d, vf), "L");
    if (mg_ctx_status(ctx)) {
        app_error("%s", mg_ctx_errmsg(ctx));
        mg_ctx_free(ctx);
        return APP_FAIL;
    }
    mg_backward(ctx, L);
    mg_value all[] = {va, vb, vc, e, d, vf, L};
    char buf[96];
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        printf("%-2s %s\n", mg_label(ctx, all[i]), mg_value_repr(ctx, all[i], buf, sizeof buf));
    if (wt_draw("graph", ctx, L, graph) || wt_page("graph", ctx, L, html) ||
        wt_formula("graph", ctx, L, formula)) {
        mg_ctx_free(ctx);
        return 1;
    }
    /* Nudge each leaf along its gradient, then forward again: L goes up (towards 0). */
    mg_value leaves[] = {va, vb, vc, vf};
    for (size_t i = 0; i < 4; i++)
        mg_set_data(ctx, leaves[i], mg_data(ctx, leaves[i]) + 0.01 * mg_grad(ctx, leaves[i]));
    char b1[32];
    printf("after one step of 0.01 along the gradients: L = %s (was -8.0)\n",
           R(mg_forward(ctx, L), b1));
    mg_ctx_free(ctx);
    return 0;
}

/* ==== neuron: tanh(x1*w1 + x2*w2 + b), and tanh spelled out with exp ==================== */

/* Builds the walkthrough's neuron; with from_exp, tanh(n) = (e^2n - 1)/(e^2n + 1). */
static mg_value neuron(mg_ctx *ctx, int from_exp, mg_value *leaves) {
    mg_value x1 = mg_leaf_ex(ctx, 2.0, MG_ROLE_INPUT, "x1");
    mg_value x2 = mg_leaf_ex(ctx, 0.0, MG_ROLE_INPUT, "x2");
    mg_value w1 = mg_leaf_ex(ctx, -3.0, MG_ROLE_PARAM, "w1");
    mg_value w2 = mg_leaf_ex(ctx, 1.0, MG_ROLE_PARAM, "w2");
    mg_value b = mg_leaf_ex(ctx, 6.8813735870195432, MG_ROLE_PARAM, "b");
    mg_value x1w1 = mg_set_label(ctx, mg_mul(ctx, x1, w1), "x1*w1");
    mg_value x2w2 = mg_set_label(ctx, mg_mul(ctx, x2, w2), "x2*w2");
    mg_value sum = mg_set_label(ctx, mg_add(ctx, x1w1, x2w2), "x1*w1 + x2*w2");
    mg_value n = mg_set_label(ctx, mg_add(ctx, sum, b), "n");
    mg_value o;
    if (from_exp) {
        mg_value e = mg_set_label(ctx, mg_exp(ctx, mg_mulf(ctx, n, 2)), "e");
        o = mg_div(ctx, mg_subf(ctx, e, 1), mg_addf(ctx, e, 1));
    } else {
        o = mg_tanh(ctx, n);
    }
    mg_value in[5] = {x1, w1, x2, w2, b};
    memcpy(leaves, in, sizeof in);
    return mg_set_label(ctx, o, "o");
}

int walkthrough_neuron(int argc, char **argv) {
    const char *graph = NULL, *html = NULL, *html_exp = NULL;
    int formula = 0;
    const wt_file files[] = {
        {"--graph", "draw the tanh neuron after backward (.dot, .svg or .png)", &graph},
        {"--html", "write the tanh neuron's backward step by step as a page (.html)", &html},
        {"--html-exp", "the same for the neuron with tanh built from exp", &html_exp}};
    int a = wt_args(argc, argv, "neuron",
                    "The neuron o = tanh(x1*w1 + x2*w2 + b), backward, and the same with tanh\n"
                    "built from exp.",
                    files, 3, &formula);
    if (a) return a > 0 ? APP_OK : APP_USAGE;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    for (int from_exp = 0; from_exp < 2; from_exp++) {
        mg_value leaves[5];
        mg_value o = neuron(ctx, from_exp, leaves);
        if (mg_ctx_status(ctx)) break;
        mg_backward(ctx, o);
        char b1[32];
        printf("%s: o = %.4f (%s)\n", from_exp ? "tanh from exp, sub and div" : "tanh",
               mg_data(ctx, o), R(mg_data(ctx, o), b1));
        for (int k = 0; k < 5; k++)
            printf("  %-2s grad %7.4f  (%s)\n", mg_label(ctx, leaves[k]),
                   mg_grad(ctx, leaves[k]), R(mg_grad(ctx, leaves[k]), b1));
        int bad = from_exp ? wt_page("neuron", ctx, o, html_exp)
                           : wt_draw("neuron", ctx, o, graph) || wt_page("neuron", ctx, o, html) ||
                                 wt_formula("neuron", ctx, o, formula);
        if (bad) {
            mg_ctx_free(ctx);
            return 1;
        }
    }
    int status = mg_ctx_status(ctx) ? 1 : 0;
    if (status) app_error("%s", mg_ctx_errmsg(ctx));
    mg_ctx_free(ctx);
    return status;
}
