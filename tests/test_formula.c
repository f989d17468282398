/* test_formula.c - formula printing: known graphs give the expected strings (Python's
 * precedence with the fewest parentheses, shared values named once, numbers), and
 * printed formulas evaluate to the original value, with a small evaluator of our own and
 * with the project's script parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"
#include "testutil.h"

/* ==== helpers ============================================================================= */

static mg_value L(mg_ctx *ctx, double x, const char *label) {
    return mg_leaf_ex(ctx, x, MG_ROLE_LEAF, label);
}

/* The formula of v with options (NULL = defaults), malloc'd. */
static char *formula(mg_ctx *ctx, mg_value v, const mg_formula_options *opt) {
    mg_err err = {0, ""};
    size_t len = 0;
    if (mg_formula_format(ctx, v, opt, NULL, 0, &len, &err) != MG_STATUS_OK) fail_msg("%s", err.msg);
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    size_t len2 = 0;
    assert_int_equal(mg_formula_format(ctx, v, opt, buf, len + 1, &len2, &err), MG_STATUS_OK);
    assert_int_equal(len2, len);
    assert_int_equal(strlen(buf), len);
    return buf;
}

#define EXPECT_FORMULA(ctx, v, opt, want)                                                  \
    do {                                                                                   \
        char *got_ = formula((ctx), (v), (opt));                                           \
        if (strcmp(got_, (want)))                                                          \
            fail_msg("formula: got '%s', want '%s'", got_, (want));                       \
        free(got_);                                                                        \
    } while (0)

/* ==== known graphs ========================================================================= */

/* The walkthrough's L = (a*b + c)*f, with labels and with numbers; a labeled result is
 * assigned to its label, an unlabeled one printed bare. */
static void test_walkthrough_L(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = L(ctx, 2, "a"), b = L(ctx, -3, "b"), c = L(ctx, 10, "c"), f = L(ctx, -2, "f");
    mg_value e = mg_set_label(ctx, mg_mul(ctx, a, b), "e");
    mg_value d = mg_set_label(ctx, mg_add(ctx, e, c), "d");
    mg_value l = mg_set_label(ctx, mg_mul(ctx, d, f), "L");
    EXPECT_FORMULA(ctx, l, NULL, "L = (a*b + c)*f\n");
    mg_formula_options o;
    mg_formula_options_init(&o);
    o.numbers = 1;
    EXPECT_FORMULA(ctx, l, &o, "L = (2*-3 + 10)*-2\n");
    mg_value bare = mg_mul(ctx, d, f);
    EXPECT_FORMULA(ctx, bare, NULL, "(a*b + c)*f\n");
    /* a label that is not an identifier becomes one */
    mg_value odd = mg_set_label(ctx, mg_mul(ctx, d, f), "2nd loss");
    EXPECT_FORMULA(ctx, odd, NULL, "_2nd_loss = (a*b + c)*f\n");
}

/* Seed 001's neuron: tanh(x1*w1 + x2*w2 + b) from separate ops, and as one dot value;
 * with numbers, the bias to 4 decimals (6.881373587019543 -> 6.8814). */
static void test_neuron(void **state) {
    mg_ctx *ctx = *state;
    mg_value x1 = L(ctx, 2, "x1"), x2 = L(ctx, 0, "x2"), w1 = L(ctx, -3, "w1"), w2 = L(ctx, 1, "w2");
    mg_value b = L(ctx, 6.8813735870195432, "b");
    mg_value n = mg_add(ctx, mg_add(ctx, mg_mul(ctx, x1, w1), mg_mul(ctx, x2, w2)), b);
    mg_value o = mg_tanh(ctx, n);
    EXPECT_FORMULA(ctx, o, NULL, "tanh(x1*w1 + x2*w2 + b)\n");
    mg_formula_options opt;
    mg_formula_options_init(&opt);
    opt.numbers = 1;
    EXPECT_FORMULA(ctx, o, &opt, "tanh(2*-3 + 0*1 + 6.8814)\n");
    opt.precision = 2;
    EXPECT_FORMULA(ctx, o, &opt, "tanh(2*-3 + 0*1 + 6.88)\n");
    opt.precision = -1;
    EXPECT_FORMULA(ctx, o, &opt, "tanh(2.0*-3.0 + 0.0*1.0 + 6.881373587019543)\n");

    mg_value w[2] = {w1, w2}, x[2] = {x1, x2};
    EXPECT_FORMULA(ctx, mg_tanh(ctx, mg_dot(ctx, b, 2, w, x)), NULL, "tanh(b + w1*x1 + w2*x2)\n");
    EXPECT_FORMULA(ctx, mg_dot(ctx, MG_NULL, 2, w, x), NULL, "w1*x1 + w2*x2\n");
    EXPECT_FORMULA(ctx, mg_mul(ctx, mg_dot(ctx, MG_NULL, 1, w, x), b), NULL, "w1*x1*b\n");
    EXPECT_FORMULA(ctx, mg_mul(ctx, b, mg_dot(ctx, MG_NULL, 1, w, x)), NULL, "b*(w1*x1)\n");
    EXPECT_FORMULA(ctx, mg_mul(ctx, mg_dot(ctx, b, 1, w, x), b), NULL, "(b + w1*x1)*b\n");
    EXPECT_FORMULA(ctx, mg_mul(ctx, mg_dot(ctx, b, 0, w, x), x1), NULL, "b*x1\n");
    EXPECT_FORMULA(ctx, mg_dot(ctx, MG_NULL, 0, w, x), NULL, "0\n");
}

