/* pg.c - the playground's sessions: settings checked as `micrograd train` checks its
 * options, the data and model that command makes from them, and training in chunks of
 * mg_train calls that resume one another (see pg.h). Where this file and cli/train_*.c
 * both decide something (a default, an order of random draws), they must decide it the
 * same way: tests/playground compares the two step by step. */
#include "pg_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== messages =========================================================================== */

int pg__fail(pg_session *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    return -1;
}

const char *pg_error(const pg_session *s) { return s ? s->error : "no session"; }

char *pg_buffer(size_t n) { return malloc(n ? n : 1); }

void pg_buffer_free(char *p) { free(p); }

/* ==== option values ======================================================================= */

/* The generators and their default noise (cli/train_data.c's). */
static const struct {
    const char *name;
    double noise; /* NaN: none (yinyang) */
} generators[] = {
    {"moons", 0.1}, {"circles", 0.1}, {"blobs", 1.0}, {"spiral", 0.2}, {"xor", 0.1}, {"yinyang", NAN},
};
#define NGENERATORS (sizeof generators / sizeof *generators)

static int generator_index(const char *name) {
    for (size_t i = 0; i < NGENERATORS; i++)
        if (!strcmp(name, generators[i].name)) return (int)i;
    return -1;
}

/* A number in [lo, hi] (an open end when *_open), the whole string. */
static int parse_range(pg_session *s, const char *opt, const char *v, double lo, int lo_open,
                       double hi, int hi_open, double *out) {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || *end || errno == ERANGE || !isfinite(x))
        return pg__fail(s, "--%s expects a number, got '%s'", opt, v);
    if (x < lo || x > hi || (lo_open && x == lo) || (hi_open && x == hi))
        return pg__fail(s, "--%s must be %s %g and %s %g, got %s", opt, lo_open ? ">" : ">=", lo,
                        hi_open ? "<" : "<=", hi, v);
    *out = x;
    return 0;
}

/* Digits only, in [lo, hi]. */
static int parse_count(pg_session *s, const char *opt, const char *v, unsigned long long lo,
                       unsigned long long hi, unsigned long long *out) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno == ERANGE || x < lo || x > hi)
        return pg__fail(s, "--%s expects a whole number from %llu to %llu, got '%s'", opt, lo, hi, v);
    *out = x;
    return 0;
}

static int parse_size(pg_session *s, const char *opt, const char *v, size_t lo, size_t hi,
                      size_t *out) {
    unsigned long long x = 0;
    if (parse_count(s, opt, v, lo, hi, &x)) return -1;
    *out = (size_t)x;
    return 0;
}

/* "16,16": positive sizes (at most 1000000 each, app_parse_sizes' limit). */
static int parse_layers(pg_session *s, const char *v, pg_opts *o) {
    size_t n = 0;
    const char *p = v;
    while (*p) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (end == p || *p == '-' || *p == '+' || errno == ERANGE || x < 1 || x > 1000000 ||
            (*end && *end != ',') || (*end == ',' && !end[1]))
            return pg__fail(s, "--layers expects positive sizes like 16,16, got '%s'", v);
        if (n == PG_MAX_HIDDEN) return pg__fail(s, "--layers takes at most %d sizes", PG_MAX_HIDDEN);
        o->layers[n++] = (size_t)x;
        p = *end ? end + 1 : end;
    }
    if (!n) return pg__fail(s, "--layers expects sizes like 16,16, got ''");
    o->nlayers = n;
    return 0;
}

/* ==== the options ========================================================================= */

enum {
    OPT_DATA, OPT_SAMPLES, OPT_NOISE, OPT_CLASSES, OPT_SEED, OPT_VAL, OPT_LAYERS, OPT_ACT,
    OPT_LOSS, OPT_OPTIM, OPT_LR, OPT_MOMENTUM, OPT_WD, OPT_BATCH, OPT_L2, NOPTS
};

