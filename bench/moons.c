/* moons.c - W1: micrograd's demo (100 moons points, MLP(2, [16, 16, 1]) ReLU, hinge loss +
 * 1e-4 L2, SGD with lr 1 - 0.9 k/100, 100 steps), one step timed eager (the batch graph
 * built every step, as micrograd does) and compiled (recorded once, replayed over the 100
 * points), 1 thread. Checked first: the compiled step's loss and gradients against the
 * eager one, and the two 100-step runs against each other. With --dtype f32 the compiled
 * step runs in float32 lanes (checked against the eager float64 numbers to float32's
 * precision) and only it is timed.
 * Usage: moons [--dump DIR] [--repeats N] [--dtype f64|f32]   (DIR gets data, weights and
 * check values for bench/torch_moons.py) */
#include "bench_util.h"

#include <getopt.h>

enum { N = 100, STEPS = 100 };
static const size_t sizes[3] = {16, 16, 1};
static const double alpha = 1e-4;

typedef struct moons {
    mg_ctx *ctx;
    mg_mlp *m;
    mg_dataset *d;
    double y[N];         /* labels as -1 / +1 */
    double rows[N * 3];  /* x0, x1, y per point: the compiled tape's slots */
    double *init;        /* initial parameters */
    mg_mark mark;        /* above the parameters */
    mg_optim *opt;
} moons;

/* Eager: micrograd's loss() — every point through the model, hinge, mean, plus L2 — then
 * backward; grads (if not NULL) gets the gradient. Returns the loss. */
static double eager_loss_backward(moons *b) {
    mg_ctx *ctx = b->ctx;
    mg_value losses[N];
    for (size_t i = 0; i < N; i++) {
        mg_value x[2] = {mg_input(ctx, b->d->x[2 * i]), mg_input(ctx, b->d->x[2 * i + 1])}, score;
        if (!mg_mlp_forward(ctx, b->m, x, &score)) bench_fail("out of memory");
        losses[i] = mg_loss_hinge(ctx, score, mg_input(ctx, b->y[i]));
    }
    mg_value total = mg_add(ctx, mg_loss_mean(ctx, N, losses), mg_loss_l2(ctx, b->m->nparams, b->m->params, alpha));
    if (mg_ctx_status(ctx)) bench_fail("%s", mg_ctx_errmsg(ctx));
    mg_zero_grad_span(ctx, b->m->first, b->m->nparams);
    mg_backward(ctx, total);
    return mg_data(ctx, total);
}

static double eager_step(moons *b) {
    double loss = eager_loss_backward(b);
    mg_optim_step(b->opt, b->ctx, b->m->first, b->m->nparams);
    mg_ctx_reset(b->ctx, b->mark);
    return loss;
}

/* Compiled: the per-point loss hinge_i + L2, so the mean over the batch is micrograd's. */
static mg_compiled *compile_moons(moons *b, int f32) {
    mg_ctx *ctx = b->ctx;
    mg_value x[2] = {mg_input(ctx, 0), mg_input(ctx, 0)}, y = mg_input(ctx, 1), score;
    if (!mg_mlp_forward(ctx, b->m, x, &score)) bench_fail("out of memory");
    mg_value loss = mg_add(ctx, mg_loss_hinge(ctx, score, y), mg_loss_l2(ctx, b->m->nparams, b->m->params, alpha));
    mg_value slots[3] = {x[0], x[1], y};
    mg_err err = {0};
    mg_compiled *c = mg_compile(ctx, loss, 3, slots, 1, &score, &err);
    if (!c) bench_fail("%s", err.msg);
    mg_ctx_reset(ctx, b->mark);
    mg_compiled_set_threads(c, 1);
    if (f32 && mg_compiled_set_dtype(c, MG_DTYPE_F32, &err)) bench_fail("%s", err.msg);
    return c;
}

static double compiled_step(moons *b, mg_compiled *c, int update) {
    double losses[N];
    mg_err err = {0};
    mg_zero_grad_span(b->ctx, b->m->first, b->m->nparams);
    if (mg_compiled_forward_backward(c, N, b->rows, 1.0 / N, losses, NULL, &err)) bench_fail("%s", err.msg);
    if (update) mg_optim_step(b->opt, b->ctx, b->m->first, b->m->nparams);
    double s = 0.0;
    for (size_t i = 0; i < N; i++) s += losses[i];
    return s / N;
}

static void restart(moons *b) {
    memcpy(mg_data_ptr(b->ctx, b->m->first), b->init, b->m->nparams * sizeof *b->init);
    mg_optim_reset(b->opt);
}

