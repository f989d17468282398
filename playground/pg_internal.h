/* pg_internal.h - the session as pg.c (settings, data, training) and pg_view.c (what the
 * page draws) share it. Not part of any installed interface. */
#ifndef MG_PLAYGROUND_PG_INTERNAL_H
#define MG_PLAYGROUND_PG_INTERNAL_H

#include "pg.h"

#include <micrograd.h>

#include <stdint.h>

#define PG_MAX_HIDDEN (MG_MLP_MAX_LAYERS - 1)
#define PG_TEXT 96 /* an option's value as given, NUL included */

/* The options, parsed; NaN or 0 where the command's default applies. */
typedef struct pg_opts {
    char data[16];            /* moons, circles, blobs, spiral, xor, yinyang */
    size_t samples;
    double noise;             /* NaN: the generator's default */
    size_t classes;           /* 0: the default (3) for blobs and spiral */
    uint64_t seed;
    double val;               /* 0: no validation split */
    size_t layers[PG_MAX_HIDDEN];
    size_t nlayers;
    mg_act act;
    mg_loss_kind loss;
    mg_optim_kind optimizer;
    double lr, momentum, weight_decay; /* NaN: the optimiser's default */
    size_t batch;             /* 0: the whole training set */
    double l2;
} pg_opts;

struct pg_session {
    /* settings: each option's text as given (pg_get, pg_command) and parsed */
    char text[16][PG_TEXT];
    pg_opts o;
    /* the run */
    mg_ctx *ctx;
    mg_mlp *m;
    mg_dataset *data[2];      /* standardised training and validation rows (val may be NULL) */
    mg_dataset *raw[2];       /* the same as generated */
    mg_standardizer std;
    mg_train_config cfg;      /* the run's settings; steps and resume set per chunk */
    mg_train_state *state;    /* where the run is (NULL before the first step) */
    size_t steps;
    int failed;               /* a step failed: pg_reset first */
    mg_metrics metrics[2];    /* after the last chunk: training and validation rows */
    double *step_losses;      /* [nstep_losses] of the last chunk */
    size_t nstep_losses, cap_step_losses;
    /* messages and buffers handed to the page */
    char error[512];
    char command[1024];
    double *grid;             /* pg_grid's outputs */
    double *rows;             /* pg_grid's inputs */
    size_t grid_cap;
    char *graph, *dot;        /* pg_graph's JSON and DOT */
};

/* Sets the session's error message; returns -1. */
int pg__fail(pg_session *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Frees pg_view.c's buffers. */
void pg__view_free(pg_session *s);

#endif
