/* train.c - the training loop shared by the demos, the `train` command and the
 * benchmarks, and the evaluation helpers. A step builds one loss graph per sample of the
 * batch above a mark (mg_sample_loss, the unit a compiled path can record once and
 * replay), their mean and the L2 term, runs backward and the optimiser, and resets the
 * tape to the mark: after the first step nothing more is allocated. */
#include "nn_internal.h"

#include <math.h>
#include <time.h>

/* ==== names and defaults ================================================================= */

static const char *const loss_names[] = {
    [MG_LOSS_MSE] = "mse",
    [MG_LOSS_BCE] = "bce",
    [MG_LOSS_HINGE] = "hinge",
    [MG_LOSS_CE] = "ce",
};
#define NLOSSES (sizeof loss_names / sizeof *loss_names)

const char *mg_loss_name(mg_loss_kind kind) {
    return (unsigned)kind < NLOSSES ? loss_names[kind] : "?";
}

int mg_loss_parse(const char *s, mg_loss_kind *kind) {
    for (size_t i = 0; s && i < NLOSSES; i++)
        if (!strcmp(s, loss_names[i])) {
            *kind = (mg_loss_kind)i;
            return 1;
        }
    return 0;
}

void mg_train_config_init(mg_train_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->loss = MG_LOSS_MSE;
    cfg->subtract_max = 1;
    cfg->l2 = 0.0;
    mg_optim_config_init(&cfg->optim, MG_OPTIM_SGD);
    cfg->steps = 0;
    cfg->epochs = 1;
    cfg->batch_size = 0;
    cfg->shuffle = 1;
    cfg->eval_every = 0;
    cfg->rng = NULL;
    cfg->callback = NULL;
    cfg->user = NULL;
    cfg->eager = 0;
    cfg->threads = 0;
    cfg->kernels = MG_KERNELS_AUTO;
}

/* ==== checking a model against a dataset ================================================= */

mg_status mg_train_check(const mg_mlp *m, const mg_dataset *d, mg_loss_kind kind, mg_err *err) {
    if ((unsigned)kind >= NLOSSES)
        return mg_err_set(err, MG_STATUS_INVALID, "unknown loss (%d)", (int)kind);
    if (d->nfeat != m->nin)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "the model takes %zu inputs but the data has %zu features", m->nin,
                          d->nfeat);
    size_t nout = mg_mlp_nout(m), want = kind == MG_LOSS_CE ? d->nclasses : 1;
    if (kind == MG_LOSS_MSE && d->nclasses != 0)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "loss mse needs regression targets, the data has %zu classes",
                          d->nclasses);
    if ((kind == MG_LOSS_BCE || kind == MG_LOSS_HINGE) && d->nclasses != 2)
        return mg_err_set(err, MG_STATUS_INVALID, "loss %s needs 2 classes, the data has %zu",
                          loss_names[kind], d->nclasses);
    if (kind == MG_LOSS_CE && d->nclasses < 2)
        return mg_err_set(err, MG_STATUS_INVALID, "loss ce needs 2 or more classes, the data has %zu",
                          d->nclasses);
    if (nout != want)
        return mg_err_set(err, MG_STATUS_INVALID, "loss %s needs %zu outputs, the model has %zu",
                          loss_names[kind], want, nout);
    for (size_t i = 0; i < d->n; i++) {
        for (size_t k = 0; k < d->nfeat; k++)
            if (!isfinite(d->x[i * d->nfeat + k]))
                return mg_err_set(err, MG_STATUS_INVALID, "row %zu: feature %zu is not finite", i,
                                  k);
        double y = d->y[i];
        if (kind == MG_LOSS_MSE ? !isfinite(y)
                                : !(y >= 0.0 && y < (double)d->nclasses && y == floor(y)))
            return mg_err_set(err, MG_STATUS_INVALID, "row %zu: target %g is not %s", i, y,
                              kind == MG_LOSS_MSE ? "finite" : "a class of the data");
    }
    return MG_STATUS_OK;
}

/* ==== one sample ========================================================================= */

