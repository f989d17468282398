/* test_compile.c - the compiled tape and its batched replay: the same losses, outputs and
 * parameter gradients as the eager engine sample by sample (random graphs with every op,
 * MLPs like the demos' with hinge + L2, MSE and cross-entropy), bit-identical results for
 * any thread count, every kernel set, no allocation after warm-up, argument errors and
 * non-finite values, and the vector tanh against libm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fast/compile_internal.h"
#include "micrograd.h"
#include "testutil.h"


/* The agreement required with the eager engine, relative (see agree()). */
#define REL 1e-12

/* ==== a recorded per-sample graph and its eager reference ================================= */

typedef struct graph {
    mg_value loss;
    mg_value slots[80];
    size_t nslots;
    mg_value outs[16];
    size_t nout;
    mg_value params[8192];
    size_t nparams;
} graph;

/* The eager numbers for a batch: per sample, set the slots, forward, backward with the
 * scale, and sum the per-sample gradients; also the sum of their absolute values, which
 * bounds how much any summation order can change the sum. */
typedef struct eager_ref {
    double *loss, *out, *grad, *gabs;
} eager_ref;

static eager_ref eager(mg_ctx *ctx, const graph *g, size_t batch, const double *sv, double scale) {
    eager_ref r;
    r.loss = calloc(batch, sizeof(double));
    r.out = calloc(batch * (g->nout ? g->nout : 1), sizeof(double));
    r.grad = calloc(g->nparams, sizeof(double));
    r.gabs = calloc(g->nparams, sizeof(double));
    assert_non_null(r.loss);
    assert_non_null(r.out);
    assert_non_null(r.grad);
    assert_non_null(r.gabs);
    for (size_t s = 0; s < batch; s++) {
        for (size_t k = 0; k < g->nslots; k++) mg_set_data(ctx, g->slots[k], sv[s * g->nslots + k]);
        for (size_t j = 0; j < g->nout; j++) r.out[s * g->nout + j] = mg_forward(ctx, g->outs[j]);
        if (!mg_ok(g->loss)) continue;
        r.loss[s] = mg_forward(ctx, g->loss);
        mg_zero_grad(ctx, g->nparams, g->params);
        mg_backward_from(ctx, g->loss, scale);
        for (size_t p = 0; p < g->nparams; p++) {
            double gp = mg_grad(ctx, g->params[p]);
            r.grad[p] += gp;
            r.gabs[p] += fabs(gp);
        }
    }
    mg_zero_grad(ctx, g->nparams, g->params);
    return r;
}

static void eager_free(eager_ref *r) {
    free(r->loss);
    free(r->out);
    free(r->grad);
    free(r->gabs);
}

/* Whether got agrees with want: |got - want| <= REL * max(|want|, terms) + 1e-15 * top,
 * where terms is the sum of the absolute values of the per-sample terms (a reordered sum
 * may differ by that much times the rounding unit) and top the largest value of the same
 * kind in the batch. The second part is a floor at the level of double rounding for
 * entries that are sums of much larger cancelling terms (a cross-entropy gradient near
 * p = t): no summation order gets those to 1e-12 of themselves. Entries that do not
 * cancel are held to 1e-12 relative. */
static int agree(double got, double want, double terms, double top) {
    return fabs(got - want) <= REL * fmax(fabs(want), terms) + 1e-15 * top;
}

static double g_worst_plain; /* largest plain |got - want| / |want| seen, for the log */
static size_t g_floor_used;  /* entries that needed the floor */

static void note(double got, double want) {
    if (want == 0 || got == want) return;
    double d = fabs(got - want) / fabs(want);
    if (d > g_worst_plain) g_worst_plain = d;
    if (d > REL) g_floor_used++;
}

static double max_abs(const double *x, size_t n) {
    double m = 0;
    for (size_t k = 0; k < n; k++) m = fmax(m, fabs(x[k]));
    return m;
}

/* Replays g compiled on batch samples and checks everything against eager. */
static void check_batch(mg_ctx *ctx, mg_compiled *c, const graph *g, size_t batch,
                        const double *sv) {
    double scale = 1.0 / (double)batch;
    eager_ref r = eager(ctx, g, batch, sv, scale);
    double *loss = calloc(batch, sizeof(double));
    double *out = calloc(batch * (g->nout ? g->nout : 1), sizeof(double));
    assert_non_null(loss);
    assert_non_null(out);
    mg_err err = {0};
    mg_status st;
    if (mg_ok(g->loss))
        st = mg_compiled_forward_backward(c, batch, sv, scale, loss, g->nout ? out : NULL, &err);
    else
        st = mg_compiled_forward(c, batch, sv, NULL, out, &err);
    if (st != MG_STATUS_OK) fail_msg("replay failed: %s", err.msg);
    double ltop = max_abs(r.loss, batch), otop = max_abs(r.out, batch * g->nout);
    double gtop = max_abs(r.grad, g->nparams);
    for (size_t s = 0; s < batch && mg_ok(g->loss); s++) {
        if (!agree(loss[s], r.loss[s], 0, ltop))
            fail_msg("sample %zu: loss %.17g, eager %.17g", s, loss[s], r.loss[s]);
        note(loss[s], r.loss[s]);
    }
    for (size_t k = 0; k < batch * g->nout; k++) {
        if (!agree(out[k], r.out[k], 0, otop))
            fail_msg("output %zu: %.17g, eager %.17g", k, out[k], r.out[k]);
        note(out[k], r.out[k]);
    }
    for (size_t p = 0; p < g->nparams && mg_ok(g->loss); p++) {
        double got = mg_grad(ctx, g->params[p]);
        if (!agree(got, r.grad[p], r.gabs[p], gtop))
            fail_msg("batch %zu: grad of param %zu: %.17g, eager %.17g (sum |terms| %g, largest %g)",
                     batch, p, got, r.grad[p], r.gabs[p], gtop);
        note(got, r.grad[p]);
    }
    mg_zero_grad(ctx, g->nparams, g->params);
    eager_free(&r);
    free(loss);
    free(out);
}

