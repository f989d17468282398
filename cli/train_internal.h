/* train_internal.h - the pieces of `micrograd train` (cli/cmd_train.c and cli/train_*.c):
 * its options, the data it trains on, and its progress and final reports. */
#ifndef MG_TRAIN_INTERNAL_H
#define MG_TRAIN_INTERNAL_H

#include "cli.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRAIN_CMD "train"

/* ==== options (cli/train_options.c) ====================================================== */

/* What --data names. */
typedef enum train_source {
    TRAIN_SRC_CSV = 0,
    TRAIN_SRC_FASHION,
    TRAIN_SRC_MOONS,
    TRAIN_SRC_CIRCLES,
    TRAIN_SRC_BLOBS,
    TRAIN_SRC_SPIRAL,
    TRAIN_SRC_XOR,
    TRAIN_SRC_YINYANG
} train_source;

typedef struct train_opts {
    const char *data;          /* --data as given */
    train_source source;
    const char *fashion_dir;   /* fashion-mnist:DIR, or NULL for the default */
    /* CSV */
    const char *target;
    char **drop, **features;   /* --drop and --features lists (one block each), or NULL */
    size_t ndrop, nfeatures;
    char delimiter;            /* 0: detect */
    char decimal;              /* 0: detect */
    mg_csv_header header;
    mg_csv_task task;
    /* generators */
    size_t samples;
    double noise;              /* NaN: the generator's default */
    size_t classes;            /* 0: the generator's default */
    /* limits */
    size_t max_train, max_test; /* 0: all */
    /* the model */
    size_t layers[MG_MLP_MAX_LAYERS]; /* hidden sizes */
    size_t nlayers;
    mg_act act;
    int has_loss;
    mg_loss_kind loss;
    /* optimisation */
    mg_optim_kind optimizer;
    double lr, momentum, weight_decay; /* NaN: the optimiser's default */
    double l2;                 /* --l2: alpha of the L2 term added to each batch's loss */
    mg_lr_schedule schedule;
    double decay;              /* MG_LR_LINEAR: the fraction of lr lost by the end */
    size_t batch;              /* 0: full batch */
    size_t epochs, steps;      /* exactly one is > 0 */
    double val;                /* 0: no validation split */
    uint64_t seed;
    int rng;                   /* --rng: APP_RNG_XORSHIFT or APP_RNG_NUMPY (a generator's data) */
    int threads;               /* 0: one a core */
    int eager;
    mg_dtype dtype;            /* --dtype: the replay's arithmetic */
    int standardize;           /* -1: by the data (CSV and generators yes, images no) */
    /* outputs */
    const char *save, *plot;
    int json, quiet;
    /* long runs */
    const char *checkpoint;    /* --checkpoint FILE: saved every `every` steps and on a signal */
    size_t every;              /* 0: once per epoch */
    const char *resume;        /* --resume FILE: a checkpoint to continue from */
    int check_numerics;        /* --check-numerics */
    size_t max_memory;         /* --max-memory: bytes of the graph's tape, 0 = no cap */
} train_opts;

/* Default --samples of the generators and --seed; the training defaults (--optimizer,
 * --lr, --epochs, --batch) are mg_train_config_init's. */
#define TRAIN_DEFAULT_SAMPLES 200
#define TRAIN_DEFAULT_SEED 42

/* Parses argv into *o. Returns APP_OK with *stop 0 to go on; otherwise the exit status
 * (APP_OK after --help, APP_USAGE after a usage error, already printed) with *stop 1. */
int train_parse_options(int argc, char **argv, train_opts *o, int *stop);
/* Frees the lists train_parse_options made (after a failed parse too). */
void train_opts_free(train_opts *o);
/* The name of a generator source ("moons"), or NULL for CSV and Fashion-MNIST. */
const char *train_generator_name(train_source s);

/* ==== the data (cli/train_data.c) ========================================================= */

typedef struct train_data {
    mg_dataset *train, *val, *test; /* val and test may be NULL */
    mg_dataset *raw_points;         /* the training rows before standardisation, kept for
                                       the boundary picture (2 features and classes), or NULL */
    size_t nrows;                   /* rows loaded for training and validation */
    mg_standardizer standardize;    /* nfeat 0: none */
    mg_standardizer target_scale;   /* a regression's target scale; nfeat 0: none */
    mg_csv_report report;           /* what loading a CSV file decided (empty otherwise) */
} train_data;

