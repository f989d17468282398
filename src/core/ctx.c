/* ctx.c - the context: the tape's arena, leaves, accessors, labels, mark and reset, and
 * the context's sticky status. Appending a value (mg__push) is an inline in
 * mg_internal.h, since it is most of the cost of building a graph; it calls
 * mg__grow_values here when the tape is full. */
#include "mg_internal.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

/* ==== status ============================================================================ */

void mg__ctx_fail(mg_ctx *ctx, mg_status status, const char *fmt, ...) {
    if (ctx->status != MG_STATUS_OK) return;
    va_list ap;
    va_start(ap, fmt);
    ctx->status = status;
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
}

mg_status mg_ctx_status(const mg_ctx *ctx) { return ctx->status; }
const char *mg_ctx_errmsg(const mg_ctx *ctx) { return ctx->status ? ctx->errmsg : ""; }
void mg_ctx_clear_status(mg_ctx *ctx) {
    ctx->status = MG_STATUS_OK;
    ctx->errmsg[0] = '\0';
}

/* ==== context =========================================================================== */

static atomic_uint mg__next_tag = 1;

mg_ctx *mg_ctx_new(void) {
    mg_ctx *ctx = mg__calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->chars = mg__malloc(64);
    if (!ctx->chars) {
        mg__free(ctx);
        return NULL;
    }
    ctx->chars[0] = '\0';
    ctx->nchars = 1;
    ctx->capchars = 64;
    ctx->lowest_labeled = UINT32_MAX;
    unsigned t;
    do t = atomic_fetch_add(&mg__next_tag, 1) & 0xffffu;
    while (t == 0);
    ctx->tag = (uint16_t)t;
    ctx->hbase = (uint64_t)ctx->tag << 32;
    mg_rng_seed(&ctx->rng, 42);
    return ctx;
}

void mg_ctx_free(mg_ctx *ctx) {
    if (!ctx) return;
    mg__free(ctx->data);
    mg__free(ctx->grad);
    mg__free(ctx->a0);
    mg__free(ctx->a1);
    mg__free(ctx->meta);
    mg__free(ctx->args);
    mg__free(ctx->chars);
    mg__free(ctx->labels);
    mg__free(ctx->scratch);
    mg__free(ctx);
}

void mg_ctx_set_max_bytes(mg_ctx *ctx, size_t max_bytes) { ctx->max_bytes = max_bytes; }

size_t mg_ctx_bytes(const mg_ctx *ctx) {
    return sizeof *ctx + (size_t)ctx->cap * MG__BYTES_PER_VALUE + (size_t)ctx->capargs * 4 +
           ctx->capchars + (size_t)ctx->caplabels * sizeof *ctx->labels + ctx->capscratch;
}

size_t mg_ctx_size(const mg_ctx *ctx) { return ctx->n; }
mg_rng *mg_ctx_rng(mg_ctx *ctx) { return &ctx->rng; }

/* Would growing by `extra` bytes pass the cap? */
static int mg__over_cap(mg_ctx *ctx, size_t extra) {
    if (!ctx->max_bytes) return 0;
    size_t now = mg_ctx_bytes(ctx);
    if (extra > SIZE_MAX - now || now + extra > ctx->max_bytes) {
        mg__ctx_fail(ctx, MG_STATUS_NOMEM,
                     "context memory cap of %zu bytes reached (%zu in use, %zu more wanted)",
                     ctx->max_bytes, now, extra);
        return 1;
    }
    return 0;
}

/* Each per-value array resized to newcap elements; cap grows only when all succeeded, so
 * a failure half way leaves a consistent (if partly larger) context. */
static int grow_value_arrays(mg_ctx *ctx, uint32_t newcap) {
    return mg__resize((void **)&ctx->data, newcap, sizeof *ctx->data) &&
           mg__resize((void **)&ctx->grad, newcap, sizeof *ctx->grad) &&
           mg__resize((void **)&ctx->a0, newcap, sizeof *ctx->a0) &&
           mg__resize((void **)&ctx->a1, newcap, sizeof *ctx->a1) &&
           mg__resize((void **)&ctx->meta, newcap, sizeof *ctx->meta);
}

