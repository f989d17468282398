/* test_script.c - the script language: good scripts with their values and gradients
 * (micrograd's README and test_sanity_check, the walkthroughs' L and neuron, precedence
 * worked out by hand), the graph a script builds (ops, constants, labels), the names,
 * leaves and notes it reports, bad scripts with their line:col and message, nesting and
 * size limits, and a robustness loop over random and mutated inputs. */
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


/* Parses from a heap copy of exactly len bytes, so reading past the end is caught by
 * AddressSanitizer in the sanitizer build. */
static mg_script *parse_n(mg_ctx *ctx, const char *text, size_t len, mg_script_error *where,
                          mg_err *err) {
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, text, len);
    mg_script *s = mg_script_parse(ctx, copy, len, "t.py", where, err);
    free(copy);
    return s;
}

static mg_script *parse_ok(mg_ctx *ctx, const char *text) {
    mg_err err = {0};
    mg_script *s = parse_n(ctx, text, strlen(text), NULL, &err);
    if (!s) fail_msg("parse failed: %s\nscript:\n%s", err.msg, text);
    return s;
}

/* ==== good scripts: values and gradients ================================================= */

typedef struct want_grad {
    const char *leaf; /* the leaf's name; NULL ends the list */
    double grad;
} want_grad;

typedef struct good_case {
    const char *what, *src;
    const char *output; /* expected output name */
    double value, rel;  /* expected output value, relative tolerance */
    want_grad leaves[8]; /* every leaf, in creation order */
} good_case;


#define NEURON_LEAVES                                                                      \
    "x1 = Value(2.0, label='x1')\nx2 = Value(0.0, label='x2')\n"                           \
    "w1 = Value(-3.0, label='w1')\nw2 = Value(1.0, label='w2')\n"                          \
    "b = Value(6.8813735870195432, label='b')\n"                                           \
    "x1w1 = x1*w1; x1w1.label = 'x1*w1'\nx2w2 = x2*w2; x2w2.label = 'x2*w2'\n"             \
    "x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'\nn = x1w1x2w2 + b; n.label = 'n'\n"
/* do/dn = 1 - tanh(n)^2 = 1/2 (n = asinh 1); the seed's picture shows these grads. */
#define NEURON_GRADS {{"x1", -1.5}, {"x2", 0.5}, {"w1", 1.0}, {"w2", 0.0}, {"b", 0.5}, {NULL, 0}}

