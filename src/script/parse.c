/* parse.c - expressions of the script language, evaluated as they are parsed: numbers
 * (ints and floats kept apart, as Python keeps them), Values built on the context the way
 * micrograd builds them, strings and f-strings. A recursive descent whose nesting is
 * bounded by MG_SCRIPT_MAX_DEPTH, so no input can overflow the stack; an f-string's
 * fields are parsed by the same functions, on the same tokenizer narrowed to the field. */
#include "script_internal.h"
#include "engine/ops.h"

#include <math.h>
#include <stdio.h>

/* ==== what expressions give ============================================================== */

/* Integers are exact in a double up to 2^53; an int past that becomes a float. */
#define MAX_EXACT_INT 9007199254740992.0

static sv num_sv(int is_int, double x, size_t line, size_t col) {
    sv r = {SV_FLOAT, x, MG_NULL, 0, 0, line, col};
    if (is_int && fabs(x) <= MAX_EXACT_INT) r.kind = SV_INT;
    return r;
}
static sv val_sv(mg_value v, size_t line, size_t col) {
    sv r = {SV_VALUE, 0.0, v, 0, 0, line, col};
    return r;
}
static sv none_sv(size_t line, size_t col) {
    sv r = {SV_NONE, 0.0, MG_NULL, 0, 0, line, col};
    return r;
}

const char *mg__script_kind_desc(svkind k) {
    static const char *const desc[] = {"an int", "a float", "a Value", "a string", "None"};
    return desc[k];
}

int mg__script_none_error(parser *p, const sv *x) {
    return mg__script_fail(p, x->line, x->col, MG_STATUS_FORMAT,
                           "this gives None (x.backward(), x._backward() and draw_dot(...) give "
                           "nothing): write it as a statement of its own");
}

static int str_error(parser *p, const sv *x) {
    return mg__script_fail(p, x->line, x->col, MG_STATUS_FORMAT,
                           "a string is not a number: strings go in print(...), f-strings and "
                           "label=");
}

int mg__script_operand(parser *p, const sv *x) {
    if (x->kind == SV_NONE) return mg__script_none_error(p, x);
    if (x->kind == SV_STR) return str_error(p, x);
    return 1;
}

int mg__script_name_sv(parser *p, const token *name, sv *out) {
    char buf[48];
    const sname *e = mg__script_lookup(p->s, p->src + name->start, name->end - name->start);
    if (!e)
        return FAIL(p, name, "undefined name '%s'",
                    mg__script_clip(p->src + name->start, name->end - name->start, buf,
                                    sizeof buf));
    if (e->kind == MG_SCRIPT_KIND_VALUE)
        *out = val_sv(e->v, name->line, name->col);
    else
        *out = num_sv(e->kind == MG_SCRIPT_KIND_INT, e->num, name->line, name->col);
    return 1;
}

int mg__script_text(parser *p, const sv *x, int repr, sbuf *out) {
    char buf[96];
    switch (x->kind) {
    case SV_INT:
    case SV_FLOAT: return mg__py_num(out, x->kind == SV_INT, x->num);
    case SV_VALUE: return mg__sbuf_puts(out, mg_value_repr(p->ctx, x->v, buf, sizeof buf));
    case SV_STR: break;
    case SV_NONE: return mg__sbuf_puts(out, "None");
    }
    if (out != &p->strs)
        return repr ? mg__py_str_repr(out, mg__sbuf_at(&p->strs, x->off), x->len, 0)
                    : mg__sbuf_put(out, mg__sbuf_at(&p->strs, x->off), x->len);
    if (!repr) return mg__sbuf_put_own(out, x->off, x->len);
    sbuf tmp = {0}; /* the string lives in strs: quote it elsewhere first */
    int ok = mg__py_str_repr(&tmp, mg__sbuf_at(&p->strs, x->off), x->len, 0) &&
             mg__sbuf_put(out, tmp.b, tmp.n);
    mg__sbuf_free(&tmp);
    return ok;
}

/* ==== what eval does not have ============================================================== */

static const struct {
    const char *word, *why;
} constructs[] = {
    {"for", "no loops"},           {"while", "no loops"},          {"break", "no loops"},
    {"continue", "no loops"},      {"def", "no functions"},        {"lambda", "no functions"},
    {"return", "no functions"},    {"yield", "no functions"},      {"class", "no classes"},
    {"if", "no conditions"},       {"elif", "no conditions"},      {"else", "no conditions"},
    {"and", "no conditions"},      {"or", "no conditions"},        {"not", "no conditions"},
    {"in", "no containers"},       {"is", "no conditions"},        {"True", "no booleans"},
    {"False", "no booleans"},      {"None", "no None"},            {"try", "no exceptions"},
    {"except", "no exceptions"},   {"finally", "no exceptions"},   {"raise", "no exceptions"},
    {"assert", "no exceptions"},   {"with", "no context managers"}, {"async", "no coroutines"},
    {"await", "no coroutines"},    {"global", "one scope only"},   {"nonlocal", "one scope only"},
    {"del", "names stay bound"},   {"pass", "nothing to skip"},    {"as", "no imports"},
};

