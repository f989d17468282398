/* test_script_run.c - scripts run statement by statement (mg_script_new, mg_script_run):
 * what they print against what Python prints for the same script (the lecture's nudge
 * cell, micrograd's README, backprop by hand, the numerical slope cell, ints and floats,
 * strings), f-string format specs against Python's format(), Python mode and summary
 * mode, errors with their line:col that name the construct, a failing statement dropped
 * while the ones before it stay, the prompt's repeated runs with the echo, incomplete
 * input, memory and numerics failures.
 *
 * Every expected string was printed by CPython 3.11 running the same script with a Value
 * class written as micrograd's (repr "Value(data=.., grad=..)", math.tanh for tanh); the
 * tests do not run Python. */
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

/* Runs text from a heap copy of exactly its length (reading past it is caught by
 * AddressSanitizer in the sanitizer build). */
static mg_status run_n(mg_script *s, const char *text, size_t len, unsigned flags,
                       mg_script_error *where, mg_err *err) {
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    mg_status st = mg_script_run(s, copy, len, "t.py", flags, where, err);
    free(copy);
    return st;
}

static mg_status run(mg_script *s, const char *text, unsigned flags, mg_script_error *where,
                     mg_err *err) {
    return run_n(s, text, strlen(text), flags, where, err);
}

/* Runs text on a new script and checks what it printed. */
static void expect_printed(mg_ctx *ctx, const char *what, const char *text, unsigned flags,
                           const char *want) {
    mg_script *s = mg_script_new(ctx);
    assert_non_null(s);
    mg_err err = {0};
    if (run(s, text, flags, NULL, &err) != MG_STATUS_OK)
        fail_msg("%s: %s\nscript:\n%s", what, err.msg, text);
    size_t n;
    const char *out = mg_script_printed(s, &n);
    if (n != strlen(want) || memcmp(out, want, n))
        fail_msg("%s: printed\n%s\nexpected\n%s", what, out, want);
    mg_script_free(s);
}

/* ==== scripts and what Python prints for them ============================================= */

#define L_CELL                                                                              \
    "a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\nc = Value(10.0, label='c')\n"   \
    "e = a*b; e.label = 'e'\nd = e + c; d.label = 'd'\nf = Value(-2.0, label='f')\n"        \
    "L = d * f; L.label = 'L'\n"

#define NEURON_CELL                                                                         \
    "x1 = Value(2.0, label='x1')\nx2 = Value(0.0, label='x2')\n"                           \
    "w1 = Value(-3.0, label='w1')\nw2 = Value(1.0, label='w2')\n"                          \
    "b = Value(6.8813735870195432, label='b')\n"                                           \
    "x1w1 = x1*w1; x1w1.label = 'x1*w1'\nx2w2 = x2*w2; x2w2.label = 'x2*w2'\n"             \
    "x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'\nn = x1w1x2w2 + b; n.label = 'n'\n" \
    "o = n.tanh(); o.label = 'o'\n"

typedef struct print_case {
    const char *what, *src, *printed;
} print_case;

