/* test_oom.c - failing allocations. An allocator installed with mg_set_allocator fails
 * the N-th allocation; each scenario (a graph and its pictures, a script, a training run
 * on both paths, a compiled tape, data files, a model file round trip) is run with N = 0,
 * 1, 2, ... until it gets through without reaching N. Every run must end in a clean
 * error or in success, never a crash; it must give back every allocation it made (the
 * allocator counts them, so this is checked in every build, not only under the leak
 * checker); and a context whose allocation failed must still work once memory is back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"
#include "support/testutil.h"

/* ==== the failing allocator ================================================================== */

static long fail_at = -1; /* the allocation to fail (0-based); -1: none */
static long calls;        /* allocations so far in this run */
static long live;         /* blocks not yet freed */
static int failed;        /* 1 once the failure was handed out */

static int fail_now(void) {
    if (calls++ != fail_at) return 0;
    failed = 1;
    return 1;
}
static void *t_alloc(void *user, size_t size) {
    (void)user;
    if (fail_now()) return NULL;
    void *p = malloc(size);
    if (p) live++;
    return p;
}
static void *t_realloc(void *user, void *p, size_t size) {
    (void)user;
    if (fail_now()) return NULL;
    return realloc(p, size);
}
static void t_free(void *user, void *p) {
    (void)user;
    live--;
    free(p);
}

static int setup(void **state) {
    (void)state;
    static const mg_allocator a = {t_alloc, t_realloc, t_free, NULL};
    mg_set_allocator(&a);
    return 0;
}
static int teardown(void **state) {
    (void)state;
    mg_set_allocator(NULL);
    return 0;
}

/* A scenario returns 0 when it got through, 1 after a clean error; it frees all it made. */
typedef int (*scenario)(void);

/* Every how many allocations one is failed: 1 (each of them), or MG_TEST_OOM_STRIDE (the
 * valgrind run takes every 7th: under memcheck each run is some 50 times slower, and the
 * sanitizer build fails them all). */
static long stride(void) {
    const char *e = getenv("MG_TEST_OOM_STRIDE");
    long k = e ? strtol(e, NULL, 10) : 1;
    return k >= 1 && k <= 1000 ? k : 1;
}

/* Runs s failing allocation 0, 1, 2, ... (or every stride-th) until a run does not reach
 * the failure. */
static void fail_each(const char *name, scenario s) {
    long step = stride();
    for (fail_at = 0;; fail_at += step) {
        calls = live = 0;
        failed = 0;
        int rc = s();
        if (live != 0) fail_msg("%s: failing allocation %ld leaked %ld blocks", name, fail_at, live);
        if (!failed) {
            if (rc != 0) fail_msg("%s: failed without a failing allocation", name);
            if (step == 1)
                print_message("%s: %ld allocations, each failed once: clean\n", name, calls);
            else
                print_message("%s: %ld allocations, one in %ld failed in turn: clean\n", name,
                              calls, step);
            break;
        }
        /* (A run may also get through despite the failure when the library could do
         * without that memory; its results were checked by the scenario.) */
        assert_true(fail_at < 100000);
    }
    fail_at = -1;
}

/* ==== scenarios ============================================================================== */

/* micrograd's README expression as a script, backward, a gradient check, its DOT text
 * and formula; then, memory back, the same context still computes. */
static int engine(void) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    int rc = 1;
    mg_err err;
    mg_script *s = mg_script_parse(ctx, tu_readme_script, strlen(tu_readme_script), "readme", NULL, &err);
    if (s) {
        mg_value g = mg_script_output(s);
        mg_backward(ctx, g);
        mg_gradcheck_report rep;
        double e = mg_gradcheck(ctx, g, 1e-6, &rep);
        char buf[4096];
        size_t len;
        if (!mg_ctx_status(ctx) && isfinite(e) && !mg_graph_format(ctx, g, NULL, buf, sizeof buf, &len, &err) &&
            !mg_formula_format(ctx, g, NULL, buf, sizeof buf, &len, &err))
            rc = 0;
        if (!rc) ASSERT_NEAR(mg_data(ctx, g), 24.70408163265306, 1e-12);
    } else {
        assert_int_equal(err.status, MG_STATUS_NOMEM);
    }
    mg_script_free(s);
    /* With memory back, the context works: 2*3 + 1 and its slopes. */
    long saved = fail_at;
    fail_at = -1;
    mg_ctx_clear_status(ctx);
    mg_value x = mg_leaf(ctx, 2), y = mg_leaf(ctx, 3);
    mg_value z = mg_addf(ctx, mg_mul(ctx, x, y), 1);
    assert_true(mg_ok(z));
    mg_backward(ctx, z);
    ASSERT_NEAR(mg_data(ctx, z), 7, 0);
    ASSERT_NEAR(mg_grad(ctx, x), 3, 0);
    fail_at = saved;
    mg_ctx_free(ctx);
    return rc;
}

