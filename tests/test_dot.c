/* test_dot.c - graph drawings: the DOT text of the walkthrough's L graph node by node,
 * options, escaping of nasty labels (and that graphviz still renders them), SVG and PNG
 * output through each renderer, the fallback without one, and the size limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "micrograd.h"
#include "testutil.h"
#include "writecheck.h"

/* ==== helpers ============================================================================== */

/* The walkthrough's L = (a*b + c)*f after backward (tape: a b c e d f L). */
static mg_value build_L(mg_ctx *ctx) {
    mg_value a = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "a");
    mg_value b = mg_leaf_ex(ctx, -3.0, MG_ROLE_LEAF, "b");
    mg_value c = mg_leaf_ex(ctx, 10.0, MG_ROLE_LEAF, "c");
    mg_value e = mg_set_label(ctx, mg_mul(ctx, a, b), "e");
    mg_value d = mg_set_label(ctx, mg_add(ctx, e, c), "d");
    mg_value f = mg_leaf_ex(ctx, -2.0, MG_ROLE_LEAF, "f");
    mg_value L = mg_set_label(ctx, mg_mul(ctx, d, f), "L");
    mg_backward(ctx, L);
    return L;
}

static char *dot_text(mg_ctx *ctx, mg_value v, const mg_graph_options *opt) {
    mg_err err = {0, ""};
    size_t len = 0;
    if (mg_graph_format(ctx, v, opt, NULL, 0, &len, &err) != MG_STATUS_OK) fail_msg("%s", err.msg);
    char *buf = malloc(len + 1);
    assert_non_null(buf);
    assert_int_equal(mg_graph_format(ctx, v, opt, buf, len + 1, NULL, &err), MG_STATUS_OK);
    assert_int_equal(strlen(buf), len);
    return buf;
}

/* Asserts that text has the line (without its newline) exactly once. */
static void expect_line(const char *text, const char *line) {
    size_t n = strlen(line);
    int count = 0;
    for (const char *p = text; (p = strstr(p, line)); p += n)
        if ((p == text || p[-1] == '\n') && p[n] == '\n') count++;
    if (count != 1) fail_msg("expected the line '%s' once, found it %d times in:\n%s", line, count, text);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}


/* ==== the DOT text ========================================================================== */

/* micrograd's draw_dot(L) after backward, node by node, with the walkthrough's numbers. */
static void test_L_graph(void **state) {
    mg_ctx *ctx = *state;
    mg_value L = build_L(ctx);
    char *t = dot_text(ctx, L, NULL);
    assert_true(strncmp(t, "digraph micrograd {\n", 20) == 0);
    assert_non_null(strstr(t, "rankdir=LR"));
    const char *lines[] = {
        "  v0 [shape=record, style=filled, fillcolor=\"#fff5c2\", label=\"{ a | data 2.0000 | grad 6.0000 }\"];",
        "  v1 [shape=record, style=filled, fillcolor=\"#fff5c2\", label=\"{ b | data -3.0000 | grad -4.0000 }\"];",
        "  v2 [shape=record, style=filled, fillcolor=\"#fff5c2\", label=\"{ c | data 10.0000 | grad -2.0000 }\"];",
        "  v3 [shape=record, style=filled, fillcolor=\"#ffffff\", label=\"{ e | data -6.0000 | grad -2.0000 }\"];",
        "  v4 [shape=record, style=filled, fillcolor=\"#ffffff\", label=\"{ d | data 4.0000 | grad -2.0000 }\"];",
        "  v5 [shape=record, style=filled, fillcolor=\"#fff5c2\", label=\"{ f | data -2.0000 | grad 4.0000 }\"];",
        "  v6 [shape=record, style=filled, fillcolor=\"#ffd9b3\", label=\"{ L | data -8.0000 | grad 1.0000 }\"];",
        /* op nodes, each feeding its value */
        "  v3op [label=\"*\"];", "  v3op -> v3;", "  v4op [label=\"+\"];", "  v4op -> v4;",
        "  v6op [label=\"*\"];", "  v6op -> v6;",
        /* inputs into op nodes */
        "  v0 -> v3op;", "  v1 -> v3op;", "  v3 -> v4op;", "  v2 -> v4op;", "  v4 -> v6op;",
        "  v5 -> v6op;",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) expect_line(t, lines[i]);
    assert_int_equal(tu_count(t, "->"), 9);
    assert_int_equal(tu_count(t, "shape=record"), 7);
    assert_int_equal(tu_count(t, "op [label="), 3);
    assert_true(t[strlen(t) - 2] == '}');
    assert_int_equal(mg_graph_count(ctx, L), 10);
    /* Only what L depends on: the graph of e is a, b, e and its op. */
    free(t);
    t = dot_text(ctx, mg_at(ctx, 3), NULL);
    assert_int_equal(tu_count(t, "shape=record"), 3);
    assert_null(strstr(t, "v2 "));
    free(t);
}

