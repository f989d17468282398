/* graph.h - walking a value's operands: the one place that knows how the tape stores
 * them (unary ops in a0, binary in a0 and a1, n-ary ops in args[a0 .. a0 + a1)). Every
 * walk over the graph (backward, forward recomputation, the compiler, pictures,
 * formulas) goes through these. */
#ifndef MG_ENGINE_GRAPH_H
#define MG_ENGINE_GRAPH_H

#include "ops.h"

/* The operands of value i, in order: n-ary ops' point into the args pool, the others'
 * into pair; *n gets their count (0 for a leaf). A powc's second operand is its
 * constant exponent. */
static inline const uint32_t *mg__operands(const mg_ctx *ctx, uint32_t i, uint32_t pair[2],
                                           uint32_t *n) {
    int arity = mg__ops[mg__op_at(ctx, i)].arity;
    if (arity < 0) {
        *n = ctx->a1[i];
        return ctx->args + ctx->a0[i];
    }
    pair[0] = ctx->a0[i];
    pair[1] = ctx->a1[i];
    *n = (uint32_t)arity;
    return pair;
}

/* The operands that take part in the computation as values: all but a powc's exponent,
 * which is a number fixed when the op was made (it gets no gradient, and pictures and
 * formulas print it inside its op). */
static inline const uint32_t *mg__live_operands(const mg_ctx *ctx, uint32_t i,
                                                uint32_t pair[2], uint32_t *n) {
    const uint32_t *p = mg__operands(ctx, i, pair, n);
    if (mg__op_at(ctx, i) == MG_OP_POWC) *n = 1;
    return p;
}

/* Marks seen[j] = 1 (seen zeroed by the caller, root + 1 entries) for every value root
 * depends on through live operands, root included; returns how many. */
static inline size_t mg__reach(const mg_ctx *ctx, uint32_t root, uint8_t *seen) {
    size_t count = 0;
    seen[root] = 1;
    for (uint32_t i = root + 1; i-- > 0;) {
        if (!seen[i]) continue;
        count++;
        uint32_t pair[2], n;
        const uint32_t *x = mg__live_operands(ctx, i, pair, &n);
        for (uint32_t k = 0; k < n; k++) seen[x[k]] = 1;
    }
    return count;
}

/* mg__reach into ctx->scratch (grown and zeroed). 0 when out of memory (recorded on ctx). */
int mg__mark_reachable(mg_ctx *ctx, uint32_t root);

#endif
