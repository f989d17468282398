/* test_predict_cli.c - `micrograd predict` and `micrograd info` on models made here
 * through the library with hand-picked weights, so every prediction, probability,
 * accuracy and RMSE below is worked out by hand; plus the output file's atomicity and
 * every usage and data error with its exit status. */
#define _XOPEN_SOURCE 700 /* mknod, symlink */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "micrograd.h"
#include "testutil.h"
#include "writecheck.h"

#define PREDICT(input, ...) tu_run((const char *const[]){MG_CLI, "predict", __VA_ARGS__, NULL}, (input))
#define INFO(...) tu_run((const char *const[]){MG_CLI, "info", __VA_ARGS__, NULL}, NULL)

static void expect(tu_run_result r, int status, const char *out, const char *err) {
    if (r.status != status)
        fail_msg("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", r.status, status, r.out, r.err);
    if (out && strcmp(r.out, out)) fail_msg("stdout:\n%s\nexpected:\n%s", r.out, out);
    if (err && strcmp(r.err, err)) fail_msg("stderr:\n%s\nexpected:\n%s", r.err, err);
}

static void expect_in(const char *text, const char *needle) {
    if (!strstr(text, needle)) fail_msg("expected '%s' in:\n%s", needle, text);
}

/* ==== models with hand-picked weights ======================================================= */

static char cls_path[1024], reg_path[1024], hinge_path[1024], big_path[1024], inf_path[1024];

/* Saves MLP(nin, sizes) with the given parameters (micrograd's order) and info. */
static void save_model(const char *path, size_t nin, size_t nlayers, const size_t *sizes,
                       const mg_act *acts, const double *params, const mg_model_info *info) {
    mg_ctx *ctx = mg_ctx_new();
    mg_err err = {0};
    mg_mlp *m = mg_mlp_new(ctx, nin, nlayers, sizes, acts, MG_INIT_UNIFORM, NULL, &err);
    if (!m) fail_msg("%s", err.msg);
    double *p = mg_data_ptr(ctx, m->first);
    for (size_t k = 0; k < m->nparams; k++) p[k] = params ? params[k] : 0.0;
    if (mg_model_save(path, ctx, m, info, &err)) fail_msg("%s", err.msg);
    mg_mlp_free(m);
    mg_ctx_free(ctx);
}

/* cls: outputs (a, b) for classes (cat, dog), so the larger feature wins and
 * p = softmax(a, b). reg: y = 2x' + 1 on x' = (x - 1)/2, i.e. y = x. hinge: one output
 * 0.5*a - b, classes (no, yes). big: 2 -> 40 -> 1, 161 parameters. inf: y = 1e308 x. */
static int setup_models(void **state) {
    (void)state;
    if (!mg_model_files_available()) return 0;
    mg_err err = {0};
    snprintf(cls_path, sizeof cls_path, "%s", tu_path("cls.safetensors"));
    snprintf(reg_path, sizeof reg_path, "%s", tu_path("reg.safetensors"));
    snprintf(hinge_path, sizeof hinge_path, "%s", tu_path("hinge.safetensors"));
    snprintf(big_path, sizeof big_path, "%s", tu_path("big.safetensors"));
    snprintf(inf_path, sizeof inf_path, "%s", tu_path("inf.safetensors"));
    mg_model_info info;
    mg_model_info_init(&info);
    const char *csv = "a,b,animal\n1,0,cat\n0,1,dog\n";
    mg_dataset *d = mg_csv_parse(csv, strlen(csv), NULL, NULL, &err);
    if (!d || mg_model_info_set_dataset(&info, d, &err)) fail_msg("%s", err.msg);
    info.has_loss = 1;
    info.loss = MG_LOSS_KIND_CE;
    mg_model_info_set_metric(&info, "train_accuracy", 1.0, &err);
    mg_model_info_set_metric(&info, "train_loss", 0.125, &err);
    mg_model_info_set_setting(&info, "epochs", "3", &err);
    const mg_act linear[] = {MG_ACT_LINEAR};
    save_model(cls_path, 2, 1, (const size_t[]){2}, linear, (const double[]){1, 0, 0, 0, 1, 0}, &info);
    info.loss = MG_LOSS_KIND_HINGE;
    char *yn[] = {"no", "yes"};
    char **cats = info.class_names;
    info.class_names = yn;
    save_model(hinge_path, 2, 1, (const size_t[]){1}, linear, (const double[]){0.5, -1, 0}, &info);
    info.class_names = cats;
    mg_model_info_free(&info);
    mg_dataset_free(d);

    mg_model_info_init(&info);
    double mean = 1, sd = 2;
    mg_standardizer s = {1, &mean, &sd};
    if (mg_model_info_set_standardizer(&info, &s, &err)) fail_msg("%s", err.msg);
    char *xs[] = {"x"};
    info.nfeat = 1;
    info.feature_names = xs;
    info.target_name = "y";
    save_model(reg_path, 1, 1, (const size_t[]){1}, linear, (const double[]){2, 1}, &info);
    info.nfeat = 0;
    info.feature_names = NULL;
    info.target_name = NULL;
    mg_model_info_free(&info);
    save_model(big_path, 2, 2, (const size_t[]){40, 1}, NULL, NULL, NULL);
    save_model(inf_path, 1, 1, (const size_t[]){1}, linear, (const double[]){1e308, 0}, NULL);
    return 0;
}

