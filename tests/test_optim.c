/* test_optim.c - SGD, momentum and AdamW updates against their formulas worked out by
 * hand (AdamW: PyTorch's algebra evaluated in Python, and the reference run's formula of
 * yinyang.md section 5 to rounding), learning-rate schedules, state and configuration
 * errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "micrograd.h"
#include "testutil.h"


static mg_optim *make(mg_optim_kind kind, double lr, size_t n, void (*tweak)(mg_optim_config *)) {
    mg_optim_config c;
    mg_optim_config_init(&c, kind);
    c.lr = lr;
    if (tweak) tweak(&c);
    mg_err err;
    mg_optim *o = mg_optim_new(&c, n, &err);
    if (!o) fail_msg("mg_optim_new: %s", err.msg);
    return o;
}

/* ==== SGD ================================================================================ */

static void wd_01(mg_optim_config *c) { c->weight_decay = 0.1; }

static void test_sgd(void **state) {
    (void)state;
    mg_optim *o = make(MG_OPTIM_SGD, 0.1, 2, NULL);
    double p[2] = {1.0, -2.0};
    const double g[2] = {0.5, 0.25};
    ASSERT_NEAR(mg_optim_update(o, p, g, 2), 0.1, 0);
    ASSERT_NEAR(p[0], 0.95, 1e-15);  /* 1 - 0.1*0.5 */
    ASSERT_NEAR(p[1], -2.025, 1e-15); /* -2 - 0.1*0.25 */
    assert_int_equal(mg_optim_nsteps(o), 1);
    mg_optim_free(o);

    /* Weight decay added to the gradient: p -= lr (g + wd p). */
    o = make(MG_OPTIM_SGD, 0.1, 2, wd_01);
    p[0] = 1.0, p[1] = -2.0;
    mg_optim_update(o, p, g, 2);
    ASSERT_NEAR(p[0], 0.94, 1e-15);   /* 1 - 0.1*(0.5 + 0.1) */
    ASSERT_NEAR(p[1], -2.005, 1e-15); /* -2 - 0.1*(0.25 - 0.2) */
    mg_optim_free(o);
}

static void linear_100(mg_optim_config *c) {
    c->schedule = MG_LR_LINEAR;
    c->decay = 0.9;
    c->steps = 100;
}

/* micrograd's demo: learning_rate = 1.0 - 0.9*k/100, to the last bit. */
static void test_linear_schedule(void **state) {
    (void)state;
    mg_optim *o = make(MG_OPTIM_SGD, 1.0, 1, linear_100);
    double p = 0.0, g = 0.0;
    for (int k = 0; k < 101; k++) {
        double lr = mg_optim_lr(o);
        if (k == 0) assert_true(lr == 1.0);
        if (k == 50) assert_true(lr == 0.55);
        if (k == 99) assert_true(lr == 0.10899999999999987);
        if (k == 100) assert_true(lr == 0.09999999999999998);
        assert_true(mg_optim_update(o, &p, &g, 1) == lr);
    }
    assert_true(mg_optim_lr(o) == 0.09999999999999998); /* held past the end */
    mg_optim_free(o);
}

/* ==== momentum =========================================================================== */

static void test_momentum(void **state) {
    (void)state;
    mg_optim *o = make(MG_OPTIM_MOMENTUM, 0.1, 1, NULL);
    double p = 1.0;
    const double g = 1.0;
    mg_optim_update(o, &p, &g, 1);
    ASSERT_NEAR(p, 0.9, 1e-15);  /* b = 1: p -= 0.1 */
    mg_optim_update(o, &p, &g, 1);
    ASSERT_NEAR(p, 0.71, 1e-15); /* b = 0.9*1 + 1 = 1.9: p -= 0.19 */
    mg_optim_update(o, &p, &g, 1);
    ASSERT_NEAR(p, 0.439, 1e-15); /* b = 0.9*1.9 + 1 = 2.71 */
    mg_optim_reset(o);
    p = 1.0;
    mg_optim_update(o, &p, &g, 1);
    ASSERT_NEAR(p, 0.9, 1e-15);
    mg_optim_free(o);
}

/* ==== AdamW ============================================================================== */

static void reference_adamw(mg_optim_config *c) {
    c->beta1 = 0.9;
    c->beta2 = 0.95;
    c->eps = 1e-8;
    c->weight_decay = 1e-4;
}

/* One step by hand: m = 0.1*0.2, v = 0.05*0.04; m_hat = 0.2, v_hat = 0.04;
 * p = 0.5 - 0.1*(0.2/(0.2 + 1e-8) + 1e-4*0.5) = 0.399995005 to rounding. The library
 * computes PyTorch's algebra, p*(1 - lr*wd) - (lr/c1) m / (sqrt(v) (1/sqrt(c2)) + eps), so
 * the digits below are that formula's, evaluated in Python (IEEE doubles, the same
 * operations in the same order): exact. The reference's formula with the corrections
 * divided in gives 0.39999500499999974 and then 0.3731540619520929, within 1e-16. */
