/* test_sklearn.c - the generators against scikit-learn 1.2: make_moons, make_circles and
 * make_blobs after np.random.seed(S), drawn from a Mersenne Twister seeded as numpy seeds
 * it. The expected rows were printed by scikit-learn 1.2.1 with numpy 1.24 (as C99 hex:
 * float.hex), the moons of seed 1337 with numpy's own SIMD cos and sin switched off, so
 * with glibc's, as this library uses (shared/reference/micrograd_moons). Agreement is to
 * the last bit where the trig agrees and within 1e-12 elsewhere; blobs use no trig and
 * must be bit-equal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "micrograd.h"

/* np.random.seed(1337); make_moons(100, noise=0.1), with glibc's cos and sin */
static const double moons_1337[][3] = {
    {0x1.1f42e725c0990p+0, 0x1.4dbb0233284c8p-4, 0},
    {-0x1.a33d9bdc64fbcp-1, 0x1.e19bb33a0f868p-5, 0},
    {0x1.9d1c138b2e459p+0, -0x1.fe8cb309b2b58p-4, 1},
    {-0x1.d894a8e3b0458p-1, 0x1.75fe9082b349ep-2, 0},
    {0x1.269b9870d010ep-3, 0x1.6b8fb57e73e80p-5, 1},
    {0x1.50d6f0aae4bd8p-3, 0x1.e0cd79bf36ae2p-4, 1},
    {0x1.56b9abd2f2ad6p+0, -0x1.e771c079f76a2p-3, 1},
    {0x1.be0730f5f0a13p-1, -0x1.b0dce111b729dp-2, 1},
    {0x1.d4d00aa5e5948p+0, -0x1.20db962179696p-3, 1},
    {0x1.f345dd7613b6dp-2, 0x1.47372ce3a3d37p-1, 0},
    {0x1.32e43e9ad1e74p-5, 0x1.b1c1138e0b07ep-2, 1},
    {-0x1.c69223af70120p-2, 0x1.cb216a45097e9p-1, 0},
    {-0x1.9fdc8b5762403p-1, 0x1.d2fd94e120e3cp-1, 0},
    {0x1.a2b1a4b83388cp+0, -0x1.66658cf3ccdd2p-2, 1},
    {0x1.e4e76acf70ac9p-2, 0x1.ea28cf260b938p-1, 0},
    {0x1.81d1374bc86dbp-1, 0x1.3f592a00151cep-1, 0},
    {0x1.0e8dce0f35f59p-2, -0x1.f079ce97d7fffp-3, 1},
    {0x1.6d74647010b78p+0, -0x1.7d735aedc496ap-2, 1},
    {-0x1.7d4ae80276d6ap-2, 0x1.e9d37eec6cee1p-1, 0},
    {-0x1.ec2fc57fd1d6ap-1, 0x1.4dea90f4f695ep-2, 0},
    {0x1.8fccae5acf018p-1, 0x1.985087ea02846p-1, 0},
    {0x1.d54dc7595fbecp-1, -0x1.b5e6d9c7d5080p-2, 1},
    {0x1.0c0ab0338cf8cp+0, -0x1.16c7b78dfd9cdp-1, 1},
    {-0x1.ee7e7ff0cd0dep-5, 0x1.e9eb381d5fa16p-4, 1},
    {0x1.de3dcbd131fb2p-6, 0x1.3a34008522b76p-2, 1},
    {-0x1.953ad6124834cp-2, 0x1.cb07cd2777b95p-1, 0},
    {-0x1.aca1307bcd551p-4, 0x1.1e2d96b7b5561p+0, 0},
    {0x1.e18fc5a315603p+0, 0x1.3262287175756p-2, 1},
    {0x1.a7a21f9e9b1b9p-1, 0x1.6141b2128da30p-2, 0},
    {0x1.4c3aba513fa9dp+0, -0x1.7757167871846p-2, 1},
    {-0x1.5a91b3015613ap-1, 0x1.b61125b6f027cp-1, 0},
    {0x1.0f1e8cce709e3p-1, 0x1.e50bd680499bbp-1, 0},
    {-0x1.b006da9b59c2ep-1, 0x1.35a0754001267p-1, 0},
    {0x1.105e4b939672ep-2, 0x1.c64f113d7580fp-1, 0},
    {0x1.19673220c9232p-3, 0x1.9767cc28f94eep-2, 1},
    {-0x1.d2251b989f37fp-1, -0x1.8db535107d67bp-4, 0},
    {0x1.565fdde6e976bp+0, -0x1.783ad831e3d48p-2, 1},
    {0x1.05c79e787d845p+0, -0x1.97112f6260981p-2, 1},
    {0x1.065feec8baceep+0, -0x1.18e74006ba79ep-1, 1},
    {-0x1.80756d4f69280p-1, 0x1.035ddb51ba85ap-2, 0},
    {0x1.33ebc5281568dp+0, 0x1.4c67f24afd7e8p-4, 0},
    {-0x1.e05c4e7d08e49p-2, 0x1.8fc485a5d1a46p-1, 0},
    {0x1.7b4ef1e2b14a3p-1, 0x1.d6410de0f774cp-2, 0},
    {0x1.92e53a3bb70c1p-1, 0x1.88519652f382ep-1, 0},
    {-0x1.0a58a86a92e05p-3, 0x1.1e904dd466cbap+0, 0},
    {0x1.9ba8e920fb06ep-1, -0x1.b14f68044b798p-2, 1},
    {0x1.221a5b7664aabp-2, -0x1.c16a21a8016dap-3, 1},
    {-0x1.6c0f73f2b3a81p-1, 0x1.6c5bebe3a1f6ep-1, 0},
    {0x1.35e333d15c1bap-2, -0x1.7e858de98a425p-4, 1},
    {0x1.9da6fc933f240p-1, 0x1.589d80b908c82p-2, 0},
    {-0x1.e21cec425a282p-1, 0x1.581a1f91ebcbfp-3, 0},
    {0x1.240c711e41255p+0, -0x1.da01b83da31e9p-2, 1},
    {-0x1.41d15137735a3p-3, 0x1.dd3d14f114f43p-1, 0},
    {0x1.b70d1aaf2bd60p+0, -0x1.780dcefd45318p-3, 1},
    {0x1.7d67a9a716b72p-2, -0x1.02356611247dcp-3, 1},
    {-0x1.7c770cb244a6bp-1, 0x1.65dcfe30bc6fap-1, 0},
    {0x1.5ce3b92c79786p-1, 0x1.5f0b7375fc4e1p-1, 0},
    {0x1.bcbac6648309ap-1, -0x1.7dbba8bc829dbp-2, 1},
    {0x1.009674467d5e1p+0, 0x1.bc28d8dc02b53p-3, 0},
    {-0x1.05ae7ff25a823p+0, 0x1.970c64a19133bp-2, 0},
    {-0x1.38b5df7cd5f14p-1, 0x1.a98f4b3170714p-1, 0},
    {-0x1.8da9667cd5e63p-1, 0x1.4987293f1b2e4p-1, 0},
    {0x1.1af4f11641864p+0, 0x1.c0d86e9ee1912p-3, 0},
    {-0x1.6e65888fcb09bp-3, 0x1.11d1283cdf4a4p+0, 0},
    {0x1.9eb3e0e0c052ep-2, 0x1.a7282b26b1ee4p-1, 0},
    {0x1.d087db3ab3dfdp+0, 0x1.1ad4f638ccddap-5, 1},
    {-0x1.952363c242899p-1, 0x1.99bdad08b67ddp-3, 0},
    {0x1.fb52c12fa8feap+0, 0x1.d7d19c0ef2208p-2, 1},
    {0x1.7700cc0a40b80p-1, -0x1.993fd3b8666b2p-2, 1},
    {0x1.0e42e521f8effp+1, 0x1.71f3c17419664p-3, 1},
    {0x1.14be401432a30p+1, 0x1.fa186e21a4393p-2, 1},
    {0x1.cae0adfca307cp-1, 0x1.d89ce8df0b288p-2, 0},
    {0x1.7e7525e0fa382p-2, 0x1.0b8401b3ecedep+0, 0},
    {0x1.2b80795ba3c69p-1, -0x1.48f856f5f2243p-2, 1},
    {0x1.691f97838bba0p-3, 0x1.9463a9fb9e5b5p-3, 1},
    {0x1.bef00c2806c07p-4, 0x1.ed1d47f02bb4bp-2, 1},
    {0x1.30ac6cbd200b7p-2, 0x1.fdde44516364cp-1, 0},
    {0x1.8968215841059p-4, -0x1.7b0aef859c491p-5, 1},
    {0x1.e608fb42ded8dp-2, -0x1.ae99191823816p-4, 1},
    {0x1.1dc8ec9eb147cp+0, -0x1.a981d7b96a17ap-2, 1},
    {0x1.1b75134070b78p-1, -0x1.b147e52cde6f3p-2, 1},
    {0x1.84274ee2aae72p-3, 0x1.04b303bb041c1p+0, 0},
    {0x1.f2175f5fb0ae6p+0, -0x1.865cdcb5c1deap-4, 1},
    {-0x1.5aa171a2b6125p-4, 0x1.129772c2e2f0bp+0, 0},
    {0x1.2b281078cfd2ep+0, -0x1.d2a244263ef7cp-6, 0},
    {0x1.fdd2a5c62a184p-4, 0x1.0ea7f4d4abe28p+0, 0},
    {0x1.0456cf6f59af9p+1, 0x1.2390355e68680p-2, 1},
    {-0x1.cac2c4b1bed5ep-6, 0x1.5dbb6c9020346p-3, 1},
    {0x1.7b5bcec8bebccp-1, 0x1.a80d99d130365p-2, 0},
    {0x1.968039c6448ffp-1, 0x1.1e94614f72609p-1, 0},
    {0x1.bccbd55270b8dp-1, -0x1.0f6f741fd3c09p-1, 1},
    {0x1.9e66078cce414p+0, -0x1.4daa630ebf23ep-2, 1},
    {0x1.6e0bacbbff430p+0, -0x1.e4b3cad62370fp-2, 1},
    {0x1.f98cc728f6d14p+0, -0x1.6c676a0647bcap-3, 1},
    {0x1.da8322bc44f32p+0, 0x1.5e7a716a8f020p-2, 1},
    {0x1.bfc66f7b9088bp+0, 0x1.d04e7c14f0898p-6, 1},
    {-0x1.5f0ffe16c7714p-1, 0x1.dc86874f3e69ep-2, 0},
    {0x1.c09b9ae66747dp+0, 0x1.50f021a3a4a7ap-3, 1},
    {0x1.7241cace0b554p-3, -0x1.35c4903524000p-12, 1},
    {0x1.eff4b2f9fb3d2p-4, 0x1.10c8084b90dabp+0, 0},
};

