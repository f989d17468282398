/* test_compile_dtype.c - the compiled replay's float32 mode and its sums: float32 results
 * against float64 to the tolerance section 9 states, bit for bit the same for any thread
 * count within each mode, split replays (weight gradients summed after the lane blocks)
 * bit for bit the per-chunk buffers' results, two programs' threads replaying at once,
 * and the float32 vector tanh against libm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/compile_internal.h"
#include "micrograd.h"
#include "testutil.h"

/* The tolerances of float32 against float64, as section 9 states them: a sample's loss
 * within TOL_VALUE relative (of the batch's largest loss for losses near 0), an output
 * within TOL_VALUE of the batch's largest output, a parameter's gradient within TOL_GRAD
 * of the largest gradient. float32's rounding unit is 6e-8 and a layer's sum of n products
 * is typically off by sqrt(n) of them: these models (up to 784 inputs) see losses to
 * 2.2e-6, outputs to 7.4e-7, gradients to 4.7e-7 (printed as the test runs); the
 * tolerances leave a margin of 4 to 20 for other data. */
#define TOL_VALUE 1e-5
#define TOL_GRAD 1e-5

/* ==== models ============================================================================= */

/* A model's per-sample loss graph recorded: MLP(nin, sizes) with acts, then loss kind
 * (CE over k classes with one-hot slots, hinge + L2, or MSE). */
typedef struct model {
    mg_ctx *ctx;
    mg_mlp *m;
    mg_compiled *c;
    size_t nslots, k;
    mg_loss_kind kind;
} model;

static void model_make(model *md, uint64_t seed, size_t nin, size_t nl, const size_t *sizes,
                       const mg_act *acts, mg_loss_kind kind) {
    memset(md, 0, sizeof *md);
    md->ctx = mg_ctx_new();
    assert_non_null(md->ctx);
    mg_rng_seed(mg_ctx_rng(md->ctx), seed);
    mg_err err;
    md->m = mg_mlp_new(md->ctx, nin, nl, sizes, acts, MG_INIT_SCALED, NULL, &err);
    if (!md->m) fail_msg("%s", err.msg);
    md->kind = kind;
    md->k = kind == MG_LOSS_KIND_CE ? sizes[nl - 1] : 1;
    md->nslots = nin + md->k;
    mg_mark mark = mg_ctx_mark(md->ctx);
    mg_value x[800], t[16], z[16], loss;
    for (size_t i = 0; i < nin; i++) x[i] = mg_input(md->ctx, 0);
    if (!mg_mlp_forward(md->ctx, md->m, x, z)) fail_msg("out of memory");
    for (size_t j = 0; j < md->k; j++) x[nin + j] = t[j] = mg_input(md->ctx, 0);
    if (kind == MG_LOSS_KIND_CE) {
        loss = mg_loss_softmax_ce(md->ctx, md->k, z, t, 0); /* the reference form: exp, log, pow */
    } else if (kind == MG_LOSS_KIND_HINGE) {
        loss = mg_add(md->ctx, mg_loss_hinge(md->ctx, z[0], t[0]),
                      mg_loss_l2(md->ctx, md->m->nparams, md->m->params, 1e-4));
    } else {
        loss = mg_loss_mse(md->ctx, 1, z, t);
    }
    md->c = mg_compile(md->ctx, loss, md->nslots, x, md->k, z, &err);
    if (!md->c) fail_msg("%s", err.msg);
    mg_ctx_reset(md->ctx, mark);
}

static void model_free(model *md) {
    mg_compiled_free(md->c);
    mg_mlp_free(md->m);
    mg_ctx_free(md->ctx);
}

