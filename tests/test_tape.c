/* test_tape.c - the tape's layout as its contracts show it: a fresh value's grad reads 0
 * though op grads are not stored when made, backward's two walks (no marks when root
 * reaches every op value, marks otherwise) leave the same grads bit for bit, values root
 * does not reach are left alone, labels in their side table follow marks and resets,
 * handles are checked, the bytes a value takes; and numbers print as Python's repr at
 * powers of two. */
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
#include "testutil.h"

/* ==== helpers ============================================================================ */

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

/* A network-like graph over the leaves x[0..n): layers of dots, tanh, relu, sigmoid, exp
 * and every binary op, summed into one root; every op value is used. */
static mg_value build_net(mg_ctx *ctx, const mg_value *x, size_t n) {
    mg_value h[8], w[8];
    for (size_t k = 0; k < 8; k++) w[k] = x[(3 * k + 1) % n];
    for (size_t j = 0; j < 8; j++) {
        mg_value d = mg_dot(ctx, x[j % n], n < 8 ? n : 8, w, x);
        switch (j % 4) {
        case 0: h[j] = mg_tanh(ctx, d); break;
        case 1: h[j] = mg_relu(ctx, mg_sub(ctx, d, x[0])); break;
        case 2: h[j] = mg_sigmoid(ctx, mg_div(ctx, d, mg_addf(ctx, mg_mul(ctx, x[1], x[1]), 1.0))); break;
        default: h[j] = mg_exp(ctx, mg_mulf(ctx, mg_powf(ctx, d, 2.0), -0.01)); break;
        }
    }
    mg_value s = mg_sum(ctx, 8, h);
    return mg_add(ctx, mg_log(ctx, mg_addf(ctx, mg_mul(ctx, s, s), 1.0)), mg_neg(ctx, h[3]));
}

/* The grads of every value, after zeroing every grad and one backward from root. */
static double *grads_after_backward(mg_ctx *ctx, mg_value root) {
    size_t n = mg_ctx_size(ctx);
    for (size_t i = 0; i < n; i++) mg_set_grad(ctx, mg_at(ctx, i), 0.0);
    mg_backward(ctx, root);
    double *g = test_malloc(n * sizeof *g);
    for (size_t i = 0; i < n; i++) g[i] = mg_grad(ctx, mg_at(ctx, i));
    return g;
}

/* ==== grads ============================================================================== */

/* A value's grad reads 0 when it is made, also where the tape's memory held the grads of
 * values a reset dropped, through every way of reading it. */
static void test_fresh_grads_read_zero(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 0.5), b = mg_leaf(ctx, -1.5);
    mg_mark m = mg_ctx_mark(ctx);
    for (int round = 0; round < 3; round++) {
        mg_value y = mg_tanh(ctx, mg_add(ctx, mg_mul(ctx, a, b), b));
        for (size_t i = mg_index(ctx, a); i < mg_ctx_size(ctx); i++) {
            if (round == 0 || i < m.nvalues) continue;
            ASSERT_NEAR(mg_grad(ctx, mg_at(ctx, i)), 0.0, 0);
        }
        char buf[160];
        assert_non_null(strstr(mg_describe(ctx, y, buf, sizeof buf), "grad=0"));
        mg_set_grad(ctx, mg_at(ctx, mg_index(ctx, y) - 1), NAN); /* junk for the next round */
        mg_backward(ctx, y);
        assert_true(mg_grad(ctx, a) != 0.0);
        mg_ctx_reset(ctx, m);
    }
    /* The pointer into the array sees the zeros too. */
    mg_value p = mg_mul(ctx, a, b), q = mg_exp(ctx, p);
    const double *g = mg_grad_ptr(ctx, p);
    ASSERT_NEAR(g[0], 0.0, 0);
    ASSERT_NEAR(g[1], 0.0, 0);
    assert_false(mg_ok(mg_find_nonfinite(ctx, m.nvalues, 1)));
    /* Setting one op value's grad leaves the others at 0. */
    mg_value r = mg_neg(ctx, q), s = mg_neg(ctx, r);
    mg_set_grad(ctx, r, 2.5);
    ASSERT_NEAR(mg_grad(ctx, r), 2.5, 0);
    ASSERT_NEAR(mg_grad(ctx, s), 0.0, 0);
    ASSERT_NEAR(mg_grad(ctx, q), 0.0, 0);
}

/* Backward with every op value reached (no marks) and with one op value unreached (the
 * marked walk), with numerics checked (the marked walk with leaves), and a second
 * backward: the same grads, bit for bit; leaves accumulate; unreached values keep their
 * grads. */
