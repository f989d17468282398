/* csv.c - CSV files into datasets: RFC 4180 fields, delimiter and header detection,
 * the target column, class labels, and rows laid out for a trained model. The rules
 * are documented in micrograd.h, section 14a. */
#include "files_internal.h"
#include "core/hash.h"
#include "data/dataset.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>

/* ==== options =========================================================================== */

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
}

/* ==== tokenizer: one record at a time, fields unquoted in place ========================= */

typedef struct csv_field {
    char *text;        /* NUL-terminated, trimmed, quotes removed */
    size_t line, col;  /* where the field starts (1-based) */
    int quoted;
} csv_field;

typedef struct csv_reader {
    const char *name;
    char *p, *end;     /* cursor and end of the data (*end is a NUL) */
    char *line_start;  /* start of the cursor's physical line */
    size_t line;
    char delim;
    csv_field *f;      /* the current record's fields */
    size_t nf, capf;
    size_t rec_line;   /* line where the current record starts */
    size_t end_line, end_col; /* where it ends, for "missing field" messages */
} csv_reader;

#define CSV_COL(r, ptr) ((size_t)((ptr) - (r)->line_start) + 1)

static int is_blank(char c, char delim) { return c == ' ' || (c == '\t' && delim != '\t'); }

static mg_status push_field(csv_reader *r, mg_err *err) {
    if (r->nf >= MG_CSV_MAX_COLUMNS)
        return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: more than %d columns", r->name,
                          r->line, CSV_COL(r, r->p), MG_CSV_MAX_COLUMNS);
    if (r->nf < r->capf) return MG_STATUS_OK;
    size_t cap = r->capf ? r->capf * 2 : 64;
    csv_field *nf = mg__realloc(r->f, mg__mul_size(cap, sizeof *nf));
    if (!nf) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", r->name);
    r->f = nf;
    r->capf = cap;
    return MG_STATUS_OK;
}

/* Consumes a line end at the cursor (\n, \r\n or a lone \r). */
static void eat_newline(csv_reader *r) {
    if (*r->p == '\r') r->p++;
    if (r->p < r->end && *r->p == '\n') r->p++;
    r->line++;
    r->line_start = r->p;
}

/* Reads one quoted field whose opening quote is at the cursor; the text is compacted to
 * start at the quote's position. */
static mg_status read_quoted(csv_reader *r, csv_field *fl, mg_err *err) {
    size_t qline = r->line, qcol = CSV_COL(r, r->p);
    char *w = r->p;
    fl->text = w;
    r->p++;
    for (;;) {
        if (r->p >= r->end)
            return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: unterminated quoted field",
                              r->name, qline, qcol);
        char c = *r->p;
        if (c == '"') {
            if (r->p + 1 < r->end && r->p[1] == '"') {
                *w++ = '"';
                r->p += 2;
                continue;
            }
            r->p++;
            break;
        }
        if (c == '\0')
            return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: NUL byte in a quoted field",
                              r->name, r->line, CSV_COL(r, r->p));
        if (c == '\r' || c == '\n') {
            /* A line break inside quotes is part of the field; keep it as '\n'. */
            *w++ = '\n';
            eat_newline(r);
            continue;
        }
        *w++ = c;
        r->p++;
    }
    while (r->p < r->end && is_blank(*r->p, r->delim)) r->p++;
    if (r->p < r->end && *r->p != r->delim && *r->p != '\n' && *r->p != '\r')
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s:%zu:%zu: text after a closing quote (a quote inside a quoted "
                          "field is written \"\")",
                          r->name, r->line, CSV_COL(r, r->p));
    *w = '\0';
    return MG_STATUS_OK;
}

/* Reads the next record into r->f. Returns 1 for a record, 0 at the end of the data, -1
 * on error (err set). A record that is one empty unquoted field is a blank line. */