/* One row per precedence or associativity rule of Python. */
static void test_precedence(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = L(ctx, 1.5, "a"), b = L(ctx, 2.5, "b"), c = L(ctx, 3.5, "c");
    struct {
        mg_value v;
        const char *want;
    } rows[] = {
        {mg_add(ctx, mg_add(ctx, a, b), c), "a + b + c"},
        {mg_add(ctx, a, mg_add(ctx, b, c)), "a + (b + c)"},
        {mg_sub(ctx, a, mg_sub(ctx, b, c)), "a - (b - c)"},
        {mg_sub(ctx, mg_sub(ctx, a, b), c), "a - b - c"},
        {mg_sub(ctx, a, mg_mul(ctx, b, c)), "a - b*c"},
        {mg_mul(ctx, a, mg_add(ctx, b, c)), "a*(b + c)"},
        {mg_mul(ctx, mg_add(ctx, a, b), c), "(a + b)*c"},
        {mg_mul(ctx, mg_mul(ctx, a, b), c), "a*b*c"},
        {mg_mul(ctx, a, mg_mul(ctx, b, c)), "a*(b*c)"},
        {mg_div(ctx, mg_div(ctx, a, b), c), "a/b/c"},
        {mg_div(ctx, a, mg_mul(ctx, b, c)), "a/(b*c)"},
        {mg_mul(ctx, a, mg_div(ctx, b, c)), "a*(b/c)"},
        {mg_neg(ctx, mg_powf(ctx, a, 2)), "-a**2"},
        {mg_powf(ctx, mg_neg(ctx, a), 2), "(-a)**2"},
        {mg_powf(ctx, a, -1), "a**-1"},
        {mg_powf(ctx, a, 0.5), "a**0.5"},
        {mg_powf(ctx, mg_mul(ctx, a, b), 2), "(a*b)**2"},
        {mg_powf(ctx, mg_powf(ctx, a, 2), 3), "(a**2)**3"},
        {mg_pow(ctx, a, mg_pow(ctx, b, c)), "a**b**c"},
        {mg_pow(ctx, mg_pow(ctx, a, b), c), "(a**b)**c"},
        {mg_pow(ctx, a, mg_neg(ctx, b)), "a**-b"},
        {mg_pow(ctx, a, mg_add(ctx, b, c)), "a**(b + c)"},
        {mg_mul(ctx, a, mg_neg(ctx, b)), "a*-b"},
        {mg_sub(ctx, a, mg_neg(ctx, b)), "a - -b"},
        {mg_neg(ctx, mg_neg(ctx, a)), "-(-a)"},
        {mg_neg(ctx, mg_add(ctx, a, b)), "-(a + b)"},
        {mg_neg(ctx, mg_mul(ctx, a, b)), "-(a*b)"},
        {mg_mul(ctx, mg_neg(ctx, a), b), "-a*b"},
        {mg_tanh(ctx, mg_add(ctx, a, b)), "tanh(a + b)"},
        {mg_exp(ctx, mg_neg(ctx, a)), "exp(-a)"},
        {mg_powf(ctx, mg_exp(ctx, a), 2), "exp(a)**2"},
        {mg_log(ctx, mg_relu(ctx, mg_sigmoid(ctx, a))), "log(relu(sigmoid(a)))"},
        {mg_mulf(ctx, a, 2), "a*2"},
        {mg_mulf(ctx, a, -3), "a*-3"},
        {mg_addf(ctx, a, -3), "a + -3"},
        {mg_rsubf(ctx, 3, a), "3 - a"},
        {mg_rdivf(ctx, 1, mg_add(ctx, a, b)), "1/(a + b)"},
        {mg_powf(ctx, mg_const(ctx, -2), 2), "(-2)**2"},
        {mg_neg(ctx, mg_const(ctx, -2)), "-(-2)"},
        {mg_sum(ctx, 3, (mg_value[]){a, b, c}), "a + b + c"},
        {mg_sum(ctx, 1, (mg_value[]){a}), "a"},
        {mg_mul(ctx, mg_sum(ctx, 3, (mg_value[]){a, b, c}), c), "(a + b + c)*c"},
        {mg_add(ctx, a, mg_sum(ctx, 2, (mg_value[]){b, c})), "a + (b + c)"},
        {mg_mul(ctx, mg_sum(ctx, 1, (mg_value[]){mg_add(ctx, a, b)}), c), "(a + b)*c"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char want[128];
        snprintf(want, sizeof want, "%s\n", rows[i].want);
        EXPECT_FORMULA(ctx, rows[i].v, NULL, want);
    }
}

/* Numbers: decimals with trailing zeros dropped, significant digits where decimals
 * would show nothing, Python's repr with precision < 0. */
static void test_numbers(void **state) {
    mg_ctx *ctx = *state;
    mg_formula_options o;
    mg_formula_options_init(&o);
    o.numbers = 1;
    struct {
        double x;
        int precision;
        const char *want;
    } rows[] = {
        {2.0, 4, "2"},          {-3.0, 4, "-3"},           {0.1, 4, "0.1"},
        {6.881373587019543, 4, "6.8814"}, {1e-7, 4, "1e-07"}, {-1e-7, 4, "-1e-07"},
        {1e20, 4, "1e+20"},     {0.5, 0, "0.5"},           {2.5, 0, "2"},
        {0.1, -1, "0.1"},       {2.0, -1, "2.0"},          {1e-5, -1, "1e-05"},
        {-0.0, 4, "0"},         {123.456, 1, "123.5"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        o.precision = rows[i].precision;
        char want[64];
        snprintf(want, sizeof want, "%s\n", rows[i].want);
        EXPECT_FORMULA(ctx, mg_leaf(ctx, rows[i].x), &o, want);
    }
    /* A negative number as a base needs parentheses; as a right operand it does not. */
    mg_value m = mg_leaf(ctx, -2);
    EXPECT_FORMULA(ctx, mg_powf(ctx, m, 2), &o, "(-2)**2\n");
    EXPECT_FORMULA(ctx, mg_mul(ctx, mg_leaf(ctx, 3), m), &o, "3*-2\n");
    /* Label mode: unlabeled leaves and constants print as numbers, labeled ones by name. */
    mg_value k = mg_leaf_ex(ctx, 2.0, MG_ROLE_CONST, "two");
    EXPECT_FORMULA(ctx, mg_mul(ctx, L(ctx, 1, "x"), k), NULL, "x*2\n");
    EXPECT_FORMULA(ctx, mg_mul(ctx, L(ctx, 1, "x"), mg_leaf(ctx, 0.25)), NULL, "x*0.25\n");
}

/* ==== shared values ========================================================================= */

static void test_shared(void **state) {
    mg_ctx *ctx = *state;
    mg_value a = L(ctx, 1, "a"), b = L(ctx, 2, "b");
    mg_value s = mg_add(ctx, a, b);
    EXPECT_FORMULA(ctx, mg_mul(ctx, s, s), NULL, "h1 = a + b\nh1*h1\n");
    /* Used twice by different values, named with its label. */
    mg_value t = mg_set_label(ctx, mg_tanh(ctx, mg_sub(ctx, a, b)), "t");
    EXPECT_FORMULA(ctx, mg_add(ctx, mg_mulf(ctx, t, 2), mg_exp(ctx, t)), NULL,
                   "t = tanh(a - b)\nt*2 + exp(t)\n");
    /* Names never hide a leaf: a value labeled like a leaf gets a suffix, and h-names
     * skip the leaves' names. */
    mg_value h1 = L(ctx, 3, "h1");
    mg_value u = mg_set_label(ctx, mg_mul(ctx, a, h1), "a");
    mg_value v = mg_add(ctx, a, h1);
    EXPECT_FORMULA(ctx, mg_add(ctx, mg_mul(ctx, u, u), mg_mul(ctx, v, v)), NULL,
                   "a_2 = a*h1\nh2 = a + h1\na_2*a_2 + h2*h2\n");
    /* Labels become identifiers; reserved words get a '_'. */
    mg_value x0 = L(ctx, 1, "x[0]"), d2 = L(ctx, 2, "2nd"), ex = L(ctx, 3, "exp");
    EXPECT_FORMULA(ctx, mg_add(ctx, mg_add(ctx, x0, d2), ex), NULL, "x_0_ + _2nd + exp_\n");
    /* Without sharing, everything is inlined. */
    mg_formula_options o;
    mg_formula_options_init(&o);
    o.share = 0;
    EXPECT_FORMULA(ctx, mg_mul(ctx, s, s), &o, "(a + b)*(a + b)\n");
}

/* x = x*x thirty times: 2^30 copies of x inlined, 30 lines when named. */
static void test_exponential(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = L(ctx, 1.0, "x");
    for (int k = 0; k < 30; k++) x = mg_mul(ctx, x, x);
    char *f = formula(ctx, x, NULL);
    int lines = 0;
    for (char *p = f; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 30);
    assert_true(strncmp(f, "h1 = x*x\nh2 = h1*h1\n", 20) == 0);
    assert_non_null(strstr(f, "\nh29*h29\n"));
    free(f);
    /* Inlined it is refused before anything is written. */
    mg_formula_options o;
    mg_formula_options_init(&o);
    o.share = 0;
    char buf[64] = "untouched";
    mg_err err = {0, ""};
    size_t len = 7;
    assert_int_equal(mg_formula_format(ctx, x, &o, buf, sizeof buf, &len, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "formula too long"));
    assert_string_equal(buf, "");
    assert_int_equal(len, 0);
}

/* A chain 200000 values long prints without recursion. */
static void test_long_chain(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = L(ctx, 0, "x");
    const int n = 200000;
    for (int k = 0; k < n; k++) x = mg_addf(ctx, x, 1);
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK);
    char *f = formula(ctx, x, NULL);
    assert_int_equal(strlen(f), 1 + 4 * (size_t)n + 1); /* "x" + " + 1" * n + "\n" */
    free(f);
}

static void test_errors(void **state) {
    mg_ctx *ctx = *state;
    mg_err err = {0, ""};
    assert_int_equal(mg_formula_format(ctx, MG_NULL, NULL, NULL, 0, NULL, &err), MG_STATUS_INVALID);
    /* A buffer too small gets a terminated prefix, and the full length. */
    mg_value v = mg_add(ctx, L(ctx, 1, "alpha"), L(ctx, 2, "beta"));
    char small[6];
    size_t len = 0;
    assert_int_equal(mg_formula_format(ctx, v, NULL, small, sizeof small, &len, &err), MG_STATUS_OK);
    assert_string_equal(small, "alpha");
    assert_int_equal(len, strlen("alpha + beta\n"));
    /* To a FILE. */
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(mg_formula_write(ctx, v, NULL, f, &err), MG_STATUS_OK);
    rewind(f);
    char line[64] = "";
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "alpha + beta\n");
    fclose(f);
}

