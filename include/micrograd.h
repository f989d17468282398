/*
 * micrograd.h - a scalar-valued reverse-mode autograd engine and a small neural-network
 * library, in C11. This header is the manual.
 *
 * CONTENTS
 *   1. Overview and ownership rules
 *   2. A complete example
 *   3. Errors and status
 *   4. Context, values and the tape          mg_ctx_*, mg_leaf, mg_data, ...
 *   5. Operations                            mg_add, mg_mul, mg_tanh, mg_dot, ...
 *   6. Backward, gradient check, numerics    mg_backward, mg_gradcheck, ...
 *   7. Random numbers                        mg_rng_*
 *   8. Formatting numbers                    mg_fmt_*
 *   9. Networks                              mg_mlp_*, mg_loss_*, mg_optim_*, mg_train
 *  10. Datasets                              mg_dataset_*, mg_data_*
 *  11. Scripts                               mg_script_*
 *  12. Pictures and formulas                 mg_dot_*, mg_plot_*, mg_formula_*
 *  13. Files                                 mg_csv_*, mg_idx_*, mg_model_*
 *  14. Compiled and batched replay           mg_compiled_*
 *
 * 1. OVERVIEW AND OWNERSHIP
 *
 * A context (mg_ctx) owns every value. A value is a scalar with data, grad, an optional
 * label, the operation that made it and that operation's inputs. Values live on a tape in
 * creation order; because an operation's inputs always exist before it, creation order is
 * a topological order, and backward is one reverse walk over the tape.
 *
 * An mg_value is a small handle (passed by value), not a pointer. It stays valid until
 * the context is freed or reset below it (mg_ctx_reset). Using a handle from another
 * context, or one dropped by a reset, is a programmer error: the library aborts with a
 * message naming file, line and condition. The handle MG_NULL names no value; every
 * operation given MG_NULL returns MG_NULL, so a failed allocation in the middle of a long
 * expression surfaces once, at the end (check mg_ctx_status).
 *
 * Nothing is freed value by value. mg_ctx_mark records the tape's length; mg_ctx_reset
 * drops everything created after the mark and keeps the memory for reuse, so a training
 * loop that builds each step above a mark allocates nothing after its first step.
 *
 * The library never prints and never exits. Recoverable errors (bad files, bad sizes, out
 * of memory, parse errors) are returned as a status or NULL with a message in an mg_err.
 * Every *_free function accepts NULL.
 *
 * 2. EXAMPLE: micrograd's README expression, with gradients
 *
 *     mg_ctx *ctx = mg_ctx_new();
 *     mg_value a = mg_leaf(ctx, -4.0), b = mg_leaf(ctx, 2.0);
 *     mg_value c = mg_add(ctx, a, b);                          // c = a + b
 *     mg_value d = mg_add(ctx, mg_mul(ctx, a, b), mg_powf(ctx, b, 3));
 *     c = mg_add(ctx, c, mg_addf(ctx, c, 1));                  // c += c + 1
 *     ...
 *     mg_backward(ctx, g);
 *     printf("%.4f %.4f\n", mg_grad(ctx, a), mg_grad(ctx, b)); // 138.8338 645.5773
 *     mg_ctx_free(ctx);
 *
 *   examples/readme_expr.c has the whole of it.
 *
 * THREADS: a context is not thread-safe; distinct contexts may be used from distinct
 * threads at once.
 */
#ifndef MICROGRAD_H
#define MICROGRAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MG_VERSION_MAJOR 0
#define MG_VERSION_MINOR 1
#define MG_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------------------------------
 * 3. ERRORS AND STATUS
 * ------------------------------------------------------------------------------------- */

typedef enum mg_status {
    MG_STATUS_OK = 0,
    MG_STATUS_NOMEM,      /* an allocation failed, or the context's memory cap was reached */
    MG_STATUS_IO,         /* a file could not be opened, read or written */
    MG_STATUS_FORMAT,     /* malformed input: a parse error, a bad file, inconsistent sizes */
    MG_STATUS_INVALID,    /* an argument out of range (a size of 0, an unknown name, ...) */
    MG_STATUS_NUMERIC,    /* a NaN or infinity where a finite number was needed */
    MG_STATUS_UNSUPPORTED /* a feature built without its library (cairo, graphviz, zlib) */
} mg_status;

/* An error report: a status and one line saying what went wrong and where (for files,
 * "path:line:col: message"). Functions that can fail take an `mg_err *err` last; it may
 * be NULL when the caller does not want the message. On success it is left untouched. */
typedef struct mg_err {
    mg_status status;
    char msg[512];
} mg_err;

