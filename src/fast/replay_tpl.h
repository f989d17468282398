/* replay_tpl.h - a lane block's forward and backward and a split replay's weight
 * gradients, written once for both lane types: replay.c includes it with
 *   RT(name)  the function's name with the type's suffix
 *   RT_T      the lanes' type, double or float
 *   RT_F32    1 for float lanes (kernels c->kern->f, weights and biases as floats)
 * Uniform values (U, UG) and the caller's rows are doubles in both. No include guard. */

#if RT_F32
#define RT_K (&c->kern->f)
#else
#define RT_K (c->kern)
#endif

/* A layer's weights and biases as its kernels read them (leading dimension ld_of). */
static const RT_T *RT(weights)(const mg_compiled *c, const mg__dense *d) {
#if RT_F32
    (void)c;
    return d->Wf;
#else
    if (!d->affine) return d->W;
    return (d->in_ctx ? c->ctx->data + c->pmin : c->U) + d->w0;
#endif
}
static const RT_T *RT(biases)(const mg__dense *d) {
#if RT_F32
    return d->bf;
#else
    return d->b;
#endif
}

static void RT(dense_forward)(const mg_compiled *c, const mg__dense *d, RT_T *V, size_t S) {
    RT_K->gemm_rows(d->nout, d->nin, RT(weights)(c, d), ld_of(d), 1, RT(biases)(d), V,
                    c->idx + d->yrows, V, c->idx + d->xrows, S);
}

/* Layer d's inputs transposed for its weight gradient, XT[l*ldx + i], in block w of S
 * lanes holding samples s0 ..: the caller's rows themselves for float64 slots, else the
 * block's own copy (made by dense_backward). */
static const RT_T *RT(xt_of)(const mg_compiled *c, const mg__dense *d, const mg__work *w,
                             const double *sv, size_t s0, size_t S, size_t *ldx) {
#if !RT_F32
    if (d->x_slots) {
        *ldx = c->nslots;
        return sv + s0 * c->nslots;
    }
#else
    (void)c, (void)sv, (void)s0;
#endif
    *ldx = (d->nin + MG__LANE_STEP32 - 1) / MG__LANE_STEP32 * MG__LANE_STEP32;
    return (const RT_T *)w->XT + d->xt * S;
}

/* Where a block's uniform gradients go: a chunk's whole buffer (indexed by uniform index),
 * or, when the replay is split, its compact slots (and the weight gradients wait). */
typedef struct RT(sink) {
    RT_T *ug;    /* [gsize] or NULL */
    RT_T *small; /* [nsmall] or NULL */
} RT(sink);

/* Bias gradients summed over the n real lanes, weight gradients summed into the chunk's
 * buffer (or their inputs transposed for later), input gradients per lane: dX += W^T dY. */