static void test_options(void **state) {
    mg_ctx *ctx = *state;
    mg_value L = build_L(ctx);
    mg_graph_options o;
    mg_graph_options_init(&o);
    assert_int_equal(o.rankdir, MG_RANKDIR_LR);
    assert_string_equal(o.number_format, "%.4f");
    assert_int_equal(o.max_nodes, 2000);
    assert_int_equal(o.max_png_side, 4000);
    o.rankdir = MG_RANKDIR_TB;
    o.number_format = "%.2e";
    o.show_grad = 0;
    o.colors = 0;
    o.title = "walkthrough";
    char *t = dot_text(ctx, L, &o);
    assert_non_null(strstr(t, "rankdir=TB"));
    assert_non_null(strstr(t, "label=\"walkthrough\""));
    expect_line(t, "  v0 [shape=record, label=\"a | data 2.00e+00\"];");
    expect_line(t, "  v6 [shape=record, label=\"L | data -8.00e+00\"];");
    assert_null(strstr(t, "| grad"));
    assert_null(strstr(t, "fillcolor"));
    free(t);
    /* Number formats go to printf: anything but one conversion of a double is refused. */
    const char *bad[] = {"%s", "%d", "%.4f %f", "abc", "%n", "%.4f%", "%*f", "%.999f", "%lf", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        o.number_format = bad[i];
        char buf[16] = "untouched";
        mg_err err = {0, ""};
        assert_int_equal(mg_graph_format(ctx, L, &o, buf, sizeof buf, NULL, &err), MG_STATUS_INVALID);
        assert_non_null(strstr(err.msg, "number format"));
        assert_string_equal(buf, "");
    }
    o.number_format = "%+08.3f%%";
    t = dot_text(ctx, L, &o);
    assert_non_null(strstr(t, "data +002.000%"));
    free(t);
}

/* Colours by role: parameter light green, input light blue, constant grey, output orange;
 * a powc shows its exponent in the op node and not as a node; dot and neg op nodes. */
static void test_roles_and_ops(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf_ex(ctx, 0.5, MG_ROLE_INPUT, "x");       /* v0 */
    mg_value w = mg_leaf_ex(ctx, -1.0, MG_ROLE_PARAM, "w");      /* v1 */
    mg_value b = mg_leaf_ex(ctx, 0.25, MG_ROLE_PARAM, "b");      /* v2 */
    mg_value n = mg_dot(ctx, b, 1, &w, &x);                      /* v3 */
    mg_value sq = mg_powf(ctx, n, 2);                            /* v4 const 2, v5 */
    mg_value inv = mg_powf(ctx, mg_neg(ctx, sq), -1);            /* v6 neg, v7 const, v8 */
    mg_value r = mg_powf(ctx, mg_mulf(ctx, inv, 3), 0.5);        /* v9 const 3, v10, v11, v12 */
    char *t = dot_text(ctx, r, NULL);
    assert_non_null(strstr(t, "  v0 [shape=record, style=filled, fillcolor=\"#cfe2ff\""));
    assert_non_null(strstr(t, "  v1 [shape=record, style=filled, fillcolor=\"#c8f0c8\""));
    assert_non_null(strstr(t, "  v9 [shape=record, style=filled, fillcolor=\"#e8e8e8\""));
    assert_non_null(strstr(t, "  v12 [shape=record, style=filled, fillcolor=\"#ffd9b3\""));
    expect_line(t, "  v3op [label=\"dot\"];");
    expect_line(t, "  v5op [label=\"**2\"];");
    expect_line(t, "  v6op [label=\"-\"];");
    expect_line(t, "  v8op [label=\"**-1\"];");
    expect_line(t, "  v12op [label=\"**0.5\"];");
    expect_line(t, "  v2 -> v3op;");
    expect_line(t, "  v1 -> v3op;");
    expect_line(t, "  v0 -> v3op;");
    /* Exponents are not nodes: v4, v7, v11 are absent. */
    assert_null(strstr(t, "  v4 ["));
    assert_null(strstr(t, "  v7 ["));
    assert_null(strstr(t, "  v11 ["));
    /* x w b dot sq neg inv 3 mul r: 10 values, 6 of them made by ops. */
    assert_int_equal(tu_count(t, "shape=record"), 10);
    assert_int_equal(mg_graph_count(ctx, r), 16);
    free(t);
}

