/* ops_impl.h - each op applied to the tape: forward and backward of value i, op by op,
 * in the formulas of ops.h. The op table (optable.c) points at them, and the
 * builders (ops.c) and the backward walk (backward.c) call the common ones directly so
 * the compiler inlines them. Include only from src/engine. */
#ifndef MG_OPS_IMPL_H
#define MG_OPS_IMPL_H

#include "ops.h"

/* ==== forward, op by op ================================================================= */

/* Shorthands: D data, G grad, A/B the first/second operand of value i (n-ary ops: the
 * offset and count of its operands in args). Forwards read the tape through ctx. */
#define D (ctx->data)
#define A (ctx->a0[i])
#define B (ctx->a1[i])

static inline void leaf_fw(mg_ctx *ctx, uint32_t i) { (void)ctx, (void)i; }
static inline void add_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__add_fw(D[A], D[B]); }
static inline void sub_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__sub_fw(D[A], D[B]); }
static inline void mul_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__mul_fw(D[A], D[B]); }
static inline void div_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__div_fw(D[A], D[B]); }
static inline void neg_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__neg_fw(D[A]); }
static inline void powc_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__powc_fw(D[A], D[B]); }
static inline void pow_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__pow_fw(D[A], D[B]); }
static inline void exp_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__exp_fw(D[A]); }
static inline void log_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__log_fw(D[A]); }
static inline void tanh_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__tanh_fw(D[A]); }
static inline void relu_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__relu_fw(D[A]); }
static inline void sigmoid_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__sigmoid_fw(D[A]); }
static inline void step_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__step_fw(D[A]); }

/* x1 + ... + xn, left to right from 0 */
static inline void sum_fw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *x = ctx->args + A;
    double s = 0.0;
    for (uint32_t k = 0; k < B; k++) s = mg__add_fw(s, D[x[k]]);
    D[i] = s;
}

/* b + w1*x1 + ... + wn*xn, operands stored as [b] w1 x1 w2 x2 ... (b present when the
 * count is odd), left to right from b */
static inline void dot_fw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *p = ctx->args + A;
    uint32_t n = B;
    double s = 0.0;
    if (n & 1u) s = D[*p++], n--;
    for (uint32_t k = 0; k < n; k += 2) s = mg__add_fw(s, mg__mul_fw(D[p[k]], D[p[k + 1]]));
    D[i] = s;
}

#undef D
#undef A
#undef B

/* ==== backward, op by op ================================================================ */

/* Backwards read the tape through a view of its arrays, taken once by a walk (the arrays
 * do not move during one), so that the walk loads each pointer once, not once a value.
 * Value i's grad g is complete when its backward runs, and no operand is i itself. */
typedef struct mg__tape {
    const double *D;
    double *G;
    const uint32_t *A0, *A1, *args;
} mg__tape;

static inline mg__tape mg__tape_of(mg_ctx *ctx) {
    mg__tape t = {ctx->data, ctx->grad, ctx->a0, ctx->a1, ctx->args};
    return t;
}

#define D (t.D)
#define G (t.G)
#define A (t.A0[i])
#define B (t.A1[i])

static inline void leaf_bwt(mg__tape t, uint32_t i) { (void)t, (void)i; }

static inline void add_bwt(mg__tape t, uint32_t i) {
    double g = G[i];
    G[A] += mg__add_ga(g);
    G[B] += mg__add_gb(g);
}

static inline void sub_bwt(mg__tape t, uint32_t i) {
    double g = G[i];
    G[A] += mg__sub_ga(g);
    G[B] += mg__sub_gb(g);
}

static inline void mul_bwt(mg__tape t, uint32_t i) {
    double g = G[i];
    G[A] += mg__mul_ga(g, D[B]);
    G[B] += mg__mul_gb(g, D[A]);
}

static inline void div_bwt(mg__tape t, uint32_t i) {
    double g = G[i];
    G[A] += mg__div_ga(g, D[B]);
    G[B] += mg__div_gb(g, D[B], D[i]);
}

static inline void neg_bwt(mg__tape t, uint32_t i) { G[A] += mg__neg_ga(G[i]); }

static inline void powc_bwt(mg__tape t, uint32_t i) {
    if (mg__powc_gate(D[B])) G[A] += mg__powc_ga(G[i], D[A], D[B]);
}

static inline void pow_bwt(mg__tape t, uint32_t i) {
    double g = G[i];
    if (mg__pow_gate_a(D[B])) G[A] += mg__pow_ga(g, D[A], D[B]);
    if (mg__pow_gate_b(D[i])) G[B] += mg__pow_gb(g, D[A], D[i]);
}

static inline void exp_bwt(mg__tape t, uint32_t i) { G[A] += mg__exp_ga(G[i], D[i]); }
static inline void log_bwt(mg__tape t, uint32_t i) { G[A] += mg__log_ga(G[i], D[A]); }
static inline void tanh_bwt(mg__tape t, uint32_t i) { G[A] += mg__tanh_ga(G[i], D[i]); }

static inline void relu_bwt(mg__tape t, uint32_t i) {
    if (mg__relu_gate(D[i])) G[A] += mg__relu_ga(G[i]);
}

static inline void sigmoid_bwt(mg__tape t, uint32_t i) { G[A] += mg__sigmoid_ga(G[i], D[i]); }
static inline void step_bwt(mg__tape t, uint32_t i) { (void)t, (void)i; } /* d/da 0 */

/* d/dxi = 1 */
static inline void sum_bwt(mg__tape t, uint32_t i) {
    const uint32_t *x = t.args + A;
    uint32_t n = B;
    double g = G[i];
    for (uint32_t k = 0; k < n; k++) G[x[k]] += mg__add_ga(g);
}

/* d/db = 1, d/dwi = xi, d/dxi = wi */
static inline void dot_bwt(mg__tape t, uint32_t i) {
    const uint32_t *p = t.args + A;
    uint32_t n = B;
    double g = G[i];
    if (n & 1u) G[*p++] += mg__add_ga(g), n--;
    for (uint32_t k = 0; k < n; k += 2) {
        uint32_t w = p[k], x = p[k + 1];
        G[w] += mg__mul_ga(g, D[x]);
        G[x] += mg__mul_gb(g, D[w]);
    }
}

#undef D
#undef G
#undef A
#undef B

/* The table's form of each backward: value i's, through ctx. */
#define MG__BW_OF_CTX(name)                                                                 \
    static inline void name##_bw(mg_ctx *ctx, uint32_t i) { name##_bwt(mg__tape_of(ctx), i); }
MG__BW_OF_CTX(leaf)
MG__BW_OF_CTX(add)
MG__BW_OF_CTX(sub)
MG__BW_OF_CTX(mul)
MG__BW_OF_CTX(div)
MG__BW_OF_CTX(neg)
MG__BW_OF_CTX(powc)
MG__BW_OF_CTX(pow)
MG__BW_OF_CTX(exp)
MG__BW_OF_CTX(log)
MG__BW_OF_CTX(tanh)
MG__BW_OF_CTX(relu)
MG__BW_OF_CTX(sigmoid)
MG__BW_OF_CTX(step)
MG__BW_OF_CTX(sum)
MG__BW_OF_CTX(dot)
#undef MG__BW_OF_CTX

#endif
