/* render.c - DOT text to SVG or PNG files: with graphviz's library (libgvc) when built
 * with it, else with the `dot` program, else the .dot file and a hint. Both renderers run
 * in a child process: libgvc keeps global state, leaks, and prints; a child process
 * keeps all of that out of the caller's process, and can be stopped when it runs too long.
 * Pictures are written through the library's file writer (complete or not at all,
 * micrograd.h section 14e), into its stream and with every write checked: graphviz's
 * own file writing would not report a full disk. */
#include "viz_internal.h"

#include <errno.h>
#include <math.h>
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

/* ==== running a child with a time limit ================================================ */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Reads what the child sends until it closes its pipes or the time limit passes, then
 * reaps it: its messages from msg_fd (up to size - 1 bytes kept, the first line in the
 * end) and, from out_fd when it is not -1, its output, copied to out (*out_errno gets
 * the reason of a failed write there; the rest is then read and dropped). Returns 1 when
 * the child finished in time (its wait status in *status), 0 when it was stopped. */
static int collect_child(pid_t pid, int msg_fd, int out_fd, FILE *out, int *out_errno,
                         double timeout, char *msg, size_t size, int *status) {
    size_t got = 0;
    double deadline = timeout > 0 ? now_seconds() + timeout : 0;
    int in_time = 1, fds[2] = {msg_fd, out_fd};
    msg[0] = '\0';
    while (fds[0] >= 0 || fds[1] >= 0) {
        int wait_ms = -1;
        if (timeout > 0) {
            double left = deadline - now_seconds();
            if (left <= 0) {
                in_time = 0;
                break;
            }
            wait_ms = left > 1e6 ? 1000000000 : (int)(left * 1000.0) + 1;
        }
        struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}}; /* -1: ignored */
        int r = poll(p, 2, wait_ms);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        for (int k = 0; k < 2; k++) { /* r == 0: the deadline is checked above */
            if (fds[k] < 0 || !p[k].revents) continue;
            char chunk[4096];
            ssize_t n = read(fds[k], chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                close(fds[k]);
                fds[k] = -1;
            } else if (k == 1) {
                if (!*out_errno && fwrite(chunk, 1, (size_t)n, out) != (size_t)n)
                    *out_errno = errno ? errno : EIO;
            } else {
                for (ssize_t c = 0; c < n && got + 1 < size; c++) msg[got++] = chunk[c];
                msg[got] = '\0';
            }
        }
    }
    for (int k = 0; k < 2; k++)
        if (fds[k] >= 0) close(fds[k]);
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
/* The parent's output (its writer or stream), in the child only: the child leaves with
 * _exit from a function that never returns, so nothing else is sure to point at it, and
 * a leak checker following the child would report the parent's memory as lost. */
static void *volatile gv_keep; /* volatile: a store nothing reads is kept */

static int gv_capture(char *text) {
    size_t n = strlen(gv_errors);
    if (n < sizeof gv_errors - 1) snprintf(gv_errors + n, sizeof gv_errors - n, "%s", text);
    return 0;
}

/* Lays out and renders the DOT text to out, checking every write (graphviz's own file
 * writing does not report a full disk). "ok", "nomem", "write: reason" or graphviz's
 * complaint (into msg). */
static void gv_render(const char *dot, size_t len, const char *format, FILE *out, char *msg,
                      size_t size) {
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
            errno = 0;
            if (gvLayout(gvc, g, "dot") != 0)
                result = "graphviz layout failed";
            else if (gvRender(gvc, g, format, out) != 0)
                result = "graphviz cannot render it";
            else if (fflush(out) != 0 || ferror(out))
                result = "write";
            else
                result = "ok";
            gvFreeLayout(gvc, g);
            agclose(g);
        }
    }
    if (!strcmp(result, "write"))
        snprintf(msg, size, "write: %s", strerror(errno ? errno : EIO));
    else if (strcmp(result, "ok") && strcmp(result, "nomem"))
        snprintf(msg, size, "%s: %s", result, gv_errors);
    else
        snprintf(msg, size, "%s", result);
    if (gvc) gvFreeContext(gvc);
    mg__free(text);
}

/* Runs in the child: renders, reports on fd, and leaves without running the program's
 * exit handlers. */
static void gv_child(const char *dot, size_t len, const char *format, FILE *out, void *keep,
                     int fd) {
    gv_keep = keep;
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, 2); /* plugins and fontconfig may print */
    agseterrf(gv_capture);
    char msg[700];
    gv_render(dot, len, format, out, msg, sizeof msg);
    ssize_t w = write(fd, msg, strlen(msg));
    (void)w;
    _exit(0);
}

/* The child writes to its copy of the stream out, on the same file (the parent's copy
 * stays empty). keep is what the parent holds out through (see gv_keep). */
