/* model_io.c - model files in the safetensors format (micrograd.h section 14d): the
 * tensor list, and a load that checks the whole file before it trusts any of it (saving
 * is in model_save.c). */
#include "model_internal.h"

#include <math.h>
#include <stdio.h>

int mg_model_files_available(void) {
#ifdef MG_HAVE_JANSSON
    return 1;
#else
    return 0;
#endif
}

#ifndef MG_HAVE_JANSSON

mg_mlp *mg_model_load(const char *path, mg_ctx *ctx, mg_model_info *info, mg_err *err) {
    (void)ctx;
    if (info) mg_model_info_init(info);
    mg_err_set(err, MG_STATUS_UNSUPPORTED,
               "%s: model files need jansson (install libjansson-dev and rebuild)", path);
    return NULL;
}

#else

/* ==== the tensor list, shared by save and load =========================================== */

void mg__model_jfree(void *p) {
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    f(p);
}

size_t mg__model_tensors(size_t nin, size_t nlayers, const size_t *sizes, int standardize,
                         int target_scale, const state_shape *ss, tensor *t) {
    size_t k = 0, in = nin, off = 0;
    for (size_t l = 0; l < nlayers; l++) {
        snprintf(t[k].name, sizeof t[k].name, "layers.%zu.weight", l);
        t[k].rows = sizes[l], t[k].cols = in;
        snprintf(t[k + 1].name, sizeof t[k + 1].name, "layers.%zu.bias", l);
        t[k + 1].rows = sizes[l], t[k + 1].cols = 0;
        in = sizes[l];
        k += 2;
    }
    if (standardize) {
        snprintf(t[k].name, sizeof t[k].name, "standardize.mean");
        snprintf(t[k + 1].name, sizeof t[k + 1].name, "standardize.std");
        t[k].rows = t[k + 1].rows = nin;
        t[k].cols = t[k + 1].cols = 0;
        k += 2;
    }
    if (target_scale) {
        snprintf(t[k].name, sizeof t[k].name, "target.mean");
        snprintf(t[k + 1].name, sizeof t[k + 1].name, "target.std");
        t[k].rows = t[k + 1].rows = sizes[nlayers - 1];
        t[k].cols = t[k + 1].cols = 0;
        k += 2;
    }
    static const char *const names[3] = {"optim.m", "optim.v", "train.order"};
    for (int a = 0; ss->on && a < 3; a++) {
        if ((a == 0 && !ss->m) || (a == 1 && !ss->v)) continue;
        snprintf(t[k].name, sizeof t[k].name, "%s", names[a]);
        t[k].rows = a < 2 ? ss->nparams : ss->nsamples, t[k].cols = 0;
        k++;
    }
    for (size_t i = 0; i < k; i++) {
        t[i].begin = off;
        off += (t[i].cols ? t[i].rows * t[i].cols : t[i].rows) * 8;
        t[i].end = off;
    }
    return k;
}

const char *mg__model_head_problem(size_t nout, const mg_model_info *info) {
    size_t nc = info ? info->nclasses : 0;
    if (nc == 1) return "a classifier needs at least 2 classes";
    if (nc && nout != nc && !(nout == 1 && nc == 2))
        return "the outputs do not match the classes (one per class, or one for two)";
    if (info && info->target_scale.nfeat && (nc || info->target_scale.nfeat != nout))
        return "a target scale is for a regressor, one per output";
    if (!info || !info->has_loss) return NULL;
    switch (info->loss) {
    case MG_LOSS_KIND_MSE: return nc || nout != 1 ? "an MSE model is a regressor with one output" : NULL;
    case MG_LOSS_KIND_BCE:
    case MG_LOSS_KIND_HINGE:
        return nc != 2 || nout != 1 ? "a BCE or hinge model has one output for 2 classes" : NULL;
    case MG_LOSS_KIND_CE: return nc < 2 || nout != nc ? "a CE model has one output per class" : NULL;
    }
    return "unknown loss";
}

/* ==== loading: checks ==================================================================== */

