/* test_engine.c - the engine: ops, backward, golden values from micrograd's README and
 * tests, finite-difference checks, numerics, mark/reset, RNG test vectors. */
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

#include "micrograd.h"
#include "testutil.h"


/* ==== golden values ===================================================================== */

/* micrograd's test_more_ops (and its README). */
static void test_readme_expression(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, -4.0), b = mg_leaf(ctx, 2.0);
    mg_value c = mg_add(ctx, a, b);
    mg_value d = mg_add(ctx, mg_mul(ctx, a, b), mg_powf(ctx, b, 3));
    c = mg_add(ctx, c, mg_addf(ctx, c, 1));
    c = mg_add(ctx, c, mg_add(ctx, mg_addf(ctx, c, 1), mg_neg(ctx, a)));
    d = mg_add(ctx, d, mg_add(ctx, mg_mulf(ctx, d, 2), mg_relu(ctx, mg_add(ctx, b, a))));
    d = mg_add(ctx, d, mg_add(ctx, mg_mulf(ctx, d, 3), mg_relu(ctx, mg_sub(ctx, b, a))));
    mg_value e = mg_sub(ctx, c, d);
    mg_value f = mg_powf(ctx, e, 2);
    mg_value g = mg_divf(ctx, f, 2.0);
    g = mg_add(ctx, g, mg_rdivf(ctx, 10.0, f));
    mg_backward(ctx, g);
    ASSERT_REL(mg_data(ctx, g), 24.70408163265306, 1e-12);
    ASSERT_REL(mg_grad(ctx, a), 138.83381924198252, 1e-12);
    ASSERT_REL(mg_grad(ctx, b), 645.5772594752186, 1e-12);
}

/* micrograd's test_sanity_check. */
static void test_sanity_check(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf(ctx, -4.0);
    mg_value z = mg_add(ctx, mg_addf(ctx, mg_mulf(ctx, x, 2), 2), x);
    mg_value q = mg_add(ctx, mg_relu(ctx, z), mg_mul(ctx, z, x));
    mg_value h = mg_relu(ctx, mg_mul(ctx, z, z));
    mg_value y = mg_add(ctx, mg_add(ctx, h, q), mg_mul(ctx, q, x));
    mg_backward(ctx, y);
    ASSERT_NEAR(mg_data(ctx, y), -20.0, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, x), 46.0, 1e-12);
}

/* The walkthrough's L = (a*b + c) * f. */
static void test_walkthrough_L(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 2.0), b = mg_leaf(ctx, -3.0), c = mg_leaf(ctx, 10.0);
    mg_value f = mg_leaf(ctx, -2.0);
    mg_value e = mg_mul(ctx, a, b), d = mg_add(ctx, e, c), L = mg_mul(ctx, d, f);
    mg_backward(ctx, L);
    ASSERT_NEAR(mg_data(ctx, L), -8.0, 0);
    ASSERT_NEAR(mg_grad(ctx, L), 1.0, 0);
    ASSERT_NEAR(mg_grad(ctx, a), 6.0, 0);
    ASSERT_NEAR(mg_grad(ctx, b), -4.0, 0);
    ASSERT_NEAR(mg_grad(ctx, c), -2.0, 0);
    ASSERT_NEAR(mg_grad(ctx, e), -2.0, 0);
    ASSERT_NEAR(mg_grad(ctx, d), -2.0, 0);
    ASSERT_NEAR(mg_grad(ctx, f), 4.0, 0);
}

/* The neuron with bias 6.8813735870195432: tanh directly and built from exp. */
static void test_neuron(void **state) {
    mg_ctx *ctx = *state;
    for (int from_exp = 0; from_exp < 2; from_exp++) {
        mg_value x1 = mg_leaf(ctx, 2.0), x2 = mg_leaf(ctx, 0.0);
        mg_value w1 = mg_leaf(ctx, -3.0), w2 = mg_leaf(ctx, 1.0);
        mg_value b = mg_leaf(ctx, 6.8813735870195432);
        mg_value n = mg_add(ctx, mg_add(ctx, mg_mul(ctx, x1, w1), mg_mul(ctx, x2, w2)), b);
        mg_value o;
        if (from_exp) {
            mg_value e = mg_exp(ctx, mg_mulf(ctx, n, 2));
            o = mg_div(ctx, mg_subf(ctx, e, 1), mg_addf(ctx, e, 1));
        } else {
            o = mg_tanh(ctx, n);
        }
        mg_backward(ctx, o);
        ASSERT_NEAR(mg_data(ctx, o), 0.7071, 1e-4);
        ASSERT_NEAR(mg_grad(ctx, x1), -1.5, 1e-6);
        ASSERT_NEAR(mg_grad(ctx, w1), 1.0, 1e-6);
        ASSERT_NEAR(mg_grad(ctx, x2), 0.5, 1e-6);
        ASSERT_NEAR(mg_grad(ctx, w2), 0.0, 1e-12);
    }
}

