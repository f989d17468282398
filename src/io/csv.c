/* csv.c - CSV files into datasets: the load itself, row by row (targets, class labels,
 * kept text), on top of the tokenizer (csv_read.c), the labels (csv_labels.c) and the
 * column layout (csv_columns.c). The rules are documented in micrograd.h, section 14a. */
#include "csv_internal.h"
#include "data/dataset.h"

#include <math.h>
#include <stdio.h>

/* ==== options and report ================================================================= */

void mg_csv_options_init(mg_csv_options *opt) {
    memset(opt, 0, sizeof *opt);
    opt->header = MG_CSV_HEADER_AUTO;
    opt->task = MG_CSV_TASK_AUTO;
}

void mg_csv_options_for_model(mg_csv_options *opt, const mg_mlp *mlp, const mg_model_info *info) {
    mg_csv_options_init(opt);
    opt->nfeat = mlp->nin;
    if (info && info->nfeat == mlp->nin)
        opt->feature_names = (const char *const *)info->feature_names;
    opt->target = info ? info->target_name : NULL;
    opt->nclasses = info ? info->nclasses : 0;
    opt->class_names = info ? (const char *const *)info->class_names : NULL;
    opt->drop = info ? (const char *const *)info->drop : NULL;
    opt->ndrop = info ? info->ndrop : 0;
}

void mg_csv_report_free(mg_csv_report *r) {
    if (!r) return;
    mg__files_strvfree(r->unused, r->nunused);
    for (size_t k = 0; k < r->nsuspects; k++) mg__free(r->suspects[k].column);
    mg__free(r->suspects);
    mg__files_strvfree(r->kept, r->nkept);
    memset(r, 0, sizeof *r);
}

/* ==== rows =============================================================================== */

static mg_status nomem(const csv_load *L, mg_err *err) {
    return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
}

/* Makes room for one more row: x, y, the label ids, the index candidate, the kept text. */
static mg_status grow_rows(csv_load *L, mg_err *err) {
    mg_dataset *d = L->d;
    if (d->n < L->caprows) return MG_STATUS_OK;
    /* The first block holds 256 rows, or fewer for wide files: about 512 KB of features,
     * so a header of a million columns does not reserve gigabytes before its first row. */
    size_t first = d->nfeat > 256 ? 65536 / d->nfeat : 256;
    size_t cap = L->caprows ? L->caprows * 2 : first ? first : 1;
    size_t xbytes = mg__mul_size(mg__mul_size(cap, d->nfeat), sizeof(double));
    if (xbytes == SIZE_MAX) return mg_err_set(err, MG_STATUS_NOMEM, "%s: too many rows", L->r.name);
    double *x = mg__realloc(d->x, xbytes);
    if (!x) return nomem(L, err);
    d->x = x;
    if (L->target_col != SIZE_MAX) {
        double *y = mg__realloc(d->y, mg__mul_size(cap, sizeof *y));
        if (y) d->y = y;
        uint32_t *ids = y ? mg__realloc(L->ids, mg__mul_size(cap, sizeof *ids)) : NULL;
        if (!ids) return nomem(L, err);
        L->ids = ids;
    }
    if (L->role[0] == ROLE_INDEX) {
        double *ix = mg__realloc(L->index, mg__mul_size(cap, sizeof *ix));
        if (!ix) return nomem(L, err);
        L->index = ix;
    }
    if (L->opt->nkeep) {
        char **kept = mg__realloc(L->rep->kept, mg__mul_size(mg__mul_size(cap, L->opt->nkeep),
                                                             sizeof *kept));
        if (!kept) return nomem(L, err);
        L->rep->kept = kept;
    }
    L->caprows = cap;
    return MG_STATUS_OK;
}

/* Maps a target cell to one of the model's classes: the same text, else the same
 * number. SIZE_MAX when none. */
static size_t model_class(const mg_csv_options *o, const char *text, char decimal) {
    for (size_t k = 0; k < o->nclasses; k++)
        if (!strcmp(o->class_names[k], text)) return k;
    double v, w;
    if (mg__csv_number(text, decimal, &v)) return SIZE_MAX;
    for (size_t k = 0; k < o->nclasses; k++)
        if (!mg__files_number(o->class_names[k], &w) && v == w) return k;
    return SIZE_MAX;
}

/* A target that must be a number: a regression, or rows for a regression model. */
static mg_status numeric_target(csv_load *L, const csv_field *f, int num, double v, mg_err *err) {
    char q[64], cn[80];
    if (num)
        return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %s: %s '%s'%s%s", L->r.name, f->line,
                          f->col, mg__csv_colname(L, L->target_col, cn, sizeof cn),
                          num == 2 ? "number out of range" : "not a number",
                          mg__files_quote(f->text, q, sizeof q),
                          mg__csv_number_hint(f->text, L->r.decimal),
                          L->opt->nfeat ? " (the model predicts a number)" : "");
    L->d->y[L->d->n] = v;
    return MG_STATUS_OK;
}