static const good_case good[] = {
    /* micrograd's README and test_more_ops */
    {"readme", tu_readme_script, "g", 24.70408163265306, 1e-12,
     {{"a", 138.83381924198252}, {"b", 645.5772594752186}, {NULL, 0}}},
    /* micrograd's test_sanity_check */
    {"sanity", "x = Value(-4.0)\nz = 2 * x + 2 + x\nq = z.relu() + z * x\nh = (z * z).relu()\n"
               "y = h + q + q * x\ny.backward()\n",
     "y", -20.0, 1e-12, {{"x", 46.0}, {NULL, 0}}},
    /* the walkthrough's L, as seed 002 writes it and as plain numbers (seed 003) */
    {"L labels", "a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\n"
                 "c = Value(10.0, label='c')\ne = a*b; e.label = 'e'\nd = e + c; d.label = 'd'\n"
                 "f = Value(-2.0, label='f')\nL = d * f; L.label = 'L' # the output\n",
     "L", -8.0, 1e-12, {{"a", 6.0}, {"b", -4.0}, {"c", -2.0}, {"f", 4.0}, {NULL, 0}}},
    {"L numbers", "a = 2.0\nb = -3.0\nc = 10.0\ne = a*b\nd = e + c\nf = -2.0\nL = d*f\n", "L",
     -8.0, 1e-12, {{"a", 6.0}, {"b", -4.0}, {"c", -2.0}, {"f", 4.0}, {NULL, 0}}},
    {"neuron tanh", NEURON_LEAVES "o = n.tanh(); o.label = 'o'\no.backward()\n", "o",
     0.7071067811865476, 1e-9, NEURON_GRADS},
    {"neuron tanh()", NEURON_LEAVES "o = tanh(n)\n", "o", 0.7071067811865476, 1e-9, NEURON_GRADS},
    {"neuron exp", NEURON_LEAVES "e = (2*n).exp()\no = (e - 1) / (e + 1)\n", "o",
     0.7071067811865476, 1e-9, NEURON_GRADS},
    /* a value used twice: d(x + x*c)/da = 1 + c, d/dc = x */
    {"reuse", "a = Value(1.5)\nb = Value(-2.0)\nc = Value(3.0)\nx = a + b\nout = x + x*c\n", "out",
     -2.0, 1e-12, {{"a", 4.0}, {"b", 4.0}, {"c", -0.5}, {NULL, 0}}},
    /* precedence with a value, a = 3 */
    {"-a**2", "a = Value(3.0)\ny = -a**2", "y", -9.0, 1e-12, {{"a", -6.0}, {NULL, 0}}},
    {"(-a)**2", "a = Value(3.0)\ny = (-a)**2", "y", 9.0, 1e-12, {{"a", 6.0}, {NULL, 0}}},
    {"a**-1", "a = Value(3.0)\ny = a**-1", "y", 1.0 / 3.0, 1e-12, {{"a", -1.0 / 9.0}, {NULL, 0}}},
    {"2**a", "a = Value(3.0)\ny = 2**a", "y", 8.0, 1e-12, {{"a", 5.545177444479562}, {NULL, 0}}},
    {"a**a", "a = Value(3.0)\ny = a**a", "y", 27.0, 1e-12, {{"a", 56.66253179403897}, {NULL, 0}}},
    {"a**2**2", "a = Value(3.0)\ny = a**2**2", "y", 81.0, 1e-12, {{"a", 108.0}, {NULL, 0}}},
    {"a - 1 - 1", "a = Value(3.0)\ny = a - 1 - 1", "y", 1.0, 1e-12, {{"a", 1.0}, {NULL, 0}}},
    {"12 / a / 2", "a = Value(3.0)\ny = 12 / a / 2", "y", 2.0, 1e-12,
     {{"a", -2.0 / 3.0}, {NULL, 0}}},
    {"2*a + a*3 - -a", "a = Value(3.0)\ny = 2*a + a*3 - -a", "y", 18.0, 1e-12,
     {{"a", 6.0}, {NULL, 0}}},
    {"1 - a*2", "a = Value(3.0)\ny = 1 - a*2", "y", -5.0, 1e-12, {{"a", -2.0}, {NULL, 0}}},
    /* numbers alone are folded; the name assigned becomes one leaf */
    {"-2**2", "y = -2**2", "y", -4.0, 0, {{"y", 1.0}, {NULL, 0}}},
    {"2**3**2", "y = 2**3**2", "y", 512.0, 0, {{"y", 1.0}, {NULL, 0}}},
    {"2**-1", "y = 2**-1", "y", 0.5, 0, {{"y", 1.0}, {NULL, 0}}},
    {"arith", "y = 1 + 2*3 - 4/2", "y", 5.0, 0, {{"y", 1.0}, {NULL, 0}}},
    {"parens", "y = (1+2)*3", "y", 9.0, 0, {{"y", 1.0}, {NULL, 0}}},
    {"signs", "y = +-+3", "y", -3.0, 0, {{"y", 1.0}, {NULL, 0}}},
    {"literals", "y = 1e-3 * 1_000 + .5 + 5. + 2.5E2", "y", 256.5, 1e-15, {{"y", 1.0}, {NULL, 0}}},
    {"true division", "y = 10/4", "y", 2.5, 0, {{"y", 1.0}, {NULL, 0}}},
    /* augmented assignments: b = ((3a - 1)/5)**2, db/da = 2 * 1 * 3/5 */
    {"augmented", "a = Value(2.0)\nb = a\nb *= 3\nb -= 1\nb /= 5\nb **= 2\nb += 0\n", "b", 1.0,
     1e-12, {{"a", 1.2}, {NULL, 0}}},
    /* every op, both forms: s(x) + relu x + ln x + e^x + tanh x at 0.5 */
    {"unary ops", "x = Value(0.5)\ny = x.sigmoid() + relu(x) + log(x) + exp(x) + x.tanh()\n", "y",
     2.540150578602047, 1e-12, {{"x", 5.6701727158676505}, {NULL, 0}}},
    /* layout: comments, CRLF, blank lines, brackets and '\' continuing lines, ';' */
    {"layout",
     "# a comment\r\na = Value(1.5)  # trailing\r\n\n\tb = (a *\n   2 +\n 1); c = b \\\n * a\n",
     "c", 6.0, 1e-12, {{"a", 7.0}, {NULL, 0}}},
    /* x.data reads a number: k is a new leaf, not a function of a */
    {"data", "a = Value(3.0)\nk = a.data * 2\ny = a * k\n", "y", 18.0, 1e-12,
     {{"a", 6.0}, {"k", 3.0}, {NULL, 0}}},
    /* leaves made inline: named by label=, or not at all */
    {"inline leaves", "y = Value(2.0, label=\"w\") * Value(data=3.0)\n", "y", 6.0, 1e-12,
     {{"w", 3.0}, {"", 2.0}, {NULL, 0}}},
    /* the output is the name assigned last, even an old one */
    {"last assigned", "a = 1.0\nb = a*2\na += 1\n", "a", 2.0, 1e-12, {{"a", 1.0}, {NULL, 0}}},
    /* Python's other spellings: triple quotes, escapes, a statement after a ';' */
    {"strings", "y = Value(1.0, label='''x\\'''') * 2; y.label = \"it's\"\n", "y", 2.0,
     1e-12, {{"x'", 2.0}, {NULL, 0}}},
};

