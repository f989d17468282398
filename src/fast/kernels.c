/* kernels.c - what a compiled tape runs over its lanes: each op's forward and backward as a
 * loop over the lanes (engine/ops.h's formulas, so one lane gives the eager numbers; float32
 * lanes ops32.h's), and the vector kernels for dense layers and tanh, built for AVX-512,
 * AVX2+FMA and plain C, for float64 and float32 lanes, and picked at run time by what the
 * CPU has. */
#include "compile_internal.h"
#include "ops32.h"

#include <math.h>

/* GCC vectorises the lane loops only at -O3; contraction stays off so a lane computes
 * exactly what the eager engine does (fused multiply-adds only where written). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "fp-contract=off")
#endif

/* ==== generic instructions ================================================================ */

/* The per-op lane loops are in kernels_tpl.h with the vector kernels, so they are built for
 * each instruction set too; here the plain C builds of them, for both element types. */
#define MGK_FN(name) name##_c
#define MGK_TARGET
#define MGK_T double
#define MGK_OP(name) mg__##name
#include "kernels_tpl.h"
#define MGK_FN(name) name##_cf
#define MGK_TARGET
#define MGK_T float
#define MGK_OP(name) mgf__##name
#include "kernels_tpl.h"

void mg__ins_forward(const mg__ins *in, const uint32_t *args, double *V, size_t S, size_t n,
                     const mg__kernels *k) {
    (k ? k->fw : ins_forward_c)(in, args, V, S, n);
}

void mg__ins_backward(const mg__ins *in, const uint32_t *args, const uint8_t *argneed,
                      const double *V, double *G, size_t S, size_t n, const mg__kernels *k) {
    (k ? k->bw : ins_backward_c)(in, args, argneed, V, G, S, n);
}

/* ==== transposes ========================================================================== */

/* dst[k*ldd + r] = rows[r][k] for r < nr, k < nc, in tiles of t x t done by tile() (NULL:
 * element by element) and the edges element by element. */
static void transpose_tiled(size_t nr, size_t nc, const double *const *rows, double *dst,
                            size_t ldd, size_t t,
                            void (*tile)(const double *const *rows, size_t c0, double *dst, size_t ldd)) {
    size_t nrt = tile ? nr / t * t : 0, nct = tile ? nc / t * t : 0;
    for (size_t r0 = 0; r0 < nrt; r0 += t)
        for (size_t c0 = 0; c0 < nct; c0 += t) tile(rows + r0, c0, dst + c0 * ldd + r0, ldd);
    for (size_t r = 0; r < nr; r++) /* the right edge, then the bottom edge */
        for (size_t k = r < nrt ? nct : 0; k < nc; k++) dst[k * ldd + r] = rows[r][k];
}

static void transpose_c(size_t nr, size_t nc, const double *const *rows, double *dst, size_t ldd) {
    transpose_tiled(nr, nc, rows, dst, ldd, 1, NULL);
}

/* float32 lanes: dst[k*ldd + r] = rows[r][k], and the same from float64 rows (rounded) */
static void transpose_cf(size_t nr, size_t nc, const float *const *rows, float *dst, size_t ldd) {
    for (size_t r = 0; r < nr; r++)
        for (size_t k = 0; k < nc; k++) dst[k * ldd + r] = rows[r][k];
}
static void load_cf(size_t nr, size_t nc, const double *const *rows, float *dst, size_t ldd) {
    for (size_t r = 0; r < nr; r++)
        for (size_t k = 0; k < nc; k++) dst[k * ldd + r] = (float)rows[r][k];
}

static const mg__kernels kernels_c = {
    "portable", gemm_rows_c, gemm_dw_c, NULL, ins_forward_c, ins_backward_c, lanesum_c, transpose_c,
    {gemm_rows_cf, gemm_dw_cf, NULL, ins_forward_cf, ins_backward_cf, lanesum_cf, transpose_cf, load_cf}};

