/* model_save.c - saving a model file (micrograd.h section 14d): the metadata, the
 * tensors in the order mg__model_tensors gives, written atomically. */
#include "model_internal.h"

#include <math.h>
#include <stdio.h>

#ifndef MG_HAVE_JANSSON

mg_status mg_model_save(const char *path, const mg_ctx *ctx, const mg_mlp *mlp,
                        const mg_model_info *info, mg_err *err) {
    (void)ctx, (void)mlp, (void)info;
    return mg_err_set(err, MG_STATUS_UNSUPPORTED,
                      "%s: model files need jansson (install libjansson-dev and rebuild)", path);
}

#else

/* ==== saving ============================================================================ */

/* RFC 3629 UTF-8 (no overlongs, no surrogates, at most U+10FFFF): JSON text must be it. */
static int utf8_ok(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        unsigned n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : 9;
        if (n == 9 || (n == 1 && c < 0xc2)) return 0;
        uint32_t cp = n ? c & (0x3fu >> n) : c;
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3fu);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        p += n + 1;
    }
    return 1;
}

/* Checks that info's text can go into JSON; the message names the first that cannot. */
static mg_status check_texts(const char *path, const mg_model_info *info, mg_err *err) {
    const char *what = NULL;
    size_t which = 0;
    for (size_t k = 0; !what && k < info->nclasses; k++)
        if (!utf8_ok(info->class_names[k])) what = "class name", which = k + 1;
    for (size_t k = 0; !what && k < info->nfeat; k++)
        if (!utf8_ok(info->feature_names[k])) what = "feature name", which = k + 1;
    if (!what && info->target_name && !utf8_ok(info->target_name)) what = "target name", which = 1;
    for (size_t k = 0; !what && k < info->ndrop; k++)
        if (!utf8_ok(info->drop[k])) what = "dropped column", which = k + 1;
    for (size_t k = 0; !what && k < info->nmetrics; k++)
        if (!utf8_ok(info->metrics[k].name)) what = "metric name", which = k + 1;
    for (size_t k = 0; !what && k < info->nsettings; k++)
        if (!utf8_ok(info->settings[k].name) || !utf8_ok(info->settings[k].value))
            what = "setting", which = k + 1;
    if (what)
        return mg_err_set(err, MG_STATUS_INVALID, "%s: cannot save: %s %zu is not valid UTF-8",
                          path, what, which);
    return MG_STATUS_OK;
}