static double *random_rows(mg_rng *rng, size_t batch, size_t nslots, double lo, double hi) {
    double *sv = malloc(batch * nslots * sizeof *sv);
    assert_non_null(sv);
    for (size_t k = 0; k < batch * nslots; k++) sv[k] = mg_rng_uniform(rng, lo, hi);
    return sv;
}

/* Compiles g and checks batch sizes 1, 3, 64 and 100 with every kernel set this CPU has. */
static void check_graph(mg_ctx *ctx, graph *g, mg_rng *rng, double lo, double hi,
                        void (*fix_rows)(double *, size_t, size_t)) {
    static const size_t batches[] = {1, 3, 64, 100};
    static const mg_kernels kinds[] = {MG_KERNELS_PORTABLE, MG_KERNELS_AVX2, MG_KERNELS_AVX512};
    mg_err err = {0};
    mg_compiled *c = mg_compile(ctx, g->loss, g->nslots, g->slots, g->nout, g->outs, &err);
    if (!c) fail_msg("mg_compile: %s", err.msg);
    for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
        double *sv = random_rows(rng, batches[b], g->nslots, lo, hi);
        if (fix_rows) fix_rows(sv, batches[b], g->nslots);
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            if (mg_compiled_set_kernels(c, kinds[k], NULL) != MG_STATUS_OK) continue;
            check_batch(ctx, c, g, batches[b], sv);
        }
        free(sv);
    }
    mg_compiled_free(c);
}

/* ==== models ============================================================================== */

/* An MLP as the nn module lays it out: layer by layer, neuron by neuron, nin weights then
 * the bias, each neuron one dot value. Weights uniform(-1, 1) * scale, biases small. */
static void mlp_params(mg_ctx *ctx, graph *g, mg_rng *rng, size_t nin, size_t nl,
                       const size_t *sizes, double scale) {
    size_t in = nin;
    for (size_t l = 0; l < nl; l++) {
        for (size_t o = 0; o < sizes[l]; o++) {
            for (size_t i = 0; i < in; i++)
                g->params[g->nparams++] = mg_param(ctx, mg_rng_uniform(rng, -1, 1) * scale);
            g->params[g->nparams++] = mg_param(ctx, mg_rng_uniform(rng, -0.1, 0.1));
        }
        in = sizes[l];
    }
}

/* The forward pass of the MLP whose parameters start at g->params[0]; acts per layer. */
static void mlp_forward(mg_ctx *ctx, const graph *g, size_t nin, size_t nl, const size_t *sizes,
                        const mg_act *acts, const mg_value *x, mg_value *out) {
    mg_value a[256], b[256];
    size_t in = nin, p = 0;
    memcpy(a, x, nin * sizeof *x);
    for (size_t l = 0; l < nl; l++) {
        for (size_t o = 0; o < sizes[l]; o++) {
            mg_value w[256];
            for (size_t i = 0; i < in; i++) w[i] = g->params[p++];
            mg_value v = mg_dot(ctx, g->params[p++], in, w, a);
            b[o] = acts[l] == MG_ACT_RELU ? mg_relu(ctx, v) : acts[l] == MG_ACT_TANH ? mg_tanh(ctx, v) : v;
        }
        memcpy(a, b, sizes[l] * sizeof *b);
        in = sizes[l];
    }
    memcpy(out, a, in * sizeof *a);
}

/* micrograd's moons demo: MLP(2, [16, 16, 1]) ReLU, per-sample hinge loss plus the L2
 * penalty alpha * sum p^2 (computed once per replay, its gradient counted once per
 * batch since grad_scale is 1/batch). */
static void build_moons(mg_ctx *ctx, graph *g, mg_rng *rng) {
    static const size_t sizes[] = {16, 16, 1};
    static const mg_act acts[] = {MG_ACT_RELU, MG_ACT_RELU, MG_ACT_LINEAR};
    mlp_params(ctx, g, rng, 2, 3, sizes, 1.0);
    mg_value x[2] = {mg_input(ctx, 0), mg_input(ctx, 0)}, y = mg_input(ctx, 0), score;
    mlp_forward(ctx, g, 2, 3, sizes, acts, x, &score);
    mg_value hinge = mg_relu(ctx, mg_rsubf(ctx, 1.0, mg_mul(ctx, y, score)));
    mg_value *sq = malloc(g->nparams * sizeof *sq);
    assert_non_null(sq);
    for (size_t p = 0; p < g->nparams; p++) sq[p] = mg_mul(ctx, g->params[p], g->params[p]);
    mg_value reg = mg_mulf(ctx, mg_sum(ctx, g->nparams, sq), 1e-4);
    free(sq);
    g->loss = mg_add(ctx, hinge, reg);
    g->slots[0] = x[0], g->slots[1] = x[1], g->slots[2] = y;
    g->nslots = 3;
    g->outs[0] = score;
    g->nout = 1;
}

