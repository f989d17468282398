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
 *   9. Compiled and batched replay           mg_compile, mg_compiled_*, mg_collective
 *  10. Networks                              mg_mlp_*, mg_loss_*, mg_optim_*, mg_train
 *  11. Datasets                              mg_dataset_*
 *  12. Scripts                               mg_script_*
 *  13. Pictures, formulas, backprop pages     mg_graph_*, mg_plot_*, mg_formula_*, mg_page_*
 *  14. Files                                 mg_csv_*, mg_idx_*, mg_model_*, mg_predictor_*,
 *                                            mg_outfile_*
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
 * message naming file, line and condition. (A handle carries its context's tag and the
 * 16-bit generation of the tape its value was made in, which the tape also keeps with
 * the value: a handle kept across 65536 or more resets may pass the check.) The handle
 * MG_NULL names no value; every
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
 * 2. A COMPLETE EXAMPLE: an expression of micrograd's README, and its gradients
 *
 *     #include <micrograd.h>
 *     #include <stdio.h>
 *
 *     int main(void) {
 *         mg_ctx *ctx = mg_ctx_new();                         // owns every value
 *         mg_value a = mg_leaf(ctx, -4.0), b = mg_leaf(ctx, 2.0);
 *         mg_value c = mg_add(ctx, a, b);                     // c = a + b
 *         mg_value d = mg_add(ctx, mg_mul(ctx, a, b), mg_powf(ctx, b, 3));
 *         mg_value e = mg_tanh(ctx, mg_sub(ctx, c, d));       // e = (c - d).tanh()
 *         mg_backward(ctx, e);                                // one reverse walk
 *         printf("%.4f %.4f %.4f\n", mg_data(ctx, e), mg_grad(ctx, a), mg_grad(ctx, b));
 *         mg_ctx_free(ctx);                                   // frees everything at once
 *         return 0;                              // printed: -0.9640 -0.0707 -0.4946
 *     }
 *
 * Build it with: cc example.c $(pkg-config --cflags --libs micrograd). The programs in
 * examples/ go further: micrograd's whole README expression, a neuron, an MLP trained
 * on the moons, drawing a graph.
 *
 * THREADS. A context is not thread-safe; distinct contexts may be used from distinct
 * threads at once. Where the library runs threads itself (the compiled replay, training,
 * predictions over many rows, large optimiser steps; built with OpenMP), a thread count
 * n > 0 means n threads, and 0 means one a core (the library's workers sleep when they
 * have nothing to do, so sharing a core with another busy program costs a few percent).
 * Results never depend on the thread count. A build without OpenMP always runs one
 * thread.
 */
#ifndef MICROGRAD_H
#define MICROGRAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library is built with hidden symbols; what this header declares is its interface. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
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

/* Memory. Every allocation the library makes (contexts, datasets, models, compiled
 * tapes, parsers, pictures' buffers) goes through one allocator, the C library's unless
 * replaced: a program can route it to its own arena, count it, or make it fail on purpose
 * to test its error paths (the library's own tests fail every allocation in turn). Memory
 * that cairo, graphviz, jansson and zlib allocate for themselves is theirs. */
typedef struct mg_allocator {
    void *(*alloc)(void *user, size_t size);            /* NULL when out of memory */
    void *(*realloc)(void *user, void *p, size_t size); /* NULL when out of memory: p kept */
    void (*free)(void *user, void *p);                  /* p may be NULL */
    void *user;
} mg_allocator;

/* Replaces the allocator (a copy is kept); NULL restores the C library's. Sizes given
 * are never 0. Set it before making anything, and restore it only after freeing
 * everything made, since memory must go back to the allocator that gave it. Not
 * thread-safe with anything else the library is doing. */
void mg_set_allocator(const mg_allocator *a);

/* ---------------------------------------------------------------------------------------
 * 4. CONTEXT, VALUES AND THE TAPE
 * ------------------------------------------------------------------------------------- */

typedef struct mg_ctx mg_ctx;

/* A handle to a value on a context's tape. Copy it freely; compare with mg_same. */
typedef struct mg_value {
    uint64_t id; /* index (low 32 bits), context tag and generation (high bits); 0 = none */
} mg_value;

#ifdef __cplusplus
#define MG_NULL (mg_value{0})
#else
#define MG_NULL ((mg_value){0})
#endif

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
/* Bytes the context currently holds (its capacity, not just what is used): 28 bytes for
 * each value the tape has room for (data, grad, two inputs, one word for the op, the role
 * and the generation), plus the inputs of n-ary values, labels (text and a table entry
 * for each labelled value) and backward's work space when it needed one. */
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
mg_mark mg_ctx_mark(mg_ctx *ctx);
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
/* A value's grad; 0 for a value just made. */
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
    MG_OP_STEP,    /* [a > 0] (1 or 0)  d/da 0: relu's derivative, as a value */
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
/* 1 where a > 0, else 0 (NaN included), with derivative 0: relu's derivative as a value,
 * which gradients as values (mg_gradient) use for relu. */
mg_value mg_step(mg_ctx *ctx, mg_value a);

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
size_t mg_noperands(const mg_ctx *ctx, mg_value v);
mg_value mg_operand(const mg_ctx *ctx, mg_value v, size_t k);
int mg_dot_has_bias(const mg_ctx *ctx, mg_value v);

/* ---------------------------------------------------------------------------------------
 * 6. BACKWARD, GRADIENT CHECK, NUMERICS
 * ------------------------------------------------------------------------------------- */

/* Computes d(root)/d(v) for every value v that root depends on, with a reverse walk over
 * the tape: O(values), no recursion. Gradients ACCUMULATE into leaves (+=), like micrograd
 * and PyTorch: call mg_zero_grad between steps. The grads of interior values that root
 * depends on are reset at the start, so calling mg_backward twice without zeroing doubles
 * the leaf grads and nothing else. Values root does not depend on are left alone. When
 * root is the last value made and every op value on the tape leads to it, all of them
 * made since the last reset that dropped values (a training step's loss above a model's
 * parameters, as a rule), the walk needs no work space; otherwise it needs one byte per
 * value, kept by the context: when that cannot be had, no
 * grad is changed and the context's status says MG_STATUS_NOMEM (check mg_ctx_status).
 * With mg_ctx_check_numerics on, a non-finite grad fails the context the same way. */
void mg_backward(mg_ctx *ctx, mg_value root);
/* The same with an upstream gradient: root's grad is taken as `upstream` (seed 001's
 * backward(derivative_from_parent)). For a leaf root, upstream is added to its grad. */
void mg_backward_from(mg_ctx *ctx, mg_value root, double upstream);
/* Backward one chain-rule term at a time, for showing how it works: what mg_backward
 * adds, in the order it adds it. Each step is one term added to one operand's grad:
 * operand.grad += value.grad * local, where local = d value / d operand. */
typedef struct mg_backward_step {
    size_t step;       /* 0, 1, 2, ... */
    mg_value value;    /* the value whose grad is passed on (complete by now) */
    mg_value operand;  /* the operand receiving the term */
    size_t k;          /* which operand of value (0-based, as mg_operand) */
    double grad;       /* value's grad, dL/dvalue */
    double local;      /* d value / d operand at the current data */
    double term;       /* what is added (backward's own arithmetic, not grad * local
                          recomputed: dL/dvalue / b for a division, for one) */
    int added;         /* 0 where backward adds nothing (relu's closed gate, x**0, a step) */
    double before, after; /* operand's grad before and after */
} mg_backward_step;
/* Return nonzero to stop. */
typedef int (*mg_backward_step_fn)(void *user, const mg_backward_step *s);
/* Runs mg_backward(ctx, root), calling fn (may be NULL) after each term is added. The
 * grads it leaves are mg_backward's, bit for bit (when fn does not stop it). A powc's
 * exponent gets no step. MG_STATUS_INVALID for MG_NULL, MG_STATUS_NOMEM (work space). */
mg_status mg_backward_steps(mg_ctx *ctx, mg_value root, mg_backward_step_fn fn, void *user);
/* Sets the grads of n values to 0. */
void mg_zero_grad(mg_ctx *ctx, size_t n, const mg_value *v);
/* Sets the grads of the n values created one after another from `first` to 0. */
void mg_zero_grad_span(mg_ctx *ctx, mg_value first, size_t n);
/* Recomputes the data of every interior value root depends on from the current leaf
 * data (after mg_set_data on leaves). Returns root's new data; NaN with the context's
 * status MG_STATUS_NOMEM when its work space (as mg_backward's) cannot be had. */
double mg_forward(mg_ctx *ctx, mg_value root);

/* GRADIENTS AS VALUES (higher-order derivatives). mg_backward computes numbers. These
 * compute the backward pass as values appended to the tape after root, built from the
 * ordinary ops (each op's derivative written with ops: tanh's as 1 - y*y, relu's as
 * mg_step(a), a**b's in both a and b), so a gradient can be printed, drawn, compiled,
 * and differentiated again:
 *
 *     mg_value x = mg_leaf(ctx, 3.0);
 *     mg_value y = mg_powf(ctx, x, 3);              // y = x**3 = 27
 *     mg_value dy = mg_gradient(ctx, y, x);         // 3x**2 = 27, a value
 *     mg_value d2y = mg_gradient(ctx, dy, x);       // 6x = 18
 *     mg_value d3y = mg_gradient(ctx, d2y, x);      // 6
 *
 * A value that appears in many places gets one n-ary sum (or dot) of its consumers'
 * terms, as a layer's forward is one dot per neuron. Creation order stays a topological
 * order, so everything that works on a graph works on the result. The data of the new
 * values are the gradients at the current data (the same numbers mg_backward gives, to
 * rounding); after mg_set_data on leaves, mg_forward on a gradient recomputes it. Leaf
 * grads are not touched. The two gates backward takes at the current data are taken
 * here too, when the graph is built: a ** b sends nothing to b where a ** b is 0, nor to
 * a where b is 0. mg_backward is a separate, faster walk and is unaffected. */

/* Appends d(root)/d(x[k]) for k < n as values and writes their handles to dx[k]: a value
 * root does not depend on gets a new constant 0; root itself gets a constant 1. Each
 * dx[k] is labelled "d<root>/d<x>" when root and x[k] have labels. Returns 1, or 0 with
 * every dx[k] MG_NULL and the tape as it was: given MG_NULL, or out of memory (the
 * context's status says so). */
int mg_gradients(mg_ctx *ctx, mg_value root, size_t n, const mg_value *x, mg_value *dx);
/* The same for one value: d(root)/d(x), or MG_NULL. */
mg_value mg_gradient(mg_ctx *ctx, mg_value root, mg_value x);

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
/* Debugging numerics (off by default): with on, every value an operation computes is
 * checked as it is made, and the first that is NaN or infinite fails the context with
 * MG_STATUS_NUMERIC ("not finite: #12 log 'x': data=-inf grad=0", mg_ctx_errmsg): the
 * operation returns MG_NULL, so what builds on it does too. mg_backward then also checks
 * the grads it computed and fails the context at the first non-finite one, in the order it
 * reached them. Costs a test per value. mg_ctx_clear_status resumes after a failure. */
void mg_ctx_check_numerics(mg_ctx *ctx, int on);

/* ---------------------------------------------------------------------------------------
 * 7. RANDOM NUMBERS
 *
 * Deterministic generators owned by the caller (each context has one, mg_ctx_rng), never
 * global, of two kinds:
 *   - xorshift* with a 64-bit state, as micrograd's 2024 follow-up uses (the yin-yang
 *     run): mg_rng_seed. The library's default.
 *   - the Mersenne Twister (MT19937) that Python's `random` and numpy's legacy
 *     `np.random` use, seeded as either of them seeds it (mg_rng_seed_python,
 *     mg_rng_seed_numpy), so that micrograd's notebook can be reproduced number for
 *     number: random() is genrand_res53, uniform(a, b) is a + (b - a) * random(), normal()
 *     is numpy's legacy polar method (its second value cached), below(n) is numpy's
 *     masked rejection (RandomState.randint(n)), and a shuffle (mg_dataset_shuffle) is
 *     numpy's RandomState.shuffle.
 * The kind is chosen by the seeding call; every other call follows the kind.
 * ------------------------------------------------------------------------------------- */

typedef enum mg_rng_kind {
    MG_RNG_XORSHIFT = 0, /* xorshift* (mg_rng_seed) */
    MG_RNG_MT19937       /* the Mersenne Twister (mg_rng_seed_python / _numpy) */
} mg_rng_kind;

#define MG_RNG_MT_N 624

typedef struct mg_rng {
    mg_rng_kind kind;
    uint64_t state;          /* xorshift's state */
    uint32_t mt[MG_RNG_MT_N]; /* the Mersenne Twister's state ... */
    int mti;                 /* ... and its position in it */
    int has_spare;           /* a normal kept for the next call (both kinds draw two) */
    double spare;
} mg_rng;

/* Seeds a xorshift* generator (the state is the seed itself; a seed of 0 is taken as 1,
 * since xorshift would stay at 0). */
void mg_rng_seed(mg_rng *rng, uint64_t seed);
/* Seeds a Mersenne Twister as CPython's random.seed(seed) does for an integer: its 32-bit
 * words, least significant first, through init_by_array. */
void mg_rng_seed_python(mg_rng *rng, uint64_t seed);
/* Seeds a Mersenne Twister as numpy's legacy np.random.seed(seed) does: init_genrand. */
void mg_rng_seed_numpy(mg_rng *rng, uint32_t seed);
/* The next 32 random bits. */
uint32_t mg_rng_u32(mg_rng *rng);
/* A double in [0, 1): xorshift, 24 random bits, (u32 >> 8) / 2^24; the Mersenne Twister,
 * 53 bits, Python's random() (genrand_res53). */
double mg_rng_random(mg_rng *rng);
/* a + (b - a) * mg_rng_random (Python's random.uniform). */
double mg_rng_uniform(mg_rng *rng, double a, double b);
/* A standard normal: xorshift, Box-Muller on two mg_rng_random draws; the Mersenne
 * Twister, numpy's legacy polar method (np.random.normal()). */
