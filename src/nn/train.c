/* train.c - the training loop shared by the demos, the `train` command and the
 * benchmarks, and the evaluation helpers. A step builds one loss graph per sample of the
 * batch above a mark (mg_sample_loss, the unit a compiled path can record once and
 * replay), their mean and the L2 term, runs backward and the optimiser, and resets the
 * tape to the mark: after the first step nothing more is allocated. */
#include "nn_internal.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

/* ==== defaults ========================================================================== */

void mg_train_config_init(mg_train_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->loss = MG_LOSS_KIND_MSE;
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
    cfg->check_numerics = 0;
    cfg->resume = NULL;
}

/* ==== checking a model against a dataset ================================================= */

mg_status mg_train_check(const mg_mlp *m, const mg_dataset *d, mg_loss_kind kind, mg_err *err) {
    mg_status st = mg__loss_kind_check(kind, err);
    if (st) return st;
    if (d->nfeat != m->nin)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "the model takes %zu inputs but the data has %zu features", m->nin,
                          d->nfeat);
    size_t nout = mg_mlp_nout(m), want = kind == MG_LOSS_KIND_CE ? d->nclasses : 1;
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
    switch (kind) {
    case MG_LOSS_KIND_MSE: return 0;
    case MG_LOSS_KIND_BCE:
    case MG_LOSS_KIND_HINGE: return (out[0] > 0.0) == (y > 0.5);
    case MG_LOSS_KIND_CE: {
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

static void tally_add(tally *t, mg_loss_kind kind, size_t nout, const double *out, double y,
                      double loss) {
    t->correct += (size_t)mg_prediction_correct(kind, nout, out, y);
    if (kind == MG_LOSS_KIND_MSE) t->sqerr += (out[0] - y) * (out[0] - y);
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
    r.correct = kind == MG_LOSS_KIND_MSE ? 0 : t->correct;
    r.accuracy = kind == MG_LOSS_KIND_MSE ? NAN : (double)t->correct * inv;
    r.rmse = kind == MG_LOSS_KIND_MSE ? sqrt(t->sqerr * inv) : NAN;
    return r;
}

static void read_outputs(const mg_ctx *ctx, size_t nout, const mg_value *out, double *buf) {
    for (size_t j = 0; j < nout; j++) buf[j] = mg_data(ctx, out[j]);
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

/* Eagerly: one sample's graph at a time above a mark. outd has room for s->nout numbers. */
static mg_status evaluate_eager(mg_ctx *ctx, mg__sample *s, const mg_dataset *d, double *outd,
                                mg_metrics *res, mg_err *err) {
    tally t = {0, 0, 0.0, 0.0};
    for (size_t i = 0; i < d->n; i++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value loss = mg__sample_build(ctx, s, d, i);
        if (!mg_ok(loss)) {
            mg_err_set(err, MG_STATUS_NOMEM, "evaluating sample %zu: %s", i, mg_ctx_errmsg(ctx));
            mg_ctx_reset(ctx, mark);
            return MG_STATUS_NOMEM;
        }
        double l = mg_data(ctx, loss);
        read_outputs(ctx, s->nout, s->out, outd);
        mg_ctx_reset(ctx, mark);
        if (!isfinite(l)) return nonfinite_sample(ctx, s, d, i, l, err);
        tally_add(&t, s->kind, s->nout, outd, d->y[i], l);
    }
    *res = tally_metrics(&t, s->kind);
    return MG_STATUS_OK;
}

/* Through a compiled tape, r->cap samples per replay. */
static mg_status evaluate_replay(mg_ctx *ctx, const mg_dataset *d, mg__replay *r,
                                 mg_metrics *res, mg_err *err) {
    tally t = {0, 0, 0.0, 0.0};
    mg__sample *s = &r->sample;
    for (size_t s0 = 0; s0 < d->n; s0 += r->cap) {
        size_t k = d->n - s0 < r->cap ? d->n - s0 : r->cap;
        mg_status st = mg__replay_run(r, d, NULL, s0, k, 0.0, err);
        if (st) return st;
        for (size_t j = 0; j < k; j++) {
            double l = r->losses[j];
            if (!isfinite(l)) return nonfinite_sample(ctx, s, d, s0 + j, l, err);
            tally_add(&t, s->kind, s->nout, r->outputs + j * s->nout, d->y[s0 + j], l);
        }
    }
    *res = tally_metrics(&t, s->kind);
    return MG_STATUS_OK;
}

enum { EVAL_ROWS = 256 }; /* samples per replay when evaluating */

mg_status mg_evaluate(mg_ctx *ctx, const mg_mlp *m, const mg_dataset *d, mg_loss_kind kind,
                      int subtract_max, mg_metrics *res, mg_err *err) {
    mg_status st = mg_train_check(m, d, kind, err);
    if (st) return st;
    if (d->n == 0) return mg_err_set(err, MG_STATUS_INVALID, "cannot evaluate on 0 samples");
    mg__replay r;
    st = mg__replay_init(&r, ctx, m, kind, subtract_max, d, d->n < EVAL_ROWS ? d->n : EVAL_ROWS,
                         mg__threads(0), MG_KERNELS_AUTO, err);
    if (st) return st;
    st = evaluate_replay(ctx, d, &r, res, err);
    mg__replay_free(&r);
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
    mg__sample sample; /* the graphs of the eager path, and of naming a non-finite value */
    mg_value *losses; /* [batch] per-sample losses of a step (eager) */
    double *outd;     /* [nout] a sample's outputs (eager) */
    int compiled;     /* 1: the replay below runs the steps and evaluations */
    mg__replay replay;
} train_state;

static void train_state_free(train_state *s) {
    mg_optim_free(s->optim);
    mg__free(s->order);
    mg__sample_free(&s->sample);
    mg__free(s->losses);
    mg__free(s->outd);
    mg__replay_free(&s->replay);
}

static mg_status check_config(const mg_train_config *cfg, mg_err *err) {
    mg_status st = mg__loss_kind_check(cfg->loss, err);
    if (st) return st;
    if (!(isfinite(cfg->l2) && cfg->l2 >= 0.0))
        return mg_err_set(err, MG_STATUS_INVALID, "l2 must be finite and >= 0, got %g", cfg->l2);
    if (cfg->steps == 0 && cfg->epochs == 0)
        return mg_err_set(err, MG_STATUS_INVALID, "training needs steps > 0 or epochs > 0");
    if (cfg->threads < 0)
        return mg_err_set(err, MG_STATUS_INVALID, "threads must be >= 0, got %d", cfg->threads);
    return MG_STATUS_OK;
}

static mg_status evaluate_set(mg_ctx *ctx, const mg_dataset *d, train_state *s,
                              mg_metrics *res, mg_err *err) {
    if (s->compiled) return evaluate_replay(ctx, d, &s->replay, res, err);
    return evaluate_eager(ctx, &s->sample, d, s->outd, res, err);
}

/* The error for a non-finite loss or gradient at step k. */
static mg_status numeric_error(mg_ctx *ctx, size_t from, int grads, size_t step, mg_err *err) {
    char what[160];
    mg_value bad = mg_find_nonfinite(ctx, from, grads);
    return mg_err_set(err, MG_STATUS_NUMERIC, "step %zu: the %s is not finite; first at %s", step,
                      grads ? "gradient" : "loss",
                      mg_ok(bad) ? mg_describe(ctx, bad, what, sizeof what) : "?");
}

/* The context's failure during step k (sample i, or SIZE_MAX for the batch): out of
 * memory, or a non-finite value caught by mg_ctx_check_numerics. */
static mg_status ctx_error(const mg_ctx *ctx, size_t step, size_t i, mg_err *err) {
    mg_status st = mg_ctx_status(ctx) == MG_STATUS_NUMERIC ? MG_STATUS_NUMERIC : MG_STATUS_NOMEM;
    if (i == SIZE_MAX) return mg_err_set(err, st, "step %zu: %s", step, mg_ctx_errmsg(ctx));
    return mg_err_set(err, st, "step %zu, sample %zu: %s", step, i, mg_ctx_errmsg(ctx));
}

/* The numbers of a step: the batch loss (mean + L2), the mean alone, the batch's tally. */
typedef struct step_result {
    double loss, data_loss;
    tally t;
} step_result;

/* Eagerly: per-sample loss graphs of the batch, their mean and the L2 term above the
 * mark, backward into the parameters' grads. */
static mg_status eager_step(mg_ctx *ctx, mg_mlp *m, const mg_train_config *cfg,
                            const mg_dataset *d, const size_t *rows, size_t nb, train_state *s,
                            size_t step, step_result *r, mg_err *err) {
    size_t nout = mg_mlp_nout(m), from = mg_ctx_size(ctx);
    for (size_t j = 0; j < nb; j++) {
        size_t i = rows[j];
        s->losses[j] = mg__sample_build(ctx, &s->sample, d, i);
        if (!mg_ok(s->losses[j])) return ctx_error(ctx, step, i, err);
        read_outputs(ctx, nout, s->sample.out, s->outd);
        tally_add(&r->t, cfg->loss, nout, s->outd, d->y[i], mg_data(ctx, s->losses[j]));
    }
    mg_value data_loss = mg_loss_mean(ctx, nb, s->losses);
    mg_value loss = data_loss;
    if (cfg->l2 > 0.0) loss = mg_add(ctx, loss, mg_loss_l2(ctx, m->nparams, m->params, cfg->l2));
    if (!mg_ok(loss)) return ctx_error(ctx, step, SIZE_MAX, err);
    r->loss = mg_data(ctx, loss);
    r->data_loss = mg_data(ctx, data_loss);
    if (!isfinite(r->loss)) return numeric_error(ctx, from, 0, step, err);
    mg_mlp_zero_grad(ctx, m);
    mg_backward(ctx, loss);
    if (mg_ctx_status(ctx)) return ctx_error(ctx, step, SIZE_MAX, err);
    const double *g = mg_grad_ptr(ctx, m->first);
    for (size_t i = 0; i < m->nparams; i++)
        if (!isfinite(g[i])) return numeric_error(ctx, mg_index(ctx, m->first), 1, step, err);
    return MG_STATUS_OK;
}

/* After a compiled replay found a loss or gradient that is not finite: the samples'
 * graphs built again one at a time (so the memory stays one sample's) name the first
 * value that went wrong by its op and label, as the eager path does. MG_STATUS_NUMERIC
 * with that message, MG_STATUS_NOMEM, or MG_STATUS_OK when every sample is finite on its
 * own (the sum overflowed: the caller keeps the replay's message). */
static mg_status name_nonfinite(mg_ctx *ctx, const mg_mlp *m, train_state *s,
                                const mg_dataset *d, const size_t *rows, size_t nb, size_t step,
                                mg_err *err) {
    const double *g = mg_grad_ptr(ctx, m->first);
    mg_status st = MG_STATUS_OK;
    for (size_t j = 0; j < nb && !st; j++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value loss = mg__sample_build(ctx, &s->sample, d, rows[j]);
        if (!mg_ok(loss)) {
            st = ctx_error(ctx, step, rows[j], err);
        } else if (!isfinite(mg_data(ctx, loss))) {
            st = numeric_error(ctx, mark.nvalues, 0, step, err);
        } else {
            mg_mlp_zero_grad(ctx, m);
            mg_backward(ctx, loss);
            for (size_t i = 0; i < m->nparams && !st; i++)
                if (!isfinite(g[i])) st = numeric_error(ctx, mg_index(ctx, m->first), 1, step, err);
        }
        mg_ctx_reset(ctx, mark);
    }
    return st;
}

/* Through the compiled tape: the L2 term's value and gradient first (as the eager
 * backward reaches it first: alpha * (p . p), whose dot adds alpha * p twice), then the
 * batch replayed in pieces of at most the replay's rows, each adding 1/nb of its summed
 * gradients. */
static mg_status compiled_step(mg_ctx *ctx, mg_mlp *m, const mg_train_config *cfg,
                               const mg_dataset *d, const size_t *rows, size_t nb,
                               train_state *s, size_t step, step_result *r, mg_err *err) {
    mg__replay *rp = &s->replay;
    size_t nout = rp->sample.nout;
    double l2 = 0.0, sum = 0.0, scale = 1.0 / (double)nb;
    mg_mlp_zero_grad(ctx, m);
    if (cfg->l2 > 0.0) {
        const double *p = mg_data_ptr(ctx, m->first);
        double *g = mg_grad_ptr(ctx, m->first), dot = 0.0, a = cfg->l2;
        for (size_t i = 0; i < m->nparams; i++) {
            dot += p[i] * p[i];
            g[i] += p[i] * a;
            g[i] += p[i] * a;
        }
        l2 = dot * a;
    }
    for (size_t j0 = 0; j0 < nb; j0 += rp->cap) {
        size_t k = nb - j0 < rp->cap ? nb - j0 : rp->cap;
        mg_err e;
        mg_status st = mg__replay_run(rp, d, rows + j0, 0, k, scale, &e);
        if (st == MG_STATUS_NUMERIC) {
            st = name_nonfinite(ctx, m, s, d, rows, nb, step, err);
            if (st) return st;
            return mg_err_set(err, MG_STATUS_NUMERIC, "step %zu: batch row %zu: %s", step, j0,
                              e.msg);
        }
        if (st) return mg_err_set(err, st, "step %zu: %s", step, e.msg);
        for (size_t q = 0; q < k; q++) {
            sum += rp->losses[q];
            tally_add(&r->t, cfg->loss, nout, rp->outputs + q * nout, d->y[rows[j0 + q]],
                      rp->losses[q]);
        }
    }
    r->data_loss = sum * scale;
    r->loss = cfg->l2 > 0.0 ? r->data_loss + l2 : r->data_loss;
    if (!isfinite(r->loss))
        return mg_err_set(err, MG_STATUS_NUMERIC, "step %zu: the loss is %g", step, r->loss);
    return MG_STATUS_OK;
}

/* ==== resuming ============================================================================ */

mg_train_state *mg_train_state_copy(const mg_train_state *src) {
    mg_train_state *d = mg__calloc(1, sizeof *d);
    if (!d) return NULL;
    *d = *src;
    d->order = NULL, d->optim_m = d->optim_v = NULL;
    d->order = mg__malloc(mg__mul_size(src->nsamples, sizeof *d->order));
    if (src->optim_m) d->optim_m = mg__malloc(mg__mul_size(src->nparams, sizeof *d->optim_m));
    if (src->optim_v) d->optim_v = mg__malloc(mg__mul_size(src->nparams, sizeof *d->optim_v));
    if (!d->order || (src->optim_m && !d->optim_m) || (src->optim_v && !d->optim_v)) {
        mg_train_state_free(d);
        return NULL;
    }
    memcpy(d->order, src->order, src->nsamples * sizeof *d->order);
    if (src->optim_m) memcpy(d->optim_m, src->optim_m, src->nparams * sizeof *d->optim_m);
    if (src->optim_v) memcpy(d->optim_v, src->optim_v, src->nparams * sizeof *d->optim_v);
    return d;
}

void mg_train_state_free(mg_train_state *s) {
    if (!s) return;
    mg__free(s->order);
    mg__free(s->optim_m);
    mg__free(s->optim_v);
    mg__free(s);
}

/* Checks that r fits this run (its data, model, optimiser and plan) and puts training
 * where r says: the order, the generator, the optimiser. */
static mg_status resume_from(const mg_train_state *r, mg_optim *o, mg_rng *rng, size_t *order,
                             size_t n, size_t nb, size_t nparams, size_t nsteps, mg_err *err) {
    const mg_optim_config *oc = mg_optim_config_of(o);
    int needs_m = oc->kind != MG_OPTIM_SGD, needs_v = oc->kind == MG_OPTIM_ADAMW;
    if (r->nsamples != n)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "cannot resume: the state is of %zu training samples, the data has %zu",
                          r->nsamples, n);
    if (r->nparams != nparams)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "cannot resume: the state is of %zu parameters, the model has %zu",
                          r->nparams, nparams);
    if ((needs_m && !r->optim_m) || (needs_v && !r->optim_v) || r->optim_t != r->step)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "cannot resume: the state is not of a %s optimiser at step %zu",
                          mg_optim_name(oc->kind), r->step);
    if (r->step > nsteps || r->pos >= n || r->pos % nb != 0)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "cannot resume: step %zu at sample %zu does not fit a plan of %zu steps "
                          "of %zu",
                          r->step, r->pos, nsteps, nb);
    /* the order must be a permutation */
    unsigned char *seen = mg__calloc(n, 1);
    if (!seen) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory checking a training state");
    size_t bad = SIZE_MAX;
    for (size_t i = 0; i < n && bad == SIZE_MAX; i++) {
        if (r->order[i] >= n || seen[r->order[i]]) bad = i;
        else seen[r->order[i]] = 1;
    }
    mg__free(seen);
    if (bad != SIZE_MAX)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "cannot resume: the sample order is not a permutation (entry %zu)", bad);
    for (size_t i = 0; i < nparams; i++)
        if ((needs_m && !isfinite(r->optim_m[i])) || (needs_v && !isfinite(r->optim_v[i])))
            return mg_err_set(err, MG_STATUS_NUMERIC,
                              "cannot resume: the optimiser's state is not finite at %zu", i);
    memcpy(order, r->order, n * sizeof *order);
    *rng = r->rng;
    mg__optim_restore(o, r->optim_t, r->optim_m, r->optim_v);
    return MG_STATUS_OK;
}