/* What the file says, checked piece by piece. */
typedef struct model_file {
    const char *path;
    const unsigned char *data; /* the data section */
    size_t datalen;
    json_t *root, *meta;
    size_t nin, nlayers;
    size_t sizes[MG_MLP_MAX_LAYERS];
    mg_act acts[MG_MLP_MAX_LAYERS];
    tensor found[MAX_TENSORS]; /* tensors named in the header */
    size_t nfound;
    int state;  /* 1: a checkpoint's training state is in the file */
    int target; /* 1: a target scale is in the file */
} model_file;

/* A format error; every function using it has `mg_err *err`. */
#define BAD(...) mg_err_set(err, MG_STATUS_FORMAT, __VA_ARGS__)

static int by_begin(const void *a, const void *b) {
    const tensor *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

/* A JSON integer in [0, max]. */
static int json_size(const json_t *j, size_t max, size_t *out) {
    if (!json_is_integer(j) || json_integer_value(j) < 0 ||
        (uint64_t)json_integer_value(j) > (uint64_t)max)
        return 0;
    *out = (size_t)json_integer_value(j);
    return 1;
}

/* One tensor entry: dtype F64, a shape of 1 or 2 sizes whose bytes match its offsets,
 * offsets inside the data section. */
static mg_status check_entry(model_file *mf, const char *key, json_t *e, mg_err *err) {
    char q[64];
    const char *name = mg__files_quote(key, q, sizeof q);
    if (mf->nfound == MAX_TENSORS || strlen(key) >= sizeof mf->found[0].name)
        return BAD("%s: unexpected tensor '%s'", mf->path, name);
    if (!json_is_object(e)) return BAD("%s: tensor '%s' is not a JSON object", mf->path, name);
    json_t *dtype = json_object_get(e, "dtype"), *shape = json_object_get(e, "shape");
    json_t *offs = json_object_get(e, "data_offsets");
    if (!json_is_string(dtype)) return BAD("%s: tensor '%s' has no dtype", mf->path, name);
    if (strcmp(json_string_value(dtype), "F64")) {
        char dq[24];
        return BAD("%s: tensor '%s' has dtype %s; micrograd models are F64", mf->path, name,
                   mg__files_quote(json_string_value(dtype), dq, sizeof dq));
    }
    tensor *t = &mf->found[mf->nfound++];
    memset(t, 0, sizeof *t);
    memcpy(t->name, key, strlen(key) + 1);
    size_t nd = json_is_array(shape) ? json_array_size(shape) : 0;
    if (nd < 1 || nd > 2 || !json_size(json_array_get(shape, 0), SIZE_MAX, &t->rows) ||
        (nd == 2 && (!json_size(json_array_get(shape, 1), SIZE_MAX, &t->cols) || !t->cols)))
        return BAD("%s: tensor '%s' has a bad shape (expected [rows] or [rows, cols])", mf->path,
                   name);
    if (!json_is_array(offs) || json_array_size(offs) != 2 ||
        !json_size(json_array_get(offs, 0), SIZE_MAX, &t->begin) ||
        !json_size(json_array_get(offs, 1), SIZE_MAX, &t->end) || t->begin > t->end)
        return BAD("%s: tensor '%s' has bad data_offsets (expected [begin, end])", mf->path, name);
    if (t->end > mf->datalen)
        return BAD("%s: tensor '%s' ends at byte %zu, past the data's %zu bytes", mf->path, name,
                   t->end, mf->datalen);
    size_t bytes = mg__mul_size(mg__mul_size(t->rows, nd == 2 ? t->cols : 1), 8);
    if (bytes != t->end - t->begin)
        return BAD("%s: tensor '%s': its shape needs %zu bytes, its offsets give %zu", mf->path,
                   name, bytes, t->end - t->begin);
    return MG_STATUS_OK;
}

/* Every entry, then, sorted by offset: no gap, no overlap, and the last one ending where
 * the file ends. */
static mg_status check_tensors(model_file *mf, mg_err *err) {
    const char *key;
    json_t *e;
    json_object_foreach(mf->root, key, e) {
        if (strcmp(key, "__metadata__") && check_entry(mf, key, e, err)) return MG_STATUS_FORMAT;
    }
    tensor sorted[MAX_TENSORS];
    memcpy(sorted, mf->found, mf->nfound * sizeof *sorted);
    qsort(sorted, mf->nfound, sizeof *sorted, by_begin);
    size_t at = 0;
    for (size_t i = 0; i < mf->nfound; i++) {
        if (sorted[i].begin < at)
            return BAD("%s: tensors '%s' and '%s' overlap", mf->path, sorted[i - 1].name,
                       sorted[i].name);
        if (sorted[i].begin > at)
            return BAD("%s: a gap of %zu bytes before tensor '%s' (safetensors data is "
                       "contiguous)",
                       mf->path, sorted[i].begin - at, sorted[i].name);
        at = sorted[i].end;
    }
    if (at != mf->datalen)
        return BAD("%s: %zu bytes after the last tensor", mf->path, mf->datalen - at);
    return MG_STATUS_OK;
}

/* meta[key] as a string; NULL when absent (an error when required) or not a string. */
static const char *meta_str(model_file *mf, const char *key, int required, mg_err *err,
                            int *bad) {
    json_t *v = mf->meta ? json_object_get(mf->meta, key) : NULL;
    if (!v) {
        if (required) {
            *bad = 1;
            BAD("%s: no '%s' in the metadata%s", mf->path, key,
                strcmp(key, "format") ? "" : " (not a micrograd model?)");
        }
        return NULL;
    }
    if (!json_is_string(v)) {
        *bad = 1;
        BAD("%s: metadata '%s' is not a string", mf->path, key);
        return NULL;
    }
    return json_string_value(v);
}

/* A metadata string holding JSON of the given type (JSON_ARRAY or JSON_OBJECT); the
 * caller releases it. NULL when absent, or with *bad set and err filled. */
static json_t *meta_json(model_file *mf, const char *key, json_type type, int required,
                         mg_err *err, int *bad) {
    const char *s = meta_str(mf, key, required, err, bad);
    if (!s) return NULL;
    json_error_t je;
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES, &je);
    if (!j || json_typeof(j) != type) {
        json_decref(j);
        *bad = 1;
        BAD("%s: metadata '%s' is not a JSON %s", mf->path, key,
            type == JSON_ARRAY ? "list" : "object");
        return NULL;
    }
    return j;
}