/* Labels with every character graphviz reads specially. */
static const char *const nasty[] = {"a<b",  "{x}",    "p|q",   "say \"hi\"", "back\\slash",
                                    "a&b",  "&amp;",  "\\N",    "two  spaces", "tab\there",
                                    "<>",   "\xff\xfe bad utf8", "\xce\xa3 sigma"};

static mg_value build_nasty(mg_ctx *ctx) {
    size_t n = sizeof nasty / sizeof nasty[0];
    mg_value s = mg_leaf_ex(ctx, 1.0, MG_ROLE_LEAF, nasty[0]);
    for (size_t i = 1; i < n; i++)
        s = mg_set_label(ctx, mg_add(ctx, s, mg_leaf_ex(ctx, (double)i, MG_ROLE_LEAF, nasty[i])), "");
    return s;
}

static void test_escaping(void **state) {
    mg_ctx *ctx = *state;
    mg_value s = build_nasty(ctx);
    mg_graph_options o;
    mg_graph_options_init(&o);
    o.title = "title \"quoted\" & <angled> \\N";
    char *t = dot_text(ctx, s, &o);
    const char *want[] = {
        "{ a\\<b | data", "{ \\{x\\} | data", "{ p\\|q | data", "{ say\\ \\\"hi\\\" | data",
        "{ back\\\\slash | data", "{ a&amp;b | data", "{ &amp;amp; | data", "{ \\\\N | data",
        "{ two\\ \\ spaces | data", "{ tab?here | data", "{ \\<\\> | data",
        "{ ??\\ bad\\ utf8 | data", "{ \xce\xa3&#32;sigma | data",
        "label=\"title \\\"quoted\\\" &amp; <angled> \\\\N\"",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(t, want[i])) fail_msg("expected '%s' in:\n%s", want[i], t);
    free(t);
}