/* Labels of the moons rows: -1 or +1. */
static void pm_one_labels(double *sv, size_t batch, size_t nslots) {
    for (size_t s = 0; s < batch; s++) sv[s * nslots + nslots - 1] = sv[s * nslots + nslots - 1] < 0 ? -1.0 : 1.0;
}

/* Cross-entropy as the yin-yang reference writes it, with the class as one-hot slots:
 * e_k = exp(z_k), p = (t . e) * (sum e)^-1, loss = -log p. */
static mg_value cross_entropy(mg_ctx *ctx, size_t k, const mg_value *z, const mg_value *t) {
    mg_value e[16];
    for (size_t j = 0; j < k; j++) e[j] = mg_exp(ctx, z[j]);
    mg_value denom = mg_sum(ctx, k, e);
    mg_value pt = mg_mul(ctx, mg_dot(ctx, MG_NULL, k, t, e), mg_powf(ctx, denom, -1));
    return mg_neg(ctx, mg_log(ctx, pt));
}

static size_t g_classes; /* for one_hot_rows */

/* The last g_classes slots of each row become a one-hot class. */
static void one_hot_rows(double *sv, size_t batch, size_t nslots) {
    for (size_t s = 0; s < batch; s++) {
        double *t = sv + s * nslots + nslots - g_classes;
        size_t cls = (size_t)(fabs(t[0]) * 1000) % g_classes;
        for (size_t j = 0; j < g_classes; j++) t[j] = j == cls;
    }
}

static void build_classifier(mg_ctx *ctx, graph *g, mg_rng *rng, size_t nin, size_t nl,
                             const size_t *sizes, const mg_act *acts) {
    size_t k = sizes[nl - 1];
    mlp_params(ctx, g, rng, nin, nl, sizes, 1.0 / sqrt((double)nin));
    mg_value x[80], t[16], z[16];
    for (size_t i = 0; i < nin; i++) g->slots[g->nslots++] = x[i] = mg_input(ctx, 0);
    for (size_t j = 0; j < k; j++) g->slots[g->nslots++] = t[j] = mg_input(ctx, 0);
    mlp_forward(ctx, g, nin, nl, sizes, acts, x, z);
    g->loss = cross_entropy(ctx, k, z, t);
    for (size_t j = 0; j < k; j++) g->outs[g->nout++] = z[j];
}

/* ==== equality with the eager engine ====================================================== */

/* Hand-computed: loss_s = (w*x_s + b - y_s)^2, so d/dw = 2 r_s x_s and d/db = 2 r_s with
 * r_s = w x_s + b - y_s. w = 0.5, b = -1; samples (x, y) = (1, 2), (2, -1), (-3, 0.5):
 * r = -2.5, 1, -3; mean gradient d/dw = 2(-2.5 + 2 + 9)/3 = 17/3, d/db = 2(-4.5)/3 = -3. */
static void test_hand_computed(void **state) {
    mg_ctx *ctx = *state;
    mg_value w = mg_param(ctx, 0.5), b = mg_param(ctx, -1.0);
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value x = mg_input(ctx, 0), y = mg_input(ctx, 0);
    mg_value loss = mg_powf(ctx, mg_sub(ctx, mg_dot(ctx, b, 1, &w, &x), y), 2);
    mg_value slots[2] = {x, y};
    mg_err err = {0};
    mg_compiled *c = mg_compile(ctx, loss, 2, slots, 0, NULL, &err);
    assert_non_null(c);
    mg_ctx_reset(ctx, mark); /* the sample graph is not needed any more */
    const double rows[6] = {1, 2, 2, -1, -3, 0.5};
    double losses[3];
    assert_int_equal(mg_compiled_forward_backward(c, 3, rows, 1.0 / 3, losses, NULL, &err), MG_STATUS_OK);
    ASSERT_NEAR(losses[0], 6.25, 0);
    ASSERT_NEAR(losses[1], 1.0, 0);
    ASSERT_NEAR(losses[2], 9.0, 0);
    ASSERT_NEAR(mg_grad(ctx, w), 17.0 / 3, 1e-15);
    ASSERT_NEAR(mg_grad(ctx, b), -3.0, 1e-15);
    /* Gradients accumulate, like mg_backward; the weights are read at every replay. */
    assert_int_equal(mg_compiled_forward_backward(c, 3, rows, 1.0 / 3, NULL, NULL, &err), MG_STATUS_OK);
    ASSERT_NEAR(mg_grad(ctx, w), 34.0 / 3, 1e-14);
    mg_set_data(ctx, w, 1.0);
    assert_int_equal(mg_compiled_forward(c, 1, rows, losses, NULL, &err), MG_STATUS_OK);
    ASSERT_NEAR(losses[0], 4.0, 0); /* (1 - 1 - 2)^2 */
    mg_compiled_info info;
    mg_compiled_info_get(c, &info);
    assert_int_equal(info.nparams, 2);
    assert_int_equal(info.ngroups, 1); /* the one dot is a dense layer of one neuron */
    mg_compiled_free(c);
}

