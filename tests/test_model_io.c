/* test_model_io.c - model files: an exact round trip (bit-identical weights, identical
 * predictions, every piece of info), the safetensors layout checked with an independent
 * reading of the header, hand-made files (valid and each kind of malformed), truncation
 * and corruption sweeps, atomic saving, and standardisation. */
#define _XOPEN_SOURCE 700 /* mknod, symlink */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#ifdef MG_HAVE_JANSSON
#include <jansson.h>
#endif

#include "micrograd.h"
#include "testutil.h"
#include "writecheck.h"

#define NEEDS_JANSSON()                                                                    \
    do {                                                                                   \
        if (tu_model_files_missing()) skip();                                              \
    } while (0)

/* ==== helpers ============================================================================ */

/* A model with every parameter set to k * 0.25 - 1 (exact in binary). */
static mg_mlp *make_model(mg_ctx *ctx, size_t nin, size_t nlayers, const size_t *sizes,
                          const mg_act *acts) {
    mg_err err = {0};
    mg_mlp *m = mg_mlp_new(ctx, nin, nlayers, sizes, acts, MG_INIT_UNIFORM, NULL, &err);
    if (!m) fail_msg("%s", err.msg);
    double *p = mg_data_ptr(ctx, m->first);
    for (size_t k = 0; k < m->nparams; k++) p[k] = (double)k * 0.25 - 1.0;
    return m;
}

static uint64_t le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static double le_f64(const unsigned char *p) {
    uint64_t v = le64(p);
    double x;
    memcpy(&x, &v, sizeof x);
    return x;
}

static void save_ok(const char *path, const mg_ctx *ctx, const mg_mlp *m, const mg_model_info *info) {
    mg_err err = {0};
    if (mg_model_save(path, ctx, m, info, &err)) fail_msg("save: %s", err.msg);
}

static mg_mlp *load_ok(const char *path, mg_ctx *ctx, mg_model_info *info) {
    mg_err err = {0};
    mg_mlp *m = mg_model_load(path, ctx, info, &err);
    if (!m) fail_msg("load: %s", err.msg);
    return m;
}

/* A regression's target scale and the training file's unused columns come back; the
 * file says version 2 only when it has a target scale (a version-1 reader keeps reading
 * the others); metrics are written in their shortest exact form. */
static void test_target_scale_and_drop(void **state) {
    (void)state;
    NEEDS_JANSSON();
    mg_ctx *ctx = mg_ctx_new(), *ctx2 = mg_ctx_new();
    mg_err err = {0};
    const size_t sizes[] = {1};
    mg_mlp *m = mg_mlp_new(ctx, 2, 1, sizes, NULL, MG_INIT_UNIFORM, NULL, &err);
    mg_model_info info, got;
    mg_model_info_init(&info);
    double mean = 300000, sd = 37500.25;
    mg_standardizer t = {1, &mean, &sd};
    const char *drop[] = {"id", ""};
    assert_int_equal(mg_model_info_set_target_scale(&info, &t, &err), 0);
    assert_int_equal(mg_model_info_set_drop(&info, 2, drop, &err), 0);
    assert_int_equal(mg_model_info_set_metric(&info, "test_rmse", 0.1, &err), 0);
    assert_int_equal(mg_model_info_set_metric(&info, "test_mae", 1.0 / 3.0, &err), 0);
    const char *path = tu_path("scaled.safetensors");
    save_ok(path, ctx, m, &info);
    char *text = tu_read_file(path, NULL);
    assert_non_null(strstr(text + 8, "\"format_version\":\"2\""));
    assert_non_null(strstr(text + 8, "{\\\"test_rmse\\\":0.1,\\\"test_mae\\\":0.3333333333333333}"));
    free(text);
    mg_mlp *m2 = load_ok(path, ctx2, &got);
    assert_int_equal(got.target_scale.nfeat, 1);
    assert_true(got.target_scale.mean[0] == mean && got.target_scale.std[0] == sd);
    assert_int_equal(got.ndrop, 2);
    assert_string_equal(got.drop[0], "id");
    assert_string_equal(got.drop[1], "");
    mg_mlp_free(m2);
    mg_model_info_free(&got);
    /* Without a target scale: version 1. A classifier cannot have one. */
    mg_standardizer_free(&info.target_scale);
    save_ok(path, ctx, m, &info);
    text = tu_read_file(path, NULL);
    assert_non_null(strstr(text + 8, "\"format_version\":\"1\""));
    free(text);
    assert_int_equal(mg_model_info_set_target_scale(&info, &t, &err), 0);
    info.nclasses = 2;
    info.class_names = (char *[]){"a", "b"};
    assert_int_equal(mg_model_save(path, ctx, m, &info, &err), MG_STATUS_INVALID);
    assert_non_null(strstr(err.msg, "a target scale is for a regressor, one per output"));
    info.nclasses = 0;
    info.class_names = NULL;
    mg_model_info_free(&info);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
    mg_ctx_free(ctx2);
}

/* ==== round trip =========================================================================== */