/* The same neuron as one dot value: b + w1*x1 + w2*x2. */
static void test_dot_neuron(void **state) {
    mg_ctx *ctx = *state;
    mg_value x[2] = {mg_input(ctx, 2.0), mg_input(ctx, 0.0)};
    mg_value w[2] = {mg_param(ctx, -3.0), mg_param(ctx, 1.0)};
    mg_value b = mg_param(ctx, 6.8813735870195432);
    mg_value o = mg_tanh(ctx, mg_dot(ctx, b, 2, w, x));
    mg_backward(ctx, o);
    ASSERT_NEAR(mg_data(ctx, o), 0.70710678118654746, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, x[0]), -1.5, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, w[0]), 1.0, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, x[1]), 0.5, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, w[1]), 0.0, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, b), 0.5, 1e-12);
    assert_int_equal(mg_noperands(ctx, mg_operand(ctx, o, 0)), 5);
    assert_true(mg_dot_has_bias(ctx, mg_operand(ctx, o, 0)));
    /* Without a bias, and with no terms at all. */
    mg_value nb = mg_dot(ctx, MG_NULL, 2, w, x);
    ASSERT_NEAR(mg_data(ctx, nb), -6.0, 0);
    assert_false(mg_dot_has_bias(ctx, nb));
    ASSERT_NEAR(mg_data(ctx, mg_dot(ctx, MG_NULL, 0, NULL, NULL)), 0.0, 0);
}

/* ==== every op against finite differences =============================================== */

typedef mg_value (*unary_fn)(mg_ctx *, mg_value);
typedef mg_value (*binary_fn)(mg_ctx *, mg_value, mg_value);

static void check_unary(mg_ctx *ctx, mg_mark start, const char *name, unary_fn f, double x) {
    mg_ctx_reset(ctx, start);
    mg_value a = mg_leaf(ctx, x);
    /* Multiply by a leaf so the upstream gradient is not 1. */
    mg_value out = mg_mul(ctx, f(ctx, a), mg_leaf(ctx, 1.7));
    mg_gradcheck_report rep;
    double err = mg_gradcheck(ctx, out, 1e-6, &rep);
    if (!(err < 1e-6)) fail_msg("%s at %g: gradcheck error %g", name, x, err);
    assert_int_equal(rep.nchecked, 2);
}

static void check_binary(mg_ctx *ctx, mg_mark start, const char *name, binary_fn f, double x,
                         double y) {
    mg_ctx_reset(ctx, start);
    mg_value a = mg_leaf(ctx, x), b = mg_leaf(ctx, y);
    mg_value out = mg_mul(ctx, f(ctx, a, b), mg_leaf(ctx, -0.9));
    mg_gradcheck_report rep;
    double err = mg_gradcheck(ctx, out, 1e-6, &rep);
    if (!(err < 1e-6)) fail_msg("%s at (%g, %g): gradcheck error %g", name, x, y, err);
    assert_true(rep.max_abs_grad > 0.0);
}

static mg_value pow_half(mg_ctx *ctx, mg_value a) { return mg_powf(ctx, a, 0.5); }
static mg_value pow_cube(mg_ctx *ctx, mg_value a) { return mg_powf(ctx, a, 3); }
static mg_value pow_inv(mg_ctx *ctx, mg_value a) { return mg_powf(ctx, a, -1); }
static mg_value add_k(mg_ctx *ctx, mg_value a) { return mg_addf(ctx, a, 1.5); }
static mg_value sub_k(mg_ctx *ctx, mg_value a) { return mg_subf(ctx, a, 1.5); }
static mg_value rsub_k(mg_ctx *ctx, mg_value a) { return mg_rsubf(ctx, 1.5, a); }
static mg_value mul_k(mg_ctx *ctx, mg_value a) { return mg_mulf(ctx, a, 2.5); }
static mg_value div_k(mg_ctx *ctx, mg_value a) { return mg_divf(ctx, a, 2.5); }
static mg_value rdiv_k(mg_ctx *ctx, mg_value a) { return mg_rdivf(ctx, 10.0, a); }