static void test_backward_walks_agree(void **state) {
    mg_ctx *ctx = *state;
    mg_value x[8];
    for (int k = 0; k < 8; k++) x[k] = mg_param(ctx, 0.3 * k - 1.1);
    mg_mark m = mg_ctx_mark(ctx);
    size_t nparams = 8;

    mg_value root = build_net(ctx, x, 8);
    size_t bytes = mg_ctx_bytes(ctx);
    double *all = grads_after_backward(ctx, root);
    size_t n = mg_ctx_size(ctx);
    assert_int_equal(mg_ctx_bytes(ctx), bytes); /* every op value reached: no work space */

    /* An unreached op value before root: the marked walk. Its grad stays as set. */
    mg_ctx_reset(ctx, m);
    mg_value stray = mg_exp(ctx, x[2]);
    mg_value root2 = build_net(ctx, x, 8);
    mg_set_grad(ctx, stray, 7.25);
    for (size_t i = 0; i < nparams; i++) mg_set_grad(ctx, x[i], 0.0);
    size_t base = mg_index(ctx, stray) + 1;
    mg_backward(ctx, root2);
    assert_true(mg_ctx_bytes(ctx) > bytes); /* the marked walk's work space */
    ASSERT_NEAR(mg_grad(ctx, stray), 7.25, 0);
    for (size_t i = 0; i < n; i++) {
        size_t j = i < nparams ? i : i - nparams + base;
        double g = mg_grad(ctx, mg_at(ctx, j));
        if (!same_bits(g, all[i])) fail_msg("#%zu: marked walk %.17g, shortcut %.17g", i, g, all[i]);
    }

    /* Numerics checked: the walk with marks in scratch. */
    mg_ctx_reset(ctx, m);
    mg_ctx_check_numerics(ctx, 1);
    mg_value root3 = build_net(ctx, x, 8);
    double *checked = grads_after_backward(ctx, root3);
    mg_ctx_check_numerics(ctx, 0);
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK);
    for (size_t i = 0; i < n; i++)
        if (!same_bits(checked[i], all[i])) fail_msg("#%zu: checked %.17g, shortcut %.17g", i, checked[i], all[i]);

    /* A second backward: leaves accumulate the same terms again, interior grads are
     * reset, in either walk (the checked one runs with numerics on). */
    mg_ctx_check_numerics(ctx, 1);
    mg_backward(ctx, root3);
    for (size_t i = 0; i < n; i++) checked[i] = mg_grad(ctx, mg_at(ctx, i));
    mg_ctx_check_numerics(ctx, 0);
    test_free(grads_after_backward(ctx, root3));
    mg_backward(ctx, root3);
    for (size_t i = 0; i < n; i++) {
        double g = mg_grad(ctx, mg_at(ctx, i));
        if (!same_bits(g, checked[i])) fail_msg("#%zu: twice %.17g, checked walk %.17g", i, g, checked[i]);
        int leaf = mg_op_of(ctx, mg_at(ctx, i)) == MG_OP_LEAF;
        if (!leaf && !same_bits(g, all[i])) fail_msg("#%zu: interior grad changed", i);
        if (leaf) ASSERT_REL(g, 2.0 * all[i], 1e-15);
    }
    test_free(all);
    test_free(checked);
}

/* A value below a mark that only dropped values used is not reached by a later root,
 * though it was used once: its grad is left alone, and the parameters' grads are the
 * later graph's alone. */
static void test_used_only_by_dropped_values(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_param(ctx, 1.5);
    mg_value y = mg_mul(ctx, x, x);
    mg_mark m = mg_ctx_mark(ctx);
    mg_value z = mg_addf(ctx, y, 1.0);
    mg_backward(ctx, z);
    ASSERT_NEAR(mg_grad(ctx, x), 3.0, 0);
    mg_ctx_reset(ctx, m);
    mg_set_grad(ctx, x, 0.0);
    mg_set_grad(ctx, y, 5.0);
    mg_value w = mg_mulf(ctx, x, 3.0);
    mg_backward(ctx, w);
    ASSERT_NEAR(mg_grad(ctx, x), 3.0, 0);
    ASSERT_NEAR(mg_grad(ctx, y), 5.0, 0);
    /* Above the mark, a value made but left unused is not reached either. */
    mg_ctx_reset(ctx, m);
    mg_set_grad(ctx, x, 0.0);
    mg_value u = mg_tanh(ctx, x);
    mg_set_grad(ctx, u, -4.0);
    mg_value v = mg_addf(ctx, x, 2.0);
    mg_backward(ctx, v);
    ASSERT_NEAR(mg_grad(ctx, x), 1.0, 0);
    ASSERT_NEAR(mg_grad(ctx, u), -4.0, 0);
}

