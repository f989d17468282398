/* alloc.c - the bottom of the library: the one allocator every allocation goes through,
 * growing arrays, error reports and the always-on assertion. Calls nothing of the
 * library's. */
#include "mg_internal.h"

#include <stdarg.h>
#include <stdio.h>

/* ==== errors ============================================================================ */

_Noreturn void mg__assert_fail(const char *file, int line, const char *cond, const char *msg) {
    fprintf(stderr, "%s:%d: micrograd: assertion '%s' failed: %s\n", file, line, cond, msg);
    abort();
}

mg_status mg_err_set(mg_err *err, mg_status status, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->status = status;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

mg_status mg__err_forward(mg_err *err, const mg_err *inner) {
    if (err && inner->status != MG_STATUS_OK) *err = *inner;
    return inner->status;
}

const char *mg_status_str(mg_status status) {
    switch (status) {
    case MG_STATUS_OK: return "ok";
    case MG_STATUS_NOMEM: return "out of memory";
    case MG_STATUS_IO: return "i/o error";
    case MG_STATUS_FORMAT: return "format error";
    case MG_STATUS_INVALID: return "invalid argument";
    case MG_STATUS_NUMERIC: return "non-finite number";
    case MG_STATUS_UNSUPPORTED: return "not supported in this build";
    }
    return "unknown status";
}

/* ==== the allocator ===================================================================== */

static void *libc_alloc(void *user, size_t size) {
    (void)user;
    return malloc(size);
}
static void *libc_realloc(void *user, void *p, size_t size) {
    (void)user;
    return realloc(p, size);
}
static void libc_free(void *user, void *p) {
    (void)user;
    free(p);
}

static const mg_allocator libc_allocator = {libc_alloc, libc_realloc, libc_free, NULL};
static mg_allocator allocator = {libc_alloc, libc_realloc, libc_free, NULL};

void mg_set_allocator(const mg_allocator *a) {
    if (a) MG_ASSERT(a->alloc && a->realloc && a->free, "an allocator needs all three functions");
    allocator = a ? *a : libc_allocator;
}

void *mg__malloc(size_t size) { return allocator.alloc(allocator.user, size ? size : 1); }
void *mg__calloc(size_t n, size_t size) {
    size_t bytes = mg__mul_size(n ? n : 1, size ? size : 1);
    void *p = bytes == SIZE_MAX ? NULL : mg__malloc(bytes);
    if (p) memset(p, 0, bytes);
    return p;
}
void *mg__realloc(void *p, size_t size) {
    return p ? allocator.realloc(allocator.user, p, size ? size : 1) : mg__malloc(size);
}
void mg__free(void *p) {
    if (p) allocator.free(allocator.user, p);
}

size_t mg__mul_size(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return SIZE_MAX;
    return n * size;
}

char *mg__strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = mg__malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int mg__grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 1;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) return 0;
        ncap *= 2;
    }
    void *p = mg__realloc(*arr, mg__mul_size(ncap, elem));
    if (!p) return 0;
    *arr = p;
    *cap = ncap;
    return 1;
}

int mg__resize(void **arr, size_t n, size_t elem) {
    void *p = mg__realloc(*arr, mg__mul_size(n, elem));
    if (!p) return 0;
    *arr = p;
    return 1;
}