mg_value mg_sample_loss(mg_ctx *ctx, mg_mlp *m, mg_loss_kind kind, int subtract_max,
                        const mg_dataset *d, size_t i, mg_value *out) {
    MG_ASSERT(i < d->n && d->nfeat == m->nin, "sample out of range or of the wrong width");
    const double *row = d->x + i * d->nfeat;
    double y = d->y[i];
    mg_value *x = mg__mlp_input_slots(m);
    if (!out) out = mg__mlp_output_slots(m);
    for (size_t k = 0; k < m->nin; k++)
        if (!mg_ok(x[k] = mg_input(ctx, row[k]))) return MG_NULL;
    if (!mg_mlp_forward(ctx, m, x, out)) return MG_NULL;

    /* Targets are inputs too, so the graph has the same shape whatever the sample. */
    switch (kind) {
    case MG_LOSS_MSE: {
        mg_value t = mg_input(ctx, y);
        return mg_ok(t) ? mg_loss_mse(ctx, 1, out, &t) : MG_NULL;
    }
    case MG_LOSS_BCE: return mg_loss_bce_logit(ctx, out[0], mg_input(ctx, y));
    case MG_LOSS_HINGE: return mg_loss_hinge(ctx, out[0], mg_input(ctx, 2.0 * y - 1.0));
    case MG_LOSS_CE: break;
    }
    MG_ASSERT(kind == MG_LOSS_CE, "unknown loss");
    size_t k = d->nclasses;
    mg_value small[32], *onehot = k <= 32 ? small : mg__malloc(mg__mul_size(k, sizeof *onehot));
    mg_value loss = MG_NULL;
    if (!onehot) {
        mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory for %zu one-hot targets", k);
        return MG_NULL;
    }
    size_t c = 0;
    for (; c < k; c++)
        if (!mg_ok(onehot[c] = mg_input(ctx, (double)c == y ? 1.0 : 0.0))) break;
    if (c == k) loss = mg_loss_softmax_ce(ctx, k, out, onehot, subtract_max);
    if (onehot != small) mg__free(onehot);
    return loss;
}

int mg_prediction_correct(mg_loss_kind kind, size_t nout, const double *out, double y) {
    switch (kind) {
    case MG_LOSS_MSE: return 0;
    case MG_LOSS_BCE:
    case MG_LOSS_HINGE: return (out[0] > 0.0) == (y > 0.5);
    case MG_LOSS_CE: {
        size_t best = 0;
        for (size_t k = 1; k < nout; k++)
            if (out[k] > out[best]) best = k;
        return (double)best == y;
    }
    }
    return 0;
}

/* Running totals of a loss and its metric over samples. */
typedef struct tally {
    size_t n, correct;
    double loss, sqerr;
} tally;

static void tally_add(tally *t, mg_ctx *ctx, mg_loss_kind kind, size_t nout, const mg_value *out,
                      double y, double loss) {
    double o[64];
    size_t k = nout < 64 ? nout : 64;
    for (size_t j = 0; j < k; j++) o[j] = mg_data(ctx, out[j]);
    if (kind == MG_LOSS_CE && nout > 64) {
        /* Wide outputs: find the argmax straight from the tape. */
        size_t best = 0;
        for (size_t j = 1; j < nout; j++)
            if (mg_data(ctx, out[j]) > mg_data(ctx, out[best])) best = j;
        t->correct += (double)best == y;
    } else {
        t->correct += (size_t)mg_prediction_correct(kind, nout, o, y);
    }
    if (kind == MG_LOSS_MSE) t->sqerr += (o[0] - y) * (o[0] - y);
    t->loss += loss;
    t->n++;
}

/* The reference's mean: (0 + l_1 + ... + l_n) * (1/n), the same rounding as a sum value
 * times a constant on the tape. */
static mg_metrics tally_metrics(const tally *t, mg_loss_kind kind) {
    mg_metrics r;
    double inv = 1.0 / (double)t->n;
    r.n = t->n;
    r.loss = t->loss * inv;
    r.correct = kind == MG_LOSS_MSE ? 0 : t->correct;
    r.accuracy = kind == MG_LOSS_MSE ? NAN : (double)t->correct * inv;
    r.rmse = kind == MG_LOSS_MSE ? sqrt(t->sqerr * inv) : NAN;
    return r;
}

/* ==== evaluation ========================================================================= */

/* mg_evaluate after the checks, with an output buffer of nout handles. */
static mg_status evaluate(mg_ctx *ctx, mg_mlp *m, const mg_dataset *d, mg_loss_kind kind,
                          int subtract_max, mg_value *out, mg_metrics *res, mg_err *err) {
    tally t = {0, 0, 0.0, 0.0};
    size_t nout = mg_mlp_nout(m);
    for (size_t i = 0; i < d->n; i++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value loss = mg_sample_loss(ctx, m, kind, subtract_max, d, i, out);
        if (!mg_ok(loss)) {
            mg_err_set(err, MG_STATUS_NOMEM, "evaluating sample %zu: %s", i, mg_ctx_errmsg(ctx));
            mg_ctx_reset(ctx, mark);
            return MG_STATUS_NOMEM;
        }
        double l = mg_data(ctx, loss);
        if (!isfinite(l)) {
            char what[160];
            mg_value bad = mg_find_nonfinite(ctx, mark.nvalues, 0);
            mg_err_set(err, MG_STATUS_NUMERIC, "evaluating sample %zu: the loss is %g (first at %s)",
                       i, l, mg_ok(bad) ? mg_describe(ctx, bad, what, sizeof what) : "?");
            mg_ctx_reset(ctx, mark);
            return MG_STATUS_NUMERIC;
        }
        tally_add(&t, ctx, kind, nout, out, d->y[i], l);
        mg_ctx_reset(ctx, mark);
    }
    *res = tally_metrics(&t, kind);
    return MG_STATUS_OK;
}

