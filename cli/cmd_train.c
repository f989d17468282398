/* cmd_train.c - `micrograd train`: checks where its outputs go, loads the data, builds an
 * MLP for the task, trains it with mg_train (the library's one training loop), measures
 * it on the test split, and saves it with everything `predict` and `info` need. The
 * options, the data and the reports live in cli/train_*.c. */
#include "train_internal.h"

#include "pictures.h"
#include "ranks.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CMD TRAIN_CMD

/* ==== checks before any work ================================================================ */

/* --save FILE must be writable where it is going, so that hours of training are not
 * lost on a typo: its directory exists and can be written, the name is not a directory,
 * and this build can write model files at all. */
static int check_save_path(const char *path) {
    size_t n = strlen(path);
    struct stat st;
    if (path[n - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
        app_error("--save %s: is a directory, not a file name", path);
        return 0;
    }
    char *dir = strdup(path);
    if (!dir) {
        app_error("out of memory");
        return 0;
    }
    char *slash = strrchr(dir, '/');
    const char *where = !slash ? "." : slash == dir ? "/" : (*slash = '\0', dir);
    int ok = 0;
    if (stat(where, &st) != 0)
        app_error("--save %s: the directory %s does not exist", path, where);
    else if (!S_ISDIR(st.st_mode))
        app_error("--save %s: %s is not a directory", path, where);
    else if (access(where, W_OK | X_OK) != 0)
        app_error("--save %s: cannot write into %s: %s", path, where, strerror(errno));
    else
        ok = 1;
    free(dir);
    if (ok && !mg_model_files_available()) {
        app_error("--save %s: model files need jansson (install libjansson-dev and rebuild)", path);
        ok = 0;
    }
    return ok;
}

static int check_outputs(const train_opts *o) {
    if (o->save && !check_save_path(o->save)) return 0;
    if (o->checkpoint && !check_save_path(o->checkpoint)) return 0;
    if (o->plot && !mg_plot_available()) {
        app_error("--plot: this build has no plots (install libcairo2-dev and rebuild)");
        return 0;
    }
    return !o->plot || pictures_make_dir(CMD, "--plot", o->plot);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The distinct targets of d (0 when out of memory), for a message. */
static size_t distinct_values(const mg_dataset *d) {
    double *y = malloc(d->n * sizeof *y);
    if (!y) return 0;
    memcpy(y, d->y, d->n * sizeof *y);
    qsort(y, d->n, sizeof *y, cmp_double);
    size_t n = d->n > 0;
    for (size_t i = 1; i < d->n; i++) n += y[i] != y[i - 1];
    free(y);
    return n;
}

/* The loss: the one asked for if it fits the data, else CE for classes, MSE for numbers.
 * APP_OK or APP_USAGE. */
static int choose_loss(const train_opts *o, const mg_dataset *d, mg_loss_kind *loss) {
    size_t k = d->nclasses;
    *loss = o->has_loss ? o->loss : k ? MG_LOSS_KIND_CE : MG_LOSS_KIND_MSE;
    if (*loss == MG_LOSS_KIND_MSE && k)
        return app_usage_error(CMD, "--loss mse needs numeric targets; %s has %zu classes", o->data, k);
    if ((*loss == MG_LOSS_KIND_BCE || *loss == MG_LOSS_KIND_HINGE) && k != 2) {
        if (!k) return app_usage_error(CMD, "--loss %s needs 2 classes; the target of %s holds "
                                            "numbers (%zu distinct values)",
                                       mg_loss_kind_name(*loss), o->data, distinct_values(d));
        return app_usage_error(CMD, "--loss %s needs 2 classes; %s has %zu", mg_loss_kind_name(*loss),
                               o->data, k);
    }
    if (*loss == MG_LOSS_KIND_CE && !k)
        return app_usage_error(CMD, "--loss ce needs classes; the target of %s holds numbers (%zu "
                                    "distinct values): use --loss mse, or --task classify to make "
                                    "each value a class", o->data, distinct_values(d));
    return APP_OK;
}

/* ==== the model and the run's settings ======================================================= */

/* The model the options describe: new, or (--resume) the checkpoint's, which must be that
 * model with a training state; *state gets the state (free with mg_train_state_free). */
static mg_mlp *make_model(mg_ctx *ctx, const train_opts *o, const mg_dataset *d, mg_loss_kind loss,
                          mg_train_state **state, mg_err *err) {
    size_t sizes[MG_MLP_MAX_LAYERS];
    mg_act acts[MG_MLP_MAX_LAYERS];
    for (size_t l = 0; l < o->nlayers; l++) {
        sizes[l] = o->layers[l];
        acts[l] = o->act;
    }
    sizes[o->nlayers] = loss == MG_LOSS_KIND_CE ? d->nclasses : 1;
    acts[o->nlayers] = MG_ACT_LINEAR;
    *state = NULL;
    if (o->resume) {
        mg_model_info info;
        mg_mlp *m = mg_model_load(o->resume, ctx, &info, err);
        if (!m) return NULL;
        int same = m->nin == d->nfeat && m->nlayers == o->nlayers + 1;
        for (size_t l = 0; same && l < m->nlayers; l++)
            same = m->sizes[l] == sizes[l] && m->acts[l] == acts[l];
        if (!same || !info.train_state) {
            mg_err_set(err, MG_STATUS_INVALID,
                       !same ? "--resume %s: the checkpoint's model is not the one these options "
                               "and data make (give the options of the first run)"
                             : "--resume %s: a model without a training state (save checkpoints "
                               "with --checkpoint)",
                       o->resume);
            mg_model_info_free(&info);
            mg_mlp_free(m);
            return NULL;
        }
        *state = info.train_state;
        info.train_state = NULL;
        mg_model_info_free(&info);
        return m;
    }
    /* Weights scaled by nin^-1/2: micrograd's uniform(-1, 1) saturates wide layers
     * (784 image pixels) from the first step. */
    return mg_mlp_new(ctx, d->nfeat, o->nlayers + 1, sizes, acts, MG_INIT_SCALED, NULL, err);
}

/* mg_train's settings from the options (the callback is set by the caller). */
static void config(const train_opts *o, mg_loss_kind loss, int has_val, size_t per_epoch,
                   mg_train_config *cfg) {
    mg_train_config_init(cfg); /* the library's defaults are the command's */
    cfg->loss = loss;
    cfg->l2 = o->l2;
    if (o->optimizer != cfg->optim.kind) mg_optim_config_init(&cfg->optim, o->optimizer);
    if (!isnan(o->lr)) cfg->optim.lr = o->lr;
    if (!isnan(o->momentum)) cfg->optim.momentum = o->momentum;
    if (!isnan(o->weight_decay)) cfg->optim.weight_decay = o->weight_decay;
    cfg->optim.schedule = o->schedule;
    if (o->schedule == MG_LR_AUTO) /* as mg_train takes it, so the plan and settings say so */
        cfg->optim.schedule = loss == MG_LOSS_KIND_MSE ? MG_LR_LINEAR : MG_LR_CONSTANT;
    cfg->optim.decay = o->decay;
    cfg->steps = o->steps;
    cfg->epochs = o->steps ? 0 : o->epochs;
    cfg->batch_size = o->batch;
    cfg->eval_every = has_val ? per_epoch : 0;
    cfg->eager = o->eager;
    cfg->threads = o->threads;
    cfg->dtype = o->dtype;
    cfg->check_numerics = o->check_numerics;
}

/* The layers as "16,16". */
static void layers_text(const train_opts *o, char *buf, size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (size_t l = 0; l < o->nlayers && len < size; l++)
        len += (size_t)snprintf(buf + len, size - len, "%s%zu", l ? "," : "", o->layers[l]);
}

static void print_plan(const train_opts *o, const train_data *d, const mg_mlp *m,
                       const mg_train_config *cfg, size_t nsteps) {
    const mg_dataset *t = d->train;
    fprintf(stderr, "data: %s: %zu rows, %zu features, ", o->data, d->nrows, t->nfeat);
    if (t->nclasses) fprintf(stderr, "%zu classes", t->nclasses);
    else fprintf(stderr, "numeric target");
    fprintf(stderr, "; %zu for training", t->n);
    if (d->val) fprintf(stderr, ", %zu for validation", d->val->n);
    if (d->test) fprintf(stderr, "; %zu test rows", d->test->n);
    fprintf(stderr, "%s\nmodel: %zu", d->standardize.nfeat ? " (standardised)" : "", m->nin);
    for (size_t l = 0; l < m->nlayers; l++) fprintf(stderr, " -> %zu %s", m->sizes[l], mg_act_name(m->acts[l]));
    fprintf(stderr, ", %zu parameters; loss %s; %s lr %g", m->nparams, mg_loss_kind_name(cfg->loss),
            mg_optim_name(cfg->optim.kind), cfg->optim.lr);
    if (cfg->optim.schedule == MG_LR_LINEAR) fprintf(stderr, " (linear decay %g)", cfg->optim.decay);
    fprintf(stderr, ", batch %zu, ", cfg->batch_size && cfg->batch_size < t->n ? cfg->batch_size : t->n);
    if (o->steps) fprintf(stderr, "%zu steps\n", nsteps);
    else fprintf(stderr, "%zu epoch%s (%zu step%s)\n", o->epochs, o->epochs == 1 ? "" : "s", nsteps,
                 nsteps == 1 ? "" : "s");
    fflush(stderr);
}

/* ==== saving ================================================================================= */

/* Adds a setting made with printf's format, unless *st already holds a failure. */
static void setting(mg_model_info *info, mg_status *st, mg_err *err, const char *name,
                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static void setting(mg_model_info *info, mg_status *st, mg_err *err, const char *name,
                    const char *fmt, ...) {
    char buf[64 * MG_MLP_MAX_LAYERS];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!*st) *st = mg_model_info_set_setting(info, name, buf, err);
}

/* What the model file keeps besides its weights (micrograd.h section 14d). */
static mg_status fill_info(mg_model_info *info, const train_opts *o, const train_data *d,
                           const mg_train_config *cfg, const train_outcome *r, mg_err *err) {
    const mg_optim_config *oc = &cfg->optim;
    char layers[64 * MG_MLP_MAX_LAYERS];
    mg_status st = mg_model_info_set_dataset(info, d->train, err);
    if (!st && d->standardize.nfeat) st = mg_model_info_set_standardizer(info, &d->standardize, err);
    if (!st && d->target_scale.nfeat)
        st = mg_model_info_set_target_scale(info, &d->target_scale, err);
    if (!st && d->report.nunused)
        st = mg_model_info_set_drop(info, d->report.nunused, (const char *const *)d->report.unused,
                                    err);
    info->has_loss = 1;
    info->loss = cfg->loss;
    if (!st) st = train_set_metrics(info, r, err);
    layers_text(o, layers, sizeof layers);
    setting(info, &st, err, "data", "%s", o->data);
    setting(info, &st, err, "layers", "%s", layers);
    setting(info, &st, err, "act", "%s", mg_act_name(o->act));
    setting(info, &st, err, "optimizer", "%s", mg_optim_name(oc->kind));
    setting(info, &st, err, "lr", "%g", oc->lr);
    if (oc->kind == MG_OPTIM_MOMENTUM) setting(info, &st, err, "momentum", "%g", oc->momentum);
    if (oc->schedule == MG_LR_LINEAR) setting(info, &st, err, "lr_decay", "linear:%g", oc->decay);
    else setting(info, &st, err, "lr_decay", "none");
    setting(info, &st, err, "weight_decay", "%g", oc->weight_decay);
    if (cfg->l2 > 0) setting(info, &st, err, "l2", "%g", cfg->l2);
    setting(info, &st, err, "batch", "%zu", o->batch);
    if (o->steps) setting(info, &st, err, "steps", "%zu", o->steps);
    else setting(info, &st, err, "epochs", "%zu", o->epochs);
    setting(info, &st, err, "seed", "%llu", (unsigned long long)o->seed);
    if (o->val > 0) setting(info, &st, err, "val", "%g", o->val);
    setting(info, &st, err, "standardize", "%s", o->standardize ? "yes" : "no");
    if (cfg->dtype == MG_DTYPE_F32) setting(info, &st, err, "dtype", "f32");
    return st;
}

static int save_model(const train_opts *o, const train_data *d, mg_ctx *ctx, const mg_mlp *m,
                      const mg_train_config *cfg, const train_outcome *r) {
    mg_model_info info;
    mg_model_info_init(&info);
    mg_err err = {0};
    mg_status st = fill_info(&info, o, d, cfg, r, &err);
    if (!st) st = mg_model_save(o->save, ctx, m, &info, &err);
    mg_model_info_free(&info);
    if (st) app_error("%s", err.msg);
    return st ? APP_FAIL : APP_OK;
}

/* ==== checkpoints and signals ================================================================ */

static volatile sig_atomic_t interrupted; /* the signal that asked training to stop, or 0 */

static void on_signal(int sig) { interrupted = sig; }

/* What the per-step callback needs besides the progress report. */
typedef struct step_ctx {
    train_progress prog;
    const train_opts *o;
    mg_ctx *ctx;
    const mg_mlp *m;
    mg_model_info info;    /* the model's info for checkpoints (no metrics yet) */
    size_t every;          /* steps between checkpoints (0: none) */
    size_t stopped_step;   /* the steps done when a signal stopped training */
    const char *stop_file; /* where that stop was saved, or NULL */
    int signal;            /* the signal that stopped training (agreed by the ranks), or 0 */
    int failed;            /* a checkpoint could not be written (the message is printed) */
} step_ctx;

/* Saves the model and p's training state to path; 0 after printing why not. */
static int save_checkpoint(step_ctx *c, const mg_train_progress *p, const char *path) {
    mg_err err = {0};
    c->info.train_state = (mg_train_state *)p->state; /* borrowed for the save */
    mg_status st = mg_model_save(path, c->ctx, c->m, &c->info, &err);
    c->info.train_state = NULL;
    if (st) app_error("checkpoint after step %zu: %s", p->step + 1, err.msg);
    return st == MG_STATUS_OK;
}

/* mg_train's callback: the progress report, the periodic checkpoint, and a stop asked
 * for by SIGINT or SIGTERM (the step in progress has finished: its state is saved). */
static int on_step(void *user, const mg_train_progress *p) {
    step_ctx *c = user;
    int stop = train_progress_step(&c->prog, p);
    size_t done = p->step + 1;
    /* every `every` steps, and after the last one: the checkpoint ends up up to date */
    if (c->every && (done % c->every == 0 || done == p->nsteps) &&
        !save_checkpoint(c, p, c->o->checkpoint))
        c->failed = 1;
    /* ranks stop together: a signal on any of them (mpirun passes one to all, at slightly
     * different steps), a failed checkpoint on rank 0 */
    int any[3] = {interrupted, c->failed, stop != 0}; /* `interrupted` read once: a signal
                                                           coming later is the next step's */
    app_mpi_max(any, 3);
    if (any[1]) return 1;
    stop = any[2];
    if (any[0]) {
        c->signal = any[0];
        c->stopped_step = done;
        c->stop_file = c->o->checkpoint ? c->o->checkpoint : c->o->save;
        if (c->stop_file && !save_checkpoint(c, p, c->stop_file)) c->failed = 1;
        return 1;
    }
    return stop;
}

/* SIGINT and SIGTERM set `interrupted` while training (old actions kept in old[2]). */
static void catch_signals(struct sigaction old[2]) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
}

static void restore_signals(const struct sigaction old[2]) {
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
}

/* The message after a stop by a signal; the exit status 130. */
static int report_stop(step_ctx *c, size_t per_epoch, size_t nb, size_t ntrain) {
    size_t done = c->stopped_step;
    char where[512];
    train_progress_finish(&c->prog, NULL, done);
    if (c->stop_file && !c->failed)
        snprintf(where, sizeof where, "saved to %s: continue with --resume %s and the same options",
                 c->stop_file, c->stop_file);
    else
        snprintf(where, sizeof where, "%s", c->failed ? "the checkpoint could not be written"
                                                      : "nothing saved (no --checkpoint or --save)");
    app_error("train: stopped by %s after step %zu of %zu (epoch %zu, sample %zu of %zu); %s",
              c->signal == SIGTERM ? "SIGTERM" : "SIGINT", done, c->prog.nsteps_total,
              done / per_epoch + 1, done % per_epoch * nb, ntrain, where);
    return 130;
}

/* ==== the run, phase by phase ================================================================ */

/* What the phases of one run share. Each phase returns the exit status; the run goes on
 * while it is APP_OK. */
typedef struct train_run {
    const train_opts *o;
    mg_ctx *ctx;
    train_data *d;
    mg_loss_kind loss;
    mg_mlp *m;
    mg_train_state *resume;  /* --resume: the checkpoint's training state, or NULL */
    size_t n, nb;            /* training samples, and samples per step */
    size_t per_epoch, nsteps; /* steps per epoch, and in all */
    step_ctx sc;             /* what the per-step callback keeps */
    mg_train_config cfg;
    mg_train_result res;
    train_outcome r;         /* what the reports say */
} train_run;

/* The loss, the model (new, or the checkpoint's) and the number of steps. */
static int plan(train_run *t) {
    const train_opts *o = t->o;
    int status = choose_loss(o, t->d->train, &t->loss);
    if (status != APP_OK) return status;
    mg_err err = {0};
    t->m = make_model(t->ctx, o, t->d->train, t->loss, &t->resume, &err);
    if (!t->m) {
        app_error("%s", err.msg);
        return err.status == MG_STATUS_INVALID ? APP_USAGE : APP_FAIL;
    }
    t->n = t->d->train->n;
    /* The library's arithmetic, so the plan printed is the one mg_train runs. */
    mg_train_config pc;
    mg_train_config_init(&pc);
    pc.batch_size = o->batch, pc.steps = o->steps, pc.epochs = o->epochs;
    if (mg_train_plan(&pc, t->n, &t->nb, &t->per_epoch, &t->nsteps, &err) != MG_STATUS_OK) {
        app_error("%s", err.msg);
        return APP_USAGE;
    }
    return APP_OK;
}

/* The callback's state, mg_train's settings, the checkpoints' model info; prints the
 * plan. */
static int prepare(train_run *t) {
    const train_opts *o = t->o;
    step_ctx *sc = &t->sc;
    int has_val = t->d->val != NULL;
    sc->o = o, sc->ctx = t->ctx, sc->m = t->m;
    sc->every = o->checkpoint ? (o->every ? o->every : t->per_epoch) : 0;
    train_progress_init(&sc->prog, o, t->loss, t->n, (t->nsteps + t->per_epoch - 1) / t->per_epoch,
                        has_val);
    if (t->d->target_scale.nfeat) sc->prog.scale = t->d->target_scale.std[0];
    sc->prog.nsteps_total = t->nsteps;
    config(o, t->loss, has_val, t->per_epoch, &t->cfg);
    t->cfg.callback = on_step;
    t->cfg.user = sc;
    t->cfg.resume = t->resume;
    t->cfg.collective = app_mpi_collective(); /* NULL for one process */
    if (t->resume) train_progress_resume(&sc->prog, t->resume->epoch, t->resume->pos);
    train_outcome none;
    memset(&none, 0, sizeof none);
    mg_err err = {0};
    if ((o->checkpoint || o->save) && fill_info(&sc->info, o, t->d, &t->cfg, &none, &err)) {
        app_error("%s", err.msg);
        return APP_FAIL;
    }
    if (!o->quiet) {
        print_plan(o, t->d, t->m, &t->cfg, t->nsteps);
        if (t->resume) fprintf(stderr, "resuming %s after step %zu\n", o->resume, t->resume->step);
    }
    if (o->max_memory) mg_ctx_set_max_bytes(t->ctx, mg_ctx_bytes(t->ctx) + o->max_memory);
    return APP_OK;
}

/* mg_train, with SIGINT and SIGTERM stopping it after a step (then 130). */
static int train(train_run *t) {
    mg_err err = {0};
    struct sigaction old[2];
    catch_signals(old);
    mg_status st = mg_train(t->ctx, t->m, t->d->train, t->d->val, &t->cfg, &t->res, &err);
    restore_signals(old);
    train_ranks_report(t->res.steps - (t->resume ? t->resume->step : 0));
    if (t->sc.signal && t->res.stopped) return report_stop(&t->sc, t->per_epoch, t->nb, t->n);
    train_progress_finish(&t->sc.prog, st ? NULL : &t->res.val, t->res.steps);
    if (st) {
        app_error("training failed: %s", err.msg);
        return APP_FAIL;
    }
    return t->sc.failed ? APP_FAIL : APP_OK; /* a checkpoint failed: already said */
}

/* The outcome for the reports, with the test split measured. */
static int measure(train_run *t) {
    train_outcome *r = &t->r;
    r->loss = t->loss;
    r->train = t->res.train;
    r->val = t->res.val;
    r->steps = t->res.steps;
    r->epochs = (double)(r->steps / t->per_epoch) +
                (double)(r->steps % t->per_epoch * t->nb) / (double)t->n;
    r->seconds = t->res.seconds;
    r->parameters = t->m->nparams;
    r->scaled = t->d->target_scale.nfeat != 0;
    mg_err err = {0};
    if (t->d->test && app_mpi_rank() == 0 && /* rank 0 alone reports it */
        mg_evaluate(t->ctx, t->m, t->d->test, t->loss, t->cfg.subtract_max, &r->test, &err)) {
        app_error("evaluating the test split: %s", err.msg);
        return APP_FAIL;
    }
    /* A regression trained on standardised targets: errors in the target's own units. */
    double sd = r->scaled ? t->d->target_scale.std[0] : 1.0;
    mg_metrics *m[3] = {&r->train, &r->val, &r->test};
    for (int k = 0; k < 3; k++) m[k]->rmse *= sd, m[k]->mae *= sd;
    return APP_OK;
}

/* --save FILE. */
static int save(train_run *t) {
    if (!t->o->save) return APP_OK;
    int status = save_model(t->o, t->d, t->ctx, t->m, &t->cfg, &t->r);
    if (status == APP_OK) t->r.saved = t->o->save;
    return status;
}

/* --plot DIR: the loss curves and, for two features and classes, the decision boundary. */
static int draw(train_run *t) {
    const train_opts *o = t->o;
    const train_progress *prog = &t->sc.prog;
    if (!o->plot) return APP_OK;
    if (prog->oom) app_error("train: out of memory recording the loss curves: they are cut short");
    mg_plot_series curves[2] = {{"train", prog->ncurve, NULL, prog->curve},
                                {"val", prog->nval, prog->val_x, prog->val_y}};
    const char *slash = strrchr(o->data, '/'), *name = slash && slash[1] ? slash + 1 : o->data;
    char title[128];
    snprintf(title, sizeof title, "train on %s", name);
    pictures p = {CMD, title, 2, curves, t->ctx, t->m, &t->d->standardize, t->d->raw_points,
                  o->quiet};
    return pictures_write(&p, o->plot);
}

/* The JSON object (--json) and the summary, and whether they reached standard output. */
static int report(train_run *t) {
    const train_opts *o = t->o;
    if (o->json) train_print_json(stdout, o, &t->r);
    if (!o->quiet) train_print_summary(o->json ? stderr : stdout, &t->r);
    if (fflush(stdout) == 0 && !ferror(stdout)) return APP_OK;
    app_error("cannot write to standard output");
    return APP_FAIL;
}

/* Trains, measures, saves and draws; prints the summary. The exit status. */
static int run(const train_opts *o, mg_ctx *ctx, train_data *d) {
    train_run t;
    memset(&t, 0, sizeof t);
    t.o = o, t.ctx = ctx, t.d = d;
    mg_model_info_init(&t.sc.info);
    int status = plan(&t);
    if (status == APP_OK) status = prepare(&t);
    status = app_mpi_agree(status); /* no rank trains alone */
    if (status == APP_OK) status = train(&t);
    if (status == APP_OK) status = measure(&t);
    if (status == APP_OK) status = save(&t);
    if (status == APP_OK) status = draw(&t);
    if (status == APP_OK) status = report(&t);
    train_progress_free(&t.sc.prog);
    mg_model_info_free(&t.sc.info);
    mg_train_state_free(t.resume);
    mg_mlp_free(t.m);
    return status;
}

/* --json on a failure: the message as a JSON object on standard output. */
static int json_failure(int status) {
    printf("{\"error\":");
    app_json_string(stdout, app_last_error());
    printf(",\"exit\":%d}\n", status);
    fflush(stdout);
    return status;
}

/* Whether --json is among the arguments (asked before they are known to be valid). */
static int wants_json(int argc, char **argv) {
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--json")) return 1;
    return 0;
}

static int train_command(int argc, char **argv);

/* Under mpirun (a build with MPI), one rank of the job: every rank runs the command and
 * they agree on its exit status. */
int cli_cmd_train(int argc, char **argv) {
    if (app_mpi_init()) return APP_FAIL;
    int status = app_mpi_agree(train_command(argc, argv));
    app_mpi_finalize();
    return status;
}

static int train_command(int argc, char **argv) {
    train_opts o;
    int stop, status = train_parse_options(argc, argv, &o, &stop);
    if (stop) {
        train_opts_free(&o);
        return status != APP_OK && wants_json(argc, argv) ? json_failure(status) : status;
    }
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) {
        app_error("out of memory");
        train_opts_free(&o);
        return o.json ? json_failure(APP_FAIL) : APP_FAIL;
    }
    mg_rng_seed(mg_ctx_rng(ctx), o.seed);
    train_data d;
    int loaded = 0;
    train_ranks_options(&o);
    if (!check_outputs(&o)) status = APP_FAIL;
    else loaded = (status = train_data_load(&o, mg_ctx_rng(ctx), &d)) == APP_OK;
    status = app_mpi_agree(status); /* a rank that could not read the data stops all */
    if (status == APP_OK) status = train_ranks_check(&o, &d);
    if (status == APP_OK) status = run(&o, ctx, &d);
    if (loaded) train_data_free(&d);
    mg_ctx_free(ctx);
    train_opts_free(&o);
    return status != APP_OK && o.json ? json_failure(status) : status;
}