/* ==== evaluating printed formulas ============================================================ */

/* A tiny evaluator of the printed language (Python's precedence, the engine's own
 * function forms so results can match bit for bit), independent of the code under test. */
typedef struct evaluator {
    const char *p;
    const char *names[4096];
    double values[4096];
    int n;
    int bad;
} evaluator;

static double ev_expr(evaluator *e);

static void ev_space(evaluator *e) {
    while (*e->p == ' ') e->p++;
}

static double ev_atom(evaluator *e) {
    ev_space(e);
    if (*e->p == '(') {
        e->p++;
        double v = ev_expr(e);
        ev_space(e);
        if (*e->p++ != ')') e->bad = 1;
        return v;
    }
    if (isdigit((unsigned char)*e->p) || *e->p == '.') {
        char *end;
        double v = strtod(e->p, &end);
        e->p = end;
        return v;
    }
    const char *s = e->p;
    while (isalnum((unsigned char)*e->p) || *e->p == '_') e->p++;
    size_t n = (size_t)(e->p - s);
    if (n == 0) {
        e->bad = 1;
        return 0;
    }
    if (*e->p == '(') {
        e->p++;
        double x = ev_expr(e);
        ev_space(e);
        if (*e->p++ != ')') e->bad = 1;
        if (n == 4 && !strncmp(s, "tanh", 4)) return tanh(x);
        if (n == 3 && !strncmp(s, "exp", 3)) return exp(x);
        if (n == 3 && !strncmp(s, "log", 3)) return log(x);
        if (n == 4 && !strncmp(s, "relu", 4)) return x < 0.0 ? 0.0 : x;
        if (n == 7 && !strncmp(s, "sigmoid", 7)) {
            if (x >= 0) return 1.0 / (1.0 + exp(-x));
            double q = exp(x);
            return q / (1.0 + q);
        }
        e->bad = 1;
        return 0;
    }
    for (int k = e->n; k-- > 0;)
        if (strlen(e->names[k]) == n && !strncmp(e->names[k], s, n)) return e->values[k];
    e->bad = 1;
    return 0;
}

