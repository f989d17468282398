/* test_tables_cli.c - the command on tables exported the way people export them
 * (tests/data/tables/, scikit-learn's tables written pandas-style): each rule with the
 * file that shows it, what train says about it, and what predict and info make of the
 * model; an id column that would make predictions wrong; a regression held to a
 * least-squares fit computed here; --json on success and failure; --help's layout. */
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

#ifdef MG_HAVE_JANSSON
#include <jansson.h>
#endif

#include "micrograd.h"
#include "testutil.h"

#define RUN(input, ...) tu_run((const char *const[]){MG_CLI, __VA_ARGS__, NULL}, (input))
#define TABLES MG_SOURCE_DIR "/tests/data/tables/"

static void expect_status(tu_run_result r, int status) {
    if (r.status != status)
        fail_msg("exit %d, expected %d\nstdout:\n%s\nstderr:\n%s", r.status, status, r.out, r.err);
}

static void expect_in(const char *text, const char *needle) {
    if (!strstr(text, needle)) fail_msg("expected '%s' in:\n%s", needle, text);
}

/* The number after `key` in text. */
static double number_after(const char *text, const char *key) {
    const char *k = strstr(text, key);
    if (!k) fail_msg("no '%s' in:\n%s", key, text);
    return strtod(k + strlen(key), NULL);
}

static int teardown_all(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

/* ==== what train says about each exported table ============================================ */

typedef struct table_rule {
    const char *file, *rule;
    const char *say[3];   /* in train's stderr (NULL: no more) */
    const char *not_say;  /* never in it (NULL: nothing) */
    const char *data;     /* the "data: ..." line's tail */
} table_rule;

static const table_rule rules[] = {
    {"iris_index.csv", "a pandas index column is left out with a note",
     {"note: " TABLES "iris_index.csv: the first column has no name and a different whole number "
      "on every row: a pandas index, left out", NULL},
     "warning", ": 150 rows, 4 features, 3 classes"},
    {"wine_id.csv", "an id column is kept, with a warning naming it and the --drop that removes it",
     {"warning: " TABLES "wine_id.csv: column 'id' holds a different whole number on every row "
      "and is named like an identifier: a model can learn the row order from it; --drop id "
      "leaves it out", NULL},
     NULL, ": 178 rows, 14 features, 3 classes"},
    {"wine_european.csv", "';' and decimal commas are read, with a note",
     {"note: " TABLES "wine_european.csv: numbers have decimal commas (--decimal . reads points)",
      NULL},
     "warning", ": 178 rows, 13 features, 3 classes"},
    {"digits_numbered.csv", "a header 0,...,63,label is a header, not a class",
     {"note: " TABLES "digits_numbered.csv: the first row (0,1,...,63 and a name) is taken as a "
      "header (--no-header reads it as data)", NULL},
     "warning", ": 120 rows, 64 features, 10 classes"},
    {"cancer_bom.csv", "a byte order mark and CRLF need no note", {NULL}, "note",
     ": 80 rows, 30 features, 2 classes"},
    {"iris_trailing.csv", "a delimiter ending every line and blank lines, with notes",
     {"note: " TABLES "iris_trailing.csv: lines end with a delimiter: the empty last column is "
      "ignored", "note: " TABLES "iris_trailing.csv: 2 blank lines skipped", NULL},
     "warning", ": 30 rows, 4 features, 3 classes"},
    {"houses.csv", "prices: a regression on standardised targets", {NULL}, "note",
     ": 200 rows, 4 features, numeric target"},
};

static void test_train_on_tables(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof rules / sizeof *rules; k++) {
        const table_rule *c = &rules[k];
        char path[512];
        snprintf(path, sizeof path, TABLES "%s", c->file);
        tu_run_result r = RUN(NULL, "train", "--data", path, "--epochs", "1");
        if (r.status != 0) fail_msg("%s (%s): exit %d\n%s", c->file, c->rule, r.status, r.err);
        for (int i = 0; i < 3 && c->say[i]; i++)
            if (!strstr(r.err, c->say[i]))
                fail_msg("%s (%s): no '%s' in:\n%s", c->file, c->rule, c->say[i], r.err);
        if (c->not_say && strstr(r.err, c->not_say))
            fail_msg("%s (%s): '%s' in:\n%s", c->file, c->rule, c->not_say, r.err);
        if (!strstr(r.err, c->data)) fail_msg("%s: no '%s' in:\n%s", c->file, c->data, r.err);
        tu_run_free(&r);
    }
}

