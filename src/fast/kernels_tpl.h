/* kernels_tpl.h - the vector kernels of src/kernels.c, written once and included once per
 * instruction set. The includer defines:
 *   MGK_FN(name)   the function's name with the instruction set's suffix
 *   MGK_TARGET     the function attribute that enables the instruction set
 *   MGK_VL         doubles per vector; MGK_V the vector type
 *   MGK_LOAD, MGK_STORE, MGK_SET1, MGK_ADD, MGK_SUB, MGK_MUL, MGK_DIV, MGK_FMA (a*b + c,
 *   one rounding), MGK_MIN (NaN in the second operand wins), MGK_ABS, MGK_COPYSIGN
 *   (magnitude >= 0, sign source), MGK_ROUND (to nearest), MGK_POW2 (2^k, k integral)
 * For the plain C build only MGK_FN and MGK_TARGET are defined: it gets the generic
 * instructions and none of the vector kernels.
 * No include guard: meant to be included several times. */

#ifdef MGK_V

/* ==== dense rows: out = init + A . B over the lanes ===================================== */

/* Rows are cut in tiles of 4 (then 1), lanes in runs of 4, 2 or 1 vectors; the tile's
 * accumulators stay in registers for a run of k. Each output element is summed over k in
 * order, so the result does not depend on the tiling. */
#define MGK_KBLOCK 256 /* k per pass: a run of B rows stays in the first-level cache */

MGK_TARGET static inline __attribute__((always_inline)) void
MGK_FN(rows_tile)(size_t mr, size_t nv, size_t k0, size_t k1, const double *A, size_t ars,
                  size_t aks, const double *init, double *const *orow, const double *bbase,
                  const uint32_t *brows, size_t S, size_t l0) {
    MGK_V acc[4][4];
#pragma GCC unroll 4
    for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++)
            acc[r][v] = init ? MGK_SET1(init[r]) : MGK_LOAD(orow[r] + l0 + v * MGK_VL);
    for (size_t k = k0; k < k1; k++) {
        const double *b = bbase + (size_t)brows[k] * S + l0;
        MGK_V bv[4];
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) bv[v] = MGK_LOAD(b + v * MGK_VL);
#pragma GCC unroll 4
        for (size_t r = 0; r < mr; r++) {
            MGK_V a = MGK_SET1(A[r * ars + k * aks]);
#pragma GCC unroll 4
            for (size_t v = 0; v < nv; v++) acc[r][v] = MGK_FMA(a, bv[v], acc[r][v]);
        }
    }
#pragma GCC unroll 4
    for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) MGK_STORE(orow[r] + l0 + v * MGK_VL, acc[r][v]);
}

MGK_TARGET static void MGK_FN(gemm_rows)(size_t m, size_t kdim, const double *A, size_t ars,
                                         size_t aks, const double *init, double *obase,
                                         const uint32_t *orows, const double *bbase,
                                         const uint32_t *brows, size_t S) {
    size_t nvec = S / MGK_VL;
    for (size_t k0 = 0; k0 < kdim || k0 == 0; k0 += MGK_KBLOCK) {
        size_t k1 = kdim - k0 < MGK_KBLOCK ? kdim : k0 + MGK_KBLOCK;
        /* init applies to the first pass only; later passes continue the stored sums */
        const double *in0 = k0 == 0 ? init : NULL;
        for (size_t r0 = 0; r0 < m;) {
            size_t mr = m - r0 >= 4 ? 4 : 1;
            double *orow[4];
            for (size_t r = 0; r < mr; r++) orow[r] = obase + (size_t)orows[r0 + r] * S;
            const double *Ar = A + r0 * ars, *ir = in0 ? in0 + r0 : NULL;
            for (size_t v0 = 0; v0 < nvec;) {
                size_t left = nvec - v0, l0 = v0 * MGK_VL;
                if (mr == 4 && left >= 4)
                    MGK_FN(rows_tile)(4, 4, k0, k1, Ar, ars, aks, ir, orow, bbase, brows, S, l0), v0 += 4;
                else if (mr == 4 && left >= 2)
                    MGK_FN(rows_tile)(4, 2, k0, k1, Ar, ars, aks, ir, orow, bbase, brows, S, l0), v0 += 2;
                else if (mr == 4)
                    MGK_FN(rows_tile)(4, 1, k0, k1, Ar, ars, aks, ir, orow, bbase, brows, S, l0), v0 += 1;
                else if (left >= 4)
                    MGK_FN(rows_tile)(1, 4, k0, k1, Ar, ars, aks, ir, orow, bbase, brows, S, l0), v0 += 4;
                else if (left >= 2)
                    MGK_FN(rows_tile)(1, 2, k0, k1, Ar, ars, aks, ir, orow, bbase, brows, S, l0), v0 += 2;
                else
                    MGK_FN(rows_tile)(1, 1, k0, k1, Ar, ars, aks, ir, orow, bbase, brows, S, l0), v0 += 1;
            }
            r0 += mr;
        }
        if (kdim == 0) break;
    }
}

