/* loss.c - losses built from engine ops, so their gradients come from backward like any
 * other value's. Each form is chosen so the value stays finite (and the gradient exact)
 * over the range a training run meets; the formulas are in micrograd.h, section 10b.
 * Also the names of the training loss kinds (mg_loss_kind). */
#include "nn_internal.h"

#include "engine/ops.h"

#include <math.h>

/* ==== regression ========================================================================= */

/* (pred - target)**2 */
static mg_value squared_error(mg_ctx *ctx, mg_value pred, mg_value target) {
    return mg_powf(ctx, mg_sub(ctx, pred, target), 2.0);
}

mg_value mg_loss_mse(mg_ctx *ctx, size_t n, const mg_value *pred, const mg_value *target) {
    MG_ASSERT(n >= 1, "mg_loss_mse of no outputs");
    if (n == 1) return squared_error(ctx, pred[0], target[0]);
    mg__handles t;
    mg_value *sq = mg__handles_get(ctx, &t, n, "a loss"), loss = MG_NULL;
    if (!sq) return MG_NULL;
    size_t k = 0;
    for (; k < n; k++)
        if (!mg_ok(sq[k] = squared_error(ctx, pred[k], target[k]))) break;
    if (k == n) loss = mg_loss_mean(ctx, n, sq);
    mg__handles_free(&t);
    return loss;
}

/* ==== binary classification ============================================================== */

/* max(log(p), -100) as log(max(p, e^-100)), max written relu(p - E) + E: the clamp is
 * applied before the log, so log never sees 0 (its backward would divide 0 by 0), and
 * relu's zero gradient below E makes a clamped p get no gradient, as in PyTorch. */
static mg_value clamped_log(mg_ctx *ctx, mg_value p) {
    const double E = 3.720075976020836e-44; /* e^-100 */
    return mg_log(ctx, mg_addf(ctx, mg_relu(ctx, mg_subf(ctx, p, E)), E));
}

mg_value mg_loss_bce(mg_ctx *ctx, mg_value p, mg_value target) {
    if (!mg_ok(p) || !mg_ok(target)) return MG_NULL;
    mg_value w[2], x[2];
    w[0] = target;
    x[0] = clamped_log(ctx, p);
    w[1] = mg_rsubf(ctx, 1.0, target);
    x[1] = clamped_log(ctx, mg_rsubf(ctx, 1.0, p));
    return mg_neg(ctx, mg_dot(ctx, MG_NULL, 2, w, x)); /* -(y log p + (1-y) log(1-p)) */
}

mg_value mg_loss_bce_logit(mg_ctx *ctx, mg_value z, mg_value target) {
    if (!mg_ok(z) || !mg_ok(target)) return MG_NULL;
    /* softplus(z) = relu(z) + log(1 + exp(-|z|)), with -|z| written z - 2 relu(z): at z = 0
     * relu's gradient is 0 and this form still gets sigmoid(0) = 1/2, which
     * relu(z) + relu(-z) for |z| would not. */
    mg_value r = mg_relu(ctx, z);
    mg_value minus2 = mg_const(ctx, -2.0);
    mg_value negabs = mg_dot(ctx, z, 1, &r, &minus2);
    mg_value sp = mg_add(ctx, r, mg_log(ctx, mg_addf(ctx, mg_exp(ctx, negabs), 1.0)));
    return mg_sub(ctx, sp, mg_mul(ctx, target, z));
}

mg_value mg_loss_hinge(mg_ctx *ctx, mg_value score, mg_value target) {
    return mg_relu(ctx, mg_rsubf(ctx, 1.0, mg_mul(ctx, target, score)));
}

/* ==== multi-class ======================================================================== */

