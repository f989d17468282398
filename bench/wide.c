/* wide.c - W2: MLP(64, [64, 64, 10]) ReLU, softmax cross-entropy, 1,797 samples of 64
 * features (Gaussian blobs, 10 classes), one full-batch SGD step, compiled, 1 and 2
 * threads, float64 (--dtype f32: float32 lanes). Checked first: the compiled gradient against
 * the eager one of the same batch (float32: to its precision), and bit-identical gradients
 * for 1 and 2 threads.
 * Usage: wide [--dump DIR] [--steps N] [--dtype f64|f32]   (DIR gets data, weights and check
 * values for bench/torch_wide.py) */
#include "bench_util.h"

#include <getopt.h>

enum { N = 1797, NIN = 64, K = 10, NS = NIN + K };
static const size_t sizes[3] = {64, 64, K};

int main(int argc, char **argv) {
    const char *dump = NULL;
    int steps = 30, f32 = 0;
    static const struct option opts[] = {{"dump", required_argument, 0, 'd'},
                                         {"steps", required_argument, 0, 's'},
                                         {"dtype", required_argument, 0, 't'},
                                         {0, 0, 0, 0}};
    for (int ch; (ch = getopt_long(argc, argv, "d:s:t:", opts, NULL)) != -1;) {
        if (ch == 'd') dump = optarg;
        else if (ch == 's' && atoi(optarg) >= 1) steps = atoi(optarg);
        else if (ch == 't') f32 = bench_dtype(optarg);
        else bench_fail("usage: wide [--dump DIR] [--steps N >= 1] [--dtype f64|f32]");
    }
    mg_err err = {0};
    mg_rng rng;
    mg_rng_seed(&rng, 2);
    mg_ctx *ctx = mg_ctx_new();
    mg_dataset *d = mg_dataset_blobs(&rng, N, K, NIN, 2.0, &err);
    if (!ctx || !d) bench_fail("%s", err.msg);
    mg_mlp *m = mg_mlp_new(ctx, NIN, 3, sizes, NULL, MG_INIT_SCALED, &rng, &err);
    if (!m) bench_fail("%s", err.msg);
    size_t P = m->nparams;
    double *init = bench_alloc(P, sizeof *init), *rows = bench_alloc((size_t)N * NS, sizeof *rows);
    memcpy(init, mg_data_ptr(ctx, m->first), P * sizeof *init);
    for (size_t i = 0; i < N; i++) {
        memcpy(rows + i * NS, d->x + i * NIN, NIN * sizeof *rows);
        rows[i * NS + NIN + (size_t)d->y[i]] = 1.0; /* one-hot target */
    }
    mg_mark mark = mg_ctx_mark(ctx);

    /* the per-sample graph, recorded once */
    mg_value x[NIN], t[K], z[K], slots[NS];
    for (size_t i = 0; i < NIN; i++) slots[i] = x[i] = mg_input(ctx, 0);
    for (size_t j = 0; j < K; j++) slots[NIN + j] = t[j] = mg_input(ctx, j == 0);
    if (!mg_mlp_forward(ctx, m, x, z)) bench_fail("out of memory");
    mg_compiled *c = mg_compile(ctx, mg_loss_softmax_ce(ctx, K, z, t, 0), NS, slots, 0, NULL, &err);
    if (!c) bench_fail("%s", err.msg);
    mg_ctx_reset(ctx, mark);
    if (f32 && mg_compiled_set_dtype(c, MG_DTYPE_F32, &err)) bench_fail("%s", err.msg);

    /* ---- check: eager gradient of the mean loss over the batch ---- */
    double *ge = bench_alloc(P, sizeof *ge), *g1 = bench_alloc(P, sizeof *g1), *g2 = bench_alloc(P, sizeof *g2);
    mg_value *losses = bench_alloc(N, sizeof *losses);
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k < NIN; k++) x[k] = mg_input(ctx, rows[i * NS + k]);
        for (size_t j = 0; j < K; j++) t[j] = mg_input(ctx, rows[i * NS + NIN + j]);
        if (!mg_mlp_forward(ctx, m, x, z)) bench_fail("out of memory");
        losses[i] = mg_loss_softmax_ce(ctx, K, z, t, 0);
    }
    mg_value total = mg_loss_mean(ctx, N, losses);
    if (mg_ctx_status(ctx)) bench_fail("%s", mg_ctx_errmsg(ctx));
    mg_zero_grad_span(ctx, m->first, P);
    mg_backward(ctx, total);
    double le = mg_data(ctx, total);
    memcpy(ge, mg_grad_ptr(ctx, m->first), P * sizeof *ge);
    mg_ctx_reset(ctx, mark);
    double *lc = bench_alloc(N, sizeof *lc);
    for (int th = 1; th <= 2; th++) {
        mg_compiled_set_threads(c, th);
        mg_zero_grad_span(ctx, m->first, P);
        if (mg_compiled_forward_backward(c, N, rows, 1.0 / N, lc, NULL, &err)) bench_fail("%s", err.msg);
        memcpy(th == 1 ? g1 : g2, mg_grad_ptr(ctx, m->first), P * sizeof *g1);
    }
    double lsum = 0;
    for (size_t i = 0; i < N; i++) lsum += lc[i];
    double gdiff = bench_grad_diff(g1, ge, P), ldiff = fabs(lsum / N - le) / le;
    double tol = f32 ? BENCH_F32_TOL : 1e-12;
    if (!(gdiff <= tol && ldiff <= tol)) bench_fail("W2: compiled differs from eager: gradient %.3g, loss %.3g", gdiff, ldiff);
    if (memcmp(g1, g2, P * sizeof *g1)) bench_fail("W2: 1 and 2 threads give different gradients");
    double yf[N];
    for (size_t i = 0; i < N; i++) yf[i] = d->y[i];
    bench_dump(dump, "x.f64", d->x, (size_t)N * NIN);
    bench_dump(dump, "y.f64", yf, N);
    bench_dump_mlp(dump, ctx, m);
    bench_dump(dump, "loss0.f64", &le, 1);
    bench_dump(dump, "grad0.f64", ge, P);

    /* ---- time: full-batch SGD steps from the same start ---- */
    mg_optim_config cfg;
    mg_optim_config_init(&cfg, MG_OPTIM_SGD);
    cfg.lr = 0.1;
    mg_optim *opt = mg_optim_new(&cfg, P, &err);
    if (!opt) bench_fail("%s", err.msg);
    double *ts = bench_alloc((size_t)steps, sizeof *ts), ms[2], last[2];
    for (int th = 1; th <= 2; th++) {
        memcpy(mg_data_ptr(ctx, m->first), init, P * sizeof *init);
        mg_compiled_set_threads(c, th);
        for (int k = 0; k < steps; k++) {
            double t0 = bench_now();
            mg_zero_grad_span(ctx, m->first, P);
            if (mg_compiled_forward_backward(c, N, rows, 1.0 / N, lc, NULL, &err)) bench_fail("%s", err.msg);
            mg_optim_step(opt, ctx, m->first, P);
            ts[k] = bench_now() - t0;
        }
        lsum = 0;
        for (size_t i = 0; i < N; i++) lsum += lc[i];
        last[th - 1] = lsum / N;
        ms[th - 1] = bench_median(ts, (size_t)steps) * 1e3;
    }
    if (last[0] != last[1]) bench_fail("W2: 1 and 2 threads trained differently");
    mg_compiled_info info;
    mg_compiled_info_get(c, &info);
    printf("W2 wide: %zu parameters, %d samples; step-0 loss %.6f, compiled vs eager gradient %.2g, "
           "1 vs 2 threads bit-identical; loss after %d steps %.6f; kernels %s\n",
           P, N, le, gdiff, steps, last[0], info.kernels);
    printf("W2 wide: compiled %.3f ms/step (1 thread), %.3f ms/step (2 threads), %s, median\n", ms[0], ms[1],
           f32 ? "float32" : "float64");
    bench_result_dt("W2", f32, "compiled_1t_ms", ms[0]);
    bench_result_dt("W2", f32, "compiled_2t_ms", ms[1]);
    bench_result_dt("W2", f32, "check", fmax(gdiff, ldiff));
    bench_result("W2_flop", N * bench_mlp_step_flop(NIN, 3, sizes));
    free(ts);
    free(lc);
    free(losses);
    free(ge);
    free(g1);
    free(g2);
    free(init);
    free(rows);
    mg_optim_free(opt);
    mg_compiled_free(c);
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
    return 0;
}
