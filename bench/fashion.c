/* fashion.c - W3: Fashion-MNIST, MLP(784, [256, 128, 10]) ReLU, softmax cross-entropy,
 * mini-batches of 64 (shuffled each epoch), AdamW (PyTorch's defaults), compiled, 2 threads:
 * time per epoch and test accuracy after each epoch. Checked first: the first batch's
 * compiled gradient against the eager one.
 * --dtype f32: float32 lanes (the first batch checked to float32's precision; RESULT keys
 * W3_f32_...).
 * Usage: fashion [--dump DIR] [--epochs N] [--threads N] [--dir DATA] [--dtype f64|f32]
 * (DIR gets the initial weights, the batch order and check values for
 * bench/torch_fashion.py). Exits with 77 when the data set is not installed. */
#include "bench_util.h"

#include <getopt.h>

enum { NIN = 784, K = 10, NS = NIN + K, B = 64, EVAL = 500 };
static const size_t sizes[3] = {256, 128, K};

/* Packs samples idx[0 .. n-1] of d as compiled-tape rows: pixels, then the one-hot class. */
static void pack(const mg_dataset *d, const size_t *idx, size_t n, double *rows) {
    for (size_t s = 0; s < n; s++) {
        double *r = rows + s * NS;
        memcpy(r, d->x + idx[s] * NIN, NIN * sizeof *r);
        memset(r + NIN, 0, K * sizeof *r);
        r[NIN + (size_t)d->y[idx[s]]] = 1.0;
    }
}

/* Test accuracy from the tape's outputs (the logits), EVAL samples at a time. */
static double accuracy(mg_compiled *c, const mg_dataset *test, double *rows, size_t *idx) {
    double out[EVAL * K];
    size_t right = 0;
    mg_err err = {0};
    for (size_t s0 = 0; s0 < test->n; s0 += EVAL) {
        size_t n = test->n - s0 < EVAL ? test->n - s0 : EVAL;
        for (size_t s = 0; s < n; s++) idx[s] = s0 + s;
        pack(test, idx, n, rows);
        if (mg_compiled_forward(c, n, rows, NULL, out, &err)) bench_fail("%s", err.msg);
        for (size_t s = 0; s < n; s++) {
            size_t best = 0;
            for (size_t j = 1; j < K; j++)
                if (out[s * K + j] > out[s * K + best]) best = j;
            right += best == (size_t)test->y[s0 + s];
        }
    }
    return (double)right / (double)test->n;
}

