/* fuzz_model.c - libFuzzer harness for model files (mg_model_load). The input is the file.
 * A file that loads is saved again and reloaded: the second model must have the same
 * architecture, bit-identical weights and the same info (the round trip the header
 * promises); anything else aborts. */
#include "fuzz_common.h"

#include <math.h>

#include "micrograd.h"

/* A model's bytes are its weights: past 1 MiB an input only repeats the copy loops. */
#define MAX_MODEL ((size_t)1 << 20)

static int same_number(double a, double b) {
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static int same_str(const char *a, const char *b) {
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void same_model(mg_ctx *c1, const mg_mlp *a, mg_ctx *c2, const mg_mlp *b) {
    FZ_CHECK(a->nin == b->nin && a->nlayers == b->nlayers && a->nparams == b->nparams,
             "architecture changed");
    for (size_t l = 0; l < a->nlayers; l++)
        FZ_CHECK(a->sizes[l] == b->sizes[l] && a->acts[l] == b->acts[l], "layer %zu changed", l);
    const double *p = mg_data_ptr(c1, a->first), *q = mg_data_ptr(c2, b->first);
    FZ_CHECK(!memcmp(p, q, a->nparams * sizeof *p), "weights changed in the round trip");
}

static void same_info(const mg_model_info *a, const mg_model_info *b) {
    FZ_CHECK(a->nclasses == b->nclasses && a->nfeat == b->nfeat, "class or feature count");
    for (size_t k = 0; k < a->nclasses; k++)
        FZ_CHECK(same_str(a->class_names[k], b->class_names[k]), "class %zu", k);
    for (size_t k = 0; k < a->nfeat; k++)
        FZ_CHECK(same_str(a->feature_names[k], b->feature_names[k]), "feature %zu", k);
    FZ_CHECK(same_str(a->target_name, b->target_name), "target");
    FZ_CHECK(a->has_loss == b->has_loss && (!a->has_loss || a->loss == b->loss), "loss");
    const mg_standardizer *s = &a->standardize, *t = &b->standardize;
    FZ_CHECK(s->nfeat == t->nfeat, "standardisation width");
    for (size_t j = 0; j < s->nfeat; j++)
        FZ_CHECK(same_number(s->mean[j], t->mean[j]) && same_number(s->std[j], t->std[j]),
                 "standardisation %zu", j);
    const mg_standardizer *ts = &a->target_scale, *tt = &b->target_scale;
    FZ_CHECK(ts->nfeat == tt->nfeat, "target scale width");
    for (size_t j = 0; j < ts->nfeat; j++)
        FZ_CHECK(same_number(ts->mean[j], tt->mean[j]) && same_number(ts->std[j], tt->std[j]),
                 "target scale %zu", j);
    FZ_CHECK(a->ndrop == b->ndrop, "dropped columns");
    for (size_t k = 0; k < a->ndrop; k++) FZ_CHECK(same_str(a->drop[k], b->drop[k]), "drop %zu", k);
    FZ_CHECK(a->nmetrics == b->nmetrics && a->nsettings == b->nsettings, "metric count");
    for (size_t k = 0; k < a->nmetrics; k++) {
        double v;
        FZ_CHECK(mg_model_info_metric(b, a->metrics[k].name, &v) &&
                     same_number(v, a->metrics[k].value),
                 "metric '%s'", a->metrics[k].name);
    }
    for (size_t k = 0; k < a->nsettings; k++)
        FZ_CHECK(same_str(mg_model_info_setting(b, a->settings[k].name), a->settings[k].value),
                 "setting '%s'", a->settings[k].name);
    /* a checkpoint's training state comes back whole */
    const mg_train_state *u = a->train_state, *w = b->train_state;
    FZ_CHECK(!u == !w, "training state lost or made up");
    if (!u) return;
    FZ_CHECK(u->step == w->step && u->epoch == w->epoch && u->pos == w->pos &&
                 u->nsamples == w->nsamples && u->optim_t == w->optim_t &&
                 u->nparams == w->nparams && u->rng.state == w->rng.state &&
                 u->rng.has_spare == w->rng.has_spare &&
                 (!u->rng.has_spare || same_number(u->rng.spare, w->rng.spare)),
             "training state counters");
    FZ_CHECK(!memcmp(u->order, w->order, u->nsamples * sizeof *u->order), "sample order");
    FZ_CHECK(!u->optim_m == !w->optim_m && !u->optim_v == !w->optim_v, "optimiser moments");
    for (size_t i = 0; i < u->nparams; i++)
        FZ_CHECK((!u->optim_m || same_number(u->optim_m[i], w->optim_m[i])) &&
                     (!u->optim_v || same_number(u->optim_v[i], w->optim_v[i])),
                 "moment %zu", i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_MODEL) return 0;
    const char *path = fz_path(0, "model.safetensors"), *again = fz_path(1, "again.safetensors");
    fz_write(path, data, size);
    mg_ctx *ctx = mg_ctx_new(), *ctx2 = mg_ctx_new();
    FZ_CHECK(ctx && ctx2, "out of memory");
    mg_model_info info, info2;
    mg_err err = {0};
    mg_mlp *m = mg_model_load(path, ctx, &info, &err), *m2 = NULL;
    if (fz_verbose()) fprintf(stderr, "%s\n", m ? "loaded" : err.msg);
    if (!m) {
        FZ_CHECK(err.status == MG_STATUS_FORMAT || err.status == MG_STATUS_NUMERIC ||
                     err.status == MG_STATUS_NOMEM,
                 "status %d: %s", (int)err.status, err.msg);
        FZ_CHECK(!strncmp(err.msg, path, strlen(path)), "message without the file: %s", err.msg);
        FZ_CHECK(mg_ctx_size(ctx) == 0, "a failed load left %zu values", mg_ctx_size(ctx));
        FZ_CHECK(info.nclasses == 0 && info.nmetrics == 0 && !info.target_name,
                 "a failed load left info filled");
    } else {
        mg_status st = mg_model_save(again, ctx, m, &info, &err);
        FZ_CHECK(st == MG_STATUS_OK, "a loaded model does not save: %s", err.msg);
        m2 = mg_model_load(again, ctx2, &info2, &err);
        FZ_CHECK(m2, "a saved model does not load: %s", err.msg);
        same_model(ctx, m, ctx2, m2);
        same_info(&info, &info2);
        mg_model_info_free(&info2);
    }
    mg_mlp_free(m);
    mg_mlp_free(m2);
    mg_model_info_free(&info);
    mg_ctx_free(ctx);
    mg_ctx_free(ctx2);
    return 0;
}
