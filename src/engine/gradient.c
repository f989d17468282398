/* gradient.c - gradients as values: the backward pass itself recorded on the tape, so a
 * gradient can be drawn, printed, compiled and differentiated again.
 *
 * One reverse walk, like mg_backward's, but each value's gradient (its adjoint) is a
 * value, and each op's local derivative is built from ordinary ops on values. Every new
 * value is appended after root, so creation order stays a topological order and the
 * result is an ordinary graph. A value's adjoint is the sum of what its consumers send
 * it; the sum is built once, as one n-ary value: an mg_sum of the plain terms, or an
 * mg_dot when some terms are products (the consumers' g*w: a layer's backward reads as
 * one dot per input, as its forward does). */
#include "graph.h"

#include <stdio.h>

#define NONE UINT32_MAX

enum { F_REACH = 1, F_DEP = 2 }; /* root depends on it; it depends on some x[k] */

/* A term sent to a value's adjoint: the value p, or the product p*q (q != NONE). */
typedef struct term {
    uint32_t p, q;
    uint32_t next; /* the value's next term, in the order they were sent */
} term;

typedef struct walk {
    mg_ctx *ctx;
    uint8_t *flag;   /* [root + 1] F_REACH | F_DEP */
    uint32_t *first; /* [root + 1] the value's first term, or NONE */
    uint32_t *last;  /* [root + 1] its last term */
    uint32_t *adj;   /* [root + 1] its adjoint, once built, or NONE */
    term *t;
    size_t nt, capt;
    int failed;
} walk;

static mg_value H(const walk *w, uint32_t i) { return mg__handle(w->ctx, i); }
static uint32_t I(walk *w, mg_value v) {
    if (!mg_ok(v)) {
        w->failed = 1;
        return NONE;
    }
    return mg__idx(w->ctx, v);
}

/* Sends the term p (or p*q) to value j's adjoint, when j depends on some x. */
static void send(walk *w, uint32_t j, uint32_t p, uint32_t q) {
    if (w->failed || p == NONE || !(w->flag[j] & F_DEP)) return;
    if (!mg__grow((void **)&w->t, &w->capt, w->nt + 1, sizeof *w->t)) {
        mg__ctx_fail(w->ctx, MG_STATUS_NOMEM, "out of memory building a gradient graph");
        w->failed = 1;
        return;
    }
    w->t[w->nt] = (term){p, q, NONE};
    if (w->first[j] == NONE)
        w->first[j] = (uint32_t)w->nt;
    else
        w->t[w->last[j]].next = (uint32_t)w->nt;
    w->last[j] = (uint32_t)w->nt++;
}

/* The adjoint of value i from its terms: one term as it is (a product as one mul), plain
 * terms as one sum, products (and the plain terms as their bias) as one dot. */
static uint32_t build_adjoint(walk *w, uint32_t i) {
    size_t nplain = 0, npair = 0;
    for (uint32_t k = w->first[i]; k != NONE; k = w->t[k].next)
        *(w->t[k].q == NONE ? &nplain : &npair) += 1;
    if (nplain + npair == 0) return NONE;
    if (nplain + npair == 1) {
        const term *t = &w->t[w->first[i]];
        return t->q == NONE ? t->p : I(w, mg_mul(w->ctx, H(w, t->p), H(w, t->q)));
    }
    mg_value *plain = mg__malloc((nplain + 2 * npair) * sizeof *plain);
    if (!plain) {
        mg__ctx_fail(w->ctx, MG_STATUS_NOMEM, "out of memory building a gradient graph");
        w->failed = 1;
        return NONE;
    }
    mg_value *ps = plain + nplain, *qs = ps + npair;
    size_t a = 0, b = 0;
    for (uint32_t k = w->first[i]; k != NONE; k = w->t[k].next) {
        const term *t = &w->t[k];
        if (t->q == NONE) {
            plain[a++] = H(w, t->p);
        } else {
            ps[b] = H(w, t->p);
            qs[b++] = H(w, t->q);
        }
    }
    mg_value r;
    if (npair == 0) {
        r = mg_sum(w->ctx, nplain, plain);
    } else {
        mg_value bias = nplain == 0 ? MG_NULL : nplain == 1 ? plain[0] : mg_sum(w->ctx, nplain, plain);
        r = nplain > 1 && !mg_ok(bias) ? MG_NULL : mg_dot(w->ctx, bias, npair, ps, qs);
    }
    mg__free(plain);
    return I(w, r);
}

