/* test_train_paths.c - mg_train's two paths: the compiled replay (the default) and the
 * eager graphs micrograd builds. From the same weights and data they must take the same
 * steps: every step's loss and the final weights agree to rounding, for every loss, with
 * and without L2, full batch and mini-batches, and the compiled path gives bit-identical
 * results whatever the number of threads, in float64 and in float32, which trains as
 * float64 does to the same accuracy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"
#include "support/testutil.h"

enum { MAXSTEPS = 64 };

/* One training run: a model and data made from a seed, trained by cfg. */
typedef struct run {
    mg_ctx *ctx;
    mg_mlp *m;
    mg_dataset *d, *val;
    double losses[MAXSTEPS];
    size_t nlosses;
    mg_train_result res;
} run;

static int record(void *user, const mg_train_progress *p) {
    run *r = user;
    if (r->nlosses < MAXSTEPS) r->losses[r->nlosses++] = p->loss;
    return 0;
}

typedef enum { D_MOONS, D_SPIRAL, D_REGRESSION } data_kind;

/* y = sin(x0) + x1^2 / 2 at 60 points of the moons: a smooth regression target. */
static mg_dataset *regression(mg_rng *rng) {
    mg_dataset *moons = mg_dataset_moons(rng, 60, 0.1, NULL), *d = mg_dataset_new(60, 2, 0, NULL);
    assert_non_null(moons);
    assert_non_null(d);
    memcpy(d->x, moons->x, 120 * sizeof *d->x);
    for (size_t i = 0; i < d->n; i++) d->y[i] = sin(d->x[2 * i]) + 0.5 * d->x[2 * i + 1] * d->x[2 * i + 1];
    mg_dataset_free(moons);
    return d;
}

/* 1: the runs' generator is a Mersenne Twister (random.seed(7)) instead of xorshift*. */
static int seed_mt;

static void seed7(mg_rng *rng) {
    if (seed_mt)
        mg_rng_seed_python(rng, 7);
    else
        mg_rng_seed(rng, 7);
}

static void run_train(run *r, data_kind data, const size_t *sizes, size_t nlayers, mg_act act,
                      const mg_train_config *cfg0, int eager, int threads) {
    memset(r, 0, sizeof *r);
    r->ctx = mg_ctx_new();
    assert_non_null(r->ctx);
    mg_rng *rng = mg_ctx_rng(r->ctx);
    seed7(rng);
    switch (data) {
    case D_MOONS: r->d = mg_dataset_moons(rng, 100, 0.1, NULL); break;
    case D_SPIRAL: r->d = mg_dataset_spiral(rng, 90, 3, 0.2, NULL); break;
    case D_REGRESSION: r->d = regression(rng); break;
    }
    assert_non_null(r->d);
    mg_act acts[4] = {act, act, act, act};
    acts[nlayers - 1] = MG_ACT_LINEAR;
    mg_err err;
    r->m = mg_mlp_new(r->ctx, 2, nlayers, sizes, acts, MG_INIT_SCALED, rng, &err);
    assert_non_null(r->m);
    mg_train_config cfg = *cfg0;
    cfg.eager = eager;
    cfg.threads = threads;
    cfg.callback = record;
    cfg.user = r;
    if (mg_train(r->ctx, r->m, r->d, r->d, &cfg, &r->res, &err)) fail_msg("%s", err.msg);
}

static void run_free(run *r) {
    mg_mlp_free(r->m);
    mg_dataset_free(r->d);
    mg_ctx_free(r->ctx);
}

/* The largest difference between the runs' weights, relative to the largest weight. */
static double weight_diff(const run *a, const run *b) {
    const double *p = mg_data_ptr(a->ctx, a->m->first), *q = mg_data_ptr(b->ctx, b->m->first);
    double diff = 0.0, size = 0.0;
    for (size_t i = 0; i < a->m->nparams; i++) {
        diff = fmax(diff, fabs(p[i] - q[i]));
        size = fmax(size, fabs(q[i]));
    }
    return diff / size;
}