static const print_case prints[] = {
    /* the lecture: one step along the gradient, then L rebuilt from the nudged leaves */
    {"nudge", L_CELL "L.backward()\n"
              "a.data += 0.01 * a.grad\nb.data += 0.01 * b.grad\n"
              "c.data += 0.01 * c.grad\nf.data += 0.01 * f.grad\n"
              "e = a * b\nd = e + c\nL = d * f\nprint(L.data)\n",
     "-7.286496\n"},
    /* micrograd's README: its three print(f'{...:.4f}') lines */
    {"readme", tu_readme_script, "24.7041\n138.8338\n645.5773\n"},
    /* the lecture's backprop by hand on L, grads set one by one */
    {"manual L", L_CELL "L.grad = 1.0\nd.grad = f.data # dL/dd = f\nf.grad = d.data\n"
                 "print('L.grad:', L.grad)\nprint('d.grad:', d.grad)\nprint('f.grad:', f.grad)\n"
                 "c.grad = d.grad\ne.grad = d.grad\na.grad = e.grad * b.data\n"
                 "b.grad = e.grad * a.data\nprint('a.grad:', a.grad)\nprint('b.grad:', b.grad)\n"
                 "print(a, b, c, d, e, f, L, sep='\\n')\n",
     "L.grad: 1.0\nd.grad: -2.0\nf.grad: 4.0\na.grad: 6.0\nb.grad: -4.0\n"
     "Value(data=2.0, grad=6.0)\nValue(data=-3.0, grad=-4.0)\nValue(data=10.0, grad=-2.0)\n"
     "Value(data=4.0, grad=-2.0)\nValue(data=-6.0, grad=-2.0)\nValue(data=-2.0, grad=4.0)\n"
     "Value(data=-8.0, grad=1.0)\n"},
    /* ... and on the neuron, node by node with _backward() after o.grad = 1.0 */
    {"neuron _backward", NEURON_CELL "o.grad = 1.0\no._backward()\nn._backward()\nb._backward()\n"
                         "x1w1x2w2._backward()\nx2w2._backward()\nx1w1._backward()\n"
                         "print(f'{o.data:.4f}', f'{x1.grad:.4f} {w1.grad:.4f} {x2.grad:.4f} "
                         "{w2.grad:.4f} {b.grad:.4f}')\n",
     "0.7071 -1.5000 1.0000 0.5000 0.0000 0.5000\n"},
    /* the lecture's numerical slope: plain floats (the notebook's own output) */
    {"slope", "h = 0.0001\na = 2.0\nb = -3.0\nc = 10.0\n\nd1 = a*b + c\na += h\nd2 = a*b + c\n\n"
              "print('d1', d1)\nprint('d2', d2)\nprint('slope', (d2 - d1)/h)\n",
     "d1 4.0\nd2 3.999699999999999\nslope -3.000000000010772\n"},
    /* ints stay ints, / gives a float, floats print as repr */
    {"numbers", "print(6, 6.0, 7 / 7, 2 ** 10, 2 ** -1, 3 * 2.0, -0, 1e16, 1e-5, 0.1 + 0.2, "
                "2 ** 53, 2 ** 0.5, -2 ** 2, 10 / 4)\n"
                "n = 5\nx = 2.5\nprint(n, x, n * x, n + 1, n / 1, n - 6, -n, +x)\n",
     "6 6.0 1.0 1024 0.5 6.0 0 1e+16 1e-05 0.30000000000000004 9007199254740992 "
     "1.4142135623730951 -4 2.5\n5 2.5 12.5 6 5.0 -1 -5 2.5\n"},
    /* strings: quotes, joins, escapes, sep= and end= */
    {"strings", "print('a', \"b\", '''c''', 'd' 'e', 'f' + 'g', sep='-', end='!\\n')\n"
                "print('tab\\there', 'nl\\\\n', 'q\\'s', \"\\x41\\u00e9\\101\", r'\\n')\n"
                "print()\nprint('x', end='')\nprint('y', sep=None)\nprint('', f'')\n"
                "print(Value(1.0, label=''))\n",
     "a-b-c-de-fg!\ntab\there nl\\n q's A\xc3\xa9" "A \\n\n\nxy\n \n"
     "Value(data=1.0, grad=0.0)\n"},
    /* a Value's repr, its label, conversions and self-documenting fields */
    {"values", "a = Value(3.0, label='a')\nb = a * 2\n"
               "print(a.label, b.label, f'{a.label!r}', f'{b!s:>30}')\n"
               "print(f'{a}', f'{a!r}', f'{a.data=}', f'{a.data = :.2f}', f'{{literal}}', "
               "f\"{'x':^5}\")\nprint(Value(2), Value(data=-1.5))\n",
     "a  'a'      Value(data=6.0, grad=0.0)\n"
     "Value(data=3.0, grad=0.0) Value(data=3.0, grad=0.0) a.data=3.0 a.data = 3.00 {literal}"
     "   x  \nValue(data=2.0, grad=0.0) Value(data=-1.5, grad=0.0)\n"},
    /* values built before a change of data keep theirs; later ones see it */
    {"data", "a = Value(2.0)\nb = a * 3\na.data = 5\nc = a * 3\na.grad += 2\na.grad *= 3\n"
             "print(b.data, c.data, a.grad)\nb.backward()\nprint(a.grad)\n",
     "6.0 15.0 6.0\n9.0\n"},
    /* grad(y, x): d y / d x as a Value, differentiated again; the leaves' grads untouched
     * (micrograd's PR #8: x**3 at 3 gives 27, 18, 6, 0; f = 2*x*x*y + y*x gives
     * f_xy = f_yx = 4x + 1, f_yy = 0, f_xx = 4y) */
    {"gradients", "x = Value(3.0); y = x**3\n"
                  "print(grad(y, x).data, grad(grad(y, x), x).data)\n"
                  "print(grad(grad(grad(y, x), x), x),\n"
                  "      grad(grad(grad(grad(y, x), x), x), x).data)\n"
                  "g = grad(y, x) * 2 + 1\nprint(g.data, x.grad, grad(g, x).data)\n"
                  "u = Value(2.0); v = Value(5.0); f = 2*u*u*v + v*u\n"
                  "print(grad(grad(f, u), v).data, grad(grad(f, v), u).data, "
                  "grad(grad(f, v), v).data, grad(grad(f, u), u).data)\n"
                  "print(grad(x, x).data, grad(u, x).data, grad(y, x).data)\n"
                  "d = grad(y, x); d.backward(); print(x.grad)\n",
     "27.0 18.0\nValue(data=6.0, grad=0.0) 0.0\n55.0 0.0 36.0\n9.0 9.0 0.0 20.0\n"
     "1.0 0.0 27.0\n18.0\n"},
    /* imports, drawings and IPython lines are skipped; bare expressions evaluated */
    {"ignored", "import math\nfrom micrograd.engine import Value\n%matplotlib inline\n"
                "a = Value(1.0)\ndraw_dot(a)\na\nprint('ok')\n",
     "ok\n"},
};