typedef mg_value (*unary_fn)(mg_ctx *, mg_value);

/* Random graphs over 4 slots, 6 parameters, a frozen leaf and constants, using every op
 * (dot both as dense layers and generic), with values reused; loss and two outputs. */
static void build_random(mg_ctx *ctx, graph *g, mg_rng *rng) {
    mg_value pool[96];
    size_t n = 0, nvary = 0;
    for (int i = 0; i < 4; i++) g->slots[g->nslots++] = pool[n++] = mg_input(ctx, 0);
    nvary = n;
    for (int i = 0; i < 6; i++) g->params[g->nparams++] = pool[n++] = mg_param(ctx, mg_rng_uniform(rng, -1, 1));
    pool[n++] = mg_leaf(ctx, 0.75);
    pool[n++] = mg_const(ctx, -1.25);
    while (n < 60) {
        mg_value a = pool[mg_rng_below(rng, (uint32_t)n)], b = pool[mg_rng_below(rng, (uint32_t)n)];
        mg_value v;
        switch (mg_rng_below(rng, 16)) {
        case 0: v = mg_add(ctx, a, b); break;
        case 1: v = mg_sub(ctx, a, b); break;
        case 2: v = mg_mul(ctx, a, b); break;
        case 3: v = mg_tanh(ctx, a); break;
        case 4: v = mg_sigmoid(ctx, a); break;
        case 5: v = mg_div(ctx, a, mg_addf(ctx, mg_powf(ctx, b, 2), 1.0)); break;
        case 6: v = mg_exp(ctx, mg_tanh(ctx, a)); break;
        case 7: v = mg_log(ctx, mg_addf(ctx, mg_mul(ctx, a, a), 0.5)); break;
        case 8: v = mg_neg(ctx, a); break;
        case 9: v = mg_relu(ctx, a); break;
        case 10: v = mg_pow(ctx, mg_addf(ctx, mg_sigmoid(ctx, a), 0.5), mg_tanh(ctx, b)); break;
        case 11: v = mg_powf(ctx, mg_tanh(ctx, a), 3); break;
        case 12: { /* a small dense layer over varying values, reading parameter weights */
            mg_value x[3] = {pool[mg_rng_below(rng, (uint32_t)nvary)], a, pool[0]};
            if (!(mg_rng_below(rng, 2))) x[1] = pool[1];
            for (int o = 0; o < 3 && n < 95; o++) {
                mg_value w[3] = {g->params[(o + 1) % 6], g->params[(o + 3) % 6], g->params[o]};
                pool[n++] = mg_dot(ctx, o == 1 ? MG_NULL : g->params[5 - o], 3, w, x);
            }
            v = pool[--n];
            break;
        }
        case 13: { /* a generic dot: weights that vary, inputs in either order */
            mg_value w[3] = {a, b, g->params[2]}, x[3] = {b, pool[1], a};
            v = mg_dot(ctx, a, 3, w, x);
            break;
        }
        case 14: {
            mg_value xs[3] = {a, b, a};
            v = mg_sum(ctx, 3, xs);
            break;
        }
        default: v = mg_mul(ctx, pool[mg_rng_below(rng, (uint32_t)nvary)], g->params[mg_rng_below(rng, 6)]); break;
        }
        /* keep magnitudes tame */
        pool[n++] = mg_rng_below(rng, 3) == 0 ? mg_tanh(ctx, v) : v;
        if (n % 7 == 0) nvary = n; /* later values are varying more often than not */
    }
    mg_value tail[4] = {pool[n - 1], pool[n - 2], pool[n - 5], pool[n - 9]};
    g->loss = mg_tanh(ctx, mg_sum(ctx, 4, tail));
    g->outs[0] = pool[n - 3];
    g->outs[1] = pool[n / 2];
    g->nout = 2;
}

static void test_random_graphs_every_op(void **state) {
    mg_ctx *ctx = *state;
    mg_mark start = mg_ctx_mark(ctx);
    mg_rng rng;
    mg_rng_seed(&rng, 11);
    size_t groups = 0;
    for (int trial = 0; trial < 40; trial++) {
        mg_ctx_reset(ctx, start);
        graph g = {0};
        build_random(ctx, &g, &rng);
        mg_compiled *c = mg_compile(ctx, g.loss, g.nslots, g.slots, g.nout, g.outs, NULL);
        assert_non_null(c);
        mg_compiled_info info;
        mg_compiled_info_get(c, &info);
        groups += info.ngroups;
        mg_compiled_free(c);
        check_graph(ctx, &g, &rng, -1.5, 1.5, NULL);
    }
    assert_true(groups > 10); /* the dense path was exercised */
}

