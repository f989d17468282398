/* csv_columns.c - what each column of a CSV file is: whether the first row is a header,
 * the target, the features (all the others, or those selected, less those dropped; for
 * a model, its own by name or position), a pandas index left out, and the columns that
 * look like row identifiers. The rules are micrograd.h's, section 14a. */
#include "csv_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

/* ==== names and numbers of columns ======================================================= */

const char *mg__csv_colname(const csv_load *L, size_t c, char *buf, size_t size) {
    if (L->header) {
        char q[48];
        snprintf(buf, size, "column '%s'", mg__files_quote(L->header[c].text, q, sizeof q));
    } else {
        snprintf(buf, size, "column %zu", c + 1);
    }
    return buf;
}

/* A column by header name, else by a 0-based number (negative: from the end); SIZE_MAX
 * when none. */
static size_t find_column(const csv_load *L, const char *spec) {
    if (L->header)
        for (size_t c = 0; c < L->ncols; c++)
            if (!strcmp(L->header[c].text, spec)) return c;
    char *end;
    errno = 0;
    long k = strtol(spec, &end, 10);
    if (!*spec || *end || errno) return SIZE_MAX;
    if (k < 0) k += (long)L->ncols;
    return k >= 0 && (size_t)k < L->ncols ? (size_t)k : SIZE_MAX;
}

static mg_status no_column(const csv_load *L, const char *spec, const char *what, mg_err *err) {
    char q[64];
    return mg_err_set(err, MG_STATUS_INVALID,
                      "%s: no column '%s' %s (%zu columns%s; give a header name or a 0-based "
                      "number)",
                      L->r.name, mg__files_quote(spec, q, sizeof q), what, L->ncols,
                      L->header ? "" : ", no header");
}

/* ==== the header ========================================================================= */

static int cell_is_number(const csv_load *L, const csv_field *f) {
    double x;
    return mg__csv_number(f->text, L->r.decimal, &x) == 0;
}

/* 0,1,...,k-1 (k >= 2) and a name, after an optional empty cell: what pandas writes for a
 * DataFrame made from an array (with its index, or without). */
static int numbered_header(const csv_load *L, const csv_field *f, size_t n) {
    size_t start = n > 0 && !f[0].text[0] ? 1 : 0;
    if (n < start + 3 || !f[n - 1].text[0] || cell_is_number(L, &f[n - 1])) return 0;
    for (size_t i = start; i + 1 < n; i++) {
        char want[24];
        snprintf(want, sizeof want, "%zu", i - start);
        if (strcmp(f[i].text, want)) return 0;
    }
    return 1;
}

int mg__csv_is_header(const csv_load *L, const csv_field *second, size_t nsecond) {
    const mg_csv_options *o = L->opt;
    const csv_field *first = L->first;
    size_t n = L->ncols;
    if (o->header != MG_CSV_HEADER_AUTO) return o->header == MG_CSV_HEADER_YES;
    if (o->nfeat && o->feature_names) {
        size_t found = 0;
        for (size_t k = 0; k < o->nfeat; k++)
            for (size_t c = 0; c < n; c++)
                if (!strcmp(first[c].text, o->feature_names[k])) {
                    found++;
                    break;
                }
        if (found == o->nfeat) return 1;
    }
    if (numbered_header(L, first, n)) return 2;
    if (!second) {
        for (size_t c = 0; c < n; c++)
            if (cell_is_number(L, &first[c])) return 0;
        return 1;
    }
    for (size_t c = 0; c < n && c < nsecond; c++)
        if (!cell_is_number(L, &first[c]) && cell_is_number(L, &second[c])) return 1;
    return 0;
}

/* ==== training layout ==================================================================== */

/* The first column is a pandas index candidate when it has no name (pandas writes an
 * empty cell, or "Unnamed: 0" once the file went through pandas twice). */
static int index_candidate(const csv_load *L, size_t c) {
    return c == 0 && L->header && (!L->header[0].text[0] || !strcmp(L->header[0].text, "Unnamed: 0"));
}

