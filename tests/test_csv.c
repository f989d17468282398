/* test_csv.c - the CSV loader: RFC 4180 fields, delimiter and header detection, targets,
 * class labels, rows for a model, every malformed input with its line and column, and
 * random inputs under the sanitizers. Expected values are written out by hand from the
 * small files below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"
#include "testutil.h"

/* ==== helpers ============================================================================ */

static mg_dataset *parse(const char *text, const mg_csv_options *opt) {
    mg_err err = {0};
    mg_dataset *d = mg_csv_parse(text, strlen(text), "t.csv", opt, &err);
    if (!d) fail_msg("parse failed: %s", err.msg);
    return d;
}

static void expect_x(const mg_dataset *d, size_t n, size_t nfeat, const double *x) {
    assert_int_equal(d->n, n);
    assert_int_equal(d->nfeat, nfeat);
    for (size_t i = 0; i < n * nfeat; i++)
        if (d->x[i] != x[i]) fail_msg("x[%zu] = %.17g, expected %.17g", i, d->x[i], x[i]);
}

static void expect_y(const mg_dataset *d, const double *y) {
    assert_non_null(d->y);
    for (size_t i = 0; i < d->n; i++)
        if (d->y[i] != y[i]) fail_msg("y[%zu] = %.17g, expected %.17g", i, d->y[i], y[i]);
}

static void expect_names(char **names, size_t n, const char *const *want) {
    assert_non_null(names);
    for (size_t i = 0; i < n; i++) assert_string_equal(names[i], want[i]);
}

/* ==== well-formed files =================================================================== */

static void test_header_and_string_labels(void **state) {
    (void)state;
    mg_dataset *d = parse("a,b,label\n1,2,x\n3,4.5,y\n-1e-3,0,x\n", NULL);
    expect_x(d, 3, 2, (const double[]){1, 2, 3, 4.5, -0.001, 0});
    expect_y(d, (const double[]){0, 1, 0});
    assert_int_equal(d->nclasses, 2);
    expect_names(d->class_names, 2, (const char *const[]){"x", "y"});
    expect_names(d->feature_names, 2, (const char *const[]){"a", "b"});
    assert_string_equal(d->target_name, "label");
    mg_dataset_free(d);
}

/* Classes are sorted, so the order of rows does not change the class indices. */
static void test_classes_sorted(void **state) {
    (void)state;
    mg_dataset *d = parse("f,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n", NULL);
    expect_names(d->class_names, 3, (const char *const[]){"setosa", "versicolor", "virginica"});
    expect_y(d, (const double[]){2, 0, 1, 0});
    mg_dataset_free(d);
}

/* Numeric labels sort by value and keep their text; equal values are one class. */
static void test_numeric_labels(void **state) {
    (void)state;
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    opt.task = MG_CSV_TASK_CLASSIFY;
    mg_dataset *d = parse("x,c\n1,7\n2,10\n3,2\n4,7.0\n5,2.5\n", &opt);
    assert_int_equal(d->nclasses, 4);
    expect_names(d->class_names, 4, (const char *const[]){"2", "2.5", "7", "10"});
    expect_y(d, (const double[]){2, 3, 0, 2, 1});
    mg_dataset_free(d);
}

static void test_auto_task(void **state) {
    (void)state;
    /* Few distinct integers: classes. */
    mg_dataset *d = parse("1,2,0\n3,4,1\n5,6,1\n", NULL);
    assert_int_equal(d->nclasses, 2);
    assert_null(d->feature_names);
    assert_null(d->target_name);
    expect_x(d, 3, 2, (const double[]){1, 2, 3, 4, 5, 6});
    expect_y(d, (const double[]){0, 1, 1});
    mg_dataset_free(d);
    /* A fraction: regression. */
    d = parse("x,y\n1,0.5\n2,1.5\n3,2.25\n", NULL);
    assert_int_equal(d->nclasses, 0);
    assert_null(d->class_names);
    expect_y(d, (const double[]){0.5, 1.5, 2.25});
    mg_dataset_free(d);
    /* 21 distinct integers: more than MG_CSV_AUTO_MAX_CLASSES, so regression. */
    char text[512] = "x,y\n";
    for (int i = 0; i < 21; i++) snprintf(text + strlen(text), sizeof text - strlen(text), "%d,%d\n", i, 3 * i);
    d = parse(text, NULL);
    assert_int_equal(d->nclasses, 0);
    assert_int_equal(d->n, 21);
    assert_true(d->y[20] == 60.0);
    mg_dataset_free(d);
    /* Forced regression of small integers. */
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    opt.task = MG_CSV_TASK_REGRESS;
    d = parse("1,0\n2,1\n", &opt);
    assert_int_equal(d->nclasses, 0);
    expect_y(d, (const double[]){0, 1});
    mg_dataset_free(d);
}

