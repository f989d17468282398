/* replay.c - running a compiled tape over a batch: lane blocks, dense layers, threads and
 * the fixed-order sums that make the result independent of the thread count. */
#include "compile_internal.h"

#include <math.h>
#include <stdio.h>
#ifdef MG_HAVE_OPENMP
#include <omp.h>
#endif

#define MG__CHUNK_LANES 32 /* fewest samples per chunk of the gradient sum */
#define MG__REDUCE_RUN 4096 /* gradients summed per task when chunks are added up */

/* ==== settings ============================================================================ */

static int threads_of(const mg_compiled *c) {
#ifdef MG_HAVE_OPENMP
    return c->nthreads > 0 ? c->nthreads : 1;
#else
    (void)c;
    return 1;
#endif
}

int mg_compiled_set_threads(mg_compiled *c, int nthreads) {
    MG_ASSERT(nthreads >= 0, "negative thread count");
    c->nthreads = mg__threads(nthreads);
    return threads_of(c);
}

mg_status mg_compiled_set_kernels(mg_compiled *c, mg_kernels kernels, mg_err *err) {
    const mg__kernels *k = mg__kernels_get(kernels);
    if (!k)
        return mg_err_set(err, MG_STATUS_UNSUPPORTED, "%s kernels are not available on this CPU or build",
                          kernels == MG_KERNELS_AVX512 ? "AVX-512" : kernels == MG_KERNELS_AVX2 ? "AVX2" : "these");
    c->kern = k;
    return MG_STATUS_OK;
}

void mg_compiled_info_get(const mg_compiled *c, mg_compiled_info *info) {
    memset(info, 0, sizeof *info);
    info->nvalues = c->nvalues;
    info->nslots = c->nslots;
    info->noutputs = c->noutputs;
    info->ninstructions = c->varying.n;
    info->nuniform = c->nu;
    info->nparams = c->nlossparams;
    info->ngroups = c->ngroups;
    info->ngrouped = c->ngrouped;
    info->bytes = c->bytes;
    info->nallocs = c->nallocs;
    info->kernels = c->kern->name;
    info->threads = threads_of(c);
}

/* ==== one lane block ====================================================================== */

static double *weights(const mg_compiled *c, const mg__dense *d) {
    if (!d->affine) return d->W;
    return (d->in_ctx ? c->ctx->data + c->pmin : c->U) + d->w0;
}

static void dense_forward(const mg_compiled *c, const mg__dense *d, double *V, size_t S) {
    size_t ldw = d->affine ? d->ldw : d->nin;
    c->kern->gemm_rows(d->nout, d->nin, weights(c, d), ldw, 1, d->b, V, c->idx + d->yrows, V,
                       c->idx + d->xrows, S);
}

/* Bias and weight gradients are summed over the n real lanes into the chunk's buffer;
 * input gradients are per lane: dX += W^T dY. sv + s0*nslots are the block's own rows. */
static void dense_backward(const mg_compiled *c, const mg__dense *d, mg__work *w, size_t S,
                           size_t n, double *UGc, const double *sv, size_t s0) {
    const double *dY = w->G + (size_t)d->y0 * S;
    if (d->need_db) {
        const uint32_t *b = c->idx + d->bias;
        for (uint32_t o = 0; o < d->nout; o++)
            if (b[o] != MG__NONE) UGc[b[o]] += c->kern->lanesum(dY + o * S, n);
    }
    if (d->need_dw) {
        const double *XT = sv + s0 * c->nslots;
        size_t ldx = c->nslots;
        const uint32_t *x = c->idx + d->xrows;
        for (uint32_t i = 0; i < d->nin; i++) w->rows[i] = w->V + (size_t)x[i] * S;
        if (!d->x_slots) {
            ldx = mg__lane_round(d->nin);
            c->kern->transpose(d->nin, n, w->rows, w->XT, ldx);
            XT = w->XT;
        }
        double *dW = d->affine ? UGc + d->w0 : UGc + d->dw;
        c->kern->gemm_dw(d->nout, d->nin, n, dY, S, XT, ldx, w->rows, dW, d->affine ? d->ldw : d->nin);
    }
    if (d->need_dx) {
        size_t ldw = d->affine ? d->ldw : d->nin;
        c->kern->gemm_rows(d->nin, d->nout, weights(c, d), 1, ldw, NULL, w->G, c->idx + d->xrows,
                           w->G, c->idx + d->yrows, S);
    }
}

