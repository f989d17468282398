/* compile.c - recording a sample's graph into a compiled tape: which values vary per
 * sample, which are computed once, which dot values form dense layers, and the two
 * programs that replay them (replay.c runs them). mg_compile is a row of passes over the
 * tape, each filling in part of the tape object from what the earlier ones found:
 *   mark_flags      what the loss and outputs reach, what varies, what needs a gradient
 *   number_uniform  indices in U for the values computed once per replay
 *   layout_groups   the dense layers and their index lists
 *   count_rows      broadcast rows, and room for the two programs
 *   emit_programs   the instructions, in tape order; a value's row
 *   finish_groups, finish_results, param_runs: the tables a replay reads */
#include "compile_internal.h"
#include "core/hash.h"

/* Per tape value, while compiling. */
enum {
    F_REACH = 1,  /* the loss or an output depends on it */
    F_LOSS = 2,   /* the loss depends on it */
    F_VARY = 4,   /* it depends on a slot */
    F_PDEP = 8,   /* it depends on a parameter (so it needs a gradient) */
    F_SLOT = 16,
    F_PARAM = 32  /* a parameter leaf that is not a slot */
};

/* What the passes share while compiling, freed by tmp_free whether compiling succeeded
 * or not. Arrays indexed by tape value cover 0 .. top. */
typedef struct compile_tmp {
    const mg_ctx *ctx;
    uint32_t top;     /* the highest tape index recorded */
    uint8_t *flags;   /* [top + 1] F_* */
    uint32_t *map;    /* [top + 1] a slot's or varying value's row; a uniform value's index */
    uint32_t *gid;    /* [top + 1] a dot's dense group, or MG__NONE */
    uint32_t *gfirst; /* [top + 1] by group: its first member in tape order */
    uint32_t *gnext;  /* [top + 1] the next member of the same group, or MG__NONE */
    uint32_t *bcrow;  /* [nu] the broadcast row of a uniform value, or MG__NONE */
    uint32_t *xbuf;   /* [widest layer's nin] a dot's inputs */
    size_t nparams;   /* parameters reached */
    uint32_t pmin, pmax; /* their lowest and highest tape index */
    uint32_t *par_u, *par_tape; /* [nparams] their uniform and tape indices, those the loss
                                   depends on first */
    int mirror;       /* parameter u = tape index - pmin (see mirror_pays) */
    size_t span;      /* uniform indices that parameters take (0 .. span-1) */
    const char *why;  /* on failure: what to report, with st */
    mg_status st;
} compile_tmp;

/* 0 when out of memory (tmp_free still safe). */
static int tmp_init(compile_tmp *t, const mg_ctx *ctx, uint32_t top) {
    size_t n = (size_t)top + 1;
    *t = (compile_tmp){.ctx = ctx, .top = top, .why = "out of memory", .st = MG_STATUS_NOMEM};
    t->flags = mg__calloc(n, 1);
    t->map = mg__calloc(n, sizeof *t->map);
    t->gid = mg__calloc(n, sizeof *t->gid);
    t->gfirst = mg__calloc(n, sizeof *t->gfirst);
    t->gnext = mg__calloc(n, sizeof *t->gnext);
    return t->flags && t->map && t->gid && t->gfirst && t->gnext;
}

static void tmp_free(compile_tmp *t) {
    mg__free(t->flags);
    mg__free(t->map);
    mg__free(t->gid);
    mg__free(t->gfirst);
    mg__free(t->gnext);
    mg__free(t->bcrow);
    mg__free(t->xbuf);
    mg__free(t->par_u);
    mg__free(t->par_tape);
}

/* A limit of the tape's 32-bit indices was reached: 0, with the reason. */
static int too_large(compile_tmp *t) {
    t->why = "graph too large";
    t->st = MG_STATUS_INVALID;
    return 0;
}

/* ==== arguments =========================================================================== */

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Checks the arguments; returns the highest tape index to record, or -1 (err set). */
static int64_t check_args(mg_ctx *ctx, mg_value loss, size_t nslots, const mg_value *slots,
                          size_t noutputs, const mg_value *outputs, mg_err *err) {
    if (!mg_ok(loss) && noutputs == 0) {
        mg_err_set(err, MG_STATUS_INVALID, "mg_compile: no loss and no outputs: nothing to record");
        return -1;
    }
    if (nslots >= MG__UREF || noutputs >= MG__UREF) {
        mg_err_set(err, MG_STATUS_INVALID, "mg_compile: too many slots or outputs");
        return -1;
    }
    uint32_t top = mg_ok(loss) ? mg__idx(ctx, loss) : 0;
    for (size_t k = 0; k < noutputs; k++) {
        if (!mg_ok(outputs[k])) {
            mg_err_set(err, MG_STATUS_INVALID, "mg_compile: output %zu is MG_NULL", k);
            return -1;
        }
        uint32_t i = mg__idx(ctx, outputs[k]);
        if (i > top) top = i;
    }
    for (size_t k = 0; k < nslots; k++) {
        if (!mg_ok(slots[k])) {
            mg_err_set(err, MG_STATUS_INVALID, "mg_compile: slot %zu is MG_NULL", k);
            return -1;
        }
        uint32_t i = mg__idx(ctx, slots[k]);
        if (mg__op_at(ctx, i) != MG_OP_LEAF) {
            mg_err_set(err, MG_STATUS_INVALID,
                       "mg_compile: slot %zu (tape #%u) is not a leaf but a '%s' value", k, i,
                       mg__ops[mg__op_at(ctx, i)].name);
            return -1;
        }
    }
    uint32_t *sorted = mg__malloc(mg__mul_size(nslots, sizeof *sorted));
    if (!sorted) {
        mg_err_set(err, MG_STATUS_NOMEM, "mg_compile: out of memory");
        return -1;
    }
    for (size_t k = 0; k < nslots; k++) sorted[k] = mg__idx(ctx, slots[k]);
    qsort(sorted, nslots, sizeof *sorted, cmp_u32);
    for (size_t k = 1; k < nslots; k++)
        if (sorted[k] == sorted[k - 1]) {
            mg_err_set(err, MG_STATUS_INVALID, "mg_compile: tape #%u is given as a slot twice",
                       sorted[k]);
            mg__free(sorted);
            return -1;
        }
    mg__free(sorted);
    return top;
}

