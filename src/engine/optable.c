/* optable.c - the op table: each op's name, symbol, arity, how a formula writes it, and
 * its forward and backward on the tape, side by side in one row; and the public queries
 * on a value's op and operands. */
#include "graph.h"
#include "ops_impl.h"

#define INFIX(prec, s) s, 2, MG__FORM_INFIX, MG__PREC_##prec
#define CALL 1, MG__FORM_CALL, MG__PREC_ATOM

const mg__opdef mg__ops[MG_OP_COUNT] = {
    [MG_OP_LEAF] = {"leaf", "", NULL, 0, MG__FORM_LEAF, MG__PREC_ATOM, leaf_fw, leaf_bw},
    [MG_OP_ADD] = {"add", "+", INFIX(ADD, " + "), add_fw, add_bw},
    [MG_OP_SUB] = {"sub", "-", INFIX(ADD, " - "), sub_fw, sub_bw},
    [MG_OP_MUL] = {"mul", "*", INFIX(MUL, "*"), mul_fw, mul_bw},
    [MG_OP_DIV] = {"div", "/", INFIX(MUL, "/"), div_fw, div_bw},
    [MG_OP_NEG] = {"neg", "-", "-", 1, MG__FORM_PREFIX, MG__PREC_UNARY, neg_fw, neg_bw},
    [MG_OP_POWC] = {"powc", "**", INFIX(POW, "**"), powc_fw, powc_bw},
    [MG_OP_POW] = {"pow", "**", INFIX(POW, "**"), pow_fw, pow_bw},
    [MG_OP_EXP] = {"exp", "exp", NULL, CALL, exp_fw, exp_bw},
    [MG_OP_LOG] = {"log", "log", NULL, CALL, log_fw, log_bw},
    [MG_OP_TANH] = {"tanh", "tanh", NULL, CALL, tanh_fw, tanh_bw},
    [MG_OP_RELU] = {"relu", "ReLU", NULL, CALL, relu_fw, relu_bw},
    [MG_OP_SIGMOID] = {"sigmoid", "sigmoid", NULL, CALL, sigmoid_fw, sigmoid_bw},
    [MG_OP_SUM] = {"sum", "sum", NULL, -1, MG__FORM_NARY, MG__PREC_ADD, sum_fw, sum_bw},
    [MG_OP_DOT] = {"dot", "dot", NULL, -1, MG__FORM_NARY, MG__PREC_ADD, dot_fw, dot_bw},
    [MG_OP_STEP] = {"step", "step", NULL, CALL, step_fw, step_bw},
};

const char *mg_op_name(mg_op op) { return (unsigned)op < MG_OP_COUNT ? mg__ops[op].name : "?"; }
const char *mg_op_symbol(mg_op op) { return (unsigned)op < MG_OP_COUNT ? mg__ops[op].symbol : "?"; }

mg_op mg__op_call_named(const char *s, size_t n) {
    for (int op = 0; op < MG_OP_COUNT; op++)
        if (mg__ops[op].form == MG__FORM_CALL && strlen(mg__ops[op].name) == n &&
            !memcmp(mg__ops[op].name, s, n))
            return (mg_op)op;
    return MG_OP_COUNT;
}

/* ==== a value's op and operands ========================================================== */

mg_op mg_op_of(const mg_ctx *ctx, mg_value v) { return mg__op_at(ctx, mg__idx(ctx, v)); }

size_t mg_noperands(const mg_ctx *ctx, mg_value v) {
    uint32_t pair[2], n;
    mg__operands(ctx, mg__idx(ctx, v), pair, &n);
    return n;
}

mg_value mg_operand(const mg_ctx *ctx, mg_value v, size_t k) {
    uint32_t pair[2], n;
    const uint32_t *x = mg__operands(ctx, mg__idx(ctx, v), pair, &n);
    MG_ASSERT(k < n, "operand number out of range");
    return mg__handle(ctx, x[k]);
}

int mg_dot_has_bias(const mg_ctx *ctx, mg_value v) {
    uint32_t i = mg__idx(ctx, v);
    return mg__op_at(ctx, i) == MG_OP_DOT && (ctx->a1[i] & 1u);
}
