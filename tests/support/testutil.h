/* testutil.h - helpers shared by the tests: running a program and capturing its output,
 * temporary paths, reading files. */
#ifndef MG_TESTUTIL_H
#define MG_TESTUTIL_H

#include <math.h>
#include <stddef.h>

/* ---- assertions on numbers (use after including cmocka.h) ---- */

/* Fails the test unless |a - b| <= tol, printing both numbers to the last digit. */
#define ASSERT_NEAR(a, b, tol)                                                             \
    do {                                                                                   \
        double a_ = (a), b_ = (b);                                                         \
        if (!(fabs(a_ - b_) <= (tol)))                                                     \
            fail_msg("%s = %.17g, expected %.17g (tol %g)", #a, a_, b_, (double)(tol));    \
    } while (0)
/* The same with a tolerance relative to max(1, |b|). */
#define ASSERT_REL(a, b, rel) ASSERT_NEAR(a, b, (rel) * fmax(1.0, fabs((double)(b))))

/* micrograd's README example, word for word (it prints 24.7041, 138.8338, 645.5773). */
extern const char tu_readme_script[];

/* cmocka fixtures: *state becomes a new mg_ctx, freed after the test. */
int tu_ctx_setup(void **state);
int tu_ctx_teardown(void **state);

/* The result of running a command. */
typedef struct tu_run_result {
    int status;  /* exit status, or 128 + signal number when killed by a signal */
    char *out;   /* everything written to stdout (NUL-terminated, malloc'd) */
    char *err;   /* everything written to stderr */
} tu_run_result;

/* Runs argv (argv[0] a path, NULL-terminated) with `input` (may be NULL) on stdin and
 * returns its status and output. Aborts the test program if it cannot be started. */
tu_run_result tu_run(const char *const *argv, const char *input);
void tu_run_free(tu_run_result *r);

/* Returns a fresh empty directory under $TMPDIR (or /tmp) for this test; removed by
 * tu_cleanup. */
const char *tu_tmpdir(void);
/* Joins tu_tmpdir() and name into a static buffer (valid until the next call). */
const char *tu_path(const char *name);
/* Writes len bytes (len = (size_t)-1 for a C string) to path; aborts on failure. */
void tu_write_file(const char *path, const char *data, size_t len);
/* Reads a whole file (NUL-terminated, malloc'd); NULL when it cannot be read. */
char *tu_read_file(const char *path, size_t *len);
/* Removes the temporary directory and everything in it. */
void tu_cleanup(void);

/* A small well-formedness check of XML (SVG output): tags nest and match, attributes are
 * quoted, '&' starts an entity, and nothing follows the root element. Returns NULL, or
 * what is wrong. */
const char *tu_xml_problem(const char *s);

/* Runs fn in a child process with its stderr captured into buf (NUL-terminated). Returns
 * 1 when the child was killed by SIGABRT (a failed MG_ASSERT), else 0. */
int tu_aborts(void (*fn)(void), char *buf, size_t size);

/* Number of entries in tu_tmpdir(), to check no temporary file was left behind. */
int tu_dir_entries(void);
/* Reads a PNG file's signature and header chunk: 1 and its width and height, or 0 when
 * the file is missing or not a PNG. */
int tu_png_size(const char *path, unsigned *w, unsigned *h);

/* Counts the lines of s that contain needle. */
int tu_count(const char *s, const char *needle);

/* 1 (after printing why: the Debian package dataset-fashion-mnist is not installed, or
 * this build has no zlib for its gzipped files) when a test cannot use Fashion-MNIST;
 * the test then calls skip(). 0 when it can. */
int tu_fashion_mnist_missing(void);
/* 1 (after printing why) when this build cannot save and load model files (no jansson);
 * the test then calls skip(). */
int tu_model_files_missing(void);

/* ---- skipped is not passed --------------------------------------------------------------
 * cmocka counts a test that called skip() as not failed, so its program would exit 0 and
 * CTest would count it as passed. Here skip() is remembered, and a program in which any
 * test skipped (and none failed) exits 77 after printing "SKIPPED: ...": CTest (its tests
 * have SKIP_RETURN_CODE 77) shows it as not run, and scripts/test.sh lists it with the
 * reasons the tests printed. This header comes after <cmocka.h>. */
extern int tu_skipped;
int tu_group_result(int failed);
#ifdef skip
#undef skip
#define skip() (tu_skipped++, _skip(__FILE__, __LINE__))
#endif
#ifdef cmocka_run_group_tests
#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                      \
    tu_group_result(_cmocka_run_group_tests(#group_tests, group_tests,                       \
                                            sizeof(group_tests) / sizeof((group_tests)[0]),  \
                                            group_setup, group_teardown))
#endif
#ifdef cmocka_run_group_tests_name
#undef cmocka_run_group_tests_name
#define cmocka_run_group_tests_name(group_name, group_tests, group_setup, group_teardown)     \
    tu_group_result(_cmocka_run_group_tests(group_name, group_tests,                         \
                                            sizeof(group_tests) / sizeof((group_tests)[0]),  \
                                            group_setup, group_teardown))
#endif

#endif
