/* formula.c - the graph behind a value as one Python-syntax formula, with the fewest
 * parentheses that keep Python's parse (so it evaluates in the same order, to the same
 * number), and shared subexpressions named once instead of repeated. The printer keeps
 * its own stack: a long chain (x = x + 1, a million times) must not overflow C's. */
#include "viz_internal.h"
#include "core/hash.h"

#include <ctype.h>
#include <math.h>

/* ==== options ============================================================================ */

void mg_formula_options_init(mg_formula_options *opt) {
    MG_ASSERT(opt != NULL, "mg_formula_options_init of NULL");
    opt->numbers = 0;
    opt->precision = 4;
    opt->share = 1;
    opt->max_chars = (size_t)16 << 20;
}

/* ==== Python's precedence ================================================================= */

/* Binding strength of what a value prints as (the op table's mg__prec); a child weaker
 * than its slot's minimum gets parentheses. Python: + - < * / < unary - < ** < calls,
 * names, numbers; ** takes a unary operand on its right (x**-1) but only an atom on its
 * left (-x**2 is -(x**2)). */
enum {
    P_ADD = MG__PREC_ADD,
    P_MUL = MG__PREC_MUL,
    P_UNARY = MG__PREC_UNARY,
    P_POW = MG__PREC_POW,
    P_ATOM = MG__PREC_ATOM
};

/* ==== names ================================================================================ */

/* A name a formula cannot use for a value: Python's keywords, the functions formulas
 * call, and the words Python's repr uses for numbers. */
static int reserved(const char *s) {
    size_t n = strlen(s);
    return mg__py_keyword(s, n) || mg__op_call_named(s, n) != MG_OP_COUNT || !strcmp(s, "inf") ||
           !strcmp(s, "nan");
}

/* Makes a label an identifier: other bytes become '_', a leading digit gets a '_' before
 * it, and a reserved word a '_' after it. out holds 2 * 256 bytes. */
static void identifier(const char *label, char *out) {
    size_t k = 0;
    if (isdigit((unsigned char)label[0])) out[k++] = '_';
    for (const char *p = label; *p && k < 500; p++)
        out[k++] = isalnum((unsigned char)*p) || *p == '_' ? *p : '_';
    out[k] = '\0';
    if (reserved(out)) {
        out[k++] = '_';
        out[k] = '\0';
    }
}

/* A set of names in one arena of NUL-terminated strings, indexed by their offsets. */
typedef struct names {
    char *chars;
    size_t nchars, capchars;
    mg__hindex index; /* entries are offsets into chars */
} names;

static int name_eq(const void *user, uint32_t entry, const void *key) {
    return !strcmp((const char *)user + entry, key);
}

static uint64_t name_hash(const char *s) { return mg__fnv1a(MG__FNV_INIT, s, strlen(s)); }

static int names_has(const names *ns, const char *s) {
    return mg__hindex_find(&ns->index, name_hash(s), name_eq, ns->chars, s) != UINT32_MAX;
}

/* Adds s (not yet in the set); returns its offset or -1 out of memory. */
static long names_add(names *ns, const char *s) {
    size_t n = strlen(s) + 1;
    if (ns->nchars + n > UINT32_MAX - 2 ||
        !mg__grow((void **)&ns->chars, &ns->capchars, ns->nchars + n, 1))
        return -1;
    size_t off = ns->nchars;
    if (!mg__hindex_add(&ns->index, name_hash(s), (uint32_t)off)) return -1;
    memcpy(ns->chars + off, s, n);
    ns->nchars += n;
    return (long)off;
}

/* ==== the printer's state =================================================================== */

typedef struct printer {
    const mg_ctx *ctx;
    mg_formula_options opt;
    uint32_t root;
    uint8_t *seen;     /* [root + 1] reachable */
    uint8_t *uses;     /* [root + 1] how often used as an input, capped at 2 */
    uint32_t *name;    /* [root + 1] offset + 1 of a named value's name in ns; 0 = inline */
    names ns;
} printer;

