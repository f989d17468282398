/* train_options.c - `micrograd train`'s help and option parsing: every value is checked
 * here, before any data is read, so a typo costs nothing. */
#include "train_internal.h"

#include "generate.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD TRAIN_CMD

/* ==== help ============================================================================== */

static void usage_data(FILE *out) {
    fprintf(out,
            "Usage: micrograd train --data DATA [OPTIONS]\n"
            "\n"
            "Trains an MLP on a CSV file, on Fashion-MNIST or on a built-in dataset, reports\n"
            "its progress and final metrics, and saves the model for `micrograd predict` and\n"
            "`micrograd info`.\n"
            "\n"
            "Data:\n"
            "  -d, --data DATA        a CSV file ('-': standard input); 'fashion-mnist' or\n"
            "                         'fashion-mnist:DIR' (the official train/test split;\n"
            "                         default DIR: %s); or a generator:\n"
            "                         moons, circles, blobs, spiral, xor, yinyang (required)\n"
            "  -t, --target COL       CSV: the target column, by name or 0-based number\n"
            "                         (default: the last column)\n"
            "      --drop COLS        CSV: leave these columns out (names or 0-based numbers,\n"
            "                         separated by commas: an id, a row number); the model\n"
            "                         keeps the list, so `predict` leaves them out too\n"
            "      --features COLS    CSV: use only these columns as features, in this order\n"
            "                         (default: every column but the target and --drop)\n"
            "      --delimiter C      CSV: ',', ';' or 'tab' (default: detect)\n"
            "      --decimal C        CSV: the decimal mark, '.' or ',' (default: detect: ','\n"
            "                         when cells are separated by ';' or tabs and numbers are\n"
            "                         written 17,99)\n"
            "      --header           CSV: the first row is a header (default: detect)\n"
            "      --no-header        CSV: the first row is data\n"
            "      --task T           CSV: auto, classify or regress (default: auto: classes\n"
            "                         when a target is not a number, or all are integers with\n"
            "                         at most %d values; --loss mse means regress)\n"
            "      --samples N        generators: points (default: %d)\n"
            "      --noise X          generators: noise (default: moons 0.1, circles 0.1,\n"
            "                         blobs 1 (the spread), spiral 0.2, xor 0.1; yinyang has none)\n"
            "      --classes K        blobs and spiral: classes (default: 3)\n"
            "      --rng KIND         generators: xorshift (the project's generator) or numpy\n"
            "                         (a Mersenne Twister seeded as np.random.seed(--seed):\n"
            "                         moons, circles and blobs are then scikit-learn's data,\n"
            "                         as `micrograd data` writes them) (default: xorshift)\n"
            "      --max-train N      use only the first N training rows (default: all)\n"
            "      --max-test N       fashion-mnist: use only the first N test images\n"
            "                         (default: all)\n"
            "      --val FRACTION     hold out this fraction of the training rows, after a\n"
            "                         shuffle with --seed, for validation (0 < F < 1;\n"
            "                         default: none)\n"
            "      --standardize      scale each feature (and a regression's target) to mean 0\n"
            "                         and standard deviation 1 with the training rows' numbers,\n"
            "                         kept in the model (default: on for CSV and generators,\n"
            "                         off for images)\n"
            "      --no-standardize   use the features and targets as they are\n",
            MG_FASHION_MNIST_DIR, MG_CSV_AUTO_MAX_CLASSES, TRAIN_DEFAULT_SAMPLES);
}