/* ==== vector kernels (x86-64 with GCC or Clang) =========================================== */

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#define MG__HAVE_X86 1
#include <immintrin.h>

/* AVX2 + FMA: 4 doubles per vector. */
/* 4 x 4 tile: pairs interleaved, then 128-bit halves swapped. */
__attribute__((target("avx2,fma"))) static void tile_avx2(const double *const *rows, size_t c0,
                                                           double *dst, size_t ldd) {
    __m256d a0 = _mm256_loadu_pd(rows[0] + c0), a1 = _mm256_loadu_pd(rows[1] + c0);
    __m256d a2 = _mm256_loadu_pd(rows[2] + c0), a3 = _mm256_loadu_pd(rows[3] + c0);
    __m256d t0 = _mm256_unpacklo_pd(a0, a1), t1 = _mm256_unpackhi_pd(a0, a1);
    __m256d t2 = _mm256_unpacklo_pd(a2, a3), t3 = _mm256_unpackhi_pd(a2, a3);
    _mm256_storeu_pd(dst, _mm256_permute2f128_pd(t0, t2, 0x20));
    _mm256_storeu_pd(dst + ldd, _mm256_permute2f128_pd(t1, t3, 0x20));
    _mm256_storeu_pd(dst + 2 * ldd, _mm256_permute2f128_pd(t0, t2, 0x31));
    _mm256_storeu_pd(dst + 3 * ldd, _mm256_permute2f128_pd(t1, t3, 0x31));
}
__attribute__((target("avx2,fma"))) static void transpose_avx2(size_t nr, size_t nc,
                                                                const double *const *rows,
                                                                double *dst, size_t ldd) {
    transpose_tiled(nr, nc, rows, dst, ldd, 4, tile_avx2);
}

#define MGK_FN(name) name##_avx2
#define MGK_TARGET __attribute__((target("avx2,fma")))
#define MGK_T double
#define MGK_OP(name) mg__##name
#define MGK_VL 4
#define MGK_MR 6 /* 6 x 2 vectors: 12 accumulators, 2 lane vectors and a broadcast of 16 */
#define MGK_NV 2
#define MGK_LN2HI 6.93147180369123816490e-01
#define MGK_LN2LO 1.90821492927058770002e-10
#define MGK_V __m256d
#define MGK_LOAD _mm256_loadu_pd
#define MGK_STORE _mm256_storeu_pd
#define MGK_SET1 _mm256_set1_pd
#define MGK_ADD _mm256_add_pd
#define MGK_SUB _mm256_sub_pd
#define MGK_MUL _mm256_mul_pd
#define MGK_DIV _mm256_div_pd
#define MGK_FMA _mm256_fmadd_pd
#define MGK_MIN _mm256_min_pd
#define MGK_ABS(x) _mm256_andnot_pd(_mm256_set1_pd(-0.0), (x))
#define MGK_COPYSIGN(m, s) _mm256_or_pd((m), _mm256_and_pd((s), _mm256_set1_pd(-0.0)))
#define MGK_ROUND(x) _mm256_round_pd((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define MGK_POW2(k)                                                                         \
    _mm256_castsi256_pd(_mm256_slli_epi64(                                                  \
        _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(k)), _mm256_set1_epi64x(1023)), 52))
#include "kernels_tpl.h" /* it #undefs its MGK_ parameters */

