/* make_seeds.c - writes the binary seeds of fuzz/corpus/: model files made by the library
 * (fuzz/corpus/model/) and IDX inputs in fuzz_idx's layout (fuzz/corpus/idx/), plain and
 * gzipped. Text seeds (scripts, CSV) are written by hand. Run from the build:
 *     build-fuzz/fuzz/make_seeds fuzz/corpus
 * The output is deterministic, so the committed files can be checked by regenerating. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"
#ifdef MG_HAVE_ZLIB
#include <zlib.h>
#endif

static const char *outdir;

static void die(const char *what, const mg_err *err) {
    fprintf(stderr, "make_seeds: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static const char *path_of(const char *sub, const char *name) {
    static char p[4096];
    snprintf(p, sizeof p, "%s/%s/%s", outdir, sub, name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f)) die(path, NULL);
}

/* ==== model files ======================================================================== */

typedef struct model_seed {
    const char *name;
    size_t nin, nlayers, sizes[3];
    mg_act acts[3];
    size_t nclasses;
    int has_loss;
    mg_loss_kind loss;
    int names, standardize, extras;
} model_seed;

static const model_seed models[] = {
    {"regress_2_1.safetensors", 2, 1, {1}, {MG_ACT_LINEAR}, 0, 0, MG_LOSS_KIND_MSE, 0, 0, 0},
    {"regress_mse_named.safetensors", 2, 2, {3, 1}, {MG_ACT_TANH, MG_ACT_LINEAR}, 0, 1,
     MG_LOSS_KIND_MSE, 1, 1, 1},
    {"bce_3_2_1.safetensors", 3, 2, {2, 1}, {MG_ACT_RELU, MG_ACT_LINEAR}, 2, 1, MG_LOSS_KIND_BCE, 1, 0,
     0},
    {"hinge_sigmoid.safetensors", 2, 2, {2, 1}, {MG_ACT_SIGMOID, MG_ACT_LINEAR}, 2, 1,
     MG_LOSS_KIND_HINGE, 0, 0, 1},
    /* extras 2: a target scale (format version 2) and dropped columns too */
    {"regress_scaled_drop.safetensors", 3, 2, {2, 1}, {MG_ACT_RELU, MG_ACT_LINEAR}, 0, 1,
     MG_LOSS_KIND_MSE, 1, 1, 2},
    {"ce_2_4_3.safetensors", 2, 3, {4, 4, 3}, {MG_ACT_RELU, MG_ACT_TANH, MG_ACT_LINEAR}, 3, 1,
     MG_LOSS_KIND_CE, 1, 1, 1},
};

static void make_model(const model_seed *s) {
    static const char *const classes[3] = {"setosa", "versicolor", "7"};
    static const char *const feats[3] = {"x", "y", "z"};
    mg_err err;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) die("context", NULL);
    mg_mlp *m = mg_mlp_new(ctx, s->nin, s->nlayers, s->sizes, s->acts, MG_INIT_SCALED, NULL, &err);
    if (!m) die(s->name, &err);
    mg_model_info info;
    mg_model_info_init(&info);
    if (s->nclasses) {
        mg_dataset d = {0};
        d.nfeat = s->nin;
        d.nclasses = s->nclasses;
        d.class_names = (char **)classes;
        d.feature_names = s->names ? (char **)feats : NULL;
        d.target_name = s->names ? "label" : NULL;
        if (mg_model_info_set_dataset(&info, &d, &err)) die(s->name, &err);
    } else if (s->names) {
        mg_dataset d = {0};
        d.nfeat = s->nin;
        d.feature_names = (char **)feats;
        d.target_name = "price";
        if (mg_model_info_set_dataset(&info, &d, &err)) die(s->name, &err);
    }
    info.has_loss = s->has_loss;
    info.loss = s->loss;
    if (s->standardize) {
        double mean[3] = {0.5, -1.25, 3}, std[3] = {1, 0.125, 2.5};
        mg_standardizer st = {s->nin, mean, std};
        if (mg_model_info_set_standardizer(&info, &st, &err)) die(s->name, &err);
    }
    if (s->extras) {
        if (mg_model_info_set_metric(&info, "train_loss", 0.0625, &err) ||
            mg_model_info_set_metric(&info, "test_accuracy", 0.9, &err) ||
            mg_model_info_set_metric(&info, "val_loss", 0.0 / 0.0, &err) ||
            mg_model_info_set_setting(&info, "epochs", "20", &err) ||
            mg_model_info_set_setting(&info, "optimizer", "adamw", &err))
            die(s->name, &err);
    }
    if (s->extras == 2) {
        double mean = 300000, sd = 37500.5;
        mg_standardizer ts1 = {1, &mean, &sd};
        const char *drop[2] = {"id", ""};
        if (mg_model_info_set_target_scale(&info, &ts1, &err) ||
            mg_model_info_set_drop(&info, 2, drop, &err))
            die(s->name, &err);
    }
    /* The last seed is a checkpoint: the training state of a 6-sample run after 4 steps. */
    size_t order[6] = {3, 0, 5, 1, 4, 2};
    double moments[2][64] = {{0}};
    mg_train_state ts = {4, 1, 2, 6, order,
                         {.kind = MG_RNG_XORSHIFT, .state = 0x9e3779b97f4a7c15u, .has_spare = 1,
                          .spare = -0.5},
                         4, m->nparams, moments[0], moments[1]};
    if (s == &models[sizeof models / sizeof models[0] - 1]) {
        if (m->nparams > 64) die("checkpoint seed too large", NULL);
        for (size_t i = 0; i < m->nparams; i++) moments[0][i] = 0.01 * (double)i, moments[1][i] = 1e-4;
        info.train_state = &ts;
        if (mg_model_save(path_of("model", "checkpoint.safetensors"), ctx, m, &info, &err))
            die("checkpoint", &err);
        info.train_state = NULL;
    }
    if (mg_model_save(path_of("model", s->name), ctx, m, &info, &err)) die(s->name, &err);
    mg_model_info_free(&info);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