/* yin-yang's model (2 -> 8 tanh -> 3) with its cross-entropy, and a wider ReLU one. */
static void test_classifier_mlps(void **state) {
    mg_ctx *ctx = *state;
    mg_mark start = mg_ctx_mark(ctx);
    mg_rng rng;
    mg_rng_seed(&rng, 5);
    graph *g = calloc(1, sizeof *g);
    {
        static const size_t sizes[] = {8, 3};
        static const mg_act acts[] = {MG_ACT_TANH, MG_ACT_LINEAR};
        build_classifier(ctx, g, &rng, 2, 2, sizes, acts);
        g_classes = 3;
        check_graph(ctx, g, &rng, -2, 2, one_hot_rows);
    }
    mg_ctx_reset(ctx, start);
    memset(g, 0, sizeof *g);
    {
        static const size_t sizes[] = {64, 32, 10};
        static const mg_act acts[] = {MG_ACT_RELU, MG_ACT_RELU, MG_ACT_LINEAR};
        build_classifier(ctx, g, &rng, 64, 3, sizes, acts);
        g_classes = 10;
        check_graph(ctx, g, &rng, 0, 1, one_hot_rows);
    }
    free(g);
}

/* Regression with MSE and sigmoid/tanh layers, parameters made in a scattered order (so
 * weights are gathered, not read in place) and far apart on the tape. */
static void test_scattered_params_mse(void **state) {
    mg_ctx *ctx = *state;
    mg_rng rng;
    mg_rng_seed(&rng, 9);
    graph g = {0};
    enum { NIN = 3, NH = 5 };
    mg_value w1[NH][NIN], b1[NH], w2[NH], b2;
    for (int i = NIN - 1; i >= 0; i--)
        for (int o = 0; o < NH; o++) {
            w1[o][i] = g.params[g.nparams++] = mg_param(ctx, mg_rng_uniform(&rng, -1, 1));
            for (int pad = 0; pad < 1000; pad++) mg_leaf(ctx, 0); /* far apart */
        }
    for (int o = 0; o < NH; o++) b1[o] = g.params[g.nparams++] = mg_param(ctx, 0.1 * o);
    for (int o = 0; o < NH; o++) w2[o] = g.params[g.nparams++] = mg_param(ctx, mg_rng_uniform(&rng, -1, 1));
    b2 = g.params[g.nparams++] = mg_param(ctx, 0.2);
    mg_value x[NIN], h[NH];
    for (int i = 0; i < NIN; i++) g.slots[g.nslots++] = x[i] = mg_input(ctx, 0);
    for (int o = 0; o < NH; o++) /* inputs written x*w: the recorder swaps them back */
        h[o] = mg_sigmoid(ctx, mg_dot(ctx, b1[o], NIN, x, w1[o]));
    mg_value y = mg_input(ctx, 0);
    g.slots[g.nslots++] = y;
    mg_value out = mg_tanh(ctx, mg_dot(ctx, b2, NH, w2, h));
    g.loss = mg_powf(ctx, mg_sub(ctx, out, y), 2);
    g.outs[g.nout++] = out;
    mg_compiled *c = mg_compile(ctx, g.loss, g.nslots, g.slots, g.nout, g.outs, NULL);
    mg_compiled_info info;
    mg_compiled_info_get(c, &info);
    assert_int_equal(info.ngroups, 2);
    mg_compiled_free(c);
    check_graph(ctx, &g, &rng, -1, 1, NULL);
}

/* Dense layers whose weights are not parameters: frozen leaves (laid out like a layer, so
 * read in place from the tape's copy) and values computed from parameters (w = 0.5 * p). */
static void test_dense_weights_not_params(void **state) {
    mg_ctx *ctx = *state;
    mg_rng rng;
    mg_rng_seed(&rng, 13);
    graph g = {0};
    enum { NIN = 9, NH = 10 };
    mg_value p[NH], w1[NH][NIN], w2[NH], x[NIN], h[NH];
    for (int o = 0; o < NH; o++) g.params[g.nparams++] = p[o] = mg_param(ctx, mg_rng_uniform(&rng, -1, 1));
    for (int pad = 0; pad < 7; pad++) mg_leaf(ctx, 1e300); /* not where a mirror would look */
    for (int o = 0; o < NH; o++)
        for (int i = 0; i < NIN; i++) w1[o][i] = mg_leaf(ctx, mg_rng_uniform(&rng, -1, 1)); /* frozen */
    for (int o = 0; o < NH; o++) w2[o] = mg_mulf(ctx, p[o], 0.5);
    for (int i = 0; i < NIN; i++) g.slots[g.nslots++] = x[i] = mg_input(ctx, 0);
    for (int o = 0; o < NH; o++) h[o] = mg_tanh(ctx, mg_dot(ctx, p[o], NIN, w1[o], x));
    mg_value y = mg_input(ctx, 0);
    g.slots[g.nslots++] = y;
    mg_value out = mg_dot(ctx, MG_NULL, NH, w2, h);
    g.loss = mg_powf(ctx, mg_sub(ctx, out, y), 2);
    g.outs[g.nout++] = out;
    mg_compiled *c = mg_compile(ctx, g.loss, g.nslots, g.slots, g.nout, g.outs, NULL);
    mg_compiled_info info;
    mg_compiled_info_get(c, &info);
    assert_int_equal(info.ngroups, 2);
    mg_compiled_free(c);
    check_graph(ctx, &g, &rng, -1, 1, NULL);

    /* no slots at all: every value is computed once per replay */
    mg_value l0 = mg_tanh(ctx, mg_dot(ctx, p[0], NH - 1, p + 1, w2));
    c = mg_compile(ctx, l0, 0, NULL, 0, NULL, NULL);
    assert_non_null(c);
    double loss[3];
    mg_zero_grad(ctx, g.nparams, g.params);
    assert_int_equal(mg_compiled_forward_backward(c, 3, NULL, 1.0, loss, NULL, NULL), MG_STATUS_OK);
    double want = mg_forward(ctx, l0);
    ASSERT_NEAR(loss[2], want, 1e-15);
    double *gc = malloc(NH * sizeof *gc);
    for (int o = 0; o < NH; o++) gc[o] = mg_grad(ctx, p[o]);
    mg_zero_grad(ctx, g.nparams, g.params);
    mg_backward_from(ctx, l0, 3.0); /* three samples, each the same */
    for (int o = 0; o < NH; o++) ASSERT_NEAR(gc[o], mg_grad(ctx, p[o]), 1e-14 * fmax(1, fabs(gc[o])));
    free(gc);
    mg_compiled_free(c);
}

