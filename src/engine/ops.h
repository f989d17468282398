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

/* ==== the formulas, op by op ============================================================ */

/* a + b: d/da = 1, d/db = 1 */
static inline double mg__add_fw(double a, double b) { return a + b; }
static inline double mg__add_ga(double g) { return g; }
static inline double mg__add_gb(double g) { return g; }

/* a - b: d/da = 1, d/db = -1 (x += -g is x -= g exactly) */
static inline double mg__sub_fw(double a, double b) { return a - b; }
static inline double mg__sub_ga(double g) { return g; }
static inline double mg__sub_gb(double g) { return -g; }

/* a * b: d/da = b, d/db = a */
static inline double mg__mul_fw(double a, double b) { return a * b; }
static inline double mg__mul_ga(double g, double b) { return b * g; }
static inline double mg__mul_gb(double g, double a) { return a * g; }

/* a / b: d/da = 1/b, d/db = -a/b^2 = -y/b */
static inline double mg__div_fw(double a, double b) { return a / b; }
static inline double mg__div_ga(double g, double b) { return g / b; }
static inline double mg__div_gb(double g, double b, double y) { return -(g * y / b); }

/* -a: d/da = -1 */
static inline double mg__neg_fw(double a) { return -a; }
static inline double mg__neg_ga(double g) { return -g; }

/* a ** k, k a constant: d/da = k * a^(k-1); k = 0 gives 0 even at a = 0 (gate) */
static inline double mg__powc_fw(double a, double k) { return pow(a, k); }
static inline int mg__powc_gate(double k) { return k != 0.0; }
static inline double mg__powc_ga(double g, double a, double k) { return k * pow(a, k - 1.0) * g; }

/* a ** b: d/da = b * a^(b-1) (gate b != 0), d/db = a^b * ln a = y ln a, taken as 0 where
 * y = 0 (gate), as PyTorch does */
static inline double mg__pow_fw(double a, double b) { return pow(a, b); }
static inline int mg__pow_gate_a(double b) { return b != 0.0; }
static inline double mg__pow_ga(double g, double a, double b) { return b * pow(a, b - 1.0) * g; }
static inline int mg__pow_gate_b(double y) { return y != 0.0; }
static inline double mg__pow_gb(double g, double a, double y) { return y * log(a) * g; }

/* e^a: d/da = e^a = y */
static inline double mg__exp_fw(double a) { return exp(a); }
static inline double mg__exp_ga(double g, double y) { return y * g; }

/* ln a: d/da = 1/a */
static inline double mg__log_fw(double a) { return log(a); }
static inline double mg__log_ga(double g, double a) { return g / a; }

/* tanh a: d/da = 1 - tanh^2 a = 1 - y^2 (libm's tanh saturates to +-1, so tanh(1000)
 * has grad 0) */
static inline double mg__tanh_fw(double a) { return tanh(a); }
static inline double mg__tanh_ga(double g, double y) { return (1.0 - y * y) * g; }

/* max(0, a): d/da = [a > 0] = [y > 0] (gate); NaN stays NaN */
static inline double mg__relu_fw(double a) { return a < 0.0 ? 0.0 : a; }
static inline int mg__relu_gate(double y) { return y > 0.0; }
static inline double mg__relu_ga(double g) { return g; }

/* 1 / (1 + e^-a), in the form that cannot overflow: d/da = s (1 - s) = y (1 - y) */
static inline double mg__sigmoid_fw(double a) {
    if (a >= 0.0) return 1.0 / (1.0 + exp(-a));
    double e = exp(a);
    return e / (1.0 + e);
}
static inline double mg__sigmoid_ga(double g, double y) { return y * (1.0 - y) * g; }

/* [a > 0]: d/da 0 (relu's gate as a value; NaN gives 0, as relu's gate) */
static inline double mg__step_fw(double a) { return a > 0.0 ? 1.0 : 0.0; }

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
