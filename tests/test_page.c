/* test_page.c - the backprop page (micrograd.h section 13d): its embedded frames, parsed
 * back and replayed, give the engine's data and grads bit for bit and `micrograd eval
 * --json`'s numbers, for micrograd's README expression, the walkthrough's L, the neuron
 * (tanh, and tanh from exp) and a graph with shared subexpressions (a value used twice
 * gets two += terms); the page is self-contained (nothing it could fetch), its drawing
 * has the ids the script looks for, the context is left as it was, and the refusals and
 * the file writer's promises hold. The page in a real browser: tests/browser/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MG_HAVE_JANSSON
#include <jansson.h>
#endif

#include "micrograd.h"
#include "testutil.h"
#include "writecheck.h"

/* ==== helpers ============================================================================== */

static int no_graphviz(void) {
    if (mg_graph_can_render(MG_RENDERER_AUTO)) return 0;
    print_message("skipped: a page needs graphviz (apt-get install graphviz libgraphviz-dev)\n");
    return 1;
}

/* The page of root as text (malloc'd). */
static char *page_text(mg_ctx *ctx, mg_value root, const mg_page_options *opt) {
    FILE *f = tmpfile();
    assert_non_null(f);
    mg_err err = {0, ""};
    if (mg_page_write(ctx, root, opt, f, &err) != MG_STATUS_OK) fail_msg("%s", err.msg);
    long n = ftell(f);
    assert_true(n > 0);
    char *text = malloc((size_t)n + 1);
    assert_non_null(text);
    rewind(f);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* The JSON block of the page (malloc'd). */
static char *frames_block(const char *html) {
    const char *open = "<script type=\"application/json\" id=\"mg-frames\">";
    const char *start = strstr(html, open);
    assert_non_null(start);
    start += strlen(open);
    const char *end = strstr(start, "</script>");
    assert_non_null(end);
    char *json = malloc((size_t)(end - start) + 1);
    assert_non_null(json);
    memcpy(json, start, (size_t)(end - start));
    json[end - start] = '\0';
    return json;
}

static int same_bits(double a, double b) { return memcmp(&a, &b, sizeof a) == 0; }

#define ASSERT_SAME(a, b)                                                                    \
    do {                                                                                     \
        double x_ = (a), y_ = (b);                                                           \
        if (!same_bits(x_, y_)) fail_msg("%s = %.17g, expected %.17g", #a, x_, y_);          \
    } while (0)

/* A script's graph, built as eval builds it: its output, its leaves and their names. */
typedef struct scripted {
    mg_script *s;
    mg_value out;
    const char *text;
} scripted;

static scripted parse_script(mg_ctx *ctx, const char *text) {
    mg_err err = {0, ""};
    mg_script_error where;
    scripted sc = {mg_script_parse(ctx, text, strlen(text), "test.py", &where, &err), MG_NULL, text};
    if (!sc.s) fail_msg("%s", err.msg);
    sc.out = mg_script_output(sc.s);
    assert_true(mg_ok(sc.out));
    return sc;
}

#ifdef MG_HAVE_JANSSON

/* A number of the page's JSON: a real, an integer, or "NaN" / "Infinity" / "-Infinity". */
static double jnum(const json_t *v) {
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        return !strcmp(s, "NaN") ? NAN : !strcmp(s, "Infinity") ? INFINITY : -INFINITY;
    }
    assert_true(json_is_number(v));
    return json_number_value(v);
}

/* What a replay of the frames gives: every node's data and final grad by tape index. */
typedef struct replay {
    size_t n;       /* tape positions covered (root + 1) */
    int *shown;     /* [n] 1 for the values the page shows */
    double *data, *grad;
    size_t nsteps;
    json_t *doc;
} replay;

static void replay_free(replay *r) {
    free(r->shown);
    free(r->data);
    free(r->grad);
    json_decref(r->doc);
}

/* Parses the page's frames and replays them as the page's script does, checking on the
 * way that they are consistent: nodes in creation order, each term's `before` is the
 * running grad, `after` is before + term (backward's own +=), the passing value's grad
 * is complete when it passes it on, terms in backward's order. */
static replay replay_page(const char *html) {
    char *json = frames_block(html);
    json_error_t jerr;
    replay r = {0};
    r.doc = json_loads(json, 0, &jerr);
    if (!r.doc) fail_msg("the page's frames are not JSON: %s at %d:%d", jerr.text, jerr.line, jerr.column);
    free(json);
    assert_string_equal(json_string_value(json_object_get(r.doc, "format")), "micrograd-backprop");
    assert_int_equal(json_integer_value(json_object_get(r.doc, "version")), 1);
    size_t root = (size_t)json_integer_value(json_object_get(r.doc, "root"));
    json_t *nodes = json_object_get(r.doc, "nodes"), *steps = json_object_get(r.doc, "backward");
    json_t *forward = json_object_get(r.doc, "forward");
    r.n = root + 1;
    r.shown = calloc(r.n, sizeof *r.shown);
    r.data = calloc(r.n, sizeof *r.data);
    r.grad = calloc(r.n, sizeof *r.grad);
    assert_true(r.shown && r.data && r.grad);
    size_t prev = 0, nops = 0;
    for (size_t k = 0; k < json_array_size(nodes); k++) {
        json_t *node = json_array_get(nodes, k);
        size_t id = (size_t)json_integer_value(json_object_get(node, "id"));
        assert_true(id < r.n && (k == 0 || id > prev));
        prev = id;
        r.shown[id] = 1;
        r.data[id] = jnum(json_object_get(node, "data"));
        r.grad[id] = jnum(json_object_get(node, "grad"));
        ASSERT_SAME(r.grad[id], id == root ? 1.0 : 0.0);
        if (strcmp(json_string_value(json_object_get(node, "op")), "leaf")) {
            assert_true(nops < json_array_size(forward));
            assert_int_equal(json_integer_value(json_array_get(forward, nops)), id);
            nops++;
        }
    }
    assert_int_equal(nops, json_array_size(forward));
    assert_true(r.shown[root]);
    size_t last_value = root;
    r.nsteps = json_array_size(steps);
    for (size_t k = 0; k < r.nsteps; k++) {
        json_t *s = json_array_get(steps, k);
        size_t v = (size_t)json_integer_value(json_object_get(s, "value"));
        size_t u = (size_t)json_integer_value(json_object_get(s, "operand"));
        assert_true(v < r.n && u < v && r.shown[v] && r.shown[u] && v <= last_value);
        last_value = v;
        double before = jnum(json_object_get(s, "before")), after = jnum(json_object_get(s, "after"));
        double term = jnum(json_object_get(s, "term"));
        ASSERT_SAME(before, r.grad[u]);
        ASSERT_SAME(jnum(json_object_get(s, "grad")), r.grad[v]);
        if (json_is_true(json_object_get(s, "added")))
            ASSERT_SAME(after, before + term);
        else
            ASSERT_SAME(after, before);
        r.grad[u] = after;
    }
    return r;
}

/* The replay against the engine: the tape's data, and mg_backward's grads (leaves zeroed
 * first) for every value shown. The context's grads are left as the page found them. */
static void check_engine(mg_ctx *ctx, mg_value root, const replay *r) {
    assert_int_equal(mg_index(ctx, root) + 1, r->n);
    for (size_t i = 0; i < r->n; i++) {
        if (!r->shown[i]) continue;
        mg_value v = mg_at(ctx, i);
        ASSERT_SAME(r->data[i], mg_data(ctx, v));
        if (mg_op_of(ctx, v) == MG_OP_LEAF) mg_set_grad(ctx, v, 0.0);
    }
    mg_backward(ctx, root);
    for (size_t i = 0; i < r->n; i++)
        if (r->shown[i]) ASSERT_SAME(r->grad[i], mg_grad(ctx, mg_at(ctx, i)));
}

/* The replay against `micrograd eval --json --html` on the same script: eval's page
 * replays the same, and the output's value and every leaf's grad are eval's, by the names
 * eval prints. */
static void check_eval(const scripted *sc, mg_ctx *ctx, const replay *r) {
    char path[512], page[512]; /* tu_path's buffer is reused by every call */
    snprintf(path, sizeof path, "%s", tu_path("script.py"));
    snprintf(page, sizeof page, "%s", tu_path("eval.html"));
    tu_write_file(path, sc->text, (size_t)-1);
    const char *argv[] = {MG_CLI, "eval", "--json", "-q", "--html", page, path, NULL};
    tu_run_result run = tu_run(argv, NULL);
    if (run.status != 0) fail_msg("eval --json --html exited %d: %s", run.status, run.err);
    /* `eval --html` writes the same page as the library: the same replay, bit for bit */
    char *html = tu_read_file(page, NULL);
    assert_non_null(html);
    replay e = replay_page(html);
    assert_int_equal(e.n, r->n);
    assert_int_equal(e.nsteps, r->nsteps);
    for (size_t i = 0; i < r->n; i++) {
        assert_int_equal(e.shown[i], r->shown[i]);
        if (!r->shown[i]) continue;
        ASSERT_SAME(e.grad[i], r->grad[i]);
        ASSERT_SAME(e.data[i], r->data[i]);
    }
    replay_free(&e);
    free(html);
    json_error_t jerr;
    json_t *doc = json_loads(run.out, 0, &jerr);
    if (!doc) fail_msg("eval --json printed no JSON: %s", run.out);
    ASSERT_SAME(r->data[mg_index(ctx, sc->out)], json_number_value(json_object_get(doc, "value")));
    json_t *grads = json_object_get(doc, "grads");
    size_t n = mg_script_nleaves(sc->s), checked = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name;
        mg_value leaf = mg_script_leaf(sc->s, i, &name, NULL, NULL);
        json_t *g = json_object_get(grads, name);
        size_t id = mg_index(ctx, leaf);
        if (!g || id >= r->n || !r->shown[id]) continue; /* unnamed, or not in the graph */
        ASSERT_SAME(r->grad[id], json_number_value(g));
        checked++;
    }
    assert_true(checked >= 2 && checked == json_object_size(grads));
    json_decref(doc);
    tu_run_free(&run);
}

/* The steps whose operand is tape index u. */
static size_t terms_to(const replay *r, size_t u) {
    json_t *steps = json_object_get(r->doc, "backward");
    size_t count = 0;
    for (size_t k = 0; k < json_array_size(steps); k++)
        count += (size_t)json_integer_value(json_object_get(json_array_get(steps, k), "operand")) == u;
    return count;
}

#endif /* MG_HAVE_JANSSON */

/* A script's page, replayed and held to the engine and to eval. Returns the replay's
 * step count (0 without jansson). */
static size_t check_script(mg_ctx *ctx, const char *text, size_t *uses_a) {
    scripted sc = parse_script(ctx, text);
    char *html = page_text(ctx, sc.out, NULL);
    size_t nsteps = 0;
#ifdef MG_HAVE_JANSSON
    replay r = replay_page(html);
    check_engine(ctx, sc.out, &r);
    check_eval(&sc, ctx, &r);
    nsteps = r.nsteps;
    if (uses_a) *uses_a = terms_to(&r, mg_index(ctx, mg_script_lookup(sc.s, "a")));
    replay_free(&r);
#else
    (void)uses_a;
    print_message("note: no jansson: the page's frames are not parsed back\n");
#endif
    free(html);
    mg_script_free(sc.s);
    return nsteps;
}

/* ==== the frames replay to the engine's numbers and eval's ================================== */

static void test_readme_expression(void **state) {
    if (no_graphviz()) skip();
    size_t uses_a = 0;
    size_t n = check_script(*state, tu_readme_script, &uses_a);
#ifdef MG_HAVE_JANSSON
    assert_true(n > 20);
    assert_true(uses_a >= 4); /* a is in c, d, the relus and -a */
#else
    (void)n;
#endif
}

static const char L_script[] =
    "a = Value(2.0, label='a')\nb = Value(-3.0, label='b')\nc = Value(10.0, label='c')\n"
    "e = a*b; e.label = 'e'\nd = e + c; d.label = 'd'\nf = Value(-2.0, label='f')\n"
    "L = d * f; L.label = 'L'\n";

static void test_L_graph(void **state) {
    if (no_graphviz()) skip();
    mg_ctx *ctx = *state;
    size_t n = check_script(ctx, L_script, NULL);
#ifdef MG_HAVE_JANSSON
    assert_int_equal(n, 6); /* L: d, f; d: e, c; e: a, b */
#else
    (void)n;
#endif
    /* The lecture's panel: dL/da += dL/de * de/da = -2 * -3 = 6, from these numbers. */
    mg_script *s = mg_script_parse(ctx, L_script, strlen(L_script), "L.py", NULL, NULL);
    assert_non_null(s);
    char *html = page_text(ctx, mg_script_output(s), NULL);
    char *json = frames_block(html);
    char want[200];
    snprintf(want, sizeof want,
             "{\"value\":%zu,\"operand\":%zu,\"k\":0,\"added\":true,\"grad\":-2.0,\"local\":-3.0,"
             "\"term\":6.0,\"before\":0.0,\"after\":6.0}",
             mg_index(ctx, mg_script_lookup(s, "e")), mg_index(ctx, mg_script_lookup(s, "a")));
    if (!strstr(json, want)) fail_msg("no term %s in:\n%s", want, json);
    free(json);
    free(html);
    mg_script_free(s);
}

static const char neuron_head[] =
    "x1 = Value(2.0, label='x1')\nx2 = Value(0.0, label='x2')\n"
    "w1 = Value(-3.0, label='w1')\nw2 = Value(1.0, label='w2')\n"
    "b = Value(6.8813735870195432, label='b')\n"
    "x1w1 = x1*w1; x1w1.label = 'x1*w1'\nx2w2 = x2*w2; x2w2.label = 'x2*w2'\n"
    "x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = 'x1*w1 + x2*w2'\n"
    "n = x1w1x2w2 + b; n.label = 'n'\n";

static void test_neuron(void **state) {
    if (no_graphviz()) skip();
    char text[2048];
    snprintf(text, sizeof text, "%so = n.tanh(); o.label = 'o'\n", neuron_head);
    size_t tanh_steps = check_script(*state, text, NULL);
    mg_ctx *ctx2 = mg_ctx_new();
    assert_non_null(ctx2);
    snprintf(text, sizeof text, "%se = (2*n).exp()\no = (e - 1) / (e + 1); o.label = 'o'\n",
             neuron_head);
    size_t exp_steps = check_script(ctx2, text, NULL);
    mg_ctx_free(ctx2);
#ifdef MG_HAVE_JANSSON
    assert_int_equal(tanh_steps, 9);
    assert_true(exp_steps > tanh_steps);
#else
    (void)tanh_steps, (void)exp_steps;
#endif
}

/* A value used twice gets two += terms, the second starting where the first left it. */
static void test_shared_subexpressions(void **state) {
    if (no_graphviz()) skip();
    static const char text[] = "a = Value(0.5, label='a')\nb = Value(-1.5, label='b')\n"
                               "c = a * b\nd = c * c + a\nL = d / b\n";
    size_t uses_a = 0;
    check_script(*state, text, &uses_a);
#ifdef MG_HAVE_JANSSON
    assert_int_equal(uses_a, 2);
    mg_ctx *ctx = *state;
    mg_script *s = mg_script_parse(ctx, text, strlen(text), "s.py", NULL, NULL);
    char *html = page_text(ctx, mg_script_output(s), NULL);
    replay r = replay_page(html);
    size_t c = mg_index(ctx, mg_script_lookup(s, "c"));
    assert_int_equal(terms_to(&r, c), 2); /* c * c: operands 0 and 1 */
    json_t *steps = json_object_get(r.doc, "backward");
    double first_after = NAN;
    for (size_t k = 0; k < json_array_size(steps); k++) {
        json_t *t = json_array_get(steps, k);
        if ((size_t)json_integer_value(json_object_get(t, "operand")) != c) continue;
        if (isnan(first_after)) {
            first_after = jnum(json_object_get(t, "after"));
        } else {
            ASSERT_SAME(jnum(json_object_get(t, "before")), first_after);
            assert_true(first_after != 0.0);
        }
    }
    replay_free(&r);
    free(html);
    mg_script_free(s);
#endif
}

/* ==== the page itself ========================================================================== */

/* Leaves' grads are shown from 0 whatever they hold, and are put back afterwards. */
static void test_context_left_alone(void **state) {
    if (no_graphviz()) skip();
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf_ex(ctx, 3.0, MG_ROLE_LEAF, "a");
    mg_value y = mg_mul(ctx, mg_tanh(ctx, a), mg_addf(ctx, a, 1.0));
    mg_backward(ctx, y);
    mg_backward(ctx, y); /* a's grad is doubled now */
    size_t n = mg_ctx_size(ctx);
    double *before = malloc(n * 2 * sizeof *before);
    assert_non_null(before);
    for (size_t i = 0; i < n; i++) {
        before[2 * i] = mg_data(ctx, mg_at(ctx, i));
        before[2 * i + 1] = mg_grad(ctx, mg_at(ctx, i));
    }
    char *html = page_text(ctx, y, NULL);
    assert_int_equal(mg_ctx_size(ctx), n);
    for (size_t i = 0; i < n; i++) {
        ASSERT_SAME(mg_data(ctx, mg_at(ctx, i)), before[2 * i]);
        ASSERT_SAME(mg_grad(ctx, mg_at(ctx, i)), before[2 * i + 1]);
    }
#ifdef MG_HAVE_JANSSON
    replay r = replay_page(html);
    ASSERT_SAME(r.grad[mg_index(ctx, a)] * 2, before[2 * mg_index(ctx, a) + 1]);
    replay_free(&r);
#endif
    free(before);
    free(html);
}

/* One file that needs nothing else: no address it could fetch, a policy that forbids
 * fetching, the drawing's elements under the ids the script uses, fields laid out as
 * wide as their widest number, and the script and style sheet inside. */
static void test_self_contained(void **state) {
    if (no_graphviz()) skip();
    mg_ctx *ctx = *state;
    scripted sc = parse_script(ctx, L_script);
    char *html = page_text(ctx, sc.out, NULL);
    assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(html, "Content-Security-Policy\" content=\"default-src 'none';"));
    assert_null(strstr(html, "src=\""));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "@import"));
    assert_null(strstr(html, "<?xml"));
    const char *p = html;
    while ((p = strstr(p, "href="))) { /* only the empty icon */
        assert_true(strncmp(p, "href=\"data:,\"", 13) == 0);
        p += 5;
    }
    p = html;
    while ((p = strstr(p, "http"))) { /* only the SVG's namespaces, which are names */
        assert_true(!strncmp(p, "http://www.w3.org/", 18) || !strncmp(p, "http-equiv=", 11));
        p += 4;
    }
    char id[32];
    static const char *const ids[] = {"v%zu", "v%zuop", "v%zue", "v%zue0", "v%zue1"};
    for (size_t k = 0; k < 5; k++) {
        char pat[40];
        snprintf(pat, sizeof pat, "id=\"%s\"", ids[k]);
        snprintf(id, sizeof id, pat, mg_index(ctx, sc.out));
        if (!strstr(html, id)) fail_msg("no element %s in the page", id);
    }
    assert_non_null(strstr(html, "class=\"node value op root\""));
    assert_non_null(strstr(html, "class=\"node value leaf\""));
    /* a's grad shows 0.0000 and 6.0000, so its field holds six digits' width. */
    assert_non_null(strstr(html, ">grad 000000<"));
    assert_non_null(strstr(html, "<pre class=\"formula\">L = (a*b + c)*f\n</pre>"));
    assert_non_null(strstr(html, "function formula("));  /* page.js */
    assert_non_null(strstr(html, "prefers-color-scheme: dark")); /* page.css */
    free(html);
    mg_script_free(sc.s);
}

