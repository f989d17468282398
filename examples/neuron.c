/* neuron.c - the walkthrough's neuron in C: o = tanh(x1*w1 + x2*w2 + b) with the bias that
 * makes o = 0.7071, backward, and every leaf's gradient; then the same neuron with tanh
 * built from exp, (e^2n - 1) / (e^2n + 1), which must give the same numbers. Prints what
 * `micrograd demo neuron` prints.
 *
 *   cc neuron.c $(pkg-config --cflags --libs micrograd) -o neuron && ./neuron
 */
#include <micrograd.h>
#include <stdio.h>
#include <string.h>

/* Builds the neuron and returns o; leaves gets x1, w1, x2, w2, b. */
static mg_value neuron(mg_ctx *ctx, int from_exp, mg_value leaves[5]) {
    mg_value x1 = mg_leaf_ex(ctx, 2.0, MG_ROLE_INPUT, "x1");
    mg_value x2 = mg_leaf_ex(ctx, 0.0, MG_ROLE_INPUT, "x2");
    mg_value w1 = mg_leaf_ex(ctx, -3.0, MG_ROLE_PARAM, "w1");
    mg_value w2 = mg_leaf_ex(ctx, 1.0, MG_ROLE_PARAM, "w2");
    mg_value b = mg_leaf_ex(ctx, 6.8813735870195432, MG_ROLE_PARAM, "b");
    mg_value x1w1 = mg_set_label(ctx, mg_mul(ctx, x1, w1), "x1*w1");
    mg_value x2w2 = mg_set_label(ctx, mg_mul(ctx, x2, w2), "x2*w2");
    mg_value sum = mg_set_label(ctx, mg_add(ctx, x1w1, x2w2), "x1*w1 + x2*w2");
    mg_value n = mg_set_label(ctx, mg_add(ctx, sum, b), "n");
    mg_value o;
    if (from_exp) {
        mg_value e = mg_set_label(ctx, mg_exp(ctx, mg_mulf(ctx, n, 2)), "e");
        o = mg_div(ctx, mg_subf(ctx, e, 1), mg_addf(ctx, e, 1));
    } else {
        o = mg_tanh(ctx, n);
    }
    mg_value in[5] = {x1, w1, x2, w2, b};
    memcpy(leaves, in, sizeof in);
    return mg_set_label(ctx, o, "o");
}

int main(void) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    for (int from_exp = 0; from_exp < 2; from_exp++) {
        mg_value leaves[5];
        mg_value o = neuron(ctx, from_exp, leaves);
        if (mg_ctx_status(ctx) != MG_STATUS_OK) break;
        mg_backward(ctx, o);
        char buf[32];
        printf("%s: o = %.4f (%s)\n", from_exp ? "tanh from exp, sub and div" : "tanh",
               mg_data(ctx, o), mg_fmt_repr(mg_data(ctx, o), buf, sizeof buf));
        for (int k = 0; k < 5; k++)
            printf("  %-2s grad %7.4f  (%s)\n", mg_label(ctx, leaves[k]), mg_grad(ctx, leaves[k]),
                   mg_fmt_repr(mg_grad(ctx, leaves[k]), buf, sizeof buf));
    }
    int status = mg_ctx_status(ctx) == MG_STATUS_OK ? 0 : 1;
    if (status) fprintf(stderr, "neuron: %s\n", mg_ctx_errmsg(ctx));
    mg_ctx_free(ctx);
    return status;
}