/* The names, in the order pg_command writes them, and pg_new's values. */
static const struct {
    const char *name, *initial;
} options[NOPTS] = {
    {"data", "moons"}, {"samples", "200"}, {"noise", ""},       {"classes", ""},
    {"seed", "42"},    {"val", "0.2"},     {"layers", "16,16"}, {"act", "relu"},
    {"loss", "ce"},    {"optimizer", "adamw"}, {"lr", ""},      {"momentum", ""},
    {"weight-decay", ""}, {"batch", "32"}, {"l2", "0"},
};

static int option_index(const char *name) {
    for (int i = 0; i < NOPTS; i++)
        if (!strcmp(name, options[i].name)) return i;
    return -1;
}

/* Option k's value v into o. 0, or -1 with the message. */
static int parse_option(pg_session *s, int k, const char *v, pg_opts *o) {
    unsigned long long x = 0;
    int empty = !*v;
    switch (k) {
    case OPT_DATA:
        if (generator_index(v) < 0)
            return pg__fail(s, "--data must be moons, circles, blobs, spiral, xor or yinyang, got '%s'", v);
        snprintf(o->data, sizeof o->data, "%.15s", v); /* a generator's name: short */
        return 0;
    case OPT_SAMPLES: return parse_size(s, "samples", v, 1, 10000000, &o->samples);
    case OPT_NOISE:
        o->noise = NAN;
        return empty ? 0 : parse_range(s, "noise", v, 0.0, 0, 100.0, 0, &o->noise);
    case OPT_CLASSES: o->classes = 0; return empty ? 0 : parse_size(s, "classes", v, 2, 100, &o->classes);
    case OPT_SEED:
        if (parse_count(s, "seed", v, 0, UINT64_MAX, &x)) return -1;
        o->seed = (uint64_t)x;
        return 0;
    case OPT_VAL:
        /* 0 is no --val at all; the command takes 0 < F < 1 */
        o->val = 0.0;
        return empty || !strcmp(v, "0") ? 0 : parse_range(s, "val", v, 0.0, 1, 1.0, 1, &o->val);
    case OPT_LAYERS: return parse_layers(s, v, o);
    case OPT_ACT:
        if (!mg_act_parse(v, &o->act) || o->act == MG_ACT_LINEAR)
            return pg__fail(s, "--act must be relu, tanh or sigmoid, got '%s'", v);
        return 0;
    case OPT_LOSS:
        if (!mg_loss_kind_parse(v, &o->loss) || o->loss == MG_LOSS_KIND_MSE)
            return pg__fail(s, "--loss must be ce, bce or hinge (the playground's data are classes), "
                               "got '%s'", v);
        return 0;
    case OPT_OPTIM:
        if (!mg_optim_parse(v, &o->optimizer))
            return pg__fail(s, "--optimizer must be sgd, momentum or adamw, got '%s'", v);
        return 0;
    case OPT_LR: o->lr = NAN; return empty ? 0 : parse_range(s, "lr", v, 0.0, 1, 1e6, 0, &o->lr);
    case OPT_MOMENTUM:
        o->momentum = NAN;
        return empty ? 0 : parse_range(s, "momentum", v, 0.0, 0, 1.0, 1, &o->momentum);
    case OPT_WD:
        o->weight_decay = NAN;
        return empty ? 0 : parse_range(s, "weight-decay", v, 0.0, 0, 1e6, 0, &o->weight_decay);
    case OPT_BATCH: return parse_size(s, "batch", v, 0, 1000000000, &o->batch);
    case OPT_L2: o->l2 = 0.0; return empty ? 0 : parse_range(s, "l2", v, 0.0, 0, 1e6, 0, &o->l2);
    }
    return pg__fail(s, "unknown option");
}

int pg_set(pg_session *s, const char *name, const char *value) {
    if (!s || !name || !value) return -1;
    int k = option_index(name);
    if (k < 0) return pg__fail(s, "unknown option '%s'", name);
    if (strlen(value) >= PG_TEXT) return pg__fail(s, "--%s: the value is too long", name);
    pg_opts o = s->o;
    if (parse_option(s, k, value, &o)) return -1;
    s->o = o;
    snprintf(s->text[k], PG_TEXT, "%s", value);
    s->error[0] = '\0';
    return 0;
}

