/* cmd_eval.c - `micrograd eval`: runs scripts in micrograd's Python one after another on
 * one context, statement by statement as Python runs them (mg_script_run), and shows what
 * they print; for a script that only assigns, the summary of the output's value and
 * gradients, as eval always printed. With no script, standard input: the prompt on a
 * terminal (eval_prompt.c), else the script it holds. */
#include "eval_internal.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MG_HAVE_LIBEDIT
#define EDITING "yes"
#else
#define EDITING "no, a plain prompt"
#endif
#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

/* ==== options ========================================================================== */

static void usage(FILE *out) {
    fprintf(out,
            "Usage: micrograd eval [OPTIONS] [FILE | - | -e TEXT]...\n"
            "\n"
            "Runs scripts written in micrograd's Python statement by statement, as Python\n"
            "runs them, and prints what they print. Several scripts run one after another\n"
            "on the same names, as a notebook's cells. With no script, standard input: on a\n"
            "terminal an interactive prompt, otherwise the script it holds.\n"
            "\n"
            "The language: straight-line Python as micrograd's README and its lecture write\n"
            "it. Assignments (y = a*b + c; y += 1, -=, *=, /=, **=); Value(2.0) and\n"
            "Value(2.0, label='a'); + - * / ** with Python's precedence; tanh exp log relu\n"
            "sigmoid as x.tanh() or tanh(x); grad(y, x), d y / d x as a Value (printable,\n"
            "drawable, differentiable again); y.backward() and x._backward(); x.data and\n"
            "x.grad, read or set (a.data += 0.01 * a.grad); x.label = 'a'; print(...) with\n"
            "strings and f-strings (f'{g.data:.4f}'); ';' between statements; # comments.\n"
            "import lines and draw_dot(...) are ignored with a note; loops, functions,\n"
            "classes and lists are errors that name the construct.\n"
            "\n"
            "What is printed: a script that calls print(...) or backward() prints what it\n"
            "prints, as Python would. Any other script (the shorthand eval has always\n"
            "taken, where x = 2.0 makes a leaf as Value(2.0, label='x')) prints the summary:\n"
            "backward runs from the output, then NAME = VALUE and dNAME/dLEAF = GRADIENT for\n"
            "each leaf (each Value(...); constants excluded) in the order they were made. A\n"
            "leaf with no name is shown as Value@LINE:COL, a name held by several leaves as\n"
            "NAME@LINE:COL. --summary and --json print the summary after a script that\n"
            "prints too: backward then runs on grads set to 0 and the grads the script left\n"
            "are put back, so they neither double nor change (a drawing shows them).\n"
            "\n"
            "Input (any number, in order):\n"
            "  FILE                 a script file ('-': standard input)\n"
            "  -e, --expr TEXT      a line of script; consecutive -e lines make one script\n"
            "\n"
            "Options:\n"
            "  -s, --summary        print the summary after a script that prints, too\n"
            "  -o, --output NAME    the Value of the summary and the drawing (default: the\n"
            "                       last name assigned a Value)\n"
            "  -p, --precision N    the summary's digits after the point, 0 to 17 (default: 4)\n"
            "  -r, --repr           exact numbers, as Python's repr (overrides --precision)\n"
            "  -j, --json           the summary as one line {\"output\": NAME, \"value\": V,\n"
            "                       \"grads\": {\"a\": G, ...}}, with \"printed\": TEXT (what the\n"
            "                       script printed) for a script that prints; numbers are\n"
            "                       exact (they read back as the same double); a NaN or an\n"
            "                       infinity is written as null\n"
            "  -q, --quiet          do not print notes about ignored lines\n"
            "  -d, --dot FILE       draw the output's graph with every node's data and grad;\n"
            "                       the extension picks the format: .dot, .svg or .png\n"
            "      --rankdir DIR    the drawing's direction: LR (default) or TB\n"
            "      --html FILE      write the output's backward, step by step, as one page to\n"
            "                       open in a browser (self-contained: no network, no server)\n"
            "  -f, --formula        print the output as one formula, with labels\n"
            "      --formula-numbers  the same with the numbers in place of the labels\n"
            "      --no-edit        the prompt without line editing and history\n"
            "  -h, --help           show this help\n"
            "\n"
            "The prompt (>>>, and ... while a bracket or a triple-quoted string is open):\n"
            "each statement runs as it is typed, a bare expression prints its value (a.grad\n"
            "prints 6.0), an error prints one line and the session goes on; Ctrl-C drops\n"
            "the statement being typed, Ctrl-D leaves. Line editing and history come from\n"
            "libedit (in this build: " EDITING "); the history ("
            STRINGIFY(EVAL_HISTORY_LINES) " lines) is kept in\n"
            "~/.micrograd_history, or in the file MICROGRAD_HISTORY names (set but empty: in\n"
            "memory only). The prompt takes --quiet and --no-edit.\n"
            "\n"
            "Exit status: 0 ok; 1 a script error, an unreadable file, or a summary's value\n"
            "or gradient that is not finite (stderr names the value that first went\n"
            "non-finite); 2 a usage error.\n"
            "\n"
            "Examples:\n"
            "  micrograd eval -e \"a = Value(2.0); b = Value(-3.0)\" -e \"L = (a*b + 10) * -2\"\n"
            "  micrograd eval -e \"x = Value(3.0); y = x**3\" \\\n"
            "                 -e \"print(grad(y, x).data, grad(grad(y, x), x).data)\"\n"
            "  micrograd eval lecture.py --summary --dot L.svg\n"
            "  micrograd eval lecture.py --html L.html   # then open L.html in a browser\n");
}

