/* idx.c - IDX files (MNIST, Fashion-MNIST), plain or gzipped, into datasets; and the
 * Fashion-MNIST files where Debian installs them. */
#include "files_internal.h"

#include <errno.h>
#include <stdio.h>
#ifdef MG_HAVE_ZLIB
#include <zlib.h>
#endif

/* ==== reading a whole file, inflating gzip ============================================== */

/* The IDX header is at most 4 + 4 * 255 bytes; the data section's size follows from it. */
typedef struct idx_file {
    const char *path;
    unsigned char *bytes; /* the (decompressed) file */
    size_t len;
    size_t ndims;
    size_t dims[4];
    size_t header;        /* bytes before the data */
} idx_file;

static int has_gzip_magic(const char *path) {
    FILE *f = fopen(path, "rb");
    unsigned char m[2] = {0, 0};
    int gz = f && fread(m, 1, 2, f) == 2 && m[0] == 0x1f && m[1] == 0x8b;
    if (f) fclose(f);
    return gz;
}

#ifdef MG_HAVE_ZLIB
/* Inflates a gzip file. Reads grow the buffer only as data arrives, so a header that
 * claims more than the file holds costs nothing before it is found out. */
static mg_status read_gzip(idx_file *f, mg_err *err) {
    mg_status ok = mg__files_check_readable(f->path, err);
    if (ok) return ok;
    errno = 0;
    gzFile gz = gzopen(f->path, "rb");
    if (!gz)
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot open: %s", f->path,
                          errno ? strerror(errno) : "out of memory");
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = mg__malloc(cap);
    mg_status st = buf ? MG_STATUS_OK : MG_STATUS_NOMEM;
    while (!st) {
        if (n == cap) {
            unsigned char *nb = cap > SIZE_MAX / 2 ? NULL : mg__realloc(buf, cap * 2);
            if (!nb) {
                st = MG_STATUS_NOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - n < (1u << 30) ? cap - n : (1u << 30);
        int got = gzread(gz, buf + n, (unsigned)want);
        if (got < 0) {
            int code;
            const char *msg = gzerror(gz, &code);
            mg_err_set(err, code == Z_ERRNO ? MG_STATUS_IO : MG_STATUS_FORMAT,
                       "%s: bad gzip data: %s", f->path, code == Z_ERRNO ? strerror(errno) : msg);
            st = code == Z_ERRNO ? MG_STATUS_IO : MG_STATUS_FORMAT;
            break;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    if (!st) {
        /* gzread stops quietly at a cut-off stream; gzerror tells. */
        int code;
        const char *msg = gzerror(gz, &code);
        if (code != Z_OK)
            st = mg_err_set(err, MG_STATUS_FORMAT, "%s: truncated gzip data (%s)", f->path, msg);
    } else if (st == MG_STATUS_NOMEM) {
        mg_err_set(err, st, "%s: out of memory inflating the file", f->path);
    }
    gzclose(gz);
    if (st) {
        mg__free(buf);
        return st;
    }
    f->bytes = buf;
    f->len = n;
    return MG_STATUS_OK;
}
#endif

static mg_status read_idx_bytes(idx_file *f, mg_err *err) {
    if (has_gzip_magic(f->path)) {
#ifdef MG_HAVE_ZLIB
        return read_gzip(f, err);
#else
        return mg_err_set(err, MG_STATUS_UNSUPPORTED,
                          "%s: gzip-compressed, but this build has no zlib (gunzip the file, or "
                          "install zlib1g-dev and rebuild)",
                          f->path);
#endif
    }
    char *buf = mg__files_read(f->path, &f->len, err);
    if (!buf) return err ? err->status : MG_STATUS_IO;
    f->bytes = (unsigned char *)buf;
    return MG_STATUS_OK;
}

/* ==== the header ======================================================================== */

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Reads and checks the header: magic, type, dimensions, and that the data section is
 * exactly as long as they say. */
static mg_status parse_header(idx_file *f, unsigned expect_ndims_min, unsigned expect_ndims_max,
                              const char *what, mg_err *err) {
    if (f->len < 4)
        return mg_err_set(err, MG_STATUS_FORMAT, "%s: %zu bytes: too short for an IDX file",
                          f->path, f->len);
    const unsigned char *b = f->bytes;
    if (b[0] || b[1])
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: not an IDX file (magic %02x%02x%02x%02x; expected 0000080%u)",
                          f->path, b[0], b[1], b[2], b[3], expect_ndims_min == 1 ? 1u : 3u);
    if (b[2] != 0x08)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: data type 0x%02x not supported (only unsigned bytes, 0x08)",
                          f->path, b[2]);
    unsigned nd = b[3];
    if (nd < expect_ndims_min || nd > expect_ndims_max)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: %u dimensions, but %s files have %u (magic 0x%08x)", f->path, nd,
                          what, expect_ndims_min == 1 ? 1u : 3u, (unsigned)be32(b));
    f->ndims = nd;
    f->header = 4 + 4 * (size_t)nd;
    if (f->len < f->header)
        return mg_err_set(err, MG_STATUS_FORMAT, "%s: truncated header (%zu of %zu bytes)",
                          f->path, f->len, f->header);
    size_t total = 1;
    for (unsigned i = 0; i < nd; i++) {
        f->dims[i] = be32(b + 4 + 4 * i);
        total = mg__mul_size(total, f->dims[i]);
    }
    if (total == SIZE_MAX || total != f->len - f->header) {
        char dims[64];
        int k = 0;
        for (unsigned i = 0; i < nd && k < (int)sizeof dims; i++)
            k += snprintf(dims + k, sizeof dims - (size_t)k, "%s%zu", i ? " x " : "", f->dims[i]);
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: the header says %s bytes of data, the file has %zu (%s)", f->path,
                          dims, f->len - f->header,
                          total < f->len - f->header ? "trailing bytes" : "truncated data");
    }
    if (f->dims[0] == 0) return mg_err_set(err, MG_STATUS_FORMAT, "%s: no samples", f->path);
    /* A zero size past the count makes images of no pixels, and an empty data section
     * that the length check above cannot tell from a right one. */
    for (unsigned i = 1; i < nd; i++)
        if (f->dims[i] == 0)
            return mg_err_set(err, MG_STATUS_FORMAT, "%s: dimension %u is 0 (images of no pixels)",
                              f->path, i + 1);
    return MG_STATUS_OK;
}

