/* ops.c - the operations: one table with each op's forward, backward, name and symbol side
 * by side, and the builders that append op values to the tape. */
#include "mg_internal.h"

#include <math.h>

/* Shorthands inside forward/backward: D data, G grad, A/B the first/second input. */
#define D (ctx->data)
#define G (ctx->grad)
#define A (ctx->a0[i])
#define B (ctx->a1[i])

/* ==== forward and backward, op by op ================================================== */

static void leaf_fw(mg_ctx *ctx, uint32_t i) { (void)ctx, (void)i; }
static void leaf_bw(mg_ctx *ctx, uint32_t i) { (void)ctx, (void)i; }

/* a + b: d/da = 1, d/db = 1 */
static void add_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] + D[B]; }
static void add_bw(mg_ctx *ctx, uint32_t i) { G[A] += G[i]; G[B] += G[i]; }

/* a - b: d/da = 1, d/db = -1 */
static void sub_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] - D[B]; }
static void sub_bw(mg_ctx *ctx, uint32_t i) { G[A] += G[i]; G[B] -= G[i]; }

/* a * b: d/da = b, d/db = a */
static void mul_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] * D[B]; }
static void mul_bw(mg_ctx *ctx, uint32_t i) { G[A] += D[B] * G[i]; G[B] += D[A] * G[i]; }

/* a / b: d/da = 1/b, d/db = -a/b^2 = -out/b */
static void div_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] / D[B]; }
static void div_bw(mg_ctx *ctx, uint32_t i) {
    G[A] += G[i] / D[B];
    G[B] -= G[i] * D[i] / D[B];
}

/* -a: d/da = -1 */
static void neg_fw(mg_ctx *ctx, uint32_t i) { D[i] = -D[A]; }
static void neg_bw(mg_ctx *ctx, uint32_t i) { G[A] -= G[i]; }

/* a ** k, k constant: d/da = k * a^(k-1); k = 0 gives 0 even at a = 0 */
static void powc_fw(mg_ctx *ctx, uint32_t i) { D[i] = pow(D[A], D[B]); }
static void powc_bw(mg_ctx *ctx, uint32_t i) {
    double k = D[B];
    if (k != 0.0) G[A] += k * pow(D[A], k - 1.0) * G[i];
}

/* a ** b: d/da = b * a^(b-1), d/db = a^b * ln a (taken as 0 where a^b = 0, as PyTorch) */
static void pow_fw(mg_ctx *ctx, uint32_t i) { D[i] = pow(D[A], D[B]); }
static void pow_bw(mg_ctx *ctx, uint32_t i) {
    double a = D[A], b = D[B];
    if (b != 0.0) G[A] += b * pow(a, b - 1.0) * G[i];
    if (D[i] != 0.0) G[B] += D[i] * log(a) * G[i];
}

/* e^a: d/da = e^a */
static void exp_fw(mg_ctx *ctx, uint32_t i) { D[i] = exp(D[A]); }
static void exp_bw(mg_ctx *ctx, uint32_t i) { G[A] += D[i] * G[i]; }

/* ln a: d/da = 1/a */
static void log_fw(mg_ctx *ctx, uint32_t i) { D[i] = log(D[A]); }
static void log_bw(mg_ctx *ctx, uint32_t i) { G[A] += G[i] / D[A]; }

/* tanh a: d/da = 1 - tanh^2 a (libm's tanh saturates to +-1, so tanh(1000) has grad 0) */
static void tanh_fw(mg_ctx *ctx, uint32_t i) { D[i] = tanh(D[A]); }
static void tanh_bw(mg_ctx *ctx, uint32_t i) { G[A] += (1.0 - D[i] * D[i]) * G[i]; }

/* max(0, a): d/da = [a > 0]; NaN stays NaN */
static void relu_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] < 0.0 ? 0.0 : D[A]; }
static void relu_bw(mg_ctx *ctx, uint32_t i) { if (D[i] > 0.0) G[A] += G[i]; }

