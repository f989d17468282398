/* eval_prompt.c - `micrograd eval` on a terminal with no script: a prompt in the script
 * language, like Python's. Each statement runs as it is typed (MG_SCRIPT_ECHO |
 * MG_SCRIPT_PYTHON on one script, so names persist), lines are joined while
 * mg_script_incomplete asks for more, a bare expression prints its value, an error prints
 * one line and the session goes on; end of file (Ctrl-D) leaves. Ctrl-C drops the line
 * being typed, as Python's KeyboardInterrupt does. Lines come from libedit (line editing,
 * history in memory and in a file) when the build has it and the terminal allows, else
 * from a plain read of standard input. */
#include "eval_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef MG_HAVE_LIBEDIT
#include <histedit.h>
#include <locale.h>
#endif

#define PROMPT_FIRST ">>> "
#define PROMPT_MORE "... "

/* ==== Ctrl-C ============================================================================== */

/* The one piece of global state: a signal handler can reach nothing else. */
static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig) {
    (void)sig;
    interrupted = 1;
}

/* SIGINT sets the flag and interrupts the read (no SA_RESTART); returns the old action. */
static struct sigaction catch_interrupt(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    return old;
}

/* ==== reading lines ======================================================================= */

typedef enum { LINE_OK, LINE_EOF, LINE_INTERRUPT } line_status;

typedef struct line_reader {
    const char *prompt;
    char *buf; /* the plain reader's line */
    size_t cap;
#ifdef MG_HAVE_LIBEDIT
    EditLine *el;    /* NULL: the plain reader */
    History *hist;
    char *hist_path; /* NULL: history in memory only */
#endif
} line_reader;

#ifdef MG_HAVE_LIBEDIT
static char *edit_prompt(EditLine *el) {
    line_reader *r = NULL;
    el_get(el, EL_CLIENTDATA, &r);
    return (char *)r->prompt;
}

/* Where the history is kept: the file MICROGRAD_HISTORY names (set but empty: nowhere),
 * else ~/.micrograd_history; NULL for nowhere (or out of memory). */
static char *history_path(void) {
    const char *env = getenv("MICROGRAD_HISTORY"), *home = getenv("HOME");
    if (env) return *env ? strdup(env) : NULL;
    if (!home || !*home) return NULL;
    size_t n = strlen(home) + sizeof "/.micrograd_history";
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/.micrograd_history", home);
    return p;
}

/* Line editing on the terminal, with the history file loaded. 0 when it cannot be had. */
static int edit_open(line_reader *r) {
    HistEvent ev;
    setlocale(LC_CTYPE, ""); /* the terminal's characters, for editing UTF-8 */
    r->el = el_init("micrograd", stdin, stdout, stderr);
    r->hist = history_init();
    if (!r->el || !r->hist) return 0;
    history(r->hist, &ev, H_SETSIZE, EVAL_HISTORY_LINES);
    history(r->hist, &ev, H_SETUNIQUE, 1);
    el_set(r->el, EL_CLIENTDATA, (void *)r);
    el_set(r->el, EL_PROMPT, edit_prompt);
    el_set(r->el, EL_EDITOR, "emacs");
    el_set(r->el, EL_SIGNAL, 1); /* the terminal is restored around signals */
    el_set(r->el, EL_HIST, history, r->hist);
    el_source(r->el, NULL); /* ~/.editrc, as every libedit program reads it */
    r->hist_path = history_path();
    if (r->hist_path) history(r->hist, &ev, H_LOAD, r->hist_path);
    return 1;
}

static void edit_close(line_reader *r) {
    HistEvent ev;
    if (r->hist && r->hist_path && history(r->hist, &ev, H_SAVE, r->hist_path) < 0)
        fprintf(stderr, "micrograd: cannot save the history in %s\n", r->hist_path);
    if (r->hist) history_end(r->hist);
    if (r->el) el_end(r->el);
    free(r->hist_path);
    r->el = NULL, r->hist = NULL, r->hist_path = NULL;
}

static line_status edit_line(line_reader *r, const char **line, size_t *len) {
    int n = 0;
    const char *got = el_gets(r->el, &n);
    if (interrupted || (!got && n < 0 && errno == EINTR)) return LINE_INTERRUPT;
    if (!got || n <= 0) return LINE_EOF;
    size_t k = (size_t)n;
    if (k > 0 && got[k - 1] == '\n') k--;
    if (k > 0) { /* the history takes the line without its newline */
        char *entry = malloc(k + 1);
        if (entry) {
            HistEvent ev;
            memcpy(entry, got, k);
            entry[k] = '\0';
            history(r->hist, &ev, H_ENTER, entry);
            free(entry);
        }
    }
    *line = got, *len = (size_t)n;
    return LINE_OK;
}
#endif

/* The prompt goes to stderr, as Python's does without readline: with stdout redirected,
 * the file gets the results and the terminal the prompts. */