const char *mg__script_construct(const parser *p, const token *t) {
    for (size_t i = 0; i < sizeof constructs / sizeof constructs[0]; i++)
        if (mg__script_tok_is(p, t, constructs[i].word)) return constructs[i].why;
    return "a Python keyword";
}

int mg__script_unsupported(const parser *p, const token *t) {
    return t->kind == T_OTHER || t->kind == T_OTHER_AUG ||
           (t->kind == T_NAME && mg__py_keyword(p->src + t->start, t->end - t->start));
}

int mg__script_unexpected(parser *p, const token *t) {
    char buf[48];
    const char *desc = mg__script_tok_desc(p, t, buf, sizeof buf);
    const char *text = p->src + t->start;
    size_t n = t->end - t->start;
    if (t->kind == T_OTHER && ((n == 2 && text[1] == '=') || (n == 1 && strchr("<>", text[0]))))
        return FAIL(p, t, "comparisons (%s) are not supported: eval has no conditions", desc);
    if (t->kind == T_OTHER && n == 1 && text[0] == ':')
        return FAIL(p, t, "':' is not supported here (no blocks, slices, dicts or annotations)");
    if (t->kind == T_OTHER)
        return FAIL(p, t, "operator %s is not supported (only + - * / **)", desc);
    if (t->kind == T_OTHER_AUG)
        return FAIL(p, t, "operator %s is not supported (use = += -= *= /= **=)", desc);
    if (t->kind == T_COMMA)
        return FAIL(p, t, "tuples are not supported (a, b = ... included): one value at a time");
    if (t->kind == T_NAME && mg__py_keyword(text, n))
        return FAIL(p, t, "%s is not supported here (%s)", desc, mg__script_construct(p, t));
    return FAIL(p, t, "expected an operator or the end of the statement, found %s", desc);
}

int mg__script_expect_end(parser *p) {
    if (p->cur.kind == T_END || p->cur.kind == T_EOF) return 1;
    return mg__script_unexpected(p, &p->cur);
}

/* ==== operators ============================================================================ */

static int parse_factor(parser *p, sv *out);

static int enter(parser *p, const token *t) {
    if (++p->nest > MG_SCRIPT_MAX_DEPTH)
        return FAIL(p, t,
                    "expression nested deeper than %d levels (brackets, unary operators, "
                    "calls and powers)",
                    MG_SCRIPT_MAX_DEPTH);
    return 1;
}

static tkind base_op(tkind k) {
    switch (k) {
    case T_PLUSEQ: return T_PLUS;
    case T_MINUSEQ: return T_MINUS;
    case T_STAREQ: return T_STAR;
    case T_SLASHEQ: return T_SLASH;
    case T_POWEQ: return T_POW;
    default: return k;
    }
}

/* Numbers alone: folded in double precision; int + - * ** int stays an int while exact
 * (** with a negative exponent gives a float), / gives a float. In Python mode dividing
 * by zero is an error, as in Python; otherwise it gives inf or nan, as IEEE does. */
static int num_binary(parser *p, const token *op, tkind k, sv a, sv b, sv *out) {
    int ints = a.kind == SV_INT && b.kind == SV_INT;
    if (p->python && ((k == T_SLASH && b.num == 0) || (k == T_POW && a.num == 0 && b.num < 0)))
        return FAIL(p, op, "division by zero (%s)",
                    k == T_SLASH ? "ZeroDivisionError in Python"
                                 : "0 cannot be raised to a negative power");
    mg_op fold = k == T_PLUS    ? MG_OP_ADD
                 : k == T_MINUS ? MG_OP_SUB
                 : k == T_STAR  ? MG_OP_MUL
                 : k == T_SLASH ? MG_OP_DIV
                                : MG_OP_POW;
    double r = mg__op_forward(fold, a.num, b.num);
    int is_int = ints && k != T_SLASH && (k != T_POW || b.num >= 0) && r == floor(r);
    *out = num_sv(is_int, r, a.line, a.col);
    return 1;
}

