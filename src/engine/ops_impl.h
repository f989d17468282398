/* ops_impl.h - each op's forward and backward, side by side: the op table (ops.c) points
 * at them, and the builders and the backward walk call the common ones directly so the
 * compiler inlines them. Include only from src/. */
#ifndef MG_OPS_IMPL_H
#define MG_OPS_IMPL_H

#include "core/mg_internal.h"

#include <math.h>

/* Shorthands inside forward/backward: D data, G grad, A/B the first/second input. */
#define D (ctx->data)
#define G (ctx->grad)
#define A (ctx->a0[i])
#define B (ctx->a1[i])

/* ==== forward and backward, op by op ================================================== */

static inline void leaf_fw(mg_ctx *ctx, uint32_t i) { (void)ctx, (void)i; }
static inline void leaf_bw(mg_ctx *ctx, uint32_t i) { (void)ctx, (void)i; }

/* a + b: d/da = 1, d/db = 1 */
static inline void add_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] + D[B]; }
static inline void add_bw(mg_ctx *ctx, uint32_t i) { G[A] += G[i]; G[B] += G[i]; }

/* a - b: d/da = 1, d/db = -1 */
static inline void sub_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] - D[B]; }
static inline void sub_bw(mg_ctx *ctx, uint32_t i) { G[A] += G[i]; G[B] -= G[i]; }

/* a * b: d/da = b, d/db = a */
static inline void mul_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] * D[B]; }
static inline void mul_bw(mg_ctx *ctx, uint32_t i) { G[A] += D[B] * G[i]; G[B] += D[A] * G[i]; }

/* a / b: d/da = 1/b, d/db = -a/b^2 = -out/b */
static inline void div_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] / D[B]; }
static inline void div_bw(mg_ctx *ctx, uint32_t i) {
    G[A] += G[i] / D[B];
    G[B] -= G[i] * D[i] / D[B];
}

/* -a: d/da = -1 */
static inline void neg_fw(mg_ctx *ctx, uint32_t i) { D[i] = -D[A]; }
static inline void neg_bw(mg_ctx *ctx, uint32_t i) { G[A] -= G[i]; }

/* a ** k, k constant: d/da = k * a^(k-1); k = 0 gives 0 even at a = 0 */
static inline void powc_fw(mg_ctx *ctx, uint32_t i) { D[i] = pow(D[A], D[B]); }
static inline void powc_bw(mg_ctx *ctx, uint32_t i) {
    double k = D[B];
    if (k != 0.0) G[A] += k * pow(D[A], k - 1.0) * G[i];
}

/* a ** b: d/da = b * a^(b-1), d/db = a^b * ln a (taken as 0 where a^b = 0, as PyTorch) */
static inline void pow_fw(mg_ctx *ctx, uint32_t i) { D[i] = pow(D[A], D[B]); }
static inline void pow_bw(mg_ctx *ctx, uint32_t i) {
    double a = D[A], b = D[B];
    if (b != 0.0) G[A] += b * pow(a, b - 1.0) * G[i];
    if (D[i] != 0.0) G[B] += D[i] * log(a) * G[i];
}

/* e^a: d/da = e^a */
static inline void exp_fw(mg_ctx *ctx, uint32_t i) { D[i] = exp(D[A]); }
static inline void exp_bw(mg_ctx *ctx, uint32_t i) { G[A] += D[i] * G[i]; }

/* ln a: d/da = 1/a */
static inline void log_fw(mg_ctx *ctx, uint32_t i) { D[i] = log(D[A]); }
static inline void log_bw(mg_ctx *ctx, uint32_t i) { G[A] += G[i] / D[A]; }

/* tanh a: d/da = 1 - tanh^2 a (libm's tanh saturates to +-1, so tanh(1000) has grad 0) */
static inline void tanh_fw(mg_ctx *ctx, uint32_t i) { D[i] = tanh(D[A]); }
static inline void tanh_bw(mg_ctx *ctx, uint32_t i) { G[A] += (1.0 - D[i] * D[i]) * G[i]; }

/* max(0, a): d/da = [a > 0]; NaN stays NaN */
static inline void relu_fw(mg_ctx *ctx, uint32_t i) { D[i] = D[A] < 0.0 ? 0.0 : D[A]; }
static inline void relu_bw(mg_ctx *ctx, uint32_t i) { if (D[i] > 0.0) G[A] += G[i]; }

/* 1 / (1 + e^-a), in the form that does not overflow: d/da = s (1 - s) */
static inline void sigmoid_fw(mg_ctx *ctx, uint32_t i) {
    double x = D[A];
    if (x >= 0.0) {
        D[i] = 1.0 / (1.0 + exp(-x));
    } else {
        double e = exp(x);
        D[i] = e / (1.0 + e);
    }
}
static inline void sigmoid_bw(mg_ctx *ctx, uint32_t i) { G[A] += D[i] * (1.0 - D[i]) * G[i]; }

/* x1 + ... + xn, left to right from 0: d/dxi = 1 */
static inline void sum_fw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *x = ctx->args + A;
    double s = 0.0;
    for (uint32_t k = 0; k < B; k++) s += D[x[k]];
    D[i] = s;
}
static inline void sum_bw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *x = ctx->args + A;
    double g = G[i];
    for (uint32_t k = 0; k < B; k++) G[x[k]] += g;
}

/* b + w1*x1 + ... + wn*xn, inputs stored as [b] w1 x1 w2 x2 ... (b present when the
 * count is odd): d/db = 1, d/dwi = xi, d/dxi = wi */
static inline void dot_fw(mg_ctx *ctx, uint32_t i) {
    const uint32_t *p = ctx->args + A;
    uint32_t n = B;
    double s = 0.0;
    if (n & 1u) s = D[*p++], n--;
    for (uint32_t k = 0; k < n; k += 2) s += D[p[k]] * D[p[k + 1]];
    D[i] = s;
}
static inline void dot_bw(mg_ctx *ctx, uint32_t i) {
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

#endif
