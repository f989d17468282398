/* steps.c - the timed loops of W1-W3 alone, with the same models, data, seeds and
 * optimisers as bench/moons.c, bench/wide.c and bench/fashion.c, for profilers: the loop is
 * the function timed_steps (callgrind --toggle-collect=timed_steps counts it alone), and a
 * checksum of the parameters after the run tells whether two builds computed the same bits.
 * With --train the same model and data go through mg_train instead of the hand-written
 * loop (callgrind --toggle-collect=mg_train; two step counts give the cost per step), to
 * compare the library's training loop with the benchmark's step.
 * Usage: steps w1|w2|w3 [--steps N] [--threads T] [--train] [--max-train N] [--dtype f64|f32]
 * (W3 reads Fashion-MNIST; --max-train keeps its first N training images, default 6400). */
#include "bench_util.h"

#include <getopt.h>

typedef struct run {
    const char *name;
    mg_ctx *ctx;
    mg_mlp *m;
    mg_dataset *d;
    mg_compiled *c;
    mg_optim *opt;
    size_t nslots, batch, nbatches;
    double *rows; /* w1, w2: the whole batch; w3: one batch */
    size_t *order;
    double *losses;
} run;

/* Samples idx[0 .. n-1] of d as rows: features, then the target (one-hot for k > 1 classes,
 * +-1 for the hinge's single output). */
static void pack(const mg_dataset *d, const size_t *idx, size_t n, size_t k, double *rows) {
    size_t nin = d->nfeat, ns = nin + (k > 1 ? k : 1);
    for (size_t s = 0; s < n; s++) {
        double *r = rows + s * ns;
        memcpy(r, d->x + idx[s] * nin, nin * sizeof *r);
        if (k > 1) {
            memset(r + nin, 0, k * sizeof *r);
            r[nin + (size_t)d->y[idx[s]]] = 1.0;
        } else {
            r[nin] = d->y[idx[s]] > 0.5 ? 1.0 : -1.0;
        }
    }
}

/* The compiled tape of one sample: softmax cross-entropy (reference form) for k > 1 classes,
 * hinge + 1e-4 L2 (micrograd's demo) for one output. */
static mg_compiled *record(run *r, size_t k, int threads, int f32) {
    mg_ctx *ctx = r->ctx;
    size_t nin = r->m->nin;
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value *x = bench_alloc(nin + k + 1, sizeof *x), z[16], t[16];
    for (size_t i = 0; i < nin; i++) x[i] = mg_input(ctx, 0);
    mg_value loss;
    if (!mg_mlp_forward(ctx, r->m, x, z)) bench_fail("out of memory");
    if (k > 1) {
        for (size_t j = 0; j < k; j++) x[nin + j] = t[j] = mg_input(ctx, j == 0);
        loss = mg_loss_softmax_ce(ctx, k, z, t, 0);
    } else {
        x[nin] = mg_input(ctx, 1);
        loss = mg_add(ctx, mg_loss_hinge(ctx, z[0], x[nin]),
                      mg_loss_l2(ctx, r->m->nparams, r->m->params, 1e-4));
    }
    mg_err err = {0};
    mg_compiled *c = mg_compile(ctx, loss, r->nslots, x, 0, NULL, &err);
    if (!c) bench_fail("%s", err.msg);
    mg_ctx_reset(ctx, mark);
    mg_compiled_set_threads(c, threads);
    if (f32 && mg_compiled_set_dtype(c, MG_DTYPE_F32, &err)) bench_fail("%s", err.msg);
    free(x);
    return c;
}

