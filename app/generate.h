/* generate.h - the library's generated datasets by name (moons, circles, blobs, spiral,
 * xor, yinyang) with the command line's defaults, and the choice of random generator:
 * numpy's (the Mersenne Twister seeded as np.random.seed seeds it, so moons, circles and
 * blobs are scikit-learn's) or the project's xorshift*. */
#ifndef MG_APP_GENERATE_H
#define MG_APP_GENERATE_H

#include <micrograd.h>

typedef enum {
    APP_GEN_MOONS,
    APP_GEN_CIRCLES,
    APP_GEN_BLOBS,
    APP_GEN_SPIRAL,
    APP_GEN_XOR,
    APP_GEN_YINYANG
} app_gen_kind;

typedef struct app_generator {
    const char *name;
    app_gen_kind kind;
    double noise;   /* the default noise (NaN: the set has none) */
    size_t classes; /* the default class count */
    int sklearn;    /* 1: draws as scikit-learn does, so numpy's generator is the default */
} app_generator;

typedef enum { APP_RNG_XORSHIFT, APP_RNG_NUMPY } app_rng_kind;

/* The generator called name, or NULL. */
const app_generator *app_generator_named(const char *name);
/* "moons, circles, ..." for messages. */
const char *app_generator_names(void);
/* "numpy" or "xorshift" into *kind; 0 for anything else. */
int app_rng_parse(const char *s, app_rng_kind *kind);
/* Seeds rng as kind says (numpy: np.random.seed(seed), seed < 2^32). */
void app_rng_seed(mg_rng *rng, app_rng_kind kind, uint64_t seed);
/* n rows of g drawn from rng; noise NaN and classes 0 take g's defaults. NULL with err. */
mg_dataset *app_generate(const app_generator *g, mg_rng *rng, size_t n, double noise,
                         size_t classes, mg_err *err);

#endif
