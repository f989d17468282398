/* test_train_cli.c - `micrograd train` end to end: a separable CSV of string labels is
 * learnt, saved, and `predict` reloads it with the same accuracy and the original labels;
 * an exact linear relation is fitted to a small RMSE; --json agrees with the summary;
 * --plot writes PNG pictures; Fashion-MNIST (when installed) trains and reloads with the
 * same test accuracy; and every bad input fails with its exit status, a one-line message
 * and no model file. */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef MG_HAVE_JANSSON
#include <jansson.h>
#endif

#include "micrograd.h"
#include "testutil.h"

#define TRAIN(input, ...) tu_run((const char *const[]){MG_CLI, "train", __VA_ARGS__, NULL}, (input))
#define PREDICT(...) tu_run((const char *const[]){MG_CLI, "predict", __VA_ARGS__, NULL}, NULL)
#define INFO(...) tu_run((const char *const[]){MG_CLI, "info", __VA_ARGS__, NULL}, NULL)

#define FRUIT MG_SOURCE_DIR "/tests/data/train_fruit.csv"
#define LINEAR MG_SOURCE_DIR "/tests/data/train_linear.csv"

/* ==== helpers ================================================================================ */

static void expect_status(tu_run_result r, int status) {
    if (r.status != status)
        fail_msg("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", r.status, status, r.out, r.err);
}

static void expect_in(const char *text, const char *needle) {
    if (!strstr(text, needle)) fail_msg("expected '%s' in:\n%s", needle, text);
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* The number after `key` on the line of text that starts with `prefix`. */
static double number_after(const char *text, const char *prefix, const char *key) {
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, prefix, strlen(prefix))) continue;
        const char *end = strchr(p, '\n'), *k = strstr(p, key);
        if (k && (!end || k < end)) return strtod(k + strlen(key), NULL);
    }
    fail_msg("no '%s' ... '%s' in:\n%s", prefix, key, text);
    return NAN;
}

/* The count k in "(k of n rows)" on the line starting with prefix. */
static long correct_of(const char *text, const char *prefix) {
    return (long)number_after(text, prefix, "(");
}

