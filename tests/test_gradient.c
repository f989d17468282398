/* test_gradient.c - gradients as values (mg_gradient): first derivatives against
 * backward's numbers, second and third derivatives against finite differences, closed
 * forms and PyTorch's Hessians (torch.autograd.functional.hessian, float64, printed as
 * hex literals), symmetry, values that do not depend on x, and the tape staying a
 * topological order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"
#include "testutil.h"

/* ==== micrograd's PR #8 cases ================================================================ */

static void test_cube_derivatives(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf(ctx, 3.0);
    mg_value y = mg_powf(ctx, x, 3);
    mg_value d1 = mg_gradient(ctx, y, x);
    mg_value d2 = mg_gradient(ctx, d1, x);
    mg_value d3 = mg_gradient(ctx, d2, x);
    mg_value d4 = mg_gradient(ctx, d3, x);
    assert_true(mg_ok(d1) && mg_ok(d2) && mg_ok(d3) && mg_ok(d4));
    assert_true(mg_data(ctx, y) == 27.0);
    assert_true(mg_data(ctx, d1) == 27.0);
    assert_true(mg_data(ctx, d2) == 18.0);
    assert_true(mg_data(ctx, d3) == 6.0);
    assert_true(mg_data(ctx, d4) == 0.0);
    assert_true(mg_grad(ctx, x) == 0.0); /* leaf grads are not touched */
}

static void test_mixed_partials(void **state) {
    mg_ctx *ctx = *state;
    /* f = 2*x*x*y + y*x: f_xy = f_yx = 4x + 1, f_yy = 0, f_xx = 4y */
    const double points[][2] = {{1.5, -2.0}, {-0.25, 3.0}, {0.0, 0.0}};
    for (size_t p = 0; p < 3; p++) {
        double xv = points[p][0], yv = points[p][1];
        mg_value x = mg_leaf(ctx, xv), y = mg_leaf(ctx, yv);
        mg_value f = mg_add(ctx, mg_mul(ctx, mg_mul(ctx, mg_mulf(ctx, x, 2), x), y), mg_mul(ctx, y, x));
        mg_value v[2] = {x, y}, g[2];
        assert_true(mg_gradients(ctx, f, 2, v, g));
        ASSERT_REL(mg_data(ctx, g[0]), 4 * xv * yv + yv, 1e-15);
        ASSERT_REL(mg_data(ctx, g[1]), 2 * xv * xv + xv, 1e-15);
        mg_value hx[2], hy[2];
        assert_true(mg_gradients(ctx, g[0], 2, v, hx));
        assert_true(mg_gradients(ctx, g[1], 2, v, hy));
        ASSERT_REL(mg_data(ctx, hx[0]), 4 * yv, 1e-15);
        ASSERT_REL(mg_data(ctx, hx[1]), 4 * xv + 1, 1e-15);
        ASSERT_REL(mg_data(ctx, hy[0]), 4 * xv + 1, 1e-15);
        assert_true(mg_data(ctx, hy[1]) == 0.0);
    }
}

/* ==== every op: the first derivative equals backward's, the second finite differences === */

typedef mg_value (*unary_fn)(mg_ctx *, mg_value);
typedef mg_value (*binary_fn)(mg_ctx *, mg_value, mg_value);

static mg_value powc3(mg_ctx *ctx, mg_value a) { return mg_powf(ctx, a, 3.5); }
static mg_value recip(mg_ctx *ctx, mg_value a) { return mg_rdivf(ctx, 2.0, a); }
static mg_value relu_sq(mg_ctx *ctx, mg_value a) { /* relu's second derivative is 0 */
    return mg_mul(ctx, mg_relu(ctx, a), a);
}
static mg_value sum3(mg_ctx *ctx, mg_value a) {
    mg_value t[3] = {mg_mul(ctx, a, a), a, mg_tanh(ctx, a)};
    return mg_sum(ctx, 3, t);
}
static mg_value dot2(mg_ctx *ctx, mg_value a) {
    mg_value w[2] = {a, mg_exp(ctx, a)}, x[2] = {mg_sigmoid(ctx, a), a};
    return mg_dot(ctx, mg_mul(ctx, a, a), 2, w, x);
}

