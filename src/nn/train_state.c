/* train_state.c - where a training run is (mg_train_state): what mg_train hands its
 * callback after each step, a checkpoint's copy of it, and resuming from one. */
#include "nn_internal.h"

#include <math.h>

/* ==== copies ============================================================================= */

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

/* ==== snapshots and resuming ============================================================= */

void mg__train_snapshot(mg_train_state *snap, size_t step, size_t epoch, size_t pos,
                        const mg_rng *rng, const mg_optim *o) {
    const double *om, *ov;
    snap->step = step;
    snap->epoch = epoch;
    snap->pos = pos;
    snap->rng = *rng;
    snap->optim_t = mg__optim_state(o, &om, &ov);
    snap->optim_m = (double *)om; /* the run's buffers, only read through the state */
    snap->optim_v = (double *)ov;
}

mg_status mg__train_resume(const mg_train_state *r, mg_optim *o, mg_rng *rng, size_t *order,
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