static void test_round_trip(void **state) {
    (void)state;
    NEEDS_JANSSON();
    mg_ctx *ctx = mg_ctx_new(), *ctx2 = mg_ctx_new();
    mg_err err = {0};
    const size_t sizes[] = {4, 2};
    const mg_act acts[] = {MG_ACT_TANH, MG_ACT_LINEAR};
    mg_mlp *m = mg_mlp_new(ctx, 3, 2, sizes, acts, MG_INIT_SCALED, NULL, &err);
    assert_non_null(m);
    mg_data_ptr(ctx, m->first)[5] = 1.0 / 3.0; /* a number with all 53 bits in use */
    mg_model_info info;
    mg_model_info_init(&info);
    const char *csv = "f1,f2,f3,t\n1,2,3,no\n4,5,7,yes\n";
    mg_dataset *d = mg_csv_parse(csv, strlen(csv), NULL, NULL, &err);
    assert_non_null(d);
    assert_int_equal(mg_model_info_set_dataset(&info, d, &err), MG_STATUS_OK);
    mg_standardizer s;
    assert_int_equal(mg_standardizer_fit(&s, d, &err), MG_STATUS_OK);
    assert_int_equal(mg_model_info_set_standardizer(&info, &s, &err), MG_STATUS_OK);
    mg_standardizer_free(&s);
    info.has_loss = 1;
    info.loss = MG_LOSS_KIND_CE;
    assert_int_equal(mg_model_info_set_metric(&info, "train_loss", 0.1 + 0.2, &err), 0);
    assert_int_equal(mg_model_info_set_metric(&info, "val_loss", NAN, &err), 0);
    assert_int_equal(mg_model_info_set_setting(&info, "optimizer", "adamw", &err), 0);
    assert_int_equal(mg_model_info_set_setting(&info, "note", "caf\xc3\xa9 \"quoted\"", &err), 0);
    const char *path = tu_path("rt.safetensors");
    save_ok(path, ctx, m, &info);

    mg_model_info got;
    mg_mlp *m2 = load_ok(path, ctx2, &got);
    assert_int_equal(m2->nin, 3);
    assert_int_equal(m2->nlayers, 2);
    assert_int_equal(m2->sizes[0], 4);
    assert_int_equal(m2->sizes[1], 2);
    assert_int_equal(m2->acts[0], MG_ACT_TANH);
    assert_int_equal(m2->acts[1], MG_ACT_LINEAR);
    assert_int_equal(m2->nparams, m->nparams);
    assert_memory_equal(mg_data_ptr(ctx, m->first), mg_data_ptr(ctx2, m2->first),
                        m->nparams * sizeof(double));
    /* The loaded context's generator was not used. */
    mg_ctx *fresh = mg_ctx_new();
    assert_true(mg_ctx_rng(ctx2)->state == mg_ctx_rng(fresh)->state);
    mg_ctx_free(fresh);

    assert_int_equal(got.nclasses, 2);
    assert_string_equal(got.class_names[0], "no");
    assert_string_equal(got.class_names[1], "yes");
    assert_int_equal(got.nfeat, 3);
    assert_string_equal(got.feature_names[2], "f3");
    assert_string_equal(got.target_name, "t");
    assert_int_equal(got.standardize.nfeat, 3);
    assert_memory_equal(got.standardize.mean, info.standardize.mean, 3 * sizeof(double));
    assert_memory_equal(got.standardize.std, info.standardize.std, 3 * sizeof(double));
    assert_true(got.has_loss && got.loss == MG_LOSS_KIND_CE);
    double v;
    assert_true(mg_model_info_metric(&got, "train_loss", &v) && v == 0.1 + 0.2);
    assert_true(mg_model_info_metric(&got, "val_loss", &v) && isnan(v));
    assert_false(mg_model_info_metric(&got, "nothing", &v));
    assert_string_equal(mg_model_info_setting(&got, "optimizer"), "adamw");
    assert_string_equal(mg_model_info_setting(&got, "note"), "caf\xc3\xa9 \"quoted\"");
    assert_null(mg_model_info_setting(&got, "epochs"));

    /* Identical predictions. */
    for (int k = 0; k < 5; k++) {
        double x[3] = {k - 2.0, 0.5 * k, 1.0 / (k + 1)}, a[2], b[2];
        assert_int_equal(mg_mlp_predict(ctx, m, x, a, &err), 0);
        assert_int_equal(mg_mlp_predict(ctx2, m2, x, b, &err), 0);
        assert_memory_equal(a, b, sizeof a);
    }
    mg_mlp_free(m);
    mg_mlp_free(m2);
    mg_model_info_free(&info);
    mg_model_info_free(&got);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
    mg_ctx_free(ctx2);
}

/* The file read without the library: the header's JSON, each tensor's place, and the
 * raw little-endian numbers. MLP(2, [3, 1]) has W0 [3, 2] (48 bytes), b0 [3] (24), W1
 * [1, 3] (24), b1 [1] (8). */
