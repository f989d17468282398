/* toy.c - the walkthrough's training loop in C: an MLP(3, [4, 4, 1]) with tanh in every
 * layer fits four points by plain gradient descent on the sum of squared errors:
 *
 *   for k in range(500):
 *       ypred = [n(x) for x in xs]
 *       loss = sum((yout - ygt)**2 for ygt, yout in zip(ys, ypred))
 *       for p in n.parameters(): p.grad = 0.0
 *       loss.backward()
 *       for p in n.parameters(): p.data += -0.05 * p.grad
 *
 * Every step builds the graph anew, as micrograd does: above a mark on the tape, dropped
 * with a reset at the end of the step, so the loop allocates nothing after its first
 * step. Prints what `micrograd demo toy` prints.
 *
 *   cc toy.c $(pkg-config --cflags --libs micrograd) -o toy && ./toy
 */
#include <micrograd.h>
#include <stdio.h>

#define STEPS 500
#define LR 0.05

static const double xs[4][3] = {
    {2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
static const double ys[4] = {1.0, -1.0, -1.0, 1.0};

/* sum over the four samples of (ypred - y)**2, built on the tape; MG_NULL when out of
 * memory. */
static mg_value toy_loss(mg_ctx *ctx, mg_mlp *n) {
    mg_value losses[4];
    for (int i = 0; i < 4; i++) {
        mg_value x[3], ypred;
        for (int k = 0; k < 3; k++) x[k] = mg_input(ctx, xs[i][k]);
        if (!mg_mlp_forward(ctx, n, x, &ypred)) return MG_NULL;
        mg_value target = mg_const(ctx, ys[i]);
        losses[i] = mg_loss_mse(ctx, 1, &ypred, &target);
    }
    return mg_sum(ctx, 4, losses);
}

int main(void) {
    int status = 1;
    mg_err err = {0};
    mg_mlp *n = NULL;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_rng_seed(mg_ctx_rng(ctx), 42);
    /* The network: weights uniform(-1, 1), biases 0. */
    const size_t sizes[3] = {4, 4, 1};
    const mg_act acts[3] = {MG_ACT_TANH, MG_ACT_TANH, MG_ACT_TANH};
    n = mg_mlp_new(ctx, 3, 3, sizes, acts, MG_INIT_UNIFORM, NULL, &err);
    if (!n) goto done;
    printf("MLP(3, [4, 4, 1]), tanh, %zu parameters; lr %g, %d steps\n", n->nparams, LR, STEPS);

    mg_mark mark = mg_ctx_mark(ctx); /* the parameters are below it */
    char buf[32];
    for (int k = 0; k < STEPS; k++) {
        mg_value loss = toy_loss(ctx, n);
        if (!mg_ok(loss)) {
            mg_err_set(&err, MG_STATUS_NOMEM, "%s", mg_ctx_errmsg(ctx));
            goto done;
        }
        mg_mlp_zero_grad(ctx, n);
        mg_backward(ctx, loss);
        /* The parameters are one span on the tape: the update is a flat loop. */
        double *p = mg_data_ptr(ctx, n->first);
        const double *g = mg_grad_ptr(ctx, n->first);
        for (size_t i = 0; i < n->nparams; i++) p[i] += -LR * g[i];
        printf("step %d loss %s\n", k, mg_fmt_repr(mg_data(ctx, loss), buf, sizeof buf));
        mg_ctx_reset(ctx, mark); /* drop this step's graph, keep its memory */
    }

    char b[5][32];
    for (int i = 0; i < 4; i++) {
        double ypred;
        if (mg_mlp_predict(ctx, n, xs[i], &ypred, &err)) goto done;
        printf("ypred for [%s, %s, %s]: %s (target %s)\n", mg_fmt_repr(xs[i][0], b[0], 32),
               mg_fmt_repr(xs[i][1], b[1], 32), mg_fmt_repr(xs[i][2], b[2], 32),
               mg_fmt_repr(ypred, b[3], 32), mg_fmt_repr(ys[i], b[4], 32));
    }
    status = 0;

done:
    if (status) fprintf(stderr, "toy: %s\n", err.msg);
    mg_mlp_free(n);
    mg_ctx_free(ctx);
    return status;
}
