/* mg_internal.h - private layout of the context and helpers shared by the library's
 * modules. Not installed. */
#ifndef MG_INTERNAL_H
#define MG_INTERNAL_H

#include "micrograd.h"

#include <math.h>

#include <stdlib.h>
#include <string.h>

/* An inline the compiler must inline: the builders' bodies, so that each gets its own
 * forward as straight-line code. */
#if defined(__GNUC__)
#define MG__ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define MG__ALWAYS_INLINE static inline
#endif

/* A function off the hot path, kept out of line. */
#if defined(__GNUC__)
#define MG__COLD __attribute__((noinline, cold))
#else
#define MG__COLD
#endif

/* Tells the compiler a place is never reached (a switch's impossible default). */
#if defined(__GNUC__)
#define MG__UNREACHABLE() __builtin_unreachable()
#else
#define MG__UNREACHABLE() ((void)0)
#endif

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
/* Makes *arr (of *cap elements of elem bytes) hold at least need elements, doubling from
 * 16; 1, or 0 when out of memory or the size overflows (*arr and *cap unchanged). */
int mg__grow(void **arr, size_t *cap, size_t need, size_t elem);
/* Reallocates *arr to n elements of elem bytes; 1, or 0 (then *arr is unchanged). */
int mg__resize(void **arr, size_t n, size_t elem);

/* Copies inner into err (when err is not NULL and inner holds a failure) and returns
 * inner's status: for a call that needs the message even when its caller passed no err. */
mg_status mg__err_forward(mg_err *err, const mg_err *inner);

/* ---- enum names: one table of names indexed by the enum, both ways ----------------- */

/* names[v], or "?" when v is past the table or has no name. */
const char *mg__name_of(const char *const *names, size_t n, unsigned v);
/* The index of s in names, or -1 (s may be NULL). */
int mg__name_find(const char *const *names, size_t n, const char *s);
#define MG__COUNT(array) (sizeof(array) / sizeof *(array))

/* 1 when s[0 .. n-1] is a Python keyword (False, None, True, and, as, ...): names the script
 * language takes and the formula printer avoids. */
int mg__py_keyword(const char *s, size_t n);
/* Writes a power's exponent k as Python source writes it: the shortest digits that read
 * back as k (mg_fmt_repr), without the ".0" of a whole number ("2", "-1", "0.5"). */
void mg__fmt_exponent(double k, char *buf, size_t size);

/* ---- threads: what a thread count of 0 means, in one place ------------------------- */

/* requested itself when > 0. For 0: the cores idle when this is called (by the 1-minute
 * load average), at least 1, since an OpenMP thread that shares a core with another busy
 * program stalls every step. 1 in a build without OpenMP. Call it once, as a run starts,
 * not inside the run (its own load would count). */
int mg__threads(int requested);

/* ---- shuffling ---------------------------------------------------------------------- */

/* Fisher-Yates from the end: for i = n-1 down to 1, swap(user, i, mg_rng_below(rng, i+1)).
 * The one shuffle of the library (datasets' rows, an epoch's sample order), so the same
 * seed gives the same order everywhere. n must fit 32 bits (asserted). */
void mg__shuffle(mg_rng *rng, size_t n, void (*swap)(void *user, size_t i, size_t j), void *user);
/* The same on an array of indices. */
void mg__shuffle_indices(mg_rng *rng, size_t *idx, size_t n);

/* ---- the context: a tape of values as a struct of arrays --------------------------- */

/* Inputs of value i: unary ops use a0; binary ops a0 and a1; n-ary ops (SUM, DOT) keep
 * their inputs in args[a0 .. a0 + a1).
 *
 * Only what building and backward touch lives per value (28 bytes; 20 of them written
 * when a value is made): data, grad, a0, a1 and one word holding the op, the role, a
 * "used" bit and the generation. Labels, which few values have, are in a side table.
 *
 * Grads are not written when an op value is made. A leaf's grad is stored (0) when it is
 * made, since leaves accumulate; an op value's grad counts as 0 until backward (or a
 * write) reaches it: op values at or past grad_from read as 0 (mg__grad_at), and
 * mg__grads_fill stores those zeros before anything writes a grad there or hands out a
 * pointer into the array. */
struct mg_ctx {
    double *data;     /* [cap] */
    double *grad;     /* [cap] leaves always; op values only below grad_from */
    uint32_t *a0;     /* [cap] first input, or offset into args */
    uint32_t *a1;     /* [cap] second input, or number of inputs */
    uint32_t *meta;   /* [cap] op | role << 5 | MG__USED | generation << 16 (mg__op_at ...) */
    uint32_t n, cap;

