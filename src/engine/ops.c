/* ops.c - the builders: each appends an op value to the tape and computes its data at
 * once (the op's meaning is in ops.h; its table in optable.c). */
#include "ops_impl.h"


/* ==== builders ==========================================================================
 *
 * Each checks its operands' handles (mg__alive: one compare for a value made since the
 * last reset), computes the result from the operands' data as loaded, appends the value
 * and marks its operands used. Anything unusual (MG_NULL, a bad handle, a full tape or
 * argument pool) goes the slow way, which does what the fast one would have, in the
 * same order of checks. */

/* The slow way of a unary or binary op (b is MG_NULL for a unary one): MG_NULL for an
 * MG_NULL operand, the assertion naming a bad handle (checked in operand order), the tape
 * grown when full, the value checked when numerics are. The forward is mg__op_forward's,
 * the same formulas the fast way inlines. */
MG__COLD static mg_value op_slow(mg_ctx *ctx, mg_op op, mg_value a, mg_value b) {
    int binary = mg__ops[op].arity == 2;
    if (!mg_ok(a) || (binary && !mg_ok(b))) return MG_NULL;
    uint32_t ia = mg__idx(ctx, a), ib = binary ? mg__idx(ctx, b) : 0;
    uint32_t i = mg__push(ctx, op, MG_ROLE_OP, ia, ib);
    if (i == UINT32_MAX) return MG_NULL;
    double y = mg__op_forward(op, ctx->data[ia], ctx->data[ib]);
    mg__mark_used(ctx, ia);
    if (binary) mg__mark_used(ctx, ib);
    ctx->data[i] = y;
    return mg__result_of(ctx, i, y);
}

/* The fast way, inlined into each builder with its own forward: both handles made since
 * the last reset (or alive), room on the tape and numerics not checked (i < fast_cap);
 * then the forward from the operands' data as loaded, the value stored and its handle
 * made with no further test. Anything else goes the slow way. */
typedef double (*forward1)(double a);
typedef double (*forward2)(double a, double b);

MG__ALWAYS_INLINE mg_value mg__unary(mg_ctx *ctx, mg_op op, forward1 fw, mg_value a) {
    uint32_t ia, i = ctx->n;
    if (!mg__alive(ctx, a, &ia) || i >= ctx->fast_cap) return op_slow(ctx, op, a, MG_NULL);
    ctx->n = i + 1;
    ctx->a0[i] = ia;
    ctx->a1[i] = 0;
    uint32_t *meta = ctx->meta;
    meta[i] = mg__meta_now(ctx, op, MG_ROLE_OP);
    meta[ia] |= MG__USED;
    /* The forward last (a libm call for some): only its destination and the handle live
     * across the call. */
    double *y = ctx->data + i;
    mg_value h = mg__handle_now(ctx, i);
    *y = fw(ctx->data[ia]);
    return h;
}

MG__ALWAYS_INLINE mg_value mg__binary(mg_ctx *ctx, mg_op op, forward2 fw, mg_value a, mg_value b) {
    uint32_t ia, ib, i = ctx->n;
    if (!mg__alive(ctx, a, &ia) || !mg__alive(ctx, b, &ib) || i >= ctx->fast_cap)
        return op_slow(ctx, op, a, b);
    const double *data = ctx->data;
    double y = fw(data[ia], data[ib]);
    ctx->n = i + 1;
    ctx->a0[i] = ia;
    ctx->a1[i] = ib;
    uint32_t *meta = ctx->meta;
    meta[i] = mg__meta_now(ctx, op, MG_ROLE_OP);
    meta[ia] |= MG__USED;
    meta[ib] |= MG__USED;
    ctx->data[i] = y;
    return mg__handle_now(ctx, i);
}

