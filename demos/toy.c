/* toy.c - the walkthrough's training loop, written out: an MLP(3, [4, 4, 1]) with tanh
 * everywhere fits four points by plain gradient descent on the sum of squared errors.
 * The loop is spelled out (mark, forward, loss, zero_grad, backward, update, reset) rather
 * than handed to mg_train, because showing it is the point of this demo. */
#include "demo.h"

#include <stdio.h>

static const demo_spec spec = {
    "toy",
    "The walkthrough's network: MLP(3, [4, 4, 1]) with tanh in every layer, weights\n"
    "uniform(-1, 1) and biases 0, fits xs = [2,3,-1], [3,-1,0.5], [0.5,1,1], [1,1,-1] to\n"
    "ys = 1, -1, -1, 1 with the loss sum((ypred - y)**2) and p -= lr * p.grad, printing\n"
    "the loss every step and the predictions at the end.",
    DEMO_OPT_SEED | DEMO_OPT_STEPS | DEMO_OPT_LR | DEMO_OPT_PICTURE | DEMO_OPT_OUT | DEMO_OPT_FORMULA,
    {.seed = 42, .steps = 500, .lr = 0.05},
    NULL,
};

static const double toy_x[4][3] = {{2.0, 3.0, -1.0}, {3.0, -1.0, 0.5}, {0.5, 1.0, 1.0}, {1.0, 1.0, -1.0}};
static const double toy_y[4] = {1.0, -1.0, -1.0, 1.0};

/* sum over the four samples of (ypred - y)**2, built on the tape. */
static mg_value toy_loss(mg_ctx *ctx, mg_mlp *m) {
    mg_value losses[4];
    for (int i = 0; i < 4; i++) {
        mg_value x[3], ypred;
        for (int k = 0; k < 3; k++) x[k] = mg_input(ctx, toy_x[i][k]);
        if (!mg_mlp_forward(ctx, m, x, &ypred)) return MG_NULL;
        mg_value target = mg_const(ctx, toy_y[i]);
        losses[i] = mg_loss_mse(ctx, 1, &ypred, &target);
    }
    return mg_sum(ctx, 4, losses);
}

/* The walkthrough's loop, one step per line of it: forward and loss above a mark,
 * zero_grad, backward, p -= lr * p.grad, back to the mark. Returns 0 when out of memory. */
static int toy_train(demo_state *s, const demo_opts *o) {
    mg_mark mark = mg_ctx_mark(s->ctx);
    char buf[32];
    for (size_t k = 0; k < o->steps; k++) {
        mg_value loss = toy_loss(s->ctx, s->model);
        if (!mg_ok(loss)) return 0;
        mg_mlp_zero_grad(s->ctx, s->model);
        mg_backward(s->ctx, loss);
        double *p = mg_data_ptr(s->ctx, s->model->first);
        const double *g = mg_grad_ptr(s->ctx, s->model->first);
        for (size_t i = 0; i < s->model->nparams; i++) p[i] += -o->lr * g[i];
        printf("step %zu loss %s\n", k, mg_fmt_repr(mg_data(s->ctx, loss), buf, sizeof buf));
        demo_state_record(s, mg_data(s->ctx, loss));
        mg_ctx_reset(s->ctx, mark);
    }
    return 1;
}

int demo_toy(int argc, char **argv) {
    demo_opts o;
    demo_state s;
    int rc = demo_begin(&spec, argc, argv, &o, &s);
    if (rc >= 0) return rc;
    mg_err err;
    s.loss = MG_LOSS_KIND_MSE;
    s.train = mg_dataset_new(4, 3, 0, &err);
    if (!s.train) goto fail;
    for (int i = 0; i < 4; i++) {
        for (int k = 0; k < 3; k++) s.train->x[3 * i + k] = toy_x[i][k];
        s.train->y[i] = toy_y[i];
    }
    const size_t sizes[3] = {4, 4, 1};
    const mg_act acts[3] = {MG_ACT_TANH, MG_ACT_TANH, MG_ACT_TANH};
    s.model = mg_mlp_new(s.ctx, 3, 3, sizes, acts, MG_INIT_UNIFORM, NULL, &err);
    if (!s.model) goto fail;
    printf("MLP(3, [4, 4, 1]), tanh, %zu parameters; lr %g, %zu steps\n", s.model->nparams, o.lr,
           o.steps);
    if (!toy_train(&s, &o)) {
        mg_err_set(&err, MG_STATUS_NOMEM, "%s", mg_ctx_errmsg(s.ctx));
        goto fail;
    }

    char b[5][32];
    for (int i = 0; i < 4; i++) {
        double ypred;
        if (mg_mlp_predict(s.ctx, s.model, toy_x[i], &ypred, &err)) goto fail;
        printf("ypred for [%s, %s, %s]: %s (target %s)\n", mg_fmt_repr(toy_x[i][0], b[0], 32),
               mg_fmt_repr(toy_x[i][1], b[1], 32), mg_fmt_repr(toy_x[i][2], b[2], 32),
               mg_fmt_repr(ypred, b[3], 32), mg_fmt_repr(toy_y[i], b[4], 32));
    }
    /* The whole loss of the final model, with its gradients, for --graph. */
    s.graph = toy_loss(s.ctx, s.model);
    if (mg_ok(s.graph)) {
        mg_mlp_zero_grad(s.ctx, s.model);
        mg_backward(s.ctx, s.graph);
    }
    return demo_end(&spec, &o, &s);
fail:
    return demo_abort(&spec, &s, &err);
}