static void test_good_scripts(void **state) {
    mg_ctx *ctx = *state;
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        const good_case *c = &good[k];
        mg_mark mark = mg_ctx_mark(ctx);
        mg_script *s = parse_ok(ctx, c->src);
        if (strcmp(mg_script_output_name(s), c->output))
            fail_msg("%s: output %s, expected %s", c->what, mg_script_output_name(s), c->output);
        mg_value out = mg_script_output(s);
        mg_backward(ctx, out);
        double v = mg_data(ctx, out);
        if (!(fabs(v - c->value) <= c->rel * fmax(1.0, fabs(c->value))))
            fail_msg("%s: value %.17g, expected %.17g", c->what, v, c->value);
        size_t n = 0;
        while (c->leaves[n].leaf) n++;
        if (mg_script_nleaves(s) != n)
            fail_msg("%s: %zu leaves, expected %zu", c->what, mg_script_nleaves(s), n);
        for (size_t i = 0; i < n; i++) {
            const char *name;
            mg_value leaf = mg_script_leaf(s, i, &name, NULL, NULL);
            double g = mg_grad(ctx, leaf), want = c->leaves[i].grad;
            double tol = (c->rel > 0 ? c->rel : 1e-15) * fmax(1.0, fabs(want));
            if (strcmp(name, c->leaves[i].leaf))
                fail_msg("%s: leaf %zu is '%s', expected '%s'", c->what, i, name,
                         c->leaves[i].leaf);
            if (!(fabs(g - want) <= tol))
                fail_msg("%s: d/d%s = %.17g, expected %.17g", c->what, name, g, want);
            assert_int_equal(mg_role_of(ctx, leaf), MG_ROLE_LEAF);
        }
        mg_script_free(s);
        mg_ctx_reset(ctx, mark);
    }
}

/* ==== the graph a script builds ========================================================== */