static double ref_value(const mg_compiled *c, const double *V, size_t S, uint32_t ref, size_t l) {
    return (ref & MG__UREF) ? c->U[ref & ~MG__UREF] : V[(size_t)ref * S + l];
}

/* Forward over samples s0 .. s0+n-1 in a block of S lanes (padding lanes repeat the last
 * sample, so they compute harmless numbers); then, when UGc is given, backward with the
 * loss gradient `scale`, summing uniform gradients into UGc. Returns the first sample whose
 * loss is not finite, or SIZE_MAX. */
static size_t run_block(const mg_compiled *c, mg__work *w, const double *sv, size_t s0,
                        size_t n, size_t S, double *UGc, double scale, double *losses,
                        double *outputs) {
    double *V = w->V, *G = w->G;
    size_t ns = c->nslots;
    for (size_t l = 0; l < S; l++) w->rows[l] = sv + (s0 + (l < n ? l : n - 1)) * ns;
    c->kern->transpose(S, ns, w->rows, V, S);
    for (size_t b = 0; b < c->nbcast; b++) {
        double *row = V + (size_t)c->bc_row[b] * S, u = c->U[c->bc_u[b]];
        for (size_t l = 0; l < S; l++) row[l] = u;
    }
    for (size_t k = 0; k < c->varying.n; k++) {
        const mg__ins *in = &c->varying.ins[k];
        if (in->op == MG__OP_DENSE) dense_forward(c, &c->groups[in->out], V, S);
        else mg__ins_forward(in, c->varying.args, V, S, S * in->run, c->kern);
    }
    size_t bad = SIZE_MAX;
    if (c->loss != MG__NONE)
        for (size_t l = 0; l < n; l++) {
            double x = ref_value(c, V, S, c->loss, l);
            if (losses) losses[s0 + l] = x;
            if (!isfinite(x) && bad == SIZE_MAX) bad = s0 + l;
        }
    if (outputs)
        for (size_t l = 0; l < n; l++)
            for (size_t j = 0; j < c->noutputs; j++)
                outputs[(s0 + l) * c->noutputs + j] = ref_value(c, V, S, c->outputs[j], l);
    if (!UGc) return bad;

    /* slot rows never take gradients (an input gradient written there is not read) */
    memset(G + ns * S, 0, (c->nrows - ns) * S * sizeof *G);
    if (!(c->loss & MG__UREF))
        for (size_t l = 0; l < n; l++) G[(size_t)c->loss * S + l] = scale;
    for (size_t k = c->varying.n; k-- > 0;) {
        const mg__ins *in = &c->varying.ins[k];
        if (!in->bwd) continue;
        if (in->op == MG__OP_DENSE) dense_backward(c, &c->groups[in->out], w, S, n, UGc, sv, s0);
        else mg__ins_backward(in, c->varying.args, c->varying.argneed, V, G, S, S * in->run, c->kern);
    }
    for (size_t b = 0; b < c->nbcast; b++) {
        if (!c->bc_need[b]) continue;
        UGc[c->bc_u[b]] += c->kern->lanesum(G + (size_t)c->bc_row[b] * S, n);
    }
    return bad;
}

/* ==== the uniform part ==================================================================== */

