/* cmd_eval.c - `micrograd eval`: evaluates a script in micrograd's Python syntax, runs
 * backward from its output and prints the output and its gradient with respect to every
 * leaf. The stages (options, reading, parsing, backward, printing, checks) are separate
 * functions, so an option that adds an output (a drawing, a formula) is an entry in the
 * option table, a field in eval_opts and a call in run_eval. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "eval"

/* ==== options ========================================================================== */

typedef struct eval_opts {
    const char *file;   /* FILE or "-", NULL with -e */
    char *expr;         /* the -e lines joined with '\n' (malloc'd), or NULL */
    size_t expr_len;
    const char *output; /* --output NAME, or NULL for the last name assigned */
    int precision;      /* --precision: digits after the point */
    int repr;           /* --repr: exact numbers */
    int json;           /* --json */
    int quiet;          /* --quiet: no notes */
    const char *dot;    /* --dot FILE: draw the graph (.dot, .svg or .png) */
    mg_rankdir rankdir; /* --rankdir LR|TB */
    int formula;        /* --formula: 1 with labels, 2 with numbers */
} eval_opts;

static void usage(FILE *out) {
    fprintf(out,
            "Usage: micrograd eval [OPTIONS] [FILE]\n"
            "\n"
            "Evaluates a script written in micrograd's Python syntax, runs backward from its\n"
            "output and prints the output's value and its gradient with respect to every leaf\n"
            "(each Value(...) and each name assigned a plain number; constants excluded), in\n"
            "the order the leaves were made.\n"
            "\n"
            "The script: assignments (y = a*b + c; y += 1, -=, *=, /=, **=), numbers, names,\n"
            "+ - * / ** and parentheses with Python's precedence, Value(2.0) and\n"
            "Value(2.0, label='a'), tanh exp log relu sigmoid as x.tanh() or tanh(x),\n"
            "x.label = 'name', ';' between statements, # comments. print(...), import,\n"
            "x.backward(), x.grad = ... and bare expressions are ignored with a note.\n"
            "\n"
            "Input (one of):\n"
            "  FILE                 read the script from FILE ('-': standard input)\n"
            "  -e, --expr TEXT      a line of script; repeat for more lines\n"
            "\n"
            "Options:\n"
            "  -o, --output NAME    the name to differentiate (default: the last assigned)\n"
            "  -p, --precision N    digits after the decimal point, 0 to 17 (default: 4)\n"
            "  -r, --repr           exact numbers, as Python's repr (overrides --precision)\n"
            "  -j, --json           print one line {\"output\": NAME, \"value\": V, \"grads\":\n"
            "                       {\"a\": G, ...}}; numbers are exact (they read back as the\n"
            "                       same double); a NaN or an infinity is written as null\n"
            "  -q, --quiet          do not print notes about ignored lines\n"
            "  -d, --dot FILE       draw the output's graph with every node's data and grad;\n"
            "                       the extension picks the format: .dot, .svg or .png\n"
            "      --rankdir DIR    the drawing's direction: LR (default) or TB\n"
            "  -f, --formula        print the output as one formula, with labels\n"
            "      --formula-numbers  the same with the numbers in place of the labels\n"
            "  -h, --help           show this help\n"
            "\n"
            "Output: NAME = VALUE, then dNAME/dLEAF = GRADIENT for each leaf. A leaf with no\n"
            "name is shown as Value@LINE:COL; a name held by several leaves as NAME@LINE:COL.\n"
            "\n"
            "Exit status: 0 ok; 1 a script error, an unreadable file, or a value or gradient\n"
            "that is not finite (stderr names the value that first went non-finite); 2 a\n"
            "usage error.\n"
            "\n"
            "Example:\n"
            "  micrograd eval -e \"a = Value(2.0); b = Value(-3.0)\" -e \"L = (a*b + 10) * -2\"\n");
}

