/* ops_formulas.h - each op's forward and backward terms, written once for any floating
 * type. Not a header of its own: engine/ops.h includes it for double (mg__add_fw, ...,
 * with libm's double functions) and fast/ops32.h for the compiled path's float32 lanes
 * (mgf__add_fw, ..., with expf, logf, powf, tanhf). The includer defines
 *   MG__T        the type (double, float)
 *   MG__FN(name) a formula's name (mg__##name, mgf__##name)
 *   MG__M(fn)    libm's function fn for the type (fn, fn##f)
 *   MG__K(x)     the constant x in the type (x, x##f)
 * A power's constant exponent k stays the recorded double; its gate looks at it as is. */

/* a + b: d/da = 1, d/db = 1 */
static inline MG__T MG__FN(add_fw)(MG__T a, MG__T b) { return a + b; }
static inline MG__T MG__FN(add_ga)(MG__T g) { return g; }
static inline MG__T MG__FN(add_gb)(MG__T g) { return g; }

/* a - b: d/da = 1, d/db = -1 (x += -g is x -= g exactly) */
static inline MG__T MG__FN(sub_fw)(MG__T a, MG__T b) { return a - b; }
static inline MG__T MG__FN(sub_ga)(MG__T g) { return g; }
static inline MG__T MG__FN(sub_gb)(MG__T g) { return -g; }

/* a * b: d/da = b, d/db = a */
static inline MG__T MG__FN(mul_fw)(MG__T a, MG__T b) { return a * b; }
static inline MG__T MG__FN(mul_ga)(MG__T g, MG__T b) { return b * g; }
static inline MG__T MG__FN(mul_gb)(MG__T g, MG__T a) { return a * g; }

/* a / b: d/da = 1/b, d/db = -a/b^2 = -y/b */
static inline MG__T MG__FN(div_fw)(MG__T a, MG__T b) { return a / b; }
static inline MG__T MG__FN(div_ga)(MG__T g, MG__T b) { return g / b; }
static inline MG__T MG__FN(div_gb)(MG__T g, MG__T b, MG__T y) { return -(g * y / b); }

/* -a: d/da = -1 */
static inline MG__T MG__FN(neg_fw)(MG__T a) { return -a; }
static inline MG__T MG__FN(neg_ga)(MG__T g) { return -g; }

/* a ** k, k a constant: d/da = k * a^(k-1); k = 0 gives 0 even at a = 0 (gate) */
static inline MG__T MG__FN(powc_fw)(MG__T a, double k) { return MG__M(pow)(a, (MG__T)k); }
static inline int MG__FN(powc_gate)(double k) { return k != 0.0; }
static inline MG__T MG__FN(powc_ga)(MG__T g, MG__T a, double k) {
    return (MG__T)k * MG__M(pow)(a, (MG__T)k - MG__K(1.0)) * g;
}

/* a ** b: d/da = b * a^(b-1) (gate b != 0), d/db = a^b * ln a = y ln a, taken as 0 where
 * y = 0 (gate), as PyTorch does */
static inline MG__T MG__FN(pow_fw)(MG__T a, MG__T b) { return MG__M(pow)(a, b); }
static inline int MG__FN(pow_gate_a)(MG__T b) { return b != MG__K(0.0); }
static inline MG__T MG__FN(pow_ga)(MG__T g, MG__T a, MG__T b) {
    return b * MG__M(pow)(a, b - MG__K(1.0)) * g;
}
static inline int MG__FN(pow_gate_b)(MG__T y) { return y != MG__K(0.0); }
static inline MG__T MG__FN(pow_gb)(MG__T g, MG__T a, MG__T y) { return y * MG__M(log)(a) * g; }

/* e^a: d/da = e^a = y */
static inline MG__T MG__FN(exp_fw)(MG__T a) { return MG__M(exp)(a); }
static inline MG__T MG__FN(exp_ga)(MG__T g, MG__T y) { return y * g; }

/* ln a: d/da = 1/a */
static inline MG__T MG__FN(log_fw)(MG__T a) { return MG__M(log)(a); }
static inline MG__T MG__FN(log_ga)(MG__T g, MG__T a) { return g / a; }

/* tanh a: d/da = 1 - tanh^2 a = 1 - y^2 (libm's tanh saturates to +-1, so tanh(1000)
 * has grad 0) */
static inline MG__T MG__FN(tanh_fw)(MG__T a) { return MG__M(tanh)(a); }
static inline MG__T MG__FN(tanh_ga)(MG__T g, MG__T y) { return (MG__K(1.0) - y * y) * g; }

/* max(0, a): d/da = [a > 0] = [y > 0] (gate); NaN stays NaN */
static inline MG__T MG__FN(relu_fw)(MG__T a) { return a < MG__K(0.0) ? MG__K(0.0) : a; }
static inline int MG__FN(relu_gate)(MG__T y) { return y > MG__K(0.0); }
static inline MG__T MG__FN(relu_ga)(MG__T g) { return g; }

/* 1 / (1 + e^-a), in the form that cannot overflow: d/da = s (1 - s) = y (1 - y) */
static inline MG__T MG__FN(sigmoid_fw)(MG__T a) {
    if (a >= MG__K(0.0)) return MG__K(1.0) / (MG__K(1.0) + MG__M(exp)(-a));
    MG__T e = MG__M(exp)(a);
    return e / (MG__K(1.0) + e);
}
static inline MG__T MG__FN(sigmoid_ga)(MG__T g, MG__T y) { return y * (MG__K(1.0) - y) * g; }

/* [a > 0]: d/da 0 (relu's gate as a value; NaN gives 0, as relu's gate) */
static inline MG__T MG__FN(step_fw)(MG__T a) {
    return a > MG__K(0.0) ? MG__K(1.0) : MG__K(0.0);
}
