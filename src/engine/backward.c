/* backward.c - reverse-mode differentiation over the tape, forward recomputation, the
 * finite-difference gradient check and the non-finite value query. */
#include "core/mg_internal.h"
#include "ops_impl.h"

#include <math.h>
#include <stdio.h>

/* Calls f(ctx, j) for every input j of value i. */
#define MG__FOR_INPUTS(ctx, i, j, body)                                                     \
    do {                                                                                    \
        int ar_ = mg__ops[(ctx)->op[i]].arity;                                              \
        if (ar_ < 0) {                                                                      \
            const uint32_t *p_ = (ctx)->args + (ctx)->a0[i];                                \
            for (uint32_t k_ = 0; k_ < (ctx)->a1[i]; k_++) {                                \
                uint32_t j = p_[k_];                                                        \
                body;                                                                       \
            }                                                                               \
        } else {                                                                            \
            if (ar_ >= 1) {                                                                 \
                uint32_t j = (ctx)->a0[i];                                                  \
                body;                                                                       \
            }                                                                               \
            if (ar_ >= 2) {                                                                 \
                uint32_t j = (ctx)->a1[i];                                                  \
                body;                                                                       \
            }                                                                               \
        }                                                                                   \
    } while (0)

/* ==== backward ========================================================================== */

void mg_backward_from(mg_ctx *ctx, mg_value root, double upstream) {
    if (!mg_ok(root)) return;
    uint32_t r = mg__idx(ctx, root);
    if (ctx->op[r] == MG_OP_LEAF) {
        ctx->grad[r] += upstream;
        return;
    }
    if (!mg__scratch(ctx, (size_t)r + 1)) return;
    uint8_t *seen = ctx->scratch;
    double *grad = ctx->grad;
    const uint8_t *op = ctx->op;
    grad[r] = upstream;
    seen[r] = 1;
    /* One reverse walk. An interior value's grad is zeroed when its first consumer (the
     * last one on the tape) reaches it; every consumer comes after it, so its grad is
     * complete by the time the walk gets to it. Leaves accumulate. */
#define TOUCH(j)                                                                            \
    do {                                                                                    \
        uint32_t j_ = (j);                                                                  \
        if (!seen[j_]) {                                                                    \
            seen[j_] = 1;                                                                   \
            if (op[j_] != MG_OP_LEAF) grad[j_] = 0.0;                                       \
        }                                                                                   \
    } while (0)
    const uint32_t *a0 = ctx->a0, *a1 = ctx->a1;
    for (uint32_t i = r + 1; i-- > 0;) {
        if (!seen[i]) continue;
        /* The ops a network is made of are inlined here; the rest go through the table. */
        switch (op[i]) {
        case MG_OP_LEAF: break;
        case MG_OP_ADD: TOUCH(a0[i]); TOUCH(a1[i]); add_bw(ctx, i); break;
        case MG_OP_SUB: TOUCH(a0[i]); TOUCH(a1[i]); sub_bw(ctx, i); break;
        case MG_OP_MUL: TOUCH(a0[i]); TOUCH(a1[i]); mul_bw(ctx, i); break;
        case MG_OP_TANH: TOUCH(a0[i]); tanh_bw(ctx, i); break;
        case MG_OP_RELU: TOUCH(a0[i]); relu_bw(ctx, i); break;
        default:
            MG__FOR_INPUTS(ctx, i, j, TOUCH(j));
            mg__ops[op[i]].backward(ctx, i);
        }
    }
#undef TOUCH
    if (ctx->check_numerics) {
        /* The first value, in the order backward reached them, whose grad is not finite. */
        for (uint32_t i = r + 1; i-- > 0;)
            if (seen[i] && !isfinite(grad[i])) {
                char what[160];
                mg__ctx_fail(ctx, MG_STATUS_NUMERIC, "gradient not finite: %s",
                             mg_describe(ctx, mg__handle(ctx, i), what, sizeof what));
                break;
            }
    }
}

void mg_backward(mg_ctx *ctx, mg_value root) { mg_backward_from(ctx, root, 1.0); }

/* ==== checking numerics as they are computed ============================================ */

void mg_ctx_check_numerics(mg_ctx *ctx, int on) { ctx->check_numerics = on != 0; }

mg_value mg__numeric_fail(mg_ctx *ctx, uint32_t i) {
    char what[160];
    mg__ctx_fail(ctx, MG_STATUS_NUMERIC, "not finite: %s",
                 mg_describe(ctx, mg__handle(ctx, i), what, sizeof what));
    return MG_NULL;
}

void mg_zero_grad(mg_ctx *ctx, size_t n, const mg_value *v) {
    for (size_t k = 0; k < n; k++)
        if (mg_ok(v[k])) ctx->grad[mg__idx(ctx, v[k])] = 0.0;
}

void mg_zero_grad_span(mg_ctx *ctx, mg_value first, size_t n) {
    if (n == 0) return;
    uint32_t i = mg__idx(ctx, first);
    MG_ASSERT(n <= ctx->n - i, "span runs past the end of the tape");
    memset(ctx->grad + i, 0, n * sizeof *ctx->grad);
}

/* ==== forward recomputation ============================================================= */

