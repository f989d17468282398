/* eval_internal.h - the pieces of `micrograd eval`:
 *   cmd_eval.c     options, the scripts run in order, what the command prints at the end
 *   eval_show.c    what eval prints besides the script's own output: errors with a caret,
 *                  the summary of value and gradients (text or JSON), non-finite values,
 *                  drawings and formulas
 *   eval_prompt.c  the interactive prompt, with libedit's line editing and history or plain
 * An option that adds an output (a picture, a page) is an entry in cmd_eval.c's option
 * table, a field in eval_opts and a call in eval_outputs (eval_show.c). */
#ifndef MG_EVAL_INTERNAL_H
#define MG_EVAL_INTERNAL_H

#include "cli.h"

#include <stddef.h>

#define EVAL_CMD "eval"

/* ==== options (cmd_eval.c) ================================================================= */

/* One script to run: a file, standard input, or consecutive -e lines. */
typedef struct eval_source {
    const char *path; /* FILE as given ("-": standard input), or NULL for -e lines */
    char *text;       /* the -e lines joined with '\n', or the file once read (malloc'd) */
    size_t len;
} eval_source;

typedef struct eval_opts {
    eval_source *src;   /* the scripts, run in the order given */
    size_t nsrc;
    const char *output; /* --output NAME, or NULL for the last name assigned a Value */
    int summary;        /* --summary: the value and gradients after a script that prints */
    int precision;      /* --precision: digits after the point */
    int repr;           /* --repr: exact numbers */
    int json;           /* --json */
    int quiet;          /* --quiet: no notes */
    const char *dot;    /* --dot FILE: draw the graph (.dot, .svg or .png) */
    mg_rankdir rankdir; /* --rankdir LR|TB */
    int formula;        /* --formula: 1 with labels, 2 with numbers */
    int no_edit;        /* --no-edit: a plain prompt, no line editing or history */
    const char *html;   /* --html FILE: backward step by step as a page */
} eval_opts;

/* Fills o from argv (argv[0] is "eval"); returns APP_OK, or the exit status to stop with
 * (after --help too), with *stop set. Free o with eval_opts_free in every case. */
int eval_parse_options(int argc, char **argv, eval_opts *o, int *stop);
void eval_opts_free(eval_opts *o);
/* The name a source's messages give: FILE, "<stdin>" or "-e". */
const char *eval_source_name(const eval_source *src);

/* ==== output (eval_show.c) ================================================================= */

/* Prints "FILE:LINE:COL: error: MESSAGE" for a script error, then the line and a caret
 * under the column; for any other failure "micrograd: MESSAGE". */
void eval_print_error(const char *fname, const char *text, size_t len, mg_status st,
                      const mg_script_error *where, const mg_err *err);

/* Prints the summary: name = the output's value, then d name / d leaf for every leaf of
 * the script (text, or one line of JSON with --json), by backward from the output.
 * fresh 0: backward adds to the grads as they are, and leaves its own (a script that ran
 * no backward, as eval always did); 1: backward runs on grads set to 0, and every grad is
 * given back as the script left it afterwards (a script that ran backward or set grads
 * itself: its leaves' grads neither double nor change). printed: what the script printed,
 * for the JSON line (NULL: no such field). Returns an exit status: APP_FAIL after saying
 * why when backward fails or a number is not finite. */
int eval_summary(mg_ctx *ctx, const mg_script *s, const char *name, mg_value out, int fresh,
                 const char *printed, size_t nprinted, const eval_opts *o);
/* The --formula text and the --dot drawing of out; returns an exit status. */
int eval_outputs(mg_ctx *ctx, mg_value out, const eval_opts *o);

/* ==== the prompt (eval_prompt.c) =========================================================== */

/* The lines of history the prompt keeps (a number, as the help prints it). */
#define EVAL_HISTORY_LINES 1000

/* Runs the interactive prompt on standard input until end of file; returns the exit
 * status (APP_OK; APP_FAIL when out of memory at the start). */
int eval_prompt(const eval_opts *o);

#endif /* MG_EVAL_INTERNAL_H */
