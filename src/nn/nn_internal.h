/* nn_internal.h - the network and training layer's internal header: what its files
 * (mlp.c, loss.c, optim.c, sample.c, replay_bridge.c, evaluate.c, train_state.c,
 * train.c) share with one another and with nothing above. Not installed. */
#ifndef MG_NN_INTERNAL_H
#define MG_NN_INTERNAL_H

#include "core/mg_internal.h"

#include <math.h>

/* ==== short arrays of handles (mlp.c, loss.c) ============================================ */

/* Handles a call needs for its own duration: on the stack up to MG__HANDLES_SMALL, so a
 * small model or loss allocates nothing; wider ones on the heap. */
#define MG__HANDLES_SMALL 64
typedef struct mg__handles {
    mg_value small[MG__HANDLES_SMALL];
    mg_value *heap;
} mg__handles;

/* Room for n handles, valid until mg__handles_free(t); NULL when out of memory (recorded
 * on ctx as "out of memory for <what> of <n> values"). */
static inline mg_value *mg__handles_get(mg_ctx *ctx, mg__handles *t, size_t n,
                                        const char *what) {
    t->heap = NULL;
    if (n <= MG__HANDLES_SMALL) return t->small;
    t->heap = mg__malloc(mg__mul_size(n, sizeof *t->heap));
    if (!t->heap) mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory for %s of %zu values", what, n);
    return t->heap;
}
static inline void mg__handles_free(mg__handles *t) { mg__free(t->heap); }

/* ==== the MLP's forward pass (mlp.c) ===================================================== */

/* Handles the forward pass of m needs as scratch for its hidden layers (0 for one layer). */
size_t mg__mlp_work(const mg_mlp *m);
/* mg_mlp_forward with the caller's scratch work[mg__mlp_work(m)], which it overwrites. */
int mg__mlp_forward(mg_ctx *ctx, const mg_mlp *m, const mg_value *x, mg_value *out,
                    mg_value *work);

/* ==== losses (loss.c) ==================================================================== */

/* MG_STATUS_INVALID ("unknown loss (N)") unless kind is one of mg_loss_kind's values. */
mg_status mg__loss_kind_check(mg_loss_kind kind, mg_err *err);
/* mg_loss_l2's term alpha * (p[0]^2 + ... + p[n-1]^2) on plain numbers: returns its value
 * and adds its gradient into grad[n], bit for bit what the graph and backward give. */
double mg__loss_l2_numbers(size_t n, const double *p, double alpha, double *grad);

/* ==== one sample's loss graph (sample.c) ================================================= */

/* Targets the loss takes per sample: nclasses for MG_LOSS_KIND_CE, else 1. */
size_t mg__loss_targets(mg_loss_kind kind, size_t nclasses);

/* Building per-sample loss graphs of one model for one loss kind. A graph's slots are its
 * input values, in the order they are made: the nin features, then the target(s), encoded
 * as the loss takes them (MSE and BCE y, hinge 2y - 1, CE one-hot). The buffers are made
 * once, so building allocates nothing more. */
typedef struct mg__sample {
    const mg_mlp *m;
    mg_loss_kind kind;
    int subtract_max;
    size_t nin, nclasses, nslots, nout; /* nslots = nin + mg__loss_targets */
    mg_value *slots; /* [nslots] the slots of the graph built last */
    mg_value *out;   /* [nout] its outputs */
    mg_value *work;  /* [mg__mlp_work(m)] scratch of its forward pass */
    double *row;     /* [nslots] its slot numbers */
    double *outd;    /* [nout] its outputs' numbers (mg__sample_outputs) */
} mg__sample;

/* Makes the buffers for m's graphs under kind, on data of nclasses classes.
 * MG_STATUS_NOMEM (s is then empty). */
mg_status mg__sample_init(mg__sample *s, const mg_mlp *m, mg_loss_kind kind, int subtract_max,
                          size_t nclasses, mg_err *err);
/* Frees the buffers and makes s empty. Safe on an empty s. */
void mg__sample_free(mg__sample *s);
/* The slot numbers of n samples of d, idx[0 .. n-1] (or first .. first+n-1 when idx is
 * NULL), into rows[n][s->nslots]: each one's features, then its target encoded. */
void mg__sample_rows(const mg__sample *s, const mg_dataset *d, const size_t *idx, size_t first,
                     size_t n, double *rows);
/* Builds sample i of d's loss graph (mg_sample_loss); s->slots and s->out get its slots
 * and outputs. MG_NULL when out of memory. */
mg_value mg__sample_build(mg_ctx *ctx, mg__sample *s, const mg_dataset *d, size_t i);
/* The numbers of the outputs of the graph built last, in s->outd (returned). */
const double *mg__sample_outputs(const mg_ctx *ctx, mg__sample *s);

/* ==== the optimiser's state, for checkpoints (optim.c) =================================== */

