/* tape.c - the memory of a compiled tape: every block of struct mg_compiled, those
 * mg_compile fills once and the work buffers a replay grows, is allocated and counted
 * here and freed by mg_compiled_free, so one file owns the object. */
#include "compile_internal.h"

#include "core/collective.h"

mg_compiled *mg__tape_new(mg_ctx *ctx) {
    mg_compiled *c = mg__calloc(1, sizeof *c);
    if (!c) return NULL;
    c->nallocs = 1;
    c->bytes = sizeof *c;
    c->ctx = ctx;
    c->loss = MG__NONE;
    c->nthreads = mg__threads(0);
    c->kern = mg__kernels_get(MG_KERNELS_AUTO);
    return c;
}

void *mg__tape_calloc(mg_compiled *c, size_t n, size_t size) {
    size_t bytes = mg__mul_size(n, size);
    if (bytes == SIZE_MAX) return NULL;
    void *p = mg__calloc(n ? n : 1, size ? size : 1);
    if (p) {
        c->nallocs++;
        c->bytes += bytes;
    }
    return p;
}

static void work_free(mg__work *w) {
    mg__free(w->V);
    mg__free(w->G);
    mg__free(w->XT);
    mg__free((void *)w->rows);
    mg__free(w->dws);
    *w = (mg__work){0};
}

/* One lane block: V and G of nrows rows, the transposed inputs of the weight gradients,
 * row pointers for transposes, and for float32 lanes a split replay's scratch. 0 when out
 * of memory (nothing left allocated). */
static int work_alloc(mg_compiled *c, mg__work *w) {
    size_t vs = mg__mul_size(c->nrows ? c->nrows : 1, c->smax);
    w->V = mg__tape_calloc(c, vs, sizeof(double));
    w->G = mg__tape_calloc(c, vs, sizeof(double));
    w->XT = mg__tape_calloc(c, mg__mul_size(c->smax, c->xtsize ? c->xtsize : 1), sizeof(double));
    size_t nptr = c->maxnin8 > c->smax ? c->maxnin8 : c->smax;
    w->rows = mg__tape_calloc(c, nptr, sizeof *w->rows);
    w->dws = c->f32 ? mg__tape_calloc(c, MG__DW_ROWS * (c->maxnin8 ? c->maxnin8 : 1), sizeof(float)) : NULL;
    if (w->V && w->G && w->XT && w->rows && (w->dws || !c->f32)) return 1;
    work_free(w);
    return 0;
}

int mg__tape_reserve(mg_compiled *c, size_t nwork, size_t gbuf) {
    if (nwork > c->nwork) {
        mg__work *w = mg__tape_calloc(c, nwork, sizeof *w);
        if (!w) return 0;
        if (c->nwork) memcpy(w, c->work, c->nwork * sizeof *w);
        mg__free(c->work);
        c->work = w;
        for (size_t t = c->nwork; t < nwork; t++) {
            if (!work_alloc(c, &w[t])) return 0;
            c->nwork = t + 1;
        }
    }
    for (size_t t = 0; c->f32 && t < c->nwork; t++) /* float32 set after the buffers were made */
        if (!c->work[t].dws && !(c->work[t].dws = mg__tape_calloc(c, MG__DW_ROWS * (c->maxnin8 ? c->maxnin8 : 1), sizeof(float))))
            return 0;
    if (gbuf > c->ngbuf) {
        double *g = mg__tape_calloc(c, gbuf, sizeof *g);
        if (!g) return 0;
        mg__free(c->gbuf);
        c->gbuf = g;
        c->ngbuf = gbuf;
    }
    return 1;
}

int mg__tape_floats(mg_compiled *c) {
    for (size_t g = 0; g < c->ngroups; g++) {
        mg__dense *d = &c->groups[g];
        if (d->Wf) continue;
        size_t nw = (size_t)(d->nout - 1) * (d->affine ? d->ldw : d->nin) + d->nin;
        d->Wf = mg__tape_calloc(c, nw, sizeof *d->Wf);
        d->bf = mg__tape_calloc(c, d->nout, sizeof *d->bf);
        if (!d->Wf || !d->bf) return 0;
    }
    return 1;
}

int mg__tape_program(mg_compiled *c, mg__program *p, size_t nins, size_t nargs) {
    p->ins = mg__tape_calloc(c, nins, sizeof *p->ins);
    p->args = mg__tape_calloc(c, nargs, sizeof *p->args);
    p->argneed = mg__tape_calloc(c, nargs, sizeof *p->argneed);
    p->n = p->nargs = 0;
    return p->ins && p->args && p->argneed;
}

static void program_free(mg__program *p) {
    mg__free(p->ins);
    mg__free(p->args);
    mg__free(p->argneed);
}

void mg_compiled_free(mg_compiled *c) {
    if (!c) return;
    program_free(&c->varying);
    program_free(&c->uniform);
    mg__free(c->outputs);
    mg__free(c->bc_row);
    mg__free(c->bc_u);
    mg__free(c->bc_need);
    mg__free(c->row_tape);
    mg__free(c->U);
    mg__free(c->UG);
    mg__free(c->gruns);
    mg__free(c->cruns);
    for (size_t g = 0; g < c->ngroups; g++) {
        mg__free(c->groups[g].W);
        mg__free(c->groups[g].b);
        mg__free(c->groups[g].Wf);
        mg__free(c->groups[g].bf);
    }
    mg__free(c->slots);
    mg__free(c->bc_slot);
    mg__free(c->small_u);
    mg__free(c->zruns);
    mg__free(c->sbuf);
    mg__free(c->groups);
    mg__free(c->idx);
    for (size_t t = 0; t < c->nwork; t++) work_free(&c->work[t]);
    mg__free(c->work);
    mg__free(c->gbuf);
    mg__coll_free(c->coll);
    mg__free(c);
}
