/* render.c - DOT text to SVG or PNG files: with graphviz's library (libgvc) when built
 * with it, else with the `dot` program, else the .dot file and a hint. Both renderers run
 * in a child process: libgvc keeps global state, leaks, and prints; a child process
 * keeps all of that out of the caller's process, and can be stopped when it runs too long.
 * Files appear complete or not at all (temporary file, then rename). */
#include "viz_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef MG_HAVE_GVC
#include <gvc.h>
#endif

extern char **environ;

/* ==== atomic files ====================================================================== */

const char *mg__viz_ext(const char *fpath, char ext[16]) {
    const char *slash = strrchr(fpath, '/'), *dot = strrchr(fpath, '.');
    ext[0] = '\0';
    if (!dot || (slash && dot < slash) || strlen(dot + 1) >= 16) return ext;
    size_t k = 0;
    for (const char *p = dot + 1; *p; p++) ext[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    ext[k] = '\0';
    return ext;
}

mg_status mg__viz_tmpfile(const char *fpath, char *tmp, size_t size, mg_err *err) {
    if (!fpath || !*fpath) return mg_err_set(err, MG_STATUS_INVALID, "no output path given");
    int n = snprintf(tmp, size, "%s.XXXXXX", fpath);
    if (n < 0 || (size_t)n >= size)
        return mg_err_set(err, MG_STATUS_INVALID, "output path too long: %s", fpath);
    int fd = mkstemp(tmp);
    if (fd < 0)
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot create: %s", fpath, strerror(errno));
    /* mkstemp makes the file private (0600); a picture is an ordinary file. */
    (void)fchmod(fd, 0644);
    close(fd);
    return MG_STATUS_OK;
}

mg_status mg__viz_commit(const char *tmp, const char *fpath, mg_err *err) {
    if (rename(tmp, fpath) != 0) {
        int e = errno;
        unlink(tmp);
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", fpath, strerror(e));
    }
    return MG_STATUS_OK;
}

/* ==== running a child with a time limit ================================================ */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads what the child writes to fd (up to size - 1 bytes kept) until it closes it or
 * the time limit passes; then reaps the child. Returns 1 when the child finished in time
 * (its wait status in *status), 0 when it was stopped. */
static int collect_child(pid_t pid, int fd, double timeout, char *msg, size_t size, int *status) {
    size_t got = 0;
    double deadline = timeout > 0 ? now_seconds() + timeout : 0;
    int in_time = 1;
    msg[0] = '\0';
    for (;;) {
        int wait_ms = -1;
        if (timeout > 0) {
            double left = deadline - now_seconds();
            if (left <= 0) {
                in_time = 0;
                break;
            }
            wait_ms = left > 1e6 ? 1000000000 : (int)(left * 1000.0) + 1;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, wait_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        if (r == 0) continue; /* the deadline is checked above */
        char chunk[256];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        for (ssize_t k = 0; k < n && got + 1 < size; k++) msg[got++] = chunk[k];
        msg[got] = '\0';
    }
    close(fd);
    if (!in_time) kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR) {
            *status = 0; /* SIGCHLD ignored by the program: judge by the message */
            break;
        }
    }
    /* Only the first line of graphviz's chatter is a message. */
    char *nl = strchr(msg, '\n');
    if (nl) *nl = '\0';
    return in_time;
}

/* ==== renderer 1: graphviz's library, in a forked child ================================= */

#ifdef MG_HAVE_GVC
static char gv_errors[512]; /* in the child only */

static int gv_capture(char *text) {
    size_t n = strlen(gv_errors);
    if (n < sizeof gv_errors - 1) snprintf(gv_errors + n, sizeof gv_errors - n, "%s", text);
    return 0;
}

/* Runs in the child: lays out and renders, then reports "ok" or the error on fd. */
static void gv_child(const char *dot, size_t len, const char *format, const char *tmp, int fd) {
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2); /* plugins and fontconfig may print */
    agseterrf(gv_capture);
    const char *result = "graphviz failed";
    char *text = mg__malloc(len + 1);
    GVC_t *gvc = text ? gvContext() : NULL;
    if (!text) result = "nomem";
    if (text && gvc) {
        memcpy(text, dot, len);
        text[len] = '\0';
        Agraph_t *g = agmemread(text);
        if (!g) {
            result = "graphviz cannot read the DOT text";
        } else {
            if (gvLayout(gvc, g, "dot") != 0)
                result = "graphviz layout failed";
            else if (gvRenderFilename(gvc, g, format, tmp) != 0)
                result = "graphviz cannot render it";
            else
                result = "ok";
            gvFreeLayout(gvc, g);
            agclose(g);
        }
    }
    char out[700];
    int n = strcmp(result, "ok") && strcmp(result, "nomem")
                ? snprintf(out, sizeof out, "%s: %s", result, gv_errors)
                : snprintf(out, sizeof out, "%s", result);
    if (n > 0) {
        ssize_t w = write(fd, out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
        (void)w;
    }
    if (gvc) gvFreeContext(gvc);
    mg__free(text);
    _exit(0);
}

