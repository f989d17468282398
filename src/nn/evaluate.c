/* evaluate.c - a model measured on a dataset: the check that it fits (mg_train_check),
 * whether a prediction is right, the running tally of a loss and its metric, and the
 * evaluation of a whole set, eagerly (one sample's graph at a time) or through the
 * compiled path. Training uses the same pieces for its batches and validation. */
#include "nn_internal.h"

#include <math.h>

/* ==== checking a model against a dataset ================================================= */

mg_status mg_train_check(const mg_mlp *m, const mg_dataset *d, mg_loss_kind kind, mg_err *err) {
    mg_status st = mg__loss_kind_check(kind, err);
    if (st) return st;
    if (d->nfeat != m->nin)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "the model takes %zu inputs but the data has %zu features", m->nin,
                          d->nfeat);
    size_t nout = mg_mlp_nout(m), want = mg__loss_targets(kind, d->nclasses);
    if (kind == MG_LOSS_KIND_MSE && d->nclasses != 0)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "loss mse needs regression targets, the data has %zu classes",
                          d->nclasses);
    if ((kind == MG_LOSS_KIND_BCE || kind == MG_LOSS_KIND_HINGE) && d->nclasses != 2)
        return mg_err_set(err, MG_STATUS_INVALID, "loss %s needs 2 classes, the data has %zu",
                          mg_loss_kind_name(kind), d->nclasses);
    if (kind == MG_LOSS_KIND_CE && d->nclasses < 2)
        return mg_err_set(err, MG_STATUS_INVALID, "loss ce needs 2 or more classes, the data has %zu",
                          d->nclasses);
    if (nout != want)
        return mg_err_set(err, MG_STATUS_INVALID, "loss %s needs %zu outputs, the model has %zu",
                          mg_loss_kind_name(kind), want, nout);
    for (size_t i = 0; i < d->n; i++) {
        for (size_t k = 0; k < d->nfeat; k++)
            if (!isfinite(d->x[i * d->nfeat + k]))
                return mg_err_set(err, MG_STATUS_INVALID, "row %zu: feature %zu is not finite", i,
                                  k);
        double y = d->y[i];
        if (kind == MG_LOSS_KIND_MSE ? !isfinite(y)
                                : !(y >= 0.0 && y < (double)d->nclasses && y == floor(y)))
            return mg_err_set(err, MG_STATUS_INVALID, "row %zu: target %g is not %s", i, y,
                              kind == MG_LOSS_KIND_MSE ? "finite" : "a class of the data");
    }
    return MG_STATUS_OK;
}

/* ==== metrics ============================================================================ */

int mg_prediction_correct(mg_loss_kind kind, size_t nout, const double *out, double y) {
    return mg__prediction_correct(kind, nout, out, y);
}

/* The reference's mean: (0 + l_1 + ... + l_n) * (1/n), the same rounding as a sum value
 * times a constant on the tape. */
mg_metrics mg__tally_metrics(const mg__tally *t, mg_loss_kind kind) {
    mg_metrics r;
    double inv = 1.0 / (double)t->n;
    r.n = t->n;
    r.loss = t->loss * inv;
    r.correct = kind == MG_LOSS_KIND_MSE ? 0 : t->correct;
    r.accuracy = kind == MG_LOSS_KIND_MSE ? NAN : (double)t->correct * inv;
    r.rmse = kind == MG_LOSS_KIND_MSE ? sqrt(t->sqerr * inv) : NAN;
    r.mae = kind == MG_LOSS_KIND_MSE ? t->abserr * inv : NAN;
    return r;
}

/* ==== evaluation ========================================================================= */

/* The error for sample i of d whose loss came out as l (not finite): its graph is built
 * again to name the first value on it that is not finite. */
static mg_status nonfinite_sample(mg_ctx *ctx, mg__sample *s, const mg_dataset *d, size_t i,
                                  double l, mg_err *err) {
    char what[160];
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value loss = mg__sample_build(ctx, s, d, i);
    mg_value bad = mg_ok(loss) ? mg_find_nonfinite(ctx, mark.nvalues, 0) : MG_NULL;
    mg_err_set(err, MG_STATUS_NUMERIC, "evaluating sample %zu: the loss is %g (first at %s)", i, l,
               mg_ok(bad) ? mg_describe(ctx, bad, what, sizeof what) : "?");
    mg_ctx_reset(ctx, mark);
    return MG_STATUS_NUMERIC;
}

mg_status mg__evaluate_eager(mg_ctx *ctx, mg__sample *s, const mg_dataset *d, mg_metrics *res,
                             mg_err *err) {
    mg__tally t = {0, 0, 0.0, 0.0, 0.0};
    for (size_t i = 0; i < d->n; i++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value loss = mg__sample_build(ctx, s, d, i);
        if (!mg_ok(loss)) {
            mg_err_set(err, MG_STATUS_NOMEM, "evaluating sample %zu: %s", i, mg_ctx_errmsg(ctx));
            mg_ctx_reset(ctx, mark);
            return MG_STATUS_NOMEM;
        }
        double l = mg_data(ctx, loss);
        const double *out = mg__sample_outputs(ctx, s);
        mg_ctx_reset(ctx, mark);
        if (!isfinite(l)) return nonfinite_sample(ctx, s, d, i, l, err);
        mg__tally_add(&t, s->kind, s->nout, out, d->y[i], l);
    }
    *res = mg__tally_metrics(&t, s->kind);
    return MG_STATUS_OK;
}

mg_status mg__evaluate_replay(mg_ctx *ctx, mg__replay *r, const mg_dataset *d, mg_metrics *res,
                              mg_err *err) {
    mg__tally t = {0, 0, 0.0, 0.0, 0.0};
    mg__sample *s = &r->sample;
    for (size_t s0 = 0; s0 < d->n; s0 += r->cap) {
        size_t k = d->n - s0 < r->cap ? d->n - s0 : r->cap;
        mg_status st = mg__replay_run(r, d, NULL, s0, k, 0.0, err);
        if (st) return st;
        for (size_t j = 0; j < k; j++) {
            double l = r->losses[j];
            if (!isfinite(l)) return nonfinite_sample(ctx, s, d, s0 + j, l, err);
            mg__tally_add(&t, s->kind, s->nout, r->outputs + j * s->nout, d->y[s0 + j], l);
        }
    }
    *res = mg__tally_metrics(&t, s->kind);
    return MG_STATUS_OK;
}

mg_status mg_evaluate(mg_ctx *ctx, const mg_mlp *m, const mg_dataset *d, mg_loss_kind kind,
                      int subtract_max, mg_metrics *res, mg_err *err) {
    mg_status st = mg_train_check(m, d, kind, err);
    if (st) return st;
    if (d->n == 0) return mg_err_set(err, MG_STATUS_INVALID, "cannot evaluate on 0 samples");
    mg__replay r;
    size_t cap = d->n < MG__EVAL_ROWS ? d->n : MG__EVAL_ROWS;
    st = mg__replay_init(&r, ctx, m, kind, subtract_max, d, cap, mg__threads(0), MG_KERNELS_AUTO,
                         err);
    if (st) return st;
    st = mg__evaluate_replay(ctx, &r, d, res, err);
    mg__replay_free(&r);
    return st;
}