/* ==== weight gradients: dW += dY . X^T, summed over the lanes in order =================== */

MGK_TARGET static inline __attribute__((always_inline)) void
MGK_FN(dw_tile)(size_t mr, size_t nv, size_t n, const double *dY, size_t S, const double *XT,
                size_t ldx, double *dW, size_t ld, size_t i0) {
    MGK_V acc[4][4];
#pragma GCC unroll 4
    for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) acc[r][v] = MGK_LOAD(dW + r * ld + i0 + v * MGK_VL);
    for (size_t l = 0; l < n; l++) {
        const double *x = XT + l * ldx + i0;
        MGK_V xv[4];
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) xv[v] = MGK_LOAD(x + v * MGK_VL);
#pragma GCC unroll 4
        for (size_t r = 0; r < mr; r++) {
            MGK_V a = MGK_SET1(dY[r * S + l]);
#pragma GCC unroll 4
            for (size_t v = 0; v < nv; v++) acc[r][v] = MGK_FMA(a, xv[v], acc[r][v]);
        }
    }
#pragma GCC unroll 4
    for (size_t r = 0; r < mr; r++)
#pragma GCC unroll 4
        for (size_t v = 0; v < nv; v++) MGK_STORE(dW + r * ld + i0 + v * MGK_VL, acc[r][v]);
}

/* sum over l < n of a[l] * b[l]: vector running sums, then the rest, in a fixed order */
MGK_TARGET static inline double MGK_FN(lanedot)(const double *a, const double *b, size_t n) {
    size_t nv = n / MGK_VL * MGK_VL;
    double s = 0.0;
    if (nv) {
        MGK_V acc = MGK_MUL(MGK_LOAD(a), MGK_LOAD(b));
        for (size_t l = MGK_VL; l < nv; l += MGK_VL) acc = MGK_FMA(MGK_LOAD(a + l), MGK_LOAD(b + l), acc);
        double part[MGK_VL];
        MGK_STORE(part, acc);
        for (size_t k = 0; k < MGK_VL; k++) s += part[k];
    }
    for (size_t l = nv; l < n; l++) s += a[l] * b[l];
    return s;
}

MGK_TARGET static void MGK_FN(gemm_dw)(size_t m, size_t nin, size_t n, const double *dY,
                                       size_t S, const double *XT, size_t ldx,
                                       const double *const *xr, double *dW, size_t ld) {
    size_t nvec = nin / MGK_VL;
    for (size_t o0 = 0; o0 < m;) {
        size_t mr = m - o0 >= 4 ? 4 : 1;
        const double *y = dY + o0 * S;
        double *w = dW + o0 * ld;
        for (size_t v0 = 0; v0 < nvec;) {
            size_t left = nvec - v0, i0 = v0 * MGK_VL;
            if (mr == 4 && left >= 4)
                MGK_FN(dw_tile)(4, 4, n, y, S, XT, ldx, w, ld, i0), v0 += 4;
            else if (mr == 4 && left >= 2)
                MGK_FN(dw_tile)(4, 2, n, y, S, XT, ldx, w, ld, i0), v0 += 2;
            else if (mr == 4)
                MGK_FN(dw_tile)(4, 1, n, y, S, XT, ldx, w, ld, i0), v0 += 1;
            else if (left >= 4)
                MGK_FN(dw_tile)(1, 4, n, y, S, XT, ldx, w, ld, i0), v0 += 4;
            else if (left >= 2)
                MGK_FN(dw_tile)(1, 2, n, y, S, XT, ldx, w, ld, i0), v0 += 2;
            else
                MGK_FN(dw_tile)(1, 1, n, y, S, XT, ldx, w, ld, i0), v0 += 1;
        }
        /* inputs past the last whole vector: dot products along the lanes */
        for (size_t r = 0; r < mr; r++)
            for (size_t i = nvec * MGK_VL; i < nin; i++) w[r * ld + i] += MGK_FN(lanedot)(y + r * S, xr[i], n);
        o0 += mr;
    }
}

