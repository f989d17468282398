/* multiclass.c - softmax cross-entropy over 3 classes in C: 300 points of interleaved
 * spiral arms (the cs231n set), or of Gaussian blobs, shuffled, 80% to train an
 * MLP(2, [16, 16, 3]) with AdamW (lr 0.02, weight decay 1e-4) for 300 full-batch steps
 * and 20% to validate every 10 steps.
 *
 * Prints what `micrograd demo multiclass` prints. As in examples/yinyang.c, one point's
 * loss graph, its class given one-hot, is compiled once and replayed over the batch; here
 * the loss subtracts the largest logit first, so no logit can overflow exp.
 *
 *   cc multiclass.c $(pkg-config --cflags --libs micrograd) -o multiclass
 *   ./multiclass [--data=spiral|blobs] [--steps=N]
 */
#include <micrograd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 300       /* points */
#define NTRAIN 240  /* to train */
#define NVAL 60     /* to validate */
#define K 3         /* classes */
#define NSLOTS 5    /* a point's numbers: x, y, then its class one-hot */

/* A set's mean loss and the points it gets right (the largest logit is the class). */
typedef struct score {
    double loss;
    int correct;
} score;

static score measure(int n, const double *losses, double logits[][K], double rows[][NSLOTS]) {
    score s = {0.0, 0};
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int c = 1; c < K; c++)
            if (logits[i][c] > logits[i][best]) best = c;
        s.loss += losses[i];
        s.correct += rows[i][2 + best] == 1.0;
    }
    s.loss *= 1.0 / n;
    return s;
}

/* One point's loss, the softmax cross-entropy of its logits with the largest subtracted
 * first, the class given as a one-hot row; built on the tape and recorded as a compiled
 * tape whose slots are the point's five numbers (x, y, the one-hot row). The graph is
 * then dropped (the parameters stay). NULL with err. */
static mg_compiled *record_loss(mg_ctx *ctx, mg_mlp *model, mg_err *err) {
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value slots[NSLOTS], logits[K] = {MG_NULL, MG_NULL, MG_NULL};
    for (int k = 0; k < 2; k++) slots[k] = mg_input(ctx, 0.0);
    mg_mlp_forward(ctx, model, slots, logits);
    for (int c = 0; c < K; c++) slots[2 + c] = mg_input(ctx, 0.0);
    mg_value loss = mg_loss_softmax_ce(ctx, K, logits, slots + 2, 1);
    mg_compiled *tape = NULL;
    if (mg_ctx_status(ctx) != MG_STATUS_OK)
        mg_err_set(err, mg_ctx_status(ctx), "%s", mg_ctx_errmsg(ctx));
    else
        tape = mg_compile(ctx, loss, NSLOTS, slots, K, logits, err);
    mg_ctx_reset(ctx, mark);
    return tape;
}

/* The slot values of every point of d: x, y, the one-hot class. */
static void pack(const mg_dataset *d, double rows[N][NSLOTS]) {
    for (int i = 0; i < N; i++) {
        rows[i][0] = d->x[2 * i];
        rows[i][1] = d->x[2 * i + 1];
        for (int c = 0; c < K; c++) rows[i][2 + c] = c == d->y[i] ? 1.0 : 0.0;
    }
}

/* --data=spiral|blobs and --steps=N; 0 after a usage message. */
static int parse_args(int argc, char **argv, const char **data, long *steps) {
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "--data=", 7)) *data = argv[i] + 7;
        else if (!strncmp(argv[i], "--steps=", 8)) *steps = atol(argv[i] + 8);
        else *data = "";
    }
    if ((strcmp(*data, "spiral") && strcmp(*data, "blobs")) || *steps < 1) {
        fprintf(stderr, "usage: multiclass [--data=spiral|blobs] [--steps=N]\n");
        return 0;
    }
    return 1;
}