double mg_rng_normal(mg_rng *rng);
/* An integer in [0, n) (n >= 1), every one equally likely: xorshift, rejection of the
 * last partial range then modulo; the Mersenne Twister, numpy's masked rejection
 * (np.random.randint(n)). */
uint32_t mg_rng_below(mg_rng *rng, uint32_t n);
/* The context's own generator, a xorshift* seeded with 42 when the context is made. */
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
 * 9. COMPILED AND BATCHED REPLAY
 * ------------------------------------------------------------------------------------- */

/* Record the graph of ONE sample once, with the values that change per sample (inputs,
 * targets) marked as slots; then replay it for a whole batch with new slot values, without
 * building anything, and without allocating once a replay with the largest batch and
 * thread count has been made:
 *
 *     mg_value x[2] = {mg_input(ctx, 0), mg_input(ctx, 0)}, y = mg_input(ctx, 0);
 *     mg_value loss = ...graph of model(x) and y...;          // parameters made before
 *     mg_value slots[3] = {x[0], x[1], y};
 *     mg_compiled *c = mg_compile(ctx, loss, 3, slots, 0, NULL, &err);
 *     mg_ctx_reset(ctx, mark);                    // the sample graph is no longer needed
 *     for each step:
 *         mg_zero_grad_span(ctx, first_param, nparams);
 *         mg_compiled_forward_backward(c, batch, rows, 1.0 / batch, losses, NULL, &err);
 *         ...optimiser step over the parameter span, as after mg_backward...
 *     mg_compiled_free(c);
 *
 * Semantics are micrograd's, sample by sample: each sample's loss and gradients are what
 * the eager graph gives for that sample, to rounding: sums may be taken in a different
 * order and fused multiply-adds are used where the CPU has them, so results agree to
 * about 1e-15 relative, or relative to the size of the terms where a sum cancels.
 *
 * What is recorded: every value that `loss` and the `outputs` depend on. Slots are read
 * from the caller's rows at every replay. PARAMETERS (MG_ROLE_PARAM leaves that are not
 * slots) are read from the context at every replay, so an optimiser that updates their
 * data works as usual, and their gradients are ADDED into the context's grads. Every other
 * leaf (plain leaves, constants, labelled inputs that are not slots) is FROZEN at its
 * value at compile time. The context must outlive the compiled tape and must not be reset
 * below its parameters (a programmer error, caught); values created after compiling are
 * fine, and the sample graph itself may be dropped with mg_ctx_reset.
 *
 * How it runs: values that depend on no slot (parameters, constants, an L2 penalty) are
 * computed once per replay; the rest runs over the batch in blocks of up to 64 samples
 * side by side ("lanes") with vector instructions; dot values that read the same inputs
 * with parameter weights (a dense layer) run as one matrix product; parameter gradients
 * are summed over the lanes. The batch is cut into chunks fixed by the batch size alone
 * (batch/32 of them, at most 8), each chunk's gradients are summed over its samples in
 * order and the chunks' sums added in chunk order, so results are bit for bit the same
 * whatever the number of threads; threads (the library's own, which sleep when idle)
 * take whole chunks, or whole output neurons of a layer's weight gradient, and a replay
 * uses no more threads than its work pays for (a small batch runs on the calling thread
 * alone). A compiled tape is not thread-safe itself (it owns its work buffers); distinct
 * tapes may be replayed at once if their contexts differ. */

typedef struct mg_compiled mg_compiled;

/* Which vector kernels a compiled tape uses. AUTO picks the widest the CPU
 * has. */
typedef enum mg_kernels {
    MG_KERNELS_AUTO = 0,
    MG_KERNELS_PORTABLE, /* plain C: no fused multiply-add, so the eager engine's digits */
    MG_KERNELS_AVX2,     /* x86-64 AVX2 + FMA */
    MG_KERNELS_AVX512    /* x86-64 AVX-512F */
} mg_kernels;

/* The arithmetic of a compiled tape's lanes (mg_compiled_set_dtype). */
typedef enum mg_dtype {
    MG_DTYPE_F64 = 0, /* float64: the reference, the default */
    MG_DTYPE_F32      /* float32 lanes: twice the numbers per vector instruction */
} mg_dtype;

/* What a compiled tape holds (mg_compiled_info). */
typedef struct mg_compiled_info {
    size_t nvalues;       /* values recorded */
    size_t nslots, noutputs;
    size_t ninstructions; /* per-sample instructions (a dense layer counts as one) */
    size_t nuniform;      /* values computed once per replay (parameters, constants, ...) */
    size_t nparams;       /* parameters the loss depends on (their grads are written) */
    size_t ngroups;       /* dense layers found */
    size_t ngrouped;      /* dot values in them */
    size_t bytes;         /* memory held, work buffers included */
    size_t nallocs;       /* allocations made so far; constant once warmed up */
    const char *kernels;  /* "portable", "avx2" or "avx512" */
    int threads;          /* threads a replay may use (1 without OpenMP); a replay uses
                             fewer when its work is too small to pay for them */
    mg_dtype dtype;       /* the lanes' arithmetic */
} mg_compiled_info;

/* Records the graph behind `loss` and `outputs` (both may be given; loss may be MG_NULL
 * for a prediction-only tape, then noutputs >= 1). slots[0 .. nslots-1] are distinct
 * leaves (any role) whose values each sample supplies (nslots may be 0). Returns NULL with
 * MG_STATUS_INVALID for MG_NULL slots, a slot that is not a leaf or is repeated, nothing
 * to record; MG_STATUS_NOMEM. Does not change the context. Free with mg_compiled_free. */
mg_compiled *mg_compile(mg_ctx *ctx, mg_value loss, size_t nslots, const mg_value *slots,
                        size_t noutputs, const mg_value *outputs, mg_err *err);
/* Frees the tape and its work buffers (not the context). Safe to call on NULL. */
void mg_compiled_free(mg_compiled *c);
/* Sets the threads replays use (n, or 0: one a core; see THREADS in section 1; 0 is
 * what mg_compile sets). Returns the number a replay will use (1 when
 * built without OpenMP). Results do not depend on it. */
int mg_compiled_set_threads(mg_compiled *c, int nthreads);
/* Picks the kernels (default MG_KERNELS_AUTO). MG_STATUS_UNSUPPORTED when this CPU or
 * build lacks them (the choice is then unchanged). */
mg_status mg_compiled_set_kernels(mg_compiled *c, mg_kernels kernels, mg_err *err);
/* Picks the lanes' arithmetic (default MG_DTYPE_F64). With MG_DTYPE_F32 a replay computes
 * every per-sample value and gradient in float32, with float32 kernels (twice the lanes
 * per vector), and sums each chunk's gradients (see "How it runs") in float32. The rest
 * stays float64: parameters in the context (rounded to float32 as each replay starts),
 * values computed once per replay (an L2 penalty), the chunks' sums added in chunk order
 * and added to the grads, the losses and outputs returned. Results agree with float64's
 * to float32's precision: a loss to 1e-5 relative, an output to 1e-5 of the batch's
 * largest, a gradient to 1e-5 of the largest gradient (tests/test_compile_dtype.c holds
 * MLPs of up to 784 inputs to these, and sees a few 1e-7); within the mode results are
 * bit for bit the same for any thread count. Values past float32's range (3.4e38: exp of
 * more than 88) are infinite. MG_STATUS_NOMEM for the float32 copies of the weights. */
mg_status mg_compiled_set_dtype(mg_compiled *c, mg_dtype dtype, mg_err *err);
/* Fills *info. */
void mg_compiled_info_get(const mg_compiled *c, mg_compiled_info *info);

/* Runs the tape forward for `batch` samples. slot_values is [batch][nslots], row-major
 * (sample s's slot k at slot_values[s*nslots + k]; may be NULL when nslots is 0). Writes each sample's loss to
 * losses[s] and its outputs to outputs[s*noutputs + j] (either array may be NULL; losses
 * must be NULL when there is no loss). Touches no grads. MG_STATUS_INVALID for batch = 0
 * or a missing array; MG_STATUS_NOMEM growing the work buffers (first call with a larger
 * batch, or more threads). Non-finite results are returned as they are. */
mg_status mg_compiled_forward(mg_compiled *c, size_t batch, const double *slot_values,
                              double *losses, double *outputs, mg_err *err);
/* Forward and backward over the batch: adds grad_scale * (sum over samples of d loss_s /
 * d p) to the grad of every parameter p the loss depends on (grad_scale = 1/batch gives
 * the gradient of the mean loss), and fills losses and outputs as mg_compiled_forward.
 * When a sample's loss, or a parameter's summed gradient, is NaN or infinite, no grad is
 * changed and MG_STATUS_NUMERIC is returned with the first such sample and the first
 * non-finite value on its tape ("sample 3: loss is nan; first non-finite value: log at
 * tape #41 = -inf"). Other errors as mg_compiled_forward, plus MG_STATUS_INVALID when the
 * tape has no loss. */
mg_status mg_compiled_forward_backward(mg_compiled *c, size_t batch, const double *slot_values,
                                       double grad_scale, double *losses, double *outputs,
                                       mg_err *err);

/* 9b. Across processes (data parallel). The library knows no message-passing library:
 * the caller (the command uses MPI, app/ranks.c) gives it one collective operation in an
 * mg_collective, and the processes (ranks) of one job then share every replay. A
 * backward replay's chunks (see "How it runs": fixed by the batch size alone) are shared
 * out, rank r taking chunks [r*n/R, (r+1)*n/R) of n, a forward replay's lane blocks the
 * same way; each rank computes its chunks' gradient sums alone, the ranks exchange them
 * (and the losses and outputs of their samples), and every rank adds all the chunks in
 * chunk order: the sums, and everything after them, are bit for bit those of one process
 * with any number of threads. Every rank must replay the same batches of the same rows
 * in the same order. Before the exchange the ranks also exchange their status, so an
 * error on one rank (out of memory) is every rank's error and no rank waits for another
 * that has given up. With a batch of fewer than 64 samples there is one chunk: one rank
 * computes it and the others wait. */
typedef struct mg_collective {
    int rank;   /* this process, 0 .. nranks - 1 */
    int nranks; /* processes in the job (1: the collective is not used) */
    void *user; /* passed to allgather */
    /* Every rank calls it at the same point with the same counts and displs (nranks
     * entries each, in bytes): rank r has written counts[r] bytes at buf + displs[r];
     * on return every rank's buf holds every rank's bytes at their places. Returns 0, or
     * nonzero when the exchange failed (the replay then fails with MG_STATUS_IO). */
    int (*allgather)(void *user, void *buf, const size_t *counts, const size_t *displs);
} mg_collective;

/* Shares c's replays among the ranks coll describes (copied; NULL or nranks 1: this
 * process alone, the default). MG_STATUS_INVALID for a rank outside 0 .. nranks - 1 or
 * no allgather; MG_STATUS_NOMEM. */
mg_status mg_compiled_set_collective(mg_compiled *c, const mg_collective *coll, mg_err *err);

/* ---------------------------------------------------------------------------------------
 * 10. NETWORKS: neurons, layers, MLPs, losses, optimisers, the training loop
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
    mg_value first;  /* the first parameter, params[0]: where the span starts, for the
                        flat loops (mg_optim_step, mg_zero_grad_span, mg_data_ptr) */
    size_t nparams;  /* parameters in the span */
    mg_value *params; /* [nparams] handles of the span, so a neuron's weights are an array
                         mg_dot takes as is */
} mg_mlp;

/* 10a. Neurons, layers, MLPs. A neuron is ONE mg_dot value b + w0*x0 + ...
 * (bias first, then the products left to right, micrograd's summation order) plus its
 * activation value (none for MG_ACT_LINEAR). A layer returns an array even when it has one
 * neuron. Parameters are MG_ROLE_PARAM leaves labelled "L<layer>.N<neuron>.w<k>" and
 * "L<layer>.N<neuron>.b" (0-based). The model does not own its values: the context does;
 * resetting the context below m->first invalidates the model. */

#define MG_MLP_MAX_LAYERS 64

/* "linear", "relu", "tanh", "sigmoid"; "?" for anything else. */
const char *mg_act_name(mg_act act);
/* The activation named s (as mg_act_name); 0 and *act untouched when s names none. */
int mg_act_parse(const char *s, mg_act *act);
/* act(v): v itself for MG_ACT_LINEAR (no value made); MG_NULL when out of memory. */
mg_value mg_act_apply(mg_ctx *ctx, mg_act act, mg_value v);
/* One neuron: act(b + w[0]*x[0] + ... + w[nin-1]*x[nin-1]). MG_NULL when out of memory. */
mg_value mg_neuron(mg_ctx *ctx, mg_value b, size_t nin, const mg_value *w, const mg_value *x,
                   mg_act act);

/* Parameters of an MLP: the sum over layers of (inputs + 1) * neurons; 0 when a size is 0
 * or the count overflows. MLP(3, [4, 4, 1]) has 41, MLP(2, [16, 16, 1]) has 337. */
size_t mg_mlp_count_params(size_t nin, size_t nlayers, const size_t *sizes);
/* Makes an MLP's parameters on ctx, one contiguous span, drawn from rng (NULL = the
 * context's generator) layer by layer, neuron by neuron, the weights in input order; biases
 * are 0 and draw nothing. acts NULL means micrograd's: relu hidden layers, linear output.
 * Returns the model (free with mg_mlp_free), or NULL: MG_STATUS_INVALID for nin or a size
 * of 0, nlayers 0 or > MG_MLP_MAX_LAYERS, a bad activation or init; MG_STATUS_NOMEM (then
 * nothing is left on the tape). */
mg_mlp *mg_mlp_new(mg_ctx *ctx, size_t nin, size_t nlayers, const size_t *sizes,
                   const mg_act *acts, mg_init init, mg_rng *rng, mg_err *err);
/* Frees the model's arrays (its values stay on the context). Safe to call on NULL. */
void mg_mlp_free(mg_mlp *m);
/* Outputs of the model: the size of its last layer. */
size_t mg_mlp_nout(const mg_mlp *m);
/* Index in the parameter span of neuron j of layer l: its weights are params[i .. i+nin-1]
 * and its bias params[i + nin] (nin = the layer's inputs). */
