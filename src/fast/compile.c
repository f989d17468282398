/* compile.c - recording a sample's graph into a compiled tape: which values vary per
 * sample, which are computed once, which dot values form dense layers, and the two
 * programs that replay them (src/replay.c runs them). */
#include "compile_internal.h"

#include <math.h>

/* Per tape value, while compiling. */
enum {
    F_REACH = 1,  /* the loss or an output depends on it */
    F_LOSS = 2,   /* the loss depends on it */
    F_VARY = 4,   /* it depends on a slot */
    F_PDEP = 8,   /* it depends on a parameter (so it needs a gradient) */
    F_SLOT = 16,
    F_PARAM = 32  /* a parameter leaf that is not a slot */
};

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

static uint64_t hash_inputs(const uint32_t *x, uint32_t n) {
    uint64_t h = 1469598103934665603u;
    for (uint32_t k = 0; k < n; k++) h = (h ^ x[k]) * 1099511628211u;
    return h;
}

/* Groups the dense-capable dot values by their input list. gid[i] gets the group of each
 * member (MG__NONE otherwise), gfirst[g] its first member in tape order, gnext the next
 * member. Returns the number of groups, or SIZE_MAX when out of memory. */
static size_t find_groups(const mg_ctx *ctx, const uint8_t *f, uint32_t top,
                          uint32_t *gid, uint32_t *gfirst, uint32_t *gnext) {
    size_t ndots = 0, maxin = 0;
    for (uint32_t i = 0; i <= top; i++) {
        gid[i] = gnext[i] = MG__NONE;
        if ((f[i] & (F_REACH | F_VARY)) == (F_REACH | F_VARY) && ctx->op[i] == MG_OP_DOT) {
            uint32_t m = dense_inputs(ctx, f, i, NULL);
            if (m) ndots++;
            if (m > maxin) maxin = m;
        }
    }
    if (ndots == 0) return 0;
    size_t cap = 16;
    while (cap < 2 * ndots) cap *= 2;
    uint32_t *table = mg__calloc(cap, sizeof *table);
    uint32_t *xa = mg__calloc(maxin, sizeof *xa);
    uint32_t *xb = mg__calloc(maxin, sizeof *xb);
    uint32_t *glast = mg__calloc(ndots, sizeof *glast);
    size_t ng = SIZE_MAX;
    if (!table || !xa || !xb || !glast) goto done;
    for (size_t s = 0; s < cap; s++) table[s] = MG__NONE;
    ng = 0;
    for (uint32_t i = 0; i <= top; i++) {
        if ((f[i] & (F_REACH | F_VARY)) != (F_REACH | F_VARY) || ctx->op[i] != MG_OP_DOT) continue;
        uint32_t m = dense_inputs(ctx, f, i, xa);
        if (!m) continue;
        size_t s = (size_t)hash_inputs(xa, m) & (cap - 1);
        for (;; s = (s + 1) & (cap - 1)) {
            uint32_t g = table[s];
            if (g == MG__NONE) { /* a new layer */
                table[s] = (uint32_t)ng;
                gfirst[ng] = glast[ng] = i;
                gid[i] = (uint32_t)ng++;
                break;
            }
            uint32_t j = gfirst[g];
            if (dense_inputs(ctx, f, j, xb) == m && !memcmp(xa, xb, m * sizeof *xa)) {
                gnext[glast[g]] = i;
                glast[g] = i;
                gid[i] = g;
                break;
            }
        }
    }
done:
    mg__free(table);
    mg__free(xa);
    mg__free(xb);
    mg__free(glast);
    return ng;
}

/* ==== compiling =========================================================================== */

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