static int str_binary(parser *p, const token *op, tkind k, sv a, sv b, sv *out) {
    char buf[16];
    if (a.kind != SV_STR || b.kind != SV_STR || k != T_PLUS)
        return FAIL(p, op, "unsupported operands for %s: %s and %s (strings only join with +)",
                    mg__script_tok_desc(p, op, buf, sizeof buf), mg__script_kind_desc(a.kind),
                    mg__script_kind_desc(b.kind));
    size_t off = p->strs.n;
    if (!mg__sbuf_put_own(&p->strs, a.off, a.len) || !mg__sbuf_put_own(&p->strs, b.off, b.len))
        return mg__script_nomem(p, op);
    *out = a;
    out->off = off;
    out->len = a.len + b.len;
    return 1;
}

/* a OP b. A number on one side of a Value becomes a constant, as micrograd's Value(k):
 * k + a and k * a are a + k and a * k (micrograd's __radd__, __rmul__). */
int mg__script_binary(parser *p, const token *op, sv a, sv b, sv *out) {
    tkind k = base_op(op->kind);
    if (a.kind == SV_NONE) return mg__script_none_error(p, &a);
    if (b.kind == SV_NONE) return mg__script_none_error(p, &b);
    if (a.kind == SV_STR || b.kind == SV_STR) return str_binary(p, op, k, a, b, out);
    if (a.kind != SV_VALUE && b.kind != SV_VALUE) return num_binary(p, op, k, a, b, out);
    mg_ctx *c = p->ctx;
    mg_value r = MG_NULL;
    int both = a.kind == SV_VALUE && b.kind == SV_VALUE, av = a.kind == SV_VALUE;
    switch (k) {
    case T_PLUS:
        r = both ? mg_add(c, a.v, b.v) : av ? mg_addf(c, a.v, b.num) : mg_addf(c, b.v, a.num);
        break;
    case T_MINUS:
        r = both ? mg_sub(c, a.v, b.v) : av ? mg_subf(c, a.v, b.num) : mg_rsubf(c, a.num, b.v);
        break;
    case T_STAR:
        r = both ? mg_mul(c, a.v, b.v) : av ? mg_mulf(c, a.v, b.num) : mg_mulf(c, b.v, a.num);
        break;
    case T_SLASH:
        r = both ? mg_div(c, a.v, b.v) : av ? mg_divf(c, a.v, b.num) : mg_rdivf(c, a.num, b.v);
        break;
    default: /* T_POW */
        if (b.kind != SV_VALUE)
            r = mg_powf(c, a.v, b.num);
        else
            r = mg_pow(c, av ? a.v : mg_const(c, a.num), b.v);
        break;
    }
    if (!mg_ok(r)) return mg__script_engine_fail(p, op->line, op->col);
    *out = val_sv(r, a.line, a.col);
    return 1;
}

/* The op of a function or method name (tanh, exp, log, relu, sigmoid: the op table's
 * CALL ops), or MG_OP_COUNT. */
static mg_op call_op(const parser *p, const token *name) {
    return mg__op_call_named(p->src + name->start, name->end - name->start);
}

/* A unary op (neg, or a function) on x; at is the operator or the function's name. */
static int apply_unary(parser *p, mg_op op, const token *at, sv x, sv *out) {
    char buf[48];
    if (x.kind == SV_NONE) return mg__script_none_error(p, &x);
    if (x.kind == SV_STR)
        return FAIL(p, at, "%s takes a number or a Value, not a string",
                    op == MG_OP_NEG ? "unary -" : mg__script_tok_desc(p, at, buf, sizeof buf));
    if (x.kind != SV_VALUE) { /* tanh(2.0): a plain number in, a plain number out */
        double r = mg__op_forward(op, x.num, 0.0);
        *out = num_sv(op == MG_OP_NEG && x.kind == SV_INT, r, at->line, at->col);
        return 1;
    }
    mg_value r = mg__unary_op(p->ctx, op, x.v);
    if (!mg_ok(r)) return mg__script_engine_fail(p, at->line, at->col);
    *out = val_sv(r, at->line, at->col);
    return 1;
}

/* ==== calls =============================================================================== */

static int parse_expr(parser *p, sv *out);

/* The arguments of a call, after its '(' up to and past its ')': positional ones (the
 * first two kept), label= and data=. */
typedef struct callargs {
    int npos;
    sv pos[2];
    int has_label, has_data, nkw;
    sv label, data;
} callargs;

static int parse_keyword(parser *p, callargs *a) {
    char buf[48];
    token kw = p->cur;
    int is_label = mg__script_tok_is(p, &kw, "label");
    if (!is_label && !mg__script_tok_is(p, &kw, "data"))
        return FAIL(p, &kw, "unknown keyword argument %s (only label= and data=)",
                    mg__script_tok_desc(p, &kw, buf, sizeof buf));
    if ((is_label && a->has_label) || (!is_label && a->has_data))
        return FAIL(p, &kw, "keyword argument %s repeated",
                    mg__script_tok_desc(p, &kw, buf, sizeof buf));
    a->nkw++;
    if (!mg__script_advance(p) || !mg__script_advance(p)) return 0;
    sv *x = is_label ? &a->label : &a->data;
    if (!parse_expr(p, x)) return 0;
    if (is_label && x->kind != SV_STR)
        return mg__script_fail(p, x->line, x->col, MG_STATUS_FORMAT, "label= takes a string");
    *(is_label ? &a->has_label : &a->has_data) = 1;
    return 1;
}

