/* moons_step.c - the eager cost of one training step of micrograd's moons demo: the loss
 * graph of all 100 points through MLP(2, [16, 16, 1]) (hinge + L2), backward and the SGD
 * update, through mg_train. Before timing it checks that (a) one step's loss and
 * gradients equal those of a hand-written plain-C step on the same weights, and (b) 100
 * steps reach 100% training accuracy. The plain-C step is then timed too, as the
 * baseline: the ratio is the price of building a graph every step.
 * Usage: moons_step [STEPS] (default 2000) */
#include <micrograd.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ==== the baseline: the same step in plain C on the engine's parameter layout =========== */

enum { NIN = 2, H = 16, NP = (NIN + 1) * H + (H + 1) * H + (H + 1) };

/* Loss (mean hinge with labels -1/+1, plus alpha * sum p^2) and its gradient g[NP], for
 * parameters p in micrograd's order (per neuron: weights, then bias). */
static double plain_loss_grad(const double *p, const mg_dataset *d, double alpha, double *g) {
    const double *w1 = p, *w2 = p + (NIN + 1) * H, *w3 = w2 + (H + 1) * H;
    double *g1 = g, *g2 = g + (NIN + 1) * H, *g3 = g2 + (H + 1) * H;
    memset(g, 0, NP * sizeof *g);
    double sum = 0.0, inv = 1.0 / (double)d->n;
    for (size_t i = 0; i < d->n; i++) {
        const double *x = d->x + 2 * i;
        double y = 2.0 * d->y[i] - 1.0, a1[H], a2[H], s;
        for (int j = 0; j < H; j++) {
            const double *w = w1 + j * (NIN + 1);
            double z = w[NIN] + w[0] * x[0] + w[1] * x[1];
            a1[j] = z < 0 ? 0 : z;
        }
        for (int j = 0; j < H; j++) {
            const double *w = w2 + j * (H + 1);
            double z = w[H];
            for (int k = 0; k < H; k++) z += w[k] * a1[k];
            a2[j] = z < 0 ? 0 : z;
        }
        s = w3[H];
        for (int k = 0; k < H; k++) s += w3[k] * a2[k];
        double margin = 1.0 - y * s;
        if (margin <= 0) continue;
        sum += margin;
        /* Backward of this sample's hinge term, scaled by the mean's 1/n. */
        double ds = -y * inv, d2[H], d1[H] = {0};
        g3[H] += ds;
        for (int k = 0; k < H; k++) g3[k] += ds * a2[k], d2[k] = a2[k] > 0 ? ds * w3[k] : 0;
        for (int j = 0; j < H; j++) {
            if (d2[j] == 0) continue;
            const double *w = w2 + j * (H + 1);
            double *gw = g2 + j * (H + 1);
            gw[H] += d2[j];
            for (int k = 0; k < H; k++) gw[k] += d2[j] * a1[k], d1[k] += d2[j] * w[k];
        }
        for (int j = 0; j < H; j++) {
            if (a1[j] <= 0) continue;
            double *gw = g1 + j * (NIN + 1);
            gw[NIN] += d1[j], gw[0] += d1[j] * x[0], gw[1] += d1[j] * x[1];
        }
    }
    double reg = 0.0;
    for (int k = 0; k < NP; k++) reg += p[k] * p[k], g[k] += 2.0 * alpha * p[k];
    return sum * inv + alpha * reg;
}

/* ==== checks ============================================================================= */

typedef struct first_step {
    double loss;
} first_step;

static int keep_first(void *user, const mg_train_progress *p) {
    first_step *f = user;
    if (p->step == 0) f->loss = p->loss;
    return 0;
}

