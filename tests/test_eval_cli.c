/* test_eval_cli.c - `micrograd eval`: scripts from -e, a file and stdin run in order as
 * Python runs them and print what Python prints (micrograd's README, the lecture's nudge
 * cell, every statement kind, grad(y, x)); a script that only assigns prints the summary
 * with micrograd's README numbers; --summary after a script that ran backward itself;
 * --json reads back bit for bit; --output, --precision, --repr; the error formats (a caret
 * under the column) and exit statuses; non-finite results. The prompt is
 * test_eval_prompt's. */
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


/* micrograd's README prints these (test_more_ops has them to the last digit): its script
 * with its three print(f'{...:.4f}') lines, and the summary of its expression. */
static const char readme_printed[] = "24.7041\n138.8338\n645.5773\n";
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
    /* the script prints and calls backward() itself: it runs as Python, and what it
     * prints is the output; only the import is a note */
    tu_run_result r = RUN(NULL, path);
    char line[1200];
    snprintf(line, sizeof line, "%s:1: note: from ... import ignored\n", path);
    expect(r, 0, readme_printed, line);
    tu_run_free(&r);

    r = RUN(NULL, "--quiet", path);
    expect(r, 0, readme_printed, "");
    tu_run_free(&r);

    /* --summary adds the summary; backward() ran once, in the script: no doubled grads */
    char both[200];
    snprintf(both, sizeof both, "%s%s", readme_printed, readme_out);
    r = RUN(NULL, "-q", "--summary", path);
    expect(r, 0, both, "");
    tu_run_free(&r);
}