/* Appends one -e line to the joined text. 0 when out of memory. */
static int add_expr(eval_opts *o, const char *line) {
    size_t n = strlen(line), extra = (o->expr ? 1 : 0) + n;
    char *p = realloc(o->expr, o->expr_len + extra + 1);
    if (!p) return 0;
    if (o->expr) p[o->expr_len++] = '\n';
    memcpy(p + o->expr_len, line, n + 1);
    o->expr = p;
    o->expr_len += n;
    return 1;
}

/* Fills o from argv; returns APP_OK, or the exit status to stop with (after --help too,
 * with *stop set). */
static int parse_options(int argc, char **argv, eval_opts *o, int *stop) {
    static const struct option longopts[] = {
        {"expr", required_argument, NULL, 'e'},    {"output", required_argument, NULL, 'o'},
        {"precision", required_argument, NULL, 'p'}, {"repr", no_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},          {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {"dot", required_argument, NULL, 'd'},
        {"rankdir", required_argument, NULL, 'R'}, {"formula", no_argument, NULL, 'f'},
        {"formula-numbers", no_argument, NULL, 'F'}, {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->precision = 4;
    o->rankdir = MG_RANKDIR_LR;
    *stop = 1;
    long n;
    int c;
    opterr = 0;
    optind = 0; /* a fresh parse (glibc: 0 resets its state entirely) */
    while ((c = getopt_long(argc, argv, ":e:o:p:rjqhd:f", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (!add_expr(o, optarg)) {
                app_error("out of memory");
                return APP_FAIL;
            }
            break;
        case 'o': o->output = optarg; break;
        case 'p':
            if (!app_parse_long(CMD, "--precision", optarg, 0, 17, &n)) return APP_USAGE;
            o->precision = (int)n;
            break;
        case 'r': o->repr = 1; break;
        case 'j': o->json = 1; break;
        case 'q': o->quiet = 1; break;
        case 'd': o->dot = optarg; break;
        case 'R':
            if (!strcmp(optarg, "LR")) o->rankdir = MG_RANKDIR_LR;
            else if (!strcmp(optarg, "TB")) o->rankdir = MG_RANKDIR_TB;
            else return app_usage_error(CMD, "--rankdir takes LR or TB, got '%s'", optarg);
            break;
        case 'f': o->formula = 1; break;
        case 'F': o->formula = 2; break;
        case 'h': usage(stdout); return APP_OK;
        case ':': return app_usage_error(CMD, "option '%s' needs a value", argv[optind - 1]);
        default: return app_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc) o->file = argv[optind++];
    if (optind < argc) return app_usage_error(CMD, "one FILE at most, got also '%s'", argv[optind]);
    if (o->file && o->expr) return app_usage_error(CMD, "give FILE or -e, not both");
    if (!o->file && !o->expr)
        return app_usage_error(CMD, "no script: give FILE, '-' for standard input, or -e TEXT");
    *stop = 0;
    return APP_OK;
}

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

/* ==== leaf names ======================================================================= */

typedef struct leaf_row {
    mg_value v;
    const char *name;
    size_t line, col;
    char shown[300]; /* the name as printed */
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

/* A JSON string: escapes, and invalid UTF-8 replaced by U+FFFD so the line parses. */
static void put_json_string(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    putchar('"');
    while (*p) {
        unsigned char c = *p;
        int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        int ok = n > 0 && !(n == 2 && c < 0xc2) && !(n == 4 && c > 0xf4);
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
            const char *k = strchr(ctl, c); /* c is not 0 here */
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

static void put_json_number(double x) {
    char buf[32];
    fputs(isfinite(x) ? mg_fmt_repr(x, buf, sizeof buf) : "null", stdout);
}

static void print_results(const mg_ctx *ctx, const char *out_name, mg_value out,
                          const leaf_row *rows, size_t n, const eval_opts *o) {
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
            put_json_number(mg_grad(ctx, rows[i].v));
        }
        fputs("}}\n", stdout);
        return;
    }
    put_text(out_name);
    printf(" = %s\n", fmt_num(mg_data(ctx, out), o, buf, sizeof buf));
    for (size_t i = 0; i < n; i++) {
        printf("d");
        put_text(out_name);
        printf("/d");
        put_text(rows[i].shown);
        printf(" = %s\n", fmt_num(mg_grad(ctx, rows[i].v), o, buf, sizeof buf));
    }
}

/* ==== non-finite values ================================================================ */

/* Reports, when the output or a leaf's gradient is not finite, where that started: the
 * first value (in tape order) out of those the output depends on whose data is not
 * finite; else, since backward walks the tape downwards, the last one whose gradient
 * is not finite. Returns 1 when something was not finite. */
static int report_nonfinite(const mg_ctx *ctx, mg_value out, const leaf_row *rows, size_t n) {
    int bad = !isfinite(mg_data(ctx, out));
    for (size_t i = 0; i < n && !bad; i++) bad = !isfinite(mg_grad(ctx, rows[i].v));
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

/* Writes the --dot drawing and the --formula text; returns an exit status. */
static int draw_and_print(mg_ctx *ctx, mg_value out, const eval_opts *o) {
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
    return APP_OK;
}

/* ==== the command ====================================================================== */

static int run_eval(const eval_opts *o, const char *text, size_t len, const char *fname) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) {
        app_error("out of memory");
        return APP_FAIL;
    }
    mg_err err = {0};
    mg_script_error where = {0};
    mg_script *s = mg_script_parse(ctx, text, len, fname, &where, &err);
    if (!s) {
        if (err.status == MG_STATUS_FORMAT) {
            fprintf(stderr, "%s:%zu:%zu: error: %s\n", fname, where.line, where.col, where.message);
            print_caret(text, len, where.line, where.col);
        } else {
            app_error("%s", err.msg);
        }
        mg_ctx_free(ctx);
        return APP_FAIL;
    }
    for (size_t i = 0; !o->quiet && i < mg_script_nnotes(s); i++) {
        size_t line;
        const char *note = mg_script_note(s, i, &line);
        fprintf(stderr, "%s:%zu: note: %s\n", fname, line, note);
    }
    int status = APP_OK;
    const char *out_name = o->output ? o->output : mg_script_output_name(s);
    mg_value out = o->output ? mg_script_lookup(s, o->output) : mg_script_output(s);
    size_t n = mg_script_nleaves(s);
    leaf_row *rows = NULL;
    if (!mg_ok(out)) {
        status = app_usage_error(CMD, "--output %s: the script never assigns that name", out_name);
    } else if (!(rows = leaf_rows(s, n))) {
        app_error("out of memory");
        status = APP_FAIL;
    } else {
        mg_backward(ctx, out);
        if (mg_ctx_status(ctx) != MG_STATUS_OK) {
            app_error("backward failed: %s", mg_ctx_errmsg(ctx));
            status = APP_FAIL;
        } else {
            print_results(ctx, out_name, out, rows, n, o);
            if (draw_and_print(ctx, out, o) != APP_OK) {
                status = APP_FAIL;
            } else if (fflush(stdout) != 0 || ferror(stdout)) {
                app_error("cannot write the results");
                status = APP_FAIL;
            } else if (report_nonfinite(ctx, out, rows, n)) {
                status = APP_FAIL;
            }
        }
    }
    free(rows);
    mg_script_free(s);
    mg_ctx_free(ctx);
    return status;
}

int cli_cmd_eval(int argc, char **argv) {
    eval_opts o;
    int stop, status = parse_options(argc, argv, &o, &stop);
    if (stop) {
        free(o.expr);
        return status;
    }
    char *text = o.expr;
    size_t len = o.expr_len;
    const char *fname = "-e";
    if (o.file) {
        mg_err err = {0};
        fname = strcmp(o.file, "-") ? o.file : "<stdin>";
        text = app_read_file(o.file, &len, &err);
        if (!text) {
            app_error("%s", err.msg);
            return APP_FAIL;
        }
    }
    status = run_eval(&o, text, len, fname);
    free(text);
    return status;
}
