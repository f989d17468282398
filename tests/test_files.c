/* test_files.c - the one file writer (micrograd.h section 14e): its promises for each
 * way of writing (bytes, a stream, by name), the mode of a new file, giving up, and the
 * errors. The other writers' tests (model files, graph drawings, plots, predictions) run
 * the same checks through their own calls. */
#define _XOPEN_SOURCE 700 /* symlink */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "micrograd.h"
#include "testutil.h"
#include "writecheck.h"

/* 4000 bytes of text, more than the size limit of the failing write. */
static char big[4001];

static mg_status write_bytes(void *user, const char *path, mg_err *err) {
    (void)user;
    return mg_file_write(path, big, sizeof big - 1, err);
}

/* Through the stream, in pieces, as the command writes its predictions. */
static mg_status write_stream(void *user, const char *path, mg_err *err) {
    (void)user;
    mg_outfile *o = mg_outfile_open(path, err);
    if (!o) return err->status;
    FILE *f = mg_outfile_stream(o);
    for (size_t i = 0; i < sizeof big - 1; i += 100) fprintf(f, "%.100s", big + i);
    return mg_outfile_commit(o, err);
}

/* By name, as cairo and graphviz write: their own open, write and close. */
static mg_status write_by_name(void *user, const char *path, mg_err *err) {
    (void)user;
    mg_outfile *o = mg_outfile_open(path, err);
    if (!o) return err->status;
    FILE *f = fopen(mg_outfile_path(o), "wb");
    int ok = f && fwrite(big, 1, sizeof big - 1, f) == sizeof big - 1;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) {
        mg_outfile_abort(o);
        return mg_err_set(err, MG_STATUS_IO, "%s: the library's write failed", path);
    }
    return mg_outfile_commit(o, err);
}

static void test_promises(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof big - 1; i++) big[i] = (char)('a' + i % 26);
    wc_check("bytes", "bin", write_bytes, NULL, 1000);
    wc_check("stream", "txt", write_stream, NULL, 1000);
    wc_check("name", "dat", write_by_name, NULL, 1000);
}

/* A new file is an ordinary one (mode 0666 less the umask), not a private temporary. */
static void test_mode(void **state) {
    (void)state;
    const char *path = tu_path("mode.txt");
    assert_int_equal(mg_file_write(path, "x\n", 2, NULL), MG_STATUS_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
}

/* While writing, the old file is there as it was; abort leaves it and nothing else. */
static void test_abort(void **state) {
    (void)state;
    char path[1024];
    snprintf(path, sizeof path, "%s", tu_path("abort.txt"));
    tu_write_file(path, "old", (size_t)-1);
    int before = tu_dir_entries();
    mg_err err = {0, ""};
    mg_outfile *o = mg_outfile_open(path, &err);
    assert_non_null(o);
    assert_string_not_equal(mg_outfile_path(o), path);
    assert_int_equal(strncmp(mg_outfile_path(o), path, strlen(path)), 0);
    fputs("new", mg_outfile_stream(o));
    assert_int_equal(tu_dir_entries(), before + 1); /* the temporary */
    char *text = tu_read_file(path, NULL);
    assert_string_equal(text, "old");
    free(text);
    mg_outfile_abort(o);
    mg_outfile_abort(NULL);
    assert_int_equal(tu_dir_entries(), before);
    text = tu_read_file(path, NULL);
    assert_string_equal(text, "old");
    free(text);
    /* In place (a device), the path is the file itself. */
    o = mg_outfile_open("/dev/null", &err);
    assert_non_null(o);
    assert_string_equal(mg_outfile_path(o), "/dev/null");
    assert_int_equal(mg_outfile_commit(o, &err), MG_STATUS_OK);
}

/* A link to a file not made yet: the file is made, the link stays. */
static void test_dangling_link(void **state) {
    (void)state;
    char link[1024];
    snprintf(link, sizeof link, "%s", tu_path("dangling.txt"));
    assert_int_equal(symlink("made-later.txt", link), 0);
    assert_int_equal(mg_file_write(link, "new", 3, NULL), MG_STATUS_OK);
    char *text = tu_read_file(tu_path("made-later.txt"), NULL);
    assert_string_equal(text, "new");
    free(text);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
}

static void test_errors(void **state) {
    (void)state;
    mg_err err = {0, ""};
    assert_null(mg_outfile_open("", &err));
    assert_int_equal(err.status, MG_STATUS_INVALID);
    assert_string_equal(err.msg, "no output path given");
    assert_int_equal(mg_file_write(NULL, "x", 1, &err), MG_STATUS_INVALID);
    assert_int_equal(mg_file_write("/nonexistent-dir/f.txt", "x", 1, &err), MG_STATUS_IO);
    assert_string_equal(err.msg, "/nonexistent-dir/f.txt: cannot create a temporary file next "
                                 "to it: No such file or directory");
    /* The status comes back without an err too. */
    assert_int_equal(mg_file_write(tu_tmpdir(), "x", 1, NULL), MG_STATUS_IO);
    /* A link loop cannot be followed. */
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s", tu_path("loop-a"));
    snprintf(b, sizeof b, "%s", tu_path("loop-b"));
    assert_int_equal(symlink("loop-b", a), 0);
    assert_int_equal(symlink("loop-a", b), 0);
    assert_int_equal(mg_file_write(a, "x", 1, &err), MG_STATUS_IO);
    assert_non_null(strstr(err.msg, "loop-a: "));
}

static int cleanup(void **state) {
    (void)state;
    tu_cleanup();
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_promises), cmocka_unit_test(test_mode),
        cmocka_unit_test(test_abort),    cmocka_unit_test(test_dangling_link),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
