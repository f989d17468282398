/* compile_internal.h - private layout of a compiled tape and the lane kernels it runs.
 * Files: tape.c owns the object's memory (allocates, counts and frees every block of it,
 * the work buffers included); compile.c records a graph into it; replay.c runs it;
 * kernels.c (with the template kernels_tpl.h) is the arithmetic over the lanes. Not
 * installed.
 *
 * Vocabulary. A compiled tape splits the recorded values in two:
 *   - varying values depend on a slot (an input or target that changes per sample). They
 *     live in "rows" of a lane block: row r holds the value for S samples side by side,
 *     at V[r*S .. r*S + S), and its gradient at G[r*S ...]. S is a multiple of
 *     MG__LANE_STEP (8).
 *   - uniform values do not depend on any slot: parameters, frozen leaves and constants,
 *     and operations on them only (an L2 penalty). They are computed once per replay into
 *     U[u], and their gradients are sums over all samples.
 * A varying operation that reads a uniform value reads it through a broadcast row (the
 * value copied across the lanes); the broadcast row's gradient is summed over the lanes
 * back into the uniform gradient. A dense group is a set of dot values that read the same
 * varying inputs x in the same order with uniform weights: one layer, replayed as a
 * matrix product over the lanes instead of one dot at a time.
 * A replay runs the uniform program (one instruction per uniform operation), then the
 * varying program (one per varying operation, a run of them or a dense group) over the
 * batch, lane block by lane block, forward and then backward. Uniform gradients are summed
 * per chunk of the batch, chunks fixed by the batch size alone, and the chunks added in
 * order: the numbers do not depend on the number of threads.
 *
 * The sums, exactly (replay.c). A backward replay of n samples cuts the batch into
 * nchunks = clamp(n / 32, 1, 8) chunks, chunk k being samples split(n, nchunks, k) to
 * split(n, nchunks, k + 1) - 1 (whole runs of 8 shared evenly, the last chunk taking the
 * rest), and each chunk into ceil(len / smax) lane blocks the same way. Chunk k's partial
 * sum P_k of a uniform gradient is, for one kernel set and lane type:
 *   - a dense layer's weight gradient dW[o][i]: one chain over the chunk's samples s in
 *     order, P = fma(dY[o][s], x_i[s], P) from P = 0 (the portable kernels: P = P + dY*x),
 *     except inputs i past the layer's last whole vector: 0 + the lane blocks' lanedot
 *     (dY, x_i) in block order (vector running sums, kernels_tpl.h);
 *   - any other (a bias, a broadcast uniform value): 0 + the lane blocks' lanesum in
 *     block order, several terms for one value added in the order backward reaches them
 *     within each block.
 * The batch's sum is ((P_0 + P_1) + P_2) + ... in chunk order; float32 lanes sum each P_k
 * in floats and add the chunks as doubles. The uniform program then runs backward on the
 * sums, which are added to the context's grads. A thread computes whole chunks (its
 * buffer, or for a split replay its compact slots and lane blocks), and a split replay
 * hands out whole rows of dW, each summed over the chunks as above in registers: no
 * partial sum depends on which thread, or how many, computed it. Anything that holds
 * some chunks only (another process) can compute their P_k alone; added in chunk order
 * they give these bits. Ranks (mg_compiled_set_collective) do exactly that: rank r computes
 * chunks [r*n/R, (r+1)*n/R) into their buffers (float64: chunk k at gbuf + k*gsize, chunk
 * 0 included), the ranks exchange them, and each adds all of them as above. */
#ifndef MG_COMPILE_INTERNAL_H
#define MG_COMPILE_INTERNAL_H

#include "engine/graph.h"

/* ---- programs ----------------------------------------------------------------------- */

#define MG__OP_DENSE MG_OP_COUNT /* an instruction that runs a dense group */
#define MG__NONE UINT32_MAX      /* "no such row / uniform value" */
#define MG__NEED_RANGE 0x80      /* mg__ins.need: a dot whose pairs are (w0 + k, x0 + k) */