static void test_gradcheck_every_op(void **state) {
    mg_ctx *ctx = *state;
    mg_mark start = mg_ctx_mark(ctx);
    const double xs[] = {-2.3, -0.4, 0.7, 1.9};
    struct { const char *name; unary_fn f; int positive_only; } un[] = {
        {"neg", mg_neg, 0},    {"exp", mg_exp, 0},     {"log", mg_log, 1},
        {"tanh", mg_tanh, 0},  {"relu", mg_relu, 0},   {"sigmoid", mg_sigmoid, 0},
        {"**0.5", pow_half, 1}, {"**3", pow_cube, 0},  {"**-1", pow_inv, 0},
        {"+k", add_k, 0},      {"-k", sub_k, 0},       {"k-", rsub_k, 0},
        {"*k", mul_k, 0},      {"/k", div_k, 0},       {"k/", rdiv_k, 0},
    };
    for (size_t i = 0; i < sizeof un / sizeof *un; i++)
        for (size_t k = 0; k < sizeof xs / sizeof *xs; k++)
            if (!un[i].positive_only || xs[k] > 0) check_unary(ctx, start, un[i].name, un[i].f, xs[k]);
    struct { const char *name; binary_fn f; int positive_base; } bin[] = {
        {"add", mg_add, 0}, {"sub", mg_sub, 0}, {"mul", mg_mul, 0},
        {"div", mg_div, 0}, {"pow", mg_pow, 1},
    };
    for (size_t i = 0; i < sizeof bin / sizeof *bin; i++)
        for (size_t k = 0; k < sizeof xs / sizeof *xs; k++)
            for (size_t j = 0; j < sizeof xs / sizeof *xs; j++)
                if (!bin[i].positive_base || xs[k] > 0)
                    check_binary(ctx, start, bin[i].name, bin[i].f, xs[k], xs[j]);
}

static void test_gradcheck_sum_dot(void **state) {
    mg_ctx *ctx = *state;
    mg_value w[5], x[5];
    for (int i = 0; i < 5; i++) {
        w[i] = mg_param(ctx, 0.3 * i - 0.7);
        x[i] = mg_input(ctx, 1.1 - 0.45 * i);
    }
    mg_value b = mg_param(ctx, 0.25);
    mg_value s = mg_sum(ctx, 5, x);
    mg_value d = mg_dot(ctx, b, 5, w, x);
    mg_value out = mg_tanh(ctx, mg_mul(ctx, s, d));
    mg_gradcheck_report rep;
    assert_true(mg_gradcheck(ctx, out, 1e-6, &rep) < 1e-7);
    assert_int_equal(rep.nchecked, 11);
    assert_true(rep.max_abs_grad > 0.1);
    /* A value appearing in a dot as both a weight and an input. */
    mg_value sq = mg_dot(ctx, MG_NULL, 1, &w[1], &w[1]); /* w1*w1 */
    mg_zero_grad(ctx, 1, &w[1]);
    mg_backward(ctx, sq);
    ASSERT_NEAR(mg_grad(ctx, w[1]), 2 * mg_data(ctx, w[1]), 1e-15);
}

