/* test_demos.c - the training demos' end states, run as the example programs and as
 * `micrograd demo NAME`: yinyang line by line against the reference run's output, toy's
 * loss, moons' 100%, f2c's weight and bias, above-line's accuracy; every example's output
 * against its demo's; and the command's options and errors. */
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

/* ==== running ============================================================================ */

/* Runs examples/<name> with up to 6 arguments and returns its stdout (exit status 0). */
static char *run_example(const char *name, const char *a1, const char *a2) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MG_EXAMPLES_DIR, name);
    const char *argv[] = {path, a1, a2, NULL};
    if (!a1) argv[1] = NULL;
    tu_run_result r = tu_run(argv, NULL);
    if (r.status != 0) fail_msg("%s exited %d: %s", name, r.status, r.err);
    free(r.err);
    return r.out;
}

/* Runs `micrograd demo ARGS...`. */
static tu_run_result run_cli(const char *a1, const char *a2, const char *a3, const char *a4) {
    const char *argv[] = {MG_CLI, "demo", a1, a2, a3, a4, NULL};
    return tu_run(argv, NULL);
}

/* The line of out that starts with prefix (a pointer into out), or NULL. */
static const char *line_starting(const char *out, const char *prefix) {
    size_t n = strlen(prefix);
    for (const char *p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, prefix, n)) return p;
    return NULL;
}

/* The number after `key` in the line starting with prefix. */
static double number_after(const char *out, const char *prefix, const char *key) {
    const char *line = line_starting(out, prefix);
    if (!line) fail_msg("no line starting '%s' in:\n%s", prefix, out);
    const char *k = strstr(line, key);
    const char *eol = strchr(line, '\n');
    if (!k || (eol && k > eol)) fail_msg("no '%s' in the line '%.*s'", key, (int)(eol ? eol - line : 80), line);
    return strtod(k + strlen(key), NULL);
}

/* ==== yinyang against the reference ====================================================== */

/* Compares the demo's output with the reference line by line: the same words, and every
 * number within a relative 1e-10. */
static void compare_with_reference(const char *out, const char *ref_path) {
    size_t len;
    char *ref = tu_read_file(ref_path, &len);
    if (!ref) fail_msg("cannot read the reference output %s", ref_path);
    const char *a = out, *b = ref;
    int line = 0;
    double worst = 0.0;
    while (*a || *b) {
        line++;
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (!la && !lb && !ea && !eb) break;
        /* Split each at its last space: words before, a number after. */
        const char *sa = a + la, *sb = b + lb;
        while (sa > a && sa[-1] != ' ') sa--;
        while (sb > b && sb[-1] != ' ') sb--;
        if (sa - a != sb - b || strncmp(a, b, (size_t)(sa - a)))
            fail_msg("line %d: got '%.*s', expected '%.*s'", line, (int)la, a, (int)lb, b);
        double x = strtod(sa, NULL), y = strtod(sb, NULL);
        double rel = fabs(x - y) / fmax(fabs(y), 1e-300);
        if (!(rel <= 1e-10))
            fail_msg("line %d: %.17g, expected %.17g (relative error %g)", line, x, y, rel);
        worst = fmax(worst, rel);
        a = ea ? ea + 1 : a + la;
        b = eb ? eb + 1 : b + lb;
    }
    assert_int_equal(line, 110);
    print_message("yinyang: %d lines, largest relative error %g (%s)\n", line, worst, ref_path);
    free(ref);
}

static void test_yinyang_reference(void **state) {
    (void)state;
    char *out = run_example("yinyang", NULL, NULL);
    /* The copy kept in the repository, and the shared original when it is there (CI). */
    compare_with_reference(out, MG_SOURCE_DIR "/tests/data/yinyang_expected.txt");
    compare_with_reference(out, MG_SOURCE_DIR "/../shared/reference/yinyang_expected.txt");
    /* The command prints the same. */
    tu_run_result r = run_cli("yinyang", NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, out);
    tu_run_free(&r);
    free(out);
}

/* ==== the other demos' end states ======================================================== */

