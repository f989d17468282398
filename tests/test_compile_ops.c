/* test_compile_ops.c - every op's lane formulas, forward and backward, in every kernel set
 * this CPU has, held to engine/ops.h's scalar formulas (the eager engine's) on random
 * inputs and on the edges: overflow, underflow, poles, NaN, infinities and signed zeros.
 * Two levels, one table:
 *   - the lanes themselves: an instruction run by each kernel set's forward and backward
 *     over a block of lanes, against ops.h lane by lane (backward given the lane's own
 *     value, so it is the backward formula alone that is checked);
 *   - one-op graphs through mg_compile, the op reading varying rows (the lane kernels) or
 *     parameters only (the uniform program), against the eager engine's value and
 *     gradient, sample by sample;
 * and the uniform program's L2 sum (MG__NEED_RANGE), whose four running sums are the one
 * place compiled arithmetic sums in another order than the eager engine.
 *
 * Tolerances (the `value` and `gradient` columns of the table; "bits" means the same
 * double, NaN for NaN whatever its payload, and everything else in the same class and
 * sign):
 *   - bits for every op in every kernel set, forward and backward, except:
 *   - tanh's value in the vector kernels: within 4 units in the last place of libm's
 *     (the vector form of kernels_tpl.h; measured worst 4 over 13 million inputs), and so
 *     its compiled gradient g (1 - y^2) within 8 * 2^-52 * |g| of the eager one
 *     (|y_vector - y| <= 4 ulp <= 2^-51 moves 1 - y^2 by at most 2^-50, plus roundings);
 *   - powc 2's value: within 1 unit in the last place, in every kernel set: the lanes
 *     compute a*a, correctly rounded, while ops.h computes pow(a, 2), which glibc rounds
 *     the other way for about 1 input in 1200: a real difference between compiled and
 *     eager results, the eager one the less accurate (ops.h could compute a*a for k = 2
 *     too; then this becomes bits);
 *   - the L2 range sum: bit for bit the four-sum formula, and within 2 n 2^-53 sum |w x|
 *     of the eager left-to-right sum (both are within (n - 1) 2^-53 sum |w x| of the exact
 *     sum); its gradients: bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fast/compile_internal.h"
#include "micrograd.h"

/* ==== tolerances ========================================================================== */

/* How close a result must be: the same bits, or within `ulps` units in the last place, or
 * (a derivative) within gscale * 2^-52 * |g| of the reference. */
typedef struct tol {
    int ulps;
    double gscale;
} tol;

#define BITS ((tol){0, 0.0})
#define ULPS(n) ((tol){(n), 0.0})
#define GSCALE(s) ((tol){0, (s)})

/* The double's position on a line where neighbours differ by 1 (-0 and +0 both 0). */
static int64_t ordered(double x) {
    int64_t i;
    memcpy(&i, &x, sizeof i);
    return i < 0 ? -(i & INT64_MAX) : i;
}

static uint64_t ulp_distance(double a, double b) {
    int64_t x = ordered(a), y = ordered(b);
    return x > y ? (uint64_t)x - (uint64_t)y : (uint64_t)y - (uint64_t)x;
}

/* Whether got agrees with want under t (g: the upstream gradient, for GSCALE). */
static int within(double got, double want, tol t, double g) {
    if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
    if (!memcmp(&got, &want, sizeof got)) return 1;
    if (isinf(want) || isinf(got) || signbit(got) != signbit(want)) return 0;
    if (t.ulps && ulp_distance(got, want) <= (uint64_t)t.ulps) return 1;
    return t.gscale > 0 && fabs(got - want) <= t.gscale * 0x1p-52 * fabs(g);
}

#define CHECK(got, want, t, g, ...)                                                       \
    do {                                                                                  \
        double got_ = (got), want_ = (want);                                              \
        if (!within(got_, want_, (t), (g)))                                               \
            fail_msg("%s: got %.17g (%a), want %.17g (%a)", where_fmt(__VA_ARGS__), got_,  \
                     got_, want_, want_);                                                 \
    } while (0)

