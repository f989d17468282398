/* test_nn.c - neurons, layers and MLPs (parameter counts and layout, initialisers, forward
 * values by hand, whole-MLP gradient checks) and the training loop helper (steps,
 * batches, validation, stopping, non-finite losses, no growth after warm-up). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"
#include "testutil.h"


/* ==== parameters ======================================================================== */

static void test_param_counts(void **state) {
    (void)state;
    const size_t a[3] = {4, 4, 1}, b[3] = {16, 16, 1}, c[2] = {8, 3};
    assert_int_equal(mg_mlp_count_params(3, 3, a), 41);
    assert_int_equal(mg_mlp_count_params(2, 3, b), 337);
    assert_int_equal(mg_mlp_count_params(2, 2, c), 51); /* the yin-yang reference's */
    const size_t zero[2] = {4, 0}, huge[2] = {SIZE_MAX / 2, SIZE_MAX / 2};
    assert_int_equal(mg_mlp_count_params(3, 2, zero), 0);
    assert_int_equal(mg_mlp_count_params(3, 2, huge), 0);
    assert_int_equal(mg_mlp_count_params(0, 3, a), 0);
}

static void test_layout_and_labels(void **state) {
    mg_ctx *ctx = *state;
    const size_t sizes[3] = {4, 4, 1};
    size_t before = mg_ctx_size(ctx);
    mg_err err;
    mg_mlp *m = mg_mlp_new(ctx, 3, 3, sizes, NULL, MG_INIT_UNIFORM, NULL, &err);
    assert_non_null(m);
    assert_int_equal(m->nparams, 41);
    assert_int_equal(mg_ctx_size(ctx), before + 41);
    assert_int_equal(mg_mlp_nout(m), 1);
    for (size_t i = 0; i < m->nparams; i++) {
        assert_int_equal(mg_index(ctx, m->params[i]), mg_index(ctx, m->first) + i);
        assert_int_equal(mg_role_of(ctx, m->params[i]), MG_ROLE_PARAM);
    }
    /* micrograd's order: per neuron its weights, then its bias. */
    assert_string_equal(mg_label(ctx, m->params[0]), "L0.N0.w0");
    assert_string_equal(mg_label(ctx, m->params[2]), "L0.N0.w2");
    assert_string_equal(mg_label(ctx, m->params[3]), "L0.N0.b");
    assert_string_equal(mg_label(ctx, m->params[4]), "L0.N1.w0");
    assert_string_equal(mg_label(ctx, m->params[40]), "L2.N0.b");
    assert_int_equal(mg_mlp_neuron_offset(m, 0, 1), 4);
    assert_int_equal(mg_mlp_neuron_offset(m, 1, 0), 16);
    assert_int_equal(mg_mlp_neuron_offset(m, 2, 0), 36);
    /* Default activations: relu hidden, linear output. */
    assert_int_equal(m->acts[0], MG_ACT_RELU);
    assert_int_equal(m->acts[1], MG_ACT_RELU);
    assert_int_equal(m->acts[2], MG_ACT_LINEAR);
    mg_mlp_free(m);
}

/* Weights come from the generator in order; biases are 0 and draw nothing. The
 * reference's first three uniform(-1, 1) from seed 42 (yinyang.md section 1). */