/* d/dx of f at x by central differences of backward's numbers. */
static double fd_of_grad(unary_fn f, double x0, double h) {
    double g[2];
    for (int s = 0; s < 2; s++) {
        mg_ctx *c = mg_ctx_new();
        mg_value x = mg_leaf(c, s ? x0 - h : x0 + h);
        mg_value y = f(c, x);
        mg_backward(c, y);
        g[s] = mg_grad(c, x);
        mg_ctx_free(c);
    }
    return (g[0] - g[1]) / (2 * h);
}

static void test_every_unary_op(void **state) {
    mg_ctx *ctx = *state;
    static const struct {
        const char *name;
        unary_fn f;
        double x;
    } ops[] = {
        {"neg", mg_neg, 0.7},     {"exp", mg_exp, 0.4},      {"log", mg_log, 1.7},
        {"tanh", mg_tanh, 0.6},   {"tanh", mg_tanh, -1.3},   {"relu", relu_sq, 0.9},
        {"relu-", relu_sq, -0.9}, {"sigmoid", mg_sigmoid, -0.4}, {"powc", powc3, 1.3},
        {"rdiv", recip, 0.8},     {"sum", sum3, 0.3},        {"dot", dot2, -0.6},
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        mg_value x = mg_leaf(ctx, ops[k].x);
        mg_value y = ops[k].f(ctx, x);
        mg_value dy = mg_gradient(ctx, y, x);
        assert_true(mg_ok(dy));
        mg_backward(ctx, y);
        ASSERT_REL(mg_data(ctx, dy), mg_grad(ctx, x), 1e-14);
        mg_set_grad(ctx, x, 0.0);
        mg_value d2 = mg_gradient(ctx, dy, x);
        assert_true(mg_ok(d2));
        double fd = fd_of_grad(ops[k].f, ops[k].x, 1e-5);
        if (fabs(mg_data(ctx, d2) - fd) > 1e-6 * fmax(1.0, fabs(fd)))
            fail_msg("%s: second derivative %.17g, finite differences %.17g", ops[k].name,
                     mg_data(ctx, d2), fd);
    }
}

static void test_every_binary_op(void **state) {
    mg_ctx *ctx = *state;
    static const struct {
        const char *name;
        binary_fn f;
        double a, b;
    } ops[] = {
        {"add", mg_add, 0.3, -1.2}, {"sub", mg_sub, 0.3, -1.2}, {"mul", mg_mul, 0.3, -1.2},
        {"div", mg_div, 0.3, -1.2}, {"pow", mg_pow, 1.3, 0.7},  {"pow", mg_pow, 0.6, -2.1},
    };
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        /* g(a, b) = f(a, b) * a * b: every second partial is non-trivial */
        mg_value v[2] = {mg_leaf(ctx, ops[k].a), mg_leaf(ctx, ops[k].b)};
        mg_value y = mg_mul(ctx, mg_mul(ctx, ops[k].f(ctx, v[0], v[1]), v[0]), v[1]);
        mg_value d[2], h[2][2];
        assert_true(mg_gradients(ctx, y, 2, v, d));
        mg_backward(ctx, y);
        for (int i = 0; i < 2; i++) {
            ASSERT_REL(mg_data(ctx, d[i]), mg_grad(ctx, v[i]), 1e-14);
            assert_true(mg_gradients(ctx, d[i], 2, v, h[i]));
        }
        /* finite differences of backward's gradient in each direction */
        for (int j = 0; j < 2; j++) {
            double e = 1e-6, g[2][2];
            for (int s = 0; s < 2; s++) {
                mg_ctx *c = mg_ctx_new();
                double ab[2] = {ops[k].a, ops[k].b};
                ab[j] += s ? -e : e;
                mg_value w[2] = {mg_leaf(c, ab[0]), mg_leaf(c, ab[1])};
                mg_backward(c, mg_mul(c, mg_mul(c, ops[k].f(c, w[0], w[1]), w[0]), w[1]));
                g[s][0] = mg_grad(c, w[0]);
                g[s][1] = mg_grad(c, w[1]);
                mg_ctx_free(c);
            }
            for (int i = 0; i < 2; i++) {
                double fd = (g[0][i] - g[1][i]) / (2 * e);
                if (fabs(mg_data(ctx, h[i][j]) - fd) > 1e-6 * fmax(1.0, fabs(fd)))
                    fail_msg("%s: d2/d%d d%d = %.17g, finite differences %.17g", ops[k].name, i, j,
                             mg_data(ctx, h[i][j]), fd);
            }
        }
        ASSERT_REL(mg_data(ctx, h[0][1]), mg_data(ctx, h[1][0]), 1e-13); /* symmetric */
    }
}