/* ==== flags =============================================================================== */

/* Marks the slots; walking down the tape, what the loss and the outputs reach; walking up,
 * what depends on a slot (varies) or on a parameter (needs a gradient). Counts the values
 * recorded and the parameters. */
static void mark_flags(compile_tmp *t, mg_compiled *c, mg_value loss, const mg_value *slots,
                       const mg_value *outputs) {
    const mg_ctx *ctx = t->ctx;
    uint8_t *f = t->flags;
    uint32_t top = t->top, pair[2], m;
    for (size_t k = 0; k < c->nslots; k++) {
        uint32_t i = mg__idx(ctx, slots[k]);
        if (i <= top) f[i] |= F_SLOT | F_VARY, t->map[i] = (uint32_t)k;
    }
    if (mg_ok(loss)) f[top] |= F_REACH | F_LOSS;
    for (size_t k = 0; k < c->noutputs; k++) f[mg__idx(ctx, outputs[k])] |= F_REACH;
    for (uint32_t i = top + 1; i-- > 0;) {
        if (!(f[i] & F_REACH) || mg__op_at(ctx, i) == MG_OP_LEAF) continue;
        const uint32_t *p = mg__live_operands(ctx, i, pair, &m);
        for (uint32_t k = 0; k < m; k++) f[p[k]] |= F_REACH | (f[i] & F_LOSS);
        if (mg__op_at(ctx, i) == MG_OP_POWC) f[ctx->a1[i]] |= F_REACH;
    }
    for (uint32_t i = 0; i <= top; i++) {
        if (!(f[i] & F_REACH)) continue;
        c->nvalues++;
        if (mg__op_at(ctx, i) != MG_OP_LEAF) {
            const uint32_t *p = mg__live_operands(ctx, i, pair, &m);
            for (uint32_t k = 0; k < m; k++) f[i] |= f[p[k]] & (F_VARY | F_PDEP);
        } else if (!(f[i] & F_SLOT) && mg__role_at(ctx, i) == MG_ROLE_PARAM) {
            f[i] |= F_PARAM | F_PDEP;
            if (!t->nparams) t->pmin = i;
            t->pmax = i;
            t->nparams++;
            if (f[i] & F_LOSS) c->nlossparams++;
        }
    }
}

/* ==== uniform values ====================================================================== */

/* Parameters may take uniform index = tape index - pmin (a mirror of their span on the
 * tape) instead of consecutive indices. The mirror keeps a layer's weights the strided
 * block they are on the tape, so dense layers read them in place from the context's data,
 * and it makes the per-replay copy and gradient lists a few long runs. It costs U and
 * each chunk's gradient buffer one unused entry per other value inside the span, so it is
 * taken while those holes are at most one per parameter plus MG__MIRROR_SLACK: the
 * buffers at most about double, and a small model whose parameters are interleaved with
 * a few constants still gets it. */
#define MG__MIRROR_SLACK 4096
static int mirror_pays(size_t span, size_t nparams) {
    return span <= 2 * nparams + MG__MIRROR_SLACK;
}

/* Numbers the values that depend on no slot: parameters first (mirrored, or in tape
 * order), then frozen leaves and operations, whose number is their uniform index; copies
 * the frozen leaves' values into U. Lists the parameters, those the loss depends on
 * first. 0 on failure. */
