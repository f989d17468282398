/* test_playground_cli.c - `micrograd playground`: its help and usage errors; with the
 * playground built, the page it writes (the build's artefact byte for byte, one
 * self-contained file) to a file, to standard output, and its error for a place it cannot
 * write; without it, the message that says how to get it and exit status 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "micrograd.h"
#include "testutil.h"

#define PLAYGROUND(...) tu_run((const char *const[]){MG_CLI, "playground", __VA_ARGS__, NULL}, NULL)

static void expect_status(tu_run_result r, int status) {
    if (r.status != status)
        fail_msg("exit %d, expected %d\nstdout:\n%.2000s\nstderr:\n%s", r.status, status, r.out, r.err);
}

static void expect_in(const char *text, const char *needle) {
    if (!strstr(text, needle)) fail_msg("expected '%s' in:\n%.2000s", needle, text);
}

static void test_help_and_usage(void **state) {
    (void)state;
    tu_run_result r = PLAYGROUND("--help");
    expect_status(r, 0);
    expect_in(r.out, "Usage: micrograd playground [--out FILE]");
    expect_in(r.out, "(default: micrograd-playground.html)");
    tu_run_free(&r);
    r = PLAYGROUND("--bogus");
    expect_status(r, 2);
    expect_in(r.err, "micrograd playground: unknown option '--bogus'");
    tu_run_free(&r);
    r = PLAYGROUND("--out");
    expect_status(r, 2);
    expect_in(r.err, "option '--out' needs a value");
    tu_run_free(&r);
    r = PLAYGROUND("--out", "");
    expect_status(r, 2);
    expect_in(r.err, "--out needs a file name");
    tu_run_free(&r);
    r = PLAYGROUND("extra");
    expect_status(r, 2);
    expect_in(r.err, "unexpected argument 'extra'");
    tu_run_free(&r);
    /* the command is listed */
    r = tu_run((const char *const[]){MG_CLI, "--help", NULL}, NULL);
    expect_in(r.out, "playground");
    tu_run_free(&r);
}

#ifdef MG_HAVE_PLAYGROUND

/* The page is one file: its scripts, styles and module inline, nothing fetched. */
static void check_page(const char *page, size_t len) {
    if (len < 100000) fail_msg("a page of %zu bytes is too small to hold the module", len);
    if (strncmp(page, "<!doctype html>", 15)) fail_msg("not an HTML page: %.40s", page);
    expect_in(page, "<script id=\"pg-wasm\" type=\"application/octet-stream\">AGFzbQ"); /* \0asm */
    expect_in(page, "default-src 'none'");
    const char *never[] = {"src=\"http", "href=\"http", "src=\"//", "@@", "@import", "url(http"};
    for (size_t i = 0; i < sizeof never / sizeof *never; i++)
        if (strstr(page, never[i])) fail_msg("the page refers to something outside it: '%s'", never[i]);
}

static void test_writes_the_page(void **state) {
    (void)state;
    size_t len, artefact_len;
    char *artefact = tu_read_file(MG_PLAYGROUND_PAGE, &artefact_len);
    if (!artefact) fail_msg("the build's page %s is missing", MG_PLAYGROUND_PAGE);
    check_page(artefact, artefact_len);

    const char *path = tu_path("page.html");
    tu_run_result r = PLAYGROUND("--out", path);
    expect_status(r, 0);
    expect_in(r.out, "wrote ");
    expect_in(r.out, "open file://");
    tu_run_free(&r);
    char *page = tu_read_file(path, &len);
    if (!page || len != artefact_len || memcmp(page, artefact, len))
        fail_msg("the page written (%zu bytes) is not the build's (%zu bytes)", page ? len : 0,
                 artefact_len);
    free(page);

    r = PLAYGROUND("-o", "-");
    expect_status(r, 0);
    if (strlen(r.out) != artefact_len || memcmp(r.out, artefact, artefact_len))
        fail_msg("standard output (%zu bytes) is not the page", strlen(r.out));
    tu_run_free(&r);

    r = PLAYGROUND("--out", "/nonexistent-dir/page.html");
    expect_status(r, 1);
    expect_in(r.err, "micrograd: ");
    expect_in(r.err, "/nonexistent-dir/page.html");
    tu_run_free(&r);
    free(artefact);
}

#else

static void test_built_without(void **state) {
    (void)state;
    tu_run_result r = PLAYGROUND("--out", tu_path("page.html"));
    expect_status(r, 1);
    expect_in(r.err, "micrograd: playground: this micrograd was built without the playground");
    expect_in(r.err, "clang, lld and wasi-libc");
    expect_in(r.err, "scripts/deps.sh test");
    expect_in(r.err, "build micrograd again");
    if (r.out[0]) fail_msg("nothing should go to standard output, got:\n%s", r.out);
    tu_run_free(&r);
    size_t len;
    char *page = tu_read_file(tu_path("page.html"), &len);
    if (page) fail_msg("a page was written (%zu bytes)", len);
}

#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_usage),
#ifdef MG_HAVE_PLAYGROUND
        cmocka_unit_test(test_writes_the_page),
#else
        cmocka_unit_test(test_built_without),
#endif
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    tu_cleanup();
    return failed;
}
