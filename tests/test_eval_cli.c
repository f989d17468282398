/* test_eval_cli.c - `micrograd eval`: scripts from -e, a file and stdin give micrograd's
 * README numbers; --json reads back bit for bit; --output, --precision, --repr; the
 * error formats (a caret under the column) and exit statuses; non-finite results. */
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

#define RUN(input, ...)                                                                    \
    tu_run((const char *const[]){MG_CLI, "eval", __VA_ARGS__, NULL}, (input))


/* micrograd's README prints these (test_more_ops has them to the last digit). */
static const char readme_out[] = "g = 24.7041\ndg/da = 138.8338\ndg/db = 645.5773\n";

static void expect(tu_run_result r, int status, const char *out, const char *err) {
    if (r.status != status)
        fail_msg("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", r.status, status, r.out, r.err);
    if (out && strcmp(r.out, out)) fail_msg("stdout:\n%s\nexpected:\n%s", r.out, out);
    if (err && strcmp(r.err, err)) fail_msg("stderr:\n%s\nexpected:\n%s", r.err, err);
}

static void expect_in(const char *text, const char *needle) {
    if (!strstr(text, needle)) fail_msg("expected '%s' in:\n%s", needle, text);
}

/* ==== inputs =============================================================================== */

static void test_expr_lines(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "-e", "a = Value(-4.0); b = Value(2.0)", "-e", "c = a + b",
                          "-e", "d = a * b + b**3", "-e", "c += c + 1", "-e", "c += 1 + c + (-a)",
                          "-e", "d += d * 2 + (b + a).relu()", "-e", "d += 3 * d + (b - a).relu()",
                          "-e", "e = c - d", "-e", "f = e**2", "-e", "g = f / 2.0", "-e",
                          "g += 10.0 / f");
    expect(r, 0, readme_out, "");
    tu_run_free(&r);
}

static void test_file_and_notes(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s", tu_path("readme.py"));
    tu_write_file(path, tu_readme_script, (size_t)-1);
    tu_run_result r = RUN(NULL, path);
    expect(r, 0, readme_out, NULL);
    const char *notes[] = {":1: note: from ... import ignored", ":15: note: print(...) ignored",
                           ":16: note: g.backward() ignored", ":18: note: print(...) ignored"};
    for (size_t i = 0; i < 4; i++) {
        char line[1200];
        snprintf(line, sizeof line, "%s%s\n", path, notes[i]);
        expect_in(r.err, line);
    }
    assert_int_equal(tu_count(r.err, "note:"), 5);
    tu_run_free(&r);

    r = RUN(NULL, "--quiet", path);
    expect(r, 0, readme_out, "");
    tu_run_free(&r);
}

static void test_stdin(void **state) {
    (void)state;
    tu_run_result r = RUN(tu_readme_script, "-");
    expect(r, 0, readme_out, NULL);
    expect_in(r.err, "<stdin>:16: note: g.backward() ignored\n");
    tu_run_free(&r);
}

/* ==== output forms ======================================================================== */

/* The double after `key` in s, and where it ends. */
static double number_after(const char *s, const char *key, const char **end) {
    const char *p = strstr(s, key);
    if (!p) fail_msg("no %s in %s", key, s);
    char *e;
    double x = strtod(p + strlen(key), &e);
    if (e == p + strlen(key)) fail_msg("no number after %s in %s", key, s);
    if (end) *end = e;
    return x;
}

static void assert_same_bits(double got, double want, const char *what) {
    if (memcmp(&got, &want, sizeof got))
        fail_msg("%s: %.17g read back, the engine has %.17g", what, got, want);
}

