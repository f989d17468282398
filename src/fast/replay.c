/* replay.c - running a compiled tape over a batch: lane blocks, dense layers, threads and
 * the fixed-order sums that make the result independent of the thread count (the rule is
 * in compile_internal.h's opening comment). The lane blocks' code is replay_tpl.h, built
 * here for float64 and float32 lanes. */
#include "compile_internal.h"

#include "core/collective.h"
#include "core/pool.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>

#define MG__CHUNK_LANES 32 /* fewest samples per chunk of the gradient sum */
/* Multiply-adds worth a thread: a replay takes one more thread per this much work (so a
 * tiny batch runs on the calling thread alone, without waking a worker). */
#define MG__THREAD_WORK 500000.0
/* Gradients worth a thread in the passes after the sums (check, add to the grads). */
#define MG__TAIL_THREAD 32768

/* A layer's weights' leading dimension, in both lane types. */
static size_t ld_of(const mg__dense *d) { return d->affine ? d->ldw : d->nin; }

#define RT(name) name##_d
#define RT_T double
#define RT_F32 0
#include "replay_tpl.h"
#define RT(name) name##_f
#define RT_T float
#define RT_F32 1
#include "replay_tpl.h"

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

mg_status mg_compiled_set_dtype(mg_compiled *c, mg_dtype dtype, mg_err *err) {
    if (dtype != MG_DTYPE_F64 && dtype != MG_DTYPE_F32)
        return mg_err_set(err, MG_STATUS_INVALID, "mg_compiled_set_dtype: unknown dtype (%d)", (int)dtype);
    if (dtype == MG_DTYPE_F32 && !mg__tape_floats(c))
        return mg_err_set(err, MG_STATUS_NOMEM, "mg_compiled_set_dtype: out of memory for float32 weights");
    c->f32 = dtype == MG_DTYPE_F32;
    return MG_STATUS_OK;
}