/* ==== Hessians against PyTorch ================================================================ */

static mg_value torch_f1(mg_ctx *ctx, const mg_value *v) { /* tanh(x*y + x**2) * exp(y/2) */
    mg_value x = v[0], y = v[1];
    return mg_mul(ctx, mg_tanh(ctx, mg_add(ctx, mg_mul(ctx, x, y), mg_powf(ctx, x, 2))),
                  mg_exp(ctx, mg_divf(ctx, y, 2)));
}
static mg_value torch_f2(mg_ctx *ctx, const mg_value *v) { /* log(a*b + c**2) + sigmoid(a-c)*b**3 */
    mg_value a = v[0], b = v[1], c = v[2];
    return mg_add(ctx, mg_log(ctx, mg_add(ctx, mg_mul(ctx, a, b), mg_powf(ctx, c, 2))),
                  mg_mul(ctx, mg_sigmoid(ctx, mg_sub(ctx, a, c)), mg_powf(ctx, b, 3)));
}
static mg_value torch_f3(mg_ctx *ctx, const mg_value *v) { /* x**y + x/y - relu(x - y)*x */
    mg_value x = v[0], y = v[1];
    return mg_sub(ctx, mg_add(ctx, mg_pow(ctx, x, y), mg_div(ctx, x, y)),
                  mg_mul(ctx, mg_relu(ctx, mg_sub(ctx, x, y)), x));
}

static void check_hessian(mg_ctx *ctx, mg_value (*f)(mg_ctx *, const mg_value *), size_t n,
                          const double *at, const double *want) {
    mg_value v[3], g[3], h[3];
    for (size_t i = 0; i < n; i++) v[i] = mg_leaf(ctx, at[i]);
    mg_value y = f(ctx, v);
    assert_true(mg_gradients(ctx, y, n, v, g));
    for (size_t i = 0; i < n; i++) {
        assert_true(mg_gradients(ctx, g[i], n, v, h));
        for (size_t j = 0; j < n; j++) ASSERT_REL(mg_data(ctx, h[j]), want[i * n + j], 1e-13);
    }
}

static void test_hessians_against_pytorch(void **state) {
    mg_ctx *ctx = *state;
    static const double at1[] = {0.3, -0.7}, h1[] = {
        0x1.64143945f540ap+0, 0x1.4f52b34f2b9f9p-1, 0x1.4f52b34f2b9fap-1, 0x1.9e470eda9b8c4p-3};
    static const double at2[] = {1.2, 0.5, -0.8}, h2[] = {
        -0x1.6174f59be32c0p-3, 0x1.fadb960c29b65p-2, 0x1.0f81bc34176d7p-1,
        0x1.fadb960c29b65p-2,  0x1.b4b3af7076393p+0, 0x1.2b821c5a5423cp+0,
        0x1.0f81bc34176d7p-1,  0x1.2b821c5a5423bp+0, -0x1.fc1ab27923ba0p-5};
    static const double at3[] = {1.5, 0.4}, h3[] = {
        -0x1.100eb1b217f6ap+1, -0x1.15aea6edd7dfep+2, -0x1.15aea6edd7dfep+2, 0x1.788bfaebffad5p+5};
    check_hessian(ctx, torch_f1, 2, at1, h1);
    check_hessian(ctx, torch_f2, 3, at2, h2);
    check_hessian(ctx, torch_f3, 2, at3, h3);
}

/* ==== closed forms: the third derivatives of tanh and sigmoid ================================ */

static void test_third_derivatives(void **state) {
    mg_ctx *ctx = *state;
    for (double x0 = -2.5; x0 <= 2.5; x0 += 0.5) {
        mg_value x = mg_leaf(ctx, x0);
        mg_value t = mg_tanh(ctx, x), s = mg_sigmoid(ctx, x);
        mg_value t3 = mg_gradient(ctx, mg_gradient(ctx, mg_gradient(ctx, t, x), x), x);
        mg_value s3 = mg_gradient(ctx, mg_gradient(ctx, mg_gradient(ctx, s, x), x), x);
        double tv = tanh(x0), sv = 1 / (1 + exp(-x0));
        ASSERT_NEAR(mg_data(ctx, t3), -2 * (1 - tv * tv) * (1 - 3 * tv * tv), 1e-14);
        ASSERT_NEAR(mg_data(ctx, s3), sv * (1 - sv) * (1 - 6 * sv + 6 * sv * sv), 1e-14);
    }
}

