/* csv_read.c - a CSV file's text as records of fields (RFC 4180, unquoted in place), the
 * delimiter and decimal mark it uses, and its numbers. The rules are micrograd.h's,
 * section 14a. */
#include "csv_internal.h"

#include <stdio.h>

/* ==== the tokenizer: one record at a time, fields unquoted in place ===================== */

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

/* Reads an unquoted field at the cursor, up to the delimiter or the line end. */
static mg_status read_plain(csv_reader *r, csv_field *fl, mg_err *err) {
    fl->text = r->p;
    while (r->p < r->end) {
        char c = *r->p;
        if (c == r->delim || c == '\n' || c == '\r') break;
        if (c == '"')
            return mg_err_set(err, MG_STATUS_FORMAT,
                              "%s:%zu:%zu: a quote inside an unquoted field (quote the whole "
                              "field and double the quote)",
                              r->name, r->line, CSV_COL(r, r->p));
        if (c == '\0')
            return mg_err_set(err, MG_STATUS_FORMAT, "%s:%zu:%zu: NUL byte (not a text file?)",
                              r->name, r->line, CSV_COL(r, r->p));
        r->p++;
    }
    char *e = r->p;
    while (e > fl->text && is_blank(e[-1], r->delim)) e--;
    /* The delimiter or line end after the field is consumed by the caller, so writing the
     * terminator over a trailing blank or over it is safe. */
    if (e < r->p) *e = '\0';
    return MG_STATUS_OK;
}

int mg__csv_next_record(csv_reader *r, mg_err *err) {
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
        if (fl->quoted ? read_quoted(r, fl, err) : read_plain(r, fl, err)) return -1;
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

int mg__csv_record_blank(const csv_reader *r) {
    for (size_t c = 0; c < r->nf; c++)
        if (r->f[c].quoted || r->f[c].text[0]) return 0;
    return 1;
}

int mg__csv_trailing_empty(const csv_field *f, size_t nf) {
    return nf >= 2 && !f[nf - 1].quoted && !f[nf - 1].text[0];
}

/* ==== delimiter and decimal mark ========================================================= */

char mg__csv_detect_delimiter(const char *p, const char *end) {
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

static int is_digit(char c) { return c >= '0' && c <= '9'; }

char mg__csv_detect_decimal(const char *p, const char *end, char delim) {
    if (delim != ';' && delim != '\t') return '.';
    size_t comma = 0, point = 0;
    int inq = 0;
    for (const char *s = p; s < end; s++) {
        if (*s == '"') inq = !inq;
        else if (!inq && (*s == ',' || *s == '.') && s > p && s + 1 < end && is_digit(s[-1]) &&
                 is_digit(s[1]))
            *s == ',' ? comma++ : point++;
    }
    return comma > point ? ',' : '.';
}

/* ==== numbers ============================================================================ */

/* Numbers longer than this are not numbers a table holds. */
#define NUMBER_MAX 128

int mg__csv_number(const char *s, char decimal, double *out) {
    if (decimal != ',') return mg__files_number(s, out);
    char buf[NUMBER_MAX];
    size_t n = strlen(s);
    if (n >= sizeof buf || strchr(s, '.')) return 1;
    for (size_t i = 0; i <= n; i++) buf[i] = s[i] == ',' ? '.' : s[i];
    return mg__files_number(buf, out);
}

const char *mg__csv_number_hint(const char *s, char decimal) {
    double x;
    char other = decimal == ',' ? '.' : ',';
    if (!strchr(s, other) || mg__csv_number(s, other, &x)) return "";
    return decimal == ',' ? " (a decimal point, but the decimal mark is ','; read it with "
                            "decimal '.')"
                          : " (a decimal comma, but the decimal mark is '.'; read it with "
                            "decimal ',')";
}
