/* train_data.c - the data `micrograd train` learns from: a CSV file (with notes on what
 * its load decided and warnings about identifier-like columns), Fashion-MNIST or a
 * generator; limited to --max-train rows, split into training and validation rows after a
 * seeded shuffle, and standardised with the training rows' mean and deviation (a
 * regression's target too). */
#include "train_internal.h"

#include "generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== sources ============================================================================ */

/* What the load decided that the user should know (unless --quiet), and the columns
 * that look like row identifiers (always: a model that learns the row order is a silent
 * wrong answer). */
static void tell_csv(const train_opts *o, const mg_csv_report *rep, const mg_dataset *d) {
    const char *f = o->data;
    if (!o->quiet && rep->index_dropped)
        app_note(TRAIN_CMD, "%s: the first column has no name and a different whole number on "
                            "every row: a pandas index, left out", f);
    if (!o->quiet && rep->numbered_header)
        app_note(TRAIN_CMD, "%s: the first row (0,1,...,%zu and a name) is taken as a header "
                            "(--no-header reads it as data)", f, rep->ncols - 2 - rep->index_dropped);
    if (!o->quiet && rep->decimal == ',' && !o->decimal)
        app_note(TRAIN_CMD, "%s: numbers have decimal commas (--decimal . reads points)", f);
    if (!o->quiet && rep->trailing_delimiter)
        app_note(TRAIN_CMD, "%s: lines end with a delimiter: the empty last column is ignored", f);
    if (!o->quiet && rep->blank_lines)
        app_note(TRAIN_CMD, "%s: %zu blank line%s skipped", f, rep->blank_lines,
                 rep->blank_lines == 1 ? "" : "s");
    for (size_t k = 0; k < rep->nsuspects; k++) {
        const mg_csv_suspect *s = &rep->suspects[k];
        char name[160];
        if (d->feature_names) snprintf(name, sizeof name, "column '%s'", s->column);
        else snprintf(name, sizeof name, "column %s (0-based)", s->column);
        app_warning(TRAIN_CMD, "%s: %s %s%s%s: a model can learn the row order from it; --drop "
                               "%s leaves it out", f, name,
                    s->distinct ? "holds a different whole number on every row" : "",
                    s->distinct && s->named ? " and " : "",
                    s->named ? "is named like an identifier" : "", s->column);
    }
}

static mg_dataset *load_csv(const train_opts *o, mg_csv_report *rep, mg_err *err) {
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    opt.delimiter = o->delimiter;
    opt.decimal = o->decimal;
    opt.header = o->header;
    opt.target = o->target;
    opt.task = o->task;
    opt.drop = (const char *const *)o->drop, opt.ndrop = o->ndrop;
    opt.select = (const char *const *)o->features, opt.nselect = o->nfeatures;
    opt.report = rep;
    /* --loss mse names the task when the file leaves it open (integer targets); a
     * classification loss does not: numbers that do not look like classes are an error. */
    if (opt.task == MG_CSV_TASK_AUTO && o->has_loss && o->loss == MG_LOSS_KIND_MSE)
        opt.task = MG_CSV_TASK_REGRESS;
    mg_dataset *d = app_csv_load(o->data, &opt, err);
    if (d) tell_csv(o, rep, d);
    return d;
}

/* A generator's rows: from the run's generator (the data first, then the split, the
 * weights and the orders), or with --rng numpy from a Mersenne Twister of their own
 * seeded as np.random.seed(--seed) seeds numpy's, as `micrograd data` draws them. */
static mg_dataset *generate(const train_opts *o, mg_rng *rng, mg_err *err) {
    const app_generator *g = app_generator_named(o->data);
    if (!g) {
        mg_err_set(err, MG_STATUS_INVALID, "%s: not a generator", o->data);
        return NULL;
    }
    mg_rng numpy;
    if (o->rng == APP_RNG_NUMPY + 1) {
        app_rng_seed(&numpy, APP_RNG_NUMPY, o->seed);
        rng = &numpy;
    }
    return app_generate(g, rng, o->samples, o->noise, o->classes, err);
}