/* Before an eager run: the tape a step needs (sample 0's graph times the batch) must fit
 * in what the context's cap leaves, or in the machine's memory without a cap; refused up
 * front with the numbers, not after the machine has started swapping. */
static mg_status check_step_memory(mg_ctx *ctx, mg_mlp *m, const mg_train_config *cfg,
                                   const mg_dataset *d, size_t nb, mg_err *err) {
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value loss = mg_sample_loss(ctx, m, cfg->loss, cfg->subtract_max, d, 0, NULL);
    size_t values = mg_ctx_size(ctx) - mark.nvalues, args = ctx->nargs - mark.nargs;
    mg_ctx_reset(ctx, mark);
    if (!mg_ok(loss))
        return mg_err_set(err, MG_STATUS_NOMEM, "a sample's graph does not fit: %s",
                          mg_ctx_errmsg(ctx));
    double need = (double)nb * ((double)values * (MG__BYTES_PER_VALUE + 1) + (double)args * 4);
    double have;
    const char *what;
    if (ctx->max_bytes) {
        size_t used = mg_ctx_bytes(ctx);
        have = used < ctx->max_bytes ? (double)(ctx->max_bytes - used) : 0.0;
        what = "the memory cap leaves";
    } else {
        long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        have = pages > 0 && page > 0 ? (double)pages * (double)page : INFINITY;
        what = "the machine has";
    }
    if (need <= have) return MG_STATUS_OK;
    return mg_err_set(err, MG_STATUS_NOMEM,
                      "a step of %zu samples builds about %.0f values (%zu a sample), %.0f MB; %s "
                      "%.0f MB: use a smaller batch, or the compiled path (not eager), which "
                      "records one sample's graph",
                      nb, (double)nb * (double)values, values, need / 1048576.0, what,
                      have / 1048576.0);
}

