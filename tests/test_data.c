/* test_data.c - datasets: sizes, class balance, the geometry each generator promises,
 * determinism per seed, the yin-yang reference's check values, shuffling, splits and the
 * errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mg_internal.h"
#include "testutil.h"


static void expect_counts(const mg_dataset *d, const size_t *want) {
    size_t counts[16];
    assert_true(d->nclasses <= 16);
    mg_dataset_class_counts(d, counts);
    for (size_t c = 0; c < d->nclasses; c++)
        if (counts[c] != want[c]) fail_msg("class %zu: %zu rows, expected %zu", c, counts[c], want[c]);
}

static int same_data(const mg_dataset *a, const mg_dataset *b) {
    return a->n == b->n && a->nfeat == b->nfeat &&
           !memcmp(a->x, b->x, a->n * a->nfeat * sizeof *a->x) &&
           !memcmp(a->y, b->y, a->n * sizeof *a->y);
}

/* Each generator, twice with one seed and once with another. */
typedef mg_dataset *(*gen_fn)(mg_rng *rng);
static mg_dataset *gen_moons(mg_rng *r) { return mg_dataset_moons(r, 100, 0.1, NULL); }
static mg_dataset *gen_circles(mg_rng *r) { return mg_dataset_circles(r, 100, 0.05, 0.5, NULL); }
static mg_dataset *gen_blobs(mg_rng *r) { return mg_dataset_blobs(r, 90, 3, 2, 1.0, NULL); }
static mg_dataset *gen_spiral(mg_rng *r) { return mg_dataset_spiral(r, 90, 3, 0.2, NULL); }
static mg_dataset *gen_xor(mg_rng *r) { return mg_dataset_xor(r, 100, 0.1, NULL); }
static mg_dataset *gen_yinyang(mg_rng *r) { return mg_dataset_yinyang(r, 30, 0.1, 0.5, NULL); }

static void test_determinism(void **state) {
    (void)state;
    gen_fn gens[] = {gen_moons, gen_circles, gen_blobs, gen_spiral, gen_xor, gen_yinyang};
    for (size_t g = 0; g < sizeof gens / sizeof *gens; g++) {
        mg_rng r1, r2, r3;
        mg_rng_seed(&r1, 5);
        mg_rng_seed(&r2, 5);
        mg_rng_seed(&r3, 6);
        mg_dataset *a = gens[g](&r1), *b = gens[g](&r2), *c = gens[g](&r3);
        assert_non_null(a);
        assert_non_null(b);
        assert_non_null(c);
        if (!same_data(a, b)) fail_msg("generator %zu: one seed, two datasets", g);
        if (same_data(a, c)) fail_msg("generator %zu: two seeds, one dataset", g);
        mg_dataset_free(a);
        mg_dataset_free(b);
        mg_dataset_free(c);
    }
}

/* ==== the generators' shapes ============================================================= */

static void test_moons(void **state) {
    (void)state;
    mg_rng rng;
    mg_rng_seed(&rng, 1);
    mg_dataset *d = mg_dataset_moons(&rng, 101, 0.0, NULL);
    assert_non_null(d);
    assert_int_equal(d->n, 101);
    assert_int_equal(d->nfeat, 2);
    assert_int_equal(d->nclasses, 2);
    expect_counts(d, (const size_t[]){50, 51});
    /* Without noise: class 0 on the upper unit half circle, class 1 on the lower one
     * centred at (1, 0.5). */
    int ends = 0;
    for (size_t i = 0; i < d->n; i++) {
        double x = d->x[2 * i], y = d->x[2 * i + 1];
        if (d->y[i] == 0.0) {
            ASSERT_NEAR(x * x + y * y, 1.0, 1e-12);
            assert_true(y >= -1e-12);
        } else {
            ASSERT_NEAR((x - 1) * (x - 1) + (y - 0.5) * (y - 0.5), 1.0, 1e-12);
            assert_true(y <= 0.5 + 1e-12);
        }
        ends += (x == 1.0 && y == 0.0) || (x == -1.0 && fabs(y) < 1e-15);
    }
    assert_int_equal(ends, 2); /* t = 0 and t = pi on the outer moon */
    mg_dataset_free(d);

    /* Noise 0.1 moves points off the circles by about 0.1 on average. */
    d = mg_dataset_moons(&rng, 1000, 0.1, NULL);
    double s = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->y[i] == 0.0) s += fabs(hypot(d->x[2 * i], d->x[2 * i + 1]) - 1.0);
    s /= 500;
    assert_true(s > 0.05 && s < 0.12);
    mg_dataset_free(d);
}

