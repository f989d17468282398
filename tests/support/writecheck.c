/* writecheck.c - see writecheck.h. */
#define _XOPEN_SOURCE 700 /* symlink, setrlimit */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "writecheck.h"

static char *path_of(const char *prefix, const char *kind, const char *ext) {
    char name[256];
    snprintf(name, sizeof name, "%s_%s.%s", prefix, kind, ext);
    char *p = strdup(tu_path(name));
    assert_non_null(p);
    return p;
}

static void expect_ok(mg_status st, const mg_err *err, const char *kind, const char *what) {
    if (st != MG_STATUS_OK) fail_msg("%s, %s: status %d: %s", kind, what, (int)st, err->msg);
}

/* Two outputs of one call are the same, but for the number cairo gives each SVG surface
 * it makes in a process (<g id="surface12">). */
static int same_output(const char *a, size_t na, const char *b, size_t nb) {
    static const char tag[] = "id=\"surface";
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        if (i + sizeof tag - 1 <= na && !memcmp(a + i, tag, sizeof tag - 1) &&
            j + sizeof tag - 1 <= nb && !memcmp(b + j, tag, sizeof tag - 1)) {
            i += sizeof tag - 1, j += sizeof tag - 1;
            while (i < na && a[i] >= '0' && a[i] <= '9') i++;
            while (j < nb && b[j] >= '0' && b[j] <= '9') j++;
            continue;
        }
        if (a[i++] != b[j++]) return 0;
    }
    return i == na && j == nb;
}

/* 1: a direct write, then the same through a link to an old file. */
static void through_link(const char *kind, const char *ext, wc_write_fn write, void *user) {
    char *direct = path_of("direct", kind, ext), *target = path_of("target", kind, ext);
    char *link = path_of("link", kind, ext);
    mg_err err = {0, ""};
    expect_ok(write(user, direct, &err), &err, kind, "a new file");
    tu_write_file(target, "old", (size_t)-1);
    const char *slash = strrchr(target, '/');
    assert_int_equal(symlink(slash + 1, link), 0);
    expect_ok(write(user, link, &err), &err, kind, "through a link");
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    if (!S_ISLNK(st.st_mode)) fail_msg("%s: the symbolic link was replaced", kind);
    size_t n1, n2;
    char *want = tu_read_file(direct, &n1), *got = tu_read_file(target, &n2);
    assert_non_null(want);
    assert_non_null(got);
    if (!same_output(want, n1, got, n2))
        fail_msg("%s: the file the link names does not hold the new contents", kind);
    free(want);
    free(got);
    free(direct);
    free(target);
    free(link);
}

/* 4: the process may not make a file past `limit` bytes (SIGXFSZ ignored, so the write
 * fails with EFBIG instead of killing the process; children inherit both). */
static void failing_write(const char *kind, const char *ext, wc_write_fn write, void *user,
                          size_t limit) {
    char *keep = path_of("keep", kind, ext);
    tu_write_file(keep, "old", (size_t)-1);
    int before = tu_dir_entries();
    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = (rlim_t)limit;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    mg_err err = {0, ""};
    mg_status st = write(user, keep, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    if (st == MG_STATUS_OK) fail_msg("%s: a write past the size limit succeeded", kind);
    char *text = tu_read_file(keep, NULL);
    if (!text || strcmp(text, "old")) fail_msg("%s: a failed write changed the old file", kind);
    free(text);
    if (tu_dir_entries() != before) fail_msg("%s: a failed write left a file behind", kind);
    free(keep);
}

/* 2: /dev/null through a link "null_KIND.EXT", and by its own name when it can be. */
static void to_dev_null(const char *kind, const char *ext, wc_write_fn write, void *user,
                        int by_name) {
    char *link = path_of("null", kind, ext);
    assert_int_equal(symlink("/dev/null", link), 0);
    mg_err err = {0, ""};
    expect_ok(write(user, link, &err), &err, kind, "a link to /dev/null");
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    if (!S_ISLNK(st.st_mode)) fail_msg("%s: the link to /dev/null was replaced", kind);
    if (by_name) expect_ok(write(user, "/dev/null", &err), &err, kind, "/dev/null");
    assert_int_equal(stat("/dev/null", &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    free(link);
}

static void check(const char *kind, const char *ext, wc_write_fn write, void *user, size_t limit,
                  int by_name) {
    int before = tu_dir_entries();
    through_link(kind, ext, write, user);
    assert_int_equal(tu_dir_entries(), before + 3); /* direct, target, link */
    to_dev_null(kind, ext, write, user, by_name);
    assert_int_equal(tu_dir_entries(), before + 4);
    char *dir = path_of("dir", kind, ext);
    assert_int_equal(mkdir(dir, 0755), 0);
    mg_err err = {0, ""};
    mg_status s = write(user, dir, &err);
    if (s != MG_STATUS_IO || !strstr(err.msg, dir) ||
        !strstr(err.msg, "cannot write: is a directory"))
        fail_msg("%s, a directory: status %d: '%s'", kind, (int)s, err.msg);
    free(dir);
    assert_int_equal(tu_dir_entries(), before + 5);
    failing_write(kind, ext, write, user, limit);
    assert_int_equal(tu_dir_entries(), before + 6);
}

void wc_check(const char *kind, const char *ext, wc_write_fn write, void *user, size_t limit) {
    check(kind, ext, write, user, limit, 1);
}

void wc_check_ext(const char *kind, const char *ext, wc_write_fn write, void *user, size_t limit) {
    check(kind, ext, write, user, limit, 0);
}