static void test_toy(void **state) {
    (void)state;
    char *out = run_example("toy", NULL, NULL);
    assert_int_equal(tu_count(out, "\nstep "), 500);
    /* Below 0.01 within the 500 steps, and still there at the end. */
    assert_true(number_after(out, "step 499 ", "loss ") < 0.01);
    const char *targets[4][2] = {{"ypred for [2.0, 3.0, -1.0]", "1"},
                                 {"ypred for [3.0, -1.0, 0.5]", "-1"},
                                 {"ypred for [0.5, 1.0, 1.0]", "-1"},
                                 {"ypred for [1.0, 1.0, -1.0]", "1"}};
    for (int i = 0; i < 4; i++) {
        double p = number_after(out, targets[i][0], ": ");
        if (!(fabs(p - atof(targets[i][1])) < 0.1)) fail_msg("%s: %g", targets[i][0], p);
    }
    free(out);
}

/* Compares lines "step K loss L, accuracy A%" with the notebook's: the same count, the
 * same words and accuracy strings exactly, each loss within a relative 1e-12 (micrograd
 * itself adds gradients in an order that depends on memory addresses: re-running it
 * changes the last digits), and with exact_first the first line to the last digit. */
static void compare_with_notebook(const char *out, const char *ref, int nlines, int exact_first) {
    const char *a = out, *b = ref;
    int line = 0;
    double worst = 0.0;
    while (*a && *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        if (!ea || !eb) fail_msg("line %d not ended", line);
        const char *la = strstr(a, " loss "), *lb = strstr(b, " loss ");
        const char *ca = strstr(a, ", accuracy "), *cb = strstr(b, ", accuracy ");
        if (!la || !lb || !ca || !cb || la > ea || ca > ea || lb > eb || cb > eb ||
            la - a != lb - b || strncmp(a, b, (size_t)(la - a)) || ea - ca != eb - cb ||
            strncmp(ca, cb, (size_t)(ea - ca)))
            fail_msg("line %d: '%.*s', notebook '%.*s'", line, (int)(ea - a), a, (int)(eb - b), b);
        if (line == 0 && exact_first && strncmp(a, b, (size_t)(ea - a + 1)))
            fail_msg("step 0 differs: '%.*s', notebook '%.*s'", (int)(ea - a), a, (int)(eb - b), b);
        double x = strtod(la + 6, NULL), y = strtod(lb + 6, NULL);
        double rel = fabs(x - y) / fabs(y);
        if (!(rel <= 1e-12)) fail_msg("line %d: loss %.17g, notebook %.17g", line, x, y);
        worst = fmax(worst, rel);
        a = ea + 1, b = eb + 1, line++;
    }
    assert_int_equal(line, nlines);
    assert_true(*a == 0);
    print_message("moons: %d lines as the notebook's, largest relative loss difference %g\n", line,
                  worst);
}

/* `micrograd demo moons` prints micrograd's demo notebook: the 100 lines it printed
 * (shared/reference/micrograd_moons/notebook_steps.txt, copied into tests/data). */
static void test_moons_notebook(void **state) {
    (void)state;
    char *ref = tu_read_file(MG_SOURCE_DIR "/tests/data/micrograd_notebook_steps.txt", NULL);
    assert_non_null(ref);
    tu_run_result r = run_cli("moons", NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    compare_with_notebook(r.out, ref, 100, 1);
    /* replaying one recorded graph instead: the same lines, to the same tolerance */
    tu_run_result c = run_cli("moons", "--compiled", NULL, NULL);
    assert_int_equal(c.status, 0);
    compare_with_notebook(c.out, ref, 100, 1);
    tu_run_free(&c);
    /* the example prints the same, byte for byte */
    char *out = run_example("moons", NULL, NULL);
    assert_string_equal(out, r.out);
    free(out);
    tu_run_free(&r);
    free(ref);
}

/* Another seed, against micrograd itself: micrograd's Value, Neuron, Layer and MLP as
 * published (engine.py, nn.py) with the notebook's loss() and loop, run by CPython 3.11,
 * numpy 1.24 and scikit-learn 1.2.1 after np.random.seed(42) and random.seed(42); the same
 * program prints the notebook's seed-1337 lines above to 1 ulp. Steps 0, 1, 50 and 99. */
static void test_moons_other_seed(void **state) {
    (void)state;
    static const char *const want[] = {
        "step 0 loss 0.7157075494482541, accuracy 72.0%\n",
        "step 1 loss 1.644142932285452, accuracy 50.0%\n",
        "step 50 loss 0.023807789127022465, accuracy 100.0%\n",
        "step 99 loss 0.013271520622925477, accuracy 100.0%\n",
    };
    tu_run_result r = run_cli("moons", "--seed", "42", NULL);
    assert_int_equal(r.status, 0);
    static const int steps[] = {0, 1, 50, 99};
    for (int k = 0; k < 4; k++) {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "step %d loss ", steps[k]);
        const char *got = line_starting(r.out, prefix);
        if (!got) fail_msg("no line for step %d:\n%s", steps[k], r.out);
        const char *end = strchr(got, '\n');
        char line[128];
        snprintf(line, sizeof line, "%.*s\n", (int)(end - got), got);
        compare_with_notebook(line, want[k], 1, k == 0);
    }
    tu_run_free(&r);
}