/* A positive whole number written in decimal digits only. */
static int parse_count(const char *s, size_t max, size_t *out) {
    size_t v = 0;
    if (!*s) return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (size_t)(*s - '0')) / 10) return 0;
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return v > 0;
}

/* nin, sizes and activations: the architecture every tensor is checked against. */
static mg_status check_architecture(model_file *mf, mg_err *err) {
    int bad = 0;
    const char *fmt = meta_str(mf, "format", 1, err, &bad);
    if (bad) return MG_STATUS_FORMAT;
    if (strcmp(fmt, FORMAT_NAME))
        return BAD("%s: not a micrograd model (format '%.40s')", mf->path, fmt);
    const char *ver = meta_str(mf, "format_version", 1, err, &bad);
    if (bad) return MG_STATUS_FORMAT;
    if (strcmp(ver, FORMAT_VERSION) && strcmp(ver, FORMAT_VERSION_TARGET))
        return BAD("%s: format version '%.20s'; this build reads versions %s and %s", mf->path,
                   ver, FORMAT_VERSION, FORMAT_VERSION_TARGET);
    const char *nin = meta_str(mf, "nin", 1, err, &bad);
    if (bad) return MG_STATUS_FORMAT;
    if (!parse_count(nin, 1000000000, &mf->nin))
        return BAD("%s: metadata 'nin' is not a positive whole number", mf->path);
    json_t *sizes = meta_json(mf, "sizes", JSON_ARRAY, 1, err, &bad);
    json_t *acts = bad ? NULL : meta_json(mf, "activations", JSON_ARRAY, 1, err, &bad);
    mg_status st = bad ? MG_STATUS_FORMAT : MG_STATUS_OK;
    size_t n = json_array_size(sizes);
    if (!st && (n < 1 || n > MG_MLP_MAX_LAYERS))
        st = BAD("%s: %zu layers (1 to %d)", mf->path, n, MG_MLP_MAX_LAYERS);
    else if (!st && json_array_size(acts) != n)
        st = BAD("%s: %zu layer sizes but %zu activations", mf->path, n, json_array_size(acts));
    for (size_t l = 0; !st && l < n; l++) {
        json_t *a = json_array_get(acts, l);
        if (!json_size(json_array_get(sizes, l), 1000000000, &mf->sizes[l]) || !mf->sizes[l])
            st = BAD("%s: layer %zu's size is not a positive whole number", mf->path, l);
        else if (!json_is_string(a) || !mg_act_parse(json_string_value(a), &mf->acts[l]))
            st = BAD("%s: layer %zu's activation is not one of linear, relu, tanh, sigmoid",
                     mf->path, l);
    }
    json_decref(sizes);
    json_decref(acts);
    if (st) return st;
    mf->nlayers = n;
    if (!mg_mlp_count_params(mf->nin, mf->nlayers, mf->sizes))
        return BAD("%s: the architecture is too large", mf->path);
    return MG_STATUS_OK;
}

