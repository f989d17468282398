/* readme_expr.c - micrograd's README example, value for value:
 *
 *   a = Value(-4.0); b = Value(2.0)
 *   c = a + b; d = a * b + b**3
 *   c += c + 1; c += 1 + c + (-a)
 *   d += d * 2 + (b + a).relu(); d += 3 * d + (b - a).relu()
 *   e = c - d; f = e**2; g = f / 2.0; g += 10.0 / f
 *   print(f'{g.data:.4f}')   # 24.7041
 *   g.backward()
 *   print(f'{a.grad:.4f}')   # 138.8338
 *   print(f'{b.grad:.4f}')   # 645.5773
 */
#include <micrograd.h>
#include <stdio.h>

int main(void) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_value a = mg_leaf_ex(ctx, -4.0, MG_ROLE_LEAF, "a");
    mg_value b = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "b");
    mg_value c = mg_add(ctx, a, b);
    mg_value d = mg_add(ctx, mg_mul(ctx, a, b), mg_powf(ctx, b, 3));
    c = mg_add(ctx, c, mg_addf(ctx, c, 1));                           /* c += c + 1 */
    c = mg_add(ctx, c, mg_add(ctx, mg_addf(ctx, c, 1), mg_neg(ctx, a))); /* c += 1 + c + (-a) */
    d = mg_add(ctx, d, mg_add(ctx, mg_mulf(ctx, d, 2), mg_relu(ctx, mg_add(ctx, b, a))));
    d = mg_add(ctx, d, mg_add(ctx, mg_mulf(ctx, d, 3), mg_relu(ctx, mg_sub(ctx, b, a))));
    mg_value e = mg_sub(ctx, c, d);
    mg_value f = mg_powf(ctx, e, 2);
    mg_value g = mg_divf(ctx, f, 2.0);
    g = mg_add(ctx, g, mg_rdivf(ctx, 10.0, f));                       /* g += 10.0 / f */
    mg_set_label(ctx, g, "g");
    if (mg_ctx_status(ctx) != MG_STATUS_OK) {
        fprintf(stderr, "readme_expr: %s\n", mg_ctx_errmsg(ctx));
        mg_ctx_free(ctx);
        return 1;
    }
    printf("%.4f\n", mg_data(ctx, g));
    mg_backward(ctx, g);
    printf("%.4f\n", mg_grad(ctx, a));
    printf("%.4f\n", mg_grad(ctx, b));
    mg_ctx_free(ctx);
    return 0;
}