static void printer_free(printer *pr) {
    mg__free(pr->seen);
    mg__free(pr->uses);
    mg__free(pr->name);
    mg__free(pr->ns.chars);
    mg__hindex_free(&pr->ns.index);
}

/* How a leaf prints: a name in label mode when it has a label and is not a constant. */
static int leaf_by_name(const printer *pr, uint32_t i) {
    return !pr->opt.numbers && *mg__label_at(pr->ctx, i) && mg__role_at(pr->ctx, i) != MG_ROLE_CONST;
}

static void format_number(double x, int precision, char *buf, size_t size) {
    if (!isfinite(x) || precision < 0) {
        mg_fmt_repr(x, buf, size);
        return;
    }
    if (precision > 17) precision = 17;
    if (fabs(x) < 1e16) {
        snprintf(buf, size, "%.*f", precision, x);
        char *dot = strchr(buf, '.');
        if (dot) {
            char *end = buf + strlen(buf);
            while (end > dot + 1 && end[-1] == '0') *--end = '\0';
            if (end == dot + 1) *dot = '\0';
        }
        if (!strcmp(buf, "-0")) strcpy(buf, "0");
        if (strcmp(buf, "0") || x == 0.0) return;
    }
    /* Too small to show in `precision` decimals, or too large: significant digits. */
    snprintf(buf, size, "%.*g", precision > 0 ? precision : 1, x);
}

/* Follows values that print as one of their inputs: a sum of one term, a dot that is only
 * its bias. */
static uint32_t transparent(const printer *pr, uint32_t i) {
    const mg_ctx *ctx = pr->ctx;
    while (!pr->name[i] && ((mg__op_at(ctx, i) == MG_OP_SUM && ctx->a1[i] == 1) ||
                            (mg__op_at(ctx, i) == MG_OP_DOT && ctx->a1[i] == 1)))
        i = ctx->args[ctx->a0[i]];
    return i;
}

static int prec_of(const printer *pr, uint32_t i, int top) {
    const mg_ctx *ctx = pr->ctx;
    i = transparent(pr, i);
    if (pr->name[i] && !top) return P_ATOM;
    const mg__opdef *d = &mg__ops[mg__op_at(ctx, i)];
    switch (d->form) {
    case MG__FORM_LEAF:
        if (leaf_by_name(pr, i)) return P_ATOM;
        {
            char num[64];
            format_number(ctx->data[i], pr->opt.precision, num, sizeof num);
            return num[0] == '-' ? P_UNARY : P_ATOM;
        }
    case MG__FORM_NARY:
        if (mg__op_at(ctx, i) != MG_OP_DOT) return d->prec;
        if (ctx->a1[i] == 0) return P_ATOM; /* prints 0 */
        return ctx->a1[i] == 2 ? P_MUL : P_ADD;
    case MG__FORM_INFIX:
    case MG__FORM_PREFIX: return d->prec;
    case MG__FORM_CALL: break;
    }
    return P_ATOM;
}

/* ==== the work stack ========================================================================= */

typedef enum { W_NODE, W_TEXT, W_EXPONENT } work_kind;

typedef struct work {
    work_kind kind;
    int minprec;      /* W_NODE: parenthesise when weaker */
    uint32_t i;       /* W_NODE, W_EXPONENT: the value */
    const char *text; /* W_TEXT */
} work;

typedef struct stack {
    work *w;
    size_t n, cap;
    int nomem;
} stack;

static void push(stack *st, work_kind kind, uint32_t i, int minprec, const char *text) {
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        work *p = mg__realloc(st->w, mg__mul_size(cap, sizeof *p));
        if (!p) {
            st->nomem = 1;
            return;
        }
        st->w = p;
        st->cap = cap;
    }
    st->w[st->n++] = (work){kind, minprec, i, text};
}

