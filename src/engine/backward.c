/* backward.c - reverse-mode differentiation over the tape, and forward recomputation.
 *
 * Backward is the textbook loop, run once in reverse creation order (a topological
 * order, since an op's operands exist before it):
 *
 *     grad[root] = 1
 *     for i = root down to 0, if root depends on i: mg__ops[op[i]].backward(ctx, i)
 *
 * What is added to it below: interior grads are zeroed lazily as the walk first reaches
 * them (and the grads of op values that read as 0 but are not stored, when the walk
 * passes them unreached), and the ops networks are made of are inlined instead of called
 * through the table, reading the tape through a view loaded once (mg__tape). */
#include "graph.h"
#include "ops_impl.h"

#include <math.h>
#include <stdio.h>

/* ==== backward ========================================================================== */

void mg_backward_from(mg_ctx *ctx, mg_value root, double upstream) {
    if (!mg_ok(root)) return;
    uint32_t r = mg__idx(ctx, root);
    if (mg__is_leaf(ctx, r)) {
        ctx->grad[r] += upstream;
        return;
    }
    if (!mg__scratch(ctx, (size_t)r + 1)) return;
    uint8_t *seen = ctx->scratch;
    double *grad = ctx->grad;
    const uint32_t *meta = ctx->meta;
    const uint32_t gf = ctx->grad_from;
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
            if (meta[j_] & MG__OP_MASK) grad[j_] = 0.0;                                     \
        }                                                                                   \
    } while (0)
    const uint32_t *a0 = ctx->a0, *a1 = ctx->a1;
    const mg__tape t = mg__tape_of(ctx);
    for (uint32_t i = r + 1; i-- > 0;) {
        if (!seen[i]) {
            /* Not reached: left alone, but a grad that reads as 0 is stored as 0. */
            if (i >= gf && (meta[i] & MG__OP_MASK)) grad[i] = 0.0;
            continue;
        }
        /* The ops a network is made of are inlined here; the rest go through the table. */
        switch ((mg_op)(meta[i] & MG__OP_MASK)) {
        case MG_OP_LEAF: break;
        case MG_OP_ADD: TOUCH(a0[i]); TOUCH(a1[i]); add_bwt(t, i); break;
        case MG_OP_SUB: TOUCH(a0[i]); TOUCH(a1[i]); sub_bwt(t, i); break;
        case MG_OP_MUL: TOUCH(a0[i]); TOUCH(a1[i]); mul_bwt(t, i); break;
        case MG_OP_TANH: TOUCH(a0[i]); tanh_bwt(t, i); break;
        case MG_OP_RELU: TOUCH(a0[i]); relu_bwt(t, i); break;
        default: {
            uint32_t pair[2], n;
            const uint32_t *x = mg__operands(ctx, i, pair, &n);
            for (uint32_t k = 0; k < n; k++) TOUCH(x[k]);
            mg__ops[meta[i] & MG__OP_MASK].backward(ctx, i);
        }
        }
    }
#undef TOUCH
    if (ctx->grad_from <= r) ctx->grad_from = r + 1;
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
    mg__reach(ctx, root, ctx->scratch);
    return 1;
}

double mg_forward(mg_ctx *ctx, mg_value root) {
    if (!mg_ok(root)) return NAN;
    uint32_t r = mg__idx(ctx, root);
    if (!mg__mark_reachable(ctx, r)) return NAN;
    for (uint32_t i = 0; i <= r; i++)
        if (ctx->scratch[i] && !mg__is_leaf(ctx, i)) mg__ops[mg__op_at(ctx, i)].forward(ctx, i);
    return ctx->data[r];
}