__attribute__((noinline)) static double timed_steps(run *r, size_t steps, double *times) {
    mg_err err = {0};
    double lsum = 0.0;
    size_t P = r->m->nparams;
    for (size_t k = 0; k < steps; k++) {
        double t0 = bench_now();
        size_t b = k % r->nbatches, n = r->batch;
        if (r->nbatches > 1) {
            n = r->d->n - b * r->batch < r->batch ? r->d->n - b * r->batch : r->batch;
            pack(r->d, r->order + b * r->batch, n, r->d->nclasses, r->rows);
        }
        mg_zero_grad_span(r->ctx, r->m->first, P);
        if (mg_compiled_forward_backward(r->c, n, r->rows, 1.0 / (double)n, r->losses, NULL, &err))
            bench_fail("%s: step %zu: %s", r->name, k, err.msg);
        mg_optim_step(r->opt, r->ctx, r->m->first, P);
        for (size_t s = 0; s < n; s++) lsum += r->losses[s];
        times[k] = bench_now() - t0;
    }
    return lsum;
}

static int no_callback(void *user, const mg_train_progress *p) {
    (void)p;
    ++*(size_t *)user;
    return 0;
}

/* FNV-1a over the parameters' bytes. */
static uint64_t checksum(const double *p, size_t n) {
    uint64_t h = 1469598103934665603ull;
    const unsigned char *b = (const unsigned char *)p;
    for (size_t k = 0; k < n * sizeof *p; k++) h = (h ^ b[k]) * 1099511628211ull;
    return h;
}

