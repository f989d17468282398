/* mlp.c - neurons, layers and MLPs on the engine. A neuron is one mg_dot value and one
 * activation value, so the graph stays small and the hot loop is dense; an MLP's
 * parameters are one contiguous span of the tape (zero_grad is a memset, optimisers are
 * flat loops). Predictions: one row eagerly, many rows through a recorded forward pass
 * (the fast path, section 9). */
#include "nn_internal.h"

#include <math.h>
#include <stdio.h>

/* ==== activations ======================================================================= */

static const char *const act_names[] = {
    [MG_ACT_LINEAR] = "linear",
    [MG_ACT_RELU] = "relu",
    [MG_ACT_TANH] = "tanh",
    [MG_ACT_SIGMOID] = "sigmoid",
};

const char *mg_act_name(mg_act act) {
    return mg__name_of(act_names, MG__COUNT(act_names), (unsigned)act);
}

int mg_act_parse(const char *s, mg_act *act) {
    int i = mg__name_find(act_names, MG__COUNT(act_names), s);
    if (i >= 0) *act = (mg_act)i;
    return i >= 0;
}

mg_value mg_act_apply(mg_ctx *ctx, mg_act act, mg_value v) {
    switch (act) {
    case MG_ACT_LINEAR: return v;
    case MG_ACT_RELU: return mg_relu(ctx, v);
    case MG_ACT_TANH: return mg_tanh(ctx, v);
    case MG_ACT_SIGMOID: return mg_sigmoid(ctx, v);
    }
    MG_ASSERT(0, "unknown activation");
    return MG_NULL;
}

mg_value mg_neuron(mg_ctx *ctx, mg_value b, size_t nin, const mg_value *w, const mg_value *x,
                   mg_act act) {
    return mg_act_apply(ctx, act, mg_dot(ctx, b, nin, w, x));
}

/* ==== construction ====================================================================== */

size_t mg_mlp_count_params(size_t nin, size_t nlayers, const size_t *sizes) {
    size_t total = 0, in = nin;
    if (nin == 0 || nlayers == 0) return 0;
    for (size_t l = 0; l < nlayers; l++) {
        if (sizes[l] == 0 || in == SIZE_MAX) return 0;
        size_t layer = mg__mul_size(in + 1, sizes[l]);
        if (layer == SIZE_MAX || total > SIZE_MAX - layer) return 0;
        total += layer;
        in = sizes[l];
    }
    return total;
}

/* Inputs of layer l. */
static size_t layer_nin(const mg_mlp *m, size_t l) { return l == 0 ? m->nin : m->sizes[l - 1]; }

void mg_mlp_free(mg_mlp *m) {
    if (!m) return;
    mg__free(m->sizes);
    mg__free(m->acts);
    mg__free(m->params);
    mg__free(m);
}

/* Allocates the model's arrays (not its values). NULL when out of memory. */
static mg_mlp *mlp_alloc(size_t nin, size_t nlayers, const size_t *sizes, size_t nparams) {
    mg_mlp *m = mg__calloc(1, sizeof *m);
    if (!m) return NULL;
    m->nin = nin;
    m->nlayers = nlayers;
    m->nparams = nparams;
    m->sizes = mg__malloc(mg__mul_size(nlayers, sizeof *m->sizes));
    m->acts = mg__malloc(mg__mul_size(nlayers, sizeof *m->acts));
    m->params = mg__malloc(mg__mul_size(nparams, sizeof *m->params));
    if (!m->sizes || !m->acts || !m->params) {
        mg_mlp_free(m);
        return NULL;
    }
    memcpy(m->sizes, sizes, nlayers * sizeof *sizes);
    return m;
}