/* Trains eager and compiled and compares them step by step. */
static void compare(data_kind data, const size_t *sizes, size_t nlayers, mg_act act,
                    const mg_train_config *cfg) {
    run e, c;
    run_train(&e, data, sizes, nlayers, act, cfg, 1, 1);
    run_train(&c, data, sizes, nlayers, act, cfg, 0, 1);
    assert_int_equal(e.nlosses, c.nlosses);
    assert_true(e.nlosses >= 10);
    for (size_t k = 0; k < e.nlosses; k++) ASSERT_REL(c.losses[k], e.losses[k], 1e-9);
    double w = weight_diff(&c, &e);
    if (!(w <= 1e-9)) fail_msg("weights differ by %g after %zu steps", w, e.nlosses);
    ASSERT_REL(c.res.train.loss, e.res.train.loss, 1e-9);
    ASSERT_REL(c.res.val.loss, e.res.val.loss, 1e-9);
    assert_int_equal(c.res.train.correct, e.res.train.correct);
    if (cfg->loss == MG_LOSS_KIND_MSE) ASSERT_REL(c.res.train.rmse, e.res.train.rmse, 1e-9);
    /* training did something: the last loss is below the first */
    assert_true(e.losses[e.nlosses - 1] < e.losses[0]);
    run_free(&e);
    run_free(&c);
}

/* micrograd's demo: hinge + L2, SGD with its linear decay, the full batch. */
static void test_hinge_l2_sgd(void **state) {
    (void)state;
    const size_t sizes[3] = {16, 16, 1};
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_HINGE;
    cfg.l2 = 1e-4;
    cfg.optim.lr = 1.0;
    cfg.optim.schedule = MG_LR_LINEAR;
    cfg.steps = 20;
    compare(D_MOONS, sizes, 3, MG_ACT_RELU, &cfg);
}

/* Softmax cross-entropy, AdamW, shuffled mini-batches of 16 with a short last one. */
static void test_ce_adamw_minibatch(void **state) {
    (void)state;
    const size_t sizes[3] = {12, 12, 3};
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_CE;
    mg_optim_config_init(&cfg.optim, MG_OPTIM_ADAMW);
    cfg.optim.lr = 0.01;
    cfg.batch_size = 16;
    cfg.epochs = 3;
    compare(D_SPIRAL, sizes, 3, MG_ACT_TANH, &cfg);
}

static void test_bce_momentum(void **state) {
    (void)state;
    const size_t sizes[2] = {8, 1};
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_BCE;
    mg_optim_config_init(&cfg.optim, MG_OPTIM_MOMENTUM);
    cfg.optim.lr = 0.1;
    cfg.batch_size = 25;
    cfg.steps = 24;
    cfg.l2 = 1e-3;
    compare(D_MOONS, sizes, 2, MG_ACT_SIGMOID, &cfg);
}

static void test_mse_regression(void **state) {
    (void)state;
    const size_t sizes[2] = {10, 1};
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_MSE;
    cfg.optim.lr = 0.05;
    cfg.steps = 30;
    compare(D_REGRESSION, sizes, 2, MG_ACT_TANH, &cfg);
}

/* The compiled path's results do not depend on the number of threads, bit for bit (a
 * batch of 200 is cut into chunks by its size alone). */
