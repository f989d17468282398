/* optim.c - SGD, SGD with momentum and AdamW as flat loops over a parameter span. The
 * state lives in the optimiser object, never in globals, so two models train side by
 * side. */
#include "nn_internal.h"

#include "core/pool.h"

#include <float.h>
#include <math.h>

/* Spans of at least this many parameters are updated by several threads. */
#define PARALLEL_MIN 32768

struct mg_optim {
    mg_optim_config cfg;
    size_t n;  /* parameters */
    size_t t;  /* steps taken */
    int nthreads; /* threads an update of n parameters uses (cfg.threads resolved) */
    double *m; /* [n] momentum buffer (MOMENTUM) or first moment (ADAMW) */
    double *v; /* [n] second moment (ADAMW) */
};

/* ==== configuration ====================================================================== */

static const char *const optim_names[] = {
    [MG_OPTIM_SGD] = "sgd",
    [MG_OPTIM_MOMENTUM] = "momentum",
    [MG_OPTIM_ADAMW] = "adamw",
};

const char *mg_optim_name(mg_optim_kind kind) {
    return mg__name_of(optim_names, MG__COUNT(optim_names), (unsigned)kind);
}

int mg_optim_parse(const char *s, mg_optim_kind *kind) {
    int i = mg__name_find(optim_names, MG__COUNT(optim_names), s);
    if (i >= 0) *kind = (mg_optim_kind)i;
    return i >= 0;
}

void mg_optim_config_init(mg_optim_config *cfg, mg_optim_kind kind) {
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = kind;
    cfg->lr = kind == MG_OPTIM_ADAMW ? 0.001 : 0.1;
    cfg->momentum = 0.9;
    cfg->beta1 = 0.9;
    cfg->beta2 = 0.999;
    cfg->eps = 1e-8;
    cfg->weight_decay = kind == MG_OPTIM_ADAMW ? 0.01 : 0.0;
    cfg->schedule = MG_LR_CONSTANT;
    cfg->decay = 0.9;
    cfg->steps = 0;
    cfg->threads = 0;
}

/* 1 when 0 <= x < 1. */
static int unit(double x) { return x >= 0.0 && x < 1.0; }

static mg_status check_config(const mg_optim_config *c, mg_err *err) {
    if ((unsigned)c->kind >= MG__COUNT(optim_names))
        return mg_err_set(err, MG_STATUS_INVALID, "unknown optimiser (%d)", (int)c->kind);
    if (!(isfinite(c->lr) && c->lr > 0.0))
        return mg_err_set(err, MG_STATUS_INVALID, "learning rate must be finite and > 0, got %g",
                          c->lr);
    if (!unit(c->momentum))
        return mg_err_set(err, MG_STATUS_INVALID, "momentum must be in [0, 1), got %g",
                          c->momentum);
    if (!unit(c->beta1) || !unit(c->beta2))
        return mg_err_set(err, MG_STATUS_INVALID, "betas must be in [0, 1), got %g and %g",
                          c->beta1, c->beta2);
    if (!(isfinite(c->eps) && c->eps >= 0.0))
        return mg_err_set(err, MG_STATUS_INVALID, "eps must be finite and >= 0, got %g", c->eps);
    if (!(isfinite(c->weight_decay) && c->weight_decay >= 0.0))
        return mg_err_set(err, MG_STATUS_INVALID, "weight decay must be finite and >= 0, got %g",
                          c->weight_decay);
    if (c->threads < 0)
        return mg_err_set(err, MG_STATUS_INVALID, "threads must be >= 0, got %d", c->threads);
    if (c->schedule != MG_LR_CONSTANT && c->schedule != MG_LR_LINEAR)
        return mg_err_set(err, MG_STATUS_INVALID, "unknown learning-rate schedule (%d)",
                          (int)c->schedule);
    if (c->schedule == MG_LR_LINEAR && (c->steps == 0 || !(c->decay >= 0.0 && c->decay <= 1.0)))
        return mg_err_set(err, MG_STATUS_INVALID,
                          "a linear schedule needs steps > 0 and decay in [0, 1], got %zu and %g",
                          c->steps, c->decay);
    return MG_STATUS_OK;
}

/* ==== life cycle ========================================================================= */