static void test_init_draws(void **state) {
    mg_ctx *ctx = *state;
    mg_rng_seed(mg_ctx_rng(ctx), 42);
    const size_t sizes[1] = {2};
    mg_mlp *m = mg_mlp_new(ctx, 2, 1, sizes, NULL, MG_INIT_UNIFORM, NULL, NULL);
    assert_non_null(m);
    double *p = mg_data_ptr(ctx, m->first);
    assert_true(p[0] == -0.32182955741882324);
    assert_true(p[1] == 0.5645116567611694);
    assert_true(p[2] == 0.0);
    assert_true(p[3] == 0.5802739858627319);
    assert_true(p[5] == 0.0);
    mg_mlp_free(m);

    /* Scaled: the same draws times nin**-0.5 (here 2**-0.5). */
    mg_rng rng;
    mg_rng_seed(&rng, 42);
    m = mg_mlp_new(ctx, 2, 1, sizes, NULL, MG_INIT_SCALED, &rng, NULL);
    assert_non_null(m);
    p = mg_data_ptr(ctx, m->first);
    assert_true(p[0] == -0.2275678624371153);
    assert_true(p[1] == 0.3991700205546757);
    assert_true(p[2] == 0.0);
    mg_mlp_free(m);

    /* uniform(-1, 1) bounds over a large layer. */
    const size_t big[1] = {500};
    m = mg_mlp_new(ctx, 4, 1, big, NULL, MG_INIT_SCALED, NULL, NULL);
    assert_non_null(m);
    p = mg_data_ptr(ctx, m->first);
    double lo = 0, hi = 0;
    for (size_t j = 0; j < 500; j++)
        for (size_t k = 0; k < 4; k++) {
            double w = p[j * 5 + k];
            lo = fmin(lo, w), hi = fmax(hi, w);
        }
    assert_true(lo >= -0.5 && hi < 0.5 && lo < -0.45 && hi > 0.45);
    mg_mlp_free(m);
}