/* ==== tanh ================================================================================ */

/* tanh|x| = e / (e + 2) with e = expm1(2|x|), and the sign of x put back. expm1(y) is
 * 2^k (p + 1) - 1 with y = k ln2 + r, |r| <= ln2/2 (ln2 split in two so k*ln2hi is exact)
 * and p = expm1(r) by its Taylor series to r^13 (truncation under 2e-17 relative). For
 * |x| <= ln2/4, k = 0 and e = p keeps full relative precision near 0; past |x| = 20 the
 * result rounds to +-1 and the argument is clamped so e stays finite. NaN passes through. */
MGK_TARGET static void MGK_FN(tanh)(size_t n, double *out, const double *in) {
    const MGK_V two = MGK_SET1(2.0), one = MGK_SET1(1.0), lim = MGK_SET1(20.0);
    const MGK_V invln2 = MGK_SET1(1.44269504088896338700e+00);
    const MGK_V ln2hi = MGK_SET1(6.93147180369123816490e-01);
    const MGK_V ln2lo = MGK_SET1(1.90821492927058770002e-10);
    for (size_t l = 0; l + MGK_VL <= n; l += MGK_VL) {
        MGK_V x = MGK_LOAD(in + l);
        MGK_V y = MGK_MUL(two, MGK_MIN(lim, MGK_ABS(x)));
        MGK_V kd = MGK_ROUND(MGK_MUL(y, invln2));
        MGK_V r = MGK_SUB(MGK_SUB(y, MGK_MUL(kd, ln2hi)), MGK_MUL(kd, ln2lo));
        MGK_V q = MGK_SET1(1.0 / 6227020800.0);
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 479001600.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 39916800.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 3628800.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 362880.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 40320.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 5040.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 720.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 120.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 24.0));
        q = MGK_FMA(q, r, MGK_SET1(1.0 / 6.0));
        q = MGK_FMA(q, r, MGK_SET1(0.5));
        MGK_V p = MGK_FMA(MGK_MUL(r, r), q, r);
        MGK_V s = MGK_POW2(kd);
        MGK_V e = MGK_ADD(MGK_MUL(s, p), MGK_SUB(s, one));
        MGK_STORE(out + l, MGK_COPYSIGN(MGK_DIV(e, MGK_ADD(e, two)), x));
    }
}

/* ==== sums over the lanes ================================================================= */

/* x[0] + ... + x[n-1] as VL running sums over the whole vectors, added up in lane order,
 * then the rest in order: a fixed order for a given n. */
MGK_TARGET static double MGK_FN(lanesum)(const double *x, size_t n) {
    size_t nv = n / MGK_VL * MGK_VL;
    double s = 0.0;
    if (nv) {
        MGK_V acc = MGK_LOAD(x);
        for (size_t l = MGK_VL; l < nv; l += MGK_VL) acc = MGK_ADD(acc, MGK_LOAD(x + l));
        double part[MGK_VL];
        MGK_STORE(part, acc);
        for (size_t k = 0; k < MGK_VL; k++) s += part[k];
    }
    for (size_t l = nv; l < n; l++) s += x[l];
    return s;
}

#undef MGK_KBLOCK
#endif /* MGK_V */

/* ==== generic instructions over the lanes ================================================ */

/* Plain loops over the lanes with restrict rows (an output row is never an input row), so
 * the compiler vectorises them (kernels.c asks GCC for -O3 on this file; Clang does it at
 * -O2). Formulas are src/ops.c's, so each lane gets the eager engine's bits. */
#define MGK_EACH(stmt)                                                                      \
    do {                                                                                    \
        for (size_t l = 0; l < n; l++) stmt;                                                \
    } while (0)
#define MGK_ROW(r) (V + (size_t)(r) * S)
#define MGK_GROW(r) (G + (size_t)(r) * S)