static int next_record(csv_reader *r, mg_err *err) {
    r->nf = 0;
    if (r->p >= r->end) return 0;
    r->rec_line = r->line;
    for (;;) {
        if (push_field(r, err)) return -1;
        csv_field *fl = &r->f[r->nf++];
        while (r->p < r->end && is_blank(*r->p, r->delim)) r->p++;
        fl->line = r->line;
        fl->col = CSV_COL(r, r->p);
        fl->quoted = r->p < r->end && *r->p == '"';
        if (fl->quoted) {
            if (read_quoted(r, fl, err)) return -1;
        } else {
            fl->text = r->p;
            while (r->p < r->end) {
                char c = *r->p;
                if (c == r->delim || c == '\n' || c == '\r') break;
                if (c == '"') {
                    mg_err_set(err, MG_STATUS_FORMAT,
                               "%s:%zu:%zu: a quote inside an unquoted field (quote the whole "
                               "field and double the quote)",
                               r->name, r->line, CSV_COL(r, r->p));
                    return -1;
                }
                if (c == '\0') {
                    mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: NUL byte (not a text file?)",
                               r->name, r->line, CSV_COL(r, r->p));
                    return -1;
                }
                r->p++;
            }
            char *e = r->p;
            while (e > fl->text && is_blank(e[-1], r->delim)) e--;
            /* The delimiter or line end after the field is consumed below, so writing the
             * terminator over a trailing blank or over it is safe. */
            if (e < r->p) *e = '\0';
        }
        if (r->p < r->end && *r->p == r->delim) {
            *r->p++ = '\0';
            continue;
        }
        r->end_line = r->line;
        r->end_col = CSV_COL(r, r->p);
        if (r->p < r->end) {
            char *nl = r->p;
            eat_newline(r);
            *nl = '\0'; /* ends an unquoted last field; the line end is consumed */
        }
        return 1;
    }
}

static int record_is_blank(const csv_reader *r) {
    return r->nf == 1 && !r->f[0].quoted && r->f[0].text[0] == '\0';
}

/* ==== delimiter and header detection ==================================================== */

/* The most frequent of , ; and tab outside quotes on the first line; ties go to tab,
 * then ';', then ',' (a rarer character that is present at all is the stronger sign). */
static char detect_delimiter(const char *p, const char *end) {
    size_t comma = 0, semi = 0, tab = 0;
    int inq = 0;
    for (; p < end; p++) {
        if (*p == '"') inq = !inq;
        else if (!inq && (*p == '\n' || *p == '\r')) break;
        else if (!inq && *p == ',') comma++;
        else if (!inq && *p == ';') semi++;
        else if (!inq && *p == '\t') tab++;
    }
    if (tab && tab >= semi && tab >= comma) return '\t';
    if (semi && semi >= comma) return ';';
    return ',';
}

static int cell_is_number(const csv_field *f) {
    double x;
    return mg__files_number(f->text, &x) != 1;
}

/* ==== class labels: interned by text, or by value when numeric ========================= */

typedef struct label_entry {
    const char *text; /* into the parse buffer */
    double value;
    int numeric;
} label_entry;

typedef struct label_table {
    label_entry *e;
    size_t n, cap;
    mg__hindex index; /* of the entries, by label */
} label_table;

static uint64_t label_hash(const label_entry *e) {
    if (e->numeric) {
        double v = e->value == 0 ? 0.0 : e->value; /* -0 and 0 are one class */
        return mg__fnv1a(MG__FNV_INIT, &v, sizeof v) ^ 0x9e3779b97f4a7c15u;
    }
    return mg__fnv1a(MG__FNV_INIT, e->text, strlen(e->text));
}

static int label_eq(const void *user, uint32_t entry, const void *key) {
    const label_entry *a = &((const label_table *)user)->e[entry], *b = key;
    if (a->numeric != b->numeric) return 0;
    return a->numeric ? a->value == b->value : strcmp(a->text, b->text) == 0;
}

/* Returns the entry's index, adding it when new; UINT32_MAX when out of memory. */
static uint32_t label_intern(label_table *t, const label_entry *key) {
    uint64_t h = label_hash(key);
    uint32_t found = mg__hindex_find(&t->index, h, label_eq, t, key);
    if (found != UINT32_MAX) return found;
    if (t->n >= UINT32_MAX - 2 || !mg__grow((void **)&t->e, &t->cap, t->n + 1, sizeof *t->e) ||
        !mg__hindex_add(&t->index, h, (uint32_t)t->n))
        return UINT32_MAX;
    t->e[t->n] = *key;
    return (uint32_t)t->n++;
}

static void label_free(label_table *t) {
    mg__free(t->e);
    mg__hindex_free(&t->index);
}

/* Classes are sorted (numerically when every label is a number, else by bytes), so the
 * class indices do not depend on the order of the rows. */