static void test_bad_models(void **state) {
    mg_ctx *ctx = *state;
    mg_err err;
    const size_t sizes[2] = {4, 0}, ok[1] = {3};
    size_t before = mg_ctx_size(ctx);
    assert_null(mg_mlp_new(ctx, 3, 2, sizes, NULL, MG_INIT_UNIFORM, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "layer 1"));
    assert_null(mg_mlp_new(ctx, 0, 1, ok, NULL, MG_INIT_UNIFORM, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
    assert_null(mg_mlp_new(ctx, 3, 0, ok, NULL, MG_INIT_UNIFORM, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
    const mg_act bad[1] = {(mg_act)99};
    assert_null(mg_mlp_new(ctx, 3, 1, ok, bad, MG_INIT_UNIFORM, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
    assert_int_equal(mg_ctx_size(ctx), before);
    /* Out of memory part way: nothing is left on the tape. */
    mg_ctx_set_max_bytes(ctx, mg_ctx_bytes(ctx));
    const size_t wide[1] = {100000};
    assert_null(mg_mlp_new(ctx, 10, 1, wide, NULL, MG_INIT_UNIFORM, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_NOMEM);
    assert_int_equal(mg_ctx_size(ctx), before);
    mg_ctx_set_max_bytes(ctx, 0);
    mg_ctx_clear_status(ctx);
    mg_mlp_free(NULL);
}

static void test_act_names(void **state) {
    (void)state;
    mg_act a = MG_ACT_LINEAR;
    assert_true(mg_act_parse("tanh", &a));
    assert_int_equal(a, MG_ACT_TANH);
    assert_string_equal(mg_act_name(MG_ACT_SIGMOID), "sigmoid");
    assert_false(mg_act_parse("gelu", &a));
    assert_int_equal(a, MG_ACT_TANH);
}

/* ==== forward =========================================================================== */

/* MLP(2, [2, 1]), tanh then linear, with hand-set weights:
 * h0 = tanh(0.1 + 0.5*1 - 1*2) = tanh(-1.4), h1 = tanh(-0.5 + 2*1 + 1*2) = tanh(3.5),
 * out = 0.3 + 1*h0 - 2*h1. */
static mg_mlp *hand_model(mg_ctx *ctx) {
    const size_t sizes[2] = {2, 1};
    const mg_act acts[2] = {MG_ACT_TANH, MG_ACT_LINEAR};
    mg_mlp *m = mg_mlp_new(ctx, 2, 2, sizes, acts, MG_INIT_UNIFORM, NULL, NULL);
    assert_non_null(m);
    const double w[9] = {0.5, -1.0, 0.1, 2.0, 1.0, -0.5, 1.0, -2.0, 0.3};
    memcpy(mg_data_ptr(ctx, m->first), w, sizeof w);
    return m;
}

static void test_forward_by_hand(void **state) {
    mg_ctx *ctx = *state;
    mg_mlp *m = hand_model(ctx);
    size_t before = mg_ctx_size(ctx);
    mg_value x[2] = {mg_input(ctx, 1.0), mg_input(ctx, 2.0)}, y;
    assert_true(mg_mlp_forward(ctx, m, x, &y));
    assert_true(mg_data(ctx, y) == -2.58170744342466);
    /* One dot and one activation per neuron, one dot for the linear output. */
    assert_int_equal(mg_ctx_size(ctx), before + 2 + 2 * 2 + 1);
    assert_int_equal(mg_op_of(ctx, y), MG_OP_DOT);
    assert_int_equal(mg_noperands(ctx, y), 5);
    assert_true(mg_dot_has_bias(ctx, y));
    mg_value h0 = mg_operand(ctx, y, 2);
    assert_int_equal(mg_op_of(ctx, h0), MG_OP_TANH);
    assert_true(mg_data(ctx, h0) == -0.8853516482022625);
    assert_true(mg_data(ctx, mg_operand(ctx, h0, 0)) == -1.4);

    /* Layer by layer gives the same values; a layer of one neuron still fills an array. */
    mg_value h[2], out[1];
    assert_true(mg_layer_forward(ctx, m, 0, x, h));
    assert_true(mg_data(ctx, h[1]) == 0.9981778976111987);
    assert_true(mg_layer_forward(ctx, m, 1, h, out));
    assert_true(mg_data(ctx, out[0]) == -2.58170744342466);

    /* predict: same number, tape left as it was. */
    size_t n = mg_ctx_size(ctx);
    double xd[2] = {1.0, 2.0}, yd;
    assert_int_equal(mg_mlp_predict(ctx, m, xd, &yd, NULL), MG_STATUS_OK);
    assert_true(yd == -2.58170744342466);
    assert_int_equal(mg_ctx_size(ctx), n);
    xd[0] = NAN; /* (an infinity would saturate both tanh units and give a finite output) */
    mg_err err;
    assert_int_equal(mg_mlp_predict(ctx, m, xd, &yd, &err), MG_STATUS_NUMERIC);
    mg_mlp_free(m);
}

static void test_neuron(void **state) {
    mg_ctx *ctx = *state;
    mg_value w[2] = {mg_param(ctx, -3.0), mg_param(ctx, 1.0)};
    mg_value x[2] = {mg_input(ctx, 2.0), mg_input(ctx, 0.0)};
    mg_value b = mg_param(ctx, 6.8813735870195432);
    mg_value o = mg_neuron(ctx, b, 2, w, x, MG_ACT_TANH);
    mg_backward(ctx, o);
    /* The walkthrough's neuron: o = 0.7071, do/dw1 = 1.0, do/dx1 = -1.5. */
    ASSERT_NEAR(mg_data(ctx, o), 0.7071067811865476, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, w[0]), 1.0, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, x[0]), -1.5, 1e-12);
    ASSERT_NEAR(mg_grad(ctx, b), 0.5, 1e-12);
    assert_true(mg_same(mg_act_apply(ctx, MG_ACT_LINEAR, o), o));
}

/* ==== gradient checks of whole MLPs ====================================================== */

static void test_gradcheck_tanh_mse(void **state) {
    mg_ctx *ctx = *state;
    const size_t sizes[3] = {4, 4, 1};
    const mg_act acts[3] = {MG_ACT_TANH, MG_ACT_TANH, MG_ACT_TANH};
    mg_mlp *m = mg_mlp_new(ctx, 3, 3, sizes, acts, MG_INIT_UNIFORM, NULL, NULL);
    assert_non_null(m);
    /* Biases away from 0 so their gradients are exercised too. */
    for (size_t i = 3; i < m->nparams; i += 4) mg_set_data(ctx, m->params[i], 0.1 * (double)i / 40);
    const double xs[4][3] = {{2, 3, -1}, {3, -1, 0.5}, {0.5, 1, 1}, {1, 1, -1}};
    const double ys[4] = {1, -1, -1, 1};
    mg_value losses[4];
    for (int i = 0; i < 4; i++) {
        mg_value x[3], y, t = mg_const(ctx, ys[i]);
        for (int k = 0; k < 3; k++) x[k] = mg_input(ctx, xs[i][k]);
        assert_true(mg_mlp_forward(ctx, m, x, &y));
        losses[i] = mg_loss_mse(ctx, 1, &y, &t);
    }
    mg_value loss = mg_loss_mean(ctx, 4, losses);
    mg_gradcheck_report r;
    double err = mg_gradcheck(ctx, loss, 0, &r);
    assert_true(err < 1e-6);
    assert_true(r.max_abs_grad > 1e-2); /* not passing on all-zero gradients */
    assert_int_equal(r.nchecked, 41 + 12);
    mg_mlp_free(m);
}

static void test_gradcheck_relu_ce(void **state) {
    mg_ctx *ctx = *state;
    mg_rng_seed(mg_ctx_rng(ctx), 7);
    const size_t sizes[3] = {6, 5, 3};
    mg_mlp *m = mg_mlp_new(ctx, 2, 3, sizes, NULL, MG_INIT_SCALED, NULL, NULL);
    assert_non_null(m);
    mg_dataset *d = mg_dataset_spiral(mg_ctx_rng(ctx), 12, 3, 0.1, NULL);
    assert_non_null(d);
    /* Each arm starts at the origin: with zero biases every relu would sit on its kink
     * there, where a finite difference means nothing. */
    for (size_t l = 0; l < 3; l++)
        for (size_t j = 0; j < sizes[l]; j++) {
            size_t nin = l == 0 ? 2 : sizes[l - 1];
            mg_set_data(ctx, m->params[mg_mlp_neuron_offset(m, l, j) + nin], 0.05 * (double)(j + 1));
        }
    mg_value losses[12];
    for (size_t i = 0; i < 12; i++) losses[i] = mg_sample_loss(ctx, m, MG_LOSS_KIND_CE, 1, d, i, NULL);
    mg_value loss = mg_add(ctx, mg_loss_mean(ctx, 12, losses), mg_loss_l2(ctx, m->nparams, m->params, 1e-2));
    mg_gradcheck_report r;
    double e = mg_gradcheck(ctx, loss, 0, &r);
    char what[128];
    if (!(e < 1e-6))
        fail_msg("gradcheck %g at %s: analytic %.17g numeric %.17g", e,
                 mg_describe(ctx, r.worst, what, sizeof what), r.worst_analytic, r.worst_numeric);
    assert_true(r.max_abs_grad > 1e-2);
    mg_dataset_free(d);
    mg_mlp_free(m);
}

/* ==== the training loop ================================================================== */

/* y = 2x - 1 on 10 points, for a one-neuron linear model. */
static mg_dataset *line_data(void) {
    mg_dataset *d = mg_dataset_new(10, 1, 0, NULL);
    assert_non_null(d);
    for (size_t i = 0; i < 10; i++) {
        d->x[i] = (double)i / 10.0;
        d->y[i] = 2.0 * d->x[i] - 1.0;
    }
    return d;
}

static mg_mlp *linear_model(mg_ctx *ctx, size_t nin) {
    const size_t sizes[1] = {1};
    const mg_act acts[1] = {MG_ACT_LINEAR};
    mg_mlp *m = mg_mlp_new(ctx, nin, 1, sizes, acts, MG_INIT_UNIFORM, NULL, NULL);
    assert_non_null(m);
    return m;
}

typedef struct seen {
    size_t calls, batches[16], epochs[16], vals;
    size_t bytes_at_1, bytes_at_last;
    mg_ctx *ctx;
    size_t stop_after;
} seen;

static int record(void *user, const mg_train_progress *p) {
    seen *s = user;
    if (s->calls < 16) {
        s->batches[s->calls] = p->batch;
        s->epochs[s->calls] = p->epoch;
    }
    s->vals += (size_t)p->has_val;
    if (p->step == 1) s->bytes_at_1 = mg_ctx_bytes(s->ctx);
    s->bytes_at_last = mg_ctx_bytes(s->ctx);
    s->calls++;
    return s->stop_after && s->calls == s->stop_after;
}

/* The defaults are `micrograd train`'s (the command starts from them). */
static void test_train_defaults(void **state) {
    (void)state;
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    assert_int_equal(cfg.optim.kind, MG_OPTIM_ADAMW);
    assert_true(cfg.optim.lr == MG_TRAIN_DEFAULT_LR && MG_TRAIN_DEFAULT_LR == 0.01);
    assert_true(cfg.optim.weight_decay == 0.01);
    assert_int_equal(cfg.epochs, MG_TRAIN_DEFAULT_EPOCHS);
    assert_int_equal(cfg.batch_size, MG_TRAIN_DEFAULT_BATCH);
    assert_int_equal(cfg.steps, 0);
    assert_int_equal(cfg.loss, MG_LOSS_KIND_MSE);
    assert_int_equal(cfg.shuffle, 1);
}

static void test_train_minibatch_epochs(void **state) {
    mg_ctx *ctx = *state;
    mg_dataset *d = line_data();
    mg_mlp *m = linear_model(ctx, 1);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.epochs = 3;
    cfg.batch_size = 4;
    seen s = {.ctx = ctx};
    cfg.callback = record;
    cfg.user = &s;
    mg_train_result res;
    size_t before = mg_ctx_size(ctx);
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, NULL), MG_STATUS_OK);
    assert_int_equal(mg_ctx_size(ctx), before);
    /* 10 samples in batches of 4: 4, 4, 2 per epoch. */
    assert_int_equal(res.steps, 9);
    assert_int_equal(s.calls, 9);
    const size_t want_b[9] = {4, 4, 2, 4, 4, 2, 4, 4, 2}, want_e[9] = {0, 0, 0, 1, 1, 1, 2, 2, 2};
    for (int i = 0; i < 9; i++) {
        assert_int_equal(s.batches[i], want_b[i]);
        assert_int_equal(s.epochs[i], want_e[i]);
    }
    assert_int_equal(res.train.n, 10);
    assert_true(isnan(res.train.accuracy));
    ASSERT_NEAR(res.train.rmse, sqrt(res.train.loss), 1e-12);
    mg_dataset_free(d);
    mg_mlp_free(m);
}

/* Full-batch gradient descent on y = 2x - 1 converges to w = 2, b = -1, and the tape
 * does not grow after the first step. */
static void test_train_converges_no_growth(void **state) {
    mg_ctx *ctx = *state;
    mg_dataset *d = line_data();
    mg_mlp *m = linear_model(ctx, 1);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    mg_optim_config_init(&cfg.optim, MG_OPTIM_SGD); /* full-batch gradient descent */
    cfg.batch_size = 0;
    cfg.steps = 2000;
    cfg.optim.lr = 0.5;
    seen s = {.ctx = ctx};
    cfg.callback = record;
    cfg.user = &s;
    mg_train_result res;
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, NULL), MG_STATUS_OK);
    ASSERT_NEAR(mg_data(ctx, m->params[0]), 2.0, 1e-9);
    ASSERT_NEAR(mg_data(ctx, m->params[1]), -1.0, 1e-9);
    assert_true(res.train.loss < 1e-18);
    assert_int_equal(s.bytes_at_1, s.bytes_at_last);
    mg_dataset_free(d);
    mg_mlp_free(m);
}

static void test_train_val_and_stop(void **state) {
    mg_ctx *ctx = *state;
    mg_dataset *d = line_data();
    mg_mlp *m = linear_model(ctx, 1);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.steps = 25;
    cfg.eval_every = 10;
    seen s = {.ctx = ctx};
    cfg.callback = record;
    cfg.user = &s;
    mg_train_result res;
    assert_int_equal(mg_train(ctx, m, d, d, &cfg, &res, NULL), MG_STATUS_OK);
    assert_int_equal(s.vals, 3); /* steps 0, 10, 20 */
    assert_int_equal(res.val.n, 10);
    ASSERT_NEAR(res.val.loss, res.train.loss, 0.0);

    seen s2 = {.ctx = ctx, .stop_after = 3};
    cfg.user = &s2;
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, NULL), MG_STATUS_OK);
    assert_int_equal(res.steps, 3);
    assert_true(res.stopped);
    mg_dataset_free(d);
    mg_mlp_free(m);
}