/* One instruction, in either program. For the varying program rows index a lane block;
 * for the uniform program they index U (a "block" of one lane). */
typedef struct mg__ins {
    uint8_t op;    /* mg_op, or MG__OP_DENSE (varying program only) */
    uint8_t need;  /* bit 0: input a wants its gradient, bit 1: input b; SUM/DOT: see args */
    uint8_t bwd;   /* 1 when backward runs this instruction (the loss depends on it and it
                      depends on a parameter) */
    uint32_t out;  /* row of the result; MG__OP_DENSE: the group's index */
    uint32_t a, b; /* input rows; SUM and DOT: offset into args and number of args */
    uint32_t tape; /* tape index of the value in the context, for error messages */
    uint32_t run;  /* elementwise ops: the same op on `run` consecutive rows at once (out,
                      a, b and out+1, a+1, b+1, ...), as for a layer's activations */
    double k;      /* MG_OP_POWC: the exponent (a frozen constant) */
} mg__ins;

/* A program: instructions in tape order, and the argument pool of its SUM and DOT
 * instructions. There are two: the varying program runs over lane blocks (its rows
 * index V and G), the uniform program once per replay (its "rows" index U and UG). */
typedef struct mg__program {
    mg__ins *ins;
    size_t n;
    uint32_t *args;    /* SUM/DOT arguments: rows, or uniform indices */
    uint8_t *argneed;  /* 1 where that argument wants its gradient */
    size_t nargs;
} mg__program;

/* A dense layer: out[o] = bias[o] + sum_i W[o][i] * x[i] for o < nout, over the lanes. */
typedef struct mg__dense {
    uint32_t nout, nin;
    uint32_t y0;        /* outputs are rows y0 .. y0 + nout - 1 */
    uint32_t xrows;     /* offset into mg_compiled.idx: the nin input rows */
    uint32_t yrows;     /* offset into idx: nout output rows (y0, y0 + 1, ...) */
    uint32_t bias;      /* offset into idx: nout uniform indices of the biases (MG__NONE) */
    uint32_t widx;      /* offset into idx: nout * nin uniform indices of the weights */
    int affine;         /* weights at U[w0 + o*ldw + i]: read in place, no gather */
    int in_ctx;         /* affine and all parameters mirrored from the tape: read straight
                           from the context's data */
    int x_slots;        /* the inputs are slots 0 .. nin-1 in order: the caller's rows are
                           already their transpose */
    size_t w0, ldw;
    size_t dw;          /* not affine: offset of its [nout][nin] gradient region in a
                           chunk's gradient buffer (after the nu uniform gradients) */
    double *W;          /* not affine: [nout][nin] gathered weights */
    double *b;          /* [nout] gathered biases (0 where absent) */
    uint8_t need_dx, need_dw, need_db;
    uint32_t bslot;     /* offset into mg_compiled.slots: the compact slot of each bias's
                           gradient in a split replay (replay.c), MG__NONE where none */
    size_t xt;          /* need_dw, inputs not the slots: where its transposed inputs start
                           in a lane block's XT (times the block's lanes) */
    float *Wf, *bf;     /* float32 mode: the weights ([nout][ldw] when affine, else
                           [nout][nin]) and the biases, rounded from the float64 ones at
                           each replay */
} mg__dense;

/* A range of indices: at, at + 1, ..., at + len - 1. */
typedef struct mg__range {
    uint32_t at, len;
} mg__range;

/* ---- kernels (kernels.c) ------------------------------------------------------------- */

/* Where a register tile's sums start (kernels_tpl.h's acc_tile). */
typedef enum mg__tile_mode {
    MG__TILE_ACC = 0, /* out += A.B: from the stored numbers */
    MG__TILE_INIT,    /* out = init[r] + A.B */
    MG__TILE_SET,     /* out = A.B, the sum started from 0 */
    MG__TILE_ADD      /* out = out + A.B, the sum started from 0 then added once */
} mg__tile_mode;