static void test_f2c(void **state) {
    (void)state;
    char *out = run_example("f2c", NULL, NULL);
    double w = number_after(out, "exactly: ", "weight "), b = number_after(out, "exactly: ", "bias ");
    if (!(fabs(w - 5.0 / 9.0) < 5e-4 && fabs(b + 160.0 / 9.0) < 5e-4))
        fail_msg("learned weight %.17g and bias %.17g, expected 0.5556 and -17.7778", w, b);
    assert_non_null(strstr(out, "weight 0.5556 ("));
    assert_non_null(strstr(out, "bias -17.7778 ("));
    assert_non_null(strstr(out, "32 F is 0.0000 C; 212 F is 100.0000 C"));
    free(out);
}

static void test_above_line(void **state) {
    (void)state;
    char *out = run_example("above_line", NULL, NULL);
    double fresh = number_after(out, "fresh points:", "accuracy ");
    if (!(fresh > 95.0)) fail_msg("accuracy on fresh points %g%%:\n%s", fresh, out);
    assert_true(number_after(out, "training accuracy", "accuracy ") > 95.0);
    /* The seed's probes: (1, 0) is below the line, (0, 1) and (-5, 3) above. */
    assert_true(number_after(out, "P(above) at (1, 0)", "= ") < 0.5);
    assert_true(number_after(out, "P(above) at (0, 1)", "= ") > 0.5);
    assert_true(number_after(out, "P(above) at (-5, 3)", "= ") > 0.5);
    assert_null(strstr(out, "dead relu"));
    free(out);
}

static void test_multiclass(void **state) {
    (void)state;
    char *out = run_example("multiclass", NULL, NULL);
    assert_true(number_after(out, "final:", "accuracy ") > 95.0);
    assert_true(number_after(out, "final:", "val loss ") < 0.2);
    free(out);
    /* The blobs are scikit-learn's make_blobs draws: with the default seed two of the
     * three centres are 2.23 apart (standard deviation 1), so about 13% of those two
     * classes' points lie nearer the other centre; the best any classifier can do is
     * about 91%. */
    out = run_example("multiclass", "--data=blobs", "--steps=100");
    assert_true(number_after(out, "final:", "accuracy ") > 88.0);
    free(out);
}

/* ==== every example prints what its demo prints ========================================== */

/* examples/NAME is its demo written out on the public header alone: with no arguments it
 * prints what `micrograd demo DEMO` prints with its defaults, byte for byte. */
