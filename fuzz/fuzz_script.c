/* fuzz_script.c - libFuzzer harness for the `eval` script language. Each input is taken
 * three ways, each on a fresh context, all through the library's API:
 *   1. mg_script_parse (the graph only): a failed parse leaves the tape as it was and says
 *      where; a parsed script's forward data is the engine's recomputation, bit for bit;
 *   2. mg_script_run, once, as a script file (its mode chosen from its tokens);
 *   3. mg_script_run line by line with MG_SCRIPT_ECHO | MG_SCRIPT_PYTHON, lines joined
 *      while mg_script_incomplete asks for more, as the interactive prompt runs them.
 * After every run: the names, leaves and output are live values of the context (a failing
 * statement must not leave a name bound to a value its reset dropped: that aborts), the
 * output buffer is terminated, a failure is a script or memory error that says where.
 * Then backward, forward, a gradient check, the formula and the DOT text of the output. */
#include "fuzz_common.h"

#include <math.h>

#include "micrograd.h"

/* A script of 16 KiB makes at most a few thousand values; more only makes runs slower
 * without reaching new code. The context's cap bounds what `a = a*a` repeated can hold. */
#define MAX_SCRIPT ((size_t)16 << 10)
#define MAX_CTX_BYTES ((size_t)64 << 20)
/* The prompt joins at most this many lines into one statement (each join reads the text
 * so far again). */
#define MAX_JOINED 32
/* Gradient checks cost a forward per leaf: only on small graphs. */
#define MAX_GRADCHECK_VALUES 256

static int same_number(double a, double b) {
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static void check_failure(mg_status st, const mg_script_error *where, const mg_err *err) {
    FZ_CHECK(st == err->status, "status %d, err says %d", (int)st, (int)err->status);
    FZ_CHECK(err->status == MG_STATUS_FORMAT || err->status == MG_STATUS_NOMEM,
             "status %d (%s)", (int)err->status, err->msg);
    FZ_CHECK(!strncmp(err->msg, "<fuzz>:", 7), "message without its place: %s", err->msg);
    FZ_CHECK(where->line >= 1 && where->col >= 1 && where->message[0], "bad where: %zu:%zu",
             where->line, where->col);
}

/* Everything the script holds is alive on the context. */
static void walk(mg_ctx *ctx, const mg_script *s) {
    size_t n = mg_script_nnames(s);
    for (size_t i = 0; i < n; i++) {
        const char *name = mg_script_name(s, i);
        mg_value v = mg_script_value(s, i);
        if (mg_script_kind_of(s, i) == MG_SCRIPT_KIND_VALUE) {
            FZ_CHECK(mg_ok(v) && mg_index(ctx, v) < mg_ctx_size(ctx), "name %zu", i);
            FZ_CHECK(mg_same(mg_script_lookup(s, name), v), "lookup of '%s'", name);
            (void)mg_label(ctx, v);
        } else {
            FZ_CHECK(!mg_ok(v) && !mg_ok(mg_script_lookup(s, name)), "number name %zu", i);
        }
        (void)mg_script_number(s, i);
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
    mg_value out = mg_script_output(s);
    const char *out_name = mg_script_output_name(s);
    FZ_CHECK(!out_name == !mg_ok(out), "output name and value disagree");
    if (out_name) FZ_CHECK(mg_same(out, mg_script_lookup(s, out_name)), "output");
    size_t len = 99;
    const char *printed = mg_script_printed(s, &len);
    FZ_CHECK(printed && printed[len] == '\0', "printed output not terminated");
}

static void evaluate(mg_ctx *ctx, mg_value out, int same_forward) {
    double before = mg_data(ctx, out);
    mg_backward(ctx, out);
    /* Data computed while parsing the graph only and a recomputation from the leaves are
     * one and the same arithmetic (a run may have changed a leaf's data since). */
    double again = mg_forward(ctx, out);
    if (same_forward)
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

static mg_ctx *new_ctx(void) {
    mg_ctx *ctx = mg_ctx_new();
    if (ctx) mg_ctx_set_max_bytes(ctx, MAX_CTX_BYTES);
    return ctx;
}

/* 1. The graph only. */
static void fuzz_parse(const char *text, size_t size) {
    mg_ctx *ctx = new_ctx();
    if (!ctx) return;
    mg_script_error where;
    memset(&where, 0, sizeof where);
    mg_err err = {0};
    mg_script *s = mg_script_parse(ctx, text, size, "<fuzz>", &where, &err);
    if (fz_verbose()) fprintf(stderr, "parse: %s\n", s ? "parsed" : err.msg);
    if (!s) {
        check_failure(err.status, &where, &err);
        FZ_CHECK(mg_ctx_size(ctx) == 0, "a failed parse left %zu values", mg_ctx_size(ctx));
    } else {
        FZ_CHECK(mg_script_nnames(s) >= 1, "a parsed script assigns nothing");
        FZ_CHECK(!mg_script_did_print(s) && !mg_script_did_backward(s), "the parse ran things");
        walk(ctx, s);
        if (mg_ctx_status(ctx) == MG_STATUS_OK) evaluate(ctx, mg_script_output(s), 1);
    }
    mg_script_free(s);
    mg_ctx_free(ctx);
}

/* Runs text[0 .. len) on s and checks what a run promises. */
static void run_checked(mg_ctx *ctx, mg_script *s, const char *text, size_t len,
                        unsigned flags) {
    mg_script_error where;
    memset(&where, 0, sizeof where);
    mg_err err = {0};
    mg_status st = mg_script_run(s, text, len, "<fuzz>", flags, &where, &err);
    if (fz_verbose()) fprintf(stderr, "run %u: %s\n", flags, st ? err.msg : "ok");
    if (st != MG_STATUS_OK) check_failure(st, &where, &err);
    if (flags & MG_SCRIPT_PYTHON) FZ_CHECK(mg_script_is_python(s), "not in Python mode");
    walk(ctx, s);
}

/* 2. A script file; 3. the prompt, a statement (or a few lines) at a time. */
static void fuzz_run(const char *text, size_t size, int prompt) {
    mg_ctx *ctx = new_ctx();
    mg_script *s = ctx ? mg_script_new(ctx) : NULL;
    if (!s) {
        mg_ctx_free(ctx);
        return;
    }
    if (!prompt) {
        run_checked(ctx, s, text, size, 0);
    } else {
        size_t start = 0;
        while (start < size) {
            const char *nl = memchr(text + start, '\n', size - start);
            size_t end = nl ? (size_t)(nl - text) + 1 : size;
            for (int more = 0; more < MAX_JOINED && end < size &&
                               mg_script_incomplete(text + start, end - start);
                 more++) {
                nl = memchr(text + end, '\n', size - end);
                end = nl ? (size_t)(nl - text) + 1 : size;
            }
            run_checked(ctx, s, text + start, end - start, MG_SCRIPT_ECHO | MG_SCRIPT_PYTHON);
            mg_script_clear_printed(s);
            start = end;
        }
    }
    mg_value out = mg_script_output(s);
    if (mg_ok(out) && mg_ctx_status(ctx) == MG_STATUS_OK) evaluate(ctx, out, 0);
    mg_script_free(s);
    mg_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > MAX_SCRIPT) size = MAX_SCRIPT;
    const char *text = (const char *)data;
    fuzz_parse(text, size);
    fuzz_run(text, size, 0);
    fuzz_run(text, size, 1);
    return 0;
}