/* ==== loading =========================================================================== */

/* Makes the dataset from checked image and label files. */
static mg_dataset *build(const idx_file *im, const idx_file *lb, size_t max_n, mg_err *err) {
    size_t n = im->dims[0], nfeat = 1;
    for (size_t i = 1; i < im->ndims; i++) nfeat *= im->dims[i]; /* bounded by the file size */
    unsigned maxlabel = 0;
    for (size_t i = 0; i < n; i++)
        if (lb->bytes[lb->header + i] > maxlabel) maxlabel = lb->bytes[lb->header + i];
    if (max_n && max_n < n) n = max_n;
    mg_dataset *d = mg_dataset_new(n, nfeat, 0, err);
    if (!d) return NULL;
    d->class_names = mg__calloc((size_t)maxlabel + 1, sizeof *d->class_names);
    if (!d->class_names) goto nomem;
    d->nclasses = (size_t)maxlabel + 1;
    for (size_t k = 0; k < d->nclasses; k++) {
        char name[24];
        snprintf(name, sizeof name, "%zu", k);
        if (!(d->class_names[k] = mg__strdup(name))) goto nomem;
    }
    const unsigned char *px = im->bytes + im->header;
    for (size_t i = 0; i < n * nfeat; i++) d->x[i] = px[i] / 255.0;
    for (size_t i = 0; i < n; i++) d->y[i] = lb->bytes[lb->header + i];
    return d;
nomem:
    mg_dataset_free(d);
    mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory (%zu samples of %zu features)", im->path,
               n, nfeat);
    return NULL;
}