static void test_threads_bit_identical(void **state) {
    (void)state;
    const size_t sizes[3] = {16, 16, 3};
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_CE;
    mg_optim_config_init(&cfg.optim, MG_OPTIM_ADAMW);
    cfg.optim.lr = 0.01;
    cfg.steps = 12;
    run a, b;
    run_train(&a, D_SPIRAL, sizes, 3, MG_ACT_RELU, &cfg, 0, 1);
    run_train(&b, D_SPIRAL, sizes, 3, MG_ACT_RELU, &cfg, 0, 2);
    assert_int_equal(a.nlosses, b.nlosses);
    assert_memory_equal(a.losses, b.losses, a.nlosses * sizeof *a.losses);
    assert_memory_equal(mg_data_ptr(a.ctx, a.m->first), mg_data_ptr(b.ctx, b.m->first),
                        a.m->nparams * sizeof(double));
    run_free(&a);
    run_free(&b);
    /* float32 lanes: their own bits, the same for any thread count */
    cfg.dtype = MG_DTYPE_F32;
    run_train(&a, D_SPIRAL, sizes, 3, MG_ACT_RELU, &cfg, 0, 1);
    run_train(&b, D_SPIRAL, sizes, 3, MG_ACT_RELU, &cfg, 0, 3);
    assert_int_equal(a.nlosses, b.nlosses);
    assert_memory_equal(a.losses, b.losses, a.nlosses * sizeof *a.losses);
    assert_memory_equal(mg_data_ptr(a.ctx, a.m->first), mg_data_ptr(b.ctx, b.m->first),
                        a.m->nparams * sizeof(double));
    run_free(&a);
    run_free(&b);
}

/* Trains MLP(nin, sizes) on train in float64 and float32 (each mode from the same weights
 * and batches) and returns the test accuracies; the losses of every step agree within
 * loss_tol relative. */
static void both_dtypes(mg_dataset *train, mg_dataset *test, size_t nl, const size_t *sizes,
                        size_t epochs, double loss_tol, double acc[2]) {
    double curve[2][MAXSTEPS];
    size_t nsteps[2];
    for (int f32 = 0; f32 <= 1; f32++) {
        run r = {0};
        r.ctx = mg_ctx_new();
        mg_rng_seed(mg_ctx_rng(r.ctx), 5);
        mg_err err;
        mg_mlp *m = mg_mlp_new(r.ctx, train->nfeat, nl, sizes, NULL, MG_INIT_SCALED, NULL, &err);
        if (!m) fail_msg("%s", err.msg);
        mg_train_config cfg;
        mg_train_config_init(&cfg);
        cfg.loss = MG_LOSS_KIND_CE;
        mg_optim_config_init(&cfg.optim, MG_OPTIM_ADAMW);
        cfg.batch_size = 64;
        cfg.epochs = epochs;
        cfg.dtype = f32 ? MG_DTYPE_F32 : MG_DTYPE_F64;
        cfg.callback = record;
        cfg.user = &r;
        mg_train_result res;
        if (mg_train(r.ctx, m, train, test, &cfg, &res, &err)) fail_msg("%s", err.msg);
        acc[f32] = res.val.accuracy;
        nsteps[f32] = r.nlosses;
        memcpy(curve[f32], r.losses, r.nlosses * sizeof *r.losses);
        mg_mlp_free(m);
        mg_ctx_free(r.ctx);
    }
    assert_int_equal(nsteps[0], nsteps[1]);
    double worst = 0;
    for (size_t k = 0; k < nsteps[0]; k++) worst = fmax(worst, fabs(curve[1][k] - curve[0][k]) / curve[0][k]);
    print_message("float64 / float32: test accuracy %.2f%% / %.2f%%; the %zu steps' losses within %.2g "
                  "relative\n", 100 * acc[0], 100 * acc[1], nsteps[0], worst);
    if (!(worst <= loss_tol)) fail_msg("the float32 run's losses are %g from float64's", worst);
}

/* A real run in both modes: float32 trains as float64 does, to the same test accuracy
 * within a point. Blobs in 32 dimensions (spread so wide they overlap: about 90%), and
 * Fashion-MNIST's first 2,000 training and 1,000 test images when installed. */
