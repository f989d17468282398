/* test_idx.c - IDX files: small image and label files written here byte by byte (plain
 * and gzipped), pixel scaling, every malformed header, and Fashion-MNIST from the Debian
 * package when it is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef MG_HAVE_ZLIB
#include <zlib.h>
#endif

#include "micrograd.h"
#include "testutil.h"

/* ==== writing IDX files ================================================================== */

/* An IDX file: magic 00 00 type ndims, big-endian dims, then data. Returns its length. */
static size_t idx_bytes(unsigned char *out, unsigned type, unsigned ndims, const uint32_t *dims,
                        const unsigned char *data, size_t ndata) {
    size_t k = 0;
    out[k++] = 0, out[k++] = 0, out[k++] = (unsigned char)type, out[k++] = (unsigned char)ndims;
    for (unsigned i = 0; i < ndims; i++) {
        out[k++] = (unsigned char)(dims[i] >> 24), out[k++] = (unsigned char)(dims[i] >> 16);
        out[k++] = (unsigned char)(dims[i] >> 8), out[k++] = (unsigned char)dims[i];
    }
    if (ndata) memcpy(out + k, data, ndata);
    return k + ndata;
}

/* Three 2x2 images and their labels 2, 0, 1. */
static const unsigned char pixels[12] = {0, 255, 51, 102, 255, 0, 0, 0, 1, 2, 3, 4};
static const unsigned char labels[3] = {2, 0, 1};

static void write_pair(const char *images, const char *labs) {
    unsigned char buf[256];
    size_t n = idx_bytes(buf, 0x08, 3, (const uint32_t[]){3, 2, 2}, pixels, sizeof pixels);
    tu_write_file(images, (const char *)buf, n);
    n = idx_bytes(buf, 0x08, 1, (const uint32_t[]){3}, labels, sizeof labels);
    tu_write_file(labs, (const char *)buf, n);
}

static void expect_small(const mg_dataset *d, size_t n) {
    assert_int_equal(d->n, n);
    assert_int_equal(d->nfeat, 4);
    assert_int_equal(d->nclasses, 3); /* the largest label in the file is 2 */
    for (size_t i = 0; i < n * 4; i++)
        if (d->x[i] != pixels[i] / 255.0) fail_msg("x[%zu] = %.17g", i, d->x[i]);
    assert_true(d->x[1] == 1.0 && d->x[2] == 0.2 && d->x[3] == 0.4);
    for (size_t i = 0; i < n; i++) assert_true(d->y[i] == labels[i]);
    assert_string_equal(d->class_names[0], "0");
    assert_string_equal(d->class_names[2], "2");
}

/* ==== tests ============================================================================== */

static void test_plain(void **state) {
    (void)state;
    char im[512], lb[512];
    snprintf(im, sizeof im, "%s", tu_path("im.idx"));
    snprintf(lb, sizeof lb, "%s", tu_path("lb.idx"));
    write_pair(im, lb);
    mg_err err = {0};
    mg_dataset *d = mg_idx_load(im, lb, 0, &err);
    if (!d) fail_msg("%s", err.msg);
    expect_small(d, 3);
    mg_dataset_free(d);
    d = mg_idx_load(im, lb, 2, &err); /* the first two */
    if (!d) fail_msg("%s", err.msg);
    expect_small(d, 2);
    mg_dataset_free(d);
}

#ifdef MG_HAVE_ZLIB
static void gzip_file(const char *from, const char *to) {
    size_t len;
    char *data = tu_read_file(from, &len);
    assert_non_null(data);
    gzFile gz = gzopen(to, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
    assert_int_equal(gzclose(gz), Z_OK);
    free(data);
}
#endif

static void test_gzip(void **state) {
    (void)state;
    char im[512], lb[512], imgz[512], lbgz[512];
    snprintf(im, sizeof im, "%s", tu_path("gim.idx"));
    snprintf(lb, sizeof lb, "%s", tu_path("glb.idx"));
    snprintf(imgz, sizeof imgz, "%s", tu_path("gim.idx.gz"));
    snprintf(lbgz, sizeof lbgz, "%s", tu_path("glb.idx.gz"));
    write_pair(im, lb);
    mg_err err = {0};
#ifdef MG_HAVE_ZLIB
    gzip_file(im, imgz);
    gzip_file(lb, lbgz);
    mg_dataset *d = mg_idx_load(imgz, lbgz, 0, &err);
    if (!d) fail_msg("%s", err.msg);
    expect_small(d, 3);
    mg_dataset_free(d);
    d = mg_idx_load(imgz, lb, 0, &err); /* one of each */
    if (!d) fail_msg("%s", err.msg);
    mg_dataset_free(d);
    /* Cut the compressed image file short: every length must fail cleanly. */
    size_t len;
    char *gz = tu_read_file(imgz, &len);
    assert_non_null(gz);
    for (size_t cut = 2; cut < len; cut++) {
        tu_write_file(tu_path("cut.gz"), gz, cut);
        err.status = MG_STATUS_OK;
        assert_null(mg_idx_load(tu_path("cut.gz"), lb, 0, &err));
        assert_int_equal(err.status, MG_STATUS_FORMAT);
    }
    free(gz);
#else
    tu_write_file(imgz, "\x1f\x8b\x08\x00rest", 8);
    assert_null(mg_idx_load(imgz, lb, 0, &err));
    assert_int_equal(err.status, MG_STATUS_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "gzip-compressed, but this build has no zlib"));
#endif
}

