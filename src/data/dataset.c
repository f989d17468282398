/* dataset.c - the dataset type (micrograd.h section 11): its life cycle, copies of rows,
 * shuffling, splits and class counts. The generators are generators.c. */
#include "dataset.h"

#include <math.h>

/* ==== life cycle ========================================================================= */

mg_dataset *mg__dataset_empty(mg_err *err) {
    mg_dataset *d = mg__calloc(1, sizeof *d);
    if (!d) mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    return d;
}

mg_dataset *mg_dataset_new(size_t n, size_t nfeat, size_t nclasses, mg_err *err) {
    if (nfeat == 0) {
        mg_err_set(err, MG_STATUS_INVALID, "a dataset needs at least 1 feature");
        return NULL;
    }
    mg_dataset *d = mg__calloc(1, sizeof *d);
    if (!d) goto nomem;
    d->n = n;
    d->nfeat = nfeat;
    d->nclasses = nclasses;
    size_t cells = mg__mul_size(n, nfeat);
    if (cells == SIZE_MAX) goto nomem;
    d->x = mg__calloc(cells, sizeof *d->x);
    d->y = mg__calloc(n, sizeof *d->y);
    if (!d->x || !d->y) goto nomem;
    return d;
nomem:
    mg_dataset_free(d);
    mg_err_set(err, MG_STATUS_NOMEM, "out of memory for a dataset of %zu rows of %zu features",
               n, nfeat);
    return NULL;
}

static void free_names(char **names, size_t n) {
    if (!names) return;
    for (size_t i = 0; i < n; i++) mg__free(names[i]);
    mg__free(names);
}

void mg_dataset_free(mg_dataset *d) {
    if (!d) return;
    mg__free(d->x);
    mg__free(d->y);
    free_names(d->class_names, d->nclasses);
    free_names(d->feature_names, d->nfeat);
    mg__free(d->target_name);
    mg__free(d);
}

/* A copy of n names (NULL entries stay NULL); *ok is cleared when out of memory. */
static char **copy_names(char *const *src, size_t n, int *ok) {
    if (!src) return NULL;
    char **dst = mg__calloc(n, sizeof *dst);
    if (!dst) {
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (src[i] && !(dst[i] = mg__strdup(src[i]))) *ok = 0;
    return dst;
}

mg_dataset *mg_dataset_slice(const mg_dataset *d, size_t start, size_t count, mg_err *err) {
    if (start > d->n || count > d->n - start) {
        mg_err_set(err, MG_STATUS_INVALID, "rows %zu..%zu are past the dataset's %zu rows",
                   start, start + count, d->n);
        return NULL;
    }
    mg_dataset *s = mg_dataset_new(count, d->nfeat, d->nclasses, err);
    if (!s) return NULL;
    memcpy(s->x, d->x + start * d->nfeat, count * d->nfeat * sizeof *s->x);
    memcpy(s->y, d->y + start, count * sizeof *s->y);
    int ok = 1;
    s->class_names = copy_names(d->class_names, d->nclasses, &ok);
    s->feature_names = copy_names(d->feature_names, d->nfeat, &ok);
    if (d->target_name && !(s->target_name = mg__strdup(d->target_name))) ok = 0;
    if (!ok) {
        mg_dataset_free(s);
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory copying a dataset's names");
        return NULL;
    }
    return s;
}

mg_dataset *mg_dataset_from_arrays(size_t n, size_t nfeat, const double *x, const double *y,
                                   size_t nclasses, const char *const *class_names,
                                   const char *const *feature_names, mg_err *err) {
    MG_ASSERT(x || !n, "x is NULL");
    for (size_t i = 0; y && nclasses && i < n; i++)
        if (!(y[i] >= 0.0 && y[i] < (double)nclasses && y[i] == floor(y[i]))) {
            mg_err_set(err, MG_STATUS_INVALID, "row %zu: target %g is not a class 0 .. %zu", i,
                       y[i], nclasses - 1);
            return NULL;
        }
    mg_dataset *d = mg_dataset_new(n, nfeat, nclasses, err);
    if (!d) return NULL;
    if (n) memcpy(d->x, x, n * nfeat * sizeof *d->x);
    if (n && y) memcpy(d->y, y, n * sizeof *d->y);
    int ok = 1;
    d->class_names = nclasses ? copy_names((char *const *)class_names, nclasses, &ok) : NULL;
    d->feature_names = copy_names((char *const *)feature_names, nfeat, &ok);
    if (!ok) {
        mg_dataset_free(d);
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory copying a dataset's names");
        return NULL;
    }
    return d;
}

/* ==== shuffling, splits, counts ========================================================== */

static void swap_rows(void *user, size_t i, size_t j) {
    mg_dataset *d = user;
    double *a = d->x + i * d->nfeat, *b = d->x + j * d->nfeat;
    for (size_t k = 0; k < d->nfeat; k++) {
        double t = a[k];
        a[k] = b[k];
        b[k] = t;
    }
    double t = d->y[i];
    d->y[i] = d->y[j];
    d->y[j] = t;
}

void mg_dataset_shuffle(mg_dataset *d, mg_rng *rng) { mg__shuffle(rng, d->n, swap_rows, d); }

mg_status mg_dataset_split(const mg_dataset *d, size_t ntrain, size_t nval, mg_dataset **train,
                           mg_dataset **val, mg_dataset **test, mg_err *err) {
    if (train) *train = NULL;
    if (val) *val = NULL;
    if (test) *test = NULL;
    if (ntrain > d->n || nval > d->n - ntrain)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "cannot split %zu rows into %zu for training and %zu for validation",
                          d->n, ntrain, nval);
    mg_dataset *parts[3] = {NULL, NULL, NULL};
    mg_dataset **outs[3] = {train, val, test};
    size_t starts[3] = {0, ntrain, ntrain + nval};
    size_t counts[3] = {ntrain, nval, d->n - ntrain - nval};
    for (int p = 0; p < 3; p++) {
        if (!outs[p]) continue;
        parts[p] = mg_dataset_slice(d, starts[p], counts[p], err);
        if (!parts[p]) {
            for (int q = 0; q < p; q++) mg_dataset_free(parts[q]);
            return MG_STATUS_NOMEM;
        }
    }
    for (int p = 0; p < 3; p++)
        if (outs[p]) *outs[p] = parts[p];
    return MG_STATUS_OK;
}

void mg_dataset_class_counts(const mg_dataset *d, size_t *counts) {
    for (size_t c = 0; c < d->nclasses; c++) counts[c] = 0;
    for (size_t i = 0; i < d->n; i++) {
        double y = d->y[i];
        if (y >= 0.0 && y < (double)d->nclasses && y == floor(y)) counts[(size_t)y]++;
    }
}