static char g_where[256];
static const char *where_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_where, sizeof g_where, fmt, ap);
    va_end(ap);
    return g_where;
}

/* ==== the table =========================================================================== */

#define MAXEDGE 24

/* One op: where random operands are drawn, the edge operands, and the tolerances of its
 * value and its gradient (against ops.h and the eager engine) in the portable kernels
 * and in the vector ones. Backward given the lane's own value is bits everywhere. */
typedef struct op_case {
    const char *name;
    mg_op op;
    double k; /* powc: the exponent */
    double alo, ahi, blo, bhi;
    double edge[MAXEDGE][2]; /* operand pairs (b ignored by unary ops) */
    size_t nedge;
    tol value, value_vec, grad, grad_vec;
} op_case;

#define INF INFINITY
#define NANV NAN
/* operands both ways round, both signs of zero, both infinities, NaN */
#define BINARY_EDGES                                                                        \
    {{1, 0}, {-1, 0}, {0, 0}, {-0.0, 0}, {1, -0.0}, {0, -0.0}, {INF, INF}, {INF, -INF},      \
     {-INF, 2}, {NANV, 1}, {1, NANV}, {1e308, 1e308}, {-1e308, 1e308}, {1e-308, 1e-10},     \
     {5e-324, 0.5}, {3, 1e-300}, {-2, 3}}, 17

static const op_case cases[] = {
    {"add", MG_OP_ADD, 0, -10, 10, -10, 10, BINARY_EDGES, BITS, BITS, BITS, BITS},
    {"sub", MG_OP_SUB, 0, -10, 10, -10, 10, BINARY_EDGES, BITS, BITS, BITS, BITS},
    {"mul", MG_OP_MUL, 0, -10, 10, -10, 10, BINARY_EDGES, BITS, BITS, BITS, BITS},
    {"div", MG_OP_DIV, 0, -10, 10, -10, 10, BINARY_EDGES, BITS, BITS, BITS, BITS},
    {"neg", MG_OP_NEG, 0, -10, 10, 0, 0, {{0}, {-0.0}, {INF}, {-INF}, {NANV}, {5e-324}}, 6,
     BITS, BITS, BITS, BITS},
    {"pow", MG_OP_POW, 0, 0.01, 5, -4, 4,
     {{0, -1}, {0, 0}, {0, 0.5}, {0, 2}, {-0.0, -1}, {-0.0, 3}, {-2, 3}, {-2, 2}, {-8, 1.0 / 3},
      {2, 1024}, {2, -1080}, {NANV, 0}, {1, NANV}, {INF, -1}, {-INF, 3}, {0.5, INF},
      {1, 0}, {-1, INF}, {10, 308}, {10, 309}},
     20, BITS, BITS, BITS, BITS},
    {"powc 2", MG_OP_POWC, 2, -1e3, 1e3, 0, 0,
     {{0}, {-0.0}, {1e200}, {-1e200}, {1e-200}, {5e-324}, {INF}, {-INF}, {NANV}, {3}}, 10,
     ULPS(1), ULPS(1), BITS, BITS},
    {"powc 3", MG_OP_POWC, 3, -100, 100, 0, 0,
     {{0}, {-0.0}, {1e150}, {-1e150}, {INF}, {-INF}, {NANV}}, 7, BITS, BITS, BITS, BITS},
    {"powc -1", MG_OP_POWC, -1, -100, 100, 0, 0,
     {{0}, {-0.0}, {1e-310}, {INF}, {-INF}, {NANV}, {1e308}}, 7, BITS, BITS, BITS, BITS},
    {"powc 0.5", MG_OP_POWC, 0.5, 0, 100, 0, 0,
     {{0}, {-0.0}, {-1}, {INF}, {-INF}, {NANV}, {5e-324}}, 7, BITS, BITS, BITS, BITS},
    {"powc 0", MG_OP_POWC, 0, -100, 100, 0, 0, {{0}, {-0.0}, {INF}, {NANV}, {-1}}, 5,
     BITS, BITS, BITS, BITS},
    {"powc -0.5", MG_OP_POWC, -0.5, 0, 100, 0, 0, {{0}, {-0.0}, {-4}, {INF}, {NANV}}, 5,
     BITS, BITS, BITS, BITS},
    {"exp", MG_OP_EXP, 0, -50, 50, 0, 0,
     {{710}, {709.78}, {709.79}, {-746}, {-745.1}, {-708.4}, {0}, {-0.0}, {INF}, {-INF},
      {NANV}},
     11, BITS, BITS, BITS, BITS},
    {"log", MG_OP_LOG, 0, 1e-3, 1e3, 0, 0,
     {{0}, {-0.0}, {-1}, {-INF}, {INF}, {NANV}, {5e-324}, {1}, {1e308}}, 9,
     BITS, BITS, BITS, BITS},
    {"tanh", MG_OP_TANH, 0, -6, 6, 0, 0,
     {{1000}, {-1000}, {20}, {-20}, {19.5}, {-19.5}, {0}, {-0.0}, {INF}, {-INF}, {NANV},
      {1e-300}, {-4e-320}, {0.34657359}, {0.3465736}, {710}, {1e-8}, {-1e-17}},
     18, BITS, ULPS(4), BITS, GSCALE(8)},
    {"relu", MG_OP_RELU, 0, -10, 10, 0, 0,
     {{NANV}, {-0.0}, {0}, {-5e-324}, {5e-324}, {INF}, {-INF}}, 7, BITS, BITS, BITS, BITS},
    {"sigmoid", MG_OP_SIGMOID, 0, -40, 40, 0, 0,
     {{800}, {-800}, {40}, {-40}, {745}, {-745}, {0}, {-0.0}, {INF}, {-INF}, {NANV}}, 11,
     BITS, BITS, BITS, BITS},
    {"step", MG_OP_STEP, 0, -10, 10, 0, 0,
     {{NANV}, {-0.0}, {0}, {-5e-324}, {5e-324}, {INF}, {-INF}}, 7, BITS, BITS, BITS, BITS},
};