/* ==== an id column ========================================================================== */

/* wine_id.csv with its ids replaced by new ones (the same rows, later exported again). */
static void write_new_ids(const char *path) {
    char *text = tu_read_file(TABLES "wine_id.csv", NULL);
    assert_non_null(text);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    int line = 0;
    for (char *p = text; *p;) {
        char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p + 1) : strlen(p);
        char *comma = line ? memchr(p, ',', len) : NULL;
        if (comma) fprintf(f, "%d%.*s", 7000 - line, (int)(p + len - comma), comma);
        else fwrite(p, 1, len, f);
        p += len, line++;
    }
    fclose(f);
    free(text);
}

/* The story: the id trains to 100% and predicts far worse on the same rows with
 * new ids; with --drop id the model leaves it out (and predict too) and predicts them as
 * well as its training rows. */
static void test_id_column(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char with[512], without[512], renum[512];
    snprintf(with, sizeof with, "%s", tu_path("wine_with_id.safetensors"));
    snprintf(without, sizeof without, "%s", tu_path("wine_drop_id.safetensors"));
    snprintf(renum, sizeof renum, "%s", tu_path("wine_new_ids.csv"));
    write_new_ids(renum);
    tu_run_result r = RUN(NULL, "train", "--data", TABLES "wine_id.csv", "-q", "--save", with);
    expect_status(r, 0);
    expect_in(r.err, "--drop id leaves it out"); /* warnings survive --quiet */
    tu_run_free(&r);
    r = RUN(NULL, "predict", "-m", with, "-d", renum, "-o", tu_path("p1.csv"));
    expect_status(r, 0);
    double acc_with = number_after(r.err, "accuracy ");
    tu_run_free(&r);
    r = RUN(NULL, "train", "--data", TABLES "wine_id.csv", "--drop", "id", "--save", without);
    expect_status(r, 0);
    if (strstr(r.err, "warning")) fail_msg("a warning after --drop id:\n%s", r.err);
    double train_acc = number_after(r.out, "train: loss ");
    train_acc = number_after(r.out, "accuracy ");
    tu_run_free(&r);
    r = RUN(NULL, "predict", "-m", without, "-d", renum, "--keep", "id", "-o", tu_path("p2.csv"));
    expect_status(r, 0);
    double acc_without = number_after(r.err, "accuracy ");
    tu_run_free(&r);
    print_message("with the id: %.4f on new ids; without: %.4f (train %.4f)\n", acc_with,
                  acc_without, train_acc);
    assert_true(acc_with < 0.8);
    ASSERT_NEAR(acc_without, train_acc, 1e-9);
    char *out = tu_read_file(tu_path("p2.csv"), NULL);
    assert_non_null(out);
    assert_true(!strncmp(out, "id,prediction\n6999,class_0\n", 27)); /* the id is kept */
    free(out);
    r = RUN(NULL, "info", "-m", without);
    expect_in(r.out, "columns left out: id\n");
    expect_in(r.out, "features: alcohol, malic_acid,");
    tu_run_free(&r);
    /* The same model reads the European export of the same table (columns by name). */
    r = RUN(NULL, "predict", "-m", without, "-d", TABLES "wine_european.csv", "-q", "-o",
            tu_path("p3.csv"));
    expect_status(r, 0);
    tu_run_free(&r);
    char *a = tu_read_file(tu_path("p3.csv"), NULL), *b = tu_read_file(tu_path("p1.csv"), NULL);
    assert_non_null(a);
    assert_int_equal(tu_count(a, "class_"), 178);
    free(a);
    free(b);
}

