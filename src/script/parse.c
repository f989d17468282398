/* parse.c - micrograd's Python syntax parsed onto a context: the result object and a
 * recursive-descent parser whose nesting is bounded by MG_SCRIPT_MAX_DEPTH, so no input
 * can overflow the stack. The tokenizer is in lex.c. */
#include "script_internal.h"
#include "core/hash.h"
#include "engine/ops.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* ==== the result object ================================================================ */

typedef struct sname {
    char *name;
    size_t len;
    mg_value v;
} sname;

typedef struct sleaf {
    mg_value v;
    size_t idx; /* tape index: leaves are made in tape order, so this is sorted */
    char *name; /* NULL until a name (or at the end, the label) is known */
    size_t line, col;
} sleaf;

typedef struct snote {
    char *text;
    size_t line;
} snote;

struct mg_script {
    sname *names;
    size_t nnames, capnames;
    mg__hindex index; /* of names, by name */
    sleaf *leaves;
    size_t nleaves, capleaves;
    snote *notes;
    size_t nnotes, capnotes;
    size_t output; /* index in names of the name assigned last */
};

static char *dup_n(const char *s, size_t n) {
    char *d = n < SIZE_MAX ? mg__malloc(n + 1) : NULL;
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* A name's span of text, the key of the names index. */
typedef struct name_key {
    const char *s;
    size_t n;
} name_key;

static int name_eq(const void *user, uint32_t entry, const void *key) {
    const sname *e = &((const mg_script *)user)->names[entry];
    const name_key *k = key;
    return e->len == k->n && memcmp(e->name, k->s, k->n) == 0;
}

static sname *lookup_n(const mg_script *sc, const char *s, size_t n) {
    name_key k = {s, n};
    uint32_t e = mg__hindex_find(&sc->index, mg__fnv1a(MG__FNV_INIT, s, n), name_eq, sc, &k);
    return e == UINT32_MAX ? NULL : &sc->names[e];
}

/* Binds name to v (adding it at the end of the order when new); returns its index, or
 * SIZE_MAX when out of memory. */
static size_t bind_name(mg_script *sc, const char *s, size_t n, mg_value v) {
    sname *e = lookup_n(sc, s, n);
    if (e) {
        e->v = v;
        return (size_t)(e - sc->names);
    }
    if (sc->nnames >= UINT32_MAX - 2) return SIZE_MAX;
    if (!mg__grow((void **)&sc->names, &sc->capnames, sc->nnames + 1, sizeof *sc->names))
        return SIZE_MAX;
    char *copy = dup_n(s, n);
    if (!copy) return SIZE_MAX;
    if (!mg__hindex_add(&sc->index, mg__fnv1a(MG__FNV_INIT, s, n), (uint32_t)sc->nnames)) {
        mg__free(copy);
        return SIZE_MAX;
    }
    sc->names[sc->nnames] = (sname){copy, n, v};
    return sc->nnames++;
}

void mg_script_free(mg_script *s) {
    if (!s) return;
    for (size_t i = 0; i < s->nnames; i++) mg__free(s->names[i].name);
    for (size_t i = 0; i < s->nleaves; i++) mg__free(s->leaves[i].name);
    for (size_t i = 0; i < s->nnotes; i++) mg__free(s->notes[i].text);
    mg__free(s->names);
    mg__hindex_free(&s->index);
    mg__free(s->leaves);
    mg__free(s->notes);
    mg__free(s);
}

size_t mg_script_nnames(const mg_script *s) { return s->nnames; }
const char *mg_script_name(const mg_script *s, size_t i) {
    MG_ASSERT(i < s->nnames, "script name index out of range");
    return s->names[i].name;
}
mg_value mg_script_value(const mg_script *s, size_t i) {
    MG_ASSERT(i < s->nnames, "script name index out of range");
    return s->names[i].v;
}
mg_value mg_script_lookup(const mg_script *s, const char *name) {
    const sname *e = name ? lookup_n(s, name, strlen(name)) : NULL;
    return e ? e->v : MG_NULL;
}
const char *mg_script_output_name(const mg_script *s) { return s->names[s->output].name; }
mg_value mg_script_output(const mg_script *s) { return s->names[s->output].v; }
size_t mg_script_nleaves(const mg_script *s) { return s->nleaves; }
mg_value mg_script_leaf(const mg_script *s, size_t i, const char **name, size_t *line,
                        size_t *col) {
    MG_ASSERT(i < s->nleaves, "script leaf index out of range");
    const sleaf *l = &s->leaves[i];
    if (name) *name = l->name ? l->name : "";
    if (line) *line = l->line;
    if (col) *col = l->col;
    return l->v;
}
size_t mg_script_nnotes(const mg_script *s) { return s->nnotes; }
const char *mg_script_note(const mg_script *s, size_t i, size_t *line) {
    MG_ASSERT(i < s->nnotes, "script note index out of range");
    if (line) *line = s->notes[i].line;
    return s->notes[i].text;
}

static int is_aug(tkind k) { return k >= T_PLUSEQ && k <= T_POWEQ; }

/* ==== notes, leaves, names ============================================================== */

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
    mg_script *s = p->s;
    char *text = dup_n(buf, strlen(buf));
    if (!text || !mg__grow((void **)&s->notes, &s->capnotes, s->nnotes + 1, sizeof *s->notes)) {
        mg__free(text);
        return mg__script_nomem(p, &p->cur);
    }
    s->notes[s->nnotes++] = (snote){text, line};
    return 1;
}