const char *pg_get(const pg_session *s, const char *name) {
    int k = s && name ? option_index(name) : -1;
    return k < 0 ? NULL : s->text[k];
}

/* ==== sessions ============================================================================= */

/* Everything pg_reset makes, freed; the settings stay. */
static void run_free(pg_session *s) {
    mg_mlp_free(s->m);
    for (int k = 0; k < 2; k++) {
        mg_dataset_free(s->data[k]);
        mg_dataset_free(s->raw[k]);
        s->data[k] = s->raw[k] = NULL;
        memset(&s->metrics[k], 0, sizeof s->metrics[k]);
    }
    mg_standardizer_free(&s->std);
    mg_train_state_free(s->state);
    mg_ctx_free(s->ctx);
    s->m = NULL, s->state = NULL, s->ctx = NULL;
    s->steps = 0, s->failed = 0, s->nstep_losses = 0;
}

pg_session *pg_new(void) {
    pg_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    for (int k = 0; k < NOPTS; k++)
        if (pg_set(s, options[k].name, options[k].initial)) {
            pg_free(s); /* cannot happen: the initial values are valid */
            return NULL;
        }
    return s;
}

void pg_free(pg_session *s) {
    if (!s) return;
    run_free(s);
    pg__view_free(s);
    free(s->step_losses);
    free(s);
}

/* ==== the data and the model, as `micrograd train` makes them ============================== */

static mg_dataset *generate(const pg_opts *o, mg_rng *rng, mg_err *err) {
    int g = generator_index(o->data);
    double noise = isnan(o->noise) ? generators[g].noise : o->noise;
    size_t n = o->samples, k = o->classes ? o->classes : 3;
    if (!strcmp(o->data, "moons")) return mg_dataset_moons(rng, n, noise, err);
    if (!strcmp(o->data, "circles")) return mg_dataset_circles(rng, n, noise, 0.5, err);
    if (!strcmp(o->data, "blobs")) return mg_dataset_blobs(rng, n, k, 2, noise, err);
    if (!strcmp(o->data, "spiral")) return mg_dataset_spiral(rng, n, k, noise, err);
    if (!strcmp(o->data, "xor")) return mg_dataset_xor(rng, n, noise, err);
    return mg_dataset_yinyang(rng, n, 0.1, 0.5, err);
}

/* Generated, split after a shuffle (--val), copied as generated, standardised with the
 * training rows' numbers. */
static int make_data(pg_session *s, mg_rng *rng) {
    const pg_opts *o = &s->o;
    mg_err err = {0};
    mg_dataset *all = generate(o, rng, &err);
    if (!all) return pg__fail(s, "--data %s: %s", o->data, err.msg);
    if (o->val > 0) {
        size_t n = all->n, nval = (size_t)floor(o->val * (double)n + 0.5);
        if (nval == 0 || nval >= n) {
            mg_dataset_free(all);
            return pg__fail(s, "--val %g of %zu rows leaves %s", o->val, n,
                            nval == 0 ? "no validation rows" : "no training rows");
        }
        mg_dataset_shuffle(all, rng);
        mg_status st = mg_dataset_split(all, n - nval, nval, &s->data[PG_TRAIN], &s->data[PG_VAL],
                                        NULL, &err);
        mg_dataset_free(all);
        if (st) return pg__fail(s, "%s", err.msg);
    } else {
        s->data[PG_TRAIN] = all;
    }
    for (int k = 0; k < 2; k++) {
        const mg_dataset *d = s->data[k];
        if (d && !(s->raw[k] = mg_dataset_slice(d, 0, d->n, &err))) return pg__fail(s, "%s", err.msg);
    }
    if (mg_standardizer_fit(&s->std, s->data[PG_TRAIN], &err))
        return pg__fail(s, "--data %s: %s", o->data, err.msg);
    mg_standardizer_apply(&s->std, s->data[PG_TRAIN]);
    if (s->data[PG_VAL]) mg_standardizer_apply(&s->std, s->data[PG_VAL]);
    return 0;
}

