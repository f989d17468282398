/* fuzz_csv.c - libFuzzer harness for the CSV loader (mg_csv_parse, the in-memory entry of
 * mg_csv_load). The first two bytes pick the options, the rest is the file:
 *   byte 0 bits 0-1  header: auto, yes, no, auto
 *          bits 2-3  delimiter: detect, ',', ';', tab
 *          bits 4-5  target: the last column, by name "label", by index "0", by index "-1"
 *          bits 6-7  a training load with task auto, classify or regress; or rows for a
 *                    model (2 features "x", "y"; 3 classes "a", "b", "c" or regression by
 *                    bit 4)
 *   byte 1 bits 0-1  decimal mark: detect, '.', ',', detect
 *          bits 2-3  drop: none, "id", "0", "x"
 *          bits 4-5  select (training): none, "y", "1,x", "2"
 *          bit 6     keep the text of column "id" (or "0" with bit 7)
 * (0 in byte 1 is the loader's defaults.) A dataset that loads is checked against the
 * header's promises (sizes, names, classes) and the report's. */
#include "fuzz_common.h"

#include <math.h>

#include "micrograd.h"

/* Rows and columns only repeat the same code; 64 KiB of CSV is plenty. */
#define MAX_CSV ((size_t)64 << 10)

static const char *const model_features[2] = {"x", "y"};
static const char *const model_classes[3] = {"a", "b", "c"};

static const char *const drops[4] = {NULL, "id", "0", "x"};
static const char *const selects[4][2] = {{NULL, NULL}, {"y", NULL}, {"1", "x"}, {"2", NULL}};
static const char *const keeps[2] = {"id", "0"};

static void more_options(uint8_t b, mg_csv_options *o) {
    static const char decimals[4] = {0, '.', ',', 0};
    o->decimal = decimals[b & 3];
    if (o->decimal == ',' && o->delimiter == ',') o->decimal = 0; /* refused by assertion */
    o->drop = drops[(b >> 2) & 3] ? &drops[(b >> 2) & 3] : NULL;
    o->ndrop = o->drop != NULL;
    size_t s = (b >> 4) & 3;
    o->select = s && !o->nfeat ? selects[s] : NULL;
    o->nselect = o->select ? (selects[s][1] ? 2 : 1) : 0;
    o->keep = (b & 0x40) ? &keeps[b >> 7] : NULL;
    o->nkeep = o->keep != NULL;
}

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

static void check_report(const mg_dataset *d, const mg_csv_options *o, const mg_csv_report *r) {
    FZ_CHECK(r->delimiter == ',' || r->delimiter == ';' || r->delimiter == '\t', "delimiter");
    FZ_CHECK(r->decimal == '.' || r->decimal == ',', "decimal");
    FZ_CHECK(r->ncols >= d->nfeat && r->nunused <= r->ncols, "ncols %zu nfeat %zu unused %zu",
             r->ncols, d->nfeat, r->nunused);
    for (size_t k = 0; k < r->nunused; k++) FZ_CHECK(r->unused[k], "unused %zu", k);
    for (size_t k = 0; k < r->nsuspects; k++)
        FZ_CHECK(r->suspects[k].column && r->suspects[k].feature < d->nfeat, "suspect %zu", k);
    FZ_CHECK(r->nkept == d->n * o->nkeep, "kept %zu of %zu rows", r->nkept, d->n);
    for (size_t k = 0; k < r->nkept; k++) FZ_CHECK(r->kept[k], "kept %zu", k);
    if (o->nselect) FZ_CHECK(d->nfeat == o->nselect, "selected %zu, nfeat %zu", o->nselect, d->nfeat);
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
    if (size < 2) return 0;
    mg_csv_options o;
    mg_csv_report rep;
    options_from(data[0], &o);
    more_options(data[1], &o);
    o.report = &rep;
    size_t len = size - 2 < MAX_CSV ? size - 2 : MAX_CSV;
    mg_err err = {0};
    mg_dataset *d = mg_csv_parse((const char *)data + 2, len, "<fuzz>", &o, &err);
    if (fz_verbose()) fprintf(stderr, "%s\n", d ? "loaded" : err.msg);
    if (d) {
        check_dataset(d, &o);
        check_report(d, &o, &rep);
        mg_csv_report_free(&rep);
        mg_dataset_free(d);
    } else {
        FZ_CHECK(!rep.unused && !rep.suspects && !rep.kept, "a failed load left a report");
        FZ_CHECK(err.status == MG_STATUS_FORMAT || err.status == MG_STATUS_INVALID ||
                     err.status == MG_STATUS_NOMEM,
                 "status %d: %s", (int)err.status, err.msg);
        FZ_CHECK(!strncmp(err.msg, "<fuzz>", 6), "message without its place: %s", err.msg);
    }
    return 0;
}