/* --features picks the columns; a name the file lacks is a usage error naming it. */
static void test_features_and_errors(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "train", "--data", TABLES "wine_id.csv", "--features",
                          "proline,alcohol", "--epochs", "1");
    expect_status(r, 0);
    expect_in(r.err, ": 178 rows, 2 features, 3 classes");
    if (strstr(r.err, "warning")) fail_msg("the id was not selected:\n%s", r.err);
    tu_run_free(&r);
    static const struct {
        const char *opt, *val, *msg;
        int status;
    } cases[] = {
        {"--drop", "nope", "no column 'nope' to drop (15 columns;", 1},
        {"--drop", "cultivar", "column 'cultivar' is the target: it cannot be dropped", 1},
        {"--features", "id,id", "feature column 'id' is given twice", 1},
        {"--drop", "a,,b", "--drop expects column names or numbers separated by commas", 2},
        {"--decimal", ";", "--decimal must be '.' or ',', got ';'", 2},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        r = RUN(NULL, "train", "--data", TABLES "wine_id.csv", cases[k].opt, cases[k].val);
        if (r.status != cases[k].status || !strstr(r.err, cases[k].msg))
            fail_msg("%s %s: exit %d, expected %d with '%s':\n%s", cases[k].opt, cases[k].val,
                     r.status, cases[k].status, cases[k].msg, r.err);
        tu_run_free(&r);
    }
    r = RUN(NULL, "train", "--data", "moons", "--drop", "x");
    expect_status(r, 2);
    expect_in(r.err, "are for CSV files, not 'moons'");
    tu_run_free(&r);
}

/* ==== regression ============================================================================ */

/* A linear table (y = 250000 + 30000 a - 20000 b + 9000 c + noise of std 6000) written
 * in C, split into training and test files; least squares fitted here. With the default
 * 20 epochs. */
#define NTR 2000 /* an MLP needs rows: on 400 its RMSE is some 10% above least squares' */
#define NTE 500

static double normal(mg_rng *g) { return mg_rng_normal(g); }

static void write_linear(const char *path, mg_rng *g, size_t n, double *x, double *y) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "a,b,c,price\n");
    for (size_t i = 0; i < n; i++) {
        double *r = x + 3 * i;
        r[0] = mg_rng_uniform(g, 0, 10), r[1] = mg_rng_uniform(g, -5, 5), r[2] = normal(g);
        y[i] = 250000 + 30000 * r[0] - 20000 * r[1] + 9000 * r[2] + 6000 * normal(g);
        fprintf(f, "%.17g,%.17g,%.17g,%.17g\n", r[0], r[1], r[2], y[i]);
    }
    fclose(f);
}

/* Least squares with an intercept (normal equations, Gauss-Jordan with pivoting); returns
 * the RMSE of the fit on the test rows. */
static double least_squares_rmse(const double *xtr, const double *ytr, const double *xte,
                                 const double *yte) {
    double m[4][5] = {{0}};
    for (size_t i = 0; i < NTR; i++) {
        double a[4] = {1, xtr[3 * i], xtr[3 * i + 1], xtr[3 * i + 2]};
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) m[r][c] += a[r] * a[c];
            m[r][4] += a[r] * ytr[i];
        }
    }
    for (int c = 0; c < 4; c++) {
        int p = c;
        for (int r = c + 1; r < 4; r++) p = fabs(m[r][c]) > fabs(m[p][c]) ? r : p;
        for (int k = 0; k < 5; k++) {
            double t = m[c][k];
            m[c][k] = m[p][k], m[p][k] = t;
        }
        for (int r = 0; r < 4; r++) {
            double f = r == c ? 0 : m[r][c] / m[c][c];
            for (int k = 0; k < 5; k++) m[r][k] -= f * m[c][k];
        }
    }
    double sq = 0;
    for (size_t i = 0; i < NTE; i++) {
        double p = m[0][4] / m[0][0];
        for (int j = 0; j < 3; j++) p += m[j + 1][4] / m[j + 1][j + 1] * xte[3 * i + j];
        sq += (p - yte[i]) * (p - yte[i]);
    }
    return sqrt(sq / NTE);
}