static void test_layout(void **state) {
    (void)state;
    NEEDS_JANSSON();
#ifdef MG_HAVE_JANSSON
    mg_ctx *ctx = mg_ctx_new();
    mg_mlp *m = make_model(ctx, 2, 2, (const size_t[]){3, 1}, NULL);
    const char *path = tu_path("layout.safetensors");
    save_ok(path, ctx, m, NULL);
    size_t len;
    unsigned char *f = (unsigned char *)tu_read_file(path, &len);
    assert_non_null(f);
    uint64_t n = le64(f);
    assert_true(n % 8 == 0);
    assert_int_equal(len, 8 + n + 104);
    assert_int_equal(f[8], '{');
    json_error_t je;
    json_t *h = json_loadb((const char *)f + 8, n, 0, &je);
    if (!h) fail_msg("header: %s", je.text);
    static const struct {
        const char *name;
        int rows, cols, begin, end;
    } want[] = {
        {"layers.0.weight", 3, 2, 0, 48}, {"layers.0.bias", 3, 0, 48, 72},
        {"layers.1.weight", 1, 3, 72, 96}, {"layers.1.bias", 1, 0, 96, 104}};
    assert_int_equal(json_object_size(h), 5);
    for (size_t k = 0; k < 4; k++) {
        json_t *t = json_object_get(h, want[k].name);
        assert_non_null(t);
        assert_string_equal(json_string_value(json_object_get(t, "dtype")), "F64");
        json_t *shape = json_object_get(t, "shape"), *off = json_object_get(t, "data_offsets");
        assert_int_equal(json_array_size(shape), want[k].cols ? 2 : 1);
        assert_int_equal(json_integer_value(json_array_get(shape, 0)), want[k].rows);
        if (want[k].cols) assert_int_equal(json_integer_value(json_array_get(shape, 1)), want[k].cols);
        assert_int_equal(json_integer_value(json_array_get(off, 0)), want[k].begin);
        assert_int_equal(json_integer_value(json_array_get(off, 1)), want[k].end);
    }
    json_t *meta = json_object_get(h, "__metadata__");
    assert_string_equal(json_string_value(json_object_get(meta, "format")), "micrograd-mlp");
    assert_string_equal(json_string_value(json_object_get(meta, "format_version")), "1");
    assert_string_equal(json_string_value(json_object_get(meta, "nin")), "2");
    assert_string_equal(json_string_value(json_object_get(meta, "sizes")), "[3,1]");
    assert_string_equal(json_string_value(json_object_get(meta, "activations")),
                        "[\"relu\",\"linear\"]");
    assert_string_equal(json_string_value(json_object_get(meta, "task")), "regression");
    json_decref(h);
    /* Parameters in micrograd's order: neuron j of layer 0 is p[3j], p[3j+1] (weights)
     * and p[3j+2] (bias); the output neuron p[9..11] and p[12]. Parameter k is k/4 - 1. */
    const unsigned char *data = f + 8 + n;
    for (int j = 0; j < 3; j++) {
        for (int i = 0; i < 2; i++)
            assert_true(le_f64(data + 8 * (2 * j + i)) == (3 * j + i) * 0.25 - 1);
        assert_true(le_f64(data + 48 + 8 * j) == (3 * j + 2) * 0.25 - 1);
        assert_true(le_f64(data + 72 + 8 * j) == (9 + j) * 0.25 - 1);
    }
    assert_true(le_f64(data + 96) == 12 * 0.25 - 1);
    free(f);
    /* By hand from p_k = k/4 - 1: layer 0 (relu) has w = (-1, -0.75), b = -0.5;
     * w = (-0.25, 0), b = 0.25; w = (0.5, 0.75), b = 1; the output w = (1.25, 1.5, 1.75),
     * b = 2. At x = (1, -2) every hidden sum is <= 0, so the output is its bias, 2. At
     * x = (2, 1): h = (0, 0, relu(1 + 1 + 0.75) = 2.75), out = 2 + 1.75 * 2.75 = 6.8125. */
    mg_ctx *ctx2 = mg_ctx_new();
    mg_mlp *m2 = load_ok(path, ctx2, NULL);
    double out, x1[2] = {1, -2}, x2[2] = {2, 1};
    mg_err err = {0};
    assert_int_equal(mg_mlp_predict(ctx2, m2, x1, &out, &err), 0);
    assert_true(out == 2.0);
    assert_int_equal(mg_mlp_predict(ctx2, m2, x2, &out, &err), 0);
    assert_true(out == 6.8125);
    mg_mlp_free(m2);
    mg_ctx_free(ctx2);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
#endif
}

/* ==== hand-made files ====================================================================== */

/* Writes a safetensors file: the length (or hlen_override when >= 0), the header text,
 * then nvals little-endian doubles. */
static void write_st(const char *path, const char *header, long long hlen_override,
                     const double *vals, size_t nvals) {
    size_t hl = strlen(header), len = 8 + hl + 8 * nvals;
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    uint64_t h = hlen_override >= 0 ? (uint64_t)hlen_override : hl;
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(h >> (8 * i));
    memcpy(buf + 8, header, hl);
    for (size_t k = 0; k < nvals; k++) {
        uint64_t v;
        memcpy(&v, &vals[k], sizeof v);
        for (int i = 0; i < 8; i++) buf[8 + hl + 8 * k + (size_t)i] = (unsigned char)(v >> (8 * i));
    }
    tu_write_file(path, (const char *)buf, len);
    free(buf);
}