static double ev_unary(evaluator *e);

static double ev_power(evaluator *e) {
    double base = ev_atom(e);
    ev_space(e);
    if (e->p[0] == '*' && e->p[1] == '*') {
        e->p += 2;
        return pow(base, ev_unary(e));
    }
    return base;
}

static double ev_unary(evaluator *e) {
    ev_space(e);
    if (*e->p == '-') {
        e->p++;
        return -ev_unary(e);
    }
    return ev_power(e);
}

static double ev_term(evaluator *e) {
    double v = ev_unary(e);
    for (;;) {
        ev_space(e);
        if (e->p[0] == '*' && e->p[1] != '*') {
            e->p++;
            v = v * ev_unary(e);
        } else if (e->p[0] == '/') {
            e->p++;
            v = v / ev_unary(e);
        } else {
            return v;
        }
    }
}

static double ev_expr(evaluator *e) {
    double v = ev_term(e);
    for (;;) {
        ev_space(e);
        if (*e->p == '+') {
            e->p++;
            v = v + ev_term(e);
        } else if (*e->p == '-') {
            e->p++;
            v = v - ev_term(e);
        } else {
            return v;
        }
    }
}

/* Runs "name = expr" lines and returns the last line's value; bad parses fail the test. */
static double ev_run(evaluator *e, char *text) {
    double last = NAN;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strstr(line, " = ");
        e->p = eq ? eq + 3 : line;
        last = ev_expr(e);
        ev_space(e);
        if (*e->p || e->bad) fail_msg("cannot evaluate '%s' (stopped at '%s')", line, e->p);
        if (eq) {
            *eq = '\0';
            assert_true(e->n < 4096);
            e->names[e->n] = line;
            e->values[e->n++] = last;
        }
    }
    return last;
}