static void test_delimiters(void **state) {
    (void)state;
    const double x[] = {1.5, 2, 3, 4};
    const char *texts[] = {"a;b;t\n1.5;2;u\n3;4;v\n", "a\tb\tt\n1.5\t2\tu\n3\t4\tv\n",
                           "a,b,t\n1.5,2,u\n3,4,v\n", "a ; b ; t\n 1.5 ;2 ; u\n3; 4;v \n"};
    for (size_t k = 0; k < 4; k++) {
        mg_dataset *d = parse(texts[k], NULL);
        expect_x(d, 2, 2, x);
        expect_names(d->class_names, 2, (const char *const[]){"u", "v"});
        expect_names(d->feature_names, 2, (const char *const[]){"a", "b"});
        mg_dataset_free(d);
    }
    /* Forced: with ';' the commas are part of the cells. */
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    opt.delimiter = ';';
    mg_dataset *d = parse("a;b,c\n1;x,y\n2;z\n", &opt);
    expect_names(d->class_names, 2, (const char *const[]){"x,y", "z"});
    mg_dataset_free(d);
}

/* Quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF, a BOM, a
 * missing last newline, trailing blank lines. */
static void test_rfc4180(void **state) {
    (void)state;
    const char *text = "\xEF\xBB\xBF\"first, col\",\"b\"\"q\",\"label\"\r\n"
                       "\"1\",2,\"say \"\"hi\"\"\"\r\n"
                       "3, \"4\" ,\"two\r\nlines\"\r\n"
                       "5,6,plain\r\n\r\n\n";
    mg_dataset *d = parse(text, NULL);
    expect_x(d, 3, 2, (const double[]){1, 2, 3, 4, 5, 6});
    expect_names(d->feature_names, 2, (const char *const[]){"first, col", "b\"q"});
    assert_string_equal(d->target_name, "label");
    expect_names(d->class_names, 3, (const char *const[]){"plain", "say \"hi\"", "two\nlines"});
    expect_y(d, (const double[]){1, 2, 0});
    mg_dataset_free(d);
    d = parse("a,b\n1,x\n2,y", NULL); /* no final newline */
    assert_int_equal(d->n, 2);
    mg_dataset_free(d);
    d = parse("a,b\r1,x\r2,y\r", NULL); /* old Mac line ends */
    assert_int_equal(d->n, 2);
    mg_dataset_free(d);
}

static void test_target_column(void **state) {
    (void)state;
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    const char *text = "y,a,b\nu,1,2\nv,3,4\n";
    const char *specs[] = {"y", "0", "-3"};
    for (size_t k = 0; k < 3; k++) {
        opt.target = specs[k];
        mg_dataset *d = parse(text, &opt);
        expect_x(d, 2, 2, (const double[]){1, 2, 3, 4});
        expect_names(d->feature_names, 2, (const char *const[]){"a", "b"});
        assert_string_equal(d->target_name, "y");
        mg_dataset_free(d);
    }
    opt.target = "a"; /* a middle column; "y" becomes a feature and must be numeric */
    mg_err err = {0};
    assert_null(mg_csv_parse(text, strlen(text), "t.csv", &opt, &err));
    assert_int_equal(err.status, MG_STATUS_FORMAT);
    assert_string_equal(err.msg, "t.csv:2:1: column 'y': not a number 'u' (features must be numbers)");
    opt.target = "1";
    mg_dataset *d = parse("5,1,2\n6,3,4\n", &opt);
    expect_x(d, 2, 2, (const double[]){5, 2, 6, 4});
    expect_y(d, (const double[]){0, 1});
    mg_dataset_free(d);
}

/* Header detection, and forcing it either way. */
static void test_header_detection(void **state) {
    (void)state;
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    /* Headerless with text labels: the label column is text in both rows. */
    mg_dataset *d = parse("5.1,3.5,setosa\n6.2,2.9,virginica\n", NULL);
    assert_int_equal(d->n, 2);
    assert_null(d->feature_names);
    mg_dataset_free(d);
    opt.header = MG_CSV_HEADER_NO;
    d = parse("1,2,0\n3,4,1\n", &opt);
    assert_int_equal(d->n, 2);
    mg_dataset_free(d);
    opt.header = MG_CSV_HEADER_YES; /* numbers as column names */
    d = parse("1,2,0\n3,4,1\n5,6,0\n", &opt);
    assert_int_equal(d->n, 2);
    expect_names(d->feature_names, 2, (const char *const[]){"1", "2"});
    mg_dataset_free(d);
}

/* ==== rows for a model ==================================================================== */

