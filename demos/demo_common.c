/* demo_common.c - what every training demo shares: the option parser and its --help,
 * the state a demo fills (context, model, data, loss curve), the call of the library's
 * training loop, and the optional outputs after it (--formula, --out, --graph). */
#include "demo.h"

#include "app.h"
#include "pictures.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== options ============================================================================ */

typedef struct opt_info {
    unsigned bit;
    const char *name; /* long option */
    const char *arg;  /* its argument in the help */
    const char *help;
} opt_info;

static const opt_info opt_infos[] = {
    {DEMO_OPT_SEED, "seed", "N", "seed of the random numbers (data first, then the model)"},
    {DEMO_OPT_STEPS, "steps", "N", "optimiser steps"},
    {DEMO_OPT_EPOCHS, "epochs", "N", "passes over the training data"},
    {DEMO_OPT_LR, "lr", "X", "learning rate (the first one, when it decays)"},
    {DEMO_OPT_N, "n", "N", "number of data points"},
    {DEMO_OPT_NOISE, "noise", "X", "noise of the data"},
    {DEMO_OPT_BATCH, "batch", "N", "mini-batch size (0: the whole training set each step)"},
    {DEMO_OPT_DATA, "data", "NAME", "dataset"},
    {DEMO_OPT_CLASSES, "classes", "K", "number of classes"},
    {DEMO_OPT_GRAPH, "graph", "FILE", "draw one sample's loss graph after training (.dot, .gv,\n"
                                      "                     .svg or .png)"},
    {DEMO_OPT_HTML, "html", "FILE", "write one sample's loss graph, backward step by step, as\n"
                                    "                     a page to open in a browser (.html)"},
    {DEMO_OPT_MAX_NODES, "max-nodes", "N", "refuse a --graph or --html graph of more nodes\n"
                                           "                     (values and operations; 0: no limit)"},
    {DEMO_OPT_MAX_PNG, "max-png", "N", "refuse a --graph .png longer than N pixels on a side\n"
                                       "                     (0: no limit; an .svg has none)"},
    {DEMO_OPT_FORMULA, "formula", "", "print one sample's loss (the trained network in it) as\n"
                                      "                     a formula, shared parts named once"},
    {DEMO_OPT_OUT, "out", "DIR", "write the loss curve (DIR/loss.png) and, for 2-D\n"
                                 "                     classifiers, the decision boundary (DIR/boundary.png)"},
    {DEMO_OPT_EAGER, "eager", "", "build every sample's graph at each step, as micrograd\n"
                                  "                     does, instead of replaying one recorded graph"},
    {DEMO_OPT_COMPILED, "compiled", "", "record one sample's graph once and replay it over the\n"
                                        "                     batch instead of building every graph each step as\n"
                                        "                     micrograd does (the same numbers to about 1e-15)"},
    {DEMO_OPT_THREADS, "threads", "N", "threads of the replay (0: one a core); results do\n"
                                       "                     not depend on it"},
    {DEMO_OPT_DTYPE, "dtype", "T", "the replay's arithmetic, f64 or f32 (float32 lanes: the\n"
                                   "                     numbers to float32's precision)"},
};
#define NOPTS (sizeof opt_infos / sizeof *opt_infos)