/* Random graphs with shared subexpressions: every op, values reused many times. */
static void test_gradcheck_random_graphs(void **state) {
    mg_ctx *ctx = *state;
    mg_mark start = mg_ctx_mark(ctx);
    mg_rng rng;
    mg_rng_seed(&rng, 7);
    for (int trial = 0; trial < 60; trial++) {
        mg_ctx_reset(ctx, start);
        mg_value pool[64];
        size_t n = 0;
        for (int i = 0; i < 4; i++) pool[n++] = mg_leaf(ctx, mg_rng_uniform(&rng, -1.5, 1.5));
        while (n < 40) {
            mg_value a = pool[mg_rng_below(&rng, (uint32_t)n)];
            mg_value b = pool[mg_rng_below(&rng, (uint32_t)n)];
            mg_value v;
            switch (mg_rng_below(&rng, 11)) {
            case 0: v = mg_add(ctx, a, b); break;
            case 1: v = mg_sub(ctx, a, b); break;
            case 2: v = mg_mul(ctx, a, b); break;
            case 3: v = mg_tanh(ctx, a); break;
            case 4: v = mg_sigmoid(ctx, a); break;
            case 5: v = mg_div(ctx, a, mg_addf(ctx, mg_powf(ctx, b, 2), 1.0)); break;
            case 6: v = mg_exp(ctx, mg_tanh(ctx, a)); break;
            case 7: v = mg_log(ctx, mg_addf(ctx, mg_mul(ctx, a, a), 0.5)); break;
            case 8: v = mg_neg(ctx, a); break;
            case 9: {
                mg_value w[3] = {a, b, a}, x[3] = {b, b, pool[0]};
                v = mg_dot(ctx, a, 3, w, x);
                break;
            }
            default: {
                mg_value xs[3] = {a, b, a};
                v = mg_sum(ctx, 3, xs);
                break;
            }
            }
            /* Keep magnitudes tame so finite differences stay accurate. */
            pool[n++] = mg_tanh(ctx, v);
        }
        mg_value out = mg_sum(ctx, n, pool); /* every leaf reaches the output */
        mg_gradcheck_report rep;
        double err = mg_gradcheck(ctx, out, 1e-6, &rep);
        if (!(err < 1e-6)) fail_msg("trial %d: gradcheck error %g", trial, err);
        assert_int_equal(rep.nchecked, 4);
    }
}

/* ==== backward semantics ================================================================ */

static void test_value_used_twice(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 1.5), b = mg_leaf(ctx, -0.5), c = mg_leaf(ctx, 3.0);
    mg_value x = mg_add(ctx, a, b);
    mg_value out = mg_add(ctx, x, mg_mul(ctx, x, c));
    mg_backward(ctx, out);
    ASSERT_NEAR(mg_grad(ctx, a), 1.0 + 3.0, 0);
    ASSERT_NEAR(mg_grad(ctx, b), 1.0 + 3.0, 0);
    ASSERT_NEAR(mg_grad(ctx, c), 1.0, 0);
    /* a + a: micrograd's famous bug case. */
    mg_value s = mg_add(ctx, a, a);
    mg_zero_grad(ctx, 1, &a);
    mg_backward(ctx, s);
    ASSERT_NEAR(mg_grad(ctx, a), 2.0, 0);
}

static void test_fanout_chain(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 1.0);
    mg_value x = a;
    for (int i = 0; i < 60; i++) x = mg_add(ctx, x, x);
    mg_backward(ctx, x);
    ASSERT_NEAR(mg_data(ctx, x), ldexp(1.0, 60), 0);
    ASSERT_NEAR(mg_grad(ctx, a), ldexp(1.0, 60), 0);
}

static void test_long_chain(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 0.5);
    mg_value x = a;
    for (int i = 0; i < 1000000; i++) x = mg_mulf(ctx, mg_addf(ctx, x, 1e-6), 1.0);
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK);
    mg_backward(ctx, x);
    ASSERT_NEAR(mg_grad(ctx, a), 1.0, 0);
    ASSERT_NEAR(mg_data(ctx, x), 0.5 + 1.0, 1e-9);
}

static void test_pow_cube_root(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf(ctx, 8.0);
    mg_value y = mg_powf(ctx, x, 1.0 / 3.0);
    mg_backward(ctx, y);
    ASSERT_NEAR(mg_data(ctx, y), 2.0, 1e-15);
    ASSERT_NEAR(mg_grad(ctx, x), 1.0 / 12.0, 1e-15);
    /* The value-exponent form gives both sides: d/db a^b = a^b ln a. */
    mg_value a = mg_leaf(ctx, 2.0), b = mg_leaf(ctx, 3.0);
    mg_value p = mg_pow(ctx, a, b);
    mg_backward(ctx, p);
    ASSERT_NEAR(mg_grad(ctx, a), 12.0, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, b), 8.0 * log(2.0), 1e-12);
}

