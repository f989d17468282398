/* files.c - whole files: reading one, and THE writer every file the library or the
 * command writes goes through (complete or not at all: a temporary, fsync, rename); plus
 * what the file modules share (files_internal.h): the strict number syntax, quoting text
 * for messages, string lists. */
#include "files_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
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

const char *mg__files_ext(const char *path, char ext[16]) {
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    ext[0] = '\0';
    if (!dot || (slash && dot < slash) || strlen(dot + 1) >= 16) return ext;
    size_t k = 0;
    for (const char *p = dot + 1; *p; p++) ext[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    ext[k] = '\0';
    return ext;
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

/* ==== writing a file: complete or not at all (micrograd.h section 14e) ================== */

struct mg_outfile {
    char *path;   /* as the caller gave it, for messages */
    char *target; /* the file the temporary replaces (links followed); NULL: written in place */
    char *name;   /* what is written: the temporary, or path itself in place */
    FILE *f;      /* on the file's descriptor */
};

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

/* Creates the new file name, whose last 6 bytes are replaced by letters and digits until
 * the name is unused. O_EXCL: an existing file, or a link planted there, is never opened.
 * Mode 0666 less the umask, like any file a program makes (mkstemp's 0600 would make
 * models and pictures private). The descriptor, or -1 with errno. */
static int create_unique(char *name) {
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    char *x = name + strlen(name) - 6;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t r = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec ^
                 (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)name;
    for (int attempt = 0; attempt < 1000; attempt++) {
        r = (r + 0x9e3779b97f4a7c15u) * 0xbf58476d1ce4e5b9u; /* a step of splitmix64 */
        uint64_t z = r ^ r >> 31;
        for (int k = 0; k < 6; k++, z >>= 6) x[k] = chars[z % 62];
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

static void outfile_free(mg_outfile *o) {
    if (o->name != o->path) mg__free(o->name);
    mg__free(o->path);
    mg__free(o->target);
    mg__free(o);
}

/* Opens path itself, a device or a pipe: renaming over it would replace it. */
static mg_status open_in_place(mg_outfile *o, mg_err *err) {
    o->name = o->path;
    int fd = open(o->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", o->path, strerror(errno));
    if (!(o->f = fdopen(fd, "wb"))) {
        close(fd);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory writing %s", o->path);
    }
    return MG_STATUS_OK;
}

/* Makes the temporary next to the file path's links end at. */
static mg_status open_temporary(mg_outfile *o, mg_err *err) {
    int nomem;
    o->target = follow_links(o->path, &nomem);
    if (!o->target && nomem)
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory writing %s", o->path);
    if (!o->target)
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot follow its symbolic links", o->path);
    size_t n = strlen(o->target);
    if (!(o->name = mg__malloc(n + 11)))
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory writing %s", o->path);
    memcpy(o->name, o->target, n);
    memcpy(o->name + n, ".tmpXXXXXX", 11);
    int fd = create_unique(o->name);
    if (fd < 0)
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot create a temporary file next to it: %s",
                          o->path, strerror(errno));
    if (!(o->f = fdopen(fd, "wb"))) {
        close(fd);
        unlink(o->name);
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory writing %s", o->path);
    }
    return MG_STATUS_OK;
}

mg_outfile *mg_outfile_open(const char *path, mg_err *err) {
    if (!path || !*path) {
        mg_err_set(err, MG_STATUS_INVALID, "no output path given");
        return NULL;
    }
    mg_outfile *o = mg__calloc(1, sizeof *o);
    if (!o || !(o->path = mg__strdup(path))) {
        mg__free(o);
        mg_err_set(err, MG_STATUS_NOMEM, "out of memory writing %s", path);
        return NULL;
    }
    struct stat st;
    int exists = stat(path, &st) == 0;
    mg_status s;
    if (exists && S_ISDIR(st.st_mode))
        s = mg_err_set(err, MG_STATUS_IO, "%s: cannot write: is a directory", path);
    else if (exists && !S_ISREG(st.st_mode))
        s = open_in_place(o, err);
    else
        s = open_temporary(o, err);
    if (s) {
        outfile_free(o);
        return NULL;
    }
    return o;
}

FILE *mg_outfile_stream(const mg_outfile *o) { return o->f; }

const char *mg_outfile_path(const mg_outfile *o) { return o->name; }

mg_status mg_outfile_commit(mg_outfile *o, mg_err *err) {
    MG_ASSERT(o != NULL, "mg_outfile_commit of NULL");
    int e = 0;
    errno = 0;
    if (fflush(o->f) != 0) e = errno ? errno : EIO;
    else if (ferror(o->f)) e = EIO;
    /* The data reaches the disk before the name does: a crash leaves the old file or the
     * new one, never a name on an empty file. */
    if (!e && o->target && fsync(fileno(o->f)) != 0) e = errno;
    if (fclose(o->f) != 0 && !e) e = errno;
    if (!e && o->target && rename(o->name, o->target) != 0) e = errno;
    if (e && o->target) unlink(o->name);
    mg_status st = MG_STATUS_OK;
    if (e) st = mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", o->path, strerror(e));
    outfile_free(o);
    return st;
}

void mg_outfile_abort(mg_outfile *o) {
    if (!o) return;
    fclose(o->f);
    if (o->target) unlink(o->name);
    outfile_free(o);
}

mg_status mg_file_write(const char *path, const void *data, size_t len, mg_err *err) {
    mg_err inner;
    mg_outfile *o = mg_outfile_open(path, &inner);
    if (!o) return mg__err_forward(err, &inner);
    int e = write_all(fileno(o->f), data, len);
    if (e) {
        mg_outfile_abort(o);
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", path, strerror(e));
    }
    return mg_outfile_commit(o, err);
}