/* The default of option `bit` as text. */
static void default_text(const demo_spec *spec, unsigned bit, char *buf, size_t size) {
    const demo_opts *d = &spec->defaults;
    switch (bit) {
    case DEMO_OPT_SEED: snprintf(buf, size, "%llu", (unsigned long long)d->seed); break;
    case DEMO_OPT_STEPS: snprintf(buf, size, "%zu", d->steps); break;
    case DEMO_OPT_EPOCHS: snprintf(buf, size, "%zu", d->epochs); break;
    case DEMO_OPT_LR: snprintf(buf, size, "%g", d->lr); break;
    case DEMO_OPT_N: snprintf(buf, size, "%zu", d->n); break;
    case DEMO_OPT_NOISE: snprintf(buf, size, "%g", d->noise); break;
    case DEMO_OPT_BATCH: snprintf(buf, size, "%zu", d->batch); break;
    case DEMO_OPT_DATA: snprintf(buf, size, "%s", d->data ? d->data : ""); break;
    case DEMO_OPT_CLASSES: snprintf(buf, size, "%zu", d->classes); break;
    case DEMO_OPT_FORMULA:
    case DEMO_OPT_EAGER:
    case DEMO_OPT_COMPILED: snprintf(buf, size, "off"); break;
    case DEMO_OPT_THREADS: snprintf(buf, size, "%d", d->threads); break;
    case DEMO_OPT_MAX_NODES: snprintf(buf, size, "2000 for --graph, 1000 for --html"); break;
    case DEMO_OPT_MAX_PNG: {
        mg_graph_options g;
        mg_graph_options_init(&g);
        snprintf(buf, size, "%d", g.max_png_side);
        break;
    }
    case DEMO_OPT_DTYPE: snprintf(buf, size, "%s", d->dtype == MG_DTYPE_F32 ? "f32" : "f64"); break;
    default: snprintf(buf, size, "none"); break;
    }
}

static void demo_usage(const demo_spec *spec) {
    printf("Usage: micrograd demo %s [OPTIONS]\n\n%s\n\nOptions:\n", spec->name, spec->about);
    for (size_t i = 0; i < NOPTS; i++) {
        const opt_info *oi = &opt_infos[i];
        if (!(spec->options & oi->bit)) continue;
        char left[32], def[64];
        snprintf(left, sizeof left, *oi->arg ? "--%s %s" : "--%s", oi->name, oi->arg);
        default_text(spec, oi->bit, def, sizeof def);
        printf("  %-18s %s (default: %s)\n", left, oi->help, def);
        if (oi->bit == DEMO_OPT_DATA && spec->data_names) {
            printf("                     one of:");
            for (const char *const *n = spec->data_names; *n; n++) printf(" %s", *n);
            printf("\n");
        }
    }
    printf("  -h, --help         show this help\n\nExit status: 0 ok, 1 a failure, 2 a usage error.\n");
}

/* Strict unsigned parsing for --seed: digits only, up to 2^64 - 1. */
static int parse_seed(const char *cmd, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *s == '+' || *end || errno == ERANGE) {
        app_usage_error(cmd, "--seed expects a whole number from 0 to 2^64-1, got '%s'", s);
        return 0;
    }
    *out = (uint64_t)x;
    return 1;
}

static int parse_size(const char *cmd, const char *opt, const char *s, long min, long max,
                      size_t *out) {
    long x;
    if (!app_parse_long(cmd, opt, s, min, max, &x)) return 0;
    *out = (size_t)x;
    return 1;
}

static int parse_range(const char *cmd, const char *opt, const char *s, double lo, double hi,
                       int lo_open, double *out) {
    double x;
    if (!app_parse_double(cmd, opt, s, &x)) return 0;
    if (x > hi || x < lo || (lo_open && x == lo)) {
        app_usage_error(cmd, "%s must be %s %g and <= %g, got %s", opt, lo_open ? ">" : ">=", lo,
                        hi, s);
        return 0;
    }
    *out = x;
    return 1;
}

/* The --graph and --html files' extensions must be ones the library takes, checked
 * before training: one of exts (NULL-terminated). */
static int ext_ok(const char *path, const char *const *exts) {
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/')) return 0;
    for (; *exts; exts++)
        if (!strcmp(dot, *exts)) return 1;
    return 0;
}

/* --graph FILE or --html FILE into o; 0 after a usage error. */
static int set_file(const char *cmd, unsigned bit, const char *v, demo_opts *o) {
    static const char *const graph_exts[] = {".dot", ".gv", ".svg", ".png", NULL};
    static const char *const html_exts[] = {".html", ".htm", NULL};
    int html = bit == DEMO_OPT_HTML;
    if (!ext_ok(v, html ? html_exts : graph_exts)) {
        if (html)
            app_usage_error(cmd, "--html: '%s' should end in .html", v);
        else
            app_usage_error(cmd, "--graph: '%s' should end in .dot, .gv, .svg or .png", v);
        return 0;
    }
    if (html)
        o->html = v;
    else
        o->graph = v;
    return 1;
}