int main(int argc, char **argv) {
    const char *dump = NULL, *dir = NULL;
    int epochs = 10, threads = 2, f32 = 0;
    static const struct option opts[] = {{"dump", required_argument, 0, 'd'},
                                         {"epochs", required_argument, 0, 'e'},
                                         {"threads", required_argument, 0, 't'},
                                         {"dir", required_argument, 0, 'D'},
                                         {"dtype", required_argument, 0, 'T'},
                                         {0, 0, 0, 0}};
    for (int ch; (ch = getopt_long(argc, argv, "d:e:t:D:T:", opts, NULL)) != -1;) {
        if (ch == 'd') dump = optarg;
        else if (ch == 'e' && atoi(optarg) >= 1) epochs = atoi(optarg);
        else if (ch == 't' && atoi(optarg) >= 0) threads = atoi(optarg);
        else if (ch == 'D') dir = optarg;
        else if (ch == 'T') f32 = bench_dtype(optarg);
        else bench_fail("usage: fashion [--dump DIR] [--epochs N >= 1] [--threads N] [--dir DATA] [--dtype f64|f32]");
    }
    mg_err err = {0};
    mg_dataset *train = NULL, *test = NULL;
    if (mg_dataset_fashion_mnist(dir, 0, 0, &train, &test, &err)) {
        fprintf(stderr, "bench: W3 skipped: %s\n", err.msg);
        return 77;
    }
    mg_rng rng;
    mg_rng_seed(&rng, 3);
    mg_ctx *ctx = mg_ctx_new();
    mg_mlp *m = ctx ? mg_mlp_new(ctx, NIN, 3, sizes, NULL, MG_INIT_SCALED, &rng, &err) : NULL;
    if (!m) bench_fail("%s", err.msg);
    size_t P = m->nparams, n = train->n, nb = (n + B - 1) / B;
    mg_mark mark = mg_ctx_mark(ctx);

    /* the per-sample graph, recorded once; the logits are its outputs */
    mg_value x[NIN], t[K], z[K], slots[NS];
    for (size_t i = 0; i < NIN; i++) slots[i] = x[i] = mg_input(ctx, 0);
    for (size_t j = 0; j < K; j++) slots[NIN + j] = t[j] = mg_input(ctx, j == 0);
    if (!mg_mlp_forward(ctx, m, x, z)) bench_fail("out of memory");
    mg_compiled *c = mg_compile(ctx, mg_loss_softmax_ce(ctx, K, z, t, 0), NS, slots, K, z, &err);
    if (!c) bench_fail("%s", err.msg);
    mg_ctx_reset(ctx, mark);
    mg_compiled_set_threads(c, threads);
    if (f32 && mg_compiled_set_dtype(c, MG_DTYPE_F32, &err)) bench_fail("%s", err.msg);

    size_t *idx = bench_alloc(n, sizeof *idx);
    double *order = bench_alloc(n, sizeof *order), *rows = bench_alloc((size_t)EVAL * NS, sizeof *rows);
    double losses[B];

    /* ---- check: the first batch (in file order), eager against compiled ---- */
    for (size_t i = 0; i < n; i++) idx[i] = i;
    pack(train, idx, B, rows);
    double *ge = bench_alloc(P, sizeof *ge), *gc = bench_alloc(P, sizeof *gc);
    mg_value bl[B];
    for (size_t s = 0; s < B; s++) {
        for (size_t k = 0; k < NIN; k++) x[k] = mg_input(ctx, rows[s * NS + k]);
        for (size_t j = 0; j < K; j++) t[j] = mg_input(ctx, rows[s * NS + NIN + j]);
        if (!mg_mlp_forward(ctx, m, x, z)) bench_fail("out of memory");
        bl[s] = mg_loss_softmax_ce(ctx, K, z, t, 0);
    }
    mg_value total = mg_loss_mean(ctx, B, bl);
    if (mg_ctx_status(ctx)) bench_fail("%s", mg_ctx_errmsg(ctx));
    mg_zero_grad_span(ctx, m->first, P);
    mg_backward(ctx, total);
    double le = mg_data(ctx, total);
    memcpy(ge, mg_grad_ptr(ctx, m->first), P * sizeof *ge);
    mg_ctx_reset(ctx, mark);
    mg_zero_grad_span(ctx, m->first, P);
    if (mg_compiled_forward_backward(c, B, rows, 1.0 / B, losses, NULL, &err)) bench_fail("%s", err.msg);
    memcpy(gc, mg_grad_ptr(ctx, m->first), P * sizeof *gc);
    double lc = 0;
    for (size_t s = 0; s < B; s++) lc += losses[s];
    double gdiff = bench_grad_diff(gc, ge, P), ldiff = fabs(lc / B - le) / le;
    double tol = f32 ? BENCH_F32_TOL : 1e-12;
    if (!(gdiff <= tol && ldiff <= tol)) bench_fail("W3: compiled differs from eager: gradient %.3g, loss %.3g", gdiff, ldiff);
    bench_dump_mlp(dump, ctx, m);
    bench_dump(dump, "loss0.f64", &le, 1);
    bench_dump(dump, "grad0.f64", ge, P);

    /* ---- train ---- */
    mg_optim_config cfg;
    mg_optim_config_init(&cfg, MG_OPTIM_ADAMW);
    cfg.threads = threads; /* --threads 1 means one thread everywhere, the optimiser too */
    mg_optim *opt = mg_optim_new(&cfg, P, &err);
    if (!opt) bench_fail("%s", err.msg);
    double *ep = bench_alloc((size_t)epochs, sizeof *ep), elapsed = 0, reached = -1, best = 0;
    mg_compiled_info info;
    mg_compiled_info_get(c, &info);
    printf("W3 fashion: %zu parameters, %zu train / %zu test, batch %d, AdamW lr %g wd %g, %d threads, "
           "kernels %s, %s; first batch: compiled vs eager gradient %.2g\n",
           P, n, test->n, B, cfg.lr, cfg.weight_decay, info.threads, info.kernels, f32 ? "float32" : "float64", gdiff);
    FILE *orders = NULL;
    if (dump) {
        char path[4096];
        snprintf(path, sizeof path, "%s/order.f64", dump);
        if (!(orders = fopen(path, "wb"))) bench_fail("cannot write %s", path);
    }
    for (int e = 0; e < epochs; e++) {
        for (size_t i = 0; i < n; i++) idx[i] = i;
        for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates with the bench's generator */
            size_t j = mg_rng_below(&rng, (uint32_t)(i + 1)), tmp = idx[i];
            idx[i] = idx[j], idx[j] = tmp;
        }
        for (size_t i = 0; i < n; i++) order[i] = (double)idx[i];
        if (orders && fwrite(order, sizeof *order, n, orders) != n) bench_fail("cannot write the batch order");
        double t0 = bench_now(), lsum = 0;
        for (size_t b = 0; b < nb; b++) {
            size_t s0 = b * B, cnt = n - s0 < B ? n - s0 : B;
            pack(train, idx + s0, cnt, rows);
            mg_zero_grad_span(ctx, m->first, P);
            if (mg_compiled_forward_backward(c, cnt, rows, 1.0 / (double)cnt, losses, NULL, &err))
                bench_fail("epoch %d, batch %zu: %s", e + 1, b, err.msg);
            mg_optim_step(opt, ctx, m->first, P);
            for (size_t s = 0; s < cnt; s++) lsum += losses[s];
        }
        ep[e] = bench_now() - t0;
        elapsed += ep[e];
        double acc = accuracy(c, test, rows, idx);
        if (acc > best) best = acc;
        if (reached < 0 && acc >= 0.883) reached = elapsed;
        printf("W3 fashion: epoch %2d: %.2f s, train loss %.4f, test accuracy %.2f%%\n", e + 1, ep[e],
               lsum / (double)n, 100 * acc);
        char key[32];
        snprintf(key, sizeof key, "acc_%d", e + 1);
        bench_result_dt("W3", f32, key, acc);
        fflush(stdout);
    }
    if (orders && fclose(orders) != 0) bench_fail("cannot write the batch order");
    bench_result_dt("W3", f32, "epoch_s", bench_median(ep, (size_t)epochs));
    bench_result_dt("W3", f32, "best_acc", best);
    bench_result_dt("W3", f32, "train_s", elapsed);
    bench_result_dt("W3", f32, "s_to_883", reached);
    bench_result_dt("W3", f32, "check", fmax(gdiff, ldiff));
    /* for the machine limit: the GEMM work of an epoch, and what AdamW moves per step */
    bench_result("W3_flop_epoch", (double)n * bench_mlp_step_flop(NIN, 3, sizes));
    bench_result("W3_steps_epoch", (double)nb);
    bench_result("W3_params", (double)P);
    free(ep);
    free(ge);
    free(gc);
    free(idx);
    free(order);
    free(rows);
    mg_optim_free(opt);
    mg_compiled_free(c);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
    mg_dataset_free(train);
    mg_dataset_free(test);
    return 0;
}
