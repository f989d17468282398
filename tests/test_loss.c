/* test_loss.c - every loss's value and gradients against numbers worked out by hand (and
 * Python's math module), finite-difference checks, and the numerical edge cases each
 * form is written to survive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "micrograd.h"
#include "nn/nn_internal.h"
#include "testutil.h"


/* Finite differences agree with backward, and the gradient is not trivially zero. */
static void expect_gradcheck(mg_ctx *ctx, mg_value loss) {
    mg_gradcheck_report r;
    double e = mg_gradcheck(ctx, loss, 0, &r);
    char what[128];
    if (!(e < 1e-6))
        fail_msg("gradcheck %g at %s: analytic %.17g, numeric %.17g", e,
                 mg_describe(ctx, r.worst, what, sizeof what), r.worst_analytic, r.worst_numeric);
    assert_true(r.max_abs_grad > 1e-3);
}

/* ==== mean squared error ================================================================= */

static void test_mse(void **state) {
    mg_ctx *ctx = *state;
    mg_value p = mg_leaf(ctx, 3.0), t = mg_input(ctx, 1.0);
    mg_value l = mg_loss_mse(ctx, 1, &p, &t);
    mg_backward(ctx, l);
    ASSERT_NEAR(mg_data(ctx, l), 4.0, 0);
    ASSERT_NEAR(mg_grad(ctx, p), 4.0, 0); /* 2 (p - t) */
    assert_int_equal(mg_op_of(ctx, l), MG_OP_POWC);

    /* Two outputs: ((3-1)^2 + (-1-1)^2) / 2 = 4; d/dp_i = (p_i - t_i). */
    mg_value ps[2] = {mg_leaf(ctx, 3.0), mg_leaf(ctx, -1.0)};
    mg_value ts[2] = {mg_input(ctx, 1.0), mg_input(ctx, 1.0)};
    l = mg_loss_mse(ctx, 2, ps, ts);
    mg_backward(ctx, l);
    ASSERT_NEAR(mg_data(ctx, l), 4.0, 0);
    ASSERT_NEAR(mg_grad(ctx, ps[0]), 2.0, 1e-15);
    ASSERT_NEAR(mg_grad(ctx, ps[1]), -2.0, 1e-15);
    mg_value q[3] = {mg_leaf(ctx, 0.3), mg_leaf(ctx, -1.7), mg_leaf(ctx, 2.2)};
    mg_value u[3] = {mg_leaf(ctx, 0.1), mg_leaf(ctx, 0.4), mg_leaf(ctx, -0.9)};
    expect_gradcheck(ctx, mg_loss_mse(ctx, 3, q, u));
}

/* ==== binary cross-entropy =============================================================== */