#define META_OK                                                                            \
    "\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"2\","    \
    "\"sizes\":\"[1]\",\"activations\":\"[\\\"linear\\\"]\",\"task\":\"regression\"}"
#define WEIGHT_OK "\"layers.0.weight\":{\"dtype\":\"F64\",\"shape\":[1,2],\"data_offsets\":[0,16]}"
#define BIAS_OK "\"layers.0.bias\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,24]}"

/* A file written by hand (tensors before the metadata, no padding) loads and computes
 * 1*1 + 2*1 + 0.5 = 3.5 at x = (1, 1). */
static void test_hand_made(void **state) {
    (void)state;
    NEEDS_JANSSON();
    const char *path = tu_path("hand.safetensors");
    write_st(path, "{" BIAS_OK "," WEIGHT_OK "," META_OK "}", -1, (const double[]){1, 2, 0.5}, 3);
    mg_ctx *ctx = mg_ctx_new();
    mg_mlp *m = load_ok(path, ctx, NULL);
    double x[2] = {1, 1}, out;
    mg_err err = {0};
    assert_int_equal(mg_mlp_predict(ctx, m, x, &out, &err), 0);
    assert_true(out == 3.5);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

/* Whether text matches pattern, where '*' in the pattern stands for any text (used for
 * the parts of messages that jansson words). */
static int glob_match(const char *pat, const char *text) {
    if (!*pat) return !*text;
    if (*pat == '*') return glob_match(pat + 1, text) || (*text && glob_match(pat, text + 1));
    return *pat == *text && glob_match(pat + 1, text + 1);
}

typedef struct bad_st {
    const char *header;
    long long hlen; /* -1: the header's length */
    int nvals;
    double v1;      /* the second value (NaN to test non-finite weights) */
    mg_status status;
    const char *msg; /* after "path: " */
} bad_st;

static const bad_st bad_files[] = {
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK "}", 4000, 3, 2, MG_STATUS_FORMAT,
     "cut short: its header needs 4000 bytes after the 8-byte length; the file has %zu bytes"},
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK "}", 0, 3, 2, MG_STATUS_FORMAT,
     "not a micrograd model file (its safetensors header length 0 is not plausible)"},
    {"[1]     ", -1, 3, 2, MG_STATUS_FORMAT, "not a micrograd model file (no safetensors header)"},
    {"{\"a\":", -1, 3, 2, MG_STATUS_FORMAT,
     "bad JSON in the header at byte 13: *"},
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK ",\"layers.0.bias\":{}}", -1, 3, 2, MG_STATUS_FORMAT,
     "bad JSON in the header at byte *: duplicate object key*"},
    {"{" META_OK ",\"layers.0.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,16]},"
     BIAS_OK "}", -1, 3, 2, MG_STATUS_FORMAT, "tensor 'layers.0.weight' has dtype F32; micrograd models are F64"},
    {"{" META_OK ",\"layers.0.weight\":{\"dtype\":\"F64\",\"shape\":[2,1],\"data_offsets\":[0,16]},"
     BIAS_OK "}", -1, 3, 2, MG_STATUS_FORMAT,
     "tensor 'layers.0.weight' has shape [2, 1]; the architecture needs [1, 2]"},
    {"{" META_OK ",\"layers.0.weight\":{\"dtype\":\"F64\",\"shape\":[1,3],\"data_offsets\":[0,16]},"
     BIAS_OK "}", -1, 3, 2, MG_STATUS_FORMAT,
     "tensor 'layers.0.weight': its shape needs 24 bytes, its offsets give 16"},
    {"{" META_OK ",\"layers.0.weight\":{\"dtype\":\"F64\",\"shape\":[-1,2],\"data_offsets\":[0,16]},"
     BIAS_OK "}", -1, 3, 2, MG_STATUS_FORMAT,
     "tensor 'layers.0.weight' has a bad shape (expected [rows] or [rows, cols])"},
    {"{" META_OK "," WEIGHT_OK ",\"layers.0.bias\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]}}",
     -1, 3, 2, MG_STATUS_FORMAT, "tensors 'layers.0.weight' and 'layers.0.bias' overlap"},
    {"{" META_OK "," WEIGHT_OK ",\"layers.0.bias\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[24,32]}}",
     -1, 3, 2, MG_STATUS_FORMAT, "tensor 'layers.0.bias' ends at byte 32, past the data's 24 bytes"},
    {"{" META_OK "," WEIGHT_OK ",\"layers.0.bias\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[24,32]}}",
     -1, 4, 2, MG_STATUS_FORMAT,
     "a gap of 8 bytes before tensor 'layers.0.bias' (safetensors data is contiguous)"},
    {"{" META_OK "," WEIGHT_OK ",\"layers.0.bias\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,-8]}}",
     -1, 3, 2, MG_STATUS_FORMAT, "tensor 'layers.0.bias' has bad data_offsets (expected [begin, end])"},
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK "}", -1, 4, 2, MG_STATUS_FORMAT, "8 bytes after the last tensor"},
    {"{" META_OK "," WEIGHT_OK "}", -1, 2, 2, MG_STATUS_FORMAT, "tensor 'layers.0.bias' is missing"},
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK ",\"extra\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[24,32]}}",
     -1, 4, 2, MG_STATUS_FORMAT, "unexpected tensor 'extra'"},
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK "}", -1, 3, NAN, MG_STATUS_NUMERIC,
     "tensor 'layers.0.weight' holds nan at entry 1"},
    {"{" WEIGHT_OK "," BIAS_OK "}", -1, 3, 2, MG_STATUS_FORMAT,
     "no 'format' in the metadata (not a micrograd model?)"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"3\"}," WEIGHT_OK "," BIAS_OK "}",
     -1, 3, 2, MG_STATUS_FORMAT, "format version '3'; this build reads versions 1 and 2"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":2}," WEIGHT_OK
     "," BIAS_OK "}", -1, 3, 2, MG_STATUS_FORMAT, "metadata 'nin' is not a string"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"-2\"}," WEIGHT_OK
     "," BIAS_OK "}", -1, 3, 2, MG_STATUS_FORMAT, "metadata 'nin' is not a positive whole number"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"2\","
     "\"sizes\":\"[1]\",\"activations\":\"[\\\"swish\\\"]\",\"task\":\"regression\"}," WEIGHT_OK "," BIAS_OK "}",
     -1, 3, 2, MG_STATUS_FORMAT, "layer 0's activation is not one of linear, relu, tanh, sigmoid"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"2\","
     "\"sizes\":\"[1,1]\",\"activations\":\"[\\\"relu\\\"]\",\"task\":\"regression\"}," WEIGHT_OK "," BIAS_OK "}",
     -1, 3, 2, MG_STATUS_FORMAT, "2 layer sizes but 1 activations"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"2\","
     "\"sizes\":\"1\",\"activations\":\"[\\\"relu\\\"]\",\"task\":\"regression\"}," WEIGHT_OK "," BIAS_OK "}",
     -1, 3, 2, MG_STATUS_FORMAT, "metadata 'sizes' is not a JSON list"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"2\","
     "\"sizes\":\"[1]\",\"activations\":\"[\\\"linear\\\"]\",\"task\":\"classification\","
     "\"classes\":\"[\\\"a\\\",\\\"b\\\",\\\"c\\\"]\"}," WEIGHT_OK "," BIAS_OK "}",
     -1, 3, 2, MG_STATUS_FORMAT, "the outputs do not match the classes (one per class, or one for two)"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"2\","
     "\"sizes\":\"[1]\",\"activations\":\"[\\\"linear\\\"]\",\"task\":\"classification\"}," WEIGHT_OK "," BIAS_OK "}",
     -1, 3, 2, MG_STATUS_FORMAT, "no 'classes' in the metadata"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"2\","
     "\"sizes\":\"[1]\",\"activations\":\"[\\\"linear\\\"]\",\"task\":\"regression\","
     "\"features\":\"[\\\"a\\\"]\"}," WEIGHT_OK "," BIAS_OK "}",
     -1, 3, 2, MG_STATUS_FORMAT, "metadata 'features' has 1 entries, expected 2"},
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK
     ",\"standardize.mean\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[24,40]},"
     "\"standardize.std\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[40,56]}}",
     -1, 7, 2, MG_STATUS_FORMAT, "tensor 'standardize.std' holds 0 at entry 1 (must be > 0)"},
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK
     ",\"target.mean\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[24,32]},"
     "\"target.std\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[32,40]}}",
     -1, 5, 2, MG_STATUS_FORMAT, "tensor 'target.std' holds 0 at entry 0 (must be > 0)"},
    {"{" META_OK "," WEIGHT_OK "," BIAS_OK
     ",\"target.mean\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[24,40]},"
     "\"target.std\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[40,56]}}",
     -1, 7, 2, MG_STATUS_FORMAT, "tensor 'target.mean' has shape [2]; the architecture needs [1]"},
    {"{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"1\",\"nin\":\"2\","
     "\"sizes\":\"[1]\",\"activations\":\"[\\\"linear\\\"]\",\"task\":\"regression\","
     "\"drop\":\"\\\"id\\\"\"}," WEIGHT_OK "," BIAS_OK "}",
     -1, 3, 2, MG_STATUS_FORMAT, "metadata 'drop' is not a JSON list"},
};