/* Sets err (if not NULL) to status and a printf-style message; returns status. */
mg_status mg_err_set(mg_err *err, mg_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A short constant name for a status ("out of memory", "format error", ...). */
const char *mg_status_str(mg_status status);

/* ---------------------------------------------------------------------------------------
 * 4. CONTEXT, VALUES AND THE TAPE
 * ------------------------------------------------------------------------------------- */

typedef struct mg_ctx mg_ctx;

/* A handle to a value on a context's tape. Copy it freely; compare with mg_same. */
typedef struct mg_value {
    uint64_t id; /* index (low 32 bits), context tag and generation (high bits); 0 = none */
} mg_value;

#define MG_NULL ((mg_value){0})

/* The role a leaf plays; it decides colours in pictures and what gradient checks and
 * optimisers touch. Values made by operations have the role MG_ROLE_OP. */
typedef enum mg_role {
    MG_ROLE_LEAF = 0, /* a plain leaf, micrograd's Value(x) */
    MG_ROLE_PARAM,    /* a trainable parameter */
    MG_ROLE_INPUT,    /* an input: data fed to a model */
    MG_ROLE_CONST,    /* a number written in an expression (the 2 in 2*a) */
    MG_ROLE_OP        /* made by an operation */
} mg_role;

/* A position on the tape, from mg_ctx_mark, to return to with mg_ctx_reset. */
typedef struct mg_mark {
    uint32_t nvalues, nargs, nchars;
    uint32_t gen;
} mg_mark;

/* Returns a new empty context, or NULL when out of memory. */
mg_ctx *mg_ctx_new(void);
/* Frees the context and every value in it. Safe to call on NULL. */
void mg_ctx_free(mg_ctx *ctx);
/* Caps the bytes the context's tape may hold (0 = no cap, the default). Growing past it
 * makes the operation return MG_NULL and sets the context's status to MG_STATUS_NOMEM. */
void mg_ctx_set_max_bytes(mg_ctx *ctx, size_t max_bytes);
/* Bytes the context currently holds (its capacity, not just what is used). */
size_t mg_ctx_bytes(const mg_ctx *ctx);
/* Number of values on the tape. */
size_t mg_ctx_size(const mg_ctx *ctx);
/* MG_STATUS_OK, or the first failure since the last mg_ctx_clear_status (sticky). */
mg_status mg_ctx_status(const mg_ctx *ctx);
/* The message of the sticky failure ("" when none). Valid until the next failure. */
const char *mg_ctx_errmsg(const mg_ctx *ctx);
/* Clears the sticky status. */
void mg_ctx_clear_status(mg_ctx *ctx);
/* Records the current end of the tape. */
mg_mark mg_ctx_mark(const mg_ctx *ctx);
/* Drops every value created after `mark` (their handles become invalid) and keeps the
 * memory. Values before the mark keep their data and grads. */
void mg_ctx_reset(mg_ctx *ctx, mg_mark mark);

/* Leaf constructors. Each returns a new value with grad 0, or MG_NULL when out of
 * memory. mg_leaf is micrograd's Value(x); the others differ only in role. */
mg_value mg_leaf(mg_ctx *ctx, double x);
mg_value mg_param(mg_ctx *ctx, double x);
mg_value mg_input(mg_ctx *ctx, double x);
mg_value mg_const(mg_ctx *ctx, double x);
/* A leaf with a role and a label (label may be NULL). */
mg_value mg_leaf_ex(mg_ctx *ctx, double x, mg_role role, const char *label);

/* True when v names a value (is not MG_NULL). */
static inline int mg_ok(mg_value v) { return v.id != 0; }
/* True when a and b name the same value. */
static inline int mg_same(mg_value a, mg_value b) { return a.id == b.id; }

double mg_data(const mg_ctx *ctx, mg_value v);
double mg_grad(const mg_ctx *ctx, mg_value v);
/* Sets a value's data. For a leaf, later values keep their old data until mg_forward. */
void mg_set_data(mg_ctx *ctx, mg_value v, double x);
void mg_set_grad(mg_ctx *ctx, mg_value v, double g);
/* The label, or "" when the value has none. Valid until the label is set again or the
 * value is dropped. */
const char *mg_label(const mg_ctx *ctx, mg_value v);
/* Sets (copies) the label; NULL or "" removes it. Returns v, or MG_NULL when out of
 * memory. Labels longer than 255 bytes are cut. */
mg_value mg_set_label(mg_ctx *ctx, mg_value v, const char *label);
mg_role mg_role_of(const mg_ctx *ctx, mg_value v);
void mg_set_role(mg_ctx *ctx, mg_value v, mg_role role);

/* The position of v on the tape (0-based, creation order). */
size_t mg_index(const mg_ctx *ctx, mg_value v);
/* The handle of the value at tape position i (i < mg_ctx_size). */
mg_value mg_at(const mg_ctx *ctx, size_t i);

/* Direct access to the data and grad arrays, for flat loops over a span of values
 * created one after another (a model's parameters). The pointer is to the value's slot;
 * slots of values created after it follow. Invalidated by any call that creates a value
 * (the arrays may move) and by mg_ctx_free. */
double *mg_data_ptr(mg_ctx *ctx, mg_value v);
double *mg_grad_ptr(mg_ctx *ctx, mg_value v);

/* ---------------------------------------------------------------------------------------
 * 5. OPERATIONS
 *
 * Each returns a new value whose data is computed at once, or MG_NULL when out of memory
 * or given MG_NULL. The derivative used by backward is on each line.
 * ------------------------------------------------------------------------------------- */

typedef enum mg_op {
    MG_OP_LEAF = 0,
    MG_OP_ADD,     /* a + b            d/da 1, d/db 1 */
    MG_OP_SUB,     /* a - b            d/da 1, d/db -1 */
    MG_OP_MUL,     /* a * b            d/da b, d/db a */
    MG_OP_DIV,     /* a / b            d/da 1/b, d/db -a/b^2 */
    MG_OP_NEG,     /* -a               d/da -1 */
    MG_OP_POWC,    /* a ** k, k a constant input     d/da k*a^(k-1) */
    MG_OP_POW,     /* a ** b           d/da b*a^(b-1), d/db a^b*ln a (0 where a^b = 0) */
    MG_OP_EXP,     /* e^a              d/da e^a */
    MG_OP_LOG,     /* ln a             d/da 1/a */
    MG_OP_TANH,    /* tanh a           d/da 1 - tanh^2 a */
    MG_OP_RELU,    /* max(0, a)        d/da [a > 0] */
    MG_OP_SIGMOID, /* 1 / (1 + e^-a)   d/da s(1 - s) */
    MG_OP_SUM,     /* x1 + ... + xn    d/dxi 1 */
    MG_OP_DOT,     /* b + w1*x1 + ... + wn*xn   d/db 1, d/dwi xi, d/dxi wi */
    MG_OP_COUNT
} mg_op;

/* Operation names ("add", "tanh", ...) and symbols ("+", "tanh", "**") as shown in
 * pictures and formulas. */
const char *mg_op_name(mg_op op);
const char *mg_op_symbol(mg_op op);

mg_value mg_add(mg_ctx *ctx, mg_value a, mg_value b);
mg_value mg_sub(mg_ctx *ctx, mg_value a, mg_value b);
mg_value mg_mul(mg_ctx *ctx, mg_value a, mg_value b);
mg_value mg_div(mg_ctx *ctx, mg_value a, mg_value b);
mg_value mg_neg(mg_ctx *ctx, mg_value a);
/* a ** k for a plain number k (k becomes a constant input, shown as "**k"). */
mg_value mg_powf(mg_ctx *ctx, mg_value a, double k);
/* a ** b with gradients to both a and b. */
mg_value mg_pow(mg_ctx *ctx, mg_value a, mg_value b);
mg_value mg_exp(mg_ctx *ctx, mg_value a);
mg_value mg_log(mg_ctx *ctx, mg_value a);
mg_value mg_tanh(mg_ctx *ctx, mg_value a);
mg_value mg_relu(mg_ctx *ctx, mg_value a);
mg_value mg_sigmoid(mg_ctx *ctx, mg_value a);

/* Mixed forms with a plain number k on either side; k becomes a constant leaf, as in
 * micrograd: a + k, k - a, a * k, a / k, k / a and so on. */
mg_value mg_addf(mg_ctx *ctx, mg_value a, double k);  /* a + k */
mg_value mg_subf(mg_ctx *ctx, mg_value a, double k);  /* a - k */
mg_value mg_rsubf(mg_ctx *ctx, double k, mg_value a); /* k - a */
mg_value mg_mulf(mg_ctx *ctx, mg_value a, double k);  /* a * k  (and k * a) */
mg_value mg_divf(mg_ctx *ctx, mg_value a, double k);  /* a / k */
mg_value mg_rdivf(mg_ctx *ctx, double k, mg_value a); /* k / a */

/* x[0] + x[1] + ... + x[n-1] as one value, summed left to right (n >= 1). */
mg_value mg_sum(mg_ctx *ctx, size_t n, const mg_value *x);
/* b + w[0]*x[0] + ... + w[n-1]*x[n-1] as one value, summed left to right starting from
 * b; b may be MG_NULL for no bias (then the sum starts from 0). n may be 0. */
mg_value mg_dot(mg_ctx *ctx, mg_value b, size_t n, const mg_value *w, const mg_value *x);

/* Walking the graph: the op that made v, its number of inputs and the k-th input. For
 * MG_OP_DOT the inputs are b, w0, x0, w1, x1, ... (b absent when it was MG_NULL; then
 * mg_dot_has_bias is 0). For MG_OP_POWC the second input is the constant exponent. */
mg_op mg_op_of(const mg_ctx *ctx, mg_value v);
size_t mg_nin(const mg_ctx *ctx, mg_value v);
mg_value mg_input_of(const mg_ctx *ctx, mg_value v, size_t k);
int mg_dot_has_bias(const mg_ctx *ctx, mg_value v);

/* ---------------------------------------------------------------------------------------
 * 6. BACKWARD, GRADIENT CHECK, NUMERICS
 * ------------------------------------------------------------------------------------- */

/* Computes d(root)/d(v) for every value v that root depends on, with a reverse walk over
 * the tape: O(values), no recursion. Gradients ACCUMULATE into leaves (+=), like micrograd
 * and PyTorch: call mg_zero_grad between steps. The grads of interior values that root
 * depends on are reset at the start, so calling mg_backward twice without zeroing doubles
 * the leaf grads and nothing else. Values root does not depend on are left alone. */
void mg_backward(mg_ctx *ctx, mg_value root);
/* The same with an upstream gradient: root's grad is taken as `upstream` (seed 001's
 * backward(derivative_from_parent)). For a leaf root, upstream is added to its grad. */
void mg_backward_from(mg_ctx *ctx, mg_value root, double upstream);
/* Sets the grads of n values to 0. */
void mg_zero_grad(mg_ctx *ctx, size_t n, const mg_value *v);
/* Sets the grads of the n values created one after another from `first` to 0. */
void mg_zero_grad_span(mg_ctx *ctx, mg_value first, size_t n);
/* Recomputes the data of every interior value root depends on from the current leaf
 * data (after mg_set_data on leaves). Returns root's new data. */
double mg_forward(mg_ctx *ctx, mg_value root);

/* The result of a gradient check. */
typedef struct mg_gradcheck_report {
    double max_rel_err;   /* the largest |analytic - numeric| / max(1, |analytic|, |numeric|) */
    double max_abs_grad;  /* the largest |analytic| seen: guards against an all-zero pass */
    mg_value worst;       /* the leaf with the largest error (MG_NULL when none checked) */
    double worst_analytic, worst_numeric;
    size_t nchecked;      /* leaves checked (constants are skipped) */
} mg_gradcheck_report;

/* Compares every leaf's backward gradient of root with a central finite difference of
 * step h (h <= 0 picks 1e-6) and returns the largest relative error (see the report).
 * Leaf grads are recomputed from zero; leaf data are restored; interior values are
 * recomputed afterwards. report may be NULL. Returns NaN when root is MG_NULL. */
double mg_gradcheck(mg_ctx *ctx, mg_value root, double h, mg_gradcheck_report *report);

/* Finds the first value at or after tape position `from` whose data (or, with
 * check_grad, grad) is NaN or infinite. Returns MG_NULL when all are finite. */
mg_value mg_find_nonfinite(const mg_ctx *ctx, size_t from, int check_grad);
/* Describes a value in one line: "#12 log 'x': data=nan grad=0" into buf (always
 * terminated); returns buf. */
char *mg_describe(const mg_ctx *ctx, mg_value v, char *buf, size_t size);

/* ---------------------------------------------------------------------------------------
 * 7. RANDOM NUMBERS
 *
 * xorshift* with a 64-bit state, as micrograd's 2024 follow-up uses: deterministic, owned
 * by the caller (each context has one, mg_ctx_rng), never global.
 * ------------------------------------------------------------------------------------- */

typedef struct mg_rng {
    uint64_t state;
    int has_spare;   /* Box-Muller keeps its second normal here */
    double spare;
} mg_rng;

/* Seeds the generator (the state is the seed itself; a seed of 0 is taken as 1, since
 * xorshift would stay at 0). */
void mg_rng_seed(mg_rng *rng, uint64_t seed);
uint32_t mg_rng_u32(mg_rng *rng);
/* A double in [0, 1) with 24 random bits: (u32 >> 8) / 2^24. */
double mg_rng_random(mg_rng *rng);
/* a + (b - a) * mg_rng_random. */
double mg_rng_uniform(mg_rng *rng, double a, double b);
/* A standard normal (Box-Muller on two mg_rng_random draws). */
double mg_rng_normal(mg_rng *rng);
/* An integer in [0, n) (n >= 1). */
uint32_t mg_rng_below(mg_rng *rng, uint32_t n);
/* The context's own generator, seeded with 42 when the context is made. */
mg_rng *mg_ctx_rng(mg_ctx *ctx);

/* ---------------------------------------------------------------------------------------
 * 8. FORMATTING NUMBERS
 * ------------------------------------------------------------------------------------- */

/* Writes x as Python's repr(float) would: the shortest decimal that reads back as the
 * same double, "4.0" for integers, "1e-05", "inf", "nan". buf should hold 32 bytes;
 * returns buf. */
char *mg_fmt_repr(double x, char *buf, size_t size);
/* Writes "Value(data=D, grad=G)" like micrograd's print(value); returns buf. */
char *mg_value_repr(const mg_ctx *ctx, mg_value v, char *buf, size_t size);

/* ---------------------------------------------------------------------------------------
 * 9. NETWORKS: neurons, layers, MLPs, losses, optimisers, the training loop
 *    (src/nn.c, src/loss.c, src/optim.c, src/train.c)
 * ------------------------------------------------------------------------------------- */

typedef enum mg_act {
    MG_ACT_LINEAR = 0,
    MG_ACT_RELU,
    MG_ACT_TANH,
    MG_ACT_SIGMOID
} mg_act;

typedef enum mg_init {
    MG_INIT_UNIFORM = 0, /* micrograd's: weights uniform(-1, 1), bias 0 */
    MG_INIT_SCALED       /* weights uniform(-1, 1) * nin^-0.5, bias 0 */
} mg_init;

/* A multi-layer perceptron. Its parameters are values of a context, made one after
 * another (one contiguous span starting at `first`): layer by layer, neuron by neuron,
 * the neuron's nin weights in input order and then its bias (micrograd's order). */
typedef struct mg_mlp {
    size_t nin;      /* inputs */
    size_t nlayers;  /* layers, the output layer included */
    size_t *sizes;   /* [nlayers] neurons per layer */
    mg_act *acts;    /* [nlayers] activation per layer */
    mg_value first;  /* the first parameter */
    size_t nparams;  /* parameters in the span */
} mg_mlp;

/* <<< section 9 declarations (nn) >>> */

/* ---------------------------------------------------------------------------------------
 * 10. DATASETS: generators, shuffling and splits (src/data.c)
 * ------------------------------------------------------------------------------------- */

/* A table of samples: n rows of nfeat features, row-major, and one target per row. For
 * classification nclasses > 0 and y[i] holds the class index 0 .. nclasses-1 (as a
 * double); for regression nclasses = 0 and y[i] is the value. The dataset owns all its
 * arrays; names may be NULL. */
typedef struct mg_dataset {
    size_t n, nfeat;
    double *x;            /* [n * nfeat] */
    double *y;            /* [n] */
    size_t nclasses;      /* 0 for regression */
    char **class_names;   /* [nclasses] or NULL: the original labels ("setosa", "7") */
    char **feature_names; /* [nfeat] or NULL */
    char *target_name;    /* or NULL */
} mg_dataset;

/* <<< section 10 declarations (datasets) >>> */

/* ---------------------------------------------------------------------------------------
 * 11. SCRIPTS: micrograd's Python syntax, parsed onto a context (src/script.c)
 * ------------------------------------------------------------------------------------- */

/* <<< section 11 declarations (scripts) >>> */

/* ---------------------------------------------------------------------------------------
 * 12. PICTURES AND FORMULAS: DOT graphs, rendering, plots, formula printing
 *     (src/dot.c, src/render.c, src/plot.c, src/formula.c)
 * ------------------------------------------------------------------------------------- */

/* <<< section 12 declarations (pictures) >>> */

/* ---------------------------------------------------------------------------------------
 * 13. FILES: CSV and IDX loaders, model files (src/csv.c, src/idx.c, src/model_io.c)
 * ------------------------------------------------------------------------------------- */

/* <<< section 13 declarations (files) >>> */

/* ---------------------------------------------------------------------------------------
 * 14. COMPILED AND BATCHED REPLAY (src/compile.c, src/kernels.c)
 * ------------------------------------------------------------------------------------- */

/* <<< section 14 declarations (compiled) >>> */

#ifdef __cplusplus
}
#endif
#endif /* MICROGRAD_H */