/* Allocates s for a run over n samples with batches of nb (on failure s is freed). */
static mg_status train_state_init(train_state *s, mg_ctx *ctx, mg_mlp *m,
                                  const mg_train_config *cfg, const mg_optim_config *ocfg,
                                  const mg_dataset *train, const mg_dataset *val, size_t nb,
                                  mg_err *err) {
    memset(s, 0, sizeof *s);
    mg_err oe;
    s->optim = mg_optim_new(ocfg, m->nparams, &oe);
    if (!s->optim) return mg__err_forward(err, &oe);
    mg_status st;
    size_t nout = mg_mlp_nout(m), n = train->n;
    if ((st = mg__sample_init(&s->sample, m, cfg->loss, cfg->subtract_max, train->nclasses, err))) {
        train_state_free(s);
        return st;
    }
    s->order = mg__malloc(mg__mul_size(n, sizeof *s->order));
    s->outd = mg__malloc(mg__mul_size(nout, sizeof *s->outd));
    if (!cfg->eager && !cfg->check_numerics) {
        /* Rows for a batch, or at least for a good slice of an evaluation, but no copy of a
         * whole large data set for a full-batch step: big batches are replayed in pieces. */
        size_t most = n > (val ? val->n : 0) ? n : val->n, cap = nb > EVAL_ROWS ? nb : EVAL_ROWS;
        if (cap > 1024) cap = 1024;
        if (cap > most) cap = most;
        st = mg__replay_init(&s->replay, ctx, m, cfg->loss, cfg->subtract_max, train,
                                       cap, cfg->threads, cfg->kernels, err);
        if (st) {
            train_state_free(s);
            return st;
        }
        s->compiled = 1;
    }
    s->losses = mg__malloc(mg__mul_size(nb, sizeof *s->losses)); /* also names a compiled
                                                                    step's non-finite value */
    if (!s->order || !s->losses || !s->outd) {
        train_state_free(s);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory setting up training");
    }
    return MG_STATUS_OK;
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
    if (val && val->nclasses != train->nclasses)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "the validation set has %zu classes, the training set %zu",
                          val->nclasses, train->nclasses);

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
    mg_train_config rcfg = *cfg; /* with the thread count settled once */
    rcfg.threads = mg__threads(cfg->threads);
    cfg = &rcfg;
    if (ocfg.threads == 0) ocfg.threads = cfg->threads;

    if ((cfg->eager || cfg->check_numerics) && (st = check_step_memory(ctx, m, cfg, train, nb, err)))
        return st;
    train_state s;
    if ((st = train_state_init(&s, ctx, m, cfg, &ocfg, train, val, nb, err))) return st;
    for (size_t i = 0; i < n; i++) s.order[i] = i;
    mg_rng *rng = cfg->rng ? cfg->rng : mg_ctx_rng(ctx);
    size_t first = 0, pos = 0, epoch = 0;
    if (cfg->resume) {
        st = resume_from(cfg->resume, s.optim, rng, s.order, n, nb, m->nparams, nsteps, err);
        if (st) {
            train_state_free(&s);
            return st;
        }
        first = cfg->resume->step, pos = cfg->resume->pos, epoch = cfg->resume->epoch;
        res->steps = first;
    }
    mg_train_state snap; /* what the callback sees */
    memset(&snap, 0, sizeof snap);
    snap.nsamples = n;
    snap.order = s.order;
    snap.nparams = m->nparams;
    int shuffle = cfg->shuffle && nb < n;
    mg_mark base = mg_ctx_mark(ctx);
    int checked_before = ctx->check_numerics;
    if (cfg->check_numerics) mg_ctx_check_numerics(ctx, 1);
    double t0 = now_seconds();

    for (size_t step = first; step < nsteps; step++) {
        mg_train_progress p;
        memset(&p, 0, sizeof p);
        if (pos == 0 && shuffle) mg__shuffle_indices(rng, s.order, n);
        if (val && cfg->eval_every && step % cfg->eval_every == 0) {
            if ((st = evaluate_set(ctx, val, &s, &p.val, err))) break;
            p.has_val = 1;
        }
        size_t bsz = n - pos < nb ? n - pos : nb;
        step_result r = {0.0, 0.0, {0, 0, 0.0, 0.0}};
        st = s.compiled ? compiled_step(ctx, m, cfg, train, s.order + pos, bsz, &s, step, &r, err)
                        : eager_step(ctx, m, cfg, train, s.order + pos, bsz, &s, step, &r, err);
        if (st) break;
        p.loss = r.loss;
        p.data_loss = r.data_loss;
        p.lr = mg_optim_step(s.optim, ctx, m->first, m->nparams);
        mg_ctx_reset(ctx, base);

        p.step = step;
        p.nsteps = nsteps;
        p.epoch = epoch;
        p.batch = bsz;
        p.batch_metrics = tally_metrics(&r.t, cfg->loss);
        p.elapsed = now_seconds() - t0;
        res->steps = step + 1;
        pos += bsz;
        if (pos == n) pos = 0, epoch++;
        snap.step = step + 1;
        snap.epoch = epoch;
        snap.pos = pos;
        snap.rng = *rng;
        const double *om, *ov;
        snap.optim_t = mg__optim_state(s.optim, &om, &ov);
        snap.optim_m = (double *)om;
        snap.optim_v = (double *)ov;
        p.state = &snap;
        if (cfg->callback && cfg->callback(cfg->user, &p)) {
            res->stopped = 1;
            break;
        }
    }
    res->seconds = now_seconds() - t0;
    mg_ctx_reset(ctx, base);
    if (cfg->check_numerics) {
        /* The failure is in err; the context goes on as it was. */
        mg_ctx_check_numerics(ctx, checked_before);
        if (mg_ctx_status(ctx) == MG_STATUS_NUMERIC) mg_ctx_clear_status(ctx);
    }
    if (!st) st = evaluate_set(ctx, train, &s, &res->train, err);
    if (!st && val) st = evaluate_set(ctx, val, &s, &res->val, err);
    train_state_free(&s);
    return st;
}
