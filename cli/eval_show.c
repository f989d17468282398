/* eval_show.c - what `micrograd eval` prints besides the script's own output: a script
 * error with its line and a caret, the summary of the output's value and its gradient with
 * respect to every leaf (text or one line of JSON), where a non-finite number started, and
 * the --formula and --dot outputs. */
#include "eval_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== errors with the source line and a caret ========================================== */

/* Prints line `line` of text (cut around col when long, control bytes as '?') and a
 * caret under column col. Tabs are kept in the caret line and UTF-8 continuation bytes
 * skipped, so the caret lands under the spot on a terminal. */
static void print_caret(const char *text, size_t len, size_t line, size_t col) {
    size_t start = 0, l = 1;
    while (l < line && start < len) {
        const char *nl = memchr(text + start, '\n', len - start);
        if (!nl) return;
        start = (size_t)(nl - text) + 1;
        l++;
    }
    const char *nl = start < len ? memchr(text + start, '\n', len - start) : NULL;
    size_t end = nl ? (size_t)(nl - text) : len;
    if (end > start && text[end - 1] == '\r') end--;
    size_t spot = start + (col > 0 ? col - 1 : 0), from = start, to = end;
    if (spot > end) spot = end;
    if (spot - from > 80) from = spot - 60;
    if (to - from > 160) to = from + 160;
    fprintf(stderr, "%s", from > start ? "..." : "");
    for (size_t i = from; i < to; i++) {
        unsigned char c = (unsigned char)text[i];
        fputc(c == '\t' || (c >= 0x20 && c != 0x7f) ? c : '?', stderr);
    }
    fprintf(stderr, "%s\n%s", to < end ? "..." : "", from > start ? "   " : "");
    for (size_t i = from; i < spot; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\t') fputc('\t', stderr);
        else if (c < 0x80 || c >= 0xc0) fputc(' ', stderr);
    }
    fprintf(stderr, "^\n");
}

void eval_print_error(const char *fname, const char *text, size_t len, mg_status st,
                      const mg_script_error *where, const mg_err *err) {
    fflush(stdout); /* what the script printed before the error comes first */
    if (st == MG_STATUS_FORMAT) {
        fprintf(stderr, "%s:%zu:%zu: error: %s\n", fname, where->line, where->col,
                where->message);
        print_caret(text, len, where->line, where->col);
    } else {
        app_error("%s", err->msg);
    }
}

/* ==== leaf names ======================================================================= */

typedef struct leaf_row {
    mg_value v;
    const char *name;
    size_t line, col;
    char shown[300]; /* the name as printed */
    double grad;     /* d output / d leaf */
} leaf_row;

static int by_name(const void *a, const void *b) {
    const leaf_row *x = *(leaf_row *const *)a, *y = *(leaf_row *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x < y ? -1 : x > y);
}

/* The leaves with the names to print: a name shared by several leaves, and a missing
 * one, get the leaf's position, so every row is distinct. NULL when out of memory. */
static leaf_row *leaf_rows(const mg_script *s, size_t n) {
    leaf_row *rows = calloc(n ? n : 1, sizeof *rows);
    leaf_row **order = calloc(n ? n : 1, sizeof *order);
    if (!rows || !order) {
        free(rows);
        free(order);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        rows[i].v = mg_script_leaf(s, i, &rows[i].name, &rows[i].line, &rows[i].col);
        order[i] = &rows[i];
    }
    qsort(order, n, sizeof *order, by_name);
    for (size_t i = 0; i < n; i++) {
        leaf_row *r = order[i];
        int shared = (i > 0 && !strcmp(order[i - 1]->name, r->name)) ||
                     (i + 1 < n && !strcmp(order[i + 1]->name, r->name));
        if (!*r->name)
            snprintf(r->shown, sizeof r->shown, "Value@%zu:%zu", r->line, r->col);
        else if (shared)
            snprintf(r->shown, sizeof r->shown, "%.255s@%zu:%zu", r->name, r->line, r->col);
        else
            snprintf(r->shown, sizeof r->shown, "%.255s", r->name);
    }
    free(order);
    return rows;
}

/* ==== printing ========================================================================= */

static const char *fmt_num(double x, const eval_opts *o, char *buf, size_t size) {
    if (o->repr) return mg_fmt_repr(x, buf, size);
    snprintf(buf, size, isfinite(x) && fabs(x) >= 1e15 ? "%.*e" : "%.*f", o->precision, x);
    return buf;
}

