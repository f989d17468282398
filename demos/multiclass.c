/* multiclass.c - softmax cross-entropy over K classes with AdamW: interleaved spiral arms
 * (the cs231n set) or Gaussian blobs, 80% to train and 20% to validate. */
#include "demo.h"

#include "app.h"

#include <stdio.h>
#include <string.h>

static const char *const data_names[] = {"spiral", "blobs", NULL};

static const demo_spec spec = {
    "multiclass",
    "Softmax cross-entropy (with the largest logit subtracted) on K classes of 2-D points:\n"
    "'spiral' (K arms, angle noise --noise) or 'blobs' (K Gaussian blobs of standard\n"
    "deviation 5 * --noise around centres uniform in [-10, 10)^2). The points are shuffled,\n"
    "80% train an MLP(2, [16, 16, K]) (relu, relu, linear; weights uniform(-1, 1)/sqrt(nin))\n"
    "with AdamW (betas 0.9, 0.999, weight decay 1e-4) and 20% validate. Prints the training\n"
    "loss and accuracy and the validation ones every 10 steps.",
    DEMO_OPT_SEED | DEMO_OPT_STEPS | DEMO_OPT_LR | DEMO_OPT_N | DEMO_OPT_NOISE | DEMO_OPT_BATCH |
        DEMO_OPT_DATA | DEMO_OPT_CLASSES | DEMO_OPT_PICTURE | DEMO_OPT_OUT | DEMO_OPT_FORMULA |
        DEMO_OPT_PATH,
    {.seed = 42, .steps = 300, .lr = 0.02, .n = 300, .noise = 0.2, .batch = 0, .data = "spiral",
     .classes = 3},
    data_names,
};

static void print_step(demo_state *s, const mg_train_progress *p) {
    (void)s;
    if (p->has_val)
        printf("step %zu loss %.4f, accuracy %.1f%%, val loss %.4f, val accuracy %.1f%%\n",
               p->step, p->loss, 100.0 * (double)p->batch_metrics.correct / (double)p->batch,
               p->val.loss, 100.0 * (double)p->val.correct / (double)p->val.n);
}

/* o's dataset split 80% / 20% into s->train and s->val. */
static mg_status multiclass_data(const demo_opts *o, demo_state *s, mg_err *err) {
    mg_rng *rng = mg_ctx_rng(s->ctx);
    mg_dataset *all = !strcmp(o->data, "blobs")
                          ? mg_dataset_blobs(rng, o->n, o->classes, 2, 5.0 * o->noise, err)
                          : mg_dataset_spiral(rng, o->n, o->classes, o->noise, err);
    if (!all) return err->status;
    size_t ntrain = o->n - o->n / 5;
    mg_status st = mg_dataset_split(all, ntrain, o->n - ntrain, &s->train, &s->val, NULL, err);
    mg_dataset_free(all);
    return st;
}

int demo_multiclass(int argc, char **argv) {
    demo_opts o;
    demo_state s;
    int rc = demo_begin(&spec, argc, argv, &o, &s);
    if (rc >= 0) return rc;
    mg_err err;
    if (o.n < 4 * o.classes) {
        demo_state_free(&s);
        return app_usage_error("demo multiclass", "--n must be at least 4 * --classes (%zu)",
                               4 * o.classes);
    }
    s.loss = MG_LOSS_KIND_CE;
    if (multiclass_data(&o, &s, &err)) goto fail;
    const size_t sizes[3] = {16, 16, o.classes};
    s.model = mg_mlp_new(s.ctx, 2, 3, sizes, NULL, MG_INIT_SCALED, NULL, &err);
    if (!s.model) goto fail;
    printf("multiclass: %s, %zu classes, %zu points (%zu train, %zu validation); "
           "MLP(2, [16, 16, %zu]), %zu parameters; AdamW lr %g\n",
           o.data, o.classes, o.n, s.train->n, s.val->n, o.classes, s.model->nparams, o.lr);

    mg_train_config cfg;
    demo_train_config(&o, &s, MG_OPTIM_ADAMW, &cfg);
    cfg.subtract_max = 1;
    cfg.optim.weight_decay = 1e-4;
    cfg.eval_every = 10;
    mg_train_result res;
    if (demo_train(&s, &cfg, print_step, &res, &err)) goto fail;
    printf("final: train loss %.4f, accuracy %.1f%% (%zu of %zu); val loss %.4f, accuracy "
           "%.1f%% (%zu of %zu)\n",
           res.train.loss, 100.0 * (double)res.train.correct / (double)res.train.n,
           res.train.correct, res.train.n, res.val.loss,
           100.0 * (double)res.val.correct / (double)res.val.n, res.val.correct, res.val.n);
    demo_state_sample_graph(&s, s.train, 0, 1);
    return demo_end(&spec, &o, &s);
fail:
    return demo_abort(&spec, &s, &err);
}