static void test_adamw_formula(void **state) {
    (void)state;
    mg_optim *o = make(MG_OPTIM_ADAMW, 0.1, 2, reference_adamw);
    double p[2] = {0.5, -1.5};
    double g[2] = {0.2, 0.0};
    mg_optim_update(o, p, g, 2);
    assert_true(p[0] == 0.3999950049999998);
    assert_true(p[1] == -1.4999850000000001); /* g = 0: only the decay, p*(1 - lr*wd) */
    ASSERT_NEAR(p[0], 0.39999500499999974, 1e-16);
    g[0] = -0.1;
    mg_optim_update(o, p, g, 2);
    assert_true(p[0] == 0.37315406195209294);
    assert_true(p[1] == -1.4999700001500003);
    ASSERT_NEAR(p[0], 0.3731540619520929, 1e-16);
    assert_int_equal(mg_optim_nsteps(o), 2);
    mg_optim_reset(o);
    p[0] = 0.5, g[0] = 0.2;
    mg_optim_update(o, p, g, 2);
    assert_true(p[0] == 0.3999950049999998);
    mg_optim_free(o);
}

/* The step on a model's span moves each parameter by -lr * its grad. */
static void test_step_on_span(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    assert_non_null(ctx);
    const size_t sizes[2] = {3, 1};
    mg_mlp *m = mg_mlp_new(ctx, 2, 2, sizes, NULL, MG_INIT_UNIFORM, NULL, NULL);
    assert_non_null(m);
    double before[13], grads[13];
    for (size_t i = 0; i < m->nparams; i++) {
        mg_set_grad(ctx, m->params[i], 0.01 * (double)i);
        before[i] = mg_data(ctx, m->params[i]);
        grads[i] = 0.01 * (double)i;
    }
    mg_optim *o = make(MG_OPTIM_SGD, 0.5, m->nparams, NULL);
    mg_optim_step(o, ctx, m->first, m->nparams);
    for (size_t i = 0; i < m->nparams; i++)
        ASSERT_NEAR(mg_data(ctx, m->params[i]), before[i] - 0.5 * grads[i], 1e-15);
    mg_mlp_zero_grad(ctx, m);
    for (size_t i = 0; i < m->nparams; i++) assert_true(mg_grad(ctx, m->params[i]) == 0.0);
    mg_optim_free(o);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

/* ==== configuration ====================================================================== */

static void test_config_errors(void **state) {
    (void)state;
    struct {
        const char *field;
        mg_optim_config c;
        size_t n;
    } cases[8];
    for (int i = 0; i < 8; i++) {
        mg_optim_config_init(&cases[i].c, MG_OPTIM_ADAMW);
        cases[i].n = 3;
    }
    cases[0].field = "learning rate", cases[0].c.lr = 0.0;
    cases[1].field = "learning rate", cases[1].c.lr = NAN;
    cases[2].field = "momentum", cases[2].c.momentum = 1.0;
    cases[3].field = "betas", cases[3].c.beta2 = -0.1;
    cases[4].field = "eps", cases[4].c.eps = -1.0;
    cases[5].field = "weight decay", cases[5].c.weight_decay = INFINITY;
    cases[6].field = "linear", cases[6].c.schedule = MG_LR_LINEAR; /* steps 0 */
    cases[7].field = "at least 1", cases[7].n = 0;
    for (int i = 0; i < 8; i++) {
        mg_err err;
        assert_null(mg_optim_new(&cases[i].c, cases[i].n, &err));
        assert_int_equal(err.status, MG_STATUS_INVALID);
        if (!strstr(err.msg, cases[i].field)) fail_msg("case %d: '%s'", i, err.msg);
    }
    mg_optim_free(NULL);
    mg_optim_config c;
    mg_optim_config_init(&c, MG_OPTIM_ADAMW);
    assert_true(c.lr == 0.001 && c.beta2 == 0.999 && c.weight_decay == 0.01);
    mg_optim *o = mg_optim_new(&c, 4, NULL);
    assert_non_null(o);
    assert_true(mg_optim_config_of(o)->beta1 == 0.9);
    mg_optim_free(o);
    mg_optim_kind k;
    assert_true(mg_optim_parse("momentum", &k));
    assert_int_equal(k, MG_OPTIM_MOMENTUM);
    assert_string_equal(mg_optim_name(MG_OPTIM_ADAMW), "adamw");
    assert_false(mg_optim_parse("adam", &k));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd),
        cmocka_unit_test(test_linear_schedule),
        cmocka_unit_test(test_momentum),
        cmocka_unit_test(test_adamw_formula),
        cmocka_unit_test(test_step_on_span),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