/* A root that is not the last value, and backward from an interior value. */
static void test_backward_from_inside(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 2.0), b = mg_leaf(ctx, -3.0);
    mg_value c = mg_mul(ctx, a, b), d = mg_addf(ctx, c, 10.0), e = mg_tanh(ctx, d);
    mg_backward(ctx, c);
    ASSERT_NEAR(mg_grad(ctx, a), -3.0, 0);
    ASSERT_NEAR(mg_grad(ctx, b), 2.0, 0);
    ASSERT_NEAR(mg_grad(ctx, d), 0.0, 0);
    ASSERT_NEAR(mg_grad(ctx, e), 0.0, 0);
    mg_backward(ctx, e);
    ASSERT_NEAR(mg_grad(ctx, d), 1.0 - tanh(4.0) * tanh(4.0), 1e-15);
}

/* ==== labels ============================================================================= */

static void test_labels_side_table(void **state) {
    mg_ctx *ctx = *state;
    mg_value v[6];
    for (int k = 0; k < 6; k++) v[k] = mg_leaf(ctx, k);
    /* Out of order, relabelled, removed. */
    mg_set_label(ctx, v[4], "four");
    mg_set_label(ctx, v[1], "one");
    mg_set_label(ctx, v[2], "two");
    mg_set_label(ctx, v[1], "uno");
    mg_set_label(ctx, v[2], "");
    assert_string_equal(mg_label(ctx, v[4]), "four");
    assert_string_equal(mg_label(ctx, v[1]), "uno");
    assert_string_equal(mg_label(ctx, v[2]), "");
    assert_string_equal(mg_label(ctx, v[0]), "");
    assert_string_equal(mg_label(ctx, v[5]), "");
    mg_mark m = mg_ctx_mark(ctx);
    /* Above the mark: gone with the reset; a kept value relabelled after the mark loses
     * its label (its text was dropped), one labelled before keeps it. */
    mg_value t = mg_set_label(ctx, mg_tanh(ctx, v[3]), "t");
    mg_set_label(ctx, v[0], "zero, after the mark");
    assert_string_equal(mg_label(ctx, t), "t");
    mg_ctx_reset(ctx, m);
    assert_string_equal(mg_label(ctx, v[0]), "");
    assert_string_equal(mg_label(ctx, v[1]), "uno");
    assert_string_equal(mg_label(ctx, v[4]), "four");
    mg_value t2 = mg_tanh(ctx, v[3]);
    assert_string_equal(mg_label(ctx, t2), "");
    /* Many labels, then every one read back. */
    mg_ctx_reset(ctx, m);
    char name[32];
    mg_value many[300];
    for (int k = 0; k < 300; k++) {
        snprintf(name, sizeof name, "v%d", k);
        many[k] = mg_leaf_ex(ctx, k, MG_ROLE_INPUT, k % 3 ? name : NULL);
    }
    for (int k = 299; k >= 0; k--) {
        snprintf(name, sizeof name, "v%d", k);
        assert_string_equal(mg_label(ctx, many[k]), k % 3 ? name : "");
    }
    assert_string_equal(mg_label(ctx, v[1]), "uno");
}

/* ==== handles and bytes =================================================================== */

static void use_dropped_older_value(void) {
    mg_ctx *c = mg_ctx_new();
    mg_value p = mg_param(c, 1.0);
    mg_mark m = mg_ctx_mark(c);
    mg_value a = mg_leaf(c, 1.0);
    mg_ctx_reset(c, m);
    mg_ctx_reset(c, mg_ctx_mark(c)); /* an older generation, its slot made again */
    mg_leaf(c, 2.0);
    mg_add(c, p, a);
}

static void use_null_in_data(void) {
    mg_ctx *c = mg_ctx_new();
    mg_data(c, MG_NULL);
}

static void use_foreign_in_dot(void) {
    mg_ctx *c1 = mg_ctx_new(), *c2 = mg_ctx_new();
    mg_value w[3] = {mg_leaf(c2, 1), mg_leaf(c2, 2), mg_leaf(c2, 3)};
    mg_value x[3] = {mg_leaf(c2, 1), mg_leaf(c1, 2), mg_leaf(c2, 3)};
    mg_dot(c2, MG_NULL, 3, w, x);
}

