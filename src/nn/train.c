/* train.c - the training loop shared by the demos, the `train` command and the
 * benchmarks. A run is planned (batch, steps), set up once (optimiser, sample order, the
 * buffers of the sample graphs, the compiled replay), then stepped: each step builds one
 * loss graph per sample of the batch above a mark (sample.c) or replays the recorded one
 * over the batch (replay_bridge.c), adds the L2 term, runs backward and the optimiser and
 * resets the tape to the mark, so after the first step nothing more is allocated; after
 * each step the callback sees the numbers and where the run is (train_state.c). */
#include "nn_internal.h"

#include "core/collective.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

/* ==== configuration and plan ============================================================= */

void mg_train_config_init(mg_train_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->loss = MG_LOSS_KIND_MSE;
    cfg->subtract_max = 1;
    cfg->l2 = 0.0;
    mg_optim_config_init(&cfg->optim, MG_OPTIM_ADAMW);
    cfg->optim.lr = MG_TRAIN_DEFAULT_LR;
    cfg->optim.schedule = MG_LR_AUTO;
    cfg->steps = 0;
    cfg->epochs = MG_TRAIN_DEFAULT_EPOCHS;
    cfg->batch_size = MG_TRAIN_DEFAULT_BATCH;
    cfg->shuffle = 1;
    cfg->eval_every = 0;
    cfg->rng = NULL;
    cfg->callback = NULL;
    cfg->user = NULL;
    cfg->eager = 0;
    cfg->threads = 0;
    cfg->kernels = MG_KERNELS_AUTO;
    cfg->dtype = MG_DTYPE_F64;
    cfg->check_numerics = 0;
    cfg->resume = NULL;
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
    if (cfg->dtype != MG_DTYPE_F64 && cfg->dtype != MG_DTYPE_F32)
        return mg_err_set(err, MG_STATUS_INVALID, "unknown dtype (%d)", (int)cfg->dtype);
    if (cfg->dtype == MG_DTYPE_F32 && (cfg->eager || cfg->check_numerics))
        return mg_err_set(err, MG_STATUS_INVALID,
                          "float32 is the compiled path's: not with the eager path or check_numerics");
    return MG_STATUS_OK;
}

/* The config, the model against both sets, and the sets against each other. */
static mg_status check_run(const mg_mlp *m, const mg_dataset *train, const mg_dataset *val,
                           const mg_train_config *cfg, mg_err *err) {
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
    return MG_STATUS_OK;
}

mg_status mg_train_plan(const mg_train_config *cfg, size_t nsamples, size_t *batch,
                        size_t *per_epoch, size_t *nsteps, mg_err *err) {
    if (nsamples == 0)
        return mg_err_set(err, MG_STATUS_INVALID, "training needs 1 or more samples");
    if (cfg->steps == 0 && cfg->epochs == 0)
        return mg_err_set(err, MG_STATUS_INVALID, "training needs steps > 0 or epochs > 0");
    size_t nb = cfg->batch_size == 0 || cfg->batch_size > nsamples ? nsamples : cfg->batch_size;
    size_t pe = nsamples / nb + (nsamples % nb != 0), ns = cfg->steps;
    if (ns == 0) {
        if (cfg->epochs > SIZE_MAX / pe)
            return mg_err_set(err, MG_STATUS_INVALID, "too many epochs (%zu)", cfg->epochs);
        ns = cfg->epochs * pe;
    }
    if (batch) *batch = nb;
    if (per_epoch) *per_epoch = pe;
    if (nsteps) *nsteps = ns;
    return MG_STATUS_OK;
}

/* Before an eager run: the tape a step needs (sample 0's graph times the batch) must fit
 * in what the context's cap leaves, or in the machine's memory without a cap; refused up
 * front with the numbers, not after the machine has started swapping. */