static void test_ops_and_constants(void **state) {
    mg_ctx *ctx = *state;
    mg_script *s = parse_ok(ctx, "a = Value(3.0)\nb = Value(2.0)\np = a**2\nq = a**b\n"
                                 "r = 2*a\ns = a + 1\nt = 10 / a\nu = 1 - a\nv = a / 4\n"
                                 "w = 2**a\nx = -a\nk = 2*3\n");
    struct { const char *name; mg_op op; int const_at; double k; } want[] = {
        {"p", MG_OP_POWC, 1, 2.0}, {"q", MG_OP_POW, -1, 0}, {"r", MG_OP_MUL, 1, 2.0},
        {"s", MG_OP_ADD, 1, 1.0},  {"t", MG_OP_DIV, 0, 10.0}, {"u", MG_OP_SUB, 0, 1.0},
        {"v", MG_OP_DIV, 1, 4.0},  {"w", MG_OP_POW, 0, 2.0},  {"x", MG_OP_NEG, -1, 0},
    };
    mg_value a = mg_script_lookup(s, "a");
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        mg_value v = mg_script_lookup(s, want[i].name);
        assert_true(mg_ok(v));
        assert_int_equal(mg_op_of(ctx, v), want[i].op);
        assert_true(mg_same(mg_operand(ctx, v, want[i].const_at == 0 ? 1 : 0), a));
        if (want[i].const_at >= 0) {
            mg_value k = mg_operand(ctx, v, (size_t)want[i].const_at);
            assert_int_equal(mg_role_of(ctx, k), MG_ROLE_CONST);
            ASSERT_NEAR(mg_data(ctx, k), want[i].k, 0);
        }
    }
    /* 2*3 folds to one leaf: nothing else was made for it */
    mg_value k = mg_script_lookup(s, "k");
    assert_int_equal(mg_op_of(ctx, k), MG_OP_LEAF);
    assert_int_equal(mg_index(ctx, k), mg_ctx_size(ctx) - 1);
    ASSERT_NEAR(mg_data(ctx, k), 6.0, 0);
    assert_int_equal(mg_script_nleaves(s), 3); /* a, b, k: constants are not leaves */
    mg_script_free(s);
}

static void test_labels(void **state) {
    mg_ctx *ctx = *state;
    mg_script *s = parse_ok(ctx, "a = 2.0\nb = Value(-3.0, label='bee')\ne = a*b\nd = e + 10\n"
                                 "c = d\nL = d * -2; L.label = 'loss'\nm = L; m.label = ''\n");
    assert_string_equal(mg_label(ctx, mg_script_lookup(s, "a")), "a");
    assert_string_equal(mg_label(ctx, mg_script_lookup(s, "b")), "bee");
    assert_string_equal(mg_label(ctx, mg_script_lookup(s, "e")), "e");
    assert_string_equal(mg_label(ctx, mg_script_lookup(s, "d")), "d"); /* c = d keeps "d" */
    assert_true(mg_same(mg_script_lookup(s, "c"), mg_script_lookup(s, "d")));
    assert_string_equal(mg_label(ctx, mg_script_lookup(s, "L")), ""); /* m.label = '' */
    const char *name;
    mg_script_leaf(s, 1, &name, NULL, NULL);
    assert_string_equal(name, "b"); /* leaves go by the name they were assigned to */
    mg_script_free(s);
}

static void test_names_and_notes(void **state) {
    mg_ctx *ctx = *state;
    mg_script *s = parse_ok(ctx, tu_readme_script);
    const char *names[] = {"a", "b", "c", "d", "e", "f", "g"};
    assert_int_equal(mg_script_nnames(s), 7);
    for (size_t i = 0; i < 7; i++) {
        assert_string_equal(mg_script_name(s, i), names[i]);
        assert_true(mg_same(mg_script_value(s, i), mg_script_lookup(s, names[i])));
    }
    assert_false(mg_ok(mg_script_lookup(s, "h")));
    assert_false(mg_ok(mg_script_lookup(s, NULL)));
    assert_string_equal(mg_script_output_name(s), "g");
    size_t line, col;
    mg_script_leaf(s, 1, NULL, &line, &col);
    assert_int_equal(line, 4);
    assert_int_equal(col, 5);
    struct { size_t line; const char *text; } want[] = {
        {1, "from ... import ignored"}, {15, "print(...) ignored"}, {16, "g.backward() ignored"},
        {17, "print(...) ignored"}, {18, "print(...) ignored"},
    };
    assert_int_equal(mg_script_nnotes(s), 5);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(mg_script_note(s, i, &line), want[i].text);
        assert_int_equal(line, want[i].line);
    }
    mg_script_free(s);

    s = parse_ok(ctx, "import math\na = Value(1.0)\na.grad = 1.0; a.data += 0.5\ndraw_dot(a)\n"
                      "a\n%matplotlib inline\n");
    const char *texts[] = {"import ignored", "a.grad = ... ignored", "a.data += ... ignored",
                           "expression statement ignored (nothing assigned): draw_dot(a)",
                           "expression statement ignored (nothing assigned): a",
                           "expression statement ignored (nothing assigned): %matplotlib inline"};
    assert_int_equal(mg_script_nnotes(s), 6);
    for (size_t i = 0; i < 6; i++) assert_string_equal(mg_script_note(s, i, NULL), texts[i]);
    mg_script_free(s);
    mg_script_free(NULL);
}