/* AVX2 + FMA over float32 lanes: 8 floats per vector. */
#define MGK_FN(name) name##_avx2f
#define MGK_TARGET __attribute__((target("avx2,fma")))
#define MGK_T float
#define MGK_OP(name) mgf__##name
#define MGK_VL 8
#define MGK_MR 6
#define MGK_NV 2
#define MGK_LN2HI 0.693359375f /* cephes' split: k * ln2hi is exact in float */
#define MGK_LN2LO (-2.12194440e-4f)
#define MGK_V __m256
#define MGK_LOAD _mm256_loadu_ps
#define MGK_STORE _mm256_storeu_ps
#define MGK_SET1 _mm256_set1_ps
#define MGK_ADD _mm256_add_ps
#define MGK_SUB _mm256_sub_ps
#define MGK_MUL _mm256_mul_ps
#define MGK_DIV _mm256_div_ps
#define MGK_FMA _mm256_fmadd_ps
#define MGK_MIN _mm256_min_ps
#define MGK_ABS(x) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (x))
#define MGK_COPYSIGN(m, s) _mm256_or_ps((m), _mm256_and_ps((s), _mm256_set1_ps(-0.0f)))
#define MGK_ROUND(x) _mm256_round_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define MGK_POW2(k)                                                                         \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23))
#include "kernels_tpl.h"

/* 8 x 8 tile: rows interleaved in pairs, then in fours, then in eights (2-source
 * permutes pick the halves and quarters). */
__attribute__((target("avx512f"))) static void tile_avx512(const double *const *rows, size_t c0,
                                                            double *dst, size_t ldd) {
    __m512d a[8], t[8], u[8];
    for (int i = 0; i < 8; i++) a[i] = _mm512_loadu_pd(rows[i] + c0);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_pd(a[i], a[i + 1]);     /* r_i[0] r_i+1[0] r_i[2] ... */
        t[i + 1] = _mm512_unpackhi_pd(a[i], a[i + 1]); /* r_i[1] r_i+1[1] r_i[3] ... */
    }
    const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (int i = 0; i < 8; i += 4) {
        u[i] = _mm512_permutex2var_pd(t[i], lo, t[i + 2]);         /* cols 0, 4 of 4 rows */
        u[i + 1] = _mm512_permutex2var_pd(t[i], hi, t[i + 2]);     /* cols 2, 6 */
        u[i + 2] = _mm512_permutex2var_pd(t[i + 1], lo, t[i + 3]); /* cols 1, 5 */
        u[i + 3] = _mm512_permutex2var_pd(t[i + 1], hi, t[i + 3]); /* cols 3, 7 */
    }
    const __m512i first = _mm512_set_epi64(11, 10, 9, 8, 3, 2, 1, 0);
    const __m512i second = _mm512_set_epi64(15, 14, 13, 12, 7, 6, 5, 4);
    static const int col[4] = {0, 2, 1, 3};
    for (int j = 0; j < 4; j++) {
        _mm512_storeu_pd(dst + (size_t)col[j] * ldd, _mm512_permutex2var_pd(u[j], first, u[j + 4]));
        _mm512_storeu_pd(dst + (size_t)(col[j] + 4) * ldd, _mm512_permutex2var_pd(u[j], second, u[j + 4]));
    }
}
__attribute__((target("avx512f"))) static void transpose_avx512(size_t nr, size_t nc,
                                                                  const double *const *rows,
                                                                  double *dst, size_t ldd) {
    transpose_tiled(nr, nc, rows, dst, ldd, 8, tile_avx512);
}

/* AVX-512F: 8 doubles per vector (sign operations through the integer view, which
 * AVX-512F has without the DQ extension). */
#define MGK_FN(name) name##_avx512
#define MGK_TARGET __attribute__((target("avx512f")))
#define MGK_T double
#define MGK_OP(name) mg__##name
#define MGK_VL 8
#define MGK_MR 6 /* 6 x 4 vectors: 24 accumulators of 32 (the analysis: +20% over 4 x 4) */
#define MGK_NV 4
#define MGK_LN2HI 6.93147180369123816490e-01
#define MGK_LN2LO 1.90821492927058770002e-10
#define MGK_V __m512d
#define MGK_LOAD _mm512_loadu_pd
#define MGK_STORE _mm512_storeu_pd
#define MGK_SET1 _mm512_set1_pd
#define MGK_ADD _mm512_add_pd
#define MGK_SUB _mm512_sub_pd
#define MGK_MUL _mm512_mul_pd
#define MGK_DIV _mm512_div_pd
#define MGK_FMA _mm512_fmadd_pd
#define MGK_MIN _mm512_min_pd
#define MGK_ABS(x)                                                                          \
    _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(x), _mm512_set1_epi64(INT64_MAX)))
