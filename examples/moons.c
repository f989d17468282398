/* moons.c - micrograd's demo notebook in C, line for line:
 *
 *     np.random.seed(1337); random.seed(1337)
 *     X, y = make_moons(n_samples=100, noise=0.1); y = y*2 - 1
 *     model = MLP(2, [16, 16, 1])
 *     for k in range(100):
 *         total_loss, acc = loss()              # hinge loss + 1e-4 * sum(p*p)
 *         model.zero_grad(); total_loss.backward()
 *         learning_rate = 1.0 - 0.9*k/100
 *         for p in model.parameters(): p.data -= learning_rate * p.grad
 *         print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")
 *
 * The data and the weights come from Mersenne Twisters seeded as numpy and Python seed
 * them, so this prints the notebook's lines (step 0 to the last bit, the rest to about
 * 1e-14: micrograd itself adds gradients in an order that depends on memory addresses).
 * Every step builds every point's graph, as micrograd does; `micrograd demo moons` prints
 * the same.
 *
 *   cc moons.c $(pkg-config --cflags --libs micrograd) -o moons && ./moons
 */
#include <micrograd.h>
#include <stdio.h>

#define N 100      /* points */
#define STEPS 100  /* steps of gradient descent on the whole set */

int main(void) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_err err;

    /* np.random.seed(1337); X, y = make_moons(n_samples=100, noise=0.1) */
    mg_rng numpy;
    mg_rng_seed_numpy(&numpy, 1337);
    mg_dataset *data = mg_dataset_moons(&numpy, N, 0.1, &err);
    /* random.seed(1337); model = MLP(2, [16, 16, 1]): relu, relu, linear */
    mg_rng python;
    mg_rng_seed_python(&python, 1337);
    const size_t sizes[3] = {16, 16, 1};
    mg_mlp *model = data ? mg_mlp_new(ctx, 2, 3, sizes, NULL, MG_INIT_UNIFORM, &python, &err) : NULL;
    if (!model) {
        fprintf(stderr, "moons: %s\n", err.msg);
        mg_dataset_free(data);
        mg_ctx_free(ctx);
        return 1;
    }

    mg_mark mark = mg_ctx_mark(ctx); /* each step's graph is built above this, then dropped */
    for (int k = 0; k < STEPS; k++) {
        /* loss(): every point through the model, the SVM max-margin loss per point */
        mg_value losses[N];
        int correct = 0;
        for (int i = 0; i < N; i++) {
            mg_value x[2] = {mg_input(ctx, data->x[2 * i]), mg_input(ctx, data->x[2 * i + 1])};
            mg_value score;
            mg_mlp_forward(ctx, model, x, &score);
            double yi = data->y[i] * 2 - 1; /* y = y*2 - 1 */
            losses[i] = mg_loss_hinge(ctx, score, mg_input(ctx, yi)); /* relu(1 - y*score) */
            correct += (yi > 0) == (mg_data(ctx, score) > 0);
        }
        mg_value data_loss = mg_loss_mean(ctx, N, losses); /* sum(losses) * (1.0 / N) */
        mg_value reg_loss = mg_loss_l2(ctx, model->nparams, model->params, 1e-4);
        mg_value total_loss = mg_add(ctx, data_loss, reg_loss);
        if (mg_ctx_status(ctx) != MG_STATUS_OK) break;
        double acc = (double)correct / N;

        /* model.zero_grad(); total_loss.backward() */
        mg_mlp_zero_grad(ctx, model);
        mg_backward(ctx, total_loss);

        /* SGD with the notebook's learning rate */
        double learning_rate = 1.0 - 0.9 * k / 100;
        double *p = mg_data_ptr(ctx, model->first);
        const double *g = mg_grad_ptr(ctx, model->first);
        for (size_t j = 0; j < model->nparams; j++) p[j] -= learning_rate * g[j];

        char loss_text[32], acc_text[32];
        printf("step %d loss %s, accuracy %s%%\n", k,
               mg_fmt_repr(mg_data(ctx, total_loss), loss_text, sizeof loss_text),
               mg_fmt_repr(acc * 100, acc_text, sizeof acc_text));
        mg_ctx_reset(ctx, mark);
    }
    int failed = mg_ctx_status(ctx) != MG_STATUS_OK;
    if (failed) fprintf(stderr, "moons: %s\n", mg_ctx_errmsg(ctx));
    mg_mlp_free(model);
    mg_dataset_free(data);
    mg_ctx_free(ctx);
    return failed;
}