/* ==== random graphs with shared subexpressions ============================================= */

static mg_value random_graph(mg_ctx *ctx, mg_rng *r, const mg_value *leaves, size_t nleaves) {
    mg_value pool[64];
    size_t n = 0;
    for (size_t i = 0; i < nleaves; i++) pool[n++] = leaves[i];
    for (int k = 0; k < 30; k++) {
        mg_value a = pool[mg_rng_below(r, (uint32_t)n)], b = pool[mg_rng_below(r, (uint32_t)n)];
        mg_value v;
        switch (mg_rng_below(r, 8)) {
        case 0: v = mg_add(ctx, a, b); break;
        case 1: v = mg_mul(ctx, a, b); break;
        case 2: v = mg_sub(ctx, a, b); break;
        case 3: v = mg_tanh(ctx, a); break;
        case 4: v = mg_sigmoid(ctx, mg_add(ctx, a, b)); break;
        case 5: v = mg_mulf(ctx, mg_exp(ctx, mg_mulf(ctx, mg_tanh(ctx, a), 0.5)), 0.7); break;
        case 6: {
            mg_value w[2] = {a, b}, x[2] = {b, mg_tanh(ctx, a)};
            v = mg_dot(ctx, a, 2, w, x);
            break;
        }
        default: v = mg_powf(ctx, mg_tanh(ctx, b), 2); break;
        }
        if (n < 64) pool[n++] = v; /* later ops reuse earlier values: shared subexpressions */
    }
    mg_value all[64];
    for (size_t i = 0; i < n; i++) all[i] = mg_tanh(ctx, pool[i]);
    return mg_sum(ctx, n, all);
}

static void test_random_graphs(void **state) {
    mg_ctx *ctx = *state;
    mg_rng r;
    mg_rng_seed(&r, 2024);
    for (int trial = 0; trial < 20; trial++) {
        mg_rng g = r; /* the graph's shape: the same draws for the re-built copies below */
        double at[3];
        for (int i = 0; i < 3; i++) at[i] = mg_rng_uniform(&r, -1, 1);
        mg_rng_below(&r, 1000); /* next trial, another shape */
        mg_mark m = mg_ctx_mark(ctx);
        mg_value v[3];
        for (int i = 0; i < 3; i++) v[i] = mg_leaf(ctx, at[i]);
        mg_rng gs = g;
        mg_value y = random_graph(ctx, &gs, v, 3);
        mg_value d[3], h[3][3];
        assert_true(mg_gradients(ctx, y, 3, v, d));
        /* the tape is still a topological order: a forward recompute changes nothing */
        double before[3];
        for (int i = 0; i < 3; i++) before[i] = mg_data(ctx, d[i]);
        mg_forward(ctx, d[0]), mg_forward(ctx, d[1]), mg_forward(ctx, d[2]);
        for (int i = 0; i < 3; i++) assert_true(mg_data(ctx, d[i]) == before[i]);
        mg_backward(ctx, y);
        for (int i = 0; i < 3; i++) {
            ASSERT_REL(mg_data(ctx, d[i]), mg_grad(ctx, v[i]), 1e-13);
            assert_true(mg_gradients(ctx, d[i], 3, v, h[i]));
        }
        for (int j = 0; j < 3; j++) {
            double e = 1e-6, gp[3], gm[3];
            for (int s = 0; s < 2; s++) {
                mg_ctx *c = mg_ctx_new();
                mg_value w[3];
                for (int i = 0; i < 3; i++) w[i] = mg_leaf(c, at[i] + (i == j ? (s ? -e : e) : 0));
                mg_rng gc = g;
                mg_backward(c, random_graph(c, &gc, w, 3));
                for (int i = 0; i < 3; i++) (s ? gm : gp)[i] = mg_grad(c, w[i]);
                mg_ctx_free(c);
            }
            for (int i = 0; i < 3; i++) {
                double fd = (gp[i] - gm[i]) / (2 * e);
                if (fabs(mg_data(ctx, h[i][j]) - fd) > 1e-5 * fmax(1.0, fabs(fd)))
                    fail_msg("trial %d: H[%d][%d] = %.17g, finite differences %.17g", trial, i, j,
                             mg_data(ctx, h[i][j]), fd);
            }
        }
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < i; j++) ASSERT_REL(mg_data(ctx, h[i][j]), mg_data(ctx, h[j][i]), 1e-12);
        mg_ctx_reset(ctx, m);
    }
}