int mg__grow_values(mg_ctx *ctx) {
    uint32_t newcap = ctx->cap ? ctx->cap * 2 : 256;
    if (ctx->cap >= UINT32_MAX / 2) newcap = UINT32_MAX - 1;
    if (ctx->n < UINT32_MAX - 1) {
        if (mg__over_cap(ctx, (size_t)(newcap - ctx->cap) * MG__BYTES_PER_VALUE)) return 0;
        if (grow_value_arrays(ctx, newcap)) {
            ctx->cap = newcap;
            if (!ctx->check_numerics) ctx->fast_cap = newcap;
            return 1;
        }
    }
    mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory growing the tape past %u values", ctx->cap);
    return 0;
}

uint32_t mg__push_args(mg_ctx *ctx, size_t n) {
    if (n > UINT32_MAX - 1 - ctx->nargs) {
        mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory growing the argument pool (%zu more)", n);
        return UINT32_MAX;
    }
    if (ctx->nargs + n > ctx->capargs) {
        size_t newcap = ctx->capargs ? ctx->capargs : 256;
        while (newcap < ctx->nargs + n) newcap *= 2;
        if (newcap > UINT32_MAX - 1) newcap = UINT32_MAX - 1;
        if (mg__over_cap(ctx, (newcap - ctx->capargs) * sizeof *ctx->args)) return UINT32_MAX;
        if (!mg__resize((void **)&ctx->args, newcap, sizeof *ctx->args)) {
            mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory growing the argument pool (%zu more)", n);
            return UINT32_MAX;
        }
        ctx->capargs = (uint32_t)newcap;
    }
    uint32_t off = ctx->nargs;
    ctx->nargs += (uint32_t)n;
    return off;
}

int mg__scratch(mg_ctx *ctx, size_t n) {
    if (n > ctx->capscratch) {
        size_t newcap = ctx->cap > n ? ctx->cap : n;
        if (mg__over_cap(ctx, newcap - ctx->capscratch)) return 0;
        if (!mg__resize((void **)&ctx->scratch, newcap, 1)) {
            mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory for backward's work space (%zu bytes)", n);
            return 0;
        }
        ctx->capscratch = (uint32_t)newcap;
    }
    memset(ctx->scratch, 0, n);
    return 1;
}

mg_mark mg_ctx_mark(mg_ctx *ctx) {
    mg_mark m = {ctx->n, ctx->nargs, ctx->nchars, ctx->gen_now};
    if (ctx->n > ctx->marked_n) ctx->marked_n = ctx->n;
    return m;
}

/* The first label entry of a value at or past index i. */
static uint32_t label_lower_bound(const mg_ctx *ctx, uint32_t i) {
    uint32_t lo = 0, hi = ctx->nlabels;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ctx->labels[mid].i < i) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

void mg_ctx_reset(mg_ctx *ctx, mg_mark mark) {
    MG_ASSERT(mark.nvalues <= ctx->n && mark.nargs <= ctx->nargs && mark.nchars <= ctx->nchars,
              "mg_ctx_reset to a mark past the end of the tape (reset to a later mark first?)");
    /* The labels of dropped values go. A value kept by the reset may have been labeled
     * after the mark was taken: its label lives in the part of chars being dropped, so the
     * label goes too. */
    if (ctx->nlabels) {
        uint32_t keep = label_lower_bound(ctx, mark.nvalues);
        uint32_t k = ctx->lowest_labeled < mark.nvalues ? label_lower_bound(ctx, ctx->lowest_labeled)
                                                        : keep;
        uint32_t out = k;
        for (; k < keep; k++)
            if (ctx->labels[k].off < mark.nchars) ctx->labels[out++] = ctx->labels[k];
        ctx->nlabels = out;
    }
    /* Values below the mark may have been operands only of values dropped now: MG__USED
     * is exact from the mark on. */
    if (mark.nvalues < ctx->n) ctx->used_from = mark.nvalues;
    ctx->n = mark.nvalues;
    ctx->nargs = mark.nargs;
    ctx->nchars = mark.nchars;
    ctx->gen_now++;
    ctx->wnow = (uint32_t)ctx->gen_now << 16;
    ctx->hbase = (uint64_t)(ctx->tag | ctx->wnow) << 32;
    if (ctx->grad_from > ctx->n) ctx->grad_from = ctx->n;
    if (ctx->leaves_upto > ctx->n) ctx->leaves_upto = ctx->n;
}