static void test_float32_training(void **state) {
    (void)state;
    mg_rng rng;
    mg_rng_seed(&rng, 21);
    mg_dataset *all = mg_dataset_blobs(&rng, 1500, 10, 32, 7.0, NULL), *train, *test;
    assert_non_null(all);
    assert_int_equal(mg_dataset_split(all, 1000, 500, &train, &test, NULL, NULL), MG_STATUS_OK);
    const size_t sizes[3] = {64, 32, 10};
    double acc[2];
    both_dtypes(train, test, 3, sizes, 3, 1e-4, acc);
    assert_true(acc[0] > 0.7 && fabs(acc[1] - acc[0]) <= 0.01);
    mg_dataset_free(all);
    mg_dataset_free(train);
    mg_dataset_free(test);
    if (tu_fashion_mnist_missing()) return;
    mg_err err;
    if (mg_dataset_fashion_mnist(NULL, 2000, 1000, &train, &test, &err)) fail_msg("%s", err.msg);
    const size_t fsizes[2] = {64, 10};
    both_dtypes(train, test, 2, fsizes, 1, 1e-4, acc);
    assert_true(acc[0] > 0.6 && fabs(acc[1] - acc[0]) <= 0.01);
    mg_dataset_free(train);
    mg_dataset_free(test);
}

/* A step whose loss is not finite stops training on both paths with the eager message,
 * which names the value that first went wrong, and leaves the weights of the last good
 * step. */
static void test_nonfinite_same_message(void **state) {
    (void)state;
    const size_t sizes[2] = {4, 1};
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_MSE;
    mg_optim_config_init(&cfg.optim, MG_OPTIM_SGD);
    cfg.optim.lr = 1e3; /* plain SGD at this rate diverges within a few steps */
    cfg.steps = 200;
    char msgs[2][sizeof(mg_err){0}.msg];
    size_t steps[2];
    for (int eager = 0; eager < 2; eager++) {
        mg_ctx *ctx = mg_ctx_new();
        mg_rng_seed(mg_ctx_rng(ctx), 3);
        mg_dataset *d = regression(mg_ctx_rng(ctx));
        mg_mlp *m = mg_mlp_new(ctx, 2, 2, sizes, NULL, MG_INIT_SCALED, mg_ctx_rng(ctx), NULL);
        cfg.eager = eager;
        mg_train_result res;
        mg_err err;
        assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, &err), MG_STATUS_NUMERIC);
        const double *p = mg_data_ptr(ctx, m->first);
        for (size_t i = 0; i < m->nparams; i++) assert_true(isfinite(p[i]));
        snprintf(msgs[eager], sizeof msgs[eager], "%s", err.msg);
        steps[eager] = res.steps;
        mg_mlp_free(m);
        mg_dataset_free(d);
        mg_ctx_free(ctx);
    }
    /* the same message but for the tape position (#N): the compiled path names the value
     * on one sample's graph, the eager one on the batch's */
    assert_int_equal(steps[0], steps[1]);
    for (int k = 0; k < 2; k++) {
        char *hash = strchr(msgs[k], '#');
        assert_non_null(hash);
        size_t digits = strspn(hash + 1, "0123456789");
        memmove(hash + 1, hash + 1 + digits, strlen(hash + 1 + digits) + 1);
    }
    assert_string_equal(msgs[0], msgs[1]);
    assert_non_null(strstr(msgs[0], "not finite"));
}

/* --check-numerics: the eager path with every value checked as it is made stops at the
 * first op whose result is not finite, names it, keeps finite weights, and leaves the
 * context usable. */
static void test_check_numerics(void **state) {
    (void)state;
    const size_t sizes[2] = {4, 1};
    mg_ctx *ctx = mg_ctx_new();
    mg_rng_seed(mg_ctx_rng(ctx), 3);
    mg_dataset *d = regression(mg_ctx_rng(ctx));
    mg_mlp *m = mg_mlp_new(ctx, 2, 2, sizes, NULL, MG_INIT_SCALED, mg_ctx_rng(ctx), NULL);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_MSE;
    cfg.optim.lr = 1e3;
    cfg.steps = 200;
    cfg.check_numerics = 1;
    mg_train_result res;
    mg_err err;
    size_t before = mg_ctx_size(ctx);
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, &err), MG_STATUS_NUMERIC);
    assert_true(res.steps >= 1 && res.steps < 200);
    char want[64];
    snprintf(want, sizeof want, "step %zu", res.steps);
    if (!strstr(err.msg, want) || !strstr(err.msg, "not finite: #"))
        fail_msg("unexpected message: %s", err.msg);
    const double *p = mg_data_ptr(ctx, m->first);
    for (size_t i = 0; i < m->nparams; i++) assert_true(isfinite(p[i]));
    assert_int_equal(mg_ctx_size(ctx), before);
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK);
    mg_value v = mg_log(ctx, mg_leaf(ctx, 0.0)); /* not checked any more: -inf */
    assert_true(mg_ok(v) && isinf(mg_data(ctx, v)));
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
}