/* A small MLP trained on moons, compiled and eager, then evaluated and predicted. */
static int training(void) {
    int rc = 1;
    mg_err err;
    mg_ctx *ctx = mg_ctx_new();
    mg_rng rng;
    mg_rng_seed(&rng, 5);
    mg_dataset *d = mg_dataset_moons(&rng, 40, 0.1, &err);
    const size_t sizes[3] = {6, 5, 1};
    mg_mlp *m = ctx && d ? mg_mlp_new(ctx, 2, 3, sizes, NULL, MG_INIT_SCALED, &rng, &err) : NULL;
    if (m) {
        mg_train_config cfg;
        mg_train_config_init(&cfg);
        cfg.loss = MG_LOSS_KIND_HINGE;
        cfg.l2 = 1e-4;
        cfg.steps = 3;
        cfg.batch_size = 16;
        cfg.threads = 1;
        mg_optim_config_init(&cfg.optim, MG_OPTIM_ADAMW);
        mg_train_result res;
        double out[40];
        mg_metrics met;
        if (!mg_train(ctx, m, d, d, &cfg, &res, &err) &&
            !(cfg.eager = 1, mg_train(ctx, m, d, NULL, &cfg, &res, &err)) &&
            !mg_evaluate(ctx, m, d, MG_LOSS_KIND_HINGE, 1, &met, &err) &&
            !mg_mlp_predict_rows(ctx, m, 40, d->x, out, 1, &err))
            rc = 0;
        else
            assert_int_equal(err.status, MG_STATUS_NOMEM);
    }
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
    return rc;
}

/* A compiled tape of a softmax cross-entropy sample, replayed over a batch. */
static int compiled(void) {
    int rc = 1;
    mg_err err;
    mg_ctx *ctx = mg_ctx_new();
    const size_t sizes[2] = {4, 3};
    mg_mlp *m = ctx ? mg_mlp_new(ctx, 2, 2, sizes, NULL, MG_INIT_SCALED, mg_ctx_rng(ctx), &err) : NULL;
    if (m) {
        mg_mark mark = mg_ctx_mark(ctx);
        mg_value x[2] = {mg_input(ctx, 0), mg_input(ctx, 0)}, t[3], z[3];
        for (int k = 0; k < 3; k++) t[k] = mg_input(ctx, k == 0);
        mg_value slots[5] = {x[0], x[1], t[0], t[1], t[2]};
        mg_compiled *c = NULL;
        if (mg_mlp_forward(ctx, m, x, z))
            c = mg_compile(ctx, mg_loss_softmax_ce(ctx, 3, z, t, 1), 5, slots, 3, z, &err);
        mg_ctx_reset(ctx, mark);
        if (c) {
            double rows[70 * 5], losses[70];
            for (int s = 0; s < 70; s++) {
                rows[5 * s] = 0.1 * s;
                rows[5 * s + 1] = 1.0 - 0.05 * s;
                for (int k = 0; k < 3; k++) rows[5 * s + 2 + k] = k == s % 3;
            }
            mg_compiled_set_threads(c, 1);
            if (!mg_compiled_forward_backward(c, 70, rows, 1.0 / 70, losses, NULL, &err)) rc = 0;
            else assert_int_equal(err.status, MG_STATUS_NOMEM);
        }
        mg_compiled_free(c);
    }
    mg_mlp_free(m);
    mg_ctx_free(ctx);
    return rc;
}