static line_status plain_line(line_reader *r, const char **line, size_t *len) {
    fflush(stdout);
    fputs(r->prompt, stderr);
    errno = 0;
    ssize_t n = getline(&r->buf, &r->cap, stdin);
    if (interrupted || (n < 0 && errno == EINTR)) {
        clearerr(stdin);
        return LINE_INTERRUPT;
    }
    if (n <= 0) return LINE_EOF;
    *line = r->buf, *len = (size_t)n;
    return LINE_OK;
}

/* The next line, as typed after the prompt (its newline included when it has one). */
static line_status read_line(line_reader *r, const char *prompt, const char **line,
                             size_t *len) {
    r->prompt = prompt;
    interrupted = 0;
#ifdef MG_HAVE_LIBEDIT
    if (r->el) return edit_line(r, line, len);
#endif
    return plain_line(r, line, len);
}

/* libedit when the build has it, standard input and output are terminals and --no-edit
 * is not given; else the plain reader. */
static void reader_open(line_reader *r, const eval_opts *o) {
    memset(r, 0, sizeof *r);
#ifdef MG_HAVE_LIBEDIT
    if (!o->no_edit && isatty(STDOUT_FILENO) && !edit_open(r)) edit_close(r);
#else
    (void)o;
#endif
}

static void reader_close(line_reader *r) {
#ifdef MG_HAVE_LIBEDIT
    edit_close(r);
#endif
    free(r->buf);
}

static int reader_edits(const line_reader *r) {
#ifdef MG_HAVE_LIBEDIT
    return r->el != NULL;
#else
    (void)r;
    return 0;
#endif
}

/* ==== the session ========================================================================= */

/* A growing statement: the lines typed since the last >>> prompt. */
typedef struct pending {
    char *text;
    size_t len, cap;
} pending;

static int pending_add(pending *p, const char *line, size_t n) {
    if (p->len + n + 2 > p->cap) {
        size_t cap = (p->len + n + 2) * 2;
        char *t = realloc(p->text, cap);
        if (!t) return 0;
        p->text = t, p->cap = cap;
    }
    memcpy(p->text + p->len, line, n);
    p->len += n;
    if (n == 0 || line[n - 1] != '\n') p->text[p->len++] = '\n';
    p->text[p->len] = '\0';
    return 1;
}

/* Runs one statement as typed; shows its notes and what it printed, or its error in one
 * line. */
static void run_statement(mg_script *s, const pending *p, const eval_opts *o, size_t *nnotes) {
    mg_script_error where = {0};
    mg_err err = {0};
    mg_status st = mg_script_run(s, p->text, p->len, "<stdin>", MG_SCRIPT_ECHO | MG_SCRIPT_PYTHON,
                                 &where, &err);
    size_t n;
    const char *out = mg_script_printed(s, &n);
    fwrite(out, 1, n, stdout);
    fflush(stdout);
    mg_script_clear_printed(s);
    for (; *nnotes < mg_script_nnotes(s); ++*nnotes)
        if (!o->quiet) fprintf(stderr, "note: %s\n", mg_script_note(s, *nnotes, NULL));
    if (st == MG_STATUS_FORMAT)
        fprintf(stderr, "error: %s (line %zu, column %zu)\n", where.message, where.line,
                where.col);
    else if (st != MG_STATUS_OK)
        fprintf(stderr, "error: %s\n", err.msg);
}

int eval_prompt(const eval_opts *o) {
    mg_ctx *ctx = mg_ctx_new();
    mg_script *s = ctx ? mg_script_new(ctx) : NULL;
    if (!s) {
        mg_ctx_free(ctx);
        app_error("out of memory");
        return APP_FAIL;
    }
    line_reader r;
    reader_open(&r, o);
    struct sigaction old = catch_interrupt();
    fprintf(stderr, "micrograd %s eval: micrograd's Python, a statement at a time (%s). "
                    "Ctrl-D leaves.\n",
            MG_VERSION_STRING, reader_edits(&r) ? "line editing and history" : "plain input");
    pending p = {0};
    size_t nnotes = 0;
    for (;;) {
        const char *line;
        size_t n;
        line_status ls = read_line(&r, p.len ? PROMPT_MORE : PROMPT_FIRST, &line, &n);
        if (ls == LINE_EOF) break;
        if (ls == LINE_INTERRUPT) { /* the statement being typed is dropped */
            fputs("\nKeyboardInterrupt\n", stderr);
            p.len = 0;
            continue;
        }
        if (!pending_add(&p, line, n)) {
            app_error("out of memory: the statement is dropped");
            p.len = 0;
            continue;
        }
        if (mg_script_incomplete(p.text, p.len)) continue;
        run_statement(s, &p, o, &nnotes);
        p.len = 0;
    }
    fputc('\n', stdout); /* the shell's prompt starts on a line of its own */
    sigaction(SIGINT, &old, NULL);
    reader_close(&r);
    free(p.text);
    mg_script_free(s);
    mg_ctx_free(ctx);
    return APP_OK;
}