static void test_examples_match_demos(void **state) {
    (void)state;
    static const char *const pairs[][2] = {
        {"derivative", "derivative"}, {"expression", "expression"}, {"graph", "graph"},
        {"neuron", "neuron"},         {"toy", "toy"},               {"moons", "moons"},
        {"yinyang", "yinyang"},       {"f2c", "f2c"},               {"above_line", "above-line"},
        {"multiclass", "multiclass"}, {"newton", "newton"},
    };
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        char *out = run_example(pairs[i][0], NULL, NULL);
        tu_run_result r = run_cli(pairs[i][1], NULL, NULL, NULL);
        assert_int_equal(r.status, 0);
        if (strcmp(r.out, out))
            fail_msg("examples/%s and `micrograd demo %s` print differently:\n%s\n----\n%s",
                     pairs[i][0], pairs[i][1], out, r.out);
        tu_run_free(&r);
        free(out);
    }
    /* and with the options the example takes */
    char *out = run_example("multiclass", "--data=blobs", "--steps=100");
    tu_run_result r = run_cli("multiclass", "--data=blobs", "--steps=100", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, out);
    tu_run_free(&r);
    free(out);
}

/* Newton's method with derivatives from gradients as values (mg_gradient): the 1-D root
 * to the last digit, Rosenbrock's minimum exactly, and the derivative's graph drawn. */
static void test_newton(void **state) {
    (void)state;
    const char *path = tu_path("newton.dot");
    tu_run_result r = run_cli("newton", "--graph", path, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "step 0: x = 2.0, f(x) = -1.0, f'(x) = 10.0\n"));
    assert_non_null(strstr(r.out, "step 1: x = 2.1, f(x) = 0.06100000000000083, f'(x) = 11.23\n"));
    assert_non_null(strstr(r.out, "root: x = 2.0945514815423265\n"));
    assert_non_null(strstr(r.out, "step 0: (x, y) = (-1.2, 1.0), f = 24.199999999999996"));
    assert_non_null(strstr(r.out, "minimum: (x, y) = (1.0, 1.0)\n"));
    assert_true(tu_count(r.out, "\nstep ") < 20); /* quadratic convergence: a handful */
    char *dot = tu_read_file(path, NULL);
    assert_non_null(dot);
    assert_non_null(strstr(dot, "df/dx")); /* the derivative is a node of its own graph */
    free(dot);
    tu_run_free(&r);
    r = run_cli("newton", "--steps", "0", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "micrograd demo newton"));
    tu_run_free(&r);
}

/* ==== the command ======================================================================== */

static void test_list_and_help(void **state) {
    (void)state;
    tu_run_result r = run_cli("--list", NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    const char *names[] = {"derivative ", "expression ", "graph ",       "neuron ",    "toy ",
                           "moons ",      "yinyang ",    "f2c ",         "above-line ", "multiclass ",
                           "newton "};
    for (int i = 0; i < 11; i++)
        if (!line_starting(r.out, names[i])) fail_msg("--list lacks %s:\n%s", names[i], r.out);
    assert_int_equal(tu_count(r.out, "\n"), 11);
    tu_run_free(&r);
    r = run_cli("toy", "--help", NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "--seed N"));
    assert_non_null(strstr(r.out, "(default: 500)"));
    tu_run_free(&r);
    r = run_cli("--help", NULL, NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "above-line"));
    tu_run_free(&r);
}

static void test_usage_errors(void **state) {
    (void)state;
    const char *cases[][3] = {
        {"toy", "--steps", "0"},      {"toy", "--bogus", NULL},    {"nope", NULL, NULL},
        {"moons", "--lr", "-1"},      {"moons", "--seed", "x"},    {"f2c", "--batch", "1e3"},
        {"multiclass", "--data", "x"}, {"toy", "--graph", "a.pdf"}, {"toy", "extra", NULL},
        {"yinyang", "--n", "5"},      {"moons", "--dtype", "f16"}, {"moons", "--eager", "--dtype=f32"},
        {NULL, NULL, NULL}, /* no demo named at all */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        tu_run_result r = run_cli(cases[i][0], cases[i][1], cases[i][2], NULL);
        if (r.status != 2 || !strstr(r.err, "micrograd demo") || r.out[0])
            fail_msg("demo %s %s %s: status %d, stderr '%s'", cases[i][0] ? cases[i][0] : "",
                     cases[i][1] ? cases[i][1] : "", cases[i][2] ? cases[i][2] : "", r.status, r.err);
        tu_run_free(&r);
    }
}