/* 1 / (1 + e^-a), in the form that does not overflow: d/da = s (1 - s) */
static void sigmoid_fw(mg_ctx *ctx, uint32_t i) {
    double x = D[A];
    if (x >= 0.0) {
        D[i] = 1.0 / (1.0 + exp(-x));
    } else {
        double e = exp(x);
        D[i] = e / (1.0 + e);
    }
}
static void sigmoid_bw(mg_ctx *ctx, uint32_t i) { G[A] += D[i] * (1.0 - D[i]) * G[i]; }

/* x1 + ... + xn, left to right from 0: d/dxi = 1 */
static void sum_fw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *x = ctx->args + A;
    double s = 0.0;
    for (uint32_t k = 0; k < B; k++) s += D[x[k]];
    D[i] = s;
}
static void sum_bw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *x = ctx->args + A;
    double g = G[i];
    for (uint32_t k = 0; k < B; k++) G[x[k]] += g;
}

/* b + w1*x1 + ... + wn*xn, inputs stored as [b] w1 x1 w2 x2 ... (b present when the
 * count is odd): d/db = 1, d/dwi = xi, d/dxi = wi */
static void dot_fw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *p = ctx->args + A;
    uint32_t n = B;
    double s = 0.0;
    if (n & 1u) s = D[*p++], n--;
    for (uint32_t k = 0; k < n; k += 2) s += D[p[k]] * D[p[k + 1]];
    D[i] = s;
}
static void dot_bw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *p = ctx->args + A;
    uint32_t n = B;
    double g = G[i];
    if (n & 1u) G[*p++] += g, n--;
    for (uint32_t k = 0; k < n; k += 2) {
        uint32_t w = p[k], x = p[k + 1];
        G[w] += D[x] * g;
        G[x] += D[w] * g;
    }
}

#undef D
#undef G
#undef A
#undef B

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

static mg_value mg__unary(mg_ctx *ctx, mg_op op, mg_value a) {
    if (!mg_ok(a)) return MG_NULL;
    uint32_t ia = mg__idx(ctx, a);
    uint32_t i = mg__push(ctx, op, MG_ROLE_OP, ia, 0);
    if (i == UINT32_MAX) return MG_NULL;
    mg__ops[op].forward(ctx, i);
    return mg__handle(ctx, i);
}

static mg_value mg__binary(mg_ctx *ctx, mg_op op, mg_value a, mg_value b) {
    if (!mg_ok(a) || !mg_ok(b)) return MG_NULL;
    uint32_t ia = mg__idx(ctx, a), ib = mg__idx(ctx, b);
    uint32_t i = mg__push(ctx, op, MG_ROLE_OP, ia, ib);
    if (i == UINT32_MAX) return MG_NULL;
    mg__ops[op].forward(ctx, i);
    return mg__handle(ctx, i);
}

mg_value mg_add(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_ADD, a, b); }
mg_value mg_sub(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_SUB, a, b); }
mg_value mg_mul(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_MUL, a, b); }
mg_value mg_div(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_DIV, a, b); }
mg_value mg_pow(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_POW, a, b); }
mg_value mg_neg(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_NEG, a); }
mg_value mg_exp(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_EXP, a); }
mg_value mg_log(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_LOG, a); }
mg_value mg_tanh(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_TANH, a); }
mg_value mg_relu(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_RELU, a); }
mg_value mg_sigmoid(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_SIGMOID, a); }

mg_value mg_powf(mg_ctx *ctx, mg_value a, double k) {
    if (!mg_ok(a)) return MG_NULL;
    return mg__binary(ctx, MG_OP_POWC, a, mg_const(ctx, k));
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
    mg__ops[MG_OP_SUM].forward(ctx, i);
    return mg__handle(ctx, i);
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
    mg__ops[MG_OP_DOT].forward(ctx, i);
    return mg__handle(ctx, i);
}

/* ==== walking the graph ================================================================= */

mg_op mg_op_of(const mg_ctx *ctx, mg_value v) { return (mg_op)ctx->op[mg__idx(ctx, v)]; }

size_t mg_nin(const mg_ctx *ctx, mg_value v) {
    uint32_t i = mg__idx(ctx, v);
    int arity = mg__ops[ctx->op[i]].arity;
    return arity >= 0 ? (size_t)arity : ctx->a1[i];
}

mg_value mg_input_of(const mg_ctx *ctx, mg_value v, size_t k) {
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
