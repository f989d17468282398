/* model_internal.h - what the model-file modules share (model_io.c: the tensor list and
 * loading; model_save.c: saving; model_state.c: a checkpoint's training state). Not
 * installed. Everything here needs jansson. */
#ifndef MG_MODEL_INTERNAL_H
#define MG_MODEL_INTERNAL_H

#include "files_internal.h"

#ifdef MG_HAVE_JANSSON
#include <jansson.h>

#define FORMAT_NAME "micrograd-mlp"
#define FORMAT_VERSION "1"
/* Version 2 adds a regression's target scale (the tensors "target.mean" and "target.std");
 * files without one are written as version 1, so older builds still read them. */
#define FORMAT_VERSION_TARGET "2"
/* safetensors' own readers refuse headers past 100 MB; so does this one. */
#define MAX_HEADER ((uint64_t)100 << 20)

/* ---- little-endian numbers ---- */

static inline void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static inline void put_f64(unsigned char *p, double x) {
    uint64_t v;
    memcpy(&v, &x, sizeof v);
    put_u64(p, v);
}
static inline double get_f64(const unsigned char *p) {
    uint64_t v = get_u64(p);
    double x;
    memcpy(&x, &v, sizeof x);
    return x;
}

/* jansson allocates with its own functions; strings it returns go back through them. */
void mg__model_jfree(void *p);

/* ---- the tensor list ---- */

typedef struct tensor {
    char name[48];
    size_t rows, cols; /* cols 0: a vector of rows entries */
    size_t begin, end; /* byte offsets in the data section */
} tensor;

#define MAX_TENSORS (2 * MG_MLP_MAX_LAYERS + 7)

/* The arrays of a checkpoint's training state (on = 0: none). */
typedef struct state_shape {
    int on, m, v;
    size_t nparams, nsamples;
} state_shape;

/* The tensors a model has, in file order: per layer weight then bias, then the
 * standardisation, the target scale (of the last layer's width), then a checkpoint's
 * optim.m, optim.v and train.order. Returns their count (at most MAX_TENSORS). */
size_t mg__model_tensors(size_t nin, size_t nlayers, const size_t *sizes, int standardize,
                         int target_scale, const state_shape *ss, tensor *t);
/* Whether a model of nout outputs can carry info's classes and loss: NULL, or why not. */
const char *mg__model_head_problem(size_t nout, const mg_model_info *info);

/* ---- a checkpoint's training state (model_state.c) ---- */

/* The counters and generator of s as compact JSON text (free with mg__model_jfree), or
 * NULL when out of memory. */
char *mg__state_text(const mg_train_state *s);
/* Reads the counters and generator from text into s (its arrays untouched).
 * MG_STATUS_FORMAT naming path when text is not such a state. */
mg_status mg__state_parse(const char *path, const char *text, mg_train_state *s, mg_err *err);

#endif /* MG_HAVE_JANSSON */
#endif