static void push_text(stack *st, const char *text) { push(st, W_TEXT, 0, 0, text); }
static void push_node(stack *st, uint32_t i, int minprec) { push(st, W_NODE, i, minprec, NULL); }

/* The pieces of a sum or a dot value: terms joined by " + ", products w*x. */
static void expand_nary(const printer *pr, stack *st, uint32_t i) {
    const mg_ctx *ctx = pr->ctx;
    const uint32_t *x = ctx->args + ctx->a0[i];
    uint32_t n = ctx->a1[i];
    if (mg__op_at(ctx, i) == MG_OP_SUM) {
        for (uint32_t k = n; k-- > 1;) {
            push_node(st, x[k], P_MUL);
            push_text(st, " + ");
        }
        push_node(st, x[0], P_ADD);
        return;
    }
    uint32_t has_bias = n & 1u;
    if (n == 0) {
        push_text(st, "0");
        return;
    }
    for (uint32_t k = n; k > has_bias; k -= 2) {
        push_node(st, x[k - 1], P_UNARY);
        push_text(st, "*");
        push_node(st, x[k - 2], P_MUL);
        if (k - 2 > 0) push_text(st, " + ");
    }
    if (has_bias) push_node(st, x[0], P_ADD);
}

/* Pushes the pieces of value i, last piece first (the stack pops in reverse). How each op
 * is written comes from the op table: infix ops between their operands (a left operand
 * binds at the op's own precedence, a right one tighter, except that ** takes an atom on
 * its left and a unary on its right), prefix ops before theirs, calls as name(x). */
static void expand(const printer *pr, stack *st, uint32_t i) {
    const mg_ctx *ctx = pr->ctx;
    mg_op op = (mg_op)mg__op_at(ctx, i);
    const mg__opdef *d = &mg__ops[op];
    uint32_t a = ctx->a0[i], b = ctx->a1[i];
    int pow = d->prec == MG__PREC_POW;
    switch (d->form) {
    case MG__FORM_INFIX:
        if (op == MG_OP_POWC) /* a constant exponent is written as a number: x**2 */
            push(st, W_EXPONENT, b, 0, NULL);
        else
            push_node(st, b, pow ? P_UNARY : (int)d->prec + 1);
        push_text(st, d->infix);
        push_node(st, a, pow ? P_ATOM : (int)d->prec);
        break;
    case MG__FORM_PREFIX:
        /* "-(-x)" rather than "--x": the same parse, but readable. */
        push_node(st, a, P_POW);
        push_text(st, d->infix);
        break;
    case MG__FORM_CALL:
        push_text(st, ")");
        push_node(st, a, 0);
        push_text(st, "(");
        push_text(st, d->name);
        break;
    case MG__FORM_NARY: expand_nary(pr, st, i); break;
    case MG__FORM_LEAF: break;
    }
}

/* Prints value i as an expression: its definition when top, else its name if it has one. */
static int print_expr(const printer *pr, stack *st, mg__sink *s, uint32_t i) {
    const mg_ctx *ctx = pr->ctx;
    char buf[520];
    st->n = 0;
    push(st, W_NODE, i, 0, "top"); /* a non-NULL text marks the value being defined */
    while (st->n && !st->nomem) {
        work w = st->w[--st->n];
        if (w.kind == W_TEXT) {
            mg__sink_puts(s, w.text);
            continue;
        }
        if (w.kind == W_EXPONENT) {
            mg__fmt_exponent(ctx->data[w.i], buf, sizeof buf);
            mg__sink_puts(s, buf);
            continue;
        }
        int top = w.text != NULL;
        uint32_t j = top ? w.i : transparent(pr, w.i);
        if (!top && pr->name[j]) {
            mg__sink_puts(s, pr->ns.chars + pr->name[j] - 1);
            continue;
        }
        if (mg__op_at(ctx, j) == MG_OP_LEAF) {
            if (leaf_by_name(pr, j))
                identifier(mg__label_at(ctx, j), buf);
            else
                format_number(ctx->data[j], pr->opt.precision, buf, sizeof buf);
            int paren = (buf[0] == '-' ? P_UNARY : P_ATOM) < w.minprec;
            if (paren) mg__sink_puts(s, "(");
            mg__sink_puts(s, buf);
            if (paren) mg__sink_puts(s, ")");
            continue;
        }
        if (prec_of(pr, j, 1) < w.minprec) {
            mg__sink_puts(s, "(");
            push_text(st, ")");
        }
        expand(pr, st, j);
    }
    return !st->nomem;
}

