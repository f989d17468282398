/* cmd_info.c - `micrograd info`: describes a saved model (architecture, parameter count,
 * task and classes, features, standardisation, the metrics and settings it was saved
 * with) and, with --formula, prints a small network as a formula of its inputs. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "info"

/* ==== options ========================================================================== */

typedef struct info_opts {
    const char *model;
    int formula, json;
    long precision;  /* digits of numbers in the formula; -1 exact */
    long max_params; /* --formula refuses bigger models */
} info_opts;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: micrograd info --model FILE [OPTIONS]\n"
            "\n"
            "Describes a saved model: its layers and activations, the number of parameters,\n"
            "the task and its classes, the features and target it was trained on, whether\n"
            "inputs are standardised, and the metrics and settings saved with it.\n"
            "\n"
            "Options:\n"
            "  -m, --model FILE       the model file (required)\n"
            "  -j, --json             print the description as one JSON object instead (exact\n"
            "                         numbers; the standardisation's means and deviations)\n"
            "  -f, --formula          also print the network as a formula of its inputs (one\n"
            "                         per output; the standardisation included), in Python\n"
            "                         syntax that `micrograd eval` accepts\n"
            "  -p, --precision N      digits after the point in the formula, -1 for exact\n"
            "                         numbers (default: 4)\n"
            "      --max-params N     --formula refuses models with more parameters than this\n"
            "                         (default: 1000)\n"
            "  -h, --help             show this help\n"
            "\n"
            "Exit status: 0 ok; 1 an unreadable or malformed model file, or a model too big\n"
            "for --formula; 2 a usage error.\n"
            "\n"
            "Example:\n"
            "  micrograd info --model moons.safetensors --formula\n");
}