/* nokw: NULL, or the message for a call that takes no keyword arguments. */
static int parse_args(parser *p, callargs *a, const char *nokw) {
    memset(a, 0, sizeof *a);
    char buf[48];
    while (p->cur.kind != T_RPAR) {
        const token *nx = p->cur.kind == T_NAME ? mg__script_peek(p) : &p->cur;
        if (!nx) return 0;
        if (p->cur.kind == T_NAME && nx->kind == T_ASSIGN) {
            if (nokw) return FAIL(p, &p->cur, "%s", nokw);
            if (!parse_keyword(p, a)) return 0;
        } else {
            if (a->nkw)
                return FAIL(p, &p->cur, "a positional argument after a keyword argument");
            sv x;
            if (!parse_expr(p, &x)) return 0;
            if (a->npos < 2) a->pos[a->npos] = x;
            if (a->npos < INT32_MAX) a->npos++;
        }
        if (p->cur.kind == T_COMMA) {
            if (!mg__script_advance(p)) return 0;
        } else if (mg__script_unsupported(p, &p->cur)) {
            return mg__script_unexpected(p, &p->cur);
        } else if (p->cur.kind != T_RPAR) {
            return FAIL(p, &p->cur, "expected ',' or ')' in the call, found %s",
                        mg__script_tok_desc(p, &p->cur, buf, sizeof buf));
        }
    }
    return mg__script_advance(p);
}

/* Skips a call's arguments unread, up to and past its ')'; cur is on its '('. */
static int skip_args(parser *p) {
    int depth = p->cur.depth;
    do {
        if (!mg__script_advance(p)) return 0;
    } while (p->cur.kind != T_EOF && !(p->cur.kind == T_RPAR && p->cur.depth == depth + 1));
    return p->cur.kind == T_RPAR ? mg__script_advance(p) : FAIL(p, &p->cur, "expected ')'");
}

/* Value(x), Value(x, label='a'), Value(data=x). */
static int make_value(parser *p, const token *name, const callargs *a, sv *out) {
    if (a->npos + a->has_data != 1)
        return FAIL(p, name, "Value() takes one number (and label='...'), %d given",
                    a->npos + a->has_data);
    sv x = a->has_data ? a->data : a->pos[0];
    if (x.kind == SV_VALUE) return FAIL(p, name, "Value() takes a number, not a Value");
    if (!mg__script_operand(p, &x)) return 0;
    char label[256] = "";
    if (a->has_label) { /* cut at 255 bytes (as labels are) and at a NUL */
        size_t n = a->label.len < 255 ? a->label.len : 255;
        memcpy(label, mg__sbuf_at(&p->strs, a->label.off), n);
        label[n] = '\0';
    }
    mg_value v = mg_leaf_ex(p->ctx, x.num, MG_ROLE_LEAF, label);
    if (!mg_ok(v)) return mg__script_engine_fail(p, name->line, name->col);
    if (!mg__script_add_leaf(p->s, v, label, name->line, name->col))
        return mg__script_nomem(p, name);
    *out = val_sv(v, name->line, name->col);
    return 1;
}

/* grad(y, x): d y / d x as a Value appended to the tape (mg_gradient), so it prints, draws
 * and differentiates again like any other value; the leaves' grads are not touched. */
static int make_gradient(parser *p, const token *name, const callargs *a, sv *out) {
    static const char *const arg[] = {"y", "x"};
    if (a->npos != 2)
        return FAIL(p, name, "grad(y, x) takes two Values, y and x (%d given): d y / d x",
                    a->npos);
    for (int k = 0; k < 2; k++)
        if (a->pos[k].kind != SV_VALUE)
            return mg__script_fail(p, a->pos[k].line, a->pos[k].col, MG_STATUS_FORMAT,
                                   "grad(y, x): %s is %s, not a Value (write Value(...) around "
                                   "a number)",
                                   arg[k], mg__script_kind_desc(a->pos[k].kind));
    mg_value d = mg_gradient(p->ctx, a->pos[0].v, a->pos[1].v);
    if (!mg_ok(d)) return mg__script_engine_fail(p, name->line, name->col);
    *out = val_sv(d, name->line, name->col);
    return 1;
}

/* NAME(...) with cur on '(': Value(...), grad(y, x), a function form of an op, or
 * draw_dot(...). */
