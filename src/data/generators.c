/* generators.c - the toy datasets (micrograd.h section 11): moons, circles, blobs,
 * spiral, xor and the yin-yang reference set. Every random draw comes from the rng the
 * caller passes, in a documented order, so a seed reproduces a dataset. */
#include "core/mg_internal.h"

#include <math.h>

#define PI 3.14159265358979323846

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

/* Point i of numpy's linspace(0, end, m), with or without the end point, as numpy
 * computes it: i * (end / div) + 0.0, the last point of an endpoint range set to end
 * exactly (so a generator draws scikit-learn's points, not others a rounding away). */
static double spaced(double end, size_t i, size_t m, int endpoint) {
    size_t div = endpoint ? m - 1 : m;
    if (div == 0) return 0.0;
    if (endpoint && i == m - 1) return end;
    double step = end / (double)div;
    return (double)i * step + 0.0;
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
    /* scikit-learn's blocks: n / nclasses rows a class, one more for the first n % nclasses,
     * class by class, each row's coordinates drawn in turn */
    size_t row = 0;
    for (size_t c = 0; c < nclasses; c++) {
        size_t m = n / nclasses + (c < n % nclasses);
        for (size_t i = 0; i < m; i++, row++) {
            for (size_t k = 0; k < nfeat; k++)
                d->x[row * nfeat + k] = centres[c * nfeat + k] + spread * mg_rng_normal(rng);
            d->y[row] = (double)c;
        }
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
