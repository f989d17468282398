/* peak.c - what the machine it runs on can do at most, for the limits in bench/run.sh's
 * table:
 * - FMA throughput, float64 and float32, on 1 thread, 2 threads and all of them: 12
 *   independent accumulator chains of fused multiply-adds (enough to cover a 4-5 cycle
 *   latency on 2 FMA ports), with zmm vectors where the CPU has AVX-512, ymm with AVX2+FMA
 *   (both measured when both exist; the faster counts), plain C otherwise. 2 FLOP per lane.
 * - The memory bandwidth the optimiser needs: AdamW's pattern (read p, g, m, v; write p, m,
 *   v: 56 bytes per float64 parameter) over W3's 235,146 parameters, 1 and 2 threads, the
 *   arrays warm as they are from one step to the next.
 * - A plain stream for W4's tape: an array of the tape's size written once, then read
 *   once, 1 thread (bytes written + bytes read over the time of both).
 * Every figure is the best of several short runs, so a busy machine lowers it less (it
 * still lowers it: run on a quiet machine). Prints RESULT lines for bench/run.sh.
 * Usage: peak [--quick] [--params N] [--tape-bytes N] */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define PEAK_X86 1
#endif

enum { CHAINS = 12 };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *alloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "peak: out of memory\n");
        exit(1);
    }
    return p;
}

static void result(const char *key, double value) { printf("RESULT %s %.9g\n", key, value); }

static int ncpus(void) {
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

/* ---- FMA chains ------------------------------------------------------------------------
 * Each kernel runs iters rounds of CHAINS independent acc = acc * a + b (one instruction
 * each) and returns a sum of the accumulators, so nothing is optimised away. With
 * a = 1 - 2^-20 and b = 2^-20 every accumulator stays near 1: no overflow, no subnormals. */
#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

typedef double (*fma_kernel)(long iters);
typedef struct vector_kind {
    const char *name;
    int bits;
    fma_kernel f64, f32;
} vector_kind;

#ifdef PEAK_X86
#define DECL(k) acc##k = ADD(init, SET1(k)), /* distinct starts: no two chains the same */
#define STEP(k) acc##k = FMADD(acc##k, a, b);
#define SUM(k) s = ADD(s, acc##k);

#define FMADD _mm512_fmadd_pd
#define ADD _mm512_add_pd
#define SET1(k) _mm512_set1_pd((k) * 0x1p-12)
__attribute__((target("avx512f"))) static double fma_f64_zmm(long iters) {
    __m512d a = _mm512_set1_pd(1.0 - 0x1p-20), b = _mm512_set1_pd(0x1p-20), init = _mm512_set1_pd(1.0);
    __m512d REP12(DECL) s = _mm512_setzero_pd();
    for (long i = 0; i < iters; i++) { REP12(STEP) }
    REP12(SUM)
    double out[8];
    _mm512_storeu_pd(out, s);
    return out[0];
}
#undef FMADD
#undef ADD
#undef SET1
#define FMADD _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define SET1(k) _mm512_set1_ps((k) * 0x1p-12f)
__attribute__((target("avx512f"))) static double fma_f32_zmm(long iters) {
    __m512 a = _mm512_set1_ps(1.0f - 0x1p-20f), b = _mm512_set1_ps(0x1p-20f), init = _mm512_set1_ps(1.0f);
    __m512 REP12(DECL) s = _mm512_setzero_ps();
    for (long i = 0; i < iters; i++) { REP12(STEP) }
    REP12(SUM)
    float out[16];
    _mm512_storeu_ps(out, s);
    return out[0];
}
#undef FMADD
#undef ADD
#undef SET1
#define FMADD _mm256_fmadd_pd
#define ADD _mm256_add_pd
#define SET1(k) _mm256_set1_pd((k) * 0x1p-12)
__attribute__((target("avx2,fma"))) static double fma_f64_ymm(long iters) {
    __m256d a = _mm256_set1_pd(1.0 - 0x1p-20), b = _mm256_set1_pd(0x1p-20), init = _mm256_set1_pd(1.0);
    __m256d REP12(DECL) s = _mm256_setzero_pd();
    for (long i = 0; i < iters; i++) { REP12(STEP) }
    REP12(SUM)
    double out[4];
    _mm256_storeu_pd(out, s);
    return out[0];
}
#undef FMADD
#undef ADD
#undef SET1
#define FMADD _mm256_fmadd_ps
#define ADD _mm256_add_ps
#define SET1(k) _mm256_set1_ps((k) * 0x1p-12f)
__attribute__((target("avx2,fma"))) static double fma_f32_ymm(long iters) {
    __m256 a = _mm256_set1_ps(1.0f - 0x1p-20f), b = _mm256_set1_ps(0x1p-20f), init = _mm256_set1_ps(1.0f);
    __m256 REP12(DECL) s = _mm256_setzero_ps();
    for (long i = 0; i < iters; i++) { REP12(STEP) }
    REP12(SUM)
    float out[8];
    _mm256_storeu_ps(out, s);
    return out[0];
}
#undef FMADD
#undef ADD
#undef SET1
#undef DECL
#undef STEP
#undef SUM
#endif

/* Without x86 vectors: scalar chains of fma() (one instruction where the target has FMA). */
static double fma_f64_scalar(long iters) {
    volatile double va = 1.0 - 0x1p-20, vb = 0x1p-20;
    double a = va, b = vb, acc[CHAINS], s = 0;
    for (int k = 0; k < CHAINS; k++) acc[k] = 1.0 + k * 0x1p-12;
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < CHAINS; k++) acc[k] = fma(acc[k], a, b);
    for (int k = 0; k < CHAINS; k++) s += acc[k];
    return s;
}
static double fma_f32_scalar(long iters) {
    volatile float va = 1.0f - 0x1p-20f, vb = 0x1p-20f;
    float a = va, b = vb, acc[CHAINS], s = 0;
    for (int k = 0; k < CHAINS; k++) acc[k] = 1.0f + (float)k * 0x1p-12f;
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < CHAINS; k++) acc[k] = fmaf(acc[k], a, b);
    for (int k = 0; k < CHAINS; k++) s += acc[k];
    return s;
}