static mg_status render_library(const char *dot, size_t len, const char *format, const char *tmp,
                                double timeout, mg_err *err) {
    int fds[2];
    if (pipe(fds) != 0) return mg_err_set(err, MG_STATUS_IO, "cannot start graphviz: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return mg_err_set(err, MG_STATUS_IO, "cannot start graphviz: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        gv_child(dot, len, format, tmp, fds[1]);
    }
    close(fds[1]);
    char msg[700];
    int status;
    if (!collect_child(pid, fds[0], timeout, msg, sizeof msg, &status))
        return mg_err_set(err, MG_STATUS_IO,
                          "graphviz took longer than %g s and was stopped; draw a smaller graph",
                          timeout);
    /* The child's message, not its exit status, says how it went: under valgrind the
     * status reports graphviz's own leaks. */
    if (!strcmp(msg, "ok")) return MG_STATUS_OK;
    if (!strcmp(msg, "nomem"))
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory rendering a graph of %zu bytes", len);
    if (!msg[0]) return mg_err_set(err, MG_STATUS_IO, "graphviz crashed while rendering");
    return mg_err_set(err, MG_STATUS_FORMAT, "%s", msg);
}
#endif

/* ==== renderer 2: the dot program =========================================================== */

/* Finds an executable `dot` on PATH into buf; 0 when there is none. */
static int find_dot_program(char *buf, size_t size) {
    const char *dirs = getenv("PATH");
    if (!dirs || !*dirs) dirs = "/usr/bin:/bin";
    while (*dirs) {
        const char *end = strchr(dirs, ':');
        size_t n = end ? (size_t)(end - dirs) : strlen(dirs);
        int w = snprintf(buf, size, "%.*s/dot", (int)(n ? n : 1), n ? dirs : ".");
        if (w > 0 && (size_t)w < size && access(buf, X_OK) == 0) return 1;
        dirs += n + (end ? 1 : 0);
    }
    return 0;
}

static mg_status render_program(const char *dot, size_t len, const char *format, const char *tmp,
                                double timeout, mg_err *err) {
    char prog[4096];
    if (!find_dot_program(prog, sizeof prog))
        return mg_err_set(err, MG_STATUS_UNSUPPORTED, "the graphviz program 'dot' is not on PATH");
    /* The DOT text goes through a file: a pipe would need writing and reading at once. */
    char in[4200];
    mg_status st = mg__viz_tmpfile(tmp, in, sizeof in, err);
    if (st) return st;
    FILE *f = fopen(in, "wb");
    if (!f || fwrite(dot, 1, len, f) != len || fclose(f) != 0) {
        if (f) fclose(f);
        unlink(in);
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", in, strerror(errno));
    }
    int fds[2];
    if (pipe(fds) != 0) {
        unlink(in);
        return mg_err_set(err, MG_STATUS_IO, "cannot start dot: %s", strerror(errno));
    }
    char tflag[32];
    snprintf(tflag, sizeof tflag, "-T%s", format);
    char *argv[] = {prog, tflag, "-o", (char *)tmp, in, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        unlink(in);
        return mg_err_set(err, MG_STATUS_IO, "cannot run %s: %s", prog, strerror(rc));
    }
    char msg[512];
    int status;
    int in_time = collect_child(pid, fds[0], timeout, msg, sizeof msg, &status);
    unlink(in);
    if (!in_time)
        return mg_err_set(err, MG_STATUS_IO,
                          "dot took longer than %g s and was stopped; draw a smaller graph", timeout);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return MG_STATUS_OK;
    return mg_err_set(err, MG_STATUS_FORMAT, "dot failed: %s", msg[0] ? msg : "no message");
}

/* ==== choosing a renderer ==================================================================== */

int mg_graph_can_render(mg_renderer how) {
    char prog[4096];
    switch (how) {
    case MG_RENDERER_AUTO:
        return mg_graph_can_render(MG_RENDERER_LIBRARY) || mg_graph_can_render(MG_RENDERER_PROGRAM);
    case MG_RENDERER_LIBRARY:
#ifdef MG_HAVE_GVC
        return 1;
#else
        return 0;
#endif
    case MG_RENDERER_PROGRAM: return find_dot_program(prog, sizeof prog);
    case MG_RENDERER_NONE: break;
    }
    return 0;
}