static mg_status read_target(csv_load *L, const csv_field *f, mg_err *err) {
    const mg_csv_options *o = L->opt;
    size_t row = L->d->n;
    char q[64], cn[80];
    double v = 0;
    int num = mg__csv_number(f->text, L->r.decimal, &v);
    if (!f->text[0])
        return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %s: empty target", L->r.name,
                          f->line, f->col, mg__csv_colname(L, L->target_col, cn, sizeof cn));
    if (o->nfeat && o->nclasses) {
        size_t k = model_class(o, f->text, L->r.decimal);
        if (k == SIZE_MAX)
            return mg_err_set(err, MG_STATUS_FORMAT,
                              "%s:%zu:%zu: label '%s' is not one of the model's %zu classes",
                              L->r.name, f->line, f->col, mg__files_quote(f->text, q, sizeof q),
                              o->nclasses);
        L->d->y[row] = (double)k;
        return MG_STATUS_OK;
    }
    if (o->nfeat || o->task == MG_CSV_TASK_REGRESS) return numeric_target(L, f, num, v, err);
    label_entry key = {f->text, num ? 0.0 : v, num == 0};
    uint32_t id = mg__csv_label_intern(&L->labels, &key);
    if (id == UINT32_MAX) return nomem(L, err);
    L->ids[row] = id;
    L->d->y[row] = v;
    if (num) L->all_numeric = 0;
    else if (v != floor(v) || fabs(v) > 9007199254740992.0) L->all_integer = 0;
    return MG_STATUS_OK;
}

/* A feature cell (or the index candidate's) into *x. */
static mg_status read_number(csv_load *L, size_t c, const csv_field *f, double *x, mg_err *err) {
    int num = mg__csv_number(f->text, L->r.decimal, x);
    char q[64], cn[80];
    if (!num) return MG_STATUS_OK;
    if (!f->text[0])
        return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %s: missing value", L->r.name,
                          f->line, f->col, mg__csv_colname(L, c, cn, sizeof cn));
    const char *hint = mg__csv_number_hint(f->text, L->r.decimal);
    return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %s: %s '%s'%s", L->r.name, f->line,
                      f->col, mg__csv_colname(L, c, cn, sizeof cn),
                      num == 2 ? "number out of range" : "not a number",
                      mg__files_quote(f->text, q, sizeof q),
                      *hint ? hint : " (features must be numbers)");
}

/* The fields' count must be the first row's (one more when the last is empty: a
 * delimiter that ends the line). */
static mg_status check_width(csv_load *L, mg_err *err) {
    csv_reader *r = &L->r;
    if (r->nf == L->ncols + 1 && mg__csv_trailing_empty(r->f, r->nf)) r->nf--;
    if (r->nf == L->ncols) return MG_STATUS_OK;
    size_t col = r->nf > L->ncols ? r->f[L->ncols].col : r->end_col;
    size_t line = r->nf > L->ncols ? r->f[L->ncols].line : r->end_line;
    if (L->trailing && r->nf == L->ncols + 1)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s:%zu:%zu: a value in the last column, empty on the first lines "
                          "(taken as a delimiter ending each line)", r->name, line, col);
    return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %zu fields, expected %zu", r->name, line,
                      col, r->nf, L->ncols);
}

static mg_status read_row(csv_load *L, mg_err *err) {
    csv_reader *r = &L->r;
    mg_status st = check_width(L, err);
    if (!st) st = grow_rows(L, err);
    if (st) return st;
    mg_dataset *d = L->d;
    double *xr = d->x + d->n * d->nfeat;
    for (size_t c = 0; !st && c < L->ncols; c++) {
        const csv_field *f = &r->f[c];
        if (L->role[c] == ROLE_TARGET) st = read_target(L, f, err);
        else if (L->role[c] == ROLE_INDEX) st = read_number(L, c, f, &L->index[d->n], err);
        else if (L->role[c] >= 0) st = read_number(L, c, f, &xr[L->role[c]], err);
    }
    size_t nk = L->opt->nkeep;
    for (size_t k = 0; !st && k < nk; k++) {
        char *text = mg__strdup(r->f[L->keep_col[k]].text);
        L->rep->kept[d->n * nk + k] = text;
        L->rep->nkept++;
        if (!text) st = nomem(L, err);
    }
    if (!st) d->n++;
    return st;
}

/* ==== targets and names ================================================================== */