#define MGK_COPYSIGN(m, s)                                                                  \
    _mm512_castsi512_pd(_mm512_or_si512(                                                    \
        _mm512_castpd_si512(m), _mm512_and_si512(_mm512_castpd_si512(s), _mm512_set1_epi64(INT64_MIN))))
#define MGK_ROUND(x) _mm512_roundscale_pd((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define MGK_POW2(k) _mm512_scalef_pd(_mm512_set1_pd(1.0), (k))
#include "kernels_tpl.h" /* it #undefs its MGK_ parameters */

/* AVX-512F over float32 lanes: 16 floats per vector. */
#define MGK_FN(name) name##_avx512f
#define MGK_TARGET __attribute__((target("avx512f")))
#define MGK_T float
#define MGK_OP(name) mgf__##name
#define MGK_VL 16
#define MGK_MR 6
#define MGK_NV 4
#define MGK_LN2HI 0.693359375f
#define MGK_LN2LO (-2.12194440e-4f)
#define MGK_V __m512
#define MGK_LOAD _mm512_loadu_ps
#define MGK_STORE _mm512_storeu_ps
#define MGK_SET1 _mm512_set1_ps
#define MGK_ADD _mm512_add_ps
#define MGK_SUB _mm512_sub_ps
#define MGK_MUL _mm512_mul_ps
#define MGK_DIV _mm512_div_ps
#define MGK_FMA _mm512_fmadd_ps
#define MGK_MIN _mm512_min_ps
#define MGK_ABS(x)                                                                          \
    _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MAX)))
#define MGK_COPYSIGN(m, s)                                                                  \
    _mm512_castsi512_ps(_mm512_or_si512(                                                    \
        _mm512_castps_si512(m), _mm512_and_si512(_mm512_castps_si512(s), _mm512_set1_epi32(INT32_MIN))))
#define MGK_ROUND(x) _mm512_roundscale_ps((x), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
#define MGK_POW2(k) _mm512_scalef_ps(_mm512_set1_ps(1.0f), (k))
#include "kernels_tpl.h"

/* float32 lanes: an 8 x 8 tile of floats (pairs interleaved, then fours, then the 128-bit
 * halves), and 8 rows x 4 columns of float64 rounded to float (4 x 4 within each half). */
