/* test_examples.c - the seed walkthroughs, run as the example programs, print the
 * numbers the walkthroughs (and micrograd's README) show. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* Runs examples/<name> and returns its stdout (asserting exit status 0). */
static char *run_example(const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MG_EXAMPLES_DIR, name);
    const char *argv[] = {path, NULL};
    tu_run_result r = tu_run(argv, NULL);
    if (r.status != 0) fail_msg("%s exited %d: %s", name, r.status, r.err);
    free(r.err);
    return r.out;
}

static void expect_lines(const char *name, const char *const *want, size_t n) {
    char *out = run_example(name);
    for (size_t i = 0; i < n; i++)
        if (!strstr(out, want[i])) fail_msg("%s: expected '%s' in output:\n%s", name, want[i], out);
    free(out);
}

static void test_readme_expr(void **state) {
    (void)state;
    char *out = run_example("readme_expr");
    assert_string_equal(out, "24.7041\n138.8338\n645.5773\n");
    free(out);
}

static void test_derivative(void **state) {
    (void)state;
    /* Seed 000: 14.029999999999632 at x = 3, h = 0.01; seed 003: 3.0000002482211127e-05
     * at x = 2/3, h = 0.00001 (near 0: the minimum). */
    const char *want[] = {"f(3.0) = 20.0", "= 14.029999999999632", "= 3.0000002482211127e-05"};
    expect_lines("derivative", want, 3);
}

static void test_expression(void **state) {
    (void)state;
    /* Seed 003's printed slopes with h = 0.0001. */
    const char *want[] = {
        "nudge a: d1 4.0  d2 3.999699999999999  slope -3.000000000010772",
        "nudge b: d1 4.0  d2 4.0002  slope 2.0000000000042206",
        "nudge c: d1 4.0  d2 4.0001  slope 0.9999999999976694",
        "backward: d = 4.0, dd/da = -3.0, dd/db = 2.0, dd/dc = 1.0",
    };
    expect_lines("expression", want, 4);
}

static void test_graph(void **state) {
    (void)state;
    const char *want[] = {
        "a  Value(data=2.0, grad=6.0)",   "b  Value(data=-3.0, grad=-4.0)",
        "c  Value(data=10.0, grad=-2.0)", "e  Value(data=-6.0, grad=-2.0)",
        "d  Value(data=4.0, grad=-2.0)",  "f  Value(data=-2.0, grad=4.0)",
        "L  Value(data=-8.0, grad=1.0)",
        /* seed 003: -7.286496, an improvement from -8.0 */
        "L = -7.286496 (was -8.0)",
    };
    expect_lines("graph", want, 8);
}

static void test_neuron(void **state) {
    (void)state;
    char *out = run_example("neuron");
    /* Both forms: o = 0.7071; grads x1 -1.5, w1 1.0, x2 0.5, w2 0.0. */
    assert_int_equal(tu_count(out, "o = 0.7071 "), 2);
    assert_int_equal(tu_count(out, "x1 grad -1.5000"), 2);
    assert_int_equal(tu_count(out, "w1 grad  1.0000"), 2);
    assert_int_equal(tu_count(out, "x2 grad  0.5000"), 2);
    assert_int_equal(tu_count(out, "w2 grad  0.0000"), 2);
    assert_non_null(strstr(out, "tanh from exp"));
    free(out);
}

/* The walkthroughs are demos too, with their pictures. */
static void test_walkthrough_demos(void **state) {
    (void)state;
    const char *dot = tu_path("neuron.dot");
    const char *argv[] = {MG_CLI, "demo", "neuron", "--graph", dot, NULL};
    tu_run_result r = tu_run(argv, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "o = 0.7071"));
    tu_run_free(&r);
    char *text = tu_read_file(dot, NULL);
    assert_non_null(text);
    assert_non_null(strstr(text, "data 0.7071"));
    assert_non_null(strstr(text, "grad -1.5000"));
    assert_non_null(strstr(text, "tanh"));
    free(text);
    const char *bad[] = {MG_CLI, "demo", "derivative", "--bogus", NULL};
    r = tu_run(bad, NULL);
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
#ifdef MG_HAVE_CAIRO
    const char *png = tu_path("derivative.png");
    const char *plot[] = {MG_CLI, "demo", "derivative", "--plot", png, NULL};
    r = tu_run(plot, NULL);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    size_t len = 0;
    char *bytes = tu_read_file(png, &len);
    assert_non_null(bytes);
    assert_true(len > 1000);
    assert_memory_equal(bytes, "\x89PNG\r\n\x1a\n", 8);
    free(bytes);
#endif
    tu_cleanup();
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_expr), cmocka_unit_test(test_derivative),
        cmocka_unit_test(test_expression),  cmocka_unit_test(test_graph),
        cmocka_unit_test(test_neuron),      cmocka_unit_test(test_walkthrough_demos),
    };
    return cmocka_run_group_tests_name("examples", tests, NULL, NULL);
}