/* A CSV with class labels, standardised; its model saved and loaded back. */
static int files(void) {
    static const char csv[] = "x1,x2,shape\n0.5,1.25,circle\n-1,2,square\n3.5,-0.75,triangle\n"
                              "0,0,circle\n2,2,square\n\"1e1\",-2.5E-1,triangle\n";
    int rc = 1;
    mg_err err;
    mg_ctx *ctx = NULL;
    mg_mlp *m = NULL, *back = NULL;
    mg_model_info info, info2;
    mg_model_info_init(&info);
    mg_model_info_init(&info2);
    mg_standardizer st = {0, NULL, NULL};
    mg_dataset *d = mg_csv_parse(csv, sizeof csv - 1, "shapes.csv", NULL, &err);
    if (!d) goto out;
    if (mg_standardizer_fit(&st, d, &err)) goto out;
    mg_standardizer_apply(&st, d);
    ctx = mg_ctx_new();
    if (!ctx) {
        err.status = MG_STATUS_NOMEM; /* mg_ctx_new reports only by its NULL */
        goto out;
    }
    const size_t sizes[2] = {3, 3};
    if (!(m = mg_mlp_new(ctx, 2, 2, sizes, NULL, MG_INIT_SCALED, mg_ctx_rng(ctx), &err)))
        goto out;
    if (mg_model_info_set_dataset(&info, d, &err) || mg_model_info_set_standardizer(&info, &st, &err) ||
        mg_model_info_set_metric(&info, "train_accuracy", 0.5, &err) ||
        mg_model_info_set_setting(&info, "layers", "3", &err))
        goto out;
#ifdef MG_HAVE_JANSSON
    const char *path = tu_path("oom.safetensors");
    if (mg_model_save(path, ctx, m, &info, &err)) goto out;
    if (!(back = mg_model_load(path, ctx, &info2, &err))) goto out;
    assert_memory_equal(mg_data_ptr(ctx, m->first), mg_data_ptr(ctx, back->first),
                        m->nparams * sizeof(double));
#endif
    rc = 0;
out:
    if (rc && err.status != MG_STATUS_NOMEM)
        fail_msg("allocation %ld failed, the error is not NOMEM: %s", fail_at, err.msg);
    mg_mlp_free(back);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
    mg_model_info_free(&info);
    mg_model_info_free(&info2);
    mg_standardizer_free(&st);
    mg_dataset_free(d);
    return rc;
}

/* An IDX pair (two 2x2 images, labels 1 and 0). */
static int idx(void) {
    static const unsigned char images[] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2,
                                           0, 255, 128, 64, 1, 2, 3, 4};
    static const unsigned char labels[] = {0, 0, 8, 1, 0, 0, 0, 2, 1, 0};
    static int written;
    char im[1024], lb[1024];
    snprintf(im, sizeof im, "%s", tu_path("oom-images.idx"));
    snprintf(lb, sizeof lb, "%s", tu_path("oom-labels.idx"));
    if (!written) {
        tu_write_file(im, (const char *)images, sizeof images);
        tu_write_file(lb, (const char *)labels, sizeof labels);
        written = 1;
    }
    mg_err err;
    mg_dataset *d = mg_idx_load(im, lb, 0, &err);
    if (!d) {
        assert_int_equal(err.status, MG_STATUS_NOMEM);
        return 1;
    }
    assert_int_equal(d->n, 2);
    ASSERT_NEAR(d->x[1], 1.0, 0);
    mg_dataset_free(d);
    return 0;
}

#ifdef MG_HAVE_CAIRO
/* Scores of a two-class boundary: class 1 above the diagonal. */
static void diagonal(void *user, double x, double y, double *out, size_t nout) {
    (void)user, (void)nout;
    out[0] = x - y;
    out[1] = y - x;
}
#endif

/* Pictures: a graph rendered to SVG and PNG, its backprop page, and a loss curve to PNG (when the libraries are
 * there: their own allocations are theirs, the library's buffers around them are
 * counted). */