/* A random graph over six labeled leaves: every op, shared values, bounded numbers. */
static mg_value random_graph(mg_ctx *ctx, mg_rng *rng, mg_value *leaves) {
    mg_value pool[64];
    int n = 0;
    static const char *const names[6] = {"x0", "x1", "x2", "x3", "x4", "x5"};
    for (int k = 0; k < 6; k++) pool[n++] = leaves[k] = L(ctx, mg_rng_uniform(rng, -2, 2), names[k]);
    pool[n++] = mg_const(ctx, 0.5);
    while (n < 40) {
        /* Operands lean to recent values, so the graph grows deep, not only wide. */
        mg_value a = pool[n - 1 - (int)mg_rng_below(rng, (uint32_t)(n < 8 ? n : 8))];
        mg_value b = pool[mg_rng_below(rng, (uint32_t)n)];
        double da = mg_data(ctx, a), db = mg_data(ctx, b);
        mg_value v = MG_NULL;
        switch (mg_rng_below(rng, 15)) {
        case 0: v = mg_add(ctx, a, b); break;
        case 1: v = mg_sub(ctx, a, b); break;
        case 2: v = mg_mul(ctx, a, b); break;
        case 3: v = fabs(db) > 0.1 ? mg_div(ctx, a, b) : MG_NULL; break;
        case 4: v = mg_neg(ctx, a); break;
        case 5: v = mg_powf(ctx, a, (double)(int)mg_rng_below(rng, 4) - 1.0); break;
        case 6: v = da > 0 ? mg_pow(ctx, a, b) : MG_NULL; break;
        case 7: v = da < 4 ? mg_exp(ctx, a) : MG_NULL; break;
        case 8: v = da > 0 ? mg_log(ctx, a) : MG_NULL; break;
        case 9: v = mg_tanh(ctx, a); break;
        case 10: v = mg_relu(ctx, a); break;
        case 11: v = mg_sigmoid(ctx, a); break;
        case 12: v = mg_sum(ctx, 3, (mg_value[]){a, b, a}); break;
        case 13: v = mg_dot(ctx, mg_rng_below(rng, 2) ? b : MG_NULL, 2, (mg_value[]){a, b},
                            (mg_value[]){b, pool[mg_rng_below(rng, (uint32_t)n)]});
            break;
        default: v = mg_rng_below(rng, 2) ? mg_mulf(ctx, a, -1.5) : mg_rsubf(ctx, 2, a); break;
        }
        if (mg_ok(v) && isfinite(mg_data(ctx, v)) && fabs(mg_data(ctx, v)) < 1e3) pool[n++] = v;
    }
    return mg_sum(ctx, 4, (mg_value[]){pool[n - 1], pool[n - 2], pool[n - 3], pool[n - 4]});
}