static void expect_abort(void (*fn)(void), const char *fragment) {
    char buf[1024];
    assert_true(tu_aborts(fn, buf, sizeof buf));
    if (!strstr(buf, fragment)) fail_msg("expected '%s' in: %s", fragment, buf);
}

static void test_handles(void **state) {
    mg_ctx *ctx = *state;
    expect_abort(use_dropped_older_value, "after mg_ctx_reset");
    expect_abort(use_null_in_data, "MG_NULL");
    expect_abort(use_foreign_in_dot, "another context");
    /* Values made before a reset stay usable, in every builder, and MG_NULL flows. */
    mg_value p[4];
    for (int k = 0; k < 4; k++) p[k] = mg_param(ctx, k + 1.0);
    mg_mark m = mg_ctx_mark(ctx);
    for (int round = 0; round < 3; round++) {
        mg_value x = mg_input(ctx, 2.0);
        mg_value xs[4] = {x, x, x, x};
        mg_value d = mg_dot(ctx, p[0], 3, p + 1, xs);
        ASSERT_NEAR(mg_data(ctx, d), 1.0 + 2 * (2.0 + 3.0 + 4.0), 0);
        ASSERT_NEAR(mg_data(ctx, mg_sum(ctx, 4, p)), 10.0, 0);
        assert_false(mg_ok(mg_mul(ctx, p[1], MG_NULL)));
        xs[2] = MG_NULL;
        assert_false(mg_ok(mg_dot(ctx, MG_NULL, 4, p, xs)));
        assert_false(mg_ok(mg_sum(ctx, 4, xs)));
        mg_ctx_reset(ctx, m);
    }
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK);
    /* A dot whose weights are not one run, and a run used backwards. */
    mg_value rev[4] = {p[3], p[2], p[1], p[0]}, ones[4];
    for (int k = 0; k < 4; k++) ones[k] = mg_const(ctx, 1.0);
    ASSERT_NEAR(mg_data(ctx, mg_dot(ctx, MG_NULL, 4, rev, ones)), 10.0, 0);
    ASSERT_NEAR(mg_data(ctx, mg_dot(ctx, MG_NULL, 4, ones, p)), 10.0, 0);
}

/* Fewer bytes a value than the 34.6 of the old layout: 28 for the values, the room to
 * grow aside. */
static void test_bytes_per_value(void **state) {
    mg_ctx *ctx = *state;
    size_t before = mg_ctx_bytes(ctx);
    mg_value s = mg_leaf(ctx, 1.0);
    size_t first_cap_bytes = 0;
    for (int k = 0; k < 255; k++) s = mg_tanh(ctx, s);
    first_cap_bytes = mg_ctx_bytes(ctx) - before;
    assert_int_equal(mg_ctx_size(ctx), 256);
    if (first_cap_bytes != 256 * 28) fail_msg("%zu bytes for 256 values", first_cap_bytes);
    mg_backward(ctx, s); /* every value reached: no work space needed */
    assert_int_equal(mg_ctx_bytes(ctx) - before, 256 * 28);
}

/* ==== numbers as Python writes them ======================================================= */

/* At a power of two the doubles below are twice as close as those above: where the
 * nearest 16 digits do not read back, the next 16 digits up may (Python's repr). */
static void test_repr_powers_of_two(void **state) {
    (void)state;
    static const struct { int k; const char *repr; } want[] = {
        {-1017, "7.120236347223045e-307"}, {-1007, "7.291122019556398e-304"},
        {-957, "8.209073602596753e-289"},  {-705, "5.940911144672375e-213"},
        {-1, "0.5"}, {0, "1.0"}, {10, "1024.0"}, {100, "1.2676506002282294e+30"},
        {-1074, "5e-324"}, {-1022, "2.2250738585072014e-308"}, {1023, "8.98846567431158e+307"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double x = ldexp(1.0, want[i].k);
        assert_string_equal(mg_fmt_repr(x, buf, sizeof buf), want[i].repr);
        char neg[40];
        snprintf(neg, sizeof neg, "-%s", want[i].repr);
        assert_string_equal(mg_fmt_repr(-x, buf, sizeof buf), neg);
    }
    /* Every repr reads back, and is the shortest, for every power of two. */
    for (int k = -1074; k <= 1023; k++) {
        double x = ldexp(1.0, k);
        mg_fmt_repr(x, buf, sizeof buf);
        if (strtod(buf, NULL) != x) fail_msg("2^%d: %s does not read back", k, buf);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_grads_read_zero, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_backward_walks_agree, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_used_only_by_dropped_values, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_backward_from_inside, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_labels_side_table, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_handles, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_bytes_per_value, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_repr_powers_of_two),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