static void test_prints(void **state) {
    mg_ctx *ctx = *state;
    for (size_t k = 0; k < sizeof prints / sizeof prints[0]; k++)
        expect_printed(ctx, prints[k].what, prints[k].src, 0, prints[k].printed);
}

/* The neuron's grads by hand are micrograd's (seed 003's picture), and backward() agrees. */
static void test_backprop_by_hand(void **state) {
    mg_ctx *ctx = *state;
    mg_script *s = mg_script_new(ctx);
    assert_non_null(s);
    assert_int_equal(run(s, NEURON_CELL "o.grad = 1.0\no._backward()\nn._backward()\n"
                                        "b._backward()\nx1w1x2w2._backward()\nx2w2._backward()\n"
                                        "x1w1._backward()\n",
                         0, NULL, NULL),
                     MG_STATUS_OK);
    assert_true(mg_script_is_python(s) && mg_script_did_backward(s) && !mg_script_did_print(s));
    const struct { const char *name; double grad; } want[] = {
        {"x1", -1.5}, {"x2", 0.5}, {"w1", 1.0}, {"w2", 0.0}, {"b", 0.5}, {"n", 0.5}};
    double by_hand[6];
    for (size_t i = 0; i < 6; i++) {
        by_hand[i] = mg_grad(ctx, mg_script_lookup(s, want[i].name));
        ASSERT_NEAR(by_hand[i], want[i].grad, 1e-12);
    }
    assert_int_equal(run(s, "o.backward()\n", 0, NULL, NULL), MG_STATUS_OK);
    /* backward() accumulates into the leaves: twice the grads by hand */
    for (size_t i = 0; i < 5; i++)
        ASSERT_NEAR(mg_grad(ctx, mg_script_lookup(s, want[i].name)), 2 * by_hand[i], 1e-12);
    mg_script_free(s);
}

/* ==== f-strings and format specs ============================================================ */

typedef struct spec_case {
    const char *value, *spec, *want; /* print(f'{VALUE:SPEC}') prints WANT */
} spec_case;

static const spec_case specs[] = {
    {"24.70408163265306", ".4f", "24.7041"},   {"0.000123456", ".2e", "1.23e-04"},
    {"3.5", ">8", "     3.5"},                 {"42", "d", "42"},
    {"1234567", ",", "1,234,567"},             {"0.25", "%", "25.000000%"},
    {"0.256", ".1%", "25.6%"},                 {"2.5", "+", "+2.5"},
    {"-7", "+", "-7"},                         {"-1.5", "*^12", "****-1.5****"},
    {"-1.5", "=10", "-      1.5"},             {"-1.5", "010", "-0000001.5"},
    {"1234.5", "^+12,.1f", "  +1,234.5  "},    {"1234", "010,", "00,001,234"},
    {"1234", "08,", "0,001,234"},              {"1234567.891", ",", "1,234,567.891"},
    {"1234.5", "012,.2f", "0,001,234.50"},     {"255", "#x", "0xff"},
    {"255", "#010X", "0X000000FF"},            {"255", "_b", "1111_1111"},
    {"1000000", "_", "1_000_000"},             {"8", "o", "10"},
    {"2.5", ".0f", "2"},                       {"0.5", "#.0f", "0."},
    {"100.0", ".3", "1e+02"},                  {"1.0", "#.3", "1.00"},
    {"123456789.0", "g", "1.23457e+08"},       {"0.0001", "G", "0.0001"},
    {"1e16", "", "1e+16"},                     {"1e-5", ".3", "1e-05"},
    {"-0.0", "z.1f", "0.0"},                   {"-0.0", "", "-0.0"},
    {"6", "f", "6.000000"},                    {"6", "e", "6.000000e+00"},
    {"1.5", " ", " 1.5"},                      {"12345.678", "_g", "12_345.7"},
    {"3.14159", "x<10.2f", "3.14xxxxxx"},      {"3.14159", "\xc3\xa9>8.3", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" "3.14"},
    {"1e400", "010f", "0000000inf"},           {"1e400 - 1e400", "+", "+nan"},
    {"-7.286496", "", "-7.286496"},            {"\"abc\"", ">8", "     abc"},
    {"\"abc\"", "^7", "  abc  "},              {"\"abcdef\"", ".2", "ab"},
    {"\"ab\"", "05", "ab000"},                 {"\"h\xc3\xa9llo\"", "*>8", "***h\xc3\xa9llo"},
};

static void test_format_specs(void **state) {
    mg_ctx *ctx = *state;
    for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) {
        char src[160], want[80];
        snprintf(src, sizeof src, "print(f'{%s%s%s}')", specs[k].value, *specs[k].spec ? ":" : "",
                 specs[k].spec);
        snprintf(want, sizeof want, "%s\n", specs[k].want);
        expect_printed(ctx, src, src, 0, want);
    }
}