mg_status mg_graph_render(const char *dot, size_t len, const char *fpath, mg_renderer how,
                        double timeout, mg_err *err) {
    MG_ASSERT(dot != NULL && fpath != NULL, "mg_graph_render of NULL");
    char ext[16];
    mg__viz_ext(fpath, ext);
    if (strcmp(ext, "svg") && strcmp(ext, "png"))
        return mg_err_set(err, MG_STATUS_INVALID,
                          "%s: unknown picture format '%s' (use .svg or .png)", fpath, ext);
    if (how == MG_RENDERER_AUTO)
        how = mg_graph_can_render(MG_RENDERER_LIBRARY) ? MG_RENDERER_LIBRARY : MG_RENDERER_PROGRAM;
    if (!mg_graph_can_render(how))
        return mg_err_set(err, MG_STATUS_UNSUPPORTED,
                          how == MG_RENDERER_LIBRARY ? "built without graphviz's library (libgvc)"
                          : how == MG_RENDERER_PROGRAM ? "the graphviz program 'dot' is not on PATH"
                                                       : "rendering is switched off");
    char tmp[4096];
    mg_status st = mg__viz_tmpfile(fpath, tmp, sizeof tmp, err);
    if (st) return st;
#ifdef MG_HAVE_GVC
    if (how == MG_RENDERER_LIBRARY)
        st = render_library(dot, len, ext, tmp, timeout, err);
    else
#endif
        st = render_program(dot, len, ext, tmp, timeout, err);
    if (st) {
        unlink(tmp);
        return st;
    }
    return mg__viz_commit(tmp, fpath, err);
}

/* ==== drawing a value's graph to a file ========================================================== */

/* Writes text to fpath atomically. */
static mg_status save_text(const char *text, size_t len, const char *fpath, mg_err *err) {
    char tmp[4096];
    mg_status st = mg__viz_tmpfile(fpath, tmp, sizeof tmp, err);
    if (st) return st;
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    if (!ok) {
        int e = errno;
        unlink(tmp);
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", fpath, strerror(e));
    }
    return mg__viz_commit(tmp, fpath, err);
}

mg_status mg_graph_save(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt,
                      const char *fpath, mg_err *err) {
    MG_ASSERT(fpath != NULL, "mg_graph_save to a NULL path");
    mg_graph_options defaults;
    if (!opt) {
        mg_graph_options_init(&defaults);
        opt = &defaults;
    }
    char ext[16];
    mg__viz_ext(fpath, ext);
    int text_only = !strcmp(ext, "dot") || !strcmp(ext, "gv");
    if (!text_only && strcmp(ext, "svg") && strcmp(ext, "png"))
        return mg_err_set(err, MG_STATUS_INVALID,
                          "%s: unknown picture format '%s' (use .dot, .svg or .png)", fpath, ext);
    size_t len = 0;
    mg_status st = mg_graph_format(ctx, root, opt, NULL, 0, &len, err);
    if (st) return st;
    char *text = mg__malloc(len + 1);
    if (!text) return mg_err_set(err, MG_STATUS_NOMEM, "out of memory drawing a graph");
    st = mg_graph_format(ctx, root, opt, text, len + 1, NULL, err);
    if (!st && text_only) st = save_text(text, len, fpath, err);
    if (!st && !text_only) {
        mg_err why;
        st = mg_graph_render(text, len, fpath, opt->renderer, opt->timeout, &why);
        if (st == MG_STATUS_UNSUPPORTED) {
            /* No renderer: leave the DOT text beside the requested picture. */
            char dotpath[4096];
            size_t stem = strlen(fpath) - strlen(ext) - 1;
            if (stem + 5 > sizeof dotpath) {
                st = mg_err_set(err, MG_STATUS_INVALID, "output path too long: %s", fpath);
            } else {
                snprintf(dotpath, sizeof dotpath, "%.*s.dot", (int)stem, fpath);
                st = save_text(text, len, dotpath, err);
                if (!st)
                    st = mg_err_set(err, MG_STATUS_UNSUPPORTED,
                                    "graphviz not available (%s): wrote %s; render it with: "
                                    "dot -T%s %s -o %s",
                                    why.msg, dotpath, ext, dotpath, fpath);
            }
        } else if (st && err) {
            *err = why;
        }
    }
    mg__free(text);
    return st;
}