    uint32_t *args;   /* [capargs] inputs of n-ary values */
    uint32_t nargs, capargs;

    uint32_t grad_from;   /* op values at or past it have grad 0, not stored */
    uint32_t used_from;   /* MG__USED is exact for values at or past it (the last reset) */
    uint32_t leaves_upto; /* every value below it is a leaf */

    char *chars;      /* [capchars] label strings; chars[0] = '\0' */
    uint32_t nchars, capchars;
    struct mg__label { uint32_t i, off; } *labels; /* [caplabels] by value index, ascending */
    uint32_t nlabels, caplabels;
    uint32_t lowest_labeled; /* smallest index labeled after a mark past it: where reset
                                must look for labels it drops */
    uint32_t marked_n;       /* the largest nvalues of any mark taken */

    uint8_t *scratch; /* [capscratch] per-value flags for backward and forward */
    uint32_t capscratch;

    uint16_t tag;     /* tells this context's handles from another's; never 0 */
    uint16_t gen_now; /* incremented by every reset */
    uint64_t hbase;   /* a handle made now is hbase + index: (tag | gen_now << 16) << 32 */
    uint32_t wnow;    /* the generation bits of a word made now: gen_now << 16 */
    uint32_t fast_cap; /* cap, or 0 when numerics are checked: builders below it take the
                          fast way */
    size_t max_bytes;
    int check_numerics; /* mg_ctx_check_numerics */

    mg_status status;
    char errmsg[256];
    mg_rng rng;
};

/* The per-value word. The op in the low 5 bits, the role in the next 3, MG__USED (some
 * later value has it as an operand; leaves are made with it), the generation the value
 * was made in in the high 16 bits: the high half of a live handle to it is
 * tag | (meta & MG__GEN_MASK). */
enum { MG__OP_MASK = 0x1fu, MG__ROLE_SHIFT = 5, MG__USED = 0x100u };
#define MG__GEN_MASK 0xffff0000u
_Static_assert(MG_OP_COUNT <= MG__OP_MASK + 1 && MG_ROLE_OP < 8, "op and role fit the word");

static inline mg_op mg__op_at(const mg_ctx *ctx, uint32_t i) {
    return (mg_op)(ctx->meta[i] & MG__OP_MASK);
}
static inline int mg__is_leaf(const mg_ctx *ctx, uint32_t i) {
    return (ctx->meta[i] & MG__OP_MASK) == MG_OP_LEAF;
}
static inline mg_role mg__role_at(const mg_ctx *ctx, uint32_t i) {
    return (mg_role)((ctx->meta[i] >> MG__ROLE_SHIFT) & 7u);
}
static inline uint16_t mg__gen_at(const mg_ctx *ctx, uint32_t i) {
    return (uint16_t)(ctx->meta[i] >> 16);
}
/* Value i's grad: 0 for an op value whose grad is not stored yet. */
static inline double mg__grad_at(const mg_ctx *ctx, uint32_t i) {
    return i >= ctx->grad_from && !mg__is_leaf(ctx, i) ? 0.0 : ctx->grad[i];
}
/* Stores the zero grads of the op values in [grad_from, upto), so that grads below upto
 * can be read and written in the array. */
void mg__grads_fill(mg_ctx *ctx, uint32_t upto);
/* Value i's label, "" when it has none. */
const char *mg__label_at(const mg_ctx *ctx, uint32_t i);

/* A handle: the index in the low 32 bits, the context's tag in bits 32-47 and the value's
 * generation in bits 48-63. The generation has 16 bits, so the check that a handle is
 * still alive is certain only within 65536 resets of its value's making. */
static inline mg_value mg__handle(const mg_ctx *ctx, uint32_t i) {
    mg_value v;
    v.id = (uint64_t)i | ((uint64_t)(ctx->tag | (ctx->meta[i] & MG__GEN_MASK)) << 32);
    return v;
}
/* The handle of a value made since the last reset (its generation is gen_now). */
static inline mg_value mg__handle_now(const mg_ctx *ctx, uint32_t i) {
    mg_value v;
    v.id = ctx->hbase + i;
    return v;
}

/* mg__alive on the context's fields loaded by the caller: the n-ary builders' loops
 * (mg_sum, mg_dot), which also store into meta, keep them in registers this way. */
static inline int mg__alive_in(uint64_t id, uint64_t hbase, uint32_t nv, uint32_t tag,
                               const uint32_t *meta, uint32_t *i) {
    uint32_t k = (uint32_t)id;
    *i = k;
    return id - hbase < nv || (k < nv && (uint32_t)(id >> 32) == (tag | (meta[k] & MG__GEN_MASK)));
}