#define CLASSIFIER_WITH_TARGET "{\"__metadata__\":{\"format\":\"micrograd-mlp\",\"format_version\":\"2\",\"nin\":\"2\"," \
     "\"sizes\":\"[1]\",\"activations\":\"[\\\"linear\\\"]\",\"task\":\"classification\"," \
     "\"classes\":\"[\\\"a\\\",\\\"b\\\"]\"}," WEIGHT_OK "," BIAS_OK \
     ",\"target.mean\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[24,32]}," \
     "\"target.std\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[32,40]}}"

static void test_bad_files(void **state) {
    (void)state;
    NEEDS_JANSSON();
    const char *p = tu_path("bad.safetensors");
    char path[1024];
    snprintf(path, sizeof path, "%s", p);
    mg_ctx *ctx = mg_ctx_new();
    for (size_t k = 0; k < sizeof bad_files / sizeof bad_files[0]; k++) {
        const bad_st *c = &bad_files[k];
        double vals[7] = {1, c->v1, 0.5, 0, 0, 1, 0}; /* mean (0, 0), std (1, 0) */
        write_st(path, c->header, c->hlen, vals, (size_t)c->nvals);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        char want[1500], msg[400];
        snprintf(msg, sizeof msg, c->msg, (size_t)st.st_size);
        snprintf(want, sizeof want, "%s: %s", path, msg);
        mg_err err = {0};
        mg_model_info info;
        mg_mlp *m = mg_model_load(path, ctx, &info, &err);
        if (m) fail_msg("case %zu loaded", k);
        if (err.status != c->status || !glob_match(want, err.msg))
            fail_msg("case %zu: %d \"%s\"\nexpected %d \"%s\"", k, err.status, err.msg, c->status, want);
        assert_int_equal(mg_ctx_size(ctx), 0); /* nothing made */
        assert_int_equal(info.nclasses + info.nmetrics + info.nsettings, 0);
    }
    mg_err err = {0};
    /* A classifier cannot have a target scale (its own values: a std of 10). */
    write_st(path, CLASSIFIER_WITH_TARGET, -1, (const double[]){1, 2, 0.5, 100, 10}, 5);
    assert_null(mg_model_load(path, ctx, NULL, &err));
    assert_non_null(strstr(err.msg, ": a classifier with a target scale (target.mean, target.std)"));
    tu_write_file(path, "\x10\0\0", 3);
    assert_null(mg_model_load(path, ctx, NULL, &err));
    char want[1200];
    snprintf(want, sizeof want, "%s: not a micrograd model file (no safetensors header)", path);
    assert_string_equal(err.msg, want);
    /* Text is not a model, whatever its first 8 bytes would make as a length. */
    tu_write_file(path, "sepal_length,sepal_width,species\n5.1,3.5,setosa\n", (size_t)-1);
    assert_null(mg_model_load(path, ctx, NULL, &err));
    assert_string_equal(err.msg, want);
    assert_null(mg_model_load(tu_path("absent.safetensors"), ctx, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_IO);
    mg_ctx_free(ctx);
}

/* Every prefix of a good file fails cleanly; so do random byte changes in its header. */
static void test_truncation_and_corruption(void **state) {
    (void)state;
    NEEDS_JANSSON();
    mg_ctx *ctx = mg_ctx_new();
    mg_mlp *m = make_model(ctx, 2, 2, (const size_t[]){2, 2}, NULL);
    mg_model_info info;
    mg_model_info_init(&info);
    char *names[] = {"a", "b"};
    info.nclasses = 2;
    info.class_names = names; /* borrowed: not freed below */
    char path[1024], cut[1024];
    snprintf(path, sizeof path, "%s", tu_path("good.safetensors"));
    snprintf(cut, sizeof cut, "%s", tu_path("cut.safetensors"));
    save_ok(path, ctx, m, &info);
    size_t len;
    char *good = tu_read_file(path, &len);
    mg_ctx *ctx2 = mg_ctx_new();
    mg_mark empty = mg_ctx_mark(ctx2);
    for (size_t n = 0; n < len; n++) {
        tu_write_file(cut, good, n);
        mg_err err = {0};
        assert_null(mg_model_load(cut, ctx2, NULL, &err));
        assert_int_equal(err.status, MG_STATUS_FORMAT);
    }
    mg_rng rng;
    mg_rng_seed(&rng, 3);
    char *bad = malloc(len);
    size_t hlen = (size_t)le64((const unsigned char *)good);
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(bad, good, len);
        int flips = 1 + (int)mg_rng_below(&rng, 3);
        for (int k = 0; k < flips; k++) {
            size_t at = mg_rng_below(&rng, (uint32_t)(8 + hlen));
            if (mg_rng_below(&rng, 2)) bad[at] = (char)mg_rng_u32(&rng);
            else bad[at] = "{}[]\",:0123456789"[mg_rng_below(&rng, 17)];
        }
        tu_write_file(cut, bad, len);
        mg_err err = {0};
        mg_model_info got;
        mg_mlp *m2 = mg_model_load(cut, ctx2, &got, &err);
        if (m2) {
            mg_mlp_free(m2);
            mg_model_info_free(&got);
        } else {
            assert_true(err.status == MG_STATUS_FORMAT || err.status == MG_STATUS_NUMERIC);
        }
        mg_ctx_reset(ctx2, empty);
    }
    free(bad);
    free(good);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
    mg_ctx_free(ctx2);
}

