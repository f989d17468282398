/* data.c - datasets: the table type's life cycle, shuffling and splits, and the toy
 * generators (moons, circles, blobs, spiral, xor, yin-yang). Every random draw comes from
 * the rng the caller passes, in a documented order, so a seed reproduces a dataset. */
#include "core/mg_internal.h"

#include <math.h>

#define PI 3.14159265358979323846

/* ==== life cycle ========================================================================= */

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

/* ==== generators ========================================================================= */

/* A dataset for a generator, after checking n against the generator's minimum. */
static mg_dataset *gen_new(const char *what, size_t n, size_t min_n, size_t nfeat, size_t ncls,
                           mg_err *err) {
    if (n < min_n || n > UINT32_MAX) {
        mg_err_set(err, MG_STATUS_INVALID, "%s: n must be %zu to %u, got %zu", what, min_n,
                   UINT32_MAX, n);
        return NULL;
    }
    return mg_dataset_new(n, nfeat, ncls, err);
}

static int bad_noise(const char *what, double noise, mg_err *err) {
    if (isfinite(noise) && noise >= 0.0) return 0;
    mg_err_set(err, MG_STATUS_INVALID, "%s: noise must be finite and >= 0, got %g", what, noise);
    return 1;
}

/* t_i of numpy's linspace(0, end, m) with or without the end point. */
static double spaced(double end, size_t i, size_t m, int endpoint) {
    size_t div = endpoint ? m - 1 : m;
    return div == 0 ? 0.0 : end * (double)i / (double)div;
}

/* Shuffles the rows, then adds Gaussian noise to every coordinate (scikit-learn's order). */
static void shuffle_and_jitter(mg_dataset *d, mg_rng *rng, double noise) {
    mg_dataset_shuffle(d, rng);
    for (size_t i = 0; i < d->n * d->nfeat; i++) d->x[i] += noise * mg_rng_normal(rng);
}

mg_dataset *mg_dataset_moons(mg_rng *rng, size_t n, double noise, mg_err *err) {
    if (bad_noise("moons", noise, err)) return NULL;
    mg_dataset *d = gen_new("moons", n, 2, 2, 2, err);
    if (!d) return NULL;
    size_t nout = n / 2, nin = n - nout;
    for (size_t i = 0; i < n; i++) {
        int inner = i >= nout;
        size_t k = inner ? i - nout : i, m = inner ? nin : nout;
        double t = spaced(PI, k, m, 1);
        d->x[2 * i] = inner ? 1.0 - cos(t) : cos(t);
        d->x[2 * i + 1] = inner ? 1.0 - sin(t) - 0.5 : sin(t);
        d->y[i] = inner;
    }
    shuffle_and_jitter(d, rng, noise);
    return d;
}

mg_dataset *mg_dataset_circles(mg_rng *rng, size_t n, double noise, double factor, mg_err *err) {
    if (bad_noise("circles", noise, err)) return NULL;
    if (!(factor > 0.0 && factor < 1.0)) {
        mg_err_set(err, MG_STATUS_INVALID, "circles: factor must be in (0, 1), got %g", factor);
        return NULL;
    }
    mg_dataset *d = gen_new("circles", n, 2, 2, 2, err);
    if (!d) return NULL;
    size_t nout = n / 2, nin = n - nout;
    for (size_t i = 0; i < n; i++) {
        int inner = i >= nout;
        size_t k = inner ? i - nout : i, m = inner ? nin : nout;
        double t = spaced(2.0 * PI, k, m, 0), r = inner ? factor : 1.0;
        d->x[2 * i] = r * cos(t);
        d->x[2 * i + 1] = r * sin(t);
        d->y[i] = inner;
    }
    shuffle_and_jitter(d, rng, noise);
    return d;
}

mg_dataset *mg_dataset_blobs(mg_rng *rng, size_t n, size_t nclasses, size_t nfeat, double spread,
                          mg_err *err) {
    if (nclasses < 2 || nclasses > n || nfeat == 0 || nfeat > 1024) {
        mg_err_set(err, MG_STATUS_INVALID,
                   "blobs: need 2 <= classes <= n and 1 <= features <= 1024, got %zu classes, "
                   "n %zu, %zu features", nclasses, n, nfeat);
        return NULL;
    }
    if (!(isfinite(spread) && spread >= 0.0)) {
        mg_err_set(err, MG_STATUS_INVALID, "blobs: spread must be finite and >= 0, got %g", spread);
        return NULL;
    }
    mg_dataset *d = gen_new("blobs", n, 2, nfeat, nclasses, err);
    if (!d) return NULL;
    double *centres = mg__malloc(mg__mul_size(nclasses, nfeat * sizeof *centres));
    if (!centres) {
        mg_dataset_free(d);
        mg_err_set(err, MG_STATUS_NOMEM, "blobs: out of memory");
        return NULL;
    }
    for (size_t i = 0; i < nclasses * nfeat; i++) centres[i] = mg_rng_uniform(rng, -10.0, 10.0);
    for (size_t i = 0; i < n; i++) {
        size_t c = i % nclasses;
        for (size_t k = 0; k < nfeat; k++)
            d->x[i * nfeat + k] = centres[c * nfeat + k] + spread * mg_rng_normal(rng);
        d->y[i] = (double)c;
    }
    mg__free(centres);
    mg_dataset_shuffle(d, rng);
    return d;
}