#define NCASES (sizeof cases / sizeof *cases)
#define NRANDOM 250

static int unary(mg_op op) { return mg__ops[op].arity == 1; }

/* Uniform in [lo, hi) with all 53 bits of the mantissa random (mg_rng_uniform has 24, and
 * sums of products of such numbers are often exact, whatever their order). */
static double uniform53(mg_rng *rng, double lo, double hi) {
    double r = mg_rng_random(rng);
    r += mg_rng_random(rng) * 0x1p-24;
    r += mg_rng_random(rng) * 0x1p-48;
    return lo + (hi - lo) * r;
}

/* The operands of a case: its edges, then NRANDOM random pairs, then copies of the last
 * pair up to a multiple of 8 lanes. Returns the count; a and b hold room for 512. */
static size_t operands(const op_case *oc, double *a, double *b, uint64_t seed) {
    mg_rng rng;
    mg_rng_seed(&rng, seed);
    size_t n = 0;
    for (size_t e = 0; e < oc->nedge; e++, n++) a[n] = oc->edge[e][0], b[n] = oc->edge[e][1];
    for (size_t r = 0; r < NRANDOM; r++, n++) {
        a[n] = uniform53(&rng, oc->alo, oc->ahi);
        b[n] = unary(oc->op) ? 0.0 : uniform53(&rng, oc->blo, oc->bhi);
    }
    for (; n % 8; n++) a[n] = a[n - 1], b[n] = b[n - 1];
    return n;
}

/* The eager engine's backward of one op on plain numbers, as ops_impl.h applies ops.h:
 * adds to *ga and *gb what it adds to the operands' grads. */
