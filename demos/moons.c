/* moons.c - micrograd's demo notebook, number for number: the data of scikit-learn's
 * make_moons(100, noise=0.1) after np.random.seed(1337), the weights of micrograd's
 * MLP(2, [16, 16, 1]) after random.seed(1337) (both Mersenne Twisters seeded as Python
 * and numpy seed them), the SVM max-margin loss plus 1e-4 L2, SGD with the learning rate
 * 1.0 - 0.9*k/100, every point's graph built at every step as micrograd builds it, and
 * the notebook's lines printed as Python prints them. */
#include "demo.h"

#include <stdio.h>

static const demo_spec spec = {
    "moons",
    "micrograd's demo notebook: np.random.seed(S); random.seed(S); X, y =\n"
    "make_moons(n, noise); MLP(2, [16, 16, 1]) (relu, relu, linear; weights\n"
    "random.uniform(-1, 1), biases 0); loss mean(relu(1 - y*score)) + 1e-4 * sum(p*p); SGD\n"
    "with lr * (1 - 0.9*k/steps) at step k. Prints 'step k loss L, accuracy A%' as the\n"
    "notebook does (the loss before the step's update; A = correct / n * 100 as Python\n"
    "computes it). With the defaults it prints the notebook's 100 lines. The data and\n"
    "weights come from the Mersenne Twister seeded as numpy and Python seed it; `micrograd\n"
    "train --data moons` trains on the project's own xorshift draws instead.",
    DEMO_OPT_SEED | DEMO_OPT_STEPS | DEMO_OPT_LR | DEMO_OPT_N | DEMO_OPT_NOISE | DEMO_OPT_BATCH |
        DEMO_OPT_PICTURE | DEMO_OPT_OUT | DEMO_OPT_FORMULA | DEMO_OPT_COMPILED | DEMO_OPT_THREADS,
    {.seed = 1337, .steps = 100, .lr = 1.0, .n = 100, .noise = 0.1, .batch = 0, .eager = 1},
    NULL,
};

static void print_step(demo_state *s, const mg_train_progress *p) {
    (void)s;
    char b1[32], b2[32];
    /* micrograd: accuracy = sum(right) / len(right); prints acc*100 */
    double acc = (double)p->batch_metrics.correct / (double)p->batch;
    printf("step %zu loss %s, accuracy %s%%\n", p->step, mg_fmt_repr(p->loss, b1, sizeof b1),
           mg_fmt_repr(acc * 100.0, b2, sizeof b2));
}

int demo_moons(int argc, char **argv) {
    demo_opts o;
    demo_state s;
    int rc = demo_begin(&spec, argc, argv, &o, &s);
    if (rc >= 0) return rc;
    mg_err err;
    mg_rng numpy, python;
    mg_rng_seed_numpy(&numpy, (uint32_t)o.seed);    /* np.random.seed(S): the data */
    mg_rng_seed_python(&python, o.seed);            /* random.seed(S): the weights */
    s.loss = MG_LOSS_KIND_HINGE;                     /* classes 0/1 as y = -1/+1 */
    s.train = mg_dataset_moons(&numpy, o.n, o.noise, &err);
    if (!s.train) goto fail;
    const size_t sizes[3] = {16, 16, 1};
    s.model = mg_mlp_new(s.ctx, 2, 3, sizes, NULL, MG_INIT_UNIFORM, &python, &err);
    if (!s.model) goto fail;

    mg_train_config cfg;
    demo_train_config(&o, &s, MG_OPTIM_SGD, &cfg);
    cfg.l2 = 1e-4;
    cfg.optim.schedule = MG_LR_LINEAR;
    cfg.optim.decay = 0.9;
    mg_train_result res;
    if (demo_train(&s, &cfg, print_step, &res, &err)) goto fail;
    demo_state_sample_graph(&s, s.train, 0, 1);
    return demo_end(&spec, &o, &s);
fail:
    return demo_abort(&spec, &s, &err);
}