static int parse_call(parser *p, const token *name, sv *out) {
    char buf[48];
    mg_op fn = call_op(p, name);
    int is_value = mg__script_tok_is(p, name, "Value");
    int is_grad = mg__script_tok_is(p, name, "grad");
    if (!p->legacy && mg__script_tok_is(p, name, "draw_dot")) {
        if (!skip_args(p)) return 0;
        p->effect = EFFECT_DRAW;
        *out = none_sv(name->line, name->col);
        return 1;
    }
    if (!p->legacy && mg__script_tok_is(p, name, "print"))
        return FAIL(p, name, "print(...) is a statement here: write it on a line of its own");
    if (fn == MG_OP_COUNT && !is_value && !is_grad)
        return FAIL(p, name,
                    "unknown function %s (known: Value, grad, tanh, exp, log, relu, sigmoid)",
                    mg__script_tok_desc(p, name, buf, sizeof buf));
    if (!enter(p, &p->cur) || !mg__script_advance(p)) return 0;
    callargs a;
    if (!parse_args(p, &a, is_grad ? "grad(y, x) takes no keyword arguments" : NULL)) return 0;
    p->nest--;
    if (is_value) return make_value(p, name, &a, out);
    if (is_grad) return make_gradient(p, name, &a, out);
    mg__script_clip(p->src + name->start, name->end - name->start, buf, sizeof buf);
    if (a.npos != 1 || a.nkw)
        return FAIL(p, name, "%s() takes exactly one argument (%d given)", buf, a.npos + a.nkw);
    return apply_unary(p, fn, name, a.pos[0], out);
}

/* x.data, x.grad, x.label; cur is past the attribute's name. */
static int parse_attribute(parser *p, const token *name, sv *x) {
    char what[48];
    mg__script_tok_desc(p, name, what, sizeof what);
    int data = mg__script_tok_is(p, name, "data"), grad = mg__script_tok_is(p, name, "grad");
    int label = mg__script_tok_is(p, name, "label");
    if (x->kind == SV_NONE) return mg__script_none_error(p, x);
    if (p->legacy && grad)
        return FAIL(p, name, "x.grad is not known while the script is parsed: "
                             "backward runs after it");
    if (x->kind != SV_VALUE && (data || grad || label))
        return FAIL(p, name, "%s has no attribute %s (a Value has: Value(...) makes one)",
                    mg__script_kind_desc(x->kind), what);
    if (data || grad) {
        double d = data ? mg_data(p->ctx, x->v) : mg_grad(p->ctx, x->v);
        *x = num_sv(0, d, x->line, x->col);
        return 1;
    }
    if (label) {
        const char *l = mg_label(p->ctx, x->v);
        size_t off = p->strs.n, n = strlen(l);
        if (!mg__sbuf_put(&p->strs, l, n)) return mg__script_nomem(p, name);
        *x = (sv){SV_STR, 0.0, MG_NULL, off, n, x->line, x->col};
        return 1;
    }
    if (call_op(p, name) != MG_OP_COUNT || mg__script_tok_is(p, name, "backward"))
        return FAIL(p, name, "%s is a method: call it with ()", what);
    return FAIL(p, name, "unknown attribute %s", what);
}

/* .name or .name() after a primary; cur is on the name. */
static int parse_method(parser *p, sv *x) {
    char buf[48], what[48];
    token name = p->cur;
    if (name.kind != T_NAME) return FAIL(p, &name, "expected a method name after '.'");
    mg__script_tok_desc(p, &name, what, sizeof what);
    if (!mg__script_advance(p)) return 0;
    if (p->cur.kind != T_LPAR) return parse_attribute(p, &name, x);
    mg_op fn = call_op(p, &name);
    int bw = mg__script_tok_is(p, &name, "backward");
    int lbw = mg__script_tok_is(p, &name, "_backward");
    if (fn == MG_OP_COUNT && (p->legacy || (!bw && !lbw)))
        return FAIL(p, &name, "unknown method %s (known: tanh, exp, log, relu, sigmoid%s)", what,
                    p->legacy ? "" : ", backward, _backward");
    if (x->kind == SV_NONE) return mg__script_none_error(p, x);
    if (x->kind != SV_VALUE)
        return FAIL(p, &name, "%s has no method %s: write Value(...) around it",
                    x->kind == SV_STR ? "a string" : "a number", what);
    if (!enter(p, &p->cur) || !mg__script_advance(p)) return 0;
    callargs a;
    if (!parse_args(p, &a, NULL)) return 0;
    p->nest--;
    if (a.npos || a.nkw)
        return FAIL(p, &name, "%s() takes no arguments (%d given)",
                    mg__script_clip(p->src + name.start, name.end - name.start, buf, sizeof buf),
                    a.npos + a.nkw);
    if (bw || lbw) { /* done when the statement completes, if nothing uses the None */
        p->effect = bw ? EFFECT_BACKWARD : EFFECT_LOCAL_BACKWARD;
        p->effect_v = x->v;
        *x = none_sv(x->line, x->col);
        return 1;
    }
    size_t line = x->line, col = x->col;
    if (!apply_unary(p, fn, &name, *x, x)) return 0;
    x->line = line, x->col = col;
    return 1;
}

