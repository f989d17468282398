/* above_line.c - seed 001's classifier in C: is the point (x, y) above the line y = x?
 * The seed's network sigmoid(w * relu(w1*x + w2*y + b1) + b2) is an MLP(2, [1, 1]): a
 * relu hidden neuron and a linear output, the logit z, read through a sigmoid. It is
 * trained on the logit with binary cross-entropy (the same loss as BCE on the sigmoid,
 * without its overflow), by SGD (lr 0.1) over shuffled mini-batches of 32, for 100
 * epochs of 1,000 points; then measured on 1,000 fresh points and on the seed's probes.
 *
 * Prints what `micrograd demo above-line` prints. The training is examples/f2c.c's:
 * one sample's loss graph compiled once, replayed over each mini-batch.
 *
 *   cc above_line.c $(pkg-config --cflags --libs micrograd) -lm -o above_line && ./above_line
 */
#include <math.h>
#include <micrograd.h>
#include <stdio.h>

#define N 1000 /* points, to train and then fresh ones */
#define BATCH 32
#define EPOCHS 100
#define LR 0.1

/* N points uniform in [-1, 1)^2 as slot values x, y, class (1 when y > x): the seed's
 * generate_binary_data. */
static void points(mg_rng *rng, double rows[N][3]) {
    for (int i = 0; i < N; i++) {
        rows[i][0] = mg_rng_uniform(rng, -1.0, 1.0);
        rows[i][1] = mg_rng_uniform(rng, -1.0, 1.0);
        rows[i][2] = rows[i][1] > rows[i][0];
    }
}

/* One point's loss, the BCE of the logit z against its class, built on the tape and
 * recorded as a compiled tape whose slots are the point's x, y and class; the graph is
 * then dropped (the parameters stay). NULL with err. */
static mg_compiled *record_loss(mg_ctx *ctx, mg_mlp *model, mg_err *err) {
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value slots[3], z = MG_NULL;
    for (int k = 0; k < 2; k++) slots[k] = mg_input(ctx, 0.0);
    mg_mlp_forward(ctx, model, slots, &z);
    slots[2] = mg_input(ctx, 0.0);
    mg_value loss = mg_loss_bce_logit(ctx, z, slots[2]);
    mg_compiled *tape = NULL;
    if (mg_ctx_status(ctx) != MG_STATUS_OK)
        mg_err_set(err, mg_ctx_status(ctx), "%s", mg_ctx_errmsg(ctx));
    else
        tape = mg_compile(ctx, loss, 3, slots, 1, &z, err);
    mg_ctx_reset(ctx, mark);
    return tape;
}

/* The mean BCE of the model on the points (forward only), and how many it gets right
 * (z > 0 means class 1). */
static double measure(mg_compiled *tape, double rows[N][3], int *correct, mg_err *err) {
    double losses[N], z[N];
    if (mg_compiled_forward(tape, N, &rows[0][0], losses, z, err)) return NAN;
    double sum = 0.0;
    *correct = 0;
    for (int i = 0; i < N; i++) {
        sum += losses[i];
        *correct += (z[i] > 0.0) == (rows[i][2] > 0.5);
    }
    return sum * (1.0 / N);
}