/* The printed formula of random graphs evaluates to the value itself, exactly: the
 * parse keeps the evaluation order, and repr numbers read back exactly. */
static void test_roundtrip(void **state) {
    mg_ctx *ctx = *state;
    mg_rng rng;
    mg_rng_seed(&rng, 2024);
    mg_formula_options o;
    mg_formula_options_init(&o);
    o.precision = -1;
    for (int trial = 0; trial < 300; trial++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value leaves[6];
        mg_value root = random_graph(ctx, &rng, leaves);
        for (int numbers = 0; numbers < 2; numbers++)
            for (int share = 0; share < 2; share++) {
                o.numbers = numbers;
                o.share = share;
                char *f = formula(ctx, root, &o);
                static evaluator e;
                memset(&e, 0, sizeof e);
                static const char *const names[6] = {"x0", "x1", "x2", "x3", "x4", "x5"};
                for (int k = 0; k < 6; k++) {
                    e.names[e.n] = names[k];
                    e.values[e.n++] = mg_data(ctx, leaves[k]);
                }
                char *copy = strdup(f);
                double got = ev_run(&e, copy), want = mg_data(ctx, root);
                if (!(got == want || (isnan(got) && isnan(want))))
                    fail_msg("trial %d: %.17g != %.17g for\n%s", trial, got, want, f);
                free(copy);
                free(f);
            }
        mg_ctx_reset(ctx, mark);
    }
}

/* The project's own parser (`micrograd eval`'s language) reads printed formulas back to
 * the same value: leaves defined first, then the formula's lines. */
static void test_script_roundtrip(void **state) {
    mg_ctx *ctx = *state;
    mg_rng rng;
    mg_rng_seed(&rng, 7);
    mg_formula_options o;
    mg_formula_options_init(&o);
    o.precision = -1;
    for (int trial = 0; trial < 100; trial++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value leaves[6];
        mg_value root = random_graph(ctx, &rng, leaves);
        char *f = formula(ctx, root, &o);
        size_t cap = strlen(f) + 512;
        char *script = malloc(cap);
        assert_non_null(script);
        size_t len = 0;
        for (int k = 0; k < 6; k++) {
            char num[32];
            len += (size_t)snprintf(script + len, cap - len, "%s = %s\n", mg_label(ctx, leaves[k]),
                                    mg_fmt_repr(mg_data(ctx, leaves[k]), num, sizeof num));
        }
        /* The last line is an expression; assigning it makes it the script's output. */
        char *last = strrchr(f, '\n');
        *last = '\0';
        last = strrchr(f, '\n');
        if (last) {
            *last = '\0';
            len += (size_t)snprintf(script + len, cap - len, "%s\nout_ = %s\n", f, last + 1);
        } else {
            len += (size_t)snprintf(script + len, cap - len, "out_ = %s\n", f);
        }
        mg_err err = {0, ""};
        mg_script *s = mg_script_parse(ctx, script, len, "formula", NULL, &err);
        if (!s) fail_msg("trial %d: %s in\n%s", trial, err.msg, script);
        /* The parser folds arithmetic on plain numbers itself, perhaps by other formulas
         * than the engine's (sigmoid): equal to rounding. */
        double got = mg_data(ctx, mg_script_output(s)), want = mg_data(ctx, root);
        if (!(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want)) || (isnan(got) && isnan(want))))
            fail_msg("trial %d: %.17g != %.17g for\n%s", trial, got, want, script);
        mg_script_free(s);
        free(script);
        free(f);
        mg_ctx_reset(ctx, mark);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_walkthrough_L, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_neuron, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_precedence, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_numbers, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_shared, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_exponential, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_long_chain, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_errors, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_roundtrip, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_script_roundtrip, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests_name("formula", tests, NULL, NULL);
}