/* One option's value into o; 0 after a usage error. */
static int set_option(const demo_spec *spec, const char *cmd, unsigned bit, const char *v,
                      demo_opts *o) {
    switch (bit) {
    case DEMO_OPT_SEED: return parse_seed(cmd, v, &o->seed);
    case DEMO_OPT_STEPS: return parse_size(cmd, "--steps", v, 1, 10000000, &o->steps);
    case DEMO_OPT_EPOCHS: return parse_size(cmd, "--epochs", v, 1, 1000000, &o->epochs);
    case DEMO_OPT_LR: return parse_range(cmd, "--lr", v, 0.0, 1000.0, 1, &o->lr);
    case DEMO_OPT_N: return parse_size(cmd, "--n", v, 4, 1000000, &o->n);
    case DEMO_OPT_NOISE: return parse_range(cmd, "--noise", v, 0.0, 10.0, 0, &o->noise);
    case DEMO_OPT_BATCH: return parse_size(cmd, "--batch", v, 0, 1000000, &o->batch);
    case DEMO_OPT_CLASSES: return parse_size(cmd, "--classes", v, 2, 26, &o->classes);
    case DEMO_OPT_DATA:
        for (const char *const *n = spec->data_names; n && *n; n++)
            if (!strcmp(v, *n)) {
                o->data = *n;
                return 1;
            }
        app_usage_error(cmd, "--data: unknown dataset '%s'", v);
        return 0;
    case DEMO_OPT_GRAPH:
    case DEMO_OPT_HTML: return set_file(cmd, bit, v, o);
    case DEMO_OPT_MAX_NODES:
        o->has_max_nodes = 1;
        return parse_size(cmd, "--max-nodes", v, 0, 100000000, &o->max_nodes);
    case DEMO_OPT_MAX_PNG: {
        long n;
        if (!app_parse_long(cmd, "--max-png", v, 0, 1000000, &n)) return 0;
        o->max_png = (int)n;
        return 1;
    }
    case DEMO_OPT_FORMULA:
        o->formula = 1;
        return 1;
    case DEMO_OPT_EAGER:
        o->eager = 1;
        return 1;
    case DEMO_OPT_COMPILED:
        o->eager = 0;
        return 1;
    case DEMO_OPT_THREADS: {
        long t;
        if (!app_parse_long(cmd, "--threads", v, 0, 1024, &t)) return 0;
        o->threads = (int)t;
        return 1;
    }
    case DEMO_OPT_DTYPE:
        if (strcmp(v, "f64") && strcmp(v, "f32")) {
            app_usage_error(cmd, "--dtype must be f64 or f32, got '%s'", v);
            return 0;
        }
        o->dtype = v[1] == '3' ? MG_DTYPE_F32 : MG_DTYPE_F64;
        return 1;
    case DEMO_OPT_OUT:
        if (!*v) {
            app_usage_error(cmd, "--out needs a directory");
            return 0;
        }
        o->out = v;
        return 1;
    }
    return 0;
}

int demo_parse(const demo_spec *spec, int argc, char **argv, demo_opts *o) {
    char cmd[64];
    snprintf(cmd, sizeof cmd, "demo %s", spec->name);
    *o = spec->defaults;
    mg_graph_options g;
    mg_graph_options_init(&g);
    o->max_png = g.max_png_side;
    struct option longopts[NOPTS + 2];
    size_t k = 0;
    for (size_t i = 0; i < NOPTS; i++)
        if (spec->options & opt_infos[i].bit)
            longopts[k++] = (struct option){opt_infos[i].name,
                                            *opt_infos[i].arg ? required_argument : no_argument,
                                            NULL, (int)(i + 256)};
    longopts[k++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[k] = (struct option){NULL, 0, NULL, 0};
    opterr = 0;
    optind = 0; /* 0, not 1: glibc then also forgets a half-read "-qh" group of an earlier parse */
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        if (c == 'h') {
            demo_usage(spec);
            return APP_OK;
        }
        if (c == ':') return app_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
        if (c == '?') return app_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        if (!set_option(spec, cmd, opt_infos[c - 256].bit, optarg, o)) return APP_USAGE;
    }
    if (optind < argc) return app_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (o->eager && o->dtype == MG_DTYPE_F32)
        return app_usage_error(cmd, "--dtype f32 is the replay's: not with --eager");
    return -1;
}