typedef struct sorted_label {
    label_entry e;
    uint32_t id;
} sorted_label;

static int by_label(const void *pa, const void *pb) {
    const label_entry *a = &((const sorted_label *)pa)->e, *b = &((const sorted_label *)pb)->e;
    if (a->numeric && b->numeric) return (a->value > b->value) - (a->value < b->value);
    return strcmp(a->text, b->text);
}

/* ==== the load ========================================================================== */

enum { ROLE_IGNORE = -2, ROLE_TARGET = -1 }; /* else the feature's index */

typedef struct csv_load {
    csv_reader r;
    const mg_csv_options *opt;
    mg_dataset *d;
    size_t ncols;
    int *role;         /* [ncols] */
    size_t target_col; /* SIZE_MAX: no target column */
    csv_field *first;  /* a copy of the first record's fields */
    size_t nfirst, first_line;
    csv_field *header; /* = first when it is a header, else NULL */
    size_t caprows;
    uint32_t *ids;     /* [caprows] label entry of each row (classification) */
    label_table labels;
    int all_numeric, all_integer;
} csv_load;

/* Finds a column by header name, else by a 0-based number (negative: from the end). */
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

static mg_status unknown_target(const csv_load *L, mg_err *err) {
    char q[64];
    return mg_err_set(err, MG_STATUS_INVALID,
                      "%s: no column '%s' to predict (%zu columns%s; give a header name or a "
                      "0-based number)",
                      L->r.name, mg__files_quote(L->opt->target, q, sizeof q), L->ncols,
                      L->header ? "" : ", no header");
}

/* Training layout: one target column, every other column a feature. */
static mg_status layout_training(csv_load *L, mg_err *err) {
    if (L->ncols < 2)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s:%zu:1: one column only: need feature columns and a target "
                          "(is the delimiter right?)",
                          L->r.name, L->first_line);
    L->target_col = L->opt->target ? find_column(L, L->opt->target) : L->ncols - 1;
    if (L->target_col == SIZE_MAX) return unknown_target(L, err);
    for (size_t c = 0, k = 0; c < L->ncols; c++)
        L->role[c] = c == L->target_col ? ROLE_TARGET : (int)k++;
    L->d->nfeat = L->ncols - 1;
    return MG_STATUS_OK;
}

/* A model's layout: its features by name when both sides have names, else by position
 * with an optional target column. Other columns are ignored. */
static mg_status layout_model(csv_load *L, mg_err *err) {
    const mg_csv_options *o = L->opt;
    L->d->nfeat = o->nfeat;
    for (size_t c = 0; c < L->ncols; c++) L->role[c] = ROLE_IGNORE;
    if (L->header && o->feature_names) {
        for (size_t k = 0; k < o->nfeat; k++) {
            /* The first column of that name not taken yet: repeated names pair up in order. */
            size_t c = 0;
            while (c < L->ncols &&
                   (L->role[c] != ROLE_IGNORE || strcmp(L->header[c].text, o->feature_names[k])))
                c++;
            if (c == L->ncols) {
                char q[64];
                return mg_err_set(err, MG_STATUS_FORMAT,
                                  "%s:%zu:1: no column '%s' (the model's feature %zu of %zu)",
                                  L->r.name, L->header[0].line,
                                  mg__files_quote(o->feature_names[k], q, sizeof q), k + 1,
                                  o->nfeat);
            }
            L->role[c] = (int)k;
        }
        if (o->target) {
            for (size_t c = 0; c < L->ncols; c++)
                if (L->role[c] == ROLE_IGNORE && !strcmp(L->header[c].text, o->target)) {
                    L->role[c] = ROLE_TARGET;
                    L->target_col = c;
                    break;
                }
        }
        return MG_STATUS_OK;
    }
    if (L->ncols != o->nfeat && L->ncols != o->nfeat + 1)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s:%zu:1: %zu columns, but the model takes %zu features (%zu columns, "
                          "or %zu with the target)",
                          L->r.name, L->first_line, L->ncols,
                          o->nfeat, o->nfeat, o->nfeat + 1);
    if (L->ncols == o->nfeat + 1) {
        /* Without a header a target given by name cannot be found: it is the last column. */
        L->target_col = o->target ? find_column(L, o->target) : L->ncols - 1;
        if (L->target_col == SIZE_MAX && !L->header) L->target_col = L->ncols - 1;
        if (L->target_col == SIZE_MAX) return unknown_target(L, err);
    }
    for (size_t c = 0, k = 0; c < L->ncols; c++)
        L->role[c] = c == L->target_col ? ROLE_TARGET : (int)k++;
    return MG_STATUS_OK;
}