/* np.random.seed(0); make_moons(9, noise=0.2) */
static const double moons_0[][3] = {
    {0x1.89df3281d380cp+0, 0x1.7eb9f31ee61d8p-3, 1},
    {-0x1.f965d9823df26p-3, 0x1.879a6e87e27bcp-1, 0},
    {0x1.025074a50eb0cp+0, 0x1.150a423eb30d8p+0, 0},
    {0x1.8cbf9ec99c85ap-4, 0x1.3b4dd1f65585dp-1, 1},
    {0x1.f6b3f5fdb81d2p+0, 0x1.9067ab148cef0p-1, 1},
    {0x1.d9a7730595ba8p-1, -0x1.c7a3aebbbf92dp-2, 1},
    {-0x1.3130cd876024bp+0, 0x1.34c750e1df318p-4, 0},
    {0x1.01b64a6cdf1f2p+0, 0x1.16c2a5db9314bp-3, 0},
    {-0x1.4480e2902d0d0p-6, -0x1.4823138515d10p-2, 1},
};

/* np.random.seed(3); make_circles(7, noise=0.05, factor=0.4) */
static const double circles_3[][3] = {
    {0x1.91a28687c8f03p-5, 0x1.9afbbe75c67d3p-2, 1},
    {-0x1.78ddd349b1205p-6, -0x1.9c90c7b0d2693p-2, 1},
    {-0x1.2f3a6b96d126bp-2, -0x1.ec985dbfb5861p-6, 1},
    {0x1.c9b05bf4ac15dp-2, -0x1.e37ed07fb7440p-5, 1},
    {-0x1.08e4435682006p-1, 0x1.bd1a2d56bd4c1p-1, 0},
    {0x1.d65575056f7fap-1, 0x1.45f2b675aebedp-6, 0},
    {-0x1.29b4d89b9488dp-1, -0x1.cbc302740358cp-1, 0},
};