/* ==== bad scripts ========================================================================= */

typedef struct bad_case {
    const char *src;
    size_t len; /* 0: strlen */
    size_t line, col;
    const char *fragment;
} bad_case;

static const bad_case bad[] = {
    {"y = x + 1", 0, 1, 5, "undefined name 'x'"},
    {"a = 1\n3 = a", 0, 2, 1, "cannot assign to an expression"},
    {"a = 1\na + 1 = 2", 0, 2, 1, "cannot assign to an expression"},
    {"x = Value(1.0, 2.0)", 0, 1, 5, "Value() takes one number"},
    {"x = Value()", 0, 1, 5, "Value() takes one number"},
    {"a = Value(1.0)\ny = a.tanh(2)", 0, 2, 7, "tanh() takes no arguments (1 given)"},
    {"a = Value(1.0)\ny = tanh(a, a)", 0, 2, 5, "tanh() takes exactly one argument (2 given)"},
    {"y = foo(1)", 0, 1, 5, "unknown function 'foo'"},
    {"a = Value(1.0)\ny = a.foo()", 0, 2, 7, "unknown method 'foo'"},
    {"x = Value(1.0, label='abc)", 0, 1, 22, "unterminated string"},
    {"x = '''abc\n", 0, 1, 5, "unterminated string"},
    {"y = (1 + 2", 0, 1, 5, "never closed"},
    {"x = 1\n  y = (\n 1 +\n", 0, 2, 7, "never closed"},
    {"y = 1 + 2)", 0, 1, 10, "unmatched ')'"},
    {"y = (1]", 0, 1, 7, "']' does not match"},
    {"y = 1 $ 2", 0, 1, 7, "unexpected character '$'"},
    {"y = \xc3\xa9", 0, 1, 5, "unexpected byte 0xc3"},
    {"y = 1\0 + 2", 10, 1, 6, "null byte"},
    {"a = 1 # \0", 9, 1, 9, "null byte"},
    {"y = 1 +", 0, 1, 8, "found the end of the script"},
    {"y = -", 0, 1, 6, "found the end of the script"},
    {"y = 1 +* 2", 0, 1, 8, "found '*'"},
    {"# only a comment\n", 0, 1, 1, "nothing assigned"},
    {"", 0, 1, 1, "nothing assigned"},
    {"print(1)\nValue(2.0)\n", 0, 1, 1, "nothing assigned"},
    {"for i in x:\n  y = 1", 0, 1, 1, "'for' statements are not supported"},
    {"y = 1 % 2", 0, 1, 7, "operator '%' is not supported"},
    {"y = 1 // 2", 0, 1, 7, "operator '//' is not supported"},
    {"a = 1.0\na %= 2", 0, 2, 3, "operator '%=' is not supported"},
    {"a = 1.0\ny = a b", 0, 2, 7, "expected an operator or the end of the statement, found 'b'"},
    {"x = 1 = 2", 0, 1, 7, "found '='"},
    {"y = 12abc", 0, 1, 5, "invalid number '12abc'"},
    {"y = 1e", 0, 1, 5, "invalid number"},
    {"y = 1__0", 0, 1, 5, "invalid number"},
    {"x = Value(Value(1.0))", 0, 1, 5, "Value() takes a number, not a Value"},
    {"a = Value(1.0)\na.foo = 3", 0, 2, 3, "cannot set 'foo'"},
    {"a.label = 'x'", 0, 1, 1, "undefined name 'a'"},
    {"x = 1.0\nx.label = 3", 0, 2, 11, "x.label takes a string"},
    {"y = 'abc'", 0, 1, 5, "a string is not a number"},
    {"y = Value(1.0, lbl='a')", 0, 1, 16, "unknown keyword argument 'lbl'"},
    {"y = Value(1.0, label=3)", 0, 1, 22, "label= takes a string"},
    {"y = Value(1.0, label='a', 2.0)", 0, 1, 27, "positional argument after a keyword"},
    {"z += 1", 0, 1, 1, "undefined name 'z'"},
    {"a = 1.0\ny = a[0]", 0, 2, 6, "indexing is not supported"},
    {"a = 1.0\ny = a(2)", 0, 2, 5, "unknown function 'a'"},
    {"a = 1.0\ny = (a)(2)", 0, 2, 8, "cannot be called"},
    {"y = (2.0).exp()", 0, 1, 11, "a number has no method 'exp'"},
    {"a = Value(1.0)\ny = a.tanh", 0, 2, 7, "'tanh' is a method"},
    {"a = 1.0\ny = a.grad * 2", 0, 2, 7, "grad is not known"},
    {"y = tanh", 0, 1, 5, "undefined name 'tanh'"},
    {"y = True", 0, 1, 5, "'True' is not supported here"},
    {"y = 1 +\\ 2", 0, 1, 8, "must end its line"},
    {"y = (1; 2)", 0, 1, 7, "';' inside brackets"},
    {"y = exp(x=1)", 0, 1, 9, "unknown keyword argument 'x'"},
};