/* ==== errors ================================================================================= */

typedef struct bad_case {
    const char *src;
    size_t line, col;
    const char *fragment;
} bad_case;

static const bad_case bad[] = {
    /* what eval does not have, named */
    {"for i in x:\n  y = 1", 1, 1, "'for' statements are not supported (no loops): eval runs"},
    {"while True:\n  pass", 1, 1, "'while' statements are not supported (no loops)"},
    {"if a:\n  b = 1", 1, 1, "'if' statements are not supported (no conditions)"},
    {"def f(x):\n  return x", 1, 1, "'def' statements are not supported (no functions)"},
    {"class Value:\n  pass", 1, 1, "'class' statements are not supported (no classes)"},
    {"with open('f') as f:\n  pass", 1, 1, "'with' statements are not supported"},
    {"try:\n  a = 1", 1, 1, "'try' statements are not supported (no exceptions)"},
    {"f = lambda x: x", 1, 5, "'lambda' is not supported here (no functions)"},
    {"xs = [1.0, 2.0]", 1, 6, "lists are not supported"},
    {"d = {'a': 1}", 1, 5, "dicts and sets are not supported"},
    {"a = 1.0\nb = a[0]", 2, 6, "indexing is not supported"},
    {"a = 1, 2", 1, 6, "tuples are not supported"},
    {"a = 1.0\na, b = 1, 2", 2, 2, "tuples are not supported"},
    {"a = 1.0\nb = a < 2", 2, 7, "comparisons ('<') are not supported"},
    {"a = 1.0\nb = a == 2", 2, 7, "comparisons ('==') are not supported"},
    {"a = 1.0\nb = a % 2", 2, 7, "operator '%' is not supported"},
    {"a = 1.0\nb = not a", 2, 5, "'not' is not supported here (no conditions)"},
    {"a = 1.0\nb = a if a else 2", 2, 7, "'if' is not supported here (no conditions)"},
    {"a = 1.0\nprint(a and 2)", 2, 9, "'and' is not supported here"},
    {"a = 1.0\n3 = a", 2, 1, "cannot assign to an expression"},
    /* strings and None where numbers go */
    {"x = 'abc'", 1, 5, "a string is not a number"},
    {"print('a' * 2)", 1, 11, "unsupported operands for '*': a string and an int"},
    {"print(b'ab')", 1, 7, "bytes literals"},
    {"print('\\x4')", 1, 8, "malformed escape"},
    {"a = Value(1.0)\nb = a.backward()", 2, 5, "this gives None"},
    {"a = Value(1.0)\na.backward() * 2", 2, 1, "this gives None"},
    {"a = Value(1.0)\nprint(a.backward())", 2, 7, "this gives None"},
    {"x = print(1)", 1, 5, "print(...) is a statement here"},
    /* numbers are not Values */
    {"a = 2.0\na.backward()", 2, 3, "a number has no method 'backward'"},
    {"a = 2.0\nprint(a.grad)", 2, 9, "a float has no attribute 'grad'"},
    {"a = 2\na.data = 3", 2, 3, "'a' holds an int, which has no attribute 'data'"},
    {"a = Value(1.0)\na.data = a", 2, 10, "x.data takes a number, not a Value"},
    {"a = Value(1.0)\na.grad += 'x'", 2, 8, "unsupported operands for '+='"},
    {"a = Value(1.0)\na.foo = 1", 2, 3, "cannot set 'foo'"},
    {"x = 1 / 0", 1, 7, "division by zero"},
    {"x = 0.0 ** -1", 1, 9, "division by zero"},
    {"print(y)", 1, 7, "undefined name 'y'"},
    /* f-strings */
    {"print(f'{1.5:d}')", 1, 9, "f-string: format spec ':d' for a float: unknown format code 'd'"},
    {"a = Value(1.0)\nprint(f'{a:.2f}')", 2, 9, "a Value takes no format spec (':.2f')"},
    {"print(f'{1:.2}')", 1, 9, "format spec ':.2' for an int: precision not allowed"},
    {"print(f'{\"s\":+}')", 1, 9, "for a string: sign not allowed"},
    {"print(f'{1.0:,_}')", 1, 9, "cannot specify both ',' and '_'"},
    {"print(f'{1.0:10000000}')", 1, 9, "too large"},
    {"print(f'{}')", 1, 9, "empty expression"},
    {"print(f'{1')", 1, 9, "expecting '}'"},
    {"print(f'a}b')", 1, 10, "single '}'"},
    {"print(f'{1!x}')", 1, 11, "invalid conversion"},
    {"print(f'{1:{2}}')", 1, 12, "nested in a format spec"},
    {"print(f'{1 # c}')", 1, 12, "cannot include '#'"},
    {"print(f'{1 2}')", 1, 12, "expected '}' after the expression, found '2'"},
    {"print(f'{y}')", 1, 10, "undefined name 'y'"},
    /* print's arguments */
    {"print(1, sep=2)", 1, 14, "sep= takes a string or None"},
    {"print(1, file=x)", 1, 10, "print(file=...) is not supported"},
    {"print(sep='', 1)", 1, 15, "positional argument after a keyword"},
    {"print(1 2)", 1, 9, "expected ',' or ')' in print(...), found '2'"},
    /* grad(y, x) */
    {"x = Value(1.0)\ny = grad(x)", 2, 5, "grad(y, x) takes two Values, y and x (1 given)"},
    {"x = Value(1.0)\ny = grad(x, x, x)", 2, 5, "grad(y, x) takes two Values, y and x (3 given)"},
    {"x = Value(1.0)\ny = grad(x, 2.0)", 2, 13, "grad(y, x): x is a float, not a Value"},
    {"x = Value(1.0)\ny = grad(2 * 3, x)", 2, 10, "grad(y, x): y is an int, not a Value"},
    {"x = Value(1.0)\ny = grad(x, 'x')", 2, 13, "grad(y, x): x is a string, not a Value"},
    {"x = Value(1.0)\ny = grad(x, x.backward())", 2, 13, "grad(y, x): x is None"},
    {"x = Value(1.0)\ny = grad(x, x=x)", 2, 13, "grad(y, x) takes no keyword arguments"},
    {"x = Value(1.0)\ny = grad(x, x) ** grad", 2, 19, "undefined name 'grad'"},
    {"y = gradient(1)", 1, 5, "unknown function 'gradient' (known: Value, grad, tanh"},
};