static void test_options_and_graph(void **state) {
    (void)state;
    tu_run_result r = run_cli("moons", "--steps", "5", NULL);
    assert_int_equal(r.status, 0);
    assert_int_equal(tu_count(r.out, "step "), 5); /* the notebook's lines only */
    tu_run_free(&r);
    const char *path = tu_path("yinyang.dot");
    r = run_cli("yinyang", "--graph", path, NULL);
    assert_int_equal(r.status, 0);
    char *dot = tu_read_file(path, NULL);
    assert_non_null(dot);
    assert_non_null(strstr(dot, "digraph"));
    assert_non_null(strstr(dot, "loss"));
    assert_non_null(strstr(dot, "L1.N2.b"));
    free(dot);
    tu_run_free(&r);
    /* float32 lanes: the same steps to float32's precision */
    r = run_cli("moons", "--steps", "5", "--dtype");
    assert_int_equal(r.status, 2);
    tu_run_free(&r);
    tu_run_result r64 = run_cli("yinyang", "--steps", "10", NULL), r32 = run_cli("yinyang", "--steps", "10", "--dtype=f32");
    assert_int_equal(r64.status, 0);
    assert_int_equal(r32.status, 0);
    double l64 = number_after(r64.out, "step 10/10, train", "loss "),
           l32 = number_after(r32.out, "step 10/10, train", "loss ");
    if (!(fabs(l32 - l64) <= 1e-5 * l64)) fail_msg("yinyang, 10 steps: float32 loss %.17g, float64 %.17g", l32, l64);
    tu_run_free(&r64);
    tu_run_free(&r32);
    /* Another seed, other numbers (the reference's are for 42). */
    r = run_cli("yinyang", "--seed", "7", "--steps=3");
    assert_int_equal(r.status, 0);
    assert_int_equal(tu_count(r.out, "train loss"), 3);
    assert_null(strstr(r.out, "1.0122152826497561"));
    tu_run_free(&r);
}

/* --out DIR: the loss curve and the decision boundary as PNG files of the default size. */
static void test_out_pictures(void **state) {
    (void)state;
#ifndef MG_HAVE_CAIRO
    fprintf(stderr, "skipped: plots need cairo (apt-get install libcairo2-dev)\n");
    skip();
#else
    const char *dir = tu_path("moons_out");
    tu_run_result r = run_cli("moons", "--out", dir, NULL);
    assert_int_equal(r.status, 0);
    tu_run_free(&r);
    const char *names[2] = {"loss.png", "boundary.png"};
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *png = tu_read_file(path, &len);
        assert_non_null(png);
        assert_true(len > 1000);
        assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
        /* IHDR: width and height, big-endian, at bytes 16 and 20: 640 x 480. */
        const unsigned char *u = (const unsigned char *)png;
        assert_int_equal((u[16] << 24) | (u[17] << 16) | (u[18] << 8) | u[19], 640);
        assert_int_equal((u[20] << 24) | (u[21] << 16) | (u[22] << 8) | u[23], 480);
        free(png);
    }
    /* --formula: the trained network inside one sample's loss, parameters by label. */
    r = run_cli("moons", "--steps", "3", "--formula");
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\nloss = relu(1 - y*(L2_N0_b + L2_N0_w0*relu(L1_N0_b + "));
    assert_non_null(strstr(r.out, "\nh1 = relu(L0_N0_b + L0_N0_w0*x0 + L0_N0_w1*x1)\n"));
    tu_run_free(&r);
    /* A directory that cannot be made is a clear failure, not a crash. */
    r = run_cli("moons", "--out", "/proc/no/such/dir", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "/proc/no/such/dir"));
    tu_run_free(&r);
#endif
}

/* The walkthroughs' --formula: seed 001's neuron and the walkthrough's L, each assigned to
 * its label; their usage errors read like the other demos'. */
static void test_walkthrough_formulas(void **state) {
    (void)state;
    tu_run_result r = run_cli("neuron", "--formula", NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\no = tanh(x1*w1 + x2*w2 + b)\n"));
    tu_run_free(&r);
    r = run_cli("graph", "--formula", NULL, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "\nL = (a*b + c)*f\n"));
    tu_run_free(&r);
    r = run_cli("neuron", "--graph", NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "micrograd demo neuron: option '--graph' needs a value"));
    tu_run_free(&r);
    r = run_cli("expression", "--formula", NULL, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "unknown option '--formula'"));
    tu_run_free(&r);
}