static void test_model_layout(void **state) {
    (void)state;
    const char *feats[] = {"a", "b"}, *classes[] = {"no", "yes"};
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    opt.nfeat = 2;
    opt.feature_names = feats;
    opt.nclasses = 2;
    opt.class_names = classes;
    opt.target = "label";
    /* By name: columns in another order, an extra column ignored, the target mapped. */
    mg_dataset *d = parse("id,b,label,a\nr1,2,yes,1\nr2,4,no,3\n", &opt);
    expect_x(d, 2, 2, (const double[]){1, 2, 3, 4});
    expect_y(d, (const double[]){1, 0});
    expect_names(d->class_names, 2, classes);
    expect_names(d->feature_names, 2, feats);
    mg_dataset_free(d);
    /* Repeated names pair up in order. */
    const char *twice[] = {"v", "v"};
    opt.feature_names = twice;
    d = parse("v,label,v\n1,no,2\n", &opt);
    expect_x(d, 1, 2, (const double[]){1, 2});
    mg_dataset_free(d);
    opt.feature_names = feats;
    /* No target column: y is NULL. */
    d = parse("b,a\n2,1\n", &opt);
    expect_x(d, 1, 2, (const double[]){1, 2});
    assert_null(d->y);
    mg_dataset_free(d);
    /* No header: by position, with or without the target (last). */
    d = parse("1,2\n3,4\n", &opt);
    assert_null(d->y);
    expect_x(d, 2, 2, (const double[]){1, 2, 3, 4});
    mg_dataset_free(d);
    opt.target = NULL;
    d = parse("1,2,yes\n3,4,no\n", &opt);
    expect_y(d, (const double[]){1, 0});
    mg_dataset_free(d);
    /* Numeric class names match by value. */
    const char *digits[] = {"0", "1"};
    opt.class_names = digits;
    d = parse("1,2,1.0\n3,4,0\n", &opt);
    expect_y(d, (const double[]){1, 0});
    mg_dataset_free(d);
    /* A regression model. */
    opt.nclasses = 0;
    opt.class_names = NULL;
    opt.target = "y";
    d = parse("a,b,y\n1,2,0.25\n", &opt);
    expect_y(d, (const double[]){0.25});
    mg_dataset_free(d);
}

/* ==== malformed input: every error names file, line and column ============================ */

typedef struct bad_case {
    const char *text;
    size_t len; /* 0: strlen */
    mg_status status;
    const char *msg;
} bad_case;

static const bad_case bad_cases[] = {
    {"", 0, MG_STATUS_FORMAT, "t.csv:1:1: empty file (no rows)"},
    {"\n\n\r\n", 0, MG_STATUS_FORMAT, "t.csv:1:1: empty file (no rows)"},
    {"a,b,c\n", 0, MG_STATUS_FORMAT, "t.csv:2:1: no data rows (only a header)"},
    {"a,b,c\n\n", 0, MG_STATUS_FORMAT, "t.csv:2:1: no data rows (only a header)"},
    {"a,b,c\n1,2,x\n3,4\n", 0, MG_STATUS_FORMAT, "t.csv:3:4: 2 fields, expected 3"},
    {"a,b,c\n1,2,x\n3,4,y,5\n", 0, MG_STATUS_FORMAT, "t.csv:3:7: 4 fields, expected 3"},
    {"a,b,c\n1,2,x\n3,oops,y\n", 0, MG_STATUS_FORMAT,
     "t.csv:3:3: column 'b': not a number 'oops' (features must be numbers)"},
    {"a,b,c\n1,,x\n3,4,y\n", 0, MG_STATUS_FORMAT, "t.csv:2:3: column 'b': missing value"},
    {"1,2,x\n1,NA,y\n", 0, MG_STATUS_FORMAT,
     "t.csv:2:3: column 2: not a number 'NA' (features must be numbers)"},
    {"a,b,c\n1,nan,x\n3,4,y\n", 0, MG_STATUS_FORMAT,
     "t.csv:2:3: column 'b': not a number 'nan' (features must be numbers)"},
    {"a,b,c\n1,0x10,x\n3,4,y\n", 0, MG_STATUS_FORMAT,
     "t.csv:2:3: column 'b': not a number '0x10' (features must be numbers)"},
    {"a,b,c\n1,1e999,x\n3,4,y\n", 0, MG_STATUS_FORMAT,
     "t.csv:2:3: column 'b': number out of range '1e999' (features must be numbers)"},
    {"a,b,c\n1,2,x\n3,4,x\n", 0, MG_STATUS_FORMAT,
     "t.csv: column 'c' has one class only ('x'): a classifier needs at least 2"},
    {"a,b,c\n1,2,x\n3,4,\n", 0, MG_STATUS_FORMAT, "t.csv:3:5: column 'c': empty target"},
    {"a,b,c\n1,2,\"x\n3,4,y\n", 0, MG_STATUS_FORMAT, "t.csv:2:5: unterminated quoted field"},
    {"a,b,c\n1,2,x\"y\n", 0, MG_STATUS_FORMAT,
     "t.csv:2:6: a quote inside an unquoted field (quote the whole field and double the quote)"},
    {"a,b,c\n1,2,\"x\"y\n", 0, MG_STATUS_FORMAT,
     "t.csv:2:8: text after a closing quote (a quote inside a quoted field is written \"\")"},
    {"a,b,c\n1,2\0,x\n", 13, MG_STATUS_FORMAT, "t.csv:2:4: NUL byte (not a text file?)"},
    {"a\n1\n2\n", 0, MG_STATUS_FORMAT,
     "t.csv:1:1: one column only: need feature columns and a target (is the delimiter right?)"},
    {"a,b,c\n1,2,x,\n3,4,y,5\n", 0, MG_STATUS_FORMAT,
     "t.csv:3:7: a value in the last column, empty on the first lines (taken as a delimiter "
     "ending each line)"},
    {"a;b;c\n1.5;2,5;x\n3.5;4;y\n", 0, MG_STATUS_FORMAT,
     "t.csv:2:5: column 'b': not a number '2,5' (a decimal comma, but the decimal mark is '.'; "
     "read it with decimal ',')"},
    {"a;b;c\n1,5;2.5;x\n3,5;4;y\n", 0, MG_STATUS_FORMAT,
     "t.csv:2:5: column 'b': not a number '2.5' (a decimal point, but the decimal mark is ','; "
     "read it with decimal '.')"},
};