static int number_uniform(compile_tmp *t, mg_compiled *c) {
    const mg_ctx *ctx = t->ctx;
    const uint8_t *f = t->flags;
    size_t span = t->nparams ? (size_t)t->pmax - t->pmin + 1 : 0;
    t->mirror = mirror_pays(span, t->nparams);
    t->span = t->mirror ? span : t->nparams;
    c->pmin = t->pmin;
    t->par_u = mg__calloc(t->nparams, sizeof *t->par_u);
    t->par_tape = mg__calloc(t->nparams, sizeof *t->par_tape);
    if (!t->par_u || !t->par_tape) return 0;
    size_t nu = t->span, rank = 0, lossrank = 0, restrank = c->nlossparams;
    for (uint32_t i = 0; i <= t->top; i++) {
        if (!(f[i] & F_REACH) || (f[i] & F_VARY)) continue;
        if (!(f[i] & F_PARAM)) {
            t->map[i] = (uint32_t)nu++;
            continue;
        }
        t->map[i] = t->mirror ? i - t->pmin : (uint32_t)rank;
        rank++;
        size_t k = (f[i] & F_LOSS) ? lossrank++ : restrank++;
        t->par_u[k] = t->map[i];
        t->par_tape[k] = i;
        if (!c->has_maxidx || i > c->maxidx) c->maxidx = i, c->has_maxidx = 1;
    }
    if (nu >= MG__UREF) return too_large(t);
    if (c->has_maxidx) c->maxgen = mg__gen_at(ctx, c->maxidx);
    c->nu = nu;
    c->U = mg__tape_calloc(c, nu, sizeof *c->U);
    if (!c->U) return 0;
    for (uint32_t i = 0; i <= t->top; i++)
        if ((f[i] & F_REACH) && !(f[i] & (F_VARY | F_PARAM)) && mg__op_at(ctx, i) == MG_OP_LEAF)
            c->U[t->map[i]] = ctx->data[i]; /* frozen */
    return 1;
}

/* ==== dense layers ======================================================================== */

/* A varying dot value can join a dense layer when each pair is (weight without slot
 * dependence, input with one) in some order and the bias, if any, depends on no slot.
 * Writes the inputs in order to x (if not NULL); returns the number of pairs or 0. */
static uint32_t dense_inputs(const mg_ctx *ctx, const uint8_t *f, uint32_t i, uint32_t *x) {
    const uint32_t *p = ctx->args + ctx->a0[i];
    uint32_t m = ctx->a1[i];
    if (m & 1u) {
        if (f[*p] & F_VARY) return 0;
        p++, m--;
    }
    if (m == 0) return 0;
    for (uint32_t k = 0; k < m; k += 2) {
        uint32_t w = p[k], v = p[k + 1];
        if ((f[w] & F_VARY) && !(f[v] & F_VARY)) w = p[k + 1], v = p[k]; /* x*w order */
        if ((f[w] & F_VARY) || !(f[v] & F_VARY)) return 0;
        if (x) x[k / 2] = v;
    }
    return m / 2;
}

/* A dense layer is found by its input list: the key looked up, and what the lookup
 * compares it with (group g's inputs are its first member's, read into xb). */
typedef struct group_key {
    const uint32_t *x;
    uint32_t n;
} group_key;
typedef struct group_match {
    const compile_tmp *t;
    uint32_t *xb;
} group_match;

static int same_inputs(const void *user, uint32_t g, const void *key) {
    const group_match *gm = user;
    const group_key *k = key;
    return dense_inputs(gm->t->ctx, gm->t->flags, gm->t->gfirst[g], gm->xb) == k->n &&
           !memcmp(k->x, gm->xb, k->n * sizeof *k->x);
}

/* Whether value i is a dot that may join a dense layer: reached, varying. */
static int dot_candidate(const compile_tmp *t, uint32_t i) {
    return (t->flags[i] & (F_REACH | F_VARY)) == (F_REACH | F_VARY) && mg__op_at(t->ctx, i) == MG_OP_DOT;
}

/* Groups the dense-capable dot values by their input list. gid[i] gets the group of each
 * member (MG__NONE otherwise), gfirst[g] its first member in tape order, gnext the next
 * member. Returns the number of groups, or SIZE_MAX when out of memory. */
static size_t find_groups(compile_tmp *t) {
    const mg_ctx *ctx = t->ctx;
    uint32_t *gid = t->gid, *gnext = t->gnext;
    size_t ndots = 0, maxin = 0;
    for (uint32_t i = 0; i <= t->top; i++) {
        gid[i] = gnext[i] = MG__NONE;
        uint32_t m = dot_candidate(t, i) ? dense_inputs(ctx, t->flags, i, NULL) : 0;
        ndots += m != 0;
        if (m > maxin) maxin = m;
    }
    if (ndots == 0) return 0;
    uint32_t *xa = mg__calloc(maxin, sizeof *xa), *xb = mg__calloc(maxin, sizeof *xb);
    uint32_t *glast = mg__calloc(ndots, sizeof *glast);
    mg__hindex layers = {0}; /* group numbers by input list */
    group_match gm = {t, xb};
    size_t ng = xa && xb && glast ? 0 : SIZE_MAX;
    for (uint32_t i = 0; i <= t->top && ng != SIZE_MAX; i++) {
        uint32_t m = dot_candidate(t, i) ? dense_inputs(ctx, t->flags, i, xa) : 0;
        if (!m) continue;
        group_key key = {xa, m};
        uint64_t hash = mg__fnv1a(MG__FNV_INIT, xa, m * sizeof *xa);
        uint32_t g = mg__hindex_find(&layers, hash, same_inputs, &gm, &key);
        if (g != UINT32_MAX) { /* another neuron of layer g */
            gnext[glast[g]] = i;
            glast[g] = i;
            gid[i] = g;
        } else if (mg__hindex_add(&layers, hash, (uint32_t)ng)) { /* a new layer */
            t->gfirst[ng] = glast[ng] = i;
            gid[i] = (uint32_t)ng++;
        } else {
            ng = SIZE_MAX;
        }
    }
    mg__hindex_free(&layers);
    mg__free(xa);
    mg__free(xb);
    mg__free(glast);
    return ng;
}