static mg_status grow_rows(csv_load *L, mg_err *err) {
    mg_dataset *d = L->d;
    if (d->n < L->caprows) return MG_STATUS_OK;
    /* The first block holds 256 rows, or fewer for wide files: about 512 KB of features,
     * so a header of a million columns does not reserve gigabytes before its first row. */
    size_t first = d->nfeat > 256 ? 65536 / d->nfeat : 256;
    size_t cap = L->caprows ? L->caprows * 2 : first ? first : 1;
    size_t xbytes = mg__mul_size(mg__mul_size(cap, d->nfeat), sizeof(double));
    if (xbytes == SIZE_MAX)
        return mg_err_set(err, MG_STATUS_NOMEM, "%s: too many rows", L->r.name);
    double *x = mg__realloc(d->x, xbytes);
    if (!x) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    d->x = x;
    if (L->target_col != SIZE_MAX) {
        double *y = mg__realloc(d->y, mg__mul_size(cap, sizeof *y));
        if (!y) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
        d->y = y;
        uint32_t *ids = mg__realloc(L->ids, mg__mul_size(cap, sizeof *ids));
        if (!ids) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
        L->ids = ids;
    }
    L->caprows = cap;
    return MG_STATUS_OK;
}

/* The column's name for messages: its header, else "column N" (1-based). */
static const char *colname(const csv_load *L, size_t c, char *buf, size_t size) {
    if (L->header) {
        char q[48];
        snprintf(buf, size, "column '%s'", mg__files_quote(L->header[c].text, q, sizeof q));
    } else {
        snprintf(buf, size, "column %zu", c + 1);
    }
    return buf;
}

/* Maps a target cell to one of the model's classes: the same text, else the same
 * number. SIZE_MAX when none. */
static size_t model_class(const mg_csv_options *o, const char *text) {
    for (size_t k = 0; k < o->nclasses; k++)
        if (!strcmp(o->class_names[k], text)) return k;
    double v, w;
    if (mg__files_number(text, &v)) return SIZE_MAX;
    for (size_t k = 0; k < o->nclasses; k++)
        if (!mg__files_number(o->class_names[k], &w) && v == w) return k;
    return SIZE_MAX;
}

static mg_status read_target(csv_load *L, const csv_field *f, mg_err *err) {
    const mg_csv_options *o = L->opt;
    size_t row = L->d->n;
    char q[64], cn[80];
    double v = 0;
    int num = mg__files_number(f->text, &v);
    if (!f->text[0])
        return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %s: empty target", L->r.name,
                          f->line, f->col, colname(L, L->target_col, cn, sizeof cn));
    if (o->nfeat && o->nclasses) {
        size_t k = model_class(o, f->text);
        if (k == SIZE_MAX)
            return mg_err_set(err, MG_STATUS_FORMAT,
                              "%s:%zu:%zu: label '%s' is not one of the model's %zu classes",
                              L->r.name, f->line, f->col, mg__files_quote(f->text, q, sizeof q),
                              o->nclasses);
        L->d->y[row] = (double)k;
        return MG_STATUS_OK;
    }
    if (o->nfeat || o->task == MG_CSV_TASK_REGRESS) {
        if (num)
            return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %s: %s '%s'%s", L->r.name,
                              f->line, f->col, colname(L, L->target_col, cn, sizeof cn),
                              num == 2 ? "number out of range" : "not a number",
                              mg__files_quote(f->text, q, sizeof q),
                              o->nfeat ? " (the model predicts a number)" : "");
        L->d->y[row] = v;
        return MG_STATUS_OK;
    }
    label_entry key = {f->text, num ? 0.0 : v, num == 0};
    uint32_t id = label_intern(&L->labels, &key);
    if (id == UINT32_MAX) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    L->ids[row] = id;
    L->d->y[row] = v;
    if (num) L->all_numeric = 0;
    else if (v != floor(v) || fabs(v) > 9007199254740992.0) L->all_integer = 0;
    return MG_STATUS_OK;
}

