/* demo.h - the training demos of `micrograd demo NAME`. A demo parses its options and
 * makes its context (demo_begin), trains with the library's loop (demo_train), prints,
 * and leaves what it made in a demo_state, which demo_end turns into the optional outputs
 * (--formula, --graph, --out) before freeing it. The registry and the dispatch are in
 * demo_main.c; the helpers every demo shares in demo_common.c; each demo in its own file. */
#ifndef MG_DEMO_H
#define MG_DEMO_H

#include <micrograd.h>
#include <stddef.h>
#include <stdint.h>

/* ==== the registry (demo_main.c) ========================================================= */

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
int demo_newton(int argc, char **argv); /* newton.c: gradients as values */

/* ==== options shared by the demos (demo_common.c) ======================================== */

/* A new option (--formula, --out DIR, ...) is a bit here, a field in demo_opts, a line in
 * demo_common.c's opt_infos and its parsing in set_option, and its output in demo_end;
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
    DEMO_OPT_HTML = 1u << 14,
    DEMO_OPT_MAX_NODES = 1u << 15,
    DEMO_OPT_MAX_PNG = 1u << 16,
    DEMO_OPT_COMPILED = 1u << 17, /* for a demo that builds its graphs by default (moons) */
    DEMO_OPT_DTYPE = 1u << 18,
    /* every demo that calls mg_train */
    DEMO_OPT_PATH = DEMO_OPT_EAGER | DEMO_OPT_THREADS | DEMO_OPT_DTYPE,
    /* one sample's graph: drawn, as a page, and the limits on both */
    DEMO_OPT_PICTURE = DEMO_OPT_GRAPH | DEMO_OPT_HTML | DEMO_OPT_MAX_NODES | DEMO_OPT_MAX_PNG
};

typedef struct demo_opts {
    uint64_t seed;     /* --seed: the context's generator (data first, then the model) */
    size_t steps;      /* --steps: optimiser steps (0 in a demo that counts epochs) */
    size_t epochs;     /* --epochs: passes over the data (0 in a demo that counts steps) */
    double lr;         /* --lr: the (initial) learning rate */
    size_t n;          /* --n: training points */
    double noise;      /* --noise: the dataset's noise */
    size_t batch;      /* --batch: mini-batch size, 0 = the full set */
    const char *data;  /* --data: which dataset */
    size_t classes;    /* --classes */
    const char *graph; /* --graph FILE: draw the final sample's loss graph (.dot, .svg, .png) */
    const char *html;  /* --html FILE: that graph's backward step by step, as a page */
    int has_max_nodes; /* --max-nodes N given: the most nodes --graph and --html take ... */
    size_t max_nodes;  /* ... (0: no limit); else the library's defaults */
    int max_png;       /* --max-png N: the longest side of a --graph .png (0: no limit) */
    const char *out;   /* --out DIR: write loss.png and, for 2-D classifiers, boundary.png */
    int formula;       /* --formula: print one sample's loss graph as a formula */
    int eager;         /* --eager: build the graphs every step instead of the replay */
    int threads;       /* --threads: of the compiled replay, 0 = one a core */
    mg_dtype dtype;    /* --dtype: the compiled replay's arithmetic */
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

/* ==== what a demo makes (demo_common.c) =================================================== */

typedef struct demo_state {
    mg_ctx *ctx;
    mg_mlp *model;
    mg_dataset *train, *val, *test; /* any may be NULL */
    mg_loss_kind loss;
    double *curve;      /* [ncurve] training loss per step */
    size_t ncurve, capcurve;
    double epoch_loss;  /* the current epoch's loss so far (demo_epoch_mean) */
    size_t epoch_seen;  /* and its samples */
    mg_value graph;     /* a loss graph worth drawing (one sample's, after backward), or
                           MG_NULL */
} demo_state;

/* Parses argv as spec says (demo_parse) and gives s a new context seeded with o->seed.
 * Returns -1 to go on, or the exit status to return at once (after --help, a usage error
 * or running out of memory, already printed); then s holds nothing. */
int demo_begin(const demo_spec *spec, int argc, char **argv, demo_opts *o, demo_state *s);
/* Appends a point to the loss curve (silently stops growing when out of memory). */
void demo_state_record(demo_state *s, double loss);
/* Builds s->graph: sample i of d through the model and the loss, then backward. */
void demo_state_sample_graph(demo_state *s, const mg_dataset *d, size_t i, int subtract_max);
void demo_state_free(demo_state *s);

/* ==== training (demo_common.c) ============================================================ */

/* Prints a step's progress (s's curve already has the step's loss). */
typedef void (*demo_print_step)(demo_state *s, const mg_train_progress *p);

/* mg_train_config_init, then what the demos set alike: s->loss, the optimiser `optim`
 * (its defaults) with o's learning rate, o's steps, epochs and batch, and the path options
 * (--eager, --threads, --dtype). The demo then adds what is its own. */
void demo_train_config(const demo_opts *o, const demo_state *s, mg_optim_kind optim,
                       mg_train_config *cfg);
/* mg_train of s->model on s->train (validated on s->val, which may be NULL) as cfg says,
 * recording every step's loss on s's curve and calling print (NULL: none) after it. */
mg_status demo_train(demo_state *s, const mg_train_config *cfg, demo_print_step print,
                     mg_train_result *res, mg_err *err);
/* The mean training loss of an epoch, the seed's total_loss / len(data), each step weighted
 * by its batch: adds p's batch, and returns 1 and sets *mean when p ends an epoch (the sum
 * then restarts), else 0. */
int demo_epoch_mean(demo_state *s, const mg_train_progress *p, double *mean);

/* ==== the end (demo_common.c) ============================================================= */

/* The optional outputs after training (--formula, --out, --graph), then frees s. Returns
 * the exit status. */
int demo_end(const demo_spec *spec, const demo_opts *o, demo_state *s);
/* Frees s and prints "micrograd: NAME: <message>" for a library error; returns 1. */
int demo_abort(const demo_spec *spec, demo_state *s, const mg_err *err);

#endif