static void RT(dense_backward)(const mg_compiled *c, const mg__dense *d, mg__work *w, size_t S,
                               size_t n, const RT(sink) *to, const double *sv, size_t s0) {
    RT_T *G = (RT_T *)w->G;
    const RT_T *dY = G + (size_t)d->y0 * S;
    if (d->need_db)
        for (uint32_t o = 0; o < d->nout; o++) {
            uint32_t k = to->ug ? c->idx[d->bias + o] : c->slots[d->bslot + o];
            if (k != MG__NONE) (to->ug ? to->ug : to->small)[k] += RT_K->lanesum(dY + o * S, n);
        }
    if (d->need_dw) {
        size_t ldx;
        const RT_T *XT = RT(xt_of)(c, d, w, sv, s0, S, &ldx);
        const RT_T *V = (const RT_T *)w->V;
        const uint32_t *x = c->idx + d->xrows;
#if RT_F32
        if (d->x_slots) { /* the caller's rows are the transpose: rounded to floats */
            for (size_t l = 0; l < n; l++) {
                const double *src = sv + (s0 + l) * c->nslots;
                RT_T *dst = (RT_T *)XT + l * ldx;
                for (uint32_t i = 0; i < d->nin; i++) dst[i] = (RT_T)src[i];
            }
        } else {
#else
        if (!d->x_slots) {
#endif
            const RT_T **rows = (const RT_T **)w->rows;
            for (uint32_t i = 0; i < d->nin; i++) rows[i] = V + (size_t)x[i] * S;
            RT_K->transpose(d->nin, n, rows, (RT_T *)XT, ldx);
        }
        if (to->ug)
            RT_K->gemm_dw(d->nout, d->nin, n, dY, S, XT, ldx, V, x, to->ug + (d->affine ? d->w0 : d->dw),
                          ld_of(d), MG__TILE_ACC);
    }
    if (d->need_dx)
        RT_K->gemm_rows(d->nin, d->nout, RT(weights)(c, d), 1, ld_of(d), NULL, G, c->idx + d->xrows,
                        G, c->idx + d->yrows, S);
}

static double RT(ref_value)(const mg_compiled *c, const RT_T *V, size_t S, uint32_t ref, size_t l) {
    return (ref & MG__UREF) ? c->U[ref & ~MG__UREF] : (double)V[(size_t)ref * S + l];
}

/* Forward over samples s0 .. s0+n-1 in block w of S lanes (padding lanes repeat the last
 * sample, so they compute harmless numbers); then, when `to` is given, backward with the
 * loss gradient `scale`, summing uniform gradients as it says. Returns the first sample
 * whose loss is not finite, or SIZE_MAX. */
static size_t RT(run_block)(const mg_compiled *c, mg__work *w, const double *sv, size_t s0,
                            size_t n, size_t S, const RT(sink) *to, double scale,
                            double *losses, double *outputs) {
    RT_T *V = (RT_T *)w->V, *G = (RT_T *)w->G;
    size_t ns = c->nslots;
    const double **rows = (const double **)w->rows;
    for (size_t l = 0; l < S; l++) rows[l] = sv + (s0 + (l < n ? l : n - 1)) * ns;
#if RT_F32
    RT_K->load(S, ns, rows, V, S);
#else
    RT_K->transpose(S, ns, rows, V, S);
#endif
    for (size_t b = 0; b < c->nbcast; b++) {
        RT_T *row = V + (size_t)c->bc_row[b] * S, u = (RT_T)c->U[c->bc_u[b]];
        for (size_t l = 0; l < S; l++) row[l] = u;
    }
    for (size_t k = 0; k < c->varying.n; k++) {
        const mg__ins *in = &c->varying.ins[k];
        if (in->op == MG__OP_DENSE) RT(dense_forward)(c, &c->groups[in->out], V, S);
        else RT_K->fw(in, c->varying.args, V, S, S * in->run);
    }
    size_t bad = SIZE_MAX;
    if (c->loss != MG__NONE)
        for (size_t l = 0; l < n; l++) {
            double x = RT(ref_value)(c, V, S, c->loss, l);
            if (losses) losses[s0 + l] = x;
            if (!isfinite(x) && bad == SIZE_MAX) bad = s0 + l;
        }
    if (outputs)
        for (size_t l = 0; l < n; l++)
            for (size_t j = 0; j < c->noutputs; j++)
                outputs[(s0 + l) * c->noutputs + j] = RT(ref_value)(c, V, S, c->outputs[j], l);
    if (!to) return bad;

    /* slot rows never take gradients (an input gradient written there is not read) */
    memset(G + ns * S, 0, (c->nrows - ns) * S * sizeof *G);
    if (!(c->loss & MG__UREF))
        for (size_t l = 0; l < n; l++) G[(size_t)c->loss * S + l] = (RT_T)scale;
    for (size_t k = c->varying.n; k-- > 0;) {
        const mg__ins *in = &c->varying.ins[k];
        if (!in->bwd) continue;
        if (in->op == MG__OP_DENSE) RT(dense_backward)(c, &c->groups[in->out], w, S, n, to, sv, s0);
        else RT_K->bw(in, c->varying.args, c->varying.argneed, V, G, S, S * in->run);
    }
    for (size_t b = 0; b < c->nbcast; b++) {
        uint32_t k = to->ug ? (c->bc_need[b] ? c->bc_u[b] : MG__NONE) : c->bc_slot[b];
        if (k != MG__NONE) (to->ug ? to->ug : to->small)[k] += RT_K->lanesum(G + (size_t)c->bc_row[b] * S, n);
    }
    return bad;
}

/* A split replay's weight gradient of layer d, output neurons o0 .. o1-1: each chunk's
 * partial a sum from 0 over its lanes in order (the chunk one lane block, block k kept in
 * c->work[k]), added to the chunks before it in chunk order, into UG. Float lanes sum a
 * chunk in floats (into the thread's scratch) and add the chunks as doubles. */
static void RT(dw_rows)(const mg_compiled *c, const mg__dense *d, size_t o0, size_t o1,
                        const double *sv, const size_t *lo, const size_t *len, size_t nchunks,
                        size_t lane_step, float *scratch) {
    size_t ld = ld_of(d), m = o1 - o0;
    double *out = c->UG + (d->affine ? d->w0 : d->dw) + o0 * ld;
    const uint32_t *x = c->idx + d->xrows;
    for (size_t k = 0; k < nchunks; k++) {
        const mg__work *w = &c->work[k];
        size_t n = len[k], S = (n + lane_step - 1) / lane_step * lane_step, ldx;
        const RT_T *XT = RT(xt_of)(c, d, w, sv, lo[k], S, &ldx);
        const RT_T *dY = (const RT_T *)w->G + ((size_t)d->y0 + o0) * S;
#if RT_F32
        RT_K->gemm_dw(m, d->nin, n, dY, S, XT, ldx, (const RT_T *)w->V, x, scratch, d->nin, MG__TILE_SET);
        for (size_t r = 0; r < m; r++) {
            const float *s = scratch + r * d->nin;
            double *o = out + r * ld;
            if (k == 0)
                for (size_t i = 0; i < d->nin; i++) o[i] = (double)s[i];
            else
                for (size_t i = 0; i < d->nin; i++) o[i] += (double)s[i];
        }
#else
        (void)scratch;
        RT_K->gemm_dw(m, d->nin, n, dY, S, XT, ldx, (const RT_T *)w->V, x, out, ld,
                      k == 0 ? MG__TILE_SET : MG__TILE_ADD);
#endif
    }
}

/* The value of row r in lane l of block w, for messages. */
static double RT(value_at)(const mg__work *w, size_t r, size_t S, size_t l) {
    return (double)((const RT_T *)w->V)[r * S + l];
}

#undef RT_K
#undef RT
#undef RT_T
#undef RT_F32
