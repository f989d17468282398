/* kernels_tpl.h - the kernels of kernels.c, written once and included once per
 * instruction set and element type. The includer defines:
 *   MGK_FN(name)   the function's name with the instruction set's and type's suffix
 *   MGK_TARGET     the function attribute that enables the instruction set
 *   MGK_T          the lanes' element type: double (float64 mode) or float (float32)
 *   MGK_OP(name)   an op's formula: engine/ops.h's mg__name for double, ops32.h's mgf__name
 *                  for float
 * and, for the vector kernels (not in the plain C builds):
 *   MGK_VL         elements per vector; MGK_V the vector type
 *   MGK_MR, MGK_NV the register tile: MR out rows by NV vectors of lanes (MR >= 4)
 *   MGK_LOAD, MGK_STORE, MGK_SET1, MGK_ADD, MGK_SUB, MGK_MUL, MGK_DIV, MGK_FMA (a*b + c,
 *   one rounding), MGK_MIN (NaN in the second operand wins), MGK_ABS, MGK_COPYSIGN
 *   (magnitude >= 0, sign source), MGK_ROUND (to nearest), MGK_POW2 (2^k, k integral),
 *   MGK_LN2HI, MGK_LN2LO (ln 2 in two parts, the first with few enough bits that k times
 *   it is exact for the tanh's k)
 * For the plain C builds only MGK_FN, MGK_TARGET, MGK_T and MGK_OP are defined: they get the
 * generic instructions (the lane loops at the end) and none of the vector kernels.
 * No include guard: meant to be included several times. */

#ifdef MGK_V

/* ==== the register tile =================================================================== */

/* Both matrix kernels below are one register tile repeated: out rows orow[r] (r < mr)
 * over nv vectors of lanes from l0 get a start value (mode, below) plus the sum over
 * k0 <= k < k1, in order, of A[r*ars + k*aks] times row k of B, which is
 * bbase + (indexed ? brows[k] : k) * bstride + l0. The tile's accumulators stay in
 * registers for the whole run of k (no blocking of k: the analysis measured the 6 x 4
 * AVX-512 tile fastest with all of k at once); each output element is summed over k in
 * order, so the result does not depend on the tiling. mr, nv and indexed are constants at
 * every call (see strip), so the loops unroll into registers; mode is tested outside the
 * loop over k.
 * Modes (mg__tile_mode, compile_internal.h): MG__TILE_ACC continues the stored sums
 * (out += A.B), MG__TILE_INIT starts from init[r], MG__TILE_SET from 0 (out = A.B),
 * MG__TILE_ADD adds a sum started from 0 to what is stored (out = out + A.B, one rounding
 * more: a chunk's partial added to the chunks before it). */

MGK_TARGET static inline __attribute__((always_inline)) void
MGK_FN(acc_tile)(size_t mr, size_t nv, int mode, size_t k0, size_t k1, const MGK_T *A,
                 size_t ars, size_t aks, const MGK_T *init, MGK_T *const *orow, size_t l0,
                 const MGK_T *bbase, int indexed, const uint32_t *brows, size_t bstride) {
    MGK_V acc[MGK_MR][MGK_NV];
#pragma GCC unroll 8
    for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++)
            acc[r][v] = mode == MG__TILE_INIT && init ? MGK_SET1(init[r])
                        : mode == MG__TILE_ACC ? MGK_LOAD(orow[r] + l0 + v * MGK_VL)
                                               : MGK_SET1((MGK_T)0);
    for (size_t k = k0; k < k1; k++) {
        const MGK_T *b = bbase + (indexed ? (size_t)brows[k] : k) * bstride + l0;
        MGK_V bv[MGK_NV];
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) bv[v] = MGK_LOAD(b + v * MGK_VL);
#pragma GCC unroll 8
        for (size_t r = 0; r < mr; r++) {
            MGK_V a = MGK_SET1(A[r * ars + k * aks]);
#pragma GCC unroll 4
            for (size_t v = 0; v < nv; v++) acc[r][v] = MGK_FMA(a, bv[v], acc[r][v]);
        }
    }
    if (mode == MG__TILE_ADD) {
#pragma GCC unroll 8
        for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
            for (size_t v = 0; v < nv; v++) {
                MGK_T *o = orow[r] + l0 + v * MGK_VL;
                MGK_STORE(o, MGK_ADD(MGK_LOAD(o), acc[r][v]));
            }
        return;
    }