/* out[orows[r]][l] = (init ? init[r] : out[orows[r]][l]) + sum_k A[r*ars + k*aks] *
 * B[brows[k]][l] for r < m, l < S, k summed in order from 0; rows are S apart. */
typedef void (*mg__gemm_rows_fn)(size_t m, size_t kdim, const double *A, size_t ars,
                                 size_t aks, const double *init, double *obase,
                                 const uint32_t *orows, const double *bbase,
                                 const uint32_t *brows, size_t S);
/* dW[o*ld + i] (mode, mg__tile_mode: ACC, SET or ADD) sum over l < n of dY[o*S + l] * X_i[l],
 * o < m, i < nin, each a chain over l in order (a fused multiply-add a lane); X is given
 * both transposed, XT[l*ldx + i], and as rows V + xrows[i]*S (inputs past the last whole
 * vector are summed along those rows instead, in an order fixed by n). */
typedef void (*mg__gemm_dw_fn)(size_t m, size_t nin, size_t n, const double *dY, size_t S,
                               const double *XT, size_t ldx, const double *V,
                               const uint32_t *xrows, double *dW, size_t ld, int mode);
/* out[l] = tanh(in[l]) for l < n (n a multiple of the vector length), within a few units
 * in the last place. */
typedef void (*mg__tanh_fn)(size_t n, double *out, const double *in);

typedef void (*mg__fw_fn)(const mg__ins *in, const uint32_t *args, double *V, size_t S, size_t n);
typedef void (*mg__bw_fn)(const mg__ins *in, const uint32_t *args, const uint8_t *argneed,
                          const double *V, double *G, size_t S, size_t n);

/* The same kernels over float32 lanes (mg_compiled_set_dtype), and the one that fills
 * lanes from the caller's float64 rows. */
typedef struct mg__kernels32 {
    void (*gemm_rows)(size_t m, size_t kdim, const float *A, size_t ars, size_t aks,
                      const float *init, float *obase, const uint32_t *orows,
                      const float *bbase, const uint32_t *brows, size_t S);
    void (*gemm_dw)(size_t m, size_t nin, size_t n, const float *dY, size_t S, const float *XT,
                    size_t ldx, const float *V, const uint32_t *xrows, float *dW, size_t ld,
                    int mode);
    void (*tanh)(size_t n, float *out, const float *in);
    void (*fw)(const mg__ins *in, const uint32_t *args, float *V, size_t S, size_t n);
    void (*bw)(const mg__ins *in, const uint32_t *args, const uint8_t *argneed, const float *V,
               float *G, size_t S, size_t n);
    float (*lanesum)(const float *x, size_t n);
    void (*transpose)(size_t nr, size_t nc, const float *const *rows, float *dst, size_t ldd);
    /* dst[k*ldd + r] = (float)rows[r][k] for r < nr, k < nc */
    void (*load)(size_t nr, size_t nc, const double *const *rows, float *dst, size_t ldd);
} mg__kernels32;

typedef struct mg__kernels {
    const char *name; /* "portable", "avx2", "avx512" */
    mg__gemm_rows_fn gemm_rows;
    mg__gemm_dw_fn gemm_dw;
    mg__tanh_fn tanh; /* NULL: libm's, lane by lane */
    mg__fw_fn fw;     /* one instruction of a program (mg__ins_forward) */
    mg__bw_fn bw;
    double (*lanesum)(const double *x, size_t n); /* in a fixed order for a given n */
    /* dst[k*ldd + r] = rows[r][k] for r < nr, k < nc (rows given by pointers) */
    void (*transpose)(size_t nr, size_t nc, const double *const *rows, double *dst, size_t ldd);
    mg__kernels32 f; /* float32 lanes */
} mg__kernels;

/* The kernels for `which` (mg_kernels), or NULL when this CPU or build lacks them.
 * MG_KERNELS_AUTO picks the best available. */
const mg__kernels *mg__kernels_get(int which);

