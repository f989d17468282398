/* test_kernels512.c - the AVX-512 kernels' code on a CPU without AVX-512. kernels_tpl.h is
 * built here a third time with AVX-512's shapes - 8 doubles or 16 floats a vector, the 6 x 4
 * register tile - but each vector made of two AVX2 halves, so the very loops, tiles, edges
 * and sums in the order AVX-512 runs them execute and give AVX-512's bits (the same fused
 * multiply-adds element by element). Whole replays with these kernels are held to the
 * portable kernels' numbers (the eager engine's digits) and AVX2's, and to the same bits
 * for any thread count, split or not, in float64 and float32. Skipped without AVX2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/compile_internal.h"
#include "fast/ops32.h"
#include "micrograd.h"
#include "testutil.h"

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_EMULATION 1
#define T2 __attribute__((target("avx2,fma"), always_inline)) static inline

/* ---- 8 doubles as two AVX2 vectors ---- */
typedef struct v8d {
    __m256d lo, hi;
} v8d;
#define V8D2(f, a, b) ((v8d){f((a).lo, (b).lo), f((a).hi, (b).hi)})
T2 v8d v8d_load(const double *p) { return (v8d){_mm256_loadu_pd(p), _mm256_loadu_pd(p + 4)}; }
T2 void v8d_store(double *p, v8d a) { _mm256_storeu_pd(p, a.lo), _mm256_storeu_pd(p + 4, a.hi); }
T2 v8d v8d_set1(double x) { return (v8d){_mm256_set1_pd(x), _mm256_set1_pd(x)}; }
T2 v8d v8d_add(v8d a, v8d b) { return V8D2(_mm256_add_pd, a, b); }
T2 v8d v8d_sub(v8d a, v8d b) { return V8D2(_mm256_sub_pd, a, b); }
T2 v8d v8d_mul(v8d a, v8d b) { return V8D2(_mm256_mul_pd, a, b); }
T2 v8d v8d_div(v8d a, v8d b) { return V8D2(_mm256_div_pd, a, b); }
T2 v8d v8d_min(v8d a, v8d b) { return V8D2(_mm256_min_pd, a, b); }
T2 v8d v8d_fma(v8d a, v8d b, v8d c) {
    return (v8d){_mm256_fmadd_pd(a.lo, b.lo, c.lo), _mm256_fmadd_pd(a.hi, b.hi, c.hi)};
}
T2 v8d v8d_abs(v8d a) { return V8D2(_mm256_andnot_pd, v8d_set1(-0.0), a); }
T2 v8d v8d_copysign(v8d m, v8d s) { return V8D2(_mm256_or_pd, m, V8D2(_mm256_and_pd, s, v8d_set1(-0.0))); }
T2 __m256d r4d(__m256d x) { return _mm256_round_pd(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
T2 v8d v8d_round(v8d a) { return (v8d){r4d(a.lo), r4d(a.hi)}; }
T2 __m256d p2d(__m256d k) {
    return _mm256_castsi256_pd(_mm256_slli_epi64(
        _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(k)), _mm256_set1_epi64x(1023)), 52));
}
T2 v8d v8d_pow2(v8d k) { return (v8d){p2d(k.lo), p2d(k.hi)}; }

#define MGK_FN(name) name##_e8
#define MGK_TARGET __attribute__((target("avx2,fma")))
#define MGK_T double
#define MGK_OP(name) mg__##name
#define MGK_VL 8
#define MGK_MR 6
#define MGK_NV 4
#define MGK_LN2HI 6.93147180369123816490e-01
#define MGK_LN2LO 1.90821492927058770002e-10
#define MGK_V v8d
#define MGK_LOAD v8d_load
#define MGK_STORE v8d_store
#define MGK_SET1 v8d_set1
#define MGK_ADD v8d_add
#define MGK_SUB v8d_sub
#define MGK_MUL v8d_mul
#define MGK_DIV v8d_div
#define MGK_FMA v8d_fma
#define MGK_MIN v8d_min
#define MGK_ABS v8d_abs
#define MGK_COPYSIGN v8d_copysign
#define MGK_ROUND v8d_round
#define MGK_POW2 v8d_pow2
#include "fast/kernels_tpl.h"