static int teardown_all(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

/* Parses "label,p1,p2" lines after the header into labels and probabilities. */
static void expect_proba_line(const char *line, const char *label, double p0, double p1) {
    char lab[64];
    double a, b;
    if (sscanf(line, "%63[^,],%lf,%lf", lab, &a, &b) != 3) fail_msg("bad line '%s'", line);
    assert_string_equal(lab, label);
    if (fabs(a - p0) > 1e-15 || fabs(b - p1) > 1e-15)
        fail_msg("'%s': expected %.17g, %.17g", line, p0, p1);
}

/* ==== predict ============================================================================== */

static void test_classify(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    const char *data = tu_path("animals.csv");
    /* Columns in another order, an extra column, the target last; the tie (5, 5) goes to
     * the first class, so its true "dog" makes 2 right of 3. */
    tu_write_file(data, "b,id,a,animal\n0,r1,3,cat\n2,r2,1,dog\n5,r3,5,dog\n", (size_t)-1);
    tu_run_result r = PREDICT(NULL, "--model", cls_path, "--data", data);
    expect(r, 0, "prediction\ncat\ndog\ncat\n", "accuracy 0.666667 (2 of 3 rows)\n");
    tu_run_free(&r);
    /* softmax(3, 0) = (1/(1 + e^-3), e^-3/(1 + e^-3)); softmax(1, 2); softmax(5, 5). */
    r = PREDICT(NULL, "-m", cls_path, "-d", data, "--proba", "--quiet");
    expect(r, 0, NULL, "");
    char *line = strtok(r.out, "\n");
    assert_string_equal(line, "prediction,p_cat,p_dog");
    double e3 = exp(-3.0), e1 = exp(-1.0);
    expect_proba_line(strtok(NULL, "\n"), "cat", 1 / (1 + e3), e3 / (1 + e3));
    expect_proba_line(strtok(NULL, "\n"), "dog", e1 / (1 + e1), 1 / (1 + e1));
    expect_proba_line(strtok(NULL, "\n"), "cat", 0.5, 0.5);
    assert_null(strtok(NULL, "\n"));
    tu_run_free(&r);
    /* No target column: no accuracy. From standard input, without a header, by position. */
    r = PREDICT("3,0\n1,2\n", "-m", cls_path, "-d", "-");
    expect(r, 0, "prediction\ncat\ndog\n", "");
    tu_run_free(&r);
    r = PREDICT("3;0;dog\n1;2;dog\n", "-m", cls_path, "-d", "-", "--limit", "1");
    expect(r, 0, "prediction\ncat\n", "accuracy 0.000000 (0 of 1 rows)\n");
    tu_run_free(&r);
}

/* y = 2 * (x - 1)/2 + 1 = x exactly for these x; targets 3 and 1.5 miss by 0 and 1, so
 * the RMSE is sqrt(1/2). */
static void test_regress(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    const char *data = tu_path("reg.csv");
    tu_write_file(data, "x,y\n3,3\n0.5,1.5\n", (size_t)-1);
    tu_run_result r = PREDICT(NULL, "--model", reg_path, "--data", data);
    expect(r, 0, "prediction\n3.0\n0.5\n", "rmse 0.707107, mae 0.5 (2 rows)\n");
    tu_run_free(&r);
    r = PREDICT(NULL, "--model", reg_path, "--data", data, "--proba");
    expect(r, 2, "", NULL);
    expect_in(r.err, "micrograd predict: --proba needs a classifier;");
    tu_run_free(&r);
}

static void test_hinge(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    /* 0.5*a - b: (4, 1) -> 1 > 0 -> yes; (1, 1) -> -0.5 -> no. */
    tu_run_result r = PREDICT("a,b\n4,1\n1,1\n", "-m", hinge_path, "-d", "-");
    expect(r, 0, "prediction\nyes\nno\n", "");
    tu_run_free(&r);
    r = PREDICT("a,b\n4,1\n", "-m", hinge_path, "-d", "-", "-p");
    expect(r, 2, "", NULL);
    expect_in(r.err, "was trained with the hinge loss; its outputs are scores, not probabilities");
    tu_run_free(&r);
}

static int temps_in(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += strstr(e->d_name, "out.csv.") != NULL;
    closedir(d);
    return n;
}

/* --out: complete or not at all. */
static void test_out_file(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char out[1024], data[1024];
    snprintf(out, sizeof out, "%s", tu_path("out.csv"));
    snprintf(data, sizeof data, "%s", tu_path("ab.csv"));
    tu_write_file(data, "a,b\n3,0\n", (size_t)-1);
    tu_run_result r = PREDICT(NULL, "-m", cls_path, "-d", data, "-o", out);
    expect(r, 0, "", "");
    tu_run_free(&r);
    char *text = tu_read_file(out, NULL);
    assert_string_equal(text, "prediction\ncat\n");
    free(text);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask); /* an ordinary file, not mkstemp's 0600 */
    /* A row whose output overflows: exit 1, the old file untouched, no temporary left. */
    tu_write_file(out, "old\n", (size_t)-1);
    tu_write_file(data, "x\n0\n10\n", (size_t)-1);
    r = PREDICT(NULL, "-m", inf_path, "-d", data, "-o", out);
    char want[2200];
    snprintf(want, sizeof want, "micrograd: %s: row 2: the model's output is not finite\n", data);
    expect(r, 1, "", want);
    tu_run_free(&r);
    text = tu_read_file(out, NULL);
    assert_string_equal(text, "old\n");
    free(text);
    assert_int_equal(temps_in(tu_tmpdir()), 0);
    tu_write_file(data, "a,b\n3,0\n", (size_t)-1);
    /* A symbolic link stays a link; a device is written in place (a private copy of
     * /dev/null, which only root can make). */
    char link[1024], dev[1024];
    snprintf(link, sizeof link, "%s", tu_path("link.csv"));
    snprintf(dev, sizeof dev, "%s", tu_path("null-device"));
    assert_int_equal(symlink("out.csv", link), 0);
    r = PREDICT(NULL, "-m", cls_path, "-d", data, "-o", link);
    expect(r, 0, "", "");
    tu_run_free(&r);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    text = tu_read_file(out, NULL);
    assert_string_equal(text, "prediction\ncat\n");
    free(text);
    if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) == 0) {
        r = PREDICT(NULL, "-m", cls_path, "-d", data, "-o", dev);
        expect(r, 0, "", "");
        tu_run_free(&r);
        assert_int_equal(stat(dev, &st), 0);
        assert_true(S_ISCHR(st.st_mode));
    } else {
        print_message("note: not root, the device case is not checked\n");
    }
    r = PREDICT(NULL, "-m", cls_path, "-d", data, "-o", tu_tmpdir());
    expect(r, 1, "", NULL);
    expect_in(r.err, ": cannot write: is a directory");
    tu_run_free(&r);
    r = PREDICT(NULL, "-m", cls_path, "-d", data, "-o", "/nonexistent-dir/out.csv");
    expect(r, 1, "", NULL);
    expect_in(r.err, "/nonexistent-dir/out.csv: cannot create a temporary file next to it");
    tu_run_free(&r);
}