static void test_bad_inputs(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof bad_cases / sizeof bad_cases[0]; k++) {
        const bad_case *c = &bad_cases[k];
        mg_err err = {0};
        size_t len = c->len ? c->len : strlen(c->text);
        mg_dataset *d = mg_csv_parse(c->text, len, "t.csv", NULL, &err);
        if (d) fail_msg("case %zu loaded, expected \"%s\"", k, c->msg);
        if (err.status != c->status || strcmp(err.msg, c->msg))
            fail_msg("case %zu: status %d \"%s\"\nexpected %d \"%s\"", k, err.status, err.msg,
                     c->status, c->msg);
    }
}

static void test_unknown_target(void **state) {
    (void)state;
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    const char *specs[] = {"nope", "3", "-4", ""};
    for (size_t k = 0; k < 4; k++) {
        opt.target = specs[k];
        mg_err err = {0};
        assert_null(mg_csv_parse("a,b,c\n1,2,x\n3,4,y\n", 18, "t.csv", &opt, &err));
        assert_int_equal(err.status, MG_STATUS_INVALID);
        char want[200];
        snprintf(want, sizeof want,
                 "t.csv: no column '%s' to predict (3 columns; give a header name or a 0-based "
                 "number)",
                 specs[k]);
        assert_string_equal(err.msg, want);
    }
}

static void test_model_errors(void **state) {
    (void)state;
    const char *feats[] = {"a", "b"}, *classes[] = {"no", "yes"};
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    opt.nfeat = 2;
    opt.feature_names = feats;
    opt.nclasses = 2;
    opt.class_names = classes;
    mg_err err = {0};
    assert_null(mg_csv_parse("a,c\n1,2\n", 8, "t.csv", &opt, &err));
    assert_string_equal(err.msg, "t.csv:1:1: no column 'b' (the model's feature 2 of 2)");
    assert_null(mg_csv_parse("1,2,3,4\n", 8, "t.csv", &opt, &err));
    assert_string_equal(err.msg, "t.csv:1:1: 4 columns, but the model takes 2 features (2 "
                                 "columns, or 3 with the target)");
    assert_null(mg_csv_parse("1,2,maybe\n", 10, "t.csv", &opt, &err));
    assert_string_equal(err.msg, "t.csv:1:5: label 'maybe' is not one of the model's 2 classes");
    opt.nclasses = 0;
    opt.class_names = NULL;
    assert_null(mg_csv_parse("1,2,maybe\n", 10, "t.csv", &opt, &err));
    assert_string_equal(err.msg,
                        "t.csv:1:5: column 3: not a number 'maybe' (the model predicts a number)");
}

/* A header wider than MG_CSV_MAX_COLUMNS is refused while it is read. */
static void test_too_many_columns(void **state) {
    (void)state;
    size_t ncols = (size_t)MG_CSV_MAX_COLUMNS + 1, len = 2 * ncols;
    char *text = malloc(len);
    assert_non_null(text);
    for (size_t i = 0; i < ncols; i++) {
        text[2 * i] = 'a';
        text[2 * i + 1] = i + 1 < ncols ? ',' : '\n';
    }
    mg_err err = {0};
    assert_null(mg_csv_parse(text, len, "wide.csv", NULL, &err));
    assert_int_equal(err.status, MG_STATUS_FORMAT);
    assert_string_equal(err.msg, "wide.csv:1:2097153: more than 1048576 columns");
    free(text);
}