/* Marks the dropped columns in dropped[ncols]. */
static mg_status mark_dropped(const csv_load *L, char *dropped, mg_err *err) {
    const mg_csv_options *o = L->opt;
    for (size_t k = 0; k < o->ndrop; k++) {
        size_t c = find_column(L, o->drop[k]);
        if (c == SIZE_MAX) return no_column(L, o->drop[k], "to drop", err);
        if (c == L->target_col) {
            char q[64];
            return mg_err_set(err, MG_STATUS_INVALID, "%s: column '%s' is the target: it cannot be "
                              "dropped", L->r.name, mg__files_quote(o->drop[k], q, sizeof q));
        }
        dropped[c] = 1;
    }
    return MG_STATUS_OK;
}

/* The selected columns as features 0, 1, ... in the order given. */
static mg_status select_features(csv_load *L, const char *dropped, mg_err *err) {
    const mg_csv_options *o = L->opt;
    for (size_t k = 0; k < o->nselect; k++) {
        size_t c = find_column(L, o->select[k]);
        char q[64];
        const char *why = c == SIZE_MAX ? NULL : c == L->target_col ? "is the target"
                          : dropped[c] ? "is also dropped" : L->role[c] >= 0 ? "is given twice" : NULL;
        if (c == SIZE_MAX) return no_column(L, o->select[k], "to use as a feature", err);
        if (why)
            return mg_err_set(err, MG_STATUS_INVALID, "%s: feature column '%s' %s", L->r.name,
                              mg__files_quote(o->select[k], q, sizeof q), why);
        L->role[c] = (int)k;
    }
    L->d->nfeat = o->nselect;
    return MG_STATUS_OK;
}

/* One target column; the features are the selected columns, or every other column not
 * dropped (a pandas index aside, to be dropped once its values are seen). */
static mg_status layout_training(csv_load *L, char *dropped, mg_err *err) {
    const mg_csv_options *o = L->opt;
    if (L->ncols < 2)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s:%zu:1: one column only: need feature columns and a target "
                          "(is the delimiter right?)",
                          L->r.name, L->first_line);
    L->target_col = o->target ? find_column(L, o->target) : L->ncols - 1;
    if (L->target_col == SIZE_MAX) return no_column(L, o->target, "to predict", err);
    mg_status st = mark_dropped(L, dropped, err);
    for (size_t c = 0; c < L->ncols; c++) L->role[c] = ROLE_IGNORE;
    L->role[L->target_col] = ROLE_TARGET;
    if (st || o->nselect) return st ? st : select_features(L, dropped, err);
    size_t k = 0;
    for (size_t c = 0; c < L->ncols; c++)
        if (c != L->target_col && !dropped[c]) L->role[c] = index_candidate(L, c) ? ROLE_INDEX : (int)k++;
    if (k == 0 && L->role[0] == ROLE_INDEX) L->role[0] = (int)k++; /* the only feature */
    if (k == 0)
        return mg_err_set(err, MG_STATUS_INVALID, "%s: no feature columns left (all dropped)",
                          L->r.name);
    L->d->nfeat = k;
    return MG_STATUS_OK;
}

/* ==== a model's layout =================================================================== */

/* The model's dropped columns: by name, or by number in a file without a header; those
 * the file does not have are no matter. */
static void mark_model_dropped(const csv_load *L, char *dropped) {
    const mg_csv_options *o = L->opt;
    for (size_t k = 0; k < o->ndrop; k++) {
        size_t c = SIZE_MAX;
        for (size_t j = 0; L->header && j < L->ncols && c == SIZE_MAX; j++)
            if (!strcmp(L->header[j].text, o->drop[k])) c = j;
        if (c == SIZE_MAX && !L->header) c = find_column(L, o->drop[k]);
        if (c != SIZE_MAX) dropped[c] = 1;
    }
}

/* Features by name: the first column of that name not taken yet, so repeated names pair
 * up in order; the target by name among the rest. */