/* Whether v (index k) is a live value made before the last reset: its generation is its
 * value's. */
static inline int mg__alive_older(const mg_ctx *ctx, mg_value v, uint32_t k) {
    return k < ctx->n && (uint32_t)(v.id >> 32) == (ctx->tag | (ctx->meta[k] & MG__GEN_MASK));
}

/* 1 when v is a live value of ctx (its index to *i); 0 for MG_NULL, a value of another
 * context or a dropped one. A value made since the last reset costs a subtraction and a
 * compare (its handle is hbase + index, index < n); an older one a load more. (The same
 * test as mg__alive_in, written to load the context's fields only when it needs them:
 * the builders' checks, which run on every value made, are shortest this way.) */
static inline int mg__alive(const mg_ctx *ctx, mg_value v, uint32_t *i) {
    uint64_t d = v.id - ctx->hbase;
    *i = (uint32_t)v.id;
    return d < ctx->n || mg__alive_older(ctx, v, (uint32_t)v.id);
}

/* Aborts naming why v is not a live value of ctx (MG_NULL, another context, dropped). */
_Noreturn void mg__idx_fail(const mg_ctx *ctx, mg_value v, const char *file, int line);

/* The tape index of a handle, after checking it belongs to ctx and is still alive. */
static inline uint32_t mg__idx_at(const mg_ctx *ctx, mg_value v, const char *file, int line) {
    uint32_t i;
    if (!mg__alive(ctx, v, &i)) mg__idx_fail(ctx, v, file, line);
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

/* The handle of value i just computed by an op as y, or MG_NULL after mg__numeric_fail
 * when numerics are checked and y is not finite. */
static inline mg_value mg__result_of(mg_ctx *ctx, uint32_t i, double y) {
    if (ctx->check_numerics && !isfinite(y)) return mg__numeric_fail(ctx, i);
    return mg__handle_now(ctx, i);
}
static inline mg_value mg__result(mg_ctx *ctx, uint32_t i) {
    return mg__result_of(ctx, i, ctx->data[i]);
}

/* Bytes a value takes on the tape: one element of each per-value array. */
#define MG__FIELD_SIZE(f) sizeof(((const struct mg_ctx *)0)->f[0])
#define MG__BYTES_PER_VALUE                                                                \
    (MG__FIELD_SIZE(data) + MG__FIELD_SIZE(grad) + MG__FIELD_SIZE(a0) + MG__FIELD_SIZE(a1) + \
     MG__FIELD_SIZE(meta))

/* Doubles the tape's capacity; 0 when out of memory or over the cap (recorded on ctx). */
int mg__grow_values(mg_ctx *ctx);
/* Makes room for one more value: 1, or 0 when out of memory (recorded on ctx). */
static inline int mg__room(mg_ctx *ctx) {
    return ctx->n < ctx->cap || mg__grow_values(ctx);
}

/* The word of a value made now. */
static inline uint32_t mg__meta_now(const mg_ctx *ctx, mg_op op, mg_role role) {
    return ctx->wnow | (uint32_t)op | (uint32_t)role << MG__ROLE_SHIFT |
           (op == MG_OP_LEAF ? MG__USED : 0u);
}

/* Appends a value (op, role, inputs); returns its index or UINT32_MAX when out of memory
 * (the failure is recorded on ctx). Its data is the caller's to set at once (a leaf's
 * number, an op's forward), and a leaf's grad (0); the caller marks the operands used
 * (mg__mark_used) once the value is made. Inline: it is most of the cost of building a
 * graph. */
static inline uint32_t mg__push(mg_ctx *ctx, mg_op op, mg_role role, uint32_t a0, uint32_t a1) {
    if (!mg__room(ctx)) return UINT32_MAX;
    uint32_t i = ctx->n++;
    ctx->a0[i] = a0;
    ctx->a1[i] = a1;
    ctx->meta[i] = mg__meta_now(ctx, op, role);
    return i;
}
/* Records that value j is some later value's operand. */
static inline void mg__mark_used(mg_ctx *ctx, uint32_t j) { ctx->meta[j] |= MG__USED; }

/* Reserves n slots in args; returns the offset, or UINT32_MAX when out of memory. */
uint32_t mg__push_args(mg_ctx *ctx, size_t n);
/* Makes scratch hold at least n bytes and zeroes the first n; 0 when out of memory. */
int mg__scratch(mg_ctx *ctx, size_t n);

#endif /* MG_INTERNAL_H */