static void test_stdin(void **state) {
    (void)state;
    tu_run_result r = RUN(tu_readme_script, "-");
    expect(r, 0, readme_printed, "<stdin>:1: note: from ... import ignored\n");
    tu_run_free(&r);
    /* no script given and standard input not a terminal: the script it holds */
    r = tu_run((const char *const[]){MG_CLI, "eval", NULL}, tu_readme_script);
    expect(r, 0, readme_printed, "<stdin>:1: note: from ... import ignored\n");
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
    /* what the script printed, for a script that prints */
    assert_string_equal(end, "}, \"printed\": \"24.7041\\n138.8338\\n645.5773\\n\"}\n");

    /* The same numbers as the library computes in this process, bit for bit: backward
     * on the graph alone, once (the script's own backward() is not added to). */
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
    r = RUN(NULL, "-e");
    expect(r, 2, "", NULL);
    expect_in(r.err, "needs a value");
    tu_run_free(&r);
    /* no script and an empty standard input (not a terminal): an empty script, which
     * assigns nothing (this was "no script", a usage error, before eval read standard
     * input by itself) */
    r = tu_run((const char *const[]){MG_CLI, "eval", NULL}, NULL);
    expect(r, 1, "", NULL);
    expect_in(r.err, "<stdin>:1:1: error: nothing assigned");
    tu_run_free(&r);
    /* several scripts, -e lines and files mixed, are no longer usage errors: they run in
     * order, and a missing file stops them there */
    r = RUN(NULL, "-e", "y = 1", tu_path("missing.py"));
    expect(r, 1, "", NULL);
    expect_in(r.err, "missing.py: cannot open");
    tu_run_free(&r);
    char a_py[1024];
    snprintf(a_py, sizeof a_py, "%s", tu_path("a.py"));
    r = RUN(NULL, "-e", "print('first')", a_py, tu_path("b.py"));
    expect(r, 1, "first\n", NULL);
    expect_in(r.err, "a.py: cannot open");
    tu_run_free(&r);
    /* --output names a Value */
    r = RUN(NULL, "-e", "x = Value(1.0); n = 3; print(n)", "--summary", "-o", "n");
    expect(r, 2, "3\n", NULL);
    expect_in(r.err, "--output n: the script assigns no Value to that name");
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

/* ==== scripts run as Python ================================================================ */

#define L_CELL                                                                              \
    "a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\nc = Value(10.0, label='c')\n"   \
    "e = a*b; e.label = 'e'\nd = e + c; d.label = 'd'\nf = Value(-2.0, label='f')\n"        \
    "L = d * f; L.label = 'L'\n"
/* the lecture's nudge: one step along the gradient, then L rebuilt from the nudged leaves */
#define NUDGE_CELL                                                                          \
    L_CELL "L.backward()\n"                                                                 \
           "a.data += 0.01 * a.grad\nb.data += 0.01 * b.grad\n"                             \
           "c.data += 0.01 * c.grad\nf.data += 0.01 * f.grad\n"                             \
           "e = a * b\nd = e + c\nL = d * f\nprint(L.data)\n"

typedef struct script_case {
    const char *what, *src;
    int status;
    const char *out; /* all of stdout */
    const char *err; /* all of stderr, or NULL for "" */
} script_case;

/* Every statement kind through the command, from standard input; the expected output is
 * what CPython 3.11 prints for the same script with micrograd's Value. */
static const script_case scripts[] = {
    {"nudge", NUDGE_CELL, 0, "-7.286496\n", NULL},
    {"print", "a = Value(3.0, label='a')\nprint(a, a.data, 'x', 2, sep=', ', end='!\\n')\n"
              "print()\nprint(a.label, 'b' 'c', \"d\" + 'e')\n",
     0, "Value(data=3.0, grad=0.0), 3.0, x, 2!\n\na bc de\n", NULL},
    {"f-strings", "g = 24.70408163265306\n"
                  "print(f'{g:.4f}|{0.000123456:.2e}|{3.5:>8}|{42:d}|{g=}|{{}}')\n",
     0, "24.7041|1.23e-04|     3.5|42|g=24.70408163265306|{}\n", NULL},
    {"numbers", "h = 0.001; n = 2\nprint(n * 3, n / 4, h, -2**2, 2**0.5)\n", 0,
     "6 0.5 0.001 -4 1.4142135623730951\n", NULL},
    {"assignments", "a = Value(2.0)\nb = a\nb += 1\nb -= 0.5\nb *= 2\nb /= 5\nb **= 2\n"
                    "print(b.data, a.data)\n",
     0, "1.0 2.0\n", NULL},
    {"backward", "a = Value(2.0); b = Value(-3.0); c = a*b + a\nc.backward()\n"
                 "print(a.grad, b.grad)\nc.backward()\nprint(a.grad)\n",
     0, "-2.0 2.0\n-4.0\n", NULL},
    {"data and grad", "a = Value(2.0); b = a*3\na.data = 5\nc = a*3\na.grad += 2\na.grad *= 3\n"
                      "print(b.data, c.data, a.grad)\n",
     0, "6.0 15.0 6.0\n", NULL},
    {"_backward", "a = Value(2.0); b = Value(4.0); c = a*b\nc.grad = 1.0\nc._backward()\n"
                  "print(a.grad, b.grad)\n",
     0, "4.0 2.0\n", NULL},
    {"functions", "x = Value(0.5)\nprint(f'{x.tanh().data:.6f} {exp(x).data:.6f} "
                  "{x.log().data:.6f} {relu(x - 1).data} {sigmoid(x).data:.6f}')\n",
     0, "0.462117 1.648721 -0.693147 0.0 0.622459\n", NULL},
    {"label", "a = Value(2.0)\na.label = 'alpha'\nprint(a.label)\n", 0, "alpha\n", NULL},
    {"grad", "x = Value(3.0); y = x**3\nprint(grad(y, x).data, grad(grad(y, x), x).data)\n"
             "g = grad(grad(y, x), x) + 1\nprint(g, grad(g, x).data, x.grad)\n",
     0, "27.0 18.0\nValue(data=19.0, grad=0.0) 6.0 0.0\n", NULL},
    {"ignored", "import math\na = Value(1.0)\ndraw_dot(a)\na\nprint('ok')\n", 0, "ok\n",
     "<stdin>:1: note: import ignored\n"
     "<stdin>:3: note: draw_dot(...) ignored: eval --dot FILE draws the graph\n"
     "<stdin>:4: note: value not printed (print(...) prints it): a\n"},
    /* what ran before an error stays printed; the error shows its line and a caret */
    {"error midway", "print('one')\nb = 2 * undefined\nprint('never')\n", 1, "one\n",
     "<stdin>:2:9: error: undefined name 'undefined'\nb = 2 * undefined\n        ^\n"},
    {"for", "a = Value(1.0)\nfor i in a:\n  print(i)\n", 1, "",
     "<stdin>:2:1: error: 'for' statements are not supported (no loops): eval runs "
     "straight-line statements: assignments (y = a*b, y += 1, x.data = ..., x.grad = ..., "
     "x.label = '...'), y.backward(), x._backward(), print(...)\nfor i in a:\n^\n"},
    {"def", "def f(x): return x\nprint(1)\n", 1, "",
     "<stdin>:1:1: error: 'def' statements are not supported (no functions): eval runs "
     "straight-line statements: assignments (y = a*b, y += 1, x.data = ..., x.grad = ..., "
     "x.label = '...'), y.backward(), x._backward(), print(...)\ndef f(x): return x\n^\n"},
    {"list", "xs = [Value(1.0)]\nprint(xs)\n", 1, "",
     "<stdin>:1:6: error: lists are not supported: eval works on single numbers and Values\n"
     "xs = [Value(1.0)]\n     ^\n"},
    {"grad arity", "x = Value(1.0)\nprint(grad(x))\n", 1, "",
     "<stdin>:2:7: error: grad(y, x) takes two Values, y and x (1 given): d y / d x\n"
     "print(grad(x))\n      ^\n"},
};

static void test_statements(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof scripts / sizeof scripts[0]; k++) {
        const script_case *c = &scripts[k];
        tu_run_result r = RUN(c->src, "-");
        if (r.status != c->status || strcmp(r.out, c->out) || strcmp(r.err, c->err ? c->err : ""))
            fail_msg("%s: exit %d (expected %d)\nstdout:\n%s\nexpected:\n%s\nstderr:\n%s\n"
                     "expected:\n%s",
                     c->what, r.status, c->status, r.out, c->out, r.err, c->err ? c->err : "");
        tu_run_free(&r);
    }
}