static int teardown_all(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

/* ==== classification: train, save, predict, info ============================================== */

/* Three fruits whose (weight, diameter) clusters lie more than ten jitters apart: any
 * reasonable classifier separates them, so 200 epochs must get (nearly) all 36 right. */
static void test_classify_save_predict(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char model[1024];
    snprintf(model, sizeof model, "%s", tu_path("fruit.safetensors"));
    tu_run_result r = TRAIN(NULL, "--data", FRUIT, "--epochs", "200", "--save", model);
    expect_status(r, 0);
    /* Progress: one plain line per epoch (stderr is not a terminal here). */
    assert_int_equal(tu_count(r.err, "epoch "), 200);
    expect_in(r.err, "epoch 200/200 loss ");
    expect_in(r.err, "data: " FRUIT ": 36 rows, 2 features, 3 classes; 36 for training (standardised)");
    double acc = number_after(r.out, "train: ", "accuracy ");
    long right = correct_of(r.out, "train: ");
    assert_true(acc >= 0.95);
    ASSERT_NEAR(acc, (double)right / 36.0, 1e-6);
    expect_in(r.out, "model saved to ");
    /* (2+1)*16 + (16+1)*16 + (16+1)*3 parameters; 36 rows in batches of 32: 2 steps per epoch. */
    expect_in(r.out, "400 steps, 200 epochs, ");
    expect_in(r.out, " 371 parameters\n");
    tu_run_free(&r);

    r = PREDICT("--model", model, "--data", FRUIT);
    expect_status(r, 0);
    char want[64];
    snprintf(want, sizeof want, "(%ld of 36 rows)", right);
    expect_in(r.err, want);
    ASSERT_NEAR(number_after(r.err, "accuracy", "accuracy "), acc, 1e-6);
    /* The original labels come back, row for row when all were right. */
    char *csv = tu_read_file(FRUIT, NULL);
    assert_non_null(csv);
    int nlines = 0, same = 0;
    const char *p = r.out, *q = strchr(csv, '\n') + 1;
    assert_true(!strncmp(p, "prediction\n", 11));
    for (p += 11; *p && *q; p = strchr(p, '\n') + 1, q = strchr(q, '\n') + 1) {
        char predicted[64], truth[64];
        assert_int_equal(sscanf(p, "%63[^\n]", predicted), 1);
        assert_int_equal(sscanf(q, "%*[^,],%*[^,],%63[^\n]", truth), 1);
        assert_true(!strcmp(predicted, "lemon") || !strcmp(predicted, "apple") ||
                    !strcmp(predicted, "melon"));
        same += !strcmp(predicted, truth);
        nlines++;
    }
    assert_int_equal(nlines, 36);
    assert_int_equal(same, right);
    free(csv);
    tu_run_free(&r);

    r = INFO("--model", model);
    expect_status(r, 0);
    expect_in(r.out, "architecture: 2 inputs -> 16 relu -> 16 relu -> 3 linear\n");
    expect_in(r.out, "task: classification, 3 classes: apple, lemon, melon\n");
    expect_in(r.out, "features: weight, diameter\ntarget: fruit\nstandardised inputs: yes\n");
    expect_in(r.out, "metric train_accuracy: ");
    expect_in(r.out, "setting epochs: 200\n");
    expect_in(r.out, "setting optimizer: adamw\n");
    tu_run_free(&r);
}

/* y = 2a - 3b + 1 exactly on 30 rows: a 16-16 relu network fits it to well under 0.1
 * (the targets spread over about +-10). The regression is chosen from the numbers. */
static void test_regression(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char model[1024];
    snprintf(model, sizeof model, "%s", tu_path("linear.safetensors"));
    tu_run_result r = TRAIN(NULL, "--data", LINEAR, "--batch", "0", "--steps", "1000", "--save",
                            model, "--quiet");
    expect_status(r, 0);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "");
    tu_run_free(&r);
    r = INFO("--model", model);
    double rmse = number_after(r.out, "metric train_rmse", ": ");
    assert_true(rmse < 0.1);
    expect_in(r.out, "task: regression, 1 output\nloss: mse\n");
    tu_run_free(&r);
    r = PREDICT("--model", model, "--data", LINEAR);
    expect_status(r, 0);
    ASSERT_REL(number_after(r.err, "rmse", "rmse "), rmse, 1e-5);
    tu_run_free(&r);
    /* The same from standard input, with the summary on stdout. */
    char *csv = tu_read_file(LINEAR, NULL);
    r = TRAIN(csv, "--data", "-", "--batch", "0", "--steps", "1000");
    free(csv);
    expect_status(r, 0);
    ASSERT_REL(number_after(r.out, "train: ", "rmse "), rmse, 1e-5);
    expect_in(r.out, "train: loss ");
    expect_in(r.out, "(30 rows)\n1000 steps, 1000 epochs, ");
    tu_run_free(&r);
}

/* --dtype f32: the regression trains in float32 lanes to the float64 run's fit, and the
 * model file says so. */
static void test_float32(void **state) {
    (void)state;
    double rmse[2];
    for (int f32 = 0; f32 <= 1; f32++) {
        tu_run_result r = TRAIN(NULL, "--data", LINEAR, "--batch", "0", "--steps", "300", "--dtype",
                                f32 ? "f32" : "f64", "--threads", "2");
        expect_status(r, 0);
        rmse[f32] = number_after(r.out, "train: ", "rmse ");
        tu_run_free(&r);
    }
    assert_true(rmse[0] < 0.2);
    ASSERT_NEAR(rmse[1], rmse[0], 1e-3 * rmse[0]);
    if (tu_model_files_missing()) return;
    const char *model = tu_path("f32.safetensors");
    tu_run_result r = TRAIN(NULL, "--data", "moons", "--dtype", "f32", "--epochs", "2", "--save", model, "-q");
    expect_status(r, 0);
    tu_run_free(&r);
    r = INFO("--model", model);
    expect_in(r.out, "dtype");
    tu_run_free(&r);
}

/* ==== --json ================================================================================= */