/* ---- 16 floats as two AVX2 vectors ---- */
typedef struct v16f {
    __m256 lo, hi;
} v16f;
#define V16F2(f, a, b) ((v16f){f((a).lo, (b).lo), f((a).hi, (b).hi)})
T2 v16f v16f_load(const float *p) { return (v16f){_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
T2 void v16f_store(float *p, v16f a) { _mm256_storeu_ps(p, a.lo), _mm256_storeu_ps(p + 8, a.hi); }
T2 v16f v16f_set1(float x) { return (v16f){_mm256_set1_ps(x), _mm256_set1_ps(x)}; }
T2 v16f v16f_add(v16f a, v16f b) { return V16F2(_mm256_add_ps, a, b); }
T2 v16f v16f_sub(v16f a, v16f b) { return V16F2(_mm256_sub_ps, a, b); }
T2 v16f v16f_mul(v16f a, v16f b) { return V16F2(_mm256_mul_ps, a, b); }
T2 v16f v16f_div(v16f a, v16f b) { return V16F2(_mm256_div_ps, a, b); }
T2 v16f v16f_min(v16f a, v16f b) { return V16F2(_mm256_min_ps, a, b); }
T2 v16f v16f_fma(v16f a, v16f b, v16f c) {
    return (v16f){_mm256_fmadd_ps(a.lo, b.lo, c.lo), _mm256_fmadd_ps(a.hi, b.hi, c.hi)};
}
T2 v16f v16f_abs(v16f a) { return V16F2(_mm256_andnot_ps, v16f_set1(-0.0f), a); }
T2 v16f v16f_copysign(v16f m, v16f s) { return V16F2(_mm256_or_ps, m, V16F2(_mm256_and_ps, s, v16f_set1(-0.0f))); }
T2 __m256 r8f(__m256 x) { return _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
T2 v16f v16f_round(v16f a) { return (v16f){r8f(a.lo), r8f(a.hi)}; }
T2 __m256 p2f(__m256 k) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23));
}
T2 v16f v16f_pow2(v16f k) { return (v16f){p2f(k.lo), p2f(k.hi)}; }

#define MGK_FN(name) name##_e16
#define MGK_TARGET __attribute__((target("avx2,fma")))
#define MGK_T float
#define MGK_OP(name) mgf__##name
#define MGK_VL 16
#define MGK_MR 6
#define MGK_NV 4
#define MGK_LN2HI 0.693359375f
#define MGK_LN2LO (-2.12194440e-4f)
#define MGK_V v16f
#define MGK_LOAD v16f_load
#define MGK_STORE v16f_store
#define MGK_SET1 v16f_set1
#define MGK_ADD v16f_add
#define MGK_SUB v16f_sub
#define MGK_MUL v16f_mul
#define MGK_DIV v16f_div
#define MGK_FMA v16f_fma
#define MGK_MIN v16f_min
#define MGK_ABS v16f_abs
#define MGK_COPYSIGN v16f_copysign
#define MGK_ROUND v16f_round
#define MGK_POW2 v16f_pow2
#include "fast/kernels_tpl.h"

/* The emulated set: AVX-512's arithmetic; the transposes (which only move numbers) are
 * AVX2's. */
static mg__kernels emulated;
static int make_emulated(void) {
    const mg__kernels *avx2 = mg__kernels_get(MG_KERNELS_AVX2);
    if (!avx2) return 0;
    emulated = (mg__kernels){"avx512 (emulated)", gemm_rows_e8, gemm_dw_e8, tanh_e8, ins_forward_e8,
                             ins_backward_e8, lanesum_e8, avx2->transpose,
                             {gemm_rows_e16, gemm_dw_e16, tanh_e16, ins_forward_e16, ins_backward_e16,
                              lanesum_e16, avx2->f.transpose, avx2->f.load}};
    return 1;
}
#endif