static int pictures(void) {
    int rc = 0;
    mg_err err;
#ifdef MG_HAVE_GVC
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return 1;
    mg_value a = mg_leaf_ex(ctx, 2, MG_ROLE_LEAF, "a"), b = mg_leaf_ex(ctx, -3, MG_ROLE_LEAF, "b");
    mg_value L = mg_set_label(ctx, mg_tanh(ctx, mg_mul(ctx, a, b)), "L");
    if (!mg_ok(L)) rc = 1;
    else {
        mg_backward(ctx, L);
        if (mg_graph_save(ctx, L, NULL, tu_path("oom.svg"), &err)) {
            if (err.status != MG_STATUS_NOMEM) fail_msg("graph: %s", err.msg);
            rc = 1;
        }
        /* a .png is laid out as SVG text in memory first, for its size */
        if (!rc && mg_graph_save(ctx, L, NULL, tu_path("oom-g.png"), &err)) {
            if (err.status != MG_STATUS_NOMEM) fail_msg("graph png: %s", err.msg);
            rc = 1;
        }
        if (!rc && mg_page_save(ctx, L, NULL, tu_path("oom.html"), &err)) {
            if (err.status != MG_STATUS_NOMEM) fail_msg("page: %s", err.msg);
            rc = 1;
        }
    }
    mg_ctx_free(ctx);
#endif
#ifdef MG_HAVE_CAIRO
    double y[5] = {1.0, 0.5, 0.3, 0.2, 0.15};
    mg_plot_series series = {"train", 5, NULL, y};
    if (mg_plot_loss(tu_path("oom.png"), 1, &series, NULL, &err)) {
        if (err.status != MG_STATUS_NOMEM) fail_msg("loss curve: %s", err.msg);
        rc = 1;
    }
    double xy[8] = {-1, -1, 1, 1, -1, 1, 1, -1}, cls[4] = {0, 0, 1, 1};
    if (!rc && mg_plot_boundary(tu_path("oom-b.png"), diagonal, NULL, 2, 4, xy, cls, NULL, &err)) {
        if (err.status != MG_STATUS_NOMEM) fail_msg("boundary: %s", err.msg);
        rc = 1;
    }
#endif
    (void)err;
    return rc;
}

/* The file writer: bytes through a symbolic link (following it allocates), then a
 * stream. */
static int writer(void) {
    static int linked;
    if (!linked) {
        linked = symlink("oom-written.txt", tu_path("oom-link.txt")) == 0;
        assert_true(linked);
    }
    mg_err err;
    if (mg_file_write(tu_path("oom-link.txt"), "bytes\n", 6, &err)) {
        if (err.status != MG_STATUS_NOMEM) fail_msg("bytes: %s", err.msg);
        return 1;
    }
    mg_outfile *o = mg_outfile_open(tu_path("oom-stream.txt"), &err);
    if (!o) {
        if (err.status != MG_STATUS_NOMEM) fail_msg("stream: %s", err.msg);
        return 1;
    }
    fputs("stream\n", mg_outfile_stream(o));
    if (mg_outfile_commit(o, &err)) fail_msg("stream: %s", err.msg);
    return 0;
}

/* The generators, a shuffle and a three-way split. */
static int data(void) {
    mg_err err;
    mg_rng rng;
    mg_rng_seed(&rng, 2);
    mg_dataset *d[6] = {mg_dataset_moons(&rng, 30, 0.1, &err), mg_dataset_circles(&rng, 30, 0.1, 0.5, &err),
                        mg_dataset_blobs(&rng, 30, 3, 2, 1.0, &err), mg_dataset_spiral(&rng, 30, 3, 0.2, &err),
                        mg_dataset_xor(&rng, 30, 0.1, &err), mg_dataset_yinyang(&rng, 30, 0.1, 0.5, &err)};
    int rc = 0;
    for (int k = 0; k < 6; k++) rc |= d[k] == NULL;
    mg_dataset *a = NULL, *b = NULL, *c = NULL;
    if (!rc) {
        mg_dataset_shuffle(d[0], &rng);
        rc = mg_dataset_split(d[0], 20, 5, &a, &b, &c, &err) != MG_STATUS_OK;
        if (!rc) assert_int_equal(a->n + b->n + c->n, 30);
        else assert_true(!a && !b && !c);
    }
    if (rc) assert_int_equal(err.status, MG_STATUS_NOMEM);
    for (int k = 0; k < 6; k++) mg_dataset_free(d[k]);
    mg_dataset_free(a);
    mg_dataset_free(b);
    mg_dataset_free(c);
    return rc;
}