size_t mg_mlp_neuron_offset(const mg_mlp *m, size_t l, size_t j);
/* Layer l on inputs x[nin of the layer] into out[sizes[l]]; returns 1, or 0 when out of
 * memory (the context's status says so). */
int mg_layer_forward(mg_ctx *ctx, const mg_mlp *m, size_t l, const mg_value *x, mg_value *out);
/* The whole model on x[m->nin] into out[mg_mlp_nout(m)]; returns 1, or 0 when out of
 * memory (the context's status says so). The model is only read. The hidden layers'
 * handles live on the stack, or, when a hidden layer is wider than 32 neurons, in memory
 * the call allocates and frees. */
int mg_mlp_forward(mg_ctx *ctx, const mg_mlp *m, const mg_value *x, mg_value *out);
/* Forward of plain numbers x[m->nin] into out[mg_mlp_nout(m)], on a scratch part of the
 * tape that is dropped before returning (the tape is left as it was). The bare network:
 * x must be what it was trained on, so for a model trained on standardised features (as
 * `micrograd train` does) the standardised row, and out is its raw outputs; for a model
 * file use mg_predictor_run (section 14d), which standardises the raw row and reads the
 * outputs as labels, probabilities or values in the target's units. MG_STATUS_NOMEM or
 * MG_STATUS_NUMERIC (a non-finite output; out is still filled). */
mg_status mg_mlp_predict(mg_ctx *ctx, const mg_mlp *m, const double *x, double *out,
                         mg_err *err);
/* Forward of n rows at once (standardised as for mg_mlp_predict; mg_predictor_decode reads
 * the outputs): x[n][m->nin] row-major into out[n][mg_mlp_nout(m)], through a
 * graph of one row recorded once and replayed over blocks of rows (section 9), with
 * `threads` threads (0: one a core, see THREADS in section 1; results do not depend
 * on it). The same numbers as mg_mlp_predict row by row, to rounding. The tape is left
 * as it was. MG_STATUS_NOMEM; MG_STATUS_NUMERIC naming the first row with a non-finite
 * output (out is still filled). */
mg_status mg_mlp_predict_rows(mg_ctx *ctx, const mg_mlp *m, size_t n, const double *x,
                              double *out, int threads, mg_err *err);
/* Sets the grads of the model's parameters to 0 (one memset). */
void mg_mlp_zero_grad(mg_ctx *ctx, const mg_mlp *m);

/* 10b. Losses, built from engine ops so backward needs nothing new. Targets
 * are values too (mg_input(ctx, y), or one-hot inputs), so a per-sample loss graph has the
 * same shape for every sample and can be recorded once and replayed. Each returns the loss
 * value, or MG_NULL when out of memory or given MG_NULL. */

/* Mean squared error over n outputs: (1/n) * sum (pred_i - target_i)**2; for n = 1 just
 * (pred - target)**2. */
mg_value mg_loss_mse(mg_ctx *ctx, size_t n, const mg_value *pred, const mg_value *target);
/* Binary cross-entropy of a probability p against target y in [0, 1]:
 * -(y*log(p) + (1-y)*log(1-p)), each log clamped below at -100 as PyTorch's BCELoss does
 * (as log(relu(p - e^-100) + e^-100)), so p = 0 or 1 gives a finite loss and no NaN
 * gradient (a clamped p gets gradient 0). Prefer mg_loss_bce_logit when the probability is
 * a sigmoid. */
mg_value mg_loss_bce(mg_ctx *ctx, mg_value p, mg_value target);
/* Binary cross-entropy of a logit z (p = sigmoid(z)) against y in [0, 1]: softplus(z) - y*z
 * with softplus(z) = relu(z) + log(1 + exp(z - 2*relu(z))): no overflow for any finite z,
 * and the gradient sigmoid(z) - y is exact at z = 0 too. */
mg_value mg_loss_bce_logit(mg_ctx *ctx, mg_value z, mg_value target);
/* The SVM max-margin hinge of micrograd's demo: relu(1 - y*score), y = -1 or +1. */
mg_value mg_loss_hinge(mg_ctx *ctx, mg_value score, mg_value target);
/* Softmax cross-entropy of k logits against a one-hot target (k values, 1 at the class).
 * subtract_max 0: the reference form, e_i = exp(z_i), p = (onehot . e) * (sum e)**-1,
 * loss = -log(p) (overflows past z = 709, underflows to inf loss far from the class).
 * subtract_max 1: log(sum exp(z_i - m)) - (onehot . (z - m)) with m the largest logit,
 * built as max(a, b) = a + relu(b - a) so that a recorded graph shifts each sample by its
 * own maximum: finite for any finite logits, the gradient softmax(z) - onehot (m's own
 * gradient is 0 to rounding). */
mg_value mg_loss_softmax_ce(mg_ctx *ctx, size_t k, const mg_value *logits,
                            const mg_value *onehot, int subtract_max);
/* The mean of n losses, (0 + l_0 + ... + l_{n-1}) * (1/n) (n >= 1). */
mg_value mg_loss_mean(mg_ctx *ctx, size_t n, const mg_value *losses);
/* L2 regularisation alpha * (p_0*p_0 + ... + p_{n-1}*p_{n-1}) (micrograd's reg_loss) as one
 * dot value and one product. n >= 1. */
mg_value mg_loss_l2(mg_ctx *ctx, size_t n, const mg_value *params, double alpha);

/* 10c. Optimisers: flat loops over a parameter span's data and grad arrays,
 * with their state (momentum, Adam's m and v, the step count) in an mg_optim. They do not
 * zero the grads: call mg_zero_grad_span / mg_mlp_zero_grad before each backward. */

typedef enum mg_optim_kind {
    MG_OPTIM_SGD = 0,  /* p -= lr * (g + wd*p) */
    MG_OPTIM_MOMENTUM, /* PyTorch's: b = mu*b + (g + wd*p); p -= lr * b */
    MG_OPTIM_ADAMW     /* t += 1; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
                          p = p*(1 - lr*wd) - lr/(1-b1^t) * m / (sqrt(v) * (1/sqrt(1-b2^t))
                          + eps), PyTorch's algebra: one division a parameter. The same
                          update as p -= lr*(m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps) + wd*p),
                          rounded differently */
} mg_optim_kind;

typedef enum mg_lr_schedule {
    MG_LR_CONSTANT = 0, /* lr at every step */
    MG_LR_LINEAR,       /* lr * (1 - decay * k/steps) at step k (0-based), micrograd's
                           1.0 - 0.9*k/100 with decay 0.9; held at its last value past
                           `steps` */
    MG_LR_AUTO          /* mg_train's default: MG_LR_LINEAR for MSE (a regression's error
                           pays for the noise of the last steps; its decay is 0.9 unless
                           set), MG_LR_CONSTANT for the classification losses. mg_optim_new
                           refuses it: mg_train resolves it first */
} mg_lr_schedule;

typedef struct mg_optim_config {
    mg_optim_kind kind;
    double lr;              /* SGD and momentum 0.1, AdamW 0.001 */
    double momentum;        /* 0.9 */
    double beta1, beta2;    /* 0.9, 0.999 */
    double eps;             /* 1e-8 */
    double weight_decay;    /* SGD and momentum 0, AdamW 0.01 (PyTorch's defaults) */
    mg_lr_schedule schedule; /* MG_LR_CONSTANT */
    double decay;           /* MG_LR_LINEAR: the fraction of lr lost by the end: 0.9 */
    size_t steps;           /* MG_LR_LINEAR: the steps the decay is spread over */
    int threads;            /* spans of 32768 or more parameters are updated by this many
                               threads (0: one a core, see THREADS in section 1);
                               every parameter's update is
                               independent, so results do not depend on it */
} mg_optim_config;

typedef struct mg_optim mg_optim;

/* Fills cfg with kind's defaults (above). */
void mg_optim_config_init(mg_optim_config *cfg, mg_optim_kind kind);
/* "sgd", "momentum", "adamw"; and back (0 and *kind untouched for an unknown name). */
const char *mg_optim_name(mg_optim_kind kind);
int mg_optim_parse(const char *s, mg_optim_kind *kind);
/* An optimiser for spans of nparams parameters (its state starts at zero). NULL:
 * MG_STATUS_INVALID for nparams 0, a bad kind or schedule, lr not finite and > 0,
 * momentum or betas outside [0, 1), eps or weight decay negative or not finite, linear
 * schedule with 0 steps or decay outside [0, 1]; MG_STATUS_NOMEM. */
mg_optim *mg_optim_new(const mg_optim_config *cfg, size_t nparams, mg_err *err);
/* Safe to call on NULL. */
void mg_optim_free(mg_optim *o);
/* The configuration it was made with. */
const mg_optim_config *mg_optim_config_of(const mg_optim *o);
/* The learning rate the next step will use. */
double mg_optim_lr(const mg_optim *o);
/* Steps taken so far (AdamW's t). */
size_t mg_optim_nsteps(const mg_optim *o);
/* Forgets the state: zero momentum and moments, step count 0. */
void mg_optim_reset(mg_optim *o);
/* One update of data[n] from grad[n] (n = the nparams it was made for); returns the
 * learning rate used. */
double mg_optim_update(mg_optim *o, double *data, const double *grad, size_t n);
/* The same on the span of n values from `first` (a model's first, nparams). */
double mg_optim_step(mg_optim *o, mg_ctx *ctx, mg_value first, size_t n);

/* 10d. Training and evaluation. One loop for the demos, the `train` command
 * and benchmarks: for each step, per-sample loss graphs for a batch built above a mark,
 * their mean (+ L2), backward, an optimiser step, a reset to the mark (so nothing is
 * allocated after the first step), and a callback with the step's numbers. */

typedef struct mg_dataset mg_dataset; /* section 11 */

typedef enum mg_loss_kind {
    MG_LOSS_KIND_MSE = 0, /* regression: 1 output, dataset nclasses 0; metric RMSE */
    MG_LOSS_KIND_BCE,     /* binary cross-entropy of 1 logit output; classes 0/1; accuracy
                        (output > 0 means class 1) */
    MG_LOSS_KIND_HINGE,   /* hinge of 1 score output, classes 0/1 taken as -1/+1; accuracy */
    MG_LOSS_KIND_CE       /* softmax cross-entropy of nclasses logits; accuracy (argmax) */
} mg_loss_kind;

/* "mse", "bce", "hinge", "ce"; and back (0 and *kind untouched for an unknown name). */
const char *mg_loss_kind_name(mg_loss_kind kind);
int mg_loss_kind_parse(const char *s, mg_loss_kind *kind);

/* A loss and its metric over a set of samples. */
typedef struct mg_metrics {
    size_t n;        /* samples (0: not computed) */
    double loss;     /* mean per-sample loss, without L2 */
    double accuracy; /* fraction right, 0 .. 1 (classification; NaN for MSE) */
    size_t correct;  /* samples right (classification) */
    double rmse;     /* sqrt(mean squared error) (MSE; NaN for classification) */
    double mae;      /* mean absolute error (MSE; NaN for classification). Both in the units
                        of the targets given: times the target scale's std when they were
                        standardised (mg_standardizer_fit_target) */
} mg_metrics;

/* What the callback sees after each step. */
typedef struct mg_train_progress {
    size_t step;      /* 0-based number of the step just taken */
    size_t nsteps;    /* steps planned */
    size_t epoch;     /* 0-based epoch the batch came from */
    size_t batch;     /* samples in the batch */
    double loss;      /* the batch loss before the update: mean + L2 */
    double data_loss; /* the mean without L2 */
    mg_metrics batch_metrics; /* accuracy (or RMSE) on the batch, before the update */
    double lr;        /* the learning rate the update used */
    double elapsed;   /* seconds since training began */
    int has_val;      /* 1 when val was computed this step (before its update) */
    mg_metrics val;
    const struct mg_train_state *state; /* where training is after this step: saved with
                                           the weights (mg_model_info.train_state), it
                                           lets mg_train resume exactly here */
} mg_train_progress;

/* Return nonzero to stop training after this step. */
typedef int (*mg_train_callback)(void *user, const mg_train_progress *p);

typedef struct mg_train_config {
    mg_loss_kind loss;      /* MG_LOSS_KIND_MSE */
    int subtract_max;       /* MG_LOSS_KIND_CE: 1, the stable form (see mg_loss_softmax_ce) */
    double l2;              /* alpha of mg_loss_l2 added to the batch loss: 0 (none) */
    mg_optim_config optim;  /* mg_optim_config_init(MG_OPTIM_ADAMW) with lr
                               MG_TRAIN_DEFAULT_LR and schedule MG_LR_AUTO (for another
                               optimiser, call mg_optim_config_init on it: its own lr, a
                               constant rate); a linear schedule with steps 0 is spread
                               over the whole run */
    size_t steps;           /* > 0: this many updates; 0: `epochs` passes over the data */
    size_t epochs;          /* MG_TRAIN_DEFAULT_EPOCHS */
    size_t batch_size;      /* MG_TRAIN_DEFAULT_BATCH; 0: the full training set every step */
    int shuffle;            /* 1: a new order each epoch (mini-batch only), from rng */
    size_t eval_every;      /* > 0: val metrics before steps 0, k, 2k, ...: 0 */
    mg_rng *rng;            /* NULL: the context's */
    mg_train_callback callback; /* NULL: none */
    void *user;
    int eager;              /* 0: record one sample's loss graph once and replay it over
                               each batch (section 9), the fast path; 1: build the graphs
                               every step as micrograd does. Same numbers to rounding. */
    int threads;            /* compiled path and optimiser: threads (0: one a core,
                               see THREADS in section 1); results do not depend on it */
    mg_kernels kernels;     /* compiled path: MG_KERNELS_AUTO */
    mg_dtype dtype;         /* compiled path: its lanes' arithmetic, MG_DTYPE_F64 (see
                               mg_compiled_set_dtype; training and its evaluations then
                               compute in float32, the parameters and the optimiser stay
                               float64); the eager path is float64 only */
    int check_numerics;     /* 1: the eager path with every value and grad checked as it is
                               computed (mg_ctx_check_numerics), for debugging: slower;
                               the error names the first op whose result is not finite */
    const struct mg_train_state *resume; /* NULL, or a state from an earlier run's progress
                               (or a checkpoint file) to continue from: the same data,
                               model and config give the same steps as if the run had
                               never stopped */
    const mg_collective *collective; /* NULL: this process alone. Else one rank of a
                               data-parallel job (section 9b): every rank calls mg_train
                               with the same model, data and config; the compiled path's
                               replays (steps and evaluations) are shared and give every
                               rank the one-process numbers bit for bit (the eager path,
                               and check_numerics, compute everything on every rank).
                               After setting up and after each step the ranks exchange
                               their status, so an error on one is an error on all (the
                               message of the lowest failing rank, "rank R: ..."). The
                               callback runs on every rank; it must return the same on
                               all (the caller agrees on a stop itself) */
} mg_train_config;