/* A learning rate far too large overflows: training stops with MG_STATUS_NUMERIC naming
 * the step and the first non-finite value. */
static void test_train_nonfinite(void **state) {
    mg_ctx *ctx = *state;
    mg_dataset *d = line_data();
    for (size_t i = 0; i < 10; i++) d->x[i] *= 1e3;
    mg_mlp *m = linear_model(ctx, 1);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    mg_optim_config_init(&cfg.optim, MG_OPTIM_SGD);
    cfg.steps = 1000;
    cfg.optim.lr = 100.0;
    mg_train_result res;
    mg_err err;
    size_t before = mg_ctx_size(ctx);
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, &err), MG_STATUS_NUMERIC);
    assert_true(res.steps > 0 && res.steps < 1000);
    char want[32];
    snprintf(want, sizeof want, "step %zu:", res.steps);
    if (!strstr(err.msg, want) || !strstr(err.msg, "not finite") || !strstr(err.msg, "#"))
        fail_msg("unexpected message: %s", err.msg);
    assert_int_equal(mg_ctx_size(ctx), before);
    mg_dataset_free(d);
    mg_mlp_free(m);
}

/* A context capped below what a step needs: MG_STATUS_NOMEM, the tape as it was. */
static void test_train_out_of_memory(void **state) {
    mg_ctx *ctx = *state;
    mg_dataset *d = mg_dataset_moons(mg_ctx_rng(ctx), 400, 0.1, NULL);
    const size_t sizes[3] = {16, 16, 1};
    mg_mlp *m = mg_mlp_new(ctx, 2, 3, sizes, NULL, MG_INIT_UNIFORM, NULL, NULL);
    assert_non_null(m);
    size_t before = mg_ctx_size(ctx);
    mg_ctx_set_max_bytes(ctx, mg_ctx_bytes(ctx) + 4096);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_HINGE;
    cfg.steps = 3;
    cfg.batch_size = 0;
    cfg.eager = 1; /* 400 samples' graphs at once do not fit */
    mg_train_result res;
    mg_err err;
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, &err), MG_STATUS_NOMEM);
    /* refused before the first step, with the numbers */
    if (!strstr(err.msg, "a step of 400 samples builds about ") ||
        !strstr(err.msg, "the memory cap leaves"))
        fail_msg("unexpected message: %s", err.msg);
    assert_int_equal(res.steps, 0);
    assert_int_equal(mg_ctx_size(ctx), before);
    /* The compiled path records one sample's graph, which fits in 4096 bytes. */
    cfg.eager = 0;
    mg_ctx_clear_status(ctx);
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, &err), MG_STATUS_OK);
    assert_int_equal(mg_ctx_size(ctx), before);
    /* ...but not in 64 more bytes than the parameters need. */
    mg_ctx *small = mg_ctx_new();
    mg_mlp *m2 = mg_mlp_new(small, 2, 3, sizes, NULL, MG_INIT_UNIFORM, NULL, NULL);
    assert_non_null(m2);
    mg_ctx_set_max_bytes(small, mg_ctx_bytes(small) + 64);
    assert_int_equal(mg_train(small, m2, d, NULL, &cfg, &res, &err), MG_STATUS_NOMEM);
    assert_non_null(strstr(err.msg, "recording"));
    assert_int_equal(res.steps, 0);
    mg_mlp_free(m2);
    mg_ctx_free(small);
    mg_ctx_set_max_bytes(ctx, 0);
    mg_ctx_clear_status(ctx);
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, &err), MG_STATUS_OK);
    mg_dataset_free(d);
    mg_mlp_free(m);
}