static void test_json(void **state) {
    (void)state;
    tu_run_result r = TRAIN(NULL, "--data", FRUIT, "--epochs", "5", "--val", "0.25", "--json");
    expect_status(r, 0);
    /* One object on one line, nothing else on stdout; the summary went to stderr. */
    assert_non_null(strchr(r.out, '\n'));
    assert_int_equal((int)strlen(r.out), (int)(strchr(r.out, '\n') - r.out) + 1);
    double train_loss = number_after(r.err, "train: ", "loss ");
    double val_acc = number_after(r.err, "val: ", "accuracy ");
#ifdef MG_HAVE_JANSSON
    json_error_t jerr;
    json_t *j = json_loads(r.out, 0, &jerr);
    if (!j) fail_msg("not JSON (%s): %s", jerr.text, r.out);
    assert_string_equal(json_string_value(json_object_get(j, "data")), FRUIT);
    assert_string_equal(json_string_value(json_object_get(j, "task")), "classification");
    assert_string_equal(json_string_value(json_object_get(j, "loss")), "ce");
    assert_int_equal(json_integer_value(json_object_get(j, "parameters")), 371);
    /* 27 training rows (36 - round(0.25 * 36)) in batches of 32: 1 step per epoch. */
    assert_int_equal(json_integer_value(json_object_get(j, "steps")), 5);
    assert_int_equal(json_integer_value(json_object_get(j, "train_samples")), 27);
    assert_int_equal(json_integer_value(json_object_get(j, "val_samples")), 9);
    ASSERT_NEAR(json_number_value(json_object_get(j, "epochs")), 5.0, 0);
    assert_true(json_number_value(json_object_get(j, "seconds")) >= 0);
    ASSERT_REL(json_number_value(json_object_get(j, "train_loss")), train_loss, 1e-5);
    ASSERT_NEAR(json_number_value(json_object_get(j, "val_accuracy")), val_acc, 1e-6);
    assert_true(json_is_null(json_object_get(j, "model")));
    assert_null(json_object_get(j, "test_loss"));
    json_decref(j);
#else
    print_message("note: no jansson: the JSON is checked by its keys only\n");
    expect_in(r.out, "\"train_loss\":");
    expect_in(r.out, "\"parameters\":371,\"steps\":5,");
#endif
    tu_run_free(&r);
    /* --quiet --json: the object alone. */
    r = TRAIN(NULL, "--data", "xor", "--samples", "40", "--epochs", "2", "--json", "-q");
    expect_status(r, 0);
    assert_string_equal(r.err, "");
    expect_in(r.out, "{\"data\":\"xor\",\"task\":\"classification\",\"loss\":\"ce\"");
    tu_run_free(&r);
}

/* ==== --plot ================================================================================= */

static void test_plot(void **state) {
    (void)state;
#ifndef MG_HAVE_CAIRO
    print_message("skipped: plots need cairo (apt-get install libcairo2-dev)\n");
    skip();
#else
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s", tu_path("pictures"));
    tu_run_result r = TRAIN(NULL, "--data", "moons", "--samples", "100", "--epochs", "3", "--val",
                            "0.2", "--plot", dir);
    expect_status(r, 0);
    expect_in(r.err, "wrote ");
    tu_run_free(&r);
    unsigned w = 0, h = 0;
    snprintf(path, sizeof path, "%s/loss.png", dir);
    assert_true(tu_png_size(path, &w, &h));
    assert_true(w == 640 && h == 480);
    snprintf(path, sizeof path, "%s/boundary.png", dir);
    assert_true(tu_png_size(path, &w, &h));
    assert_true(w == 640 && h == 480);
    /* Regression or more than 2 features: the loss curve only. */
    snprintf(dir, sizeof dir, "%s", tu_path("pictures2"));
    r = TRAIN(NULL, "--data", LINEAR, "--epochs", "2", "--plot", dir, "-q");
    expect_status(r, 0);
    snprintf(path, sizeof path, "%s/loss.png", dir);
    assert_true(tu_png_size(path, &w, &h));
    snprintf(path, sizeof path, "%s/boundary.png", dir);
    assert_false(file_exists(path));
    tu_run_free(&r);
#endif
}

/* ==== bad input ============================================================================== */

typedef struct bad_case {
    const char *args[12];
    int status;
    const char *msg; /* a part of the one-line message */
} bad_case;