__attribute__((target("avx2,fma"))) static void tile_avx2f(const float *const *rows, size_t c0,
                                                            float *dst, size_t ldd) {
    __m256 r[8], t[8], u[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(rows[i] + c0);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int h = 0; h < 8; h += 4) { /* rows h .. h+3: columns 0|4, 1|5, 2|6, 3|7 */
        u[h] = _mm256_shuffle_ps(t[h], t[h + 2], 0x44);
        u[h + 1] = _mm256_shuffle_ps(t[h], t[h + 2], 0xEE);
        u[h + 2] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0x44);
        u[h + 3] = _mm256_shuffle_ps(t[h + 1], t[h + 3], 0xEE);
    }
    for (int k = 0; k < 4; k++) {
        _mm256_storeu_ps(dst + (size_t)k * ldd, _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
        _mm256_storeu_ps(dst + (size_t)(k + 4) * ldd, _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
    }
}
__attribute__((target("avx2,fma"))) static void transpose_avx2f(size_t nr, size_t nc,
                                                                 const float *const *rows,
                                                                 float *dst, size_t ldd) {
    size_t nrt = nr / 8 * 8, nct = nc / 8 * 8;
    for (size_t r0 = 0; r0 < nrt; r0 += 8)
        for (size_t c0 = 0; c0 < nct; c0 += 8) tile_avx2f(rows + r0, c0, dst + c0 * ldd + r0, ldd);
    for (size_t r = 0; r < nr; r++)
        for (size_t k = r < nrt ? nct : 0; k < nc; k++) dst[k * ldd + r] = rows[r][k];
}
__attribute__((target("avx2,fma"))) static void load_avx2f(size_t nr, size_t nc,
                                                            const double *const *rows,
                                                            float *dst, size_t ldd) {
    size_t nrt = nr / 8 * 8, nct = nc / 4 * 4;
    for (size_t r0 = 0; r0 < nrt; r0 += 8)
        for (size_t c0 = 0; c0 < nct; c0 += 4) {
            __m256 t[4];
            for (int i = 0; i < 4; i++) /* rows i | i+4, columns c0 .. c0+3 */
                t[i] = _mm256_insertf128_ps(
                    _mm256_castps128_ps256(_mm256_cvtpd_ps(_mm256_loadu_pd(rows[r0 + i] + c0))),
                    _mm256_cvtpd_ps(_mm256_loadu_pd(rows[r0 + i + 4] + c0)), 1);
            __m256 u0 = _mm256_unpacklo_ps(t[0], t[1]), u1 = _mm256_unpackhi_ps(t[0], t[1]);
            __m256 u2 = _mm256_unpacklo_ps(t[2], t[3]), u3 = _mm256_unpackhi_ps(t[2], t[3]);
            float *d = dst + c0 * ldd + r0;
            _mm256_storeu_ps(d, _mm256_shuffle_ps(u0, u2, 0x44));
            _mm256_storeu_ps(d + ldd, _mm256_shuffle_ps(u0, u2, 0xEE));
            _mm256_storeu_ps(d + 2 * ldd, _mm256_shuffle_ps(u1, u3, 0x44));
            _mm256_storeu_ps(d + 3 * ldd, _mm256_shuffle_ps(u1, u3, 0xEE));
        }
    for (size_t r = 0; r < nr; r++)
        for (size_t k = r < nrt ? nct : 0; k < nc; k++) dst[k * ldd + r] = (float)rows[r][k];
}

static const mg__kernels kernels_avx2 = {
    "avx2", gemm_rows_avx2, gemm_dw_avx2, tanh_avx2, ins_forward_avx2, ins_backward_avx2,
    lanesum_avx2, transpose_avx2,
    {gemm_rows_avx2f, gemm_dw_avx2f, tanh_avx2f, ins_forward_avx2f, ins_backward_avx2f,
     lanesum_avx2f, transpose_avx2f, load_avx2f}};
static const mg__kernels kernels_avx512 = {
    "avx512", gemm_rows_avx512, gemm_dw_avx512, tanh_avx512, ins_forward_avx512,
    ins_backward_avx512, lanesum_avx512, transpose_avx512,
    {gemm_rows_avx512f, gemm_dw_avx512f, tanh_avx512f, ins_forward_avx512f, ins_backward_avx512f,
     lanesum_avx512f, transpose_avx2f, load_avx2f}}; /* AVX-512 CPUs have AVX2 */

/* The operating system must save the wide registers too; GCC's and Clang's checks look
 * at that as well as at the CPU's flags. */
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}
#endif

/* ==== choice ============================================================================== */

const mg__kernels *mg__kernels_get(int which) {
    switch ((mg_kernels)which) {
    case MG_KERNELS_PORTABLE: return &kernels_c;
#ifdef MG__HAVE_X86
    case MG_KERNELS_AVX2: return cpu_has_avx2() ? &kernels_avx2 : NULL;
    case MG_KERNELS_AVX512: return cpu_has_avx512() ? &kernels_avx512 : NULL;
    case MG_KERNELS_AUTO:
        if (cpu_has_avx512()) return &kernels_avx512;
        if (cpu_has_avx2()) return &kernels_avx2;
        return &kernels_c;
#else
    case MG_KERNELS_AVX2:
    case MG_KERNELS_AVX512: return NULL;
    case MG_KERNELS_AUTO: return &kernels_c;
#endif
    }
    return NULL;
}