/* Checkpoints: a run stopped after step k, saved with its training state and resumed
 * from the file in a new context takes exactly the steps of a run that never stopped,
 * on both paths, mid-epoch and at an epoch's end. */
typedef struct stopper {
    size_t at;
    const char *path;
    mg_ctx *ctx;
    mg_mlp *m;
    int saved;
} stopper;

static int stop_and_save(void *user, const mg_train_progress *p) {
    stopper *st = user;
    if (p->step + 1 < st->at) return 0;
    mg_model_info info;
    mg_model_info_init(&info);
    info.train_state = mg_train_state_copy(p->state);
    assert_non_null(info.train_state);
    mg_err err;
    if (mg_model_save(st->path, st->ctx, st->m, &info, &err)) fail_msg("%s", err.msg);
    mg_model_info_free(&info);
    st->saved = 1;
    return 1;
}

/* One case: a whole run of cfg against the same run stopped after step `at`, saved, and
 * resumed from the file in a new context. */
static void resume_case(const mg_train_config *cfg, data_kind data, const size_t *sizes,
                        size_t at) {
    run whole;
    run_train(&whole, data, sizes, 3, MG_ACT_TANH, cfg, cfg->eager, 1);

    mg_ctx *ctx = mg_ctx_new();
    seed7(mg_ctx_rng(ctx));
    mg_dataset *d = data == D_SPIRAL ? mg_dataset_spiral(mg_ctx_rng(ctx), 90, 3, 0.2, NULL)
                                     : mg_dataset_moons(mg_ctx_rng(ctx), 100, 0.1, NULL);
    mg_act acts[3] = {MG_ACT_TANH, MG_ACT_TANH, MG_ACT_LINEAR};
    mg_mlp *m = mg_mlp_new(ctx, 2, 3, sizes, acts, MG_INIT_SCALED, mg_ctx_rng(ctx), NULL);
    stopper st = {at, tu_path("ckpt.safetensors"), ctx, m, 0};
    mg_train_config c1 = *cfg;
    c1.callback = stop_and_save;
    c1.user = &st;
    mg_train_result res;
    mg_err err;
    if (mg_train(ctx, m, d, NULL, &c1, &res, &err)) fail_msg("%s", err.msg);
    assert_true(st.saved && res.stopped && res.steps == at);
    mg_mlp_free(m);
    mg_ctx_free(ctx);

    ctx = mg_ctx_new();
    mg_model_info info;
    m = mg_model_load(st.path, ctx, &info, &err);
    if (!m) fail_msg("%s", err.msg);
    assert_non_null(info.train_state);
    assert_int_equal(info.train_state->step, at);
    mg_train_config c2 = *cfg;
    c2.resume = info.train_state;
    if (mg_train(ctx, m, d, NULL, &c2, &res, &err)) fail_msg("%s", err.msg);
    assert_int_equal(res.steps, cfg->steps);
    assert_memory_equal(mg_data_ptr(ctx, m->first), mg_data_ptr(whole.ctx, whole.m->first),
                        m->nparams * sizeof(double));
    /* a state that does not fit is refused */
    mg_dataset *fewer = data == D_SPIRAL ? mg_dataset_spiral(mg_ctx_rng(ctx), 60, 3, 0.2, NULL)
                                         : mg_dataset_moons(mg_ctx_rng(ctx), 80, 0.1, NULL);
    assert_int_equal(mg_train(ctx, m, fewer, NULL, &c2, &res, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "cannot resume"));
    info.train_state->order[0] = info.train_state->order[1];
    assert_int_equal(mg_train(ctx, m, d, NULL, &c2, &res, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "permutation"));
    mg_dataset_free(fewer);
    mg_model_info_free(&info);
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
    run_free(&whole);
}

