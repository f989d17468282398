/* rng.c - random numbers owned by the caller: xorshift* (micrograd's 2024 follow-up's
 * generator, so its runs can be reproduced number for number) and the Mersenne Twister
 * seeded and drawn from as CPython's `random` and numpy's legacy `np.random` do (so
 * micrograd's notebook can be). */
#include "mg_internal.h"

#include <math.h>

/* ==== seeding ============================================================================ */

void mg_rng_seed(mg_rng *rng, uint64_t seed) {
    rng->kind = MG_RNG_XORSHIFT;
    rng->state = seed ? seed : 1;
    rng->mti = 0;
    rng->has_spare = 0;
    rng->spare = 0.0;
}

/* The reference MT19937 init_genrand (Matsumoto and Nishimura, 2002). */
static void init_genrand(mg_rng *rng, uint32_t s) {
    uint32_t *mt = rng->mt;
    mt[0] = s;
    for (int i = 1; i < MG_RNG_MT_N; i++)
        mt[i] = 1812433253u * (mt[i - 1] ^ (mt[i - 1] >> 30)) + (uint32_t)i;
    rng->mti = MG_RNG_MT_N;
}

/* The reference init_by_array: init_genrand(19650218), then max(N, len) steps mixing the
 * key in, N - 1 more, and the most significant bit set so the state is not all zero. */
static void init_by_array(mg_rng *rng, const uint32_t *key, int len) {
    uint32_t *mt = rng->mt;
    init_genrand(rng, 19650218u);
    int i = 1, j = 0;
    for (int k = MG_RNG_MT_N > len ? MG_RNG_MT_N : len; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint32_t)j;
        i++, j++;
        if (i >= MG_RNG_MT_N) mt[0] = mt[MG_RNG_MT_N - 1], i = 1;
        if (j >= len) j = 0;
    }
    for (int k = MG_RNG_MT_N - 1; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941u)) - (uint32_t)i;
        i++;
        if (i >= MG_RNG_MT_N) mt[0] = mt[MG_RNG_MT_N - 1], i = 1;
    }
    mt[0] = 0x80000000u;
}

void mg_rng_seed_python(mg_rng *rng, uint64_t seed) {
    /* CPython splits the integer's absolute value into 32-bit words, least significant
     * first; 0 is the one word 0. */
    uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    rng->kind = MG_RNG_MT19937;
    init_by_array(rng, key, key[1] ? 2 : 1);
    rng->state = 0;
    rng->has_spare = 0;
    rng->spare = 0.0;
}

void mg_rng_seed_numpy(mg_rng *rng, uint32_t seed) {
    rng->kind = MG_RNG_MT19937;
    init_genrand(rng, seed);
    rng->state = 0;
    rng->has_spare = 0; /* np.random.seed clears the cached Gaussian */
    rng->spare = 0.0;
}

/* ==== drawing ============================================================================ */

static uint32_t xorshift_u32(mg_rng *rng) {
    uint64_t s = rng->state;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    rng->state = s;
    return (uint32_t)((s * 0x2545F4914F6CDD1DULL) >> 32);
}

/* The reference genrand_int32: the next N words at once, then tempering. */
static uint32_t mt_u32(mg_rng *rng) {
    enum { N = MG_RNG_MT_N, M = 397 };
    static const uint32_t mag01[2] = {0u, 0x9908b0dfu};
    uint32_t *mt = rng->mt, y;
    if (rng->mti >= N) {
        int k;
        for (k = 0; k < N - M; k++) {
            y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
            mt[k] = mt[k + M] ^ (y >> 1) ^ mag01[y & 1u];
        }
        for (; k < N - 1; k++) {
            y = (mt[k] & 0x80000000u) | (mt[k + 1] & 0x7fffffffu);
            mt[k] = mt[k + (M - N)] ^ (y >> 1) ^ mag01[y & 1u];
        }
        y = (mt[N - 1] & 0x80000000u) | (mt[0] & 0x7fffffffu);
        mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ mag01[y & 1u];
        rng->mti = 0;
    }
    y = mt[rng->mti++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

uint32_t mg_rng_u32(mg_rng *rng) {
    return rng->kind == MG_RNG_MT19937 ? mt_u32(rng) : xorshift_u32(rng);
}

double mg_rng_random(mg_rng *rng) {
    if (rng->kind == MG_RNG_MT19937) { /* genrand_res53 */
        uint32_t a = mt_u32(rng) >> 5, b = mt_u32(rng) >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }
    return (xorshift_u32(rng) >> 8) / 16777216.0;
}

double mg_rng_uniform(mg_rng *rng, double a, double b) { return a + (b - a) * mg_rng_random(rng); }

/* numpy's legacy_gauss: the polar method; a rejected pair still consumed its draws. */
static double polar_normal(mg_rng *rng) {
    double x1, x2, r2;
    do {
        x1 = 2.0 * mg_rng_random(rng) - 1.0;
        x2 = 2.0 * mg_rng_random(rng) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    double f = sqrt(-2.0 * log(r2) / r2);
    rng->spare = f * x1;
    rng->has_spare = 1;
    return f * x2;
}

double mg_rng_normal(mg_rng *rng) {
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    if (rng->kind == MG_RNG_MT19937) return polar_normal(rng);
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
    if (rng->kind == MG_RNG_MT19937) {
        /* numpy's random_interval(n - 1): the draw masked to the bits n - 1 needs,
         * rejected while past it; a range of one number draws nothing. */
        if (n == 1) return 0;
        uint32_t max = n - 1, mask = max, v;
        mask |= mask >> 1, mask |= mask >> 2, mask |= mask >> 4, mask |= mask >> 8,
            mask |= mask >> 16;
        do v = mt_u32(rng) & mask;
        while (v > max);
        return v;
    }
    /* Rejection keeps every result equally likely. */
    uint32_t limit = UINT32_MAX - UINT32_MAX % n;
    uint32_t x;
    do x = xorshift_u32(rng);
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