static json_t *string_list(char *const *v, size_t n) {
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

/* Sets meta[key] to val as compact JSON text (safetensors metadata values are strings);
 * takes val. Returns 0, or -1 when out of memory. */
static int set_json_text(json_t *meta, const char *key, json_t *val) {
    char *text = val ? json_dumps(val, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(val);
    int r = text ? json_object_set_new(meta, key, json_string(text)) : -1;
    if (text) mg__model_jfree(text);
    return r;
}

/* s as a JSON string at p (room for 6 bytes per byte of s, plus 2); returns the end. */
static char *put_json_string(char *p, const char *s) {
    *p++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') *p++ = '\\', *p++ = (char)c;
        else if (c < 0x20) p += sprintf(p, "\\u%04x", c);
        else *p++ = (char)c;
    }
    *p++ = '"';
    return p;
}

/* {"name": number} of the metrics as JSON text, each number in its shortest exact form
 * (jansson would write 17 digits); NaN and infinities, which JSON lacks, as null. NULL
 * when out of memory. */
static char *metrics_text(const mg_model_info *info) {
    size_t cap = 3;
    for (size_t k = 0; k < info->nmetrics; k++) cap += 6 * strlen(info->metrics[k].name) + 40;
    char *buf = mg__malloc(cap), *p = buf;
    if (!buf) return NULL;
    *p++ = '{';
    for (size_t k = 0; k < info->nmetrics; k++) {
        double v = info->metrics[k].value;
        if (k) *p++ = ',';
        p = put_json_string(p, info->metrics[k].name);
        *p++ = ':';
        if (isfinite(v)) mg_fmt_repr(v, p, 32);
        else strcpy(p, "null");
        p += strlen(p);
    }
    *p++ = '}';
    *p = '\0';
    return buf;
}

/* Sets meta["metrics"]; 0, or -1 when out of memory. */
static int set_metrics(json_t *meta, const mg_model_info *info) {
    char *text = metrics_text(info);
    int r = text ? json_object_set_new(meta, "metrics", json_string(text)) : -1;
    mg__free(text);
    return r;
}

static json_t *settings_object(const mg_model_info *info) {
    json_t *m = json_object();
    for (size_t k = 0; m && k < info->nsettings; k++)
        if (json_object_set_new(m, info->settings[k].name, json_string(info->settings[k].value))) {
            json_decref(m);
            m = NULL;
        }
    return m;
}

static json_t *metadata(const mg_mlp *mlp, const mg_model_info *info) {
    json_t *meta = json_object(), *sizes = json_array(), *acts = json_array();
    char nin[24];
    snprintf(nin, sizeof nin, "%zu", mlp->nin);
    int bad = !meta || !sizes || !acts;
    for (size_t l = 0; !bad && l < mlp->nlayers; l++)
        bad = json_array_append_new(sizes, json_integer((json_int_t)mlp->sizes[l])) ||
              json_array_append_new(acts, json_string(mg_act_name(mlp->acts[l])));
    bad = bad || json_object_set_new(meta, "format", json_string(FORMAT_NAME)) ||
          json_object_set_new(meta, "format_version",
                              json_string(info && info->target_scale.nfeat ? FORMAT_VERSION_TARGET
                                                                           : FORMAT_VERSION)) ||
          json_object_set_new(meta, "micrograd_version", json_string(MG_VERSION_STRING)) ||
          json_object_set_new(meta, "nin", json_string(nin));
    if (!bad) {
        bad = set_json_text(meta, "sizes", sizes) || set_json_text(meta, "activations", acts);
        sizes = acts = NULL;
    }
    int classify = info && info->nclasses;
    bad = bad || json_object_set_new(meta, "task", json_string(classify ? "classification"
                                                                         : "regression"));
    if (!bad && info) {
        if (info->nclasses)
            bad = set_json_text(meta, "classes", string_list(info->class_names, info->nclasses));
        if (!bad && info->nfeat)
            bad = set_json_text(meta, "features", string_list(info->feature_names, info->nfeat));
        if (!bad && info->target_name)
            bad = json_object_set_new(meta, "target", json_string(info->target_name));
        if (!bad && info->has_loss)
            bad = json_object_set_new(meta, "loss", json_string(mg_loss_kind_name(info->loss)));
        if (!bad && info->ndrop) bad = set_json_text(meta, "drop", string_list(info->drop, info->ndrop));
        if (!bad && info->nmetrics) bad = set_metrics(meta, info);
        if (!bad && info->nsettings) bad = set_json_text(meta, "settings", settings_object(info));
        if (!bad && info->train_state) {
            char *text = mg__state_text(info->train_state);
            bad = !text || json_object_set_new(meta, "train_state", json_string(text));
            if (text) mg__model_jfree(text);
        }
    }
    json_decref(sizes);
    json_decref(acts);
    if (bad) {
        json_decref(meta);
        return NULL;
    }
    return meta;
}

/* The JSON header: __metadata__ first, then each tensor's dtype, shape and offsets. */
static char *header_text(const mg_mlp *mlp, const mg_model_info *info, const tensor *t,
                         size_t nt) {
    json_t *root = json_object(), *meta = metadata(mlp, info);
    int bad = !root || !meta || json_object_set_new(root, "__metadata__", meta);
    if (!root) json_decref(meta);
    for (size_t i = 0; !bad && i < nt; i++) {
        json_t *shape = t[i].cols ? json_pack("[II]", (json_int_t)t[i].rows, (json_int_t)t[i].cols)
                                  : json_pack("[I]", (json_int_t)t[i].rows);
        json_t *e = json_pack("{s:s, s:o, s:[II]}", "dtype", "F64", "shape", shape,
                              "data_offsets", (json_int_t)t[i].begin, (json_int_t)t[i].end);
        bad = !e || json_object_set_new(root, t[i].name, e);
    }
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

/* A standardisation's means and stds must be finite and the stds > 0, as loading checks. */
static int scale_ok(const mg_standardizer *s) {
    for (size_t j = 0; j < s->nfeat; j++)
        if (!isfinite(s->mean[j]) || !(s->std[j] > 0) || !isfinite(s->std[j])) return 0;
    return 1;
}

/* Writes a standardisation's mean and std into the tensors t[0] and t[1]; returns 2. */
static size_t put_pair(unsigned char *data, const tensor *t, const mg_standardizer *s) {
    for (size_t j = 0; j < s->nfeat; j++) {
        put_f64(data + t[0].begin + 8 * j, s->mean[j]);
        put_f64(data + t[1].begin + 8 * j, s->std[j]);
    }
    return 2;
}

/* Copies the parameters into the tensors' layout, checking they are finite. */
static mg_status gather(const char *path, const mg_ctx *ctx, const mg_mlp *mlp, const tensor *t,
                        unsigned char *data, mg_err *err) {
    size_t in = mlp->nin, k = 0;
    for (size_t l = 0; l < mlp->nlayers; l++) {
        unsigned char *w = data + t[2 * l].begin, *b = data + t[2 * l + 1].begin;
        for (size_t j = 0; j < mlp->sizes[l]; j++) {
            for (size_t i = 0; i <= in; i++, k++) {
                double x = mg_data(ctx, mlp->params[k]);
                if (!isfinite(x))
                    return mg_err_set(err, MG_STATUS_NUMERIC,
                                      "%s: cannot save: parameter %zu (layer %zu, neuron %zu, %s) "
                                      "is %g",
                                      path, k, l, j, i < in ? "a weight" : "the bias", x);
                put_f64(i < in ? w + 8 * (j * in + i) : b + 8 * j, x);
            }
        }
        in = mlp->sizes[l];
    }
    return MG_STATUS_OK;
}

mg_status mg_model_save(const char *path, const mg_ctx *ctx, const mg_mlp *mlp,
                        const mg_model_info *info, mg_err *err) {
    MG_ASSERT(mlp && mlp->nlayers >= 1 && mlp->nlayers <= MG_MLP_MAX_LAYERS, "not a model");
    const char *why = mg__model_head_problem(mlp->sizes[mlp->nlayers - 1], info);
    if (why) return mg_err_set(err, MG_STATUS_INVALID, "%s: cannot save: %s", path, why);
    if (info && info->nfeat && info->nfeat != mlp->nin)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "%s: cannot save: %zu feature names for %zu inputs", path, info->nfeat,
                          mlp->nin);
    int std = info && info->standardize.nfeat, target = info && info->target_scale.nfeat;
    if (std && info->standardize.nfeat != mlp->nin)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "%s: cannot save: a standardisation of %zu features for %zu inputs",
                          path, info->standardize.nfeat, mlp->nin);
    if ((std && !scale_ok(&info->standardize)) || (target && !scale_ok(&info->target_scale)))
        return mg_err_set(err, MG_STATUS_INVALID,
                          "%s: cannot save: a standardisation with a mean that is not finite or "
                          "a std that is not > 0", path);
    if (info && check_texts(path, info, err)) return MG_STATUS_INVALID;
    const mg_train_state *ts = info ? info->train_state : NULL;
    if (ts && ts->nparams != mlp->nparams)
        return mg_err_set(err, MG_STATUS_INVALID,
                          "%s: cannot save: a training state of %zu parameters for %zu", path,
                          ts->nparams, mlp->nparams);
    state_shape ss = {ts != NULL, ts && ts->optim_m, ts && ts->optim_v, ts ? ts->nparams : 0,
                      ts ? ts->nsamples : 0};

    tensor t[MAX_TENSORS];
    size_t nt = mg__model_tensors(mlp->nin, mlp->nlayers, mlp->sizes, std, target, &ss, t);
    size_t datalen = t[nt - 1].end;
    char *head = header_text(mlp, info, t, nt);
    if (!head) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", path);
    size_t hlen = strlen(head), padded = (hlen + 7) / 8 * 8;
    size_t total = 8 + padded + datalen;
    unsigned char *buf = mg__malloc(total);
    if (!buf) {
        mg__model_jfree(head);
        return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", path);
    }
    put_u64(buf, padded);
    memcpy(buf + 8, head, hlen);
    memset(buf + 8 + hlen, ' ', padded - hlen); /* safetensors pads with spaces */
    mg__model_jfree(head);
    unsigned char *data = buf + 8 + padded;
    mg_status st = gather(path, ctx, mlp, t, data, err);
    size_t k = 2 * mlp->nlayers;
    if (!st && std) k += put_pair(data, t + k, &info->standardize);
    if (!st && target) k += put_pair(data, t + k, &info->target_scale);
    if (!st && ts) {
        if (ts->optim_m)
            for (size_t j = 0; j < ts->nparams; j++) put_f64(data + t[k].begin + 8 * j, ts->optim_m[j]);
        k += ts->optim_m != NULL;
        if (ts->optim_v)
            for (size_t j = 0; j < ts->nparams; j++) put_f64(data + t[k].begin + 8 * j, ts->optim_v[j]);
        k += ts->optim_v != NULL;
        for (size_t j = 0; j < ts->nsamples; j++)
            put_f64(data + t[k].begin + 8 * j, (double)ts->order[j]);
    }
    if (!st) st = mg_file_write(path, buf, total, err);
    mg__free(buf);
    return st;
}

#endif /* MG_HAVE_JANSSON */