/* ==== models (the shapes of test_compile_dtype.c, every tile edge) ======================== */

typedef struct model {
    mg_ctx *ctx;
    mg_mlp *m;
    mg_compiled *c;
    size_t nslots, k;
} model;

static void model_make(model *md, uint64_t seed, size_t nin, size_t nl, const size_t *sizes,
                       const mg_act *acts) {
    memset(md, 0, sizeof *md);
    md->ctx = mg_ctx_new();
    assert_non_null(md->ctx);
    mg_rng_seed(mg_ctx_rng(md->ctx), seed);
    mg_err err;
    md->m = mg_mlp_new(md->ctx, nin, nl, sizes, acts, MG_INIT_SCALED, NULL, &err);
    if (!md->m) fail_msg("%s", err.msg);
    md->k = sizes[nl - 1];
    md->nslots = nin + md->k;
    mg_mark mark = mg_ctx_mark(md->ctx);
    mg_value x[300], t[16], z[16];
    for (size_t i = 0; i < nin; i++) x[i] = mg_input(md->ctx, 0);
    if (!mg_mlp_forward(md->ctx, md->m, x, z)) fail_msg("out of memory");
    for (size_t j = 0; j < md->k; j++) x[nin + j] = t[j] = mg_input(md->ctx, 0);
    mg_value loss = mg_add(md->ctx, mg_loss_softmax_ce(md->ctx, md->k, z, t, 0),
                           mg_loss_l2(md->ctx, md->m->nparams, md->m->params, 1e-3));
    md->c = mg_compile(md->ctx, loss, md->nslots, x, md->k, z, &err);
    if (!md->c) fail_msg("%s", err.msg);
    mg_ctx_reset(md->ctx, mark);
}

static double *rows_for(const model *md, mg_rng *rng, size_t n) {
    double *sv = malloc(n * md->nslots * sizeof *sv);
    assert_non_null(sv);
    size_t nin = md->nslots - md->k;
    for (size_t s = 0; s < n; s++) {
        double *r = sv + s * md->nslots;
        for (size_t i = 0; i < nin; i++) r[i] = mg_rng_uniform(rng, -1.5, 1.5);
        uint32_t cls = mg_rng_below(rng, (uint32_t)md->k);
        for (size_t j = 0; j < md->k; j++) r[nin + j] = j == cls;
    }
    return sv;
}

/* losses, outputs and gradients of one replay, one after the other in r */
static void replay(model *md, size_t n, const double *sv, double *r) {
    mg_mlp_zero_grad(md->ctx, md->m);
    mg_err err;
    if (mg_compiled_forward_backward(md->c, n, sv, 1.0 / (double)n, r, r + n, &err)) fail_msg("%s", err.msg);
    memcpy(r + n + n * md->k, mg_grad_ptr(md->ctx, md->m->first), md->m->nparams * sizeof *r);
}