#pragma GCC unroll 8
    for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) MGK_STORE(orow[r] + l0 + v * MGK_VL, acc[r][v]);
}

/* A strip of mr out rows (MGK_MR, 4, 2 or 1: a constant at each call) across nvec
 * vectors of lanes, in tiles of MGK_NV, 2 and then 1 vectors: with gemm_rows' and
 * gemm_dw's choice of mr, the one place where run-time sizes become the tile's constant
 * shapes. */
MGK_TARGET static inline __attribute__((always_inline)) void
MGK_FN(strip)(size_t mr, int mode, size_t nvec, size_t k0, size_t k1, const MGK_T *A,
              size_t ars, size_t aks, const MGK_T *init, MGK_T *const *orow,
              const MGK_T *bbase, int indexed, const uint32_t *brows, size_t bstride) {
    for (size_t v0 = 0; v0 < nvec;) {
        size_t left = nvec - v0, l0 = v0 * MGK_VL;
        size_t nv = left >= MGK_NV ? MGK_NV : left >= 2 ? 2 : 1;
        if (nv == MGK_NV)
            MGK_FN(acc_tile)(mr, MGK_NV, mode, k0, k1, A, ars, aks, init, orow, l0, bbase, indexed, brows, bstride);
        else if (nv == 2)
            MGK_FN(acc_tile)(mr, 2, mode, k0, k1, A, ars, aks, init, orow, l0, bbase, indexed, brows, bstride);
        else
            MGK_FN(acc_tile)(mr, 1, mode, k0, k1, A, ars, aks, init, orow, l0, bbase, indexed, brows, bstride);
        v0 += nv;
    }
}

/* The rows of strip r0 (mr of them) through out + rows[r0 + r] * stride, or through
 * out + (r0 + r) * stride when rows is NULL. */
#define MGK_STRIP(mr)                                                                       \
    do {                                                                                    \
        MGK_T *orow[MGK_MR];                                                                \
        for (size_t r = 0; r < (mr); r++)                                                   \
            orow[r] = obase + (orows ? (size_t)orows[r0 + r] : r0 + r) * ostride;          \
        MGK_FN(strip)((mr), mode, nvec, 0, kdim, A + r0 * ars, ars, aks, init ? init + r0 : NULL, \
                      orow, bbase, indexed, brows, bstride);                                \
    } while (0)

/* m out rows in strips of MGK_MR, then 4, 2 and 1 for the rest. */
MGK_TARGET static inline __attribute__((always_inline)) void
MGK_FN(strips)(size_t m, int mode, size_t nvec, size_t kdim, const MGK_T *A, size_t ars,
               size_t aks, const MGK_T *init, MGK_T *obase, const uint32_t *orows,
               size_t ostride, const MGK_T *bbase, int indexed, const uint32_t *brows,
               size_t bstride) {
    size_t r0 = 0;
    for (; r0 + MGK_MR <= m; r0 += MGK_MR) MGK_STRIP(MGK_MR);
    if (m - r0 >= 4) {
        MGK_STRIP(4);
        r0 += 4;
    }
    if (m - r0 >= 2) {
        MGK_STRIP(2);
        r0 += 2;
    }
    if (m - r0 >= 1) MGK_STRIP(1);
}
#undef MGK_STRIP

/* ==== dense rows: out = init + A . B over the lanes ===================================== */

/* B's rows are lane rows reached through brows; without init the out rows are added to
 * (a layer's input gradients). */