/* Labels of any bytes: JSON and SVG stay well-formed and no label ends the script block. */
static void test_nasty_labels(void **state) {
    if (no_graphviz()) skip();
    mg_ctx *ctx = *state;
    mg_value a = mg_leaf_ex(ctx, 1.0, MG_ROLE_LEAF, "</script><script>alert(1)</script>");
    mg_value b = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "q\"uote\\ & \xff\x01 {|}<>");
    mg_value y = mg_set_label(ctx, mg_mul(ctx, a, b), "y & \xe2\x82\xac");
    mg_page_options po;
    mg_page_options_init(&po);
    po.title = "<b>title</b> \xc3";
    po.source = "y = a * b  # </script>";
    char *html = page_text(ctx, y, &po);
    assert_null(strstr(html, "<script>alert"));
    assert_null(strstr(html, "<b>title"));
    assert_int_equal(tu_count(html, "</script>"), 2);
#ifdef MG_HAVE_JANSSON
    replay r = replay_page(html);
    json_t *nodes = json_object_get(r.doc, "nodes");
    assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 0), "name")),
                        "</script><script>alert(1)</script>");
    assert_string_equal(json_string_value(json_object_get(json_array_get(nodes, 2), "name")),
                        "y & \xe2\x82\xac");
    replay_free(&r);
