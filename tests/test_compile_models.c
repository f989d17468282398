/* test_compile_models.c - every demo's model, built as training builds it (mg_mlp_new and
 * mg_sample_loss, the per-sample graph the training loop records), compiled and replayed
 * over batches of 1, 3, 64 and 100 samples: the same losses, outputs and parameter
 * gradients as the eager graph of each sample, with every kernel set this CPU has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"

/* A demo's model, loss and data. */
typedef struct demo {
    const char *name;
    size_t nin, nlayers, sizes[3];
    const mg_act *acts; /* NULL: ReLU hidden layers, linear output */
    mg_init init;
    mg_loss_kind loss;
    int subtract_max;
    double l2;
    int data; /* see make_data */
} demo;

static const mg_act linear1[] = {MG_ACT_LINEAR};
static const mg_act relu_linear[] = {MG_ACT_RELU, MG_ACT_LINEAR};
static const mg_act tanh3[] = {MG_ACT_TANH, MG_ACT_TANH, MG_ACT_TANH};
static const mg_act tanh_linear[] = {MG_ACT_TANH, MG_ACT_LINEAR};

static const demo demos[] = {
    {"moons", 2, 3, {16, 16, 1}, NULL, MG_INIT_UNIFORM, MG_LOSS_KIND_HINGE, 0, 1e-4, 0},
    {"yinyang", 2, 2, {8, 3}, tanh_linear, MG_INIT_SCALED, MG_LOSS_KIND_CE, 0, 0, 1},
    {"multiclass blobs", 2, 3, {16, 16, 3}, NULL, MG_INIT_SCALED, MG_LOSS_KIND_CE, 1, 0, 2},
    {"multiclass spiral", 2, 3, {16, 16, 3}, NULL, MG_INIT_SCALED, MG_LOSS_KIND_CE, 1, 0, 3},
    {"above_line", 2, 2, {1, 1}, relu_linear, MG_INIT_UNIFORM, MG_LOSS_KIND_BCE, 0, 0, 0},
    {"f2c", 1, 1, {1}, linear1, MG_INIT_UNIFORM, MG_LOSS_KIND_MSE, 0, 0, 4},
    {"toy", 3, 3, {4, 4, 1}, tanh3, MG_INIT_UNIFORM, MG_LOSS_KIND_MSE, 0, 0, 5},
};

enum { N = 100 };

static mg_dataset *make_data(int kind, size_t nin, mg_rng *rng) {
    mg_err err = {0};
    mg_dataset *d = NULL;
    switch (kind) {
    case 0: d = mg_dataset_moons(rng, N, 0.1, &err); break;
    case 1: d = mg_dataset_yinyang(rng, N, 0.1, 0.5, &err); break;
    case 2: d = mg_dataset_blobs(rng, N, 3, 2, 1.0, &err); break;
    case 3: d = mg_dataset_spiral(rng, N, 3, 0.2, &err); break;
    default: /* regression: f2c's line, toy's smooth function of 3 inputs */
        d = mg_dataset_new(N, nin, 0, &err);
        if (!d) break;
        for (size_t i = 0; i < N; i++) {
            double s = 0;
            for (size_t k = 0; k < nin; k++) s += (d->x[i * nin + k] = mg_rng_uniform(rng, -2, 2)) * (k + 1);
            d->y[i] = kind == 4 ? (d->x[i * nin] - 32) * 5 / 9 : tanh(0.5 * s);
        }
    }
    if (!d) fail_msg("data: %s", err.msg);
    return d;
}

/* Sample i's loss as training builds it, plus the L2 term (counted once per batch through
 * grad_scale = 1/batch). */
static mg_value sample_loss(mg_ctx *ctx, mg_mlp *m, const demo *dm, const mg_dataset *d, size_t i,
                            mg_value *out) {
    mg_value loss = mg_sample_loss(ctx, m, dm->loss, dm->subtract_max, d, i, out);
    if (dm->l2 > 0) loss = mg_add(ctx, loss, mg_loss_l2(ctx, m->nparams, m->params, dm->l2));
    return loss;
}

/* The slots of a sample graph built from tape position `from`: its input leaves in the
 * order they were made (the features, then the targets). Returns their count. */
static size_t find_slots(mg_ctx *ctx, size_t from, mg_value *slots, size_t max) {
    size_t n = 0;
    for (size_t i = from; i < mg_ctx_size(ctx); i++) {
        mg_value v = mg_at(ctx, i);
        if (mg_op_of(ctx, v) == MG_OP_LEAF && mg_role_of(ctx, v) == MG_ROLE_INPUT) {
            assert_true(n < max);
            slots[n++] = v;
        }
    }
    return n;
}