/* ==== threads, kernels, memory ============================================================ */

/* Runs forward_backward on a fresh zeroed gradient and copies the grads out. */
static void grads_of(mg_ctx *ctx, mg_compiled *c, const graph *g, size_t batch, const double *sv,
                     double *grads, double *losses) {
    mg_zero_grad(ctx, g->nparams, g->params);
    mg_err err = {0};
    if (mg_compiled_forward_backward(c, batch, sv, 1.0 / (double)batch, losses, NULL, &err))
        fail_msg("%s", err.msg);
    for (size_t p = 0; p < g->nparams; p++) grads[p] = mg_grad(ctx, g->params[p]);
}

/* Bit for bit the same for 1, 2 and 3 threads at several batch sizes; chunks are fixed by
 * the batch, so this holds on any machine. */
static void test_threads_bit_identical(void **state) {
    mg_ctx *ctx = *state;
    mg_rng rng;
    mg_rng_seed(&rng, 21);
    graph *g = calloc(1, sizeof *g);
    static const size_t sizes[] = {32, 16, 4};
    static const mg_act acts[] = {MG_ACT_TANH, MG_ACT_RELU, MG_ACT_LINEAR};
    build_classifier(ctx, g, &rng, 12, 3, sizes, acts);
    g_classes = 4;
    mg_compiled *c = mg_compile(ctx, g->loss, g->nslots, g->slots, g->nout, g->outs, NULL);
    assert_non_null(c);
    double *a = malloc(g->nparams * sizeof *a), *b = malloc(g->nparams * sizeof *b);
    static const size_t batches[] = {1, 33, 64, 257, 1000};
    for (size_t k = 0; k < sizeof batches / sizeof *batches; k++) {
        size_t n = batches[k];
        double *sv = random_rows(&rng, n, g->nslots, -1, 1);
        one_hot_rows(sv, n, g->nslots);
        double *la = malloc(n * sizeof *la), *lb = malloc(n * sizeof *lb);
        mg_compiled_set_threads(c, 1);
        grads_of(ctx, c, g, n, sv, a, la);
        for (int t = 2; t <= 3; t++) {
            mg_compiled_set_threads(c, t);
            grads_of(ctx, c, g, n, sv, b, lb);
            assert_memory_equal(a, b, g->nparams * sizeof *a);
            assert_memory_equal(la, lb, n * sizeof *la);
        }
        free(sv);
        free(la);
        free(lb);
    }
#ifdef MG_HAVE_OPENMP
    assert_int_equal(mg_compiled_set_threads(c, 2), 2);
#else
    assert_int_equal(mg_compiled_set_threads(c, 2), 1);
#endif
    assert_true(mg_compiled_set_threads(c, 0) >= 1);
    free(a);
    free(b);
    mg_compiled_free(c);
    free(g);
}

/* After the first replay at the largest batch, replays allocate nothing: neither the tape's
 * buffers nor the context grow. */
static void test_no_allocation_after_warmup(void **state) {
    mg_ctx *ctx = *state;
    mg_rng rng;
    mg_rng_seed(&rng, 4);
    graph *g = calloc(1, sizeof *g);
    build_moons(ctx, g, &rng);
    mg_compiled *c = mg_compile(ctx, g->loss, g->nslots, g->slots, g->nout, g->outs, NULL);
    mg_compiled_info info;
    mg_compiled_info_get(c, &info);
    assert_int_equal(info.nparams, 337);
    assert_int_equal(info.ngroups, 3); /* one dense layer per layer */
    assert_int_equal(info.ngrouped, 33);
    mg_compiled_set_threads(c, 2);
    double *sv = random_rows(&rng, 300, 3, -1, 1);
    pm_one_labels(sv, 300, 3);
    check_batch(ctx, c, g, 100, sv);
    double losses[300], outs[300];
    assert_int_equal(mg_compiled_forward_backward(c, 300, sv, 1.0, losses, outs, NULL), MG_STATUS_OK);
    assert_int_equal(mg_compiled_forward(c, 300, sv, losses, outs, NULL), MG_STATUS_OK);
    mg_compiled_info before, after;
    mg_compiled_info_get(c, &before);
    size_t ctx_bytes = mg_ctx_bytes(ctx), ctx_size = mg_ctx_size(ctx);
    for (size_t n = 1; n <= 300; n += 37) {
        assert_int_equal(mg_compiled_forward_backward(c, n, sv, 1.0, losses, outs, NULL), MG_STATUS_OK);
        assert_int_equal(mg_compiled_forward(c, n, sv, losses, NULL, NULL), MG_STATUS_OK);
    }
    mg_compiled_set_threads(c, 1);
    assert_int_equal(mg_compiled_forward_backward(c, 300, sv, 1.0, losses, outs, NULL), MG_STATUS_OK);
    mg_compiled_info_get(c, &after);
    assert_int_equal(after.nallocs, before.nallocs);
    assert_int_equal(after.bytes, before.bytes);
    assert_int_equal(mg_ctx_bytes(ctx), ctx_bytes);
    assert_int_equal(mg_ctx_size(ctx), ctx_size);
    assert_true(after.bytes > 0);
    free(sv);
    mg_compiled_free(c);
    free(g);
}

