/* testutil.c - see testutil.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "testutil.h"

#include "micrograd.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
    fprintf(stderr, "testutil: %s: %s\n", what, strerror(errno));
    abort();
}

/* Reads fd to EOF into a malloc'd string. */
static char *slurp_fd(int fd, size_t *len) {
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) die("malloc");
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            if (!buf) die("realloc");
        }
        ssize_t got = read(fd, buf + n, cap - n - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        n += (size_t)got;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

tu_run_result tu_run(const char *const *argv, const char *input) {
    char errpath[] = "/tmp/mgtest_errXXXXXX", outpath[] = "/tmp/mgtest_outXXXXXX";
    char inpath[] = "/tmp/mgtest_inXXXXXX";
    int errfd = mkstemp(errpath), outfd = mkstemp(outpath), infd = mkstemp(inpath);
    if (errfd < 0 || outfd < 0 || infd < 0) die("mkstemp");
    unlink(errpath);
    unlink(outpath);
    unlink(inpath);
    if (input) {
        size_t len = strlen(input), off = 0;
        while (off < len) {
            ssize_t w = write(infd, input + off, len - off);
            if (w < 0) die("write");
            off += (size_t)w;
        }
        lseek(infd, 0, SEEK_SET);
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        dup2(infd, 0);
        dup2(outfd, 1);
        dup2(errfd, 2);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) die("waitpid");
    tu_run_result r;
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    lseek(outfd, 0, SEEK_SET);
    lseek(errfd, 0, SEEK_SET);
    r.out = slurp_fd(outfd, NULL);
    r.err = slurp_fd(errfd, NULL);
    close(outfd);
    close(errfd);
    close(infd);
    return r;
}

void tu_run_free(tu_run_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

static char tmpdir[512];

const char *tu_tmpdir(void) {
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/mgtestXXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) die("mkdtemp");
    }
    return tmpdir;
}

const char *tu_path(const char *name) {
    static char buf[1024];
    snprintf(buf, sizeof buf, "%s/%s", tu_tmpdir(), name);
    return buf;
}

void tu_write_file(const char *path, const char *data, size_t len) {
    if (len == (size_t)-1) len = strlen(data);
    FILE *f = fopen(path, "wb");
    if (!f) die(path);
    if (len && fwrite(data, 1, len, f) != len) die(path);
    if (fclose(f) != 0) die(path);
}