int main(int argc, char **argv) {
    const char *dump = NULL;
    int repeats = 5, f32 = 0;
    static const struct option opts[] = {{"dump", required_argument, 0, 'd'},
                                         {"repeats", required_argument, 0, 'r'},
                                         {"dtype", required_argument, 0, 't'},
                                         {0, 0, 0, 0}};
    for (int ch; (ch = getopt_long(argc, argv, "d:r:t:", opts, NULL)) != -1;) {
        if (ch == 'd') dump = optarg;
        else if (ch == 'r' && atoi(optarg) >= 1) repeats = atoi(optarg);
        else if (ch == 't') f32 = bench_dtype(optarg);
        else bench_fail("usage: moons [--dump DIR] [--repeats N >= 1] [--dtype f64|f32]");
    }

    moons b = {0};
    mg_err err = {0};
    mg_rng rng;
    mg_rng_seed(&rng, 1);
    b.ctx = mg_ctx_new();
    b.d = mg_dataset_moons(&rng, N, 0.1, &err);
    if (!b.ctx || !b.d) bench_fail("%s", err.msg);
    b.m = mg_mlp_new(b.ctx, 2, 3, sizes, NULL, MG_INIT_UNIFORM, &rng, &err);
    if (!b.m) bench_fail("%s", err.msg);
    size_t P = b.m->nparams;
    for (size_t i = 0; i < N; i++) {
        b.y[i] = b.d->y[i] > 0.5 ? 1.0 : -1.0;
        b.rows[3 * i] = b.d->x[2 * i], b.rows[3 * i + 1] = b.d->x[2 * i + 1], b.rows[3 * i + 2] = b.y[i];
    }
    b.init = bench_alloc(P, sizeof *b.init);
    memcpy(b.init, mg_data_ptr(b.ctx, b.m->first), P * sizeof *b.init);
    b.mark = mg_ctx_mark(b.ctx);
    mg_optim_config cfg;
    mg_optim_config_init(&cfg, MG_OPTIM_SGD);
    cfg.lr = 1.0, cfg.schedule = MG_LR_LINEAR, cfg.decay = 0.9, cfg.steps = STEPS;
    b.opt = mg_optim_new(&cfg, P, &err);
    if (!b.opt) bench_fail("%s", err.msg);
    mg_compiled *c = compile_moons(&b, f32);

    /* ---- check: one step's loss and gradient, then whole runs ---- */
    double *ge = bench_alloc(P, sizeof *ge), *gc = bench_alloc(P, sizeof *gc);
    double le = eager_loss_backward(&b);
    memcpy(ge, mg_grad_ptr(b.ctx, b.m->first), P * sizeof *ge);
    mg_ctx_reset(b.ctx, b.mark);
    double lc = compiled_step(&b, c, 0);
    memcpy(gc, mg_grad_ptr(b.ctx, b.m->first), P * sizeof *gc);
    double gdiff = bench_grad_diff(gc, ge, P), ldiff = fabs(lc - le) / fabs(le), tol = f32 ? BENCH_F32_TOL : 1e-12;
    if (!(gdiff <= tol && ldiff <= tol))
        bench_fail("W1: compiled step differs from eager: loss %.17g vs %.17g, gradient %.3g", lc, le, gdiff);
    bench_dump(dump, "x.f64", b.d->x, 2 * N);
    bench_dump(dump, "y.f64", b.y, N);
    bench_dump_mlp(dump, b.ctx, b.m);
    bench_dump(dump, "loss0.f64", &le, 1);
    bench_dump(dump, "grad0.f64", ge, P);

    /* ---- time: whole 100-step runs from the same start, per step ---- */
    int erep = f32 ? 1 : repeats; /* float32: one eager run, the check's */
    double *te = bench_alloc((size_t)erep * STEPS, sizeof *te);
    double final_e = 0, final_c = 0;
    for (int r = 0; r < erep; r++) {
        restart(&b);
        for (int k = 0; k < STEPS; k++) {
            double t0 = bench_now();
            final_e = eager_step(&b);
            te[(size_t)r * STEPS + (size_t)k] = bench_now() - t0;
        }
    }
    int crep = repeats * 40;
    double *tc = bench_alloc((size_t)crep * STEPS, sizeof *tc);
    for (int r = 0; r < crep; r++) {
        restart(&b);
        for (int k = 0; k < STEPS; k++) {
            double t0 = bench_now();
            final_c = compiled_step(&b, c, 1);
            tc[(size_t)r * STEPS + (size_t)k] = bench_now() - t0;
        }
    }
    /* accuracy of the trained model, from the compiled tape's outputs */
    double scores[N];
    if (mg_compiled_forward(c, N, b.rows, NULL, scores, &err)) bench_fail("%s", err.msg);
    int right = 0;
    for (size_t i = 0; i < N; i++) right += (scores[i] > 0) == (b.y[i] > 0);
    double fdiff = fabs(final_c - final_e) / fabs(final_e);
    if (!(fdiff <= (f32 ? BENCH_F32_TOL : 1e-9)))
        bench_fail("W1: after %d steps compiled loss %.17g, eager %.17g", STEPS, final_c, final_e);
    bench_dump(dump, "final.f64", &final_e, 1);

    mg_compiled_info info;
    mg_compiled_info_get(c, &info);
    double eager_us = bench_median(te, (size_t)erep * STEPS) * 1e6;
    double comp_us = bench_median(tc, (size_t)crep * STEPS) * 1e6;
    printf("W1 moons: %zu parameters; step-0 loss %.6f, compiled (%s) vs eager: gradient %.2g, "
           "loss %.2g; after %d steps loss %.6f (diff %.2g), accuracy %d%%; kernels %s\n",
           P, le, f32 ? "float32" : "float64", gdiff, ldiff, STEPS, final_e, fdiff, right, info.kernels);
    if (f32) {
        printf("W1 moons: compiled %.2f us/step (1 thread, float32, median)\n", comp_us);
    } else {
        printf("W1 moons: eager %.1f us/step, compiled %.2f us/step (1 thread, median)\n", eager_us, comp_us);
        bench_result("W1_eager_us", eager_us);
    }
    bench_result_dt("W1", f32, "compiled_us", comp_us);
    bench_result_dt("W1", f32, "check", fmax(gdiff, ldiff));
    bench_result("W1_flop", N * bench_mlp_step_flop(2, 3, sizes));
    free(te);
    free(tc);
    free(ge);
    free(gc);
    free(b.init);
    mg_compiled_free(c);
    mg_optim_free(b.opt);
    mg_mlp_free(b.m);
    mg_dataset_free(b.d);
    mg_ctx_free(b.ctx);
    return 0;
}