/* The writer's promises (micrograd.h section 14e) for --out: the command's exit status
 * and message as a status. */
static mg_status predict_to(void *user, const char *path, mg_err *err) {
    tu_run_result r = PREDICT(NULL, "-m", cls_path, "-d", (const char *)user, "-o", path, "-q");
    mg_status st = r.status == 0 ? MG_STATUS_OK : MG_STATUS_IO;
    if (st) mg_err_set(err, st, "exit %d: %s", r.status, r.err);
    tu_run_free(&r);
    return st;
}

static void test_writer_promises(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char data[1024];
    snprintf(data, sizeof data, "%s", tu_path("rows.csv"));
    /* 2100 rows: predictions past the size limit, which must leave room for what the
     * command makes before it writes (LLVM's OpenMP runtime makes a 1 KiB file). */
    static char rows[4 + 2100 * 4 + 1] = "a,b\n";
    for (int i = 0; i < 2100; i++) memcpy(rows + 4 + 4 * i, "3,0\n", 4);
    tu_write_file(data, rows, (size_t)-1);
    wc_check("predictions", "csv", predict_to, data, 4096);
}

/* ==== errors =============================================================================== */

static void test_usage_errors(void **state) {
    (void)state;
    const char *m = mg_model_files_available() ? cls_path : "m.safetensors";
    struct {
        const char *const argv[8];
        const char *msg;
    } cases[] = {
        {{"--data", "x.csv"}, "micrograd predict: no model: give --model FILE\n"},
        {{"--model", m}, "micrograd predict: no data: give --data FILE\n"},
        {{"--model", m, "--data", "x.csv", "--bogus"}, "micrograd predict: unknown option '--bogus'\n"},
        {{"--model"}, "micrograd predict: option '--model' needs a value\n"},
        {{"--model", m, "--data", "x.csv", "--limit", "-3"},
         "micrograd predict: --limit must be between 1 and 1000000000, got -3\n"},
        {{"--model", m, "--data", "x.csv", "--limit", "ten"},
         "micrograd predict: --limit expects a whole number, got 'ten'\n"},
        {{"--model", m, "--data", "x.csv", "--delimiter", "|"},
         "micrograd predict: --delimiter must be ',', ';' or 'tab', got '|'\n"},
        {{"--model", m, "--data", "x.csv", "extra"}, "micrograd predict: unexpected argument 'extra'\n"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *argv[12] = {MG_CLI, "predict"};
        for (size_t i = 0; cases[k].argv[i]; i++) argv[2 + i] = cases[k].argv[i];
        tu_run_result r = tu_run(argv, NULL);
        char want[400];
        snprintf(want, sizeof want, "%sTry 'micrograd predict --help'.\n", cases[k].msg);
        expect(r, 2, "", want);
        tu_run_free(&r);
    }
    tu_run_result r = PREDICT(NULL, "--help");
    expect(r, 0, NULL, "");
    expect_in(r.out, "Usage: micrograd predict --model FILE --data FILE");
    expect_in(r.out, "(default: detect from the first line)");
    tu_run_free(&r);
    r = INFO("--help");
    expect(r, 0, NULL, "");
    expect_in(r.out, "(default: 1000)");
    tu_run_free(&r);
    r = INFO("--model", m, "--precision", "18");
    expect(r, 2, "", "micrograd info: --precision must be between -1 and 17, got 18\n"
                     "Try 'micrograd info --help'.\n");
    tu_run_free(&r);
    r = INFO("--formula");
    expect(r, 2, "", "micrograd info: no model: give --model FILE\nTry 'micrograd info --help'.\n");
    tu_run_free(&r);
}

static void test_data_errors(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char data[1024], want[2400];
    snprintf(data, sizeof data, "%s", tu_path("bad.csv"));
    struct {
        const char *csv, *msg; /* msg after "micrograd: PATH" */
    } cases[] = {
        {"", ":1:1: empty file (no rows)"},
        {"a,b\n", ":2:1: no data rows (only a header)"},
        {"a,c\n1,2\n", ":1:1: no column 'b' (the model's feature 2 of 2)"},
        {"a,b\n1,2\n3\n", ":3:2: 1 fields, expected 2"},
        {"a,b\n1,x\n", ":2:3: column 'b': not a number 'x' (features must be numbers)"},
        {"a,b,animal\n1,2,cow\n", ":2:5: label 'cow' is not one of the model's 2 classes"},
        {"1,2,3,4\n", ":1:1: 4 columns, but the model takes 2 features (2 columns, or 3 with the target)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tu_write_file(data, cases[k].csv, (size_t)-1);
        tu_run_result r = PREDICT(NULL, "-m", cls_path, "-d", data);
        snprintf(want, sizeof want, "micrograd: %s%s\n", data, cases[k].msg);
        expect(r, 1, "", want);
        tu_run_free(&r);
    }
    /* Model files that cannot be used. */
    tu_run_result r = PREDICT(NULL, "-m", tu_path("absent.safetensors"), "-d", data);
    expect(r, 1, "", NULL);
    expect_in(r.err, "absent.safetensors: cannot open: No such file or directory");
    tu_run_free(&r);
    size_t len;
    char *model = tu_read_file(cls_path, &len);
    char cut[1024];
    snprintf(cut, sizeof cut, "%s", tu_path("cut.safetensors"));
    tu_write_file(cut, model, len - 3);
    free(model);
    r = PREDICT(NULL, "-m", cut, "-d", data);
    snprintf(want, sizeof want, "micrograd: %s: tensor 'layers.0.bias' ends at byte 48, past the data's 45 bytes\n", cut);
    expect(r, 1, "", want);
    tu_run_free(&r);
    r = INFO("-m", cut);
    expect(r, 1, "", want);
    tu_run_free(&r);
    r = PREDICT(NULL, "-m", data, "-d", data); /* a CSV file, read as a model */
    expect(r, 1, "", NULL);
    expect_in(r.err, "not a micrograd model file (no safetensors header)");
    tu_run_free(&r);
}

/* ==== info ================================================================================= */

static void test_info(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    tu_run_result r = INFO("--model", cls_path);
    char want[2400];
    snprintf(want, sizeof want,
             "model: %s\n"
             "architecture: 2 inputs -> 2 linear\n"
             "parameters: 6\n"
             "task: classification, 2 classes: cat, dog\n"
             "loss: ce\n"
             "features: a, b\n"
             "target: animal\n"
             "standardised inputs: no\n"
             "metric train_accuracy: 1.0\n"
             "metric train_loss: 0.125\n"
             "setting epochs: 3\n",
             cls_path);
    expect(r, 0, want, "");
    tu_run_free(&r);
    r = INFO("--model", big_path);
    expect_in(r.out, "architecture: 2 inputs -> 40 relu -> 1 linear\nparameters: 161\n"
                     "task: regression, 1 output\nstandardised inputs: no\n");
    tu_run_free(&r);
}

/* The formula of y = 2 * ((x - 1)/2) + 1, with the standardisation as ops; of the
 * classifier's two outputs; a model over --max-params is refused. */
static void test_info_formula(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    tu_run_result r = INFO("--model", reg_path, "--formula");
    expect(r, 0, NULL, "");
    expect_in(r.out, "standardised inputs: yes\n\n# output 1\n1 + 2*((x - 1)/2)\n");
    tu_run_free(&r);
    r = INFO("--model", cls_path, "-f");
    expect_in(r.out, "\n# output 1 (class cat)\n0 + 1*a + 0*b\n\n# output 2 (class dog)\n0 + 0*a + 1*b\n");
    tu_run_free(&r);
    r = INFO("--model", big_path, "--formula", "--max-params", "100");
    char want[1400];
    snprintf(want, sizeof want,
             "micrograd: %s has 161 parameters; --formula prints models of up to 100 (see "
             "--max-params)\n",
             big_path);
    expect(r, 1, NULL, want);
    tu_run_free(&r);
}

/* ==== Fashion-MNIST ========================================================================= */

/* A model whose weights are all 0 gives 10 equal outputs, so it predicts class 0
 * (T-shirt/top) for every image; the first five test labels are 9, 2, 1, 1, 6. */
static void test_fashion(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    if (tu_fashion_mnist_missing()) skip();
    static const char *names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    mg_model_info info;
    mg_model_info_init(&info);
    info.nclasses = 10;
    info.class_names = (char **)names;
    char path[1024];
    snprintf(path, sizeof path, "%s", tu_path("fm.safetensors"));
    save_model(path, 784, 1, (const size_t[]){10}, (const mg_act[]){MG_ACT_LINEAR}, NULL, &info);
    tu_run_result r = PREDICT(NULL, "-m", path, "-d", "fashion-mnist", "--limit", "5");
    expect(r, 0, "prediction\nT-shirt/top\nT-shirt/top\nT-shirt/top\nT-shirt/top\nT-shirt/top\n",
           "accuracy 0.000000 (0 of 5 rows)\n");
    tu_run_free(&r);
    r = PREDICT(NULL, "-m", cls_path, "-d", "fashion-mnist:" MG_FASHION_MNIST_DIR, "-n", "1");
    expect(r, 1, "", NULL);
    expect_in(r.err, "the model takes 2 inputs and 2 classes; Fashion-MNIST has 784 and 10");
    tu_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),     cmocka_unit_test(test_regress),
        cmocka_unit_test(test_hinge),        cmocka_unit_test(test_out_file),
        cmocka_unit_test(test_usage_errors), cmocka_unit_test(test_data_errors),
        cmocka_unit_test(test_info),         cmocka_unit_test(test_info_formula),
        cmocka_unit_test(test_fashion),      cmocka_unit_test(test_writer_promises),
    };
    return cmocka_run_group_tests(tests, setup_models, teardown_all);
}
