/* test_data_cli.c - `micrograd data NAME`: scikit-learn's datasets as CSV, the project's
 * own, the options and their errors. The expected rows were printed by scikit-learn 1.2.1
 * (numpy 1.24) as Python's repr, which is what the command writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static tu_run_result run(const char *a1, const char *a2, const char *a3, const char *a4,
                         const char *a5, const char *a6, const char *a7) {
    const char *argv[] = {MG_CLI, "data", a1, a2, a3, a4, a5, a6, a7, NULL};
    return tu_run(argv, NULL);
}

static void test_sklearn_rows(void **state) {
    (void)state;
    /* np.random.seed(1337); make_moons(100, noise=0.1): micrograd's notebook data (glibc's
     * trig, shared/reference/micrograd_moons), first and last rows */
    tu_run_result r = run("moons", "--seed", "1337", NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    const char *head = "x0,x1,label\n"
                       "1.1221146075409685,0.08147717341718697,0\n"
                       "-0.8188294130836691,0.058790063907949996,0\n";
    assert_int_equal(strncmp(r.out, head, strlen(head)), 0);
    assert_int_equal(tu_count(r.out, "\n"), 101);
    assert_non_null(strstr(r.err, "numpy's generator"));
    tu_run_free(&r);
    /* np.random.seed(5); make_blobs(5, centers=3, n_features=2, cluster_std=1.5) */
    r = run("blobs", "-n", "5", "--seed", "5", "--noise", "1.5");
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "x0,x1,label\n"
                               "-5.395721815837936,9.788367799139872,0\n"
                               "-7.654763811844181,8.064903392877051,1\n"
                               "-6.923985185489572,6.527191136652094,0\n"
                               "-0.7700196446052814,3.1400846619671583,2\n"
                               "-5.584212054455919,7.877413222089394,1\n");
    tu_run_free(&r);
}

static void test_xorshift_and_out(void **state) {
    (void)state;
    /* spiral is the project's own set: xorshift by default, and the same as --rng xorshift */
    tu_run_result a = run("spiral", "-n", "30", "--classes", "3", NULL, NULL);
    tu_run_result b = run("spiral", "-n", "30", "--classes", "3", "--rng", "xorshift");
    assert_int_equal(a.status, 0);
    assert_string_equal(a.out, b.out);
    assert_non_null(strstr(a.err, "xorshift"));
    tu_run_free(&b);
    /* --rng numpy on moons is its default; xorshift draws other points */
    tu_run_result m = run("moons", "-n", "10", "--rng", "xorshift", NULL, NULL);
    tu_run_result n = run("moons", "-n", "10", NULL, NULL, NULL, NULL);
    assert_int_equal(m.status, 0);
    assert_string_not_equal(m.out, n.out);
    tu_run_free(&m);
    tu_run_free(&n);
    /* --out writes the same bytes, through the atomic writer */
    const char *path = tu_path("spiral.csv");
    b = run("spiral", "-n", "30", "--classes", "3", "--out", path);
    assert_int_equal(b.status, 0);
    assert_string_equal(b.out, "");
    char *text = tu_read_file(path, NULL);
    assert_non_null(text);
    assert_string_equal(text, a.out);
    free(text);
    tu_run_free(&a);
    tu_run_free(&b);
}

static void test_errors(void **state) {
    (void)state;
    static const struct {
        const char *a[6];
        const char *msg;
    } cases[] = {
        {{NULL}, "which dataset?"},
        {{"nope"}, "unknown dataset 'nope'"},
        {{"moons", "--noise", "-1"}, "--noise must be finite and >= 0"},
        {{"yinyang", "--noise", "0.1"}, "--noise: yinyang has no noise"},
        {{"moons", "--classes", "3"}, "--classes is for blobs and spiral"},
        {{"moons", "--rng", "mt"}, "--rng is numpy or xorshift"},
        {{"moons", "-n", "0"}, "--samples must be between 1 and"},
        {{"moons", "--seed", "x"}, "--seed"},
        {{"moons", "extra"}, "unexpected argument 'extra'"},
        {{"moons", "--bogus"}, "unknown option '--bogus'"},
        {{"moons", "--out"}, "option '--out' needs a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_run_result r = run(cases[i].a[0], cases[i].a[1], cases[i].a[2], NULL, NULL, NULL, NULL);
        if (r.status != 2 || !strstr(r.err, cases[i].msg) || !strstr(r.err, "micrograd data") || r.out[0])
            fail_msg("case %zu: status %d, stderr '%s'", i, r.status, r.err);
        tu_run_free(&r);
    }
    tu_run_result r = run("moons", "--out", "/proc/no/such/dir/x.csv", NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "/proc/no/such/dir/x.csv"));
    tu_run_free(&r);
    r = run("--help", NULL, NULL, NULL, NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--rng KIND"));
    tu_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sklearn_rows),
        cmocka_unit_test(test_xorshift_and_out),
        cmocka_unit_test(test_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cleanup();
    return rc;
}
