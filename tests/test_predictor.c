/* test_predictor.c - a saved model used from C as `micrograd train` leaves it: datasets
 * from the caller's arrays, target scales, the predictor (standardisation, labels,
 * probabilities, values in the target's units), and a regression on linear data held to
 * a least-squares fit computed here. */
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

/* ==== datasets from arrays, target scales ================================================= */

static void test_from_arrays(void **state) {
    (void)state;
    const double x[6] = {1, 2, 3, 4, 5, 6}, y[3] = {0, 1, 1};
    const char *classes[2] = {"no", "yes"}, *feats[2] = {"a", "b"};
    mg_err err = {0};
    mg_dataset *d = mg_dataset_from_arrays(3, 2, x, y, 2, classes, feats, &err);
    assert_non_null(d);
    assert_true(d->x != x && d->x[5] == 6 && d->y[2] == 1);
    assert_string_equal(d->class_names[1], "yes");
    assert_string_equal(d->feature_names[0], "a");
    assert_null(d->target_name);
    mg_dataset_free(d);
    d = mg_dataset_from_arrays(3, 2, x, NULL, 0, NULL, NULL, &err); /* y zeros, no names */
    assert_non_null(d);
    assert_true(d->y[0] == 0 && !d->feature_names && !d->class_names);
    mg_dataset_free(d);
    const double bad[3] = {0, 2, 1};
    assert_null(mg_dataset_from_arrays(3, 2, x, bad, 2, NULL, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
    assert_string_equal(err.msg, "row 1: target 2 is not a class 0 .. 1");
    assert_null(mg_dataset_from_arrays(3, 0, x, y, 0, NULL, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
}

static void test_target_scale(void **state) {
    (void)state;
    const double x[4] = {0, 1, 2, 3}, y[4] = {100, 200, 300, 400};
    mg_err err = {0};
    mg_dataset *d = mg_dataset_from_arrays(4, 1, x, y, 0, NULL, NULL, &err);
    mg_standardizer t;
    assert_int_equal(mg_standardizer_fit_target(&t, d, &err), MG_STATUS_OK);
    assert_int_equal(t.nfeat, 1);
    ASSERT_NEAR(t.mean[0], 250, 0);
    ASSERT_NEAR(t.std[0], sqrt(12500.0), 1e-12);
    mg_standardizer_apply_target(&t, d);
    ASSERT_NEAR(d->y[0], -150 / sqrt(12500.0), 1e-15);
    ASSERT_NEAR(d->x[3], 3, 0); /* features untouched */
    mg_standardizer_free(&t);
    d->nclasses = 2;
    assert_int_equal(mg_standardizer_fit_target(&t, d, &err), MG_STATUS_INVALID);
    d->nclasses = 0;
    d->y[2] = NAN;
    assert_int_equal(mg_standardizer_fit_target(&t, d, &err), MG_STATUS_NUMERIC);
    assert_string_equal(err.msg, "cannot standardise: the target of row 3 is not finite");
    mg_dataset_free(d);
}

/* ==== regression against least squares ==================================================== */

/* y = 300000 + 20000 x1 - 30000 x2 + 5000 x3 + noise (std 8000): prices around 300,000
 * whose spread swamps an unscaled network. */
#define NTRAIN 400
#define NTEST 200
#define NF 3

static void linear_rows(mg_rng *rng, size_t n, double *x, double *y) {
    static const double w[NF] = {20000, -30000, 5000};
    for (size_t i = 0; i < n; i++) {
        y[i] = 300000 + 8000 * mg_rng_normal(rng);
        for (size_t j = 0; j < NF; j++) {
            x[i * NF + j] = mg_rng_uniform(rng, -2, 2) + 10 * (double)j; /* off-centre */
            y[i] += w[j] * x[i * NF + j];
        }
    }
}

/* Ordinary least squares with an intercept, by the normal equations (A'A) b = A'y solved
 * with Gaussian elimination and partial pivoting; b[0] is the intercept. */
static void least_squares(size_t n, const double *x, const double *y, double b[NF + 1]) {
    double m[NF + 1][NF + 2] = {{0}};
    for (size_t i = 0; i < n; i++) {
        double a[NF + 1] = {1};
        for (size_t j = 0; j < NF; j++) a[j + 1] = x[i * NF + j];
        for (size_t r = 0; r <= NF; r++) {
            for (size_t c = 0; c <= NF; c++) m[r][c] += a[r] * a[c];
            m[r][NF + 1] += a[r] * y[i];
        }
    }
    for (size_t c = 0; c <= NF; c++) {
        size_t piv = c;
        for (size_t r = c + 1; r <= NF; r++)
            if (fabs(m[r][c]) > fabs(m[piv][c])) piv = r;
        for (size_t k = 0; k <= NF + 1; k++) {
            double t = m[c][k];
            m[c][k] = m[piv][k];
            m[piv][k] = t;
        }
        for (size_t r = 0; r <= NF; r++) {
            if (r == c) continue;
            double f = m[r][c] / m[c][c];
            for (size_t k = c; k <= NF + 1; k++) m[r][k] -= f * m[c][k];
        }
    }
    for (size_t c = 0; c <= NF; c++) b[c] = m[c][NF + 1] / m[c][c];
}

/* Trains as `micrograd train` does (mg_train_config_init's defaults, features and target
 * standardised, 16-16 relu), keeps the scales in the model's info, and predicts the test
 * rows through a predictor from raw rows: the RMSE in the target's own units is within
 * a few percent of the least-squares fit's. */
static void test_regression_like_least_squares(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_rng *rng = mg_ctx_rng(ctx);
    mg_rng_seed(rng, 42);
    double xtr[NTRAIN * NF], ytr[NTRAIN], xte[NTEST * NF], yte[NTEST], b[NF + 1];
    linear_rows(rng, NTRAIN, xtr, ytr);
    linear_rows(rng, NTEST, xte, yte);
    least_squares(NTRAIN, xtr, ytr, b);
    double lsq = 0;
    for (size_t i = 0; i < NTEST; i++) {
        double p = b[0];
        for (size_t j = 0; j < NF; j++) p += b[j + 1] * xte[i * NF + j];
        lsq += (p - yte[i]) * (p - yte[i]);
    }
    lsq = sqrt(lsq / NTEST);

    mg_err err = {0};
    mg_dataset *d = mg_dataset_from_arrays(NTRAIN, NF, xtr, ytr, 0, NULL, NULL, &err);
    mg_model_info info;
    mg_model_info_init(&info);
    mg_standardizer s, t;
    assert_int_equal(mg_standardizer_fit(&s, d, &err), 0);
    assert_int_equal(mg_standardizer_fit_target(&t, d, &err), 0);
    mg_standardizer_apply(&s, d);
    mg_standardizer_apply_target(&t, d);
    assert_int_equal(mg_model_info_set_standardizer(&info, &s, &err), 0);
    assert_int_equal(mg_model_info_set_target_scale(&info, &t, &err), 0);
    const size_t sizes[3] = {16, 16, 1};
    mg_mlp *m = mg_mlp_new(ctx, NF, 3, sizes, NULL, MG_INIT_SCALED, NULL, &err);
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    mg_train_result res;
    assert_int_equal(mg_train(ctx, m, d, NULL, &cfg, &res, &err), MG_STATUS_OK);

    mg_predictor *p = mg_predictor_new(ctx, m, &info, &err);
    assert_non_null(p);
    double sq = 0, abs_err = 0;
    for (size_t i = 0; i < NTEST; i++) {
        mg_prediction r;
        assert_int_equal(mg_predictor_run(p, xte + i * NF, &r, &err), MG_STATUS_OK);
        assert_null(r.label);
        assert_int_equal(r.nproba, 0);
        sq += (r.value - yte[i]) * (r.value - yte[i]);
        abs_err += fabs(r.value - yte[i]);
    }
    double rmse = sqrt(sq / NTEST);
    print_message("least squares rmse %.1f, micrograd rmse %.1f (mae %.1f), train rmse %.1f\n",
                  lsq, rmse, abs_err / NTEST, res.train.rmse * t.std[0]);
    if (!(rmse < 1.05 * lsq)) fail_msg("rmse %g, least squares %g", rmse, lsq);
    assert_true(res.train.mae > 0 && res.train.mae < res.train.rmse);
    mg_predictor_free(p);
    mg_standardizer_free(&s);
    mg_standardizer_free(&t);
    mg_model_info_free(&info);
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
}

/* ==== classifiers ========================================================================== */

/* A one-layer model with set weights: class scores w.x + b on standardised inputs. */
static mg_mlp *fixed_model(mg_ctx *ctx, size_t nout, const double *w) {
    const size_t sizes[1] = {nout};
    mg_mlp *m = mg_mlp_new(ctx, 2, 1, sizes, NULL, MG_INIT_UNIFORM, NULL, NULL);
    assert_non_null(m);
    memcpy(mg_data_ptr(ctx, m->first), w, m->nparams * sizeof *w);
    return m;
}

static void test_classifiers(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_err err = {0};
    /* Three classes; inputs standardised with mean (10, 20) and std (2, 4). */
    const double w3[9] = {1, 0, 0, 0, 1, 0, -1, -1, 0.5}; /* per neuron: w0, w1, b */
    mg_mlp *m = fixed_model(ctx, 3, w3);
    double mean[2] = {10, 20}, sd[2] = {2, 4};
    mg_model_info info;
    mg_model_info_init(&info);
    info.standardize = (mg_standardizer){2, mean, sd};
    info.nclasses = 3;
    info.class_names = (char *[]){"setosa", "versicolor", "virginica"};
    mg_predictor *p = mg_predictor_new(ctx, m, &info, &err);
    assert_non_null(p);
    mg_prediction r;
    double raw[2] = {14, 20}; /* standardised (2, 0): scores 2, 0, -1.5 */
    assert_int_equal(mg_predictor_run(p, raw, &r, &err), MG_STATUS_OK);
    assert_int_equal(r.cls, 0);
    assert_string_equal(r.label, "setosa");
    assert_int_equal(r.nproba, 3);
    double e0 = exp(0.0), e1 = exp(-2.0), e2 = exp(-3.5), sum = e0 + e1 + e2;
    ASSERT_NEAR(r.proba[0], e0 / sum, 1e-15);
    ASSERT_NEAR(r.proba[2], e2 / sum, 1e-15);
    assert_true(isnan(r.value));
    ASSERT_NEAR(r.outputs[1], 0.0, 1e-15);
    /* The bare network on the same raw row says something else: it expects standardised
     * inputs (scores 14, 20, -33.5: "versicolor"). */
    double out[3];
    assert_int_equal(mg_mlp_predict(ctx, m, raw, out, &err), MG_STATUS_OK);
    assert_true(out[1] > out[0]);
    /* decode reads outputs the caller computed. */
    mg_predictor_decode(p, (const double[]){-1, -2, 3}, &r);
    assert_string_equal(r.label, "virginica");
    mg_predictor_free(p);
    mg_mlp_free(m);

    /* One output for two classes: bce gives sigmoid probabilities; hinge gives none. */
    m = fixed_model(ctx, 1, (const double[]){1, 0, 0});
    info.nclasses = 2;
    info.class_names = (char *[]){"no", "yes"};
    info.has_loss = 1;
    info.loss = MG_LOSS_KIND_BCE;
    p = mg_predictor_new(ctx, m, &info, &err);
    assert_int_equal(mg_predictor_run(p, (const double[]){8, 0}, &r, &err), 0); /* z = -1 */
    assert_string_equal(r.label, "no");
    ASSERT_NEAR(r.proba[1], 1 / (1 + exp(1.0)), 1e-15);
    ASSERT_NEAR(r.proba[0] + r.proba[1], 1, 1e-15);
    mg_predictor_free(p);
    info.loss = MG_LOSS_KIND_HINGE;
    p = mg_predictor_new(ctx, m, &info, &err);
    assert_int_equal(mg_predictor_run(p, (const double[]){12, 0}, &r, &err), 0); /* z = 1 */
    assert_string_equal(r.label, "yes");
    assert_int_equal(r.nproba, 0);
    assert_null(r.proba);
    mg_predictor_free(p);

    /* What does not fit is refused. */
    info.nclasses = 3;
    assert_null(mg_predictor_new(ctx, m, &info, &err));
    assert_string_equal(err.msg, "cannot predict: the outputs do not match the classes (one per "
                                 "class, or one for two)");
    info.nclasses = 0;
    info.standardize.nfeat = 1;
    assert_null(mg_predictor_new(ctx, m, &info, &err));
    assert_string_equal(err.msg, "cannot predict: the standardisation is not of the model's "
                                 "inputs");
    /* A bare network (no info): outputs as they are. */
    p = mg_predictor_new(ctx, m, NULL, &err);
    assert_int_equal(mg_predictor_run(p, (const double[]){3, 0}, &r, &err), 0);
    ASSERT_NEAR(r.value, 3, 0);
    mg_predictor_free(p);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_arrays),
        cmocka_unit_test(test_target_scale),
        cmocka_unit_test(test_regression_like_least_squares),
        cmocka_unit_test(test_classifiers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