MGK_TARGET static void MGK_FN(gemm_rows)(size_t m, size_t kdim, const MGK_T *A, size_t ars,
                                         size_t aks, const MGK_T *init, MGK_T *obase,
                                         const uint32_t *orows, const MGK_T *bbase,
                                         const uint32_t *brows, size_t S) {
    size_t nvec = S / MGK_VL;
    int mode = init ? MG__TILE_INIT : MG__TILE_ACC;
    MGK_FN(strips)(m, mode, nvec, kdim, A, ars, aks, init, obase, orows, S, bbase, 1, brows, S);
}

/* ==== weight gradients: dW (+)= dY . X^T, summed over the lanes in order ================= */

/* sum over l < n of a[l] * b[l]: vector running sums, then the rest, in a fixed order */
MGK_TARGET static inline MGK_T MGK_FN(lanedot)(const MGK_T *a, const MGK_T *b, size_t n) {
    size_t nv = n / MGK_VL * MGK_VL;
    MGK_T s = 0;
    if (nv) {
        MGK_V acc = MGK_MUL(MGK_LOAD(a), MGK_LOAD(b));
        for (size_t l = MGK_VL; l < nv; l += MGK_VL) acc = MGK_FMA(MGK_LOAD(a + l), MGK_LOAD(b + l), acc);
        MGK_T part[MGK_VL];
        MGK_STORE(part, acc);
        for (size_t k = 0; k < MGK_VL; k++) s += part[k];
    }
    for (size_t l = nv; l < n; l++) s += a[l] * b[l];
    return s;
}

/* The same tile with the roles turned: out rows are dW's (inputs i where the tile had
 * lanes), k runs over the n lanes, A is dY (ars = S, aks = 1) and B's row l is XT's row l.
 * Inputs past the last whole vector are dot products along the lanes (lanedot) with row
 * V + xrows[i] * S. mode: MG__TILE_ACC, SET or ADD (the last two a sum from 0, for a
 * chunk's partial); the dot products follow it: dW += d, dW = 0 + d, dW += 0 + d. */
MGK_TARGET static void MGK_FN(gemm_dw)(size_t m, size_t nin, size_t n, const MGK_T *dY,
                                       size_t S, const MGK_T *XT, size_t ldx, const MGK_T *V,
                                       const uint32_t *xrows, MGK_T *dW, size_t ld, int mode) {
    size_t nvec = nin / MGK_VL;
    MGK_FN(strips)(m, mode, nvec, n, dY, S, 1, NULL, dW, NULL, ld, XT, 0, NULL, ldx);
    for (size_t i = nvec * MGK_VL; i < nin; i++) {
        const MGK_T *x = V + (size_t)xrows[i] * S;
        for (size_t o = 0; o < m; o++) {
            MGK_T d = MGK_FN(lanedot)(dY + o * S, x, n), *w = dW + o * ld + i;
            *w = mode == MG__TILE_SET ? (MGK_T)0 + d : mode == MG__TILE_ADD ? *w + ((MGK_T)0 + d) : *w + d;
        }
    }
}

/* ==== tanh ================================================================================ */

/* tanh|x| = e / (e + 2) with e = expm1(2|x|), and the sign of x put back. expm1(y) is
 * 2^k (p + 1) - 1 with y = k ln2 + r, |r| <= ln2/2 (ln2 split in two so k*ln2hi is exact)
 * and p = expm1(r) by its Taylor series to r^13 (truncation under 2e-17 relative; float
 * lanes use the same series). For |x| <= ln2/4, k = 0 and e = p keeps full relative
 * precision near 0; past |x| = 20 the result rounds to +-1 and the argument is clamped so
 * e stays finite. NaN passes through. */