static volatile double sink;

/* ---- one run of each measure ------------------------------------------------------------
 * Every run returns its seconds; main() takes the best of many, and runs the measures in
 * turn, round after round, so a burst of other work on the machine costs one run of each
 * rather than every run of one. */

/* `threads` threads each running kernel(iters) at once, timed from a barrier to a barrier
 * (the fork is not counted). */
static double run_fma(fma_kernel kernel, long iters, int threads) {
    double t0 = 0, t1 = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    {
#pragma omp barrier
#pragma omp master
        t0 = now();
        double s = kernel(iters);
#pragma omp barrier
#pragma omp master
        t1 = now();
#pragma omp critical
        sink += s;
    }
#else
    (void)threads;
    t0 = now();
    sink += kernel(iters);
    t1 = now();
#endif
    return t1 - t0;
}

/* One AdamW-shaped pass over [lo, hi): reads p, g, m, v, writes p, m, v. The arithmetic is
 * a few multiply-adds per parameter (vectorised, far below the FMA limit), so the pass
 * costs what moving the 56 bytes costs. */
static void adamw_pass(double *restrict p, const double *restrict g, double *restrict m, double *restrict v,
                       size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; i++) {
        double gi = g[i], mi = 0.9 * m[i] + 0.1 * gi, vi = 0.999 * v[i] + 0.001 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] - 1e-9 * mi * vi;
    }
}

typedef struct adamw_arrays {
    double *p, *g, *m, *v;
    size_t n;
} adamw_arrays;

/* `passes` AdamW passes over the n parameters on `threads` threads, each thread on its own
 * contiguous share (as the optimiser splits the span), a barrier between passes. */