/* The uniform index of each weight, then whether they sit at w0 + o*ldw + i. */
static void fill_dense(const compile_tmp *t, mg_compiled *c, mg__dense *d, uint32_t first) {
    const mg_ctx *ctx = t->ctx;
    const uint8_t *f = t->flags;
    const uint32_t *map = t->map, *xbuf = t->xbuf;
    uint32_t *x = c->idx + d->xrows, *y = c->idx + d->yrows, *b = c->idx + d->bias;
    uint32_t *w = c->idx + d->widx;
    dense_inputs(ctx, f, first, t->xbuf);
    int bw = 0, need_x = 0, need_w = 0, need_b = 0;
    d->x_slots = 1;
    for (uint32_t k = 0; k < d->nin; k++) {
        x[k] = map[xbuf[k]];
        if (f[xbuf[k]] & F_PDEP) need_x = 1;
        if (!(f[xbuf[k]] & F_SLOT) || x[k] != k) d->x_slots = 0;
    }
    uint32_t o = 0;
    for (uint32_t i = first; i != MG__NONE; i = t->gnext[i], o++) {
        y[o] = d->y0 + o;
        if ((f[i] & (F_LOSS | F_PDEP)) == (F_LOSS | F_PDEP)) bw = 1;
        const uint32_t *p = ctx->args + ctx->a0[i];
        uint32_t m = ctx->a1[i];
        b[o] = MG__NONE;
        if (m & 1u) {
            b[o] = map[*p];
            if (f[*p] & F_PDEP) need_b = 1;
            p++, m--;
        }
        for (uint32_t k = 0; k < m; k += 2) {
            uint32_t wi = (f[p[k]] & F_VARY) ? p[k + 1] : p[k];
            w[(size_t)o * d->nin + k / 2] = map[wi];
            if (f[wi] & F_PDEP) need_w = 1;
        }
    }
    d->need_dx = (uint8_t)(bw && need_x);
    d->need_dw = (uint8_t)(bw && need_w);
    d->need_db = (uint8_t)(bw && need_b);
    /* Rows must not overlap (ldw >= nin): the gradient kernel updates four rows at once. */
    d->w0 = w[0];
    d->ldw = d->nin;
    if (d->nout > 1 && w[d->nin] > w[0]) d->ldw = (size_t)w[d->nin] - w[0];
    d->affine = d->ldw >= d->nin;
    for (size_t r = 0; r < d->nout && d->affine; r++)
        for (size_t k = 0; k < d->nin; k++)
            if (w[r * d->nin + k] != d->w0 + r * d->ldw + k) {
                d->affine = 0;
                break;
            }
}

/* Finds the dense layers and lays out each one's index lists in the pool c->idx: its
 * input rows, output rows, biases and weights. 0 on failure. */
static int layout_groups(compile_tmp *t, mg_compiled *c) {
    size_t ng = find_groups(t);
    if (ng == SIZE_MAX) return 0;
    c->groups = mg__tape_calloc(c, ng, sizeof *c->groups);
    if (!c->groups) return 0;
    c->ngroups = ng; /* only now: mg_compiled_free walks the groups */
    size_t nidx = 0, maxin = 0;
    for (size_t g = 0; g < ng; g++) {
        mg__dense *d = &c->groups[g];
        d->nin = dense_inputs(t->ctx, t->flags, t->gfirst[g], NULL);
        for (uint32_t i = t->gfirst[g]; i != MG__NONE; i = t->gnext[i]) d->nout++;
        c->ngrouped += d->nout;
        size_t add = d->nin + 2 * (size_t)d->nout + (size_t)d->nout * d->nin;
        if (add > UINT32_MAX - nidx) return too_large(t);
        d->xrows = (uint32_t)nidx;
        d->yrows = d->xrows + d->nin;
        d->bias = d->yrows + d->nout;
        d->widx = d->bias + d->nout;
        nidx += add;
        if (d->nin > maxin) maxin = d->nin;
    }
    c->idx = mg__tape_calloc(c, nidx, sizeof *c->idx);
    t->xbuf = mg__calloc(maxin, sizeof *t->xbuf);
    return c->idx && t->xbuf;
}

/* ==== rows and programs ================================================================== */

/* A lane block's rows are the slots, then the broadcast rows (a uniform value that a
 * varying operation reads, copied across the lanes), then the varying operations. Gives
 * each uniform value read that way its broadcast row, counts the two programs'
 * instructions and arguments, and allocates them and the broadcast tables. 0 on
 * failure. */
