// header.cpp - the public header compiles as C++ and works from C++: the header's own
// complete example (section 2), MG_NULL, and the C structs used from C++. Exits non-zero
// with a message when anything differs.
#include <micrograd.h>

#include <cmath>
#include <cstdio>
#include <cstring>

static int failures = 0;

static void check(bool ok, const char *what) {
    if (!ok) {
        std::fprintf(stderr, "header.cpp: FAILED: %s\n", what);
        failures++;
    }
}

int main() {
    // The header's example, as a C++ program would write it.
    mg_ctx *ctx = mg_ctx_new();
    check(ctx != nullptr, "mg_ctx_new");
    if (!ctx) return 1;
    mg_value a = mg_leaf(ctx, -4.0), b = mg_leaf(ctx, 2.0);
    mg_value c = mg_add(ctx, a, b);
    mg_value d = mg_add(ctx, mg_mul(ctx, a, b), mg_powf(ctx, b, 3));
    mg_value e = mg_tanh(ctx, mg_sub(ctx, c, d));
    mg_backward(ctx, e);
    char line[96];
    std::snprintf(line, sizeof line, "%.4f %.4f %.4f", mg_data(ctx, e), mg_grad(ctx, a),
                  mg_grad(ctx, b));
    check(std::strcmp(line, "-0.9640 -0.0707 -0.4946") == 0, "the example prints what section 2 says");

    // MG_NULL is a value in C++ too, and an op given it gives it back.
    mg_value none = MG_NULL;
    check(!mg_ok(none), "MG_NULL is not a value");
    check(!mg_ok(mg_add(ctx, a, MG_NULL)), "an op of MG_NULL is MG_NULL");
    check(mg_same(mg_tanh(ctx, MG_NULL), MG_NULL), "mg_same(MG_NULL, MG_NULL)");
    check(mg_ctx_status(ctx) == MG_STATUS_OK, "MG_NULL is not a failure");

    // Structs and enums of the header from C++.
    mg_err err;
    std::memset(&err, 0, sizeof err);
    check(mg_err_set(&err, MG_STATUS_INVALID, "x = %d", 3) == MG_STATUS_INVALID, "mg_err_set");
    check(std::strcmp(err.msg, "x = 3") == 0, "mg_err_set's message");
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    check(cfg.loss == MG_LOSS_KIND_MSE, "mg_train_config_init");
    char buf[32];
    check(std::strcmp(mg_fmt_repr(0.1, buf, sizeof buf), "0.1") == 0, "mg_fmt_repr");
    mg_ctx_free(ctx);

    if (failures == 0) std::printf("header.cpp: the header works from C++\n");
    return failures ? 1 : 0;
}