/* The hidden layers, then one output per class for ce, one for bce and hinge (linear). */
static int make_model(pg_session *s) {
    const pg_opts *o = &s->o;
    const mg_dataset *d = s->data[PG_TRAIN];
    size_t sizes[MG_MLP_MAX_LAYERS];
    mg_act acts[MG_MLP_MAX_LAYERS];
    if (o->loss != MG_LOSS_KIND_CE && d->nclasses != 2)
        return pg__fail(s, "--loss %s needs 2 classes; %s has %zu", mg_loss_kind_name(o->loss),
                        o->data, d->nclasses);
    for (size_t l = 0; l < o->nlayers; l++) sizes[l] = o->layers[l], acts[l] = o->act;
    sizes[o->nlayers] = o->loss == MG_LOSS_KIND_CE ? d->nclasses : 1;
    acts[o->nlayers] = MG_ACT_LINEAR;
    mg_err err = {0};
    s->m = mg_mlp_new(s->ctx, d->nfeat, o->nlayers + 1, sizes, acts, MG_INIT_SCALED, NULL, &err);
    return s->m ? 0 : pg__fail(s, "%s", err.msg);
}

/* mg_train's settings from the options (cli/cmd_train.c's config()); the steps and the
 * state to resume from are set per chunk. Validation metrics during a chunk change no
 * number of the run, so they are left to the chunk's end. */
static void make_config(pg_session *s) {
    const pg_opts *o = &s->o;
    mg_train_config *cfg = &s->cfg;
    mg_train_config_init(cfg);
    cfg->loss = o->loss;
    cfg->l2 = o->l2;
    mg_optim_config_init(&cfg->optim, o->optimizer);
    if (!isnan(o->lr)) cfg->optim.lr = o->lr;
    else if (o->optimizer == MG_OPTIM_ADAMW) cfg->optim.lr = 0.01; /* TRAIN_DEFAULT_ADAMW_LR */
    if (!isnan(o->momentum) && o->optimizer == MG_OPTIM_MOMENTUM) cfg->optim.momentum = o->momentum;
    if (!isnan(o->weight_decay)) cfg->optim.weight_decay = o->weight_decay;
    cfg->batch_size = o->batch;
    cfg->epochs = 0;
    cfg->threads = 1;
}

/* The loss and accuracy of both splits now. */
static int measure(pg_session *s) {
    mg_err err = {0};
    for (int k = 0; k < 2; k++) {
        memset(&s->metrics[k], 0, sizeof s->metrics[k]);
        if (s->data[k] && mg_evaluate(s->ctx, s->m, s->data[k], s->cfg.loss, s->cfg.subtract_max,
                                      &s->metrics[k], &err))
            return pg__fail(s, "%s", err.msg);
    }
    return 0;
}

int pg_reset(pg_session *s) {
    if (!s) return -1;
    run_free(s);
    s->error[0] = '\0';
    if (!(s->ctx = mg_ctx_new())) return pg__fail(s, "out of memory");
    mg_rng_seed(mg_ctx_rng(s->ctx), s->o.seed);
    make_config(s);
    if (make_data(s, mg_ctx_rng(s->ctx)) || make_model(s) || measure(s)) {
        char keep[sizeof s->error];
        memcpy(keep, s->error, sizeof keep);
        run_free(s);
        memcpy(s->error, keep, sizeof keep);
        return -1;
    }
    return 0;
}

/* ==== training in chunks =================================================================== */

/* What a chunk's callback keeps: each step's loss, and the state after the last step. */
typedef struct chunk {
    pg_session *s;
    mg_train_state *state;
    int nomem;
} chunk;