/* Writes s as printable text: labels may hold any bytes, the terminal gets no controls. */
static void put_text(const char *s) {
    for (; *s; s++) putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

/* A JSON string of len bytes: escapes (NULs included), and invalid UTF-8 replaced by
 * U+FFFD so the line parses. */
static void put_json_bytes(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    putchar('"');
    while (p < end) {
        unsigned char c = *p;
        int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        int ok = n > 0 && n <= end - p && !(n == 2 && c < 0xc2) && !(n == 4 && c > 0xf4);
        for (int k = 1; ok && k < n; k++) ok = (p[k] & 0xc0) == 0x80;
        if (ok && n == 3) ok = !(c == 0xe0 && p[1] < 0xa0) && !(c == 0xed && p[1] >= 0xa0);
        if (ok && n == 4) ok = !(c == 0xf0 && p[1] < 0x90) && !(c == 0xf4 && p[1] >= 0x90);
        if (!ok) {
            fputs("\\ufffd", stdout);
            p++;
        } else if (c == '"' || c == '\\') {
            printf("\\%c", c);
            p++;
        } else if (c < 0x20) {
            static const char ctl[] = "\b\f\n\r\t", short_form[] = "bfnrt";
            const char *k = c ? strchr(ctl, c) : NULL;
            if (k)
                printf("\\%c", short_form[k - ctl]);
            else
                printf("\\u%04x", c);
            p++;
        } else {
            fwrite(p, 1, (size_t)n, stdout);
            p += n;
        }
    }
    putchar('"');
}

static void put_json_string(const char *s) { put_json_bytes(s, strlen(s)); }

static void put_json_number(double x) {
    char buf[32];
    fputs(isfinite(x) ? mg_fmt_repr(x, buf, sizeof buf) : "null", stdout);
}

static void print_results(const mg_ctx *ctx, const char *out_name, mg_value out,
                          const leaf_row *rows, size_t n, const char *printed, size_t nprinted,
                          const eval_opts *o) {
    char buf[400];
    if (o->json) {
        fputs("{\"output\": ", stdout);
        put_json_string(out_name);
        fputs(", \"value\": ", stdout);
        put_json_number(mg_data(ctx, out));
        fputs(", \"grads\": {", stdout);
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ", " : "", stdout);
            put_json_string(rows[i].shown);
            fputs(": ", stdout);
            put_json_number(rows[i].grad);
        }
        fputs("}", stdout);
        if (printed) {
            fputs(", \"printed\": ", stdout);
            put_json_bytes(printed, nprinted);
        }
        fputs("}\n", stdout);
        return;
    }
    put_text(out_name);
    printf(" = %s\n", fmt_num(mg_data(ctx, out), o, buf, sizeof buf));
    for (size_t i = 0; i < n; i++) {
        printf("d");
        put_text(out_name);
        printf("/d");
        put_text(rows[i].shown);
        printf(" = %s\n", fmt_num(rows[i].grad, o, buf, sizeof buf));
    }
}

/* ==== non-finite values ================================================================ */

/* Reports, when the output or a leaf's gradient is not finite, where that started: the
 * first value (in tape order) out of those the output depends on whose data is not
 * finite; else, since backward walks the tape downwards, the last one whose gradient
 * is not finite. Returns 1 when something was not finite. */