typedef struct bad_idx {
    int which;          /* 0: the image file is bad, 1: the label file */
    unsigned char bytes[64];
    size_t len;
    const char *msg;    /* after "path: " */
} bad_idx;

static void test_bad_files(void **state) {
    (void)state;
    static const bad_idx cases[] = {
        {0, {0, 0, 8}, 3, "3 bytes: too short for an IDX file"},
        {0, {0x1f, 0, 8, 3}, 4, "not an IDX file (magic 1f000803; expected 00000803)"},
        {0, {0, 0, 0x0d, 3}, 4, "data type 0x0d not supported (only unsigned bytes, 0x08)"},
        {1, {0, 0, 8, 3, 0, 0, 0, 3}, 8, "3 dimensions, but label files have 1 (magic 0x00000803)"},
        {0, {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3}, 11, "1 dimensions, but image files have 3 (magic 0x00000801)"},
        {0, {0, 0, 8, 3, 0, 0, 0, 3, 0, 0}, 10, "truncated header (10 of 16 bytes)"},
        /* 3 images of 2x2 claimed, 11 bytes present */
        {0, {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 27,
         "the header says 3 x 2 x 2 bytes of data, the file has 11 (truncated data)"},
        /* 2^31 images of 28x28 in a 20-byte file: refused before allocating */
        {0, {0, 0, 8, 3, 0x80, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2, 3, 4}, 20,
         "the header says 2147483648 x 28 x 28 bytes of data, the file has 4 (truncated data)"},
        /* one byte too many */
        {1, {0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 0, 7}, 12,
         "the header says 3 bytes of data, the file has 4 (trailing bytes)"},
        {1, {0, 0, 8, 1, 0, 0, 0, 0}, 8, "no samples"},
    };
    char im[512], lb[512], good_im[512], good_lb[512];
    snprintf(good_im, sizeof good_im, "%s", tu_path("ok_im.idx"));
    snprintf(good_lb, sizeof good_lb, "%s", tu_path("ok_lb.idx"));
    write_pair(good_im, good_lb);
    snprintf(im, sizeof im, "%s", tu_path("bad.idx"));
    snprintf(lb, sizeof lb, "%s", tu_path("bad.idx"));
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const bad_idx *c = &cases[k];
        const char *bad = c->which ? lb : im;
        tu_write_file(bad, (const char *)c->bytes, c->len);
        mg_err err = {0};
        mg_dataset *d = mg_idx_load(c->which ? good_im : im, c->which ? lb : good_lb, 0, &err);
        if (d) fail_msg("case %zu loaded", k);
        char want[1200];
        snprintf(want, sizeof want, "%s: %s", bad, c->msg);
        if (err.status != MG_STATUS_FORMAT || strcmp(err.msg, want))
            fail_msg("case %zu: %d \"%s\"\nexpected \"%s\"", k, err.status, err.msg, want);
    }
    /* Image and label counts that differ. */
    unsigned char buf[64];
    size_t n = idx_bytes(buf, 0x08, 1, (const uint32_t[]){2}, labels, 2);
    tu_write_file(lb, (const char *)buf, n);
    mg_err err = {0};
    assert_null(mg_idx_load(good_im, lb, 0, &err));
    char want[1200];
    snprintf(want, sizeof want, "%s: 3 images, but %s has 2 labels", good_im, lb);
    assert_string_equal(err.msg, want);
    assert_null(mg_idx_load(tu_path("nothing-here"), good_lb, 0, &err));
    assert_int_equal(err.status, MG_STATUS_IO);
}

