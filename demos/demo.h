/* demo.h - the training demos, shared by `micrograd demo NAME` and the example programs
 * (examples/NAME.c calls demo_NAME), so both print the same. A demo parses its options
 * (demo_parse), trains, prints, and leaves what it made in a demo_state, which
 * demo_finish turns into the optional outputs (--graph today; pictures can be added there
 * without touching the demos). */
#ifndef MG_DEMO_H
#define MG_DEMO_H

#include <micrograd.h>
#include <stddef.h>
#include <stdint.h>

/* ==== the registry ====================================================================== */

/* One demo: its name, a one-line summary for --list, and its entry point (argv[0] is the
 * demo's name; returns an exit status). Adding a demo is one line in demo_table. */
typedef struct demo_def {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv);
} demo_def;

extern const demo_def demo_table[]; /* ends with a {NULL, NULL, NULL} entry */

/* `micrograd demo ...`: argv[0] is "demo"; handles --list, --help and NAME [OPTIONS]. */
int demo_main(int argc, char **argv);

int demo_toy(int argc, char **argv);
int demo_moons(int argc, char **argv);
int demo_yinyang(int argc, char **argv);
int demo_f2c(int argc, char **argv);
int demo_above_line(int argc, char **argv);
int demo_multiclass(int argc, char **argv);

/* ==== options shared by the demos ======================================================== */

/* A new option (--formula, --out DIR, ...) is a bit here, a field in demo_opts, a line in
 * demo_main.c's opt_infos and its parsing in set_option, and its output in demo_finish;
 * a demo takes it by adding the bit to its spec. */

/* Which options a demo takes (a bit set). */
enum {
    DEMO_OPT_SEED = 1u << 0,
    DEMO_OPT_STEPS = 1u << 1,
    DEMO_OPT_LR = 1u << 2,
    DEMO_OPT_N = 1u << 3,
    DEMO_OPT_NOISE = 1u << 4,
    DEMO_OPT_BATCH = 1u << 5,
    DEMO_OPT_DATA = 1u << 6,
    DEMO_OPT_CLASSES = 1u << 7,
    DEMO_OPT_EPOCHS = 1u << 8,
    DEMO_OPT_GRAPH = 1u << 9,
    DEMO_OPT_OUT = 1u << 10,
    DEMO_OPT_FORMULA = 1u << 11,
    DEMO_OPT_EAGER = 1u << 12,
    DEMO_OPT_THREADS = 1u << 13,
    DEMO_OPT_PATH = DEMO_OPT_EAGER | DEMO_OPT_THREADS /* every demo that calls mg_train */
};

typedef struct demo_opts {
    uint64_t seed;     /* --seed: the context's generator (data first, then the model) */
    size_t steps;      /* --steps: optimiser steps */
    size_t epochs;     /* --epochs: passes over the data (mini-batch demos) */
    double lr;         /* --lr: the (initial) learning rate */
    size_t n;          /* --n: training points */
    double noise;      /* --noise: the dataset's noise */
    size_t batch;      /* --batch: mini-batch size, 0 = the full set */
    const char *data;  /* --data: which dataset */
    size_t classes;    /* --classes */
    const char *graph; /* --graph FILE: draw the final sample's loss graph (.dot, .svg, .png) */
    const char *out;   /* --out DIR: write loss.png and, for 2-D classifiers, boundary.png */
    int formula;       /* --formula: print one sample's loss graph as a formula */
    int eager;         /* --eager: build the graphs every step instead of the replay */
    int threads;       /* --threads: of the compiled replay, 0 = all cores */
} demo_opts;

/* A demo's description for --help: what it does (a paragraph), the options it takes and
 * their defaults, and the allowed --data names (or NULL). */
typedef struct demo_spec {
    const char *name;
    const char *about;
    unsigned options;
    demo_opts defaults;
    const char *const *data_names;
} demo_spec;

/* Parses argv into *o (starting from spec->defaults). Returns -1 to go on, or the exit
 * status to return at once (0 after --help, 2 after a usage error, already printed). */
int demo_parse(const demo_spec *spec, int argc, char **argv, demo_opts *o);

/* mg_train_config_init, then the path options (--eager, --threads) of o. */
void demo_train_config(const demo_opts *o, mg_train_config *cfg);

/* ==== what a demo leaves behind ========================================================== */

typedef struct demo_state {
    mg_ctx *ctx;
    mg_mlp *model;
    mg_dataset *train, *val, *test; /* any may be NULL */
    mg_loss_kind loss;
    double *curve;      /* [ncurve] training loss per step */
    size_t ncurve, capcurve;
    mg_value graph;     /* a loss graph worth drawing (one sample's, after backward), or
                           MG_NULL */
} demo_state;

/* A state with a new context seeded with seed; 0 (after printing why) when out of memory. */
int demo_state_init(demo_state *s, uint64_t seed);
/* Appends a point to the loss curve (silently stops growing when out of memory). */
void demo_state_record(demo_state *s, double loss);
/* Builds s->graph: sample i of d through the model and the loss, then backward. */
void demo_state_sample_graph(demo_state *s, const mg_dataset *d, size_t i, int subtract_max);
void demo_state_free(demo_state *s);

/* The mean training loss of an epoch, from the per-step callback of mg_train: the
 * seed's total_loss / len(data), weighting each step by its batch size. */
typedef struct demo_epoch_mean {
    demo_state *s;
    double total;
    size_t n;
} demo_epoch_mean;

/* Records p's loss on s's curve and adds its batch to the epoch; returns 1 and sets *mean
 * when p ends an epoch (the sum then restarts), else 0. */
int demo_epoch_step(demo_epoch_mean *e, const mg_train_progress *p, double *mean);

/* The optional outputs after training (--graph, --out). Returns the exit status. */
int demo_finish(const demo_spec *spec, const demo_opts *o, demo_state *s);

/* Prints "micrograd: NAME: <message>" for a library error; returns 1. */
int demo_fail(const char *name, const mg_err *err);

#endif