static void test_bad_scripts(void **state) {
    mg_ctx *ctx = *state;
    mg_value keep = mg_leaf(ctx, 42.0);
    size_t size = mg_ctx_size(ctx);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const bad_case *c = &bad[k];
        size_t len = c->len ? c->len : strlen(c->src);
        mg_script_error where = {0};
        mg_err err = {0};
        mg_script *s = parse_n(ctx, c->src, len, &where, &err);
        if (s) fail_msg("bad script %zu parsed: %s", k, c->src);
        if (where.line != c->line || where.col != c->col || !strstr(where.message, c->fragment))
            fail_msg("bad script %zu: %zu:%zu '%s', expected %zu:%zu '%s'", k, where.line,
                     where.col, where.message, c->line, c->col, c->fragment);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "t.py:%zu:%zu: ", c->line, c->col);
        if (strncmp(err.msg, prefix, strlen(prefix)) || !strstr(err.msg, c->fragment))
            fail_msg("bad script %zu: err.msg '%s'", k, err.msg);
        assert_int_equal(err.status, MG_STATUS_FORMAT);
        assert_int_equal(mg_ctx_size(ctx), size); /* what the parse made is dropped */
    }
    ASSERT_NEAR(mg_data(ctx, keep), 42.0, 0);
}

/* ==== limits ============================================================================== */

/* "y = " then prefix repeated n times, then core, then suffix repeated n times. */
static char *nested(const char *prefix, size_t n, const char *core, const char *suffix) {
    size_t lp = strlen(prefix), lc = strlen(core), ls = strlen(suffix);
    char *s = malloc(4 + n * (lp + ls) + lc + 1), *o = s;
    assert_non_null(s);
    o += sprintf(o, "y = ");
    for (size_t i = 0; i < n; i++) o += sprintf(o, "%s", prefix);
    o += sprintf(o, "%s", core);
    for (size_t i = 0; i < n; i++) o += sprintf(o, "%s", suffix);
    return s;
}

static void expect_depth(mg_ctx *ctx, const char *prefix, size_t n, const char *core,
                         const char *suffix, int ok) {
    char *src = nested(prefix, n, core, suffix);
    mg_script_error where = {0};
    mg_err err = {0};
    mg_script *s = parse_n(ctx, src, strlen(src), &where, &err);
    if (ok && !s) fail_msg("depth %zu of '%s' refused: %s", n, prefix, err.msg);
    if (!ok && (s || !strstr(where.message, "deeper than 256")))
        fail_msg("depth %zu of '%s': expected the nesting error, got '%s'", n, prefix, err.msg);
    mg_script_free(s);
    free(src);
}