static void test_resume_checkpoint(void **state) {
    (void)state;
#ifndef MG_HAVE_JANSSON
    skip(); /* model files need jansson */
#else
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    mg_optim_config_init(&cfg.optim, MG_OPTIM_ADAMW);
    cfg.optim.lr = 0.02;
    cfg.steps = 20;
    cfg.threads = 1;
    for (int eager = 0; eager < 2; eager++) {
        cfg.eager = eager;
        /* binary cross-entropy on moons, batches of 16: 7 steps an epoch, the last of 4;
         * stopped mid-epoch and at an epoch's end */
        const size_t bin[3] = {8, 8, 1};
        cfg.loss = MG_LOSS_KIND_BCE;
        cfg.batch_size = 16;
        resume_case(&cfg, D_MOONS, bin, 5);
        resume_case(&cfg, D_MOONS, bin, 7);
        /* softmax cross-entropy (the stable form) on 3 spiral classes, batches of 32 */
        const size_t three[3] = {8, 8, 3};
        cfg.loss = MG_LOSS_KIND_CE;
        cfg.batch_size = 32;
        resume_case(&cfg, D_SPIRAL, three, 4);
    }
#endif
}

/* The same with a Mersenne Twister drawing the epochs' orders: its 624 words and position
 * go into the checkpoint, and the resumed run ends where the whole one does. */
static void test_resume_checkpoint_mersenne(void **state) {
    (void)state;
#ifndef MG_HAVE_JANSSON
    skip(); /* model files need jansson */
#else
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    mg_optim_config_init(&cfg.optim, MG_OPTIM_ADAMW);
    cfg.optim.lr = 0.02;
    cfg.steps = 20;
    cfg.threads = 1;
    cfg.eager = 0;
    cfg.loss = MG_LOSS_KIND_BCE;
    cfg.batch_size = 16;
    const size_t bin[3] = {8, 8, 1};
    seed_mt = 1;
    resume_case(&cfg, D_MOONS, bin, 5);
    resume_case(&cfg, D_MOONS, bin, 7);
    seed_mt = 0;
#endif
}

/* The stable softmax cross-entropy, recorded once, shifts each sample by its own largest
 * logit: logits of +-1000 (exp would overflow) give the exact loss on replay, whatever
 * the logits were when the graph was recorded. */
static void test_compiled_softmax_stable(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_value z[3], t[3], slots[6];
    for (int k = 0; k < 3; k++) slots[k] = z[k] = mg_input(ctx, 0.0);
    for (int k = 0; k < 3; k++) slots[3 + k] = t[k] = mg_input(ctx, k == 0);
    mg_err err;
    mg_compiled *c = mg_compile(ctx, mg_loss_softmax_ce(ctx, 3, z, t, 1), 6, slots, 0, NULL, &err);
    assert_non_null(c);
    /* loss = logsumexp(z) - z[class] = 1000 - 0 (the other terms underflow to 0) */
    double rows[2 * 6] = {1000, 0, -1000, 0, 1, 0, -5, 700, 710, 0, 0, 1}, losses[2];
    assert_int_equal(mg_compiled_forward(c, 2, rows, losses, NULL, &err), MG_STATUS_OK);
    ASSERT_NEAR(losses[0], 1000.0, 1e-9);
    ASSERT_NEAR(losses[1], log1p(exp(-10.0)), 1e-12); /* logsumexp(700, 710) - 710 */
    mg_compiled_free(c);
    mg_ctx_free(ctx);
}