static void check_demo(const demo *dm) {
    static const size_t batches[] = {1, 3, 64, 100};
    static const mg_kernels kinds[] = {MG_KERNELS_PORTABLE, MG_KERNELS_AVX2, MG_KERNELS_AVX512};
    mg_ctx *ctx = mg_ctx_new();
    mg_rng rng;
    mg_rng_seed(&rng, 17);
    mg_dataset *d = make_data(dm->data, dm->nin, &rng);
    mg_err err = {0};
    mg_mlp *m = mg_mlp_new(ctx, dm->nin, dm->nlayers, dm->sizes, dm->acts, dm->init, &rng, &err);
    if (!m) fail_msg("%s: %s", dm->name, err.msg);
    for (size_t p = 0; p < m->nparams; p++) /* biases away from 0, so every path counts */
        mg_data_ptr(ctx, m->first)[p] += mg_rng_uniform(&rng, -0.1, 0.1);
    size_t P = m->nparams, nout = mg_mlp_nout(m);
    mg_mark mark = mg_ctx_mark(ctx);

    /* record sample 0 and find its slots the way the training loop's hook does */
    mg_value out[16], slots[16];
    mg_value loss = sample_loss(ctx, m, dm, d, 0, out);
    size_t ns = find_slots(ctx, mark.nvalues, slots, 16);
    assert_int_equal(ns, dm->nin + (dm->loss == MG_LOSS_KIND_CE ? d->nclasses : 1));
    mg_compiled *c = mg_compile(ctx, loss, ns, slots, nout, out, &err);
    if (!c) fail_msg("%s: %s", dm->name, err.msg);
    mg_ctx_reset(ctx, mark);

    /* each sample's eager graph: its slot values, loss, outputs and gradient */
    double *rows = calloc(N * ns, sizeof *rows), *el = calloc(N, sizeof *el);
    double *eo = calloc(N * nout, sizeof *eo), *eg = calloc(N * P, sizeof *eg);
    assert_non_null(rows && el && eo && eg);
    for (size_t i = 0; i < N; i++) {
        mg_value li = sample_loss(ctx, m, dm, d, i, out);
        assert_int_equal(find_slots(ctx, mark.nvalues, slots, 16), ns);
        for (size_t k = 0; k < ns; k++) rows[i * ns + k] = mg_data(ctx, slots[k]);
        for (size_t j = 0; j < nout; j++) eo[i * nout + j] = mg_data(ctx, out[j]);
        el[i] = mg_data(ctx, li);
        mg_mlp_zero_grad(ctx, m);
        mg_backward(ctx, li);
        memcpy(eg + i * P, mg_grad_ptr(ctx, m->first), P * sizeof *eg);
        mg_ctx_reset(ctx, mark);
    }

    double *cl = calloc(N, sizeof *cl), *co = calloc(N * nout, sizeof *co);
    assert_non_null(cl && co);
    for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
        size_t n = batches[b];
        double scale = 1.0 / (double)n, top = 0, ltop = 0, otop = 0;
        for (size_t p = 0; p < P; p++) {
            double s = 0;
            for (size_t i = 0; i < n; i++) s += scale * eg[i * P + p];
            top = fmax(top, fabs(s));
        }
        for (size_t i = 0; i < n; i++) ltop = fmax(ltop, fabs(el[i]));
        for (size_t k = 0; k < n * nout; k++) otop = fmax(otop, fabs(eo[k]));
        for (size_t kk = 0; kk < sizeof kinds / sizeof *kinds; kk++) {
            if (mg_compiled_set_kernels(c, kinds[kk], NULL)) continue;
            mg_mlp_zero_grad(ctx, m);
            if (mg_compiled_forward_backward(c, n, rows, scale, cl, co, &err))
                fail_msg("%s: %s", dm->name, err.msg);
            /* the rule of test_compile.c: 1e-12 relative to the value or to the sum of the
             * absolute per-sample terms, with a rounding floor for cancelling sums */
            for (size_t i = 0; i < n; i++)
                if (!(fabs(cl[i] - el[i]) <= 1e-12 * fabs(el[i]) + 1e-15 * ltop))
                    fail_msg("%s, batch %zu: loss %zu %.17g, eager %.17g", dm->name, n, i, cl[i], el[i]);
            for (size_t k = 0; k < n * nout; k++)
                if (!(fabs(co[k] - eo[k]) <= 1e-12 * fabs(eo[k]) + 1e-15 * otop))
                    fail_msg("%s, batch %zu: output %zu %.17g, eager %.17g", dm->name, n, k, co[k], eo[k]);
            const double *g = mg_grad_ptr(ctx, m->first);
            mg_compiled_info ki;
            mg_compiled_info_get(c, &ki);
            for (size_t p = 0; p < P; p++) {
                double want = 0, terms = 0;
                for (size_t i = 0; i < n; i++) want += scale * eg[i * P + p], terms += fabs(scale * eg[i * P + p]);
                if (!(fabs(g[p] - want) <= 1e-12 * fmax(fabs(want), terms) + 1e-15 * top))
                    fail_msg("%s, batch %zu, %s kernels: grad %zu %.17g, eager %.17g", dm->name, n,
                             ki.kernels, p, g[p], want);
            }
        }
    }
    mg_compiled_info info;
    mg_compiled_info_get(c, &info);
    assert_int_equal(info.ngroups, dm->nlayers); /* every layer ran as a dense layer */
    assert_int_equal(info.nparams, P);
    free(rows), free(el), free(eo), free(eg), free(cl), free(co);
    mg_compiled_free(c);
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
}

static void test_demo_models(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof demos / sizeof *demos; k++) check_demo(&demos[k]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_models),
    };
    return cmocka_run_group_tests_name("compile_models", tests, NULL, NULL);
}