static void test_nesting_limit(void **state) {
    mg_ctx *ctx = *state;
    mg_mark mark = mg_ctx_mark(ctx);
    expect_depth(ctx, "(", 256, "1", ")", 1);
    expect_depth(ctx, "(", 257, "1", ")", 0);
    expect_depth(ctx, "-", 256, "1", "", 1);
    expect_depth(ctx, "-", 257, "1", "", 0);
    expect_depth(ctx, "2**", 256, "1", "", 1);
    expect_depth(ctx, "2**", 257, "1", "", 0);
    expect_depth(ctx, "exp(", 257, "1", ")", 0);
    expect_depth(ctx, "Value(1.0).tanh() * (", 300, "1", ")", 0);
    expect_depth(ctx, "-(", 200, "1", ")", 0);
    /* far past the limit: refused at the limit, with no deep recursion */
    expect_depth(ctx, "(", 1000000, "1", ")", 0);
    expect_depth(ctx, "-", 1000000, "1", "", 0);
    expect_depth(ctx, "+", 1000000, "1", "", 0);
    mg_script_error where;
    char *src = nested("(", 300, "1", ")");
    src[2] = ' '; /* "y   (((...": the statement is skipped, the brackets still counted */
    assert_null(parse_n(ctx, src, strlen(src), &where, NULL));
    assert_non_null(strstr(where.message, "deeper than 256"));
    free(src);
    mg_ctx_reset(ctx, mark);
}

static void test_large_inputs(void **state) {
    mg_ctx *ctx = *state;
    /* one 1 MB line: y = a + a + ... + a, 250 000 terms */
    size_t terms = 250000;
    char *src = malloc(32 + 4 * terms), *o = src;
    assert_non_null(src);
    o += sprintf(o, "a = 1.0\ny = a");
    for (size_t i = 1; i < terms; i++) o += sprintf(o, " + a");
    mg_script *s = parse_ok(ctx, src);
    mg_backward(ctx, mg_script_output(s));
    ASSERT_NEAR(mg_data(ctx, mg_script_output(s)), (double)terms, 0);
    ASSERT_NEAR(mg_grad(ctx, mg_script_lookup(s, "a")), (double)terms, 0);
    mg_script_free(s);
    free(src);

    /* a 1 MB name, a 100 000-line script */
    size_t n = 1 << 20;
    src = malloc(n + 64);
    assert_non_null(src);
    o = src + sprintf(src, "x = 3.0\n");
    memset(o, 'v', n);
    sprintf(o + n, " = x * 2\n");
    s = parse_ok(ctx, src);
    assert_int_equal(strlen(mg_script_output_name(s)), n);
    assert_int_equal(strlen(mg_label(ctx, mg_script_output(s))), 255); /* labels are cut */
    ASSERT_NEAR(mg_data(ctx, mg_script_output(s)), 6.0, 0);
    mg_script_free(s);
    free(src);

    size_t lines = 100000;
    src = malloc(16 + 9 * lines);
    assert_non_null(src);
    o = src + sprintf(src, "x = 0.0\n");
    for (size_t i = 0; i < lines; i++) o += sprintf(o, "x += 1.0\n");
    s = parse_ok(ctx, src);
    ASSERT_NEAR(mg_data(ctx, mg_script_output(s)), (double)lines, 0);
    mg_script_free(s);
    free(src);

    /* a number of 5 000 digits overflows to inf, as IEEE does; 1/0 too */
    char big[5100];
    memset(big, '9', 5000);
    strcpy(big + 5000, "\nz = 1/0\n");
    char *script = malloc(strlen(big) + 8);
    assert_non_null(script);
    sprintf(script, "y = %s", big);
    s = parse_ok(ctx, script);
    assert_true(isinf(mg_data(ctx, mg_script_lookup(s, "y"))));
    assert_true(isinf(mg_data(ctx, mg_script_lookup(s, "z"))));
    mg_script_free(s);
    free(script);
}

