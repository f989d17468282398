/* ops_impl.h - each op applied to the tape: forward and backward of value i, side by
 * side, in the formulas of ops.h. The op table (optable.c) points at them, and the
 * builders (ops.c) and the backward walk (backward.c) call the common ones directly so
 * the compiler inlines them. Include only from src/engine. */
#ifndef MG_OPS_IMPL_H
#define MG_OPS_IMPL_H

#include "ops.h"

/* Shorthands inside forward/backward: D data, G grad, A/B the first/second operand. */
#define D (ctx->data)
#define G (ctx->grad)
#define A (ctx->a0[i])
#define B (ctx->a1[i])

/* ==== forward and backward, op by op ================================================== */

static inline void leaf_fw(mg_ctx *ctx, uint32_t i) { (void)ctx, (void)i; }
static inline void leaf_bw(mg_ctx *ctx, uint32_t i) { (void)ctx, (void)i; }

static inline void add_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__add_fw(D[A], D[B]); }
static inline void add_bw(mg_ctx *ctx, uint32_t i) { G[A] += mg__add_ga(G[i]); G[B] += mg__add_gb(G[i]); }

static inline void sub_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__sub_fw(D[A], D[B]); }
static inline void sub_bw(mg_ctx *ctx, uint32_t i) { G[A] += mg__sub_ga(G[i]); G[B] += mg__sub_gb(G[i]); }

static inline void mul_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__mul_fw(D[A], D[B]); }
static inline void mul_bw(mg_ctx *ctx, uint32_t i) {
    G[A] += mg__mul_ga(G[i], D[B]);
    G[B] += mg__mul_gb(G[i], D[A]);
}

static inline void div_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__div_fw(D[A], D[B]); }
static inline void div_bw(mg_ctx *ctx, uint32_t i) {
    G[A] += mg__div_ga(G[i], D[B]);
    G[B] += mg__div_gb(G[i], D[B], D[i]);
}

static inline void neg_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__neg_fw(D[A]); }
static inline void neg_bw(mg_ctx *ctx, uint32_t i) { G[A] += mg__neg_ga(G[i]); }

static inline void powc_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__powc_fw(D[A], D[B]); }
static inline void powc_bw(mg_ctx *ctx, uint32_t i) {
    if (mg__powc_gate(D[B])) G[A] += mg__powc_ga(G[i], D[A], D[B]);
}

static inline void pow_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__pow_fw(D[A], D[B]); }
static inline void pow_bw(mg_ctx *ctx, uint32_t i) {
    if (mg__pow_gate_a(D[B])) G[A] += mg__pow_ga(G[i], D[A], D[B]);
    if (mg__pow_gate_b(D[i])) G[B] += mg__pow_gb(G[i], D[A], D[i]);
}

static inline void exp_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__exp_fw(D[A]); }
static inline void exp_bw(mg_ctx *ctx, uint32_t i) { G[A] += mg__exp_ga(G[i], D[i]); }

static inline void log_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__log_fw(D[A]); }
static inline void log_bw(mg_ctx *ctx, uint32_t i) { G[A] += mg__log_ga(G[i], D[A]); }

static inline void tanh_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__tanh_fw(D[A]); }
static inline void tanh_bw(mg_ctx *ctx, uint32_t i) { G[A] += mg__tanh_ga(G[i], D[i]); }

static inline void relu_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__relu_fw(D[A]); }
static inline void relu_bw(mg_ctx *ctx, uint32_t i) {
    if (mg__relu_gate(D[i])) G[A] += mg__relu_ga(G[i]);
}

static inline void sigmoid_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__sigmoid_fw(D[A]); }
static inline void sigmoid_bw(mg_ctx *ctx, uint32_t i) { G[A] += mg__sigmoid_ga(G[i], D[i]); }

static inline void step_fw(mg_ctx *ctx, uint32_t i) { D[i] = mg__step_fw(D[A]); }
static inline void step_bw(mg_ctx *ctx, uint32_t i) { (void)ctx, (void)i; } /* d/da 0 */

/* x1 + ... + xn, left to right from 0: d/dxi = 1 */
static inline void sum_fw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *x = ctx->args + A;
    double s = 0.0;
    for (uint32_t k = 0; k < B; k++) s = mg__add_fw(s, D[x[k]]);
    D[i] = s;
}
static inline void sum_bw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *x = ctx->args + A;
    double g = G[i];
    for (uint32_t k = 0; k < B; k++) G[x[k]] += mg__add_ga(g);
}

/* b + w1*x1 + ... + wn*xn, operands stored as [b] w1 x1 w2 x2 ... (b present when the
 * count is odd): d/db = 1, d/dwi = xi, d/dxi = wi */
static inline void dot_fw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *p = ctx->args + A;
    uint32_t n = B;
    double s = 0.0;
    if (n & 1u) s = D[*p++], n--;
    for (uint32_t k = 0; k < n; k += 2) s = mg__add_fw(s, mg__mul_fw(D[p[k]], D[p[k + 1]]));
    D[i] = s;
}
static inline void dot_bw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *p = ctx->args + A;
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

#endif