MGK_TARGET static void MGK_FN(tanh)(size_t n, MGK_T *out, const MGK_T *in) {
    const MGK_V two = MGK_SET1(2), one = MGK_SET1(1), lim = MGK_SET1(20);
    const MGK_V invln2 = MGK_SET1((MGK_T)1.44269504088896338700e+00);
    const MGK_V ln2hi = MGK_SET1(MGK_LN2HI);
    const MGK_V ln2lo = MGK_SET1(MGK_LN2LO);
    for (size_t l = 0; l + MGK_VL <= n; l += MGK_VL) {
        MGK_V x = MGK_LOAD(in + l);
        MGK_V y = MGK_MUL(two, MGK_MIN(lim, MGK_ABS(x)));
        MGK_V kd = MGK_ROUND(MGK_MUL(y, invln2));
        MGK_V r = MGK_SUB(MGK_SUB(y, MGK_MUL(kd, ln2hi)), MGK_MUL(kd, ln2lo));
        MGK_V q = MGK_SET1((MGK_T)(1.0 / 6227020800.0));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 479001600.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 39916800.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 3628800.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 362880.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 40320.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 5040.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 720.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 120.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 24.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)(1.0 / 6.0)));
        q = MGK_FMA(q, r, MGK_SET1((MGK_T)0.5));
        MGK_V p = MGK_FMA(MGK_MUL(r, r), q, r);
        MGK_V s = MGK_POW2(kd);
        MGK_V e = MGK_ADD(MGK_MUL(s, p), MGK_SUB(s, one));
        MGK_STORE(out + l, MGK_COPYSIGN(MGK_DIV(e, MGK_ADD(e, two)), x));
    }
}

/* ==== sums over the lanes ================================================================= */

/* x[0] + ... + x[n-1] as VL running sums over the whole vectors, added up in lane order,
 * then the rest in order: a fixed order for a given n. */
MGK_TARGET static MGK_T MGK_FN(lanesum)(const MGK_T *x, size_t n) {
    size_t nv = n / MGK_VL * MGK_VL;
    MGK_T s = 0;
    if (nv) {
        MGK_V acc = MGK_LOAD(x);
        for (size_t l = MGK_VL; l < nv; l += MGK_VL) acc = MGK_ADD(acc, MGK_LOAD(x + l));
        MGK_T part[MGK_VL];
        MGK_STORE(part, acc);
        for (size_t k = 0; k < MGK_VL; k++) s += part[k];
    }
    for (size_t l = nv; l < n; l++) s += x[l];
    return s;
}

#else /* the plain C build: the same contracts, element by element */

/* Without fused multiply-adds these give bit for bit the eager engine's sums. */
MGK_TARGET static void MGK_FN(gemm_rows)(size_t m, size_t kdim, const MGK_T *A, size_t ars,
                                         size_t aks, const MGK_T *init, MGK_T *obase,
                                         const uint32_t *orows, const MGK_T *bbase,
                                         const uint32_t *brows, size_t S) {
    for (size_t r = 0; r < m; r++) {
        MGK_T *o = obase + (size_t)orows[r] * S;
        if (init)
            for (size_t l = 0; l < S; l++) o[l] = init[r];
        for (size_t k = 0; k < kdim; k++) {
            MGK_T a = A[r * ars + k * aks];
            const MGK_T *b = bbase + (size_t)brows[k] * S;
            for (size_t l = 0; l < S; l++) o[l] += a * b[l];
        }
    }
}

/* Each dW element a sum over the lanes in order, from the stored number (ACC) or from 0. */
MGK_TARGET static void MGK_FN(gemm_dw)(size_t m, size_t nin, size_t n, const MGK_T *dY,
                                       size_t S, const MGK_T *XT, size_t ldx, const MGK_T *V,
                                       const uint32_t *xrows, MGK_T *dW, size_t ld, int mode) {
    (void)V, (void)xrows;
    for (size_t o = 0; o < m; o++)
        for (size_t i = 0; i < nin; i++) {
            MGK_T *w = dW + o * ld + i, s = mode == MG__TILE_ACC ? *w : (MGK_T)0;
            for (size_t l = 0; l < n; l++) s += dY[o * S + l] * XT[l * ldx + i];
            *w = mode == MG__TILE_ADD ? *w + s : s;
        }
}