/* ==== leaves ============================================================================ */

mg_value mg_leaf_ex(mg_ctx *ctx, double x, mg_role role, const char *label) {
    MG_ASSERT(role != MG_ROLE_OP, "a leaf cannot have the role MG_ROLE_OP");
    uint32_t i = mg__push(ctx, MG_OP_LEAF, role, 0, 0);
    if (i == UINT32_MAX) return MG_NULL;
    ctx->data[i] = x;
    ctx->grad[i] = 0.0;
    mg_value v = mg__handle_now(ctx, i);
    if (label && *label) return mg_set_label(ctx, v, label);
    return v;
}

mg_value mg_leaf(mg_ctx *ctx, double x) { return mg_leaf_ex(ctx, x, MG_ROLE_LEAF, NULL); }
mg_value mg_param(mg_ctx *ctx, double x) { return mg_leaf_ex(ctx, x, MG_ROLE_PARAM, NULL); }
mg_value mg_input(mg_ctx *ctx, double x) { return mg_leaf_ex(ctx, x, MG_ROLE_INPUT, NULL); }
mg_value mg_const(mg_ctx *ctx, double x) { return mg_leaf_ex(ctx, x, MG_ROLE_CONST, NULL); }

/* ==== accessors ========================================================================= */

void mg__grads_fill(mg_ctx *ctx, uint32_t upto) {
    if (upto <= ctx->grad_from) return;
    const uint32_t *meta = ctx->meta;
    double *grad = ctx->grad;
    for (uint32_t i = ctx->grad_from; i < upto; i++)
        if (meta[i] & MG__OP_MASK) grad[i] = 0.0;
    ctx->grad_from = upto;
}

double mg_data(const mg_ctx *ctx, mg_value v) { return ctx->data[mg__idx(ctx, v)]; }
double mg_grad(const mg_ctx *ctx, mg_value v) { return mg__grad_at(ctx, mg__idx(ctx, v)); }
void mg_set_data(mg_ctx *ctx, mg_value v, double x) { ctx->data[mg__idx(ctx, v)] = x; }
void mg_set_grad(mg_ctx *ctx, mg_value v, double g) {
    uint32_t i = mg__idx(ctx, v);
    mg__grads_fill(ctx, i + 1);
    ctx->grad[i] = g;
}
double *mg_data_ptr(mg_ctx *ctx, mg_value v) { return &ctx->data[mg__idx(ctx, v)]; }
double *mg_grad_ptr(mg_ctx *ctx, mg_value v) {
    uint32_t i = mg__idx(ctx, v);
    mg__grads_fill(ctx, ctx->n); /* the slots after it are the caller's to read too */
    return &ctx->grad[i];
}
mg_role mg_role_of(const mg_ctx *ctx, mg_value v) { return mg__role_at(ctx, mg__idx(ctx, v)); }
size_t mg_index(const mg_ctx *ctx, mg_value v) { return mg__idx(ctx, v); }

void mg_set_role(mg_ctx *ctx, mg_value v, mg_role role) {
    uint32_t i = mg__idx(ctx, v);
    MG_ASSERT((role == MG_ROLE_OP) == !mg__is_leaf(ctx, i),
              "only leaves take leaf roles, and only op values take MG_ROLE_OP");
    ctx->meta[i] = (ctx->meta[i] & ~(7u << MG__ROLE_SHIFT)) | (uint32_t)role << MG__ROLE_SHIFT;
}

mg_value mg_at(const mg_ctx *ctx, size_t i) {
    MG_ASSERT(i < ctx->n, "tape position out of range");
    return mg__handle(ctx, (uint32_t)i);
}

