/* eager_values.c - W4: build and backpropagate a graph of about 10^6 values with the
 * eager engine; prints nanoseconds and bytes per value. The builder is first checked
 * against finite differences on a small graph. Usage: eager_values [NVALUES] [REPEATS] */
#include <micrograd.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Two graph shapes, both stopping at about `target` values:
 * - "mlp": what micrograd builds for a network: per neuron a chain of multiplies and adds
 *   over the previous layer's outputs (w*x + ...), then tanh; 16-wide layers.
 * - "mixed": a DAG where every other value is a transcendental op (tanh, sigmoid, exp),
 *   a worst case for the arithmetic per value. */
enum { NL = 64, WIN = 16 };

static mg_value build_mlp(mg_ctx *ctx, size_t target, mg_value *leaves) {
    mg_rng rng;
    mg_rng_seed(&rng, 1);
    for (int i = 0; i < NL; i++) leaves[i] = mg_param(ctx, mg_rng_uniform(&rng, -1, 1) * 0.25);
    mg_value prev[WIN], next[WIN];
    for (int i = 0; i < WIN; i++) prev[i] = leaves[i];
    size_t k = 0;
    while (mg_ctx_size(ctx) + 4 * WIN * WIN < target) {
        for (int j = 0; j < WIN; j++) {
            mg_value act = leaves[(k + (size_t)j) % NL]; /* the bias */
            for (int i = 0; i < WIN; i++)
                act = mg_add(ctx, act, mg_mul(ctx, leaves[(k + (size_t)i * 3 + (size_t)j) % NL], prev[i]));
            next[j] = mg_tanh(ctx, act);
        }
        for (int j = 0; j < WIN; j++) prev[j] = next[j];
        k++;
    }
    return mg_sum(ctx, WIN, prev);
}

static mg_value build_mixed(mg_ctx *ctx, size_t target, mg_value *leaves) {
    mg_rng rng;
    mg_rng_seed(&rng, 1);
    for (int i = 0; i < NL; i++) leaves[i] = mg_param(ctx, mg_rng_uniform(&rng, -1, 1));
    mg_value recent[WIN];
    for (int i = 0; i < WIN; i++) recent[i] = leaves[i];
    size_t k = 0;
    while (mg_ctx_size(ctx) + 4 < target) {
        mg_value a = recent[k % WIN], b = recent[(k * 7 + 3) % WIN], c = leaves[k % NL];
        mg_value v;
        switch (k % 4) {
        case 0: v = mg_tanh(ctx, mg_add(ctx, mg_mul(ctx, a, c), b)); break;
        case 1: v = mg_relu(ctx, mg_sub(ctx, a, mg_mul(ctx, b, c))); break;
        case 2: v = mg_sigmoid(ctx, mg_add(ctx, a, b)); break;
        default: v = mg_mul(ctx, mg_tanh(ctx, a), c); break;
        }
        recent[k % WIN] = v;
        k++;
    }
    return mg_sum(ctx, WIN, recent);
}

typedef mg_value (*builder)(mg_ctx *, size_t, mg_value *);

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Times build + backward of one shape; returns 0 on success. */
static int run(const char *name, builder build, size_t nvalues, int repeats) {
    mg_value leaves[NL];

    /* Check first: the same builder, small, against finite differences. */
    mg_ctx *check = mg_ctx_new();
    if (!check) return 1;
    mg_value out = build(check, 3000, leaves);
    mg_gradcheck_report rep;
    double err = mg_gradcheck(check, out, 1e-6, &rep);
    mg_ctx_free(check);
    if (!(err < 1e-6) || !(rep.max_abs_grad > 0)) {
        fprintf(stderr, "eager_values: %s: gradient check failed (error %g)\n", name, err);
        return 1;
    }

    mg_ctx *ctx = mg_ctx_new();
    double *times = malloc(sizeof *times * (size_t)repeats);
    if (!ctx || !times) return 1;
    mg_mark empty = mg_ctx_mark(ctx);
    double cold = 0;
    size_t n = 0;
    for (int r = 0; r <= repeats; r++) {
        mg_ctx_reset(ctx, empty);
        double t0 = now();
        out = build(ctx, nvalues, leaves);
        mg_backward(ctx, out);
        double t = now() - t0;
        if (mg_ctx_status(ctx) || !isfinite(mg_grad(ctx, leaves[0]))) {
            fprintf(stderr, "eager_values: %s\n", mg_ctx_status(ctx) ? mg_ctx_errmsg(ctx) : "non-finite gradient");
            return 1;
        }
        n = mg_ctx_size(ctx);
        if (r == 0) cold = t; /* includes growing the arena */
        else times[r - 1] = t;
    }
    qsort(times, (size_t)repeats, sizeof *times, cmp_double);
    printf("W4 eager %-6s %8zu values: %6.2f ns/value warm (median of %d), %6.2f first run; "
           "%.1f bytes/value\n", name, n, times[repeats / 2] / n * 1e9, repeats, cold / n * 1e9,
           (double)mg_ctx_bytes(ctx) / n);
    free(times);
    mg_ctx_free(ctx);
    return 0;
}

int main(int argc, char **argv) {
    size_t nvalues = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int repeats = argc > 2 ? atoi(argv[2]) : 11;
    if (nvalues < 5000 || repeats < 1 || repeats > 1000) {
        fprintf(stderr, "usage: eager_values [NVALUES >= 5000] [REPEATS 1..1000]\n");
        return 2;
    }
    if (run("mlp", build_mlp, nvalues, repeats)) return 1;
    if (run("mixed", build_mixed, nvalues, repeats)) return 1;
    return 0;
}