static void test_independent_graphs(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 2.0), b = mg_leaf(ctx, 3.0);
    mg_value g1 = mg_mul(ctx, a, b);
    mg_value p = mg_leaf(ctx, 5.0), q = mg_leaf(ctx, 7.0);
    mg_value mid = mg_add(ctx, p, q);
    mg_value g2 = mg_tanh(ctx, mid);
    mg_backward(ctx, g2);
    double gp = mg_grad(ctx, p), gmid = mg_grad(ctx, mid);
    mg_backward(ctx, g1);
    ASSERT_NEAR(mg_grad(ctx, a), 3.0, 0);
    ASSERT_NEAR(mg_grad(ctx, b), 2.0, 0);
    ASSERT_NEAR(mg_grad(ctx, p), gp, 0);
    ASSERT_NEAR(mg_grad(ctx, mid), gmid, 0);
    ASSERT_NEAR(mg_grad(ctx, g2), 1.0, 0);
}

static void test_backward_twice_doubles_leaves(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 2.0), b = mg_leaf(ctx, -3.0);
    mg_value e = mg_mul(ctx, a, b);
    mg_value L = mg_mul(ctx, e, mg_leaf(ctx, 4.0));
    mg_backward(ctx, L);
    mg_backward(ctx, L);
    ASSERT_NEAR(mg_grad(ctx, a), 2 * -12.0, 0);
    ASSERT_NEAR(mg_grad(ctx, b), 2 * 8.0, 0);
    ASSERT_NEAR(mg_grad(ctx, e), 4.0, 0); /* interior: reset, not doubled */
    ASSERT_NEAR(mg_grad(ctx, L), 1.0, 0);
    mg_value leaves[2] = {a, b};
    mg_zero_grad(ctx, 2, leaves);
    ASSERT_NEAR(mg_grad(ctx, a), 0.0, 0);
    ASSERT_NEAR(mg_grad(ctx, b), 0.0, 0);
}

static void test_backward_from_upstream(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 2.0), b = mg_leaf(ctx, 5.0);
    mg_value y = mg_mul(ctx, a, b);
    mg_backward_from(ctx, y, -2.0);
    ASSERT_NEAR(mg_grad(ctx, y), -2.0, 0);
    ASSERT_NEAR(mg_grad(ctx, a), -10.0, 0);
    ASSERT_NEAR(mg_grad(ctx, b), -4.0, 0);
    mg_backward_from(ctx, a, 0.5); /* a leaf root accumulates */
    ASSERT_NEAR(mg_grad(ctx, a), -9.5, 0);
}

static void test_zero_grad_span_and_forward(void **state) {
    mg_ctx *ctx = *state;
    mg_value p0 = mg_param(ctx, 1.0);
    mg_value p1 = mg_param(ctx, 2.0);
    mg_value p2 = mg_param(ctx, 3.0);
    mg_value y = mg_mul(ctx, mg_add(ctx, p0, p1), p2);
    mg_backward(ctx, y);
    ASSERT_NEAR(mg_grad(ctx, p2), 3.0, 0);
    mg_zero_grad_span(ctx, p0, 3);
    ASSERT_NEAR(mg_grad(ctx, p0) + mg_grad(ctx, p1) + mg_grad(ctx, p2), 0.0, 0);
    double *data = mg_data_ptr(ctx, p0);
    data[2] = 10.0; /* p2, through the flat span */
    ASSERT_NEAR(mg_data(ctx, y), 9.0, 0); /* not recomputed yet */
    ASSERT_NEAR(mg_forward(ctx, y), 30.0, 0);
    ASSERT_NEAR(mg_data(ctx, y), 30.0, 0);
}

/* ==== mixed forms and walking the graph ================================================= */

static void test_mixed_forms(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 4.0), f = mg_leaf(ctx, 8.0);
    ASSERT_NEAR(mg_data(ctx, mg_addf(ctx, a, 1)), 5.0, 0);
    ASSERT_NEAR(mg_data(ctx, mg_mulf(ctx, a, 2)), 8.0, 0);
    ASSERT_NEAR(mg_data(ctx, mg_rdivf(ctx, 10, f)), 1.25, 0);
    ASSERT_NEAR(mg_data(ctx, mg_rsubf(ctx, 1, a)), -3.0, 0);
    ASSERT_NEAR(mg_data(ctx, mg_div(ctx, a, f)), 0.5, 0);
    ASSERT_NEAR(mg_data(ctx, mg_sub(ctx, a, f)), -4.0, 0);
    ASSERT_NEAR(mg_data(ctx, mg_exp(ctx, a)), 54.598150033144236, 1e-12);
    ASSERT_NEAR(mg_data(ctx, mg_powf(ctx, mg_leaf(ctx, 5.0), 3)), 125.0, 0);
    mg_value m = mg_mulf(ctx, a, 2);
    assert_int_equal(mg_op_of(ctx, m), MG_OP_MUL);
    assert_int_equal(mg_role_of(ctx, mg_operand(ctx, m, 1)), MG_ROLE_CONST);
    assert_true(mg_same(mg_operand(ctx, m, 0), a));
    mg_value p = mg_powf(ctx, a, 2);
    assert_int_equal(mg_op_of(ctx, p), MG_OP_POWC);
    ASSERT_NEAR(mg_data(ctx, mg_operand(ctx, p, 1)), 2.0, 0);
    assert_string_equal(mg_op_symbol(MG_OP_MUL), "*");
    assert_string_equal(mg_op_name(MG_OP_TANH), "tanh");
    assert_int_equal(mg_index(ctx, a), 0);
    assert_true(mg_same(mg_at(ctx, 0), a));
}

