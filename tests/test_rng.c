/* test_rng.c - the generators against reference values: xorshift* as the yin-yang run
 * draws, and the Mersenne Twister as CPython's random and numpy's legacy np.random draw
 * (values printed by CPython 3.11 and numpy 1.24; shared/reference/micrograd_moons). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "micrograd.h"

/* ==== CPython's random ==================================================================== */

static void test_python_seed_1337(void **state) {
    (void)state;
    static const uint32_t u32[8] = {0x9e250d03, 0xecefe37b, 0x888417a5, 0xb5bab1cd,
                                    0x5da83cff, 0x922badb0, 0x95f628f2, 0xbb5d75b8};
    static const double uniform[8] = {0x1.e250d1d9dfc68p-3, 0x1.1082f6d6eac70p-4,
                                      -0x1.12be186dd4528p-2, 0x1.5f628f76baeb0p-3,
                                      -0x1.5656129cc6424p-1, 0x1.4c28a1aa98d72p-1,
                                      -0x1.dc5858baf1ce8p-3, 0x1.289043ae0f69ap-1};
    mg_rng r;
    mg_rng_seed_python(&r, 1337);
    assert_int_equal(r.kind, MG_RNG_MT19937);
    for (int i = 0; i < 8; i++) assert_int_equal(mg_rng_u32(&r), u32[i]);
    mg_rng_seed_python(&r, 1337);
    for (int i = 0; i < 8; i++) assert_true(mg_rng_uniform(&r, -1, 1) == uniform[i]);
    /* micrograd's MLP(2, [16, 16, 1]) draws 304 weights; the last: */
    for (int i = 8; i < 303; i++) mg_rng_uniform(&r, -1, 1);
    assert_true(mg_rng_uniform(&r, -1, 1) == -0.2532524374373504);
}