/* A new source at the end of the list; NULL when out of memory. */
static eval_source *add_source(eval_opts *o, const char *path) {
    eval_source *p = realloc(o->src, (o->nsrc + 1) * sizeof *p);
    if (!p) return NULL;
    o->src = p;
    p += o->nsrc++;
    memset(p, 0, sizeof *p);
    p->path = path;
    return p;
}

/* Appends one -e line to the -e lines just before it, or starts a new script. 0 when out
 * of memory. */
static int add_expr(eval_opts *o, const char *line) {
    eval_source *e = o->nsrc && !o->src[o->nsrc - 1].path ? &o->src[o->nsrc - 1] : NULL;
    if (!e && !(e = add_source(o, NULL))) return 0;
    size_t n = strlen(line), extra = (e->text ? 1 : 0) + n;
    char *p = realloc(e->text, e->len + extra + 1);
    if (!p) return 0;
    if (e->text) p[e->len++] = '\n';
    memcpy(p + e->len, line, n + 1);
    e->text = p;
    e->len += n;
    return 1;
}

enum { OPT_RANKDIR = 256, OPT_FORMULA_NUMBERS, OPT_NO_EDIT, OPT_HTML };

/* One option; returns APP_OK, or an exit status to stop with (*help set after --help). */
static int take_option(int c, const char *arg, eval_opts *o, int *help) {
    long n;
    switch (c) {
    case 1: /* a FILE, in its place among the -e lines */
        if (!add_source(o, arg)) break;
        return APP_OK;
    case 'e':
        if (!add_expr(o, arg)) break;
        return APP_OK;
    case 'o': o->output = arg; return APP_OK;
    case 's': o->summary = 1; return APP_OK;
    case 'p':
        if (!app_parse_long(EVAL_CMD, "--precision", arg, 0, 17, &n)) return APP_USAGE;
        o->precision = (int)n;
        return APP_OK;
    case 'r': o->repr = 1; return APP_OK;
    case 'j': o->json = 1; return APP_OK;
    case 'q': o->quiet = 1; return APP_OK;
    case 'd': o->dot = arg; return APP_OK;
    case OPT_RANKDIR:
        if (!strcmp(arg, "LR")) o->rankdir = MG_RANKDIR_LR;
        else if (!strcmp(arg, "TB")) o->rankdir = MG_RANKDIR_TB;
        else return app_usage_error(EVAL_CMD, "--rankdir takes LR or TB, got '%s'", arg);
        return APP_OK;
    case 'f': o->formula = 1; return APP_OK;
    case OPT_FORMULA_NUMBERS: o->formula = 2; return APP_OK;
    case OPT_NO_EDIT: o->no_edit = 1; return APP_OK;
    case OPT_HTML: o->html = arg; return APP_OK;
    case 'h':
        usage(stdout);
        *help = 1;
        return APP_OK;
    default: return APP_USAGE; /* reported by the caller */
    }
    app_error("out of memory");
    return APP_FAIL;
}

