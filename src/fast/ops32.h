/* ops32.h - engine/ops.h's formulas for float32 lanes (mg_compiled_set_dtype): the same
 * expressions, term for term, in float arithmetic, with libm's float functions (expf,
 * logf, powf, tanhf). Each op of ops.h has its twin here under the prefix mgf__; the
 * float32 lane loops of kernels_tpl.h call these, the float64 ones ops.h's. Their
 * distance from the float64 results is held to a stated tolerance by the tests. */
#ifndef MG_FAST_OPS32_H
#define MG_FAST_OPS32_H

#include <math.h>

static inline float mgf__add_fw(float a, float b) { return a + b; }
static inline float mgf__add_ga(float g) { return g; }
static inline float mgf__add_gb(float g) { return g; }

static inline float mgf__sub_fw(float a, float b) { return a - b; }
static inline float mgf__sub_ga(float g) { return g; }
static inline float mgf__sub_gb(float g) { return -g; }

static inline float mgf__mul_fw(float a, float b) { return a * b; }
static inline float mgf__mul_ga(float g, float b) { return b * g; }
static inline float mgf__mul_gb(float g, float a) { return a * g; }

static inline float mgf__div_fw(float a, float b) { return a / b; }
static inline float mgf__div_ga(float g, float b) { return g / b; }
static inline float mgf__div_gb(float g, float b, float y) { return -(g * y / b); }

static inline float mgf__neg_fw(float a) { return -a; }
static inline float mgf__neg_ga(float g) { return -g; }

/* the exponent k stays the recorded float64 constant; gates take it as it is */
static inline float mgf__powc_fw(float a, double k) { return powf(a, (float)k); }
static inline int mgf__powc_gate(double k) { return k != 0.0; }
static inline float mgf__powc_ga(float g, float a, double k) {
    return (float)k * powf(a, (float)k - 1.0f) * g;
}

static inline float mgf__pow_fw(float a, float b) { return powf(a, b); }
static inline int mgf__pow_gate_a(float b) { return b != 0.0f; }
static inline float mgf__pow_ga(float g, float a, float b) { return b * powf(a, b - 1.0f) * g; }
static inline int mgf__pow_gate_b(float y) { return y != 0.0f; }
static inline float mgf__pow_gb(float g, float a, float y) { return y * logf(a) * g; }

static inline float mgf__exp_fw(float a) { return expf(a); }
static inline float mgf__exp_ga(float g, float y) { return y * g; }

static inline float mgf__log_fw(float a) { return logf(a); }
static inline float mgf__log_ga(float g, float a) { return g / a; }

static inline float mgf__tanh_fw(float a) { return tanhf(a); }
static inline float mgf__tanh_ga(float g, float y) { return (1.0f - y * y) * g; }

static inline float mgf__relu_fw(float a) { return a < 0.0f ? 0.0f : a; }
static inline int mgf__relu_gate(float y) { return y > 0.0f; }
static inline float mgf__relu_ga(float g) { return g; }

static inline float mgf__sigmoid_fw(float a) {
    if (a >= 0.0f) return 1.0f / (1.0f + expf(-a));
    float e = expf(a);
    return e / (1.0f + e);
}
static inline float mgf__sigmoid_ga(float g, float y) { return y * (1.0f - y) * g; }

static inline float mgf__step_fw(float a) { return a > 0.0f ? 1.0f : 0.0f; }

#endif