static void usage_training(FILE *out) {
    mg_train_config cfg;
    mg_optim_config sgd;
    mg_train_config_init(&cfg);
    mg_optim_config_init(&sgd, MG_OPTIM_SGD);
    fprintf(out,
            "\n"
            "Model and loss:\n"
            "      --layers SIZES     hidden layer sizes, e.g. 16,16 or 128 (default: 16,16);\n"
            "                         the output layer follows from the task: one output per\n"
            "                         class for ce, one for bce, hinge and mse\n"
            "      --act A            hidden activation: relu, tanh or sigmoid (default: relu)\n"
            "      --loss L           ce (softmax cross-entropy), bce (2 classes), hinge\n"
            "                         (2 classes) or mse (regression) (default: ce for\n"
            "                         classes, mse for numbers)\n"
            "\n"
            "Optimisation (the defaults are the library's, mg_train_config_init):\n"
            "      --optimizer O      sgd, momentum or adamw (default: %s)\n"
            "      --lr X             learning rate (default: sgd %g, momentum %g, adamw %g)\n"
            "      --momentum X       momentum: mu in [0, 1) (default: %g)\n"
            "      --lr-decay D       none, or linear / linear:F: the rate falls linearly and\n"
            "                         has lost the fraction F (default 0.9) by the last step;\n"
            "                         or auto: linear for a regression, none for classes\n"
            "                         (default: auto)\n"
            "      --weight-decay X   decoupled weight decay (default: sgd 0, momentum 0,\n"
            "                         adamw %g)\n"
            "      --l2 X             add X * (the sum of the squared parameters) to each\n"
            "                         batch's loss, micrograd's reg_loss (default: 0)\n"
            "      --batch N          samples per step, 0 = the whole training set\n"
            "                         (default: %zu)\n"
            "      --epochs N         passes over the training data (default: %zu)\n"
            "      --steps N          optimiser steps instead of --epochs\n"
            "      --seed N           random seed: data, split, weights, order (default: %d)\n"
            "      --threads N        threads for the batched replay, 0 = one a core\n"
            "                         (default: 0; results do not depend on it)\n"
            "      --dtype T          the replay's arithmetic: f64 or f32 (float32 lanes,\n"
            "                         about twice the numbers per instruction; the weights\n"
            "                         and the optimiser stay float64; results agree with\n"
            "                         f64 to float32's precision) (default: f64)\n"
            "      --eager            build every sample's graph each step (as micrograd\n"
            "                         does) instead of replaying a recorded one: same numbers,\n"
            "                         slower\n",
            mg_optim_name(cfg.optim.kind), sgd.lr, sgd.lr, cfg.optim.lr, sgd.momentum,
            cfg.optim.weight_decay, cfg.batch_size, cfg.epochs, TRAIN_DEFAULT_SEED);
}

static void usage_output(FILE *out) {
    fprintf(out,
            "\n"
            "Output:\n"
            "  -s, --save FILE        save the model (safetensors, with its classes, features,\n"
            "                         standardisation, metrics and settings); the file is\n"
            "                         replaced only once it is complete (default: not saved)\n"
            "      --plot DIR         write DIR/loss.png (training and validation loss) and,\n"
            "                         for 2 features and classes, DIR/boundary.png\n"
            "      --json             print the final metrics as one JSON object on standard\n"
            "                         output (the summary then goes to standard error); on a\n"
            "                         failure the object is {\"error\": MESSAGE, \"exit\": STATUS}\n"
            "  -q, --quiet            no progress, no notes and no summary (warnings stay)\n"
            "\n"
            "Long runs:\n"
            "      --checkpoint FILE  save the model with the training state (sample order,\n"
            "                         random generator, optimiser) to FILE every --every\n"
            "                         steps, replacing it only once complete; on Ctrl-C\n"
            "                         (SIGINT) or SIGTERM the current step finishes, FILE\n"
            "                         (else --save) is written, and the command exits 130\n"
            "      --every N          steps between checkpoints (default: once per epoch);\n"
            "                         the last step writes one too\n"
            "      --resume FILE      continue from a checkpoint: give the same data and\n"
            "                         options; the run ends exactly as one never stopped\n"
            "      --check-numerics   check every value as it is computed and stop at the\n"
            "                         first NaN or infinity, naming its operation (slower:\n"
            "                         the eager path); without it each step's loss and\n"
            "                         gradients are checked\n"
            "      --max-memory SIZE  cap the graph's memory (e.g. 512M, 2G): past it a\n"
            "                         clear error instead of swapping (default: no cap)\n"
            "  -h, --help             show this help\n"
            "\n"
            "Progress, notes and warnings go to standard error: a live bar per epoch on a\n"
            "terminal, else one line per epoch. The summary (train, val, test metrics) goes to\n"
            "standard output. A regression's RMSE and MAE are in the target's own units.\n"
            "\n"
            "Exit status: 0 ok; 1 unreadable or malformed data, a failed step (a loss that is\n"
            "not finite), a model or picture that cannot be written; 2 a usage error.\n"
            "\n"
            "Examples:\n"
            "  micrograd train --data iris.csv --val 0.2 --save iris.safetensors\n"
            "  micrograd train --data wine.csv --drop id --save wine.safetensors\n"
            "  micrograd train --data moons --layers 16,16 --plot pictures\n"
            "  micrograd train --data fashion-mnist --layers 128 --epochs 1 --save fashion.safetensors\n");
}