/* np.random.seed(5); make_blobs(11, centers=3, n_features=2, cluster_std=1.5) */
static const double blobs_5[][3] = {
    {-0x1.59538198559c6p+2, 0x1.393a4f1b50cedp+3, 0},
    {-0x1.51d6bda652c83p+2, 0x1.badead91ca0b3p+2, 0},
    {-0x1.0b9c0e170ed68p+3, 0x1.d49ad28120a68p+2, 1},
    {-0x1.99d8d8ede344fp+2, 0x1.28e0ab92d81d0p+3, 1},
    {-0x1.8a22e5d9bbdf4p+0, 0x1.99e2b24ed4e86p+0, 2},
    {-0x1.08ddae85ce60ep+2, 0x1.65101835f67c0p+3, 1},
    {-0x1.b3e35d3a55c8dp+0, 0x1.e631a59ce1fb6p-1, 2},
    {0x1.434c558905cc0p+0, 0x1.a6d963677f77ep+1, 2},
    {-0x1.043c820be61f4p+3, 0x1.2add18ed4439ap+3, 1},
    {-0x1.bb2292c26aa32p+2, 0x1.a1bd7fe4aa5b2p+2, 0},
    {-0x1.d65aa92afce37p+2, 0x1.c6de8457c0ba6p+2, 0},
};