mg_dataset *mg_dataset_spiral(mg_rng *rng, size_t n, size_t nclasses, double noise, mg_err *err) {
    if (bad_noise("spiral", noise, err)) return NULL;
    if (nclasses < 2 || nclasses > n / 2) {
        mg_err_set(err, MG_STATUS_INVALID, "spiral: need 2 <= classes <= n/2, got %zu classes, n %zu",
                   nclasses, n);
        return NULL;
    }
    mg_dataset *d = gen_new("spiral", n, 4, 2, nclasses, err);
    if (!d) return NULL;
    size_t row = 0;
    for (size_t c = 0; c < nclasses; c++) {
        size_t m = n / nclasses + (c < n % nclasses);
        for (size_t i = 0; i < m; i++, row++) {
            double r = (double)i / (double)(m - 1);
            double a = 4.0 * (double)c + 4.0 * r + noise * mg_rng_normal(rng);
            d->x[2 * row] = r * sin(a);
            d->x[2 * row + 1] = r * cos(a);
            d->y[row] = (double)c;
        }
    }
    mg_dataset_shuffle(d, rng);
    return d;
}

mg_dataset *mg_dataset_xor(mg_rng *rng, size_t n, double noise, mg_err *err) {
    if (bad_noise("xor", noise, err)) return NULL;
    mg_dataset *d = gen_new("xor", n, 4, 2, 2, err);
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++) {
        double sx = (i & 1) ? 1.0 : -1.0, sy = (i & 2) ? 1.0 : -1.0;
        /* 1 - random() is in (0, 1]: no point sits on an axis, where the class is moot. */
        d->x[2 * i] = sx * (1.0 - mg_rng_random(rng));
        d->x[2 * i + 1] = sy * (1.0 - mg_rng_random(rng));
        d->y[i] = sx != sy;
    }
    shuffle_and_jitter(d, rng, noise);
    return d;
}

/* ==== yin-yang: the reference run's data, draw for draw ================================== */

/* The reference computes distances as (dx**2 + dy**2)**0.5. */
static double dist(double x0, double y0, double x1, double y1) {
    double dx = x0 - x1, dy = y0 - y1;
    return pow(dx * dx + dy * dy, 0.5);
}

/* 0 yin, 1 yang, 2 the two dots. */
static int yinyang_class(double x, double y, double r_small, double r_big) {
    double d_right = dist(x, y, 1.5 * r_big, r_big);
    double d_left = dist(x, y, 0.5 * r_big, r_big);
    int yin = d_right <= r_small || (d_left > r_small && d_left <= 0.5 * r_big) ||
              (y > r_big && d_right > 0.5 * r_big);
    int circles = d_right < r_small || d_left < r_small;
    return circles ? 2 : yin ? 0 : 1;
}

mg_dataset *mg_dataset_yinyang(mg_rng *rng, size_t n, double r_small, double r_big, mg_err *err) {
    if (!(isfinite(r_big) && r_big > 0.0 && r_small > 0.0 && r_small < 0.5 * r_big)) {
        mg_err_set(err, MG_STATUS_INVALID,
                   "yinyang: need 0 < r_small < r_big/2 (finite), got %g and %g", r_small, r_big);
        return NULL;
    }
    mg_dataset *d = gen_new("yinyang", n, 1, 2, 3, err);
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++) {
        int goal = (int)(i % 3);
        double x, y;
        /* Rejection: with the reference's radii the dots, the smallest class, cover about
         * 8% of the disc, so a few dozen draws do; tiny dots could take forever, hence the
         * limit. */
        for (size_t tries = 0;; tries++) {
            if (tries == 100000000) {
                mg_dataset_free(d);
                mg_err_set(err, MG_STATUS_INVALID,
                           "yinyang: no point of class %d in 10^8 draws (r_small %g too small)",
                           goal, r_small);
                return NULL;
            }
            x = mg_rng_uniform(rng, 0.0, 2.0 * r_big);
            y = mg_rng_uniform(rng, 0.0, 2.0 * r_big);
            if (dist(x, y, r_big, r_big) > r_big) continue;
            if (yinyang_class(x, y, r_small, r_big) == goal) break;
        }
        d->x[2 * i] = (x / r_big - 1.0) * 2.0;
        d->x[2 * i + 1] = (y / r_big - 1.0) * 2.0;
        d->y[i] = goal;
    }
    return d;
}