typedef struct mg_train_result {
    size_t steps;     /* updates made */
    int stopped;      /* 1 when the callback stopped training */
    double seconds;   /* time spent in the steps */
    mg_metrics train; /* on the whole training set after the last step */
    mg_metrics val;   /* the same on val (n = 0 without val) */
} mg_train_result;

/* The training defaults: mg_train_config_init's, and so `micrograd train`'s, which starts
 * from it. */
#define MG_TRAIN_DEFAULT_LR 0.01    /* AdamW's rate: 10x PyTorch's 0.001 suits small MLPs */
#define MG_TRAIN_DEFAULT_EPOCHS 20
#define MG_TRAIN_DEFAULT_BATCH 32

/* Fills cfg with the defaults shown above: AdamW (lr MG_TRAIN_DEFAULT_LR, weight decay
 * 0.01, the rate decaying linearly by 90% over a regression's run, constant for a
 * classifier: MG_LR_AUTO), MG_TRAIN_DEFAULT_EPOCHS epochs of shuffled batches of MG_TRAIN_DEFAULT_BATCH, the
 * loss MSE. What `micrograd train` does with them, so a program can do the same: load
 * the rows (mg_csv_load), hold out --val rows after mg_dataset_shuffle with a xorshift
 * generator seeded with --seed (42; the context's, mg_rng_seed(mg_ctx_rng(ctx), seed)),
 * standardise the features (mg_standardizer_fit on the training rows, then
 * mg_standardizer_apply to every split) and, for a regression, the targets
 * (mg_standardizer_fit_target, mg_standardizer_apply_target); make mg_mlp_new(ctx, nfeat,
 * 3, {16, 16, nout}, {relu, relu, linear}, MG_INIT_SCALED, NULL) with nout the classes
 * for ce and 1 otherwise; take loss ce for classes and mse for numbers; mg_train; keep
 * the scales and the dataset's names in an mg_model_info for mg_model_save. */
void mg_train_config_init(mg_train_config *cfg);
/* The arithmetic of a run of cfg over nsamples training samples, as mg_train plans it:
 * *batch the samples a step takes (cfg->batch_size, or all of them when that is 0 or
 * larger), *per_epoch the steps of one pass (nsamples / batch rounded up; the last batch
 * of an epoch takes what is left), *nsteps the steps of the run (cfg->steps, or
 * cfg->epochs passes). Any of the three may be NULL. MG_STATUS_INVALID for 0 samples,
 * steps and epochs both 0, or a step count past SIZE_MAX. */
mg_status mg_train_plan(const mg_train_config *cfg, size_t nsamples, size_t *batch,
                        size_t *per_epoch, size_t *nsteps, mg_err *err);
/* Checks that model m fits dataset d for the loss: d->nfeat == m->nin; outputs 1 (MSE,
 * BCE, hinge) or d->nclasses (CE); classification sets nclasses 2 (BCE, hinge) or >= 2
 * (CE) and every target an integer class; MSE nclasses 0 and finite targets; finite
 * features. MG_STATUS_INVALID with the first problem (naming the row), else OK. */
mg_status mg_train_check(const mg_mlp *m, const mg_dataset *d, mg_loss_kind kind, mg_err *err);
/* Builds sample i's loss graph: inputs (mg_input) of row i, the forward pass, targets as
 * inputs (MSE and BCE y, hinge 2y - 1, one-hot for CE) and the per-sample loss; out (may
 * be NULL) gets the model's mg_mlp_nout outputs. Its inputs, in the order they are made
 * (the features, then the targets), are the slots mg_train records for its compiled path.
 * Assumes mg_train_check passed. MG_NULL when out of memory (it allocates a little scratch
 * per call; mg_train keeps its own). */
mg_value mg_sample_loss(mg_ctx *ctx, const mg_mlp *m, mg_loss_kind kind, int subtract_max,
                        const mg_dataset *d, size_t i, mg_value *out);
/* 1 when outputs out[nout] (the data of a forward pass) predict target y right under kind
 * (MSE: never, returns 0). */
int mg_prediction_correct(mg_loss_kind kind, size_t nout, const double *out, double y);
/* Loss and metric of m over all of d: one sample's graph (mg_sample_loss) recorded above
 * a mark and replayed over blocks of samples (section 9) on every core (threads 0,
 * see THREADS in section 1; results do not depend on it); the tape is left as it was.
 * MG_STATUS_INVALID as mg_train_check, MG_STATUS_NOMEM, MG_STATUS_NUMERIC for a
 * non-finite loss (naming the sample and the first non-finite value of its graph). */
mg_status mg_evaluate(mg_ctx *ctx, const mg_mlp *m, const mg_dataset *d, mg_loss_kind kind,
                      int subtract_max, mg_metrics *res, mg_err *err);
/* Trains m on train (val may be NULL) as cfg says; res (may be NULL) gets what happened.
 * MG_STATUS_INVALID for a bad config or a model that does not fit the data;
 * MG_STATUS_NOMEM; MG_STATUS_NUMERIC when a loss or gradient is not finite: the message
 * names the step and the first non-finite value on the tape (mg_describe); training stops
 * before that step's update. On any error res has the steps done. The tape is left as it
 * was. */
mg_status mg_train(mg_ctx *ctx, mg_mlp *m, const mg_dataset *train, const mg_dataset *val,
                   const mg_train_config *cfg, mg_train_result *res, mg_err *err);

/* 10e. Resuming training. What a run needs to go on exactly where it stopped, besides the
 * weights: the position in the data, the epoch's sample order, the random generator and
 * the optimiser's state. mg_train hands it to the callback after every step; a copy kept
 * with the weights (mg_model_info.train_state, saved in model files as the tensors
 * "train.order", "optim.m", "optim.v" and the metadata "train_state") is a checkpoint. */
typedef struct mg_train_state {
    size_t step;      /* steps done */
    size_t epoch;     /* the epoch the next batch comes from */
    size_t pos;       /* the next batch starts at order[pos] */
    size_t nsamples;  /* the training set's size (order's length) */
    size_t *order;    /* [nsamples] this epoch's order of the samples */
    mg_rng rng;       /* the generator as it is after the step */
    size_t optim_t;   /* the optimiser's steps */
    size_t nparams;   /* the optimiser's span */
    double *optim_m;  /* [nparams] momentum / first moment, or NULL (plain SGD) */
    double *optim_v;  /* [nparams] second moment (AdamW), or NULL */
} mg_train_state;

/* A new copy of s (free with mg_train_state_free), or NULL when out of memory. */
mg_train_state *mg_train_state_copy(const mg_train_state *s);
/* Frees a state made by mg_train_state_copy or by loading a model file. Safe on NULL. */
void mg_train_state_free(mg_train_state *s);

/* ---------------------------------------------------------------------------------------
 * 11. DATASETS: generators, shuffling and splits
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

/* Every dataset the library makes (generators, loaders, splits) has its arrays and names
 * from the library's allocator, so mg_dataset_free frees any of them. The generators
 * draw from the rng they are given (pass mg_ctx_rng(ctx) for the context's), so a seed
 * gives the same data every time. Two-class sets have classes 0 and 1. */

/* A dataset of n rows (n may be 0) of nfeat features, x and y zeroed, no names. NULL:
 * MG_STATUS_INVALID for nfeat 0, MG_STATUS_NOMEM (sizes that overflow included). */
mg_dataset *mg_dataset_new(size_t n, size_t nfeat, size_t nclasses, mg_err *err);
/* A dataset of the caller's own arrays, copied in one call: x[n * nfeat] row-major, y[n]
 * (class indices 0 .. nclasses-1 as doubles, or values for nclasses 0; NULL: zeros),
 * class_names[nclasses] and feature_names[nfeat] (each may be NULL; NULL entries stay
 * NULL). The caller keeps its arrays. NULL: MG_STATUS_INVALID for nfeat 0 or a y that is
 * not a class (naming the row), MG_STATUS_NOMEM. */
mg_dataset *mg_dataset_from_arrays(size_t n, size_t nfeat, const double *x, const double *y,
                                   size_t nclasses, const char *const *class_names,
                                   const char *const *feature_names, mg_err *err);
/* Frees the dataset, its arrays and its names. Fill a dataset of your own through
 * mg_dataset_new's arrays (or make it with mg_dataset_from_arrays) rather than replacing
 * them: whatever it points at is freed here with the library's allocator. Safe to call
 * on NULL. */
void mg_dataset_free(mg_dataset *d);
/* A copy of rows start .. start+count-1 (names copied too). NULL: MG_STATUS_INVALID when
 * the rows are not all in d, MG_STATUS_NOMEM. */
mg_dataset *mg_dataset_slice(const mg_dataset *d, size_t start, size_t count, mg_err *err);
/* Shuffles the rows in place (Fisher-Yates with mg_rng_below). */
void mg_dataset_shuffle(mg_dataset *d, mg_rng *rng);
/* Splits d in order: the first ntrain rows, the next nval, the remaining into *test.
 * Each out-pointer may be NULL (that part is not made); a part of 0 rows is made with
 * n = 0. Returns MG_STATUS_OK, or MG_STATUS_INVALID when ntrain + nval > d->n,
 * MG_STATUS_NOMEM (then every *out is NULL). Shuffle first for a random split. */
mg_status mg_dataset_split(const mg_dataset *d, size_t ntrain, size_t nval, mg_dataset **train,
                           mg_dataset **val, mg_dataset **test, mg_err *err);
/* Rows of each class: counts[c] for c < d->nclasses (counts has nclasses entries). */
void mg_dataset_class_counts(const mg_dataset *d, size_t *counts);

/* Generators. Each returns a new dataset or NULL: MG_STATUS_INVALID for a bad size or
 * parameter (the message names it), MG_STATUS_NOMEM.
 *
 * moons, circles and blobs draw as scikit-learn 1.2's make_moons, make_circles and
 * make_blobs draw (numpy's linspace, the same order of draws, the shuffle before the
 * noise): given a Mersenne Twister seeded with mg_rng_seed_numpy(rng, S) they give what
 * `np.random.seed(S); make_moons(n, noise=...)` gives, to the last bit where the C
 * library's cos and sin agree with numpy's (to 1e-15 where they do not). Given xorshift*
 * they draw the same way from the project's own generator. */

/* scikit-learn's make_moons: n/2 points (rounded down) on the upper half circle
 * (cos t, sin t), class 0, and the rest on the lower one (1 - cos t, 1 - sin t - 0.5),
 * class 1, t = numpy's linspace(0, pi) in each; then the rows are shuffled and Gaussian
 * noise of standard deviation `noise` added to each coordinate, row by row. n >= 2,
 * noise >= 0. */
mg_dataset *mg_dataset_moons(mg_rng *rng, size_t n, double noise, mg_err *err);
/* scikit-learn's make_circles: n/2 points on the unit circle, class 0, the rest on a
 * circle of radius factor (0 < factor < 1), class 1, angles evenly spaced over [0, 2 pi);
 * shuffled, then noise as in moons. n >= 2. */
mg_dataset *mg_dataset_circles(mg_rng *rng, size_t n, double noise, double factor, mg_err *err);
/* scikit-learn's make_blobs with nclasses centres: centres uniform in [-10, 10) per
 * coordinate (drawn first, centre by centre), then n / nclasses rows a class (one more for
 * each of the first n % nclasses) drawn class by class around their centre with standard
 * deviation `spread`; shuffled. n >= nclasses >= 2, 1 <= nfeat <= 1024, spread >= 0. */
mg_dataset *mg_dataset_blobs(mg_rng *rng, size_t n, size_t nclasses, size_t nfeat, double spread,
                          mg_err *err);
/* nclasses interleaved spiral arms in 2-D (the cs231n set): class c has its share of the
 * n points at radius r = i/(m-1) (m points per arm) and angle 4c + 4r plus Gaussian noise
 * `noise` on the angle: (r sin a, r cos a). Classes balanced; shuffled. n >= 2*nclasses,
 * nclasses >= 2. */
mg_dataset *mg_dataset_spiral(mg_rng *rng, size_t n, size_t nclasses, double noise, mg_err *err);
/* XOR: row i lies in quadrant i % 4, uniform in (0, 1] from the axes in each coordinate,
 * plus Gaussian noise; class 1 when x and y have opposite signs (before noise). Balanced
 * when n is a multiple of 4. n >= 4. */
mg_dataset *mg_dataset_xor(mg_rng *rng, size_t n, double noise, mg_err *err);
/* The yin-yang set exactly as the reference run (shared/reference/yinyang.md section 2):
 * row i is of class i % 3 (0 yin, 1 yang, 2 the dots), drawn by rejection with x then y
 * uniform in [0, 2 r_big), scaled to [-2, 2). Not shuffled. n >= 1, 0 < r_small <
 * r_big / 2. (The reference: n 100, r_small 0.1, r_big 0.5, the first 80 rows to train,
 * the next 10 to validation, the last 10 to test.) */
mg_dataset *mg_dataset_yinyang(mg_rng *rng, size_t n, double r_small, double r_big, mg_err *err);

/* ---------------------------------------------------------------------------------------
 * 12. SCRIPTS: micrograd's Python, run statement by statement on a context
 * ------------------------------------------------------------------------------------- */