/* The widest file allowed loads without reserving memory for rows it does not have: a
 * counting allocator sees no single request past 64 MB for 2 rows of 1048575 features
 * (16 MB of numbers). */
static size_t largest_request;
static void *count_alloc(void *user, size_t size) {
    (void)user;
    if (size > largest_request) largest_request = size;
    return malloc(size);
}
static void *count_realloc(void *user, void *p, size_t size) {
    (void)user;
    if (size > largest_request) largest_request = size;
    return realloc(p, size);
}
static void count_free(void *user, void *p) {
    (void)user;
    free(p);
}

static void test_widest_file(void **state) {
    (void)state;
    size_t ncols = MG_CSV_MAX_COLUMNS, cap = ncols * 24 + 64, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    for (size_t i = 0; i < ncols; i++) len += (size_t)sprintf(text + len, "%sc%zu", i ? "," : "", i);
    for (int row = 0; row < 2; row++) {
        text[len++] = '\n';
        for (size_t i = 0; i + 1 < ncols; i++) len += (size_t)sprintf(text + len, "%d,", (int)(i % 7) - row);
        len += (size_t)sprintf(text + len, "%s", row ? "q" : "p");
    }
    text[len++] = '\n';
    static const mg_allocator counting = {count_alloc, count_realloc, count_free, NULL};
    largest_request = 0;
    mg_set_allocator(&counting);
    mg_err err = {0};
    mg_dataset *d = mg_csv_parse(text, len, "widest.csv", NULL, &err);
    if (!d) fail_msg("%s", err.msg);
    assert_int_equal(d->n, 2);
    assert_int_equal(d->nfeat, ncols - 1);
    assert_int_equal(d->nclasses, 2);
    ASSERT_NEAR(d->x[ncols - 1 + 8], 0.0, 0); /* row 1, feature 8: 8 % 7 - 1 */
    mg_dataset_free(d);
    mg_set_allocator(NULL);
    if (largest_request > (size_t)64 << 20) fail_msg("a request of %zu bytes", largest_request);
    free(text);
}

static void test_files(void **state) {
    (void)state;
    const char *path = tu_path("iris_part.csv");
    tu_write_file(path, "sepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n",
                  (size_t)-1);
    mg_err err = {0};
    mg_dataset *d = mg_csv_load(path, NULL, &err);
    if (!d) fail_msg("%s", err.msg);
    expect_x(d, 2, 2, (const double[]){5.1, 3.5, 7.0, 3.2});
    mg_dataset_free(d);
    assert_null(mg_csv_load(tu_path("missing.csv"), NULL, &err));
    assert_int_equal(err.status, MG_STATUS_IO);
    assert_non_null(strstr(err.msg, "missing.csv: cannot open: No such file or directory"));
    /* The checked-in sample. */
    d = mg_csv_load(MG_SOURCE_DIR "/tests/data/tiny.csv", NULL, &err);
    if (!d) fail_msg("%s", err.msg);
    assert_int_equal(d->n, 6);
    assert_int_equal(d->nfeat, 2);
    expect_names(d->class_names, 3, (const char *const[]){"circle", "square", "triangle"});
    mg_dataset_free(d);
}

/* Random bytes from CSV's alphabet: every input either loads or fails with a message;
 * the sanitizer build checks that nothing reads out of bounds. */
static void test_random_inputs(void **state) {
    (void)state;
    static const char alphabet[] = ",;\t\"\r\n 1.e-xa\0";
    mg_rng rng;
    mg_rng_seed(&rng, 7);
    char text[64];
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = mg_rng_below(&rng, sizeof text);
        for (size_t i = 0; i < len; i++) text[i] = alphabet[mg_rng_below(&rng, sizeof alphabet - 1)];
        mg_err err = {0};
        mg_csv_options opt;
        mg_csv_options_init(&opt);
        opt.header = (mg_csv_header)mg_rng_below(&rng, 3);
        mg_dataset *d = mg_csv_parse(text, len, "r.csv", &opt, &err);
        if (d) {
            assert_true(d->n > 0 && d->nfeat > 0);
            mg_dataset_free(d);
        } else {
            assert_true(err.status != MG_STATUS_OK);
            assert_true(strncmp(err.msg, "r.csv", 5) == 0);
        }
    }
}

/* ==== tables as people export them (tests/data/tables/, made by make_tables.py) ========= */

#define TABLES MG_SOURCE_DIR "/tests/data/tables/"

/* What loading one exported table must give: the rule it shows, and what the report and
 * the dataset say. */
typedef struct table_case {
    const char *file, *rule;
    size_t n, nfeat, nclasses;
    char delimiter, decimal;
    int header, numbered, trailing, index_dropped;
    size_t blank_lines;
    const char *unused;   /* the unused columns joined by '|', "" for none */
    const char *suspects; /* the suspects as "column:distinct:named" joined by '|' */
    const char *feature0, *class0;
    double x00, x01;      /* row 0's first two features */
} table_case;