/* n rows of features in [-1, 1] and targets: one-hot, +-1, or a smooth function. */
static double *rows_for(const model *md, mg_rng *rng, size_t n) {
    double *sv = malloc(n * md->nslots * sizeof *sv);
    assert_non_null(sv);
    size_t nin = md->nslots - md->k;
    for (size_t s = 0; s < n; s++) {
        double *r = sv + s * md->nslots, sum = 0;
        for (size_t i = 0; i < nin; i++) sum += r[i] = mg_rng_uniform(rng, -1, 1);
        if (md->kind == MG_LOSS_KIND_CE) {
            uint32_t cls = mg_rng_below(rng, (uint32_t)md->k);
            for (size_t j = 0; j < md->k; j++) r[nin + j] = j == cls;
        }
        else if (md->kind == MG_LOSS_KIND_HINGE) r[nin] = sum > 0 ? 1.0 : -1.0;
        else r[nin] = sin(sum);
    }
    return sv;
}

/* One replay's numbers: losses, outputs, the parameters' gradients. */
typedef struct result {
    double *loss, *out, *grad;
} result;

static result replay(model *md, size_t n, const double *sv) {
    result r = {calloc(n, sizeof(double)), calloc(n * md->k, sizeof(double)),
                calloc(md->m->nparams, sizeof(double))};
    assert_non_null(r.loss);
    assert_non_null(r.out);
    assert_non_null(r.grad);
    mg_mlp_zero_grad(md->ctx, md->m);
    mg_err err;
    if (mg_compiled_forward_backward(md->c, n, sv, 1.0 / (double)n, r.loss, r.out, &err))
        fail_msg("%s", err.msg);
    memcpy(r.grad, mg_grad_ptr(md->ctx, md->m->first), md->m->nparams * sizeof *r.grad);
    return r;
}

static void result_free(result *r) {
    free(r->loss);
    free(r->out);
    free(r->grad);
}

static void assert_same(const result *a, const result *b, const model *md, size_t n, const char *what) {
    if (memcmp(a->loss, b->loss, n * sizeof *a->loss) || memcmp(a->out, b->out, n * md->k * sizeof *a->out) ||
        memcmp(a->grad, b->grad, md->m->nparams * sizeof *a->grad))
        fail_msg("%s: not bit for bit the same (batch %zu)", what, n);
}

static double max_abs(const double *x, size_t n) {
    double m = 0;
    for (size_t k = 0; k < n; k++) m = fmax(m, fabs(x[k]));
    return m;
}

/* The worst error of got against want relative to max(|want|, floor * largest). */
static double worst_rel(const double *got, const double *want, size_t n, double floor) {
    double top = max_abs(want, n), w = 0;
    for (size_t k = 0; k < n; k++) {
        double d = fabs(got[k] - want[k]) / fmax(fabs(want[k]), floor * top);
        if (!(d <= w)) w = isnan(d) ? INFINITY : d;
    }
    return w;
}

/* The models of the tests: the demos' and benchmarks' shapes, every activation. */
typedef struct shape {
    size_t nin, nl, sizes[3];
    mg_act acts[3];
    mg_loss_kind kind;
} shape;
static const shape shapes[] = {
    {2, 3, {16, 16, 1}, {MG_ACT_RELU, MG_ACT_RELU, MG_ACT_LINEAR}, MG_LOSS_KIND_HINGE},  /* W1 */
    {2, 2, {8, 3}, {MG_ACT_TANH, MG_ACT_LINEAR}, MG_LOSS_KIND_CE},                       /* yin-yang */
    {64, 3, {64, 64, 10}, {MG_ACT_RELU, MG_ACT_RELU, MG_ACT_LINEAR}, MG_LOSS_KIND_CE},   /* W2 */
    {100, 3, {96, 40, 10}, {MG_ACT_SIGMOID, MG_ACT_TANH, MG_ACT_LINEAR}, MG_LOSS_KIND_CE},
    {7, 2, {20, 1}, {MG_ACT_TANH, MG_ACT_LINEAR}, MG_LOSS_KIND_MSE},
    {784, 2, {64, 10}, {MG_ACT_RELU, MG_ACT_LINEAR}, MG_LOSS_KIND_CE}, /* W3's first layer */
};
#define NSHAPES (sizeof shapes / sizeof *shapes)
static const size_t batches[] = {1, 33, 64, 100, 257};
#define NBATCHES (sizeof batches / sizeof *batches)