/* Runs each case with --save into the temporary directory and checks the exit status,
 * the message, that it is one line (two for usage: the hint), and that no model
 * appeared. */
static void run_bad_cases(const bad_case *cases, size_t n, const char *input) {
    char model[1024];
    snprintf(model, sizeof model, "%s", tu_path("bad.safetensors"));
    for (size_t k = 0; k < n; k++) {
        const char *argv[20] = {MG_CLI, "train"};
        size_t a = 2;
        for (size_t i = 0; cases[k].args[i]; i++) argv[a++] = cases[k].args[i];
        int has_save = 0;
        for (size_t i = 2; i < a; i++) has_save |= !strcmp(argv[i], "--save");
        if (!has_save && cases[k].status == 1) {
            argv[a++] = "--save";
            argv[a++] = model;
        }
        tu_run_result r = tu_run(argv, input);
        if (r.status != cases[k].status || !strstr(r.err, cases[k].msg))
            fail_msg("case %zu (%s %s): exit %d, expected %d with '%s'\nstderr:\n%s", k, argv[2],
                     argv[3] ? argv[3] : "", r.status, cases[k].status, cases[k].msg, r.err);
        assert_string_equal(r.out, "");
        if (cases[k].status == 2) {
            assert_true(!strncmp(r.err, "micrograd train: ", 17));
            const char *hint = strchr(r.err, '\n') + 1; /* the message, then the hint */
            assert_string_equal(hint, "Try 'micrograd train --help'.\n");
        } else {
            assert_true(!strncmp(r.err, "micrograd: ", 11));
            assert_int_equal((int)(strchr(r.err, '\n') - r.err) + 1, (int)strlen(r.err));
        }
        assert_false(file_exists(model));
        tu_run_free(&r);
    }
}

