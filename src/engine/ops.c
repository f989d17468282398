/* ops.c - the operations: one table with each op's forward, backward, name and symbol side
 * by side, and the builders that append op values to the tape. */
#include "core/mg_internal.h"

#include <math.h>

#include "ops_impl.h"


const mg__opdef mg__ops[MG_OP_COUNT] = {
    [MG_OP_LEAF] = {"leaf", "", 0, leaf_fw, leaf_bw},
    [MG_OP_ADD] = {"add", "+", 2, add_fw, add_bw},
    [MG_OP_SUB] = {"sub", "-", 2, sub_fw, sub_bw},
    [MG_OP_MUL] = {"mul", "*", 2, mul_fw, mul_bw},
    [MG_OP_DIV] = {"div", "/", 2, div_fw, div_bw},
    [MG_OP_NEG] = {"neg", "neg", 1, neg_fw, neg_bw},
    [MG_OP_POWC] = {"powc", "**", 2, powc_fw, powc_bw},
    [MG_OP_POW] = {"pow", "**", 2, pow_fw, pow_bw},
    [MG_OP_EXP] = {"exp", "exp", 1, exp_fw, exp_bw},
    [MG_OP_LOG] = {"log", "log", 1, log_fw, log_bw},
    [MG_OP_TANH] = {"tanh", "tanh", 1, tanh_fw, tanh_bw},
    [MG_OP_RELU] = {"relu", "ReLU", 1, relu_fw, relu_bw},
    [MG_OP_SIGMOID] = {"sigmoid", "sigmoid", 1, sigmoid_fw, sigmoid_bw},
    [MG_OP_SUM] = {"sum", "sum", -1, sum_fw, sum_bw},
    [MG_OP_DOT] = {"dot", "dot", -1, dot_fw, dot_bw},
};

const char *mg_op_name(mg_op op) { return (unsigned)op < MG_OP_COUNT ? mg__ops[op].name : "?"; }
const char *mg_op_symbol(mg_op op) { return (unsigned)op < MG_OP_COUNT ? mg__ops[op].symbol : "?"; }

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

/* ==== walking the graph ================================================================= */

mg_op mg_op_of(const mg_ctx *ctx, mg_value v) { return (mg_op)ctx->op[mg__idx(ctx, v)]; }

size_t mg_noperands(const mg_ctx *ctx, mg_value v) {
    uint32_t i = mg__idx(ctx, v);
    int arity = mg__ops[ctx->op[i]].arity;
    return arity >= 0 ? (size_t)arity : ctx->a1[i];
}

mg_value mg_operand(const mg_ctx *ctx, mg_value v, size_t k) {
    uint32_t i = mg__idx(ctx, v);
    int arity = mg__ops[ctx->op[i]].arity;
    size_t nin = arity >= 0 ? (size_t)arity : ctx->a1[i];
    MG_ASSERT(k < nin, "input number out of range");
    uint32_t j = arity < 0 ? ctx->args[ctx->a0[i] + k] : (k == 0 ? ctx->a0[i] : ctx->a1[i]);
    return mg__handle(ctx, j);
}

int mg_dot_has_bias(const mg_ctx *ctx, mg_value v) {
    uint32_t i = mg__idx(ctx, v);
    return ctx->op[i] == MG_OP_DOT && (ctx->a1[i] & 1u);
}