/* --html FILE: backward step by step as a page, on the walkthroughs. */
static void test_pages(void **state) {
    (void)state;
    if (!mg_graph_can_render(MG_RENDERER_AUTO)) {
        fprintf(stderr, "skipped: pages need graphviz (apt-get install graphviz)\n");
        skip();
    }
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s", tu_path("L.html"));
    tu_run_result r = run_cli("graph", "--html", a, NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.err, "wrote"));
    char *html = tu_read_file(a, NULL);
    assert_non_null(html);
    assert_true(!strncmp(html, "<!DOCTYPE html>", 15) && strstr(html, "id=\"mg-frames\""));
    free(html);
    tu_run_free(&r);
    snprintf(b, sizeof b, "%s", tu_path("neuron_exp.html"));
    snprintf(a, sizeof a, "%s", tu_path("neuron.html"));
    const char *argv[] = {MG_CLI, "demo", "neuron", "--html", a, "--html-exp", b, NULL};
    r = tu_run(argv, NULL);
    assert_int_equal(r.status, 0);
    char *h1 = tu_read_file(a, NULL), *h2 = tu_read_file(b, NULL);
    assert_true(h1 && h2 && strstr(h1, "\"op\":\"tanh\"") && strstr(h2, "\"op\":\"exp\""));
    free(h1);
    free(h2);
    tu_run_free(&r);
}

/* --html on a training demo: one sample's loss of the trained network; the refusals name
 * the option that sets their limit. */
static void test_page_limits(void **state) {
    (void)state;
    if (!mg_graph_can_render(MG_RENDERER_AUTO)) {
        fprintf(stderr, "skipped: pages need graphviz (apt-get install graphviz)\n");
        skip();
    }
    char a[1024];
    snprintf(a, sizeof a, "%s", tu_path("moons.html"));
    tu_run_result r;
    char *html;
    const char *moons[] = {MG_CLI, "demo", "moons", "--steps", "2", "--html", a, NULL};
    r = tu_run(moons, NULL);
    assert_int_equal(r.status, 0);
    html = tu_read_file(a, NULL);
    assert_true(html && strstr(html, "\"name\":\"L2.N0.b\""));
    free(html);
    tu_run_free(&r);
    const char *small[] = {MG_CLI, "demo", "moons", "--steps", "2", "--html", a, "--max-nodes", "100", NULL};
    r = tu_run(small, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "graph too large to animate: 477 nodes"));
    assert_non_null(strstr(r.err, "(--max-nodes N sets it)"));
    tu_run_free(&r);
    snprintf(a, sizeof a, "%s", tu_path("toy.png"));
    const char *png[] = {MG_CLI, "demo", "toy", "--steps", "2", "--graph", a, "--max-png", "200", NULL};
    r = tu_run(png, NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "draw it as .svg instead"));
    assert_non_null(strstr(r.err, "(--max-png N sets it)"));
    tu_run_free(&r);
    r = run_cli("toy", "--html", "a.png", NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--html: 'a.png' should end in .html"));
    tu_run_free(&r);
    r = run_cli("moons", "--help", NULL, NULL);
    assert_non_null(strstr(r.out, "--html FILE"));
    assert_non_null(strstr(r.out, "--max-png N"));
    assert_non_null(strstr(r.out, "(default: 4000)"));
    tu_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yinyang_reference),
        cmocka_unit_test(test_toy),
        cmocka_unit_test(test_moons_notebook),
        cmocka_unit_test(test_moons_other_seed),
        cmocka_unit_test(test_f2c),
        cmocka_unit_test(test_above_line),
        cmocka_unit_test(test_multiclass),
        cmocka_unit_test(test_examples_match_demos),
        cmocka_unit_test(test_newton),
        cmocka_unit_test(test_list_and_help),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_options_and_graph),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_page_limits),
        cmocka_unit_test(test_out_pictures),
        cmocka_unit_test(test_walkthrough_formulas),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cleanup();
    return rc;
}
