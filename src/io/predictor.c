/* predictor.c - a saved model used as its training meant (micrograd.h section 14d): a raw
 * row standardised as the model's file says, the network run, and its outputs read as
 * the loss implies: a class, its label and probabilities, or a value in the target's
 * units. The `predict` command reads its outputs through the same decoding. */
#include "files_internal.h"

#include <math.h>

struct mg_predictor {
    mg_ctx *ctx;
    const mg_mlp *mlp;
    const mg_model_info *info; /* NULL: no standardisation, no classes */
    size_t nout, nclasses;
    int has_proba;             /* the outputs are logits: softmax (ce) or sigmoid (bce) */
    double *x;                 /* [nin] the row, standardised */
    double *out;               /* [nout] the network's outputs */
    double *values;            /* [nout] a regressor's outputs in the target's units */
    double *proba;             /* [nclasses] */
};

/* Why mlp and info do not go together, or NULL. */
static const char *mismatch(const mg_mlp *mlp, const mg_model_info *info, size_t nout) {
    if (!info) return NULL;
    if (info->standardize.nfeat && info->standardize.nfeat != mlp->nin)
        return "the standardisation is not of the model's inputs";
    if (info->nclasses == 1 || (info->nclasses && nout != info->nclasses &&
                                !(nout == 1 && info->nclasses == 2)))
        return "the outputs do not match the classes (one per class, or one for two)";
    if (info->nclasses && !info->class_names) return "the classes have no names";
    if (info->target_scale.nfeat && (info->nclasses || info->target_scale.nfeat != nout))
        return "the target scale is not one per output of a regressor";
    return NULL;
}

mg_predictor *mg_predictor_new(mg_ctx *ctx, const mg_mlp *mlp, const mg_model_info *info,
                               mg_err *err) {
    size_t nout = mg_mlp_nout(mlp);
    const char *why = mismatch(mlp, info, nout);
    if (why) {
        mg_err_set(err, MG_STATUS_INVALID, "cannot predict: %s", why);
        return NULL;
    }
    mg_predictor *p = mg__calloc(1, sizeof *p);
    size_t nc = info ? info->nclasses : 0;
    if (p) {
        p->x = mg__malloc(mg__mul_size(mlp->nin, sizeof *p->x));
        p->out = mg__malloc(mg__mul_size(nout, sizeof *p->out));
        p->values = mg__malloc(mg__mul_size(nout, sizeof *p->values));
        p->proba = mg__malloc(mg__mul_size(nc ? nc : 1, sizeof *p->proba));
    }
    if (!p || !p->x || !p->out || !p->values || !p->proba) {
        mg_predictor_free(p);
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
        return NULL;
    }
    p->ctx = ctx, p->mlp = mlp, p->info = info;
    p->nout = nout, p->nclasses = nc;
    p->has_proba = nc && !(info->has_loss && info->loss == MG_LOSS_KIND_HINGE);
    return p;
}

void mg_predictor_free(mg_predictor *p) {
    if (!p) return;
    mg__free(p->x);
    mg__free(p->out);
    mg__free(p->values);
    mg__free(p->proba);
    mg__free(p);
}

/* Class probabilities of the outputs: sigmoid for one output (class 1's, in the form that
 * does not overflow), else the softmax, shifted by the largest output. */
static void probabilities(const double *out, size_t nout, size_t nclasses, double *p) {
    if (nout == 1) {
        double z = out[0], e = exp(-fabs(z));
        p[1] = z >= 0 ? 1 / (1 + e) : e / (1 + e);
        p[0] = 1 - p[1];
        return;
    }
    double top = out[0], sum = 0;
    for (size_t k = 1; k < nout; k++) top = out[k] > top ? out[k] : top;
    for (size_t k = 0; k < nclasses; k++) sum += p[k] = exp(out[k] - top);
    for (size_t k = 0; k < nclasses; k++) p[k] /= sum;
}

void mg_predictor_decode(mg_predictor *p, const double *outputs, mg_prediction *pred) {
    if (outputs != p->out) memcpy(p->out, outputs, p->nout * sizeof *p->out);
    memset(pred, 0, sizeof *pred);
    pred->nout = p->nout;
    if (p->nclasses) {
        size_t best = 0;
        if (p->nout == 1) best = p->out[0] > 0;
        for (size_t k = 1; p->nout > 1 && k < p->nout; k++)
            if (p->out[k] > p->out[best]) best = k;
        pred->cls = best;
        pred->label = p->info->class_names[best];
        pred->value = NAN;
        pred->outputs = p->out;
        if (p->has_proba) probabilities(p->out, p->nout, p->nclasses, p->proba);
        pred->nproba = p->has_proba ? p->nclasses : 0;
        pred->proba = p->has_proba ? p->proba : NULL;
        return;
    }
    const mg_standardizer *t = p->info ? &p->info->target_scale : NULL;
    for (size_t k = 0; k < p->nout; k++)
        p->values[k] = t && t->nfeat ? p->out[k] * t->std[k] + t->mean[k] : p->out[k];
    pred->value = p->values[0];
    pred->outputs = p->values;
}

mg_status mg_predictor_run(mg_predictor *p, const double *x, mg_prediction *pred, mg_err *err) {
    memcpy(p->x, x, p->mlp->nin * sizeof *p->x);
    if (p->info) mg_standardizer_apply_row(&p->info->standardize, p->x);
    mg_status st = mg_mlp_predict(p->ctx, p->mlp, p->x, p->out, err);
    if (st == MG_STATUS_NOMEM) return st;
    mg_predictor_decode(p, p->out, pred);
    return st;
}