int main(int argc, char **argv) {
    const char *which = "spiral";
    long steps = 300;
    if (!parse_args(argc, argv, &which, &steps)) return 2;
    int status = 1;
    mg_err err = {0};
    mg_dataset *all = NULL;
    mg_mlp *model = NULL;
    mg_compiled *tape = NULL;
    mg_optim *adamw = NULL;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_rng_seed(mg_ctx_rng(ctx), 42); /* it draws the data, then the weights */

    /* The data, shuffled by the generator: the first 240 points train, the rest validate. */
    all = !strcmp(which, "blobs") ? mg_dataset_blobs(mg_ctx_rng(ctx), N, K, 2, 5.0 * 0.2, &err)
                                  : mg_dataset_spiral(mg_ctx_rng(ctx), N, K, 0.2, &err);
    if (!all) goto done;
    double rows[N][NSLOTS];
    pack(all, rows);
    /* The model: relu, relu, linear; weights uniform(-1, 1) / sqrt(nin), biases 0. */
    const size_t sizes[3] = {16, 16, K};
    model = mg_mlp_new(ctx, 2, 3, sizes, NULL, MG_INIT_SCALED, NULL, &err);
    if (!model) goto done;
    printf("multiclass: %s, %d classes, %d points (%d train, %d validation); "
           "MLP(2, [16, 16, %d]), %zu parameters; AdamW lr %g\n",
           which, K, N, NTRAIN, NVAL, K, model->nparams, 0.02);

    /* One point's loss graph, recorded once and replayed at every step. */
    tape = record_loss(ctx, model, &err);
    if (!tape) goto done;

    mg_optim_config oc;
    mg_optim_config_init(&oc, MG_OPTIM_ADAMW); /* betas 0.9 and 0.999, eps 1e-8 */
    oc.lr = 0.02;
    oc.weight_decay = 1e-4;
    adamw = mg_optim_new(&oc, model->nparams, &err);
    if (!adamw) goto done;

    double (*val)[NSLOTS] = rows + NTRAIN; /* the last 60 rows */
    double losses[NTRAIN], out[NTRAIN][K];
    score tr, va = {0.0, 0};
    for (long k = 0; k < steps; k++) {
        int report = k % 10 == 0;
        if (report) { /* validation, before the step */
            if (mg_compiled_forward(tape, NVAL, &val[0][0], losses, &out[0][0], &err)) goto done;
            va = measure(NVAL, losses, out, val);
        }
        /* zero_grad; the gradient of the mean loss over the training points; AdamW. */
        mg_mlp_zero_grad(ctx, model);
        if (mg_compiled_forward_backward(tape, NTRAIN, &rows[0][0], 1.0 / NTRAIN, losses,
                                         &out[0][0], &err))
            goto done;
        tr = measure(NTRAIN, losses, out, rows);
        mg_optim_step(adamw, ctx, model->first, model->nparams);
        if (report)
            printf("step %ld loss %.4f, accuracy %.1f%%, val loss %.4f, val accuracy %.1f%%\n", k,
                   tr.loss, 100.0 * tr.correct / NTRAIN, va.loss, 100.0 * va.correct / NVAL);
    }

    /* The trained model on both sets. */
    if (mg_compiled_forward(tape, NTRAIN, &rows[0][0], losses, &out[0][0], &err)) goto done;
    tr = measure(NTRAIN, losses, out, rows);
    if (mg_compiled_forward(tape, NVAL, &val[0][0], losses, &out[0][0], &err)) goto done;
    va = measure(NVAL, losses, out, val);
    printf("final: train loss %.4f, accuracy %.1f%% (%d of %d); val loss %.4f, accuracy "
           "%.1f%% (%d of %d)\n",
           tr.loss, 100.0 * tr.correct / NTRAIN, tr.correct, NTRAIN, va.loss,
           100.0 * va.correct / NVAL, va.correct, NVAL);
    status = 0;

done:
    if (status) fprintf(stderr, "multiclass: %s\n", err.msg);
    mg_optim_free(adamw);
    mg_compiled_free(tape);
    mg_mlp_free(model);
    mg_dataset_free(all);
    mg_ctx_free(ctx);
    return status;
}
