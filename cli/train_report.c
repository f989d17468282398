/* train_report.c - what `micrograd train` tells the user: a live bar per epoch on a
 * terminal (one plain line per epoch otherwise), the curves --plot draws, the final
 * summary, the JSON object of --json, and the metrics saved with the model. */
#include "train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ==== progress ============================================================================ */

void train_progress_init(train_progress *p, const train_opts *o, mg_loss_kind loss,
                         size_t ntrain, size_t nepochs, int has_val) {
    memset(p, 0, sizeof *p);
    p->quiet = o->quiet;
    p->tty = !o->quiet && isatty(fileno(stderr));
    p->loss = loss;
    p->ntrain = ntrain;
    p->nepochs = nepochs;
    p->has_val = has_val;
    p->scale = 1.0;
}

void train_progress_free(train_progress *p) {
    free(p->curve);
    free(p->val_x);
    free(p->val_y);
    memset(p, 0, sizeof *p);
}

/* Appends x to a growing array; on failure the curve stays as it is (cut short). */
static int push(double **a, size_t *n, size_t *cap, double x) {
    if (*n == *cap) {
        size_t c = *cap ? 2 * *cap : 256;
        double *b = c < SIZE_MAX / sizeof *b ? realloc(*a, c * sizeof *b) : NULL;
        if (!b) return 0;
        *a = b;
        *cap = c;
    }
    (*a)[(*n)++] = x;
    return 1;
}

/* Appends the pair (x, y) to the validation curve. */
static int push_val(train_progress *p, double x, double y) {
    if (p->nval == p->capval) {
        size_t c = p->capval ? 2 * p->capval : 64;
        double *a = c < SIZE_MAX / sizeof *a ? realloc(p->val_x, c * sizeof *a) : NULL;
        if (!a) return 0;
        p->val_x = a;
        double *b = realloc(p->val_y, c * sizeof *b);
        if (!b) return 0;
        p->val_y = b;
        p->capval = c;
    }
    p->val_x[p->nval] = x;
    p->val_y[p->nval++] = y;
    return 1;
}

static const char *metric_name(mg_loss_kind loss) { return loss == MG_LOSS_KIND_MSE ? "rmse" : "accuracy"; }

static double metric_of(const mg_metrics *m, mg_loss_kind loss) {
    return loss == MG_LOSS_KIND_MSE ? m->rmse : m->accuracy;
}

/* The metric of val for an epoch line: a regression's RMSE in the target's units. */
static double val_metric(const train_progress *p, const mg_metrics *val) {
    return p->loss == MG_LOSS_KIND_MSE ? val->rmse * p->scale : val->accuracy;
}

/* Losses and RMSEs with 6 significant digits, accuracies with 4 decimals. */
static void print_number(FILE *f, const char *name, double x, int accuracy) {
    fprintf(f, accuracy ? " %s %.4f" : " %s %.6g", name, x);
}

/* "epoch 3/20 loss 0.41 accuracy 0.8750 val_loss 0.39 val_accuracy 0.9000 (0.02 s)" */
static void print_epoch(train_progress *p, const mg_metrics *val) {
    FILE *f = stderr;
    if (p->tty) fputs("\r\033[K", f);
    fprintf(f, "epoch %zu/%zu", p->pending_epoch + 1, p->nepochs);
    int acc = p->loss != MG_LOSS_KIND_MSE;
    print_number(f, "loss", p->pending_loss, 0);
    print_number(f, metric_name(p->loss), p->pending_metric, acc);
    if (val && val->n) {
        print_number(f, "val_loss", val->loss, 0);
        print_number(f, acc ? "val_accuracy" : "val_rmse", val_metric(p, val), acc);
    }
    fprintf(f, " (%.2f s)\n", p->pending_seconds);
    fflush(f);
    p->pending = p->drawn = 0;
}

/* The running metric of the epoch so far. */
static double running_metric(const train_progress *p) {
    double n = (double)(p->seen ? p->seen : 1);
    return p->loss == MG_LOSS_KIND_MSE ? sqrt(p->sq_sum / n) * p->scale : (double)p->correct / n;
}

/* "epoch 3/20 [########----------------]  31%  12345/s ETA 0:03 loss 0.4123 acc 0.8750" */
static void draw_bar(train_progress *p, double now) {
    enum { WIDTH = 24 };
    double frac = (double)p->seen / (double)p->ntrain, dt = now - p->start;
    double rate = dt > 0 ? (double)p->seen / dt : 0, eta = rate > 0 ? (double)(p->ntrain - p->seen) / rate : 0;
    char bar[WIDTH + 1];
    size_t full = (size_t)(frac * WIDTH);
    for (size_t i = 0; i < WIDTH; i++) bar[i] = i < full ? '#' : '-';
    bar[WIDTH] = '\0';
    unsigned long e = (unsigned long)(eta + 0.5);
    fprintf(stderr, "\r\033[Kepoch %zu/%zu [%s] %3d%% %8.0f/s ETA %lu:%02lu loss %.4g %s %.4f",
            p->epoch + 1, p->nepochs, bar, (int)(100 * frac), rate, e / 60, e % 60,
            p->loss_sum / (double)(p->seen ? p->seen : 1), p->loss == MG_LOSS_KIND_MSE ? "rmse" : "acc",
            running_metric(p));
    fflush(stderr);
    p->last_draw = now;
    p->drawn = 1;
}

void train_progress_resume(train_progress *p, size_t epoch, size_t pos) {
    p->epoch = epoch;
    p->skip = pos;
}

