/* f2c.c - seed 001's first model: a linear neuron w*f + b learns Celsius from Fahrenheit
 * on 1,000 points f = uniform(-1, 1), c = (f - 32) * 5/9, by mini-batch SGD on the mean
 * squared error. The data are exact, so SGD lands on w = 5/9 and b = -160/9 (the seed
 * printed 0.5555555555555556 and -17.777777777777782). */
#include "demo.h"

#include <math.h>
#include <stdio.h>

static const demo_spec spec = {
    "f2c",
    "Seed 001's linear regression: n points f = uniform(-1, 1), c = (f - 32) * 5/9; the\n"
    "model c = w*f + b (one linear neuron) trained by SGD on the mean squared error over\n"
    "shuffled mini-batches. Prints the loss after each epoch, then w, b (the answers are\n"
    "5/9 = 0.5556 and -160/9 = -17.7778) and the predictions at 32 F and 212 F.",
    DEMO_OPT_SEED | DEMO_OPT_EPOCHS | DEMO_OPT_LR | DEMO_OPT_N | DEMO_OPT_BATCH |
        DEMO_OPT_PICTURE | DEMO_OPT_OUT | DEMO_OPT_FORMULA | DEMO_OPT_PATH,
    {.seed = 42, .epochs = 30, .lr = 0.1, .n = 1000, .batch = 32},
    NULL,
};

/* The mean training loss of each epoch: the seed's total_loss / len(data). */
static void print_step(demo_state *s, const mg_train_progress *p) {
    double mean;
    char buf[32];
    if (demo_epoch_mean(s, p, &mean))
        printf("epoch %zu loss %s\n", p->epoch, mg_fmt_repr(mean, buf, sizeof buf));
}

/* Rounds values a hair from 0 to 0, so "%.4f" never shows "-0.0000". */
static double tidy(double x) {
    return fabs(x) < 5e-5 ? 0.0 : x;
}

/* n points f = uniform(-1, 1), c = (f - 32) * 5/9: the seed's data. */
static mg_dataset *f2c_data(mg_rng *rng, size_t n, mg_err *err) {
    mg_dataset *d = mg_dataset_new(n, 1, 0, err);
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++) {
        double f = mg_rng_uniform(rng, -1.0, 1.0);
        d->x[i] = f;
        d->y[i] = (f - 32.0) * 5.0 / 9.0;
    }
    return d;
}

int demo_f2c(int argc, char **argv) {
    demo_opts o;
    demo_state s;
    int rc = demo_begin(&spec, argc, argv, &o, &s);
    if (rc >= 0) return rc;
    mg_err err;
    s.loss = MG_LOSS_KIND_MSE;
    s.train = f2c_data(mg_ctx_rng(s.ctx), o.n, &err);
    if (!s.train) goto fail;
    const size_t sizes[1] = {1};
    const mg_act acts[1] = {MG_ACT_LINEAR};
    s.model = mg_mlp_new(s.ctx, 1, 1, sizes, acts, MG_INIT_UNIFORM, NULL, &err);
    if (!s.model) goto fail;
    printf("f2c: %zu points, c = (f - 32) * 5/9 for f in [-1, 1); c = w*f + b, SGD lr %g, "
           "batches of %zu\n", o.n, o.lr, o.batch);

    mg_train_config cfg;
    demo_train_config(&o, &s, MG_OPTIM_SGD, &cfg);
    mg_train_result res;
    if (demo_train(&s, &cfg, print_step, &res, &err)) goto fail;

    double w = mg_data(s.ctx, s.model->params[0]), b = mg_data(s.ctx, s.model->params[1]);
    double c32, c212, f32 = 32.0, f212 = 212.0;
    if (mg_mlp_predict(s.ctx, s.model, &f32, &c32, &err) ||
        mg_mlp_predict(s.ctx, s.model, &f212, &c212, &err))
        goto fail;
    char b1[32], b2[32];
    printf("weight %.4f (5/9 = %.4f), bias %.4f (-160/9 = %.4f)\n", w, 5.0 / 9.0, b, -160.0 / 9.0);
    printf("exactly: weight %s, bias %s; RMSE %.3g\n", mg_fmt_repr(w, b1, 32), mg_fmt_repr(b, b2, 32),
           res.train.rmse);
    printf("32 F is %.4f C; 212 F is %.4f C\n", tidy(c32), tidy(c212));
    demo_state_sample_graph(&s, s.train, 0, 1);
    return demo_end(&spec, &o, &s);
fail:
    return demo_abort(&spec, &s, &err);
}