static int count_rows(compile_tmp *t, mg_compiled *c) {
    const mg_ctx *ctx = t->ctx;
    const uint8_t *f = t->flags;
    t->bcrow = mg__calloc(c->nu, sizeof *t->bcrow);
    if (!t->bcrow) return 0;
    for (size_t u = 0; u < c->nu; u++) t->bcrow[u] = MG__NONE;
    size_t nbc = 0, nvp = 0, nvargs = 0, nup = 0, nuargs = 0;
    for (uint32_t i = 0; i <= t->top; i++) {
        if (!(f[i] & F_REACH) || mg__op_at(ctx, i) == MG_OP_LEAF) continue;
        size_t nargs = mg__ops[mg__op_at(ctx, i)].arity < 0 ? ctx->a1[i] : 0;
        if (!(f[i] & F_VARY)) {
            nup++, nuargs += nargs;
            continue;
        }
        if (t->gid[i] != MG__NONE) { /* a dense layer is one instruction */
            nvp += t->gfirst[t->gid[i]] == i;
            continue;
        }
        nvp++, nvargs += nargs;
        uint32_t pair[2], m;
        const uint32_t *p = mg__live_operands(ctx, i, pair, &m);
        for (uint32_t k = 0; k < m; k++)
            if (!(f[p[k]] & F_VARY) && t->bcrow[t->map[p[k]]] == MG__NONE)
                t->bcrow[t->map[p[k]]] = (uint32_t)(c->nslots + nbc++);
    }
    c->nbcast = nbc;
    c->bc_row = mg__tape_calloc(c, nbc, sizeof *c->bc_row);
    c->bc_u = mg__tape_calloc(c, nbc, sizeof *c->bc_u);
    c->bc_need = mg__tape_calloc(c, nbc, 1);
    return mg__tape_program(c, &c->varying, nvp, nvargs) &&
           mg__tape_program(c, &c->uniform, nup, nuargs) && c->bc_row && c->bc_u && c->bc_need;
}

/* Whether a dot's pairs (after its bias, if any) are (w0 + k, x0 + k): an L2 penalty over
 * consecutive parameters, which the uniform program sums with four running sums. */
static int dot_is_range(const uint32_t *args, uint32_t m) {
    if (m < 2) return 0;
    const uint32_t *q = args + (m & 1u);
    for (uint32_t k = 2; k + 1 < m; k += 2)
        if (q[k] != q[0] + k / 2 || q[k + 1] != q[1] + k / 2) return 0;
    return 1;
}

/* Appends value i's instruction to its program: the varying one, where i's result takes
 * the next row (*row), or the uniform one. */
static void emit_op(compile_tmp *t, mg_compiled *c, uint32_t i, size_t *row) {
    const mg_ctx *ctx = t->ctx;
    const uint8_t *f = t->flags;
    int vary = (f[i] & F_VARY) != 0, nary = mg__ops[mg__op_at(ctx, i)].arity < 0;
    mg__program *pg = vary ? &c->varying : &c->uniform;
    mg__ins *in = &pg->ins[pg->n++];
    in->op = mg__op_at(ctx, i);
    in->tape = i;
    in->run = 1;
    in->bwd = (f[i] & (F_LOSS | F_PDEP)) == (F_LOSS | F_PDEP);
    if (vary) t->map[i] = (uint32_t)(*row)++;
    in->out = t->map[i];
    uint32_t pair[2], m, ref[2] = {0, 0};
    const uint32_t *p = mg__live_operands(ctx, i, pair, &m);
    for (uint32_t k = 0; k < m; k++) {
        uint32_t j = p[k], r = t->map[j];
        if (vary && !(f[j] & F_VARY)) r = t->bcrow[r];
        uint8_t need = (f[j] & F_PDEP) != 0;
        if (nary) {
            pg->args[pg->nargs + k] = r;
            pg->argneed[pg->nargs + k] = need;
        } else {
            ref[k] = r;
            in->need |= (uint8_t)(need << k);
        }
    }
    if (nary) {
        in->a = (uint32_t)pg->nargs;
        in->b = m;
        if (!vary && in->op == MG_OP_DOT && dot_is_range(pg->args + pg->nargs, m))
            in->need |= MG__NEED_RANGE;
        pg->nargs += m;
    } else {
        in->a = ref[0];
        in->b = m == 2 ? ref[1] : ref[0];
    }
    if (in->op == MG_OP_POWC) in->k = ctx->data[ctx->a1[i]];
}

/* Appends the dense layer whose first member is i: its outputs take the next rows. */
static void emit_dense(compile_tmp *t, mg_compiled *c, uint32_t i, size_t *row) {
    mg__dense *d = &c->groups[t->gid[i]];
    d->y0 = (uint32_t)*row;
    for (uint32_t j = i; j != MG__NONE; j = t->gnext[j]) t->map[j] = (uint32_t)(*row)++;
    fill_dense(t, c, d, i);
    mg__ins *in = &c->varying.ins[c->varying.n++];
    in->op = MG__OP_DENSE;
    in->run = 1;
    in->out = t->gid[i];
    in->bwd = (uint8_t)(d->need_dx || d->need_dw || d->need_db);
    in->tape = i;
}

/* Whether elementwise instruction `next` continues the run `prev` (the same op, the next
 * rows, inputs all before the run's outputs so running them at once changes nothing). */
static int continues(const mg__ins *prev, const mg__ins *next) {
    int ar = prev->op < MG_OP_COUNT ? mg__ops[prev->op].arity : -1;
    if (ar < 1 || next->op != prev->op || next->need != prev->need || next->bwd != prev->bwd ||
        next->k != prev->k)
        return 0;
    uint32_t r = prev->run;
    return next->out == prev->out + r && next->a == prev->a + r && next->b == prev->b + r &&
           next->a < prev->out && next->b < prev->out;
}