/* ==== float32 against float64 ============================================================ */

static void test_f32_against_f64(void **state) {
    (void)state;
    static const mg_kernels kinds[] = {MG_KERNELS_PORTABLE, MG_KERNELS_AVX2, MG_KERNELS_AVX512};
    double wl = 0, wo = 0, wg = 0;
    for (size_t si = 0; si < NSHAPES; si++) {
        const shape *sh = &shapes[si];
        model md;
        model_make(&md, 100 + si, sh->nin, sh->nl, sh->sizes, sh->acts, sh->kind);
        mg_rng rng;
        mg_rng_seed(&rng, 3);
        for (size_t b = 0; b < NBATCHES; b++) {
            size_t n = batches[b];
            double *sv = rows_for(&md, &rng, n);
            for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
                if (mg_compiled_set_kernels(md.c, kinds[k], NULL)) continue;
                assert_int_equal(mg_compiled_set_dtype(md.c, MG_DTYPE_F64, NULL), MG_STATUS_OK);
                result r64 = replay(&md, n, sv);
                assert_int_equal(mg_compiled_set_dtype(md.c, MG_DTYPE_F32, NULL), MG_STATUS_OK);
                mg_compiled_info info;
                mg_compiled_info_get(md.c, &info);
                assert_int_equal(info.dtype, MG_DTYPE_F32);
                result r32 = replay(&md, n, sv);
                double el = worst_rel(r32.loss, r64.loss, n, 1e-3);
                double eo = worst_rel(r32.out, r64.out, n * md.k, 1.0);
                double eg = worst_rel(r32.grad, r64.grad, md.m->nparams, 1.0);
                if (!(el <= TOL_VALUE && eo <= TOL_VALUE && eg <= TOL_GRAD))
                    fail_msg("model %zu, batch %zu, %s kernels: float32 against float64: losses %g, "
                             "outputs %g, gradients %g", si, n, info.kernels, el, eo, eg);
                wl = fmax(wl, el), wo = fmax(wo, eo), wg = fmax(wg, eg);
                result_free(&r64);
                result_free(&r32);
            }
            free(sv);
        }
        model_free(&md);
    }
    print_message("float32 against float64, worst: losses %.2g, outputs %.2g (of %g), "
                  "gradients %.2g of the largest (of %g)\n", wl, wo, TOL_VALUE, wg, TOL_GRAD);
}

/* ==== the same bits ======================================================================= */

/* Each mode gives the same bits for 1, 2 and 3 threads; the split replay the same bits as
 * the per-chunk buffers (forced by clearing split_ok). */
static void test_threads_and_split_bit_identical(void **state) {
    (void)state;
    size_t splits = 0;
    for (size_t si = 0; si < NSHAPES; si++) {
        const shape *sh = &shapes[si];
        model md;
        model_make(&md, 200 + si, sh->nin, sh->nl, sh->sizes, sh->acts, sh->kind);
        mg_rng rng;
        mg_rng_seed(&rng, 4);
        int can_split = md.c->split_ok;
        for (int f32 = 0; f32 <= 1; f32++) {
            assert_int_equal(mg_compiled_set_dtype(md.c, f32 ? MG_DTYPE_F32 : MG_DTYPE_F64, NULL), MG_STATUS_OK);
            for (size_t b = 0; b < NBATCHES; b++) {
                size_t n = batches[b];
                double *sv = rows_for(&md, &rng, n);
                md.c->split_ok = can_split;
                mg_compiled_set_threads(md.c, 1);
                result one = replay(&md, n, sv);
                for (int t = 2; t <= 3; t++) {
                    mg_compiled_set_threads(md.c, t);
                    result r = replay(&md, n, sv);
                    assert_same(&one, &r, &md, n, f32 ? "float32, threads" : "float64, threads");
                    result_free(&r);
                }
                md.c->split_ok = 0;
                for (int t = 1; t <= 2; t++) {
                    mg_compiled_set_threads(md.c, t);
                    result r = replay(&md, n, sv);
                    assert_same(&one, &r, &md, n, f32 ? "float32, split or not" : "float64, split or not");
                    result_free(&r);
                }
                splits += (size_t)can_split;
                result_free(&one);
                free(sv);
            }
        }
        md.c->split_ok = can_split;
        model_free(&md);
    }
    assert_true(splits > 0);
}