/* The tensors named in the file must be exactly the model's, with the model's shapes;
 * want gets them with the offsets the file gives. */
static mg_status match_tensors(model_file *mf, tensor *want, size_t *nwant, mg_err *err) {
    int std = 0, target = 0;
    state_shape ss = {0, 0, 0, mg_mlp_count_params(mf->nin, mf->nlayers, mf->sizes), 0};
    for (size_t i = 0; i < mf->nfound; i++) {
        const tensor *f = &mf->found[i];
        std |= !strncmp(f->name, "standardize.", 12);
        target |= !strncmp(f->name, "target.", 7);
        ss.m |= !strcmp(f->name, "optim.m");
        ss.v |= !strcmp(f->name, "optim.v");
        if (!strcmp(f->name, "train.order")) ss.on = 1, ss.nsamples = f->rows;
    }
    if (!ss.on && (ss.m || ss.v)) return BAD("%s: optimiser state without train.order", mf->path);
    mf->state = ss.on;
    mf->target = target;
    *nwant = mg__model_tensors(mf->nin, mf->nlayers, mf->sizes, std, target, &ss, want);
    for (size_t k = 0; k < *nwant; k++) {
        size_t i = 0;
        while (i < mf->nfound && strcmp(mf->found[i].name, want[k].name)) i++;
        if (i == mf->nfound) return BAD("%s: tensor '%s' is missing", mf->path, want[k].name);
    }
    for (size_t i = 0; i < mf->nfound; i++) {
        const tensor *f = &mf->found[i];
        size_t k = 0;
        while (k < *nwant && strcmp(f->name, want[k].name)) k++;
        if (k == *nwant) return BAD("%s: unexpected tensor '%s'", mf->path, f->name);
        if (f->rows != want[k].rows || f->cols != want[k].cols) {
            char a[48], b[48];
            snprintf(a, sizeof a, want[k].cols ? "[%zu, %zu]" : "[%zu]", want[k].rows, want[k].cols);
            snprintf(b, sizeof b, f->cols ? "[%zu, %zu]" : "[%zu]", f->rows, f->cols);
            return BAD("%s: tensor '%s' has shape %s; the architecture needs %s", mf->path,
                       f->name, b, a);
        }
        want[k].begin = f->begin;
        want[k].end = f->end;
    }
    return MG_STATUS_OK;
}

/* Every number finite (and every std > 0). */
static mg_status check_values(const model_file *mf, const tensor *t, size_t nt, mg_err *err) {
    for (size_t k = 0; k < nt; k++) {
        int is_std = !strcmp(t[k].name, "standardize.std") || !strcmp(t[k].name, "target.std");
        for (size_t off = t[k].begin; off < t[k].end; off += 8) {
            double x = get_f64(mf->data + off);
            if (!isfinite(x))
                return mg_err_set(err, MG_STATUS_NUMERIC, "%s: tensor '%s' holds %g at entry %zu",
                                  mf->path, t[k].name, x, (off - t[k].begin) / 8);
            if (is_std && !(x > 0))
                return BAD("%s: tensor '%s' holds %g at entry %zu (must be > 0)", mf->path,
                           t[k].name, x, (off - t[k].begin) / 8);
        }
    }
    return MG_STATUS_OK;
}

/* ==== loading: the model info ============================================================ */