/* A script is micrograd's Python run on a context one statement after another, as Python
 * runs it: assignments build engine values the way micrograd would (a + 1 adds a constant
 * leaf, 2 * a is a * 2), y.backward() runs backward at its line, print(...) prints as
 * Python prints; backward, drawings and formulas work on what a script built like on any
 * other graph. The library never writes to stdout: what a script prints is kept in the
 * script (mg_script_printed) for the caller to show.
 *
 *     mg_script *s = mg_script_new(ctx);
 *     mg_script_error where;
 *     mg_err err;
 *     const char *cell = "a = Value(2.0); b = a*a; b.backward(); print(f'{a.grad:.4f}')";
 *     mg_status st = mg_script_run(s, cell, strlen(cell), "cell.py", 0, &where, &err);
 *     size_t n;
 *     const char *out = mg_script_printed(s, &n);  // "4.0000\n" (and what ran before an
 *     fwrite(out, 1, n, stdout);                    //  error, when st is not OK)
 *     mg_script_free(s);
 *
 * THE LANGUAGE. Straight-line Python. Statements end at a newline or ';' (a newline inside
 * brackets, or after a '\', continues the statement); '#' starts a comment. Statements:
 *   NAME = EXPR, NAME += EXPR (and -= *= /= **=)   binds NAME (x += 1 rebinds x to x + 1)
 *   NAME.data = EXPR, NAME.grad = EXPR (and += -= *= /= **=)    sets a Value's number with
 *       mg_set_data / mg_set_grad: values built afterwards see the new data, values built
 *       before keep theirs, as in micrograd (a.data += 0.01 * a.grad, then rebuild L)
 *   NAME.label = STRING
 *   EXPR.backward()    mg_backward from that value, at that line (leaves' grads add up
 *       over calls, as in micrograd: x.grad = 0.0 zeroes one; interior grads restart)
 *   EXPR._backward()   that value's own local backward, as micrograd's _backward: its
 *       operands' grads += the local derivative times its grad (backprop by hand, node by
 *       node, after o.grad = 1.0); nothing for a leaf
 *   print(EXPR, ..., sep=' ', end='\n')   the arguments' str(), as Python's print
 *   EXPR               evaluated; with MG_SCRIPT_ECHO its repr is printed, as Python's
 *       prompt prints it; otherwise noted "value not printed" (summary mode: not evaluated,
 *       noted "expression statement ignored")
 *   import and from lines, draw_dot(...), IPython lines (%magic, !shell): ignored, noted.
 * Expressions: numbers (2 is an int; 2.0, .5, 1e-3 are floats; 1_000), names, + - * / **
 * with Python's precedence (** binds tighter than a unary minus on its left and is
 * right-associative: -2**2 is -4, 2**3**2 is 512), unary - and +, parentheses, Value(2.0)
 * and Value(2.0, label='a') (or data=2.0), tanh exp log relu sigmoid as methods (x.tanh())
 * or functions (tanh(x)), grad(y, x) (below), x.data and x.grad (plain floats), x.label (a
 * string), strings ('...', "...", triple-quoted, r'...', Python's escapes; adjacent ones
 * joined, + joins two) and f-strings: f'...{EXPR}...{EXPR!r}...{EXPR:SPEC}...{EXPR=}...',
 * {{ and }} for braces. SPEC is Python's format mini-language,
 *     [[fill]align][sign][z][#][0][width][, or _][.precision][type]
 * with align < > ^ =, sign + - space, and type b d o x X n (ints) or e E f F g G n % or none
 * (ints and floats; none is repr-like), s or none (strings): '.4f', '.2e', '>8', 'd', ',',
 * '.1%', '+', '*^12,.2f' print what Python prints. A spec Python rejects (':d' of a float,
 * a precision for an int, any spec on a Value) is an error that names it; widths and
 * precisions are at most 10000, and fields nested in a spec are not supported.
 * grad(y, x) is d y / d x as a Value (mg_gradient, section 6): the derivative's own graph
 * appended to the tape, at the current data, without touching any grad. It prints, draws,
 * takes part in expressions and differentiates again; y need not depend on x (then 0):
 *     x = Value(3.0); y = x**3
 *     print(grad(y, x).data, grad(grad(y, x), x).data)      # 27.0 18.0
 * y and x must be Values; another count of arguments, a keyword, a number, a string or
 * None is an error that names grad(y, x).
 * Numbers are kept as Python keeps them: int + - * ** int is an int while it is exact in a
 * double (|n| <= 2^53; past that it becomes a float), / gives a float; print(6) prints 6,
 * print(6.0) prints 6.0, floats print as repr (mg_fmt_repr: -7.286496, 1e-05). A Value
 * prints as micrograd's repr, Value(data=3.0, grad=6.0) (data and grad as floats); the
 * echo prints a string quoted, print as it is. A number on one side of a Value becomes a
 * constant (MG_ROLE_CONST) through mg_addf, mg_subf, mg_rsubf, mg_mulf, mg_divf,
 * mg_rdivf; a ** k with k a number is mg_powf, a ** b with b a Value is mg_pow; numbers
 * alone are folded in double precision. In Python mode, dividing a number by zero is an
 * error (Python's ZeroDivisionError); in summary mode it gives inf or nan, as IEEE does
 * (and a Value divided by zero always does). Labels: in summary mode, assigning a name
 * labels its value when the value has no label yet (so pictures show e, d, L; a
 * Value(..., label=) keeps its own); in Python mode labels are what the script sets, as
 * in micrograd (a caller drawing the graph can take names from mg_script_name).
 * Not supported, each an error that names the construct and what eval runs: for, while,
 * if, def, class, lambda, with, try and the other keyword statements; lists, tuples,
 * dicts, sets, indexing, comparisons, %, // and other operators; bytes; a string bound to a
 * name (strings are printed and make labels); nesting (brackets, unary operators, calls
 * and ** exponents together) deeper than MG_SCRIPT_MAX_DEPTH.
 *
 * TWO MODES, chosen for each run by reading its tokens before running any:
 *   - Python mode, when the text calls print(...), .backward() or ._backward(), when
 *     MG_SCRIPT_PYTHON is given, or when an earlier run on the same script was in Python
 *     mode: it runs as Python would, and a name assigned a plain number holds that number
 *     (h = 0.001; a = 2.0 are floats, as in the lecture).
 *   - Summary mode otherwise, the shorthand eval has always taken: a name assigned a plain
 *     number is a leaf, as Value(x, label='NAME') (x = -3.0; y = (x*2).relu() has a leaf x
 *     with a gradient), and a statement that is only an expression is skipped with a note.
 *     The caller then runs backward from the output and shows the gradients.
 *
 * EFFECTS AND ERRORS. A statement takes effect when it completes: its binding, label, data
 * or grad change, backward and printed text. When one fails, nothing of it takes effect:
 * the values it made are dropped (the tape is reset to where it began), and so is a
 * failure it set on the context's status when that was OK before it; the run stops there.
 * The statements before it, in this run and earlier ones, stay in effect, and what they
 * printed stays in the output.
 *
 * THE PROMPT. Each statement typed is a run of its own with MG_SCRIPT_ECHO |
 * MG_SCRIPT_PYTHON on one script: names stay bound from one to the next. Keep reading lines
 * while mg_script_incomplete says the text so far needs more; after each run show
 * mg_script_printed, then mg_script_clear_printed, and the notes past those shown. */

typedef struct mg_script mg_script;

#define MG_SCRIPT_MAX_DEPTH 256

/* Where and why a run failed. */
typedef struct mg_script_error {
    size_t line;       /* 1-based line, counted from the start of the run's text */
    size_t col;        /* 1-based column, in bytes from the line's start (a tab counts 1) */
    char message[256]; /* the message alone, without the "FILE:LINE:COL: " prefix */
} mg_script_error;

/* What a name holds. */
typedef enum mg_script_kind {
    MG_SCRIPT_KIND_VALUE = 0, /* a Value, on the context (mg_script_value) */
    MG_SCRIPT_KIND_INT,       /* a plain int (Python mode; mg_script_number) */
    MG_SCRIPT_KIND_FLOAT      /* a plain float (Python mode; mg_script_number) */
} mg_script_kind;

/* Flags of mg_script_run. */
#define MG_SCRIPT_ECHO 1u   /* a statement that is only an expression prints its value's repr
                               and a newline, as Python's prompt (a.grad: 6.0; a Value:
                               Value(data=2.0, grad=6.0)); None (y.backward()) prints nothing */
#define MG_SCRIPT_PYTHON 2u /* Python mode whatever the text says (the prompt) */

/* Returns a new script on ctx, with no names and no output, or NULL when out of memory.
 * It runs on ctx only; free it before the context. */
mg_script *mg_script_new(mg_ctx *ctx);
/* Runs len bytes of text (need not be NUL-terminated; every byte sequence is handled,
 * NULs included; text may be NULL if len is 0) on s, statement by statement. flags: 0, or
 * MG_SCRIPT_ECHO and MG_SCRIPT_PYTHON or'ed. Returns MG_STATUS_OK; or MG_STATUS_FORMAT
 * for a bad script, MG_STATUS_NOMEM when out of memory (the context's cap included),
 * MG_STATUS_NUMERIC for a non-finite value with mg_ctx_check_numerics: then err gets
 * "FILE:LINE:COL: message" (FILE is filename, "<script>" when NULL) and *where (if not
 * NULL) the line, column and bare message, and the failing statement is dropped (see
 * EFFECTS AND ERRORS). Call it again and again on the same script: names, leaves, notes
 * and output accumulate. Run it with the context's status OK. */
mg_status mg_script_run(mg_script *s, const char *text, size_t len, const char *filename,
                        unsigned flags, mg_script_error *where, mg_err *err);
/* 1 when text, as typed so far at a prompt, needs more lines before it can run: it ends
 * inside brackets, inside a triple-quoted string or after a continuation '\'. 0 for
 * anything else, errors included (running it reports them). */
int mg_script_incomplete(const char *text, size_t len);

/* What the runs printed (print(...) and the echo) since the script was made or last
 * cleared; *len (if not NULL) gets its length. NUL-terminated, and may hold NULs of its own
 * (print('\0')). Valid until the next run or clear. */
const char *mg_script_printed(const mg_script *s, size_t *len);
/* Empties the output. */
void mg_script_clear_printed(mg_script *s);
/* 1 once a run on s was in Python mode. */
int mg_script_is_python(const mg_script *s);
/* 1 once a print(...) statement completed (even one that printed nothing). */
int mg_script_did_print(const mg_script *s);
/* 1 once a backward() or _backward() statement completed. */
int mg_script_did_backward(const mg_script *s);

/* The graph only, as eval read scripts before it ran them: a new script with text built
 * onto ctx in summary mode, and nothing run: print(...), x.backward(), x.data = ... and
 * x.grad = ... are skipped with a note, x.grad cannot be read (backward is the caller's,
 * afterwards), and a script that assigns nothing is an error. Returns the script, or NULL
 * on failure: then err and *where are as mg_script_run's, and every value the parse made
 * is dropped (the tape is reset to its length before the call). */
mg_script *mg_script_parse(mg_ctx *ctx, const char *text, size_t len, const char *filename,
                           mg_script_error *where, mg_err *err);
/* Frees the script; the values stay, they belong to the context. Safe to call on NULL.
 * Every string the accessors below return is valid until this call. */
void mg_script_free(mg_script *s);

/* The names bound, in the order of their first binding (i < mg_script_nnames), and what
 * each holds now: mg_script_kind_of says whether a Value (mg_script_value) or a plain
 * number (mg_script_number; for a Value, its data; mg_script_value gives MG_NULL). */
size_t mg_script_nnames(const mg_script *s);
const char *mg_script_name(const mg_script *s, size_t i);
mg_value mg_script_value(const mg_script *s, size_t i);
mg_script_kind mg_script_kind_of(const mg_script *s, size_t i);
double mg_script_number(const mg_script *s, size_t i);
/* The Value name (a C string) holds now, or MG_NULL when it is not bound or holds a plain
 * number. */
mg_value mg_script_lookup(const mg_script *s, const char *name);

/* The output: the name bound to a Value last, and that Value; NULL and MG_NULL before any
 * name holds a Value, and when that name was bound to a plain number since. */
const char *mg_script_output_name(const mg_script *s);
mg_value mg_script_output(const mg_script *s);

/* The leaves made by Value(...), or in summary mode by assigning a plain number, in
 * creation order (i < mg_script_nleaves); constants are not among them. *name gets the
 * first name the leaf was bound to, else its label= when made, else ""; *line and *col
 * where it was made (in its run's text). Each out-pointer may be NULL. */
size_t mg_script_nleaves(const mg_script *s);
mg_value mg_script_leaf(const mg_script *s, size_t i, const char **name, size_t *line,
                        size_t *col);

/* Notes about statements ignored or not printed, in order: the text ("import ignored");
 * its line goes to *line (may be NULL). */
size_t mg_script_nnotes(const mg_script *s);
const char *mg_script_note(const mg_script *s, size_t i, size_t *line);

/* ---------------------------------------------------------------------------------------
 * 13. PICTURES AND FORMULAS: DOT graphs, rendering, plots, formula printing, backprop pages
 * ------------------------------------------------------------------------------------- */

/* 13a. Graph drawings. The DOT text of the graph behind a value is written by the library
 * itself (no dependency), like micrograd's draw_dot: one record node per value showing
 * "label | data D | grad G", an op node ("+", "*", "tanh", "**2", "dot", ...) feeding it,
 * and an edge from each input to the op node. Values are listed in tape order and named
 * v<tape index> (op nodes v<index>op), so the text is deterministic. A powc's exponent is
 * shown in its op node ("**2"), not as a node. Fill colours by role: parameter light
 * green, input light blue, constant light grey, plain leaf light yellow, intermediate
 * white, the root (output) light orange. Labels are escaped, so any label renders. */

typedef enum mg_rankdir {
    MG_RANKDIR_LR = 0, /* left to right (micrograd's) */
    MG_RANKDIR_TB      /* top to bottom */
} mg_rankdir;

/* How a drawing becomes a picture (.svg or .png). */
typedef enum mg_renderer {
    MG_RENDERER_AUTO = 0, /* graphviz's library if built with it, else the `dot` program */
    MG_RENDERER_LIBRARY,  /* only graphviz's library (libgvc), run in a child process
                             (fork), so that graphviz's own exits and leaks cannot reach
                             the caller; the child calls malloc, so do not render from a
                             program whose other threads may hold the allocator's lock */
    MG_RENDERER_PROGRAM,  /* only the `dot` program found on PATH */
    MG_RENDERER_NONE      /* never: write the .dot file and a hint how to render it */
} mg_renderer;