static void usage(FILE *out) {
    usage_data(out);
    usage_training(out);
    usage_output(out);
}

/* ==== values ============================================================================= */

static const struct {
    const char *name;
    train_source source;
} generators[] = {
    {"moons", TRAIN_SRC_MOONS}, {"circles", TRAIN_SRC_CIRCLES}, {"blobs", TRAIN_SRC_BLOBS},
    {"spiral", TRAIN_SRC_SPIRAL}, {"xor", TRAIN_SRC_XOR},        {"yinyang", TRAIN_SRC_YINYANG},
};
#define NGENERATORS (sizeof generators / sizeof *generators)

const char *train_generator_name(train_source s) {
    for (size_t i = 0; i < NGENERATORS; i++)
        if (generators[i].source == s) return generators[i].name;
    return NULL;
}

static int set_data(train_opts *o, const char *v) {
    if (!*v) return app_usage_error(CMD, "--data needs a file or a dataset name");
    o->data = v;
    o->source = TRAIN_SRC_CSV;
    if (!strncmp(v, "fashion-mnist", 13) && (!v[13] || v[13] == ':')) {
        o->source = TRAIN_SRC_FASHION;
        o->fashion_dir = v[13] && v[14] ? v + 14 : NULL;
        if (v[13] && !v[14]) return app_usage_error(CMD, "--data fashion-mnist: needs a directory");
    }
    for (size_t i = 0; i < NGENERATORS; i++)
        if (!strcmp(v, generators[i].name)) o->source = generators[i].source;
    return APP_OK;
}

static int parse_size(const char *opt, const char *s, long min, long max, size_t *out) {
    long x;
    if (!app_parse_long(CMD, opt, s, min, max, &x)) return APP_USAGE;
    *out = (size_t)x;
    return APP_OK;
}

/* A number in [lo, hi], or (lo, hi] / [lo, hi) / (lo, hi) as the flags say. */
static int parse_range(const char *opt, const char *s, double lo, int lo_open, double hi,
                       int hi_open, double *out) {
    double x;
    if (!app_parse_double(CMD, opt, s, &x)) return APP_USAGE;
    if (x < lo || x > hi || (lo_open && x == lo) || (hi_open && x == hi))
        return app_usage_error(CMD, "%s must be %s %g and %s %g, got %s", opt, lo_open ? ">" : ">=",
                               lo, hi_open ? "<" : "<=", hi, s);
    *out = x;
    return APP_OK;
}

/* Strict unsigned parsing for --seed: digits only, up to 2^64 - 1. */
static int parse_seed(const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *s == '+' || *end || errno == ERANGE)
        return app_usage_error(CMD, "--seed expects a whole number from 0 to 2^64-1, got '%s'", s);
    *out = (uint64_t)x;
    return APP_OK;
}

static int parse_decay(const char *s, train_opts *o) {
    if (!strcmp(s, "auto")) {
        o->schedule = MG_LR_AUTO;
        o->decay = 0.9;
        return APP_OK;
    }
    if (!strcmp(s, "none")) {
        o->schedule = MG_LR_CONSTANT;
        return APP_OK;
    }
    if (!strcmp(s, "linear")) {
        o->schedule = MG_LR_LINEAR;
        o->decay = 0.9;
        return APP_OK;
    }
    if (!strncmp(s, "linear:", 7)) {
        o->schedule = MG_LR_LINEAR;
        return parse_range("--lr-decay linear:F", s + 7, 0.0, 0, 1.0, 0, &o->decay);
    }
    return app_usage_error(CMD, "--lr-decay must be auto, none, linear or linear:F, got '%s'", s);
}