mg_value mg_add(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_ADD, mg__add_fw, a, b); }
mg_value mg_sub(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_SUB, mg__sub_fw, a, b); }
mg_value mg_mul(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_MUL, mg__mul_fw, a, b); }
mg_value mg_div(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_DIV, mg__div_fw, a, b); }
mg_value mg_pow(mg_ctx *ctx, mg_value a, mg_value b) { return mg__binary(ctx, MG_OP_POW, mg__pow_fw, a, b); }
mg_value mg_neg(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_NEG, mg__neg_fw, a); }
mg_value mg_exp(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_EXP, mg__exp_fw, a); }
mg_value mg_log(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_LOG, mg__log_fw, a); }
mg_value mg_tanh(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_TANH, mg__tanh_fw, a); }
mg_value mg_relu(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_RELU, mg__relu_fw, a); }
mg_value mg_sigmoid(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_SIGMOID, mg__sigmoid_fw, a); }
mg_value mg_step(mg_ctx *ctx, mg_value a) { return mg__unary(ctx, MG_OP_STEP, mg__step_fw, a); }

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
    return mg__binary(ctx, MG_OP_POWC, mg__powc_fw, a, mg_const(ctx, k));
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

/* ==== n-ary builders ====================================================================== */

/* Appends the n-ary value whose inputs are args[off .. off + nin), computed as y (room on
 * the tape already made). The slow way also marks the inputs used (the fast loops did as
 * they went) and checks numerics (the fast way is not taken when they are checked). */
MG__ALWAYS_INLINE mg_value nary_value(mg_ctx *ctx, mg_op op, uint32_t off, uint32_t nin, double y,
                                      int slow) {
    uint32_t i = ctx->n++;
    ctx->a0[i] = off;
    ctx->a1[i] = nin;
    uint32_t *meta = ctx->meta;
    meta[i] = mg__meta_now(ctx, op, MG_ROLE_OP);
    ctx->data[i] = y;
    if (!slow) return mg__handle_now(ctx, i);
    const uint32_t *p = ctx->args + off;
    for (uint32_t k = 0; k < nin; k++) meta[p[k]] |= MG__USED;
    return mg__result_of(ctx, i, y);
}

/* The fast loops below mark operands used as they check them. When one then fails the
 * check, those marks name no consumer: MG__USED is no longer trusted below the end of
 * the tape (until a reset), which only costs backward its shortcut. */
static void marks_spoiled(mg_ctx *ctx) { ctx->used_from = ctx->n; }

mg_value mg_sum(mg_ctx *ctx, size_t n, const mg_value *x) {
    MG_ASSERT(n >= 1, "mg_sum of no values");
    uint32_t off = ctx->nargs;
    if (ctx->n < ctx->fast_cap && n <= ctx->capargs - off) {
        /* No allocation needed: check, store, sum and mark in one pass. */
        const uint64_t hbase = ctx->hbase;
        const uint32_t tag = ctx->tag, nv = ctx->n;
        uint32_t *restrict meta = ctx->meta, *restrict p = ctx->args + off;
        const double *restrict D = ctx->data;
        double s = 0.0;
        for (size_t k = 0; k < n; k++) {
            uint32_t j;
            if (!mg__alive_in(x[k].id, hbase, nv, tag, meta, &j)) {
                marks_spoiled(ctx);
                goto slow;
            }
            p[k] = j;
            meta[j] |= MG__USED;
            s = mg__add_fw(s, D[j]);
        }
        ctx->nargs = off + (uint32_t)n;
        return nary_value(ctx, MG_OP_SUM, off, (uint32_t)n, s, 0);
    }
slow:
    for (size_t k = 0; k < n; k++)
        if (!mg_ok(x[k])) return MG_NULL;
    off = mg__push_args(ctx, n);
    if (off == UINT32_MAX) return MG_NULL;
    for (size_t k = 0; k < n; k++) ctx->args[off + k] = mg__idx(ctx, x[k]);
    if (!mg__room(ctx)) return MG_NULL;
    const uint32_t *p = ctx->args + off;
    double s = 0.0;
    for (size_t k = 0; k < n; k++) s = mg__add_fw(s, ctx->data[p[k]]);
    return nary_value(ctx, MG_OP_SUM, off, (uint32_t)n, s, 1);
}