static void test_circles_blobs_spiral_xor(void **state) {
    (void)state;
    mg_rng rng;
    mg_rng_seed(&rng, 2);
    mg_dataset *d = mg_dataset_circles(&rng, 60, 0.0, 0.3, NULL);
    expect_counts(d, (const size_t[]){30, 30});
    for (size_t i = 0; i < d->n; i++)
        ASSERT_NEAR(hypot(d->x[2 * i], d->x[2 * i + 1]), d->y[i] ? 0.3 : 1.0, 1e-12);
    mg_dataset_free(d);

    /* Blobs: 10 rows, 3 classes: 4, 3, 3; spread 0 puts a class on its centre. */
    d = mg_dataset_blobs(&rng, 10, 3, 4, 0.0, NULL);
    assert_int_equal(d->nfeat, 4);
    expect_counts(d, (const size_t[]){4, 3, 3});
    for (size_t i = 0; i < d->n; i++)
        for (size_t j = 0; j < d->n; j++)
            if (d->y[i] == d->y[j]) assert_memory_equal(d->x + 4 * i, d->x + 4 * j, 4 * sizeof(double));
    for (size_t i = 0; i < 40; i++) assert_true(d->x[i] >= -10.0 && d->x[i] < 10.0);
    mg_dataset_free(d);

    /* Spiral: radius in [0, 1], one arm starting at the origin per class. */
    d = mg_dataset_spiral(&rng, 31, 3, 0.0, NULL);
    expect_counts(d, (const size_t[]){11, 10, 10});
    int at_origin = 0;
    for (size_t i = 0; i < d->n; i++) {
        double r = hypot(d->x[2 * i], d->x[2 * i + 1]);
        assert_true(r <= 1.0 + 1e-12);
        at_origin += r == 0.0;
    }
    assert_int_equal(at_origin, 3);
    mg_dataset_free(d);

    /* XOR: balanced; without noise the class is the sign of x*y. */
    d = mg_dataset_xor(&rng, 100, 0.0, NULL);
    expect_counts(d, (const size_t[]){50, 50});
    for (size_t i = 0; i < d->n; i++) {
        double x = d->x[2 * i], y = d->x[2 * i + 1];
        assert_true(fabs(x) > 0 && fabs(x) <= 1 && fabs(y) > 0 && fabs(y) <= 1);
        assert_true(d->y[i] == (x * y < 0));
    }
    mg_dataset_free(d);
}

/* The reference run's check values (yinyang.md section 2): from seed 42, the first
 * training points and the last test point, exactly. */
static void test_yinyang_reference(void **state) {
    (void)state;
    mg_rng rng;
    mg_rng_seed(&rng, 42);
    mg_dataset *d = mg_dataset_yinyang(&rng, 100, 0.1, 0.5, NULL);
    assert_non_null(d);
    const double want[4][3] = {
        {-0.6436591148376465, 1.1290233135223389, 0},
        {1.502126693725586, -1.2461860179901123, 1},
        {1.0598013401031494, 0.09119725227355957, 2},
        {0.07363224029541016, 0.7329816818237305, 0},
    };
    for (int i = 0; i < 4; i++) {
        assert_true(d->x[2 * i] == want[i][0]);
        assert_true(d->x[2 * i + 1] == want[i][1]);
        assert_true(d->y[i] == want[i][2]);
    }
    assert_true(d->x[198] == 0.21432042121887207);
    assert_true(d->x[199] == 1.640775442123413);
    assert_true(d->y[99] == 0.0);
    for (size_t i = 0; i < 100; i++) {
        assert_true(d->y[i] == (double)(i % 3));
        assert_true(hypot(d->x[2 * i], d->x[2 * i + 1]) <= 2.0);
    }
    expect_counts(d, (const size_t[]){34, 33, 33});
    mg_dataset_free(d);
}

/* ==== shuffling and splits =============================================================== */

static void test_shuffle(void **state) {
    (void)state;
    mg_dataset *d = mg_dataset_new(50, 2, 0, NULL);
    for (size_t i = 0; i < 50; i++) d->x[2 * i] = (double)i, d->x[2 * i + 1] = -(double)i, d->y[i] = 10.0 * (double)i;
    mg_rng rng;
    mg_rng_seed(&rng, 3);
    mg_dataset_shuffle(d, &rng);
    int seen[50] = {0}, moved = 0;
    for (size_t i = 0; i < 50; i++) {
        size_t k = (size_t)d->x[2 * i];
        /* Rows move whole: features and target together. */
        assert_true(d->x[2 * i + 1] == -(double)k && d->y[i] == 10.0 * (double)k);
        seen[k]++;
        moved += k != i;
    }
    for (int k = 0; k < 50; k++) assert_int_equal(seen[k], 1);
    assert_true(moved > 40);
    mg_dataset_free(d);
}