/* One epoch of SGD over the rows in a new order; returns its mean loss (NAN on error). */
static double epoch(mg_ctx *ctx, mg_mlp *model, mg_compiled *tape, double rows[N][3],
                    size_t order[N], mg_err *err) {
    double batch[BATCH][3], losses[BATCH], z[BATCH], total = 0.0;
    for (uint32_t i = N; i > 1; i--) { /* Fisher-Yates */
        uint32_t j = mg_rng_below(mg_ctx_rng(ctx), i);
        size_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
    for (int start = 0; start < N; start += BATCH) {
        int nb = N - start < BATCH ? N - start : BATCH;
        for (int s = 0; s < nb; s++)
            for (int k = 0; k < 3; k++) batch[s][k] = rows[order[start + s]][k];
        mg_mlp_zero_grad(ctx, model);
        if (mg_compiled_forward_backward(tape, (size_t)nb, &batch[0][0], 1.0 / nb, losses, z, err))
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
    mg_rng_seed(mg_ctx_rng(ctx), 1); /* the data, weights, each epoch's order, fresh points */
    double train[N][3], fresh[N][3];
    points(mg_ctx_rng(ctx), train);

    /* The model: w1, w2, b1 of the relu neuron, then w, b2 of the output. */
    const size_t sizes[2] = {1, 1};
    const mg_act acts[2] = {MG_ACT_RELU, MG_ACT_LINEAR};
    model = mg_mlp_new(ctx, 2, 2, sizes, acts, MG_INIT_UNIFORM, NULL, &err);
    if (!model) goto done;
    printf("above-line: %d points, class y > x; SGD lr %g, %d epochs of batches of %d\n", N, LR,
           EPOCHS, BATCH);

    /* One point's loss graph, recorded once and replayed for every mini-batch. */
    tape = record_loss(ctx, model, &err);
    if (!tape) goto done;

    size_t order[N];
    for (int i = 0; i < N; i++) order[i] = (size_t)i;
    for (int e = 0; e < EPOCHS; e++) {
        double mean = epoch(ctx, model, tape, train, order, &err);
        if (isnan(mean)) goto done;
        if ((e + 1) % 10 == 0) printf("epoch %d loss %.6f\n", e, mean);
    }

    /* How it does on the training points and on fresh ones. */
    int right, fresh_right;
    double train_loss = measure(tape, train, &right, &err);
    points(mg_ctx_rng(ctx), fresh);
    double fresh_loss = measure(tape, fresh, &fresh_right, &err);
    if (isnan(train_loss) || isnan(fresh_loss)) goto done;
    const double *p = mg_data_ptr(ctx, model->first);
    printf("model: sigmoid(%.4f * relu(%.4f*x + %.4f*y + %.4f) + %.4f)\n", p[3], p[0], p[1], p[2],
           p[4]);
    printf("training accuracy %.1f%% (%d of %d), loss %.4f\n", 100.0 * right / N, right, N,
           train_loss);
    printf("fresh points: accuracy %.1f%% (%d of %d), loss %.4f\n", 100.0 * fresh_right / N,
           fresh_right, N, fresh_loss);
    int alive = 0; /* points where the relu unit is not 0: without any, it cannot learn */
    for (int i = 0; i < N; i++) alive += p[0] * train[i][0] + p[1] * train[i][1] + p[2] > 0.0;
    if (alive == 0)
        printf("note: the relu unit is 0 on every training point (a dead relu: its gradient is\n"
               "0, so training cannot revive it); try another seed\n");

    /* The seed's probes, through the model and a sigmoid that cannot overflow. */
    static const double probes[5][2] = {{1, 0}, {0, 1}, {0, 1000}, {-5, 3}, {0, 0}};
    static const char *const seed_said[5] = {"3.7310797619230176e-66", "0.9997781079343139",
                                             "0.9997781079343139", "0.9997781079343139",
                                             "0.23791579184662365"};
    for (int i = 0; i < 5; i++) {
        double zi;
        if (mg_mlp_predict(ctx, model, probes[i], &zi, &err)) goto done;
        double prob = zi >= 0 ? 1.0 / (1.0 + exp(-zi)) : exp(zi) / (1.0 + exp(zi));
        printf("P(above) at (%g, %g) = %.6g  (seed 001: %s)\n", probes[i][0], probes[i][1], prob,
               seed_said[i]);
    }
    status = 0;

done:
    if (status) fprintf(stderr, "above_line: %s\n", err.msg);
    mg_compiled_free(tape);
    mg_mlp_free(model);
    mg_ctx_free(ctx);
    return status;
}