static mg_status strings_of(model_file *mf, const char *key, json_t *list, char ***out, size_t n,
                            mg_err *err) {
    if (json_array_size(list) != n)
        return BAD("%s: metadata '%s' has %zu entries, expected %zu", mf->path, key,
                   json_array_size(list), n);
    char **v = mg__calloc(n, sizeof *v);
    if (!v) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    *out = v;
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(list, i);
        if (!json_is_string(s))
            return BAD("%s: metadata '%s': entry %zu is not a string", mf->path, key, i + 1);
        if (!(v[i] = mg__strdup(json_string_value(s))))
            return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    }
    return MG_STATUS_OK;
}

static mg_status read_names(model_file *mf, mg_model_info *info, mg_err *err) {
    int bad = 0;
    mg_status st = MG_STATUS_OK;
    const char *task = meta_str(mf, "task", 1, err, &bad);
    if (bad) return MG_STATUS_FORMAT;
    int classify = !strcmp(task, "classification");
    if (!classify && strcmp(task, "regression"))
        return BAD("%s: metadata 'task' is neither classification nor regression", mf->path);
    json_t *classes = meta_json(mf, "classes", JSON_ARRAY, classify, err, &bad);
    if (!bad && !classify && classes) st = BAD("%s: a regression model with classes", mf->path);
    if (!bad && !st && classes) {
        info->nclasses = json_array_size(classes);
        st = strings_of(mf, "classes", classes, &info->class_names, info->nclasses, err);
    }
    json_decref(classes);
    if (bad || st) return bad ? MG_STATUS_FORMAT : st;
    json_t *feats = meta_json(mf, "features", JSON_ARRAY, 0, err, &bad);
    if (!bad && feats) {
        info->nfeat = mf->nin;
        st = strings_of(mf, "features", feats, &info->feature_names, mf->nin, err);
    }
    json_decref(feats);
    if (bad || st) return bad ? MG_STATUS_FORMAT : st;
    const char *target = meta_str(mf, "target", 0, err, &bad);
    if (bad) return MG_STATUS_FORMAT;
    if (target && !(info->target_name = mg__strdup(target)))
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    const char *loss = meta_str(mf, "loss", 0, err, &bad);
    if (bad) return MG_STATUS_FORMAT;
    if (loss && !(info->has_loss = mg_loss_kind_parse(loss, &info->loss)))
        return BAD("%s: unknown loss '%.20s'", mf->path, loss);
    if (classify && mf->target)
        return BAD("%s: a classifier with a target scale (target.mean, target.std)", mf->path);
    json_t *drop = meta_json(mf, "drop", JSON_ARRAY, 0, err, &bad);
    if (!bad && drop) {
        info->ndrop = json_array_size(drop);
        st = strings_of(mf, "drop", drop, &info->drop, info->ndrop, err);
    }
    json_decref(drop);
    return bad ? MG_STATUS_FORMAT : st;
}

static mg_status read_numbers(model_file *mf, mg_model_info *info, mg_err *err) {
    int bad = 0;
    mg_status st = MG_STATUS_OK;
    const char *key;
    json_t *v;
    json_t *metrics = meta_json(mf, "metrics", JSON_OBJECT, 0, err, &bad);
    json_object_foreach(metrics, key, v) {
        if (!json_is_number(v) && !json_is_null(v)) {
            st = BAD("%s: metric '%.40s' is not a number", mf->path, key);
            break;
        }
        double x = json_is_null(v) ? NAN : json_number_value(v);
        if ((st = mg_model_info_set_metric(info, key, x, err))) break;
    }
    json_decref(metrics);
    if (bad || st) return bad ? MG_STATUS_FORMAT : st;
    json_t *settings = meta_json(mf, "settings", JSON_OBJECT, 0, err, &bad);
    json_object_foreach(settings, key, v) {
        if (!json_is_string(v)) {
            st = BAD("%s: setting '%.40s' is not a string", mf->path, key);
            break;
        }
        if ((st = mg_model_info_set_setting(info, key, json_string_value(v), err))) break;
    }
    json_decref(settings);
    return bad ? MG_STATUS_FORMAT : st;
}

/* ==== loading ============================================================================ */