/* The escaped labels still render, and read back as the labels in the SVG's text. */
static void test_escaping_renders(void **state) {
    if (!mg_graph_can_render(MG_RENDERER_AUTO)) {
        print_message("skipped: no graphviz (neither libgvc nor the dot program); "
                      "install graphviz and libgraphviz-dev\n");
        skip();
    }
    mg_ctx *ctx = *state;
    mg_value s = build_nasty(ctx);
    const char *path = tu_path("nasty.svg");
    mg_err err = {0, ""};
    if (mg_graph_save(ctx, s, NULL, path, &err) != MG_STATUS_OK) fail_msg("%s", err.msg);
    char *svg = tu_read_file(path, NULL);
    assert_non_null(svg);
    const char *problem = tu_xml_problem(svg);
    if (problem) fail_msg("%s is not well-formed XML: %s", path, problem);
    const char *texts[] = {">a&lt;b<",       ">{x}<",       ">p|q<",   ">back\\slash<",
                           ">a&amp;b<",      ">&amp;amp;<", ">\\N<",   ">&lt;&gt;<",
                           ">\xce\xa3 sigma<", "say &quot;hi&quot;"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (!strstr(svg, texts[i])) fail_msg("expected '%s' in the SVG", texts[i]);
    free(svg);
}

/* ==== files: formats, renderers, fallback ======================================================= */

static void check_svg_file(const char *path) {
    char *svg = tu_read_file(path, NULL);
    assert_non_null(svg);
    const char *problem = tu_xml_problem(svg);
    if (problem) fail_msg("%s is not well-formed XML: %s", path, problem);
    assert_non_null(strstr(svg, "<svg"));
    /* graphviz writes a minus sign as a character reference. */
    assert_true(strstr(svg, ">data &#45;8.0000<") || strstr(svg, ">data -8.0000<"));
    assert_non_null(strstr(svg, ">grad 6.0000<"));
    free(svg);
}

static void test_save_dot(void **state) {
    mg_ctx *ctx = *state;
    mg_value L = build_L(ctx);
    int before = tu_dir_entries();
    mg_err err = {0, ""};
    const char *path = tu_path("L.dot");
    assert_int_equal(mg_graph_save(ctx, L, NULL, path, &err), MG_STATUS_OK);
    char *file = tu_read_file(path, NULL), *t = dot_text(ctx, L, NULL);
    assert_string_equal(file, t);
    free(file);
    /* mg_graph_write to a FILE gives the same text. */
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(mg_graph_write(ctx, L, NULL, f, &err), MG_STATUS_OK);
    rewind(f);
    char *back = calloc(1, strlen(t) + 16);
    assert_non_null(back);
    assert_int_equal(fread(back, 1, strlen(t) + 15, f), strlen(t));
    assert_string_equal(back, t);
    free(back);
    fclose(f);
    /* A buffer too small gets a terminated prefix and the full length. */
    char small[21];
    size_t len = 0;
    assert_int_equal(mg_graph_format(ctx, L, NULL, small, sizeof small, &len, &err), MG_STATUS_OK);
    assert_string_equal(small, "digraph micrograd {\n");
    assert_int_equal(len, strlen(t));
    free(t);
    /* Unknown formats and unwritable places are refused, leaving nothing behind. */
    assert_int_equal(mg_graph_save(ctx, L, NULL, tu_path("L.jpg"), &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "unknown picture format 'jpg'"));
    assert_int_equal(mg_graph_save(ctx, L, NULL, tu_path("no/such/dir/L.dot"), &err), MG_STATUS_IO);
    assert_non_null(strstr(err.msg, "no/such/dir/L.dot"));
    assert_int_equal(mg_graph_save(ctx, MG_NULL, NULL, tu_path("null.dot"), &err), MG_STATUS_INVALID);
    assert_int_equal(tu_dir_entries(), before + 1);
}

static void render_with(mg_ctx *ctx, mg_renderer how, const char *svg, const char *png) {
    mg_value L = build_L(ctx);
    mg_graph_options o;
    mg_graph_options_init(&o);
    o.renderer = how;
    mg_err err = {0, ""};
    int before = tu_dir_entries();
    if (mg_graph_save(ctx, L, &o, tu_path(svg), &err) != MG_STATUS_OK) fail_msg("%s", err.msg);
    check_svg_file(tu_path(svg));
    if (mg_graph_save(ctx, L, &o, tu_path(png), &err) != MG_STATUS_OK) fail_msg("%s", err.msg);
    unsigned w = 0, h = 0;
    assert_true(tu_png_size(tu_path(png), &w, &h));
    /* Seven records side by side in four ranks: wider than tall, and of a sane size. */
    assert_true(w > h && w > 300 && w < 3000 && h > 100 && h < 2000);
    assert_int_equal(tu_dir_entries(), before + 2);
}

static void test_render_library(void **state) {
#ifndef MG_HAVE_GVC
    (void)state;
    assert_false(mg_graph_can_render(MG_RENDERER_LIBRARY));
    print_message("skipped: built without graphviz's library; install libgraphviz-dev\n");
    skip();
#else
    assert_true(mg_graph_can_render(MG_RENDERER_LIBRARY));
    render_with(*state, MG_RENDERER_LIBRARY, "lib.svg", "lib.png");
#endif
}

static void test_render_program(void **state) {
    if (!mg_graph_can_render(MG_RENDERER_PROGRAM)) {
        print_message("skipped: the graphviz program 'dot' is not on PATH; install graphviz\n");
        skip();
    }
    render_with(*state, MG_RENDERER_PROGRAM, "prog.svg", "prog.png");
}

/* Without a renderer the DOT text goes next to the picture, with a hint. */
static void test_fallback(void **state) {
    mg_ctx *ctx = *state;
    mg_value L = build_L(ctx);
    mg_graph_options o;
    mg_graph_options_init(&o);
    o.renderer = MG_RENDERER_NONE;
    mg_err err = {0, ""};
    char svg[512], dot[512];
    snprintf(svg, sizeof svg, "%s", tu_path("fb.svg"));
    snprintf(dot, sizeof dot, "%s", tu_path("fb.dot"));
    assert_int_equal(mg_graph_save(ctx, L, &o, svg, &err), MG_STATUS_UNSUPPORTED);
    assert_false(file_exists(svg));
    assert_true(file_exists(dot));
    char hint[1700];
    snprintf(hint, sizeof hint, "wrote %s; render it with: dot -Tsvg %s -o %s", dot, dot, svg);
    if (!strstr(err.msg, hint)) fail_msg("expected the hint '%s' in '%s'", hint, err.msg);
    assert_null(strchr(err.msg, '\n'));
    char *file = tu_read_file(dot, NULL), *t = dot_text(ctx, L, &o);
    assert_string_equal(file, t);
    free(file);
    free(t);
}

/* graphviz's complaints come back as a format error; nothing is left behind. */
static void test_render_errors(void **state) {
    (void)state;
    if (!mg_graph_can_render(MG_RENDERER_AUTO)) {
        print_message("skipped: no graphviz to render with\n");
        skip();
    }
    const char *bad = "digraph { a -> ; }";
    mg_renderer hows[] = {MG_RENDERER_LIBRARY, MG_RENDERER_PROGRAM};
    for (int k = 0; k < 2; k++) {
        if (!mg_graph_can_render(hows[k])) continue;
        int before = tu_dir_entries();
        mg_err err = {0, ""};
        assert_int_equal(mg_graph_render(bad, strlen(bad), tu_path("bad.svg"), hows[k], 30, &err),
                         MG_STATUS_FORMAT);
        assert_non_null(strstr(err.msg, "syntax error"));
        assert_int_equal(tu_dir_entries(), before);
        assert_int_equal(mg_graph_render(bad, strlen(bad), tu_path("bad.pdf"), hows[k], 30, &err),
                         MG_STATUS_INVALID);
    }
}

/* A render that runs past its time limit is stopped and leaves nothing. */
static void test_render_timeout(void **state) {
    if (!mg_graph_can_render(MG_RENDERER_AUTO)) {
        print_message("skipped: no graphviz to render with\n");
        skip();
    }
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf_ex(ctx, 1.0, MG_ROLE_INPUT, "x");
    for (int k = 0; k < 300; k++) x = mg_tanh(ctx, mg_add(ctx, x, mg_leaf(ctx, k)));
    char *t = dot_text(ctx, x, NULL);
    mg_renderer hows[] = {MG_RENDERER_LIBRARY, MG_RENDERER_PROGRAM};
    for (int k = 0; k < 2; k++) {
        if (!mg_graph_can_render(hows[k])) continue;
        int before = tu_dir_entries();
        mg_err err = {0, ""};
        assert_int_equal(mg_graph_render(t, strlen(t), tu_path("slow.png"), hows[k], 0.001, &err),
                         MG_STATUS_IO);
        assert_non_null(strstr(err.msg, "was stopped")); /* by its time limit, not finished */
        assert_int_equal(tu_dir_entries(), before);
    }
    free(t);
}

/* Graphs past the limit are refused at once, with the count and a way out. */
static void test_size_limit(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf_ex(ctx, 1.0, MG_ROLE_LEAF, "x");
    for (int k = 0; k < 1500; k++) x = mg_add(ctx, x, x); /* 1 + 1500 values, 1500 op nodes */
    assert_int_equal(mg_graph_count(ctx, x), 3001);
    mg_err err = {0, ""};
    char buf[32] = "untouched";
    assert_int_equal(mg_graph_format(ctx, x, NULL, buf, sizeof buf, NULL, &err), MG_STATUS_INVALID);
    assert_string_equal(buf, "");
    assert_non_null(strstr(err.msg, "3001 nodes"));
    assert_non_null(strstr(err.msg, "limit is 2000"));
    assert_non_null(strstr(err.msg, "smaller"));
    int before = tu_dir_entries();
    assert_int_equal(mg_graph_save(ctx, x, NULL, tu_path("big.svg"), &err), MG_STATUS_INVALID);
    assert_int_equal(tu_dir_entries(), before);
    /* A raised limit, or none, draws it. */
    mg_graph_options o;
    mg_graph_options_init(&o);
    o.max_nodes = 3001;
    char *t = dot_text(ctx, x, &o);
    assert_int_equal(tu_count(t, "shape=record"), 1501);
    free(t);
    o.max_nodes = 3000;
    assert_int_equal(mg_graph_format(ctx, x, &o, NULL, 0, NULL, &err), MG_STATUS_INVALID);
    o.max_nodes = 0;
    assert_int_equal(mg_graph_format(ctx, x, &o, NULL, 0, NULL, &err), MG_STATUS_OK);
}

/* A .png longer than max_png_side is refused before graphviz makes the bitmap, saying how
 * large it would be and to draw an .svg instead; the size it names is the bitmap's. */
static void test_png_limit(void **state) {
    mg_ctx *ctx = *state;
    if (!mg_graph_can_render(MG_RENDERER_AUTO)) {
        print_message("skipped: no graphviz to render with\n");
        skip();
    }
    mg_value x = mg_leaf_ex(ctx, 1.0, MG_ROLE_LEAF, "x");
    for (int k = 0; k < 12; k++) x = mg_addf(ctx, x, 1.0); /* a long row, left to right */
    mg_graph_options o;
    mg_graph_options_init(&o);
    o.max_png_side = 1000;
    mg_err err = {0, ""};
    int before = tu_dir_entries();
    assert_int_equal(mg_graph_save(ctx, x, &o, tu_path("long.png"), &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "long.png: the picture would be "));
    assert_non_null(strstr(err.msg, "over the limit of 1000 on its long side for a .png"));
    assert_non_null(strstr(err.msg, "draw it as .svg"));
    assert_int_equal(tu_dir_entries(), before);
    unsigned want_w = 0, want_h = 0;
    const char *size = strstr(err.msg, "would be ");
    assert_int_equal(sscanf(size, "would be %u x %u", &want_w, &want_h), 2);
    assert_true(want_w > 1000 && want_h < 1000);
    /* An .svg has no limit; with the limit off the .png is made, of the size named. */
    assert_int_equal(mg_graph_save(ctx, x, &o, tu_path("long.svg"), &err), MG_STATUS_OK);
    o.max_png_side = 0;
    if (mg_graph_save(ctx, x, &o, tu_path("long.png"), &err)) fail_msg("%s", err.msg);
    unsigned w = 0, h = 0;
    assert_true(tu_png_size(tu_path("long.png"), &w, &h));
    assert_int_equal(w, want_w);
    assert_int_equal(h, want_h);
    o.max_png_side = (int)want_w; /* at the limit exactly: made */
    assert_int_equal(mg_graph_save(ctx, x, &o, tu_path("long.png"), &err), MG_STATUS_OK);
}

/* The writer's promises (micrograd.h section 14e) for drawings: DOT text written as
 * bytes, and pictures that graphviz's library (in a child) or the `dot` program write by
 * name. */
typedef struct drawing {
    mg_ctx *ctx;
    mg_value root;
    mg_renderer how;
} drawing;

static mg_status draw(void *user, const char *path, mg_err *err) {
    drawing *d = user;
    mg_graph_options o;
    mg_graph_options_init(&o);
    o.renderer = d->how;
    return mg_graph_save(d->ctx, d->root, &o, path, err);
}

static void test_writer_promises(void **state) {
    drawing d = {*state, build_L(*state), MG_RENDERER_AUTO};
    wc_check_ext("text", "dot", draw, &d, 64);
    d.how = MG_RENDERER_LIBRARY;
    if (mg_graph_can_render(d.how)) {
        wc_check_ext("library", "svg", draw, &d, 256);
        wc_check_ext("library", "png", draw, &d, 256);
    } else {
        print_message("note: no graphviz library, its pictures are not checked\n");
    }
    d.how = MG_RENDERER_PROGRAM;
    if (mg_graph_can_render(d.how)) {
        wc_check_ext("program", "svg", draw, &d, 256);
        wc_check_ext("program", "png", draw, &d, 256);
    } else {
        print_message("note: no dot program, its pictures are not checked\n");
    }
}

/* The example program draws the walkthrough's graph. */
static void test_example(void **state) {
    (void)state;
    char prog[1024];
    snprintf(prog, sizeof prog, "%s/draw_graph", MG_EXAMPLES_DIR);
    char out[512];
    snprintf(out, sizeof out, "%s", tu_path("example.dot"));
    const char *argv[] = {prog, out, NULL};
    tu_run_result r = tu_run(argv, NULL);
    if (r.status != 0) fail_msg("draw_graph exited %d: %s", r.status, r.err);
    assert_non_null(strstr(r.out, "L = (a*b + c)*f\n"));
    char *t = tu_read_file(out, NULL);
    assert_non_null(t);
    expect_line(t, "  v6 [shape=record, style=filled, fillcolor=\"#ffd9b3\", label=\"{ L | data -8.0000 | grad 1.0000 }\"];");
    free(t);
    tu_run_free(&r);
    const char *usage[] = {prog, NULL};
    r = tu_run(usage, NULL);
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "Usage: draw_graph"));
    tu_run_free(&r);
}

static int cleanup(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_L_graph, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_options, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_roles_and_ops, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_escaping, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_escaping_renders, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_save_dot, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_render_library, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_render_program, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_fallback, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_render_errors, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_render_timeout, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_png_limit, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_size_limit, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_writer_promises, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_example, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests_name("dot", tests, NULL, cleanup);
}