static const table_case table_cases[] = {
    {"iris_index.csv", "a pandas index (empty header cell, 0..n-1) is left out", 150, 4, 3,
     ',', '.', 1, 0, 0, 1, 0, "", "", "sepal length (cm)", "setosa", 5.1, 3.5},
    {"wine_id.csv", "an id column is kept, and reported as a suspect (CRLF)", 178, 14, 3, ',',
     '.', 1, 0, 0, 0, 0, "", "id:1:1", "id", "class_0", 1, 14.23},
    {"wine_european.csv", "';' and decimal commas are detected", 178, 13, 3, ';', ',', 1, 0, 0,
     0, 0, "", "", "alcohol", "class_0", 14.23, 1.71},
    {"digits_numbered.csv", "a header 0,1,...,63,label over string labels", 120, 64, 10, ',',
     '.', 1, 1, 0, 0, 0, "", "", "0", "eight", 0, 0},
    {"cancer_bom.csv", "a UTF-8 byte order mark, CRLF, names with spaces", 80, 30, 2, ',', '.',
     1, 0, 0, 0, 0, "", "", "mean radius", "benign", 17.99, 10.38},
    {"iris_trailing.csv", "a delimiter ending every line, blank lines in the data", 30, 4, 3,
     ',', '.', 1, 0, 1, 0, 2, "", "", "sepal length (cm)", "setosa", 5.1, 3.5},
    {"houses.csv", "prices: a regression", 200, 4, 0, ',', '.', 1, 0, 0, 0, 0, "", "", "sqft",
     NULL, 968, 1},
    {"diabetes.csv", "scikit-learn's unscaled diabetes table: a regression", 442, 10, 0, ',',
     '.', 1, 0, 0, 0, 0, "", "", "age", NULL, 59, 2},
};

static void join_report(const mg_csv_report *r, char *unused, char *suspects, size_t size) {
    unused[0] = suspects[0] = '\0';
    for (size_t k = 0; k < r->nunused; k++)
        snprintf(unused + strlen(unused), size - strlen(unused), "%s%s", k ? "|" : "", r->unused[k]);
    for (size_t k = 0; k < r->nsuspects; k++)
        snprintf(suspects + strlen(suspects), size - strlen(suspects), "%s%s:%d:%d", k ? "|" : "",
                 r->suspects[k].column, r->suspects[k].distinct, r->suspects[k].named);
}

static void test_exported_tables(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof table_cases / sizeof *table_cases; k++) {
        const table_case *c = &table_cases[k];
        char path[512], unused[256], suspects[256];
        snprintf(path, sizeof path, TABLES "%s", c->file);
        mg_csv_report rep;
        mg_csv_options opt;
        mg_csv_options_init(&opt);
        opt.report = &rep;
        mg_err err = {0};
        mg_dataset *d = mg_csv_load(path, &opt, &err);
        if (!d) fail_msg("%s (%s): %s", c->file, c->rule, err.msg);
        join_report(&rep, unused, suspects, sizeof unused);
        if (d->n != c->n || d->nfeat != c->nfeat || d->nclasses != c->nclasses ||
            rep.delimiter != c->delimiter || rep.decimal != c->decimal ||
            rep.header != c->header || rep.numbered_header != c->numbered ||
            rep.trailing_delimiter != c->trailing || rep.index_dropped != c->index_dropped ||
            rep.blank_lines != c->blank_lines || strcmp(unused, c->unused) ||
            strcmp(suspects, c->suspects))
            fail_msg("%s (%s): n %zu nfeat %zu classes %zu delim '%c' decimal '%c' header %d "
                     "numbered %d trailing %d index %d blank %zu unused '%s' suspects '%s'",
                     c->file, c->rule, d->n, d->nfeat, d->nclasses, rep.delimiter, rep.decimal,
                     rep.header, rep.numbered_header, rep.trailing_delimiter, rep.index_dropped,
                     rep.blank_lines, unused, suspects);
        assert_string_equal(d->feature_names[0], c->feature0);
        if (c->class0) assert_string_equal(d->class_names[0], c->class0);
        ASSERT_NEAR(d->x[0], c->x00, 0);
        ASSERT_NEAR(d->x[1], c->x01, 0);
        mg_csv_report_free(&rep);
        mg_dataset_free(d);
    }
}

/* One rule, one small file: what the report and the dataset say. */
typedef struct rule_case {
    const char *rule, *text;
    const char *drop, *select, *keep, *target; /* drop/select/keep: one column each, or NULL */
    char decimal;
    mg_csv_header header;
    size_t n, nfeat;
    double x0;           /* row 0's first feature */
    const char *unused;  /* joined by '|' */
    size_t blank_lines;
    int index_dropped;
    const char *kept0;   /* row 0's kept cell */
} rule_case;