static mg_status read_row(csv_load *L, mg_err *err) {
    csv_reader *r = &L->r;
    if (r->nf != L->ncols) {
        size_t col = r->nf > L->ncols ? r->f[L->ncols].col : r->end_col;
        size_t line = r->nf > L->ncols ? r->f[L->ncols].line : r->end_line;
        return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %zu fields, expected %zu", r->name,
                          line, col, r->nf, L->ncols);
    }
    if (grow_rows(L, err)) return err ? err->status : MG_STATUS_NOMEM;
    mg_dataset *d = L->d;
    double *xr = d->x + d->n * d->nfeat;
    for (size_t c = 0; c < L->ncols; c++) {
        const csv_field *f = &r->f[c];
        if (L->role[c] == ROLE_IGNORE) continue;
        if (L->role[c] == ROLE_TARGET) {
            if (read_target(L, f, err)) return err ? err->status : MG_STATUS_FORMAT;
            continue;
        }
        int num = mg__files_number(f->text, &xr[L->role[c]]);
        char q[64], cn[80];
        if (num && !f->text[0])
            return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %s: missing value", r->name,
                              f->line, f->col, colname(L, c, cn, sizeof cn));
        if (num)
            return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: %s: %s '%s' (features must be "
                              "numbers)", r->name, f->line, f->col, colname(L, c, cn, sizeof cn),
                              num == 2 ? "number out of range" : "not a number",
                              mg__files_quote(f->text, q, sizeof q));
    }
    d->n++;
    return MG_STATUS_OK;
}

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
    char cn[80];
    if (t->n < 2)
        return mg_err_set(err, MG_STATUS_FORMAT,
                          "%s: %s has one class only ('%s'): a classifier needs at least 2",
                          L->r.name, colname(L, L->target_col, cn, sizeof cn), t->e[0].text);
    sorted_label *order = mg__malloc(mg__mul_size(t->n, sizeof *order));
    uint32_t *rank = mg__malloc(mg__mul_size(t->n, sizeof *rank));
    d->class_names = mg__calloc(t->n, sizeof *d->class_names);
    if (!order || !rank || !d->class_names) {
        mg__free(order);
        mg__free(rank);
        return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", L->r.name);
    }
    d->nclasses = t->n;
    for (uint32_t i = 0; i < t->n; i++) order[i] = (sorted_label){t->e[i], i};
    qsort(order, t->n, sizeof *order, by_label);
    mg_status st = MG_STATUS_OK;
    for (uint32_t k = 0; k < t->n; k++) {
        rank[order[k].id] = k;
        if (!(d->class_names[k] = mg__strdup(order[k].e.text))) st = MG_STATUS_NOMEM;
    }
    for (size_t i = 0; i < d->n; i++) d->y[i] = (double)rank[L->ids[i]];
    mg__free(order);
    mg__free(rank);
    if (st) return mg_err_set(err, st, "%s: out of memory", L->r.name);
    return MG_STATUS_OK;
}

static mg_status copy_names(csv_load *L, mg_err *err) {
    mg_dataset *d = L->d;
    const mg_csv_options *o = L->opt;
    if (o->nfeat && o->feature_names)
        return mg__files_strvdup(&d->feature_names, o->feature_names, o->nfeat, err);
    if (!L->header) return MG_STATUS_OK;
    d->feature_names = mg__calloc(d->nfeat, sizeof *d->feature_names);
    if (!d->feature_names) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    for (size_t c = 0; c < L->ncols; c++) {
        if (L->role[c] >= 0 && !(d->feature_names[L->role[c]] = mg__strdup(L->header[c].text)))
            return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
        if (L->role[c] == ROLE_TARGET && !(d->target_name = mg__strdup(L->header[c].text)))
            return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    }
    return MG_STATUS_OK;
}

/* Decides whether the first record is a header, given the second (NULL when none). */
static int looks_like_header(const csv_load *L, const csv_field *first, size_t nfirst,
                             const csv_field *second, size_t nsecond) {
    const mg_csv_options *o = L->opt;
    if (o->header != MG_CSV_HEADER_AUTO) return o->header == MG_CSV_HEADER_YES;
    if (o->nfeat && o->feature_names) {
        size_t found = 0;
        for (size_t k = 0; k < o->nfeat; k++)
            for (size_t c = 0; c < nfirst; c++)
                if (!strcmp(first[c].text, o->feature_names[k])) {
                    found++;
                    break;
                }
        if (found == o->nfeat) return 1;
    }
    if (!second) {
        for (size_t c = 0; c < nfirst; c++)
            if (cell_is_number(&first[c])) return 0;
        return 1;
    }
    for (size_t c = 0; c < nfirst && c < nsecond; c++)
        if (!cell_is_number(&first[c]) && cell_is_number(&second[c])) return 1;
    return 0;
}