static void test_train_checks(void **state) {
    mg_ctx *ctx = *state;
    mg_dataset *d = line_data();
    mg_mlp *m2 = linear_model(ctx, 2), *m1 = linear_model(ctx, 1);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    mg_err err;
    assert_int_equal(mg_train(ctx, m2, d, NULL, &cfg, NULL, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "2 inputs"));
    cfg.loss = MG_LOSS_KIND_CE;
    assert_int_equal(mg_train(ctx, m1, d, NULL, &cfg, NULL, &err), MG_STATUS_INVALID);
    d->nclasses = 2;
    cfg.loss = MG_LOSS_KIND_BCE;
    assert_int_equal(mg_train(ctx, m1, d, NULL, &cfg, NULL, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "row 0")); /* y = -1 is not a class */
    for (size_t i = 0; i < 10; i++) d->y[i] = (double)(i % 2);
    d->x[3] = NAN;
    assert_int_equal(mg_train_check(m1, d, MG_LOSS_KIND_BCE, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "row 3"));
    d->x[3] = 0.3;
    assert_int_equal(mg_train_check(m1, d, MG_LOSS_KIND_BCE, &err), MG_STATUS_OK);
    cfg.steps = 0;
    cfg.epochs = 0;
    assert_int_equal(mg_train(ctx, m1, d, NULL, &cfg, NULL, &err), MG_STATUS_INVALID);
    mg_loss_kind k;
    assert_true(mg_loss_kind_parse("hinge", &k));
    assert_int_equal(k, MG_LOSS_KIND_HINGE);
    assert_string_equal(mg_loss_kind_name(MG_LOSS_KIND_CE), "ce");
    assert_false(mg_loss_kind_parse("mae", &k));
    mg_dataset_free(d);
    mg_mlp_free(m1);
    mg_mlp_free(m2);
}