static void test_split_and_slice(void **state) {
    (void)state;
    mg_dataset *d = mg_dataset_new(10, 1, 2, NULL);
    for (size_t i = 0; i < 10; i++) d->x[i] = (double)i, d->y[i] = (double)(i % 2);
    /* Names a dataset frees must come from the library's allocator. */
    d->class_names = mg__calloc(2, sizeof(char *));
    d->class_names[0] = mg__strdup("no");
    d->class_names[1] = mg__strdup("yes");
    d->target_name = mg__strdup("answer");
    mg_dataset *tr, *va, *te;
    assert_int_equal(mg_dataset_split(d, 6, 3, &tr, &va, &te, NULL), MG_STATUS_OK);
    assert_int_equal(tr->n, 6);
    assert_int_equal(va->n, 3);
    assert_int_equal(te->n, 1);
    assert_true(tr->x[0] == 0.0 && va->x[0] == 6.0 && te->x[0] == 9.0 && te->y[0] == 1.0);
    assert_string_equal(va->class_names[1], "yes");
    assert_string_equal(te->target_name, "answer");
    assert_null(tr->feature_names);
    mg_dataset_free(tr);
    mg_dataset_free(va);
    mg_dataset_free(te);
    /* Parts not asked for are not made; an empty part has n = 0. */
    assert_int_equal(mg_dataset_split(d, 10, 0, &tr, NULL, &te, NULL), MG_STATUS_OK);
    assert_int_equal(tr->n, 10);
    assert_int_equal(te->n, 0);
    mg_dataset_free(tr);
    mg_dataset_free(te);
    mg_err err;
    assert_int_equal(mg_dataset_split(d, 8, 3, &tr, &va, &te, &err), MG_STATUS_INVALID);
    assert_null(tr);
    assert_null(mg_dataset_slice(d, 9, 2, &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
    mg_dataset *s = mg_dataset_slice(d, 2, 3, NULL);
    assert_true(s->n == 3 && s->x[0] == 2.0 && s->x[2] == 4.0);
    mg_dataset_free(s);
    mg_dataset_free(d);
    mg_dataset_free(NULL);
}

/* ==== errors ============================================================================= */

/* expr (which reports into err) makes no dataset and says why, naming `word`. */
#define EXPECT_INVALID(expr, word)                                                         \
    do {                                                                                   \
        mg_dataset *d_ = (expr);                                                           \
        if (d_) fail_msg("%s made a dataset", #expr);                                      \
        assert_int_equal(err.status, MG_STATUS_INVALID);                                   \
        if (!strstr(err.msg, word)) fail_msg("%s: '%s' lacks '%s'", #expr, err.msg, word); \
    } while (0)

static void test_errors(void **state) {
    (void)state;
    mg_rng rng;
    mg_rng_seed(&rng, 4);
    mg_err err;
    EXPECT_INVALID(mg_dataset_moons(&rng, 1, 0.1, &err), "n must be");
    EXPECT_INVALID(mg_dataset_moons(&rng, 10, -0.1, &err), "noise");
    EXPECT_INVALID(mg_dataset_moons(&rng, 10, NAN, &err), "noise");
    EXPECT_INVALID(mg_dataset_circles(&rng, 10, 0.1, 1.0, &err), "factor");
    EXPECT_INVALID(mg_dataset_blobs(&rng, 2, 3, 2, 1.0, &err), "classes");
    EXPECT_INVALID(mg_dataset_blobs(&rng, 20, 3, 2, -1.0, &err), "spread");
    EXPECT_INVALID(mg_dataset_spiral(&rng, 20, 1, 0.1, &err), "classes");
    EXPECT_INVALID(mg_dataset_xor(&rng, 3, 0.1, &err), "n must be");
    EXPECT_INVALID(mg_dataset_yinyang(&rng, 10, 0.3, 0.5, &err), "r_small");
    EXPECT_INVALID(mg_dataset_yinyang(&rng, 0, 0.1, 0.5, &err), "n must be");
    EXPECT_INVALID(mg_dataset_new(10, 0, 0, &err), "feature");
    /* Sizes that overflow fail cleanly. */
    assert_null(mg_dataset_new(SIZE_MAX / 2, 4, 0, &err));
    assert_int_equal(err.status, MG_STATUS_NOMEM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_moons),
        cmocka_unit_test(test_circles_blobs_spiral_xor),
        cmocka_unit_test(test_yinyang_reference),
        cmocka_unit_test(test_shuffle),
        cmocka_unit_test(test_split_and_slice),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