mg_optim *mg_optim_new(const mg_optim_config *cfg, size_t nparams, mg_err *err) {
    if (check_config(cfg, err)) return NULL;
    if (nparams == 0) {
        mg_err_set(err, MG_STATUS_INVALID, "an optimiser needs at least 1 parameter");
        return NULL;
    }
    mg_optim *o = mg__calloc(1, sizeof *o);
    if (!o) goto nomem;
    o->cfg = *cfg;
    o->n = nparams;
    o->nthreads = nparams < PARALLEL_MIN ? 1 : mg__threads(cfg->threads);
    if (cfg->kind != MG_OPTIM_SGD) {
        o->m = mg__calloc(nparams, sizeof *o->m);
        if (!o->m) goto nomem;
    }
    if (cfg->kind == MG_OPTIM_ADAMW) {
        o->v = mg__calloc(nparams, sizeof *o->v);
        if (!o->v) goto nomem;
    }
    return o;
nomem:
    mg_optim_free(o);
    mg_err_set(err, MG_STATUS_NOMEM, "out of memory for an optimiser of %zu parameters", nparams);
    return NULL;
}

void mg_optim_free(mg_optim *o) {
    if (!o) return;
    mg__free(o->m);
    mg__free(o->v);
    mg__free(o);
}

const mg_optim_config *mg_optim_config_of(const mg_optim *o) { return &o->cfg; }
size_t mg_optim_nsteps(const mg_optim *o) { return o->t; }

void mg_optim_reset(mg_optim *o) {
    o->t = 0;
    if (o->m) memset(o->m, 0, o->n * sizeof *o->m);
    if (o->v) memset(o->v, 0, o->n * sizeof *o->v);
}

double mg_optim_lr(const mg_optim *o) {
    const mg_optim_config *c = &o->cfg;
    if (c->schedule == MG_LR_CONSTANT) return c->lr;
    size_t k = o->t < c->steps ? o->t : c->steps;
    /* micrograd's demo: 1.0 - 0.9*k/100, in that order of operations. */
    return c->lr * (1.0 - c->decay * (double)k / (double)c->steps);
}

/* ==== the updates ======================================================================== */

/* Each update is a loop over independent parameters, here over p[lo .. hi) with the
 * step's scalars in u; a large span is cut into contiguous pieces, one per thread, which
 * changes no result. */
typedef struct update {
    const mg_optim *o;
    double lr;
    double step, isc2, keep; /* AdamW's scalars of this step */
    double *p;
    const double *g;
    size_t n;
} update;

/* A moment that has decayed below the smallest normal double is set to 0. It no longer
 * changes any update, and arithmetic on subnormal numbers is many times slower on x86:
 * the moments of weights whose gradient is always 0 (Fashion-MNIST's blank border pixels)
 * decay by beta1 = 0.9 a step and reach that range after about 6700 steps, where an epoch
 * then took twice as long (measured: 1.95 s -> 4 s). */
static inline double flush(double x) { return fabs(x) < DBL_MIN ? 0.0 : x; }

static void sgd(const update *u, size_t lo, size_t hi) {
    double lr = u->lr, wd = u->o->cfg.weight_decay, *restrict p = u->p;
    const double *restrict g = u->g;
    if (wd == 0.0) {
        for (size_t i = lo; i < hi; i++) p[i] -= lr * g[i];
    } else {
        for (size_t i = lo; i < hi; i++) p[i] -= lr * (g[i] + wd * p[i]);
    }
}

/* PyTorch's SGD momentum without dampening: the buffer starts at 0, so the first step is
 * plain SGD, as PyTorch's (which starts the buffer at g) is. */
static void momentum(const update *u, size_t lo, size_t hi) {
    double lr = u->lr, mu = u->o->cfg.momentum, wd = u->o->cfg.weight_decay;
    double *restrict p = u->p, *restrict buf = u->o->m;
    const double *restrict g = u->g;
    for (size_t i = lo; i < hi; i++) {
        double gi = wd == 0.0 ? g[i] : g[i] + wd * p[i];
        buf[i] = flush(mu * buf[i] + gi);
        p[i] -= lr * buf[i];
    }
}