/* Merges runs of the same elementwise op over consecutive rows (a layer's activations get
 * consecutive rows, so its ReLUs become one instruction): fewer, longer loops. */
static void fuse_runs(mg__program *p) {
    size_t w = 0;
    for (size_t k = 0; k < p->n; k++) {
        if (w > 0 && continues(&p->ins[w - 1], &p->ins[k])) p->ins[w - 1].run++;
        else p->ins[w++] = p->ins[k];
    }
    p->n = w;
}

/* The two programs in tape order, then runs fused; which layers read their weights
 * straight from the context. */
static void emit_programs(compile_tmp *t, mg_compiled *c) {
    size_t row = c->nslots + c->nbcast;
    for (uint32_t i = 0; i <= t->top; i++) {
        if (!(t->flags[i] & F_REACH) || mg__op_at(t->ctx, i) == MG_OP_LEAF) continue;
        if (!(t->flags[i] & F_VARY) || t->gid[i] == MG__NONE) emit_op(t, c, i, &row);
        else if (t->gfirst[t->gid[i]] == i) emit_dense(t, c, i, &row);
    }
    c->nrows = row;
    fuse_runs(&c->varying);
    for (size_t g = 0; g < c->ngroups; g++) { /* the mirror holds parameters only: u < span */
        mg__dense *d = &c->groups[g];
        d->in_ctx = d->affine && t->mirror && d->w0 + (d->nout - 1) * d->ldw + d->nin <= t->span;
    }
}

/* ==== the tables a replay reads =========================================================== */

/* The broadcast tables (row r holds U[u]); each layer's biases and, when its weights are
 * gathered, their copy and their gradients' region in a chunk's gradient buffer; the
 * widest weight gradient. 0 when out of memory. */
static int finish_groups(compile_tmp *t, mg_compiled *c) {
    c->gsize = c->nu;
    for (size_t u = 0; u < c->nu; u++) {
        uint32_t r = t->bcrow[u];
        if (r == MG__NONE) continue;
        c->bc_row[r - c->nslots] = r;
        c->bc_u[r - c->nslots] = (uint32_t)u;
    }
    for (size_t g = 0; g < c->ngroups; g++) {
        mg__dense *d = &c->groups[g];
        d->b = mg__tape_calloc(c, d->nout, sizeof *d->b);
        if (!d->b) return 0;
        if (!d->affine) {
            d->W = mg__tape_calloc(c, (size_t)d->nout * d->nin, sizeof *d->W);
            if (!d->W) return 0;
            d->dw = c->gsize;
            if (d->need_dw) c->gsize += (size_t)d->nout * d->nin;
        }
        if (d->need_dw && mg__lane_round(d->nin) > c->maxnin8) c->maxnin8 = mg__lane_round(d->nin);
        if (d->need_dw) { /* float64 slots need none: their rows are the caller's */
            d->xt = c->xtsize;
            c->xtsize += (d->nin + MG__LANE_STEP32 - 1) / MG__LANE_STEP32 * MG__LANE_STEP32;
        }
    }
    return 1;
}

/* The widest lane block whose values and gradients fit MG__BLOCK_BYTES: whole groups of
 * MG__LANE_STEP lanes, at least one group, at most MG__LANES. */
static size_t block_lanes(size_t nrows) {
    size_t fit = MG__BLOCK_BYTES / (2 * sizeof(double) * (nrows ? nrows : 1));
    fit = fit / MG__LANE_STEP * MG__LANE_STEP;
    return fit < MG__LANE_STEP ? MG__LANE_STEP : fit > MG__LANES ? MG__LANES : fit;
}

/* Where results are read (the loss, the outputs: a row or a uniform reference), each
 * row's tape value for messages, which broadcasts want gradients; the gradient sums; the
 * lane block width. 0 when out of memory. */
static int finish_results(compile_tmp *t, mg_compiled *c, mg_value loss, const mg_value *slots,
                          const mg_value *outputs) {
    const mg_ctx *ctx = t->ctx;
    const uint8_t *f = t->flags;
    c->row_tape = mg__tape_calloc(c, c->nrows, sizeof *c->row_tape);
    c->UG = mg__tape_calloc(c, c->gsize, sizeof *c->UG);
    c->outputs = mg__tape_calloc(c, c->noutputs, sizeof *c->outputs);
    if (!c->row_tape || !c->UG || !c->outputs) return 0;
    for (uint32_t i = 0; i <= t->top; i++) {
        if (!(f[i] & F_REACH)) continue;
        uint32_t bc = (f[i] & F_VARY) ? MG__NONE : t->bcrow[t->map[i]];
        if (f[i] & F_VARY) c->row_tape[t->map[i]] = i;
        else if (bc != MG__NONE) c->row_tape[bc] = i, c->bc_need[bc - c->nslots] = (f[i] & F_PDEP) != 0;
    }
    for (size_t k = 0; k < c->nslots; k++) c->row_tape[k] = mg__idx(ctx, slots[k]);
    if (mg_ok(loss)) c->loss = (f[t->top] & F_VARY) ? t->map[t->top] : t->map[t->top] | MG__UREF;
    for (size_t k = 0; k < c->noutputs; k++) {
        uint32_t i = mg__idx(ctx, outputs[k]);
        c->outputs[k] = (f[i] & F_VARY) ? t->map[i] : t->map[i] | MG__UREF;
    }
    c->smax = block_lanes(c->nrows);
    return 1;
}