static int add_leaf(parser *p, mg_value v, const token *where) {
    mg_script *s = p->s;
    if (!mg__grow((void **)&s->leaves, &s->capleaves, s->nleaves + 1, sizeof *s->leaves))
        return mg__script_nomem(p, where);
    s->leaves[s->nleaves++] = (sleaf){v, mg_index(p->ctx, v), NULL, where->line, where->col};
    return 1;
}

/* The leaf record of v, or NULL when v is not one of the script's leaves. */
static sleaf *find_leaf(parser *p, mg_value v) {
    size_t idx = mg_index(p->ctx, v), lo = 0, hi = p->s->nleaves;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->s->leaves[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->s->nleaves && p->s->leaves[lo].idx == idx ? &p->s->leaves[lo] : NULL;
}

/* NAME = v: binds, labels v when it has none, names a leaf the first time. */
static int assign(parser *p, const token *name, mg_value v) {
    const char *s = p->src + name->start;
    size_t n = name->end - name->start;
    size_t k = bind_name(p->s, s, n, v);
    if (k == SIZE_MAX) return mg__script_nomem(p, name);
    p->s->output = k;
    if (!*mg_label(p->ctx, v)) {
        char label[256];
        memcpy(label, s, n < 255 ? n : 255);
        label[n < 255 ? n : 255] = '\0';
        if (!mg_ok(mg_set_label(p->ctx, v, label))) return mg__script_nomem(p, name);
    }
    sleaf *leaf = find_leaf(p, v);
    if (leaf && !leaf->name && !(leaf->name = dup_n(s, n))) return mg__script_nomem(p, name);
    return 1;
}

static int lookup_var(parser *p, const token *name, mg_value *v) {
    char buf[48];
    const sname *e = lookup_n(p->s, p->src + name->start, name->end - name->start);
    if (!e)
        return FAIL(
            p, name, "undefined name '%s'",
            mg__script_clip(p->src + name->start, name->end - name->start, buf, sizeof buf));
    *v = e->v;
    return 1;
}

/* ==== expressions ======================================================================= */

/* A number (folded in double precision) or a value on the tape. */
typedef struct sv {
    int is_value;
    double num;
    mg_value v;
} sv;

static sv num_sv(double x) { return (sv){0, x, MG_NULL}; }
static sv val_sv(mg_value v) { return (sv){1, 0.0, v}; }

static int parse_expr(parser *p, sv *out);
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

/* a OP b. A number on one side of a value becomes a constant, as micrograd's Value(k):
 * k + a and k * a are a + k and a * k (micrograd's __radd__, __rmul__). */
static int binary(parser *p, const token *op, sv a, sv b, sv *out) {
    tkind k = base_op(op->kind);
    if (!a.is_value && !b.is_value) {
        mg_op fold = k == T_PLUS    ? MG_OP_ADD
                     : k == T_MINUS ? MG_OP_SUB
                     : k == T_STAR  ? MG_OP_MUL
                     : k == T_SLASH ? MG_OP_DIV
                                    : MG_OP_POW;
        *out = num_sv(mg__op_forward(fold, a.num, b.num));
        return 1;
    }
    mg_ctx *c = p->ctx;
    mg_value r = MG_NULL;
    int both = a.is_value && b.is_value;
    switch (k) {
    case T_PLUS:
        r = both         ? mg_add(c, a.v, b.v)
            : a.is_value ? mg_addf(c, a.v, b.num)
                         : mg_addf(c, b.v, a.num);
        break;
    case T_MINUS:
        r = both         ? mg_sub(c, a.v, b.v)
            : a.is_value ? mg_subf(c, a.v, b.num)
                         : mg_rsubf(c, a.num, b.v);
        break;
    case T_STAR:
        r = both         ? mg_mul(c, a.v, b.v)
            : a.is_value ? mg_mulf(c, a.v, b.num)
                         : mg_mulf(c, b.v, a.num);
        break;
    case T_SLASH:
        r = both         ? mg_div(c, a.v, b.v)
            : a.is_value ? mg_divf(c, a.v, b.num)
                         : mg_rdivf(c, a.num, b.v);
        break;
    default: /* T_POW */
        if (!b.is_value)
            r = mg_powf(c, a.v, b.num);
        else
            r = mg_pow(c, a.is_value ? a.v : mg_const(c, a.num), b.v);
        break;
    }
    if (!mg_ok(r)) return mg__script_nomem(p, op);
    *out = val_sv(r);
    return 1;
}

/* The op of a function or method name (tanh, exp, log, relu, sigmoid: the op table's
 * CALL ops), or MG_OP_COUNT. */
static mg_op call_op(const parser *p, const token *name) {
    return mg__op_call_named(p->src + name->start, name->end - name->start);
}

static int apply_unary(parser *p, mg_op op, const token *at_tok, sv x, sv *out) {
    if (!x.is_value) { /* tanh(2.0): a plain number in, a plain number out */
        *out = num_sv(mg__op_forward(op, x.num, 0.0));
        return 1;
    }
    mg_value r = mg__unary_op(p->ctx, op, x.v);
    if (!mg_ok(r)) return mg__script_nomem(p, at_tok);
    *out = val_sv(r);
    return 1;
}

/* The arguments of a call, after its '(' up to and past its ')': positional ones (the
 * first two kept), label= (a string token) and data=. */
typedef struct callargs {
    int npos;
    sv pos[2];
    int has_label, has_data, nkw;
    token label;
    sv data;
} callargs;

static int parse_args(parser *p, callargs *a) {
    memset(a, 0, sizeof *a);
    char buf[48];
    while (p->cur.kind != T_RPAR) {
        const token *nx = p->cur.kind == T_NAME ? mg__script_peek(p) : &p->cur;
        if (!nx) return 0;
        if (p->cur.kind == T_NAME && nx->kind == T_ASSIGN) {
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
            if (is_label) {
                if (p->cur.kind != T_STRING) return FAIL(p, &p->cur, "label= takes a string");
                a->label = p->cur;
                a->has_label = 1;
                if (!mg__script_advance(p)) return 0;
            } else {
                if (!parse_expr(p, &a->data)) return 0;
                a->has_data = 1;
            }
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
        } else if (p->cur.kind != T_RPAR) {
            return FAIL(p, &p->cur, "expected ',' or ')' in the call, found %s",
                        mg__script_tok_desc(p, &p->cur, buf, sizeof buf));
        }
    }
    return mg__script_advance(p);
}

/* NAME(...) with cur on '(': Value(...) or a function form of an op. */
static int parse_call(parser *p, const token *name, sv *out) {
    char buf[48];
    mg_op fn = call_op(p, name);
    int is_value = mg__script_tok_is(p, name, "Value");
    if (fn == MG_OP_COUNT && !is_value)
        return FAIL(p, name, "unknown function %s (known: Value, tanh, exp, log, relu, sigmoid)",
                    mg__script_tok_desc(p, name, buf, sizeof buf));
    if (!enter(p, &p->cur) || !mg__script_advance(p)) return 0;
    callargs a;
    if (!parse_args(p, &a)) return 0;
    p->nest--;
    mg__script_clip(p->src + name->start, name->end - name->start, buf, sizeof buf);
    if (fn != MG_OP_COUNT) {
        if (a.npos != 1 || a.nkw)
            return FAIL(p, name, "%s() takes exactly one argument (%d given)", buf, a.npos + a.nkw);
        return apply_unary(p, fn, name, a.pos[0], out);
    }
    if (a.npos + a.has_data != 1)
        return FAIL(p, name, "Value() takes one number (and label='...'), %d given",
                    a.npos + a.has_data);
    sv x = a.has_data ? a.data : a.pos[0];
    if (x.is_value) return FAIL(p, name, "Value() takes a number, not a Value");
    char label[256] = "";
    if (a.has_label) mg__script_decode(p, &a.label, label, sizeof label);
    mg_value v = mg_leaf_ex(p->ctx, x.num, MG_ROLE_LEAF, label);
    if (!mg_ok(v)) return mg__script_nomem(p, name);
    *out = val_sv(v);
    return add_leaf(p, v, name);
}

/* .name or .name() after a primary; cur is on the name. */
static int parse_method(parser *p, sv *x) {
    char buf[48], what[48];
    token name = p->cur;
    if (name.kind != T_NAME) return FAIL(p, &name, "expected a method name after '.'");
    mg__script_tok_desc(p, &name, what, sizeof what);
    if (!mg__script_advance(p)) return 0;
    if (p->cur.kind != T_LPAR) {
        if (mg__script_tok_is(p, &name, "data") && x->is_value) {
            *x = num_sv(mg_data(p->ctx, x->v));
            return 1;
        }
        if (mg__script_tok_is(p, &name, "grad"))
            return FAIL(p, &name,
                        "x.grad is not known while the script is parsed: "
                        "backward runs after it");
        if (call_op(p, &name) != MG_OP_COUNT)
            return FAIL(p, &name, "%s is a method: call it with ()", what);
        return FAIL(p, &name, "unknown attribute %s", what);
    }
    mg_op fn = call_op(p, &name);
    if (fn == MG_OP_COUNT)
        return FAIL(p, &name, "unknown method %s (known: tanh, exp, log, relu, sigmoid)", what);
    if (!x->is_value)
        return FAIL(p, &name, "a number has no method %s: write Value(...) around it", what);
    if (!enter(p, &p->cur) || !mg__script_advance(p)) return 0;
    callargs a;
    if (!parse_args(p, &a)) return 0;
    p->nest--;
    if (a.npos || a.nkw)
        return FAIL(p, &name, "%s() takes no arguments (%d given)",
                    mg__script_clip(p->src + name.start, name.end - name.start, buf, sizeof buf),
                    a.npos + a.nkw);
    return apply_unary(p, fn, &name, *x, x);
}

static int is_keyword(const parser *p, const token *t) {
    return mg__py_keyword(p->src + t->start, t->end - t->start);
}

static int parse_primary(parser *p, sv *out) {
    char buf[48];
    token t = p->cur;
    switch (t.kind) {
    case T_NUMBER:
        *out = num_sv(t.num);
        if (!mg__script_advance(p)) return 0;
        break;
    case T_LPAR:
        if (!enter(p, &t) || !mg__script_advance(p) || !parse_expr(p, out)) return 0;
        if (p->cur.kind != T_RPAR)
            return FAIL(p, &p->cur, "expected ')' to close the '(' at %zu:%zu, found %s", t.line,
                        t.col, mg__script_tok_desc(p, &p->cur, buf, sizeof buf));
        p->nest--;
        if (!mg__script_advance(p)) return 0;
        break;
    case T_NAME:
        if (is_keyword(p, &t))
            return FAIL(p, &t, "%s is not supported here",
                        mg__script_tok_desc(p, &t, buf, sizeof buf));
        if (!mg__script_advance(p)) return 0;
        if (p->cur.kind == T_LPAR) {
            if (!parse_call(p, &t, out)) return 0;
        } else {
            mg_value v;
            if (!lookup_var(p, &t, &v)) return 0;
            *out = val_sv(v);
        }
        break;
    case T_STRING: return FAIL(p, &t, "a string is not a number (strings only go in label=)");
    default:
        return FAIL(p, &t, "expected a number, a name or '(', found %s",
                    mg__script_tok_desc(p, &t, buf, sizeof buf));
    }
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
    return binary(p, &op, *out, e, out);
}

static int parse_factor(parser *p, sv *out) {
    if (p->cur.kind != T_PLUS && p->cur.kind != T_MINUS) return parse_power(p, out);
    token op = p->cur;
    if (!enter(p, &op) || !mg__script_advance(p) || !parse_factor(p, out)) return 0;
    p->nest--;
    if (op.kind == T_PLUS) return 1;
    return apply_unary(p, MG_OP_NEG, &op, *out, out);
}

static int parse_term(parser *p, sv *out) {
    if (!parse_factor(p, out)) return 0;
    while (p->cur.kind == T_STAR || p->cur.kind == T_SLASH) {
        token op = p->cur;
        sv rhs;
        if (!mg__script_advance(p) || !parse_factor(p, &rhs) || !binary(p, &op, *out, rhs, out))
            return 0;
    }
    return 1;
}

static int parse_expr(parser *p, sv *out) {
    if (!parse_term(p, out)) return 0;
    while (p->cur.kind == T_PLUS || p->cur.kind == T_MINUS) {
        token op = p->cur;
        sv rhs;
        if (!mg__script_advance(p) || !parse_term(p, &rhs) || !binary(p, &op, *out, rhs, out))
            return 0;
    }
    return 1;
}

/* ==== statements ======================================================================== */

static int expect_end(parser *p) {
    char buf[48];
    const token *t = &p->cur;
    if (t->kind == T_END || t->kind == T_EOF) return 1;
    if (t->kind == T_OTHER || t->kind == T_OTHER_AUG)
        return FAIL(p, t, "operator %s is not supported (only + - * / **)",
                    mg__script_tok_desc(p, t, buf, sizeof buf));
    return FAIL(p, t, "expected an operator or the end of the statement, found %s",
                mg__script_tok_desc(p, t, buf, sizeof buf));
}

/* Skips to the end of the statement, then notes it as ignored (note NULL: an expression
 * statement, noted with its text). A '=' outside brackets means an assignment to
 * something that is not a name, which is an error rather than something to ignore. */
static int skip_statement(parser *p, const token *first, const char *note) {
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
    return add_note(p, first->line, "expression statement ignored (nothing assigned): %s", text);
}

/* NAME = expr, NAME op= expr; cur is on NAME. */
static int parse_assignment(parser *p) {
    token name = p->cur;
    if (!mg__script_advance(p)) return 0;
    token op = p->cur;
    sv old = num_sv(0.0);
    if (op.kind != T_ASSIGN) {
        mg_value v;
        if (!lookup_var(p, &name, &v)) return 0;
        old = val_sv(v);
    }
    if (!mg__script_advance(p)) return 0;
    token first = p->cur;
    sv x;
    if (!parse_expr(p, &x) || !expect_end(p)) return 0;
    if (op.kind != T_ASSIGN && !binary(p, &op, old, x, &x)) return 0;
    if (!x.is_value) { /* a = 2.0: a leaf, as Value(2.0, label='a') */
        mg_value v = mg_leaf(p->ctx, x.num);
        if (!mg_ok(v)) return mg__script_nomem(p, &first);
        if (!add_leaf(p, v, &first)) return 0;
        x = val_sv(v);
    }
    return assign(p, &name, x.v);
}

/* NAME.attr op ...; cur is on attr. */
static int parse_attr_assignment(parser *p, const token *name) {
    char buf[48];
    token attr = p->cur;
    if (!mg__script_advance(p)) return 0;
    token op = p->cur;
    if (mg__script_tok_is(p, &attr, "grad") || mg__script_tok_is(p, &attr, "data")) {
        char note[96], optext[8];
        snprintf(note, sizeof note, "%s.%s %s ... ignored",
                 mg__script_clip(p->src + name->start, name->end - name->start, buf, sizeof buf),
                 mg__script_tok_is(p, &attr, "grad") ? "grad" : "data",
                 mg__script_clip(p->src + op.start, op.end - op.start, optext, sizeof optext));
        return mg__script_advance(p) && skip_statement(p, name, note);
    }
    if (!mg__script_tok_is(p, &attr, "label"))
        return FAIL(p, &attr, "cannot set %s: only x.label can be set",
                    mg__script_tok_desc(p, &attr, buf, sizeof buf));
    if (op.kind != T_ASSIGN) return FAIL(p, &op, "x.label can only be set with '='");
    mg_value v;
    if (!lookup_var(p, name, &v) || !mg__script_advance(p)) return 0;
    if (p->cur.kind != T_STRING) return FAIL(p, &p->cur, "x.label takes a string");
    char label[256];
    mg__script_decode(p, &p->cur, label, sizeof label);
    if (!mg__script_advance(p) || !expect_end(p)) return 0;
    if (!mg_ok(mg_set_label(p->ctx, v, label))) return mg__script_nomem(p, &attr);
    return 1;
}

static int parse_statement(parser *p) {
    char buf[48];
    token first = p->cur;
    if (first.kind == T_END || first.kind == T_EOF) return 1;
    if (first.kind == T_NAME) {
        if (mg__script_tok_is(p, &first, "import") || mg__script_tok_is(p, &first, "from"))
            return skip_statement(p, &first,
                                  mg__script_tok_is(p, &first, "import")
                                      ? "import ignored"
                                      : "from ... import ignored");
        if (is_keyword(p, &first))
            return FAIL(p, &first,
                        "%s statements are not supported: only assignments such as "
                        "y = a*b + c",
                        mg__script_tok_desc(p, &first, buf, sizeof buf));
        const token *nx = mg__script_peek(p);
        if (!nx) return 0;
        if (nx->kind == T_ASSIGN || is_aug(nx->kind)) return parse_assignment(p);
        if (nx->kind == T_OTHER_AUG)
            return FAIL(p, nx, "operator %s is not supported (use = += -= *= /= **=)",
                        mg__script_tok_desc(p, nx, buf, sizeof buf));
        if (nx->kind == T_LPAR && mg__script_tok_is(p, &first, "print"))
            return skip_statement(p, &first, "print(...) ignored");
        if (nx->kind == T_DOT) {
            if (!mg__script_advance(p) || !mg__script_advance(p)) return 0;
            if (p->cur.kind == T_NAME) {
                const token *nx2 = mg__script_peek(p);
                if (!nx2) return 0;
                if (nx2->kind == T_ASSIGN || is_aug(nx2->kind) || nx2->kind == T_OTHER_AUG)
                    return parse_attr_assignment(p, &first);
                if (mg__script_tok_is(p, &p->cur, "backward") && nx2->kind == T_LPAR) {
                    char note[96];
                    snprintf(note, sizeof note, "%s.backward() ignored",
                             mg__script_clip(p->src + first.start, first.end - first.start, buf,
                                             sizeof buf));
                    return skip_statement(p, &first, note);
                }
            }
        }
    }
    return skip_statement(p, &first, NULL);
}

/* ==== the entry point =================================================================== */

mg_script *mg_script_parse(mg_ctx *ctx, const char *text, size_t len, const char *filename,
                           mg_script_error *where, mg_err *err) {
    MG_ASSERT(ctx != NULL, "mg_script_parse without a context");
    MG_ASSERT(text != NULL || len == 0, "mg_script_parse of NULL text");
    parser *p = mg__calloc(1, sizeof *p); /* the bracket stack makes it too big for a stack */
    mg_script *s = mg__calloc(1, sizeof *s);
    mg_mark mark = mg_ctx_mark(ctx);
    const char *file = filename ? filename : "<script>";
    if (!p || !s) {
        mg__free(p);
        mg__free(s);
        if (where) *where = (mg_script_error){1, 1, "out of memory"};
        mg_err_set(err, MG_STATUS_NOMEM, "%s:1:1: out of memory", file);
        return NULL;
    }
    p->src = text ? text : "";
    p->len = len;
    p->line = 1;
    p->ctx = ctx;
    p->s = s;
    if (mg__script_advance(p)) {
        while (p->cur.kind != T_EOF) {
            if (!parse_statement(p)) break;
            if (p->cur.kind == T_END && !mg__script_advance(p)) break;
        }
    }
    if (!p->failed && s->nnames == 0)
        mg__script_fail(p, 1, 1, MG_STATUS_FORMAT,
                        "nothing assigned: a script needs an assignment "
                        "such as y = a*b + c");
    for (size_t i = 0; !p->failed && i < s->nleaves; i++) {
        sleaf *l = &s->leaves[i]; /* unnamed leaves go by their label= */
        const char *label = mg_label(ctx, l->v);
        if (!l->name && *label && !(l->name = dup_n(label, strlen(label))))
            mg__script_nomem(p, &p->cur);
    }
    if (p->failed) {
        if (where) {
            where->line = p->err_line;
            where->col = p->err_col;
            snprintf(where->message, sizeof where->message, "%s", p->err_msg);
        }
        mg_err_set(err, p->status, "%s:%zu:%zu: %s", file, p->err_line, p->err_col, p->err_msg);
        mg_script_free(s);
        s = NULL;
        mg_ctx_reset(ctx, mark);
    }
    mg__free(p);
    return s;
}
