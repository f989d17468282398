/* generate.c - the library's generated datasets by name, with the command line's defaults,
 * for `micrograd data` and `micrograd train --data NAME`. */
#include "generate.h"

#include <math.h>
#include <string.h>

static const app_generator generators[] = {
    /* name      kind             noise  classes  sklearn */
    {"moons", APP_GEN_MOONS, 0.1, 2, 1},
    {"circles", APP_GEN_CIRCLES, 0.1, 2, 1},
    {"blobs", APP_GEN_BLOBS, 1.0, 3, 1},
    {"spiral", APP_GEN_SPIRAL, 0.2, 3, 0},
    {"xor", APP_GEN_XOR, 0.1, 2, 0},
    {"yinyang", APP_GEN_YINYANG, NAN, 3, 0},
};

const app_generator *app_generator_named(const char *name) {
    for (size_t i = 0; i < sizeof generators / sizeof *generators; i++)
        if (!strcmp(name, generators[i].name)) return &generators[i];
    return NULL;
}

const char *app_generator_names(void) { return "moons, circles, blobs, spiral, xor, yinyang"; }

int app_rng_parse(const char *s, app_rng_kind *kind) {
    if (!strcmp(s, "numpy")) *kind = APP_RNG_NUMPY;
    else if (!strcmp(s, "xorshift")) *kind = APP_RNG_XORSHIFT;
    else return 0;
    return 1;
}

void app_rng_seed(mg_rng *rng, app_rng_kind kind, uint64_t seed) {
    if (kind == APP_RNG_NUMPY) mg_rng_seed_numpy(rng, (uint32_t)seed);
    else mg_rng_seed(rng, seed);
}

mg_dataset *app_generate(const app_generator *g, mg_rng *rng, size_t n, double noise,
                         size_t classes, mg_err *err) {
    if (isnan(noise)) noise = g->noise;
    if (classes == 0) classes = g->classes;
    switch (g->kind) {
    case APP_GEN_MOONS: return mg_dataset_moons(rng, n, noise, err);
    case APP_GEN_CIRCLES: return mg_dataset_circles(rng, n, noise, 0.5, err);
    case APP_GEN_BLOBS: return mg_dataset_blobs(rng, n, classes, 2, noise, err);
    case APP_GEN_SPIRAL: return mg_dataset_spiral(rng, n, classes, noise, err);
    case APP_GEN_XOR: return mg_dataset_xor(rng, n, noise, err);
    case APP_GEN_YINYANG: return mg_dataset_yinyang(rng, n, 0.1, 0.5, err);
    }
    mg_err_set(err, MG_STATUS_INVALID, "unknown generator");
    return NULL;
}