static void test_json(void **state) {
    (void)state;
    tu_run_result r = RUN(tu_readme_script, "--json", "--quiet", "-");
    expect(r, 0, NULL, "");
    assert_int_equal(strncmp(r.out, "{\"output\": \"g\", \"value\": ", 25), 0);
    const char *end;
    double g = number_after(r.out, "\"value\": ", &end);
    assert_int_equal(strncmp(end, ", \"grads\": {\"a\": ", 17), 0);
    double ga = number_after(end, "\"a\": ", &end);
    assert_int_equal(strncmp(end, ", \"b\": ", 7), 0);
    double gb = number_after(end, "\"b\": ", &end);
    assert_string_equal(end, "}}\n");

    /* The same numbers as the library computes in this process, bit for bit. */
    mg_ctx *ctx = mg_ctx_new();
    mg_script *s = mg_script_parse(ctx, tu_readme_script, strlen(tu_readme_script), NULL, NULL, NULL);
    assert_non_null(s);
    mg_backward(ctx, mg_script_output(s));
    assert_same_bits(g, mg_data(ctx, mg_script_output(s)), "value");
    assert_same_bits(ga, mg_grad(ctx, mg_script_lookup(s, "a")), "a");
    assert_same_bits(gb, mg_grad(ctx, mg_script_lookup(s, "b")), "b");
    mg_script_free(s);
    mg_ctx_free(ctx);
    /* and micrograd's, to the last digits it prints */
    assert_true(fabs(g - 24.70408163265306) <= 1e-12 * 24.7);
    assert_true(fabs(ga - 138.83381924198252) <= 1e-12 * 138.8);
    assert_true(fabs(gb - 645.5772594752186) <= 1e-12 * 645.6);
    tu_run_free(&r);
}

static void test_output_option(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "-e", "a = Value(3.0)", "-e", "b = a*a", "-e", "c = b + a",
                          "--output", "b");
    expect(r, 0, "b = 9.0000\ndb/da = 6.0000\n", "");
    tu_run_free(&r);
    r = RUN(NULL, "-e", "a = Value(3.0)", "-e", "b = a*a", "-o", "nosuch");
    expect(r, 2, "", NULL);
    expect_in(r.err, "nosuch");
    tu_run_free(&r);
}

static void test_precision_and_repr(void **state) {
    (void)state;
    const char *L = "a = 2.0; b = -3.0; c = 10.0; e = a*b; d = e + c; f = -2.0; L = d*f";
    tu_run_result r = RUN(NULL, "-e", L, "--precision", "2");
    expect(r, 0, "L = -8.00\ndL/da = 6.00\ndL/db = -4.00\ndL/dc = -2.00\ndL/df = 4.00\n", "");
    tu_run_free(&r);
    r = RUN(NULL, "-e", L, "--repr");
    expect(r, 0, "L = -8.0\ndL/da = 6.0\ndL/db = -4.0\ndL/dc = -2.0\ndL/df = 4.0\n", "");
    tu_run_free(&r);
    r = RUN(NULL, "-e", "x = 0.1; y = x * 3", "-r");
    expect(r, 0, "y = 0.30000000000000004\ndy/dx = 3.0\n", "");
    tu_run_free(&r);
    r = RUN(NULL, "-e", L, "--precision", "18");
    expect(r, 2, "", NULL);
    tu_run_free(&r);
}

static void test_leaf_names(void **state) {
    (void)state;
    /* a name held by two leaves, and a leaf with no name, are told apart by position */
    tu_run_result r = RUN(NULL, "-e", "a = Value(1.0)", "-e", "a = Value(2.0)", "-e",
                          "y = a * Value(3.0)");
    expect(r, 0, "y = 6.0000\ndy/da@1:5 = 0.0000\ndy/da@2:5 = 3.0000\ndy/dValue@3:9 = 2.0000\n",
           "");
    tu_run_free(&r);
    r = RUN(NULL, "-e", "y = Value(2.0, label='say \"hi\"\\n') * 2", "--json");
    expect(r, 0,
           "{\"output\": \"y\", \"value\": 4.0, \"grads\": {\"say \\\"hi\\\"\\n\": 2.0}}\n",
           "");
    tu_run_free(&r);
}

/* ==== errors =============================================================================== */

