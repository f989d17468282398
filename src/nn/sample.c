/* sample.c - one sample's loss graph, the unit of training: the eager path builds it for
 * every sample of a batch, the compiled path records it once (replay_bridge.c) and
 * replays it with each sample's numbers in its slots. Both take the slots and the target
 * encoding from here, so they cannot disagree on either. */
#include "nn_internal.h"

/* ==== targets ============================================================================ */

size_t mg__loss_targets(mg_loss_kind kind, size_t nclasses) {
    return kind == MG_LOSS_KIND_CE ? nclasses : 1;
}

/* The one encoding of a target y as the numbers of the target inputs, t[mg__loss_targets]:
 * MSE and BCE y itself, hinge 2y - 1 (classes 0/1 as -1/+1), CE one-hot (1 at class y).
 * The eager graphs and the replay's rows both get it through mg__sample_rows. */
static void encode_target(mg_loss_kind kind, double y, size_t nclasses, double *t) {
    switch (kind) {
    case MG_LOSS_KIND_MSE:
    case MG_LOSS_KIND_BCE: t[0] = y; return;
    case MG_LOSS_KIND_HINGE: t[0] = 2.0 * y - 1.0; return;
    case MG_LOSS_KIND_CE:
        for (size_t c = 0; c < nclasses; c++) t[c] = (double)c == y ? 1.0 : 0.0;
        return;
    }
    MG_ASSERT(0, "unknown loss");
}

/* ==== the graph's buffers ================================================================ */

mg_status mg__sample_init(mg__sample *s, const mg_mlp *m, mg_loss_kind kind, int subtract_max,
                          size_t nclasses, mg_err *err) {
    memset(s, 0, sizeof *s);
    s->m = m;
    s->kind = kind;
    s->subtract_max = subtract_max;
    s->nin = m->nin;
    s->nclasses = nclasses;
    s->nslots = m->nin + mg__loss_targets(kind, nclasses);
    s->nout = mg_mlp_nout(m);
    /* One block: the handles, then the numbers (both 8 bytes, so the numbers are aligned). */
    _Static_assert(sizeof(mg_value) % _Alignof(double) == 0, "handles then doubles");
    size_t nwork = mg__mlp_work(m), nhandles = s->nslots + s->nout + nwork;
    size_t bytes = mg__mul_size(nhandles + s->nslots + s->nout, sizeof(mg_value));
    s->slots = mg__malloc(bytes);
    if (!s->slots)
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory for a sample's graph (%zu slots)",
                          s->nslots);
    s->out = s->slots + s->nslots;
    s->work = s->out + s->nout;
    s->row = (double *)(void *)(s->work + nwork);
    s->outd = s->row + s->nslots;
    return MG_STATUS_OK;
}

void mg__sample_free(mg__sample *s) {
    mg__free(s->slots);
    memset(s, 0, sizeof *s);
}

/* ==== building it ======================================================================== */

void mg__sample_rows(const mg__sample *s, const mg_dataset *d, const size_t *idx, size_t first,
                     size_t n, double *rows) {
    for (size_t k = 0; k < n; k++, rows += s->nslots) {
        size_t i = idx ? idx[k] : first + k;
        memcpy(rows, d->x + i * d->nfeat, s->nin * sizeof *rows);
        encode_target(s->kind, d->y[i], s->nclasses, rows + s->nin);
    }
}

mg_value mg__sample_build(mg_ctx *ctx, mg__sample *s, const mg_dataset *d, size_t i) {
    MG_ASSERT(i < d->n && d->nfeat == s->nin, "sample out of range or of the wrong width");
    MG_ASSERT(s->kind != MG_LOSS_KIND_CE || d->nclasses == s->nclasses,
              "a sample of another number of classes");
    const double *row = s->row;
    mg_value *x = s->slots, *t = s->slots + s->nin, *out = s->out;
    mg__sample_rows(s, d, NULL, i, 1, s->row);
    for (size_t k = 0; k < s->nin; k++)
        if (!mg_ok(x[k] = mg_input(ctx, row[k]))) return MG_NULL;
    if (!mg__mlp_forward(ctx, s->m, x, out, s->work)) return MG_NULL;
    /* Targets are inputs too, so the graph has the same shape whatever the sample; they
     * are made after the forward pass, just before the loss that reads them. */
    for (size_t k = s->nin; k < s->nslots; k++)
        if (!mg_ok(x[k] = mg_input(ctx, row[k]))) return MG_NULL;
    switch (s->kind) {
    case MG_LOSS_KIND_MSE: return mg_loss_mse(ctx, 1, out, t);
    case MG_LOSS_KIND_BCE: return mg_loss_bce_logit(ctx, out[0], t[0]);
    case MG_LOSS_KIND_HINGE: return mg_loss_hinge(ctx, out[0], t[0]);
    case MG_LOSS_KIND_CE: return mg_loss_softmax_ce(ctx, s->nclasses, out, t, s->subtract_max);
    }
    MG_ASSERT(0, "unknown loss");
    return MG_NULL;
}

const double *mg__sample_outputs(const mg_ctx *ctx, mg__sample *s) {
    for (size_t j = 0; j < s->nout; j++) s->outd[j] = mg_data(ctx, s->out[j]);
    return s->outd;
}

mg_value mg_sample_loss(mg_ctx *ctx, const mg_mlp *m, mg_loss_kind kind, int subtract_max,
                        const mg_dataset *d, size_t i, mg_value *out) {
    MG_ASSERT(i < d->n && d->nfeat == m->nin, "sample out of range or of the wrong width");
    mg__sample s;
    mg_err err;
    if (mg__sample_init(&s, m, kind, subtract_max, d->nclasses, &err)) {
        mg__ctx_fail(ctx, err.status, "%s", err.msg);
        return MG_NULL;
    }
    mg_value loss = mg__sample_build(ctx, &s, d, i);
    if (out && mg_ok(loss)) memcpy(out, s.out, s.nout * sizeof *out);
    mg__sample_free(&s);
    return loss;
}