/* Loads, limits, splits and standardises the data as o says, drawing from rng (the
 * generator's points, then the validation shuffle). Returns APP_OK, or APP_FAIL /
 * APP_USAGE after printing why; on failure *d is left empty. */
int train_data_load(const train_opts *o, mg_rng *rng, train_data *d);
void train_data_free(train_data *d);

/* ==== ranks: mpirun -np N micrograd train (cli/train_ranks.c) ============================= */

/* On ranks other than 0: no files written, nothing printed; --threads 0 on any rank of
 * several: the machine's cores shared among its ranks. Nothing for one rank. */
void train_ranks_options(train_opts *o);
/* APP_OK when every rank loaded the same data (a checksum), else APP_FAIL after saying
 * which rank differs. */
int train_ranks_check(const train_opts *o, const train_data *d);
/* With MICROGRAD_MPI_STATS set and several ranks: rank 0's exchanges per step (count,
 * bytes sent, time) on stderr. */
void train_ranks_report(size_t steps);

/* ==== progress and reports (cli/train_report.c) =========================================== */

/* What the per-step callback keeps: the epoch's running totals, the curves for --plot,
 * and an epoch line waiting for its validation numbers (measured before the next step). */
typedef struct train_progress {
    int quiet, tty;
    mg_loss_kind loss;
    size_t ntrain, nepochs;       /* epochs planned (the last may be partial with --steps) */
    int has_val;
    /* the current epoch */
    size_t epoch, seen, correct;
    double loss_sum, sq_sum, start, last_draw;
    /* an epoch line waiting for the validation numbers */
    int pending;
    size_t pending_epoch;
    double pending_loss, pending_metric, pending_seconds;
    /* curves */
    double *curve;                /* [ncurve] training loss per step */
    size_t ncurve, capcurve;
    double *val_x, *val_y;        /* [nval] validation loss before steps val_x */
    size_t nval, capval;
    size_t skip;                  /* samples of the current epoch done before a resume */
    size_t nsteps_total;          /* the run's planned steps */
    int oom;                      /* a curve could not grow (it is cut short) */
    double scale;                 /* the target scale's std: rmse in the target's units */
    int drawn;                    /* a bar is on the terminal's current line */
} train_progress;

void train_progress_init(train_progress *p, const train_opts *o, mg_loss_kind loss,
                         size_t ntrain, size_t nepochs, int has_val);
/* A resumed run starts in epoch `epoch` (0-based) at sample `pos` of it. */
void train_progress_resume(train_progress *p, size_t epoch, size_t pos);
/* The mg_train callback; user is a train_progress. */
int train_progress_step(void *user, const mg_train_progress *p);
/* Prints the epoch line still waiting, with the final validation numbers (val may be
 * NULL or have n 0); adds the last validation point at step `steps`. */
void train_progress_finish(train_progress *p, const mg_metrics *val, size_t steps);
void train_progress_free(train_progress *p);

/* The run's outcome, for the summary, the JSON object and the model's metrics. */
typedef struct train_outcome {
    mg_loss_kind loss;
    mg_metrics train, val, test;  /* n 0: not measured */
    size_t steps;
    double epochs;                /* passes over the training data, fractional with --steps */
    double seconds;
    size_t parameters;
    int scaled;                   /* the targets were standardised: the loss is on the scaled
                                     targets, rmse and mae are in the target's units */
    const char *saved;            /* the model file written, or NULL */
} train_outcome;

/* The final summary ("train: loss ..., accuracy ...") to f. */
void train_print_summary(FILE *f, const train_outcome *r);
/* The outcome as one JSON object on one line to f. */
void train_print_json(FILE *f, const train_opts *o, const train_outcome *r);
/* Adds the outcome's metrics (train_loss, train_accuracy or train_rmse, val_*, test_*)
 * to info. MG_STATUS_NOMEM. */
mg_status train_set_metrics(mg_model_info *info, const train_outcome *r, mg_err *err);

#endif
