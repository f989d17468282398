/* fuzz_script.c - libFuzzer harness for the `eval` script language: parses the input onto
 * a fresh context and, when it parses, walks the result, runs backward and forward, and
 * prints the graph as a formula and as DOT text, all through the library's API. The
 * checks are the header's promises: a failed parse leaves the tape as it was and says
 * where; a parsed script's names, leaves and output are values of the context. */
#include "fuzz_common.h"

#include <math.h>

#include "micrograd.h"

/* A script of 16 KiB makes at most a few thousand values; more only makes runs slower
 * without reaching new code. The context's cap bounds what `a = a*a` repeated can hold. */
#define MAX_SCRIPT ((size_t)16 << 10)
#define MAX_CTX_BYTES ((size_t)64 << 20)
/* Gradient checks cost a forward per leaf: only on small graphs. */
#define MAX_GRADCHECK_VALUES 256

static int same_number(double a, double b) {
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void check_failure(const mg_ctx *ctx, const mg_script_error *where, const mg_err *err) {
    FZ_CHECK(err->status == MG_STATUS_FORMAT || err->status == MG_STATUS_NOMEM,
             "status %d (%s)", (int)err->status, err->msg);
    FZ_CHECK(!strncmp(err->msg, "<fuzz>:", 7), "message without its place: %s", err->msg);
    FZ_CHECK(where->line >= 1 && where->col >= 1 && where->message[0], "bad where: %zu:%zu",
             where->line, where->col);
    FZ_CHECK(mg_ctx_size(ctx) == 0, "a failed parse left %zu values", mg_ctx_size(ctx));
}

static void walk(mg_ctx *ctx, const mg_script *s) {
    size_t n = mg_script_nnames(s);
    FZ_CHECK(n >= 1, "a parsed script assigns nothing");
    for (size_t i = 0; i < n; i++) {
        const char *name = mg_script_name(s, i);
        mg_value v = mg_script_value(s, i);
        FZ_CHECK(mg_ok(v) && mg_index(ctx, v) < mg_ctx_size(ctx), "name %zu", i);
        FZ_CHECK(mg_same(mg_script_lookup(s, name), v), "lookup of '%s'", name);
        (void)mg_data(ctx, v);
        (void)mg_label(ctx, v);
    }
    for (size_t i = 0; i < mg_script_nleaves(s); i++) {
        const char *name = NULL;
        size_t line = 0, col = 0;
        mg_value v = mg_script_leaf(s, i, &name, &line, &col);
        FZ_CHECK(mg_ok(v) && mg_op_of(ctx, v) == MG_OP_LEAF, "leaf %zu is not a leaf", i);
        FZ_CHECK(name && line >= 1 && col >= 1, "leaf %zu has no place", i);
    }
    for (size_t i = 0; i < mg_script_nnotes(s); i++) {
        size_t line = 0;
        FZ_CHECK(mg_script_note(s, i, &line) && line >= 1, "note %zu", i);
    }
}

static void evaluate(mg_ctx *ctx, mg_value out) {
    double before = mg_data(ctx, out);
    mg_backward(ctx, out);
    /* The data computed while parsing and a recomputation from the leaves are one and the
     * same arithmetic. */
    double again = mg_forward(ctx, out);
    FZ_CHECK(same_number(before, again), "forward gives %.17g, the parse gave %.17g", again,
             before);
    (void)mg_find_nonfinite(ctx, 0, 1);
    if (mg_ctx_size(ctx) <= MAX_GRADCHECK_VALUES) (void)mg_gradcheck(ctx, out, 0, NULL);

    static char buf[1 << 14];
    size_t len = 0;
    mg_err err = {0};
    mg_formula_options fo;
    mg_formula_options_init(&fo);
    fo.max_chars = (size_t)1 << 20;
    mg_status st = mg_formula_format(ctx, out, &fo, buf, sizeof buf, &len, &err);
    FZ_CHECK(st == MG_STATUS_OK || st == MG_STATUS_INVALID || st == MG_STATUS_NOMEM,
             "formula: %s", err.msg);
    fo.numbers = 1;
    fo.precision = -1;
    fo.share = 0;
    (void)mg_formula_format(ctx, out, &fo, buf, sizeof buf, &len, &err);
    mg_graph_options d;
    mg_graph_options_init(&d);
    st = mg_graph_format(ctx, out, &d, buf, sizeof buf, &len, &err);
    FZ_CHECK(st == MG_STATUS_OK || st == MG_STATUS_INVALID || st == MG_STATUS_NOMEM,
             "dot: %s", err.msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_SCRIPT) size = MAX_SCRIPT;
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 0;
    mg_ctx_set_max_bytes(ctx, MAX_CTX_BYTES);
    mg_script_error where;
    memset(&where, 0, sizeof where);
    mg_err err = {0};
    mg_script *s = mg_script_parse(ctx, (const char *)data, size, "<fuzz>", &where, &err);
    if (fz_verbose()) fprintf(stderr, "%s\n", s ? "parsed" : err.msg);
    if (!s) {
        check_failure(ctx, &where, &err);
    } else {
        walk(ctx, s);
        mg_value out = mg_script_output(s);
        FZ_CHECK(mg_ok(out) && mg_same(out, mg_script_lookup(s, mg_script_output_name(s))),
                 "output");
        if (mg_ctx_status(ctx) == MG_STATUS_OK) evaluate(ctx, out);
    }
    mg_script_free(s);
    mg_ctx_free(ctx);
    return 0;
}