static mg_status model_by_name(csv_load *L, const char *dropped, mg_err *err) {
    const mg_csv_options *o = L->opt;
    for (size_t k = 0; k < o->nfeat; k++) {
        size_t c = 0;
        while (c < L->ncols && (dropped[c] || L->role[c] != ROLE_IGNORE ||
                                strcmp(L->header[c].text, o->feature_names[k])))
            c++;
        if (c == L->ncols) {
            char q[64];
            return mg_err_set(err, MG_STATUS_FORMAT,
                              "%s:%zu:1: no column '%s' (the model's feature %zu of %zu)",
                              L->r.name, L->header[0].line,
                              mg__files_quote(o->feature_names[k], q, sizeof q), k + 1, o->nfeat);
        }
        L->role[c] = (int)k;
    }
    for (size_t c = 0; o->target && c < L->ncols; c++)
        if (!dropped[c] && L->role[c] == ROLE_IGNORE && !strcmp(L->header[c].text, o->target)) {
            L->role[c] = ROLE_TARGET;
            L->target_col = c;
            break;
        }
    return MG_STATUS_OK;
}

/* Features by position among the columns not dropped: nfeat of them, or nfeat + 1 with
 * the target (`target` when it names a column, else the last). */
static mg_status model_by_position(csv_load *L, const char *dropped, mg_err *err) {
    const mg_csv_options *o = L->opt;
    size_t m = 0, last = SIZE_MAX;
    for (size_t c = 0; c < L->ncols; c++)
        if (!dropped[c]) m++, last = c;
    if (m != o->nfeat && m != o->nfeat + 1)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s:%zu:1: %zu columns, but the model takes %zu features (%zu columns, "
                          "or %zu with the target)",
                          L->r.name, L->first_line, m, o->nfeat, o->nfeat, o->nfeat + 1);
    if (m == o->nfeat + 1) {
        /* Without a header a target given by name cannot be found: it is the last column. */
        L->target_col = o->target ? find_column(L, o->target) : last;
        if (L->target_col == SIZE_MAX && !L->header) L->target_col = last;
        if (L->target_col == SIZE_MAX || dropped[L->target_col])
            return no_column(L, o->target, "to predict", err);
    }
    for (size_t c = 0, k = 0; c < L->ncols; c++)
        if (!dropped[c]) L->role[c] = c == L->target_col ? ROLE_TARGET : (int)k++;
    return MG_STATUS_OK;
}

static mg_status layout_model(csv_load *L, char *dropped, mg_err *err) {
    L->d->nfeat = L->opt->nfeat;
    for (size_t c = 0; c < L->ncols; c++) L->role[c] = ROLE_IGNORE;
    mark_model_dropped(L, dropped);
    if (L->header && L->opt->feature_names) return model_by_name(L, dropped, err);
    return model_by_position(L, dropped, err);
}

/* ==== the layout ========================================================================= */

static mg_status find_kept(csv_load *L, mg_err *err) {
    const mg_csv_options *o = L->opt;
    if (!o->nkeep) return MG_STATUS_OK;
    L->keep_col = mg__malloc(mg__mul_size(o->nkeep, sizeof *L->keep_col));
    if (!L->keep_col) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    for (size_t k = 0; k < o->nkeep; k++)
        if ((L->keep_col[k] = find_column(L, o->keep[k])) == SIZE_MAX)
            return no_column(L, o->keep[k], "to keep", err);
    return MG_STATUS_OK;
}

mg_status mg__csv_layout(csv_load *L, mg_err *err) {
    L->role = mg__malloc(mg__mul_size(L->ncols, sizeof *L->role));
    char *dropped = mg__calloc(L->ncols, 1);
    mg_status st = L->role && dropped ? MG_STATUS_OK
                                      : mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    L->target_col = SIZE_MAX;
    if (!st) st = L->opt->nfeat ? layout_model(L, dropped, err) : layout_training(L, dropped, err);
    mg__free(dropped);
    return st ? st : find_kept(L, err);
}

/* ==== after the rows ===================================================================== */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Whether n numbers (stride apart) are whole and all different. -1 when out of memory. */
static int distinct_integers(const double *x, size_t n, size_t stride) {
    double lo = x[0], hi = x[0];
    for (size_t i = 0; i < n; i++) {
        double v = x[i * stride];
        if (v != floor(v) || fabs(v) > 9007199254740992.0) return 0;
        lo = v < lo ? v : lo, hi = v > hi ? v : hi;
    }
    if (hi - lo + 1 < (double)n) return 0; /* fewer whole numbers in range than rows */
    double *s = mg__malloc(mg__mul_size(n, sizeof *s));
    if (!s) return -1;
    for (size_t i = 0; i < n; i++) s[i] = x[i * stride];
    qsort(s, n, sizeof *s, cmp_double);
    int distinct = 1;
    for (size_t i = 1; i < n && distinct; i++) distinct = s[i] != s[i - 1];
    mg__free(s);
    return distinct;
}