/* Forward and backward of one instruction (not MG__OP_DENSE) over n lanes of rows S apart,
 * with k's kernels (NULL: plain C; the uniform program passes S = n = 1). args/argneed
 * are the program's argument arrays. Each lane applies engine/ops.h's formula, so it gets
 * the eager engine's numbers; kernels_tpl.h names the few exceptions (vector tanh, powc 2,
 * the L2 range sum) and tests/test_compile_ops.c holds them to a stated tolerance. */
void mg__ins_forward(const mg__ins *in, const uint32_t *args, double *V, size_t S, size_t n,
                     const mg__kernels *k);
void mg__ins_backward(const mg__ins *in, const uint32_t *args, const uint8_t *argneed,
                      const double *V, double *G, size_t S, size_t n, const mg__kernels *k);

/* ---- the compiled object ------------------------------------------------------------- */

/* len parameters at tape indices tape.. and uniform indices u.. (both consecutive). */
typedef struct mg__span {
    uint32_t tape, u, len;
} mg__span;

/* A lane block's memory: a thread's, or in a split replay a chunk's, kept until the
 * weight gradients are summed. Sized in doubles; float32 lanes use the same buffers. */
typedef struct mg__work {
    double *V, *G; /* [nrows * smax] */
    double *XT;    /* [smax * xtsize] transposed inputs of the hidden layers' weight
                      gradients, layer d's at XT + d->xt * S */
    const void **rows; /* [max(maxnin8, smax)] row pointers for transposes */
    float *dws;    /* float32, a split replay's thread: [MG__DW_ROWS * maxnin8] a chunk's
                      weight gradient rows summed in floats */
} mg__work;

/* Output neurons a split replay's weight gradient takes at a time: a multiple of the
 * register tiles' 6 and 4 rows, its rows of dW small enough to stay in cache across the
 * chunks. */
#define MG__DW_ROWS 12

#define MG__MAX_CHUNKS 8 /* gradient partial sums per replay: fixed by the batch alone */
#define MG__LANES 64     /* widest lane block */
/* Lane blocks, and the transposed inputs of a weight gradient, come in whole groups of
 * this many doubles: one AVX-512 vector, two AVX2 ones, so no kernel needs a tail loop
 * over the lanes. Also the narrowest lane block. */
#define MG__LANE_STEP 8
/* n rounded up to whole groups of MG__LANE_STEP */
static inline size_t mg__lane_round(size_t n) {
    return (n + MG__LANE_STEP - 1) / MG__LANE_STEP * MG__LANE_STEP;
}
/* The same for float32 lanes: 16 floats, one AVX-512 vector. */
#define MG__LANE_STEP32 16
/* A lane block's values and gradients (16 bytes per row and lane) are kept within this
 * budget, about a core's share of the last-level cache, so a tape with many rows runs in
 * narrower blocks (down to MG__LANE_STEP lanes) instead of spilling to memory between its
 * forward and backward passes. */
#define MG__BLOCK_BYTES ((size_t)4 << 20)

struct mg_compiled {
    mg_ctx *ctx;
    uint32_t maxidx;    /* highest tape index read at replay (a parameter) */
    uint16_t maxgen;    /* its generation, to catch a reset that dropped it */
    int has_maxidx;

    size_t nslots, noutputs;
    uint32_t loss;      /* a row, or a uniform index with MG__UREF set; MG__NONE = none */
    uint32_t *outputs;  /* [noutputs] rows or uniform references */

    /* the varying program and its lane blocks */
    mg__program varying;
    size_t nrows;       /* rows per lane block: slots, broadcasts, then operations */
    size_t nbcast;
    uint32_t *bc_row, *bc_u; /* broadcast row r holds U[u] */
    uint8_t *bc_need;
    uint32_t *row_tape; /* [nrows] tape index of each row, for messages */

    mg__program uniform;
    size_t nu;          /* uniform values */
    double *U, *UG;     /* [nu], [gsize]: data and summed gradients */
    size_t nlossparams; /* parameters the loss depends on: they get gradients */
    mg__span *gruns;    /* those parameters (tape, u) in tape order, as runs */
    mg__span *cruns;    /* parameters read through U, copied in per replay, as runs */
    size_t ngruns, ncruns;
    uint32_t pmin;      /* lowest parameter tape index: with the mirror (compile.c), a
                           parameter's u is its tape index - pmin */