static void test_syntax_error(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "-e", "a = 1.0", "-e", "y = a +* 2");
    expect(r, 1, "", "-e:2:8: error: expected a number, a name or '(', found '*'\n"
                     "y = a +* 2\n"
                     "       ^\n");
    tu_run_free(&r);
    /* a tab before the spot stays a tab under it */
    r = RUN(NULL, "-e", "y =\t(1 +");
    expect(r, 1, "", "-e:1:5: error: this bracket is never closed\ny =\t(1 +\n   \t^\n");
    tu_run_free(&r);
    char path[1024];
    snprintf(path, sizeof path, "%s", tu_path("bad.py"));
    tu_write_file(path, "a = Value(1.0)\nb = a.tanh(a)\n", (size_t)-1);
    r = RUN(NULL, path);
    char want[1200];
    snprintf(want, sizeof want, "%s:2:7: error: tanh() takes no arguments (1 given)\n"
                                "b = a.tanh(a)\n      ^\n", path);
    expect(r, 1, "", want);
    tu_run_free(&r);
    /* a NUL byte is shown as '?'; a long line is cut around the spot */
    snprintf(path, sizeof path, "%s", tu_path("nul.py"));
    tu_write_file(path, "y = 1\0 + 2\n", 11);
    r = RUN(NULL, path);
    snprintf(want, sizeof want, "%s:1:6: error: a null byte in the script\ny = 1? + 2\n     ^\n",
             path);
    expect(r, 1, "", want);
    tu_run_free(&r);
    char line[1100];
    memset(line, 'a', 1000);
    memcpy(line, "y = ", 4);
    strcpy(line + 1000, " $ b");
    r = RUN(NULL, "-e", line);
    char shown[200];
    snprintf(shown, sizeof shown,
             "-e:1:1002: error: unexpected character '$'\n...%.59s $ b\n%63s^\n", line + 941, "");
    expect(r, 1, "", shown);
    tu_run_free(&r);
    r = RUN("y = 1\n", "-");
    expect(r, 0, "y = 1.0000\ndy/dy = 1.0000\n", "");
    tu_run_free(&r);
    r = RUN("", "-");
    expect(r, 1, "", "<stdin>:1:1: error: nothing assigned: a script needs an assignment such "
                     "as y = a*b + c\n\n^\n");
    tu_run_free(&r);
}

static void test_usage_errors(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "--bogus");
    expect(r, 2, "", NULL);
    expect_in(r.err, "unknown option '--bogus'");
    tu_run_free(&r);
    r = tu_run((const char *const[]){MG_CLI, "eval", NULL}, NULL);
    expect(r, 2, "", NULL);
    expect_in(r.err, "no script");
    tu_run_free(&r);
    r = RUN(NULL, "-e", "y = 1", "file.py");
    expect(r, 2, "", NULL);
    tu_run_free(&r);
    r = RUN(NULL, "-e");
    expect(r, 2, "", NULL);
    expect_in(r.err, "needs a value");
    tu_run_free(&r);
    r = RUN(NULL, "a.py", "b.py");
    expect(r, 2, "", NULL);
    tu_run_free(&r);
}

static void test_missing_file(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "/nonexistent/dir/script.py");
    expect(r, 1, "", NULL);
    expect_in(r.err, "micrograd: /nonexistent/dir/script.py: cannot open");
    tu_run_free(&r);
}