mg_mlp *mg_mlp_new(mg_ctx *ctx, size_t nin, size_t nlayers, const size_t *sizes,
                   const mg_act *acts, mg_init init, mg_rng *rng, mg_err *err) {
    if (nlayers == 0 || nlayers > MG_MLP_MAX_LAYERS) {
        mg_err_set(err, MG_STATUS_INVALID, "an MLP needs 1 to %d layers, got %zu",
                   MG_MLP_MAX_LAYERS, nlayers);
        return NULL;
    }
    if (nin == 0) {
        mg_err_set(err, MG_STATUS_INVALID, "an MLP needs at least 1 input");
        return NULL;
    }
    for (size_t l = 0; l < nlayers; l++) {
        if (sizes[l] == 0) {
            mg_err_set(err, MG_STATUS_INVALID, "layer %zu of the MLP has 0 neurons", l);
            return NULL;
        }
        if (acts && (unsigned)acts[l] >= MG__COUNT(act_names)) {
            mg_err_set(err, MG_STATUS_INVALID, "layer %zu has an unknown activation (%d)", l,
                       (int)acts[l]);
            return NULL;
        }
    }
    if (init != MG_INIT_UNIFORM && init != MG_INIT_SCALED) {
        mg_err_set(err, MG_STATUS_INVALID, "unknown initialiser (%d)", (int)init);
        return NULL;
    }
    size_t nparams = mg_mlp_count_params(nin, nlayers, sizes);
    if (nparams == 0 || nparams >= UINT32_MAX) {
        mg_err_set(err, MG_STATUS_NOMEM, "an MLP of this size has too many parameters");
        return NULL;
    }
    mg_mlp *m = mlp_alloc(nin, nlayers, sizes, nparams);
    if (!m) {
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory for an MLP of %zu parameters", nparams);
        return NULL;
    }
    for (size_t l = 0; l < nlayers; l++)
        m->acts[l] = acts ? acts[l] : (l + 1 < nlayers ? MG_ACT_RELU : MG_ACT_LINEAR);
    if (!rng) rng = mg_ctx_rng(ctx);

    /* Weights and biases are made in one pass, in span order; a failure part way drops
     * everything made so far, so a caller never sees half a model on its tape. */
    mg_mark mark = mg_ctx_mark(ctx);
    size_t p = 0;
    char label[64];
    for (size_t l = 0; l < nlayers; l++) {
        size_t in = layer_nin(m, l);
        double scale = init == MG_INIT_SCALED ? pow((double)in, -0.5) : 1.0;
        for (size_t j = 0; j < sizes[l]; j++) {
            for (size_t k = 0; k <= in; k++) {
                double x = 0.0;
                if (k < in) {
                    x = mg_rng_uniform(rng, -1.0, 1.0);
                    if (init == MG_INIT_SCALED) x *= scale;
                    snprintf(label, sizeof label, "L%zu.N%zu.w%zu", l, j, k);
                } else {
                    snprintf(label, sizeof label, "L%zu.N%zu.b", l, j);
                }
                mg_value v = mg_leaf_ex(ctx, x, MG_ROLE_PARAM, label);
                if (!mg_ok(v)) goto nomem;
                m->params[p++] = v;
            }
        }
    }
    m->first = m->params[0];
    return m;
nomem:
    mg_err_set(err, MG_STATUS_NOMEM, "out of memory making the MLP's %zu parameters (%s)",
               nparams, mg_ctx_errmsg(ctx));
    mg_ctx_reset(ctx, mark);
    mg_mlp_free(m);
    return NULL;
}

size_t mg_mlp_nout(const mg_mlp *m) { return m->sizes[m->nlayers - 1]; }

size_t mg_mlp_neuron_offset(const mg_mlp *m, size_t l, size_t j) {
    MG_ASSERT(l < m->nlayers && j < m->sizes[l], "neuron out of range");
    size_t off = 0;
    for (size_t i = 0; i < l; i++) off += (layer_nin(m, i) + 1) * m->sizes[i];
    return off + j * (layer_nin(m, l) + 1);
}

/* ==== forward =========================================================================== */

/* The neurons of layer l start at parameter `off`; each is nin weights then its bias. */
static int layer_at(mg_ctx *ctx, const mg_mlp *m, size_t l, size_t off, const mg_value *x,
                    mg_value *out) {
    size_t in = layer_nin(m, l);
    for (size_t j = 0; j < m->sizes[l]; j++, off += in + 1) {
        out[j] = mg_neuron(ctx, m->params[off + in], in, m->params + off, x, m->acts[l]);
        if (!mg_ok(out[j])) return 0;
    }
    return 1;
}

int mg_layer_forward(mg_ctx *ctx, const mg_mlp *m, size_t l, const mg_value *x, mg_value *out) {
    return layer_at(ctx, m, l, mg_mlp_neuron_offset(m, l, 0), x, out);
}

size_t mg__mlp_work(const mg_mlp *m) {
    size_t widest = 0;
    for (size_t l = 0; l + 1 < m->nlayers; l++)
        if (m->sizes[l] > widest) widest = m->sizes[l];
    return 2 * widest;
}

int mg__mlp_forward(mg_ctx *ctx, const mg_mlp *m, const mg_value *x, mg_value *out,
                    mg_value *work) {
    /* Hidden activations ping-pong between the two halves of work; the last layer writes
     * straight into out. */
    size_t half = mg__mlp_work(m) / 2, off = 0;
    const mg_value *in = x;
    for (size_t l = 0; l < m->nlayers; l++) {
        mg_value *dst = l + 1 == m->nlayers ? out : work + (l % 2) * half;
        if (!layer_at(ctx, m, l, off, in, dst)) return 0;
        off += (layer_nin(m, l) + 1) * m->sizes[l];
        in = dst;
    }
    return 1;
}