MGK_TARGET static MGK_T MGK_FN(lanesum)(const MGK_T *x, size_t n) {
    MGK_T s = 0;
    for (size_t l = 0; l < n; l++) s += x[l];
    return s;
}

#endif /* MGK_V */

/* ==== generic instructions over the lanes ================================================ */

/* Plain loops over n lanes with restrict rows (an output row is never an input row, and a
 * gradient row is only ever updated in a loop of its own, as an input may be the other
 * input too), so the compiler vectorises them: kernels.c asks GCC for -O3 on this file,
 * Clang does it at -O2. Each lane applies engine/ops.h's formula, inlined, so it gets the
 * eager engine's bits. The exceptions, each held to ops.h by tests/test_compile_ops.c:
 * tanh in the vector builds (MGK_FN(tanh) above), powc 2 written as a*a, and the uniform
 * program's L2 sum (range_dot_forward). */

MGK_TARGET static void MGK_FN(unary_forward)(mg_op op, size_t n, MGK_T *restrict y,
                                             const MGK_T *restrict a, double k) {
    switch (op) {
    case MG_OP_NEG: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(neg_fw)(a[l]); break;
    case MG_OP_POWC:
        if (k == 2.0) /* one correctly rounded product, vectorised; pow() may differ by 1 ulp */
            for (size_t l = 0; l < n; l++) y[l] = a[l] * a[l];
        else
            for (size_t l = 0; l < n; l++) y[l] = MGK_OP(powc_fw)(a[l], k);
        break;
    case MG_OP_EXP: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(exp_fw)(a[l]); break;
    case MG_OP_LOG: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(log_fw)(a[l]); break;
    case MG_OP_TANH:
#ifdef MGK_V
        if (n % MGK_VL == 0) {
            MGK_FN(tanh)(n, y, a);
            break;
        }
#endif
        for (size_t l = 0; l < n; l++) y[l] = MGK_OP(tanh_fw)(a[l]);
        break;
    case MG_OP_RELU: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(relu_fw)(a[l]); break;
    case MG_OP_SIGMOID: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(sigmoid_fw)(a[l]); break;
    case MG_OP_STEP: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(step_fw)(a[l]); break;
    default: MG_ASSERT(0, "instruction without a unary forward");
    }
}

MGK_TARGET static void MGK_FN(binary_forward)(mg_op op, size_t n, MGK_T *restrict y,
                                              const MGK_T *restrict a, const MGK_T *restrict b) {
    switch (op) {
    case MG_OP_ADD: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(add_fw)(a[l], b[l]); break;
    case MG_OP_SUB: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(sub_fw)(a[l], b[l]); break;
    case MG_OP_MUL: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(mul_fw)(a[l], b[l]); break;
    case MG_OP_DIV: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(div_fw)(a[l], b[l]); break;
    case MG_OP_POW: for (size_t l = 0; l < n; l++) y[l] = MGK_OP(pow_fw)(a[l], b[l]); break;
    default: MG_ASSERT(0, "instruction without a binary forward");
    }
}

/* ga += d/da for a unary op (the relu gate adds 0 where closed, which keeps the loop
 * branch-free; it differs from skipping only for a gradient of -0, and a lane's gradient,
 * starting at +0 and only ever added to, is never -0). */
MGK_TARGET static void MGK_FN(unary_backward)(mg_op op, size_t n, MGK_T *restrict ga,
                                              const MGK_T *restrict a,
                                              const MGK_T *restrict y,
                                              const MGK_T *restrict g, double k) {
    switch (op) {
    case MG_OP_NEG: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(neg_ga)(g[l]); break;
    case MG_OP_POWC:
        if (MGK_OP(powc_gate)(k))
            for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(powc_ga)(g[l], a[l], k);
        break;
    case MG_OP_EXP: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(exp_ga)(g[l], y[l]); break;
    case MG_OP_LOG: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(log_ga)(g[l], a[l]); break;
    case MG_OP_TANH: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(tanh_ga)(g[l], y[l]); break;
    case MG_OP_RELU:
        for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(relu_gate)(y[l]) ? MGK_OP(relu_ga)(g[l]) : (MGK_T)0;
        break;
    case MG_OP_SIGMOID: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(sigmoid_ga)(g[l], y[l]); break;
    case MG_OP_STEP: break; /* d/da 0 */
    default: MG_ASSERT(0, "instruction without a unary backward");
    }
}