typedef struct mg_graph_options {
    mg_rankdir rankdir;        /* MG_RANKDIR_LR */
    const char *number_format; /* one printf conversion (f, e, g, F, E, G) for data and
                                  grad, with flags, width and precision: "%.4f" */
    int show_grad;             /* 1: show the grad field; 0: label and data only */
    int colors;                /* 1: fill nodes by role; 0: no fill */
    size_t max_nodes;          /* refuse graphs of more drawn nodes (values + op nodes)
                                  than this: 2000; 0 = no limit */
    const char *title;         /* a caption over the graph, or NULL */
    mg_renderer renderer;      /* MG_RENDERER_AUTO */
    double timeout;            /* seconds a render may take before it is stopped: 60 */
    int max_png_side;          /* refuse a .png longer than this many pixels on either
                                  side (graphviz draws 96 per inch), found from a quick
                                  layout before the slow bitmap: 4000; 0 = no limit. An
                                  .svg has no limit: a browser scales it. */
} mg_graph_options;

/* Fills opt with the defaults shown above. */
void mg_graph_options_init(mg_graph_options *opt);
/* Nodes a drawing of root has (values root depends on plus their op nodes); 0 for
 * MG_NULL or when out of memory. */
size_t mg_graph_count(const mg_ctx *ctx, mg_value root);
/* Writes the DOT text of root's graph to out (opt NULL = defaults). Returns MG_STATUS_OK;
 * MG_STATUS_INVALID for MG_NULL, a bad number_format or a graph over max_nodes (the
 * message gives the count and how to draw less), before anything is written;
 * MG_STATUS_IO when writing fails; MG_STATUS_NOMEM. */
mg_status mg_graph_write(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt, FILE *out,
                       mg_err *err);
/* The same into buf like snprintf: at most size - 1 bytes and a terminating NUL (buf may
 * be NULL when size is 0); *len (if not NULL) gets the full length, so a second call with
 * size > *len gets it all. MG_STATUS_OK even when cut short. */
mg_status mg_graph_format(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt, char *buf,
                        size_t size, size_t *len, mg_err *err);
/* Draws root's graph to path; the extension picks the format: .dot or .gv (DOT text),
 * .svg, .png. The file appears complete or not at all (written as in section 14e). When
 * no renderer is available it writes the DOT text next to path (g.svg -> g.dot) and
 * returns MG_STATUS_UNSUPPORTED with a one-line hint how to render it. Other errors as
 * mg_graph_write, plus MG_STATUS_INVALID for an unknown extension or a .png over
 * max_png_side ("g.png: the picture would be 4488 x 21107 pixels, over the limit of 4000
 * on its long side for a .png; draw it as .svg instead ..."; nothing written),
 * MG_STATUS_IO. */
mg_status mg_graph_save(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt,
                      const char *path, mg_err *err);
/* Renders DOT text (len bytes) to path (.svg or .png), as in section 14e, with `how` and a
 * time limit in seconds (<= 0: none); no size limit (mg_graph_save has max_png_side).
 * MG_STATUS_UNSUPPORTED when that renderer is not
 * available (nothing written), MG_STATUS_FORMAT when graphviz rejects the text (its
 * message is in err), MG_STATUS_IO, MG_STATUS_INVALID for another extension. */
mg_status mg_graph_render(const char *dot, size_t len, const char *path, mg_renderer how,
                        double timeout, mg_err *err);
/* 1 when `how` can render in this build and on this machine (MG_RENDERER_NONE: 0). */
int mg_graph_can_render(mg_renderer how);

/* 13b. Plots with cairo: a function over a range (with a tangent), loss
 * curves, and decision boundaries of 2-D classifiers, to .png or .svg (the extension
 * picks the format). Files are written as in section 14e. Without cairo every plot call
 * returns MG_STATUS_UNSUPPORTED with a message and writes nothing. */

typedef struct mg_plot_options {
    int width, height;          /* pixels (SVG: px units): 640 x 480; each 64 .. 8192 */
    const char *title;          /* NULL = the plot kind's default ("" for none) */
    const char *xlabel, *ylabel; /* axis labels; NULL = the plot kind's default */
    int log_y;                  /* 1: logarithmic y axis (points with y <= 0 are skipped) */
    double xmin, xmax;          /* x range; NaN (the default) = from the data */
    double ymin, ymax;          /* y range; NaN = from the data */
    int legend;                 /* 1: a legend for named series and classes */
    size_t resolution;          /* function plots: samples across the range (0 = 400);
                                   boundaries: grid cells across x (0 = 200) */
    const char *const *class_names; /* boundary legend: names of the classes, or NULL */
} mg_plot_options;

/* One line of a line plot: n points (x[i], y[i]); x NULL means 0, 1, ..., n-1.
 * Non-finite y values leave a gap. */
typedef struct mg_plot_series {
    const char *name; /* legend entry, or NULL */
    size_t n;
    const double *x;  /* [n] or NULL */
    const double *y;  /* [n] */
} mg_plot_series;

/* A tangent line to draw on a function plot: at x, with the given slope (NaN: computed
 * by a central difference). */
typedef struct mg_plot_tangent {
    double x;
    double slope;
} mg_plot_tangent;

typedef double (*mg_plot_fn)(void *user, double x);
/* Writes nout scores of the point (x, y) to out[0 .. nout-1]. */
typedef void (*mg_plot_score_fn)(void *user, double x, double y, double *out, size_t nout);

/* 1 when this build has cairo (plots work), else 0. */
int mg_plot_available(void);
/* Fills opt with the defaults shown above. */
void mg_plot_options_init(mg_plot_options *opt);
/* Plots nseries lines (opt NULL = defaults). MG_STATUS_INVALID for no points, a bad size
 * or extension; MG_STATUS_IO; MG_STATUS_UNSUPPORTED without cairo. */
mg_status mg_plot_lines(const char *path, size_t nseries, const mg_plot_series *series,
                        const mg_plot_options *opt, mg_err *err);
/* Loss curves (train, validation, ...): mg_plot_lines with the defaults title "loss",
 * x label "step", y label "loss" (and "loss (log scale)" with log_y). */
mg_status mg_plot_loss(const char *path, size_t nseries, const mg_plot_series *series,
                       const mg_plot_options *opt, mg_err *err);
/* Plots y = f(user, x) on [x0, x1] (x0 < x1, finite), named `name` in the title and
 * legend (may be NULL), with a tangent when tangent is not NULL. Errors as mg_plot_lines. */
mg_status mg_plot_function(const char *path, mg_plot_fn f, void *user, const char *name,
                           double x0, double x1, const mg_plot_tangent *tangent,
                           const mg_plot_options *opt, mg_err *err);
/* A 2-D classifier's decision picture: score(user, x, y, out, nout) over a grid, filled
 * by class (nout = 1: two classes by the sign of the score, > 0 is class 1; nout >= 2:
 * the argmax of nout classes), lighter where the classifier is less sure; the lines where
 * the class changes; and the n points xy[2i], xy[2i+1] (xy may be NULL when n = 0) on
 * top coloured by their class cls[i] (nout = 1: cls > 0 is class 1, so 0/1 and -1/+1
 * both work; nout >= 2: an integer 0 .. nout-1). The range is the points' with a margin
 * unless opt gives one. MG_STATUS_INVALID for a bad class, nout = 0, no range; errors
 * otherwise as mg_plot_lines. */
mg_status mg_plot_boundary(const char *path, mg_plot_score_fn score, void *user, size_t nout,
                           size_t n, const double *xy, const double *cls,
                           const mg_plot_options *opt, mg_err *err);
/* Releases cairo's and fontconfig's process-wide caches, so a leak checker sees a clean
 * exit. Call once, at the very end of a program that made plots, when no other code in
 * the process is still using cairo or fontconfig. Safe without cairo. */
void mg_plot_cleanup(void);

/* 13c. Formulas (seed 001's exercise 6): the graph behind a value as one
 * formula in Python syntax, with the fewest parentheses that keep Python's meaning and
 * evaluation order (a + b + c, a - (b - c), -x**2, (-x)**2, x**-1, 2*-3), so it is valid
 * input for `micrograd eval` and evaluates to the same number. Ops print as a + b,
 * a - b, a*b, a/b, -a, a**k, tanh(a), exp(a), log(a), relu(a), sigmoid(a), a sum as
 * x1 + x2 + ..., a dot as b + w1*x1 + w2*x2. Each non-leaf value used more than once is
 * named once, on its own line before the final formula ("h1 = relu(...)", or its label,
 * with _2, _3, ... when a leaf or another value has that name), instead of being
 * repeated (which would grow exponentially). Labels are made identifiers (other
 * characters become '_', a reserved word gets a '_'). Every line ends with '\n'.
 * The last line is the value itself: `LABEL = formula` when the value has a label (so the
 * output reads back as a script whose last assignment is the value), else the bare
 * formula. Non-finite numbers print as inf and nan, which are not Python literals. */

typedef struct mg_formula_options {
    int numbers;      /* 0: leaves by label (unlabeled leaves and constants by value);
                         1: every leaf by its value, as tanh(2*-3 + 0*1 + 6.8814) */
    int precision;    /* digits after the point, trailing zeros dropped: 4 (numbers
                         that would show as 0 get significant digits: 1e-07); < 0:
                         the shortest exact form (Python's repr): values round-trip */
    int share;        /* 1: name shared values as above; 0: inline everything */
    size_t max_chars; /* refuse formulas longer than this (estimated before writing
                         anything): 16 MiB; 0 = no limit */
} mg_formula_options;

/* Fills opt with the defaults shown above. */
void mg_formula_options_init(mg_formula_options *opt);
/* Writes the formula of root to out (opt NULL = defaults). MG_STATUS_INVALID for
 * MG_NULL or a formula over max_chars (nothing written); MG_STATUS_IO; MG_STATUS_NOMEM. */
mg_status mg_formula_write(const mg_ctx *ctx, mg_value root, const mg_formula_options *opt,
                           FILE *out, mg_err *err);
/* The same into buf like snprintf (see mg_graph_format). */
mg_status mg_formula_format(const mg_ctx *ctx, mg_value root, const mg_formula_options *opt,
                            char *buf, size_t size, size_t *len, mg_err *err);

/* 13d. Backprop pages: backward step by step, in ONE self-contained HTML file a learner
 * opens in any current browser, from disk (file://): no server, no network, nothing
 * fetched (the page says so to the browser too: its Content-Security-Policy allows no
 * fetch at all). It shows root's graph, laid out once by graphviz and inlined as SVG (so
 * nothing moves: every number field is laid out as wide as the widest number it will
 * show), and steps through
 *   - the forward pass: each value computed from its inputs, in creation order, with the
 *     tape's data ("e = a * b = 2 * -3 = -6");
 *   - backward, one chain-rule term at a time, in backward's order: the value passing its
 *     gradient on and the edge it goes along highlighted, a side panel with the term and
 *     its numbers ("dL/da += dL/de * de/da = -2 * -3 = 6") and why the local derivative
 *     is what it is ("e = a * b, so de/da = b"), the receiving grad's running value
 *     updated in the graph (a value used twice gets two += terms);
 * with step, back, play (at a chosen speed), a slider over every frame, and keys (Left,
 * Right, Space, Home, End). It scales to the window (phones too), follows the system's
 * light or dark theme, and colours nodes by role as the drawings do (13a).
 *
 * The numbers are the engine's, never recomputed in the browser: the forward frames show
 * the values' data as they are on the tape, and the backward frames are the terms
 * mg_backward_steps reports, leaves' grads starting from 0, so the last frame holds what
 * mg_backward leaves after zeroing the leaves, bit for bit. The context is left as it was
 * (its grads are put back after the recording).
 *
 * The frames' data sit in the page as JSON, in <script type="application/json"
 * id="mg-frames">, for tests and tools: {"format": "micrograd-backprop", "version": 1,
 * "root": ID, "precision": P, "nodes": [...], "forward": [ID, ...], "backward": [...]}:
 *   nodes     the values root depends on, in creation order: {"id": tape index, "name":
 *             the name shown (label; c₁, c₂, ... when several share one; v<id> without),
 *             "op": mg_op_name, "sym": the op node's text ("*", "**2"), "role": "leaf",
 *             "param", "input", "const" or "op", "inputs": [operand ids as drawn: a
 *             powc's exponent is in its sym], "bias": 0 or 1 (dot values only), "data",
 *             "grad": the grad when backward starts (1 at the root, else 0)}
 *   forward   the ids of the values computed, in the order computed (creation order)
 *   backward  the terms, in order: {"value", "operand" (ids), "k" (operand number),
 *             "added" (false where nothing is added: a closed relu), "grad", "local",
 *             "term", "before", "after"} as mg_backward_step's fields
 * Numbers are exact (the shortest decimal that reads back as the same double); NaN and
 * the infinities are the strings "NaN", "Infinity", "-Infinity". In the SVG, value i is
 * the element id "v<i>", its op node "v<i>op", the edge from its op node "v<i>e" and
 * from its operand k "v<i>e<k>"; while the page runs, each value's element carries the
 * shown numbers exactly in data-data and data-grad attributes.
 *
 * A command gives its user the page as `--html FILE`, after building the graph and
 * before (or after) its own backward:
 *
 *     mg_page_options po;
 *     mg_page_options_init(&po);
 *     po.source = script_text;          // optional: shown under "The script"
 *     if (mg_page_save(ctx, out, &po, "page.html", &err) != MG_STATUS_OK)
 *         fprintf(stderr, "micrograd: --html page.html: %s\n", err.msg);
 */