static void test_errors(void **state) {
    mg_ctx *ctx = *state;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const bad_case *c = &bad[k];
        mg_script *s = mg_script_new(ctx);
        assert_non_null(s);
        size_t size = mg_ctx_size(ctx);
        mg_script_error where = {0};
        mg_err err = {0};
        mg_status st = run(s, c->src, MG_SCRIPT_PYTHON, &where, &err);
        if (st != MG_STATUS_FORMAT || where.line != c->line || where.col != c->col ||
            !strstr(where.message, c->fragment))
            fail_msg("bad script %zu (%s): status %d, %zu:%zu '%s'; expected %zu:%zu '%s'", k,
                     c->src, (int)st, where.line, where.col, where.message, c->line, c->col,
                     c->fragment);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "t.py:%zu:%zu: ", c->line, c->col);
        if (strncmp(err.msg, prefix, strlen(prefix)) || !strstr(err.msg, c->fragment))
            fail_msg("bad script %zu: err.msg '%s'", k, err.msg);
        /* only the statements before the failing one made values */
        assert_true(mg_ctx_size(ctx) <= size + 1);
        mg_script_free(s);
    }
}

/* An error in the middle of a run: the statements before it stay, its own values and
 * whatever it would have done are dropped, and a later run carries on. */
static void test_error_midway(void **state) {
    mg_ctx *ctx = *state;
    mg_script *s = mg_script_new(ctx);
    assert_non_null(s);
    size_t size = mg_ctx_size(ctx);
    mg_script_error where = {0};
    mg_err err = {0};
    const char *src = "a = Value(1.0)\nprint('one')\nb = a * 2\nc = (b + 1) * undefined\n"
                      "print('never')\n";
    assert_int_equal(run(s, src, 0, &where, &err), MG_STATUS_FORMAT);
    assert_int_equal(where.line, 4);
    assert_int_equal(where.col, 15);
    assert_string_equal(where.message, "undefined name 'undefined'");
    assert_string_equal(mg_script_printed(s, NULL), "one\n");
    assert_int_equal(mg_ctx_size(ctx), size + 3); /* a, the constant 2, a*2: not b + 1 */
    assert_int_equal(mg_script_nnames(s), 2);
    assert_false(mg_ok(mg_script_lookup(s, "c")));
    assert_string_equal(mg_script_output_name(s), "b");
    assert_int_equal(run(s, "c = b + 1\nprint(c.data)\n", 0, NULL, NULL), MG_STATUS_OK);
    assert_string_equal(mg_script_printed(s, NULL), "one\n3.0\n");
    assert_string_equal(mg_script_output_name(s), "c");
    /* a failing x.data change changes nothing */
    assert_int_equal(run(s, "a.data = 5.0 + 'x'\n", 0, NULL, NULL), MG_STATUS_FORMAT);
    ASSERT_NEAR(mg_data(ctx, mg_script_lookup(s, "a")), 1.0, 0);
    mg_script_free(s);
}