/* A checkpoint's training state: copied, saved with a model, loaded back, resumed. */
static int resume_state(void) {
#ifndef MG_HAVE_JANSSON
    return 0;
#else
    int rc = 1;
    mg_err err;
    mg_ctx *ctx = mg_ctx_new();
    mg_rng rng;
    mg_rng_seed(&rng, 4);
    mg_dataset *d = mg_dataset_spiral(&rng, 30, 3, 0.2, &err);
    const size_t sizes[2] = {4, 3};
    mg_mlp *m = ctx && d ? mg_mlp_new(ctx, 2, 2, sizes, NULL, MG_INIT_SCALED, &rng, &err) : NULL, *back = NULL;
    mg_model_info info, loaded;
    mg_model_info_init(&info);
    mg_model_info_init(&loaded);
    mg_train_state st = {3, 0, 16, 30, NULL, {0}, 3, 0, NULL, NULL};
    mg_rng_seed(&st.rng, 9);
    size_t order[30];
    double mom[32] = {0}, vel[32] = {0};
    for (size_t i = 0; i < 30; i++) order[i] = 29 - i;
    st.order = order;
    if (m) {
        st.nparams = m->nparams;
        st.optim_m = mom, st.optim_v = vel;
        assert_true(m->nparams <= 32);
        info.train_state = mg_train_state_copy(&st);
        const char *path = tu_path("oom-ckpt.safetensors");
        if (info.train_state && !mg_model_save(path, ctx, m, &info, &err) &&
            (back = mg_model_load(path, ctx, &loaded, &err))) {
            mg_train_config cfg;
            mg_train_config_init(&cfg);
            cfg.loss = MG_LOSS_KIND_CE;
            mg_optim_config_init(&cfg.optim, MG_OPTIM_ADAMW);
            cfg.steps = 4;
            cfg.batch_size = 16;
            cfg.threads = 1;
            cfg.resume = loaded.train_state;
            assert_non_null(loaded.train_state);
            assert_memory_equal(loaded.train_state->order, order, sizeof order);
            if (!mg_train(ctx, back, d, NULL, &cfg, NULL, &err)) rc = 0;
        }
        if (rc && info.train_state) assert_int_equal(err.status, MG_STATUS_NOMEM);
    }
    mg_model_info_free(&info);
    mg_model_info_free(&loaded);
    mg_mlp_free(back);
    mg_mlp_free(m);
    mg_dataset_free(d);
    mg_ctx_free(ctx);
    return rc;
#endif
}

static void test_data(void **state) {
    (void)state;
    fail_each("data", data);
}

static void test_resume_state(void **state) {
    (void)state;
    fail_each("resume", resume_state);
}

static void test_pictures(void **state) {
    (void)state;
    fail_each("pictures", pictures);
}

static void test_engine(void **state) {
    (void)state;
    fail_each("engine", engine);
}
static void test_training(void **state) {
    (void)state;
    fail_each("training", training);
}
static void test_compiled(void **state) {
    (void)state;
    fail_each("compiled", compiled);
}
static void test_files(void **state) {
    (void)state;
    fail_each("files", files);
}
static void test_writer(void **state) {
    (void)state;
    fail_each("writer", writer);
}
static void test_idx(void **state) {
    (void)state;
    fail_each("idx", idx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine), cmocka_unit_test(test_training), cmocka_unit_test(test_compiled),
        cmocka_unit_test(test_files),  cmocka_unit_test(test_idx),      cmocka_unit_test(test_pictures),
        cmocka_unit_test(test_data),   cmocka_unit_test(test_resume_state),
        cmocka_unit_test(test_writer),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    mg_plot_cleanup(); /* cairo's and fontconfig's caches, for the leak checker */
    tu_cleanup();
    return rc;
}
