/* replay_bridge.c - the bridge from training and evaluation to the fast path: one
 * sample's loss graph (mg_sample_loss) is recorded once as a compiled tape (section 9)
 * whose slots are the sample's inputs and targets, and every batch is then packed into
 * rows and replayed in lanes, without building a graph. The eager path in train.c builds
 * the same graph per sample; the two agree to rounding. */
#include "nn_internal.h"

/* ==== recording ========================================================================== */

void mg__replay_free(mg__replay *r) {
    if (!r) return;
    mg_compiled_free(r->tape);
    mg__free(r->rows);
    mg__free(r->losses);
    mg__free(r->outputs);
    memset(r, 0, sizeof *r);
}

mg_status mg__replay_init(mg__replay *r, mg_ctx *ctx, mg_mlp *m, mg_loss_kind kind,
                          int subtract_max, const mg_dataset *shape, size_t cap, int threads,
                          mg_kernels kernels, mg_err *err) {
    memset(r, 0, sizeof *r);
    MG_ASSERT(shape->n >= 1 && cap >= 1, "a replay needs a sample and room for one");
    r->kind = kind;
    r->nin = m->nin;
    r->nout = mg_mlp_nout(m);
    r->nclasses = shape->nclasses;
    r->nslots = m->nin + (kind == MG_LOSS_KIND_CE ? shape->nclasses : 1);
    r->cap = cap;

    /* The slots are the inputs mg_sample_loss makes, in the order it makes them: the
     * features, then the target(s). */
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value *out = mg__malloc(mg__mul_size(r->nout, sizeof *out));
    mg_value *slots = mg__malloc(mg__mul_size(r->nslots, sizeof *slots));
    mg_value loss = out && slots ? mg_sample_loss(ctx, m, kind, subtract_max, shape, 0, out) : MG_NULL;
    mg_status st = MG_STATUS_OK;
    if (!mg_ok(loss)) {
        st = mg_err_set(err, MG_STATUS_NOMEM, "out of memory recording a sample's graph (%s)",
                        out && slots ? mg_ctx_errmsg(ctx) : "work space");
    } else {
        size_t k = 0, end = mg_ctx_size(ctx);
        for (size_t j = mark.nvalues; j < end; j++) {
            mg_value v = mg_at(ctx, j);
            if (mg_role_of(ctx, v) != MG_ROLE_INPUT) continue;
            MG_ASSERT(k < r->nslots, "a sample's graph has more inputs than its slots");
            slots[k++] = v;
        }
        MG_ASSERT(k == r->nslots, "a sample's graph has fewer inputs than its slots");
        mg_err ce;
        r->tape = mg_compile(ctx, loss, r->nslots, slots, r->nout, out, &ce);
        if (!r->tape) st = mg__err_forward(err, &ce);
    }
    mg_ctx_reset(ctx, mark);
    mg__free(out);
    mg__free(slots);
    if (st) return st;

    mg_compiled_set_threads(r->tape, threads);
    if ((st = mg_compiled_set_kernels(r->tape, kernels, err))) {
        mg__replay_free(r);
        return st;
    }
    r->rows = mg__malloc(mg__mul_size(mg__mul_size(cap, r->nslots), sizeof *r->rows));
    r->losses = mg__malloc(mg__mul_size(cap, sizeof *r->losses));
    r->outputs = mg__malloc(mg__mul_size(mg__mul_size(cap, r->nout), sizeof *r->outputs));
    if (!r->rows || !r->losses || !r->outputs) {
        mg__replay_free(r);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory for %zu rows of %zu slots", cap,
                          r->nslots);
    }
    return MG_STATUS_OK;
}

/* ==== replaying ========================================================================== */

/* Row of sample i: its features, then its target encoded as mg_sample_loss encodes it. */
static void pack_row(const mg__replay *r, const mg_dataset *d, size_t i, double *row) {
    double y = d->y[i];
    memcpy(row, d->x + i * d->nfeat, r->nin * sizeof *row);
    double *t = row + r->nin;
    switch (r->kind) {
    case MG_LOSS_KIND_MSE:
    case MG_LOSS_KIND_BCE: t[0] = y; break;
    case MG_LOSS_KIND_HINGE: t[0] = 2.0 * y - 1.0; break;
    case MG_LOSS_KIND_CE:
        for (size_t c = 0; c < r->nclasses; c++) t[c] = (double)c == y ? 1.0 : 0.0;
        break;
    }
}

mg_status mg__replay_run(mg__replay *r, const mg_dataset *d, const size_t *idx, size_t first,
                         size_t n, double grad_scale, mg_err *err) {
    MG_ASSERT(n >= 1 && n <= r->cap, "a replay of more samples than its rows hold");
    MG_ASSERT(d->nfeat == r->nin, "replay of rows of the wrong width");
    for (size_t s = 0; s < n; s++)
        pack_row(r, d, idx ? idx[s] : first + s, r->rows + s * r->nslots);
    if (grad_scale == 0.0)
        return mg_compiled_forward(r->tape, n, r->rows, r->losses, r->outputs, err);
    return mg_compiled_forward_backward(r->tape, n, r->rows, grad_scale, r->losses, r->outputs,
                                        err);
}