/* ==== the prompt ============================================================================ */

static void test_prompt(void **state) {
    mg_ctx *ctx = *state;
    const struct { const char *in, *out; int ok; } steps[] = {
        {"a = Value(2.0, label='a')", "", 1}, {"b = Value(-3.0, label='b')", "", 1},
        {"c = Value(10.0, label='c')", "", 1}, {"L = (a*b + c) * -2.0", "", 1},
        {"L.backward()", "", 1},              {"a.grad", "6.0\n", 1},
        {"a", "Value(data=2.0, grad=6.0)\n", 1}, {"L.data", "-8.0\n", 1},
        {"x = 3", "", 1},                     {"x * 2", "6\n", 1},
        {"x / 2", "1.5\n", 1},                {"'it\\'s'", "\"it's\"\n", 1},
        {"print('hi')", "hi\n", 1},           {"undefined", "", 0},
        {"b.grad", "-4.0\n", 1},              {"draw_dot(L)", "", 1},
        {"f'{a.grad:.2f}'", "'6.00'\n", 1},
    };
    mg_script *s = mg_script_new(ctx);
    assert_non_null(s);
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        mg_err err = {0};
        mg_status st = run(s, steps[i].in, MG_SCRIPT_ECHO | MG_SCRIPT_PYTHON, NULL, &err);
        if ((st == MG_STATUS_OK) != steps[i].ok)
            fail_msg(">>> %s: status %d (%s)", steps[i].in, (int)st, err.msg);
        size_t n;
        const char *out = mg_script_printed(s, &n);
        if (n != strlen(steps[i].out) || memcmp(out, steps[i].out, n))
            fail_msg(">>> %s printed '%s', expected '%s'", steps[i].in, out, steps[i].out);
        mg_script_clear_printed(s);
    }
    assert_true(mg_script_did_print(s) && mg_script_did_backward(s));
    assert_int_equal(mg_script_nnotes(s), 1); /* draw_dot(L) */
    assert_non_null(strstr(mg_script_note(s, 0, NULL), "draw_dot(...) ignored"));
    mg_script_free(s);
}

