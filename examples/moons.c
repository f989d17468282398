/* moons.c - micrograd's demo notebook in C: 100 points of two interleaving half moons,
 * an MLP(2, [16, 16, 1]) of relu neurons, the SVM max-margin loss plus 1e-4 L2, and SGD
 * with the learning rate falling from 1.0 to 0.1 over 100 full-batch steps.
 *
 * micrograd builds the loss graph of every point at every step. Here the graph of ONE
 * point is built once and compiled; each step replays it over the 100 points, forward
 * and backward, without building anything (examples/toy.c shows the loop that builds the
 * graph every step). The library's own loop, mg_train, trains this way too, so this
 * prints what `micrograd demo moons` prints, digit for digit.
 *
 *   cc moons.c $(pkg-config --cflags --libs micrograd) -o moons && ./moons
 */
#include <micrograd.h>
#include <stdio.h>

#define N 100      /* points */
#define STEPS 100  /* full-batch steps */
#define ALPHA 1e-4 /* strength of the L2 term */

/* The mean of the points' losses; *correct gets the points whose score has the sign of
 * their label (row[2], -1 or +1). */
static double mean_loss(const double *losses, const double *scores, double rows[N][3],
                        int *correct) {
    double sum = 0.0;
    *correct = 0;
    for (int i = 0; i < N; i++) {
        sum += losses[i];
        *correct += (scores[i] > 0.0) == (rows[i][2] > 0.0);
    }
    return sum * (1.0 / N);
}

/* One point's loss, relu(1 - y*score) for its label y = -1 or +1, built on the tape and
 * recorded as a compiled tape. The point's three numbers (two coordinates, the label) are
 * the slots: inputs whose values each replay supplies anew. The graph is then dropped
 * from the context (the parameters, made before it, stay). NULL with err. */
static mg_compiled *record_loss(mg_ctx *ctx, mg_mlp *model, mg_err *err) {
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value x[2] = {mg_input(ctx, 0.0), mg_input(ctx, 0.0)}, score = MG_NULL;
    mg_mlp_forward(ctx, model, x, &score);
    mg_value y = mg_input(ctx, 0.0);
    mg_value loss = mg_loss_hinge(ctx, score, y);
    mg_value slots[3] = {x[0], x[1], y};
    mg_compiled *tape = NULL;
    if (mg_ctx_status(ctx) != MG_STATUS_OK)
        mg_err_set(err, mg_ctx_status(ctx), "%s", mg_ctx_errmsg(ctx));
    else
        tape = mg_compile(ctx, loss, 3, slots, 1, &score, err);
    mg_ctx_reset(ctx, mark);
    return tape;
}

int main(void) {
    int status = 1;
    mg_err err = {0};
    mg_dataset *data = NULL;
    mg_mlp *model = NULL;
    mg_compiled *tape = NULL;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_rng_seed(mg_ctx_rng(ctx), 1337); /* it draws the data, then the weights */

    /* The data: row i is a point (x, y) of class 0 or 1. */
    data = mg_dataset_moons(mg_ctx_rng(ctx), N, 0.1, &err);
    if (!data) goto done;
    /* The model: relu, relu, linear; weights uniform(-1, 1), biases 0. */
    const size_t sizes[3] = {16, 16, 1};
    model = mg_mlp_new(ctx, 2, 3, sizes, NULL, MG_INIT_UNIFORM, NULL, &err);
    if (!model) goto done;
    printf("moons: %d points, noise %g; MLP(2, [16, 16, 1]), %zu parameters\n", N, 0.1,
           model->nparams);

    /* One point's loss graph, recorded once and replayed at every step. */
    tape = record_loss(ctx, model, &err);
    if (!tape) goto done;

    /* The slot values of every point: its coordinates and its label as -1 or +1. */
    double rows[N][3];
    for (int i = 0; i < N; i++) {
        rows[i][0] = data->x[2 * i];
        rows[i][1] = data->x[2 * i + 1];
        rows[i][2] = 2.0 * data->y[i] - 1.0;
    }

    double losses[N], scores[N];
    int correct;
    char b1[32], b2[32];
    for (int k = 0; k < STEPS; k++) {
        /* zero_grad, then the L2 term ALPHA * sum(p*p): its value, and its gradient
         * 2 * ALPHA * p written straight into the grads. */
        mg_mlp_zero_grad(ctx, model);
        double *p = mg_data_ptr(ctx, model->first), *g = mg_grad_ptr(ctx, model->first);
        double reg = 0.0;
        for (size_t i = 0; i < model->nparams; i++) {
            reg += p[i] * p[i];
            g[i] = 2.0 * ALPHA * p[i];
        }
        reg *= ALPHA;
        /* Forward and backward of all the points: adds 1/N of their summed gradients to
         * the grads, which then hold the gradient of the mean loss plus L2. */
        if (mg_compiled_forward_backward(tape, N, &rows[0][0], 1.0 / N, losses, scores, &err))
            goto done;
        double total = mean_loss(losses, scores, rows, &correct) + reg;
        printf("step %d loss %s, accuracy %s%%\n", k, mg_fmt_repr(total, b1, sizeof b1),
               mg_fmt_repr(100.0 * correct / N, b2, sizeof b2));
        /* SGD with micrograd's learning rate 1.0 - 0.9*k/100. */
        double lr = 1.0 - 0.9 * k / STEPS;
        for (size_t i = 0; i < model->nparams; i++) p[i] -= lr * g[i];
    }

    /* The trained model on every point: forward only. */
    if (mg_compiled_forward(tape, N, &rows[0][0], losses, scores, &err)) goto done;
    double mean = mean_loss(losses, scores, rows, &correct);
    printf("final: training accuracy %s%% (%d of %d), mean hinge loss %s\n",
           mg_fmt_repr(100.0 * correct / N, b1, sizeof b1), correct, N,
           mg_fmt_repr(mean, b2, sizeof b2));
    status = 0;

done:
    if (status) fprintf(stderr, "moons: %s\n", err.msg);
    mg_compiled_free(tape);
    mg_mlp_free(model);
    mg_dataset_free(data);
    mg_ctx_free(ctx);
    return status;
}