#endif
    free(html);
}

/* Several values with one label are told apart: c₁, c₂, ...; no label: v<index>. */
static void test_names(void **state) {
    if (no_graphviz()) skip();
    mg_ctx *ctx = *state;
    scripted sc = parse_script(ctx, "a = Value(1.0)\nc = a + 1\nc = c * 2\nc = c * a\n");
    char *html = page_text(ctx, sc.out, NULL);
    char *json = frames_block(html);
    assert_non_null(strstr(json, "\"name\":\"c\xe2\x82\x81\""));
    assert_non_null(strstr(json, "\"name\":\"c\xe2\x82\x83\""));
    assert_non_null(strstr(json, "\"name\":\"a\""));
    free(json);
    free(html);
    mg_script_free(sc.s);
}

/* ==== refusals and files ======================================================================== */

static void test_refusals(void **state) {
    mg_ctx *ctx = *state;
    mg_page_options o;
    mg_page_options_init(&o);
    assert_int_equal(o.max_nodes, 1000);
    assert_int_equal(o.precision, 4);
    assert_int_equal(o.rankdir, MG_RANKDIR_LR);
    mg_err err = {0, ""};
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(mg_page_write(ctx, MG_NULL, NULL, f, &err), MG_STATUS_INVALID);
    mg_value x = mg_leaf_ex(ctx, 1.0, MG_ROLE_LEAF, "x");
    for (int k = 0; k < 600; k++) x = mg_add(ctx, x, x); /* 601 values, 600 op nodes */
    assert_int_equal(mg_page_write(ctx, x, NULL, f, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "too large to animate: 1201 nodes"));
    assert_non_null(strstr(err.msg, "limit is 1000"));
    assert_non_null(strstr(err.msg, "raise the limit"));
    assert_int_equal(ftell(f), 0); /* nothing written */
    o.precision = 18;
    assert_int_equal(mg_page_write(ctx, x, &o, f, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "precision 18"));
    mg_page_options_init(&o);
    o.renderer = MG_RENDERER_NONE;
    o.max_nodes = 0;
    assert_int_equal(mg_page_write(ctx, x, &o, f, &err), MG_STATUS_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "a page needs graphviz"));
    assert_int_equal(ftell(f), 0);
    fclose(f);
    int before = tu_dir_entries();
    assert_int_equal(mg_page_save(ctx, x, NULL, tu_path("page.png"), &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "page.png: a page is an .html file"));
    assert_int_equal(mg_page_save(ctx, x, NULL, tu_path("big.html"), &err), MG_STATUS_INVALID);
    assert_int_equal(tu_dir_entries(), before);
}

typedef struct paged {
    mg_ctx *ctx;
    mg_value root;
} paged;

static mg_status save_page(void *user, const char *path, mg_err *err) {
    paged *p = user;
    return mg_page_save(p->ctx, p->root, NULL, path, err);
}

/* The writer's promises (micrograd.h section 14e) for pages. */
static void test_writer_promises(void **state) {
    if (no_graphviz()) skip();
    mg_ctx *ctx = *state;
    scripted sc = parse_script(ctx, L_script);
    paged p = {ctx, sc.out};
    wc_check_ext("page", "html", save_page, &p, 4096);
    mg_script_free(sc.s);
}

static int cleanup(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_readme_expression, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_L_graph, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_neuron, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_shared_subexpressions, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_context_left_alone, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_self_contained, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_nasty_labels, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_names, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_refusals, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_writer_promises, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests_name("page", tests, NULL, cleanup);
}