static void test_incomplete(void **state) {
    (void)state;
    const struct { const char *text; int more; } cases[] = {
        {"a = (1 +", 1},       {"a = (1 +\n 2", 1},    {"a = (1 +\n 2)", 0},
        {"print('''abc", 1},   {"print('''abc\n", 1},  {"print('''a''')", 0},
        {"a = 1 + \\", 1},     {"a = 1 + \\\n", 1},    {"a = 1 + \\\n 2", 0},
        {"a = 'abc", 0},       {"a = 1 $ (", 0},       {"", 0},
        {"for i in x:", 0},    {"a = [1,\n", 1},       {"# (", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (mg_script_incomplete(cases[i].text, strlen(cases[i].text)) != cases[i].more)
            fail_msg("mg_script_incomplete('%s') is not %d", cases[i].text, cases[i].more);
    assert_int_equal(mg_script_incomplete(NULL, 0), 0);
}

/* ==== the two modes ========================================================================= */

static void test_modes(void **state) {
    mg_ctx *ctx = *state;
    /* summary mode: a name assigned a number is a leaf with a gradient */
    const char *relu = "x = 3.0\ny = (x*2).relu()\n";
    mg_script *s = mg_script_new(ctx);
    assert_non_null(s);
    assert_int_equal(run(s, relu, 0, NULL, NULL), MG_STATUS_OK);
    assert_false(mg_script_is_python(s));
    assert_int_equal(mg_script_nleaves(s), 1);
    assert_int_equal(mg_script_kind_of(s, 0), MG_SCRIPT_KIND_VALUE);
    assert_string_equal(mg_label(ctx, mg_script_lookup(s, "y")), "y");
    mg_backward(ctx, mg_script_output(s));
    ASSERT_NEAR(mg_grad(ctx, mg_script_lookup(s, "x")), 2.0, 0);
    mg_script_free(s);
    /* the same as Python: x is a float, which has no relu */
    s = mg_script_new(ctx);
    mg_script_error where = {0};
    assert_int_equal(run(s, relu, MG_SCRIPT_PYTHON, &where, NULL), MG_STATUS_FORMAT);
    assert_int_equal(where.line, 2);
    assert_int_equal(where.col, 11);
    assert_non_null(strstr(where.message, "a number has no method 'relu'"));
    mg_script_free(s);

    /* print makes it Python: names hold plain numbers, ints and floats apart */
    s = mg_script_new(ctx);
    assert_int_equal(run(s, "h = 0.001\na = 2.0\nn = 3\nprint(a + h)\n", 0, NULL, NULL),
                     MG_STATUS_OK);
    assert_true(mg_script_is_python(s));
    assert_string_equal(mg_script_printed(s, NULL), "2.001\n");
    assert_int_equal(mg_script_kind_of(s, 1), MG_SCRIPT_KIND_FLOAT);
    assert_int_equal(mg_script_kind_of(s, 2), MG_SCRIPT_KIND_INT);
    ASSERT_NEAR(mg_script_number(s, 1), 2.0, 0);
    assert_false(mg_ok(mg_script_value(s, 1)));
    assert_false(mg_ok(mg_script_lookup(s, "a")));
    assert_null(mg_script_output_name(s));
    assert_int_equal(mg_script_nleaves(s), 0);
    /* ... and stays Python in later runs; labels are the script's own */
    assert_int_equal(run(s, "z = 2.0\nv = Value(z) * z\n", 0, NULL, NULL), MG_STATUS_OK);
    assert_int_equal(mg_script_kind_of(s, 3), MG_SCRIPT_KIND_FLOAT);
    assert_string_equal(mg_script_output_name(s), "v");
    assert_string_equal(mg_label(ctx, mg_script_output(s)), "");
    /* the output's name bound to a number: no output until a name holds a Value again */
    assert_int_equal(run(s, "v = 1.5\n", 0, NULL, NULL), MG_STATUS_OK);
    assert_null(mg_script_output_name(s));
    assert_false(mg_ok(mg_script_output(s)));
    assert_int_equal(run(s, "w = Value(1.0)\n", 0, NULL, NULL), MG_STATUS_OK);
    assert_string_equal(mg_script_output_name(s), "w");
    mg_script_free(s);

    /* backward() and _backward() make it Python; mentions in comments and strings do not */
    const struct { const char *src; int python; } scan[] = {
        {"a = Value(2.0)\nb = a * a\nb.backward()\n", 1},
        {"a = Value(2.0)\nb = a * a\nb._backward()\n", 1},
        {"a = Value(2.0, label='print(a)')  # a.backward()\n", 0},
        {"a = 2.0\nb = a.data  # not a call\n", 0},
    };
    for (size_t i = 0; i < sizeof scan / sizeof scan[0]; i++) {
        s = mg_script_new(ctx);
        mg_err err = {0};
        mg_status st = run(s, scan[i].src, 0, NULL, &err);
        if (scan[i].python != mg_script_is_python(s) || (scan[i].python && st != MG_STATUS_OK))
            fail_msg("mode of '%s': %s", scan[i].src, err.msg);
        mg_script_free(s);
    }
}

/* ==== the output buffer, memory and numerics ================================================= */

static void test_printed_bytes(void **state) {
    mg_ctx *ctx = *state;
    mg_script *s = mg_script_new(ctx);
    assert_non_null(s);
    size_t n = 99;
    assert_string_equal(mg_script_printed(s, &n), "");
    assert_int_equal(n, 0);
    assert_int_equal(run(s, "print('a\\0b')\nprint(end='')\n", 0, NULL, NULL), MG_STATUS_OK);
    assert_memory_equal(mg_script_printed(s, &n), "a\0b\n", 5);
    assert_int_equal(n, 4);
    mg_script_clear_printed(s);
    assert_string_equal(mg_script_printed(s, &n), "");
    assert_int_equal(n, 0);
    assert_true(mg_script_did_print(s));
    assert_false(mg_script_did_backward(s));
    mg_script_free(s);
}

static void test_memory_and_numerics(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    assert_non_null(ctx);
    mg_script *s = mg_script_new(ctx);
    assert_non_null(s);
    assert_int_equal(run(s, "a = Value(1.0)\n", 0, NULL, NULL), MG_STATUS_OK);
    size_t size = mg_ctx_size(ctx);
    mg_ctx_set_max_bytes(ctx, mg_ctx_bytes(ctx));
    char *src = malloc(16 + 8 * 20000), *o = src;
    assert_non_null(src);
    o += sprintf(o, "b = a");
    for (int i = 0; i < 20000; i++) o += sprintf(o, " + a");
    mg_err err = {0};
    assert_int_equal(run(s, src, 0, NULL, &err), MG_STATUS_NOMEM);
    assert_non_null(strstr(err.msg, "out of memory"));
    assert_int_equal(mg_ctx_size(ctx), size);
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK); /* dropped with the statement */
    mg_ctx_set_max_bytes(ctx, 0);
    assert_int_equal(run(s, src, 0, NULL, NULL), MG_STATUS_OK);
    ASSERT_NEAR(mg_data(ctx, mg_script_lookup(s, "b")), 20001.0, 0);
    free(src);

    mg_ctx_check_numerics(ctx, 1);
    mg_script_error where = {0};
    assert_int_equal(run(s, "z = Value(0.0)\nprint('x')\nw = z.log()\n", 0, &where, &err),
                     MG_STATUS_NUMERIC);
    assert_int_equal(where.line, 3);
    assert_non_null(strstr(where.message, "not finite"));
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK);
    assert_string_equal(mg_script_printed(s, NULL), "x\n");
    mg_script_free(s);
    mg_ctx_free(ctx);
}