static void ref_backward(mg_op op, double k, double a, double b, double y, double g,
                         double *ga, double *gb) {
    switch (op) {
    case MG_OP_ADD: *ga += mg__add_ga(g), *gb += mg__add_gb(g); break;
    case MG_OP_SUB: *ga += mg__sub_ga(g), *gb += mg__sub_gb(g); break;
    case MG_OP_MUL: *ga += mg__mul_ga(g, b), *gb += mg__mul_gb(g, a); break;
    case MG_OP_DIV: *ga += mg__div_ga(g, b), *gb += mg__div_gb(g, b, y); break;
    case MG_OP_NEG: *ga += mg__neg_ga(g); break;
    case MG_OP_POWC:
        if (mg__powc_gate(k)) *ga += mg__powc_ga(g, a, k);
        break;
    case MG_OP_POW:
        if (mg__pow_gate_a(b)) *ga += mg__pow_ga(g, a, b);
        if (mg__pow_gate_b(y)) *gb += mg__pow_gb(g, a, y);
        break;
    case MG_OP_EXP: *ga += mg__exp_ga(g, y); break;
    case MG_OP_LOG: *ga += mg__log_ga(g, a); break;
    case MG_OP_TANH: *ga += mg__tanh_ga(g, y); break;
    case MG_OP_RELU:
        if (mg__relu_gate(y)) *ga += mg__relu_ga(g);
        break;
    case MG_OP_SIGMOID: *ga += mg__sigmoid_ga(g, y); break;
    case MG_OP_STEP: break;
    default: fail_msg("no reference backward for op %d", (int)op);
    }
}

/* The kernel sets this CPU and build have, portable first. */
static size_t kernel_sets(const mg__kernels **k, mg_kernels *which) {
    static const mg_kernels all[] = {MG_KERNELS_PORTABLE, MG_KERNELS_AVX2, MG_KERNELS_AVX512};
    size_t n = 0;
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if ((k[n] = mg__kernels_get(all[i])) != NULL) which[n++] = all[i];
    return n;
}

/* ==== the lanes themselves ================================================================ */

enum { LANES = 512 };

/* One case in one kernel set: rows a, b, y of a lane block of S = n lanes (the gradient
 * rows ga, gb, g likewise); forward, then backward onto random nonzero gradients (so a
 * closed gate's added 0 changes nothing, as in a replay, where lane gradients start at
 * +0 and are never -0). */
static void lanes_case(const op_case *oc, const mg__kernels *k) {
    static double V[3 * LANES], G[3 * LANES], ga0[LANES], gb0[LANES];
    size_t n = operands(oc, V, V + LANES, 11);
    mg_rng rng;
    mg_rng_seed(&rng, 12);
    for (size_t l = 0; l < n; l++) {
        G[l] = ga0[l] = mg_rng_uniform(&rng, 0.5, 2.0);
        G[LANES + l] = gb0[l] = -mg_rng_uniform(&rng, 0.5, 2.0);
        G[2 * LANES + l] = mg_rng_uniform(&rng, -3, 3);
    }
    /* rows S = LANES apart, n lanes of them in use */
    mg__ins in = {.op = (uint8_t)oc->op, .need = (uint8_t)(unary(oc->op) ? 1 : 3), .bwd = 1,
                  .out = 2, .a = 0, .b = unary(oc->op) ? 0 : 1, .run = 1, .k = oc->k};
    int vec = strcmp(k->name, "portable") != 0;
    k->fw(&in, NULL, V, LANES, n);
    k->bw(&in, NULL, NULL, V, G, LANES, n);
    for (size_t l = 0; l < n; l++) {
        double a = V[l], b = V[LANES + l], y = V[2 * LANES + l], g = G[2 * LANES + l];
        double want = mg__op_forward(oc->op, a, oc->op == MG_OP_POWC ? oc->k : b);
        CHECK(y, want, vec ? oc->value_vec : oc->value, g, "%s lanes: %s(%.17g, %.17g)", k->name,
              oc->name, a, b);
        double wa = ga0[l], wb = gb0[l];
        ref_backward(oc->op, oc->k, a, b, y, g, &wa, &wb);
        CHECK(G[l], wa, BITS, g, "%s lanes: d%s/da at (%.17g, %.17g), g %.17g", k->name, oc->name,
              a, b, g);
        if (!unary(oc->op))
            CHECK(G[LANES + l], wb, BITS, g, "%s lanes: d%s/db at (%.17g, %.17g), g %.17g",
                  k->name, oc->name, a, b, g);
    }
}