int train_progress_step(void *user, const mg_train_progress *s) {
    train_progress *p = user;
    if (!push(&p->curve, &p->ncurve, &p->capcurve, s->loss)) p->oom = 1;
    if (s->has_val) {
        if (!push_val(p, (double)s->step, s->val.loss)) p->oom = 1;
        if (p->pending && !p->quiet) print_epoch(p, &s->val);
    }
    p->seen += s->batch;
    p->loss_sum += s->data_loss * (double)s->batch;
    p->correct += s->batch_metrics.correct;
    if (p->loss == MG_LOSS_KIND_MSE) p->sq_sum += s->batch_metrics.rmse * s->batch_metrics.rmse * (double)s->batch;
    int last = s->step + 1 == s->nsteps;
    if (p->seen + p->skip >= p->ntrain || last) {
        p->skip = 0;
        p->pending = 1;
        p->pending_epoch = p->epoch;
        p->pending_loss = p->loss_sum / (double)p->seen;
        p->pending_metric = running_metric(p);
        p->pending_seconds = s->elapsed - p->start;
        /* With validation the line waits for the numbers measured before the next step. */
        if (!p->has_val && !p->quiet) print_epoch(p, NULL);
        p->epoch++;
        p->seen = p->correct = 0;
        p->loss_sum = p->sq_sum = 0;
        p->start = s->elapsed;
    } else if (p->tty && s->elapsed - p->last_draw >= 0.1) {
        draw_bar(p, s->elapsed);
    }
    return 0;
}

void train_progress_finish(train_progress *p, const mg_metrics *val, size_t steps) {
    if (val && val->n && !push_val(p, (double)steps, val->loss)) p->oom = 1;
    if (p->pending && !p->quiet) print_epoch(p, val);
    else if (p->drawn) fputs("\r\033[K", stderr);
}

/* ==== the summary ========================================================================= */

static void summary_line(FILE *f, const char *split, const train_outcome *r, const mg_metrics *m) {
    if (!m->n) return;
    fprintf(f, "%s: loss %.6g%s, ", split, m->loss, r->scaled ? " (on standardised targets)" : "");
    if (r->loss == MG_LOSS_KIND_MSE)
        fprintf(f, "rmse %.6g, mae %.6g (%zu rows)\n", m->rmse, m->mae, m->n);
    else
        fprintf(f, "accuracy %.6f (%zu of %zu rows)\n", m->accuracy, m->correct, m->n);
}

void train_print_summary(FILE *f, const train_outcome *r) {
    summary_line(f, "train", r, &r->train);
    summary_line(f, "val", r, &r->val);
    summary_line(f, "test", r, &r->test);
    fprintf(f, "%zu step%s, %.4g epoch%s, %.2f s, %zu parameters\n", r->steps, r->steps == 1 ? "" : "s",
            r->epochs, r->epochs == 1 ? "" : "s", r->seconds, r->parameters);
    if (r->saved) fprintf(f, "model saved to %s\n", r->saved);
    fflush(f);
}

/* ==== JSON ================================================================================= */

static void json_split(FILE *f, const char *split, const mg_metrics *m, mg_loss_kind loss) {
    if (!m->n) return;
    fprintf(f, ",\"%s_loss\":", split);
    app_json_number(f, m->loss);
    fprintf(f, ",\"%s_%s\":", split, metric_name(loss));
    app_json_number(f, metric_of(m, loss));
    if (loss == MG_LOSS_KIND_MSE) {
        fprintf(f, ",\"%s_mae\":", split);
        app_json_number(f, m->mae);
    }
    fprintf(f, ",\"%s_samples\":%zu", split, m->n);
}

void train_print_json(FILE *f, const train_opts *o, const train_outcome *r) {
    fputs("{\"data\":", f);
    app_json_string(f, o->data);
    fprintf(f, ",\"task\":\"%s\",\"loss\":\"%s\",\"parameters\":%zu,\"steps\":%zu,\"epochs\":",
            r->loss == MG_LOSS_KIND_MSE ? "regression" : "classification", mg_loss_kind_name(r->loss),
            r->parameters, r->steps);
    app_json_number(f, r->epochs);
    fputs(",\"seconds\":", f);
    app_json_number(f, r->seconds);
    json_split(f, "train", &r->train, r->loss);
    json_split(f, "val", &r->val, r->loss);
    json_split(f, "test", &r->test, r->loss);
    fputs(",\"model\":", f);
    if (r->saved) app_json_string(f, r->saved);
    else fputs("null", f);
    fputs("}\n", f);
    fflush(f);
}

/* ==== the model's metrics ================================================================== */

mg_status train_set_metrics(mg_model_info *info, const train_outcome *r, mg_err *err) {
    const char *splits[3] = {"train", "val", "test"};
    const mg_metrics *m[3] = {&r->train, &r->val, &r->test};
    for (int k = 0; k < 3; k++) {
        if (!m[k]->n) continue;
        char name[64];
        snprintf(name, sizeof name, "%s_loss", splits[k]);
        mg_status st = mg_model_info_set_metric(info, name, m[k]->loss, err);
        snprintf(name, sizeof name, "%s_%s", splits[k], metric_name(r->loss));
        if (!st) st = mg_model_info_set_metric(info, name, metric_of(m[k], r->loss), err);
        snprintf(name, sizeof name, "%s_mae", splits[k]);
        if (!st && r->loss == MG_LOSS_KIND_MSE) st = mg_model_info_set_metric(info, name, m[k]->mae, err);
        if (st) return st;
    }
    return MG_STATUS_OK;
}