/* ==== naming and size ========================================================================= */

/* Counts uses, picks the values to name and their names. 0 when out of memory. */
static int plan(printer *pr) {
    const mg_ctx *ctx = pr->ctx;
    uint32_t r = pr->root;
    size_t n = (size_t)r + 1;
    pr->seen = mg__calloc(n, 1);
    pr->uses = mg__calloc(n, 1);
    pr->name = mg__calloc(n, sizeof *pr->name);
    if (!pr->seen || !pr->uses || !pr->name) return 0;
    mg__reach(ctx, r, pr->seen);
    for (uint32_t i = 0; i <= r; i++) {
        if (!pr->seen[i] || mg__op_at(ctx, i) == MG_OP_LEAF) continue;
        uint32_t pair[2], nin;
        const uint32_t *in = mg__live_operands(ctx, i, pair, &nin);
        for (uint32_t k = 0; k < nin; k++)
            if (pr->uses[in[k]] < 2) pr->uses[in[k]]++;
    }
    char id[512], cand[540];
    /* Leaf names are taken first, so a named value never hides a leaf. */
    for (uint32_t i = 0; i <= r; i++) {
        if (!pr->seen[i] || mg__op_at(ctx, i) != MG_OP_LEAF || !leaf_by_name(pr, i)) continue;
        identifier(mg__label_at(ctx, i), id);
        if (!names_has(&pr->ns, id) && names_add(&pr->ns, id) < 0) return 0;
    }
    unsigned long next_h = 1;
    for (uint32_t i = 0; i < r; i++) {
        if (!pr->opt.share || !pr->seen[i] || mg__op_at(ctx, i) == MG_OP_LEAF || pr->uses[i] < 2) continue;
        if (transparent(pr, i) != i && mg__op_at(ctx, transparent(pr, i)) == MG_OP_LEAF) continue;
        if (*mg__label_at(ctx, i)) {
            identifier(mg__label_at(ctx, i), id);
            snprintf(cand, sizeof cand, "%s", id);
            for (unsigned long k = 2; names_has(&pr->ns, cand); k++)
                snprintf(cand, sizeof cand, "%s_%lu", id, k);
        } else {
            do snprintf(cand, sizeof cand, "h%lu", next_h++);
            while (names_has(&pr->ns, cand));
        }
        long off = names_add(&pr->ns, cand);
        if (off < 0) return 0;
        pr->name[i] = (uint32_t)off + 1;
    }
    return 1;
}

/* An upper bound of the printed length: each value inlined costs its pieces plus a pair
 * of parentheses per input; a named one costs its name where used and one line. */
static size_t estimate(const printer *pr) {
    const mg_ctx *ctx = pr->ctx;
    uint32_t r = pr->root;
    const size_t cap = SIZE_MAX / 4;
    size_t *len = mg__malloc(mg__mul_size((size_t)r + 1, sizeof *len));
    if (!len) return SIZE_MAX;
    size_t total = 0;
    for (uint32_t i = 0; i <= r; i++) {
        if (!pr->seen[i]) continue;
        size_t L = 0;
        if (mg__op_at(ctx, i) == MG_OP_LEAF) {
            L = leaf_by_name(pr, i) ? strlen(mg__label_at(ctx, i)) + 2 : 32;
        } else {
            uint32_t pair[2], nin;
            const uint32_t *in = mg__live_operands(ctx, i, pair, &nin);
            L = 12 + (mg__op_at(ctx, i) == MG_OP_POWC ? 32 : 0);
            for (uint32_t k = 0; k < nin && L < cap; k++) L += len[in[k]] + 5;
        }
        if (L > cap) L = cap;
        if (pr->name[i]) {
            size_t nl = strlen(pr->ns.chars + pr->name[i] - 1);
            total += nl + 4 + L;
            if (total > cap) total = cap;
            L = nl;
        }
        len[i] = L;
    }
    total += len[r] + 1;
    mg__free(len);
    return total > cap ? cap : total;
}