/* ==== saving: refusals and atomicity ======================================================= */

static int leftover_temps(void) {
    DIR *dir = opendir(tu_tmpdir());
    assert_non_null(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));) n += strstr(e->d_name, ".tmp") != NULL;
    closedir(dir);
    return n;
}

static void test_atomic_save(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_mlp *m = make_model(ctx, 2, 1, (const size_t[]){1}, NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s", tu_path("keep.safetensors"));
    mg_err err = {0};
    if (!mg_model_files_available()) {
        assert_int_equal(mg_model_save(path, ctx, m, NULL, &err), MG_STATUS_UNSUPPORTED);
        assert_null(mg_model_load(path, ctx, NULL, &err));
        assert_int_equal(err.status, MG_STATUS_UNSUPPORTED);
        mg_mlp_free(m);
        mg_ctx_free(ctx);
        return;
    }
    save_ok(path, ctx, m, NULL);
    size_t len0;
    char *before = tu_read_file(path, &len0);
    /* A non-finite weight: refused, the old file untouched, no temporary left. */
    mg_data_ptr(ctx, m->first)[1] = INFINITY;
    assert_int_equal(mg_model_save(path, ctx, m, NULL, &err), MG_STATUS_NUMERIC);
        char want[1200];
    snprintf(want, sizeof want, "%s: cannot save: parameter 1 (layer 0, neuron 0, a weight) is inf", path);
    assert_string_equal(err.msg, want);
    size_t len1;
    char *after = tu_read_file(path, &len1);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    free(after);
    mg_data_ptr(ctx, m->first)[1] = 0.5;
    /* A directory in the way: rename fails, the temporary is removed. */
    char dirpath[1024];
    snprintf(dirpath, sizeof dirpath, "%s", tu_path("adir"));
    assert_int_equal(mkdir(dirpath, 0755), 0);
    assert_int_equal(mg_model_save(dirpath, ctx, m, NULL, &err), MG_STATUS_IO);
    char want_dir[1200];
    snprintf(want_dir, sizeof want_dir, "%s: cannot write: is a directory", dirpath);
    assert_string_equal(err.msg, want_dir);
    assert_int_equal(leftover_temps(), 0);
    assert_int_equal(mg_model_save("/nonexistent-dir/m.safetensors", ctx, m, NULL, &err),
                     MG_STATUS_IO);
    assert_non_null(strstr(err.msg, "cannot create a temporary file next to it"));
    /* Through a symbolic link: the file it names is replaced, the link stays. */
    char link[1024];
    snprintf(link, sizeof link, "%s", tu_path("link.safetensors"));
    assert_int_equal(symlink("keep.safetensors", link), 0);
    save_ok(link, ctx, m, NULL);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* A device is written in place, never replaced by a rename. Only root can make one;
     * this one is a private copy of /dev/null in the test's directory. */
    char dev[1024];
    snprintf(dev, sizeof dev, "%s", tu_path("null-device"));
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        save_ok(dev, ctx, m, NULL);
        assert_int_equal(stat(dev, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    } else {
        print_message("note: not root, the device case is not checked\n");
    }
    /* Saving over a good file replaces it completely. */
    save_ok(path, ctx, m, NULL);
    after = tu_read_file(path, &len1);
    assert_int_equal(len0, len1);
    assert_memory_not_equal(before, after, len0);
    assert_int_equal(leftover_temps(), 0);
    free(after);
    free(before);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

/* The writer's promises (micrograd.h section 14e) for model files: a checkpoint is the
 * same kind of write. */
typedef struct saved_model {
    mg_ctx *ctx;
    mg_mlp *m;
} saved_model;

static mg_status save_model(void *user, const char *path, mg_err *err) {
    saved_model *s = user;
    return mg_model_save(path, s->ctx, s->m, NULL, err);
}

static void test_writer_promises(void **state) {
    (void)state;
    NEEDS_JANSSON();
    saved_model s;
    s.ctx = mg_ctx_new();
    s.m = make_model(s.ctx, 3, 1, (const size_t[]){2}, NULL);
    wc_check("model", "safetensors", save_model, &s, 64);
    mg_mlp_free(s.m);
    mg_ctx_free(s.ctx);
}

static void test_save_refusals(void **state) {
    (void)state;
    NEEDS_JANSSON();
    mg_ctx *ctx = mg_ctx_new();
    mg_mlp *m = make_model(ctx, 3, 1, (const size_t[]){2}, NULL);
    const char *path = tu_path("refused.safetensors");
    mg_model_info info;
    mg_model_info_init(&info);
    char *three[] = {"a", "b", "c"}, *two[] = {"x", "y"}, *latin1[] = {"caf\xe9", "b"};
    double mean[2] = {0, 0}, sd[2] = {1, 1};
    struct {
        size_t nclasses;
        char **classes;
        size_t nfeat;
        char **feats;
        size_t nstd;
        int has_loss;
        mg_loss_kind loss;
        const char *msg;
    } cases[] = {
        {3, three, 0, NULL, 0, 0, MG_LOSS_KIND_MSE,
         "cannot save: the outputs do not match the classes (one per class, or one for two)"},
        {1, three, 0, NULL, 0, 0, MG_LOSS_KIND_MSE, "cannot save: a classifier needs at least 2 classes"},
        {0, NULL, 2, two, 0, 0, MG_LOSS_KIND_MSE, "cannot save: 2 feature names for 3 inputs"},
        {0, NULL, 0, NULL, 2, 0, MG_LOSS_KIND_MSE,
         "cannot save: a standardisation of 2 features for 3 inputs"},
        {2, latin1, 0, NULL, 0, 0, MG_LOSS_KIND_MSE, "cannot save: class name 1 is not valid UTF-8"},
        {0, NULL, 0, NULL, 0, 1, MG_LOSS_KIND_MSE, "cannot save: an MSE model is a regressor with one output"},
        {2, two, 0, NULL, 0, 1, MG_LOSS_KIND_BCE, "cannot save: a BCE or hinge model has one output for 2 classes"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        info.nclasses = cases[k].nclasses;
        info.class_names = cases[k].classes;
        info.nfeat = cases[k].nfeat;
        info.feature_names = cases[k].feats;
        info.standardize = (mg_standardizer){cases[k].nstd, mean, sd};
        info.has_loss = cases[k].has_loss;
        info.loss = cases[k].loss;
        mg_err err = {0};
        assert_int_equal(mg_model_save(path, ctx, m, &info, &err), MG_STATUS_INVALID);
        char want[1400];
        snprintf(want, sizeof want, "%s: %s", path, cases[k].msg);
        assert_string_equal(err.msg, want);
    }
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

/* ==== info helpers and standardisation ===================================================== */

static void test_info_helpers(void **state) {
    (void)state;
    mg_model_info info;
    mg_model_info_init(&info);
    mg_err err = {0};
    assert_int_equal(mg_model_info_set_metric(&info, "acc", 0.5, &err), 0);
    assert_int_equal(mg_model_info_set_metric(&info, "acc", 0.75, &err), 0);
    assert_int_equal(mg_model_info_set_setting(&info, "lr", "0.1", &err), 0);
    assert_int_equal(mg_model_info_set_setting(&info, "lr", "0.01", &err), 0);
    assert_int_equal(info.nmetrics, 1);
    assert_int_equal(info.nsettings, 1);
    double v;
    assert_true(mg_model_info_metric(&info, "acc", &v) && v == 0.75);
    assert_string_equal(mg_model_info_setting(&info, "lr"), "0.01");
    /* A dataset with classes but no names gets "0", "1", ... */
    mg_dataset *d = mg_dataset_new(2, 1, 3, &err);
    assert_int_equal(mg_model_info_set_dataset(&info, d, &err), 0);
    assert_int_equal(info.nclasses, 3);
    assert_string_equal(info.class_names[2], "2");
    assert_int_equal(info.nfeat, 0);
    mg_dataset_free(d);
    mg_model_info_free(&info);
    mg_model_info_free(&info); /* twice is fine: it is empty */
    mg_model_info_free(NULL);
}

/* Population statistics: x = 1, 2, 3, 4 has mean 2.5 and std sqrt(1.25); a constant
 * column gets std 1 and becomes exactly 0. */
static void test_standardizer(void **state) {
    (void)state;
    mg_err err = {0};
    mg_dataset *d = mg_csv_parse("1,7,0\n2,7,1\n3,7,0\n4,7,1\n", 24, NULL, NULL, &err);
    assert_non_null(d);
    mg_standardizer s;
    assert_int_equal(mg_standardizer_fit(&s, d, &err), 0);
    assert_true(s.mean[0] == 2.5 && s.std[0] == sqrt(1.25));
    assert_true(s.mean[1] == 7 && s.std[1] == 1);
    mg_standardizer_apply(&s, d);
    assert_true(d->x[0] == -1.5 / sqrt(1.25) && d->x[1] == 0);
    assert_true(d->x[6] == 1.5 / sqrt(1.25) && d->x[7] == 0);
    double row[2] = {2.5, 8};
    mg_standardizer_apply_row(&s, row);
    assert_true(row[0] == 0 && row[1] == 1);
    mg_standardizer_free(&s);
    mg_standardizer_free(&s);
    d->x[3] = INFINITY;
    assert_int_equal(mg_standardizer_fit(&s, d, &err), MG_STATUS_NUMERIC);
    assert_int_equal(s.nfeat, 0);
    mg_dataset_free(d);
}

static int teardown_all(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

/* Files that would be read forever, and directories, are refused by every loader before
 * a byte is read. */
static void test_devices_refused(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_err err = {0};
#ifdef MG_HAVE_JANSSON
    assert_null(mg_model_load("/dev/zero", ctx, NULL, &err));
    assert_int_equal(err.status, MG_STATUS_IO);
    assert_string_equal(err.msg, "/dev/zero: is a device, not a file");
#endif
    assert_null(mg_csv_load("/dev/urandom", NULL, &err));
    assert_string_equal(err.msg, "/dev/urandom: is a device, not a file");
    assert_null(mg_idx_load("/dev/zero", "/dev/zero", 0, &err));
    assert_string_equal(err.msg, "/dev/zero: is a device, not a file");
    assert_null(mg_csv_load("/", NULL, &err));
    assert_string_equal(err.msg, "/: is a directory, not a file");
    assert_int_equal(mg_ctx_size(ctx), 0);
    mg_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_target_scale_and_drop),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_hand_made),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_truncation_and_corruption),
        cmocka_unit_test(test_atomic_save),
        cmocka_unit_test(test_writer_promises),
        cmocka_unit_test(test_save_refusals),
        cmocka_unit_test(test_info_helpers),
        cmocka_unit_test(test_standardizer),
        cmocka_unit_test(test_devices_refused),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