typedef struct mg_page_options {
    const char *title;     /* the page's heading; NULL = "Backpropagation of NAME, step by
                              step" with the root's name */
    mg_rankdir rankdir;    /* MG_RANKDIR_LR */
    int precision;         /* digits after the point in the graph's fields: 4 (0 .. 17);
                              the side panel shows a number exactly when it is short,
                              else to 6 significant digits; hovering over a node shows
                              its numbers exactly */
    size_t max_nodes;      /* refuse graphs of more drawn nodes (values + op nodes, as
                              mg_graph_count) than this: 1000; 0 = no limit */
    const char *source;    /* text shown in a box under the controls (the script the graph
                              came from), or NULL */
    mg_renderer renderer;  /* how graphviz lays the graph out: MG_RENDERER_AUTO (needs
                              libgvc or the dot program; MG_RENDERER_NONE cannot make a
                              page) */
    double timeout;        /* seconds the layout may take: 60 */
} mg_page_options;

/* Fills opt with the defaults shown above. */
void mg_page_options_init(mg_page_options *opt);
/* Writes the page of root's graph to out (opt NULL = defaults). ctx is used as a scratch
 * for one recorded backward and left as it was. Returns MG_STATUS_OK; MG_STATUS_INVALID
 * for MG_NULL, a bad precision, or a graph over max_nodes ("graph too large to animate:
 * 1234 nodes (values and their operations), the page's limit is 1000; ...", before
 * anything is written); MG_STATUS_UNSUPPORTED without graphviz; MG_STATUS_FORMAT when
 * graphviz fails; MG_STATUS_IO; MG_STATUS_NOMEM. */
mg_status mg_page_write(mg_ctx *ctx, mg_value root, const mg_page_options *opt, FILE *out,
                        mg_err *err);
/* The same to path, which must end in .html or .htm (else MG_STATUS_INVALID), written as
 * in section 14e (complete or not at all). */
mg_status mg_page_save(mg_ctx *ctx, mg_value root, const mg_page_options *opt, const char *path,
                       mg_err *err);

/* ---------------------------------------------------------------------------------------
 * 14. FILES: CSV and IDX loaders, model files, writing files
 * ------------------------------------------------------------------------------------- */

/* 14a. CSV files. The rules, so that a file loads the same way every time:
 * - Fields: RFC 4180. A field in double quotes may hold the delimiter, line breaks and
 *   doubled quotes (""); a quote inside an unquoted field is an error. Spaces (and tabs,
 *   unless tab is the delimiter) around a field are dropped. Lines end in \n, \r\n or
 *   \r; a UTF-8 byte order mark is skipped; a NUL byte is an error. Blank lines (and
 *   lines of empty cells only, as spreadsheets export empty rows) are skipped anywhere;
 *   the report counts those before or between rows. Every row has as many fields as the
 *   first; a delimiter ending every line (an empty last column) is ignored, and so is one
 *   ending a row that has one field more than the first with that field empty.
 * - Delimiter: ',', ';' or tab; 0 detects it as the most frequent of the three outside
 *   quotes on the first line (ties: tab, then ';', then ',').
 * - Numbers: an optional sign, digits with an optional decimal mark, an optional exponent
 *   (1e-3); no hex, inf or nan, no thousands separators. The decimal mark is '.' or ','
 *   (European files: "17,99"); 0 detects ',' when the delimiter is ';' or tab and, outside
 *   quotes, a digit-comma-digit is more frequent than a digit-point-digit. A cell that
 *   would be a number with the other mark is an error that says so. Every feature cell
 *   must be a number: an empty or non-numeric cell is an error naming the file, line,
 *   column and the column's name.
 * - Header: with MG_CSV_HEADER_AUTO the first row is a header when one of its cells is
 *   not a number where the row below has a number, or when it is 0,1,...,k-1 (k >= 2,
 *   after an optional empty cell) followed by a name: what pandas writes for a table made
 *   from an array (a file of one row: when none of its cells is a number; for a model,
 *   also when it holds all the model's feature names).
 * - Target: the column named by `target` (a header name, else a 0-based column number,
 *   negative counting from the end), the last column by default.
 * - Features: every other column, in file order, less those `drop` names; or with
 *   `select`, the columns it names, in its order. A column is named by its header name,
 *   else by its 0-based number; naming one the file lacks, or the target, is an error.
 *   A pandas index is left out: a first column without a name (an empty header cell, or
 *   "Unnamed: 0") holding a different whole number on every row (report: index_dropped);
 *   without that it stays a feature. Features that look like row identifiers (a
 *   different whole number on every row of a file of MG_CSV_ID_MIN_ROWS rows or more, or
 *   named id, *_id, index or row in any case) are kept, and listed in the report's
 *   suspects so the caller can warn: an identifier lets a model learn the row order.
 * - Task: classification when some target is not a number, or every target is an
 *   integer and there are at most MG_CSV_AUTO_MAX_CLASSES distinct values; regression
 *   otherwise (MG_CSV_TASK_* forces either). Classes are sorted, numerically when every
 *   label is a number ("2" before "10"), else by bytes; labels that are numbers are the
 *   same class when equal in value ("7" and "7.0"), and the class keeps the text seen
 *   first. A classification target needs at least 2 classes.
 * - For a model (opt->nfeat > 0): the model's dropped columns (mg_model_info.drop) are
 *   left out first (by name, or by number in a file without a header; those the file
 *   lacks are no matter); then the file's columns are matched to the model's features by
 *   name when the file has a header and the model has names (extra columns are ignored;
 *   a missing feature is an error), else by position: nfeat columns, or nfeat + 1 with the
 *   target (`target` when it names a column, else the last). With opt->nclasses > 0
 *   target labels are mapped to the model's classes (same text, else same number; an
 *   unknown label is an error). A file without a target column gives a dataset with y
 *   NULL. mg_csv_options_for_model fills these from a loaded model. */

#define MG_CSV_AUTO_MAX_CLASSES 20
#define MG_CSV_MAX_COLUMNS 1048576 /* wider rows are refused before anything is allocated */
#define MG_CSV_ID_MIN_ROWS 20      /* fewer rows of distinct whole numbers prove nothing */

typedef enum mg_csv_header {
    MG_CSV_HEADER_AUTO = 0, /* detect (see above) */
    MG_CSV_HEADER_YES,      /* the first row is a header */
    MG_CSV_HEADER_NO        /* every row is data */
} mg_csv_header;

typedef enum mg_csv_task {
    MG_CSV_TASK_AUTO = 0,  /* decide from the target column (see above) */
    MG_CSV_TASK_CLASSIFY,  /* class labels, even when they are numbers */
    MG_CSV_TASK_REGRESS    /* numbers; a non-numeric target is an error */
} mg_csv_task;

/* A feature column that looks like a row identifier (see the rules above). */
typedef struct mg_csv_suspect {
    char *column;   /* its header name, or its 0-based number ("0") without a header: what
                       `drop` takes to leave it out */
    size_t feature; /* the feature it is */
    int distinct;   /* 1: a different whole number on every row */
    int named;      /* 1: named like an identifier */
} mg_csv_suspect;

/* What a load decided and noticed, for the caller to show or keep. It owns its strings
 * and arrays: free with mg_csv_report_free. */
typedef struct mg_csv_report {
    char delimiter;         /* the delimiter used */
    char decimal;           /* the decimal mark used, '.' or ',' */
    int header;             /* 1: the first row was a header */
    int numbered_header;    /* 1: ... taken as one because it is 0,1,...,k-1 and a name */
    int trailing_delimiter; /* 1: lines end with a delimiter (an empty column, ignored) */
    size_t blank_lines;     /* blank lines skipped before or between rows */
    size_t ncols;           /* the file's columns (an ignored empty last one not counted) */
    int index_dropped;      /* 1: the first column was a pandas index and was left out */
    size_t nunused;
    char **unused;          /* [nunused] the columns neither a feature nor the target, in
                               file order: header names, or 0-based numbers without a
                               header (the index and dropped columns among them): what a
                               model keeps as mg_model_info.drop */
    size_t nsuspects;
    mg_csv_suspect *suspects; /* [nsuspects] training loads only */
    size_t nkept;
    char **kept;            /* [nkept = n * opt->nkeep] the text of the `keep` columns' cells,
                               row by row */
} mg_csv_report;

typedef struct mg_csv_options {
    char delimiter;       /* ',', ';' or '\t'; 0 = detect (default) */
    char decimal;         /* '.' or ','; 0 = detect (default) */
    mg_csv_header header; /* MG_CSV_HEADER_AUTO */
    const char *target;   /* the target column (name or number); NULL = the last column;
                             for a model: the target's name, NULL = none looked for by
                             name (by position: the last) */
    mg_csv_task task;     /* MG_CSV_TASK_AUTO; ignored for a model */
    const char *const *drop;   /* [ndrop] columns to leave out (names or numbers) */
    size_t ndrop;
    const char *const *select; /* [nselect] the feature columns, in this order (names or
                                  numbers); 0 = every column not dropped. Training only */
    size_t nselect;
    const char *const *keep;   /* [nkeep] columns whose cells' text the report keeps (an
                                  id to copy beside predictions); each may be a feature */
    size_t nkeep;
    mg_csv_report *report;     /* NULL, or where the load says what it decided: filled on
                                  success, left empty on failure (its old contents are not
                                  freed) */
    /* Loading rows for a trained model (all 0 / NULL for a training load): */
    size_t nfeat;                     /* the model's inputs (> 0 selects this mode) */
    const char *const *feature_names; /* [nfeat] or NULL */
    size_t nclasses;                  /* the model's classes; 0 = regression */
    const char *const *class_names;   /* [nclasses] */
} mg_csv_options;

/* Fills opt with the defaults above (detect everything, the last column is the target). */
void mg_csv_options_init(mg_csv_options *opt);
typedef struct mg_model_info mg_model_info; /* section 14d */
/* Sets opt (initialised first) to load rows for a model: mlp's nin, and the feature
 * names (when info has one per input), target name, classes and dropped columns of its
 * file's info (info may be NULL), borrowed (keep info alive while opt is used). */
void mg_csv_options_for_model(mg_csv_options *opt, const mg_mlp *mlp,
                              const mg_model_info *info);
/* Loads a CSV file (opt NULL = defaults). Returns a new dataset (free with
 * mg_dataset_free): feature_names and target_name from the header (NULL without one; for
 * a model, its feature names), class_names the labels as written. NULL on failure with
 * err: MG_STATUS_IO (cannot open/read), MG_STATUS_FORMAT ("path:line:col: message": bad
 * quoting, ragged rows, a missing or non-numeric cell, empty file, header only, one
 * class only, a label the model does not know), MG_STATUS_INVALID (no such target,
 * dropped, selected or kept column; the target dropped or selected; no feature left;
 * decimal commas with ',' as the delimiter), MG_STATUS_NOMEM. */
mg_dataset *mg_csv_load(const char *path, const mg_csv_options *opt, mg_err *err);
/* The same from len bytes of text (need not be NUL-terminated; copied); name is used in
 * messages ("<csv>" when NULL). */
mg_dataset *mg_csv_parse(const char *text, size_t len, const char *name,
                         const mg_csv_options *opt, mg_err *err);
/* Frees what a load put in r and empties it. Safe on NULL. */
void mg_csv_report_free(mg_csv_report *r);

/* 14b. IDX files: the format of MNIST and Fashion-MNIST. An image file has
 * the magic 0x00000803 (unsigned bytes, 3 dimensions: count, rows, columns; any number
 * of dimensions from 2 to 4 is read, the first being the count), a label file
 * 0x00000801 (unsigned bytes, 1 dimension), all big-endian. Files may be gzipped
 * (detected by their first bytes 1f 8b, not by the name); reading gzip needs zlib, else
 * MG_STATUS_UNSUPPORTED. The sizes in the header must match the file's length exactly,
 * and are checked before any sample is allocated. */

/* Where the Debian package dataset-fashion-mnist installs the files. */
#define MG_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Loads images and their labels as a classification dataset: one feature per pixel,
 * scaled to [0, 1] (byte / 255), row by row; nclasses = the largest label in the file +
 * 1, class names "0", "1", ...; max_n > 0 keeps only the first max_n samples (the whole
 * files are still checked). Returns a new dataset (mg_dataset_free), or NULL with err:
 * MG_STATUS_IO, MG_STATUS_FORMAT ("path: message": wrong magic, unsupported data type,
 * truncated data, sizes that disagree with the file, image and label counts that
 * differ), MG_STATUS_UNSUPPORTED (gzip without zlib), MG_STATUS_NOMEM. */
mg_dataset *mg_idx_load(const char *images_path, const char *labels_path, size_t max_n,
                        mg_err *err);
/* Fashion-MNIST's official split from dir (NULL = MG_FASHION_MNIST_DIR): the files
 * train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
 * t10k-labels-idx1-ubyte, each with or without ".gz". *train gets 60000 samples (at most
 * max_train when > 0) and *test 10000 (at most max_test), both with the 10 class names
 * (T-shirt/top, Trouser, ...). Either output may be NULL to skip that split. On failure
 * both are left NULL: MG_STATUS_IO naming the missing file and the package to install,
 * or the errors of mg_idx_load. */
mg_status mg_dataset_fashion_mnist(const char *dir, size_t max_train, size_t max_test,
                                mg_dataset **train, mg_dataset **test, mg_err *err);

/* 14c. Standardisation: x' = (x - mean) / std per feature, with the
 * mean and the population standard deviation (dividing by n) of the training split. A
 * constant feature gets std 1 and its value as the mean, so it becomes exactly 0
 * instead of NaN or noise. */
typedef struct mg_standardizer {
    size_t nfeat; /* 0 = none */
    double *mean; /* [nfeat] */
    double *std;  /* [nfeat], all > 0 */
} mg_standardizer;

/* Fits s (its old contents are not freed) to d's features. MG_STATUS_INVALID for an
 * empty dataset, MG_STATUS_NUMERIC for a non-finite feature, MG_STATUS_NOMEM; on failure
 * s is left empty. */
mg_status mg_standardizer_fit(mg_standardizer *s, const mg_dataset *d, mg_err *err);
/* Makes dst (old contents not freed) a copy of src. MG_STATUS_NOMEM. */
mg_status mg_standardizer_copy(mg_standardizer *dst, const mg_standardizer *src,
                               mg_err *err);
/* Standardises every row of d in place; d->nfeat must equal s->nfeat (asserted). Does
 * nothing when s->nfeat is 0. */