MGK_TARGET static void MGK_FN(ins_forward)(const mg__ins *in, const uint32_t *args, double *V,
                                           size_t S, size_t n) {
    double *restrict o = MGK_ROW(in->out);
    const double *restrict a = MGK_ROW(in->a);
    const double *restrict b = MGK_ROW(in->b);
    double k = in->k;
    switch ((mg_op)in->op) {
    case MG_OP_ADD: MGK_EACH(o[l] = a[l] + b[l]); break;
    case MG_OP_SUB: MGK_EACH(o[l] = a[l] - b[l]); break;
    case MG_OP_MUL: MGK_EACH(o[l] = a[l] * b[l]); break;
    case MG_OP_DIV: MGK_EACH(o[l] = a[l] / b[l]); break;
    case MG_OP_NEG: MGK_EACH(o[l] = -a[l]); break;
    case MG_OP_POWC:
        if (k == 2.0) MGK_EACH(o[l] = a[l] * a[l]); /* pow(x, 2) is exactly x*x */
        else MGK_EACH(o[l] = pow(a[l], k));
        break;
    case MG_OP_POW: MGK_EACH(o[l] = pow(a[l], b[l])); break;
    case MG_OP_EXP: MGK_EACH(o[l] = exp(a[l])); break;
    case MG_OP_LOG: MGK_EACH(o[l] = log(a[l])); break;
    case MG_OP_TANH:
#ifdef MGK_V
        if (n % MGK_VL == 0) {
            MGK_FN(tanh)(n, o, a);
            break;
        }
#endif
        MGK_EACH(o[l] = tanh(a[l]));
        break;
    case MG_OP_RELU: MGK_EACH(o[l] = a[l] < 0.0 ? 0.0 : a[l]); break;
    case MG_OP_SIGMOID: MGK_EACH(o[l] = sigmoid1(a[l])); break;
    case MG_OP_SUM: {
        const uint32_t *x = args + in->a;
        MGK_EACH(o[l] = 0.0);
        for (uint32_t j = 0; j < in->b; j++) {
            const double *restrict xj = MGK_ROW(x[j]);
            MGK_EACH(o[l] += xj[l]);
        }
        break;
    }
    case MG_OP_DOT: { /* args: [b] w0 x0 w1 x1 ... as on the tape */
        const uint32_t *p = args + in->a;
        uint32_t m = in->b;
        if (m & 1u) {
            const double *restrict bias = MGK_ROW(*p);
            p++, m--;
            MGK_EACH(o[l] = bias[l]);
        } else {
            MGK_EACH(o[l] = 0.0);
        }
        if ((in->need & MG__NEED_RANGE) && S == 1) { /* an L2 penalty: 4 running sums */
            const double *restrict w = V + p[0], *restrict x = V + p[1];
            double s4[4] = {0, 0, 0, 0};
            size_t np = m / 2, q = 0;
            for (; q + 4 <= np; q += 4)
                for (size_t j = 0; j < 4; j++) s4[j] += w[q + j] * x[q + j];
            for (; q < np; q++) s4[0] += w[q] * x[q];
            o[0] += (s4[0] + s4[1]) + (s4[2] + s4[3]);
            break;
        }
        for (uint32_t j = 0; j < m; j += 2) {
            const double *restrict w = MGK_ROW(p[j]), *restrict x = MGK_ROW(p[j + 1]);
            MGK_EACH(o[l] += w[l] * x[l]);
        }
        break;
    }
    default: MG_ASSERT(0, "instruction without a generic forward");
    }
}