/* The uniform index of each weight, then whether they sit at w0 + o*ldw + i. */
static void fill_dense(mg_compiled *c, mg__dense *d, const mg_ctx *ctx, const uint8_t *f,
                       const uint32_t *map, uint32_t first, const uint32_t *gnext,
                       uint32_t *xbuf) {
    uint32_t *x = c->idx + d->xrows, *y = c->idx + d->yrows, *b = c->idx + d->bias;
    uint32_t *w = c->idx + d->widx;
    dense_inputs(ctx, f, first, xbuf);
    int bw = 0, need_x = 0, need_w = 0, need_b = 0;
    d->x_slots = 1;
    for (uint32_t k = 0; k < d->nin; k++) {
        x[k] = map[xbuf[k]];
        if (f[xbuf[k]] & F_PDEP) need_x = 1;
        if (!(f[xbuf[k]] & F_SLOT) || x[k] != k) d->x_slots = 0;
    }
    uint32_t o = 0;
    for (uint32_t i = first; i != MG__NONE; i = gnext[i], o++) {
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

/* The parameters a replay reads through U, not in place: those the uniform program,
 * broadcasts, biases, gathered weights and results read. 0 when out of memory. */
static int copy_list(mg_compiled *c) {
    uint8_t *rd = mg__calloc(c->nu, 1);
    if (!rd) return 0;
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
    size_t n = 0;
    for (size_t k = 0; k < c->npar; k++) n += rd[c->par_u[k]];
    c->copy_u = mg__tape_calloc(c, n, sizeof *c->copy_u);
    c->copy_tape = mg__tape_calloc(c, n, sizeof *c->copy_tape);
    if (c->copy_u && c->copy_tape)
        for (size_t k = 0; k < c->npar; k++)
            if (rd[c->par_u[k]]) {
                c->copy_u[c->ncopy] = c->par_u[k];
                c->copy_tape[c->ncopy++] = c->par_tape[k];
            }
    mg__free(rd);
    if (!c->copy_u || !c->copy_tape) return 0;
    c->ncruns = make_runs(c, c->copy_tape, c->copy_u, c->ncopy, &c->cruns);
    c->ngruns = make_runs(c, c->par_tape, c->par_u, c->nlossparams, &c->gruns);
    return c->cruns && c->gruns;
}

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
        if (ctx->op[i] != MG_OP_LEAF) {
            mg_err_set(err, MG_STATUS_INVALID,
                       "mg_compile: slot %zu (tape #%u) is not a leaf but a '%s' value", k, i,
                       mg__ops[ctx->op[i]].name);
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

mg_compiled *mg_compile(mg_ctx *ctx, mg_value loss, size_t nslots, const mg_value *slots,
                        size_t noutputs, const mg_value *outputs, mg_err *err) {
    MG_ASSERT(ctx != NULL, "mg_compile without a context");
    MG_ASSERT(nslots == 0 || slots != NULL, "slots is NULL");
    MG_ASSERT(noutputs == 0 || outputs != NULL, "outputs is NULL");
    int64_t top64 = check_args(ctx, loss, nslots, slots, noutputs, outputs, err);
    if (top64 < 0) return NULL;
    uint32_t top = (uint32_t)top64;

    mg_compiled *c = mg__tape_new(ctx);
    if (!c) {
        mg_err_set(err, MG_STATUS_NOMEM, "mg_compile: out of memory");
        return NULL;
    }
    c->nslots = nslots;
    c->noutputs = noutputs;

    /* temporaries, per tape value up to top */
    size_t n = (size_t)top + 1;
    uint8_t *f = mg__calloc(n, 1);
    uint32_t *map = mg__calloc(n, sizeof *map);
    uint32_t *gid = mg__calloc(n, sizeof *gid);
    uint32_t *gnext = mg__calloc(n, sizeof *gnext);
    uint32_t *gfirst = mg__calloc(n, sizeof *gfirst);
    uint32_t *bcrow = NULL, *xbuf = NULL;
    const char *why = "out of memory";
    mg_status st = MG_STATUS_NOMEM;
    if (!f || !map || !gid || !gnext || !gfirst) goto fail;

    /* ---- flags: slots, reachability, dependence ---- */
    for (size_t k = 0; k < nslots; k++) {
        uint32_t i = mg__idx(ctx, slots[k]);
        if (i <= top) f[i] |= F_SLOT | F_VARY, map[i] = (uint32_t)k;
    }
    if (mg_ok(loss)) f[top] |= F_REACH | F_LOSS;
    for (size_t k = 0; k < noutputs; k++) f[mg__idx(ctx, outputs[k])] |= F_REACH;
    for (uint32_t i = top + 1; i-- > 0;) {
        if (!(f[i] & F_REACH) || ctx->op[i] == MG_OP_LEAF) continue;
        uint32_t buf[2], m;
        const uint32_t *p = mg__live_operands(ctx, i, buf, &m);
        for (uint32_t k = 0; k < m; k++) f[p[k]] |= F_REACH | (f[i] & F_LOSS);
        if (ctx->op[i] == MG_OP_POWC) f[ctx->a1[i]] |= F_REACH;
    }
    size_t nparams = 0, nlossparams = 0;
    uint32_t pmin = 0, pmax = 0;
    for (uint32_t i = 0; i <= top; i++) {
        if (!(f[i] & F_REACH)) continue;
        c->nvalues++;
        if (ctx->op[i] == MG_OP_LEAF) {
            if (!(f[i] & F_SLOT) && ctx->role[i] == MG_ROLE_PARAM) {
                f[i] |= F_PARAM | F_PDEP;
                if (!nparams) pmin = i;
                pmax = i;
                nparams++;
                if (f[i] & F_LOSS) nlossparams++;
            }
            continue;
        }
        uint32_t buf[2], m;
        const uint32_t *p = mg__live_operands(ctx, i, buf, &m);
        for (uint32_t k = 0; k < m; k++) f[i] |= f[p[k]] & (F_VARY | F_PDEP);
    }

    /* ---- uniform values: parameters (mirroring the tape when they sit close together, so
     * a layer's weights stay a strided block), frozen leaves, then operations ---- */
    size_t P = nparams ? (size_t)pmax - pmin + 1 : 0;
    int mirror = P <= 2 * nparams + 4096;
    if (!mirror) P = nparams;
    c->mirror = mirror;
    c->pmin = pmin;
    c->npar = nparams;
    c->nlossparams = nlossparams;
    c->par_u = mg__tape_calloc(c, nparams, sizeof *c->par_u);
    c->par_tape = mg__tape_calloc(c, nparams, sizeof *c->par_tape);
    if (!c->par_u || !c->par_tape) goto fail;
    size_t nu = P, rank = 0, lossrank = 0, restrank = nlossparams;
    for (uint32_t i = 0; i <= top; i++) {
        if (!(f[i] & F_REACH) || (f[i] & F_VARY)) continue;
        if (f[i] & F_PARAM) {
            map[i] = mirror ? i - pmin : (uint32_t)rank;
            rank++;
            size_t slot = (f[i] & F_LOSS) ? lossrank++ : restrank++;
            c->par_u[slot] = map[i];
            c->par_tape[slot] = i;
            if (!c->has_maxidx || i > c->maxidx) c->maxidx = i, c->has_maxidx = 1;
        } else {
            map[i] = (uint32_t)nu++;
        }
    }
    if (nu >= MG__UREF) {
        why = "graph too large";
        st = MG_STATUS_INVALID;
        goto fail;
    }
    if (c->has_maxidx) c->maxgen = ctx->gen[c->maxidx];
    c->nu = nu;
    c->U = mg__tape_calloc(c, nu, sizeof *c->U);
    if (!c->U) goto fail;
    for (uint32_t i = 0; i <= top; i++)
        if ((f[i] & F_REACH) && !(f[i] & (F_VARY | F_PARAM)) && ctx->op[i] == MG_OP_LEAF)
            c->U[map[i]] = ctx->data[i]; /* frozen */

    /* ---- dense layers ---- */
    size_t ng = find_groups(ctx, f, top, gid, gfirst, gnext);
    if (ng == SIZE_MAX) goto fail;
    c->groups = mg__tape_calloc(c, ng, sizeof *c->groups);
    if (!c->groups) goto fail;
    c->ngroups = ng; /* only now: mg_compiled_free walks the groups */
    size_t nidx = 0, maxin = 0;
    for (size_t g = 0; g < ng; g++) {
        mg__dense *d = &c->groups[g];
        d->nin = dense_inputs(ctx, f, gfirst[g], NULL);
        for (uint32_t i = gfirst[g]; i != MG__NONE; i = gnext[i]) d->nout++;
        c->ngrouped += d->nout;
        size_t add = d->nin + 2 * (size_t)d->nout + (size_t)d->nout * d->nin;
        if (add > UINT32_MAX - nidx) {
            why = "graph too large";
            st = MG_STATUS_INVALID;
            goto fail;
        }
        d->xrows = (uint32_t)nidx;
        d->yrows = d->xrows + d->nin;
        d->bias = d->yrows + d->nout;
        d->widx = d->bias + d->nout;
        nidx += add;
        if (d->nin > maxin) maxin = d->nin;
    }
    c->idx = mg__tape_calloc(c, nidx, sizeof *c->idx);
    xbuf = mg__calloc(maxin, sizeof *xbuf);
    if (!c->idx || !xbuf) goto fail;

    /* ---- rows: slots, broadcasts of uniform values read per lane, then operations ---- */
    bcrow = mg__calloc(nu, sizeof *bcrow);
    if (!bcrow) goto fail;
    for (size_t u = 0; u < nu; u++) bcrow[u] = MG__NONE;
    size_t nbc = 0, nvp = 0, nvargs = 0, nup = 0, nuargs = 0;
    for (uint32_t i = 0; i <= top; i++) {
        if (!(f[i] & F_REACH) || ctx->op[i] == MG_OP_LEAF) continue;
        int arity = mg__ops[ctx->op[i]].arity;
        if (!(f[i] & F_VARY)) {
            nup++;
            if (arity < 0) nuargs += ctx->a1[i];
            continue;
        }
        if (gid[i] != MG__NONE) {
            if (gfirst[gid[i]] == i) nvp++;
            continue;
        }
        nvp++;
        if (arity < 0) nvargs += ctx->a1[i];
        uint32_t buf[2], m;
        const uint32_t *p = mg__live_operands(ctx, i, buf, &m);
        for (uint32_t k = 0; k < m; k++)
            if (!(f[p[k]] & F_VARY) && bcrow[map[p[k]]] == MG__NONE)
                bcrow[map[p[k]]] = (uint32_t)(nslots + nbc++);
    }
    c->nbcast = nbc;
    c->bc_row = mg__tape_calloc(c, nbc, sizeof *c->bc_row);
    c->bc_u = mg__tape_calloc(c, nbc, sizeof *c->bc_u);
    c->bc_need = mg__tape_calloc(c, nbc, 1);
    if (!mg__tape_program(c, &c->varying, nvp, nvargs) ||
        !mg__tape_program(c, &c->uniform, nup, nuargs) || !c->bc_row || !c->bc_u || !c->bc_need)
        goto fail;

    /* ---- the two programs, in tape order ---- */
    size_t row = nslots + nbc;
    for (uint32_t i = 0; i <= top; i++) {
        if (!(f[i] & F_REACH) || ctx->op[i] == MG_OP_LEAF) continue;
        int vary = (f[i] & F_VARY) != 0;
        if (vary && gid[i] != MG__NONE) {
            if (gfirst[gid[i]] != i) continue;
            mg__dense *d = &c->groups[gid[i]];
            d->y0 = (uint32_t)row;
            for (uint32_t j = i; j != MG__NONE; j = gnext[j]) map[j] = (uint32_t)row++;
            fill_dense(c, d, ctx, f, map, i, gnext, xbuf);
            mg__ins *in = &c->varying.ins[c->varying.n++];
            in->op = MG__OP_DENSE;
            in->run = 1;
            in->out = gid[i];
            in->bwd = (uint8_t)(d->need_dx || d->need_dw || d->need_db);
            in->tape = i;
            continue;
        }
        mg__program *pg = vary ? &c->varying : &c->uniform;
        mg__ins *in = &pg->ins[pg->n++];
        uint32_t *args = pg->args;
        uint8_t *argneed = pg->argneed;
        size_t *nargs = &pg->nargs;
        in->op = ctx->op[i];
        in->tape = i;
        in->run = 1;
        in->bwd = (f[i] & (F_LOSS | F_PDEP)) == (F_LOSS | F_PDEP);
        map[i] = vary ? (uint32_t)row++ : map[i];
        in->out = map[i];
        uint32_t buf[2], m, ref[2] = {0, 0};
        const uint32_t *p = mg__live_operands(ctx, i, buf, &m);
        for (uint32_t k = 0; k < m; k++) {
            uint32_t j = p[k], r = map[j];
            if (vary && !(f[j] & F_VARY)) r = bcrow[r];
            if (mg__ops[in->op].arity < 0) {
                args[*nargs + k] = r;
                argneed[*nargs + k] = (f[j] & F_PDEP) != 0;
            } else {
                ref[k] = r;
                if (f[j] & F_PDEP) in->need |= (uint8_t)(1u << k);
            }
        }
        if (mg__ops[in->op].arity < 0) {
            in->a = (uint32_t)*nargs;
            in->b = m;
            if (!vary && in->op == MG_OP_DOT && m >= 2) { /* pairs at consecutive indices? */
                const uint32_t *q = args + *nargs + (m & 1u);
                int range = 1;
                for (uint32_t k = 2; k + 1 < m && range; k += 2)
                    range = q[k] == q[0] + k / 2 && q[k + 1] == q[1] + k / 2;
                if (range) in->need |= MG__NEED_RANGE;
            }
            *nargs += m;
        } else {
            in->a = ref[0];
            in->b = m == 2 ? ref[1] : ref[0];
        }
        if (in->op == MG_OP_POWC) in->k = ctx->data[ctx->a1[i]];
    }
    fuse_runs(&c->varying);
    for (size_t g = 0; g < ng; g++) { /* the mirror holds parameters only: u < P */
        mg__dense *d = &c->groups[g];
        d->in_ctx = d->affine && mirror && d->w0 + (d->nout - 1) * d->ldw + d->nin <= P;
    }
    c->nrows = row;

    /* ---- broadcasts, non-affine weight gradients, where results are, messages ---- */
    c->gsize = nu;
    for (size_t u = 0; u < nu; u++) {
        uint32_t r = bcrow[u];
        if (r == MG__NONE) continue;
        c->bc_row[r - nslots] = r;
        c->bc_u[r - nslots] = (uint32_t)u;
    }
    for (size_t g = 0; g < ng; g++) {
        mg__dense *d = &c->groups[g];
        d->b = mg__tape_calloc(c, d->nout, sizeof *d->b);
        if (!d->b) goto fail;
        if (!d->affine) {
            d->W = mg__tape_calloc(c, (size_t)d->nout * d->nin, sizeof *d->W);
            if (!d->W) goto fail;
            d->dw = c->gsize;
            if (d->need_dw) c->gsize += (size_t)d->nout * d->nin;
        }
        if (d->need_dw && (d->nin + 7) / 8 * 8 > c->maxnin8)
            c->maxnin8 = (d->nin + 7) / 8 * 8;
    }
    c->row_tape = mg__tape_calloc(c, c->nrows, sizeof *c->row_tape);
    c->UG = mg__tape_calloc(c, c->gsize, sizeof *c->UG);
    c->outputs = mg__tape_calloc(c, noutputs, sizeof *c->outputs);
    if (!c->row_tape || !c->UG || !c->outputs) goto fail;
    for (uint32_t i = 0; i <= top; i++) {
        if (!(f[i] & F_REACH)) continue;
        if (f[i] & F_VARY) c->row_tape[map[i]] = i;
        else if (bcrow[map[i]] != MG__NONE) {
            c->row_tape[bcrow[map[i]]] = i;
            c->bc_need[bcrow[map[i]] - nslots] = (f[i] & F_PDEP) != 0;
        }
    }
    for (size_t k = 0; k < nslots; k++) c->row_tape[k] = mg__idx(ctx, slots[k]);
    if (mg_ok(loss)) c->loss = (f[top] & F_VARY) ? map[top] : map[top] | MG__UREF;
    for (size_t k = 0; k < noutputs; k++) {
        uint32_t i = mg__idx(ctx, outputs[k]);
        c->outputs[k] = (f[i] & F_VARY) ? map[i] : map[i] | MG__UREF;
    }
    if (!copy_list(c)) goto fail;
    size_t fit = MG__BLOCK_BYTES / (16 * (c->nrows ? c->nrows : 1)) / 8 * 8;
    c->smax = fit < 8 ? 8 : fit > MG__LANES ? MG__LANES : fit;
    mg__free(f);
    mg__free(map);
    mg__free(gid);
    mg__free(gnext);
    mg__free(gfirst);
    mg__free(bcrow);
    mg__free(xbuf);
    return c;

fail:
    mg__free(f);
    mg__free(map);
    mg__free(gid);
    mg__free(gnext);
    mg__free(gfirst);
    mg__free(bcrow);
    mg__free(xbuf);
    mg_err_set(err, st, "mg_compile: %s", why);
    mg_compiled_free(c);
    return NULL;
}