    mg__dense *groups;
    size_t ngroups, ngrouped, maxnin8;
    uint32_t *idx;      /* index pool of the groups */
    size_t xtsize;      /* per lane: the transposed inputs of every hidden layer's weight
                           gradient (their nin rounded to MG__LANE_STEP32, added up) */

    size_t nvalues;     /* values recorded */
    double work_fwd, work_bwd; /* multiply-adds a sample costs, forward and backward: a
                                  replay's threads follow its work (replay.c) */

    /* A split replay (replay.c) sums each dense layer's weight gradient after the lane
     * blocks, split over its output neurons, straight into UG; the other uniform
     * gradients (biases, broadcasts) go per chunk to compact slots. */
    int split_ok;       /* weight gradient regions disjoint from each other and from every
                           other gradient sum, so each can be written once */
    int simple_tail;    /* nothing runs backward after the chunk sums (no uniform program
                           backward, no gathered weights, no uniform loss): UG's entries are
                           final when summed, and every one written is a parameter's */
    uint32_t *slots;    /* [ngrouped] the biases' compact slots (mg__dense.bslot) */
    uint32_t *bc_slot;  /* [nbcast] each broadcast's compact slot, MG__NONE when unused */
    uint32_t *small_u;  /* [nsmall] the uniform index of each compact slot */
    size_t nsmall;
    mg__range *zruns;   /* UG's ranges nothing in a split replay writes: zeroed */
    size_t nzruns;
    double *sbuf;       /* [MG__MAX_CHUNKS * nsmall] the chunks' compact partial sums */

    int f32;            /* float32 lanes (mg_compiled_set_dtype) */
    struct mg__coll *coll; /* the ranks sharing each replay (mg_compiled_set_collective),
                              NULL: this process alone */

    /* replay state */
    const mg__kernels *kern;
    int nthreads;       /* threads a replay uses (mg__threads, resolved when set) */
    size_t smax;        /* widest lane block (fixed by nrows at compile time) */
    size_t gsize;       /* doubles in one chunk's gradient buffer */
    mg__work *work;
    size_t nwork;       /* workspaces allocated */
    double *gbuf;       /* [ngbuf * gsize]: float64, chunks 1.. (chunk 0 uses UG);
                           float32, the chunks' buffers as floats */
    size_t ngbuf;
    size_t nallocs, bytes;
};

#define MG__UREF 0x80000000u /* in loss/outputs: a uniform index, not a row */

/* ---- memory (tape.c) ------------------------------------------------------------------ */

/* A new empty tape on ctx: no loss, automatic kernels, the default threads. NULL when out
 * of memory. Everything it will hold comes from mg__tape_calloc and mg__tape_reserve, and
 * mg_compiled_free frees it all. */
mg_compiled *mg__tape_new(mg_ctx *ctx);
/* n zeroed elements of size bytes for c, counted in c->nallocs and c->bytes (so tests can
 * see there are none after warm-up); NULL when out of memory or n * size overflows. */
void *mg__tape_calloc(mg_compiled *c, size_t n, size_t size);
/* Allocates p's room for nins instructions and nargs arguments (p->n and p->nargs start
 * at 0). 0 when out of memory (mg_compiled_free frees what was allocated). */
int mg__tape_program(mg_compiled *c, mg__program *p, size_t nins, size_t nargs);
/* Grows the work buffers to nwork lane blocks and the chunks' gradient buffers to gbuf
 * doubles; allocates nothing when they are already large enough. 0 when out of memory
 * (what was there stays usable, so a replay may go on with fewer threads). */
int mg__tape_reserve(mg_compiled *c, size_t nwork, size_t gbuf);
/* Makes the float32 copies of the dense layers' weights and biases (mg_compiled_set_dtype);
 * 0 when out of memory. */
int mg__tape_floats(mg_compiled *c);

#endif /* MG_COMPILE_INTERNAL_H */