void mg_standardizer_apply(const mg_standardizer *s, mg_dataset *d);
/* Standardises one row of s->nfeat features in place. */
void mg_standardizer_apply_row(const mg_standardizer *s, double *row);
/* Frees the arrays and leaves s empty (nfeat 0). Safe on NULL. */
void mg_standardizer_free(mg_standardizer *s);
/* A regression's targets, the same way: fits s (nfeat 1; its old contents are not freed)
 * to d->y, so that training sees targets of mean 0 and std 1 whatever their units (a
 * price of 300,000 would otherwise swamp every gradient); a model trained on them
 * predicts (y - mean) / std, and output * std + mean is in the target's units (what
 * mg_predictor_run gives, with the scale kept as mg_model_info.target_scale). RMSE and MAE
 * measured on scaled targets are the target's own times std. MG_STATUS_INVALID for a
 * classification set or no rows, MG_STATUS_NUMERIC for a non-finite target,
 * MG_STATUS_NOMEM. */
mg_status mg_standardizer_fit_target(mg_standardizer *s, const mg_dataset *d, mg_err *err);
/* Scales d's targets in place: y' = (y - mean) / std. Does nothing when s->nfeat is 0 or d
 * has no targets; s must be a target scale and d a regression set (asserted). */
void mg_standardizer_apply_target(const mg_standardizer *s, mg_dataset *d);

/* 14d. Model files, in the safetensors format, so that other tools
 * (Python's safetensors, numpy) can read the weights: an 8-byte little-endian header
 * length N, N bytes of JSON (padded with spaces to a multiple of 8), then the tensors'
 * raw bytes. Tensors, all F64 little-endian: "layers.L.weight" [out, in] and
 * "layers.L.bias" [out] for each layer L, and "standardize.mean", "standardize.std"
 * [nin] when the model has a standardisation. The JSON's "__metadata__" map (string
 * values, as safetensors requires; lists as JSON text inside the string) holds
 * "format" = "micrograd-mlp", "format_version" = "1", "nin", "sizes" ([16,16,3]),
 * "activations" (["relu","relu","linear"]), "task" (classification / regression),
 * "classes", "features", "target", "loss" (mg_loss_kind_name), "metrics" ({"name": number})
 * and "settings" ({"name": "text"}), the last six when known.
 * A classifier has one output per class, or one output for two classes; a regressor (a
 * model without classes) any number of outputs. Weights must be finite: a model with a
 * NaN or infinite parameter is neither saved nor loaded (MG_STATUS_NUMERIC), since
 * training stops at the first non-finite value and such a model could only predict
 * garbage. Model files need jansson (MG_HAVE_JANSSON); without it saving and loading
 * return MG_STATUS_UNSUPPORTED. */

/* A training metric ("train_loss", "test_accuracy") with its value. */
typedef struct mg_model_metric {
    char *name;
    double value; /* NaN and infinities are kept as null in the file */
} mg_model_metric;

/* A training setting ("epochs" = "20", "optimizer" = "adam"). */
typedef struct mg_model_setting {
    char *name;
    char *value;
} mg_model_setting;

/* What a model file keeps besides the weights. It owns every string and array in it;
 * fill it with the functions below, release it with mg_model_info_free. */
typedef struct mg_model_info {
    size_t nclasses;            /* 0 = regression */
    char **class_names;         /* [nclasses] the original labels */
    size_t nfeat;               /* feature names kept: 0 or the model's nin */
    char **feature_names;       /* [nfeat] */
    char *target_name;          /* or NULL */
    mg_standardizer standardize; /* nfeat 0 = none */
    mg_standardizer target_scale; /* regression: the network was trained on targets
                                   (y - mean) / std (nfeat 1); its output times std plus
                                   mean is in the target's units. nfeat 0 = none */
    size_t ndrop;
    char **drop;                /* [ndrop] the training file's columns that were neither
                                   a feature nor the target (names, or 0-based numbers for a
                                   file without a header): rows for the model leave them
                                   out too (mg_csv_options_for_model) */
    int has_loss;               /* 1 when `loss` says how the model was trained */
    mg_loss_kind loss;          /* decides what one output means: a logit (BCE) or a
                                   score (hinge); both give class 1 when > 0 */
    size_t nmetrics;
    mg_model_metric *metrics;   /* [nmetrics] in the order added */
    size_t nsettings;
    mg_model_setting *settings; /* [nsettings] in the order added */
    mg_train_state *train_state; /* a checkpoint's state (owned), or NULL */
} mg_model_info;

/* Makes info empty. */
void mg_model_info_init(mg_model_info *info);
/* Frees everything info holds and makes it empty. Safe on NULL. */
void mg_model_info_free(mg_model_info *info);
/* Copies d's class names (or "0", "1", ... when d has classes but no names), feature
 * names and target name into info, replacing those it had. MG_STATUS_NOMEM. */
mg_status mg_model_info_set_dataset(mg_model_info *info, const mg_dataset *d, mg_err *err);
/* Copies s into info's standardisation (replacing it). MG_STATUS_NOMEM. */
mg_status mg_model_info_set_standardizer(mg_model_info *info, const mg_standardizer *s,
                                         mg_err *err);
/* Copies s (a regression's target scale, of the model's outputs) into info's
 * target_scale (replacing it). MG_STATUS_NOMEM. */
mg_status mg_model_info_set_target_scale(mg_model_info *info, const mg_standardizer *s,
                                         mg_err *err);
/* Copies n column names (or numbers) into info's drop list (replacing it; n 0 empties
 * it), as a CSV load's report gives them (mg_csv_report.unused). MG_STATUS_NOMEM. */
mg_status mg_model_info_set_drop(mg_model_info *info, size_t n, const char *const *columns,
                                 mg_err *err);
/* Adds a metric, or replaces the value of the one with that name. MG_STATUS_NOMEM. */
mg_status mg_model_info_set_metric(mg_model_info *info, const char *name, double value,
                                   mg_err *err);
/* Adds a setting (value copied), or replaces the one with that name. MG_STATUS_NOMEM. */
mg_status mg_model_info_set_setting(mg_model_info *info, const char *name,
                                    const char *value, mg_err *err);
/* The metric's value in *value; returns 1, or 0 when info has no such metric. */
int mg_model_info_metric(const mg_model_info *info, const char *name, double *value);
/* The setting's value, or NULL when info has no such setting. */
const char *mg_model_info_setting(const mg_model_info *info, const char *name);

/* Saves mlp's parameters (read from ctx) with info (may be NULL: architecture only) to
 * path. The file appears complete or not at all (written as in section 14e: a temporary
 * file next to path, flushed to disk and renamed over path; on any failure the old file
 * is left as it was). Returns MG_STATUS_OK; MG_STATUS_INVALID when info does not fit the model
 * (feature names or standardisation of another width, a class count the outputs cannot
 * encode, a loss that does not match them) or holds text that is not UTF-8;
 * MG_STATUS_NUMERIC for a non-finite weight; MG_STATUS_IO; MG_STATUS_NOMEM;
 * MG_STATUS_UNSUPPORTED without jansson. */
mg_status mg_model_save(const char *path, const mg_ctx *ctx, const mg_mlp *mlp,
                        const mg_model_info *info, mg_err *err);
/* Loads a model file: checks everything first (the header length against the file's
 * size, the JSON, every tensor's dtype, shape against the architecture, and offsets: in
 * range, contiguous, no overlap, covering the data exactly), then makes the MLP's
 * parameters at the end of ctx's tape with the saved weights (bit-identical; ctx's
 * random generator is not used). info (may be NULL) is initialised and filled (release
 * with mg_model_info_free). Returns the model (free with mg_mlp_free), or NULL with err:
 * MG_STATUS_FORMAT ("path: message") for any malformed or inconsistent file;
 * MG_STATUS_NUMERIC for a non-finite weight; MG_STATUS_IO; MG_STATUS_NOMEM (ctx's cap
 * included); MG_STATUS_UNSUPPORTED without jansson. On failure nothing is added to ctx
 * and info is left empty. */
mg_mlp *mg_model_load(const char *path, mg_ctx *ctx, mg_model_info *info, mg_err *err);
/* 1 when this build reads and writes model files (it has jansson), else 0: a program can
 * check before hours of training that it will be able to save the result. */
int mg_model_files_available(void);

/* PREDICTING WITH A SAVED MODEL: after mg_model_load, make a predictor and run it on each
 * raw row. It is THE call after mg_model_load: a model file keeps how its training saw the
 * data (the features' standardisation, a regression target's scale, the class labels,
 * the loss), and the predictor applies all of it, whereas mg_mlp_predict runs the bare
 * network on inputs that must already be standardised and gives raw outputs.
 *
 *     mg_model_info info;
 *     mg_mlp *m = mg_model_load("iris.safetensors", ctx, &info, &err);
 *     mg_predictor *p = mg_predictor_new(ctx, m, &info, &err);
 *     double row[4] = {5.1, 3.5, 1.4, 0.2};     // raw, in the order of info.feature_names
 *     mg_prediction r;
 *     mg_predictor_run(p, row, &r, &err);
 *     printf("%s %.3f\n", r.label, r.proba[r.cls]); // "setosa 0.999"
 *
 * A classifier's prediction is the class of its largest output (one output: class 1 when
 * it is > 0), with the probabilities its loss implies: the softmax of the outputs for ce,
 * sigmoid(output) for class 1 and its complement for class 0 for bce (also when the file
 * does not say its loss); a hinge model's outputs are scores with no probabilities. A
 * regressor's prediction is its output times the target scale's std plus its mean: in
 * the target's own units. */
typedef struct mg_prediction {
    size_t cls;             /* classifier: the predicted class, 0 .. nclasses-1 */
    const char *label;      /* classifier: its label as in the training data; NULL else */
    size_t nproba;          /* nclasses when the loss gives probabilities, else 0 */
    const double *proba;    /* [nproba] each class's probability, summing to 1 */
    double value;           /* regressor: outputs[0]; classifier: NaN */
    size_t nout;
    const double *outputs;  /* [nout] regressor: every output in the target's units;
                               classifier: the network's raw outputs (logits or scores) */
} mg_prediction;

typedef struct mg_predictor mg_predictor;

/* A predictor for mlp (its parameters on ctx) with info (the model file's, or NULL for a
 * bare network: no standardisation, outputs as they are), both borrowed: keep them alive
 * while it is used. NULL: MG_STATUS_INVALID when info does not fit mlp (a standardisation
 * of another width, outputs that do not match the classes, a target scale of a
 * classifier), MG_STATUS_NOMEM. Not thread-safe; one per thread (a context is not either). */
mg_predictor *mg_predictor_new(mg_ctx *ctx, const mg_mlp *mlp, const mg_model_info *info,
                               mg_err *err);
/* Safe to call on NULL. */
void mg_predictor_free(mg_predictor *p);
/* Predicts from x[mlp->nin], one raw row in the model's feature order (info->feature_names
 * when it has them; mg_csv_options_for_model lays out a CSV file's rows so). The tape is
 * left as it was. *pred's arrays and label stay valid until the next call on p and its
 * free. MG_STATUS_NUMERIC when an output is not finite (pred is still filled),
 * MG_STATUS_NOMEM. */
mg_status mg_predictor_run(mg_predictor *p, const double *x, mg_prediction *pred, mg_err *err);
/* The same reading of outputs[nout] that a caller got from the network itself (from
 * mg_mlp_predict_rows over many standardised rows, say): fills pred as mg_predictor_run
 * does. */
void mg_predictor_decode(mg_predictor *p, const double *outputs, mg_prediction *pred);

/* 14e. Writing a file: complete or not at all. Every file the library writes (model
 * files and checkpoints, graph drawings, plots) and the command's own files go through
 * this one writer, so they all behave alike:
 * - A regular file (or a new one) is written to a temporary next to it (its name plus
 *   ".tmp" and 6 characters, mode 0666 less the umask), flushed to disk (fsync) and
 *   renamed over it: a reader, or a crash, sees the old file or the new one, never half
 *   of one. On any failure the temporary is removed and the old file is left as it was.
 * - A symbolic link is followed: the file it names is replaced and the link stays.
 * - An existing device or pipe (/dev/null, /dev/stdout, a FIFO) cannot be replaced by a
 *   rename, and must not be: it is written in place.
 * - A directory is refused: MG_STATUS_IO "path: cannot write: is a directory".
 * Write through the stream (a child process may write its copy of it, as the graph
 * renderers do), or hand mg_outfile_path to a library that writes by name (cairo); then
 * commit, or abort on any failure. */
typedef struct mg_outfile mg_outfile;

/* Starts writing path. Returns the writer, or NULL with err: MG_STATUS_INVALID for an
 * empty path; MG_STATUS_IO for a directory, a device that cannot be opened, or a
 * temporary that cannot be made ("path: cannot create a temporary file next to it:
 * reason", e.g. no such directory); MG_STATUS_NOMEM. */
mg_outfile *mg_outfile_open(const char *path, mg_err *err);
/* The stream to write to (binary). Owned by the writer: do not close it. */
FILE *mg_outfile_stream(const mg_outfile *o);
/* The name of the file being written (the temporary, or path itself when written in
 * place), for code that writes by name: it may open, truncate and write it, but must
 * not remove or rename it, and must report its own write errors (the writer cannot see
 * them; cairo does, graphviz's gvRenderFilename does not). Valid until commit or abort. */
const char *mg_outfile_path(const mg_outfile *o);
/* Finishes: flushes the stream, fsyncs and renames the temporary over the file. Frees
 * o whatever happens. MG_STATUS_IO "path: cannot write: reason" when a write, the flush
 * or the rename failed (then the old file is untouched and the temporary removed). */
mg_status mg_outfile_commit(mg_outfile *o, mg_err *err);
/* Gives up: closes and removes the temporary (the old file stays as it was) and frees o.
 * Safe on NULL. */
void mg_outfile_abort(mg_outfile *o);
/* Writes len bytes as the whole new contents of path, through the writer above. Errors
 * as mg_outfile_open and mg_outfile_commit. */
mg_status mg_file_write(const char *path, const void *data, size_t len, mg_err *err);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* MICROGRAD_H */