/* mg_evaluate against numbers worked out by hand: the model 2x - 1 with w = 1, b = 0
 * on x = 0, 0.5, 1 (targets -1, 0, 1) errs by 1, 0.5, 0: MSE 1.25/3, RMSE sqrt of it.
 * As a classifier (BCE on logits x - 0.25, classes 0, 1, 1): 2 of 3 right. */
static void test_evaluate(void **state) {
    mg_ctx *ctx = *state;
    mg_mlp *m = linear_model(ctx, 1);
    mg_set_data(ctx, m->params[0], 1.0);
    mg_set_data(ctx, m->params[1], 0.0);
    mg_dataset *d = mg_dataset_new(3, 1, 0, NULL);
    const double xs[3] = {0.0, 0.5, 1.0};
    for (int i = 0; i < 3; i++) d->x[i] = xs[i], d->y[i] = 2 * xs[i] - 1;
    mg_metrics r;
    assert_int_equal(mg_evaluate(ctx, m, d, MG_LOSS_KIND_MSE, 1, &r, NULL), MG_STATUS_OK);
    ASSERT_NEAR(r.loss, 1.25 / 3, 1e-15);
    ASSERT_NEAR(r.rmse, sqrt(1.25 / 3), 1e-15);
    d->nclasses = 2;
    d->y[0] = 1, d->y[1] = 1, d->y[2] = 1;
    mg_set_data(ctx, m->params[1], -0.25);
    assert_int_equal(mg_evaluate(ctx, m, d, MG_LOSS_KIND_BCE, 1, &r, NULL), MG_STATUS_OK);
    assert_int_equal(r.correct, 2);
    ASSERT_NEAR(r.accuracy, 2.0 / 3.0, 1e-15);
    /* log(1 + e^0.25) + log(1 + e^-0.25) + log(1 + e^-0.75), over 3 */
    ASSERT_NEAR(r.loss, (0.8259394198788436 + 0.5759394198788436 + 0.38687100611489994) / 3, 1e-15);
    double out = 0.3;
    assert_true(mg_prediction_correct(MG_LOSS_KIND_HINGE, 1, &out, 1.0));
    assert_false(mg_prediction_correct(MG_LOSS_KIND_HINGE, 1, &out, 0.0));
    const double logits[3] = {0.1, 2.0, -1.0};
    assert_true(mg_prediction_correct(MG_LOSS_KIND_CE, 3, logits, 1.0));
    assert_false(mg_prediction_correct(MG_LOSS_KIND_MSE, 1, &out, 0.3));
    mg_dataset_free(d);
    mg_mlp_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_counts),
        cmocka_unit_test_setup_teardown(test_layout_and_labels, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_init_draws, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_models, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_act_names),
        cmocka_unit_test_setup_teardown(test_forward_by_hand, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_neuron, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_tanh_mse, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_gradcheck_relu_ce, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_train_defaults, tu_ctx_setup, tu_ctx_teardown),
cmocka_unit_test_setup_teardown(test_train_minibatch_epochs, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_train_converges_no_growth, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_train_val_and_stop, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_train_nonfinite, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_train_out_of_memory, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_train_checks, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_evaluate, tu_ctx_setup, tu_ctx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