/* The README's scripts, as files in examples/scripts/: micrograd's README word for word,
 * and the lecture's nudge cell. */
static void test_example_scripts(void **state) {
    (void)state;
    const char *readme = MG_SOURCE_DIR "/examples/scripts/readme.py";
    char *text = tu_read_file(readme, NULL);
    assert_non_null(text);
    assert_string_equal(text, tu_readme_script);
    free(text);
    tu_run_result r = RUN(NULL, "-q", readme);
    expect(r, 0, readme_printed, "");
    tu_run_free(&r);
    r = RUN(NULL, MG_SOURCE_DIR "/examples/scripts/nudge.py");
    expect(r, 0, "-7.286496\n", "");
    tu_run_free(&r);
}

/* --summary after a script that ran backward (or set grads) itself: the summary is the
 * output's derivative, computed once on grads set to 0; the grads the script left are put
 * back, so its own numbers (and a drawing) neither double nor change. */
static void test_summary_after_backward(void **state) {
    (void)state;
    const char *dot = tu_path("twice.dot");
    tu_run_result r = RUN("a = Value(2.0, label='a'); b = a*a\nb.backward()\nb.backward()\n"
                          "print(a.grad)\n",
                          "--summary", "--dot", dot, "-");
    expect(r, 0, "8.0\nb = 4.0000\ndb/da = 4.0000\n", "");
    tu_run_free(&r);
    char *text = tu_read_file(dot, NULL);
    assert_non_null(text);
    expect_in(text, "{ a | data 2.0000 | grad 8.0000 }"); /* as the script left it */
    free(text);
    /* grads set by hand stay as they are, and do not add to the summary's */
    r = RUN("a = Value(2.0); b = Value(4.0); c = a*b\nc.grad = 1.0\nc._backward()\n"
            "a.grad = 100.0\nprint(a.grad)\n",
            "--summary", "-");
    expect(r, 0, "100.0\nc = 8.0000\ndc/da = 4.0000\ndc/db = 2.0000\n", "");
    tu_run_free(&r);
    /* the nudge cell: L rebuilt at the nudged data, and its derivatives there */
    r = RUN(NUDGE_CELL, "--summary", "-");
    expect(r, 0,
           "-7.286496\nL = -7.2865\ndL/da = 5.9584\ndL/db = -4.0376\ndL/dc = -1.9600\n"
           "dL/df = 3.7176\n",
           "");
    tu_run_free(&r);
    /* a script that prints but assigns no Value has no summary to give */
    r = RUN("print(1 + 2)\n", "--summary", "-");
    expect(r, 1, "3\n", NULL);
    expect_in(r.err, "--summary needs a Value");
    tu_run_free(&r);
    r = RUN("print(1 + 2)\n", "-");
    expect(r, 0, "3\n", "");
    tu_run_free(&r);
}