/* ga += d/da of a binary op */
MGK_TARGET static void MGK_FN(binary_backward_a)(mg_op op, size_t n, MGK_T *restrict ga,
                                                 const MGK_T *restrict a,
                                                 const MGK_T *restrict b,
                                                 const MGK_T *restrict g) {
    switch (op) {
    case MG_OP_ADD: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(add_ga)(g[l]); break;
    case MG_OP_SUB: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(sub_ga)(g[l]); break;
    case MG_OP_MUL: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(mul_ga)(g[l], b[l]); break;
    case MG_OP_DIV: for (size_t l = 0; l < n; l++) ga[l] += MGK_OP(div_ga)(g[l], b[l]); break;
    case MG_OP_POW:
        for (size_t l = 0; l < n; l++)
            if (MGK_OP(pow_gate_a)(b[l])) ga[l] += MGK_OP(pow_ga)(g[l], a[l], b[l]);
        break;
    default: MG_ASSERT(0, "instruction without a binary backward");
    }
}

/* gb += d/db of a binary op */
MGK_TARGET static void MGK_FN(binary_backward_b)(mg_op op, size_t n, MGK_T *restrict gb,
                                                 const MGK_T *restrict a,
                                                 const MGK_T *restrict b,
                                                 const MGK_T *restrict y,
                                                 const MGK_T *restrict g) {
    switch (op) {
    case MG_OP_ADD: for (size_t l = 0; l < n; l++) gb[l] += MGK_OP(add_gb)(g[l]); break;
    case MG_OP_SUB: for (size_t l = 0; l < n; l++) gb[l] += MGK_OP(sub_gb)(g[l]); break;
    case MG_OP_MUL: for (size_t l = 0; l < n; l++) gb[l] += MGK_OP(mul_gb)(g[l], a[l]); break;
    case MG_OP_DIV: for (size_t l = 0; l < n; l++) gb[l] += MGK_OP(div_gb)(g[l], b[l], y[l]); break;
    case MG_OP_POW:
        for (size_t l = 0; l < n; l++)
            if (MGK_OP(pow_gate_b)(y[l])) gb[l] += MGK_OP(pow_gb)(g[l], a[l], y[l]);
        break;
    default: MG_ASSERT(0, "instruction without a binary backward");
    }
}

/* ---- sum and dot: m argument rows (args), each row S elements apart ---------------------- */

/* y = x1 + ... + xm, left to right from 0 */
MGK_TARGET static void MGK_FN(sum_forward)(size_t n, MGK_T *restrict y, const MGK_T *V,
                                           size_t S, const uint32_t *x, uint32_t m) {
    for (size_t l = 0; l < n; l++) y[l] = 0;
    for (uint32_t j = 0; j < m; j++) {
        const MGK_T *restrict xj = V + (size_t)x[j] * S;
        for (size_t l = 0; l < n; l++) y[l] = MGK_OP(add_fw)(y[l], xj[l]);
    }
}

MGK_TARGET static void MGK_FN(sum_backward)(size_t n, const MGK_T *restrict g, MGK_T *G,
                                            size_t S, const uint32_t *x, const uint8_t *need,
                                            uint32_t m) {
    for (uint32_t j = 0; j < m; j++) {
        if (!need[j]) continue;
        MGK_T *restrict gx = G + (size_t)x[j] * S;
        for (size_t l = 0; l < n; l++) gx[l] += MGK_OP(add_ga)(g[l]);
    }
}

