/* ops.h - what each operation means, written once.
 *
 * For every op: its forward as a function of plain numbers, and for each operand the
 * amount backward adds to that operand's grad, as a function of g (the grad of the
 * result), the operands a and b and the result y. These are the only definitions of
 * the ops' arithmetic: the eager engine (ops_impl.h) applies them to the tape, the
 * script folds constants with mg__op_forward, and the compiled path's portable lanes
 * call them element by element (its vector forms are held to them by a test). The op
 * table (optable.c) adds each op's name, symbol, arity and formula precedence, from which
 * pictures and formulas are drawn.
 *
 * A term that must add nothing in some case (relu's closed gate, a power of exponent 0)
 * has a gate function: the caller skips the addition, so a grad of -0 stays -0. */
#ifndef MG_ENGINE_OPS_H
#define MG_ENGINE_OPS_H

#include "core/mg_internal.h"

#include <math.h>

/* ==== the formulas, op by op (ops_formulas.h, in double) ================================ */

#define MG__T double
#define MG__FN(name) mg__##name
#define MG__M(f) f
#define MG__K(x) x
#include "ops_formulas.h"
#undef MG__T
#undef MG__FN
#undef MG__M
#undef MG__K

/* x1 + ... + xn, left to right from 0: d/dxi = 1 (g added to each)
 * b + w1*x1 + ... + wn*xn (dot), left to right from b: d/db = 1, d/dwi = xi (mg__mul_ga),
 * d/dxi = wi (mg__mul_gb). Their loops are in ops_impl.h. */

/* The forward of a unary or binary op on plain numbers (b is ignored by unary ops; a
 * powc's b is its exponent). NaN for a leaf or an n-ary op. */
static inline double mg__op_forward(mg_op op, double a, double b) {
    switch (op) {
    case MG_OP_ADD: return mg__add_fw(a, b);
    case MG_OP_SUB: return mg__sub_fw(a, b);
    case MG_OP_MUL: return mg__mul_fw(a, b);
    case MG_OP_DIV: return mg__div_fw(a, b);
    case MG_OP_NEG: return mg__neg_fw(a);
    case MG_OP_POWC: return mg__powc_fw(a, b);
    case MG_OP_POW: return mg__pow_fw(a, b);
    case MG_OP_EXP: return mg__exp_fw(a);
    case MG_OP_LOG: return mg__log_fw(a);
    case MG_OP_TANH: return mg__tanh_fw(a);
    case MG_OP_RELU: return mg__relu_fw(a);
    case MG_OP_SIGMOID: return mg__sigmoid_fw(a);
    case MG_OP_STEP: return mg__step_fw(a);
    case MG_OP_LEAF:
    case MG_OP_SUM:
    case MG_OP_DOT:
    case MG_OP_COUNT: break;
    }
    return NAN;
}

/* ==== the op table ======================================================================= */

/* How tightly an op binds when printed as a Python formula, loosest first. */
typedef enum mg__prec {
    MG__PREC_NONE = 0, /* top level */
    MG__PREC_ADD,      /* a + b, a - b, sums */
    MG__PREC_MUL,      /* a*b, a/b */
    MG__PREC_UNARY,    /* -a */
    MG__PREC_POW,      /* a**b (binds tighter than a unary minus on its left) */
    MG__PREC_ATOM      /* names, numbers, calls f(a) */
} mg__prec;

/* How an op is written in a formula. */
typedef enum mg__form {
    MG__FORM_LEAF = 0, /* a name or a number */
    MG__FORM_INFIX,    /* a SYMBOL b */
    MG__FORM_PREFIX,   /* SYMBOL a */
    MG__FORM_CALL,     /* NAME(a): also a method of micrograd's Value, a.NAME() */
    MG__FORM_NARY      /* a sum of terms (sum, dot) */
} mg__form;

typedef struct mg__opdef {
    const char *name;   /* "add", "tanh": mg_op_name; a CALL op's function name */
    const char *symbol; /* "+", "ReLU": pictures' op nodes, mg_op_symbol */
    const char *infix;  /* INFIX and PREFIX: how formulas write it (" + ", "**", "-"),
                           spaced as Python's style spaces it */
    int arity;          /* 0 leaf, 1 unary, 2 binary, -1 n-ary */
    mg__form form;
    mg__prec prec;      /* INFIX and PREFIX: the precedence of the result */
    void (*forward)(mg_ctx *ctx, uint32_t i);  /* data[i] from its operands' data */
    void (*backward)(mg_ctx *ctx, uint32_t i); /* grads of operands += terms * grad[i] */
} mg__opdef;

extern const mg__opdef mg__ops[MG_OP_COUNT];

/* The unary op's builder applied to a (mg_neg, mg_exp, ..., mg_sigmoid): MG_NULL as the
 * builders return it. */
mg_value mg__unary_op(mg_ctx *ctx, mg_op op, mg_value a);

/* The op whose CALL name is s[0 .. n-1] (tanh, exp, log, relu, sigmoid), or MG_OP_COUNT. */
mg_op mg__op_call_named(const char *s, size_t n);

#endif