/* The first `max` rows of *d (max 0 or >= n: all). */
static int limit_rows(mg_dataset **d, size_t max, mg_err *err) {
    if (!max || max >= (*d)->n) return 1;
    mg_dataset *s = mg_dataset_slice(*d, 0, max, err);
    if (!s) return 0;
    mg_dataset_free(*d);
    *d = s;
    return 1;
}

/* ==== split and standardisation =========================================================== */

/* Holds out round(fraction * n) rows for validation after a shuffle. */
static int split_val(const train_opts *o, mg_rng *rng, train_data *d) {
    size_t n = d->train->n, nval = (size_t)floor(o->val * (double)n + 0.5);
    if (nval == 0 || nval >= n) {
        app_error("--val %g of %zu rows leaves %s", o->val, n,
                  nval == 0 ? "no validation rows" : "no training rows");
        return APP_FAIL;
    }
    mg_err err = {0};
    mg_dataset *all = d->train, *tr = NULL, *va = NULL;
    mg_dataset_shuffle(all, rng);
    if (mg_dataset_split(all, n - nval, nval, &tr, &va, NULL, &err)) {
        app_error("%s", err.msg);
        return APP_FAIL;
    }
    mg_dataset_free(all);
    d->train = tr;
    d->val = va;
    return APP_OK;
}

/* Keeps a raw copy of 2-D class points for the boundary picture, then standardises. */
static int standardize(const train_opts *o, train_data *d) {
    mg_err err = {0};
    const mg_dataset *t = d->train;
    if (o->plot && t->nfeat == 2 && t->nclasses >= 2 && !(d->raw_points = mg_dataset_slice(t, 0, t->n, &err))) {
        app_error("%s", err.msg);
        return APP_FAIL;
    }
    if (!o->standardize) return APP_OK;
    if (mg_standardizer_fit(&d->standardize, d->train, &err) ||
        (!t->nclasses && mg_standardizer_fit_target(&d->target_scale, t, &err))) {
        app_error("%s: %s", o->data, err.msg);
        return APP_FAIL;
    }
    mg_dataset *parts[3] = {d->train, d->val, d->test};
    for (int k = 0; k < 3; k++) {
        if (!parts[k]) continue;
        mg_standardizer_apply(&d->standardize, parts[k]);
        mg_standardizer_apply_target(&d->target_scale, parts[k]);
    }
    return APP_OK;
}

/* ==== loading ============================================================================= */

int train_data_load(const train_opts *o, mg_rng *rng, train_data *d) {
    memset(d, 0, sizeof *d);
    mg_err err = {0};
    int ok = 1;
    switch (o->source) {
    case TRAIN_SRC_CSV: ok = (d->train = load_csv(o, &d->report, &err)) != NULL; break;
    case TRAIN_SRC_FASHION:
        ok = mg_dataset_fashion_mnist(o->fashion_dir, o->max_train, o->max_test, &d->train, &d->test,
                                   &err) == MG_STATUS_OK;
        break;
    default: ok = (d->train = generate(o, rng, &err)) != NULL; break;
    }
    /* A generator refuses only sizes it cannot make (--samples below the classes): a
     * usage error. The loaders' messages already name the file (and line and column). */
    if (!ok && train_generator_name(o->source) && err.status == MG_STATUS_INVALID) {
        train_data_free(d);
        return app_usage_error(TRAIN_CMD, "--data %s: %s", o->data, err.msg);
    }
    if (!ok || !limit_rows(&d->train, o->max_train, &err)) {
        app_error("%s", err.msg);
        train_data_free(d);
        return APP_FAIL;
    }
    d->nrows = d->train->n;
    int status = o->val > 0 ? split_val(o, rng, d) : APP_OK;
    if (status == APP_OK) status = standardize(o, d);
    if (status != APP_OK) train_data_free(d);
    return status;
}

void train_data_free(train_data *d) {
    mg_dataset_free(d->train);
    mg_dataset_free(d->val);
    mg_dataset_free(d->test);
    mg_dataset_free(d->raw_points);
    mg_standardizer_free(&d->standardize);
    mg_standardizer_free(&d->target_scale);
    mg_csv_report_free(&d->report);
    memset(d, 0, sizeof *d);
}