/* The uniform program's dot over pairs (w0 + j, x0 + j) of one lane (an L2 penalty, the
 * flag MG__NEED_RANGE): four running sums, (s0 + s1) + (s2 + s3), instead of ops.h's one
 * left-to-right sum, so a long penalty is not one chain of dependent additions. The only
 * place the lanes sum in another order than the eager engine: within a few units of
 * rounding of the sum of |w x|. */
MGK_TARGET static MGK_T MGK_FN(range_dot_forward)(const MGK_T *restrict w,
                                                   const MGK_T *restrict x, size_t np) {
    MGK_T s4[4] = {0, 0, 0, 0};
    size_t q = 0;
    for (; q + 4 <= np; q += 4)
        for (size_t j = 0; j < 4; j++) s4[j] = MGK_OP(add_fw)(s4[j], MGK_OP(mul_fw)(w[q + j], x[q + j]));
    for (; q < np; q++) s4[0] = MGK_OP(add_fw)(s4[0], MGK_OP(mul_fw)(w[q], x[q]));
    return (s4[0] + s4[1]) + (s4[2] + s4[3]);
}

/* Its backward: the eager engine's order, pair by pair (w*w: both terms on one value). */
MGK_TARGET static void MGK_FN(range_dot_backward)(const MGK_T *V, MGK_T *G, const uint32_t *p,
                                                  const uint8_t *need, size_t np, double g) {
    const MGK_T *w = V + p[0], *x = V + p[1];
    MGK_T *gw = G + p[0], *gx = G + p[1];
    if (p[0] == p[1]) {
        if (need[0])
            for (size_t j = 0; j < np; j++)
                gw[j] += MGK_OP(mul_ga)(g, x[j]), gw[j] += MGK_OP(mul_gb)(g, w[j]);
        return;
    }
    for (size_t j = 0; j < np; j++) {
        if (need[2 * j]) gw[j] += MGK_OP(mul_ga)(g, x[j]);
        if (need[2 * j + 1]) gx[j] += MGK_OP(mul_gb)(g, w[j]);
    }
}

/* y = [b] + w1*x1 + ... + wm*xm over args [b] w1 x1 w2 x2 ..., as on the tape */
MGK_TARGET static void MGK_FN(dot_forward)(const mg__ins *in, const uint32_t *args, MGK_T *V,
                                           size_t S, size_t n) {
    MGK_T *restrict y = V + (size_t)in->out * S;
    const uint32_t *p = args + in->a;
    uint32_t m = in->b;
    if (m & 1u) {
        const MGK_T *restrict bias = V + (size_t)*p * S;
        for (size_t l = 0; l < n; l++) y[l] = bias[l];
        p++, m--;
    } else {
        for (size_t l = 0; l < n; l++) y[l] = 0;
    }
    if ((in->need & MG__NEED_RANGE) && S == 1) {
        y[0] = MGK_OP(add_fw)(y[0], MGK_FN(range_dot_forward)(V + p[0], V + p[1], m / 2));
        return;
    }
    for (const uint32_t *end = p + m; p < end; p += 2) {
        const MGK_T *restrict w = V + (size_t)p[0] * S, *restrict x = V + (size_t)p[1] * S;
        for (size_t l = 0; l < n; l++) y[l] = MGK_OP(add_fw)(y[l], MGK_OP(mul_fw)(w[l], x[l]));
    }
}