static void test_lanes(void **state) {
    (void)state;
    const mg__kernels *k[3];
    mg_kernels which[3];
    size_t nk = kernel_sets(k, which);
    for (size_t c = 0; c < NCASES; c++)
        for (size_t s = 0; s < nk; s++) lanes_case(&cases[c], k[s]);
    /* the uniform program's way in: no kernels, one lane, S = 1 */
    for (size_t c = 0; c < NCASES; c++) {
        double a[LANES], b[LANES];
        size_t n = operands(&cases[c], a, b, 13);
        for (size_t l = 0; l < n; l++) {
            double U[3] = {a[l], b[l], 0}, UG[3] = {0.75, -1.25, 1.5};
            mg__ins in = {.op = (uint8_t)cases[c].op, .need = (uint8_t)(unary(cases[c].op) ? 1 : 3),
                          .out = 2, .b = unary(cases[c].op) ? 0 : 1, .run = 1, .k = cases[c].k};
            mg__ins_forward(&in, NULL, U, 1, 1, NULL);
            mg__ins_backward(&in, NULL, NULL, U, UG, 1, 1, NULL);
            double want = mg__op_forward(cases[c].op, a[l], cases[c].op == MG_OP_POWC ? cases[c].k : b[l]);
            CHECK(U[2], want, cases[c].value, 1.5, "uniform: %s(%.17g, %.17g)", cases[c].name, a[l], b[l]);
            double wa = 0.75, wb = -1.25;
            ref_backward(cases[c].op, cases[c].k, a[l], b[l], U[2], 1.5, &wa, &wb);
            CHECK(UG[0], wa, BITS, 1.5, "uniform: d%s/da at %.17g", cases[c].name, a[l]);
            if (!unary(cases[c].op)) CHECK(UG[1], wb, BITS, 1.5, "uniform: d%s/db", cases[c].name);
        }
    }
}

/* Sum and dot over lane rows (args as the tape stores them, some arguments not wanting a
 * gradient, one row read twice): left to right from 0 (or the bias), as ops_impl.h. */
static void nary_case(const mg__kernels *k, mg_op op) {
    enum { S = 64, R = 8 };
    static double V[R * S], G[R * S], W[R * S];
    mg_rng rng;
    mg_rng_seed(&rng, 14);
    for (size_t i = 0; i < R * S; i++) {
        V[i] = uniform53(&rng, -4, 4);
        G[i] = W[i] = mg_rng_uniform(&rng, 0.5, 2);
    }
    V[1 * S + 3] = INFINITY, V[2 * S + 5] = NAN, V[3 * S + 7] = -0.0, V[4 * S + 9] = 1e308;
    /* sum: rows 1, 2, 3, 1 into row 0; dot: bias 1, pairs (2, 3), (4, 4), (5, 6) into 0 */
    static const uint32_t sum_args[] = {1, 2, 3, 1}, dot_args[] = {1, 2, 3, 4, 4, 5, 6};
    static const uint8_t sum_need[] = {1, 0, 1, 1}, dot_need[] = {1, 1, 0, 1, 1, 0, 1};
    int sum = op == MG_OP_SUM;
    const uint32_t *args = sum ? sum_args : dot_args;
    const uint8_t *need = sum ? sum_need : dot_need;
    uint32_t m = sum ? 4 : 7;
    mg__ins in = {.op = (uint8_t)op, .bwd = 1, .out = 0, .a = 0, .b = m, .run = 1};
    k->fw(&in, args, V, S, S);
    k->bw(&in, args, need, V, G, S, S);
    for (size_t l = 0; l < S; l++) {
        double y = sum ? 0.0 : V[args[0] * S + l], g = W[l];
        double want[R];
        for (size_t r = 0; r < R; r++) want[r] = W[r * S + l];
        if (sum) {
            for (uint32_t j = 0; j < m; j++) y = mg__add_fw(y, V[args[j] * S + l]);
            for (uint32_t j = 0; j < m; j++)
                if (need[j]) want[args[j]] += mg__add_ga(g);
        } else {
            if (need[0]) want[args[0]] += mg__add_ga(g);
            for (uint32_t j = 1; j < m; j += 2) {
                double w = V[args[j] * S + l], x = V[args[j + 1] * S + l];
                y = mg__add_fw(y, mg__mul_fw(w, x));
                if (need[j]) want[args[j]] += mg__mul_ga(g, x);
                if (need[j + 1]) want[args[j + 1]] += mg__mul_gb(g, w);
            }
        }
        CHECK(V[l], y, BITS, g, "%s lanes: %s, lane %zu", k->name, sum ? "sum" : "dot", l);
        for (size_t r = 1; r < R; r++)
            CHECK(G[r * S + l], want[r], BITS, g, "%s lanes: d%s/d row %zu, lane %zu", k->name,
                  sum ? "sum" : "dot", r, l);
    }
}