/* Random headers and lengths must never crash or over-read. */
static void test_random_headers(void **state) {
    (void)state;
    char im[512], lb[512];
    snprintf(im, sizeof im, "%s", tu_path("r_im.idx"));
    snprintf(lb, sizeof lb, "%s", tu_path("r_lb.idx"));
    write_pair(tu_path("unused_im.idx"), lb);
    mg_rng rng;
    mg_rng_seed(&rng, 11);
    unsigned char buf[40];
    for (int iter = 0; iter < 2000; iter++) {
        size_t len = mg_rng_below(&rng, sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = i < 4 ? (unsigned char[]){0, 0, 8, 3}[i] ^ (mg_rng_below(&rng, 8) == 0)
                           : (unsigned char)mg_rng_below(&rng, 6);
        tu_write_file(im, (const char *)buf, len);
        mg_err err = {0};
        mg_dataset *d = mg_idx_load(im, lb, 0, &err);
        if (d) {
            assert_int_equal(d->n, 3);
            mg_dataset_free(d);
        } else {
            assert_true(err.status == MG_STATUS_FORMAT);
        }
    }
}

/* ==== inputs found by fuzz/fuzz_idx.c ======================================================= */

/* An image file of 6 x 2052 x 0 x 6717567 (no pixels, so an empty data section matches the
 * header) with 6 good labels: it reached mg_dataset_new with 0 features, whose
 * MG_STATUS_INVALID message named no file. */
static void test_fuzz_zero_dimension(void **state) {
    (void)state;
    static const unsigned char lab[14] = {0, 0, 8, 1, 0, 0, 0, 6, 2, 0, 1, 9, 0, 3};
    static const unsigned char img[20] = {0, 0, 8, 4, 0, 0, 0, 6,    0,    0,
                                          8, 4, 0, 0, 0, 0, 0, 0x66, 0x80, 0x7f};
    char im[512], lb[512];
    snprintf(im, sizeof im, "%s", tu_path("z_im.idx"));
    snprintf(lb, sizeof lb, "%s", tu_path("z_lb.idx"));
    tu_write_file(im, (const char *)img, sizeof img);
    tu_write_file(lb, (const char *)lab, sizeof lab);
    mg_err err = {0};
    assert_null(mg_idx_load(im, lb, 0, &err));
    assert_int_equal(err.status, MG_STATUS_FORMAT);
    char want[1200];
    snprintf(want, sizeof want, "%s: dimension 3 is 0 (images of no pixels)", im);
    assert_string_equal(err.msg, want);
}

/* ==== Fashion-MNIST from the Debian package ================================================ */

static void test_fashion_mnist(void **state) {
    (void)state;
    if (tu_fashion_mnist_missing()) skip();
    mg_dataset *train = NULL, *test = NULL;
    mg_err err = {0};
    if (mg_dataset_fashion_mnist(NULL, 10, 10, &train, &test, &err)) fail_msg("%s", err.msg);
    assert_int_equal(train->n, 10);
    assert_int_equal(test->n, 10);
    assert_int_equal(train->nfeat, 784);
    assert_int_equal(train->nclasses, 10);
    assert_string_equal(train->class_names[0], "T-shirt/top");
    assert_string_equal(train->class_names[9], "Ankle boot");
    assert_string_equal(test->class_names[6], "Shirt");
    /* The first labels of the official files (Zalando's README, and every tutorial). */
    const double train_y[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    const double test_y[10] = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    for (size_t i = 0; i < 10; i++) {
        assert_true(train->y[i] == train_y[i]);
        assert_true(test->y[i] == test_y[i]);
    }
    for (size_t i = 0; i < 784 * 10; i++) assert_true(train->x[i] >= 0 && train->x[i] <= 1);
    mg_dataset_free(train);
    mg_dataset_free(test);
}

static void test_fashion_missing(void **state) {
    (void)state;
    mg_dataset *train = (mg_dataset *)1, *test = (mg_dataset *)1;
    mg_err err = {0};
    const char *dir = tu_tmpdir();
    assert_int_equal(mg_dataset_fashion_mnist(dir, 0, 0, &train, &test, &err), MG_STATUS_IO);
    assert_null(train);
    assert_null(test);
    char want[1024];
    snprintf(want, sizeof want, "fashion-mnist: cannot find %s/train-images-idx3-ubyte(.gz)", dir);
    assert_string_equal(err.msg, want);
    assert_int_equal(mg_dataset_fashion_mnist("/nonexistent/fm", 0, 0, &train, NULL, &err),
                     MG_STATUS_IO);
    assert_string_equal(err.msg, "fashion-mnist: cannot find /nonexistent/fm/train-images-idx3-ubyte(.gz)");
}

static int teardown_all(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_random_headers),
        cmocka_unit_test(test_fuzz_zero_dimension),
        cmocka_unit_test(test_fashion_mnist),
        cmocka_unit_test(test_fashion_missing),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