/* ==== entry points =============================================================================== */

static mg_status formula_to_sink(const mg_ctx *ctx, mg_value root, const mg_formula_options *opt,
                                 mg__sink *s, mg_err *err) {
    if (!mg_ok(root)) return mg_err_set(err, MG_STATUS_INVALID, "no formula for MG_NULL");
    printer pr;
    memset(&pr, 0, sizeof pr);
    pr.ctx = ctx;
    if (opt)
        pr.opt = *opt;
    else
        mg_formula_options_init(&pr.opt);
    pr.root = mg__idx(ctx, root);
    if (!plan(&pr)) {
        printer_free(&pr);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory printing a formula");
    }
    size_t est = estimate(&pr);
    if (pr.opt.max_chars && est > pr.opt.max_chars) {
        printer_free(&pr);
        return mg_err_set(err, MG_STATUS_INVALID,
                          "formula too long: about %zu characters, the limit is %zu; print a "
                          "smaller piece%s or raise the limit",
                          est, pr.opt.max_chars, pr.opt.share ? "" : ", name shared values");
    }
    stack st = {NULL, 0, 0, 0};
    int ok = 1;
    for (uint32_t i = 0; ok && i < pr.root; i++) {
        if (!pr.name[i]) continue;
        mg__sink_puts(s, pr.ns.chars + pr.name[i] - 1);
        mg__sink_puts(s, " = ");
        ok = print_expr(&pr, &st, s, i);
        mg__sink_puts(s, "\n");
    }
    /* A labeled result is assigned to its label, so the formula reads back as a script
     * whose last assignment is the value (micrograd eval prints it). */
    if (ok && *mg__label_at(ctx, pr.root) && mg__op_at(ctx, pr.root) != MG_OP_LEAF) {
        char id[512];
        identifier(mg__label_at(ctx, pr.root), id);
        mg__sink_puts(s, id);
        mg__sink_puts(s, " = ");
    }
    if (ok) ok = print_expr(&pr, &st, s, pr.root);
    mg__sink_puts(s, "\n");
    mg__free(st.w);
    printer_free(&pr);
    if (!ok) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory printing a formula");
    if (s->failed) return mg_err_set(err, MG_STATUS_IO, "writing the formula failed");
    return MG_STATUS_OK;
}

mg_status mg_formula_write(const mg_ctx *ctx, mg_value root, const mg_formula_options *opt,
                           FILE *out, mg_err *err) {
    MG_ASSERT(out != NULL, "mg_formula_write to a NULL FILE");
    mg__sink s = {out, NULL, 0, 0, 0};
    mg_status st = formula_to_sink(ctx, root, opt, &s, err);
    if (st == MG_STATUS_OK && (fflush(out) != 0 || ferror(out)))
        return mg_err_set(err, MG_STATUS_IO, "writing the formula failed");
    return st;
}

mg_status mg_formula_format(const mg_ctx *ctx, mg_value root, const mg_formula_options *opt,
                            char *buf, size_t size, size_t *len, mg_err *err) {
    MG_ASSERT(buf != NULL || size == 0, "mg_formula_format to a NULL buffer of nonzero size");
    mg__sink s = mg__sink_buffer(buf, size);
    mg_status st = formula_to_sink(ctx, root, opt, &s, err);
    if (len) *len = st == MG_STATUS_OK ? s.len : 0;
    return st;
}