/* The n (tape, u) pairs as runs where both go up by one; *out is NULL when out of memory. */
static size_t make_runs(mg_compiled *c, const uint32_t *tape, const uint32_t *u, size_t n,
                        mg__span **out) {
    size_t nr = 0;
    for (size_t k = 0; k < n; k++) nr += k == 0 || tape[k] != tape[k - 1] + 1 || u[k] != u[k - 1] + 1;
    *out = mg__tape_calloc(c, nr, sizeof **out);
    if (!*out) return 0;
    nr = 0;
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || tape[k] != tape[k - 1] + 1 || u[k] != u[k - 1] + 1) (*out)[nr++] = (mg__span){tape[k], u[k], 0};
        (*out)[nr - 1].len++;
    }
    return nr;
}

/* Which uniform values a replay reads from U (not in place from the context's data):
 * what the uniform program, broadcasts, biases, gathered weights and results read. */
static void mark_read(const mg_compiled *c, uint8_t *rd) {
    for (size_t k = 0; k < c->uniform.n; k++) {
        const mg__ins *in = &c->uniform.ins[k];
        if (mg__ops[in->op].arity < 0) {
            for (uint32_t j = 0; j < in->b; j++) rd[c->uniform.args[in->a + j]] = 1;
        } else {
            rd[in->a] = rd[in->b] = 1;
        }
    }
    for (size_t b = 0; b < c->nbcast; b++) rd[c->bc_u[b]] = 1;
    for (size_t g = 0; g < c->ngroups; g++) {
        const mg__dense *d = &c->groups[g];
        for (uint32_t o = 0; o < d->nout; o++)
            if (c->idx[d->bias + o] != MG__NONE) rd[c->idx[d->bias + o]] = 1;
        if (!d->in_ctx)
            for (size_t k = 0; k < (size_t)d->nout * d->nin; k++) rd[c->idx[d->widx + k]] = 1;
    }
    if (c->loss != MG__NONE && (c->loss & MG__UREF)) rd[c->loss & ~MG__UREF] = 1;
    for (size_t k = 0; k < c->noutputs; k++)
        if (c->outputs[k] & MG__UREF) rd[c->outputs[k] & ~MG__UREF] = 1;
}

/* Finally the two parameter lists a replay walks, as runs: those whose gradients it writes
 * (the loss's), and those it copies into U because something reads them there. 0 when
 * out of memory. */
static int param_runs(compile_tmp *t, mg_compiled *c) {
    uint8_t *rd = mg__calloc(c->nu, 1);
    uint32_t *cu = mg__calloc(t->nparams, sizeof *cu), *ct = mg__calloc(t->nparams, sizeof *ct);
    int ok = rd && cu && ct;
    if (ok) {
        mark_read(c, rd);
        size_t n = 0;
        for (size_t k = 0; k < t->nparams; k++)
            if (rd[t->par_u[k]]) cu[n] = t->par_u[k], ct[n++] = t->par_tape[k];
        c->ncruns = make_runs(c, ct, cu, n, &c->cruns);
        c->ngruns = make_runs(c, t->par_tape, t->par_u, c->nlossparams, &c->gruns);
        ok = c->cruns && c->gruns;
    }
    mg__free(rd);
    mg__free(cu);
    mg__free(ct);
    return ok;
}

/* ==== split replays ====================================================================== */

/* The multiply-adds of a sample, forward and backward (a dense layer's products, one per
 * row and lane elsewhere): what a replay's thread count follows. */
static void estimate_work(mg_compiled *c) {
    double fwd = 0.0, bwd = 0.0;
    for (size_t k = 0; k < c->varying.n; k++) {
        const mg__ins *in = &c->varying.ins[k];
        if (in->op != MG__OP_DENSE) {
            double rows = (double)in->run * (mg__ops[in->op].arity < 0 ? (double)in->b : 1.0);
            fwd += rows;
            bwd += in->bwd ? rows : 0.0;
            continue;
        }
        const mg__dense *d = &c->groups[in->out];
        double mn = (double)d->nout * (double)d->nin;
        fwd += mn;
        bwd += mn * (double)(d->need_dw + d->need_dx) + (double)d->nout;
    }
    c->work_fwd = fwd;
    c->work_bwd = fwd + bwd;
}

/* Whether the gradient sums allow a split replay, and its tables: each weight gradient
 * region (dW) must be written by nothing else, biases and broadcasts get compact slots,
 * and the rest of UG is listed in ranges to zero. 0 when out of memory. */
