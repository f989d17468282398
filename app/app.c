/* app.c - messages, strict option values, files and models for the command and the demos
 * (see app.h). */
#include "app.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The command is one process that prints its errors: the last one is kept for --json. */
static char last_error[1024];

const char *app_last_error(void) { return last_error; }

void app_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    fprintf(stderr, "micrograd: %s\n", last_error);
}

int app_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    fprintf(stderr, "micrograd %s: %s\nTry 'micrograd %s --help'.\n", cmd, last_error, cmd);
    return APP_USAGE;
}

void app_warning(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "micrograd %s: warning: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void app_note(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "micrograd %s: note: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void app_json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

void app_json_number(FILE *f, double x) {
    char buf[32];
    fputs(isfinite(x) ? mg_fmt_repr(x, buf, sizeof buf) : "null", f);
}

char **app_parse_columns(const char *cmd, const char *opt, const char *s, size_t *count) {
    size_t n = 1, len = strlen(s);
    for (const char *p = s; *p; p++) n += *p == ',';
    char **v = malloc(n * sizeof *v + len + 1);
    if (!v) {
        app_error("out of memory");
        return NULL;
    }
    char *text = (char *)(v + n);
    memcpy(text, s, len + 1);
    for (size_t k = 0; k < n; k++) {
        v[k] = text;
        char *comma = strchr(text, ',');
        if (comma) *comma = '\0';
        if (!*text) {
            free(v);
            app_usage_error(cmd, "%s expects column names or numbers separated by commas, got "
                                 "'%s'", opt, s);
            return NULL;
        }
        text = comma ? comma + 1 : text + strlen(text);
    }
    *count = n;
    return v;
}

int app_parse_double(const char *cmd, const char *opt, const char *s, double *out) {
    char *end;
    errno = 0;
    double x = s && *s ? strtod(s, &end) : 0.0;
    if (!s || !*s || *end || errno == ERANGE || !isfinite(x)) {
        app_usage_error(cmd, "%s expects a finite number, got '%s'", opt, s ? s : "");
        return 0;
    }
    *out = x;
    return 1;
}

int app_parse_long(const char *cmd, const char *opt, const char *s, long min, long max, long *out) {
    char *end;
    errno = 0;
    long x = s && *s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || errno == ERANGE) {
        app_usage_error(cmd, "%s expects a whole number, got '%s'", opt, s ? s : "");
        return 0;
    }
    if (x < min || x > max) {
        app_usage_error(cmd, "%s must be between %ld and %ld, got %ld", opt, min, max, x);
        return 0;
    }
    *out = x;
    return 1;
}

int app_parse_sizes(const char *cmd, const char *opt, const char *s, size_t *out, size_t max,
                    size_t *count) {
    size_t n = 0;
    const char *p = s ? s : "";
    if (!*p) {
        app_usage_error(cmd, "%s expects sizes like 16,16, got ''", opt);
        return 0;
    }
    while (*p) {
        char *end;
        errno = 0;
        long x = strtol(p, &end, 10);
        if (end == p || errno == ERANGE || x < 1 || x > 1000000 || (*end && *end != ',')) {
            app_usage_error(cmd, "%s expects positive sizes like 16,16, got '%s'", opt, s);
            return 0;
        }
        if (n == max) {
            app_usage_error(cmd, "%s takes at most %zu sizes", opt, max);
            return 0;
        }
        out[n++] = (size_t)x;
        p = *end ? end + 1 : end;
        if (*end == ',' && !*p) {
            app_usage_error(cmd, "%s ends with a comma: '%s'", opt, s);
            return 0;
        }
    }
    *count = n;
    return 1;
}

char *app_read_file(const char *path, size_t *len, mg_err *err) {
    int is_stdin = strcmp(path, "-") == 0;
    struct stat st;
    /* A directory or a device (/dev/zero would be read forever) is refused; a pipe is
     * read to its end. Standard input is whatever the user gave. */
    if (!is_stdin && stat(path, &st) == 0 &&
        (S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))) {
        mg_err_set(err, MG_STATUS_IO, "%s: is a %s, not a file", path,
                   S_ISDIR(st.st_mode) ? "directory" : "device");
        return NULL;
    }
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f) {
        mg_err_set(err, MG_STATUS_IO, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
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
    int nomem = !buf, failed = nomem || ferror(f);
    if (!is_stdin) fclose(f);
    if (failed) {
        free(buf);
        mg_err_set(err, nomem ? MG_STATUS_NOMEM : MG_STATUS_IO, "%s: cannot read%s", path,
                   nomem ? ": out of memory" : "");
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

mg_dataset *app_csv_load(const char *path, const mg_csv_options *opt, mg_err *err) {
    if (strcmp(path, "-")) return mg_csv_load(path, opt, err);
    size_t len;
    char *text = app_read_file("-", &len, err);
    if (!text) return NULL;
    mg_dataset *d = mg_csv_parse(text, len, "<stdin>", opt, err);
    free(text);
    return d;
}

int app_model_load(const char *path, app_model *cm) {
    memset(cm, 0, sizeof *cm);
    mg_model_info_init(&cm->info);
    cm->ctx = mg_ctx_new();
    if (!cm->ctx) {
        app_error("out of memory");
        return APP_FAIL;
    }
    mg_err err = {0};
    cm->m = mg_model_load(path, cm->ctx, &cm->info, &err);
    if (cm->m) return APP_OK;
    app_error("%s", err.msg);
    app_model_free(cm);
    return APP_FAIL;
}

void app_model_free(app_model *cm) {
    mg_mlp_free(cm->m);
    mg_model_info_free(&cm->info);
    mg_ctx_free(cm->ctx);
    memset(cm, 0, sizeof *cm);
}