static void test_usage_errors(void **state) {
    (void)state;
    static const bad_case cases[] = {
        {{"--epochs", "3"}, 2, "no data: give --data FILE or a dataset name"},
        {{"--data", "moons", "--bogus"}, 2, "unknown option '--bogus'"},
        {{"--data"}, 2, "option '--data' needs a value"},
        {{"--data", "moons", "--layers"}, 2, "option '--layers' needs a value"},
        {{"--data", "moons", "extra"}, 2, "unexpected argument 'extra'"},
        {{"--data", "moons", "--epochs", "0"}, 2, "--epochs must be between 1 and"},
        {{"--data", "moons", "--steps", "-5"}, 2, "--steps must be between 1 and"},
        {{"--data", "moons", "--batch", "-1"}, 2, "--batch must be between 0 and"},
        {{"--data", "moons", "--samples", "0"}, 2, "--samples must be between 1 and"},
        {{"--data", "moons", "--layers", "16,0"}, 2, "--layers expects positive sizes"},
        {{"--data", "moons", "--layers", "-4"}, 2, "--layers expects positive sizes"},
        {{"--data", "moons", "--lr", "0"}, 2, "--lr must be > 0"},
        {{"--data", "moons", "--lr", "abc"}, 2, "--lr expects a finite number, got 'abc'"},
        {{"--data", "moons", "--weight-decay", "-1"}, 2, "--weight-decay must be >= 0"},
        {{"--data", "moons", "--epochs", "3", "--steps", "10"}, 2, "give --epochs or --steps, not both"},
        {{"--data", "moons", "--val", "0"}, 2, "--val must be > 0 and < 1, got 0"},
        {{"--data", "moons", "--val", "1"}, 2, "--val must be > 0 and < 1, got 1"},
        {{"--data", "moons", "--val", "-0.2"}, 2, "--val must be > 0 and < 1"},
        {{"--data", "moons", "--act", "linear"}, 2, "--act must be relu, tanh or sigmoid, got 'linear'"},
        {{"--data", "moons", "--loss", "l1"}, 2, "--loss must be ce, bce, hinge or mse, got 'l1'"},
        {{"--data", "moons", "--optimizer", "adam"}, 2, "--optimizer must be sgd, momentum or adamw"},
        {{"--data", "moons", "--lr-decay", "cosine"}, 2, "--lr-decay must be auto, none, linear or linear:F"},
        {{"--data", "moons", "--momentum", "0.5"}, 2, "--momentum is for --optimizer momentum"},
        {{"--data", "moons", "--seed", "-1"}, 2, "--seed expects a whole number"},
        {{"--data", "moons", "--threads", "-2"}, 2, "--threads must be between 0 and"},
        {{"--data", "moons", "--dtype", "f16"}, 2, "--dtype must be f64 or f32, got 'f16'"},
        {{"--data", "moons", "--dtype", "f32", "--eager"}, 2, "--dtype f32 is the replay's: not with --eager"},
        {{"--data", "moons", "--dtype", "f32", "--check-numerics"}, 2, "not with --check-numerics"},
        {{"--data", "moons", "--delimiter", ","}, 2, "are for CSV files, not 'moons'"},
        {{"--data", FRUIT, "--noise", "0.1"}, 2, "are for the generators"},
        {{"--data", FRUIT, "--max-test", "5"}, 2, "--max-test: only fashion-mnist has a test split"},
        {{"--data", "yinyang", "--noise", "0.1"}, 2, "--noise: yinyang has no noise"},
        {{"--data", "moons", "--classes", "3"}, 2, "--classes is for blobs and spiral"},
        {{"--data", "spiral", "--samples", "4", "--classes", "3"}, 2, "--data spiral: "},
        {{"--data", FRUIT, "--delimiter", "|"}, 2, "--delimiter must be ',', ';' or 'tab', got '|'"},
        {{"--data", FRUIT, "--task", "cluster"}, 2, "--task must be auto, classify or regress"},
        {{"--data", FRUIT, "--task", "classify", "--loss", "mse"}, 2, "--loss mse does not fit --task classify"},
        /* A loss that does not fit the data. */
        {{"--data", "blobs", "--loss", "hinge"}, 2, "--loss hinge needs 2 classes; blobs has 3"},
        {{"--data", FRUIT, "--loss", "bce"}, 2, "--loss bce needs 2 classes; " FRUIT " has 3"},
        {{"--data", "moons", "--loss", "mse"}, 2, "--loss mse needs numeric targets; moons has 2 classes"},
        {{"--data", LINEAR, "--task", "regress", "--loss", "hinge"}, 2, "--loss hinge does not fit --task regress"},
    };
    run_bad_cases(cases, sizeof cases / sizeof *cases, NULL);
    tu_run_result r = TRAIN(NULL, "--help");
    expect_status(r, 0);
    assert_string_equal(r.err, "");
    const char *opts[] = {"--data", "--target", "--delimiter", "--header", "--no-header",
                          "--task", "--samples", "--noise", "--classes", "--max-train",
                          "--max-test", "--val", "--standardize", "--no-standardize",
                          "--layers", "--act", "--loss", "--optimizer", "--lr ", "--momentum",
                          "--lr-decay", "--weight-decay", "--batch", "--epochs", "--steps",
                          "--seed", "--threads", "--dtype", "--eager", "--save", "--plot", "--json",
                          "--quiet", "--help", "Example"};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) expect_in(r.out, opts[i]);
    expect_in(r.out, "(default: 16,16)");
    expect_in(r.out, "(default: adamw)");
    expect_in(r.out, "(default: 32)");
    tu_run_free(&r);
}