/* A size in bytes with an optional K, M or G (powers of 1024): at least 1M. */
static int parse_memory(const char *s, size_t *out) {
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    double unit = *end == 'K' || *end == 'k' ? 1024.0
                  : *end == 'M' || *end == 'm' ? 1048576.0
                  : *end == 'G' || *end == 'g' ? 1073741824.0 : 1.0;
    if (unit > 1.0) end++;
    if (end == s || *end || errno || !(x * unit >= 1048576.0) || x * unit > 1e18)
        return app_usage_error(CMD, "--max-memory expects a size of at least 1M such as 512M or 2G, "
                                    "got '%s'", s);
    *out = (size_t)(x * unit);
    return APP_OK;
}

/* A list of columns, replacing one given before. */
static int parse_columns(const char *opt, const char *s, char ***out, size_t *n) {
    char **v = app_parse_columns(CMD, opt, s, n);
    if (!v) return APP_USAGE;
    free(*out);
    *out = v;
    return APP_OK;
}

static int parse_enum(const char *opt, const char *s, int ok, const char *allowed) {
    return ok ? APP_OK : app_usage_error(CMD, "%s must be %s, got '%s'", opt, allowed, s);
}

/* ==== the parser ========================================================================= */

enum {
    OPT_DELIM = 256, OPT_HEADER, OPT_NO_HEADER, OPT_TASK, OPT_SAMPLES, OPT_NOISE, OPT_CLASSES,
    OPT_MAX_TRAIN, OPT_MAX_TEST, OPT_VAL, OPT_STD, OPT_NO_STD, OPT_LAYERS, OPT_ACT, OPT_LOSS,
    OPT_OPTIM, OPT_LR, OPT_MOMENTUM, OPT_DECAY, OPT_WD, OPT_BATCH, OPT_EPOCHS, OPT_STEPS,
    OPT_SEED, OPT_THREADS, OPT_EAGER, OPT_PLOT, OPT_JSON, OPT_CHECKPOINT, OPT_EVERY, OPT_RESUME,
    OPT_CHECK_NUMERICS, OPT_MAX_MEMORY, OPT_L2, OPT_DROP, OPT_FEATURES, OPT_DECIMAL, OPT_RNG,
    OPT_DTYPE
};