static const rule_case rule_cases[] = {
    {"drop by name", "id,a,b,y\n7,1,2,u\n9,3,4,v\n", "id", NULL, NULL, NULL, 0, 0, 2, 2, 1, "id", 0,
     0, NULL},
    {"drop by number", "7,1,2,u\n9,3,4,v\n", "0", NULL, NULL, NULL, 0, 0, 2, 2, 1, "0", 0, 0, NULL},
    {"select one feature", "a,b,c,y\n1,2,3,u\n4,5,6,v\n", NULL, "c", NULL, NULL, 0, 0, 2, 1, 3,
     "a|b", 0, 0, NULL},
    {"keep an id and drop it", "id,a,y\nr1,1,u\nr2,2,v\n", "id", NULL, "id", NULL, 0, 0, 2, 1, 1,
     "id", 0, 0, "r1"},
    {"an index not 0..n-1 but distinct stays out", ",a,y\n5,1,u\n2,2,v\n9,3,u\n", NULL, NULL, NULL,
     NULL, 0, 0, 3, 1, 1, "", 0, 1, NULL},
    {"a nameless column with repeats is a feature", ",a,y\n5,1,u\n5,2,v\n", NULL, NULL, NULL, NULL,
     0, 0, 2, 2, 5, "", 0, 0, NULL},
    {"an index and one feature", ",y\n0,u\n1,v\n", NULL, NULL, NULL, NULL, 0, 0, 2, 1, 0, "", 0, 0,
     NULL},
    {"blank and empty-cell lines are skipped", "a,b,y\n\n1,2,u\n,,\n\n3,4,v\n\n", NULL, NULL, NULL,
     NULL, 0, 0, 2, 2, 1, "", 3, 0, NULL},
    {"decimal commas forced with a tab", "a\tb\ty\n1,5\t2\tu\n3\t4,25\tv\n", NULL, NULL, NULL, NULL,
     ',', 0, 2, 2, 1.5, "", 0, 0, NULL},
    {"a decimal point forced on ';'", "a;b;y\n1.5;2;u\n3;4;v\n", NULL, NULL, NULL, NULL, '.', 0, 2,
     2, 1.5, "", 0, 0, NULL},
    {"a regression target with decimal commas", "a;y\n1;17,99\n2;3,5\n", NULL, NULL, NULL, NULL, 0,
     0, 2, 1, 1, "", 0, 0, NULL},
    {"rows ending with a delimiter, the header not", "a,b,y\n1,2,u,\n3,4,v,\n", NULL, NULL, NULL,
     NULL, 0, 0, 2, 2, 1, "", 0, 0, NULL},
    {"0,1 and a name over string labels", "0,1,label\n5,6,cat\n7,8,dog\n", NULL, NULL, NULL, NULL, 0,
     0, 2, 2, 5, "", 0, 0, NULL},
    {"0,1 and a name forced to be data", "0,1,lab\n5,6,cat\n7,8,dog\n", NULL, NULL, NULL, NULL, 0,
     MG_CSV_HEADER_NO, 3, 2, 0, "", 0, 0, NULL},
    {"an index with 0..k-1 and a name", ",0,1,label\n0,5,6,cat\n1,7,8,dog\n", NULL, NULL, NULL, NULL,
     0, 0, 2, 2, 5, "", 0, 1, NULL},
};

static void test_rules(void **state) {
    (void)state;
    for (size_t k = 0; k < sizeof rule_cases / sizeof *rule_cases; k++) {
        const rule_case *c = &rule_cases[k];
        mg_csv_report rep;
        mg_csv_options opt;
        mg_csv_options_init(&opt);
        opt.report = &rep;
        opt.decimal = c->decimal;
        opt.header = c->header;
        opt.target = c->target;
        opt.drop = c->drop ? &c->drop : NULL, opt.ndrop = c->drop != NULL;
        opt.select = c->select ? &c->select : NULL, opt.nselect = c->select != NULL;
        opt.keep = c->keep ? &c->keep : NULL, opt.nkeep = c->keep != NULL;
        mg_err err = {0};
        mg_dataset *d = mg_csv_parse(c->text, strlen(c->text), "t.csv", &opt, &err);
        if (!d) fail_msg("%s: %s", c->rule, err.msg);
        char unused[256], suspects[256];
        join_report(&rep, unused, suspects, sizeof unused);
        if (d->n != c->n || d->nfeat != c->nfeat || d->x[0] != c->x0 || strcmp(unused, c->unused) ||
            rep.blank_lines != c->blank_lines || rep.index_dropped != c->index_dropped ||
            (c->kept0 && (rep.nkept != d->n || strcmp(rep.kept[0], c->kept0))))
            fail_msg("%s: n %zu nfeat %zu x0 %g unused '%s' blank %zu index %d", c->rule, d->n,
                     d->nfeat, d->x[0], unused, rep.blank_lines, rep.index_dropped);
        mg_csv_report_free(&rep);
        mg_dataset_free(d);
    }
}