static void test_sum_and_dot_lanes(void **state) {
    (void)state;
    const mg__kernels *k[3];
    mg_kernels which[3];
    size_t nk = kernel_sets(k, which);
    for (size_t s = 0; s < nk; s++) {
        nary_case(k[s], MG_OP_SUM);
        nary_case(k[s], MG_OP_DOT);
    }
}

/* ==== one-op graphs through mg_compile ==================================================== */

/* y = op(a, b) with a = xa - pa and b = xb - pb (xa, xb slots, pa, pb parameters at 0, so
 * a and b are the slots' values exactly, -0 and NaN included, and y runs in the lane
 * kernels), or a = pa and b = pb (set per sample: y runs in the uniform program); the
 * loss is y * c, c a slot, so the op's backward gets the gradient c. */
typedef struct one_op {
    mg_ctx *ctx;
    mg_value xa, xb, c, pa, pb, y, loss;
} one_op;

static one_op one_op_new(const op_case *oc, int uniform) {
    one_op g;
    mg_ctx *ctx = g.ctx = mg_ctx_new();
    assert_non_null(ctx);
    g.pa = mg_param(ctx, 0.0), g.pb = mg_param(ctx, 0.0);
    g.xa = mg_input(ctx, 0), g.xb = mg_input(ctx, 0), g.c = mg_input(ctx, 0);
    mg_value a = uniform ? g.pa : mg_sub(ctx, g.xa, g.pa);
    mg_value b = uniform ? g.pb : mg_sub(ctx, g.xb, g.pb);
    switch (oc->op) {
    case MG_OP_ADD: g.y = mg_add(ctx, a, b); break;
    case MG_OP_SUB: g.y = mg_sub(ctx, a, b); break;
    case MG_OP_MUL: g.y = mg_mul(ctx, a, b); break;
    case MG_OP_DIV: g.y = mg_div(ctx, a, b); break;
    case MG_OP_POW: g.y = mg_pow(ctx, a, b); break;
    case MG_OP_POWC: g.y = mg_powf(ctx, a, oc->k); break;
    default: g.y = mg__unary_op(ctx, oc->op, a);
    }
    g.loss = mg_mul(ctx, g.y, g.c);
    assert_true(mg_ok(g.loss));
    return g;
}

/* The eager engine on one sample: y, the loss, and the parameters' gradients. */
static void eager_sample(one_op *g, int uniform, double a, double b, double c, double *y,
                         double *loss, double *ga, double *gb) {
    mg_set_data(g->ctx, uniform ? g->pa : g->xa, a);
    mg_set_data(g->ctx, uniform ? g->pb : g->xb, b);
    mg_set_data(g->ctx, g->c, c);
    *loss = mg_forward(g->ctx, g->loss);
    *y = mg_data(g->ctx, g->y);
    mg_value p[2] = {g->pa, g->pb};
    mg_zero_grad(g->ctx, 2, p);
    mg_backward(g->ctx, g->loss);
    *ga = mg_grad(g->ctx, g->pa), *gb = mg_grad(g->ctx, g->pb);
    mg_zero_grad(g->ctx, 2, p);
}

