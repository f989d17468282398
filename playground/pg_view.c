/* pg_view.c - what the playground page draws from a session: the points, the model's
 * outputs over a grid (the decision boundary), the network's weights, and one row's loss
 * graph with data and grad on every node, as JSON for the page's own layout and as DOT
 * from the library's writer. */
#include "pg_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pg__view_free(pg_session *s) {
    free(s->grid);
    free(s->rows);
    free(s->graph);
    free(s->dot);
    s->grid = s->rows = NULL;
    s->graph = s->dot = NULL;
    s->grid_cap = 0;
}

/* ==== points =============================================================================== */

static const mg_dataset *raw_of(const pg_session *s, int which) {
    return s && (which == PG_TRAIN || which == PG_VAL) ? s->raw[which] : NULL;
}

size_t pg_npoints(const pg_session *s, int which) {
    const mg_dataset *d = raw_of(s, which);
    return d ? d->n : 0;
}

const double *pg_points(const pg_session *s, int which) {
    const mg_dataset *d = raw_of(s, which);
    return d ? d->x : NULL;
}

const double *pg_labels(const pg_session *s, int which) {
    const mg_dataset *d = raw_of(s, which);
    return d ? d->y : NULL;
}

/* ==== the decision boundary ================================================================ */

const double *pg_grid(pg_session *s, size_t nx, size_t ny, double x0, double x1, double y0,
                      double y1) {
    if (!s) return NULL;
    if (!s->m) {
        pg__fail(s, "no model: reset first");
        return NULL;
    }
    size_t nout = mg_mlp_nout(s->m), n = nx * ny;
    if (nx < 2 || ny < 2 || nx > 1024 || ny > 1024) {
        pg__fail(s, "a grid is 2 to 1024 points a side, got %zu by %zu", nx, ny);
        return NULL;
    }
    if (n * nout > s->grid_cap) {
        double *g = realloc(s->grid, n * nout * sizeof *g), *r;
        if (g) s->grid = g;
        r = g ? realloc(s->rows, n * nout * 2 * sizeof *r) : NULL;
        if (!r) {
            pg__fail(s, "out of memory for a grid of %zu points", n);
            return NULL;
        }
        s->rows = r, s->grid_cap = n * nout; /* rows holds 2 * grid_cap >= 2 * n */
    }
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            double *row = s->rows + 2 * (j * nx + i);
            row[0] = x0 + (x1 - x0) * (double)i / (double)(nx - 1);
            row[1] = y0 + (y1 - y0) * (double)j / (double)(ny - 1);
            mg_standardizer_apply_row(&s->std, row);
        }
    mg_err err = {0};
    mg_status st = mg_mlp_predict_rows(s->ctx, s->m, n, s->rows, s->grid, 1, &err);
    if (st && st != MG_STATUS_NUMERIC) {
        pg__fail(s, "%s", err.msg);
        return NULL;
    }
    return s->grid; /* non-finite outputs are drawn as they are */
}

/* ==== the network ========================================================================== */

size_t pg_nlayers(const pg_session *s) { return s && s->m ? s->m->nlayers : 0; }

size_t pg_layer_size(const pg_session *s, size_t l) {
    return s && s->m && l < s->m->nlayers ? s->m->sizes[l] : 0;
}

size_t pg_nout(const pg_session *s) { return s && s->m ? mg_mlp_nout(s->m) : 0; }

const double *pg_params(const pg_session *s) {
    return s && s->m ? mg_data_ptr(s->ctx, s->m->first) : NULL;
}

size_t pg_nparams(const pg_session *s) { return s && s->m ? s->m->nparams : 0; }

/* ==== one row's loss graph ================================================================= */

/* A growing string. */
typedef struct text {
    char *p;
    size_t len, cap;
    int nomem;
} text;

static void put(text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void put(text *t, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = t->nomem ? 0 : vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0,
                                         fmt, ap);
        va_end(ap);
        if (t->nomem || n < 0) return;
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap : 4096) * 2;
        while (cap < t->len + (size_t)n + 1) cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->nomem = 1;
            return;
        }
        t->p = p, t->cap = cap;
    }
}

/* A JSON string of s (labels are short and printable; anything else is escaped). */
static void put_string(text *t, const char *s) {
    put(t, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') put(t, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) put(t, "\\u%04x", c);
        else put(t, "%c", c);
    }
    put(t, "\"");
}

/* A JSON number: the shortest decimal that reads back the same (null when not finite). */
static void put_number(text *t, double x) {
    char buf[32];
    if (isfinite(x)) put(t, "%s", mg_fmt_repr(x, buf, sizeof buf));
    else put(t, "null");
}

static const char *role_name(mg_role r) {
    switch (r) {
    case MG_ROLE_LEAF: return "leaf";
    case MG_ROLE_PARAM: return "param";
    case MG_ROLE_INPUT: return "input";
    case MG_ROLE_CONST: return "const";
    default: return "op";
    }
}

/* The values loss depends on, in tape order, as JSON nodes. A power's constant exponent
 * is folded into its node's text as the DOT writer folds it. */