/* The default run (targets standardised) is within a few percent of least squares on
 * the test rows, in the target's units; the model predicts prices, not scaled ones. */
static void test_regression_like_least_squares(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    static double xtr[3 * NTR], ytr[NTR], xte[3 * NTE], yte[NTE];
    mg_rng g;
    mg_rng_seed(&g, 11);
    char train[512], test[512], model[512];
    snprintf(train, sizeof train, "%s", tu_path("linear_train.csv"));
    snprintf(test, sizeof test, "%s", tu_path("linear_test.csv"));
    snprintf(model, sizeof model, "%s", tu_path("linear.safetensors"));
    write_linear(train, &g, NTR, xtr, ytr);
    write_linear(test, &g, NTE, xte, yte);
    double lsq = least_squares_rmse(xtr, ytr, xte, yte);
    tu_run_result r = RUN(NULL, "train", "--data", train, "--save", model);
    expect_status(r, 0);
    expect_in(r.out, "train: loss ");
    expect_in(r.out, " (on standardised targets), rmse ");
    tu_run_free(&r);
    r = RUN(NULL, "predict", "-m", model, "-d", test, "-o", tu_path("linear_pred.csv"));
    expect_status(r, 0);
    double rmse = number_after(r.err, "rmse "), mae = number_after(r.err, "mae ");
    tu_run_free(&r);
    print_message("least squares %.1f, micrograd %.1f (mae %.1f)\n", lsq, rmse, mae);
    if (!(rmse < 1.05 * lsq)) fail_msg("rmse %g is not within 5%% of least squares' %g", rmse, lsq);
    assert_true(mae > 0.5 * lsq && mae < rmse);
    char *pred = tu_read_file(tu_path("linear_pred.csv"), NULL);
    double first = strtod(pred + strlen("prediction\n"), NULL);
    assert_true(fabs(first - yte[0]) < 5 * lsq); /* a price, not a standardised number */
    free(pred);
    /* Unscaled, the default run is far worse: the reason targets are standardised. */
    r = RUN(NULL, "train", "--data", train, "--no-standardize", "--json");
    expect_status(r, 0);
    double raw = number_after(r.out, "\"train_rmse\":");
    print_message("without standardisation: train rmse %.1f\n", raw);
    assert_true(raw > 3 * lsq);
    tu_run_free(&r);
}

/* A classification loss on a continuous target is a usage error, as JSON with --json. */
static void test_loss_on_numbers(void **state) {
    (void)state;
    tu_run_result r = RUN(NULL, "train", "--data", TABLES "houses.csv", "--loss", "ce");
    expect_status(r, 2);
    expect_in(r.err, "--loss ce needs classes; the target of " TABLES "houses.csv holds numbers "
                     "(200 distinct values): use --loss mse, or --task classify to make each "
                     "value a class");
    tu_run_free(&r);
    r = RUN(NULL, "train", "--data", TABLES "houses.csv", "--loss", "bce", "--json");
    expect_status(r, 2);
    expect_in(r.out, "{\"error\":\"--loss bce needs 2 classes; the target of ");
    expect_in(r.out, "\"exit\":2}\n");
    tu_run_free(&r);
}

/* ==== JSON ================================================================================== */