static void graph_case(const op_case *oc, int uniform, mg_kernels which, const char *kname) {
    one_op g = one_op_new(oc, uniform);
    mg_value slots[3] = {g.xa, g.xb, g.c};
    mg_err err = {0};
    mg_compiled *c = mg_compile(g.ctx, g.loss, 3, slots, 1, &g.y, &err);
    assert_non_null(c);
    assert_int_equal(mg_compiled_set_kernels(c, which, NULL), MG_STATUS_OK);
    mg_compiled_set_threads(c, 1);
    /* the uniform program is plain C whatever the kernels */
    int vec = !uniform && which != MG_KERNELS_PORTABLE;
    tol tv = vec ? oc->value_vec : oc->value, tg = vec ? oc->grad_vec : oc->grad;
    static double a[LANES], b[LANES], cs[LANES], rows[3 * LANES], out[LANES];
    size_t n = operands(oc, a, b, 15);
    mg_rng rng;
    mg_rng_seed(&rng, 16);
    for (size_t s = 0; s < n; s++) {
        cs[s] = mg_rng_uniform(&rng, 0.25, 3) * (s % 2 ? -1 : 1);
        rows[3 * s] = a[s], rows[3 * s + 1] = b[s], rows[3 * s + 2] = cs[s];
    }
    const char *place = uniform ? "uniform" : "varying";
    if (!uniform) { /* all samples as one batch, for the values */
        assert_int_equal(mg_compiled_forward(c, n, rows, NULL, out, &err), MG_STATUS_OK);
        for (size_t s = 0; s < n; s++) {
            double y, loss, ga, gb;
            eager_sample(&g, 0, a[s], b[s], cs[s], &y, &loss, &ga, &gb);
            CHECK(out[s], y, tv, cs[s], "%s %s batch: %s(%.17g, %.17g)", kname, place, oc->name, a[s], b[s]);
        }
    }
    for (size_t s = 0; s < n; s++) { /* one sample at a time, for the gradients */
        double y, loss, ga, gb, cy, closs;
        eager_sample(&g, uniform, a[s], b[s], cs[s], &y, &loss, &ga, &gb);
        if (uniform) mg_set_data(g.ctx, g.pa, a[s]), mg_set_data(g.ctx, g.pb, b[s]);
        mg_status st = mg_compiled_forward_backward(c, 1, rows + 3 * s, 1.0, &closs, &cy, &err);
        double cga = mg_grad(g.ctx, g.pa), cgb = mg_grad(g.ctx, g.pb);
        mg_value p[2] = {g.pa, g.pb};
        mg_zero_grad(g.ctx, 2, p);
        CHECK(cy, y, tv, cs[s], "%s %s: %s(%.17g, %.17g)", kname, place, oc->name, a[s], b[s]);
        if (!(isfinite(loss) && isfinite(ga) && isfinite(gb))) { /* refused, as it should be */
            if (st != MG_STATUS_NUMERIC)
                fail_msg("%s %s: %s(%.17g, %.17g): eager loss %g, grads %g %g, but status %d",
                         kname, place, oc->name, a[s], b[s], loss, ga, gb, (int)st);
            continue;
        }
        if (st != MG_STATUS_OK)
            fail_msg("%s %s: %s(%.17g, %.17g): %s", kname, place, oc->name, a[s], b[s], err.msg);
        CHECK(cga, ga, tg, cs[s], "%s %s: d%s/da at (%.17g, %.17g)", kname, place, oc->name, a[s], b[s]);
        CHECK(cgb, gb, tg, cs[s], "%s %s: d%s/db at (%.17g, %.17g)", kname, place, oc->name, a[s], b[s]);
    }
    mg_compiled_free(c);
    mg_ctx_free(g.ctx);
}

static void test_one_op_graphs(void **state) {
    (void)state;
    const mg__kernels *k[3];
    mg_kernels which[3];
    size_t nk = kernel_sets(k, which);
    for (size_t i = 0; i < NCASES; i++)
        for (size_t s = 0; s < nk; s++)
            for (int uniform = 0; uniform <= 1; uniform++) graph_case(&cases[i], uniform, which[s], k[s]->name);
}