static double run_adamw(const adamw_arrays *a, int threads, int passes) {
    double t0 = 0, t1 = 0;
    size_t n = a->n;
#ifdef _OPENMP
#pragma omp parallel num_threads(threads)
    {
        int nt = omp_get_num_threads(), id = omp_get_thread_num();
        size_t lo = n * (size_t)id / (size_t)nt, hi = n * (size_t)(id + 1) / (size_t)nt;
#pragma omp barrier
#pragma omp master
        t0 = now();
        for (int k = 0; k < passes; k++) {
            adamw_pass(a->p, a->g, a->m, a->v, lo, hi);
#pragma omp barrier
        }
#pragma omp master
        t1 = now();
    }
#else
    (void)threads;
    t0 = now();
    for (int k = 0; k < passes; k++) adamw_pass(a->p, a->g, a->m, a->v, 0, n);
    t1 = now();
#endif
    return t1 - t0;
}

/* W4: the eager builder appends the tape, backward reads it. `n` words written once, then
 * read once, 1 thread. */
static double run_tape(uint64_t *w, size_t n, uint64_t salt) {
    double t0 = now();
    for (size_t i = 0; i < n; i++) w[i] = i ^ salt;
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++) s += w[i];
    double t = now() - t0;
    sink += (double)s;
    return t;
}

