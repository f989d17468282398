/* replay_bridge.c - the bridge from training and evaluation to the fast path: one
 * sample's loss graph (sample.c) is recorded once as a compiled tape (section 9) whose
 * slots are the graph's own list of its inputs and targets, and every batch is then
 * packed into rows (mg__sample_rows, the encoding the eager graphs use) and replayed in
 * lanes, without building a graph. The eager path in train.c builds the same graph per
 * sample; the two agree to rounding. */
#include "nn_internal.h"

/* ==== recording ========================================================================== */

void mg__replay_free(mg__replay *r) {
    if (!r) return;
    mg_compiled_free(r->tape);
    mg__sample_free(&r->sample);
    mg__free(r->rows);
    mg__free(r->losses);
    mg__free(r->outputs);
    memset(r, 0, sizeof *r);
}

/* Records sample 0 of shape's graph into r->tape. */
static mg_status record(mg__replay *r, mg_ctx *ctx, const mg_dataset *shape, mg_err *err) {
    mg__sample *s = &r->sample;
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value loss = mg__sample_build(ctx, s, shape, 0);
    mg_status st = MG_STATUS_OK;
    if (!mg_ok(loss)) {
        st = mg_err_set(err, MG_STATUS_NOMEM, "out of memory recording a sample's graph (%s)",
                        mg_ctx_errmsg(ctx));
    } else {
        mg_err ce;
        r->tape = mg_compile(ctx, loss, s->nslots, s->slots, s->nout, s->out, &ce);
        if (!r->tape) st = mg__err_forward(err, &ce);
    }
    mg_ctx_reset(ctx, mark);
    return st;
}

mg_status mg__replay_init(mg__replay *r, mg_ctx *ctx, const mg_mlp *m, mg_loss_kind kind,
                          int subtract_max, const mg_dataset *shape, size_t cap, int threads,
                          mg_kernels kernels, mg_err *err) {
    memset(r, 0, sizeof *r);
    MG_ASSERT(shape->n >= 1 && cap >= 1, "a replay needs a sample and room for one");
    r->cap = cap;
    mg_status st = mg__sample_init(&r->sample, m, kind, subtract_max, shape->nclasses, err);
    if (!st) st = record(r, ctx, shape, err);
    if (!st) {
        mg_compiled_set_threads(r->tape, threads);
        st = mg_compiled_set_kernels(r->tape, kernels, err);
    }
    if (st) {
        mg__replay_free(r);
        return st;
    }
    size_t nslots = r->sample.nslots, nout = r->sample.nout;
    r->rows = mg__malloc(mg__mul_size(mg__mul_size(cap, nslots), sizeof *r->rows));
    r->losses = mg__malloc(mg__mul_size(cap, sizeof *r->losses));
    r->outputs = mg__malloc(mg__mul_size(mg__mul_size(cap, nout), sizeof *r->outputs));
    if (!r->rows || !r->losses || !r->outputs) {
        mg__replay_free(r);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory for %zu rows of %zu slots", cap,
                          nslots);
    }
    return MG_STATUS_OK;
}

/* ==== replaying ========================================================================== */

mg_status mg__replay_run(mg__replay *r, const mg_dataset *d, const size_t *idx, size_t first,
                         size_t n, double grad_scale, mg_err *err) {
    MG_ASSERT(n >= 1 && n <= r->cap, "a replay of more samples than its rows hold");
    MG_ASSERT(d->nfeat == r->sample.nin, "replay of rows of the wrong width");
    mg__sample_rows(&r->sample, d, idx, first, n, r->rows);
    if (grad_scale == 0.0)
        return mg_compiled_forward(r->tape, n, r->rows, r->losses, r->outputs, err);
    return mg_compiled_forward_backward(r->tape, n, r->rows, grad_scale, r->losses, r->outputs,
                                        err);
}
