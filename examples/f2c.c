/* f2c.c - seed 001's first model in C: one linear neuron c = w*f + b learns Celsius from
 * Fahrenheit on 1,000 points f = uniform(-1, 1), c = (f - 32) * 5/9, by SGD (lr 0.1) on
 * the mean squared error over shuffled mini-batches of 32, for 30 epochs. The data are
 * exact, so it lands on w = 5/9 and b = -160/9.
 *
 * Prints what `micrograd demo f2c` prints. As in examples/moons.c, one sample's loss
 * graph is compiled once and replayed over each batch; here the batches are mini-batches
 * in a new random order every epoch.
 *
 *   cc f2c.c $(pkg-config --cflags --libs micrograd) -lm -o f2c && ./f2c
 */
#include <math.h>
#include <micrograd.h>
#include <stdio.h>

#define N 1000    /* samples */
#define BATCH 32
#define EPOCHS 30
#define LR 0.1

/* Rounds values a hair from 0 to 0, so "%.4f" never shows "-0.0000". */
static double tidy(double x) {
    return fabs(x) < 5e-5 ? 0.0 : x;
}

/* One sample's loss, (w*f + b - c)**2, built on the tape and recorded as a compiled tape
 * whose slots are the sample's f and c; the graph is then dropped (the parameters stay).
 * NULL with err. */
static mg_compiled *record_loss(mg_ctx *ctx, mg_mlp *model, mg_err *err) {
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value f = mg_input(ctx, 0.0), pred = MG_NULL;
    mg_mlp_forward(ctx, model, &f, &pred);
    mg_value c = mg_input(ctx, 0.0);
    mg_value loss = mg_loss_mse(ctx, 1, &pred, &c);
    mg_value slots[2] = {f, c};
    mg_compiled *tape = NULL;
    if (mg_ctx_status(ctx) != MG_STATUS_OK)
        mg_err_set(err, mg_ctx_status(ctx), "%s", mg_ctx_errmsg(ctx));
    else
        tape = mg_compile(ctx, loss, 2, slots, 1, &pred, err);
    mg_ctx_reset(ctx, mark);
    return tape;
}

/* One epoch: the samples in a new random order (Fisher-Yates), then for each mini-batch
 * zero_grad, the gradient of its mean loss, p -= lr * grad. Returns the epoch's mean
 * loss, each batch's mean weighted by its size (NAN with err on failure). */
static double epoch(mg_ctx *ctx, mg_mlp *model, mg_compiled *tape, double rows[N][2],
                    size_t order[N], mg_err *err) {
    double batch[BATCH][2], losses[BATCH], preds[BATCH], total = 0.0;
    for (uint32_t i = N; i > 1; i--) {
        uint32_t j = mg_rng_below(mg_ctx_rng(ctx), i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (int start = 0; start < N; start += BATCH) {
        int nb = N - start < BATCH ? N - start : BATCH;
        for (int s = 0; s < nb; s++) {
            batch[s][0] = rows[order[start + s]][0];
            batch[s][1] = rows[order[start + s]][1];
        }
        mg_mlp_zero_grad(ctx, model);
        if (mg_compiled_forward_backward(tape, (size_t)nb, &batch[0][0], 1.0 / nb, losses, preds,
                                         err))
            return NAN;
        double sum = 0.0;
        for (int s = 0; s < nb; s++) sum += losses[s];
        double mean = sum * (1.0 / nb);
        total += mean * nb;
        double *p = mg_data_ptr(ctx, model->first);
        const double *g = mg_grad_ptr(ctx, model->first);
        for (size_t i = 0; i < model->nparams; i++) p[i] -= LR * g[i];
    }
    return total / N;
}

int main(void) {
    int status = 1;
    mg_err err = {0};
    mg_mlp *model = NULL;
    mg_compiled *tape = NULL;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_rng *rng = mg_ctx_rng(ctx);
    mg_rng_seed(rng, 42); /* it draws the data, the weight, then each epoch's order */

    /* The data: each sample's numbers, f and its c, as the tape's slots take them. */
    double rows[N][2];
    for (int i = 0; i < N; i++) {
        double f = mg_rng_uniform(rng, -1.0, 1.0);
        rows[i][0] = f;
        rows[i][1] = (f - 32.0) * 5.0 / 9.0;
    }
    /* The model: one linear neuron, w uniform(-1, 1), b = 0. */
    const size_t sizes[1] = {1};
    const mg_act acts[1] = {MG_ACT_LINEAR};
    model = mg_mlp_new(ctx, 1, 1, sizes, acts, MG_INIT_UNIFORM, NULL, &err);
    if (!model) goto done;
    printf("f2c: %d points, c = (f - 32) * 5/9 for f in [-1, 1); c = w*f + b, SGD lr %g, "
           "batches of %d\n", N, LR, BATCH);

    /* One sample's loss graph, recorded once and replayed for every mini-batch. */
    tape = record_loss(ctx, model, &err);
    if (!tape) goto done;

    size_t order[N];
    for (int i = 0; i < N; i++) order[i] = (size_t)i;
    char buf[32];
    for (int e = 0; e < EPOCHS; e++) {
        double mean = epoch(ctx, model, tape, rows, order, &err);
        if (isnan(mean)) goto done;
        printf("epoch %d loss %s\n", e, mg_fmt_repr(mean, buf, sizeof buf));
    }

    /* The parameters (the weight, then the bias), and the error over all the samples. */
    double w = mg_data(ctx, model->params[0]), b = mg_data(ctx, model->params[1]);
    double losses[N], preds[N];
    if (mg_compiled_forward(tape, N, &rows[0][0], losses, preds, &err)) goto done;
    double sqerr = 0.0;
    for (int i = 0; i < N; i++) sqerr += (preds[i] - rows[i][1]) * (preds[i] - rows[i][1]);
    char b1[32], b2[32];
    printf("weight %.4f (5/9 = %.4f), bias %.4f (-160/9 = %.4f)\n", w, 5.0 / 9.0, b, -160.0 / 9.0);
    printf("exactly: weight %s, bias %s; RMSE %.3g\n", mg_fmt_repr(w, b1, sizeof b1),
           mg_fmt_repr(b, b2, sizeof b2), sqrt(sqerr * (1.0 / N)));
    printf("32 F is %.4f C; 212 F is %.4f C\n", tidy(b + w * 32.0), tidy(b + w * 212.0));
    status = 0;

done:
    if (status) fprintf(stderr, "f2c: %s\n", err.msg);
    mg_compiled_free(tape);
    mg_mlp_free(model);
    mg_ctx_free(ctx);
    return status;
}