/* The vector tanh against libm's: a few units in the last place at most, exact specials. */
static void test_vector_tanh(void **state) {
    (void)state;
    static const mg_kernels kinds[] = {MG_KERNELS_AVX2, MG_KERNELS_AVX512};
    enum { N = 4096 };
    double in[N], out[N];
    mg_rng rng;
    mg_rng_seed(&rng, 1);
    int tested = 0;
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        const mg__kernels *kern = mg__kernels_get(kinds[k]);
        if (!kern) continue;
        tested++;
        for (int round = 0; round < 8; round++) {
            double span = round < 4 ? pow(10.0, round - 3) : 6.0 * (round - 3); /* 1e-3 .. 30 */
            for (int i = 0; i < N; i++) in[i] = mg_rng_uniform(&rng, -span, span);
            kern->tanh(N, out, in);
            for (int i = 0; i < N; i++) {
                double want = tanh(in[i]);
                if (!(fabs(out[i] - want) <= 4 * 0x1p-52 * fabs(want)))
                    fail_msg("%s tanh(%.17g) = %.17g, libm %.17g", kern->name, in[i], out[i], want);
            }
        }
        double sp[16] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 20.0, -19.5, 1e-300, -4e-320, 710.0,
                         1e300, 0.34657359, 0.3465736, 1e-8, -1e-17, 19.0};
        kern->tanh(16, out, sp);
        for (int i = 0; i < 16; i++) {
            double want = tanh(sp[i]);
            if (isnan(want)) assert_true(isnan(out[i]));
            else ASSERT_NEAR(out[i], want, 4 * 0x1p-52 * fabs(want));
            assert_int_equal(signbit(out[i]) != 0, signbit(want) != 0);
        }
    }
    if (!tested) skip(); /* no vector kernels on this CPU: the portable path uses libm */
}

/* ==== semantics and errors ================================================================ */

/* Frozen leaves keep their compile-time value; parameters are read at every replay; a
 * prediction-only tape has outputs and no loss; a loss that depends on no slot counts
 * once per sample; a slot the graph never reads is fine. */