/* Returns the step count, and the buffers in *m and *v (NULL when the kind has none;
 * o->n entries each). */
size_t mg__optim_state(const mg_optim *o, const double **m, const double **v);
/* Restores a state from mg__optim_state (m and v may be NULL when the kind has none). */
void mg__optim_restore(mg_optim *o, size_t t, const double *m, const double *v);

/* ==== the compiled path of training and evaluation (replay_bridge.c) ===================== */

/* A model's per-sample loss graph for one loss kind, recorded once, and room to replay up
 * to `cap` samples at a time. */
typedef struct mg__replay {
    mg_compiled *tape;
    mg__sample sample; /* the graph's layout: slots, outputs; packs the rows */
    size_t cap;        /* samples a replay holds */
    double *rows;      /* [cap * sample.nslots] */
    double *losses;    /* [cap] each sample's loss after a replay */
    double *outputs;   /* [cap * sample.nout] each sample's outputs */
} mg__replay;

/* Records m's loss graph of sample 0 of `shape` (which gives the class count) and makes
 * room for cap samples; the tape uses `threads` and `kernels` (mg_compiled_set_*).
 * MG_STATUS_NOMEM, or MG_STATUS_UNSUPPORTED for kernels the CPU lacks; r is then empty. */
mg_status mg__replay_init(mg__replay *r, mg_ctx *ctx, const mg_mlp *m, mg_loss_kind kind,
                          int subtract_max, const mg_dataset *shape, size_t cap, int threads,
                          mg_kernels kernels, mg_err *err);
/* Replays n <= cap samples of d: idx[0 .. n-1], or first .. first+n-1 when idx is NULL.
 * grad_scale 0: forward only; else forward and backward, adding grad_scale times the
 * summed gradients into the parameters' grads (mg_compiled_forward_backward, whose
 * MG_STATUS_NUMERIC names the sample within this replay). Fills r->losses, r->outputs. */
mg_status mg__replay_run(mg__replay *r, const mg_dataset *d, const size_t *idx, size_t first,
                         size_t n, double grad_scale, mg_err *err);
/* Frees what r holds and makes it empty. Safe on NULL. */
void mg__replay_free(mg__replay *r);

/* ==== measuring (evaluate.c) ============================================================= */

/* Samples a replay holds when evaluating (training's replay holds at least as many). */
#define MG__EVAL_ROWS 256

/* Running totals of a loss and its metric over samples. */
typedef struct mg__tally {
    size_t n, correct;
    double loss, sqerr, abserr;
} mg__tally;

/* mg_prediction_correct, inline for the tallies, which run once per sample. */
static inline int mg__prediction_correct(mg_loss_kind kind, size_t nout, const double *out,
                                         double y) {
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

/* Adds one sample: its outputs out[nout], its target y, its loss. */
static inline void mg__tally_add(mg__tally *t, mg_loss_kind kind, size_t nout, const double *out,
                                 double y, double loss) {
    t->correct += (size_t)mg__prediction_correct(kind, nout, out, y);
    if (kind == MG_LOSS_KIND_MSE) {
        t->sqerr += (out[0] - y) * (out[0] - y);
        t->abserr += fabs(out[0] - y);
    }
    t->loss += loss;
    t->n++;
}
/* The metrics of the samples added so far (t->n >= 1). */
mg_metrics mg__tally_metrics(const mg__tally *t, mg_loss_kind kind);
/* The metrics of all of d, one graph of s at a time above a mark (the tape is left as it
 * was). MG_STATUS_NOMEM; MG_STATUS_NUMERIC naming the sample and the first non-finite
 * value of its graph. */
mg_status mg__evaluate_eager(mg_ctx *ctx, mg__sample *s, const mg_dataset *d, mg_metrics *res,
                             mg_err *err);
/* The same through r, r->cap samples per replay. */
mg_status mg__evaluate_replay(mg_ctx *ctx, mg__replay *r, const mg_dataset *d, mg_metrics *res,
                              mg_err *err);

/* ==== where a run is (train_state.c) ===================================================== */

/* Fills snap's position after `step` steps (its order, sizes and span are the run's, set
 * once): the epoch and position of the next batch, the generator, the optimiser's state
 * (pointers to o's own buffers). */
void mg__train_snapshot(mg_train_state *snap, size_t step, size_t epoch, size_t pos,
                        const mg_rng *rng, const mg_optim *o);
/* Checks that state r fits a run over n samples in batches of nb, of nparams parameters
 * and nsteps steps, with optimiser o (MG_STATUS_INVALID, or MG_STATUS_NUMERIC for a
 * non-finite optimiser state, naming what does not fit), then puts the run where r says:
 * order[n], *rng and o's state. */
mg_status mg__train_resume(const mg_train_state *r, mg_optim *o, mg_rng *rng, size_t *order,
                           size_t n, size_t nb, size_t nparams, size_t nsteps, mg_err *err);

#endif