/* np.random.seed(9); make_blobs(8, centers=2, n_features=3, cluster_std=0.5) */
static const double blobs_9[][4] = {
    {-0x1.349d169871d5bp+3, 0x1.90a22e80ae923p-2, 0x1.a75bfed2e19a5p-1, 0},
    {-0x1.43ba4a9acaaffp+3, 0x1.6bf7c700baefbp-2, 0x1.923044ef0f029p-1, 0},
    {-0x1.d3acf066009d1p+2, -0x1.acb7969d2c97ep+2, -0x1.5c118f435f48bp+2, 1},
    {-0x1.ca30657b89bc6p+2, -0x1.da0a7f2ea11a9p+2, -0x1.ab2e874bc1756p+2, 1},
    {-0x1.3277de61fa999p+3, 0x1.9e2275a6edb35p-1, -0x1.11ddb89c64f34p-1, 0},
    {-0x1.d916116ac8a48p+2, -0x1.a09345b242d12p+2, -0x1.52a2df2c23531p+2, 1},
    {-0x1.51a34981b9e52p+3, -0x1.a9de9f0beedeap-3, -0x1.a395340f2f4c2p-3, 0},
    {-0x1.c42ca8519a821p+2, -0x1.d5772941d9611p+2, -0x1.6190645897540p+2, 1},
};

/* Compares d with rows of nfeat features and a class; returns how many numbers are
 * bit-equal, failing on a class that differs or a number further than tol. */
static size_t compare(const mg_dataset *d, const double *rows, size_t n, size_t nfeat, double tol) {
    assert_non_null(d);
    assert_int_equal(d->n, n);
    assert_int_equal(d->nfeat, nfeat);
    size_t same = 0;
    for (size_t i = 0; i < n; i++) {
        const double *r = rows + i * (nfeat + 1);
        for (size_t k = 0; k < nfeat; k++) {
            double got = d->x[i * nfeat + k];
            if (!(fabs(got - r[k]) <= tol))
                fail_msg("row %zu feature %zu: %a, scikit-learn %a", i, k, got, r[k]);
            same += memcmp(&got, &r[k], sizeof got) == 0;
        }
        if (d->y[i] != r[nfeat]) fail_msg("row %zu: class %g, scikit-learn %g", i, d->y[i], r[nfeat]);
    }
    return same;
}

static void test_moons(void **state) {
    (void)state;
    mg_rng r;
    mg_rng_seed_numpy(&r, 1337);
    mg_dataset *d = mg_dataset_moons(&r, 100, 0.1, NULL);
    /* micrograd's notebook data: every number bit-equal with glibc's trig */
    assert_int_equal(compare(d, &moons_1337[0][0], 100, 2, 0.0), 200);
    mg_dataset_free(d);
    mg_rng_seed_numpy(&r, 0);
    d = mg_dataset_moons(&r, 9, 0.2, NULL); /* an odd count: 4 outer, 5 inner */
    print_message("moons(9, 0.2): %zu of 18 bit-equal\n", compare(d, &moons_0[0][0], 9, 2, 1e-12));
    mg_dataset_free(d);
}

static void test_circles(void **state) {
    (void)state;
    mg_rng r;
    mg_rng_seed_numpy(&r, 3);
    mg_dataset *d = mg_dataset_circles(&r, 7, 0.05, 0.4, NULL);
    print_message("circles(7): %zu of 14 bit-equal\n", compare(d, &circles_3[0][0], 7, 2, 1e-12));
    mg_dataset_free(d);
}

static void test_blobs(void **state) {
    (void)state;
    mg_rng r;
    mg_rng_seed_numpy(&r, 5);
    mg_dataset *d = mg_dataset_blobs(&r, 11, 3, 2, 1.5, NULL); /* 4, 4, 3 rows a class */
    assert_int_equal(compare(d, &blobs_5[0][0], 11, 2, 0.0), 22);
    mg_dataset_free(d);
    mg_rng_seed_numpy(&r, 9);
    d = mg_dataset_blobs(&r, 8, 2, 3, 0.5, NULL);
    assert_int_equal(compare(d, &blobs_9[0][0], 8, 3, 0.0), 24);
    mg_dataset_free(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_moons),
        cmocka_unit_test(test_circles),
        cmocka_unit_test(test_blobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