/* ==== strings and f-strings ================================================================ */

/* A position in the source, moved forward through a token to find lines and columns. */
typedef struct srcpos {
    size_t i, line, line_start;
} srcpos;

static srcpos token_pos(const token *t) {
    srcpos sp = {t->start, t->line, t->start - (t->col - 1)};
    return sp;
}

static void move_to(const parser *p, srcpos *sp, size_t at) {
    for (; sp->i < at; sp->i++)
        if (p->src[sp->i] == '\n') sp->line++, sp->line_start = sp->i + 1;
}

static int fail_at(parser *p, const token *t, size_t at, const char *msg) {
    srcpos sp = token_pos(t);
    move_to(p, &sp, at);
    return mg__script_fail(p, sp.line, at - sp.line_start + 1, MG_STATUS_FORMAT, "%s", msg);
}

/* Appends the literal text src[from .. to) of string token t, its escapes decoded. */
static int literal_text(parser *p, const token *t, size_t from, size_t to, sbuf *acc) {
    size_t bad = 0;
    int r = mg__script_unescape(p->src + from, to - from, (t->sflags & STR_RAW) != 0, acc, &bad);
    if (r < 0) return fail_at(p, t, from + bad, "malformed escape in a string (\\x, \\u or \\U)");
    return r ? 1 : mg__script_nomem(p, t);
}

/* Parses src[from .. to) as one expression: an f-string's field. */
static int subparse(parser *p, size_t from, size_t to, const srcpos *sp, sv *out) {
    char buf[48];
    lexsave saved;
    mg__script_save(p, &saved);
    p->len = to;
    p->pos = from;
    p->line = sp->line;
    p->line_start = sp->line_start;
    p->has_la = 0;
    p->base_open = p->nopen;
    token here = {0};
    here.line = sp->line, here.col = from - sp->line_start + 1;
    int ok = enter(p, &here) && mg__script_advance(p) && parse_expr(p, out);
    if (ok && p->cur.kind != T_EOF)
        ok = FAIL(p, &p->cur, "f-string: expected '}' after the expression, found %s",
                  mg__script_tok_desc(p, &p->cur, buf, sizeof buf));
    p->nest--;
    mg__script_restore(p, &saved);
    return ok;
}

/* Appends x formatted with a conversion (!r !s !a, or 0) and a format spec. */
static int format_field(parser *p, const sv *x, char conv, const char *spec, size_t n,
                        const token *at, sbuf *acc) {
    char why[160], text[48];
    if (x->kind == SV_NONE) return mg__script_none_error(p, x);
    if (x->kind == SV_VALUE && !conv && n)
        return FAIL(p, at, "f-string: a Value takes no format spec (':%s'); format its .data",
                    mg__script_clip(spec, n, text, sizeof text));
    sbuf tmp = {0};
    const char *s = x->kind == SV_STR ? mg__sbuf_at(&p->strs, x->off) : NULL;
    size_t len = x->len;
    pykind kind = x->kind == SV_INT ? PY_INT : x->kind == SV_FLOAT ? PY_FLOAT : PY_STR;
    if (conv || x->kind == SV_VALUE) {
        int ok = conv == 'a' && x->kind == SV_STR ? mg__py_str_repr(&tmp, s, len, 1)
                                                  : mg__script_text(p, x, conv != 's', &tmp);
        if (!ok) return mg__script_nomem(p, at);
        s = tmp.b ? tmp.b : "", len = tmp.n, kind = PY_STR;
    }
    int r = mg__py_format(acc, kind, x->num, s, len, spec, n, why, sizeof why);
    mg__sbuf_free(&tmp);
    if (r == 0) return mg__script_nomem(p, at);
    if (r < 0)
        return FAIL(p, at, "f-string: format spec ':%s' for %s: %s",
                    mg__script_clip(spec, n, text, sizeof text),
                    conv ? "a string" : mg__script_kind_desc(x->kind), why);
    return 1;
}

/* The end of a field's expression, from its start i: the '!', ':', '}' or '=' (a
 * self-documenting f'{x=}') at bracket depth 0, outside strings. end when there is none. */