/* ==== the state a demo fills ============================================================= */

int demo_begin(const demo_spec *spec, int argc, char **argv, demo_opts *o, demo_state *s) {
    memset(s, 0, sizeof *s);
    s->graph = MG_NULL;
    int rc = demo_parse(spec, argc, argv, o);
    if (rc >= 0) return rc;
    s->ctx = mg_ctx_new();
    if (!s->ctx) {
        app_error("out of memory");
        return APP_FAIL;
    }
    mg_rng_seed(mg_ctx_rng(s->ctx), o->seed);
    return -1;
}

void demo_state_record(demo_state *s, double loss) {
    if (s->ncurve == s->capcurve) {
        size_t cap = s->capcurve ? 2 * s->capcurve : 256;
        double *p = cap < SIZE_MAX / sizeof *p ? realloc(s->curve, cap * sizeof *p) : NULL;
        if (!p) return;
        s->curve = p;
        s->capcurve = cap;
    }
    s->curve[s->ncurve++] = loss;
}

void demo_state_sample_graph(demo_state *s, const mg_dataset *d, size_t i, int subtract_max) {
    size_t from = mg_ctx_size(s->ctx);
    mg_value loss = mg_sample_loss(s->ctx, s->model, s->loss, subtract_max, d, i, NULL);
    if (!mg_ok(loss)) return;
    /* The training path labels nothing (labels cost memory every step); a drawing reads
     * better with the inputs named: the features first, then the target(s). */
    size_t k = 0, nin = s->model->nin;
    for (size_t j = from; j < mg_ctx_size(s->ctx); j++) {
        mg_value v = mg_at(s->ctx, j);
        if (mg_role_of(s->ctx, v) != MG_ROLE_INPUT) continue;
        char label[32];
        if (k < nin) snprintf(label, sizeof label, "x%zu", k);
        else if (s->loss == MG_LOSS_KIND_CE) snprintf(label, sizeof label, "y%zu", k - nin);
        else snprintf(label, sizeof label, "y");
        mg_set_label(s->ctx, v, label);
        k++;
    }
    mg_set_label(s->ctx, loss, "loss");
    mg_mlp_zero_grad(s->ctx, s->model);
    mg_backward(s->ctx, loss);
    s->graph = loss;
}

void demo_state_free(demo_state *s) {
    mg_mlp_free(s->model);
    mg_dataset_free(s->train);
    mg_dataset_free(s->val);
    mg_dataset_free(s->test);
    free(s->curve);
    mg_ctx_free(s->ctx);
    memset(s, 0, sizeof *s);
}

/* ==== training =========================================================================== */

void demo_train_config(const demo_opts *o, const demo_state *s, mg_optim_kind optim,
                       mg_train_config *cfg) {
    mg_train_config_init(cfg);
    cfg->loss = s->loss;
    mg_optim_config_init(&cfg->optim, optim);
    cfg->optim.lr = o->lr;
    cfg->steps = o->steps;
    cfg->epochs = o->epochs;
    cfg->batch_size = o->batch;
    cfg->eager = o->eager;
    cfg->threads = o->threads;
    cfg->dtype = o->dtype;
}

/* What demo_train's callback needs. */
typedef struct train_user {
    demo_state *s;
    demo_print_step print;
} train_user;

static int on_step(void *user, const mg_train_progress *p) {
    train_user *u = user;
    demo_state_record(u->s, p->loss);
    if (u->print) u->print(u->s, p);
    return 0;
}

mg_status demo_train(demo_state *s, const mg_train_config *cfg, demo_print_step print,
                     mg_train_result *res, mg_err *err) {
    train_user u = {s, print};
    mg_train_config c = *cfg;
    c.callback = on_step;
    c.user = &u;
    return mg_train(s->ctx, s->model, s->train, s->val, &c, res, err);
}