/* Every number in text is written in its shortest exact form (what mg_fmt_repr gives). */
static void expect_shortest_numbers(const char *text) {
    for (const char *p = text; *p; p++) {
        if (!(*p == ':' || *p == ',' || *p == '[') || !(p[1] == '-' || (p[1] >= '0' && p[1] <= '9')))
            continue;
        char *end;
        double x = strtod(p + 1, &end);
        char tok[64], want[32];
        snprintf(tok, sizeof tok, "%.*s", (int)(end - p - 1), p + 1);
        mg_fmt_repr(x, want, sizeof want);
        if (strchr(tok, '.') || strchr(tok, 'e'))
            if (strcmp(tok, want)) fail_msg("%s is not in its shortest form %s in:\n%s", tok, want, text);
    }
}

static void test_json(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char model[512];
    snprintf(model, sizeof model, "%s", tu_path("houses.safetensors"));
    tu_run_result r = RUN(NULL, "train", "--data", TABLES "houses.csv", "--val", "0.2", "--json",
                          "--save", model);
    expect_status(r, 0);
    expect_in(r.out, "\"val_rmse\":");
    expect_in(r.out, "\"val_mae\":");
    expect_shortest_numbers(r.out);
    assert_true(number_after(r.out, "\"val_rmse\":") > 1000); /* dollars */
    tu_run_free(&r);
    r = RUN(NULL, "info", "--model", model, "--json");
    expect_status(r, 0);
    expect_shortest_numbers(r.out);
#ifdef MG_HAVE_JANSSON
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    if (!j) fail_msg("not JSON (%s): %s", je.text, r.out);
    assert_string_equal(json_string_value(json_object_get(j, "task")), "regression");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "layers"), 2)), 1);
    json_t *ts = json_object_get(json_object_get(j, "target_scale"), "std");
    assert_true(json_real_value(json_array_get(ts, 0)) > 10000);
    assert_int_equal(json_array_size(json_object_get(j, "features")), 4);
    assert_true(json_is_number(json_object_get(json_object_get(j, "metrics"), "val_mae")));
    json_decref(j);
#endif
    tu_run_free(&r);
    r = RUN(NULL, "train", "--data", "no-such.csv", "--json");
    expect_status(r, 1);
    assert_string_equal(r.out, "{\"error\":\"no-such.csv: cannot open: No such file or "
                               "directory\",\"exit\":1}\n");
    tu_run_free(&r);
    r = RUN(NULL, "train", "--json", "--epochs", "0");
    expect_status(r, 2);
    expect_in(r.out, "{\"error\":\"--epochs must be between 1 and ");
    tu_run_free(&r);
}

/* ==== examples/predict.c ==================================================================== */

/* The example program a C programmer copies predicts what `micrograd predict` does: the
 * same labels for a classifier (columns in another order, an extra one), the same values
 * (to the 10 digits it prints) for a regressor. */