/* Columns named that the file lacks, or that cannot be dropped or selected. */
static void test_column_errors(void **state) {
    (void)state;
    static const struct {
        const char *drop, *select, *keep;
        const char *msg;
    } cases[] = {
        {"nope", NULL, NULL, "t.csv: no column 'nope' to drop (3 columns; give a header name or a "
                             "0-based number)"},
        {"y", NULL, NULL, "t.csv: column 'y' is the target: it cannot be dropped"},
        {NULL, "y", NULL, "t.csv: feature column 'y' is the target"},
        {"a", "a", NULL, "t.csv: feature column 'a' is also dropped"},
        {NULL, "7", NULL, "t.csv: no column '7' to use as a feature (3 columns; give a header name "
                          "or a 0-based number)"},
        {NULL, NULL, "id", "t.csv: no column 'id' to keep (3 columns; give a header name or a "
                           "0-based number)"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        mg_csv_options opt;
        mg_csv_options_init(&opt);
        opt.drop = cases[k].drop ? &cases[k].drop : NULL, opt.ndrop = cases[k].drop != NULL;
        opt.select = cases[k].select ? &cases[k].select : NULL, opt.nselect = cases[k].select != NULL;
        opt.keep = cases[k].keep ? &cases[k].keep : NULL, opt.nkeep = cases[k].keep != NULL;
        mg_err err = {0};
        assert_null(mg_csv_parse("a,b,y\n1,2,u\n3,4,v\n", 18, "t.csv", &opt, &err));
        assert_int_equal(err.status, MG_STATUS_INVALID);
        assert_string_equal(err.msg, cases[k].msg);
    }
    const char *both[2] = {"a", "b"};
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    opt.drop = both, opt.ndrop = 2;
    mg_err err = {0};
    assert_null(mg_csv_parse("a,b,y\n1,2,u\n3,4,v\n", 18, "t.csv", &opt, &err));
    assert_string_equal(err.msg, "t.csv: no feature columns left (all dropped)");
    opt.ndrop = 0;
    opt.decimal = ',';
    opt.delimiter = ',';
    assert_null(mg_csv_parse("a,b\n1,2\n", 8, "t.csv", &opt, &err));
    assert_string_equal(err.msg, "t.csv: decimal commas need another delimiter (';' or tab)");
}

/* A model's dropped columns are left out of its rows: by name, or by number without a
 * header, so the rest match by position. */
static void test_model_drop(void **state) {
    (void)state;
    const char *feats[] = {"a", "b"}, *by_name[] = {"id"}, *by_number[] = {"0"};
    mg_csv_options opt;
    mg_csv_options_init(&opt);
    opt.nfeat = 2;
    opt.feature_names = feats;
    opt.drop = by_name, opt.ndrop = 1;
    mg_dataset *d = parse("id,b,a\n7,2,1\n", &opt);
    expect_x(d, 1, 2, (const double[]){1, 2});
    mg_dataset_free(d);
    opt.feature_names = NULL;
    opt.drop = by_number;
    d = parse("7,1,2\n8,3,4\n", &opt);
    expect_x(d, 2, 2, (const double[]){1, 2, 3, 4});
    assert_null(d->y);
    mg_dataset_free(d);
    /* The file must have the training file's layout: column 0 is the one left out. */
    mg_err err = {0};
    assert_null(mg_csv_parse("1,2\n3,4\n", 8, "t.csv", &opt, &err));
    assert_string_equal(err.msg, "t.csv:1:1: 1 columns, but the model takes 2 features (2 "
                                 "columns, or 3 with the target)");
}

static int teardown_all(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_string_labels),
        cmocka_unit_test(test_classes_sorted),
        cmocka_unit_test(test_numeric_labels),
        cmocka_unit_test(test_auto_task),
        cmocka_unit_test(test_delimiters),
        cmocka_unit_test(test_rfc4180),
        cmocka_unit_test(test_target_column),
        cmocka_unit_test(test_header_detection),
        cmocka_unit_test(test_model_layout),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_unknown_target),
        cmocka_unit_test(test_model_errors),
        cmocka_unit_test(test_too_many_columns),
        cmocka_unit_test(test_widest_file),
        cmocka_unit_test(test_files),
        cmocka_unit_test(test_random_inputs),
        cmocka_unit_test(test_exported_tables),
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_column_errors),
        cmocka_unit_test(test_model_drop),
    };
    return cmocka_run_group_tests(tests, NULL, teardown_all);
}