char *tu_read_file(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    char *s = slurp_fd(fd, len);
    close(fd);
    return s;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

void tu_cleanup(void) {
    if (tmpdir[0]) nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    tmpdir[0] = '\0';
}

int tu_count(const char *s, const char *needle) {
    int n = 0;
    size_t len = strlen(needle);
    for (const char *p = s; (p = strstr(p, needle)); p += len) n++;
    return n;
}

const char *tu_xml_problem(const char *s) {
    const char *stack[256];
    size_t lens[256];
    int depth = 0, roots = 0;
    while (*s) {
        if (*s == '&') {
            const char *p = s + 1;
            if (*p == '#') p++;
            while (isalnum((unsigned char)*p)) p++;
            if (*p != ';' || p == s + 1) return "a bare '&'";
            s = p + 1;
        } else if (*s != '<') {
            if (depth == 0 && roots && !isspace((unsigned char)*s)) return "text after the root";
            s++;
        } else if (!strncmp(s, "<!--", 4)) {
            s = strstr(s, "-->");
            if (!s) return "an unclosed comment";
            s += 3;
        } else if (!strncmp(s, "<?", 2)) {
            s = strstr(s, "?>");
            if (!s) return "an unclosed declaration";
            s += 2;
        } else if (!strncmp(s, "<!", 2)) {
            int nest = 0;
            for (s++; *s && (*s != '>' || nest); s++) nest += *s == '[' ? 1 : *s == ']' ? -1 : 0;
            if (!*s) return "an unclosed doctype";
            s++;
        } else if (s[1] == '/') {
            const char *name = s + 2;
            size_t n = strcspn(name, " \t\r\n>");
            if (depth == 0 || lens[depth - 1] != n || strncmp(stack[depth - 1], name, n))
                return "a closing tag that does not match";
            depth--;
            s = strchr(name, '>');
            if (!s) return "an unclosed end tag";
            s++;
        } else {
            const char *name = s + 1;
            size_t n = strcspn(name, " \t\r\n/>");
            if (n == 0) return "a '<' that starts no tag";
            const char *p = name + n;
            for (;;) {
                while (isspace((unsigned char)*p)) p++;
                if (*p == '>' || (p[0] == '/' && p[1] == '>')) break;
                while (*p && (isalnum((unsigned char)*p) || strchr(":-_.", *p))) p++;
                if (*p++ != '=') return "an attribute without a value";
                char q = *p++;
                if (q != '"' && q != '\'') return "an unquoted attribute";
                while (*p && *p != q) {
                    if (*p == '<') return "'<' in an attribute";
                    p++;
                }
                if (!*p++) return "an unclosed attribute";
            }
            if (depth == 0 && roots++) return "two root elements";
            if (*p == '/') {
                s = p + 2;
            } else {
                if (depth == 256) return "nesting too deep";
                stack[depth] = name, lens[depth++] = n;
                s = p + 1;
            }
        }
    }
    return depth ? "unclosed elements" : roots ? NULL : "no root element";
}

int tu_aborts(void (*fn)(void), char *buf, size_t size) {
    int pipefd[2];
    if (pipe(pipefd) != 0) die("pipe");
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        fn();
        _exit(0);
    }
    close(pipefd[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < size && (got = read(pipefd[0], buf + n, size - 1 - n)) > 0) n += (size_t)got;
    if (size) buf[n] = '\0';
    close(pipefd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) die("waitpid");
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

int tu_ctx_setup(void **state) {
    mg_ctx *ctx = mg_ctx_new();
    if (!ctx) return -1;
    *state = ctx;
    return 0;
}

int tu_ctx_teardown(void **state) {
    mg_ctx_free(*state);
    return 0;
}

int tu_dir_entries(void) {
    DIR *d = opendir(tu_tmpdir());
    if (!d) die("opendir");
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

int tu_png_size(const char *path, unsigned *w, unsigned *h) {
    size_t len = 0;
    char *data = tu_read_file(path, &len);
    if (!data) return 0;
    const unsigned char *u = (const unsigned char *)data;
    int ok = len > 33 && !memcmp(u, "\x89PNG\r\n\x1a\n", 8) && !memcmp(u + 12, "IHDR", 4);
    if (ok) {
        *w = (unsigned)u[16] << 24 | (unsigned)u[17] << 16 | (unsigned)u[18] << 8 | u[19];
        *h = (unsigned)u[20] << 24 | (unsigned)u[21] << 16 | (unsigned)u[22] << 8 | u[23];
    }
    free(data);
    return ok;
}

int tu_model_files_missing(void) {
    if (mg_model_files_available()) return 0;
    print_message("skipped: model files need jansson (apt-get install libjansson-dev)\n");
    return 1;
}

int tu_fashion_mnist_missing(void) {
    struct stat st;
    if (stat(MG_FASHION_MNIST_DIR, &st) != 0) {
        print_message("skipped: %s not installed (apt-get install dataset-fashion-mnist)\n",
                      MG_FASHION_MNIST_DIR);
        return 1;
    }
#ifndef MG_HAVE_ZLIB
    print_message("skipped: the package's files are gzipped and this build has no zlib\n");
    return 1;
#else
    return 0;
#endif
}

const char tu_readme_script[] =
    "from micrograd.engine import Value\n"
    "\n"
    "a = Value(-4.0)\n"
    "b = Value(2.0)\n"
    "c = a + b\n"
    "d = a * b + b**3\n"
    "c += c + 1\n"
    "c += 1 + c + (-a)\n"
    "d += d * 2 + (b + a).relu()\n"
    "d += 3 * d + (b - a).relu()\n"
    "e = c - d\n"
    "f = e**2\n"
    "g = f / 2.0\n"
    "g += 10.0 / f\n"
    "print(f'{g.data:.4f}') # prints 24.7041, the outcome of this forward pass\n"
    "g.backward()\n"
    "print(f'{a.grad:.4f}') # prints 138.8338, i.e. the numerical value of dg/da\n"
    "print(f'{b.grad:.4f}') # prints 645.5773, i.e. the numerical value of dg/db\n";

/* ==== skipped is not passed (testutil.h) ================================================ */

int tu_skipped;

int tu_group_result(int failed) {
    if (failed || !tu_skipped) return failed;
    printf("SKIPPED: %d test(s) of this program did not run (the reasons are printed above)\n",
           tu_skipped);
    fflush(stdout);
    return 77;
}