static mg_status check_step_memory(mg_ctx *ctx, const mg_mlp *m, const mg_train_config *cfg,
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

/* ==== a run ============================================================================== */

/* One run: its plan, what it allocates once before its first step, and where it is. */
typedef struct train_run {
    mg_ctx *ctx;
    const mg_mlp *m;
    const mg_dataset *train, *val;
    mg_train_config cfg; /* the caller's, with the thread count settled once */
    size_t n, nb, nsteps; /* training samples, batch size, steps planned */
    int shuffle;          /* 1: a new order each epoch */
    mg_rng *rng;
    size_t first;         /* the first step to take (0, or where a resumed run stopped) */
    size_t pos, epoch;    /* the next batch starts at order[pos], in this epoch */
    mg_optim *optim;
    size_t *order;        /* [n] sample order of the current epoch */
    mg__sample sample;    /* the eager path's graphs; naming a non-finite value */
    mg_value *losses;     /* [nb] per-sample losses of a step (eager) */
    int compiled;         /* 1: the replay below runs the steps and evaluations */
    mg__replay replay;
    mg_train_state snap;  /* where the run is after a step: what the callback sees */
} train_run;

static void run_free(train_run *r) {
    mg_optim_free(r->optim);
    mg__free(r->order);
    mg__sample_free(&r->sample);
    mg__free(r->losses);
    mg__replay_free(&r->replay);
}

/* The optimiser, the buffers and the compiled replay (unless the run is eager). */
static mg_status run_alloc(train_run *r, const mg_optim_config *ocfg, mg_err *err) {
    const mg_train_config *cfg = &r->cfg;
    mg_err oe;
    if (!(r->optim = mg_optim_new(ocfg, r->m->nparams, &oe))) return mg__err_forward(err, &oe);
    mg_status st = mg__sample_init(&r->sample, r->m, cfg->loss, cfg->subtract_max,
                                   r->train->nclasses, err);
    if (st) return st;
    r->order = mg__malloc(mg__mul_size(r->n, sizeof *r->order));
    if (!cfg->eager && !cfg->check_numerics) {
        /* Rows for a batch, or at least for a good slice of an evaluation, but no copy of a
         * whole large data set for a full-batch step: big batches are replayed in pieces. */
        size_t most = r->n > (r->val ? r->val->n : 0) ? r->n : r->val->n;
        size_t cap = r->nb > MG__EVAL_ROWS ? r->nb : MG__EVAL_ROWS;
        if (cap > 1024) cap = 1024;
        if (cap > most) cap = most;
        st = mg__replay_init(&r->replay, r->ctx, r->m, cfg->loss, cfg->subtract_max, r->train,
                             cap, cfg->threads, cfg->kernels, err);
        if (st) return st;
        r->compiled = 1;
        if (cfg->dtype != MG_DTYPE_F64 && (st = mg_compiled_set_dtype(r->replay.tape, cfg->dtype, err)))
            return st;
        if (cfg->collective && (st = mg_compiled_set_collective(r->replay.tape, cfg->collective, err)))
            return st;
    } else {
        r->losses = mg__malloc(mg__mul_size(r->nb, sizeof *r->losses));
    }
    if (!r->order || (!r->compiled && !r->losses))
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory setting up training");
    return MG_STATUS_OK;
}

/* Checks, plans and sets up a run, and resumes it when cfg says so (on failure r is
 * freed). */
static mg_status run_init(train_run *r, mg_ctx *ctx, const mg_mlp *m, const mg_dataset *train,
                          const mg_dataset *val, const mg_train_config *cfg, mg_err *err) {
    memset(r, 0, sizeof *r);
    mg_status st = check_run(m, train, val, cfg, err);
    if (!st) st = mg_train_plan(cfg, train->n, &r->nb, NULL, &r->nsteps, err);
    if (st) return st;
    r->ctx = ctx, r->m = m, r->train = train, r->val = val, r->n = train->n;
    r->cfg = *cfg;
    r->cfg.threads = mg__threads(cfg->threads);
    mg_optim_config ocfg = cfg->optim;
    if (ocfg.schedule == MG_LR_AUTO)
        ocfg.schedule = cfg->loss == MG_LOSS_KIND_MSE ? MG_LR_LINEAR : MG_LR_CONSTANT;
    if (ocfg.schedule == MG_LR_LINEAR && ocfg.steps == 0) ocfg.steps = r->nsteps;
    if (ocfg.threads == 0) ocfg.threads = r->cfg.threads;
    if ((cfg->eager || cfg->check_numerics) &&
        (st = check_step_memory(ctx, m, &r->cfg, train, r->nb, err)))
        return st;
    if ((st = run_alloc(r, &ocfg, err))) {
        run_free(r);
        return st;
    }
    for (size_t i = 0; i < r->n; i++) r->order[i] = i;
    r->rng = cfg->rng ? cfg->rng : mg_ctx_rng(ctx);
    r->shuffle = cfg->shuffle && r->nb < r->n;
    const mg_train_state *from = cfg->resume;
    if (from) {
        st = mg__train_resume(from, r->optim, r->rng, r->order, r->n, r->nb, m->nparams,
                              r->nsteps, err);
        if (st) {
            run_free(r);
            return st;
        }
        r->first = from->step, r->pos = from->pos, r->epoch = from->epoch;
    }
    r->snap.nsamples = r->n;
    r->snap.order = r->order;
    r->snap.nparams = m->nparams;
    return MG_STATUS_OK;
}

static mg_status evaluate_set(train_run *r, const mg_dataset *d, mg_metrics *res, mg_err *err) {
    if (r->compiled) return mg__evaluate_replay(r->ctx, &r->replay, d, res, err);
    return mg__evaluate_eager(r->ctx, &r->sample, d, res, err);
}

/* ==== one step =========================================================================== */

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
    mg__tally t;
} step_result;