/* d/db 1, d/dwi xi, d/dxi wi */
MGK_TARGET static void MGK_FN(dot_backward)(const mg__ins *in, const uint32_t *args,
                                            const uint8_t *argneed, const MGK_T *V, MGK_T *G,
                                            size_t S, size_t n) {
    const MGK_T *restrict g = G + (size_t)in->out * S;
    const uint32_t *p = args + in->a;
    const uint8_t *need = argneed + in->a;
    uint32_t m = in->b;
    if (m & 1u) {
        MGK_FN(sum_backward)(n, g, G, S, p, need, 1);
        p++, need++, m--;
    }
    if ((in->need & MG__NEED_RANGE) && S == 1) {
        MGK_FN(range_dot_backward)(V, G, p, need, m / 2, g[0]);
        return;
    }
    for (const uint32_t *end = p + m; p < end; p += 2, need += 2) {
        const MGK_T *restrict w = V + (size_t)p[0] * S, *restrict x = V + (size_t)p[1] * S;
        if (need[0]) {
            MGK_T *restrict gw = G + (size_t)p[0] * S;
            for (size_t l = 0; l < n; l++) gw[l] += MGK_OP(mul_ga)(g[l], x[l]);
        }
        if (need[1]) {
            MGK_T *restrict gx = G + (size_t)p[1] * S;
            for (size_t l = 0; l < n; l++) gx[l] += MGK_OP(mul_gb)(g[l], w[l]);
        }
    }
}

/* ---- one instruction ------------------------------------------------------------------- */

MGK_TARGET static void MGK_FN(ins_forward)(const mg__ins *in, const uint32_t *args, MGK_T *V,
                                           size_t S, size_t n) {
    MGK_T *y = V + (size_t)in->out * S;
    const MGK_T *a = V + (size_t)in->a * S, *b = V + (size_t)in->b * S;
    switch ((mg_op)in->op) {
    case MG_OP_SUM: MGK_FN(sum_forward)(n, y, V, S, args + in->a, in->b); break;
    case MG_OP_DOT: MGK_FN(dot_forward)(in, args, V, S, n); break;
    case MG_OP_ADD:
    case MG_OP_SUB:
    case MG_OP_MUL:
    case MG_OP_DIV:
    case MG_OP_POW: MGK_FN(binary_forward)((mg_op)in->op, n, y, a, b); break;
    default: MGK_FN(unary_forward)((mg_op)in->op, n, y, a, in->k);
    }
}

/* need bit 0: input a wants its gradient, bit 1: input b (a and b may be one row) */
MGK_TARGET static void MGK_FN(ins_backward)(const mg__ins *in, const uint32_t *args,
                                            const uint8_t *argneed, const MGK_T *V, MGK_T *G,
                                            size_t S, size_t n) {
    const MGK_T *a = V + (size_t)in->a * S, *b = V + (size_t)in->b * S;
    const MGK_T *y = V + (size_t)in->out * S, *g = G + (size_t)in->out * S;
    switch ((mg_op)in->op) {
    case MG_OP_SUM: MGK_FN(sum_backward)(n, g, G, S, args + in->a, argneed + in->a, in->b); break;
    case MG_OP_DOT: MGK_FN(dot_backward)(in, args, argneed, V, G, S, n); break;
    case MG_OP_ADD:
    case MG_OP_SUB:
    case MG_OP_MUL:
    case MG_OP_DIV:
    case MG_OP_POW:
        if (in->need & 1) MGK_FN(binary_backward_a)((mg_op)in->op, n, G + (size_t)in->a * S, a, b, g);
        if (in->need & 2) MGK_FN(binary_backward_b)((mg_op)in->op, n, G + (size_t)in->b * S, a, b, y, g);
        break;
    default:
        if (in->need & 1) MGK_FN(unary_backward)((mg_op)in->op, n, G + (size_t)in->a * S, a, y, g, in->k);
    }
}

/* The template is included once per instruction set: its parameters go here. */
#undef MGK_FN
#undef MGK_TARGET
#undef MGK_T
#undef MGK_OP
#undef MGK_MR
#undef MGK_NV
#undef MGK_LN2HI
#undef MGK_LN2LO
#undef MGK_VL
#undef MGK_V
#undef MGK_LOAD
#undef MGK_STORE
#undef MGK_SET1
#undef MGK_ADD
#undef MGK_SUB
#undef MGK_MUL
#undef MGK_DIV
#undef MGK_FMA
#undef MGK_MIN
#undef MGK_ABS
#undef MGK_COPYSIGN
#undef MGK_ROUND
#undef MGK_POW2