static void test_labels(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf_ex(ctx, 1.0, MG_ROLE_PARAM, "w1");
    assert_string_equal(mg_label(ctx, a), "w1");
    assert_int_equal(mg_role_of(ctx, a), MG_ROLE_PARAM);
    mg_mark m = mg_ctx_mark(ctx);
    mg_value b = mg_set_label(ctx, mg_tanh(ctx, a), "o");
    assert_string_equal(mg_label(ctx, b), "o");
    mg_set_label(ctx, a, "relabelled after the mark");
    mg_ctx_reset(ctx, m);
    /* The relabel's text was dropped with the reset, so the label goes too. */
    assert_string_equal(mg_label(ctx, a), "");
    mg_set_label(ctx, a, NULL);
    assert_string_equal(mg_label(ctx, a), "");
}

/* ==== numerics ========================================================================== */

static void test_numerics_saturate(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf(ctx, 1000.0);
    mg_value t = mg_tanh(ctx, x);
    mg_backward(ctx, t);
    ASSERT_NEAR(mg_data(ctx, t), 1.0, 0);
    ASSERT_NEAR(mg_grad(ctx, x), 0.0, 0);
    mg_value y = mg_leaf(ctx, -1000.0);
    mg_value s = mg_sigmoid(ctx, y);
    mg_backward(ctx, s);
    ASSERT_NEAR(mg_data(ctx, s), 0.0, 0);
    ASSERT_NEAR(mg_grad(ctx, y), 0.0, 0);
    assert_false(isnan(mg_grad(ctx, y)));
    mg_value s2 = mg_sigmoid(ctx, mg_leaf(ctx, 1000.0));
    ASSERT_NEAR(mg_data(ctx, s2), 1.0, 0);
    mg_value tn = mg_tanh(ctx, mg_leaf(ctx, -1000.0));
    ASSERT_NEAR(mg_data(ctx, tn), -1.0, 0);
    ASSERT_NEAR(mg_data(ctx, mg_exp(ctx, mg_leaf(ctx, -1000.0))), 0.0, 0);
    assert_true(mg_ok(mg_find_nonfinite(ctx, 0, 1)) == 0);
}

static void test_numerics_out_of_domain(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 3.0);
    mg_value ok = mg_mulf(ctx, a, 2);
    mg_value neg = mg_leaf_ex(ctx, -1.0, MG_ROLE_LEAF, "x");
    mg_value bad = mg_set_label(ctx, mg_log(ctx, neg), "lx");
    mg_value out = mg_add(ctx, ok, bad);
    assert_true(isnan(mg_data(ctx, bad)));
    assert_true(isnan(mg_data(ctx, out)));
    mg_value first = mg_find_nonfinite(ctx, 0, 0);
    assert_true(mg_same(first, bad));
    assert_int_equal(mg_op_of(ctx, first), MG_OP_LOG);
    char buf[128];
    mg_describe(ctx, first, buf, sizeof buf);
    assert_non_null(strstr(buf, "log"));
    assert_non_null(strstr(buf, "'lx'"));
    assert_non_null(strstr(buf, "nan"));
    /* 0 to a negative power is infinite, per IEEE. */
    mg_value z = mg_powf(ctx, mg_leaf(ctx, 0.0), -1);
    assert_true(isinf(mg_data(ctx, z)));
    assert_true(mg_same(mg_find_nonfinite(ctx, mg_index(ctx, out) + 1, 0), z));
}