static void test_data_errors(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    const char *files[][2] = {
        {"empty.csv", ""},
        {"header.csv", "a,b,label\n"},
        {"ragged.csv", "a,b,label\n1,2,x\n3,4\n"},
        {"text.csv", "a,b,label\n1,2,x\n3,four,y\n"},
        {"one.csv", "a,b,label\n1,2,x\n3,4,x\n"},
    };
    char paths[5][1024];
    for (int i = 0; i < 5; i++) {
        snprintf(paths[i], sizeof paths[i], "%s", tu_path(files[i][0]));
        tu_write_file(paths[i], files[i][1], (size_t)-1);
    }
    char msgs[5][1100];
    snprintf(msgs[0], sizeof msgs[0], "%s:1:1: empty file", paths[0]);
    snprintf(msgs[1], sizeof msgs[1], "%s:2:1: no data rows (only a header)", paths[1]);
    snprintf(msgs[2], sizeof msgs[2], "%s:3:4: 2 fields, expected 3", paths[2]);
    snprintf(msgs[3], sizeof msgs[3], "%s:3:3: column 'b': not a number 'four'", paths[3]);
    snprintf(msgs[4], sizeof msgs[4], "%s: column 'label' has one class only", paths[4]);
    const bad_case cases[] = {
        {{"--data", paths[0]}, 1, msgs[0]},
        {{"--data", paths[1]}, 1, msgs[1]},
        {{"--data", paths[2]}, 1, msgs[2]},
        {{"--data", paths[3]}, 1, msgs[3]},
        {{"--data", paths[4]}, 1, msgs[4]},
        {{"--data", FRUIT, "--target", "colour"}, 1, "no column 'colour'"},
        {{"--data", "no-such-file.csv"}, 1, "no-such-file.csv: cannot open"},
        {{"--data", FRUIT, "--val", "0.001"}, 1, "--val 0.001 of 36 rows leaves no validation rows"},
        {{"--data", "moons", "--save", "/nonexistent-dir/m.safetensors"}, 1,
         "--save /nonexistent-dir/m.safetensors: the directory /nonexistent-dir does not exist"},
        {{"--data", "moons", "--save", tu_tmpdir()}, 1, "is a directory, not a file name"},
        {{"--data", "moons", "--plot", "/proc/no/such/dir"}, 1, "--plot /proc/no/such/dir: cannot make"},
        {{"--data", "-"}, 1, "<stdin>:1:1: empty file"},
        {{"--data", "fashion-mnist:/nonexistent-dir"}, 1, "/nonexistent-dir"},
        /* read to the end, these would never end */
        {{"--data", "/dev/zero"}, 1, "/dev/zero: is a device, not a file"},
        {{"--data", "moons", "--resume", "/dev/urandom"}, 1, "/dev/urandom: is a device, not a file"},
        {{"--data", tu_tmpdir()}, 1, "is a directory, not a file"},
    };
    run_bad_cases(cases, sizeof cases / sizeof *cases, "");
}

/* A failed run (bad data, or a loss that blows up during training) with --save over a
 * good model leaves that model byte for byte as it was. */
static void test_keeps_old_model(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char model[1024], bad[1024];
    snprintf(model, sizeof model, "%s", tu_path("keep.safetensors"));
    snprintf(bad, sizeof bad, "%s", tu_path("keep_bad.csv"));
    tu_write_file(bad, "a,b,y\n1,2,3\n4,x,6\n", (size_t)-1);
    tu_run_result r = TRAIN(NULL, "--data", LINEAR, "--epochs", "2", "--save", model, "-q");
    expect_status(r, 0);
    tu_run_free(&r);
    size_t len0 = 0, len1 = 0;
    char *before = tu_read_file(model, &len0);
    assert_non_null(before);
    int entries = tu_dir_entries();
    r = TRAIN(NULL, "--data", bad, "--save", model);
    expect_status(r, 1);
    tu_run_free(&r);
    /* SGD with a rate of 1000 overflows within a few steps: the run stops at the first
     * loss that is not finite, names it, and saves nothing. */
    r = TRAIN(NULL, "--data", LINEAR, "--optimizer", "sgd", "--lr", "1000", "--batch", "0",
              "--steps", "50", "--save", model);
    expect_status(r, 1);
    expect_in(r.err, "micrograd: training failed: step ");
    expect_in(r.err, "the loss is not finite");
    tu_run_free(&r);
    char *after = tu_read_file(model, &len1);
    assert_non_null(after);
    assert_int_equal(len0, len1);
    assert_memory_equal(before, after, len0);
    assert_int_equal(tu_dir_entries(), entries); /* no temporary file left behind */
    free(before);
    free(after);
}

/* ==== long runs ============================================================================== */

/* Whether two files hold the same bytes. */
static int same_file(const char *a, const char *b) {
    size_t la = 0, lb = 0;
    char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
    int same = x && y && la == lb && !memcmp(x, y, la);
    free(x);
    free(y);
    return same;
}

#define LONG_RUN "--data", "spiral", "--samples", "2000", "--layers", "64,64", "--seed", "5", \
                 "--threads", "1", "--quiet"