mg_status mg_evaluate(mg_ctx *ctx, mg_mlp *m, const mg_dataset *d, mg_loss_kind kind,
                      int subtract_max, mg_metrics *res, mg_err *err) {
    mg_status st = mg_train_check(m, d, kind, err);
    if (st) return st;
    if (d->n == 0) return mg_err_set(err, MG_STATUS_INVALID, "cannot evaluate on 0 samples");
    mg_value *out = mg__malloc(mg__mul_size(mg_mlp_nout(m), sizeof *out));
    if (!out) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory evaluating a model");
    st = evaluate(ctx, m, d, kind, subtract_max, out, res, err);
    mg__free(out);
    return st;
}

/* ==== the training loop ================================================================== */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Everything a run allocates, once, before its first step. */
typedef struct train_state {
    mg_optim *optim;
    size_t *order;    /* [n] sample order of the current epoch */
    mg_value *losses; /* [batch] per-sample losses of a step */
    mg_value *out;    /* [nout] a sample's outputs */
} train_state;

static void train_state_free(train_state *s) {
    mg_optim_free(s->optim);
    mg__free(s->order);
    mg__free(s->losses);
    mg__free(s->out);
}

static mg_status check_config(const mg_train_config *cfg, mg_err *err) {
    if ((unsigned)cfg->loss >= NLOSSES)
        return mg_err_set(err, MG_STATUS_INVALID, "unknown loss (%d)", (int)cfg->loss);
    if (!(isfinite(cfg->l2) && cfg->l2 >= 0.0))
        return mg_err_set(err, MG_STATUS_INVALID, "l2 must be finite and >= 0, got %g", cfg->l2);
    if (cfg->steps == 0 && cfg->epochs == 0)
        return mg_err_set(err, MG_STATUS_INVALID, "training needs steps > 0 or epochs > 0");
    return MG_STATUS_OK;
}

/* One step's loss graph: per-sample losses of the batch, their mean, the L2 term. Fills the
 * batch's tally; MG_NULL when out of memory. */
static mg_value build_batch_loss(mg_ctx *ctx, mg_mlp *m, const mg_train_config *cfg,
                                 const mg_dataset *d, const size_t *rows, size_t nb,
                                 train_state *s, tally *t, mg_value *data_loss) {
    size_t nout = mg_mlp_nout(m);
    for (size_t j = 0; j < nb; j++) {
        size_t i = rows[j];
        s->losses[j] = mg_sample_loss(ctx, m, cfg->loss, cfg->subtract_max, d, i, s->out);
        if (!mg_ok(s->losses[j])) return MG_NULL;
        tally_add(t, ctx, cfg->loss, nout, s->out, d->y[i], mg_data(ctx, s->losses[j]));
    }
    mg_value loss = *data_loss = mg_loss_mean(ctx, nb, s->losses);
    if (cfg->l2 > 0.0) loss = mg_add(ctx, loss, mg_loss_l2(ctx, m->nparams, m->params, cfg->l2));
    return loss;
}

/* The error for a non-finite loss or gradient at step k. */
static mg_status numeric_error(mg_ctx *ctx, size_t from, int grads, size_t step, mg_err *err) {
    char what[160];
    mg_value bad = mg_find_nonfinite(ctx, from, grads);
    return mg_err_set(err, MG_STATUS_NUMERIC, "step %zu: the %s is not finite; first at %s", step,
                      grads ? "gradient" : "loss",
                      mg_ok(bad) ? mg_describe(ctx, bad, what, sizeof what) : "?");
}