mg_dataset *mg_idx_load(const char *images_path, const char *labels_path, size_t max_n,
                        mg_err *err) {
    idx_file im = {.path = images_path}, lb = {.path = labels_path};
    mg_dataset *d = NULL;
    if (read_idx_bytes(&lb, err) || parse_header(&lb, 1, 1, "label", err)) goto done;
    if (read_idx_bytes(&im, err) || parse_header(&im, 2, 4, "image", err)) goto done;
    if (im.dims[0] != lb.dims[0]) {
        mg_err_set(err, MG_STATUS_FORMAT, "%s: %zu images, but %s has %zu labels", images_path,
                   im.dims[0], labels_path, lb.dims[0]);
        goto done;
    }
    d = build(&im, &lb, max_n, err);
done:
    mg__free(im.bytes);
    mg__free(lb.bytes);
    return d;
}

/* ==== Fashion-MNIST ===================================================================== */

static const char *const fashion_classes[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot",
};

/* Finds dir/base or dir/base.gz; writes the path found to out. */
static mg_status find_file(const char *dir, const char *base, char *out, size_t size,
                           mg_err *err) {
    for (int gz = 0; gz < 2; gz++) {
        int k = snprintf(out, size, "%s/%s%s", dir, base, gz ? ".gz" : "");
        if (k < 0 || (size_t)k >= size)
            return mg_err_set(err, MG_STATUS_INVALID, "%s: directory name too long", dir);
        FILE *f = fopen(out, "rb");
        if (f) {
            fclose(f);
            return MG_STATUS_OK;
        }
    }
    return mg_err_set(err, MG_STATUS_IO,
                      "fashion-mnist: cannot find %s/%s(.gz)%s", dir, base,
                      strcmp(dir, MG_FASHION_MNIST_DIR)
                          ? ""
                          : " (install the Debian package: apt-get install dataset-fashion-mnist)");
}

static mg_status load_split(const char *dir, const char *prefix, size_t max_n, mg_dataset **out,
                            mg_err *err) {
    char images[4096], labels[4096], base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
    if (find_file(dir, base, images, sizeof images, err)) return err ? err->status : MG_STATUS_IO;
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
    if (find_file(dir, base, labels, sizeof labels, err)) return err ? err->status : MG_STATUS_IO;
    mg_dataset *d = mg_idx_load(images, labels, max_n, err);
    if (!d) return err ? err->status : MG_STATUS_FORMAT;
    if (d->nclasses > 10 || d->nfeat != 28 * 28) {
        mg_dataset_free(d);
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: not Fashion-MNIST (%zu pixels per image, labels up to %zu)", images,
                          d->nfeat, d->nclasses - 1);
    }
    /* A short subset may not reach label 9; the class list is always the full ten. */
    mg__files_strvfree(d->class_names, d->nclasses);
    d->nclasses = 0;
    if (mg__files_strvdup(&d->class_names, fashion_classes, 10, err)) {
        mg_dataset_free(d);
        return MG_STATUS_NOMEM;
    }
    d->nclasses = 10;
    *out = d;
    return MG_STATUS_OK;
}

mg_status mg_dataset_fashion_mnist(const char *dir, size_t max_train, size_t max_test,
                                mg_dataset **train, mg_dataset **test, mg_err *err) {
    if (!dir) dir = MG_FASHION_MNIST_DIR;
    mg_dataset *tr = NULL, *te = NULL;
    mg_status st = MG_STATUS_OK;
    if (train) st = load_split(dir, "train", max_train, &tr, err);
    if (!st && test) st = load_split(dir, "t10k", max_test, &te, err);
    if (st) {
        mg_dataset_free(tr);
        tr = NULL;
    }
    if (train) *train = tr;
    if (test) *test = te;
    return st;
}
