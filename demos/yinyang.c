/* yinyang.c - the reference run of micrograd's follow-up (shared/reference/yinyang.md),
 * reproduced line for line: yin-yang data then an MLP 2-8-3 from one generator seeded 42,
 * softmax cross-entropy without max subtraction, AdamW (lr 0.1, betas 0.9/0.95, weight
 * decay 1e-4), 100 full-batch steps, the validation loss every 10 steps. stdout carries
 * the reference's lines and nothing else, so the two can be compared line by line. */
#include "demo.h"

#include <stdio.h>

static const demo_spec spec = {
    "yinyang",
    "The reference run of micrograd's 2024 follow-up: 100 yin-yang points (80 train, 10\n"
    "validation, 10 test), MLP 2 -> 8 (tanh) -> 3 with weights uniform(-1, 1)/sqrt(nin),\n"
    "cross-entropy from exp/sum/log, AdamW (lr 0.1, betas 0.9 and 0.95, eps 1e-8, weight\n"
    "decay 1e-4). Prints 'step i/N, val loss V' every 10 steps and 'step i/N, train loss L'\n"
    "every step, L exact (Python's repr); with the defaults every number equals the\n"
    "reference's. --graph draws the loss graph of the point (0, 0) of class 0, as the\n"
    "reference does at the end.",
    DEMO_OPT_SEED | DEMO_OPT_STEPS | DEMO_OPT_LR | DEMO_OPT_PICTURE | DEMO_OPT_OUT | DEMO_OPT_FORMULA |
        DEMO_OPT_PATH,
    {.seed = 42, .steps = 100, .lr = 0.1},
    NULL,
};

static void print_step(demo_state *s, const mg_train_progress *p) {
    (void)s;
    char buf[32];
    if (p->has_val) printf("step %zu/%zu, val loss %.6f\n", p->step + 1, p->nsteps, p->val.loss);
    printf("step %zu/%zu, train loss %s\n", p->step + 1, p->nsteps,
           mg_fmt_repr(p->loss, buf, sizeof buf));
}

int demo_yinyang(int argc, char **argv) {
    demo_opts o;
    demo_state s;
    int rc = demo_begin(&spec, argc, argv, &o, &s);
    if (rc >= 0) return rc;
    mg_err err;
    mg_dataset *all = mg_dataset_yinyang(mg_ctx_rng(s.ctx), 100, 0.1, 0.5, &err);
    if (!all || mg_dataset_split(all, 80, 10, &s.train, &s.val, &s.test, &err)) {
        mg_dataset_free(all);
        goto fail;
    }
    mg_dataset_free(all);
    s.loss = MG_LOSS_KIND_CE;
    const size_t sizes[2] = {8, 3};
    const mg_act acts[2] = {MG_ACT_TANH, MG_ACT_LINEAR};
    s.model = mg_mlp_new(s.ctx, 2, 2, sizes, acts, MG_INIT_SCALED, NULL, &err);
    if (!s.model) goto fail;

    mg_train_config cfg;
    demo_train_config(&o, &s, MG_OPTIM_ADAMW, &cfg);
    cfg.subtract_max = 0;
    cfg.optim.beta1 = 0.9;
    cfg.optim.beta2 = 0.95;
    cfg.optim.eps = 1e-8;
    cfg.optim.weight_decay = 1e-4;
    cfg.eval_every = 10;
    if (demo_train(&s, &cfg, print_step, NULL, &err)) goto fail;

    /* The reference's last act: the point (0, 0), class 0, through the net and the loss. */
    mg_dataset *origin = mg_dataset_new(1, 2, 3, &err);
    if (!origin) goto fail;
    demo_state_sample_graph(&s, origin, 0, 0);
    mg_dataset_free(origin);
    return demo_end(&spec, &o, &s);
fail:
    return demo_abort(&spec, &s, &err);
}
