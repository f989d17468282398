/* bench_util.h - what the benchmark programs share: a clock, medians, raw float64 files for
 * the PyTorch side (so it runs on the same data and initial weights), result lines for
 * bench/run.sh, and the check of compiled gradients against eager ones. Header-only: each
 * bench/NAME.c is its own program (static inline: a program need not use them all). */
#ifndef MG_BENCH_UTIL_H
#define MG_BENCH_UTIL_H

#include <micrograd.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n values (sorts them). */
static inline double bench_median(double *x, size_t n) {
    qsort(x, n, sizeof *x, bench_cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* Prints "micrograd bench: message" on stderr and exits with 1. */
static inline void bench_fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bench: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static inline void *bench_alloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size);
    if (!p) bench_fail("out of memory");
    return p;
}

/* Writes n doubles (native little-endian float64) to dir/name; nothing when dir is NULL. */
static inline void bench_dump(const char *dir, const char *name, const double *x, size_t n) {
    if (!dir) return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(x, sizeof *x, n, f) != n || fclose(f) != 0) bench_fail("cannot write %s", path);
}

/* A model's parameters layer by layer as PyTorch holds them: W_l [out][in] and b_l [out],
 * to dir/w<l>.f64 and dir/b<l>.f64. */
static inline void bench_dump_mlp(const char *dir, mg_ctx *ctx, const mg_mlp *m) {
    if (!dir) return;
    const double *p = mg_data_ptr(ctx, m->first);
    size_t in = m->nin, off = 0;
    for (size_t l = 0; l < m->nlayers; l++) {
        size_t out = m->sizes[l];
        double *w = bench_alloc(out * in, sizeof *w), *b = bench_alloc(out, sizeof *b);
        for (size_t o = 0; o < out; o++) {
            memcpy(w + o * in, p + off, in * sizeof *w);
            b[o] = p[off + in];
            off += in + 1;
        }
        char name[32];
        snprintf(name, sizeof name, "w%zu.f64", l);
        bench_dump(dir, name, w, out * in);
        snprintf(name, sizeof name, "b%zu.f64", l);
        bench_dump(dir, name, b, out);
        free(w);
        free(b);
        in = out;
    }
}

/* FLOPs per sample of one training step of MLP(nin, sizes[0 .. nl-1]) as matrix products:
 * the forward pass, the weight gradients dW and the input gradients dX of every layer but
 * the first, 2 FLOPs (a multiply and an add) per weight each. Biases, activations and the
 * loss are left out, being small beside these. For the machine limits in run.sh's table. */
static inline double bench_mlp_step_flop(size_t nin, size_t nl, const size_t *sizes) {
    double fwd = 0, dx = 0;
    for (size_t l = 0, in = nin; l < nl; in = sizes[l], l++) {
        fwd += 2.0 * (double)in * (double)sizes[l];
        if (l > 0) dx += 2.0 * (double)in * (double)sizes[l];
    }
    return 2 * fwd + dx;
}

/* A result line for bench/run.sh: "RESULT key value". */
static inline void bench_result(const char *key, double value) { printf("RESULT %s %.9g\n", key, value); }
/* The same for workload w's key, with "f32_" after the workload for float32 runs:
 * bench_result_dt("W2", f32, "compiled_1t_ms", x) is W2_compiled_1t_ms or W2_f32_compiled_1t_ms. */
static inline void bench_result_dt(const char *w, int f32, const char *key, double value) {
    char k[96];
    snprintf(k, sizeof k, "%s_%s%s", w, f32 ? "f32_" : "", key);
    bench_result(k, value);
}

/* --dtype's value: 1 for f32, 0 for f64; exits on anything else. */
static inline int bench_dtype(const char *s) {
    if (!strcmp(s, "f64")) return 0;
    if (!strcmp(s, "f32")) return 1;
    bench_fail("--dtype must be f64 or f32, got '%s'", s);
    return 0;
}

/* The agreement a float32 replay must reach with float64's eager numbers in the benchmarks'
 * checks. Section 9 of micrograd.h holds a float32 gradient to 1e-5 of the largest one
 * (a few 1e-7 seen); bench_grad_diff's floor at 1e-3 of the largest makes that read up to
 * 1e3 times larger on small entries, so W2 and W3 show 3e-5 to 5e-5 here. */
#define BENCH_F32_TOL 1e-3

/* How far compiled gradients g are from eager ones e (n of them): the largest
 * |g - e| / max(|e|, 1e-3 * max|e|), i.e. relative, with a floor for entries that are
 * cancelling sums far below the gradient's scale. */
static inline double bench_grad_diff(const double *g, const double *e, size_t n) {
    double top = 0, worst = 0;
    for (size_t k = 0; k < n; k++) top = fmax(top, fabs(e[k]));
    for (size_t k = 0; k < n; k++) {
        double d = fabs(g[k] - e[k]) / fmax(fabs(e[k]), 1e-3 * top);
        if (!(d <= worst)) worst = isnan(d) ? INFINITY : d;
    }
    return worst;
}

#endif