mg_status mg_train(mg_ctx *ctx, mg_mlp *m, const mg_dataset *train, const mg_dataset *val,
                   const mg_train_config *cfg, mg_train_result *res, mg_err *err) {
    mg_train_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    res->train.loss = res->val.loss = NAN;
    mg_status st = check_config(cfg, err);
    if (!st) st = mg_train_check(m, train, cfg->loss, err);
    if (!st && val) st = mg_train_check(m, val, cfg->loss, err);
    if (st) return st;
    if (train->n == 0 || train->n > UINT32_MAX)
        return mg_err_set(err, MG_STATUS_INVALID, "training needs 1 to 2^32-1 samples, got %zu",
                          train->n);
    if (val && val->n == 0)
        return mg_err_set(err, MG_STATUS_INVALID, "the validation set is empty");

    size_t n = train->n;
    size_t nb = cfg->batch_size == 0 || cfg->batch_size > n ? n : cfg->batch_size;
    size_t per_epoch = (n + nb - 1) / nb;
    size_t nsteps = cfg->steps;
    if (nsteps == 0) {
        if (cfg->epochs > SIZE_MAX / per_epoch)
            return mg_err_set(err, MG_STATUS_INVALID, "too many epochs (%zu)", cfg->epochs);
        nsteps = cfg->epochs * per_epoch;
    }
    mg_optim_config ocfg = cfg->optim;
    if (ocfg.schedule == MG_LR_LINEAR && ocfg.steps == 0) ocfg.steps = nsteps;

    train_state s = {NULL, NULL, NULL, NULL};
    mg_err oerr;
    s.optim = mg_optim_new(&ocfg, m->nparams, &oerr);
    if (!s.optim) {
        if (err) *err = oerr;
        return oerr.status;
    }
    s.order = mg__malloc(mg__mul_size(n, sizeof *s.order));
    s.losses = mg__malloc(mg__mul_size(nb, sizeof *s.losses));
    s.out = mg__malloc(mg__mul_size(mg_mlp_nout(m), sizeof *s.out));
    if (!s.order || !s.losses || !s.out) {
        train_state_free(&s);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory setting up training");
    }
    for (size_t i = 0; i < n; i++) s.order[i] = i;
    mg_rng *rng = cfg->rng ? cfg->rng : mg_ctx_rng(ctx);
    int shuffle = cfg->shuffle && nb < n;
    size_t param0 = mg_index(ctx, m->first);
    mg_mark base = mg_ctx_mark(ctx);
    double t0 = now_seconds();
    size_t pos = 0, epoch = 0;

    for (size_t step = 0; step < nsteps; step++) {
        mg_train_progress p;
        memset(&p, 0, sizeof p);
        if (pos == 0 && shuffle)
            for (size_t i = n; i > 1; i--) {
                size_t j = mg_rng_below(rng, (uint32_t)i), tmp = s.order[i - 1];
                s.order[i - 1] = s.order[j];
                s.order[j] = tmp;
            }
        if (val && cfg->eval_every && step % cfg->eval_every == 0) {
            st = evaluate(ctx, m, val, cfg->loss, cfg->subtract_max, s.out, &p.val, err);
            if (st) break;
            p.has_val = 1;
        }
        size_t bsz = n - pos < nb ? n - pos : nb;
        tally t = {0, 0, 0.0, 0.0};
        mg_value data_loss;
        mg_value loss = build_batch_loss(ctx, m, cfg, train, s.order + pos, bsz, &s, &t, &data_loss);
        if (!mg_ok(loss)) {
            st = mg_err_set(err, MG_STATUS_NOMEM, "step %zu: %s", step, mg_ctx_errmsg(ctx));
            break;
        }
        p.loss = mg_data(ctx, loss);
        p.data_loss = mg_data(ctx, data_loss);
        if (!isfinite(p.loss)) {
            st = numeric_error(ctx, base.nvalues, 0, step, err);
            break;
        }
        mg_mlp_zero_grad(ctx, m);
        mg_backward(ctx, loss);
        const double *g = mg_grad_ptr(ctx, m->first);
        for (size_t i = 0; i < m->nparams && !st; i++)
            if (!isfinite(g[i])) st = numeric_error(ctx, param0, 1, step, err);
        if (st) break;
        p.lr = mg_optim_step(s.optim, ctx, m->first, m->nparams);
        mg_ctx_reset(ctx, base);

        p.step = step;
        p.nsteps = nsteps;
        p.epoch = epoch;
        p.batch = bsz;
        p.batch_metrics = tally_metrics(&t, cfg->loss);
        p.elapsed = now_seconds() - t0;
        res->steps = step + 1;
        pos += bsz;
        if (pos == n) pos = 0, epoch++;
        if (cfg->callback && cfg->callback(cfg->user, &p)) {
            res->stopped = 1;
            break;
        }
    }
    res->seconds = now_seconds() - t0;
    mg_ctx_reset(ctx, base);
    if (!st) st = evaluate(ctx, m, train, cfg->loss, cfg->subtract_max, s.out, &res->train, err);
    if (!st && val) st = evaluate(ctx, m, val, cfg->loss, cfg->subtract_max, s.out, &res->val, err);
    train_state_free(&s);
    return st;
}