static void test_bce_probability(void **state) {
    mg_ctx *ctx = *state;
    const struct {
        double p, y, loss, dp;
    } cases[] = {
        {0.8, 1.0, 0.2231435513142097, -1.25}, /* -log p, -1/p */
        {0.8, 0.0, 1.6094379124341003, 5.0},   /* -log(1-p), 1/(1-p) */
        {0.8, 0.3, 1.193549604098133, 3.1249999999999996},
        /* Clamped logs (PyTorch's -100): p = 0 costs 100, not inf, and no NaN flows back. */
        {0.0, 1.0, 100.0, 0.0},
        {1.0, 1.0, 0.0, -1.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value p = mg_leaf(ctx, cases[i].p), y = mg_input(ctx, cases[i].y);
        mg_value l = mg_loss_bce(ctx, p, y);
        mg_backward(ctx, l);
        /* 1 - p rounds (1 - 0.8 is 0.19999999999999996), hence a few ulps. */
        ASSERT_NEAR(mg_data(ctx, l), cases[i].loss, 1e-14);
        ASSERT_NEAR(mg_grad(ctx, p), cases[i].dp, 1e-13);
        mg_ctx_reset(ctx, mark);
    }
    mg_value p = mg_leaf(ctx, 0.35), y = mg_leaf(ctx, 0.6);
    expect_gradcheck(ctx, mg_loss_bce(ctx, p, y));
}

static void test_bce_logit(void **state) {
    mg_ctx *ctx = *state;
    const struct {
        double z, y, loss, dz; /* dz = sigmoid(z) - y */
    } cases[] = {
        {2.0, 1.0, 0.1269280110429725, -0.11920292202211769},
        {-2.0, 0.0, 0.1269280110429725, 0.11920292202211769},
        {0.0, 1.0, 0.6931471805599453, -0.5}, /* the kink of relu: still exact */
        {0.0, 0.0, 0.6931471805599453, 0.5},
        {1000.0, 0.0, 1000.0, 1.0},           /* no overflow either way */
        {-1000.0, 1.0, 1000.0, -1.0},
        {-1000.0, 0.0, 0.0, 0.0},
        {40.0, 1.0, 4.248354255291589e-18, -4.248354255291589e-18},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value z = mg_leaf(ctx, cases[i].z), y = mg_input(ctx, cases[i].y);
        mg_value l = mg_loss_bce_logit(ctx, z, y);
        mg_backward(ctx, l);
        ASSERT_NEAR(mg_data(ctx, l), cases[i].loss, 1e-15);
        ASSERT_NEAR(mg_grad(ctx, z), cases[i].dz, 1e-15);
        mg_ctx_reset(ctx, mark);
    }
    mg_value z = mg_leaf(ctx, 0.7), y = mg_leaf(ctx, 0.25);
    expect_gradcheck(ctx, mg_loss_bce_logit(ctx, z, y));
    z = mg_leaf(ctx, -1.3);
    expect_gradcheck(ctx, mg_loss_bce_logit(ctx, z, mg_input(ctx, 1.0)));
}

/* ==== hinge ============================================================================== */

static void test_hinge(void **state) {
    mg_ctx *ctx = *state;
    const struct {
        double s, y, loss, ds;
    } cases[] = {
        {0.3, 1.0, 0.7, -1.0},
        {0.3, -1.0, 1.3, 1.0},
        {2.0, 1.0, 0.0, 0.0}, /* beyond the margin: no loss, no gradient */
        {-2.0, -1.0, 0.0, 0.0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value s = mg_leaf(ctx, cases[i].s), y = mg_input(ctx, cases[i].y);
        mg_value l = mg_loss_hinge(ctx, s, y);
        mg_backward(ctx, l);
        ASSERT_NEAR(mg_data(ctx, l), cases[i].loss, 1e-15);
        ASSERT_NEAR(mg_grad(ctx, s), cases[i].ds, 0);
        mg_ctx_reset(ctx, mark);
    }
    mg_value s = mg_leaf(ctx, 0.4);
    expect_gradcheck(ctx, mg_loss_hinge(ctx, s, mg_const(ctx, -1.0)));
}

/* ==== softmax cross-entropy ============================================================== */

static void onehot(mg_ctx *ctx, size_t k, size_t t, mg_value *y) {
    for (size_t i = 0; i < k; i++) y[i] = mg_input(ctx, i == t ? 1.0 : 0.0);
}

/* logits (1, 2, 3), class 2: log(e + e^2 + e^3) - 3; gradient softmax - onehot. */
static void test_softmax_ce_values(void **state) {
    mg_ctx *ctx = *state;
    const double softmax[3] = {0.09003057317038046, 0.24472847105479767, 0.6652409557748219};
    for (int sub = 0; sub <= 1; sub++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value z[3] = {mg_leaf(ctx, 1.0), mg_leaf(ctx, 2.0), mg_leaf(ctx, 3.0)}, y[3];
        onehot(ctx, 3, 2, y);
        mg_value l = mg_loss_softmax_ce(ctx, 3, z, y, sub);
        mg_backward(ctx, l);
        ASSERT_NEAR(mg_data(ctx, l), 0.4076059644443806, 1e-15);
        for (int i = 0; i < 3; i++) ASSERT_NEAR(mg_grad(ctx, z[i]), softmax[i] - (i == 2), 1e-15);
        mg_ctx_reset(ctx, mark);
        onehot(ctx, 3, 0, y);
        z[0] = mg_leaf(ctx, 1.0), z[1] = mg_leaf(ctx, 2.0), z[2] = mg_leaf(ctx, 3.0);
        ASSERT_NEAR(mg_data(ctx, mg_loss_softmax_ce(ctx, 3, z, y, sub)), 2.4076059644443806, 1e-15);
        mg_ctx_reset(ctx, mark);
    }
}

/* Without max subtraction the loss is the reference run's, op for op:
 * -log(e_t * (0 + e_0 + e_1 + e_2)**-1), bit for bit. */
static void test_softmax_ce_reference_form(void **state) {
    mg_ctx *ctx = *state;
    const double zs[3] = {0.5, -1.2, 2.0};
    for (size_t t = 0; t < 3; t++) {
        double e[3], s = 0.0;
        for (int i = 0; i < 3; i++) e[i] = exp(zs[i]);
        for (int i = 0; i < 3; i++) s += e[i];
        double want = -log(e[t] * pow(s, -1.0));
        mg_value z[3] = {mg_leaf(ctx, zs[0]), mg_leaf(ctx, zs[1]), mg_leaf(ctx, zs[2])}, y[3];
        onehot(ctx, 3, t, y);
        assert_true(mg_data(ctx, mg_loss_softmax_ce(ctx, 3, z, y, 0)) == want);
    }
}

static void test_softmax_ce_large_logits(void **state) {
    mg_ctx *ctx = *state;
    mg_value z[3] = {mg_leaf(ctx, 1000.0), mg_leaf(ctx, 0.0), mg_leaf(ctx, -1000.0)}, y[3];
    onehot(ctx, 3, 1, y);
    mg_value stable = mg_loss_softmax_ce(ctx, 3, z, y, 1);
    mg_backward(ctx, stable);
    ASSERT_NEAR(mg_data(ctx, stable), 1000.0, 0);
    ASSERT_NEAR(mg_grad(ctx, z[0]), 1.0, 0);
    ASSERT_NEAR(mg_grad(ctx, z[1]), -1.0, 0);
    ASSERT_NEAR(mg_grad(ctx, z[2]), 0.0, 0);
    /* The reference form overflows: e^1000 is inf. */
    assert_false(isfinite(mg_data(ctx, mg_loss_softmax_ce(ctx, 3, z, y, 0))));
    /* Far from its class, without overflow, the unstable form underflows to an infinite
     * loss while the stable one is exact. */
    mg_value w[2] = {mg_leaf(ctx, 0.0), mg_leaf(ctx, -800.0)}, t[2];
    onehot(ctx, 2, 1, t);
    ASSERT_NEAR(mg_data(ctx, mg_loss_softmax_ce(ctx, 2, w, t, 1)), 800.0, 0);
    assert_true(isinf(mg_data(ctx, mg_loss_softmax_ce(ctx, 2, w, t, 0))));
}

static void test_softmax_ce_gradcheck(void **state) {
    mg_ctx *ctx = *state;
    for (int sub = 0; sub <= 1; sub++) {
        mg_value z[4] = {mg_leaf(ctx, 0.2), mg_leaf(ctx, -0.4), mg_leaf(ctx, 1.1),
                         mg_leaf(ctx, 0.05)}, y[4];
        onehot(ctx, 4, 2, y);
        expect_gradcheck(ctx, mg_loss_softmax_ce(ctx, 4, z, y, sub));
    }
    /* More classes than fit on the stack. */
    mg_value z[100], y[100];
    for (int i = 0; i < 100; i++) z[i] = mg_leaf(ctx, sin(i));
    onehot(ctx, 100, 37, y);
    mg_value l = mg_loss_softmax_ce(ctx, 100, z, y, 1);
    double s = 0.0, m = 1.0;
    for (int i = 0; i < 100; i++) m = fmax(m, sin(i));
    for (int i = 0; i < 100; i++) s += exp(sin(i) - m);
    ASSERT_NEAR(mg_data(ctx, l), m + log(s) - sin(37), 1e-12);
}

/* ==== reductions and regularisation ====================================================== */

static void test_mean_and_l2(void **state) {
    mg_ctx *ctx = *state;
    mg_value ls[3] = {mg_leaf(ctx, 1.0), mg_leaf(ctx, 2.0), mg_leaf(ctx, 4.0)};
    mg_value mean = mg_loss_mean(ctx, 3, ls);
    mg_backward(ctx, mean);
    /* (0 + 1 + 2 + 4) * (1/3) in doubles: 2.333333333333333, one ulp under 7/3. */
    assert_true(mg_data(ctx, mean) == 2.333333333333333);
    for (int i = 0; i < 3; i++) ASSERT_NEAR(mg_grad(ctx, ls[i]), 1.0 / 3.0, 0);

    /* micrograd's reg_loss: alpha * sum(p*p); d/dp = 2 alpha p. */
    mg_value p[3] = {mg_param(ctx, 1.0), mg_param(ctx, -2.0), mg_param(ctx, 3.0)};
    mg_value l2 = mg_loss_l2(ctx, 3, p, 0.5);
    mg_backward(ctx, l2);
    ASSERT_NEAR(mg_data(ctx, l2), 7.0, 0);
    ASSERT_NEAR(mg_grad(ctx, p[0]), 1.0, 0);
    ASSERT_NEAR(mg_grad(ctx, p[1]), -2.0, 0);
    ASSERT_NEAR(mg_grad(ctx, p[2]), 3.0, 0);
    expect_gradcheck(ctx, mg_loss_l2(ctx, 3, p, 1e-1));
}

/* The L2 term on numbers (the compiled training step's) is the graph's bit for bit: its
 * value, and the gradient it adds onto grads that are not zero. */
static void test_l2_numbers_match_graph(void **state) {
    mg_ctx *ctx = *state;
    enum { N = 1001 };
    mg_rng rng;
    mg_rng_seed(&rng, 3);
    static double start[N], grad[N];
    mg_value p[N];
    for (int i = 0; i < N; i++) {
        p[i] = mg_param(ctx, mg_rng_uniform(&rng, -1.0, 1.0) * pow(10.0, (double)(i % 7) - 3.0));
        start[i] = mg_rng_uniform(&rng, -1.0, 1.0);
    }
    const double alphas[] = {1e-4, 0.37, 3.0};
    for (size_t a = 0; a < sizeof alphas / sizeof *alphas; a++) {
        mg_mark mark = mg_ctx_mark(ctx);
        for (int i = 0; i < N; i++) mg_grad_ptr(ctx, p[i])[0] = start[i];
        mg_value l2 = mg_loss_l2(ctx, N, p, alphas[a]);
        mg_backward(ctx, l2);
        const double *data = mg_data_ptr(ctx, p[0]);
        memcpy(grad, start, sizeof grad);
        double v = mg__loss_l2_numbers(N, data, alphas[a], grad);
        assert_memory_equal(&v, mg_data_ptr(ctx, l2), sizeof v);
        assert_memory_equal(grad, mg_grad_ptr(ctx, p[0]), sizeof grad);
        assert_true(v > 0.0);
        mg_ctx_reset(ctx, mark);
    }
}

/* MG_NULL in, MG_NULL out (so a failed allocation surfaces once, at the end). */
static void test_null_propagates(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 1.0), nul = MG_NULL;
    assert_false(mg_ok(mg_loss_bce(ctx, nul, a)));
    assert_false(mg_ok(mg_loss_bce_logit(ctx, a, nul)));
    assert_false(mg_ok(mg_loss_hinge(ctx, nul, a)));
    assert_false(mg_ok(mg_loss_mse(ctx, 1, &nul, &a)));
    mg_value z[2] = {a, nul}, y[2] = {a, a};
    assert_false(mg_ok(mg_loss_softmax_ce(ctx, 2, z, y, 1)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mse, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_bce_probability, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_bce_logit, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_hinge, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_softmax_ce_values, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_softmax_ce_reference_form, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_softmax_ce_large_logits, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_softmax_ce_gradcheck, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_mean_and_l2, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_l2_numbers_match_graph, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_null_propagates, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
