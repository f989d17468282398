/* draw_graph.c - draws the walkthrough's L graph after backward, like micrograd's
 * draw_dot(L), and prints it as a formula:
 *
 *   a = Value(2.0, label='a'); b = Value(-3.0, label='b'); c = Value(10.0, label='c')
 *   e = a*b; d = e + c; f = Value(-2.0, label='f'); L = d*f; L.backward()
 *   draw_dot(L)
 *
 * Usage: draw_graph PATH [tb]   (PATH ends in .svg, .png or .dot; tb draws top to bottom)
 */
#include <micrograd.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3 || !strcmp(argv[1], "--help") || (argc == 3 && strcmp(argv[2], "tb"))) {
        fprintf(argc < 2 || argc > 3 || strcmp(argv[1], "--help") ? stderr : stdout,
                "Usage: draw_graph PATH [tb]\n"
                "Draws the walkthrough's graph L = (a*b + c)*f after backward to PATH\n"
                "(.svg, .png or .dot); 'tb' lays it out top to bottom (default: left to right).\n");
        return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_value a = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "a");
    mg_value b = mg_leaf_ex(ctx, -3.0, MG_ROLE_LEAF, "b");
    mg_value c = mg_leaf_ex(ctx, 10.0, MG_ROLE_LEAF, "c");
    mg_value e = mg_set_label(ctx, mg_mul(ctx, a, b), "e");
    mg_value d = mg_set_label(ctx, mg_add(ctx, e, c), "d");
    mg_value f = mg_leaf_ex(ctx, -2.0, MG_ROLE_LEAF, "f");
    mg_value L = mg_set_label(ctx, mg_mul(ctx, d, f), "L");
    if (mg_ctx_status(ctx) != MG_STATUS_OK) {
        fprintf(stderr, "draw_graph: %s\n", mg_ctx_errmsg(ctx));
        mg_ctx_free(ctx);
        return 1;
    }
    mg_backward(ctx, L);

    mg_err err;
    printf("L = ");
    if (mg_formula_write(ctx, L, NULL, stdout, &err) != MG_STATUS_OK)
        fprintf(stderr, "draw_graph: %s\n", err.msg);

    mg_graph_options opt;
    mg_graph_options_init(&opt);
    if (argc == 3) opt.rankdir = MG_RANKDIR_TB;
    mg_status st = mg_graph_save(ctx, L, &opt, argv[1], &err);
    mg_ctx_free(ctx);
    if (st == MG_STATUS_UNSUPPORTED) {
        /* No graphviz: the DOT text was written instead; the message says how to render it. */
        fprintf(stderr, "draw_graph: %s\n", err.msg);
        return 0;
    }
    if (st != MG_STATUS_OK) {
        fprintf(stderr, "draw_graph: %s\n", err.msg);
        return 1;
    }
    printf("wrote %s\n", argv[1]);
    return 0;
}
