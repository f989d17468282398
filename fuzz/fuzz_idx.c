/* fuzz_idx.c - libFuzzer harness for the IDX loader (mg_idx_load), plain and gzipped.
 * The input is a small header and the two files:
 *   byte 0     flags: bit 0 gzip the image file, bit 1 gzip the label file (with zlib,
 *              so the inflate path sees real streams), bit 2 cut each gzipped stream
 *              short by byte 3 bytes, bits 4-7 max_n (0 = all)
 *   bytes 1-2  the label file's length, big-endian (cut to what is there)
 *   byte 3     how much to cut (bit 2)
 *   then the label file's bytes and the image file's bytes.
 * Without the gzip bits the bytes are written as they are, so seeds that hold gzip
 * streams (1f 8b ...) reach the inflate code mutated byte by byte. */
#include "fuzz_common.h"

#include <math.h>

#include "micrograd.h"
#ifdef MG_HAVE_ZLIB
#include <zlib.h>
#endif

/* The loader reads whole files; bigger inputs only repeat the pixel loop. */
#define MAX_IDX ((size_t)1 << 20)

#ifdef MG_HAVE_ZLIB
/* Writes len bytes gzipped to path, dropping the last `cut` bytes of the stream. */
static void write_gzip(const char *path, const uint8_t *p, size_t len, size_t cut) {
    z_stream z;
    memset(&z, 0, sizeof z);
    FZ_CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflate");
    size_t cap = deflateBound(&z, (uLong)len) + 32;
    unsigned char *out = malloc(cap);
    FZ_CHECK(out, "out of memory");
    z.next_in = (unsigned char *)(uintptr_t)p;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    FZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate did not finish");
    size_t n = z.total_out;
    deflateEnd(&z);
    fz_write(path, out, cut < n ? n - cut : 0);
    free(out);
}
#endif

static void write_file(const char *path, const uint8_t *p, size_t len, int gz, size_t cut) {
#ifdef MG_HAVE_ZLIB
    if (gz) {
        write_gzip(path, p, len, cut);
        return;
    }
#else
    (void)gz, (void)cut;
#endif
    fz_write(path, p, len);
}

static void check_dataset(const mg_dataset *d, size_t max_n) {
    FZ_CHECK(d->n >= 1 && d->nfeat >= 1 && d->x && d->y, "n %zu nfeat %zu", d->n, d->nfeat);
    FZ_CHECK(!max_n || d->n <= max_n, "n %zu past max_n %zu", d->n, max_n);
    FZ_CHECK(d->nclasses >= 1 && d->nclasses <= 256 && d->class_names, "nclasses %zu",
             d->nclasses);
    for (size_t i = 0; i < d->n * d->nfeat; i++)
        FZ_CHECK(d->x[i] >= 0 && d->x[i] <= 1, "x[%zu] = %g", i, d->x[i]);
    for (size_t i = 0; i < d->n; i++)
        FZ_CHECK(d->y[i] >= 0 && d->y[i] < (double)d->nclasses, "y[%zu] = %g", i, d->y[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4 || size > MAX_IDX) return 0;
    unsigned flags = data[0];
    size_t nlab = (size_t)data[1] << 8 | data[2], cut = (flags & 4) ? data[3] : 0;
    const uint8_t *rest = data + 4;
    size_t nrest = size - 4;
    if (nlab > nrest) nlab = nrest;
    const char *images = fz_path(0, "images"), *labels = fz_path(1, "labels");
    write_file(labels, rest, nlab, flags & 2, cut);
    write_file(images, rest + nlab, nrest - nlab, flags & 1, cut);
    size_t max_n = flags >> 4;
    mg_err err = {0};
    mg_dataset *d = mg_idx_load(images, labels, max_n, &err);
    if (fz_verbose()) fprintf(stderr, "%s\n", d ? "loaded" : err.msg);
    if (d) {
        check_dataset(d, max_n);
        mg_dataset_free(d);
    } else {
        FZ_CHECK(err.status == MG_STATUS_FORMAT || err.status == MG_STATUS_NOMEM ||
                     err.status == MG_STATUS_UNSUPPORTED,
                 "status %d: %s", (int)err.status, err.msg);
        FZ_CHECK(strstr(err.msg, fz_dir) == err.msg, "message without the file: %s", err.msg);
    }
    return 0;
}