int main(int argc, char **argv) {
    int quick = 0;
    size_t params = 235146, tape = 34600000; /* W3's parameters; W4's tape, 10^6 values of 34.6 bytes */
    static const struct option opts[] = {{"quick", no_argument, 0, 'q'},
                                         {"params", required_argument, 0, 'p'},
                                         {"tape-bytes", required_argument, 0, 't'},
                                         {0, 0, 0, 0}};
    for (int ch; (ch = getopt_long(argc, argv, "qp:t:", opts, NULL)) != -1;) {
        if (ch == 'q') quick = 1;
        else if (ch == 'p' && atol(optarg) >= 1024) params = (size_t)atol(optarg);
        else if (ch == 't' && atol(optarg) >= 1 << 20) tape = (size_t)atol(optarg);
        else {
            fprintf(stderr, "usage: peak [--quick] [--params N >= 1024] [--tape-bytes N >= 1048576]\n");
            return 2;
        }
    }
    int rounds = quick ? 8 : 25, all = ncpus();
    double target = quick ? 0.002 : 0.004; /* seconds per FMA or AdamW run */

    /* the vector kernels this CPU runs */
    vector_kind kinds[3];
    int nk = 0;
#ifdef PEAK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) kinds[nk++] = (vector_kind){"zmm", 512, fma_f64_zmm, fma_f32_zmm};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        kinds[nk++] = (vector_kind){"ymm", 256, fma_f64_ymm, fma_f32_ymm};
#endif
    if (nk == 0) kinds[nk++] = (vector_kind){"scalar", 64, fma_f64_scalar, fma_f32_scalar};

    /* the FMA measures: kind x dtype x thread count, each with iterations for `target` s */
    int counts[3] = {1, 2, all}, ncounts = all > 2 ? 3 : all;
    const char *cname[3] = {"1t", "2t", "all"};
    enum { MAXF = 3 * 2 * 3 };
    struct { int kind, f32, count, lanes; fma_kernel f; long iters; double best; } fm[MAXF];
    int nf = 0;
    for (int k = 0; k < nk; k++)
        for (int d = 0; d < 2; d++) {
            fma_kernel f = d ? kinds[k].f32 : kinds[k].f64;
            long iters = 1 << 12;
            while (run_fma(f, iters, 1) < target / 4 && iters < (1L << 40)) iters *= 2;
            iters *= 4;
            for (int c = 0; c < ncounts; c++)
                fm[nf].kind = k, fm[nf].f32 = d, fm[nf].count = c, fm[nf].lanes = kinds[k].bits / (d ? 32 : 64),
                fm[nf].f = f, fm[nf].iters = iters, fm[nf].best = INFINITY, nf++;
        }

    /* AdamW's pattern over the parameters, 1 and 2 threads; the tape stream */
    adamw_arrays aw = {alloc(params, 8), alloc(params, 8), alloc(params, 8), alloc(params, 8), params};
    for (size_t i = 0; i < params; i++)
        aw.p[i] = 1.0, aw.g[i] = 0.5 - (double)(i % 7) * 0.1, aw.m[i] = 0.1, aw.v[i] = 0.1;
    int passes = 1;
    while (run_adamw(&aw, 1, passes) < target && passes < (1 << 20)) passes *= 2;
    double awbest[2] = {INFINITY, INFINITY}, tbest = INFINITY;
    size_t tn = tape / sizeof(uint64_t);
    uint64_t *tw = alloc(tn, sizeof *tw);
    run_tape(tw, tn, 0); /* touches the pages */

    /* Each round: the 1-thread runs, then the 2-thread ones, then a pause long enough for
     * OpenMP's idle worker to stop spinning (libgomp spins some milliseconds before it
     * sleeps), so that no 1-thread run shares the machine with a spinning worker. */
    struct timespec pause = {0, 20 * 1000 * 1000};
    for (int r = 0; r < rounds; r++) {
        for (int one = 1; one >= 0; one--) {
            for (int i = 0; i < nf; i++) {
                if ((counts[fm[i].count] == 1) != one) continue;
                double t = run_fma(fm[i].f, fm[i].iters, counts[fm[i].count]);
                if (t < fm[i].best) fm[i].best = t;
            }
            if (one && (r % 3 == 0 || r == rounds - 1)) { /* the tape is big: fewer runs */
                double t = run_tape(tw, tn, (uint64_t)r + 1);
                if (t < tbest) tbest = t;
            }
            int t = one ? 1 : 2;
            double s = run_adamw(&aw, t > all ? all : t, passes);
            if (s < awbest[t - 1]) awbest[t - 1] = s;
        }
        nanosleep(&pause, NULL);
    }

    /* report: per kind, then the best kind per dtype and thread count */
    double best[2][3] = {{0}};
    int bits = 0;
    for (int i = 0; i < nf; i++) {
        int c = fm[i].count, n = counts[c];
        double g = 2.0 * CHAINS * fm[i].lanes * (double)fm[i].iters * n / fm[i].best * 1e-9;
        printf("peak: FMA %-6s %-7s %d thread%s: %7.1f GFLOP/s (%d chains)\n", kinds[fm[i].kind].name,
               fm[i].f32 ? "float32" : "float64", n, n > 1 ? "s" : " ", g, CHAINS);
        if (g > best[fm[i].f32][c]) {
            best[fm[i].f32][c] = g;
            if (!fm[i].f32 && c == 0) bits = kinds[fm[i].kind].bits;
        }
    }
    if (ncounts < 2) best[0][1] = best[0][0], best[1][1] = best[1][0]; /* one CPU: 2 threads do no more */
    for (int c = 0; c < (ncounts > 2 ? 3 : 2); c++) {
        char key[40];
        snprintf(key, sizeof key, "peak_f64_%s_gflops", cname[c]);
        result(key, best[0][c]);
        snprintf(key, sizeof key, "peak_f32_%s_gflops", cname[c]);
        result(key, best[1][c]);
    }
    result("peak_vector_bits", bits);
    result("peak_threads", all);
    for (int t = 1; t <= 2; t++) {
        double gbs = 56.0 * (double)params * passes / awbest[t - 1] * 1e-9;
        printf("peak: AdamW pattern over %zu float64 parameters (%.2f MB per array, 56 bytes each), "
               "%d thread%s: %.1f GB/s, %.1f us per step\n",
               params, 8.0 * (double)params / 1e6, t > all ? all : t, t > 1 ? "s" : "", gbs,
               56.0 * (double)params / gbs * 1e-3);
        char key[40];
        snprintf(key, sizeof key, "bw_adamw_%dt_gbs", t);
        result(key, gbs);
    }
    double tg = 2.0 * (double)tn * sizeof *tw / tbest * 1e-9;
    printf("peak: tape stream, %.1f MB written then read, 1 thread: %.1f GB/s\n", (double)tape / 1e6, tg);
    result("bw_tape_1t_gbs", tg);
    result("tape_bytes", (double)tape);
    printf("peak: best of %d runs each, the measures interleaved\n", rounds);
    free(aw.p);
    free(aw.g);
    free(aw.m);
    free(aw.v);
    free(tw);
    return 0;
}
