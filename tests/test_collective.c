/* test_collective.c - the library's side of data-parallel training (micrograd.h section
 * 9b) without MPI: R threads play R ranks, each with its own context, model and data,
 * exchanging through an allgather made of a shared buffer and a barrier. Every rank's
 * weights after mg_train must be the one-process weights bit for bit (float64 and
 * float32, batches of 1 to 8 chunks, 2 and 3 ranks), an error on one rank must be every
 * rank's error with that rank's message, and a bad collective is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"

enum { MAXR = 3 };

/* The ranks' meeting place: each copies its part in, all wait, each copies all out. */
typedef struct meeting {
    pthread_barrier_t b;
    unsigned char *stage;
    size_t cap;
    int nranks;
} meeting;

typedef struct rank {
    meeting *mt;
    int r;
    mg_collective coll;
    size_t batch, steps;
    mg_dtype dtype;
    double l2;
    double *weights; /* out: the trained weights */
    size_t nparams;
    mg_status st;
    char msg[512];
} rank;

static int allgather(void *user, void *buf, const size_t *counts, const size_t *displs) {
    rank *k = user;
    meeting *mt = k->mt;
    size_t end = 0;
    for (int r = 0; r < mt->nranks; r++)
        if (displs[r] + counts[r] > end) end = displs[r] + counts[r];
    pthread_barrier_wait(&mt->b); /* the stage is free */
    if (k->r == 0 && end > mt->cap) {
        mt->stage = realloc(mt->stage, end);
        mt->cap = end;
    }
    pthread_barrier_wait(&mt->b);
    memcpy(mt->stage + displs[k->r], (unsigned char *)buf + displs[k->r], counts[k->r]);
    pthread_barrier_wait(&mt->b);
    for (int r = 0; r < mt->nranks; r++)
        if (r != k->r) memcpy((unsigned char *)buf + displs[r], mt->stage + displs[r], counts[r]);
    return 0;
}

/* One run: spiral data and an MLP from seed 7, trained as k says (k->coll.nranks 0: one
 * process). */
static void *train(void *arg) {
    rank *k = arg;
    mg_ctx *ctx = mg_ctx_new();
    mg_rng_seed(mg_ctx_rng(ctx), 7);
    mg_err err = {0};
    mg_dataset *d = mg_dataset_spiral(mg_ctx_rng(ctx), 300, 3, 0.1, &err);
    const size_t sizes[3] = {24, 16, 3};
    mg_mlp *m = d ? mg_mlp_new(ctx, 2, 3, sizes, NULL, MG_INIT_SCALED, NULL, &err) : NULL;
    mg_train_config cfg;
    mg_train_config_init(&cfg);
    cfg.loss = MG_LOSS_KIND_CE;
    cfg.batch_size = k->batch;
    cfg.steps = k->steps;
    cfg.l2 = k->l2;
    cfg.dtype = k->dtype;
    cfg.threads = 1;
    cfg.collective = k->coll.nranks ? &k->coll : NULL;
    k->st = m ? mg_train(ctx, m, d, NULL, &cfg, NULL, &err) : MG_STATUS_NOMEM;
    snprintf(k->msg, sizeof k->msg, "%s", k->st ? err.msg : "");
    if (m && !k->st) {
        k->nparams = m->nparams;
        k->weights = malloc(m->nparams * sizeof *k->weights);
        memcpy(k->weights, mg_data_ptr(ctx, m->first), m->nparams * sizeof *k->weights);
    }
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
    return NULL;
}

/* nranks ranks (0: one process alone) training with batch, dtype; l2 on rank bad_rank
 * only (the others 0), to make that rank fail. */
static void run_ranks(int nranks, size_t batch, mg_dtype dtype, int bad_rank, double bad_l2,
                      rank *ks) {
    meeting mt = {.nranks = nranks};
    pthread_t th[MAXR];
    int n = nranks ? nranks : 1;
    if (nranks) pthread_barrier_init(&mt.b, NULL, (unsigned)nranks);
    for (int r = 0; r < n; r++) {
        ks[r] = (rank){.mt = &mt, .r = r, .batch = batch, .steps = 12, .dtype = dtype,
                       .l2 = r == bad_rank ? bad_l2 : 0.0};
        ks[r].coll = (mg_collective){r, nranks, &ks[r], allgather};
        if (!nranks) ks[r].coll.nranks = 0;
    }
    for (int r = 0; r < n; r++) pthread_create(&th[r], NULL, train, &ks[r]);
    for (int r = 0; r < n; r++) pthread_join(th[r], NULL);
    if (nranks) pthread_barrier_destroy(&mt.b);
    free(mt.stage);
}

static void free_ranks(rank *ks, int n) {
    for (int r = 0; r < n; r++) free(ks[r].weights);
}

static void test_same_bits(void **state) {
    (void)state;
    const size_t batches[] = {16, 64, 100, 300};
    for (int dt = 0; dt < 2; dt++)
        for (size_t b = 0; b < sizeof batches / sizeof *batches; b++) {
            mg_dtype dtype = dt ? MG_DTYPE_F32 : MG_DTYPE_F64;
            rank one[1], ks[MAXR];
            run_ranks(0, batches[b], dtype, -1, 0.0, one);
            assert_int_equal(one[0].st, MG_STATUS_OK);
            for (int nr = 2; nr <= MAXR; nr++) {
                run_ranks(nr, batches[b], dtype, -1, 0.0, ks);
                for (int r = 0; r < nr; r++) {
                    assert_int_equal(ks[r].st, MG_STATUS_OK);
                    assert_int_equal(ks[r].nparams, one[0].nparams);
                    if (memcmp(ks[r].weights, one[0].weights, one[0].nparams * sizeof(double)))
                        fail_msg("batch %zu, %s, %d ranks: rank %d's weights differ", batches[b],
                                 dt ? "f32" : "f64", nr, r);
                }
                free_ranks(ks, nr);
            }
            free_ranks(one, 1);
        }
}

static void test_one_rank_fails(void **state) {
    (void)state;
    rank ks[MAXR];
    run_ranks(3, 64, MG_DTYPE_F64, 1, -1.0, ks); /* rank 1 alone has a bad config */
    for (int r = 0; r < 3; r++) {
        assert_int_equal(ks[r].st, MG_STATUS_INVALID);
        assert_non_null(strstr(ks[r].msg, "rank 1: l2 must be finite and >= 0"));
    }
    free_ranks(ks, 3);
}

static void test_bad_collective(void **state) {
    (void)state;
    mg_ctx *ctx = mg_ctx_new();
    mg_value x = mg_leaf(ctx, 1.0), w = mg_param(ctx, 2.0);
    mg_value loss = mg_mul(ctx, x, w);
    mg_compiled *c = mg_compile(ctx, loss, 1, &x, 0, NULL, NULL);
    assert_non_null(c);
    mg_err err = {0};
    mg_collective bad = {3, 2, NULL, allgather};
    assert_int_equal(mg_compiled_set_collective(c, &bad, &err), MG_STATUS_INVALID);
    bad = (mg_collective){0, 2, NULL, NULL};
    assert_int_equal(mg_compiled_set_collective(c, &bad, &err), MG_STATUS_INVALID);
    mg_collective alone = {0, 1, NULL, allgather};
    assert_int_equal(mg_compiled_set_collective(c, &alone, &err), MG_STATUS_OK);
    assert_int_equal(mg_compiled_set_collective(c, NULL, &err), MG_STATUS_OK);
    mg_compiled_free(c);
    mg_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_bits),
        cmocka_unit_test(test_one_rank_fails),
        cmocka_unit_test(test_bad_collective),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
