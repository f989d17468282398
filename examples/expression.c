/* expression.c - the walkthrough's d = a*b + c with a = 2, b = -3, c = 10, in C: its slope
 * along each input by nudging that input (seed 003's numbers), then the same slopes,
 * exactly, from backward. Prints what `micrograd demo expression` prints.
 *
 *   cc expression.c $(pkg-config --cflags --libs micrograd) -o expression && ./expression
 */
#include <micrograd.h>
#include <stdio.h>

int main(void) {
    const char *names[3] = {"a", "b", "c"};
    char b1[32], b2[32], b3[32], b4[32];
    for (int k = 0; k < 3; k++) {
        double h = 0.0001;
        double v[3] = {2.0, -3.0, 10.0};
        double d1 = v[0] * v[1] + v[2];
        v[k] += h;
        double d2 = v[0] * v[1] + v[2];
        printf("nudge %s: d1 %s  d2 %s  slope %s\n", names[k], mg_fmt_repr(d1, b1, 32),
               mg_fmt_repr(d2, b2, 32), mg_fmt_repr((d2 - d1) / h, b3, 32));
    }

    /* The same slopes from backward: one reverse walk over the tape. */
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_value a = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "a");
    mg_value b = mg_leaf_ex(ctx, -3.0, MG_ROLE_LEAF, "b");
    mg_value c = mg_leaf_ex(ctx, 10.0, MG_ROLE_LEAF, "c");
    mg_value d = mg_add(ctx, mg_mul(ctx, a, b), c);
    if (!mg_ok(d)) {
        fprintf(stderr, "expression: %s\n", mg_ctx_errmsg(ctx));
        mg_ctx_free(ctx);
        return 1;
    }
    mg_backward(ctx, d);
    printf("backward: d = %s, dd/da = %s, dd/db = %s, dd/dc = %s\n",
           mg_fmt_repr(mg_data(ctx, d), b1, 32), mg_fmt_repr(mg_grad(ctx, a), b2, 32),
           mg_fmt_repr(mg_grad(ctx, b), b3, 32), mg_fmt_repr(mg_grad(ctx, c), b4, 32));
    mg_ctx_free(ctx);
    return 0;
}