static int plan_split(compile_tmp *t, mg_compiled *c) {
    uint8_t *mark = mg__calloc(c->gsize ? c->gsize : 1, 1);
    uint32_t *slot_of = mg__calloc(c->gsize ? c->gsize : 1, sizeof *slot_of);
    c->slots = mg__tape_calloc(c, c->ngrouped, sizeof *c->slots);
    c->bc_slot = mg__tape_calloc(c, c->nbcast, sizeof *c->bc_slot);
    int ok = mark && slot_of && c->slots && c->bc_slot;
    enum { DW = 1, SMALL = 2 };
    int clash = 0;
    size_t nsmall = 0, ns = 0;
    for (size_t g = 0; ok && g < c->ngroups; g++) {
        const mg__dense *d = &c->groups[g];
        if (!d->need_dw) continue;
        for (size_t o = 0; o < d->nout; o++)
            for (size_t i = 0; i < d->nin; i++) {
                size_t k = d->affine ? d->w0 + o * d->ldw + i : d->dw + o * d->nin + i;
                clash |= mark[k] != 0;
                mark[k] = DW;
            }
    }
    /* a uniform index's compact slot, the first time it is seen */
#define SLOT_OF(u) (mark[u] == SMALL ? slot_of[u] : (clash |= mark[u] == DW, mark[u] = SMALL, slot_of[u] = (uint32_t)nsmall++))
    for (size_t g = 0; ok && g < c->ngroups; g++) {
        mg__dense *d = &c->groups[g];
        d->bslot = (uint32_t)ns;
        for (size_t o = 0; o < d->nout; o++, ns++) {
            uint32_t b = c->idx[d->bias + o];
            c->slots[ns] = d->need_db && b != MG__NONE ? SLOT_OF(b) : MG__NONE;
        }
    }
    for (size_t b = 0; ok && b < c->nbcast; b++)
        c->bc_slot[b] = c->bc_need[b] ? SLOT_OF(c->bc_u[b]) : MG__NONE;
#undef SLOT_OF
    if (ok) {
        c->nsmall = nsmall;
        c->small_u = mg__tape_calloc(c, nsmall, sizeof *c->small_u);
        c->sbuf = mg__tape_calloc(c, MG__MAX_CHUNKS * (nsmall ? nsmall : 1), sizeof *c->sbuf);
        ok = c->small_u && c->sbuf;
    }
    size_t nz = 0;
    for (size_t pass = 0; ok && pass < 2; pass++) { /* count the zero ranges, then fill them */
        nz = 0;
        for (size_t k = 0; k < c->gsize; k++) {
            if (mark[k] == SMALL && pass) c->small_u[slot_of[k]] = (uint32_t)k;
            if (mark[k]) continue;
            if (k == 0 || mark[k - 1]) {
                if (pass) c->zruns[nz] = (mg__range){(uint32_t)k, 0};
                nz++;
            }
            if (pass) c->zruns[nz - 1].len++;
        }
        if (!pass) ok = (c->zruns = mg__tape_calloc(c, nz, sizeof *c->zruns)) != NULL;
    }
    c->nzruns = nz;
    c->split_ok = ok && !clash;
    /* the simple tail: nothing after the sums, and only parameters summed */
    int simple = !(c->loss != MG__NONE && (c->loss & MG__UREF));
    for (size_t k = 0; k < c->uniform.n; k++) simple &= !c->uniform.ins[k].bwd;
    for (size_t g = 0; g < c->ngroups; g++) {
        const mg__dense *d = &c->groups[g];
        simple &= d->affine || !d->need_dw;
        for (size_t k = 0; d->need_dw && k < (size_t)d->nout * d->nin; k++)
            simple &= c->idx[d->widx + k] < t->span; /* a parameter */
    }
    for (size_t b = 0; b < c->nbcast; b++) simple &= !c->bc_need[b] || c->bc_u[b] < t->span;
    c->simple_tail = simple;
    mg__free(mark);
    mg__free(slot_of);
    return ok;
}

/* ==== compiling =========================================================================== */

mg_compiled *mg_compile(mg_ctx *ctx, mg_value loss, size_t nslots, const mg_value *slots,
                        size_t noutputs, const mg_value *outputs, mg_err *err) {
    MG_ASSERT(ctx != NULL, "mg_compile without a context");
    MG_ASSERT(nslots == 0 || slots != NULL, "slots is NULL");
    MG_ASSERT(noutputs == 0 || outputs != NULL, "outputs is NULL");
    int64_t top = check_args(ctx, loss, nslots, slots, noutputs, outputs, err);
    if (top < 0) return NULL;
    compile_tmp t;
    mg_compiled *c = mg__tape_new(ctx);
    int ok = tmp_init(&t, ctx, (uint32_t)top) && c;
    if (ok) {
        c->nslots = nslots;
        c->noutputs = noutputs;
        mark_flags(&t, c, loss, slots, outputs);
        ok = number_uniform(&t, c) && layout_groups(&t, c) && count_rows(&t, c);
    }
    if (ok) {
        emit_programs(&t, c);
        ok = finish_groups(&t, c) && finish_results(&t, c, loss, slots, outputs) &&
             param_runs(&t, c) && plan_split(&t, c);
        estimate_work(c);
    }
    tmp_free(&t);
    if (ok) return c;
    mg_err_set(err, t.st, "mg_compile: %s", t.why);
    mg_compiled_free(c);
    return NULL;
}
