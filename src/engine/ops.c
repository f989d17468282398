/* ops.c - the builders: each appends an op value to the tape and computes its data at
 * once (the op's meaning is in ops.h; its table in optable.c). */
#include "ops_impl.h"


/* ==== builders ========================================================================== */

/* The forward is passed as a constant so that each builder inlines its own. */
typedef void (*forward_fn)(mg_ctx *ctx, uint32_t i);

static inline mg_value mg__unary(mg_ctx *ctx, mg_op op, forward_fn fw, mg_value a) {
    if (!mg_ok(a)) return MG_NULL;
    uint32_t ia = mg__idx(ctx, a);
    uint32_t i = mg__push(ctx, op, MG_ROLE_OP, ia, 0);
    if (i == UINT32_MAX) return MG_NULL;
    fw(ctx, i);
    return mg__result(ctx, i);
}

static inline mg_value mg__binary(mg_ctx *ctx, mg_op op, forward_fn fw, mg_value a, mg_value b) {
    if (!mg_ok(a) || !mg_ok(b)) return MG_NULL;
    uint32_t ia = mg__idx(ctx, a), ib = mg__idx(ctx, b);
    uint32_t i = mg__push(ctx, op, MG_ROLE_OP, ia, ib);
    if (i == UINT32_MAX) return MG_NULL;
    fw(ctx, i);
    return mg__result(ctx, i);
}

mg_value mg_add(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_ADD, add_fw, a, b); }
mg_value mg_sub(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_SUB, sub_fw, a, b); }
mg_value mg_mul(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_MUL, mul_fw, a, b); }
mg_value mg_div(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_DIV, div_fw, a, b); }
mg_value mg_pow(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_POW, pow_fw, a, b); }
mg_value mg_neg(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_NEG, neg_fw, a); }
mg_value mg_exp(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_EXP, exp_fw, a); }
mg_value mg_log(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_LOG, log_fw, a); }
mg_value mg_tanh(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_TANH, tanh_fw, a); }
mg_value mg_relu(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_RELU, relu_fw, a); }
mg_value mg_sigmoid(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_SIGMOID, sigmoid_fw, a); }
mg_value mg_step(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_STEP, step_fw, a); }

mg_value mg__unary_op(mg_ctx *ctx, mg_op op, mg_value a) {
    switch (op) {
    case MG_OP_NEG: return mg_neg(ctx, a);
    case MG_OP_EXP: return mg_exp(ctx, a);
    case MG_OP_LOG: return mg_log(ctx, a);
    case MG_OP_TANH: return mg_tanh(ctx, a);
    case MG_OP_RELU: return mg_relu(ctx, a);
    case MG_OP_SIGMOID: return mg_sigmoid(ctx, a);
    case MG_OP_STEP: return mg_step(ctx, a);
    default: MG_ASSERT(0, "not a unary op");
    }
}

mg_value mg_powf(mg_ctx *ctx, mg_value a, double k) {
    if (!mg_ok(a)) return MG_NULL;
    return mg__binary(ctx, MG_OP_POWC, powc_fw, a, mg_const(ctx, k));
}

mg_value mg_addf(mg_ctx *ctx, mg_value a, double k) {
    return mg_ok(a) ? mg_add(ctx, a, mg_const(ctx, k)) : MG_NULL;
}
mg_value mg_subf(mg_ctx *ctx, mg_value a, double k) {
    return mg_ok(a) ? mg_sub(ctx, a, mg_const(ctx, k)) : MG_NULL;
}
mg_value mg_rsubf(mg_ctx *ctx, double k, mg_value a) {
    return mg_ok(a) ? mg_sub(ctx, mg_const(ctx, k), a) : MG_NULL;
}
mg_value mg_mulf(mg_ctx *ctx, mg_value a, double k) {
    return mg_ok(a) ? mg_mul(ctx, a, mg_const(ctx, k)) : MG_NULL;
}
mg_value mg_divf(mg_ctx *ctx, mg_value a, double k) {
    return mg_ok(a) ? mg_div(ctx, a, mg_const(ctx, k)) : MG_NULL;
}
mg_value mg_rdivf(mg_ctx *ctx, double k, mg_value a) {
    return mg_ok(a) ? mg_div(ctx, mg_const(ctx, k), a) : MG_NULL;
}

mg_value mg_sum(mg_ctx *ctx, size_t n, const mg_value *x) {
    MG_ASSERT(n >= 1, "mg_sum of no values");
    for (size_t k = 0; k < n; k++)
        if (!mg_ok(x[k])) return MG_NULL;
    uint32_t off = mg__push_args(ctx, n);
    if (off == UINT32_MAX) return MG_NULL;
    for (size_t k = 0; k < n; k++) ctx->args[off + k] = mg__idx(ctx, x[k]);
    uint32_t i = mg__push(ctx, MG_OP_SUM, MG_ROLE_OP, off, (uint32_t)n);
    if (i == UINT32_MAX) return MG_NULL;
    sum_fw(ctx, i);
    return mg__result(ctx, i);
}

mg_value mg_dot(mg_ctx *ctx, mg_value b, size_t n, const mg_value *w, const mg_value *x) {
    int has_b = mg_ok(b);
    if (n > (UINT32_MAX - 2) / 2) {
        mg__ctx_fail(ctx, MG_STATUS_INVALID, "mg_dot of %zu terms is too long", n);
        return MG_NULL;
    }
    for (size_t k = 0; k < n; k++)
        if (!mg_ok(w[k]) || !mg_ok(x[k])) return MG_NULL;
    size_t nin = 2 * n + (size_t)has_b;
    uint32_t off = mg__push_args(ctx, nin);
    if (off == UINT32_MAX) return MG_NULL;
    uint32_t *p = ctx->args + off;
    if (has_b) *p++ = mg__idx(ctx, b);
    for (size_t k = 0; k < n; k++) {
        *p++ = mg__idx(ctx, w[k]);
        *p++ = mg__idx(ctx, x[k]);
    }
    uint32_t i = mg__push(ctx, MG_OP_DOT, MG_ROLE_OP, off, (uint32_t)nin);
    if (i == UINT32_MAX) return MG_NULL;
    dot_fw(ctx, i);
    return mg__result(ctx, i);
}