static int parse_options(int argc, char **argv, info_opts *o, int *stop) {
    enum { OPT_MAX_PARAMS = 256 };
    static const struct option longopts[] = {
        {"model", required_argument, NULL, 'm'},     {"formula", no_argument, NULL, 'f'},
        {"json", no_argument, NULL, 'j'},
        {"precision", required_argument, NULL, 'p'}, {"max-params", required_argument, NULL, OPT_MAX_PARAMS},
        {"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->precision = 4;
    o->max_params = 1000;
    *stop = 1;
    int c;
    opterr = 0;
    optind = 0; /* a fresh parse (glibc: 0 resets its state entirely) */
    while ((c = getopt_long(argc, argv, ":m:fjp:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'j': o->json = 1; break;
        case 'f': o->formula = 1; break;
        case 'p':
            if (!app_parse_long(CMD, "--precision", optarg, -1, 17, &o->precision)) return APP_USAGE;
            break;
        case OPT_MAX_PARAMS:
            if (!app_parse_long(CMD, "--max-params", optarg, 1, 100000000L, &o->max_params))
                return APP_USAGE;
            break;
        case 'h': usage(stdout); return APP_OK;
        case ':': return app_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return app_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) return app_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!o->model) return app_usage_error(CMD, "no model: give --model FILE");
    if (o->json && o->formula) return app_usage_error(CMD, "give --json or --formula, not both");
    *stop = 0;
    return APP_OK;
}

/* ==== the description ==================================================================== */

/* Names may hold any bytes; the terminal gets no control characters. */
static void put_text(const char *s) {
    for (; *s; s++) putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static void put_list(char *const *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", stdout);
        put_text(v[i]);
    }
}

static void describe(const char *path, const mg_mlp *m, const mg_model_info *info) {
    char buf[32], buf2[32];
    printf("model: ");
    put_text(path);
    printf("\narchitecture: %zu inputs", m->nin);
    for (size_t l = 0; l < m->nlayers; l++)
        printf(" -> %zu %s", m->sizes[l], mg_act_name(m->acts[l]));
    printf("\nparameters: %zu\n", m->nparams);
    if (info->nclasses) {
        printf("task: classification, %zu classes: ", info->nclasses);
        put_list(info->class_names, info->nclasses);
    } else {
        printf("task: regression, %zu output%s", mg_mlp_nout(m), mg_mlp_nout(m) > 1 ? "s" : "");
    }
    if (info->has_loss) printf("\nloss: %s", mg_loss_kind_name(info->loss));
    if (info->nfeat) {
        printf("\nfeatures: ");
        put_list(info->feature_names, info->nfeat);
    }
    if (info->target_name) {
        printf("\ntarget: ");
        put_text(info->target_name);
    }
    printf("\nstandardised inputs: %s\n", info->standardize.nfeat ? "yes" : "no");
    if (info->target_scale.nfeat)
        printf("target scale: trained on (target - %s) / %s\n",
               mg_fmt_repr(info->target_scale.mean[0], buf, sizeof buf),
               mg_fmt_repr(info->target_scale.std[0], buf2, sizeof buf2));
    if (info->ndrop) {
        printf("columns left out: ");
        for (size_t i = 0; i < info->ndrop; i++) {
            fputs(i ? ", " : "", stdout);
            put_text(info->drop[i][0] ? info->drop[i] : "(no name: an index)");
        }
        putchar('\n');
    }
    if (info->train_state)
        printf("checkpoint: after step %zu (epoch %zu, sample %zu of %zu); train --resume "
               "continues it\n",
               info->train_state->step, info->train_state->epoch + 1, info->train_state->pos,
               info->train_state->nsamples);
    for (size_t k = 0; k < info->nmetrics; k++) {
        printf("metric ");
        put_text(info->metrics[k].name);
        printf(": %s\n", mg_fmt_repr(info->metrics[k].value, buf, sizeof buf));
    }
    for (size_t k = 0; k < info->nsettings; k++) {
        printf("setting ");
        put_text(info->settings[k].name);
        printf(": ");
        put_text(info->settings[k].value);
        putchar('\n');
    }
}

/* ==== JSON ============================================================================== */

static void json_strings(const char *key, char *const *v, size_t n) {
    printf(",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) {
        if (i) putchar(',');
        app_json_string(stdout, v[i]);
    }
    putchar(']');
}

static void json_numbers(const double *v, size_t n) {
    putchar('[');
    for (size_t i = 0; i < n; i++) {
        if (i) putchar(',');
        app_json_number(stdout, v[i]);
    }
    putchar(']');
}

/* A standardisation as {"mean": [...], "std": [...]}, or null. */
static void json_scale(const char *key, const mg_standardizer *s) {
    printf(",\"%s\":", key);
    if (!s->nfeat) {
        fputs("null", stdout);
        return;
    }
    printf("{\"mean\":");
    json_numbers(s->mean, s->nfeat);
    printf(",\"std\":");
    json_numbers(s->std, s->nfeat);
    putchar('}');
}

/* The description as one JSON object: numbers in their shortest exact form. */
static void describe_json(const char *path, const mg_mlp *m, const mg_model_info *info) {
    printf("{\"model\":");
    app_json_string(stdout, path);
    printf(",\"inputs\":%zu,\"layers\":[", m->nin);
    for (size_t l = 0; l < m->nlayers; l++) printf("%s%zu", l ? "," : "", m->sizes[l]);
    printf("],\"activations\":[");
    for (size_t l = 0; l < m->nlayers; l++) printf("%s\"%s\"", l ? "," : "", mg_act_name(m->acts[l]));
    printf("],\"parameters\":%zu,\"task\":\"%s\"", m->nparams,
           info->nclasses ? "classification" : "regression");
    if (info->nclasses) json_strings("classes", info->class_names, info->nclasses);
    printf(",\"loss\":");
    if (info->has_loss) app_json_string(stdout, mg_loss_kind_name(info->loss));
    else fputs("null", stdout);
    json_strings("features", info->feature_names, info->nfeat);
    printf(",\"target\":");
    if (info->target_name) app_json_string(stdout, info->target_name);
    else fputs("null", stdout);
    json_scale("standardize", &info->standardize);
    json_scale("target_scale", &info->target_scale);
    json_strings("drop", info->drop, info->ndrop);
    printf(",\"metrics\":{");
    for (size_t k = 0; k < info->nmetrics; k++) {
        if (k) putchar(',');
        app_json_string(stdout, info->metrics[k].name);
        putchar(':');
        app_json_number(stdout, info->metrics[k].value);
    }
    printf("},\"settings\":{");
    for (size_t k = 0; k < info->nsettings; k++) {
        if (k) putchar(',');
        app_json_string(stdout, info->settings[k].name);
        putchar(':');
        app_json_string(stdout, info->settings[k].value);
    }
    printf("},\"checkpoint_step\":");
    if (info->train_state) printf("%zu", info->train_state->step);
    else fputs("null", stdout);
    printf("}\n");
}

/* ==== the formula ======================================================================== */

/* Builds the network on inputs named after the features (x1, x2, ... without names), the
 * standardisation as (x - mean)/std, and prints each output's formula. Weights print as
 * numbers: their labels are removed. */
static int print_formula(mg_ctx *ctx, mg_mlp *m, const mg_model_info *info, const info_opts *o) {
    if (m->nparams > (size_t)o->max_params) {
        app_error("%s has %zu parameters; --formula prints models of up to %ld (see "
                  "--max-params)",
                  o->model, m->nparams, o->max_params);
        return APP_FAIL;
    }
    for (size_t k = 0; k < m->nparams; k++) mg_set_label(ctx, m->params[k], NULL);
    size_t nout = mg_mlp_nout(m);
    mg_value *x = calloc(m->nin, sizeof *x), *out = calloc(nout, sizeof *out);
    int ok = x && out;
    for (size_t j = 0; ok && j < m->nin; j++) {
        char name[32];
        snprintf(name, sizeof name, "x%zu", j + 1);
        x[j] = mg_leaf_ex(ctx, 0.0, MG_ROLE_INPUT, info->nfeat ? info->feature_names[j] : name);
        if (info->standardize.nfeat)
            x[j] = mg_divf(ctx, mg_subf(ctx, x[j], info->standardize.mean[j]),
                           info->standardize.std[j]);
        ok = mg_ok(x[j]);
    }
    ok = ok && mg_mlp_forward(ctx, m, x, out);
    mg_formula_options fo;
    mg_formula_options_init(&fo);
    fo.precision = (int)o->precision;
    int status = ok ? APP_OK : APP_FAIL;
    if (!ok) app_error("out of memory building the formula");
    for (size_t k = 0; status == APP_OK && k < nout; k++) {
        printf("\n# output %zu", k + 1);
        if (info->nclasses == nout) {
            printf(" (class ");
            put_text(info->class_names[k]);
            putchar(')');
        }
        putchar('\n');
        mg_err err = {0};
        if (mg_formula_write(ctx, out[k], &fo, stdout, &err)) {
            app_error("%s", err.msg);
            status = APP_FAIL;
        }
    }
    free(x);
    free(out);
    return status;
}

/* ==== the command ======================================================================== */

int cli_cmd_info(int argc, char **argv) {
    info_opts o;
    int stop, status = parse_options(argc, argv, &o, &stop);
    if (stop) return status;
    app_model cm;
    if ((status = app_model_load(o.model, &cm)) == APP_OK) {
        if (o.json) describe_json(o.model, cm.m, &cm.info);
        else describe(o.model, cm.m, &cm.info);
        if (o.formula) status = print_formula(cm.ctx, cm.m, &cm.info, &o);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            app_error("cannot write to standard output");
            status = APP_FAIL;
        }
    }
    app_model_free(&cm);
    return status;
}