/* Eagerly: per-sample loss graphs of the batch, their mean and the L2 term above the
 * mark, backward into the parameters' grads. */
static mg_status eager_step(train_run *r, const size_t *rows, size_t nb, size_t step,
                            step_result *sr, mg_err *err) {
    mg_ctx *ctx = r->ctx;
    const mg_mlp *m = r->m;
    const mg_dataset *d = r->train;
    size_t nout = r->sample.nout, from = mg_ctx_size(ctx);
    for (size_t j = 0; j < nb; j++) {
        size_t i = rows[j];
        r->losses[j] = mg__sample_build(ctx, &r->sample, d, i);
        if (!mg_ok(r->losses[j])) return ctx_error(ctx, step, i, err);
        mg__tally_add(&sr->t, r->cfg.loss, nout, mg__sample_outputs(ctx, &r->sample), d->y[i],
                      mg_data(ctx, r->losses[j]));
    }
    mg_value data_loss = mg_loss_mean(ctx, nb, r->losses);
    mg_value loss = data_loss;
    if (r->cfg.l2 > 0.0)
        loss = mg_add(ctx, loss, mg_loss_l2(ctx, m->nparams, m->params, r->cfg.l2));
    if (!mg_ok(loss)) return ctx_error(ctx, step, SIZE_MAX, err);
    sr->loss = mg_data(ctx, loss);
    sr->data_loss = mg_data(ctx, data_loss);
    if (!isfinite(sr->loss)) return numeric_error(ctx, from, 0, step, err);
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
static mg_status name_nonfinite(train_run *r, const size_t *rows, size_t nb, size_t step,
                                mg_err *err) {
    mg_ctx *ctx = r->ctx;
    const mg_mlp *m = r->m;
    const double *g = mg_grad_ptr(ctx, m->first);
    mg_status st = MG_STATUS_OK;
    for (size_t j = 0; j < nb && !st; j++) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value loss = mg__sample_build(ctx, &r->sample, r->train, rows[j]);
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

/* Through the compiled tape: the L2 term's value and gradient first, on numbers
 * (mg__loss_l2_numbers, mg_loss_l2's graph computed without building it), as the eager
 * backward of mean + L2 reaches the L2 term first; then the batch replayed in pieces of
 * at most the replay's rows, each adding 1/nb of its summed gradients. */
static mg_status compiled_step(train_run *r, const size_t *rows, size_t nb, size_t step,
                               step_result *sr, mg_err *err) {
    mg_ctx *ctx = r->ctx;
    const mg_mlp *m = r->m;
    mg__replay *rp = &r->replay;
    size_t nout = rp->sample.nout;
    double l2 = 0.0, sum = 0.0, scale = 1.0 / (double)nb;
    mg_mlp_zero_grad(ctx, m);
    if (r->cfg.l2 > 0.0)
        l2 = mg__loss_l2_numbers(m->nparams, mg_data_ptr(ctx, m->first), r->cfg.l2,
                                 mg_grad_ptr(ctx, m->first));
    for (size_t j0 = 0; j0 < nb; j0 += rp->cap) {
        size_t k = nb - j0 < rp->cap ? nb - j0 : rp->cap;
        mg_err e;
        mg_status st = mg__replay_run(rp, r->train, rows + j0, 0, k, scale, &e);
        if (st == MG_STATUS_NUMERIC) {
            if ((st = name_nonfinite(r, rows, nb, step, err))) return st;
            return mg_err_set(err, MG_STATUS_NUMERIC, "step %zu: batch row %zu: %s", step, j0,
                              e.msg);
        }
        if (st) return mg_err_set(err, st, "step %zu: %s", step, e.msg);
        for (size_t q = 0; q < k; q++) {
            sum += rp->losses[q];
            mg__tally_add(&sr->t, r->cfg.loss, nout, rp->outputs + q * nout,
                          r->train->y[rows[j0 + q]], rp->losses[q]);
        }
    }
    sr->data_loss = sum * scale;
    sr->loss = r->cfg.l2 > 0.0 ? sr->data_loss + l2 : sr->data_loss;
    if (!isfinite(sr->loss))
        return mg_err_set(err, MG_STATUS_NUMERIC, "step %zu: the loss is %g", step, sr->loss);
    return MG_STATUS_OK;
}

/* Step `step` of the run: a new order when an epoch starts, the validation metrics when
 * due, the batch's loss and gradients, the optimiser's update, the tape back to base; p
 * gets the step's numbers (all but the time) and r moves on to the next batch. */
static mg_status run_step(train_run *r, size_t step, mg_mark base, mg_train_progress *p,
                          mg_err *err) {
    mg_status st;
    memset(p, 0, sizeof *p);
    if (r->pos == 0 && r->shuffle) mg__shuffle_indices(r->rng, r->order, r->n);
    if (r->val && r->cfg.eval_every && step % r->cfg.eval_every == 0) {
        if ((st = evaluate_set(r, r->val, &p->val, err))) return st;
        p->has_val = 1;
    }
    size_t bsz = r->n - r->pos < r->nb ? r->n - r->pos : r->nb;
    const size_t *rows = r->order + r->pos;
    step_result sr = {0.0, 0.0, {0, 0, 0.0, 0.0, 0.0}};
    st = r->compiled ? compiled_step(r, rows, bsz, step, &sr, err)
                     : eager_step(r, rows, bsz, step, &sr, err);
    if (st) return st;
    p->loss = sr.loss;
    p->data_loss = sr.data_loss;
    p->lr = mg_optim_step(r->optim, r->ctx, r->m->first, r->m->nparams);
    mg_ctx_reset(r->ctx, base);
    p->step = step;
    p->nsteps = r->nsteps;
    p->epoch = r->epoch;
    p->batch = bsz;
    p->batch_metrics = mg__tally_metrics(&sr.t, r->cfg.loss);
    r->pos += bsz;
    if (r->pos == r->n) r->pos = 0, r->epoch++;
    mg__train_snapshot(&r->snap, step + 1, r->epoch, r->pos, r->rng, r->optim);
    p->state = &r->snap;
    return MG_STATUS_OK;
}

/* ==== the loop =========================================================================== */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The ranks of a data-parallel run (cfg->collective, section 9b), or NULL for one
 * process: made before anything else, so that every failure after it is agreed on. */
static mg_status ranks_new(const mg_train_config *cfg, mg__coll **k, mg_err *err) {
    *k = NULL;
    if (!cfg->collective || cfg->collective->nranks == 1) return MG_STATUS_OK;
    mg_err e;
    if (!(*k = mg__coll_new(cfg->collective, &e))) return mg__err_forward(err, &e);
    return MG_STATUS_OK;
}

/* st agreed among the ranks (the first failing rank's error on every rank), or st itself
 * for one process. */
static mg_status agree(mg__coll *k, mg_status st, mg_err *e) {
    return k ? mg__coll_agree(k, st, e, e) : st;
}

mg_status mg_train(mg_ctx *ctx, mg_mlp *m, const mg_dataset *train, const mg_dataset *val,
                   const mg_train_config *cfg, mg_train_result *res, mg_err *err) {
    mg_train_result dummy;
    if (!res) res = &dummy;
    memset(res, 0, sizeof *res);
    res->train.loss = res->val.loss = NAN;
    mg__coll *k;
    mg_err e = {MG_STATUS_OK, ""};
    mg_status st = ranks_new(cfg, &k, err);
    if (st) return st;
    train_run r;
    st = run_init(&r, ctx, m, train, val, cfg, &e);
    mg_status all = agree(k, st, &e);
    if (all) {
        if (!st) run_free(&r);
        mg__coll_free(k);
        mg__err_forward(err, &e);
        return all;
    }
    res->steps = r.first;
    mg_mark base = mg_ctx_mark(ctx);
    int checked_before = ctx->check_numerics;
    if (cfg->check_numerics) mg_ctx_check_numerics(ctx, 1);
    double t0 = now_seconds();
    for (size_t step = r.first; step < r.nsteps; step++) {
        mg_train_progress p;
        if ((st = agree(k, run_step(&r, step, base, &p, &e), &e))) break;
        p.elapsed = now_seconds() - t0;
        res->steps = step + 1;
        if (cfg->callback && cfg->callback(cfg->user, &p)) {
            res->stopped = 1;
            break;
        }
    }
    res->seconds = now_seconds() - t0;
    mg_ctx_reset(ctx, base);
    if (cfg->check_numerics) {
        /* The failure is in e; the context goes on as it was. */
        mg_ctx_check_numerics(ctx, checked_before);
        if (mg_ctx_status(ctx) == MG_STATUS_NUMERIC) mg_ctx_clear_status(ctx);
    }
    if (!st) st = agree(k, evaluate_set(&r, train, &res->train, &e), &e);
    if (!st && val) st = agree(k, evaluate_set(&r, val, &res->val, &e), &e);
    run_free(&r);
    mg__coll_free(k);
    if (st) mg__err_forward(err, &e);
    return st;
}
