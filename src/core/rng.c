/* rng.c - xorshift* random numbers owned by the caller (micrograd's 2024 follow-up's
 * generator, so its runs can be reproduced number for number). */
#include "mg_internal.h"

#include <math.h>

void mg_rng_seed(mg_rng *rng, uint64_t seed) {
    rng->state = seed ? seed : 1;
    rng->has_spare = 0;
    rng->spare = 0.0;
}

uint32_t mg_rng_u32(mg_rng *rng) {
    uint64_t s = rng->state;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    rng->state = s;
    return (uint32_t)((s * 0x2545F4914F6CDD1DULL) >> 32);
}

double mg_rng_random(mg_rng *rng) { return (mg_rng_u32(rng) >> 8) / 16777216.0; }

double mg_rng_uniform(mg_rng *rng, double a, double b) { return a + (b - a) * mg_rng_random(rng); }

double mg_rng_normal(mg_rng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    /* Box-Muller: u1 in (0, 1] so the log is finite. */
    double u1 = 1.0 - mg_rng_random(rng);
    double u2 = mg_rng_random(rng);
    double r = sqrt(-2.0 * log(u1));
    double t = 2.0 * 3.14159265358979323846 * u2;
    rng->spare = r * sin(t);
    rng->has_spare = 1;
    return r * cos(t);
}

uint32_t mg_rng_below(mg_rng *rng, uint32_t n) {
    MG_ASSERT(n >= 1, "mg_rng_below(0)");
    /* Rejection keeps every result equally likely. */
    uint32_t limit = UINT32_MAX - UINT32_MAX % n;
    uint32_t x;
    do x = mg_rng_u32(rng);
    while (x >= limit);
    return x % n;
}

/* ==== shuffling ========================================================================== */

void mg__shuffle(mg_rng *rng, size_t n, void (*swap)(void *user, size_t i, size_t j), void *user) {
    MG_ASSERT(n <= UINT32_MAX, "too many items to shuffle with a 32-bit draw");
    for (size_t i = n; i > 1; i--) swap(user, i - 1, mg_rng_below(rng, (uint32_t)i));
}

static void swap_index(void *user, size_t i, size_t j) {
    size_t *idx = user, t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
}

void mg__shuffle_indices(mg_rng *rng, size_t *idx, size_t n) { mg__shuffle(rng, n, swap_index, idx); }