static mg_status render_library(const char *dot, size_t len, const char *format, FILE *out,
                                void *keep, const char *fpath, double timeout, mg_err *err) {
    int fds[2];
    if (pipe(fds) != 0) return mg_err_set(err, MG_STATUS_IO, "cannot start graphviz: %s", strerror(errno));
    fflush(out);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return mg_err_set(err, MG_STATUS_IO, "cannot start graphviz: %s", strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        gv_child(dot, len, format, out, keep, fds[1]);
    }
    close(fds[1]);
    char msg[700];
    int status, unused = 0;
    if (!collect_child(pid, fds[0], -1, NULL, &unused, timeout, msg, sizeof msg, &status))
        return mg_err_set(err, MG_STATUS_IO,
                          "graphviz took longer than %g s and was stopped; draw a smaller graph",
                          timeout);
    /* The child's message, not its exit status, says how it went: under valgrind the
     * status reports graphviz's own leaks. */
    if (!strcmp(msg, "ok")) return MG_STATUS_OK;
    if (!strcmp(msg, "nomem"))
        return mg_err_set(err, MG_STATUS_NOMEM, "out of memory rendering a graph of %zu bytes", len);
    if (!strncmp(msg, "write: ", 7))
        return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", fpath, msg + 7);
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

/* dot reads the DOT text on its standard input and writes the picture to its standard
 * output, which is copied to out: its own file writing does not report a full disk. */
static mg_status render_program(const char *dot, size_t len, const char *format, FILE *out,
                                const char *fpath, double timeout, mg_err *err) {
    char prog[4096];
    if (!find_dot_program(prog, sizeof prog))
        return mg_err_set(err, MG_STATUS_UNSUPPORTED, "the graphviz program 'dot' is not on PATH");
    /* The DOT text comes from an anonymous file (a pipe would need writing it while
     * reading the picture and the messages); nothing is left behind. */
    FILE *in = tmpfile();
    if (!in || fwrite(dot, 1, len, in) != len || fflush(in) != 0 || fseek(in, 0, SEEK_SET) != 0) {
        int e = errno;
        if (in) fclose(in);
        return mg_err_set(err, MG_STATUS_IO, "cannot pass the DOT text to dot: %s", strerror(e));
    }
    int efd[2], ofd[2];
    if (pipe(efd) != 0) {
        fclose(in);
        return mg_err_set(err, MG_STATUS_IO, "cannot start dot: %s", strerror(errno));
    }
    if (pipe(ofd) != 0) {
        fclose(in);
        close(efd[0]);
        close(efd[1]);
        return mg_err_set(err, MG_STATUS_IO, "cannot start dot: %s", strerror(errno));
    }
    char tflag[32];
    snprintf(tflag, sizeof tflag, "-T%s", format);
    char *argv[] = {prog, tflag, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fileno(in), 0);
    posix_spawn_file_actions_adddup2(&fa, ofd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, efd[1], 2);
    int mine[5] = {fileno(in), ofd[0], ofd[1], efd[0], efd[1]};
    for (int k = 0; k < 5; k++) posix_spawn_file_actions_addclose(&fa, mine[k]);
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(efd[1]);
    close(ofd[1]);
    fclose(in);
    if (rc != 0) {
        close(efd[0]);
        close(ofd[0]);
        return mg_err_set(err, MG_STATUS_IO, "cannot run %s: %s", prog, strerror(rc));
    }
    char msg[512];
    int status, werr = 0;
    if (!collect_child(pid, efd[0], ofd[0], out, &werr, timeout, msg, sizeof msg, &status))
        return mg_err_set(err, MG_STATUS_IO,
                          "dot took longer than %g s and was stopped; draw a smaller graph", timeout);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return mg_err_set(err, MG_STATUS_FORMAT, "dot failed: %s", msg[0] ? msg : "no message");
    if (werr) return mg_err_set(err, MG_STATUS_IO, "%s: cannot write: %s", fpath, strerror(werr));
    return MG_STATUS_OK;
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

/* Resolves AUTO and checks that `how` can run here; MG_STATUS_UNSUPPORTED saying why not. */
static mg_status pick_renderer(mg_renderer *how, mg_err *err) {
    if (*how == MG_RENDERER_AUTO)
        *how = mg_graph_can_render(MG_RENDERER_LIBRARY) ? MG_RENDERER_LIBRARY : MG_RENDERER_PROGRAM;
    if (mg_graph_can_render(*how)) return MG_STATUS_OK;
    return mg_err_set(err, MG_STATUS_UNSUPPORTED,
                      *how == MG_RENDERER_LIBRARY ? "built without graphviz's library (libgvc)"
                      : *how == MG_RENDERER_PROGRAM ? "the graphviz program 'dot' is not on PATH"
                                                    : "rendering is switched off");
}

/* Renders to stream with a renderer pick_renderer accepted; fpath names the target in
 * messages, keep is what the caller holds stream through (see gv_keep). */
static mg_status render_to(const char *dot, size_t len, const char *format, FILE *stream,
                           void *keep, const char *fpath, mg_renderer how, double timeout,
                           mg_err *err) {
#ifdef MG_HAVE_GVC
    if (how == MG_RENDERER_LIBRARY)
        return render_library(dot, len, format, stream, keep, fpath, timeout, err);
#else
    (void)keep;
#endif
    return render_program(dot, len, format, stream, fpath, timeout, err);
}

mg_status mg_graph_render(const char *dot, size_t len, const char *fpath, mg_renderer how,
                        double timeout, mg_err *err) {
    MG_ASSERT(dot != NULL && fpath != NULL, "mg_graph_render of NULL");
    char ext[16];
    mg__files_ext(fpath, ext);
    if (strcmp(ext, "svg") && strcmp(ext, "png"))
        return mg_err_set(err, MG_STATUS_INVALID,
                          "%s: unknown picture format '%s' (use .svg or .png)", fpath, ext);
    mg_status st = pick_renderer(&how, err);
    if (st) return st;
    mg_err e;
    mg_outfile *out = mg_outfile_open(fpath, &e);
    if (!out) return mg__err_forward(err, &e);
    st = render_to(dot, len, ext, mg_outfile_stream(out), out, fpath, how, timeout, err);
    if (st) {
        mg_outfile_abort(out);
        return st;
    }
    return mg_outfile_commit(out, err);
}

/* ==== SVG text in memory ===================================================================== */

mg_status mg__graph_render_svg(const char *dot, size_t len, mg_renderer how, double timeout,
                               char **svg, size_t *n, mg_err *err) {
    *svg = NULL;
    *n = 0;
    mg_status st = pick_renderer(&how, err);
    if (st) return st;
    /* The child writes where the parent can read it back: an anonymous file. */
    FILE *tmp = tmpfile();
    if (!tmp) return mg_err_set(err, MG_STATUS_IO, "cannot make a temporary file: %s", strerror(errno));
    st = render_to(dot, len, "svg", tmp, tmp, "the SVG text", how, timeout, err);
    long size = 0;
    if (!st && (fseek(tmp, 0, SEEK_END) != 0 || (size = ftell(tmp)) <= 0 ||
                fseek(tmp, 0, SEEK_SET) != 0))
        st = mg_err_set(err, MG_STATUS_IO, "cannot read graphviz's SVG text back");
    char *text = st ? NULL : mg__malloc((size_t)size + 1);
    if (!st && !text) st = mg_err_set(err, MG_STATUS_NOMEM, "out of memory reading an SVG picture");
    if (!st && fread(text, 1, (size_t)size, tmp) != (size_t)size)
        st = mg_err_set(err, MG_STATUS_IO, "cannot read graphviz's SVG text back");
    fclose(tmp);
    if (st) {
        mg__free(text);
        return st;
    }
    text[size] = '\0';
    *svg = text;
    *n = (size_t)size;
    return MG_STATUS_OK;
}

int mg__svg_size(const char *svg, double *w, double *h) {
    const char *v = strstr(svg, "viewBox=\"");
    double x0, y0;
    return v && sscanf(v + 9, "%lf %lf %lf %lf", &x0, &y0, w, h) == 4 && *w > 0 && *h > 0;
}

/* ==== the PNG size limit ====================================================================== */

/* Refuses a PNG that would be larger than max_side on its long side: graphviz lays the
 * graph out once for an SVG (quick), whose size in points says the PNG's in pixels at
 * graphviz's 96 dots per inch, before the (slow) bitmap is made. */
static mg_status check_png_size(const char *dot, size_t len, const char *fpath,
                                const mg_graph_options *o, mg_err *err) {
    if (o->max_png_side <= 0) return MG_STATUS_OK;
    char *svg = NULL;
    size_t n = 0;
    mg_status st = mg__graph_render_svg(dot, len, o->renderer, o->timeout, &svg, &n, err);
    if (st) return st;
    double w = 0, h = 0;
    int known = mg__svg_size(svg, &w, &h);
    mg__free(svg);
    if (!known) return MG_STATUS_OK; /* graphviz will say what is wrong, if anything */
    double pw = ceil(w * 96.0 / 72.0), ph = ceil(h * 96.0 / 72.0);
    if (fmax(pw, ph) <= (double)o->max_png_side) return MG_STATUS_OK;
    return mg_err_set(err, MG_STATUS_INVALID,
                      "%s: the picture would be %.0f x %.0f pixels, over the limit of %d on "
                      "its long side for a .png; draw it as .svg instead (a browser opens it "
                      "at any size), or raise the limit",
                      fpath, pw, ph, o->max_png_side);
}

/* ==== drawing a value's graph to a file ========================================================== */

mg_status mg_graph_save(const mg_ctx *ctx, mg_value root, const mg_graph_options *opt,
                      const char *fpath, mg_err *err) {
    MG_ASSERT(fpath != NULL, "mg_graph_save to a NULL path");
    mg_graph_options defaults;
    if (!opt) {
        mg_graph_options_init(&defaults);
        opt = &defaults;
    }
    char ext[16];
    mg__files_ext(fpath, ext);
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
    if (!st && text_only) st = mg_file_write(fpath, text, len, err);
    if (!st && !strcmp(ext, "png") && mg_graph_can_render(opt->renderer))
        st = check_png_size(text, len, fpath, opt, err);
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
                st = mg_file_write(dotpath, text, len, err);
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