static void test_memory_cap(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    assert_non_null(ctx);
    mg_ctx_set_max_bytes(ctx, 1 << 16);
    size_t size = mg_ctx_size(ctx);
    char *src = malloc(16 + 9 * 20000), *o = src;
    assert_non_null(src);
    o += sprintf(o, "x = 0.0\n");
    for (int i = 0; i < 20000; i++) o += sprintf(o, "x += 1.0\n");
    mg_script_error where = {0};
    mg_err err = {0};
    assert_null(parse_n(ctx, src, strlen(src), &where, &err));
    assert_int_equal(err.status, MG_STATUS_NOMEM);
    assert_non_null(strstr(err.msg, "out of memory"));
    assert_true(where.line > 1);
    assert_int_equal(mg_ctx_size(ctx), size);
    free(src);
    mg_ctx_free(ctx);
}

/* ==== robustness ========================================================================== */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717u) >> 33) % n;
}

static void check_any(mg_ctx *ctx, const char *buf, size_t len) {
    size_t size = mg_ctx_size(ctx);
    mg_script_error where = {0};
    mg_err err = {0};
    mg_script *s = parse_n(ctx, buf, len, &where, &err);
    if (s) {
        assert_true(mg_script_nnames(s) > 0);
        mg_backward(ctx, mg_script_output(s));
        mg_script_free(s);
    } else {
        assert_true(where.line >= 1 && where.col >= 1 && where.message[0]);
        assert_true(err.status == MG_STATUS_FORMAT);
        assert_int_equal(strncmp(err.msg, "t.py:", 5), 0);
        assert_int_equal(mg_ctx_size(ctx), size);
    }
}

static void test_random_inputs(void **state) {
    mg_ctx *ctx = *state;
    static const char *const pieces[] = {
        "a", "b", "x", " = ", "=", "+=", "**=", "(", ")", "[", "]", "+", "-", "*", "**", "/",
        "Value(", "1.5", "2", "1e-3", "'", "\"", "'''", "\n", ";", ".tanh()", ".exp()", ".relu()",
        "label=", "data=", "#", "\\", "\\\n", " ", "\t", ",", ".", "tanh(", "log(", "print(",
        "import ", "for ", ".label = ", ".grad = ", ".data", ".backward()", "\0", "\r\n", "%",
        "$", "\xff", "_", "99999999999999999999999999999", "e", "x.", "L", "0"};
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    char buf[512];
    mg_mark mark = mg_ctx_mark(ctx);
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = 0;
        int kind = iter % 3;
        if (kind == 0) { /* random bytes */
            len = rnd(64);
            for (size_t i = 0; i < len; i++) buf[i] = (char)rnd(256);
        } else if (kind == 1) { /* random pieces of the language */
            for (int k = 0, n = (int)rnd(40); k < n; k++) {
                const char *p = pieces[rnd((uint32_t)npieces)];
                size_t lp = p[0] ? strlen(p) : 1;
                if (len + lp > sizeof buf) break;
                memcpy(buf + len, p, lp);
                len += lp;
            }
        } else { /* a good script, mutated */
            const char *src = good[rnd(sizeof good / sizeof good[0])].src;
            len = strlen(src) < sizeof buf ? strlen(src) : sizeof buf;
            memcpy(buf, src, len);
            for (int k = 0, n = 1 + (int)rnd(4); k < n && len > 0; k++) {
                size_t at = rnd((uint32_t)len);
                switch (rnd(3)) {
                case 0: buf[at] = (char)rnd(256); break;
                case 1: memmove(buf + at, buf + at + 1, len - at - 1), len--; break;
                default: len = at; break;
                }
            }
        }
        check_any(ctx, buf, len);
        mg_ctx_reset(ctx, mark);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_good_scripts, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_ops_and_constants, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_labels, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_names_and_notes, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_scripts, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_nesting_limit, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_large_inputs, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_memory_cap),
        cmocka_unit_test_setup_teardown(test_random_inputs, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