/* ==== each op's derivative, as values ==================================================== */

/* Sends value i's adjoint g on to its operands, times each local derivative. */
static void propagate(walk *w, uint32_t i, uint32_t gi) {
    mg_ctx *ctx = w->ctx;
    uint32_t a = ctx->a0[i], b = ctx->a1[i]; /* n-ary ops: offset and count in args */
    mg_op op = mg__op_at(ctx, i);
    mg_value g = H(w, gi), y = H(w, i);
    mg_value va = mg__ops[op].arity > 0 ? H(w, a) : MG_NULL;
    mg_value vb = mg__ops[op].arity > 1 ? H(w, b) : MG_NULL;
    switch (op) {
    case MG_OP_ADD: send(w, a, gi, NONE), send(w, b, gi, NONE); break;
    case MG_OP_SUB: /* d/da 1, d/db -1 */
        send(w, a, gi, NONE);
        if (w->flag[b] & F_DEP) send(w, b, I(w, mg_neg(ctx, g)), NONE);
        break;
    case MG_OP_MUL: send(w, a, gi, b), send(w, b, gi, a); break;
    case MG_OP_DIV: /* d/da 1/b, d/db -a/b^2 = -y/b */
        if (w->flag[a] & F_DEP) send(w, a, I(w, mg_div(ctx, g, vb)), NONE);
        if (w->flag[b] & F_DEP)
            send(w, b, I(w, mg_neg(ctx, mg_div(ctx, mg_mul(ctx, g, y), vb))), NONE);
        break;
    case MG_OP_NEG: send(w, a, I(w, mg_neg(ctx, g)), NONE); break;
    case MG_OP_POWC: { /* d/da k a^(k-1); nothing for k = 0 */
        double k = ctx->data[b];
        if (k != 0.0 && (w->flag[a] & F_DEP))
            send(w, a, I(w, mg_mulf(ctx, mg_powf(ctx, va, k - 1.0), k)), gi);
        break;
    }
    case MG_OP_POW: /* d/da b a^(b-1), d/db y ln a; each left out where backward's is */
        if (mg__pow_gate_a(ctx->data[b]) && (w->flag[a] & F_DEP))
            send(w, a, I(w, mg_mul(ctx, vb, mg_pow(ctx, va, mg_subf(ctx, vb, 1.0)))), gi);
        if (mg__pow_gate_b(ctx->data[i]) && (w->flag[b] & F_DEP))
            send(w, b, I(w, mg_mul(ctx, y, mg_log(ctx, va))), gi);
        break;
    case MG_OP_EXP: send(w, a, i, gi); break; /* d/da e^a = y */
    case MG_OP_LOG: send(w, a, I(w, mg_div(ctx, g, va)), NONE); break;
    case MG_OP_TANH: /* d/da 1 - y^2 */
        send(w, a, I(w, mg_rsubf(ctx, 1.0, mg_mul(ctx, y, y))), gi);
        break;
    case MG_OP_RELU: /* d/da step(a): a value, so a replay with other inputs gets its own */
        send(w, a, I(w, mg_step(ctx, va)), gi);
        break;
    case MG_OP_SIGMOID: /* d/da y (1 - y) */
        send(w, a, I(w, mg_mul(ctx, y, mg_rsubf(ctx, 1.0, y))), gi);
        break;
    case MG_OP_SUM: {
        const uint32_t *x = ctx->args + a;
        for (uint32_t k = 0; k < b; k++) send(w, x[k], gi, NONE);
        break;
    }
    case MG_OP_DOT: { /* d/dbias 1, d/dw x, d/dx w */
        const uint32_t *x = ctx->args + a;
        uint32_t n = b;
        if (n & 1u) send(w, *x++, gi, NONE), n--;
        for (uint32_t k = 0; k < n; k += 2) send(w, x[k], gi, x[k + 1]), send(w, x[k + 1], gi, x[k]);
        break;
    }
    case MG_OP_STEP: /* d/da 0 */
    case MG_OP_LEAF:
    case MG_OP_COUNT: break;
    }
}

/* ==== the walk ============================================================================ */