mg_value mg_dot(mg_ctx *ctx, mg_value b, size_t n, const mg_value *w, const mg_value *x) {
    int has_b = mg_ok(b);
    if (n > (UINT32_MAX - 2) / 2) {
        mg__ctx_fail(ctx, MG_STATUS_INVALID, "mg_dot of %zu terms is too long", n);
        return MG_NULL;
    }
    size_t nin = 2 * n + (size_t)has_b;
    uint32_t off = ctx->nargs;
    if (ctx->n < ctx->fast_cap && nin <= ctx->capargs - off) {
        /* No allocation needed: check, store, compute and mark in one pass, bias first. */
        const uint64_t hbase = ctx->hbase;
        const uint32_t tag = ctx->tag, nv = ctx->n;
        uint32_t *restrict meta = ctx->meta, *restrict p = ctx->args + off;
        const double *restrict D = ctx->data;
#define ALIVE(v, j) mg__alive_in((v).id, hbase, nv, tag, meta, &(j))
        double s = 0.0;
        if (has_b) {
            uint32_t jb;
            if (!ALIVE(b, jb)) goto slow;
            *p++ = jb;
            meta[jb] |= MG__USED;
            s = D[jb];
        }
        /* Weights are usually a span of values made one after another (a neuron's
         * parameters, made before the mark: their check loads their words). When the first
         * and the last are alive and the handles run consecutively, every one between is
         * alive too: made in the same generation, since no reset came between the first
         * and the last, and not dropped, since the last was not. Then a weight's check is
         * that it is the next handle of the run. */
        uint32_t j0, jn;
        const uint64_t w0 = n ? w[0].id : 0;
        const int run = n && ALIVE(w[0], j0) && ALIVE(w[n - 1], jn) && w[n - 1].id - w0 == n - 1;
        for (size_t k = 0; k < n; k++) {
            uint32_t jw, jx;
            if (run && w[k].id - w0 == k) jw = (uint32_t)w[k].id;
            else if (!ALIVE(w[k], jw)) {
                marks_spoiled(ctx);
                goto slow;
            }
            if (!ALIVE(x[k], jx)) {
                marks_spoiled(ctx);
                goto slow;
            }
            p[0] = jw, p[1] = jx, p += 2;
            meta[jw] |= MG__USED;
            meta[jx] |= MG__USED;
            s = mg__add_fw(s, mg__mul_fw(D[jw], D[jx]));
        }
#undef ALIVE
        ctx->nargs = off + (uint32_t)nin;
        return nary_value(ctx, MG_OP_DOT, off, (uint32_t)nin, s, 0);
    }
slow:
    for (size_t k = 0; k < n; k++)
        if (!mg_ok(w[k]) || !mg_ok(x[k])) return MG_NULL;
    off = mg__push_args(ctx, nin);
    if (off == UINT32_MAX) return MG_NULL;
    uint32_t *p = ctx->args + off;
    if (has_b) *p++ = mg__idx(ctx, b);
    for (size_t k = 0; k < n; k++) {
        *p++ = mg__idx(ctx, w[k]);
        *p++ = mg__idx(ctx, x[k]);
    }
    if (!mg__room(ctx)) return MG_NULL;
    p = ctx->args + off;
    const double *D = ctx->data;
    double s = 0.0;
    size_t m = nin;
    if (m & 1u) s = D[*p++], m--;
    for (size_t k = 0; k < m; k += 2) s = mg__add_fw(s, mg__mul_fw(D[p[k]], D[p[k + 1]]));
    return nary_value(ctx, MG_OP_DOT, off, (uint32_t)nin, s, 1);
}