/* Everything about the file, short of making the model. */
static mg_status check_file(model_file *mf, const unsigned char *buf, size_t len,
                            mg_model_info *info, tensor *want, size_t *nwant, mg_err *err) {
    /* A safetensors file opens with an 8-byte length and then its JSON header's '{':
     * anything else is some other file, whatever its first 8 bytes would say. */
    if (len < 10 || buf[8] != '{')
        return BAD("%s: not a micrograd model file (no safetensors header)", mf->path);
    uint64_t hlen = get_u64(buf);
    if (hlen > MAX_HEADER || hlen < 2)
        return BAD("%s: not a micrograd model file (its safetensors header length %llu is not "
                   "plausible)", mf->path, (unsigned long long)hlen);
    if (hlen > len - 8)
        return BAD("%s: cut short: its header needs %llu bytes after the 8-byte length; the "
                   "file has %zu bytes", mf->path, (unsigned long long)hlen, len);
    json_error_t je;
    mf->root = json_loadb((const char *)buf + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
    if (!mf->root)
        return BAD("%s: bad JSON in the header at byte %d: %s", mf->path, je.position + 8,
                   je.text);
    if (!json_is_object(mf->root)) return BAD("%s: the header is not a JSON object", mf->path);
    mf->meta = json_object_get(mf->root, "__metadata__");
    if (mf->meta && !json_is_object(mf->meta))
        return BAD("%s: __metadata__ is not an object", mf->path);
    mf->data = buf + 8 + hlen;
    mf->datalen = len - 8 - (size_t)hlen;
    mg_status st = check_tensors(mf, err);
    if (!st) st = check_architecture(mf, err);
    if (!st) st = match_tensors(mf, want, nwant, err);
    if (!st) st = check_values(mf, want, *nwant, err);
    if (!st) st = read_names(mf, info, err);
    if (!st) st = read_numbers(mf, info, err);
    const char *why = st ? NULL : mg__model_head_problem(mf->sizes[mf->nlayers - 1], info);
    if (why) st = BAD("%s: %s", mf->path, why);
    return st;
}

/* The wanted tensor with that name, or NULL. */
static const tensor *find_tensor(const tensor *want, size_t nwant, const char *name) {
    for (size_t k = 0; k < nwant; k++)
        if (!strcmp(want[k].name, name)) return &want[k];
    return NULL;
}

static mg_status read_standardizer(const model_file *mf, const tensor *mean, const tensor *std,
                                   mg_standardizer *s, mg_err *err) {
    size_t n = mean->rows;
    s->mean = mg__malloc(mg__mul_size(n, sizeof *s->mean));
    s->std = mg__malloc(mg__mul_size(n, sizeof *s->std));
    if (!s->mean || !s->std) {
        mg_standardizer_free(s);
        return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", mf->path);
    }
    s->nfeat = n;
    for (size_t j = 0; j < n; j++) {
        s->mean[j] = get_f64(mf->data + mean->begin + 8 * j);
        s->std[j] = get_f64(mf->data + std->begin + 8 * j);
    }
    return MG_STATUS_OK;
}

/* A standardisation's pair of tensors (prefix "standardize" or "target"), when present. */
static mg_status read_pair(const model_file *mf, const tensor *want, size_t nwant,
                           const char *prefix, mg_standardizer *s, mg_err *err) {
    char mean[48], std[48];
    snprintf(mean, sizeof mean, "%s.mean", prefix);
    snprintf(std, sizeof std, "%s.std", prefix);
    const tensor *m = find_tensor(want, nwant, mean);
    return m ? read_standardizer(mf, m, find_tensor(want, nwant, std), s, err) : MG_STATUS_OK;
}

/* A checkpoint's training state: the metadata's counters and the tensors' arrays (the
 * order must hold whole numbers below its length; mg_train checks the rest). */
static mg_status read_state(const model_file *mf, const tensor *want, size_t nwant,
                            mg_train_state **out, mg_err *err) {
    const tensor *tm = find_tensor(want, nwant, "optim.m"), *tv = find_tensor(want, nwant, "optim.v");
    const tensor *to = find_tensor(want, nwant, "train.order");
    json_t *j = mf->meta ? json_object_get(mf->meta, "train_state") : NULL;
    if (!json_is_string(j)) return BAD("%s: train.order without a 'train_state' in the metadata", mf->path);
    mg_train_state *s = mg__calloc(1, sizeof *s);
    if (!s) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", mf->path);
    s->nsamples = to->rows;
    s->nparams = mg_mlp_count_params(mf->nin, mf->nlayers, mf->sizes);
    s->order = mg__malloc(mg__mul_size(s->nsamples ? s->nsamples : 1, sizeof *s->order));
    if (tm) s->optim_m = mg__malloc(mg__mul_size(s->nparams, sizeof *s->optim_m));
    if (tv) s->optim_v = mg__malloc(mg__mul_size(s->nparams, sizeof *s->optim_v));
    mg_status st = MG_STATUS_OK;
    if (!s->order || (tm && !s->optim_m) || (tv && !s->optim_v))
        st = mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", mf->path);
    if (!st) st = mg__state_parse(mf->path, json_string_value(j), s, err);
    for (size_t i = 0; !st && i < s->nsamples; i++) {
        double x = get_f64(mf->data + to->begin + 8 * i);
        if (!(x >= 0 && x < (double)s->nsamples && x == (double)(size_t)x))
            st = BAD("%s: train.order holds %g at entry %zu", mf->path, x, i);
        else
            s->order[i] = (size_t)x;
    }
    for (size_t i = 0; !st && i < s->nparams; i++) {
        if (tm) s->optim_m[i] = get_f64(mf->data + tm->begin + 8 * i);
        if (tv) s->optim_v[i] = get_f64(mf->data + tv->begin + 8 * i);
    }
    if (st) {
        mg_train_state_free(s);
        return st;
    }
    *out = s;
    return MG_STATUS_OK;
}

/* Makes the model and copies the weights in (only out of memory can fail here, and
 * mg_mlp_new then leaves nothing on the tape). */
static mg_mlp *build_model(const model_file *mf, mg_ctx *ctx, const tensor *want, mg_err *err) {
    mg_rng rng; /* the weights are overwritten: keep the context's generator untouched */
    mg_rng_seed(&rng, 1);
    mg_mlp *m = mg_mlp_new(ctx, mf->nin, mf->nlayers, mf->sizes, mf->acts, MG_INIT_UNIFORM, &rng,
                           err);
    if (!m) return NULL;
    double *p = mg_data_ptr(ctx, m->first);
    size_t in = mf->nin;
    for (size_t l = 0; l < mf->nlayers; l++) {
        const unsigned char *w = mf->data + want[2 * l].begin, *b = mf->data + want[2 * l + 1].begin;
        for (size_t j = 0; j < mf->sizes[l]; j++) {
            double *q = p + mg_mlp_neuron_offset(m, l, j);
            for (size_t i = 0; i < in; i++) q[i] = get_f64(w + 8 * (j * in + i));
            q[in] = get_f64(b + 8 * j);
        }
        in = mf->sizes[l];
    }
    return m;
}

mg_mlp *mg_model_load(const char *path, mg_ctx *ctx, mg_model_info *info, mg_err *err) {
    mg_model_info local;
    mg_model_info *inf = info ? info : &local;
    mg_model_info_init(inf);
    size_t len;
    unsigned char *buf = (unsigned char *)mg__files_read(path, &len, err);
    if (!buf) return NULL;
    model_file mf;
    memset(&mf, 0, sizeof mf);
    mf.path = path;
    tensor want[MAX_TENSORS];
    size_t nwant = 0;
    mg_mlp *m = NULL;
    mg_status st = check_file(&mf, buf, len, inf, want, &nwant, err);
    if (!st) st = read_pair(&mf, want, nwant, "standardize", &inf->standardize, err);
    if (!st) st = read_pair(&mf, want, nwant, "target", &inf->target_scale, err);
    if (!st && mf.state) st = read_state(&mf, want, nwant, &inf->train_state, err);
    if (!st) m = build_model(&mf, ctx, want, err);
    json_decref(mf.root);
    mg__free(buf);
    if (!m || !info) mg_model_info_free(inf);
    return m;
}

#endif /* MG_HAVE_JANSSON */