/* The optimiser's moments never hold subnormal numbers (slow on x86): those of a weight
 * whose input is always 0 decay by 0.9 a step and are flushed to 0 once they would be. */
typedef struct moments {
    size_t subnormal, zero;
} moments;

static int count_moments(void *user, const mg_train_progress *p) {
    moments *c = user;
    if (p->step + 1 != p->nsteps) return 0;
    for (size_t i = 0; i < p->state->nparams; i++) {
        double m = p->state->optim_m[i], v = p->state->optim_v[i];
        c->subnormal += (fpclassify(m) == FP_SUBNORMAL) + (fpclassify(v) == FP_SUBNORMAL);
        c->zero += m == 0.0;
    }
    return 0;
}

static void test_no_subnormal_moments(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_dataset *d = regression(mg_ctx_rng(ctx));
    for (size_t i = 0; i < d->n; i++) d->x[2 * i + 1] = 0.0; /* the second input: always 0 */
    const size_t sizes[2] = {3, 1};
    mg_mlp *m = mg_mlp_new(ctx, 2, 2, sizes, NULL, MG_INIT_SCALED, mg_ctx_rng(ctx), NULL);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_MSE;
    mg_optim_config_init(&cfg.optim, MG_OPTIM_ADAMW);
    cfg.steps = 7000; /* 0.9^7000 * 1e-3 is far below the smallest normal double */
    moments c = {0, 0};
    cfg.callback = count_moments;
    cfg.user = &c;
    mg_err err;
    if (mg_train(ctx, m, d, NULL, &cfg, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(c.subnormal, 0);
    assert_true(c.zero >= 3); /* the three weights of the always-0 input */
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
}

/* mg_mlp_predict_rows gives mg_mlp_predict's numbers for every row, across blocks, and
 * names the first row whose output is not finite. A first layer wider than the inputs
 * and a deep model make sure the recorded inputs are the inputs. */
static void test_predict_rows(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_rng *rng = mg_ctx_rng(ctx);
    const size_t sizes[4] = {9, 3, 5, 4};
    mg_mlp *m = mg_mlp_new(ctx, 3, 4, sizes, NULL, MG_INIT_SCALED, rng, NULL);
    assert_non_null(m);
    enum { N = 600 };
    double *x = malloc(N * 3 * sizeof *x), *out = malloc(N * 4 * sizeof *out), one[4];
    for (size_t i = 0; i < N * 3; i++) x[i] = mg_rng_uniform(rng, -2.0, 2.0);
    size_t before = mg_ctx_size(ctx);
    mg_err err;
    if (mg_mlp_predict_rows(ctx, m, N, x, out, 2, &err)) fail_msg("%s", err.msg);
    assert_int_equal(mg_ctx_size(ctx), before);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(mg_mlp_predict(ctx, m, x + 3 * i, one, NULL), MG_STATUS_OK);
        for (size_t j = 0; j < 4; j++) ASSERT_REL(out[4 * i + j], one[j], 1e-12);
    }
    x[3 * 517 + 1] = NAN;
    assert_int_equal(mg_mlp_predict_rows(ctx, m, N, x, out, 1, &err), MG_STATUS_NUMERIC);
    assert_non_null(strstr(err.msg, "row 517:"));
    free(x);
    free(out);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hinge_l2_sgd),         cmocka_unit_test(test_ce_adamw_minibatch),
        cmocka_unit_test(test_bce_momentum),         cmocka_unit_test(test_mse_regression),
        cmocka_unit_test(test_threads_bit_identical), cmocka_unit_test(test_nonfinite_same_message),
        cmocka_unit_test(test_predict_rows),          cmocka_unit_test(test_check_numerics),
        cmocka_unit_test(test_resume_checkpoint),     cmocka_unit_test(test_resume_checkpoint_mersenne),
        cmocka_unit_test(test_compiled_softmax_stable), cmocka_unit_test(test_no_subnormal_moments),
        cmocka_unit_test(test_float32_training),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cleanup();
    return rc;
}