/* Checkpoints: a run that saves every 100 steps is stopped by SIGINT (it finishes its
 * step, saves, says where it stopped, exits 130) and resumed from the file; the model it
 * ends with is byte for byte the one of a run that never stopped. (The stopped run plans
 * 100000 steps, so that the signal surely comes in time, and is resumed to 4000: with a
 * constant learning rate the plan's length changes nothing else.) */
static void test_interrupt_and_resume(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char whole[1024], ck[1024], done[1024];
    snprintf(whole, sizeof whole, "%s", tu_path("whole.safetensors"));
    snprintf(ck, sizeof ck, "%s", tu_path("ck.safetensors"));
    snprintf(done, sizeof done, "%s", tu_path("done.safetensors"));
    tu_run_result r = TRAIN(NULL, LONG_RUN, "--steps", "4000", "--save", whole);
    expect_status(r, 0);
    tu_run_free(&r);

    int errpipe[2];
    assert_int_equal(pipe(errpipe), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(errpipe[1], 2);
        close(errpipe[0]);
        execl(MG_CLI, MG_CLI, "train", LONG_RUN, "--steps", "100000", "--checkpoint", ck, "--every",
              "100", "--save", done, (char *)NULL);
        _exit(127);
    }
    close(errpipe[1]);
    /* the first checkpoint shows the run is under way; then ask it to stop */
    struct timespec tick = {0, 2000000};
    for (int i = 0; i < 30000 && !file_exists(ck); i++) nanosleep(&tick, NULL);
    assert_true(file_exists(ck));
    kill(pid, SIGINT);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    char msg[2048];
    ssize_t n = read(errpipe[0], msg, sizeof msg - 1);
    close(errpipe[0]);
    msg[n > 0 ? n : 0] = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 130)
        fail_msg("the interrupted run ended with status %d: %s", status, msg);
    expect_in(msg, "micrograd: train: stopped by SIGINT after step ");
    expect_in(msg, "continue with --resume");
    assert_false(file_exists(done)); /* --save is for the finished model */

    r = INFO("--model", ck);
    expect_status(r, 0);
    expect_in(r.out, "checkpoint: after step ");
    tu_run_free(&r);
    r = TRAIN(NULL, LONG_RUN, "--steps", "4000", "--save", done, "--resume", ck);
    expect_status(r, 0);
    tu_run_free(&r);
    assert_true(same_file(whole, done));

    /* resuming with other options is refused before any training */
    r = TRAIN(NULL, "--data", "spiral", "--samples", "2000", "--layers", "32", "--steps", "4000",
              "--seed", "5", "--resume", ck);
    expect_status(r, 2);
    expect_in(r.err, "--resume");
    tu_run_free(&r);
    r = TRAIN(NULL, LONG_RUN, "--steps", "4000", "--resume", whole); /* no training state */
    expect_status(r, 2);
    expect_in(r.err, "without a training state");
    tu_run_free(&r);
}

/* --check-numerics names the first op whose value is not finite; --max-memory turns a
 * graph too big for the cap into a clear error. */
static void test_numerics_and_memory(void **state) {
    (void)state;
    tu_run_result r = TRAIN(NULL, "--data", LINEAR, "--optimizer", "sgd", "--lr", "1000",
                            "--batch", "0", "--steps", "50", "--check-numerics");
    expect_status(r, 1);
    expect_in(r.err, "micrograd: training failed: step ");
    expect_in(r.err, "not finite: #");
    tu_run_free(&r);
    r = TRAIN(NULL, "--data", "spiral", "--samples", "3000", "--eager", "--batch", "0",
              "--steps", "1", "--max-memory", "1M");
    expect_status(r, 1);
    expect_in(r.err, "training failed: a step of 3000 samples builds about ");
    expect_in(r.err, "the memory cap leaves 1 MB");
    tu_run_free(&r);
    r = TRAIN(NULL, "--data", "moons", "--max-memory", "12");
    expect_status(r, 2);
    expect_in(r.err, "--max-memory");
    tu_run_free(&r);
    r = TRAIN(NULL, "--data", "moons", "--every", "5");
    expect_status(r, 2);
    expect_in(r.err, "--every needs --checkpoint");
    tu_run_free(&r);
}