/* ==== IDX inputs ========================================================================= */

/* An IDX file of unsigned bytes: magic 00 00 08 ndims, big-endian dims, the data. */
static size_t idx_file(unsigned char *out, unsigned ndims, const uint32_t *dims,
                       const unsigned char *data, size_t ndata) {
    size_t k = 0;
    out[k++] = 0, out[k++] = 0, out[k++] = 0x08, out[k++] = (unsigned char)ndims;
    for (unsigned i = 0; i < ndims; i++)
        for (int s = 24; s >= 0; s -= 8) out[k++] = (unsigned char)(dims[i] >> s);
    memcpy(out + k, data, ndata);
    return k + ndata;
}

#ifdef MG_HAVE_ZLIB
static size_t gzip_bytes(unsigned char *out, size_t cap, const unsigned char *in, size_t n) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("zlib", NULL);
    z.next_in = (unsigned char *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) die("zlib", NULL);
    size_t len = z.total_out;
    deflateEnd(&z);
    return len;
}
#endif

/* fuzz_idx's input: flags, the label file's length (2 bytes), the cut, labels, images. */
static void write_idx_input(const char *name, unsigned flags, unsigned cut,
                            const unsigned char *lab, size_t nlab, const unsigned char *img,
                            size_t nimg) {
    unsigned char buf[8192];
    if (4 + nlab + nimg > sizeof buf) die(name, NULL);
    buf[0] = (unsigned char)flags, buf[1] = (unsigned char)(nlab >> 8);
    buf[2] = (unsigned char)nlab, buf[3] = (unsigned char)cut;
    memcpy(buf + 4, lab, nlab);
    memcpy(buf + 4 + nlab, img, nimg);
    write_bytes(path_of("idx", name), buf, 4 + nlab + nimg);
}

static void make_idx(void) {
    static const unsigned char px[24] = {0, 255, 51, 102, 255, 0, 0, 0, 1, 2, 3, 4,
                                         9, 8,   7,  6,   5,   4, 3, 2, 1, 0, 128, 127};
    static const unsigned char labs[6] = {2, 0, 1, 9, 0, 3};
    unsigned char img[256], lab[64];
    size_t ni = idx_file(img, 3, (const uint32_t[]){3, 2, 2}, px, 12);
    size_t nl = idx_file(lab, 1, (const uint32_t[]){3}, labs, 3);
    write_idx_input("plain_3x2x2", 0x00, 0, lab, nl, img, ni);
    write_idx_input("zlib_both", 0x03, 0, lab, nl, img, ni);
    write_idx_input("zlib_images_max2", 0x21, 0, lab, nl, img, ni);
    write_idx_input("zlib_cut", 0x07, 6, lab, nl, img, ni);
    size_t n4 = idx_file(img, 4, (const uint32_t[]){6, 2, 1, 2}, px, 24);
    size_t nl6 = idx_file(lab, 1, (const uint32_t[]){6}, labs, 6);
    write_idx_input("plain_4dims", 0x00, 0, lab, nl6, img, n4);
    size_t n2 = idx_file(img, 2, (const uint32_t[]){6, 4}, px, 24);
    write_idx_input("plain_2dims_max3", 0x30, 0, lab, nl6, img, n2);
#ifdef MG_HAVE_ZLIB
    /* Raw gzip streams in the input: the fuzzer mutates the compressed bytes themselves. */
    unsigned char gi[512], gl[256];
    ni = idx_file(img, 3, (const uint32_t[]){3, 2, 2}, px, 12);
    nl = idx_file(lab, 1, (const uint32_t[]){3}, labs, 3);
    size_t ngi = gzip_bytes(gi, sizeof gi, img, ni), ngl = gzip_bytes(gl, sizeof gl, lab, nl);
    write_idx_input("gz_raw_both", 0x00, 0, gl, ngl, gi, ngi);
    write_idx_input("gz_raw_images", 0x00, 0, lab, nl, gi, ngi);
#endif
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds CORPUS_DIR   (fuzz/corpus)\n");
        return 2;
    }
    outdir = argv[1];
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) make_model(&models[i]);
    make_idx();
    return 0;
}