static void test_frozen_params_and_shapes(void **state) {
    mg_ctx *ctx = *state;
    mg_value p = mg_param(ctx, 2.0), k = mg_leaf(ctx, 3.0);
    mg_value x = mg_input(ctx, 0), unused = mg_input(ctx, 0);
    mg_value out = mg_add(ctx, mg_mul(ctx, p, x), k); /* 2x + 3 */
    mg_value slots[2] = {x, unused};
    mg_compiled *c = mg_compile(ctx, MG_NULL, 2, slots, 1, &out, NULL);
    assert_non_null(c);
    mg_set_data(ctx, k, 100.0);
    mg_set_data(ctx, p, 5.0);
    const double rows[4] = {1, 9, -2, 9};
    double o[2];
    assert_int_equal(mg_compiled_forward(c, 2, rows, NULL, o, NULL), MG_STATUS_OK);
    ASSERT_NEAR(o[0], 8.0, 0);   /* 5*1 + 3 */
    ASSERT_NEAR(o[1], -7.0, 0);  /* 5*-2 + 3 */
    mg_err err = {0};
    assert_int_equal(mg_compiled_forward_backward(c, 2, rows, 1.0, NULL, NULL, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "without a loss"));
    mg_compiled_free(c);

    /* loss = p^2 depends on no slot: each of the 4 samples contributes 2p. */
    mg_value l2 = mg_powf(ctx, p, 2);
    c = mg_compile(ctx, l2, 1, &x, 1, &out, NULL);
    mg_zero_grad(ctx, 1, &p);
    double losses[4];
    const double r4[4] = {1, 2, 3, 4};
    assert_int_equal(mg_compiled_forward_backward(c, 4, r4, 0.5, losses, NULL, NULL), MG_STATUS_OK);
    ASSERT_NEAR(losses[3], 25.0, 0);
    ASSERT_NEAR(mg_grad(ctx, p), 0.5 * 4 * 10.0, 1e-13);
    mg_compiled_free(c);

    /* the loss is a slot itself: no parameter, no gradient, losses copied through */
    c = mg_compile(ctx, x, 1, &x, 0, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(mg_compiled_forward_backward(c, 4, r4, 1.0, losses, NULL, NULL), MG_STATUS_OK);
    ASSERT_NEAR(losses[2], 3.0, 0);
    mg_compiled_free(c);
}

static void test_argument_errors(void **state) {
    mg_ctx *ctx = *state;
    mg_value p = mg_param(ctx, 1.0), x = mg_input(ctx, 0);
    mg_value loss = mg_mul(ctx, p, x);
    mg_err err = {0};
    mg_value two[2] = {x, x};
    assert_null(mg_compile(ctx, loss, 2, two, 0, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "twice"));
    assert_null(mg_compile(ctx, loss, 1, &loss, 0, NULL, &err));
    assert_non_null(strstr(err.msg, "not a leaf"));
    mg_value nul = MG_NULL;
    assert_null(mg_compile(ctx, loss, 1, &nul, 0, NULL, &err));
    assert_non_null(strstr(err.msg, "slot 0 is MG_NULL"));
    assert_null(mg_compile(ctx, MG_NULL, 1, &x, 0, NULL, &err));
    assert_non_null(strstr(err.msg, "nothing to record"));
    assert_null(mg_compile(ctx, loss, 1, &x, 1, &nul, &err));
    assert_non_null(strstr(err.msg, "output 0"));

    mg_compiled *c = mg_compile(ctx, loss, 1, &x, 0, NULL, &err);
    assert_non_null(c);
    double one = 1.0;
    assert_int_equal(mg_compiled_forward(c, 0, &one, NULL, NULL, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "batch of 0"));
    assert_int_equal(mg_compiled_forward(c, 1, NULL, NULL, NULL, &err), MG_STATUS_INVALID);
    assert_int_equal(mg_compiled_forward(c, SIZE_MAX / 2, &one, NULL, NULL, &err), MG_STATUS_INVALID);
    mg_compiled_free(c);
    mg_compiled_free(NULL);
}

/* A sample whose loss is not finite stops the update and is named with the first bad value. */
static void test_nonfinite_sample(void **state) {
    mg_ctx *ctx = *state;
    mg_value p = mg_param(ctx, 1.5), x = mg_input(ctx, 0);
    mg_value loss = mg_mul(ctx, p, mg_log(ctx, x));
    mg_compiled *c = mg_compile(ctx, loss, 1, &x, 0, NULL, NULL);
    const double rows[5] = {1, 2, 0, 3, -1};
    mg_err err = {0};
    mg_set_grad(ctx, p, 0.25);
    assert_int_equal(mg_compiled_forward_backward(c, 5, rows, 1.0, NULL, NULL, &err), MG_STATUS_NUMERIC);
    assert_string_equal(err.msg, "sample 2: loss is -inf; first non-finite value: log at tape #2 = -inf");
    ASSERT_NEAR(mg_grad(ctx, p), 0.25, 0); /* untouched */
    const double nanrow[2] = {1, NAN};
    assert_int_equal(mg_compiled_forward_backward(c, 2, nanrow, 1.0, NULL, NULL, &err), MG_STATUS_NUMERIC);
    assert_non_null(strstr(err.msg, "sample 1: loss is nan; first non-finite value: slot"));
    /* forward alone reports numbers as they are */
    double l[5];
    assert_int_equal(mg_compiled_forward(c, 5, rows, l, NULL, &err), MG_STATUS_OK);
    assert_true(isinf(l[2]) && isnan(l[4]));
    mg_compiled_free(c);
}

static void expect_abort(void (*fn)(void), const char *fragment) {
    char buf[1024];
    assert_true(tu_aborts(fn, buf, sizeof buf));
    if (!strstr(buf, fragment)) fail_msg("expected '%s' in: %s", fragment, buf);
    assert_non_null(strstr(buf, ".c:"));
}

static void replay_after_reset(void) {
    mg_ctx *ctx = mg_ctx_new();
    mg_mark m = mg_ctx_mark(ctx);
    mg_value p = mg_param(ctx, 1.0), x = mg_input(ctx, 0);
    mg_compiled *c = mg_compile(ctx, mg_mul(ctx, p, x), 1, &x, 0, NULL, NULL);
    mg_ctx_reset(ctx, m);
    mg_param(ctx, 2.0);
    double one = 1.0;
    mg_compiled_forward_backward(c, 1, &one, 1.0, NULL, NULL, NULL);
}

static void test_reset_below_params_aborts(void **state) {
    (void)state;
    expect_abort(replay_after_reset, "dropped its parameters");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hand_computed, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_random_graphs_every_op, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_classifier_mlps, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_scattered_params_mse, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_dense_weights_not_params, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_threads_bit_identical, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_no_allocation_after_warmup, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_vector_tanh),
        cmocka_unit_test_setup_teardown(test_frozen_params_and_shapes, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_argument_errors, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_nonfinite_sample, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_reset_below_params_aborts),
    };
    int rc = cmocka_run_group_tests_name("compile", tests, NULL, NULL);
    printf("# compiled vs eager: largest plain relative difference %.3g; %zu entries past "
           "1e-12 relative, within the rounding floor\n", g_worst_plain, g_floor_used);
    return rc;
}