/* The index candidate: left out when its values are a different whole number on every
 * row (the index pandas writes, shuffled or not), else kept as the first feature. */
static mg_status settle_index(csv_load *L, mg_err *err) {
    mg_dataset *d = L->d;
    if (!L->role || L->role[0] != ROLE_INDEX) return MG_STATUS_OK;
    int is_index = distinct_integers(L->index, d->n, 1);
    if (is_index < 0) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    if (is_index) {
        L->rep->index_dropped = 1;
        L->role[0] = ROLE_IGNORE;
        return MG_STATUS_OK;
    }
    size_t w = d->nfeat + 1;
    double *x = mg__malloc(mg__mul_size(mg__mul_size(d->n, w), sizeof *x));
    if (!x) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    for (size_t i = 0; i < d->n; i++) {
        x[i * w] = L->index[i];
        memcpy(x + i * w + 1, d->x + i * d->nfeat, d->nfeat * sizeof *x);
    }
    mg__free(d->x);
    d->x = x;
    d->nfeat = w;
    for (size_t c = 1; c < L->ncols; c++) L->role[c] += L->role[c] >= 0;
    L->role[0] = 0;
    return MG_STATUS_OK;
}

/* A column's name for the report: its header, or its 0-based number without one. */
static char *column_spec(const csv_load *L, size_t c) {
    char num[24];
    snprintf(num, sizeof num, "%zu", c);
    return mg__strdup(L->header ? L->header[c].text : num);
}

/* id, *_id, index, row, in any case. */
static int named_like_id(const char *s) {
    size_t n = strlen(s);
    char low[8];
    if (n >= 3 && (s[n - 3] == '_' || s[n - 3] == '-') && (s[n - 2] | 32) == 'i' &&
        (s[n - 1] | 32) == 'd')
        return 1;
    if (n >= sizeof low) return 0;
    for (size_t i = 0; i <= n; i++) low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    return !strcmp(low, "id") || !strcmp(low, "index") || !strcmp(low, "row");
}

/* Features that look like row identifiers, for the report's warnings. */
static mg_status find_suspects(csv_load *L, mg_err *err) {
    mg_csv_report *rep = L->rep;
    mg_dataset *d = L->d;
    for (size_t c = 0; c < L->ncols; c++) {
        if (L->role[c] < 0) continue;
        size_t j = (size_t)L->role[c];
        int named = L->header && named_like_id(L->header[c].text);
        int distinct = d->n >= MG_CSV_ID_MIN_ROWS ? distinct_integers(d->x + j, d->n, d->nfeat) : 0;
        if (distinct < 0) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
        if (!named && !distinct) continue;
        if (!rep->suspects && !(rep->suspects = mg__calloc(d->nfeat, sizeof *rep->suspects)))
            return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
        mg_csv_suspect *s = &rep->suspects[rep->nsuspects++];
        *s = (mg_csv_suspect){column_spec(L, c), j, distinct, named};
        if (!s->column) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    }
    return MG_STATUS_OK;
}

mg_status mg__csv_finish_columns(csv_load *L, mg_err *err) {
    mg_csv_report *rep = L->rep;
    mg_status st = settle_index(L, err);
    size_t n = 0;
    for (size_t c = 0; !st && c < L->ncols; c++) n += L->role[c] == ROLE_IGNORE;
    if (!st && n && !(rep->unused = mg__calloc(n, sizeof *rep->unused)))
        st = mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    for (size_t c = 0; !st && n && c < L->ncols; c++) {
        if (L->role[c] != ROLE_IGNORE) continue;
        if (!(rep->unused[rep->nunused++] = column_spec(L, c)))
            st = mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    }
    if (!st && !L->opt->nfeat) st = find_suspects(L, err);
    return st;
}
