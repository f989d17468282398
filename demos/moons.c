/* moons.c - micrograd's demo notebook: make_moons(100, noise=0.1) with labels -1/+1, an
 * MLP(2, [16, 16, 1]) of relu neurons, the SVM max-margin loss plus 1e-4 L2, and SGD with
 * the learning rate falling linearly from 1.0 to 0.1 over 100 full-batch steps. */
#include "demo.h"

#include <stdio.h>

static const demo_spec spec = {
    "moons",
    "micrograd's demo: n points of two interleaving half circles with Gaussian noise,\n"
    "classified by MLP(2, [16, 16, 1]) (relu, relu, linear; weights uniform(-1, 1)) with\n"
    "the hinge loss relu(1 - y*score) averaged, plus 1e-4 * sum(p*p), and SGD with\n"
    "lr * (1 - 0.9*k/steps) at step k. Prints 'step k loss L, accuracy A%' (the loss\n"
    "before the step's update, L2 included; the accuracy of sign(score) on the batch).",
    DEMO_OPT_SEED | DEMO_OPT_STEPS | DEMO_OPT_LR | DEMO_OPT_N | DEMO_OPT_NOISE | DEMO_OPT_BATCH |
        DEMO_OPT_PICTURE | DEMO_OPT_OUT | DEMO_OPT_FORMULA | DEMO_OPT_PATH,
    {.seed = 1337, .steps = 100, .lr = 1.0, .n = 100, .noise = 0.1, .batch = 0},
    NULL,
};

static void print_step(demo_state *s, const mg_train_progress *p) {
    (void)s;
    char b1[32], b2[32];
    double pct = 100.0 * (double)p->batch_metrics.correct / (double)p->batch;
    printf("step %zu loss %s, accuracy %s%%\n", p->step, mg_fmt_repr(p->loss, b1, sizeof b1),
           mg_fmt_repr(pct, b2, sizeof b2));
}

int demo_moons(int argc, char **argv) {
    demo_opts o;
    demo_state s;
    int rc = demo_begin(&spec, argc, argv, &o, &s);
    if (rc >= 0) return rc;
    mg_err err;
    s.loss = MG_LOSS_KIND_HINGE;
    s.train = mg_dataset_moons(mg_ctx_rng(s.ctx), o.n, o.noise, &err);
    if (!s.train) goto fail;
    const size_t sizes[3] = {16, 16, 1};
    s.model = mg_mlp_new(s.ctx, 2, 3, sizes, NULL, MG_INIT_UNIFORM, NULL, &err);
    if (!s.model) goto fail;
    printf("moons: %zu points, noise %g; MLP(2, [16, 16, 1]), %zu parameters\n", o.n, o.noise,
           s.model->nparams);

    mg_train_config cfg;
    demo_train_config(&o, &s, MG_OPTIM_SGD, &cfg);
    cfg.l2 = 1e-4;
    cfg.optim.schedule = MG_LR_LINEAR;
    cfg.optim.decay = 0.9;
    mg_train_result res;
    if (demo_train(&s, &cfg, print_step, &res, &err)) goto fail;
    char b1[32], b2[32];
    printf("final: training accuracy %s%% (%zu of %zu), mean hinge loss %s\n",
           mg_fmt_repr(100.0 * (double)res.train.correct / (double)res.train.n, b1, sizeof b1),
           res.train.correct, res.train.n, mg_fmt_repr(res.train.loss, b2, sizeof b2));
    demo_state_sample_graph(&s, s.train, 0, 1);
    return demo_end(&spec, &o, &s);
fail:
    return demo_abort(&spec, &s, &err);
}
