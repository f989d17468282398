/* check.c - non-finite numbers: numerics checked as values are computed, the first
 * non-finite value, and one-line descriptions of values for the messages. */
#include "graph.h"

#include <math.h>
#include <stdio.h>

/* ==== checking numerics as they are computed ============================================ */

void mg_ctx_check_numerics(mg_ctx *ctx, int on) {
    ctx->check_numerics = on != 0;
    ctx->fast_cap = on ? 0 : ctx->cap; /* the builders' fast way does not check */
}

mg_value mg__numeric_fail(mg_ctx *ctx, uint32_t i) {
    char what[160];
    mg__ctx_fail(ctx, MG_STATUS_NUMERIC, "not finite: %s",
                 mg_describe(ctx, mg__handle(ctx, i), what, sizeof what));
    return MG_NULL;
}

/* ==== non-finite values ================================================================= */

mg_value mg_find_nonfinite(const mg_ctx *ctx, size_t from, int check_grad) {
    for (size_t i = from; i < ctx->n; i++) {
        if (!isfinite(ctx->data[i]) || (check_grad && !isfinite(mg__grad_at(ctx, (uint32_t)i))))
            return mg__handle(ctx, (uint32_t)i);
    }
    return MG_NULL;
}

char *mg_describe(const mg_ctx *ctx, mg_value v, char *buf, size_t size) {
    if (!buf || size == 0) return buf;
    if (!mg_ok(v)) {
        snprintf(buf, size, "(no value)");
        return buf;
    }
    uint32_t i = mg__idx(ctx, v);
    char d[32], g[32];
    mg_fmt_repr(ctx->data[i], d, sizeof d);
    mg_fmt_repr(mg__grad_at(ctx, i), g, sizeof g);
    const char *label = mg__label_at(ctx, i);
    mg_role role = mg__role_at(ctx, i);
    const char *what = mg__is_leaf(ctx, i) ? (role == MG_ROLE_PARAM   ? "parameter"
                                              : role == MG_ROLE_INPUT ? "input"
                                              : role == MG_ROLE_CONST ? "constant"
                                                                      : "leaf")
                                           : mg__ops[mg__op_at(ctx, i)].name;
    if (*label)
        snprintf(buf, size, "#%u %s '%s': data=%s grad=%s", i, what, label, d, g);
    else
        snprintf(buf, size, "#%u %s: data=%s grad=%s", i, what, d, g);
    return buf;
}
