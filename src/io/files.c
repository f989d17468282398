/* files.c - helpers shared by the file modules (files_internal.h): reading a whole file,
 * writing one atomically, the strict number syntax, quoting text for messages, string
 * lists. */
#include "files_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* ==== reading ============================================================================ */

mg_status mg__files_check_readable(const char *path, mg_err *err) {
    struct stat st;
    if (stat(path, &st) != 0) return MG_STATUS_OK;
    if (S_ISDIR(st.st_mode))
        return mg_err_set(err, MG_STATUS_IO, "%s: is a directory, not a file", path);
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        return mg_err_set(err, MG_STATUS_IO, "%s: is a device, not a file", path);
    return MG_STATUS_OK;
}

char *mg__files_read(const char *path, size_t *len, mg_err *err) {
    if (mg__files_check_readable(path, err)) return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        mg_err_set(err, MG_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = mg__malloc(cap);
    while (buf) {
        if (cap - n < 2) {
            char *nb = cap > SIZE_MAX / 2 ? NULL : mg__realloc(buf, cap * 2);
            if (!nb) {
                mg__free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = buf && ferror(f);
    fclose(f);
    if (!buf) {
        mg_err_set(err, MG_STATUS_NOMEM, "%s: out of memory reading the file", path);
        return NULL;
    }
    if (bad) {
        mg__free(buf);
        mg_err_set(err, MG_STATUS_IO, "%s: read error", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

mg_dataset *mg__files_dataset_new(mg_err *err) {
    mg_dataset *d = mg__calloc(1, sizeof *d);
    if (!d) mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    return d;
}

int mg__files_number(const char *s, double *out) {
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    size_t digits = 0;
    while (*p >= '0' && *p <= '9') p++, digits++;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') p++, digits++;
    }
    if (!digits) return 1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return 1;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p) return 1;
    errno = 0;
    double x = strtod(s, NULL);
    if (!isfinite(x)) return 2;
    *out = x;
    return 0;
}

const char *mg__files_quote(const char *s, char *buf, size_t size) {
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[i] = '\0';
    if (s[i] && size >= 4) memcpy(buf + size - 4, "...", 4);
    return buf;
}

mg_status mg__files_strvdup(char ***out, const char *const *src, size_t n, mg_err *err) {
    *out = NULL;
    if (!src || !n) return MG_STATUS_OK;
    char **v = mg__calloc(n, sizeof *v);
    if (!v) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (src[i] && !(v[i] = mg__strdup(src[i]))) {
            mg__files_strvfree(v, n);
            return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
        }
    }
    *out = v;
    return MG_STATUS_OK;
}

void mg__files_strvfree(char **v, size_t n) {
    if (!v) return;
    for (size_t i = 0; i < n; i++) mg__free(v[i]);
    mg__free(v);
}

/* ==== atomic writing ==================================================================== */

static int write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? errno : EIO;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* The file a chain of symbolic links ends at (malloc'd through mg__malloc), so that
 * replacing it keeps the links; path itself when it is no link. NULL when out of memory
 * (*nomem set) or the chain is too long. */
static char *follow_links(const char *path, int *nomem) {
    char *cur = mg__strdup(path);
    *nomem = cur == NULL;
    for (int depth = 0; cur && depth < 40; depth++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
        char target[4096];
        ssize_t n = readlink(cur, target, sizeof target - 1);
        if (n < 0 || n == (ssize_t)sizeof target - 1) break;
        target[n] = '\0';
        const char *slash = strrchr(cur, '/');
        size_t dirlen = target[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
        char *next = mg__malloc(dirlen + (size_t)n + 1);
        if (next) {
            memcpy(next, cur, dirlen);
            memcpy(next + dirlen, target, (size_t)n + 1);
        } else {
            *nomem = 1;
        }
        mg__free(cur);
        cur = next;
    }
    mg__free(cur);
    return NULL;
}

mg_status mg__files_write_atomic(const char *path, const void *data, size_t len, mg_err *err) {
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* A directory is refused; a device or a pipe (/dev/null, /dev/stdout) cannot be
         * replaced by renaming, and must not be: it is written in place. */
        if (S_ISDIR(st.st_mode))
            return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: is a directory", path);
        int fd = open(path, O_WRONLY);
        int e = fd < 0 ? errno : write_all(fd, data, len);
        if (fd >= 0 && close(fd) != 0 && !e) e = errno;
        if (e) return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", path, strerror(e));
        return MG_STATUS_OK;
    }
    int nomem;
    char *real = follow_links(path, &nomem);
    if (!real && nomem) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory writing %s", path);
    if (!real) return mg_err_set(err, MG_STATUS_IO, "%s: cannot follow its symbolic links", path);
    size_t n = strlen(real);
    char *tmp = mg__malloc(n + 16);
    if (!tmp) {
        mg__free(real);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory");
    }
    memcpy(tmp, real, n);
    memcpy(tmp + n, ".tmpXXXXXX", 11);
    int fd = mkstemp(tmp);
    int e = fd < 0 ? errno : write_all(fd, data, len);
    if (fd < 0) {
        mg_err_set(err, MG_STATUS_IO, "%s: cannot create a temporary file next to it: %s", path,
                   strerror(e));
        mg__free(tmp);
        mg__free(real);
        return MG_STATUS_IO;
    }
    /* mkstemp makes the file private (0600); a model is an ordinary file. */
    if (!e && fchmod(fd, 0644) != 0) e = errno;
    if (!e && fsync(fd) != 0) e = errno;
    if (close(fd) != 0 && !e) e = errno;
    if (!e && rename(tmp, real) != 0) e = errno;
    if (e) unlink(tmp);
    mg__free(tmp);
    mg__free(real);
    if (e) return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", path, strerror(e));
    return MG_STATUS_OK;
}