static int graph_json(pg_session *s, mg_value loss, text *t) {
    mg_ctx *ctx = s->ctx;
    size_t top = mg_index(ctx, loss), n = top + 1, count = 0;
    size_t *node = malloc(n * sizeof *node); /* tape index -> node number, or SIZE_MAX */
    if (!node) return pg__fail(s, "out of memory drawing a graph");
    for (size_t i = 0; i < n; i++) node[i] = SIZE_MAX;
    node[top] = 0;
    for (size_t i = top + 1; i-- > 0;) {
        if (node[i] == SIZE_MAX) continue;
        mg_value v = mg_at(ctx, i);
        size_t k = mg_noperands(ctx, v);
        if (mg_op_of(ctx, v) == MG_OP_POWC) k = 1;
        for (size_t j = 0; j < k; j++) node[mg_index(ctx, mg_operand(ctx, v, j))] = 0;
    }
    for (size_t i = 0; i < n; i++)
        if (node[i] != SIZE_MAX) node[i] = count++;
    put(t, "{\"loss\":%zu,\"nodes\":[", node[top]);
    for (size_t i = 0; i < n; i++) {
        if (node[i] == SIZE_MAX) continue;
        mg_value v = mg_at(ctx, i);
        mg_op op = mg_op_of(ctx, v);
        size_t k = mg_noperands(ctx, v);
        char sym[48];
        snprintf(sym, sizeof sym, "%s", mg_op_symbol(op));
        if (op == MG_OP_POWC) {
            char e[32];
            snprintf(sym, sizeof sym, "**%s", mg_fmt_repr(mg_data(ctx, mg_operand(ctx, v, 1)), e, sizeof e));
            k = 1;
        }
        put(t, "%s{\"op\":", node[i] ? "," : "");
        put_string(t, mg_op_name(op));
        put(t, ",\"text\":");
        put_string(t, op == MG_OP_LEAF ? "" : sym);
        put(t, ",\"label\":");
        put_string(t, mg_label(ctx, v));
        put(t, ",\"role\":\"%s\",\"data\":", role_name(mg_role_of(ctx, v)));
        put_number(t, mg_data(ctx, v));
        put(t, ",\"grad\":");
        put_number(t, mg_grad(ctx, v));
        put(t, ",\"in\":[");
        for (size_t j = 0; j < k; j++)
            put(t, "%s%zu", j ? "," : "", node[mg_index(ctx, mg_operand(ctx, v, j))]);
        put(t, "]}");
    }
    put(t, "]}");
    free(node);
    return t->nomem ? pg__fail(s, "out of memory drawing a graph") : 0;
}

/* The DOT text of the same graph, from the library's writer. */
static int graph_dot(pg_session *s, mg_value loss) {
    mg_graph_options opt;
    mg_graph_options_init(&opt);
    opt.max_nodes = 0;
    mg_err err = {0};
    size_t len = 0;
    if (mg_graph_format(s->ctx, loss, &opt, NULL, 0, &len, &err))
        return pg__fail(s, "%s", err.msg);
    free(s->dot);
    if (!(s->dot = malloc(len + 1))) return pg__fail(s, "out of memory drawing a graph");
    if (mg_graph_format(s->ctx, loss, &opt, s->dot, len + 1, NULL, &err))
        return pg__fail(s, "%s", err.msg);
    return 0;
}

/* Labels for a sample graph's inputs, made first in this order (mg_sample_loss): the
 * features x0, x1, ..., then the target as the loss takes it: y (bce: the class; hinge: -1
 * or +1) or the one-hot vector y[0], y[1], ... (ce). Labels are a picture's only: a label
 * that does not fit leaves the value unlabelled. */
static void name_inputs(mg_ctx *ctx, mg_mark from, size_t nfeat, mg_loss_kind kind) {
    size_t k = 0, end = mg_ctx_size(ctx);
    for (size_t i = from.nvalues; i < end; i++) {
        mg_value v = mg_at(ctx, i);
        if (mg_role_of(ctx, v) != MG_ROLE_INPUT) continue;
        char name[32];
        if (k < nfeat) snprintf(name, sizeof name, "x%zu", k);
        else if (kind == MG_LOSS_KIND_CE) snprintf(name, sizeof name, "y[%zu]", k - nfeat);
        else snprintf(name, sizeof name, "y");
        mg_set_label(ctx, v, name);
        k++;
    }
    mg_ctx_clear_status(ctx);
}

const char *pg_graph(pg_session *s, int which, size_t i) {
    if (!s) return NULL;
    if (!s->m) {
        pg__fail(s, "no model: reset first");
        return NULL;
    }
    const mg_dataset *d = which == PG_TRAIN || which == PG_VAL ? s->data[which] : NULL;
    if (!d || i >= d->n) {
        pg__fail(s, "no row %zu in the %s rows", i, which == PG_VAL ? "validation" : "training");
        return NULL;
    }
    mg_ctx *ctx = s->ctx;
    mg_mark mark = mg_ctx_mark(ctx);
    mg_value loss = mg_sample_loss(ctx, s->m, s->cfg.loss, s->cfg.subtract_max, d, i, NULL);
    text t = {NULL, 0, 0, 0};
    int bad = 0;
    if (!mg_ok(loss)) {
        bad = pg__fail(s, "out of memory building the graph (%s)", mg_ctx_errmsg(ctx));
        mg_ctx_clear_status(ctx);
    } else {
        name_inputs(ctx, mark, d->nfeat, s->cfg.loss);
        mg_mlp_zero_grad(ctx, s->m);
        mg_backward(ctx, loss);
        bad = graph_json(s, loss, &t) || graph_dot(s, loss);
        mg_mlp_zero_grad(ctx, s->m);
    }
    mg_ctx_reset(ctx, mark);
    if (bad) {
        free(t.p);
        return NULL;
    }
    free(s->graph);
    s->graph = t.p;
    return s->graph;
}

const char *pg_graph_dot(const pg_session *s) { return s && s->dot ? s->dot : ""; }