/* A fresh context with the demo's data and model (seed 1337, as `micrograd demo moons`). */
static mg_ctx *setup(mg_dataset **d, mg_mlp **m) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return NULL;
    mg_rng_seed(mg_ctx_rng(ctx), 1337);
    *d = mg_dataset_moons(mg_ctx_rng(ctx), 100, 0.1, NULL);
    const size_t sizes[3] = {H, H, 1};
    *m = *d ? mg_mlp_new(ctx, NIN, 3, sizes, NULL, MG_INIT_UNIFORM, NULL, NULL) : NULL;
    if (!*m) {
        mg_dataset_free(*d);
        mg_ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

static void config(mg_train_config *cfg, size_t steps) {
    mg_train_config_init(cfg);
    cfg->loss = MG_LOSS_KIND_HINGE;
    cfg->l2 = 1e-4;
    mg_optim_config_init(&cfg->optim, MG_OPTIM_SGD);
    cfg->optim.lr = 1.0;
    cfg->batch_size = 0;
    cfg->optim.schedule = MG_LR_LINEAR;
    cfg->steps = steps;
}

int main(int argc, char **argv) {
    long steps = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
    if (steps < 1) {
        fprintf(stderr, "usage: moons_step [STEPS >= 1]\n");
        return 2;
    }
    mg_dataset *d;
    mg_mlp *m;
    mg_ctx *ctx = setup(&d, &m);
    if (!ctx || m->nparams != NP) {
        fprintf(stderr, "moons_step: setup failed\n");
        return 1;
    }

    /* (a) The engine's first step against plain C on the same weights. */
    double p0[NP], gc[NP];
    memcpy(p0, mg_data_ptr(ctx, m->first), sizeof p0);
    double plain = plain_loss_grad(p0, d, 1e-4, gc);
    mg_train_config cfg;
    config(&cfg, 1);
    first_step f = {NAN};
    cfg.callback = keep_first;
    cfg.user = &f;
    mg_err err;
    if (mg_train(ctx, m, d, NULL, &cfg, NULL, &err)) {
        fprintf(stderr, "moons_step: %s\n", err.msg);
        return 1;
    }
    /* SGD with lr 1.0 at step 0: p1 = p0 - g, so the engine's gradient is p0 - p1. */
    const double *p1 = mg_data_ptr(ctx, m->first);
    double worst = 0.0;
    for (int k = 0; k < NP; k++) worst = fmax(worst, fabs((p0[k] - p1[k]) - gc[k]));
    if (!(fabs(f.loss - plain) < 1e-12 && worst < 1e-12)) {
        fprintf(stderr, "moons_step: engine and plain C disagree: loss %.17g vs %.17g, grad %g\n",
                f.loss, plain, worst);
        return 1;
    }

    /* (b) 100 steps reach 100% (a fresh model: the demo's run). */
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
    ctx = setup(&d, &m);
    config(&cfg, 100);
    mg_train_result res;
    if (!ctx || mg_train(ctx, m, d, NULL, &cfg, &res, &err) || res.train.correct != 100) {
        fprintf(stderr, "moons_step: the demo's run does not reach 100%% (%zu)\n", res.train.correct);
        return 1;
    }

    /* Timing: the eager loop, then the plain-C step. */
    size_t values = 0;
    {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value losses[100];
        for (size_t i = 0; i < 100; i++) losses[i] = mg_sample_loss(ctx, m, MG_LOSS_KIND_HINGE, 1, d, i, NULL);
        mg_add(ctx, mg_loss_mean(ctx, 100, losses), mg_loss_l2(ctx, m->nparams, m->params, 1e-4));
        values = mg_ctx_size(ctx) - mark.nvalues;
        mg_ctx_reset(ctx, mark);
    }
    config(&cfg, (size_t)steps);
    cfg.optim.schedule = MG_LR_CONSTANT;
    cfg.optim.lr = 0.01;
    if (mg_train(ctx, m, d, NULL, &cfg, &res, &err)) {
        fprintf(stderr, "moons_step: %s\n", err.msg);
        return 1;
    }
    double eager = res.seconds / (double)res.steps;

    double p[NP], g[NP], sink = 0.0;
    memcpy(p, mg_data_ptr(ctx, m->first), sizeof p);
    double t0 = now();
    for (long s = 0; s < steps; s++) {
        sink += plain_loss_grad(p, d, 1e-4, g);
        for (int k = 0; k < NP; k++) p[k] -= 0.01 * g[k];
    }
    double base = (now() - t0) / (double)steps;

    printf("moons step (100 points, MLP 2-16-16-1, hinge + L2, SGD), %ld steps:\n", steps);
    printf("  eager (mg_train): %8.1f us per step, %zu values per step, %.1f ns per value\n",
           1e6 * eager, values, 1e9 * eager / (double)values);
    printf("  plain C baseline: %8.1f us per step (mean loss %.4f)\n", 1e6 * base,
           sink / (double)steps);
    printf("  ratio eager / plain C: %.1f  (checks: first step matches plain C to %.1e; 100 steps "
           "reach 100%%)\n", eager / base, worst);
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
    return 0;
}