/* AdamW in PyTorch's algebra (torch.optim.AdamW): the decay as a factor 1 - lr*wd on p
 * and the bias corrections folded into two scalars per step, step = lr / (1 - b1^t) and
 * 1 / sqrt(1 - b2^t), so a parameter costs one square root and one division:
 *     p = p * (1 - lr*wd) - step * m / (sqrt(v) * (1/sqrt(1 - b2^t)) + eps)
 * The reference run's formula (yinyang.md section 5) is the same update in exact
 * arithmetic with the corrections divided in (three divisions); the two round
 * differently, by an ulp or so a step (the yin-yang demo stays within 3e-14 of the
 * reference's printed losses). With -fno-math-errno (CMakeLists.txt: sqrt of v >= 0 never
 * sets errno) the loop is vectorised. */
static void adamw(const update *u, size_t lo, size_t hi) {
    const mg_optim_config *c = &u->o->cfg;
    double b1 = c->beta1, b2 = c->beta2, eps = c->eps, a1 = 1.0 - b1, a2 = 1.0 - b2;
    double step = u->step, isc2 = u->isc2, keep = u->keep;
    double *restrict p = u->p, *restrict m = u->o->m, *restrict v = u->o->v;
    const double *restrict g = u->g;
    for (size_t i = lo; i < hi; i++) {
        double gi = g[i];
        double mi = flush(b1 * m[i] + a1 * gi), vi = flush(b2 * v[i] + a2 * (gi * gi));
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * keep - step * mi / (sqrt(vi) * isc2 + eps);
    }
}

/* Thread t's piece of the span: whole cache lines of 8 parameters, shared evenly. */
/* The update loops vectorise to the vector width the build targets: SSE2's 2 doubles in a
 * build for any x86-64. Built by GCC for x86-64 Linux, the loops are built twice, for AVX2
 * too, and the program picks the one its CPU runs when it starts (an ifunc). Element by
 * element the operations are the same (no contraction: -ffp-contract=off), so are the
 * bits. Not with clang: its ifunc resolver is exported whatever the visibility. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__AVX2__)
#define MG__UPDATE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MG__UPDATE_CLONES
#endif

MG__UPDATE_CLONES static void update_task(void *arg, int t, int nt) {
    const update *u = arg;
    size_t lines = (u->n + 7) / 8, lo = lines * (size_t)t / (size_t)nt * 8;
    size_t hi = lines * (size_t)(t + 1) / (size_t)nt * 8;
    if (hi > u->n) hi = u->n;
    if (lo >= hi) return;
    switch (u->o->cfg.kind) {
    case MG_OPTIM_SGD: sgd(u, lo, hi); break;
    case MG_OPTIM_MOMENTUM: momentum(u, lo, hi); break;
    case MG_OPTIM_ADAMW: adamw(u, lo, hi); break;
    }
}

size_t mg__optim_state(const mg_optim *o, const double **m, const double **v) {
    *m = o->m;
    *v = o->v;
    return o->t;
}

void mg__optim_restore(mg_optim *o, size_t t, const double *m, const double *v) {
    o->t = t;
    if (o->m) memcpy(o->m, m, o->n * sizeof *o->m);
    if (o->v) memcpy(o->v, v, o->n * sizeof *o->v);
}

double mg_optim_update(mg_optim *o, double *data, const double *grad, size_t n) {
    MG_ASSERT(n == o->n, "optimiser used on a span of another size");
    double lr = mg_optim_lr(o);
    o->t++;
    update u = {o, lr, 0.0, 0.0, 0.0, data, grad, n};
    if (o->cfg.kind == MG_OPTIM_ADAMW) {
        const mg_optim_config *c = &o->cfg;
        u.step = lr / (1.0 - pow(c->beta1, (double)o->t));
        u.isc2 = 1.0 / sqrt(1.0 - pow(c->beta2, (double)o->t));
        u.keep = 1.0 - lr * c->weight_decay;
    }
    if (o->nthreads > 1) mg__pool_run(o->nthreads, update_task, &u);
    else update_task(&u, 0, 1);
    return lr;
}

double mg_optim_step(mg_optim *o, mg_ctx *ctx, mg_value first, size_t n) {
    MG_ASSERT(mg_index(ctx, first) + n <= mg_ctx_size(ctx), "parameter span past the tape");
    return mg_optim_update(o, mg_data_ptr(ctx, first), mg_grad_ptr(ctx, first), n);
}