static void test_example_predict(void **state) {
    (void)state;
    if (tu_model_files_missing()) skip();
    char model[512];
    snprintf(model, sizeof model, "%s", tu_path("example.safetensors"));
    const char *example = MG_EXAMPLES_DIR "/predict";
    tu_run_result r = RUN(NULL, "train", "--data", TABLES "iris_index.csv", "-q", "--save", model);
    expect_status(r, 0);
    tu_run_free(&r);
    const char *rows = "note,petal width (cm),petal length (cm),sepal width (cm),sepal length (cm)\n"
                       "a,0.2,1.4,3.5,5.1\nb,1.5,4.5,3.2,6.4\nc,2.3,5.2,3.0,6.7\n";
    r = tu_run((const char *const[]){example, model, NULL}, rows);
    expect_status(r, 0);
    assert_string_equal(r.out, "setosa\nversicolor\nvirginica\n");
    tu_run_free(&r);
    r = tu_run((const char *const[]){MG_CLI, "predict", "-m", model, "-d", "-", NULL}, rows);
    assert_string_equal(r.out, "prediction\nsetosa\nversicolor\nvirginica\n");
    tu_run_free(&r);
    /* A regressor: prices in dollars, as predict writes them. */
    r = RUN(NULL, "train", "--data", TABLES "houses.csv", "-q", "--save", model);
    expect_status(r, 0);
    tu_run_free(&r);
    char *csv = tu_read_file(TABLES "houses.csv", NULL);
    tu_run_result a = tu_run((const char *const[]){example, model, NULL}, csv);
    tu_run_result b = tu_run((const char *const[]){MG_CLI, "predict", "-m", model, "-d", "-", "-q",
                                                   NULL}, csv);
    expect_status(a, 0);
    expect_status(b, 0);
    assert_int_equal(tu_count(a.out, "\n"), 200);
    const char *p = a.out, *q = strchr(b.out, '\n') + 1;
    for (int i = 0; i < 200; i++) {
        char *pe, *qe;
        double x = strtod(p, &pe), y = strtod(q, &qe);
        if (!(fabs(x - y) <= 1e-9 * fabs(y)) || y < 10000) fail_msg("row %d: %.17g and %.17g", i, x, y);
        p = pe + 1, q = qe + 1;
    }
    tu_run_free(&a);
    tu_run_free(&b);
    free(csv);
    r = tu_run((const char *const[]){example, TABLES "houses.csv", NULL}, "a\n1\n");
    expect_status(r, 1);
    expect_in(r.err, "predict: " TABLES "houses.csv: not a micrograd model file");
    tu_run_free(&r);
}

/* ==== help ================================================================================== */

/* Every option of every help starts its own line: no "  -x, --opt" or "  --opt" after
 * other text on a line (the run-on the issue found after --max-memory). */
static void expect_one_option_per_line(const char *what, const char *help) {
    int options = 0;
    for (const char *line = help; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        const char *text = buf + strspn(buf, " ");
        options += text > buf + 1 && text[0] == '-';
        /* An option written after text, with its own description after a gap: text
         * that mentions an option ("  --formula refuses ...") has no gap after it. */
        for (const char *p = text; *p && p[1]; p++) {
            if (strncmp(p, "  -", 3) || !(p[3] == '-' || (p[4] == ',' && p[5] == ' '))) continue;
            const char *gap = strstr(p + 3, "   ");
            if (gap && gap[strspn(gap, " ")])
                fail_msg("%s --help: an option after text on one line:\n%s", what, buf);
        }
        line += len + (end != NULL);
    }
    if (options < 3) fail_msg("%s --help: only %d option lines:\n%s", what, options, help);
}

static void test_help_layout(void **state) {
    (void)state;
    static const char *const cmds[] = {"train", "predict", "info", "eval"};
    for (size_t k = 0; k < sizeof cmds / sizeof *cmds; k++) {
        tu_run_result r = RUN(NULL, cmds[k], "--help");
        expect_status(r, 0);
        expect_one_option_per_line(cmds[k], r.out);
        tu_run_free(&r);
    }
    /* train's defaults are the library's (mg_train_config_init). */
    tu_run_result r = RUN(NULL, "train", "--help");
    char want[128];
    snprintf(want, sizeof want, "(default: %d)", MG_TRAIN_DEFAULT_EPOCHS);
    expect_in(r.out, want);
    snprintf(want, sizeof want, "adamw %g)", MG_TRAIN_DEFAULT_LR);
    expect_in(r.out, want);
    expect_in(r.out, "      --max-memory SIZE  cap the graph's memory (e.g. 512M, 2G): past it a\n"
                     "                         clear error instead of swapping (default: no cap)\n"
                     "  -h, --help             show this help\n");
    tu_run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_on_tables),
        cmocka_unit_test(test_id_column),
        cmocka_unit_test(test_features_and_errors),
        cmocka_unit_test(test_regression_like_least_squares),
        cmocka_unit_test(test_loss_on_numbers),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_example_predict),
        cmocka_unit_test(test_help_layout),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