int eval_parse_options(int argc, char **argv, eval_opts *o, int *stop) {
    static const struct option longopts[] = {
        {"expr", required_argument, NULL, 'e'},
        {"output", required_argument, NULL, 'o'},
        {"summary", no_argument, NULL, 's'},
        {"precision", required_argument, NULL, 'p'},
        {"repr", no_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"dot", required_argument, NULL, 'd'},
        {"rankdir", required_argument, NULL, OPT_RANKDIR},
        {"formula", no_argument, NULL, 'f'},
        {"formula-numbers", no_argument, NULL, OPT_FORMULA_NUMBERS},
        {"no-edit", no_argument, NULL, OPT_NO_EDIT},
        {"html", required_argument, NULL, OPT_HTML},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->precision = 4;
    o->rankdir = MG_RANKDIR_LR;
    *stop = 1;
    int c, help = 0;
    opterr = 0;
    optind = 0; /* a fresh parse (glibc: 0 resets its state entirely) */
    /* '-': FILEs come back in their place (as option 1), so scripts run in the order given */
    while ((c = getopt_long(argc, argv, "-:e:o:sp:rjqd:fh", longopts, NULL)) != -1) {
        if (c == ':')
            return app_usage_error(EVAL_CMD, "option '%s' needs a value", argv[optind - 1]);
        if (c == '?')
            return app_usage_error(EVAL_CMD, "unknown option '%s'", argv[optind - 1]);
        int status = take_option(c, optarg, o, &help);
        if (status != APP_OK || help) return status;
    }
    for (; optind < argc; optind++) /* after "--" */
        if (take_option(1, argv[optind], o, &help) != APP_OK) return APP_FAIL;
    *stop = 0;
    return APP_OK;
}

void eval_opts_free(eval_opts *o) {
    for (size_t i = 0; i < o->nsrc; i++) free(o->src[i].text);
    free(o->src);
    o->src = NULL;
    o->nsrc = 0;
}

const char *eval_source_name(const eval_source *src) {
    if (!src->path) return "-e";
    return strcmp(src->path, "-") ? src->path : "<stdin>";
}

/* ==== running the scripts ================================================================ */

/* The scripts' run: one context, one script, and how much of their notes and output the
 * command has shown. */
typedef struct eval_run {
    eval_opts *o;       /* its sources keep their text once read, for a run again */
    mg_ctx *ctx;
    mg_script *s;
    size_t *note_end;  /* for each source run: the script's number of notes after it */
    size_t nshown_src; /* sources whose notes have been shown */
    size_t nshown;     /* notes shown */
} eval_run;

#define EVAL_RESTART (-1)

/* Shows the notes of the sources before `upto` not shown yet, each with its source's name
 * and line; then, except with --json, what the script printed (and clears it). */
static void show(eval_run *r, size_t upto) {
    for (; r->nshown_src < upto; r->nshown_src++) {
        const char *fname = eval_source_name(&r->o->src[r->nshown_src]);
        for (; r->nshown < r->note_end[r->nshown_src]; r->nshown++) {
            size_t line;
            const char *note = mg_script_note(r->s, r->nshown, &line);
            if (!r->o->quiet) fprintf(stderr, "%s:%zu: note: %s\n", fname, line, note);
        }
    }
    if (r->o->json) return;
    size_t n;
    const char *out = mg_script_printed(r->s, &n);
    fwrite(out, 1, n, stdout);
    mg_script_clear_printed(r->s);
}

/* Runs source k with flags. Returns APP_OK, APP_FAIL after showing the error, or
 * EVAL_RESTART when it is the first to run as Python after scripts that ran in summary
 * mode: those must run again as Python (their plain numbers are numbers, not leaves). */
static int run_source(eval_run *r, size_t k, unsigned flags) {
    eval_source *src = &r->o->src[k];
    const char *fname = eval_source_name(src);
    if (!src->text) {
        mg_err err = {0};
        if (!(src->text = app_read_file(src->path, &src->len, &err))) {
            r->note_end[k] = mg_script_nnotes(r->s);
            show(r, k + 1);
            app_error("%s", err.msg);
            return APP_FAIL;
        }
    }
    int was_python = mg_script_is_python(r->s);
    mg_script_error where = {0};
    mg_err err = {0};
    mg_status st = mg_script_run(r->s, src->text, src->len, fname, flags, &where, &err);
    r->note_end[k] = mg_script_nnotes(r->s);
    if (!was_python && mg_script_is_python(r->s) && k > 0) return EVAL_RESTART;
    /* summary mode prints nothing: its notes wait, in case a later script runs as Python */
    if (st != MG_STATUS_OK || mg_script_is_python(r->s)) show(r, k + 1);
    if (st == MG_STATUS_OK) return APP_OK;
    eval_print_error(fname, src->text, src->len, st, &where, &err);
    return APP_FAIL;
}

/* Starts over on a new context and script. 0 when out of memory (said). */
static int begin(eval_run *r) {
    mg_script_free(r->s);
    mg_ctx_free(r->ctx);
    r->s = NULL;
    r->nshown_src = r->nshown = 0;
    if (!(r->ctx = mg_ctx_new()) || !(r->s = mg_script_new(r->ctx))) {
        app_error("out of memory");
        return 0;
    }
    return 1;
}

/* Runs every source in order: as their tokens say (Python when one calls print(...) or
 * backward(), and from then on), and all as Python again when a later one turned out to. */
static int run_sources(eval_run *r) {
    unsigned flags = 0;
    for (;;) {
        if (!begin(r)) return APP_FAIL;
        int status = APP_OK;
        for (size_t k = 0; k < r->o->nsrc && status == APP_OK; k++)
            status = run_source(r, k, flags);
        if (status != EVAL_RESTART) {
            if (status == APP_OK) show(r, r->o->nsrc);
            return status;
        }
        flags = MG_SCRIPT_PYTHON;
    }
}

/* ==== the outcome ======================================================================== */

/* A summary-mode script that assigned nothing: an error at its start, as eval always
 * reported it. */
static int nothing_assigned(const eval_run *r) {
    const eval_source *src = &r->o->src[0];
    mg_script_error where = {1, 1, "nothing assigned: a script needs an assignment such as "
                                   "y = a*b + c"};
    eval_print_error(eval_source_name(src), src->text, src->len, MG_STATUS_FORMAT, &where, NULL);
    return APP_FAIL;
}

/* A script run as Python labels only what it labels itself, as micrograd does: for a
 * drawing or a formula, each Value the script left without a label takes its name. */
static void label_by_name(mg_ctx *ctx, const mg_script *s) {
    for (size_t i = 0; i < mg_script_nnames(s); i++) {
        mg_value v = mg_script_value(s, i);
        if (mg_ok(v) && !*mg_label(ctx, v)) mg_set_label(ctx, v, mg_script_name(s, i));
    }
}

/* After the scripts ran: the summary (for a summary-mode script, or asked for), the
 * formula and the drawing. */
static int finish(eval_run *r) {
    const eval_opts *o = r->o;
    int python = mg_script_is_python(r->s), summary = !python || o->summary || o->json;
    const char *name = o->output ? o->output : mg_script_output_name(r->s);
    mg_value out = o->output ? mg_script_lookup(r->s, o->output) : mg_script_output(r->s);
    if (o->output && !mg_ok(out))
        return app_usage_error(EVAL_CMD, "--output %s: the script assigns no Value to that name",
                               o->output);
    if (!mg_ok(out) && !python) return nothing_assigned(r);
    if (!mg_ok(out) && (summary || o->formula || o->dot)) {
        app_error("%s needs a Value: the script assigns none to a name",
                  summary ? (o->json ? "--json" : "--summary") : o->dot ? "--dot" : "--formula");
        return APP_FAIL;
    }
    int status = APP_OK;
    if (summary) {
        size_t n;
        const char *printed = mg_script_printed(r->s, &n);
        status = eval_summary(r->ctx, r->s, name, out, python, python ? printed : NULL, n, o);
    }
    if (python && (o->formula || o->dot)) label_by_name(r->ctx, r->s);
    if (mg_ok(out) && eval_outputs(r->ctx, out, o) != APP_OK) status = APP_FAIL;
    return status;
}

/* Runs the scripts o names and shows the outcome; returns the exit status. */
static int run_scripts(eval_opts *o) {
    eval_run r = {o, NULL, NULL, calloc(o->nsrc, sizeof *r.note_end), 0, 0};
    int status;
    if (!r.note_end) {
        app_error("out of memory");
        status = APP_FAIL;
    } else if ((status = run_sources(&r)) == APP_OK) {
        status = finish(&r);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        app_error("cannot write the results");
        status = APP_FAIL;
    }
    free(r.note_end);
    mg_script_free(r.s);
    mg_ctx_free(r.ctx);
    return status;
}

static int prompt(const eval_opts *o) {
    if (o->output || o->summary || o->json || o->dot || o->formula || o->repr)
        fprintf(stderr, "micrograd eval: --output, --summary, --json, --dot, --formula and "
                        "--repr are for scripts; the prompt shows each value as it is typed\n");
    return eval_prompt(o);
}

int cli_cmd_eval(int argc, char **argv) {
    eval_opts o;
    int stop, status = eval_parse_options(argc, argv, &o, &stop);
    if (!stop && o.nsrc == 0 && isatty(STDIN_FILENO)) {
        status = prompt(&o);
    } else if (!stop && o.nsrc == 0 && !add_source(&o, "-")) { /* stdin, as `eval -` */
        app_error("out of memory");
        status = APP_FAIL;
    } else if (!stop) {
        status = run_scripts(&o);
    }
    eval_opts_free(&o);
    return status;
}