static void test_nonfinite(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "-e", "x = Value(0.0)", "-e", "y = x.log()");
    expect(r, 1, "y = -inf\ndy/dx = inf\n", NULL);
    expect_in(r.err, "first value to go non-finite is #1 log 'y': data=-inf");
    tu_run_free(&r);
    r = RUN(NULL, "-e", "x = Value(0.0); y = x.log()", "--json");
    expect(r, 1, "{\"output\": \"y\", \"value\": null, \"grads\": {\"x\": null}}\n", NULL);
    tu_run_free(&r);
    /* finite forward, infinite gradient: d sqrt(x)/dx at 0 */
    r = RUN(NULL, "-e", "x = Value(0.0); y = x**0.5 + 1");
    expect(r, 1, "y = 1.0000\ndy/dx = inf\n", NULL);
    expect_in(r.err, "gradient");
    expect_in(r.err, "'x'");
    tu_run_free(&r);
    /* a NaN the output does not depend on is not blamed */
    r = RUN(NULL, "-e", "u = Value(-1.0); w = u.log(); x = Value(0.0); y = x.log() + 1");
    expect(r, 1, NULL, NULL);
    expect_in(r.err, "#3 log: data=-inf"); /* unlabeled: the sum took the label y */
    if (strstr(r.err, "'w'")) fail_msg("blamed w, which y does not depend on: %s", r.err);
    tu_run_free(&r);
}

/* ==== pictures and formulas ============================================================== */

static const char L_src[] = "a = Value(2.0); b = Value(-3.0); c = Value(10.0)\n"
                            "e = a*b; d = e + c; f = Value(-2.0); L = d * f\n";

static void test_dot_option(void **state) {
    (void)state;
    const char *path = tu_path("L.dot");
    tu_run_result r = RUN(L_src, "-q", "--dot", path, "--rankdir", "TB", "-");
    expect(r, 0, NULL, NULL);
    tu_run_free(&r);
    char *dot = tu_read_file(path, NULL);
    assert_non_null(dot);
    expect_in(dot, "rankdir=TB");
    /* Every node's label, data and grad, as micrograd's draw_dot shows them. */
    expect_in(dot, "data 2.0000");
    expect_in(dot, "grad 6.0000");
    expect_in(dot, "data -8.0000");
    expect_in(dot, "grad 4.0000");
    free(dot);
#ifdef MG_HAVE_GVC
    const char *svg = tu_path("L.svg");
    r = RUN(L_src, "-q", "--dot", svg, "-");
    expect(r, 0, NULL, NULL);
    tu_run_free(&r);
    char *text = tu_read_file(svg, NULL);
    assert_non_null(text);
    expect_in(text, "<svg");
    expect_in(text, "</svg>");
    free(text);
#endif
    r = RUN(L_src, "-q", "--dot", tu_path("L.jpeg"), "-");
    expect(r, 1, NULL, NULL);
    expect_in(r.err, "L.jpeg");
    tu_run_free(&r);
    r = RUN(L_src, "--rankdir", "XY", "-");
    expect(r, 2, "", NULL);
    tu_run_free(&r);
}

static void test_formula_option(void **state) {
    (void)state;
    tu_run_result r = RUN(L_src, "-q", "--formula", "-");
    expect(r, 0, NULL, "");
    expect_in(r.out, "L = -8.0000\n");
    expect_in(r.out, "(a*b + c)*f");
    tu_run_free(&r);
    r = RUN(L_src, "-q", "--formula-numbers", "-");
    expect(r, 0, NULL, "");
    expect_in(r.out, "(2*-3 + 10)*-2");
    tu_run_free(&r);
}

static void test_help(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "--help");
    expect(r, 0, NULL, "");
    expect_in(r.out, "Usage: micrograd eval [OPTIONS] [FILE]");
    expect_in(r.out, "--precision N");
    expect_in(r.out, "(default: 4)");
    expect_in(r.out, "null");
    tu_run_free(&r);
    r = tu_run((const char *const[]){MG_CLI, "--help", NULL}, NULL);
    expect(r, 0, NULL, NULL);
    expect_in(r.out, "eval ");
    tu_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_lines),   cmocka_unit_test(test_file_and_notes),
        cmocka_unit_test(test_stdin),        cmocka_unit_test(test_json),
        cmocka_unit_test(test_output_option), cmocka_unit_test(test_precision_and_repr),
        cmocka_unit_test(test_leaf_names),   cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_usage_errors), cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_nonfinite),    cmocka_unit_test(test_help),
        cmocka_unit_test(test_dot_option),   cmocka_unit_test(test_formula_option),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cleanup();
    return failed;
}