/* Several scripts run in order on the same names, as a notebook's cells. */
static void test_sources_in_order(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s", tu_path("cell.py"));
    tu_write_file(path, "import os\nprint(x * 3, f'{x:d}')\n", (size_t)-1);
    /* x = 2 alone would be a summary leaf; the cell after it prints, so both run as
     * Python and x is the int 2; the -e lines' note is shown once */
    tu_run_result r = RUN(NULL, "-e", "import sys", "-e", "x = 2", path);
    char err[1200];
    snprintf(err, sizeof err, "-e:1: note: import ignored\n%s:1: note: import ignored\n", path);
    expect(r, 0, "6 2\n", err);
    tu_run_free(&r);
    /* -e lines after a file are a script of their own, numbered from 1 */
    tu_write_file(path, "print(a.data * 2)\n", (size_t)-1);
    r = RUN(NULL, "-e", "a = Value(1.0)", path, "-e", "print(a)", "-e", "b = a +* 2");
    expect(r, 1, "2.0\nValue(data=1.0, grad=0.0)\n",
           "-e:2:8: error: expected a number, a name or '(', found '*'\nb = a +* 2\n       ^\n");
    tu_run_free(&r);
    /* ... an error in the file names the file, and stops what comes after it */
    tu_write_file(path, "print(a.data)\nprint(nope)\n", (size_t)-1);
    r = RUN(NULL, "-e", "a = Value(1.5)", path, "-e", "print('after')");
    snprintf(err, sizeof err, "%s:2:7: error: undefined name 'nope'\nprint(nope)\n      ^\n",
             path);
    expect(r, 1, "1.5\n", err);
    tu_run_free(&r);
}

/* grad(y, x) is a Value like any other: in the summary, drawn, printed as a formula. */
static void test_gradient_values(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "-e", "x = Value(3.0); y = x**3; g = grad(y, x)", "--formula");
    expect(r, 0, "g = 27.0000\ndg/dx = 18.0000\ndy_dx = x**2*3*1\n", "");
    tu_run_free(&r);
    /* as Python, the drawing takes the names for the values the script left unlabelled */
    r = RUN(NULL, "-e", "x = Value(3.0); y = x**3; g = grad(y, x); print(g)", "--formula");
    expect(r, 0, "Value(data=27.0, grad=0.0)\ng = x**2*3*1\n", "");
    tu_run_free(&r);
    const char *dot = tu_path("grad.dot");
    r = RUN(NULL, "-e", "x = Value(3.0); y = x**3", "-e", "d2 = grad(grad(y, x), x)", "-q",
            "--dot", dot, "--json");
    expect(r, 0, "{\"output\": \"d2\", \"value\": 18.0, \"grads\": {\"x\": 6.0}}\n", "");
    tu_run_free(&r);
    char *text = tu_read_file(dot, NULL);
    assert_non_null(text);
    expect_in(text, "{ x | data 3.0000 | grad 6.0000 }");
    expect_in(text, "data 18.0000 | grad 1.0000 }");
    free(text);
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
    expect_in(r.out, "Usage: micrograd eval [OPTIONS] [FILE | - | -e TEXT]...");
    expect_in(r.out, "--summary");
    expect_in(r.out, "MICROGRAD_HISTORY");
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
        cmocka_unit_test(test_statements),   cmocka_unit_test(test_summary_after_backward),
        cmocka_unit_test(test_sources_in_order), cmocka_unit_test(test_gradient_values),
        cmocka_unit_test(test_example_scripts),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cleanup();
    return failed;
}