/* Turns the interned labels into classes (or, for numeric targets that do not look like
 * classes, into a regression). */
static mg_status finish_targets(csv_load *L, mg_err *err) {
    mg_dataset *d = L->d;
    const mg_csv_options *o = L->opt;
    if (o->nfeat) {
        if (o->nclasses && mg__files_strvdup(&d->class_names, o->class_names, o->nclasses, err))
            return MG_STATUS_NOMEM;
        d->nclasses = o->nclasses;
        return MG_STATUS_OK;
    }
    if (o->task == MG_CSV_TASK_REGRESS) return MG_STATUS_OK;
    label_table *t = &L->labels;
    if (o->task == MG_CSV_TASK_AUTO && L->all_numeric &&
        (!L->all_integer || t->n > MG_CSV_AUTO_MAX_CLASSES))
        return MG_STATUS_OK; /* y already holds the numbers */
    char cn[80], q[64];
    if (t->n < 2)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: %s has one class only ('%s'): a classifier needs at least 2",
                          L->r.name, mg__csv_colname(L, L->target_col, cn, sizeof cn),
                          mg__files_quote(t->e[0].text, q, sizeof q));
    uint32_t *rank = mg__malloc(mg__mul_size(t->n, sizeof *rank));
    if (!rank || mg__csv_label_sort(t, rank, &d->class_names)) {
        mg__free(rank);
        return nomem(L, err);
    }
    d->nclasses = t->n;
    for (size_t i = 0; i < d->n; i++) d->y[i] = (double)rank[L->ids[i]];
    mg__free(rank);
    return MG_STATUS_OK;
}

static mg_status copy_names(csv_load *L, mg_err *err) {
    mg_dataset *d = L->d;
    const mg_csv_options *o = L->opt;
    if (o->nfeat && o->feature_names)
        return mg__files_strvdup(&d->feature_names, o->feature_names, o->nfeat, err);
    if (!L->header) return MG_STATUS_OK;
    d->feature_names = mg__calloc(d->nfeat, sizeof *d->feature_names);
    if (!d->feature_names) return nomem(L, err);
    for (size_t c = 0; c < L->ncols; c++) {
        if (L->role[c] >= 0 && !(d->feature_names[L->role[c]] = mg__strdup(L->header[c].text)))
            return nomem(L, err);
        if (L->role[c] == ROLE_TARGET && !(d->target_name = mg__strdup(L->header[c].text)))
            return nomem(L, err);
    }
    return MG_STATUS_OK;
}

/* ==== the load =========================================================================== */

/* The next record that is not a blank line; blank lines are counted for the report once
 * a row follows them (blank lines at the end are no news). 1, 0 at the end, -1. */
static int next_nonblank(csv_load *L, mg_err *err) {
    int got;
    while ((got = mg__csv_next_record(&L->r, err)) == 1 && mg__csv_record_blank(&L->r))
        L->pending_blank++;
    if (got == 1) {
        L->rep->blank_lines += L->pending_blank;
        L->pending_blank = 0;
    }
    return got;
}

/* The first record, copied (the reader's buffer is reused), and the second read; decides
 * the trailing delimiter, the header and the layout. */
static mg_status read_top(csv_load *L, int *got, mg_err *err) {
    csv_reader *r = &L->r;
    *got = next_nonblank(L, err);
    if (*got < 0) return err ? err->status : MG_STATUS_FORMAT;
    if (*got == 0) return mg_err_set(err, MG_STATUS_FORMAT, "%s:1:1: empty file (no rows)", r->name);
    L->nfirst = L->ncols = r->nf;
    L->first_line = r->rec_line;
    L->first = mg__malloc(mg__mul_size(r->nf, sizeof *L->first));
    if (!L->first) return nomem(L, err);
    memcpy(L->first, r->f, r->nf * sizeof *L->first);
    *got = next_nonblank(L, err);
    if (*got < 0) return err ? err->status : MG_STATUS_FORMAT;
    int second = *got == 1;
    /* A delimiter ending every line: the first line's last field is empty, and so is the
     * second's (or the second has one field less: a header written without it). */
    if (mg__csv_trailing_empty(L->first, L->nfirst) &&
        (!second || (r->nf == L->nfirst && mg__csv_trailing_empty(r->f, r->nf)) ||
         r->nf + 1 == L->nfirst))
        L->ncols--, L->trailing = L->rep->trailing_delimiter = 1;
    if (second && r->nf == L->ncols + 1 && mg__csv_trailing_empty(r->f, r->nf))
        L->trailing = L->rep->trailing_delimiter = 1;
    int h = mg__csv_is_header(L, second ? r->f : NULL, r->nf);
    L->header = h ? L->first : NULL;
    L->rep->header = h != 0;
    L->rep->numbered_header = h == 2;
    L->rep->ncols = L->ncols;
    return mg__csv_layout(L, err);
}