static void uniform_forward(mg_compiled *c) {
    const double *data = c->ctx->data;
    for (size_t r = 0; r < c->ncruns; r++)
        memcpy(c->U + c->cruns[r].u, data + c->cruns[r].tape, c->cruns[r].len * sizeof *data);
    const mg__program *up = &c->uniform;
    for (size_t k = 0; k < up->n; k++) mg__ins_forward(&up->ins[k], up->args, c->U, 1, 1, NULL);
    for (size_t g = 0; g < c->ngroups; g++) {
        mg__dense *d = &c->groups[g];
        const uint32_t *b = c->idx + d->bias;
        for (uint32_t o = 0; o < d->nout; o++) d->b[o] = b[o] == MG__NONE ? 0.0 : c->U[b[o]];
        if (!d->affine)
            for (size_t k = 0; k < (size_t)d->nout * d->nin; k++) d->W[k] = c->U[c->idx[d->widx + k]];
    }
}

/* Gathered-weight gradients go back to their values, then the uniform program runs
 * backward on the summed gradients. */
static void uniform_backward(mg_compiled *c, size_t batch, double scale) {
    for (size_t g = 0; g < c->ngroups; g++) {
        const mg__dense *d = &c->groups[g];
        if (d->affine || !d->need_dw) continue;
        for (size_t k = 0; k < (size_t)d->nout * d->nin; k++)
            c->UG[c->idx[d->widx + k]] += c->UG[d->dw + k];
    }
    if (c->loss & MG__UREF) c->UG[c->loss & ~MG__UREF] += scale * (double)batch;
    const mg__program *up = &c->uniform;
    for (size_t k = up->n; k-- > 0;)
        if (up->ins[k].bwd) mg__ins_backward(&up->ins[k], up->args, up->argneed, c->U, c->UG, 1, 1, NULL);
}

/* ==== messages ============================================================================ */

/* Replays sample s alone and names the first value on its tape that is not finite. */
static void explain(mg_compiled *c, const double *sv, size_t s, mg_err *err) {
    char lbuf[32], vbuf[32];
    enum { S = MG__LANE_STEP }; /* the narrowest block; lane 0 is the sample */
    run_block(c, &c->work[0], sv, s, 1, S, NULL, 0.0, NULL, NULL);
    const double *V = c->work[0].V;
    mg_fmt_repr(ref_value(c, V, S, c->loss, 0), lbuf, sizeof lbuf);
    const char *what = NULL;
    uint32_t tape = 0;
    double x = 0.0;
    for (size_t k = 0; k < c->nslots && !what; k++)
        if (!isfinite(V[k * S])) what = "slot", tape = c->row_tape[k], x = V[k * S];
    for (size_t k = 0; k < c->uniform.n && !what; k++) {
        const mg__ins *in = &c->uniform.ins[k];
        if (!isfinite(c->U[in->out])) what = mg__ops[in->op].name, tape = in->tape, x = c->U[in->out];
    }
    for (size_t k = 0; k < c->varying.n && !what; k++) {
        const mg__ins *in = &c->varying.ins[k];
        uint32_t r0 = in->out, r1 = in->out + in->run;
        if (in->op == MG__OP_DENSE) r0 = c->groups[in->out].y0, r1 = r0 + c->groups[in->out].nout;
        for (uint32_t r = r0; r < r1 && !what; r++)
            if (!isfinite(V[(size_t)r * S]))
                what = in->op == MG__OP_DENSE ? "dot" : mg__ops[in->op].name, tape = c->row_tape[r],
                x = V[(size_t)r * S];
    }
    if (!what) {
        mg_err_set(err, MG_STATUS_NUMERIC, "sample %zu: loss is %s", s, lbuf);
        return;
    }
    mg_fmt_repr(x, vbuf, sizeof vbuf);
    mg_err_set(err, MG_STATUS_NUMERIC, "sample %zu: loss is %s; first non-finite value: %s at tape #%u = %s",
               s, lbuf, what, tape, vbuf);
}

/* ==== replay ============================================================================== */