mg_value mg_loss_softmax_ce(mg_ctx *ctx, size_t k, const mg_value *logits,
                            const mg_value *onehot, int subtract_max) {
    MG_ASSERT(k >= 1, "mg_loss_softmax_ce of no classes");
    for (size_t i = 0; i < k; i++)
        if (!mg_ok(logits[i]) || !mg_ok(onehot[i])) return MG_NULL;
    mg__handles te, ts;
    te.heap = ts.heap = NULL;
    mg_value *e = mg__handles_get(ctx, &te, k, "a loss"), loss = MG_NULL;
    mg_value *s = subtract_max ? mg__handles_get(ctx, &ts, k, "a loss") : NULL;
    if (!e || (subtract_max && !s)) goto done;
    if (!subtract_max) {
        /* The reference run's form, op for op: the one-hot dot picks e_t exactly
         * (0*e_i = 0, 1*e_t = e_t) while keeping one graph shape for every class. */
        for (size_t i = 0; i < k; i++) e[i] = mg_exp(ctx, logits[i]);
        mg_value denom = mg_sum(ctx, k, e);
        mg_value et = mg_dot(ctx, MG_NULL, k, onehot, e);
        loss = mg_neg(ctx, mg_log(ctx, mg_mul(ctx, et, mg_powf(ctx, denom, -1.0))));
    } else {
        /* log-sum-exp shifted by the largest logit, which keeps every exp <= 1. The shift
         * is a value of the graph, max(m, z) = m + relu(z - m), not a number taken at
         * build time: a recorded graph (section 9) then shifts every sample by its own
         * largest logit, whatever the weights were when it was recorded. Its gradient is
         * sum(softmax) - sum(onehot) = 0, to rounding. A NaN or inf logit shows in the
         * loss. */
        mg_value mc = logits[0];
        for (size_t i = 1; i < k; i++) mc = mg_add(ctx, mc, mg_relu(ctx, mg_sub(ctx, logits[i], mc)));
        for (size_t i = 0; i < k; i++) {
            s[i] = mg_sub(ctx, logits[i], mc);
            e[i] = mg_exp(ctx, s[i]);
        }
        mg_value lse = mg_log(ctx, mg_sum(ctx, k, e));
        loss = mg_sub(ctx, lse, mg_dot(ctx, MG_NULL, k, onehot, s));
    }
done:
    mg__handles_free(&te);
    mg__handles_free(&ts);
    return loss;
}

/* ==== reductions and regularisation ====================================================== */

mg_value mg_loss_mean(mg_ctx *ctx, size_t n, const mg_value *losses) {
    MG_ASSERT(n >= 1, "mg_loss_mean of no losses");
    return mg_mulf(ctx, mg_sum(ctx, n, losses), 1.0 / (double)n);
}

mg_value mg_loss_l2(mg_ctx *ctx, size_t n, const mg_value *params, double alpha) {
    MG_ASSERT(n >= 1, "mg_loss_l2 of no parameters");
    return mg_mulf(ctx, mg_dot(ctx, MG_NULL, n, params, params), alpha);
}

/* The same term on numbers, for the compiled training step, which has no graph of it to
 * build: the value and gradient of mg_loss_l2's two ops, alpha * dot(p, p), from the
 * engine's formulas of those ops (engine/ops.h) applied in the order their forward and
 * backward apply them, so it is mg_loss_l2 bit for bit (tests/test_loss.c holds it so).
 * Building the graph each step instead cost the compiled step of micrograd's moons demo
 * 12% more instructions, 24% at batch 10. */
double mg__loss_l2_numbers(size_t n, const double *p, double alpha, double *grad) {
    double dot = 0.0; /* the dot's forward: from 0 (no bias), left to right */
    for (size_t i = 0; i < n; i++) dot = mg__add_fw(dot, mg__mul_fw(p[i], p[i]));
    /* backward from the term (upstream 1): the product passes alpha to the dot, which
     * passes g * p to each p twice, as w and as x */
    double g = mg__mul_ga(1.0, alpha);
    for (size_t i = 0; i < n; i++) {
        grad[i] += mg__mul_ga(g, p[i]);
        grad[i] += mg__mul_gb(g, p[i]);
    }
    return mg__mul_fw(dot, alpha);
}

/* ==== the training loss kinds ============================================================ */

static const char *const kind_names[] = {
    [MG_LOSS_KIND_MSE] = "mse",
    [MG_LOSS_KIND_BCE] = "bce",
    [MG_LOSS_KIND_HINGE] = "hinge",
    [MG_LOSS_KIND_CE] = "ce",
};

const char *mg_loss_kind_name(mg_loss_kind kind) {
    return mg__name_of(kind_names, MG__COUNT(kind_names), (unsigned)kind);
}

int mg_loss_kind_parse(const char *s, mg_loss_kind *kind) {
    int i = mg__name_find(kind_names, MG__COUNT(kind_names), s);
    if (i >= 0) *kind = (mg_loss_kind)i;
    return i >= 0;
}

mg_status mg__loss_kind_check(mg_loss_kind kind, mg_err *err) {
    if ((unsigned)kind < MG__COUNT(kind_names)) return MG_STATUS_OK;
    return mg_err_set(err, MG_STATUS_INVALID, "unknown loss (%d)", (int)kind);
}