/* Reads the first record (skipping leading blank lines) into a copy owned by L->first. */
static mg_status read_first(csv_load *L, mg_err *err) {
    csv_reader *r = &L->r;
    int got = next_record(r, err);
    while (got == 1 && record_is_blank(r)) got = next_record(r, err);
    if (got < 0) return err ? err->status : MG_STATUS_FORMAT;
    if (got == 0) return mg_err_set(err, MG_STATUS_FORMAT, "%s:1:1: empty file (no rows)", r->name);
    L->nfirst = L->ncols = r->nf;
    L->first_line = r->rec_line;
    L->first = mg__malloc(mg__mul_size(r->nf, sizeof *L->first));
    if (!L->first) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", r->name);
    memcpy(L->first, r->f, r->nf * sizeof *L->first);
    return MG_STATUS_OK;
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
    char *p = buf;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* a UTF-8 byte order mark */
    r->p = r->line_start = p;
    r->end = buf + len;
    r->line = 1;
    r->delim = L->opt->delimiter ? L->opt->delimiter : detect_delimiter(p, r->end);

    mg_status st = read_first(L, err);
    if (st) return st;
    int got = next_record(r, err);
    if (got < 0) return err ? err->status : MG_STATUS_FORMAT;
    int have_second = got == 1 && !record_is_blank(r);
    int is_header = looks_like_header(L, L->first, L->nfirst, have_second ? r->f : NULL, r->nf);
    L->header = is_header ? L->first : NULL;
    L->role = mg__malloc(mg__mul_size(L->ncols, sizeof *L->role));
    if (!L->role) return mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory", r->name);
    L->target_col = SIZE_MAX;
    if ((st = L->opt->nfeat ? layout_model(L, err) : layout_training(L, err))) return st;
    if (!is_header && (st = read_first_as_row(L, err))) return st;

    /* The remaining records; blank lines may only trail. */
    size_t blank_line = 0;
    for (; got == 1; got = next_record(r, err)) {
        if (record_is_blank(r)) {
            if (!blank_line) blank_line = r->rec_line;
            continue;
        }
        if (blank_line)
            return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:1: empty line in the middle of the data",
                              r->name, blank_line);
        if ((st = read_row(L, err))) return st;
    }
    if (got < 0) return err ? err->status : MG_STATUS_FORMAT;
    if (L->d->n == 0)
        return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:1: no data rows (only a header)",
                          r->name, L->first_line + 1);
    if ((st = finish_targets(L, err))) return st;
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
    csv_load L;
    memset(&L, 0, sizeof L);
    L.r.name = name;
    L.opt = opt;
    L.all_numeric = L.all_integer = 1;
    L.d = mg__dataset_empty(err);
    mg_status st = L.d ? parse_buffer(&L, buf, len, err) : MG_STATUS_NOMEM;
    mg__free(L.r.f);
    mg__free(L.first);
    mg__free(L.role);
    mg__free(L.ids);
    label_free(&L.labels);
    mg__free(buf);
    if (st) {
        mg_dataset_free(L.d);
        return NULL;
    }
    return L.d;
}

mg_dataset *mg_csv_load(const char *path, const mg_csv_options *opt, mg_err *err) {
    size_t len;
    char *buf = mg__files_read(path, &len, err);
    if (!buf) return NULL;
    return load_buffer(buf, len, path, opt, err);
}

mg_dataset *mg_csv_parse(const char *text, size_t len, const char *name, const mg_csv_options *opt,
                         mg_err *err) {
    MG_ASSERT(text || !len, "text is NULL");
    char *buf = mg__malloc(len + 1 > len ? len + 1 : SIZE_MAX);
    if (!buf) {
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
        return NULL;
    }
    if (len) memcpy(buf, text, len);
    buf[len] = '\0';
    return load_buffer(buf, len, name ? name : "<csv>", opt, err);
}