/* ==== Fashion-MNIST ========================================================================== */

static void test_fashion(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    if (tu_fashion_mnist_missing()) skip();
    char model[1024];
    snprintf(model, sizeof model, "%s", tu_path("fashion.safetensors"));
    /* 500 images, one epoch: well above chance (0.1) on the first 300 test images. */
    tu_run_result r = TRAIN(NULL, "--data", "fashion-mnist", "--layers", "32", "--epochs", "1",
                            "--max-train", "500", "--max-test", "300", "--save", model);
    expect_status(r, 0);
    expect_in(r.err, "784 features, 10 classes; 500 for training; 300 test rows\n");
    double acc = number_after(r.out, "test: ", "accuracy ");
    long right = correct_of(r.out, "test: ");
    assert_true(acc > 0.4);
    tu_run_free(&r);
    r = PREDICT("--model", model, "--data", "fashion-mnist", "--limit", "300", "--out",
                tu_path("fashion.csv"));
    expect_status(r, 0);
    char want[64];
    snprintf(want, sizeof want, "(%ld of 300 rows)", right);
    expect_in(r.err, want);
    ASSERT_NEAR(number_after(r.err, "accuracy", "accuracy "), acc, 1e-6);
    tu_run_free(&r);
    r = INFO("--model", model);
    expect_in(r.out, "architecture: 784 inputs -> 32 relu -> 10 linear\n");
    expect_in(r.out, "T-shirt/top, Trouser, Pullover");
    expect_in(r.out, "standardised inputs: no\n");
    expect_in(r.out, "metric test_accuracy: ");
    tu_run_free(&r);
}

/* --rng: a generator's data from the project's xorshift* (the default) or, with numpy,
 * from a Mersenne Twister seeded as np.random.seed(--seed) seeds numpy's, so moons are
 * scikit-learn's; the rest of the run (split, weights, order) is the same either way. */
static double json_number(const char *out, const char *key) {
    const char *p = strstr(out, key);
    if (!p) fail_msg("no %s in %s", key, out);
    return strtod(p + strlen(key), NULL);
}

static void test_rng(void **state) {
    (void)state;
    tu_run_result a = TRAIN(NULL, "--data", "moons", "--epochs", "2", "--json");
    tu_run_result b = TRAIN(NULL, "--data", "moons", "--epochs", "2", "--json", "--rng", "xorshift");
    tu_run_result c = TRAIN(NULL, "--data", "moons", "--epochs", "2", "--json", "--rng", "numpy");
    assert_int_equal(a.status, 0);
    assert_int_equal(b.status, 0);
    assert_int_equal(c.status, 0);
    assert_true(json_number(a.out, "\"train_loss\":") == json_number(b.out, "\"train_loss\":"));
    assert_true(json_number(a.out, "\"train_loss\":") != json_number(c.out, "\"train_loss\":"));
    tu_run_free(&a);
    tu_run_free(&b);
    tu_run_free(&c);
    static const struct {
        const char *args[6];
        const char *msg;
    } bad[] = {
        {{"--data", FRUIT, "--rng", "numpy"}, "--rng are for the generators"},
        {{"--data", "moons", "--rng", "mt19937"}, "--rng is xorshift or numpy, not 'mt19937'"},
        {{"--data", "moons", "--rng", "numpy", "--seed", "4294967296"}, "--seed below 2^32"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tu_run_result r = TRAIN(NULL, bad[i].args[0], bad[i].args[1], bad[i].args[2],
                                bad[i].args[3], bad[i].args[4], bad[i].args[5]);
        if (r.status != 2 || !strstr(r.err, bad[i].msg)) fail_msg("case %zu: %d %s", i, r.status, r.err);
        tu_run_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_save_predict),
        cmocka_unit_test(test_rng),
        cmocka_unit_test(test_regression),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_plot),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_float32),
        cmocka_unit_test(test_data_errors),
        cmocka_unit_test(test_keeps_old_model),
        cmocka_unit_test(test_fashion),
        cmocka_unit_test(test_interrupt_and_resume),
        cmocka_unit_test(test_numerics_and_memory),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