static size_t field_end(parser *p, const token *t, size_t i, size_t end) {
    const char *s = p->src;
    int depth = 0;
    char q = 0;
    for (; i < end; i++) {
        char c = s[i];
        if (q) {
            if (c == '\\') i++;
            else if (c == q) q = 0;
        } else if (c == '\'' || c == '"') {
            q = c;
        } else if (c == '#') {
            fail_at(p, t, i, "f-string: the expression cannot include '#'");
            return end;
        } else if (c == '(' || c == '[' || c == '{') {
            depth++;
        } else if (c == ')' || c == ']' || c == '}') {
            if (depth == 0) return i;
            depth--;
        } else if (depth == 0 && (c == ':' || (c == '!' && i + 1 < end && s[i + 1] != '='))) {
            return i;
        } else if (depth == 0 && c == '=' && i + 1 < end && s[i + 1] != '=' &&
                   !strchr("=!<>", s[i - 1])) {
            return i;
        }
    }
    return end;
}

/* One field {expr[=][!c][:spec]} of f-string t; *pi is on its '{', and moves past its '}'. */
static int fstring_field(parser *p, const token *t, srcpos *sp, size_t *pi, sbuf *acc) {
    const char *s = p->src;
    size_t open = *pi, es = open + 1, end = t->body_end;
    size_t ee = field_end(p, t, es, end), i = ee, doc_end = 0, spec = 0, nspec = 0;
    char conv = 0;
    if (p->failed) return 0;
    if (i < end && s[i] == '=') { /* f'{x = }': the text, then the value's repr */
        for (i++; i < end && s[i] == ' '; i++) {}
        doc_end = i;
    }
    if (i < end && s[i] == '!') {
        if (i + 2 >= end || !strchr("rsa", s[i + 1]) || !strchr(":}", s[i + 2]))
            return fail_at(p, t, i, "f-string: invalid conversion: expected !r, !s or !a");
        conv = s[i + 1], i += 2;
    }
    if (i < end && s[i] == ':') {
        for (spec = ++i; i < end && s[i] != '}'; i++)
            if (s[i] == '{')
                return fail_at(p, t, i, "f-string: fields nested in a format spec are not "
                                        "supported");
        nspec = i - spec;
    }
    if (i >= end || s[i] != '}') return fail_at(p, t, open, "f-string: expecting '}'");
    size_t k = es;
    while (k < ee && strchr(" \t\r\n", s[k])) k++;
    if (k == ee) return fail_at(p, t, open, "f-string: empty expression not allowed");
    *pi = i + 1;
    move_to(p, sp, es);
    srcpos at = *sp;
    sv x;
    if (!subparse(p, es, ee, &at, &x)) return 0;
    if (doc_end && !mg__sbuf_put(acc, s + es, doc_end - es)) return mg__script_nomem(p, t);
    if (doc_end && !conv && !nspec) conv = 'r';
    token where = {0}; /* errors of the value's formatting point at the field's '{' */
    where.line = at.line, where.col = open - at.line_start + 1;
    return format_field(p, &x, conv, s + spec, nspec, &where, acc);
}

static int fstring(parser *p, const token *t, sbuf *acc) {
    const char *s = p->src;
    size_t i = t->body, end = t->body_end, lit = i;
    int raw = (t->sflags & STR_RAW) != 0;
    srcpos sp = token_pos(t);
    while (i < end) {
        char c = s[i];
        if (c == '\\' && !raw && i + 1 < end && s[i + 1] != '{' && s[i + 1] != '}') {
            i += 2;
            continue;
        }
        if (c != '{' && c != '}') {
            i++;
            continue;
        }
        if (!literal_text(p, t, lit, i, acc)) return 0;
        if (i + 1 < end && s[i + 1] == c) { /* {{ and }} */
            if (!mg__sbuf_putc(acc, c)) return mg__script_nomem(p, t);
            lit = i += 2;
            continue;
        }
        if (c == '}') return fail_at(p, t, i, "f-string: single '}' is not allowed");
        if (!fstring_field(p, t, &sp, &i, acc)) return 0;
        lit = i;
    }
    return literal_text(p, t, lit, end, acc);
}

/* One or more string literals in a row (joined, as Python joins 'a' 'b'). */
static int parse_strings(parser *p, sv *out) {
    token first = p->cur;
    sbuf acc = {0};
    int ok = 1;
    while (ok && p->cur.kind == T_STRING) {
        token t = p->cur;
        if (t.sflags & STR_BYTES)
            ok = FAIL(p, &t, "bytes literals (b'...') are not supported");
        else if (t.sflags & STR_F)
            ok = fstring(p, &t, &acc);
        else
            ok = literal_text(p, &t, t.body, t.body_end, &acc);
        ok = ok && mg__script_advance(p);
    }
    size_t off = p->strs.n;
    if (ok && !mg__sbuf_put(&p->strs, acc.b, acc.n)) ok = mg__script_nomem(p, &first);
    *out = (sv){SV_STR, 0.0, MG_NULL, off, acc.n, first.line, first.col};
    mg__sbuf_free(&acc);
    return ok;
}

