/* standardize.c - per-feature standardisation fitted on a training split: (x - mean) /
 * std, with the rules of micrograd.h section 14c. */
#include "core/mg_internal.h"

#include <math.h>

void mg_standardizer_free(mg_standardizer *s) {
    if (!s) return;
    mg__free(s->mean);
    mg__free(s->std);
    s->mean = s->std = NULL;
    s->nfeat = 0;
}

static mg_status alloc_arrays(mg_standardizer *s, size_t nfeat, mg_err *err) {
    s->mean = mg__malloc(mg__mul_size(nfeat, sizeof *s->mean));
    s->std = mg__malloc(mg__mul_size(nfeat, sizeof *s->std));
    if (!s->mean || !s->std) {
        mg_standardizer_free(s);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory (standardisation of %zu features)",
                          nfeat);
    }
    s->nfeat = nfeat;
    return MG_STATUS_OK;
}

/* The mean and population std of n numbers `stride` apart. Two passes (mean, then squared
 * deviations): one-pass formulas lose digits when the mean is large compared with the
 * spread. A constant column gets std 1 and its value as the mean. */
static void fit_column(const double *x, size_t n, size_t stride, double *mean, double *std) {
    double sum = 0, lo = x[0], hi = x[0];
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        sum += v;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (lo == hi) {
        *mean = lo;
        *std = 1.0;
        return;
    }
    double m = sum / (double)n, ss = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i * stride] - m;
        ss += dx * dx;
    }
    double sd = sqrt(ss / (double)n);
    *mean = m;
    *std = sd > 0 && isfinite(sd) ? sd : 1.0;
}

mg_status mg_standardizer_fit(mg_standardizer *s, const mg_dataset *d, mg_err *err) {
    s->nfeat = 0;
    s->mean = s->std = NULL;
    if (!d->n || !d->nfeat)
        return mg_err_set(err, MG_STATUS_INVALID, "cannot standardise an empty dataset");
    for (size_t i = 0; i < d->n * d->nfeat; i++)
        if (!isfinite(d->x[i]))
            return mg_err_set(err, MG_STATUS_NUMERIC,
                              "cannot standardise: feature %zu of row %zu is not finite",
                              i % d->nfeat + 1, i / d->nfeat + 1);
    if (alloc_arrays(s, d->nfeat, err)) return MG_STATUS_NOMEM;
    for (size_t j = 0; j < d->nfeat; j++)
        fit_column(d->x + j, d->n, d->nfeat, &s->mean[j], &s->std[j]);
    return MG_STATUS_OK;
}

mg_status mg_standardizer_fit_target(mg_standardizer *s, const mg_dataset *d, mg_err *err) {
    s->nfeat = 0;
    s->mean = s->std = NULL;
    if (d->nclasses)
        return mg_err_set(err, MG_STATUS_INVALID, "cannot standardise class labels (%zu classes)",
                          d->nclasses);
    if (!d->n || !d->y)
        return mg_err_set(err, MG_STATUS_INVALID, "cannot standardise an empty target");
    for (size_t i = 0; i < d->n; i++)
        if (!isfinite(d->y[i]))
            return mg_err_set(err, MG_STATUS_NUMERIC,
                              "cannot standardise: the target of row %zu is not finite", i + 1);
    if (alloc_arrays(s, 1, err)) return MG_STATUS_NOMEM;
    fit_column(d->y, d->n, 1, &s->mean[0], &s->std[0]);
    return MG_STATUS_OK;
}

void mg_standardizer_apply_target(const mg_standardizer *s, mg_dataset *d) {
    if (!s->nfeat || !d->y) return;
    MG_ASSERT(s->nfeat == 1 && !d->nclasses, "a target scale is one number pair, for a regression");
    for (size_t i = 0; i < d->n; i++) d->y[i] = (d->y[i] - s->mean[0]) / s->std[0];
}

mg_status mg_standardizer_copy(mg_standardizer *dst, const mg_standardizer *src, mg_err *err) {
    dst->nfeat = 0;
    dst->mean = dst->std = NULL;
    if (!src->nfeat) return MG_STATUS_OK;
    if (alloc_arrays(dst, src->nfeat, err)) return MG_STATUS_NOMEM;
    memcpy(dst->mean, src->mean, src->nfeat * sizeof *dst->mean);
    memcpy(dst->std, src->std, src->nfeat * sizeof *dst->std);
    return MG_STATUS_OK;
}

void mg_standardizer_apply_row(const mg_standardizer *s, double *row) {
    for (size_t j = 0; j < s->nfeat; j++) row[j] = (row[j] - s->mean[j]) / s->std[j];
}

void mg_standardizer_apply(const mg_standardizer *s, mg_dataset *d) {
    if (!s->nfeat) return;
    MG_ASSERT(d->nfeat == s->nfeat, "the dataset's width differs from the standardisation's");
    for (size_t i = 0; i < d->n; i++) mg_standardizer_apply_row(s, d->x + i * d->nfeat);
}
