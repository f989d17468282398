/* mg_internal.h - private layout of the context and helpers shared by the library's
 * modules. Not installed. */
#ifndef MG_INTERNAL_H
#define MG_INTERNAL_H

#include "micrograd.h"

#include <math.h>

#include <stdlib.h>
#include <string.h>

/* ---- always-on assertions for programmer errors ------------------------------------ */

_Noreturn void mg__assert_fail(const char *file, int line, const char *cond, const char *msg);
#define MG_ASSERT(cond, msg)                                                               \
    do {                                                                                   \
        if (!(cond)) mg__assert_fail(__FILE__, __LINE__, #cond, msg);                      \
    } while (0)

/* ---- allocation: every allocation of the library goes through these ---------------- */

void *mg__malloc(size_t size);
void *mg__calloc(size_t n, size_t size);
void *mg__realloc(void *p, size_t size);
void mg__free(void *p);
/* n * size, or SIZE_MAX when that overflows (so the allocation then fails cleanly). */
size_t mg__mul_size(size_t n, size_t size);
/* strdup through mg__malloc; NULL on NULL or out of memory. */
char *mg__strdup(const char *s);

/* ---- the context: a tape of values as a struct of arrays --------------------------- */

/* Inputs of value i: unary ops use a0; binary ops a0 and a1; n-ary ops (SUM, DOT) keep
 * their inputs in args[a0 .. a0 + a1). */
struct mg_ctx {
    double *data;     /* [cap] */
    double *grad;     /* [cap] */
    uint32_t *a0;     /* [cap] first input, or offset into args */
    uint32_t *a1;     /* [cap] second input, or number of inputs */
    uint32_t *label;  /* [cap] offset into chars; 0 = no label */
    uint16_t *gen;    /* [cap] generation the value was made in */
    uint8_t *op;      /* [cap] mg_op */
    uint8_t *role;    /* [cap] mg_role */
    uint32_t n, cap;

    uint32_t *args;   /* [capargs] inputs of n-ary values */
    uint32_t nargs, capargs;

    char *chars;      /* [capchars] label strings; chars[0] = '\0' */
    uint32_t nchars, capchars;
    uint32_t lowest_labeled; /* smallest index labeled after a mark past it: where reset
                                must look for labels it drops */
    uint32_t marked_n;       /* the largest nvalues of any mark taken */

    uint8_t *scratch; /* [capscratch] per-value flags for backward and forward */
    uint32_t capscratch;

    uint16_t tag;     /* tells this context's handles from another's; never 0 */
    uint16_t gen_now; /* incremented by every reset */
    size_t max_bytes;
    int check_numerics; /* mg_ctx_check_numerics */

    mg_status status;
    char errmsg[256];
    mg_rng rng;
};

#define MG__IDX_BITS 32
static inline mg_value mg__handle(const mg_ctx *ctx, uint32_t i) {
    mg_value v;
    v.id = (uint64_t)i | ((uint64_t)ctx->tag << 32) | ((uint64_t)ctx->gen[i] << 48);
    return v;
}

/* The tape index of a handle, after checking it belongs to ctx and is still alive. */
static inline uint32_t mg__idx_at(const mg_ctx *ctx, mg_value v, const char *file, int line) {
    uint32_t i = (uint32_t)v.id;
    if (v.id == 0) mg__assert_fail(file, line, "mg_ok(v)", "MG_NULL used as a value");
    if ((uint16_t)(v.id >> 32) != ctx->tag)
        mg__assert_fail(file, line, "tag == ctx->tag", "value from another context");
    if (i >= ctx->n || ctx->gen[i] != (uint16_t)(v.id >> 48))
        mg__assert_fail(file, line, "alive(v)", "value used after mg_ctx_reset dropped it");
    return i;
}
#define mg__idx(ctx, v) mg__idx_at((ctx), (v), __FILE__, __LINE__)

/* Records a sticky failure on the context (the first one wins). */
void mg__ctx_fail(mg_ctx *ctx, mg_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* With mg_ctx_check_numerics on: fails the context with MG_STATUS_NUMERIC naming value i
 * (just computed, not finite) and returns MG_NULL. */
mg_value mg__numeric_fail(mg_ctx *ctx, uint32_t i);

/* The handle of value i just computed by an op, or MG_NULL after mg__numeric_fail when
 * numerics are checked and it is not finite. */
static inline mg_value mg__result(mg_ctx *ctx, uint32_t i) {
    if (ctx->check_numerics && !isfinite(ctx->data[i])) return mg__numeric_fail(ctx, i);
    return mg__handle(ctx, i);
}

/* Bytes a value takes on the tape: data, grad, two inputs, label, generation, op, role. */
#define MG__BYTES_PER_VALUE (8 + 8 + 4 + 4 + 4 + 2 + 1 + 1)

/* Doubles the tape's capacity; 0 when out of memory or over the cap (recorded on ctx). */
int mg__grow_values(mg_ctx *ctx);

/* Appends a value (op, role, inputs) with its grad 0; returns its index or UINT32_MAX
 * when out of memory (the failure is recorded on ctx). Its data is the caller's to set at
 * once (a leaf's number, an op's forward). Inline: it is most of the cost of building a
 * graph. */
static inline uint32_t mg__push(mg_ctx *ctx, mg_op op, mg_role role, uint32_t a0, uint32_t a1) {
    if (ctx->n == ctx->cap && !mg__grow_values(ctx)) return UINT32_MAX;
    uint32_t i = ctx->n++;
    ctx->grad[i] = 0.0;
    ctx->a0[i] = a0;
    ctx->a1[i] = a1;
    ctx->label[i] = 0;
    ctx->gen[i] = ctx->gen_now;
    ctx->op[i] = (uint8_t)op;
    ctx->role[i] = (uint8_t)role;
    return i;
}
/* Reserves n slots in args; returns the offset, or UINT32_MAX when out of memory. */
uint32_t mg__push_args(mg_ctx *ctx, size_t n);
/* Makes scratch hold at least n bytes and zeroes the first n; 0 when out of memory. */
int mg__scratch(mg_ctx *ctx, size_t n);

/* ---- the op table ------------------------------------------------------------------ */

typedef struct mg__opdef {
    const char *name;
    const char *symbol;
    int arity; /* 0 leaf, 1 unary, 2 binary, -1 n-ary */
    void (*forward)(mg_ctx *ctx, uint32_t i);  /* data[i] from its inputs' data */
    void (*backward)(mg_ctx *ctx, uint32_t i); /* grad of inputs += local * grad[i] */
} mg__opdef;

extern const mg__opdef mg__ops[MG_OP_COUNT];

/* Marks in ctx->scratch (1) every value root depends on, root included. 0 when out of
 * memory. */
int mg__mark_reachable(mg_ctx *ctx, uint32_t root);

#endif /* MG_INTERNAL_H */