/* ==== the L2 range sum ===================================================================== */

/* The four running sums of range_dot_forward, written out. */
static double four_sums(const double *w, const double *x, size_t n) {
    double s[4] = {0, 0, 0, 0};
    size_t q = 0;
    for (; q + 4 <= n; q += 4)
        for (size_t j = 0; j < 4; j++) s[j] += w[q + j] * x[q + j];
    for (; q < n; q++) s[0] += w[q] * x[q];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* A penalty over np consecutive parameters, sum p_i^2 (mg_loss_l2) or, frozen_x, sum p_i q_i
 * with constants q, added to a slot x: the uniform program marks its dot MG__NEED_RANGE
 * and sums it four ways; the gradients come out in the eager order. */
static void range_case(size_t np, int frozen_x) {
    enum { MAXP = 400 };
    mg_ctx *ctx = mg_ctx_new();
    mg_rng rng;
    mg_rng_seed(&rng, 100 + np);
    mg_value p[MAXP], q[MAXP];
    double w[MAXP], x[MAXP], mag = 0.0;
    for (size_t i = 0; i < np; i++) p[i] = mg_param(ctx, w[i] = uniform53(&rng, -2, 2));
    for (size_t i = 0; i < np; i++) q[i] = frozen_x ? mg_const(ctx, x[i] = uniform53(&rng, -2, 2)) : p[i];
    for (size_t i = 0; i < np; i++) mag += fabs(w[i] * (frozen_x ? x[i] : w[i]));
    if (!frozen_x) memcpy(x, w, np * sizeof *w);
    mg_value xs = mg_input(ctx, 0);
    mg_value l2 = frozen_x ? mg_mulf(ctx, mg_dot(ctx, MG_NULL, np, p, q), 1e-4) : mg_loss_l2(ctx, np, p, 1e-4);
    mg_value dot = mg_operand(ctx, l2, 0), loss = mg_add(ctx, xs, l2);
    mg_compiled *c = mg_compile(ctx, loss, 1, &xs, 1, &dot, NULL);
    assert_non_null(c);
    int ranged = 0;
    for (size_t k = 0; k < c->uniform.n; k++)
        ranged |= c->uniform.ins[k].op == MG_OP_DOT && (c->uniform.ins[k].need & MG__NEED_RANGE);
    assert_true(ranged);

    double xv = 0.5, got, closs;
    assert_int_equal(mg_compiled_forward(c, 1, &xv, NULL, &got, NULL), MG_STATUS_OK);
    CHECK(got, four_sums(w, x, np), BITS, 0.0, "range dot of %zu pairs: four sums", np);
    double want = mg_forward(ctx, dot);
    if (!(fabs(got - want) <= 2.0 * (double)np * 0x1p-53 * mag))
        fail_msg("range dot of %zu pairs: %.17g, eager %.17g", np, got, want);

    double gc[MAXP], ge[MAXP];
    mg_zero_grad(ctx, np, p);
    assert_int_equal(mg_compiled_forward_backward(c, 1, &xv, 1.0, &closs, NULL, NULL), MG_STATUS_OK);
    for (size_t i = 0; i < np; i++) gc[i] = mg_grad(ctx, p[i]);
    mg_zero_grad(ctx, np, p);
    mg_set_data(ctx, xs, xv);
    mg_forward(ctx, loss);
    mg_backward(ctx, loss);
    for (size_t i = 0; i < np; i++) ge[i] = mg_grad(ctx, p[i]);
    for (size_t i = 0; i < np; i++)
        CHECK(gc[i], ge[i], BITS, 0.0, "range dot of %zu pairs: gradient of p%zu", np, i);
    mg_compiled_free(c);
    mg_ctx_free(ctx);
}

static void test_l2_range(void **state) {
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 16, 33, 337};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        range_case(sizes[i], 0);
        range_case(sizes[i], 1);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lanes),
        cmocka_unit_test(test_sum_and_dot_lanes),
        cmocka_unit_test(test_one_op_graphs),
        cmocka_unit_test(test_l2_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