static int report_nonfinite(const mg_ctx *ctx, mg_value out, const leaf_row *rows, size_t n) {
    int bad = !isfinite(mg_data(ctx, out));
    for (size_t i = 0; i < n && !bad; i++) bad = !isfinite(rows[i].grad);
    if (!bad) return 0;
    size_t size = mg_ctx_size(ctx), top = mg_index(ctx, out);
    unsigned char *reach = calloc(size, 1);
    if (reach) { /* what out depends on: one downward sweep, inputs come before values */
        reach[top] = 1;
        for (size_t i = top + 1; i-- > 0;) {
            if (!reach[i]) continue;
            mg_value v = mg_at(ctx, i);
            for (size_t k = 0, nin = mg_noperands(ctx, v); k < nin; k++)
                reach[mg_index(ctx, mg_operand(ctx, v, k))] = 1;
        }
    }
    mg_value first_data = MG_NULL, last_grad = MG_NULL;
    for (size_t from = 0; from < size;) {
        mg_value v = mg_find_nonfinite(ctx, from, 1);
        if (!mg_ok(v)) break;
        size_t i = mg_index(ctx, v);
        if (!reach || reach[i]) {
            if (!isfinite(mg_data(ctx, v)) && !mg_ok(first_data)) first_data = v;
            if (!isfinite(mg_grad(ctx, v))) last_grad = v;
        }
        from = i + 1;
    }
    free(reach);
    char desc[400];
    if (mg_ok(first_data))
        app_error("not finite: the first value to go non-finite is %s",
                  mg_describe(ctx, first_data, desc, sizeof desc));
    else if (mg_ok(last_grad))
        app_error("not finite: the first gradient to go non-finite (backward runs from the "
                  "output down) is at %s", mg_describe(ctx, last_grad, desc, sizeof desc));
    else
        app_error("not finite: the output or a gradient is NaN or infinite");
    return 1;
}

/* ==== pictures and formulas ============================================================ */

/* --formula, then --dot: each a call, in the order their outputs appear. */
int eval_outputs(mg_ctx *ctx, mg_value out, const eval_opts *o) {
    mg_err err = {0};
    if (o->formula) {
        mg_formula_options fo;
        mg_formula_options_init(&fo);
        fo.numbers = o->formula == 2;
        if (mg_formula_write(ctx, out, &fo, stdout, &err) != MG_STATUS_OK) {
            app_error("--formula: %s", err.msg);
            return APP_FAIL;
        }
    }
    if (o->dot) {
        mg_graph_options d;
        mg_graph_options_init(&d);
        d.rankdir = o->rankdir;
        mg_status st = mg_graph_save(ctx, out, &d, o->dot, &err);
        if (st != MG_STATUS_OK) {
            app_error("--dot %s: %s", o->dot, err.msg);
            return APP_FAIL;
        }
    }
    if (o->html) { /* one backward of the output from zeroed grads; the context is kept */
        mg_page_options po;
        mg_page_options_init(&po);
        po.rankdir = o->rankdir;
        po.source = o->nsrc == 1 ? o->src[0].text : NULL; /* the script, shown beside it */
        if (mg_page_save(ctx, out, &po, o->html, &err) != MG_STATUS_OK) {
            app_error("--html %s: %s", o->html, err.msg);
            return APP_FAIL;
        }
    }
    return APP_OK;
}


/* ==== the summary ====================================================================== */

/* The grads of the whole tape: saved, to give them back after the summary's backward. */
static double *grads_save(mg_ctx *ctx, size_t size) {
    double *saved = malloc(size * sizeof *saved);
    if (saved) memcpy(saved, mg_grad_ptr(ctx, mg_at(ctx, 0)), size * sizeof *saved);
    return saved;
}

static void grads_restore(mg_ctx *ctx, const double *saved, size_t size) {
    memcpy(mg_grad_ptr(ctx, mg_at(ctx, 0)), saved, size * sizeof *saved);
}

int eval_summary(mg_ctx *ctx, const mg_script *s, const char *name, mg_value out, int fresh,
                 const char *printed, size_t nprinted, const eval_opts *o) {
    size_t n = mg_script_nleaves(s), size = mg_ctx_size(ctx);
    leaf_row *rows = leaf_rows(s, n);
    double *saved = fresh ? grads_save(ctx, size) : NULL;
    if (!rows || (fresh && !saved)) {
        free(rows);
        app_error("out of memory");
        return APP_FAIL;
    }
    if (fresh) mg_zero_grad_span(ctx, mg_at(ctx, 0), size);
    mg_backward(ctx, out); /* creates no value: the tape keeps its size */
    int status = APP_FAIL;
    if (mg_ctx_status(ctx) != MG_STATUS_OK) {
        app_error("backward failed: %s", mg_ctx_errmsg(ctx));
    } else {
        for (size_t i = 0; i < n; i++) rows[i].grad = mg_grad(ctx, rows[i].v);
        print_results(ctx, name, out, rows, n, printed, nprinted, o);
        status = report_nonfinite(ctx, out, rows, n) ? APP_FAIL : APP_OK;
    }
    if (fresh) grads_restore(ctx, saved, size);
    free(saved);
    free(rows);
    return status;
}