int mg_mlp_forward(mg_ctx *ctx, const mg_mlp *m, const mg_value *x, mg_value *out) {
    mg__handles t;
    mg_value *work = mg__handles_get(ctx, &t, mg__mlp_work(m), "a forward pass");
    int ok = work && mg__mlp_forward(ctx, m, x, out, work);
    mg__handles_free(&t);
    return ok;
}

/* ==== predicting ======================================================================== */

/* Handles a forward pass of numbers needs: its inputs, its outputs, the hidden layers. */
static size_t forward_handles(const mg_mlp *m) {
    return m->nin + mg_mlp_nout(m) + mg__mlp_work(m);
}

/* Inputs of x[m->nin] (all 0 when x is NULL) into h[0 .. nin-1] and the forward pass on
 * them into h[nin .. nin+nout-1], the rest of h[forward_handles(m)] its scratch. 1, or 0
 * when out of memory. */
static int forward_numbers(mg_ctx *ctx, const mg_mlp *m, const double *x, mg_value *h) {
    for (size_t k = 0; k < m->nin; k++)
        if (!mg_ok(h[k] = mg_input(ctx, x ? x[k] : 0.0))) return 0;
    return mg__mlp_forward(ctx, m, h, h + m->nin, h + m->nin + mg_mlp_nout(m));
}

mg_status mg_mlp_predict(mg_ctx *ctx, const mg_mlp *m, const double *x, double *out,
                         mg_err *err) {
    size_t nout = mg_mlp_nout(m);
    mg_mark mark = mg_ctx_mark(ctx);
    mg__handles t;
    mg_value *h = mg__handles_get(ctx, &t, forward_handles(m), "a forward pass");
    int ok = h && forward_numbers(ctx, m, x, h), finite = 1;
    for (size_t k = 0; ok && k < nout; k++) {
        out[k] = mg_data(ctx, h[m->nin + k]);
        if (!isfinite(out[k])) finite = 0;
    }
    mg_status st = MG_STATUS_OK;
    if (!ok)
        st = mg_err_set(err, MG_STATUS_NOMEM, "out of memory in a forward pass (%s)",
                        mg_ctx_errmsg(ctx));
    else if (!finite)
        st = mg_err_set(err, MG_STATUS_NUMERIC, "the model's output is not finite");
    mg_ctx_reset(ctx, mark);
    mg__handles_free(&t);
    return st;
}

mg_status mg_mlp_predict_rows(mg_ctx *ctx, const mg_mlp *m, size_t n, const double *x,
                              double *out, int threads, mg_err *err) {
    enum { BLOCK = 256 }; /* rows per replay */
    if (n == 0) return MG_STATUS_OK;
    size_t nout = mg_mlp_nout(m);
    /* One row's forward pass, recorded with its inputs as the slots. */
    mg_mark mark = mg_ctx_mark(ctx);
    mg__handles t;
    mg_value *h = mg__handles_get(ctx, &t, forward_handles(m), "a forward pass");
    mg_compiled *tape = NULL;
    mg_err ce;
    if (h && forward_numbers(ctx, m, NULL, h))
        tape = mg_compile(ctx, MG_NULL, m->nin, h, nout, h + m->nin, &ce);
    else
        mg_err_set(&ce, MG_STATUS_NOMEM, "out of memory recording a forward pass (%s)",
                   mg_ctx_errmsg(ctx));
    mg_ctx_reset(ctx, mark);
    mg__handles_free(&t);
    if (!tape) return mg__err_forward(err, &ce);
    mg_compiled_set_threads(tape, mg__threads(threads));
    mg_status st = MG_STATUS_OK;
    for (size_t r0 = 0; r0 < n && !st; r0 += BLOCK) {
        size_t rows = n - r0 < BLOCK ? n - r0 : BLOCK;
        st = mg_compiled_forward(tape, rows, x + r0 * m->nin, NULL, out + r0 * nout, err);
    }
    mg_compiled_free(tape);
    if (st) return st;
    for (size_t i = 0; i < n * nout; i++)
        if (!isfinite(out[i]))
            return mg_err_set(err, MG_STATUS_NUMERIC, "row %zu: the model's output is not finite",
                              i / nout);
    return MG_STATUS_OK;
}

void mg_mlp_zero_grad(mg_ctx *ctx, const mg_mlp *m) {
    mg_zero_grad_span(ctx, m->first, m->nparams);
}
