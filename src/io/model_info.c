/* model_info.c - what a model file keeps besides the weights (mg_model_info, micrograd.h
 * section 14d). */
#include "files_internal.h"

#include <stdio.h>

/* ==== model info ======================================================================== */

void mg_model_info_init(mg_model_info *info) { memset(info, 0, sizeof *info); }

void mg_model_info_free(mg_model_info *info) {
    if (!info) return;
    mg__files_strvfree(info->class_names, info->nclasses);
    mg__files_strvfree(info->feature_names, info->nfeat);
    mg__free(info->target_name);
    mg_standardizer_free(&info->standardize);
    mg_standardizer_free(&info->target_scale);
    mg__files_strvfree(info->drop, info->ndrop);
    for (size_t i = 0; i < info->nmetrics; i++) mg__free(info->metrics[i].name);
    mg__free(info->metrics);
    for (size_t i = 0; i < info->nsettings; i++) {
        mg__free(info->settings[i].name);
        mg__free(info->settings[i].value);
    }
    mg__free(info->settings);
    mg_train_state_free(info->train_state);
    mg_model_info_init(info);
}

mg_status mg_model_info_set_dataset(mg_model_info *info, const mg_dataset *d, mg_err *err) {
    char **classes = NULL, **feats = NULL, *target = NULL;
    if (d->nclasses && d->class_names) {
        if (mg__files_strvdup(&classes, (const char *const *)d->class_names, d->nclasses, err))
            return MG_STATUS_NOMEM;
    } else if (d->nclasses) {
        classes = mg__calloc(d->nclasses, sizeof *classes);
        for (size_t k = 0; classes && k < d->nclasses; k++) {
            char name[24];
            snprintf(name, sizeof name, "%zu", k);
            if (!(classes[k] = mg__strdup(name))) {
                mg__files_strvfree(classes, d->nclasses);
                classes = NULL;
            }
        }
        if (!classes) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    }
    int names_ok = d->feature_names != NULL;
    for (size_t j = 0; names_ok && j < d->nfeat; j++) names_ok = d->feature_names[j] != NULL;
    if ((names_ok &&
         mg__files_strvdup(&feats, (const char *const *)d->feature_names, d->nfeat, err)) ||
        (d->target_name && !(target = mg__strdup(d->target_name)))) {
        mg__files_strvfree(classes, d->nclasses);
        mg__files_strvfree(feats, d->nfeat);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    }
    mg__files_strvfree(info->class_names, info->nclasses);
    mg__files_strvfree(info->feature_names, info->nfeat);
    mg__free(info->target_name);
    info->nclasses = d->nclasses;
    info->class_names = classes;
    info->nfeat = feats ? d->nfeat : 0;
    info->feature_names = feats;
    info->target_name = target;
    return MG_STATUS_OK;
}

mg_status mg_model_info_set_standardizer(mg_model_info *info, const mg_standardizer *s,
                                         mg_err *err) {
    mg_standardizer copy;
    if (mg_standardizer_copy(&copy, s, err)) return MG_STATUS_NOMEM;
    mg_standardizer_free(&info->standardize);
    info->standardize = copy;
    return MG_STATUS_OK;
}

mg_status mg_model_info_set_target_scale(mg_model_info *info, const mg_standardizer *s,
                                         mg_err *err) {
    mg_standardizer copy;
    if (mg_standardizer_copy(&copy, s, err)) return MG_STATUS_NOMEM;
    mg_standardizer_free(&info->target_scale);
    info->target_scale = copy;
    return MG_STATUS_OK;
}

mg_status mg_model_info_set_drop(mg_model_info *info, size_t n, const char *const *columns,
                                 mg_err *err) {
    char **copy = NULL;
    for (size_t k = 0; k < n; k++) MG_ASSERT(columns[k], "a NULL column name");
    if (mg__files_strvdup(&copy, columns, n, err)) return MG_STATUS_NOMEM;
    mg__files_strvfree(info->drop, info->ndrop);
    info->drop = copy;
    info->ndrop = copy ? n : 0;
    return MG_STATUS_OK;
}

mg_status mg_model_info_set_metric(mg_model_info *info, const char *name, double value,
                                   mg_err *err) {
    for (size_t i = 0; i < info->nmetrics; i++)
        if (!strcmp(info->metrics[i].name, name)) {
            info->metrics[i].value = value;
            return MG_STATUS_OK;
        }
    mg_model_metric *m =
        mg__realloc(info->metrics, mg__mul_size(info->nmetrics + 1, sizeof *m));
    if (!m) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    info->metrics = m;
    if (!(m[info->nmetrics].name = mg__strdup(name)))
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    m[info->nmetrics++].value = value;
    return MG_STATUS_OK;
}

mg_status mg_model_info_set_setting(mg_model_info *info, const char *name, const char *value,
                                    mg_err *err) {
    char *v = mg__strdup(value);
    if (!v) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    for (size_t i = 0; i < info->nsettings; i++)
        if (!strcmp(info->settings[i].name, name)) {
            mg__free(info->settings[i].value);
            info->settings[i].value = v;
            return MG_STATUS_OK;
        }
    mg_model_setting *s =
        mg__realloc(info->settings, mg__mul_size(info->nsettings + 1, sizeof *s));
    char *n = s ? mg__strdup(name) : NULL;
    if (s) info->settings = s;
    if (!n) {
        mg__free(v);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    }
    s[info->nsettings++] = (mg_model_setting){n, v};
    return MG_STATUS_OK;
}

int mg_model_info_metric(const mg_model_info *info, const char *name, double *value) {
    for (size_t i = 0; i < info->nmetrics; i++)
        if (!strcmp(info->metrics[i].name, name)) {
            *value = info->metrics[i].value;
            return 1;
        }
    return 0;
}

const char *mg_model_info_setting(const mg_model_info *info, const char *name) {
    for (size_t i = 0; i < info->nsettings; i++)
        if (!strcmp(info->settings[i].name, name)) return info->settings[i].value;
    return NULL;
}
