/* yinyang.c - the reference run of micrograd's 2024 follow-up in C: 100 yin-yang points
 * of 3 classes (80 to train, 10 to validate, 10 to test), an MLP 2 -> 8 (tanh) -> 3, the
 * softmax cross-entropy written as the reference writes it (exp, sum, log, no max
 * subtracted), and AdamW (lr 0.1, betas 0.9 and 0.95, weight decay 1e-4) for 100
 * full-batch steps, with the validation loss every 10 steps.
 *
 * Its output is the reference's, line for line (shared/reference/yinyang_expected.txt),
 * and what `micrograd demo yinyang` prints. As in examples/moons.c, one point's loss graph
 * is compiled once and replayed over the batch at every step; the class is given as a
 * one-hot row, so every point's graph has the same shape.
 *
 *   cc yinyang.c $(pkg-config --cflags --libs micrograd) -o yinyang && ./yinyang
 */
#include <micrograd.h>
#include <stdio.h>

#define K 3        /* classes */
#define NSLOTS 5   /* a point's numbers: x, y, then its class one-hot */
#define STEPS 100

/* The slot values of the n points of d: x, y and the one-hot class. */
static void pack(const mg_dataset *d, double rows[][NSLOTS]) {
    for (size_t i = 0; i < d->n; i++) {
        rows[i][0] = d->x[2 * i];
        rows[i][1] = d->x[2 * i + 1];
        for (int c = 0; c < K; c++) rows[i][2 + c] = c == d->y[i] ? 1.0 : 0.0;
    }
}

/* The mean of n losses. */
static double mean(const double *losses, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += losses[i];
    return sum * (1.0 / (double)n);
}

/* One point's loss, -log(softmax(logits)[class]) with the class given as a one-hot row,
 * built on the tape and recorded as a compiled tape whose slots are the point's five
 * numbers (x, y, the one-hot row); the graph is then dropped (the parameters stay). The
 * softmax is the reference's: exp of the logits, no maximum subtracted. NULL with err. */
static mg_compiled *record_loss(mg_ctx *ctx, mg_mlp *model, mg_err *err) {
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value slots[NSLOTS], logits[K] = {MG_NULL, MG_NULL, MG_NULL};
    for (int k = 0; k < 2; k++) slots[k] = mg_input(ctx, 0.0);
    mg_mlp_forward(ctx, model, slots, logits);
    for (int c = 0; c < K; c++) slots[2 + c] = mg_input(ctx, 0.0);
    mg_value loss = mg_loss_softmax_ce(ctx, K, logits, slots + 2, 0);
    mg_compiled *tape = NULL;
    if (mg_ctx_status(ctx) != MG_STATUS_OK)
        mg_err_set(err, mg_ctx_status(ctx), "%s", mg_ctx_errmsg(ctx));
    else
        tape = mg_compile(ctx, loss, NSLOTS, slots, K, logits, err);
    mg_ctx_reset(ctx, mark);
    return tape;
}

int main(void) {
    int status = 1;
    mg_err err = {0};
    mg_dataset *all = NULL, *train = NULL, *val = NULL, *test = NULL;
    mg_mlp *model = NULL;
    mg_compiled *tape = NULL;
    mg_optim *adamw = NULL;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_rng_seed(mg_ctx_rng(ctx), 42); /* one generator: the data, then the weights */

    /* The data, in the reference's order: rows of class 0, 1, 2, 0, 1, 2, ... */
    all = mg_dataset_yinyang(mg_ctx_rng(ctx), 100, 0.1, 0.5, &err);
    if (!all || mg_dataset_split(all, 80, 10, &train, &val, &test, &err)) goto done;
    /* The model: weights uniform(-1, 1) / sqrt(nin), biases 0. */
    const size_t sizes[2] = {8, K};
    const mg_act acts[2] = {MG_ACT_TANH, MG_ACT_LINEAR};
    model = mg_mlp_new(ctx, 2, 2, sizes, acts, MG_INIT_SCALED, NULL, &err);
    if (!model) goto done;

    /* One point's loss graph, recorded once and replayed at every step. */
    tape = record_loss(ctx, model, &err);
    if (!tape) goto done;

    /* AdamW over the parameters, as the reference configures it. */
    mg_optim_config oc;
    mg_optim_config_init(&oc, MG_OPTIM_ADAMW);
    oc.lr = 0.1;
    oc.beta1 = 0.9;
    oc.beta2 = 0.95;
    oc.eps = 1e-8;
    oc.weight_decay = 1e-4;
    adamw = mg_optim_new(&oc, model->nparams, &err);
    if (!adamw) goto done;

    double train_rows[80][NSLOTS], val_rows[10][NSLOTS], losses[80], logit_rows[80][K];
    pack(train, train_rows);
    pack(val, val_rows);
    char buf[32];
    for (int k = 0; k < STEPS; k++) {
        if (k % 10 == 0) { /* the validation loss, before the step */
            if (mg_compiled_forward(tape, 10, &val_rows[0][0], losses, &logit_rows[0][0], &err))
                goto done;
            printf("step %d/%d, val loss %.6f\n", k + 1, STEPS, mean(losses, 10));
        }
        /* zero_grad; forward and backward of the 80 points, adding the gradient of their
         * mean loss to the grads; one AdamW step. */
        mg_mlp_zero_grad(ctx, model);
        if (mg_compiled_forward_backward(tape, 80, &train_rows[0][0], 1.0 / 80, losses,
                                         &logit_rows[0][0], &err))
            goto done;
        mg_optim_step(adamw, ctx, model->first, model->nparams);
        printf("step %d/%d, train loss %s\n", k + 1, STEPS,
               mg_fmt_repr(mean(losses, 80), buf, sizeof buf));
    }
    status = 0;

done:
    if (status) fprintf(stderr, "yinyang: %s\n", err.msg);
    mg_optim_free(adamw);
    mg_compiled_free(tape);
    mg_mlp_free(model);
    mg_dataset_free(all);
    mg_dataset_free(train);
    mg_dataset_free(val);
    mg_dataset_free(test);
    mg_ctx_free(ctx);
    return status;
}