mg_status mg_compiled_set_collective(mg_compiled *c, const mg_collective *coll, mg_err *err) {
    mg__coll *k = NULL;
    if (coll) {
        mg_err e;
        if (!(k = mg__coll_new(coll, &e))) return mg__err_forward(err, &e);
        if (coll->nranks == 1) mg__coll_free(k), k = NULL;
    }
    mg__coll_free(c->coll);
    c->coll = k;
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
    info->dtype = c->f32 ? MG_DTYPE_F32 : MG_DTYPE_F64;
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
        if (!c->f32) continue;
        for (uint32_t o = 0; o < d->nout; o++) d->bf[o] = (float)d->b[o];
        const double *w = weights_d(c, d);
        size_t nw = (size_t)(d->nout - 1) * ld_of(d) + d->nin;
        for (size_t k = 0; k < nw; k++) d->Wf[k] = (float)w[k];
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
    /* the narrowest block; lane 0 is the sample */
    size_t S = c->f32 ? MG__LANE_STEP32 : MG__LANE_STEP;
    mg__work *w = &c->work[0];
    if (c->f32) run_block_f(c, w, sv, s, 1, S, NULL, 0.0, NULL, NULL);
    else run_block_d(c, w, sv, s, 1, S, NULL, 0.0, NULL, NULL);
#define VAL(r) (c->f32 ? value_at_f(w, (r), S, 0) : value_at_d(w, (r), S, 0))
    double loss = c->loss & MG__UREF ? c->U[c->loss & ~MG__UREF] : VAL(c->loss);
    mg_fmt_repr(loss, lbuf, sizeof lbuf);
    const char *what = NULL;
    uint32_t tape = 0;
    double x = 0.0;
    for (size_t k = 0; k < c->nslots && !what; k++)
        if (!isfinite(VAL(k))) what = "slot", tape = c->row_tape[k], x = VAL(k);
    for (size_t k = 0; k < c->uniform.n && !what; k++) {
        const mg__ins *in = &c->uniform.ins[k];
        if (!isfinite(c->U[in->out])) what = mg__ops[in->op].name, tape = in->tape, x = c->U[in->out];
    }
    for (size_t k = 0; k < c->varying.n && !what; k++) {
        const mg__ins *in = &c->varying.ins[k];
        uint32_t r0 = in->out, r1 = in->out + in->run;
        if (in->op == MG__OP_DENSE) r0 = c->groups[in->out].y0, r1 = r0 + c->groups[in->out].nout;
        for (uint32_t r = r0; r < r1 && !what; r++)
            if (!isfinite(VAL(r)))
                what = in->op == MG__OP_DENSE ? "dot" : mg__ops[in->op].name, tape = c->row_tape[r],
                x = VAL(r);
    }
#undef VAL
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

/* One replay: its units are the gradient chunks (backward) or lane blocks (forward),
 * taken by the threads in any order; then the sums, in fixed order. */
typedef struct replay_job {
    mg_compiled *c;
    const double *sv;
    size_t batch, nchunks, nunits;
    int backward, split;  /* split: weight gradients summed after the blocks (see below) */
    size_t lane_step;     /* MG__LANE_STEP, or MG__LANE_STEP32 for float lanes */
    double scale;
    double *losses, *outputs;
    size_t uend;          /* units [next, uend) are this process's (all, or its rank's) */
    double *chunk1;       /* float64: chunk 1's gradient buffer (chunk k's at + (k-1)*gsize) */
    int ranks;            /* shared among ranks: chunk 0's buffer is gbuf too, not UG */
    _Atomic size_t next;  /* the next unit to take */
    size_t bad[MG__MAX_CHUNKS]; /* per chunk: the first sample with a non-finite loss */
    size_t lo[MG__MAX_CHUNKS], len[MG__MAX_CHUNKS]; /* the chunks' samples */
    double dwork;         /* split: weight gradient work (rows x inputs), shared evenly */
    double nonfinite[MG__POOL_MAX]; /* per thread: sum of x * 0 over the gradients it checked */
} replay_job;

/* Unit u: a chunk's lane blocks (its uniform gradients summed into its buffer), or a
 * forward lane block. */
static void run_unit(replay_job *j, mg__work *w, size_t u) {
    mg_compiled *c = j->c;
    size_t lo = split(j->batch, j->nunits, u), len = split(j->batch, j->nunits, u + 1) - lo;
    size_t step = j->lane_step, nb = (len + c->smax - 1) / c->smax;
    void *ug = NULL, *small = NULL;
    if (j->backward && j->split) {
        small = c->f32 ? (void *)((float *)c->sbuf + u * c->nsmall) : (void *)(c->sbuf + u * c->nsmall);
        memset(small, 0, c->nsmall * (c->f32 ? sizeof(float) : sizeof(double)));
    } else if (j->backward) {
        ug = c->f32 ? (void *)((float *)c->gbuf + u * c->gsize)
                    : (void *)(j->ranks ? c->gbuf + u * c->gsize
                               : u == 0 ? c->UG : c->gbuf + (u - 1) * c->gsize);
        memset(ug, 0, c->gsize * (c->f32 ? sizeof(float) : sizeof(double)));
    }
    for (size_t b = 0; b < nb; b++) {
        size_t b0 = split(len, nb, b), b1 = split(len, nb, b + 1);
        size_t S = (b1 - b0 + step - 1) / step * step, e;
        if (c->f32) {
            sink_f to = {ug, small};
            e = run_block_f(c, w, j->sv, lo + b0, b1 - b0, S, j->backward ? &to : NULL, j->scale, j->losses, j->outputs);
        } else {
            sink_d to = {ug, small};
            e = run_block_d(c, w, j->sv, lo + b0, b1 - b0, S, j->backward ? &to : NULL, j->scale, j->losses, j->outputs);
        }
        if (j->backward && e < j->bad[u]) j->bad[u] = e;
    }
}

static void task_units(void *arg, int t, int nt) {
    replay_job *j = arg;
    (void)nt;
    for (size_t u; (u = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < j->uend;)
        run_unit(j, &j->c->work[j->split ? u : (size_t)t], u);
}

/* x * 0 is NaN exactly when x is not finite: the sum over x[0 .. n-1], in eight running
 * sums so it is not one chain of dependent additions. */
static double nonfinite_sum(const double *x, size_t n) {
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (size_t q = 0; q < 8; q++) a[q] += x[k + q] * 0.0;
    for (; k < n; k++) a[0] += x[k] * 0.0;
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

/* Thread t's share [*lo, *hi) of n items. */
static void share(size_t n, int t, int nt, size_t *lo, size_t *hi) {
    *lo = n * (size_t)t / (size_t)nt;
    *hi = n * (size_t)(t + 1) / (size_t)nt;
}

/* The chunks added in chunk order, UG = chunk 0 + chunk 1 + ..., thread t's share of
 * UG: float64 chunks 1.. onto chunk 0 (UG itself), float32 chunks widened. */
static void task_reduce(void *arg, int t, int nt) {
    replay_job *j = arg;
    mg_compiled *c = j->c;
    size_t k0, k1;
    share(c->gsize, t, nt, &k0, &k1);
    if (c->f32) {
        const float *g = (const float *)c->gbuf;
        for (size_t k = k0; k < k1; k++) c->UG[k] = (double)g[k];
        for (size_t ch = 1; ch < j->nchunks; ch++)
            for (size_t k = k0; k < k1; k++) c->UG[k] += (double)g[ch * c->gsize + k];
        return;
    }
    for (size_t ch = 1; ch < j->nchunks; ch++) {
        const double *g = j->chunk1 + (ch - 1) * c->gsize;
        for (size_t k = k0; k < k1; k++) c->UG[k] += g[k];
    }
}

/* A split replay's sums: the rows x inputs of every layer's weight gradient shared evenly
 * over the threads in strips of MG__DW_ROWS neurons (dw_rows), and on thread 0 the
 * compact slots (chunk 0 + chunk 1 + ... into UG) and the ranges nothing writes (zeroed).
 * With the simple tail each thread also checks what it wrote. */
static void task_split_sums(void *arg, int t, int nt) {
    replay_job *j = arg;
    mg_compiled *c = j->c;
    double nf = 0.0;
    if (t == 0) {
        for (size_t r = 0; r < c->nzruns; r++)
            memset(c->UG + c->zruns[r].at, 0, c->zruns[r].len * sizeof *c->UG);
        for (size_t s = 0; s < c->nsmall; s++) {
            double x;
            if (c->f32) {
                const float *sb = (const float *)c->sbuf;
                x = (double)sb[s];
                for (size_t ch = 1; ch < j->nchunks; ch++) x += (double)sb[ch * c->nsmall + s];
            } else {
                x = c->sbuf[s];
                for (size_t ch = 1; ch < j->nchunks; ch++) x += c->sbuf[ch * c->nsmall + s];
            }
            c->UG[c->small_u[s]] = x;
            nf += x * 0.0;
        }
    }
    /* this thread's work: [w0, w1) of the layers' rows x inputs, laid end to end */
    double w0 = j->dwork * t / nt, w1 = j->dwork * (t + 1) / nt, at = 0.0;
    float *scratch = (float *)c->work[t].dws;
    for (size_t g = 0; g < c->ngroups; g++) {
        const mg__dense *d = &c->groups[g];
        if (!d->need_dw) continue;
        double per = (double)d->nin;
        size_t nstrip = (d->nout + MG__DW_ROWS - 1) / MG__DW_ROWS;
        for (size_t sidx = 0; sidx < nstrip; sidx++) {
            size_t o0 = sidx * MG__DW_ROWS, o1 = o0 + MG__DW_ROWS < d->nout ? o0 + MG__DW_ROWS : d->nout;
            double mid = at + per * (double)(o0 + o1) / 2.0; /* a strip goes where its middle is */
            if (mid < w0 || mid >= w1) continue;
            if (c->f32) dw_rows_f(c, d, o0, o1, j->sv, j->lo, j->len, j->nchunks, j->lane_step, scratch);
            else dw_rows_d(c, d, o0, o1, j->sv, j->lo, j->len, j->nchunks, j->lane_step, scratch);
            if (c->simple_tail) {
                const double *out = c->UG + (d->affine ? d->w0 : d->dw) + o0 * ld_of(d);
                for (size_t r = 0; r < o1 - o0; r++) nf += nonfinite_sum(out + r * ld_of(d), d->nin);
            }
        }
        at += per * (double)d->nout;
    }
    j->nonfinite[t] = nf;
}

/* The parameters' gradients (the runs gruns, n of them in all) shared by element: thread
 * t checks its share (check) or adds it to the context's grads. */
static void params_share(const mg_compiled *c, int t, int nt, int add, double *nf) {
    size_t n = c->nlossparams, lo, hi, at = 0;
    share(n, t, nt, &lo, &hi);
    double s = 0.0, *grad = c->ctx->grad;
    for (size_t r = 0; r < c->ngruns && at < hi; r++) {
        size_t len = c->gruns[r].len, a = lo > at ? lo - at : 0, b = hi - at < len ? hi - at : len;
        if (a < b) {
            const double *g = c->UG + c->gruns[r].u + a;
            double *gp = grad + c->gruns[r].tape + a;
            if (add)
                for (size_t k = 0; k < b - a; k++) gp[k] += g[k];
            else
                s += nonfinite_sum(g, b - a);
        }
        at += len;
    }
    if (nf) *nf = s;
}
static void task_check(void *arg, int t, int nt) {
    replay_job *j = arg;
    params_share(j->c, t, nt, 0, &j->nonfinite[t]);
}
static void task_add(void *arg, int t, int nt) {
    replay_job *j = arg;
    params_share(j->c, t, nt, 1, NULL);
}

/* The first parameter whose summed gradient is not finite, as an error. */
static mg_status nonfinite_error(const mg_compiled *c, mg_err *err) {
    char buf[32];
    for (size_t r = 0; r < c->ngruns; r++)
        for (uint32_t k = 0; k < c->gruns[r].len; k++) {
            double g = c->UG[c->gruns[r].u + k];
            if (!isfinite(g))
                return mg_err_set(err, MG_STATUS_NUMERIC,
                                  "the gradient of parameter tape #%u summed over the batch is %s",
                                  c->gruns[r].tape + k, mg_fmt_repr(g, buf, sizeof buf));
        }
    return mg_err_set(err, MG_STATUS_NUMERIC, "a gradient summed over the batch is not finite");
}

/* Threads for a replay: the tape's setting, at most one per unit, and no more than its
 * work pays for (MG__THREAD_WORK each). */
static int replay_threads(const mg_compiled *c, size_t batch, int backward, size_t nunits) {
    size_t nt = (size_t)threads_of(c);
    double work = (double)batch * (backward ? c->work_bwd : c->work_fwd);
    size_t by_work = work / MG__THREAD_WORK < (double)MG__POOL_MAX ? (size_t)(work / MG__THREAD_WORK)
                                                                  : MG__POOL_MAX;
    if (by_work < 1) by_work = 1;
    if (nt > by_work) nt = by_work;
    if (nt > nunits) nt = nunits;
    return (int)nt;
}

/* Whether to split: allowed by the layout, each chunk one lane block, and cheaper than
 * per-chunk buffers (which cost about three passes over gsize per chunk: zeroing,
 * accumulating, adding up) against re-reading each dense layer's output gradients and
 * inputs once more. Depends on the batch alone, and both ways give the same bits. */
static int use_split(const mg_compiled *c, size_t batch, size_t nchunks) {
    if (!c->split_ok) return 0;
    for (size_t u = 0; u < nchunks; u++)
        if (split(batch, nchunks, u + 1) - split(batch, nchunks, u) > c->smax) return 0;
    double reread = 0.0;
    for (size_t g = 0; g < c->ngroups; g++)
        if (c->groups[g].need_dw) reread += (double)c->groups[g].nout + (double)c->groups[g].nin;
    return 3.0 * (double)nchunks * (double)c->gsize > (double)batch * reread;
}

/* The work buffers of a replay: nwork lane blocks and gbuf doubles of chunk buffers, or
 * when that fails, what one thread needs (*nt is then 1: fewer threads, same numbers). */
static mg_status reserve(mg_compiled *c, int *nt, int splitting, size_t nchunks, size_t nwork,
                         size_t gbuf, const char *fn, mg_err *err) {
    if (mg__tape_reserve(c, nwork, gbuf)) return MG_STATUS_OK;
    if (*nt == 1 || !mg__tape_reserve(c, splitting ? nchunks : 1, gbuf))
        return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory for work buffers", fn);
    *nt = 1;
    return MG_STATUS_OK;
}

/* Rank r's units of the replay, and their samples, into k->at and k->len (in units of
 * `per` numbers a sample, or a unit when chunks is set). */
static void rank_ranges(mg__coll *k, const replay_job *j, size_t per, int chunks) {
    for (int r = 0; r < k->c.nranks; r++) {
        size_t u0, u1;
        mg__coll_share(k, r, j->nunits, &u0, &u1);
        if (!chunks) u0 = split(j->batch, j->nunits, u0), u1 = split(j->batch, j->nunits, u1);
        k->at[r] = u0 * per, k->len[r] = (u1 - u0) * per;
    }
}

/* After a rank's share of a replay: the ranks' statuses and first non-finite losses, then
 * (when all are well) the losses, outputs and chunk sums, so every rank holds what one
 * process would. st is this rank's status so far (its message in err). */
static mg_status share_out(mg_compiled *c, replay_job *j, mg_status st, const char *fn, mg_err *err) {
    mg__coll *k = c->coll;
    mg__coll_record rec;
    mg__coll_record_init(&rec, st, err);
    for (size_t u = 0; j->backward && u < j->nchunks; u++)
        if (j->bad[u] != SIZE_MAX && (uint64_t)j->bad[u] < rec.bad) rec.bad = j->bad[u];
    mg_status ex = MG_STATUS_IO;
    if (mg__coll_exchange(k, &rec)) goto failed;
    mg_status first = mg__coll_first_failure(k, err);
    if (first) return first;
    uint64_t bad = UINT64_MAX; /* chunks are in sample order: the first is the least */
    for (int r = 0; r < k->c.nranks; r++)
        if (k->recs[r].bad < bad) bad = k->recs[r].bad;
    for (size_t u = 0; u < MG__MAX_CHUNKS; u++) j->bad[u] = SIZE_MAX;
    if (bad != UINT64_MAX) {
        j->bad[0] = (size_t)bad;
        return MG_STATUS_OK;
    }
    if (j->losses) {
        rank_ranges(k, j, 1, 0);
        if (mg__coll_gather(k, j->losses, sizeof *j->losses)) goto failed;
    }
    if (j->outputs && c->noutputs) {
        rank_ranges(k, j, c->noutputs, 0);
        if (mg__coll_gather(k, j->outputs, sizeof *j->outputs)) goto failed;
    }
    if (!j->backward) return MG_STATUS_OK;
    rank_ranges(k, j, c->gsize, 1);
    if (mg__coll_gather(k, c->gbuf, c->f32 ? sizeof(float) : sizeof(double))) goto failed;
    if (!c->f32) memcpy(c->UG, c->gbuf, c->gsize * sizeof *c->UG);
    return MG_STATUS_OK;
failed:
    return mg_err_set(err, ex, "%s: rank %d: the exchange between ranks failed", fn, k->c.rank);
}

/* The sums after the chunks, then what runs after them, the check and the context's
 * grads. */
static mg_status finish(mg_compiled *c, replay_job *j, int nt, mg_err *err) {
    int fused = 0;
    if (j->split) {
        for (size_t g = 0; g < c->ngroups; g++)
            if (c->groups[g].need_dw) j->dwork += (double)c->groups[g].nout * (double)c->groups[g].nin;
        mg__pool_run(nt, task_split_sums, j);
        fused = c->simple_tail;
    } else if (j->nchunks > 1 || c->f32) {
        size_t per = c->gsize * j->nchunks;
        mg__pool_run(per / MG__TAIL_THREAD + 1 < (size_t)nt ? (int)(per / MG__TAIL_THREAD + 1) : nt,
                     task_reduce, j);
    }
    uniform_backward(c, j->batch, j->scale);
    int ntail = c->nlossparams / MG__TAIL_THREAD + 1 < (size_t)nt ? (int)(c->nlossparams / MG__TAIL_THREAD + 1) : nt;
    if (!fused) mg__pool_run(ntail, task_check, j);
    double nf = 0.0;
    for (int t = 0; t < (fused ? nt : ntail); t++) nf += j->nonfinite[t];
    if (nf != 0.0) return nonfinite_error(c, err);
    mg__pool_run(ntail, task_add, j);
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
     * order. Forward: any split gives the same numbers, so blocks as wide as allowed.
     * Ranks take a contiguous share of the units each. */
    size_t nchunks = 1;
    if (backward) {
        nchunks = batch / MG__CHUNK_LANES;
        if (nchunks < 1) nchunks = 1;
        if (nchunks > MG__MAX_CHUNKS) nchunks = MG__MAX_CHUNKS;
    }
    size_t nunits = backward ? nchunks : (batch + c->smax - 1) / c->smax, u0 = 0, u1 = nunits;
    mg__coll *k = c->coll;
    if (k) mg__coll_share(k, k->c.rank, nunits, &u0, &u1);
    int nt = replay_threads(c, batch, backward, u1 > u0 ? u1 - u0 : 1);
    int splitting = backward && !k && use_split(c, batch, nchunks);
    /* work buffers: a thread's lane block each, or in a split replay a chunk's each; the
     * chunks' gradient buffers (float64: chunk 0 is UG, unless shared among ranks) */
    size_t nwork = splitting && nchunks > (size_t)nt ? nchunks : (size_t)nt;
    size_t gbuf = !backward || splitting ? 0
                  : c->f32 ? (nchunks * c->gsize + 1) / 2 : (nchunks - (k ? 0 : 1)) * c->gsize;
    mg_status st = reserve(c, &nt, splitting, nchunks, nwork, gbuf, fn, err);
    if (st && !k) return st;

    uniform_forward(c);
    replay_job job = {.c = c, .sv = sv, .batch = batch, .nchunks = nchunks, .nunits = nunits,
                      .backward = backward, .split = splitting, .uend = u1,
                      .chunk1 = k && c->gbuf ? c->gbuf + c->gsize : c->gbuf, .ranks = k != NULL,
                      .lane_step = c->f32 ? MG__LANE_STEP32 : MG__LANE_STEP, .scale = scale,
                      .losses = losses, .outputs = outputs};
    atomic_init(&job.next, u0);
    for (size_t q = 0; q < MG__MAX_CHUNKS; q++) job.bad[q] = SIZE_MAX;
    for (size_t q = 0; q < nchunks; q++)
        job.lo[q] = split(batch, nchunks, q), job.len[q] = split(batch, nchunks, q + 1) - job.lo[q];
    if (!st) mg__pool_run(nt, task_units, &job);
    if (k && (st = share_out(c, &job, st, fn, err))) return st;
    if (!backward) return MG_STATUS_OK;
    for (size_t q = 0; q < nchunks; q++)
        if (job.bad[q] != SIZE_MAX) {
            explain(c, sv, job.bad[q], err);
            return MG_STATUS_NUMERIC;
        }
    return finish(c, &job, nt, err);
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