/* ==== memory: mark/reset, caps, MG_NULL propagation ===================================== */

static void test_mark_reset_reuses_memory(void **state) {
    mg_ctx *ctx = *state;
    mg_value w = mg_param(ctx, 0.5);
    mg_mark m = mg_ctx_mark(ctx);
    size_t bytes_after_warmup = 0;
    for (int cycle = 0; cycle < 1000; cycle++) {
        mg_value x = mg_input(ctx, cycle * 0.001);
        mg_value y = w;
        for (int k = 0; k < 100; k++) y = mg_tanh(ctx, mg_add(ctx, mg_mul(ctx, y, x), w));
        mg_set_label(ctx, y, "y");
        mg_backward(ctx, y);
        mg_ctx_reset(ctx, m);
        if (cycle == 0) bytes_after_warmup = mg_ctx_bytes(ctx);
        assert_int_equal(mg_ctx_bytes(ctx), bytes_after_warmup);
        assert_int_equal(mg_ctx_size(ctx), 1);
    }
    assert_true(mg_grad(ctx, w) != 0.0);
}

static void test_memory_cap(void **state) {
    mg_ctx *ctx = *state;
    mg_ctx_set_max_bytes(ctx, 64 * 1024);
    mg_value x = mg_leaf(ctx, 1.0);
    for (int i = 0; i < 100000 && mg_ok(x); i++) x = mg_addf(ctx, x, 1.0);
    assert_false(mg_ok(x));
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_NOMEM);
    assert_non_null(strstr(mg_ctx_errmsg(ctx), "cap"));
    assert_true(mg_ctx_bytes(ctx) <= 64 * 1024);
    /* MG_NULL flows through every op. */
    assert_false(mg_ok(mg_tanh(ctx, x)));
    assert_false(mg_ok(mg_add(ctx, x, mg_at(ctx, 0))));
    mg_backward(ctx, x); /* a no-op, not a crash */
    mg_ctx_clear_status(ctx);
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK);
    assert_string_equal(mg_ctx_errmsg(ctx), "");
}

/* Programmer errors abort with file, line and condition: run them in a child. */
static void expect_abort(void (*fn)(void), const char *fragment) {
    char buf[1024];
    assert_true(tu_aborts(fn, buf, sizeof buf));
    if (!strstr(buf, fragment)) fail_msg("expected '%s' in: %s", fragment, buf);
    assert_non_null(strstr(buf, ".c:"));
}

static void use_foreign_value(void) {
    mg_ctx *c1 = mg_ctx_new(), *c2 = mg_ctx_new();
    mg_value a = mg_leaf(c1, 1.0);
    mg_add(c2, a, a);
}

static void use_after_reset(void) {
    mg_ctx *c = mg_ctx_new();
    mg_mark m = mg_ctx_mark(c);
    mg_value a = mg_leaf(c, 1.0);
    mg_ctx_reset(c, m);
    mg_leaf(c, 2.0);
    mg_data(c, a);
}

static void test_programmer_errors_abort(void **state) {
    (void)state;
    expect_abort(use_foreign_value, "another context");
    expect_abort(use_after_reset, "after mg_ctx_reset");
}

/* ==== RNG and formatting ================================================================ */

static void test_rng_vectors(void **state) {
    (void)state;
    mg_rng r;
    mg_rng_seed(&r, 42);
    const uint32_t want[5] = {1456360119u, 3359763283u, 3393612768u, 4054632243u, 3283045847u};
    for (int i = 0; i < 5; i++) assert_int_equal(mg_rng_u32(&r), want[i]);
    mg_rng_seed(&r, 42);
    ASSERT_NEAR(mg_rng_uniform(&r, -1, 1), -0.32182955741882324, 0);
    ASSERT_NEAR(mg_rng_uniform(&r, -1, 1), 0.5645116567611694, 0);
    ASSERT_NEAR(mg_rng_uniform(&r, -1, 1), 0.5802739858627319, 0);
    /* The context's own generator starts at seed 42 too. */
    mg_ctx *ctx = *state;
    assert_int_equal(mg_rng_u32(mg_ctx_rng(ctx)), 1456360119u);
    /* Normals: mean ~0 and variance ~1 over many draws; below() stays in range. */
    double s = 0, s2 = 0;
    for (int i = 0; i < 20000; i++) {
        double z = mg_rng_normal(&r);
        s += z, s2 += z * z;
        assert_true(mg_rng_below(&r, 7) < 7);
    }
    ASSERT_NEAR(s / 20000, 0.0, 0.03);
    ASSERT_NEAR(s2 / 20000, 1.0, 0.05);
}