/* ==== edges ================================================================================== */

static void test_independent_and_self(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf_ex(ctx, 2.0, MG_ROLE_LEAF, "x"), z = mg_leaf(ctx, 5.0);
    mg_value y = mg_set_label(ctx, mg_mul(ctx, x, x), "y");
    mg_value dz = mg_gradient(ctx, y, z); /* y does not depend on z: a constant 0 */
    assert_true(mg_ok(dz));
    assert_int_equal(mg_op_of(ctx, dz), MG_OP_LEAF);
    assert_int_equal(mg_role_of(ctx, dz), MG_ROLE_CONST);
    assert_true(mg_data(ctx, dz) == 0.0);
    mg_value dy = mg_gradient(ctx, y, y); /* d y / d y = 1 */
    assert_true(mg_data(ctx, dy) == 1.0);
    mg_value dx = mg_gradient(ctx, y, x);
    assert_true(mg_data(ctx, dx) == 4.0);
    assert_string_equal(mg_label(ctx, dx), "dy/dx"); /* named for pictures and formulas */
    /* a gradient of a gradient that does not depend on x any more: 0, not an error */
    mg_value c = mg_gradient(ctx, mg_gradient(ctx, mg_mulf(ctx, x, 3), x), x);
    assert_true(mg_ok(c) && mg_data(ctx, c) == 0.0);
    assert_false(mg_ok(mg_gradient(ctx, MG_NULL, x)));
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_OK);
}

static void test_relu_mask_is_a_value(void **state) {
    mg_ctx *ctx = *state;
    /* d relu(a)/da is step(a), a value: recomputed when a's data changes */
    mg_value a = mg_leaf(ctx, 0.5);
    mg_value y = mg_mulf(ctx, mg_relu(ctx, a), 3.0);
    mg_value d = mg_gradient(ctx, y, a);
    assert_true(mg_data(ctx, d) == 3.0);
    mg_set_data(ctx, a, -0.5);
    assert_true(mg_forward(ctx, d) == 0.0);
    mg_set_data(ctx, a, 2.0);
    assert_true(mg_forward(ctx, d) == 3.0);
}

static void test_shared_value_one_sum(void **state) {
    mg_ctx *ctx = *state;
    /* x feeds four products: its gradient is one n-ary value, not a chain of additions */
    mg_value x = mg_leaf(ctx, 1.5), w[4], p[4];
    for (int i = 0; i < 4; i++) w[i] = mg_leaf(ctx, 0.5 + i), p[i] = mg_mul(ctx, w[i], x);
    mg_value y = mg_sum(ctx, 4, p);
    mg_value d = mg_gradient(ctx, y, x);
    assert_int_equal(mg_op_of(ctx, d), MG_OP_DOT);
    assert_int_equal(mg_noperands(ctx, d), 8);
    ASSERT_REL(mg_data(ctx, d), 0.5 + 1.5 + 2.5 + 3.5, 1e-15);
}

static void test_failure_leaves_the_tape(void **state) {
    mg_ctx *ctx = *state;
    mg_value x = mg_leaf(ctx, 0.3), y = x;
    for (int i = 0; i < 50; i++) y = mg_tanh(ctx, mg_mul(ctx, y, x));
    size_t n = mg_ctx_size(ctx);
    mg_ctx_set_max_bytes(ctx, mg_ctx_bytes(ctx)); /* no room to grow */
    mg_value d = mg_gradient(ctx, y, x);
    assert_false(mg_ok(d));
    assert_int_equal(mg_ctx_status(ctx), MG_STATUS_NOMEM);
    assert_int_equal(mg_ctx_size(ctx), n); /* nothing half made */
    mg_ctx_set_max_bytes(ctx, 0);
    mg_ctx_clear_status(ctx);
    assert_true(mg_ok(mg_gradient(ctx, y, x)));
}

/* ==== compiled: a gradient penalty trained through the replay, against eager =========== */

/* Sample loss (out - y)^2 + 0.1 * |d out / d x|^2 of an MLP(2, [6, 1]) with `act` hidden
 * units: the input gradient is built as values, so the loss's own backward differentiates
 * it again (second derivatives), and relu's mask must follow each sample's inputs. */
