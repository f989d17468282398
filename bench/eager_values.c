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

/* A DAG of mixed ops over 64 leaves; each step reuses earlier values, as a network's
 * graph does. Returns the output; stops at about `target` values. */
static mg_value build(mg_ctx *ctx, size_t target, mg_value *leaves) {
    mg_rng rng;
    mg_rng_seed(&rng, 1);
    enum { NL = 64, WIN = 16 };
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

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    size_t nvalues = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
    int repeats = argc > 2 ? atoi(argv[2]) : 11;
    if (nvalues < 1000 || repeats < 1 || repeats > 1000) {
        fprintf(stderr, "usage: eager_values [NVALUES >= 1000] [REPEATS 1..1000]\n");
        return 2;
    }
    mg_value leaves[64];

    /* Check first: the same builder, small, against finite differences. */
    mg_ctx *check = mg_ctx_new();
    if (!check) return 1;
    mg_value out = build(check, 2000, leaves);
    mg_gradcheck_report rep;
    double err = mg_gradcheck(check, out, 1e-6, &rep);
    mg_ctx_free(check);
    if (!(err < 1e-6) || !(rep.max_abs_grad > 0)) {
        fprintf(stderr, "eager_values: gradient check failed (error %g)\n", err);
        return 1;
    }

    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_mark empty = mg_ctx_mark(ctx);
    double *times = malloc(sizeof *times * (size_t)repeats);
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
    double med = times[repeats / 2];
    printf("W4 eager: %zu values, build + backward\n", n);
    printf("  first run (arena growing): %.2f ns/value\n", cold / n * 1e9);
    printf("  warm runs (median of %d):  %.2f ns/value\n", repeats, med / n * 1e9);
    printf("  memory: %.1f bytes/value (context capacity %zu bytes)\n",
           (double)mg_ctx_bytes(ctx) / n, mg_ctx_bytes(ctx));
    free(times);
    mg_ctx_free(ctx);
    return 0;
}
