/* csv_internal.h - what the CSV modules share: the tokenizer and number syntax
 * (csv_read.c), the class labels (csv_labels.c), the column layout and what the report
 * says about the columns (csv_columns.c), and the load itself (csv.c). The rules are
 * micrograd.h's, section 14a. Not installed. */
#ifndef MG_CSV_INTERNAL_H
#define MG_CSV_INTERNAL_H

#include "files_internal.h"
#include "core/hash.h"

/* ==== the tokenizer (csv_read.c) ========================================================== */

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
    char delim, decimal;
    csv_field *f;      /* the current record's fields */
    size_t nf, capf;
    size_t rec_line;   /* line where the current record starts */
    size_t end_line, end_col; /* where it ends, for "missing field" messages */
} csv_reader;

/* Reads the next record into r->f. Returns 1 for a record, 0 at the end of the data, -1
 * on error (err set). */
int mg__csv_next_record(csv_reader *r, mg_err *err);
/* 1 when the record read is a blank line: every field empty and unquoted (a line of
 * delimiters only is one too: spreadsheets export empty rows that way). */
int mg__csv_record_blank(const csv_reader *r);
/* 1 when the record's last field is empty and unquoted (a delimiter ends the line). */
int mg__csv_trailing_empty(const csv_field *f, size_t nf);
/* The most frequent of , ; and tab outside quotes on the first line (ties: tab, ';'). */
char mg__csv_detect_delimiter(const char *p, const char *end);
/* ',' when the delimiter is ';' or tab and, outside quotes, a digit-comma-digit is more
 * frequent than a digit-point-digit; else '.'. */
char mg__csv_detect_decimal(const char *p, const char *end, char delim);
/* mg__files_number with `decimal` as the decimal mark: 0 a number (*out set), 1 not a
 * number, 2 out of range. */
int mg__csv_number(const char *s, char decimal, double *out);
/* Why s is not a number, for messages: a hint when it would be one with the other
 * decimal mark ("" otherwise). */
const char *mg__csv_number_hint(const char *s, char decimal);

/* ==== class labels (csv_labels.c) ======================================================= */

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

/* Returns the entry's index, adding it when new; UINT32_MAX when out of memory. */
uint32_t mg__csv_label_intern(label_table *t, const label_entry *key);
void mg__csv_label_free(label_table *t);
/* The classes of t sorted (numerically when every label is a number, else by bytes):
 * rank[entry] gets each entry's class, *names the class names (copied). */
mg_status mg__csv_label_sort(const label_table *t, uint32_t *rank, char ***names);

/* ==== the load (csv.c) and its columns (csv_columns.c) =================================== */

/* What each column of the file is. */
enum {
    ROLE_IGNORE = -3, /* not read (dropped, not selected, not the model's) */
    ROLE_INDEX = -2,  /* a pandas index candidate: read aside, dropped if it is one */
    ROLE_TARGET = -1  /* else the feature's index */
};

typedef struct csv_load {
    csv_reader r;
    const mg_csv_options *opt;
    mg_csv_report *rep; /* opt->report, or a local one */
    mg_dataset *d;
    size_t ncols;      /* the columns read (a trailing empty one not counted) */
    int trailing;      /* lines end with a delimiter: an empty last field is dropped */
    int *role;         /* [ncols] */
    size_t target_col; /* SIZE_MAX: no target column */
    size_t *keep_col;  /* [opt->nkeep] the columns whose text is kept */
    csv_field *first;  /* a copy of the first record's fields */
    size_t nfirst, first_line;
    csv_field *header; /* = first when it is a header, else NULL */
    size_t caprows;
    uint32_t *ids;     /* [caprows] label entry of each row (classification) */
    double *index;     /* [caprows] the index candidate's values */
    label_table labels;
    int all_numeric, all_integer;
    size_t pending_blank; /* blank lines seen since the last row */
} csv_load;

/* The column's name for messages: "column 'name'", else "column N" (1-based). */
const char *mg__csv_colname(const csv_load *L, size_t c, char *buf, size_t size);
/* Decides whether the first record is a header, given the second (NULL when none). */
int mg__csv_is_header(const csv_load *L, const csv_field *second, size_t nsecond);
/* The roles of the columns (target, features, dropped, selected, the model's) and the
 * kept ones; sets d->nfeat. */
mg_status mg__csv_layout(csv_load *L, mg_err *err);
/* After the rows: the index candidate kept as feature 0 or dropped; the report's
 * columns, unused columns and suspects. */
mg_status mg__csv_finish_columns(csv_load *L, mg_err *err);

#endif /* MG_CSV_INTERNAL_H */