static mg_value penalised_loss(mg_ctx *ctx, const mg_mlp *m, mg_value x[2], mg_value y) {
    mg_value out;
    if (!mg_mlp_forward(ctx, m, x, &out)) return MG_NULL;
    mg_value dx[2];
    if (!mg_gradients(ctx, out, 2, x, dx)) return MG_NULL;
    mg_value sq[2] = {mg_mul(ctx, dx[0], dx[0]), mg_mul(ctx, dx[1], dx[1])};
    mg_value pen = mg_mulf(ctx, mg_sum(ctx, 2, sq), 0.1);
    return mg_add(ctx, mg_powf(ctx, mg_sub(ctx, out, y), 2), pen);
}

static void train_penalty(mg_act act, int compiled, double *params, size_t *np) {
    enum { N = 24, STEPS = 15 };
    mg_ctx *ctx = mg_ctx_new();
    mg_rng r;
    mg_rng_seed(&r, 7);
    const size_t sizes[2] = {6, 1};
    const mg_act acts[2] = {act, MG_ACT_LINEAR};
    mg_mlp *m = mg_mlp_new(ctx, 2, 2, sizes, acts, MG_INIT_SCALED, &r, NULL);
    assert_non_null(m);
    double rows[N][3];
    for (int i = 0; i < N; i++) {
        rows[i][0] = mg_rng_uniform(&r, -2, 2), rows[i][1] = mg_rng_uniform(&r, -2, 2);
        rows[i][2] = sin(rows[i][0]) * cos(rows[i][1]);
    }
    mg_mark base = mg_ctx_mark(ctx);
    mg_compiled *c = NULL;
    if (compiled) {
        mg_value x[2] = {mg_input(ctx, 0), mg_input(ctx, 0)}, y = mg_input(ctx, 0);
        mg_value loss = penalised_loss(ctx, m, x, y);
        assert_true(mg_ok(loss));
        mg_value slots[3] = {x[0], x[1], y};
        mg_err err;
        c = mg_compile(ctx, loss, 3, slots, 0, NULL, &err);
        if (!c) fail_msg("%s", err.msg);
        mg_compiled_set_kernels(c, MG_KERNELS_PORTABLE, NULL);
        mg_ctx_reset(ctx, base);
    }
    for (int step = 0; step < STEPS; step++) {
        mg_mlp_zero_grad(ctx, m);
        if (compiled) {
            assert_int_equal(mg_compiled_forward_backward(c, N, &rows[0][0], 1.0 / N, NULL, NULL, NULL),
                             MG_STATUS_OK);
        } else {
            mg_value losses[N];
            for (int i = 0; i < N; i++) {
                mg_value x[2] = {mg_input(ctx, rows[i][0]), mg_input(ctx, rows[i][1])};
                losses[i] = penalised_loss(ctx, m, x, mg_input(ctx, rows[i][2]));
            }
            mg_value mean = mg_loss_mean(ctx, N, losses);
            assert_true(mg_ok(mean));
            mg_backward(ctx, mean);
            mg_ctx_reset(ctx, base);
        }
        double *p = mg_data_ptr(ctx, m->first);
        const double *g = mg_grad_ptr(ctx, m->first);
        for (size_t k = 0; k < m->nparams; k++) p[k] -= 0.05 * g[k];
    }
    *np = m->nparams;
    memcpy(params, mg_data_ptr(ctx, m->first), m->nparams * sizeof *params);
    mg_compiled_free(c);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

static void test_compiled_gradient_penalty(void **state) {
    (void)state;
    const mg_act acts[2] = {MG_ACT_TANH, MG_ACT_RELU};
    for (int a = 0; a < 2; a++) {
        double eager[64], replay[64];
        size_t n1, n2;
        train_penalty(acts[a], 0, eager, &n1);
        train_penalty(acts[a], 1, replay, &n2);
        assert_int_equal(n1, n2);
        double moved = 0;
        for (size_t k = 0; k < n1; k++) {
            ASSERT_REL(replay[k], eager[k], 1e-12);
            moved += fabs(replay[k]);
        }
        assert_true(moved > 0.1); /* trained, not stuck */
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cube_derivatives, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_mixed_partials, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_every_unary_op, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_every_binary_op, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_hessians_against_pytorch, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_third_derivatives, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_random_graphs, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_independent_and_self, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_relu_mask_is_a_value, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_shared_value_one_sum, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test_setup_teardown(test_failure_leaves_the_tape, tu_ctx_setup, tu_ctx_teardown),
        cmocka_unit_test(test_compiled_gradient_penalty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