/* Each input's gradient is updated in its own loop (an input may appear twice). */
MGK_TARGET static void MGK_FN(ins_backward)(const mg__ins *in, const uint32_t *args,
                                            const uint8_t *argneed, const double *V, double *G,
                                            size_t S, size_t n) {
    const double *restrict o = MGK_ROW(in->out), *restrict g = MGK_GROW(in->out);
    const double *restrict a = MGK_ROW(in->a), *restrict b = MGK_ROW(in->b);
    int na = in->need & 1, nb = in->need & 2;
    double k = in->k;
#define MGK_GA(stmt)                                                                        \
    if (na) {                                                                               \
        double *restrict ga = MGK_GROW(in->a);                                              \
        MGK_EACH(stmt);                                                                     \
    }
#define MGK_GB(stmt)                                                                        \
    if (nb) {                                                                               \
        double *restrict gb = MGK_GROW(in->b);                                              \
        MGK_EACH(stmt);                                                                     \
    }
    switch ((mg_op)in->op) {
    case MG_OP_ADD: /* d/da 1, d/db 1 */
        MGK_GA(ga[l] += g[l]);
        MGK_GB(gb[l] += g[l]);
        break;
    case MG_OP_SUB: /* d/da 1, d/db -1 */
        MGK_GA(ga[l] += g[l]);
        MGK_GB(gb[l] -= g[l]);
        break;
    case MG_OP_MUL: /* d/da b, d/db a */
        MGK_GA(ga[l] += b[l] * g[l]);
        MGK_GB(gb[l] += a[l] * g[l]);
        break;
    case MG_OP_DIV: /* d/da 1/b, d/db -out/b */
        MGK_GA(ga[l] += g[l] / b[l]);
        MGK_GB(gb[l] -= g[l] * o[l] / b[l]);
        break;
    case MG_OP_NEG: MGK_GA(ga[l] -= g[l]); break; /* d/da -1 */
    case MG_OP_POWC: /* d/da k a^(k-1) */
        if (k != 0.0) MGK_GA(ga[l] += k * pow(a[l], k - 1.0) * g[l]);
        break;
    case MG_OP_POW: /* d/da b a^(b-1), d/db a^b ln a (0 where a^b = 0) */
        MGK_GA(if (b[l] != 0.0) ga[l] += b[l] * pow(a[l], b[l] - 1.0) * g[l]);
        MGK_GB(if (o[l] != 0.0) gb[l] += o[l] * log(a[l]) * g[l]);
        break;
    case MG_OP_EXP: MGK_GA(ga[l] += o[l] * g[l]); break;                 /* d/da e^a */
    case MG_OP_LOG: MGK_GA(ga[l] += g[l] / a[l]); break;                 /* d/da 1/a */
    case MG_OP_TANH: MGK_GA(ga[l] += (1.0 - o[l] * o[l]) * g[l]); break; /* 1 - tanh^2 */
    case MG_OP_RELU: /* d/da [a > 0]; adding 0 where not keeps the loop branch-free */
        MGK_GA(ga[l] += o[l] > 0.0 ? g[l] : 0.0);
        break;
    case MG_OP_SIGMOID: MGK_GA(ga[l] += o[l] * (1.0 - o[l]) * g[l]); break; /* s (1 - s) */
    case MG_OP_SUM: {
        const uint32_t *x = args + in->a;
        const uint8_t *need = argneed + in->a;
        for (uint32_t j = 0; j < in->b; j++) {
            if (!need[j]) continue;
            double *restrict gx = MGK_GROW(x[j]);
            MGK_EACH(gx[l] += g[l]);
        }
        break;
    }
    case MG_OP_DOT: { /* d/db 1, d/dwi xi, d/dxi wi */
        const uint32_t *p = args + in->a;
        const uint8_t *need = argneed + in->a;
        uint32_t m = in->b;
        if (m & 1u) {
            if (*need) {
                double *restrict gbias = MGK_GROW(*p);
                MGK_EACH(gbias[l] += g[l]);
            }
            p++, need++, m--;
        }
        if ((in->need & MG__NEED_RANGE) && S == 1) { /* pairs at w0 + k, x0 + k */
            size_t np = m / 2;
            const double *w = V + p[0], *x = V + p[1];
            double *gw = G + p[0], *gx = G + p[1], gg = g[0];
            if (p[0] == p[1]) { /* w*w: both updates land on the same value */
                if (need[0])
                    for (size_t j = 0; j < np; j++) gw[j] += x[j] * gg, gw[j] += w[j] * gg;
                break;
            }
            for (size_t j = 0; j < np; j++) {
                if (need[2 * j]) gw[j] += x[j] * gg;
                if (need[2 * j + 1]) gx[j] += w[j] * gg;
            }
            break;
        }
        for (uint32_t j = 0; j < m; j += 2) {
            const double *restrict w = MGK_ROW(p[j]), *restrict x = MGK_ROW(p[j + 1]);
            if (need[j]) {
                double *restrict gw = MGK_GROW(p[j]);
                MGK_EACH(gw[l] += x[l] * g[l]);
            }
            if (need[j + 1]) {
                double *restrict gx = MGK_GROW(p[j + 1]);
                MGK_EACH(gx[l] += w[l] * g[l]);
            }
        }
        break;
    }
    default: MG_ASSERT(0, "instruction without a generic backward");
    }
#undef MGK_GA
#undef MGK_GB
}

#undef MGK_EACH
#undef MGK_ROW
#undef MGK_GROW

/* The template is included once per instruction set: its parameters go here. */
#undef MGK_FN
#undef MGK_TARGET
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