static int walk_init(walk *w, mg_ctx *ctx, uint32_t r, size_t n, const mg_value *x) {
    memset(w, 0, sizeof *w);
    w->ctx = ctx;
    size_t m = (size_t)r + 1;
    w->flag = mg__calloc(m, 1);
    w->first = mg__malloc(m * sizeof *w->first);
    w->last = mg__malloc(m * sizeof *w->last);
    w->adj = mg__malloc(m * sizeof *w->adj);
    if (!w->flag || !w->first || !w->last || !w->adj) return 0;
    for (size_t i = 0; i < m; i++) w->first[i] = w->last[i] = w->adj[i] = NONE;
    mg__reach(ctx, r, w->flag); /* F_REACH == 1 */
    for (size_t k = 0; k < n; k++) {
        uint32_t j = mg__idx(ctx, x[k]);
        if (j <= r) w->flag[j] |= F_DEP;
    }
    for (uint32_t i = 0; i <= r; i++) {
        if (!(w->flag[i] & F_REACH) || (w->flag[i] & F_DEP)) continue;
        uint32_t pair[2], nop;
        const uint32_t *op = mg__live_operands(ctx, i, pair, &nop);
        for (uint32_t k = 0; k < nop; k++)
            if (w->flag[op[k]] & F_DEP) {
                w->flag[i] |= F_DEP;
                break;
            }
    }
    return 1;
}

static void walk_free(walk *w) {
    mg__free(w->flag);
    mg__free(w->first);
    mg__free(w->last);
    mg__free(w->adj);
    mg__free(w->t);
}

/* Labels dx "d<root>/d<x>" when both have labels and dx has none, so pictures and
 * formulas name it. 0 when out of memory. */
static int label_gradient(mg_ctx *ctx, mg_value root, mg_value x, mg_value dx) {
    const char *lr = mg_label(ctx, root), *lx = mg_label(ctx, x);
    if (!*lr || !*lx || *mg_label(ctx, dx) || mg_index(ctx, dx) <= mg_index(ctx, root)) return 1;
    char buf[256];
    snprintf(buf, sizeof buf, "d%s/d%s", lr, lx);
    return mg_ok(mg_set_label(ctx, dx, buf));
}

int mg_gradients(mg_ctx *ctx, mg_value root, size_t n, const mg_value *x, mg_value *dx) {
    for (size_t k = 0; k < n; k++) dx[k] = MG_NULL;
    if (!mg_ok(root)) return 0;
    for (size_t k = 0; k < n; k++)
        if (!mg_ok(x[k])) return 0;
    uint32_t r = mg__idx(ctx, root);
    mg_mark start = mg_ctx_mark(ctx);
    walk w;
    int ok = walk_init(&w, ctx, r, n, x);
    if (!ok) {
        mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory building a gradient graph");
    } else if (w.flag[r] & F_DEP) {
        send(&w, r, I(&w, mg_const(ctx, 1.0)), NONE);
        for (uint32_t i = r + 1; i-- > 0 && !w.failed;) {
            if ((w.flag[i] & (F_REACH | F_DEP)) != (F_REACH | F_DEP)) continue;
            w.adj[i] = build_adjoint(&w, i);
            if (w.adj[i] != NONE && !mg__is_leaf(ctx, i)) propagate(&w, i, w.adj[i]);
        }
        ok = !w.failed;
    }
    for (size_t k = 0; ok && k < n; k++) {
        uint32_t j = mg__idx(ctx, x[k]);
        mg_value d = j <= r && w.adj[j] != NONE ? mg__handle(ctx, w.adj[j]) : mg_const(ctx, 0.0);
        if (!mg_ok(d)) ok = 0;
        dx[k] = d;
    }
    for (size_t k = 0; ok && k < n; k++) ok = label_gradient(ctx, root, x[k], dx[k]);
    walk_free(&w);
    if (!ok) { /* nothing half made: the tape as it was */
        mg_ctx_reset(ctx, start);
        for (size_t k = 0; k < n; k++) dx[k] = MG_NULL;
    }
    return ok;
}

mg_value mg_gradient(mg_ctx *ctx, mg_value root, mg_value x) {
    mg_value dx;
    return mg_gradients(ctx, root, 1, &x, &dx) ? dx : MG_NULL;
}
