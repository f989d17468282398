/* trace.c - backward, one chain-rule term at a time, told to the caller: for pages that
 * show backpropagation step by step. The same walk as mg_backward (same order, same
 * terms from ops.h, the same lazy zeroing), so the grads it leaves are mg_backward's,
 * bit for bit. */
#include "graph.h"

/* The local derivative of value i by operand k (gate: 0 when backward adds nothing) and
 * the term backward adds for the grad g. */
static void local_term(const mg_ctx *ctx, uint32_t i, uint32_t k, double g, double *local,
                       double *term, int *gate) {
    const double *D = ctx->data;
    uint32_t a = ctx->a0[i], b = ctx->a1[i];
    double y = D[i];
    *gate = 1;
    switch (mg__op_at(ctx, i)) {
    case MG_OP_ADD:
        *local = 1.0, *term = k ? mg__add_gb(g) : mg__add_ga(g);
        return;
    case MG_OP_SUB:
        *local = k ? -1.0 : 1.0, *term = k ? mg__sub_gb(g) : mg__sub_ga(g);
        return;
    case MG_OP_MUL:
        *local = k ? D[a] : D[b], *term = k ? mg__mul_gb(g, D[a]) : mg__mul_ga(g, D[b]);
        return;
    case MG_OP_DIV:
        *local = k ? mg__div_gb(1.0, D[b], y) : mg__div_ga(1.0, D[b]);
        *term = k ? mg__div_gb(g, D[b], y) : mg__div_ga(g, D[b]);
        return;
    case MG_OP_NEG: *local = -1.0, *term = mg__neg_ga(g); return;
    case MG_OP_POWC:
        *gate = mg__powc_gate(D[b]);
        *local = *gate ? mg__powc_ga(1.0, D[a], D[b]) : 0.0;
        *term = *gate ? mg__powc_ga(g, D[a], D[b]) : 0.0;
        return;
    case MG_OP_POW:
        *gate = k ? mg__pow_gate_b(y) : mg__pow_gate_a(D[b]);
        *local = !*gate ? 0.0 : k ? mg__pow_gb(1.0, D[a], y) : mg__pow_ga(1.0, D[a], D[b]);
        *term = !*gate ? 0.0 : k ? mg__pow_gb(g, D[a], y) : mg__pow_ga(g, D[a], D[b]);
        return;
    case MG_OP_EXP: *local = y, *term = mg__exp_ga(g, y); return;
    case MG_OP_LOG: *local = mg__log_ga(1.0, D[a]), *term = mg__log_ga(g, D[a]); return;
    case MG_OP_TANH: *local = mg__tanh_ga(1.0, y), *term = mg__tanh_ga(g, y); return;
    case MG_OP_RELU:
        *gate = mg__relu_gate(y);
        *local = *gate ? 1.0 : 0.0, *term = *gate ? mg__relu_ga(g) : 0.0;
        return;
    case MG_OP_SIGMOID: *local = mg__sigmoid_ga(1.0, y), *term = mg__sigmoid_ga(g, y); return;
    case MG_OP_SUM: *local = 1.0, *term = mg__add_ga(g); return;
    case MG_OP_DOT: {
        const uint32_t *p = ctx->args + a;
        uint32_t bias = b & 1u;
        if (bias && k == 0) {
            *local = 1.0, *term = mg__add_ga(g);
        } else { /* operand k is w or x of pair (k - bias) / 2 */
            uint32_t w = p[k - ((k - bias) & 1u)], x = p[k - ((k - bias) & 1u) + 1];
            int is_x = (k - bias) & 1u;
            *local = is_x ? D[w] : D[x];
            *term = is_x ? mg__mul_gb(g, D[w]) : mg__mul_ga(g, D[x]);
        }
        return;
    }
    case MG_OP_STEP:
        *gate = 0, *local = 0.0, *term = 0.0;
        return;
    case MG_OP_LEAF:
    case MG_OP_COUNT: break;
    }
    *gate = 0, *local = 0.0, *term = 0.0;
}

mg_status mg_backward_steps(mg_ctx *ctx, mg_value root, mg_backward_step_fn fn, void *user) {
    if (!mg_ok(root)) return MG_STATUS_INVALID;
    uint32_t r = mg__idx(ctx, root);
    if (!mg__scratch(ctx, (size_t)r + 1)) return MG_STATUS_NOMEM;
    mg__grads_fill(ctx, r + 1);
    uint8_t *seen = ctx->scratch;
    double *grad = ctx->grad;
    seen[r] = 1;
    if (!mg__is_leaf(ctx, r)) grad[r] = 1.0;
    else grad[r] += 1.0;
    size_t step = 0;
    for (uint32_t i = r + 1; i-- > 0;) {
        if (!seen[i] || mg__is_leaf(ctx, i)) continue;
        uint32_t pair[2], n;
        const uint32_t *x = mg__operands(ctx, i, pair, &n);
        for (uint32_t k = 0; k < n; k++) /* backward's lazy zeroing, before any term */
            if (!seen[x[k]]) {
                seen[x[k]] = 1;
                if (!mg__is_leaf(ctx, x[k])) grad[x[k]] = 0.0;
            }
        if (mg__op_at(ctx, i) == MG_OP_POWC) n = 1; /* the exponent is a number, not an operand */
        for (uint32_t k = 0; k < n; k++) {
            mg_backward_step s;
            s.step = step++;
            s.value = mg__handle(ctx, i);
            s.operand = mg__handle(ctx, x[k]);
            s.k = k;
            s.grad = grad[i];
            s.before = grad[x[k]];
            local_term(ctx, i, k, grad[i], &s.local, &s.term, &s.added);
            if (s.added) grad[x[k]] += s.term;
            s.after = grad[x[k]];
            if (fn && fn(user, &s)) return MG_STATUS_OK;
        }
    }
    return MG_STATUS_OK;
}
