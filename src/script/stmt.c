/* stmt.c - statements of the script language, run one after another as Python runs them:
 * each is parsed and its expressions evaluated first, and its effect (a binding, a label,
 * a value's data or grad, backward, printed text) happens only when all of it succeeded,
 * so a failing statement can be dropped whole (the tape reset to where it began). Also
 * the two modes (Python and summary), and the entry points mg_script_run,
 * mg_script_parse (the graph only, as eval parsed before it ran scripts) and
 * mg_script_incomplete. */
#include "script_internal.h"
#include "engine/ops.h"

#include <stdarg.h>
#include <stdio.h>

#define ACCEPTS                                                                            \
    "eval runs straight-line statements: assignments (y = a*b, y += 1, x.data = ..., "      \
    "x.grad = ..., x.label = '...'), y.backward(), x._backward(), print(...)"

static int add_note(parser *p, size_t line, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int add_note(parser *p, size_t line, const char *fmt, ...) {
    char buf[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (!mg__script_add_note(p->s, line, buf)) return mg__script_nomem(p, &p->cur);
    return 1;
}

static int is_aug(tkind k) { return k >= T_PLUSEQ && k <= T_POWEQ; }

static const char *clip_tok(const parser *p, const token *t, char *buf, size_t size) {
    return mg__script_clip(p->src + t->start, t->end - t->start, buf, size);
}

/* ==== effects ============================================================================== */

/* NAME = v: binds, names a leaf the first time, and in summary mode labels v when it has
 * no label (so pictures show the names; in Python mode labels are the script's, as in
 * micrograd). Everything that can run out of memory comes first, so a failure changes
 * nothing. */
static int bind_value(parser *p, const token *name, mg_value v) {
    const char *s = p->src + name->start;
    size_t n = name->end - name->start;
    sleaf *leaf = mg__script_find_leaf(p->s, v);
    char *leafname = NULL;
    if (leaf && !leaf->name && !(leafname = mg__script_dup(s, n)))
        return mg__script_nomem(p, name);
    int labeled = 0;
    if (!p->python && !*mg_label(p->ctx, v)) {
        char label[256];
        memcpy(label, s, n < 255 ? n : 255);
        label[n < 255 ? n : 255] = '\0';
        if (!mg_ok(mg_set_label(p->ctx, v, label))) {
            mg__free(leafname);
            return mg__script_engine_fail(p, name->line, name->col);
        }
        labeled = 1;
    }
    size_t k = mg__script_bind(p->s, s, n, MG_SCRIPT_KIND_VALUE, v, 0.0);
    if (k == SIZE_MAX) {
        if (labeled) mg_set_label(p->ctx, v, NULL);
        mg__free(leafname);
        return mg__script_nomem(p, name);
    }
    p->s->output = k;
    if (leafname) leaf->name = leafname;
    return 1;
}

/* Adds what the statement printed to the script's output. */
static int emit(parser *p, const token *at) {
    if (!mg__sbuf_put(&p->s->printed, p->out.b, p->out.n)) return mg__script_nomem(p, at);
    return 1;
}

/* Runs what a statement that gave None asked for. */
static int run_effect(parser *p, const token *first, mg_status st0) {
    mg_ctx *ctx = p->ctx;
    switch (p->effect) {
    case EFFECT_BACKWARD:
        mg_backward(ctx, p->effect_v);
        if (st0 == MG_STATUS_OK && mg_ctx_status(ctx) != MG_STATUS_OK)
            return mg__script_engine_fail(p, first->line, first->col);
        p->s->did_backward = 1;
        return 1;
    case EFFECT_LOCAL_BACKWARD: /* micrograd's v._backward(): this value's own rule only */
        mg__ops[mg_op_of(ctx, p->effect_v)].backward(ctx, (uint32_t)mg_index(ctx, p->effect_v));
        p->s->did_backward = 1;
        return 1;
    case EFFECT_DRAW:
        return add_note(p, first->line, "draw_dot(...) ignored: eval --dot FILE draws the graph");
    case EFFECT_NONE: break;
    }
    return 1;
}

/* ==== statements =========================================================================== */

/* Skips to the end of the statement, then notes it as ignored (note NULL: noted with its
 * text after prefix). A '=' outside brackets means an assignment to something that is
 * not a name, which is an error rather than something to ignore. */
static int skip_statement(parser *p, const token *first, const char *note, const char *prefix) {
    while (p->cur.kind != T_END && p->cur.kind != T_EOF) {
        tkind k = p->cur.kind;
        if (p->cur.depth == 0 && (k == T_ASSIGN || is_aug(k) || k == T_OTHER_AUG))
            return FAIL(p, first,
                        "cannot assign to an expression: only a name (x = ...) or "
                        "x.label can be assigned");
        if (!mg__script_advance(p)) return 0;
    }
    if (note) return add_note(p, first->line, "%s", note);
    char text[56];
    size_t end = p->cur.start;
    while (end > first->start && strchr(" \t\r\f\v", p->src[end - 1])) end--;
    mg__script_clip(p->src + first->start, end - first->start, text, sizeof text);
    return add_note(p, first->line, "%s%s", prefix, text);
}

/* NAME = expr, NAME op= expr; cur is on NAME. */
static int stmt_assign(parser *p) {
    token name = p->cur;
    if (!mg__script_advance(p)) return 0;
    token op = p->cur;
    sv old, x;
    if (op.kind != T_ASSIGN && !mg__script_name_sv(p, &name, &old)) return 0;
    if (!mg__script_advance(p) || !mg__script_expr(p, &x) || !mg__script_expect_end(p)) return 0;
    if (op.kind != T_ASSIGN && !mg__script_binary(p, &op, old, x, &x)) return 0;
    if (!mg__script_operand(p, &x)) return 0;
    if (x.kind != SV_VALUE && !p->python) { /* a = 2.0: a leaf, as Value(2.0, label='a') */
        mg_value v = mg_leaf(p->ctx, x.num);
        if (!mg_ok(v)) return mg__script_engine_fail(p, x.line, x.col);
        if (!mg__script_add_leaf(p->s, v, NULL, x.line, x.col)) return mg__script_nomem(p, &name);
        x.kind = SV_VALUE, x.v = v;
    }
    if (x.kind == SV_VALUE) return bind_value(p, &name, x.v);
    mg_script_kind kind = x.kind == SV_INT ? MG_SCRIPT_KIND_INT : MG_SCRIPT_KIND_FLOAT;
    if (mg__script_bind(p->s, p->src + name.start, name.end - name.start, kind, MG_NULL, x.num) ==
        SIZE_MAX)
        return mg__script_nomem(p, &name);
    return 1;
}

/* NAME.label = '...'; cur is past '='. */
static int set_label(parser *p, mg_value v, const token *attr) {
    sv x;
    if (!mg__script_expr(p, &x) || !mg__script_expect_end(p)) return 0;
    if (x.kind != SV_STR)
        return mg__script_fail(p, x.line, x.col, MG_STATUS_FORMAT, "x.label takes a string");
    char label[256];
    size_t n = x.len < 255 ? x.len : 255;
    memcpy(label, mg__sbuf_at(&p->strs, x.off), n);
    label[n] = '\0';
    if (!mg_ok(mg_set_label(p->ctx, v, label)))
        return mg__script_engine_fail(p, attr->line, attr->col);
    return 1;
}

/* NAME.attr op ...; cur is on attr. */
static int stmt_attr(parser *p, const token *name) {
    char buf[48], what[48];
    token attr = p->cur;
    if (!mg__script_advance(p)) return 0;
    token op = p->cur;
    int is_data = mg__script_tok_is(p, &attr, "data");
    int is_grad = mg__script_tok_is(p, &attr, "grad");
    if (op.kind == T_OTHER_AUG) return mg__script_unexpected(p, &op);
    if ((is_data || is_grad) && p->legacy) {
        char note[96], optext[8];
        snprintf(note, sizeof note, "%s.%s %s ... ignored", clip_tok(p, name, buf, sizeof buf),
                 is_grad ? "grad" : "data", clip_tok(p, &op, optext, sizeof optext));
        return mg__script_advance(p) && skip_statement(p, name, note, NULL);
    }
    mg__script_tok_desc(p, &attr, what, sizeof what);
    if (!is_data && !is_grad && !mg__script_tok_is(p, &attr, "label"))
        return FAIL(p, &attr, "cannot set %s: only x.data, x.grad and x.label can be set", what);
    if (!is_data && !is_grad && op.kind != T_ASSIGN)
        return FAIL(p, &op, "x.label can only be set with '='");
    sv target, x;
    if (!mg__script_name_sv(p, name, &target) || !mg__script_advance(p)) return 0;
    if (target.kind != SV_VALUE)
        return FAIL(p, &attr, "'%s' holds %s, which has no attribute %s (a Value has)",
                    clip_tok(p, name, buf, sizeof buf), mg__script_kind_desc(target.kind), what);
    if (!is_data && !is_grad) return set_label(p, target.v, &attr);
    if (!mg__script_expr(p, &x) || !mg__script_expect_end(p)) return 0;
    if (op.kind != T_ASSIGN) {
        double now = is_data ? mg_data(p->ctx, target.v) : mg_grad(p->ctx, target.v);
        sv cur = {SV_FLOAT, now, MG_NULL, 0, 0, attr.line, attr.col};
        if (!mg__script_binary(p, &op, cur, x, &x)) return 0;
    }
    if (x.kind == SV_VALUE)
        return mg__script_fail(p, x.line, x.col, MG_STATUS_FORMAT,
                               "x.%s takes a number, not a Value (x.data = y.data copies y's)",
                               is_data ? "data" : "grad");
    if (!mg__script_operand(p, &x)) return 0;
    (is_data ? mg_set_data : mg_set_grad)(p->ctx, target.v, x.num);
    return 1;
}

/* print's sep= or end=: a string, or None for the default. */
static int print_keyword(parser *p, size_t kw[2][2], int *seen) {
    char buf[48];
    token name = p->cur;
    int k = mg__script_tok_is(p, &name, "sep") ? 0 : mg__script_tok_is(p, &name, "end") ? 1 : -1;
    if (k < 0)
        return FAIL(p, &name, "print(%s=...) is not supported (sep= and end= are)",
                    clip_tok(p, &name, buf, sizeof buf));
    if (seen[k])
        return FAIL(p, &name, "keyword argument %s repeated", clip_tok(p, &name, buf, sizeof buf));
    seen[k] = 1;
    if (!mg__script_advance(p) || !mg__script_advance(p)) return 0;
    if (mg__script_tok_is(p, &p->cur, "None")) {
        seen[k] = 0;
        return mg__script_advance(p);
    }
    sv x;
    if (!mg__script_expr(p, &x)) return 0;
    if (x.kind != SV_STR)
        return mg__script_fail(p, x.line, x.col, MG_STATUS_FORMAT, "%s= takes a string or None",
                               k ? "end" : "sep");
    kw[k][0] = x.off, kw[k][1] = x.len;
    return 1;
}

/* The printed line: the arguments with sep between them, then end. */
static int print_line(parser *p, size_t kw[2][2], const int *seen) {
    const sbuf *st = &p->strs;
    for (size_t i = 0; i < p->nargs; i++) {
        int ok = i == 0 || (seen[0] ? mg__sbuf_put(&p->out, mg__sbuf_at(st, kw[0][0]), kw[0][1])
                                    : mg__sbuf_putc(&p->out, ' '));
        if (!ok || !mg__sbuf_put(&p->out, mg__sbuf_at(st, p->args[2 * i]), p->args[2 * i + 1]))
            return 0;
    }
    return seen[1] ? mg__sbuf_put(&p->out, mg__sbuf_at(st, kw[1][0]), kw[1][1])
                   : mg__sbuf_putc(&p->out, '\n');
}

/* print(a, b, ..., sep=' ', end='\n'); cur is on print, the next token is '('. */
static int stmt_print(parser *p) {
    char buf[48];
    token name = p->cur;
    size_t kw[2][2] = {{0, 0}, {0, 0}};
    int seen[2] = {0, 0}, nkw = 0;
    if (!mg__script_advance(p) || !mg__script_advance(p)) return 0;
    while (p->cur.kind != T_RPAR) {
        const token *nx = p->cur.kind == T_NAME ? mg__script_peek(p) : &p->cur;
        if (!nx) return 0;
        if (p->cur.kind == T_NAME && nx->kind == T_ASSIGN) {
            if (!print_keyword(p, kw, seen)) return 0;
            nkw++;
        } else {
            if (nkw) return FAIL(p, &p->cur, "a positional argument after a keyword argument");
            sv x;
            if (!mg__script_expr(p, &x)) return 0;
            if (x.kind == SV_NONE) return mg__script_none_error(p, &x);
            size_t off = p->strs.n;
            if (!mg__script_text(p, &x, 0, &p->strs) ||
                !mg__grow((void **)&p->args, &p->capargs, 2 * p->nargs + 2, sizeof *p->args))
                return mg__script_nomem(p, &name);
            p->args[2 * p->nargs] = off, p->args[2 * p->nargs + 1] = p->strs.n - off;
            p->nargs++;
        }
        if (p->cur.kind == T_COMMA) {
            if (!mg__script_advance(p)) return 0;
        } else if (mg__script_unsupported(p, &p->cur)) {
            return mg__script_unexpected(p, &p->cur);
        } else if (p->cur.kind != T_RPAR) {
            return FAIL(p, &p->cur, "expected ',' or ')' in print(...), found %s",
                        mg__script_tok_desc(p, &p->cur, buf, sizeof buf));
        }
    }
    if (!mg__script_advance(p) || !mg__script_expect_end(p)) return 0;
    if (!print_line(p, kw, seen)) return mg__script_nomem(p, &name);
    if (!emit(p, &name)) return 0;
    p->s->did_print = 1;
    return 1;
}

/* An expression statement, in Python mode or at the prompt. */
static int stmt_expr(parser *p, mg_status st0) {
    token first = p->cur;
    sv x;
    if (!mg__script_expr(p, &x)) return 0;
    if (p->cur.kind == T_ASSIGN || is_aug(p->cur.kind))
        return FAIL(p, &first, "cannot assign to an expression: only a name (x = ...), x.data, "
                               "x.grad and x.label can be assigned");
    if (!mg__script_expect_end(p)) return 0;
    if (x.kind == SV_NONE) return run_effect(p, &first, st0);
    if (p->echo) { /* the prompt shows the value's repr, as Python's does */
        if (!mg__script_text(p, &x, 1, &p->out) || !mg__sbuf_putc(&p->out, '\n'))
            return mg__script_nomem(p, &first);
        return emit(p, &first);
    }
    char text[56];
    size_t end = p->cur.start;
    while (end > first.start && strchr(" \t\r\f\v", p->src[end - 1])) end--;
    return add_note(p, first.line, "value not printed (print(...) prints it): %s",
                    mg__script_clip(p->src + first.start, end - first.start, text, sizeof text));
}

/* A statement starting NAME '.': NAME.attr = ... is one; returns 1 with *done set then. */
static int try_attr(parser *p, const token *first, int *done) {
    char buf[48], note[96];
    lexsave at;
    mg__script_save(p, &at);
    *done = 0;
    if (!mg__script_advance(p) || !mg__script_advance(p)) return 0;
    if (p->cur.kind == T_NAME) {
        const token *nx = mg__script_peek(p);
        if (!nx) return 0;
        if (nx->kind == T_ASSIGN || is_aug(nx->kind) || nx->kind == T_OTHER_AUG) {
            *done = 1;
            return stmt_attr(p, first);
        }
        if (p->legacy && mg__script_tok_is(p, &p->cur, "backward") && nx->kind == T_LPAR) {
            *done = 1;
            snprintf(note, sizeof note, "%s.backward() ignored",
                     clip_tok(p, first, buf, sizeof buf));
            return skip_statement(p, first, note, NULL);
        }
    }
    mg__script_restore(p, &at);
    return 1;
}

static int parse_statement(parser *p, mg_status st0) {
    char buf[48];
    token first = p->cur;
    const char *generic = "expression statement ignored (nothing assigned): ";
    if (first.kind == T_END || first.kind == T_EOF) return 1;
    if (first.kind == T_OTHER && strchr("%!", p->src[first.start])) /* IPython's %magic, !shell */
        return skip_statement(p, &first, NULL, p->python ? "IPython line ignored: " : generic);
    if (first.kind == T_NAME) {
        if (mg__script_tok_is(p, &first, "import") || mg__script_tok_is(p, &first, "from"))
            return skip_statement(p, &first,
                                  mg__script_tok_is(p, &first, "import")
                                      ? "import ignored"
                                      : "from ... import ignored",
                                  NULL);
        if (mg__py_keyword(p->src + first.start, first.end - first.start))
            return FAIL(p, &first, "%s statements are not supported (%s): " ACCEPTS,
                        mg__script_tok_desc(p, &first, buf, sizeof buf),
                        mg__script_construct(p, &first));
        const token *nx = mg__script_peek(p);
        if (!nx) return 0;
        if (nx->kind == T_ASSIGN || is_aug(nx->kind)) return stmt_assign(p);
        if (nx->kind == T_OTHER_AUG)
            return FAIL(p, nx, "operator %s is not supported (use = += -= *= /= **=)",
                        mg__script_tok_desc(p, nx, buf, sizeof buf));
        if (nx->kind == T_LPAR && mg__script_tok_is(p, &first, "print"))
            return p->legacy ? skip_statement(p, &first, "print(...) ignored", NULL)
                             : stmt_print(p);
        if (nx->kind == T_DOT) {
            int done;
            if (!try_attr(p, &first, &done)) return 0;
            if (done) return !p->failed;
        }
    }
    if (p->legacy || (!p->python && !p->echo)) return skip_statement(p, &first, NULL, generic);
    return stmt_expr(p, st0);
}

/* ==== running ============================================================================== */

/* Python mode is for scripts that call print(...), backward() or _backward(): found by
 * reading the tokens (so not in comments or strings) up to the end or a lexical error. */
static int wants_python(parser *p, const char *text, size_t len) {
    mg__script_lex_init(p, text, len);
    token prev = {0};
    tkind before = T_END;
    int found = 0;
    while (!found && mg__script_advance(p) && p->cur.kind != T_EOF) {
        if (p->cur.kind == T_LPAR && prev.kind == T_NAME)
            found = (before != T_DOT && mg__script_tok_is(p, &prev, "print")) ||
                    (before == T_DOT && (mg__script_tok_is(p, &prev, "backward") ||
                                         mg__script_tok_is(p, &prev, "_backward")));
        before = prev.kind;
        prev = p->cur;
    }
    p->failed = 0;
    return found;
}

/* Runs the statements in order; on an error, drops what the failing statement made. */
static void run_statements(parser *p) {
    mg_script *s = p->s;
    if (!mg__script_advance(p)) return;
    while (p->cur.kind != T_EOF) {
        mg_mark mark = mg_ctx_mark(p->ctx);
        size_t nleaves = s->nleaves, nnotes = s->nnotes;
        mg_status st0 = mg_ctx_status(p->ctx);
        p->strs.n = p->out.n = p->nargs = 0;
        p->effect = EFFECT_NONE;
        p->nest = 0;
        if (!parse_statement(p, st0)) {
            mg_ctx_reset(p->ctx, mark);
            mg__script_truncate(s, nleaves, nnotes);
            if (st0 == MG_STATUS_OK) mg_ctx_clear_status(p->ctx);
            return;
        }
        if (p->cur.kind == T_END && !mg__script_advance(p)) return;
    }
}

static mg_status report(mg_script_error *where, mg_err *err, const char *file, mg_status st,
                        size_t line, size_t col, const char *msg) {
    if (where) {
        where->line = line;
        where->col = col;
        snprintf(where->message, sizeof where->message, "%s", msg);
    }
    return mg_err_set(err, st, "%s:%zu:%zu: %s", file, line, col, msg);
}

static mg_status run(mg_script *s, const char *text, size_t len, const char *filename,
                     unsigned flags, int legacy, mg_script_error *where, mg_err *err) {
    const char *file = filename ? filename : "<script>";
    parser *p = mg__calloc(1, sizeof *p); /* the bracket stack makes it too big for a stack */
    if (!p) return report(where, err, file, MG_STATUS_NOMEM, 1, 1, "out of memory");
    p->ctx = s->ctx;
    p->s = s;
    p->legacy = legacy;
    p->echo = (flags & MG_SCRIPT_ECHO) != 0;
    if (!legacy && !s->python && ((flags & MG_SCRIPT_PYTHON) || wants_python(p, text, len)))
        s->python = 1;
    p->python = !legacy && s->python;
    mg__script_lex_init(p, text, len);
    run_statements(p);
    mg_status st = MG_STATUS_OK;
    if (p->failed)
        st = report(where, err, file, p->status, p->err_line, p->err_col, p->err_msg);
    mg__sbuf_free(&p->strs);
    mg__sbuf_free(&p->out);
    mg__free(p->args);
    mg__free(p);
    return st;
}

mg_status mg_script_run(mg_script *s, const char *text, size_t len, const char *filename,
                        unsigned flags, mg_script_error *where, mg_err *err) {
    MG_ASSERT(s != NULL, "mg_script_run without a script");
    MG_ASSERT(text != NULL || len == 0, "mg_script_run of NULL text");
    MG_ASSERT((flags & ~(unsigned)(MG_SCRIPT_ECHO | MG_SCRIPT_PYTHON)) == 0,
              "mg_script_run: unknown flags");
    return run(s, text, len, filename, flags, 0, where, err);
}

mg_script *mg_script_parse(mg_ctx *ctx, const char *text, size_t len, const char *filename,
                           mg_script_error *where, mg_err *err) {
    MG_ASSERT(ctx != NULL, "mg_script_parse without a context");
    MG_ASSERT(text != NULL || len == 0, "mg_script_parse of NULL text");
    mg_mark mark = mg_ctx_mark(ctx);
    mg_script *s = mg_script_new(ctx);
    if (!s) {
        report(where, err, filename ? filename : "<script>", MG_STATUS_NOMEM, 1, 1,
               "out of memory");
        return NULL;
    }
    mg_status st = run(s, text, len, filename, 0, 1, where, err);
    if (st == MG_STATUS_OK && s->nnames == 0)
        st = report(where, err, filename ? filename : "<script>", MG_STATUS_FORMAT, 1, 1,
                    "nothing assigned: a script needs an assignment such as y = a*b + c");
    if (st != MG_STATUS_OK) {
        mg_script_free(s);
        mg_ctx_reset(ctx, mark);
        return NULL;
    }
    return s;
}

int mg_script_incomplete(const char *text, size_t len) {
    MG_ASSERT(text != NULL || len == 0, "mg_script_incomplete of NULL text");
    parser *p = mg__calloc(1, sizeof *p);
    if (!p) return 0;
    mg__script_lex_init(p, text, len);
    while (mg__script_advance(p) && p->cur.kind != T_EOF) {}
    int open = p->eof_open;
    mg__free(p);
    return open;
}