/* Every allocation failing in turn (an allocator that fails the N-th, for N = 0, 1, ...):
 * each run ends in success or MG_STATUS_NOMEM, gives back all it took, and with memory
 * back the same script runs again. */
static long oom_at = -1, oom_calls, oom_live;
static int oom_failed;

static int oom_now(void) {
    if (oom_calls++ != oom_at) return 0;
    oom_failed = 1;
    return 1;
}
static void *oom_alloc(void *user, size_t size) {
    (void)user;
    void *p = oom_now() ? NULL : malloc(size);
    if (p) oom_live++;
    return p;
}
static void *oom_realloc(void *user, void *p, size_t size) {
    (void)user;
    return oom_now() ? NULL : realloc(p, size);
}
static void oom_free(void *user, void *p) {
    (void)user;
    if (p) oom_live--;
    free(p);
}

static int oom_run(mg_script *s, const char *text, unsigned flags) {
    mg_err err = {0};
    mg_status st = mg_script_run(s, text, strlen(text), "t.py", flags, NULL, &err);
    if (st != MG_STATUS_OK && st != MG_STATUS_NOMEM)
        fail_msg("allocation %ld failing: status %d (%s)", oom_at, (int)st, err.msg);
    return st == MG_STATUS_OK;
}

/* 1 when the scenario got through. */
static int oom_scenario(void) {
    mg_ctx *ctx = mg_ctx_new();
    mg_script *s = ctx ? mg_script_new(ctx) : NULL;
    int through = 0;
    if (s) {
        through = oom_run(s, prints[0].src, 0) &&
                  oom_run(s, "print(f'{L.data:.3f}', L, sep='|')\nx = 3\nx * 2\n'it'\n"
                             "grad(grad(L, a), b)\n",
                          MG_SCRIPT_ECHO | MG_SCRIPT_PYTHON) &&
                  !strcmp(mg_script_printed(s, NULL),
                          "-7.286496\n-7.286|Value(data=-7.286496, grad=0.0)\n6\n'it'\n"
                          "Value(data=-1.96, grad=0.0)\n");
        long saved = oom_at;
        oom_at = -1;
        mg_script_clear_printed(s);
        assert_true(oom_run(s, "print('ok')\n", 0));
        assert_string_equal(mg_script_printed(s, NULL), "ok\n");
        oom_at = saved;
    }
    mg_script_free(s);
    mg_ctx_free(ctx);
    return through;
}

static void test_out_of_memory(void **state) {
    (void)state;
    static const mg_allocator a = {oom_alloc, oom_realloc, oom_free, NULL};
    mg_set_allocator(&a);
    for (oom_at = 0;; oom_at++) {
        oom_calls = oom_live = oom_failed = 0;
        int through = oom_scenario();
        if (oom_live != 0) fail_msg("allocation %ld failing: %ld blocks kept", oom_at, oom_live);
        if (!oom_failed) {
            assert_true(through);
            break;
        }
    }
    mg_set_allocator(NULL);
    assert_true(oom_at > 20);
}

/* mg_script_parse is still the graph only: the nudge cell builds L and runs nothing. */
static void test_parse_runs_nothing(void **state) {
    mg_ctx *ctx = *state;
    const char *src = prints[0].src;
    mg_script *s = mg_script_parse(ctx, src, strlen(src), "t.py", NULL, NULL);
    assert_non_null(s);
    assert_false(mg_script_is_python(s) || mg_script_did_print(s) || mg_script_did_backward(s));
    assert_string_equal(mg_script_printed(s, NULL), "");
    ASSERT_NEAR(mg_data(ctx, mg_script_output(s)), -8.0, 0);
    ASSERT_NEAR(mg_grad(ctx, mg_script_lookup(s, "a")), 0.0, 0);
    assert_int_equal(mg_script_nnotes(s), 6); /* backward, four data nudges, print */
    mg_script_free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_prints, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_backprop_by_hand, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_format_specs, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_errors, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_error_midway, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_prompt, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test_setup_teardown(test_modes, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_printed_bytes, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_memory_and_numerics),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test_setup_teardown(test_parse_runs_nothing, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