static int on_step(void *user, const mg_train_progress *p) {
    chunk *c = user;
    pg_session *s = c->s;
    if (s->nstep_losses < s->cap_step_losses) s->step_losses[s->nstep_losses++] = p->loss;
    if (p->step + 1 == p->nsteps && !(c->state = mg_train_state_copy(p->state))) {
        c->nomem = 1;
        return 1;
    }
    return 0;
}

int pg_train(pg_session *s, size_t n) {
    if (!s) return -1;
    if (!s->m) return pg__fail(s, "no model: reset first");
    if (s->failed) return pg__fail(s, "training failed at step %zu: reset to start again", s->steps + 1);
    if (n == 0 || n > 100000000) return pg__fail(s, "steps must be 1 to 100000000, got %zu", n);
    if (n > s->cap_step_losses) {
        double *p = realloc(s->step_losses, n * sizeof *p);
        if (!p) return pg__fail(s, "out of memory");
        s->step_losses = p, s->cap_step_losses = n;
    }
    s->nstep_losses = 0;
    chunk c = {s, NULL, 0};
    mg_train_config cfg = s->cfg;
    cfg.steps = s->steps + n;
    cfg.resume = s->state;
    cfg.callback = on_step;
    cfg.user = &c;
    mg_train_result res;
    mg_err err = {0};
    mg_status st = mg_train(s->ctx, s->m, s->data[PG_TRAIN], s->data[PG_VAL], &cfg, &res, &err);
    if (c.state) {
        mg_train_state_free(s->state);
        s->state = c.state;
    }
    s->steps = res.steps;
    if (st || c.nomem || res.steps != cfg.steps) {
        s->failed = 1;
        if (st == MG_STATUS_NUMERIC)
            return pg__fail(s, "%s (a smaller learning rate may help)", err.msg);
        return pg__fail(s, "%s", st ? err.msg : "out of memory");
    }
    s->metrics[PG_TRAIN] = res.train;
    s->metrics[PG_VAL] = res.val;
    return 0;
}

size_t pg_steps(const pg_session *s) { return s ? s->steps : 0; }

double pg_loss(const pg_session *s, int which) {
    return s && (which == PG_TRAIN || which == PG_VAL) && s->metrics[which].n
               ? s->metrics[which].loss : NAN;
}

double pg_accuracy(const pg_session *s, int which) {
    return s && (which == PG_TRAIN || which == PG_VAL) && s->metrics[which].n
               ? s->metrics[which].accuracy : NAN;
}

const double *pg_step_losses(const pg_session *s) { return s ? s->step_losses : NULL; }

size_t pg_nstep_losses(const pg_session *s) { return s ? s->nstep_losses : 0; }

size_t pg_nclasses(const pg_session *s) {
    return s && s->data[PG_TRAIN] ? s->data[PG_TRAIN]->nclasses : 0;
}

/* ==== the command line ====================================================================== */

const char *pg_command(pg_session *s) {
    if (!s) return "";
    const pg_opts *o = &s->o;
    int blobs_or_spiral = !strcmp(o->data, "blobs") || !strcmp(o->data, "spiral");
    size_t len = (size_t)snprintf(s->command, sizeof s->command, "micrograd train");
    for (int k = 0; k < NOPTS; k++) {
        const char *v = s->text[k];
        int skip = !*v || (k == OPT_NOISE && !strcmp(o->data, "yinyang")) ||
                   (k == OPT_CLASSES && !blobs_or_spiral) || (k == OPT_VAL && o->val == 0.0) ||
                   (k == OPT_MOMENTUM && o->optimizer != MG_OPTIM_MOMENTUM) ||
                   (k == OPT_L2 && o->l2 == 0.0);
        if (!skip && len < sizeof s->command)
            len += (size_t)snprintf(s->command + len, sizeof s->command - len, " --%s %s",
                                    options[k].name, v);
    }
    if (len < sizeof s->command)
        snprintf(s->command + len, sizeof s->command - len, " --steps %zu", s->steps);
    return s->command;
}