/* Parses the first record as a data row (the reader's current record is the second). */
static mg_status read_first_as_row(csv_load *L, mg_err *err) {
    csv_reader *r = &L->r;
    csv_field *cur = r->f;
    size_t curn = r->nf;
    r->f = L->first;
    r->nf = L->nfirst;
    mg_status st = read_row(L, err);
    r->f = cur;
    r->nf = curn;
    return st;
}

static mg_status parse_buffer(csv_load *L, char *buf, size_t len, mg_err *err) {
    csv_reader *r = &L->r;
    const mg_csv_options *o = L->opt;
    char *p = buf;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* a UTF-8 byte order mark */
    r->p = r->line_start = p;
    r->end = buf + len;
    r->line = 1;
    r->delim = o->delimiter ? o->delimiter : mg__csv_detect_delimiter(p, r->end);
    r->decimal = o->decimal ? o->decimal : mg__csv_detect_decimal(p, r->end, r->delim);
    L->rep->delimiter = r->delim;
    L->rep->decimal = r->decimal;
    if (r->decimal == ',' && r->delim == ',')
        return mg_err_set(err, MG_STATUS_INVALID,
                          "%s: decimal commas need another delimiter (';' or tab)", r->name);
    int got;
    mg_status st = read_top(L, &got, err);
    if (!st && !L->header) st = read_first_as_row(L, err);
    for (; !st && got == 1; got = next_nonblank(L, err)) st = read_row(L, err);
    if (st) return st;
    if (got < 0) return err ? err->status : MG_STATUS_FORMAT;
    if (L->d->n == 0)
        return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:1: no data rows (only a header)",
                          r->name, L->first_line + 1);
    if ((st = finish_targets(L, err)) || (st = mg__csv_finish_columns(L, err))) return st;
    return copy_names(L, err);
}

/* Parses buf in place (it must have len bytes plus a NUL) and frees it. */
static mg_dataset *load_buffer(char *buf, size_t len, const char *name, const mg_csv_options *opt,
                               mg_err *err) {
    mg_csv_options defaults;
    if (!opt) {
        mg_csv_options_init(&defaults);
        opt = &defaults;
    }
    MG_ASSERT(!opt->nfeat || !opt->nclasses || opt->class_names, "class_names missing");
    MG_ASSERT(opt->delimiter == 0 || opt->delimiter == ',' || opt->delimiter == ';' ||
                  opt->delimiter == '\t',
              "the delimiter must be 0, ',', ';' or '\\t'");
    MG_ASSERT(opt->decimal == 0 || opt->decimal == '.' || opt->decimal == ',',
              "the decimal mark must be 0, '.' or ','");
    csv_load L;
    mg_csv_report local;
    memset(&L, 0, sizeof L);
    L.r.name = name;
    L.opt = opt;
    L.rep = opt->report ? opt->report : &local;
    memset(L.rep, 0, sizeof *L.rep);
    L.all_numeric = L.all_integer = 1;
    L.d = mg__dataset_empty(err);
    mg_status st = L.d ? parse_buffer(&L, buf, len, err) : MG_STATUS_NOMEM;
    mg__free(L.r.f);
    mg__free(L.first);
    mg__free(L.role);
    mg__free(L.keep_col);
    mg__free(L.ids);
    mg__free(L.index);
    mg__csv_label_free(&L.labels);
    mg__free(buf);
    if (st || !opt->report) mg_csv_report_free(L.rep);
    if (st) {
        mg_dataset_free(L.d);
        return NULL;
    }
    return L.d;
}

mg_dataset *mg_csv_load(const char *path, const mg_csv_options *opt, mg_err *err) {
    size_t len;
    char *buf = mg__files_read(path, &len, err);
    if (!buf) {
        if (opt && opt->report) memset(opt->report, 0, sizeof *opt->report);
        return NULL;
    }
    return load_buffer(buf, len, path, opt, err);
}

mg_dataset *mg_csv_parse(const char *text, size_t len, const char *name, const mg_csv_options *opt,
                         mg_err *err) {
    MG_ASSERT(text || !len, "text is NULL");
    char *buf = mg__malloc(len + 1 > len ? len + 1 : SIZE_MAX);
    if (!buf) {
        if (opt && opt->report) memset(opt->report, 0, sizeof *opt->report);
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
        return NULL;
    }
    if (len) memcpy(buf, text, len);
    buf[len] = '\0';
    return load_buffer(buf, len, name ? name : "<csv>", opt, err);
}