/* ==== the grammar ============================================================================ */

static int parse_paren(parser *p, sv *out) {
    char buf[48];
    token t = p->cur;
    if (!enter(p, &t) || !mg__script_advance(p) || !parse_expr(p, out)) return 0;
    if (p->cur.kind == T_COMMA)
        return FAIL(p, &p->cur, "tuples are not supported: one value at a time");
    if (p->cur.kind != T_RPAR)
        return FAIL(p, &p->cur, "expected ')' to close the '(' at %zu:%zu, found %s", t.line,
                    t.col, mg__script_tok_desc(p, &p->cur, buf, sizeof buf));
    p->nest--;
    out->line = t.line, out->col = t.col;
    return mg__script_advance(p);
}

static int parse_atom(parser *p, sv *out) {
    char buf[48];
    token t = p->cur;
    switch (t.kind) {
    case T_NUMBER:
        *out = num_sv(t.is_int, t.num, t.line, t.col);
        return mg__script_advance(p);
    case T_LPAR: return parse_paren(p, out);
    case T_STRING: return parse_strings(p, out);
    case T_NAME:
        if (mg__py_keyword(p->src + t.start, t.end - t.start))
            return FAIL(p, &t, "%s is not supported here (%s)",
                        mg__script_tok_desc(p, &t, buf, sizeof buf), mg__script_construct(p, &t));
        if (!mg__script_advance(p)) return 0;
        if (p->cur.kind == T_LPAR) return parse_call(p, &t, out);
        return mg__script_name_sv(p, &t, out);
    case T_LSQB:
        return FAIL(p, &t, "lists are not supported: eval works on single numbers and Values");
    case T_LBRACE:
        return FAIL(p, &t, "dicts and sets are not supported: eval works on single numbers and "
                           "Values");
    default:
        return FAIL(p, &t, "expected a number, a name or '(', found %s",
                    mg__script_tok_desc(p, &t, buf, sizeof buf));
    }
}

static int parse_primary(parser *p, sv *out) {
    if (!parse_atom(p, out)) return 0;
    for (;;) {
        if (p->cur.kind == T_DOT) {
            if (!mg__script_advance(p) || !parse_method(p, out)) return 0;
        } else if (p->cur.kind == T_LPAR) {
            return FAIL(p, &p->cur, "this cannot be called");
        } else if (p->cur.kind == T_LSQB) {
            return FAIL(p, &p->cur, "indexing is not supported");
        } else {
            return 1;
        }
    }
}

/* primary ['**' factor]: right-associative, and binds tighter than a unary minus on
 * its left (-2**2 is -(2**2)) but not on its right (2**-1). */
static int parse_power(parser *p, sv *out) {
    if (!parse_primary(p, out)) return 0;
    if (p->cur.kind != T_POW) return 1;
    token op = p->cur;
    sv e;
    if (!enter(p, &op) || !mg__script_advance(p) || !parse_factor(p, &e)) return 0;
    p->nest--;
    return mg__script_binary(p, &op, *out, e, out);
}

static int parse_factor(parser *p, sv *out) {
    if (p->cur.kind != T_PLUS && p->cur.kind != T_MINUS) return parse_power(p, out);
    token op = p->cur;
    if (!enter(p, &op) || !mg__script_advance(p) || !parse_factor(p, out)) return 0;
    p->nest--;
    if (op.kind == T_PLUS) {
        if (out->kind == SV_NONE) return mg__script_none_error(p, out);
        if (out->kind == SV_STR)
            return FAIL(p, &op, "unary + takes a number or a Value, not a string");
        out->line = op.line, out->col = op.col;
        return 1;
    }
    return apply_unary(p, MG_OP_NEG, &op, *out, out);
}

static int parse_term(parser *p, sv *out) {
    if (!parse_factor(p, out)) return 0;
    while (p->cur.kind == T_STAR || p->cur.kind == T_SLASH) {
        token op = p->cur;
        sv rhs;
        if (!mg__script_advance(p) || !parse_factor(p, &rhs) ||
            !mg__script_binary(p, &op, *out, rhs, out))
            return 0;
    }
    return 1;
}

static int parse_expr(parser *p, sv *out) {
    if (!parse_term(p, out)) return 0;
    while (p->cur.kind == T_PLUS || p->cur.kind == T_MINUS) {
        token op = p->cur;
        sv rhs;
        if (!mg__script_advance(p) || !parse_term(p, &rhs) ||
            !mg__script_binary(p, &op, *out, rhs, out))
            return 0;
    }
    return 1;
}

int mg__script_expr(parser *p, sv *out) { return parse_expr(p, out); }
