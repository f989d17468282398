/* graph.c - the walkthrough's L = (a*b + c) * f in C: build it with labels, backward,
 * print every node's data and grad as micrograd's print(value) does, then nudge each leaf
 * a little along its gradient and recompute: L goes up, towards 0. Prints what
 * `micrograd demo graph` prints (examples/draw_graph.c draws this graph).
 *
 *   cc graph.c $(pkg-config --cflags --libs micrograd) -o graph && ./graph
 */
#include <micrograd.h>
#include <stdio.h>

int main(void) {
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
        fprintf(stderr, "graph: %s\n", mg_ctx_errmsg(ctx));
        mg_ctx_free(ctx);
        return 1;
    }
    mg_backward(ctx, L);
    mg_value all[] = {a, b, c, e, d, f, L};
    char buf[96];
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        printf("%-2s %s\n", mg_label(ctx, all[i]), mg_value_repr(ctx, all[i], buf, sizeof buf));

    /* One step of 0.01 along the gradient, then forward again from the new leaf data. */
    mg_value leaves[] = {a, b, c, f};
    for (size_t i = 0; i < 4; i++)
        mg_set_data(ctx, leaves[i], mg_data(ctx, leaves[i]) + 0.01 * mg_grad(ctx, leaves[i]));
    printf("after one step of 0.01 along the gradients: L = %s (was -8.0)\n",
           mg_fmt_repr(mg_forward(ctx, L), buf, sizeof buf));
    mg_ctx_free(ctx);
    return 0;
}
