/* test_scale.c - size limits. A graph of 10^7 values goes through backward (one reverse
 * loop: no recursion to overflow the stack) with exact gradients, in 35 bytes a value
 * plus the tape's room to grow; a context refuses to grow past its cap with a message,
 * and stays usable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "micrograd.h"
#include "support/testutil.h"

enum { N = 10000000 };

/* A chain of 4 values a step over 2.5 * 10^6 steps (10^7 values): s = s + a, then s plus
 * b times a zero leaf. ds/da = 2.5e6 exactly (a sum of ones); ds/db = 0. */
static void test_ten_million_values(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_value a = mg_leaf(ctx, 0.5), b = mg_leaf(ctx, 0.25), s = a;
    for (int k = 1; k < N / 4; k++) {
        s = mg_add(ctx, s, a);
        s = mg_add(ctx, s, mg_mul(ctx, b, mg_leaf(ctx, 0.0)));
    }
    assert_true(mg_ok(s));
    size_t n = mg_ctx_size(ctx);
    assert_true(n >= (size_t)N - 4);
    mg_backward(ctx, s);
    ASSERT_NEAR(mg_grad(ctx, a), N / 4, 0);
    ASSERT_NEAR(mg_data(ctx, s), 0.5 * (N / 4), 0);
    /* every zero term contributes leaf(0) = 0 to b's gradient */
    ASSERT_NEAR(mg_grad(ctx, b), 0.0, 0);
    /* The tape doubles as it grows, so its capacity is up to twice the values: 10^7 values
     * sit in room for 2^24 (16.8 million) of 35 bytes each: 55 bytes a value held. */
    double per_value = (double)mg_ctx_bytes(ctx) / (double)n;
    if (!(per_value < 2 * 36.0)) fail_msg("%.1f bytes a value", per_value);
    print_message("%zu values, %.1f bytes a value (with the room to grow)\n", n, per_value);
    mg_ctx_free(ctx);
}

/* A cap stops growth with a message naming it; the context goes on after a reset. */
static void test_cap(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_mark empty = mg_ctx_mark(ctx);
    mg_ctx_set_max_bytes(ctx, (size_t)8 << 20);
    mg_value s = mg_leaf(ctx, 1.0);
    size_t made = 0;
    while (mg_ok(s) && made < (size_t)N) s = mg_add(ctx, s, s), made++;
    assert_false(mg_ok(s));
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_NOMEM);
    assert_non_null(strstr(mg_ctx_errmsg(ctx), "cap"));
    assert_true(mg_ctx_bytes(ctx) <= (size_t)8 << 20);
    mg_ctx_reset(ctx, empty);
    mg_ctx_clear_status(ctx);
    mg_value x = mg_leaf(ctx, 3.0), y = mg_mul(ctx, x, x);
    mg_backward(ctx, y);
    ASSERT_NEAR(mg_grad(ctx, x), 6.0, 0);
    mg_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_million_values),
        cmocka_unit_test(test_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