int main(int argc, char **argv) {
    size_t steps = 200, max_train = 6400;
    int threads = 1, train = 0, f32 = 0;
    static const struct option opts[] = {{"steps", required_argument, 0, 's'},
                                         {"threads", required_argument, 0, 't'},
                                         {"train", no_argument, 0, 'T'},
                                         {"max-train", required_argument, 0, 'm'},
                                         {"dtype", required_argument, 0, 'D'},
                                         {0, 0, 0, 0}};
    for (int ch; (ch = getopt_long(argc, argv, "s:t:Tm:D:", opts, NULL)) != -1;) {
        if (ch == 's' && atol(optarg) >= 1) steps = (size_t)atol(optarg);
        else if (ch == 't' && atoi(optarg) >= 0) threads = atoi(optarg);
        else if (ch == 'T') train = 1;
        else if (ch == 'm' && atol(optarg) >= 64) max_train = (size_t)atol(optarg);
        else if (ch == 'D' && (!strcmp(optarg, "f64") || !strcmp(optarg, "f32"))) f32 = optarg[1] == '3';
        else bench_fail("usage: steps w1|w2|w3 [--steps N] [--threads T] [--train] [--max-train N] [--dtype f64|f32]");
    }
    if (optind + 1 != argc) bench_fail("usage: steps w1|w2|w3 [options]");
    const char *w = argv[optind];
    run r = {0};
    r.name = w;
    mg_err err = {0};
    mg_rng rng;
    r.ctx = mg_ctx_new();
    size_t nl = 3, sizes[3], nin, k;
    mg_init init = MG_INIT_SCALED;
    mg_optim_config oc;
    mg_dataset *test = NULL;
    if (!strcmp(w, "w1")) {
        mg_rng_seed(&rng, 1);
        r.d = mg_dataset_moons(&rng, 100, 0.1, &err);
        nin = 2, k = 1, sizes[0] = 16, sizes[1] = 16, sizes[2] = 1, init = MG_INIT_UNIFORM;
        mg_optim_config_init(&oc, MG_OPTIM_SGD);
        oc.lr = 1.0, oc.schedule = MG_LR_LINEAR, oc.decay = 0.9, oc.steps = 100;
    } else if (!strcmp(w, "w2")) {
        mg_rng_seed(&rng, 2);
        r.d = mg_dataset_blobs(&rng, 1797, 10, 64, 2.0, &err);
        nin = 64, k = 10, sizes[0] = 64, sizes[1] = 64, sizes[2] = 10;
        mg_optim_config_init(&oc, MG_OPTIM_SGD);
        oc.lr = 0.1;
    } else if (!strcmp(w, "w3")) {
        mg_rng_seed(&rng, 3);
        if (mg_dataset_fashion_mnist(NULL, max_train, 0, &r.d, &test, &err)) {
            fprintf(stderr, "steps: %s\n", err.msg);
            return 77;
        }
        nin = 784, k = 10, sizes[0] = 256, sizes[1] = 128, sizes[2] = 10;
        mg_optim_config_init(&oc, MG_OPTIM_ADAMW);
    } else {
        bench_fail("unknown workload '%s' (w1, w2 or w3)", w);
    }
    if (!r.ctx || !r.d) bench_fail("%s", err.msg);
    oc.threads = threads;
    r.m = mg_mlp_new(r.ctx, nin, nl, sizes, NULL, init, &rng, &err);
    if (!r.m) bench_fail("%s", err.msg);
    size_t P = r.m->nparams;
    r.nslots = nin + k;
    r.batch = !strcmp(w, "w3") ? 64 : r.d->n;
    r.nbatches = (r.d->n + r.batch - 1) / r.batch;
    r.order = bench_alloc(r.d->n, sizeof *r.order);
    for (size_t i = 0; i < r.d->n; i++) r.order[i] = i;
    for (size_t i = r.d->n - 1; i > 0 && r.nbatches > 1; i--) {
        size_t j = mg_rng_below(&rng, (uint32_t)(i + 1)), tmp = r.order[i];
        r.order[i] = r.order[j], r.order[j] = tmp;
    }
    r.rows = bench_alloc(r.batch * r.nslots, sizeof *r.rows);
    r.losses = bench_alloc(r.batch, sizeof *r.losses);
    if (r.nbatches == 1) pack(r.d, r.order, r.d->n, k, r.rows);

    double t0, lsum = 0.0, *times = NULL;
    size_t ran = 0;
    if (!train) {
        r.c = record(&r, k, threads, f32);
        if (!(r.opt = mg_optim_new(&oc, P, &err))) bench_fail("%s", err.msg);
        times = bench_alloc(steps, sizeof *times);
        t0 = bench_now();
        lsum = timed_steps(&r, steps, times);
        ran = steps;
    } else {
        mg_train_config cfg;
        mg_train_config_init(&cfg);
        cfg.loss = k > 1 ? MG_LOSS_KIND_CE : MG_LOSS_KIND_HINGE;
        cfg.subtract_max = k > 1 ? 0 : 1;
        cfg.l2 = k > 1 ? 0.0 : 1e-4;
        cfg.optim = oc;
        cfg.optim.steps = 0;
        cfg.steps = steps;
        cfg.batch_size = r.batch;
        cfg.shuffle = r.nbatches > 1;
        cfg.rng = &rng;
        cfg.threads = threads;
        cfg.callback = no_callback;
        cfg.user = &ran;
        cfg.dtype = f32 ? MG_DTYPE_F32 : MG_DTYPE_F64;
        mg_train_result res;
        t0 = bench_now();
        if (mg_train(r.ctx, r.m, r.d, NULL, &cfg, &res, &err)) bench_fail("%s", err.msg);
        lsum = res.train.loss;
    }
    double dt = bench_now() - t0;
    char each[96] = "";
    if (times) {
        double med = bench_median(times, steps); /* sorts: times[0] is the fastest */
        snprintf(each, sizeof each, "; a step: fastest %.2f us, median %.2f us", 1e6 * times[0], 1e6 * med);
    }
    printf("%s%s: %zu steps, %d threads, %s: %.2f us/step (whole run%s)%s; loss sum %.17g; "
           "parameters %016llx\n",
           w, train ? " (mg_train)" : "", ran, threads, f32 ? "f32" : "f64", 1e6 * dt / (double)ran,
           train ? ", set-up and final evaluation included" : "", each, lsum,
           (unsigned long long)checksum(mg_data_ptr(r.ctx, r.m->first), P));
    free(times);
    mg_optim_free(r.opt);
    mg_compiled_free(r.c);
    mg_mlp_free(r.m);
    mg_dataset_free(r.d);
    mg_dataset_free(test);
    mg_ctx_free(r.ctx);
    free(r.rows);
    free(r.order);
    free(r.losses);
    return 0;
}