/* Where part u of n parts of `total` items starts: whole runs of MG__LANE_STEP shared as
 * evenly as possible, the last part also taking what is left over, so lane blocks need
 * little padding. Depends on total and n only. */
static size_t split(size_t total, size_t n, size_t u) {
    if (u >= n) return total;
    size_t groups = total / MG__LANE_STEP, q = groups / n, r = groups % n;
    if (groups < n) { /* fewer runs than parts: plain even split */
        q = total / n, r = total % n;
        return u * q + (u < r ? u : r);
    }
    return MG__LANE_STEP * (u * q + (u < r ? u : r));
}

/* One replay's work: units are gradient chunks (backward) or lane blocks (forward). */
typedef struct replay_job {
    mg_compiled *c;
    const double *sv;
    size_t batch, nchunks, nunits;
    int backward;
    double scale;
    double *losses, *outputs;
    size_t *bad; /* [nchunks] first sample with a non-finite loss */
} replay_job;

static void run_unit(const replay_job *j, mg__work *w, size_t u) {
    mg_compiled *c = j->c;
    size_t lo = split(j->batch, j->nunits, u), len = split(j->batch, j->nunits, u + 1) - lo;
    double *UGc = NULL;
    if (j->backward) {
        UGc = u == 0 ? c->UG : c->gbuf + (u - 1) * c->gsize;
        memset(UGc, 0, c->gsize * sizeof *UGc);
    }
    size_t nb = (len + c->smax - 1) / c->smax;
    for (size_t b = 0; b < nb; b++) {
        size_t b0 = split(len, nb, b), b1 = split(len, nb, b + 1);
        size_t S = mg__lane_round(b1 - b0);
        size_t e = run_block(c, w, j->sv, lo + b0, b1 - b0, S, UGc, j->scale, j->losses, j->outputs);
        if (j->backward && e < j->bad[u]) j->bad[u] = e;
    }
}

/* chunk 0 + chunk 1 + ... in that order, for a run of gradients */
static void reduce_run(const replay_job *j, size_t r) {
    mg_compiled *c = j->c;
    size_t k0 = r * MG__REDUCE_RUN, k1 = k0 + MG__REDUCE_RUN < c->gsize ? k0 + MG__REDUCE_RUN : c->gsize;
    for (size_t ch = 1; ch < j->nchunks; ch++) {
        const double *g = c->gbuf + (ch - 1) * c->gsize;
        for (size_t k = k0; k < k1; k++) c->UG[k] += g[k];
    }
}

/* Adds the summed parameter gradients to the context's grads, unless one is not finite
 * (then nothing is added and err names the first in tape order). */
static mg_status add_gradients(mg_compiled *c, mg_err *err) {
    /* x * 0 is NaN exactly when x is not finite: one vector pass finds out whether any is */
    double nonfinite = 0.0;
    for (size_t r = 0; r < c->ngruns; r++) {
        const double *g = c->UG + c->gruns[r].u;
        for (size_t j = 0; j < c->gruns[r].len; j++) nonfinite += g[j] * 0.0;
    }
    char buf[32];
    for (size_t r = 0; r < c->ngruns && nonfinite != 0.0; r++)
        for (uint32_t j = 0; j < c->gruns[r].len; j++) {
            double g = c->UG[c->gruns[r].u + j];
            if (!isfinite(g))
                return mg_err_set(err, MG_STATUS_NUMERIC,
                                  "the gradient of parameter tape #%u summed over the batch is %s",
                                  c->gruns[r].tape + j, mg_fmt_repr(g, buf, sizeof buf));
        }
    double *grad = c->ctx->grad;
    for (size_t r = 0; r < c->ngruns; r++) {
        double *gp = grad + c->gruns[r].tape;
        const double *g = c->UG + c->gruns[r].u;
        for (size_t j = 0; j < c->gruns[r].len; j++) gp[j] += g[j];
    }
    return MG_STATUS_OK;
}

