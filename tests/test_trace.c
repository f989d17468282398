/* test_trace.c - backward step by step (mg_backward_steps): the steps are the
 * walkthrough's chain rule, a value used twice gets two terms, and the grads left are
 * mg_backward's bit for bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "micrograd.h"
#include "testutil.h"

typedef struct steplog {
    mg_backward_step s[64];
    size_t n;
} steplog;

static int record(void *user, const mg_backward_step *s) {
    steplog *l = user;
    if (l->n < 64) l->s[l->n] = *s;
    l->n++;
    return 0;
}

/* Every grad of the tape after mg_backward_steps equals mg_backward's, bit for bit. */
static void check_same_as_backward(mg_ctx *ctx, mg_value root) {
    size_t n = mg_ctx_size(ctx);
    for (size_t i = 0; i < n; i++) mg_set_grad(ctx, mg_at(ctx, i), 0.0);
    assert_int_equal(mg_backward_steps(ctx, root, NULL, NULL), MG_STATUS_OK);
    double *g = test_malloc(n * sizeof *g);
    for (size_t i = 0; i < n; i++) g[i] = mg_grad(ctx, mg_at(ctx, i));
    for (size_t i = 0; i < n; i++) mg_set_grad(ctx, mg_at(ctx, i), 0.0);
    mg_backward(ctx, root);
    for (size_t i = 0; i < n; i++) {
        double b = mg_grad(ctx, mg_at(ctx, i));
        if (memcmp(&b, &g[i], sizeof b)) fail_msg("#%zu: steps %.17g, backward %.17g", i, g[i], b);
    }
    test_free(g);
}

static void test_walkthrough_L(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "a"), b = mg_leaf_ex(ctx, -3.0, MG_ROLE_LEAF, "b");
    mg_value c = mg_leaf_ex(ctx, 10.0, MG_ROLE_LEAF, "c"), f = mg_leaf_ex(ctx, -2.0, MG_ROLE_LEAF, "f");
    mg_value e = mg_set_label(ctx, mg_mul(ctx, a, b), "e");
    mg_value d = mg_set_label(ctx, mg_add(ctx, e, c), "d");
    mg_value L = mg_set_label(ctx, mg_mul(ctx, d, f), "L");
    steplog l = {.n = 0};
    assert_int_equal(mg_backward_steps(ctx, L, record, &l), MG_STATUS_OK);
    /* L = d*f: dL/dd = f = -2, dL/df = d = 4; d = e + c: 1s; e = a*b: dL/da = -2 * -3 = 6 */
    static const struct {
        const char *value, *operand;
        double grad, local, term, after;
    } want[] = {
        {"L", "d", 1, -2, -2, -2}, {"L", "f", 1, 4, 4, 4},   {"d", "e", -2, 1, -2, -2},
        {"d", "c", -2, 1, -2, -2}, {"e", "a", -2, -3, 6, 6}, {"e", "b", -2, 2, -4, -4},
    };
    assert_int_equal(l.n, 6);
    for (size_t k = 0; k < 6; k++) {
        assert_int_equal(l.s[k].step, k);
        assert_string_equal(mg_label(ctx, l.s[k].value), want[k].value);
        assert_string_equal(mg_label(ctx, l.s[k].operand), want[k].operand);
        assert_true(l.s[k].grad == want[k].grad && l.s[k].local == want[k].local);
        assert_true(l.s[k].term == want[k].term && l.s[k].after == want[k].after);
        assert_true(l.s[k].before == 0.0 && l.s[k].added);
    }
    check_same_as_backward(ctx, L);
}

static void test_value_used_twice(void **state) {
    mg_ctx *ctx = *state;
    /* b = a + a: two terms to a, each 1 * grad (micrograd's bug #1 case) */
    mg_value a = mg_leaf(ctx, 3.0);
    mg_value b = mg_add(ctx, a, a);
    steplog l = {.n = 0};
    mg_backward_steps(ctx, b, record, &l);
    assert_int_equal(l.n, 2);
    assert_true(mg_same(l.s[0].operand, a) && mg_same(l.s[1].operand, a));
    assert_true(l.s[0].after == 1.0 && l.s[1].before == 1.0 && l.s[1].after == 2.0);
    assert_true(mg_grad(ctx, a) == 2.0);
    /* a shared subexpression: x*x feeds two consumers */
    mg_value x = mg_leaf(ctx, 1.5), y = mg_mul(ctx, x, x);
    mg_value z = mg_add(ctx, mg_tanh(ctx, y), mg_mulf(ctx, y, 3.0));
    l.n = 0;
    mg_backward_steps(ctx, z, record, &l);
    size_t to_y = 0, to_x = 0;
    for (size_t k = 0; k < l.n; k++) {
        to_y += mg_same(l.s[k].operand, y);
        to_x += mg_same(l.s[k].operand, x);
    }
    assert_int_equal(to_y, 2);
    assert_int_equal(to_x, 2);
    check_same_as_backward(ctx, z);
}

static void test_every_op_same_as_backward(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf(ctx, 0.7), b = mg_leaf(ctx, -1.3), c = mg_leaf(ctx, 2.1);
    mg_value w[2] = {a, b}, x[2] = {c, mg_tanh(ctx, a)};
    mg_value t[6] = {
        mg_div(ctx, a, b),
        mg_pow(ctx, c, a),
        mg_powf(ctx, mg_relu(ctx, b), 2),                       /* a closed relu gate */
        mg_log(ctx, mg_sigmoid(ctx, mg_sub(ctx, a, mg_neg(ctx, b)))),
        mg_dot(ctx, mg_exp(ctx, b), 2, w, x),
        mg_mul(ctx, mg_powf(ctx, a, 0), mg_relu(ctx, a)),       /* x**0 */
    };
    mg_value root = mg_sum(ctx, 6, t);
    steplog l = {.n = 0};
    mg_backward_steps(ctx, root, record, &l);
    size_t skipped = 0;
    for (size_t k = 0; k < l.n && k < 64; k++) {
        skipped += !l.s[k].added;
        if (l.s[k].added) assert_true(l.s[k].after == l.s[k].before + l.s[k].term);
    }
    assert_true(skipped >= 2);
    check_same_as_backward(ctx, root);
    /* stopping early */
    l.n = 0;
    assert_int_equal(mg_backward_steps(ctx, root, NULL, NULL), MG_STATUS_OK);
    assert_int_equal(mg_backward_steps(ctx, MG_NULL, record, &l), MG_STATUS_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walkthrough_L, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_value_used_twice, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_every_op_same_as_backward, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
