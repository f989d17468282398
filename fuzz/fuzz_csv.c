/* fuzz_csv.c - libFuzzer harness for the CSV loader (mg_csv_parse, the in-memory entry of
 * mg_csv_load). The first byte picks the options, the rest is the file:
 *   bits 0-1  header: auto, yes, no, auto
 *   bits 2-3  delimiter: detect, ',', ';', tab
 *   bits 4-5  target: the last column, by name "label", by index "0", by index "-1"
 *   bits 6-7  a training load with task auto, classify or regress; or rows for a model
 *             (2 features "x", "y"; 3 classes "a", "b", "c" or regression by bit 4)
 * A dataset that loads is checked against the header's promises (sizes, names, classes). */
#include "fuzz_common.h"

#include <math.h>

#include "micrograd.h"

/* Rows and columns only repeat the same code; 64 KiB of CSV is plenty. */
#define MAX_CSV ((size_t)64 << 10)

static const char *const model_features[2] = {"x", "y"};
static const char *const model_classes[3] = {"a", "b", "c"};

static void options_from(uint8_t b, mg_csv_options *o) {
    static const mg_csv_header headers[4] = {MG_CSV_HEADER_AUTO, MG_CSV_HEADER_YES,
                                             MG_CSV_HEADER_NO, MG_CSV_HEADER_AUTO};
    static const char delims[4] = {0, ',', ';', '\t'};
    static const char *const targets[4] = {NULL, "label", "0", "-1"};
    mg_csv_options_init(o);
    o->header = headers[b & 3];
    o->delimiter = delims[(b >> 2) & 3];
    o->target = targets[(b >> 4) & 3];
    switch (b >> 6) {
    case 0: o->task = MG_CSV_TASK_AUTO; break;
    case 1: o->task = MG_CSV_TASK_CLASSIFY; break;
    case 2: o->task = MG_CSV_TASK_REGRESS; break;
    default:
        o->nfeat = 2;
        o->feature_names = (b & 0x20) ? NULL : model_features;
        o->nclasses = (b & 0x10) ? 0 : 3;
        o->class_names = o->nclasses ? model_classes : NULL;
        break;
    }
}

static void check_dataset(const mg_dataset *d, const mg_csv_options *o) {
    FZ_CHECK(d->n >= 1 && d->nfeat >= 1 && d->x, "n %zu nfeat %zu", d->n, d->nfeat);
    if (o->nfeat) {
        FZ_CHECK(d->nfeat == o->nfeat, "nfeat %zu for a model of %zu", d->nfeat, o->nfeat);
        FZ_CHECK(d->nclasses == o->nclasses || !d->y, "nclasses %zu", d->nclasses);
    } else {
        FZ_CHECK(d->y, "a training load without targets");
        if (o->task == MG_CSV_TASK_CLASSIFY) FZ_CHECK(d->nclasses >= 2, "classes %zu", d->nclasses);
        if (o->task == MG_CSV_TASK_REGRESS) FZ_CHECK(d->nclasses == 0, "classes %zu", d->nclasses);
        if (d->nclasses) FZ_CHECK(d->nclasses >= 2, "one class");
    }
    for (size_t i = 0; i < d->n * d->nfeat; i++)
        FZ_CHECK(isfinite(d->x[i]), "x[%zu] = %g", i, d->x[i]);
    for (size_t i = 0; d->y && i < d->n; i++) {
        FZ_CHECK(isfinite(d->y[i]), "y[%zu] = %g", i, d->y[i]);
        if (d->nclasses)
            FZ_CHECK(d->y[i] >= 0 && d->y[i] < (double)d->nclasses && d->y[i] == floor(d->y[i]),
                     "y[%zu] = %g of %zu classes", i, d->y[i], d->nclasses);
    }
    for (size_t k = 0; d->class_names && k < d->nclasses; k++)
        FZ_CHECK(d->class_names[k], "class %zu has no name", k);
    for (size_t k = 0; d->feature_names && k < d->nfeat; k++)
        FZ_CHECK(d->feature_names[k], "feature %zu has no name", k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    mg_csv_options o;
    options_from(data[0], &o);
    size_t len = size - 1 < MAX_CSV ? size - 1 : MAX_CSV;
    mg_err err = {0};
    mg_dataset *d = mg_csv_parse((const char *)data + 1, len, "<fuzz>", &o, &err);
    if (fz_verbose()) fprintf(stderr, "%s\n", d ? "loaded" : err.msg);
    if (d) {
        check_dataset(d, &o);
        mg_dataset_free(d);
    } else {
        FZ_CHECK(err.status == MG_STATUS_FORMAT || err.status == MG_STATUS_INVALID ||
                     err.status == MG_STATUS_NOMEM,
                 "status %d: %s", (int)err.status, err.msg);
        FZ_CHECK(!strncmp(err.msg, "<fuzz>", 6), "message without its place: %s", err.msg);
    }
    return 0;
}