static mg_status replay(mg_compiled *c, size_t batch, const double *sv, int backward,
                        double scale, double *losses, double *outputs, mg_err *err) {
    const char *fn = backward ? "mg_compiled_forward_backward" : "mg_compiled_forward";
    if (batch == 0) return mg_err_set(err, MG_STATUS_INVALID, "%s: batch of 0 samples", fn);
    if (!sv && c->nslots) return mg_err_set(err, MG_STATUS_INVALID, "%s: slot_values is NULL", fn);
    if (c->loss == MG__NONE && (backward || losses))
        return mg_err_set(err, MG_STATUS_INVALID, "%s: the tape was compiled without a loss", fn);
    if (mg__mul_size(mg__mul_size(batch, c->nslots + c->noutputs + 1), sizeof(double)) == SIZE_MAX)
        return mg_err_set(err, MG_STATUS_INVALID, "%s: batch of %zu samples is too large", fn, batch);
    mg_ctx *ctx = c->ctx;
    if (c->has_maxidx)
        MG_ASSERT(c->maxidx < ctx->n && mg__gen_at(ctx, c->maxidx) == c->maxgen,
                  "compiled tape replayed after mg_ctx_reset dropped its parameters");

    /* Backward: chunks fixed by the batch alone, each summed lane block by lane block in
     * order. Forward: any split gives the same numbers, so blocks as wide as allowed. */
    size_t nchunks = 1;
    if (backward) {
        nchunks = batch / MG__CHUNK_LANES;
        if (nchunks < 1) nchunks = 1;
        if (nchunks > MG__MAX_CHUNKS) nchunks = MG__MAX_CHUNKS;
    }
    size_t nt = (size_t)threads_of(c);
    if (!mg__tape_reserve(c, 1, nchunks))
        return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory for work buffers", fn);
    size_t nunits = backward ? nchunks : (batch + c->smax - 1) / c->smax;
    if (nt > nunits) nt = nunits;
    if (nt > 1 && !mg__tape_reserve(c, nt, nchunks)) nt = c->nwork; /* fewer threads, same numbers */

    uniform_forward(c);
    size_t bad[MG__MAX_CHUNKS];
    for (size_t k = 0; k < MG__MAX_CHUNKS; k++) bad[k] = SIZE_MAX;
    replay_job job = {c, sv, batch, nchunks, nunits, backward, scale, losses, outputs, bad};
    size_t nred = backward && nchunks > 1 ? (c->gsize + MG__REDUCE_RUN - 1) / MG__REDUCE_RUN : 0;
#ifdef MG_HAVE_OPENMP
    if (nt > 1) {
#pragma omp parallel num_threads((int)nt)
        {
            mg__work *w = &c->work[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 1)
            for (size_t u = 0; u < nunits; u++) run_unit(&job, w, u);
#pragma omp for schedule(static)
            for (size_t r = 0; r < nred; r++) reduce_run(&job, r);
        }
    } else
#endif
    {
        for (size_t u = 0; u < nunits; u++) run_unit(&job, &c->work[0], u);
        for (size_t r = 0; r < nred; r++) reduce_run(&job, r);
    }
    if (!backward) return MG_STATUS_OK;

    for (size_t k = 0; k < nchunks; k++)
        if (bad[k] != SIZE_MAX) {
            explain(c, sv, bad[k], err);
            return MG_STATUS_NUMERIC;
        }
    uniform_backward(c, batch, scale);
    return add_gradients(c, err);
}

mg_status mg_compiled_forward(mg_compiled *c, size_t batch, const double *slot_values,
                              double *losses, double *outputs, mg_err *err) {
    return replay(c, batch, slot_values, 0, 0.0, losses, outputs, err);
}

mg_status mg_compiled_forward_backward(mg_compiled *c, size_t batch, const double *slot_values,
                                       double grad_scale, double *losses, double *outputs,
                                       mg_err *err) {
    return replay(c, batch, slot_values, 1, grad_scale, losses, outputs, err);
}
