/* backward.c - reverse-mode differentiation over the tape, and forward recomputation.
 *
 * Backward is the textbook loop, run once in reverse creation order (a topological
 * order, since an op's operands exist before it):
 *
 *     grad[root] = 1
 *     for i = root down to 0, if root depends on i: mg__ops[op[i]].backward(ctx, i)
 *
 * What is added to it below: "if root depends on i" costs nothing in the common case. Each
 * value's word says whether some later value took it as an operand (MG__USED, set by
 * the builders). When root is the last value, every value below used_from is a leaf, and
 * every value from there to root is used, every op value there reaches root (follow its
 * consumers: their indices grow, and none is past root), so the walk needs no marks:
 * the interior grads are zeroed in one pass and every value from root down is walked.
 * Otherwise the walk marks what root reaches as it goes, and zeroes an interior grad
 * when its first consumer (the last on the tape) reaches it (and stores the 0 of an op
 * value it passes unreached whose grad was not stored yet). Both add the same terms in
 * the same order, so they leave the same grads, bit for bit. The ops are inlined instead
 * of called through the table, reading the tape through a view loaded once (mg__tape). */
#include "graph.h"
#include "ops_impl.h"

#include <math.h>
#include <stdio.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

/* ==== backward ========================================================================== */

/* Zeroes the grads of the op values in [lo, hi); returns nonzero when every value there
 * is used (leaves count as used). Leaves are rare there, so with SSE2 (AVX2) a block of
 * 4 (8) values without one is zeroed whole. */
static uint32_t zero_and_check(const uint32_t *restrict meta, double *restrict grad, uint32_t lo,
                               uint32_t hi) {
    uint32_t used = MG__USED, i = lo;
#if defined(__AVX2__)
    const __m256i opmask = _mm256_set1_epi32(MG__OP_MASK), zero = _mm256_setzero_si256();
    __m256i acc = _mm256_set1_epi32(-1);
    for (; hi - i >= 8; i += 8) {
        __m256i w = _mm256_loadu_si256((const __m256i *)(const void *)(meta + i));
        acc = _mm256_and_si256(acc, w);
        __m256i leaf = _mm256_cmpeq_epi32(_mm256_and_si256(w, opmask), zero);
        if (_mm256_testz_si256(leaf, leaf)) {
            _mm256_storeu_pd(grad + i, _mm256_setzero_pd());
            _mm256_storeu_pd(grad + i + 4, _mm256_setzero_pd());
        } else {
            for (uint32_t k = i; k < i + 8; k++)
                if (meta[k] & MG__OP_MASK) grad[k] = 0.0;
        }
    }
    __m128i acc4 = _mm_and_si128(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    acc4 = _mm_and_si128(acc4, _mm_shuffle_epi32(acc4, 0x4e));
    acc4 = _mm_and_si128(acc4, _mm_shuffle_epi32(acc4, 0xb1));
    used &= (uint32_t)_mm_cvtsi128_si32(acc4);
#elif defined(__SSE2__)
    const __m128i opmask = _mm_set1_epi32(MG__OP_MASK), zero = _mm_setzero_si128();
    __m128i acc = _mm_set1_epi32(-1);
    for (; hi - i >= 4; i += 4) {
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(meta + i));
        acc = _mm_and_si128(acc, w);
        __m128i leaf = _mm_cmpeq_epi32(_mm_and_si128(w, opmask), zero);
        if (_mm_movemask_epi8(leaf) == 0) {
            _mm_storeu_pd(grad + i, _mm_setzero_pd());
            _mm_storeu_pd(grad + i + 2, _mm_setzero_pd());
        } else {
            for (uint32_t k = i; k < i + 4; k++)
                if (meta[k] & MG__OP_MASK) grad[k] = 0.0;
        }
    }
    acc = _mm_and_si128(acc, _mm_shuffle_epi32(acc, 0x4e));
    acc = _mm_and_si128(acc, _mm_shuffle_epi32(acc, 0xb1));
    used &= (uint32_t)_mm_cvtsi128_si32(acc);
#endif
    for (; i < hi; i++) {
        uint32_t w = meta[i];
        used &= w;
        if (w & MG__OP_MASK) grad[i] = 0.0;
    }
    return used;
}

static uint32_t all_used(const uint32_t *restrict meta, uint32_t lo, uint32_t hi) {
    uint32_t used = MG__USED;
    for (uint32_t i = lo; i < hi; i++) used &= meta[i];
    return used;
}

/* 1 when root r (an op value) reaches every op value on the tape, as above; then the op
 * grads below r are zeroed. 0 otherwise, with no grad changed (grads that read as 0
 * may have been stored as 0). */
static int reaches_all(mg_ctx *ctx, uint32_t r) {
    if (r + 1 != ctx->n) return 0;
    const uint32_t *meta = ctx->meta;
    uint32_t lo = ctx->used_from, k = ctx->leaves_upto;
    while (k < lo && (meta[k] & MG__OP_MASK) == MG_OP_LEAF) k++;
    ctx->leaves_upto = k;
    if (k < lo) return 0;
    if (ctx->grad_from <= lo) {
        /* Nothing stored from lo on: zero and check in one pass. */
        uint32_t used = zero_and_check(meta, ctx->grad, lo, r);
        ctx->grad_from = r;
        return used != 0;
    }
    if (!all_used(meta, lo, r)) return 0;
    zero_and_check(meta, ctx->grad, lo, r);
    if (ctx->grad_from < r) ctx->grad_from = r;
    return 1;
}

/* The walk when root reaches every op value from lo (= used_from) up: no marks. */
static void backward_all(mg_ctx *ctx, uint32_t r, double upstream) {
    const uint32_t *meta = ctx->meta;
    const mg__tape t = mg__tape_of(ctx);
    uint32_t lo = ctx->used_from;
    t.G[r] = upstream;
    for (uint32_t i = r + 1; i-- > lo;) {
        switch ((mg_op)(meta[i] & MG__OP_MASK)) {
        case MG_OP_LEAF: break;
        case MG_OP_ADD: add_bwt(t, i); break;
        case MG_OP_SUB: sub_bwt(t, i); break;
        case MG_OP_MUL: mul_bwt(t, i); break;
        case MG_OP_DIV: div_bwt(t, i); break;
        case MG_OP_NEG: neg_bwt(t, i); break;
        case MG_OP_POWC: powc_bwt(t, i); break;
        case MG_OP_POW: pow_bwt(t, i); break;
        case MG_OP_EXP: exp_bwt(t, i); break;
        case MG_OP_LOG: log_bwt(t, i); break;
        case MG_OP_TANH: tanh_bwt(t, i); break;
        case MG_OP_RELU: relu_bwt(t, i); break;
        case MG_OP_SIGMOID: sigmoid_bwt(t, i); break;
        case MG_OP_SUM: sum_bwt(t, i); break;
        case MG_OP_DOT: dot_bwt(t, i); break;
        case MG_OP_STEP: break;
        default: MG__UNREACHABLE(); /* words hold an op < MG_OP_COUNT */
        }
    }
    ctx->grad_from = r + 1;
}

void mg_backward_from(mg_ctx *ctx, mg_value root, double upstream) {
    if (!mg_ok(root)) return;
    uint32_t r = mg__idx(ctx, root);
    if (mg__is_leaf(ctx, r)) {
        ctx->grad[r] += upstream;
        return;
    }
    if (!ctx->check_numerics && reaches_all(ctx, r)) {
        backward_all(ctx, r, upstream);
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
