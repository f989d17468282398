/* above_line.c - seed 001's second model: is (x, y) above the line y = x? The seed's
 * network sigmoid(w * relu(w1*x + w2*y + b1) + b2) is an MLP(2, [1, 1]) with a relu
 * hidden neuron and a linear output read through a sigmoid; it is trained on the logit
 * with binary cross-entropy (the same loss as BCE on the sigmoid, without its overflow). */
#include "demo.h"

#include <math.h>
#include <stdio.h>

static const demo_spec spec = {
    "above-line",
    "Seed 001's classifier: n points uniform in [-1, 1)^2, class 1 when y > x; the model\n"
    "sigmoid(w * relu(w1*x + w2*y + b1) + b2), trained by SGD on binary cross-entropy\n"
    "over shuffled mini-batches. Reports the accuracy on the training points and on n\n"
    "fresh ones, and the probabilities of the seed's probes (1,0), (0,1), (0,1000),\n"
    "(-5,3) and (0,0). With one hidden unit the net is fragile: on some seeds the relu\n"
    "unit ends up 0 on every point (a 'dead relu', whose gradient is 0, so training\n"
    "cannot revive it) and the accuracy stays near 50%; the demo says so when it happens.",
    DEMO_OPT_SEED | DEMO_OPT_EPOCHS | DEMO_OPT_LR | DEMO_OPT_N | DEMO_OPT_BATCH |
        DEMO_OPT_PICTURE | DEMO_OPT_OUT | DEMO_OPT_FORMULA | DEMO_OPT_PATH,
    {.seed = 1, .epochs = 100, .lr = 0.1, .n = 1000, .batch = 32},
    NULL,
};

/* n points uniform in [-1, 1)^2 (x then y), class y > x: the seed's generate_binary_data. */
static mg_dataset *above_line_data(mg_rng *rng, size_t n, mg_err *err) {
    mg_dataset *d = mg_dataset_new(n, 2, 2, err);
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++) {
        double x = mg_rng_uniform(rng, -1.0, 1.0), y = mg_rng_uniform(rng, -1.0, 1.0);
        d->x[2 * i] = x;
        d->x[2 * i + 1] = y;
        d->y[i] = y > x;
    }
    return d;
}

/* The mean training loss of every tenth epoch. */
static void print_step(demo_state *s, const mg_train_progress *p) {
    double mean;
    if (demo_epoch_mean(s, p, &mean) && ((p->epoch + 1) % 10 == 0 || p->step + 1 == p->nsteps))
        printf("epoch %zu loss %.6f\n", p->epoch, mean);
}

/* The sigmoid of the model's logit, computed without overflow. */
static double probability(double z) {
    return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

/* The trained model, its accuracy on the training points and on fresh ones (s->test), a
 * dead relu if there is one, and the probabilities of the seed's probes. */
static mg_status report(demo_state *s, const mg_train_result *res, const mg_metrics *fresh,
                        mg_err *err) {
    const double *p = mg_data_ptr(s->ctx, s->model->first);
    printf("model: sigmoid(%.4f * relu(%.4f*x + %.4f*y + %.4f) + %.4f)\n", p[3], p[0], p[1], p[2],
           p[4]);
    printf("training accuracy %.1f%% (%zu of %zu), loss %.4f\n",
           100.0 * (double)res->train.correct / (double)res->train.n, res->train.correct,
           res->train.n, res->train.loss);
    printf("fresh points: accuracy %.1f%% (%zu of %zu), loss %.4f\n",
           100.0 * (double)fresh->correct / (double)fresh->n, fresh->correct, fresh->n,
           fresh->loss);
    size_t alive = 0;
    for (size_t i = 0; i < s->train->n; i++)
        alive += p[0] * s->train->x[2 * i] + p[1] * s->train->x[2 * i + 1] + p[2] > 0.0;
    if (alive == 0)
        printf("note: the relu unit is 0 on every training point (a dead relu: its gradient is\n"
               "0, so training cannot revive it); try another --seed\n");
    static const double probes[5][2] = {{1, 0}, {0, 1}, {0, 1000}, {-5, 3}, {0, 0}};
    static const char *const seed_said[5] = {"3.7310797619230176e-66", "0.9997781079343139",
                                             "0.9997781079343139", "0.9997781079343139",
                                             "0.23791579184662365"};
    for (int i = 0; i < 5; i++) {
        double z;
        mg_status st = mg_mlp_predict(s->ctx, s->model, probes[i], &z, err);
        if (st) return st;
        printf("P(above) at (%g, %g) = %.6g  (seed 001: %s)\n", probes[i][0], probes[i][1],
               probability(z), seed_said[i]);
    }
    return MG_STATUS_OK;
}

int demo_above_line(int argc, char **argv) {
    demo_opts o;
    demo_state s;
    int rc = demo_begin(&spec, argc, argv, &o, &s);
    if (rc >= 0) return rc;
    mg_err err;
    s.loss = MG_LOSS_KIND_BCE;
    s.train = above_line_data(mg_ctx_rng(s.ctx), o.n, &err);
    if (!s.train) goto fail;
    const size_t sizes[2] = {1, 1};
    const mg_act acts[2] = {MG_ACT_RELU, MG_ACT_LINEAR};
    s.model = mg_mlp_new(s.ctx, 2, 2, sizes, acts, MG_INIT_UNIFORM, NULL, &err);
    if (!s.model) goto fail;
    printf("above-line: %zu points, class y > x; SGD lr %g, %zu epochs of batches of %zu\n", o.n,
           o.lr, o.epochs, o.batch);

    mg_train_config cfg;
    demo_train_config(&o, &s, MG_OPTIM_SGD, &cfg);
    mg_train_result res;
    if (demo_train(&s, &cfg, print_step, &res, &err)) goto fail;
    s.test = above_line_data(mg_ctx_rng(s.ctx), o.n, &err);
    mg_metrics fresh;
    if (!s.test || mg_evaluate(s.ctx, s.model, s.test, MG_LOSS_KIND_BCE, 1, &fresh, &err))
        goto fail;
    if (report(&s, &res, &fresh, &err)) goto fail;
    demo_state_sample_graph(&s, s.train, 0, 1);
    return demo_end(&spec, &o, &s);
fail:
    return demo_abort(&spec, &s, &err);
}