int mg__mark_reachable(mg_ctx *ctx, uint32_t root) {
    if (!mg__scratch(ctx, (size_t)root + 1)) return 0;
    uint8_t *seen = ctx->scratch;
    seen[root] = 1;
    for (uint32_t i = root + 1; i-- > 0;) {
        if (!seen[i] || ctx->op[i] == MG_OP_LEAF) continue;
        MG__FOR_INPUTS(ctx, i, j, seen[j] = 1);
    }
    return 1;
}

double mg_forward(mg_ctx *ctx, mg_value root) {
    if (!mg_ok(root)) return NAN;
    uint32_t r = mg__idx(ctx, root);
    if (!mg__mark_reachable(ctx, r)) return NAN;
    for (uint32_t i = 0; i <= r; i++)
        if (ctx->scratch[i] && ctx->op[i] != MG_OP_LEAF) mg__ops[ctx->op[i]].forward(ctx, i);
    return ctx->data[r];
}

/* ==== gradient check ==================================================================== */

double mg_gradcheck(mg_ctx *ctx, mg_value root, double h, mg_gradcheck_report *report) {
    mg_gradcheck_report rep = {0, 0, MG_NULL, 0, 0, 0};
    if (report) *report = rep;
    if (!mg_ok(root)) return NAN;
    if (!(h > 0.0)) h = 1e-6;
    uint32_t r = mg__idx(ctx, root);
    if (!mg__mark_reachable(ctx, r)) return NAN;

    /* The leaves to check, gathered before scratch is reused by backward and forward. */
    size_t nleaves = 0;
    for (uint32_t i = 0; i <= r; i++)
        if (ctx->scratch[i] && ctx->op[i] == MG_OP_LEAF && ctx->role[i] != MG_ROLE_CONST) nleaves++;
    uint32_t *leaves = mg__malloc(mg__mul_size(nleaves, sizeof *leaves));
    double *analytic = mg__malloc(mg__mul_size(nleaves, sizeof *analytic));
    if (!leaves || !analytic) {
        mg__free(leaves);
        mg__free(analytic);
        mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory in the gradient check");
        return NAN;
    }
    nleaves = 0;
    for (uint32_t i = 0; i <= r; i++)
        if (ctx->scratch[i] && ctx->op[i] == MG_OP_LEAF && ctx->role[i] != MG_ROLE_CONST)
            leaves[nleaves++] = i;

    for (size_t k = 0; k < nleaves; k++) ctx->grad[leaves[k]] = 0.0;
    mg_backward(ctx, root);
    for (size_t k = 0; k < nleaves; k++) analytic[k] = ctx->grad[leaves[k]];

    for (size_t k = 0; k < nleaves; k++) {
        uint32_t i = leaves[k];
        double x = ctx->data[i];
        ctx->data[i] = x + h;
        double fp = mg_forward(ctx, root);
        ctx->data[i] = x - h;
        double fm = mg_forward(ctx, root);
        ctx->data[i] = x;
        double num = (fp - fm) / (2.0 * h);
        double an = analytic[k];
        double scale = fmax(1.0, fmax(fabs(an), fabs(num)));
        double err = fabs(an - num) / scale;
        if (isnan(err)) err = INFINITY;
        if (fabs(an) > rep.max_abs_grad) rep.max_abs_grad = fabs(an);
        if (!mg_ok(rep.worst) || err > rep.max_rel_err) {
            rep.max_rel_err = err;
            rep.worst = mg__handle(ctx, i);
            rep.worst_analytic = an;
            rep.worst_numeric = num;
        }
        rep.nchecked++;
    }
    mg_forward(ctx, root);
    mg__free(leaves);
    mg__free(analytic);
    if (report) *report = rep;
    return rep.max_rel_err;
}

/* ==== non-finite values ================================================================= */

mg_value mg_find_nonfinite(const mg_ctx *ctx, size_t from, int check_grad) {
    for (size_t i = from; i < ctx->n; i++) {
        if (!isfinite(ctx->data[i]) || (check_grad && !isfinite(ctx->grad[i])))
            return mg__handle(ctx, (uint32_t)i);
    }
    return MG_NULL;
}

char *mg_describe(const mg_ctx *ctx, mg_value v, char *buf, size_t size) {
    if (!buf || size == 0) return buf;
    if (!mg_ok(v)) {
        snprintf(buf, size, "(no value)");
        return buf;
    }
    uint32_t i = mg__idx(ctx, v);
    char d[32], g[32];
    mg_fmt_repr(ctx->data[i], d, sizeof d);
    mg_fmt_repr(ctx->grad[i], g, sizeof g);
    const char *label = ctx->chars + ctx->label[i];
    const char *what = ctx->op[i] == MG_OP_LEAF
                           ? (ctx->role[i] == MG_ROLE_PARAM   ? "parameter"
                              : ctx->role[i] == MG_ROLE_INPUT ? "input"
                              : ctx->role[i] == MG_ROLE_CONST ? "constant"
                                                              : "leaf")
                           : mg__ops[ctx->op[i]].name;
    if (*label)
        snprintf(buf, size, "#%u %s '%s': data=%s grad=%s", i, what, label, d, g);
    else
        snprintf(buf, size, "#%u %s: data=%s grad=%s", i, what, d, g);
    return buf;
}