int demo_epoch_mean(demo_state *s, const mg_train_progress *p, double *mean) {
    s->epoch_loss += p->data_loss * (double)p->batch;
    s->epoch_seen += p->batch;
    if (s->epoch_seen < s->train->n) return 0;
    *mean = s->epoch_loss / (double)s->epoch_seen;
    s->epoch_loss = 0.0;
    s->epoch_seen = 0;
    return 1;
}

/* ==== the end: optional outputs ========================================================== */

/* Prints "micrograd: NAME: <message>"; returns APP_FAIL. */
static int fail(const demo_spec *spec, const char *msg) {
    app_error("%s: %s", spec->name, msg);
    return APP_FAIL;
}

/* --formula: one sample's loss graph as a formula on stdout. */
static int print_formula(const demo_spec *spec, demo_state *s) {
    mg_err err;
    if (!mg_ok(s->graph)) return fail(spec, "no graph to print");
    if (mg_formula_write(s->ctx, s->graph, NULL, stdout, &err) != MG_STATUS_OK)
        return fail(spec, err.msg);
    return APP_OK;
}

/* --out DIR: the loss curve, and the decision boundary of a 2-D classifier. */
static int write_pictures(const demo_spec *spec, const char *dir, demo_state *s) {
    if (!pictures_make_dir(spec->name, "--out", dir)) return APP_FAIL;
    mg_plot_series series = {"train", s->ncurve, NULL, s->curve};
    pictures p = {spec->name, spec->name, 1, &series, s->ctx, s->model, NULL, s->train, 0};
    return pictures_write(&p, dir);
}

/* A failure of --graph or --html; a refusal over a limit says which option sets it. */
static int fail_picture(const demo_spec *spec, const mg_err *err, const char *option) {
    if (err->status != MG_STATUS_INVALID) return fail(spec, err->msg);
    app_error("%s: %s (%s N sets it)", spec->name, err->msg, option);
    return APP_FAIL;
}

/* --graph FILE: one sample's loss graph drawn. */
static int draw_graph(const demo_spec *spec, const demo_opts *o, demo_state *s) {
    if (!mg_ok(s->graph)) return fail(spec, "no graph to draw");
    mg_graph_options dopt;
    mg_graph_options_init(&dopt);
    if (o->has_max_nodes) dopt.max_nodes = o->max_nodes;
    dopt.max_png_side = o->max_png;
    mg_err err;
    if (mg_graph_save(s->ctx, s->graph, &dopt, o->graph, &err)) {
        int too_many = dopt.max_nodes && mg_graph_count(s->ctx, s->graph) > dopt.max_nodes;
        return fail_picture(spec, &err, too_many ? "--max-nodes" : "--max-png");
    }
    fprintf(stderr, "micrograd: %s: wrote %s\n", spec->name, o->graph);
    return APP_OK;
}

/* --html FILE: that graph's backward, step by step, as a page. */
static int write_page(const demo_spec *spec, const demo_opts *o, demo_state *s) {
    if (!mg_ok(s->graph)) return fail(spec, "no graph to show");
    mg_page_options popt;
    mg_page_options_init(&popt);
    if (o->has_max_nodes) popt.max_nodes = o->max_nodes;
    mg_err err;
    if (mg_page_save(s->ctx, s->graph, &popt, o->html, &err))
        return fail_picture(spec, &err, "--max-nodes");
    fprintf(stderr, "micrograd: %s: wrote %s (open it in a browser)\n", spec->name, o->html);
    return APP_OK;
}

int demo_end(const demo_spec *spec, const demo_opts *o, demo_state *s) {
    int status = APP_OK;
    if (o->formula) status = print_formula(spec, s);
    if (status == APP_OK && o->out) status = write_pictures(spec, o->out, s);
    if (status == APP_OK && o->graph) status = draw_graph(spec, o, s);
    if (status == APP_OK && o->html) status = write_page(spec, o, s);
    demo_state_free(s);
    return status;
}

int demo_abort(const demo_spec *spec, demo_state *s, const mg_err *err) {
    demo_state_free(s);
    return fail(spec, err->msg);
}
