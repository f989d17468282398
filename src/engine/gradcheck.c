/* gradcheck.c - the finite-difference gradient check: backward's gradients against
 * central differences of forward recomputations. */
#include "graph.h"

#include <math.h>

/* ==== gradient check ==================================================================== */

double mg_gradcheck(mg_ctx *ctx, mg_value root, double h, mg_gradcheck_report *report) {
    mg_gradcheck_report rep = {0, 0, MG_NULL, 0, 0, 0};
    if (report) *report = rep;
    if (!mg_ok(root)) return NAN;
    if (!(h > 0.0)) h = 1e-6;
    uint32_t r = mg__idx(ctx, root);
    if (!mg__mark_reachable(ctx, r)) return NAN;

    /* The leaves to check, gathered before scratch is reused by backward and forward. */
    size_t nleaves = 0;
    for (uint32_t i = 0; i <= r; i++)
        if (ctx->scratch[i] && mg__is_leaf(ctx, i) && mg__role_at(ctx, i) != MG_ROLE_CONST) nleaves++;
    uint32_t *leaves = mg__malloc(mg__mul_size(nleaves, sizeof *leaves));
    double *analytic = mg__malloc(mg__mul_size(nleaves, sizeof *analytic));
    if (!leaves || !analytic) {
        mg__free(leaves);
        mg__free(analytic);
        mg__ctx_fail(ctx, MG_STATUS_NOMEM, "out of memory in the gradient check");
        return NAN;
    }
    nleaves = 0;
    for (uint32_t i = 0; i <= r; i++)
        if (ctx->scratch[i] && mg__is_leaf(ctx, i) && mg__role_at(ctx, i) != MG_ROLE_CONST)
            leaves[nleaves++] = i;

    for (size_t k = 0; k < nleaves; k++) ctx->grad[leaves[k]] = 0.0;
    mg_backward(ctx, root);
    for (size_t k = 0; k < nleaves; k++) analytic[k] = ctx->grad[leaves[k]];

    for (size_t k = 0; k < nleaves; k++) {
        uint32_t i = leaves[k];
        double x = ctx->data[i];
        ctx->data[i] = x + h;
        double fp = mg_forward(ctx, root);
        ctx->data[i] = x - h;
        double fm = mg_forward(ctx, root);
        ctx->data[i] = x;
        double num = (fp - fm) / (2.0 * h);
        double an = analytic[k];
        double scale = fmax(1.0, fmax(fabs(an), fabs(num)));
        double err = fabs(an - num) / scale;
        if (isnan(err)) err = INFINITY;
        if (fabs(an) > rep.max_abs_grad) rep.max_abs_grad = fabs(an);
        if (!mg_ok(rep.worst) || err > rep.max_rel_err) {
            rep.max_rel_err = err;
            rep.worst = mg__handle(ctx, i);
            rep.worst_analytic = an;
            rep.worst_numeric = num;
        }
        rep.nchecked++;
    }
    mg_forward(ctx, root);
    mg__free(leaves);
    mg__free(analytic);
    if (report) *report = rep;
    return rep.max_rel_err;
}