static void test_python_other_seeds(void **state) {
    (void)state;
    static const struct {
        uint64_t seed;
        uint32_t u32[3];
        double random[3];
    } cases[] = {
        {0, {0xd82c07cd, 0x629f6fbe, 0xc2094cac},
         {0x1.b0580f98a7dbep-1, 0x1.84129978f9c1ap-1, 0x1.aeaa51052e978p-2}},
        {1, {0x2265b1f5, 0x91b7584a, 0xd8f16adf},
         {0x1.132d8f91b7584p-3, 0x1.b1e2d5b3584f8p-1, 0x1.870d778409f13p-1}},
        {42, {0xa3b1799d, 0x1c80317f, 0x06671ad1},
         {0x1.4762f307200c5p-1, 0x1.99c6b5eeb2060p-6, 0x1.19a1491f589dcp-2}},
        /* two 32-bit words of key */
        {4294967303u, {0x39baf354, 0xc3f83601, 0x5bcd45f8},
         {0x1.cdd79ac3f8360p-3, 0x1.6f3517abe7aa2p-2, 0x1.99351583fc19ap-1}},
        {1099511627781u, {0x811f1124, 0x8454f73c, 0x44c342a9},
         {0x1.023e2261153dcp-1, 0x1.130d0ad4f7578p-2, 0x1.da00b1c1c1612p-1}},
        {UINT64_MAX, {0x05965e7e, 0x3faff328, 0x568d6a40},
         {0x1.659799fd7f980p-6, 0x1.5a35a94f333d8p-2, 0x1.b21c0274c09a4p-3}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        mg_rng r;
        mg_rng_seed_python(&r, cases[c].seed);
        for (int i = 0; i < 3; i++) assert_int_equal(mg_rng_u32(&r), cases[c].u32[i]);
        mg_rng_seed_python(&r, cases[c].seed);
        for (int i = 0; i < 3; i++) assert_true(mg_rng_random(&r) == cases[c].random[i]);
    }
}

/* ==== numpy's legacy np.random ============================================================= */

static void test_numpy_seed_1337(void **state) {
    (void)state;
    static const uint32_t u32[8] = {0x43140c97, 0x8f7ee0bd, 0x289f835c, 0x366c24e8,
                                    0x47334ca7, 0x8b0755d9, 0x7595caa7, 0x08b2595a};
    static const double normal[6] = {-0x1.68082ac5a47dbp-1, -0x1.f60c9467ea558p-2,
                                     -0x1.4989b214ed205p-2, -0x1.c14cd6bbf4023p+0,
                                     0x1.a73fb3a6822ffp-3,  -0x1.01711e15ebcf5p+1};
    mg_rng r;
    mg_rng_seed_numpy(&r, 1337);
    for (int i = 0; i < 8; i++) assert_int_equal(mg_rng_u32(&r), u32[i]);
    mg_rng_seed_numpy(&r, 1337);
    for (int i = 0; i < 6; i++) assert_true(mg_rng_normal(&r) == normal[i]);
}

static void test_numpy_shuffle_1337(void **state) {
    (void)state;
    /* np.random.seed(1337); a = np.arange(100); np.random.shuffle(a) */
    static const int want[100] = {
        2,  48, 86, 44, 59, 56, 79, 70, 91, 17, 50, 32, 36, 87, 15, 11, 63, 81, 30, 43,
        10, 73, 76, 53, 52, 31, 25, 94, 5,  80, 37, 16, 40, 21, 55, 49, 83, 77, 78, 45,
        0,  33, 12, 13, 28, 69, 64, 35, 58, 7,  47, 74, 29, 85, 62, 38, 14, 71, 4,  42,
        34, 41, 3,  26, 18, 93, 46, 97, 68, 95, 98, 8,  20, 67, 57, 51, 19, 60, 65, 75,
        66, 22, 88, 27, 1,  24, 99, 54, 6,  9,  72, 84, 82, 90, 96, 89, 39, 92, 61, 23};
    mg_rng r;
    mg_rng_seed_numpy(&r, 1337);
    mg_err err;
    mg_dataset *d = mg_dataset_new(100, 1, 0, &err);
    assert_non_null(d);
    for (int i = 0; i < 100; i++) d->x[i] = d->y[i] = i;
    mg_dataset_shuffle(d, &r);
    for (int i = 0; i < 100; i++) {
        assert_int_equal((int)d->x[i], want[i]);
        assert_int_equal((int)d->y[i], want[i]);
    }
    mg_dataset_free(d);
}

static void test_numpy_other_seeds(void **state) {
    (void)state;
    static const struct {
        uint32_t seed;
        double normal[5];
        uint32_t randint[7]; /* randint(0, n) for n below, in turn */
        double random[2];
    } cases[] = {
        {0,
         {0x1.c398ef3e5cfa5p+0, 0x1.99c2cfacc8953p-2, 0x1.f51d25222c9abp-1, 0x1.1ed5969e3314ep+1,
          0x1.de1847cb13ddap+0},
         {0, 0, 1, 0, 67, 763, 1819583497},
         {0x1.18fe1565f12a8p-1, 0x1.6e2d4cf608733p-1}},
        {42,
         {0x1.fca2a28a9307cp-2, -0x1.1b2a505de052ap-3, 0x1.4b9dd50245e68p-1,
          0x1.85e548e01aa2bp+0, -0x1.df8bcdf57a640p-3},
         {0, 0, 0, 6, 71, 700, 670094950},
         {0x1.7f8771e5f51ecp-2, 0x1.e6c4068bbd654p-1}},
        {4294967295u,
         {0x1.4bfc38c486d8ap-1, 0x1.56b192e507eeep-1, -0x1.149e836f192fdp+0,
          0x1.23543dec5a0fcp-2, 0x1.d27bf27c6aaafp-4},
         {0, 1, 2, 4, 71, 948, 77050329},
         {0x1.8fe69a3924820p-4, 0x1.d323d824032b1p-1}},
    };
    static const uint32_t n[7] = {1, 2, 3, 7, 100, 1000, 2147483649u};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        mg_rng r;
        mg_rng_seed_numpy(&r, cases[c].seed);
        for (int i = 0; i < 5; i++) assert_true(mg_rng_normal(&r) == cases[c].normal[i]);
        mg_rng_seed_numpy(&r, cases[c].seed);
        for (int i = 0; i < 7; i++) assert_int_equal(mg_rng_below(&r, n[i]), cases[c].randint[i]);
        mg_rng_seed_numpy(&r, cases[c].seed);
        for (int i = 0; i < 2; i++) assert_true(mg_rng_random(&r) == cases[c].random[i]);
    }
}

/* ==== xorshift*: unchanged by the second kind ============================================= */

static void test_xorshift(void **state) {
    (void)state;
    mg_rng r;
    mg_rng_seed(&r, 42);
    assert_int_equal(r.kind, MG_RNG_XORSHIFT);
    /* The state is the seed; the output is the high half of state * 0x2545F4914F6CDD1D
     * after the shifts 12, 25, 27. */
    uint64_t s = 42;
    for (int i = 0; i < 5; i++) {
        s ^= s >> 12, s ^= s << 25, s ^= s >> 27;
        assert_int_equal(mg_rng_u32(&r), (uint32_t)((s * 0x2545F4914F6CDD1DULL) >> 32));
    }
    mg_rng_seed(&r, 0); /* would stay 0 forever: taken as 1 */
    assert_int_equal(r.state, 1);
    /* 24-bit doubles in [0, 1) */
    mg_rng_seed(&r, 7);
    for (int i = 0; i < 1000; i++) {
        double x = mg_rng_random(&r);
        assert_true(x >= 0.0 && x < 1.0 && x * 16777216.0 == floor(x * 16777216.0));
    }
    /* a seeding call decides the kind, whatever the generator was before */
    mg_rng_seed_numpy(&r, 3);
    mg_rng_seed(&r, 3);
    assert_int_equal(r.kind, MG_RNG_XORSHIFT);
    assert_int_equal(r.has_spare, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_seed_1337),   cmocka_unit_test(test_python_other_seeds),
        cmocka_unit_test(test_numpy_seed_1337),    cmocka_unit_test(test_numpy_shuffle_1337),
        cmocka_unit_test(test_numpy_other_seeds),  cmocka_unit_test(test_xorshift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