static void test_repr(void **state) {
    mg_ctx *ctx = *state;
    char buf[64];
    struct { double x; const char *s; } cases[] = {
        {4.0, "4.0"},        {-4.0, "-4.0"},    {0.5, "0.5"},   {0.1, "0.1"},
        {1e-05, "1e-05"},    {0.0001, "0.0001"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"},
        {123456789.125, "123456789.125"}, {-0.0, "-0.0"}, {0.0, "0.0"},
        {54.598150033144236, "54.598150033144236"}, {1.5e-07, "1.5e-07"},
        {1.0122152826497561, "1.0122152826497561"}, {2.5e+300, "2.5e+300"},
        {INFINITY, "inf"}, {-INFINITY, "-inf"}, {NAN, "nan"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_string_equal(mg_fmt_repr(cases[i].x, buf, sizeof buf), cases[i].s);
    mg_value a = mg_leaf(ctx, 2.0);
    assert_string_equal(mg_value_repr(ctx, a, buf, sizeof buf), "Value(data=2.0, grad=0.0)");
    mg_value t = mg_mulf(ctx, a, 3);
    mg_backward(ctx, t);
    assert_string_equal(mg_value_repr(ctx, a, buf, sizeof buf), "Value(data=2.0, grad=3.0)");
    /* Shortest round trip for arbitrary doubles. */
    mg_rng r;
    mg_rng_seed(&r, 3);
    for (int i = 0; i < 2000; i++) {
        double x = ldexp(mg_rng_uniform(&r, -1, 1), (int)mg_rng_below(&r, 200) - 100);
        mg_fmt_repr(x, buf, sizeof buf);
        assert_true(strtod(buf, NULL) == x);
    }
}

/* mg_ctx_check_numerics: the first op whose result is not finite fails the context and
 * returns MG_NULL (what builds on it too); backward names the first non-finite grad. */
static void test_check_numerics(void **state) {
    mg_ctx *ctx = *state;
    mg_ctx_check_numerics(ctx, 1);
    mg_value x = mg_leaf_ex(ctx, 0.0, MG_ROLE_LEAF, "x");
    mg_value ok = mg_exp(ctx, x);
    assert_true(mg_ok(ok));
    mg_value bad = mg_set_label(ctx, mg_log(ctx, x), "lx");
    assert_false(mg_ok(bad));
    assert_false(mg_ok(mg_add(ctx, bad, ok)));
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_NUMERIC);
    if (!strstr(mg_ctx_errmsg(ctx), "not finite: #") || !strstr(mg_ctx_errmsg(ctx), "log") ||
        !strstr(mg_ctx_errmsg(ctx), "-inf"))
        fail_msg("unexpected message: %s", mg_ctx_errmsg(ctx));
    mg_ctx_clear_status(ctx);
    /* sqrt(x) at 0 is finite, its slope is not */
    mg_value r = mg_powf(ctx, x, 0.5);
    assert_true(mg_ok(r));
    mg_backward(ctx, r);
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_NUMERIC);
    if (!strstr(mg_ctx_errmsg(ctx), "gradient not finite") || !strstr(mg_ctx_errmsg(ctx), "'x'"))
        fail_msg("unexpected message: %s", mg_ctx_errmsg(ctx));
    mg_ctx_clear_status(ctx);
    mg_ctx_check_numerics(ctx, 0);
    assert_true(isinf(mg_data(ctx, mg_log(ctx, x))));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_readme_expression, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_sanity_check, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_walkthrough_L, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_neuron, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_dot_neuron, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_every_op, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_sum_dot, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_random_graphs, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_value_used_twice, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_fanout_chain, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_long_chain, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_pow_cube_root, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_independent_graphs, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_backward_twice_doubles_leaves, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_backward_from_upstream, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_zero_grad_span_and_forward, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_mixed_forms, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_labels, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_numerics_saturate, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_numerics_out_of_domain, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_mark_reset_reuses_memory, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_memory_cap, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_programmer_errors_abort),
        cmocka_unit_test_setup_teardown(test_rng_vectors, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_repr, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_check_numerics, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