static const struct option longopts[] = {
    {"data", required_argument, NULL, 'd'},          {"target", required_argument, NULL, 't'},
    {"delimiter", required_argument, NULL, OPT_DELIM}, {"header", no_argument, NULL, OPT_HEADER},
    {"no-header", no_argument, NULL, OPT_NO_HEADER}, {"task", required_argument, NULL, OPT_TASK},
    {"samples", required_argument, NULL, OPT_SAMPLES}, {"noise", required_argument, NULL, OPT_NOISE},
    {"classes", required_argument, NULL, OPT_CLASSES},
    {"max-train", required_argument, NULL, OPT_MAX_TRAIN},
    {"max-test", required_argument, NULL, OPT_MAX_TEST}, {"val", required_argument, NULL, OPT_VAL},
    {"standardize", no_argument, NULL, OPT_STD},      {"no-standardize", no_argument, NULL, OPT_NO_STD},
    {"layers", required_argument, NULL, OPT_LAYERS},  {"act", required_argument, NULL, OPT_ACT},
    {"loss", required_argument, NULL, OPT_LOSS},      {"optimizer", required_argument, NULL, OPT_OPTIM},
    {"lr", required_argument, NULL, OPT_LR},          {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"lr-decay", required_argument, NULL, OPT_DECAY},
    {"weight-decay", required_argument, NULL, OPT_WD}, {"batch", required_argument, NULL, OPT_BATCH},
    {"l2", required_argument, NULL, OPT_L2},
    {"rng", required_argument, NULL, OPT_RNG},
    {"epochs", required_argument, NULL, OPT_EPOCHS},  {"steps", required_argument, NULL, OPT_STEPS},
    {"seed", required_argument, NULL, OPT_SEED},      {"threads", required_argument, NULL, OPT_THREADS},
    {"eager", no_argument, NULL, OPT_EAGER},          {"save", required_argument, NULL, 's'},
    {"plot", required_argument, NULL, OPT_PLOT},      {"json", no_argument, NULL, OPT_JSON},
    {"quiet", no_argument, NULL, 'q'},                {"help", no_argument, NULL, 'h'},
    {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
    {"every", required_argument, NULL, OPT_EVERY},    {"resume", required_argument, NULL, OPT_RESUME},
    {"check-numerics", no_argument, NULL, OPT_CHECK_NUMERICS},
    {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
    {"drop", required_argument, NULL, OPT_DROP},      {"features", required_argument, NULL, OPT_FEATURES},
    {"decimal", required_argument, NULL, OPT_DECIMAL},
    {"dtype", required_argument, NULL, OPT_DTYPE},
    {NULL, 0, NULL, 0},
};

/* A data option's value into o: APP_OK, or APP_USAGE after printing why; -1 when c is not
 * one of them. */
static int set_data_option(int c, const char *v, train_opts *o) {
    switch (c) {
    case 'd': return set_data(o, v);
    case 't': o->target = v; return APP_OK;
    case OPT_DELIM:
        if (!strcmp(v, ",") || !strcmp(v, ";")) o->delimiter = v[0];
        else if (!strcmp(v, "tab") || !strcmp(v, "\t")) o->delimiter = '\t';
        else return app_usage_error(CMD, "--delimiter must be ',', ';' or 'tab', got '%s'", v);
        return APP_OK;
    case OPT_HEADER: o->header = MG_CSV_HEADER_YES; return APP_OK;
    case OPT_NO_HEADER: o->header = MG_CSV_HEADER_NO; return APP_OK;
    case OPT_TASK:
        o->task = !strcmp(v, "classify") ? MG_CSV_TASK_CLASSIFY
                  : !strcmp(v, "regress") ? MG_CSV_TASK_REGRESS : MG_CSV_TASK_AUTO;
        return parse_enum("--task", v, o->task != MG_CSV_TASK_AUTO || !strcmp(v, "auto"),
                          "auto, classify or regress");
    case OPT_SAMPLES: return parse_size("--samples", v, 1, 10000000L, &o->samples);
    case OPT_NOISE: return parse_range("--noise", v, 0.0, 0, 100.0, 0, &o->noise);
    case OPT_CLASSES: return parse_size("--classes", v, 2, 100, &o->classes);
    case OPT_MAX_TRAIN: return parse_size("--max-train", v, 1, 1000000000L, &o->max_train);
    case OPT_MAX_TEST: return parse_size("--max-test", v, 1, 1000000000L, &o->max_test);
    case OPT_VAL: return parse_range("--val", v, 0.0, 1, 1.0, 1, &o->val);
    case OPT_STD: o->standardize = 1; return APP_OK;
    case OPT_NO_STD: o->standardize = 0; return APP_OK;
    case OPT_RNG: {
        app_rng_kind kind;
        if (!app_rng_parse(v, &kind))
            return app_usage_error(CMD, "--rng is xorshift or numpy, not '%s'", v);
        o->rng = (int)kind + 1; /* 0: not given */
        return APP_OK;
    }
    case OPT_DROP: return parse_columns("--drop", v, &o->drop, &o->ndrop);
    case OPT_FEATURES: return parse_columns("--features", v, &o->features, &o->nfeatures);
    case OPT_DECIMAL:
        if (strcmp(v, ".") && strcmp(v, ","))
            return app_usage_error(CMD, "--decimal must be '.' or ',', got '%s'", v);
        o->decimal = v[0];
        return APP_OK;
    }
    return -1;
}

/* One option's value into o: APP_OK, or APP_USAGE after printing why. */
static int set_option(int c, const char *v, train_opts *o) {
    int r = set_data_option(c, v, o);
    if (r >= 0) return r;
    long x;
    switch (c) {
    case 's': o->save = v; return *v ? APP_OK : app_usage_error(CMD, "--save needs a file name");
    case 'q': o->quiet = 1; return APP_OK;
    case OPT_LAYERS:
        return app_parse_sizes(CMD, "--layers", v, o->layers, MG_MLP_MAX_LAYERS - 1, &o->nlayers)
                   ? APP_OK : APP_USAGE;
    case OPT_ACT: {
        int ok = mg_act_parse(v, &o->act) && o->act != MG_ACT_LINEAR;
        return parse_enum("--act", v, ok, "relu, tanh or sigmoid");
    }
    case OPT_LOSS:
        o->has_loss = 1;
        return parse_enum("--loss", v, mg_loss_kind_parse(v, &o->loss), "ce, bce, hinge or mse");
    case OPT_OPTIM:
        return parse_enum("--optimizer", v, mg_optim_parse(v, &o->optimizer), "sgd, momentum or adamw");
    case OPT_LR: return parse_range("--lr", v, 0.0, 1, 1e6, 0, &o->lr);
    case OPT_MOMENTUM: return parse_range("--momentum", v, 0.0, 0, 1.0, 1, &o->momentum);
    case OPT_DECAY: return parse_decay(v, o);
    case OPT_WD: return parse_range("--weight-decay", v, 0.0, 0, 1e6, 0, &o->weight_decay);
    case OPT_L2: return parse_range("--l2", v, 0.0, 0, 1e6, 0, &o->l2);
    case OPT_BATCH: return parse_size("--batch", v, 0, 1000000000L, &o->batch);
    case OPT_EPOCHS: return parse_size("--epochs", v, 1, 1000000000L, &o->epochs);
    case OPT_STEPS: return parse_size("--steps", v, 1, 1000000000L, &o->steps);
    case OPT_SEED: return parse_seed(v, &o->seed);
    case OPT_THREADS:
        if (!app_parse_long(CMD, "--threads", v, 0, 4096, &x)) return APP_USAGE;
        o->threads = (int)x;
        return APP_OK;
    case OPT_EAGER: o->eager = 1; return APP_OK;
    case OPT_PLOT: o->plot = v; return *v ? APP_OK : app_usage_error(CMD, "--plot needs a directory");
    case OPT_JSON: o->json = 1; return APP_OK;
    case OPT_CHECKPOINT:
        o->checkpoint = v;
        return *v ? APP_OK : app_usage_error(CMD, "--checkpoint needs a file name");
    case OPT_EVERY: return parse_size("--every", v, 1, 1000000000L, &o->every);
    case OPT_RESUME:
        o->resume = v;
        return *v ? APP_OK : app_usage_error(CMD, "--resume needs a checkpoint file");
    case OPT_CHECK_NUMERICS: o->check_numerics = 1; return APP_OK;
    case OPT_MAX_MEMORY: return parse_memory(v, &o->max_memory);
    case OPT_DTYPE:
        o->dtype = !strcmp(v, "f32") ? MG_DTYPE_F32 : MG_DTYPE_F64;
        return parse_enum("--dtype", v, !strcmp(v, "f32") || !strcmp(v, "f64"), "f64 or f32");
    }
    return app_usage_error(CMD, "unknown option");
}

static void set_defaults(train_opts *o) {
    memset(o, 0, sizeof *o);
    o->header = MG_CSV_HEADER_AUTO;
    o->task = MG_CSV_TASK_AUTO;
    o->samples = 0;
    o->noise = NAN;
    o->layers[0] = o->layers[1] = 16;
    o->nlayers = 2;
    o->act = MG_ACT_RELU;
    mg_train_config cfg; /* the library's defaults are the command's */
    mg_train_config_init(&cfg);
    o->optimizer = cfg.optim.kind;
    o->lr = o->momentum = o->weight_decay = NAN;
    o->schedule = cfg.optim.schedule;
    o->decay = cfg.optim.decay;
    o->batch = cfg.batch_size;
    o->seed = TRAIN_DEFAULT_SEED;
    o->standardize = -1;
}

/* Options that only make sense together, checked once all are known. */
static int check_combinations(train_opts *o) {
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    int csv = o->source == TRAIN_SRC_CSV, gen = train_generator_name(o->source) != NULL;
    if (!o->data) return app_usage_error(CMD, "no data: give --data FILE or a dataset name");
    if (o->epochs && o->steps) return app_usage_error(CMD, "give --epochs or --steps, not both");
    if (!o->epochs && !o->steps) o->epochs = cfg.epochs;
    if (!csv && (o->target || o->delimiter || o->header != MG_CSV_HEADER_AUTO ||
                 o->task != MG_CSV_TASK_AUTO || o->ndrop || o->nfeatures || o->decimal))
        return app_usage_error(CMD, "--target, --drop, --features, --delimiter, --decimal, "
                                    "--header, --no-header and --task are for CSV files, not "
                                    "'%s'", o->data);
    if (o->decimal == ',' && o->delimiter == ',')
        return app_usage_error(CMD, "--decimal , needs another --delimiter (';' or tab)");
    if (!gen && (o->samples || !isnan(o->noise) || o->classes || o->rng))
        return app_usage_error(CMD, "--samples, --noise, --classes and --rng are for the "
                                    "generators (moons, circles, ...), not '%s'", o->data);
    if (o->rng == APP_RNG_NUMPY + 1 && o->seed > UINT32_MAX)
        return app_usage_error(CMD, "--rng numpy takes a --seed below 2^32 (numpy's), got %llu",
                               (unsigned long long)o->seed);
    if (o->source == TRAIN_SRC_YINYANG && !isnan(o->noise))
        return app_usage_error(CMD, "--noise: yinyang has no noise");
    if (o->classes && o->source != TRAIN_SRC_BLOBS && o->source != TRAIN_SRC_SPIRAL)
        return app_usage_error(CMD, "--classes is for blobs and spiral; %s has 2 classes%s",
                               o->data, o->source == TRAIN_SRC_YINYANG ? " (yinyang 3)" : "");
    if (o->max_test && o->source != TRAIN_SRC_FASHION)
        return app_usage_error(CMD, "--max-test: only fashion-mnist has a test split");
    if (!isnan(o->momentum) && o->optimizer != MG_OPTIM_MOMENTUM)
        return app_usage_error(CMD, "--momentum is for --optimizer momentum");
    if (o->has_loss && csv && o->task != MG_CSV_TASK_AUTO &&
        (o->loss == MG_LOSS_KIND_MSE) != (o->task == MG_CSV_TASK_REGRESS))
        return app_usage_error(CMD, "--loss %s does not fit --task %s", mg_loss_kind_name(o->loss),
                               o->task == MG_CSV_TASK_REGRESS ? "regress" : "classify");
    if (o->every && !o->checkpoint) return app_usage_error(CMD, "--every needs --checkpoint FILE");
    if (o->dtype == MG_DTYPE_F32 && (o->eager || o->check_numerics))
        return app_usage_error(CMD, "--dtype f32 is the replay's: not with %s",
                               o->eager ? "--eager" : "--check-numerics");
    if (!o->samples) o->samples = TRAIN_DEFAULT_SAMPLES;
    if (o->standardize < 0) o->standardize = o->source != TRAIN_SRC_FASHION;
    return APP_OK;
}

void train_opts_free(train_opts *o) {
    free(o->drop);
    free(o->features);
    o->drop = o->features = NULL;
    o->ndrop = o->nfeatures = 0;
}

int train_parse_options(int argc, char **argv, train_opts *o, int *stop) {
    set_defaults(o);
    *stop = 1;
    int c;
    opterr = 0;
    optind = 0; /* 0, not 1: glibc then also forgets a half-read "-qh" group of an earlier parse */
    while ((c = getopt_long(argc, argv, ":d:t:s:qh", longopts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return APP_OK;
        }
        if (c == ':') return app_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        if (c == '?') return app_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        if (set_option(c, optarg, o) != APP_OK) return APP_USAGE;
    }
    if (optind < argc) return app_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (check_combinations(o) != APP_OK) return APP_USAGE;
    *stop = 0;
    return APP_OK;
}