/* ==== two programs' threads at once ====================================================== */

typedef struct job {
    model md;
    double *sv;
    size_t n;
    result r;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    for (int k = 0; k < 20; k++) {
        if (k) result_free(&j->r);
        j->r = replay(&j->md, j->n, j->sv);
    }
    return NULL;
}

/* Two threads of the program replay their own tapes with 2 threads each at once: the
 * library's workers serve one replay at a time and the other runs on its own thread;
 * either way the numbers are those of a replay alone. */
static void test_concurrent_replays(void **state) {
    (void)state;
    const shape *sh = &shapes[2];
    job jobs[2];
    result alone[2];
    mg_rng rng;
    mg_rng_seed(&rng, 9);
    for (int i = 0; i < 2; i++) {
        model_make(&jobs[i].md, 300 + (uint64_t)i, sh->nin, sh->nl, sh->sizes, sh->acts, sh->kind);
        jobs[i].n = 200 + 57 * (size_t)i;
        jobs[i].sv = rows_for(&jobs[i].md, &rng, jobs[i].n);
        mg_compiled_set_threads(jobs[i].md.c, 2);
        alone[i] = replay(&jobs[i].md, jobs[i].n, jobs[i].sv);
    }
    pthread_t th[2];
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&th[i], NULL, run_job, &jobs[i]), 0);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_same(&alone[i], &jobs[i].r, &jobs[i].md, jobs[i].n, "concurrent replays");
        result_free(&alone[i]);
        result_free(&jobs[i].r);
        free(jobs[i].sv);
        model_free(&jobs[i].md);
    }
}

/* ==== the float32 vector tanh ============================================================= */

/* Within 2 float ulps of tanh computed in double and rounded, for every kernel set. */
static void test_vector_tanh_f32(void **state) {
    (void)state;
    static const mg_kernels kinds[] = {MG_KERNELS_AVX2, MG_KERNELS_AVX512};
    enum { N = 4096 };
    static float in[N], out[N];
    mg_rng rng;
    mg_rng_seed(&rng, 12);
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        const mg__kernels *kern = mg__kernels_get(kinds[k]);
        if (!kern) continue;
        for (int i = 0; i < N; i++) {
            double span = i < N / 2 ? 1.0 : 30.0;
            in[i] = (float)mg_rng_uniform(&rng, -span, span);
        }
        in[0] = 0.0f, in[1] = -0.0f, in[2] = 1e-30f, in[3] = 20.0f, in[4] = -90.0f, in[5] = 1e-5f;
        kern->f.tanh(N, out, in);
        double worst = 0;
        for (int i = 0; i < N; i++) {
            float want = (float)tanh((double)in[i]);
            double ulp = fmax(nextafterf(fabsf(want), INFINITY) - fabsf(want), 1e-45);
            double e = fabs((double)out[i] - (double)want) / ulp;
            if (!(e <= 2.0)) fail_msg("%s: tanhf(%.9g) = %.9g, expected %.9g", kern->name, in[i], out[i], want);
            worst = fmax(worst, e);
        }
        assert_true(signbit(out[1]) && out[0] == 0.0f);
        print_message("%s float32 tanh: worst %.2g ulp\n", kern->name, worst);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_against_f64),
        cmocka_unit_test(test_threads_and_split_bit_identical),
        cmocka_unit_test(test_concurrent_replays),
        cmocka_unit_test(test_vector_tanh_f32),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