_Noreturn void mg__idx_fail(const mg_ctx *ctx, mg_value v, const char *file, int line) {
    if (v.id == 0) mg__assert_fail(file, line, "mg_ok(v)", "MG_NULL used as a value");
    if ((uint16_t)(v.id >> 32) != ctx->tag)
        mg__assert_fail(file, line, "tag == ctx->tag", "value from another context");
    mg__assert_fail(file, line, "alive(v)", "value used after mg_ctx_reset dropped it");
}

/* ==== labels: a side table, sorted by value index ======================================= */

const char *mg__label_at(const mg_ctx *ctx, uint32_t i) {
    uint32_t n = ctx->nlabels;
    if (n == 0 || i > ctx->labels[n - 1].i) return ctx->chars; /* the common cases */
    uint32_t k = label_lower_bound(ctx, i);
    return k < n && ctx->labels[k].i == i ? ctx->chars + ctx->labels[k].off : ctx->chars;
}

const char *mg_label(const mg_ctx *ctx, mg_value v) { return mg__label_at(ctx, mg__idx(ctx, v)); }

/* Value i's entry in the label table, made (in index order) when it has none; NULL when
 * out of memory (recorded on ctx). */
static struct mg__label *label_entry(mg_ctx *ctx, uint32_t i) {
    uint32_t k = ctx->nlabels && i > ctx->labels[ctx->nlabels - 1].i ? ctx->nlabels
                                                                     : label_lower_bound(ctx, i);
    if (k < ctx->nlabels && ctx->labels[k].i == i) return &ctx->labels[k];
    if (ctx->nlabels == ctx->caplabels) {
        uint32_t newcap = ctx->caplabels ? ctx->caplabels * 2 : 16;
        if (ctx->caplabels >= UINT32_MAX / 2) newcap = UINT32_MAX;
        if (newcap == ctx->caplabels) {
            mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory storing a label");
            return NULL;
        }
        if (mg__over_cap(ctx, (size_t)(newcap - ctx->caplabels) * sizeof *ctx->labels)) return NULL;
        if (!mg__resize((void **)&ctx->labels, newcap, sizeof *ctx->labels)) {
            mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory storing a label");
            return NULL;
        }
        ctx->caplabels = newcap;
    }
    memmove(ctx->labels + k + 1, ctx->labels + k, (ctx->nlabels - k) * sizeof *ctx->labels);
    ctx->nlabels++;
    ctx->labels[k].i = i;
    ctx->labels[k].off = 0;
    return &ctx->labels[k];
}

mg_value mg_set_label(mg_ctx *ctx, mg_value v, const char *label) {
    if (!mg_ok(v)) return MG_NULL;
    uint32_t i = mg__idx(ctx, v);
    size_t len = label ? strnlen(label, 255) : 0;
    if (len == 0) {
        uint32_t k = label_lower_bound(ctx, i);
        if (k < ctx->nlabels && ctx->labels[k].i == i) {
            memmove(ctx->labels + k, ctx->labels + k + 1,
                    (ctx->nlabels - k - 1) * sizeof *ctx->labels);
            ctx->nlabels--;
        }
        return v;
    }
    if (ctx->nchars + len + 1 > ctx->capchars) {
        size_t newcap = ctx->capchars * 2;
        while (newcap < ctx->nchars + len + 1) newcap *= 2;
        if (newcap <= UINT32_MAX && mg__over_cap(ctx, newcap - ctx->capchars)) return MG_NULL;
        if (newcap > UINT32_MAX || !mg__resize((void **)&ctx->chars, newcap, 1)) {
            mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory storing a label");
            return MG_NULL;
        }
        ctx->capchars = (uint32_t)newcap;
    }
    struct mg__label *e = label_entry(ctx, i);
    if (!e) return MG_NULL;
    memcpy(ctx->chars + ctx->nchars, label, len);
    ctx->chars[ctx->nchars + len] = '\0';
    e->off = ctx->nchars;
    ctx->nchars += (uint32_t)len + 1;
    /* Only a value made before some mark can outlive a reset that drops this text; a label
     * given as a value is made (a model's parameters) needs no watching. */
    if (i < ctx->marked_n && i < ctx->lowest_labeled) ctx->lowest_labeled = i;
    return v;
}