static void test_emulated_avx512(void **state) {
    (void)state;
#ifdef HAVE_EMULATION
    if (!make_emulated()) {
        print_message("skipped: no AVX2 on this CPU\n");
        skip();
    }
    static const struct {
        size_t nin, nl, sizes[3];
        mg_act acts[3];
    } shapes[] = {
        {2, 3, {16, 16, 1}, {MG_ACT_RELU, MG_ACT_RELU, MG_ACT_LINEAR}},
        {2, 2, {8, 3}, {MG_ACT_TANH, MG_ACT_LINEAR}},
        {29, 3, {23, 13, 5}, {MG_ACT_SIGMOID, MG_ACT_TANH, MG_ACT_LINEAR}}, /* every edge */
        {64, 3, {64, 64, 10}, {MG_ACT_RELU, MG_ACT_RELU, MG_ACT_LINEAR}},
        {270, 2, {41, 10}, {MG_ACT_TANH, MG_ACT_LINEAR}},
    };
    static const size_t batches[] = {1, 9, 33, 64, 100, 257};
    double worst[2] = {0, 0};
    for (size_t si = 0; si < sizeof shapes / sizeof *shapes; si++) {
        model md;
        model_make(&md, 40 + si, shapes[si].nin, shapes[si].nl, shapes[si].sizes, shapes[si].acts);
        size_t nres_max = 257 * (1 + md.k) + md.m->nparams;
        double *ref = malloc(nres_max * sizeof *ref), *got = malloc(nres_max * sizeof *got);
        double *one = malloc(nres_max * sizeof *one);
        mg_rng rng;
        mg_rng_seed(&rng, 8);
        for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
            size_t n = batches[b], nres = n * (1 + md.k) + md.m->nparams;
            double *sv = rows_for(&md, &rng, n);
            for (int f32 = 0; f32 <= 1; f32++) {
                /* the reference: portable kernels in float64 (the eager engine's digits), AVX2
                 * in float32 */
                mg_compiled_set_threads(md.c, 1);
                assert_int_equal(mg_compiled_set_dtype(md.c, f32 ? MG_DTYPE_F32 : MG_DTYPE_F64, NULL), 0);
                assert_int_equal(mg_compiled_set_kernels(md.c, f32 ? MG_KERNELS_AVX2 : MG_KERNELS_PORTABLE, NULL), 0);
                replay(&md, n, sv, ref);
                md.c->kern = &emulated;
                replay(&md, n, sv, one);
                double top = 0, w = 0;
                for (size_t k = 0; k < nres; k++) top = fmax(top, fabs(ref[k]));
                for (size_t k = 0; k < nres; k++) w = fmax(w, fabs(one[k] - ref[k]) / fmax(fabs(ref[k]), 1e-3 * top));
                if (!(w <= (f32 ? 1e-4 : 1e-12)))
                    fail_msg("model %zu, batch %zu, %s: emulated AVX-512 against the reference: %g", si, n,
                             f32 ? "float32" : "float64", w);
                worst[f32] = fmax(worst[f32], w);
                int can_split = md.c->split_ok;
                for (int t = 1; t <= 3; t++)
                    for (int sp = 0; sp <= can_split; sp++) {
                        md.c->split_ok = sp;
                        mg_compiled_set_threads(md.c, t);
                        replay(&md, n, sv, got);
                        if (memcmp(got, one, nres * sizeof *got))
                            fail_msg("model %zu, batch %zu, %s: %d threads, split %d: other bits", si, n,
                                     f32 ? "float32" : "float64", t, sp);
                    }
                md.c->split_ok = can_split;
            }
            free(sv);
        }
        free(ref);
        free(got);
        free(one);
        mg_compiled_free(md.c);
        mg_mlp_free(md.m);
        mg_ctx_free(md.ctx);
    }
    print_message("emulated AVX-512 against the portable kernels (float64): %.2g, against AVX2 (float32): "
                  "%.2g; the same bits for 1 to 3 threads, split or not\n", worst[0], worst[1]);
#else
    print_message("skipped: not an x86 build\n");
    skip();
#endif
}

/* The float64 vector tanh of the emulated set, against libm's, as test_compile.c holds
 * AVX2's. */
static void test_emulated_tanh(void **state) {
    (void)state;
#ifdef HAVE_EMULATION
    if (!make_emulated()) skip();
    enum { N = 4096 };
    static double in[N], out[N];
    mg_rng rng;
    mg_rng_seed(&rng, 2);
    for (int i = 0; i < N; i++) in[i] = mg_rng_uniform(&rng, i < N / 2 ? -1.0 : -30.0, i < N / 2 ? 1.0 : 30.0);
    emulated.tanh(N, out, in);
    for (int i = 0; i < N; i++) {
        double want = tanh(in[i]);
        if (!(fabs(out[i] - want) <= 4 * fabs(nextafter(want, INFINITY) - want) + 1e-300))
            fail_msg("tanh(%.17g) = %.17g, libm %.17g", in[i], out[i], want);
    }
#else
    skip();
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emulated_avx512),
        cmocka_unit_test(test_emulated_tanh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
